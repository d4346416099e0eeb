#!/usr/bin/env python3
"""The fault matrix of test/suites/fault_matrix.sh: every SQL function that calls
a remote API (ROWS) against every fault the stand-in servers can play (COLUMNS),
generated from those two tables, one check per cell.

Usage (from the suite, with the environment of test/lib.sh: PGHOST, PGPORT,
PGUSER, DUNE_MV_DUNE_PORT, DUNE_MV_LANCE_PORT):
    python3 test/fault_matrix.py DATABASE
Optional: FM_ROWS / FM_COLS = comma-separated substrings of row names / column
keys to run only some cells (development).

A row is a function with a small setup (a view upserted or created first, an
execution or job started), the call under test, the path its request takes
(the fault's match=, which holds a token only that cell's request carries), the
operation and target it is recorded under, and its answers when all goes well
(from which the 2xx faults are derived: a field of the wrong type, NaN, a NUL).
A column is a fault (stand-in fault keys, plus settings for the call) and what
the README promises for it, as a function of the row's retry class
(paid write, write retried on 503 with Retry-After, idempotent read).

Each cell, in one persistent psql session per row (stdbuf + psql on pipes):
  1. the row's stand-in is reset; the setup runs, and a probe call (a cheap
     read that never matches any fault) opens the session's kept-alive
     connection;
  2. stand-in stats (connections) and max(dune_mv.calls.id) are read; the fault
     is queued; the call runs with the column's settings;
  3. asserted: the call ends in success or in the documented SQLSTATE, and its
     message carries the API's own text when the fault gave one; the backend
     is the same (pg_backend_pid) and alive; the probe, the next call of the
     session, works, over the same connection (stats connections did not grow)
     unless the fault closed it (then exactly one new connection); the call is
     recorded in dune_mv.calls: one 'ok' row when it succeeded, none when a
     read failed, and, for a call that changes remote state, one row written
     by the worker: 'error' with the HTTP status and the API's text when an
     answer came, 'unknown' when none did.
Output: "ok - <function> × <fault>" / "not ok - ...: why" per cell, then the
suite counts them and ends with check.sh's summary line.
"""

import http.client
import json
import os
import queue
import subprocess
import sys
import threading
import time

DB = sys.argv[1] if len(sys.argv) > 1 else "fault_matrix"
DUNE_TEAM = "testteam"
CELL_TIMEOUT_S = 90          # a call that hangs longer than this fails its cell
RECORD_WAIT_S = 15           # how long the worker may take to record a failed write

# ---------------------------------------------------------------------------
# The stand-ins' control endpoints (not recorded, not counted by stats).


class Ctl:
    """POST /_ctl/<cmd> to one stand-in over a kept-alive connection."""

    def __init__(self, port):
        self.port = int(port)
        self.conn = None

    def __call__(self, cmd, **params):
        for attempt in (1, 2):
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                self.conn.request("POST", "/_ctl/" + cmd, body=json.dumps(params).encode(),
                                  headers={"Content-Type": "application/json"})
                resp = self.conn.getresponse()
                data = json.loads(resp.read() or b"null")
                if resp.status != 200:
                    raise RuntimeError("ctl %s %s: %s" % (cmd, params, data))
                return data
            except (OSError, http.client.HTTPException):
                self.conn = None
                if attempt == 2:
                    raise


CTL = {"dune": Ctl(os.environ["DUNE_MV_DUNE_PORT"]),
       "lance": Ctl(os.environ["DUNE_MV_LANCE_PORT"])}

# ---------------------------------------------------------------------------
# A persistent psql session on pipes.


class Dead(Exception):
    """The psql session ended (its backend died or it exited)."""


class Psql:
    """One psql process; run() sends a script and returns its output lines."""

    def __init__(self):
        self.p = subprocess.Popen(
            ["stdbuf", "-oL", "-eL", "psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=0",
             "-d", DB],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True, bufsize=1, errors="replace")
        self.lines = queue.Queue()
        self.n = 0
        threading.Thread(target=self._reader, daemon=True).start()
        out = self.run("SET client_min_messages = warning;\nSELECT 'pid', pg_backend_pid();")
        self.pid = kv(out).get("pid")
        if self.pid is None:
            raise Dead("no session: %s" % out)

    def _reader(self):
        for line in self.p.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def run(self, script, timeout=CELL_TIMEOUT_S):
        """Run script; its output lines (stdout and stderr merged, in order)."""
        self.n += 1
        tag = "__FM_END_%d__" % self.n
        try:
            self.p.stdin.write(script.rstrip() + "\n\\echo " + tag + "\n")
            self.p.stdin.flush()
        except OSError as err:
            raise Dead("psql: %s" % err)
        out = []
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self.lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                self.close()
                raise Dead("no answer within %d s: %s" % (timeout, " | ".join(out[-5:])))
            if line is None:
                raise Dead("psql exited: %s" % " | ".join(out[-5:]))
            if line == tag:
                return out
            out.append(line)

    def close(self):
        try:
            self.p.stdin.close()
        except OSError:
            pass
        try:
            self.p.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()


