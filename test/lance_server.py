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
"""

import argparse
import hashlib
import json
import os
import re
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import arrow_decode  # noqa: E402
import stand_in  # noqa: E402
from stand_in import HTTPError, Reply  # noqa: E402

UNRESERVED = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
PCHAR_RAW = UNRESERVED | set("!$&'()*+,;=:@")
HEX_RE = re.compile(r"[0-9a-f]{64}")
INT64_MAX = 2 ** 63 - 1
AUTH_HEADERS = {"authorization", "x-api-key", "x-lancedb-database"}
STATUS_CODES = {400: 13, 401: 16, 403: 15, 404: 4, 406: 0, 409: 14, 429: 21,
                500: 18, 503: 17}
CREDENTIAL_IDENTITY_KEYS = ("api_key", "auth_token")
IDENTITY_KEYS = {"api_key", "auth_token"}
COMMON_KEYS = {"identity", "context", "id"}
CREATE_KEYS = COMMON_KEYS | {"kind", "source_query", "output_schema", "udtf_spec",
                             "with_no_data", "auto_refresh"}
UDTF_KEYS = {"kind", "udtf", "udtf_sha", "udtf_name", "udtf_version", "input_columns",
             "partition_by", "partition_by_indexed_column", "num_cpus", "num_gpus",
             "memory", "error_handling", "batch", "manifest", "manifest_checksum"}
REFRESH_KEYS = COMMON_KEYS | {"src_version", "max_rows_per_fragment", "concurrency",
                              "intra_applier_concurrency", "source_task_size",
                              "output_limit", "cluster", "manifest"}
REFRESH_POSITIVE = ("max_rows_per_fragment", "concurrency", "intra_applier_concurrency",
                    "source_task_size", "output_limit")
DESCRIBE_KEYS = COMMON_KEYS | {"version", "tag", "branch", "with_table_uri",
                               "load_detailed_metadata", "check_declared", "vend_credentials"}
DESCRIBE_QUERY = ("with_table_uri", "load_detailed_metadata", "check_declared")
EXISTS_KEYS = COMMON_KEYS | {"version"}
JOB_TYPE = "materialized_view_refresh"


class LanceError(Exception):
    """A Lance error answer: HTTP status, Lance error code, message, detail."""

    def __init__(self, status, code, error, detail=None, headers=None):
        super().__init__(error)
        self.status, self.code, self.error = status, code, error
        self.detail = detail if detail is not None else error
        self.headers = headers or {}


def bad(message, detail=None):
    """400 InvalidInput."""
    return LanceError(400, 13, message, detail)


# ---- JSON body and field checks ------------------------------------------

def _no_dup_object(pairs):
    """object_pairs_hook refusing duplicate keys."""
    out = {}
    for k, v in pairs:
        if k in out:
            raise ValueError("duplicate key %r" % k)
        out[k] = v
    return out


def _no_constant(name):
    raise ValueError("%s is not JSON" % name)


def parse_body(raw):
    """The request body as a JSON object; LanceError 400 otherwise."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise bad("request body is not valid UTF-8") from None
    try:
        obj = json.loads(text, object_pairs_hook=_no_dup_object, parse_constant=_no_constant)
    except ValueError as e:
        raise bad("request body is not valid JSON: %s" % e) from None
    if not isinstance(obj, dict):
        raise bad("request body must be a JSON object")
    return obj


def check_keys(obj, allowed, prefix=""):
    """Refuse keys not in allowed, naming the first (sorted) one."""
    unknown = sorted(set(obj) - set(allowed))
    if unknown:
        raise bad("unknown field '%s%s'" % (prefix, unknown[0]))


def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def want_int(obj, key, name, minimum=None, nullable=True):
    """An integer field (or None when absent/null and nullable)."""
    v = obj.get(key)
    if v is None:
        if key in obj and not nullable:
            raise bad("field '%s' must be an integer, not null" % name)
        return None
    if not is_int(v):
        raise bad("field '%s' must be an integer, got %s" % (name, type_name(v)))
    if v > INT64_MAX or v < -INT64_MAX - 1:
        raise bad("field '%s' is out of the int64 range" % name)
    if minimum is not None and v < minimum:
        raise bad("field '%s' must be >= %d, got %d" % (name, minimum, v))
    return v


