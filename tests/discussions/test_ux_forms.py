"""UX-02…05: the open-a-Discussion form, a mediator's decision explained, real mail and
wording that does not assume the reader's gender, through views, services and the outbox,
at explicit instants."""

import re
from decimal import Decimal
from pathlib import Path

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import translation

from discussions import notifications, services, tasks
from discussions.models import Discussion, MediationOutcome, Notification, Reason
from orders.models import AuditRecord, CommissionRefund, Market, OrderLine
from tests.discussions.conftest import DAY, HOUR, OPENED, REPLY_DUE, SECOND, fresh, make_order, open_discussion

pytestmark = pytest.mark.django_db

LOCALE = Path(__file__).resolve().parents[2] / "locale"


def _text(response):
    return response.content.decode()


def _sent(now):
    mail.outbox.clear()
    notifications.send_outbox(now=now)
    return list(mail.outbox)


def _mail_to(messages, user):
    """The newest mail to `user` (the outbox sends the oldest due first)."""
    found = [message for message in messages if message.to == [user.email]]
    assert found, [message.subject for message in messages]
    return found[-1]


@pytest.fixture
def joined(discussion, buyer, mediator):
    tasks.mark_seller_overdue(now=REPLY_DUE + SECOND)
    services.ask_for_help(fresh(discussion), buyer=buyer, now=REPLY_DUE + HOUR)
    return services.join_discussion(fresh(discussion), mediator=mediator, now=REPLY_DUE + 2 * HOUR)


# --- UX-02: the open-a-Discussion form -------------------------------------------------


def test_ux_02_open_form_marks_the_product_problem_fields_and_shows_currency_and_maximum(client, buyer, order):
    client.force_login(buyer)
    with time_machine.travel(OPENED, tick=False):
        body = _text(client.get(reverse("discussions:open", args=[order.pk])))
    # Without JavaScript every field shows, each group saying when it applies …
    assert 'data-applies-reason="PRODUCT_PROBLEM"' in body
    assert "Tylko dla powodu „Problem z produktem”" in body
    assert 'data-applies-solution="PARTIAL_REFUND"' in body
    assert "Tylko przy częściowym zwrocie pieniędzy: kwota albo procent, nie oba" in body
    # … and a static script (CSP: no inline script) shows only those that apply.
    assert "js/open-discussion.js" in body
    assert "<script>" not in body
    # The amount says its currency and the most it can be: the product's value.
    assert "Częściowy zwrot: kwota (zł)" in body
    assert 'max="100.00"' in body
    assert "najwyżej 100,00\u00a0zł, czyli wartość produktu" in body
    assert "Headphones × 1 — 100,00\u00a0zł" in body


def test_ux_02_a_too_large_amount_is_refused_with_the_maximum_in_money(client, buyer, order):
    client.force_login(buyer)
    with time_machine.travel(OPENED, tick=False):
        response = client.post(
            reverse("discussions:open", args=[order.pk]),
            {
                "line": order.lines.get().pk,
                "reason": Reason.PRODUCT_PROBLEM,
                "expected_solution": "PARTIAL_REFUND",
                "expected_amount": "150.00",
            },
        )
    assert response.status_code == 400
    assert "najwyżej 100,00\u00a0zł" in _text(response)
    assert not Discussion.objects.exists()


def test_ux_02_the_order_page_links_the_open_discussion_of_its_only_product(client, buyer, order):
    discussion = open_discussion(order)
    client.force_login(buyer)
    with time_machine.travel(OPENED + HOUR, tick=False):
        body = _text(client.get(order.get_absolute_url()))
        opening = _text(client.get(reverse("discussions:open", args=[order.pk])))
    assert f"Kontynuuj Dyskusję {discussion.number}" in body
    assert discussion.get_absolute_url() in body
    assert reverse("discussions:open", args=[order.pk]) not in body
    # Reached anyway (an old link): the page links the open Discussion and offers no form.
    assert f"Kontynuuj Dyskusję {discussion.number}" in opening
    assert 'name="reason"' not in opening


def test_ux_02_a_multi_product_order_offers_only_the_products_without_an_open_discussion(client, buyer, order):
    first = order.lines.get()
    second = OrderLine.objects.create(
        order=order, offer=first.offer, title="Charger", unit_price=Decimal("40.00"), quantity=1, commission_per_unit=1
    )
    discussion = open_discussion(order, line=first)
    client.force_login(buyer)
    with time_machine.travel(OPENED + HOUR, tick=False):
        page = _text(client.get(order.get_absolute_url()))
        form = _text(client.get(reverse("discussions:open", args=[order.pk])))
    assert reverse("discussions:open", args=[order.pk]) in page  # the charger can still get one
    assert f'value="{second.pk}"' in form and f'value="{first.pk}"' not in form
    assert "Charger × 1 — 40,00\u00a0zł" in form
    assert f"Kontynuuj Dyskusję {discussion.number}" in form
    assert "najwyżej 40,00\u00a0zł, czyli wartość produktu" in form  # the only product left


