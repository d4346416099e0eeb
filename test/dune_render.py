"""Result columns of the Dune stand-in (test/dune_server.py): Trino type names, and
how a value of each type is written in a JSON results page and in a CSV one."""

import decimal
import json
import math
import re

# ---- results: types, values and their rendering ----------------------------------
#
# Rendering, as Dune's JSON results show it (its API is written in Go; where the
# spec and the notes say nothing, the choice is Go's encoding/json and is marked
# ASSUMED):
#   row objects      keys in byte order (Go writes a map so; Dune's own example of
#                    /results lists "24 Hours Volume", "7 Days Volume", "Rank", ...
#                    while metadata.column_names keeps the query's order); compact
#   varchar          JSON string, UTF-8 as is; control characters, '"' and '\' escaped,
#                    and <, >, &, U+2028, U+2029 as \u escapes (Go's default)
#   bigint, integer  JSON number, exact
#   double           JSON number, Go's shortest form: 3 not 3.0, -0 for negative zero,
#                    1e+21 and 1.5e-7 for large and small ones; NaN and +-Infinity
#                    as the strings "NaN", "Infinity", "-Infinity" (ASSUMED, as
#                    Trino's client protocol; Go's encoder cannot write them)
#   boolean          true / false
#   date             "2024-02-29"
#   timestamp(3)     "2024-02-29 13:45:01.123"
#   timestamp(3) with time zone   "2024-02-29 13:45:01.123 UTC"
#   decimal(p,s), uint256, int256 JSON number literal with every digit and the full
#                    scale (12.500000000000000000); with bignum=string a JSON string
#                    instead (ASSUMED: the spec does not say; both are plausible, the
#                    literal is the harder one for a parser that reads doubles)
#   varbinary        "0x" + lower-case hex ("0x" when empty)
#   array(T)         JSON array; map(K,V) JSON object; row(...) JSON object keyed by
#                    field name (ASSUMED), keys in byte order
#   json             JSON string holding the JSON text (ASSUMED, as Trino)
#   other types      JSON string of the value's text (the dataset's "ipaddress")
#   NULL             null (the key is present)
# CSV (RFC 4180 fields, Go's encoding/csv writer: "\n" line ends, a field is quoted
# when it holds , " CR or LF, starts with a space, or is \. ; NULL and '' are both
# an empty field): scalars as their JSON text without quotes, arrays, maps and rows
# as their compact JSON text, json as its text (ASSUMED).

GO_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026",
              "\u2028": "\\u2028", "\u2029": "\\u2029"}
GO_ESCAPE_RE = re.compile("[<>&\u2028\u2029]")
DOUBLE_SPECIALS = {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}


def go_string(text):
    """A JSON string as Go's encoding/json writes it."""
    out = json.dumps(text, ensure_ascii=False)
    if GO_ESCAPE_RE.search(out):
        out = GO_ESCAPE_RE.sub(lambda m: GO_ESCAPES[m.group()], out)
    return out


def go_float(value):
    """A finite double as Go's encoding/json writes it (shortest round trip)."""
    if value == 0:
        return "-0" if math.copysign(1.0, value) < 0 else "0"
    dec = decimal.Decimal(repr(value)).normalize()
    if 1e-6 <= abs(value) < 1e21:
        return format(dec, "f")
    sign, digits, exp = dec.as_tuple()
    power = exp + len(digits) - 1
    mantissa = str(digits[0]) + ("." + "".join(map(str, digits[1:])) if len(digits) > 1 else "")
    # Go writes at least two exponent digits, then cleans "e-07" up to "e-7".
    exp_text = "%d" % -power if -10 < power < 0 else "%02d" % abs(power)
    return "%s%se%s%s" % ("-" if sign else "", mantissa, "-" if power < 0 else "+", exp_text)


def double_text(value):
    """The text of a double: Go's form, or NaN / Infinity / -Infinity."""
    if math.isfinite(value):
        return go_float(value)
    return DOUBLE_SPECIALS[repr(value)]


