"""Synthetic graphs in r2pkg's own ontology, for benchmarks.

Scale factor k: the real dataset (the 2017 dialogue and the UN membership, from a build) plus 2·k
synthetic dialogues shaped like it (statements, participations, stances with passages, count
claims, quotations). k=1 is a few dialogues (~16k triples); k=100 is several hundred thousand.

    python bench/generate.py --k 10 --base /path/to/build/current/dataset.nq -o /tmp/k10.nq

Deterministic for a given k and seed. Output: sorted N-Quads, every triple in a named graph.
"""
from __future__ import annotations

import argparse
import random
import re
from pathlib import Path

ID = "https://w3id.org/r2pkg/id/"
R2P = "https://w3id.org/r2pkg/ontology#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
PROV = "http://www.w3.org/ns/prov#wasDerivedFrom"
OA = "http://www.w3.org/ns/oa#"
SCHEMA = "https://schema.org/"
XSD = "http://www.w3.org/2001/XMLSchema#"
POLARITIES = ["support"] * 6 + ["challenge", "concern", "reference"]
THEMES = ["prevention-agenda", "veto-restraint", "formal-agenda", "focal-points", "special-advisers",
          "accountability", "pillar-two", "human-rights-council"]
TARGETS = ["initiative/act-code-of-conduct", "initiative/france-mexico-veto-restraint",
           "initiative/r2p-formal-agenda", "initiative/prevention-agenda", "group/focal-points-network",
           "mechanism/iiim", "mechanism/upr", "pillar/pillar-two", "document/framework-of-analysis",
           "norm/r2p", "initiative/human-rights-up-front", "initiative/veto-restraint"]
WORDS = ("prevention accountability protection atrocity crimes genocide early warning council assembly "
         "responsibility commitment implementation capacity mechanism support veto restraint agenda "
         "dialogue populations risk justice victims cooperation regional national global").split()


def _iri(s: str) -> str:
    return f"<{s}>"


def _lit(s: str, dt: str | None = None, lang: str | None = None) -> str:
    e = s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    if lang:
        return f'"{e}"@{lang}'
    if dt:
        return f'"{e}"^^<{dt}>'
    return f'"{e}"'


def states_and_groups(base_nq: str) -> tuple[list[str], dict[str, str]]:
    """Member-state IRIs and each state's (first) regional group, read from the base dataset."""
    states = sorted(set(re.findall(r"<(" + re.escape(ID) + r"state/[A-Z]{3})> <" + re.escape(R2P)
                                   + r"iso3>", base_nq)))
    groups: dict[str, str] = {}
    for s, g in re.findall(r"<(" + re.escape(ID) + r"state/[A-Z]{3})> <http://www.w3.org/ns/org#memberOf> <("
                           + re.escape(ID) + r"regional-group/[a-z-]+)>", base_nq):
        groups.setdefault(s, g)
    return [s for s in states if s in groups], groups


