"""The benchmark's ratios (bench/summary.py): paired over the queries both servers answered, and
the published summary is what the script makes of the published JSON (no number typed in)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))

from summary import paired, paired_cell  # noqa: E402


def _run(rows: dict[str, dict[str, float]]) -> dict:
    return {"queries": {q: {name: {"rps_c4": v} for name, v in row.items()} for q, row in rows.items()}}


def test_a_query_one_server_did_not_answer_is_named_not_dropped_from_one_side():
    run = _run({"q1": {"a": 200, "b": 100}, "q2": {"a": 50, "b": 100}, "heavy": {"a": 0, "b": 2}})
    ratio, only_b, only_a = paired(run, "a", "b", 4)
    assert ratio == pytest.approx(1.0)  # sqrt(2 * 0.5), over q1 and q2 only
    assert (only_b, only_a) == (["heavy"], [])
    assert paired_cell(run, "a", "b", 4) == "1.00x (heavy: 0 req/s)"
    # the other way round, the one that answered it is b
    assert paired_cell(run, "b", "a", 4) == "1.00x (heavy: a 0 req/s)"


def test_an_error_counts_as_no_answer_and_unmeasured_queries_are_left_out():
    run = _run({"q1": {"a": 10, "b": 40}})
    run["queries"]["q2"] = {"a": {"error": 500}, "b": {"rps_c4": 5}}
    run["queries"]["cq"] = {"a": {"rows": 3}, "b": {"rows": 3}}  # latency only, no throughput
    assert paired(run, "a", "b", 4) == (pytest.approx(0.25), ["q2"], [])
    assert paired(_run({"q": {"a": 0, "b": 0}}), "a", "b", 4) == (None, [], [])


def test_the_published_summary_is_the_scripts_output():
    out = subprocess.run([sys.executable, str(REPO / "bench" / "summary.py")], capture_output=True, text=True,
                         check=True).stdout
    assert out == (REPO / "bench" / "results" / "summary.md").read_text(encoding="utf-8")
