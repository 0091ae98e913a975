# Two commands on a fresh machine: `make run` and `make test`. Everything else is a step of theirs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test test-fast setup setup-dev lock data lint check bench vendor messages clean

# Installs come from the lock files, which pin every package with its hashes as resolved from
# pyproject.toml's ranges (`make lock` refreshes them). The environment is rebuilt only when one
# of the three files changes (their hash names the stamp).
LOCK := requirements/base.txt
DEV_LOCK := requirements/dev.txt
STAMP := $(VENV)/.stamp-$(shell cat pyproject.toml $(LOCK) $(DEV_LOCK) | cksum | cut -d' ' -f1)
DEV_STAMP := $(STAMP)-dev
PIP_INSTALL := $(BIN)/python -m pip install --quiet --disable-pip-version-check

$(STAMP):
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP_INSTALL) --upgrade pip
	$(PIP_INSTALL) --require-hashes -r $(LOCK)
	$(PIP_INSTALL) --no-deps -e .
	@rm -f $(VENV)/.stamp-* && touch $@

$(DEV_STAMP): $(STAMP)
	$(PIP_INSTALL) --require-hashes -r $(DEV_LOCK)
	@touch $@

# Pin again from pyproject.toml after changing it: new packages are added, existing pins kept
# while they still fit (LOCK_ARGS=--upgrade takes the newest releases the ranges allow).
# The runtime lock is resolved within the development one, so the two always agree.
COMPILE := $(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras \
	--no-emit-index-url --no-emit-find-links --no-emit-trusted-host $(LOCK_ARGS)
lock: setup-dev
	$(COMPILE) --extra dev -o $(DEV_LOCK) pyproject.toml
	$(COMPILE) -c $(DEV_LOCK) -o $(LOCK) pyproject.toml

setup: $(STAMP)
setup-dev: $(DEV_STAMP)

# Database, geocoding lookup, seeds and a local admin: each step is a no-op when already done.
data: setup
	DEBUG=1 $(BIN)/python manage.py migrate --no-input -v 0
	DEBUG=1 $(BIN)/python manage.py build_geocoder
	DEBUG=1 $(BIN)/python manage.py loadseeds
	DEBUG=1 $(BIN)/python manage.py ensure_admin

run: data
	@echo "Serving on http://$(HOST):$(PORT)/ (admin at /admin/). Ctrl-C stops."
	DEBUG=1 $(BIN)/python manage.py runserver $(HOST):$(PORT)

# The same gate locally and in CI: Django's checks, migrations up to date, ruff, then pytest.
check: setup-dev
	DEBUG=1 $(BIN)/python manage.py check --fail-level WARNING
	DEBUG=1 $(BIN)/python manage.py makemigrations --check --dry-run -v 0
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# axe-core for the browser accessibility tests (tests/test_a11y_browser.py): from npm, exactly as
# package-lock.json pins it, into node_modules (not committed, never served).
AXE := node_modules/axe-core/axe.min.js
$(AXE): package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

test: check $(AXE)
	DEBUG=1 $(BIN)/python manage.py build_geocoder
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The same suite without the browser tests (no Chromium or axe-core needed): a quicker loop.
test-fast: check
	DEBUG=1 $(BIN)/python manage.py build_geocoder
	$(BIN)/python -m pytest -m "not browser" $(PYTEST_ARGS)

lint: setup-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# A synthetic directory served under gunicorn and measured under load (docs/benchmarks.md);
# PostgreSQL too when DATABASE_URL names one. Sizes: BENCH_GROUPS=1000,100000,1000000.
BENCH_GROUPS ?= 100000
bench: setup
	$(BIN)/python -m benchmarks --groups $(BENCH_GROUPS) $(BENCH_ARGS)

# Refresh vendored front-end files from the npm registry (versions in package.json).
vendor:
	npm install --no-audit --no-fund
	mkdir -p directory/static/vendor/leaflet
	cp -r node_modules/leaflet/dist/leaflet.js node_modules/leaflet/dist/leaflet.js.map \
		node_modules/leaflet/dist/leaflet.css node_modules/leaflet/dist/images \
		node_modules/leaflet/LICENSE directory/static/vendor/leaflet/

# Translations: collect every string into locale/<code>/LC_MESSAGES (Python and templates in
# django.po, JavaScript in djangojs.po), then compile the .mo files that are committed with them.
# Needs GNU gettext (apt-get install gettext). LOCALE=fr starts a new language.
LOCALE ?= es
MESSAGES_IGNORE := --ignore=.venv --ignore=node_modules --ignore=var --ignore=tests \
	--ignore=benchmarks --ignore=directory/static/vendor
messages: setup
	mkdir -p locale/$(LOCALE)/LC_MESSAGES
	DEBUG=1 $(BIN)/python manage.py makemessages -l $(LOCALE) --add-location=file --no-obsolete $(MESSAGES_IGNORE)
	DEBUG=1 $(BIN)/python manage.py makemessages -d djangojs -l $(LOCALE) --add-location=file --no-obsolete $(MESSAGES_IGNORE)
	DEBUG=1 $(BIN)/python manage.py compilemessages -l $(LOCALE) --ignore=.venv --ignore=node_modules

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