def kv(lines):
    """The "key|value" lines of an output as a dict (first value)."""
    out = {}
    for line in lines:
        key, sep, value = line.partition("|")
        if sep and key and key not in out:
            out[key] = value
    return out


def errors_in(lines):
    """psql error lines of an output."""
    return [line for line in lines if "ERROR:" in line or "FATAL:" in line
            or "server closed the connection" in line or "connection to server" in line]


def lit(s):
    """A SQL string literal."""
    return "'" + str(s).replace("'", "''") + "'"


# ---------------------------------------------------------------------------
# The rows: every SQL function that calls a remote API.
#
# retry class: "paid" (upsert, refresh, cancel: never resent once it may have
# arrived), "write503" (Lance create, refresh, drop: also resent on 503 with
# Retry-After), "idem" (reads, and Dune's DELETE: resent on 502/503/504 and on
# a broken connection).  writes: the call changes remote state, so a failure
# is recorded by the worker from the journal.

T0 = "2026-01-02T03:04:05Z"


class Row:
    def __init__(self, name, provider, op, retry, writes, setup, call, match, token,
                 ok_body, wrong, nul, nan, wrong_ok=False, empty_ok=False, is_wait=False,
                 tolerates_404=False, ok_status=200, nul_alt=(), fresh=False):
        self.name, self.provider, self.op, self.retry, self.writes = name, provider, op, retry, writes
        self.setup, self.call, self.match, self.token = setup, call, match, token
        self.ok_body, self.wrong, self.nul, self.nan = ok_body, wrong, nul, nan
        self.wrong_ok, self.empty_ok, self.is_wait = wrong_ok, empty_ok, is_wait
        self.tolerates_404, self.ok_status = tolerates_404, ok_status
        self.nul_alt = nul_alt
        # a write without a body takes a new connection for each attempt (libcurl
        # would resend it by itself on a reused connection found dead)
        self.fresh = fresh


def changed(body, path, value):
    """A copy of body with the field at path (keys and list indexes) set to value."""
    out = json.loads(json.dumps(body))
    node = out
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return out


# Setups print "key|value" lines; c is the cell's context: c["s"] is the cell's
# token (r01c02), then the values the setup printed.
def dune_view(c):
    return "result_fm_" + c["s"]


def dune_full(c):
    return "dune.%s.%s" % (DUNE_TEAM, dune_view(c))


def dune_setup_view(c):
    return "SELECT 'exec', execution_id FROM dune_mv_upsert(%s, 42);" % lit(dune_view(c))


def lance_id(c):
    return "ARRAY['fm', %s]" % lit("v_" + c["s"])


def lance_create_sql(idsql):
    return ("SELECT 'version', version FROM lance_mv_create(%s, 'query', '{\"table\": \"docs\"}', "
            "lance_arrow_schema('id bigint'));" % idsql)


def lance_setup_view(c):
    return lance_create_sql(lance_id(c))


def lance_setup_job(c):
    return lance_setup_view(c) + "\nSELECT 'job', job_id FROM lance_mv_refresh(%s);" % lance_id(c)


def dune_status_body(c):
    return {"execution_id": c["exec"], "query_id": 42, "state": "QUERY_STATE_COMPLETED",
            "is_execution_finished": True, "submitted_at": T0, "execution_started_at": T0,
            "execution_ended_at": T0, "execution_cost_credits": 0.25}


def dune_view_body(c):
    return {"id": dune_full(c), "sql_id": dune_full(c), "query_id": 42, "is_private": False,
            "table_size_bytes": 4096, "last_execution_ids": [c["exec"]], "schedule": None}


