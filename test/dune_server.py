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
"results: types, values and their rendering" below.  Without a result: unknown
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
"""

import argparse
import array
import collections
import datetime
import decimal
import itertools
import json
import math
import operator
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


# ---- results: types, values and their rendering ----------------------------------
#
# Rendering, as Dune's JSON results show it (its API is written in Go; where the
# spec and the notes say nothing, the choice is Go's encoding/json and is marked
# ASSUMED):
#   row objects      keys in byte order (Go writes a map so; Dune's own example of
#                    /results lists "24 Hours Volume", "7 Days Volume", "Rank", ...
#                    while metadata.column_names keeps the query's order); compact
#   varchar          JSON string, UTF-8 as is; control characters, '"' and '\' escaped,
#                    and <, >, &, U+2028, U+2029 as \u escapes (Go's default)
#   bigint, integer  JSON number, exact
#   double           JSON number, Go's shortest form: 3 not 3.0, -0 for negative zero,
#                    1e+21 and 1.5e-7 for large and small ones; NaN and +-Infinity
#                    as the strings "NaN", "Infinity", "-Infinity" (ASSUMED, as
#                    Trino's client protocol; Go's encoder cannot write them)
#   boolean          true / false
#   date             "2024-02-29"
#   timestamp(3)     "2024-02-29 13:45:01.123"
#   timestamp(3) with time zone   "2024-02-29 13:45:01.123 UTC"
#   decimal(p,s), uint256, int256 JSON number literal with every digit and the full
#                    scale (12.500000000000000000); with bignum=string a JSON string
#                    instead (ASSUMED: the spec does not say; both are plausible, the
#                    literal is the harder one for a parser that reads doubles)
#   varbinary        "0x" + lower-case hex ("0x" when empty)
#   array(T)         JSON array; map(K,V) JSON object; row(...) JSON object keyed by
#                    field name (ASSUMED), keys in byte order
#   json             JSON string holding the JSON text (ASSUMED, as Trino)
#   other types      JSON string of the value's text (the dataset's "ipaddress")
#   NULL             null (the key is present)
# CSV (RFC 4180 fields, Go's encoding/csv writer: "\n" line ends, a field is quoted
# when it holds , " CR or LF, starts with a space, or is \. ; NULL and '' are both
# an empty field): scalars as their JSON text without quotes, arrays, maps and rows
# as their compact JSON text, json as its text (ASSUMED).

GO_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026",
              "\u2028": "\\u2028", "\u2029": "\\u2029"}
GO_ESCAPE_RE = re.compile("[<>&\u2028\u2029]")
INT_TEXT_RE = re.compile(r"^[0-9]+$")
DOUBLE_SPECIALS = {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}


def go_string(text):
    """A JSON string as Go's encoding/json writes it."""
    out = json.dumps(text, ensure_ascii=False)
    if GO_ESCAPE_RE.search(out):
        out = GO_ESCAPE_RE.sub(lambda m: GO_ESCAPES[m.group()], out)
    return out


def go_float(value):
    """A finite double as Go's encoding/json writes it (shortest round trip)."""
    if value == 0:
        return "-0" if math.copysign(1.0, value) < 0 else "0"
    dec = decimal.Decimal(repr(value)).normalize()
    if 1e-6 <= abs(value) < 1e21:
        return format(dec, "f")
    sign, digits, exp = dec.as_tuple()
    power = exp + len(digits) - 1
    mantissa = str(digits[0]) + ("." + "".join(map(str, digits[1:])) if len(digits) > 1 else "")
    # Go writes at least two exponent digits, then cleans "e-07" up to "e-7".
    exp_text = "%d" % -power if -10 < power < 0 else "%02d" % abs(power)
    return "%s%se%s%s" % ("-" if sign else "", mantissa, "-" if power < 0 else "+", exp_text)


def double_text(value):
    """The text of a double: Go's form, or NaN / Infinity / -Infinity."""
    if math.isfinite(value):
        return go_float(value)
    return DOUBLE_SPECIALS[repr(value)]


def split_top(text):
    """Split a type's parameter list at top-level commas."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(text[start:i].strip())
            start = i + 1
    parts.append(text[start:].strip())
    return parts


def parse_type(text):
    """A Trino type name as a tuple: ("array", T), ("map", K, V),
    ("row", [(name, T), ...]) or ("scalar", kind, text)."""
    if text.startswith("array(") and text.endswith(")"):
        return ("array", parse_type(text[6:-1]))
    if text.startswith("map(") and text.endswith(")"):
        key, value = split_top(text[4:-1])
        return ("map", parse_type(key), parse_type(value))
    if text.startswith("row(") and text.endswith(")"):
        fields = []
        for part in split_top(text[4:-1]):
            name, _, ftype = part.partition(" ")
            fields.append((name, parse_type(ftype)))
        return ("row", fields)
    base = text.split("(")[0]
    kind = {"varchar": "text", "date": "text", "timestamp": "text", "bigint": "int",
            "integer": "int", "smallint": "int", "tinyint": "int", "uint256": "bigint",
            "int256": "bigint", "decimal": "decimal", "double": "double", "real": "double",
            "boolean": "bool", "varbinary": "binary", "json": "json"}.get(base, "other")
    return ("scalar", kind, text)


def json_encoder(spec, bignum="number"):
    """A function rendering a value of type spec as JSON text."""
    if spec[0] == "array":
        elem = json_encoder(spec[1], bignum)
        return lambda v: "null" if v is None else "[" + ",".join(map(elem, v)) + "]"
    if spec[0] == "map":
        enc = json_encoder(spec[2], bignum)
        return lambda v: "null" if v is None else "{" + ",".join(
            go_string(k) + ":" + enc(v[k]) for k in sorted(v)) + "}"
    if spec[0] == "row":
        encs = {name: json_encoder(ftype, bignum) for name, ftype in spec[1]}
        return lambda v: "null" if v is None else "{" + ",".join(
            go_string(k) + ":" + encs[k](v[k]) for k in sorted(v)) + "}"
    kind = spec[1]
    if kind in ("text", "json"):
        enc = go_string
    elif kind == "int":
        enc = str
    elif kind == "bigint":
        enc = str if bignum == "number" else (lambda v: '"%d"' % v)
    elif kind == "decimal":
        enc = (lambda v: format(v, "f")) if bignum == "number" else \
            (lambda v: '"%s"' % format(v, "f"))
    elif kind == "double":
        enc = lambda v: go_float(v) if math.isfinite(v) else '"%s"' % double_text(v)
    elif kind == "bool":
        enc = lambda v: "true" if v else "false"
    elif kind == "binary":
        enc = lambda v: '"0x' + v.hex() + '"'
    else:
        enc = lambda v: go_string(str(v))
    return lambda v: "null" if v is None else enc(v)


def csv_quote(field):
    """A CSV field as Go's encoding/csv writes it."""
    if field == "":
        return field
    if field == "\\." or '"' in field or "," in field or "\n" in field or "\r" in field \
            or field[0].isspace():
        return '"' + field.replace('"', '""') + '"'
    return field


