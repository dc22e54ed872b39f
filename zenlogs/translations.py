"""Builds the console's .mo catalogues from the .po files in zenlogs/locale (checked in; the
.mo files are not). `make run` and `make test` run it, and so does the test suite's setup,
so a fresh clone needs no GNU gettext: Babel's reader and writer are pure Python. (Django's
`compilemessages` does the same job where gettext's msgfmt is installed.)

    python -m zenlogs.translations          # builds what is out of date, prints a summary

A catalogue with an untranslated or fuzzy entry is refused, so a language is never shipped
half done (tests/i18n checks the same, and that every translation keeps its placeholders).
"""

import sys
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALE_DIR = Path(__file__).resolve().parent / "locale"


class CatalogueError(Exception):
    pass


def read_catalogue(po_path):
    with open(po_path, "rb") as source:
        return read_po(source, abort_invalid=True)


def problems(catalogue):
    """What keeps a catalogue from shipping: untranslated and fuzzy entries, and translations
    whose placeholders differ from their message's (Babel's checkers)."""
    found = []
    for message in catalogue:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        name = message.id[0] if isinstance(message.id, tuple) else message.id
        if not all(strings):
            found.append(f"untranslated: {name!r}")
        if message.fuzzy:
            found.append(f"fuzzy: {name!r}")
    for message, errors in catalogue.check():
        found.extend(f"{error}: {message.id!r}" for error in errors)
    return found


def compile_catalogues(locale_dir=LOCALE_DIR, force=False):
    """Writes each .po's .mo when it is missing or older; returns how many it wrote."""
    written = 0
    for po_path in sorted(Path(locale_dir).glob("*/LC_MESSAGES/*.po")):
        mo_path = po_path.with_suffix(".mo")
        if not force and mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        catalogue = read_catalogue(po_path)
        found = problems(catalogue)
        if found:
            raise CatalogueError(f"{po_path}: " + "; ".join(found))
        with open(mo_path, "wb") as target:
            write_mo(target, catalogue)
        written += 1
    return written


if __name__ == "__main__":
    try:
        count = compile_catalogues(force="--force" in sys.argv)
    except CatalogueError as error:
        sys.exit(f"translations: {error}")
    print(f"translations: {count} catalogue(s) compiled in {LOCALE_DIR}")
