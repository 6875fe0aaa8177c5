"""Linked data over a build: dereferenceable IRIs, resource descriptions, the readable source,
ontology documentation, the JSON-LD context, VoID statistics and dumps.

The library side only (no Flask): SPARQL texts and pure functions that turn query answers into
view models, plus the build-time generators of :mod:`r2pkg.linked.artefacts`. The web adapter is
:mod:`r2pkg.web.linked` / :mod:`r2pkg.web.pages`.
"""
from __future__ import annotations

from ..errors import R2pkgError


class UnknownResource(R2pkgError):
    """No triple of the dataset mentions the IRI a request path maps to (or no such page)."""

    code = "NOT_FOUND"
    status = 404
