#!/usr/bin/env bash
# Self-test of the Dune stand-in (test/dune_server.py, test/stand_in.py, test/ctl.py):
# keep-alive and counting, request checks, matviews, executions, faults, robustness
# and ctl.py.  The results endpoints: stand_in_selftest_results.sh.
# Starts its own server on a free port (the shared one is left alone), checks it with a
# stdlib Python client (test/stand_in_selftest.py), then stops it with SIGTERM.
# Last line: "N passed, N failed".
set -u
. "$(dirname "$0")/check.sh"
counts=$(mktemp)
PYTHONPATH="$(dirname "$0")/..${PYTHONPATH:+:$PYTHONPATH}" SELFTEST_COUNTS="$counts" python3 - <<'PY'
import http.client, json, os, re, socket, subprocess, sys, threading, time

from stand_in_selftest import CTL, FQ, KEY, MV, TS_RE, Client, api, check, ctl, ctl_json, finish, start

PORT = start()

# ---- keep-alive and counting ----
ctl("reset")
c = Client()
for _ in range(5):
    st, _, r = c.req("GET", "/api/v1" + MV)
check("keepalive status", st == 200)
c.close()
check("keepalive stats", ctl_json("stats") == {"connections": 1, "requests": 5}, ctl("stats"))
ctl("stats")
check("ctl not counted", ctl_json("stats") == {"connections": 1, "requests": 5})
check("stats canonical text", ctl("stats") == ['{"connections": 1, "requests": 5}'], ctl("stats"))
c = Client()
c.req("GET", "/api/v1" + MV)
ctl("reset")
c.req("GET", "/api/v1" + MV)
c.req("GET", "/api/v1" + MV)
c.close()
check("old connection counts once after reset", ctl_json("stats") == {"connections": 1, "requests": 2},
      ctl("stats"))

# ---- request checks ----
ctl("reset")
st, data = api("GET", MV, drop=["X-Dune-Api-Key"])
check("no key 401", (st, data) == (401, {"error": "Invalid API Key"}), (st, data))
st, data = api("GET", MV, headers={"X-Dune-Api-Key": "wrong"})
check("bad key 401", st == 401)
last = ctl("last", "headers=1")[0]
check("key never recorded", "wrong" not in last and json.loads(last)["headers"]["key_ok"] is False, last)
st, data = api("GET", MV + "?api_key=" + KEY)
check("api_key query 400", st == 400 and "api_key" in data["error"], data)
check("last shape", set(ctl_json("last")) == {"method", "path", "query", "body", "status"})
check("last query raw", ctl_json("last")["query"] == "api_key=" + KEY)
st, data = api("GET", MV, drop=["Accept"])
check("no accept 406", st == 406, st)
st, data = api("GET", MV, headers={"Accept": "*/*"})
check("accept */* 406", st == 406, st)
st, data = api("GET", MV, headers={"Accept": "text/plain, application/json;q=0.9"})
check("accept list ok", st == 200, st)
st, data = api("GET", MV, headers={"User-Agent": "curl/8"})
check("bad UA 400", st == 400 and "User-Agent" in data["error"], data)
st, data = api("POST", MV, {"name": "result_aaaa", "query_id": 1}, headers={"Content-Type": "text/plain"})
check("content-type 415", st == 415, st)
st, data = api("POST", MV, "{not json")
check("bad json 400", st == 400, (st, data))
st, data = api("POST", MV, "[1]")
check("array body 400", st == 400, (st, data))
st, data = api("GET", "/nope")
check("unknown path 404", st == 404 and "error" in data, (st, data))
st, data = api("GET", MV + "/")
check("trailing slash 404", st == 404, st)
st, data = api("PUT", MV, {})
check("wrong method 405", st == 405 and "error" in data, (st, data))
st, data = api("GET", "/execution/x/cancel")
check("GET cancel 405", st == 405, st)
st, data = api("GET", MV + "/" + FQ + "result_x?foo=1")
check("unexpected query param 400", st == 400, st)

