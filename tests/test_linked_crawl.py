"""Crawl the site like a browser: from ``/``, breadth-first, every internal link.

Every link must resolve (200), every fragment must name an element of its page, every subject of
the graph under ``/id/`` must be reached, and every page's embedded JSON-LD must be the same graph
as the resource's Turtle.
"""
from __future__ import annotations

import json
import re
import time
from html.parser import HTMLParser
from urllib.parse import urldefrag, urljoin, urlsplit

import pyoxigraph as ox
import pytest
from linked_util import BROWSER, canonical_triples

ORIGIN = "http://localhost"
ID = "https://w3id.org/r2pkg/id/"


class Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.ids: set[str] = set()
        self.jsonld: list[str] = []
        self._in_jsonld = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(a["id"])
        if tag in ("a", "link") and a.get("href"):
            self.links.append(a["href"])
        self._in_jsonld = tag == "script" and a.get("type") == "application/ld+json"
        if self._in_jsonld:
            self.jsonld.append("")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_jsonld = False

    def handle_data(self, data):
        if self._in_jsonld:
            self.jsonld[-1] += data


pytestmark = pytest.mark.slow  # a crawl of every page (the inner loop, -m "not slow", leaves it out)


@pytest.fixture(scope="module")
def crawl(app):
    """Walk the site once, breadth-first, with one client (threads would only contend for the
    interpreter: the page rendering is Python); return what was seen."""
    t0 = time.perf_counter()
    status: dict[str, int] = {}
    pages: dict[str, Page] = {}
    fragments: list[tuple[str, str, str]] = []  # (from, to, fragment)
    referrer: dict[str, str] = {}
    turtles: dict[str, str] = {}  # the .ttl alternates every page links to
    client = app.test_client()
    level, seen = ["/"], {"/"}
    while level:
        following: list[str] = []
        for path in level:
            r = client.get(path, headers={"Accept": BROWSER})
            code, mimetype = r.status_code, r.mimetype
            body = r.get_data(as_text=mimetype in ("text/html", "text/turtle"))
            r.close()  # static files are streamed from open file objects
            status[path] = code
            if code == 200 and mimetype == "text/turtle":
                turtles[path] = body
            if code != 200 or mimetype != "text/html":
                continue
            page = Page()
            page.feed(body)
            pages[path] = page
            for href in page.links:
                url, frag = urldefrag(urljoin(ORIGIN + path, href))
                parts = urlsplit(url)
                if f"{parts.scheme}://{parts.netloc}" != ORIGIN:
                    continue  # external (Wikidata, W3C vocabularies, ...)
                target = parts.path + (f"?{parts.query}" if parts.query else "")
                if frag:
                    fragments.append((path, target, frag))
                if target not in seen:
                    seen.add(target)
                    referrer[target] = path
                    following.append(target)
        level = following
    return {"status": status, "pages": pages, "fragments": fragments, "referrer": referrer,
            "turtles": turtles, "seconds": time.perf_counter() - t0, "client": app.test_client()}


def test_every_internal_link_resolves(crawl):
    bad = {p: s for p, s in crawl["status"].items() if s != 200}
    assert not bad, {p: (s, crawl["referrer"].get(p)) for p, s in list(bad.items())[:20]}
    print(f"\ncrawled {len(crawl['status'])} URLs ({len(crawl['pages'])} HTML pages) in {crawl['seconds']:.1f} s")


def test_every_subject_under_id_has_a_page(crawl, dataset):
    q = f'SELECT DISTINCT ?s WHERE {{ ?s ?p ?o FILTER(isIRI(?s) && STRSTARTS(STR(?s), "{ID}")) }}'
    subjects = {s["s"].value for s in dataset.store.query(q, use_default_graph_as_union=True)}
    pages = {"https://w3id.org/r2pkg/" + p[1:] for p in crawl["pages"] if p.startswith("/id/")}
    missing = sorted(subjects - pages)
    assert not missing, missing[:20]
    assert len([p for p in crawl["pages"] if p.startswith("/id/")]) >= len(subjects)


def test_every_fragment_names_an_element(crawl):
    pages = crawl["pages"]
    # "open in the query editor" links carry the editor's state in the fragment of /sparql
    # (#query=…&view=…, read by its script), not an element id
    state = [(src, dst, frag) for src, dst, frag in crawl["fragments"] if dst == "/sparql" and frag.startswith("query=")]
    assert state, "no link opens a query in the editor"
    broken = [(src, dst, frag) for src, dst, frag in crawl["fragments"]
              if dst in pages and frag not in pages[dst].ids and (src, dst, frag) not in state]
    assert not broken, broken[:20]
    # citation links land on passages of the source viewer
    cites = [f for _, dst, f in crawl["fragments"] if dst.startswith("/sources/")]
    assert cites and all(re.fullmatch(r"(p|fn)-\d+-\d+", f) for f in cites)


def test_embedded_jsonld_is_the_resource_rdf(crawl):
    client = crawl["client"]
    checked = 0
    for path, page in crawl["pages"].items():
        if not (path.startswith(("/id/", "/ontology", "/.well-known/void")) and "." not in path.rsplit("/", 1)[-1]):
            continue
        assert len(page.jsonld) == 1, f"{path}: expected one embedded JSON-LD block"
        doc = json.loads(page.jsonld[0])
        assert isinstance(doc["@context"], dict), "pages inline the context"
        # read by pyoxigraph's JSON-LD and Turtle parsers (rdflib wrote the JSON-LD, so another
        # implementation reads it; the client matrix also expands it with pyld)
        embedded = canonical_triples(page.jsonld[0], ox.RdfFormat.JSON_LD, ORIGIN + path)
        text = crawl["turtles"].get(path + ".ttl")  # the Turtle alternate the page links to
        if text is None:
            r = client.get(path, headers={"Accept": "text/turtle"})
            assert r.status_code == 200 and r.mimetype == "text/turtle"
            text = r.get_data(as_text=True)
        turtle = canonical_triples(text, ox.RdfFormat.TURTLE, ORIGIN + path)
        assert turtle
        assert embedded == turtle, (path, sorted(embedded ^ turtle)[:5])
        checked += 1
    assert checked >= 1300
