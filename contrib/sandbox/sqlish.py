"""sqlish: just enough SQL to answer SOQL (Salesforce) and SuiteQL (NetSuite)
queries over in-memory rows.

    q = parse("SELECT Id, Name FROM Account WHERE LastModifiedDate > 2026-11-01T00:00:00Z")
    q.items     [Item(expr, alias)]; expr is Field(parts) / Func(name, args) / Star()
    q.table     "Account"
    q.where     a condition tree, or None
    q.order     [(expr, descending)]
    q.limit, q.offset   ints or None

Supported: SELECT list (fields, dotted relationship fields, functions,
aliases, *), FROM one table, WHERE with AND / OR / NOT / parentheses and
comparisons (= != <> < <= > >=, [NOT] IN (...), IS [NOT] NULL, [NOT]
LIKE), ORDER BY with ASC/DESC and NULLS FIRST/LAST, LIMIT, OFFSET.
Literals: 'strings' (backslash or doubled-quote escapes), numbers, TRUE,
FALSE, NULL, SOQL date and datetime literals (2026-11-01,
2026-11-01T00:00:00Z, 2026-11-01T00:00:00.000+0000), and function calls
(TO_DATE, TO_TIMESTAMP) which the caller evaluates.

Errors raise QueryError(message, pos) with the character offset.
Evaluation is the caller's: match(tree, row, value_of, compare) walks a
condition with the caller's value lookup and typed comparison.
"""

import calendar
import decimal
import re
import time


class QueryError(Exception):
    def __init__(self, message, pos=0):
        super().__init__(message)
        self.message = message
        self.pos = pos


class Instant:
    """A point in time from a date or datetime literal or column."""

    __slots__ = ("epoch", "is_date")

    def __init__(self, epoch, is_date=False):
        self.epoch = epoch
        self.is_date = is_date

    def __repr__(self):
        return "Instant(%r, %r)" % (self.epoch, self.is_date)


class Field:
    def __init__(self, parts, pos):
        self.parts = parts
        self.pos = pos

    @property
    def name(self):
        return ".".join(self.parts)


class Func:
    def __init__(self, name, args, pos):
        self.name = name
        self.args = args
        self.pos = pos


class Lit:
    def __init__(self, value, pos):
        self.value = value
        self.pos = pos


class Star:
    pos = 0


class Item:
    def __init__(self, expr, alias):
        self.expr = expr
        self.alias = alias


class Query:
    def __init__(self):
        self.items = []
        self.table = None
        self.table_pos = 0
        self.where = None
        self.order = []
        self.limit = None
        self.offset = None


_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<dt>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2}))
  | (?P<date>\d{4}-\d{2}-\d{2}(?![\d:T]))
  | (?P<num>-?\d+(?:\.\d+)?)
  | (?P<str>'(?:[^'\\]|\\.|'')*')
  | (?P<qid>"[^"]*")
  | (?P<id>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op><>|!=|<=|>=|[=<>(),.*])
