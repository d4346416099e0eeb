#!/usr/bin/env bash
# Self-test of the Lance stand-in (test/lance_server.py) and of the Arrow schema
# decoder (test/arrow_decode.py).  Starts its own server on a free port (it does
# not touch the shared stand-ins), drives it with curl and test/ctl.py.
# Last line: "N passed, N failed"; exit status 1 when anything failed.
set -u

TEST_DIR=$(cd "$(dirname "$0")/.." && pwd)
TMP=$(mktemp -d)
KEY="lk-SECRET-$$-key"
TOKEN="tk-SECRET-$$-token"
DB="db_selftest"
PASS=0
FAIL=0
SERVER_PID=

cleanup() {
	if [ -n "$SERVER_PID" ]; then
		kill "$SERVER_PID" 2>/dev/null
		wait "$SERVER_PID" 2>/dev/null
	fi
	rm -rf "$TMP"
}
trap cleanup EXIT

ok() { PASS=$((PASS + 1)); echo "ok - $1"; }
not_ok() { FAIL=$((FAIL + 1)); echo "not ok - $1${2:+: $2}"; }
# verdicts FILE WHAT: count the PASS/FAIL lines a Python checker wrote to FILE.
verdicts() {
	local verdict rest
	while read -r verdict rest; do
		case "$verdict" in
		PASS) ok "$rest" ;;
		FAIL) not_ok "$rest" ;;
		*) not_ok "$2 output" "$verdict $rest" ;;
		esac
	done <"$1"
}

# ---------------------------------------------------------------- decoder
python3 - "$TEST_DIR" >"$TMP/decoder.out" 2>&1 <<'PYEOF'
import base64, random, struct, sys
sys.path.insert(0, sys.argv[1])
import arrow_decode as A

V1 = "/////3gAAAAQAAAACgAMAAgACgAEAAAADAAAABAAAAAEAAEACAAIAAAABAAIAAAABAAAAAEAAAAUAAAAEAAUAAQAEAARAAgAAAAMABAAAAAQAAAAHAAAACQAAAABAgAAAgAAAGlkAAAIAAwABAAIAAgAAABAAAAAAQAAAAAAAAA="
V2 = "/////7gAAAAQAAAACgAMAAgACgAEAAAADAAAABAAAAAEAAEACAAIAAAABAAIAAAABAAAAAIAAAAYAAAAWAAAABAAFAAEABAAEQAIAAAADAAQAAAAEAAAABwAAAAkAAAAAQIAAAIAAABpZAAACAAMAAQACAAIAAAAQAAAAAEAAAAAAAAAEAAUAAQAEAARAAgAAAAMABAAAAAQAAAAHAAAABwAAAABBQAABAAAAHRleHQAAAQABAAAAAYAAAAAAAAA"

def check(name, cond, info=""):
    print(("PASS " if cond else "FAIL ") + name + ((": " + info) if info and not cond else ""))

def f(name, t, nullable=True, children=(), **kw):
    d = {"name": name, "nullable": nullable, "type": t, "children": list(children)}
    d.update(kw)
    return d

def raises(name, b64, needle):
    try:
        A.decode_schema(b64)
    except ValueError as e:
        check(name, needle in str(e), "message %r lacks %r" % (str(e), needle))
        return
    except Exception as e:
        check(name, False, "raised %r instead of ValueError" % e)
        return
    check(name, False, "no error")

check("decoder: reference vector id int64",
      A.decode_schema(V1) == [f("id", "int64")], repr(A.decode_schema(V1)))
check("decoder: reference vector id int64, text utf8",
      A.decode_schema(V2) == [f("id", "int64"), f("text", "utf8")])

ALL = [f("id", "int64", False), f("t", "utf8"),
       f("emb", "fixed_size_list", children=[f("item", "float32")], list_size=3),
       f("d", "decimal128", precision=10, scale=2),
       f("ts", "timestamp", unit="MICROSECOND", timezone="UTC"),
       f("ts2", "timestamp", unit="MICROSECOND", timezone=None),
       f("dt", "date32", unit="DAY"), f("tm", "time64", unit="MICROSECOND"),
       f("s", "struct", children=[f("a", "bool"), f("b", "large_list", children=[f("item", "binary")])]),
       f("fb", "fixed_size_binary", byte_width=16), f("n", "null"), f("u", "uint8"),
       f("lu", "large_utf8"), f("lb", "large_binary"), f("l", "list", children=[f("item", "float64")]),
       f("h", "float16"), f("d64", "date64", unit="MILLISECOND"), f("t32", "time32", unit="SECOND"),
       f("i16", "int16"), f("i32", "int32"), f("f64", "float64")]
enc = A.encode_schema(ALL)
check("decoder: every supported type round-trips", A.decode_schema(enc) == ALL)

