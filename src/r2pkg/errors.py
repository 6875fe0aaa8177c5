"""Domain exceptions. The library raises these and never prints or exits.

Each class carries a stable machine ``code`` (used in JSON error bodies), an HTTP ``status``
and a CLI ``exit_code``; the adapters map them, nothing else does.
"""
from __future__ import annotations


class R2pkgError(Exception):
    """Base class of every error r2pkg raises on purpose."""

    code = "R2PKG_ERROR"
    status = 500
    exit_code = 2

    def __init__(self, message: str, **details: object) -> None:
        super().__init__(message)
        self.message = message
        self.details = {k: v for k, v in details.items() if v is not None}

    def to_dict(self) -> dict[str, object]:
        return {"error": self.code, "message": self.message, **self.details}


class ResourceNotFound(R2pkgError):
    """A resource directory (ontology/, shapes/, data/, queries/) could not be located."""

    code = "RESOURCE_NOT_FOUND"


class ConfigError(R2pkgError):
    """A setting has an unusable value (``details`` name the setting)."""

    code = "CONFIG_ERROR"


class RdfSyntaxError(R2pkgError):
    """An RDF input file does not parse; ``details`` name the file, line and column."""

    code = "RDF_SYNTAX_ERROR"
    status = 400


class DataError(R2pkgError):
    """Input data is structurally unusable (not UTF-8, duplicate key, bad passage offsets...)."""

    code = "DATA_ERROR"
    status = 400


class ValidationFailed(R2pkgError):
    """The data does not conform to the SHACL shapes (violations), or is logically inconsistent."""

    code = "VALIDATION_FAILED"
    exit_code = 1


class InconsistentOntology(ValidationFailed):
    """An OWL reasoner found the ontology plus data inconsistent."""

    code = "INCONSISTENT"


class NoBuild(R2pkgError):
    """No build artefact exists where one was expected."""

    code = "NO_BUILD"
    status = 503


class QueryError(R2pkgError):
    """A SPARQL query could not be parsed or evaluated."""

    code = "QUERY_ERROR"
    status = 400


class QuerySyntaxError(QueryError):
    code = "QUERY_SYNTAX_ERROR"


class UnknownQuery(QueryError):
    """A named query does not exist in queries/."""

    code = "UNKNOWN_QUERY"
    status = 404


class BadParameter(QueryError):
    """A named-query parameter is missing, unknown, or not a valid RDF term."""

    code = "BAD_PARAMETER"


class UnsupportedFormat(R2pkgError):
    """No serialisation exists for the requested format and result kind."""

    code = "NOT_ACCEPTABLE"
    status = 406


class ForbiddenQuery(QueryError):
    """The query asks for something a read-only public endpoint refuses (updates, SERVICE, LOAD)."""

    code = "FORBIDDEN"
    status = 403


class QueryTimeout(R2pkgError):
    """The query ran past its wall-clock limit and was stopped."""

    code = "TIMEOUT"
    status = 503
    exit_code = 3


class Overloaded(R2pkgError):
    """Every query worker stayed busy for longer than the queue timeout."""

    code = "OVERLOADED"
    status = 503
    exit_code = 3


class PayloadTooLarge(QueryError):
    """The query text exceeds the configured maximum size."""

    code = "QUERY_TOO_LARGE"
    status = 413


class QueryTooComplex(QueryError):
    """The query exceeds a structural limit (nesting depth), or it crashed the engine's worker."""

    code = "QUERY_TOO_COMPLEX"
    status = 400


class BadRequest(QueryError):
    """A protocol request is malformed (several queries, invalid UTF-8, an invalid graph IRI...)."""

    code = "BAD_REQUEST"


class UnsupportedMediaType(R2pkgError):
    """A POST without, or with an unsupported, Content-Type or charset."""

    code = "UNSUPPORTED_MEDIA_TYPE"
    status = 415


class ResourceLimit(R2pkgError):
    """A query needed more of a budget (memory) than a query may use, and was stopped."""

    code = "RESOURCE_LIMIT"
    status = 503
    exit_code = 3


class SandboxUnavailable(R2pkgError):
    """Query workers cannot be confined here (no seccomp): the endpoint refuses to start."""

    code = "SANDBOX_UNAVAILABLE"


class UnknownSource(DataError):
    """No stored source text with that id in data/sources/."""

    code = "UNKNOWN_SOURCE"
    status = 404


class InvalidUrl(R2pkgError):
    """A URL option is not an absolute http(s) URL."""

    code = "BAD_URL"
    status = 400


class BadOutput(R2pkgError):
    """An output file cannot be written where it was asked for (missing folder, a directory...)."""

    code = "BAD_OUTPUT"


class PortInUse(R2pkgError):
    """The TCP port a server should listen on is taken by another process."""

    code = "PORT_IN_USE"


class BadSearch(R2pkgError):
    """A search request cannot be answered as asked (empty or too long text, an unknown facet);
    ``details`` give the ``reason``."""

    code = "BAD_SEARCH"
    status = 400


class SearchUnavailable(R2pkgError):
    """The build has no search index (built by an r2pkg without one)."""

    code = "SEARCH_UNAVAILABLE"
    status = 503
