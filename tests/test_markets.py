"""Four markets, five languages (SPEC §0, I18N-01): the catalogues, the market of a
request (host name or switch) and what it sets, money and dates per locale, automatic
messages and mails in the recipient's language, messages' original language, and the
market filter of every admin list."""

import re
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import polib
import pytest
from django.conf import settings as django_settings
from django.contrib import admin
from django.core import mail
from django.urls import reverse
from django.utils import translation

from core.admin import MarketFilter
from core.templatetags.ui import market_date, market_time, money
from discussions import notifications, services
from discussions.models import Discussion, Message, Role
from orders import services as order_services
from orders.models import Market, Offer, Order, Profile, SimulatedParcel
from tests.factories import PASSWORD, OfferFactory, SellerAccountFactory, UserFactory, market

LOCALE = Path(__file__).resolve().parents[1] / "locale"
LANGUAGES = [code for code, _name in django_settings.LANGUAGES]
TRANSLATED = [code for code in LANGUAGES if code != "en"]  # English is the source language
PLACEHOLDER = re.compile(r"%\([a-z_0-9]+\)[sdif]|%[sdif]|\{[a-z_0-9]*\}")
NPLURALS = {"pl": 3, "cs": 4, "sk": 4, "hu": 2, "en": 2}


def catalogue(language):
    return polib.pofile(str(LOCALE / language / "LC_MESSAGES" / "django.po"))


# --- I18N-01: the catalogues ---------------------------------------------------------------


def test_i18n_01_the_five_languages_are_offered():
    assert LANGUAGES == ["pl", "en", "cs", "sk", "hu"]


@pytest.mark.parametrize("language", TRANSLATED)
def test_i18n_01_catalogue_has_no_untranslated_entry(language):
    untranslated = [entry.msgid for entry in catalogue(language).untranslated_entries()]
    assert untranslated == [], f"{language}: {len(untranslated)} untranslated, e.g. {untranslated[:5]}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_i18n_01_catalogue_has_no_fuzzy_entry(language):
    po = catalogue(language)
    assert not po.metadata_is_fuzzy, f"{language}: the header is fuzzy, so msgfmt would drop its plural forms"
    fuzzy = [entry.msgid for entry in po.fuzzy_entries()]
    assert fuzzy == [], f"{language}: fuzzy entries {fuzzy[:5]}"


