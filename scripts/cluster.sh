#!/usr/bin/env bash
# OPS-03: a local cluster of the dispute desk on this one machine, every node a host of its own.
#
#   scripts/cluster.sh up        start every node that is not running (idempotent)
#   scripts/cluster.sh down      stop every node, remove the namespaces and the bridge (idempotent)
#   scripts/cluster.sh status    each node, its address, its process and its health
#   scripts/cluster.sh kill|stop|start|restart NODE    one node (the fault test uses these)
#   scripts/cluster.sh env       the environment of the web and task nodes (for scripts)
#
# Topology: clients → lb (HAProxy, TLS) → web1, web2 (gunicorn) → pgbouncer (transaction
# pooling) → postgres (its own instance, initdb'd here); task1, task2 (qcluster) with the
# Redis broker; redis (cache, sessions, rate limits, broker); s3 (moto's S3 server: private
# files); smtp (an aiosmtpd sink that stores every mail it accepts). HAProxy checks each web
# node's /health/ (database, cache, broker, storage).
#
# Each node runs in its own network namespace (ip netns, a veth pair to the bridge alg0,
# 10.77.0.0/24; the host is 10.77.0.1). Without root or namespaces each node gets its own
# loopback address (127.0.77.x) instead (or with CLUSTER_MODE=loopback); `up` and `status` say
# which mode is used. The load balancer listens on 443 as root, else 8443.
#
# State (data, logs, pids, configuration, generated secrets) lives in CLUSTER_DIR
# (default /tmp/allegro-cluster); `down --purge` removes it. The machine's own PostgreSQL
# and Redis are never touched. Debian packages it needs are installed when missing (root).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
PY=${PY:-$ROOT/.venv/bin/python}
PY=$(cd "$(dirname "$PY")" && pwd)/$(basename "$PY") # absolute: nodes run with their own PATH
VENV_BIN=$(dirname "$PY")
STATE=${CLUSTER_DIR:-/tmp/allegro-cluster}
WEB_WORKERS=${CLUSTER_WEB_WORKERS:-3}
Q_WORKERS=${CLUSTER_Q_WORKERS:-2}
NODES=(postgres pgbouncer redis s3 smtp web1 web2 task1 task2 lb)
declare -A SUFFIX=([lb]=10 [web1]=11 [web2]=12 [task1]=21 [task2]=22 [pgbouncer]=30 [postgres]=31 [redis]=40 [s3]=50 [smtp]=60)
BRIDGE=alg0
NET=10.77.0
BUCKET=allegro-cluster
# What HAProxy and `status` ask each web node (OPS-05).
HEALTH=${CLUSTER_HEALTH_PATH:-/health/}
DB_NAME=allegro
DB_USER=allegro

log() { printf '%s\n' "$*" >&2; }
die() { log "cluster: $*"; exit 1; }

# --- Mode and addresses ------------------------------------------------------------

mode() {
  if [ -f "$STATE/mode" ]; then cat "$STATE/mode"; return; fi
  local m=loopback
  if [ "${CLUSTER_MODE:-}" = loopback ]; then
    :
  elif [ "$(id -u)" = 0 ] && command -v ip >/dev/null && ip netns add alg-probe 2>/dev/null; then
    ip netns del alg-probe
    m=netns
  fi
  mkdir -p "$STATE"
  echo "$m" >"$STATE/mode"
  echo "$m"
}

addr() {
  if [ "$(mode)" = netns ]; then echo "$NET.${SUFFIX[$1]}"; else echo "127.0.77.${SUFFIX[$1]}"; fi
  return 0
}

# HTTPS port of the load balancer: 443 as root, 8443 otherwise (no privileged port).
lb_port() { if [ "$(id -u)" = 0 ]; then echo 443; else echo 8443; fi; }
lb_url() { if [ "$(lb_port)" = 443 ]; then echo "https://$(addr lb)"; else echo "https://$(addr lb):$(lb_port)"; fi; }