# ---- upsert validation ----
ctl("reset")
good = {"name": "result_good_1", "query_id": 42}
bad_bodies = [
    ("missing name", {"query_id": 1}, "name"),
    ("missing query_id", {"name": "result_x1"}, "query_id"),
    ("upper case", {"name": "result_ABC", "query_id": 1}, "name"),
    ("trailing _", {"name": "result_abc_", "query_id": 1}, "name"),
    ("dot", {"name": "result_a.b", "query_id": 1}, "name"),
    ("too short", {"name": "result_", "query_id": 1}, "name"),
    ("too long", {"name": "result_" + "a" * 122, "query_id": 1}, "name"),
    ("no prefix", {"name": "results_ab", "query_id": 1}, "name"),
    ("query_id bool", {"name": "result_abc", "query_id": True}, "query_id"),
    ("query_id float", {"name": "result_abc", "query_id": 1.0}, "query_id"),
    ("query_id string", {"name": "result_abc", "query_id": "1"}, "query_id"),
    ("query_id zero", {"name": "result_abc", "query_id": 0}, "query_id"),
    ("unknown field", dict(good, cron="0 * * * *"), "cron"),
    ("null field", dict(good, expires_at=None), "expires_at"),
    ("is_private int", dict(good, is_private=1), "is_private"),
    ("performance", dict(good, performance="huge"), "performance"),
] + [("cron " + label, dict(good, cron_expression=cron), "cron_expression") for label, cron in (
    ("6 fields", "0 0 * * * *"), ("macro", "@daily"), ("5 min", "*/5 * * * *"), ("monthly", "0 0 1 * *"),
    ("range", "0 25 * * *"), ("10 min", "0,10 * * * *"), ("january", "0 0 * 1 *"), ("feb 29", "0 0 29 2 *"),
    ("double space", "0  0 * * *"))
] + [("expires " + label, dict(good, expires_at=text), "expires_at") for label, text in (
    ("no Z", "2030-01-01T00:00:00"), ("offset", "2030-01-01T00:00:00+00:00"), ("bad date", "2030-02-30T00:00:00Z"))
]
for label, body, field in bad_bodies:
    st, data = api("POST", MV, body)
    check("upsert " + label, st == 400 and field in data.get("error", ""), (st, data))
check("no view created", api("GET", MV)[1] == {"materialized_views": []}, api("GET", MV))
for cron in ("*/15 * * * *", "0 0 * * 1", "0 0 * * 7", "0 0 */7 * *", "5 4 * * sun,wed", "30 2 * * MON-FRI", "0 */6 * * *", "0 0 1-7,15 * 1"):
    st, data = api("POST", MV, dict(good, cron_expression=cron))
    check("cron ok " + cron, st == 200, (st, data))

# ---- upsert / get / list / delete ----
ctl("reset")
full = dict(good, cron_expression="0 */6 * * *", expires_at="2030-01-01T00:00:00.5Z",
            is_private=True, performance="large")
st, data = api("POST", MV, full)
check("upsert ok", (st, data) == (200, {"execution_id": "01JDMV00000000000000000001",
                                        "name": FQ + "result_good_1"}), (st, data))
st, view = api("GET", MV + "/" + FQ + "result_good_1")
check("get ok", st == 200, (st, view))
check("get keys", set(view) == {"id", "sql_id", "query_id", "is_private", "last_execution_ids",
                                "table_size_bytes", "owner_team_id", "owner_user_id", "schedule"}, view)
sched = view.get("schedule") or {}
check("schedule", sched.get("cron_expression") == "0 */6 * * *" and sched.get("performance") == "large"
      and sched.get("expires_at") == "2030-01-01T00:00:00.5Z"
      and re.match(r"^\d{4}-\d\d-\d\dT(00|06|12|18):00:00Z$", sched.get("next_execution_time", "")), sched)
