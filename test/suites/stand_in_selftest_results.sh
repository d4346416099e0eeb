#!/usr/bin/env bash
# Self-test of the Dune stand-in (test/dune_server.py, test/stand_in.py, test/ctl.py):
# the results endpoints (JSON and CSV pages, paging, columns, filters, sort_by,
# sample_count, states without a result, datasets, max_datapoints, results faults,
# serving speed).  The other endpoints: stand_in_selftest.sh.
# Starts its own server on a free port (the shared one is left alone), checks it with a
# stdlib Python client (test/stand_in_selftest.py), then stops it with SIGTERM.
# Last line: "N passed, N failed".
set -u
. "$(dirname "$0")/check.sh"
counts=$(mktemp)
PYTHONPATH="$(dirname "$0")/..${PYTHONPATH:+:$PYTHONPATH}" SELFTEST_COUNTS="$counts" python3 - <<'PY'
import csv, http.client, io, json, os, re, time, urllib.parse
from decimal import Decimal
from urllib.parse import urlsplit

from stand_in_selftest import FQ, HDRS, KEY, MV, TS_RE, Client, api, check, ctl, ctl_json, finish, start

PORT = start()
good = {"name": "result_good_1", "query_id": 42}

SLACK = float(os.environ.get("DUNE_MV_TIME_SLACK", "1"))
TYPES_NAMES = ["id", "c_varchar", "c_bigint", "c_integer", "c_double", "c_boolean", "c_date",
               "c_timestamp", "c_timestamptz", "c_decimal", "c_decimal_small", "c_uint256",
               "c_int256", "c_varbinary", "c_array_varchar", "c_array_bigint", "c_json", "c_row",
               "c_map", "c_ipaddress", 'Odd "Name", ü']
TYPES_TYPES = ["bigint", "varchar", "bigint", "integer", "double", "boolean", "date", "timestamp(3)",
               "timestamp(3) with time zone", "decimal(38,18)", "decimal(10,2)", "uint256", "int256",
               "varbinary", "array(varchar)", "array(bigint)", "json", "row(a bigint, b varchar)",
               "map(varchar, bigint)", "ipaddress", "varchar"]
BENCH_NAMES = ["amount", "block_time", "day", "flag", "hash", "id", "label", "n", "name", "value"]
BENCH_TYPES = ["double", "timestamp(3) with time zone", "date", "boolean", "varbinary", "bigint",
               "varchar", "integer", "varchar", "decimal(38,18)"]
ENVELOPE = {"execution_id", "query_id", "state", "is_execution_finished", "submitted_at", "expires_at",
            "execution_started_at", "execution_ended_at"}
METADATA = {"column_names", "column_types", "row_count", "result_set_bytes", "total_row_count",
            "total_result_set_bytes", "datapoint_count", "pending_time_millis", "execution_time_millis"}
UNICODE = 'Grüße, 世界 🦆 "quoted" back\\slash\nnew line\ttab\r\n<&> \u2028end'
CSV_HDRS = {"Accept": "text/csv"}


def rget(path, headers=None):
    """GET an API path; (status, raw bytes, response)."""
    c = Client()
    try:
        st, _, r = c.req("GET", "/api/v1" + path, headers=headers)
        return st, r.raw_body, r
    finally:
        c.close()


def jload(raw):
    """Exact JSON: decimals as Decimal, integers as int, keys kept in order."""
    return json.loads(raw, parse_float=Decimal, object_pairs_hook=lambda kv: dict(kv))


def res(eid, query="", csv_=False):
    """(status, parsed body or raw bytes, response) of a results page."""
    path = "/execution/%s/results%s%s" % (eid, "/csv" if csv_ else "", "?" + query if query else "")
    st, raw, r = rget(path, CSV_HDRS if csv_ else None)
    if csv_ or st != 200:
        try:
            return st, (raw if csv_ and st == 200 else json.loads(raw)), r
        except ValueError:
            return st, raw, r
    try:
        return st, jload(raw), r
    except ValueError:
        return st, raw, r


def csv_rows(raw):
    return list(csv.reader(io.StringIO(raw.decode("utf-8"), newline="")))


def key_orders(raw):
    """The key lists of every row object, as written."""
    seen = []
    json.loads(raw, object_pairs_hook=lambda kv: seen.append([k for k, _ in kv]) or dict(kv))
    return seen


ctl("reset")
eid = api("POST", MV, good)[1]["execution_id"]
st, body, r = res(eid)
check("results 200", st == 200 and r.getheader("Content-Type") == "application/json", (st, body))
check("results envelope keys", set(body) == ENVELOPE | {"result"}, sorted(body))
check("results envelope values", body["execution_id"] == eid and body["query_id"] == 42
      and body["state"] == "QUERY_STATE_COMPLETED" and body["is_execution_finished"] is True
      and all(TS_RE.match(body[k]) for k in ENVELOPE - {"execution_id", "query_id", "state",
                                                          "is_execution_finished"}), body)
