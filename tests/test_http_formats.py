"""Every result format, by content negotiation and by ``format=``, parsed back with real parsers and
checked against the project's data; the service description and the query UI page."""
from __future__ import annotations

import csv
import io
import html as html_lib
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pyoxigraph as ox
import pytest
import rdflib
from rdflib.namespace import RDF

from r2pkg.formats import BY_NAME, FORMATS, for_kind
from r2pkg.query import run

R2P = "https://w3id.org/r2pkg/ontology#"
NLD = "https://w3id.org/r2pkg/id/state/NLD"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
PROLOGUE = (f"PREFIX r2p: <{R2P}>\nPREFIX state: <https://w3id.org/r2pkg/id/state/>\n"
            "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n")
SELECT_ISO = PROLOGUE + "SELECT ?iso WHERE { ?s r2p:iso3 ?iso } ORDER BY ?iso LIMIT 3"
ASK_NLD = PROLOGUE + 'ASK { state:NLD r2p:iso3 "NLD" }'
ASK_FALSE = PROLOGUE + 'ASK { state:NLD r2p:iso3 "XXX" }'
CONSTRUCT_NLD = PROLOGUE + "CONSTRUCT { state:NLD ?p ?o } WHERE { state:NLD ?p ?o }"
DESCRIBE_NLD = PROLOGUE + "DESCRIBE state:NLD"
SD = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
VOID = rdflib.Namespace("http://rdfs.org/ns/void#")
STATIC = Path(__file__).resolve().parents[1] / "src" / "r2pkg" / "web" / "static"

RESULT_FORMATS = [f.name for f in for_kind("results")]
GRAPH_FORMATS = [f.name for f in for_kind("graph")]


def test_format_table_is_what_the_issue_lists():
    assert RESULT_FORMATS == ["json", "xml", "csv", "tsv"]
    assert GRAPH_FORMATS == ["turtle", "ntriples", "jsonld", "rdfxml", "trig", "nquads"]


@pytest.fixture(scope="module")
def expected_iso(dataset) -> list[str]:
    rows = [s["iso"].value for s in run(dataset.store, SELECT_ISO).raw]
    assert rows == ["AFG", "AGO", "ALB"]  # the first UN members by ISO 3166-1 alpha-3 code
    return rows


@pytest.fixture(scope="module")
def expected_nld(dataset) -> set[ox.Triple]:
    triples = set(run(dataset.store, CONSTRUCT_NLD).raw)
    assert ox.Triple(ox.NamedNode(NLD), ox.NamedNode(RDFS_LABEL), ox.Literal("Netherlands", language="en")) in triples
    return triples


def get(client, query: str, accept: str | None = None, **params):
    headers = {"Accept": accept} if accept is not None else {}
    return client.get("/sparql", query_string={"query": query, **params}, headers=headers)


def select_values(resp, fmt_name: str) -> list[str]:
    """Parse a SELECT ?iso answer in any results format; return the ?iso column."""
    if fmt_name == "csv":  # pyoxigraph refuses to parse the lossy CSV format: use the csv module
        text = resp.get_data(as_text=True)
        assert "\r\n" in text  # RFC 4180 line ends, as the SPARQL CSV spec requires
        rows = list(csv.reader(io.StringIO(text, newline="")))
        assert rows[0] == ["iso"]
        return [r[0] for r in rows[1:]]
    parsed = ox.parse_query_results(resp.data, format=BY_NAME[fmt_name].results_format)
    assert [v.value for v in parsed.variables] == ["iso"]
    values = []
    for sol in parsed:
        term = sol["iso"]
        assert isinstance(term, ox.Literal) and term.datatype.value.endswith("#string")
        values.append(term.value)
    return values


def graph_triples(resp, fmt_name: str) -> set[ox.Triple]:
    fmt = BY_NAME[fmt_name]
    quads = list(ox.parse(resp.data, format=fmt.rdf_format))
    assert all(q.graph_name == ox.DefaultGraph() for q in quads)
    return {q.triple for q in quads}


def assert_format(resp, fmt_name: str) -> None:
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert resp.mimetype == BY_NAME[fmt_name].media_type
    assert resp.headers["Vary"] == "Accept, Host"  # the base IRI comes from Host (no PUBLIC_URL)


