"""A citizen rates the service once, after completion (§3), and the rating counts in the
satisfaction indicator: the API (owner only, once, only when completed, bad input 422) and
the form of the dossier page (CSRF, back to the dossier with a message)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db import utcnow
from app.dossiers.models import Dossier
from app.ratings import service
from app.ratings.models import Rating
from app.web import templates
from tests.conftest import DEMO_PASSWORD, api_token, csrf_from
from tests.stats.dataset import BIRTH, COMMUNE_A, Builder, at

CITIZEN = "congdan@motcua.local"
OTHER_CITIZEN = "congdan2@motcua.local"
SPECIALIST = "chuyenvien.phohien@motcua.local"


def completed(db: Session, status: str = "completed") -> Dossier:
    """A dossier of the demo citizen whose result was returned on 05/03/2024."""
    return Builder(db).dossier(
        f"R{status}",
        COMMUNE_A,
        BIRTH,
        "online",
        status,
        at(3, 4),
        at(3, 6, 17),
        result_ready=at(3, 5, 10) if status == "completed" else None,
        finished=at(3, 5, 15) if status == "completed" else None,
    )


def url(dossier: Dossier) -> str:
    return f"/api/v1/dossiers/{dossier.id}/rating"


def test_the_owner_rates_a_completed_dossier_once(client: TestClient, db: Session) -> None:
    dossier = completed(db)
    h = api_token(client, CITIZEN)
    assert client.get(url(dossier), headers=h).status_code == 404  # not rated yet
    body = {"score": 2, "comment": "  Chờ lâu  ", "complaint": True}
    response = client.post(url(dossier), json=body, headers=h)
    assert response.status_code == 201, response.text
    read = response.json()
    assert (read["score"], read["comment"], read["complaint"]) == (2, "Chờ lâu", True)
    again = client.post(url(dossier), json={"score": 5}, headers=h)
    assert again.status_code == 409
    assert again.json()["error"] == "conflict"
    assert client.get(url(dossier), headers=h).json()["score"] == 2
    # Staff of the agency may read it (they see the dossier), but not rate it.
    staff = api_token(client, SPECIALIST)
    assert client.get(url(dossier), headers=staff).json()["complaint"] is True
    rows = db.scalars(select(Rating).where(Rating.dossier_id == dossier.id)).all()
    assert len(rows) == 1


def test_only_the_owner_may_rate(client: TestClient, db: Session) -> None:
    dossier = completed(db)
    other = client.post(url(dossier), json={"score": 5}, headers=api_token(client, OTHER_CITIZEN))
    assert other.status_code == 404  # someone else's dossier is not even visible
    staff = client.post(url(dossier), json={"score": 5}, headers=api_token(client, SPECIALIST))
    assert staff.status_code == 403
    assert client.post(url(dossier), json={"score": 5}).status_code == 401
    assert service.rating_for(db, dossier.id) is None


@pytest.mark.parametrize("status", ["processing", "result_ready", "rejected"])
def test_only_a_completed_dossier_can_be_rated(
    client: TestClient, db: Session, status: str
) -> None:
    dossier = completed(db, status)
    response = client.post(url(dossier), json={"score": 4}, headers=api_token(client, CITIZEN))
    assert response.status_code == 409, response.text


@pytest.mark.parametrize(
    "body",
    [
        {"score": 0},
        {"score": 6},
        {"score": "năm"},
        {"score": 4.5},
        {},
        {"score": 3, "comment": "x" * 2001},
        {"score": 3, "extra": 1},
    ],
)
def test_bad_input_is_422(client: TestClient, db: Session, body: dict[str, Any]) -> None:
    dossier = completed(db)
    response = client.post(url(dossier), json=body, headers=api_token(client, CITIZEN))
    assert response.status_code == 422, response.text
    assert response.json()["error"] == "invalid_input"
    assert service.rating_for(db, dossier.id) is None


def test_a_rating_counts_in_satisfaction(client: TestClient, db: Session) -> None:
    dossier = completed(db)
    params = {"agency": COMMUNE_A, "from": "2024-03-01", "to": "2024-03-31"}
    before = client.get("/api/v1/stats/indicators", params=params).json()
    satisfaction = before["groups"]["satisfaction"]["figures"]["satisfaction_rate"]
    assert (satisfaction["numerator"], satisfaction["denominator"]) == (1, 1)  # on time
    h = api_token(client, CITIZEN)
    assert client.post(url(dossier), json={"score": 1}, headers=h).status_code == 201
    after = client.get("/api/v1/stats/indicators", params=params).json()
    satisfaction = after["groups"]["satisfaction"]["figures"]["satisfaction_rate"]
    # 100% − (0% late + 100% negative ratings) = 0%.
    assert (satisfaction["numerator"], satisfaction["denominator"]) == (0, 1)
    assert after["counts"]["unhappy"] == 1


def log_in(client: TestClient, email: str) -> str:
    client.cookies.clear()
    page = client.get("/dang-nhap")
    response = client.post(
        "/dang-nhap",
        data={"email": email, "password": DEMO_PASSWORD, "csrf_token": csrf_from(page.text)},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return csrf_from(client.get("/tai-khoan").text)


def test_the_rating_form_posts_back_to_the_dossier(client: TestClient, db: Session) -> None:
    dossier = completed(db)
    token = log_in(client, CITIZEN)
    path = f"/ho-so/{dossier.id}/danh-gia"
    no_csrf = client.post(path, data={"score": "5"}, follow_redirects=False)
    assert no_csrf.status_code == 403
    missing = client.post(path, data={"csrf_token": token}, follow_redirects=False)
    assert missing.status_code == 303
    assert missing.headers["location"] == f"/ho-so/{dossier.id}?rating_error=score#danh-gia"
    long = client.post(
        path,
        data={"csrf_token": token, "score": "4", "comment": "x" * 2001},
        follow_redirects=False,
    )
    assert long.headers["location"].endswith("rating_error=comment#danh-gia")
    ok = client.post(
        path,
        data={"csrf_token": token, "score": "4", "comment": "Nhanh, chu đáo", "complaint": "on"},
        follow_redirects=False,
    )
    assert ok.status_code == 303
    assert ok.headers["location"] == f"/ho-so/{dossier.id}?msg=rated#danh-gia"
    rating = service.rating_for(db, dossier.id)
    assert rating is not None
    assert (rating.score, rating.comment, rating.complaint) == (4, "Nhanh, chu đáo", True)
    twice = client.post(path, data={"csrf_token": token, "score": "1"}, follow_redirects=False)
    assert twice.headers["location"].endswith("rating_error=conflict#danh-gia")
    other_token = log_in(client, OTHER_CITIZEN)
    stranger = client.post(path, data={"csrf_token": other_token, "score": "1"})
    assert stranger.status_code == 404


class _Query(dict[str, str]):
    def get(self, key: str, default: Any = None) -> Any:
        return super().get(key, default)


class _Request:
    def __init__(self, **query: str) -> None:
        self.query_params = _Query(query)


def _render(dossier: Dossier, rating: Rating | None, user_id: int | None, **query: str) -> str:
    user = type("U", (), {"id": user_id})() if user_id else None
    return (
        templates()
        .env.get_template("ratings/_form.html")
        .render(
            _=lambda s: s,
            request=_Request(**query),
            user=user,
            dossier=dossier,
            rating=rating,
            csrf_field="csrf_token",
            csrf_token="tok",
        )
    )


def test_the_partial_shows_the_form_then_the_rating(db: Session) -> None:
    dossier = completed(db)
    owner = dossier.applicant_id
    html = _render(dossier, None, owner)
    assert f'action="/ho-so/{dossier.id}/danh-gia"' in html
    assert len(re.findall(r'type="radio" id="rating-score-\d" name="score"', html)) == 5
    assert 'name="csrf_token" value="tok"' in html
    error = _render(dossier, None, owner, rating_error="score")
    assert 'id="rating-score-error"' in error
    rating = Rating(
        dossier_id=dossier.id, user_id=owner, score=4, comment="Tốt", created_at=utcnow()
    )
    shown = _render(dossier, rating, owner, msg="rated")
    assert "<form" not in shown and "4/5" in shown and "Tốt" in shown
    assert 'role="status"' in shown
    # Not completed, or not the owner without a rating: nothing.
    assert _render(completed(db, "processing"), None, owner).strip() == ""
    assert _render(dossier, None, None).strip() == ""


def test_completed_dossier_page_offers_the_rating_form(client: TestClient) -> None:
    from tests.conftest import csrf_from
    from tests.dossiers.helpers import LEADER, RECEPTION, SPECIALIST, act, headers, pdf_bytes
    from tests.dossiers.helpers import submitted_dossier as submit

    dossier_id, _ = submit(client)
    reception = headers(client, RECEPTION)
    act(client, reception, dossier_id, "receive")
    act(client, headers(client, SPECIALIST), dossier_id, "forward")
    act(client, headers(client, LEADER), dossier_id, "approve")
    client.post(
        f"/api/v1/dossiers/{dossier_id}/actions",
        headers=reception,
        data={"action": "attach_result"},
        files={"file": ("kq.pdf", pdf_bytes(), "application/pdf")},
    )
    act(client, reception, dossier_id, "return_result")
    login = client.get("/dang-nhap")
    client.post(
        "/dang-nhap",
        data={
            "email": "congdan@motcua.local",
            "password": "MotCua@2026",
            "csrf_token": csrf_from(login.text),
        },
    )
    page = client.get(f"/ho-so/{dossier_id}")
    assert 'action="/ho-so/' in page.text and "/danh-gia" in page.text
    posted = client.post(
        f"/ho-so/{dossier_id}/danh-gia",
        data={"score": "5", "comment": "Nhanh, đúng hẹn", "csrf_token": csrf_from(page.text)},
        follow_redirects=False,
    )
    assert posted.status_code == 303
    assert client.get(f"/api/v1/dossiers/{dossier_id}/rating").json()["score"] == 5
