"""SAFE-05: notification mail is never lost. The outbox row keeps its tries, the time of
its next one and the last error; due rows are read through `ntf_outbox_idx` (now on the
next try's time) and rows left SENDING by a dead worker through `ntf_sending_idx`; a
public ID gives each mail a stable Message-ID; mediators may send a FAILED row again.

Rows waiting today become due at their creation; rows that failed under the old outbox
(one try, never retried) stay FAILED with that one try counted, for mediators to retry;
rows stuck in SENDING are taken up again by the outbox like any other."""

import uuid

from django.db import migrations, models
from django.db.models import F, Q


def fill(apps, schema_editor):
    Notification = apps.get_model("discussions", "Notification")
    Notification.objects.filter(email_status="PENDING").update(email_next_attempt_at=F("created_at"))
    Notification.objects.filter(email_status__in=["SENDING", "FAILED"]).update(email_attempts=1)
    rows = list(Notification.objects.filter(public_id__isnull=True).only("pk"))
    for row in rows:
        row.public_id = uuid.uuid4()
    Notification.objects.bulk_update(rows, ["public_id"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [("discussions", "0009_page_indexes")]

    operations = [
        migrations.AddField(
            "notification",
            "email_next_attempt_at",
            models.DateTimeField(blank=True, null=True, verbose_name="next e-mail try at"),
        ),
        migrations.AddField(
            "notification", "email_attempts", models.PositiveSmallIntegerField(default=0, verbose_name="e-mail tries")
        ),
        migrations.AddField(
            "notification", "email_last_error", models.TextField(blank=True, verbose_name="last e-mail error")
        ),
        migrations.AddField(
            "notification",
            "public_id",
            models.UUIDField(editable=False, null=True, verbose_name="public ID"),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.AlterField(
            "notification",
            "public_id",
            models.UUIDField(default=uuid.uuid4, editable=False, verbose_name="public ID"),
        ),
        migrations.RemoveIndex("notification", "ntf_outbox_idx"),
        migrations.AddIndex(
            "notification",
            models.Index(condition=Q(email_status="PENDING"), fields=["email_next_attempt_at"], name="ntf_outbox_idx"),
        ),
        migrations.AddIndex(
            "notification",
            models.Index(condition=Q(email_status="SENDING"), fields=["email_claimed_at"], name="ntf_sending_idx"),
        ),
        migrations.AddConstraint(
            "notification",
            models.CheckConstraint(
                condition=~Q(email_status="PENDING") | Q(email_next_attempt_at__isnull=False),
                name="notification_pending_is_due",
            ),
        ),
        migrations.AlterModelOptions(
            "notification",
            options={
                "ordering": ["-created_at", "-pk"],
                "permissions": [("retry_notification", "Can send a notification's e-mail again")],
                "verbose_name": "notification",
                "verbose_name_plural": "notifications",
            },
        ),
    ]
