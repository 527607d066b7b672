"""Finding m18: the language switch keeps the page's query, and notices read in the language
the reader has chosen, whatever language they were written in."""

from __future__ import annotations

from urllib.parse import unquote

from fastapi.testclient import TestClient

from tests.conftest import DEMO_PASSWORD, csrf_from
from tests.dossiers.helpers import CITIZEN, submitted_dossier


def test_switching_language_keeps_the_search(client: TestClient) -> None:
    page = client.get("/thu-tuc", params={"q": "khai sinh", "page": "1"})
    link = page.text.split('href="/ngon-ngu/en?next=')[1].split('"')[0]
    assert unquote(link) == "/thu-tuc?q=khai+sinh&page=1"
    switched = client.get(f"/ngon-ngu/en?next={link}", follow_redirects=False)
    assert switched.status_code == 303
    assert switched.headers["location"] == "/thu-tuc?q=khai+sinh&page=1"
    english = client.get(switched.headers["location"])
    assert '<html lang="en">' in english.text and "Đăng ký khai sinh" in english.text
    # A one-off message is not carried over.
    flashed = client.get("/thu-tuc", params={"q": "khai sinh", "msg": "logged_out"})
    assert "msg" not in unquote(flashed.text.split('href="/ngon-ngu/vi?next=')[1].split('"')[0])


def test_a_notice_reads_in_the_readers_language(client: TestClient) -> None:
    dossier_id, h = submitted_dossier(client)
    vi = client.get("/api/v1/notifications", headers=h).json()["items"]
    mine = [n for n in vi if n["dossier_id"] == dossier_id]
    assert mine and mine[0]["title"].startswith("Đã nhận hồ sơ Đăng ký khai sinh")
    en = client.get("/api/v1/notifications", headers={**h, "Accept-Language": "en"}).json()
    title = next(n["title"] for n in en["items"] if n["dossier_id"] == dossier_id)
    assert title.startswith("Dossier received: Đăng ký khai sinh")

    # The same on the page, for the citizen who switched the interface to English.
    page = client.get("/dang-nhap")
    client.post(
        "/dang-nhap",
        data={"email": CITIZEN, "password": DEMO_PASSWORD, "csrf_token": csrf_from(page.text)},
    )
    client.cookies.set("lang", "en")
    notices = client.get("/thong-bao").text
    assert "Dossier received: Đăng ký khai sinh" in notices
    assert "Đã nhận hồ sơ Đăng ký khai sinh" not in notices
