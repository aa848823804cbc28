"""Forms of the Discussion pages: shape only; the rules are in services and rules."""

from django import forms
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.forms import DomainErrorFormMixin, MultipleFileField

from .models import Reason, Report, Solution
from .services import MAX_ATTACHMENTS, MAX_COMPLAINT_LENGTH, MAX_MESSAGE_LENGTH


def _files_help():
    return gettext("Up to %(count)s files: JPEG, PNG, WebP or PDF, at most 10 MB each.") % {"count": MAX_ATTACHMENTS}


# Interpolated when shown, in the reader's language (not once at import, in the default one).
FILES_HELP = lazy(_files_help, str)()


class OpenDiscussionForm(DomainErrorFormMixin, forms.Form):
    line = forms.TypedChoiceField(label=_("Product"), coerce=int, widget=forms.RadioSelect)
    reason = forms.ChoiceField(label=_("Reason"), choices=Reason.choices, widget=forms.RadioSelect)
    expected_solution = forms.ChoiceField(
        label=_("Expected solution"),
        choices=[("", _("— choose (only for a problem with the product) —")), *Solution.choices],
        required=False,
    )
    expected_amount = forms.DecimalField(
        label=_("Partial refund: amount"), required=False, max_digits=12, decimal_places=2
    )
    expected_percent = forms.IntegerField(label=_("or percentage"), required=False)
    text = forms.CharField(
        label=_("Your message (optional)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5, "maxlength": MAX_MESSAGE_LENGTH}),
        max_length=MAX_MESSAGE_LENGTH,
    )
    files = MultipleFileField(label=_("Attachments (optional)"), help_text=FILES_HELP)

    def __init__(self, *args, order, **kwargs):
        super().__init__(*args, **kwargs)
        lines = list(order.lines.all())
        self.fields["line"].choices = [(line.pk, f"{line.title} × {line.quantity}") for line in lines]
        if len(lines) == 1:
            self.fields["line"].initial = lines[0].pk


class MessageForm(DomainErrorFormMixin, forms.Form):
    text = forms.CharField(
        label=_("Your message"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": MAX_MESSAGE_LENGTH}),
        max_length=MAX_MESSAGE_LENGTH,
        error_messages={"max_length": _("A message can have at most %(limit_value)s characters.")},
    )
    files = MultipleFileField(label=_("Attachments"), help_text=FILES_HELP)


class ProposalForm(DomainErrorFormMixin, forms.Form):
    solution = forms.ChoiceField(label=_("Your solution"), choices=Solution.choices)
    amount = forms.DecimalField(label=_("Partial refund: amount"), required=False, max_digits=12, decimal_places=2)
    percent = forms.IntegerField(label=_("or percentage"), required=False)
    requires_return = forms.BooleanField(label=_("The product must be sent back first"), required=False)


class ReportForm(DomainErrorFormMixin, forms.Form):
    category = forms.ChoiceField(
        label=_("The message contains"), choices=Report.Category.choices, widget=forms.RadioSelect
    )
    comment = forms.CharField(
        label=_("Comment (optional)"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )


STATUS_CHOICES = [
    ("", _("All statuses")),
    ("IN_PROGRESS", _("In progress")),
    ("RESOLVED", _("Resolved")),
    ("UNRESOLVED", _("Unresolved")),
]
# UX-06: the buyer's list filters by the same statuses.
BUYER_STATUS_CHOICES = STATUS_CHOICES


class DiscussionFilterForm(forms.Form):
    status = forms.ChoiceField(required=False, choices=STATUS_CHOICES)
    show = forms.ChoiceField(
        required=False,
        choices=[("", _("All")), ("needs_reply", _("Needing reply")), ("overdue", _("Overdue"))],
    )
    reason = forms.ChoiceField(required=False, choices=[("", _("All reasons")), *Reason.choices])
    market = forms.ChoiceField(
        required=False, choices=[("", _("All markets")), ("PL", "PL"), ("CZ", "CZ"), ("SK", "SK"), ("HU", "HU")]
    )


class BlockComplaintForm(DomainErrorFormMixin, forms.Form):
    """MED-09: the seller's complaint against a block of their account."""

    text = forms.CharField(
        label=_("Why the block should be lifted"),
        help_text=_("Describe the facts. An Allegro employee other than the one who blocked your account will decide."),
        widget=forms.Textarea(attrs={"rows": 8, "maxlength": MAX_COMPLAINT_LENGTH}),
        max_length=MAX_COMPLAINT_LENGTH,
        error_messages={
            "required": _("Write why the block should be lifted."),
            "max_length": _("A complaint can have at most %(limit_value)s characters."),
        },
    )
