"""Summarise bench/results/k*.json: ratios against Oxigraph and growth from k to k, as Markdown.

    python bench/summary.py > bench/results/summary.md

Every number comes from the JSON the harness wrote; nothing here is typed in.
"""
from __future__ import annotations

import json
import re
import statistics
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def load(folder: Path) -> list[dict]:
    runs = [json.loads(p.read_text()) for p in folder.glob("k*.json") if re.fullmatch(r"k\d+\.json", p.name)]
    return sorted(runs, key=lambda r: r["k"])


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}x" if a and b else "-"


def paired(run: dict, a: str, b: str, c: int) -> tuple[float | None, list[str], list[str]]:
    """Server ``a``'s throughput at ``c`` connections as a ratio of ``b``'s in one run: the geometric mean,
    over the queries both answered, of a's req/s over b's (which equals the ratio of their geometric
    means over those same queries). Also returns the queries that only ``b`` answered and those that
    only ``a`` answered (0 req/s or an error on the other): no ratio exists for them, so they are named
    beside it, not dropped from one side's mean only, which would flatter the server that failed them."""
    key, ratios, only_b, only_a = f"rps_c{c}", [], [], []
    for q, row in run["queries"].items():
        va = row[a].get(key, 0) if isinstance(row.get(a), dict) else 0
        vb = row[b].get(key, 0) if isinstance(row.get(b), dict) else 0
        if va > 0 and vb > 0:
            ratios.append(va / vb)
        elif vb > 0 and a in row:
            only_b.append(q)
        elif va > 0 and b in row:
            only_a.append(q)
    return (statistics.geometric_mean(ratios) if ratios else None), only_b, only_a


def paired_cell(run: dict, a: str, b: str, c: int) -> str:
    """``paired`` as text: "0.46x", or "0.46x (b5, b8: 0 req/s)" when ``a`` did not answer queries that
    ``b`` answered (and "0.46x (b4: <b> 0 req/s)" for the reverse)."""
    ratio, only_b, only_a = paired(run, a, b, c)
    text = f"{ratio:.2f}x" if ratio is not None else "-"
    notes = [f"{', '.join(only_b)}: 0 req/s"] if only_b else []
    notes += [f"{', '.join(only_a)}: {b} 0 req/s"] if only_a else []
    return text + (f" ({'; '.join(notes)})" if notes else "")


def targets(runs: list[dict]) -> list[str]:
    out = ["| k | quads | uncached c=4 | uncached c=16 | repeated GETs c=4 | repeated GETs c=16 | "
           "uncached vs rdflib-endpoint c=4 | queries where r2pkg's median latency is above Oxigraph's |",
           "|---|---|---|---|---|---|---|---|"]
    for r in runs:
        s = r["servers"]
        rd = s.get("rdflib-endpoint")
        slower = [q for q, row in r["queries"].items()
                  if "r2pkg" in row and "oxigraph" in row and "median_ms" in row["r2pkg"]
                  and row["r2pkg"]["median_ms"] > row["oxigraph"]["median_ms"]]
        out.append(f"| {r['k']} | {r['quads']:,} | {paired_cell(r, 'r2pkg', 'oxigraph', 4)} | "
                   f"{paired_cell(r, 'r2pkg', 'oxigraph', 16)} | "
                   f"{paired_cell(r, 'r2pkg-cached', 'oxigraph', 4)} | "
                   f"{paired_cell(r, 'r2pkg-cached', 'oxigraph', 16)} | "
                   f"{paired_cell(r, 'r2pkg', 'rdflib-endpoint', 4) if rd else 'not run'} | "
                   f"{', '.join(slower) or 'none'} |")
    return out


def virtuoso(runs: list[dict]) -> list[str]:
    """r2pkg against Virtuoso direct, and `serve --store` over Virtuoso against Virtuoso direct."""
    out = ["| k | r2pkg uncached vs Virtuoso c=4 / c=16 | over Virtuoso, uncached, vs Virtuoso direct c=4 / c=16 | "
           "over Virtuoso, repeated GETs, vs Virtuoso direct c=4 / c=16 |", "|---|---|---|---|"]
    for r in runs:
        s = r["servers"]
        vi = s.get("virtuoso")
        if not vi:
            out.append(f"| {r['k']} | not run | | |")
            continue
        cells = []
        for name in ("r2pkg", "r2pkg[virtuoso]", "r2pkg[virtuoso]-cached"):
            cells.append(" / ".join(paired_cell(r, name, "virtuoso", c) for c in (4, 16)))
        out.append(f"| {r['k']} | " + " | ".join(cells) + " |")
    return out


def load_loop_client(folder: Path) -> list[dict]:
    """The over-Virtuoso runs made since the store's answer is awaited on the event loop
    (``virtuoso/k<k>-loop-client.json``: `bench/run.py --peers virtuoso --no-default-serve`)."""
    runs = [json.loads(p.read_text()) for p in (folder / "virtuoso").glob("k*-loop-client.json")]
    return sorted(runs, key=lambda r: r["k"])


def virtuoso_loop_client(runs: list[dict]) -> list[str]:
    out = ["| k | date | over Virtuoso, uncached, vs Virtuoso direct c=4 / c=16 | "
           "over Virtuoso, repeated GETs, vs Virtuoso direct c=4 / c=16 |", "|---|---|---|---|"]
    for r in runs:
        date = r.get("machine", "").rsplit("date ", 1)[-1]
        cells = [" / ".join(paired_cell(r, name, "virtuoso", c) for c in (4, 16))
                 for name in ("r2pkg[virtuoso]", "r2pkg[virtuoso]-cached")]
        out.append(f"| {r['k']} | {date} | " + " | ".join(cells) + " |")
    return out