def dune_page_body(c):
    return {"execution_id": c["exec"], "query_id": 42, "state": "QUERY_STATE_COMPLETED",
            "is_execution_finished": True, "submitted_at": T0, "execution_started_at": T0,
            "execution_ended_at": T0,
            "result": {"metadata": {"column_names": ["n", "label"],
                                    "column_types": ["bigint", "varchar"],
                                    "row_count": 1, "result_set_bytes": 20,
                                    "total_row_count": 1, "total_result_set_bytes": 20,
                                    "datapoint_count": 2, "pending_time_millis": 0,
                                    "execution_time_millis": 1},
                       "rows": [{"n": 1, "label": "one"}]}}


def job_body(c):
    return {"job_id": c["job"], "job_type": "materialized_view_refresh", "job_state": "DONE",
            "creation_ms": 1767322245000}


NAN = float("nan")

# What lance_mv_job_status and lance_mv_wait share: the status read of a job.
LANCE_STATUS_READ = dict(
    setup=lance_setup_job,
    match=lambda c: "/v1/jobs/describe", token=lambda c: c["job"],
    ok_body=job_body,
    wrong=("job_state", 3), nul=("job_state", "DONE\u0000X"), nan="creation_ms")

# What dune_mv_status and dune_mv_wait share: the status read of an execution.
DUNE_STATUS_READ = dict(
    setup=dune_setup_view,
    match=lambda c: c["exec"] + "/status", token=lambda c: c["exec"],
    ok_body=dune_status_body,
    wrong=("state", 5), nul=("state", "QUERY_STATE_COMPLETED\u0000X"),
    nan="execution_cost_credits")

