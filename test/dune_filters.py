"""Which rows a Dune results page is cut from (test/dune_server.py): the filters
query parameter (a subset of Dune's WHERE-like language) and sort_by, applied to a
Table's rows and cached per table."""

import decimal
import json
import math
import re

from dune_render import dec, split_top
from stand_in import HTTPError


FILTER_TOKEN_RE = re.compile(r"""\s*(?:
    (?P<num>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
  | '(?P<str>(?:[^']|'')*)'
  | "(?P<qid>(?:[^"]|"")*)"
  | (?P<id>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op><=|>=|<>|!=|=|<|>|\(|\)|,)
)""", re.X)
KEYWORDS = {"AND", "OR", "IN", "LIKE", "IS", "NOT", "NULL", "TRUE", "FALSE"}


def filter_tokens(text):
    """Tokens of a filters expression: (kind, value) pairs."""
    pos, out = 0, []
    text = text.rstrip()
    while pos < len(text):
        m = FILTER_TOKEN_RE.match(text, pos)
        if not m or m.end() == pos:
            raise ValueError("unexpected text at %r" % text[pos:pos + 10])
        pos = m.end()
        if m.group("num") is not None:
            num = m.group("num")
            out.append(("lit", dec(num) if "." in num or "e" in num.lower() else int(num)))
        elif m.group("str") is not None:
            out.append(("lit", m.group("str").replace("''", "'")))
        elif m.group("qid") is not None:
            out.append(("col", m.group("qid").replace('""', '"')))
        elif m.group("id") is not None:
            word = m.group("id")
            if word.upper() in ("TRUE", "FALSE"):
                out.append(("lit", word.upper() == "TRUE"))
            elif word.upper() in KEYWORDS:
                out.append(("kw", word.upper()))
            else:
                out.append(("col", word))
        else:
            out.append(("op", m.group("op")))
    return out


class FilterParser:
    """A subset of Dune's filters: comparisons (= != <> < <= > >=), IN (...), LIKE,
    IS [NOT] NULL, AND, OR, parentheses; literals are numbers, 'strings', true and
    false; "quoted" column names.  Compiles to a predicate on a row's values."""

    def __init__(self, text, index):
        self.toks = filter_tokens(text)
        self.pos = 0
        self.index = index  # column name -> value index

    def peek(self):
        return self.toks[self.pos] if self.pos < len(self.toks) else (None, None)

    def take(self, kind=None, value=None):
        tok = self.peek()
        if tok[0] is None or (kind and tok[0] != kind) or (value and tok[1] != value):
            raise ValueError("expected %s" % (value or kind or "more"))
        self.pos += 1
        return tok[1]

    def parse(self):
        pred = self.expr()
        if self.pos != len(self.toks):
            raise ValueError("unexpected %r" % (self.peek()[1],))
        return pred

    def expr(self):
        terms = [self.conj()]
        while self.peek() == ("kw", "OR"):
            self.pos += 1
            terms.append(self.conj())
        return terms[0] if len(terms) == 1 else (lambda v: any(t(v) for t in terms))

    def conj(self):
        terms = [self.atom()]
        while self.peek() == ("kw", "AND"):
            self.pos += 1
            terms.append(self.atom())
        return terms[0] if len(terms) == 1 else (lambda v: all(t(v) for t in terms))

    def atom(self):
        if self.peek() == ("op", "("):
            self.pos += 1
            inner = self.expr()
            self.take("op", ")")
            return inner
        name = self.take("col")
        if name not in self.index:
            raise ValueError("unknown column %r" % name)
        c = self.index[name]
        tok = self.take()
        if tok == "IS":
            negate = self.peek() == ("kw", "NOT")
            if negate:
                self.pos += 1
            self.take("kw", "NULL")
            return (lambda v: v[c] is not None) if negate else (lambda v: v[c] is None)
        if tok == "IN":
            self.take("op", "(")
            lits = [self.take("lit")]
            while self.peek() == ("op", ","):
                self.pos += 1
                lits.append(self.take("lit"))
            self.take("op", ")")
            return lambda v: v[c] is not None and any(compare(v[c], "=", x) for x in lits)
        if tok == "LIKE":
            pattern = self.take("lit")
            if not isinstance(pattern, str):
                raise ValueError("LIKE needs a 'string'")
            rx = re.compile("".join(".*" if ch == "%" else "." if ch == "_" else re.escape(ch)
                                    for ch in pattern) + r"\Z", re.S)
            return lambda v: isinstance(v[c], str) and rx.match(v[c]) is not None
        if tok not in ("=", "!=", "<>", "<", "<=", ">", ">="):
            raise ValueError("expected an operator after %r" % name)
        lit = self.take("lit")
        return lambda v: v[c] is not None and compare(v[c], tok, lit)