host_addr() { if [ "$(mode)" = netns ]; then echo "$NET.1"; else echo 127.0.0.1; fi; }

# Runs a command inside NODE's namespace (as is, in loopback mode).
in_node() {
  local node=$1
  shift
  if [ "$(mode)" = netns ]; then ip netns exec "alg-$node" "$@"; else "$@"; fi
}

# --- Packages -----------------------------------------------------------------------

ensure_packages() {
  local need=()
  command -v haproxy >/dev/null || [ -x /usr/sbin/haproxy ] || need+=(haproxy)
  command -v pgbouncer >/dev/null || [ -x /usr/sbin/pgbouncer ] || need+=(pgbouncer)
  command -v ip >/dev/null || need+=(iproute2)
  command -v redis-server >/dev/null || need+=(redis-server)
  command -v openssl >/dev/null || need+=(openssl)
  command -v curl >/dev/null || need+=(curl)
  compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || need+=(postgresql)
  if [ ${#need[@]} -gt 0 ]; then
    [ "$(id -u)" = 0 ] || die "missing Debian packages: ${need[*]} (run as root to install them)"
    log "Installing Debian packages: ${need[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  fi
  # Debian starts the packaged services on install; this cluster runs its own.
}

pg_bin() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  [ -n "$dir" ] || die "no PostgreSQL binaries under /usr/lib/postgresql"
  echo "$dir"
}

# --- Network ------------------------------------------------------------------------

net_up() {
  [ "$(mode)" = netns ] || return 0
  if ! ip link show "$BRIDGE" >/dev/null 2>&1; then
    ip link add "$BRIDGE" type bridge
    ip addr add "$NET.1/24" dev "$BRIDGE"
  fi
  ip link set "$BRIDGE" up
  # Bridged frames must not go through iptables' FORWARD chain (a DROP policy would cut nodes off).
  if [ -w /proc/sys/net/bridge/bridge-nf-call-iptables ]; then echo 0 >/proc/sys/net/bridge/bridge-nf-call-iptables; fi
  for node in "${NODES[@]}"; do
    local ns=alg-$node veth=algv-$node
    ip netns list | grep -qx "$ns\( (id: [0-9]*)\)\?" || ip netns add "$ns"
    if ! ip link show "$veth" >/dev/null 2>&1; then
      ip link add "$veth" type veth peer name eth0 netns "$ns"
      ip link set "$veth" master "$BRIDGE" up
      ip -n "$ns" addr add "$(addr "$node")/24" dev eth0
      ip -n "$ns" link set eth0 up
      ip -n "$ns" link set lo up
    fi
  done
}

net_down() {
  for node in "${NODES[@]}"; do
    ip link del "algv-$node" 2>/dev/null || true
    ip netns del "alg-$node" 2>/dev/null || true
  done
  ip link del "$BRIDGE" 2>/dev/null || true
}

# --- Processes ----------------------------------------------------------------------

pidfile() { echo "$STATE/run/$1.pid"; }

node_pid() {
  local f
  f=$(pidfile "$1")
  [ -f "$f" ] || return 1
  local pid
  pid=$(cat "$f")
  kill -0 "$pid" 2>/dev/null || return 1
  echo "$pid"
}

# Starts a command as NODE's process, in its own session (so the whole node can be killed
# as one process group), in NODE's namespace, logging to logs/NODE.log.
spawn() {
  local node=$1
  shift
  mkdir -p "$STATE/run" "$STATE/logs"
  if [ "$(mode)" = netns ]; then
    setsid ip netns exec "alg-$node" "$@" >>"$STATE/logs/$node.log" 2>&1 </dev/null &
  else
    setsid "$@" >>"$STATE/logs/$node.log" 2>&1 </dev/null &
  fi
  echo $! >"$(pidfile "$node")"
}

as_postgres() {
  if [ "$(id -u)" = 0 ]; then
    setpriv --reuid=postgres --regid=postgres --init-groups "$@"
  else
    "$@"
  fi
}

# Waits until `check NODE` succeeds (up to $2 seconds).
wait_for() {
  local node=$1 seconds=${2:-30} i
  for ((i = 0; i < seconds * 5; i++)); do
    if check "$node" >/dev/null 2>&1; then return 0; fi
    if ! node_pid "$node" >/dev/null; then
      log "cluster: $node exited; last lines of $STATE/logs/$node.log:"
      tail -n 20 "$STATE/logs/$node.log" >&2 || true
      return 1
    fi
    sleep 0.2
  done
  log "cluster: $node not healthy after ${seconds}s; last lines of $STATE/logs/$node.log:"
  tail -n 20 "$STATE/logs/$node.log" >&2 || true
  return 1
}

# Signals the node's whole process group; waits for it to end (SIGKILL after 20 s).
stop_node() {
  local node=$1 sig=${2:-TERM} grace=${3:-20} pid i
  pid=$(node_pid "$node") || { rm -f "$(pidfile "$node")"; return 0; }
  if [ "$node" = postgres ] && [ "$sig" = TERM ]; then
    kill -INT "$pid" 2>/dev/null || true # fast shutdown: the postmaster ends its backends
  else
    kill -"$sig" -- "-$pid" 2>/dev/null || kill -"$sig" "$pid" 2>/dev/null || true
  fi
  for ((i = 0; i < grace * 5; i++)); do
    kill -0 -- "-$pid" 2>/dev/null || break
    sleep 0.2
  done
  kill -KILL -- "-$pid" 2>/dev/null || true
  rm -f "$(pidfile "$node")"
}

# --- Configuration --------------------------------------------------------------------

secret() {
  local f=$STATE/secrets/$1
  if [ ! -s "$f" ]; then
    mkdir -p "$STATE/secrets"
    chmod 700 "$STATE/secrets"
    openssl rand -hex "${2:-24}" >"$f"
  fi
  cat "$f"
}

write_env() {
  local pw key
  pw=$(secret db_password)
  key=$(secret secret_key 40)
  local lb
  lb=$(addr lb)
  # NOTIFICATION_SENDING_TIMEOUT_MINUTES: a mail left "being sent" by a task node killed mid-send
  # (the fault test does that) is taken up again after 1 minute instead of 15, so a short test
  # sees it sent; safe here, where a live try takes at most a few EMAIL_TIMEOUTs of 5 s.
  cat >"$STATE/cluster.env" <<ENV
DEBUG=False
SECRET_KEY=$key
ALLOWED_HOSTS=$lb,$(addr web1),$(addr web2),localhost
CSRF_TRUSTED_ORIGINS=$(lb_url)
SITE_URL=$(lb_url)
SECURE_SSL_REDIRECT=True
TRUSTED_PROXY_COUNT=1
DATABASE_URL=postgres://$DB_USER:$pw@$(addr pgbouncer):6432/$DB_NAME
PGBOUNCER_TRANSACTION_POOLING=True
REDIS_URL=redis://$(addr redis):6379/0
AWS_STORAGE_BUCKET_NAME=$BUCKET
AWS_S3_ENDPOINT_URL=http://$(addr s3):9000
AWS_ACCESS_KEY_ID=cluster
AWS_SECRET_ACCESS_KEY=$(secret s3_secret)
AWS_S3_REGION_NAME=eu-central-1
EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend
EMAIL_HOST=$(addr smtp)
EMAIL_PORT=2525
EMAIL_TIMEOUT=5
NOTIFICATION_SENDING_TIMEOUT_MINUTES=1
Q_WORKERS=$Q_WORKERS
LOG_LEVEL=WARNING
ENV
  # Not for the nodes: how operators and the fault test reach PostgreSQL itself.
  cat >"$STATE/admin.env" <<ENV
DIRECT_DATABASE_URL=postgres://$DB_USER:$pw@$(addr postgres):5432/$DB_NAME
LB_URL=$(lb_url)
LB_CA=$STATE/lb/cert.pem
MODE=$(mode)
WEB1=$(addr web1)
WEB2=$(addr web2)
SMTP_DB=$STATE/smtp/messages.sqlite3
HAPROXY_SOCKET=$STATE/lb/admin.sock
ENV
}

# Environment of a Django process on NODE: the cluster's plus its own MEDIA_ROOT (files on a
# node's disk would be visible to that node only: with S3 configured nothing is written there).
django_env() {
  local node=$1
  mkdir -p "$STATE/$node/media"
  # Values have no spaces (write_env): word splitting of the file is safe.
  echo env -i PATH="$VENV_BIN:/usr/sbin:/usr/bin:/sbin:/bin" HOME="$STATE/$node" LANG=C.UTF-8 \
    MEDIA_ROOT="$STATE/$node/media" NODE_NAME="$node" $(grep -v '^#' "$STATE/cluster.env")
}

run_django() {
  # manage.py in the host namespace, against PostgreSQL directly (migrations need a session).
  local direct
  direct=$(grep ^DIRECT_DATABASE_URL= "$STATE/admin.env" | cut -d= -f2-)
  (set -a; . "$STATE/cluster.env"; set +a
    DATABASE_URL=$direct MEDIA_ROOT="$STATE/admin/media" "$PY" "$ROOT/manage.py" "$@")
}

# --- Nodes ------------------------------------------------------------------------------

prepare_postgres() {
  local bin data=$STATE/postgres/data
  bin=$(pg_bin)
  mkdir -p "$STATE/postgres/run"
  if [ ! -f "$data/PG_VERSION" ]; then
    mkdir -p "$data"
    local pwfile=$STATE/postgres/pwfile
    secret db_password >"$pwfile"
    [ "$(id -u)" = 0 ] && chown -R postgres:postgres "$STATE/postgres"
    chmod 700 "$data"
    as_postgres "$bin/initdb" -D "$data" -U "$DB_USER" --pwfile="$pwfile" --auth=scram-sha-256 \
      --encoding=UTF8 --locale=C.UTF-8 >"$STATE/logs/initdb.log" 2>&1 || die "initdb failed: $STATE/logs/initdb.log"
    rm -f "$pwfile"
    cat >>"$data/postgresql.conf" <<CONF
# allegro cluster
timezone = 'UTC'
max_connections = 200
shared_buffers = 128MB
fsync = on
log_min_messages = warning
CONF
  fi
  # Written at every start: the addresses depend on the mode.
  cat >"$data/pg_hba.conf" <<HBA
local all all scram-sha-256
host all all $(host_addr)/32 scram-sha-256
host all all $(addr pgbouncer)/32 scram-sha-256
host all all 127.0.0.1/32 scram-sha-256
HBA
  [ "$(id -u)" = 0 ] && chown -R postgres:postgres "$STATE/postgres"
  return 0
}

start_postgres() {
  prepare_postgres
  rm -f "$STATE/postgres/data/postmaster.pid"
  spawn postgres $(as_postgres_cmd) "$(pg_bin)/postgres" -D "$STATE/postgres/data" \
    -c listen_addresses="$(addr postgres)" -c port=5432 -c unix_socket_directories="$STATE/postgres/run"
}

as_postgres_cmd() { [ "$(id -u)" = 0 ] && echo setpriv --reuid=postgres --regid=postgres --init-groups; return 0; }

create_database() {
  local pw
  pw=$(secret db_password)
  PGPASSWORD=$pw "$(pg_bin)/psql" -h "$(addr postgres)" -U "$DB_USER" -d postgres -qtAc \
    "SELECT 1 FROM pg_database WHERE datname = '$DB_NAME'" | grep -q 1 ||
    PGPASSWORD=$pw "$(pg_bin)/createdb" -h "$(addr postgres)" -U "$DB_USER" "$DB_NAME"
}

start_pgbouncer() {
  local dir=$STATE/pgbouncer pw
  pw=$(secret db_password)
  mkdir -p "$dir"
  printf '"%s" "%s"\n' "$DB_USER" "$pw" >"$dir/userlist.txt"
  cat >"$dir/pgbouncer.ini" <<INI
[databases]
$DB_NAME = host=$(addr postgres) port=5432 dbname=$DB_NAME

[pgbouncer]
listen_addr = $(addr pgbouncer)
listen_port = 6432
unix_socket_dir =
auth_type = scram-sha-256
auth_file = $dir/userlist.txt
pool_mode = transaction
max_client_conn = 1000
default_pool_size = 40
reserve_pool_size = 5
server_reset_query =
server_check_delay = 5
# After PostgreSQL was unreachable, try to log in again after 1 s (the default 15 s kept every
# request failing for 15 s after a restart of PostgreSQL in the fault test).
server_login_retry = 1
ignore_startup_parameters = extra_float_digits,options
logfile =
log_connections = 0
log_disconnections = 0
INI
  chmod 600 "$dir/userlist.txt"
  [ "$(id -u)" = 0 ] && chown -R postgres:postgres "$dir"
  spawn pgbouncer $(as_postgres_cmd) pgbouncer "$dir/pgbouncer.ini"
}

start_redis() {
  mkdir -p "$STATE/redis"
  # No persistence: the fault test's restart of Redis is the worst case, an empty Redis.
  spawn redis redis-server --bind "$(addr redis)" --port 6379 --protected-mode no --save "" \
    --appendonly no --dir "$STATE/redis"
}

start_s3() {
  spawn s3 env TEST_SERVER_MODE=true "$PY" -m moto.server -H "$(addr s3)" -p 9000
}

create_bucket() {
  (set -a; . "$STATE/cluster.env"; set +a
    "$PY" - <<'PY'
import os

import boto3

s3 = boto3.client(
    "s3",
    endpoint_url=os.environ["AWS_S3_ENDPOINT_URL"],
    region_name=os.environ["AWS_S3_REGION_NAME"],
    aws_access_key_id=os.environ["AWS_ACCESS_KEY_ID"],
    aws_secret_access_key=os.environ["AWS_SECRET_ACCESS_KEY"],
)
bucket = os.environ["AWS_STORAGE_BUCKET_NAME"]
if bucket not in [b["Name"] for b in s3.list_buckets().get("Buckets", [])]:
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": os.environ["AWS_S3_REGION_NAME"]})
    s3.put_public_access_block(
        Bucket=bucket,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )
PY
  )
}

start_smtp() {
  mkdir -p "$STATE/smtp"
  spawn smtp "$PY" "$ROOT/scripts/smtp_sink.py" --host "$(addr smtp)" --port 2525 --db "$STATE/smtp/messages.sqlite3"
}

start_web() {
  local node=$1
  # shellcheck disable=SC2046
  # config/gunicorn.py: per-worker Prometheus files in the node's PROMETHEUS_MULTIPROC_DIR (OPS-05).
  spawn "$node" $(django_env "$node") PROMETHEUS_MULTIPROC_DIR="$STATE/$node/prometheus" \
    "$VENV_BIN/gunicorn" -c "$ROOT/config/gunicorn.py" config.wsgi:application --chdir "$ROOT" \
    --bind "$(addr "$node"):8000" --workers "$WEB_WORKERS" --preload --timeout 30 --graceful-timeout 10 \
    --access-logfile - --access-logformat '%(h)s "%(r)s" %(s)s %(M)sms'
}

start_task() {
  local node=$1
  # shellcheck disable=SC2046
  spawn "$node" $(django_env "$node") "$PY" "$ROOT/manage.py" qcluster
}

start_lb() {
  local dir=$STATE/lb lb
  lb=$(addr lb)
  mkdir -p "$dir"
  if ! openssl x509 -in "$dir/cert.pem" -noout -ext subjectAltName 2>/dev/null | grep -q "IP Address:$lb\$"; then
    openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=$lb" -addext "subjectAltName=IP:$lb" \
      -keyout "$dir/key.pem" -out "$dir/cert.pem" >/dev/null 2>&1
    cat "$dir/cert.pem" "$dir/key.pem" >"$dir/haproxy.pem"
    chmod 600 "$dir/key.pem" "$dir/haproxy.pem"
  fi
  cat >"$dir/haproxy.cfg" <<CFG
global
    maxconn 2000
    stats socket $dir/admin.sock mode 600 level admin
    log stdout format raw local0 warning

defaults
    mode http
    log global
    option httplog
    option dontlognull
    timeout connect 2s
    timeout client 60s
    timeout server 60s
    timeout http-request 10s
    # Requests wait here for a free gunicorn worker (maxconn below), not in gunicorn's backlog.
    timeout queue 20s
    timeout check 3s
    # A request is tried on another node only when it could not connect (never sent twice).
    retries 2
    option redispatch 1

frontend https
    bind $lb:$(lb_port) ssl crt $dir/haproxy.pem
    http-request set-header X-Forwarded-Proto https
    option forwardfor
    default_backend web

backend web
    balance roundrobin
    option httpchk
    http-check send meth GET uri $HEALTH ver HTTP/1.1 hdr Host $lb hdr X-Forwarded-Proto https
    http-check expect status 200
    # As many requests at once as the node has sync workers; the rest queue in HAProxy.
    default-server inter 1s fastinter 500ms downinter 1s fall 3 rise 2 check maxconn $WEB_WORKERS
    http-response set-header X-Served-By %s
    server web1 $(addr web1):8000
    server web2 $(addr web2):8000

frontend stats
    bind $lb:8404
    stats enable
    stats uri /stats
    stats refresh 2s
CFG
  spawn lb haproxy -W -db -f "$dir/haproxy.cfg"
}

launch_node() {
  local node=$1
  if node_pid "$node" >/dev/null; then return 0; fi
  case $node in
    postgres) start_postgres ;;
    pgbouncer) start_pgbouncer ;;
    redis) start_redis ;;
    s3) start_s3 ;;
    smtp) start_smtp ;;
    web1 | web2) start_web "$node" ;;
    task1 | task2) start_task "$node" ;;
    lb) start_lb ;;
    *) die "unknown node $node (nodes: ${NODES[*]})" ;;
  esac
}

