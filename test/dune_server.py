r"""Strict stand-in for Dune's materialized-view and execution API (stdlib only).

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
    GET    /api/v1/execution/{id}/results             one page of the result, JSON
    GET    /api/v1/execution/{id}/results/csv         one page of the result, CSV
(The spec has no results path for a materialized view by name: a view's rows are
read through the execution that refreshed it.)

Checks, in this order, answered {"error": message}: api_key in the query string
400; X-Dune-Api-Key != expected 401 "Invalid API Key"; Accept without
application/json 406 (the CSV endpoint: without text/csv or text/plain);
User-Agent not starting with "dune_mv/" 400; unknown path 404; wrong method
405; unexpected query parameter 400; POST with a body but Content-Type not
application/json 415; body not a JSON object 400 (cancel may have an empty
body); field checks 400 naming the field (unknown fields, null values and wrong
JSON types are refused, unlike the real API).

Upsert refuses a cron expression that does not have 5 fields or whose runs are
less than 15 minutes or more than a week apart (over the next 800 days).

Settings (ctl set): api_key, page_size (default and max list limit, 10000),
pending_ms, executing_ms, final_state (for new executions), max_datapoints
(0: none; else a results page holds at most max(1, N // columns) rows unless
ignore_max_datapoints_per_request=true; Dune's default is 250000, ASSUMED to
shorten the page rather than fail), and `set exec=<id> state=<STATE>` forces
an execution's state.  An execution is PENDING for pending_ms, then EXECUTING
for executing_ms, then final_state.
is_execution_finished is true only for the documented terminal states, so an
unknown final_state exercises the client's "neither PENDING nor EXECUTING" rule.

Results.  Query parameters, each at most once, typed as the spec says (others
400): limit (integer >= 1), offset (integer >= 0), columns (comma-separated
names, in the order wanted), filters (a subset of Dune's WHERE-like language:
= != <> < <= > >= IN (...) LIKE, IS [NOT] NULL, AND, OR, parentheses), sort_by
("col [asc|desc], ..."; NULLs last), sample_count (integer >= 1, evenly spaced
rows, not with limit/offset/filters), allow_partial_results and
ignore_max_datapoints_per_request (true or false).  A page holds the rows
[offset, offset+limit) of the (filtered, sorted) result; next_offset and
next_uri (the request's parameters with the next offset) are present until
the end; an offset past the end gives no rows.  JSON: the execution's status
fields (execution_id, query_id, state, is_execution_finished, submitted_at,
expires_at, execution_started_at, execution_ended_at), next_offset?,
next_uri?, result {metadata {column_names, column_types, row_count,
result_set_bytes, total_row_count, total_result_set_bytes, datapoint_count,
pending_time_millis, execution_time_millis}, rows [objects]}; CSV: a header
line and the rows, next page in x-dune-next-offset / x-dune-next-uri, type
text/plain (the spec's).  How each type's values are written: see the comment
in dune_render.py.  Without a result: unknown
execution 404 "Object not found";
PENDING, EXECUTING, FAILED, CANCELLED, EXPIRED or an unknown state: JSON 200
with the status fields alone (and error when failed), as Dune's clients
expect; CSV 400 (ASSUMED); COMPLETED_PARTIAL 400 "Partial Result, please
request with 'allows_partial_results=true'" unless allow_partial_results=true.
*_bytes count the rows' JSON without separators.

Which rows (control command, ctl.py dune results ...):
    results [exec=<id>|default] [dataset=types|bench] [rows=N] [bignum=number|string]
            [metadata_last=1] [prepare=json|csv|both]
dataset "types" (default, 12 rows unless rows=): one column per type the loader
maps, the first 11 rows hand-made edge cases (NULLs, extremes, unicode, COPY's
\N and \. markers as text, NaN/Infinity, -0, 1e+21), then generated rows;
"bench": 10 mixed columns (default 1000 rows, up to 10,000,000).  A dataset is
rendered once (JSON and CSV separately, on first use or with prepare=) and
pages are slices of those bytes, sent without copying: 1M bench rows in pages
of 10k-100k take well under a second to serve.  bignum=string renders
decimals, uint256 and int256 as JSON strings; metadata_last=1 puts "rows"
before "metadata".  An execution without its own setting uses "default";
exec=<id> may name an execution that does not exist yet.  Reset restores the
default (types, 12 rows).

Results faults (ctl.py dune fault results=KIND [column=NAME] [value=TEXT] [row=N]
plus the shared keys; use match=/results and param=offset=N or skip=N to hit one
page): malformed (a stray byte between the page's two middle rows: "@" in JSON,
a bare quote in CSV), truncated (the first half of the body), bad_value (the
value of column NAME, by default the first whose type has one, in page row N
(default 0) becomes TEXT, by default one that does not parse as the type:
"abc" for numbers, "2024-02-30" for a date, ...), rename_column (NAME, by
default the first column, becomes NAME_renamed in metadata and rows),
retype_column (declared varchar, values as strings), drop_column, extra_column
(a varchar column "extra_column" = "surprise"), repeat_offset (next_offset and
next_uri point at this page's own offset), rows_not_array ("rows" is an object),
no_metadata (no "metadata").  The last two and retype_column apply to JSON only.

Modules: this one serves (checks, routing, matviews and executions endpoints);
dune_cron.py checks cron expressions, dune_executions.py gives an execution's
state, dune_results.py serves results pages (dune_filters.py: filters and
sort_by; dune_datasets.py: the datasets and their prepared bytes; dune_render.py:
how each type's values are written).
"""