def want_str(obj, key, name, nullable=True, nonempty=False):
    """A string field (or None when absent/null and nullable)."""
    v = obj.get(key)
    if v is None:
        if key in obj and not nullable:
            raise bad("field '%s' must be a string, not null" % name)
        return None
    if not isinstance(v, str):
        raise bad("field '%s' must be a string, got %s" % (name, type_name(v)))
    if nonempty and not v:
        raise bad("field '%s' must not be empty" % name)
    return v


def want_bool(obj, key, name, nullable=True):
    """A boolean field (or None when absent/null and nullable)."""
    v = obj.get(key)
    if v is None:
        if key in obj and not nullable:
            raise bad("field '%s' must be a boolean, not null" % name)
        return None
    if not isinstance(v, bool):
        raise bad("field '%s' must be a boolean, got %s" % (name, type_name(v)))
    return v


def type_name(v):
    """JSON type name of a Python value."""
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, int):
        return "integer"
    if isinstance(v, float):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    return "object"


def sha256_hex(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def check_common(body, path_id):
    """identity, context and id, shared by all request bodies."""
    ident = body.get("identity")
    if ident is not None:
        if not isinstance(ident, dict):
            raise bad("field 'identity' must be an object")
        for key in CREDENTIAL_IDENTITY_KEYS:
            if key in ident:
                raise bad("field 'identity.%s' is refused: credentials must be sent in headers"
                          " (x-api-key / Authorization), never in the body" % key)
        check_keys(ident, IDENTITY_KEYS, "identity.")
    ctx = body.get("context")
    if ctx is not None:
        if not isinstance(ctx, dict):
            raise bad("field 'context' must be an object")
        for key in ctx:
            if key.lower().startswith("header.") and key[7:].lower() in AUTH_HEADERS:
                raise bad("field 'context.%s' is refused: credentials must be sent in headers" % key)
    if "id" in body and body["id"] is not None:
        ids = body["id"]
        if not isinstance(ids, list) or not all(isinstance(x, str) for x in ids):
            raise bad("field 'id' must be an array of strings")
        if path_id is not None and ids != list(path_id):
            raise bad("field 'id' %s does not match the id in the path %s"
                      % (json.dumps(ids), json.dumps(list(path_id))))


def check_schema_names(fields, where):
    """Names of top-level and struct fields: present, non-empty, unique."""
    seen = set()
    for f in fields:
        if not f["name"]:
            raise bad("output_schema: %s has a field without a name" % where)
        if f["name"] in seen:
            raise bad("output_schema: duplicate field name %r in %s" % (f["name"], where))
        seen.add(f["name"])
        if f["type"] == "struct":
            check_schema_names(f["children"], "struct %r" % f["name"])
        for c in f["children"]:
            if c["name"] is None:
                raise bad("output_schema: a child of %r has no name" % f["name"])


def check_udtf_spec(spec, kind):
    """Validate udtf_spec of a udtf/chunker create."""
    if not isinstance(spec, dict):
        raise bad("field 'udtf_spec' must be an object (required when kind is %r)" % kind)
    check_keys(spec, UDTF_KEYS, "udtf_spec.")
    for key in ("kind", "udtf", "udtf_sha", "udtf_name", "udtf_version"):
        if key not in spec:
            raise bad("missing required field 'udtf_spec.%s'" % key)
        want_str(spec, key, "udtf_spec." + key, nullable=False, nonempty=True)
    if spec["kind"] not in ("udtf", "chunker"):
        raise bad("field 'udtf_spec.kind' must be 'udtf' or 'chunker', got %r" % spec["kind"])
    if spec["kind"] != kind:
        raise bad("field 'udtf_spec.kind' (%r) must equal the request's kind (%r)"
                  % (spec["kind"], kind))
    try:
        arrow_decode.b64decode_strict(spec["udtf"], "udtf_spec.udtf")
    except ValueError as e:
        raise bad("field %s" % e) from None
    if not HEX_RE.fullmatch(spec["udtf_sha"]):
        raise bad("field 'udtf_spec.udtf_sha' must be 64 lowercase hex digits (SHA-256)")
    if spec["udtf_sha"] != sha256_hex(spec["udtf"]):
        raise bad("field 'udtf_spec.udtf_sha' does not match the SHA-256 of udtf_spec.udtf")
    cols = spec.get("input_columns")
    if cols is not None:
        if not isinstance(cols, list) or not all(isinstance(c, str) and c for c in cols):
            raise bad("field 'udtf_spec.input_columns' must be an array of non-empty strings")
    for key in ("partition_by", "partition_by_indexed_column"):
        want_str(spec, key, "udtf_spec." + key, nonempty=True)
    if spec.get("partition_by") is not None and spec.get("partition_by_indexed_column") is not None:
        raise bad("fields 'udtf_spec.partition_by' and 'udtf_spec.partition_by_indexed_column'"
                  " are mutually exclusive")
    for key in ("num_cpus", "num_gpus"):
        v = spec.get(key)
        if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0):
            raise bad("field 'udtf_spec.%s' must be a non-negative number" % key)
    want_int(spec, "memory", "udtf_spec.memory", minimum=0)
    eh = spec.get("error_handling")
    if eh is not None and not isinstance(eh, dict):
        raise bad("field 'udtf_spec.error_handling' must be an object")
    want_bool(spec, "batch", "udtf_spec.batch")
    want_str(spec, "manifest", "udtf_spec.manifest")
    want_str(spec, "manifest_checksum", "udtf_spec.manifest_checksum")
    if kind == "chunker":
        for key in ("partition_by", "partition_by_indexed_column", "error_handling"):
            if spec.get(key) is not None:
                raise bad("field 'udtf_spec.%s' is for batch UDTFs only (kind 'udtf')" % key)
    elif spec.get("batch") is not None:
        raise bad("field 'udtf_spec.batch' is for chunkers only (kind 'chunker')")
    if spec.get("manifest_checksum") is not None:
        if spec.get("manifest") is None:
            raise bad("field 'udtf_spec.manifest_checksum' given without udtf_spec.manifest")
        if spec["manifest_checksum"] != sha256_hex(spec["manifest"]):
            raise bad("field 'udtf_spec.manifest_checksum' does not match the SHA-256 of"
                      " udtf_spec.manifest (lowercase hex)")


