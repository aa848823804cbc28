"""Commission refund applications, *rabat transakcyjny* (orders.presenters, REB-06):
the account's list and an order page's items."""

from types import SimpleNamespace

from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from ..models import CommissionRefund
from .base import HTML_ESCAPES, Formats, Row, commission_refund_badge, order_number, url_maker

COMMISSION_REFUND_FIELDS = (
    "pk",
    "order_id",
    "reason",
    "type",
    "status",
    "amount",
    "created_at",
    "decided_at",
    "order__market__time_zone",
    "order__market__currency",
)


def _application_number(pk):
    return f"R{pk:07d}"


class CommissionRefundRows:
    """REB-06: the applications of an account, as its list and an order's page show them."""

    def __init__(self):
        self.language = get_language()
        self.formats = Formats()
        self.url = url_maker("orders:commission_refund_detail")
        self.order_url = url_maker("orders:seller_order_detail")
        self.reasons = {value: str(label) for value, label in CommissionRefund.Reason.choices}
        self.types = {value: str(label) for value, label in CommissionRefund.Type.choices}
        self.statuses = {value: str(label) for value, label in CommissionRefund.Status.choices}
        self.labels = {
            "order": escape(_("Order")),
            "type": escape(_("Type")),
            "amount": escape(_("Commission to refund")),
            "filed": escape(_("Filed")),
            "decided": escape(_("Decided")),
        }

    def badge(self, status):
        return commission_refund_badge(status, self.statuses.get(status, status), self.language)

    def row(self, application):
        """A row of the account's list; `application`: a dict of COMMISSION_REFUND_FIELDS."""
        labels, zone = self.labels, application["order__market__time_zone"]
        pk, order_pk, decided_at = application["pk"], application["order_id"], application["decided_at"]
        decided = self.formats.time_tag(decided_at, zone, short=True) if decided_at else "—"
        kind = self.types.get(application["type"], application["type"]).translate(HTML_ESCAPES)
        amount = self.formats.money(application["amount"], application["order__market__currency"])
        reason = self.reasons.get(application["reason"], application["reason"]).translate(HTML_ESCAPES)
        filed = self.formats.time_tag(application["created_at"], zone, short=True)
        return Row(
            f"""
    <tr>
      <td><a href="{self.url(pk)}">{_application_number(pk)}</a></td>
      <td><span class="cell-label">{labels["order"]}:</span> <a href="{self.order_url(order_pk)}">{order_number(order_pk)}</a></td>
      <td>{reason}</td>
      <td><span class="cell-label">{labels["type"]}:</span> {kind}</td>
      <td>{self.badge(application["status"])}</td>
      <td class="num"><span class="cell-label">{labels["amount"]}:</span> {amount}</td>
      <td class="date"><span class="cell-label">{labels["filed"]}:</span> {filed}</td>
      <td class="date"><span class="cell-label">{labels["decided"]}:</span> {decided}</td>
    </tr>""",  # noqa: E501
            pk,
        )

    def of_order(self, pk, reason, amount, status, currency):
        """An item of an order page's list of applications."""
        return SimpleNamespace(
            link=mark_safe(f'<a href="{self.url(pk)}">{_application_number(pk)}</a>'),
            reason=self.reasons.get(reason, reason),
            amount=mark_safe(self.formats.money(amount, currency)),
            status=mark_safe(self.badge(status)),
        )
