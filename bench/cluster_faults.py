"""OPS-04: a bounded load through HAProxy on the local cluster (scripts/cluster.sh) while
it kills and restarts a web node, a task node and Redis, and restarts PostgreSQL; then
it checks that nothing was lost or done twice. `--scaling`: the same load, no faults,
with one web node and with two (OPS-03, the scaling figure).

The load, as browsers and an integration would send it (client threads, each with a
pause between requests, so the load is bounded):
- buyers: sign in, open their Discussions' pages and post messages (some with a PNG
  attachment) through the page's form with its CSRF and one-time form tokens (SAFE-01);
  open new Discussions on their orders; mark their new Discussions resolved through the
  confirmation page (SAFE-03). A post that failed (5xx, a reset connection, a timeout)
  is sent again with the same form, as a user would resend it, up to 3 times;
- the seller: the Discussion list and replies (some with attachments) on the same pages;
- the seller's integration: GET /api/sale/issues with an OAuth token, and now and then
  POST /api/sale/issues/{id}/message (not resent: an unknown outcome is left unknown).
Every text carries a unique marker. The data is seeded for this run (users c<run>…),
with Discussions whose deadlines fall due during the load: the seller's reply deadline
(DSC-08), the delivery close (DSC-20b) and the 30-day auto-resolve (DSC-18), each set
seconds after the start. The sweeps and the mail outbox are scheduled every minute for
the run (the cluster's qcluster nodes run them; nothing here runs a task).

Faults (one after the other, on the cluster's nodes): SIGKILL of web1's gunicorn (all its
processes) and a start; SIGKILL of task1's qcluster and a start; SIGKILL of Redis (no
persistence: it comes back empty) and a start; a fast restart of PostgreSQL.

Checks, after the load and once the sweeps and the outbox are done (bounded waits):
- every message, Discussion opening and close a client got a success answer for is
  stored exactly once, and nothing a client sent is stored twice;
- every uploaded file is readable through the OTHER web node than the one that took it
  (the same pixels);
- every transition that fell due happened exactly once (its automatic message, status
  change and notifications once);
- every notification mail was accepted by the SMTP sink exactly once (by Message-ID),
  and every notification of the run was sent.
It prints req/s, errors per window (before the faults, each fault until the next) and the
time to recover, and exits 1 on any loss or duplicate.

Run (as root, for network namespaces; the cluster is started and stopped unless it is
already up or --keep-cluster):
  .venv/bin/python bench/cluster_faults.py            (about 6 minutes)
  .venv/bin/python bench/cluster_faults.py --short    (CI: under 5 minutes with cluster up/down)
  .venv/bin/python bench/cluster_faults.py --scaling [--seconds 30]
"""

import argparse
import contextlib
import hashlib
import html.parser
import io
import os
import random
import re
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CLUSTER = ROOT / "scripts" / "cluster.sh"
STATE = Path(os.environ.get("CLUSTER_DIR", "/tmp/allegro-cluster"))
PASSWORD = "cluster-pass-2026"
API_ACCEPT = "application/vnd.allegro.beta.v1+json"
TIMEOUT = 15
POST_TRIES = 3


def log(text):
    print(f"[{time.strftime('%H:%M:%S', time.gmtime())}] {text}", flush=True)


# --- The cluster ----------------------------------------------------------------------


def cluster(*args, check=True):
    return subprocess.run([str(CLUSTER), *args], capture_output=True, text=True, check=check)


def cluster_env():
    env = {}
    for name in ("cluster.env", "admin.env"):
        for line in (STATE / name).read_text().splitlines():
            if "=" in line and not line.startswith("#"):
                key, value = line.split("=", 1)
                env[key] = value
    return env


def setup_django(env):
    """This process reads and writes the cluster's database directly (seeding, checks)."""
    for key, value in env.items():
        os.environ[key] = value
    os.environ["DATABASE_URL"] = env["DIRECT_DATABASE_URL"]
    os.environ["MEDIA_ROOT"] = str(STATE / "checker" / "media")
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ.pop("PGBOUNCER_TRANSACTION_POOLING", None)
    import django

    django.setup()


def close_db():
    from django.db import connections

    connections.close_all()


# --- Seed -----------------------------------------------------------------------------


@dataclass
class Seed:
    run: str
    t0: float
    seller: str
    buyers: list
    # per buyer: pks of their open Discussions and orders without one
    chats: dict
    unopened: dict
    seller_chats: list
    api_issues: list
    token: str
    due: dict = field(default_factory=dict)  # kind -> [discussion pk]