def check_create(body, path_id):
    """Validate a create body; returns the decoded output fields."""
    check_keys(body, CREATE_KEYS)
    check_common(body, path_id)
    for key in ("kind", "source_query", "output_schema"):
        if key not in body:
            raise bad("missing required field '%s'" % key)
    kind = want_str(body, "kind", "kind", nullable=False)
    if kind not in ("query", "udtf", "chunker"):
        raise bad("field 'kind' must be one of query, udtf, chunker; got %r" % kind)
    want_str(body, "source_query", "source_query", nullable=False, nonempty=True)
    want_str(body, "output_schema", "output_schema", nullable=False)
    try:
        fields = arrow_decode.decode_schema(body["output_schema"])
    except ValueError as e:
        raise bad("field 'output_schema' is not a valid Arrow IPC schema message: %s" % e) from None
    if not fields:
        raise bad("output_schema: the schema has no fields")
    check_schema_names(fields, "the schema")
    want_bool(body, "with_no_data", "with_no_data", nullable=False)
    want_bool(body, "auto_refresh", "auto_refresh")
    spec = body.get("udtf_spec")
    if kind == "query":
        if spec is not None:
            raise bad("field 'udtf_spec' must be null or absent when kind is 'query'")
    elif spec is None:
        raise bad("field 'udtf_spec' is required when kind is %r" % kind)
    else:
        check_udtf_spec(spec, kind)
    return fields


def check_refresh(body, path_id):
    """Validate a refresh body (kind-independent part)."""
    check_keys(body, REFRESH_KEYS)
    check_common(body, path_id)
    want_int(body, "src_version", "src_version", minimum=0)
    for key in REFRESH_POSITIVE:
        want_int(body, key, key, minimum=1)
    want_str(body, "cluster", "cluster", nonempty=True)
    manifest = body.get("manifest")
    if manifest is not None:
        if not isinstance(manifest, str):
            raise bad("field 'manifest' must be a string holding JSON (the spec types it"
                      " string|null), got %s" % type_name(manifest))
        try:
            json.loads(manifest)
        except ValueError:
            raise bad("field 'manifest' must hold JSON (a serialized GenevaManifest)") from None


