#!/usr/bin/env python3
"""Generate ``data/reference/un-membership.ttl`` (development tool).

The committed Turtle file is the runtime artefact; this generator and the packages it
reads are dev-only (``pip install country_converter countrygroups pycountry pandas``).

Inputs (no identifier is typed by hand):

* ``country_converter`` -- names, ISO3, M49 (column ``UNcode``), UN membership (column
  ``UNmember``) and the EU of 2017 (column ``EU28``).  The bundled ``country_data.tsv`` is
  read directly with ``pandas.read_csv(..., dtype=str, keep_default_na=False)``:
  ``coco.CountryConverter()`` crashes under pandas >= 3 because pandas 3 applies the default
  NA strings to converter columns too, so Namibia's ISO2 ``"NA"`` becomes NaN and
  ``re.compile(NaN)`` raises ``TypeError`` while building ``iso2_regexes``.  With pandas 2 the
  converter columns were exempt.  Reading the TSV ourselves keeps every cell a string
  (empty string = no value) and needs no pandas pin.
* ``countrygroups`` -- ``UN_REGIONAL_GROUPS`` (five sub-groups, ISO3 members).
* ``pycountry`` -- cross-check only: ISO3 and M49 must agree with country_converter.
* ``entities.csv`` (data/reference, copied from the verified shared table) -- the ONLY source of Wikidata QIDs, of the source's
  own labels and of the regional groups' alternative names; it also lists the two observer
  states (kind ``observer_state``).

Usage::

    python tools/gen_reference.py            # (re)write data/reference/un-membership.ttl
    python tools/gen_reference.py --check    # exit 1 if the committed file is out of date

The entities.csv path is ``--entities PATH``, else ``data/reference/entities.csv`` (see
``data/reference/README.md`` for where that copy comes from).
"""

from __future__ import annotations

import argparse
import csv
import difflib
import importlib.metadata
import re
import sys
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUTPUT = REPO / "data" / "reference" / "un-membership.ttl"
OUTPUT_REL = "data/reference/un-membership.ttl"

# --- namespaces -------------------------------------------------------------------------
PREFIXES = {
    "dcterms": "http://purl.org/dc/terms/",
    "org": "http://www.w3.org/ns/org#",
    "prov": "http://www.w3.org/ns/prov#",
    "r2p": "https://w3id.org/r2pkg/ontology#",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "schema": "https://schema.org/",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}
ID = "https://w3id.org/r2pkg/id/"
WD = "http://www.wikidata.org/entity/"
RDF_TYPE = PREFIXES["rdf"] + "type"


def _q(curie: str) -> str:
    prefix, local = curie.split(":", 1)
    return PREFIXES[prefix] + local


UN = ID + "org/un"
EU = ID + "org/eu"
STATUS_MEMBER = ID + "concept/un-status/member-state"
STATUS_OBSERVER = ID + "concept/un-status/observer-state"
ACTIVITY = ID + "activity/gen-reference"
ENTITIES_DATASET = ID + "dataset/entities-csv"

# Group key -> (attribute of countrygroups.UN_REGIONAL_GROUPS, name_in_source in entities.csv)
REGIONAL_GROUPS = {
    "africa": ("AFRICAN_GROUP", "Africa Group"),
    "asia-pacific": ("ASIA_PACIFIC_GROUP", "Asia-Pacific Group"),
    "eastern-europe": ("EASTERN_EUROPEAN_GROUP", "Eastern Europe Group"),
    "latin-america-caribbean": ("GRULAC", "Latin American and Caribbean Group"),
    "weog": ("WEOG", "Western Europe and Others Group"),
}
EXPECTED_MEMBERS = 193
EXPECTED_EU28 = 28
EXPECTED_OBSERVERS = {"VAT", "PSE"}
# States that countrygroups lists in more than one group -> group whose membership node
# gets an explanatory comment.
MULTI_GROUP = {"TUR": "weog"}

# Explained disagreements between country_converter and pycountry: {(ISO3, field): why}.
# None at present (country_converter 1.3.2 / pycountry 26.2.16 agree on all 195 states).
KNOWN_CODE_DISAGREEMENTS: dict[tuple[str, str], str] = {}

# Names that country_converter gives for a code but that denote a different entity than the
# one the project describes (see the entities.csv notes); they are not used as labels.
EXCLUDED_CC_NAMES = {
    "VAT": (
        "ISO 3166 VAT / M49 336 are the codes of 'Holy See (Vatican City State)'; "
        "the UN observer described here is the Holy See (Wikidata Q159583), not Vatican "
        "City State (Q237), so country_converter's names 'Vatican' / 'Vatican City State' "
        "are not used as labels (see entities.csv notes)."
    ),
}

