"""The build pipeline: conformance, artefact contents, reproducibility, atomic failure."""
from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest

from r2pkg import store
from r2pkg.build import DATASET_FILE, build, current_build
from r2pkg.entailment import ENTAILMENT_GRAPH
from r2pkg.errors import DataError, NoBuild, RdfSyntaxError, ValidationFailed
from r2pkg.paths import Resources
from r2pkg.sources import input_files


def test_build_conforms_and_writes_artefact(built):
    m = built.manifest
    assert m["validation"]["conforms"] is True
    assert m["validation"]["Violation"] == 0
    assert m["validation"]["consistency"] == "owlrl"
    for name in ("dataset.nq", "report.ttl", "manifest.json"):
        assert (built.path / name).is_file()
    assert m["build_id"] == hashlib.sha256(built.dataset_path.read_bytes()).hexdigest()[:16]
    # one named graph per input file plus the entailment graph, and the triple counts add up
    assert set(m["graphs"]) == {i["graph"] for i in m["inputs"]} | {str(ENTAILMENT_GRAPH)}
    assert m["graphs"][str(ENTAILMENT_GRAPH)] > 0
    assert m["triples"] == sum(m["graphs"].values())


def test_every_input_file_is_a_named_graph(res, dataset):
    files = input_files(res)
    assert {f.name for f in files} >= {"ontology", "schemes", "imports", "reference/un-membership"}
    graphs = {g.value for g in dataset.store.named_graphs()}
    assert graphs == {str(f.graph) for f in files} | {str(ENTAILMENT_GRAPH)}
    # the default graph is empty: everything lives in a named graph
    assert list(dataset.store.quads_for_pattern(None, None, None, ox.DefaultGraph())) == []


@pytest.mark.slow
def test_artefact_is_sorted_and_reproducible(res, built, tmp_path):
    lines = built.dataset_path.read_text().splitlines()
    assert lines == sorted(lines)
    again = build(Resources(res.root, tmp_path / "again"), consistency=False)
    assert again.dataset_path.read_bytes() == built.dataset_path.read_bytes()
    assert again.build_id == built.build_id


def test_current_build_without_build_raises(tmp_path):
    with pytest.raises(NoBuild):
        current_build(tmp_path / "nothing")


@pytest.fixture
def scratch(res, built, tmp_path) -> Resources:
    """A copy of the resources with the session's good build already published."""
    root = tmp_path / "home"
    for d in ("ontology", "shapes", "data", "queries"):
        shutil.copytree(res.root / d, root / d)
    bdir = tmp_path / "build"
    bdir.mkdir()
    shutil.copytree(built.path, bdir / "builds" / built.build_id)
    (bdir / "current").symlink_to(Path("builds") / built.build_id)
    return Resources(root, bdir)


def _assert_last_good_build_kept(scratch: Resources, built) -> None:
    cur = current_build(scratch.build_dir)
    assert cur.build_id == built.build_id
    assert (cur.path / DATASET_FILE).read_bytes() == built.dataset_path.read_bytes()
    assert [p.name for p in (scratch.build_dir / "builds").iterdir()] == [built.build_id]


def test_syntax_error_names_file_line_column_and_keeps_last_build(scratch, built):
    bad = scratch.data / "broken.ttl"
    bad.write_text("@prefix ex: <http://example.org/> .\nex:a ex:b ex:c .\nex:d undeclared:e ex:f .\n")
    with pytest.raises(RdfSyntaxError) as e:
        build(scratch)
    assert e.value.details["file"].endswith("broken.ttl")
    assert e.value.details["line"] == 3
    assert e.value.details["column"] == 6
    assert "undeclared" in e.value.message
    _assert_last_good_build_kept(scratch, built)


def test_non_utf8_file_is_rejected(scratch, built):
    (scratch.data / "latin1.ttl").write_bytes(
        '@prefix ex: <http://example.org/> .\nex:a ex:b "caf\xe9" .\n'.encode("latin-1"))
    with pytest.raises(DataError) as e:
        build(scratch)
    assert "not UTF-8" in e.value.message and e.value.details["line"] == 2
    _assert_last_good_build_kept(scratch, built)


@pytest.mark.slow
def test_non_conforming_data_fails_and_keeps_last_build(scratch, built):
    (scratch.data / "bad-state.ttl").write_text(
        "@prefix r2p: <https://w3id.org/r2pkg/ontology#> .\n"
        "<https://w3id.org/r2pkg/id/state/XX> a r2p:State ; "
        '<http://www.w3.org/2000/01/rdf-schema#label> "Nowhere"@en ; r2p:iso3 "xx" .\n')
    with pytest.raises(ValidationFailed) as e:
        build(scratch, consistency=False)
    assert "shapes:StateIdentifiers" in e.value.message
    _assert_last_good_build_kept(scratch, built)


