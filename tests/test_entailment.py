"""The entailment graph (issue #16 item 5): RDFS and OWL RL entailments of the ontology's axioms,
materialised at build time into graph/entailments, served in the default union graph and left out
when a query names its dataset (FROM, default-graph-uri)."""
from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import OWL, RDF

from r2pkg.entailment import ENTAILMENT_GRAPH, entailments
from r2pkg.query import run
from r2pkg.sources import parse_turtle

REPO = Path(__file__).resolve().parents[1]
ID = "https://w3id.org/r2pkg/id/"
PREFIXES = """PREFIX r2p: <https://w3id.org/r2pkg/ontology#> PREFIX org: <http://www.w3.org/ns/org#>
PREFIX foaf: <http://xmlns.com/foaf/0.1/> PREFIX schema: <https://schema.org/> PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX id: <https://w3id.org/r2pkg/id/>
"""
# one query per reused class and property and per super-property of the ontology: a fact the data
# does not state, only the entailment graph (the rule that gives it in the comment)
ENTAILED = {
    "org:Organization": "ASK { <https://w3id.org/r2pkg/id/state/NLD> a org:Organization }",  # cax-sco State < FormalOrganization < Organization
    "foaf:Agent": "ASK { <https://w3id.org/r2pkg/id/group/p5> a foaf:Agent }",  # cax-sco via org:Organization
    "schema:Event": "ASK { <https://w3id.org/r2pkg/id/event/iid-2017> a schema:Event }",  # Dialogue < Event
    "prov:Entity": "ASK { <https://w3id.org/r2pkg/id/statement/iid-2017/NLD> a prov:Entity }",  # Statement < Entity
    "prov:wasAttributedTo": "ASK { <https://w3id.org/r2pkg/id/statement/iid-2017/NLD> prov:wasAttributedTo "
                            "<https://w3id.org/r2pkg/id/state/NLD> }",  # prp-spo1 deliveredBy
    "r2p:takesStanceOn": "ASK { <https://w3id.org/r2pkg/id/state/CHL> r2p:takesStanceOn "
                         "<https://w3id.org/r2pkg/id/initiative/veto-restraint> }",  # prp-spo1 supports
    "r2p:promotes": "ASK { <https://w3id.org/r2pkg/id/state/GHA> r2p:promotes "
                    "<https://w3id.org/r2pkg/id/initiative/r2p-formal-agenda> }",  # prp-inv ledBy, prp-spo1 leads
    "r2p:actor": "ASK { <https://w3id.org/r2pkg/id/quotation/iid-2017/13> r2p:actor "
                 "<https://w3id.org/r2pkg/id/state/BEL> }",  # prp-spo1 schema:creator
    "r2p:about": "ASK { <https://w3id.org/r2pkg/id/statement/iid-2017/BEL> r2p:about "
                 "<https://w3id.org/r2pkg/id/mechanism/iiim> }",  # prp-spo2 (^expressedIn / about)
    "r2p:participatedIn": "ASK { <https://w3id.org/r2pkg/id/state/BEL> r2p:participatedIn "
                          "<https://w3id.org/r2pkg/id/event/iid-2017> }",  # prp-spo2 (^participant / atEvent)
    "r2p:hasContextRole": "ASK { <https://w3id.org/r2pkg/id/situation/yemen> r2p:hasContextRole "
                          "<https://w3id.org/r2pkg/id/concept/context-role/security-council-failure> }",
    "r2p:relatedTo (symmetric)": "ASK { <https://w3id.org/r2pkg/id/initiative/act-code-of-conduct> r2p:relatedTo "
                                 "<https://w3id.org/r2pkg/id/initiative/veto-restraint> }",  # prp-symp
}


def ask(store, q: str, **kw) -> bool:
    return bool(run(store, PREFIXES + q, **kw).raw)


@pytest.fixture(scope="module")
def other_graphs(dataset) -> list[str]:
    graphs = dataset.graphs()
    assert str(ENTAILMENT_GRAPH) in graphs
    return [g for g in graphs if g != str(ENTAILMENT_GRAPH)]