await_node() {
  wait_for "$1" 90
  [ "$1" != s3 ] || create_bucket
}

start_node() {
  launch_node "$1"
  await_node "$1"
}

# Starts the nodes at once (they boot in parallel), then waits for each.
start_nodes() {
  local node
  for node in "$@"; do launch_node "$node"; done
  for node in "$@"; do await_node "$node"; done
}

# --- Health ----------------------------------------------------------------------------

# Exit 0 when NODE answers as it should; prints a short description.
check() {
  local node=$1 a
  a=$(addr "$node")
  case $node in
    postgres) PGPASSWORD=$(secret db_password) "$(pg_bin)/pg_isready" -q -h "$a" -p 5432 -U "$DB_USER" && echo "accepting connections" ;;
    pgbouncer) PGPASSWORD=$(secret db_password) "$(pg_bin)/psql" -h "$a" -p 6432 -U "$DB_USER" -d "$DB_NAME" -qtAc "SELECT 'query through the pool ok'" ;;
    redis) redis-cli -h "$a" -p 6379 ping ;;
    s3) curl -sf -o /dev/null -m 3 "http://$a:9000/" && echo "S3 API answers" ;;
    smtp) "$PY" -c "import smtplib,sys; s=smtplib.SMTP('$a', 2525, timeout=3); print(s.noop()[0]); s.quit()" | grep -q 250 && echo "SMTP 250" ;;
    web1 | web2) curl -sf -m 5 -H "Host: $(addr lb)" -H "X-Forwarded-Proto: https" "http://$a:8000$HEALTH" ;;
    task1 | task2) node_pid "$node" >/dev/null && pgrep -g "$(node_pid "$node")" -f qcluster >/dev/null && echo "qcluster running" ;;
    lb) curl -sf -m 5 --cacert "$STATE/lb/cert.pem" "$(lb_url)$HEALTH" >/dev/null && echo "$(backend_states)" ;;
  esac
}

