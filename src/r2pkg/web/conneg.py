"""HTTP content negotiation over the format table, with q-values (RFC 9110 §12.5.1)."""
from __future__ import annotations

from functools import lru_cache

from ..formats import DEFAULTS, Format, for_kind, lookup


@lru_cache(maxsize=256)
def parse_accept(header: str | None) -> tuple[tuple[str, float, int], ...]:
    """(media range, q, specificity) triples, best first; an absent header means ``*/*``.

    Memoized: a pure function of the header, and clients send few distinct Accept headers."""
    if not header or not header.strip():
        return (("*/*", 1.0, 0),)
    out = []
    for i, part in enumerate(header.split(",")):
        bits = [b.strip() for b in part.split(";")]
        rng = bits[0].lower()
        if not rng or "/" not in rng:
            continue
        q = 1.0
        for b in bits[1:]:
            if b.lower().startswith("q="):
                try:
                    q = max(0.0, min(1.0, float(b[2:])))
                except ValueError:
                    q = 0.0
        spec = 0 if rng == "*/*" else (1 if rng.endswith("/*") else 2)
        out.append((rng, q, spec))
    return tuple(out)


def _quality(accept: tuple[tuple[str, float, int], ...], media_type: str) -> float:
    """The q of the most specific range matching media_type (0 if none)."""
    best_spec, best_q = -1, 0.0
    major = media_type.split("/")[0]
    for rng, q, spec in accept:
        if rng == media_type or rng == "*/*" or (rng.endswith("/*") and rng[:-2] == major):
            if spec > best_spec:
                best_spec, best_q = spec, q
    return best_q


def negotiate(accept_header: str | None, candidates: list[tuple[str, object]], default: object) -> object | None:
    """Pick among (media type, value) candidates; ties go to the default, then candidate order.

    Returns None when nothing acceptable exists (the caller answers 406).
    """
    accept = parse_accept(accept_header)
    scored = []
    for order, (mt, value) in enumerate(candidates):
        q = _quality(accept, mt)
        if q > 0:
            explicit = any(r == mt for r, _, _ in accept)
            scored.append((-q, 0 if explicit else 1, 0 if value is default else 1, order, value))
    if not scored:
        return None
    scored.sort(key=lambda t: t[:4])
    return scored[0][4]


# Generic ``format=``/``output=`` names that clients send for every query form: SPARQLWrapper sends
# its return format, ``xml`` by default (and ``n3`` for N3), for CONSTRUCT/DESCRIBE too. For graph
# results they mean RDF/XML and Turtle (a Turtle document is valid N3).
_GRAPH_SYNONYMS = {"xml": "rdfxml", "n3": "turtle", "text/n3": "turtle", "text/rdf+n3": "turtle",
                   "application/n3": "turtle"}


def explicit_format(kind: str, explicit: str) -> Format | None:
    """The first usable format a ``format=`` value names, or None.

    Real clients send comma lists of names and media types (SPARQLWrapper, for JSON-LD:
    ``json-ld`` and ``application/ld+json,application/x-json+ld``); media-type parameters
    (``;q=``, ``;charset=``) are ignored."""
    for item in explicit.split(","):
        name = item.split(";", 1)[0].strip().lower()
        if not name:
            continue
        fmt = lookup(name, kind)
        if fmt is None and kind == "graph" and name in _GRAPH_SYNONYMS:
            fmt = lookup(_GRAPH_SYNONYMS[name], kind)
        if fmt is not None:
            return fmt
    return None


@lru_cache(maxsize=256)
def choose_format(kind: str, accept_header: str | None, explicit: str | None = None) -> Format | None:
    """The format for a result of ``kind``: what the ``format=`` parameter names, if it names a usable
    one; else the Accept header (a client's ``format=json`` for a CONSTRUCT means "whatever you have",
    as in Fuseki)."""
    if explicit:
        fmt = explicit_format(kind, explicit)
        if fmt is not None:
            return fmt
    # An alias (application/json, text/xml, text/plain) counts only when the client names it: a
    # wildcard already matches the canonical type, and must neither bring back a type refused with
    # q=0 nor answer text/* with XML (application/sparql-results+xml) through the text/xml alias.
    named = {rng for rng, _, _ in parse_accept(accept_header)}
    formats = for_kind(kind)
    cands = [(f.media_type, f) for f in formats]
    cands += [(a, f) for f in formats for a in f.aliases if a in named]
    return negotiate(accept_header, cands, DEFAULTS[kind])


def names_only_results(accept_header: str | None) -> bool:
    """True when Accept names result-set media types and nothing else (no wildcard, no RDF type):
    what rdflib's SPARQLStore(returnFormat="json") sends for every query form."""
    ranges = [rng for rng, _, _ in parse_accept(accept_header)]
    if not ranges or not accept_header:
        return False
    results = {t for f in for_kind("results") for t in (f.media_type, *f.aliases)}
    results |= {"text/javascript", "application/javascript"}  # SPARQLWrapper's JSON list
    return all(r in results for r in ranges)


def wants_html(accept_header: str | None) -> bool:
    """True when a browser asks for HTML (text/html preferred over the RDF/JSON defaults)."""
    if not accept_header:
        return False
    accept = parse_accept(accept_header)
    html = _quality(accept, "text/html")
    return html > 0 and any(r == "text/html" for r, _, _ in accept) and html >= max(
        _quality(accept, "text/turtle"), _quality(accept, "application/sparql-results+json"))