TURKEY_COMMENT = (
    "countrygroups (UN_REGIONAL_GROUPS) lists Turkey in two groups: the Asia-Pacific Group "
    "and the Western European and Others Group; both memberships are kept as given."
)
EU28_COMMENT = "EU28 composition as classified by country_converter (column EU28)"


class ReferenceDataError(RuntimeError):
    """An input disagrees with another input or with an expectation."""


# --- RDF terms --------------------------------------------------------------------------
class IRI(str):
    """An IRI (a str subclass, so it sorts and compares as its text)."""


class Lit:
    """A literal with an optional language tag or datatype IRI."""

    __slots__ = ("value", "lang", "datatype")

    def __init__(self, value: str, lang: str | None = None, datatype: str | None = None):
        self.value, self.lang, self.datatype = value, lang, datatype

    def key(self) -> tuple:
        return (self.value, self.lang or "", self.datatype or "")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Lit) and self.key() == other.key()

    def __hash__(self) -> int:
        return hash(self.key())


def en(text: str) -> Lit:
    return Lit(text, lang="en")


class Graph:
    """A set of triples with subject/object IRIs as ``IRI`` and literals as ``Lit``."""

    def __init__(self) -> None:
        self.triples: set[tuple[IRI, IRI, IRI | Lit]] = set()

    def add(self, s: str, p: str, o: str | Lit) -> None:
        self.triples.add((IRI(s), IRI(p), o if isinstance(o, Lit) else IRI(o)))

    def __len__(self) -> int:
        return len(self.triples)


# --- deterministic Turtle writer --------------------------------------------------------
_LOCAL = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _iri(iri: str) -> str:
    if iri == RDF_TYPE:
        return "a"
    for prefix, ns in PREFIXES.items():
        if iri.startswith(ns) and _LOCAL.match(iri[len(ns):]):
            return f"{prefix}:{iri[len(ns):]}"
    return f"<{iri}>"


def _literal(lit: Lit) -> str:
    text = '"' + "".join(_ESCAPES.get(c, c) for c in lit.value) + '"'
    if lit.lang:
        return f"{text}@{lit.lang}"
    if lit.datatype:
        return f"{text}^^{_iri(lit.datatype)}"
    return text


def _object_key(o: IRI | Lit) -> tuple:
    return (1, *o.key()) if isinstance(o, Lit) else (0, str(o), "", "")


def _predicate_key(p: str) -> tuple:
    return (p != RDF_TYPE, p)  # rdf:type ("a") first, then by IRI


def to_turtle(graph: Graph, header: list[str]) -> str:
    """Serialise with subjects, predicates and objects sorted: same graph, same bytes."""
    by_subject: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for s, p, o in graph.triples:
        by_subject[s][p].append(o)
    lines = [f"# {line}" if line else "#" for line in header]
    lines.append("")
    lines += [f"@prefix {p}: <{ns}> ." for p, ns in sorted(PREFIXES.items())]
    for s in sorted(by_subject):
        lines.append("")
        lines.append(_iri(s))
        preds = sorted(by_subject[s], key=_predicate_key)
        for i, p in enumerate(preds):
            objs = sorted(by_subject[s][p], key=_object_key)
            rendered = [_literal(o) if isinstance(o, Lit) else _iri(o) for o in objs]
            end = " ." if i == len(preds) - 1 else " ;"
            lines.append(f"    {_iri(p)} " + ",\n        ".join(rendered) + end)
    return "\n".join(lines) + "\n"


# --- inputs -----------------------------------------------------------------------------
def package_version(name: str) -> str:
    return importlib.metadata.version(name)


def entities_path(explicit: str | None = None) -> Path:
    """``--entities PATH`` if given, else the repository's copy of the verified table."""
    return Path(explicit) if explicit else REPO / "data" / "reference" / "entities.csv"


