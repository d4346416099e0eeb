"""The results datasets of the Dune stand-in (test/dune_server.py) and their tables.

Datasets: "types" (one column per type the loader maps; hand-made edge rows, then
generated ones) and "bench" (10 mixed columns, built from cached fragments).  A Table
is one dataset at one size with every row rendered once as JSON and once as CSV
(Rendered), so that an unfiltered page is a few slices of prepared bytes; get_table()
keeps the last few."""

import array
import collections
import datetime
import itertools
import operator
import time

from dune_render import Column, dec


def mix(i, k):
    """A deterministic 64-bit hash of (row, salt)."""
    x = (i * 0x9E3779B97F4A7C15 + k * 0xBF58476D1CE4E5B9 + 0x632BE59BD9B4E019) & (2 ** 64 - 1)
    x ^= x >> 31
    x = (x * 0x94D049BB133111EB) & (2 ** 64 - 1)
    return x ^ (x >> 29)


UINT256_MAX = 2 ** 256 - 1
INT256_MIN, INT256_MAX = -2 ** 255, 2 ** 255 - 1
TYPES_COLUMNS = (
    ("id", "bigint"),
    ("c_varchar", "varchar"),
    ("c_bigint", "bigint"),
    ("c_integer", "integer"),
    ("c_double", "double"),
    ("c_boolean", "boolean"),
    ("c_date", "date"),
    ("c_timestamp", "timestamp(3)"),
    ("c_timestamptz", "timestamp(3) with time zone"),
    ("c_decimal", "decimal(38,18)"),
    ("c_decimal_small", "decimal(10,2)"),
    ("c_uint256", "uint256"),
    ("c_int256", "int256"),
    ("c_varbinary", "varbinary"),
    ("c_array_varchar", "array(varchar)"),
    ("c_array_bigint", "array(bigint)"),
    ("c_json", "json"),
    ("c_row", "row(a bigint, b varchar)"),
    ("c_map", "map(varchar, bigint)"),
    ("c_ipaddress", "ipaddress"),
    ('Odd "Name", ü', "varchar"),
)
UNICODE_TEXT = 'Grüße, 世界 🦆 "quoted" back\\slash\nnew line\ttab\r\n<&> \u2028end'
# One row per line, values in TYPES_COLUMNS order after id (id is the row number).
TYPES_EDGE_ROWS = (
    # 0: ordinary values
    ("hello", 42, 7, 3.25, True, "2024-02-29", "2024-02-29 13:45:01.123",
     "2024-02-29 13:45:01.123 UTC", dec("12345.678900000000000000"), dec("1234.50"),
     10 ** 18, -10 ** 18, bytes.fromhex("deadbeef"), ["a", "b"], [1, 2, 3],
     '{"a":1,"b":[true,null]}', {"a": 1, "b": "x"}, {"k1": 1, "k2": 2}, "192.168.0.1", "plain"),
    # 1: every column NULL
    (None,) * 20,
    # 2: maxima, empty values
    ("", 2 ** 63 - 1, 2 ** 31 - 1, 1.7976931348623157e308, False, "9999-12-31",
     "9999-12-31 23:59:59.999", "9999-12-31 23:59:59.999 UTC",
     dec("99999999999999999999.999999999999999999"), dec("99999999.99"), UINT256_MAX,
     INT256_MAX, b"", [], [2 ** 63 - 1, -2 ** 63], "[]", {"a": None, "b": None}, {},
     "2001:db8::ff00:42:8329", ""),
    # 3: minima, negative zero, JSON null text, arrays of NULL
    (" leading space", -2 ** 63, -2 ** 31, -0.0, None, "0001-01-01", "0001-01-01 00:00:00.000",
     "0001-01-01 00:00:00.000 UTC", dec("-99999999999999999999.999999999999999999"),
     dec("-99999999.99"), 0, INT256_MIN, bytes(1) + b"\xff" * 31, [None], [None], "null",
     {"a": -1, "b": ""}, {"": 0}, "0.0.0.0", " "),
    # 4: unicode and escapes
    (UNICODE_TEXT, 0, 0, 5e-324, True, "2000-02-29", "2000-02-29 00:00:00.001",
     "2000-02-29 23:59:59.999 UTC", dec("0.000000000000000001"), dec("0.01"), 1, -1,
     bytes.fromhex("00112233445566778899aabbccddeeff00112233"),
     ["🦆", "a,b", 'q"uote', "back\\slash", "new\nline", ""], [],
     '{"ü":"🦆","esc":"a\\"b\\\\c\\n"}', {"a": 0, "b": '🦆"\\'}, {"ü🦆": -1, "a,b": 2},
     "::1", "Grüße 🦆"),
    # 5: COPY's NULL marker as text, NaN, large double
    ("\\N", 1, 1, float("nan"), False, "1970-01-01", "1970-01-01 00:00:00.000",
     "1970-01-01 00:00:00.000 UTC", dec("0.000000000000000000"), dec("0.00"), 2 ** 64,
     -2 ** 64, b"\x00", ["\\N"], [0], '"just a string"', {"a": 2 ** 63 - 1, "b": "\\N"},
     {"NULL": None}, "10.0.0.1", "\\N"),
    # 6: "NULL" as text, +Infinity, tiny double
    ("NULL", -1, -1, float("inf"), True, "2038-01-19", "2038-01-19 03:14:07.999",
     "2038-01-19 03:14:07.999 UTC", dec("-0.000000000000000001"), dec("-0.01"),
     2 ** 128, -2 ** 128, b"\xff", ["NULL"], [-1], "123", {"a": None, "b": "NULL"},
     {"x": -2 ** 63}, "255.255.255.255", "NULL"),
    # 7: COPY's end marker, -Infinity, 1e21, commas and quotes
    ("\\.", 10 ** 15, 10 ** 9, float("-inf"), False, "1999-12-31", "1999-12-31 23:59:59.000",
     "1999-12-31 23:59:59.000 UTC", dec("1.000000000000000000"), dec("1.00"), 12345, -12345,
     b"\x01\x02", ["x"], [10 ** 15], '{"nested":{"deep":[[[]]]}}', {"a": 5, "b": "a,b\"c"},
     {'q"k': 1}, "fe80::1", 'with,comma "and" quotes'),
    # 8: a large double (Go: 1e+21)
    ('tab\tand "quote"', 123, 123, 1e21, True, "2024-01-01", "2024-01-01 00:00:00.000",
     "2024-01-01 00:00:00.000 UTC", dec("42.000000000000000000"), dec("42.00"), 42, 42,
     bytes(range(16)), ["a", None, "c"], [1, None, 3], "{}", {"a": 1, "b": None},
     {"a": 1, "b": None}, "127.0.0.1", "x"),
    # 9: a small double (Go: 1.5e-7)
    ("less <than> & ampersand", 99, 99, 1.5e-7, False, "2024-12-31", "2024-12-31 12:00:00.500",
     "2024-12-31 12:00:00.500 UTC", dec("-42.500000000000000000"), dec("-42.50"), 99, -99,
     b"\x10", [], [], '[1,"two",3.5,null]', {"a": -99, "b": "<&>"}, {"<&>": 99},
     "192.0.2.1", "y"),
    # 10: an integral double (Go: 100)
    ("plain ascii", 7, 7, 100.0, True, "2023-06-15", "2023-06-15 08:30:00.250",
     "2023-06-15 08:30:00.250 UTC", dec("3.141592653589793238"), dec("3.14"), 7, -7,
     b"\xab\xcd", ["one"], [7], "true", {"a": 7, "b": "seven"}, {"seven": 7}, "198.51.100.7",
     "z"),
)
TYPES_DEFAULT_ROWS = len(TYPES_EDGE_ROWS) + 1  # 12: the edge rows and one generated
BASE_DAY = datetime.date(2024, 1, 1)