@pytest.mark.parametrize("language", TRANSLATED)
def test_i18n_01_translations_keep_every_placeholder(language):
    mismatches = []
    for entry in catalogue(language).translated_entries():
        if entry.msgid_plural:
            wanted = set(PLACEHOLDER.findall(entry.msgid_plural))
            for form, text in entry.msgstr_plural.items():
                found = set(PLACEHOLDER.findall(text))
                # The singular form may say "one" instead of showing the count.
                if found != wanted and not (form == 0 and found == wanted - {"%(count)d", "%(count)s", "%d"}):
                    mismatches.append((entry.msgid, form, text))
        elif set(PLACEHOLDER.findall(entry.msgid)) != set(PLACEHOLDER.findall(entry.msgstr)):
            mismatches.append((entry.msgid, entry.msgstr))
    assert mismatches == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_i18n_01_catalogue_passes_msgfmt_check_with_the_languages_plural_forms(language, tmp_path):
    msgfmt = shutil.which("msgfmt")
    assert msgfmt, "msgfmt is needed (Debian's gettext package); make test installs it"
    path = LOCALE / language / "LC_MESSAGES" / "django.po"
    result = subprocess.run(
        [msgfmt, "--check", "-o", str(tmp_path / "django.mo"), str(path)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert catalogue(language).metadata["Plural-Forms"].startswith(f"nplurals={NPLURALS[language]};")


@pytest.mark.parametrize(
    ("language", "forms"),
    [
        ("pl", ["Zarejestrowano 1 doręczenie.", "Zarejestrowano 3 doręczenia.", "Zarejestrowano 5 doręczeń."]),
        ("cs", ["Zaznamenáno 1 doručení.", "Zaznamenána 3 doručení.", "Zaznamenáno 5 doručení."]),
        ("sk", ["Zaznamenalo sa 1 doručenie.", "Zaznamenali sa 3 doručenia.", "Zaznamenalo sa 5 doručení."]),
        ("hu", ["1 kézbesítés rögzítve.", "3 kézbesítés rögzítve.", "5 kézbesítés rögzítve."]),
        ("en", ["1 delivery recorded.", "3 deliveries recorded.", "5 deliveries recorded."]),
    ],
)
def test_i18n_01_plural_forms_follow_each_language(language, forms):
    """The count picks the language's own form: one, few (2–4) and many differ in Polish,
    Czech and Slovak; Hungarian keeps the singular noun after a number."""
    with translation.override(language):
        texts = [
            translation.ngettext("%(count)s delivery recorded.", "%(count)s deliveries recorded.", n) % {"count": n}
            for n in (1, 3, 5)
        ]
    assert texts == forms


# --- SPEC §0: the market of a request ---------------------------------------------------------


def html_lang(response):
    return re.search(r'<html lang="([a-z-]+)"', response.content.decode()).group(1)


@pytest.mark.parametrize(
    ("host", "language"),
    [
        ("127.0.0.1", "pl"),
        ("pl.localhost", "pl"),
        ("cz.localhost", "cs"),
        ("sk.localhost:8000", "sk"),
        ("hu.localhost", "hu"),
        ("allegro.cz", "cs"),
        ("www.allegro.hu", "hu"),
        ("allegro.sk", "sk"),
    ],
)
def test_i18n_01_the_host_name_picks_the_market_and_its_language(client, db, settings, host, language):
    settings.ALLOWED_HOSTS = ["*"]
    response = client.get(reverse("home"), HTTP_HOST=host)
    assert html_lang(response) == language
    assert response.wsgi_request.market.language == language


def test_i18n_01_market_hosts_are_configurable(client, db, settings):
    settings.ALLOWED_HOSTS = ["*"]
    settings.MARKET_HOSTS = {"sklep.example": "SK"}
    response = client.get(reverse("home"), HTTP_HOST="sklep.example")
    assert response.wsgi_request.market_code == "SK"
    assert html_lang(response) == "sk"


def test_i18n_01_the_market_switch_sets_the_market_and_its_language(client, db):
    hungarian = OfferFactory(seller_account=SellerAccountFactory(market=market("HU")), title="Fejhallgató")
    polish = OfferFactory(title="Słuchawki")
    response = client.post(reverse("set_market"), {"market": "HU", "next": reverse("orders:offer_list")})
    assert response.status_code == 302
    assert response["Location"] == reverse("orders:offer_list")
    assert response.cookies[django_settings.MARKET_COOKIE_NAME].value == "HU"

    page = client.get(reverse("orders:offer_list"))
    assert html_lang(page) == "hu"
    assert [offer.pk for offer in page.context["page"].object_list] == [hungarian.pk]
    assert 'aria-current="true">allegro.hu<' in page.content.decode()
    everything = client.get(reverse("orders:offer_list"), {"market": "all"})
    assert {offer.pk for offer in everything.context["page"].object_list} == {hungarian.pk, polish.pk}


def test_i18n_01_the_market_switch_refuses_another_sites_next_and_unknown_markets(client, db):
    response = client.post(reverse("set_market"), {"market": "DE", "next": "https://evil.example/"})
    assert response["Location"] == "/"
    assert django_settings.MARKET_COOKIE_NAME not in response.cookies


def test_i18n_01_a_chosen_language_wins_over_the_markets(client, db, settings):
    settings.ALLOWED_HOSTS = ["*"]
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert html_lang(client.get(reverse("home"), HTTP_HOST="cz.localhost")) == "en"
    # Switching the market lets the new market's language apply again.
    client.post(reverse("set_market"), {"market": "SK", "next": "/"})
    assert html_lang(client.get(reverse("home"))) == "sk"


def test_i18n_01_a_signed_in_user_reads_the_language_they_chose_before(client, buyer):
    Profile.objects.create(user=buyer, language="cs")
    assert html_lang(client.get(reverse("home"))) == "pl"
    client.post(reverse("login"), {"username": buyer.username, "password": PASSWORD})
    assert html_lang(client.get(reverse("home"))) == "cs"


def test_i18n_01_home_shows_the_offers_of_the_market_the_visitor_is_on(client, db, settings):
    settings.ALLOWED_HOSTS = ["*"]
    czech = OfferFactory(seller_account=SellerAccountFactory(market=market("CZ")), title="Sluchátka")
    OfferFactory(title="Słuchawki")
    response = client.get(reverse("home"), HTTP_HOST="cz.localhost")
    assert [offer.pk for offer in response.context["recent_offers"]] == [czech.pk]


# --- Money and dates per locale ------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "amount", "currency", "expected"),
    [
        ("pl", "1234.50", "PLN", "1\xa0234,50\xa0zł"),
        ("en", "1234.50", "PLN", "1,234.50\xa0zł"),
        ("cs", "21990.00", "CZK", "21\xa0990,00\xa0Kč"),
        ("sk", "1234.50", "EUR", "1\xa0234,50\xa0€"),
        ("en", "1234.50", "EUR", "1,234.50\xa0€"),
        ("hu", "34990.00", "HUF", "34\xa0990\xa0Ft"),
        ("hu", "12.50", "HUF", "12,50\xa0Ft"),
        ("en", "34990.00", "HUF", "34,990\xa0Ft"),
    ],
)
def test_i18n_01_money_uses_the_locales_separators_and_the_currencys_symbol(language, amount, currency, expected):
    with translation.override(language):
        assert money(Decimal(amount), currency) == expected


@pytest.mark.parametrize(
    ("language", "code", "expected_time", "expected_date"),
    [
        ("pl", "PL", "01.12.2026 09:05 CET", "01.12.2026"),
        ("en", "PL", "12/01/2026 9:05 a.m. CET", "12/01/2026"),
        ("cs", "CZ", "01.12.2026 9:05 CET", "01.12.2026"),
        ("sk", "SK", "01.12.2026 9:05 CET", "01.12.2026"),
        ("hu", "HU", "2026.12.01. 09:05 CET", "2026.12.01."),
    ],
)
def test_i18n_01_dates_are_written_as_each_locale_writes_them_in_the_markets_zone(
    db, language, code, expected_time, expected_date
):
    instant = datetime(2026, 12, 1, 8, 5, tzinfo=UTC)
    with translation.override(language):
        assert market_time(instant, market(code)) == expected_time
        assert market_date(instant, market(code)) == expected_date


# --- I18N-01: automatic messages and mails in the recipient's language -------------------------

BOUGHT = datetime(2026, 11, 25, 7, 0, tzinfo=UTC)


@pytest.fixture
def czech_discussion(db):
    """A CZ-market Discussion between a buyer without a language of their own and a seller
    who reads Polish."""
    seller = UserFactory(username="polski_sprzedawca")
    Profile.objects.create(user=seller, language="pl")
    offer = OfferFactory(seller_account=SellerAccountFactory(user=seller, market=market("CZ")), price=Decimal("990"))
    buyer = UserFactory(username="cesky_kupujici")
    order = order_services.buy_offer(
        offer, buyer=buyer, quantity=1, payment_method=Order.PaymentMethod.ONLINE, now=BOUGHT
    )
    order_services.pay_order(order, buyer=buyer, now=BOUGHT + timedelta(minutes=5))
    with translation.override("cs"):
        discussion = services.open_discussion(
            order,
            buyer=buyer,
            line_id=order.lines.get().pk,
            reason="NOT_RECEIVED",
            text="Balík nedorazil.",
            now=BOUGHT + timedelta(hours=2),
        )
    mail.outbox.clear()
    return discussion


def test_i18n_01_a_polish_sellers_refund_closes_the_discussion_in_czech_for_the_czech_buyer(
    czech_discussion, client, settings
):
    settings.MARKET_SITE_URLS = {"CZ": "https://allegro.cz"}
    order = czech_discussion.order
    with translation.override("pl"):  # the seller works in Polish
        order_services.refund_order(order, seller=order.seller_account.user, full=True, now=BOUGHT + timedelta(days=1))
    discussion = Discussion.objects.get(pk=czech_discussion.pk)
    assert not discussion.is_open

    notifications.send_outbox(now=BOUGHT + timedelta(days=1, minutes=1))
    (to_buyer,) = [sent for sent in mail.outbox if sent.to == [discussion.buyer.email]]
    with translation.override("cs"):
        assert translation.gettext("Discussion") in to_buyer.subject or "Diskuz" in to_buyer.subject
    assert "Dyskusj" not in to_buyer.subject
    assert f"https://allegro.cz{discussion.get_absolute_url()}" in to_buyer.body

    # The automatic closing message is stored as a code: each reader gets their language.
    client.force_login(discussion.buyer)
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "cs"
    page = client.get(discussion.get_absolute_url()).content.decode()
    closing = (
        "The seller refunded the full order amount through Allegro Finanse, so we closed the Discussion as resolved."
    )
    with translation.override("cs"):
        closing_cs = translation.gettext(closing)
    with translation.override("pl"):
        closing_pl = translation.gettext(closing)
    assert closing_cs != closing_pl
    assert closing_cs in page
    assert closing_pl not in page


def test_i18n_01_the_recipients_own_language_wins_over_the_markets(czech_discussion):
    Profile.objects.create(user=czech_discussion.buyer, language="sk")
    seller = czech_discussion.seller_account.user
    with translation.override("pl"):
        services.post_message(
            czech_discussion, author=seller, role=Role.SELLER, text="Wysłane.", now=BOUGHT + timedelta(hours=3)
        )
    notifications.send_outbox(now=BOUGHT + timedelta(hours=4))
    (to_buyer,) = [sent for sent in mail.outbox if sent.to == [czech_discussion.buyer.email]]
    assert "Diskusi" in to_buyer.subject  # Slovak: "Nová správa v Diskusii …"
    assert "Dyskusj" not in to_buyer.subject


@pytest.mark.parametrize(
    ("user_language", "market_code", "expected"),
    [("", "CZ", "cs"), ("", "HU", "hu"), ("en", "HU", "en"), ("", None, "pl")],
)
def test_i18n_01_recipient_language_is_their_choice_else_the_markets(db, user_language, market_code, expected):
    user = UserFactory()
    if user_language:
        Profile.objects.create(user=user, language=user_language)
    assert notifications.recipient_language(user, market(market_code) if market_code else None) == expected


# --- I18N-01: messages keep their original language ---------------------------------------------


def test_i18n_01_a_message_records_the_language_it_was_written_in_and_mediators_see_it(
    czech_discussion, client, admin_user
):
    assert Message.objects.get(discussion=czech_discussion, author_role=Role.BUYER).language == "cs"
    seller = czech_discussion.seller_account.user
    client.force_login(seller)
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "pl"
    response = client.post(
        reverse("discussions:seller_message", args=[czech_discussion.pk]), {"text": "Jest w drodze."}
    )
    assert response.status_code == 302
    reply = Message.objects.get(discussion=czech_discussion, author_role=Role.SELLER)
    assert reply.language == "pl"
    # Automatic messages (the opening one; "seller overdue" too when the reply is late) have none.
    automatic = Message.objects.filter(discussion=czech_discussion, author_role=Role.SYSTEM)
    assert automatic.exists() and set(automatic.values_list("language", flat=True)) == {""}

    client.force_login(admin_user)
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get(reverse("admin:discussions_discussion_change", args=[czech_discussion.pk])).content.decode()
    assert "written in: Czech" in page
    assert "written in: Polish" in page
    assert '<div class="text" lang="cs">Balík nedorazil.</div>' in page


# --- Mediators filter every admin list by market -----------------------------------------------

NO_MARKET = {Market: "the markets themselves"}
OUR_APPS = {"orders", "discussions", "buyers", "api", "oauth2_provider"}


def admin_lists():
    return [
        (model, model_admin)
        for model, model_admin in admin.site._registry.items()
        if model._meta.app_label in OUR_APPS and model not in NO_MARKET
    ]


@pytest.mark.parametrize("model", [model for model, _admin in admin_lists()], ids=lambda m: m._meta.label)
def test_i18n_01_every_admin_list_filters_by_market(model, admin_client):
    model_admin = admin.site._registry[model]
    filters = [spec for spec in model_admin.list_filter if isinstance(spec, type) and issubclass(spec, MarketFilter)]
    assert filters, f"{model._meta.label}: no market filter"
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    response = admin_client.get(url, {"market": "CZ"})
    assert response.status_code == 200
    assert "allegro.cz" in response.content.decode()


def test_i18n_01_the_market_filter_keeps_only_the_markets_rows(admin_client, czech_discussion):
    polish = OfferFactory(title="Polska oferta")
    czech = Offer.objects.get(market_id="CZ")
    response = admin_client.get(reverse("admin:orders_offer_changelist"), {"market": "CZ"})
    assert list(response.context["cl"].result_list) == [czech]
    assert polish not in response.context["cl"].result_list

    audit_rows = admin_client.get(reverse("admin:orders_auditrecord_changelist"), {"market": "CZ"})
    assert audit_rows.status_code == 200

    SimulatedParcel.objects.create(carrier="PPL", tracking_number="CZ-000001", delivered_at=BOUGHT)
    order = czech_discussion.order
    order_services.enter_tracking(
        order,
        seller=order.seller_account.user,
        carrier="PPL",
        tracking_number="CZ-000001",
        now=BOUGHT + timedelta(hours=3),
    )
    SimulatedParcel.objects.create(carrier="DPD", tracking_number="PL-000001", delivered_at=BOUGHT)
    parcels = admin_client.get(reverse("admin:orders_simulatedparcel_changelist"), {"market": "CZ"})
    assert [parcel.tracking_number for parcel in parcels.context["cl"].result_list] == ["CZ-000001"]
