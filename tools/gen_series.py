#!/usr/bin/env python3
"""Generate ``data/series/*.ttl`` from ``data/reference/series.csv`` (development tool).

The committed Turtle files are the runtime artefacts; ``tests/test_series.py`` regenerates them
and checks that the bytes are the same. Every value comes from the table (one fact per source
page); nothing is typed by hand here except the mapping of the table's figure keys onto the
ontology's count-claim vocabulary and the labels, which are the project's own words.

* ``pages.ttl``     -- one ``r2p:WebPage`` per source URL (the IRI is the URL), its publisher,
  kind of page and the date the stored copy was checked.
* ``meetings.ttl``  -- the meetings of the series (kind, days where the pages agree, the
  Secretary-General's report each addressed, with its UN symbol, title and ordinal).
* ``claims.ttl``    -- one claim per verified row (count, ordinal or stated-value claim),
  ``prov:wasDerivedFrom`` its page, and an ``r2p:Inconsistency`` wherever pages disagree.

Rows with ``verified=no`` are left out (the 2017 source's own figures are already in
data/dialogue-2017 with their passages); ``LEFT_OUT`` lists other keys left out and why.

Usage::

    python tools/gen_series.py            # (re)write data/series/*.ttl
    python tools/gen_series.py --check    # exit 1 if a committed file is out of date
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import re
import sys
import unicodedata
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TABLE = REPO / "data" / "reference" / "series.csv"
TABLE_REL = "data/reference/series.csv"
OUT_DIR = REPO / "data" / "series"
MEMBERSHIP = REPO / "data" / "reference" / "un-membership.ttl"
CHECKED_ON = "2026-12-01"  # series-README: every row was checked on this day against stored copies

ID = "https://w3id.org/r2pkg/id/"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
PREFIXES = {
    "adoptionmethod": ID + "concept/adoption-method/",
    "claim": ID + "claim/",
    "comparator": ID + "concept/comparator/",
    "countedkind": ID + "concept/counted-kind/",
    "countedrelation": ID + "concept/counted-relation/",
    "dcterms": "http://purl.org/dc/terms/",
    "document": ID + "document/",
    "event": ID + "event/",
    "group": ID + "group/",
    "inconsistency": ID + "inconsistency/",
    "initiative": ID + "initiative/",
    "orgid": ID + "org/",
    "pagekind": ID + "concept/page-kind/",
    "polarity": ID + "concept/polarity/",
    "post": ID + "post/",
    "org": "http://www.w3.org/ns/org#",
    "prov": "http://www.w3.org/ns/prov#",
    "publisher": ID + "publisher/",
    "r2p": "https://w3id.org/r2pkg/ontology#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "schema": "https://schema.org/",
    "series": ID + "series/",
    "state": ID + "state/",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}
XSD = PREFIXES["xsd"]
SERIES = ID + "series/ga-r2p-discussions"
GA = ID + "org/un-general-assembly"
SG_POST = ID + "post/un-secretary-general"
GOF = ID + "group/group-of-friends-r2p"
FOCAL = ID + "group/focal-points-network"

# The table's meeting ids are the event keys, except the 2009 debate, which data/dialogue-2017
# already mints as event/ga-debate-2009 (the same debate; the 2017 source dates it January 2009).
EVENT_KEY = {"ga-r2p-2009": "ga-debate-2009"}
EXISTING_EVENTS = {"ga-debate-2009", "iid-2017"}  # labelled (and, for 2017, dated) in data/dialogue-2017
EXISTING_REPORTS = {"A/71/1016-S/2017/556"}  # described in data/dialogue-2017/entities.ttl

PUBLISHERS = {
    "Global Centre for the Responsibility to Protect": ID + "org/global-centre-r2p",
    "International Coalition for the Responsibility to Protect": ID + "org/international-coalition-r2p",
    "United Nations": ID + "org/un",
}

# figure key -> (counted kind, counted relation, target, polarity). Target: "meeting", "series",
# "report", "vote", "resolution" or an IRI.
COUNTS = {
    "member_states_spoke": ("member-states", "delivered-statements", "meeting", None),
    "member_states_spoke_day1": ("member-states", "delivered-statements", "meeting", None),
    "member_states_spoke_day2": ("member-states", "delivered-statements", "meeting", None),
    "observers_spoke": ("observer-missions", "delivered-statements", "meeting", None),
    "regional_orgs_spoke": ("regional-organizations", "delivered-statements", "meeting", None),
    "csos_spoke": ("civil-society-organizations", "delivered-statements", "meeting", None),
    "speakers_total": ("speakers", "delivered-statements", "meeting", None),
    "states_represented": ("states", "represented", "meeting", None),
    "states_represented_day1": ("states", "represented", "meeting", None),
    "states_represented_nonspeaking": ("states", "represented-without-speaking", "meeting", None),
    "observers_represented": ("observer-missions", "represented", "meeting", None),
    "member_states_absent": ("member-states", "absent", "meeting", None),
    "welcomed_sg_report_min": ("statements", "took-stance", "report", "support"),
    "gof_members": ("group-members", "member-of", GOF, None),
    "gof_statement_on_behalf": ("group-members", "represented", GOF, None),
    "gof_statement_years_running": ("years", "consecutive-years", GOF, None),
    "focal_points_network_size": ("group-members", "member-of", FOCAL, None),
    "focal_points_meeting_participants_count": ("states", "attended-meeting", FOCAL, None),
    "focal_points_mentions": ("states", "took-stance", FOCAL, "reference"),
    "act_code_supporters": ("states", "took-stance", ID + "initiative/act-code-of-conduct", "support"),
    "france_mexico_supporters": ("states", "took-stance", ID + "initiative/france-mexico-veto-restraint", "support"),
    "france_mexico_supporters_approx": ("states", "took-stance", ID + "initiative/france-mexico-veto-restraint", "support"),
    "france_mexico_supporters_min": ("states", "took-stance", ID + "initiative/france-mexico-veto-restraint", "support"),
    "veto_restraint_supporters_min": ("states", "took-stance", ID + "initiative/veto-restraint", "support"),
    "formal_agenda_supporters": ("countries", "took-stance", ID + "initiative/r2p-formal-agenda", "support"),
    "rights_up_front_supporters": ("states", "took-stance", ID + "initiative/human-rights-up-front", "support"),
    "cumulative_states_spoke": ("states", "delivered-statements", "series", None),
    "cumulative_orgs_spoke": ("regional-organizations", "delivered-statements", "series", None),
    "cumulative_states_represented": ("states", "represented", "series", None),
    "sg_reports_so_far": ("reports", "issued", SG_POST, None),
    "resolution_sponsors": ("states", "sponsored", "resolution", None),
    "vote_yes": ("votes", "voted-yes", "vote", None),
    "vote_no": ("votes", "voted-no", "vote", None),
    "vote_abstain": ("votes", "abstained", "vote", None),
    "vote_non_voting": ("member-states", "did-not-vote", "vote", None),
    "agenda_vote_yes": ("votes", "voted-yes", ID + "event/ga-vote-2017-09-15", None),
    "agenda_vote_no": ("votes", "voted-no", ID + "event/ga-vote-2017-09-15", None),
    "agenda_vote_abstain": ("votes", "abstained", ID + "event/ga-vote-2017-09-15", None),
}
ORDINALS = {"ordinal_as_stated": "meeting", "sg_report_ordinal": "report", "formal_agenda_count_as_stated": "meeting"}
# Stated values; lists are ';'-separated. "names" lists get r2p:namedAgent where a name matches one entity.
DATES = {"dates", "date_start", "date_end", "resolution_adoption_date", "vote_date", "sg_report_date"}
NAMES = {"challengers", "gof_reader", "gof_cochairs", "gof_member_list", "resolution_sponsor_list",
         "act_code_supporter_list", "focal_points_meeting_participants", "focal_points_mentions_list",
         "regional_orgs_named", "nb8_members", "joint_statement", "act_code_depositary"}
STATED_TARGET = {"sg_report_symbol": "report", "sg_report_title": "report", "sg_report_date": "report",
                 "resolution_symbol": "resolution", "resolution_adoption_date": "resolution",
                 "draft_resolution_symbol": "resolution", "resolution_sponsor_list": "resolution",
                 "vote_date": "vote", "meeting_record_symbol": "meeting",
                 "gof_reader": GOF, "gof_cochairs": GOF, "gof_member_list": GOF, "gof_list_public": GOF,
                 "gof_statement_first": GOF,
                 "act_code_supporter_list": ID + "initiative/act-code-of-conduct",
                 "act_code_document_symbol": ID + "initiative/act-code-of-conduct",
                 "act_code_depositary": ID + "initiative/act-code-of-conduct",
                 "focal_points_meeting_participants": FOCAL, "focal_points_mentions_list": FOCAL,
                 "series_count_as_stated": "series", "sponsorship_dataset_coverage": "resolution"}
LEFT_OUT = {
    "initiative_supporters_partial": "the stored excerpt stops before it names what the 37 states backed",
}
ORDINAL_WORDS = ["first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth",
                 "eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth", "sixteenth", "seventeenth"]


# --- a tiny graph and a deterministic Turtle writer -------------------------------------
class Lit(tuple):
    """(value, lang, datatype)."""

    def __new__(cls, value: str, lang: str = "", datatype: str = ""):
        return super().__new__(cls, (value, lang, datatype))


def en(text: str) -> Lit:
    return Lit(text, lang="en")


def typed(value: str, datatype: str) -> Lit:
    return Lit(value, datatype=XSD + datatype)


class Graph:
    def __init__(self) -> None:
        self.triples: set[tuple] = set()

    def add(self, s: str, p: str, o) -> None:
        self.triples.add((s, p, o))


_LOCAL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def q(curie: str) -> str:
    prefix, local = curie.split(":", 1)
    return PREFIXES[prefix] + local


def _iri(iri: str) -> str:
    if iri == RDF_TYPE:
        return "a"
    best = None
    for prefix, ns in PREFIXES.items():
        local = iri[len(ns):]
        if iri.startswith(ns) and _LOCAL.match(local) and (best is None or len(ns) > len(PREFIXES[best])):
            best = prefix
    return f"{best}:{iri[len(PREFIXES[best]):]}" if best else f"<{iri}>"


def _literal(lit: Lit) -> str:
    text = '"' + "".join(_ESCAPES.get(c, c) for c in lit[0]) + '"'
    if lit[1]:
        return f"{text}@{lit[1]}"
    if lit[2]:
        return f"{text}^^{_iri(lit[2])}"
    return text


def _okey(o) -> tuple:
    return (1, *o) if isinstance(o, Lit) else (0, o, "", "")


def to_turtle(graph: Graph, header: list[str]) -> str:
    """Subjects, predicates and objects sorted: the same graph gives the same bytes."""
    by_s: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for s, p, o in graph.triples:
        by_s[s][p].append(o)
    used = {p for p in PREFIXES}
    lines = [f"# {h}" if h else "#" for h in header] + [""]
    lines += [f"@prefix {p}: <{PREFIXES[p]}> ." for p in sorted(used)]
    for s in sorted(by_s):
        lines += ["", _iri(s)]
        preds = sorted(by_s[s], key=lambda p: (p != RDF_TYPE, p))
        for i, p in enumerate(preds):
            objs = sorted(by_s[s][p], key=_okey)
            rendered = [_literal(o) if isinstance(o, Lit) else _iri(o) for o in objs]
            lines.append(f"    {_iri(p)} " + ",\n        ".join(rendered) + (" ." if i == len(preds) - 1 else " ;"))
    return "\n".join(lines) + "\n"


# --- inputs -----------------------------------------------------------------------------
def load_rows(path: Path = TABLE) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _norm(name: str) -> str:
    """Compare names without case, accents, a leading 'the', and with '&' read as 'and'."""
    text = unicodedata.normalize("NFKD", name.replace("’", "'").replace("&", "and"))
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = re.sub(r"\s+", " ", text).strip().casefold()
    return text.removeprefix("the ")


def load_names(path: Path = MEMBERSHIP) -> dict[str, str]:
    """Label -> IRI of the states and organisations the graph has (labels matching two IRIs dropped)."""
    from rdflib import Graph as RGraph
    from rdflib.namespace import RDFS, SKOS

    g = RGraph()
    g.parse(path, format="turtle")
    g.parse(REPO / "data" / "dialogue-2017" / "entities.ttl", format="turtle")
    found: dict[str, set[str]] = defaultdict(set)
    for p in (RDFS.label, SKOS.prefLabel, SKOS.altLabel):
        for s, o in g.subject_objects(p):
            s = str(s)
            if s.startswith((ID + "state/", ID + "org/")):
                found[_norm(str(o))].add(s)
    return {k: next(iter(v)) for k, v in found.items() if len(v) == 1}


# --- helpers ----------------------------------------------------------------------------
def event_iri(meeting_id: str) -> str | None:
    if meeting_id.startswith("none-"):
        return None
    return ID + "event/" + EVENT_KEY.get(meeting_id, meeting_id)


def event_key(meeting_id: str) -> str:
    return EVENT_KEY.get(meeting_id, meeting_id)


def year_of(meeting_id: str) -> str:
    return meeting_id.rsplit("-", 1)[1]


def row_id(r: dict[str, str]) -> str:
    key = "|".join(r[k] for k in ("meeting_id", "figure", "value", "as_of", "source_url"))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:8]


def claim_iri(r: dict[str, str]) -> str:
    return f"{ID}claim/{event_key(r['meeting_id'])}/{r['figure'].replace('_', '-')}-{row_id(r)}"


def date_literal(value: str) -> Lit:
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return typed(value, "date")
    if re.fullmatch(r"\d{4}-\d{2}", value):
        return typed(value, "gYearMonth")
    if re.fullmatch(r"\d{4}", value):
        return typed(value, "gYear")
    raise ValueError(f"not an ISO date: {value!r}")


def ordinal_value(text: str) -> int | None:
    words = text.lower().split()
    if not words:
        return None
    w = words[0]
    if w in ORDINAL_WORDS:
        return ORDINAL_WORDS.index(w) + 1
    m = re.fullmatch(r"(\d+)(st|nd|rd|th)?", w)
    return int(m.group(1)) if m else None


def symbol_slug(symbol: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", symbol).strip("-")


def short_url(url: str) -> str:
    u = re.sub(r"^https?://(www\.)?", "", url)
    return u if len(u) <= 60 else u[:57] + "…"


def meeting_label(meeting_id: str, kind: str) -> str:
    y = year_of(meeting_id)
    if kind == "informal-interactive-dialogue":
        return f"Informal Interactive Dialogue of the General Assembly on R2P, {y}"
    return f"General Assembly plenary debate on R2P, {y}"


def verified(rows):
    return [r for r in rows if r["verified"] == "yes" and r["figure"] not in LEFT_OUT]


# --- the model --------------------------------------------------------------------------
class Series:
    """Everything the generator derives from the rows, before it is written as triples."""

    def __init__(self, rows: list[dict[str, str]], names: dict[str, str]):
        self.rows = verified(rows)
        self.names = names
        self.by_meeting: dict[str, list[dict]] = defaultdict(list)
        for r in self.rows:
            self.by_meeting[r["meeting_id"]].append(r)
        self.reports = {m: self._report(m) for m in self.by_meeting if not m.startswith("none-")}

    def _report(self, m: str) -> dict:
        rs = self.by_meeting[m]
        symbols = [r for r in rs if r["figure"] == "sg_report_symbol"]
        full = max((r["value"] for r in symbols), key=len, default="")
        if any(r["value"] not in full for r in symbols):  # incompatible symbols: keep the UN's
            full = next(r["value"] for r in symbols if r["publisher"] == "United Nations")
        titles = [r for r in rs if r["figure"] == "sg_report_title"]
        ordinals = {ordinal_value(r["value"]) for r in rs if r["figure"] == "sg_report_ordinal"}
        iri = ID + "document/" + (symbol_slug(full) if full else f"sg-report-{year_of(m)}")
        return {"iri": iri, "symbol": full, "titles": titles,
                "ordinal": ordinals.pop() if len(ordinals) == 1 else None,
                "rows": [r for r in rs if r["figure"] in ("sg_report_symbol", "sg_report_title", "sg_report_ordinal")
                         and (r["figure"] != "sg_report_symbol" or r["value"] == full)]}

    def resolution_iri(self, m: str) -> str | None:
        syms = [r["value"] for r in self.by_meeting[m] if r["figure"] == "resolution_symbol"]
        official = [s for s in syms if s.startswith("A/RES/")]
        return ID + "document/" + symbol_slug(official[0]) if official else None

    def vote_iri(self, m: str) -> str:
        dates = _agreed(self.by_meeting[m], "vote_date")
        if not dates:
            raise ValueError(f"{m}: vote figures without one agreed vote_date")
        return ID + f"event/ga-vote-{dates[0]}"

    def target(self, r: dict, kind: str) -> str:
        m = r["meeting_id"]
        if kind == "meeting":
            return event_iri(m) or SERIES
        if kind == "series":
            return SERIES
        if kind == "report":
            return self.reports[m]["iri"]
        if kind == "resolution":
            return self.resolution_iri(m) or event_iri(m)
        if kind == "vote":
            return self.vote_iri(m)
        return kind


def build_pages(s: Series) -> Graph:
    g = Graph()
    publishers: dict[str, str] = {}
    for r in s.rows:
        url = r["source_url"]
        g.add(url, RDF_TYPE, q("r2p:WebPage"))
        g.add(url, q("schema:url"), typed(url, "anyURI"))
        g.add(url, q("r2p:pageKind"), q("pagekind:" + r["page_kind"]))
        g.add(url, q("r2p:checkedOn"), typed(CHECKED_ON, "date"))
        pub = r["publisher"]
        if pub in PUBLISHERS:
            pub_iri = PUBLISHERS[pub]
        else:
            name = pub.removeprefix("other: ").strip()
            pub_iri = ID + "publisher/" + re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
            publishers[pub_iri] = name
        g.add(url, q("dcterms:publisher"), pub_iri)
    for url in {r["source_url"] for r in s.rows}:
        kinds = sorted({r["page_kind"] for r in s.rows if r["source_url"] == url})
        pubs = sorted({r["publisher"].removeprefix("other: ") for r in s.rows if r["source_url"] == url})
        g.add(url, q("rdfs:label"), en(f"{'; '.join(pubs)}, {' / '.join(kinds)} page: {short_url(url)}"))
    for iri, name in publishers.items():
        g.add(iri, RDF_TYPE, "http://xmlns.com/foaf/0.1/Agent")
        g.add(iri, q("rdfs:label"), en(name))
        g.add(iri, q("rdfs:comment"), en(f"Publisher of a web page in {TABLE_REL} (column publisher: 'other: {name}')."))
    return g


def _agreed(rows: list[dict], figure: str) -> list[str] | None:
    """The ;-separated values of a figure if every verified row gives the same, else None."""
    vals = {r["value"] for r in rows if r["figure"] == figure}
    return vals.pop().split(";") if len(vals) == 1 else None


def build_meetings(s: Series) -> Graph:
    g = Graph()
    g.add(SERIES, q("rdfs:comment"), en(
        f"The meetings of the series, 2009-2025 (no meeting in 2020), are generated from {TABLE_REL} by tools/gen_series.py."))
    for m, rs in sorted(s.by_meeting.items()):
        ev = event_iri(m)
        kind = rs[0]["meeting_kind"]
        if ev is None:
            continue
        g.add(ev, RDF_TYPE, q("r2p:Dialogue" if kind == "informal-interactive-dialogue" else "r2p:Debate"))
        g.add(ev, q("schema:superEvent"), SERIES)
        g.add(SERIES, q("schema:subEvent"), ev)
        g.add(ev, q("r2p:heldIn"), GA)
        for url in {r["source_url"] for r in rs if r["figure"] in DATES | {"sg_report_symbol", "ordinal_as_stated"}}:
            g.add(ev, q("prov:wasDerivedFrom"), url)
        if event_key(m) not in EXISTING_EVENTS:
            g.add(ev, q("rdfs:label"), en(meeting_label(m, kind)))
            days = _agreed(rs, "dates")
            starts = {r["value"] for r in rs if r["figure"] == "date_start"} | ({days[0]} if days else set())
            if len({r["value"] for r in rs if r["figure"] == "dates"}) <= 1 and len(starts) == 1:
                g.add(ev, q("schema:startDate"), typed(starts.pop(), "date"))
            if days:
                for d in days:
                    g.add(ev, q("r2p:meetingDay"), typed(d, "date"))
                if len(days) > 1:
                    g.add(ev, q("schema:endDate"), typed(days[-1], "date"))
            elif _agreed(rs, "date_start"):
                g.add(ev, q("r2p:meetingDay"), typed(_agreed(rs, "date_start")[0], "date"))
        res = s.resolution_iri(m)
        if res:
            build_resolution(s, g, m, res)
        rep = s.reports[m]
        g.add(ev, q("r2p:addresses"), rep["iri"])
        if rep["symbol"] in EXISTING_REPORTS:
            continue
        d = rep["iri"]
        g.add(d, RDF_TYPE, q("r2p:Report"))
        g.add(d, q("dcterms:creator"), SG_POST)
        titles = [r["value"] for r in rep["titles"]]
        g.add(d, q("rdfs:label"), en(titles[0] if titles else f"Report of the Secretary-General on R2P, {year_of(m)}"))
        for t in titles:
            g.add(d, q("dcterms:title"), en(t))
        if rep["symbol"]:
            g.add(d, q("r2p:documentSymbol"), Lit(rep["symbol"]))
        else:
            g.add(d, q("rdfs:comment"), en("No UN symbol for this report in the verified rows of " + TABLE_REL + "."))
        if rep["ordinal"]:
            g.add(d, q("r2p:ordinal"), typed(str(rep["ordinal"]), "integer"))
        for r in rep["rows"]:
            g.add(d, q("prov:wasDerivedFrom"), r["source_url"])
    return g


def build_resolution(s: Series, g: Graph, m: str, res: str) -> None:
    """A resolution with its symbol and adoption; a recorded vote with the UN record's numbers."""
    rs = s.by_meeting[m]
    official = [r for r in rs if r["figure"] == "resolution_symbol" and r["value"].startswith("A/RES/")]
    g.add(res, RDF_TYPE, q("r2p:Resolution"))
    g.add(res, q("rdfs:label"), en(f"General Assembly resolution {official[0]['value']}"))
    g.add(res, q("r2p:documentSymbol"), Lit(official[0]["value"]))
    for r in official:
        g.add(res, q("prov:wasDerivedFrom"), r["source_url"])
    adopted = _agreed(rs, "resolution_adoption_date") or _agreed(rs, "vote_date")
    if adopted:
        g.add(res, q("r2p:adoptionDate"), typed(adopted[0], "date"))
    votes = [r for r in rs if r["figure"] in ("vote_yes", "vote_no", "vote_abstain", "vote_non_voting")]
    if not votes:
        # no recorded vote: the pages' rows say 'adopted by consensus, no recorded vote'
        assert any("consensus" in r["note"] for r in rs if r["figure"] in ("resolution_adoption_date", "resolution_sponsors"))
        g.add(res, q("r2p:adoptionMethod"), ID + "concept/adoption-method/consensus")
        for r in rs:
            if r["figure"] == "resolution_adoption_date":
                g.add(res, q("prov:wasDerivedFrom"), r["source_url"])
        return
    g.add(res, q("r2p:adoptionMethod"), ID + "concept/adoption-method/recorded-vote")
    vote = s.vote_iri(m)
    # The numbers of the UN record (the dataset page); other pages' figures stay their claims.
    record = [r for r in votes if r["page_kind"] == "dataset"]
    props = {"vote_yes": "r2p:votesInFavour", "vote_no": "r2p:votesAgainst", "vote_abstain": "r2p:abstentions",
             "vote_non_voting": "r2p:notVoting"}
    g.add(vote, RDF_TYPE, q("r2p:Vote"))
    day = vote.rsplit("ga-vote-", 1)[1]
    g.add(vote, q("rdfs:label"), en(f"General Assembly recorded vote adopting {official[0]['value']}, {day}"))
    g.add(vote, q("schema:startDate"), typed(day, "date"))
    g.add(vote, q("r2p:votingBody"), GA)
    g.add(vote, q("r2p:adopts"), res)
    for r in record:
        g.add(vote, q(props[r["figure"]]), typed(str(int(r["value"])), "integer"))
        g.add(vote, q("prov:wasDerivedFrom"), r["source_url"])
    g.add(vote, q("rdfs:comment"), en("Numbers as the UN voting record gives them (the dataset page); the claims of "
                                      "other pages stand beside them in data/series/claims.ttl."))