def seed(run, buyers, due_each, due_window):
    """This run's users and data; the due Discussions fall due between 5 s and
    `due_window` s from now. Sweeps and the outbox are scheduled every minute."""
    from datetime import timedelta
    from decimal import Decimal

    from django.db import transaction
    from django.utils import timezone
    from django_q.models import Schedule

    from bench.api import create_token
    from discussions.models import Discussion, Message, Reason, Role
    from orders.models import Order, OrderLine
    from tests.factories import OfferFactory, SellerAccountFactory, UserFactory

    now = timezone.now()
    t0 = time.time()
    with transaction.atomic():
        seller_user = UserFactory(username=f"c{run}seller", email=f"c{run}seller@example.com", password=PASSWORD)
        account = SellerAccountFactory(user=seller_user, display_name=f"Cluster shop {run}")
        offer = OfferFactory(seller_account=account, title=f"Cluster product {run}", stock=10**6)

        def order_for(buyer, days=3):
            order = Order.objects.create(
                buyer=buyer,
                seller_account=account,
                market=offer.market,
                created_at=now - timedelta(days=days),
                payment_method=Order.PaymentMethod.ONLINE,
                status=Order.Status.PAID,
                total_amount=offer.price,
                payment_due_at=now + timedelta(days=4),
                paid_at=now - timedelta(days=days),
            )
            line = OrderLine.objects.create(
                order=order,
                offer=offer,
                title=offer.title,
                unit_price=offer.price,
                quantity=1,
                commission_per_unit=Decimal("10.00"),
            )
            return order, line

        def discussion_for(buyer, **fields):
            order, line = order_for(buyer)
            opened = now - timedelta(days=2)
            values = {
                "order": order,
                "line": line,
                "buyer": buyer,
                "seller_account": account,
                "market": offer.market,
                "service": order.service,
                "reason": Reason.NOT_RECEIVED,
                "created_at": opened,
                "opened_at": opened,
                "last_message_at": opened,
                "reply_due_at": now + timedelta(days=1),
                "seller_replied_at": opened + timedelta(hours=1),
                "first_reply_seconds": 3600,
                "auto_resolve_at": now + timedelta(days=28),
                "last_message_status": Discussion.LastMessageStatus.SELLER_REPLIED,
            }
            values.update(fields)
            discussion = Discussion.objects.create(**values)
            Message.objects.create(
                discussion=discussion,
                author=buyer,
                author_role=Role.BUYER,
                text="The parcel has not arrived yet.",
                created_at=opened,
            )
            return discussion

        users, chats, unopened, seller_chats, api_issues = [], {}, {}, [], []
        for i in range(buyers):
            buyer = UserFactory(username=f"c{run}buyer{i}", email=f"c{run}buyer{i}@example.com", password=PASSWORD)
            users.append(buyer.username)
            mine = [discussion_for(buyer) for _n in range(2)]
            chats[buyer.username] = [d.pk for d in mine]
            seller_chats += [d.pk for d in mine]
            api_issues += [str(d.public_id) for d in mine]
            unopened[buyer.username] = [order_for(buyer)[0].pk for _n in range(12)]
        idle = UserFactory(username=f"c{run}idle", email=f"c{run}idle@example.com", password=PASSWORD)
        due = defaultdict(list)
        for n in range(due_each):
            at = now + timedelta(seconds=5 + (due_window - 5) * n / max(due_each - 1, 1))
            due["overdue"].append(
                discussion_for(idle, reply_due_at=at, seller_replied_at=None, first_reply_seconds=None).pk
            )
            due["delivery"].append(discussion_for(idle, delivery_close_at=at).pk)
            due["expire"].append(discussion_for(idle, auto_resolve_at=at).pk)
        # The sweeps and the outbox every minute (their usual periods are 1 to 15 minutes).
        Schedule.objects.filter(name__startswith="discussions.").update(minutes=1, next_run=now)
    token = create_token(seller_user)
    close_db()
    return Seed(run, t0, seller_user.username, users, chats, unopened, seller_chats, api_issues, token, dict(due))


# --- HTTP clients ---------------------------------------------------------------------


class Forms(html.parser.HTMLParser):
    """The forms of a page: action and the values of their inputs."""

    def __init__(self):
        super().__init__()
        self.forms = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append({"action": attrs.get("action") or "", "fields": {}})
        elif tag in ("input", "button") and self.forms and attrs.get("name"):
            kind = attrs.get("type", "text")
            if kind in ("hidden", "submit") or tag == "button":
                self.forms[-1]["fields"].setdefault(attrs["name"], attrs.get("value", ""))

    @classmethod
    def find(cls, page, action_pattern):
        parser = cls()
        parser.feed(page)
        for form in parser.forms:
            if re.search(action_pattern, form["action"]):
                return form
        return None


@dataclass
class Record:
    started: float
    ended: float
    actor: str
    kind: str
    ok: bool
    status: str


@dataclass
class Sent:
    """Something a client sent that must be stored at most once (exactly once if acked)."""

    kind: str  # message, api_message, open, resolve
    marker: str
    actor: str
    acked: bool = False
    node: str = ""
    discussion: int = 0
    pixels: str = ""  # sha256 of an uploaded picture's pixels


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.records = []
        self.sent = []
        self.notes = []

    def record(self, *args):
        with self.lock:
            self.records.append(Record(*args))

    def note(self, text):
        """Keeps the first few transport errors' messages for the report."""
        with self.lock:
            if len(self.notes) < 8:
                self.notes.append(f"{time.strftime('%H:%M:%S', time.gmtime())} {text[:200]}")

    def add(self, sent):
        with self.lock:
            self.sent.append(sent)
        return sent


