# ruff: noqa: E501 (one line per route reads best as a table)
"""The authorisation matrix: every route of the app, what its path parameters refer to, and
who may use it. ``test_authz_matrix.py`` fails for a route without an entry and for an entry
without a route.

Format — one line per route::

    R("METHOD /path/{param}", "resource", ALLOWED, **request)

* ``"METHOD /path"``: exactly as the route is declared (one entry per method).
* ``"resource"``: which of the world's objects fills the path parameters (keys of
  ``World.params`` in ``world.py``): ``-`` none; ``dossier`` the owner's dossier received in
  agency A; ``draft`` the owner's online draft; ``waiting`` the owner's dossier waiting for an
  online payment; ``counter`` officer A's counter draft; ``file``/``draft_file``/``counter_file``
  a file of those; ``document`` form 01 of the dossier; ``verify`` its verification token;
  ``payment``, ``receipt``, ``series`` (A's receipt series), ``txn`` (the owner's sandbox
  payment), ``notice`` (one of the owner's notices), ``agency`` (A), ``staff_user`` (officer
  A's account), ``procedure`` (a procedure of Công an tỉnh, outside A's and B's subtrees, with
  a designer draft open), ``public_procedure`` (a published commune procedure),
  ``procedure_document`` (that procedure exported, sent as the JSON body), ``lookup`` (the
  dossier's code and lookup secret, sent as query or form), ``stored`` (a document of the
  owner's document store, kho dữ liệu: a component of the received dossier), ``booking`` (the
  owner's appointment at A, by its code).
* ``ALLOWED``: the principals that may use the route on that resource — a union of the groups
  below (``OWNER | STAFF_A | SYSTEM_ADMIN``). Every other principal must be refused.
* ``resource=GROUP`` (optional, repeatable): the same route checked once more on another
  resource of the same kind with its own allowed group, e.g. ``draft=OWNER`` on a dossier read
  (a citizen's unsubmitted draft is theirs alone).
* ``**request`` (optional): what the request carries — ``json=`` (API body), ``form=`` (page
  form; the CSRF token is added), ``files=`` (multipart), ``query=``, a fixed path parameter
  (``op="khoa"``), ``why=`` (why the rule is what it is), and ``xfail="reason"`` for a known
  defect (the test then reports it instead of failing, and fails once it is fixed).
* ``sees=GROUP``: principals who see the resource but may not do this (staff of A on an action
  of another role); they may also be refused with 409 or 422, which tells them nothing they
  cannot read anyway — never with a 2xx.
* ``login_step=True``: a step of the two-step login; for an allowed principal with no login under
  way, the redirect back to ``/dang-nhap`` is the route's answer, not a refusal.
* ``absent="message"``: an allowed principal's 404 with this message is the object itself
  missing (no rating yet), not a refusal.

Adding a route is adding its line; the test names any route left without one.

A write carries a body that passes the route's input validation where the refusal comes after
it, so that what is tested is the authorisation, not the body's shape.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.stats.dates import local_today
from tests.authz.world import AGENCY_A, OTHER_EMAIL, PRINCIPALS
from tests.conftest import DEMO_PASSWORD


def _group(*names: str) -> frozenset[str]:
    unknown = set(names) - set(PRINCIPALS)
    assert not unknown, unknown
    return frozenset(names)


EVERYONE = frozenset(PRINCIPALS)
LOGGED_IN = EVERYONE - {"anonymous"}
NOBODY: frozenset[str] = frozenset()
OWNER = _group("owner")
CITIZENS = _group("owner", "other_citizen")
SYSTEM_ADMIN = _group("system_admin")
OFFICER_A = _group("officer_a")
CASHIER_A = _group("cashier_a")
ADMIN_A = _group("admin_a")  # agency admin of A's subtree
STAFF_A = _group("officer_a", "specialist_a", "cashier_a", "admin_a")  # any role at A
SPECIALIST_A = _group("specialist_a")  # the dossier's current step (XL) is theirs
STAFF_B = _group("officer_b", "admin_b")
ADMINS = _group("admin_a", "admin_b", "system_admin")  # the admin area, each in its scope
STAFF = STAFF_A | STAFF_B | SYSTEM_ADMIN
SEE_A = OWNER | STAFF_A | SYSTEM_ADMIN  # who sees the owner's dossier in A
RECEPTION = _group("officer_a", "officer_b")
CASHIERS = _group("cashier_a", "officer_b")
MANAGE_RECEIPTS = CASHIER_A | ADMIN_A | SYSTEM_ADMIN  # the agency's cashier, admins above it
CALLERS = RECEPTION | _group("admin_a", "admin_b")  # who calls queue tickets at their agency
BIRTH = "1.001193"  # a commune procedure booked at A
NOBODY_WAITING = "Không còn số nào đang chờ."


RESOURCES = (
    "-", "dossier", "draft", "waiting", "counter", "file", "draft_file", "counter_file",
    "document", "verify", "payment", "receipt", "series", "txn", "notice", "agency",
    "staff_user", "procedure", "public_procedure", "lookup", "procedure_document", "stored",
    "booking",
    "feedback", "feedback_file", "feedback_lookup",
)  # fmt: skip


@dataclass(frozen=True)
class Entry:
    method: str
    path: str
    resource: str
    allowed: frozenset[str]
    request: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, str]:
        return (self.method, self.path)

    @property
    def is_page(self) -> bool:
        return not (
            self.path.startswith("/api/")
            or self.path in ("/healthz", "/openapi.json", "/readyz", "/metrics")
        )

    @property
    def checks(self) -> list[tuple[str, frozenset[str]]]:
        """(resource, allowed) pairs to run: the entry's own, then those given by keyword."""
        more = [(k, v) for k, v in self.request.items() if k in RESOURCES]
        return [(self.resource, self.allowed), *more]

    @property
    def xfail(self) -> str:
        return str(self.request.get("xfail", ""))


