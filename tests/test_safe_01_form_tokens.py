"""SAFE-01, the mechanism (core.once): a form token issued with the page, consumed by a
unique row in the transaction of the change; expired and malformed tokens; old records
forgotten by the schedule."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import transaction
from django.template import Context, Template
from django.test import RequestFactory

from core import once
from core.errors import DomainError
from core.models import FormSubmission
from core.schedules import SCHEDULES
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


@pytest.fixture
def user():
    return UserFactory(username="sender")


def submission(user, token=None, action="/seller/orders/1/refund/"):
    return once.Submission(user_id=user.pk, token=token or once.issue_token(NOW), action=action)


def test_safe_01_a_page_issues_one_token_per_request_written_by_the_tag():
    request = RequestFactory().get("/")
    html = Template("{% load ui %}{% form_token %}{% form_token %}").render(Context({"request": request}))

    token = once.form_token(request)
    assert html == 2 * f'<input type="hidden" name="form_token" value="{token}">'
    assert once.form_token(RequestFactory().get("/")) != token


def test_safe_01_a_submission_is_consumed_once_and_the_second_finds_the_first(user):
    sent = submission(user)
    with transaction.atomic():
        once.consume(sent, now=NOW).done(user)

    with pytest.raises(once.AlreadySubmitted) as repeated, transaction.atomic():
        once.consume(sent, now=NOW)

    assert repeated.value.first.result_id == user.pk
    assert once.first_submission(sent).pk == repeated.value.first.pk
    assert FormSubmission.objects.count() == 1


def test_safe_01_a_change_that_fails_leaves_the_token_unused(user):
    sent = submission(user)
    with pytest.raises(DomainError), transaction.atomic():
        once.consume(sent, now=NOW)
        raise DomainError("refused")

    assert once.first_submission(sent) is None
    with transaction.atomic():
        once.consume(sent, now=NOW)
    assert FormSubmission.objects.count() == 1


def test_safe_01_the_same_token_is_another_submission_for_another_form_or_user(user):
    token = once.issue_token(NOW)
    with transaction.atomic():
        once.consume(submission(user, token), now=NOW)
        once.consume(submission(user, token, action="/seller/orders/1/tracking/"), now=NOW)
        once.consume(submission(UserFactory(username="someone_else"), token), now=NOW)
    assert FormSubmission.objects.count() == 3


@pytest.mark.parametrize("token", ["", "x", "zz.abc", "ffffffffffff.AAAAAAAAAAAAAAAAAAAAAA", "1" * 64])
def test_safe_01_a_malformed_token_changes_nothing(user, token):
    with pytest.raises(DomainError), transaction.atomic():
        once.consume(submission(user, token or "-"), now=NOW)
    assert not FormSubmission.objects.exists()


def test_safe_01_a_page_older_than_the_token_lifetime_changes_nothing(user):
    old = submission(user, once.issue_token(NOW - once.MAX_AGE - timedelta(seconds=1)))
    with pytest.raises(DomainError) as refused, transaction.atomic():
        once.consume(old, now=NOW)
    assert refused.value.code == "form_token_expired"

    with transaction.atomic():
        once.consume(submission(user, once.issue_token(NOW - once.MAX_AGE)), now=NOW)


def test_safe_01_records_are_forgotten_after_their_tokens_expired(user):
    with transaction.atomic():
        once.consume(submission(user), now=NOW - once.KEEP_FOR - timedelta(seconds=1))
        kept = once.consume(submission(user), now=NOW - once.KEEP_FOR + timedelta(seconds=1)).row

    assert once.forget_old_submissions(now=NOW) == 1
    assert list(FormSubmission.objects.values_list("pk", flat=True)) == [kept.pk]
    assert once.KEEP_FOR > once.MAX_AGE
    assert {"name": "core.forget_form_submissions", "func": "core.once.forget_old_submissions", "minutes": 15} in (
        SCHEDULES
    )


def test_safe_01_a_post_without_token_is_not_a_tracked_submission(rf, user):
    request = rf.post("/x/", {"text": "hello"})
    request.user = user
    assert once.Submission.of(request) is None

    request = rf.post("/x/", {once.FIELD: "t"})
    request.user = user
    assert once.Submission.of(request) == once.Submission(user.pk, "t", "/x/")