check("get values", view["sql_id"] == FQ + "result_good_1" and view["query_id"] == 42
      and view["is_private"] is True and view["last_execution_ids"] == ["01JDMV00000000000000000001"], view)
st, data = api("GET", MV + "/result_good_1")
check("bare name 404", (st, data) == (404, {"error": "Object not found"}), (st, data))
st, data = api("GET", MV + "/dune%2Etestteam%2Eresult_good_1")
check("percent-decoded name", st == 200, st)
check("path recorded encoded", ctl_json("last")["path"] == "/api/v1" + MV + "/dune%2Etestteam%2Eresult_good_1")
st, data = api("POST", MV, {"name": "result_good_1", "query_id": 43})
check("409 conflict", (st, data) == (409, {"error": "conflicting existing Matview"}), (st, data))
st, data = api("POST", MV, good)
check("replace ok", st == 200 and data["execution_id"] == "01JDMV00000000000000000002", data)
st, view = api("GET", MV + "/" + FQ + "result_good_1")
check("replace drops schedule", view["schedule"] is None and view["is_private"] is False, view)
check("last_execution_ids newest first", view["last_execution_ids"] ==
      ["01JDMV00000000000000000002", "01JDMV00000000000000000001"], view)
st, data = api("POST", MV + "/" + FQ + "result_good_1/refresh", {})
check("refresh ok", (st, data) == (200, {"execution_id": "01JDMV00000000000000000003",
                                         "sql_id": FQ + "result_good_1"}), (st, data))
st, data = api("POST", MV + "/" + FQ + "result_good_1/refresh", {"performance": "medium"})
check("refresh performance", st == 200, (st, data))
st, data = api("POST", MV + "/" + FQ + "result_good_1/refresh", {"performance": "xl"})
check("refresh bad performance", st == 400, st)
st, data = api("POST", MV + "/" + FQ + "result_good_1/refresh", {"foo": 1})
check("refresh unknown field", st == 400 and "foo" in data["error"], data)
st, data = api("POST", MV + "/" + FQ + "result_good_1/refresh", "")
check("refresh empty body 400", st == 400, st)
st, data = api("POST", MV + "/result_good_1/refresh", {})
check("refresh bare 404", st == 404, st)
st, data = api("POST", MV + "/" + FQ + "result_nope/refresh", {})
check("refresh unknown 404", st == 404, st)

ctl("set", "page_size=2")
for i in range(2, 6):
    api("POST", MV, {"name": "result_view_%d" % i, "query_id": i})
pages, offset = [], 0
while offset is not None and len(pages) < 10:
    st, data = api("GET", MV + "?limit=10&offset=%d" % offset)
    pages.append([v["sql_id"].split(".")[-1] for v in data["materialized_views"]])
    offset = data.get("next_offset")
check("list pages", pages == [["result_good_1", "result_view_2"], ["result_view_3", "result_view_4"],
                              ["result_view_5"]], pages)
st, data = api("GET", MV + "?limit=1&offset=1")
check("list limit 1", [v["sql_id"] for v in data["materialized_views"]] == [FQ + "result_view_2"]
      and data["next_offset"] == 2, data)
check("list element keys", set(data["materialized_views"][0]) ==
      {"id", "sql_id", "query_id", "is_private", "table_size_bytes"}, data)
for q in ("limit=abc", "limit=0", "offset=-1", "limit=1&limit=2", "page=2"):
    check("list bad " + q, api("GET", MV + "?" + q)[0] == 400, q)
st, data = api("GET", MV + "?offset=99")
check("list past end", data == {"materialized_views": []}, data)
st, data = api("DELETE", MV + "/" + FQ + "result_view_3")
check("delete ok", (st, data) == (200, {"message": "ok"}), (st, data))
check("delete gone", api("GET", MV + "/" + FQ + "result_view_3")[0] == 404)
check("delete again 404", api("DELETE", MV + "/" + FQ + "result_view_3")[0] == 404)
check("delete bare 404", api("DELETE", MV + "/result_view_2")[0] == 404)