meta, rows = body["result"]["metadata"], body["result"]["rows"]
check("result keys", set(body["result"]) == {"metadata", "rows"}, sorted(body["result"]))
check("metadata keys", set(meta) == METADATA, sorted(meta))
check("types column_names", meta["column_names"] == TYPES_NAMES, meta["column_names"])
check("types column_types", meta["column_types"] == TYPES_TYPES, meta["column_types"])
check("types metadata counts", meta["row_count"] == 12 and meta["total_row_count"] == 12
      and meta["datapoint_count"] == 12 * 21 and meta["pending_time_millis"] == 0
      and meta["execution_time_millis"] == 0, meta)
check("bytes metadata", 0 < meta["result_set_bytes"] == meta["total_result_set_bytes"]
      and isinstance(meta["result_set_bytes"], int), meta)
check("no next page", "next_offset" not in body and "next_uri" not in body, sorted(body))
check("types rows", len(rows) == 12 and [x["id"] for x in rows] == list(range(12))
      and all(set(x) == set(TYPES_NAMES) for x in rows), [sorted(x) for x in rows[:1]])
raw = rget("/execution/%s/results" % eid)[1]
orders = [o for o in key_orders(raw) if "c_varchar" in o]
nested = [o for o in key_orders(raw) if o in (["a", "b"], ["k1", "k2"], ["a,b", "ü🦆"])]
check("row keys in byte order", len(orders) == 12 and orders[0] == sorted(TYPES_NAMES)
      and all(o == sorted(o) for o in orders) and len(nested) >= 4, orders[:1])
check("result before nothing: metadata first", raw.index(b'"metadata":') < raw.index(b'"rows":['))
r0, r1, r2, r3, r4, r5, r6, r7, r8, r9 = rows[:10]
check("row 1 all NULL", all(r1[k] is None for k in TYPES_NAMES if k != "id"), r1)
check("varchar", r0["c_varchar"] == "hello" and r2["c_varchar"] == "" and r3["c_varchar"] == " leading space"
      and r5["c_varchar"] == "\\N" and r6["c_varchar"] == "NULL" and r7["c_varchar"] == "\\.", (r0, r5))
check("unicode varchar", r4["c_varchar"] == UNICODE, r4["c_varchar"])
check("Go escapes <>& and U+2028", b"\\u003c\\u0026\\u003e \\u2028end" in raw and "🦆".encode() in raw)
check("bigint extremes", r2["c_bigint"] == 2 ** 63 - 1 and r3["c_bigint"] == -2 ** 63 and r0["c_bigint"] == 42,
      (r2["c_bigint"], r3["c_bigint"]))
check("integer extremes", r2["c_integer"] == 2 ** 31 - 1 and r3["c_integer"] == -2 ** 31)
check("double values", r0["c_double"] == Decimal("3.25") and r5["c_double"] == "NaN"
      and r6["c_double"] == "Infinity" and r7["c_double"] == "-Infinity", (r5["c_double"], r6["c_double"]))
check("double texts (Go)", b'"c_double":-0,' in raw and b'"c_double":1e+21,' in raw
      and b'"c_double":1.5e-7,' in raw and b'"c_double":1.7976931348623157e+308,' in raw
      and b'"c_double":5e-324,' in raw and b'"c_double":100,' in raw)
check("boolean", r0["c_boolean"] is True and r2["c_boolean"] is False and r3["c_boolean"] is None)
check("date and timestamps", r0["c_date"] == "2024-02-29" and r0["c_timestamp"] == "2024-02-29 13:45:01.123"
      and r0["c_timestamptz"] == "2024-02-29 13:45:01.123 UTC" and r3["c_date"] == "0001-01-01"
      and r2["c_timestamptz"] == "9999-12-31 23:59:59.999 UTC", r0)
check("decimal literals", b'"c_decimal":99999999999999999999.999999999999999999,' in raw
      and b'"c_decimal":-99999999999999999999.999999999999999999,' in raw
      and b'"c_decimal_small":1234.50,' in raw and b'"c_decimal":0.000000000000000001,' in raw
      and r2["c_decimal"] == Decimal("99999999999999999999.999999999999999999"))
check("uint256 and int256", r2["c_uint256"] == 2 ** 256 - 1 and r3["c_int256"] == -2 ** 255
      and r2["c_int256"] == 2 ** 255 - 1 and r3["c_uint256"] == 0
      and b'"c_uint256":115792089237316195423570985008687907853269984665640564039457584007913129639935,' in raw)
check("varbinary", r0["c_varbinary"] == "0xdeadbeef" and r2["c_varbinary"] == "0x"
      and r3["c_varbinary"] == "0x00" + "ff" * 31, (r0["c_varbinary"], r2["c_varbinary"]))
