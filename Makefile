# Everyday commands. `make run` and `make test` set everything up on a fresh machine.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8080
export HOST PORT

.PHONY: run test lint contract install install-test bench docs chromium clean spec-diff

$(BIN)/course-api: setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

install: $(BIN)/course-api

$(VENV)/.test-deps: $(BIN)/course-api
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install-test: $(VENV)/.test-deps

# The docs page first when Node.js is there; the API is served either way.
run: install
	@if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then \
		$(MAKE) --no-print-directory docs || echo "--- make docs failed: serving the API without its reference page ---"; \
	else \
		echo "--- node/npm not found: the reference page (make docs, /api/v2/docs/) is skipped ---"; \
	fi
	$(BIN)/course-api db upgrade
	@user_id=$$($(BIN)/python -c 'import json,sys; print(json.loads(sys.argv[1])["id"])' "$$($(BIN)/course-api users ensure demo)"); \
	echo "Demo user id $$user_id (staff). A token valid for 24 hours:"; \
	echo; $(BIN)/course-api token $$user_id --ttl 86400; echo; \
	echo "Swagger UI: http://$(HOST):$(PORT)/api/v2/ui/  (Authorize -> bearerAuth, paste the token)"; \
	echo "Reference:  http://$(HOST):$(PORT)/api/v2/docs/"
	$(BIN)/course-api serve

# The whole suite runs on SQLite, then on a PostgreSQL server the run starts itself when the
# server binaries exist. REQUIRE_POSTGRES=1 (CI sets it) turns their absence into a failure.
test: install-test
	$(BIN)/ruff check api models tests migrations bench tools
	$(BIN)/lint-imports --no-logo --no-cache
	rm -rf build/contract
	$(BIN)/python -m pytest --cov --cov-report= $(PYTEST_ARGS)
	@if $(BIN)/python -c 'import sys, tests.support.postgres as p; sys.exit(p.find_pg_bin() is None)'; then \
		echo "--- the same suite on PostgreSQL ---"; \
		TEST_DATABASE=postgresql $(BIN)/python -m pytest --cov --cov-append --cov-report= $(PYTEST_ARGS); \
	elif [ "$(REQUIRE_POSTGRES)" = "1" ]; then \
		echo "PostgreSQL server binaries (pg_ctl) not found, and REQUIRE_POSTGRES=1" >&2; exit 1; \
	else \
		echo "--- PostgreSQL server binaries not found: the PostgreSQL pass is skipped ---"; \
	fi
	$(BIN)/coverage report
	@echo "--- Schemathesis CLI runs against the live server ---"; cat build/contract/runs.log

# The same contract test against any deployment: make contract URL=https://host TOKEN=<access token>
contract: install-test
	@test -n "$(URL)" -a -n "$(TOKEN)" || { echo "usage: make contract URL=https://host TOKEN=<jwt>" >&2; exit 2; }
	CONTRACT_TOKEN="$(TOKEN)" $(BIN)/schemathesis run "$(URL)/api/v2/openapi.json" --checks all \
		--report junit,json --report-dir build/contract/$$(date +%Y%m%dT%H%M%S)

# $(call apt_install,PACKAGE,TARGET): install a Debian package as root when it is missing (the
# recipe line tests for it first); anyone else is told the command to run.
apt_install = { if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "$(1) is missing; installing it: apt-get install -y $(1)"; \
		apt-get install -y $(1) >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y $(1) >/dev/null; } \
			|| { echo "could not install $(1); install it with: apt-get install $(1)" >&2; exit 1; }; \
	else \
		echo "$(1) is missing; install it with: apt-get install $(1) (as root), then run make $(2) again" >&2; exit 1; \
	fi; }

$(VENV)/.bench-deps: $(BIN)/course-api
	$(BIN)/pip install --quiet -e '.[bench]'
	touch $@

# Our server against a plain Flask baseline under the same wrk load on 127.0.0.1 (bench/run.py, bench/README.md);
# about 9 minutes. BENCH_ROUNDS, BENCH_DURATION, BENCH_CONNECTIONS tune it; BENCH_ARGS passes more options;
# DATABASE=postgresql runs both servers on a throwaway PostgreSQL server instead of SQLite files.
bench: $(VENV)/.bench-deps
	@command -v wrk >/dev/null 2>&1 || $(call apt_install,wrk,bench)
	$(BIN)/python -m bench.run $(if $(DATABASE),--database $(DATABASE)) $(BENCH_ARGS)

REDOCLY := tools/redocly/node_modules/.bin/redocly
DOCS_PAGE_FILE := build/docs/index.html
# Redocly CLI sends usage data and looks for updates unless told not to.
REDOCLY_ENV := REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true NO_COLOR=1

# The pinned CLI, installed from its lock file; npm ci writes node_modules/.package-lock.json last, as tests/support/npm.py expects.
tools/redocly/node_modules/.package-lock.json: tools/redocly/package-lock.json
	@command -v npm >/dev/null 2>&1 || { echo "make docs needs Node.js (>= 20.19) and npm on PATH" >&2; exit 1; }
	cd tools/redocly && npm ci --no-audit --no-fund --ignore-scripts
	touch $@

# The API reference as one self-contained page: Redoc's scripts and the spec are inlined (--inlineBundle),
# so it loads nothing from a CDN. Served at /api/v2/docs/ (api/serving/docs.py).
$(DOCS_PAGE_FILE): $(shell find openapi -name "*.yaml") redocly.yaml tools/redocly/node_modules/.package-lock.json
	@mkdir -p $(dir $@)
	$(REDOCLY_ENV) $(REDOCLY) build-docs openapi/v2.yaml --config redocly.yaml --inlineBundle -o $@ \
		>$(dir $@)build.log 2>&1 || { cat $(dir $@)build.log >&2; rm -f $@; exit 1; }

docs: $(DOCS_PAGE_FILE)
	@echo "API reference: $< ($$(du -k $< | cut -f1) KiB), make run serves it at http://$(HOST):$(PORT)/api/v2/docs/"

# Debian's Chromium, for the browser tests of the docs page and the official course screens (tests/test_docs.py, tests/test_ui.py); nothing is downloaded by Playwright.
chromium:
	@test -x /usr/bin/chromium || $(call apt_install,chromium,chromium)
	@/usr/bin/chromium --version

SPEC_DIFF := tools/spec-diff
# npm ci writes node_modules/.package-lock.json: older than the lock file means a stale install.
$(SPEC_DIFF)/node_modules/.package-lock.json: $(SPEC_DIFF)/package-lock.json
	cd $(SPEC_DIFF) && npm ci --no-audit --no-fund --ignore-scripts
	touch $@

# Breaking changes of openapi/v2.yaml against BASE (a git ref), by default the newest release written
# in openapi/CHANGELOG.md (tools/spec-diff/README.md).
spec-diff: install $(SPEC_DIFF)/node_modules/.package-lock.json
	$(BIN)/python $(SPEC_DIFF)/gate.py $(if $(BASE),--base '$(BASE)')

lint: install-test
	$(BIN)/ruff check api models tests migrations bench tools
	$(BIN)/lint-imports --no-logo --no-cache

clean:
	rm -rf $(VENV) build .coverage
