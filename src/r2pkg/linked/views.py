"""View models of resource pages, built from the resource's description (its CBD triples) and the
rows of the DOSSIER query: what a template needs, with every link already resolved (local paths
for r2pkg IRIs, external links otherwise). No Flask, no HTML."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import pyoxigraph as ox

from ..namespaces import DCTERMS, OA, ORG, R2P, RDF, RDFS, SCHEMA, SKOS, XSD
from .iris import Urls, curie, fallback_label, local_name

CORE_LABELS = {str(RDF.type): "type", str(RDFS.label): "label", str(RDFS.comment): "comment",
               str(RDFS.seeAlso): "see also", str(RDFS.isDefinedBy): "defined by",
               str(RDFS.subClassOf): "subclass of", str(RDFS.subPropertyOf): "subproperty of",
               str(RDFS.domain): "domain", str(RDFS.range): "range"}
LABEL_PREDICATES = (str(RDFS.label), str(SKOS.prefLabel), str(DCTERMS.title), str(SCHEMA.name))
NOTE_PREDICATES = (str(SKOS.definition), str(RDFS.comment), str(DCTERMS.description))
_TYPE = str(RDF.type)
_PLAIN = (str(XSD.string), "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString")
IDENTIFIERS = {
    str(R2P.wikidataEntity): "Wikidata",
    str(R2P.iso3): "ISO 3166-1 alpha-3",
    str(R2P.m49): "UN M49",
}
IDENTIFIER_PAGES = {
    str(R2P.iso3): "https://www.iso.org/iso-3166-country-codes.html",
    str(R2P.m49): "https://unstats.un.org/unsd/methodology/m49/",
}
# Facts are grouped into sections by type, in this order; the rest go to "Other facts".
SECTIONS = (
    ("statements", "Statements", (str(R2P.Statement),)),
    ("stances", "Stances", (str(R2P.Stance),)),
    ("quotations", "Quotations", (str(SCHEMA.Quotation),)),
    ("participations", "Participations", (str(R2P.Participation),)),
    ("claims", "Claims", (str(R2P.Claim), str(R2P.CountClaim), str(R2P.OrdinalClaim), str(R2P.TrendClaim))),
    ("inconsistencies", "Inconsistencies", (str(R2P.Inconsistency),)),
    ("votes", "Votes", (str(R2P.Vote),)),
    ("memberships", "Membership records", (str(ORG.Membership),)),
)
FACT_TYPES = {t for _, _, types in SECTIONS for t in types}
DETAIL_ORDER = [str(x) for x in (
    R2P.holder, R2P.polarity, R2P.target, SCHEMA.text, SCHEMA.creator, SCHEMA.about, R2P.deliveredBy,
    R2P.onBehalfOf, R2P.capacity, R2P.participant, R2P.role, R2P.listedUnder, R2P.participationQualifier,
    ORG.member, ORG.organization, R2P.claimedValue, R2P.sourceWording, R2P.expressedIn, R2P.atEvent)]


@dataclass
class Link:
    href: str | None
    text: str
    iri: str = ""
    external: bool = False


@dataclass
class Value:
    text: str
    link: Link | None = None
    lang: str | None = None
    datatype: str | None = None


@dataclass
class Row:
    predicate: Link
    values: list[Value]


@dataclass
class Evidence:
    quote: str | None  # the passage's exact text (None: derived from a dataset)
    href: str | None  # the spot in the source viewer
    passage: Link
    source: Link | None = None


@dataclass
class Fact:
    link: Link
    relations: list[str]
    types: list[str]
    details: list[Row] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)


@dataclass
class Section:
    key: str
    title: str
    facts: list[Fact]


@dataclass
class GroupMembership:
    group: Link
    formal: bool
    records: list[Fact]
    listings: list[Fact]


@dataclass
class ResourcePage:
    iri: str
    curie: str
    label: str
    types: list[Link]
    notes: list[str]
    identifiers: list[Row]
    properties: list[Row]
    parts: list[tuple[Link, list[Row]]]
    incoming: list[Row]
    evidence: list[Evidence]
    sections: list[Section]
    memberships: list[GroupMembership]
    passage: Evidence | None = None
    source_viewer: str | None = None


class Labeller:
    """Labels of IRIs: from the description's own label triples, then the vocabulary."""

    def __init__(self, triples: list[ox.Triple], vocabulary: dict[str, str]) -> None:
        self.vocab = vocabulary
        found: dict[str, list[tuple[int, int, str]]] = defaultdict(list)
        for t in triples:
            p = t.predicate.value
            if p in LABEL_PREDICATES and isinstance(t.object, ox.Literal) and not isinstance(t.subject, ox.BlankNode):
                lang = t.object.language
                found[t.subject.value].append((LABEL_PREDICATES.index(p), 0 if lang in (None, "en") else 1,
                                               t.object.value))
        self.labels = {s: sorted(v)[0][2] for s, v in found.items()}

    def __call__(self, iri: str) -> str:
        return self.labels.get(iri) or self.vocab.get(iri) or CORE_LABELS.get(iri) or fallback_label(iri)


