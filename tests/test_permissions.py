"""SEC-01: the authorization matrix of every page, URL × actor.

The URL list is not written by hand: it is read from Django's URL resolver, so a page
added later is checked automatically. Each URL is either exempt (with a reason) or
matched by URL_KINDS, which says whose page it is and which objects fill its URL
parameters; a URL that neither knows fails `test_sec_01_url_is_classified`, so whoever
adds a URL has to state its access rule here. Foreign objects answer 404, never 403
(STYLE, "Authorization tests"; pretix `src/tests/control/test_permissions.py`).
"""

import io
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import quote

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from oauth2_provider.models import AccessToken, Application, RefreshToken
from PIL import Image

from buyers import services as buyer_services
from buyers.models import BlockReason, InactiveBuyer
from discussions import services as discussion_services
from discussions.models import (
    Discussion,
    Message,
    Notification,
    Proposal,
    Reason,
    Report,
    Role,
    SellerBlock,
    Solution,
    StatusChange,
)
from orders import commission, services
from orders.models import CommissionRefund, Offer, Order, OrderEvent, Payment, Refund, Shipment

# --- what is left out, and why -------------------------------------------------------------

EXEMPT_NAMESPACES = {
    "admin": "admin/: the mediators' desk; Django's admin checks is_staff and model permissions itself (MED-10)",
    "api": "the seller API: bearer tokens, not sessions; token × seller account is checked in tests/api (API-01)",
    "oauth2_provider": "auth/oauth/: the OAuth2 server; the consent page needs a signed-in seller account, the "
    "token endpoints authenticate the client (tests/api/test_oauth.py, API-01)",
}
EXEMPT_NAMES = {
    "login": "the sign-in page, public by definition (SEC-01)",
    "logout": "Django's auth view (POST-only sign-out of the current session)",
    "password_change": "Django's auth view, protected by Django's own login_required",
    "password_change_done": "Django's auth view, protected by Django's own login_required",
    "set_language": "i18n/setlang/: the language switch works for everyone, signed in or not (I18N-01)",
    "set_market": "i18n/setmarket/: the market switch works for everyone, signed in or not (SPEC §0)",
    "api_pages:device": "skojarz-aplikacje: the device flow's verification page (API-05), the consent page's "
    "sibling: anonymous → sign-in, users without a seller account get a page saying so (403), no object of "
    "anyone's in the URL (tests/api/test_api_05_oauth.py)",
}

# --- who may see what --------------------------------------------------------------------------

PUBLIC = "public"  # the landing page and offer browsing: everyone, signed in or not (SEC-01)
PROTECTED = "protected"  # one owner's page: anonymous → sign-in, strangers → 404
PERSONAL = "personal"  # no foreign object in the URL: every signed-in user gets their own data


@dataclass(frozen=True)
class Kind:
    access: str
    owner: str = "buyer"  # whose page it is
    counterparty: str = "seller"  # the other side of the owner's order: a stranger to this page
    params: object = None  # world → every URL parameter this kind can fill in
    listed: object = None  # world → the owner's link that a list page shows (only to the owner)
    also_allowed: frozenset = frozenset()  # actors besides the owner who may open it
    seller_only: bool = False  # users without a seller account get 404 even on their "own" page


def _offer_params(world):
    return {"pk": world.offer.pk}


def _order_params(world):
    return {"pk": world.order.pk, "order_pk": world.order.pk}


def _buyer_discussion_params(world):
    return {"pk": world.discussion.pk, "message_pk": world.seller_message.pk, "slug": "resolve"}


def _seller_discussion_params(world):
    return {"pk": world.discussion.pk, "message_pk": world.buyer_message.pk}


def _attachment_params(world):
    return {"pk": world.attachment.pk}


def _seller_block_params(world):
    """The seller account's block (MED-09), made on first use: a block changes what other
    pages do (banner, purchases refused), so the shared world starts without one."""
    block = SellerBlock.objects.filter(seller_account__user=world.seller).first()
    if block is None:
        block = discussion_services.block_seller_account(
            world.seller.seller_account,
            mediator=world.users["mediator"],
            statement="Unanswered Discussions",
            rule="Rules §5",
            discussions=[world.discussion],
        )
    return {"pk": block.pk}


