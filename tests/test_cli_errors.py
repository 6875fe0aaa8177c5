"""Every user error of the CLI: one line `r2pkg: error: <what and how to fix>` on stderr, exit 2,
nothing on stdout and no traceback. At least one case per command."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from r2pkg.cli import main

NOT_UTF8 = b"SELECT * WHERE { ?s ?p ?o } # caf\xe9\n"

# (id, command line with {tmp} for a scratch folder and {free} for a free port, expected fragment)
CASES = [
    ("build-no-home", ["--home", "{tmp}/empty", "build"], "no directory with ontology, shapes, data found"),
    ("validate-no-home", ["--home", "{tmp}/empty", "validate"], "no directory with ontology, shapes, data found"),
    ("query-missing-rq", ["query", "{tmp}/nope.rq"], "no such file: {tmp}/nope.rq"),
    ("query-missing-path", ["query", "{tmp}/sub/q.sparql"], "no such file: {tmp}/sub/q.sparql"),
    ("query-folder", ["query", "{tmp}"], "is a folder; give a query file or a query name"),
    ("query-not-utf8", ["query", "{tmp}/latin1.sparql"], "latin1.sparql: not UTF-8 (invalid byte 0xe9 on line 1)"),
    ("query-ambiguous", ["query", "cq1"], "query name 'cq1' is ambiguous: cq10-"),
    ("query-turtle-on-select", ["query", "cq05", "--format", "turtle"],
     "format 'turtle' cannot serialise SELECT/ASK results; use one of json, xml, csv, tsv"),
    ("query-bad-option", ["query", "cq05", "--format", "bogus"], "Invalid value for '--format'"),
    ("stats-extra-argument", ["stats", "extra"], "Got unexpected extra argument (extra); see 'r2pkg stats --help'"),
    ("serve-store-not-a-url", ["serve", "--port", "{free}", "--store", "notaurl"],
     "'notaurl' is not an http(s) URL; give the endpoint's full URL, e.g. http://127.0.0.1:7878/query"),
    ("publish-not-a-url", ["publish", "--to", "notaurl"],
     "'notaurl' is not an http(s) URL; give the endpoint's full URL, e.g. http://127.0.0.1:7878/store"),
    ("publish-no-to", ["publish"], "Missing option '--to'"),
    ("export-missing-folder", ["export", "support", "-o", "{tmp}/missing/out.gexf"],
     "cannot write {tmp}/missing/out.gexf: folder {tmp}/missing does not exist; create it first"),
    ("export-unknown-view", ["export", "nope"], "no graph view 'nope'; available: support"),
    ("passage-missing-source", ["passage", "anything", "--source", "nope"],
     "no source 'nope' in "),
    ("passage-empty", ["passage", ""], "the text to find is empty"),
    ("passage-blank", ["passage", "   "], "the text to find is empty"),
    ("passage-not-found", ["passage", "no such words anywhere in it"], "passage not found in source"),
    ("unknown-command", ["nosuch"], "No such command 'nosuch'; see 'r2pkg --help'"),
]


def test_every_command_has_an_error_case():
    commands = {a for _, args, _ in CASES for a in args if a in main.commands}
    assert commands == set(main.commands) and len(commands) >= 8


@pytest.fixture
def scratch(tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "latin1.sparql").write_bytes(NOT_UTF8)
    return tmp_path


def _fill(args, tmp: Path, free: int) -> list[str]:
    return [a.format(tmp=tmp, free=free) for a in args]


@pytest.mark.parametrize("args,fragment", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_user_error_is_one_line_exit_2(args, fragment, res, built, scratch):
    from conftest import free_port

    free = free_port()
    argv = _fill(args, scratch, free)
    if "--home" not in argv:
        argv = ["--home", str(res.root), *argv]
    r = CliRunner().invoke(main, ["--build-dir", str(res.build_dir), *argv], catch_exceptions=False)
    assert r.exit_code == 2, r.output
    assert r.stdout == ""
    lines = r.stderr.splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("r2pkg: error: ")
    assert fragment.format(tmp=scratch, free=free) in lines[0]


@pytest.mark.parametrize("args", [
    ["passage", "x", "--source", "nope"],
    ["query", "{tmp}/latin1.sparql"],
    ["export", "support", "-o", "{tmp}/missing/out.gexf"],
    ["publish", "--to", "notaurl"],
], ids=["passage", "query", "export", "publish"])
def test_real_process_prints_no_traceback(args, res, built, scratch):
    env = {**os.environ, "R2PKG_HOME": str(res.root), "R2PKG_BUILD_DIR": str(res.build_dir)}
    out = subprocess.run([sys.executable, "-m", "r2pkg.cli", *_fill(args, scratch, 0)], env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 2
    assert "Traceback" not in out.stderr
    assert out.stderr.startswith("r2pkg: error: ") and out.stderr.count("\n") == 1


def test_export_to_a_folder_is_refused(res, built, scratch):
    r = CliRunner().invoke(main, ["--home", str(res.root), "--build-dir", str(res.build_dir), "export",
                                  "support", "-o", str(scratch / "empty")], catch_exceptions=False)
    assert r.exit_code == 2
    assert r.stderr.startswith("r2pkg: error: ") and r.stderr.count("\n") == 1
    assert "is a directory" in r.stderr


# --- serve: a second server on a port in use refuses ------------------------------------------------

@pytest.fixture(params=["plain", "reuseport"])
def listener(request):
    """A real listening socket on a free loopback port (with SO_REUSEPORT, as Granian binds)."""
    s = socket.socket()
    if request.param == "reuseport":
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    s.bind(("127.0.0.1", 0))
    s.listen()
    yield s.getsockname()[1]
    s.close()


def test_port_in_use_is_detected(listener):
    from r2pkg.errors import PortInUse
    from r2pkg.ports import ensure_port_free

    with pytest.raises(PortInUse, match=f"port {listener} is in use"):
        ensure_port_free("127.0.0.1", listener)
    with pytest.raises(PortInUse):  # every interface includes loopback
        ensure_port_free("0.0.0.0", listener)


def test_free_port_passes():
    from conftest import free_port

    from r2pkg.ports import ensure_port_free

    assert ensure_port_free("127.0.0.1", free_port()) is None


def test_serve_refuses_a_port_in_use(listener, res, built):
    env = {**os.environ, "R2PKG_HOME": str(res.root), "R2PKG_BUILD_DIR": str(res.build_dir)}
    out = subprocess.run([sys.executable, "-m", "r2pkg.cli", "serve", "--port", str(listener)], env=env,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 2
    assert out.stdout == ""
    assert out.stderr == (f"r2pkg: error: port {listener} is in use on 127.0.0.1 (another `r2pkg serve`?); "
                          f"stop that server or choose another port with --port\n")


def test_serve_on_an_address_not_of_this_machine(res, built):
    from conftest import free_port

    port = free_port()
    r = CliRunner().invoke(main, ["--home", str(res.root), "--build-dir", str(res.build_dir), "serve",
                                  "--host", "192.0.2.1", "--port", str(port)], catch_exceptions=False)
    assert r.exit_code == 2
    assert r.stderr.startswith(f"r2pkg: error: cannot listen on 192.0.2.1:{port}: ")
    assert r.stderr.endswith("; check --host\n")


def test_no_command_prints_the_help():
    r = CliRunner().invoke(main, [], catch_exceptions=False)
    assert r.exit_code == 0 and r.stderr == ""
    assert r.stdout.startswith("Usage: r2pkg [OPTIONS] COMMAND [ARGS]...") and "Example:" in r.stdout
