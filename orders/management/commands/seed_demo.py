"""Demo data: users for every role, offers in several markets and orders in every
payment and shipment state. Idempotent: running it again changes nothing.

Orders are made through the same services the pages use, at instants in the past,
so their history (events, payments, refunds) is as real as the rest.
"""

from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from core.mediators import MEDIATORS_GROUP, sync_mediators_group
from orders import demo_commission, services
from orders.models import LinkedAccountGroup, Market, Offer, Order, Profile, SellerAccount, Shipment
from orders.signals import demo_data_seeded

DEMO_PASSWORD = "demo-2026"

# login, first name, role
DEMO_USERS = [
    ("kupujacy", "Anna", "buyer"),
    ("kupujacy2", "Piotr", "buyer"),
    ("kupujici_cz", "Jana", "buyer"),
    ("kupujuci_sk", "Zuzana", "buyer"),
    ("vevo_hu", "Eszter", "buyer"),
    ("klient_grozi", "Jerzy", "buyer"),
    ("klient_dane", "Daniel", "buyer"),
    ("klient_regulamin", "Roman", "buyer"),
    ("sprzedawca", "Marek", "seller"),
    ("sprzedawca_cz", "Marek", "seller"),
    ("predajca_sk", "Peter", "seller"),
    ("elado_hu", "Gábor", "seller"),
    ("sklep_ogrod", "Ewa", "seller"),
    ("okazje24", "Karol", "seller"),
    ("tanie_rtv", "Rafał", "seller"),
    ("mediator", "Magda", "mediator"),
    ("mediator2", "Tomasz", "mediator"),
    ("admin", "Admin", "superuser"),
]

# seller login → (shop name, market, linked group name or None)
DEMO_ACCOUNTS = {
    "sprzedawca": ("Elektro Marek", "PL", "Elektro Marek"),
    "sprzedawca_cz": ("Elektro Marek CZ", "CZ", "Elektro Marek"),
    "predajca_sk": ("Elektro Marek SK", "SK", "Elektro Marek"),
    "elado_hu": ("Budai Műszaki", "HU", None),
    "sklep_ogrod": ("Ogród i Dom", "PL", None),
    "okazje24": ("Okazje 24", "PL", None),
    "tanie_rtv": ("Tanie RTV", "PL", None),
}

# seller login, market, title, price, stock, format, commission rate
DEMO_OFFERS = [
    ("sprzedawca", "PL", "Słuchawki bezprzewodowe ANC", "349.00", 40, Offer.Format.BUY_NOW, "0.0900"),
    ("sprzedawca", "PL", "Ładowarka USB-C 65 W", "129.99", 60, Offer.Format.BUY_NOW, "0.0900"),
    ("sprzedawca", "PL", "Kabel HDMI 2.1, 2 m", "39.90", 100, Offer.Format.BUY_NOW, "0.1000"),
    ("sprzedawca", "PL", "Głośnik Bluetooth — ostatnia sztuka", "199.00", 1, Offer.Format.BUY_NOW, "0.0900"),
    ("sprzedawca", "PL", "Aparat analogowy Zenit (aukcja)", "450.00", 3, Offer.Format.AUCTION, "0.0800"),
    ("sprzedawca", "PL", "Powerbank 20 000 mAh", "149.00", 0, Offer.Format.BUY_NOW, "0.0900"),
    ("sprzedawca_cz", "CZ", "Bezdrátová sluchátka ANC", "2190.00", 30, Offer.Format.BUY_NOW, "0.0900"),
    ("sprzedawca_cz", "CZ", "Nabíječka USB-C 65 W", "790.00", 40, Offer.Format.BUY_NOW, "0.0900"),
    ("predajca_sk", "SK", "Bezdrôtové slúchadlá ANC", "89.90", 25, Offer.Format.BUY_NOW, "0.0900"),
    ("predajca_sk", "SK", "Nabíjačka USB-C 65 W", "32.50", 40, Offer.Format.BUY_NOW, "0.0900"),
    ("elado_hu", "HU", "Vezeték nélküli fejhallgató ANC", "34990.00", 20, Offer.Format.BUY_NOW, "0.0900"),
    ("elado_hu", "HU", "USB-C töltő 65 W", "12990.00", 35, Offer.Format.BUY_NOW, "0.0900"),
    ("sklep_ogrod", "PL", "Sekator ogrodowy", "89.00", 25, Offer.Format.BUY_NOW, "0.1100"),
    ("sklep_ogrod", "PL", "Konewka 10 l", "45.00", 50, Offer.Format.BUY_NOW, "0.1100"),
    ("okazje24", "PL", "Smartwatch Fit 2", "259.00", 30, Offer.Format.BUY_NOW, "0.0900"),
    ("tanie_rtv", "PL", "Pilot uniwersalny", "59.00", 80, Offer.Format.BUY_NOW, "0.1000"),
]