# Named lists that become dated memberships or supports: figure -> (kind, group or target, polarity)
LISTS = {
    "gof_member_list": ("membership", GOF),
    "resolution_sponsor_list": ("stance", "resolution"),
    "act_code_supporter_list": ("stance", ID + "initiative/act-code-of-conduct"),
}
LIST_COMMENT = {
    "gof_member_list": "Named in the Group of Friends' statement of this date as one of the members on whose "
                       "behalf it was delivered: a lower bound on who was a member then, not the Group's roster.",
    "resolution_sponsor_list": "Named as a sponsor of the resolution on this page, whose list is cut short "
                               "(the table: 'partial: excerpt cut after 65 names'; another page gives 67 sponsors).",
    "act_code_supporter_list": "Named among the first supporters of the ACT Code of Conduct (September 2015) on this page.",
}


def build_lists(s: Series) -> Graph:
    g = Graph()
    for r in s.rows:
        if r["figure"] not in LISTS:
            continue
        kind, tgt = LISTS[r["figure"]]
        target = s.target(r, tgt)
        key = target.rsplit("/", 1)[1]
        when = r["as_of"] or _agreed(s.by_meeting[r["meeting_id"]], "resolution_adoption_date")[0]
        for name in r["value"].split(";"):
            agent = s.names.get(_norm(name))
            if not agent:
                continue  # a name that matches no single state or organisation stays in the claim only
            who = agent.rsplit("/", 1)[1]
            if kind == "membership":
                node = f"{ID}membership/{key}-{when}/{who}"
                g.add(node, RDF_TYPE, "http://www.w3.org/ns/org#Membership")
                g.add(node, q("rdfs:label"), en(f"{name}, member of the Group of Friends of R2P as named on {when}"))
                g.add(node, "http://www.w3.org/ns/org#member", agent)
                g.add(node, "http://www.w3.org/ns/org#organization", target)
                g.add(agent, "http://www.w3.org/ns/org#memberOf", target)
            else:
                node = f"{ID}support/{key}-{when}/{who}"
                g.add(node, RDF_TYPE, q("r2p:NamedSupport"))
                g.add(node, q("rdfs:label"), en(f"{name}, named as supporting {key} on {when}"))
                g.add(node, q("r2p:supporter"), agent)
                g.add(node, q("r2p:supportTarget"), target)
            g.add(node, q("r2p:asOf"), date_literal(when))
            g.add(node, q("prov:wasDerivedFrom"), r["source_url"])
            g.add(node, q("rdfs:comment"), en(LIST_COMMENT[r["figure"]]))
    return g