backend_states() {
  [ -S "$STATE/lb/admin.sock" ] || return 0
  "$PY" - "$STATE/lb/admin.sock" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b"show stat\n")
data = b""
while chunk := s.recv(65536):
    data += chunk
rows = [line.split(",") for line in data.decode().splitlines() if line.startswith("web,web")]
print("backends: " + ", ".join(f"{r[1]} {r[17]}" for r in rows))
PY
}

status() {
  local m node pid health
  m=$(mode)
  echo "Cluster state in $STATE; mode: $m ($([ "$m" = netns ] && echo "a network namespace per node, bridge $BRIDGE $NET.0/24" || echo "no namespaces: a loopback address per node"))"
  printf '%-10s %-14s %-8s %s\n' node address pid health
  local bad=0
  for node in "${NODES[@]}"; do
    pid=$(node_pid "$node" || echo -)
    if [ "$pid" = - ]; then
      health="DOWN (not running)"
      bad=1
    elif health=$(check "$node" 2>/dev/null | tr '\n' ' ' | cut -c1-110) && [ -n "$health" ]; then
      health="ok: $health"
    else
      health="UNHEALTHY"
      bad=1
    fi
    printf '%-10s %-14s %-8s %s\n' "$node" "$(addr "$node")" "$pid" "$health"
  done
  [ -f "$STATE/cluster.env" ] && echo "Site: $(lb_url)/ (certificate $STATE/lb/cert.pem); HAProxy stats http://$(addr lb):8404/stats"
  return $bad
}

