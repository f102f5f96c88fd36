#!/usr/bin/env python3
"""sandbox: a loopback emulator of the vendor APIs sgp talks to.

    python3 contrib/sandbox/sandbox.py [--port 0] [--port-file FILE] [--seed N]
        [--scale N] [--data-dir DIR] [--salesforce-batch-size N]
        [--salesforce-token-ttl SECONDS] [--verbose]

One process serves Stripe (/stripe), Zendesk (/zendesk), Salesforce
(/salesforce), NetSuite (/netsuite), Chargebee (/chargebee), HubSpot
(/hubspot), ServiceNow (/servicenow) and a revenue-recognition platform
(/revrec) on 127.0.0.1, with seeded data, the vendors' own auth,
pagination, errors and idempotency, and a control API under /_sandbox/
(faults, request log, seeding, reset).  See README.md beside this file.

The first line on stdout is "listening on http://127.0.0.1:PORT".  SIGTERM
or SIGINT stops it cleanly with status 0.  Python 3 standard library only.
"""

import argparse
import base64
import http.client
import json
import os
import signal
import socket
import struct
import sys
import threading
import time
import traceback
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import world as W  # noqa: E402
from httpkit import Request, Response, dumps, json_response, retry_after_value  # noqa: E402
from vendors import all_vendor_classes  # noqa: E402

PROG = "sandbox"

# (name, environment variable, default): the fixed sandbox credentials.
CREDENTIALS = [
    ("stripe_key", "SGP_SANDBOX_STRIPE_KEY", "sk_test_sgp_sandbox"),
    ("zendesk_email", "SGP_SANDBOX_ZENDESK_EMAIL", "agent@sgp-sandbox.example"),
    ("zendesk_token", "SGP_SANDBOX_ZENDESK_TOKEN", "zd_sgp_sandbox_token"),
    ("zendesk_oauth_token", "SGP_SANDBOX_ZENDESK_OAUTH_TOKEN", "zd_oauth_sgp_sandbox"),
    ("salesforce_client_id", "SGP_SANDBOX_SALESFORCE_CLIENT_ID", "sgp_sandbox_client"),
    ("salesforce_client_secret", "SGP_SANDBOX_SALESFORCE_CLIENT_SECRET", "sf_sgp_sandbox_secret"),
    ("netsuite_account", "SGP_SANDBOX_NETSUITE_ACCOUNT", "1234567_SB1"),
    ("netsuite_consumer_key", "SGP_SANDBOX_NETSUITE_CONSUMER_KEY", "ns_sgp_consumer_key"),
    ("netsuite_consumer_secret", "SGP_SANDBOX_NETSUITE_CONSUMER_SECRET", "ns_sgp_consumer_secret"),
    ("netsuite_token_id", "SGP_SANDBOX_NETSUITE_TOKEN_ID", "ns_sgp_token_id"),
    ("netsuite_token_secret", "SGP_SANDBOX_NETSUITE_TOKEN_SECRET", "ns_sgp_token_secret"),
    ("chargebee_key", "SGP_SANDBOX_CHARGEBEE_KEY", "test_sgp_sandbox_chargebee"),
    ("hubspot_token", "SGP_SANDBOX_HUBSPOT_TOKEN", "pat-na1-sgp-sandbox"),
    ("servicenow_user", "SGP_SANDBOX_SERVICENOW_USER", "sgp.integration"),
    ("servicenow_password", "SGP_SANDBOX_SERVICENOW_PASSWORD", "sgp-sandbox-pass"),
    ("revrec_key", "SGP_SANDBOX_REVREC_KEY", "rr_test_sgp_sandbox"),
]

# Headers never written to the request log or the journal: they carry secrets.
SECRET_HEADERS = {"authorization", "proxy-authorization", "cookie", "x-api-key"}
# Form fields whose values the request log replaces with "REDACTED".
SECRET_FIELDS = {"client_secret", "password", "refresh_token", "client_assertion"}

