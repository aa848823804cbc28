#!/usr/bin/env bash
# Runs the whole suite on SQLite, then on PostgreSQL (mandatory when CI=true).
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
POSTGRES_URL=${POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}
WORKERS=${PYTEST_WORKERS:-2}
CHROMIUM=${CHROMIUM_PATH:-/usr/bin/chromium}
export CHROMIUM_PATH=$CHROMIUM

if [ -x "$CHROMIUM" ]; then
  echo "Browser tests: Chromium at $CHROMIUM."
else
  echo "Browser tests SKIPPED: no Chromium at $CHROMIUM (apt-get install chromium, or set CHROMIUM_PATH)."
  if [ "${CI:-}" = "true" ]; then echo "CI=true requires Chromium."; exit 1; fi
fi

echo "=== Test suite on SQLite"
env -u DATABASE_URL "$PY" -m pytest -n "$WORKERS" "$@" || exit $?

if "$PY" - "$POSTGRES_URL" <<'PY'
import sys
import psycopg
try:
    psycopg.connect(sys.argv[1].replace("postgres://", "postgresql://", 1), connect_timeout=3).close()
except Exception as exc:
    print(f"PostgreSQL not reachable: {exc}")
    sys.exit(1)
PY
then
  echo "=== Test suite on PostgreSQL ($POSTGRES_URL)"
  DATABASE_URL=$POSTGRES_URL "$PY" -m pytest -n "$WORKERS" "$@" || exit $?
elif [ "${CI:-}" = "true" ]; then
  echo "CI=true requires PostgreSQL at $POSTGRES_URL."
  exit 1
else
  echo "PostgreSQL tests SKIPPED: nothing answers at $POSTGRES_URL."
fi

# OPS-03/OPS-04, once: the local cluster's short fault test (about 4 minutes; its own PostgreSQL,
# Redis, PgBouncer and HAProxy; skipped without root/namespaces unless CI=true).
echo "=== OPS-03/OPS-04: local cluster fault test (bench/cluster_faults.py --short)"
"$PY" -m pytest -p no:xdist -m cluster -s -rs tests/test_ops_03_04_cluster.py || exit $?
