"""vendors: one emulator per vendor API, all served by one sandbox process.

Each vendor module defines a subclass of Vendor.  The sandbox (sandbox.py)
strips the vendor's path prefix ("/stripe"), sets req.sub to the rest
("/v1/invoices") and req.base to "http://127.0.0.1:PORT/stripe", and calls
handle(req) with the sandbox lock held.  A vendor keeps its records in
Tables rendered from the World (world.py) at load time and after
/_sandbox/seed and /_sandbox/touch, plus whatever clients POST.

A vendor answers errors in its own format: the hooks not_found(),
refused(), rate_limited(), server_error() and malformed_body() are also
what the fault injector sends, so an injected 429 looks like the vendor's.
"""

import collections
import hashlib
import json
import math
import re
import time

from httpkit import ApiError, Response, json_response


class Row:
    __slots__ = ("seq", "id", "key", "rec")

    def __init__(self, seq, id_, key, rec):
        self.seq = seq
        self.id = id_
        self.key = key
        self.rec = rec


class Table:
    """Records of one stream in insertion order, by id and by world key."""

    def __init__(self):
        self.rows = []
        self.by_id = {}
        self.by_key = {}
        self.seq = 0

    def put(self, id_, rec, key=None):
        self.seq += 1
        row = Row(self.seq, id_, key, rec)
        self.rows.append(row)
        self.by_id[id_] = row
        if key is not None:
            self.by_key[key] = row
        return row

    def replace(self, key, rec):
        row = self.by_key.get(key)
        if row is not None:
            row.rec = rec
        return row

    def get(self, id_):
        return self.by_id.get(id_)

    def remove(self, id_):
        row = self.by_id.pop(id_, None)
        if row is not None:
            self.rows.remove(row)
            if row.key is not None:
                self.by_key.pop(row.key, None)
        return row

    def __len__(self):
        return len(self.rows)


class RateWindow:
    """Requests counted over a sliding window, for vendors that report their
    rate limits in response headers.  The sandbox reports; it does not
    throttle (a rate-limit fault does that, on demand)."""

    def __init__(self, limit, seconds):
        self.limit = limit
        self.seconds = seconds
        self.hits = collections.deque()
        self.total = 0

    def _trim(self, now):
        while self.hits and now - self.hits[0] >= self.seconds:
            self.hits.popleft()

    def hit(self):
        now = time.monotonic()
        self._trim(now)
        self.hits.append(now)
        self.total += 1

    def remaining(self):
        self._trim(time.monotonic())
        return max(self.limit - len(self.hits), 0)

    def reset_in(self):
        """Whole seconds until the oldest counted request leaves the window."""
        now = time.monotonic()
        self._trim(now)
        if not self.hits:
            return 0
        return max(1, math.ceil(self.seconds - (now - self.hits[0])))


_ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def stable_id(n, *parts):
    """n alphanumerics that are a pure function of parts (ids of things
    that have no world entity of their own: prices, line items)."""
    d = hashlib.sha256("|".join(str(p) for p in parts).encode("utf-8")).digest()
    v = int.from_bytes(d, "big")
    out = []
    for _ in range(n):
        v, r = divmod(v, 62)
        out.append(_ALNUM[r])
    return "".join(out)


def fingerprint(req):
    """What makes two requests "the same parameters" for idempotency: the
    method, the path and the body (JSON compared as data, forms as sorted
    pairs, anything else as bytes)."""
    ct = req.content_type()
    body = req.body
    if ct == "application/json":
        try:
            body = json.dumps(json.loads(body.decode("utf-8")), sort_keys=True).encode("utf-8")
        except (ValueError, UnicodeDecodeError):
            pass
    elif ct == "application/x-www-form-urlencoded":
        body = "&".join("%s=%s" % kv for kv in sorted(req.form())).encode("utf-8")
    h = hashlib.sha256()
    h.update(req.method.encode() + b" " + req.sub.encode("utf-8") + b"?" + req.raw_query.encode()
             + b"\n" + body)
    return h.hexdigest()