class Client:
    """One browser (a requests session) or integration; every request is recorded."""

    def __init__(self, name, env, stats, stop):
        import requests

        self.name = name
        self.base = env["LB_URL"]
        self.session = requests.Session()
        # The cluster's own certificate, whatever REQUESTS_CA_BUNDLE or proxies the environment names.
        self.session.trust_env = False
        self.session.verify = env["LB_CA"]
        self.stats = stats
        self.stop = stop
        self.seq = 0

    def request(self, kind, method, url, **kwargs):
        """(status, response or None); 0 = no answer."""
        import requests

        started = time.time()
        try:
            response = self.session.request(
                method, urljoin(self.base, url), timeout=TIMEOUT, allow_redirects=False, **kwargs
            )
        except requests.RequestException as error:
            self.stats.record(started, time.time(), self.name, kind, False, type(error).__name__)
            self.stats.note(f"{self.name} {kind} {method} {url}: {error}")
            return 0, None
        ok = response.status_code < 400
        self.stats.record(started, time.time(), self.name, kind, ok, str(response.status_code))
        return response.status_code, response

    def marker(self):
        self.seq += 1
        return f"mk-{self.name}-{self.seq}-{random.getrandbits(32):08x}"

    def sign_in(self, username):
        for _attempt in range(20):
            status, page = self.request("login_page", "GET", "/accounts/login/")
            if status == 200:
                form = Forms.find(page.text, r"^$") or {"fields": {}}
                data = {**form["fields"], "username": username, "password": PASSWORD}
                status, answer = self.request(
                    "login", "POST", "/accounts/login/", data=data, headers={"Referer": self.base + "/accounts/login/"}
                )
                if status == 302:
                    return
            time.sleep(1)
        raise RuntimeError(f"{username} could not sign in")

    def page_form(self, page_url, action_pattern):
        status, page = self.request("page", "GET", page_url)
        if status != 200:
            return None
        return Forms.find(page.text, action_pattern)

    def post_form(self, kind, action, data, files=None, referer=""):
        """POST a form, resent as it was after an error (a user pressing resend). Returns
        (acked, node that answered the acked post, Location)."""
        for attempt in range(POST_TRIES):
            if attempt:
                time.sleep(1)
            upload = {k: (n, io.BytesIO(b), t) for k, (n, b, t) in (files or {}).items()}
            status, answer = self.request(
                kind, "POST", action, data=data, files=upload or None, headers={"Referer": self.base + referer}
            )
            if status == 302:
                return True, answer.headers.get("X-Served-By", ""), answer.headers.get("Location", "")
            if status and status < 500:
                return False, "", ""  # refused (a form error): not resent
        return False, "", ""

    def pause(self, seconds):
        self.stop.wait(seconds)


def png(marker):
    """A 24x24 PNG whose pixels derive from the marker; (bytes, sha256 of the pixels)."""
    from PIL import Image

    digest = hashlib.sha256(marker.encode()).digest()
    image = Image.new("RGB", (24, 24))
    image.putdata([tuple(digest[(i * 3 + k) % 32] for k in range(3)) for i in range(24 * 24)])
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue(), hashlib.sha256(image.tobytes()).hexdigest()


def buyer_loop(client, seed, username, think):
    client.sign_in(username)
    chats = list(seed.chats[username])
    unopened = list(seed.unopened[username])
    opened = []  # Discussions this client opened (and may mark resolved)
    while not client.stop.is_set():
        roll = random.random()
        if roll < 0.35:
            pk = random.choice(chats + opened[-2:])
            form = client.page_form(f"/my/discussions/{pk}/", rf"/my/discussions/{pk}/message/")
            if form:
                marker = client.marker()
                sent = client.stats.add(Sent("message", marker, username, discussion=pk))
                files = None
                if random.random() < 0.25:
                    content, sent.pixels = png(marker)
                    files = {"files": (f"{marker}.png", content, "image/png")}
                sent.acked, sent.node, _loc = client.post_form(
                    "message", form["action"], {**form["fields"], "text": marker}, files, f"/my/discussions/{pk}/"
                )
        elif roll < 0.47 and unopened:
            order = unopened.pop()
            url = f"/my/purchases/{order}/discussion/new/"
            form = client.page_form(url, r"^$")  # the form posts to its own page
            if form:
                form["action"] = url
                marker = client.marker()
                sent = client.stats.add(Sent("open", marker, username))
                data = {**form["fields"], "reason": "NOT_RECEIVED", "text": marker}
                data.setdefault("line", "")
                if not data["line"]:
                    data["line"] = line_of(client, url)
                sent.acked, sent.node, location = client.post_form("open", form["action"], data, None, url)
                match = re.search(r"/my/discussions/(\d+)/", location)
                if sent.acked and match:
                    sent.discussion = int(match[1])
                    opened.append(sent.discussion)
        elif roll < 0.55 and len(opened) > 2:
            pk = opened.pop(0)
            form = client.page_form(f"/my/discussions/{pk}/", rf"/my/discussions/{pk}/do/resolve/")
            if form:
                sent = client.stats.add(Sent("resolve", f"resolve-{pk}", username, discussion=pk))
                status, page = client.request(
                    "resolve_confirm",
                    "POST",
                    form["action"],
                    data=form["fields"],
                    headers={"Referer": f"{client.base}/my/discussions/{pk}/"},
                )
                confirm = Forms.find(page.text, r"/do/resolve/") if status == 200 else None
                if confirm:
                    sent.acked, sent.node, _loc = client.post_form(
                        "resolve", confirm["action"], {**confirm["fields"], "confirm": "1"}, None, form["action"]
                    )
        else:
            client.request("list", "GET", "/my/discussions/")
        client.pause(think)