check("arrays", r0["c_array_varchar"] == ["a", "b"] and r0["c_array_bigint"] == [1, 2, 3]
      and r3["c_array_varchar"] == [None] and r2["c_array_bigint"] == [2 ** 63 - 1, -2 ** 63]
      and r4["c_array_varchar"][:3] == ["🦆", "a,b", 'q"uote'], (r0, r3))
check("json as text", r0["c_json"] == '{"a":1,"b":[true,null]}' and r3["c_json"] == "null"
      and json.loads(r4["c_json"]) == {"ü": "🦆", "esc": 'a"b\\c\n'}, r0["c_json"])
check("row and map", r0["c_row"] == {"a": 1, "b": "x"} and r0["c_map"] == {"k1": 1, "k2": 2}
      and r2["c_map"] == {} and r3["c_map"] == {"": 0} and r2["c_row"] == {"a": None, "b": None})
check("unknown type as text", r0["c_ipaddress"] == "192.168.0.1" and r2["c_ipaddress"] == "2001:db8::ff00:42:8329")
check("generated rows", all(isinstance(x["c_bigint"], (int, type(None))) and isinstance(x["c_varchar"], (str, type(None)))
                            and (x["c_date"] is None or re.match(r"^\d{4}-\d\d-\d\d$", x["c_date"]))
                            for x in rows[11:]) and rows[11]["id"] == 11, rows[11])

# paging
pages, q = [], "limit=5"
while q is not None and len(pages) < 6:
    st, b, _ = res(eid, q)
    pages.append(b)
    nxt = b.get("next_uri")
    q = urlsplit(nxt).query if nxt else None
check("paging ids", [[x["id"] for x in p["result"]["rows"]] for p in pages] ==
      [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9], [10, 11]], [p.get("next_offset") for p in pages])
check("paging next_offset", [p.get("next_offset") for p in pages] == [5, 10, None])
check("paging next_uri", pages[0]["next_uri"] == "http://127.0.0.1:%d/api/v1/execution/%s/results?limit=5&offset=5"
      % (PORT, eid) and "next_uri" not in pages[2], pages[0].get("next_uri"))
check("paging metadata", [p["result"]["metadata"]["row_count"] for p in pages] == [5, 5, 2]
      and all(p["result"]["metadata"]["total_row_count"] == 12 for p in pages)
      and pages[2]["result"]["metadata"]["datapoint_count"] == 42)
check("paging rows equal whole", sum((p["result"]["rows"] for p in pages), []) == rows)
st, b, _ = res(eid, "offset=50")
check("offset past end", st == 200 and b["result"]["rows"] == [] and "next_offset" not in b
      and b["result"]["metadata"]["total_row_count"] == 12 and b["result"]["metadata"]["row_count"] == 0, b)
st, b, _ = res(eid, "limit=5&offset=10")
check("last page short", [x["id"] for x in b["result"]["rows"]] == [10, 11] and "next_offset" not in b)
st, b, _ = res(eid, "offset=3&limit=2")
check("offset then limit", [x["id"] for x in b["result"]["rows"]] == [3, 4] and b["next_offset"] == 5
      and b["next_uri"].endswith("/results?limit=2&offset=5"), b.get("next_uri"))

# CSV
st, raw_csv, r = res(eid, csv_=True)
lines = csv_rows(raw_csv)
check("csv 200 text/plain", st == 200 and r.getheader("Content-Type").startswith("text/plain"), st)
check("csv header", raw_csv.split(b"\n", 1)[0].decode() ==
      ",".join(TYPES_NAMES[:-1]) + ',"Odd ""Name"", ü"', raw_csv[:80])
check("csv rows", len(lines) == 13 and all(len(x) == 21 for x in lines) and lines[0] == TYPES_NAMES, len(lines))
check("csv NULL is empty", lines[2] == ["1"] + [""] * 20, lines[2])
check("csv values", lines[1][1:7] == ["hello", "42", "7", "3.25", "true", "2024-02-29"]
      and lines[1][8] == "2024-02-29 13:45:01.123 UTC" and lines[1][9] == "12345.678900000000000000"
      and lines[1][13] == "0xdeadbeef" and lines[1][14] == '["a","b"]' and lines[1][17] == '{"a":1,"b":"x"}'
      and lines[1][16] == '{"a":1,"b":[true,null]}', lines[1])
check("csv unicode and markers", lines[5][1] == UNICODE and lines[6][1] == "\\N" and lines[8][1] == "\\."
      and lines[6][4] == "NaN" and lines[4][4] == "-0" and lines[3][11] == str(2 ** 256 - 1), lines[6])
check("csv quoting (Go)", b'\n3," leading space",' in raw_csv and b'\n7,"\\.",' in raw_csv
      and b',"with,comma ""and"" quotes"\n' in raw_csv and b'\n5,\\N,' in raw_csv)
