"""The Markdown files' relative links resolve: to a file of the repository and, with #anchor, to one
of its headings; and "the project README's <section>" names a section the README has."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DOCS = sorted(p for p in REPO.rglob("*.md") if not {".venv", "node_modules", ".git"} & set(p.parts)
              and "vendor" not in p.parts)
LINK = re.compile(r"(?<!!)\[[^\]]+\]\(([^)\s]+)\)")


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    h = re.sub(r"[`*_]", "", heading.strip().lower())
    return re.sub(r"[^\w\- ]", "", h).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    text = re.sub(r"```.*?```", "", path.read_text(encoding="utf-8"), flags=re.S)
    return {slug(m.group(1)) for m in re.finditer(r"^#{1,6}\s+(.+?)\s*$", text, re.M)}


def test_docs_found():
    assert REPO / "README.md" in DOCS and REPO / "data" / "README.md" in DOCS


@pytest.mark.parametrize("doc", DOCS, ids=[str(p.relative_to(REPO)) for p in DOCS])
def test_relative_links_resolve(doc):
    bad = []
    for target in LINK.findall(doc.read_text(encoding="utf-8")):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # http:, mailto: ...
            continue
        file, _, anchor = target.partition("#")
        dest = (doc.parent / file).resolve() if file else doc
        if not dest.exists() or REPO not in dest.parents and dest != REPO:
            bad.append(f"{target}: no such file")
        elif anchor and dest.suffix == ".md" and anchor not in anchors(dest):
            bad.append(f"{target}: no heading #{anchor} in {dest.relative_to(REPO)}")
    assert bad == []


def test_readme_sections_named_in_data_readme_exist():
    text = (REPO / "data" / "README.md").read_text(encoding="utf-8")
    named = re.findall(r"project README's \[?([A-Z][\w ]*?)\]?(?:\(|\)| section|:)", text)
    assert named
    have = anchors(REPO / "README.md")
    assert [n for n in named if slug(n) not in have] == []
