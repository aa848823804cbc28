"""Page throughput: requests/s of the product's heavy pages as a ratio to a trivial
Django page, in one run, under gunicorn (config.wsgi, 2 sync workers, DEBUG=False).

Prepares, with bulk inserts, a PostgreSQL database with one seller account ("Bench
shop") and 10,000 paid orders of one line, each with a Discussion (reasons, statuses,
deadlines and who wrote last mixed; a third waiting in the mediators' queue, some in
mediation, some closed); one Discussion has 30 messages, every other its initial buyer
message. Also shipments and order events, commission refund applications, inactive
buyers, notifications, a buyer (of every order) and a mediator (staff, Mediators group).

It serves the WSGI app with a bench-only trivial page added (bench/urls.py: a two-line
template from a string; no session, no query), signs the users in from this process
(django.test.Client.force_login, whatever SESSION_ENGINE is), checks every page once
(status 200 and a text the page must show) and drives each with
`wrk -t2 -c16 -d10s --latency`. The trivial page is measured at the start, in the
middle and at the end; their mean is the denominator. It prints per page req/s, the
ratio, its target, p50 and p99. Figures are ratios within one run: compare ratios, not
req/s, between runs and machines. Any answer that is not 200 fails the run; a ratio
below target does not (exit code 0).

Production-like: DEBUG=False and REDIS_URL=redis://127.0.0.1:6379/15, so cache,
sessions and rate limits use Redis as in production. That Redis database is emptied
(FLUSHDB) at the start. The API issue list is measured with each worker's issue cache
on and, on a second gunicorn, with API_ISSUE_CACHE_SIZE=0.

Run (wrk is Debian's: `apt-get install wrk`):
  .venv/bin/python bench/pages.py [--seconds 10] [--connections 16] [--pages seller_list,case]
  .venv/bin/python bench/pages.py --keep      (keeps the database; next time reuses it)
  .venv/bin/python bench/pages.py --keep --profile --pages seller_list [--requests 20] [--top 25] [--sort tottime]

The database is DATABASE_URL (default postgres://postgres@127.0.0.1:5432/bench_pages;
its name must start with "bench"). It is created and filled, and dropped at the end
unless --keep; with --keep, a database that is already filled is used as it is.

--profile starts no server: in this process, with the same settings, it requests each
page N times through django.test.Client and prints the mean ms per request, Python
function calls per request (cProfile), SQL queries per request and, with --top K, the
K functions with the largest cumulative time (or --sort tottime) and each query with its time.

Why one module of 793 lines: it is one runnable script (`python bench/pages.py`), not a
module the project imports, like the other bench scripts. Its sections — the data set,
the pages with the texts each must show, the load run with wrk, the in-process profile,
main — serve that one run, share its settings and arguments, and are read top to bottom
as its steps; split, the script would need a package and import paths of its own.
"""

import argparse
import cProfile
import html
import http.client
import io
import os
import pstats
import re
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.api import (  # noqa: E402
    BUYER,
    CHAT_MESSAGES,
    DISCUSSIONS,
    SELLER,
    SERVER_ENV,
    Database,
    create_discussions,
    create_token,
    free_port,
    get,
    start_gunicorn,
    stop_gunicorn,
    use_plain_static_files,
    vacuum_analyze,
)

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/bench_pages"
REDIS_URL = "redis://127.0.0.1:6379/15"
PAGE_ENV = {"REDIS_URL": REDIS_URL}
MEDIATOR = "bench_mediator"
TRIVIAL = "trivial"
TRIVIAL_PATH = "/bench/trivial/"
API_ACCEPT = "application/vnd.allegro.beta.v1+json"
WRK_MISSING = "wrk is not installed: apt-get install wrk"

# Counts the answers that are not 200, per thread, and prints their sum.
WRK_SCRIPT = """\
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  non200 = 0
end

function response(status, headers, body)
  if status ~= 200 then
    non200 = non200 + 1
  end
end

function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do
    total = total + thread:get("non200")
  end
  io.write(string.format("non-200 responses: %d\\n", total))
end
"""