@pytest.mark.parametrize("term", list(ENTAILED))
def test_served_in_the_default_graph_and_excluded_by_the_dataset(dataset, other_graphs, term):
    q = ENTAILED[term]
    assert ask(dataset.store, q), f"{term}: not entailed in the default (union) graph"
    assert not ask(dataset.store, q, default_graph=other_graphs), \
        f"{term}: found without the entailment graph, so the test shows nothing"
    assert ask(dataset.store, q, default_graph=[str(ENTAILMENT_GRAPH), *other_graphs])


def test_from_excludes_the_entailment_graph(dataset, other_graphs):
    q = ENTAILED["schema:Event"].replace("ASK {", "ASK " + " ".join(f"FROM <{g}>" for g in other_graphs) + " {")
    assert not ask(dataset.store, q)
    assert ask(dataset.store, q.replace("ASK ", f"ASK FROM <{ENTAILMENT_GRAPH}> ", 1))


def test_the_endpoint_serves_and_excludes_it(client, other_graphs):
    query = PREFIXES + ENTAILED["org:Organization"]
    r = client.get("/sparql", query_string={"query": query}, headers={"Accept": "application/sparql-results+json"})
    assert r.status_code == 200 and r.json["boolean"] is True
    r = client.get("/sparql", query_string=[("query", query)] + [("default-graph-uri", g) for g in other_graphs],
                   headers={"Accept": "application/sparql-results+json"})
    assert r.status_code == 200 and r.json["boolean"] is False


def test_void_counts_the_entailment_graph(client, built):
    void = Graph().parse(data=client.get("/.well-known/void", headers={"Accept": "text/turtle"}).data, format="turtle")
    sd_name = URIRef("http://www.w3.org/ns/sparql-service-description#name")
    triples = URIRef("http://rdfs.org/ns/void#triples")
    subset = next(void.subjects(sd_name, ENTAILMENT_GRAPH))
    n = int(void.value(subset, triples))
    assert n == built.manifest["graphs"][str(ENTAILMENT_GRAPH)] > 1000
    assert "default-graph-uri" in str(void.value(subset, URIRef("http://purl.org/dc/terms/description")))
    assert client.get("/graph/entailments", headers={"Accept": "text/html"}).status_code == 200


def test_nothing_stated_is_repeated(dataset):
    q = f"ASK {{ GRAPH <{ENTAILMENT_GRAPH}> {{ ?s ?p ?o }} GRAPH ?g {{ ?s ?p ?o }} FILTER (?g != <{ENTAILMENT_GRAPH}>) }}"
    assert not ask(dataset.store, q)


def test_the_rules_agree_with_owlrl():
    """On a small graph (the valid shape fixture), the rules derive nothing OWL RL does not (sound), and
    every class and property assertion OWL RL derives about the data's IRIs (complete for the subset)."""
    import owlrl

    tbox = parse_turtle(REPO / "ontology" / "r2p.ttl") + parse_turtle(REPO / "ontology" / "imports" / "external.ttl")
    abox = parse_turtle(REPO / "tests" / "shapes" / "valid-01.ttl")
    ours = entailments(tbox, abox)
    assert len(ours) > 50
    closure = Graph()
    closure += tbox
    closure += abox
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics, axiomatic_triples=False, datatype_axioms=False).expand(closure)
    assert set(ours) - set(closure) == set(), "derived what OWL RL does not"
    declared = set(tbox.subjects(RDF.type, None))

    def about_data(t) -> bool:
        s, p, o = t
        if not (isinstance(s, URIRef) and str(s).startswith(ID)) or p == OWL.sameAs:
            return False
        return o in declared if p == RDF.type else p in declared

    missing = {t for t in closure if about_data(t) and t not in abox and t not in ours}
    assert not missing, f"OWL RL derives {len(missing)} triples the rules miss, e.g. {sorted(missing)[:3]}"
