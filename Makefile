# Alotrop Returns. `make run` for the demo, `make test` for the suite.
PYTHON ?= python3
VENV ?= .venv
PYENV_ROOT ?= $(HOME)/.pyenv
# The interpreter that makes the venv: the first that runs of PYTHON as the PATH finds it and the pyenv versions
# that have it, newest first. A pyenv shim answers "command not found" unless its version is selected, and
# is often not on the PATH of make's shell at all: `make run PYTHON=python3.13` works either way.
BASE_PYTHON = $(shell for c in $$(command -v $(PYTHON)) $$(ls -1d $(PYENV_ROOT)/versions/*/bin/$(PYTHON) 2>/dev/null \
  | sort -rV); do "$$c" -c "" 2>/dev/null && echo "$$c" && break; done)
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

UV_VERSION := 0.13.9

.PHONY: run test install lock migrate seed lint typecheck format check-deploy clean bench lighthouse

## The locked set, every file checked against its hash; then the project itself, which adds nothing to it
$(STAMP): pyproject.toml requirements-test.lock
	@test -x $(PY) || test -n "$(BASE_PYTHON)" || { echo "No $(PYTHON) on the PATH or in $(PYENV_ROOT)/versions."\
	  "Install Python 3.11 or newer (e.g. pyenv install 3.13), or name it: make run PYTHON=/path/to/python3"; exit 1; }
	@test -x $(PY) || $(BASE_PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || {\
	  echo "$(BASE_PYTHON) is older than Python 3.11; name a newer one: make run PYTHON=python3.13"; exit 1; }
	test -x $(PY) || $(BASE_PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --require-hashes -r requirements-test.lock
	$(PY) -m pip install --quiet --no-deps .  # the project itself: the code runs from this folder
	touch $(STAMP)

install: $(STAMP)

## Write requirements.lock (runtime) and requirements-test.lock (runtime + tests) from pyproject.toml with
## uv, with every file's hash, for Python 3.11 and later; the test lock keeps the runtime lock's versions
lock:
	test -x $(PY) || $(BASE_PYTHON) -m venv $(VENV)
	$(VENV)/bin/uv --version 2>/dev/null | grep -q "uv $(UV_VERSION)" || $(PY) -m pip install --quiet "uv==$(UV_VERSION)"
	$(VENV)/bin/uv pip compile pyproject.toml --universal --python-version 3.11 --generate-hashes --quiet \
		--custom-compile-command "make lock" -o requirements.lock
	$(VENV)/bin/uv pip compile pyproject.toml --extra test -c requirements.lock --universal --python-version 3.11 \
		--generate-hashes --quiet --custom-compile-command "make lock" -o requirements-test.lock

migrate: install
	$(PY) manage.py migrate --noinput

seed: migrate
	$(PY) manage.py seed_demo

## Set up and serve the demo on SQLite at http://$(HOST):$(PORT); emailed links use that address
## unless PORTAL_BASE_URL is set
run: seed
	@echo "Serving the demo at http://$(HOST):$(PORT)/ (staff: http://$(HOST):$(PORT)/admin/) with Django's"\
	  "development server, for trying the portal only (README: Deployment). Ctrl-C stops."
	DJANGO_RUNSERVER_HIDE_WARNING=true PORTAL_BASE_URL="$${PORTAL_BASE_URL:-http://$(HOST):$(PORT)}" \
	  $(PY) manage.py runserver $(HOST):$(PORT)

## The whole suite (SQLite unless DATABASE_URL says otherwise)
test: install
	$(PY) -m pytest $(PYTEST_ARGS)

## Page speed against bare Django: throwaway database, gunicorn, wrk (BENCH_* settings: see bench/run.py)
bench: install
	$(PY) bench/run.py

## Lighthouse (mobile) on every customer page with the production command, Debian's chromium (CHROME_PATH)
## and Lighthouse from npm (LIGHTHOUSE=path, else npx); fails when a page misses issue 16's bar
lighthouse: install
	$(PY) -m bench.lighthouse

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

## mypy with django-stubs ([tool.mypy] in pyproject.toml: strict on returns/domain and returns/services)
typecheck: install
	$(VENV)/bin/mypy

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

check-deploy: install
	DJANGO_SETTINGS_MODULE=config.settings.production DJANGO_SECRET_KEY=$$(openssl rand -hex 32) \
	ALLOWED_HOSTS=returns.example.com $(PY) manage.py check --deploy --fail-level WARNING

clean:
	rm -rf $(VENV) db.sqlite3 .test-db.sqlite3* .test-media staticfiles