""", re.X)

_KEYWORDS = {"SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "IN", "IS", "NULL", "LIKE",
             "ORDER", "BY", "ASC", "DESC", "NULLS", "FIRST", "LAST", "LIMIT", "OFFSET",
             "TRUE", "FALSE", "AS"}


def tokenize(text):
    toks = []
    i = 0
    while i < len(text):
        m = _TOKEN.match(text, i)
        if not m:
            raise QueryError("unexpected character %r" % text[i], i)
        kind = m.lastgroup
        val = m.group(kind)
        if kind != "ws":
            if kind == "id" and val.upper() in _KEYWORDS:
                kind, val = "kw", val.upper()
            toks.append((kind, val, i))
        i = m.end()
    toks.append(("end", "", len(text)))
    return toks


def _unquote(s):
    body = s[1:-1]
    out = []
    i = 0
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            out.append({"n": "\n", "t": "\t", "r": "\r"}.get(nxt, nxt))
            i += 2
        elif ch == "'" and body[i + 1:i + 2] == "'":
            out.append("'")
            i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def parse_literal_time(s):
    """A SOQL date or datetime literal -> Instant."""
    if "T" not in s:
        return Instant(calendar.timegm(time.strptime(s, "%Y-%m-%d")), True)
    t = calendar.timegm(time.strptime(s[:19], "%Y-%m-%dT%H:%M:%S"))
    rest = s[19:]
    if rest.startswith("."):
        rest = rest.lstrip(".0123456789")
    if rest != "Z":
        sign = 1 if rest[0] == "+" else -1
        digits = rest[1:].replace(":", "")
        t -= sign * (int(digits[:2]) * 3600 + int(digits[2:]) * 60)
    return Instant(t, False)


class _Parser:
    def __init__(self, text):
        self.text = text
        self.toks = tokenize(text)
        self.i = 0

    def peek(self, k=0):
        return self.toks[min(self.i + k, len(self.toks) - 1)]

    def take(self):
        t = self.toks[self.i]
        self.i += 1
        return t

    def accept(self, kind, val=None):
        t = self.peek()
        if t[0] == kind and (val is None or t[1] == val):
            self.i += 1
            return t
        return None

    def expect(self, kind, val=None, what=None):
        t = self.accept(kind, val)
        if t is None:
            got = self.peek()
            raise QueryError("expecting %s, found '%s'" % (what or val or kind, got[1] or "end of query"),
                             got[2])
        return t

    def query(self):
        q = Query()
        self.expect("kw", "SELECT")
        while True:
            if self.accept("op", "*"):
                q.items.append(Item(Star(), None))
            else:
                e = self.expr()
                alias = None
                if self.accept("kw", "AS"):
                    alias = self.ident()
                elif self.peek()[0] in ("id", "qid"):
                    alias = self.ident()
                q.items.append(Item(e, alias))
            if not self.accept("op", ","):
                break
        self.expect("kw", "FROM")
        t = self.expect("id", what="an object name")
        q.table, q.table_pos = t[1], t[2]
        if self.accept("kw", "WHERE"):
            q.where = self.or_cond()
        if self.accept("kw", "ORDER"):
            self.expect("kw", "BY")
            while True:
                e = self.expr()
                desc = False
                if self.accept("kw", "DESC"):
                    desc = True
                else:
                    self.accept("kw", "ASC")
                nulls = None
                if self.accept("kw", "NULLS"):
                    nulls = "first" if self.accept("kw", "FIRST") else (self.expect("kw", "LAST") and "last")
                q.order.append((e, desc, nulls))
                if not self.accept("op", ","):
                    break
        if self.accept("kw", "LIMIT"):
            q.limit = int(self.expect("num", what="a number")[1])
        if self.accept("kw", "OFFSET"):
            q.offset = int(self.expect("num", what="a number")[1])
        t = self.peek()
        if t[0] != "end":
            raise QueryError("unexpected token: '%s'" % t[1], t[2])
        return q

    def ident(self):
        t = self.take()
        if t[0] == "id":
            return t[1]
        if t[0] == "qid":
            return t[1][1:-1]
        raise QueryError("expecting a name, found '%s'" % (t[1] or "end of query"), t[2])

    def expr(self):
        t = self.peek()
        if t[0] == "id":
            self.take()
            if self.accept("op", "("):
                args = []
                if not self.accept("op", ")"):
                    while True:
                        args.append(self.value_or_expr())
                        if self.accept("op", ")"):
                            break
                        self.expect("op", ",", "',' or ')'")
                return Func(t[1].upper(), args, t[2])
            parts = [t[1]]
            while self.accept("op", "."):
                parts.append(self.expect("id", what="a field name")[1])
            return Field(parts, t[2])
        return self.literal()

    def literal(self):
        t = self.take()
        kind, val, pos = t
        if kind == "str":
            return Lit(_unquote(val), pos)
        if kind == "num":
            return Lit(decimal.Decimal(val), pos)
        if kind in ("dt", "date"):
            try:
                return Lit(parse_literal_time(val), pos)
            except (ValueError, IndexError):
                raise QueryError("invalid date or datetime literal '%s'" % val, pos) from None
        if kind == "kw" and val in ("TRUE", "FALSE"):
            return Lit(val == "TRUE", pos)
        if kind == "kw" and val == "NULL":
            return Lit(None, pos)
        raise QueryError("unexpected token: '%s'" % (val or "end of query"), pos)

    def value_or_expr(self):
        if self.peek()[0] == "id":
            return self.expr()
        return self.literal()

    def or_cond(self):
        parts = [self.and_cond()]
        while self.accept("kw", "OR"):
            parts.append(self.and_cond())
        return parts[0] if len(parts) == 1 else ("or", parts)

    def and_cond(self):
        parts = [self.not_cond()]
        while self.accept("kw", "AND"):
            parts.append(self.not_cond())
        return parts[0] if len(parts) == 1 else ("and", parts)

    def not_cond(self):
        if self.accept("kw", "NOT"):
            return ("not", self.not_cond())
        if self.peek()[0] == "op" and self.peek()[1] == "(":
            self.take()
            c = self.or_cond()
            self.expect("op", ")", "')'")
            return c
        return self.comparison()

    def comparison(self):
        lhs = self.expr()
        t = self.peek()
        if t[0] == "op" and t[1] in ("=", "!=", "<>", "<", "<=", ">", ">="):
            self.take()
            op = "!=" if t[1] == "<>" else t[1]
            return ("cmp", op, lhs, self.value_or_expr())
        neg = bool(self.accept("kw", "NOT"))
        if self.accept("kw", "IN"):
            self.expect("op", "(", "'('")
            vals = [self.value_or_expr()]
            while self.accept("op", ","):
                vals.append(self.value_or_expr())
            self.expect("op", ")", "')'")
            return ("in", lhs, vals, neg)
        if self.accept("kw", "LIKE"):
            return ("like", lhs, self.literal(), neg)
        if not neg and self.accept("kw", "IS"):
            isneg = bool(self.accept("kw", "NOT"))
            self.expect("kw", "NULL")
            return ("isnull", lhs, isneg)
        raise QueryError("expecting an operator, found '%s'" % (t[1] or "end of query"), t[2])


def parse(text):
    """Parse one query; raises QueryError."""
    if not text or not text.strip():
        raise QueryError("empty query", 0)
    return _Parser(text).query()


def fields_of(tree):
    """Every Field a condition tree or expression refers to."""
    out = []

    def walk(n):
        if isinstance(n, Field):
            out.append(n)
        elif isinstance(n, Func):
            for a in n.args:
                walk(a)
        elif isinstance(n, tuple):
            for x in n[1:]:
                if isinstance(x, list):
                    for y in x:
                        walk(y)
                else:
                    walk(x)
    walk(tree)
    return out


def like_regex(pattern):
    """A SQL LIKE pattern (% and _) as a compiled case-insensitive regex."""
    out = []
    for ch in pattern:
        out.append(".*" if ch == "%" else "." if ch == "_" else re.escape(ch))
    return re.compile("".join(out) + r"\Z", re.I | re.S)


def match(tree, row, value_of, compare):
    """Evaluate condition `tree` on `row`.  value_of(row, node) gives the
    value of a Field, Func or Lit; compare(a, b, node) returns -1/0/1, or
    None when either side is NULL (SQL three-valued logic: a comparison
    with NULL is not true)."""
    kind = tree[0]
    if kind == "and":
        return all(match(t, row, value_of, compare) for t in tree[1])
    if kind == "or":
        return any(match(t, row, value_of, compare) for t in tree[1])
    if kind == "not":
        return not match(tree[1], row, value_of, compare)
    if kind == "cmp":
        _, op, lhs, rhs = tree
        a, b = value_of(row, lhs), value_of(row, rhs)
        if op == "=" and a is None and b is None:
            return True
        if op == "!=" and (a is None) != (b is None):
            return True
        c = compare(a, b, tree)
        if c is None:
            return False
        return {"=": c == 0, "!=": c != 0, "<": c < 0, "<=": c <= 0, ">": c > 0, ">=": c >= 0}[op]
    if kind == "in":
        _, lhs, vals, neg = tree
        a = value_of(row, lhs)
        hit = any(compare(a, value_of(row, v), tree) == 0 for v in vals)
        return hit != neg
    if kind == "like":
        _, lhs, pat, neg = tree
        a = value_of(row, lhs)
        if a is None:
            return False
        return bool(like_regex(str(pat.value)).match(str(a))) != neg
    if kind == "isnull":
        _, lhs, neg = tree
        return (value_of(row, lhs) is None) != neg
    raise QueryError("bad condition", 0)


# ---- Oracle-style TO_CHAR / TO_DATE formats, as SuiteQL takes them ----

_FMT = re.compile(r'YYYY|MM|DD|HH24|HH|MI|SS|"[^"]*"|[-/:., T]', re.I)


def _fmt_tokens(fmt):
    out = []
    i = 0
    while i < len(fmt):
        m = _FMT.match(fmt, i)
        if not m:
            raise QueryError("unsupported date format element in '%s'" % fmt, 0)
        out.append(m.group(0))
        i = m.end()
    return out


def oracle_format(epoch, fmt):
    """TO_CHAR(date, fmt) for the elements YYYY MM DD HH24 MI SS "text"."""
    tm = time.gmtime(epoch)
    parts = []
    for tok in _fmt_tokens(fmt):
        u = tok.upper()
        if u == "YYYY":
            parts.append("%04d" % tm.tm_year)
        elif u == "MM":
            parts.append("%02d" % tm.tm_mon)
        elif u == "DD":
            parts.append("%02d" % tm.tm_mday)
        elif u in ("HH24", "HH"):
            parts.append("%02d" % tm.tm_hour)
        elif u == "MI":
            parts.append("%02d" % tm.tm_min)
        elif u == "SS":
            parts.append("%02d" % tm.tm_sec)
        elif tok.startswith('"'):
            parts.append(tok[1:-1])
        else:
            parts.append(tok)
    return "".join(parts)


def oracle_parse(s, fmt):
    """TO_DATE / TO_TIMESTAMP(s, fmt) -> epoch seconds (UTC); ValueError."""
    y, mo, d, hh, mi, ss = 1970, 1, 1, 0, 0, 0
    i = 0
    for tok in _fmt_tokens(fmt):
        u = tok.upper()
        width = {"YYYY": 4, "MM": 2, "DD": 2, "HH24": 2, "HH": 2, "MI": 2, "SS": 2}.get(u)
        if width:
            piece = s[i:i + width]
            if len(piece) != width or not piece.isdigit():
                raise ValueError(s)
            v = int(piece)
            if u == "YYYY":
                y = v
            elif u == "MM":
                mo = v
            elif u == "DD":
                d = v
            elif u in ("HH24", "HH"):
                hh = v
            elif u == "MI":
                mi = v
            else:
                ss = v
            i += width
        else:
            lit = tok[1:-1] if tok.startswith('"') else tok
            if s[i:i + len(lit)] != lit:
                raise ValueError(s)
            i += len(lit)
    if i != len(s) or not (1 <= mo <= 12 and 1 <= d <= 31 and hh < 24 and mi < 60 and ss < 60):
        raise ValueError(s)
    return calendar.timegm((y, mo, d, hh, mi, ss))
