from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def from_the_messages(apps, schema_editor):
    """The instant of each open Discussion's last request to mark it as resolved."""
    Discussion = apps.get_model("discussions", "Discussion")
    Message = apps.get_model("discussions", "Message")
    last = (
        Message.objects.filter(discussion=OuterRef("pk"), kind="END_REQUEST")
        .order_by("-created_at")
        .values("created_at")[:1]
    )
    asked = Message.objects.filter(kind="END_REQUEST").values("discussion_id")
    Discussion.objects.filter(is_open=True, pk__in=asked).update(end_requested_at=Subquery(last))


class Migration(migrations.Migration):
    dependencies = [
        ("discussions", "0011_discussion_version"),
    ]

    operations = [
        migrations.AddField(
            model_name="discussion",
            name="end_requested_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="seller asked to mark as resolved at"),
        ),
        migrations.RunPython(from_the_messages, migrations.RunPython.noop, elidable=True),
    ]
