"""Shared part of the Dune stand-in's self-test suites, test/suites/stand_in_selftest.sh
and test/suites/stand_in_selftest_results.sh (stdlib only).

start() runs test/dune_server.py on a free port (the shared stand-in is left alone)
and points test/ctl.py at it; check() counts; ctl() and ctl_json() drive the server's
control endpoints; Client and api() send the headers the extension sends; finish()
stops the server with SIGTERM, checks that it exited 0 with nothing on stderr, and
writes "PASSED FAILED" to $SELFTEST_COUNTS for the suite's summary line.
"""

import atexit
import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
CTL = os.path.join(HERE, "ctl.py")
KEY = "selftest-key"
HDRS = {"X-Dune-Api-Key": KEY, "Accept": "application/json",
        "User-Agent": "dune_mv/1.0", "Content-Type": "application/json"}
TS_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$")
passed = failed = 0


def check(name, cond, detail=""):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL %s %s" % (name, detail))


def ctl(*args, expect_rc=0):
    p = subprocess.run([sys.executable, CTL, "dune"] + list(args),
                       capture_output=True, text=True)
    if p.returncode != expect_rc:
        print("ctl %s: rc %d: %s" % (args, p.returncode, p.stderr.strip()))
    return p.stdout.splitlines()


def ctl_json(*args):
    lines = ctl(*args)
    return json.loads(lines[0]) if len(lines) == 1 else [json.loads(l) for l in lines]


class Client:
    """One keep-alive connection with the headers the extension sends."""

    def __init__(self):
        self.conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=10)

    def req(self, method, path, body=None, headers=None, drop=()):
        h = dict(HDRS)
        h.update(headers or {})
        for k in drop:
            h.pop(k, None)
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
        self.conn.request(method, path, body=body, headers=h)
        r = self.conn.getresponse()
        raw = r.raw_body = r.read()
        try:
            data = json.loads(raw)
        except ValueError:
            data = raw
        return r.status, data, r

    def close(self):
        self.conn.close()


def api(method, path, body=None, **kw):
    c = Client()
    try:
        return c.req(method, "/api/v1" + path, body, **kw)[:2]
    finally:
        c.close()


MV = "/materialized-views"
FQ = "dune.testteam."
PORT = None
_server = _tmp = None


def start():
    """Start the Dune stand-in on a free port; returns the port (also set in
    $DUNE_MV_DUNE_PORT for ctl.py).  A failed check and exit 1 when it does not start."""
    global PORT, _server, _tmp
    _tmp = tempfile.mkdtemp()
    atexit.register(_cleanup)
    with open(os.path.join(_tmp, "out"), "w") as out, open(os.path.join(_tmp, "err"), "w") as err:
        _server = subprocess.Popen([sys.executable, os.path.join(HERE, "dune_server.py"),
                                    "--port", "0", "--api-key", KEY], stdout=out, stderr=err)
    for _ in range(100):
        m = re.search(r"^ready (\d+)$", _read("out"), re.M)
        if m:
            PORT = int(m.group(1))
            os.environ["DUNE_MV_DUNE_PORT"] = str(PORT)
            return PORT
        time.sleep(0.1)
    check("server starts", False, "stderr:\n" + _read("err"))
    _write_counts()
    sys.exit(1)


def finish():
    """Stop the server with SIGTERM and check that it stopped cleanly; write the counts."""
    global _server
    _server.send_signal(signal.SIGTERM)
    rc = _server.wait()
    _server = None
    err = _read("err")
    check("server exits 0 on SIGTERM, nothing on stderr", rc == 0 and not err,
          "exit %d, stderr:\n%s" % (rc, err))
    _write_counts()


def _write_counts():
    """Write "PASSED FAILED" for the suite's summary line."""
    with open(os.environ["SELFTEST_COUNTS"], "w") as f:
        f.write("%d %d\n" % (passed, failed))


def _read(name):
    """The text of the server's stdout ("out") or stderr ("err") so far."""
    with open(os.path.join(_tmp, name)) as f:
        return f.read()


def _cleanup():
    """At exit: stop a server still running (the suite crashed), drop its files."""
    if _server is not None:
        _server.terminate()
    shutil.rmtree(_tmp, ignore_errors=True)