ROWS = [
    Row("dune_mv_upsert", "dune", "upsert", "paid", True,
        setup=lambda c: "",
        call=lambda c: "SELECT * FROM dune_mv_upsert(%s, 42);" % lit(dune_view(c)),
        match=lambda c: "/api/v1/materialized-views",   # the probe's path never holds it
        token=dune_view,
        ok_body=lambda c: {"execution_id": "01FM" + c["s"].upper(), "name": dune_full(c)},
        wrong=("execution_id", 42), nul=("name", "dune.testteam.result_x\u0000y"),
        nan="execution_cost_credits"),
    Row("dune_mv_refresh", "dune", "refresh", "paid", True,
        setup=dune_setup_view,
        call=lambda c: "SELECT * FROM dune_mv_refresh(%s);" % lit(dune_view(c)),
        match=lambda c: dune_full(c) + "/refresh", token=dune_view,
        ok_body=lambda c: {"execution_id": "01FM" + c["s"].upper(), "sql_id": dune_full(c)},
        wrong=("execution_id", 42), nul=("sql_id", "dune.testteam.result_x\u0000y"),
        nan="execution_cost_credits"),
    Row("dune_mv_status", "dune", "status", "idem", False,
        call=lambda c: "SELECT state FROM dune_mv_status(%s);" % lit(c["exec"]), **DUNE_STATUS_READ),
    Row("dune_mv_wait", "dune", "status", "idem", False, is_wait=True,
        call=lambda c: "SELECT state FROM dune_mv_wait(%s, '3 s');" % lit(c["exec"]), **DUNE_STATUS_READ),
    Row("dune_mv_cancel", "dune", "cancel", "paid", True, fresh=True,
        setup=dune_setup_view,
        call=lambda c: "SELECT dune_mv_cancel(%s);" % lit(c["exec"]),
        match=lambda c: c["exec"] + "/cancel", token=lambda c: c["exec"],
        ok_body=lambda c: {"success": True},
        wrong=("success", "yes"), nul=("note", "a\u0000b"), nan="success"),
    Row("dune_mv_get", "dune", "get", "idem", False,
        setup=dune_setup_view,
        call=lambda c: "SELECT query_id FROM dune_mv_get(%s);" % lit(dune_view(c)),
        match=lambda c: "/materialized-views/" + dune_full(c), token=dune_view,
        ok_body=dune_view_body,
        wrong=("id", 7), nul=("id", "dune.testteam.result_x\u0000y"), nan="table_size_bytes"),
    Row("dune_mv_list", "dune", "list", "idem", False,
        setup=dune_setup_view,
        call=lambda c: "SELECT count(*) FROM dune_mv_list();",
        match=lambda c: "/api/v1/materialized-views?limit=", token=lambda c: None,
        ok_body=lambda c: {"materialized_views": [
            {"id": dune_full(c), "sql_id": dune_full(c), "query_id": 42,
             "is_private": False, "table_size_bytes": 4096}]},
        wrong=("materialized_views", {}),
        nul=("materialized_views", [{"id": "dune.testteam.result_x\u0000y"}]),
        nan="next_offset"),
    Row("dune_mv_delete", "dune", "delete", "idem", True, wrong_ok=True, empty_ok=True,
        setup=dune_setup_view,
        call=lambda c: "SELECT dune_mv_delete(%s);" % lit(dune_view(c)),
        match=lambda c: "/materialized-views/" + dune_full(c), token=dune_view,
        ok_body=lambda c: {"message": "ok"},
        wrong=("message", 5), nul=("message", "o\u0000k"), nan="message"),
    Row("dune_mv_results", "dune", "results", "idem", False,
        setup=dune_setup_view,
        call=lambda c: "SELECT count(*) FROM dune_mv_results(%s);" % lit(c["exec"]),
        match=lambda c: c["exec"] + "/results", token=lambda c: c["exec"],
        ok_body=dune_page_body,
        wrong=(("result", "rows"), {"n": 1, "label": "one"}),
        nul=(("result", "rows"), [{"n": 1, "label": "o\u0000ne"}]),
        nan=("result", "rows", 0, "n")),
    # A text value holding \u0000 is a value error of the column's type, which a
    # load reports as COPY does (README "dune_mv_load": 22021, naming the line).
    Row("dune_mv_load", "dune", "results", "idem", False, nul_alt=("22021",),
        setup=dune_setup_view,
        call=lambda c: "SELECT rows FROM dune_mv_load(%s, %s);" % (lit(c["exec"]),
                                                                  lit("fm_load_" + c["s"])),
        match=lambda c: c["exec"] + "/results", token=lambda c: c["exec"],
        ok_body=dune_page_body,
        wrong=(("result", "rows"), {"n": 1, "label": "one"}),
        nul=(("result", "rows"), [{"n": 1, "label": "o\u0000ne"}]),
        nan=("result", "rows", 0, "n")),
    Row("lance_mv_create", "lance", "create", "write503", True, ok_status=201,
        setup=lambda c: "",
        call=lambda c: lance_create_sql(lance_id(c)),
        match=lambda c: "fm$v_%s/create" % c["s"], token=lambda c: "v_" + c["s"],
        ok_body=lambda c: {"version": 1},
        wrong=("version", "1"), nul=("note", "a\u0000b"), nan="version"),
    Row("lance_mv_refresh", "lance", "refresh", "write503", True, ok_status=202,
        setup=lance_setup_view,
        call=lambda c: "SELECT job_id FROM lance_mv_refresh(%s);" % lance_id(c),
        match=lambda c: "fm$v_%s/refresh" % c["s"], token=lambda c: "v_" + c["s"],
        ok_body=lambda c: {"job_id": "job-fm-" + c["s"]},
        wrong=("job_id", 7), nul=("job_id", "job-\u0000"), nan="version"),
    Row("lance_mv_job_status", "lance", "job_status", "idem", False,
        call=lambda c: "SELECT state FROM lance_mv_job_status(%s);" % lit(c["job"]),
        **LANCE_STATUS_READ),
    Row("lance_mv_wait", "lance", "job_status", "idem", False, is_wait=True,
        call=lambda c: "SELECT state FROM lance_mv_wait(%s, '3 s');" % lit(c["job"]),
        **LANCE_STATUS_READ),
    Row("lance_mv_describe", "lance", "describe", "idem", False, wrong_ok=True,
        setup=lance_setup_view,
        call=lambda c: "SELECT version FROM lance_mv_describe(%s);" % lance_id(c),
        match=lambda c: "fm$v_%s/describe" % c["s"], token=lambda c: "v_" + c["s"],
        ok_body=lambda c: {"table": "v_" + c["s"], "namespace": ["fm"], "version": 1,
                           "location": "memory://testdb/fm/v_%s.lance" % c["s"],
                           "properties": {"materialized_view": "true"}},
        wrong=("version", "1"), nul=("location", "memory://\u0000"), nan="version"),
    Row("lance_mv_exists", "lance", "exists", "idem", False, wrong_ok=True, empty_ok=True,
        tolerates_404=True,
        setup=lance_setup_view,
        call=lambda c: "SELECT lance_mv_exists(%s);" % lance_id(c),
        match=lambda c: "fm$v_%s/exists" % c["s"], token=lambda c: "v_" + c["s"],
        ok_body=lambda c: {},
        wrong=("exists", "yes"), nul=("note", "a\u0000b"), nan="version"),
    Row("lance_mv_drop", "lance", "drop", "write503", True, wrong_ok=True, empty_ok=True, fresh=True,
        setup=lance_setup_view,
        call=lambda c: "SELECT lance_mv_drop(%s);" % lance_id(c),
        match=lambda c: "fm$v_%s/drop" % c["s"], token=lambda c: "v_" + c["s"],
        ok_body=lambda c: {"id": ["fm", "v_" + c["s"]],
                           "location": "memory://testdb/fm/v_%s.lance" % c["s"],
                           "properties": {}},
        wrong=("location", 5), nul=("location", "memory://\u0000"), nan="version"),
    Row("lance_mv_list", "lance", "list", "idem", False,
        setup=lambda c: lance_create_sql("ARRAY[%s, 'v']" % lit("ns_" + c["s"])),
        call=lambda c: "SELECT count(*) FROM lance_mv_list(ARRAY[%s]);" % lit("ns_" + c["s"]),
        match=lambda c: "ns_%s/table/list" % c["s"], token=lambda c: "ns_" + c["s"],
        ok_body=lambda c: {"tables": ["v"]},
        wrong=("tables", "v"), nul=("tables", ["v\u0000w"]), nan="version"),
]