# ---- ids and query strings --------------------------------------------------

def parse_query(query):
    """Raw query string -> {name: value} (percent-decoded, '+' kept); 400 on repeats."""
    out = {}
    if not query:
        return out
    for part in query.split("&"):
        name, eq, value = part.partition("=")
        try:
            name = urllib.parse.unquote(name, errors="strict")
            value = urllib.parse.unquote(value, errors="strict")
        except UnicodeDecodeError:
            raise bad("query parameter is not valid UTF-8") from None
        if name in out:
            raise bad("query parameter '%s' is repeated" % name)
        out[name] = value
    return out


def query_bool(params, key):
    """A boolean query parameter (true/false), or None."""
    if key not in params:
        return None
    v = params[key].lower()
    if v not in ("true", "false"):
        raise bad("query parameter '%s' must be true or false" % key)
    return v == "true"


def percent_decode(part):
    """Strict percent-decoding of one id name."""
    raw = bytearray()
    i = 0
    while i < len(part):
        c = part[i]
        if c == "%":
            h = part[i + 1:i + 3]
            if len(h) != 2 or not all(x in "0123456789abcdefABCDEF" for x in h):
                raise bad("invalid percent-escape %r in the id" % part[i:i + 3])
            raw.append(int(h, 16))
            i += 3
        else:
            raw += c.encode("utf-8")
            i += 1
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise bad("id name %r is not valid UTF-8 once percent-decoded" % part) from None


def parse_id(segment, delimiter, allow_root=False):
    """Path segment -> list of names, per the delimiter rules."""
    if not delimiter:
        raise bad("query parameter 'delimiter' must not be empty")
    if any(c not in PCHAR_RAW for c in delimiter):
        raise bad("delimiter %r cannot appear unencoded in a path segment" % delimiter)
    if segment == delimiter:
        if not allow_root:
            raise bad("the root namespace (%r) is not a table id" % delimiter)
        return []
    for c in segment:
        if c not in UNRESERVED and c != "%" and c not in delimiter:
            raise bad("character %r in the id must be percent-encoded" % c)
    names = [percent_decode(p) for p in segment.split(delimiter)]
    for n in names:
        if n == "":
            raise bad("the id %r has an empty name" % segment)
        if n in (".", ".."):
            raise bad("the id %r has the name %r" % (segment, n))
        if delimiter in n:
            raise bad("the name %r contains the delimiter %r" % (n, delimiter))
    return names


# ---- Arrow JSON for describe ----------------------------------------------

UNIT_ABBREV = {"SECOND": "s", "MILLISECOND": "ms", "MICROSECOND": "us", "NANOSECOND": "ns"}


def json_arrow_field(f):
    """A decoded field as a JsonArrowField."""
    t = f["type"]
    dt = {"type": t}
    if t.startswith("decimal"):
        dt["type"] = "%s(%d, %d)" % (t, f["precision"], f["scale"])
    elif t == "timestamp":
        unit = UNIT_ABBREV[f["unit"]]
        dt["type"] = "timestamp[%s, tz=%s]" % (unit, f["timezone"]) if f["timezone"] \
            else "timestamp[%s]" % unit
    elif t in ("time32", "time64"):
        dt["type"] = "%s[%s]" % (t, UNIT_ABBREV[f["unit"]])
    elif t == "date32":
        dt["type"] = "date32[day]"
    elif t == "date64":
        dt["type"] = "date64[ms]"
    elif t == "fixed_size_binary":
        dt["length"] = f["byte_width"]
    elif t == "fixed_size_list":
        dt["length"] = f["list_size"]
    if f["children"]:
        dt["fields"] = [json_arrow_field(c) for c in f["children"]]
    out = {"name": f["name"] or "", "nullable": f["nullable"], "type": dt}
    if f.get("metadata"):
        out["metadata"] = f["metadata"]
    return out


# ---- the app -------------------------------------------------------------------