DEMO_DESCRIPTIONS = {
    "PL": "Nowy, z gwarancją producenta.",
    "CZ": "Nové, se zárukou výrobce.",
    "SK": "Nové, so zárukou výrobcu.",
    "HU": "Új, gyártói garanciával.",
}

# The language each demo buyer of another market reads the site in (I18N-01).
DEMO_LANGUAGES = {"kupujici_cz": "cs", "kupujuci_sk": "sk", "vevo_hu": "hu"}


class Command(BaseCommand):
    help = "Load demo users, offers and orders (idempotent)."

    def handle(self, **options):
        with transaction.atomic():
            users = self._users()
            accounts = self._accounts(users)
            offers = self._offers(accounts)
            if not Order.objects.filter(seller_account__in=accounts.values()).exists():
                self._orders(users, offers)
            # Other apps (Discussions, …) add theirs; each is idempotent on its own.
            demo_data_seeded.send(sender=self.__class__, users=users, offers=offers, now=timezone.now())
            demo_commission.seed(users, timezone.now())
        self.stdout.write(self.style.SUCCESS("Demo data ready."))
        self.stdout.write(f"Demo sign-ins (password for all: {DEMO_PASSWORD}):")
        for login, _name, role in DEMO_USERS:
            self.stdout.write(f"  {login:<14} {role}")

    def _users(self):
        User = get_user_model()
        sync_mediators_group()
        mediators = Group.objects.get(name=MEDIATORS_GROUP)
        users = {}
        for login, first_name, role in DEMO_USERS:
            user, created = User.objects.get_or_create(
                username=login,
                defaults={
                    "first_name": first_name,
                    "email": f"{login}@example.com",
                    "is_staff": role in ("mediator", "superuser"),
                    "is_superuser": role == "superuser",
                },
            )
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save()
                if role == "mediator":
                    user.groups.add(mediators)
            if login in DEMO_LANGUAGES:
                Profile.objects.get_or_create(user=user, defaults={"language": DEMO_LANGUAGES[login]})
            users[login] = user
        return users

    def _accounts(self, users):
        accounts = {}
        for login, (shop, market, group_name) in DEMO_ACCOUNTS.items():
            group = LinkedAccountGroup.objects.get_or_create(name=group_name)[0] if group_name else None
            accounts[login], _created = SellerAccount.objects.get_or_create(
                user=users[login], defaults={"display_name": shop, "market_id": market, "linked_group": group}
            )
        return accounts

    def _offers(self, accounts):
        offers = {}
        for login, market, title, price, stock, fmt, rate in DEMO_OFFERS:
            offers[title], _created = Offer.objects.get_or_create(
                seller_account=accounts[login],
                title=title,
                defaults={
                    "market": Market.objects.get(pk=market),
                    "price": Decimal(price),
                    "stock": stock,
                    "format": fmt,
                    "commission_rate": Decimal(rate),
                    "description": f"{title}. {DEMO_DESCRIPTIONS[market]}",
                },
            )
        return offers

    def _orders(self, users, offers):
        now = timezone.now()
        buyer, buyer2, buyer_cz = users["kupujacy"], users["kupujacy2"], users["kupujici_cz"]
        seller = users["sprzedawca"]
        online, transfer = Order.PaymentMethod.ONLINE, Order.PaymentMethod.TRADITIONAL_TRANSFER
        headphones = offers["Słuchawki bezprzewodowe ANC"]
        charger = offers["Ładowarka USB-C 65 W"]
        cable = offers["Kabel HDMI 2.1, 2 m"]

        def buy(offer, who, ago, method=online, quantity=1, **kwargs):
            return services.buy_offer(
                offer, buyer=who, quantity=quantity, payment_method=method, now=now - ago, **kwargs
            )

        def ship(order, ago, *, tracking, handed=None, delivered=None, carrier=Shipment.Carrier.INPOST):
            who = order.seller_account.user
            services.enter_tracking(order, seller=who, carrier=carrier, tracking_number=tracking, now=now - ago)
            if handed is not None:
                services.mark_handed_over(order, seller=who, now=now - handed)
            if delivered is not None:
                services.simulate_carrier_delivery(carrier, tracking, delivered_at=now - delivered)
                services.record_delivery(order.shipment, delivered_at=now - delivered, now=now - delivered)

        day, hour = timedelta(days=1), timedelta(hours=1)

        # Paid and delivered.
        order = buy(headphones, buyer, 20 * day)
        services.pay_order(order, buyer=buyer, now=now - 20 * day + hour)
        ship(order, 19 * day, tracking="DEMO-PL-0001", handed=19 * day - 2 * hour, delivered=17 * day)
        # Paid, handed to the carrier, on its way (the simulated carrier has not delivered yet).
        order = buy(charger, buyer, 3 * day, quantity=2)
        services.pay_order(order, buyer=buyer, now=now - 3 * day + hour)
        ship(order, 2 * day, tracking="DEMO-PL-0002", handed=2 * day - hour)
        # Paid, tracking number entered, not handed over yet.
        order = buy(cable, buyer2, 1 * day)
        services.pay_order(order, buyer=buyer2, now=now - 1 * day + hour)
        ship(order, 20 * hour, tracking="DEMO-PL-0003", carrier=Shipment.Carrier.DPD)
        # Paid two hours ago, to ship.
        order = buy(headphones, buyer2, 2 * hour)
        services.pay_order(order, buyer=buyer2, now=now - 2 * hour + timedelta(minutes=5))
        # Unpaid, still within the 7 days.
        buy(charger, buyer, 1 * day)
        # Unpaid online, payment overdue (7 days passed).
        buy(cable, buyer2, 10 * day, quantity=3)
        # Traditional transfer, unpaid, within the 14 days.
        buy(headphones, buyer, 10 * day, method=transfer)
        # Traditional transfer, overdue.
        buy(charger, buyer2, 20 * day, method=transfer)
        # Traditional transfer received.
        order = buy(cable, buyer, 6 * day, method=transfer)
        services.mark_transfer_received(order, seller=seller, now=now - 4 * day)
        # Cancelled by the buyer.
        order = buy(charger, buyer, 5 * day)
        services.cancel_order(order, buyer=buyer, now=now - 4 * day)
        # Paid, partly refunded (one of two units).
        order = buy(cable, buyer2, 15 * day, quantity=2)
        services.pay_order(order, buyer=buyer2, now=now - 15 * day + hour)
        services.refund_order(order, seller=seller, lines={order.lines.get().pk: 1}, now=now - 12 * day)
        # Paid, fully refunded.
        order = buy(headphones, buyer, 12 * day)
        services.pay_order(order, buyer=buyer, now=now - 12 * day + hour)
        services.refund_order(order, seller=seller, full=True, now=now - 11 * day)
        # Older than 45 days; older than 180 days.
        order = buy(charger, buyer, 60 * day)
        services.pay_order(order, buyer=buyer, now=now - 60 * day + hour)
        ship(order, 59 * day, tracking="DEMO-PL-0060", handed=59 * day, delivered=57 * day)
        order = buy(headphones, buyer2, 200 * day)
        services.pay_order(order, buyer=buyer2, now=now - 200 * day + hour)
        ship(order, 199 * day, tracking="DEMO-PL-0200", handed=199 * day, delivered=197 * day)
        # An auction won (auctions come from the demo data and the admin only).
        order = services.create_auction_order(
            offers["Aparat analogowy Zenit (aukcja)"], buyer=buyer, payment_method=online, now=now - 8 * day
        )
        services.pay_order(order, buyer=buyer, now=now - 8 * day + hour)
        # Allegro Lokalnie.
        order = buy(offers["Sekator ogrodowy"], buyer, 9 * day, service=Order.Service.ALLEGRO_LOKALNIE)
        services.pay_order(order, buyer=buyer, now=now - 9 * day + hour)
        # Czech market, on the linked account.
        order = buy(offers["Bezdrátová sluchátka ANC"], buyer_cz, 6 * day)
        services.pay_order(order, buyer=buyer_cz, now=now - 6 * day + hour)
        ship(order, 5 * day, tracking="DEMO-CZ-0001", handed=5 * day, delivered=3 * day, carrier=Shipment.Carrier.PPL)
        order = buy(offers["Nabíječka USB-C 65 W"], buyer_cz, 2 * day)
        services.pay_order(order, buyer=buyer_cz, now=now - 2 * day + hour)
        ship(order, 1 * day, tracking="DEMO-CZ-0002", handed=1 * day, carrier=Shipment.Carrier.PACKETA)
        # Slovak and Hungarian markets: one delivered, one on its way, one unpaid each.
        for buyer_login, first, second, prefix, carrier in [
            ("kupujuci_sk", "Bezdrôtové slúchadlá ANC", "Nabíjačka USB-C 65 W", "DEMO-SK", Shipment.Carrier.PACKETA),
            ("vevo_hu", "Vezeték nélküli fejhallgató ANC", "USB-C töltő 65 W", "DEMO-HU", Shipment.Carrier.GLS),
        ]:
            who = users[buyer_login]
            order = buy(offers[first], who, 9 * day)
            services.pay_order(order, buyer=who, now=now - 9 * day + hour)
            ship(order, 8 * day, tracking=f"{prefix}-0001", handed=8 * day, delivered=6 * day, carrier=carrier)
            order = buy(offers[second], who, 2 * day)
            services.pay_order(order, buyer=who, now=now - 2 * day + hour)
            ship(order, 1 * day, tracking=f"{prefix}-0002", handed=1 * day, carrier=carrier)
            buy(offers[second], who, 1 * day)
