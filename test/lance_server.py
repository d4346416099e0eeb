#!/usr/bin/env python3
"""Strict stand-in for the Lance Namespace / LanceDB Enterprise REST API (stdlib only).

    python3 test/lance_server.py --port P --api-key K --token T [--database D] [--verbose]

prints `ready <port>` and serves, under /v1 (see API-NOTES.md and
lance-namespace-spec.yaml v0.11.1):

    POST /v1/materialized_view/{id}/create[?delimiter=d]    201 {version, job_id?}
    POST /v1/materialized_view/{id}/refresh[?delimiter=d]   202 {job_id}
    POST /v1/table/{id}/describe[?delimiter=&with_table_uri=&load_detailed_metadata=&check_declared=]
    POST /v1/table/{id}/exists[?delimiter=d]                200 (empty body) or 404
    POST /v1/table/{id}/drop[?delimiter=d]                  200 {id, location, properties}
    GET  /v1/namespace/{id}/table/list[?delimiter=&page_token=&limit=&include_declared=]
    POST /v1/jobs/describe  {"job_id": "..."}            200 {job_id, job_type, job_state, creation_ms, failure?}

It is deliberately stricter than a real server, so that client mistakes show:

* Auth: `x-api-key: K` or `Authorization: Bearer T` (either one matching is
  enough), else 401 code 16.  With --database, `x-lancedb-database` must be
  sent (else 401 code 16) and equal D (else 403 code 15).  An `identity`
  object carrying api_key/auth_token, or a `context` entry `header.<auth
  header>`, in a body is refused (400 code 13): credentials travel in headers.
* Every /v1 request needs `Accept` listing application/json (else 406 code 0,
  as the Dune stand-in does) and a User-Agent starting with `dune_mv/`; a POST with
  a non-empty body needs `Content-Type: application/json` (parameters such as
  charset allowed); a GET must not have a body (all 400 code 13).
* Ids: the path segment is split on the raw delimiter (`$` unless
  `?delimiter=` says otherwise), then each part is percent-decoded (strict
  UTF-8, valid escapes).  A raw character other than RFC 3986 unreserved ones,
  `%` escapes and the delimiter is refused (it should have been encoded), as
  are empty names, `.`, `..` and names containing the delimiter.  The segment
  equal to the delimiter alone is the root namespace (only valid for list).
* Query parameters: only those the operation defines; unknown or repeated
  ones are 400 code 13; booleans are `true`/`false`.
* Bodies: a JSON object (duplicate keys, NaN/Infinity refused); unknown fields
  and wrong types are 400 code 13 naming the field (`udtf_spec.udtf_sha`);
  integers must be JSON integers (not 1.0, not booleans); a body `id` must
  equal the path's list.  `output_schema` is decoded by test/arrow_decode.py.

Behaviour where the spec is silent (chosen here):
* Namespaces exist implicitly: creating a view creates all its parent
  namespaces, which then stay (even after drops) until reset.  Other
  operations on an id whose namespace is unknown: 404 code 1.
* create with with_no_data true/absent answers {"version": 1} without job_id
  (`set null_job_id=1` makes it {"version": 1, "job_id": null}); with
  with_no_data false it starts a job and answers {"version": 1, "job_id"}.
  `set create_status=200` (or 202) changes the success status.
* Versions: 1 at create, plus one per job of the view whose state is DONE.
* Refresh: positive integers for max_rows_per_fragment, concurrency,
  intra_applier_concurrency, source_task_size, output_limit; src_version >= 0;
  cluster a non-empty string; manifest a string holding JSON (the spec types
  it string|null: "inline JSON-serialized GenevaManifest"); body optional.
  Body checks come first (400), then the view (404 code 4), then
  output_limit on a non-chunker view (400 code 13).
* udtf_spec: `udtf` must be standard base64 (content not checked), udtf_sha
  = lowercase hex SHA-256 of the udtf text; manifest_checksum, when sent,
  needs manifest and must be the lowercase hex SHA-256 of it;
  partition_by / partition_by_indexed_column / error_handling are batch-UDTF
  only and mutually exclusive (the two partition keys); batch is chunker only.
* output_schema: at least one field, top-level and struct child names
  non-empty and unique.
* Jobs: job ids job-000001...; job_type "materialized_view_refresh" (also for
  the initial refresh of a create).  A job is IN_PROGRESS for pending_ms +
  executing_ms (settings at its creation; default 0 + 0) and then final_state
  (default DONE); FAILED adds failure {phase, message, retryable} from the
  settings failure_phase/failure_message/failure_retryable.  `set job=ID
  state=S` forces any string (state= empty un-forces).  Unknown job: 404 code 4.
* exists answers 200 with an empty body (the spec: "no response body");
  `set exists_body={}` sends that text instead.
* list: direct children's names (not full ids), in code-point order; a page
  is min(limit, page_size) long; page_token (opaque) only when more remain;
  limit must be >= 1.
* describe: the full DescribeTableResponse (table, namespace, version,
  location memory://DB/ns/name.lance, schema as JsonArrowSchema, stats,
  storage_options, metadata, properties) unless load_detailed_metadata=false
  (then location and properties only); table_uri only with with_table_uri;
  is_only_declared (false) only with check_declared.  The view is described
  in properties (strings): materialized_view=true, materialized_view.kind,
  .source_query, .output_schema, .auto_refresh, .with_no_data, .last_job_id,
  and for UDTF kinds .udtf_name, .udtf_version, .udtf_sha.  A body version
  above the current one: 404 code 11; tag: 404 code 8; branch other than
  main: 404 code 22.
* Errors: {"code", "error", "detail", "instance"} (instance = the request
  path).  Unknown /v1 route: 404 code 0; wrong method: 405 code 0.
* Recorded header facts (ctl.py ... headers=1): auth = "api_key", "bearer",
  "both" or "none" (which credential headers were present; an Authorization
  header that is not Bearer counts as none) and database_ok (true when no
  database is required or the header matches).  Never a credential value.

Modules: this one authenticates and routes, and checks what every request shares
(headers, query parameters, the body's JSON); lance_checks.py holds the request
checks, lance_tables.py the views, namespaces and jobs and the operations on them.
"""

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import stand_in  # noqa: E402
from lance_checks import (DESCRIBE_QUERY, LanceError, bad, check_common, parse_body,  # noqa: E402
                          parse_id, parse_query)
