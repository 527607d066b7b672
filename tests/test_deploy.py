"""docker-compose.yml is a valid Compose file that runs what docs/DEPLOY.md says (checked by
the Docker client's own `config`; no image is pulled), and its proxy is the one the portal
believes about client addresses."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from app.config import Settings
from tests.conftest import IN_CI

ROOT = Path(__file__).resolve().parent.parent
ENV = {
    "PORTAL_SECRET_KEY": "compose-test-secret-key-0123456789",
    "POSTGRES_PASSWORD": "compose-test-db",
    "MINIO_ROOT_PASSWORD": "compose-test-s3",
}


def _compose() -> list[str]:
    """The Compose command of this machine: the Docker CLI plugin, or Debian's docker-compose."""
    docker = shutil.which("docker")
    if (
        docker
        and subprocess.run(
            [docker, "compose", "version"], capture_output=True, check=False
        ).returncode
        == 0
    ):
        return [docker, "compose"]
    legacy = shutil.which("docker-compose")
    if legacy:
        return [legacy]
    message = "no Docker Compose here (bash scripts/ensure-compose.sh installs it)"
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


def _config(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("PORTAL_", "AWS_"))}
    return subprocess.run(
        [*_compose(), "--project-directory", str(ROOT), "-f", str(ROOT / "docker-compose.yml"),
         "config"],
        cwd=ROOT, env={**clean, **env}, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    quiet = subprocess.run(
        [*_compose(), "-f", str(ROOT / "docker-compose.yml"), "config", "-q"],
        cwd=ROOT,
        env={**os.environ, **ENV},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert quiet.returncode == 0, quiet.stderr
    full = _config(ENV)
    assert full.returncode == 0, full.stderr
    parsed: dict[str, Any] = yaml.safe_load(full.stdout)
    return parsed


def test_compose_runs_the_whole_province_setup(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name in ("postgres", "redis", "minio", "app1", "app2", "worker", "proxy"):
        assert name in services, name
    app = services["app1"]["environment"]
    assert app["PORTAL_DATABASE_URL"].startswith("postgresql://motcua:compose-test-db@postgres")
    assert app["PORTAL_STORAGE_URL"] == "s3://motcua-files/portal"
    assert app["PORTAL_S3_ENDPOINT_URL"] == "http://minio:9000"
    assert app["PORTAL_EMBEDDED_WORKER"] == "false"
    assert services["worker"]["command"] == ["portal", "worker"]
    settings = Settings(
        **{k.removeprefix("PORTAL_").lower(): v for k, v in app.items() if k.startswith("PORTAL_")}
    )
    assert settings.storage_url == "s3://motcua-files/portal"


def test_the_proxy_is_the_only_trusted_one_and_replaces_x_forwarded_for(
    compose: dict[str, Any],
) -> None:
    proxy = compose["services"]["proxy"]
    address = proxy["networks"]["portal"]["ipv4_address"]
    for name in ("app1", "app2", "worker"):
        assert compose["services"][name]["environment"]["PORTAL_TRUSTED_PROXIES"] == address
    conf = (ROOT / "deploy" / "nginx.conf").read_text()
    assert re.search(r"proxy_set_header X-Forwarded-For \$remote_addr;", conf)
    assert "$proxy_add_x_forwarded_for" not in conf  # would pass the client's own value on
    assert set(re.findall(r"server (app\d+):8000", conf)) == {"app1", "app2"}


def test_compose_refuses_to_start_without_the_secrets() -> None:
    answer = _config({k: v for k, v in ENV.items() if k != "PORTAL_SECRET_KEY"})
    assert answer.returncode != 0
    assert "set PORTAL_SECRET_KEY in .env" in answer.stderr
