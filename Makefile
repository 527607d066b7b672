# Everyday commands. `make run` and `make test` are all a new machine needs.
VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: run test test-fast test-postgres test-s3 lint format typecheck migrate seed bench clean messages

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

## Run the portal on the embedded default (SQLite + local files), migrated and seeded.
run: $(STAMP)
	$(BIN)/portal db upgrade
	$(BIN)/portal demo seed
	$(BIN)/portal serve --host $${HOST:-127.0.0.1} --port $${PORT:-8000}

## The whole suite: lint, types, unit/API tests and browser tests (Chromium).
test: $(STAMP) lint typecheck
	bash scripts/ensure-chromium.sh
	bash scripts/ensure-xmlsec1.sh
	bash scripts/ensure-compose.sh
	$(BIN)/pytest $(PYTEST_ARGS)

## The suite without browser tests (quick feedback).
test-fast: $(STAMP)
	bash scripts/ensure-xmlsec1.sh
	$(BIN)/pytest -m "not e2e" $(PYTEST_ARGS)

## The suite against a fresh PostgreSQL database on 127.0.0.1:5432.
test-postgres: $(STAMP)
	bash scripts/ensure-xmlsec1.sh
	bash scripts/test-postgres.sh $(PYTEST_ARGS)

## The upload and download tests again with files in a bucket on an S3-protocol server on loopback.
test-s3: $(STAMP)
	PORTAL_TEST_STORAGE=s3 $(BIN)/pytest -p no:randomly $(PYTEST_ARGS) \
	  tests/dossiers/test_uploads.py tests/dossiers/test_duplicate_upload.py \
	  tests/dossiers/test_upload_names.py tests/docstore tests/catalog/test_blank_forms.py \
	  tests/receipts/test_render_after_commit.py tests/documents/test_download_names.py \
	  tests/workflow/test_results.py

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

typecheck: $(STAMP)
	$(BIN)/mypy

migrate: $(STAMP)
	$(BIN)/portal db upgrade

seed: $(STAMP)
	$(BIN)/portal demo seed

messages: $(STAMP)
	$(PY) tools/i18n.py extract

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