class LanceApp(stand_in.App):
    """The Lance Namespace stand-in."""

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

    def reset_state(self):
        self.views = {}
        self.namespaces = {()}
        self.jobs = {}

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

    def ctl_set(self, params):
        if "job" not in params:
            return
        job_id = str(params.pop("job"))
        if "state" not in params:
            raise HTTPError(400, "set job=ID needs state=STATE")
        state = str(params.pop("state"))
        if job_id not in self.jobs:
            raise HTTPError(404, "unknown job %r" % job_id)
        self.jobs[job_id]["forced"] = state or None

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

    def _view(self, ids):
        """The view at ids; 404 code 1 or 4 when missing."""
        if ids[:-1] not in self.namespaces:
            raise LanceError(404, 1, "namespace %s not found" % json.dumps(list(ids[:-1])))
        view = self.views.get(ids)
        if view is None:
            raise LanceError(404, 4, "table %s not found" % json.dumps(list(ids)))
        return view

    # ---- jobs ---------------------------------------------------------------
    def _new_job(self, ids):
        s = self.settings
        job_id = "job-%06d" % self.counter("job")
        self.jobs[job_id] = {
            "job_id": job_id, "view": ids, "t0": time.monotonic(),
            "creation_ms": int(time.time() * 1000),
            "run_ms": s["pending_ms"] + s["executing_ms"], "final_state": s["final_state"],
            "failure": {"phase": s["failure_phase"], "message": s["failure_message"],
                        "retryable": bool(s["failure_retryable"])},
            "forced": None,
        }
        self.views[ids]["jobs"].append(job_id)
        return job_id

    def job_state(self, job):
        if job["forced"]:
            return job["forced"]
        if (time.monotonic() - job["t0"]) * 1000 < job["run_ms"]:
            return "IN_PROGRESS"
        return job["final_state"]

    def _job(self, req):
        body = self._body(req, True, None)
        check_keys(body, {"job_id"})
        job_id = want_str(body, "job_id", "job_id", nullable=False, nonempty=True)
        if job_id is None:
            raise bad("missing required field 'job_id'")
        job = self.jobs.get(job_id)
        if job is None:
            raise LanceError(404, 4, "job %r not found" % job_id)
        state = self.job_state(job)
        out = {"job_id": job_id, "job_type": JOB_TYPE, "job_state": state,
               "creation_ms": job["creation_ms"]}
        if state == "FAILED":
            out["failure"] = dict(job["failure"])
        return Reply.json(200, out)

    def version(self, view):
        return 1 + sum(1 for j in view["jobs"] if self.job_state(self.jobs[j]) == "DONE")

    # ---- materialized views -------------------------------------------------
    def _mv_create(self, req, ids, params):
        if not ids:
            raise bad("a view id needs at least one name")
        body = self._body(req, True, ids)
        fields = check_create(body, ids)
        if ids in self.views:
            raise LanceError(409, 5, "table %s already exists" % json.dumps(list(ids)))
        for i in range(len(ids)):
            self.namespaces.add(ids[:i])
        self.views[ids] = {"body": body, "fields": fields, "jobs": []}
        out = {"version": 1}
        if body.get("with_no_data") is False:
            out["job_id"] = self._new_job(ids)
        elif self.settings["null_job_id"]:
            out["job_id"] = None
        return Reply.json(self.settings["create_status"], out)

    def _mv_refresh(self, req, ids, params):
        body = self._body(req, False, ids)
        check_refresh(body, ids)
        view = self._view(ids)
        if body.get("output_limit") is not None and view["body"]["kind"] != "chunker":
            raise bad("field 'output_limit' is valid for chunker views only; this view's kind"
                      " is %r" % view["body"]["kind"])
        return Reply.json(202, {"job_id": self._new_job(ids)})

    # ---- tables ---------------------------------------------------------------
    def _location(self, ids):
        return "memory://%s/%s.lance" % (self.settings["database"] or "default",
                                         "/".join(urllib.parse.quote(n, safe="") for n in ids))

    def _properties(self, view):
        b = view["body"]
        props = {"materialized_view": "true", "materialized_view.kind": b["kind"],
                 "materialized_view.source_query": b["source_query"],
                 "materialized_view.output_schema": b["output_schema"],
                 "materialized_view.auto_refresh": "true" if b.get("auto_refresh") else "false",
                 "materialized_view.with_no_data":
                     "false" if b.get("with_no_data") is False else "true"}
        if view["jobs"]:
            props["materialized_view.last_job_id"] = view["jobs"][-1]
        spec = b.get("udtf_spec")
        if spec:
            for key in ("udtf_name", "udtf_version", "udtf_sha"):
                props["materialized_view." + key] = spec[key]
        return props

    def _table_describe(self, req, ids, params):
        body = self._body(req, True, ids)
        check_keys(body, DESCRIBE_KEYS)
        version = want_int(body, "version", "version", minimum=0)
        tag = want_str(body, "tag", "tag")
        branch = want_str(body, "branch", "branch")
        flags = {}
        for key in DESCRIBE_QUERY + ("vend_credentials",):
            flags[key] = want_bool(body, key, key)
            q = query_bool(params, key) if key in DESCRIBE_QUERY else None
            if q is not None:
                flags[key] = q
        if tag is not None and (version is not None or branch is not None):
            raise bad("field 'tag' cannot be combined with 'version' or 'branch'")
        view = self._view(ids)
        current = self.version(view)
        if version is not None and version > current:
            raise LanceError(404, 11, "version %d of table %s not found"
                             % (version, json.dumps(list(ids))))
        if tag is not None:
            raise LanceError(404, 8, "tag %r not found" % tag)
        if branch not in (None, "main"):
            raise LanceError(404, 22, "branch %r not found" % branch)
        out = {"location": self._location(ids), "properties": self._properties(view)}
        if flags["load_detailed_metadata"] is not False:
            out.update({
                "table": ids[-1], "namespace": list(ids[:-1]),
                "version": version if version is not None else current,
                "schema": {"fields": [json_arrow_field(f) for f in view["fields"]],
                           "metadata": {}},
                "storage_options": {},
                "stats": {"num_deleted_rows": 0, "num_fragments": 0 if current == 1 else 1},
                "metadata": {},
            })
        if flags["with_table_uri"]:
            out["table_uri"] = out["location"]
        if flags["check_declared"]:
            out["is_only_declared"] = False
        return Reply.json(200, out)

    def _table_exists(self, req, ids, params):
        body = self._body(req, True, ids)
        check_keys(body, EXISTS_KEYS)
        version = want_int(body, "version", "version", minimum=0)
        view = self._view(ids)
        if version is not None and version > self.version(view):
            raise LanceError(404, 11, "version %d of table %s not found"
                             % (version, json.dumps(list(ids))))
        return Reply(200, self.settings["exists_body"].encode())

    def _table_drop(self, req, ids, params):
        body = self._body(req, False, ids)
        check_keys(body, COMMON_KEYS)
        view = self._view(ids)
        out = {"id": list(ids), "location": self._location(ids),
               "properties": self._properties(view)}
        del self.views[ids]
        return Reply.json(200, out)

    # ---- namespaces -----------------------------------------------------------
    def _list(self, req, ids, params):
        include = query_bool(params, "include_declared")  # accepted, no effect
        del include
        limit = None
        if "limit" in params:
            if not re.fullmatch(r"[0-9]+", params["limit"]):
                raise bad("query parameter 'limit' must be a positive integer")
            limit = int(params["limit"])
            if limit < 1:
                raise bad("query parameter 'limit' must be >= 1")
        if ids not in self.namespaces:
            raise LanceError(404, 1, "namespace %s not found" % json.dumps(list(ids)))
        names = sorted(v[-1] for v in self.views if v[:-1] == ids)
        token = params.get("page_token", "")
        if token:
            m = re.fullmatch(r"t1\.([0-9a-f]*)", token)
            try:
                after = bytes.fromhex(m.group(1)).decode("utf-8") if m else None
            except ValueError:
                after = None
            if after is None:
                raise bad("query parameter 'page_token' is not a token this server issued")
            names = [n for n in names if n > after]
        size = max(1, self.settings["page_size"])
        if limit is not None:
            size = min(size, limit)
        page = names[:size]
        out = {"tables": page}
        if len(names) > size:
            out["page_token"] = "t1." + page[-1].encode("utf-8").hex()
        return Reply.json(200, out)


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