# ---- executions ----
ctl("reset")
ctl("set", "pending_ms=600", "executing_ms=600")
eid = api("POST", MV, good)[1]["execution_id"]
st, s = api("GET", "/execution/%s/status" % eid)
check("pending", s["state"] == "QUERY_STATE_PENDING" and s["is_execution_finished"] is False
      and set(s) == {"execution_id", "query_id", "state", "is_execution_finished", "submitted_at"}
      and TS_RE.match(s["submitted_at"]) and s["query_id"] == 42, s)
time.sleep(0.8)
s = api("GET", "/execution/%s/status" % eid)[1]
check("executing", s["state"] == "QUERY_STATE_EXECUTING" and "execution_started_at" in s
      and "execution_ended_at" not in s, s)
time.sleep(0.6)
s = api("GET", "/execution/%s/status" % eid)[1]
check("completed", s["state"] == "QUERY_STATE_COMPLETED" and s["is_execution_finished"] is True
      and TS_RE.match(s["execution_ended_at"]) and TS_RE.match(s["expires_at"])
      and s["execution_cost_credits"] == 0.5 and "error" not in s, s)
check("cancel finished", api("POST", "/execution/%s/cancel" % eid)[1] == {"success": False})
eid2 = api("POST", MV + "/" + FQ + "result_good_1/refresh", {})[1]["execution_id"]
check("cancel running", api("POST", "/execution/%s/cancel" % eid2, {})[1] == {"success": True})
s = api("GET", "/execution/%s/status" % eid2)[1]
check("cancelled", s["state"] == "QUERY_STATE_CANCELLED" and s["is_execution_finished"] is True
      and TS_RE.match(s.get("cancelled_at", "")) and "execution_started_at" not in s, s)
check("cancel twice", api("POST", "/execution/%s/cancel" % eid2)[1] == {"success": False})
check("cancel unknown 404", api("POST", "/execution/01JDMV99999999999999999999/cancel")[0] == 404)
check("status unknown 404", api("GET", "/execution/nope/status")[0] == 404)
ctl("set", "pending_ms=0", "executing_ms=0", "final_state=QUERY_STATE_FAILED")
eid3 = api("POST", MV + "/" + FQ + "result_good_1/refresh", {})[1]["execution_id"]
s = api("GET", "/execution/%s/status" % eid3)[1]
check("failed", s["state"] == "QUERY_STATE_FAILED" and s["is_execution_finished"] is True and s["error"] ==
      {"type": "FAILED_TYPE_EXECUTION_FAILED", "message": "boom", "metadata": {"line": 1, "column": 2}}
      and "expires_at" not in s, s)
ctl("set", "final_state=QUERY_STATE_SOMETHING_NEW")
eid4 = api("POST", MV + "/" + FQ + "result_good_1/refresh", {})[1]["execution_id"]
s = api("GET", "/execution/%s/status" % eid4)[1]
check("unknown state", s["state"] == "QUERY_STATE_SOMETHING_NEW" and s["is_execution_finished"] is False, s)
ctl("set", "exec=" + eid3, "state=QUERY_STATE_EXECUTING")
s = api("GET", "/execution/%s/status" % eid3)[1]
check("forced state", s["state"] == "QUERY_STATE_EXECUTING" and s["is_execution_finished"] is False
      and "execution_ended_at" not in s, s)
ctl("set", "exec=nope", "state=X", expect_rc=1)
ctl("set", "bogus=1", expect_rc=1)
ctl("reset")
check("reset restores settings", api("POST", MV, good)[1]["execution_id"] == "01JDMV00000000000000000001"
      and api("GET", "/execution/01JDMV00000000000000000001/status")[1]["state"] == "QUERY_STATE_COMPLETED")
ctl("set", "api_key=12345")
check("set api_key", api("GET", MV, headers={"X-Dune-Api-Key": "12345"})[0] == 200)
ctl("reset")
check("reset restores api_key", api("GET", MV)[0] == 200)

