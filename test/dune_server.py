"""Strict stand-in for Dune's materialized-view and execution API (stdlib only).

Usage: python3 test/dune_server.py --port P --api-key K [--team T] [--verbose]
Prints "ready <port>" once listening (--port 0 picks a free port); SIGTERM stops it.
Base behaviour (recording, faults, /_ctl/ endpoints): see stand_in.py.

Served under /api (the base URL is http://127.0.0.1:P/api):
    POST   /api/v1/materialized-views                 upsert  -> {execution_id, name}
    GET    /api/v1/materialized-views?limit=&offset=  list
    GET    /api/v1/materialized-views/{name}          get (fully qualified name)
    DELETE /api/v1/materialized-views/{name}          delete  -> {"message": "ok"}
    POST   /api/v1/materialized-views/{name}/refresh  refresh -> {execution_id, sql_id}
    GET    /api/v1/execution/{id}/status              status
    POST   /api/v1/execution/{id}/cancel              cancel  -> {"success": bool}

Checks, in this order, answered {"error": message}: api_key in the query string
400; X-Dune-Api-Key != expected 401 "Invalid API Key"; Accept without
application/json 406; User-Agent not starting with "dune_mv/" 400; unknown path
404; wrong method 405; unexpected query parameter 400; POST with a body but
Content-Type not application/json 415; body not a JSON object 400 (cancel may
have an empty body); field checks 400 naming the field (unknown fields, null
values and wrong JSON types are refused, unlike the real API).

Upsert refuses a cron expression that does not have 5 fields or whose runs are
less than 15 minutes or more than a week apart (over the next 800 days).

Settings (ctl set): api_key, page_size (default and max list limit, 10000),
pending_ms, executing_ms, final_state (for new executions), and
`set exec=<id> state=<STATE>` forces an execution's state.  An execution is
PENDING for pending_ms, then EXECUTING for executing_ms, then final_state.
is_execution_finished is true only for the documented terminal states, so an
unknown final_state exercises the client's "neither PENDING nor EXECUTING" rule.
"""

import argparse
import datetime
import re
import time
import urllib.parse

import stand_in
from stand_in import HTTPError, Reply

NAME_RE = re.compile(r"^result_([a-z0-9_]*[a-z0-9])?$")
EXPIRES_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$")
PERFORMANCES = ("small", "medium", "large")
UPSERT_TYPES = {"name": str, "query_id": int, "cron_expression": str,
                "expires_at": str, "is_private": bool, "performance": str}
PENDING, EXECUTING = "QUERY_STATE_PENDING", "QUERY_STATE_EXECUTING"
CANCELLED = ("QUERY_STATE_CANCELLED", "QUERY_STATE_CANCELED")
TERMINAL = {"QUERY_STATE_COMPLETED", "QUERY_STATE_COMPLETED_PARTIAL",
            "QUERY_STATE_FAILED", "QUERY_STATE_EXPIRED"} | set(CANCELLED)
WITH_RESULT = ("QUERY_STATE_COMPLETED", "QUERY_STATE_COMPLETED_PARTIAL")
FAILED_ERROR = {"type": "FAILED_TYPE_EXECUTION_FAILED", "message": "boom",
                "metadata": {"line": 1, "column": 2}}
OWNER_TEAM_ID, OWNER_USER_ID = 1001, 2002
TABLE_SIZE = 4096
MAX_LAST_EXECUTIONS = 10
NOT_FOUND = "Object not found"

# ---- cron (just enough to check the interval rule) -------------------------

MONTHS = "JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC".split()
DAYS = "SUN MON TUE WED THU FRI SAT".split()
CRON_FIELDS = ((0, 59, None, 0), (0, 23, None, 0), (1, 31, None, 0),
               (1, 12, MONTHS, 1), (0, 7, DAYS, 0))
CRON_DAYS = 800  # two years: every yearly gap shows
WEEK_MINUTES = 7 * 24 * 60
TOO_OFTEN = "runs must be at least 15 minutes apart"


