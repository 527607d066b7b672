"""What users do against running servers over HTTP (several processes, SPEC §14): submit a
fee-bearing dossier, receive it, pay it at the counter or at the sandbox bank; and what must
hold afterwards in the database (codes and receipt numbers without gap or duplicate)."""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.engine import Connection

from tests.conftest import DEMO_PASSWORD
from tests.dossiers.helpers import CITIZEN, RECEPTION, submit_procedure

FEE_PROCEDURE = "2.000884"  # fee at reception (Phố Hiến)
CASHIER = "thuphi.phohien@motcua.local"


def token(client: httpx.Client, email: str) -> dict[str, str]:
    response = client.post(
        "/api/v1/auth/token", data={"username": email, "password": DEMO_PASSWORD}
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def submit(client: httpx.Client) -> int:
    dossier, _ = submit_procedure(client, FEE_PROCEDURE)  # type: ignore[arg-type]
    return int(dossier["id"])


def receive(client: httpx.Client, reception: dict[str, str], dossier_id: int) -> str:
    response = client.post(
        f"/api/v1/dossiers/{dossier_id}/actions", json={"action": "receive"}, headers=reception
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "awaiting_payment"
    return str(response.json()["code"])


def pay_cash(client: httpx.Client, cashier: dict[str, str], dossier_id: int) -> None:
    response = client.post(
        f"/api/v1/dossiers/{dossier_id}/payments", json={"method": "cash"}, headers=cashier
    )
    assert response.status_code == 201, response.text
    assert response.json()["status"] == "paid"


def pay_sandbox(client: httpx.Client, citizen: dict[str, str], dossier_id: int) -> None:
    """The applicant pays online at the built-in sandbox bank (its page and its form)."""
    started = client.post(
        f"/api/v1/dossiers/{dossier_id}/payments", json={"method": "sandbox"}, headers=citizen
    )
    assert started.status_code == 201, started.text
    bank = started.json()["redirect_url"]
    page = client.get(bank, headers=citizen)
    assert page.status_code == 200, page.text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert csrf is not None
    done = client.post(
        bank, data={"decision": "confirm", "csrf_token": csrf.group(1)}, headers=citizen
    )
    assert done.status_code == 303, done.text


def logins(client: httpx.Client) -> dict[str, dict[str, str]]:
    return {
        "citizen": token(client, CITIZEN),
        "reception": token(client, RECEPTION),
        "cashier": token(client, CASHIER),
    }


def codes_without_gaps(conn: Connection) -> list[str]:
    """Every dossier code, checked: unique, and per agency and day numbered 1..n."""
    codes = [
        row[0] for row in conn.execute(text("SELECT code FROM dossiers WHERE code IS NOT NULL"))
    ]
    assert len(codes) == len(set(codes)), "duplicate dossier codes"
    by_day: dict[str, list[int]] = defaultdict(list)
    for code in codes:
        prefix, seq = code.rsplit("-", 1)
        by_day[prefix].append(int(seq))
    for prefix, seqs in by_day.items():
        assert sorted(seqs) == list(range(1, len(seqs) + 1)), f"gap in the codes of {prefix}"
    return codes


def receipts_without_gaps(conn: Connection) -> list[Any]:
    """Every receipt, checked: per series unique and consecutive numbers."""
    rows = list(conn.execute(text("SELECT series_id, number, document_id FROM receipts")))
    by_series: dict[int, list[int]] = defaultdict(list)
    for series_id, number, _ in rows:
        by_series[series_id].append(number)
    for series_id, numbers in by_series.items():
        assert len(numbers) == len(set(numbers)), f"duplicate receipt numbers in {series_id}"
        first = min(numbers)
        assert sorted(numbers) == list(range(first, first + len(numbers))), "gap in receipts"
    return rows


def half_written(conn: Connection) -> list[Any]:
    """Dossiers a crash could have left half-way: received without a code, paid without a
    receipt, a receipt without its document."""
    return list(
        conn.execute(
            text(
                "SELECT d.id FROM dossiers d WHERE d.status <> 'draft' AND d.submitted_at IS NULL "
                "UNION SELECT d.id FROM dossiers d WHERE d.received_at IS NOT NULL "
                "AND d.code IS NULL "
                "UNION SELECT d.id FROM dossiers d WHERE d.status <> 'draft' AND NOT EXISTS "
                "(SELECT 1 FROM dossier_files f WHERE f.dossier_id = d.id) "
                "UNION SELECT p.dossier_id FROM payments p WHERE p.status = 'paid' AND NOT EXISTS "
                "(SELECT 1 FROM receipts r WHERE r.payment_id = p.id) "
                "UNION SELECT r.dossier_id FROM receipts r WHERE r.document_id IS NULL"
            )
        )
    )
