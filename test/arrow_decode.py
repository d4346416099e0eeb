#!/usr/bin/env python3
"""Independent decoder for one Arrow IPC encapsulated Schema message.

Written from the Arrow format documents (Message.fbs, Schema.fbs) and the
FlatBuffers binary layout, without Arrow or flatbuffers libraries, so that it
can check what the extension's own encoder produces.

    decode_schema(b64: str) -> list[dict]      (the schema's fields)
    decode_message(b64: str) -> dict           (version, endianness, metadata, fields)

Both raise ValueError with a message naming the problem on anything malformed:
bad base64, bad framing, any FlatBuffers offset outside the buffer or
misaligned, a wrong message version or header type, a Field without a type
table or a children vector, a type with impossible parameters, the wrong
number of children, or a type that this decoder does not support.

A field is returned as
    {"name": str, "nullable": bool, "type": NAME, ...params..., "children": [fields]}
    (plus "metadata": {key: value} when the field has custom metadata)
where NAME and its params are:
    null | bool | utf8 | large_utf8 | binary | large_binary | list | large_list | struct
    int8 int16 int32 int64 uint8 uint16 uint32 uint64
    float16 float32 float64
    decimal128 / decimal256 / decimal32 / decimal64  precision, scale
    date32 (unit "DAY") / date64 (unit "MILLISECOND")
    time32 / time64                                   unit ("SECOND", "MILLISECOND", "MICROSECOND", "NANOSECOND")
    timestamp                                         unit, timezone (str or None)
    fixed_size_binary                                 byte_width
    fixed_size_list                                   list_size

Command line: `python3 arrow_decode.py BASE64` prints the decoded message as
JSON (exit 1 and the error on stderr when malformed).
"""

import base64
import json
import re
import struct
import sys

MAX_DEPTH = 64
MAX_FIELDS = 100000
MAX_TABLES = 100000

TIME_UNITS = {0: "SECOND", 1: "MILLISECOND", 2: "MICROSECOND", 3: "NANOSECOND"}
TYPE_NAMES = {
    0: "NONE", 1: "Null", 2: "Int", 3: "FloatingPoint", 4: "Binary", 5: "Utf8",
    6: "Bool", 7: "Decimal", 8: "Date", 9: "Time", 10: "Timestamp", 11: "Interval",
    12: "List", 13: "Struct_", 14: "Union", 15: "FixedSizeBinary", 16: "FixedSizeList",
    17: "Map", 18: "Duration", 19: "LargeBinary", 20: "LargeUtf8", 21: "LargeList",
    22: "RunEndEncoded", 23: "BinaryView", 24: "Utf8View", 25: "ListView",
    26: "LargeListView",
}
HEADER_NAMES = {0: "NONE", 1: "Schema", 2: "DictionaryBatch", 3: "RecordBatch",
                4: "Tensor", 5: "SparseTensor"}
B64_RE = re.compile(r"[A-Za-z0-9+/]*={0,2}")


