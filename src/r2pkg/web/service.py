"""The SPARQL 1.1 Service Description of the endpoint (Turtle, built per endpoint URL)."""
from __future__ import annotations

from ..formats import FORMATS

SD = "http://www.w3.org/ns/sparql-service-description#"
_FORMAT_IRIS = {
    "json": "http://www.w3.org/ns/formats/SPARQL_Results_JSON",
    "xml": "http://www.w3.org/ns/formats/SPARQL_Results_XML",
    "csv": "http://www.w3.org/ns/formats/SPARQL_Results_CSV",
    "tsv": "http://www.w3.org/ns/formats/SPARQL_Results_TSV",
    "turtle": "http://www.w3.org/ns/formats/Turtle",
    "ntriples": "http://www.w3.org/ns/formats/N-Triples",
    "jsonld": "http://www.w3.org/ns/formats/JSON-LD",
    "rdfxml": "http://www.w3.org/ns/formats/RDF_XML",
    "trig": "http://www.w3.org/ns/formats/TriG",
    "nquads": "http://www.w3.org/ns/formats/N-Quads",
}
DESCRIPTION = ("The UN General Assembly's R2P debates as a knowledge graph. The default graph is the "
               "union of the named graphs; SERVICE, LOAD and SPARQL Update are refused.")


def _lit(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def description(endpoint: str, graphs: list[str], *, triples: int, build_id: str,
                void: str | None = None) -> str:
    """Turtle text of the service description."""
    dataset = void or f"{endpoint}#dataset"
    formats = " , ".join(f"<{_FORMAT_IRIS[f.name]}>" for f in FORMATS)
    named = " ,\n        ".join(f"[ a sd:NamedGraph ; sd:name <{g}> ]" for g in graphs)
    out = [
        f"@prefix sd: <{SD}> .",
        "@prefix void: <http://rdfs.org/ns/void#> .",
        "@prefix dcterms: <http://purl.org/dc/terms/> .",
        "",
        f"<{endpoint}> a sd:Service ;",
        f"    sd:endpoint <{endpoint}> ;",
        "    sd:supportedLanguage sd:SPARQL11Query ;",
        "    sd:feature sd:UnionDefaultGraph ;",
        '    dcterms:title "r2pkg SPARQL endpoint (read-only)"@en ;',
        f"    dcterms:description {_lit(DESCRIPTION)}@en ;",
        f"    dcterms:identifier {_lit(build_id)} ;",
        f"    sd:resultFormat {formats} ;",
        f"    sd:defaultDataset <{dataset}> .",
        "",
        # The default dataset (sd:defaultDataset, SPARQL 1.1 Service Description) is the VoID
        # dataset (typed both), which VoID then describes at its own IRI. (VoID has no void:dataset.)
        f"<{dataset}> a sd:Dataset" + (" , void:Dataset ;" if void else " ;"),
        *([f"    void:sparqlEndpoint <{endpoint}> ;"] if void else []),
        f"    sd:defaultGraph [ a sd:Graph ; void:triples {triples} ]"
        + (f" ;\n    sd:namedGraph {named} ." if graphs else " ."),
    ]
    return "\n".join(out) + "\n"
