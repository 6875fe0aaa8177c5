"""`r2pkg query`: files, prefixes, formats, the terminal table; and stale builds (query and friends
rebuild when ontology/, shapes/ or data/ changed since the build, as make would)."""
from __future__ import annotations

import csv
import io
import json
import shutil

import pytest
from click.testing import CliRunner

from r2pkg import named
from r2pkg.cli import main
from r2pkg.formats import for_kind
from r2pkg.query import CUT_NOTE

COUNT_STATES = ("PREFIX r2p: <https://w3id.org/r2pkg/ontology#>\n"
                "SELECT (COUNT(?s) AS ?n) WHERE { ?s a r2p:State }\n")
CONSTRUCT_NLD = ("CONSTRUCT { ?s a ?c } WHERE { ?s a ?c ; "
                 "<https://w3id.org/r2pkg/ontology#iso3> \"NLD\" }\n")


@pytest.fixture
def q(res, built):
    def invoke(*args: str, env: dict | None = None):
        return CliRunner().invoke(main, ["--home", str(res.root), "--build-dir", str(res.build_dir), "query",
                                         *args], env=env, catch_exceptions=False)

    return invoke


def test_any_existing_path_is_a_file(q, tmp_path):
    f = tmp_path / "count.sparql"  # not .rq, and its stem is no query name
    f.write_text(COUNT_STATES)
    r = q(str(f), "--format", "csv")
    assert r.exit_code == 0, r.output
    assert r.stdout.splitlines() == ["n", "195"]


def test_unique_prefix_and_ambiguous_prefix(q, root):
    names = list(named.catalogue(root / "queries"))
    assert len(names) > 10
    r = q("cq05", "--format", "csv")
    assert r.exit_code == 0
    full = next(n for n in names if n.startswith("cq05"))
    assert r.stdout == q(full, "--format", "csv").stdout
    r = q("cq1")
    candidates = [n for n in names if n.startswith("cq1")]
    assert len(candidates) > 1
    assert r.exit_code == 2
    assert r.stderr == f"r2pkg: error: query name 'cq1' is ambiguous: {', '.join(candidates)}; give more of the name\n"


@pytest.mark.parametrize("text,kind,asked", [(COUNT_STATES, "results", "turtle"), (CONSTRUCT_NLD, "graph", "csv")])
def test_a_format_that_does_not_fit_names_those_that_do(q, tmp_path, text, kind, asked):
    f = tmp_path / "q.rq"
    f.write_text(text)
    r = q(str(f), "--format", asked)
    assert r.exit_code == 2
    fits = ", ".join(x.name for x in for_kind(kind))
    assert r.stderr.endswith(f"; use one of {fits}\n")
    assert r.stderr.startswith(f"r2pkg: error: format '{asked}' cannot serialise ")


@pytest.mark.parametrize("text,kind", [(COUNT_STATES, "results"), (CONSTRUCT_NLD, "graph")])
def test_every_format_ends_with_a_newline(q, tmp_path, text, kind):
    f = tmp_path / "q.rq"
    f.write_text(text)
    fmts = [x.name for x in for_kind(kind)] + ["table"]
    for fmt in fmts:
        r = q(str(f), "--format", fmt)
        assert r.exit_code == 0, (fmt, r.output)
        assert r.stdout_bytes.endswith(b"\n") and not r.stdout_bytes.endswith(b"\n\n"), fmt


def test_table_fits_the_terminal(q):
    rows = list(csv.DictReader(io.StringIO(q("cq05", "--format", "csv").stdout)))
    longest = max(len(v) for row in rows for v in row.values())
    assert longest > 100
    for width in (60, 100):
        r = q("cq05", env={"COLUMNS": str(width)})
        assert r.exit_code == 0
        lines = r.stdout.splitlines()
        assert max(len(line) for line in lines) <= width, width
        assert lines[-2:] == [f"({len(rows)} rows)", CUT_NOTE]
        assert "…" in r.stdout
        # a cut value is the start of the full one
        full = [v.replace("https://w3id.org/r2pkg/id/", "id:") for v in rows[0].values()]
        cut = [c.strip() for c in lines[2].split("  ") if c.strip().endswith("…")]
        assert cut and all(any(v.startswith(c[:-1]) and v != c for v in full) for c in cut)


def test_table_without_a_terminal_keeps_full_values(q):
    rows = list(csv.DictReader(io.StringIO(q("cq05", "--format", "csv").stdout)))
    r = q("cq05", env={"COLUMNS": ""})
    assert r.exit_code == 0
    assert "…" not in r.stdout.replace(rows[0]["exact"], "")
    assert rows[0]["exact"] in r.stdout
    assert r.stdout.splitlines()[-1] == f"({len(rows)} rows)"


def test_table_is_wide_enough_for_short_results(q, tmp_path):
    f = tmp_path / "q.rq"
    f.write_text(COUNT_STATES)
    r = q(str(f), env={"COLUMNS": "80"})
    assert r.stdout.splitlines() == ["n", "---", "195", "(1 rows)"]


