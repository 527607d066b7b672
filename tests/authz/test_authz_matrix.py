"""The authorisation matrix as a permanent test: every route of the app is called by every
principal of the world (``world.py``) on the resource its entry names (``matrix.py``).

Rules checked for each (route, principal) pair:

* Every route of ``create_app()`` (API and pages, each method; static mounts aside) has exactly
  one entry, and every entry a route: a new route without an entry fails, naming it.
* A principal the entry allows is not refused: no 401/403/404 from the API; no redirect to the
  login page, 403 or 404 from a page. (A 409 or 422 is fine: the action may not fit the
  resource's state or the minimal body; what matters is that authorisation let it through.)
* A principal the entry does not allow is refused: 401/403/404 from the API, a redirect to the
  login page, 403 or 404 from a page. Never a 2xx, never a 409 (which would say the request
  reached the resource's state).
* A 422 to a refused principal is accepted only when it cannot leak anything: on a route with a
  resource, the same request on a resource that does not exist must answer the same status (and,
  for the API, the same body), so the 422 is about the request's shape alone (FastAPI validates
  the body before the route's own access check runs); on a route without a resource there is
  nothing to leak. Such pairs are counted apart in the summary.
* No response to a principal entitled to nothing of the owner's (another citizen, staff and the
  agency admin of agency B, anonymous) contains the owner's personal data (name, ID number),
  whatever its status.
* A refused write changes nothing: after every refused non-GET request the world's fingerprint
  (a digest of every table but the audit log and the rate counters) is unchanged,
  and the dossiers keep their status.
* Nobody ever gets a 5xx.
"""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from typing import Any

from fastapi.routing import iter_route_contexts
from httpx import Response
from sqlalchemy import text
from starlette.routing import Mount

from app.main import create_app
from tests.authz.matrix import MATRIX, RESOURCES, Entry
from tests.authz.world import (
    MISSING_ID,
    MISSING_TEXT,
    OUTSIDERS,
    PERSONAL_MARKERS,
    PRINCIPALS,
    World,
)

REQUEST_KEYS = {"absent", "json", "form", "files", "query", "sees", "why", "xfail"}
# Below this many checked pairs the matrix has lost routes or principals.
MIN_PAIRS = 1800


def app_routes() -> set[tuple[str, str]]:
    """(method, path template) of every route of the app; HEAD goes with GET."""
    routes = set()
    for route in iter_route_contexts(create_app().routes):
        if isinstance(route.original_route, Mount):
            continue  # static files
        for method in route.methods or ():
            if method != "HEAD":
                routes.add((method, str(route.path)))
    return routes


def test_every_route_has_one_entry_and_every_entry_a_route() -> None:
    routes = app_routes()
    keys = [entry.key for entry in MATRIX]
    doubled = [key for key, n in Counter(keys).items() if n > 1]
    missing = sorted(routes - set(keys))
    stale = sorted(set(keys) - routes)
    assert not doubled, f"routes with more than one matrix entry: {doubled}"
    assert not (missing or stale), "\n".join(
        ["routes without an entry in tests/authz/matrix.py:"]
        + [f"  {m} {p}" for m, p in missing]
        + ["matrix entries whose route no longer exists:"]
        + [f"  {m} {p}" for m, p in stale]
    )
    for entry in MATRIX:
        for _resource, group in entry.checks:
            assert group <= set(PRINCIPALS), entry


def _path_params(entry: Entry, params: dict[str, Any]) -> dict[str, Any]:
    fixed = {k: v for k, v in entry.request.items() if k not in REQUEST_KEYS and k not in RESOURCES}
    return {**params, **fixed}


def _missing(params: dict[str, Any]) -> dict[str, Any]:
    """The same parameters naming nothing that exists (a body stays as it is)."""
    return {
        k: v if k == "_json" else MISSING_ID if isinstance(v, int) else MISSING_TEXT
        for k, v in params.items()
    }


def call(world: World, entry: Entry, principal: str, params: dict[str, Any]) -> Response:
    """One request of ``principal``; the resource's values that are not path parameters go
    to the query string (GET) or the form (other methods)."""
    identity = world.identities[principal]
    client = world.client
    request = entry.request
    values = _path_params(entry, params)
    body = values.pop("_json", request.get("json"))
    names = set(re.findall(r"{(\w+)}", entry.path))
    extra = {k: v for k, v in values.items() if k not in names}
    headers: dict[str, str] = {}
    form: dict[str, Any] | None = None
    query = {**(extra if entry.method == "GET" else {}), **request.get("query", {})}
    if entry.method != "GET" and (extra or "form" in request or entry.is_page):
        form = {**extra, **request.get("form", {})}
    if entry.is_page:
        client.cookies = dict(identity.cookies)
        if form is not None:
            form["csrf_token"] = identity.csrf
    else:
        client.cookies.clear()
        headers = dict(identity.bearer)
    return client.request(
        entry.method,
        entry.path.format(**values),
        headers=headers,
        params=query or None,
        json=body,
        data=form,
        files=request.get("files"),
        follow_redirects=False,
    )


def refused(entry: Entry, response: Response) -> bool:
    status = response.status_code
    if entry.is_page:
        to_login = status in (302, 303, 307) and response.headers.get("location", "").startswith(
            "/dang-nhap"
        )
        return to_login or status in (403, 404)
    return status in (401, 403, 404)