# Written by apache-arrow (JavaScript) for a similar schema: a back-to-front layout.
JS = ("/////2gEAAAQAAAAAAAKABAADgAHAAgACgAAAAAAAAEQAAAAAAAEAAgACAAAAAQACAAAAAQAAAARAAAAAAQAAMADAABAAwAABAMAAMACAACIAgAAWAIAACQCAABwAQAAQAEAABQBAADkAAAAuAAAAIwAAABgAAAANAAAAAQAAACQ/P//FAAAAAAAAAEUAAAAAAAACRAAAAADAAAAdDMyAAAAAACm/f//AAAAALz8//8UAAAAAAAAARQAAAAAAAAIEAAAAAMAAABkNjQAAAAAAKz8///k/P//FAAAAAAAAAEUAAAAAAAAAxAAAAABAAAAaAAAAAAAAADU/P//DP3//xQAAAAAAAABFAAAAAAAABMQAAAAAgAAAGxiAAAAAAAA/Pz//zT9//8UAAAAAAAAARQAAAAAAAAUEAAAAAIAAABsdQAAAAAAACT9//9c/f//FAAAAAAAAAEUAAAAAAAAAhAAAAABAAAAdQAAAAAAAACO/f//CAAAAIj9//8UAAAAAAAAARQAAAAAAAABEAAAAAEAAABuAAAAAAAAAHj9//+w/f//FAAAAAAAAAEUAAAAAAAADxAAAAACAAAAZmIAAAAAAADi/f//EAAAANz9//8UAAAAAAAAARQAAAAAAAANmAAAAAEAAABzAAAAAgAAAGAAAAAEAAAACP7//xQAAAAAAAABFAAAAAAAAAxAAAAAAQAAAGIAAAABAAAABAAAADD+//8UAAAAAAAAARgAAAAAAAAEFAAAAAQAAABpdGVtAAAAAAAAAAAk/v//KP7//2D+//8UAAAAAAAAARQAAAAAAAAGEAAAAAEAAABhAAAAAAAAAFD+//9U/v//jP7//xQAAAAAAAABFAAAAAAAAAkQAAAAAgAAAHRtAAAAAAAAcP///0AAAAAAAAIAvP7//xQAAAAAAAABFAAAAAAAAAgQAAAAAgAAAGR0AAAAAAAA0v///wAAAADo/v//FAAAAAAAAAEUAAAAAAAAChgAAAADAAAAdHMyAAAAAAAAAAYACAAGAAYAAAAAAAIAHP///xQAAAAAAAABFAAAAAAAAAoYAAAAAgAAAHRzAAAAAAAACAAMAAoABAAIAAAACAAAAAAAAgADAAAAVVRDAFz///8UAAAAAAAAARQAAAAAAAAHGAAAAAEAAABkAAAAAAAAAAgADAAEAAgACAAAAAoAAAACAAAAlP///xQAAAAAAAABFAAAAAAAABBQAAAAAwAAAGVtYgABAAAABAAAALz///8UAAAAAAAAARgAAAAAAAADHAAAAAQAAABpdGVtAAAAAAAAAAAAAAYABgAEAAYAAAABAAYACAAEAAYAAAADAAAAEAAYAAQACwATABQAAAAMABAAAAAUAAAAAAAAARQAAAAAAAAFFAAAAAEAAAB0AAAAAAAAAAQABAAEAAAAEAAUAAQAAAAPABAAAAAIABAAAAAQAAAAFAAAAAAAAAIYAAAAAgAAAGlkAAAAAAAACAAMAAgABwAIAAAAAAAAAUAAAAA=")
want_js = [x for x in ALL if x["name"] not in ("l", "i16", "i32", "f64")]
want_js[8] = f("s", "struct", children=[f("a", "bool"), f("b", "list", children=[f("item", "binary")])])
check("decoder: apache-arrow (JS) vector", A.decode_schema(JS) == want_js)

raw1 = base64.b64decode(V1)
raises("decoder: URL-safe base64", V1.replace("/", "_"), "URL-safe")
raises("decoder: missing padding", V1.rstrip("="), "padding")
raises("decoder: whitespace", V1[:20] + "\n" + V1[20:], "whitespace")
raises("decoder: empty", "", "empty")
raises("decoder: no continuation marker", base64.b64encode(raw1[4:]).decode(), "continuation")
raises("decoder: truncated", base64.b64encode(raw1[:64]).decode(), "exceeds")
raises("decoder: trailing bytes", base64.b64encode(raw1 + b"\0" * 8).decode(), "unexpected bytes")
raises("decoder: length not multiple of 8",
       base64.b64encode(raw1[:4] + struct.pack("<i", 0x74) + raw1[8:8 + 0x74]).decode(), "multiple of 8")
bad_root = bytearray(raw1); struct.pack_into("<I", bad_root, 8, 0x7000)
raises("decoder: root offset out of bounds", base64.b64encode(bytes(bad_root)).decode(), "outside")
bad_align = bytearray(raw1); struct.pack_into("<I", bad_align, 8, 0x11)
raises("decoder: misaligned table", base64.b64encode(bytes(bad_align)).decode(), "aligned")
raises("decoder: version V4", A.encode_schema([f("a", "int64")], version=3), "expected 4")
raises("decoder: RecordBatch header", A.encode_schema([f("a", "int64")], header_type=3), "expected Schema")
raises("decoder: Field without children", A.encode_schema([f("a", "int64", _omit_children=1)]), "children vector")
raises("decoder: Field without type table", A.encode_schema([f("a", "int64", _omit_type=1)]), "type table")
x = A.encode_schema([f("a", "utf8", _type_code=2)])  # Int with no bitWidth
raises("decoder: Int without bitWidth", x, "bitWidth 0")
raises("decoder: list without child", A.encode_schema([f("a", "list")]), "needs 1 child")
raises("decoder: utf8 with a child", A.encode_schema([f("a", "utf8", children=[f("x", "bool")])]), "needs 0 child")
raises("decoder: unsupported Map", A.encode_schema([f("a", "struct", _type_code=17)]), "unsupported Arrow type Map")
raises("decoder: decimal precision 40", A.encode_schema([f("a", "decimal128", precision=40, scale=0)]), "precision 40")
raises("decoder: time64 in seconds", A.encode_schema([f("a", "time64", unit="SECOND")]), "does not fit")