def line_of(client, url):
    status, page = client.request("page", "GET", url)
    match = re.search(r'name="line" value="(\d+)"', page.text if page is not None else "")
    return match[1] if match else ""


def seller_loop(client, seed, think):
    client.sign_in(seed.seller)
    while not client.stop.is_set():
        if random.random() < 0.4:
            pk = random.choice(seed.seller_chats)
            form = client.page_form(f"/seller/discussions/{pk}/", rf"/seller/discussions/{pk}/message/")
            if form:
                marker = client.marker()
                sent = client.stats.add(Sent("message", marker, seed.seller, discussion=pk))
                files = None
                if random.random() < 0.2:
                    content, sent.pixels = png(marker)
                    files = {"files": (f"{marker}.png", content, "image/png")}
                sent.acked, sent.node, _loc = client.post_form(
                    "message", form["action"], {**form["fields"], "text": marker}, files, f"/seller/discussions/{pk}/"
                )
        else:
            client.request("list", "GET", "/seller/discussions/")
        client.pause(think)


def api_loop(client, seed, think):
    headers = {"Authorization": f"Bearer {seed.token}", "Accept": API_ACCEPT}
    while not client.stop.is_set():
        if random.random() < 0.1:
            issue = random.choice(seed.api_issues)
            marker = client.marker()
            sent = client.stats.add(Sent("api_message", marker, seed.seller))
            status, _answer = client.request(
                "api_message",
                "POST",
                f"/api/sale/issues/{issue}/message",
                json={"text": marker, "type": "REGULAR"},
                headers={**headers, "Content-Type": API_ACCEPT},
            )
            sent.acked = 200 <= status < 300
        else:
            client.request("api_poll", "GET", "/api/sale/issues?limit=20", headers=headers)
        client.pause(think)


# --- Faults ---------------------------------------------------------------------------


@dataclass
class Fault:
    name: str
    node: str
    action: str  # kill (then start) or restart
    down_at: float = 0
    back_at: float = 0  # the node is healthy again (its check answers)


def run_faults(faults, t0, start_after, gap, stop):
    """The faults one after the other: `start_after` s of load first, then each fault
    (kill; `down_for` s; start, waiting until the node is healthy) and `gap` s of load."""
    stop.wait(max(0, t0 + start_after - time.time()))
    for fault in faults:
        if stop.is_set():
            return
        log(f"fault: {fault.name}")
        fault.down_at = time.time()
        if fault.action == "restart":
            cluster("restart", fault.node)
        else:
            cluster("kill", fault.node)
            stop.wait(fault_down_seconds(fault))
            cluster("start", fault.node)
        fault.back_at = time.time()
        log(f"  {fault.node} healthy again after {fault.back_at - fault.down_at:.1f} s")
        stop.wait(gap)


DOWN_SECONDS = {"web1": 6, "task1": 5, "redis": 3}


def fault_down_seconds(fault):
    return DOWN_SECONDS.get(fault.node, 3)


def default_faults():
    return [
        Fault("kill web1 (gunicorn, SIGKILL) and start it", "web1", "kill"),
        Fault("kill task1 (qcluster, SIGKILL) and start it", "task1", "kill"),
        Fault("kill Redis (SIGKILL, comes back empty) and start it", "redis", "kill"),
        Fault("restart PostgreSQL (fast shutdown, start)", "postgres", "restart"),
    ]


# --- CPU ------------------------------------------------------------------------------


def cpu_times():
    """(busy, total) jiffies of the whole machine, from /proc/stat."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


def process_table():
    """{pid: (parent pid, CPU seconds used by it and its reaped children)} from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    table = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parts = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        table[int(stat.parent.name)] = (int(parts[1]), sum(int(x) for x in parts[11:15]) / tick)
    return table