def R(route: str, resource: str, allowed: frozenset[str], **request: Any) -> Entry:
    method, path = route.split(" ", 1)
    return Entry(method, path, resource, allowed, request)


PDF = {"file": ("giay-to.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")}
REASON = {"reason": "Kiểm tra ma trận phân quyền"}
SUPPLEMENT = {"action": "request_supplement", "comment": "Thiếu giấy tờ"}
LOGIN_OTHER = {"username": OTHER_EMAIL, "password": DEMO_PASSWORD}
NEW_OFFICER_OF_A = {
    "email": "moi.matran@example.vn",
    "full_name": "Cán Bộ Mới",
    "agency_code": AGENCY_A,
    "roles": ["reception"],
}
NEW_UNIT_OF_A = {
    "code": "000.51.01.H31",
    "name": "Bộ phận một cửa",
    "level": "department",
    "parent_code": AGENCY_A,
}
PAR_YEAR = str(local_today().year)  # the demo's open PAR round
PAR_WHY = "unpublished PAR scores: par_admin, par_council, the unit's own leader only"
BOOK_OF_A = {"agency": AGENCY_A, "from": "2026-01-01", "to": "2026-12-31", "format": "json"}

# fmt: off
MATRIX: list[Entry] = [
    # --- the platform ----------------------------------------------------------------------
    R("GET /openapi.json", "-", EVERYONE, why="public by design (README)"),
    R("GET /docs", "-", EVERYONE, why="public by design (README)"),
    R("GET /favicon.ico", "-", EVERYONE),
    R("GET /healthz", "-", EVERYONE),
    R("GET /readyz", "-", EVERYONE, why="what is down, no detail (SPEC §14)"),
    R("GET /metrics", "-", NOBODY, why="loopback or PORTAL_METRICS_TOKEN only; the test client is neither (ADR 0031)"),
    # --- accounts (API) --------------------------------------------------------------------
    R("POST /api/v1/auth/register", "-", EVERYONE),
    R("POST /api/v1/auth/token", "-", EVERYONE, form=LOGIN_OTHER),
    R("GET /api/v1/auth/me", "-", LOGGED_IN),
    R("PATCH /api/v1/auth/me", "-", LOGGED_IN, json={}),
    R("POST /api/v1/auth/logout", "-", LOGGED_IN),
    R("GET /api/v1/auth/totp", "-", LOGGED_IN),
    R("POST /api/v1/auth/totp/enrol", "-", LOGGED_IN),
    R("POST /api/v1/auth/totp/confirm", "-", LOGGED_IN, json={"otp": "123456"}),
    R("POST /api/v1/auth/totp/recovery-codes", "-", LOGGED_IN),
    R("POST /api/v1/auth/totp/disable", "-", LOGGED_IN, json={"password": "x"}),
    R("POST /api/v1/admin/users/{user_id}/totp/reset", "staff_user", ADMIN_A | SYSTEM_ADMIN),
    R("PUT /api/v1/admin/agencies/{code}/two-factor", "agency", ADMIN_A | SYSTEM_ADMIN, json={"required": False}),
    R("POST /api/v1/auth/password", "-", LOGGED_IN),
    R("POST /api/v1/auth/password-reset", "-", EVERYONE, json={"email": "x@example.vn"}),
    R("POST /api/v1/auth/password-reset/confirm", "-", EVERYONE),
    R("GET /api/v1/admin/users", "-", ADMINS),
    R("POST /api/v1/admin/users", "-", ADMIN_A | SYSTEM_ADMIN, json=NEW_OFFICER_OF_A, why="staff of A: not in B's subtree"),
    R("GET /api/v1/admin/users/{user_id}", "staff_user", ADMIN_A | SYSTEM_ADMIN),
    R("PATCH /api/v1/admin/users/{user_id}", "staff_user", ADMIN_A | SYSTEM_ADMIN, json={}),
    R("POST /api/v1/admin/users/{user_id}/reset-password", "staff_user", ADMIN_A | SYSTEM_ADMIN, json={}),
    # --- agencies (API) --------------------------------------------------------------------
    R("GET /api/v1/agencies", "-", EVERYONE),
    R("GET /api/v1/agencies/{code}", "agency", EVERYONE),
    R("GET /api/v1/admin/agencies", "-", ADMINS),
    R("POST /api/v1/admin/agencies", "-", ADMIN_A | SYSTEM_ADMIN, json=NEW_UNIT_OF_A, why="a unit under A: not in B's subtree"),
    R("GET /api/v1/admin/agencies/{code}", "agency", ADMIN_A | SYSTEM_ADMIN),
    R("PATCH /api/v1/admin/agencies/{code}", "agency", ADMIN_A | SYSTEM_ADMIN, json={}),
    # --- audit, calendar, catalogue (API) --------------------------------------------------
    R("GET /api/v1/audit", "-", ADMINS),
    R("GET /api/v1/audit/verify", "-", SYSTEM_ADMIN),
    R("GET /api/v1/admin/national-sync", "-", SYSTEM_ADMIN, why="the province's connection to the national portal"),
    R("POST /api/v1/admin/national-sync/retry", "-", SYSTEM_ADMIN, json={"ids": [999999]}, absent="Không tìm thấy tin đồng bộ."),
    R("POST /api/v1/admin/national-sync/discard", "-", SYSTEM_ADMIN, json={"ids": [999999]}, absent="Không tìm thấy tin đồng bộ."),
    R("GET /api/v1/calendar/due-date", "-", EVERYONE),
    R("GET /api/v1/calendar/holidays", "-", EVERYONE),
    R("GET /api/v1/procedures", "-", EVERYONE),
    R("GET /api/v1/procedures/{code}", "public_procedure", EVERYONE),
    R("GET /api/v1/admin/procedures", "-", ADMINS),
    R("GET /api/v1/admin/procedures/{code}/export", "procedure", SYSTEM_ADMIN),
    R("POST /api/v1/admin/procedures/import", "procedure_document", SYSTEM_ADMIN, why="its agencies are outside A's and B's subtrees"),
    R("POST /api/v1/admin/procedures/{code}/publish", "procedure", SYSTEM_ADMIN),
    # --- dossiers (API) --------------------------------------------------------------------
    R("POST /api/v1/dossiers", "-", LOGGED_IN, json={"procedure_code": "1.001193", "agency_code": AGENCY_A}),
    R("GET /api/v1/dossiers", "-", LOGGED_IN),
    R("GET /api/v1/dossiers/{dossier_id}", "dossier", SEE_A, draft=OWNER, counter=STAFF_A | SYSTEM_ADMIN),
    R("PATCH /api/v1/dossiers/{dossier_id}", "draft", OWNER, json={}),
    R("DELETE /api/v1/dossiers/{dossier_id}", "draft", OWNER),
    R("POST /api/v1/dossiers/{dossier_id}/copy", "dossier", OWNER),
    R("POST /api/v1/dossiers/{dossier_id}/files", "draft", OWNER, form={"component": "GCS"}, files=PDF),
    R("DELETE /api/v1/dossiers/{dossier_id}/files/{file_id}", "draft_file", OWNER),
    R("GET /api/v1/dossiers/{dossier_id}/files/{file_id}", "file", SEE_A, draft_file=OWNER, counter_file=STAFF_A | SYSTEM_ADMIN),
    R("POST /api/v1/dossiers/{dossier_id}/submit", "draft", OWNER),
    R("POST /api/v1/dossiers/{dossier_id}/actions", "dossier", SPECIALIST_A, json=SUPPLEMENT, sees=SEE_A),
    R("GET /api/v1/queue", "-", STAFF_A | STAFF_B, why="system admins have no queue"),
    R("GET /api/v1/dossiers/{dossier_id}/documents", "dossier", SEE_A, draft=OWNER),
    R("GET /api/v1/documents/{document_id}/pdf", "document", SEE_A),
    R("GET /api/v1/lookup", "lookup", EVERYONE, why="status and timeline only"),
    # --- notices, payments, receipts, reports, ratings, stats (API) ------------------------
    R("GET /api/v1/me/documents", "-", LOGGED_IN),
    R("GET /api/v1/me/documents/{document_id}", "stored", OWNER, why="the store is personal: staff and admins included, nobody else sees it"),
    R("GET /api/v1/me/documents/{document_id}/file", "stored", OWNER),
    R("DELETE /api/v1/me/documents/{document_id}", "stored", OWNER),
    R("GET /api/v1/notifications", "-", LOGGED_IN),
    R("POST /api/v1/notifications/{notice_id}/read", "notice", OWNER),
    R("POST /api/v1/notifications/read-all", "-", LOGGED_IN),
    R("POST /api/v1/dossiers/{dossier_id}/payments", "waiting", OWNER, json={"method": "sandbox"}),
    R("GET /api/v1/dossiers/{dossier_id}/payments", "dossier", SEE_A, draft=OWNER, waiting=SEE_A),
    R("POST /api/v1/dossiers/{dossier_id}/refunds", "dossier", CASHIER_A | ADMIN_A, json={"method": "cash", **REASON}, sees=SEE_A),
    R("GET /api/v1/dossiers/{dossier_id}/refunds", "dossier", SEE_A),
    R("GET /api/v1/payments/{payment_id}", "payment", SEE_A),
    R("GET /api/v1/payments/vnpay/ipn", "-", EVERYONE),
    R("GET /api/v1/receipts", "-", STAFF),
    R("GET /api/v1/receipts/usage-report", "-", CASHIER_A | ADMIN_A | STAFF_B | SYSTEM_ADMIN, why="the agency's cashiers and leaders, admins above it (officer B is B's cashier)"),
    R("GET /api/v1/receipts/{receipt_id}", "receipt", SEE_A),
    R("GET /api/v1/receipts/{receipt_id}/pdf", "receipt", SEE_A),
    R("GET /api/v1/receipts/{receipt_id}/xml", "receipt", SEE_A, why="the same readers as the receipt; 409 while A has no certificate"),
    R("POST /api/v1/receipts/{receipt_id}/cancel", "receipt", MANAGE_RECEIPTS, json=REASON, sees=SEE_A),
    R("POST /api/v1/receipts/{receipt_id}/replace", "receipt", MANAGE_RECEIPTS, json={"reason": "Sai tên"}, sees=SEE_A),
    R("GET /api/v1/reports/tracking-book", "-", STAFF_A | SYSTEM_ADMIN, query=BOOK_OF_A),
    R("POST /api/v1/dossiers/{dossier_id}/rating", "dossier", OWNER, json={"score": 5}),
    R("GET /api/v1/dossiers/{dossier_id}/rating", "dossier", SEE_A, absent="Hồ sơ chưa được đánh giá."),
    R("GET /api/v1/stats/indicators", "-", EVERYONE),
    R("GET /api/v1/stats/ranking", "-", EVERYONE),
    # --- home, accounts (pages) ------------------------------------------------------------
    R("GET /", "-", EVERYONE),
    R("GET /quan-tri", "-", ADMINS),
    R("GET /dang-ky", "-", EVERYONE),
    R("POST /dang-ky", "-", EVERYONE),
    R("GET /dang-nhap", "-", EVERYONE),
    R("POST /dang-nhap", "-", EVERYONE, form={"email": OTHER_EMAIL, "password": DEMO_PASSWORD}),
    R("POST /dang-xuat", "-", EVERYONE),
    R("POST /tai-khoan/dang-xuat-moi-noi", "-", LOGGED_IN),
    R("GET /tai-khoan", "-", LOGGED_IN),
    R("GET /tai-khoan/thong-tin", "-", LOGGED_IN),
    R("POST /tai-khoan/thong-tin", "-", LOGGED_IN),
    R("GET /tai-khoan/mat-khau", "-", LOGGED_IN),
    R("POST /tai-khoan/mat-khau", "-", LOGGED_IN),
    R("GET /tai-khoan/quen-mat-khau", "-", EVERYONE),
    R("POST /tai-khoan/quen-mat-khau", "-", EVERYONE),
    R("GET /tai-khoan/dat-lai-mat-khau", "-", EVERYONE),
    R("POST /tai-khoan/dat-lai-mat-khau", "-", EVERYONE),
    R("GET /ngon-ngu/{lang}", "-", EVERYONE, lang="en"),
    R("GET /quan-tri/nguoi-dung", "-", ADMINS),
    R("GET /quan-tri/nguoi-dung/them", "-", ADMINS),
    R("POST /quan-tri/nguoi-dung/them", "-", ADMINS),
    R("GET /quan-tri/nguoi-dung/{user_id}", "staff_user", ADMIN_A | SYSTEM_ADMIN),
    R("POST /quan-tri/nguoi-dung/{user_id}", "staff_user", ADMIN_A | SYSTEM_ADMIN),
    R("POST /quan-tri/nguoi-dung/{user_id}/mat-khau", "staff_user", ADMIN_A | SYSTEM_ADMIN),
    R("POST /quan-tri/nguoi-dung/{user_id}/{op}", "staff_user", ADMIN_A | SYSTEM_ADMIN, op="khoa"),
    R("POST /quan-tri/nguoi-dung/{user_id}/dang-nhap/go-han-che", "staff_user", ADMIN_A | SYSTEM_ADMIN, why="officer A has a failed login to forget"),
    R("POST /quan-tri/nguoi-dung/{user_id}/xac-thuc-hai-buoc/dat-lai", "staff_user", ADMIN_A | SYSTEM_ADMIN),
    # Counter services (SPEC §15): appointments, queue tickets, the calling screen.
    R("GET /api/v1/bookings/slots", "-", EVERYONE, query={"procedure_code": BIRTH, "agency_code": AGENCY_A, "date": "2027-01-04"}, why="the bands and their free places are public"),
    R("POST /api/v1/bookings", "-", LOGGED_IN, json={"procedure_code": BIRTH, "agency_code": AGENCY_A, "start": "2027-01-04T08:30:00+07:00"}),
    R("GET /api/v1/bookings", "-", LOGGED_IN),
    R("GET /api/v1/bookings/{code}", "booking", OWNER, why="an appointment is personal"),
    R("POST /api/v1/bookings/{code}/cancel", "booking", OWNER),
    R("POST /api/v1/tickets", "-", EVERYONE, json={"agency_code": AGENCY_A}, why="the kiosk is anonymous"),
    R("POST /api/v1/tickets/check-in", "-", EVERYONE, json={"agency_code": AGENCY_A, "code": "LH-KHONGCO"}),
    R("POST /api/v1/tickets/call-next", "-", CALLERS, json={"counter": 1}, absent=NOBODY_WAITING, why="reception (and the agency admin) call at their own agency"),
    R("GET /api/v1/queues/{agency_code}", "agency", EVERYONE, why="what the calling screen shows in the hall"),
    R("PUT /api/v1/admin/agencies/{code}/booking-settings", "agency", ADMIN_A | SYSTEM_ADMIN, json={"band_minutes": 60, "counters": 2, "places_per_counter": 3}),
    R("GET /dat-lich", "-", LOGGED_IN),
    R("POST /dat-lich", "-", LOGGED_IN, form={"agency_code": AGENCY_A, "procedure_code": BIRTH, "start": ""}),
    R("GET /dat-lich/{code}", "booking", OWNER),
    R("POST /dat-lich/{code}/huy", "booking", OWNER),
    R("GET /kiosk/{agency_code}", "agency", EVERYONE),
    R("POST /kiosk/{agency_code}/lay-so", "agency", EVERYONE, form={"service": "chung"}),
    R("POST /kiosk/{agency_code}/lich-hen", "agency", EVERYONE, form={"code": "LH-KHONGCO"}),
    R("GET /hang-doi/{agency_code}", "agency", EVERYONE),
    R("GET /hang-doi/{agency_code}/su-kien", "agency", EVERYONE, query={"once": "1"}),
    R("GET /can-bo/goi-so", "-", CALLERS),
    R("POST /can-bo/goi-so", "-", CALLERS, form={"counter": "1"}, absent=NOBODY_WAITING),
    R("GET /quan-tri/dat-lich", "-", ADMINS),
    R("GET /quan-tri/dat-lich/{code}", "agency", ADMIN_A | SYSTEM_ADMIN),
    R("POST /quan-tri/dat-lich/{code}", "agency", ADMIN_A | SYSTEM_ADMIN, form={"band_minutes": "60", "counters": "2", "places_per_counter": "3"}),
    R("GET /tai-khoan/kho-du-lieu", "-", LOGGED_IN),
    R("GET /tai-khoan/kho-du-lieu/{document_id}/tai-ve", "stored", OWNER),
    R("POST /tai-khoan/kho-du-lieu/{document_id}/xoa", "stored", OWNER),
    R("GET /tai-khoan/xac-thuc-hai-buoc", "-", LOGGED_IN),
    R("POST /tai-khoan/xac-thuc-hai-buoc/bat-dau", "-", LOGGED_IN),
    R("POST /tai-khoan/xac-thuc-hai-buoc/xac-nhan", "-", LOGGED_IN, form={"otp": "123456"}),
    R("POST /tai-khoan/xac-thuc-hai-buoc/ma-khoi-phuc", "-", LOGGED_IN),
    R("POST /tai-khoan/xac-thuc-hai-buoc/tat", "-", LOGGED_IN, form={"password": "x"}),
    R("GET /dang-nhap/ma-xac-thuc", "-", EVERYONE, login_step=True),
    R("POST /dang-nhap/ma-xac-thuc", "-", EVERYONE, form={"otp": "123456"}, login_step=True),
    R("POST /dang-nhap/huy", "-", EVERYONE, login_step=True),
    R("GET /dang-nhap/vneid", "-", EVERYONE, absent="Đăng nhập bằng VNeID chưa được bật trên Cổng này.", why="e-ID login: off until PORTAL_OIDC_ISSUER is set (tests/accounts/test_eid_login.py)"),
    R("GET /dang-nhap/vneid/callback", "-", EVERYONE, absent="Đăng nhập bằng VNeID chưa được bật trên Cổng này.", why="e-ID login: off until PORTAL_OIDC_ISSUER is set (tests/accounts/test_eid_login.py)"),
    R("POST /quan-tri/co-quan/{code}/xac-thuc-hai-buoc/yeu-cau", "agency", ADMIN_A | SYSTEM_ADMIN),
    # --- catalogue and designer (pages) ----------------------------------------------------
    R("GET /thu-tuc", "-", EVERYONE),
    R("GET /thu-tuc/{code}", "public_procedure", EVERYONE),
    R("GET /thu-tuc/{code}/mau/{component}", "public_procedure", EVERYONE),
    R("POST /quan-tri/thu-tuc/{code}/ban-nhap/thanh-phan/{index}/mau", "procedure", SYSTEM_ADMIN, index="0", files=PDF),
    R("POST /quan-tri/thu-tuc/{code}/ban-nhap/thanh-phan/{index}/mau/xoa", "procedure", SYSTEM_ADMIN, index="0"),
    R("GET /quan-tri/thu-tuc", "-", ADMINS),
    R("GET /quan-tri/thu-tuc/moi", "-", ADMINS),
    R("POST /quan-tri/thu-tuc/moi", "-", ADMINS),
    R("GET /quan-tri/thu-tuc/nhap", "-", ADMINS),
    R("POST /quan-tri/thu-tuc/nhap", "-", ADMINS),
    R("GET /quan-tri/thu-tuc/{code}", "procedure", SYSTEM_ADMIN),
    R("POST /quan-tri/thu-tuc/{code}/sua", "procedure", SYSTEM_ADMIN),
    R("GET /quan-tri/thu-tuc/{code}/ban-nhap", "procedure", SYSTEM_ADMIN),
    R("POST /quan-tri/thu-tuc/{code}/ban-nhap", "procedure", SYSTEM_ADMIN),
    R("GET /quan-tri/thu-tuc/{code}/ban-nhap/xem-truoc", "procedure", SYSTEM_ADMIN),
    R("POST /quan-tri/thu-tuc/{code}/ban-nhap/cong-bo", "procedure", SYSTEM_ADMIN),
    R("POST /quan-tri/thu-tuc/{code}/ban-nhap/huy", "procedure", SYSTEM_ADMIN),
    R("GET /quan-tri/thu-tuc/{code}/ban-nhap/{slug}", "procedure", SYSTEM_ADMIN, slug="thanh-phan"),
    R("POST /quan-tri/thu-tuc/{code}/ban-nhap/{slug}/them", "procedure", SYSTEM_ADMIN, slug="thanh-phan"),
    R("POST /quan-tri/thu-tuc/{code}/ban-nhap/{slug}/{index}/{op}", "procedure", SYSTEM_ADMIN, slug="thanh-phan", index="0", op="xuong"),
    # --- dossiers (pages) ------------------------------------------------------------------
    R("GET /thu-tuc/{code}/nop-ho-so", "public_procedure", LOGGED_IN),
    R("POST /thu-tuc/{code}/nop-ho-so", "public_procedure", LOGGED_IN),
    R("GET /ho-so/{dossier_id}/khai", "draft", OWNER),
    R("POST /ho-so/{dossier_id}/khai", "draft", OWNER),
    R("POST /ho-so/{dossier_id}/tep", "draft", OWNER, form={"component": "GCS"}, files=PDF),
    R("POST /ho-so/{dossier_id}/tep/{file_id}/xoa", "draft_file", OWNER),
    R("POST /ho-so/{dossier_id}/nop", "draft", OWNER),
    R("GET /ho-so", "-", LOGGED_IN),
    R("GET /ho-so/{dossier_id}/xoa", "draft", OWNER),
    R("POST /ho-so/{dossier_id}/xoa", "draft", OWNER),
    R("POST /ho-so/{dossier_id}/sao-chep", "dossier", OWNER),
    R("GET /ho-so/{dossier_id}", "dossier", SEE_A, draft=OWNER, why="staff are sent on to the desk page"),
    R("POST /ho-so/{dossier_id}/rut", "dossier", OWNER, form={"reason": "Không cần nữa", "confirm": "1"}),
    R("GET /ho-so/{dossier_id}/tep/{file_id}", "file", SEE_A, draft_file=OWNER),
    R("GET /ho-so/{dossier_id}/van-ban/{document_id}", "document", SEE_A),
    R("GET /tra-cuu", "-", EVERYONE),
    R("POST /tra-cuu", "lookup", EVERYONE, why="status and timeline only"),
    R("GET /xac-minh/{token}", "verify", EVERYONE),
    # --- staff desk (pages) ----------------------------------------------------------------
    R("GET /can-bo", "-", STAFF),
    R("GET /can-bo/ho-so/{dossier_id}", "dossier", STAFF_A | SYSTEM_ADMIN, draft=NOBODY, counter=STAFF_A | SYSTEM_ADMIN),
    R("GET /can-bo/ho-so/{dossier_id}/tep/{file_id}", "file", STAFF_A | SYSTEM_ADMIN, draft_file=NOBODY),
    R("GET /can-bo/ho-so/{dossier_id}/van-ban/{document_id}", "document", STAFF_A | SYSTEM_ADMIN),
    R("POST /can-bo/ho-so/{dossier_id}/thao-tac", "dossier", SPECIALIST_A, form=SUPPLEMENT, sees=SEE_A),
    R("GET /can-bo/tiep-nhan", "-", RECEPTION),
    R("POST /can-bo/tiep-nhan", "-", RECEPTION),
    R("GET /can-bo/tiep-nhan/{dossier_id}", "counter", OFFICER_A),
    R("POST /can-bo/tiep-nhan/{dossier_id}/thong-tin", "counter", OFFICER_A),
    R("POST /can-bo/tiep-nhan/{dossier_id}/tep", "counter", OFFICER_A, form={"component": "GCS"}, files=PDF),
    R("POST /can-bo/tiep-nhan/{dossier_id}/tep/{file_id}/xoa", "counter_file", OFFICER_A),
    R("POST /can-bo/tiep-nhan/{dossier_id}/tiep-nhan", "counter", OFFICER_A),
    R("GET /can-bo/so-theo-doi", "-", STAFF),
    # --- payments and receipts (pages) -----------------------------------------------------
    R("GET /ho-so/{dossier_id}/thanh-toan", "waiting", SEE_A),
    R("POST /ho-so/{dossier_id}/thanh-toan", "waiting", OWNER, form={"method": "sandbox"}),
    R("GET /thanh-toan/sandbox/{txn_ref}", "txn", OWNER),
    R("POST /thanh-toan/sandbox/{txn_ref}", "txn", OWNER, form={"decision": "cancel"}),
    R("GET /thanh-toan/ket-qua", "-", EVERYONE),
    R("GET /bien-lai/{receipt_id}", "receipt", SEE_A),
    R("GET /bien-lai/{receipt_id}/pdf", "receipt", SEE_A),
    R("POST /bien-lai/{receipt_id}/huy", "receipt", MANAGE_RECEIPTS, form={"cancel_reason": "Thu nhầm"}, sees=SEE_A),
    R("POST /bien-lai/{receipt_id}/thay-the", "receipt", MANAGE_RECEIPTS, form={"replace_reason": "Sai tên"}, sees=SEE_A),
    R("GET /can-bo/thu-phi", "-", CASHIERS),
    R("POST /can-bo/thu-phi/{dossier_id}", "waiting", CASHIER_A, form={"method": "cash"}, sees=SEE_A),
    R("POST /can-bo/thu-phi/{dossier_id}/hoan-phi", "dossier", CASHIER_A, form={"method": "cash", **REASON}, sees=SEE_A),
    R("GET /can-bo/bien-lai", "-", CASHIER_A | ADMIN_A | STAFF_B),
    R("GET /can-bo/bien-lai/su-dung", "-", CASHIER_A | ADMIN_A | STAFF_B, why="the usage report of one's own agency: cashiers, leaders, agency admins"),
    R("GET /quan-tri/bien-lai", "-", ADMINS),
    R("POST /quan-tri/bien-lai", "-", ADMINS),
    R("POST /quan-tri/bien-lai/{series_id}/ngung", "series", ADMIN_A | SYSTEM_ADMIN),
    # --- agencies, calendar, certificates, audit (pages) -----------------------------------
    R("GET /quan-tri/co-quan", "-", ADMINS),
    R("GET /quan-tri/co-quan/them", "-", ADMINS),
    R("POST /quan-tri/co-quan/them", "-", ADMINS),
    R("GET /quan-tri/co-quan/{code}", "agency", ADMIN_A | SYSTEM_ADMIN),
    R("POST /quan-tri/co-quan/{code}", "agency", ADMIN_A | SYSTEM_ADMIN),
    R("POST /quan-tri/co-quan/{code}/{op}", "agency", SYSTEM_ADMIN, op="ngung", why="an agency admin cannot stop the root of their own subtree"),
    R("GET /quan-tri/lich", "-", SYSTEM_ADMIN),
    R("POST /quan-tri/lich/ngay", "-", SYSTEM_ADMIN),
    R("POST /quan-tri/lich/ngay/xoa", "-", SYSTEM_ADMIN, form={"day": "31/12/2026"}, absent="Không có điều chỉnh lịch cho ngày này."),
    R("POST /quan-tri/lich/gio-lam-viec", "-", SYSTEM_ADMIN),
    R("POST /quan-tri/lich/quy-tac", "-", SYSTEM_ADMIN),
    R("POST /quan-tri/lich/quy-tac/mac-dinh", "-", SYSTEM_ADMIN),
    R("POST /quan-tri/lich/xac-nhan", "-", SYSTEM_ADMIN, form={"year": "2026", "source": "Thông báo số 6150/TB-LĐTBXH"}),
    R("GET /quan-tri/chung-thu-so", "-", ADMINS),
    R("POST /quan-tri/chung-thu-so", "-", ADMINS),
    R("GET /quan-tri/nhat-ky", "-", ADMINS),
    R("GET /quan-tri/dong-bo-quoc-gia", "-", SYSTEM_ADMIN),
    R("POST /quan-tri/dong-bo-quoc-gia/gui-lai", "-", SYSTEM_ADMIN, form={"id": "999999"}),
    R("POST /quan-tri/dong-bo-quoc-gia/bo", "-", SYSTEM_ADMIN, form={"id": "999999"}),
    # --- notices, ratings, statistics (pages) ----------------------------------------------
    R("GET /thong-bao", "-", LOGGED_IN),
    R("POST /thong-bao/da-doc", "-", LOGGED_IN),
    R("POST /thong-bao/{notice_id}/da-doc", "notice", OWNER),
    R("POST /ho-so/{dossier_id}/danh-gia", "dossier", OWNER, form={"score": "5"}),
    R("GET /thong-ke", "-", EVERYONE),
    R("GET /thong-ke/xlsx", "-", EVERYONE),
    R("GET /can-bo/bang-dieu-khien", "-", ADMINS),
    R("GET /can-bo/bang-dieu-khien/xlsx", "-", ADMINS),
    # --- the PAR index (app/par): this year's round is open, unpublished; only par_admin,
    # par_council and (their own unit) the unit's leader see it — none of the world's
    # principals (tests/par holds the positive cases) ----------------------------------------
    R("GET /api/v1/par/rounds", "-", EVERYONE),
    R("GET /api/v1/par/rounds/{year}/ranking", "-", NOBODY, year=PAR_YEAR, why=PAR_WHY),
    R("GET /api/v1/par/rounds/{year}/units/{agency_code}", "-", NOBODY, year=PAR_YEAR, agency_code=AGENCY_A, why=PAR_WHY),
    R("GET /api/v1/par/rounds/{year}/export.xlsx", "-", NOBODY, year=PAR_YEAR, why=PAR_WHY),
    R("GET /chi-so-cchc", "-", EVERYONE),
    R("GET /chi-so-cchc/{year}/don-vi/{agency_code}", "-", NOBODY, year=PAR_YEAR, agency_code=AGENCY_A, why=PAR_WHY),
    R("POST /chi-so-cchc/{year}/don-vi/{agency_code}/dieu-chinh", "-", NOBODY, year=PAR_YEAR, agency_code=AGENCY_A, form={"criterion_id": "1", "score": "1", "reason": "Thử"}),
    R("GET /chi-so-cchc/{year}/xuat-excel", "-", NOBODY, year=PAR_YEAR, why=PAR_WHY),
    R("GET /chi-so-cchc/{year}/phu-luc.pdf", "-", NOBODY, year=PAR_YEAR, why=PAR_WHY),
    R("GET /chi-so-cchc/minh-chung/{evidence_id}", "-", NOBODY, evidence_id="1"),
    R("GET /chi-so-cchc/{year}/tu-danh-gia", "-", NOBODY, year=PAR_YEAR, why="a unit's leader only (officer A is reception)"),
    R("POST /chi-so-cchc/{year}/tu-danh-gia", "-", NOBODY, year=PAR_YEAR),
    R("POST /chi-so-cchc/{year}/tu-danh-gia/minh-chung", "-", NOBODY, year=PAR_YEAR, files=PDF, form={"criterion_id": "1"}),
    R("POST /chi-so-cchc/{year}/tu-danh-gia/nop", "-", NOBODY, year=PAR_YEAR),
    R("GET /chi-so-cchc/quan-ly", "-", NOBODY),
    R("POST /chi-so-cchc/quan-ly/bo-tieu-chi", "-", NOBODY, files=PDF, form={"year": "2030", "unit_type": "commune"}),
    R("GET /chi-so-cchc/quan-ly/bo-tieu-chi/{set_id}/xlsx", "-", NOBODY, set_id="1"),
    R("POST /chi-so-cchc/quan-ly/mo-ky", "-", NOBODY, form={"year": "2030", "deadline": "31/12/2030"}),
    R("GET /chi-so-cchc/quan-ly/{year}", "-", NOBODY, year=PAR_YEAR),
    R("POST /chi-so-cchc/quan-ly/{year}/ket-thuc", "-", NOBODY, year=PAR_YEAR),
    R("POST /chi-so-cchc/quan-ly/{year}/phe-duyet", "-", NOBODY, year=PAR_YEAR),
    R("POST /chi-so-cchc/quan-ly/{year}/cong-bo", "-", NOBODY, year=PAR_YEAR),
    R("POST /chi-so-cchc/quan-ly/{year}/khao-sat", "-", NOBODY, year=PAR_YEAR, files=PDF),
    R("POST /chi-so-cchc/quan-ly/{year}/khao-sat/{import_id}", "-", NOBODY, year=PAR_YEAR, import_id="1"),
    # Notice channels and results by post (issue 24, parts 3 and 4).
    R("GET /api/v1/notifications/channels", "-", LOGGED_IN),
    R("PUT /api/v1/notifications/channels", "-", LOGGED_IN, json={"channels": ["in_app", "email"]}),
    R("GET /api/v1/admin/notice-deliveries", "-", SYSTEM_ADMIN, why="the province's gateways and every citizen's messages"),
    R("POST /api/v1/admin/notice-deliveries/{message_id}/retry", "-", SYSTEM_ADMIN, message_id="999999", absent="Không tìm thấy tin nhắn."),
    R("GET /tai-khoan/thong-bao", "-", LOGGED_IN),
    R("POST /tai-khoan/thong-bao", "-", LOGGED_IN, form={"channels": "email"}),
    R("GET /quan-tri/thong-bao-gui", "-", SYSTEM_ADMIN),
    R("POST /quan-tri/thong-bao-gui/gui-lai", "-", SYSTEM_ADMIN, form={"id": "999999"}),
    R("GET /api/v1/dossiers/{dossier_id}/result-delivery", "dossier", SEE_A, draft=OWNER, counter=STAFF_A | SYSTEM_ADMIN),
    R("PUT /api/v1/dossiers/{dossier_id}/result-delivery", "draft", OWNER, json={"method": "online"}),
    # --- feedback (phản ánh, kiến nghị; SPEC §12) ------------------------------------------
    R("POST /api/v1/feedback", "-", EVERYONE, json={"subject": "Góp ý", "content": "Nội dung góp ý đủ dài.", "agency_code": AGENCY_A, "sender": {"full_name": "Người Gửi", "phone": "0912000111"}}),
    R("GET /api/v1/feedback/lookup", "feedback_lookup", EVERYONE, why="status and answer only, never the sender"),
    R("GET /api/v1/feedback/public", "-", EVERYONE),
    R("GET /api/v1/feedback", "-", STAFF, why="each staff member sees their own agency's items"),
    R("GET /api/v1/feedback/{feedback_id}", "feedback", STAFF_A | SYSTEM_ADMIN),
    R("POST /api/v1/feedback/{feedback_id}/actions", "feedback", OFFICER_A | SPECIALIST_A, json={"action": "answer", "answer": "Nội dung trả lời đủ dài."}, sees=STAFF_A | SYSTEM_ADMIN, why="reception and specialist officers of the agency answer"),
    R("GET /phan-anh", "-", EVERYONE),
    R("GET /phan-anh/gui", "-", EVERYONE),
    R("POST /phan-anh/gui", "-", EVERYONE, form={"subject": "Góp ý", "content": "Nội dung góp ý đủ dài.", "agency_code": AGENCY_A, "full_name": "Người Gửi", "phone": "0912000111"}, why="anonymous without the signed time token: 422, a bot's form"),
    R("GET /phan-anh/tra-cuu", "-", EVERYONE),
    R("POST /phan-anh/tra-cuu", "feedback_lookup", EVERYONE),
    R("GET /can-bo/phan-anh", "-", STAFF),
    R("GET /can-bo/phan-anh/so-theo-doi/xlsx", "-", STAFF),
    R("GET /can-bo/phan-anh/{feedback_id}", "feedback", STAFF_A | SYSTEM_ADMIN),
    R("GET /can-bo/phan-anh/{feedback_id}/tep/{file_id}", "feedback_file", STAFF_A | SYSTEM_ADMIN),
    R("POST /can-bo/phan-anh/{feedback_id}/thao-tac", "feedback", OFFICER_A | SPECIALIST_A, form={"action": "answer", "answer": "Nội dung trả lời đủ dài."}, sees=STAFF_A | SYSTEM_ADMIN),
]
# fmt: on
