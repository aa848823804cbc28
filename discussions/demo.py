"""Demo Discussions in every status, reason and market (connected to
`orders.signals.demo_data_seeded`). Made through the services at past instants, so
their deadlines, messages and history are what the product itself would have made."""

from datetime import datetime, time, timedelta

from django.db.models import F
from django.utils import timezone, translation

from orders import services as orders
from orders.models import Order, Shipment

from . import services, tasks
from .models import Discussion, MediationOutcome, Message, Notification, Reason, Report, Role, Solution

DAY, HOUR, MINUTE = timedelta(days=1), timedelta(hours=1), timedelta(minutes=1)


def past_deadline(discussion, now, deadline="reply_due_at"):
    """Ten minutes after the Discussion's deadline: the demo is seeded relative to today,
    and how far a 24-business-hour deadline lies depends on the weekday and the
    market's holidays (up to five days over Christmas or Easter), so steps that need a
    missed deadline start from it."""
    discussion.refresh_from_db()
    at = getattr(discussion, deadline) + 10 * MINUTE
    assert at < now - 2 * HOUR, f"Discussion {discussion.pk}: {deadline} {at} is too late for the demo"
    return at


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
    d = open_(paid(charger, buyer2, 9 * DAY), 7 * DAY, Reason.NOT_RECEIVED, "Brak kontaktu ze sprzedającym.")
    overdue = past_deadline(d, now)
    tasks.mark_seller_overdue(now=overdue)
    d.refresh_from_db()
    services.ask_for_help(d, buyer=buyer2, now=overdue + HOUR)

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
    d = open_(paid(charger, buyer, 14 * DAY), 12 * DAY, Reason.NOT_RECEIVED, "Sprzedawca nie odpowiada.")
    overdue = past_deadline(d, now)
    tasks.mark_seller_overdue(now=overdue)
    d.refresh_from_db()
    services.ask_for_help(d, buyer=buyer, now=overdue + HOUR)
    d.refresh_from_db()
    services.join_discussion(d, mediator=mediator, now=overdue + 2 * HOUR)
    d.refresh_from_db()
    services.post_message(
        d, author=mediator, role=Role.MEDIATOR, text="Prosimy sprzedającego o numer przewozowy.", now=overdue + 2 * HOUR
    )
    tasks.mark_seller_overdue(now=past_deadline(d, now, "mediator_reply_due_at"))

    # 12. Czech market, on the linked account; the seller replied (both write Czech).
    with translation.override("cs"):
        d = open_(
            paid(offers["Bezdrátová sluchátka ANC"], buyer_cz, 6 * DAY),
            2 * DAY,
            Reason.PRODUCT_PROBLEM,
            "Sluchátka nejdou spárovat.",
            expected_solution=Solution.REFUND,
        )
        say(d, seller_cz, Role.SELLER, 2 * DAY - 3 * HOUR, "Zkuste prosím reset podle návodu, případně vrátíme peníze.")

    # 12b. Slovak and Hungarian markets, each written in its buyer's language; in Hungary
    # the buyer asked for help after the seller's silence.
    with translation.override("sk"):
        d = open_(
            paid(offers["Bezdrôtové slúchadlá ANC"], users["kupujuci_sk"], 7 * DAY),
            3 * DAY,
            Reason.PRODUCT_PROBLEM,
            "Ľavé slúchadlo po týždni prestalo hrať.",
            expected_solution=Solution.REPLACEMENT,
        )
    with translation.override("sk"):
        say(
            d,
            users["predajca_sk"],
            Role.SELLER,
            3 * DAY - 2 * HOUR,
            "Dobrý deň, pošlite nám ich, vymeníme ich za nové.",
        )
    with translation.override("hu"):
        d = open_(
            paid(offers["Vezeték nélküli fejhallgató ANC"], users["vevo_hu"], 12 * DAY),
            7 * DAY,
            Reason.NOT_RECEIVED,
            "Egy hete kifizettem, de a csomag még nem érkezett meg.",
        )
    overdue = past_deadline(d, now)
    tasks.mark_seller_overdue(now=overdue)
    d.refresh_from_db()
    services.ask_for_help(d, buyer=users["vevo_hu"], now=overdue + HOUR)

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

    # 17. Twelve weeks of history for the sales-quality panel (QLT-01/02).
    _sales_quality_history(users, offers, now)


