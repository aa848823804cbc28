"""A mediator's buttons on a Discussion's case: join, post as Allegro, open a Discussion on
the buyer's behalf, grant Allegro Protect, conclude the mediation, reopen at the buyer's
request (MED-02…06); each a form and one service call. Each page's form is done once
(SAFE-01) and its decision applies to the state of the Discussion it showed (SAFE-02)."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from core.admin import decision_view
from core.errors import DomainError
from core.money import money
from core.once import Submission, already_done, posted_number, version_input
from orders.models import Order

from .. import services
from ..models import Discussion, MediationOutcome, Reason, Role, Solution

# UX-03: the justification of a decision is shown to both parties, on the page and in mail.
JUSTIFICATION_LABEL = _("Justification (the buyer and the seller read it)")


class ProtectForm(forms.Form):
    amount = forms.DecimalField(label=_("Compensation amount"), max_digits=12, decimal_places=2, localize=True)
    reason = forms.CharField(label=JUSTIFICATION_LABEL, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, discussion, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["amount"].help_text = _("At most the order value, %(max)s. Allegro pays it, not the seller.") % {
            "max": money(discussion.order.total_amount, discussion.market.currency)
        }


class ConcludeForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        choices=[(v, label) for v, label in MediationOutcome.choices if v != MediationOutcome.ALLEGRO_PROTECT],
    )
    reason = forms.CharField(label=JUSTIFICATION_LABEL, widget=forms.Textarea(attrs={"rows": 3}))


class ReopenForm(forms.Form):
    reason = forms.CharField(
        label=_("The buyer's request and why it is justified"), widget=forms.Textarea(attrs={"rows": 3})
    )


class OpenOnBehalfForm(forms.Form):
    line = forms.TypedChoiceField(label=_("Product"), coerce=int)
    reason = forms.ChoiceField(label=_("Reason"), choices=Reason.choices)
    expected_solution = forms.ChoiceField(
        label=_("Expected solution"), choices=[("", "—"), *Solution.choices], required=False
    )
    note = forms.CharField(label=_("What the buyer reported to Allegro"), widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, order, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["line"].choices = [(line.pk, str(line)) for line in order.lines.all()]


class MediatorMessageForm(forms.Form):
    text = forms.CharField(
        label=_("Message as Allegro"), widget=forms.Textarea(attrs={"rows": 4}), max_length=services.MAX_MESSAGE_LENGTH
    )


class MediationViewsMixin:
    """The Discussion admin's views behind the mediator's buttons (their URLs are
    in DiscussionAdmin.get_urls)."""

    def _get(self, request, pk):
        if not request.user.has_perm("discussions.mediate_discussion"):
            raise PermissionDenied
        return get_object_or_404(
            Discussion.objects.select_related("market", "buyer", "seller_account__user", "order"), pk=pk
        )

    def join_view(self, request, pk):
        discussion = self._get(request, pk)
        if request.method == "POST":
            once = Submission.of(request)
            try:
                services.join_discussion(
                    discussion, mediator=request.user, once=once, seen_version=posted_number(request)
                )
            except DomainError as error:
                if not already_done(request, once):
                    self.message_user(request, error.message, messages.ERROR)
            else:
                self.message_user(request, _("You joined the Discussion as Allegro."), messages.SUCCESS)
            return redirect("admin:discussions_discussion_change", pk)
        return TemplateResponse(
            request,
            "admin/discussions/discussion/confirm.html",
            {
                **self.admin_site.each_context(request),
                "discussion": discussion,
                "version_input": version_input(discussion.version),
                "opts": self.model._meta,
                "title": _("Join Discussion %(number)s?") % {"number": discussion.number},
            },
        )

    def open_for_order_view(self, request, order_pk):
        """MED-03: open a Discussion on the buyer's behalf from their order."""
        if not request.user.has_perm("discussions.mediate_discussion"):
            raise PermissionDenied
        order = get_object_or_404(Order.objects.select_related("market", "buyer"), pk=order_pk)
        form = OpenOnBehalfForm(request.POST or None, order=order)
        once = Submission.of(request) if request.method == "POST" else None
        if request.method == "POST" and form.is_valid():
            try:
                data = form.cleaned_data
                discussion = services.open_on_buyers_behalf(
                    order,
                    mediator=request.user,
                    line_id=data["line"],
                    reason=data["reason"],
                    expected_solution=data["expected_solution"],
                    note=data["note"],
                    once=once,
                )
            except DomainError as error:
                form.add_error(error.field if error.field in form.fields else None, error.message)
            else:
                self.message_user(request, _("Discussion opened on the buyer's behalf."), messages.SUCCESS)
                return redirect("admin:discussions_discussion_change", discussion.pk)
        if first := already_done(request, once):
            return redirect("admin:discussions_discussion_change", first.result_id)
        context = {
            **self.admin_site.each_context(request),
            "object": order,
            "form": form,
            "title": _("Open a Discussion on the buyer's behalf"),
            "opts": order._meta,
        }
        return TemplateResponse(request, "admin/discussions/decision.html", context)

    def protect_view(self, request, pk):
        discussion = self._get(request, pk)
        return decision_view(
            self,
            request,
            discussion,
            ProtectForm,
            lambda d, user, data: services.grant_allegro_protect(
                d,
                mediator=user,
                amount=data["amount"],
                reason=data["reason"],
                once=data["once"],
                seen_version=data["seen_version"],
            ),
            _("Grant Allegro Protect compensation"),
            _("Compensation granted; the Discussion is resolved."),
            form_kwargs={"discussion": discussion},
            versioned=True,
        )

    def conclude_view(self, request, pk):
        return decision_view(
            self,
            request,
            self._get(request, pk),
            ConcludeForm,
            lambda d, user, data: services.conclude_mediation(
                d,
                mediator=user,
                outcome=data["outcome"],
                reason=data["reason"],
                once=data["once"],
                seen_version=data["seen_version"],
            ),
            _("Conclude the mediation"),
            _("Mediation concluded."),
            versioned=True,
        )

    def reopen_view(self, request, pk):
        return decision_view(
            self,
            request,
            self._get(request, pk),
            ReopenForm,
            lambda d, user, data: services.reopen_at_buyers_request(
                d, mediator=user, reason=data["reason"], once=data["once"], seen_version=data["seen_version"]
            ),
            _("Reopen at the buyer's request"),
            _("The Discussion is open again."),
            versioned=True,
        )

    def post_view(self, request, pk):
        discussion = self._get(request, pk)
        form = MediatorMessageForm(request.POST or None)
        once = Submission.of(request) if request.method == "POST" else None
        if request.method == "POST" and form.is_valid():
            try:
                services.post_message(
                    discussion, author=request.user, role=Role.MEDIATOR, text=form.cleaned_data["text"], once=once
                )
            except DomainError as error:
                if already_done(request, once):
                    return redirect("admin:discussions_discussion_change", pk)
                self.message_user(request, error.message, messages.ERROR)
            else:
                self.message_user(request, _("Message posted as Allegro."), messages.SUCCESS)
                return redirect("admin:discussions_discussion_change", pk)
        return TemplateResponse(
            request,
            "admin/discussions/discussion/post.html",
            {
                **self.admin_site.each_context(request),
                "discussion": discussion,
                "form": form,
                "opts": self.model._meta,
                "title": _("Post in Discussion %(number)s as Allegro") % {"number": discussion.number},
            },
        )


