"""The benchmark's ratios (bench/summary.py): paired over the queries both servers answered, and
the published summary is what the script makes of the published JSON (no number typed in)."""
from __future__ import annotations

import json
import shutil
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


RESULTS = sorted(p for p in (REPO / "bench" / "results").rglob("*.json")
                 if p.with_suffix(".md").is_file() and "before-sandbox" not in p.parts
                 and not p.name.startswith(("flood", "k1-sandboxed")))


def test_every_results_file_is_its_jsons_markdown():
    """What `bench/run.py --rewrite` writes (every results file here was rewritten so)."""
    from run import markdown

    assert len(RESULTS) >= 9
    for path in RESULTS:
        res = json.loads(path.read_text(encoding="utf-8"))
        assert markdown(res, res["machine"]) == path.with_suffix(".md").read_text(encoding="utf-8"), path


def test_rewrite_remakes_the_markdown_from_the_json(tmp_path):
    src = REPO / "bench" / "results" / "virtuoso" / "k100-loop-client.json"
    shutil.copy(src, tmp_path / src.name)
    subprocess.run([sys.executable, str(REPO / "bench" / "run.py"), "--rewrite", str(tmp_path / src.name)],
                   check=True, capture_output=True)
    assert (tmp_path / "k100-loop-client.md").read_text(encoding="utf-8") == src.with_suffix(".md").read_text(
        encoding="utf-8")
    assert "0.46x (b5-three-hop, b8-regex: 0 req/s) at c=16" in (tmp_path / "k100-loop-client.md").read_text()