# ---- faults ----
ctl("reset")
ctl("fault", "status=429", "retry_after=3", "times=2")
c = Client()
st, data, r = c.req("GET", "/api/v1" + MV)
check("fault 429", (st, data) == (429, {"error": "Too Many Requests"}) and r.getheader("Retry-After") == "3", (st, data))
st, data, r = c.req("GET", "/api/v1" + MV)
check("fault times=2", st == 429, st)
st, data, r = c.req("GET", "/api/v1" + MV)
check("fault used up", st == 200, st)
c.close()
ctl("fault", "status=500", "match=/status")
ctl("fault", "status=503", "body=down", "content_type=text/plain")
ctl("fault", "status=502")
check("fault match skips", api("GET", MV)[0] == 503)
check("fault match hits", api("GET", "/execution/x/status")[0] == 500)
check("fault queue order", api("GET", MV)[0] == 502)
ctl("fault", "status=503", "body=down", "content_type=text/plain")
c = Client()
st, data, r = c.req("GET", "/api/v1" + MV)
check("fault raw body", (st, data) == (503, b"down") and r.getheader("Content-Type") == "text/plain", (st, data))
ctl("fault", "malformed=1")
st, data, r = c.req("GET", "/api/v1" + MV)
check("malformed", st == 200 and isinstance(data, bytes) and int(r.getheader("Content-Length")) == len(data), data)
ctl("fault", "oversized=5000")
st, data, r = c.req("GET", "/api/v1" + MV)
check("oversized", st == 200 and len(r.raw_body) == 5000 and r.raw_body.startswith(b"{"), len(r.raw_body))
st, data, r = c.req("GET", "/api/v1" + MV)
check("keep-alive after faults", st == 200, st)
c.close()
ctl("fault", "reset=1")
try:
    api("GET", MV)
    check("reset fault", False, "no error")
except (ConnectionResetError, http.client.RemoteDisconnected) as err:
    check("reset fault", isinstance(err, ConnectionResetError), repr(err))
check("reset recorded", ctl_json("last")["status"] == "reset", ctl("last"))
ctl("fault", "delay_ms=800", "match=/status")
result = {}
def slow():
    t = time.monotonic()
    result["st"] = api("GET", "/execution/nope/status")[0]
    result["t"] = time.monotonic() - t
th = threading.Thread(target=slow)
th.start()
time.sleep(0.1)
t0 = time.monotonic()
st = api("GET", MV)[0]
fast = time.monotonic() - t0
th.join()
check("delay does not block", st == 200 and fast < 0.5, fast)
check("pure delay serves normally", result["st"] == 404 and result["t"] >= 0.75, result)
ctl("fault", "status=504", "delay_ms=200")
t0 = time.monotonic()
check("delay plus status", api("GET", MV)[0] == 504 and time.monotonic() - t0 >= 0.19)
ctl("fault", "status=429", "body=123")
check("ctl body stays text", api("GET", MV)[1] == 123)
check("fault needs action", ctl("fault", "times=2", expect_rc=1) == [])
check("fault unknown key", ctl("fault", "status=500", "colour=red", expect_rc=1) == [])
ctl("reset")
check("reset drops faults", api("GET", MV)[0] == 200)

# ---- robustness ----
def raw(data, read=True):
    s = socket.create_connection(("127.0.0.1", PORT), timeout=5)
    s.sendall(data)
    out = b""
    if read:
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                out += chunk
        except socket.timeout:
            pass
    s.close()
    return out

hdr = "X-Dune-Api-Key: %s\r\nAccept: application/json\r\nUser-Agent: dune_mv/1\r\n" % KEY
out = raw(("POST /api/v1/materialized-views HTTP/1.1\r\nHost: x\r\n%sContent-Type: application/json\r\n"
           "Content-Length: 99999999999\r\n\r\n" % hdr).encode())
