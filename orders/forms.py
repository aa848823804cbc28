"""Forms of the order pages. They check the shape of the input; the rules live in
services, whose DomainError is attached back to the form so nothing typed is lost."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import DomainErrorFormMixin

from .models import Order, Shipment
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