# --- UX-03: a mediator's decision, explained to both parties -----------------------------


def test_ux_03_a_concluded_mediation_shows_both_parties_the_outcome_and_the_justification(
    client, joined, buyer, seller, mediator
):
    services.conclude_mediation(
        fresh(joined),
        mediator=mediator,
        outcome=MediationOutcome.CLAIM_NOT_UPHELD,
        reason="Przesyłka została doręczona do paczkomatu wskazanego przez kupującego.",
        now=REPLY_DUE + 3 * HOUR,
    )
    for user, url in ((buyer, joined.get_absolute_url()), (seller, joined.get_seller_url())):
        client.force_login(user)
        body = _text(client.get(url))
        assert "Decyzja Allegro" in body
        assert "Roszczenie kupującego nie zostało uwzględnione" in body
        assert "Uzasadnienie Allegro" in body
        assert "Przesyłka została doręczona do paczkomatu wskazanego przez kupującego." in body


def test_ux_03_ux_04_the_decision_mail_names_the_outcome_the_justification_and_the_status(joined, buyer, mediator):
    services.conclude_mediation(
        fresh(joined),
        mediator=mediator,
        outcome=MediationOutcome.CLAIM_NOT_UPHELD,
        reason="Brak dowodu wady.",
        now=REPLY_DUE + 3 * HOUR,
    )
    message = _mail_to(_sent(REPLY_DUE + 4 * HOUR), buyer)
    assert message.subject == (
        f"Decyzja Allegro w Dyskusji {joined.number}: Roszczenie kupującego nie zostało uwzględnione"
    )
    assert "Nowy status: Nierozwiązana" in message.body
    assert "Dlaczego: Mediacja zakończona" in message.body
    assert "Uzasadnienie Allegro: Brak dowodu wady." in message.body
    html, kind = message.alternatives[0]
    assert kind == "text/html" and "Brak dowodu wady." in html


def test_ux_03_ux_04_the_allegro_protect_mail_and_page_give_the_amount(client, joined, buyer, seller, mediator):
    services.grant_allegro_protect(
        fresh(joined), mediator=mediator, amount="60.00", reason="Paczka zaginęła.", now=REPLY_DUE + 3 * HOUR
    )
    sent = _sent(REPLY_DUE + 4 * HOUR)
    for user in (buyer, seller):
        message = _mail_to(sent, user)
        assert "Rekompensata z Allegro Protect: 60,00\u00a0zł" in message.body
        assert "Uzasadnienie Allegro: Paczka zaginęła." in message.body
    client.force_login(buyer)
    body = _text(client.get(joined.get_absolute_url()))
    assert "Decyzja Allegro" in body and "60,00\u00a0zł" in body and "Paczka zaginęła." in body


# --- UX-04: mail -----------------------------------------------------------------------


def test_ux_04_a_new_message_mail_is_html_with_a_text_alternative_and_quotes_the_message(discussion, seller, buyer):
    services.post_message(
        fresh(discussion), author=seller, role="SELLER", text="Paczka wyszła <dziś>.", now=OPENED + HOUR
    )
    message = _mail_to(_sent(OPENED + 2 * HOUR), buyer)
    assert "Paczka wyszła <dziś>." in message.body  # plain text, as written
    html, kind = message.alternatives[0]
    assert kind == "text/html"
    assert "Paczka wyszła &lt;dziś&gt;." in html  # escaped in HTML
    assert '<html lang="pl">' in html
    assert "Sprzedający" in message.body


def test_ux_04_the_new_discussion_mail_gives_the_deadline_in_the_markets_time(order, seller):
    open_discussion(order)
    message = _mail_to(_sent(OPENED + HOUR), seller)
    # Reply due Thu 2026-11-26 09:00 in Warsaw (08:00 UTC), shown with the market's zone.
    assert "Termin odpowiedzi sprzedającego: 26.11.2026 09:00 CET" in message.body
    assert "Powód: Nie otrzymałem produktu" in message.body