def dialogue(n: int, states: list[str], groups: dict[str, str], rng: random.Random) -> list[str]:
    ev = f"{ID}event/synthetic-{n:04d}"
    g = _iri(f"https://w3id.org/r2pkg/graph/synthetic/{n:04d}")
    src = f"{ID}source/synthetic-{n:04d}"
    out: list[str] = []

    def t(s: str, p: str, o: str) -> None:
        out.append(f"{_iri(s)} {_iri(p)} {o} {g} .")

    offset = 0

    def passage(text: str) -> str:
        nonlocal offset
        start, end = offset, offset + len(text)
        offset = end + 1
        p = f"{ID}passage/synthetic-{n:04d}/{start}-{end}"
        t(p, RDF_TYPE, _iri(R2P + "Passage"))
        t(p, OA + "hasSource", _iri(src))
        t(p, OA + "hasSelector", _iri(p + "/quote"))
        t(p, OA + "hasSelector", _iri(p + "/position"))
        t(p + "/quote", RDF_TYPE, _iri(OA + "TextQuoteSelector"))
        t(p + "/quote", OA + "exact", _lit(text))
        t(p + "/position", RDF_TYPE, _iri(OA + "TextPositionSelector"))
        t(p + "/position", OA + "start", _lit(str(start), XSD + "integer"))
        t(p + "/position", OA + "end", _lit(str(end), XSD + "integer"))
        return p

    def sentence() -> str:
        return " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 20))).capitalize() + "."

    year = 2018 + n % 8
    t(ev, RDF_TYPE, _iri(R2P + "Dialogue"))
    t(ev, LABEL, _lit(f"Synthetic interactive dialogue {n}", lang="en"))
    t(ev, SCHEMA + "startDate", _lit(f"{year}-09-{1 + n % 28:02d}", XSD + "date"))
    t(ev, SCHEMA + "superEvent", _iri(ID + "series/ga-r2p-discussions"))
    t(src, RDF_TYPE, _iri(R2P + "SourceText"))
    t(src, LABEL, _lit(f"Synthetic source {n}", lang="en"))
    speakers = rng.sample(states, 80)
    for s in speakers:
        key = s.rsplit("/", 1)[-1]
        p = passage(f"{key} delivered a statement. " + sentence())
        st = f"{ID}statement/synthetic-{n:04d}/{key}"
        t(st, RDF_TYPE, _iri(R2P + "Statement"))
        t(st, R2P + "atEvent", _iri(ev))
        t(st, R2P + "deliveredBy", _iri(s))
        t(st, PROV, _iri(p))
        pa = f"{ID}participation/synthetic-{n:04d}/{key}"
        t(pa, RDF_TYPE, _iri(R2P + "Participation"))
        t(pa, R2P + "participant", _iri(s))
        t(pa, R2P + "atEvent", _iri(ev))
        t(pa, R2P + "role", _iri(ID + "concept/dialogue-role/speaker"))
        t(pa, R2P + "listedUnder", _iri(groups[s]))
        t(pa, PROV, _iri(p))
        for target in rng.sample(TARGETS, rng.randint(0, 2)):
            pol = rng.choice(POLARITIES)
            sp = passage(sentence())
            stance = f"{ID}stance/synthetic-{n:04d}/{key}/{target.replace('/', '-')}"
            t(stance, RDF_TYPE, _iri(R2P + "Stance"))
            t(stance, R2P + "holder", _iri(s))
            t(stance, R2P + "target", _iri(ID + target))
            t(stance, R2P + "polarity", _iri(ID + "concept/polarity/" + pol))
            t(stance, R2P + "expressedIn", _iri(st))
            t(stance, R2P + "theme", _iri(ID + "concept/theme/" + rng.choice(THEMES)))
            t(stance, PROV, _iri(sp))
            t(s, R2P + "qualifiedStance", _iri(stance))
            if pol in ("support", "challenge"):
                t(s, R2P + ("supports" if pol == "support" else "challenges"), _iri(ID + target))
        if rng.random() < 0.3:
            text = sentence()
            qp = passage(text)
            q = f"{ID}quotation/synthetic-{n:04d}/{key}"
            t(q, RDF_TYPE, _iri(SCHEMA + "Quotation"))
            t(q, SCHEMA + "text", _lit(text))
            t(q, SCHEMA + "creator", _iri(s))
            t(q, R2P + "expressedIn", _iri(st))
            t(q, R2P + "atEvent", _iri(ev))
            t(q, PROV, _iri(qp))
    for i, target in enumerate(TARGETS):
        cp = passage(sentence())
        c = f"{ID}claim/synthetic-{n:04d}/{i:02d}"
        t(c, RDF_TYPE, _iri(R2P + "CountClaim"))
        t(c, R2P + "claimedValue", _lit(str(rng.randint(20, 80)), XSD + "nonNegativeInteger"))
        t(c, R2P + "claimTarget", _iri(ID + target))
        t(c, R2P + "countedPolarity", _iri(ID + "concept/polarity/support"))
        t(c, R2P + "comparator", _iri(ID + "concept/comparator/exactly"))
        t(c, R2P + "atEvent", _iri(ev))
        t(c, PROV, _iri(cp))
    return out


def generate(k: int, base: Path, seed: int = 2017) -> str:
    base_nq = base.read_text(encoding="utf-8")
    states, groups = states_and_groups(base_nq)
    rng = random.Random(seed)
    lines = [line for line in base_nq.splitlines() if line]
    for n in range(2 * k):
        lines += dialogue(n, states, groups, rng)
    return "\n".join(sorted(set(lines))) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--k", type=int, default=1, help="scale factor")
    ap.add_argument("--base", type=Path, required=True, help="dataset.nq of an r2pkg build")
    ap.add_argument("-o", "--output", type=Path, required=True)
    ap.add_argument("--seed", type=int, default=2017)
    a = ap.parse_args()
    text = generate(a.k, a.base, a.seed)
    a.output.write_text(text, encoding="utf-8")
    print(f"k={a.k}: {text.count(chr(10))} quads -> {a.output}")


if __name__ == "__main__":
    main()
