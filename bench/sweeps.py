"""Scheduled sweeps against a big table (issue 3 benchmark; PostgreSQL).

Creates TOTAL Discussions with set-based inserts (generate_series), of which DUE rows
are due for each task, runs every scheduled Discussion task once and prints the
seconds and the SQL statements each issued; then repeats with a smaller table and the
same due rows. Cost should follow the due rows, not the table size.

Run: .venv/bin/python bench/sweeps.py [--total 1000000] [--small 100000] [--due 10000]
Uses the database `bench_disputes` on POSTGRES_URL (created and dropped by the script).
"""

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BASE_URL = os.environ.get("POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
BENCH_DB = "bench_disputes"
os.environ["DATABASE_URL"] = BASE_URL.rsplit("/", 1)[0] + "/" + BENCH_DB
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ["AXES_ENABLED"] = "False"


def recreate_database():
    import psycopg

    with psycopg.connect(BASE_URL.replace("postgres://", "postgresql://", 1), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB}")
        conn.execute(f"CREATE DATABASE {BENCH_DB}")


GROUPS = [
    # name, SQL fragments (columns → values) that make a row due for one task
    ("overdue", "is_open, status, reply_due_at", "true, 'IN_PROGRESS', now() - interval '1 hour'"),
    (
        "warning",
        "is_open, status, reply_warning_at, reply_due_at, seller_overdue_at",
        "true, 'IN_PROGRESS', now() - interval '1 hour', now() + interval '2 hours', now()",
    ),
    (
        "delivery",
        "is_open, status, seller_replied_at, delivery_close_at",
        "true, 'IN_PROGRESS', now(), now() - interval '1 hour'",
    ),
    (
        "expire",
        "is_open, status, seller_replied_at, auto_resolve_at",
        "true, 'IN_PROGRESS', now(), now() - interval '1 hour'",
    ),
    (
        "remind",
        "is_open, status, seller_replied_at, auto_resolve_at, reminder_1d_sent_at",
        "true, 'IN_PROGRESS', now(), now() + interval '3 days', now()",
    ),
    (
        "mediator",
        "is_open, status, seller_replied_at, mediator_joined_at, mediator_first_message_at, mediator_reply_due_at",
        "true, 'UNRESOLVED', now(), now(), now(), now() - interval '1 hour'",
    ),
]


def populate(total, due):
    """One order line per Discussion (DSC-05 allows one open Discussion per line)."""
    from django.db import connection

    from tests.factories import OfferFactory, UserFactory

    buyer = UserFactory(username="bench_buyer")
    offer = OfferFactory(title="Bench product", stock=10**9)
    account = offer.seller_account
    with connection.cursor() as cur:
        cur.execute(
            """
            INSERT INTO orders_order (buyer_id, seller_account_id, market_id, service, format, created_at,
                payment_method, status, total_amount, payment_due_at, public_id)
            SELECT %s, %s, 'PL', 'ALLEGRO', 'BUY_NOW', now() - interval '40 days', 'ONLINE', 'PAID', 100,
                now() - interval '33 days', gen_random_uuid()
            FROM generate_series(1, %s)
            """,
            [buyer.pk, account.pk, total],
        )
        cur.execute(
            """
            INSERT INTO orders_orderline (order_id, offer_id, title, unit_price, quantity, commission_per_unit,
                public_id)
            SELECT id, %s, 'Bench product', 100, 1, 10, gen_random_uuid() FROM orders_order
            WHERE seller_account_id = %s
            """,
            [offer.pk, account.pk],
        )
        common_cols = (
            "order_id, line_id, buyer_id, seller_account_id, market_id, service, reason, expected_solution, "
            "opened_by_marketplace, close_reason, created_at, opened_at, reopen_count, last_message_status, "
            "public_id, mediation_outcome"
        )
        common_vals = (
            "l.order_id, l.id, %s, %s, 'PL', 'ALLEGRO', 'NOT_RECEIVED', '', false, '', now() - interval '3 days', "
            "now() - interval '3 days', 0, 'NEW', gen_random_uuid(), ''"
        )
        lines = "SELECT id, order_id, row_number() OVER (ORDER BY id) AS n FROM orders_orderline WHERE offer_id = %s"
        offset = 0
        for _name, cols, vals in GROUPS:
            cur.execute(
                f"INSERT INTO discussions_discussion ({common_cols}, {cols}) "
                f"SELECT {common_vals}, {vals} FROM ({lines}) l WHERE l.n > %s AND l.n <= %s",
                [buyer.pk, account.pk, offer.pk, offset, offset + due],
            )
            offset += due
        # Everything else: closed Discussions, the bulk of a real table.
        cur.execute(
            f"INSERT INTO discussions_discussion ({common_cols}, is_open, status, closed_at, seller_replied_at) "
            f"SELECT {common_vals}, false, 'RESOLVED', now() - interval '1 day', now() - interval '2 days' "
            f"FROM ({lines}) l WHERE l.n > %s",
            [buyer.pk, account.pk, offer.pk, offset],
        )
        cur.execute("ANALYZE")


def run_tasks():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from discussions import tasks

    results = []
    now = timezone.now()
    for name in [
        "mark_seller_overdue",
        "send_deadline_warnings",
        "close_after_delivery",
        "auto_resolve",
        "send_buyer_reminders",
    ]:
        func = getattr(tasks, name)
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            done = func(now=now)
            elapsed = time.perf_counter() - started
        selects = [q["sql"] for q in queries.captured_queries if q["sql"].lstrip().upper().startswith("SELECT")]
        results.append((name, elapsed, done, len(queries.captured_queries), selects[:2]))
    return results


def measure(total, due):
    import django

    recreate_database()
    django.setup()
    from django.core.management import call_command
    from django.db import connection

    connection.close()
    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    populate(total, due)
    print(f"\n== {total:,} Discussions ({due:,} due per task), inserted in {time.perf_counter() - started:.1f} s")
    results = run_tasks()
    for name, elapsed, done, statements, selects in results:
        print(f"{name:<24} {elapsed:7.3f} s  {done:5d} rows changed  {statements:6d} SQL statements")
        for sql in selects[:1]:
            print(f"    due rows: …{sql[sql.find(' WHERE ') :][:260]}")
    connection.close()
    return {name: elapsed for name, elapsed, *_ in results}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--total", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=100_000)
    parser.add_argument("--due", type=int, default=10_000)
    args = parser.parse_args()
    big = measure(args.total, args.due)
    small = measure(args.small, args.due)
    print("\n== ratio (big / small): target < 1.5; every task under 5 s at the big size")
    for name in big:
        print(f"{name:<24} {big[name]:7.3f} s / {small[name]:7.3f} s = {big[name] / small[name]:5.2f}")


if __name__ == "__main__":
    main()