check("csv line ends LF", raw_csv.endswith(b"\n") and raw_csv.count(b"\r\n") == 1)
csv_pages, q, hdrs = [], "limit=5", []
while q is not None and len(csv_pages) < 6:
    st, b, r = res(eid, q, csv_=True)
    csv_pages.append(csv_rows(b))
    hdrs.append((r.getheader("x-dune-next-offset"), r.getheader("x-dune-next-uri")))
    q = urlsplit(hdrs[-1][1]).query if hdrs[-1][1] else None
check("csv paging headers", [h[0] for h in hdrs] == ["5", "10", None] and hdrs[0][1] ==
      "http://127.0.0.1:%d/api/v1/execution/%s/results/csv?limit=5&offset=5" % (PORT, eid), hdrs)
check("csv pages", all(p[0] == TYPES_NAMES for p in csv_pages) and sum((p[1:] for p in csv_pages), []) == lines[1:])

# columns, filters, sort_by, sample_count
st, b, _ = res(eid, "columns=c_varchar,id")
check("columns", st == 200 and b["result"]["metadata"]["column_names"] == ["c_varchar", "id"]
      and b["result"]["metadata"]["column_types"] == ["varchar", "bigint"]
      and [(x["id"], x["c_varchar"]) for x in b["result"]["rows"]] == [(x["id"], x["c_varchar"]) for x in rows]
      and all(set(x) == {"c_varchar", "id"} for x in b["result"]["rows"])
      and b["result"]["metadata"]["datapoint_count"] == 24, b["result"]["metadata"])
raw = rget("/execution/%s/results?columns=id,c_varchar&limit=1" % eid)[1]
check("columns: metadata in the order asked, keys in byte order",
      b'"column_names":["id","c_varchar"]' in raw and b'"rows":[{"c_varchar":"hello","id":0}]' in raw, raw[-120:])
st, b, _ = res(eid, "columns=c_varchar,id", csv_=True)
check("csv columns", csv_rows(b)[:2] == [["c_varchar", "id"], ["hello", "0"]], b[:40])
for qs in ("columns=nope", "columns=id,id", "columns=", "columns=id,%20c_varchar"):
    check("columns bad " + qs, res(eid, qs)[0] == 400)
st, b, _ = res(eid, "filters=c_bigint%20%3E%200")
want = [x["id"] for x in rows if x["c_bigint"] is not None and x["c_bigint"] > 0]
check("filters >", st == 200 and [x["id"] for x in b["result"]["rows"]] == want
      and b["result"]["metadata"]["total_row_count"] == len(want) and len(want) >= 3, (want, b))
for expr, pred in (("c_varchar IS NULL", lambda x: x["c_varchar"] is None),
                   ("c_boolean = true AND c_date >= '2024-01-01'",
                    lambda x: x["c_boolean"] is True and x["c_date"] is not None and x["c_date"] >= "2024-01-01"),
                   ("id IN (1, 3) OR c_varchar LIKE 'he%'", lambda x: x["id"] in (1, 3) or (x["c_varchar"] or "").startswith("he")),
                   ('"Odd ""Name"", ü" = \'plain\'', lambda x: x['Odd "Name", ü'] == "plain"),
                   ("(id < 2 OR id > 9) AND c_integer IS NOT NULL",
                    lambda x: (x["id"] < 2 or x["id"] > 9) and x["c_integer"] is not None)):
    st, b, _ = res(eid, "filters=" + urllib.parse.quote(expr))
    want = [x["id"] for x in rows if pred(x)]
    check("filters " + expr, st == 200 and [x["id"] for x in b["result"]["rows"]] == want and want, (want, b))
for expr in ("c_bigint >", "nope = 1", "c_bigint = 'x'", "id = 1 AND", "c_map = 1"):
    st, b, _ = res(eid, "filters=" + urllib.parse.quote(expr))
    check("filters bad " + expr, st == 400 and "filters" in b["error"], (st, b))
st, b1, _ = res(eid, "filters=c_bigint%20IS%20NOT%20NULL&limit=3")
st, b2, _ = res(eid, urlsplit(b1["next_uri"]).query)
check("filters paging", "filters=c_bigint%20IS%20NOT%20NULL" in b1["next_uri"] and b1["next_offset"] == 3
      and [x["id"] for x in b1["result"]["rows"] + b2["result"]["rows"]][:6] ==
      [x["id"] for x in rows if x["c_bigint"] is not None][:6], b1.get("next_uri"))
st, b, _ = res(eid, "sort_by=c_bigint%20desc")
got = [x["c_bigint"] for x in b["result"]["rows"]]
nonnull = [v for v in got if v is not None]
check("sort_by desc, NULLs last", st == 200 and nonnull == sorted(nonnull, reverse=True)
      and got[len(nonnull):] == [None] * (len(got) - len(nonnull)) and got[0] == 2 ** 63 - 1, got)