def _inactive_buyer(world):
    """The seller's tab entry for the buyer (BLK-01), with three pictures as evidence,
    made on first use: an entry refuses the buyer's purchases (ORD-03), so the shared
    world starts without one."""
    entry = InactiveBuyer.objects.filter(seller_account__user=world.seller, buyer=world.buyer).first()
    if entry is None:
        entry = buyer_services.add_entry(
            world.seller.seller_account,
            seller=world.seller,
            login=world.buyer.username,
            reason=BlockReason.THREATS,
            images=[_png(f"threat-{n}.png") for n in range(3)],
        )
    return entry


def _inactive_buyer_params(world):
    return {"pk": _inactive_buyer(world).pk}


def _evidence_params(world):
    return {"pk": _inactive_buyer(world).images.order_by("pk").first().pk}


def _commission_refund(world):
    """The seller's commission-refund application (REB-01) on the world's order, made on
    first use: "the buyer did not pay" two days after the purchase is rejected (the 7 days
    to pay are not over), so it can be appealed (REB-07)."""
    application = CommissionRefund.objects.filter(order=world.order).first()
    if application is None:
        application = commission.apply(
            world.order,
            seller=world.seller,
            reason=CommissionRefund.Reason.NOT_PAID,
            quantities={world.order.lines.get().pk: 1},
        )
    return application


def _commission_refund_params(world):
    return {"pk": _commission_refund(world).pk}


def _appeal_commission_refund(world):
    """Appealed, the application is pending, so it can be cancelled (REB-06)."""
    commission.appeal(_commission_refund(world), seller=world.seller, text="The buyer never paid.")


def _api_application(world):
    """The seller's own OAuth2 application (API-01), made on first use."""
    application = Application.objects.filter(user=world.seller).first()
    if application is None:
        application = Application.objects.create(
            name="Seller tool",
            user=world.seller,
            client_type=Application.CLIENT_CONFIDENTIAL,
            authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
            redirect_uris="https://tool.example.com/cb",
        )
    return application


def _api_application_params(world):
    return {"pk": _api_application(world).pk}


def _api_authorization_params(world):
    """The application allowed to use the seller account: a live access token of the seller."""
    application = _api_application(world)
    if not AccessToken.objects.filter(user=world.seller, application=application).exists():
        AccessToken.objects.create(
            user=world.seller,
            application=application,
            token="seller-access-token",
            expires=timezone.now() + timedelta(hours=12),
            scope="allegro:api:disputes",
        )
    return {"pk": application.pk}


NOTIFICATIONS = Kind(
    PERSONAL, owner="seller", counterparty="buyer", listed=lambda world: world.discussion.get_seller_url()
)

