"""The device authorization flow (RFC 8628, API-05) as an integration goes through it, for
any test that needs a token obtained that way (the generated-client contract test too):

    token = obtain_token_by_device_flow(Client(), client_id=…, client_secret=…, seller=user,
                                        wait=lambda seconds: traveller.shift(seconds))

The device's requests (`POST /auth/oauth/device`, then polling `POST /auth/oauth/token`
with the parameters in the query string, as the marketplace's examples send them) go to
a Django test client, or over HTTP to a base URL (a live server). The seller's part —
signing in and allowing the code on the verification page — goes through a Django test
client signed in as `seller` (the same database). `wait(seconds)` is called before each
poll but the first; pass one that moves a time-machine traveller (tests never sleep).
Returns the token endpoint's JSON body (access_token, refresh_token, …).
"""

import base64
from urllib.parse import urlencode, urlsplit

import httpx
from django.test import Client

DEVICE = "/auth/oauth/device"
TOKEN = "/auth/oauth/token"
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


class DeviceFlowError(AssertionError):
    pass


class _Answer:
    def __init__(self, status, body):
        self.status_code = status
        self.body = body


def _post(client_or_base_url, path, *, query=None, form=None, headers=None):
    url = f"{path}?{urlencode(query)}" if query else path
    body = urlencode(form or {})
    content_type = "application/x-www-form-urlencoded"
    if isinstance(client_or_base_url, str):
        response = httpx.post(
            client_or_base_url.rstrip("/") + url,
            content=body,
            headers={**(headers or {}), "Content-Type": content_type},
        )
        return _Answer(response.status_code, response.json())
    response = client_or_base_url.post(url, body, content_type=content_type, headers=headers or {})
    return _Answer(response.status_code, response.json())


def basic_auth(client_id, client_secret):
    return "Basic " + base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()


def request_device_codes(client_or_base_url, *, client_id, client_secret=None, scope=None):
    """POST /auth/oauth/device: the device's codes (RFC 8628 §3.2)."""
    form = {"client_id": client_id, **({"scope": scope} if scope else {})}
    headers = {"Authorization": basic_auth(client_id, client_secret)} if client_secret else {}
    answer = _post(client_or_base_url, DEVICE, form=form, headers=headers)
    if answer.status_code != 200:
        raise DeviceFlowError(f"device authorization refused: {answer.status_code} {answer.body}")
    return answer.body


def poll_token(client_or_base_url, *, client_id, client_secret=None, device_code):
    """One poll of the token endpoint, parameters in the query string: (status, body)."""
    query = {"grant_type": DEVICE_GRANT, "device_code": device_code}
    headers = {"Authorization": basic_auth(client_id, client_secret)} if client_secret else {}
    if not client_secret:
        query["client_id"] = client_id
    answer = _post(client_or_base_url, TOKEN, query=query, headers=headers)
    return answer.status_code, answer.body


def seller_decides(seller, verification_uri_complete, *, decision="allow"):
    """The seller opens the address the device showed, signed in, and allows (or denies)."""
    browser = Client()
    browser.force_login(seller)
    parts = urlsplit(verification_uri_complete)
    page = browser.get(f"{parts.path}?{parts.query}")
    if page.status_code != 200:
        raise DeviceFlowError(f"verification page: {page.status_code}")
    code = dict(item.split("=", 1) for item in parts.query.split("&"))["code"]
    done = browser.post(parts.path, {"code": code, "decision": decision})
    if done.status_code != 200:
        raise DeviceFlowError(f"decision refused: {done.status_code}")
    return done


def obtain_token_by_device_flow(
    client_or_base_url, *, client_id, client_secret=None, seller, scope=None, wait, max_polls=5
):
    """The whole flow: device codes, one poll while pending, the seller allows, polls
    until the tokens come. Raises DeviceFlowError on anything else."""
    codes = request_device_codes(client_or_base_url, client_id=client_id, client_secret=client_secret, scope=scope)
    credentials = {"client_id": client_id, "client_secret": client_secret, "device_code": codes["device_code"]}
    status, body = poll_token(client_or_base_url, **credentials)
    if (status, body.get("error")) != (400, "authorization_pending"):
        raise DeviceFlowError(f"expected authorization_pending: {status} {body}")
    seller_decides(seller, codes["verification_uri_complete"])
    interval = codes["interval"]
    for _poll in range(max_polls):
        wait(interval)
        status, body = poll_token(client_or_base_url, **credentials)
        if status == 200:
            return body
        if body.get("error") == "slow_down":
            interval += 5
            continue
        raise DeviceFlowError(f"token refused: {status} {body}")
    raise DeviceFlowError("no token after polling")