st, b, _ = res(eid, "sort_by=id%20desc&limit=3")
check("sort_by and limit", [x["id"] for x in b["result"]["rows"]] == [11, 10, 9] and b["next_offset"] == 3)
check("sort_by bad", res(eid, "sort_by=nope")[0] == 400 and res(eid, "sort_by=id%20sideways")[0] == 400)
st, b, _ = res(eid, "sample_count=3")
check("sample_count", st == 200 and len(b["result"]["rows"]) == 3 and "next_offset" not in b, b)
check("sample_count all", len(res(eid, "sample_count=50")[1]["result"]["rows"]) == 12)
for qs in ("sample_count=3&limit=2", "sample_count=3&offset=0", "sample_count=3&filters=id%20%3D%201"):
    check("sample_count with " + qs, res(eid, qs)[0] == 400)

# parameter checks
for qs in ("limit=abc", "limit=0", "limit=-1", "offset=-1", "offset=1.5", "limit=1&limit=2", "limit=%C2%B2",
           "allow_partial_results=1", "allow_partial_results=TRUE", "ignore_max_datapoints_per_request=yes",
           "foo=1", "api_key=" + KEY, "sample_count=0"):
    st, b, _ = res(eid, qs)
    check("results param " + qs, st == 400 and "error" in b, (st, b))
for qs in ("allow_partial_results=true", "allow_partial_results=false", "ignore_max_datapoints_per_request=false",
           "limit=1&offset=0&columns=id&sort_by=id&filters=id%20%3E%3D%200"):
    check("results param ok " + qs, res(eid, qs)[0] == 200)
check("results Accept text/csv 406", rget("/execution/%s/results" % eid, {"Accept": "text/csv"})[0] == 406)
check("csv Accept json 406", rget("/execution/%s/results/csv" % eid, {"Accept": "application/json"})[0] == 406)
check("csv Accept text/plain", rget("/execution/%s/results/csv" % eid, {"Accept": "text/plain"})[0] == 200)
check("results POST 405", api("POST", "/execution/%s/results" % eid, {})[0] == 405)
check("results/x 404", api("GET", "/execution/%s/results/x" % eid)[0] == 404)
check("results no key 401", rget("/execution/%s/results" % eid, {"X-Dune-Api-Key": "no"})[0] == 401)
st, b, _ = res("01JDMV99999999999999999999")
check("results unknown 404", (st, b) == (404, {"error": "Object not found"}), (st, b))
check("csv unknown 404", res("nope", csv_=True)[0] == 404)

# states without a result
for state in ("QUERY_STATE_EXECUTING", "QUERY_STATE_PENDING"):
    ctl("set", "exec=" + eid, "state=" + state)
    st, b, _ = res(eid)
    check("results while " + state, st == 200 and b["state"] == state and b["is_execution_finished"] is False
          and "result" not in b and "next_offset" not in b and set(b) <= ENVELOPE, b)
    check("csv while " + state, res(eid, csv_=True)[0] == 400)
ctl("set", "exec=" + eid, "state=QUERY_STATE_FAILED")
st, b, _ = res(eid)
check("results failed", st == 200 and b["state"] == "QUERY_STATE_FAILED" and "result" not in b
      and b["error"]["type"] == "FAILED_TYPE_EXECUTION_FAILED" and b["is_execution_finished"] is True, b)
ctl("set", "exec=" + eid, "state=QUERY_STATE_COMPLETED_PARTIAL")
st, b, _ = res(eid)
check("partial refused", st == 400 and "allow" in b["error"] and "partial" in b["error"].lower(), (st, b))
st, b, _ = res(eid, "allow_partial_results=true&limit=2")
check("partial allowed", st == 200 and b["state"] == "QUERY_STATE_COMPLETED_PARTIAL"
      and len(b["result"]["rows"]) == 2 and b["next_uri"].endswith("allow_partial_results=true&limit=2&offset=2"), b)
ctl("set", "exec=" + eid, "state=QUERY_STATE_COMPLETED")
eid_c = api("POST", MV + "/" + FQ + "result_good_1/refresh", {})[1]["execution_id"]
ctl("set", "exec=" + eid_c, "state=QUERY_STATE_PENDING")
api("POST", "/execution/%s/cancel" % eid_c)
ctl("set", "exec=" + eid_c, "state=QUERY_STATE_CANCELLED")
st, b, _ = res(eid_c)
check("results cancelled", st == 200 and b["state"] == "QUERY_STATE_CANCELLED" and "result" not in b, b)

# which result: ctl results
out = ctl_json("results", "exec=" + eid, "dataset=bench", "rows=1000")
check("ctl results answer", out == {"ok": True, "rows": 1000, "columns": BENCH_NAMES}, out)
st, b, _ = res(eid, "limit=400")
check("bench columns", b["result"]["metadata"]["column_names"] == BENCH_NAMES
      and b["result"]["metadata"]["column_types"] == BENCH_TYPES and b["result"]["metadata"]["total_row_count"] == 1000)
bench_rows, q = [], "limit=400"
while q is not None and len(bench_rows) < 2000:
    st, b, _ = res(eid, q)
    bench_rows += b["result"]["rows"]
    q = "limit=400&offset=%d" % b["next_offset"] if "next_offset" in b else None