# The probe: a cheap read of the row's provider, the "next call" of each cell.
# Its path never holds a cell's match string.
PROBE_SETUP = {"dune": "SELECT 'probe_exec', execution_id FROM dune_mv_upsert('result_fm_probe', 1);",
               "lance": ""}


def probe_sql(provider, c):
    if provider == "dune":
        return "SELECT 'probe', state FROM dune_mv_status(%s);" % lit(c["probe_exec"])
    return "SELECT 'probe', lance_mv_exists(ARRAY['fmprobe', 'x']);"


# ---------------------------------------------------------------------------
# The columns: every fault the stand-ins can play.

SQLSTATE_OF_STATUS = {400: "22000", 401: "28000", 402: "53400", 403: "42501", 404: "42704",
                      406: "22000", 409: "42710", 422: "22000", 429: "53000"}
LANCE_CODES = {400: 13, 401: 16, 403: 15, 404: 4, 406: 0, 409: 14, 422: 20, 429: 21,
               500: 18, 503: 17}


def sqlstate_of_status(status):
    return SQLSTATE_OF_STATUS.get(status, "58000" if status >= 500 else "22000")


def api_text(status):
    return "fm-said-%d" % status


def error_body(row, status):
    """The API's own error body for status (Dune: error; Lance: code, error, detail)."""
    if row.provider == "dune":
        return json.dumps({"error": api_text(status)})
    return json.dumps({"code": LANCE_CODES.get(status, 18), "error": api_text(status),
                       "detail": "fm detail"})


def resent_after(row, status, retry_after):
    """Whether the extension resends a request answered with this status
    (README "Retries"): 429 always (within the budget), 503 with Retry-After
    unless the call starts paid work, 502/503/504 for idempotent calls."""
    if status == 429:
        return True
    if status == 503 and retry_after and row.retry != "paid":
        return True
    return row.retry == "idem" and status in (502, 503, 504)


class Expect:
    """What a cell expects: sqlstate None = success; text = the API's text the
    message must carry; answered = the HTTP status a failed write's record
    carries (None: no answer seen, 'unknown'); closes = the fault closes the
    connection (the next call then opens exactly one); ok_status = the status a
    success is recorded with (default any 2xx); also_ok = success is acceptable
    too; alt = other acceptable SQLSTATEs."""

    def __init__(self, sqlstate=None, text=None, answered=None, closes=False, ok_status=None,
                 also_ok=False, alt=()):
        self.sqlstate, self.text, self.answered, self.closes = sqlstate, text, answered, closes
        self.ok_status, self.also_ok, self.alt = ok_status, also_ok, alt


class Column:
    def __init__(self, key, label, fault, expect, settings=None):
        self.key, self.label, self.fault, self.expect = key, label, fault, expect
        self.settings = settings or {}


