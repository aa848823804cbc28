"""The entries of *Moi nieaktywni kupujący* as the tab shows them, computed once per
request (issue 13, STYLE §9): each entry's facts with instants already in the market's
zone and format, labels translated once, URLs built from one reversed prefix, the
evidence read in two queries for the whole page. See orders.presenters for why."""

from types import SimpleNamespace

from django.template.defaultfilters import linebreaksbr
from django.utils.html import escape
from django.utils.safestring import SafeString
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from orders.presenters import Formats, fragment, url_maker

from .models import BlockReason, EvidenceImage, InactiveBuyer

ENTRY_FIELDS = (
    "pk",
    "buyer__username",
    "reason",
    "note",
    "added_at",
    "expires_at",
    "removed_at",
    "removal",
    "source_id",
    "source__seller_account__display_name",
)


class TabEntries:
    """BLK-01/02: the entries of one page of the tab, in the account's market."""

    def __init__(self, market, now):
        self.now = now
        self.zone = market.time_zone
        self.formats = Formats()
        self.remove_url = url_maker("buyers:remove")
        self.evidence_url = url_maker("buyers:evidence")
        self.thumbnail_url = url_maker("buyers:evidence_thumbnail")
        self.order_url = url_maker("orders:seller_order_detail")
        self.trash_icon = fragment("buyers/includes/trash_icon.html", None, dict, get_language())
        self.reasons = {value: str(label) for value, label in BlockReason.choices}
        self.removals = {value: str(label) for value, label in InactiveBuyer.Removal.choices}
        self.remove_label = _("Remove %(login)s from the tab")
        self.copied_label = _("Copied from the linked account %(account)s")
        self.evidence_label = _("Evidence: %(name)s")
        self.order_label = _("Order %(number)s")
        self.labels = {
            key: escape(label)
            for key, label in {
                "reason": _("Reason"),
                "added": _("Added"),
                "removed": _("Removed"),
                "until": _("In the tab until"),
                "expired": _("Expired"),
                "note": _("Note"),
                "evidence": _("Evidence"),
            }.items()
        }

    def entries(self, rows):
        """`rows`: dicts of ENTRY_FIELDS, in the page's order."""
        own = [row["pk"] for row in rows if row["source_id"] is None]
        images, orders = {}, {}
        if own:
            pictures = EvidenceImage.objects.filter(entry_id__in=own).order_by("pk")
            for entry_id, pk, name in pictures.values_list("entry_id", "pk", "original_name"):
                images.setdefault(entry_id, []).append((pk, name))
            through = InactiveBuyer.orders.through.objects.filter(inactivebuyer_id__in=own)
            for entry_id, order_id in through.order_by("order__created_at", "order_id").values_list(
                "inactivebuyer_id", "order_id"
            ):
                orders.setdefault(entry_id, []).append(order_id)
        return [self.entry(row, images.get(row["pk"]), orders.get(row["pk"])) for row in rows]

    def _time(self, value, *, title=False):
        formats, zone = self.formats, self.zone
        if title:
            return (
                f'<time datetime="{formats.iso(value, zone)}" title="{formats.time(value, zone)}">'
                f"{formats.date(value, zone)}</time>"
            )
        return f'<time datetime="{formats.iso(value, zone)}">{formats.time(value, zone)}</time>'

    def _evidence(self, row, images, orders):
        if row["source_id"] is not None:
            account = escape(row["source__seller_account__display_name"])
            return self.copied_label % {"account": account}
        if images:
            items = "".join(
                f'\n              <li><a href="{self.evidence_url(pk)}" target="_blank" rel="noopener">\n'
                f'                <img src="{self.thumbnail_url(pk)}" '
                f'alt="{self.evidence_label % {"name": escape(name)}}" width="128" height="96" loading="lazy">\n'
                f"              </a></li>"
                for pk, name in images
            )
            return f'<ul class="evidence-thumbs">{items}\n          </ul>'
        if orders:
            items = "".join(
                f'\n              <li><a href="{self.order_url(pk)}">{self.order_label % {"number": f"{pk:08d}"}}'
                f"</a></li>"
                for pk in orders
            )
            return f'<ul class="inline-list">{items}\n          </ul>'
        return "—"

    def entry(self, row, images, orders):
        labels, pk = self.labels, row["pk"]
        login = escape(row["buyer__username"])
        remove = ""
        if row["removed_at"] is None:
            label = self.remove_label % {"login": login}
            remove = (
                f'<a class="icon-button" href="{self.remove_url(pk)}" aria-label="{label}" title="{label}">'
                f"{self.trash_icon}</a>"
            )
        facts = [
            f"<dt>{labels['reason']}</dt>",
            f"<dd>{escape(self.reasons.get(row['reason'], row['reason']))}</dd>",
            f"<dt>{labels['added']}</dt>",
            f"<dd>{self._time(row['added_at'])}</dd>",
        ]
        if row["removed_at"] is not None:
            removal = escape(self.removals.get(row["removal"], row["removal"]))
            facts += [f"<dt>{labels['removed']}</dt>", f"<dd>{self._time(row['removed_at'])} · {removal}</dd>"]
        else:
            state = labels["until"] if row["expires_at"] > self.now else labels["expired"]
            facts += [f"<dt>{state}</dt>", f"<dd>{self._time(row['expires_at'], title=True)}</dd>"]
        if row["note"]:
            facts += [f"<dt>{labels['note']}</dt>", f'<dd class="entry-note">{linebreaksbr(row["note"])}</dd>']
        facts += [
            f"<dt>{labels['evidence']}</dt>",
            f"<dd>\n        {self._evidence(row, images, orders)}\n      </dd>",
        ]
        return SimpleNamespace(pk=pk, login=login, remove=SafeString(remove), facts=SafeString("\n      ".join(facts)))