def gist(response: Response) -> str:
    """What a reader of a failure needs: the error's detail, or the page's title."""
    if "json" in response.headers.get("content-type", ""):
        try:
            return str(response.json().get("detail", ""))[:160]
        except (ValueError, AttributeError):
            return response.text[:160]
    if "html" not in response.headers.get("content-type", ""):
        return response.headers.get("location", "") or response.headers.get("content-type", "")
    match = re.search(r"<title>(.*?)</title>", response.text, re.S)
    return match.group(1).strip() if match else response.text[:80]


def leaks(response: Response) -> str | None:
    kind = response.headers.get("content-type", "")
    text = response.headers.get("location", "")
    if any(t in kind for t in ("json", "html", "text", "csv")):
        text += response.text
    for marker in PERSONAL_MARKERS:
        if marker in text or json.dumps(marker)[1:-1] in text:
            return marker
    return None


class Run:
    def __init__(self, world: World) -> None:
        self.world = world
        self.failures: list[str] = []
        self.known: list[str] = []
        self.pairs = 0
        self.shape_422 = 0
        self.refused_writes = 0
        self.baseline = world.harness.fingerprint()
        self.statuses = {
            world.dossier_id: world.dossier_status(world.dossier_id),
            world.draft_id: world.dossier_status(world.draft_id),
        }

    def check(
        self, entry: Entry, resource: str, group: frozenset[str], principal: str
    ) -> list[str]:
        world = self.world
        params = world.params[resource]
        allowed = principal in group
        world.harness.keep = not allowed
        response = call(world, entry, principal, params)
        status = response.status_code
        on = "" if resource == entry.resource else f" (on the {resource})"
        where = f"{entry.method} {entry.path}{on} as {principal}: {status}"
        problems = []
        if status >= 500:
            problems.append(f"{where} (server error)")
        if principal in OUTSIDERS and (marker := leaks(response)):
            problems.append(f"{where} shows the owner's {marker!r}")
        if allowed:
            absent = entry.request.get("absent")
            if absent and status == 404 and (gist(response) == absent or absent in response.text):
                return problems  # allowed, and the object itself does not exist (yet)
            if entry.request.get("login_step") and response.headers.get("location") == "/dang-nhap":
                return problems  # the second login step with no login under way: back to the start
            if refused(entry, response):
                problems.append(f"{where}, but the matrix allows it: {gist(response)}")
            return problems
        if principal in entry.request.get("sees", ()) and resource == entry.resource:
            # Sees the resource, may not do this: the state's answer tells them nothing new.
            if status < 300 or not (refused(entry, response) or status in (409, 422)):
                problems.append(f"{where}, but the matrix refuses it: {gist(response)}")
        elif status == 422 and not refused(entry, response):
            if params:
                again = call(world, entry, principal, _missing(params))
                same = again.status_code == 422 and (
                    entry.is_page or again.json() == response.json()
                )
                if not same:
                    problems.append(
                        f"{where}, unlike on a missing resource ({again.status_code}): "
                        f"{gist(response)} / {gist(again)}"
                    )
            self.shape_422 += 1
        elif not refused(entry, response):
            problems.append(f"{where}, but the matrix refuses it: {gist(response)}")
        if entry.method != "GET":
            self.refused_writes += 1
            problems += self._unchanged(where)
        return problems

    def _unchanged(self, where: str) -> list[str]:
        now = self.world.harness.fingerprint()
        changed = sorted(name for name, digest in now.items() if self.baseline.get(name) != digest)
        problems = []
        if changed:
            problems.append(f"{where} changed {', '.join(changed)}")
            self.baseline = now
        for dossier_id, status in self.statuses.items():
            if self.world.dossier_status(dossier_id) != status:
                problems.append(f"{where} moved dossier {dossier_id} out of {status!r}")
        return problems

    def entry(self, entry: Entry) -> None:
        problems: list[str] = []
        for resource, group in entry.checks:
            for principal in PRINCIPALS:
                problems += self.check(entry, resource, group, principal)
                self.pairs += 1
        if entry.xfail:
            if problems:
                self.known.append(f"{entry.method} {entry.path}: {entry.xfail}")
            else:
                self.failures.append(f"{entry.method} {entry.path} passes: remove its xfail")
        else:
            self.failures += problems


def test_authorisation_matrix(world: World, record_property: Any) -> None:
    assert sorted(world.params) == sorted(RESOURCES), "world.py and matrix.py name other resources"
    started = time.monotonic()
    run = Run(world)
    for entry in MATRIX:
        run.entry(entry)
    world.harness.keep = True
    seconds = time.monotonic() - started
    summary = (
        f"authorisation matrix: {run.pairs} (route, principal) pairs checked "
        f"({len(MATRIX)} routes, {len(PRINCIPALS)} principals) in {seconds:.1f} s; "
        f"{run.refused_writes} refused writes checked for changes; "
        f"{run.shape_422} refusals were a 422 on the request's shape; "
        f"{len(run.known)} known defects"
    )
    for line in [summary, *(f"  known defect: {known}" for known in run.known)]:
        record_property("authz_summary", line)
    record_property("authz_pairs", run.pairs)
    assert not run.failures, f"{len(run.failures)} problems:\n" + "\n".join(run.failures)
    assert run.pairs >= MIN_PAIRS, summary


def test_refused_principals_leave_the_owners_dossiers_as_they_were(world: World) -> None:
    """Spot check, beside the fingerprint: the dossier still received, the draft still a draft
    with its file, whatever the outsiders tried above."""
    assert world.dossier_status(world.dossier_id) == "received"
    assert world.dossier_status(world.draft_id) == "draft"
    files = world.connection.scalar(
        text("SELECT count(*) FROM dossier_files WHERE dossier_id = :d AND removed_at IS NULL"),
        {"d": world.draft_id},
    )
    assert files == 1