def status_column(status, label=None, retry_after=None, times=1, settings=None, body=None,
                  content_type=None, key=None):
    """A column answering status (times times) with the API's own error body."""

    def fault(row, c):
        f = {"status": status, "body": body if body is not None else error_body(row, status),
             "times": times}
        if retry_after is not None:
            f["retry_after"] = retry_after
        if content_type:
            f["content_type"] = content_type
        return f

    def expect(row):
        text = body if body is not None else api_text(status)
        if status == 404 and row.tolerates_404:
            return Expect(ok_status=404)
        once = times == 1
        fits = retry_after is None or int(retry_after) < 30
        if once and fits and resent_after(row, status, retry_after):
            return Expect()
        if status == 429 and row.is_wait:
            # the wait functions wait a 429 out, then give up at their timeout
            return Expect("58030")
        return Expect(sqlstate_of_status(status), text=text, answered=status)

    return Column(key or str(status), label or str(status), fault, expect, settings)


def body_column(key, label, make, ok_when=lambda row: False, also_ok=False, alt=lambda row: (),
                settings=None):
    """A column answering 2xx with a body made from the row's usual answer."""

    def fault(row, c):
        return {"status": row.ok_status, "body": make(row, c)}

    def expect(row):
        if ok_when(row):
            return Expect()
        return Expect("08P01", answered=row.ok_status, also_ok=also_ok, alt=alt(row))

    return Column(key, label, fault, expect, settings)


def field_body(row, c, spec, value):
    """The row's usual answer with the field at spec (a key, or a path of keys
    and indexes) set to value, as JSON text (Python writes NaN as the bare word)."""
    path = spec if isinstance(spec, tuple) else (spec,)
    return json.dumps(changed(row.ok_body(c), path, value))


def wrong_body(row, c):
    return field_body(row, c, *row.wrong)


def nul_body(row, c):
    return field_body(row, c, *row.nul)


def nan_body(row, c):
    return field_body(row, c, row.nan, NAN)


FAST = {"dune_mv.timeout": "600ms"}      # persistent faults: the budget runs out quickly


COLUMNS = [
    status_column(400), status_column(401), status_column(402), status_column(403),
    status_column(404), status_column(406), status_column(409), status_column(422),
    status_column(500),
    status_column(500, label="500 text/plain", key="500text", body="fm plain text failure",
                  content_type="text/plain"),
    status_column(502), status_column(504),
    status_column(429, label="429"),
    status_column(429, label="429 ×∞", key="429x", times=40, settings=FAST),
    status_column(429, label="429+Retry-After", key="429ra", retry_after="1"),
    status_column(429, label="429+Retry-After past the budget", key="429rax",
                  retry_after="120"),
    status_column(503, label="503"),
    status_column(503, label="503 ×∞", key="503x", times=40, settings=FAST),
    status_column(503, label="503+Retry-After", key="503ra", retry_after="1"),
    Column("delay", "delay past the timeout",
           lambda row, c: {"delay_ms": 2000},
           lambda row: Expect("58030", closes=True),
           {"dune_mv.timeout": "500ms"}),
    Column("reset", "reset before the answer",
           lambda row, c: {"reset": 1},
           lambda row: Expect(closes=True) if row.retry == "idem" else Expect("08006", closes=True)),
    Column("malformed", "malformed JSON",
           lambda row, c: {"malformed": 1, "status": row.ok_status},
           lambda row: Expect("08P01", answered=row.ok_status)),
    body_column("wrongtype", "2xx with a field of the wrong type", wrong_body,
                ok_when=lambda row: row.wrong_ok),
    body_column("empty", "empty 2xx body", lambda row, c: "",
                ok_when=lambda row: row.empty_ok),
    # The status line of the oversized answer was read: README's 'unknown' is
    # "sent, no answer seen", so a failed write is expected as 'error' with it
    # (as a malformed 2xx is).
    Column("oversized", "oversized body",
           lambda row, c: {"oversized": 100000, "status": row.ok_status},
           lambda row: Expect("54000", answered=row.ok_status, closes=True),
           {"dune_mv.max_response_size": "4096"}),
    body_column("nan", "NaN", nan_body),
    body_column("nul", "\\u0000 in a string", nul_body, also_ok=True,
                alt=lambda row: row.nul_alt),
]

# Faults asked for that the stand-ins cannot play (reported, not run).
NOT_PLAYABLE = [
    ("reset in the middle of the body",
     "reset=1 closes the connection before any byte of the answer; no fault sends part of a "
     "body and then resets (malformed=1 and body= send a complete body with its Content-Length)"),
    ("invalid UTF-8",
     "bodies are Python text encoded as UTF-8 (stand_in_http._faulted: body.encode()); a "
     "surrogate-escaped byte makes the stand-in fail the request without answering, and a JSON "
     "\\udc80 escape is decoded by json-c into U+FFFD (valid UTF-8); the nearest fault played "
     "is \\u0000 in a string, which PostgreSQL cannot hold either"),
]

