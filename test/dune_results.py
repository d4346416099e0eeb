"""Results pages of the Dune stand-in (test/dune_server.py): the results query
parameters, a page's columns and rows (limit, offset, sample_count, max_datapoints),
the results faults, the JSON and CSV page bodies, and the `results` control command
that chooses each execution's dataset.  ResultsEndpoints is a mixin of DuneApp."""

import json
import re
import urllib.parse

import stand_in
from dune_datasets import DATASETS, MAX_RESULT_ROWS, TYPES_DEFAULT_ROWS, get_table
from dune_executions import WITH_RESULT
from dune_filters import order_rows
from dune_render import Column, csv_quote, go_string
from stand_in import HTTPError, Reply

INT_TEXT_RE = re.compile(r"^[0-9]+$")
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


class ResultsEndpoints:
    """Mixin of DuneApp: GET /v1/execution/{id}/results and .../results/csv, the
    results faults (fault_keys, check_fault) and the `results` control command.
    Uses the app's _execution(), results_cfg and settings."""

    fault_keys = frozenset({"results", "column", "value", "row"})

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
