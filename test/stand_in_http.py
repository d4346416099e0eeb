"""The HTTP layer of the stand-in servers (stdlib only): see stand_in.py for the
behaviour and the subclass API.

Owns the wire: Reply and Request, the per-connection handler (keep-alive, TCP_NODELAY,
request bodies with Content-Length or chunked, the 1 MiB cap answered 413, /_ctl/
requests handed to app.control(), API requests recorded, faulted or handed to
app.serve_api()), applying a fault to the answer (status, body, malformed, oversized,
delay, TCP RST), and serve().  The app is duck-typed: record, take_fault, serve_api,
control, error_body, verbose.
"""

import http
import json
import os
import signal
import socket
import struct
import sys
import time
import traceback
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MAX_BODY = 1024 * 1024
JSON_TYPE = "application/json"
MALFORMED_BODY = b'{"id": "truncated", "items": [1, 2, '


class Reply:
    """An HTTP answer: status, body bytes, content type, extra headers.  The body
    may also be a list of bytes-like parts (e.g. memoryviews of a large buffer),
    sent one after the other without being joined."""

    def __init__(self, status, body=b"", content_type=JSON_TYPE, headers=None):
        self.status = status
        self.body = body
        self.content_type = content_type
        self.headers = headers or {}

    @classmethod
    def json(cls, status, obj, headers=None):
        """A reply whose body is obj serialized as JSON."""
        return cls(status, json.dumps(obj).encode(), JSON_TYPE, headers)


class Request:
    """One parsed API request as the app sees it."""

    def __init__(self, method, target, headers, body):
        self.method = method
        self.target = target
        self.path, _, self.query = target.partition("?")
        self.params = urllib.parse.parse_qs(self.query, keep_blank_values=True)
        self.headers = headers
        self.body = body
        self.fault = None  # an app fault (dict) to apply, set by the server

    def json(self):
        """The body parsed as JSON; raises ValueError when it is not JSON."""
        try:
            return json.loads(self.body.decode("utf-8"))
        except RecursionError:
            raise ValueError("JSON nested too deeply")


def reason_phrase(status):
    """The standard reason phrase of a status, or a generic one."""
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return "Status %d" % status