NAMED_FAULTS = ("rate_limit", "slow", "reset", "hangup", "malformed")
FAULT_KEYS = {"path_prefix", "method", "kind", "count", "skip", "retry_after",
              "retry_after_format", "delay_ms", "body_bytes"}


class ConfigError(Exception):
    """A --data-dir that cannot be used as asked (exit 2)."""


class ControlError(Exception):
    def __init__(self, status, message):
        super().__init__(message)
        self.status = status
        self.message = message


class Fault:
    """One injected fault: delivered to the next `count` requests whose path
    starts with `path_prefix` (and whose method is `method`, if given),
    after letting `skip` matching requests through."""

    def __init__(self, fid, spec):
        unknown = set(spec) - FAULT_KEYS
        if unknown:
            raise ControlError(400, "unknown fault field %s" % ", ".join(sorted(unknown)))
        self.id = fid
        self.path_prefix = spec.get("path_prefix")
        if not isinstance(self.path_prefix, str) or not self.path_prefix.startswith("/"):
            raise ControlError(400, "path_prefix must be a path starting with /")
        self.method = spec.get("method")
        if self.method is not None:
            if not isinstance(self.method, str):
                raise ControlError(400, "method must be a string")
            self.method = self.method.upper()
        kind = spec.get("kind")
        if isinstance(kind, int) and not isinstance(kind, bool):
            kind = str(kind)
        if not isinstance(kind, str):
            raise ControlError(400, "kind must be a string")
        if kind.isdigit():
            st = int(kind)
            if not (400 <= st <= 599):
                raise ControlError(400, "a status fault must be 4xx or 5xx, not %s" % kind)
        elif kind not in NAMED_FAULTS:
            raise ControlError(400, "unknown fault kind %r (a 4xx/5xx status or one of %s)"
                               % (kind, ", ".join(NAMED_FAULTS)))
        self.kind = kind
        for field, kinds in (("delay_ms", ("slow",)), ("body_bytes", ("reset",))):
            if field in spec and kind not in kinds:
                raise ControlError(400, "%s applies to kind %s only" % (field, " or ".join(kinds)))
        if ("retry_after" in spec or "retry_after_format" in spec) and not (
                kind.isdigit() or kind == "rate_limit"):
            raise ControlError(400, "retry_after applies to status and rate_limit faults only")
        self.count = self._int(spec, "count", 1, 1)
        self.skip = self._int(spec, "skip", 0, 0)
        self.retry_after_given = "retry_after" in spec
        ra = spec.get("retry_after")
        if ra is not None and (isinstance(ra, bool) or not isinstance(ra, int) or ra < 0):
            raise ControlError(400, "retry_after must be a whole number of seconds or null")
        self.retry_after = ra
        self.retry_after_format = spec.get("retry_after_format", "seconds")
        if self.retry_after_format not in ("seconds", "http-date"):
            raise ControlError(400, "retry_after_format must be \"seconds\" or \"http-date\"")
        self.delay_ms = self._int(spec, "delay_ms", 1000 if kind == "slow" else 0, 0)
        self.body_bytes = spec.get("body_bytes")
        if self.body_bytes is not None:
            self.body_bytes = self._int(spec, "body_bytes", 0, 0)
        self.seen = 0
        self.delivered = 0

    @staticmethod
    def _int(spec, name, default, lo):
        v = spec.get(name, default)
        if isinstance(v, bool) or not isinstance(v, int) or v < lo:
            raise ControlError(400, "%s must be a whole number >= %d" % (name, lo))
        return v

    def matches(self, req):
        return req.path.startswith(self.path_prefix) and (self.method is None or req.method == self.method)

    def as_json(self):
        d = {"id": self.id, "path_prefix": self.path_prefix, "method": self.method,
             "kind": self.kind, "count": self.count, "skip": self.skip,
             "delivered": self.delivered, "remaining": self.count - self.delivered}
        if self.retry_after_given:
            d["retry_after"] = self.retry_after
            d["retry_after_format"] = self.retry_after_format
        if self.kind == "slow":
            d["delay_ms"] = self.delay_ms
        if self.body_bytes is not None:
            d["body_bytes"] = self.body_bytes
        return d


