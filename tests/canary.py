"""A canary HTTP server on loopback: it counts every connection, records every request, and answers
any request with one SPARQL row (x = ``value``; SPARQL XML if the request's Accept asks for XML and
not JSON, as Virtuoso's SERVICE client does, else SPARQL JSON), so that a SERVICE call that reached it would
complete and show its answer. Used by the tests and by ``bench/flood.py``."""
from __future__ import annotations

import http.server
import json
import threading


class Canary(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, host: str = "127.0.0.1", value: str = "CANARY") -> None:
        self.connections = 0
        self.requests: list[tuple[str, str, bytes]] = []
        self.lock = threading.Lock()
        self.answer = json.dumps({"head": {"vars": ["x"]}, "results": {"bindings": [
            {"x": {"type": "literal", "value": value}}]}}).encode()
        from xml.sax.saxutils import escape

        self.answer_xml = ('<?xml version="1.0"?><sparql xmlns="http://www.w3.org/2005/sparql-results#">'
                           '<head><variable name="x"/></head><results><result><binding name="x"><literal>'
                           + escape(value) + "</literal></binding></result></results></sparql>").encode()
        canary = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _answer(self):
                n = int(self.headers.get("Content-Length") or 0)
                with canary.lock:
                    canary.requests.append((self.command, self.path, self.rfile.read(min(n, 1 << 20))))
                accept = self.headers.get("Accept") or ""
                xml = "sparql-results+xml" in accept and "json" not in accept
                body = canary.answer_xml if xml else canary.answer
                self.send_response(200)
                self.send_header("Content-Type", "application/sparql-results+" + ("xml" if xml else "json"))
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_HEAD = _answer

            def log_message(self, *args):
                pass

        super().__init__((host, 0), Handler)
        self.port = self.server_address[1]
        self.base = f"http://{host}:{self.port}"
        self.thread: threading.Thread | None = None

    def get_request(self):
        conn = super().get_request()
        with self.lock:
            self.connections += 1
        return conn

    def start(self) -> "Canary":
        self.thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()
        return self

    def reset(self) -> None:
        with self.lock:
            self.connections = 0
            self.requests.clear()

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