def split_top(text):
    """Split a type's parameter list at top-level commas."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(text[start:i].strip())
            start = i + 1
    parts.append(text[start:].strip())
    return parts


def parse_type(text):
    """A Trino type name as a tuple: ("array", T), ("map", K, V),
    ("row", [(name, T), ...]) or ("scalar", kind, text)."""
    if text.startswith("array(") and text.endswith(")"):
        return ("array", parse_type(text[6:-1]))
    if text.startswith("map(") and text.endswith(")"):
        key, value = split_top(text[4:-1])
        return ("map", parse_type(key), parse_type(value))
    if text.startswith("row(") and text.endswith(")"):
        fields = []
        for part in split_top(text[4:-1]):
            name, _, ftype = part.partition(" ")
            fields.append((name, parse_type(ftype)))
        return ("row", fields)
    base = text.split("(")[0]
    kind = {"varchar": "text", "date": "text", "timestamp": "text", "bigint": "int",
            "integer": "int", "smallint": "int", "tinyint": "int", "uint256": "bigint",
            "int256": "bigint", "decimal": "decimal", "double": "double", "real": "double",
            "boolean": "bool", "varbinary": "binary", "json": "json"}.get(base, "other")
    return ("scalar", kind, text)


def json_encoder(spec, bignum="number"):
    """A function rendering a value of type spec as JSON text."""
    if spec[0] == "array":
        elem = json_encoder(spec[1], bignum)
        return lambda v: "null" if v is None else "[" + ",".join(map(elem, v)) + "]"
    if spec[0] == "map":
        enc = json_encoder(spec[2], bignum)
        return lambda v: "null" if v is None else "{" + ",".join(
            go_string(k) + ":" + enc(v[k]) for k in sorted(v)) + "}"
    if spec[0] == "row":
        encs = {name: json_encoder(ftype, bignum) for name, ftype in spec[1]}
        return lambda v: "null" if v is None else "{" + ",".join(
            go_string(k) + ":" + encs[k](v[k]) for k in sorted(v)) + "}"
    kind = spec[1]
    if kind in ("text", "json"):
        enc = go_string
    elif kind == "int":
        enc = str
    elif kind == "bigint":
        enc = str if bignum == "number" else (lambda v: '"%d"' % v)
    elif kind == "decimal":
        enc = (lambda v: format(v, "f")) if bignum == "number" else \
            (lambda v: '"%s"' % format(v, "f"))
    elif kind == "double":
        enc = lambda v: go_float(v) if math.isfinite(v) else '"%s"' % double_text(v)
    elif kind == "bool":
        enc = lambda v: "true" if v else "false"
    elif kind == "binary":
        enc = lambda v: '"0x' + v.hex() + '"'
    else:
        enc = lambda v: go_string(str(v))
    return lambda v: "null" if v is None else enc(v)


def csv_quote(field):
    """A CSV field as Go's encoding/csv writes it."""
    if field == "":
        return field
    if field == "\\." or '"' in field or "," in field or "\n" in field or "\r" in field \
            or field[0].isspace():
        return '"' + field.replace('"', '""') + '"'
    return field


def text_encoder(spec):
    """A function rendering a non-NULL value of type spec as CSV text (unquoted)."""
    if spec[0] != "scalar":
        return json_encoder(spec)
    kind = spec[1]
    if kind == "decimal":
        return lambda v: format(v, "f")
    if kind == "double":
        return double_text
    if kind == "bool":
        return lambda v: "true" if v else "false"
    if kind == "binary":
        return lambda v: "0x" + v.hex()
    return str


class Column:
    """One result column: name, Trino type, JSON and CSV renderers."""

    def __init__(self, name, type_text, bignum="number"):
        self.name = name
        self.type = type_text
        self.spec = parse_type(type_text)
        self.key = go_string(name) + ":"
        self.json = json_encoder(self.spec, bignum)
        self.text = text_encoder(self.spec)

    def csv(self, value):
        """The value as one CSV field."""
        return "" if value is None else csv_quote(self.text(value))


def dec(text):
    """A decimal value (exact; the text carries the scale)."""
    return decimal.Decimal(text)
