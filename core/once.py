"""SAFE-01: a form has one effect however often and however concurrently it is sent.

Every page that shows a form issues a one-time form token with it (`form_token(request)`,
one per request; templates write it with `{% form_token %}` from the `ui` library and
presenters with `token_input(request)`, next to the CSRF token). The view passes the
submission on — `Submission.of(request)`: the token, the user and the path the form
posted to — and the service calls `consume(submission)` first in the transaction of its
change. That inserts a `FormSubmission` row under a unique constraint:

- the first submission writes it and does the change; both commit together, or neither;
- a second one, sequential or concurrent, hits the constraint (on PostgreSQL it waits for
  the first transaction and fails once that commits) and raises `AlreadySubmitted`, which
  rolls its own transaction back: nothing happens twice;
- if the first failed (a DomainError rolled it back), the token was not used and the
  form can be sent again.

A refused submission's view asks `already_done(request, submission)`: when the same form
was done before, it shows that result (the row keeps `result_id`, the object it made)
and tells the user `ALREADY_DONE`, instead of the refusal. Several forms on one page
share the request's token: the action path tells them apart. A POST without a token (the
seller API, which has its own idempotency, and scripts) is processed as before.

Tokens expire after `MAX_AGE`, so rows can be forgotten after `KEEP_FOR`
(`forget_old_submissions`, scheduled by core).

SAFE-02 uses the same path through the views: a form rendered from a versioned state
carries its version (`version_input`), the view reads it back (`posted_number`) and the
service compares it with the state's (discussions.services.transitions).
"""

import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.contrib import messages
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .errors import DomainError
from .models import FormSubmission

FIELD = "form_token"
# SAFE-02, the other half of the mechanism: a form rendered from a versioned state (a
# Discussion's buttons) carries the version it showed in this field.
VERSION_FIELD = "version"
MAX_AGE = timedelta(days=7)
KEEP_FOR = MAX_AGE + timedelta(days=1)
BATCH = 5000
_REQUEST_ATTRIBUTE = "_form_token"
# The issue time (seconds since the epoch, in hex), then 128 random bits.
_TOKEN = re.compile(r"^([0-9a-f]{1,12})\.[A-Za-z0-9_-]{22}$")

ALREADY_DONE = gettext_lazy("This form was already sent and done once; sending it again changed nothing.")


class AlreadySubmitted(DomainError):
    """The same form was submitted and done before; `first` is its FormSubmission."""

    def __init__(self, first):
        super().__init__(ALREADY_DONE, code="already_submitted")
        self.first = first


def issue_token(now=None):
    """A new form token: its issue time and 128 random bits."""
    issued = int((now or timezone.now()).timestamp())
    return f"{issued:x}.{secrets.token_urlsafe(16)}"


def form_token(request):
    """The form token of this request's page, issued once per request."""
    token = getattr(request, _REQUEST_ATTRIBUTE, None)
    if token is None:
        token = issue_token()
        setattr(request, _REQUEST_ATTRIBUTE, token)
    return token


def token_input(request):
    """The hidden input that carries the request's form token (per request, like the CSRF
    token: presenters put it next to `csrf_input` in markup rendered once per process)."""
    return format_html('<input type="hidden" name="{}" value="{}">', FIELD, form_token(request))


@dataclass(frozen=True, slots=True)
class Submission:
    """One submission of a form: who sent it, with which token, to which action."""

    user_id: int
    token: str
    action: str

    @classmethod
    def of(cls, request):
        """The submission of this POST, or None without a token (or a signed-in user)."""
        token = request.POST.get(FIELD, "")
        if not token or not request.user.is_authenticated:
            return None
        return cls(user_id=request.user.pk, token=token[:64], action=request.path[:255])


def posted_number(request, name=VERSION_FIELD):
    """A number the page's form carried (the version of the state it was rendered from,
    the proposal it answers): None when the form did not carry it (callers other than our
    pages), -1 when it is not a number, which matches no state."""
    value = request.POST.get(name)
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        return -1


def version_input(version):
    """The hidden input with the version of the state a form is rendered from."""
    return format_html('<input type="hidden" name="{}" value="{}">', VERSION_FIELD, version)


class _Claim:
    __slots__ = ("row",)

    def __init__(self, row=None):
        self.row = row

    def done(self, result):
        """Remember what the submission made (`result.pk`), in the same transaction."""
        if self.row is not None and result is not None:
            FormSubmission.objects.filter(pk=self.row.pk).update(result_id=result.pk)
        return result


def _issued_at(token):
    match = _TOKEN.match(token)
    if match is None:
        return None
    try:
        return datetime.fromtimestamp(int(match.group(1), 16), UTC)
    except (OverflowError, OSError, ValueError):
        return None


def consume(submission, now=None):
    """Inside the transaction of the change: record `submission` (None: nothing to record).
    Raises AlreadySubmitted if the same form was done before, DomainError if its page is
    too old. Returns a claim whose `done(result)` remembers what the submission made."""
    if submission is None:
        return _Claim()
    now = now or timezone.now()
    issued_at = _issued_at(submission.token)
    if issued_at is None or now - issued_at > MAX_AGE:
        raise DomainError(
            _("This page was loaded too long ago, so nothing was done. Check it as it is now and send the form again."),
            code="form_token_expired",
        )
    try:
        # A savepoint: the transaction of the change stays usable to read the first row.
        with transaction.atomic():
            row = FormSubmission.objects.create(
                user_id=submission.user_id, token=submission.token, action=submission.action, submitted_at=now
            )
    except IntegrityError:
        raise AlreadySubmitted(first_submission(submission)) from None
    return _Claim(row)


def first_submission(submission):
    """The recorded earlier submission of the same form, or None."""
    if submission is None:
        return None
    return FormSubmission.objects.filter(
        token=submission.token, user_id=submission.user_id, action=submission.action
    ).first()


def already_done(request, submission):
    """For a view whose service refused `submission`: the earlier submission of the same
    form, if there is one (the view then shows its result, and the user is told that
    nothing happened again), else None (the view shows the refusal)."""
    first = first_submission(submission)
    if first is not None:
        messages.info(request, ALREADY_DONE)
    return first


def forget_old_submissions(now=None, batch=BATCH):
    """Delete the records of submissions older than KEEP_FOR (their tokens expired before),
    a bounded batch per run, through the index on submitted_at."""
    now = now or timezone.now()
    old = list(
        FormSubmission.objects.filter(submitted_at__lt=now - KEEP_FOR)
        .order_by("submitted_at")
        .values_list("pk", flat=True)[:batch]
    )
    if old:
        FormSubmission.objects.filter(pk__in=old).delete()
    return len(old)