# ---------------------------------------------------------------------------
# Running a cell.


def set_sql(settings):
    return "".join("SET %s = %s;\n" % (k, lit(v)) for k, v in settings.items())


def reset_sql(settings):
    return "".join("RESET %s;\n" % k for k in settings)


def records(sess, row, c, m0, upto=None):
    """The recorded calls of the cell: (id, outcome, http_status, error)."""
    where = "id > %d AND operation = %s" % (m0, lit(row.op))
    token = row.token(c)
    if token is not None:
        where += " AND strpos(target, %s) > 0" % lit(token)
    if upto is not None:
        where += " AND id <= %d" % upto
    out = sess.run("SELECT 'rec', id, outcome, coalesce(http_status::text, 'null'), "
                   "coalesce(replace(error, E'\\n', ' '), '') FROM dune_mv.calls WHERE %s ORDER BY id;"
                   % where)
    recs = []
    for line in out:
        if line.startswith("rec|"):
            _, rid, outcome, status, err = line.split("|", 4)
            recs.append((int(rid), outcome, None if status == "null" else int(status), err))
    return recs, errors_in(out)


def run_cell(sess, ri, ci, row, col):
    """Run one cell; returns a list of problems (empty: the cell passed)."""
    problems = []
    ctl = CTL[row.provider]
    c = {"s": "r%02dc%02d" % (ri + 1, ci + 1)}
    ctl("reset")

    # 1. setup, and the probe that opens the session's connection
    out = sess.run(PROBE_SETUP[row.provider] + "\n" + row.setup(c))
    c.update(kv(out))
    if errors_in(out):
        return ["setup failed: %s" % " | ".join(errors_in(out))]
    out = sess.run(probe_sql(row.provider, c))
    if "probe" not in kv(out):
        return ["the warm-up probe failed: %s" % " | ".join(out)]

    # 2. the fault, and the call under its settings
    exp = col.expect(row)
    fault = dict(col.fault(row, c))
    fault["match"] = row.match(c)
    before = ctl("stats")
    ctl("fault", **fault)
    script = (set_sql(col.settings)
              + "SELECT 'm0', coalesce(max(id), 0) FROM dune_mv.calls;\n"
              + row.call(c) + "\n"
              + "\\echo __FM_STATE__ :ERROR :SQLSTATE\n"
              + "\\echo __FM_MSG__ :LAST_ERROR_MESSAGE\n"
              + "\\echo __FM_MSG_END__\n"
              + reset_sql(col.settings)
              + "SELECT 'm1', coalesce(max(id), 0) FROM dune_mv.calls;\n"
              + "SELECT 'pid', pg_backend_pid();")
    t0 = time.monotonic()
    out = sess.run(script)
    elapsed = time.monotonic() - t0
    got = kv(out)
    state_line = next((l for l in out if l.startswith("__FM_STATE__ ")), None)
    if state_line is None or "m0" not in got:
        return ["no outcome: %s" % " | ".join(out)]
    _, error, sqlstate = state_line.split(" ", 2)
    i = out.index("__FM_MSG_END__")
    j = next(k for k, l in enumerate(out) if l.split(" ", 1)[0] == "__FM_MSG__")
    message = " ".join([out[j][len("__FM_MSG__"):]] + out[j + 1:i]).strip()
    failed = error == "true"
    m0, m1 = int(got["m0"]), int(got.get("m1", "0"))

    # 3a. success or the documented SQLSTATE, with the API's text
    if exp.sqlstate is None:
        if failed:
            problems.append("expected success, got %s: %s" % (sqlstate, message))
    elif not failed:
        if not exp.also_ok:
            problems.append("expected SQLSTATE %s, got success" % exp.sqlstate)
    elif sqlstate != exp.sqlstate and sqlstate not in exp.alt:
        problems.append("expected SQLSTATE %s, got %s: %s" % (exp.sqlstate, sqlstate, message))
    elif exp.text and exp.text not in message:
        problems.append("the message does not carry the API's text %r: %s" % (exp.text, message))

    # 3b. the backend lives
    if got.get("pid") != sess.pid:
        problems.append("backend pid %s before, %s after" % (sess.pid, got.get("pid")))

    # 3c. the next call works, over the same connection unless the fault closed it
    out = sess.run(probe_sql(row.provider, c))
    if "probe" not in kv(out):
        problems.append("the next call failed: %s" % " | ".join(out))
    after = ctl("stats")
    grew = after["connections"] - before["connections"]
    sent = after["requests"] - before["requests"]
    if row.fresh:
        if not 1 <= grew <= sent:
            problems.append("a write without a body takes one new connection per attempt: "
                            "%d new connection(s) for %d request(s)" % (grew, sent))
    elif exp.closes and grew != 1:
        problems.append("the fault closed the connection: expected 1 new connection, got %d" % grew)
    elif not exp.closes and grew != 0:
        problems.append("the next call did not reuse the connection: %d new connection(s)" % grew)

    # 3d. the record
    succeeded = not failed
    if succeeded:
        recs, errs = records(sess, row, c, m0, upto=m1)
        want_status = exp.ok_status
        if len(recs) != 1 or recs[0][1] != "ok" or (
                want_status and recs[0][2] != want_status) or not (
                want_status or 200 <= (recs[0][2] or 0) <= 299):
            problems.append("expected one 'ok' record%s, got %s"
                            % (" (HTTP %d)" % want_status if want_status else "", recs))
    elif not row.writes:
        recs, errs = records(sess, row, c, m0)
        if recs:
            problems.append("a failed read left records: %s" % recs)
    else:
        # a failed write: the worker records it from the journal
        deadline = time.monotonic() + RECORD_WAIT_S
        while True:
            recs, errs = records(sess, row, c, m0)
            if recs or errs or time.monotonic() > deadline:
                break
            time.sleep(0.02)
        time.sleep(0.05)            # a second record would show now
        recs, errs = records(sess, row, c, m0)
        if len(recs) != 1:
            problems.append("expected one record by the worker, got %s" % recs)
        elif exp.sqlstate is not None:
            _, outcome, status, err = recs[0]
            want_outcome = "error" if exp.answered is not None else "unknown"
            if outcome != want_outcome:
                problems.append("record outcome %r (HTTP %s, %r), expected %r"
                                % (outcome, status, err, want_outcome))
            elif exp.answered is not None and status != exp.answered:
                problems.append("record HTTP status %s, expected %s" % (status, exp.answered))
            elif exp.answered is None and status is not None:
                problems.append("record HTTP status %s for no answer" % status)
            elif exp.text and exp.text not in err:
                problems.append("record error %r lacks the API's text %r" % (err, exp.text))
    if errs:
        problems.append("reading the records failed: %s" % errs)
    if os.environ.get("FM_VERBOSE"):
        print("#   %s × %s: %s %s (%.2fs) %s" % (row.name, col.label, sqlstate, message[:160],
                                                elapsed, fault), flush=True)
    return problems