def build_claims(s: Series) -> tuple[Graph, dict[str, list[str]]]:
    g = Graph()
    unmatched: dict[str, list[str]] = defaultdict(list)
    for r in s.rows:
        c = claim_iri(r)
        fig, m, val = r["figure"], r["meeting_id"], r["value"]
        where = meeting_label(m, r["meeting_kind"]) if event_iri(m) else f"the series, {year_of(m)}"
        g.add(c, q("r2p:figureKey"), Lit(fig))
        g.add(c, q("prov:wasDerivedFrom"), r["source_url"])
        g.add(c, q("r2p:atEvent"), event_iri(m) or SERIES)
        if r["note"]:
            g.add(c, q("rdfs:comment"), en(r["note"]))
        if r["as_of"]:
            g.add(c, q("r2p:asOf"), date_literal(r["as_of"]))
        if fig in COUNTS:
            kind, rel, tgt, pol = COUNTS[fig]
            g.add(c, RDF_TYPE, q("r2p:CountClaim"))
            g.add(c, q("r2p:claimedValue"), typed(str(int(val)), "integer"))
            comp = "at-least" if fig.endswith("_min") else "approximately" if fig.endswith("_approx") else "exactly"
            g.add(c, q("r2p:comparator"), q("comparator:" + comp))
            g.add(c, q("r2p:countedKind"), q("countedkind:" + kind))
            g.add(c, q("r2p:countedRelation"), q("countedrelation:" + rel))
            if pol:
                g.add(c, q("r2p:countedPolarity"), q("polarity:" + pol))
            g.add(c, q("r2p:claimTarget"), s.target(r, tgt))
            label = f"{fig.replace('_', ' ')}: {val}"
        elif fig in ORDINALS:
            g.add(c, RDF_TYPE, q("r2p:OrdinalClaim"))
            n = ordinal_value(val)
            if n is None:
                raise ValueError(f"no ordinal in {val!r} ({fig}, {m})")
            g.add(c, q("r2p:claimedValue"), typed(str(n), "integer"))
            g.add(c, q("r2p:statedValue"), Lit(val))
            g.add(c, q("r2p:claimTarget"), s.target(r, ORDINALS[fig]))
            label = f"{fig.replace('_', ' ')}: {val}"
        else:
            g.add(c, RDF_TYPE, q("r2p:StatedValueClaim"))
            items = val.split(";")
            for it in items:
                g.add(c, q("r2p:statedValue"), date_literal(it) if fig in DATES else Lit(it))
            if fig in NAMES:
                for it in items:
                    iri = s.names.get(_norm(it))
                    if iri:
                        g.add(c, q("r2p:namedAgent"), iri)
                    else:
                        unmatched[it].append(fig)
            g.add(c, q("r2p:claimTarget"), s.target(r, STATED_TARGET.get(fig, "meeting")))
            shown = val if len(val) <= 80 else f"{len(items)} names" if fig in NAMES else val[:77] + "…"
            label = f"{fig.replace('_', ' ')}: {shown}"
        g.add(c, q("rdfs:label"), en(f"{label} ({where}; {short_url(r['source_url'])})"))
    build_inconsistencies(s, g)
    return g, unmatched


