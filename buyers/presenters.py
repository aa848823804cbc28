"""The entries of *Moi nieaktywni kupujący* as the tab shows them, computed once per
request (issue 13, STYLE §9): each entry's facts with instants already in the market's
zone and format, labels translated once, URLs built from one reversed prefix, the
evidence read in two queries for the whole page. See orders.presenters for why."""

from django.db import connection
from django.utils.html import escape
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from orders.models import Order
from orders.presenters import HTML_ESCAPES, Formats, Row, fragment, rows_for_ids, url_maker

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


def _evidence_sql():
    """The SQL of the evidence of a page's entries (for orders.presenters.rows_for_ids):
    their pictures, and their orders oldest first."""
    quote = connection.ops.quote_name
    image, through = EvidenceImage._meta, InactiveBuyer.orders.through._meta
    image_entry = quote(image.get_field("entry").column)
    entry, order = (quote(through.get_field(name).column) for name in ("inactivebuyer", "order"))
    orders_table, created_at = quote(Order._meta.db_table), quote(Order._meta.get_field("created_at").column)
    images = (
        f"SELECT {image_entry}, id, {quote(image.get_field('original_name').column)} FROM {quote(image.db_table)} "
        f"WHERE {image_entry} IN ({{ids}}) ORDER BY id"
    )
    orders = (
        f"SELECT t.{entry}, t.{order} FROM {quote(through.db_table)} t JOIN {orders_table} o ON o.id = t.{order} "
        f"WHERE t.{entry} IN ({{ids}}) ORDER BY o.{created_at}, o.id"
    )
    return images, orders


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
            images_sql, orders_sql = _evidence_sql()
            for entry_id, pk, name in rows_for_ids(images_sql, own):
                images.setdefault(entry_id, []).append((pk, name))
            for entry_id, order_id in rows_for_ids(orders_sql, own):
                orders.setdefault(entry_id, []).append(order_id)
        return [self.entry(row, images.get(row["pk"]), orders.get(row["pk"])) for row in rows]

    def _evidence(self, row, images, orders):
        if row["source_id"] is not None:
            account = row["source__seller_account__display_name"].translate(HTML_ESCAPES)
            return self.copied_label % {"account": account}
        if images:
            items = "".join(
                f'\n              <li><a href="{self.evidence_url(pk)}" target="_blank" rel="noopener">\n'
                f'                <img src="{self.thumbnail_url(pk)}" '
                f'alt="{self.evidence_label % {"name": name.translate(HTML_ESCAPES)}}" '
                f'width="128" height="96" loading="lazy">\n'
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
        labels, pk, zone, time_tag = self.labels, row["pk"], self.zone, self.formats.time_tag
        login = row["buyer__username"].translate(HTML_ESCAPES)
        remove = ""
        if row["removed_at"] is None:
            label = self.remove_label % {"login": login}
            remove = (
                f'<a class="icon-button" href="{self.remove_url(pk)}" aria-label="{label}" title="{label}">'
                f"{self.trash_icon}</a>"
            )
        reason = self.reasons.get(row["reason"], row["reason"]).translate(HTML_ESCAPES)
        facts = [
            f"<dt>{labels['reason']}</dt>",
            f"<dd>{reason}</dd>",
            f"<dt>{labels['added']}</dt>",
            f"<dd>{time_tag(row['added_at'], zone)}</dd>",
        ]
        if row["removed_at"] is not None:
            removal = self.removals.get(row["removal"], row["removal"]).translate(HTML_ESCAPES)
            facts += [f"<dt>{labels['removed']}</dt>", f"<dd>{time_tag(row['removed_at'], zone)} · {removal}</dd>"]
        else:
            state = labels["until"] if row["expires_at"] > self.now else labels["expired"]
            facts += [f"<dt>{state}</dt>", f"<dd>{time_tag(row['expires_at'], zone, short=True)}</dd>"]
        if row["note"]:
            # As `linebreaksbr` shows it: escaped, newlines normalized, then <br>.
            note = row["note"].translate(HTML_ESCAPES).replace("\r\n", "\n").replace("\r", "\n").replace("\n", "<br>")
            facts += [f"<dt>{labels['note']}</dt>", f'<dd class="entry-note">{note}</dd>']
        facts += [
            f"<dt>{labels['evidence']}</dt>",
            f"<dd>\n        {self._evidence(row, images, orders)}\n      </dd>",
        ]
        facts = "\n      ".join(facts)
        return Row(
            f"""
  <li class="panel entry">
    <div class="entry-head">
      <h2 class="entry-login">{login}</h2>
      {remove}
    </div>
    <dl class="facts">
      {facts}
    </dl>
  </li>""",
            pk,
        )