def selected(items, env, key):
    want = [w for w in os.environ.get(env, "").split(",") if w]
    return [(i, x) for i, x in enumerate(items) if not want or any(w in key(x) for w in want)]


def main():
    rows = selected(ROWS, "FM_ROWS", lambda r: r.name)
    cols = selected(COLUMNS, "FM_COLS", lambda c: c.key)
    print("# fault matrix: %d rows × %d columns = %d cells"
          % (len(rows), len(cols), len(rows) * len(cols)), flush=True)
    for label, why in NOT_PLAYABLE:
        print("# not played: %s: %s" % (label, why), flush=True)
    start = time.monotonic()
    results = []
    for ri, row in rows:
        t_row = time.monotonic()
        sess = None
        for ci, col in cols:
            name = "%s × %s" % (row.name, col.label)
            try:
                if sess is None:
                    sess = Psql()
                problems = run_cell(sess, ri, ci, row, col)
            except Dead as err:
                problems = ["the session died: %s" % err]
                sess = None
            except Exception as err:  # a driver error fails the cell, not the run
                problems = ["driver error: %r" % err]
            if problems:
                print("not ok - %s: %s" % (name, "; ".join(problems)), flush=True)
            else:
                print("ok - %s" % name, flush=True)
            results.append((name, problems))
        if sess is not None:
            sess.close()
        print("# %s: %.1f s" % (row.name, time.monotonic() - t_row), flush=True)
    for provider in CTL:
        CTL[provider]("reset")
    failed = sum(1 for _, p in results if p)
    print("# %d cells in %.1f s, %d failed" % (len(results), time.monotonic() - start, failed),
          flush=True)


if __name__ == "__main__":
    main()
