"""Request checks of the Lance stand-in (test/lance_server.py): LanceError and bad()
(400 code 13), JSON bodies and their fields (identity, context and id; create with
its udtf_spec and output_schema; refresh), query strings, and ids split on the
delimiter and percent-decoded."""

import hashlib
import json
import re
import urllib.parse

import arrow_decode

UNRESERVED = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
PCHAR_RAW = UNRESERVED | set("!$&'()*+,;=:@")
HEX_RE = re.compile(r"[0-9a-f]{64}")
INT64_MAX = 2 ** 63 - 1
AUTH_HEADERS = {"authorization", "x-api-key", "x-lancedb-database"}
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
