"""SAFE-01 on *API i aplikacje*: registering an application sent twice (a double click,
a reload) registers one, and the second answer shows the first result."""

import pytest
from django.urls import reverse
from oauth2_provider.models import Application

from tests.forms import flashed, hidden_fields

pytestmark = pytest.mark.django_db


def test_safe_01_an_application_registration_sent_twice_registers_one(client, seller):
    client.force_login(seller)
    dashboard = reverse("api_pages:dashboard")
    fields = hidden_fields(client.get(dashboard), f"{dashboard}#register")
    data = {"name": "Magazyn sync", "redirect_uris": "https://sync.example.com/cb", "client_type": "confidential"}

    first = client.post(dashboard, {**data, **fields})
    second = client.post(dashboard, {**data, **fields})

    assert Application.objects.filter(user=seller).count() == 1
    assert first.status_code == second.status_code == 302
    assert second["Location"] == first["Location"]
    levels = [level for level, _text in flashed(second)]
    assert "error" not in levels and "info" in levels, flashed(second)