class _Handler(BaseHTTPRequestHandler):
    """Per-connection handler: control endpoints, faults, API dispatch."""

    protocol_version = "HTTP/1.1"

    def setup(self):
        """Disable Nagle: headers and body leave in separate writes, and with
        Nagle on, the body would wait for the client's delayed ACK (~40 ms)."""
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    timeout = 300
    server_version = "stand-in/1.0"

    def log_message(self, fmt, *args):
        """Log only with --verbose."""
        if self.server.app.verbose:
            super().log_message(fmt, *args)

    def _dispatch(self):
        """Entry point for every method."""
        try:
            if self.path.startswith("/_ctl/"):
                self._control()
            else:
                self._api()
        except OSError:
            self.close_connection = True
        except Exception:
            traceback.print_exc()
            self.close_connection = True

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _dispatch

    def _read_body(self):
        """Read the request body; returns (bytes, error status or None)."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked()
        length = self.headers.get("Content-Length")
        if length is None:
            return b"", None
        try:
            n = int(length)
            if n < 0:
                raise ValueError
        except ValueError:
            return b"", 400
        if n > MAX_BODY:
            return b"", 413
        body = self.rfile.read(n)
        if len(body) < n:
            raise ConnectionError("client closed mid-body")
        return body, None

    def _read_chunked(self):
        """Decode a chunked body, capped at MAX_BODY."""
        chunks, total = [], 0
        while True:
            line = self.rfile.readline(1024)
            try:
                size = int(line.split(b";")[0].strip(), 16)
            except ValueError:
                return b"", 400
            if size == 0:
                while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                    pass
                return b"".join(chunks), None
            total += size
            if total > MAX_BODY:
                return b"", 413
            chunks.append(self.rfile.read(size))
            self.rfile.readline(1024)

    def _send(self, status, body, content_type=JSON_TYPE, headers=None):
        """Send a complete response with Content-Length (body: bytes or a list
        of bytes-like parts)."""
        parts = body if isinstance(body, list) else [body]
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(sum(memoryview(p).nbytes for p in parts)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        for part in parts:
            self.wfile.write(part)

    def _control(self):
        """Serve /_ctl/<cmd>."""
        app = self.server.app
        body, err = self._read_body()
        if err:
            self._refuse(err, json.dumps({"error": reason_phrase(err)}).encode())
            return
        path, _, query = self.path.partition("?")
        params = {k: v[-1] for k, v in urllib.parse.parse_qs(query).items()}
        if body.strip():
            try:
                extra = json.loads(body)
                if not isinstance(extra, dict):
                    raise ValueError
            except (ValueError, RecursionError):
                self._send(400, b'{"error": "control body must be a JSON object"}')
                return
            params.update(extra)
        status, obj = app.control(path[len("/_ctl/"):], params)
        self._send(status, json.dumps(obj).encode())

    def _api(self):
        """Serve an API request: record it, apply a fault or the app."""
        app = self.server.app
        body, err = self._read_body()
        req = Request(self.command, self.path, self.headers, body)
        rec = app.record(req, self)
        if err:
            rec["status"] = err
            self._refuse(err, app.error_body(err, reason_phrase(err)))
            return
        fault = app.take_fault(self.path)
        reply = self._faulted(fault) if fault else None
        if reply == "reset":
            rec["status"] = "reset"
            self._rst()
            return
        if reply is None:
            if fault and fault.get("app"):
                req.fault = fault["app"]
            reply = app.serve_api(req)
        rec["status"] = reply.status
        self._send(reply.status, reply.body, reply.content_type, reply.headers)

    def handle_expect_100(self):
        """Send 100 Continue only for bodies that will be read."""
        length = self.headers.get("Content-Length", "0")
        if length.isdigit() and int(length) > MAX_BODY:
            return True
        return super().handle_expect_100()

    def _refuse(self, status, body):
        """Answer status without reading the body, then close gracefully."""
        self.close_connection = True
        self._send(status, body)
        self.wfile.flush()
        sock = self.connection
        sock.shutdown(socket.SHUT_WR)
        sock.settimeout(2)
        try:
            for _ in range(4096):  # drain up to 256 MiB so that close sends no RST
                if not sock.recv(65536):
                    break
        except OSError:
            pass

    def _faulted(self, fault):
        """Apply a fault: returns a Reply, "reset", or None (serve normally)."""
        if fault["delay_ms"]:
            time.sleep(fault["delay_ms"] / 1000.0)
        if fault["reset"]:
            return "reset"
        headers = {}
        if fault["retry_after"] is not None:
            headers["Retry-After"] = fault["retry_after"]
        status, ctype = fault["status"], fault["content_type"]
        if fault["malformed"]:
            return Reply(status or 200, MALFORMED_BODY, ctype, headers)
        if fault["oversized"] is not None:
            return Reply(status or 200, padded_json(fault["oversized"]), ctype, headers)
        if status is None:
            return None
        if fault["body"] is not None:
            body = fault["body"].encode()
        else:
            body = self.server.app.error_body(status, reason_phrase(status))
        return Reply(status, body, ctype, headers)

    def _rst(self):
        """Close the connection with a TCP RST (SO_LINGER 0), answering nothing."""
        self.close_connection = True
        sock = self.connection
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        os.close(sock.detach())


def padded_json(n):
    """A JSON-looking body of exactly n bytes."""
    if n < 11:
        return b"1" * n
    return b'{"pad": "' + b"x" * (n - 11) + b'"}'


class _Server(ThreadingHTTPServer):
    """ThreadingHTTPServer with daemon threads and quiet connection errors."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 1024   # a real API takes a burst of connections (socketserver's default is 5)

    def handle_error(self, request, client_address):
        """Report handler crashes, but connection errors only with --verbose."""
        if self.app.verbose or not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)


def serve(app, port=0, verbose=False):
    """Serve app on 127.0.0.1:port until SIGTERM/SIGINT; prints "ready <port>"."""
    app.verbose = verbose
    server = _Server(("127.0.0.1", port), _Handler)
    server.app = app
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print("ready %d" % server.server_address[1], flush=True)
    try:
        server.serve_forever()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        server.server_close()
