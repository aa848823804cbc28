"""SAFE-09: bad input never causes a 500.

- The seller API answers a body nested too deeply, or too large, with a 400 in its error
  shape (`{"errors": [...]}`), never Django's HTML 500 (a RecursionError in the parser).
- A list of the mediators' desk given an impossible filter value (a year past any
  calendar, a NUL character) goes back to the whole list (`?e=1`, as Django does for a
  filter it cannot apply) with a message that says so.
- The walk: every URL pattern of the resolver, as each kind of user, with malformed
  query strings and bodies; no answer is a 5xx.
"""

import re
from dataclasses import dataclass

import pytest
from django.contrib import admin
from django.contrib.admin.views.main import ERROR_FLAG
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from oauth2_provider.models import Application

from api.base import BETA, PUBLIC
from buyers.models import EvidenceImage
from discussions import services as discussion_services
from discussions.models import Discussion, Report
from orders.models import CommissionRefundLine, SellerAccount
from tests import test_permissions as sec01
from tests.api.conftest import ALL_SCOPES, api_path, make_token
from tests.api.test_auth_matrix import assert_errors_shape
from tests.factories import UserFactory

# SEC-01's world: an order of `buyer` from `seller` with an open Discussion, messages and
# a picture; its URL table fills in the site's URL parameters.
world = sec01.world

# --- the seller API: bodies nested too deeply or too large --------------------------------


def _nested(depth):
    return "[" * depth + "]" * depth


@pytest.fixture
def seller_token(db, seller):
    application = Application.objects.create(
        name="Seller tool",
        user=seller,
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris="https://tool.example.com/callback",
    )
    return make_token(seller, application)


def _api_post(token, path, body, content_type):
    client = Client(raise_request_exception=False)
    accept = BETA if path.startswith("/sale/") else PUBLIC
    return client.post(
        api_path(path),
        body,
        content_type=content_type,
        headers={"Authorization": f"Bearer {token.token}", "Accept": accept, "Accept-Language": "en-US"},
    )


# "{issue}": the world's Discussion (the endpoint looks the issue up before reading the body).
API_BODY_TARGETS = [
    ("/sale/issues/{issue}/message", BETA),
    ("/sale/issues/attachments", BETA),
    ("/order/refund-claims", PUBLIC),
    ("/order/refund-claims", "application/json"),
]


@pytest.mark.parametrize(("path", "content_type"), API_BODY_TARGETS)
@pytest.mark.parametrize("depth", [100_000, 200], ids=["past-the-recursion-limit", "past-the-depth-limit"])
def test_safe_09_deeply_nested_json_gets_a_400_in_the_api_error_shape(world, seller_token, path, content_type, depth):
    response = _api_post(seller_token, path.format(issue=world.discussion.public_id), _nested(depth), content_type)

    assert response.status_code == 400, response.content[:500]
    assert_errors_shape(response)
    error = response.json()["errors"][0]
    assert error["code"] == "MALFORMED_REQUEST"
    assert "nested" in error["userMessage"]


@pytest.mark.parametrize(("path", "content_type"), API_BODY_TARGETS)
def test_safe_09_deeply_nested_object_gets_a_400_too(world, seller_token, path, content_type):
    body = '{"a":' * 300 + "1" + "}" * 300

    response = _api_post(seller_token, path.format(issue=world.discussion.public_id), body, content_type)

    assert response.status_code == 400, response.content[:500]
    assert response.json()["errors"][0]["code"] == "MALFORMED_REQUEST"


@pytest.mark.parametrize(("path", "content_type"), API_BODY_TARGETS)
def test_safe_09_huge_json_body_gets_a_400_in_the_api_error_shape(settings, world, seller_token, path, content_type):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    body = '{"text": "' + "x" * 20_000 + '"}'

    response = _api_post(seller_token, path.format(issue=world.discussion.public_id), body, content_type)

    assert response.status_code == 400, response.content[:500]
    assert_errors_shape(response)
    error = response.json()["errors"][0]
    assert error["code"] == "MALFORMED_REQUEST"
    assert "large" in error["userMessage"]


def test_safe_09_json_within_the_bounds_is_read_as_before(world, seller_token):
    """The bounds leave an ordinary body alone: a message is posted."""
    body = '{"text": "We are sending a new pair.", "type": "REGULAR"}'

    response = _api_post(seller_token, f"/sale/issues/{world.discussion.public_id}/message", body, BETA)

    assert response.status_code == 201, response.content[:500]
    assert response.json()["text"] == "We are sending a new pair."


# --- the mediators' desk: list filters with impossible values --------------------------------


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", is_staff=True, is_superuser=True)


