"""HTML documentation of the r2pkg ontology and its SKOS schemes, generated at build time from the
ontology graphs with the project's own Jinja template (``templates/ontology.html``).

Every term's section has an anchor equal to its local name, so ``…/ontology#State`` lands on it.
Links are relative to ``/ontology`` (``#State``, ``id/concept/…``, ``classes/r2p:State``), so the
page works under any mount point; external terms link to their own IRIs.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF, RDFS

from ..namespaces import BASE, DCTERMS, ONTOLOGY_IRI, R2P, SKOS, VANN
from .iris import curie, local_name

TEMPLATES = Path(__file__).resolve().parent / "templates"
CHARACTERISTICS = {
    OWL.FunctionalProperty: "functional", OWL.InverseFunctionalProperty: "inverse functional",
    OWL.TransitiveProperty: "transitive", OWL.SymmetricProperty: "symmetric",
    OWL.AsymmetricProperty: "asymmetric", OWL.ReflexiveProperty: "reflexive",
    OWL.IrreflexiveProperty: "irreflexive",
}
PROPERTY_KINDS = ((OWL.ObjectProperty, "object"), (OWL.DatatypeProperty, "datatype"),
                  (OWL.AnnotationProperty, "annotation"))


@dataclass
class DocLink:
    href: str
    text: str
    iri: str
    external: bool = False


@dataclass
class Term:
    anchor: str
    iri: str
    curie: str
    label: str
    definition: str = ""
    comments: list[str] = field(default_factory=list)
    kind: str = ""
    characteristics: list[str] = field(default_factory=list)
    supers: list[DocLink] = field(default_factory=list)
    subs: list[DocLink] = field(default_factory=list)
    disjoint: list[DocLink] = field(default_factory=list)
    domain: list[DocLink] = field(default_factory=list)
    range: list[DocLink] = field(default_factory=list)
    inverse: list[DocLink] = field(default_factory=list)
    domain_of: list[DocLink] = field(default_factory=list)
    range_of: list[DocLink] = field(default_factory=list)
    instances: str = ""


@dataclass
class Concept:
    href: str
    iri: str
    notation: str
    label: str
    definition: str


@dataclass
class Scheme:
    anchor: str
    href: str
    iri: str
    label: str
    definition: str
    concepts: list[Concept]


def _text(g: Graph, s, p) -> str:
    vals = [o for o in g.objects(s, p) if isinstance(o, Literal)]
    vals.sort(key=lambda o: (o.language not in (None, "en"), str(o)))
    return str(vals[0]) if vals else ""


class _Linker:
    def __init__(self, g: Graph) -> None:
        self.g = g

    def href(self, iri: str) -> tuple[str, bool]:
        if iri.startswith(str(R2P)):
            return "#" + iri[len(str(R2P)):], False
        if iri.startswith(BASE + "id/"):
            return iri[len(BASE):], False
        if iri == str(ONTOLOGY_IRI):
            return "#", False
        return iri, True

    def __call__(self, term) -> DocLink:
        iri = str(term)
        href, ext = self.href(iri)
        label = _text(self.g, term, RDFS.label) or curie(iri)
        return DocLink(href, label, iri, ext)

    def many(self, terms) -> list[DocLink]:
        return sorted((self(t) for t in set(terms) if isinstance(t, URIRef)), key=lambda d: (d.text.lower(), d.iri))


def _disjoint(g: Graph) -> dict[URIRef, set[URIRef]]:
    out: dict[URIRef, set[URIRef]] = {}
    for node in g.subjects(RDF.type, OWL.AllDisjointClasses):
        members = next(g.objects(node, OWL.members), None)
        items = [m for m in Collection(g, members)] if isinstance(members, (BNode, URIRef)) else []
        for m in items:
            out.setdefault(m, set()).update(x for x in items if x != m)
    for a, b in g.subject_objects(OWL.disjointWith):
        out.setdefault(a, set()).add(b)
        out.setdefault(b, set()).add(a)
    return out


def model(ontology: Graph, imports: Graph, schemes: Graph) -> dict:
    """Everything the template shows, from the ontology, imported-terms and schemes graphs."""
    g = ontology + imports
    lk = _Linker(g)
    o = ONTOLOGY_IRI
    ns = str(R2P)
    header = {
        "iri": str(o), "title": _text(g, o, DCTERMS.title), "description": _text(g, o, DCTERMS.description),
        "version": _text(g, o, OWL.versionInfo), "version_iri": str(g.value(o, OWL.versionIRI) or ""),
        "license": str(g.value(o, DCTERMS.license) or ""), "creator": _text(g, o, DCTERMS.creator),
        "created": _text(g, o, DCTERMS.created), "modified": _text(g, o, DCTERMS.modified),
        "prefix": _text(g, o, VANN.preferredNamespacePrefix) or "r2p",
        "namespace": _text(g, o, VANN.preferredNamespaceUri) or ns, "comment": _text(g, o, RDFS.comment),
        "see_also": lk.many(g.objects(o, RDFS.seeAlso)),
    }
    disjoint = _disjoint(g)

    def term(s: URIRef) -> Term:
        iri = str(s)
        return Term(local_name(iri), iri, curie(iri), _text(g, s, RDFS.label) or local_name(iri),
                    _text(g, s, SKOS.definition), [str(c) for c in g.objects(s, RDFS.comment)])

    own = lambda s: isinstance(s, URIRef) and str(s).startswith(ns)  # noqa: E731
    classes = []
    for s in sorted(filter(own, g.subjects(RDF.type, OWL.Class))):
        t = term(s)
        t.supers = lk.many(g.objects(s, RDFS.subClassOf))
        t.subs = lk.many(g.subjects(RDFS.subClassOf, s))
        t.disjoint = lk.many(disjoint.get(s, ()))
        t.domain_of = lk.many(g.subjects(RDFS.domain, s))
        t.range_of = lk.many(g.subjects(RDFS.range, s))
        t.instances = f"classes/{curie(str(s))}"
        classes.append(t)
    properties: dict[str, list[Term]] = {kind: [] for _, kind in PROPERTY_KINDS}
    for cls, kind in PROPERTY_KINDS:
        for s in sorted(filter(own, g.subjects(RDF.type, cls))):
            t = term(s)
            t.kind = kind
            t.characteristics = sorted(v for k, v in CHARACTERISTICS.items() if (s, RDF.type, k) in g)
            t.domain, t.range = lk.many(g.objects(s, RDFS.domain)), lk.many(g.objects(s, RDFS.range))
            t.supers = lk.many(g.objects(s, RDFS.subPropertyOf))
            t.subs = lk.many(g.subjects(RDFS.subPropertyOf, s))
            t.inverse = lk.many(set(g.objects(s, OWL.inverseOf)) | set(g.subjects(OWL.inverseOf, s)))
            properties[kind].append(t)
    for group in (classes, *properties.values()):
        group.sort(key=lambda t: t.label.lower())
    external = sorted((lk(s) for s in set(imports.subjects(RDF.type, None))
                       if isinstance(s, URIRef) and (s, RDF.type, OWL.Ontology) not in imports),
                      key=lambda d: d.iri)
    return {"header": header, "classes": classes, "properties": properties,
            "schemes": _schemes(schemes), "external": external}


def _schemes(g: Graph) -> list[Scheme]:
    out = []
    for s in sorted(g.subjects(RDF.type, SKOS.ConceptScheme)):
        iri = str(s)
        concepts = [Concept(str(c)[len(BASE):], str(c), _text(g, c, SKOS.notation),
                            _text(g, c, SKOS.prefLabel) or _text(g, c, RDFS.label), _text(g, c, SKOS.definition))
                    for c in sorted(g.subjects(SKOS.inScheme, s))]
        out.append(Scheme("scheme-" + local_name(iri), iri[len(BASE):] if iri.startswith(BASE) else iri, iri,
                          _text(g, s, SKOS.prefLabel) or _text(g, s, RDFS.label), _text(g, s, SKOS.definition),
                          concepts))
    return sorted(out, key=lambda s: s.label.lower())


def render(ontology: Graph, imports: Graph, schemes: Graph, *, jsonld: str, build_id: str) -> str:
    """The HTML document; ``jsonld`` is the ontology graph as script-safe JSON-LD to embed."""
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html"]),
                      trim_blocks=True, lstrip_blocks=True)
    return env.get_template("ontology.html").render(**model(ontology, imports, schemes), jsonld=jsonld,
                                                     build_id=build_id)
