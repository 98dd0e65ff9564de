"""Vietnamese is the default language: every UI string is in the catalogue, translated and compiled."""

import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "locale" / "vi" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")


def entries(catalogue) -> dict[tuple[str, str], object]:
    return {
        (e.msgctxt or "", e.msgid): (e.msgstr, tuple(sorted(e.msgstr_plural.items()))) for e in catalogue if e.msgid
    }


def test_every_entry_of_the_vietnamese_catalogue_is_translated():
    po = polib.pofile(str(PO))
    untranslated = [e.msgid for e in po.untranslated_entries()]
    fuzzy = [e.msgid for e in po.fuzzy_entries()]
    assert untranslated == [] and fuzzy == []
    assert len(po) > 100


def test_the_compiled_catalogue_matches_the_source(tmp_path):
    compiled = tmp_path / "django.mo"
    polib.pofile(str(PO)).save_as_mofile(str(compiled))
    assert entries(polib.mofile(str(MO))) == entries(polib.mofile(str(compiled))), "run `make messages`"


@pytest.mark.gettext
def test_every_translatable_string_in_code_and_templates_is_in_the_catalogue(tmp_path):
    copy = tmp_path / "src"
    shutil.copytree(
        ROOT,
        copy,
        ignore=shutil.ignore_patterns(
            ".venv", "var", ".git", "tests", "bench", "test-artifacts", "node_modules", "*.pyc"
        ),
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "vi", "--no-obsolete"],
        cwd=copy,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    fresh = polib.pofile(str(copy / "locale" / "vi" / "LC_MESSAGES" / "django.po"))
    committed = {(e.msgctxt or "", e.msgid) for e in polib.pofile(str(PO))}
    missing = sorted(e.msgid for e in fresh if (e.msgctxt or "", e.msgid) not in committed)
    assert missing == [], "new UI strings are not in the catalogue; run `make messages` and translate them"


def test_django_messages_people_meet_are_vietnamese_too():
    """Django's own catalogue lacks these; a secretary choosing a password reads them (doanso/lib/django_vi.py)."""
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError
    from django.utils import translation

    with translation.override("vi"), pytest.raises(ValidationError) as refused:
        validate_password("123456")
    assert refused.value.messages == [
        "Mật khẩu này quá ngắn. Mật khẩu phải có ít nhất 8 ký tự.",
        "Mật khẩu này quá phổ biến.",
        "Mật khẩu này chỉ gồm chữ số.",
    ]
