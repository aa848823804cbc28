"""Demo Discussions in every status, reason and market (connected to
`orders.signals.demo_data_seeded`). Made through the services at past instants, so
their deadlines, messages and history are what the product itself would have made."""

from datetime import timedelta

from orders import services as orders
from orders.models import Order, Shipment

from . import services, tasks
from .models import Discussion, Message, Reason, Report, Role, Solution

DAY, HOUR = timedelta(days=1), timedelta(hours=1)


def seed(sender=None, *, users, offers, now, **kwargs):
    if Discussion.objects.filter(buyer__username__in=["kupujacy", "kupujacy2", "kupujici_cz"]).exists():
        return
    buyer, buyer2, buyer_cz = users["kupujacy"], users["kupujacy2"], users["kupujici_cz"]
    seller, seller_cz = users["sprzedawca"], users["sprzedawca_cz"]
    mediator = users["mediator"]
    headphones = offers["Słuchawki bezprzewodowe ANC"]
    charger = offers["Ładowarka USB-C 65 W"]
    cable = offers["Kabel HDMI 2.1, 2 m"]

    def paid(offer, who, ago, service=Order.Service.ALLEGRO):
        order = orders.buy_offer(
            offer, buyer=who, quantity=1, payment_method=Order.PaymentMethod.ONLINE, now=now - ago, service=service
        )
        orders.pay_order(order, buyer=who, now=now - ago + timedelta(minutes=10))
        return order

    def open_(order, ago, reason, text="", **kw):
        return services.open_discussion(
            order, buyer=order.buyer, line_id=order.lines.get().pk, reason=reason, text=text, now=now - ago, **kw
        )

    def say(discussion, who, role, ago, text):
        discussion.refresh_from_db()
        services.post_message(discussion, author=who, role=role, text=text, now=now - ago)

    # 1. Just opened, waiting for the seller (NOT_RECEIVED, PL).
    open_(paid(cable, buyer, 4 * DAY), 2 * HOUR, Reason.NOT_RECEIVED, "Dzień dobry, paczka jeszcze nie dotarła.")

    # 2. Product problem with a partial refund expected; the seller proposes their own solution.
    d = open_(
        paid(headphones, buyer, 9 * DAY),
        3 * DAY,
        Reason.PRODUCT_PROBLEM,
        "Lewa słuchawka trzeszczy przy wyższej głośności.",
        expected_solution=Solution.PARTIAL_REFUND,
        expected_percent=20,
    )
    say(d, seller, Role.SELLER, 2 * DAY, "Przykro nam. Możemy wymienić słuchawki na nowe — proszę o odesłanie.")
    d.refresh_from_db()
    services.propose_solution(
        d, seller=seller, solution=Solution.REPLACEMENT, requires_return=True, now=now - 2 * DAY + HOUR
    )

    # 3. Seller overdue (no reply within 24 business hours).
    open_(paid(charger, buyer2, 8 * DAY), 4 * DAY, Reason.NOT_RECEIVED, "Gdzie jest moja ładowarka?")

    # 4. Delivered 3 hours ago: closes automatically unless the buyer objects (DSC-20b).
    order = paid(cable, buyer2, 5 * DAY)
    d = open_(order, 2 * DAY, Reason.NOT_RECEIVED)
    orders.enter_tracking(
        order, seller=seller, carrier=Shipment.Carrier.INPOST, tracking_number="DEMO-PL-1004", now=now - 2 * DAY + HOUR
    )
    orders.mark_handed_over(order, seller=seller, now=now - 2 * DAY + 2 * HOUR)
    orders.simulate_carrier_delivery(Shipment.Carrier.INPOST, "DEMO-PL-1004", delivered_at=now - 3 * HOUR)
    orders.record_delivery(Shipment.objects.get(order=order), delivered_at=now - 3 * HOUR, now=now - 3 * HOUR)

    # 5. Resolved by the buyer (withdrawal problem).
    d = open_(paid(charger, buyer, 20 * DAY), 12 * DAY, Reason.WITHDRAWAL_PROBLEM, "Chcę odstąpić od umowy.")
    say(d, seller, Role.SELLER, 12 * DAY - 3 * HOUR, "Oczywiście, proszę odesłać produkt na adres z oferty.")
    d.refresh_from_db()
    services.mark_resolved(d, buyer=buyer, now=now - 10 * DAY)

    # 6. Closed automatically by a full refund (no refund of the payment).
    order = paid(headphones, buyer2, 18 * DAY)
    open_(order, 10 * DAY, Reason.NO_PAYMENT_REFUND, "Anulowałem zamówienie, a pieniądze nie wróciły.")
    orders.refund_order(order, seller=seller, full=True, now=now - 9 * DAY)

    # 7. Marked unresolved after 14 days: in the mediators' queue.
    d = open_(
        paid(headphones, buyer, 25 * DAY),
        20 * DAY,
        Reason.PRODUCT_PROBLEM,
        "Słuchawki nie ładują się.",
        expected_solution=Solution.REPAIR,
    )
    say(d, seller, Role.SELLER, 19 * DAY, "Proszę o film pokazujący problem.")
    say(d, buyer, Role.BUYER, 18 * DAY, "Wysłałem film mailem, bez odpowiedzi.")
    d.refresh_from_db()
    services.mark_unresolved(d, buyer=buyer, now=now - 2 * DAY)

    # 8. Seller overdue and the buyer asked Allegro for help: in the mediators' queue.
    d = open_(paid(charger, buyer2, 9 * DAY), 5 * DAY, Reason.NOT_RECEIVED, "Brak kontaktu ze sprzedającym.")
    tasks.mark_seller_overdue(now=now - 2 * DAY)
    d.refresh_from_db()
    services.ask_for_help(d, buyer=buyer2, now=now - 1 * DAY)

    # 9. Reopened once by the buyer.
    d = open_(paid(cable, buyer, 30 * DAY), 15 * DAY, Reason.NO_REFUND_AFTER_RETURN, "Odesłałem kabel 10 dni temu.")
    say(d, seller, Role.SELLER, 15 * DAY - 2 * HOUR, "Zwrot zlecimy po otrzymaniu paczki.")
    d.refresh_from_db()
    services.mark_resolved(d, buyer=buyer, now=now - 12 * DAY)
    d.refresh_from_db()
    services.reopen_discussion(d, buyer=buyer, now=now - 1 * DAY)

    # 10. Not marked for 30 days: resolved automatically (EXPIRED).
    d = open_(paid(cable, buyer2, 45 * DAY), 40 * DAY, Reason.PRODUCT_PROBLEM, expected_solution=Solution.REPLACEMENT)
    say(d, seller, Role.SELLER, 40 * DAY - HOUR, "Wymiana wysłana.")
    tasks.auto_resolve(now=now - 10 * DAY + HOUR)

    # 11. Allegro joined and wrote; the seller did not answer Allegro in time (MED-08).
    d = open_(paid(charger, buyer, 12 * DAY), 7 * DAY, Reason.NOT_RECEIVED, "Sprzedawca nie odpowiada.")
    tasks.mark_seller_overdue(now=now - 5 * DAY)
    d.refresh_from_db()
    services.ask_for_help(d, buyer=buyer, now=now - 5 * DAY + HOUR)
    d.refresh_from_db()
    services.join_discussion(d, mediator=mediator, now=now - 4 * DAY)
    d.refresh_from_db()
    services.post_message(
        d, author=mediator, role=Role.MEDIATOR, text="Prosimy sprzedającego o numer przewozowy.", now=now - 4 * DAY
    )
    tasks.mark_seller_overdue(now=now - 1 * DAY)

    # 12. Czech market, on the linked account; the seller replied.
    d = open_(
        paid(offers["Bezdrátová sluchátka ANC"], buyer_cz, 6 * DAY),
        2 * DAY,
        Reason.PRODUCT_PROBLEM,
        "Sluchátka nejdou spárovat.",
        expected_solution=Solution.REFUND,
    )
    say(d, seller_cz, Role.SELLER, 2 * DAY - 3 * HOUR, "Zkuste prosím reset podle návodu, případně vrátíme peníze.")

    # 13. Allegro Lokalnie (7-day rule does not apply).
    open_(
        paid(offers["Sekator ogrodowy"], buyer2, 3 * DAY, service=Order.Service.ALLEGRO_LOKALNIE),
        1 * DAY,
        Reason.NOT_RECEIVED,
    )

    # 14. A report of a threat in a seller's message, waiting for moderation (RPT-02).
    d = open_(
        paid(headphones, buyer2, 6 * DAY),
        3 * DAY,
        Reason.PRODUCT_PROBLEM,
        "Obudowa pękła po tygodniu.",
        expected_solution=Solution.REPLACEMENT,
    )
    say(d, seller, Role.SELLER, 3 * DAY - HOUR, "Jak Pan napisze złą opinię, to pożałuje Pan tego.")
    services.report_message(
        Message.objects.filter(discussion=d, author=seller).latest("created_at"),
        reporter=buyer2,
        category=Report.Category.THREAT,
        comment="Sprzedający mi grozi.",
        now=now - 2 * DAY,
    )

    # 15. A seller account over the unresolved threshold (MED-09): five open UNRESOLVED.
    remote = offers["Pilot uniwersalny"]
    for i in range(5):
        d = open_(paid(remote, buyer if i % 2 else buyer2, 20 * DAY), 12 * DAY - i * HOUR, Reason.NOT_RECEIVED)
        d.refresh_from_db()
        services.mark_unresolved(d, buyer=d.buyer, now=now - 3 * DAY + i * HOUR)

    # 16. A blocked seller account (MED-09) whose seller filed a complaint (DSA art. 20):
    # it waits for a mediator other than the one who blocked.
    d = open_(paid(offers["Smartwatch Fit 2"], buyer, 15 * DAY), 10 * DAY, Reason.NOT_RECEIVED, "Nie dostałem zegarka.")
    d.refresh_from_db()
    services.mark_unresolved(d, buyer=buyer, now=now - 3 * DAY)
    block = services.block_seller_account(
        d.seller_account,
        mediator=mediator,
        rule="Regulamin Allegro, Załącznik 6 — obowiązek wyjaśnienia zgłoszonych problemów",
        statement="Nie odpowiedział Pan na zgłoszenie kupującego ani na wiadomość Allegro w Dyskusji.",
        discussions=[d],
        now=now - 2 * DAY,
    )
    services.file_block_complaint(
        block,
        seller_user=users["okazje24"],
        text="Zegarek został wysłany, numer przesyłki podałem kupującemu telefonicznie.",
        now=now - 1 * DAY,
    )

    # Bring every sweep up to now, as the scheduler would have.
    tasks.mark_seller_overdue(now=now)
    tasks.send_deadline_warnings(now=now)
