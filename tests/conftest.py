"""Shared fixtures: one validated build per test session, loaded once into pyoxigraph."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from r2pkg import store
from r2pkg.build import build, ensure_build
from r2pkg.paths import Resources, resource_root

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def root() -> Path:
    r = resource_root()
    assert r == REPO, f"tests must run against this checkout, resolved {r}"
    return r


# A session that re-runs the HTTP suites over another store (store_mode_suites, below) hands
# its own build to the child sessions, which then do not build again.
SHARED_BUILD = "R2PKG_TEST_BUILD_DIR"


def _xdist_worker() -> str | None:
    """The pytest-xdist worker this process is (``gw0``, ...), or None without xdist."""
    return os.environ.get("PYTEST_XDIST_WORKER")


@pytest.fixture(scope="session")
def res(root: Path, tmp_path_factory: pytest.TempPathFactory) -> Resources:
    shared = os.environ.get(SHARED_BUILD)
    if shared:  # a relative folder is the repository's (as the README's inner loop names it)
        return Resources(root=root, build_dir=REPO / shared)
    if _xdist_worker():  # one build for all the workers of the run, beside their own temp folders
        return Resources(root=root, build_dir=tmp_path_factory.getbasetemp().parent / "session-build")
    return Resources(root=root, build_dir=tmp_path_factory.mktemp("build"))


@pytest.fixture(scope="session")
def built(res: Resources):
    """The project's data, built (SHACL + passages + OWL RL) once for the session. With
    R2PKG_TEST_BUILD_DIR set (a parent session's build, or a folder kept between runs of the inner
    loop) that build, rebuilt only if an input changed since; under pytest-xdist the first worker
    builds and the others wait for it, then use it."""
    shared = bool(os.environ.get(SHARED_BUILD))
    if shared or _xdist_worker():
        import fcntl

        res.build_dir.parent.mkdir(parents=True, exist_ok=True)
        with open(res.build_dir.parent / f"{res.build_dir.name}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # one process builds; the others wait, then read it
            if not shared:
                return ensure_build(res)
            # a kept build is also stale when the code that builds it changed (not only the data)
            stamp = res.build_dir.parent / f"{res.build_dir.name}.code"
            code = _code_digest()
            if stamp.is_file() and stamp.read_text() != code:
                b = build(res)
            else:
                b = ensure_build(res, rebuild_stale=True)
            stamp.write_text(code)
            return b
    return build(res)


def _code_digest() -> str:
    """A digest of every file under src/r2pkg (the code that makes a build)."""
    import hashlib

    h = hashlib.sha256()
    for f in sorted((REPO / "src" / "r2pkg").rglob("*")):
        if f.is_file() and "__pycache__" not in f.parts:
            h.update(str(f.relative_to(REPO)).encode() + b"\0" + f.read_bytes())
    return h.hexdigest()


@dataclass
class DiskUnderTest(store.DiskDataset):
    """The disk store mode under test (what the apps serve from), carrying the in-memory store the
    tests compute their expected answers from."""

    store: object = None


@pytest.fixture(scope="session")
def dataset(built):
    """The session's dataset: in memory, or with R2PKG_TEST_STORE_MODE=disk the build's on-disk store
    (apps over it open it in their workers), with the in-memory store still at ``.store``."""
    loaded = store.load(built)
    if os.environ.get("R2PKG_TEST_STORE_MODE", "memory") == "disk":
        disk = store.load(built, "disk")
        return DiskUnderTest(disk.build, disk.stats, loaded.store)
    return loaded


def store_mode() -> str:
    """What the HTTP suites run over: ``embedded`` (default), ``remote`` (Oxigraph server) or
    ``virtuoso``, from R2PKG_TEST_STORE."""

    return os.environ.get("R2PKG_TEST_STORE", "embedded")


# Named queries whose answers hold a boolean (EXISTS, comparisons), which Virtuoso 7.2 returns as
# 1/0 typed xsd:integer: its bug, an xfail wherever an answer over Virtuoso is compared.
VIRTUOSO_BOOLEAN_QUERIES = ("cq06-challengers-of-r2p", "cq08-all-nine-discussions", "cq22-friend-when-it-spoke",
                            "cq25-claims-naming-included-actors", "cq28-related-veto-initiatives",
                            "cq29-stances-held-on-behalf-of-a-member")
VIRTUOSO_BOOLEAN_BUG = "EXISTS (any boolean) comes back as 1/0 typed xsd:integer, not xsd:boolean"


def virtuoso_xfail(reason: str):
    """A known Virtuoso bug, marked only when the suites run over Virtuoso (strict: a fix shows)."""
    return pytest.mark.xfail(store_mode() == "virtuoso", reason="Virtuoso 7.2 bug: " + reason, strict=True)


def oxigraph_bin() -> str:
    import shutil
    import sys

    exe = Path(sys.executable).parent / "oxigraph"
    found = str(exe) if exe.exists() else shutil.which("oxigraph")
    assert found, "the oxigraph server CLI (PyPI package `oxigraph`, in the test extra) is not installed"
    return found


def start_oxigraph(location: Path):
    """A real, writable `oxigraph serve` on a free loopback port: (process, base URL)."""
    import subprocess
    import time
    import urllib.request

    port = free_port()
    proc = subprocess.Popen([oxigraph_bin(), "serve", "--location", str(location), "--bind", f"127.0.0.1:{port}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            urllib.request.urlopen(base + "/query?query=ASK%7B%7D", timeout=1).read()
            return proc, base
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("oxigraph serve did not start")


@pytest.fixture(scope="session")
def test_store(built, tmp_path_factory):
    """With R2PKG_TEST_STORE=remote, the HTTP suites run against a real Oxigraph server holding the
    published build (`r2pkg serve --store` mode); with R2PKG_TEST_STORE=virtuoso, against a real
    Virtuoso (Debian's virtuoso-t, private database in a temp folder) holding it; otherwise against
    the embedded store (None)."""

    mode = os.environ.get("R2PKG_TEST_STORE", "embedded")
    if mode not in ("remote", "virtuoso"):
        yield None
        return
    from r2pkg.remote import publish

    if mode == "virtuoso":
        from virtuoso_server import PASSWORD, USER, start_virtuoso

        server = start_virtuoso(tmp_path_factory.mktemp("virtuoso-suite"), allow_service=True, nice=10,
                                threads_per_query=1)
        try:
            publish(built.dataset_path, server.gsp, user=USER, password=PASSWORD)
            yield server.sparql
        finally:
            server.stop()
        return
    proc, base = start_oxigraph(tmp_path_factory.mktemp("oxigraph-suite"))
    publish(built.dataset_path, base + "/store")
    yield base + "/query"
    proc.terminate()
    proc.wait(10)


@pytest.fixture(scope="session")
def make_app(res, dataset, test_store):
    """Factory for apps over the session dataset (or an injected one, or the remote test store);
    executors closed at the end."""
    from r2pkg.web import create_app

    apps = []

    def factory(**config):
        backend = {"STORE": test_store} if test_store and "DATASET" not in config else {}
        # 30 s, not the served 5 s: the answers are what most tests check, and on 2 shared cores
        # (pytest-xdist, the store-mode children) a heavy CONSTRUCT can take longer than 5 s there;
        # the tests of timeouts set their own
        cfg = {"HOME": str(res.root), "BUILD_DIR": str(res.build_dir), "DATASET": dataset,
               "QUERY_WORKERS": 2, "QUERY_TIMEOUT": 30.0, **backend, **config}
        app = create_app(cfg)
        app.config["TESTING"] = True
        apps.append(app)
        return app

    yield factory
    for app in apps:
        app.extensions["r2pkg"].executor.close()


@pytest.fixture(scope="session")
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve_subprocess(res, *extra_args: str, env: dict | None = None, log=None, wait_s: float = 30):
    """Start `r2pkg serve` on a free loopback port; returns (process, base URL) once /healthz answers.

    ``log``: a file for the server's output (for long or noisy runs: a pipe nobody reads could fill
    and stall the server); by default it is a pipe, read when the server fails to start."""
    import subprocess
    import sys
    import time
    import urllib.request

    port = free_port()
    full_env = {**os.environ, "R2PKG_BUILD_DIR": str(res.build_dir), "R2PKG_HOME": str(res.root), **(env or {})}
    cmd = [sys.executable, "-m", "r2pkg.cli", "serve", "--port", str(port), *extra_args]
    if log is None:
        proc = subprocess.Popen(cmd, env=full_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    else:
        with open(log, "wb") as out:
            proc = subprocess.Popen(cmd, env=full_env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=1) as r:
                if r.status == 200:
                    return proc, base
        except OSError:
            if proc.poll() is not None:
                said = proc.stdout.read() if proc.stdout else open(log, encoding="utf-8", errors="replace").read()[-2000:]
                raise RuntimeError("r2pkg serve exited: " + said)
            time.sleep(0.1)
    stop_subprocess(proc)
    raise RuntimeError(f"r2pkg serve did not answer /healthz within {wait_s:g} s")


def stop_subprocess(proc) -> None:
    import subprocess

    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)
    if proc.stdout:
        proc.stdout.close()


@pytest.fixture(scope="session")
def live_server(res, built):
    """`r2pkg serve` as a subprocess on a free loopback port (real HTTP server, real sockets)."""
    proc, base = serve_subprocess(res, "--timeout", "3")
    yield base
    stop_subprocess(proc)


CONFIGURED_PUBLIC_URL = "https://r2pkg.example.org/"
CONFIGURED_METRICS_ALLOW = "192.0.2.0/24"


@pytest.fixture(scope="session")
def configured_server(res, built):
    """`r2pkg serve` with R2PKG_PUBLIC_URL and R2PKG_METRICS_ALLOW (a network the loopback client
    is not in) set in its environment: real-server tests of those settings."""
    proc, base = serve_subprocess(res, "--timeout", "3", env={"R2PKG_PUBLIC_URL": CONFIGURED_PUBLIC_URL,
                                                              "R2PKG_METRICS_ALLOW": CONFIGURED_METRICS_ALLOW})
    yield base
    stop_subprocess(proc)


# -- the HTTP suites over other stores ----------------------------------------------------------------

STORE_MODE_SUITES = ["tests/test_http_formats.py", "tests/test_http_api.py", "tests/test_http_safety.py",
                     "tests/test_hardening.py", "tests/test_fastpath.py"]
# mode -> the child's environment: over a real Oxigraph server, over Virtuoso, and the embedded
# store in its disk mode (the build's on-disk store, opened read-only by each query worker)
STORE_MODES = {"remote": {"R2PKG_TEST_STORE": "remote"}, "virtuoso": {"R2PKG_TEST_STORE": "virtuoso"},
               "disk": {"R2PKG_TEST_STORE_MODE": "disk"}}
# what each mode's child skips: over a remote store, the one test of the embedded store's workers
REMOTE_SKIP = "checks the embedded store's worker processes; remote-store timeouts are in test_remote.py"
STORE_MODE_SKIPS = {"remote": [REMOTE_SKIP], "virtuoso": [REMOTE_SKIP], "disk": []}


@pytest.fixture(scope="session")
def store_mode_suites(request, res, built):
    """``result(mode)``: the HTTP suites (STORE_MODE_SUITES) run again in a child pytest with
    R2PKG_TEST_STORE=``mode``, as (summary line, skipped, xfailed), the last two lists of
    (test, reason). The children of both modes start together on first use (they wait on their
    stores much of the time, so the two overlap) and reuse this session's build."""
    import re
    import subprocess
    import sys

    from virtuoso_server import virtuoso_bin

    # a child is a session of its own, not one more worker of this run's pytest-xdist
    env = {**{k: v for k, v in os.environ.items()
              if not k.startswith("PYTEST_XDIST_") and k not in ("R2PKG_TEST_STORE", "R2PKG_TEST_STORE_MODE")},
           SHARED_BUILD: str(res.build_dir)}
    procs = {mode: subprocess.Popen([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rsx",
                                     *STORE_MODE_SUITES], cwd=REPO, env={**env, **mode_env},
                                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
             for mode, mode_env in STORE_MODES.items()  # the modes whose test is in this session (and can run here)
             if any(f"suites_pass_in_{mode}" in item.name for item in request.session.items)
             and (mode != "virtuoso" or virtuoso_bin() is not None)}
    outputs: dict[str, tuple[int, str]] = {}

    def result(mode: str):
        if mode not in outputs:
            out, _ = procs[mode].communicate(timeout=900)
            outputs[mode] = (procs[mode].returncode, out)
        code, out = outputs[mode]
        summary = out.strip().splitlines()[-1]
        assert code == 0, out[-5000:]
        passed = int(re.search(r"(\d+) passed", summary).group(1))
        assert passed >= 150 and not re.search(r"\d+ (failed|errors?)\b", summary), summary
        skipped = re.findall(r"SKIPPED \[\d+\] (\S+): (.*)", out)
        xfailed = re.findall(r"XFAIL (\S+) - (.*)", out)
        assert [why for _, why in skipped] == STORE_MODE_SKIPS[mode], skipped
        return summary, skipped, xfailed

    yield result
    for proc in procs.values():
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