def text_encoder(spec):
    """A function rendering a non-NULL value of type spec as CSV text (unquoted)."""
    if spec[0] != "scalar":
        return json_encoder(spec)
    kind = spec[1]
    if kind == "decimal":
        return lambda v: format(v, "f")
    if kind == "double":
        return double_text
    if kind == "bool":
        return lambda v: "true" if v else "false"
    if kind == "binary":
        return lambda v: "0x" + v.hex()
    return str


class Column:
    """One result column: name, Trino type, JSON and CSV renderers."""

    def __init__(self, name, type_text, bignum="number"):
        self.name = name
        self.type = type_text
        self.spec = parse_type(type_text)
        self.key = go_string(name) + ":"
        self.json = json_encoder(self.spec, bignum)
        self.text = text_encoder(self.spec)

    def csv(self, value):
        """The value as one CSV field."""
        return "" if value is None else csv_quote(self.text(value))


# ---- results: datasets ---------------------------------------------------------------

def dec(text):
    """A decimal value (exact; the text carries the scale)."""
    return decimal.Decimal(text)


def mix(i, k):
    """A deterministic 64-bit hash of (row, salt)."""
    x = (i * 0x9E3779B97F4A7C15 + k * 0xBF58476D1CE4E5B9 + 0x632BE59BD9B4E019) & (2 ** 64 - 1)
    x ^= x >> 31
    x = (x * 0x94D049BB133111EB) & (2 ** 64 - 1)
    return x ^ (x >> 29)


UINT256_MAX = 2 ** 256 - 1
INT256_MIN, INT256_MAX = -2 ** 255, 2 ** 255 - 1
TYPES_COLUMNS = (
    ("id", "bigint"),
    ("c_varchar", "varchar"),
    ("c_bigint", "bigint"),
    ("c_integer", "integer"),
    ("c_double", "double"),
    ("c_boolean", "boolean"),
    ("c_date", "date"),
    ("c_timestamp", "timestamp(3)"),
    ("c_timestamptz", "timestamp(3) with time zone"),
    ("c_decimal", "decimal(38,18)"),
    ("c_decimal_small", "decimal(10,2)"),
    ("c_uint256", "uint256"),
    ("c_int256", "int256"),
    ("c_varbinary", "varbinary"),
    ("c_array_varchar", "array(varchar)"),
    ("c_array_bigint", "array(bigint)"),
    ("c_json", "json"),
    ("c_row", "row(a bigint, b varchar)"),
    ("c_map", "map(varchar, bigint)"),
    ("c_ipaddress", "ipaddress"),
    ('Odd "Name", ü', "varchar"),
)
UNICODE_TEXT = 'Grüße, 世界 🦆 "quoted" back\\slash\nnew line\ttab\r\n<&> \u2028end'
# One row per line, values in TYPES_COLUMNS order after id (id is the row number).
TYPES_EDGE_ROWS = (
    # 0: ordinary values
    ("hello", 42, 7, 3.25, True, "2024-02-29", "2024-02-29 13:45:01.123",
     "2024-02-29 13:45:01.123 UTC", dec("12345.678900000000000000"), dec("1234.50"),
     10 ** 18, -10 ** 18, bytes.fromhex("deadbeef"), ["a", "b"], [1, 2, 3],
     '{"a":1,"b":[true,null]}', {"a": 1, "b": "x"}, {"k1": 1, "k2": 2}, "192.168.0.1", "plain"),
    # 1: every column NULL
    (None,) * 20,
    # 2: maxima, empty values
    ("", 2 ** 63 - 1, 2 ** 31 - 1, 1.7976931348623157e308, False, "9999-12-31",
     "9999-12-31 23:59:59.999", "9999-12-31 23:59:59.999 UTC",
     dec("99999999999999999999.999999999999999999"), dec("99999999.99"), UINT256_MAX,
     INT256_MAX, b"", [], [2 ** 63 - 1, -2 ** 63], "[]", {"a": None, "b": None}, {},
     "2001:db8::ff00:42:8329", ""),
    # 3: minima, negative zero, JSON null text, arrays of NULL
    (" leading space", -2 ** 63, -2 ** 31, -0.0, None, "0001-01-01", "0001-01-01 00:00:00.000",
     "0001-01-01 00:00:00.000 UTC", dec("-99999999999999999999.999999999999999999"),
     dec("-99999999.99"), 0, INT256_MIN, bytes(1) + b"\xff" * 31, [None], [None], "null",
     {"a": -1, "b": ""}, {"": 0}, "0.0.0.0", " "),
    # 4: unicode and escapes
    (UNICODE_TEXT, 0, 0, 5e-324, True, "2000-02-29", "2000-02-29 00:00:00.001",
     "2000-02-29 23:59:59.999 UTC", dec("0.000000000000000001"), dec("0.01"), 1, -1,
     bytes.fromhex("00112233445566778899aabbccddeeff00112233"),
     ["🦆", "a,b", 'q"uote', "back\\slash", "new\nline", ""], [],
     '{"ü":"🦆","esc":"a\\"b\\\\c\\n"}', {"a": 0, "b": '🦆"\\'}, {"ü🦆": -1, "a,b": 2},
     "::1", "Grüße 🦆"),
    # 5: COPY's NULL marker as text, NaN, large double
    ("\\N", 1, 1, float("nan"), False, "1970-01-01", "1970-01-01 00:00:00.000",
     "1970-01-01 00:00:00.000 UTC", dec("0.000000000000000000"), dec("0.00"), 2 ** 64,
     -2 ** 64, b"\x00", ["\\N"], [0], '"just a string"', {"a": 2 ** 63 - 1, "b": "\\N"},
     {"NULL": None}, "10.0.0.1", "\\N"),
    # 6: "NULL" as text, +Infinity, tiny double
    ("NULL", -1, -1, float("inf"), True, "2038-01-19", "2038-01-19 03:14:07.999",
     "2038-01-19 03:14:07.999 UTC", dec("-0.000000000000000001"), dec("-0.01"),
     2 ** 128, -2 ** 128, b"\xff", ["NULL"], [-1], "123", {"a": None, "b": "NULL"},
     {"x": -2 ** 63}, "255.255.255.255", "NULL"),
    # 7: COPY's end marker, -Infinity, 1e21, commas and quotes
    ("\\.", 10 ** 15, 10 ** 9, float("-inf"), False, "1999-12-31", "1999-12-31 23:59:59.000",
     "1999-12-31 23:59:59.000 UTC", dec("1.000000000000000000"), dec("1.00"), 12345, -12345,
     b"\x01\x02", ["x"], [10 ** 15], '{"nested":{"deep":[[[]]]}}', {"a": 5, "b": "a,b\"c"},
     {'q"k': 1}, "fe80::1", 'with,comma "and" quotes'),
    # 8: a large double (Go: 1e+21)
    ('tab\tand "quote"', 123, 123, 1e21, True, "2024-01-01", "2024-01-01 00:00:00.000",
     "2024-01-01 00:00:00.000 UTC", dec("42.000000000000000000"), dec("42.00"), 42, 42,
     bytes(range(16)), ["a", None, "c"], [1, None, 3], "{}", {"a": 1, "b": None},
     {"a": 1, "b": None}, "127.0.0.1", "x"),
    # 9: a small double (Go: 1.5e-7)
    ("less <than> & ampersand", 99, 99, 1.5e-7, False, "2024-12-31", "2024-12-31 12:00:00.500",
     "2024-12-31 12:00:00.500 UTC", dec("-42.500000000000000000"), dec("-42.50"), 99, -99,
     b"\x10", [], [], '[1,"two",3.5,null]', {"a": -99, "b": "<&>"}, {"<&>": 99},
     "192.0.2.1", "y"),
    # 10: an integral double (Go: 100)
    ("plain ascii", 7, 7, 100.0, True, "2023-06-15", "2023-06-15 08:30:00.250",
     "2023-06-15 08:30:00.250 UTC", dec("3.141592653589793238"), dec("3.14"), 7, -7,
     b"\xab\xcd", ["one"], [7], "true", {"a": 7, "b": "seven"}, {"seven": 7}, "198.51.100.7",
     "z"),
)
TYPES_DEFAULT_ROWS = len(TYPES_EDGE_ROWS) + 1  # 12: the edge rows and one generated
BASE_DAY = datetime.date(2024, 1, 1)


