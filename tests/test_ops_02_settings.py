"""OPS-01/02: the settings of a node among several — PgBouncer in transaction pooling mode,
Redis for everything shared, the object store — read from the environment."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

READ = """
import json
from config import settings as s
db = s.DATABASES["default"]
print(json.dumps({
    "engine": db["ENGINE"],
    "disable_cursors": db.get("DISABLE_SERVER_SIDE_CURSORS", False),
    "options": {
        k: v for k, v in db.get("OPTIONS", {}).items()
        if k in ("prepare_threshold", "connect_timeout", "server_side_binding")
    },
    "has_prepare_threshold": "prepare_threshold" in db.get("OPTIONS", {}),
    "conn_max_age": db.get("CONN_MAX_AGE"),
    "health_checks": db.get("CONN_HEALTH_CHECKS"),
    "cache": s.CACHES["default"]["BACKEND"],
    "cache_location": s.CACHES["default"].get("LOCATION"),
    "session_engine": s.SESSION_ENGINE,
    "broker": s.Q_CLUSTER.get("redis"),
    "orm_broker": s.Q_CLUSTER.get("orm"),
    "storage": s.STORAGES["default"]["BACKEND"],
    "static_storage": s.STORAGES["staticfiles"]["BACKEND"],
    "storage_options": {
        k: v for k, v in s.STORAGES["default"].get("OPTIONS", {}).items() if k != "client_config"
    },
}))
"""


def _settings(**variables):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PGBOUNCER", "REDIS_URL", "DATABASE_URL"))}
    env.update(variables)
    result = subprocess.run(
        [sys.executable, "-c", READ], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=True
    )
    return json.loads(result.stdout)


def test_ops_02_pgbouncer_transaction_pooling_turns_off_server_side_cursors_and_prepared_statements():
    read = _settings(DATABASE_URL="postgres://app@127.0.0.1:6432/disputes", PGBOUNCER_TRANSACTION_POOLING="True")
    assert read["disable_cursors"] is True
    assert read["has_prepare_threshold"] and read["options"]["prepare_threshold"] is None
    # The connection to PgBouncer is kept and checked before reuse; a dead server fails fast.
    assert read["conn_max_age"] == 60 and read["health_checks"] is True
    assert read["options"]["connect_timeout"] == 5


def test_ops_02_without_pgbouncer_postgresql_keeps_cursors_and_prepared_statements():
    read = _settings(DATABASE_URL="postgres://app@127.0.0.1:5432/disputes")
    assert read["disable_cursors"] is False
    # Issue 13: bound by the server and prepared after 5 runs, so PostgreSQL plans a hot
    # query once per connection (Django would leave psycopg's threshold at None: never).
    assert read["options"]["prepare_threshold"] == 5
    assert read["options"]["server_side_binding"] is True
    assert read["health_checks"] is True


def test_issue_13_prepared_statements_can_be_turned_off():
    read = _settings(DATABASE_URL="postgres://app@127.0.0.1:5432/disputes", PREPARED_STATEMENTS="false")
    assert not read["has_prepare_threshold"]
    assert "server_side_binding" not in read["options"]


def test_ops_02_with_redis_the_cache_sessions_rate_limits_and_broker_are_shared():
    read = _settings(REDIS_URL="redis://10.0.0.5:6379/0")
    # Django's Redis cache with one redis-py client per pool instead of one per call (issue 13).
    assert read["cache"] == "core.cache.RedisCache"
    assert read["cache_location"] == "redis://10.0.0.5:6379/0"
    assert read["broker"] == "redis://10.0.0.5:6379/0" and read["orm_broker"] is None
    # Sessions: the cache (Redis) in front, the database behind it (survives a Redis restart).
    assert read["session_engine"] == "django.contrib.sessions.backends.cached_db"


def test_ops_02_without_redis_one_machine_defaults():
    read = _settings()
    assert read["cache"] == "django.core.cache.backends.locmem.LocMemCache"
    assert read["orm_broker"] == "default"
    assert read["storage"] == "django.core.files.storage.FileSystemStorage"


def test_ops_01_a_bucket_puts_files_in_the_object_store_privately():
    read = _settings(
        AWS_STORAGE_BUCKET_NAME="disputes-files",
        AWS_S3_ENDPOINT_URL="http://10.0.0.9:9000",
        AWS_ACCESS_KEY_ID="key",
        AWS_SECRET_ACCESS_KEY="secret",
    )
    assert read["storage"] == "storages.backends.s3.S3Storage"
    options = read["storage_options"]
    assert options["bucket_name"] == "disputes-files"
    assert options["endpoint_url"] == "http://10.0.0.9:9000"
    assert options["region_name"] == "us-east-1"
    assert options["addressing_style"] == "path"
    assert options["default_acl"] is None  # no ACL: the bucket's private default
    assert options["querystring_auth"] is True  # any URL made is signed, never public
    assert options["file_overwrite"] is False


def test_ops_05_a_malformed_metrics_network_stops_the_start():
    env = {**os.environ, "METRICS_ALLOWED_IPS": "10.0.0.0/8,not-a-network"}
    result = subprocess.run([sys.executable, "-c", READ], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "METRICS_ALLOWED_IPS" in result.stderr


def test_issue_13_static_files_keep_their_urls_in_production_and_debug():
    assert (
        _settings(DEBUG="false", SECRET_KEY="x" * 50, ALLOWED_HOSTS="desk.example")["static_storage"]
        == "core.static_storage.ManifestStorage"
    )
    assert _settings(DEBUG="true")["static_storage"] == "core.static_storage.PlainStorage"