def test_ux_04_mail_is_in_the_recipients_language(order, seller):
    from orders.models import Profile

    Profile.objects.update_or_create(user=seller, defaults={"language": "cs"})
    open_discussion(order)
    message = _mail_to(_sent(OPENED + HOUR), seller)
    with translation.override("cs"):
        assert message.subject.startswith("Nová Diskuze") or "Diskuz" in message.subject
    assert "Lhůta pro odpověď prodávajícího" in message.body


def test_ux_04_the_reopen_mail_does_not_say_new_discussion(discussion, buyer, seller):
    services.mark_resolved(fresh(discussion), buyer=buyer, now=OPENED + HOUR)
    services.reopen_discussion(fresh(discussion), buyer=buyer, now=OPENED + DAY)
    message = _mail_to(_sent(OPENED + DAY + HOUR), seller)
    assert "Nowa Dyskusja" not in message.subject
    assert message.subject.startswith(f"Kupujący ponownie otworzył Dyskusję {discussion.number}")
    assert Notification.objects.filter(kind=Notification.Kind.REOPENED).count() == 1


def test_ux_04_links_start_with_the_markets_site_address_else_the_servers(settings, discussion, seller):
    settings.SITE_URL = "https://desk.example"
    settings.MARKET_SITE_URLS = {}
    services.post_message(fresh(discussion), author=discussion.buyer, role="BUYER", text="Halo", now=OPENED + HOUR)
    message = _mail_to(_sent(OPENED + 2 * HOUR), seller)
    assert f"https://desk.example{discussion.get_seller_url()}" in message.body
    assert ":8000" not in message.body

    Market.objects.filter(code="PL").update(site_url="https://allegro.pl/")
    services.post_message(fresh(discussion), author=discussion.buyer, role="BUYER", text="Halo?", now=OPENED + 3 * HOUR)
    message = _mail_to(_sent(OPENED + 4 * HOUR), seller)
    assert f"https://allegro.pl{discussion.get_seller_url()}" in message.body
    assert f'href="https://allegro.pl{discussion.get_seller_url()}"' in message.alternatives[0][0]


def test_ux_04_a_mail_is_still_sent_once_by_the_outbox(discussion, seller):
    _sent(OPENED)
    services.post_message(fresh(discussion), author=discussion.buyer, role="BUYER", text="Raz", now=OPENED + HOUR)
    assert len(_sent(OPENED + 2 * HOUR)) == 1
    assert _sent(OPENED + 3 * HOUR) == []


# --- UX-05: wording ----------------------------------------------------------------------

GENDERED = re.compile(r"\w+(?:łeś|łaś|łbyś|łabyś)\b|\(-?aś\)|\w+ł\(a\)|\bJesteś zalogowan", re.IGNORECASE)
RULE_ID = re.compile(r"\b(?:DSC|MED|UX|SAFE|API|OPS|NTF|REB|BLK|ORD|TIME|SEC|JOB|QLT|RPT|I18N)-\d{2}\b")
RAW_JSON = re.compile(r"\[\{|\{\"")
CODE = re.compile(r"\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b")


