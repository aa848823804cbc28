"""The mediators' queue (MED-01, issue 13): dsc_queue_waiting_idx holds the Discussions
waiting for a mediator (discussions.models.QUEUE_WAITING) in the queue's order (waiting
since, reason, id), with their market and whether a mediator joined, so that a page of
the queue reads its first entries and the queue's count reads the index alone."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("discussions", "0011_discussion_seller_list_index_covers_reply"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="discussion",
            index=models.Index(
                models.Case(
                    models.When(seller_ignored_mediator_at__isnull=False, then=models.F("seller_ignored_mediator_at")),
                    models.When(status="UNRESOLVED", then=models.F("unresolved_at")),
                    default=models.F("help_requested_at"),
                    output_field=models.DateTimeField(),
                ),
                models.Case(
                    models.When(seller_ignored_mediator_at__isnull=False, then=models.Value("ignored")),
                    models.When(status="UNRESOLVED", then=models.Value("unresolved")),
                    default=models.Value("help"),
                    output_field=models.CharField(),
                ),
                models.F("id"),
                condition=models.Q(
                    ("is_open", True),
                    models.Q(
                        ("seller_ignored_mediator_at__isnull", False),
                        ("status", "UNRESOLVED"),
                        ("help_requested_at__isnull", False),
                        _connector="OR",
                    ),
                ),
                include=("market", "mediator_joined_at"),
                name="dsc_queue_waiting_idx",
            ),
        ),
    ]
