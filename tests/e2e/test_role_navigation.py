"""Every role reaches its work by clicking, in Chromium against the real server.

For each role (and an anonymous visitor) the browser logs in through the form, lands on the
role's landing page and from there only follows the same-origin links the pages show — no
typed address after login. A crawl bounded in pages and time visits them breadth first (a few
of each kind of page: one dossier page stands for all) and skips logout, the language switch
and downloads. Every page reached must answer below 400 and, for a logged-in role, still show
the session in its header; the pages the role is there for must all be among them."""

from __future__ import annotations

import re
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

import httpx
import pytest

from tests.dossiers.helpers import BIRTH, BIRTH_FORM, PHO_HIEN, pdf_bytes

pytestmark = pytest.mark.e2e

PASSWORD = "MotCua@2026"
CITIZEN = "congdan2@motcua.local"
RECEPTION = "tiepnhan.phohien@motcua.local"
SPECIALIST = "chuyenvien.phohien@motcua.local"
LEADER = "lanhdao.phohien@motcua.local"
CASHIER = "thuphi.phohien@motcua.local"
AGENCY_ADMIN = "quantri.phohien@motcua.local"
SYSTEM_ADMIN = "admin@motcua.local"
FEE_AT_SUBMISSION = "1.004873"  # 5.000 ₫ when submitting: the dossier waits for payment

MAX_PAGES = 150
MAX_SECONDS = 90.0
PER_KIND = 8  # pages of one kind (same route, same query keys) visited at most
SKIPPED_PREFIXES = ("/api/", "/static/", "/docs", "/openapi.json", "/ngon-ngu/", "/dang-xuat")
DOWNLOAD = re.compile(r"/(xlsx|pdf)$|/tep/\d+$|/van-ban/\d+$|/tai-ve$|[?&]format=")

# The pages every role may use from the header.
PUBLIC = {"/", "/thu-tuc", "/thu-tuc/{code}", "/tra-cuu", "/thong-ke"}
SIGNED_IN = PUBLIC | {"/thong-bao", "/tai-khoan"}
STAFF = SIGNED_IN | {"/can-bo", "/can-bo/so-theo-doi"}


def kind_of(path_and_query: str) -> str:
    """The kind of a page: ids, procedure and agency codes replaced, query values dropped."""
    path, _sep, query = path_and_query.partition("?")
    path = re.sub(r"\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}", "{agency}", path)
    path = re.sub(r"/\d+\.\d+(?=/|$)", "/{code}", path)
    path = re.sub(r"/\d+(?=/|$)", "/{id}", path)
    keys = sorted({pair.split("=", 1)[0] for pair in query.split("&") if pair})
    return path + ("?" + "&".join(keys) if keys else "")


@dataclass
class Crawl:
    """What a crawl reached: the status of every address, the links found on each page."""

    status: dict[str, int] = field(default_factory=dict)
    links: dict[str, list[str]] = field(default_factory=dict)
    found_on: dict[str, str] = field(default_factory=dict)
    session_lost: list[str] = field(default_factory=list)

    @property
    def kinds(self) -> set[str]:
        return {kind_of(url) for url in self.status}

    def reached(self, expected: str) -> bool:
        return expected in self.status or expected in self.kinds

    def report(self) -> str:
        return "\n".join(
            f"  {code} {url}  (from {self.found_on.get(url, 'login')})"
            for url, code in sorted(self.status.items())
        )


def _same_origin_links(page: Any, origin: str) -> list[str]:
    hrefs: list[tuple[str, bool]] = page.eval_on_selector_all(
        "a[href]", "els => els.map(e => [e.href, e.hasAttribute('download')])"
    )
    links: list[str] = []
    for href, download in hrefs:
        url = urlparse(href)
        if download or f"{url.scheme}://{url.netloc}" != origin:
            continue
        target = url.path + (f"?{url.query}" if url.query else "")
        if target.startswith(SKIPPED_PREFIXES) or DOWNLOAD.search(target):
            continue
        links.append(target)
    return list(dict.fromkeys(links))