IMPOSSIBLE_FILTERS = [
    ("discussions/discussion", "created_at__year=99999999999"),
    ("discussions/discussion", "created_at__year=2024&created_at__month=99999999999"),
    ("discussions/discussion", "created_at__year=9999"),
    ("discussions/discussion", "created_at__year=9999&created_at__month=12&created_at__day=31"),
    ("discussions/discussion", "created_at__year=1"),
    ("discussions/discussion", "status__exact=%00"),
    ("discussions/discussion", "q=%00"),
    ("orders/order", "created_at__year=99999999999"),
    ("orders/order", "status__exact=%00"),
    ("orders/auditrecord", "at__year=99999999999"),
    ("orders/commissionrefund", "created_at__year=99999999999"),
    ("buyers/inactivebuyer", "added_at__year=99999999999"),
    ("buyers/inactivebuyer", "reason__exact=Z%00"),
    ("axes/accessattempt", "attempt_time__year=99999999999"),
    ("auth/user", "username__exact=%00"),
]


@pytest.mark.parametrize(("model", "query"), IMPOSSIBLE_FILTERS)
def test_safe_09_impossible_admin_filter_shows_the_whole_list_with_a_message(superuser, model, query):
    client = Client(raise_request_exception=False)
    client.force_login(superuser)
    url = f"/admin/{model}/"

    response = client.get(f"{url}?{query}")

    assert response.status_code == 302, response.content[:300]
    assert response["Location"] == f"{url}?{ERROR_FLAG}=1"
    page = client.get(response["Location"])
    assert page.status_code == 200
    messages = [str(message) for message in page.context["messages"]]
    assert messages == ["Tej listy nie można tak przefiltrować; pokazano całą listę."], messages


def test_safe_09_a_filter_django_refuses_gets_the_message_too(superuser):
    """A month 13 was already sent back to the whole list by Django, silently."""
    client = Client(raise_request_exception=False)
    client.force_login(superuser)

    response = client.get("/admin/orders/order/?created_at__year=2024&created_at__month=13", follow=True)

    assert response.redirect_chain == [(f"/admin/orders/order/?{ERROR_FLAG}=1", 302)]
    assert [str(m) for m in response.context["messages"]] == [
        "Tej listy nie można tak przefiltrować; pokazano całą listę."
    ]


def test_safe_09_possible_admin_filters_still_filter(superuser, world):
    client = Client(raise_request_exception=False)
    client.force_login(superuser)
    year = timezone.localtime(world.discussion.created_at).year

    response = client.get(f"/admin/discussions/discussion/?created_at__year={year}&status__exact=NEW&q=Headphones")

    assert response.status_code == 200
    assert not list(response.context["messages"])


def _filter_parameters(model_admin, request):
    """The query parameters every list filter and the date hierarchy of `model_admin` read."""
    changelist = model_admin.get_changelist_instance(request)
    names = [name for spec in changelist.filter_specs for name in spec.expected_parameters()]
    if changelist.date_hierarchy:
        names += [f"{changelist.date_hierarchy}__{part}" for part in ("year", "month", "day")]
    return names


def test_safe_09_every_admin_list_filter_survives_impossible_values(rf, superuser, world):
    """Each parameter of each list filter of each list, alone, with values no filter can
    use: never a 500."""
    client = Client(raise_request_exception=False)
    client.force_login(superuser)
    failures = []
    for model, model_admin in admin.site._registry.items():
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        request = rf.get(url)
        request.user = superuser
        for name in _filter_parameters(model_admin, request):
            for value in ("%00", "99999999999999999999", "-1"):
                response = client.get(f"{url}?{name}={value}")
                if response.status_code >= 500:
                    failures.append(f"{url}?{name}={value} → {response.status_code}")
    assert not failures, "\n".join(failures)


# --- the walk ------------------------------------------------------------------------------------

HUGE = "x" * 5_000

# Each a query string combining several kinds of bad value, so that one request tries many
# (a view that rejects one parameter still reads the others first). A parameter is given
# twice, the bad value last: what `get()` reads, while `getlist()` reads both.
MALFORMED_QUERIES = [
    "page=1&page=-1&p=1&p=-1&limit=-1&offset=-1&status=a&status=%00&q=a&q=%00&market=PL&market=%00"
    "&o=1.2&o=%00&sort=x&sort=-&%00=%00&e=%00&next=%00",
    f"page=99999999999999999999&p=99999999999999999999&limit=99999999999999999999&offset=99999999999999999999"
    f"&created_at__year=99999999999&no_such__filter=1&o=-9&q={HUGE}",
]

