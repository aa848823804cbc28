"""Health and metrics of a node (OPS-05).

`OpsMiddleware` is the first middleware. It answers two paths itself, before any other
middleware runs (no host check, no HTTPS redirect, no session, no sign-in, no database
write):

- `GET /health/` for the load balancer, polled every second or two: the database
  (`SELECT 1`), the cache (one read), the task broker (a Redis PING when django-q2 uses
  Redis; with the ORM broker the broker is the database) and the file storage (exists()
  of a fixed key on the local disk, a HEAD request of the bucket on the object store). 200
  `{"status": "ok", "checks": {...}}`, or 503 with `"status": "fail"` and the failed
  checks marked `"fail: <error class>"`. The Redis and object store checks use their own
  clients with one-second timeouts and no retries, so a dead service fails the check
  quickly instead of holding the worker.
- `GET /metrics` in Prometheus' text format, for clients within METRICS_ALLOWED_IPS only
  (others get 404): requests and their latencies per view and method (counted by this
  middleware in every worker), and figures read from the shared database and broker at
  each scrape, so every node reports the same cluster-wide values: the task queue's
  length, and what apps register with `register_metrics` (the mail outbox's backlog,
  the scheduled sweeps' last durations).

Several gunicorn workers: prometheus_client's multiprocess mode. With
PROMETHEUS_MULTIPROC_DIR set (before prometheus_client is imported: settings puts it in
the environment) each worker writes its counters to files in that directory and
/metrics adds up every worker's files, whichever worker answers the scrape.
config/gunicorn.py empties the directory when gunicorn starts and marks a worker that
exits as dead.
"""

import ipaddress
import json
import os
import time

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpResponse, HttpResponseNotFound

HEALTH_PATH = "/health/"
METRICS_PATH = "/metrics"
# A key nobody writes: exists() of it costs one stat() on the local disk.
STORAGE_PROBE_KEY = "health/probe"

# Checks with their own short timeouts (seconds).
PROBE_TIMEOUT = 1.0

_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


# --- metrics registered by apps -----------------------------------------------------------------

_metric_sources = []


def register_metrics(source):
    """Register `source()`, called at each scrape, which yields prometheus_client metric
    families (e.g. GaugeMetricFamily) read from shared state. Apps call it in ready()."""
    if source not in _metric_sources:
        _metric_sources.append(source)


# --- the request metrics of this worker -------------------------------------------------------


def _request_metrics():
    from prometheus_client import Counter, Histogram

    requests = Counter(
        "desk_http_requests_total", "HTTP requests answered, per view, method and status.", ["view", "method", "status"]
    )
    latency = Histogram(
        "desk_http_request_duration_seconds",
        "Time from the first middleware to the response, per view and method.",
        ["view", "method"],
        buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
    )
    return requests, latency


_REQUESTS = _LATENCY = None


def _observe(request, response, elapsed):
    global _REQUESTS, _LATENCY
    if _REQUESTS is None:
        _REQUESTS, _LATENCY = _request_metrics()
    match = getattr(request, "resolver_match", None)
    # The URL pattern's name (or its route): a bounded set of labels, never the path.
    view = (match.view_name or match.route) if match is not None else "<unresolved>"
    method = request.method if request.method in _METHODS else "other"
    _REQUESTS.labels(view, method, str(response.status_code)).inc()
    _LATENCY.labels(view, method).observe(elapsed)


class OpsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path_info
        if path == HEALTH_PATH:
            return health(request)
        if path == METRICS_PATH:
            return metrics(request)
        started = time.perf_counter()
        response = self.get_response(request)
        _observe(request, response, time.perf_counter() - started)
        return response


# --- health ----------------------------------------------------------------------------------


def _check_database():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _check_cache():
    from django.core.cache import cache

    cache.get("desk:health:probe")


_clients = {}


def _redis_client(url):
    client = _clients.get(("redis", url))
    if client is None:
        import redis

        client = redis.Redis.from_url(url, socket_connect_timeout=PROBE_TIMEOUT, socket_timeout=PROBE_TIMEOUT)
        _clients[("redis", url)] = client
    return client


def _broker_url():
    """The Redis URL of django-q2's broker, or None for the ORM broker."""
    redis = settings.Q_CLUSTER.get("redis")
    if not redis:
        return None
    return (
        redis
        if isinstance(redis, str)
        else "redis://{host}:{port}/{db}".format(
            host=redis.get("host", "localhost"), port=redis.get("port", 6379), db=redis.get("db", 0)
        )
    )


def _probe_storage():
    """The default storage; an object store with its own client: one-second timeouts,
    one attempt."""
    config = settings.STORAGES["default"]
    key = ("storage", id(config))
    storage = _clients.get(key)
    if storage is None:
        from django.core.files.storage import default_storage
        from django.utils.module_loading import import_string

        backend = import_string(config["BACKEND"])
        if backend.__module__.startswith("storages.backends.s3"):
            from botocore.config import Config

            options = dict(config.get("OPTIONS", {}))
            options["client_config"] = Config(
                connect_timeout=PROBE_TIMEOUT, read_timeout=PROBE_TIMEOUT, retries={"total_max_attempts": 1}
            )
            storage = backend(**options)
        else:
            storage = default_storage
        _clients[key] = storage
    return storage


