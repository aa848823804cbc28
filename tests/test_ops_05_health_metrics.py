"""OPS-05: the health endpoint the load balancer polls and the Prometheus metrics."""

import json
import os
import socket
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import OperationalError
from django.utils import timezone

from core import ops

ROOT = Path(__file__).resolve().parent.parent


def _closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.django_db
def test_ops_05_health_answers_200_with_every_check_and_touches_no_session(client, django_assert_max_num_queries):
    with django_assert_max_num_queries(1):  # SELECT 1, nothing written
        response = client.get("/health/", HTTP_HOST="10.0.0.7:8000")  # a node's own address, not in ALLOWED_HOSTS
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "no-store"
    assert json.loads(response.content) == {
        "status": "ok",
        "checks": {"database": "ok", "cache": "ok", "broker": "ok", "storage": "ok"},
    }
    assert not response.cookies  # no session, no CSRF cookie, no language cookie


@pytest.mark.django_db
def test_ops_05_health_answers_plain_http_even_where_https_is_enforced(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/health/").status_code == 200
    assert client.get("/accounts/login/").status_code == 301


@pytest.mark.django_db
def test_ops_05_health_answers_503_naming_each_failed_check(client, settings, monkeypatch):
    port = _closed_port()
    settings.CACHES = {"default": {"BACKEND": "core.cache.RedisCache", "LOCATION": f"redis://127.0.0.1:{port}/0"}}
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "redis": f"redis://127.0.0.1:{port}/0"}
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": "absent",
                "endpoint_url": f"http://127.0.0.1:{port}",
                "access_key": "x",
                "secret_key": "y",
                "region_name": "us-east-1",
            },
        },
    }
    response = client.get("/health/")
    assert response.status_code == 503
    body = json.loads(response.content)
    assert body["status"] == "fail"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["cache"].startswith("fail: ")
    assert body["checks"]["broker"].startswith("fail: ")
    assert body["checks"]["storage"].startswith("fail: ")


@pytest.mark.django_db
def test_ops_05_with_the_orm_broker_a_failed_database_fails_the_broker_too(client, monkeypatch):
    def down():
        raise OperationalError("connection refused")

    monkeypatch.setattr(ops, "_check_database", down)
    response = client.get("/health/")
    assert response.status_code == 503
    checks = json.loads(response.content)["checks"]
    assert checks["database"] == checks["broker"] == "fail: OperationalError"
    assert checks["cache"] == checks["storage"] == "ok"


@pytest.mark.django_db
def test_ops_05_health_with_redis_pings_the_broker(client, settings, redis_url):
    url = redis_url
    settings.CACHES = {"default": {"BACKEND": "core.cache.RedisCache", "LOCATION": url}}
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "redis": url}
    response = client.get("/health/")
    assert response.status_code == 200, response.content
    assert json.loads(response.content)["checks"]["broker"] == "ok"


def _metrics_text(client, **extra):
    response = client.get("/metrics", **extra)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    return response.content.decode()


def _sample(text, name, **labels):
    from prometheus_client.parser import text_string_to_metric_families

    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return sample.value
    return None


@pytest.mark.django_db
def test_ops_05_metrics_count_requests_and_their_latency_per_view(client):
    before = _sample(_metrics_text(client), "desk_http_requests_total", view="login", method="GET", status="200") or 0
    client.get("/accounts/login/")
    client.get("/accounts/login/")
    text = _metrics_text(client)
    assert _sample(text, "desk_http_requests_total", view="login", method="GET", status="200") == before + 2
    assert _sample(text, "desk_http_request_duration_seconds_count", view="login", method="GET") >= 2


def _all_requests(text):
    from prometheus_client.parser import text_string_to_metric_families

    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "desk_http_requests_total"
    )


@pytest.mark.django_db
def test_ops_05_the_probes_themselves_are_not_counted_as_requests(client):
    client.get("/accounts/login/")
    before = _all_requests(_metrics_text(client))
    for _ in range(3):
        client.get("/health/")
    assert _all_requests(_metrics_text(client)) == before