def comparable(value, lit):
    """(value, literal) made comparable, or ValueError."""
    if isinstance(value, bytes):
        value = "0x" + value.hex()
    if isinstance(value, bool) or isinstance(lit, bool):
        if isinstance(value, bool) and isinstance(lit, bool):
            return value, lit
    elif isinstance(value, (int, float, decimal.Decimal)) and \
            isinstance(lit, (int, decimal.Decimal)):
        return value, lit
    elif isinstance(value, str) and isinstance(lit, str):
        return value, lit
    raise ValueError("cannot compare %r with %r" % (value, lit))


def compare(value, op, lit):
    """SQL comparison of a non-NULL value with a literal."""
    a, b = comparable(value, lit)
    if isinstance(a, float) and math.isnan(a):
        return op in ("!=", "<>")
    return {"=": a == b, "!=": a != b, "<>": a != b, "<": a < b, "<=": a <= b,
            ">": a > b, ">=": a >= b}[op]


def sort_key(value):
    """Sort key of one value; NULLs go last in both directions (Trino's default)."""
    if isinstance(value, float) and math.isnan(value):
        return (1, 0)
    if isinstance(value, (list, dict)):
        return (0, json.dumps(value, sort_keys=True, default=str))
    if isinstance(value, bytes):
        return (0, value)
    return (0, value)


def parse_sort_by(text, index):
    """[(value index, descending)] of a sort_by text ("a desc, \"B\" asc")."""
    out = []
    for item in split_top(text):
        m = re.match(r'^(?:"((?:[^"]|"")*)"|([A-Za-z_][A-Za-z0-9_]*))(?:\s+(asc|desc))?$',
                     item.strip(), re.I)
        if not m:
            raise ValueError("cannot read %r" % item)
        name = m.group(1).replace('""', '"') if m.group(1) is not None else m.group(2)
        if name not in index:
            raise ValueError("unknown column %r" % name)
        out.append((index[name], (m.group(3) or "asc").lower() == "desc"))
    return out


def order_rows(table, filters, sort_by):
    """Row numbers of the table after filters and sort_by (cached per table)."""
    key = (filters, sort_by)
    if key in table.views:
        table.views.move_to_end(key)
        return table.views[key]
    index = {col.name: c for c, col in enumerate(table.columns)}
    try:
        pred = FilterParser(filters, index).parse() if filters is not None else None
    except ValueError as err:
        raise HTTPError(400, "invalid filters: %s" % err)
    try:
        order = parse_sort_by(sort_by, index) if sort_by is not None else []
    except ValueError as err:
        raise HTTPError(400, "invalid sort_by: %s" % err)
    rows = list(range(table.n))
    if pred or order:
        values = {i: table.row(i) for i in rows}
        if pred:
            try:
                rows = [i for i in rows if pred(values[i])]
            except ValueError as err:
                raise HTTPError(400, "invalid filters: %s" % err)
        for c, desc in reversed(order):
            present = [i for i in rows if values[i][c] is not None]
            present.sort(key=lambda i: sort_key(values[i][c]), reverse=desc)
            rows = present + [i for i in rows if values[i][c] is None]
    table.views[key] = rows
    while len(table.views) > 4:
        table.views.popitem(last=False)
    return rows