def configure():
    """Settings of the served app and of --profile: the bench URLs (config.urls plus
    the trivial page) and plain static files."""
    from django.conf import settings

    settings.ROOT_URLCONF = "bench.urls"
    use_plain_static_files()


def wsgi_application():
    """What gunicorn serves: config.wsgi's application with configure()."""
    configure()
    from config.wsgi import application

    return application


# --- Data --------------------------------------------------------------------------


def discussion_state(now, mediator):
    """`vary` for create_discussions: a mix of states by index. Of every 12 Discussions,
    4 wait for a mediator (asked for help, marked unresolved), 1 is in mediation (some
    of these ignored by the seller), 4 are open with or without the seller's reply
    (some overdue) and 3 are closed."""
    from datetime import timedelta

    from discussions.models import Discussion, MediationOutcome, Reason, Solution

    status, last = Discussion.Status, Discussion.LastMessageStatus
    reasons = list(Reason)
    solutions = [Solution.REFUND, Solution.REPLACEMENT, Solution.REPAIR, Solution.PARTIAL_REFUND]

    def vary(i, fields):
        opened = fields["opened_at"]
        due = opened + timedelta(days=1)
        replied = {"seller_replied_at": opened + timedelta(hours=3), "first_reply_seconds": 3 * 3600}
        reason = reasons[i % len(reasons)]
        result = {"reason": reason, "reply_due_at": due}
        if reason == Reason.PRODUCT_PROBLEM:
            result["expected_solution"] = solutions[i % len(solutions)]
        kind = i % 12
        if kind in (0, 6):  # the seller missed the deadline; the buyer asked for help
            result |= {
                "seller_overdue_at": due,
                "help_requested_at": due + timedelta(hours=2, seconds=i),
                "last_message_status": last.BUYER_REPLIED,
            }
        elif kind in (3, 9):  # marked unresolved after the seller's reply
            result |= replied | {
                "status": status.UNRESOLVED,
                "unresolved_at": due + timedelta(hours=1, seconds=i),
                "auto_resolve_at": None,
                "last_message_status": last.BUYER_REPLIED,
            }
        elif kind == 1:  # a mediator joined; every other seller ignored them
            joined = due + timedelta(hours=3)
            ignored = i % 24 == 13
            result |= {
                "seller_overdue_at": due,
                "help_requested_at": due + timedelta(hours=2),
                "mediator": mediator,
                "mediator_joined_at": joined,
                "mediator_first_message_at": joined + timedelta(minutes=10),
                "mediator_reply_due_at": joined + timedelta(hours=1 if ignored else 48),
                "seller_ignored_mediator_at": joined + timedelta(hours=1) if ignored else None,
                "last_message_status": last.ALLEGRO_ADVISOR_REPLIED,
            }
        elif kind in (2, 5):  # the seller replied
            result |= replied | {"last_message_status": last.SELLER_REPLIED}
        elif kind == 4:  # new, the deadline still ahead
            result |= {"reply_due_at": now + timedelta(hours=i % 24 + 1), "last_message_status": last.NEW}
        elif kind == 7:  # overdue
            result |= {"seller_overdue_at": due, "last_message_status": last.BUYER_REPLIED}
        elif kind in (8, 10):  # resolved
            result |= replied | {
                "status": status.RESOLVED,
                "is_open": False,
                "close_reason": Discussion.CloseReason.BUYER_RESOLVED
                if kind == 8
                else Discussion.CloseReason.PROPOSAL_ACCEPTED,
                "closed_at": due,
                "auto_resolve_at": None,
                "last_message_status": last.SELLER_REPLIED,
            }
        else:  # closed unresolved by a mediator's decision
            result |= replied | {
                "status": status.UNRESOLVED,
                "is_open": False,
                "close_reason": Discussion.CloseReason.MEDIATION_CONCLUDED,
                "unresolved_at": due,
                "help_requested_at": due,
                "mediator": mediator,
                "mediator_joined_at": due + timedelta(hours=1),
                "mediation_concluded_at": due + timedelta(hours=5),
                "mediation_outcome": MediationOutcome.CLAIM_NOT_UPHELD,
                "closed_at": due + timedelta(hours=5),
                "auto_resolve_at": None,
                "last_message_status": last.ALLEGRO_ADVISOR_REPLIED,
            }
        return result

    return vary


