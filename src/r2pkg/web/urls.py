"""The server's external base URL: the one place absolute URLs are made.

With the ``PUBLIC_URL`` setting (e.g. ``https://r2pkg.example.org/``) every absolute URL the app
writes (the JSON-LD context URL, VoID, the service description, the query UI's endpoint, the
OpenAPI ``servers``, the base IRI of queries) starts with it, whatever the request's ``Host`` says.
Without it they are made from the request (scheme, ``Host``, mount point) and the answer carries
``Vary: Host``, so no shared cache hands one client's ``Host`` to another.

``PUBLIC_URL`` reaches the raw WSGI path of ``/sparql`` (which runs before Flask) through the
environ key :data:`ENVIRON_KEY`, set by :class:`PublicUrl`.

>>> external_base({"wsgi.url_scheme": "http", "HTTP_HOST": "evil.example", ENVIRON_KEY: "https://r2pkg.example.org"})
'https://r2pkg.example.org'
>>> external_base({"wsgi.url_scheme": "http", "HTTP_HOST": "localhost:8000", "SCRIPT_NAME": "/kg"})
'http://localhost:8000/kg'
"""
from __future__ import annotations

from typing import Callable, Iterable, Mapping
from urllib.parse import urlsplit

from flask import g, request, url_for
from werkzeug.wsgi import get_host

from ..errors import ConfigError

ENVIRON_KEY = "r2pkg.public_url"
_USED_HOST = "r2pkg_host_url"  # flask.g flag: this answer holds a URL made from the Host header


def check_public_url(value: object) -> str | None:
    """``PUBLIC_URL`` normalised (no trailing slash), or None when unset.

    Raises:
        ConfigError: not an absolute http(s) URL, or one with a query or fragment.

    >>> check_public_url("https://r2pkg.example.org/")
    'https://r2pkg.example.org'
    >>> check_public_url(None) is None
    True
    """
    if value is None or not str(value).strip():
        return None
    text = str(value).strip()
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment \
            or any(c.isspace() or c in "<>\"{}|\\^`" for c in text):
        raise ConfigError(f"PUBLIC_URL must be an absolute http(s) URL without query or fragment, got {text!r}",
                          setting="PUBLIC_URL")
    return text.rstrip("/")


def external_base(environ: Mapping[str, object]) -> str:
    """The external base URL of the app, without a trailing slash: ``PUBLIC_URL`` if set, else
    scheme, host and mount point (``SCRIPT_NAME``) of the request."""
    public = environ.get(ENVIRON_KEY)
    if public:
        return str(public)
    scheme = str(environ.get("wsgi.url_scheme", "http"))
    root = str(environ.get("SCRIPT_NAME", "")).rstrip("/")
    return f"{scheme}://{get_host(environ)}{root}"  # type: ignore[arg-type]


def from_host(environ: Mapping[str, object]) -> bool:
    """True when absolute URLs of this request come from its ``Host`` (no ``PUBLIC_URL``)."""
    return not environ.get(ENVIRON_KEY)


# -- Flask helpers (the current request) ---------------------------------------------------------

def external_root() -> str:
    """:func:`external_base` of the current request; notes a use of ``Host`` for ``Vary``."""
    if from_host(request.environ):
        setattr(g, _USED_HOST, True)
    return external_base(request.environ)


def external(path: str) -> str:
    """The absolute URL of ``path`` (a path inside the app, starting with ``/``)."""
    return external_root() + path


def external_for(endpoint: str, **values: object) -> str:
    """``url_for(endpoint, **values)`` as an absolute URL on the external base."""
    path = url_for(endpoint, **values)
    root = request.script_root
    return external(path[len(root):] if root and path.startswith(root) else path)


def request_url() -> str:
    """The absolute URL of the current request, without its query string."""
    return external(request.path)


def merge_vary(headers, *names: str) -> None:
    """Add ``names`` to the response's ``Vary`` (one header, merged with any values present)."""
    present = [v.strip() for line in headers.getlist("Vary") for v in line.split(",") if v.strip()]
    if "*" in present:
        return
    lower = {v.lower() for v in present}
    merged = present + [n for n in names if n.lower() not in lower]
    if merged != present:
        headers["Vary"] = ", ".join(merged)


def vary_on_host(resp):
    """After a request: ``Vary: Host`` on answers that hold a URL made from ``Host``."""
    if g.get(_USED_HOST):
        merge_vary(resp.headers, "Host")
    return resp


class PublicUrl:
    """WSGI middleware: puts ``PUBLIC_URL`` in the environ for :func:`external_base`."""

    def __init__(self, app: Callable, public_url: str | None) -> None:
        self.app, self.public_url = app, public_url

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        if self.public_url:
            environ[ENVIRON_KEY] = self.public_url
        else:
            environ.pop(ENVIRON_KEY, None)
        return self.app(environ, start_response)
