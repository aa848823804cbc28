"""factory-boy factories for the whole suite."""

import secrets
from datetime import timedelta
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from orders.models import LinkedAccountGroup, Market, Offer, Order, OrderLine, SellerAccount

PASSWORD = "test-pass-123"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password(PASSWORD)


class LinkedAccountGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LinkedAccountGroup

    name = factory.Sequence(lambda n: f"Business {n}")


def market(code="PL"):
    return Market.objects.get(pk=code)


class SellerAccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SellerAccount

    user = factory.SubFactory(UserFactory, username=factory.Sequence(lambda n: f"seller{n}"))
    display_name = factory.Sequence(lambda n: f"Shop {n}")
    market = factory.LazyFunction(market)


class OfferFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Offer

    seller_account = factory.SubFactory(SellerAccountFactory)
    market = factory.LazyAttribute(lambda o: o.seller_account.market)
    title = factory.Sequence(lambda n: f"Product {n}")
    price = Decimal("100.00")
    stock = 10
    commission_rate = Decimal("0.1000")


class OrderFactory(factory.django.DjangoModelFactory):
    """An order made directly (no stock taken, no events): for list pages and access tests.
    Tests of the rules create orders through services.buy_offer instead."""

    class Meta:
        model = Order

    offer = factory.SubFactory(OfferFactory)
    quantity = 1
    buyer = factory.SubFactory(UserFactory)
    seller_account = factory.LazyAttribute(lambda o: o.offer.seller_account)
    market = factory.LazyAttribute(lambda o: o.offer.market)
    created_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=1))
    payment_method = Order.PaymentMethod.ONLINE
    total_amount = factory.LazyAttribute(lambda o: o.offer.price * o.quantity)
    payment_due_at = factory.LazyAttribute(lambda o: Order.compute_payment_due_at(o.created_at, o.payment_method))

    @classmethod
    def _create(cls, model_class, *args, offer, quantity, **kwargs):
        order = super()._create(model_class, *args, **kwargs)
        OrderLine.objects.create(
            order=order,
            offer=offer,
            title=offer.title,
            unit_price=offer.price,
            quantity=quantity,
            commission_per_unit=offer.commission_per_unit,
        )
        return order


class OAuthApplicationFactory(factory.django.DjangoModelFactory):
    """A seller's registered API application (django-oauth-toolkit), confidential, for the
    authorization-code flow."""

    class Meta:
        model = "oauth2_provider.Application"

    name = factory.Sequence(lambda n: f"Seller tool {n}")
    user = factory.SubFactory(UserFactory)
    client_type = "confidential"
    authorization_grant_type = "authorization-code"
    redirect_uris = "https://tool.example.com/callback"


class AccessTokenFactory(factory.django.DjangoModelFactory):
    """An OAuth2 access token of `user` for `application`, with every scope of the seller
    API, valid for an hour."""

    class Meta:
        model = "oauth2_provider.AccessToken"

    user = factory.SubFactory(UserFactory)
    application = factory.SubFactory(OAuthApplicationFactory, user=factory.SelfAttribute("..user"))
    token = factory.LazyFunction(lambda: secrets.token_urlsafe(32))
    expires = factory.LazyFunction(lambda: timezone.now() + timedelta(hours=1))
    scope = "allegro:api:disputes allegro:api:orders:read allegro:api:orders:write"
