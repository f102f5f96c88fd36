"""httpkit: the request and response objects the vendor emulators work with.

A Request is built once per HTTP request by the server (sandbox.py) and
handed to exactly one vendor.  A vendor answers with a Response, or raises
ApiError carrying a ready Response (an error in that vendor's own format).
Everything here is plain data; nothing touches a socket.
"""

import base64
import binascii
import email.utils
import json
import time
import urllib.parse


class ApiError(Exception):
    """Raised by a vendor handler to answer with `response` at once."""

    def __init__(self, response):
        super().__init__(response.status)
        self.response = response


def parse_qsl(raw):
    """Decode an application/x-www-form-urlencoded string into (name, value)
    pairs, keeping order and blank values ('+' is a space)."""
    return urllib.parse.parse_qsl(raw, keep_blank_values=True)


class Request:
    """One HTTP request.

    method      "GET", "POST", ...
    path        the decoded path, without the query
    raw_path    the path exactly as sent (percent-encoding kept)
    raw_query   the query string exactly as sent ("" when none)
    query       [(name, value)] decoded pairs, in order
    headers     the http.client.HTTPMessage (case-insensitive get)
    body        bytes
    origin      "http://HOST:PORT" as the client addressed us (Host header)
    sub         the path below the vendor prefix, set by the dispatcher
    base        origin + vendor prefix, set by the dispatcher
    mutated     set True by a handler that changed vendor data, so the
                request is journaled
    """

    def __init__(self, method, target, headers, body, origin):
        self.method = method.upper()
        path, _, query = target.partition("?")
        self.raw_path = path
        self.raw_query = query
        self.path = urllib.parse.unquote(path)
        self.query = parse_qsl(query)
        self.headers = headers
        self.body = body or b""
        self.origin = origin
        self.sub = self.path
        self.base = origin
        self.mutated = False
        self.replaying = False

    def q(self, name, default=None):
        """The first value of query parameter `name`, or `default`."""
        for k, v in self.query:
            if k == name:
                return v
        return default

    def qall(self, name):
        return [v for k, v in self.query if k == name]

    def header(self, name, default=None):
        v = self.headers.get(name)
        return default if v is None else v

    def content_type(self):
        return (self.header("Content-Type", "") or "").split(";")[0].strip().lower()

    def form(self):
        """Body pairs when the body is form-encoded, else []."""
        if self.content_type() != "application/x-www-form-urlencoded":
            return []
        return parse_qsl(self.body.decode("utf-8", "replace"))

    def json(self):
        """The body parsed as JSON; raises ValueError when it is not."""
        return json.loads(self.body.decode("utf-8"))

    def basic_auth(self):
        """(user, password) from an Authorization: Basic header, or None."""
        scheme, _, cred = self.header("Authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            raw = base64.b64decode(cred.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return None
        user, sep, password = raw.partition(":")
        if not sep:
            return None
        return user, password

    def bearer(self):
        """The token of an Authorization: Bearer header, or None."""
        scheme, _, cred = self.header("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not cred.strip():
            return None
        return cred.strip()

    def auth_scheme(self):
        """The scheme of the Authorization header, lowercased, or None."""
        a = self.header("Authorization")
        if not a:
            return None
        return a.split(" ", 1)[0].lower()


class Response:
    """What a vendor answers.  `headers` is a list of (name, value)."""

    def __init__(self, status, body=b"", headers=None, content_type=None):
        self.status = status
        self.body = body if isinstance(body, bytes) else body.encode("utf-8")
        self.headers = list(headers or [])
        if content_type is not None:
            self.headers.insert(0, ("Content-Type", content_type))
        self.replayed = False

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def set_header(self, name, value):
        self.headers = [(k, v) for k, v in self.headers if k.lower() != name.lower()]
        self.headers.append((name, value))

    def copy(self):
        r = Response(self.status, self.body, self.headers)
        r.replayed = self.replayed
        return r


def dumps(obj):
    """Compact JSON, UTF-8, keys in insertion order (vendors do not sort)."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def json_response(status, obj, headers=None, content_type="application/json; charset=utf-8"):
    return Response(status, dumps(obj), headers, content_type)


def url(base, path, params=None):
    """base + path + "?" + params encoded the way browsers and curl do."""
    u = base + path
    if params:
        u += "?" + urllib.parse.urlencode(params)
    return u


def http_date(epoch):
    """An IMF-fixdate, as Retry-After and Date carry."""
    return email.utils.formatdate(epoch, usegmt=True)


def retry_after_value(seconds, fmt):
    """A Retry-After header value: delta-seconds or an HTTP-date."""
    if fmt == "http-date":
        return http_date(int(time.time()) + int(seconds) + 1)
    return str(int(seconds))


def b64e(s):
    return base64.urlsafe_b64encode(s.encode("utf-8")).decode("ascii").rstrip("=")


def b64d(s):
    """Inverse of b64e; raises ValueError on junk."""
    try:
        pad = "=" * (-len(s) % 4)
        return base64.urlsafe_b64decode(s + pad).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as e:
        raise ValueError(str(e)) from None


def parse_int(s, lo=None, hi=None):
    """A decimal integer within [lo, hi], or ValueError."""
    if not isinstance(s, str) or not s.strip().lstrip("-").isdigit():
        raise ValueError(s)
    n = int(s)
    if lo is not None and n < lo:
        raise ValueError(s)
    if hi is not None and n > hi:
        raise ValueError(s)
    return n


def unflatten(pairs):
    """Rails/Stripe-style bracketed form fields as nested data:
    metadata[k]=v -> {"metadata": {"k": "v"}}; lines[0][amount]=5 ->
    {"lines": [{"amount": "5"}]}; expand[]=a&expand[]=b -> {"expand": ["a", "b"]}.
    Raises ValueError on a malformed name or a name used two ways."""
    out = {}
    for name, value in pairs:
        head, _, rest = name.partition("[")
        if not head:
            raise ValueError(name)
        keys = [head]
        while rest:
            k, sep, rest = rest.partition("]")
            if not sep:
                raise ValueError(name)
            keys.append(k)
            if rest:
                if not rest.startswith("["):
                    raise ValueError(name)
                rest = rest[1:]
        node = out
        for i, k in enumerate(keys):
            last = i == len(keys) - 1
            if isinstance(node, list):
                if k == "":
                    if last:
                        node.append(value)
                        break
                    node.append({})
                    node = node[-1]
                    continue
                if not k.isdigit():
                    raise ValueError(name)
                idx = int(k)
                while len(node) <= idx:
                    node.append(None)
                if last:
                    node[idx] = value
                    break
                if node[idx] is None:
                    node[idx] = [] if keys[i + 1] == "" or keys[i + 1].isdigit() else {}
                node = node[idx]
                continue
            if last:
                if k in node and not isinstance(node[k], str):
                    raise ValueError(name)
                node[k] = value
                break
            nxt = keys[i + 1]
            want_list = nxt == "" or nxt.isdigit()
            if k not in node:
                node[k] = [] if want_list else {}
            elif isinstance(node[k], str) or isinstance(node[k], list) != want_list:
                raise ValueError(name)
            node = node[k]
    return out
