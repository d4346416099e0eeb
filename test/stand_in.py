"""Shared base of the HTTP stand-in servers used by the dune_mv tests (stdlib only).

A stand-in is an `App` subclass served by `serve()`: an HTTP/1.1 keep-alive
ThreadingHTTPServer on 127.0.0.1 that records every API request, counts TCP
connections, misbehaves on demand (fault queue) and is driven through control
endpoints under /_ctl/ (see test/ctl.py).  Control requests need no credentials
and are neither recorded nor counted.

Subclass API (the whole of it):

    class MyApp(stand_in.App):
        name = "lance"                      # used in messages
        def defaults(self):                 # settings; reset restores them
            return {"api_key": self.key, "page_size": 100, ...}
        def reset_state(self): ...          # forget domain state (views, jobs)
        def handle(self, req): ...          # serve one API request -> Reply
        def error_body(self, status, message): ...   # bytes of an error body
        def header_facts(self, req): ...    # optional: extra facts to record
                                            # (never a secret: record key_ok)
        def ctl_set(self, params): ...      # optional: pop special `set` keys
        def ctl_commands(self): ...         # optional: {name: method(params)} extra
                                            # control commands
        fault_keys = {"k", ...}             # optional: app fault keys (see Faults)
        def check_fault(self, fault): ...   # optional: validate them (HTTPError)

    stand_in.serve(MyApp(...), port=0, verbose=False)   # prints "ready <port>"

handle(), reset_state(), ctl_set(), check_fault() and the ctl_commands() methods
run with app.lock held, one at a time.
Inside them: `raise HTTPError(status, message)` answers an error (handle:
with error_body(); control: {"error": message}); `app.settings` is the
current settings dict; `app.counter(kind)` returns 1, 2, ... per kind since the
last reset; `Reply.json(status, obj)` builds a JSON reply; `req` is a `Request`
(method, target, path, query, params, headers, body, json(), fault).

Control endpoints (GET or POST /_ctl/<cmd>, parameters as a JSON object body
and/or query string; JSON replies):
    reset                   forget requests, counters, faults, domain state;
                            restore settings to defaults()       -> {"ok": true}
    fault k=v...            queue a fault (keys below)            -> {"ok": true}
    last [times=1] [headers=1] [params=1]      last recorded request or null
    requests [n=N] [times=1] [headers=1] [params=1]   list, oldest first
    stats                   {"connections": N, "requests": N}
    set k=v...              change settings (ctl_set first)       -> {"ok": true}

Recorded request: {"method", "path", "query", "body", "status"} where path is
the path as received (still percent-encoded, without the query string), query
is the raw query string ("" when none), body is the parsed JSON value, or the
raw text when not JSON, or null when empty; status is the status answered (an
int) or "reset", or null while the request is still being answered.
times=1 adds "t" (seconds since reset at arrival, 3 decimals); headers=1 adds
"headers" ({"accept", "content_type", "user_agent"} plus header_facts());
params=1 adds "params", the query string decoded ({name: [values]}, blank values
kept).

Stats since reset: "requests" counts recorded (non-control) requests;
"connections" counts the distinct TCP connections that carried at least one of
them (so ctl.py's own connections do not count, and a kept-alive connection
opened before the reset counts once when it is used again).

Faults (queued, applied in queue order to the next requests whose target,
path plus query string, contains `match`, default ""): status=N answers N
with body (default error_body(N, reason phrase)) and content_type (default
application/json); retry_after=S adds a Retry-After header; delay_ms=N sleeps
first (other connections are not blocked; alone, the request is then served
normally); reset=1 closes the connection with a TCP RST and no answer;
malformed=1 answers a truncated JSON body (status 200 unless status= given);
oversized=N answers a 200 JSON-looking body of exactly N bytes; times=N
(default 1) how many requests the fault applies to.  Addressing one request of
a series: param=NAME=VALUE also requires the decoded query string to carry
NAME with that VALUE (e.g. param=offset=2000, exact, unlike match); skip=N
lets the first N requests that match pass untouched (they are then checked
against the faults queued after it), so skip=2 hits the third.  An app may
declare its own fault keys (fault_keys, checked by check_fault): a fault made
of such keys only (plus delay_ms) does not answer by itself; the request is
served by handle() with req.fault set to the fault's dict.

Request bodies above 1 MiB are answered 413 (and the connection is closed).
"""