# --- Commands ----------------------------------------------------------------------------

up() {
  ensure_packages
  mkdir -p "$STATE/logs" "$STATE/run"
  local m
  m=$(mode)
  log "Cluster mode: $m$([ "$m" = netns ] || echo " (network namespaces unavailable: separate loopback addresses)")"
  net_up
  write_env
  start_nodes postgres redis s3 smtp
  create_database
  # migrate's post_migrate handlers also reset versions kept in the cache (Redis).
  log "Migrating $DB_NAME (directly on PostgreSQL) and collecting static files"
  run_django collectstatic --noinput -v 0 &
  local collect=$!
  run_django migrate --noinput -v 0
  wait "$collect"
  start_nodes pgbouncer web1 web2 task1 task2
  start_node lb
  status
}

down() {
  local node
  # The load balancer first, then the rest at once, each given 5 s to stop before SIGKILL.
  stop_node lb TERM 5
  for node in "${NODES[@]}"; do
    stop_node "$node" TERM 5 &
  done
  wait
  if [ -f "$STATE/mode" ] && [ "$(mode)" = netns ]; then net_down; fi
  if [ "${1:-}" = --purge ]; then
    rm -rf "$STATE"
  else
    rm -f "$STATE/mode"
  fi
  log "Cluster stopped."
}

case ${1:-} in
  up) up ;;
  down) down "${2:-}" ;;
  status) status ;;
  start) start_node "${2:?node}" ;;
  stop) stop_node "${2:?node}" ;;
  kill) stop_node "${2:?node}" KILL ;;
  restart) stop_node "${2:?node}" && start_node "$2" ;;
  check) check "${2:?node}" ;;
  env) cat "$STATE/cluster.env" "$STATE/admin.env" ;;
  *)
    echo "usage: $0 up|down [--purge]|status|start|stop|kill|restart NODE|check NODE|env" >&2
    exit 2
    ;;
esac