def cron_value(text, names, base):
    """One cron number or name."""
    if names and text.upper() in names:
        return names.index(text.upper()) + base
    if not text.isdigit():
        raise ValueError("bad value %r" % text)
    return int(text)


def cron_field(text, lo, hi, names, base):
    """The set of values a cron field allows."""
    values = set()
    for part in text.split(","):
        rng, slash, step = part.partition("/")
        if slash and (not step.isdigit() or int(step) == 0):
            raise ValueError("bad step in %r" % part)
        step = int(step) if slash else 1
        if rng == "*":
            first, last = lo, hi
        elif "-" in rng:
            first, last = (cron_value(v, names, base) for v in rng.split("-", 1))
        else:
            first = cron_value(rng, names, base)
            last = hi if slash else first
        if not lo <= first <= last <= hi:
            raise ValueError("value out of range in %r" % part)
        values.update(range(first, last + 1, step))
    return values


def cron_fires(expr, day0):
    """Fire times (minutes since day0 00:00 UTC) over CRON_DAYS days."""
    fields = expr.split(" ")
    if len(fields) != 5 or not all(fields):
        raise ValueError("need 5 space-separated fields")
    minute, hour, dom, month, dow = (cron_field(f, *spec)
                                     for f, spec in zip(fields, CRON_FIELDS))
    if 7 in dow:
        dow.add(0)
    either = not fields[2].startswith("*") and not fields[4].startswith("*")
    times = sorted(h * 60 + m for h in hour for m in minute)
    if any(b - a < 15 for a, b in zip(times, times[1:])):
        raise ValueError(TOO_OFTEN)
    fires = []
    for i in range(CRON_DAYS):
        day = day0 + datetime.timedelta(days=i)
        dom_ok, dow_ok = day.day in dom, day.isoweekday() % 7 in dow
        if day.month in month and ((dom_ok or dow_ok) if either else (dom_ok and dow_ok)):
            fires.extend(i * 1440 + t for t in times)
    return fires


def cron_next_run(expr, now):
    """Next run after now (datetime, UTC); ValueError when expr is refused."""
    day0 = datetime.datetime.combine(now.date(), datetime.time(), datetime.timezone.utc)
    fires = cron_fires(expr, day0.date())
    gaps = [b - a for a, b in zip(fires, fires[1:])]
    if not gaps or max(gaps) > WEEK_MINUTES:
        raise ValueError("runs must be at most one week apart")
    if min(gaps) < 15:
        raise ValueError(TOO_OFTEN)
    now_minute = (now - day0).total_seconds() / 60
    nxt = next(f for f in fires if f > now_minute)
    return day0 + datetime.timedelta(minutes=nxt)


# ---- executions ---------------------------------------------------------------

def rfc3339(dt, nanos=True):
    """RFC 3339 UTC text, with 9 fractional digits when nanos."""
    text = dt.strftime("%Y-%m-%dT%H:%M:%S")
    return text + (".%06d000Z" % dt.microsecond if nanos else "Z")


def utcnow():
    """The current time as an aware UTC datetime."""
    return datetime.datetime.now(datetime.timezone.utc)


