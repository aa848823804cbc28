"""UUIDs for the seller API (API-01): orders (checkoutForm.id), order lines
(lineItem.id) and claimed lines (refund claim id). Existing rows get one each."""

import uuid

from django.db import migrations, models


def fill(apps, schema_editor):
    for name in ("Order", "OrderLine", "CommissionRefundLine"):
        model = apps.get_model("orders", name)
        rows = list(model.objects.filter(public_id__isnull=True).only("pk"))
        for row in rows:
            row.public_id = uuid.uuid4()
        model.objects.bulk_update(rows, ["public_id"], batch_size=500)


def field(**kwargs):
    return models.UUIDField(verbose_name="public ID", editable=False, **kwargs)


class Migration(migrations.Migration):
    dependencies = [("orders", "0006_commission_refunds")]

    operations = [
        migrations.AddField("order", "public_id", field(null=True)),
        migrations.AddField("orderline", "public_id", field(null=True)),
        migrations.AddField("commissionrefundline", "public_id", field(null=True)),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.AlterField("order", "public_id", field(default=uuid.uuid4, unique=True)),
        migrations.AlterField("orderline", "public_id", field(default=uuid.uuid4, unique=True)),
        migrations.AlterField("commissionrefundline", "public_id", field(default=uuid.uuid4, unique=True)),
    ]