check("bench rows", [x["id"] for x in bench_rows] == list(range(1, 1001)), len(bench_rows))
check("bench values", all(re.match(r"^0x[0-9a-f]{32}$", x["hash"]) and isinstance(x["n"], int)
                          and -2 ** 31 <= x["n"] < 2 ** 31 and isinstance(x["value"], Decimal)
                          and re.match(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} UTC$", x["block_time"])
                          and x["flag"] in (True, False, None) for x in bench_rows)
      and sum(x["label"] is None for x in bench_rows) == 59 and sum(x["flag"] is None for x in bench_rows) == 91,
      bench_rows[0])
raw_fast = rget("/execution/%s/results?limit=1000" % eid)[1]
raw_slow = rget("/execution/%s/results?limit=1000&columns=%s" % (eid, ",".join(BENCH_NAMES)))[1]
check("bench prepared bytes = rendered bytes",
      raw_fast[raw_fast.index(b'"rows":'):] == raw_slow[raw_slow.index(b'"rows":'):], (raw_fast[-200:], raw_slow[-200:]))
csv_fast = rget("/execution/%s/results/csv" % eid, CSV_HDRS)[1]
csv_slow = rget("/execution/%s/results/csv?columns=%s" % (eid, ",".join(BENCH_NAMES)), CSV_HDRS)[1]
check("bench csv prepared = rendered", csv_fast == csv_slow and csv_fast.count(b"\n") == 1001)
as_text = lambda v: "" if v is None else str(v).lower() if isinstance(v, bool) else str(v)
check("bench csv = json", [[as_text(x[k]) for k in BENCH_NAMES] for x in bench_rows[:50]] ==
      csv_rows(csv_fast)[1:51], csv_rows(csv_fast)[1])
eid2 = api("POST", MV + "/" + FQ + "result_good_1/refresh", {})[1]["execution_id"]
check("other executions keep the default", res(eid2)[1]["result"]["metadata"]["column_names"] == TYPES_NAMES)
next_id = "01JDMV%020d" % (int(eid2[6:]) + 1)
check("ctl results positional", ctl_json("results", next_id, "dataset=bench", "rows=7")["rows"] == 7)
eid3 = api("POST", MV + "/" + FQ + "result_good_1/refresh", {})[1]["execution_id"]
check("configured before it exists", eid3 == next_id and res(eid3)[1]["result"]["metadata"]["total_row_count"] == 7)
ctl("results", "dataset=types", "rows=30")
check("default rows=30", res(eid2)[1]["result"]["metadata"]["total_row_count"] == 30
      and len(res(eid2, "filters=id%20%3E%3D%2012")[1]["result"]["rows"]) == 18)
ctl("results", "exec=" + eid2, "bignum=string")
raw = rget("/execution/%s/results" % eid2)[1]
check("bignum=string", b'"c_decimal":"99999999999999999999.999999999999999999",' in raw
      and b'"c_uint256":"115792089237316195423570985008687907853269984665640564039457584007913129639935",' in raw
      and b'"c_bigint":9223372036854775807,' in raw and b'"c_decimal_small":"1234.50",' in raw)
ctl("results", "exec=" + eid2, "metadata_last=1")
raw = rget("/execution/%s/results" % eid2)[1]
check("metadata_last", raw.index(b'"rows":[') < raw.index(b'"metadata":') and jload(raw)["result"]["metadata"]["row_count"] == 12)
for bad in (["dataset=nope"], ["rows=-1"], ["rows=99999999"], ["colour=red"], ["bignum=text"], ["prepare=soon"]):
    check("ctl results refuses " + bad[0], ctl("results", *bad, expect_rc=1) == [])
ctl("reset")
eid = api("POST", MV, good)[1]["execution_id"]
check("reset restores types", res(eid)[1]["result"]["metadata"]["total_row_count"] == 12)

# max_datapoints
ctl("results", "dataset=bench", "rows=100")
ctl("set", "max_datapoints=100")
st, b, _ = res(eid, "limit=50&offset=20")
check("max_datapoints caps the page", len(b["result"]["rows"]) == 10 and b["next_offset"] == 30, b.get("next_offset"))
st, b, _ = res(eid, "limit=50&offset=20&ignore_max_datapoints_per_request=true")
check("ignore_max_datapoints_per_request", len(b["result"]["rows"]) == 50 and b["next_offset"] == 70)
st, b, _ = res(eid, "limit=50&columns=id")
check("max_datapoints per column", len(b["result"]["rows"]) == 50)
ctl("set", "max_datapoints=0")

# recorded parameters
ctl("reset")
eid = api("POST", MV, good)[1]["execution_id"]
q, n_pages = "limit=5", 0
while q and n_pages < 5:
    n_pages += 1
    b = res(eid, q)[1]
    q = urlsplit(b["next_uri"]).query if "next_uri" in b else None