def link(iri: str, urls: Urls, label: Labeller) -> Link:
    local = urls.iris.local(iri)
    return Link(local or iri, label(iri), iri, external=local is None)


def value(term: object, urls: Urls, label: Labeller) -> Value:
    if isinstance(term, ox.NamedNode):
        lk = link(term.value, urls, label)
        return Value(lk.text, lk)
    if isinstance(term, ox.BlankNode):
        return Value(f"_:{term.value}")
    assert isinstance(term, ox.Literal)
    dt = term.datatype.value if not term.language else None
    return Value(term.value, None, term.language, curie(dt) if dt and dt not in _PLAIN else None)


def _sort_key(v: Value) -> tuple:
    return (v.text.lower(), v.link.iri if v.link else "")


def rows(pairs: list[tuple[str, object]], urls: Urls, label: Labeller, *, first: tuple[str, ...] = ()) -> list[Row]:
    by_pred: dict[str, list[Value]] = defaultdict(list)
    for p, o in pairs:
        by_pred[p].append(value(o, urls, label))
    order = sorted(by_pred, key=lambda p: (first.index(p) if p in first else len(first), label(p).lower(), p))
    return [Row(link(p, urls, label), sorted(by_pred[p], key=_sort_key)) for p in order]


def _evidence(row: dict, urls: Urls, label: Labeller) -> Evidence:
    prov = row["prov"]
    plink = Link(urls.iris.href(prov.value), (row["provLabel"].value if "provLabel" in row else label(prov.value)),
                 prov.value, external=not urls.iris.is_local(prov.value))
    if "exact" in row:
        src, start, end = row["source"].value, int(row["start"].value), int(row["end"].value)
        plink.text = f"characters {start}–{end}"
        return Evidence(row["exact"].value, urls.source_page(src, start, end), plink,
                        Link(urls.source_page(src), label(src), src))
    return Evidence(None, None, plink)


def _facts(iri: str, dossier: list[dict], urls: Urls, label: Labeller) -> tuple[list[Evidence], dict[str, Fact]]:
    own: list[Evidence] = []
    facts: dict[str, Fact] = {}
    details: dict[str, list[tuple[str, object]]] = defaultdict(list)
    for row in dossier:
        kind, direction = row["kind"].value, row["dir"].value
        if kind == "ev" and direction == "self":
            own.append(_evidence(row, urls, label))
            continue
        f = row["f"].value
        fact = facts.get(f)
        if fact is None:
            fact = facts[f] = Fact(link(f, urls, label), [], [])
        rel = label(row["rel"].value)
        relation = f"← {rel}" if direction == "in" else f"{rel} →"
        if relation not in fact.relations:
            fact.relations.append(relation)
        if kind == "ev":
            ev = _evidence(row, urls, label)
            if all(e.passage.iri != ev.passage.iri for e in fact.evidence):
                fact.evidence.append(ev)
        else:
            p, v = row["p"].value, row["v"]
            if "vLabel" in row and isinstance(v, ox.NamedNode):
                label.labels.setdefault(v.value, row["vLabel"].value)
            if p == _TYPE:
                if v.value not in fact.types:
                    fact.types.append(v.value)
            elif p in LABEL_PREDICATES:
                fact.link.text = v.value
            elif not (isinstance(v, ox.NamedNode) and v.value == iri) and (p, v) not in details[f]:
                details[f].append((p, v))
    # Things the resource merely links to (an initiative it supports) are not facts about it.
    facts = {f: fact for f, fact in facts.items()
             if set(fact.types) & FACT_TYPES or any(r.startswith("←") for r in fact.relations)}
    for f, fact in facts.items():
        fact.details = rows(details[f], urls, label, first=tuple(DETAIL_ORDER))
        fact.evidence.sort(key=lambda e: (e.quote is None, e.href or "", e.passage.iri))
        fact.relations.sort()
    own.sort(key=lambda e: (e.quote is None, e.href or "", e.passage.iri))
    return own, facts


def _sections(facts: dict[str, Fact], label: Labeller) -> list[Section]:
    out, placed = [], set()
    for key, title, types in SECTIONS:
        chosen = [f for iri, f in facts.items() if iri not in placed and set(f.types) & set(types)]
        placed.update(f.link.iri for f in chosen)
        if chosen:
            out.append(Section(key, title, sorted(chosen, key=lambda f: (f.link.text.lower(), f.link.iri))))
    rest = [f for iri, f in facts.items() if iri not in placed]
    if rest:
        out.append(Section("other", "Other linked facts with evidence",
                           sorted(rest, key=lambda f: (f.link.text.lower(), f.link.iri))))
    return out


