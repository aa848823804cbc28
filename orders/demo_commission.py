"""Demo commission-refund applications (REB-01…08) for the demo seller *sprzedawca*,
called by `manage.py seed_demo` at the end of its transaction.

Every application is made through the services at past instants, on orders of its own
bought the same way, so statuses, amounts and dates are what the product would have made:
one in each status, both automatic paths (REB-08), and an appeal waiting in the
mediators' queue. Orders are left without any application for the walk-through
(tests/browser/test_commission_flow.py): an unpaid order after its payment deadline, a
paid order the buyer withdrew from, a paid order that does not meet the rules for "the
buyer did not pay", and an unpaid order bought more than 45 days ago.
"""

from datetime import timedelta

from . import commission, services
from .models import CommissionRefund, Offer, Order

DAY, HOUR = timedelta(days=1), timedelta(hours=1)
Reason = CommissionRefund.Reason

APPEAL_TEXT = (
    "Kupujący zapłacił, ale tego samego dnia napisał, że rezygnuje, i nie odebrał paczki — "
    "wróciła do nas po 10 dniach. Proszę o zwrot prowizji."
)


def seed(users, now):
    seller = users["sprzedawca"]
    account = seller.seller_account
    # The orders demo already files an automatic application for the order its buyer
    # cancelled; the applications of this module are the seller's own (MANUAL) ones.
    if CommissionRefund.objects.filter(seller_account=account, type=CommissionRefund.Type.MANUAL).exists():
        return
    buyer, buyer2 = users["kupujacy"], users["kupujacy2"]
    mediator = users["mediator"]
    offers = {offer.title: offer for offer in Offer.objects.filter(seller_account=account)}
    headphones = offers["Słuchawki bezprzewodowe ANC"]
    charger = offers["Ładowarka USB-C 65 W"]
    cable = offers["Kabel HDMI 2.1, 2 m"]

    def buy(offer, who, ago, *, quantity=1, method=Order.PaymentMethod.ONLINE, paid=False):
        order = services.buy_offer(offer, buyer=who, quantity=quantity, payment_method=method, now=now - ago)
        if paid:
            services.pay_order(order, buyer=who, now=now - ago + HOUR)
        return order

    def apply(order, reason, ago, quantities=None):
        quantities = quantities or {line.pk: line.quantity for line in order.lines.all()}
        return commission.apply(order, seller=seller, reason=reason, quantities=quantities, now=now - ago)

    # GRANTED: the buyer never paid; applied after the 7-day payment deadline.
    apply(buy(cable, buyer2, 20 * DAY, quantity=2), Reason.NOT_PAID, 12 * DAY)

    # GRANTED for 2 of 3 units: the buyer stopped answering and never paid (REB-03).
    order = buy(charger, buyer, 16 * DAY, quantity=3)
    apply(order, Reason.NO_CONTACT, 8 * DAY, {order.lines.get().pk: 2})

    # WAITING_FOR_PAYMENT_REFUND: the buyer withdrew from a paid purchase; the seller has
    # not refunded yet (the refund on the order page grants it).
    order = buy(headphones, buyer, 6 * DAY, paid=True)
    services.withdraw_from_paid(order, buyer=buyer, now=now - 3 * DAY)
    apply(order, Reason.BUYER_CANCELLED, 2 * DAY)

    # REJECTED with a date in plain words: "does not respond" on a bank-transfer order
    # whose 14 days to pay had not passed yet.
    order = buy(charger, buyer2, 9 * DAY, method=Order.PaymentMethod.TRADITIONAL_TRANSFER)
    apply(order, Reason.NO_CONTACT, 5 * DAY)

    # APPEALED: "did not pay" on a paid order was rejected; the seller appealed — it
    # waits in the mediators' queue.
    order = buy(headphones, buyer2, 14 * DAY, paid=True)
    rejected = apply(order, Reason.NOT_PAID, 4 * DAY)
    commission.appeal(rejected, seller=seller, text=APPEAL_TEXT, now=now - 4 * DAY + 2 * HOUR)

    # REJECTED_AFTER_APPEAL: a mediator rejected the appeal, with a reason.
    order = buy(cable, buyer, 25 * DAY, paid=True)
    rejected = apply(order, Reason.NOT_PAID, 20 * DAY)
    commission.appeal(rejected, seller=seller, text="Kupujący nie odpowiada na wiadomości.", now=now - 20 * DAY + HOUR)
    commission.decide_appeal(
        rejected,
        mediator=mediator,
        grant=False,
        reason="Zamówienie zostało opłacone i wysłane; brak kontaktu po dostawie nie jest podstawą zwrotu prowizji.",
        now=now - 18 * DAY,
    )

    # CANCELLED: the seller withdrew a waiting application.
    order = buy(charger, buyer2, 11 * DAY, paid=True)
    waiting = apply(order, Reason.BUYER_CANCELLED, 10 * DAY)
    commission.cancel(waiting, seller=seller, now=now - 9 * DAY)

    # AUTOMATIC (REB-08): the buyer cancelled an unpaid purchase …
    order = buy(cable, buyer, 7 * DAY)
    services.cancel_order(order, buyer=buyer, now=now - 6 * DAY)
    # … and the buyer withdrew from a paid one, then the seller refunded it.
    order = buy(charger, buyer, 13 * DAY, paid=True)
    services.withdraw_from_paid(order, buyer=buyer, now=now - 12 * DAY)
    services.refund_order(order, seller=seller, full=True, now=now - 11 * DAY)

    # Left for the walk-through, without applications:
    # an unpaid order after its payment deadline ("the buyer did not pay" → granted),
    buy(headphones, buyer2, 10 * DAY)
    # a paid order the buyer withdrew from ("withdrew" → waiting, then granted on refund),
    order = buy(cable, buyer2, 5 * DAY, paid=True)
    services.withdraw_from_paid(order, buyer=buyer2, now=now - 2 * DAY)
    # and a paid order, for which "the buyer did not pay" is rejected (then appealed).
    buy(charger, buyer2, 4 * DAY, paid=True)
    # An unpaid order from 50 days ago: too late to apply (REB-02, the menu item disabled).
    buy(cable, buyer2, 50 * DAY)