def tree_cpu(root, table):
    """CPU seconds of a node's process and all its descendants (PostgreSQL's backends start
    sessions of their own, so a process group would miss them)."""
    children = defaultdict(list)
    for pid, (parent, _cpu) in table.items():
        children[parent].append(pid)
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        total += table.get(pid, (0, 0.0))[1]
        todo += children.get(pid, [])
    return total


def node_pgids():
    pgids = {}
    for pidfile in (STATE / "run").glob("*.pid"):
        with contextlib.suppress(OSError, ValueError):
            pgids[pidfile.stem] = int(pidfile.read_text())
    return pgids


class CpuMeter:
    def __init__(self):
        self.start = cpu_times()
        table = process_table()
        self.nodes = {n: (p, tree_cpu(p, table)) for n, p in node_pgids().items()}
        self.self_start = time.process_time()

    def finish(self, seconds):
        busy0, total0 = self.start
        busy1, total1 = cpu_times()
        used = (busy1 - busy0) / max(total1 - total0, 1)
        table = process_table()
        # A node restarted during the run (a new pid) counts from zero.
        nodes = {
            n: tree_cpu(p, table) - (self.nodes[n][1] if self.nodes.get(n, (0,))[0] == p else 0)
            for n, p in node_pgids().items()
        }
        nodes["load client"] = time.process_time() - self.self_start
        return used, {n: s / seconds for n, s in nodes.items()}


# --- Load run -------------------------------------------------------------------------


def run_load(env, seed, seconds, think, buyers, faults=None, gap=0, start_after=0):
    stats = Stats()
    stop = threading.Event()
    threads = []
    for i, username in enumerate(seed.buyers[:buyers]):
        client = Client(f"b{i}", env, stats, stop)
        threads.append(threading.Thread(target=guarded, args=(buyer_loop, client, seed, username, think)))
    seller = Client("s", env, stats, stop)
    threads.append(threading.Thread(target=guarded, args=(seller_loop, seller, seed, think)))
    api = Client("api", env, stats, stop)
    threads.append(threading.Thread(target=guarded, args=(api_loop, api, seed, think)))
    meter = CpuMeter()
    began = time.time()
    for thread in threads:
        thread.start()
    fault_thread = None
    if faults:
        fault_thread = threading.Thread(target=run_faults, args=(faults, began, start_after, gap, stop))
        fault_thread.start()
    stop.wait(seconds)
    if fault_thread:
        fault_thread.join()  # the last fault's node is back before the load ends
    stop.set()
    for thread in threads:
        thread.join()
    elapsed = time.time() - began
    cpu = meter.finish(elapsed)
    return stats, began, elapsed, cpu


def guarded(target, *args):
    try:
        target(*args)
    except Exception as error:  # a client that could not even start: reported, not hidden
        log(f"client {args[0].name} stopped: {type(error).__name__}: {error}")
        args[0].stats.record(time.time(), time.time(), args[0].name, "client_crash", False, str(error)[:80])


# --- Checks ---------------------------------------------------------------------------


def wait_until(what, predicate, seconds):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            if predicate():
                return True
        except Exception as error:  # the database may still be coming back
            log(f"  ({what}: {type(error).__name__})")
        finally:
            close_db()
        time.sleep(3)
    return False


def due_done(seed):
    from discussions.models import Discussion

    overdue = Discussion.objects.filter(pk__in=seed.due["overdue"], seller_overdue_at__isnull=False).count()
    closed = Discussion.objects.filter(pk__in=seed.due["delivery"] + seed.due["expire"], is_open=False).count()
    return overdue == len(seed.due["overdue"]) and closed == len(seed.due["delivery"]) + len(seed.due["expire"])


def run_notifications(seed):
    from django.db.models import Q

    from discussions.models import Notification

    prefix = f"c{seed.run}"
    return Notification.objects.filter(Q(recipient__username__startswith=prefix))


def outbox_drained(seed):
    from discussions.models import Notification

    return (
        not run_notifications(seed)
        .filter(email_status__in=[Notification.EmailStatus.PENDING, Notification.EmailStatus.SENDING])
        .exists()
    )