# Every truncation and many random corruptions: ValueError or a result, never a crash.
rng = random.Random(7)
crashes = []
for data in [raw1[:n] for n in range(len(raw1))] + [None] * 3000:
    if data is None:
        b = bytearray(base64.b64decode(V2 if rng.random() < 0.5 else enc))
        for _ in range(rng.randint(1, 4)):
            b[rng.randrange(8, len(b))] = rng.randrange(256)
        data = bytes(b)
    try:
        A.decode_bytes(data)
    except ValueError:
        pass
    except Exception as e:
        crashes.append(repr(e))
check("decoder: truncations and 3000 corruptions raise only ValueError", not crashes,
      "; ".join(crashes[:3]))
PYEOF
verdicts "$TMP/decoder.out" "decoder script"

# ---------------------------------------------------------------- server
python3 "$TEST_DIR/lance_server.py" --port 0 --api-key "$KEY" --token "$TOKEN" \
	--database "$DB" >"$TMP/server.out" 2>"$TMP/server.err" &
SERVER_PID=$!
for _ in $(seq 50); do
	grep -q '^ready ' "$TMP/server.out" 2>/dev/null && break
	sleep 0.1
done
PORT=$(sed -n 's/^ready \([0-9]*\)$/\1/p' "$TMP/server.out")
if [ -z "$PORT" ]; then
	not_ok "server starts" "$(cat "$TMP/server.err")"
	echo "$PASS passed, $FAIL failed"
	exit 1
fi
ok "server starts and prints ready <port>"
export DUNE_MV_LANCE_PORT=$PORT
CTL="python3 $TEST_DIR/ctl.py"
BASE="http://127.0.0.1:$PORT"

