"""The "done means" of issue 21: two `portal serve` and two `portal worker` processes on one
PostgreSQL database, one Redis and a bucket of an S3-protocol server, on loopback, with a real
SMTP server. Submissions, receptions and payments go through both servers at once; afterwards
no code or receipt number is missing or doubled, every file is in the bucket, each e-mail
arrived once, every receipt's PDF was made, and the sixth wrong password in a row is refused
(429) whichever server gets it."""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from tests import s3server
from tests.notifications.test_mail import MailServer
from tests.scale import journeys
from tests.scale.cluster import Cluster, free_port, fresh_database
from tests.scale.conftest import REDIS_URL, require_redis, run_prefix

pytestmark = pytest.mark.postgres

DOSSIERS = 12


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[tuple[Cluster, MailServer, str, tuple[str, str]]]:
    require_redis()
    # The files in a bucket of a real S3-protocol server on loopback, as in a deployment.
    try:
        s3, endpoint = s3server.start_server()
    except RuntimeError as exc:
        pytest.fail(f"the S3 server on loopback could not start: {exc}")
    bucket = s3server.make_bucket(endpoint)
    url, drop = fresh_database(os.environ["PORTAL_DATABASE_URL"])
    smtp = MailServer(free_port())
    smtp.start()
    deployment = Cluster(
        tmp_path,
        url,
        PORTAL_REDIS_URL=REDIS_URL,
        PORTAL_REDIS_PREFIX=run_prefix(),
        PORTAL_SMTP_URL=f"smtp://127.0.0.1:{smtp.port}",
        PORTAL_LOOKUP_RATE_LIMIT="4",
        PORTAL_STORAGE_URL=f"s3://{bucket}/cluster",
        PORTAL_S3_ENDPOINT_URL=endpoint,
        **s3server.CREDENTIALS,
    )
    try:
        deployment.prepare()
        yield deployment, smtp, url, (endpoint, bucket)
    finally:
        deployment.stop()
        smtp.stop()
        drop()
        s3.stop()


def _journey(
    index: int, servers: list[httpx.Client], tokens: list[dict[str, dict[str, str]]]
) -> int:
    """Submit on one server, receive on the other, pay on either (cash or the sandbox bank)."""
    first, second = servers[index % 2], servers[(index + 1) % 2]
    dossier_id = journeys.submit(first)
    journeys.receive(second, tokens[(index + 1) % 2]["reception"], dossier_id)
    if index % 3 == 0:
        journeys.pay_cash(first, tokens[index % 2]["cashier"], dossier_id)
    else:
        journeys.pay_sandbox(second, tokens[(index + 1) % 2]["citizen"], dossier_id)
    return dossier_id


def _wait(what: str, check: object, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"still waiting: {what}"
        time.sleep(0.5)


def test_two_servers_and_two_workers(
    cluster: tuple[Cluster, MailServer, str, tuple[str, str]],
) -> None:
    deployment, smtp, url, (endpoint, bucket) = cluster
    bases = [deployment.serve("web-1"), deployment.serve("web-2")]
    deployment.worker("worker-1")
    deployment.worker("worker-2")
    servers = [httpx.Client(base_url=b, timeout=60) for b in bases]
    tokens = [journeys.logins(s) for s in servers]

    with ThreadPoolExecutor(max_workers=6) as pool:
        ids = list(pool.map(lambda i: _journey(i, servers, tokens), range(DOSSIERS)))
    assert len(set(ids)) == DOSSIERS

    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.connect() as conn:
        codes = journeys.codes_without_gaps(conn)
        assert len(codes) == DOSSIERS
        receipts = journeys.receipts_without_gaps(conn)
        assert len(receipts) == DOSSIERS
        assert journeys.half_written(conn) == []

    # Every uploaded file is stored and reads back as uploaded, through either server.
    citizen = tokens[0]["citizen"]
    for n, dossier_id in enumerate(ids):
        files = servers[n % 2].get(f"/api/v1/dossiers/{dossier_id}", headers=citizen).json()
        for item in files["files"]:
            got = servers[(n + 1) % 2].get(item["url"], headers=citizen)
            assert got.status_code == 200, item
            assert hashlib.sha256(got.content).hexdigest() == item["sha256"]

    # ... and lies in the bucket, with the receipts' and forms' PDFs, none on a local disk.
    keys = {key.rsplit("/", 1)[-1] for key in s3server.keys(endpoint, bucket)}
    with engine.connect() as conn:
        stored = {r[0] for r in conn.execute(text("SELECT sha256 FROM dossier_files"))}
    assert stored and stored <= keys

    # Every receipt's PDF is made after its commit (by the server or, failing that, a worker).
    def pdfs_made() -> bool:
        with engine.connect() as conn:
            return not conn.scalar(
                text("SELECT count(*) FROM documents WHERE kind = 'receipt' AND sha256 IS NULL")
            )

    _wait("receipt PDFs", pdfs_made)

    # Each e-mail of the outbox reaches the SMTP server once, whichever worker sent it.
    def all_sent() -> bool:
        with engine.connect() as conn:
            return not conn.scalar(
                text("SELECT count(*) FROM outbox_messages WHERE status = 'pending'")
            )

    _wait("e-mails", all_sent)
    with engine.connect() as conn:
        sent = [r[0] for r in conn.execute(text("SELECT id FROM outbox_messages"))]
        senders = {
            r[0].split("/")[0] for r in conn.execute(text("SELECT claimed_by FROM outbox_messages"))
        }
    delivered = Counter(smtp.inbox.outbox_ids())
    assert sent and sorted(delivered) == sorted(sent)
    assert set(delivered.values()) == {1}, "an e-mail was delivered twice"
    assert all(":worker" in s for s in senders)

    # The worker's log lines carry the request id of the request that wrote the e-mail.
    with engine.connect() as conn:
        request_ids = {r[0] for r in conn.execute(text("SELECT request_id FROM outbox_messages"))}
    assert "" not in request_ids
    worker_lines = [
        json.loads(line)
        for name in ("worker-1", "worker-2")
        for line in deployment.log(name).read_text().splitlines()
        if line.startswith("{")
    ]
    logged = {line.get("request_id") for line in worker_lines if "sent" in line["message"]}
    assert request_ids <= logged
    web_lines = deployment.log("web-1").read_text() + deployment.log("web-2").read_text()
    assert any(rid in web_lines for rid in request_ids)

    # A sixth wrong password in a row is refused, the failures spread over both servers.
    wrong = {"username": "khach.la@example.vn", "password": "sai-mat-khau"}
    answers = [servers[n % 2].post("/api/v1/auth/token", data=wrong).status_code for n in range(6)]
    assert answers == [401] * 5 + [429]

    # The lookup limit (4 per address here) is shared by both servers through Redis.
    lookups = [
        servers[n % 2].get("/api/v1/lookup", params={"code": codes[0], "secret": "SAI"}).status_code
        for n in range(5)
    ]
    assert lookups[:4] == [404] * 4 and lookups[4] == 429

    # A logout through one server is known to the other at once (Redis), not after the TTL.
    holder = journeys.token(servers[0], journeys.CASHIER)
    assert servers[1].get("/api/v1/auth/me", headers=holder).status_code == 200  # remembered
    assert servers[0].post("/api/v1/auth/logout", headers=holder).status_code in (200, 204)
    started = time.monotonic()
    while servers[1].get("/api/v1/auth/me", headers=holder).status_code == 200:
        assert time.monotonic() - started < 3, "the other server still accepts the token"
        time.sleep(0.05)

    for server in servers:
        server.close()
    engine.dispose()
