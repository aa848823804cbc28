"""The sweep of attachments declared through the API and never used by a message."""

from datetime import timedelta

from django.core.files.base import ContentFile
from django.core.management import call_command
from django.utils import timezone

from api.models import AttachmentDeclaration
from api.tasks import clean_unused_declarations
from tests.storage import both_storages


def declare(seller_account, *, at, uploaded=True):
    row = AttachmentDeclaration(seller_account=seller_account, file_name="photo.png", declared_size=4, created_at=at)
    if uploaded:
        row.file.save("photo.png", ContentFile(b"data"), save=False)
        row.uploaded_at = at
    row.save()
    return row


@both_storages  # OPS-01
def test_api_01_unused_declarations_leave_after_a_day_with_their_files(
    seller_account, django_capture_on_commit_callbacks
):
    now = timezone.now()
    old = declare(seller_account, at=now - timedelta(days=1, seconds=1))
    recent = declare(seller_account, at=now - timedelta(hours=23, minutes=59))
    never_uploaded = declare(seller_account, at=now - timedelta(days=2), uploaded=False)
    storage = old.file.storage
    old_name = old.file.name

    with django_capture_on_commit_callbacks(execute=True):
        assert clean_unused_declarations(now=now) == 2

    assert list(AttachmentDeclaration.objects.values_list("pk", flat=True)) == [recent.pk]
    assert not storage.exists(old_name)
    assert storage.exists(recent.file.name)
    assert not AttachmentDeclaration.objects.filter(pk=never_uploaded.pk).exists()
    # Idempotent: a second run finds nothing.
    assert clean_unused_declarations(now=now) == 0


def test_api_01_declarations_used_by_a_message_are_kept(seller_account):
    from tests.discussions.conftest import make_order, open_discussion
    from tests.factories import OfferFactory, UserFactory

    order = make_order(OfferFactory(seller_account=seller_account), UserFactory())
    discussion = open_discussion(order)
    attachment = discussion.messages.get().attachments.create(
        file=ContentFile(b"x", name="a.png"), original_name="a.png", content_type="image/png", size=1
    )
    used = declare(seller_account, at=timezone.now() - timedelta(days=3))
    used.attachment = attachment
    used.save()

    assert clean_unused_declarations(now=timezone.now()) == 0
    assert AttachmentDeclaration.objects.filter(pk=used.pk).exists()


def test_api_01_sweep_runs_from_run_due_tasks(seller_account, capsys):
    declare(seller_account, at=timezone.now() - timedelta(days=2))
    call_command("run_due_tasks", only=["api.clean_unused_declarations"])
    assert "api.clean_unused_declarations: 1" in capsys.readouterr().out