# Elektro Marek's last 12 weeks (QLT): (weeks before this one, weekday, local time, reason,
# plan). Plans: ("reply", after) — the seller answers, the buyer marks it resolved two
# days later; ("none",) — no answer, the buyer gives up and marks it resolved; ("open",) —
# no answer, still open; ("refund", after) — a full refund closes it (DSC-20a);
# ("reply_refund", after, refund_after); ("unresolved", after) — answered, then marked
# unresolved and concluded by Allegro; ("unresolved_open",) — no answer, marked
# unresolved, waiting for Allegro; ("mediator",) — no answer, the buyer asked Allegro,
# which joined; then the seller answered and the parties agreed.
QUALITY_HISTORY = [
    (11, 0, "09:00", Reason.PRODUCT_PROBLEM, ("reply", timedelta(minutes=40))),
    (11, 2, "16:00", Reason.NOT_RECEIVED, ("reply", timedelta(hours=18))),
    (10, 1, "10:00", Reason.WITHDRAWAL_PROBLEM, ("reply", timedelta(hours=3))),
    (10, 3, "11:00", Reason.NOT_RECEIVED, ("none",)),
    (9, 0, "10:00", Reason.PRODUCT_PROBLEM, ("reply", timedelta(hours=52))),
    (9, 2, "09:30", Reason.NO_PAYMENT_REFUND, ("refund", timedelta(minutes=50))),
    (9, 4, "19:00", Reason.NOT_RECEIVED, ("reply", timedelta(hours=62))),  # Friday evening → Monday 9:00
    (8, 1, "08:30", Reason.NOT_RECEIVED, ("reply", timedelta(minutes=25))),
    (8, 3, "13:00", Reason.PRODUCT_PROBLEM, ("reply", timedelta(hours=5))),
    (7, 0, "10:00", Reason.NOT_RECEIVED, ("mediator",)),
    (7, 2, "10:00", Reason.WITHDRAWAL_PROBLEM, ("reply", timedelta(minutes=75))),
    (6, 1, "09:00", Reason.PRODUCT_PROBLEM, ("unresolved", timedelta(hours=2, minutes=30))),
    (6, 3, "15:00", Reason.NOT_RECEIVED, ("reply", timedelta(minutes=90))),
    (6, 4, "10:00", Reason.NO_REFUND_AFTER_RETURN, ("reply", timedelta(hours=4))),
    (5, 0, "11:00", Reason.PRODUCT_PROBLEM, ("reply", timedelta(hours=28))),
    (5, 2, "10:00", Reason.NOT_RECEIVED, ("reply", timedelta(minutes=35))),
    (4, 1, "10:00", Reason.NOT_RECEIVED, ("unresolved_open",)),
    (4, 3, "09:00", Reason.PRODUCT_PROBLEM, ("reply", timedelta(minutes=50))),
    (3, 0, "14:00", Reason.NOT_RECEIVED, ("reply_refund", timedelta(hours=1), timedelta(days=1))),
    (3, 2, "10:00", Reason.WITHDRAWAL_PROBLEM, ("reply", timedelta(hours=7))),
    (3, 4, "18:00", Reason.PRODUCT_PROBLEM, ("reply", timedelta(hours=62, minutes=30))),
    (2, 1, "10:00", Reason.NOT_RECEIVED, ("reply", timedelta(minutes=20))),
    (2, 2, "12:00", Reason.PRODUCT_PROBLEM, ("reply", timedelta(hours=30))),
    (2, 3, "10:00", Reason.NO_PAYMENT_REFUND, ("refund", timedelta(hours=3))),
    (1, 0, "09:00", Reason.PRODUCT_PROBLEM, ("reply", timedelta(minutes=45))),
    (1, 1, "10:00", Reason.NOT_RECEIVED, ("open",)),
    (1, 3, "16:00", Reason.WITHDRAWAL_PROBLEM, ("reply", timedelta(hours=1))),
]
QUALITY_PLAIN_ORDERS = 30
QUALITY_REPLIES = [
    "Dzień dobry, sprawdzamy to i wracamy z odpowiedzią.",
    "Przepraszamy za kłopot. Proszę o zdjęcie produktu, wyślemy wymianę.",
    "Paczka jest w drodze, numer przewozowy jest w zamówieniu.",
    "Oczywiście, zwrot pieniędzy zlecimy od razu po otrzymaniu przesyłki.",
]


