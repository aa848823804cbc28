"""UX-10: the evidence step of the inactive-buyers wizard lists only that buyer's orders
from this account in the last 180 days, newest first, each linked to the order and
marked with what went wrong (unpaid, cancelled, Discussion, refund); an order's payment
reads the same there as in Zamówienia."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from orders import services as order_services
from tests.buyers.test_views import start, step_url, wizard_token
from tests.discussions.conftest import make_order, open_discussion
from tests.factories import OfferFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 10, 11, 0, tzinfo=UTC)
DAY = timedelta(days=1)


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def history(seller, seller_account, buyer, other_seller_account):
    """The buyer's orders: fine, unpaid past its deadline, cancelled, with a Discussion,
    refunded in full — one a day, newest last; one too old, one from another account."""
    offer = OfferFactory(seller_account=seller_account, title="Cable", stock=100)
    orders = {}
    orders["fine"] = make_order(offer, buyer, now=NOW - 30 * DAY)
    orders["unpaid"] = make_order(offer, buyer, now=NOW - 29 * DAY, paid=False)
    orders["cancelled"] = make_order(offer, buyer, now=NOW - 28 * DAY, paid=False)
    order_services.cancel_order(orders["cancelled"], buyer=buyer, now=NOW - 28 * DAY + timedelta(hours=1))
    orders["discussion"] = make_order(offer, buyer, now=NOW - 27 * DAY)
    open_discussion(orders["discussion"], now=NOW - 27 * DAY + timedelta(hours=2))
    orders["refunded"] = make_order(offer, buyer, now=NOW - 26 * DAY)
    order_services.refund_order(orders["refunded"], seller=seller, full=True, now=NOW - 25 * DAY)
    old = make_order(offer, buyer, now=NOW - 181 * DAY)
    elsewhere = make_order(OfferFactory(seller_account=other_seller_account), buyer, now=NOW - DAY)
    return orders, old, elsewhere


def _items(page):
    """Each listed order's markup, in the page's order, by its pk."""
    return [(int(pk), item) for pk, item in re.findall(r'name="orders" value="(\d+)"(.*?)</label>', page, flags=re.S)]


def test_ux_10_evidence_lists_only_the_buyers_recent_orders_here_newest_first_linked_and_marked(
    client, seller, history
):
    orders, old, elsewhere = history
    client.force_login(seller)
    page = client.get(step_url(wizard_token(start(client, "buyer")), "evidence")).content.decode()
    items = _items(page)
    by_name = {name: order.pk for name, order in orders.items()}
    newest_first = ("refunded", "discussion", "cancelled", "unpaid", "fine")
    assert [pk for pk, _item in items] == [by_name[n] for n in newest_first]
    assert not {old.pk, elsewhere.pk} & {pk for pk, _item in items}
    item = dict(items)
    for name, order in orders.items():
        assert f'href="{order.get_seller_url()}"' in item[order.pk], name
    assert "Bez zapisanych problemów" in item[by_name["fine"]]
    assert "problem-unpaid" in item[by_name["unpaid"]]
    assert "problem-cancelled" in item[by_name["cancelled"]]
    assert "problem-discussion" in item[by_name["discussion"]]
    assert "problem-refund" in item[by_name["refunded"]]
    assert "Co poszło nie tak:" in item[by_name["refunded"]]


def test_ux_10_an_orders_payment_reads_the_same_in_the_wizard_as_in_zamowienia(client, seller, history):
    orders, _old, _elsewhere = history
    client.force_login(seller)
    page = client.get(step_url(wizard_token(start(client, "buyer")), "evidence")).content.decode()
    unpaid = dict(_items(page))[orders["unpaid"].pk]
    assert "Po terminie płatności" in unpaid
    assert "Oczekuje na płatność" not in unpaid
    in_orders = client.get(orders["unpaid"].get_seller_url()).content.decode()
    assert "Po terminie płatności" in in_orders
    assert "Zwrócono" in dict(_items(page))[orders["refunded"].pk]


def test_ux_10_the_summary_marks_the_chosen_orders_the_same_way(client, seller, history):
    orders, _old, _elsewhere = history
    client.force_login(seller)
    token = wizard_token(start(client, "buyer"))
    chosen = [orders[n].pk for n in ("unpaid", "cancelled", "discussion")]
    response = client.post("/seller/inactive-buyers/add/", {"wizard": token, "step": "evidence", "orders": chosen})
    assert response.status_code == 302, response.content.decode()[:3000]
    page = client.get(step_url(token, "summary")).content.decode()
    assert "problem-unpaid" in page and "problem-cancelled" in page and "problem-discussion" in page
    assert "Po terminie płatności" in page