def load_entities(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def load_country_converter() -> list[dict[str, str]]:
    """The current (non-obsolete) rows of country_converter's bundled country_data.tsv."""
    import country_converter
    import pandas as pd

    tsv = Path(country_converter.__file__).with_name("country_data.tsv")
    df = pd.read_csv(tsv, sep="\t", encoding="utf-8", dtype=str, keep_default_na=False)
    rows = [dict(r) for r in df.to_dict(orient="records") if r["obsolete"] == ""]
    iso3 = [r["ISO3"] for r in rows]
    if len(iso3) != len(set(iso3)):
        raise ReferenceDataError("country_converter: duplicate ISO3 among current rows")
    return rows


def load_regional_groups() -> dict[str, list[str]]:
    """Group key -> ISO3 members, from countrygroups.UN_REGIONAL_GROUPS."""
    import countrygroups

    top = countrygroups.UN_REGIONAL_GROUPS
    found = sorted(k for k, v in vars(top).items() if isinstance(v, countrygroups.Group))
    wanted = sorted(attr for attr, _ in REGIONAL_GROUPS.values())
    if found != wanted:
        raise ReferenceDataError(f"countrygroups.UN_REGIONAL_GROUPS has groups {found}, expected {wanted}")
    groups = {key: list(getattr(top, attr)) for key, (attr, _) in REGIONAL_GROUPS.items()}
    for key, members in groups.items():
        if len(members) != len(set(members)):
            raise ReferenceDataError(f"countrygroups: duplicate member in {key}")
    return groups


def cross_check_pycountry(states: dict[str, dict[str, str]]) -> list[str]:
    """Compare ISO3 and M49 with pycountry; raise on unexplained disagreements."""
    import pycountry

    problems, explained = [], []
    for iso3, row in sorted(states.items()):
        pc = pycountry.countries.get(alpha_3=iso3)
        checks = {
            "ISO3": (iso3, pc.alpha_3 if pc else None),
            "M49": (row["UNcode"].zfill(3), pc.numeric if pc else None),
            "ISOnumeric": (row["ISOnumeric"].zfill(3), pc.numeric if pc else None),
        }
        for field, (cc_value, pc_value) in checks.items():
            if cc_value != pc_value:
                msg = f"{iso3} {field}: country_converter {cc_value!r} vs pycountry {pc_value!r}"
                if (iso3, field) in KNOWN_CODE_DISAGREEMENTS:
                    explained.append(f"{msg} (explained: {KNOWN_CODE_DISAGREEMENTS[(iso3, field)]})")
                else:
                    problems.append(msg)
    if problems:
        raise ReferenceDataError("country_converter/pycountry disagree:\n  " + "\n  ".join(problems))
    return explained


def parse_group_alt_labels(notes: str) -> list[str]:
    """Official names as the entities.csv notes give them ('Official name: X (Y; ...)', 'Also Z (W)')."""
    labels = []
    for m in re.finditer(r"(?:Official name|Also):? ([^.(]+?)(?: \(([^)]*)\))?\.", notes):
        labels.append(m.group(1).strip())
        if m.group(2):
            labels.append(m.group(2).split(";")[0].strip())
    return labels


# --- graph ------------------------------------------------------------------------------
def dataset_iri(package: str, version: str) -> str:
    return f"{ID}dataset/{package}-{version}"


def build(entities: list[dict[str, str]], cc_rows: list[dict[str, str]],
          groups: dict[str, list[str]], versions: dict[str, str]) -> tuple[Graph, dict]:
    g = Graph()
    cc_ds = dataset_iri("country_converter", versions["country_converter"])
    cg_ds = dataset_iri("countrygroups", versions["countrygroups"])
    pc_ds = dataset_iri("pycountry", versions["pycountry"])

    cc = {r["ISO3"]: r for r in cc_rows}
    members = {k: r for k, r in cc.items() if r["UNmember"] != ""}
    if len(members) != EXPECTED_MEMBERS:
        raise ReferenceDataError(f"country_converter lists {len(members)} UN members, expected {EXPECTED_MEMBERS}")

    csv_states = {r["iso3"]: r for r in entities if r["kind"] in ("member_state", "observer_state")}
    observers = {r["iso3"] for r in entities if r["kind"] == "observer_state"}
    if observers != EXPECTED_OBSERVERS:
        raise ReferenceDataError(f"entities.csv observer states {sorted(observers)}, expected {sorted(EXPECTED_OBSERVERS)}")
    for iso3 in sorted(observers):
        if iso3 not in cc:
            raise ReferenceDataError(f"observer {iso3} not in country_converter")
        if iso3 in members:
            raise ReferenceDataError(f"country_converter lists observer {iso3} as a UN member")
    for iso3, r in sorted(csv_states.items()):
        if r["kind"] == "member_state" and iso3 not in members:
            raise ReferenceDataError(f"entities.csv member_state {iso3} is not a UN member in country_converter")
        if r["m49"] != cc[iso3]["UNcode"].zfill(3):
            raise ReferenceDataError(f"entities.csv m49 {r['m49']!r} for {iso3} != country_converter {cc[iso3]['UNcode']!r}")
        if r["wikidata_qid"] and not re.fullmatch(r"Q[1-9][0-9]*", r["wikidata_qid"]):
            raise ReferenceDataError(f"entities.csv: bad QID {r['wikidata_qid']!r} for {iso3}")

    states = {**members, **{k: cc[k] for k in observers}}
    explained = cross_check_pycountry(states)

    grouped = defaultdict(list)
    for key, isos in groups.items():
        for iso3 in isos:
            grouped[iso3].append(key)
    if set(grouped) != set(members):
        raise ReferenceDataError(
            "countrygroups vs country_converter UN members differ: "
            f"only in groups {sorted(set(grouped) - set(members))}, "
            f"only members {sorted(set(members) - set(grouped))}")
    multi = {iso3: keys for iso3, keys in grouped.items() if len(keys) > 1}
    if set(multi) != set(MULTI_GROUP) or any(MULTI_GROUP[k] not in v for k, v in multi.items()):
        raise ReferenceDataError(f"states in several regional groups changed: {multi}")

    eu28 = sorted(k for k, r in states.items() if r["EU28"] != "")
    if len(eu28) != EXPECTED_EU28 or any(r["EU28"] not in ("", "EU28") for r in states.values()):
        raise ReferenceDataError(f"country_converter EU28 column gives {len(eu28)} states")

    # datasets and activity
    for pkg, ds in (("country_converter", cc_ds), ("countrygroups", cg_ds), ("pycountry", pc_ds)):
        label = f"{pkg} {versions[pkg]}"
        g.add(ds, RDF_TYPE, _q("prov:Entity"))
        g.add(ds, RDF_TYPE, _q("r2p:SoftwareDataset"))
        g.add(ds, _q("rdfs:label"), en(label))
        g.add(ds, _q("dcterms:title"), en(f"Python package {label} (PyPI)"))
        g.add(ds, _q("r2p:packageName"), Lit(pkg))
        g.add(ds, _q("r2p:packageVersion"), Lit(versions[pkg]))
    g.add(ENTITIES_DATASET, RDF_TYPE, _q("prov:Entity"))
    g.add(ENTITIES_DATASET, RDF_TYPE, _q("r2p:SoftwareDataset"))  # "or a verified reference table"
    g.add(ENTITIES_DATASET, _q("rdfs:label"), en("Verified identifier table entities.csv"))
    g.add(ENTITIES_DATASET, _q("dcterms:title"), en("Verified identifier table entities.csv"))
    g.add(ACTIVITY, RDF_TYPE, _q("prov:Activity"))
    g.add(ACTIVITY, _q("rdfs:label"), en(f"Generation of {OUTPUT_REL} by tools/gen_reference.py"))
    for ds in (cc_ds, cg_ds, pc_ds, ENTITIES_DATASET):
        g.add(ACTIVITY, _q("prov:used"), ds)

    # regional groups
    group_rows = {r["name_in_source"]: r for r in entities if r["kind"] == "regional_group"}
    for key, (_, source_name) in REGIONAL_GROUPS.items():
        if source_name not in group_rows:
            raise ReferenceDataError(f"entities.csv has no regional_group {source_name!r}")
        grp = f"{ID}regional-group/{key}"
        g.add(grp, RDF_TYPE, _q("r2p:RegionalGroup"))
        g.add(grp, _q("rdfs:label"), en(source_name))
        g.add(grp, _q("skos:prefLabel"), en(source_name))
        alts = [a for a in parse_group_alt_labels(group_rows[source_name]["notes"]) if a != source_name]
        if not alts:
            raise ReferenceDataError(f"no official name found in the notes of {source_name!r}")
        for alt in alts:
            g.add(grp, _q("skos:altLabel"), en(alt))
        g.add(grp, _q("prov:wasDerivedFrom"), cg_ds)
        g.add(grp, _q("prov:wasDerivedFrom"), ENTITIES_DATASET)

    # states and memberships
    for iso3, row in sorted(states.items()):
        st = f"{ID}state/{iso3}"
        is_member = iso3 in members
        src = csv_states.get(iso3)
        g.add(st, RDF_TYPE, _q("r2p:State"))
        names = [] if iso3 in EXCLUDED_CC_NAMES else [row["name_short"], row["name_official"]]
        label = src["name_in_source"] if src else row["name_short"]
        g.add(st, _q("rdfs:label"), en(label))
        g.add(st, _q("skos:prefLabel"), en(label))
        for alt in names:
            if alt and alt != label:
                g.add(st, _q("skos:altLabel"), en(alt))
        if iso3 in EXCLUDED_CC_NAMES:
            g.add(st, _q("rdfs:comment"), en(EXCLUDED_CC_NAMES[iso3]))
        g.add(st, _q("r2p:iso3"), Lit(iso3))
        g.add(st, _q("r2p:m49"), Lit(row["UNcode"].zfill(3)))
        status = STATUS_MEMBER if is_member else STATUS_OBSERVER
        g.add(st, _q("r2p:unStatus"), status)
        g.add(st, _q("prov:wasDerivedFrom"), cc_ds)
        if src:
            g.add(st, _q("prov:wasDerivedFrom"), ENTITIES_DATASET)
            if src["wikidata_qid"]:
                g.add(st, _q("r2p:wikidataEntity"), WD + src["wikidata_qid"])

        un_m = f"{ID}membership/un/{iso3}"
        g.add(un_m, RDF_TYPE, _q("org:Membership"))
        g.add(un_m, _q("org:member"), st)
        g.add(un_m, _q("org:organization"), UN)
        g.add(un_m, _q("org:role"), status)
        g.add(un_m, _q("prov:wasDerivedFrom"), cc_ds if is_member else ENTITIES_DATASET)
        if is_member:
            g.add(st, _q("org:memberOf"), UN)
        else:  # the record's shortcut: an observer is not a member (org:memberOf counts the 193)
            g.add(st, _q("r2p:observerOf"), UN)

        for key in grouped.get(iso3, []):
            grp = f"{ID}regional-group/{key}"
            m = f"{ID}membership/{key}/{iso3}"
            g.add(m, RDF_TYPE, _q("org:Membership"))
            g.add(m, _q("org:member"), st)
            g.add(m, _q("org:organization"), grp)
            g.add(m, _q("prov:wasDerivedFrom"), cg_ds)
            if MULTI_GROUP.get(iso3) == key:
                g.add(m, _q("rdfs:comment"), en(TURKEY_COMMENT))
            g.add(st, _q("org:memberOf"), grp)

        if row["EU28"]:
            m = f"{ID}membership/eu28/{iso3}"
            g.add(m, RDF_TYPE, _q("org:Membership"))
            g.add(m, _q("org:member"), st)
            g.add(m, _q("org:organization"), EU)
            g.add(m, _q("rdfs:comment"), en(EU28_COMMENT))
            g.add(m, _q("prov:wasDerivedFrom"), cc_ds)
            g.add(st, _q("org:memberOf"), EU)

    stats = {
        "members": len(members),
        "observers": sorted(observers),
        "groups": {k: len(v) for k, v in groups.items()},
        "eu28": len(eu28),
        "explained": explained,
    }
    return g, stats


def generate(entities_csv: Path) -> tuple[str, dict]:
    versions = {p: package_version(p) for p in ("country_converter", "countrygroups", "pycountry")}
    graph, stats = build(load_entities(entities_csv), load_country_converter(),
                         load_regional_groups(), versions)
    header = [
        f"{OUTPUT_REL} -- UN member and observer states, UN regional groups, EU28 (2017).",
        "Generated by tools/gen_reference.py -- do not edit by hand; rerun the generator.",
        "Inputs: " + ", ".join(f"{p} {v}" for p, v in versions.items())
        + " (PyPI); data/reference/entities.csv (QIDs, source labels; origin in data/reference/README.md).",
    ]
    stats["triples"] = len(graph)
    return to_turtle(graph, header), stats


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true",
                    help="regenerate in memory; exit 1 if the committed file differs")
    ap.add_argument("--entities", help="path to entities.csv")
    ap.add_argument("--output", default=str(OUTPUT), help=f"output path (default {OUTPUT_REL})")
    args = ap.parse_args(argv)

    try:
        text, stats = generate(entities_path(args.entities))
    except ReferenceDataError as exc:
        print(f"gen_reference: {exc}", file=sys.stderr)
        return 2
    out = Path(args.output)
    if args.check:
        current = out.read_text(encoding="utf-8") if out.exists() else ""
        if current != text:
            diff = difflib.unified_diff(current.splitlines(), text.splitlines(),
                                        "committed", "regenerated", lineterm="", n=1)
            print("\n".join(list(diff)[:60]), file=sys.stderr)
            print(f"gen_reference: {out} is out of date; run tools/gen_reference.py", file=sys.stderr)
            return 1
        print(f"gen_reference: {out} is up to date ({stats['triples']} triples)")
        return 0
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8", newline="\n")
    for note in stats["explained"]:
        print(f"explained disagreement: {note}")
    print(f"wrote {out}: {stats['triples']} triples; {stats['members']} members, "
          f"observers {stats['observers']}, groups {stats['groups']}, EU28 {stats['eu28']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
