"""Linked-data representations over HTTP: content negotiation between the HTML page and the RDF
formats, explicit extensions, ETags, and the headers that tie them together.

Strategy (one, everywhere): a resource's IRI answers 200 with ``Vary: Accept``: HTML for browsers,
Turtle (the default for ``*/*`` or no Accept), JSON-LD, N-Triples or RDF/XML by Accept with
q-values; ``Content-Location`` names the representation chosen, ``Link: rel=alternate`` lists all.
``<path>.ttl|.jsonld|.nt|.rdf|.html`` name one representation and do not vary.
Every query goes through the worker pool (``State.answer``), never the parent's store.
"""
from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pyoxigraph as ox
from flask import Flask, Response, current_app, request

from ..errors import UnsupportedFormat
from ..jobs import Job, encode_terms
from ..formats import BY_NAME, Format
from ..linked import UnknownResource, artefacts, jsonld, queries, views
from ..linked.iris import IriMap, Urls
from ..linked.rdfio import RESOURCE_FORMATS, parse_ntriples, serialize
from .conneg import negotiate, parse_accept
from .responses import content_type
from .state import state
from .urls import external_base, external_for

HTML = "html"
EXTENSIONS: dict[str, object] = {HTML: HTML, **{f.extension: f for f in RESOURCE_FORMATS}}
HTML_TYPES = ("text/html", "application/xhtml+xml")
KEY = "r2pkg.linked"


@dataclass
class LinkedState:
    """Per-app linked-data state: settings, build artefacts, and the vocabulary labels (loaded once)."""

    public_base: str
    build_path: Path | None
    stats: dict | None
    context: dict
    _vocabulary: dict[str, str] | None = None
    _parsed_context: object = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def parsed_context(self):
        """The context as rdflib reads it, read once (:func:`r2pkg.linked.jsonld.prepared`)."""
        if self._parsed_context is None:
            with self._lock:
                if self._parsed_context is None:
                    self._parsed_context = jsonld.prepared(self.context)
        return self._parsed_context

    def vocabulary(self) -> dict[str, str]:
        if self._vocabulary is None:
            rows = select(queries.VOCABULARY)
            with self._lock:
                self._vocabulary = views.vocabulary(rows)
        return self._vocabulary


def init_app(app: Flask) -> None:
    """Load (or add, for builds made before they existed) the build's linked-data artefacts."""
    if KEY in app.extensions:
        return
    st = state(app)
    build = getattr(st.dataset, "build", None)  # a remote store may have no local build
    path = build.path if build is not None and build.dataset_path.is_file() else None
    if path is not None:
        try:
            artefacts.ensure(path, build.dataset_path, build.manifest)
        except OSError:  # a read-only build folder: serve what is there
            pass
    context = (artefacts.load_context(path) if path else None) or _context_from_ontology(st)
    app.extensions[KEY] = LinkedState(str(st.settings.get("PUBLIC_BASE") or "https://w3id.org/r2pkg/"),
                                      path, artefacts.load_stats(path) if path else None, context)


def _context_from_ontology(st) -> dict:
    from rdflib import Graph

    g = Graph()
    if st.res is not None and (st.res.ontology / "r2p.ttl").is_file():
        g.parse(st.res.ontology / "r2p.ttl", format="turtle")
    return jsonld.make_context(g)


def linked() -> LinkedState:
    return current_app.extensions[KEY]


def iri_map() -> IriMap:
    return IriMap(linked().public_base, request.script_root)


def urls() -> Urls:
    return Urls(iri_map())


def _job(sparql: str, fmt: str, subs: dict | None) -> Job:
    return Job(sparql, fmt, substitutions=encode_terms(subs) if subs else ())


def construct(sparql: str, subs: dict | None = None) -> list[ox.Triple]:
    ans, _, _ = state().answer(_job(sparql, "ntriples", subs))
    return parse_ntriples(ans.body)


def select(sparql: str, subs: dict | None = None) -> list[dict]:
    ans, _, _ = state().answer(_job(sparql, "json", subs))
    return queries.solutions(ans.body)


def select_lexical(sparql: str) -> list[dict[str, str]]:
    return [{k: v.value for k, v in row.items()} for row in select(sparql)]


def choose(accept: str | None) -> object | None:
    """HTML or one of the RDF formats for an Accept header (None: nothing acceptable, 406)."""
    named = {rng for rng, _, _ in parse_accept(accept)}
    # RDF before HTML, so a wildcard (application/*) picks RDF; a browser names text/html explicitly.
    cands: list[tuple[str, object]] = [(f.media_type, f) for f in RESOURCE_FORMATS]
    cands += [(a, f) for f in RESOURCE_FORMATS for a in f.aliases if a in named]
    cands += [(t, HTML) for t in HTML_TYPES]
    return negotiate(accept, cands, BY_NAME["turtle"])


