"""Forms of the order pages. They check the shape of the input; the rules live in
services, whose DomainError is attached back to the form so nothing typed is lost."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from core.forms import DomainErrorFormMixin

from . import commission
from .models import CommissionRefund, Order, Shipment
from .services import MAX_QUANTITY_PER_PURCHASE


class BuyForm(DomainErrorFormMixin, forms.Form):
    quantity = forms.IntegerField(
        label=_("Quantity"),
        min_value=1,
        max_value=MAX_QUANTITY_PER_PURCHASE,
        initial=1,
        error_messages={
            "min_value": _("Enter a quantity of at least 1."),
            "max_value": _("You can buy at most %(limit_value)s pieces at once."),
            "invalid": _("Enter a whole number."),
            "required": _("Enter a quantity."),
        },
    )
    payment_method = forms.ChoiceField(
        label=_("Payment method"),
        choices=Order.PaymentMethod.choices,
        initial=Order.PaymentMethod.ONLINE,
        widget=forms.RadioSelect,
    )


class TrackingForm(DomainErrorFormMixin, forms.Form):
    carrier = forms.ChoiceField(label=_("Carrier"), choices=[("", _("— choose —")), *Shipment.Carrier.choices])
    tracking_number = forms.CharField(
        label=_("Tracking number"),
        max_length=60,
        help_text=_("As printed on the label: letters, digits and hyphens."),
    )


class RefundForm(DomainErrorFormMixin, forms.Form):
    KIND_FULL = "full"
    KIND_LINES = "lines"
    KIND_AMOUNT = "amount"

    kind = forms.ChoiceField(
        label=_("What to refund"),
        choices=[
            (KIND_FULL, _("The full order amount")),
            (KIND_LINES, _("Chosen products")),
            (KIND_AMOUNT, _("An amount")),
        ],
        initial=KIND_FULL,
        widget=forms.RadioSelect,
    )
    amount = forms.DecimalField(
        label=_("Amount"),
        required=False,
        min_value=Decimal("0.01"),
        max_digits=12,
        decimal_places=2,
        error_messages={"min_value": _("The amount must be greater than zero.")},
    )

    def __init__(self, *args, order, **kwargs):
        super().__init__(*args, **kwargs)
        self.order = order
        for line in order.lines.all():
            self.fields[f"line_{line.pk}"] = forms.IntegerField(
                label=line.title,
                required=False,
                min_value=0,
                max_value=line.quantity,
                initial=0,
                error_messages={
                    "max_value": _("At most %(limit_value)s pieces (all that were bought)."),
                    "min_value": _("Enter 0 or more."),
                },
            )

    def line_fields(self):
        return [self[f"line_{line.pk}"] for line in self.order.lines.all()]

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        if kind == self.KIND_AMOUNT and data.get("amount") is None and "amount" not in self.errors:
            self.add_error("amount", _("Enter an amount."))
        if kind == self.KIND_LINES:
            lines = {
                line.pk: data.get(f"line_{line.pk}") or 0
                for line in self.order.lines.all()
                if not self.errors.get(f"line_{line.pk}")
            }
            if not any(lines.values()) and not any(k.startswith("line_") for k in self.errors):
                self.add_error(None, _("Choose at least one product to refund."))
            data["lines"] = {k: v for k, v in lines.items() if v}
        return data

    def service_kwargs(self):
        kind = self.cleaned_data["kind"]
        if kind == self.KIND_FULL:
            return {"full": True}
        if kind == self.KIND_LINES:
            return {"lines": self.cleaned_data["lines"]}
        return {"amount": self.cleaned_data["amount"]}


class SellerOrderFilterForm(forms.Form):
    FILTERS = [
        ("", _("All")),
        ("unpaid", _("Unpaid")),
        ("overdue", _("Payment overdue")),
        ("to_ship", _("To ship")),
        ("with_discussion", _("With Discussion")),
    ]
    show = forms.ChoiceField(choices=FILTERS, required=False)


# --- Commission refunds (REB-01…07) ---------------------------------------------------------


class CommissionRefundForm(DomainErrorFormMixin, forms.Form):
    """REB-01/03: the reason, and per order line a tick and the units to claim. The units a
    line still has (bought − already claimed) bound the input; the service re-checks them
    under a lock, since another application may take them in between."""

    ACTION_RECALCULATE = "recalculate"

    reason = forms.ChoiceField(
        label=_("Why are you applying?"),
        choices=CommissionRefund.Reason.choices,
        widget=forms.RadioSelect,
        help_text=_(
            "The application is decided at once. It is granted when the buyer did not pay or does not respond "
            "and the order is unpaid after its payment deadline; or, when the buyer withdrew, once the order is "
            "cancelled or you have refunded the money for the claimed units through Allegro Finanse."
        ),
        error_messages={"required": _("Choose the reason for the application.")},
    )

    def __init__(self, *args, order, claimed, **kwargs):
        super().__init__(*args, **kwargs)
        self.order = order
        self.lines_errors = []
        self._lines = []
        for line in order.lines.all():
            already = claimed.get(line.pk, 0)
            free = max(line.quantity - already, 0)
            self._lines.append((line, already, free))
            self.fields[f"claim_{line.pk}"] = forms.BooleanField(
                label=_("Claim “%(title)s”") % {"title": line.title},
                required=False,
                initial=free > 0,
                disabled=free == 0,
            )
            self.fields[f"units_{line.pk}"] = forms.IntegerField(
                label=_("Units of “%(title)s”") % {"title": line.title},
                required=False,
                min_value=0,
                max_value=free,
                initial=free,
                disabled=free == 0,
                widget=forms.NumberInput(attrs={"min": 1 if free else 0, "max": free, "inputmode": "numeric"}),
                error_messages={
                    "max_value": ngettext_lazy(
                        "At most %(limit_value)s unit can still be claimed.",
                        "At most %(limit_value)s units can still be claimed.",
                        free,
                    ),
                    "min_value": _("Enter 1 or more."),
                    "invalid": _("Enter a whole number."),
                },
            )

    @property
    def has_free_units(self):
        return any(free for _line, _already, free in self._lines)

    def _raw_units(self, line, free):
        """What the page shows for a line now: the typed units when they are a usable
        number, else none; unticked lines count as none."""
        if not self.is_bound:
            return free
        claim = self[f"claim_{line.pk}"]
        if free == 0 or not claim.field.to_python(claim.data):
            return 0
        try:
            units = int(self[f"units_{line.pk}"].data)
        except (TypeError, ValueError):
            return 0
        return units if 0 <= units <= free else 0

    def rows(self):
        """Per line: the fields, what was bought and claimed, and the commission the
        current units would bring back (REB-05)."""
        rows = []
        for line, already, free in self._lines:
            units = self._raw_units(line, free)
            bound = self[f"units_{line.pk}"]
            if bound.errors:
                bound.field.widget.attrs["aria-describedby"] = f"{bound.auto_id}_error"
            rows.append(
                {
                    "line": line,
                    "claim": self[f"claim_{line.pk}"],
                    "units": self[f"units_{line.pk}"],
                    "claimed": already,
                    "free": free,
                    "units_now": units,
                    "commission": line.commission_per_unit * units,
                }
            )
        return rows

    def total(self):
        """REB-05: the commission of the units shown, computed as the service will."""
        return commission.commission_of(
            [(line, units) for line, units in ((r["line"], r["units_now"]) for r in self.rows()) if units]
        )

    def clean(self):
        data = super().clean()
        quantities = {}
        for line, _already, free in self._lines:
            if free == 0 or not data.get(f"claim_{line.pk}"):
                continue
            field = f"units_{line.pk}"
            if field in self.errors:
                continue
            units = data.get(field)
            if not units:
                self.add_error(field, _("Enter how many units to claim: from 1 to %(free)s.") % {"free": free})
                continue
            quantities[line.pk] = units
        if not quantities and not any(name.startswith("units_") for name in self.errors):
            self._add_lines_error(_("Tick at least one product and its quantity."))
        data["quantities"] = quantities
        return data

    def _add_lines_error(self, message):
        """An error about the products as a whole, shown above their table (and making
        the form invalid like any other error)."""
        self.lines_errors.append(str(message))
        self.add_error(None, message)

    def add_domain_error(self, error):
        if error.field == "lines":
            self._add_lines_error(error.message)
        else:
            super().add_domain_error(error)

    def non_line_errors(self):
        """Form-wide errors other than those shown next to the products table."""
        return [error for error in self.non_field_errors() if error not in self.lines_errors]


class CommissionAppealForm(DomainErrorFormMixin, forms.Form):
    """REB-07: the justification of an appeal (formularz odwołania)."""

    text = forms.CharField(
        label=_("Justification"),
        max_length=commission.MAX_APPEAL,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Explain why the application should be granted, e.g. what happened with the buyer."),
        error_messages={
            "required": _("Write why the application should be granted."),
            "max_length": _("The appeal can have at most %(limit_value)d characters; yours has %(show_value)d."),
        },
    )


class CommissionRefundFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", _("All statuses")), *CommissionRefund.Status.choices], required=False
    )


class RatingRemovalForm(DomainErrorFormMixin, forms.Form):
    """UX-11: *Chcesz usunąć ocenę od kupującego*."""

    order = forms.CharField(
        label=_("Order number"),
        max_length=20,
        help_text=_("As in Zamówienia, e.g. 00000012."),
        error_messages={"required": _("Enter the order number.")},
    )
    reason = forms.ChoiceField(
        label=_("Why should the rating be removed?"),
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose the reason.")},
    )
    text = forms.CharField(
        label=_("Explanation"),
        widget=forms.Textarea(attrs={"rows": 5, "maxlength": 2000}),
        max_length=2000,
        error_messages={
            "required": _("Describe why the rating should be removed."),
            "max_length": _("The explanation can have at most %(limit_value)s characters."),
        },
    )

    def __init__(self, *args, **kwargs):
        from .models import RatingRemovalRequest

        super().__init__(*args, **kwargs)
        self.fields["reason"].choices = RatingRemovalRequest.Reason.choices
