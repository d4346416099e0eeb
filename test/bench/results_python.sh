#!/usr/bin/env bash
# Results benchmark (not a test): how fast the Dune stand-in serves a large result,
# and what today's Python path (test/bench/load_python.py: requests pages, then
# psycopg2 COPY) achieves against it.  The baseline for dune_mv_results/_load.
#
# Usage: bash test/bench/results_python.sh        (as root or with sudo)
# Environment: ROWS (default 1000000) rows of the stand-in's "bench" dataset;
# LIMIT (default 32000, dune-client's batch size) rows per page for the loader;
# STREAM=1 also runs the loader with --stream (COPY per page); KEEP_WORK=1 keeps
# the scratch directory.  Needs no build of the extension: the scratch cluster
# preloads nothing.
#
# Prints: the stand-in's build time for the dataset (once per server, at
# `ctl.py dune results ... prepare=`), the time to serve every page (read into
# one reused buffer, not parsed, by a raw http.client loop) for several page sizes and both formats,
# and the loader's own report (rows/s, peak RSS).
set -eu
. "$(dirname "$0")/../lib.sh"

ROWS=${ROWS:-1000000}
LIMIT=${LIMIT:-32000}
PYTHON=/usr/bin/python3  # Debian's, where python3-requests and python3-psycopg2 live

ensure_packages python3-requests python3-psycopg2
init_work
start_stand_in DUNE_MV_DUNE_PORT dune_server.py --api-key "$DUNE_MV_DUNE_KEY"
start_cluster data "" </dev/null
CTL="python3 $ROOT/test/ctl.py"
BASE="http://127.0.0.1:$DUNE_MV_DUNE_PORT/api"

# One completed execution whose result is the bench dataset.
EXEC_ID=$(curl -sf -X POST "$BASE/v1/materialized-views" \
	-H "X-Dune-Api-Key: $DUNE_MV_DUNE_KEY" -H "Accept: application/json" \
	-H "User-Agent: dune_mv/bench" -H "Content-Type: application/json" \
	-d '{"name": "result_bench", "query_id": 1}' |
	python3 -c 'import json, sys; print(json.load(sys.stdin)["execution_id"])')
log "execution $EXEC_ID: bench dataset, $ROWS rows"
$CTL dune results "$EXEC_ID" dataset=bench rows="$ROWS" prepare=both |
	python3 -c 'import json, sys; d = json.load(sys.stdin)
print("stand-in build (once): json %.2f s, csv %.2f s" % (d["build_seconds_json"], d["build_seconds_csv"]))'

log "serving: every page read by a raw client"
EXEC_ID=$EXEC_ID python3 - <<'PY'
import http.client, os, time
port, key, eid = int(os.environ["DUNE_MV_DUNE_PORT"]), os.environ["DUNE_MV_DUNE_KEY"], os.environ["EXEC_ID"]
for fmt in ("json", "csv"):
    for limit in (10000, 32000, 100000):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
        hdrs = {"X-Dune-Api-Key": key, "User-Agent": "dune_mv/bench",
                "Accept": "text/csv" if fmt == "csv" else "application/json"}
        path = "/api/v1/execution/%s/results%s" % (eid, "/csv" if fmt == "csv" else "")
        buf = memoryview(bytearray(64 << 20))  # one buffer for every page: no page faults
        t0, off, pages, nbytes = time.monotonic(), 0, 0, 0
        while off is not None:
            conn.request("GET", "%s?limit=%d&offset=%d" % (path, limit, off), headers=hdrs)
            resp = conn.getresponse()
            size, got = int(resp.getheader("Content-Length")), 0
            while got < size:
                got += resp.readinto(buf[got:size])
            body = buf[:min(size, 700)].tobytes()
            assert resp.status == 200, body[:200]
            pages, nbytes = pages + 1, nbytes + size
            if fmt == "csv":
                nxt = resp.getheader("x-dune-next-offset")
            else:
                i = body.find(b'"next_offset":')
                nxt = body[i + 14:body.index(b",", i)] if i >= 0 else None
            off = int(nxt) if nxt else None
        dt = time.monotonic() - t0
        conn.close()
        print("serve %-4s limit %6d: %3d pages, %4d MiB in %.2f s (%.0f MiB/s)"
              % (fmt, limit, pages, nbytes >> 20, dt, nbytes / dt / 2 ** 20))
PY

log "today's Python path: requests + psycopg2 COPY, $LIMIT rows per page"
run_loader() {
	DUNE_MV_DUNE_PORT=$DUNE_MV_DUNE_PORT DUNE_MV_DUNE_KEY=$DUNE_MV_DUNE_KEY \
		PGHOST=$PGHOST PGPORT=$PGPORT PGUSER=$PGUSER PGDATABASE=postgres \
		"$PYTHON" "$ROOT/test/bench/load_python.py" --execution-id "$EXEC_ID" --limit "$LIMIT" "$@"
}
run_loader
if [ "${STREAM:-0}" = 1 ]; then
	run_loader --stream
fi