import argparse
import datetime
import re
import urllib.parse

import stand_in
from dune_cron import cron_next_run
from dune_datasets import TYPES_DEFAULT_ROWS
from dune_executions import WITH_RESULT, Execution, rfc3339, utcnow
from dune_results import ResultsEndpoints
from stand_in import HTTPError, Reply

NAME_RE = re.compile(r"^result_([a-z0-9_]*[a-z0-9])?$")
EXPIRES_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$")
PERFORMANCES = ("small", "medium", "large")
UPSERT_TYPES = {"name": str, "query_id": int, "cron_expression": str,
                "expires_at": str, "is_private": bool, "performance": str}
OWNER_TEAM_ID, OWNER_USER_ID = 1001, 2002
TABLE_SIZE = 4096
MAX_LAST_EXECUTIONS = 10
NOT_FOUND = "Object not found"


# ---- request checks -------------------------------------------------------------

def media_type(value):
    """The lower-case media type of a header value, parameters dropped."""
    return (value or "").split(";")[0].strip().lower()


def accepts_json(value):
    """Whether an Accept header lists application/json."""
    return any(media_type(item) == "application/json" for item in (value or "").split(","))


def accepts_csv(value):
    """Whether an Accept header lists text/csv or text/plain (the CSV endpoint)."""
    return any(media_type(item) in ("text/csv", "text/plain") for item in (value or "").split(","))


def is_csv_path(path):
    """Whether a path is that of the CSV results endpoint."""
    segments = path.split("/")
    return (len(segments) == 7 and segments[:4] == ["", "api", "v1", "execution"]
            and segments[5:] == ["results", "csv"] and segments[4] != "")


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
    (("execution", None, "results"), {"GET": "exec_results"}),
    (("execution", None, "results", "csv"), {"GET": "exec_results_csv"}),
)
WITH_QUERY = {"list_views", "exec_results", "exec_results_csv"}


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


class DuneApp(ResultsEndpoints, stand_in.App):
    """In-memory Dune: matviews and executions (results: ResultsEndpoints)."""

    name = "dune"

    def __init__(self, api_key, team):
        self.api_key = api_key
        self.team = team
        super().__init__()

    def defaults(self):
        return {"api_key": self.api_key, "page_size": 10000, "pending_ms": 0,
                "executing_ms": 0, "final_state": "QUERY_STATE_COMPLETED",
                "max_datapoints": 0}

    def reset_state(self):
        self.views = {}  # fully qualified name -> view dict, creation order
        self.executions = {}
        self.results_cfg = {"default": {"dataset": "types", "rows": TYPES_DEFAULT_ROWS,
                                        "bignum": "number", "metadata_last": False}}

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
        if is_csv_path(req.path):
            if not accepts_csv(req.headers.get("Accept")):
                raise HTTPError(406, "Accept must include text/csv or text/plain")
        elif not accepts_json(req.headers.get("Accept")):
            raise HTTPError(406, "Accept must include application/json")
        if not req.headers.get("User-Agent", "").startswith("dune_mv/"):
            raise HTTPError(400, "User-Agent must start with dune_mv/")
        methods, args = route(req.path)
        if req.method not in methods:
            raise HTTPError(405, "Method Not Allowed",
                            {"Allow": ", ".join(sorted(methods))})
        endpoint = methods[req.method]
        if endpoint not in WITH_QUERY and req.params:
            raise HTTPError(400, "unexpected query parameter: %s" % sorted(req.params)[0])
        if req.method == "POST":
            args.append(self._json_object(req, endpoint == "exec_cancel"))
        out = getattr(self, endpoint)(req, *args)
        return out if isinstance(out, Reply) else Reply.json(200, out)

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