class _Table:
    """One FlatBuffers table: its position and its vtable's field slots."""

    def __init__(self, buf, pos, what):
        self.buf = buf
        self.what = what
        buf.tables += 1
        if buf.tables > MAX_TABLES:
            raise ValueError("%s: more than %d tables (cyclic offsets?)" % (what, MAX_TABLES))
        buf.need(pos, 4, what, align=4)
        self.pos = pos
        soff = buf.i32(pos)
        vt = pos - soff
        buf.need(vt, 4, what + " vtable", align=2)
        vt_size = buf.u16(vt)
        self.inline_size = buf.u16(vt + 2)
        if vt_size < 4 or vt_size % 2:
            raise ValueError("%s: vtable size %d is invalid" % (what, vt_size))
        buf.need(vt, vt_size, what + " vtable")
        if self.inline_size < 4:
            raise ValueError("%s: table size %d is invalid" % (what, self.inline_size))
        buf.need(pos, self.inline_size, what)
        self.slots = [buf.u16(vt + 4 + 2 * i) for i in range((vt_size - 4) // 2)]

    def _field(self, index, size, name):
        """Absolute position of field `index` (None when absent), bounds-checked."""
        if index >= len(self.slots) or self.slots[index] == 0:
            return None
        off = self.slots[index]
        if off < 4 or off + size > self.inline_size:
            raise ValueError("%s.%s: field offset %d outside the table" % (self.what, name, off))
        pos = self.pos + off
        self.buf.need(pos, size, "%s.%s" % (self.what, name), align=size)
        return pos

    def scalar(self, index, fmt, default, name):
        """A scalar field (struct format `fmt`), or `default` when absent."""
        size = struct.calcsize("<" + fmt)
        pos = self._field(index, size, name)
        if pos is None:
            return default
        return struct.unpack_from("<" + fmt, self.buf.data, pos)[0]

    def has(self, index):
        """Whether field `index` is present."""
        return index < len(self.slots) and self.slots[index] != 0

    def ref(self, index, name):
        """Absolute target of an offset field, or None when absent."""
        pos = self._field(index, 4, name)
        if pos is None:
            return None
        target = pos + self.buf.u32(pos)
        if target >= len(self.buf.data):
            raise ValueError("%s.%s: offset points outside the buffer" % (self.what, name))
        return target

    def table(self, index, name):
        """A sub-table, or None."""
        target = self.ref(index, name)
        return None if target is None else _Table(self.buf, target, "%s.%s" % (self.what, name))

    def string(self, index, name):
        """A string field, or None."""
        target = self.ref(index, name)
        return None if target is None else self.buf.string(target, "%s.%s" % (self.what, name))

    def table_vector(self, index, name):
        """A vector of tables as a list, or None when absent."""
        target = self.ref(index, name)
        if target is None:
            return None
        what = "%s.%s" % (self.what, name)
        n = self.buf.vector_len(target, 4, what)
        out = []
        for i in range(n):
            epos = target + 4 + 4 * i
            etarget = epos + self.buf.u32(epos)
            if etarget >= len(self.buf.data):
                raise ValueError("%s[%d]: offset points outside the buffer" % (what, i))
            out.append(_Table(self.buf, etarget, "%s[%d]" % (what, i)))
        return out


class _Buf:
    """Bounds-checked little-endian reads over the FlatBuffer bytes."""

    def __init__(self, data):
        self.data = data
        self.tables = 0

    def need(self, pos, size, what, align=1):
        """Raise unless [pos, pos+size) lies in the buffer and pos is aligned."""
        if pos < 0 or size < 0 or pos + size > len(self.data):
            raise ValueError("%s: %d bytes at offset %d lie outside the %d-byte FlatBuffer"
                             % (what, size, pos, len(self.data)))
        if align > 1 and pos % align:
            raise ValueError("%s: offset %d is not %d-byte aligned" % (what, pos, align))

    def u16(self, pos):
        return struct.unpack_from("<H", self.data, pos)[0]

    def i32(self, pos):
        return struct.unpack_from("<i", self.data, pos)[0]

    def u32(self, pos):
        return struct.unpack_from("<I", self.data, pos)[0]

    def vector_len(self, pos, elem_size, what):
        """Length of the vector at pos, after checking that all elements fit."""
        self.need(pos, 4, what, align=4)
        n = self.u32(pos)
        if n > MAX_FIELDS:
            raise ValueError("%s: vector length %d is implausible" % (what, n))
        self.need(pos + 4, n * elem_size, what + " elements")
        return n

    def string(self, pos, what):
        """The UTF-8 string at pos (length, bytes, NUL terminator)."""
        n = self.vector_len(pos, 1, what)
        self.need(pos + 4 + n, 1, what + " terminator")
        if self.data[pos + 4 + n] != 0:
            raise ValueError("%s: string is not NUL-terminated" % what)
        raw = bytes(self.data[pos + 4:pos + 4 + n])
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise ValueError("%s: string is not valid UTF-8" % what) from None


def _metadata(table, index, what):
    """custom_metadata ([KeyValue]) as a dict, or None when absent."""
    kvs = table.table_vector(index, "custom_metadata")
    if kvs is None:
        return None
    out = {}
    for kv in kvs:
        key = kv.string(0, "key")
        if key is None:
            raise ValueError("%s: custom_metadata entry without a key" % what)
        out[key] = kv.string(1, "value") or ""
    return out


def _type(type_type, t, what):
    """Decode the type table `t` of union member `type_type` into a dict."""
    name = TYPE_NAMES.get(type_type, "unknown(%d)" % type_type)
    if type_type == 1:
        return {"type": "null"}
    if type_type == 2:
        bits = t.scalar(0, "i", 0, "bitWidth")
        signed = bool(t.scalar(1, "B", 0, "is_signed"))
        if bits not in (8, 16, 32, 64):
            raise ValueError("%s: Int bitWidth %d is not 8, 16, 32 or 64" % (what, bits))
        return {"type": ("int%d" if signed else "uint%d") % bits}
    if type_type == 3:
        prec = t.scalar(0, "h", 0, "precision")
        if prec not in (0, 1, 2):
            raise ValueError("%s: FloatingPoint precision %d is not HALF, SINGLE or DOUBLE" % (what, prec))
        return {"type": ("float16", "float32", "float64")[prec]}
    if type_type in (4, 5, 6, 19, 20):
        return {"type": {4: "binary", 5: "utf8", 6: "bool", 19: "large_binary",
                         20: "large_utf8"}[type_type]}
    if type_type == 7:
        prec = t.scalar(0, "i", 0, "precision")
        scale = t.scalar(1, "i", 0, "scale")
        bits = t.scalar(2, "i", 128, "bitWidth")
        maxp = {32: 9, 64: 18, 128: 38, 256: 76}.get(bits)
        if maxp is None:
            raise ValueError("%s: Decimal bitWidth %d is not 32, 64, 128 or 256" % (what, bits))
        if prec < 1 or prec > maxp:
            raise ValueError("%s: Decimal precision %d is outside 1..%d for %d bits" % (what, prec, maxp, bits))
        if scale > prec:
            raise ValueError("%s: Decimal scale %d exceeds precision %d" % (what, scale, prec))
        return {"type": "decimal%d" % bits, "precision": prec, "scale": scale}
    if type_type == 8:
        unit = t.scalar(0, "h", 1, "unit")
        if unit not in (0, 1):
            raise ValueError("%s: Date unit %d is not DAY or MILLISECOND" % (what, unit))
        return {"type": ("date32", "date64")[unit], "unit": ("DAY", "MILLISECOND")[unit]}
    if type_type == 9:
        unit = t.scalar(0, "h", 1, "unit")
        bits = t.scalar(1, "i", 32, "bitWidth")
        if unit not in TIME_UNITS:
            raise ValueError("%s: Time unit %d is invalid" % (what, unit))
        if (unit in (0, 1) and bits != 32) or (unit in (2, 3) and bits != 64):
            raise ValueError("%s: Time bitWidth %d does not fit unit %s" % (what, bits, TIME_UNITS[unit]))
        return {"type": "time%d" % bits, "unit": TIME_UNITS[unit]}
    if type_type == 10:
        unit = t.scalar(0, "h", 0, "unit")
        if unit not in TIME_UNITS:
            raise ValueError("%s: Timestamp unit %d is invalid" % (what, unit))
        return {"type": "timestamp", "unit": TIME_UNITS[unit], "timezone": t.string(1, "timezone")}
    if type_type in (12, 13, 21):
        return {"type": {12: "list", 13: "struct", 21: "large_list"}[type_type]}
    if type_type == 15:
        width = t.scalar(0, "i", 0, "byteWidth")
        if width < 0:
            raise ValueError("%s: FixedSizeBinary byteWidth %d is negative" % (what, width))
        return {"type": "fixed_size_binary", "byte_width": width}
    if type_type == 16:
        size = t.scalar(0, "i", 0, "listSize")
        if size < 0:
            raise ValueError("%s: FixedSizeList listSize %d is negative" % (what, size))
        return {"type": "fixed_size_list", "list_size": size}
    raise ValueError("%s: unsupported Arrow type %s (%d)" % (what, name, type_type))


def _field(f, depth, what):
    """Decode one Field table (recursively)."""
    if depth > MAX_DEPTH:
        raise ValueError("%s: fields nested deeper than %d" % (what, MAX_DEPTH))
    name = f.string(0, "name")
    nullable = bool(f.scalar(1, "B", 0, "nullable"))
    type_type = f.scalar(2, "B", 0, "type_type")
    label = "%s (%r)" % (what, name)
    if type_type == 0:
        raise ValueError("%s: type_type is NONE" % label)
    t = f.table(3, "type")
    if t is None:
        raise ValueError("%s: Field has no type table (Arrow C++ rejects it)" % label)
    if f.has(4):
        raise ValueError("%s: dictionary-encoded fields are not supported" % label)
    kids = f.table_vector(5, "children")
    if kids is None:
        raise ValueError("%s: Field has no children vector (Arrow C++ rejects it; send an empty one)" % label)
    out = {"name": name, "nullable": nullable}
    out.update(_type(type_type, t, label))
    children = [_field(k, depth + 1, "%s.children[%d]" % (what, i)) for i, k in enumerate(kids)]
    want = {12: 1, 16: 1, 21: 1}.get(type_type, None if type_type == 13 else 0)
    if want is not None and len(children) != want:
        raise ValueError("%s: %s needs %d child field(s), has %d"
                         % (label, TYPE_NAMES[type_type], want, len(children)))
    out["children"] = children
    md = _metadata(f, 6, label)
    if md is not None:
        out["metadata"] = md
    return out


def decode_bytes(data):
    """Decode the raw bytes of an encapsulated Schema message."""
    if len(data) < 8:
        raise ValueError("message is %d bytes, shorter than the 8-byte prefix" % len(data))
    if data[:4] != b"\xff\xff\xff\xff":
        raise ValueError("message does not start with the continuation marker FF FF FF FF")
    meta_len = struct.unpack_from("<i", data, 4)[0]
    if meta_len <= 0:
        raise ValueError("metadata length %d is not positive" % meta_len)
    if (8 + meta_len) % 8:
        raise ValueError("prefix plus metadata length (%d) is not a multiple of 8" % (8 + meta_len))
    if 8 + meta_len > len(data):
        raise ValueError("metadata length %d exceeds the %d bytes that follow the prefix"
                         % (meta_len, len(data) - 8))
    if 8 + meta_len < len(data):
        raise ValueError("%d unexpected bytes after the metadata (a Schema message has no body)"
                         % (len(data) - 8 - meta_len))
    buf = _Buf(memoryview(data)[8:8 + meta_len])
    buf.need(0, 4, "root offset", align=4)
    msg = _Table(buf, buf.u32(0), "Message")
    version = msg.scalar(0, "h", 0, "version")
    if version != 4:
        raise ValueError("Message.version is %d, expected 4 (V5)" % version)
    header_type = msg.scalar(1, "B", 0, "header_type")
    if header_type != 1:
        raise ValueError("Message.header_type is %s (%d), expected Schema (1)"
                         % (HEADER_NAMES.get(header_type, "unknown"), header_type))
    body_len = msg.scalar(3, "q", 0, "bodyLength")
    if body_len != 0:
        raise ValueError("Message.bodyLength is %d, expected 0" % body_len)
    schema = msg.table(2, "header")
    if schema is None:
        raise ValueError("Message has header_type Schema but no header table")
    schema.what = "Schema"
    endianness = schema.scalar(0, "h", 0, "endianness")
    if endianness != 0:
        raise ValueError("Schema.endianness is %d, expected Little (0)" % endianness)
    fields = schema.table_vector(1, "fields")
    if fields is None:
        raise ValueError("Schema has no fields vector")
    out = {
        "version": version,
        "endianness": "Little",
        "fields": [_field(f, 0, "Schema.fields[%d]" % i) for i, f in enumerate(fields)],
    }
    md = _metadata(schema, 2, "Schema")
    if md is not None:
        out["metadata"] = md
    msg_md = _metadata(msg, 4, "Message")
    if msg_md is not None:
        out["message_metadata"] = msg_md
    return out


def b64decode_strict(text, what="value"):
    """Standard base64 with '=' padding, nothing else (no whitespace, no URL alphabet)."""
    if not isinstance(text, str):
        raise ValueError("%s is not a string" % what)
    if not text:
        raise ValueError("%s is empty" % what)
    if len(text) % 4 or not B64_RE.fullmatch(text):
        if "-" in text or "_" in text:
            raise ValueError("%s is not standard base64 (URL-safe alphabet used)" % what)
        if any(c.isspace() for c in text):
            raise ValueError("%s is not standard base64 (contains whitespace)" % what)
        if len(text) % 4:
            raise ValueError("%s is not standard base64 (length %d is not a multiple of 4; missing '=' padding?)"
                             % (what, len(text)))
        raise ValueError("%s is not standard base64 (invalid characters or padding)" % what)
    try:
        return base64.b64decode(text, validate=True)
    except Exception as e:  # binascii.Error
        raise ValueError("%s is not standard base64 (%s)" % (what, e)) from None


def decode_message(b64):
    """Decode a base64 Schema message into {version, endianness, fields, metadata?}."""
    return decode_bytes(b64decode_strict(b64, "output_schema"))


def decode_schema(b64):
    """Decode a base64 Schema message into its list of fields."""
    return decode_message(b64)["fields"]


# ---------------------------------------------------------------------------
# A small encoder, for tests only: it lays FlatBuffers out front to back
# (vtable, table, then the objects the table points to), which is a layout
# different from Arrow's own writers; decode_bytes() accepts both.  Fields use
# the dict shape decode_schema() returns; test-only keys make malformed ones:
# "_omit_children", "_omit_type" (drop the vector / type table), "_type_code"
# (force the union code).  encode_schema(fields, version=4, header_type=1).

_TYPE_CODES = {"null": 1, "bool": 6, "utf8": 5, "large_utf8": 20, "binary": 4,
               "large_binary": 19, "list": 12, "large_list": 21, "struct": 13,
               "fixed_size_binary": 15, "fixed_size_list": 16, "timestamp": 10}
_UNIT_CODES = {v: k for k, v in TIME_UNITS.items()}


class _Builder:
    """Front-to-back FlatBuffer writer with patched forward offsets."""

    def __init__(self):
        self.buf = bytearray(4)

    def align(self, n):
        while len(self.buf) % n:
            self.buf.append(0)

    def obj(self, kind, value):
        """Write a child object; return its position."""
        if kind == "table":
            return self.table(value)
        if kind == "string":
            self.align(4)
            pos = len(self.buf)
            raw = value.encode("utf-8")
            self.buf += struct.pack("<I", len(raw)) + raw + b"\0"
            return pos
        if kind == "tables":
            self.align(4)
            pos = len(self.buf)
            self.buf += struct.pack("<I", len(value)) + b"\0" * (4 * len(value))
            for i, t in enumerate(value):
                slot = pos + 4 + 4 * i
                struct.pack_into("<I", self.buf, slot, self.table(t) - slot)
            return pos
        raise ValueError(kind)

    def table(self, fields):
        """fields: list of (index, fmt, value); fmt 'off' has value (kind, obj)."""
        def size_of(fmt):
            return 4 if fmt == "off" else struct.calcsize("<" + fmt)
        layout = []
        cursor = 4
        for index, fmt, value in sorted(fields, key=lambda f: -size_of(f[1])):
            size = size_of(fmt)
            while cursor % size:
                cursor += 1
            layout.append((index, fmt, value, cursor))
            cursor += size
        nslots = max([f[0] for f in fields] + [-1]) + 1
        slots = [0] * nslots
        for index, _, _, off in layout:
            slots[index] = off
        self.align(2)
        vt = len(self.buf)
        self.buf += struct.pack("<HH", 4 + 2 * nslots, cursor)
        self.buf += b"".join(struct.pack("<H", s) for s in slots)
        self.align(8)
        pos = len(self.buf)
        self.buf += b"\0" * cursor
        struct.pack_into("<i", self.buf, pos, pos - vt)
        for index, fmt, value, off in layout:
            if fmt != "off":
                struct.pack_into("<" + fmt, self.buf, pos + off, value)
        for index, fmt, value, off in layout:
            if fmt == "off":
                target = self.obj(*value)
                struct.pack_into("<I", self.buf, pos + off, target - (pos + off))
        return pos


def _type_table(f):
    """(union code, type table fields) for a field dict."""
    t = f["type"]
    if t.startswith(("int", "uint")):
        bits = int(t.lstrip("uint"))
        return 2, [(0, "i", bits), (1, "B", 0 if t.startswith("u") else 1)]
    if t.startswith("float"):
        return 3, [(0, "h", {"float16": 0, "float32": 1, "float64": 2}[t])]
    if t.startswith("decimal"):
        return 7, [(0, "i", f["precision"]), (1, "i", f["scale"]), (2, "i", int(t[7:]))]
    if t in ("date32", "date64"):
        return 8, [(0, "h", 0 if t == "date32" else 1)]
    if t in ("time32", "time64"):
        return 9, [(0, "h", _UNIT_CODES[f["unit"]]), (1, "i", int(t[4:]))]
    if t == "timestamp":
        fields = [(0, "h", _UNIT_CODES[f["unit"]])]
        if f.get("timezone") is not None:
            fields.append((1, "off", ("string", f["timezone"])))
        return 10, fields
    if t == "fixed_size_binary":
        return 15, [(0, "i", f["byte_width"])]
    if t == "fixed_size_list":
        return 16, [(0, "i", f["list_size"])]
    return _TYPE_CODES[t], []


def _field_table(f):
    """Table fields for one Field dict."""
    code, tfields = _type_table(f)
    out = [(1, "B", 1 if f.get("nullable", True) else 0), (2, "B", f.get("_type_code", code))]
    if f.get("name") is not None:
        out.append((0, "off", ("string", f["name"])))
    if not f.get("_omit_type"):
        out.append((3, "off", ("table", tfields)))
    if not f.get("_omit_children"):
        out.append((5, "off", ("tables", [_field_table(c) for c in f.get("children", [])])))
    return out


def encode_schema(fields, version=4, header_type=1):
    """Encode fields (decode_schema's dict shape) as base64 of a Schema message."""
    b = _Builder()
    schema = [(1, "off", ("tables", [_field_table(f) for f in fields]))]
    msg = [(0, "h", version), (1, "B", header_type), (2, "off", ("table", schema)), (3, "q", 0)]
    root = b.table(msg)
    struct.pack_into("<I", b.buf, 0, root)
    while (8 + len(b.buf)) % 8:
        b.buf.append(0)
    return base64.b64encode(b"\xff\xff\xff\xff" + struct.pack("<i", len(b.buf)) + bytes(b.buf)).decode()


def main(argv):
    if len(argv) != 2:
        sys.stderr.write("usage: arrow_decode.py BASE64\n")
        return 2
    try:
        print(json.dumps(decode_message(argv[1]), sort_keys=True, separators=(",", ":")))
    except ValueError as e:
        sys.stderr.write("malformed: %s\n" % e)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