def crawl(page: Any, origin: str, signed_in: bool) -> Crawl:
    """Breadth first from the page the browser is on, following the links it shows."""
    result = Crawl()
    start = urlparse(page.url)
    first = start.path + (f"?{start.query}" if start.query else "")
    queue: deque[str] = deque()
    per_kind: Counter[str] = Counter()
    deadline = time.monotonic() + MAX_SECONDS

    def visit(url: str, status: int) -> None:
        result.status[url] = status
        if status >= 400 or "text/html" not in (page.evaluate("document.contentType") or ""):
            return
        if signed_in and page.locator("header form[action='/dang-xuat']").count() != 1:
            result.session_lost.append(url)
        links = _same_origin_links(page, origin)
        result.links[url] = links
        for link in links:
            kind = kind_of(link)
            if link in result.status or link in result.found_on or per_kind[kind] >= PER_KIND:
                continue
            per_kind[kind] += 1
            result.found_on[link] = url
            queue.append(link)

    per_kind[kind_of(first)] += 1
    visit(first, 200)
    while queue and len(result.status) < MAX_PAGES and time.monotonic() < deadline:
        url = queue.popleft()
        response = page.goto(url, wait_until="domcontentloaded")
        assert response is not None, url
        visit(url, response.status)
    return result


def _missing(result: Crawl, expected: Iterable[str]) -> list[str]:
    return sorted(e for e in expected if not result.reached(e))


def check(result: Crawl, expected: Iterable[str]) -> None:
    __tracebackhide__ = True
    failed = {url: code for url, code in result.status.items() if code >= 400}
    assert not failed, f"pages answering an error: {failed}\nreached:\n{result.report()}"
    assert not result.session_lost, f"header lost the session on {result.session_lost}"
    missing = _missing(result, expected)
    assert not missing, f"not reached by clicking: {missing}\nreached:\n{result.report()}"


# --- what the roles find in their queues ----------------------------------------------------


@dataclass(frozen=True)
class Dossiers:
    draft: int
    submitted: int  # waiting for reception
    at_specialist: int  # received, at the specialist's step
    at_leader: int  # forwarded to the leader's step
    awaiting_payment: int