def _sales_quality_history(users, offers, now):
    """Elektro Marek's Discussions over the last 12 weeks, with first replies in every
    bucket of the panel, made through the services. Every step is put on one timeline and
    run in order, with the overdue sweep run when each missed deadline passes, so the
    history is what the product would have recorded at those instants."""
    seller, mediator = users["sprzedawca"], users["mediator"]
    buyers = [users["kupujacy"], users["kupujacy2"]]
    goods = [offers["Słuchawki bezprzewodowe ANC"], offers["Ładowarka USB-C 65 W"], offers["Kabel HDMI 2.1, 2 m"]]
    tz = seller.seller_account.market.tz
    today = timezone.localtime(now, tz).date()
    this_monday = today - timedelta(days=today.weekday())
    timeline, opened_pks = [], []

    def at(weeks_ago, weekday, clock):
        day = this_monday - timedelta(weeks=weeks_ago, days=-weekday)
        return datetime.combine(day, time.fromisoformat(clock), tzinfo=tz)

    def later(instant, step):
        if instant < now:
            timeline.append((instant, len(timeline), step))

    def fresh(pk):
        return Discussion.objects.select_related("market", "seller_account__user", "buyer", "order").get(pk=pk)

    def shipped(offer, buyer, bought, number, *, delivered):
        order = orders.buy_offer(offer, buyer=buyer, quantity=1, payment_method=Order.PaymentMethod.ONLINE, now=bought)
        orders.pay_order(order, buyer=buyer, now=bought + timedelta(minutes=10))
        tracking = f"DEMO-PL-Q{number:03d}"
        orders.enter_tracking(
            order, seller=seller, carrier=Shipment.Carrier.INPOST, tracking_number=tracking, now=bought + DAY
        )
        if delivered:  # the delivery also records the hand-over (ORD-06)
            arrived = bought + 2 * DAY
            orders.simulate_carrier_delivery(Shipment.Carrier.INPOST, tracking, delivered_at=arrived)
            orders.record_delivery(Shipment.objects.get(order=order), delivered_at=arrived, now=arrived)
        else:
            orders.mark_handed_over(order, seller=seller, now=bought + DAY + HOUR)
        return order

    for number, (weeks_ago, weekday, clock, reason, plan) in enumerate(QUALITY_HISTORY, start=1):
        opened = at(weeks_ago, weekday, clock)
        buyer = buyers[number % 2]
        offer = goods[0] if reason == Reason.PRODUCT_PROBLEM else goods[number % 3]
        order = shipped(offer, buyer, opened - 4 * DAY, number, delivered=reason != Reason.NOT_RECEIVED)
        solution = Solution.REPLACEMENT if reason == Reason.PRODUCT_PROBLEM else ""
        discussion = services.open_discussion(
            order, buyer=buyer, line_id=order.lines.get().pk, reason=reason, expected_solution=solution, now=opened
        )
        pk, due, kind = discussion.pk, discussion.reply_due_at, plan[0]
        opened_pks.append(pk)
        text = QUALITY_REPLIES[number % len(QUALITY_REPLIES)]

        def reply(when, pk=pk, text=text):
            services.post_message(fresh(pk), author=seller, role=Role.SELLER, text=text, now=when)

        def resolve(when, pk=pk, buyer=buyer):
            discussion = fresh(pk)
            if discussion.is_open and discussion.status == Discussion.Status.IN_PROGRESS:
                services.mark_resolved(discussion, buyer=buyer, now=when)

        def refund(when, order=order):
            orders.refund_order(order, seller=seller, full=True, now=when)

        if kind in ("reply", "reply_refund", "unresolved"):
            later(opened + plan[1], reply)
        if kind in ("none", "open", "unresolved_open", "mediator"):
            later(due + 10 * MINUTE, lambda when: tasks.mark_seller_overdue(now=when))
        if kind == "reply":
            later(opened + plan[1] + 2 * DAY, resolve)
        elif kind == "none":
            later(opened + 4 * DAY, resolve)
        elif kind == "refund":
            later(opened + plan[1], refund)
        elif kind == "reply_refund":
            later(opened + plan[1] + plan[2], refund)
        elif kind == "unresolved":
            marked = opened + 14 * DAY + HOUR
            later(marked, lambda when, pk=pk, buyer=buyer: services.mark_unresolved(fresh(pk), buyer=buyer, now=when))
            _allegro_steps(later, fresh, pk, mediator, marked + DAY, MediationOutcome.CLAIM_NOT_UPHELD)
        elif kind == "unresolved_open":
            later(
                opened + 7 * DAY + HOUR,
                lambda when, pk=pk, buyer=buyer: services.mark_unresolved(fresh(pk), buyer=buyer, now=when),
            )
        elif kind == "mediator":
            later(
                due + 6 * HOUR, lambda when, pk=pk, buyer=buyer: services.ask_for_help(fresh(pk), buyer=buyer, now=when)
            )
            _allegro_steps(later, fresh, pk, mediator, due + 20 * HOUR, MediationOutcome.AGREEMENT, answer=reply)

    # Orders without a Discussion, so "Discussions per 100 orders" has something to divide by.
    for number in range(QUALITY_PLAIN_ORDERS):
        bought = now - (3 + number * 2.9) * DAY
        shipped(goods[1 + number % 2], buyers[number % 2], bought, 100 + number, delivered=True)

    for when, _order, step in sorted(timeline, key=lambda item: item[:2]):
        step(when)
    tasks.mark_seller_overdue(now=now)
    # Weeks ago the parties read these notifications and the outbox sent their e-mails;
    # without this the seller's bell would count dozens of old ones as unread.
    Notification.objects.filter(discussion_id__in=opened_pks, created_at__lt=now - 2 * DAY).update(
        read_at=F("created_at") + HOUR, email_status=Notification.EmailStatus.SENT, email_sent_at=F("created_at")
    )


def _allegro_steps(later, fresh, pk, mediator, joined, outcome, answer=None):
    """A mediator joins at `joined` and writes; the seller answers (when `answer`); the
    mediator concludes two days later."""
    later(joined, lambda when: services.join_discussion(fresh(pk), mediator=mediator, now=when))
    later(
        joined + 5 * MINUTE,
        lambda when: services.post_message(
            fresh(pk),
            author=mediator,
            role=Role.MEDIATOR,
            text="Dzień dobry, jestem z Allegro. Prosimy sprzedającego o wyjaśnienie.",
            now=when,
        ),
    )
    if answer is not None:
        later(joined + 2 * HOUR, answer)
    later(
        joined + 2 * DAY,
        lambda when: services.conclude_mediation(
            fresh(pk), mediator=mediator, outcome=outcome, reason="Strony przedstawiły wyjaśnienia.", now=when
        ),
    )
