# Everyday commands. `make run` and `make test` set everything up on a fresh machine.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8080
export HOST PORT

.PHONY: run test lint install install-test clean

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

run: install
	$(BIN)/course-api db upgrade
	@user_id=$$($(BIN)/python -c 'import json,sys; print(json.loads(sys.argv[1])["id"])' "$$($(BIN)/course-api users ensure demo)"); \
	echo "Demo user id $$user_id (staff). A token valid for 24 hours:"; \
	echo; $(BIN)/course-api token $$user_id --ttl 86400; echo; \
	echo "Swagger UI: http://$(HOST):$(PORT)/api/v2/ui/  (Authorize -> bearerAuth, paste the token)"
	$(BIN)/course-api serve

test: install-test
	$(BIN)/ruff check api models tests migrations
	$(BIN)/python -m pytest --cov --cov-report=term $(PYTEST_ARGS)

lint: install-test
	$(BIN)/ruff check api models tests migrations

clean:
	rm -rf $(VENV) build .coverage