# URL name prefix → Kind. The first matching entry wins; a URL matching none fails.
URL_KINDS = {
    "home": Kind(PUBLIC),
    "orders:offer_": Kind(PUBLIC, params=_offer_params),
    "orders:purchase_": Kind(PROTECTED, params=_order_params, listed=lambda world: world.order.get_absolute_url()),
    # Commission refunds (REB-01…07): the seller account's own; linked accounts do not see
    # each other's applications. The form is per order; the rest per application.
    "orders:commission_refund_new": Kind(
        PROTECTED, owner="seller", counterparty="buyer", params=_order_params, seller_only=True
    ),
    "orders:commission_refund_list": Kind(
        PROTECTED,
        owner="seller",
        counterparty="buyer",
        params=_commission_refund_params,  # no URL parameter: makes the application the list shows
        listed=lambda world: reverse("orders:commission_refund_detail", args=[_commission_refund(world).pk]),
        seller_only=True,
    ),
    "orders:commission_refund_": Kind(
        PROTECTED, owner="seller", counterparty="buyer", params=_commission_refund_params, seller_only=True
    ),
    # UX-11: the seller's contact page shows the signed-in account's own applications,
    # orders and requests; no foreign object in the URL.
    "orders:seller_contact": Kind(PROTECTED, owner="seller", counterparty="buyer", seller_only=True),
    "orders:seller_order_": Kind(
        PROTECTED,
        owner="seller",
        counterparty="buyer",
        params=_order_params,
        listed=lambda world: world.order.get_seller_url(),
        seller_only=True,
    ),
    "discussions:open": Kind(PROTECTED, params=_order_params),
    "discussions:buyer_": Kind(
        PROTECTED, params=_buyer_discussion_params, listed=lambda world: world.discussion.get_absolute_url()
    ),
    # A block's statement of reasons and the complaint against it (MED-09): the blocked
    # account only; before "discussions:seller_", which would fill in a Discussion.
    "discussions:seller_block_": Kind(
        PROTECTED, owner="seller", counterparty="buyer", params=_seller_block_params, seller_only=True
    ),
    # Jakość mojej sprzedaży (QLT-01/02): figures of the signed-in seller account only; no
    # foreign object in the URL. Before "discussions:seller_", which would fill in a Discussion.
    "discussions:seller_quality": Kind(PROTECTED, owner="seller", counterparty="buyer", seller_only=True),
    "discussions:seller_": Kind(
        PROTECTED,
        owner="seller",
        counterparty="buyer",
        params=_seller_discussion_params,
        listed=lambda world: world.discussion.get_seller_url(),
        seller_only=True,
    ),
    # Evidence is for both parties and for mediators (SEC-02), no one else.
    "discussions:attachment": Kind(
        PROTECTED, params=_attachment_params, also_allowed=frozenset({"counterparty", "mediator"})
    ),
    "discussions:notifications": NOTIFICATIONS,
    "discussions:notifications_read": NOTIFICATIONS,
    # The inactive-buyers tab (BLK-01…08): the seller account's own; linked accounts do
    # not see each other's entries. The add wizard has no foreign object in its URL.
    "buyers:tab": Kind(
        PROTECTED,
        owner="seller",
        counterparty="buyer",
        params=_inactive_buyer_params,
        listed=lambda world: reverse("buyers:remove", args=[_inactive_buyer(world).pk]),
        seller_only=True,
    ),
    "buyers:add": Kind(PROTECTED, owner="seller", counterparty="buyer", seller_only=True),
    "buyers:remove": Kind(
        PROTECTED, owner="seller", counterparty="buyer", params=_inactive_buyer_params, seller_only=True
    ),
    # Evidence pictures: the entry's seller account and mediators (BLK-06, BLK-10), no one else.
    "buyers:evidence": Kind(
        PROTECTED, owner="seller", counterparty="buyer", params=_evidence_params, also_allowed=frozenset({"mediator"})
    ),
    "buyers:evidence_thumbnail": Kind(
        PROTECTED, owner="seller", counterparty="buyer", params=_evidence_params, also_allowed=frozenset({"mediator"})
    ),
    # API and applications (API-01): the seller account's own applications and the
    # applications it allowed; linked accounts see none of each other's. The guide is public.
    "api_pages:guide": Kind(PUBLIC),
    "api_pages:dashboard": Kind(
        PROTECTED, owner="seller", counterparty="buyer", params=_api_authorization_params, seller_only=True
    ),
    "api_pages:application_delete": Kind(
        PROTECTED, owner="seller", counterparty="buyer", params=_api_application_params, seller_only=True
    ),
    "api_pages:authorization_revoke": Kind(
        PROTECTED, owner="seller", counterparty="buyer", params=_api_authorization_params, seller_only=True
    ),
}


# --- POST-only actions -----------------------------------------------------------------------


def _set_tracking(world):
    services.enter_tracking(
        world.order, seller=world.seller, carrier=Shipment.Carrier.INPOST, tracking_number="INP-123456"
    )


def _use_transfer(world):
    Order.objects.filter(pk=world.order.pk).update(payment_method=Order.PaymentMethod.TRADITIONAL_TRANSFER)


def _pay(world):
    services.pay_order(world.order, buyer=world.buyer)


@dataclass(frozen=True)
class Action:
    """A POST-only URL: what the owner sends, and how to put the world into a state in
    which that POST succeeds — so a missing access check would show as a change."""

    data: dict = field(default_factory=dict)
    prepare: object = None


