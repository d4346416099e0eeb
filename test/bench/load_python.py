#!/usr/bin/env python3
"""Load a Dune execution's result into PostgreSQL the way users do it today: page
through GET /v1/execution/{id}/results with requests, keep the rows, then COPY
them into a table with psycopg2.  The baseline for dune_mv_results/dune_mv_load.

Usage (Debian's python3, with python3-requests and python3-psycopg2 installed):
    /usr/bin/python3 test/bench/load_python.py --execution-id ID [--limit 32000]
        [--table bench_python] [--base-url http://127.0.0.1:PORT/api] [--stream]
The API key comes from $DUNE_MV_DUNE_KEY; PostgreSQL from the libpq variables
(PGHOST, PGPORT, PGUSER, PGDATABASE).  The table is (re)created with the bench
dataset's columns (test/dune_server.py, dataset=bench).

Default: every page is fetched and its rows kept (as dune-client's
get_execution_results does), then one COPY writes them all.  --stream COPYs each
page as it arrives instead (lower memory).  Numbers are parsed exactly
(parse_float=str), "0x..." varbinary becomes bytea, NULL is \\N.

Prints one line per figure: rows, pages, bytes, fetch_s, copy_s, total_s,
rows_per_s, peak_rss_mib (this process's, from getrusage), rows_in_table.
"""

import argparse
import io
import json
import os
import resource
import sys
import time

import psycopg2
import requests

COLUMNS = (("amount", "double precision"), ("block_time", "timestamptz"), ("day", "date"),
           ("flag", "boolean"), ("hash", "bytea"), ("id", "bigint"), ("label", "text"),
           ("n", "integer"), ("name", "text"), ("value", "numeric(38,18)"))
BYTEA = {"hash"}
TEXT_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def copy_field(name, value):
    """One value in COPY's text format."""
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if name in BYTEA:
        return "\\\\x" + value[2:]  # "0xab" -> \\xab (the backslash escaped for COPY)
    if isinstance(value, str):
        return value.translate(TEXT_ESCAPES)
    return str(value)


def copy_rows(cur, table, names, rows):
    """COPY rows (dicts) into table, columns in names' order."""
    buf = io.StringIO()
    write = buf.write
    for row in rows:
        write("\t".join([copy_field(n, row.get(n)) for n in names]))
        write("\n")
    buf.seek(0)
    cur.copy_expert("COPY %s (%s) FROM STDIN" % (table, ", ".join(names)), buf)


def main():
    """Fetch, COPY, report."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--execution-id", required=True)
    ap.add_argument("--base-url", default="http://127.0.0.1:%s/api"
                    % os.environ.get("DUNE_MV_DUNE_PORT", "80"))
    ap.add_argument("--limit", type=int, default=32000)  # dune-client's batch size
    ap.add_argument("--table", default="bench_python")
    ap.add_argument("--stream", action="store_true")
    args = ap.parse_args()

    session = requests.Session()
    # The stand-in accepts only dune_mv's User-Agent; the real API takes any.
    session.headers.update({"X-Dune-Api-Key": os.environ["DUNE_MV_DUNE_KEY"],
                            "Accept": "application/json",
                            "User-Agent": "dune_mv/bench load_python.py (python-requests)"})
    conn = psycopg2.connect("")
    cur = conn.cursor()
    cur.execute("DROP TABLE IF EXISTS %s" % args.table)
    cur.execute("CREATE TABLE %s (%s)" % (args.table, ", ".join("%s %s" % c for c in COLUMNS)))
    names = [name for name, _ in COLUMNS]

    t0 = time.monotonic()
    fetch_s = copy_s = 0.0
    kept, n_rows, pages, n_bytes = [], 0, 0, 0
    url = "%s/v1/execution/%s/results" % (args.base_url, args.execution_id)
    params = {"limit": args.limit, "offset": 0}
    while url:
        t = time.monotonic()
        resp = session.get(url, params=params, timeout=300)
        resp.raise_for_status()
        n_bytes += len(resp.content)
        page = json.loads(resp.content, parse_float=str)
        rows = page["result"]["rows"]
        fetch_s += time.monotonic() - t
        pages += 1
        n_rows += len(rows)
        if args.stream:
            t = time.monotonic()
            copy_rows(cur, args.table, names, rows)
            copy_s += time.monotonic() - t
        else:
            kept.extend(rows)
        url, params = page.get("next_uri"), None  # next_uri carries limit and offset
        del page, rows, resp
    if not args.stream:
        t = time.monotonic()
        copy_rows(cur, args.table, names, kept)
        copy_s += time.monotonic() - t
    t = time.monotonic()
    conn.commit()
    copy_s += time.monotonic() - t
    total_s = time.monotonic() - t0
    cur.execute("SELECT count(*) FROM %s" % args.table)
    in_table = cur.fetchone()[0]
    conn.close()

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    for key, value in (("mode", "stream" if args.stream else "collect-then-copy"),
                       ("rows", n_rows), ("pages", pages), ("bytes", n_bytes),
                       ("fetch_s", "%.2f" % fetch_s), ("copy_s", "%.2f" % copy_s),
                       ("total_s", "%.2f" % total_s), ("rows_per_s", "%.0f" % (n_rows / total_s)),
                       ("peak_rss_mib", "%.0f" % peak), ("rows_in_table", in_table)):
        print("%s %s" % (key, value))
    return 0 if in_table == n_rows else 1


if __name__ == "__main__":
    sys.exit(main())