class Sandbox:
    """All state: the world, the vendors, faults, the request log, the journal."""

    def __init__(self, seed, scale, data_dir=None, creds=None, sf_batch=2000, sf_ttl=7200,
                 verbose=False):
        self.seed = seed
        self.scale = scale
        self.data_dir = data_dir
        self.creds = creds or {name: default for name, _env, default in CREDENTIALS}
        self.sf_batch = sf_batch
        self.sf_ttl = sf_ttl
        self.verbose = verbose
        self.lock = threading.RLock()
        self.vendors = [cls(self) for cls in all_vendor_classes()]
        self.by_name = {v.name: v for v in self.vendors}
        self.log = []
        self.log_seq = 0
        self.faults = []
        self.fault_seq = 0
        self.world = None
        self.dirty = False  # the world or a vendor's records changed since the last build
        self.started = time.time()
        self._build()
        if data_dir:
            self._open_data_dir()

    # ---- state ----

    def _build(self):
        self.world = W.World(self.seed, self.scale)
        for v in self.vendors:
            v.load(self.world)
        self.dirty = False

    def reset(self):
        """Back to the seeded state: the world and every vendor's records
        (rebuilt only if something changed them), tokens aside; the request
        log, faults, idempotency keys, cursors and nonces are cleared."""
        with self.lock:
            if self.dirty:
                self._build()
            else:
                for v in self.vendors:
                    v.clear()
            self.log = []
            self.log_seq = 0
            self.faults = []
            if self.data_dir:
                for name in ("journal.ndjson", "requests.ndjson"):
                    with open(os.path.join(self.data_dir, name), "w", encoding="utf-8"):
                        pass

    def vendor_for(self, path):
        for v in self.vendors:
            if path == v.prefix or path.startswith(v.prefix + "/"):
                return v
        return None

    # ---- data dir: journal of changes, replayed at start ----

    def _open_data_dir(self):
        d = self.data_dir
        os.makedirs(d, exist_ok=True)
        meta_path = os.path.join(d, "meta.json")
        meta = {"seed": self.seed, "scale": self.scale}
        if os.path.exists(meta_path):
            try:
                with open(meta_path, encoding="utf-8") as f:
                    old = json.load(f)
            except ValueError:
                raise ConfigError("'%s' is not JSON" % meta_path) from None
            if not isinstance(old, dict) or old != meta:
                old = old if isinstance(old, dict) else {}
                raise ConfigError("'%s' holds a sandbox made with --seed %s --scale %s"
                                  % (d, old.get("seed"), old.get("scale")))
        else:
            with open(meta_path, "w", encoding="utf-8") as f:
                f.write(dumps(meta) + "\n")
        jpath = os.path.join(d, "journal.ndjson")
        if os.path.exists(jpath):
            with open(jpath, encoding="utf-8") as f:
                for n, line in enumerate(f, 1):
                    if not line.strip():
                        continue
                    try:
                        op = json.loads(line)
                        self._replay(op)
                    except (ValueError, KeyError, TypeError, AttributeError, ControlError):
                        raise ConfigError("'%s' line %d is not a journal entry this sandbox can replay"
                                          % (jpath, n)) from None

    def _journal(self, op):
        if self.data_dir:
            with open(os.path.join(self.data_dir, "journal.ndjson"), "a", encoding="utf-8") as f:
                f.write(dumps(op) + "\n")
                f.flush()
                os.fsync(f.fileno())

    def _replay(self, op):
        kind = op.get("op")
        if kind == "seed":
            self.seed_records(op["body"], journal=False)
        elif kind == "touch":
            self.touch_records(op["body"], journal=False)
        elif kind == "request":
            headers = http.client.HTTPMessage()
            for k, v in op["headers"]:
                headers[k] = v
            req = Request(op["method"], op["target"], headers, base64.b64decode(op["body"]),
                          op["origin"])
            req.replaying = True
            v = self.vendor_for(req.path)
            req.sub = req.path[len(v.prefix):]
            req.base = req.origin + v.prefix
            v.handle(req)

    # ---- control operations ----

    def _resolve_kind(self, body):
        """(kind, systems, billing) from a seed/touch body."""
        if not isinstance(body, dict):
            raise ControlError(400, "the body must be a JSON object")
        systems = body.get("systems")
        if systems is not None:
            if not isinstance(systems, list) or any(s not in W.SYSTEMS for s in systems):
                raise ControlError(400, "systems must be a list of %s" % ", ".join(W.SYSTEMS))
            systems = set(systems)
        billing = None
        if "kind" in body:
            kind = body["kind"]
            if kind not in W.KINDS:
                raise ControlError(400, "unknown kind %r (one of %s)" % (kind, ", ".join(W.KINDS)))
            if systems:
                billing = next((s for s in ("stripe", "chargebee") if s in systems), None)
        elif "vendor" in body and "stream" in body:
            v = self.by_name.get(body["vendor"])
            if v is None:
                raise ControlError(400, "unknown vendor %r" % body["vendor"])
            kind = v.stream_kinds.get(body["stream"])
            if kind is None:
                raise ControlError(400, "vendor %s has no stream %r (one of %s)" % (
                    v.name, body["stream"], ", ".join(v.stream_kinds)))
            if v.name in ("stripe", "chargebee"):
                billing = v.name
        else:
            raise ControlError(400, "say what to add: {\"kind\": ...} or {\"vendor\": ..., \"stream\": ...}")
        return kind, systems, billing

    @staticmethod
    def summary(e):
        ids = {k: v for k, v in e.get("ids", {}).items() if v is not None}
        return {"kind": e["kind"], "key": e["key"], "systems": sorted(e["systems"]), "ids": ids,
                "updated": W.iso(e["updated"])}

    def seed_records(self, body, journal=True):
        with self.lock:
            kind, systems, billing = self._resolve_kind(body)
            count = body.get("count", 1)
            if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 10000:
                raise ControlError(400, "count must be a whole number from 1 to 10000")
            if kind == "schedule":
                raise ControlError(400, "revenue schedules come with contracts: add kind \"contract\"")
            try:
                made = self.world.add(kind, count, systems, billing)
            except ValueError as e:
                raise ControlError(400, str(e)) from None
            for v in self.vendors:
                v.add(made)
            self.dirty = True
            if journal:
                self._journal({"op": "seed", "body": body})
            return {"created": [self.summary(e) for e in made], "clock": W.iso(self.world.clock)}

    def touch_records(self, body, journal=True):
        with self.lock:
            kind, _systems, _billing = self._resolve_kind(body)
            count = body.get("count", 1)
            if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 10000:
                raise ControlError(400, "count must be a whole number from 1 to 10000")
            try:
                done = self.world.touch(kind, count)
            except ValueError as e:
                raise ControlError(400, str(e)) from None
            for v in self.vendors:
                v.update(done)
            self.dirty = True
            if journal:
                self._journal({"op": "touch", "body": body})
            return {"touched": [self.summary(e) for e in done], "clock": W.iso(self.world.clock)}

    def add_faults(self, body):
        specs = body if isinstance(body, list) else [body]
        made = []
        with self.lock:
            for spec in specs:
                if not isinstance(spec, dict):
                    raise ControlError(400, "a fault is a JSON object")
                self.fault_seq += 1
                made.append(Fault(self.fault_seq, spec))
            self.faults.extend(made)
        return {"faults": [f.as_json() for f in made]}

    def take_fault(self, req):
        """The fault to deliver to req, if one is due; counts it."""
        for f in self.faults:
            if f.delivered >= f.count or not f.matches(req):
                continue
            f.seen += 1
            if f.seen <= f.skip:
                continue
            f.delivered += 1
            return f
        return None

    def requests(self, req):
        vendor = req.q("vendor")
        method = req.q("method")
        prefix = req.q("path_prefix")
        since = req.q("since")
        try:
            since = int(since) if since is not None else 0
        except ValueError:
            raise ControlError(400, "since must be a request sequence number") from None
        out = []
        with self.lock:
            for e in self.log:
                if e["seq"] <= since:
                    continue
                if vendor and e["vendor"] != vendor:
                    continue
                if method and e["method"] != method.upper():
                    continue
                if prefix and not e["path"].startswith(prefix):
                    continue
                out.append(dict(e))
            return {"requests": out, "count": len(out)}

    def streams(self):
        out = []
        with self.lock:
            for v in self.vendors:
                v.ensure()
                for name, path, count in v.streams():
                    out.append({"vendor": v.name, "stream": name, "path": v.prefix + path,
                                "count": count})
        return {"streams": out}

    def crosswalk(self, kind):
        if kind not in ("customer", "contract", "invoice", "credit_note", "ticket", "case",
                        "opportunity", "schedule"):
            raise ControlError(400, "unknown kind %r" % kind)
        items = []
        with self.lock:
            for e in self.world.lists[kind]:
                s = self.summary(e)
                if "currency" in e:
                    s["currency"] = e["currency"].upper()
                for money in ("total", "tcv", "amount"):
                    if money in e and isinstance(e[money], int):
                        s[money] = W.dec(e[money], e["currency"])
                if "customer" in e:
                    s["customer"] = e["customer"]["key"]
                if kind == "customer":
                    s["name"] = e["name"]
                    s["billing"] = e["billing"]
                if kind == "invoice":
                    s["number"] = e["ids"]["number"]
                    s["status"] = e["status"]
                if kind in ("ticket", "case") and e["credit"]:
                    s["credit"] = {"amount": W.dec(e["credit"]["amount"], e["credit"]["currency"]),
                                   "currency": e["credit"]["currency"].upper(),
                                   "invoice": e["credit"]["invoice"]["key"]}
                items.append(s)
        return {"kind": kind, "items": items}

    def health(self):
        with self.lock:
            return {"status": "ok", "seed": self.seed, "scale": self.scale,
                    "clock": W.iso(self.world.clock), "requests": len(self.log),
                    "faults_pending": sum(f.count - f.delivered for f in self.faults),
                    "vendors": {v.name: v.prefix for v in self.vendors},
                    "uptime_seconds": int(time.time() - self.started)}

    def control(self, req):
        """The /_sandbox/ control API."""
        sub = req.path[len("/_sandbox"):]
        m = req.method

        def body():
            if not req.body.strip():
                return {}
            try:
                return req.json()
            except ValueError:
                raise ControlError(400, "the body is not valid JSON") from None

        if sub == "/health" and m == "GET":
            return 200, self.health()
        if sub == "/requests" and m == "GET":
            return 200, self.requests(req)
        if sub == "/requests" and m == "DELETE":
            with self.lock:
                n = len(self.log)
                self.log = []
            return 200, {"cleared": n}
        if sub == "/reset" and m == "POST":
            self.reset()
            return 200, {"status": "reset", "clock": W.iso(self.world.clock)}
        if sub == "/faults" and m == "GET":
            with self.lock:
                return 200, {"faults": [f.as_json() for f in self.faults]}
        if sub == "/faults" and m == "POST":
            return 201, self.add_faults(body())
        if sub == "/faults" and m == "DELETE":
            with self.lock:
                n = len(self.faults)
                self.faults = []
            return 200, {"cleared": n}
        if sub == "/seed" and m == "POST":
            return 201, self.seed_records(body())
        if sub == "/touch" and m == "POST":
            return 200, self.touch_records(body())
        if sub == "/streams" and m == "GET":
            return 200, self.streams()
        if sub == "/crosswalk" and m == "GET":
            return 200, self.crosswalk(req.q("kind", "customer"))
        if sub == "/tokens/expire" and m == "POST":
            with self.lock:
                return 200, {"expired": self.by_name["salesforce"].expire_tokens()}
        if sub in ("/health", "/requests", "/reset", "/faults", "/seed", "/touch", "/streams",
                   "/crosswalk", "/tokens/expire"):
            raise ControlError(405, "method %s not allowed on /_sandbox%s" % (m, sub))
        raise ControlError(404, "no sandbox endpoint /_sandbox%s" % sub)

    # ---- vendor traffic ----

    def _log_entry(self, req, vendor):
        headers = {}
        for k, v in req.headers.items():
            if k.lower() not in SECRET_HEADERS:
                headers[k] = v
        body = req.body
        text = None
        b64 = None
        if body:
            try:
                text = body.decode("utf-8")
            except UnicodeDecodeError:
                b64 = base64.b64encode(body).decode("ascii")
            if text is not None and req.content_type() == "application/x-www-form-urlencoded":
                pairs = req.form()
                if any(k in SECRET_FIELDS for k, _ in pairs):
                    text = urllib.parse.urlencode([(k, "REDACTED" if k in SECRET_FIELDS else v)
                                                   for k, v in pairs])
        self.log_seq += 1
        now = time.time()
        e = {"seq": self.log_seq,
             "at": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + ".%03dZ" % (int(now * 1000) % 1000),
             "vendor": vendor.name, "method": req.method, "path": req.path,
             "query": req.raw_query, "headers": headers,
             "auth": req.auth_scheme() or ("x-api-key" if req.header("X-API-Key") else None),
             "body": text, "status": None, "fault": None, "replayed": False}
        if b64 is not None:
            e["body_base64"] = b64
        self.log.append(e)
        return e

    def _finish_entry(self, e, status):
        e["status"] = status
        if self.data_dir:
            with open(os.path.join(self.data_dir, "requests.ndjson"), "a", encoding="utf-8") as f:
                f.write(dumps(e) + "\n")

    def serve_vendor(self, req, vendor):
        """-> (Response, action, fault) where action is None, "reset" or "hangup"."""
        req.sub = req.path[len(vendor.prefix):] or "/"
        req.base = req.origin + vendor.prefix
        with self.lock:
            entry = self._log_entry(req, vendor)
            fault = self.take_fault(req)
            if fault is not None:
                entry["fault"] = fault.kind
        if fault is not None and fault.kind == "slow":
            time.sleep(fault.delay_ms / 1000.0)
        with self.lock:
            if fault is not None and fault.kind == "hangup":
                self._finish_entry(entry, None)
                return None, "hangup", fault
            resp = self._fault_response(req, vendor, fault) if fault is not None else None
            if resp is None:
                # A request that changes nothing leaves the world clock and id
                # sequences as they were, even if its handler drew on them
                # before refusing it: replaying the journal depends on that.
                clock, counters = self.world.clock, dict(self.world.counters)
                resp = vendor.handle(req)
                if not req.mutated:
                    self.world.clock, self.world.counters = clock, counters
                else:
                    self.dirty = True
                    self._journal({"op": "request", "method": req.method,
                                   "target": req.raw_path + ("?" + req.raw_query if req.raw_query else ""),
                                   "origin": req.origin,
                                   "headers": [[k, v] for k, v in req.headers.items()
                                               if k.lower() not in SECRET_HEADERS],
                                   "body": base64.b64encode(req.body).decode("ascii")})
            entry["replayed"] = resp.replayed
            action = None
            if fault is not None and fault.kind == "malformed":
                cut = resp.body[:len(resp.body) // 2] if len(resp.body) >= 2 else b'{"'
                resp = Response(200, cut, [(k, v) for k, v in resp.headers
                                           if k.lower() != "content-length"])
                if resp.header("Content-Type") is None:
                    resp.set_header("Content-Type", "application/json")
            elif fault is not None and fault.kind == "reset":
                action = "reset"
            self._finish_entry(entry, resp.status)
        return resp, action, fault

    def _fault_response(self, req, vendor, f):
        """The response an error fault sends instead of the vendor's answer,
        or None when the request is to be served (slow, reset, malformed)."""
        if f.kind in ("slow", "reset", "malformed"):
            return None
        if f.retry_after_given:
            ra = None if f.retry_after is None else retry_after_value(f.retry_after, f.retry_after_format)
        else:
            ra = None
        if f.kind == "rate_limit":
            if not f.retry_after_given and vendor.default_retry_after is not None:
                ra = str(vendor.default_retry_after)
            return vendor.native_rate_limit(req, ra)
        st = int(f.kind)
        if st == 429:
            if not f.retry_after_given and vendor.default_retry_after is not None:
                ra = str(vendor.default_retry_after)
            return vendor.rate_limited(req, ra)
        if st in (401, 403):
            r = vendor.refused(req, st)
        elif st >= 500:
            r = vendor.server_error(req, st)
        else:
            r = vendor.error(st, "Injected error %d" % st)
        if ra is not None:
            r.set_header("Retry-After", ra)
        return r


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "sgp-sandbox/1"
    sys_version = ""
    timeout = 60  # an idle keep-alive connection is closed after a minute
    sandbox = None  # set by main()

    def version_string(self):
        return self.server_version

    def log_message(self, fmt, *args):
        if self.sandbox.verbose:
            sys.stderr.write("%s: %s\n" % (PROG, fmt % args))

    def log_request(self, code="-", size="-"):
        if self.sandbox.verbose:
            sys.stderr.write("%s: %s %s %s\n" % (PROG, self.command, self.path, code))

    def _read_body(self):
        te = (self.headers.get("Transfer-Encoding") or "").lower()
        if "chunked" in te:
            chunks = []
            while True:
                line = self.rfile.readline(65537)
                size = int(line.split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline(65537)
            return b"".join(chunks)
        n = self.headers.get("Content-Length")
        if n is None:
            return b""
        n = int(n)
        return self.rfile.read(n) if n > 0 else b""

    def _any(self):
        sb = self.sandbox
        try:
            body = self._read_body()
        except (ValueError, OSError):
            self.close_connection = True
            self._write(Response(400, dumps({"error": "unreadable request body"}),
                                 content_type="application/json"))
            return
        host = self.headers.get("Host") or "%s:%d" % self.server.server_address[:2]
        req = Request(self.command, self.path, self.headers, body, "http://" + host)
        if req.path == "/_sandbox" or req.path.startswith("/_sandbox/"):
            try:
                status, obj = sb.control(req)
                self._write(json_response(status, obj))
            except ControlError as e:
                self._write(json_response(e.status, {"error": e.message}))
            return
        vendor = sb.vendor_for(req.path)
        if vendor is None:
            self._write(json_response(404, {"error": "no vendor at %s; vendors are under %s" % (
                req.path, ", ".join(v.prefix for v in sb.vendors))}))
            return
        resp, action, fault = sb.serve_vendor(req, vendor)
        if action == "hangup":
            self._abort()
            return
        if action == "reset":
            cut = fault.body_bytes if fault.body_bytes is not None else len(resp.body) // 2
            self._write(resp, cut=min(cut, max(len(resp.body) - 1, 0)))
            self._abort()
            return
        self._write(resp)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _any

    def _write(self, resp, cut=None):
        self.send_response(resp.status)
        for k, v in resp.headers:
            if k.lower() not in ("content-length", "connection", "date", "server"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(resp.body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        body = resp.body if cut is None else resp.body[:cut]
        if self.command != "HEAD" and resp.status not in (204, 304):
            self.wfile.write(body)
        self.wfile.flush()

    def _abort(self):
        """Close the connection with a TCP reset, mid-reply or before one."""
        self.close_connection = True
        try:
            self.wfile.flush()
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
        except OSError:
            pass

    def handle_one_request(self):
        try:
            super().handle_one_request()
        except (ConnectionError, socket.timeout, OSError) as e:
            if self.sandbox.verbose:
                sys.stderr.write("%s: connection: %s\n" % (PROG, e))
            self.close_connection = True
        except Exception:
            sys.stderr.write("%s: internal error on %s %s\n%s" % (
                PROG, self.command, self.path, traceback.format_exc()))
            self.close_connection = True
            try:
                self._write(Response(500, dumps({"error": "sandbox internal error"}),
                                     content_type="application/json"))
            except OSError:
                pass


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64  # clients with several connections in flight

    def handle_error(self, request, client_address):
        exc = sys.exc_info()[1]
        if isinstance(exc, OSError):
            return
        super().handle_error(request, client_address)


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        sys.stderr.write("%s: %s\n" % (PROG, message))
        sys.exit(2)


def positive(s):
    v = int(s)
    if v < 1:
        raise ValueError(s)
    return v


def main(argv=None):
    ap = _Parser(prog="sandbox.py", description="Loopback emulator of the vendor APIs sgp talks to.")
    ap.add_argument("--port", type=int, default=0, help="TCP port on 127.0.0.1; 0 picks a free one")
    ap.add_argument("--port-file", metavar="FILE", help="also write the port number to FILE")
    ap.add_argument("--seed", type=int, default=1, help="seed of the generated data (default 1)")
    ap.add_argument("--scale", type=positive, default=1, help="multiply record counts by N (default 1)")
    ap.add_argument("--data-dir", metavar="DIR",
                    help="keep a journal of changes in DIR and replay it at start; "
                         "append the request log to DIR/requests.ndjson")
    ap.add_argument("--salesforce-batch-size", type=positive, default=2000, metavar="N",
                    help="records per SOQL page when the client asks for none (default 2000)")
    ap.add_argument("--salesforce-token-ttl", type=positive, default=7200, metavar="SECONDS",
                    help="lifetime of Salesforce access tokens (default 7200)")
    ap.add_argument("--verbose", action="store_true", help="one line per request on stderr")
    args = ap.parse_args(argv)
    if not 0 <= args.port <= 65535:
        ap.error("--port must be 0..65535")

    creds = {name: os.environ.get(env) or default for name, env, default in CREDENTIALS}
    try:
        sb = Sandbox(args.seed, args.scale, args.data_dir, creds, args.salesforce_batch_size,
                     args.salesforce_token_ttl, args.verbose)
    except ConfigError as e:
        sys.stderr.write("%s: %s\n" % (PROG, e))
        return 2
    except OSError as e:
        sys.stderr.write("%s: cannot use data dir '%s': %s\n" % (PROG, args.data_dir, e.strerror))
        return 3
    Handler.sandbox = sb
    try:
        server = Server(("127.0.0.1", args.port), Handler)
    except OSError as e:
        sys.stderr.write("%s: cannot listen on 127.0.0.1:%d: %s\n" % (PROG, args.port, e.strerror))
        return 3
    port = server.server_address[1]
    if args.port_file:
        tmp = args.port_file + ".tmp"
        try:
            with open(tmp, "w", encoding="ascii") as f:
                f.write("%d\n" % port)
            os.replace(tmp, args.port_file)
        except OSError as e:
            sys.stderr.write("%s: cannot write '%s': %s\n" % (PROG, args.port_file, e.strerror))
            server.server_close()
            return 3

    stop = threading.Event()

    def on_signal(signum, frame):
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    t = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    t.start()
    sys.stdout.write("listening on http://127.0.0.1:%d\n" % port)
    sys.stdout.flush()
    while not stop.wait(0.5):
        pass
    server.shutdown()
    server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
