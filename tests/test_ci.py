"""The README's two commands and what CI runs: the test command installs its own system
dependencies through .ci/install-test-deps.sh, which only installs what is missing."""
from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / ".ci" / "install-test-deps.sh"
AWK = "/^```/{n++; next} n==3{print; exit}"  # the extraction .ci/run uses


def fenced_blocks(text: str) -> list[str]:
    blocks, cur = [], None
    for line in text.splitlines():
        if line.startswith("```"):
            if cur is None:
                cur = []
            else:
                blocks.append("\n".join(cur))
                cur = None
        elif cur is not None:
            cur.append(line)
    return blocks


def test_readme_opens_with_the_two_commands():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    serve, tests = fenced_blocks(readme)[:2]
    assert serve.endswith(".venv/bin/r2pkg serve") and "\n" not in serve
    assert serve.startswith("bash .ci/install-test-deps.sh --run && python3 -m venv .venv && ")
    assert tests.startswith("bash .ci/install-test-deps.sh && python3 -m venv .venv && ")
    assert tests.endswith(".venv/bin/python -m pytest -q -n 2") and "\n" not in tests
    # nothing but prose comes before them
    assert readme.index("```") > readme.index("# r2pkg")


def test_ci_runs_exactly_the_readme_test_command():
    run = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert AWK in run and 'bash -euo pipefail -c "$test_cmd"' in run
    out = subprocess.run(["awk", AWK, str(REPO / "README.md")], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == fenced_blocks((REPO / "README.md").read_text(encoding="utf-8"))[1]
    assert os.access(REPO / ".ci" / "run", os.X_OK) and os.access(SCRIPT, os.X_OK)


@pytest.fixture
def stubs(tmp_path):
    """apt-get and sudo stand-ins that log their arguments (no package is really installed)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "calls.log"
    for name in ("apt-get", "sudo"):
        f = bin_dir / name
        body = f'echo "{name} $*" >> "{log}"\n' + ('exec "$@"\n' if name == "sudo" else "")
        f.write_text("#!/bin/sh\n" + body)
        f.chmod(f.stat().st_mode | stat.S_IEXEC)
    present = tmp_path / "present"
    present.write_text("#!/bin/sh\nexit 0\n")
    present.chmod(0o755)

    def run(*, chromium: bool, java: bool, venv: bool, args: tuple[str, ...] = ()):
        env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "SKIP_CLIENT_TOOLS": "1",
               "CHROMIUM_BIN": str(present if chromium else tmp_path / "no-chromium"),
               "JAVA_BIN": str(present if java else tmp_path / "no-java"),
               "PYTHON_BIN": sys.executable if venv else "false"}
        out = subprocess.run(["bash", str(SCRIPT), *args], env=env, capture_output=True, text=True, timeout=60)
        calls = log.read_text().splitlines() if log.exists() else []
        log.unlink(missing_ok=True)
        return out, calls

    return run


def _apt(calls):
    return [c for c in calls if c.startswith("apt-get")]


def test_nothing_is_installed_when_everything_is_there(stubs):
    out, calls = stubs(chromium=True, java=True, venv=True)
    assert out.returncode == 0, out.stderr
    assert _apt(calls) == []
    assert "chromium present" in out.stdout and "java present" in out.stdout


@pytest.mark.parametrize("chromium,java,venv,packages", [
    (False, False, False, "chromium default-jre-headless python3-venv"),
    (False, True, True, "chromium"),
    (True, False, True, "default-jre-headless"),
    (True, True, False, "python3-venv"),
])
def test_only_what_is_missing_is_installed(stubs, chromium, java, venv, packages):
    out, calls = stubs(chromium=chromium, java=java, venv=venv)
    assert out.returncode == 0, out.stderr
    assert _apt(calls) == ["apt-get update -q", f"apt-get install -y -q --no-install-recommends {packages}"]


def test_the_run_mode_installs_only_what_serving_needs(stubs):
    """The README's first command calls the script with --run: no browser, no Java."""
    out, calls = stubs(chromium=False, java=False, venv=False, args=("--run",))
    assert out.returncode == 0, out.stderr
    assert _apt(calls) == ["apt-get update -q", "apt-get install -y -q --no-install-recommends python3-venv"]
    out, calls = stubs(chromium=False, java=False, venv=True, args=("--run",))
    assert _apt(calls) == [] and "libseccomp present" in out.stdout


def test_the_test_command_also_installs_the_client_matrix_tools():
    script = SCRIPT.read_text(encoding="utf-8")
    assert 'bash "$(dirname "$0")/install-client-tools.sh"' in script
    assert (REPO / ".ci" / "install-client-tools.sh").exists()
