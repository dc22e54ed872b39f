"""The translations ship whole: every message of the zh_Hans catalogues is translated, none is
fuzzy, each keeps its message's placeholders, and the catalogues hold every message the
sources mark (makemessages from the sources gives the same messages as the checked-in .po)."""

import shutil

import pytest
from django.core.management import call_command
from django.utils import translation

from zenlogs.translations import LOCALE_DIR, compile_catalogues, problems, read_catalogue

DOMAINS = ("django", "djangojs")


def _po(domain, locale_dir=LOCALE_DIR):
    return locale_dir / "zh_Hans" / "LC_MESSAGES" / f"{domain}.po"


def _ids(catalogue):
    return {(m.context, m.id) for m in catalogue if m.id}


@pytest.mark.parametrize("domain", DOMAINS)
def test_the_chinese_catalogue_is_complete(domain):
    catalogue = read_catalogue(_po(domain))
    assert len(catalogue) > (200 if domain == "django" else 5)
    assert problems(catalogue) == []
    assert catalogue.plural_forms == "nplurals=1; plural=0;"


def test_a_half_done_catalogue_is_refused(tmp_path):
    target = tmp_path / "zh_Hans" / "LC_MESSAGES"
    target.mkdir(parents=True)
    text = _po("django").read_text(encoding="utf-8")
    text = text.replace('msgstr "日志"', 'msgstr ""', 1)
    (target / "django.po").write_text(text, encoding="utf-8")
    with pytest.raises(Exception, match="untranslated: 'Logs'"):
        compile_catalogues(tmp_path, force=True)


def test_the_compiled_catalogue_answers_in_chinese():
    with translation.override("zh-hans"):
        assert translation.gettext("Logs") == "日志"
        assert translation.pgettext("date format of a chart day label", "M j") == "n月j日"
        assert translation.ngettext("%(n)s request", "%(n)s requests", 3) % {"n": 3} == "3 个请求"


@pytest.mark.skipif(not shutil.which("xgettext"), reason="GNU gettext (xgettext) is missing")
def test_the_catalogues_hold_every_message_the_sources_mark(tmp_path, monkeypatch, settings):
    # makemessages writes into every locale/ folder it walks past: it runs on a copy of the
    # sources, so the checked-in catalogues are never touched.
    root = LOCALE_DIR.parent.parent
    for folder in ("billing", "demo", "logs", "static", "templates", "zenlogs"):
        shutil.copytree(root / folder, tmp_path / folder, ignore=shutil.ignore_patterns("*.mo"))
    monkeypatch.chdir(tmp_path)
    copy = tmp_path / "zenlogs" / "locale"
    settings.LOCALE_PATHS = [copy]
    for domain in DOMAINS:
        call_command(
            "makemessages", locale=["zh_Hans"], domain=domain, no_location=True,
            no_obsolete=True, verbosity=0, ignore_patterns=["*/migrations/*"],
        )  # fmt: skip
        fresh = _ids(read_catalogue(_po(domain, copy)))
        checked_in = _ids(read_catalogue(_po(domain)))
        assert fresh - checked_in == set(), f"{domain}: not in the catalogue (make messages)"
        assert checked_in - fresh == set(), f"{domain}: in the catalogue, no longer marked"