# req METHOD PATH [BODY [curl args...]]: sets STATUS, writes the body to $TMP/body
# and the headers to $TMP/headers.  Sends good credentials and headers; set
# H_KEY, H_DB, H_ACCEPT, H_UA, H_CT, H_AUTH for one call to change one ("-" omits it).
req() {
	local method=$1 path=$2 body=${3-} args h
	shift 2
	[ $# -gt 0 ] && shift
	args=(-s -o "$TMP/body" -D "$TMP/headers" -w '%{http_code}' --path-as-is -X "$method"
		-A "${H_UA-dune_mv/1.0 (selftest)}")
	for h in "x-api-key: ${H_KEY-$KEY}" "x-lancedb-database: ${H_DB-$DB}" \
		"Accept: ${H_ACCEPT-application/json}" "Authorization: ${H_AUTH--}"; do
		if [ "${h#*: }" = - ]; then args+=(-H "${h%%:*}:"); else args+=(-H "$h"); fi
	done
	if [ -n "$body" ]; then
		h="Content-Type: ${H_CT-application/json}"
		if [ "${h#*: }" = - ]; then args+=(-H "Content-Type:"); else args+=(-H "$h"); fi
		args+=(--data-binary "$body")
	fi
	STATUS=$(curl "${args[@]}" "$@" "$BASE$path")
}

# jcheck NAME PYTHON-EXPR: queue a check of the last answer, evaluated later by
# run_checks (one python3 for all of them): j is the JSON body (None when empty
# or not JSON), raw the text, status the HTTP status.
NCHECK=0
jcheck() {
	NCHECK=$((NCHECK + 1))
	cp "$TMP/body" "$TMP/c$NCHECK.body"
	printf '%s' "$1" >"$TMP/c$NCHECK.name"
	printf '%s' "$2" >"$TMP/c$NCHECK.expr"
	printf '%s' "$STATUS" >"$TMP/c$NCHECK.status"
}

run_checks() {
	python3 - "$TMP" "$NCHECK" >"$TMP/checks.out" <<'PYEOF'
import json, sys
tmp, n = sys.argv[1], int(sys.argv[2])
for i in range(1, n + 1):
    def read(ext):
        return open("%s/c%d.%s" % (tmp, i, ext), encoding="utf-8", errors="replace").read()
    name, expr, raw, status = read("name"), read("expr"), read("body"), read("status")
    try:
        j = json.loads(raw) if raw else None
    except ValueError:
        j = None
    try:
        good = bool(eval("(" + expr + ")"))
        why = ""
    except Exception as e:
        good, why = False, "%s: " % e.__class__.__name__
    if good:
        print("PASS " + name)
    else:
        print("FAIL %s: %sstatus %s body %s" % (name, why, status, raw[:300].replace("\n", " ")))
PYEOF
	verdicts "$TMP/checks.out" "check runner"
}

# expect NAME STATUS [CODE [SUBSTRING]]: status, Lance error code, error text.
expect() {
	local name=$1 want=$2 code=${3-} needle=${4-}
	if [ "$STATUS" != "$want" ]; then
		not_ok "$name" "status $STATUS, expected $want: $(head -c 300 "$TMP/body")"
		return
	fi
	if [ -n "$code" ]; then
		jcheck "$name" "status == '$want' and j['code'] == $code and r\"\"\"$needle\"\"\" in j['error'] and j.get('instance', '/v1/').startswith('/v1/')"
	else
		ok "$name"
	fi
}

schema() { python3 -c "import sys; sys.path.insert(0, '$TEST_DIR'); import arrow_decode as A; print(A.encode_schema($1))"; }
S1='/////3gAAAAQAAAACgAMAAgACgAEAAAADAAAABAAAAAEAAEACAAIAAAABAAIAAAABAAAAAEAAAAUAAAAEAAUAAQAEAARAAgAAAAMABAAAAAQAAAAHAAAACQAAAABAgAAAgAAAGlkAAAIAAwABAAIAAgAAABAAAAAAQAAAAAAAAA='
S2='/////7gAAAAQAAAACgAMAAgACgAEAAAADAAAABAAAAAEAAEACAAIAAAABAAIAAAABAAAAAIAAAAYAAAAWAAAABAAFAAEABAAEQAIAAAADAAQAAAAEAAAABwAAAAkAAAAAQIAAAIAAABpZAAACAAMAAQACAAIAAAAQAAAAAEAAAAAAAAAEAAUAAQAEAARAAgAAAAMABAAAAAQAAAAHAAAABwAAAABBQAABAAAAHRleHQAAAQABAAAAAYAAAAAAAAA'
SDUP=$(schema '[{"name": "a", "nullable": True, "type": "int64", "children": []}] * 2')
SNOKIDS=$(schema '[{"name": "a", "nullable": True, "type": "int64", "children": [], "_omit_children": 1}]')
SEMB=$(schema '[{"name": "id", "nullable": False, "type": "int64", "children": []}, {"name": "emb", "nullable": True, "type": "fixed_size_list", "list_size": 4, "children": [{"name": "item", "nullable": True, "type": "float32", "children": []}]}, {"name": "ts", "nullable": True, "type": "timestamp", "unit": "MICROSECOND", "timezone": "UTC", "children": []}, {"name": "n", "nullable": True, "type": "decimal128", "precision": 12, "scale": 3, "children": []}]')
Q="{\"kind\": \"query\", \"source_query\": \"{\\\"table\\\": \\\"src\\\"}\", \"output_schema\": \"$S1\""
UDTF=$(printf '{"udtf": "demo"}' | base64 -w0)
SHA=$(printf '%s' "$UDTF" | sha256sum | cut -d' ' -f1)
SPEC="{\"kind\": \"udtf\", \"udtf\": \"$UDTF\", \"udtf_sha\": \"$SHA\", \"udtf_name\": \"demo\", \"udtf_version\": \"1.0\"}"
CSPEC="{\"kind\": \"chunker\", \"udtf\": \"$UDTF\", \"udtf_sha\": \"$SHA\", \"udtf_name\": \"demo\", \"udtf_version\": \"1.0\", \"batch\": true}"

$CTL -q lance reset

# ---- auth and headers
H_KEY=- req GET '/v1/namespace/$/table/list'
expect "auth: no credentials -> 401 code 16" 401 16 "missing credentials"
H_KEY=wrong req GET '/v1/namespace/$/table/list'
expect "auth: wrong api key -> 401 code 16" 401 16 "invalid credentials"
H_KEY=- H_AUTH="Bearer $TOKEN" req GET '/v1/namespace/$/table/list'
expect "auth: bearer token accepted" 200
H_KEY=- H_AUTH="Bearer $KEY" req GET '/v1/namespace/$/table/list'
expect "auth: api key as bearer token -> 401" 401 16
H_DB=- req GET '/v1/namespace/$/table/list'
expect "auth: missing database header -> 401 code 16" 401 16 "x-lancedb-database"
H_DB=other req GET '/v1/namespace/$/table/list'
expect "auth: wrong database -> 403 code 15" 403 15
$CTL lance requests n=3 headers=1 >"$TMP/recs"
if python3 - "$TMP/recs" <<'PYEOF'; then ok "record: auth and database_ok facts"; else not_ok "record: auth and database_ok facts" "$(cat "$TMP/recs")"; fi
import json, sys
r = [json.loads(l) for l in open(sys.argv[1])]
h = [x["headers"] for x in r]
sys.exit(0 if [x["auth"] for x in h] == ["bearer", "api_key", "api_key"]
         and [x["database_ok"] for x in h] == [True, False, False] and r[0]["status"] == 401 else 1)
PYEOF
req POST '/v1/table/a$b/describe' "{\"identity\": {\"api_key\": \"$KEY\"}}"
expect "auth: identity.api_key in the body -> 400 code 13" 400 13 "identity.api_key"
jcheck "auth: error body does not echo the key" "'SECRET' not in raw"
req POST '/v1/table/a$b/describe' '{"context": {"header.Authorization": "Bearer x"}}'
expect "auth: context header.Authorization -> 400" 400 13 "context.header.Authorization"
H_UA=curl/8 req GET '/v1/namespace/$/table/list'
expect "headers: User-Agent not dune_mv/ -> 400" 400 13 "User-Agent"
H_ACCEPT=- req GET '/v1/namespace/$/table/list'
expect "headers: no Accept -> 406 code 0" 406 0 "Accept"
H_CT=text/plain req POST '/v1/table/a$b/describe' '{}'
expect "headers: text/plain body -> 400" 400 13 "Content-Type"
H_CT='application/json; charset=utf-8' req POST '/v1/table/a$b/describe' '{}'
expect "headers: json with charset accepted (404: no such table)" 404 1
req GET '/v1/nothing/here'
expect "route: unknown -> 404 code 0" 404 0 "no such operation"
req POST '/v1/namespace/$/table/list' '{}'
expect "route: POST on list -> 405" 405 0

# ---- create, ids and delimiters
req POST '/v1/materialized_view/ns1$v1/create' "$Q}"
expect "create: query view -> 201" 201
jcheck "create: answer {version: 1} without job_id" "j == {'version': 1}"
req POST '/v1/materialized_view/ns1$v1/create' "$Q}"
expect "create: existing -> 409 code 5" 409 5 "already exists"
req POST '/v1/materialized_view/my%20ns$%C3%BC%2Fx%24/create?delimiter=%24' "$Q, \"id\": [\"my ns\", \"\u00fc/x\$\"]}"
expect "id: percent-encoded name containing the delimiter -> 400" 400 13 "contains the delimiter"
req POST '/v1/materialized_view/my%20ns$%C3%BC%2Fx/create' "$Q, \"id\": [\"my ns\", \"\u00fc/x\"]}"
expect "id: percent-encoded names, body id equal -> 201" 201
req POST '/v1/table/my%20ns$%c3%bc%2fx/describe' '{}'
jcheck "id: lower-case escapes decode the same" "j['table'] == '\u00fc/x' and j['namespace'] == ['my ns']"
req POST '/v1/materialized_view/ns1$v9/create' "$Q, \"id\": [\"ns1\", \"v8\"]}"
expect "id: body id differs from the path -> 400" 400 13 "does not match"
req POST '/v1/table/a!b$c/describe' '{}'
expect "id: raw reserved character -> 400" 400 13 "must be percent-encoded"
req POST '/v1/table/ns1$$v1/describe' '{}'
expect "id: empty name -> 400" 400 13 "empty name"
req POST '/v1/table/$v1/describe' '{}'
expect "id: leading delimiter -> 400" 400 13 "empty name"
req POST '/v1/table/ns1$../describe' '{}'
expect "id: '..' -> 400" 400 13 "'..'"
req POST '/v1/table/ns1$%zz/describe' '{}'
expect "id: bad escape -> 400" 400 13 "percent-escape"
req POST '/v1/table/ns1$%C3/describe' '{}'
expect "id: escape that is not UTF-8 -> 400" 400 13 "UTF-8"
req POST '/v1/table/$/describe' '{}'
expect "id: root is not a table -> 400" 400 13 "root"
req POST '/v1/materialized_view/ns2.v2/create?delimiter=.' "$Q}"
expect "delimiter: '.' -> 201" 201
req POST '/v1/table/ns2$v2/exists' '{}'
expect "delimiter: same view with \$ -> 200" 200
req POST '/v1/table/ns2.v2/exists' '{}'
expect "delimiter: '.' id without ?delimiter -> 404 (root has no ns2.v2)" 404 4
req POST '/v1/table/ns2$v2/exists?delimiter=' '{}'
expect "delimiter: empty -> 400" 400 13 "delimiter"
req POST '/v1/table/ns2$v2/exists?delimiter=%24' '{}'
expect "delimiter: explicit %24 accepted" 200
req POST '/v1/table/ns2$v2/exists?foo=1' '{}'
expect "query: unknown parameter -> 400" 400 13 "'foo'"
req POST '/v1/table/ns2$v2/exists?delimiter=$&delimiter=$' '{}'
expect "query: repeated parameter -> 400" 400 13 "repeated"

# ---- create body validation
req POST '/v1/materialized_view/ns1$c1/create' '{"source_query": "q", "output_schema": "'"$S1"'"}'
expect "create: missing kind -> 400" 400 13 "'kind'"
req POST '/v1/materialized_view/ns1$c1/create' '{"kind": "view", "source_query": "q", "output_schema": "'"$S1"'"}'
expect "create: bad kind -> 400" 400 13 "'kind'"
req POST '/v1/materialized_view/ns1$c1/create' "$Q, \"name\": \"x\"}"
expect "create: unknown field -> 400 naming it" 400 13 "'name'"
req POST '/v1/materialized_view/ns1$c1/create' "$Q, \"with_no_data\": \"false\"}"
expect "create: with_no_data as a string -> 400" 400 13 "'with_no_data'"
req POST '/v1/materialized_view/ns1$c1/create' "$Q, \"with_no_data\": null}"
expect "create: with_no_data null -> 400" 400 13 "'with_no_data'"
req POST '/v1/materialized_view/ns1$c1/create' "$Q, \"auto_refresh\": 1}"
expect "create: auto_refresh 1 -> 400" 400 13 "'auto_refresh'"
req POST '/v1/materialized_view/ns1$c1/create' "$Q, \"kind\": \"query\"}"
expect "create: duplicate JSON key -> 400" 400 13 "duplicate key"
req POST '/v1/materialized_view/ns1$c1/create' '[1]'
expect "create: array body -> 400" 400 13 "JSON object"
req POST '/v1/materialized_view/ns1$c1/create' '{"kind": '
expect "create: truncated JSON -> 400" 400 13 "not valid JSON"
req POST '/v1/materialized_view/ns1$c1/create' ''
expect "create: no body -> 400" 400 13 "body is required"
req POST '/v1/materialized_view/ns1$c1/create' '{"kind": "query", "source_query": "q", "output_schema": "not base64!"}'
expect "create: output_schema not base64 -> 400" 400 13 "output_schema"
req POST '/v1/materialized_view/ns1$c1/create' '{"kind": "query", "source_query": "q", "output_schema": "'"${S1%=}"'"}'
expect "create: output_schema without padding -> 400" 400 13 "padding"
req POST '/v1/materialized_view/ns1$c1/create' '{"kind": "query", "source_query": "q", "output_schema": "'"$SNOKIDS"'"}'
expect "create: Field without children -> 400" 400 13 "children"
req POST '/v1/materialized_view/ns1$c1/create' '{"kind": "query", "source_query": "q", "output_schema": "'"$SDUP"'"}'
expect "create: duplicate column names -> 400" 400 13 "duplicate field name"
req POST '/v1/materialized_view/ns1$c1/create' '{"kind": "query", "source_query": "", "output_schema": "'"$S1"'"}'
expect "create: empty source_query -> 400" 400 13 "source_query"
req POST '/v1/materialized_view/ns1$c1/create' "$Q, \"udtf_spec\": $SPEC}"
expect "create: query with udtf_spec -> 400" 400 13 "udtf_spec"
req POST '/v1/materialized_view/ns1$c1/create' "$Q, \"udtf_spec\": null, \"auto_refresh\": null}"
expect "create: query with udtf_spec null, auto_refresh null -> 201" 201
req POST '/v1/materialized_view/ns1$u1/create' '{"kind": "udtf", "source_query": "q", "output_schema": "'"$S2"'"}'
expect "create: udtf without udtf_spec -> 400" 400 13 "udtf_spec"
req POST '/v1/materialized_view/ns1$u1/create' '{"kind": "chunker", "source_query": "q", "output_schema": "'"$S2"'", "udtf_spec": '"$SPEC"'}'
expect "create: udtf_spec.kind differs -> 400" 400 13 "udtf_spec.kind"
req POST '/v1/materialized_view/ns1$u1/create' '{"kind": "udtf", "source_query": "q", "output_schema": "'"$S2"'", "udtf_spec": '"${SPEC/$SHA/${SHA^^}}"'}'
expect "create: upper-case udtf_sha -> 400" 400 13 "udtf_sha"
req POST '/v1/materialized_view/ns1$u1/create' '{"kind": "udtf", "source_query": "q", "output_schema": "'"$S2"'", "udtf_spec": '"${SPEC/$SHA/$(printf '%064d' 0)}"'}'
expect "create: wrong udtf_sha -> 400" 400 13 "does not match"
req POST '/v1/materialized_view/ns1$u1/create' '{"kind": "udtf", "source_query": "q", "output_schema": "'"$S2"'", "udtf_spec": '"${SPEC%\}}"', "gpu": 1}}'
expect "create: unknown udtf_spec field -> 400 naming it" 400 13 "udtf_spec.gpu"
req POST '/v1/materialized_view/ns1$u1/create' '{"kind": "udtf", "source_query": "q", "output_schema": "'"$S2"'", "udtf_spec": '"${SPEC%\}}"', "batch": true}}'
expect "create: batch on a udtf -> 400" 400 13 "udtf_spec.batch"
req POST '/v1/materialized_view/ns1$u1/create' '{"kind": "udtf", "source_query": "q", "output_schema": "'"$S2"'", "udtf_spec": '"${SPEC%\}}"', "manifest": "{}", "manifest_checksum": "'"$(printf '{}' | sha256sum | cut -d' ' -f1)"'", "num_cpus": 0.5, "memory": 1024, "input_columns": ["text"], "partition_by": "id"}}'
expect "create: udtf view with optional fields -> 201" 201
req POST '/v1/materialized_view/ns1$k1/create' '{"kind": "chunker", "source_query": "q", "output_schema": "'"$SEMB"'", "udtf_spec": '"${CSPEC%\}}"', "partition_by": "id"}}'
expect "create: partition_by on a chunker -> 400" 400 13 "udtf_spec.partition_by"
req POST '/v1/materialized_view/ns1$k1/create' '{"kind": "chunker", "source_query": "q", "output_schema": "'"$SEMB"'", "udtf_spec": '"$CSPEC"', "with_no_data": false}'
expect "create: chunker with_no_data false -> 201" 201
jcheck "create: with_no_data false answers a job_id" "j == {'version': 1, 'job_id': 'job-000001'}"
$CTL lance last >"$TMP/last"
if python3 -c 'import json,sys; r=json.loads(open(sys.argv[1]).read()); sys.exit(0 if sorted(r)==["body","method","path","query","status"] and r["path"]=="/v1/materialized_view/ns1$k1/create" and r["status"]==201 and r["body"]["kind"]=="chunker" else 1)' "$TMP/last"; then
	ok "ctl last: method, path, query, body, status"
else
	not_ok "ctl last" "$(cat "$TMP/last")"
fi
$CTL -q lance set create_status=200 null_job_id=1
req POST '/v1/materialized_view/ns1$c2/create' "$Q}"
expect "create: create_status=200 setting" 200
jcheck "create: null_job_id=1 setting" "j == {'version': 1, 'job_id': None}"
$CTL -q lance set create_status=201 null_job_id=0

# ---- refresh and jobs
req POST '/v1/materialized_view/ns1$v1/refresh' '{}'
expect "refresh: {} -> 202" 202
jcheck "refresh: answers {job_id}" "j == {'job_id': 'job-000002'}"
req POST '/v1/materialized_view/ns1$v1/refresh' ''
expect "refresh: no body -> 202" 202
req POST '/v1/materialized_view/ns1$nope/refresh' '{}'
expect "refresh: unknown view -> 404 code 4" 404 4 "not found"
req POST '/v1/materialized_view/nsx$v1/refresh' '{}'
expect "refresh: unknown namespace -> 404 code 1" 404 1 "namespace"
req POST '/v1/materialized_view/ns1$v1/refresh' '{"output_limit": 10}'
expect "refresh: output_limit on a query view -> 400" 400 13 "output_limit"
req POST '/v1/materialized_view/ns1$k1/refresh' '{"output_limit": 10, "src_version": 0, "max_rows_per_fragment": 1000, "concurrency": 2, "intra_applier_concurrency": 1, "source_task_size": 64, "cluster": "gpu", "manifest": "{\"a\": 1}"}'
expect "refresh: chunker with every field -> 202" 202
req POST '/v1/materialized_view/ns1$v1/refresh' '{"concurrency": "4"}'
expect "refresh: concurrency as a string -> 400" 400 13 "'concurrency'"
req POST '/v1/materialized_view/ns1$v1/refresh' '{"concurrency": 4.0}'
expect "refresh: concurrency 4.0 -> 400" 400 13 "'concurrency'"
req POST '/v1/materialized_view/ns1$v1/refresh' '{"concurrency": 0}'
expect "refresh: concurrency 0 -> 400" 400 13 "'concurrency'"
req POST '/v1/materialized_view/ns1$v1/refresh' '{"manifest": {"a": 1}}'
expect "refresh: manifest object -> 400 (spec: string)" 400 13 "'manifest'"
req POST '/v1/materialized_view/ns1$v1/refresh' '{"full": true}'
expect "refresh: unknown field -> 400" 400 13 "'full'"
req POST '/v1/jobs/describe' '{"job_id": "job-000002"}'
expect "jobs: describe -> 200" 200
jcheck "jobs: DONE by default" "j['job_id'] == 'job-000002' and j['job_state'] == 'DONE' and j['job_type'] == 'materialized_view_refresh' and isinstance(j['creation_ms'], int) and 'failure' not in j"
req POST '/v1/jobs/describe' '{"job_id": "job-999999"}'
expect "jobs: unknown -> 404" 404 4 "job"
req POST '/v1/jobs/describe' '{}'
expect "jobs: missing job_id -> 400" 400 13 "job_id"
req POST '/v1/jobs/describe' '{"job_id": "job-000002", "x": 1}'
expect "jobs: unknown field -> 400" 400 13 "'x'"
req POST '/v1/table/ns1$v1/describe' '{}'
jcheck "describe: version counts DONE jobs (1 + 2)" "j['version'] == 3"
$CTL -q lance set pending_ms=700 executing_ms=300 final_state=FAILED failure_retryable=1
req POST '/v1/materialized_view/ns1$v1/refresh' '{}'
JOB=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["job_id"])' "$TMP/body")
req POST '/v1/jobs/describe' "{\"job_id\": \"$JOB\"}"
jcheck "jobs: IN_PROGRESS while pending_ms + executing_ms run" "j['job_state'] == 'IN_PROGRESS'"
sleep 1.1
req POST '/v1/jobs/describe' "{\"job_id\": \"$JOB\"}"
jcheck "jobs: then final_state FAILED with failure" "j['job_state'] == 'FAILED' and j['failure'] == {'phase': 'refresh', 'message': 'stand-in job failure', 'retryable': True}"
$CTL -q lance set job="$JOB" state=SUSPENDED
req POST '/v1/jobs/describe' "{\"job_id\": \"$JOB\"}"
jcheck "jobs: set job=ID state=S forces any state" "j['job_state'] == 'SUSPENDED' and 'failure' not in j"
$CTL -q lance set job="$JOB" state=DONE
req POST '/v1/table/ns1$v1/describe' '{}'
jcheck "describe: forced DONE bumps the version" "j['version'] == 4"
if $CTL -q lance set job=job-777777 state=DONE 2>/dev/null; then not_ok "ctl: set job on unknown job fails"; else ok "ctl: set job on unknown job fails"; fi
$CTL -q lance set pending_ms=0 executing_ms=0 final_state=DONE failure_retryable=0