def test_loaded_store_matches_artefact(built, dataset):
    assert len(dataset) == built.manifest["triples"]
    assert dataset.build_id == built.build_id
    assert json.loads((built.path / "manifest.json").read_text())["build_id"] == dataset.build_id


def test_store_load_is_independent(built):
    a, b = store.load(built), store.load(built)
    a.store.clear()
    assert len(b) == built.manifest["triples"]


@pytest.mark.slow
def test_duplicate_key_names_shape_and_focus_node(scratch, built):
    (scratch.data / "dup.ttl").write_text(
        "@prefix r2p: <https://w3id.org/r2pkg/ontology#> .\n"
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        "<https://w3id.org/r2pkg/id/state/NLX> a r2p:State ; rdfs:label \"Netherlands again\"@en ;\n"
        "  r2p:iso3 \"NLD\" ; r2p:unStatus <https://w3id.org/r2pkg/id/concept/un-status/member-state> .\n")
    with pytest.raises(ValidationFailed) as e:
        build(scratch, consistency=False)
    msg = e.value.message
    # focus nodes with the prefix the data declares (`state:`), not one it never uses
    assert "shapes:UniqueIso3 on state:NLX" in msg and "duplicate key" in msg
    assert "shapes:UniqueIso3 on state:NLD" in msg
    assert "r2pkg:" not in msg
    assert e.value.exit_code == 1
    _assert_last_good_build_kept(scratch, built)


@pytest.mark.slow
def test_focus_nodes_use_prefixes_the_data_declares(scratch, built):
    import re

    from r2pkg.sources import prefixes_of

    (scratch.data / "bad-statement.ttl").write_text(
        "@prefix r2p: <https://w3id.org/r2pkg/ontology#> .\n"
        "<https://w3id.org/r2pkg/id/statement/iid-2017/XXX> a r2p:Statement .\n")
    with pytest.raises(ValidationFailed) as e:
        build(scratch, consistency=False)
    declared = prefixes_of(sorted(scratch.data.rglob("*.ttl")) + sorted(scratch.shapes.glob("*.ttl")))
    used = re.findall(r"\] (\w+):\S+ on (?:(\w+):|<)", e.value.message)
    assert used
    for shape_prefix, focus_prefix in used:
        assert shape_prefix in declared and (not focus_prefix or focus_prefix in declared)
    # the statement: prefix the data declares for .../statement/iid-2017/
    assert declared["statement"] == "https://w3id.org/r2pkg/id/statement/iid-2017/"
    assert "on statement:XXX" in e.value.message


def _first_long_quote(path: Path, min_len: int = 90) -> str:
    import re

    for m in re.finditer(r'oa:exact "((?:[^"\\]|\\.)*)"', path.read_text(encoding="utf-8")):
        if len(m.group(1)) >= min_len and "\\" not in m.group(1):
            return m.group(1)
    raise AssertionError(f"no quote of {min_len}+ characters in {path}")


@pytest.mark.slow
def test_a_changed_quotation_shows_where_it_differs(scratch, built):
    passages = scratch.data / "dialogue-2017" / "passages.ttl"
    quote = _first_long_quote(passages)
    k = 75  # past the 60 characters the old message showed
    changed = quote[:k] + ("X" if quote[k] != "X" else "Y") + quote[k + 1:]
    text = passages.read_text(encoding="utf-8")
    assert text.count(f'"{quote}"') == 1
    passages.write_text(text.replace(f'"{quote}"', f'"{changed}"'), encoding="utf-8")
    with pytest.raises(ValidationFailed) as e:
        build(scratch, consistency=False)
    line = next(x for x in e.value.message.splitlines() if "PassageMatchesSource" in x)
    start = int(re.search(r"differs from the source at (\d+)-", line).group(1))
    assert f"character {k} (offset {start + k}): " in line
    assert f"the source has {quote[k - 25:k + 25]!r}, the quote {changed[k - 25:k + 25]!r}" in line
    _assert_last_good_build_kept(scratch, built)


@pytest.mark.slow
def test_a_mistyped_passage_iri_names_it_its_file_and_the_nearest(scratch, built):
    stances = scratch.data / "dialogue-2017" / "stances.ttl"
    text = stances.read_text(encoding="utf-8")
    m = re.search(r"prov:wasDerivedFrom psg:(\d+)-(\d+)", text)
    assert m
    typo = f"psg:{m.group(1)}-{int(m.group(2)) + 1}"
    stances.write_text(text[:m.start()] + f"prov:wasDerivedFrom {typo}" + text[m.end():], encoding="utf-8")
    with pytest.raises(ValidationFailed) as e:
        build(scratch, consistency=False)
    line = next(x for x in e.value.message.splitlines() if "PassageExists" in x)
    assert (f"prov:wasDerivedFrom {typo} (in data/dialogue-2017/stances.ttl) names a passage that does not "
            f"exist; the nearest existing passage is psg:{m.group(1)}-{m.group(2)}") in line
    _assert_last_good_build_kept(scratch, built)