def _memberships(iri: str, out_pairs: list[tuple[str, object]], facts: dict[str, Fact], urls: Urls,
                 label: Labeller) -> list[GroupMembership]:
    groups: dict[str, GroupMembership] = {}

    def group(g: str) -> GroupMembership:
        if g not in groups:
            groups[g] = GroupMembership(link(g, urls, label), False, [], [])
        return groups[g]

    for p, o in out_pairs:
        if p == str(ORG.memberOf) and isinstance(o, ox.NamedNode):
            group(o.value).formal = True
    for fact in facts.values():
        for row in fact.details:
            targets = [v.link.iri for v in row.values if v.link]
            if row.predicate.iri == str(ORG.organization) and str(ORG.Membership) in fact.types:
                for g in targets:
                    gm = group(g)
                    gm.formal = True
                    gm.records.append(fact)
            elif row.predicate.iri == str(R2P.listedUnder):
                for g in targets:
                    group(g).listings.append(fact)
    return sorted(groups.values(), key=lambda g: (g.group.text.lower(), g.group.iri))


def resource_page(iri: str, triples: list[ox.Triple], dossier: list[dict], vocabulary: dict[str, str],
                  urls: Urls) -> ResourcePage:
    """The view model of the page of ``iri`` from its description and its dossier rows."""
    label = Labeller(triples, vocabulary)
    out_pairs = [(t.predicate.value, t.object) for t in triples if t.subject == ox.NamedNode(iri)]
    types = sorted({o.value for p, o in out_pairs if p == _TYPE and isinstance(o, ox.NamedNode)})
    type_links = [Link(urls.class_page(t), label(t), t) for t in types]
    notes = [o.value for p, o in out_pairs if p in NOTE_PREDICATES and isinstance(o, ox.Literal)]
    identifiers = rows([(p, o) for p, o in out_pairs if p in IDENTIFIERS], urls, label)
    for r in identifiers:
        r.predicate.text = IDENTIFIERS[r.predicate.iri]
        page = IDENTIFIER_PAGES.get(r.predicate.iri)
        for v in r.values:
            if v.link and v.link.external:
                v.text = v.link.text = local_name(v.link.iri)
            if page and v.link is None:
                v.link = Link(page, v.text, page, external=True)
    props = rows([(p, o) for p, o in out_pairs if p != _TYPE], urls, label,
                 first=LABEL_PREDICATES + (str(SKOS.altLabel),) + NOTE_PREDICATES)
    subs = sorted({o.value for p, o in out_pairs if isinstance(o, ox.NamedNode) and o.value.startswith(iri + "/")})
    parts = []
    for s in subs:
        pairs = [(t.predicate.value, t.object) for t in triples if t.subject == ox.NamedNode(s)]
        if pairs:
            parts.append((link(s, urls, label), rows(pairs, urls, label)))
    incoming = rows([(t.predicate.value, t.subject) for t in triples
                     if t.object == ox.NamedNode(iri) and not t.subject.value.startswith(iri + "/")], urls, label)
    own, facts = _facts(iri, dossier, urls, label)
    page = ResourcePage(iri, curie(iri), label(iri), type_links, notes, identifiers, props, parts, incoming,
                        own, _sections(facts, label), _memberships(iri, out_pairs, facts, urls, label))
    page.passage = _passage(iri, triples, out_pairs, urls, label)
    if str(R2P.SourceText) in types:
        page.source_viewer = urls.source_page(iri)
    return page


def _passage(iri: str, triples: list[ox.Triple], out_pairs, urls: Urls, label: Labeller) -> Evidence | None:
    """For a passage: its exact text and the link to its spot in the source."""
    source = next((o.value for p, o in out_pairs if p == str(OA.hasSource) and isinstance(o, ox.NamedNode)), None)
    selectors = {o.value for p, o in out_pairs if p == str(OA.hasSelector) and isinstance(o, ox.NamedNode)}
    vals: dict[str, str] = {}
    for t in triples:
        if t.subject.value in selectors and t.predicate.value in (str(OA.exact), str(OA.start), str(OA.end)):
            vals[t.predicate.value] = t.object.value
    if source is None or len(vals) < 3:
        return None
    start, end = int(vals[str(OA.start)]), int(vals[str(OA.end)])
    plink = link(iri, urls, label)
    plink.text = f"characters {start}–{end}"
    return Evidence(vals[str(OA.exact)], urls.source_page(source, start, end), plink,
                    Link(urls.source_page(source), label(source), source))


def vocabulary(rows_: list[dict]) -> dict[str, str]:
    """{IRI: English label} from the VOCABULARY query's rows."""
    out: dict[str, str] = {}
    for r in rows_:
        lab = r["label"]
        if r["t"].value not in out or lab.language == "en":
            out[r["t"].value] = lab.value
    return out


__all__ = ["ResourcePage", "resource_page", "vocabulary"]