def types_generated_row(i):
    """A deterministic row i (past the edge rows) of the types dataset."""
    def null(k):
        return mix(i, k) % 7 == 0

    h = mix(i, 0)
    day = BASE_DAY + datetime.timedelta(days=h % 3000)
    ms = mix(i, 1) % 86400000
    clock = "%02d:%02d:%02d.%03d" % (ms // 3600000, ms // 60000 % 60, ms // 1000 % 60, ms % 1000)
    values = (
        "row %d %s" % (i, "ü🦆" if h % 3 == 0 else "ascii"),
        (h % 2 ** 63) - 2 ** 62,
        (mix(i, 2) % 2 ** 32) - 2 ** 31,
        (mix(i, 3) % 2 ** 40) / 1024.0 - 2 ** 29,
        bool(h & 1),
        day.isoformat(),
        "%s %s" % (day.isoformat(), clock),
        "%s %s UTC" % (day.isoformat(), clock),
        dec("%s%d.%018d" % ("-" if h & 2 else "", mix(i, 4) % 10 ** 20, mix(i, 5) % 10 ** 18)),
        dec("%s%d.%02d" % ("-" if h & 4 else "", mix(i, 6) % 10 ** 8, mix(i, 7) % 100)),
        mix(i, 8) * mix(i, 9) * mix(i, 10) * mix(i, 11),
        mix(i, 12) * mix(i, 13) * mix(i, 14) - 2 ** 191,
        mix(i, 15).to_bytes(8, "big") + mix(i, 16).to_bytes(8, "big"),
        ["v%d" % (mix(i, 17) % 100), None if h & 8 else "w"],
        [mix(i, 18) % 1000, -(mix(i, 19) % 1000)],
        '{"i":%d,"ok":%s}' % (i, "true" if h & 16 else "false"),
        {"a": i, "b": "r%d" % i},
        {"k%d" % (h % 5): i, "n": -i},
        "10.%d.%d.%d" % (h >> 8 & 255, h >> 16 & 255, h >> 24 & 255),
        "odd %d" % i,
    )
    return [i] + [None if null(k + 20) else v for k, v in enumerate(values)]


def types_row(i):
    """Row i of the types dataset: the edge rows, then generated ones."""
    if i < len(TYPES_EDGE_ROWS):
        return [i] + list(TYPES_EDGE_ROWS[i])
    return types_generated_row(i)


# The bench dataset: 10 columns whose order is also their byte order, so that a row
# object and a CSV line are both "first five columns, id, last four columns".  The
# first five come from a pool of BENCH_PA rows, the last four from one of BENCH_PB
# rows (two primes, so the pair only repeats after 2.7e8 rows), and each row is two
# cached fragments around its id: building 1M rows costs about a second.
BENCH_COLUMNS = (
    ("amount", "double"), ("block_time", "timestamp(3) with time zone"), ("day", "date"),
    ("flag", "boolean"), ("hash", "varbinary"), ("id", "bigint"), ("label", "varchar"),
    ("n", "integer"), ("name", "varchar"), ("value", "decimal(38,18)"),
)
BENCH_PA, BENCH_PB = 16381, 16411
BENCH_T0 = datetime.datetime(2024, 1, 1)


def bench_a(j):
    """Values of the first five bench columns for pool row j."""
    t = BENCH_T0 + datetime.timedelta(milliseconds=j * 1234)
    return ((j * 7919 % 4000037) / 4.0,
            t.strftime("%Y-%m-%d %H:%M:%S.") + "%03d UTC" % (t.microsecond // 1000),
            (BENCH_T0 + datetime.timedelta(days=j // 1000)).strftime("%Y-%m-%d"),
            None if j % 11 == 5 else j % 3 == 0,
            mix(j, 1).to_bytes(8, "big") + mix(j, 2).to_bytes(8, "big"))


def bench_b(m):
    """Values of the last four bench columns for pool row m."""
    return (None if m % 17 == 0 else "group %d, part %d" % (m % 97, m % 13),
            (m * 2654435761) % 2 ** 31 - 2 ** 30,
            "user_%07d" % m,
            dec("%d.%018d" % (m * 1000003 % 10 ** 12, mix(m, 3) % 10 ** 18)))


def bench_row(i):
    """Row i of the bench dataset as values."""
    return list(bench_a(i % BENCH_PA)) + [i + 1] + list(bench_b(i % BENCH_PB))


_BENCH_POOLS = []


def bench_pools():
    """(JSON before id, JSON after id, CSV before id, CSV after id) pools, built once
    with the generic renderers (so they agree with them by construction)."""
    if not _BENCH_POOLS:
        cols = [Column(name, ctype) for name, ctype in BENCH_COLUMNS]
        ja, ca, jb, cb = [], [], [], []
        for j in range(BENCH_PA):
            vals = bench_a(j)
            ja.append("{" + ",".join(c.key + c.json(v) for c, v in zip(cols[:5], vals))
                      + "," + cols[5].key)
            ca.append(",".join(c.csv(v) for c, v in zip(cols[:5], vals)) + ",")
        for m in range(BENCH_PB):
            vals = bench_b(m)
            jb.append("," + ",".join(c.key + c.json(v) for c, v in zip(cols[6:], vals)) + "}")
            cb.append("," + ",".join(c.csv(v) for c, v in zip(cols[6:], vals)) + "\n")
        _BENCH_POOLS.extend((ja, jb, ca, cb))
    return _BENCH_POOLS


def bench_chunk(start, stop, fmt):
    """Bench rows start..stop-1 as row objects (fmt "json") or CSV lines, a list of
    ASCII texts; the loops run in C (map, islice over cycle)."""
    ja, jb, ca, cb = bench_pools()
    before, after = (ja, jb) if fmt == "json" else (ca, cb)
    n = stop - start
    a = itertools.islice(itertools.cycle(before), start % BENCH_PA, start % BENCH_PA + n)
    b = itertools.islice(itertools.cycle(after), start % BENCH_PB, start % BENCH_PB + n)
    ids = map(str, range(start + 1, stop + 1))
    return list(map(operator.add, map(operator.add, a, ids), b))


DATASETS = {
    "types": (TYPES_COLUMNS, types_row, None),
    "bench": (BENCH_COLUMNS, bench_row, bench_chunk),
}
MAX_RESULT_ROWS = 10_000_000


CHUNK_ROWS = 65536


class Rendered:
    """Every row of a table in one format: buffers of CHUNK_ROWS rows each (never
    joined: fresh memory is slow to touch) and the offset of every row, as if the
    buffers were one.  A JSON row carries its trailing comma."""

    def __init__(self):
        self.chunks = []
        self.off = array.array("q", [0])

    def add(self, data, lengths):
        """Append one chunk of rows: its bytes and each row's length."""
        base = self.off[-1]
        self.chunks.append(memoryview(data))
        self.off.extend(base + x for x in itertools.accumulate(lengths))
        if self.off[-1] - base != len(data):
            raise AssertionError("row lengths do not add up to the chunk's bytes")

    def parts(self, a, b, trim=0):
        """Rows a..b-1 as a list of memoryviews (the last trim bytes dropped)."""
        x, y = self.off[a], self.off[b] - trim
        out = []
        for k in range(a // CHUNK_ROWS, (b - 1) // CHUNK_ROWS + 1 if b > a else 0):
            base = self.off[k * CHUNK_ROWS]
            piece = self.chunks[k][max(x - base, 0):max(0, y - base)]
            if len(piece):
                out.append(piece)
        return out


class Table:
    """One dataset at one size: columns, values per row, and every row rendered as
    JSON and as CSV (each built once, on first use), so that an unfiltered page
    is a few slices of prepared bytes."""

    def __init__(self, dataset, rows, bignum):
        columns, self.row, self.fast = DATASETS[dataset]
        self.columns = [Column(name, ctype, bignum) for name, ctype in columns]
        self.n = rows
        self.bignum = bignum
        self.sorted_columns = sorted(range(len(self.columns)), key=lambda c: self.columns[c].name)
        self.rendered = {}
        self.build_seconds = {}
        self.views = collections.OrderedDict()  # (filters, sort_by) -> row numbers

    def json_row(self, values, cols=None):
        """One row object; cols is a list of (Column, value index) in key order."""
        if cols is None:
            cols = [(self.columns[c], c) for c in self.sorted_columns]
        return "{" + ",".join(col.key + col.json(values[c]) for col, c in cols) + "}"

    def csv_line(self, values, cols=None):
        """One CSV line; cols is a list of (Column, value index) in column order."""
        if cols is None:
            cols = [(col, c) for c, col in enumerate(self.columns)]
        return ",".join(col.csv(values[c]) for col, c in cols) + "\n"

    def build(self, fmt):
        """Every row rendered in fmt ("json" or "csv"), built on first use."""
        done = self.rendered.get(fmt)
        if done is not None:
            return done
        t0 = time.monotonic()
        out = Rendered()
        fast = self.fast if self.bignum == "number" else None
        for start in range(0, self.n, CHUNK_ROWS):
            stop = min(self.n, start + CHUNK_ROWS)
            if fast:  # ASCII text: one character is one byte
                texts = fast(start, stop, fmt)
                if fmt == "json":
                    out.add((",".join(texts) + ",").encode(), [len(t) + 1 for t in texts])
                else:
                    out.add("".join(texts).encode(), list(map(len, texts)))
                continue
            render = (lambda v: self.json_row(v) + ",") if fmt == "json" else self.csv_line
            rows = [render(self.row(i)).encode() for i in range(start, stop)]
            out.add(b"".join(rows), list(map(len, rows)))
        self.rendered[fmt] = out
        self.build_seconds[fmt] = time.monotonic() - t0
        return out

    def json_bytes(self, rows):
        """Bytes of the given rows' objects without separators (result_set_bytes)."""
        off = self.build("json").off
        if isinstance(rows, range):
            return off[rows.stop] - off[rows.start] - len(rows) if len(rows) else 0
        return sum(off[i + 1] - off[i] - 1 for i in rows)


_TABLES = collections.OrderedDict()
MAX_TABLES = 3


def get_table(dataset, rows, bignum):
    """The cached Table for these settings (the last MAX_TABLES are kept)."""
    key = (dataset, rows, bignum)
    table = _TABLES.pop(key, None) or Table(dataset, rows, bignum)
    _TABLES[key] = table
    while len(_TABLES) > MAX_TABLES:
        _TABLES.popitem(last=False)
    return table
