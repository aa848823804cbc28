"""The Discussion page's presenter (issue 13): values computed once in Python show what
the template tags and filters showed — the same times, links, forms and messages."""

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import translation

from core.templatetags.ui import market_time
from discussions import presenters, services
from discussions.forms import MessageForm
from discussions.models import Attachment, Message, Reason, Role
from orders.models import Market
from tests.discussions.conftest import OPENED, make_order, open_discussion

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("language", ["pl", "en", "cs", "sk", "hu"])
def test_time_01_local_text_is_market_time_in_every_language(language):
    """The compiled date format gives the text of Django's formatter, across the changes
    of daylight saving time of each market."""
    start = datetime(2026, 3, 28, 22, 7, 5, 123456, tzinfo=UTC)
    with translation.override(language):
        for market in Market.objects.all():
            for hours in range(0, 24 * 220, 13):
                instant = start + timedelta(hours=hours)
                assert presenters.local_text(instant, market) == market_time(instant, market)
    assert presenters.local_text(None, market) == ""


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("discussions:buyer_list", []),
        ("discussions:buyer_message", [7]),
        ("discussions:buyer_action", [7, "resolve"]),
        ("discussions:buyer_report", [7, 12345]),
        ("discussions:seller_report", [7, 12345]),
        ("discussions:seller_propose", [7]),
        ("discussions:attachment", [99]),
        ("orders:purchase_detail", [123]),
    ],
)
def test_url_patterns_give_the_reversed_urls(name, args):
    assert presenters.url_format(name, len(args)).format(*args) == reverse(name, args=args)


def test_an_empty_form_is_rendered_once_per_language_and_a_bound_one_each_time(settings):
    settings.DEBUG = False
    template = "discussions/includes/reply_fields.html"
    polish = presenters.form_html(template, MessageForm)
    assert presenters.form_html(template, MessageForm) is polish
    with translation.override("en"):
        assert "Your message" in presenters.form_html(template, MessageForm)
    assert "Twoja wiadomość" in polish
    bound = MessageForm({"text": "x" * 20_001})
    assert not bound.is_valid()
    html = presenters.form_html(template, MessageForm, bound)
    assert "x" * 20_001 in html and "field-error" in html


def test_dsc_13_a_refused_proposal_keeps_the_form_open_with_input_and_errors(client, offer, buyer, seller):
    order = make_order(offer, buyer, now=OPENED - timedelta(days=2))
    discussion = open_discussion(
        order, reason=Reason.PRODUCT_PROBLEM, expected_solution="REPAIR", now=OPENED - timedelta(days=1)
    )
    client.force_login(seller)
    response = client.post(
        reverse("discussions:seller_propose", args=[discussion.pk]),
        {"solution": "PARTIAL_REFUND", "amount": "10.00", "percent": "10"},
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert '<details class="propose" open>' in body
    assert 'value="10.00"' in body and 'value="10"' in body
    assert "field-error" in body or "form-errors" in body


def test_rpt_01_the_conversation_shows_each_message_as_its_reader_sees_it(client, offer, buyer, seller, mediator):
    order = make_order(offer, buyer, now=OPENED - timedelta(days=2))
    discussion = open_discussion(order, now=OPENED - timedelta(days=1), text="Gdzie <paczka> & co?")
    now = OPENED - timedelta(hours=20)
    reply = services.post_message(discussion, author=seller, role=Role.SELLER, text="Wysłana\njutro", now=now)
    Attachment.objects.create(
        message=reply, file="x.png", original_name='zdjęcie "1".png', content_type="image/png", size=1
    )
    Attachment.objects.create(
        message=reply, file="y.pdf", original_name="faktura.pdf", content_type="application/pdf", size=1
    )
    hidden = services.post_message(discussion, author=seller, role=Role.SELLER, text="Obraźliwe", now=now)
    Message.objects.filter(pk=hidden.pk).update(hidden_at=now, hidden_by=mediator)
    own = Message.objects.get(discussion=discussion, author=buyer)

    client.force_login(buyer)
    body = client.get(discussion.get_absolute_url()).content.decode()
    assert "Gdzie &lt;paczka&gt; &amp; co?" in body
    assert "Wysłana<br>jutro" in body
    assert "Obraźliwe" not in body and "Ta wiadomość została ukryta przez Allegro." in body
    # RPT-01: the other party's visible messages can be reported; one's own and hidden ones not.
    assert f'action="/my/discussions/{discussion.pk}/messages/{reply.pk}/report/"' in body
    assert f"/messages/{own.pk}/report/" not in body and f"/messages/{hidden.pk}/report/" not in body
    assert f'id="report-comment-{reply.pk}"' in body
    image, pdf = Attachment.objects.order_by("pk")
    assert f'<img src="/attachments/{image.pk}/" alt="zdjęcie &quot;1&quot;.png"' in body
    assert f'<a href="/attachments/{pdf.pk}/" target="_blank" rel="noopener"><span>faktura.pdf</span></a>' in body
    # Automatic messages in the reader's language (I18N-01).
    assert "Kupujący rozpoczął Dyskusję." in body
    client.cookies["django_language"] = "en"
    assert "The buyer started a Discussion." in client.get(discussion.get_absolute_url()).content.decode()

    client.force_login(seller)
    body = client.get(discussion.get_seller_url()).content.decode()
    assert f'action="/seller/discussions/{discussion.pk}/messages/{own.pk}/report/"' in body
    assert f"/messages/{reply.pk}/report/" not in body


def test_the_header_knows_whether_the_reader_of_a_buyer_page_also_sells(client, offer, buyer, other_seller):
    """The page's query also answers the header's question (seller links or not)."""
    for reader, sells in ((buyer, False), (other_seller, True)):
        order = make_order(offer, reader, now=OPENED - timedelta(days=2))
        discussion = open_discussion(order, now=OPENED - timedelta(days=1))
        client.force_login(reader)
        body = client.get(discussion.get_absolute_url()).content.decode()
        assert ('href="/seller/orders/"' in body) is sells
