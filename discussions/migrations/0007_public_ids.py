"""UUIDs for the seller API (API-01): Discussions (issue id), messages and attachments;
and the index the API lists a seller's Discussions through (latest opening first)."""

import uuid

from django.db import migrations, models


def fill(apps, schema_editor):
    for name in ("Discussion", "Message", "Attachment"):
        model = apps.get_model("discussions", name)
        rows = list(model.objects.filter(public_id__isnull=True).only("pk"))
        for row in rows:
            row.public_id = uuid.uuid4()
        model.objects.bulk_update(rows, ["public_id"], batch_size=500)


def field(**kwargs):
    return models.UUIDField(verbose_name="public ID", editable=False, **kwargs)


class Migration(migrations.Migration):
    dependencies = [("discussions", "0006_sellerblock_complaint"), ("orders", "0007_public_ids")]

    operations = [
        migrations.AddField("discussion", "public_id", field(null=True)),
        migrations.AddField("message", "public_id", field(null=True)),
        migrations.AddField("attachment", "public_id", field(null=True)),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.AlterField("discussion", "public_id", field(default=uuid.uuid4, unique=True)),
        migrations.AlterField("message", "public_id", field(default=uuid.uuid4, unique=True)),
        migrations.AlterField("attachment", "public_id", field(default=uuid.uuid4, unique=True)),
        migrations.AddIndex(
            "discussion",
            models.Index(fields=["seller_account", "-opened_at", "-id"], name="dsc_seller_opened_idx"),
        ),
    ]