# ---- describe, exists, drop
req POST '/v1/table/ns1$k1/describe' '{}'
expect "describe: chunker view -> 200" 200
jcheck "describe: schema fields, properties, namespace" "
[f['name'] for f in j['schema']['fields']] == ['id', 'emb', 'ts', 'n']
and j['schema']['fields'][1]['type'] == {'type': 'fixed_size_list', 'length': 4, 'fields': [{'name': 'item', 'nullable': True, 'type': {'type': 'float32'}}]}
and j['schema']['fields'][2]['type'] == {'type': 'timestamp[us, tz=UTC]'}
and j['schema']['fields'][3]['type'] == {'type': 'decimal128(12, 3)'}
and j['schema']['fields'][0]['nullable'] is False
and j['properties']['materialized_view.kind'] == 'chunker'
and j['properties']['materialized_view.udtf_name'] == 'demo'
and j['properties']['materialized_view.source_query'] == 'q'
and j['namespace'] == ['ns1'] and j['table'] == 'k1'
and j['location'] == 'memory://$DB/ns1/k1.lance' and 'table_uri' not in j
and all(isinstance(v, str) for v in j['properties'].values())"
req POST '/v1/table/ns1$k1/describe?load_detailed_metadata=false&with_table_uri=true&check_declared=true' '{}'
jcheck "describe: query flags" "sorted(j) == ['is_only_declared', 'location', 'properties', 'table_uri']"
req POST '/v1/table/ns1$k1/describe?with_table_uri=yes' '{}'
expect "describe: bad boolean -> 400" 400 13 "with_table_uri"
req POST '/v1/table/ns1$k1/describe' ''
expect "describe: no body -> 400" 400 13 "body"
req POST '/v1/table/ns1$k1/describe' '{"version": 99}'
expect "describe: future version -> 404 code 11" 404 11 "version"
req POST '/v1/table/ns1$k1/describe' '{"id": ["ns1", "k1"], "load_detailed_metadata": true, "vend_credentials": false}'
expect "describe: body flags and matching id" 200
req POST '/v1/table/ns1$k1/exists' '{}'
expect "exists: 200" 200
jcheck "exists: empty body (spec: no content)" "raw == ''"
$CTL -q lance set exists_body='{}'
req POST '/v1/table/ns1$k1/exists' '{}'
jcheck "exists: exists_body setting" "j == {}"
req POST '/v1/table/ns1$k1/drop' ''
expect "drop: no body -> 200" 200
jcheck "drop: DropTableResponse" "j['id'] == ['ns1', 'k1'] and j['location'].endswith('/ns1/k1.lance') and j['properties']['materialized_view'] == 'true'"
req POST '/v1/table/ns1$k1/exists' '{}'
expect "exists: after drop -> 404 code 4" 404 4
req POST '/v1/table/ns1$k1/drop' '{}'
expect "drop: again -> 404 code 4" 404 4
req POST '/v1/jobs/describe' '{"job_id": "job-000001"}'
jcheck "jobs: a dropped view's job stays describable" "j['job_state'] == 'DONE'"

