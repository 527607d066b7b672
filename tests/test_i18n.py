"""The English catalogue covers every user-visible string, and the language switch works.

The extraction runs in-process with babel.cfg, so a new ``_("…")`` in a template or a new
``N_("…")``/``_("…")`` in app code fails here until ``python tools/i18n.py extract`` has been
run and the new entries of app/locales/en/LC_MESSAGES/messages.po are translated.
"""

from __future__ import annotations

import ast
from functools import lru_cache
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from fastapi.testclient import TestClient

from app.errors import DomainError

ROOT = Path(__file__).resolve().parent.parent
MAPPING = ROOT / "babel.cfg"
PO_PATH = ROOT / "app" / "locales" / "en" / "LC_MESSAGES" / "messages.po"
HOW_TO_FIX = (
    "run `python tools/i18n.py extract`, fill in the English msgstr of these entries in "
    "app/locales/en/LC_MESSAGES/messages.po, then `python tools/i18n.py check`"
)
MARKERS = {"_", "gettext", "N_"}


@lru_cache
def extracted() -> dict[str, list[str]]:
    """msgid -> where it is used, from the current templates and app code (per babel.cfg)."""
    with MAPPING.open(encoding="utf-8") as fh:
        method_map, options_map = parse_mapping_cfg(fh, str(MAPPING))
    found: dict[str, list[str]] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map
    ):
        msgids = message if isinstance(message, tuple) else (message,)
        for msgid in msgids:
            if msgid:
                found.setdefault(msgid, []).append(f"{Path(filename).as_posix()}:{lineno}")
    return found


@lru_cache
def english() -> Catalog:
    with PO_PATH.open("rb") as fh:
        return read_po(fh, locale="en")


def test_extraction_sees_templates_and_code() -> None:
    where = {loc.split(":")[0] for locs in extracted().values() for loc in locs}
    assert "templates/base.html" in where
    assert "app/formatting.py" in where  # N_() markers in ROLE_LABELS, PAPER_KINDS
    assert "app/web/__init__.py" in where  # N_() markers in _ERROR_TITLES
    assert "Không tìm thấy thủ tục." in extracted()  # a domain error detail


def test_every_msgid_has_an_english_translation() -> None:
    catalog = english()
    missing = []
    for msgid, locations in sorted(extracted().items()):
        entry = catalog.get(msgid)
        strings = () if entry is None else entry.string
        strings = (strings,) if isinstance(strings, str) else strings
        if entry is None or entry.fuzzy or not strings or not all(s.strip() for s in strings):
            missing.append(f"{msgid!r} ({', '.join(locations)})")
    assert not missing, (
        f"{len(missing)} msgid(s) without an English translation:\n  "
        + "\n  ".join(missing)
        + f"\nTo fix: {HOW_TO_FIX}."
    )


def test_no_fuzzy_entries() -> None:
    fuzzy = [repr(m.id) for m in english() if m.id and m.fuzzy]
    assert not fuzzy, f"fuzzy entries are not used at run time; review them: {', '.join(fuzzy)}"


def test_translations_keep_placeholders() -> None:
    errors = [f"{m.id!r}: {e}" for m, errs in english().check() for e in errs]
    assert not errors, "\n".join(errors)


def test_no_marker_is_hidden_from_the_extractor() -> None:
    """Babel's Python extractor skips markers nested inside another call's arguments
    (``_(d.get(k, N_("…")))``): every literal marked in app code must really be extracted."""
    hidden = []
    for path in sorted((ROOT / "app").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in MARKERS
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
                and node.args[0].value not in extracted()
            ):
                hidden.append(f"{path.relative_to(ROOT).as_posix()}:{node.lineno}")
    assert not hidden, (
        "marked strings that babel does not extract (put the marked literal on its own line, "
        f"e.g. `fallback = N_('…')`): {', '.join(hidden)}"
    )