# -- SELECT / ASK -------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", RESULT_FORMATS)
def test_select_by_accept(client, expected_iso, fmt):
    resp = get(client, SELECT_ISO, accept=BY_NAME[fmt].media_type)
    assert_format(resp, fmt)
    assert resp.headers["Content-Type"].endswith("charset=utf-8")
    assert select_values(resp, fmt) == expected_iso


@pytest.mark.parametrize("fmt", RESULT_FORMATS)
def test_select_by_format_parameter(client, expected_iso, fmt):
    resp = get(client, SELECT_ISO, accept="text/html", format=fmt)  # format= wins over Accept
    assert_format(resp, fmt)
    assert select_values(resp, fmt) == expected_iso


def test_select_as_post_form_and_direct(client, expected_iso):
    resp = client.post("/sparql", data={"query": SELECT_ISO}, headers={"Accept": "text/tab-separated-values"})
    assert_format(resp, "tsv")
    assert select_values(resp, "tsv") == expected_iso
    resp = client.post("/sparql?format=xml", data=SELECT_ISO.encode(),
                       content_type="application/sparql-query; charset=utf-8")
    assert_format(resp, "xml")
    assert select_values(resp, "xml") == expected_iso


def test_select_json_document_shape(client, expected_iso):
    doc = json.loads(get(client, SELECT_ISO).data)
    assert doc["head"]["vars"] == ["iso"]
    assert doc["results"]["bindings"] == [{"iso": {"type": "literal", "value": v}} for v in expected_iso]


@pytest.mark.parametrize("fmt", RESULT_FORMATS)
@pytest.mark.parametrize("query,expected", [(ASK_NLD, True), (ASK_FALSE, False)], ids=["true", "false"])
def test_ask_in_every_results_format(client, fmt, query, expected):
    for resp in (get(client, query, accept=BY_NAME[fmt].media_type), get(client, query, format=fmt)):
        assert_format(resp, fmt)
        if fmt in ("csv", "tsv"):  # no boolean syntax in SPARQL CSV/TSV: Jena's one-column table
            head = "_askResult" if fmt == "csv" else "?_askResult"
            assert resp.get_data(as_text=True).split() == [head, str(expected).lower()]
        else:
            parsed = ox.parse_query_results(resp.data, format=BY_NAME[fmt].results_format)
            assert isinstance(parsed, ox.QueryBoolean) and bool(parsed) is expected


# -- CONSTRUCT / DESCRIBE ------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", GRAPH_FORMATS)
def test_construct_by_accept(client, expected_nld, fmt):
    resp = get(client, CONSTRUCT_NLD, accept=BY_NAME[fmt].media_type)
    assert_format(resp, fmt)
    assert graph_triples(resp, fmt) == expected_nld


@pytest.mark.parametrize("fmt", GRAPH_FORMATS)
def test_construct_by_format_parameter(client, expected_nld, fmt):
    resp = get(client, CONSTRUCT_NLD, accept="application/sparql-results+json", format=fmt)
    assert_format(resp, fmt)
    assert graph_triples(resp, fmt) == expected_nld


@pytest.mark.parametrize("fmt,rdflib_format", [("turtle", "turtle"), ("ntriples", "nt"), ("jsonld", "json-ld"),
                                                ("rdfxml", "xml")])
@pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")  # rdflib's JSON-LD parser
def test_construct_parsed_by_rdflib(client, expected_nld, fmt, rdflib_format):
    """A second, independent parser for the triple formats (TriG/N-Quads: rdflib 7.6's Dataset.parse
    warns about its own deprecated internals, so those two are checked with pyoxigraph only)."""
    resp = get(client, CONSTRUCT_NLD, format=fmt)
    assert_format(resp, fmt)
    triples = set(rdflib.Graph().parse(data=resp.data, format=rdflib_format))
    assert len(triples) == len(expected_nld)
    nld = rdflib.URIRef(NLD)
    assert (nld, rdflib.RDFS.label, rdflib.Literal("Netherlands", lang="en")) in triples
    assert (nld, rdflib.URIRef(R2P + "iso3"), rdflib.Literal("NLD")) in triples
    assert (nld, RDF.type, rdflib.URIRef(R2P + "State")) in triples


