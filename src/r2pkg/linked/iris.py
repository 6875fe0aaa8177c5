"""Mapping between r2pkg IRIs and local paths (Cool URIs), CURIEs and display labels.

A request path ``P`` is the IRI ``public_base + P``; an IRI under ``public_base`` whose path starts
with ``id/`` or is the ontology is shown as a link to the same path on this server, so browsing
stays local while RDF keeps the canonical IRIs.

>>> m = IriMap("https://w3id.org/r2pkg/")
>>> m.iri("/id/state/CHL")
'https://w3id.org/r2pkg/id/state/CHL'
>>> m.local("https://w3id.org/r2pkg/ontology#State")
'/ontology#State'
>>> m.local("https://w3id.org/r2pkg/graph/ontology") is None
True
>>> curie("https://w3id.org/r2pkg/ontology#State")
'r2p:State'
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote

from ..namespaces import BASE, PREFIXES

LOCAL_ROOTS = ("id/", "ontology")
BY_IRI = "by-iri"  # /classes/by-iri?iri=... for classes without a known prefix
_SAFE = "/:#@!$&'()*+,;=-._~"
# Longest namespace first, so "state:" wins over "id:".
_BY_LENGTH = sorted(PREFIXES.items(), key=lambda kv: -len(kv[1]))


@dataclass(frozen=True)
class IriMap:
    """``public_base``: the IRI prefix paths map to; ``script_root``: where the app is mounted."""

    public_base: str = BASE
    script_root: str = ""

    def iri(self, path: str) -> str:
        """The IRI a request path denotes (one leading slash dropped).

        ``path`` is already percent-decoded, once, by the WSGI server (``request.path``, Flask's
        route variables): it is not decoded again, so ``/id/a%2520b`` denotes ``…/id/a%20b``, the
        IRI whose link :meth:`local` writes, and ``/id/%253E`` does not become ``…/id/>``.
        The result may be an invalid IRI (``/id/a%20b``); the term constructor says so."""
        return self.public_base + (path[1:] if path.startswith("/") else path)

    def local(self, iri: str) -> str | None:
        """The local path of an r2pkg IRI that this server dereferences, else None."""
        if not iri.startswith(self.public_base):
            return None
        rest = iri[len(self.public_base):]
        if not rest.startswith(LOCAL_ROOTS):
            return None
        return self.script_root + "/" + quote(rest, safe=_SAFE)

    def href(self, iri: str) -> str:
        """Where a link to ``iri`` points: the local path, else the IRI itself."""
        return self.local(iri) or iri

    def is_local(self, iri: str) -> bool:
        return self.local(iri) is not None


def curie(iri: str) -> str:
    """A prefixed name for ``iri`` when a namespace of :data:`PREFIXES` matches, else the IRI."""
    for prefix, ns in _BY_LENGTH:
        if iri.startswith(ns) and len(iri) > len(ns):
            return f"{prefix}:{iri[len(ns):]}"
    return iri


def expand(name: str) -> str | None:
    """The IRI of a CURIE (``r2p:State``) or of an absolute IRI; None when neither."""
    if "://" in name:
        return name
    prefix, sep, local = name.partition(":")
    if sep and prefix in PREFIXES:
        return PREFIXES[prefix] + local
    return None


def local_name(iri: str) -> str:
    """The part after the last ``#`` or ``/``, a trailing one left out (``…/ontology/`` and
    ``…/ontology#`` give ``ontology``); the pages' short names and the search index's aliases."""
    return re.split(r"[#/]", iri.rstrip("/#"))[-1] or iri


def fallback_label(iri: str) -> str:
    """A readable name for an unlabelled IRI: the path under ``id/`` or a CURIE."""
    ns = PREFIXES["id"]
    if iri.startswith(ns):
        return iri[len(ns):]
    return curie(iri)


@dataclass(frozen=True)
class Urls:
    """Local URLs of the pages that are not IRIs of the dataset (class lists, the source viewer)."""

    iris: IriMap

    @property
    def root(self) -> str:
        return self.iris.script_root

    def class_page(self, class_iri: str) -> str:
        c = curie(class_iri)
        if c == class_iri:  # no prefix: the IRI goes in the query string
            return f"{self.root}/classes/{BY_IRI}?iri={quote(class_iri, safe='')}"
        return f"{self.root}/classes/{quote(c, safe=':')}"

    def source_page(self, source_iri: str, start: int | None = None, end: int | None = None) -> str:
        url = f"{self.root}/sources/{quote(local_name(source_iri), safe='')}"
        return url if start is None else f"{url}#p-{start}-{end}"

    def ontology_term(self, iri: str) -> str:
        return self.iris.href(iri)