def _catalogue(language):
    """(msgid, msgstr) of every entry of a catalogue."""

    def joined(chunk):
        return "".join(re.findall(r'^"(.*)"$', chunk, re.M)).replace('\\"', '"')

    entries = []
    for block in (LOCALE / language / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8").split("\n\n"):
        msgid = re.search(r'^msgid ("(?:.*)"\n(?:".*"\n?)*)', block + "\n", re.M)
        msgstr = re.search(r'^msgstr ("(?:.*)"\n?(?:".*"\n?)*)', block + "\n", re.M)
        if msgid and msgstr:
            entries.append((joined(msgid.group(1)), joined(msgstr.group(1))))
    return entries


def test_ux_05_the_polish_catalogue_has_no_gendered_address_rule_ids_or_raw_codes():
    entries = _catalogue("pl")
    assert len(entries) > 1000
    gendered = [msgstr for _msgid, msgstr in entries if GENDERED.search(msgstr)]
    rule_ids = [msgstr for _msgid, msgstr in entries if RULE_ID.search(msgstr)]
    raw_json = [msgstr for _msgid, msgstr in entries if RAW_JSON.search(msgstr)]
    # A code may be named where the text documents it (the API's enumerations), never
    # brought in by the translation, and a label is never a code.
    codes = [
        msgstr
        for msgid, msgstr in entries
        if msgstr
        and (set(CODE.findall(msgstr)) - set(CODE.findall(msgid)) or (len(msgstr.split()) <= 4 and CODE.search(msgstr)))
    ]
    assert gendered == []
    assert rule_ids == []
    assert raw_json == []
    assert codes == []


@pytest.mark.parametrize("language", ["cs", "sk"])
def test_ux_05_czech_and_slovak_address_the_reader_in_the_polite_plural(language):
    """cs/sk say "Označili jste / ste": no singular gendered address ("označil jsi / si")."""
    singular = re.compile(r"\b\w+la? (?:jsi|si)\b" if language == "cs" else r"\b\w+la? si\b")
    offenders = [msgstr for _msgid, msgstr in _catalogue(language) if singular.search(msgstr)]
    assert offenders == []


def test_ux_05_the_buyers_confirmation_does_not_assume_the_buyers_gender(client, buyer, discussion):
    client.force_login(buyer)
    url = reverse("discussions:buyer_action", args=[discussion.pk, "resolve"])
    with time_machine.travel(OPENED + HOUR, tick=False):
        response = client.post(url, {"version": fresh(discussion).version}, follow=True)
    body = _text(response)
    assert "Dyskusja została oznaczona jako rozwiązana." in body
    assert "Oznaczyłeś" not in body


def test_ux_05_mark_unresolved_after_a_reopen_counts_the_days_from_the_reopening(client, buyer, discussion):
    services.mark_resolved(fresh(discussion), buyer=buyer, now=OPENED + HOUR)
    services.reopen_discussion(fresh(discussion), buyer=buyer, now=OPENED + 2 * DAY)
    client.force_login(buyer)
    with time_machine.travel(OPENED + 3 * DAY, tick=False):
        body = _text(client.get(discussion.get_absolute_url()))
    assert "po 7 dniach od jej ponownego otwarcia" in body


def test_ux_05_the_seller_list_labels_filters_in_polish_and_explains_no_reply(client, seller, discussion):
    client.force_login(seller)
    with time_machine.travel(OPENED + HOUR, tick=False):
        body = _text(client.get(reverse("discussions:seller_list")))
    assert '<label class="visually-hidden" for="id_status">Status</label>' in body
    assert '<label class="visually-hidden" for="id_reason">Powód</label>' in body
    assert '<label class="visually-hidden" for="id_market">Rynek</label>' in body
    assert ">reason<" not in body and ">market<" not in body
    assert "Brak odpowiedzi sprzedającego" in body


def test_ux_05_the_admin_counts_titles_filters_and_amounts_read_as_words(admin_client, joined, mediator, order):
    services.conclude_mediation(
        fresh(joined), mediator=mediator, outcome=MediationOutcome.AGREEMENT, reason="Zgoda.", now=REPLY_DUE + DAY
    )
    audit = _text(admin_client.get(reverse("admin:orders_auditrecord_changelist")))
    assert "Mediacja zakończona" in audit and ">CONCLUDE_MEDIATION<" not in audit
    assert "Dziennik działań: 2" in audit  # JOIN and CONCLUDE_MEDIATION
    record = AuditRecord.objects.get(action="CONCLUDE_MEDIATION")
    detail = _text(admin_client.get(reverse("admin:orders_auditrecord_change", args=[record.pk])))
    assert "Podgląd: wpis w dzienniku działań" in detail and "Zobacz wpis" not in detail
    assert "CONCLUDE_MEDIATION Dyskusja" not in detail and "Mediacja zakończona Dyskusja" in detail
    assert '{"' not in detail and "{&quot;" not in detail and "is_open: False" in detail
    orders = _text(admin_client.get(reverse("admin:orders_order_changelist")))
    assert "100,00\u00a0zł" in orders
    flagged = _text(admin_client.get(reverse("admin:discussions_flaggedselleraccount_changelist")))
    assert "(DSC-09)" not in flagged and "Zignorowane wiadomości Allegro" in flagged


def test_ux_05_a_commission_refund_in_the_admin_shows_conditions_in_words_and_money(admin_client, seller, buyer, offer):
    from orders import commission

    unpaid = make_order(offer, buyer, paid=False)
    with time_machine.travel(OPENED + HOUR, tick=False):
        application = commission.apply(
            unpaid,
            seller=seller,
            reason=CommissionRefund.Reason.NOT_PAID,
            quantities={unpaid.lines.get().pk: 1},
            now=OPENED + HOUR,
        )
    assert application.unmet_conditions  # the payment deadline has not passed
    listing = _text(admin_client.get(reverse("admin:orders_commissionrefund_changelist")))
    assert "zł" in listing and "Wnioski o rabat transakcyjny: 1" in listing
    detail = _text(admin_client.get(reverse("admin:orders_commissionrefund_change", args=[application.pk])))
    assert '{"code"' not in detail and "&quot;code&quot;" not in detail
    assert "Termin płatności kupującego jeszcze nie minął" in detail
    assert "\u00a0zł" in detail