@pytest.mark.django_db
def test_ops_05_metrics_report_queue_length_outbox_backlog_and_sweep_durations(client, buyer):
    from django_q.models import OrmQ, Task

    from discussions.models import Notification

    now = timezone.now()
    for minutes in (-30, -5, 10):
        Notification.objects.create(
            recipient=buyer, kind="NEW_MESSAGE", created_at=now, email_next_attempt_at=now + timedelta(minutes=minutes)
        )
    Notification.objects.create(recipient=buyer, kind="NEW_MESSAGE", created_at=now, email_status="SENT")
    OrmQ.objects.create(key="disputes", payload="x", lock=now - timedelta(seconds=1))  # as enqueued
    started = now - timedelta(seconds=30)
    Task.objects.create(
        id="a" * 32,
        name="first",
        func="discussions.tasks.auto_resolve",
        group="discussions.auto_resolve",
        started=started - timedelta(minutes=15),
        stopped=started - timedelta(minutes=15) + timedelta(seconds=9),
        success=True,
    )
    Task.objects.create(
        id="b" * 32,
        name="second",
        func="discussions.tasks.auto_resolve",
        group="discussions.auto_resolve",
        started=started,
        stopped=started + timedelta(seconds=2.5),
        success=True,
    )
    text = _metrics_text(client)
    assert _sample(text, "desk_task_queue_length") == 1
    assert _sample(text, "desk_outbox_backlog", state="pending") == 3
    assert _sample(text, "desk_outbox_backlog", state="due") == 2
    assert _sample(text, "desk_outbox_backlog", state="sending") == 0
    assert 29 * 60 < _sample(text, "desk_outbox_oldest_due_seconds") < 31 * 60
    assert _sample(text, "desk_sweep_last_duration_seconds", schedule="discussions.auto_resolve") == 2.5
    assert _sample(text, "desk_sweep_last_success", schedule="discussions.auto_resolve") == 1
    assert _sample(text, "desk_metric_source_up", source="_outbox_metrics") == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("remote", "forwarded", "proxies", "allowed"),
    [
        ("127.0.0.1", None, 0, True),
        ("10.1.2.3", None, 0, True),
        ("192.168.5.6", None, 0, True),
        ("203.0.113.9", None, 0, False),
        # Through the load balancer: the client's address, not the balancer's, counts.
        ("10.0.0.2", "203.0.113.9", 1, False),
        # A client cannot make itself private by sending the header itself.
        ("10.0.0.2", "10.9.9.9, 203.0.113.9", 1, False),
        ("10.0.0.2", "10.9.9.9", 1, True),
        # Straight from a public address: a forged header is ignored without trusted proxies.
        ("203.0.113.9", "127.0.0.1", 0, False),
    ],
)
def test_ops_05_metrics_answer_only_allowed_addresses(client, settings, remote, forwarded, proxies, allowed):
    if proxies:
        settings.AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")
        settings.AXES_IPWARE_PROXY_COUNT = proxies - 1
        settings.AXES_IPWARE_PROXY_ORDER = "left-most"
        settings.IPWARE_STRICT = False
    extra = {"REMOTE_ADDR": remote}
    if forwarded:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    response = client.get("/metrics", **extra)
    assert response.status_code == (200 if allowed else 404)


def test_ops_05_metrics_add_up_every_gunicorn_worker(tmp_path):
    """prometheus_client's multiprocess mode: two worker processes count requests into
    PROMETHEUS_MULTIPROC_DIR; /metrics answered by a third adds them up."""
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "config.settings"}
    worker = (
        "import django; django.setup()\n"
        "from django.test import RequestFactory\n"
        "from django.http import HttpResponse\n"
        "from django.urls import resolve\n"
        "from core import ops\n"
        "request = RequestFactory().get('/accounts/login/')\n"
        "request.resolver_match = resolve('/accounts/login/')\n"
        "for _ in range(N): ops._observe(request, HttpResponse(), 0.01)\n"
    )
    for count in (3, 4):
        subprocess.run(
            [sys.executable, "-c", worker.replace("N", str(count))], cwd=ROOT, env=env, check=True, timeout=120
        )
    scrape = (
        "import django; django.setup()\n"
        "from django.test import RequestFactory\n"
        "from core import ops\n"
        "print(ops.metrics(RequestFactory().get('/metrics')).content.decode())\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", scrape], cwd=ROOT, env=env, check=True, timeout=120, capture_output=True, text=True
    )
    assert _sample(result.stdout, "desk_http_requests_total", view="login", method="GET", status="200") == 7