def check_all(env, seed, stats):
    """Returns a list of problems (empty: nothing lost or duplicated)."""
    from discussions.models import Attachment, Discussion, Message, Notification, StatusChange
    from discussions.notifications import message_id

    problems = []
    acked = Counter()
    counts = Counter()
    # Messages (pages and API) and openings: by marker, in one query.
    sent_by_marker = {s.marker: s for s in stats.sent if s.kind in ("message", "api_message", "open")}
    stored = Counter()
    for text in Message.objects.filter(
        text__startswith="mk-", discussion__seller_account__user__username=seed.seller
    ).values_list("text", flat=True):
        stored[text] += 1
    for marker, sent in sent_by_marker.items():
        n = stored.get(marker, 0)
        counts[sent.kind] += 1
        if sent.acked:
            acked[sent.kind] += 1
            if n != 1:
                problems.append(f"{sent.kind} {marker} was acknowledged but is stored {n} times")
        elif n > 1:
            problems.append(f"{sent.kind} {marker} (not acknowledged) is stored {n} times")
    unknown = set(stored) - set(sent_by_marker)
    if unknown:
        problems.append(f"{len(unknown)} stored messages no client sent: {sorted(unknown)[:3]}")
    # Openings: one Discussion per acknowledged opening, its first message the marker.
    for sent in stats.sent:
        if sent.kind == "open" and sent.acked:
            n = Discussion.objects.filter(messages__text=sent.marker).count()
            if n != 1:
                problems.append(f"opening {sent.marker}: {n} Discussions")
    # Closes by the buyer: closed once.
    for sent in stats.sent:
        if sent.kind != "resolve":
            continue
        counts["resolve"] += 1
        closes = StatusChange.objects.filter(discussion_id=sent.discussion, to_open=False).count()
        if sent.acked:
            acked["resolve"] += 1
            if closes != 1:
                problems.append(f"Discussion {sent.discussion} marked resolved (acknowledged): {closes} closes")
        elif closes > 1:
            problems.append(f"Discussion {sent.discussion}: {closes} closes")
    # Uploads: readable through the other web node, the same pixels.
    uploads = [s for s in stats.sent if s.pixels and s.acked]
    counts["upload"] = len([s for s in stats.sent if s.pixels])
    acked["upload"] = len(uploads)
    problems += check_uploads(env, seed, uploads, Attachment)
    # Due transitions, exactly once each.
    codes = {"overdue": "SELLER_OVERDUE", "delivery": "CLOSED_DELIVERED", "expire": "CLOSED_EXPIRED"}
    kinds = {
        "overdue": (Notification.Kind.DEADLINE_MISSED, 1),
        "delivery": (Notification.Kind.STATUS_CHANGED, 2),
        "expire": (Notification.Kind.STATUS_CHANGED, 2),
    }
    for due, pks in seed.due.items():
        counts[f"due {due}"] = len(pks)
        for pk in pks:
            auto = Message.objects.filter(discussion_id=pk, auto_code=codes[due]).count()
            kind, expected = kinds[due]
            notes = Notification.objects.filter(discussion_id=pk, kind=kind).count()
            closes = StatusChange.objects.filter(discussion_id=pk, to_open=False).count()
            want_closes = 0 if due == "overdue" else 1
            if auto != 1 or notes != expected or closes != want_closes:
                problems.append(
                    f"due {due} Discussion {pk}: automatic message {auto}×, notifications {notes}× "
                    f"(want {expected}), closes {closes}× (want {want_closes})"
                )
            else:
                acked[f"due {due}"] += 1
    # Mail: every notification of the run sent, and received once.
    notifications = list(run_notifications(seed).select_related("recipient"))
    received = Counter()
    with sqlite3.connect(env["SMTP_DB"]) as sink:
        for (mid,) in sink.execute("SELECT message_id FROM message WHERE recipients LIKE ?", (f"c{seed.run}%",)):
            received[mid] += 1
    expected_ids = set()
    for n in notifications:
        mid = message_id(n)
        expected_ids.add(mid)
        if n.email_status != Notification.EmailStatus.SENT:
            problems.append(f"notification {n.pk} ({n.kind}) is {n.email_status} after {n.email_attempts} tries")
        elif received[mid] != 1:
            problems.append(f"notification {n.pk} ({n.kind}) reached the SMTP sink {received[mid]} times")
    extra = set(received) - expected_ids
    if extra:
        problems.append(f"{len(extra)} mails at the sink belong to no notification")
    counts["mail"] = len(notifications)
    acked["mail"] = sum(1 for n in notifications if received[message_id(n)] == 1)
    close_db()
    return problems, counts, acked


def check_uploads(env, seed, uploads, attachment_model):
    import requests
    from PIL import Image

    problems = []
    other = {"web1": env["WEB2"], "web2": env["WEB1"]}
    sessions = {}
    for sent in uploads:
        rows = list(attachment_model.objects.filter(message__text=sent.marker).values_list("pk", flat=True))
        if len(rows) != 1:
            problems.append(f"upload {sent.marker}: {len(rows)} attachments stored")
            continue
        address = other.get(sent.node)
        if address is None:
            problems.append(f"upload {sent.marker}: unknown node {sent.node!r}")
            continue
        if sent.actor not in sessions:
            client = requests.Session()
            client.trust_env = False
            client.verify = env["LB_CA"]
            login = client.get(env["LB_URL"] + "/accounts/login/", timeout=TIMEOUT)
            form = Forms.find(login.text, r"^$")
            client.post(
                env["LB_URL"] + "/accounts/login/",
                data={**form["fields"], "username": sent.actor, "password": PASSWORD},
                headers={"Referer": env["LB_URL"] + "/accounts/login/"},
                timeout=TIMEOUT,
                allow_redirects=False,
            )
            sessions[sent.actor] = client.cookies.get("sessionid")
        answer = requests.Session()
        answer.trust_env = False
        answer = answer.get(
            f"http://{address}:8000/attachments/{rows[0]}/",
            headers={
                "Host": env["LB_URL"].split("//", 1)[1],
                "X-Forwarded-Proto": "https",
                "Cookie": f"sessionid={sessions[sent.actor]}",
            },
            timeout=TIMEOUT,
            allow_redirects=False,
        )
        if answer.status_code != 200:
            problems.append(f"upload {sent.marker} (taken by {sent.node}): {answer.status_code} from the other node")
            continue
        try:
            pixels = hashlib.sha256(Image.open(io.BytesIO(answer.content)).convert("RGB").tobytes()).hexdigest()
        except Exception as error:
            problems.append(f"upload {sent.marker}: not a picture from the other node ({error})")
            continue
        if pixels != sent.pixels:
            problems.append(f"upload {sent.marker}: other pixels from the other node")
    return problems