ACTIONS = {
    "orders:purchase_pay": Action(),
    "orders:purchase_cancel": Action(),
    "orders:purchase_withdraw": Action(prepare=_pay),
    "orders:commission_refund_appeal": Action({"text": "The buyer never paid."}),
    "orders:commission_refund_cancel": Action(prepare=_appeal_commission_refund),
    "orders:seller_order_tracking": Action({"carrier": "DPD", "tracking_number": "DPD-987654321"}),
    "orders:seller_order_handed_over": Action(prepare=_set_tracking),
    "orders:seller_order_transfer_received": Action(prepare=_use_transfer),
    "orders:seller_order_refund": Action({"kind": "full"}, prepare=_pay),
    "discussions:buyer_message": Action({"text": "Any news about the parcel?"}),
    "discussions:buyer_action": Action(),  # slug "resolve": marking resolved is allowed at any time
    "discussions:buyer_report": Action({"category": Report.Category.THREAT}),
    "discussions:seller_message": Action({"text": "We are checking it."}),
    "discussions:seller_propose": Action({"solution": Solution.PARTIAL_REFUND, "percent": "20"}),
    "discussions:seller_request_end": Action(),
    "discussions:seller_report": Action({"category": Report.Category.THREAT}),
    "discussions:seller_block_complaint": Action({"text": "I answered every buyer."}),
    "discussions:notifications_read": Action(),
    "api_pages:application_delete": Action(),
    "api_pages:authorization_revoke": Action(),
}

ACTORS = ["anonymous", "owner", "counterparty", "other_buyer", "other_seller", "linked_seller", "mediator"]


# --- walking the resolver ------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    name: str | None
    namespace: str | None
    route: str
    params: tuple

    def __str__(self):
        return self.name or self.route


def _walk(patterns, namespace=None, prefix="", params=()):
    for pattern in patterns:
        converters = tuple(getattr(pattern.pattern, "converters", None) or ())
        if isinstance(pattern, URLResolver):
            inner = ":".join(part for part in (namespace, pattern.namespace) if part) or None
            yield from _walk(pattern.url_patterns, inner, prefix + str(pattern.pattern), params + converters)
        elif isinstance(pattern, URLPattern):
            name = f"{namespace}:{pattern.name}" if namespace and pattern.name else pattern.name
            yield Route(name, namespace, prefix + str(pattern.pattern), params + converters)


def _all_routes():
    return list(_walk(get_resolver().url_patterns))


def _is_exempt(route):
    top_namespace = route.namespace.split(":", 1)[0] if route.namespace else None
    return top_namespace in EXEMPT_NAMESPACES or route.name in EXEMPT_NAMES


def _kind_of(route):
    if not route.name:
        return None
    for prefix, kind in URL_KINDS.items():
        if route.name == prefix or (prefix.endswith("_") and route.name.startswith(prefix)):
            return kind
    return None


ROUTES = [route for route in _all_routes() if not _is_exempt(route)]
KNOWN_ROUTES = [route for route in ROUTES if _kind_of(route) is not None]


# --- the world every case runs in -----------------------------------------------------------


def _png(name="evidence.png"):
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


@dataclass
class World:
    buyer: object
    seller: object
    offer: Offer
    order: Order
    discussion: Discussion
    buyer_message: Message
    seller_message: Message
    attachment: object
    users: dict


@pytest.fixture
def world(buyer, seller, other_buyer, other_seller, linked_seller, mediator, offer):
    """One unpaid online order of `buyer` from `seller`'s account, two days old, with an
    open Discussion in which the buyer wrote (with a picture) and the seller replied.
    `linked_seller` is an account linked to the seller's; everyone else is a stranger."""
    two_days_ago = timezone.now() - timedelta(days=2)
    order = services.buy_offer(
        offer, buyer=buyer, quantity=1, payment_method=Order.PaymentMethod.ONLINE, now=two_days_ago
    )
    discussion = discussion_services.open_discussion(
        order,
        buyer=buyer,
        line_id=order.lines.get().pk,
        reason=Reason.PRODUCT_PROBLEM,
        expected_solution=Solution.REPLACEMENT,
        text="The left earpiece is silent.",
        files=[_png()],
    )
    buyer_message = discussion.messages.get(author=buyer)
    seller_message = discussion_services.post_message(discussion, author=seller, role=Role.SELLER, text="Sorry!")
    users = {
        "buyer": buyer,
        "seller": seller,
        "other_buyer": other_buyer,
        "other_seller": other_seller,
        "linked_seller": linked_seller,
        "mediator": mediator,
    }
    return World(
        buyer=buyer,
        seller=seller,
        offer=offer,
        order=order,
        discussion=discussion,
        buyer_message=buyer_message,
        seller_message=seller_message,
        attachment=buyer_message.attachments.get(),
        users=users,
    )


