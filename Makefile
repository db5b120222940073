# make demo: a running helpdesk with demo data. make test: the whole suite.
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
export PORT

.PHONY: install test demo lint bench topology

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

test: install
	$(PY) -m pytest

lint: install
	$(VENV)/bin/ruff check .

# The ASGI server (HTTP + websockets) and a django-q2 cluster, together until Ctrl-C.
demo: export DEBUG = 1
demo: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput --verbosity 0
	$(PY) manage.py seed_demo
	@echo "Serving on http://127.0.0.1:$(PORT)/ with a task cluster; Ctrl-C stops both."
	@trap 'kill 0' INT TERM; \
	$(PY) manage.py qcluster & \
	$(VENV)/bin/daphne -b 127.0.0.1 -p $(PORT) helpdesk.asgi:application & \
	wait

# Every benchmark at a size that fits 10 minutes (SCALE=full: a million tickets, 5,000 clients).
SCALE ?= default
bench: install
	$(PY) -m bench --scale $(SCALE)

# N daphne workers behind a round-robin proxy on $(PORT), M task clusters (docs/scale-out.md).
WORKERS ?= 2
CLUSTERS ?= 1
topology: install
	$(PY) bench/topology.py --workers $(WORKERS) --clusters $(CLUSTERS) --port $(PORT)