FORM_FIELDS = [
    "text",
    "amount",
    "percent",
    "kind",
    "carrier",
    "tracking_number",
    "login",
    "reason",
    "category",
    "solution",
    "quantity",
    "payment_method",
    "username",
    "password",
    "language",
    "market",
    "next",
    "action",
    "index",
    "_selected_action",
    "select_across",
    "version",
    "form_token",
    "line_id",
    "expected_solution",
    "step",
    "decision",
    "statement",
    "rule",
    "grant_type",
    "client_id",
    "code",
    "token",
]


def _form(value):
    return "&".join(f"{name}={value}&{name}=1" for name in FORM_FIELDS)


@dataclass(frozen=True)
class Body:
    name: str
    content_type: str | None  # None: the route's JSON media type
    content: str

    @property
    def is_form(self):
        """What an HTML form sends (urlencoded or multipart): what the site's pages read."""
        return (self.content_type or "").startswith(("application/x-www-form-urlencoded", "multipart/form-data"))


MALFORMED_BODIES = [
    Body("invalid-json", None, '{"text": "unterminated'),
    Body("nested-json", None, _nested(50_000)),
    Body("nul-and-arrays-form", "application/x-www-form-urlencoded", _form("%00")),
    Body(
        "huge-and-overflowing-form",
        "application/x-www-form-urlencoded",
        _form("99999999999999999999") + "&text=" + "y" * 100_000,
    ),
    Body(
        "nul-and-surrogates-json",
        None,
        '{"text": "a\\u0000b\\ud800", "type": "\\u0000", "attachment": {"id": "\\u0000"}, '
        '"lineItems": [{"id": "\\ud800", "quantity": 99999999999999999999}], "reason": ["x", "y"], '
        '"declaredSize": -1, "size": 99999999999999999999, "fileName": "\\u0000"}',
    ),
    Body("broken-multipart", "multipart/form-data; boundary=xyz", "--xyz\r\nContent-Disposition: form-data\r\n\r\n"),
    Body("wrong-content-type", "text/plain", "\x00\xff garbage"),
]

ACTORS = ["anonymous", "buyer", "seller", "mediator", "superuser"]


@dataclass(frozen=True)
class Route:
    name: str | None
    route: str
    params: tuple


def _walk(patterns, namespace=None, prefix="", params=()):
    for pattern in patterns:
        names = tuple(pattern.pattern.regex.groupindex)
        if isinstance(pattern, URLResolver):
            inner = ":".join(part for part in (namespace, pattern.namespace) if part) or None
            yield from _walk(pattern.url_patterns, inner, prefix + str(pattern.pattern), params + names)
        elif isinstance(pattern, URLPattern):
            name = f"{namespace}:{pattern.name}" if namespace and pattern.name else pattern.name
            yield Route(name, prefix + str(pattern.pattern), params + names)


ROUTES = list(_walk(get_resolver().url_patterns))


def _admin_model(route):
    """The model of an admin URL (`admin/<app>/<model>/…`), or None."""
    parts = route.route.split("/")
    if len(parts) < 3:
        return None
    for model in admin.site._registry:
        if (model._meta.app_label, model._meta.model_name) == (parts[1], parts[2]):
            return model
    return None


def _admin_params(route, world):
    model = _admin_model(route)
    obj = model._default_manager.order_by("pk").first() if model else None
    discussion_type = ContentType.objects.get_for_model(Discussion)
    return {
        "object_id": obj.pk if obj else 1,
        "pk": obj.pk if obj else 1,
        "order_pk": world.order.pk,
        "account_pk": SellerAccount.objects.get(user=world.seller).pk,
        "image_pk": EvidenceImage.objects.order_by("pk").first().pk,
        "content_type_id": discussion_type.pk,
        "id": world.buyer.pk,
        "app_label": "discussions",
        "url": "no-such-page/",
    }


def _api_params(world):
    return {
        "issue_id": world.discussion.public_id,
        "attachment_id": world.attachment.public_id,
        "claim_id": CommissionRefundLine.objects.order_by("pk").first().public_id,
    }


def _url(route, world):
    if route.route.startswith("admin/"):
        available = _admin_params(route, world)
    elif route.route.startswith(f"{api_path('')[1:]}/"):
        available = _api_params(world)
    else:
        kind = sec01._kind_of(route)
        available = kind.params(world) if kind and kind.params else {}
    kwargs = {name: available[name] for name in route.params}
    if route.name:
        return reverse(route.name, kwargs=kwargs)
    # An unnamed route (the admin's object URL without /change/, its catch-all).
    path = re.sub(r"<(?:\w+:)?(\w+)>", lambda match: str(kwargs[match.group(1)]), route.route)
    return "/" + (path if "(?P" not in path else "admin/no-such-page/")


