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

from fault_matrix_cells import COLUMNS, NOT_PLAYABLE, PROBE_SETUP, ROWS, lit, probe_sql

DB = sys.argv[1] if len(sys.argv) > 1 else "fault_matrix"
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
