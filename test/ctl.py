"""Drive a stand-in server's /_ctl/ endpoints and print canonical JSON.

Usage: python3 test/ctl.py [-q] SERVER CMD [key=value ...]
  SERVER  dune (port from $DUNE_MV_DUNE_PORT) or lance ($DUNE_MV_LANCE_PORT)
  CMD     reset | fault | last | requests | stats | set   (see stand_in.py)
          dune also: results [EXEC_ID|default] [key=value ...]   (see dune_server.py;
          a first argument without "=" is the same as exec=EXEC_ID)
  values  an int when they look like one (-?[0-9]+), text otherwise;
          body=... is always raw text
  -q      print nothing on success

Output: json.dumps(obj, sort_keys=True, separators=(", ", ": ")), one line per
item when the answer is a list (nothing for an empty list).  Exit status 1 when
the server refuses the command, 2 on usage errors or when it is unreachable.
"""

import http.client
import json
import os
import re
import sys

PORT_ENV = {"dune": "DUNE_MV_DUNE_PORT", "lance": "DUNE_MV_LANCE_PORT"}
INT_RE = re.compile(r"^-?[0-9]+$")
RAW_KEYS = {"body"}


def fail(code, message):
    """Print message to stderr and exit with code."""
    print("ctl: %s" % message, file=sys.stderr)
    sys.exit(code)


def parse_params(args):
    """key=value arguments as a dict, ints converted."""
    params = {}
    for arg in args:
        key, eq, value = arg.partition("=")
        if not eq or not key:
            fail(2, "expected key=value, got %r" % arg)
        params[key] = int(value) if key not in RAW_KEYS and INT_RE.match(value) else value
    return params


def canonical(obj):
    """The canonical one-line JSON text of obj."""
    return json.dumps(obj, sort_keys=True, separators=(", ", ": "))


def call(port, cmd, params):
    """POST /_ctl/<cmd> with params; returns (status, decoded JSON).  The timeout
    leaves room for `results ... prepare=both` of a few million rows."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        conn.request("POST", "/_ctl/" + cmd, body=json.dumps(params).encode(),
                     headers={"Content-Type": "application/json"})
        resp = conn.getresponse()
        return resp.status, json.loads(resp.read().decode("utf-8"))
    finally:
        conn.close()


def main(argv):
    """Entry point."""
    quiet = bool(argv) and argv[0] == "-q"
    if quiet:
        argv = argv[1:]
    if len(argv) < 2 or argv[0] not in PORT_ENV:
        fail(2, "usage: ctl.py [-q] dune|lance CMD [key=value ...]")
    server, cmd = argv[0], argv[1]
    port = os.environ.get(PORT_ENV[server], "")
    if not port.isdigit():
        fail(2, "%s is not set" % PORT_ENV[server])
    args = argv[2:]
    if cmd == "results" and args and "=" not in args[0]:
        args = ["exec=" + args[0]] + args[1:]
    try:
        status, obj = call(int(port), cmd, parse_params(args))
    except (OSError, http.client.HTTPException, ValueError) as err:
        fail(2, "cannot reach the %s stand-in on 127.0.0.1:%s: %s" % (server, port, err))
    if status != 200:
        fail(1, "%s %s: HTTP %d: %s" % (server, cmd, status,
                                       obj.get("error") if isinstance(obj, dict) else obj))
    if quiet:
        return
    for item in obj if isinstance(obj, list) else [obj]:
        print(canonical(item))


if __name__ == "__main__":
    main(sys.argv[1:])