# Disagreements the automatic grouping (same meeting, figure and date) does not see: other figures
# or other dates for the same quantity (series-README, known disagreements 1, 9, 12, 13, 14).
EXTRA_DISAGREEMENTS = [
    ("ga-debate-2009", "speakers", "2009: 94 member states and 2 observers spoke, or 94 speakers in all",
     [("ga-r2p-2009", "member_states_spoke"), ("ga-r2p-2009", "observers_spoke"), ("ga-r2p-2009", "speakers_total")]),
    ("iid-2016", "gof-statement-members", "2016: the Group of Friends had 50 members; its statement spoke for 49",
     [("iid-2016", "gof_members"), ("iid-2016", "gof_statement_on_behalf")]),
    ("ga-r2p-2024", "gof-members", "Early 2024: the Group of Friends counted 55 states plus the EU, or 56 plus the EU",
     [("ga-r2p-2024", "gof_members")]),
    ("series", "cumulative-states-spoke", "States that have spoken since 2009: 138 (2023, 2024 summaries) or 137 (2025)",
     [("ga-r2p-2023", "cumulative_states_spoke"), ("ga-r2p-2024", "cumulative_states_spoke"),
      ("ga-r2p-2025", "cumulative_states_spoke")]),
    ("series", "veto-restraint-supporters", "Veto-restraint supporters: over 117 or over 120 governments (two versions of one page)",
     [("iid-2017", "veto_restraint_supporters_min"), ("ga-r2p-2018", "veto_restraint_supporters_min")]),
    ("series", "numbering", "The 2016 pages count a dialogue every year since 2009; the 2021-2025 summaries count "
     "eight informal dialogues, 2010-2017",
     [("iid-2016", "series_count_as_stated"), ("ga-r2p-2021", "series_count_as_stated"),
      ("ga-r2p-2022", "series_count_as_stated"), ("ga-r2p-2023", "series_count_as_stated"),
      ("ga-r2p-2024", "series_count_as_stated"), ("ga-r2p-2025", "series_count_as_stated")]),
    ("iid-2017", "formal-agenda-supporters", "2017: 65 countries supported moving R2P onto the formal agenda (the 2017 "
     "source) or at least 56 (a Global Centre statement on the formal agenda)",
     [("iid-2017", "formal_agenda_supporters")], (ID + "claim/iid-2017/formal-agenda-supporters",)),
]
# Same meeting and figure, different values, but no disagreement: one page names more of the same.
NOT_DISAGREEMENTS = {
    ("ga-r2p-2021", "draft_resolution_symbol"): "one page lists the draft's addendum (A/75/L.82/Add.1) too",
}
JANUARY_2009 = ID + "claim/iid-2017/debate-2009-dated-january"  # data/dialogue-2017/claims.ttl


