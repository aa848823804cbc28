#!/usr/bin/env bash
# Starts the web server and the django-q2 cluster together; Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}

pids=()
stop() {
  trap - INT TERM EXIT
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop INT TERM EXIT

"$PY" manage.py qcluster &
pids+=($!)
"$PY" manage.py runserver --noreload "$HOST:$PORT" &
pids+=($!)

cat <<TXT

  The dispute desk runs at http://$HOST:$PORT/
  Mediators' desk (Django admin): http://$HOST:$PORT/admin/
  Other markets: http://cz.localhost:$PORT/  http://sk.localhost:$PORT/  http://hu.localhost:$PORT/
    (or the market bar at the top of every page)
  Seller API: http://$HOST:$PORT/api/docs  (guide: /seller/api/guide/; demo application
    client ID demo-integracja-elektro-marek, secret demo-integracja-sekret-2026)

  Demo sign-ins, password for all: demo-2026
    kupujacy, kupujacy2                buyers (allegro.pl)
    kupujici_cz, kupujuci_sk, vevo_hu  buyers reading Czech, Slovak, Hungarian
    sprzedawca                         seller (linked with sprzedawca_cz and predajca_sk)
    elado_hu                           seller on allegro.hu
    sklep_ogrod                        another seller
    mediator                           mediator (staff)
    admin                              superuser

  Ctrl-C stops the web server and the task cluster.

TXT
wait -n "${pids[@]}"