def populate(total):
    """Everything the pages show, in one transaction (so a database that has the bench
    seller is complete); statistics refreshed at the end."""
    from django.contrib.auth.models import Group
    from django.db import transaction
    from django.utils import timezone

    from core.mediators import MEDIATORS_GROUP
    from tests.factories import UserFactory

    now = timezone.now()
    with transaction.atomic():
        mediator = UserFactory(username=MEDIATOR, is_staff=True)
        mediator.groups.add(Group.objects.get(name=MEDIATORS_GROUP))
        account, buyer, discussions = create_discussions(total, vary=discussion_state(now, mediator))
        add_order_history(account, discussions, now)
        add_commission_refunds(account, discussions, now)
        add_inactive_buyers(account, now)
        add_notifications(account, buyer, discussions, now)
    vacuum_analyze()


def add_order_history(account, discussions, now):
    """Events of every order (placed, paid) and a parcel for two orders in three."""
    from datetime import timedelta

    from orders.models import OrderEvent, Shipment

    carriers = [Shipment.Carrier.INPOST, Shipment.Carrier.DPD, Shipment.Carrier.POCZTA_POLSKA, Shipment.Carrier.DHL]
    orders = [d.order for d in discussions]
    events = []
    shipments = []
    for i, order in enumerate(orders):
        events.append(OrderEvent(order=order, kind=OrderEvent.Kind.CREATED, occurred_at=order.created_at))
        events.append(OrderEvent(order=order, kind=OrderEvent.Kind.PAID, occurred_at=order.paid_at))
        if i % 3 == 2:
            continue
        entered = order.paid_at + timedelta(hours=5)
        shipments.append(
            Shipment(
                order=order,
                carrier=carriers[i % len(carriers)],
                tracking_number=f"BENCH{i:08d}",
                tracking_entered_at=entered,
                handed_over_at=entered + timedelta(hours=2) if i % 3 == 0 else None,
            )
        )
        events.append(
            OrderEvent(
                order=order,
                kind=OrderEvent.Kind.TRACKING_ENTERED,
                occurred_at=entered,
                actor=account.user,
                data={"carrier": carriers[i % len(carriers)], "tracking_number": f"BENCH{i:08d}"},
            )
        )
    OrderEvent.objects.bulk_create(events)
    Shipment.objects.bulk_create(shipments)


def add_commission_refunds(account, discussions, now):
    """30 commission refund applications in every status (the appealed ones are in the
    mediators' queue)."""
    from datetime import timedelta
    from decimal import Decimal

    from orders.models import CommissionRefund, CommissionRefundLine

    statuses = list(CommissionRefund.Status)
    reasons = list(CommissionRefund.Reason)
    applications = []
    for i, discussion in enumerate(discussions[100:130]):
        order, status = discussion.order, statuses[i % len(statuses)]
        filed = order.created_at + timedelta(hours=6)
        decided = status not in (CommissionRefund.Status.WAITING_FOR_PAYMENT_REFUND, CommissionRefund.Status.APPEALED)
        appealed = status in (CommissionRefund.Status.APPEALED, CommissionRefund.Status.REJECTED_AFTER_APPEAL)
        applications.append(
            CommissionRefund(
                order=order,
                seller_account=account,
                reason=reasons[i % len(reasons)],
                status=status,
                amount=Decimal("10.00"),
                created_at=filed,
                created_by=account.user,
                deadline_at=order.created_at + timedelta(days=45),
                decided_at=filed + timedelta(hours=1) if decided else None,
                appeal_text="The buyer never answered; please look again." if appealed else "",
                appealed_at=filed + timedelta(hours=2) if appealed else None,
                cancelled_at=filed + timedelta(hours=1) if status == CommissionRefund.Status.CANCELLED else None,
            )
        )
    applications = CommissionRefund.objects.bulk_create(applications)
    CommissionRefundLine.objects.bulk_create(
        CommissionRefundLine(application=a, line=d.line, quantity=1, commission=a.amount)
        for a, d in zip(applications, discussions[100:130], strict=True)
    )