def _inconsistency(g: Graph, iri: str, label: str, claims: list[dict], extra: tuple[str, ...] = ()) -> None:
    g.add(iri, RDF_TYPE, q("r2p:Inconsistency"))
    g.add(iri, q("rdfs:label"), en(label))
    for r in claims:
        g.add(iri, q("r2p:conflictingClaim"), claim_iri(r))
        g.add(iri, q("prov:wasDerivedFrom"), r["source_url"])
    for c in extra:
        g.add(iri, q("r2p:conflictingClaim"), c)
    g.add(iri, q("rdfs:comment"), en(f"Each side is its own claim with its page, kept as stated (generated from {TABLE_REL})."))


def build_inconsistencies(s: Series, g: Graph) -> None:
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for r in s.rows:
        groups[(r["meeting_id"], r["figure"], r["as_of"])].append(r)
    for (m, fig, as_of), rs in sorted(groups.items()):
        values = sorted({r["value"] for r in rs})
        if len(values) < 2 or (m, fig) in NOT_DISAGREEMENTS:
            continue
        if fig in ORDINALS and len({ordinal_value(v) for v in values}) == 1:
            continue  # the same ordinal in other words ("fourth formal debate", "fourth formal consideration")
        slug = fig.replace("_", "-") + (f"-{as_of}" if as_of else "")
        shown = " vs ".join(v if len(v) <= 40 else v[:37] + "…" for v in values)
        _inconsistency(g, f"{ID}inconsistency/{event_key(m)}/{slug}",
                       f"Pages disagree on {fig.replace('_', ' ')} ({meeting_label(m, rs[0]['meeting_kind'])}): {shown}", rs)
    for key, slug, label, figs, *also in EXTRA_DISAGREEMENTS:
        rs = [r for r in s.rows if (r["meeting_id"], r["figure"]) in figs]
        _inconsistency(g, f"{ID}inconsistency/{key}/{slug}", label, rs, *also)
    july = [r for r in s.rows if r["meeting_id"] == "ga-r2p-2009" and r["figure"] == "date_start"]
    _inconsistency(g, f"{ID}inconsistency/ga-debate-2009/january-or-july",
                   "The 2017 source has the 2009 debate in January 2009; the other pages date it July 2009 "
                   "(January 2009 is the date of the report)", july, (JANUARY_2009,))


