"""A recording pass-through proxy on 127.0.0.1: what exactly does the plugin put on the wire?

Each request (path, headers, body) is recorded, forwarded to the upstream server, and its
answer returned whole (a stream arrives in one piece, which SSE parsing does not mind).
"""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests

_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host", "content-encoding"}


class Recorder:
    """``with Recorder(upstream_url) as rec:`` then point the plugin at ``rec.url``."""

    def __init__(self, upstream):
        self.upstream = upstream
        self.requests = []
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                recorder.requests.append({"path": self.path, "headers": dict(self.headers.items()), "body": body})
                headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP}
                answer = requests.post(recorder.upstream + self.path, data=body, headers=headers, timeout=120)
                self.send_response(answer.status_code)
                for k, v in answer.headers.items():
                    if k.lower() not in _HOP:
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.server.server_address[1]

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
