"""What the linked-data pages say: a state's page with its evidence, the readable source, the
ontology documentation, the landing page, 404s, escaping and a configurable public base."""
from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pyoxigraph as ox
import pytest
from linked_util import BROWSER, parse_jsonld

from r2pkg.build import Build
from r2pkg.store import LoadedDataset

HTML = {"Accept": BROWSER}
CHL = "/id/state/CHL"
SOURCE = "/sources/000_8ce56a32bf916fdd"


class Marks(HTMLParser):
    """The text inside each <mark id=...> of the source viewer (nested marks included)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str | None] = []
        self.text: dict[str, str] = {}
        self.ids: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "mark":
            mid = dict(attrs).get("id")
            self.stack.append(mid)
            if mid:
                self.ids.append(mid)
                self.text[mid] = ""

    def handle_endtag(self, tag):
        if tag == "mark":
            self.stack.pop()

    def handle_data(self, data):
        for mid in self.stack:
            if mid:
                self.text[mid] += data


def test_state_page_shows_statements_stances_memberships_with_evidence(client):
    r = client.get(CHL, headers=HTML)
    assert r.status_code == 200 and r.mimetype == "text/html"
    html = r.get_data(as_text=True)
    assert "<h1>Chile</h1>" in html
    assert 'href="/classes/r2p:State"' in html
    # statements, stances with polarity and target, group memberships (formal and listed under)
    assert "Statement of Chile at the 2017 dialogue" in html
    assert "Stance of Chile on the initiatives restraining the use of the veto (support)" in html
    stance = html[html.index('<section class="facts stances">'):]
    stance = stance[:stance.index("</section>")]
    assert ">polarity</dt>" in stance and 'href="/id/concept/polarity/support"' in stance
    assert ">target</dt>" in stance and 'href="/id/initiative/veto-restraint"' in stance
    groups = html[html.index('<section class="memberships">'):]
    groups = groups[:groups.index("</section>")]
    assert 'href="/id/regional-group/latin-america-caribbean"' in groups and 'href="/id/org/un"' in groups
    assert 'href="/id/participation/iid-2017/CHL"' in groups  # the row it is listed under
    # every quoted sentence links to its spot in the source viewer
    assert "who all urged the P5 to refrain from using their veto" in html
    cites = re.findall(r'href="(/sources/000_8ce56a32bf916fdd#p-\d+-\d+)"', html)
    assert "/sources/000_8ce56a32bf916fdd#p-10934-11152" in cites
    assert "/sources/000_8ce56a32bf916fdd#p-6829-7006" in cites  # the participation table row
    # external identifiers and readable predicate labels
    assert 'href="http://www.wikidata.org/entity/Q298"' in html
    assert ">UN M49 code<" in html and ">member of<" in html
    # no JavaScript on the page, except the JSON-LD data block
    assert len(re.findall(r"<script", html)) == 1 and '<script type="application/ld+json">' in html


def test_every_citation_on_a_page_lands_on_its_sentence(client):
    html = client.get(CHL, headers=HTML).get_data(as_text=True)
    source = Marks()
    source.feed(client.get(SOURCE, headers=HTML).get_data(as_text=True))
    for quote, anchor in re.findall(r'<blockquote>(.*?)</blockquote>\s*<figcaption><a class="cite" href="[^"#]*#([^"]+)"',
                                    html, re.S):
        import html as h

        assert h.unescape(quote) == source.text[anchor]


def test_source_viewer_anchors_every_cited_passage_exactly(client, dataset):
    r = client.get(SOURCE, headers=HTML)
    assert r.status_code == 200
    page = r.get_data(as_text=True)
    marks = Marks()
    marks.feed(page)
    q = """SELECT ?s ?e ?x WHERE { ?p a <https://w3id.org/r2pkg/ontology#Passage> ;
             <http://www.w3.org/ns/oa#hasSelector> ?a , ?b . ?a <http://www.w3.org/ns/oa#start> ?s ;
             <http://www.w3.org/ns/oa#end> ?e . ?b <http://www.w3.org/ns/oa#exact> ?x }"""
    passages = {f"p-{r['s'].value}-{r['e'].value}": r["x"].value
                for r in dataset.store.query(q, use_default_graph_as_union=True)}
    assert len(passages) > 80
    assert sorted(marks.ids) == sorted(passages), "each cited passage is anchored exactly once"
    for anchor, exact in passages.items():
        assert marks.text[anchor] == exact, anchor  # nested passages split into segments, text intact
    # each passage's footnote lists the facts derived from it, as links
    note = page[page.index('id="fn-10934-11152"'):]
    note = note[:note.index("</li>\n")]
    assert 'href="/id/stance/iid-2017/CHL/veto-restraint"' in note
    assert 'href="#p-10934-11152"' in note
    assert "<script" not in page


def test_source_viewer_tokens_handle_nesting_and_crossing():
    from r2pkg.linked.sourceview import Passage, tokens

    text = "0123456789"
    ps = [Passage(1, 5, "a"), Passage(3, 8, "b"), Passage(3, 4, "c"), Passage(6, 9, "d")]
    toks = tokens(text, ps)
    html = "".join(t.text if t.kind == "text" else
                   (f"<m{' id=' + t.passage.anchor if t.first else ''}>" if t.kind == "open" else
                    "</m>" if t.kind == "close" else "") for t in toks)
    assert re.sub(r"<[^>]+>", "", html) == text
    # a crossing passage is split into fragments; only the first carries its anchor
    assert html == "0<m id=p-1-5>12<m id=p-3-8><m id=p-3-4>3</m>4</m></m><m>5<m id=p-6-9>67</m></m><m>8</m>9"
    assert all(html.count(f"id={p.anchor}") == 1 for p in ps)
    assert html.count("<m") == html.count("</m>")
    refs = [p.anchor for t in toks if t.kind == "refs" for p in t.refs]
    assert sorted(refs) == sorted(p.anchor for p in ps)


def test_ontology_documentation(client, dataset):
    r = client.get("/ontology", headers=HTML)
    assert r.status_code == 200 and r.mimetype == "text/html"
    html = r.get_data(as_text=True)
    ids = set(re.findall(r'id="([^"]+)"', html))
    q = """SELECT ?t WHERE { GRAPH <https://w3id.org/r2pkg/graph/ontology> { ?t a ?k }
             FILTER(STRSTARTS(STR(?t), "https://w3id.org/r2pkg/ontology#")) }"""
    terms = {r["t"].value.split("#", 1)[1] for r in dataset.store.query(q)}
    assert len(terms) > 70 and terms <= ids, sorted(terms - ids)
    for text in ("r2pkg ontology: the Responsibility to Protect", "0.1.0",
                 "https://creativecommons.org/licenses/by/4.0/", "<code>r2p:</code>",
                 "https://w3id.org/r2pkg/ontology#", "Disjoint with", "functional", 'href="classes/r2p:State"',
                 'id="scheme-polarity"', 'href="id/concept/polarity/support"'):
        assert text in html, text
    assert "Subclass of" in html and "Domain" in html and "Range" in html


def test_landing_page(client, built):
    r = client.get("/", headers=HTML)
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert f"<dd>{built.manifest['triples']}</dd>" in html
    for href in ("/sparql", "/classes", "/id/state/CHL", "/id/event/iid-2017", SOURCE, "/ontology",
                 "/dumps/r2pkg.nq.gz", "/dumps/r2pkg.trig.gz", "/dumps/r2pkg.ttl.gz", "/.well-known/void",
                 "/api/queries", "/context.jsonld"):
        assert f'href="{href}"' in html, href
    assert "<dt>states</dt><dd>195</dd>" in html


def test_class_pages(client):
    r = client.get("/classes/r2p:State", headers=HTML)
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert html.count('href="/id/state/') == 195
    assert 'href="/ontology#State"' in html
    idx = client.get("/classes", headers=HTML).get_data(as_text=True)
    assert 'href="/classes/r2p:State"' in idx and 'href="/classes/org:Membership"' in idx
    assert client.get("/classes/r2p:Claim", headers=HTML).status_code == 200  # declared, no instances


@pytest.mark.parametrize("path", ["/id/state/XXX", "/id/nothing/here.ttl", "/ontology/nope", "/classes/r2p:Nope",
                                  "/classes/nope", "/sources/nope", "/sources/..%2Fsecret", "/dumps/other.nq.gz"])
def test_unknown_is_404(client, path):
    r = client.get(path, headers=HTML)
    assert r.status_code == 404 and r.mimetype == "text/html"
    assert "404" in r.get_data(as_text=True)
    r = client.get(path, headers={"Accept": "text/turtle"})
    assert r.status_code == 404 and r.mimetype == "application/json"
    assert r.get_json()["error"] == "NOT_FOUND"


EVIL = '<script>alert("x")</script></script><!-- & "quotes"'


@pytest.fixture(scope="module")
def evil_app(make_app, tmp_path_factory):
    """A tiny store whose labels try to break out of the page and of the JSON-LD block."""
    base = "http://example.org/kg/"
    store = ox.Store()
    g = ox.NamedNode(base + "graph/g")
    label = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
    a, b = ox.NamedNode(base + "id/thing/a"), ox.NamedNode(base + "id/thing/b")
    store.add(ox.Quad(a, label, ox.Literal(EVIL, language="en"), g))
    store.add(ox.Quad(a, ox.NamedNode("http://example.org/p"), b, g))
    store.add(ox.Quad(b, label, ox.Literal("B"), g))
    folder = tmp_path_factory.mktemp("evil")
    ds = LoadedDataset(Build(folder, {"build_id": "evil0000"}), store)
    return make_app(DATASET=ds, PUBLIC_BASE=base)


def test_labels_are_escaped(evil_app):
    c = evil_app.test_client()
    r = c.get("/id/thing/a", headers=HTML)
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert "&lt;script&gt;alert(" in html
    assert html.count("<script") == 1  # only the JSON-LD block
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1)
    assert "</" not in block and "<!--" not in block and "<\\/script>" in block
    g = parse_jsonld(block)
    assert EVIL in {str(o) for o in g.objects()}
    # links to the configured public base stay on this server; RDF keeps the canonical IRIs
    assert 'href="/id/thing/b"' in html
    ttl = c.get("/id/thing/a", headers={"Accept": "text/turtle"}).get_data(as_text=True)
    assert "http://example.org/kg/id/thing/b" in ttl
    assert c.get("/id/thing/zzz", headers=HTML).status_code == 404