class Execution:
    """One execution; its state follows from time since creation."""

    def __init__(self, exec_id, query_id, settings):
        self.id = exec_id
        self.query_id = query_id
        self.pending_ms = settings["pending_ms"]
        self.executing_ms = settings["executing_ms"]
        self.final_state = settings["final_state"]
        self.created = time.monotonic()
        self.submitted_at = utcnow()
        self.forced = None
        self.cancelled = None  # (wall time, ms since creation) once cancelled

    def _elapsed_ms(self):
        """Milliseconds since creation."""
        return (time.monotonic() - self.created) * 1000.0

    def _at(self, ms):
        """Wall time ms after submission."""
        return self.submitted_at + datetime.timedelta(milliseconds=ms)

    def state(self):
        """(state, phase): phase 0 pending, 1 executing, 2 over."""
        if self.forced:
            return self.forced, {PENDING: 0, EXECUTING: 1}.get(self.forced, 2)
        if self.cancelled:
            return CANCELLED[0], 2
        elapsed = self._elapsed_ms()
        if elapsed < self.pending_ms:
            return PENDING, 0
        if elapsed < self.pending_ms + self.executing_ms:
            return EXECUTING, 1
        return self.final_state, 2

    def is_over(self):
        """Whether the execution reached a state other than PENDING/EXECUTING."""
        return self.state()[1] == 2

    def cancel(self):
        """Cancel if not over; returns whether it was cancelled."""
        if self.is_over():
            return False
        self.forced = None
        self.cancelled = (utcnow(), self._elapsed_ms())
        return True

    def status(self):
        """The body of GET /v1/execution/{id}/status."""
        state, phase = self.state()
        out = {"execution_id": self.id, "query_id": self.query_id, "state": state,
               "is_execution_finished": state in TERMINAL,
               "submitted_at": rfc3339(self.submitted_at)}
        started = phase >= 1 and not (self.cancelled and not self.forced
                                      and self.cancelled[1] < self.pending_ms)
        if started:
            out["execution_started_at"] = rfc3339(self._at(self.pending_ms))
        if state in CANCELLED:
            out["cancelled_at"] = rfc3339(self.cancelled[0] if self.cancelled else utcnow())
        elif phase == 2:
            ended = self._at(self.pending_ms + self.executing_ms)
            out["execution_ended_at"] = rfc3339(ended)
            if state in WITH_RESULT:
                out["expires_at"] = rfc3339(ended + datetime.timedelta(days=90))
        if phase == 2:
            out["execution_cost_credits"] = 0.5
        if state == "QUERY_STATE_FAILED":
            out["error"] = dict(FAILED_ERROR)
        return out


# ---- request checks -------------------------------------------------------------

def media_type(value):
    """The lower-case media type of a header value, parameters dropped."""
    return (value or "").split(";")[0].strip().lower()


def accepts_json(value):
    """Whether an Accept header lists application/json."""
    return any(media_type(item) == "application/json" for item in (value or "").split(","))


def check_fields(body, types, required=()):
    """Refuse unknown, missing, null or wrongly typed fields (400)."""
    for key in body:
        if key not in types:
            raise HTTPError(400, "unknown field: %s" % key)
    for key in required:
        if key not in body:
            raise HTTPError(400, "missing field: %s" % key)
    for key, value in body.items():
        want = types[key]
        if type(value) is not want:  # bool is not int, float is not int
            kind = {str: "a string", int: "an integer", bool: "a boolean"}[want]
            raise HTTPError(400, "field %s must be %s" % (key, kind))


def check_performance(body):
    """Refuse an unknown performance tier."""
    if "performance" in body and body["performance"] not in PERFORMANCES:
        raise HTTPError(400, "field performance must be one of small, medium, large")


def check_upsert(body):
    """Validate an upsert body; returns the cron's next run time or None."""
    check_fields(body, UPSERT_TYPES, ("name", "query_id"))
    name = body["name"]
    if not (8 <= len(name) <= 128 and NAME_RE.match(name)):
        raise HTTPError(400, "field name must match ^result_([a-z0-9_]*[a-z0-9])?$ "
                             "and have 8 to 128 characters")
    if not 0 < body["query_id"] < 2 ** 63:
        raise HTTPError(400, "field query_id must be a positive integer")
    check_performance(body)
    if "expires_at" in body:
        check_expires_at(body["expires_at"])
    if "cron_expression" not in body:
        return None
    try:
        return cron_next_run(body["cron_expression"], utcnow())
    except ValueError as err:
        raise HTTPError(400, "field cron_expression is invalid: %s" % err)


def check_expires_at(text):
    """Refuse anything but RFC 3339 UTC with a Z suffix."""
    ok = EXPIRES_RE.match(text) is not None
    if ok:
        try:
            datetime.datetime.strptime(text[:19], "%Y-%m-%dT%H:%M:%S")
        except ValueError:
            ok = False
    if not ok:
        raise HTTPError(400, "field expires_at must be RFC 3339 UTC (YYYY-MM-DDTHH:MM:SSZ)")