from lance_tables import LanceTables  # noqa: E402
from stand_in import Reply  # noqa: E402

STATUS_CODES = {400: 13, 401: 16, 403: 15, 404: 4, 406: 0, 409: 14, 429: 21,
                500: 18, 503: 17}


class LanceApp(LanceTables, stand_in.App):
    """The Lance Namespace stand-in (views, namespaces, jobs: LanceTables)."""

    name = "lance"

    def __init__(self, api_key, token, database):
        self.api_key0, self.token0, self.database0 = api_key, token, database or ""
        super().__init__()

    def defaults(self):
        return {"api_key": self.api_key0, "token": self.token0, "database": self.database0,
                "page_size": 100, "pending_ms": 0, "executing_ms": 0, "final_state": "DONE",
                "failure_phase": "refresh", "failure_message": "stand-in job failure",
                "failure_retryable": 0, "create_status": 201, "null_job_id": 0,
                "exists_body": ""}

    def error_body(self, status, message):
        """Default Lance error body (faults, base errors)."""
        return json.dumps({"code": STATUS_CODES.get(status, 18), "error": message,
                           "detail": message}).encode()

    def header_facts(self, req):
        key = req.headers.get("x-api-key")
        authz = req.headers.get("Authorization") or ""
        bearer = authz[:7].lower() == "bearer "
        auth = {(True, True): "both", (True, False): "api_key", (False, True): "bearer",
                (False, False): "none"}[(key is not None, bearer)]
        db = self.settings["database"]
        return {"auth": auth,
                "database_ok": not db or req.headers.get("x-lancedb-database") == db}

    # ---- request handling -----------------------------------------------------
    def handle(self, req):
        try:
            return self._handle(req)
        except LanceError as e:
            return Reply.json(e.status, {"code": e.code, "error": e.error, "detail": e.detail,
                                         "instance": req.path}, e.headers)

    def _authenticate(self, req):
        """401/403 unless the credentials and database header are right."""
        s = self.settings
        key = req.headers.get("x-api-key")
        authz = req.headers.get("Authorization")
        ok = key is not None and key == s["api_key"]
        if authz is not None and authz[:7].lower() == "bearer ":
            ok = ok or authz[7:] == s["token"]
        if not ok:
            if key is None and authz is None:
                raise LanceError(401, 16, "missing credentials",
                                 "send x-api-key or Authorization: Bearer")
            raise LanceError(401, 16, "invalid credentials", "the API key or token is not valid")
        if s["database"]:
            db = req.headers.get("x-lancedb-database")
            if db is None:
                raise LanceError(401, 16, "missing x-lancedb-database header",
                                 "this deployment needs the x-lancedb-database header")
            if db != s["database"]:
                raise LanceError(403, 15, "no access to the requested database",
                                 "x-lancedb-database names a database this key cannot use")

    def _route(self, req):
        """(operation, id segment or None, allowed method)."""
        segs = req.path.split("/")
        if len(segs) == 5 and segs[:3] == ["", "v1", "materialized_view"] \
                and segs[4] in ("create", "refresh"):
            return "mv_" + segs[4], segs[3], "POST"
        if len(segs) == 5 and segs[:3] == ["", "v1", "table"] \
                and segs[4] in ("describe", "exists", "drop"):
            return "table_" + segs[4], segs[3], "POST"
        if len(segs) == 6 and segs[:3] == ["", "v1", "namespace"] and segs[4:] == ["table", "list"]:
            return "list", segs[3], "GET"
        if segs == ["", "v1", "jobs", "describe"]:
            return "job", None, "POST"
        raise LanceError(404, 0, "no such operation: %s %s" % (req.method, req.path))

    def _handle(self, req):
        self._authenticate(req)
        op, seg, method = self._route(req)
        if req.method != method:
            raise LanceError(405, 0, "method %s is not allowed on %s" % (req.method, req.path),
                             headers={"Allow": method})
        accept = req.headers.get("Accept") or ""
        if not any(a.split(";")[0].strip().lower() == "application/json" for a in accept.split(",")):
            raise LanceError(406, 0, "Accept must include application/json, got %r" % accept)
        ua = req.headers.get("User-Agent") or ""
        if not ua.startswith("dune_mv/"):
            raise bad("User-Agent must start with 'dune_mv/', got %r" % ua)
        if req.body:
            if method == "GET":
                raise bad("a GET request must not have a body")
            ctype = (req.headers.get("Content-Type") or "").split(";")[0].strip().lower()
            if ctype != "application/json":
                raise bad("Content-Type must be application/json, got %r"
                          % req.headers.get("Content-Type"))
        params = parse_query(req.query)
        allowed = {"mv_create": (), "mv_refresh": (), "table_describe": DESCRIBE_QUERY,
                   "table_exists": (), "table_drop": (), "job": None,
                   "list": ("page_token", "limit", "include_declared")}[op]
        if allowed is None:
            allowed = ()
        else:
            allowed = ("delimiter",) + tuple(allowed)
        for name in sorted(params):
            if name not in allowed:
                raise bad("unknown query parameter '%s'" % name)
        if op == "job":
            return self._job(req)
        ids = parse_id(seg, params.get("delimiter", "$"), allow_root=(op == "list"))
        return getattr(self, "_" + op)(req, tuple(ids), params)

    def _body(self, req, required, path_id):
        """Parsed body ({} when empty and not required)."""
        if not req.body:
            if required:
                raise bad("a request body is required")
            return {}
        body = parse_body(req.body)
        check_common(body, path_id)
        return body


def main(argv=None):
    ap = argparse.ArgumentParser(description="Lance Namespace stand-in server")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--api-key", required=True)
    ap.add_argument("--token", required=True)
    ap.add_argument("--database")
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args(argv)
    stand_in.serve(LanceApp(args.api_key, args.token, args.database), args.port, args.verbose)


if __name__ == "__main__":
    main()