def cpu(runs: list[dict]) -> list[str]:
    """Geometric mean over the throughput queries of the CPU each request costs at c=4 (µs), by role;
    against Oxigraph over the queries both were measured on (a reading that lost a worker's CPU, from
    runs before reaped workers were counted, is left out: it is negative)."""
    out = ["| k | server | queries | front µs | query workers µs | total µs | total vs Oxigraph, same queries |",
           "|---|---|---|---|---|---|---|"]

    def readings(r: dict, name: str) -> dict[str, dict]:
        return {q: row[name]["cpu_us_c4"] for q, row in r["queries"].items()
                if isinstance(row.get(name), dict) and row[name].get("cpu_us_c4")
                and min(row[name]["cpu_us_c4"].values()) >= 0}

    def total(p: dict) -> float:
        return p["front"] + p["workers"]

    for r in runs:
        base = readings(r, "oxigraph")
        for name in r["servers"]:
            got = readings(r, name)
            if not got:
                continue
            parts = list(got.values())
            gm = {role: statistics.geometric_mean([p[role] for p in parts]) if all(p[role] > 0 for p in parts)
                  else 0.0 for role in ("front", "workers")}
            both = [q for q in got if q in base]
            ratio = (f"{statistics.geometric_mean([total(got[q]) / total(base[q]) for q in both]):.2f}x "
                     f"({len(both)})" if both else "-")
            out.append(f"| {r['k']} | {name} | {len(parts)} | {gm['front']:.0f} | {gm['workers']:.0f} | "
                       f"{statistics.geometric_mean([total(p) for p in parts]):.0f} | {ratio} |")
    return out


def growth(runs: list[dict]) -> list[str]:
    out = ["| k | server | time to first answer s | prepare s | RSS MB idle / after load | "
           "PSS MB idle / after load | PSS after load vs Oxigraph | median latency, geomean over queries (ms) |",
           "|---|---|---|---|---|---|---|---|"]
    for r in runs:
        ox = r["servers"]["oxigraph"]
        for name in [n for n in ("r2pkg", "r2pkg[disk]", "oxigraph", "virtuoso", "r2pkg[virtuoso]") if n in r["servers"]]:
            s = r["servers"][name]
            lat = [row[name]["median_ms"] for row in r["queries"].values()
                   if name in row and "median_ms" in row[name] and row[name]["median_ms"] > 0]
            out.append(f"| {r['k']} | {name} | {s['time_to_first_answer_s']} | {s['prepare_s']} | "
                       f"{s['rss_mb']} / {s['rss_after_mb']} | {s['pss_mb']} / {s['pss_after_mb']} | "
                       f"{_ratio(s['pss_after_mb'], ox['pss_after_mb'])} | {statistics.geometric_mean(lat):.3f} ({len(lat)} queries) |")
    return out


def default_serve(runs: list[dict]) -> list[str]:
    out = ["| k | RSS MB idle / after load | PSS MB idle / after load | processes |", "|---|---|---|---|"]
    for r in runs:
        d = r.get("default_serve")
        out.append(f"| {r['k']} | {d['rss_idle_mb']} / {d['rss_after_mb']} | {d['pss_idle_mb']} / "
                   f"{d['pss_after_mb']} | {d['processes']} |" if d else f"| {r['k']} | not measured | | |")
    return out


def main() -> None:
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "results"
    runs = load(folder)
    machine = runs[0]["machine"] if runs else ""
    print("# Benchmark summary\n")
    print(machine + "\n")
    print("Throughput of r2pkg as a ratio of Oxigraph server's in the same run: the geometric mean, over the "
          "queries both answered, of the per-query req/s ratio; a query one of them did not answer at all is "
          "named beside the ratio (uncached: every request evaluated; repeated GETs: the answer cache on).\n")
    print("\n".join(targets(runs)))
    print("\nAgainst Virtuoso 7.2 (Debian), and r2pkg's front end over it (`serve --store`), same runs.\n")
    print("\n".join(virtuoso(runs)))
    loop = load_loop_client(folder)
    if loop:
        print("\nOver Virtuoso since the store's answer is awaited on the event loop (later runs, each with its "
              "own Virtuoso direct: `results/virtuoso/k*-loop-client.md`).\n")
        print("\n".join(virtuoso_loop_client(loop)))
    print("\nWhere the time goes: CPU per request at c=4, geometric mean over the throughput queries, summed "
          "over each server's process tree while wrk ran (front = the processes at the server's priority; "
          "r2pkg's query workers run niced). Over Virtuoso, r2pkg's figure leaves out Virtuoso's own CPU.\n")
    print("\n".join(cpu(runs)))
    print("\nGrowth with the scale factor (uncached servers; RSS and PSS summed over each server's process "
          "tree; `r2pkg[disk]` is the on-disk store mode; r2pkg over Virtuoso counts only its own processes).\n")
    print("\n".join(growth(runs)))
    print("\nThe default `r2pkg serve` (1 server process, its query workers, answer cache on), summed over "
          "its process tree; after load = after every query ran 1 s at 16 connections.\n")
    print("\n".join(default_serve(runs)))


if __name__ == "__main__":
    main()