recs = [x for x in ctl_json("requests", "params=1") if "/results" in x["path"]]
check("recorded params", [x["params"] for x in recs] ==
      [{"limit": ["5"]}, {"limit": ["5"], "offset": ["5"]}, {"limit": ["5"], "offset": ["10"]}], recs)
check("recorded raw query", [x["query"] for x in recs] == ["limit=5", "limit=5&offset=5", "limit=5&offset=10"])
check("last params=1", ctl_json("last", "params=1")["params"] == {"limit": ["5"], "offset": ["10"]})

# results faults
ctl("reset")
eid = api("POST", MV, good)[1]["execution_id"]
P = "/execution/%s/results" % eid
normal = {o: rget(P + "?limit=5&offset=%d" % o)[1] for o in (0, 5, 10)}
ctl("fault", "results=malformed", "match=/results?", "skip=1")
got = [rget(P + "?limit=5&offset=%d" % o) for o in (0, 5, 10)]
def parses(raw_):
    try:
        json.loads(raw_)
        return True
    except ValueError:
        return False
check("malformed: page 2 only", parses(got[0][1]) and not parses(got[1][1]) and parses(got[2][1]), got[1][1][-300:])
check("malformed: a stray byte between rows", got[1][1].replace(b",@{", b",{") == normal[5]
      and int(got[1][2].getheader("Content-Length")) == len(got[1][1]))
