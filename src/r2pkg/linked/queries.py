"""The SPARQL behind the linked-data pages, as data. Every query takes the resource (or class, or
source) as the variable ``?r`` bound through pyoxigraph substitutions, never pasted into the text.

``DESCRIBE``: the concise bounded description of ``?r`` that is its RDF everywhere (pages, Turtle,
JSON-LD...): its own triples, the triples of its own sub-resources (blank nodes and IRIs nested
under its path, such as a passage's ``…/quote`` and ``…/position`` selectors), the labels of
everything it links to, and the incoming links with the labels of their subjects.
"""
from __future__ import annotations

import pyoxigraph as ox

from ..namespaces import sparql_prologue
from . import UnknownResource

VAR = "r"

DESCRIBE = sparql_prologue() + """
CONSTRUCT {
  ?r ?p ?o . ?o ?lp ?l . ?o ?sp ?so .
  ?i ?ip ?r . ?i ?ilp ?il .
}
WHERE {
  {
    ?r ?p ?o .
    OPTIONAL { ?o ?lp ?l . FILTER(?lp IN (rdfs:label, skos:prefLabel)) }
    OPTIONAL { FILTER(isBlank(?o) || STRSTARTS(STR(?o), CONCAT(STR(?r), "/"))) ?o ?sp ?so }
  }
  UNION
  {
    ?i ?ip ?r .
    OPTIONAL { ?i ?ilp ?il . FILTER(?ilp IN (rdfs:label, skos:prefLabel)) }
  }
}
"""

# The facts around ?r with their evidence, and the details the pages show for them.
# kind "ev": ?f (unbound = ?r itself) is derived from ?prov (a passage with its text and offsets,
# or a dataset with its label); kind "detail": ?f ?p ?v for a few telling predicates.
_PASSAGE = """
    OPTIONAL { ?prov rdfs:label ?provLabel }
    OPTIONAL { ?prov oa:hasSource ?source ; oa:hasSelector ?qs , ?ps .
               ?qs oa:exact ?exact . ?ps oa:start ?start ; oa:end ?end . }"""

DOSSIER = sparql_prologue() + """
SELECT ?r ?kind ?dir ?rel ?f ?prov ?provLabel ?exact ?start ?end ?source ?p ?v ?vLabel
WHERE {
  {
    ?r prov:wasDerivedFrom ?prov . BIND("ev" AS ?kind) BIND("self" AS ?dir)""" + _PASSAGE + """
  }
  UNION
  {
    ?f ?rel ?r . ?f prov:wasDerivedFrom ?prov . BIND("ev" AS ?kind) BIND("in" AS ?dir)""" + _PASSAGE + """
  }
  UNION
  {
    ?r ?rel ?f . ?f prov:wasDerivedFrom ?prov . ?prov a r2p:Passage .
    BIND("ev" AS ?kind) BIND("out" AS ?dir)""" + _PASSAGE + """
  }
  UNION
  {
    # each neighbour's details joined inside its own branch, its EXISTS in a group of its own: the
    # same rows as one join after the UNION, but Oxigraph then tests EXISTS once per neighbour, not
    # once per detail row (14.2 -> 7.2 ms per page over the 2,121 IRIs, bench/README.md "Pages")
    { { ?f ?rel ?r . FILTER EXISTS { ?f prov:wasDerivedFrom ?any } } ?f ?p ?v . BIND("in" AS ?dir) }
    UNION
    { { ?r ?rel ?f . FILTER EXISTS { ?f prov:wasDerivedFrom ?pp . ?pp a r2p:Passage } } ?f ?p ?v .
      BIND("out" AS ?dir) }
    VALUES ?p { rdf:type rdfs:label r2p:holder r2p:target r2p:polarity r2p:listedUnder r2p:role
                r2p:atEvent org:organization org:member r2p:deliveredBy r2p:onBehalfOf r2p:capacity
                schema:creator schema:about schema:text r2p:participant r2p:claimedValue
                r2p:sourceWording r2p:expressedIn r2p:participationQualifier }
    OPTIONAL { ?v rdfs:label ?vLabel }
    BIND("detail" AS ?kind)
  }
}
"""

# Labels of the vocabulary (every labelled IRI outside the data namespace): predicates, classes.
VOCABULARY = sparql_prologue() + """
SELECT ?t ?label ?definition WHERE {
  ?t rdfs:label ?label .
  FILTER(isIRI(?t) && !STRSTARTS(STR(?t), STR(id:)))
  OPTIONAL { ?t skos:definition ?definition }
}
"""

CLASSES = sparql_prologue() + """
SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?c . FILTER(isIRI(?c)) } GROUP BY ?c
"""

# ?r is a class: is it known (declared or used), and its instances with their labels.
CLASS_INSTANCES = sparql_prologue() + """
SELECT ?r ?s ?label WHERE {
  { ?s a ?r . OPTIONAL { ?s rdfs:label ?label } }
  UNION
  { ?r a ?meta . FILTER(?meta IN (owl:Class, rdfs:Class)) }
}
"""

# ?r is a source text: every passage citing it, with its offsets and the facts derived from it.
SOURCE_PASSAGES = sparql_prologue() + """
SELECT ?r ?title ?passage ?start ?end ?exact ?f ?fLabel WHERE {
  { ?r rdfs:label ?title }
  UNION
  {
    ?passage oa:hasSource ?r ; oa:hasSelector ?qs , ?ps .
    ?qs oa:exact ?exact . ?ps oa:start ?start ; oa:end ?end .
    OPTIONAL { ?f prov:wasDerivedFrom ?passage . OPTIONAL { ?f rdfs:label ?fLabel } }
  }
}
"""

# The ontology's graph (its RDF at /ontology).
ONTOLOGY_GRAPH = sparql_prologue() + """
CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?r { ?s ?p ?o } }
"""


def iri_binding(iri: str) -> dict[str, ox.NamedNode]:
    """The substitution binding ``?r`` to ``iri``.

    Raises:
        UnknownResource (404): ``iri`` is not a valid absolute IRI (a space, ``<``, a control
            character, a bad percent escape...), so it names nothing in the dataset.

    >>> iri_binding("https://w3id.org/r2pkg/id/state/CHL")[VAR].value
    'https://w3id.org/r2pkg/id/state/CHL'
    >>> iri_binding("https://w3id.org/r2pkg/id/a b")
    Traceback (most recent call last):
    ...
    r2pkg.linked.UnknownResource: 'https://w3id.org/r2pkg/id/a b' is not a valid IRI, so it names nothing here
    """
    try:
        return {VAR: ox.NamedNode(iri)}
    except ValueError as e:  # UnicodeEncodeError (lone surrogates) is a ValueError too
        shown = iri if len(iri) <= 120 else iri[:120] + "..."
        raise UnknownResource(f"{shown!r} is not a valid IRI, so it names nothing here",
                              reason="invalid-iri") from e


def solutions(body: bytes) -> list[dict[str, object]]:
    """Rows of a SPARQL JSON answer as {variable: pyoxigraph term} (unbound variables absent)."""
    res = ox.parse_query_results(body, ox.QueryResultsFormat.JSON)
    names = [v.value for v in res.variables]
    out = []
    for sol in res:  # a solution iterates its values in the order of the variables (None: unbound)
        out.append({n: v for n, v in zip(names, sol) if v is not None})
    return out