def _user_for(actor, kind, world):
    if actor == "anonymous":
        return None
    if actor == "owner":
        return world.users[kind.owner]
    if actor == "counterparty":
        return world.users[kind.counterparty]
    return world.users[actor]


def _url_for(route, kind, world):
    available = kind.params(world) if kind.params else {}
    missing = [param for param in route.params if param not in available]
    if missing:
        pytest.fail(f"SEC-01: URL_KINDS cannot fill {missing} of {route.name} ({route.route}); teach it.")
    return reverse(route.name, kwargs={param: available[param] for param in route.params})


def _login_redirect(url):
    return f"{reverse(settings.LOGIN_URL)}?next={quote(url)}"


def _snapshot(world):
    """Everything the actions in the matrix could change."""
    return {
        "order": Order.objects.filter(pk=world.order.pk)
        .values("status", "payment_method", "paid_at", "cancelled_at", "cancellation_requested_at")
        .get(),
        "commission_refunds": list(
            CommissionRefund.objects.order_by("pk").values_list("pk", "status", "appeal_text", "cancelled_at")
        ),
        "shipment": list(Shipment.objects.filter(order=world.order).values_list("tracking_number", "handed_over_at")),
        "stock": Offer.objects.values_list("stock", flat=True).get(pk=world.offer.pk),
        "discussion": Discussion.objects.filter(pk=world.discussion.pk)
        .values("status", "is_open", "last_message_status", "last_message_at")
        .get(),
        "blocks": list(SellerBlock.objects.order_by("pk").values_list("pk", "complaint_filed_at", "lifted_at")),
        "inactive_buyers": list(InactiveBuyer.objects.order_by("pk").values_list("pk", "removed_at")),
        "oauth": {
            "applications": list(Application.objects.order_by("pk").values_list("pk", flat=True)),
            "access_tokens": list(AccessToken.objects.order_by("pk").values_list("pk", flat=True)),
            "refresh_tokens": list(RefreshToken.objects.order_by("pk").values_list("pk", "revoked")),
        },
        "unread": {
            user.username: Notification.objects.filter(recipient=user, read_at__isnull=True).count()
            for user in world.users.values()
        },
        **{
            model.__name__: model.objects.count()
            for model in (Payment, Refund, OrderEvent, Message, Report, Proposal, StatusChange, Notification)
        },
    }


def _case_id(route, actor, method):
    return f"SEC-01-{route}-{actor}-{method}"


def _allowed(actor, kind):
    return actor == "owner" or actor in kind.also_allowed


# --- the tables are complete -----------------------------------------------------------------


def test_sec_01_resolver_walk_finds_the_pages():
    """Guards the walk itself: had it found nothing, the matrix would pass empty."""
    names = {route.name for route in _all_routes()}

    assert {"home", "login", "admin:index", "orders:offer_list", "orders:seller_order_refund"} <= names
    assert len(KNOWN_ROUTES) >= 12


def test_sec_01_exemptions_and_actions_name_existing_urls():
    """A stale entry hides nothing today but could hide a new URL of the same name tomorrow."""
    routes = _all_routes()
    names = {route.name for route in routes}
    namespaces = {route.namespace for route in routes if route.namespace}

    assert set(EXEMPT_NAMES) <= names
    assert set(EXEMPT_NAMESPACES) <= namespaces
    assert set(ACTIONS) <= names