def chosen_or_406(accept: str | None) -> object:
    rep = choose(accept)
    if rep is None:
        offered = ", ".join([HTML_TYPES[0]] + [f.media_type for f in RESOURCE_FORMATS])
        raise UnsupportedFormat(f"none of the accepted media types is available; offered: {offered}")
    return rep


def split_extension(path: str) -> tuple[str, object | None]:
    """``("id/x", turtle)`` for ``"id/x.ttl"``; ``(path, None)`` without a known extension."""
    stem, dot, ext = path.rpartition(".")
    if dot and "/" not in ext and ext in EXTENSIONS:
        return stem, EXTENSIONS[ext]
    return path, None


def representation_named(ext: str, what: str) -> object:
    """The representation a document's ``.<ext>`` URL names (``/ontology.ttl``, ``/shapes.jsonld``,
    ...), or UnknownResource (404) naming ``what``."""
    _, rep = split_extension("x." + ext)
    if rep is None:
        raise UnknownResource(f"no representation .{ext} of {what}")
    return rep


def ext_of(rep: object) -> str:
    return HTML if rep == HTML else rep.extension  # type: ignore[union-attr]


def media_of(rep: object) -> str:
    return "text/html" if rep == HTML else rep.media_type  # type: ignore[union-attr]


def context_url() -> str:
    return external_for("linked.context")


def rdf_body(triples: list[ox.Triple], fmt: Format) -> bytes:
    if fmt.name == "jsonld":
        doc = jsonld.compact(triples, linked().context, linked().parsed_context())
        return jsonld.dumps(jsonld.with_context_url(doc, context_url()))
    return serialize(triples, fmt)


def embedded_jsonld(triples: list[ox.Triple]) -> str:
    """The page's ``<script type="application/ld+json">`` content (context inline, ``</`` escaped)."""
    return jsonld.script_safe(jsonld.compact(triples, linked().context, linked().parsed_context()))


def alternates(base: str) -> list[dict]:
    return [{"href": f"{base}.{ext_of(r)}", "type": media_of(r),
             "label": "HTML" if r == HTML else r.name} for r in [HTML, *RESOURCE_FORMATS]]


def _etag(key: str, rep: object) -> str:
    st = state()
    # the JSON-LD answer names the context by its absolute URL: the tag varies with the external base
    raw = "|".join([st.build_id, key, ext_of(rep), request.script_root, linked().public_base,
                    external_base(request.environ)])
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:40]


def represent(key: str, base: str, rep: object | None, triples: Callable[[], list[ox.Triple]],
              html: Callable[[list[ox.Triple]], str],
              rdf: Callable[[list[ox.Triple], Format], bytes] = None) -> Response:  # type: ignore[assignment]
    """Answer for the thing at local path ``base`` (``rep`` None = negotiate by Accept).

    ``triples()`` gives its RDF (empty: 404); ``html(triples)`` renders its page; ``rdf`` overrides
    the serialiser (default :func:`rdf_body`)."""
    negotiated = rep is None
    if negotiated:
        rep = chosen_or_406(request.headers.get("Accept"))
    tag = _etag(key, rep)
    if request.if_none_match and request.if_none_match.contains_weak(tag):
        resp = Response(status=304)
    else:
        data = triples()
        if not data:
            raise UnknownResource(f"nothing is known about {key}", iri=key)
        body = html(data).encode("utf-8") if rep == HTML else (rdf or rdf_body)(data, rep)  # type: ignore[arg-type]
        resp = Response(body, content_type=content_type(media_of(rep)))
    headers(resp, tag, base, rep, negotiated)
    return resp


def headers(resp: Response, tag: str | None, base: str, rep: object, negotiated: bool) -> None:
    st = state()
    if tag:
        resp.set_etag(tag)
    resp.headers["Cache-Control"] = f"public, max-age={st.settings['CACHE_MAX_AGE']}"
    resp.headers["X-R2pkg-Build"] = st.build_id
    links = [f'<{a["href"]}>; rel="alternate"; type="{a["type"]}"' for a in alternates(base)]
    if rep != HTML and getattr(rep, "name", "") == "jsonld":
        links.append(f'<{context_url()}>; rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"')
    resp.headers["Link"] = ", ".join(links)
    if negotiated:
        resp.headers["Vary"] = "Accept"
        resp.headers["Content-Location"] = f"{base}.{ext_of(rep)}"
