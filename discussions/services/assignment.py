"""UX-07: a mediator assigns a case (a Discussion in the mediators' queue) to themselves
or to another mediator, and hands it back. Who is assigned is not part of the state the
parties' buttons are rendered from, so it does not raise the Discussion's version; an
assignment applies to the assignee its page showed (a compare-and-set on `assignee`,
SAFE-02) and each form is done once (SAFE-01). Every change is in the audit trail
(MED-07): ASSIGN (before/after: the logins) or UNASSIGN."""

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ConcurrentUpdate, DomainError
from core.mediators import MEDIATORS_GROUP
from core.once import consume
from orders import audit

from ..models import Discussion

NOBODY = 0  # what a page posts as the assignee it showed when the case had none


def mediators():
    """The people a case can be assigned to: active members of the Mediators group."""
    return get_user_model().objects.filter(groups__name=MEDIATORS_GROUP, is_active=True).order_by("username")


def _login(user_id):
    if user_id is None:
        return ""
    return get_user_model().objects.filter(pk=user_id).values_list("username", flat=True).first() or ""


def assign_case(discussion, *, mediator, to, seen_assignee=None, once=None, now=None):
    """Assign `discussion` to `to` (a mediator; None hands it back, unassigned) as
    `mediator` decided. `seen_assignee`: the assignee's id the page showed (NOBODY for
    none; None: not given, e.g. scripts). Refused, saying who has it now, when it
    changed since."""
    now = now or timezone.now()
    if to is not None and not mediators().filter(pk=to.pk).exists():
        raise DomainError(_("A case can be assigned only to a mediator."), field="assignee")
    if not discussion.is_open:
        raise DomainError(_("The Discussion is closed."))
    with transaction.atomic():
        claim = consume(once, now)
        rows = Discussion.objects.filter(pk=discussion.pk, is_open=True)
        if seen_assignee is not None:
            rows = rows.filter(assignee_id=seen_assignee or None)
        before = Discussion.objects.filter(pk=discussion.pk).values_list("assignee_id", flat=True).first()
        if not rows.update(assignee=to, assigned_at=now if to is not None else None):
            current = Discussion.objects.filter(pk=discussion.pk).values_list("assignee_id", flat=True).first()
            if current is None:
                message = _("Nothing was done: the case has just been handed back and is unassigned.")
            else:
                message = _("Nothing was done: the case has just been assigned to %(login)s.") % {
                    "login": _login(current)
                }
            raise ConcurrentUpdate(message, code="assignee_changed")
        audit.record(
            mediator,
            "ASSIGN" if to is not None else "UNASSIGN",
            discussion,
            before={"assignee": _login(before)},
            after={"assignee": to.username if to is not None else ""},
            now=now,
        )
        claim.done(discussion)
    discussion.assignee, discussion.assigned_at = to, now if to is not None else None
    return discussion
