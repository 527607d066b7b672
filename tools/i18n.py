"""Keep the English message catalogue in step with the code.

    python tools/i18n.py extract   # regenerate messages.pot (temp dir) and update the en .po
    python tools/i18n.py check     # exit 1 listing msgids with no English translation

Vietnamese strings are the msgids. Extraction follows babel.cfg at the repository root
(``_``/``gettext``/``N_`` in app/**.py, ``_()`` in templates/**.html). ``extract`` keeps
existing translations, adds new msgids untranslated (never guessed as fuzzy) and drops
msgids that are no longer used; fill in the new ``msgstr ""`` entries, then run ``check``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
MAPPING = ROOT / "babel.cfg"
LOCALE = "en"
PO_PATH = ROOT / "app" / "locales" / LOCALE / "LC_MESSAGES" / "messages.po"
PROJECT = "Một cửa"
HEADER = (
    "# English translations for the Một cửa portal.\n"
    "# The Vietnamese source strings are the msgids; see docs/i18n.md.\n"
    "#"
)


def extract_template(root: Path = ROOT) -> Catalog:
    """Extract every marked string as babel.cfg says, into a template (.pot) catalogue."""
    with MAPPING.open(encoding="utf-8") as fh:
        method_map, options_map = parse_mapping_cfg(fh, str(MAPPING))
    template = Catalog(project=PROJECT, fuzzy=False, charset="utf-8")
    for filename, lineno, message, comments, context in extract_from_dir(
        str(root), method_map, options_map
    ):
        path = Path(filename).as_posix()
        template.add(message, None, [(path, lineno)], auto_comments=comments, context=context)
    return template


def read_catalog(path: Path = PO_PATH) -> Catalog:
    if not path.exists():
        return Catalog(
            locale=LOCALE,
            project=PROJECT,
            version="1",
            header_comment=HEADER,
            language_team="English",
            last_translator="Một cửa maintainers",
            revision_date=datetime.now(UTC),
            fuzzy=False,
        )
    with path.open("rb") as fh:
        return read_po(fh, locale=LOCALE)


def translated(message: Message) -> bool:
    """A usable translation: every msgstr (one, or one per plural form) is non-empty."""
    strings = message.string if isinstance(message.string, tuple | list) else (message.string,)
    return all(strings) and not message.fuzzy


def problems(template: Catalog, catalog: Catalog) -> list[str]:
    """Msgids with no usable English translation, fuzzy entries and placeholder mismatches."""
    found: list[str] = []
    for message in template:
        if not message.id:
            continue
        entry = catalog.get(message.id, message.context)
        where = ", ".join(f"{f}:{n}" for f, n in message.locations)
        if entry is None:
            found.append(f"missing from the .po: {message.id!r} ({where})")
        elif entry.fuzzy:
            found.append(f"fuzzy (needs review): {message.id!r} ({where})")
        elif not translated(entry):
            found.append(f"untranslated: {message.id!r} ({where})")
    for message, errors in catalog.check():
        found.extend(f"{message.id!r}: {error}" for error in errors)
    return found


def extract() -> int:
    template = extract_template()
    with tempfile.TemporaryDirectory(prefix="motcua-i18n-") as tmp:
        pot = Path(tmp) / "messages.pot"
        with pot.open("wb") as fh:
            write_po(fh, template, width=100)
        with pot.open("rb") as fh:
            template = read_po(fh)
        print(f"{len(template)} msgids extracted to {pot}")
    catalog = read_catalog()
    catalog.update(template, no_fuzzy_matching=True, update_creation_date=False)
    PO_PATH.parent.mkdir(parents=True, exist_ok=True)
    with PO_PATH.open("wb") as fh:
        write_po(fh, catalog, width=100, ignore_obsolete=True, include_previous=False)
    untranslated = [m.id for m in catalog if m.id and not translated(m)]
    print(f"updated {PO_PATH.relative_to(ROOT)}: {len(untranslated)} msgid(s) to translate")
    for msgid in untranslated:
        print(f"  {msgid!r}")
    return 0


def check() -> int:
    found = problems(extract_template(), read_catalog())
    if not found:
        print(f"{PO_PATH.relative_to(ROOT)}: every msgid has an English translation")
        return 0
    print(f"{PO_PATH.relative_to(ROOT)}: {len(found)} problem(s)", file=sys.stderr)
    for line in found:
        print(f"  {line}", file=sys.stderr)
    print(
        "Run `python tools/i18n.py extract`, translate the new entries, then check again.",
        file=sys.stderr,
    )
    return 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("command", choices=("extract", "check"))
    args = parser.parse_args(argv)
    return extract() if args.command == "extract" else check()


if __name__ == "__main__":
    sys.exit(main())
