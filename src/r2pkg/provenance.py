"""Passages: exact spans of a stored source text, addressed by Web Annotation selectors.

Offsets count Unicode code points of the UTF-8-decoded file; ``end`` is exclusive, so
``text[start:end] == exact``.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, XSD

from .errors import DataError, UnknownSource
from .namespaces import OA, R2P, passage_iri

SOURCE_SUFFIX = ".txt"
PROV_DERIVED = URIRef("http://www.w3.org/ns/prov#wasDerivedFrom")


@dataclass(frozen=True)
class Span:
    source_id: str
    start: int
    end: int
    exact: str

    @property
    def iri(self) -> URIRef:
        return passage_iri(self.source_id, self.start, self.end)


def read_source(path: Path) -> str:
    """Read a stored source as UTF-8 text (newlines untouched).

    Raises:
        DataError: if the file is not valid UTF-8.
    """
    try:
        return path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as e:
        raise DataError(f"{path}: not UTF-8 ({e.reason} at byte {e.start})", file=str(path)) from e


def source_text(sources_dir: Path, source_id: str) -> str:
    """The text of stored source ``source_id`` (``data/sources/<id>.txt``).

    Raises:
        UnknownSource: no such source; the message lists the ones there are.
        DataError: the file is not UTF-8.
    """
    path = sources_dir / f"{source_id}{SOURCE_SUFFIX}"
    if "/" in source_id or not path.is_file():
        have = sorted(p.stem for p in sources_dir.glob(f"*{SOURCE_SUFFIX}"))
        raise UnknownSource(f"no source {source_id!r} in {sources_dir}; use --source with one of: "
                            f"{', '.join(have) or 'none (add a .txt file there)'}", source=source_id)
    return read_source(path)


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# Quote marks that count as the same when finding a passage: curly and straight, single and double.
_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
                         "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"'})


def _normalise(text: str) -> tuple[str, list[int]]:
    """``text`` with every quote mark straight and every whitespace run one space, and for each
    character of the result the offset in ``text`` it comes from."""
    out: list[str] = []
    where: list[int] = []
    in_space = False
    for i, ch in enumerate(text):
        if ch.isspace():
            if not in_space:
                out.append(" ")
                where.append(i)
            in_space = True
            continue
        in_space = False
        out.append(ch.translate(_QUOTES))
        where.append(i)
    return "".join(out), where


def _find_all(text: str, needle: str) -> list[int]:
    starts, i = [], text.find(needle)
    while i != -1:
        starts.append(i)
        i = text.find(needle, i + 1)
    return starts


def locate(text: str, exact: str, source_id: str, occurrence: int | None = None) -> Span:
    """Find ``exact`` in ``text`` and return the span of the source it matches.

    The text is looked for as given first; if it does not occur, quote marks (straight or curly)
    and whitespace runs (spaces, newlines) are compared loosely, and the span's ``exact`` is then the
    source's own text, which may differ from ``exact`` in those characters.

    Args:
        occurrence: 1-based occurrence to pick when ``exact`` occurs more than once.

    Raises:
        DataError: if ``exact`` is empty, does not occur, or occurs several times and no
            occurrence is given.

    >>> locate("a b a", "b", "s")
    Span(source_id='s', start=2, end=3, exact='b')
    >>> locate("he said “no”  twice", 'said "no" twice', "s")
    Span(source_id='s', start=3, end=19, exact='said “no”  twice')
    """
    if not exact.strip():
        raise DataError("the text to find is empty; give a phrase from the source, e.g. "
                        "r2pkg passage \"Seventeen states have participated\"")
    spans = [(s, s + len(exact)) for s in _find_all(text, exact)]
    if not spans:
        norm, where = _normalise(text)
        needle = _normalise(exact.strip())[0]
        spans = [(where[s], where[s + len(needle) - 1] + 1) for s in _find_all(norm, needle)]
    if not spans:
        raise DataError(f"passage not found in source {source_id} (even ignoring quote styles and "
                        f"whitespace): {exact[:80]!r}")
    if occurrence is None:
        if len(spans) > 1:
            raise DataError(f"passage occurs {len(spans)} times in {source_id}; pass --occurrence "
                            f"1..{len(spans)} or a longer text: {exact[:80]!r}")
        occurrence = 1
    if not 1 <= occurrence <= len(spans):
        raise DataError(f"occurrence {occurrence} out of range 1..{len(spans)}")
    s, e = spans[occurrence - 1]
    return Span(source_id, s, e, text[s:e])


def _escape(s: str) -> str:
    return s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")


def span_turtle(span: Span) -> str:
    """The Turtle block for a passage node (prefixes r2p:, oa: assumed)."""
    iri = str(span.iri)
    return (
        f"<{iri}> a r2p:Passage ;\n"
        f"    oa:hasSource <https://w3id.org/r2pkg/id/source/{span.source_id}> ;\n"
        f"    oa:hasSelector <{iri}/quote> , <{iri}/position> .\n"
        f"<{iri}/quote> a oa:TextQuoteSelector ;\n"
        f"    oa:exact \"{_escape(span.exact)}\" .\n"
        f"<{iri}/position> a oa:TextPositionSelector ;\n"
        f"    oa:start {span.start} ;\n    oa:end {span.end} .\n"
    )


@dataclass(frozen=True)
class PassageProblem:
    passage: str
    message: str


def check_passages(graph: Graph, sources_dir: Path) -> list[PassageProblem]:
    """Check every r2p:Passage in ``graph`` against the stored source it selects from.

    Each passage must have exactly one quote and one position selector, its IRI must match its
    offsets, and ``text[start:end]`` must equal the quoted text exactly.
    """
    problems: list[PassageProblem] = []
    texts: dict[str, str | None] = {}
    for p in sorted(set(graph.subjects(RDF.type, R2P.Passage))):
        src = graph.value(p, OA.hasSource)
        if src is None:
            problems.append(PassageProblem(str(p), "no oa:hasSource"))
            continue
        source_id = str(src).rsplit("/", 1)[-1]
        if source_id not in texts:
            f = sources_dir / (source_id + SOURCE_SUFFIX)
            texts[source_id] = read_source(f) if f.is_file() else None
        text = texts[source_id]
        if text is None:
            problems.append(PassageProblem(str(p), f"source file {source_id}{SOURCE_SUFFIX} not found"))
            continue
        exacts, starts, ends = [], [], []
        for sel in graph.objects(p, OA.hasSelector):
            exacts += list(graph.objects(sel, OA.exact))
            starts += list(graph.objects(sel, OA.start))
            ends += list(graph.objects(sel, OA.end))
        if len(exacts) != 1 or len(starts) != 1 or len(ends) != 1:
            problems.append(PassageProblem(
                str(p), f"needs exactly one oa:exact, oa:start, oa:end (has {len(exacts)}, {len(starts)}, {len(ends)})"))
            continue
        exact, start, end = str(exacts[0]), starts[0], ends[0]
        if not (isinstance(start, Literal) and isinstance(end, Literal)
                and start.datatype == XSD.integer and end.datatype == XSD.integer):
            problems.append(PassageProblem(str(p), "oa:start/oa:end must be xsd:integer"))
            continue
        s, e = int(start), int(end)
        if str(p) != str(passage_iri(source_id, s, e)):
            problems.append(PassageProblem(str(p), f"IRI does not match offsets {s}-{e}"))
        if text[s:e] != exact:
            problems.append(PassageProblem(str(p), f"the quoted text differs from the source at {s}-{e}: "
                                                   + first_difference(text[s:e], exact, offset=s)))
    return problems


def first_difference(source: str, quoted: str, *, offset: int = 0, context: int = 25) -> str:
    """Where two texts first differ, shown with ``context`` characters before the difference.

    >>> first_difference("the P5 refrain", "the P3 refrain", offset=100)
    "character 5 (offset 105): the source has 'the P5 refrain', the quote 'the P3 refrain'"
    >>> first_difference("abc", "abcd")
    "character 3 (offset 3): the source has 'abc' and ends, the quote goes on with 'd'"
    """
    k = next((i for i, (a, b) in enumerate(zip(source, quoted)) if a != b), min(len(source), len(quoted)))
    lo = max(k - context, 0)
    head = f"character {k} (offset {offset + k}): "
    if k == len(source):
        return head + f"the source has {source[lo:k]!r} and ends, the quote goes on with {quoted[k:k + context]!r}"
    if k == len(quoted):
        return head + f"the quote has {quoted[lo:k]!r} and ends, the source goes on with {source[k:k + context]!r}"
    return head + (f"the source has {source[lo:k + context]!r}, the quote {quoted[lo:k + context]!r}")


def _offsets(iri: str) -> tuple[str, int, int] | None:
    m = re.search(r"/passage/([^/]+)/(\d+)-(\d+)$", iri)
    return (m.group(1), int(m.group(2)), int(m.group(3))) if m else None


def nearest_passage(iri: str, passages: list[str]) -> str | None:
    """The existing passage IRI closest to ``iri``: same source and nearest offsets, else the most
    similar IRI."""
    if not passages:
        return None
    want = _offsets(iri)
    if want:
        same = [(abs(o[1] - want[1]) + abs(o[2] - want[2]), p) for p in passages
                if (o := _offsets(p)) and o[0] == want[0]]
        if same:
            return min(same)[1]
    import difflib

    close = difflib.get_close_matches(iri, passages, n=1, cutoff=0)
    return close[0] if close else None


def missing_passages(graph: Graph) -> list[tuple[URIRef, URIRef, str | None]]:
    """``(fact, iri, nearest)`` for every ``prov:wasDerivedFrom`` that names a passage IRI (under
    ``…/id/passage/``) that no ``r2p:Passage`` in ``graph`` has, with the nearest existing passage."""
    from .namespaces import ID

    have = sorted(str(p) for p in graph.subjects(RDF.type, R2P.Passage))
    known = set(have)
    prefix = str(ID) + "passage/"
    out = []
    for fact, o in sorted(graph.subject_objects(PROV_DERIVED)):
        if isinstance(o, URIRef) and str(o).startswith(prefix) and str(o) not in known:
            out.append((fact, o, nearest_passage(str(o), have)))
    return out
