"""Seller API throughput (API-01): requests/s of the issue list and of a chat against a
trivial Django page, in one run, under gunicorn (config.wsgi, 2 sync workers).

Prepares a seller account with 10,000 Discussions (each with its own order and line and
an initial buyer message; one of them with 30 messages) and an access token with every
scope, starts gunicorn on a free port and measures, for SECONDS each with THREADS client
threads:

- GET /api/sale/issues?limit=100
- GET /api/sale/issues/{id}/chat?limit=100
- GET /accounts/login/ — the trivial view (Django's LoginView: a form and a template,
  no query)

and prints each figure and the ratio API / trivial (target >= 0.20).

The issue list repeats the same page, so after the first request its issues come from
each worker's cache of rendered issues (api.issue_cache), as for an integration polling
it; `--issue-cache-size 0` measures every issue mapped and rendered each time.

Run:
  DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_api .venv/bin/python bench/api.py
  .venv/bin/python bench/api.py          (SQLite in a temporary file)
The PostgreSQL database named in DATABASE_URL (its name must start with "bench") is
created, and dropped at the end; the SQLite file is removed.
"""

import argparse
import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DISCUSSIONS = 10_000
CHAT_MESSAGES = 30
SELLER = "bench_seller"
BUYER = "bench_buyer"
SERVER_ENV = {
    # Production mode (no query log, no debug pages); plain HTTP on the loopback.
    "DEBUG": "False",
    "SECRET_KEY": "bench-only-not-secret",
    "ALLOWED_HOSTS": "127.0.0.1",
    "SECURE_SSL_REDIRECT": "False",
    "AXES_ENABLED": "False",
    # High enough never to throttle (the limiter itself still counts every request).
    "API_RATE_LIMIT": "1000000/minute",
    # whitenoise looks for collected static files, which the bench does not collect.
    "PYTHONWARNINGS": "ignore:No directory at",
}


def use_plain_static_files():
    """The plain static files storage (URLs kept, as in production): with DEBUG=False the templates' `{% static %}`
    would otherwise need the manifest `collectstatic` writes (the test suite does the
    same). Call it before the first request."""
    from django.conf import settings

    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "core.static_storage.PlainStorage"},
    }


def wsgi_application():
    """What gunicorn serves: config.wsgi's application, with the plain static files
    storage (use_plain_static_files)."""
    use_plain_static_files()
    from config.wsgi import application

    return application


# --- Database ----------------------------------------------------------------------