import collections
import http
import json
import os
import signal
import socket
import struct
import sys
import threading
import time
import traceback
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MAX_BODY = 1024 * 1024
MAX_RECORDS = 10000
JSON_TYPE = "application/json"
FAULT_KEYS = {"status", "retry_after", "body", "content_type", "delay_ms",
              "reset", "malformed", "oversized", "times", "match", "skip", "param"}
MALFORMED_BODY = b'{"id": "truncated", "items": [1, 2, '


class HTTPError(Exception):
    """An error answer: status, message and optional extra headers."""

    def __init__(self, status, message, headers=None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


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


def decode_body(body):
    """Recorded form of a body: JSON value, raw text, or None when empty."""
    if not body:
        return None
    text = body.decode("utf-8", errors="replace")
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return text


def reason_phrase(status):
    """The standard reason phrase of a status, or a generic one."""
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return "Status %d" % status


def truthy(value):
    """Whether a control parameter value means yes (1, "1", true, "true")."""
    return value not in (None, 0, "0", False, "", "false", "no")


def int_param(params, key, default=None, minimum=0):
    """An integer control parameter, checked; HTTPError 400 when invalid."""
    value = params.get(key, default)
    if value is None:
        return None
    try:
        value = int(value)
    except (TypeError, ValueError):
        raise HTTPError(400, "%s must be an integer" % key)
    if value < minimum:
        raise HTTPError(400, "%s must be >= %d" % (key, minimum))
    return value


class App:
    """Base of a stand-in: recording, fault queue, settings, control commands."""

    name = "stand-in"

    def __init__(self):
        self.lock = threading.Lock()
        self.verbose = False
        self._reset()

    # ---- hooks for subclasses -------------------------------------------
    def defaults(self):
        """Initial settings (restored by reset)."""
        return {}

    def reset_state(self):
        """Forget domain state."""

    def handle(self, req):
        """Serve one API request; returns a Reply."""
        raise HTTPError(404, "Not Found")

    def error_body(self, status, message):
        """Bytes of the JSON error body for status and message."""
        return json.dumps({"error": message}).encode()

    def header_facts(self, req):
        """Extra request facts to record (never a credential)."""
        return {}

    def ctl_set(self, params):
        """Consume (pop) app-specific keys of a `set` command."""

    fault_keys = frozenset()

    def check_fault(self, fault):
        """Validate the app keys of a fault (dict, app keys as given)."""

    def ctl_commands(self):
        """Extra control commands: {name: method(params) -> JSON-able}."""
        return {}

    # ---- helpers for subclasses ------------------------------------------
    def counter(self, kind):
        """Next value (1, 2, ...) of the id counter `kind` since reset."""
        self._counters[kind] += 1
        return self._counters[kind]

    def elapsed(self):
        """Seconds since the last reset."""
        return time.monotonic() - self._t0

    # ---- internals --------------------------------------------------------
    def _reset(self):
        """Reset everything (lock held or during construction)."""
        self._t0 = time.monotonic()
        self._records = collections.deque(maxlen=MAX_RECORDS)
        self._faults = []
        self._counters = collections.Counter()
        self._stats = {"connections": 0, "requests": 0}
        self._generation = object()  # marks connections counted since this reset
        self.settings = dict(self.defaults())
        self.reset_state()

    def record(self, req, conn):
        """Record an arriving request on connection conn (its handler)."""
        facts = {
            "accept": req.headers.get("Accept"),
            "content_type": req.headers.get("Content-Type"),
            "user_agent": req.headers.get("User-Agent"),
        }
        facts.update(self.header_facts(req))
        rec = {"method": req.method, "path": req.path, "query": req.query,
               "body": decode_body(req.body), "status": None,
               "t": round(self.elapsed(), 3), "headers": facts}
        with self.lock:
            self._records.append(rec)
            self._stats["requests"] += 1
            if getattr(conn, "counted_in", None) is not self._generation:
                conn.counted_in = self._generation
                self._stats["connections"] += 1
        return rec

    def take_fault(self, target):
        """Pop one use of the first queued fault matching target, or None."""
        query = target.partition("?")[2]
        params = urllib.parse.parse_qs(query, keep_blank_values=True)
        with self.lock:
            for fault in list(self._faults):
                if fault["match"] not in target:
                    continue
                if fault["param"] is not None:
                    name, value = fault["param"]
                    if value not in params.get(name, ()):
                        continue
                if fault["skip"] > 0:
                    fault["skip"] -= 1
                    continue
                fault["times"] -= 1
                if fault["times"] <= 0:
                    self._faults.remove(fault)
                return dict(fault)
        return None

    def serve_api(self, req):
        """Run handle() under the lock, turning errors into replies."""
        try:
            with self.lock:
                return self.handle(req)
        except HTTPError as err:
            return Reply(err.status, self.error_body(err.status, err.message),
                         JSON_TYPE, err.headers)
        except Exception:
            traceback.print_exc()
            return Reply(500, self.error_body(500, "Internal error"))

    def control(self, cmd, params):
        """Run a control command; returns (status, JSON-able object)."""
        commands = {"reset": self._ctl_reset, "fault": self._ctl_fault,
                    "last": self._ctl_last, "requests": self._ctl_requests,
                    "stats": self._ctl_stats, "set": self._ctl_set}
        for name, method in self.ctl_commands().items():
            commands.setdefault(name, method)
        if cmd not in commands:
            return 404, {"error": "unknown control command %r" % cmd}
        try:
            with self.lock:
                return 200, commands[cmd](dict(params))
        except HTTPError as err:
            return err.status, {"error": err.message}

    def _ctl_reset(self, params):
        """reset: forget everything, restore settings."""
        self._reset()
        return {"ok": True}

    def _ctl_fault(self, params):
        """fault: validate and queue one fault."""
        unknown = sorted(set(params) - FAULT_KEYS - set(self.fault_keys))
        if unknown:
            raise HTTPError(400, "unknown fault key(s): %s" % ", ".join(unknown))
        fault = {
            "status": int_param(params, "status", minimum=100),
            "retry_after": None if params.get("retry_after") is None
            else str(params["retry_after"]),
            "body": None if params.get("body") is None else str(params["body"]),
            "content_type": str(params.get("content_type", JSON_TYPE)),
            "delay_ms": int_param(params, "delay_ms", 0),
            "reset": truthy(params.get("reset")),
            "malformed": truthy(params.get("malformed")),
            "oversized": int_param(params, "oversized"),
            "times": int_param(params, "times", 1, minimum=1),
            "match": str(params.get("match", "")),
            "skip": int_param(params, "skip", 0),
            "param": None,
        }
        if params.get("param") is not None:
            name, eq, value = str(params["param"]).partition("=")
            if not eq or not name:
                raise HTTPError(400, "param must be NAME=VALUE")
            fault["param"] = (name, value)
        app_keys = {k: params[k] for k in self.fault_keys if k in params}
        if (fault["status"] is None and not fault["reset"] and not fault["malformed"]
                and fault["oversized"] is None and not fault["delay_ms"] and not app_keys):
            raise HTTPError(400, "a fault needs status, reset, malformed, oversized or delay_ms")
        if app_keys:
            self.check_fault(app_keys)
        fault["app"] = app_keys or None
        if fault["status"] is not None and fault["status"] > 599:
            raise HTTPError(400, "status must be <= 599")
        self._faults.append(fault)
        return {"ok": True}

    @staticmethod
    def _shape(rec, params):
        """The printed form of a record, per the times/headers options."""
        out = {k: rec[k] for k in ("method", "path", "query", "body", "status")}
        if truthy(params.get("times")):
            out["t"] = rec["t"]
        if truthy(params.get("headers")):
            out["headers"] = rec["headers"]
        if truthy(params.get("params")):
            out["params"] = urllib.parse.parse_qs(rec["query"], keep_blank_values=True)
        return out

    def _ctl_last(self, params):
        """last: the last recorded request, or None."""
        return self._shape(self._records[-1], params) if self._records else None

    def _ctl_requests(self, params):
        """requests: the last n (default all) recorded requests."""
        recs = list(self._records)
        n = int_param(params, "n")
        if n is not None:
            recs = recs[-n:] if n > 0 else []
        return [self._shape(r, params) for r in recs]

    def _ctl_stats(self, params):
        """stats: connection and request counts since reset."""
        return dict(self._stats)

    def _ctl_set(self, params):
        """set: app keys first (ctl_set), then typed settings."""
        self.ctl_set(params)
        for key, value in params.items():
            if key not in self.settings:
                raise HTTPError(400, "unknown setting %r" % key)
            current = self.settings[key]
            if isinstance(current, bool):
                value = truthy(value)
            elif isinstance(current, int):
                value = int_param(params, key)
            elif isinstance(current, str):
                value = str(value)
            self.settings[key] = value
        return {"ok": True}


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
