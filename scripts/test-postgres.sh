#!/usr/bin/env bash
# Run the suite (browser tests aside) on a fresh PostgreSQL database, dropped afterwards.
set -euo pipefail
PGHOST=${PGHOST:-127.0.0.1}
PGUSER=${PGUSER:-postgres}
DB="motcua_test_$(date +%s)_$$"
psql -q -h "$PGHOST" -U "$PGUSER" -d postgres -c "CREATE DATABASE $DB"
trap 'psql -q -h "$PGHOST" -U "$PGUSER" -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)"' EXIT
PORTAL_TEST_DATABASE_URL="postgresql://$PGUSER@$PGHOST:5432/$DB" .venv/bin/pytest -m "not e2e" "$@"