def add_inactive_buyers(account, now):
    """Eight other buyers on the seller's inactive-buyers tab, two of them removed."""
    from datetime import timedelta

    from buyers.models import BlockReason, InactiveBuyer
    from tests.factories import UserFactory

    reasons = list(BlockReason)
    entries = []
    for i in range(8):
        added = now - timedelta(days=10 + i)
        removed = i >= 6
        entries.append(
            InactiveBuyer(
                seller_account=account,
                buyer=UserFactory(username=f"bench_inactive_{i}"),
                reason=reasons[i % len(reasons)],
                note="Threatened a bad rating unless refunded twice.",
                added_by=account.user,
                added_at=added,
                expires_at=added + timedelta(days=180),
                removed_at=added + timedelta(days=1) if removed else None,
                removed_by=account.user if removed else None,
                removal=InactiveBuyer.Removal.SELLER if removed else "",
            )
        )
    InactiveBuyer.objects.bulk_create(entries)


def add_notifications(account, buyer, discussions, now):
    """60 notifications for the seller and 60 for the buyer, the older half read."""
    from discussions.models import Notification

    notifications = []
    for i, discussion in enumerate(discussions[:60]):
        read_at = now if i >= 30 else None
        notifications.append(
            Notification(
                recipient=account.user,
                kind=Notification.Kind.NEW_DISCUSSION,
                discussion=discussion,
                params={"number": discussion.number, "due": discussion.reply_due_at.isoformat()},
                created_at=discussion.created_at,
                read_at=read_at,
                email_status=Notification.EmailStatus.SENT,
            )
        )
        notifications.append(
            Notification(
                recipient=buyer,
                kind=Notification.Kind.STATUS_CHANGED if i % 2 else Notification.Kind.NEW_MESSAGE,
                discussion=discussion,
                params={"number": discussion.number, "status": discussion.status},
                created_at=discussion.created_at,
                read_at=read_at,
                email_status=Notification.EmailStatus.SENT,
            )
        )
    Notification.objects.bulk_create(notifications)


def is_populated():
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(username=SELLER).exists()


# --- Pages ---------------------------------------------------------------------------


@dataclass
class Page:
    name: str
    path: str
    actor: str  # whose session or token: seller, buyer, mediator, api; "" for none
    target: float
    markers: list[str]
    # Settings this page is measured with (a second server for the load test).
    settings: dict = field(default_factory=dict)