@pytest.mark.parametrize("fmt", GRAPH_FORMATS)
def test_describe_in_every_graph_format(client, dataset, fmt):
    expected = set(run(dataset.store, DESCRIBE_NLD).raw)
    assert ox.Triple(ox.NamedNode(NLD), ox.NamedNode(R2P + "iso3"), ox.Literal("NLD")) in expected
    resp = get(client, DESCRIBE_NLD, accept=BY_NAME[fmt].media_type)
    assert_format(resp, fmt)
    assert graph_triples(resp, fmt) == expected


# -- content negotiation -------------------------------------------------------------------------


@pytest.mark.parametrize("query,accept,expected", [
    (SELECT_ISO, None, "json"),
    (SELECT_ISO, "*/*", "json"),
    (SELECT_ISO, "text/csv;q=0.5, application/sparql-results+xml;q=0.9", "xml"),
    (SELECT_ISO, "application/sparql-results+xml;q=0.9, text/csv;q=0.5", "xml"),
    (SELECT_ISO, "*/*;q=0.9, text/csv", "csv"),
    (SELECT_ISO, "application/*;q=0.8, text/tab-separated-values", "tsv"),
    (SELECT_ISO, "application/sparql-results+json;q=0, */*", "xml"),
    (SELECT_ISO, "text/*", "csv"),
    (SELECT_ISO, "application/json", "json"),
    (SELECT_ISO, "text/xml", "xml"),
    (SELECT_ISO, "TEXT/CSV ; Q=0.7, image/png", "csv"),
    (ASK_NLD, "*/*", "json"),
    (ASK_NLD, "application/sparql-results+xml", "xml"),
    (CONSTRUCT_NLD, None, "turtle"),
    (CONSTRUCT_NLD, "*/*", "turtle"),
    (CONSTRUCT_NLD, "application/rdf+xml", "rdfxml"),
    (CONSTRUCT_NLD, "text/turtle;q=0.1, application/n-triples", "ntriples"),
    (CONSTRUCT_NLD, "application/ld+json, text/turtle;q=0.5", "jsonld"),
    (CONSTRUCT_NLD, "text/*", "turtle"),
    (CONSTRUCT_NLD, "application/sparql-results+json, application/n-quads;q=0.2", "nquads"),
    (DESCRIBE_NLD, "application/trig", "trig"),
])
def test_negotiation(client, query, accept, expected):
    resp = get(client, query, accept=accept)
    assert_format(resp, expected)
    if BY_NAME[expected].kind == "graph":
        assert any(t.object == ox.Literal("Netherlands", language="en") for t in graph_triples(resp, expected))


@pytest.mark.parametrize("query,accept,params", [
    (SELECT_ISO, "image/png", {}),
    (SELECT_ISO, "text/turtle, application/rdf+xml", {}),
    (SELECT_ISO, "application/sparql-results+json;q=0", {}),
    (ASK_NLD, "application/ld+json", {}),
    (SELECT_ISO, "text/turtle", {"format": "turtle"}),
    (SELECT_ISO, "image/png", {"format": "bogus"}),
    (CONSTRUCT_NLD, "text/csv, image/png", {"format": "csv"}),
])
def test_not_acceptable(client, query, accept, params):
    resp = get(client, query, accept=accept, **params)
    assert resp.status_code == 406
    assert resp.mimetype == "application/json"
    body = resp.get_json()
    assert body["error"] == "NOT_ACCEPTABLE" and body["message"]