# --- Report ---------------------------------------------------------------------------


def windows_of(began, end, faults):
    """(name, start, end) windows: before the faults, each fault until the next one (the
    last until the end of the load)."""
    cuts = [("before the faults", began)] + [(f.name, f.down_at) for f in faults if f.down_at]
    out = []
    for i, (name, start) in enumerate(cuts):
        out.append((name, start, cuts[i + 1][1] if i + 1 < len(cuts) else end))
    return out


def report_windows(stats, began, elapsed, faults):
    end = began + elapsed
    print()
    print(f"{'window':<58} {'secs':>5} {'req':>6} {'req/s':>6} {'errors':>6}  errors by kind")
    for name, start, stop in windows_of(began, end, faults):
        # By the end of each request: one in flight on a node that is killed fails in the fault's window.
        rows = [r for r in stats.records if start <= r.ended < stop]
        errors = [r for r in rows if not r.ok]
        kinds = Counter(f"{r.kind}:{r.status}" for r in errors)
        seconds = stop - start
        print(
            f"{name:<58} {seconds:5.1f} {len(rows):6d} {len(rows) / max(seconds, 0.001):6.1f} {len(errors):6d}  "
            + ", ".join(f"{k}×{n}" for k, n in kinds.most_common(4))
        )
    total = len(stats.records)
    print(
        f"{'whole run':<58} {elapsed:5.1f} {total:6d} {total / elapsed:6.1f} {sum(not r.ok for r in stats.records):6d}"
    )
    print()
    print(f"{'fault':<58} {'node back':>9} {'clients ok again':>16}")
    for name, start, stop in windows_of(began, end, faults)[1:]:
        fault = next(f for f in faults if f.name == name)
        errors = [r for r in stats.records if start <= r.ended < stop and not r.ok]
        last_error = max((r.ended for r in errors), default=None)
        recovered = f"{last_error - start:.1f} s" if last_error else "no errors"
        print(f"{name:<58} {fault.back_at - fault.down_at:7.1f} s {recovered:>16}")
    print("(node back: from the kill until the node answers its health check; clients ok again: from the kill")
    print(" until the end of the last failed request in the window)")
    if stats.notes:
        print("First errors without an answer (connection refused or reset, timeouts):")
        for note in stats.notes:
            print(f"  {note}")


def report_cpu(cpu, elapsed):
    used, nodes = cpu
    cores = os.cpu_count()
    shares = ", ".join(f"{n} {s:.2f}" for n, s in sorted(nodes.items(), key=lambda x: -x[1]) if s >= 0.01)
    print(f"CPU: machine {used * 100:.0f} % busy of {cores} cores; cores used per node: {shares}")


# --- Main -----------------------------------------------------------------------------


def ensure_cluster(args):
    """Starts the cluster unless it is up; returns whether we started it."""
    if cluster("status", check=False).returncode == 0:
        log("cluster already up: using it")
        return False
    log("cluster up …")
    started = time.time()
    result = cluster("up", check=False)
    print(result.stdout.strip())
    if result.returncode != 0:
        print(result.stderr[-3000:], file=sys.stderr)
        sys.exit("cluster did not come up")
    log(f"cluster up in {time.time() - started:.0f} s")
    return True