def types_generated_row(i):
    """A deterministic row i (past the edge rows) of the types dataset."""
    def null(k):
        return mix(i, k) % 7 == 0

    h = mix(i, 0)
    day = BASE_DAY + datetime.timedelta(days=h % 3000)
    ms = mix(i, 1) % 86400000
    clock = "%02d:%02d:%02d.%03d" % (ms // 3600000, ms // 60000 % 60, ms // 1000 % 60, ms % 1000)
    values = (
        "row %d %s" % (i, "ü🦆" if h % 3 == 0 else "ascii"),
        (h % 2 ** 63) - 2 ** 62,
        (mix(i, 2) % 2 ** 32) - 2 ** 31,
        (mix(i, 3) % 2 ** 40) / 1024.0 - 2 ** 29,
        bool(h & 1),
        day.isoformat(),
        "%s %s" % (day.isoformat(), clock),
        "%s %s UTC" % (day.isoformat(), clock),
        dec("%s%d.%018d" % ("-" if h & 2 else "", mix(i, 4) % 10 ** 20, mix(i, 5) % 10 ** 18)),
        dec("%s%d.%02d" % ("-" if h & 4 else "", mix(i, 6) % 10 ** 8, mix(i, 7) % 100)),
        mix(i, 8) * mix(i, 9) * mix(i, 10) * mix(i, 11),
        mix(i, 12) * mix(i, 13) * mix(i, 14) - 2 ** 191,
        mix(i, 15).to_bytes(8, "big") + mix(i, 16).to_bytes(8, "big"),
        ["v%d" % (mix(i, 17) % 100), None if h & 8 else "w"],
        [mix(i, 18) % 1000, -(mix(i, 19) % 1000)],
        '{"i":%d,"ok":%s}' % (i, "true" if h & 16 else "false"),
        {"a": i, "b": "r%d" % i},
        {"k%d" % (h % 5): i, "n": -i},
        "10.%d.%d.%d" % (h >> 8 & 255, h >> 16 & 255, h >> 24 & 255),
        "odd %d" % i,
    )
    return [i] + [None if null(k + 20) else v for k, v in enumerate(values)]


def types_row(i):
    """Row i of the types dataset: the edge rows, then generated ones."""
    if i < len(TYPES_EDGE_ROWS):
        return [i] + list(TYPES_EDGE_ROWS[i])
    return types_generated_row(i)


# The bench dataset: 10 columns whose order is also their byte order, so that a row
# object and a CSV line are both "first five columns, id, last four columns".  The
# first five come from a pool of BENCH_PA rows, the last four from one of BENCH_PB
# rows (two primes, so the pair only repeats after 2.7e8 rows), and each row is two
# cached fragments around its id: building 1M rows costs about a second.
BENCH_COLUMNS = (
    ("amount", "double"), ("block_time", "timestamp(3) with time zone"), ("day", "date"),
    ("flag", "boolean"), ("hash", "varbinary"), ("id", "bigint"), ("label", "varchar"),
    ("n", "integer"), ("name", "varchar"), ("value", "decimal(38,18)"),
)
BENCH_PA, BENCH_PB = 16381, 16411
BENCH_T0 = datetime.datetime(2024, 1, 1)
QUARTERS = ("", ".25", ".5", ".75")


def bench_a(j):
    """Values of the first five bench columns for pool row j."""
    t = BENCH_T0 + datetime.timedelta(milliseconds=j * 1234)
    return ((j * 7919 % 4000037) / 4.0,
            t.strftime("%Y-%m-%d %H:%M:%S.") + "%03d UTC" % (t.microsecond // 1000),
            (BENCH_T0 + datetime.timedelta(days=j // 1000)).strftime("%Y-%m-%d"),
            None if j % 11 == 5 else j % 3 == 0,
            mix(j, 1).to_bytes(8, "big") + mix(j, 2).to_bytes(8, "big"))


def bench_b(m):
    """Values of the last four bench columns for pool row m."""
    return (None if m % 17 == 0 else "group %d, part %d" % (m % 97, m % 13),
            (m * 2654435761) % 2 ** 31 - 2 ** 30,
            "user_%07d" % m,
            dec("%d.%018d" % (m * 1000003 % 10 ** 12, mix(m, 3) % 10 ** 18)))


def bench_row(i):
    """Row i of the bench dataset as values."""
    return list(bench_a(i % BENCH_PA)) + [i + 1] + list(bench_b(i % BENCH_PB))


_BENCH_POOLS = []


def bench_pools():
    """(JSON before id, JSON after id, CSV before id, CSV after id) pools, built once
    with the generic renderers (so they agree with them by construction)."""
    if not _BENCH_POOLS:
        cols = [Column(name, ctype) for name, ctype in BENCH_COLUMNS]
        ja, ca, jb, cb = [], [], [], []
        for j in range(BENCH_PA):
            vals = bench_a(j)
            ja.append("{" + ",".join(c.key + c.json(v) for c, v in zip(cols[:5], vals))
                      + "," + cols[5].key)
            ca.append(",".join(c.csv(v) for c, v in zip(cols[:5], vals)) + ",")
        for m in range(BENCH_PB):
            vals = bench_b(m)
            jb.append("," + ",".join(c.key + c.json(v) for c, v in zip(cols[6:], vals)) + "}")
            cb.append("," + ",".join(c.csv(v) for c, v in zip(cols[6:], vals)) + "\n")
        _BENCH_POOLS.extend((ja, jb, ca, cb))
    return _BENCH_POOLS


def bench_chunk(start, stop, fmt):
    """Bench rows start..stop-1 as row objects (fmt "json") or CSV lines, a list of
    ASCII texts; the loops run in C (map, islice over cycle)."""
    ja, jb, ca, cb = bench_pools()
    before, after = (ja, jb) if fmt == "json" else (ca, cb)
    n = stop - start
    a = itertools.islice(itertools.cycle(before), start % BENCH_PA, start % BENCH_PA + n)
    b = itertools.islice(itertools.cycle(after), start % BENCH_PB, start % BENCH_PB + n)
    ids = map(str, range(start + 1, stop + 1))
    return list(map(operator.add, map(operator.add, a, ids), b))


DATASETS = {
    "types": (TYPES_COLUMNS, types_row, None),
    "bench": (BENCH_COLUMNS, bench_row, bench_chunk),
}
MAX_RESULT_ROWS = 10_000_000


CHUNK_ROWS = 65536


class Rendered:
    """Every row of a table in one format: buffers of CHUNK_ROWS rows each (never
    joined: fresh memory is slow to touch) and the offset of every row, as if the
    buffers were one.  A JSON row carries its trailing comma."""

    def __init__(self):
        self.chunks = []
        self.off = array.array("q", [0])

    def add(self, data, lengths):
        """Append one chunk of rows: its bytes and each row's length."""
        base = self.off[-1]
        self.chunks.append(memoryview(data))
        self.off.extend(base + x for x in itertools.accumulate(lengths))
        if self.off[-1] - base != len(data):
            raise AssertionError("row lengths do not add up to the chunk's bytes")

    def parts(self, a, b, trim=0):
        """Rows a..b-1 as a list of memoryviews (the last trim bytes dropped)."""
        x, y = self.off[a], self.off[b] - trim
        out = []
        for k in range(a // CHUNK_ROWS, (b - 1) // CHUNK_ROWS + 1 if b > a else 0):
            base = self.off[k * CHUNK_ROWS]
            piece = self.chunks[k][max(x - base, 0):max(0, y - base)]
            if len(piece):
                out.append(piece)
        return out


class Table:
    """One dataset at one size: columns, values per row, and every row rendered as
    JSON and as CSV (each built once, on first use), so that an unfiltered page
    is a few slices of prepared bytes."""

    def __init__(self, dataset, rows, bignum):
        columns, self.row, self.fast = DATASETS[dataset]
        self.columns = [Column(name, ctype, bignum) for name, ctype in columns]
        self.n = rows
        self.bignum = bignum
        self.sorted_columns = sorted(range(len(self.columns)), key=lambda c: self.columns[c].name)
        self.rendered = {}
        self.build_seconds = {}
        self.views = collections.OrderedDict()  # (filters, sort_by) -> row numbers

    def json_row(self, values, cols=None):
        """One row object; cols is a list of (Column, value index) in key order."""
        if cols is None:
            cols = [(self.columns[c], c) for c in self.sorted_columns]
        return "{" + ",".join(col.key + col.json(values[c]) for col, c in cols) + "}"

    def csv_line(self, values, cols=None):
        """One CSV line; cols is a list of (Column, value index) in column order."""
        if cols is None:
            cols = [(col, c) for c, col in enumerate(self.columns)]
        return ",".join(col.csv(values[c]) for col, c in cols) + "\n"

    def build(self, fmt):
        """Every row rendered in fmt ("json" or "csv"), built on first use."""
        done = self.rendered.get(fmt)
        if done is not None:
            return done
        t0 = time.monotonic()
        out = Rendered()
        fast = self.fast if self.bignum == "number" else None
        for start in range(0, self.n, CHUNK_ROWS):
            stop = min(self.n, start + CHUNK_ROWS)
            if fast:  # ASCII text: one character is one byte
                texts = fast(start, stop, fmt)
                if fmt == "json":
                    out.add((",".join(texts) + ",").encode(), [len(t) + 1 for t in texts])
                else:
                    out.add("".join(texts).encode(), list(map(len, texts)))
                continue
            render = (lambda v: self.json_row(v) + ",") if fmt == "json" else self.csv_line
            rows = [render(self.row(i)).encode() for i in range(start, stop)]
            out.add(b"".join(rows), list(map(len, rows)))
        self.rendered[fmt] = out
        self.build_seconds[fmt] = time.monotonic() - t0
        return out

    def json_bytes(self, rows):
        """Bytes of the given rows' objects without separators (result_set_bytes)."""
        off = self.build("json").off
        if isinstance(rows, range):
            return off[rows.stop] - off[rows.start] - len(rows) if len(rows) else 0
        return sum(off[i + 1] - off[i] - 1 for i in rows)


_TABLES = collections.OrderedDict()
MAX_TABLES = 3


def get_table(dataset, rows, bignum):
    """The cached Table for these settings (the last MAX_TABLES are kept)."""
    key = (dataset, rows, bignum)
    table = _TABLES.pop(key, None) or Table(dataset, rows, bignum)
    _TABLES[key] = table
    while len(_TABLES) > MAX_TABLES:
        _TABLES.popitem(last=False)
    return table


# ---- results: filters and sort_by ------------------------------------------------------

FILTER_TOKEN_RE = re.compile(r"""\s*(?:
    (?P<num>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
  | '(?P<str>(?:[^']|'')*)'
  | "(?P<qid>(?:[^"]|"")*)"
  | (?P<id>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op><=|>=|<>|!=|=|<|>|\(|\)|,)
)""", re.X)
KEYWORDS = {"AND", "OR", "IN", "LIKE", "IS", "NOT", "NULL", "TRUE", "FALSE"}


def filter_tokens(text):
    """Tokens of a filters expression: (kind, value) pairs."""
    pos, out = 0, []
    text = text.rstrip()
    while pos < len(text):
        m = FILTER_TOKEN_RE.match(text, pos)
        if not m or m.end() == pos:
            raise ValueError("unexpected text at %r" % text[pos:pos + 10])
        pos = m.end()
        if m.group("num") is not None:
            num = m.group("num")
            out.append(("lit", dec(num) if "." in num or "e" in num.lower() else int(num)))
        elif m.group("str") is not None:
            out.append(("lit", m.group("str").replace("''", "'")))
        elif m.group("qid") is not None:
            out.append(("col", m.group("qid").replace('""', '"')))
        elif m.group("id") is not None:
            word = m.group("id")
            if word.upper() in ("TRUE", "FALSE"):
                out.append(("lit", word.upper() == "TRUE"))
            elif word.upper() in KEYWORDS:
                out.append(("kw", word.upper()))
            else:
                out.append(("col", word))
        else:
            out.append(("op", m.group("op")))
    return out


class FilterParser:
    """A subset of Dune's filters: comparisons (= != <> < <= > >=), IN (...), LIKE,
    IS [NOT] NULL, AND, OR, parentheses; literals are numbers, 'strings', true and
    false; "quoted" column names.  Compiles to a predicate on a row's values."""

    def __init__(self, text, index):
        self.toks = filter_tokens(text)
        self.pos = 0
        self.index = index  # column name -> value index

    def peek(self):
        return self.toks[self.pos] if self.pos < len(self.toks) else (None, None)

    def take(self, kind=None, value=None):
        tok = self.peek()
        if tok[0] is None or (kind and tok[0] != kind) or (value and tok[1] != value):
            raise ValueError("expected %s" % (value or kind or "more"))
        self.pos += 1
        return tok[1]

    def parse(self):
        pred = self.expr()
        if self.pos != len(self.toks):
            raise ValueError("unexpected %r" % (self.peek()[1],))
        return pred

    def expr(self):
        terms = [self.conj()]
        while self.peek() == ("kw", "OR"):
            self.pos += 1
            terms.append(self.conj())
        return terms[0] if len(terms) == 1 else (lambda v: any(t(v) for t in terms))

    def conj(self):
        terms = [self.atom()]
        while self.peek() == ("kw", "AND"):
            self.pos += 1
            terms.append(self.atom())
        return terms[0] if len(terms) == 1 else (lambda v: all(t(v) for t in terms))

    def atom(self):
        if self.peek() == ("op", "("):
            self.pos += 1
            inner = self.expr()
            self.take("op", ")")
            return inner
        name = self.take("col")
        if name not in self.index:
            raise ValueError("unknown column %r" % name)
        c = self.index[name]
        tok = self.take()
        if tok == "IS":
            negate = self.peek() == ("kw", "NOT")
            if negate:
                self.pos += 1
            self.take("kw", "NULL")
            return (lambda v: v[c] is not None) if negate else (lambda v: v[c] is None)
        if tok == "IN":
            self.take("op", "(")
            lits = [self.take("lit")]
            while self.peek() == ("op", ","):
                self.pos += 1
                lits.append(self.take("lit"))
            self.take("op", ")")
            return lambda v: v[c] is not None and any(compare(v[c], "=", x) for x in lits)
        if tok == "LIKE":
            pattern = self.take("lit")
            if not isinstance(pattern, str):
                raise ValueError("LIKE needs a 'string'")
            rx = re.compile("".join(".*" if ch == "%" else "." if ch == "_" else re.escape(ch)
                                    for ch in pattern) + r"\Z", re.S)
            return lambda v: isinstance(v[c], str) and rx.match(v[c]) is not None
        if tok not in ("=", "!=", "<>", "<", "<=", ">", ">="):
            raise ValueError("expected an operator after %r" % name)
        lit = self.take("lit")
        return lambda v: v[c] is not None and compare(v[c], tok, lit)


def comparable(value, lit):
    """(value, literal) made comparable, or ValueError."""
    if isinstance(value, bytes):
        value = "0x" + value.hex()
    if isinstance(value, bool) or isinstance(lit, bool):
        if isinstance(value, bool) and isinstance(lit, bool):
            return value, lit
    elif isinstance(value, (int, float, decimal.Decimal)) and \
            isinstance(lit, (int, decimal.Decimal)):
        return value, lit
    elif isinstance(value, str) and isinstance(lit, str):
        return value, lit
    raise ValueError("cannot compare %r with %r" % (value, lit))


def compare(value, op, lit):
    """SQL comparison of a non-NULL value with a literal."""
    a, b = comparable(value, lit)
    if isinstance(a, float) and math.isnan(a):
        return op in ("!=", "<>")
    return {"=": a == b, "!=": a != b, "<>": a != b, "<": a < b, "<=": a <= b,
            ">": a > b, ">=": a >= b}[op]


def sort_key(value):
    """Sort key of one value; NULLs go last in both directions (Trino's default)."""
    if isinstance(value, float) and math.isnan(value):
        return (1, 0)
    if isinstance(value, (list, dict)):
        return (0, json.dumps(value, sort_keys=True, default=str))
    if isinstance(value, bytes):
        return (0, value)
    return (0, value)


def parse_sort_by(text, index):
    """[(value index, descending)] of a sort_by text ("a desc, \"B\" asc")."""
    out = []
    for item in split_top(text):
        m = re.match(r'^(?:"((?:[^"]|"")*)"|([A-Za-z_][A-Za-z0-9_]*))(?:\s+(asc|desc))?$',
                     item.strip(), re.I)
        if not m:
            raise ValueError("cannot read %r" % item)
        name = m.group(1).replace('""', '"') if m.group(1) is not None else m.group(2)
        if name not in index:
            raise ValueError("unknown column %r" % name)
        out.append((index[name], (m.group(3) or "asc").lower() == "desc"))
    return out


def order_rows(table, filters, sort_by):
    """Row numbers of the table after filters and sort_by (cached per table)."""
    key = (filters, sort_by)
    if key in table.views:
        table.views.move_to_end(key)
        return table.views[key]
    index = {col.name: c for c, col in enumerate(table.columns)}
    try:
        pred = FilterParser(filters, index).parse() if filters is not None else None
    except ValueError as err:
        raise HTTPError(400, "invalid filters: %s" % err)
    try:
        order = parse_sort_by(sort_by, index) if sort_by is not None else []
    except ValueError as err:
        raise HTTPError(400, "invalid sort_by: %s" % err)
    rows = list(range(table.n))
    if pred or order:
        values = {i: table.row(i) for i in rows}
        if pred:
            try:
                rows = [i for i in rows if pred(values[i])]
            except ValueError as err:
                raise HTTPError(400, "invalid filters: %s" % err)
        for c, desc in reversed(order):
            present = [i for i in rows if values[i][c] is not None]
            present.sort(key=lambda i: sort_key(values[i][c]), reverse=desc)
            rows = present + [i for i in rows if values[i][c] is None]
    table.views[key] = rows
    while len(table.views) > 4:
        table.views.popitem(last=False)
    return rows


# ---- results: pages ----------------------------------------------------------------

RESULT_PARAMS = {"allow_partial_results": bool, "columns": str, "filters": str,
                 "ignore_max_datapoints_per_request": bool, "limit": int, "offset": int,
                 "sample_count": int, "sort_by": str}
PARTIAL_ERROR = "Partial Result, please request with 'allows_partial_results=true'"
ENVELOPE_KEYS = ("execution_id", "query_id", "state", "is_execution_finished", "submitted_at",
                 "expires_at", "execution_started_at", "execution_ended_at", "cancelled_at",
                 "error")
RESULT_FAULTS = ("malformed", "truncated", "bad_value", "rename_column", "retype_column",
                 "drop_column", "extra_column", "repeat_offset", "rows_not_array",
                 "no_metadata")
GENERIC_FAULTS = ("bad_value", "rename_column", "retype_column", "drop_column", "extra_column")
JSON_ONLY_FAULTS = ("retype_column", "rows_not_array", "no_metadata")
EXTRA_COLUMN, EXTRA_VALUE = "extra_column", "surprise"
# A value that does not parse as the column's declared type (bad_value default).
BAD_VALUES = {"int": "abc", "bigint": "abc", "double": "abc", "decimal": "1.2.3",
              "bool": "maybe", "binary": "0xZZ"}
BAD_TEXTS = {"date": "2024-02-30", "timestamp(3)": "2024-13-01 00:00:00.000",
             "timestamp(3) with time zone": "2024-01-01 25:00:00.000 UTC"}


def bad_value_for(col):
    """The default bad value of a column, or None for types that take any text."""
    if col.type in BAD_TEXTS:
        return BAD_TEXTS[col.type]
    return BAD_VALUES.get(col.spec[1]) if col.spec[0] == "scalar" else None


def results_params(req):
    """The query parameters of a results request, checked against the spec."""
    out = {}
    for key in sorted(req.params):
        values = req.params[key]
        kind = RESULT_PARAMS.get(key)
        if kind is None:
            raise HTTPError(400, "unexpected query parameter: %s" % key)
        if len(values) != 1:
            raise HTTPError(400, "query parameter %s must be given once" % key)
        value = values[0]
        if kind is int:
            minimum = 0 if key == "offset" else 1
            if not INT_TEXT_RE.match(value) or int(value) < minimum:
                raise HTTPError(400, "query parameter %s must be an integer >= %d" % (key, minimum))
            value = int(value)
        elif kind is bool:
            if value not in ("true", "false"):
                raise HTTPError(400, "query parameter %s must be true or false" % key)
            value = value == "true"
        out[key] = value
    if "sample_count" in out and {"limit", "offset", "filters"} & set(out):
        raise HTTPError(400, "sample_count cannot be combined with limit, offset or filters")
    return out


class PageColumn:
    """A column as one page shows it (faults may rename, retype or add one)."""

    def __init__(self, col, index):
        self.name, self.type, self.index, self.spec = col.name, col.type, index, col.spec
        self.key = col.key
        self.json, self.csv, self.text = col.json, col.csv, col.text

    def rename(self, name):
        self.name, self.key = name, go_string(name) + ":"


def page_columns(table, columns):
    """The page's columns: all, or those named by the columns parameter, in its order."""
    if columns is None:
        return [PageColumn(col, c) for c, col in enumerate(table.columns)]
    index = {col.name: c for c, col in enumerate(table.columns)}
    names = columns.split(",")
    for name in names:
        if name not in index:
            raise HTTPError(400, "query parameter columns: unknown column %r" % name)
    if len(set(names)) != len(names):
        raise HTTPError(400, "query parameter columns: a column is named twice")
    return [PageColumn(table.columns[index[n]], index[n]) for n in names]


def apply_column_fault(kind, pcols, target):
    """Rename, retype, drop or add a column of the page."""
    if kind == "rename_column":
        target.rename(target.name + "_renamed")
    elif kind == "retype_column":
        text = target.text
        target.type = "varchar"
        target.json = lambda v: "null" if v is None else go_string(text(v))
    elif kind == "drop_column":
        pcols.remove(target)
    elif kind == "extra_column":
        extra = PageColumn(Column(EXTRA_COLUMN, "varchar"), None)
        pcols.append(extra)


def render_rows(table, rows, pcols, fmt, bad=None):
    """The given rows rendered with the page's columns: (bytes, [row end offsets])."""
    out, ends, pos = [], [], 0
    ordered = sorted(pcols, key=lambda p: p.name) if fmt == "json" else pcols
    for j, i in enumerate(rows):
        values = table.row(i)
        parts = []
        for p in ordered:
            v = values[p.index] if p.index is not None else EXTRA_VALUE
            if bad and bad[0] == j and bad[1] is p:
                text = go_string(bad[2]) if fmt == "json" else csv_quote(bad[2])
            else:
                text = p.json(v) if fmt == "json" else p.csv(v)
            parts.append(p.key + text if fmt == "json" else text)
        line = ("{" + ",".join(parts) + "}") if fmt == "json" else ",".join(parts) + "\n"
        b = line.encode()
        out.append(b)
        pos += len(b) + (1 if fmt == "json" else 0)
        ends.append(pos)
    sep = b"," if fmt == "json" else b""
    return sep.join(out), ends


def column_fault(kind, fault, pcols):
    """Apply a column fault to the page's columns; returns the bad_value target
    (page row, column, text) or None."""
    if kind not in GENERIC_FAULTS:
        return None
    target = pcols[0]
    if fault.get("column") is not None:
        named = [p for p in pcols if p.name == fault["column"]]
        if not named:
            raise HTTPError(500, "fault: no column %r on this page" % fault["column"])
        target = named[0]
    elif kind == "bad_value":
        target = next((p for p in pcols if bad_value_for(p) is not None), pcols[0])
    if kind == "bad_value":
        value = fault.get("value")
        if value is None:
            value = bad_value_for(target) or "abc"
        return (int(fault.get("row", 0)), target, str(value))
    apply_column_fault(kind, pcols, target)
    return None


def truncate(parts):
    """The first half of a body given as parts."""
    data = b"".join(parts)
    return data[:len(data) // 2]


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


class DuneApp(stand_in.App):
    """In-memory Dune: matviews and executions."""

    name = "dune"
    fault_keys = frozenset({"results", "column", "value", "row"})

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

    # ---- results ----
    def exec_results(self, req, exec_id):
        """GET /v1/execution/{id}/results: one page of rows as JSON."""
        return self._results(req, exec_id, "json")

    def exec_results_csv(self, req, exec_id):
        """GET /v1/execution/{id}/results/csv: one page of rows as CSV."""
        return self._results(req, exec_id, "csv")

    def _results(self, req, exec_id, fmt):
        """A results page; the state alone while the execution has no result."""
        params = results_params(req)
        execution = self._execution(exec_id)
        state = execution.state()[0]
        status = execution.status()
        envelope = {k: status[k] for k in ENVELOPE_KEYS if k in status}
        if state == "QUERY_STATE_COMPLETED_PARTIAL" and not params.get("allow_partial_results"):
            raise HTTPError(400, PARTIAL_ERROR)
        if state not in WITH_RESULT:
            if fmt == "csv":  # ASSUMED: CSV has no room for the state, so an error
                raise HTTPError(400, "execution %s has no result (state %s)" % (exec_id, state))
            return Reply.json(200, envelope)
        cfg = self.results_cfg.get(exec_id, self.results_cfg["default"])
        table = get_table(cfg["dataset"], cfg["rows"], cfg["bignum"])
        fault = req.fault if req.fault and req.fault.get("results") else {}
        kind = fault.get("results")
        if fmt == "csv" and kind in JSON_ONLY_FAULTS:
            kind = None

        pcols = page_columns(table, params.get("columns"))
        filtered = "filters" in params or "sort_by" in params
        rows = order_rows(table, params.get("filters"), params.get("sort_by")) if filtered \
            else range(table.n)
        page, next_offset = self._page(rows, params, len(pcols))
        offset = params.get("offset", 0)
        if kind == "repeat_offset":
            next_offset = offset
        bad = column_fault(kind, fault, pcols)

        # the rows: slices of the prepared buffers, or rendered for this page
        if isinstance(page, range) and "columns" not in params and kind not in GENERIC_FAULTS:
            rendered = table.build(fmt)
            parts = rendered.parts(page.start, page.stop, 1 if fmt == "json" else 0) \
                if len(page) else []
            page_bytes = table.json_bytes(page) if fmt == "json" else None
            middle = rendered.off[page.start + len(page) // 2] - rendered.off[page.start] \
                if len(page) >= 2 else 0
        else:
            data, ends = render_rows(table, page, pcols, fmt, bad)
            parts = [data]
            page_bytes = len(data) - max(0, len(page) - 1)
            middle = ends[len(page) // 2 - 1] if len(page) >= 2 else 0
        if kind == "malformed":  # a stray byte between the two middle rows (or first)
            at = middle
            data = b"".join(parts)
            parts = [data[:at], b'bare"quote,' if fmt == "csv" else b"@", data[at:]]

        next_uri = None
        if next_offset is not None:
            pairs = [(k, v) for k, vs in req.params.items() if k != "offset" for v in vs]
            pairs.append(("offset", str(next_offset)))
            query = urllib.parse.urlencode(pairs, quote_via=urllib.parse.quote)
            next_uri = "http://%s%s?%s" % (req.headers.get("Host") or "127.0.0.1", req.path, query)
        if fmt == "csv":
            body = [(",".join(csv_quote(p.name) for p in pcols) + "\n").encode()] + parts
            headers = {}
            if next_offset is not None:
                headers = {"x-dune-next-offset": str(next_offset), "x-dune-next-uri": next_uri}
            return Reply(200, truncate(body) if kind == "truncated" else body,
                         "text/plain; charset=utf-8", headers)

        metadata = {"column_names": [p.name for p in pcols],
                    "column_types": [p.type for p in pcols],
                    "row_count": len(page), "result_set_bytes": page_bytes,
                    "total_row_count": len(rows), "total_result_set_bytes": table.json_bytes(rows),
                    "datapoint_count": len(page) * len(pcols),
                    "pending_time_millis": int(execution.pending_ms),
                    "execution_time_millis": int(execution.executing_ms)}
        if next_offset is not None:
            envelope["next_offset"] = next_offset
            envelope["next_uri"] = next_uri
        head = json.dumps(envelope, separators=(",", ":"), ensure_ascii=False)[:-1]
        meta = b'"metadata":' + json.dumps(metadata, separators=(",", ":"),
                                           ensure_ascii=False).encode()
        if kind == "rows_not_array":
            rows_part = [b'"rows":{"data":['] + parts + [b"]}"]
        else:
            rows_part = [b'"rows":['] + parts + [b"]"]
        if kind == "no_metadata":
            result = rows_part
        elif cfg["metadata_last"]:
            result = rows_part + [b"," + meta]
        else:
            result = [meta + b","] + rows_part
        body = [head.encode() + b',"result":{'] + result + [b"}}"]
        return Reply(200, truncate(body) if kind == "truncated" else body, stand_in.JSON_TYPE)

    def _page(self, rows, params, ncols):
        """(the page's rows, next offset or None) after limit, offset, sample_count
        and the max_datapoints setting."""
        total = len(rows)
        if "sample_count" in params:
            count = params["sample_count"]
            return (rows if total <= count else [rows[j * total // count] for j in range(count)],
                    None)
        offset = params.get("offset", 0)
        end = total if "limit" not in params else min(total, offset + params["limit"])
        cap = self.settings["max_datapoints"]
        if cap and not params.get("ignore_max_datapoints_per_request"):
            end = min(end, offset + max(1, cap // max(1, ncols)))
        page = rows[offset:end] if offset < total else rows[0:0]
        return page, (offset + len(page) if offset + len(page) < total else None)

    def check_fault(self, fault):
        """The results fault keys: results=KIND [column=NAME] [value=TEXT] [row=N]."""
        if fault.get("results") not in RESULT_FAULTS:
            raise HTTPError(400, "results must be one of %s" % ", ".join(RESULT_FAULTS))
        stand_in.int_param(fault, "row", 0)

    def ctl_commands(self):
        return {"results": self._ctl_results}

    def _ctl_results(self, params):
        """results [exec=ID|default] [dataset=types|bench] [rows=N] [bignum=number|string]
        [metadata_last=1] [prepare=json|csv|both]: the result of an execution (or of all
        without their own); prepare renders it now rather than on the first request."""
        unknown = sorted(set(params) - {"exec", "dataset", "rows", "bignum", "metadata_last",
                                        "prepare"})
        if unknown:
            raise HTTPError(400, "unknown results key(s): %s" % ", ".join(unknown))
        dataset = str(params.get("dataset", "types"))
        if dataset not in DATASETS:
            raise HTTPError(400, "dataset must be one of %s" % ", ".join(sorted(DATASETS)))
        rows = stand_in.int_param(params, "rows",
                                  TYPES_DEFAULT_ROWS if dataset == "types" else 1000)
        if rows > MAX_RESULT_ROWS:
            raise HTTPError(400, "rows must be <= %d" % MAX_RESULT_ROWS)
        bignum = str(params.get("bignum", "number"))
        if bignum not in ("number", "string"):
            raise HTTPError(400, "bignum must be number or string")
        cfg = {"dataset": dataset, "rows": rows, "bignum": bignum,
               "metadata_last": stand_in.truthy(params.get("metadata_last"))}
        self.results_cfg[str(params.get("exec", "default"))] = cfg
        out = {"ok": True, "columns": [c for c, _ in DATASETS[dataset][0]], "rows": rows}
        prepare = str(params.get("prepare", ""))
        if prepare not in ("", "0", "json", "csv", "1", "both"):
            raise HTTPError(400, "prepare must be json, csv or both")
        if prepare not in ("", "0"):
            table = get_table(dataset, rows, bignum)
            for fmt in ("json", "csv"):
                if prepare in (fmt, "1", "both"):
                    table.build(fmt)
                    out["build_seconds_" + fmt] = round(table.build_seconds[fmt], 3)
        return out

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
