"""Every administration page renders for the admins who may see it, in both languages."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import User
from tests.admin.helpers import ADMIN, PHO_HIEN, PHO_HIEN_ADMIN, log_in, post_form

PAGES = (
    "/quan-tri",
    "/quan-tri/co-quan",
    "/quan-tri/co-quan/them",
    f"/quan-tri/co-quan/{PHO_HIEN}",
    "/quan-tri/nguoi-dung",
    "/quan-tri/nguoi-dung/them",
    "/quan-tri/thu-tuc",
    "/quan-tri/thu-tuc/moi",
    "/quan-tri/thu-tuc/nhap",
    "/quan-tri/thu-tuc/1.001193",
    "/quan-tri/bien-lai",
    "/quan-tri/chung-thu-so",
)
DRAFT_PAGES = ("", "/truong", "/thanh-phan", "/phi", "/quy-trinh", "/xem-truoc")


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_admin_pages_render_for_a_system_admin(client: TestClient, db: Session, lang: str) -> None:
    client.cookies.set("lang", lang)
    log_in(client, ADMIN)
    staff = db.scalar(select(User).where(User.email == "tiepnhan.phohien@motcua.local"))
    assert staff is not None
    for path in (*PAGES, "/quan-tri/lich", f"/quan-tri/nguoi-dung/{staff.id}"):
        response = client.get(path)
        assert response.status_code == 200, (path, response.text[:500])
        assert f'<html lang="{lang}"' in response.text
    assert post_form(client, "/quan-tri/thu-tuc/1.001193/sua").status_code == 303
    for suffix in DRAFT_PAGES:
        response = client.get(f"/quan-tri/thu-tuc/1.001193/ban-nhap{suffix}")
        assert response.status_code == 200, (suffix, response.text[:500])
    assert client.get("/quan-tri/thu-tuc/1.001193/ban-nhap/khong-co").status_code == 404


def test_agency_admin_sees_their_subtree_pages(client: TestClient, db: Session) -> None:
    log_in(client, PHO_HIEN_ADMIN)
    for path in PAGES:
        response = client.get(path)
        assert response.status_code == 200, (path, response.text[:500])
    home = client.get("/quan-tri").text
    assert "Ủy ban nhân dân phường Phố Hiến" in home and "Sở Tư pháp" not in home
    assert "/quan-tri/lich" not in home  # global settings are for system admins
