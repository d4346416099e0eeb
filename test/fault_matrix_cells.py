"""The two tables of the fault matrix (test/fault_matrix.py): ROWS, every SQL
function that calls a remote API, and COLUMNS, every fault the stand-ins can
play with what the README promises for it; and NOT_PLAYABLE, the faults asked
for that the stand-ins cannot play."""

import json

DUNE_TEAM = "testteam"


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
