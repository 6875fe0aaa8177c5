"""Keep-alive connections to a remote store (r2pkg.keepalive), against a real HTTP/1.1 server on a
free loopback port that counts the connections it accepts."""
from __future__ import annotations

import http.server
import threading
import time

import pytest

from r2pkg.errors import QueryTimeout
from r2pkg.keepalive import Connections, LoopConnections, ProtocolError
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


# -- LoopConnections: the same, awaited on an event loop ----------------------------------------------

def _run(coro):
    import asyncio

    return asyncio.run(coro)


def test_on_a_loop_one_connection_serves_many_queries_in_turn(server):
    async def go():
        pool = LoopConnections()
        out = [await pool.request(_url(server), "POST", b"q%d" % i, {}, 5.0) for i in range(20)]
        pool.close()
        return out

    answers = _run(go())
    assert [a[0] for a in answers] == [200] * 20
    assert [a[1] for a in answers] == [b"1:q%d" % i for i in range(20)]
    assert answers[0][2]["content-length"] == answers[0][2].get("Content-Length") == "4"
    assert server.accepted == 1


def test_on_a_loop_concurrent_queries_get_a_connection_each_and_reuse_them(server):
    import asyncio

    async def go():
        pool = LoopConnections()
        first = await asyncio.gather(*(pool.request(_url(server), "POST", b"c%d" % i, {}, 5.0) for i in range(3)))
        second = await asyncio.gather(*(pool.request(_url(server), "POST", b"d%d" % i, {}, 5.0) for i in range(3)))
        pool.close()
        return first, second

    first, second = _run(go())
    assert all(a[0] == 200 for a in first + second)
    assert server.accepted == 3  # the second round reused the three connections


def test_on_a_loop_a_connection_the_store_says_it_closes_is_not_reused(server):
    async def go():
        pool = LoopConnections()
        a = await pool.request(_url(server), "POST", b"close", {}, 5.0)
        b = await pool.request(_url(server), "POST", b"next", {}, 5.0)
        pool.close()
        return a[1], b[1]

    assert _run(go()) == (b"1:close", b"2:next")


def test_on_a_loop_a_timeout_drops_the_connection(server):
    async def go():
        pool = LoopConnections()
        with pytest.raises(TimeoutError):
            await pool.request(_url(server), "POST", b"slow", {}, 0.3)
        try:
            return (await pool.request(_url(server), "POST", b"after", {}, 5.0))[1]
        finally:
            pool.close()

    assert _run(go()) == b"2:after"


