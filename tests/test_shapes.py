"""SHACL shapes tested against fixtures on disk (the OGC GeoSPARQL / ODK pattern).

Every file ``tests/shapes/*.ttl`` starts with header lines ``# expect: shapes:<Name> <Severity>``
(or ``# expect: none``). The fixture is validated together with ``ontology/schemes.ttl`` (as data),
with the TBox ontology/r2p.ttl + ontology/imports/external.ttl and the stored sources in data/sources;
the set of (shape, severity) pairs reported must equal the expected set. ``<Name>-invalid-NN.ttl``
fixtures hold one defect each; ``valid-NN.ttl`` fixtures must give no finding at all.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import RDF

from r2pkg.namespaces import SH
from r2pkg.sources import parse_turtle
from r2pkg.validate import OWLRL_CHECK_SHAPE, PASSAGE_CHECK_SHAPE, SEVERITIES, SHAPES_NS, load_shapes, validate

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "shapes"
SOURCES = REPO / "data" / "sources"
FIXTURE_FILES = sorted(FIXTURES.glob("*.ttl"))
PSEUDO_SHAPES = ("shapes:" + PASSAGE_CHECK_SHAPE.removeprefix(SHAPES_NS),
                 "shapes:" + OWLRL_CHECK_SHAPE.removeprefix(SHAPES_NS))
EXPECT = re.compile(r"^#\s*expect:\s*(.*?)\s*$")
NAME = re.compile(r"^(?P<shape>[A-Za-z0-9]+)-invalid-\d{2}\.ttl$|^valid-\d{2}\.ttl$")


def expected(path: Path) -> set[tuple[str, str]]:
    """The (shape, severity) pairs declared in the fixture's leading ``# expect:`` lines."""
    out: set[tuple[str, str]] = set()
    seen = False
    for line in path.read_text(encoding="utf-8").splitlines():
        m = EXPECT.match(line)
        if not m:
            break
        seen = True
        if m.group(1) == "none":
            continue
        shape, severity = m.group(1).split()
        assert shape.startswith("shapes:"), f"{path.name}: {line!r}"
        assert severity in SEVERITIES, f"{path.name}: {line!r}"
        out.add((shape, severity))
    assert seen, f"{path.name} does not start with a '# expect: ...' header line"
    return out


def uses_consistency(path: Path) -> bool:
    """The OWL RL closure costs ~0.5 s; run it for the valid fixtures and the consistency fixtures."""
    return path.name.startswith(("valid-", "OwlRlConsistency-"))


@pytest.fixture(scope="module")
def shapes_graph() -> Graph:
    return load_shapes(REPO / "shapes")


@pytest.fixture(scope="module")
def tbox() -> Graph:
    g = Graph()
    g += parse_turtle(REPO / "ontology" / "r2p.ttl")
    g += parse_turtle(REPO / "ontology" / "imports" / "external.ttl")
    return g


@pytest.fixture(scope="module")
def schemes() -> Graph:
    return parse_turtle(REPO / "ontology" / "schemes.ttl")


def declared_shapes(shapes: Graph) -> dict[str, str]:
    """Named node shapes of shapes/*.ttl with their declared severity (SHACL default: Violation)."""
    out = {}
    for s in shapes.subjects(RDF.type, SH.NodeShape):
        if isinstance(s, URIRef) and str(s).startswith(SHAPES_NS):
            sev = shapes.value(s, SH.severity)
            out["shapes:" + str(s).removeprefix(SHAPES_NS)] = str(sev or SH.Violation).rsplit("#", 1)[-1]
    return out


def test_fixtures_collected():
    assert FIXTURE_FILES, f"no fixtures in {FIXTURES}"
    assert any(p.name.startswith("valid-") for p in FIXTURE_FILES), "no valid-NN.ttl fixture"
    bad = [p.name for p in FIXTURE_FILES if not NAME.match(p.name)]
    assert not bad, f"fixture names not <Shape>-invalid-NN.ttl / valid-NN.ttl: {bad}"


def test_every_shape_has_an_invalid_fixture(shapes_graph):
    severity = declared_shapes(shapes_graph)
    assert severity, "no sh:NodeShape found in shapes/*.ttl"
    severity.update({s: "Violation" for s in PSEUDO_SHAPES})
    wanted = set(severity)
    covered: dict[str, list[str]] = {}
    for p in FIXTURE_FILES:
        m = NAME.match(p.name)
        if m and m.group("shape"):
            shape = "shapes:" + m.group("shape")
            want = dict(expected(p))
            assert shape in want, f"{p.name} does not expect {shape} to fire"
            if shape in severity:
                assert want[shape] == severity[shape], (
                    f"{p.name} expects {shape} {want[shape]}, but the shape declares sh:{severity[shape]}")
            covered.setdefault(shape, []).append(p.name)
    missing = sorted(wanted - set(covered))
    assert not missing, f"shapes without an invalid fixture in tests/shapes/: {missing}"
    unknown = sorted(set(covered) - wanted)
    assert not unknown, f"fixtures for shapes that do not exist: {unknown}"


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=[p.stem for p in FIXTURE_FILES])
def test_fixture(path: Path, shapes_graph: Graph, tbox: Graph, schemes: Graph):
    want = expected(path)
    data = parse_turtle(path)
    data += schemes
    result = validate(data, tbox, shapes_graph, SOURCES, consistency=uses_consistency(path))
    got = {(f.shape, f.severity) for f in result.findings}
    assert got == want, f"{path.name}: expected {sorted(want)}, got:\n{result.text()}"
    if any(sev == "Violation" for _, sev in want):
        assert not result.conforms, result.text()
    else:
        assert result.conforms, result.text()
    if not want:
        assert result.findings == [], result.text()
