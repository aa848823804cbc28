# Issue 13: the sales quality panel's aggregates and medians read this index alone.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("discussions", "0009_discussion_seller_list_indexes"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="discussion",
            index=models.Index(
                fields=[
                    "seller_account",
                    "created_at",
                    "first_reply_seconds",
                    "reply_due_at",
                    "closed_at",
                    "is_open",
                    "unresolved_at",
                    "mediator_joined_at",
                    "close_reason",
                ],
                name="dsc_quality_idx",
            ),
        ),
    ]
