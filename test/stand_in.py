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

This module owns the app side (settings, recording, the fault queue, control
commands); stand_in_http.py owns the wire (Reply, Request, the connection handler,
applying a fault to the answer, serve()).  Both Reply and serve() are re-exported
here, so that a stand-in needs only `import stand_in`.
"""

import collections
import json
import threading
import time
import traceback
import urllib.parse

from stand_in_http import JSON_TYPE, Reply, serve  # noqa: F401 (re-exported: the subclass API)

MAX_RECORDS = 10000
FAULT_KEYS = {"status", "retry_after", "body", "content_type", "delay_ms",
              "reset", "malformed", "oversized", "times", "match", "skip", "param"}


class HTTPError(Exception):
    """An error answer: status, message and optional extra headers."""

    def __init__(self, status, message, headers=None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


def decode_body(body):
    """Recorded form of a body: JSON value, raw text, or None when empty."""
    if not body:
        return None
    text = body.decode("utf-8", errors="replace")
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return text


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