HEADER = [
    "{name} -- generated by tools/gen_series.py from " + TABLE_REL + "; do not edit by hand, rerun the generator.",
    "Only rows with verified=yes; every fact node is prov:wasDerivedFrom the page (its URL as IRI) it comes from.",
    "No text of those pages is stored: labels are the project's words, comments are the table's own notes.",
]


def drop_stated_elsewhere(g: Graph) -> Graph:
    """Leave out links data/dialogue-2017 already states (e.g. the 2017 dialogue in its series),
    so that no triple is in two named graphs."""
    from rdflib import Graph as RGraph, URIRef

    other = RGraph()
    for path in sorted((REPO / "data" / "dialogue-2017").glob("*.ttl")):
        other.parse(path, format="turtle")
    g.triples = {t for t in g.triples
                 if isinstance(t[2], Lit) or (URIRef(t[0]), URIRef(t[1]), URIRef(t[2])) not in other}
    return g


def generate(table: Path = TABLE) -> tuple[dict[str, str], dict]:
    s = Series(load_rows(table), load_names())
    claims, unmatched = build_claims(s)
    graphs = {"pages.ttl": build_pages(s), "meetings.ttl": drop_stated_elsewhere(build_meetings(s)),
              "claims.ttl": claims, "lists.ttl": drop_stated_elsewhere(build_lists(s))}
    out = {name: to_turtle(g, [h.format(name=f"data/series/{name}") for h in HEADER]) for name, g in graphs.items()}
    return out, {"unmatched": dict(unmatched), "rows": len(s.rows)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true", help="exit 1 if a committed file differs")
    args = ap.parse_args(argv)
    out, info = generate()
    stale = []
    for name, text in out.items():
        path = OUT_DIR / name
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(name)
        else:
            OUT_DIR.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8", newline="\n")
    if stale:
        print("out of date: " + ", ".join(stale), file=sys.stderr)
        return 1
    print(f"{info['rows']} rows; names without a unique match: {len(info['unmatched'])}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