class Vendor:
    name = ""
    prefix = ""
    # [(method, path regex, handler method name)], matched against req.sub
    routes = []
    # stream name -> world kind, for /_sandbox/seed {"vendor","stream"}
    stream_kinds = {}
    # Retry-After an injected 429 carries when the fault does not say:
    # seconds, or None for no header at all.
    default_retry_after = 1

    def __init__(self, sandbox):
        self.sb = sandbox
        self._routes = [(m, re.compile(p), getattr(self, fn)) for m, p, fn in self.routes]
        self.tables = {}
        self.idem = {}

    # ---- data ----

    def load(self, world):
        """Forget every table; they are rendered from `world` on first use
        (ensure()), so the sandbox starts fast and pays per vendor used."""
        self.world = world
        self.loaded = False
        self.tables = {}
        self.idem = {}
        self.clear()

    def ensure(self):
        """Render the tables from the world if that has not happened yet."""
        if not self.loaded:
            self.loaded = True
            for kind in self.world.lists:
                self.add(self.world.lists[kind])

    def clear(self):
        """Drop vendor-specific state beyond tables (tokens, cursors)."""

    def table(self, name):
        t = self.tables.get(name)
        if t is None:
            t = self.tables[name] = Table()
        return t

    def render(self, entity):
        """[(table name, id, record)] for a world entity this vendor holds."""
        return []

    def add(self, entities):
        if not self.loaded:
            return
        for e in entities:
            if self.name in e["systems"]:
                for tname, id_, rec in self.render(e):
                    self.table(tname).put(id_, rec, key=(e["kind"], e["key"]))

    def update(self, entities):
        if not self.loaded:
            return
        for e in entities:
            if self.name in e["systems"]:
                for tname, _id, rec in self.render(e):
                    self.table(tname).replace((e["kind"], e["key"]), rec)

    def streams(self):
        """[(stream, path below the prefix, record count)] for /_sandbox/streams."""
        return []

    # ---- requests ----

    def authenticate(self, req):
        """Raise ApiError with the vendor's refusal unless req carries the
        sandbox credentials.  Every vendor overrides this; the default
        refuses."""
        raise ApiError(self.refused(req, 401))

    def handle(self, req):
        self.ensure()
        if not req.replaying:
            try:
                self.authenticate(req)
            except ApiError as e:
                return e.response
        allowed = []
        for method, rx, fn in self._routes:
            m = rx.fullmatch(req.sub)
            if m:
                if method == req.method:
                    try:
                        return fn(req, *m.groups())
                    except ApiError as e:
                        return e.response
                allowed.append(method)
        if allowed:
            return self.method_not_allowed(req, allowed)
        return self.not_found(req)

    def idempotent(self, req, key, run):
        """Run `run()` once per idempotency key: a later request with the
        same key and the same parameters gets the first response again
        (marked replayed); with other parameters, idem_mismatch()."""
        if not key:
            return run()
        fp = fingerprint(req)
        hit = self.idem.get(key)
        if hit is not None:
            if hit[0] != fp:
                return self.idem_mismatch(req, key)
            r = hit[1].copy()
            r.replayed = True
            self.mark_replay(r)
            return r
        resp = run()
        if 200 <= resp.status < 300:
            self.idem[key] = (fp, resp.copy())
        return resp

    def mark_replay(self, resp):
        """Headers a vendor adds to a replayed response."""

    # ---- the vendor's error shapes ----

    def error(self, status, message, **extra):
        """A generic error in this vendor's format."""
        return json_response(status, {"error": {"message": message, **extra}})

    def not_found(self, req):
        return self.error(404, "Unrecognized request URL (%s: %s)" % (req.method, req.sub))

    def method_not_allowed(self, req, allowed):
        r = self.error(405, "Method %s not allowed on %s" % (req.method, req.sub))
        r.set_header("Allow", ", ".join(sorted(set(allowed))))
        return r

    def refused(self, req, status):
        return self.error(status, "Unauthorized" if status == 401 else "Forbidden")

    def rate_limited(self, req, retry_after):
        r = self.error(429, "Too many requests")
        if retry_after is not None:
            r.set_header("Retry-After", retry_after)
        return r

    def native_rate_limit(self, req, retry_after):
        """The vendor's own way of saying "slow down" (fault kind rate_limit)."""
        return self.rate_limited(req, retry_after)

    def server_error(self, req, status):
        if status in (502, 503, 504):
            reason = {502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout"}[status]
            return Response(status, "<html><head><title>%d %s</title></head><body><h1>%d %s</h1>"
                            "</body></html>\n" % (status, reason, status, reason),
                            content_type="text/html")
        return self.error(status, "An unexpected error occurred")

    def idem_mismatch(self, req, key):
        return self.error(422, "Idempotency key %s was used with other parameters" % key)


def all_vendor_classes():
    from vendors import (chargebee, hubspot, netsuite, revrec, salesforce, servicenow, stripe,
                         zendesk)
    return [stripe.Stripe, zendesk.Zendesk, salesforce.Salesforce, netsuite.NetSuite,
            chargebee.Chargebee, hubspot.HubSpot, servicenow.ServiceNow, revrec.RevRec]