@pytest.mark.parametrize("route", ROUTES, ids=[f"SEC-01-{route}-classified" for route in ROUTES])
def test_sec_01_url_is_classified(route):
    """Every URL outside the exempt tables must state who may open it (URL_KINDS)."""
    kind = _kind_of(route)
    if kind is None:
        pytest.fail(
            f"SEC-01: the URL {route.route!r} (name {route.name!r}) is in neither URL_KINDS nor the exempt "
            "tables of tests/test_permissions.py; add it there with its access rule."
        )
    if route.params and kind.params is None:
        pytest.fail(f"SEC-01: {route.name} takes {route.params}; give its URL_KINDS entry a params function.")


# --- GET ---------------------------------------------------------------------------------------

GET_CASES = [(route, actor) for route in KNOWN_ROUTES for actor in ACTORS]


@pytest.mark.parametrize(
    ("route", "actor"), GET_CASES, ids=[_case_id(route, actor, "GET") for route, actor in GET_CASES]
)
def test_sec_01_get_answers_by_actor(client, world, route, actor):
    kind = _kind_of(route)
    url = _url_for(route, kind, world)
    user = _user_for(actor, kind, world)
    if user is not None:
        client.force_login(user)
    before = _snapshot(world)

    response = client.get(url)
    # Reading a file response to the end closes it (the test client's wrapper does).
    content = b"".join(response.streaming_content) if response.streaming else response.content

    if not _allowed(actor, kind):
        assert _snapshot(world) == before, "a stranger's GET changed something"
    if kind.access == PUBLIC:
        assert response.status_code == 200
    elif actor == "anonymous":
        assert response.status_code == 302
        assert response["Location"] == _login_redirect(url)
    elif route.name in ACTIONS:
        # POST-only: the method is refused before any object is looked up.
        assert response.status_code == 405
    elif kind.seller_only and not hasattr(user, "seller_account"):
        assert response.status_code == 404
    elif route.params:
        assert response.status_code == (200 if _allowed(actor, kind) else 404)
    else:
        # A list: everyone signed in sees their own list, and only the owner the owner's object.
        assert response.status_code == 200
        if kind.listed is None:
            return  # a page without the owner's objects (a form to start something)
        link = f'href="{kind.listed(world)}"'.encode()
        if actor == "owner":
            assert link in content
        else:
            assert link not in content


# --- POST-only actions ------------------------------------------------------------------------

ACTION_ROUTES = [route for route in KNOWN_ROUTES if route.name in ACTIONS]
POST_CASES = [(route, actor) for route in ACTION_ROUTES for actor in ACTORS if actor != "owner"]


def _prepare(route, world):
    action = ACTIONS[route.name]
    if action.prepare:
        action.prepare(world)
    return action


@pytest.mark.parametrize("route", ACTION_ROUTES, ids=[_case_id(route, "owner", "POST") for route in ACTION_ROUTES])
def test_sec_01_owner_post_performs_the_action(client, world, route):
    """The control for the refusals below: the same POST by the owner does change
    something, so "nothing changed" for the others is not a foregone conclusion."""
    kind = _kind_of(route)
    action = _prepare(route, world)
    url = _url_for(route, kind, world)
    client.force_login(_user_for("owner", kind, world))
    before = _snapshot(world)

    response = client.post(url, action.data)

    assert response.status_code == 302, response.content[:2000]
    assert _snapshot(world) != before


@pytest.mark.parametrize(
    ("route", "actor"), POST_CASES, ids=[_case_id(route, actor, "POST") for route, actor in POST_CASES]
)
def test_sec_01_post_by_non_owner_is_refused_and_changes_nothing(client, world, route, actor):
    kind = _kind_of(route)
    action = _prepare(route, world)
    url = _url_for(route, kind, world)
    user = _user_for(actor, kind, world)
    if user is not None:
        client.force_login(user)
    before = _snapshot(world)

    response = client.post(url, action.data)

    if actor == "anonymous":
        assert response.status_code == 302
        assert response["Location"] == _login_redirect(url)
    elif kind.access == PERSONAL:
        # It acts on the caller's own data: the owner's stays as it was.
        assert response.status_code == 302
        owner = world.users[kind.owner].username
        assert _snapshot(world)["unread"][owner] == before["unread"][owner] > 0
        return
    else:
        assert response.status_code == 404
    assert _snapshot(world) == before
