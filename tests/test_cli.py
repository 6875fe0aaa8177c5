"""Every CLI entry point, through click's CliRunner, plus the installed wheel run outside the repo."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from click.testing import CliRunner

from r2pkg.cli import main

COMMANDS = sorted(main.commands)


@pytest.fixture
def cli(res, built):
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(main, ["--home", str(res.root), "--build-dir", str(res.build_dir), *args],
                             catch_exceptions=False)

    return invoke


def test_commands_exist():
    assert {"build", "validate", "query", "stats", "passage"} <= set(COMMANDS)


@pytest.mark.parametrize("command", [None, *COMMANDS])
def test_help_is_useful(command):
    args = [command, "--help"] if command else ["--help"]
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 0
    assert "Usage:" in r.output
    doc = (main.commands[command].help if command else main.help) or ""
    assert doc.split("\n")[0].strip()[:30] in " ".join(r.output.split())
    # an example, shown as written (click's \b keeps its lines), that runs this very command
    example = r.output.split("Example:", 1)[1].split("Options:", 1)[0]
    assert f"r2pkg {command or 'build'}" in example
    assert all(line.strip().startswith("r2pkg ") for line in example.splitlines() if line.strip())


def test_version():
    from r2pkg import __version__

    r = CliRunner().invoke(main, ["--version"])
    assert r.exit_code == 0 and __version__ in r.output


@pytest.mark.slow
def test_validate_conforms_exit_0(cli):
    r = cli("validate", "--no-consistency")
    assert r.exit_code == 0, r.output
    assert r.output.startswith("Conforms: True (0 violations")


@pytest.mark.slow
def test_validate_turtle_report(cli):
    r = cli("validate", "--no-consistency", "--format", "turtle")
    assert r.exit_code == 0
    assert "sh:conforms true" in r.output


@pytest.mark.slow
def test_validate_nonconforming_exit_1(tmp_path, res):
    import shutil

    home = tmp_path / "home"
    for d in ("ontology", "shapes", "data", "queries"):
        shutil.copytree(res.root / d, home / d)
    (home / "data" / "bad.ttl").write_text(
        "@prefix r2p: <https://w3id.org/r2pkg/ontology#> .\n"
        "<https://w3id.org/r2pkg/id/statement/x> a r2p:Statement .\n")
    r = CliRunner().invoke(main, ["--home", str(home), "validate", "--no-consistency"])
    assert r.exit_code == 1
    assert "shapes:Statement" in r.output and "shapes:HasPassage" in r.output


def test_validate_syntax_error_exit_2(tmp_path, res):
    import shutil

    home = tmp_path / "home"
    for d in ("ontology", "shapes", "data", "queries"):
        shutil.copytree(res.root / d, home / d)
    (home / "data" / "bad.ttl").write_text("this is not turtle\n")
    r = CliRunner().invoke(main, ["--home", str(home), "validate"])
    assert r.exit_code == 2
    assert r.stderr.startswith("r2pkg: error: ") and "bad.ttl:1:" in r.stderr
    assert len(r.stderr.splitlines()) == 1


@pytest.mark.slow
def test_build_command(cli, tmp_path, res):
    r = CliRunner().invoke(main, ["--home", str(res.root), "--build-dir", str(tmp_path), "build",
                                  "--no-consistency"])
    assert r.exit_code == 0, r.output
    assert r.output.startswith("built ")
    assert (tmp_path / "current" / "dataset.nq").is_file()


def test_stats_json(cli, built):
    r = cli("stats", "--json")
    assert r.exit_code == 0
    s = json.loads(r.output)
    assert s["build_id"] == built.build_id
    assert s["triples"] == built.manifest["triples"]
    assert s["classes"]["https://w3id.org/r2pkg/ontology#State"] == 195
    assert s["graphs"]["https://w3id.org/r2pkg/graph/ontology"] == built.manifest["graphs"][
        "https://w3id.org/r2pkg/graph/ontology"]


def test_stats_table(cli):
    r = cli("stats")
    assert r.exit_code == 0
    assert "triples per graph:" in r.output and "r2pkg/graph/reference/un-membership" in r.output


def test_query_file_formats(cli, tmp_path):
    q = tmp_path / "count.rq"
    q.write_text("PREFIX r2p: <https://w3id.org/r2pkg/ontology#>\n"
                 "SELECT (COUNT(?s) AS ?n) WHERE { ?s a r2p:RegionalGroup }")
    r = cli("query", str(q), "--format", "json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["results"]["bindings"][0]["n"]["value"] == "5"
    r = cli("query", str(q), "--format", "csv")
    assert r.output.splitlines() == ["n", "5"]
    r = cli("query", str(q))
    assert r.output.splitlines()[-1] == "(1 rows)"


def test_query_construct_defaults_to_turtle(cli, tmp_path):
    q = tmp_path / "c.rq"
    q.write_text("CONSTRUCT { ?s a ?c } WHERE { ?s a ?c ; <https://w3id.org/r2pkg/ontology#iso3> \"NLD\" }")
    r = cli("query", str(q))
    assert r.exit_code == 0
    assert "<https://w3id.org/r2pkg/id/state/NLD>" in r.output


def test_query_errors_exit_2(cli, tmp_path):
    q = tmp_path / "bad.rq"
    q.write_text("SELECT WHERE {")
    r = cli("query", str(q))
    assert r.exit_code == 2 and r.stderr.startswith("r2pkg: error: ")
    r = cli("query", "no-such-query")
    assert r.exit_code == 2 and r.stderr.startswith("r2pkg: error: no named query 'no-such-query'; available: cq01")


def test_passage_command(cli):
    r = cli("passage", "Seventeen states have participated")
    assert r.exit_code == 0
    assert "a r2p:Passage" in r.output and "oa:start" in r.output
    r = cli("passage", "R2P")
    assert r.exit_code == 2 and "occurs" in r.output


@pytest.mark.slow
def test_installed_wheel_runs_outside_the_repo(root, tmp_path):
    """Build the wheel, install it (no deps) into a folder, run the CLI from elsewhere: packaged
    resources must be found without the checkout."""
    wheel_dir = tmp_path / "wheel"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(wheel_dir), str(root)], check=True)
    wheels = list(wheel_dir.glob("r2pkg-*.whl"))
    assert len(wheels) == 1
    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(site),
                    str(wheels[0])], check=True)
    assert (site / "r2pkg" / "_resources" / "ontology" / "r2p.ttl").is_file()
    env = {k: v for k, v in os.environ.items() if not k.startswith("R2PKG_")}
    env["PYTHONPATH"] = str(site)
    env["R2PKG_BUILD_DIR"] = str(tmp_path / "b")
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    code = ("import r2pkg.paths as p, sys; r = p.resource_root(); "
            "print(r); sys.exit(0 if '_resources' in str(r) else 1)")
    out = subprocess.run([sys.executable, "-c", code], cwd=elsewhere, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    out = subprocess.run([sys.executable, "-m", "r2pkg.cli", "build", "--no-consistency"], cwd=elsewhere,
                         env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("built ")


def test_named_query_parameters_are_projected(root):
    """pyoxigraph binds only variables of the SELECT projection: every declared parameter must be one."""
    import pyoxigraph as ox

    from r2pkg import named

    cat = named.catalogue(root / "queries")
    assert cat, "no named queries found"
    store = ox.Store()
    for q in cat.values():
        if not q.params:
            continue
        subs = {p.name: p.to_term(p.default) for p in q.params if p.default}
        assert subs, f"{q.name}: parameters need defaults"
        from r2pkg.query import run

        run(store, q.text, substitutions=subs)  # raises BadParameter if one is not projected


def test_unprojected_parameter_is_a_bad_parameter():
    import pyoxigraph as ox

    from r2pkg.errors import BadParameter
    from r2pkg.query import run

    with pytest.raises(BadParameter, match="projection"):
        run(ox.Store(), "SELECT ?o WHERE { ?s ?p ?o }", substitutions={"s": ox.NamedNode("http://example.org/x")})


@pytest.mark.slow
@pytest.mark.parametrize("server", ["granian", "granian-wsgi", "gunicorn"])
def test_serve_with_each_server(res, built, server):
    """`r2pkg serve --server X` prints its URLs and answers a query over real HTTP."""
    import time
    import urllib.parse
    import urllib.request

    from conftest import free_port

    port = free_port()
    env = {**os.environ, "R2PKG_BUILD_DIR": str(res.build_dir), "R2PKG_HOME": str(res.root)}
    proc = subprocess.Popen([sys.executable, "-m", "r2pkg.cli", "serve", "--port", str(port), "--server", server],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        url = f"http://127.0.0.1:{port}/sparql?" + urllib.parse.urlencode(
            {"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s a <https://w3id.org/r2pkg/ontology#State> }"})
        body = None
        for _ in range(300):
            try:
                with urllib.request.urlopen(url, timeout=2) as r:
                    body = json.loads(r.read())
                break
            except OSError:
                time.sleep(0.1)
        assert body is not None, f"{server} did not answer"
        assert body["results"]["bindings"][0]["n"]["value"] == "195"
        # `serve` exec'd a lean master: it never loaded the engine (its workers did)
        from pathlib import Path

        assert b"r2pkg.server" in Path(f"/proc/{proc.pid}/cmdline").read_bytes()
        assert "pyoxigraph" not in Path(f"/proc/{proc.pid}/maps").read_text()
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=15)
    assert f"SPARQL endpoint: http://127.0.0.1:{port}/sparql" in out


def test_query_named_with_params(cli):
    r = cli("query", "cq14", "--format", "csv", "--param", "subject=https://w3id.org/r2pkg/id/state/CRI",
            "--param", "target=https://w3id.org/r2pkg/id/mechanism/iiim")
    assert r.exit_code == 0, r.output
    rows = r.output.splitlines()
    assert len(rows) >= 2 and all("state/CRI" in row and "mechanism/iiim" in row for row in rows[1:])
    r = cli("query", "cq14", "--param", "subject=not an iri")
    assert r.exit_code == 2 and r.stderr.startswith("r2pkg: error: parameter 'subject' must be an absolute IRI")
    r = cli("query", "cq14", "--param", "nosuch=1")
    assert r.exit_code == 2 and "has no parameter nosuch" in r.output