def scaling(env, args):
    """The same load (no faults) with web2 taken out of HAProxy and with both nodes, in
    alternating rounds (1, 2, 1, 2) so that a change in what else the machine runs shows
    in both. Also requests per CPU-second used by the web nodes, which other work on the
    machine disturbs less than req/s."""
    rounds = defaultdict(list)
    try:
        for nodes in (1, 2) * args.rounds:
            # Fresh data each round: the orders a round opened Discussions on are used up.
            seed_data = seed(f"{random.getrandbits(24):06x}", args.buyers, 1, 3600)
            haproxy("disable server web/web2" if nodes == 1 else "enable server web/web2")
            time.sleep(2)
            stats, _began, elapsed, cpu = run_load(env, seed_data, args.seconds, args.think, args.buyers)
            ok = sum(r.ok for r in stats.records)
            web_cores = sum(share for name, share in cpu[1].items() if name.startswith("web"))
            rounds[nodes].append((ok / elapsed, web_cores, cpu[0]))
            errors = Counter(f"{r.kind}:{r.status}" for r in stats.records if not r.ok)
            log(
                f"{nodes} web node(s): {ok / elapsed:.1f} req/s, web nodes used {web_cores:.2f} cores, "
                f"{ok / elapsed / max(web_cores, 0.01):.0f} requests per web CPU-second; errors: {dict(errors)}"
            )
            report_cpu(cpu, elapsed)
    finally:
        haproxy("enable server web/web2")

    def mean(nodes, index):
        return sum(r[index] for r in rounds[nodes]) / len(rounds[nodes])

    one, two = mean(1, 0), mean(2, 0)
    print()
    print(f"Scaling ({args.rounds} rounds of {args.seconds:g} s each, {args.buyers} buyers + seller + API clients):")
    print(f"  1 web node  {one:6.1f} req/s, web CPU {mean(1, 1):.2f} cores, machine {mean(1, 2) * 100:.0f} % busy")
    print(f"  2 web nodes {two:6.1f} req/s, web CPU {mean(2, 1):.2f} cores, machine {mean(2, 2) * 100:.0f} % busy")
    print(f"  throughput ratio 2/1: {two / one:.2f} ({os.cpu_count()} cores shared by every node, the load client")
    print("  and whatever else runs on the machine)")


def haproxy(command):
    with socket.socket(socket.AF_UNIX) as sock:
        sock.connect(str(STATE / "lb" / "admin.sock"))
        sock.sendall(command.encode() + b"\n")
        return sock.recv(65536).decode()


def faults_run(env, args):
    run = f"{random.getrandbits(24):06x}"
    load = args.seconds
    log(f"run {run}: seeding ({args.buyers} buyers, {args.due} Discussions of each due kind)")
    seed_data = seed(run, args.buyers, args.due, due_window=load * 0.6)
    faults = default_faults()
    log(f"load for {load:.0f} s through {env['LB_URL']} with faults")
    stats, began, elapsed, cpu = run_load(
        env, seed_data, load, args.think, args.buyers, faults, gap=args.gap, start_after=args.before
    )
    log(f"load done: {len(stats.records)} requests in {elapsed:.0f} s")
    log("waiting for the due transitions and the outbox …")
    t = time.time()
    if not wait_until("due transitions", lambda: due_done(seed_data), args.drain):
        log("  not every due transition happened in time")
    wait_until("outbox", lambda: outbox_drained(seed_data), max(30, args.drain - (time.time() - t)))
    log(f"  waited {time.time() - t:.0f} s")
    problems, counts, acked = check_all(env, seed_data, stats)
    report_windows(stats, began, elapsed, faults)
    report_cpu(cpu, elapsed)
    print()
    print("What clients got acknowledged / sent, and the checks:")
    for kind in sorted(counts):
        print(f"  {kind:<16} {acked[kind]:5d} / {counts[kind]:5d}")
    print()
    if problems:
        print(f"FAILED: {len(problems)} problems")
        for problem in problems[:50]:
            print(f"  - {problem}")
        return 1
    print("OK: every acknowledged write stored once, nothing stored twice, uploads readable on the other node,")
    print("    every due transition once, every notification mailed once.")
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--short", action="store_true", help="the CI version (under 5 minutes with cluster up/down)")
    parser.add_argument("--scaling", action="store_true", help="no faults: one web node, then two")
    parser.add_argument("--seconds", type=float, default=None, help="load duration")
    parser.add_argument("--buyers", type=int, default=None, help="buyer client threads")
    parser.add_argument("--think", type=float, default=0.05, help="pause between a client's requests (s)")
    parser.add_argument("--rounds", type=int, default=2, help="--scaling: rounds of one node then two")
    parser.add_argument("--keep-cluster", action="store_true", help="leave the cluster up at the end")
    args = parser.parse_args()
    if args.short:
        defaults = {"seconds": 75, "buyers": 3, "due": 4, "before": 8, "gap": 6, "drain": 120}
    elif args.scaling:
        defaults = {"seconds": 30, "buyers": 6, "due": 1, "before": 0, "gap": 0, "drain": 0}
    else:
        defaults = {"seconds": 150, "buyers": 4, "due": 8, "before": 15, "gap": 20, "drain": 180}
    for key, value in defaults.items():
        if getattr(args, key, None) is None:
            setattr(args, key, value)
    started = time.time()
    ours = ensure_cluster(args)
    try:
        env = cluster_env()
        log(f"cluster mode: {env['MODE']}")
        setup_django(env)
        code = scaling(env, args) or 0 if args.scaling else faults_run(env, args)
    finally:
        if ours and not args.keep_cluster:
            log("cluster down")
            cluster("down", check=False)
    log(f"total {time.time() - started:.0f} s")
    return code


if __name__ == "__main__":
    sys.exit(main())
