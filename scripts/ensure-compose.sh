#!/usr/bin/env bash
# tests/test_deploy.py validates docker-compose.yml with `docker compose config` (the Docker
# CLI's plugin) or, where the plugin is absent, Debian's `docker-compose`; images are not pulled.
set -euo pipefail
if docker compose version >/dev/null 2>&1 || command -v docker-compose >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian's docker-compose to validate docker-compose.yml…"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-compose >/dev/null
  exit 0
fi
echo "Neither 'docker compose' nor 'docker-compose' is installed: the compose test will be skipped (CI fails)." >&2
