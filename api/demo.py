"""Demo OAuth2 application of the demo seller account (connected to
`orders.signals.demo_data_seeded`):
"Demo integracja", with a known client ID and secret so the developer guide can be
tried at once against the demo data. Idempotent: a second run changes nothing.

Demo values only — never use them outside the demo database.
"""

from django.conf import settings
from django.urls import reverse
from oauth2_provider.models import Application

DEMO_SELLER = "sprzedawca"
DEMO_APPLICATION_NAME = "Demo integracja"
DEMO_CLIENT_ID = "demo-integracja-elektro-marek"
DEMO_CLIENT_SECRET = "demo-integracja-sekret-2026"


def seed(sender=None, users=None, **kwargs):
    """The demo application of the demo seller account; returns it."""
    redirect_uri = settings.SITE_URL.rstrip("/") + reverse("api_pages:guide")
    application, _created = Application.objects.get_or_create(
        client_id=DEMO_CLIENT_ID,
        defaults={
            "user": users[DEMO_SELLER],
            "name": DEMO_APPLICATION_NAME,
            "client_type": Application.CLIENT_CONFIDENTIAL,
            "authorization_grant_type": Application.GRANT_AUTHORIZATION_CODE,
            "redirect_uris": redirect_uri,
            # Hashed when saved, like every other secret.
            "client_secret": DEMO_CLIENT_SECRET,
        },
    )
    return application
