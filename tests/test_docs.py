"""README and docs/ stand on their own: every relative link resolves to a file of the repository, and
nothing names a path outside it (a clone of the repository has nothing beside it)."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

MARKDOWN_LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
# A path written in backticks or bare that climbs out of the repository (../something).
OUTSIDE = re.compile(r"(?<![\w.])\.\./[\w.-]")


def _links(text: str) -> list[str]:
    return MARKDOWN_LINK.findall(text)


def test_the_docs_folder_holds_the_design_the_access_rules_and_the_formula():
    names = {p.name for p in DOCS}
    assert {"design.md", "access.md", "scoring.md", "conventions.md", "framework-format.md"} <= names
    scoring = (ROOT / "docs" / "scoring.md").read_text(encoding="utf-8")
    # The formula's parts and the members-mode rule when every weight is 0 are written down.
    for phrase in ("indicator", "domain", "overall", "evidence", "members", "all 0", "coverage", "Delta", "Rank"):
        assert phrase in scoring, phrase


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_points_to_a_file_in_the_repository(doc: Path):
    text = doc.read_text(encoding="utf-8")
    checked = 0
    for target in _links(text):
        parts = urlsplit(target)
        if parts.scheme or target.startswith("#") or target.startswith("mailto:"):
            continue
        resolved = (doc.parent / unquote(parts.path)).resolve()
        assert resolved.is_relative_to(ROOT), f"{doc.name} links outside the repository: {target}"
        assert resolved.exists(), f"{doc.name} links to a missing file: {target}"
        checked += 1
    if doc.name == "README.md":
        assert checked >= 5  # README links the docs; a regex that found nothing would hide broken links


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_doc_names_a_path_outside_the_repository(doc: Path):
    text = doc.read_text(encoding="utf-8")
    found = [line for line in text.splitlines() if OUTSIDE.search(line)]
    assert found == [], f"{doc.name} names paths outside the repository: {found}"


def test_the_link_checker_notices_a_broken_and_an_outside_link(tmp_path: Path):
    text = "See [design](../shared/DESIGN.md) and [gone](docs/nope.md) and [ok](https://example.org)."
    assert _links(text) == ["../shared/DESIGN.md", "docs/nope.md", "https://example.org"]
    assert OUTSIDE.search(text)
