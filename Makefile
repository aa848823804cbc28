# The two commands: `make run` and `make test`. Everything they need is installed here.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed-dev
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install lint format messages compilemessages migrate seed schedules clean cluster-up cluster-down cluster-status

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(STAMP): requirements.txt requirements-dev.txt | $(PY)
	$(PIP) install --quiet -r requirements-dev.txt
	touch $@

install: $(STAMP)

compilemessages: install
	@command -v msgfmt >/dev/null || { echo "msgfmt not found: install Debian's gettext package (apt-get install gettext)"; exit 1; }
	$(PY) manage.py compilemessages --ignore='.venv/*' -v 0

migrate: install
	$(PY) manage.py migrate --noinput -v 0

seed: migrate
	$(PY) manage.py seed_demo

schedules: migrate
	$(PY) manage.py setup_schedules

run: compilemessages seed schedules
	@HOST=$(HOST) PORT=$(PORT) PY=$(PY) scripts/run.sh

test: compilemessages
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run -v 1
	@PY=$(PY) scripts/test.sh

# OPS-03: the local cluster (HAProxy, two web and two task nodes, PgBouncer, PostgreSQL, Redis,
# S3, SMTP; a network namespace per node as root). bench/cluster_faults.py is its fault test.
cluster-up: compilemessages
	@PY=$(PY) scripts/cluster.sh up

cluster-down:
	@scripts/cluster.sh down

cluster-status:
	@scripts/cluster.sh status

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Refresh the catalogues after changing user-facing strings (needs gettext's xgettext).
messages: install
	$(PY) manage.py makemessages -l pl -l en -l cs -l sk -l hu --ignore='.venv/*' --ignore='staticfiles/*' --no-obsolete

clean:
	rm -rf $(VENV) staticfiles db.sqlite3* private_media