# ---- list and paging
$CTL -q lance reset
for n in e c a d b; do
	req POST "/v1/materialized_view/pg\$$n/create" "$Q}"
done
req POST '/v1/materialized_view/top/create' "$Q}"
req POST '/v1/materialized_view/pg$sub$deep/create' "$Q}"
$CTL -q lance set page_size=2
TOKEN_ARG=
PAGES=
for _ in 1 2 3 4; do
	req GET "/v1/namespace/pg/table/list$TOKEN_ARG"
	PAGES="$PAGES$(python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(",".join(j["tables"]) + ("+" if j.get("page_token") else "."), end=" ")' "$TMP/body")"
	T=$(python3 -c 'import json,sys,urllib.parse; j=json.load(open(sys.argv[1])); print(urllib.parse.quote(j.get("page_token") or "", safe=""))' "$TMP/body")
	[ -z "$T" ] && break
	TOKEN_ARG="?page_token=$T"
done
if [ "$PAGES" = "a,b+ c,d+ e. " ]; then ok "list: pages of page_size in name order, token until the end"; else not_ok "list: paging" "$PAGES"; fi
req GET '/v1/namespace/pg/table/list?limit=1'
jcheck "list: limit below page_size" "j['tables'] == ['a'] and j['page_token']"
req GET '/v1/namespace/pg/table/list?limit=10&include_declared=true'
jcheck "list: page_size caps limit" "j['tables'] == ['a', 'b'] and j['page_token']"
$CTL -q lance set page_size=100
req GET '/v1/namespace/pg/table/list?page_token='
jcheck "list: empty page_token starts over; direct children only" "j == {'tables': ['a', 'b', 'c', 'd', 'e']}"
req GET '/v1/namespace/$/table/list'
jcheck "list: root namespace" "j == {'tables': ['top']}"
req GET '/v1/namespace/pg$sub/table/list'
jcheck "list: nested namespace" "j == {'tables': ['deep']}"
req GET '/v1/namespace/pg/table/list?limit=0'
expect "list: limit=0 -> 400" 400 13 "limit"
req GET '/v1/namespace/pg/table/list?page_token=garbage'
expect "list: foreign page_token -> 400" 400 13 "page_token"
req GET '/v1/namespace/nope/table/list'
expect "list: unknown namespace -> 404 code 1" 404 1 "namespace"
req GET '/v1/namespace/pg/table/list' '{}'
expect "list: GET with a body -> 400" 400 13 "GET"