class Database:
    """The bench database: a PostgreSQL database created and dropped here, or a SQLite
    file in a temporary directory."""

    def __init__(self, url):
        self.url = url
        self.tmpdir = None
        if not url:
            self.tmpdir = tempfile.mkdtemp(prefix="bench-api-")
            self.url = f"sqlite:///{self.tmpdir}/bench.sqlite3"
            self.vendor = "sqlite"
            return
        parts = urlsplit(url)
        self.vendor = "postgresql"
        self.name = parts.path.lstrip("/")
        if not self.name.startswith("bench"):
            sys.exit(f"Refusing to create and drop {self.name!r}: name the bench database bench_… in DATABASE_URL.")
        self.admin_url = urlunsplit(("postgresql", parts.netloc, "/postgres", "", ""))

    def create(self):
        if self.vendor == "postgresql":
            import psycopg

            with psycopg.connect(self.admin_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.name}"')
                conn.execute(f'CREATE DATABASE "{self.name}"')

    def exists(self):
        """Whether the PostgreSQL database is there already (SQLite: never)."""
        if self.vendor != "postgresql":
            return False
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [self.name]).fetchone() is not None

    def drop(self):
        if self.vendor == "postgresql":
            import psycopg

            with psycopg.connect(self.admin_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        elif self.tmpdir:
            shutil.rmtree(self.tmpdir, ignore_errors=True)


def populate(total):
    """A seller account with `total` Discussions, set up with bulk inserts; returns
    (access token, public id of the Discussion with the long chat)."""
    account, _buyer, discussions = create_discussions(total)
    token = create_token(account.user)
    vacuum_analyze()
    return token, str(discussions[0].public_id)


def create_discussions(total, vary=None):
    """A seller account (user SELLER) and a buyer (user BUYER) with `total` paid
    orders of one line each and a Discussion about each, with its initial buyer message;
    the first (the most recent) has CHAT_MESSAGES messages. `vary(index, fields)` may
    return fields that replace the defaults `fields` of the index-th Discussion. Bulk inserts; returns
    (seller account, buyer, Discussions)."""
    from datetime import timedelta
    from decimal import Decimal

    from django.db import transaction
    from django.utils import timezone

    from discussions.models import Discussion, Message, Reason, Role
    from orders.models import Order, OrderLine
    from tests.factories import OfferFactory, SellerAccountFactory, UserFactory

    now = timezone.now()
    buyer = UserFactory(username=BUYER)
    account = SellerAccountFactory(user=UserFactory(username=SELLER), display_name="Bench shop")
    offer = OfferFactory(seller_account=account, title="Bench product", stock=10**9)
    with transaction.atomic():
        orders = Order.objects.bulk_create(
            Order(
                buyer=buyer,
                seller_account=account,
                market=offer.market,
                created_at=now - timedelta(days=3, seconds=i),
                payment_method=Order.PaymentMethod.ONLINE,
                status=Order.Status.PAID,
                total_amount=offer.price,
                payment_due_at=now + timedelta(days=4),
                paid_at=now - timedelta(days=3),
            )
            for i in range(total)
        )
        lines = OrderLine.objects.bulk_create(
            OrderLine(
                order=order,
                offer=offer,
                title=offer.title,
                unit_price=offer.price,
                quantity=1,
                commission_per_unit=Decimal("10.00"),
            )
            for order in orders
        )

        def discussion(i, order, line):
            fields = {
                "order": order,
                "line": line,
                "buyer": buyer,
                "seller_account": account,
                "market": offer.market,
                "service": order.service,
                "reason": Reason.NOT_RECEIVED,
                "created_at": now - timedelta(days=2, seconds=i),
                "opened_at": now - timedelta(days=2, seconds=i),
                "last_message_at": now - timedelta(days=2, seconds=i),
                "reply_due_at": now + timedelta(days=1),
                "auto_resolve_at": now + timedelta(days=28),
                "last_message_status": Discussion.LastMessageStatus.BUYER_REPLIED,
            }
            if vary:
                fields.update(vary(i, fields))
            return Discussion(**fields)

        discussions = Discussion.objects.bulk_create(
            discussion(i, order, line) for i, (order, line) in enumerate(zip(orders, lines, strict=True))
        )
        Message.objects.bulk_create(
            Message(
                discussion=discussion,
                author=buyer,
                author_role=Role.BUYER,
                text="The parcel has not arrived yet. Could you check it, please?",
                created_at=discussion.opened_at,
            )
            for discussion in discussions
        )
        chatty = discussions[0]
        Message.objects.bulk_create(
            Message(
                discussion=chatty,
                author=buyer if i % 2 else account.user,
                author_role=Role.BUYER if i % 2 else Role.SELLER,
                text=f"Message {i + 2} of the conversation about the parcel. " * 3,
                created_at=chatty.opened_at + timedelta(minutes=i + 1),
            )
            for i in range(CHAT_MESSAGES - 1)
        )
    return account, buyer, discussions


def create_token(user):
    """A fresh 12-hour access token of `user` with every scope, for a bench tool
    application (created once); returns the token string."""
    import secrets
    from datetime import timedelta

    from django.utils import timezone
    from oauth2_provider.models import AccessToken, Application

    from api.base import SCOPE_DISPUTES, SCOPE_ORDERS_READ, SCOPE_ORDERS_WRITE

    app, _created = Application.objects.get_or_create(
        name="Bench tool",
        user=user,
        defaults={
            "client_type": Application.CLIENT_CONFIDENTIAL,
            "authorization_grant_type": Application.GRANT_AUTHORIZATION_CODE,
            "redirect_uris": "https://tool.example.com/callback",
        },
    )
    token = AccessToken.objects.create(
        user=user,
        application=app,
        token=secrets.token_urlsafe(32),
        expires=timezone.now() + timedelta(hours=12),
        scope=" ".join([SCOPE_DISPUTES, SCOPE_ORDERS_READ, SCOPE_ORDERS_WRITE]),
    )
    return token.token


def vacuum_analyze():
    """The steady state of a live database: statistics and visibility map up to date
    (autovacuum's work), so counts can use index-only scans."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")


# --- Server and load ---------------------------------------------------------------


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(database_url, port, workers, app="bench.api:wsgi_application()", env=None):
    """gunicorn serving `app` with SERVER_ENV and `env` added to this environment."""
    env = {
        **os.environ,
        **SERVER_ENV,
        **(env or {}),
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    process = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("gunicorn")),
            app,
            "--chdir",
            str(ROOT),
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=ROOT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return process
        except OSError:
            if process.poll() is not None:
                sys.exit("gunicorn did not start")
            time.sleep(0.2)
    stop_gunicorn(process)
    sys.exit("gunicorn did not answer within 30 s")


def stop_gunicorn(process):
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def get(conn, path, headers):
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    return response.status, response.read()


def measure(port, path, headers, seconds, threads):
    """Requests/s over `seconds` with `threads` clients; every answer must be 200."""
    for _warm in range(20):  # both workers: imports, connections, caches
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        status, body = get(conn, path, headers)
        conn.close()
        if status != 200:
            sys.exit(f"GET {path} answered {status}: {body[:300]!r}")
    done = [0] * threads
    failed = [0] * threads
    start = threading.Barrier(threads + 1)
    stop_at = []

    def client(index):
        # gunicorn's sync workers close the connection after each answer; http.client
        # reconnects by itself.
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        start.wait()
        while time.perf_counter() < stop_at[0]:
            status, _body = get(conn, path, headers)
            if status == 200:
                done[index] += 1
            else:
                failed[index] += 1
        conn.close()

    workers = [threading.Thread(target=client, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    began = time.perf_counter()
    stop_at.append(began + seconds)
    start.wait()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - began
    if sum(failed):
        sys.exit(f"GET {path}: {sum(failed)} answers were not 200")
    return sum(done) / elapsed, body


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--discussions", type=int, default=DISCUSSIONS)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--issue-cache-size",
        type=int,
        default=None,
        help="API_ISSUE_CACHE_SIZE for the server (default: the setting's default; 0 measures every issue mapped)",
    )
    args = parser.parse_args()
    if args.issue_cache_size is not None:
        SERVER_ENV["API_ISSUE_CACHE_SIZE"] = str(args.issue_cache_size)

    database = Database(os.environ.get("DATABASE_URL", ""))
    os.environ["DATABASE_URL"] = database.url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["AXES_ENABLED"] = "False"
    database.create()
    process = None
    try:
        import django

        django.setup()
        from django.conf import settings
        from django.core.management import call_command
        from django.db import connection

        call_command("migrate", verbosity=0)
        started = time.perf_counter()
        token, chatty = populate(args.discussions)
        connection.close()
        print(
            f"{database.vendor}: {args.discussions:,} Discussions prepared in {time.perf_counter() - started:.1f} s; "
            f"gunicorn with {args.workers} workers, {args.threads} client threads, {args.seconds:g} s per figure"
        )

        port = free_port()
        process = start_gunicorn(database.url, port, args.workers)
        base = f"/{settings.API_BASE_PATH}"
        api_headers = {"Authorization": f"Bearer {token}", "Accept": "application/vnd.allegro.beta.v1+json"}
        targets = [
            ("issues", f"{base}/sale/issues?limit=100", api_headers),
            ("chat", f"{base}/sale/issues/{chatty}/chat?limit=100", api_headers),
            ("trivial", "/accounts/login/", {"Accept": "text/html"}),
        ]
        rates = {}
        for name, path, headers in targets:
            rate, body = measure(port, path, headers, args.seconds, args.threads)
            rates[name] = rate
            print(f"GET {path:<60} {rate:8.1f} req/s  ({len(body):,} bytes)")
        for name in ("issues", "chat"):
            ratio = rates[name] / rates["trivial"]
            print(f"ratio {name} / trivial (login page): {ratio:.2f} (target >= 0.20)")
    finally:
        if process is not None:
            stop_gunicorn(process)
        from django.db import connections

        connections.close_all()
        database.drop()


if __name__ == "__main__":
    main()