ctl("fault", "results=malformed", "match=/results?", "param=offset=5")
got = [rget(P + "?limit=5&offset=%d" % o)[1] for o in (0, 5, 5)]
check("malformed at offset=5, retry clean", parses(got[0]) and not parses(got[1]) and got[2] == normal[5])
ctl("fault", "results=truncated", "match=/results?")
raw = rget(P + "?limit=5&offset=0")[1]
check("truncated", raw == normal[0][:len(normal[0]) // 2] and not parses(raw), len(raw))
ctl("fault", "results=bad_value", "match=/results?")
b = jload(rget(P + "?limit=5")[1])["result"]["rows"]
check("bad_value default", b[0]["id"] == "abc" and b[1]["id"] == 1, b[0]["id"])
ctl("fault", "results=bad_value", "column=c_date", "row=2", "match=/results?")
b = jload(rget(P + "?limit=5")[1])["result"]["rows"]
check("bad_value date row 2", b[2]["c_date"] == "2024-02-30" and b[0]["c_date"] == "2024-02-29" and b[2]["id"] == 2, b[2])
ctl("fault", "results=bad_value", "column=c_timestamptz", "match=/results?")
check("bad_value timestamptz",
      jload(rget(P + "?limit=1")[1])["result"]["rows"][0]["c_timestamptz"] == "2024-01-01 25:00:00.000 UTC")
ctl("fault", "results=bad_value", "column=c_boolean", "value=maybe not", "match=/results?")
check("bad_value given text", jload(rget(P + "?limit=1")[1])["result"]["rows"][0]["c_boolean"] == "maybe not")
ctl("fault", "results=bad_value", "column=c_bigint", "match=/results/csv")
check("bad_value csv", csv_rows(rget(P + "/csv", CSV_HDRS)[1])[1][2] == "abc")
ctl("fault", "results=rename_column", "match=/results?", "skip=1")
b1, b2 = jload(rget(P + "?limit=5")[1]), jload(rget(P + "?limit=5&offset=5")[1])
check("rename on page 2", b1["result"]["metadata"]["column_names"][0] == "id"
      and b2["result"]["metadata"]["column_names"][0] == "id_renamed"
      and all("id_renamed" in x and "id" not in x for x in b2["result"]["rows"]), b2["result"]["metadata"]["column_names"][:2])
ctl("fault", "results=retype_column", "column=c_bigint", "match=/results?")
b = jload(rget(P + "?limit=5")[1])
check("retype_column", b["result"]["metadata"]["column_types"][2] == "varchar" and b["result"]["rows"][0]["c_bigint"] == "42"
      and b["result"]["rows"][1]["c_bigint"] is None and b["result"]["metadata"]["column_names"][2] == "c_bigint")
ctl("fault", "results=drop_column", "column=c_varchar", "match=/results?")
b = jload(rget(P + "?limit=5")[1])
check("drop_column", "c_varchar" not in b["result"]["metadata"]["column_names"] and len(b["result"]["metadata"]["column_types"]) == 20
      and all("c_varchar" not in x for x in b["result"]["rows"]))
ctl("fault", "results=extra_column", "match=/results?")
b = jload(rget(P + "?limit=5")[1])
check("extra_column", b["result"]["metadata"]["column_names"][-1] == "extra_column"
      and b["result"]["metadata"]["column_types"][-1] == "varchar" and all(x["extra_column"] == "surprise" for x in b["result"]["rows"]))
ctl("fault", "results=repeat_offset", "match=/results?", "param=offset=5")
b = jload(rget(P + "?limit=5&offset=5")[1])
check("repeat_offset", b["next_offset"] == 5 and b["next_uri"].endswith("?limit=5&offset=5")
      and [x["id"] for x in b["result"]["rows"]] == [5, 6, 7, 8, 9], b.get("next_uri"))
ctl("fault", "results=repeat_offset", "match=/results?")
b = jload(rget(P + "?limit=5&offset=10")[1])
check("repeat_offset on the last page", b["next_offset"] == 10)
ctl("fault", "results=rows_not_array", "match=/results?")
b = jload(rget(P + "?limit=5")[1])
check("rows_not_array", isinstance(b["result"]["rows"], dict) and "metadata" in b["result"])
ctl("fault", "results=no_metadata", "match=/results?")
b = jload(rget(P + "?limit=5")[1])
check("no_metadata", "metadata" not in b["result"] and len(b["result"]["rows"]) == 5 and b["next_offset"] == 5)
ctl("fault", "results=malformed", "match=/results/csv", "skip=1")
c1, c2 = rget(P + "/csv?limit=4", CSV_HDRS)[1], rget(P + "/csv?limit=4&offset=4", CSV_HDRS)[1]
check("csv malformed on page 2", b'bare"quote' not in c1 and b'\nbare"quote,6,' in c2
      and len(csv_rows(c2)[3]) == 22, c2[:300])
ctl("fault", "results=repeat_offset", "match=/results/csv")
r = rget(P + "/csv?limit=4&offset=4", CSV_HDRS)[2]
check("csv repeat_offset", r.getheader("x-dune-next-offset") == "4", r.getheader("x-dune-next-offset"))
ctl("fault", "results=rename_column", "match=/results/csv")
check("csv rename", rget(P + "/csv?limit=2", CSV_HDRS)[1].startswith(b"id_renamed,c_varchar,"))
whole = rget(P + "/csv?limit=4", CSV_HDRS)[1]
ctl("fault", "results=truncated", "match=/results/csv")
check("csv truncated", rget(P + "/csv?limit=4", CSV_HDRS)[1] == whole[:len(whole) // 2])
ctl("fault", "results=malformed")
check("results fault skips other endpoints", api("GET", "/execution/%s/status" % eid)[0] == 200
      and parses(rget(P)[1]))
ctl("fault", "status=429", "retry_after=2", "match=/results?", "param=offset=5")
got = [rget(P + "?limit=5&offset=%d" % o) for o in (0, 5, 5)]
check("429 on page 2 only", [g[0] for g in got] == [200, 429, 200] and got[1][2].getheader("Retry-After") == "2")
ctl("fault", "status=500", "match=/results", "skip=2")
check("skip=2 hits the third", [rget(P + "?limit=1&offset=%d" % o)[0] for o in range(4)] == [200, 200, 500, 200])
ctl("fault", "reset=1", "match=/results?", "param=offset=10")
try:
    rget(P + "?limit=5&offset=10")
    check("reset on page 3", False, "no error")
except (ConnectionResetError, http.client.RemoteDisconnected):
    check("reset on page 3", True)
ctl("fault", "delay_ms=300", "match=/results?", "param=offset=5")
t0 = time.monotonic()
ok_ = rget(P + "?limit=5&offset=5")[1] == normal[5]
check("delay then the page", ok_ and time.monotonic() - t0 >= 0.29)
for bad in (["results=bogus"], ["results=malformed", "row=-1"], ["column=id"], ["results=bad_value", "colour=1"],
            ["status=500", "param=offset"], ["status=500", "skip=-1"]):
    check("fault refuses " + " ".join(bad), ctl("fault", *bad, expect_rc=1) == [])

# serving speed: 200k bench rows in pages of 50k (prepared), generously bounded
ctl("reset")
eid = api("POST", MV, good)[1]["execution_id"]
prep = ctl_json("results", "dataset=bench", "rows=200000", "prepare=both")
check("prepare builds both", set(prep) >= {"build_seconds_json", "build_seconds_csv"}, prep)
conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
t0 = time.monotonic()
n_rows, off, n_pages = 0, 0, 0
while off is not None and n_pages < 10:
    n_pages += 1
    conn.request("GET", "/api/v1/execution/%s/results?limit=50000&offset=%d" % (eid, off), headers=HDRS)
    body = conn.getresponse().read()  # read, not parsed: this times the server
    n_rows += body.count(b'"id":')
    i = body.find(b'"next_offset":', 0, 700)
    off = int(body[i + 14:body.index(b",", i)]) if i >= 0 else None
dt = time.monotonic() - t0
conn.close()
check("200k rows served fast", n_rows == 200000 and n_pages == 4 and dt < 3.0 * SLACK, (n_rows, n_pages, dt))
ctl("reset")

finish()
PY
read -r PASSED FAILED <"$counts" || { PASSED=0; FAILED=1; echo "FAIL client crashed"; }
rm -f "$counts"
summary