# ---- faults (shared base)
$CTL -q lance fault status=503 retry_after=2 match=/table/list
req GET '/v1/namespace/pg/table/list'
expect "fault: 503 with the Lance body" 503 17 "Service Unavailable"
if grep -qi '^Retry-After: 2' "$TMP/headers"; then ok "fault: Retry-After header"; else not_ok "fault: Retry-After header"; fi
$CTL -q lance fault status=429 content_type=application/problem+json body='{"type": "/errors/throttled", "title": "Slow down", "status": 429, "detail": "x"}'
req POST '/v1/table/pg$a/exists' '{}'
if [ "$STATUS" = 429 ] && grep -qi '^Content-Type: application/problem+json' "$TMP/headers"; then ok "fault: RFC 7807 body"; else not_ok "fault: RFC 7807 body" "$STATUS"; fi
$CTL -q lance fault status=500 content_type=text/plain body='upstream exploded'
req POST '/v1/table/pg$a/exists' '{}'
jcheck "fault: text/plain body" "raw == 'upstream exploded'"
$CTL -q lance fault reset=1
req POST '/v1/table/pg$a/exists' '{}'
if [ "$STATUS" = 000 ]; then ok "fault: reset=1 drops the connection"; else not_ok "fault: reset=1" "$STATUS"; fi
$CTL lance last >"$TMP/last"
jcheck_last() { python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); sys.exit(0 if r["status"]=="reset" else 1)' "$TMP/last"; }
if jcheck_last; then ok "fault: recorded as status reset"; else not_ok "fault: recorded status" "$(cat "$TMP/last")"; fi
req POST '/v1/table/pg$a/exists' '{}'
expect "fault: queue drained, normal service" 200

# ---- recording never holds credentials
$CTL lance requests headers=1 >"$TMP/all"
if grep -q 'SECRET' "$TMP/all"; then not_ok "record: no credential value recorded"; else ok "record: no credential value recorded"; fi
$CTL lance stats >"$TMP/stats"
if python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); sys.exit(0 if s["requests"] >= 20 and s["connections"] >= 1 else 1)' "$TMP/stats"; then ok "stats: requests and connections"; else not_ok "stats" "$(cat "$TMP/stats")"; fi

run_checks
if [ -s "$TMP/server.err" ]; then not_ok "server stderr is empty" "$(head -c 500 "$TMP/server.err")"; else ok "server stderr is empty"; fi
echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