def pages():
    """The pages, from the data in the database; markers in the default language."""
    from django.conf import settings
    from django.db.models import Count
    from django.urls import reverse
    from django.utils import translation
    from django.utils.translation import gettext as _

    from discussions.models import Discussion, Notification
    from orders.models import CommissionRefund

    chatty = (
        Discussion.objects.filter(seller_account__user__username=SELLER)
        .annotate(message_count=Count("messages"))
        .filter(message_count=CHAT_MESSAGES)
        .select_related("order")
        .get()
    )
    newest = Discussion.objects.filter(seller_account__user__username=SELLER).order_by("-created_at", "-pk").first()
    application = CommissionRefund.objects.filter(seller_account__user__username=SELLER).first()
    notification = Notification.objects.filter(recipient__username=SELLER).first()
    last_message = f"Message {CHAT_MESSAGES} of the conversation"
    api = f"/{settings.API_BASE_PATH}"
    with translation.override(settings.LANGUAGE_CODE):
        title = _("Discussion %(number)s") % {"number": chatty.number}
        order_title = _("Order %(number)s") % {"number": chatty.order.number}
        return [
            Page("seller_list", reverse("discussions:seller_list"), "seller", 0.15, [_("Discussions with buyers")]),
            Page(
                "case",
                reverse("admin:discussions_discussion_change", args=[chatty.pk]),
                "mediator",
                0.10,
                [chatty.number, last_message],
            ),
            Page(
                "queue",
                reverse("admin:discussions_queue"),
                "mediator",
                0.10,
                [_("Mediators' queue"), _("Buyer asked Allegro for help")],
            ),
            Page(
                "seller_orders",
                reverse("orders:seller_order_list"),
                "seller",
                0.10,
                [_("Orders"), "Bench shop", newest.order.number],
            ),
            Page("seller_discussion", chatty.get_seller_url(), "seller", 0.15, [title, last_message]),
            Page("buyer_discussion", chatty.get_absolute_url(), "buyer", 0.15, [title, last_message]),
            Page("quality", reverse("discussions:seller_quality"), "seller", 0.10, [_("My sales quality")]),
            Page(
                "purchases",
                reverse("orders:purchase_list"),
                "buyer",
                0.10,
                [_("My purchases"), newest.order.number],
            ),
            Page("buyer_list", reverse("discussions:buyer_list"), "buyer", 0.10, [_("My Discussions"), newest.number]),
            Page(
                "api_issues",
                f"{api}/sale/issues?limit=100",
                "api",
                0.10,
                ['{"issues":[', str(newest.public_id)],
            ),
            Page(
                "api_issues_nocache",
                f"{api}/sale/issues?limit=100",
                "api",
                0.05,
                ['{"issues":[', str(newest.public_id)],
                settings={"API_ISSUE_CACHE_SIZE": 0},
            ),
            Page("api_chat", f"{api}/sale/issues/{chatty.public_id}/chat?limit=100", "api", 0.10, [last_message]),
            Page("home", reverse("home"), "buyer", 0.10, [_("Buy safely. Settle problems in Discussions.")]),
            Page("offers", reverse("orders:offer_list"), "buyer", 0.10, [_("Offers"), "Bench product"]),
            Page("seller_order", chatty.order.get_seller_url(), "seller", 0.10, [order_title, chatty.number]),
            Page("purchase", chatty.order.get_absolute_url(), "buyer", 0.10, [order_title, chatty.number]),
            Page(
                "notifications",
                reverse("discussions:notifications"),
                "seller",
                0.10,
                [_("Notifications"), notification.discussion.number],
            ),
            Page(
                "inactive_buyers",
                reverse("buyers:tab"),
                "seller",
                0.10,
                [_("My inactive buyers"), "bench_inactive_0"],
            ),
            Page(
                "commission_refunds",
                reverse("orders:commission_refund_list"),
                "seller",
                0.10,
                [_("Commission refunds"), application.number],
            ),
            Page(
                "admin_list",
                reverse("admin:discussions_discussion_changelist"),
                "mediator",
                0.10,
                [newest.number],
            ),
        ]


def trivial_page():
    from bench.urls import TRIVIAL_MARKER

    return Page(TRIVIAL, TRIVIAL_PATH, "", 0, [TRIVIAL_MARKER])


def credentials():
    """Request headers per actor: a fresh session cookie of each user (signed in from
    this process, so in whatever store SESSION_ENGINE names) and a fresh API token."""
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client

    users = get_user_model().objects.in_bulk([SELLER, BUYER, MEDIATOR], field_name="username")
    headers = {"": {}}
    for actor, username in (("seller", SELLER), ("buyer", BUYER), ("mediator", MEDIATOR)):
        client = Client()
        client.force_login(users[username])
        session_key = client.cookies[settings.SESSION_COOKIE_NAME].value
        headers[actor] = {"Cookie": f"{settings.SESSION_COOKIE_NAME}={session_key}"}
    headers["api"] = {"Authorization": f"Bearer {create_token(users[SELLER])}", "Accept": API_ACCEPT}
    return headers


def missing_markers(page, body):
    text = body.decode("utf-8", "replace")
    return [m for m in page.markers if m not in text and html.escape(m) not in text]


def check(page, status, body):
    """Exit unless the page answered 200 with every marker text."""
    if status != 200:
        sys.exit(f"{page.name}: GET {page.path} answered {status}: {body[:300]!r}")
    missing = missing_markers(page, body)
    if missing:
        sys.exit(f"{page.name}: GET {page.path} lacks {missing!r}: {body[:300]!r}")


# --- Load (wrk) ----------------------------------------------------------------------


@dataclass
class Figure:
    rate: float
    p50_ms: float
    p99_ms: float


UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def parse_wrk(output):
    def latency(percent):
        match = re.search(rf"^\s*{percent}%\s+([\d.]+)(us|ms|s|m)\s*$", output, re.MULTILINE)
        return float(match[1]) * UNITS_MS[match[2]]

    rate = float(re.search(r"^Requests/sec:\s+([\d.]+)", output, re.MULTILINE)[1])
    non200 = int(re.search(r"^non-200 responses: (\d+)", output, re.MULTILINE)[1])
    return Figure(rate, latency(50), latency(99)), non200


def run_wrk(port, page, headers, args, script):
    """Checks the page (and warms both workers), then drives it with wrk."""
    for _attempt in range(2 * args.workers):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        status, body = get(conn, page.path, headers)
        conn.close()
        check(page, status, body)
    command = ["wrk", "-t2", f"-c{args.connections}", f"-d{args.seconds:g}s", "--latency", "--timeout", "30s"]
    command += ["-s", script]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    command.append(f"http://127.0.0.1:{port}{page.path}")
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    figure, non200 = parse_wrk(output)
    if non200:
        sys.exit(f"{page.name}: {non200} answers to GET {page.path} were not 200\n{output}")
    errors = re.search(r"^\s*Socket errors:.*$", output, re.MULTILINE)
    if errors:
        print(f"  note, {page.name}: {errors[0].strip()}")
    return figure


def measure_all(selected, headers, database, args):
    """Every selected page under wrk, the trivial page at the start, middle and end;
    returns (trivial figures, {page name: figure})."""
    trivial = trivial_page()
    servers = {}
    trivials, figures = [], {}
    with tempfile.TemporaryDirectory(prefix="bench-pages-") as tmp:
        script = str(Path(tmp) / "count_non200.lua")
        Path(script).write_text(WRK_SCRIPT)

        def server(settings_):
            key = tuple(sorted(settings_.items()))
            if key not in servers:
                port = free_port()
                env = {**PAGE_ENV, **{name: str(value) for name, value in settings_.items()}}
                app = "bench.pages:wsgi_application()"
                servers[key] = (port, start_gunicorn(database.url, port, args.workers, app, env))
            return servers[key][0]

        def measure_trivial(moment):
            trivials.append(run_wrk(server({}), trivial, {}, args, script))
            print(f"  {TRIVIAL:<20} {trivials[-1].rate:8.1f} req/s ({moment})", flush=True)

        try:
            measure_trivial("start")
            for index, page in enumerate(selected):
                if index == len(selected) // 2:
                    measure_trivial("middle")
                figures[page.name] = run_wrk(server(page.settings), page, headers[page.actor], args, script)
                print(f"  {page.name:<20} {figures[page.name].rate:8.1f} req/s", flush=True)
                if page.settings:  # its own server, not needed any more
                    stop_gunicorn(servers.pop(tuple(sorted(page.settings.items())))[1])
            measure_trivial("end")
        finally:
            for _port, process in servers.values():
                stop_gunicorn(process)
    return trivials, figures


def report(selected, trivials, figures):
    base = sum(f.rate for f in trivials) / len(trivials)
    print()
    start, middle, end = (f.rate for f in trivials)
    print(f"trivial req/s: start {start:.1f}, middle {middle:.1f}, end {end:.1f}; mean {base:.1f} (the denominator)")
    print()
    print(f"{'page':<20} {'req/s':>8} {'ratio':>6} {'target':>6} {'p50 ms':>8} {'p99 ms':>8}  result")
    below = []
    for page in selected:
        figure = figures[page.name]
        ratio = figure.rate / base
        ok = ratio >= page.target
        if not ok:
            below.append(page.name)
        print(
            f"{page.name:<20} {figure.rate:8.1f} {ratio:6.3f} {page.target:6.2f} "
            f"{figure.p50_ms:8.1f} {figure.p99_ms:8.1f}  {'OK' if ok else 'BELOW'}"
        )
    print()
    if below:
        print(f"SUMMARY: {len(selected) - len(below)} of {len(selected)} pages at target; BELOW: {', '.join(below)}")
    else:
        print(f"SUMMARY: all {len(selected)} pages at target")


# --- Profile (in process) -----------------------------------------------------------