def _prepare_world(world):
    """Every object a URL parameter names, made before the walk (the SEC-01 table makes
    some on first use), and a report for the mediators' decision page."""
    for kind in sec01.URL_KINDS.values():
        if kind.params:
            kind.params(world)
    discussion_services.report_message(world.buyer_message, reporter=world.seller, category=Report.Category.THREAT)


def _requests(route, actor, index):
    """(method, query, body) of each request sent to `route` as `actor`, chosen so that each
    kind of page meets each malformation while the walk stays short:

    - the site's pages, as the buyer and the seller (whose pages read them) and as anyone
      on public pages: every query, every form body and one other body in turn; as anyone
      else (a sign-in redirect or a 404 reads nothing): one query and one body in turn;
    - the API, with and without a token: every query and body, and a PUT and a DELETE;
    - the desk, whose pages share their code per kind: as staff, every query to the pages
      without a URL parameter (the lists, the queue) and, on an object's pages, one query
      or one body in turn; the others are sent to its sign-in page before anything is read."""
    query = MALFORMED_QUERIES[index % len(MALFORMED_QUERIES)]
    body = MALFORMED_BODIES[index % len(MALFORMED_BODIES)]
    queries = [("get", each, None) for each in MALFORMED_QUERIES]
    if route.route.startswith("admin/"):
        if actor not in ("mediator", "superuser"):
            return [("get", query, None)] if index % 3 == ACTORS.index(actor) else []
        if not route.params:  # the lists and the desk's own pages
            return [*queries, ("post", "", body)]
        return [("get", query, None) if (index + ACTORS.index(actor)) % 2 else ("post", "", body)]
    if route.route.startswith(f"{api_path('')[1:]}/"):
        if actor not in ("buyer", "seller", "anonymous"):
            return [("get", query, None), ("post", "", body)]
        return [*queries, *[("post", "", each) for each in MALFORMED_BODIES], ("put", "", body), ("delete", "", body)]
    kind = sec01._kind_of(route)
    if actor in ("buyer", "seller") or kind is None or kind.access == sec01.PUBLIC:
        others = [each for each in MALFORMED_BODIES if not each.is_form]
        forms = [("post", "", each) for each in MALFORMED_BODIES if each.is_form]
        return [*queries, *forms, ("post", "", others[index % len(others)])]
    return [("get", query, None), ("post", "", body)]


def _route_order(route):
    """Sign-out and deletions last: they would end the session or remove what later URLs name."""
    name = route.name or ""
    return ("logout" in name, name.endswith("_delete") or name.endswith("revoke_token"))


@pytest.mark.parametrize("actor", ACTORS)
def test_safe_09_walk_every_url_with_malformed_input_finds_no_500(world, actor):
    _prepare_world(world)
    users = {
        "anonymous": None,
        "buyer": world.buyer,
        "seller": world.seller,
        "mediator": world.users["mediator"],
        "superuser": UserFactory(username="root", is_staff=True, is_superuser=True),
    }
    user = users[actor]
    application = Application.objects.filter(user=world.seller).first()
    token = make_token(user, application, scope=ALL_SCOPES) if actor in ("buyer", "seller") else None
    client = Client(raise_request_exception=False)
    if user is not None:
        client.force_login(user)

    failures, sent = [], 0
    for index, route in enumerate(sorted(ROUTES, key=_route_order)):
        url = _url(route, world)
        api = url.startswith(api_path("/"))
        json_type = (BETA if "/sale/" in url else PUBLIC) if api else "application/json"
        headers = {"Accept": json_type if api else "text/html"}
        if token is not None:
            headers["Authorization"] = f"Bearer {token.token}"
        for method, query, body in _requests(route, actor, index):
            target = f"{url}?{query}" if query else url
            if body is None:
                response = client.get(target, headers=headers)
            else:
                content = body.content.encode("utf-8", "surrogatepass")
                content_type = body.content_type or json_type
                response = getattr(client, method)(target, content, content_type=content_type, headers=headers)
            if response.status_code >= 500:
                failures.append(
                    f"{method.upper()} {target[:150]} [{body.name if body else ''}] → {response.status_code}"
                )
            _close(response)
            sent += 1
        if user is not None and "logout" in (route.name or ""):
            client.force_login(user)

    assert sent > 200, sent
    assert not failures, "\n".join(failures)


def _close(response):
    """Reading a file response to the end closes it (the test client's wrapper does; a
    response's own close() would close the database connection of the test)."""
    if response.streaming:
        b"".join(response.streaming_content)


def test_safe_09_walk_reaches_every_kind_of_url():
    """Guards the walk: had the resolver walk found nothing, it would pass empty."""
    names = {route.name for route in ROUTES}
    assert {"home", "admin:discussions_discussion_changelist", "api:issue_message", "oauth2_provider:token"} <= names
    assert len(ROUTES) > 200
