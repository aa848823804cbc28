"""API-01: the API is served under a configurable base path (API_BASE_PATH), so a client
generated from the marketplace's description works with its server URL set to
<host>/<base path>. URLs are built at start-up, so this starts a fresh interpreter."""

import os
import subprocess
import sys

from django.conf import settings

SCRIPT = """
import django
django.setup()
from django.test import Client
from django.urls import reverse
client = Client()
print(reverse("api:issues"))
print(client.get("/partner-api/sale/issues").status_code)
print(client.get("/api/sale/issues").status_code)
print(client.get("/partner-api/openapi.json").status_code)
"""


def test_api_01_base_path_is_configurable():
    env = {
        **os.environ,
        "API_BASE_PATH": "/partner-api/",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": "sqlite://:memory:",
    }
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env, cwd=settings.BASE_DIR, timeout=60
    )
    assert result.returncode == 0, result.stderr
    path, new_status, old_status, schema_status = result.stdout.split()
    assert path == "/partner-api/sale/issues"
    assert new_status == "401"  # the endpoint is there and asks for a token
    assert old_status == "404"
    assert schema_status == "200"