def profile_all(selected, headers, args):
    """Each page N times through django.test.Client in this process: mean ms, Python
    function calls and SQL queries per request, and the top functions."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, override_settings

    print(f"{'page':<20} {'ms/req':>8} {'calls/req':>10} {'queries':>8}")
    for page in [trivial_page(), *selected]:
        page_headers = dict(headers[page.actor])
        client = Client(HTTP_HOST="127.0.0.1")
        cookie = page_headers.pop("Cookie", "")
        if cookie:
            name, value = cookie.split("=", 1)
            client.cookies[name] = value
        request = partial(client.get, page.path, headers=page_headers)
        with override_settings(**page.settings):
            response = request()
            check(page, response.status_code, response.content)
            started = time.perf_counter()
            for _n in range(args.requests):
                request()
            mean_ms = (time.perf_counter() - started) * 1000 / args.requests
            profiler = cProfile.Profile()
            profiler.enable()
            for _n in range(args.requests):
                request()
            profiler.disable()
            with CaptureQueriesContext(connection) as queries:
                request()
        stats = pstats.Stats(profiler)
        print(f"{page.name:<20} {mean_ms:8.1f} {stats.total_calls / args.requests:10.0f} {len(queries):8d}", flush=True)
        if args.top:
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats(args.sort).print_stats(args.top)
            print(out.getvalue())
            for query in queries.captured_queries:
                print(f"  {float(query['time']) * 1000:6.2f} ms  {query['sql'][:160]}")


# --- Main ----------------------------------------------------------------------------


def flush_redis():
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10, help="per page (default 10)")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections (default 16)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (default 2)")
    parser.add_argument("--pages", default="", help="comma-separated page names (default: all)")
    parser.add_argument("--keep", action="store_true", help="keep the database; reuse it if already filled")
    parser.add_argument("--discussions", type=int, default=DISCUSSIONS, help="when populating (default 10,000)")
    parser.add_argument("--profile", action="store_true", help="no server: profile each page in this process")
    parser.add_argument("--requests", type=int, default=20, help="--profile: requests per page (default 20)")
    parser.add_argument(
        "--top", type=int, default=0, help="--profile: print the top K functions, and each query's time"
    )
    parser.add_argument(
        "--sort", default="cumulative", help="--profile: pstats order of the top functions (cumulative, tottime)"
    )
    args = parser.parse_args()
    if not args.profile and not shutil.which("wrk"):
        sys.exit(WRK_MISSING)

    database = Database(os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL)
    if database.vendor != "postgresql":
        sys.exit("bench/pages.py needs PostgreSQL: DATABASE_URL=postgres://…/bench_…")
    os.environ.update(SERVER_ENV)
    os.environ.update(PAGE_ENV)
    os.environ["DATABASE_URL"] = database.url
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    # whitenoise looks for collected static files, which the bench does not collect.
    warnings.filterwarnings("ignore", message="No directory at")
    flush_redis()
    reuse = args.keep and database.exists()
    if not reuse:
        database.create()
    try:
        import django

        django.setup()
        configure()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        if reuse and is_populated():
            print(f"Database {database.name} is already filled (--keep): not populating it again.")
        else:
            started = time.perf_counter()
            populate(args.discussions)
            seconds = time.perf_counter() - started
            print(f"Database {database.name}: {args.discussions:,} Discussions prepared in {seconds:.1f} s")
        every = pages()
        names = [n for n in args.pages.split(",") if n]
        unknown = set(names) - {p.name for p in every}
        if unknown:
            sys.exit(f"Unknown pages {sorted(unknown)}; pages: {', '.join(p.name for p in every)}")
        selected = [p for p in every if not names or p.name in names]
        headers = credentials()
        if args.profile:
            print(f"Profile: {args.requests} requests per page through django.test.Client, DEBUG=False, in process\n")
            profile_all(selected, headers, args)
        else:
            print(
                f"gunicorn with {args.workers} sync workers; wrk -t2 -c{args.connections} -d{args.seconds:g}s "
                f"per page; Redis {REDIS_URL} (flushed)"
            )
            trivials, figures = measure_all(selected, headers, database, args)
            report(selected, trivials, figures)
    finally:
        from django.db import connections

        connections.close_all()
        if args.keep:
            print(f"Kept database {database.name} (--keep).")
        else:
            database.drop()


if __name__ == "__main__":
    main()