class AssignForm(forms.Form):
    """UX-07: to whom the case goes."""

    assignee = forms.TypedChoiceField(label=_("Mediator"), coerce=int)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.people = {user.pk: user for user in services.mediators()}
        self.fields["assignee"].choices = [(pk, user.username) for pk, user in self.people.items()]


SEEN_ASSIGNEE = "seen_assignee"
ASSIGN_ACTIONS = ("assign", "assign_to_me", "hand_back")


class AssignmentViewMixin:
    """UX-07: the Discussion admin's assignment page (`<pk>/assign/`): the case's
    assignee and the assignments so far; assign to me, to another mediator, hand back.
    The form posts the assignee it showed (SAFE-02) and its form token (SAFE-01)."""

    def assign_view(self, request, pk):
        discussion = self._get(request, pk)
        form = AssignForm(request.POST or None, initial={"assignee": request.user.pk})
        if request.method == "POST":
            action = request.POST.get("action")
            once = Submission.of(request)
            seen = posted_number(request, SEEN_ASSIGNEE)
            to = None
            if action == "assign_to_me":
                to = request.user
            elif action == "assign" and form.is_valid():
                to = form.people.get(form.cleaned_data["assignee"])
            if action in ASSIGN_ACTIONS and (to is not None or action == "hand_back"):
                try:
                    services.assign_case(discussion, mediator=request.user, to=to, seen_assignee=seen, once=once)
                except DomainError as error:
                    if not already_done(request, once):
                        self.message_user(request, error.message, messages.ERROR)
                        return redirect("admin:discussions_discussion_assign", pk)
                else:
                    if to is None:
                        text = _("You handed case %(number)s back; it is unassigned.")
                    elif to.pk == request.user.pk:
                        text = _("Case %(number)s is assigned to you.")
                    else:
                        text = _("Case %(number)s is assigned to %(login)s.")
                    login = to.username if to is not None else ""
                    self.message_user(request, text % {"number": discussion.number, "login": login}, messages.SUCCESS)
                return redirect("admin:discussions_discussion_change", pk)
        return TemplateResponse(
            request,
            "admin/discussions/discussion/assign.html",
            {
                **self.admin_site.each_context(request),
                "discussion": discussion,
                "form": form,
                "seen_assignee": discussion.assignee_id or 0,
                "assignee": discussion.assignee,
                "history": assignment_history(discussion),
                "opts": self.model._meta,
                "title": _("Assignment of case %(number)s") % {"number": discussion.number},
            },
        )


def assignment_history(discussion, limit=20):
    """The case's assignments from the audit trail (MED-07), newest first."""
    from django.contrib.contenttypes.models import ContentType

    from orders.models import AuditRecord

    return list(
        AuditRecord.objects.filter(
            content_type=ContentType.objects.get_for_model(Discussion),
            object_id=str(discussion.pk),
            action__in=["ASSIGN", "UNASSIGN"],
        )
        .select_related("actor")
        .order_by("-at", "-pk")[:limit]
    )