# ---- the app ------------------------------------------------------------------

ROUTES = (
    (("materialized-views",), {"GET": "list_views", "POST": "upsert"}),
    (("materialized-views", None), {"GET": "get_view", "DELETE": "delete_view"}),
    (("materialized-views", None, "refresh"), {"POST": "refresh"}),
    (("execution", None, "status"), {"GET": "exec_status"}),
    (("execution", None, "cancel"), {"POST": "exec_cancel"}),
)


def route(path):
    """(methods, decoded path arguments) for a path, or HTTPError 404."""
    segments = path.split("/")
    if segments[:3] == ["", "api", "v1"]:
        rest = segments[3:]
        for pattern, methods in ROUTES:
            if len(pattern) == len(rest) and all(
                    p == s if p else s for p, s in zip(pattern, rest)):
                args = [urllib.parse.unquote(s) for p, s in zip(pattern, rest) if not p]
                return methods, args
    raise HTTPError(404, "Not Found")


class DuneApp(stand_in.App):
    """In-memory Dune: matviews and executions."""

    name = "dune"

    def __init__(self, api_key, team):
        self.api_key = api_key
        self.team = team
        super().__init__()

    def defaults(self):
        return {"api_key": self.api_key, "page_size": 10000, "pending_ms": 0,
                "executing_ms": 0, "final_state": "QUERY_STATE_COMPLETED"}

    def reset_state(self):
        self.views = {}  # fully qualified name -> view dict, creation order
        self.executions = {}

    def header_facts(self, req):
        """Whether the API key matched (never the key itself)."""
        return {"key_ok": req.headers.get("X-Dune-Api-Key") == self.settings["api_key"]}

    def ctl_set(self, params):
        """set exec=<id> state=<STATE>: force an execution's state."""
        if "exec" not in params:
            return
        exec_id, state = str(params.pop("exec")), params.pop("state", None)
        if not state:
            raise HTTPError(400, "set exec=<id> needs state=<STATE>")
        self._execution(exec_id).forced = str(state)

    # ---- dispatch ----
    def handle(self, req):
        """Common checks, routing, then the endpoint method."""
        if "api_key" in req.params:
            raise HTTPError(400, "api_key must not be sent in the query string")
        if not self.header_facts(req)["key_ok"]:
            raise HTTPError(401, "Invalid API Key")
        if not accepts_json(req.headers.get("Accept")):
            raise HTTPError(406, "Accept must include application/json")
        if not req.headers.get("User-Agent", "").startswith("dune_mv/"):
            raise HTTPError(400, "User-Agent must start with dune_mv/")
        methods, args = route(req.path)
        if req.method not in methods:
            raise HTTPError(405, "Method Not Allowed",
                            {"Allow": ", ".join(sorted(methods))})
        endpoint = methods[req.method]
        if endpoint != "list_views" and req.params:
            raise HTTPError(400, "unexpected query parameter: %s" % sorted(req.params)[0])
        if req.method == "POST":
            args.append(self._json_object(req, endpoint == "exec_cancel"))
        return Reply.json(200, getattr(self, endpoint)(req, *args))

    @staticmethod
    def _json_object(req, empty_ok):
        """The POST body as a dict (415/400 when unfit)."""
        if empty_ok and not req.body:
            return {}
        if media_type(req.headers.get("Content-Type")) != "application/json":
            raise HTTPError(415, "Content-Type must be application/json")
        try:
            body = req.json()
        except ValueError:
            raise HTTPError(400, "body is not valid JSON")
        if not isinstance(body, dict):
            raise HTTPError(400, "body must be a JSON object")
        return body

    def _view(self, name):
        """The view with this fully qualified name (404 otherwise)."""
        if name not in self.views:
            raise HTTPError(404, NOT_FOUND)
        return self.views[name]

    def _execution(self, exec_id):
        """The execution with this id (404 otherwise)."""
        if exec_id not in self.executions:
            raise HTTPError(404, NOT_FOUND)
        return self.executions[exec_id]

    def _start(self, view):
        """Start an execution for view; returns its id."""
        exec_id = "01JDMV%020d" % self.counter("execution")
        self.executions[exec_id] = Execution(exec_id, view["query_id"], self.settings)
        view["executions"].insert(0, exec_id)
        return exec_id

    # ---- endpoints ----
    def upsert(self, req, body):
        """POST /v1/materialized-views: create or replace, start an execution."""
        next_run = check_upsert(body)
        fq_name = "dune.%s.%s" % (self.team, body["name"])
        old = self.views.get(fq_name)
        if old and old["query_id"] != body["query_id"]:
            raise HTTPError(409, "conflicting existing Matview")
        view = dict(body, fq_name=fq_name, next_run=next_run,
                    executions=old["executions"] if old else [])
        self.views[fq_name] = view
        return {"execution_id": self._start(view), "name": fq_name}

    def list_views(self, req):
        """GET /v1/materialized-views?limit=&offset=: one page, creation order."""
        limit = self._query_int(req, "limit", self.settings["page_size"], 1)
        offset = self._query_int(req, "offset", 0, 0)
        extra = sorted(set(req.params) - {"limit", "offset"})
        if extra:
            raise HTTPError(400, "unexpected query parameter: %s" % extra[0])
        views = list(self.views.values())
        page = views[offset:offset + min(limit, self.settings["page_size"])]
        out = {"materialized_views": [self._summary(v) for v in page]}
        if offset + len(page) < len(views):
            out["next_offset"] = offset + len(page)
        return out

    def get_view(self, req, name):
        """GET /v1/materialized-views/{name}."""
        view = self._view(name)
        out = self._summary(view)
        out.update(last_execution_ids=view["executions"][:MAX_LAST_EXECUTIONS],
                   owner_team_id=OWNER_TEAM_ID, owner_user_id=OWNER_USER_ID,
                   schedule=None)
        if view.get("cron_expression"):
            out["schedule"] = {
                "cron_expression": view["cron_expression"],
                "performance": view.get("performance", "medium"),
                "next_execution_time": rfc3339(view["next_run"], nanos=False),
                "expires_at": view.get("expires_at"),
            }
        return out

    def delete_view(self, req, name):
        """DELETE /v1/materialized-views/{name}."""
        del self.views[self._view(name)["fq_name"]]
        return {"message": "ok"}

    def refresh(self, req, name, body):
        """POST /v1/materialized-views/{name}/refresh: start an execution."""
        view = self._view(name)
        check_fields(body, {"performance": str})
        check_performance(body)
        return {"execution_id": self._start(view), "sql_id": view["fq_name"]}

    def exec_status(self, req, exec_id):
        """GET /v1/execution/{id}/status."""
        return self._execution(exec_id).status()

    def exec_cancel(self, req, exec_id, body):
        """POST /v1/execution/{id}/cancel (empty body or {})."""
        if body:
            raise HTTPError(400, "unknown field: %s" % sorted(body)[0])
        return {"success": self._execution(exec_id).cancel()}

    # ---- helpers ----
    def _summary(self, view):
        """A view as listed."""
        completed = any(self.executions[e].state()[0] in WITH_RESULT
                        for e in view["executions"])
        return {"id": view["fq_name"], "sql_id": view["fq_name"],
                "query_id": view["query_id"], "is_private": view.get("is_private", False),
                "table_size_bytes": TABLE_SIZE if completed else 0}

    @staticmethod
    def _query_int(req, key, default, minimum):
        """An integer query parameter given at most once (400 otherwise)."""
        values = req.params.get(key)
        if values is None:
            return default
        if len(values) != 1 or not values[0].isdigit() or int(values[0]) < minimum:
            raise HTTPError(400, "query parameter %s must be an integer >= %d" % (key, minimum))
        return int(values[0])


def main():
    """Parse arguments and serve."""
    parser = argparse.ArgumentParser(description="Dune API stand-in")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--api-key", required=True)
    parser.add_argument("--team", default="testteam")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    stand_in.serve(DuneApp(args.api_key, args.team), args.port, args.verbose)


if __name__ == "__main__":
    main()