def _error_class_names(trees: list[ast.Module]) -> set[str]:
    """DomainError and every subclass, in app.errors or defined anywhere under app/."""
    names = {"DomainError", *(c.__name__ for c in _subclasses(DomainError))}
    while True:
        more = {
            node.name
            for tree in trees
            for node in ast.walk(tree)
            if isinstance(node, ast.ClassDef)
            and any(isinstance(b, ast.Name) and b.id in names for b in node.bases)
        } - names
        if not more:
            return names
        names |= more


def _subclasses(cls: type) -> list[type]:
    return [s for c in cls.__subclasses__() for s in (c, *_subclasses(c))]


def _vietnamese_literal(node: ast.expr) -> bool:
    parts = node.values if isinstance(node, ast.JoinedStr) else [node]
    return any(
        isinstance(p, ast.Constant) and isinstance(p.value, str) and not p.value.isascii()
        for p in parts
    )


def test_error_details_are_marked_for_translation() -> None:
    """A Vietnamese ``detail`` given to a domain error must be ``N_("…")`` (or ``_("…")``),
    otherwise it is never extracted and API/HTML users asking for English see Vietnamese."""
    files = sorted((ROOT / "app").rglob("*.py"))
    trees = [ast.parse(path.read_text(encoding="utf-8")) for path in files]
    errors = _error_class_names(trees)
    unmarked = []
    for path, tree in zip(files, trees, strict=True):
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            if name not in errors:
                continue
            details = node.args[:1] + [k.value for k in node.keywords if k.arg == "detail"]
            if any(_vietnamese_literal(d) for d in details):
                unmarked.append((path.relative_to(ROOT).as_posix(), node.lineno))
    assert not unmarked, (
        "Vietnamese error details not marked for translation; wrap the literal in N_() "
        "(from app.i18n_markers import N_); keep it a constant (no f-string: put variable "
        f"data in `fields`), then {HOW_TO_FIX}:\n  "
        + "\n  ".join(f"{path}:{line}" for path, line in sorted(unmarked))
    )


def test_page_language_follows_the_cookie(client: TestClient) -> None:
    vietnamese = client.get("/thu-tuc")
    assert vietnamese.status_code == 200
    assert '<html lang="vi"' in vietnamese.text
    assert "Thủ tục hành chính" in vietnamese.text

    client.cookies.set("lang", "en")
    page = client.get("/thu-tuc")
    assert page.status_code == 200
    assert '<html lang="en"' in page.text
    assert "Administrative procedures" in page.text
    assert "Catalogue of administrative procedures" in page.text
    assert ">Thủ tục hành chính<" not in page.text


def test_language_switch_sets_cookie_and_redirects(client: TestClient) -> None:
    response = client.get("/ngon-ngu/en", params={"next": "/thu-tuc"}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/thu-tuc"
    assert response.cookies.get("lang") == "en"


def test_language_switch_does_not_follow_absolute_urls(client: TestClient) -> None:
    for target in ("https://evil.example", "//evil.example", "/\\evil.example"):
        response = client.get("/ngon-ngu/en", params={"next": target}, follow_redirects=False)
        assert response.status_code == 303, target
        assert response.headers["location"] == "/", target


def test_unknown_language_sets_no_cookie(client: TestClient) -> None:
    response = client.get("/ngon-ngu/xx", params={"next": "/thu-tuc"}, follow_redirects=False)
    assert response.status_code == 303
    assert "lang" not in response.cookies


def test_api_error_detail_in_english_on_request(client: TestClient) -> None:
    english_body = client.get("/api/v1/procedures/nope", headers={"Accept-Language": "en"})
    assert english_body.status_code == 404
    assert english_body.json() == {"error": "not_found", "detail": "Procedure not found."}

    default = client.get("/api/v1/procedures/nope")
    assert default.status_code == 404
    assert default.json()["detail"] == "Không tìm thấy thủ tục."
