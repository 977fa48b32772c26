"""HTTP listeners on loopback: one for the Snowflake account, one per service ingress."""

import gzip
import io
import json
import logging
import re
import socket
import struct
import sys
import threading
import time
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from .account import Account
from .services import Reply, Service
from .sql import SqlEngine, query_response

try:  # the stand-in's own CPU must not eat into the client's: orjson encodes floats ~10x faster
    import orjson

    def _dumps(body):
        try:
            return orjson.dumps(body)
        except TypeError:  # e.g. non-string keys, which json turns into strings
            return json.dumps(body).encode()
except ImportError:  # the stand-in also runs with the standard library alone
    def _dumps(body):
        return json.dumps(body).encode()

logger = logging.getLogger("spcs_standin")

_AUTH = re.compile(r'^Snowflake Token="([^"]+)"$')
LOGIN_PAGE = ("<!DOCTYPE html><html><head><title>Sign in to Snowflake</title></head>"
              "<body><form>Snowflake login</form></body></html>")


# Interim (1xx) responses sent before the normal answer: (status, headers).
INTERIM = {
    "early-hints": (103, {"Link": "</static/app.css>; rel=preload; as=style"}),
    "processing": (102, {}),
}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256

    def handle_error(self, request, client_address):
        # Clients that time out or give up close their end; that is not the stand-in's error.
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError)):
            logger.debug("client %s went away: %s", client_address, type(exc).__name__)
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the ingress offers
    server_version = "spcs-standin"
    # Headers and body go out in separate writes: without TCP_NODELAY, Nagle's algorithm and
    # the client's delayed ACK add ~40 ms to every keep-alive request, which no real ingress does.
    disable_nagle_algorithm = True

    def log_message(self, fmt, *args):  # quiet by default; the stand-in's logger has it at DEBUG
        logger.debug("%s " + fmt, self.address_string(), *args)

    def _body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(self, status, body=b"", content_type="application/json", headers=None, cut=False, trickle=0.0):
        """Send a whole answer; with ``cut``, announce it all but die after half the body; with
        ``trickle``, send it one byte at a time, ``trickle`` seconds apart."""
        if isinstance(body, (dict, list)):
            body = _dumps(body)
        elif isinstance(body, str):
            body = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if cut:
            self.wfile.write(body[:len(body) // 2])
            self.wfile.flush()
            self._reset()
            return
        if trickle:
            for i in range(len(body)):
                self.wfile.write(body[i:i + 1])
                self.wfile.flush()
                time.sleep(trickle)
            return
        self.wfile.write(body)

    def _start_stream(self, chunked=True):
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:  # the end of the answer is the end of the connection
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()

    def _write(self, data, chunked=True):
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data) if chunked else data)
        self.wfile.flush()

    def _interim(self, status, headers):
        """An informational (1xx) response before the final one, as a proxy forwarding 103 Early Hints
        (RFC 8297) or a WebDAV-style server sending 102 Processing (RFC 2518) does."""
        self.send_response_only(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.flush()

    def _reset(self):
        """Close the connection with a TCP RST, as a crashed proxy would."""
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        self.connection.close()


class _AccountHandler(_Handler):
    account = None  # set per listener
    sql = None

    def _send(self, status, body=b"", content_type="application/json", headers=None, cut=False, trickle=0.0):
        super()._send(status, body, content_type, headers, cut, trickle or self.account.trickle_seconds)

    def do_GET(self):
        if self.path.startswith("/console/login") or self.path.startswith("/oauth/authorize"):
            self._send(200, LOGIN_PAGE, "text/html; charset=utf-8")
        else:
            self._send(404, {"message": "not found"})

    def do_POST(self):
        raw = self._body()
        interim = self.account.interim.popleft() if self.account.interim else None
        if interim:
            self._interim(*INTERIM[interim])
        if self.headers.get("Content-Encoding", "").lower() == "gzip":  # the connector compresses bodies
            raw = gzip.decompress(raw)
        path = urlsplit(self.path).path
        if path == "/oauth/token":
            form = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
            status, text = self.account.oauth_token(form)
            self._send(status, text, "text/plain" if status == 200 else "application/json")
            return
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            self._send(400, {"success": False, "code": "390400", "message": "Malformed JSON."})
            return
        if path == "/session/v1/login-request":
            self._send(200, self.account.login_request(body))
        elif path == "/session/token-request":
            match = _AUTH.match(self.headers.get("Authorization", ""))
            self._send(200, self.account.token_request(body, match.group(1) if match else None))
        elif path == "/queries/v1/query-request":
            match = _AUTH.match(self.headers.get("Authorization", ""))
            token = match.group(1) if match else None
            if self.account.session_user(token) is None:
                expired = token is not None and self.account.session_is_expired(token)
                self._send(200, {"success": False, "code": "390112" if expired else "390104",
                                 "message": "Your session has expired. Please login again." if expired
                                 else "Invalid session token.", "data": None})
                return
            self._send(200, query_response(self.sql, body))
        elif path in ("/session", "/telemetry/send", "/session/heartbeat"):
            self._send(200, {"success": True, "code": None, "message": None, "data": None})
        else:
            self._send(404, {"success": False, "code": "390404", "message": "Not found."})


class _IngressHandler(_Handler):
    account = None
    service = None
    account_url = None

    def setup(self):
        super().setup()
        self.service.connected()  # one handler per accepted connection

    def do_GET(self):
        self._ingress(b"")

    def do_POST(self):
        self._ingress(self._body())

    def _ingress(self, raw):
        service, path = self.service, urlsplit(self.path).path
        if service.faults.max_body_bytes and len(raw) > service.faults.max_body_bytes:
            self._send(413, {"message": "Request body of %d bytes exceeds the %d-byte limit." % (
                len(raw), service.faults.max_body_bytes)})
            return
        host = self.headers.get("Host", "")
        match = _AUTH.match(self.headers.get("Authorization", ""))
        if not match:
            self._send(302, b"", "text/html", {"Location": "%s/console/login?redirect=%s" % (self.account_url, host)})
            return
        reason = self.account.check_ingress_token(match.group(1), host)
        if reason:
            self._send(401, {"message": "Unauthorized: %s." % reason})
            return
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            self._send(400, {"message": "Request body is not JSON."})
            return
        service.note(path, body, {k: v for k, v in self.headers.items() if k.lower() != "authorization"},
                     user=self.account.user_of(match.group(1)))
        service.enter()
        try:
            self._serve(service, path, body)
        finally:
            service.leave()

    def _serve(self, service, path, body):
        if service.is_suspended():
            self._send(503, {"message": "Service %s is suspended. Resume it with ALTER SERVICE ... RESUME." % service.name},
                       headers={"Retry-After": "1"})
            return
        fault = service.faults.next()
        if fault in INTERIM:
            self._interim(*INTERIM[fault])
        elif fault and self._apply_fault(fault, body):
            return
        reply = service.handle(path, body)
        if reply.events is not None:
            self._stream(reply, cut=(fault == "cut"), hold=(fault == "held-open"))
        else:
            self._send(reply.status, reply.body, headers=reply.headers, cut=(fault == "cut"),
                       trickle=service.faults.trickle_seconds if fault == "trickle" else 0.0)

    def _apply_fault(self, fault, body):
        """Send the fault's answer; False for faults that shape the normal answer instead."""
        if fault in ("cut", "trickle", "held-open"):
            return False
        service = self.service
        if fault == "429":
            self._send(429, {"message": "Too many requests."}, headers={"Retry-After": service.faults.retry_after})
        elif fault in ("500", "502", "503", "504", "400", "403", "404", "413", "422"):
            self._send(int(fault), {"message": "Injected HTTP %s." % fault})
        elif fault == "401":
            self._send(401, {"message": "Unauthorized: expired token."})
        elif fault == "echo-auth":
            listing = "\n".join("%s: %s" % (k, v) for k, v in self.headers.items())
            self._send(service.faults.echo_status, "Request refused by the proxy. Headers received:\n" + listing,
                       "text/plain")
        elif fault == "401-token":
            match = _AUTH.match(self.headers.get("Authorization", ""))
            self._send(401, {"message": "Token %s is not valid for this endpoint." % (match.group(1) if match else "")})
        elif fault == "keepalive-only":
            self._start_stream()
            end = time.monotonic() + service.faults.keepalive_for
            while time.monotonic() < end:
                self._write(b": keep-alive\n\n")
                time.sleep(service.faults.keepalive_seconds)
            self._write(b"")
        elif fault == "huge":
            self._send(200, b'{"pad": "%s"}' % (b"x" * int(service.faults.huge_megabytes * 2 ** 20)))
        elif fault == "gzip-bomb":
            self._send(200, _gzip_bomb(service.faults.bomb_megabytes), headers={"Content-Encoding": "gzip"})
        elif fault == "huge-line":
            self._start_stream()
            self._write(b'data: {"choices": [{"index": 0, "delta": {"content": "')
            size = int(service.faults.huge_megabytes * 2 ** 20)
            for _ in range(0, size, 2 ** 16):
                self._write(b"x" * 2 ** 16)
            self._write(b'"}}]}\n\ndata: [DONE]\n\n')
            self._write(b"")
        elif fault == "422-echo":
            echoed = body.get("input", body.get("messages")) if isinstance(body, dict) else body
            self._send(422, {"detail": [{"type": "too_long", "loc": ["body", "input"],
                                         "msg": "List should have at most 1 item after validation",
                                         "input": echoed}]})
        elif fault == "reset":
            self._reset()
        elif fault == "slow":
            time.sleep(service.faults.slow_seconds)
            self._send(504, {"message": "Gateway timeout after a slow answer."})
        elif fault == "malformed":
            self._send(200, b'{"data": [[0, {"outputs": ', "application/json")
        elif fault == "html":
            self._send(200, LOGIN_PAGE, "text/html; charset=utf-8")
        elif fault == "login-redirect":
            self._send(302, b"", "text/html", {"Location": "%s/console/login" % self.account_url})
        else:
            raise ValueError("unknown fault %r" % fault)
        return True

    def _stream(self, reply, cut=False, hold=False):
        faults = self.service.faults
        chunked = not faults.close_delimited
        self._start_stream(chunked)
        sent = 0
        for delay, event in reply.events:
            if delay:
                time.sleep(delay)
            if cut and sent >= faults.cut_after_chunks:
                self._reset()  # the connection dies mid-stream, without the terminating chunk
                return
            if faults.gate_after is not None and sent == faults.gate_after:
                faults.wait_gate()
            data = event if isinstance(event, str) else json.dumps(event)
            self._write(("data: %s\n\n" % data).encode(), chunked)
            sent += 1
        if cut:  # a stream shorter than cut_after_chunks: every event went out, not the terminating chunk
            self._reset()
            return
        if hold:  # [DONE] is out; the connection stays open, unfinished, until the gate opens
            faults.wait_gate()
        if chunked:
            self._write(b"")


_bombs = {}


def _gzip_bomb(megabytes):
    """A gzip body of a few kilobytes that inflates to ``megabytes`` of JSON whitespace, then ``{}``."""
    if megabytes not in _bombs:
        out = io.BytesIO()
        with gzip.GzipFile(fileobj=out, mode="wb", compresslevel=9) as packer:
            block = b" " * 2 ** 20
            for _ in range(megabytes):
                packer.write(block)
            packer.write(b"{}")
        _bombs[megabytes] = out.getvalue()
    return _bombs[megabytes]


class StandIn:
    """A fake Snowflake account and its SPCS services, listening on 127.0.0.1.

    >>> s = StandIn(); s.add_service(Service("chat", "openai")); s.start()
    >>> s.url("chat"), s.account_url
    """

    def __init__(self, account=None, host="127.0.0.1"):
        self.account = account or Account()
        self.sql = SqlEngine(self)
        self.host = host
        self.services = {}
        self._servers = []
        self.account_url = None

    def add_service(self, service):
        self.services[service.name] = service
        if self.account_url:  # already running: start its listener now
            self._listen_service(service)
        return service

    def start(self):
        from .embedders import get_embedder

        for service in self.services.values():  # load models before the first request, not during it
            get_embedder(service.embedder)
        handler = type("AccountHandler", (_AccountHandler,), {"account": self.account, "sql": self.sql})
        server = self._listen(handler)
        self.account_url = "http://%s:%d" % (self.host, server.server_address[1])
        for service in self.services.values():
            self._listen_service(service)
        return self

    def _listen_service(self, service):
        handler = type("IngressHandler", (_IngressHandler,), {
            "account": self.account, "service": service, "account_url": self.account_url})
        service.port = self._listen(handler).server_address[1]

    def _listen(self, handler):
        server = _Server((self.host, 0), handler)
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        thread.start()
        self._servers.append(server)
        return server

    def url(self, name):
        """Ingress URL of service ``name``."""
        return "http://%s:%d" % (self.host, self.services[name].port)

    def host_of(self, name):
        return "%s:%d" % (self.host, self.services[name].port)

    def stop(self):
        # Shut the listeners down together: each one waits up to a poll interval.
        threads = [threading.Thread(target=server.shutdown) for server in self._servers]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for server in self._servers:
            server.server_close()
        self._servers = []

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def http_date(seconds_from_now):
    """An HTTP date ``seconds_from_now`` in the future (for Retry-After)."""
    return formatdate(time.time() + seconds_from_now, usegmt=True)


__all__ = ["StandIn", "Reply", "http_date"]