def _token(http: httpx.Client, email: str) -> dict[str, str]:
    response = http.post("/api/v1/auth/token", data={"username": email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def _submitted(http: httpx.Client, auth: dict[str, str], code: str, form: dict[str, Any]) -> int:
    draft = http.post(
        "/api/v1/dossiers",
        json={"procedure_code": code, "agency_code": PHO_HIEN, "form_data": form},
        headers=auth,
    )
    assert draft.status_code == 201, draft.text
    dossier_id = int(draft.json()["id"])
    components = http.get(f"/api/v1/procedures/{code}").json()["components"]
    for comp in components:
        if comp["required"]:
            uploaded = http.post(
                f"/api/v1/dossiers/{dossier_id}/files",
                data={"component": comp["code"]},
                files={"file": ("giay-to.pdf", pdf_bytes(comp["code"]), "application/pdf")},
                headers=auth,
            )
            assert uploaded.status_code == 201, uploaded.text
    submitted = http.post(f"/api/v1/dossiers/{dossier_id}/submit", headers=auth)
    assert submitted.status_code == 200, submitted.text
    return dossier_id


def _filled(http: httpx.Client, code: str) -> dict[str, Any]:
    fields = http.get(f"/api/v1/procedures/{code}").json()["form_schema"]["fields"]
    return {
        f["name"]: {
            "date": "2026-01-15",
            "id_number": "034190001234",
            "phone": "0912345678",
            "email": "lan@example.vn",
            "number": "1",
            "checkbox": True,
            "select": (f["options"] or [""])[0],
        }.get(f["type"], "Nội dung khai")
        for f in fields
    }


def _act(http: httpx.Client, auth: dict[str, str], dossier_id: int, action: str) -> None:
    done = http.post(
        f"/api/v1/dossiers/{dossier_id}/actions", json={"action": action}, headers=auth
    )
    assert done.status_code == 200, done.text


@pytest.fixture(scope="module")
def dossiers(live_server: str) -> Dossiers:
    """Work for every role of Phố Hiến, made through the JSON API before anyone logs in."""
    with httpx.Client(base_url=live_server, timeout=60) as http:
        citizen = _token(http, CITIZEN)
        draft = http.post(
            "/api/v1/dossiers",
            json={"procedure_code": BIRTH, "agency_code": PHO_HIEN, "form_data": BIRTH_FORM},
            headers=citizen,
        )
        assert draft.status_code == 201, draft.text
        submitted = _submitted(http, citizen, BIRTH, BIRTH_FORM)
        at_specialist = _submitted(http, citizen, BIRTH, BIRTH_FORM)
        at_leader = _submitted(http, citizen, BIRTH, BIRTH_FORM)
        awaiting = _submitted(http, citizen, FEE_AT_SUBMISSION, _filled(http, FEE_AT_SUBMISSION))
        reception = _token(http, RECEPTION)
        _act(http, reception, at_specialist, "receive")
        _act(http, reception, at_leader, "receive")
        _act(http, _token(http, SPECIALIST), at_leader, "forward")
        status = http.get(f"/api/v1/dossiers/{awaiting}", headers=citizen).json()["status"]
        assert status == "awaiting_payment"
    return Dossiers(int(draft.json()["id"]), submitted, at_specialist, at_leader, awaiting)


def _crawl_as(
    new_web_context: Callable[..., Any],
    log_in: Callable[..., None],
    live_server: str,
    email: str,
    landing: str,
) -> Crawl:
    page = new_web_context().new_page()
    log_in(page, email)  # the login form sends the browser to the role's landing page
    assert urlparse(page.url).path == landing, page.url
    return crawl(page, live_server, signed_in=True)


# --- the roles ----------------------------------------------------------------------------------


def test_an_anonymous_visitor_finds_the_lookup(
    new_web_context: Callable[..., Any], live_server: str
) -> None:
    page = new_web_context().new_page()
    page.goto("/")
    result = crawl(page, live_server, signed_in=False)
    check(result, PUBLIC | {"/dang-nhap", "/dang-ky"})
    assert "/tra-cuu" in result.links["/"]


def test_the_citizen_reaches_my_dossiers_and_their_groups(
    new_web_context: Callable[..., Any],
    log_in: Callable[..., None],
    live_server: str,
    dossiers: Dossiers,
) -> None:
    result = _crawl_as(new_web_context, log_in, live_server, CITIZEN, "/tai-khoan")
    check(
        result,
        SIGNED_IN
        | {
            "/ho-so",
            "/ho-so?group=draft",
            "/ho-so?group=in_progress",
            "/ho-so?group=supplement",
            "/ho-so?group=done",
            "/ho-so/{id}",
            "/ho-so/{id}/khai",
            "/ho-so/{id}/xoa",
            "/ho-so/{id}/thanh-toan",
            "/thu-tuc/{code}/nop-ho-so",
        },
    )
    assert f"/ho-so/{dossiers.draft}/xoa" in result.links["/ho-so?group=draft"]
    assert f"/ho-so/{dossiers.awaiting_payment}/thanh-toan" in result.status


def test_reception_reaches_the_queue_and_the_counter(
    new_web_context: Callable[..., Any],
    log_in: Callable[..., None],
    live_server: str,
    dossiers: Dossiers,
) -> None:
    result = _crawl_as(new_web_context, log_in, live_server, RECEPTION, "/can-bo")
    check(result, STAFF | {"/can-bo/tiep-nhan", "/can-bo/ho-so/{id}"})
    assert f"/can-bo/ho-so/{dossiers.submitted}" in result.links["/can-bo"]


def test_the_specialist_reaches_the_dossiers_at_their_step(
    new_web_context: Callable[..., Any],
    log_in: Callable[..., None],
    live_server: str,
    dossiers: Dossiers,
) -> None:
    result = _crawl_as(new_web_context, log_in, live_server, SPECIALIST, "/can-bo")
    check(result, STAFF | {"/can-bo/ho-so/{id}"})
    assert f"/can-bo/ho-so/{dossiers.at_specialist}" in result.links["/can-bo"]


def test_the_leader_reaches_the_dashboard(
    new_web_context: Callable[..., Any],
    log_in: Callable[..., None],
    live_server: str,
    dossiers: Dossiers,
) -> None:
    result = _crawl_as(new_web_context, log_in, live_server, LEADER, "/can-bo")
    check(result, STAFF | {"/can-bo/bang-dieu-khien", "/can-bo/bien-lai", "/can-bo/ho-so/{id}"})
    assert f"/can-bo/ho-so/{dossiers.at_leader}" in result.links["/can-bo"]
    assert "/can-bo/bang-dieu-khien" in result.links["/thong-ke"]


def test_the_cashier_reaches_the_counter_the_register_and_collects_from_the_dossier(
    new_web_context: Callable[..., Any],
    log_in: Callable[..., None],
    live_server: str,
    dossiers: Dossiers,
) -> None:
    result = _crawl_as(new_web_context, log_in, live_server, CASHIER, "/can-bo")
    waiting = f"/can-bo/ho-so/{dossiers.awaiting_payment}"
    check(result, STAFF | {"/can-bo/thu-phi", "/can-bo/bien-lai", waiting})
    collect = [link for link in result.links[waiting] if link.startswith("/can-bo/thu-phi")]
    assert collect, f"no 'Thu phí' link on {waiting}: {result.links[waiting]}"
    assert all(result.status.get(link) == 200 for link in collect)


def test_the_agency_admin_reaches_administration_audit_and_statistics(
    new_web_context: Callable[..., Any],
    log_in: Callable[..., None],
    live_server: str,
) -> None:
    result = _crawl_as(new_web_context, log_in, live_server, AGENCY_ADMIN, "/quan-tri")
    check(
        result,
        STAFF
        | {
            "/quan-tri",
            "/quan-tri/co-quan",
            "/quan-tri/co-quan/{agency}",
            "/quan-tri/nguoi-dung",
            "/quan-tri/nguoi-dung/{id}",
            "/quan-tri/thu-tuc",
            "/quan-tri/thu-tuc/{code}",
            "/quan-tri/bien-lai",
            "/quan-tri/chung-thu-so",
            "/quan-tri/nhat-ky",
            "/can-bo/bang-dieu-khien",
            "/can-bo/bien-lai",
        },
    )
    assert "/quan-tri/nhat-ky" in result.links["/quan-tri"]


def test_the_system_admin_reaches_administration_audit_and_statistics(
    new_web_context: Callable[..., Any],
    log_in: Callable[..., None],
    live_server: str,
) -> None:
    result = _crawl_as(new_web_context, log_in, live_server, SYSTEM_ADMIN, "/quan-tri")
    check(
        result,
        SIGNED_IN
        | {
            "/quan-tri",
            "/quan-tri/co-quan",
            "/quan-tri/co-quan/{agency}",
            "/quan-tri/nguoi-dung",
            "/quan-tri/thu-tuc",
            "/quan-tri/thu-tuc/{code}",
            "/quan-tri/lich",
            "/quan-tri/bien-lai",
            "/quan-tri/chung-thu-so",
            "/quan-tri/nhat-ky",
            "/can-bo/bang-dieu-khien",
        },
    )
    assert "/quan-tri/nhat-ky" in result.links["/quan-tri"]
