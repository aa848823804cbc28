"""Cross-cutting rules of the foundation: time storage and display (TIME-01, TIME-04),
history kept (SEC-03), production settings and sign-in rate limit (SEC-04), bad input
kept with a message next to the field (SEC-05)."""

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.db.models import ProtectedError
from django.urls import reverse

from discussions.models import Discussion
from orders import services
from orders.models import Order
from tests.discussions.conftest import make_order, open_discussion
from tests.factories import OfferFactory, SellerAccountFactory, UserFactory, market

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.django_db
def test_time_01_instants_are_stored_in_utc_and_shown_in_the_market_time_with_zone(client, buyer):
    prague = ZoneInfo("Europe/Prague")
    offer = OfferFactory(seller_account=SellerAccountFactory(market=market("CZ")), market=market("CZ"))
    bought = datetime(2026, 7, 1, 23, 30, tzinfo=prague)  # summer time: 21:30 UTC
    order = services.buy_offer(offer, buyer=buyer, quantity=1, payment_method=Order.PaymentMethod.ONLINE, now=bought)
    stored = Order.objects.get(pk=order.pk).created_at
    assert stored.utcoffset() == timedelta(0)
    assert stored == datetime(2026, 7, 1, 21, 30, tzinfo=UTC)
    client.force_login(buyer)
    body = client.get(order.get_absolute_url()).content.decode()
    assert "01.07.2026 23:30 CEST" in body


@pytest.mark.django_db
def test_time_04_thirty_days_are_plain_elapsed_time_across_a_dst_change(offer, buyer):
    warsaw = ZoneInfo("Europe/Warsaw")
    opened = datetime(2026, 10, 10, 12, 0, tzinfo=warsaw)  # DST ends on 25 October
    order = make_order(offer, buyer, now=opened - timedelta(days=1))
    discussion = open_discussion(order, now=opened)
    assert discussion.auto_resolve_at - opened == timedelta(days=30)
    # 30 × 24 h of real time: the local wall clock reads one hour earlier after the change.
    assert discussion.auto_resolve_at.astimezone(warsaw).hour == 11


@pytest.mark.django_db
def test_sec_03_history_rows_cannot_be_deleted(offer, buyer):
    order = make_order(offer, buyer)
    discussion = open_discussion(order)
    with pytest.raises(ProtectedError):
        order.delete()
    with pytest.raises(ProtectedError):
        discussion.order.lines.get().delete()
    assert Discussion.objects.filter(pk=discussion.pk).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "model",
    ["orders/order", "orders/shipment", "discussions/discussion", "discussions/report", "discussions/notification"],
)
def test_sec_03_the_admin_offers_no_delete(admin_client, model):
    from django.apps import apps
    from django.contrib import admin

    app_label, model_name = model.split("/")
    model_admin = admin.site._registry[apps.get_model(app_label, model_name)]
    request = admin_client.get("/admin/").wsgi_request
    assert not model_admin.has_delete_permission(request)


def test_sec_04_production_settings_pass_check_deploy():
    # The test run's own DJANGO_ALLOW_ASYNC_UNSAFE (for Playwright) is not production's.
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "DEBUG": "False",
        "SECRET_KEY": "x" * 64 + "-production-like-secret-key-for-the-deploy-check",
        "ALLOWED_HOSTS": "disputes.example.com",
        "DATABASE_URL": "sqlite:////tmp/deploy-check.sqlite3",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_sec_04_production_refuses_to_start_without_a_secret_key():
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    env.update({"DEBUG": "False", "ALLOWED_HOSTS": "disputes.example.com"})
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


@pytest.mark.django_db
def test_sec_04_sign_in_attempts_are_rate_limited_per_username_and_ip(client, settings):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 3
    UserFactory(username="victim")
    url = reverse("login")
    for _ in range(3):
        client.post(url, {"username": "victim", "password": "wrong"}, REMOTE_ADDR="10.0.0.1")
    locked = client.post(url, {"username": "victim", "password": "test-pass-123"}, REMOTE_ADDR="10.0.0.1")
    assert locked.status_code == 429
    # Another address is not locked out: locking by username alone would let anyone lock a victim out.
    other = client.post(url, {"username": "victim", "password": "test-pass-123"}, REMOTE_ADDR="10.0.0.2")
    assert other.status_code == 302


@pytest.mark.django_db
def test_sec_05_bad_quantity_gets_a_message_next_to_the_field_and_keeps_the_input(client, buyer, offer):
    client.force_login(buyer)
    response = client.post(offer.get_absolute_url(), {"quantity": "abc", "payment_method": "ONLINE"})
    body = response.content.decode()
    assert 'class="field-error"' in body
    assert 'value="abc"' in body
    assert not Order.objects.exists()
