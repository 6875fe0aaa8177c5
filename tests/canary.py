"""A canary HTTP server on loopback: it counts every connection, records every request, and answers
any request with one SPARQL JSON row (x = ``value``), so that a SERVICE call that reached it would
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
        canary = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _answer(self):
                n = int(self.headers.get("Content-Length") or 0)
                with canary.lock:
                    canary.requests.append((self.command, self.path, self.rfile.read(min(n, 1 << 20))))
                self.send_response(200)
                self.send_header("Content-Type", "application/sparql-results+json")
                self.send_header("Content-Length", str(len(canary.answer)))
                self.end_headers()
                self.wfile.write(canary.answer)

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
