"""The two store modes of the embedded backend (r2pkg.store): in memory, and the build's on-disk
store opened read-only by each query worker after its fork. Same answers, byte for byte; the disk
store is written once per build, atomically; the server process never opens RocksDB."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from r2pkg import diskstore, store
from r2pkg.build import publish_nquads
from r2pkg.errors import ConfigError, R2pkgError

# a handful of queries of each kind, each with one answer order (ORDER BY, or a single row), and no
# blank nodes in the answers (each store labels those its own way, as SPARQL allows). Literals are
# ordered by their strings: pyoxigraph 0.5.13's ORDER BY over literals of mixed datatypes can panic
# ("comparison function does not correctly implement a total order"), depending on the order the
# store hands them over.
QUERIES = {
    "select": ("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g",
               ["application/sparql-results+json", "text/csv", "application/sparql-results+xml"]),
    "join": ("PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> SELECT ?s ?label ?type WHERE "
             "{ ?s rdfs:label ?label ; a ?type FILTER isIRI(?s) } ORDER BY ?s ?label ?type LIMIT 200",
             ["application/sparql-results+json", "text/tab-separated-values"]),
    "literals": ("SELECT ?o (DATATYPE(?o) AS ?dt) (LANG(?o) AS ?lang) WHERE { ?s ?p ?o FILTER isLiteral(?o) } "
                 "ORDER BY STR(?o) STR(?dt) ?lang LIMIT 300", ["application/sparql-results+json"]),
    "ask": ("ASK { GRAPH ?g { ?s a ?c } }", ["application/sparql-results+json", "text/csv"]),
    "count": ("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", ["application/sparql-results+json"]),
    # the states' triples (some 3,000 sorted): the on-disk store sorts all typed subjects' in 2.5 s
    "construct": ("CONSTRUCT { ?s ?p ?o } WHERE { SELECT ?s ?p ?o WHERE { ?s a <https://w3id.org/r2pkg/ontology#State> ; "
                  "?p ?o FILTER (!isBlank(?o)) } ORDER BY ?s ?p ?o LIMIT 40 }", ["application/n-triples", "text/turtle"]),
}


@pytest.fixture(scope="module")
def disk_app(make_app, built):
    return make_app(DATASET=store.load(built, "disk"), QUERY_WORKERS=1)


@pytest.fixture(scope="module")
def memory_app(make_app, built, dataset):
    memory = dataset if isinstance(dataset, store.LoadedDataset) else store.LoadedDataset(built, dataset.store)
    return make_app(DATASET=memory, QUERY_WORKERS=1)


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_both_modes_answer_byte_for_byte(memory_app, disk_app, name):
    query, accepts = QUERIES[name]
    for accept in accepts:
        answers = []
        for app in (memory_app, disk_app):
            r = app.test_client().get("/sparql", query_string={"query": query}, headers={"Accept": accept})
            assert r.status_code == 200, (name, accept, r.data[:300])
            answers.append(r.data)
        assert answers[0] == answers[1], (name, accept)
        if name == "ask":
            assert b"true" in answers[0], answers[0]
        else:
            assert len(answers[0]) > 20, answers[0]  # a real answer, not an empty one


def test_the_disk_mode_server_process_never_opens_rocksdb(disk_app, built):
    st = disk_app.extensions["r2pkg"]
    assert isinstance(st.dataset, store.DiskDataset)
    db = str((built.path / diskstore.FOLDER / diskstore.DB).resolve())

    def open_files(pid) -> list[str]:
        out = []
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                out.append(os.readlink(f"/proc/{pid}/fd/{fd}"))
            except OSError:
                pass
        return [f for f in out if f.startswith(db)]

    r = disk_app.test_client().get("/sparql", query_string={"query": "ASK { ?s ?p ?o }"})
    assert r.status_code == 200 and b"true" in r.data
    assert open_files(os.getpid()) == []  # this process forks workers: RocksDB is not fork-safe
    worker = st.executor._free[0]
    assert any(f.endswith(".sst") for f in open_files(worker.proc.pid))  # the worker opened it read-only
    # the server process answers its count and graphs from the store's statistics
    assert len(st.dataset) == built.manifest["triples"]
    assert st.dataset.graphs() == sorted(built.manifest["graphs"])


def test_the_disk_store_is_written_once_per_build(built):
    first = diskstore.ensure(built.path, built.dataset_path)
    stamp = (built.path / diskstore.FOLDER / diskstore.STATS).stat().st_mtime_ns
    assert diskstore.ensure(built.path, built.dataset_path) == first
    assert (built.path / diskstore.FOLDER / diskstore.STATS).stat().st_mtime_ns == stamp
    assert first["quads"] == built.manifest["triples"]
    assert not [p for p in built.path.iterdir() if p.name.startswith(".store-")]


def test_a_failed_disk_store_leaves_no_store(tmp_path: Path):
    (tmp_path / "dataset.nq").write_text("<http://example.org/s> <http://example.org/p> .\n")  # no object
    with pytest.raises(R2pkgError, match="on-disk store"):
        diskstore.ensure(tmp_path, tmp_path / "dataset.nq")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dataset.nq"]


def test_the_build_publishes_the_disk_store_with_the_artefact(tmp_path: Path):
    nq = (b'<http://example.org/s> <http://example.org/p> "1" <http://example.org/g1> .\n'
          b'<http://example.org/s> <http://example.org/p> "2" <http://example.org/g2> .\n')
    b = publish_nquads(nq, tmp_path / "builds", {}, linked_data=False, disk_store=True)
    assert diskstore.stats(b.path) == {"quads": 2, "graphs": ["http://example.org/g1", "http://example.org/g2"]}
    ds = store.load(b, "disk")
    assert len(ds) == 2 and ds.graphs() == ["http://example.org/g1", "http://example.org/g2"]


def test_an_unknown_store_mode_is_a_config_error(built):
    with pytest.raises(ConfigError, match="unknown store mode 'rocks'"):
        store.load(built, "rocks")


def test_serve_in_disk_mode(res, built, dataset):
    """`r2pkg serve --store-mode disk` (a real server process with its workers) answers from the store."""
    import json
    import urllib.parse
    import urllib.request

    from conftest import serve_subprocess, stop_subprocess

    proc, base = serve_subprocess(res, "--store-mode", "disk", "--query-workers", "1")
    try:
        with urllib.request.urlopen(base + "/healthz", timeout=10) as r:
            assert json.load(r)["triples"] == built.manifest["triples"]
        q = urllib.parse.urlencode({"query": "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"})
        req = urllib.request.Request(f"{base}/sparql?{q}", headers={"Accept": "text/csv"})
        with urllib.request.urlopen(req, timeout=10) as r:
            assert r.read().split() == [b"n", str(len(dataset.store)).encode()]
    finally:
        stop_subprocess(proc)
    assert diskstore.stats(built.path)["quads"] == built.manifest["triples"]