def _check_storage():
    storage = _probe_storage()
    bucket = getattr(storage, "bucket_name", None)
    if bucket:
        # A HEAD of the bucket: fails when it is missing or the keys may not read it
        # (exists() of a key would answer False for a missing bucket).
        storage.connection.meta.client.head_bucket(Bucket=bucket)
    else:
        storage.exists(STORAGE_PROBE_KEY)


@receiver(setting_changed)
def _forget_clients(setting, **kwargs):
    if setting in {"STORAGES", "Q_CLUSTER", "CACHES"}:
        _clients.clear()


def run_checks():
    """{name: "ok" | "fail: <error class>"} of the database, cache, broker and storage."""
    checks = {}
    for name, check in (("database", _check_database), ("cache", _check_cache), ("storage", _check_storage)):
        try:
            check()
        except Exception as error:  # noqa: BLE001 - any failure is the check's answer
            checks[name] = f"fail: {type(error).__name__}"
        else:
            checks[name] = "ok"
    url = _broker_url()
    if url is None:
        checks["broker"] = checks["database"]  # the ORM broker is the database
    else:
        try:
            _redis_client(url).ping()
        except Exception as error:  # noqa: BLE001
            checks["broker"] = f"fail: {type(error).__name__}"
        else:
            checks["broker"] = "ok"
    return {name: checks[name] for name in ("database", "cache", "broker", "storage")}


def health(request):
    if request.method not in ("GET", "HEAD"):
        return HttpResponse(status=405, headers={"Allow": "GET, HEAD"})
    checks = run_checks()
    ok = all(value == "ok" for value in checks.values())
    body = json.dumps({"status": "ok" if ok else "fail", "checks": checks})
    return HttpResponse(
        body,
        status=200 if ok else 503,
        content_type="application/json",
        headers={"Cache-Control": "no-store"},
    )


# --- metrics ----------------------------------------------------------------------------------


def _allowed_networks():
    key = tuple(settings.METRICS_ALLOWED_IPS)
    cached = _clients.get(("networks", key))
    if cached is None:
        cached = [ipaddress.ip_network(item.strip(), strict=False) for item in key if item.strip()]
        _clients[("networks", key)] = cached
    return cached


def metrics_allowed(request):
    """Whether the client (as the sign-in lock identifies it, behind TRUSTED_PROXY_COUNT
    proxies) is within METRICS_ALLOWED_IPS."""
    from axes.helpers import get_client_ip_address

    try:
        address = ipaddress.ip_address(get_client_ip_address(request) or "")
    except ValueError:
        return False
    return any(address in network for network in _allowed_networks())


def _queue_length():
    from django_q.brokers import get_broker
    from prometheus_client.core import GaugeMetricFamily

    family = GaugeMetricFamily("desk_task_queue_length", "Tasks waiting in django-q2's broker.")
    family.add_metric([], get_broker().queue_size() or 0)
    yield family


def _sweeps():
    """The last run of each scheduled task, from django-q2's task results (kept in the
    database, whichever node ran it): its duration, when it ended and whether it succeeded."""
    from django_q.models import Task
    from prometheus_client.core import GaugeMetricFamily

    from .schedules import SCHEDULES

    names = [item["name"] for item in SCHEDULES]
    duration = GaugeMetricFamily(
        "desk_sweep_last_duration_seconds", "Duration of the last run of a scheduled task.", labels=["schedule"]
    )
    ended = GaugeMetricFamily(
        "desk_sweep_last_run_timestamp_seconds", "When the last run of a scheduled task ended.", labels=["schedule"]
    )
    success = GaugeMetricFamily(
        "desk_sweep_last_success", "1 if the last run of a scheduled task succeeded, else 0.", labels=["schedule"]
    )
    seen = set()
    rows = Task.objects.filter(group__in=names).order_by("-stopped")
    rows = rows.values_list("group", "started", "stopped", "success")
    for group, started, stopped, ok in rows[:1000]:
        if group in seen:
            continue
        seen.add(group)
        duration.add_metric([group], (stopped - started).total_seconds())
        ended.add_metric([group], stopped.timestamp())
        success.add_metric([group], 1 if ok else 0)
        if len(seen) == len(names):
            break
    yield from (duration, ended, success)


def _shared_families():
    from prometheus_client.core import GaugeMetricFamily

    up = GaugeMetricFamily(
        "desk_metric_source_up", "1 when a metric source could be read at this scrape, else 0.", labels=["source"]
    )
    for source in (_queue_length, _sweeps, *_metric_sources):
        name = getattr(source, "__qualname__", repr(source))
        try:
            families = list(source())
        except Exception:  # noqa: BLE001 - a source that cannot be read is reported, not fatal
            up.add_metric([name], 0)
            continue
        up.add_metric([name], 1)
        yield from families
    yield up


class _SharedCollector:
    def collect(self):
        return _shared_families()


def metrics(request):
    if not metrics_allowed(request):
        return HttpResponseNotFound()
    from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
    from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4  # the text format every Prometheus reads

    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    shared = CollectorRegistry(auto_describe=False)
    shared.register(_SharedCollector())
    body = generate_latest(registry) + generate_latest(shared)
    return HttpResponse(body, content_type=CONTENT_TYPE_PLAIN_0_0_4, headers={"Cache-Control": "no-store"})
