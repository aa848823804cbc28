"""The case view (MED-02, issue 13): dsc_buyer_history_idx and dsc_seller_history_idx
hold every column the history of both parties counts, so that each party's counts are an
index-only scan on PostgreSQL instead of reading all of its Discussions."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("discussions", "0013_discussion_seller_open_counts_index_includes"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="discussion",
            index=models.Index(
                fields=["buyer"],
                include=("id", "is_open", "status", "help_requested_at"),
                name="dsc_buyer_history_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="discussion",
            index=models.Index(
                fields=["seller_account"],
                include=("id", "is_open", "status", "seller_ignored_mediator_at"),
                name="dsc_seller_history_idx",
            ),
        ),
    ]