def test_on_a_loop_the_stores_errors_are_the_front_ends():
    srv = _CountingServer(("127.0.0.1", 0), _Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    store = SparqlStore()
    try:
        with pytest.raises(QueryTimeout):
            _run(store.send_async(_url(srv), "slow", [], "*/*", 0.3))
    finally:
        srv.shutdown()
        srv.server_close()
    port = srv.server_address[1]
    with pytest.raises(RemoteStoreError, match="unreachable"):
        _run(SparqlStore().send_async(f"http://127.0.0.1:{port}/sparql", "x", [], "*/*", 2.0))


class _RawServer:
    """A loopback server that answers each request with ``answers[i]`` (raw bytes, the i-th request
    over all connections) and, where the answer is None, closes the connection having read the
    request (a store's keep-alive timeout racing the next query)."""

    def __init__(self, answers: list[bytes | None]) -> None:
        import socket

        self.answers, self.accepted, self.requests = list(answers), 0, []
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted += 1
            threading.Thread(target=self._conn, args=(conn,), daemon=True).start()

    def _conn(self, conn) -> None:
        buf = b""
        with conn:
            while True:
                while b"\r\n\r\n" not in buf:
                    data = conn.recv(65536)
                    if not data:
                        return
                    buf += data
                head, _, buf = buf.partition(b"\r\n\r\n")
                length = int(next(l.split(b":")[1] for l in head.split(b"\r\n") if l.lower().startswith(b"content-length")))
                while len(buf) < length:
                    buf += conn.recv(65536)
                self.requests.append((head, buf[:length]))
                buf = buf[length:]
                answer = self.answers.pop(0)
                if answer is None:
                    return
                conn.sendall(answer)
                if answer.startswith(b"HTTP/1.0"):
                    return  # an answer that ends with the connection

    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/sparql"

    def close(self) -> None:
        self.sock.close()


OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"


@pytest.mark.parametrize("raw, body, status", [
    (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n4;x=1\r\ndefg\r\n0\r\n\r\n", b"abcdefg", 200),
    (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n0\r\nX-Trailer: 1\r\n\r\n", b"ab", 200),
    (b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 3\r\n\r\nnew", b"new", 201),
    (b"HTTP/1.1 204 No Content\r\n\r\n", b"", 204),
    (b"HTTP/1.1 400 Bad Request\r\ncontent-length: 5\r\nX-SQL-State: 37000\r\n\r\nwrong", b"wrong", 400),
])
def test_on_a_loop_answers_are_read_whole(raw, body, status):
    srv = _RawServer([raw, OK])

    async def go():
        pool = LoopConnections()
        first = await pool.request(srv.url(), "POST", b"q", {"Accept": "*/*"}, 5.0)
        second = await pool.request(srv.url(), "POST", b"r", {}, 5.0)
        pool.close()
        return first, second

    try:
        (got_status, got_body, head), second = _run(go())
    finally:
        srv.close()
    assert (got_status, got_body) == (status, body)
    assert second[:2] == (200, b"ok") and srv.accepted == 1  # the answer ended where it said: reused
    assert b"Accept: */*" in srv.requests[0][0] and srv.requests[0][1] == b"q"


def test_on_a_loop_an_answer_to_the_end_of_the_connection_is_read_whole_and_not_reused():
    srv = _RawServer([b"HTTP/1.0 200 OK\r\n\r\nuntil the end", OK])

    async def go():
        pool = LoopConnections()
        out = [await pool.request(srv.url(), "POST", b"q", {}, 5.0) for _ in range(2)]
        pool.close()
        return out

    try:
        first, second = _run(go())
    finally:
        srv.close()
    assert first[1] == b"until the end" and second[1] == b"ok" and srv.accepted == 2


def test_on_a_loop_a_connection_closed_as_the_query_is_sent_is_replaced_once():
    srv = _RawServer([OK, None, OK])  # the 2nd request's connection closes unanswered

    async def go():
        pool = LoopConnections()
        out = [(await pool.request(srv.url(), "POST", b"q%d" % i, {}, 5.0))[1] for i in range(2)]
        pool.close()
        return out

    try:
        assert _run(go()) == [b"ok", b"ok"]
    finally:
        srv.close()
    assert srv.accepted == 2 and [r[1] for r in srv.requests] == [b"q0", b"q1", b"q1"]


@pytest.mark.parametrize("raw, error", [
    (None, ConnectionResetError),  # closed unanswered: not sent again, the store may have seen it
    (b"SSH-2.0-OpenSSH\r\n\r\n", ProtocolError),
    (b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", ProtocolError),
    (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", ProtocolError),
])
def test_on_a_loop_a_fresh_connection_without_an_http_answer_is_an_error(raw, error):
    srv = _RawServer([raw])

    async def go():
        return await LoopConnections().request(srv.url(), "POST", b"q", {}, 5.0)

    try:
        with pytest.raises(error):
            _run(go())
    finally:
        srv.close()
    assert srv.accepted == 1


@pytest.mark.parametrize("pairs", [
    [("query", 'PREFIX a: <http://x/#y?z=1&b=2>\nSELECT * {\t?s ?p "a+b%20c\\r\\"" } # c'), ("timeout", "5000")],
    [("k=&", "ünïcode & + = % ✓"), ("", "")],
    [("x", "\x7f\x00 ~!*'();:@$,/?[]{}|^`<>"), ("y", "a\x01b+c%")],
])
def test_form_bodies_read_back_as_the_same_pairs(pairs):
    import urllib.parse

    from r2pkg.remote import form_body

    body = form_body(pairs)
    assert urllib.parse.parse_qsl(body.decode("ascii"), keep_blank_values=True, strict_parsing=False) == pairs
    assert b" " not in body and b"\n" not in body
