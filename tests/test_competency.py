"""Competency questions: every queries/cqNN-*.rq gives exactly the expected SPARQL CSV result.

Queries run over the session's build (the ``dataset`` fixture of conftest.py: every input file in its
own named graph plus the entailment graph, graph/entailments), over the union of all graphs, as the
endpoint answers them. A query whose
header declares ``# param: <name> ... (default <IRI>)`` runs with ?<name> substituted by that IRI.
Expected results (tests/competency/cqNN-*.csv) were checked by hand against the source text.
"""
from __future__ import annotations

import re
from pathlib import Path

import pyoxigraph as ox
import pytest

REPO = Path(__file__).resolve().parents[1]
QUERIES = REPO / "queries"
EXPECTED = REPO / "tests" / "competency"
HEADER = re.compile(r"^# (title|description|param):\s*(.*)$")
DEFAULT = re.compile(r"\(default <([^>]+)>\)")


def query_files() -> list[Path]:
    return sorted(QUERIES.glob("cq[0-9][0-9]-*.rq"))


def header(path: Path) -> dict[str, list[str]]:
    """The leading '# key: value' comment block of a query file."""
    out: dict[str, list[str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        m = HEADER.match(line)
        if m:
            out.setdefault(m.group(1), []).append(m.group(2).strip())
    return out


def substitutions(path: Path) -> dict[ox.Variable, ox.NamedNode]:
    subs: dict[ox.Variable, ox.NamedNode] = {}
    for p in header(path).get("param", []):
        if p == "none":
            continue
        name = p.split()[0]
        m = DEFAULT.search(p)
        assert m, f"{path.name}: parameter {name} has no (default <IRI>)"
        subs[ox.Variable(name)] = ox.NamedNode(m.group(1))
    return subs


@pytest.fixture(scope="module")
def store(dataset) -> ox.Store:
    return dataset.store


def run(store: ox.Store, path: Path) -> bytes:
    result = store.query(path.read_text(encoding="utf-8"), use_default_graph_as_union=True,
                         substitutions=substitutions(path) or None)
    return result.serialize(format=ox.QueryResultsFormat.CSV)


def test_there_are_queries():
    files = query_files()
    assert files, "no competency queries in queries/"
    missing = [p.name for p in files if not (EXPECTED / (p.stem + ".csv")).is_file()]
    assert not missing, f"no expected result for {missing}"


@pytest.mark.parametrize("path", query_files(), ids=lambda p: p.stem)
def test_header(path: Path):
    h = header(path)
    assert len(h.get("title", [])) == 1 and h["title"][0], "needs one '# title:' line"
    assert len(h.get("description", [])) == 1 and h["description"][0], "needs one '# description:' line"
    assert h.get("param"), "needs '# param:' (or '# param: none')"
    text = path.read_text(encoding="utf-8")
    if re.search(r"^\s*SELECT", text, re.M | re.I):
        assert re.search(r"ORDER BY", text, re.I), "a SELECT needs a deterministic ORDER BY"


@pytest.mark.parametrize("path", query_files(), ids=lambda p: p.stem)
def test_competency_query(store: ox.Store, path: Path):
    expected = (EXPECTED / (path.stem + ".csv")).read_bytes()
    assert run(store, path).decode("utf-8") == expected.decode("utf-8")


def test_dialogue_2017_passages_match_source():
    """Every passage cited by data/dialogue-2017 quotes the stored source exactly at its offsets."""
    from rdflib import Graph

    from r2pkg.provenance import check_passages

    g = Graph()
    for p in sorted((REPO / "data" / "dialogue-2017").glob("*.ttl")):
        g.parse(p, format="turtle")
    assert not check_passages(g, REPO / "data" / "sources")
