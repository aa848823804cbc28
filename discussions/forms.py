"""Forms of the Discussion pages: shape only; the rules are in services and rules."""

from django import forms
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.forms import DomainErrorFormMixin, MultipleFileField
from core.money import currency_symbol, money

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
        label=_("Partial refund: amount"),
        required=False,
        max_digits=12,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"min": "0.01", "step": "0.01", "inputmode": "decimal"}),
    )
    expected_percent = forms.IntegerField(
        label=_("or percentage"),
        required=False,
        help_text=_("Enter a whole percentage from 1 to 99."),
        widget=forms.NumberInput(attrs={"min": "1", "max": "99", "step": "1"}),
    )
    text = forms.CharField(
        label=_("Your message (optional)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5, "maxlength": MAX_MESSAGE_LENGTH}),
        max_length=MAX_MESSAGE_LENGTH,
    )
    files = MultipleFileField(label=_("Attachments (optional)"), help_text=FILES_HELP)

    def __init__(self, *args, order, busy_lines=(), **kwargs):
        """UX-02: only the products without an open Discussion (`busy_lines`) can be
        chosen; each shows its value, the most a partial refund can be, in the market's
        currency, which the amount's help and limits repeat."""
        super().__init__(*args, **kwargs)
        currency = order.market.currency
        lines = [line for line in order.lines.all() if line.pk not in set(busy_lines)]
        self.fields["line"].choices = [
            (line.pk, f"{line.title} × {line.quantity} — {money(line.total, currency)}") for line in lines
        ]
        amount = self.fields["expected_amount"]
        amount.widget.attrs["data-currency"] = currency_symbol(currency)
        amount.label = f"{amount.label} ({currency_symbol(currency)})"
        if len(lines) == 1:
            self.fields["line"].initial = lines[0].pk
            amount.widget.attrs["max"] = str(lines[0].total)
            amount.help_text = _("More than 0 and at most %(max)s, the product's value.") % {
                "max": money(lines[0].total, currency)
            }
        else:
            amount.help_text = _("More than 0 and at most the chosen product's value, shown next to it.")
        self.line_values = {str(line.pk): str(line.total) for line in lines}


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
    # UX-05: each select's label is read by screen readers in the reader's language.
    status = forms.ChoiceField(label=_("Status"), required=False, choices=STATUS_CHOICES)
    show = forms.ChoiceField(
        label=_("Show"),
        required=False,
        choices=[("", _("All")), ("needs_reply", _("Needing reply")), ("overdue", _("Overdue"))],
    )
    reason = forms.ChoiceField(label=_("Reason"), required=False, choices=[("", _("All reasons")), *Reason.choices])
    market = forms.ChoiceField(
        label=_("Market"),
        required=False,
        choices=[("", _("All markets")), ("PL", "PL"), ("CZ", "CZ"), ("SK", "SK"), ("HU", "HU")],
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