def test_service_description_links_void(client):
    """The service's default dataset is the VoID dataset (sd:defaultDataset), typed sd:Dataset and
    void:Dataset, with terms both vocabularies define (there is no void:dataset)."""
    import rdflib

    r = client.get("/sparql", headers={"Accept": "text/turtle"})
    g = rdflib.Graph().parse(data=r.data, format="turtle")
    sd = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
    void = rdflib.Namespace("http://rdfs.org/ns/void#")
    ep, d = rdflib.URIRef("http://localhost/sparql"), rdflib.URIRef("http://localhost/.well-known/void")
    assert g.value(ep, sd.defaultDataset) == d
    assert {sd.Dataset, void.Dataset} <= set(g.objects(d, rdflib.RDF.type))
    assert g.value(d, void.sparqlEndpoint) == ep
    void_terms = {p for p in g.predicates() if str(p).startswith(str(void))}
    assert void_terms == {void.sparqlEndpoint, void.triples}
    described = rdflib.Graph().parse(data=client.get("/.well-known/void", headers={"Accept": "text/turtle"}).data,
                                     format="turtle")
    assert (d, rdflib.RDF.type, void.Dataset) in described


def test_jsonld_responses_use_the_context_url(client):
    doc = json.loads(client.get("/id/state/CHL.jsonld").data)
    assert doc["@context"] == "http://localhost/context.jsonld"
    text = json.dumps(doc)
    assert '"label"' in text and '"supports"' in text  # compacted with the short keys


