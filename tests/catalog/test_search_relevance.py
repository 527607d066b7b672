"""Finding m1: the catalogue search finds a procedure from the words people type, best
matches first."""

from __future__ import annotations

from fastapi.testclient import TestClient


def _names(client: TestClient, q: str) -> list[str]:
    body = client.get("/api/v1/procedures", params={"q": q, "limit": 100}).json()
    return [i["name"] for i in body["items"]]


def test_birth_registration_comes_first_however_it_is_typed(client: TestClient) -> None:
    for q in (
        "dang ki khai sinh",
        "đăng kí khai sinh",
        "khaisinh",
        "khai sinh cho con",
        "đăng ký khai sinh cho con",
        "dang ky khai sin",
        "khai sin",
    ):
        names = _names(client, q)
        assert names and names[0].startswith("Đăng ký khai sinh"), (q, names[:3])


def test_procedures_holding_every_word_are_the_answer_when_there_are_some(
    client: TestClient,
) -> None:
    assert _names(client, "đăng ký khai tử") == ["Đăng ký khai tử"]
    # no procedure says "cho con": those holding most of the words are offered, best first
    names = _names(client, "đăng ký khai sinh cho con")
    assert names[0] == "Đăng ký khai sinh" and len(names) > 1
    page = client.get("/thu-tuc", params={"q": "khai sinh cho con"}).text
    assert "Đăng ký khai sinh" in page and "Không có thủ tục nào phù hợp" not in page


def test_a_query_sharing_too_few_words_finds_nothing(client: TestClient) -> None:
    assert _names(client, "khai sinh xyz abc qqq") == []
    assert client.get("/api/v1/procedures", params={"q": "khaisinhxyz"}).json()["total"] == 0