@pytest.mark.parametrize("query,accept,params,expected", [
    # format= names nothing usable for the query form: the Accept header decides
    (SELECT_ISO, None, {"format": "turtle"}, "json"),
    (SELECT_ISO, "text/csv", {"format": "bogus"}, "csv"),
    (CONSTRUCT_NLD, None, {"format": "csv"}, "turtle"),
    (CONSTRUCT_NLD, "application/n-triples", {"format": "json"}, "ntriples"),
    # what SPARQLWrapper sends for JSON-LD, TSV and RDF/XML: a name, then a media-type list
    (CONSTRUCT_NLD, None, {"format": ["json-ld", "application/ld+json,application/x-json+ld"]}, "jsonld"),
    (SELECT_ISO, None, {"format": ["tsv", "text/tab-separated-values"]}, "tsv"),
    (DESCRIBE_NLD, None, {"output": ["rdf+xml", "application/rdf+xml"]}, "rdfxml"),
    (CONSTRUCT_NLD, None, {"format": "application/x-json+ld"}, "jsonld"),
    (CONSTRUCT_NLD, None, {"format": "text/turtle; charset=utf-8"}, "turtle"),
    (SELECT_ISO, None, {"format": "bogus, sparql-results+xml"}, "xml"),
    # a graph query whose Accept names only result-set types (rdflib's SPARQLStore(returnFormat="json"))
    (CONSTRUCT_NLD, "application/sparql-results+json, application/json", {}, "turtle"),
    (DESCRIBE_NLD, "application/sparql-results+xml", {}, "turtle"),
    (CONSTRUCT_NLD, "application/sparql-results+json, text/csv", {}, "turtle"),
])
def test_format_parameter_as_real_clients_send_it(client, query, accept, params, expected):
    resp = get(client, query, accept=accept, **params)
    assert_format(resp, expected)
    if BY_NAME[expected].kind == "graph":
        assert any(t.object == ox.Literal("Netherlands", language="en") for t in graph_triples(resp, expected))
    else:
        assert select_values(resp, expected) == ["AFG", "AGO", "ALB"]


def test_output_parameter_is_a_format_synonym(client, expected_iso):
    resp = get(client, SELECT_ISO, output="tsv")
    assert_format(resp, "tsv")
    assert select_values(resp, "tsv") == expected_iso


@pytest.mark.parametrize("name,expected", [("xml", "rdfxml"), ("n3", "turtle"), ("rdf", "rdfxml"),
                                           ("ttl", "turtle"), ("application/rdf+xml", "rdfxml")])
def test_generic_format_names_for_graphs(client, expected_nld, name, expected):
    """SPARQLWrapper sends its return format (``xml`` by default) as format=/output= for CONSTRUCT too."""
    resp = get(client, CONSTRUCT_NLD, format=name)
    assert_format(resp, expected)
    assert graph_triples(resp, expected) == expected_nld


# -- service description and UI ------------------------------------------------------------------


def test_service_description(client, dataset):
    resp = client.get("/sparql")
    assert resp.status_code == 200 and resp.mimetype == "text/turtle"
    g = rdflib.Graph().parse(data=resp.data, format="turtle")
    ep = rdflib.URIRef("http://localhost/sparql")
    assert (ep, RDF.type, SD.Service) in g
    assert (ep, SD.endpoint, ep) in g
    assert (ep, SD.supportedLanguage, SD.SPARQL11Query) in g
    assert (ep, SD.feature, SD.UnionDefaultGraph) in g
    formats = set(g.objects(ep, SD.resultFormat))
    assert len(formats) == len(FORMATS)
    assert rdflib.URIRef("http://www.w3.org/ns/formats/SPARQL_Results_JSON") in formats
    ds_node = g.value(ep, SD.defaultDataset)
    named = {g.value(n, SD.name) for n in g.objects(ds_node, SD.namedGraph)}
    assert named == {rdflib.URIRef(n.value) for n in dataset.store.named_graphs()}
    assert rdflib.URIRef("https://w3id.org/r2pkg/graph/reference/un-membership") in named
    default = g.value(ds_node, SD.defaultGraph)
    assert int(g.value(default, VOID.triples)) == len(dataset)
    assert str(g.value(ep, rdflib.URIRef("http://purl.org/dc/terms/identifier"))) == dataset.build_id


@pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")  # rdflib's JSON-LD parser
def test_service_description_negotiated(client):
    resp = client.get("/sparql", headers={"Accept": "application/ld+json"})
    assert resp.status_code == 200 and resp.mimetype == "application/ld+json"
    g = rdflib.Graph().parse(data=resp.data, format="json-ld")
    ep = rdflib.URIRef("http://localhost/sparql")
    assert (ep, SD.supportedLanguage, SD.SPARQL11Query) in g
    resp = client.get("/sparql", query_string={"format": "ntriples"}, headers={"Accept": "text/html"})
    assert resp.mimetype == "application/n-triples"
    resp = client.get("/sparql", headers={"Accept": "application/sparql-results+json"})
    assert resp.status_code == 406 and resp.get_json()["error"] == "NOT_ACCEPTABLE"


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.attrs: list[tuple[str, str, str]] = []
        self.scripts: list[tuple[dict, str]] = []
        self._script: dict | None = None

    def handle_starttag(self, tag, attrs):
        for k, v in attrs:
            if v is not None:
                self.attrs.append((tag, k, v))
        if tag == "script":
            self._script = dict(attrs)
            self.scripts.append((self._script, ""))

    def handle_data(self, data):
        if self._script is not None:
            a, text = self.scripts[-1]
            self.scripts[-1] = (a, text + data)

    def handle_endtag(self, tag):
        if tag == "script":
            self._script = None


BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8"


def test_ui_page(client, app):
    plain = client.get("/sparql", headers={"Accept": "text/html"})
    assert plain.status_code == 200 and plain.mimetype == "text/html"
    resp = client.get("/sparql", headers={"Accept": BROWSER_ACCEPT})
    assert resp.status_code == 200 and resp.mimetype == "text/html"
    assert resp.data == plain.data
    html = resp.get_data(as_text=True)
    assert "/static/vendor/yasgui/yasgui.min.js" in html
    assert "/static/vendor/yasgui/yasgui.min.css" in html
    p = _Links()
    p.feed(html)
    # every resource the page loads or links to is local: no http(s) URL to another host
    urls = [v for _, k, v in p.attrs if k in ("src", "href", "action", "data", "poster", "srcset")]
    assert "/static/vendor/yasgui/yasgui.min.js" in urls
    for u in urls:
        parts = urlsplit(u)
        assert parts.scheme in ("", "data") and not parts.netloc or parts.hostname in ("localhost",), u
    # scripts: local files, plus one JSON data block (no inline code)
    config = None
    for attrs, text in p.scripts:
        if "src" in attrs:
            assert urlsplit(attrs["src"]).netloc == ""
            assert not text.strip()
        else:
            assert attrs.get("type") == "application/json", attrs
            config = json.loads(text)
    assert config is not None
    assert urlsplit(config["endpoint"]).hostname == "localhost"
    # outside the JSON data block (whose prefixes and example queries hold namespace IRIs, which are
    # names, never fetched) the page mentions no http(s) URL but localhost
    outside = re.sub(r'<script type="application/json"[^>]*>.*?</script>', "", html, flags=re.S)
    for u in re.findall(r"https?://[^\s\"'<>)]+", outside):
        assert urlsplit(u).hostname == "localhost", u
    # the competency queries are the example tabs
    queries = app.extensions["r2pkg"].queries
    assert [e["name"] for e in config["examples"]] == list(queries)
    assert all(e["query"] == queries[e["name"]].text for e in config["examples"])
    # ... offered in one picker (a tab each wrapped over several rows), titles shown
    picker = re.search(r'<select id="r2pkg-examples"[^>]*>(.*?)</select>', html, re.S).group(1)
    options = re.findall(r'<option value="([^"]*)"', picker)
    assert options == [""] + list(queries)
    assert all(html_lib.escape(q.title) in picker for q in queries.values())


JS = ("text/javascript", "application/javascript")


@pytest.mark.parametrize("path,media_type", [("vendor/yasgui/yasgui.min.js", JS),
                                             ("vendor/yasgui/yasgui.min.css", ("text/css",)),
                                             ("js/sparql-ui.js", JS)])
def test_static_files_served(client, path, media_type):
    resp = client.get(f"/static/{path}")
    try:
        assert resp.status_code == 200
        assert resp.mimetype in media_type  # .js: text/javascript or the older application/javascript
        assert resp.data == (STATIC / path).read_bytes()
    finally:
        resp.close()
