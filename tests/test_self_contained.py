"""The project reads nothing outside its own tree: no code or test names a path that leaves the
repository (a relative path upwards, the checkout's parent, parents[N] above the root)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CODE = sorted(p for d in ("src", "tests", "tools", "bench") for p in (REPO / d).rglob("*.py"))

# Spelled in pieces so this file does not match itself.
LEAVING = [
    re.compile(r"""["']\.\.""" + r"""[/\\]"""),                 # a string starting "../"
    re.compile(r"\b(?:REPO|ROOT|_CHECKOUT|root)\.parent" + r"\b(?!s)"),  # the checkout's parent folder
    re.compile(r"\bshared" + r"""[/"', ]+reference\b"""),     # the shared reference tables
]
PARENTS = re.compile(r"Path\(__file__\)(?:\.resolve\(\))?\.parents\[(\d+)\]")
SELF = Path(__file__).resolve()


def test_there_is_code_to_check():
    assert len(CODE) > 50
    assert REPO / "src" / "r2pkg" / "paths.py" in CODE


@pytest.mark.parametrize("pattern", LEAVING, ids=["dotdot", "parent-of-checkout", "shared-reference"])
def test_no_path_leaves_the_repository(pattern):
    hits = [f"{p.relative_to(REPO)}:{n}: {line.strip()}" for p in CODE if p != SELF
            for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
            if pattern.search(line) and "leaves-repo: provenance" not in line]
    assert hits == []


def test_parents_of_a_file_stay_inside_the_repository():
    found = []
    for p in CODE:
        for m in PARENTS.finditer(p.read_text(encoding="utf-8")):
            target = p.resolve().parents[int(m.group(1))]
            found.append(p)
            assert target == REPO or REPO in target.parents, f"{p.relative_to(REPO)}: parents[{m.group(1)}] is {target}"
    assert REPO / "src" / "r2pkg" / "paths.py" in found  # the checkout root: allowed, and seen


def test_the_patterns_catch_what_they_should():
    assert LEAVING[0].search('open("../' + 'shared/x")')
    assert LEAVING[1].search("REPO.parent" + ' / "shared"') and not LEAVING[1].search("REPO.parents[0]")
    assert LEAVING[2].search('"shared" / "reference"'.replace('" / "', "/"))
    assert LEAVING[2].search('"shared", "reference"')


def test_reference_table_is_in_the_repository():
    table = REPO / "data" / "reference" / "entities.csv"
    assert table.is_file() and table.read_text(encoding="utf-8").startswith("name_in_source,kind,iso3,m49,")
    readme = (REPO / "data" / "reference" / "README.md").read_text(encoding="utf-8")
    # the copy says where it came from (its origin is recorded, never read)
    assert "copied from the project's verified reference tables" in readme and "entities.csv" in readme