check("huge content-length 413", out.startswith(b"HTTP/1.1 413") and b"Connection: close" in out, out[:80])
big = b'{"name": "' + b"a" * (1024 * 1024 + 10) + b'"}'
out = raw(("POST /api/v1/materialized-views HTTP/1.1\r\nHost: x\r\n%sContent-Type: application/json\r\n"
           "Content-Length: %d\r\n\r\n" % (hdr, len(big))).encode() + big)
check("big body 413", out.startswith(b"HTTP/1.1 413"), out[:80])
out = raw(("GET /api/v1/materialized-views HTTP/1.1\r\nHost: x\r\n%sContent-Length: -5\r\n\r\n" % hdr).encode())
check("bad content-length 400", out.startswith(b"HTTP/1.1 400"), out[:80])
out = raw(b"GARBAGE\r\n\r\n")
check("garbage request line", b"400" in out, out[:80])
out = raw(b"BREW /api/v1/materialized-views HTTP/1.1\r\nHost: x\r\n\r\n")
check("unknown method 501", out.startswith(b"HTTP/1.0 501") or out.startswith(b"HTTP/1.1 501"), out[:80])
chunked = b'{"name": "result_chunky", "query_id": 7}'
out = raw(("POST /api/v1/materialized-views HTTP/1.1\r\nHost: x\r\n%sContent-Type: application/json\r\n"
           "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n%x\r\n" % (hdr, len(chunked))).encode()
          + chunked + b"\r\n0\r\n\r\n")
check("chunked body", out.startswith(b"HTTP/1.1 200") and b"result_chunky" in out, out[:200])
st, data = api("POST", MV, b"\xff\xfe{")
check("non-utf8 body 400", st == 400, st)
check("non-utf8 recorded", isinstance(ctl_json("last")["body"], str))
st, data = api("POST", MV, "[" * 100000)
check("deep nesting 400", st == 400, st)
check("deep nesting recorded as text", ctl_json("last")["body"] == "[" * 100000)
raw(b"POST /api/v1/materialized-views HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc", read=False)
check("server alive", api("GET", MV)[0] == 200)

# ---- ctl.py ----
ctl("reset")
api("GET", MV + "?limit=5")
api("POST", MV, good)
lines = ctl("requests")
check("key absent from records", KEY not in "".join(ctl("requests", "headers=1", "times=1")))
check("requests lines", len(lines) == 2 and lines[0] ==
      '{"body": null, "method": "GET", "path": "/api/v1/materialized-views", "query": "limit=5", "status": 200}', lines)
check("requests n=1", ctl("requests", "n=1") == [lines[1]], ctl("requests", "n=1"))
t = ctl_json("requests", "times=1")
check("requests times", all(isinstance(x["t"], float) for x in t) and t[0]["t"] <= t[1]["t"], t)
check("ctl reset prints ok", ctl("reset") == ['{"ok": true}'])
check("ctl last empty", ctl("last") == ["null"])
check("ctl requests empty", ctl("requests") == [])
check("ctl -q", subprocess.run([sys.executable, CTL, "-q", "dune", "stats"], capture_output=True,
                               text=True).stdout == "")
check("ctl unknown command", ctl("frobnicate", expect_rc=1) == [])
p = subprocess.run([sys.executable, CTL, "dune", "stats"], capture_output=True, text=True,
                   env=dict(os.environ, DUNE_MV_DUNE_PORT="1"))
check("ctl unreachable", p.returncode != 0 and "cannot reach" in p.stderr, p.stderr)
p = subprocess.run([sys.executable, CTL, "lance", "stats"], capture_output=True, text=True,
                   env={k: v for k, v in os.environ.items() if k != "DUNE_MV_LANCE_PORT"})
check("ctl lance port unset", p.returncode == 2, p.returncode)

finish()
PY
read -r PASSED FAILED <"$counts" || { PASSED=0; FAILED=1; echo "FAIL client crashed"; }
rm -f "$counts"
summary
