"""Stand-ins for the parts of Granian's RSGI objects r2pkg's RSGI front end uses: a request's scope
(with its headers) and the protocol object a reply is written to. Used by test_rsgi and test_remote."""
from __future__ import annotations

from types import SimpleNamespace


class Headers(list):
    def items(self):
        return list(self)

    def get(self, name, default=None):
        return next((v for k, v in self if k == name), default)


def scope(path="/", qs="", method="GET", headers=(), server="127.0.0.1:8000", http="1.1"):
    return SimpleNamespace(proto="http", method=method, path=path, query_string=qs, scheme="http",
                           server=server, client="10.1.2.3:5555", http_version=http, headers=Headers(headers))


class Proto:
    """The part of Granian's RSGI protocol object a GET uses: the reply."""

    def __init__(self):
        self.replies = []

    def response_bytes(self, status, headers, body):
        self.replies.append((status, dict(headers), body))
