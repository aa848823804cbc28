"""Demo entries of the inactive-buyers tab (connected to `orders.signals.demo_data_seeded`):
one per reason on *Elektro Marek*, one about to expire, and one copied to the linked
Czech account (BLK-08). Made through the services at past instants."""

import io
from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw

from orders import services as orders
from orders.models import Order

from . import services
from .models import BlockReason, InactiveBuyer

DAY = timedelta(days=1)


def _screenshot(number):
    image = Image.new("RGB", (640, 360), (245, 245, 245))
    draw = ImageDraw.Draw(image)
    draw.rectangle((20, 20, 620, 340), outline=(200, 200, 200), width=2)
    draw.text((40, 40), f"Wiadomosc od kupujacego #{number}", fill=(20, 20, 20))
    draw.text((40, 80), "Jak nie oddasz pieniedzy, to pozalujesz.", fill=(180, 0, 0))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return SimpleUploadedFile(f"zrzut-ekranu-{number}.png", out.getvalue(), content_type="image/png")


def seed(sender=None, *, users, offers, now, **kwargs):
    logins = ["klient_grozi", "klient_dane", "klient_regulamin"]
    if InactiveBuyer.objects.filter(buyer__username__in=logins).exists():
        return
    seller, seller_cz = users["sprzedawca"], users["sprzedawca_cz"]
    account = seller.seller_account
    cable = offers["Kabel HDMI 2.1, 2 m"]

    def orders_of(buyer, first_ago, count=3):
        made = []
        for i in range(count):
            at = now - first_ago + i * 7 * DAY
            order = orders.buy_offer(cable, buyer=buyer, quantity=1, payment_method=Order.PaymentMethod.ONLINE, now=at)
            if i != 1:  # one left unpaid: the buyer gave false data and never paid
                orders.pay_order(order, buyer=buyer, now=at + timedelta(minutes=5))
            made.append(order)
        return made

    # THREATS, with three pictures, added 20 days ago.
    threats = users["klient_grozi"]
    orders_of(threats, 40 * DAY, count=1)
    original = services.add_entry(
        account,
        seller=seller,
        login=threats.username,
        reason=BlockReason.THREATS,
        note="Groźby w wiadomościach po odmowie zwrotu poza terminem.",
        images=[_screenshot(n) for n in (1, 2, 3)],
        now=now - 20 * DAY,
    )
    # BLK-08: copied to the linked Czech account with only a confirmation.
    services.add_entry(seller_cz.seller_account, seller=seller_cz, login=threats.username, now=now - 19 * DAY)

    # FALSE_DATA, with three orders as evidence, added 10 days ago.
    false_data = users["klient_dane"]
    evidence = orders_of(false_data, 60 * DAY)
    services.add_entry(
        account,
        seller=seller,
        login=false_data.username,
        reason=BlockReason.FALSE_DATA,
        note="Trzy razy podał nieistniejący adres; paczki wróciły.",
        order_ids=[o.pk for o in evidence],
        now=now - 10 * DAY,
    )

    # RULES_BREACH, added 179 days ago: leaves the tab tomorrow (BLK-02).
    rules = users["klient_regulamin"]
    evidence = orders_of(rules, 200 * DAY)
    services.add_entry(
        account,
        seller=seller,
        login=rules.username,
        reason=BlockReason.RULES_BREACH,
        order_ids=[o.pk for o in evidence],
        now=now - 179 * DAY,
    )
    return original