def test_source_viewer_shows_markdown_as_formatting_not_markup(client, res):
    """The stored source is Markdown: headings, emphasis and <sup> show as formatting. The markup
    stays in the page only inside hidden spans, so the text (and every offset) is intact."""
    import html as html_lib

    text = (res.root / "data" / "sources" / "000_8ce56a32bf916fdd.txt").read_text(encoding="utf-8")
    assert re.search(r"^#{2,4} ", text, re.M) and "**" in text and "<sup>" in text  # what there is to show
    page = client.get(SOURCE, headers=HTML).get_data(as_text=True)
    body = page.split('<div class="source-text">', 1)[1].split("</div>", 1)[0]
    no_refs = re.sub(r'<sup class="refs">.*?</sup>', "", body)
    # every character of the source is in the page, in order
    assert html_lib.unescape(re.sub(r"<[^>]+>", "", no_refs)) == text
    # what a reader sees (hidden markup removed) has no Markdown left
    visible = html_lib.unescape(re.sub(r"<[^>]+>", "", re.sub(
        r'<span class="md-syntax"[^>]*>.*?</span>', "", no_refs, flags=re.S)))
    assert not re.search(r"^#+ ", visible, re.M)
    assert "**" not in visible and "<sup>" not in visible and not re.search(r"(?<!\w)\*\w", visible)
    # and it is shown as formatting
    for cls in ("md-h2", "md-h3", "md-em", "md-strong"):
        assert re.search(r'<span class="[^"]*\b' + cls + r'\b[^"]*">\w', body), cls
    assert '<span class="md-sup">st</span>' in body