# --- stale builds ---------------------------------------------------------------------------------

MARK = "http://www.w3.org/2000/01/rdf-schema#comment"
ASK_MARK = f'ASK {{ ?s <{MARK}> "stale-check" }}\n'


@pytest.fixture(scope="module")
def built_home(tmp_path_factory, res):
    """A copy of the project's files, built once (without the OWL RL check) for the module."""
    top = tmp_path_factory.mktemp("built-home")
    h = top / "home"
    for d in ("ontology", "shapes", "data", "queries"):
        shutil.copytree(res.root / d, h / d)
    (top / "ask.rq").write_text(ASK_MARK)
    assert _run(h, "build", "--no-consistency").exit_code == 0
    return top


@pytest.fixture
def home(tmp_path, built_home):
    """A fresh copy of ``built_home`` (files, build folder, query) for one test to change."""
    shutil.copytree(built_home, tmp_path, symlinks=True, dirs_exist_ok=True)  # `current` is a relative link
    return tmp_path / "home"


def _run(home, *args):
    return CliRunner().invoke(main, ["--home", str(home), "--build-dir", str(home.parent / "b"), *args],
                              catch_exceptions=False)


def _manifest(home):
    return json.loads((home.parent / "b" / "current" / "manifest.json").read_text())


@pytest.mark.slow
def test_query_rebuilds_after_data_changed(home):
    first = _manifest(home)
    assert first["fingerprint"]["data/dialogue-2017/event.ttl"] and first["validation"]["consistency"] == "skipped"
    ask = str(home.parent / "ask.rq")
    r = _run(home, "query", ask)
    assert (r.exit_code, r.stdout, r.stderr) == (0, "false\n", "")
    event = home / "data" / "dialogue-2017" / "event.ttl"
    subject = "https://example.org/stale-check"  # untyped: no shape applies to it
    with event.open("a", encoding="utf-8") as f:
        f.write(f'\n<{subject}> <{MARK}> "stale-check" .\n')
    r = _run(home, "query", ask)
    assert r.exit_code == 0, r.output
    assert r.stdout == "true\n"
    assert r.stderr == (f"r2pkg: data/dialogue-2017/event.ttl changed since build {first['build_id']}; "
                        f"rebuilding\n")
    second = _manifest(home)
    assert second["build_id"] != first["build_id"] and second["validation"]["consistency"] == "skipped"
    r = _run(home, "query", ask)  # now current: no rebuild
    assert (r.stdout, r.stderr) == ("true\n", "")
    assert _manifest(home)["build_id"] == second["build_id"]


@pytest.mark.slow
def test_touching_a_file_does_not_rebuild(home):
    import os
    import time

    before = _manifest(home)
    p = home / "shapes" / sorted(x.name for x in (home / "shapes").glob("*.ttl"))[0]
    later = time.time() + 5
    os.utime(p, (later, later))
    r = _run(home, "stats", "--json")
    assert r.exit_code == 0 and r.stderr == ""
    assert json.loads(r.stdout)["build_id"] == before["build_id"]


@pytest.mark.slow
def test_a_broken_edit_fails_and_keeps_the_old_build(home):
    before = _manifest(home)
    (home / "data" / "dialogue-2017" / "broken.ttl").write_text("this is not turtle\n")
    r = _run(home, "query", str(home.parent / "ask.rq"))
    assert r.exit_code == 2
    lines = r.stderr.splitlines()
    assert lines[0] == f"r2pkg: data/dialogue-2017/broken.ttl changed since build {before['build_id']}; rebuilding"
    assert lines[1].startswith("r2pkg: error: ") and "broken.ttl:1:" in lines[1]
    assert _manifest(home)["build_id"] == before["build_id"]


def test_a_build_published_from_a_dataset_file_is_never_stale(res, tmp_path):
    """The benchmark publishes synthetic N-Quads as a build (no sources recorded): serving or
    querying it must not rebuild from the checkout's data over it."""
    from r2pkg.build import publish_nquads, stale_inputs
    from r2pkg.paths import Resources

    nq = b'<https://example.org/s> <https://example.org/p> "bench" <https://example.org/g> .\n'
    b = publish_nquads(nq, tmp_path / "b", {"source": "bench k1.nq"}, linked_data=False)
    assert stale_inputs(Resources(root=res.root, build_dir=tmp_path / "b"), b) == []
    rq = tmp_path / "q.rq"
    rq.write_text("SELECT ?o WHERE { GRAPH ?g { ?s <https://example.org/p> ?o } }", encoding="utf-8")
    out = CliRunner().invoke(main, ["--build-dir", str(tmp_path / "b"), "query", "--format", "csv", str(rq)])
    assert out.exit_code == 0, out.output
    assert out.output.splitlines() == ["o", "bench"]
