"""Keep-alive connections to a remote store (r2pkg.keepalive), against a real HTTP/1.1 server on a
free loopback port that counts the connections it accepts."""
from __future__ import annotations

import http.server
import threading
import time

import pytest

from r2pkg.errors import QueryTimeout
from r2pkg.keepalive import Connections
from r2pkg.remote import RemoteStoreError, SparqlStore


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive unless the handler says otherwise

    def do_POST(self):  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if body == b"slow":
            time.sleep(1.0)
        out = b"%d:%s" % (self.server.accepted, body)
        self.send_response(200)
        self.send_header("Content-Length", str(len(out)))
        if body == b"close":
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(out)

    def log_message(self, *args):
        pass


class _CountingServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    accepted = 0

    def get_request(self):
        sock, addr = super().get_request()
        self.accepted += 1
        return sock, addr


@pytest.fixture
def server():
    srv = _CountingServer(("127.0.0.1", 0), _Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield srv
    srv.shutdown()
    srv.server_close()


def _url(srv) -> str:
    return f"http://127.0.0.1:{srv.server_address[1]}/sparql?x=1"


def test_one_connection_serves_many_queries(server):
    pool = Connections()
    answers = [pool.request(_url(server), "POST", b"q%d" % i, {}, 5.0) for i in range(20)]
    assert [a[0] for a in answers] == [200] * 20
    assert [a[1] for a in answers] == [b"1:q%d" % i for i in range(20)]  # all on the first connection
    assert server.accepted == 1
    pool.close()


def test_a_connection_the_store_closed_is_replaced(server):
    pool = Connections()
    assert pool.request(_url(server), "POST", b"close", {}, 5.0)[1] == b"1:close"  # it says it closes
    assert pool.request(_url(server), "POST", b"a", {}, 5.0)[1] == b"2:a"
    # closed behind our back while idle (as a store's keep-alive timeout does): sent again, once
    for conn in pool._local.conns.values():
        conn.sock.shutdown(2)
    assert pool.request(_url(server), "POST", b"b", {}, 5.0)[1] == b"3:b"
    assert server.accepted == 3
    pool.close()


def test_each_thread_has_its_own_connection(server):
    pool = Connections()
    got = []
    threads = [threading.Thread(target=lambda: got.append(pool.request(_url(server), "POST", b"t", {}, 5.0)[0]))
               for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert got == [200] * 3 and server.accepted == 3


def test_errors_are_the_stores(server):
    store = SparqlStore()
    with pytest.raises(QueryTimeout):
        store.post(_url(server), b"slow", "text/plain", "*/*", 0.3)
    # the timed-out connection was dropped: the next query gets a fresh one and its own answer
    assert store.post(_url(server), b"after", "text/plain", "*/*", 5.0)[1] == b"2:after"
    store._connections.close()
    port = server.server_address[1]
    server.shutdown()
    server.server_close()
    with pytest.raises(RemoteStoreError, match="unreachable"):
        SparqlStore().post(f"http://127.0.0.1:{port}/sparql", b"x", "text/plain", "*/*", 2.0)
