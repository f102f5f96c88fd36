"""HubSpot CRM v3 (https://api.hubapi.com), under /hubspot.

Auth: a private-app token as a Bearer token.
Lists: GET /crm/v3/objects/deals and /crm/v3/objects/companies
  limit (1..100, default 10), after, properties=a,b, archived=false
  -> {"results":[{"id","properties":{...},"createdAt","updatedAt","archived"}],
      "paging":{"next":{"after":"...","link":"..."}}}   (paging absent on the last page)
  Ordered by id.  Property values are strings (amount "1250.00", dates
  2026-11-01T12:00:00.000Z).  Without properties=, the defaults HubSpot
  returns; with it, those asked for plus hs_object_id, createdate and
  hs_lastmodifieddate.
Objects: GET /crm/v3/objects/TYPE/ID.
Search: POST /crm/v3/objects/TYPE/search {"filterGroups":[{"filters":[{"propertyName",
  "operator":EQ|NEQ|LT|LTE|GT|GTE|BETWEEN|IN|NOT_IN|HAS_PROPERTY|NOT_HAS_PROPERTY|CONTAINS_TOKEN,
  "value"|"highValue"|"values"}]}], "sorts":[{"propertyName","direction"}],
  "properties":[...], "limit" (<= 200), "after"}
  -> {"total","results":[...],"paging":{"next":{"after":"100"}}}; at most 10,000 results.
Every response carries X-HubSpot-RateLimit-* headers counting this sandbox's
requests in the current 10-second window; a rate-limit fault answers 429
with RATE_LIMIT and the remaining count at 0.
"""

import base64
import binascii
import decimal
import uuid

import world as W
from httpkit import ApiError, Response, json_response, parse_int, url
from vendors import RateWindow, Vendor

OBJECTS = ("deals", "companies")
DEFAULTS = {"deals": ["amount", "closedate", "createdate", "dealname", "dealstage", "hs_lastmodifieddate",
                      "hs_object_id", "pipeline"],
            "companies": ["createdate", "domain", "hs_lastmodifieddate", "hs_object_id", "name"]}
ALWAYS = ("createdate", "hs_lastmodifieddate", "hs_object_id")
STAGES = {"Prospecting": "appointmentscheduled", "Qualification": "qualifiedtobuy",
          "Needs Analysis": "presentationscheduled", "Proposal/Price Quote": "decisionmakerboughtin",
          "Negotiation/Review": "contractsent", "Closed Won": "closedwon", "Closed Lost": "closedlost"}
DATE_PROPS = {"closedate", "createdate", "hs_lastmodifieddate"}
NUM_PROPS = {"amount", "hs_object_id"}
WINDOW_S = 10
WINDOW_MAX = 190
DAILY = 250000


class HubSpot(Vendor):
    name = "hubspot"
    prefix = "/hubspot"
    default_retry_after = None
    stream_kinds = {"deals": "opportunity", "companies": "customer"}
    routes = [
        ("GET", r"/crm/v3/objects/(deals|companies)", "list_"),
        ("GET", r"/crm/v3/objects/(deals|companies)/(\d+)", "get"),
        ("POST", r"/crm/v3/objects/(deals|companies)/search", "search"),
    ]

    def clear(self):
        self.window = RateWindow(WINDOW_MAX, WINDOW_S)

    # ---- rendering ----

    def render(self, e):
        k = e["kind"]
        if k == "customer":
            c = e
            hid = c["ids"]["hubspot"]
            return [("companies", hid, {"id": hid, "createdAt": W.iso_ms(c["created"]),
                                        "updatedAt": W.iso_ms(c["updated"]), "archived": False,
                                        "properties": {
                                            "name": c["name"], "domain": c["domain"], "country": c["country"],
                                            "city": c["address"]["city"], "lifecyclestage": "customer",
                                            "createdate": W.iso_ms(c["created"]),
                                            "hs_lastmodifieddate": W.iso_ms(c["updated"]), "hs_object_id": hid,
                                            "billing_system": c["billing"],
                                            "billing_customer_id": c["ids"]["stripe"] or c["ids"]["chargebee"],
                                            "netsuite_id": c["ids"]["netsuite"],
                                            "salesforce_account_id": c["ids"]["salesforce"]}})]
        if k == "opportunity":
            o = e
            hid = o["ids"]["hubspot"]
            closed = o["stage"] in ("Closed Won", "Closed Lost")
            return [("deals", hid, {"id": hid, "createdAt": W.iso_ms(o["created"]),
                                    "updatedAt": W.iso_ms(o["updated"]), "archived": False,
                                    "properties": {
                                        "amount": W.dec(o["amount"], o["currency"]),
                                        "closedate": W.iso_ms(o["close"]), "createdate": W.iso_ms(o["created"]),
                                        "dealname": o["name"], "dealstage": STAGES[o["stage"]],
                                        "deal_currency_code": o["currency"].upper(),
                                        "hs_is_closed": "true" if closed else "false",
                                        "hs_is_closed_won": "true" if o["stage"] == "Closed Won" else "false",
                                        "hs_lastmodifieddate": W.iso_ms(o["updated"]), "hs_object_id": hid,
                                        "pipeline": "default",
                                        "associated_company_id": o["customer"]["ids"]["hubspot"],
                                        "salesforce_opportunity_id": o["ids"]["salesforce"]}})]
        return []

    def streams(self):
        return [(o, "/crm/v3/objects/" + o, len(self.table(o))) for o in OBJECTS]

    def _shape(self, rec, obj, props):
        if props is None:
            names = DEFAULTS[obj]
        else:
            names = [p for p in props if p in rec["properties"]]
            names += [p for p in ALWAYS if p not in names]
        return {"id": rec["id"], "properties": {n: rec["properties"].get(n) for n in names},
                "createdAt": rec["createdAt"], "updatedAt": rec["updatedAt"], "archived": rec["archived"]}

    # ---- rate-limit headers ----

    def _headers(self, resp, remaining=None):
        rem = self.window.remaining() if remaining is None else remaining
        for k, v in (("X-HubSpot-RateLimit-Daily", DAILY),
                     ("X-HubSpot-RateLimit-Daily-Remaining", max(DAILY - self.window.total, 0)),
                     ("X-HubSpot-RateLimit-Interval-Milliseconds", WINDOW_S * 1000),
                     ("X-HubSpot-RateLimit-Max", WINDOW_MAX),
                     ("X-HubSpot-RateLimit-Remaining", rem),
                     ("X-HubSpot-RateLimit-Secondly", WINDOW_MAX // 10),
                     ("X-HubSpot-RateLimit-Secondly-Remaining", min(rem, WINDOW_MAX // 10))):
            resp.set_header(k, str(v))
        return resp

    def handle(self, req):
        self.window.hit()
        return self._headers(super().handle(req))

    # ---- errors ----

    @staticmethod
    def _corr():
        return str(uuid.uuid4())

    def error(self, status, message, **extra):
        return json_response(status, {"status": "error", "message": message, "correlationId": self._corr(),
                                      "category": extra.get("category", "VALIDATION_ERROR")})

    def not_found(self, req):
        return Response(404, b"", content_type="text/html")

    def refused(self, req, status):
        if status == 403:
            return self.error(403, "This app hasn't been granted all required scopes to make this call. "
                              "Read more about required scopes here: https://developers.hubspot.com/scopes.",
                              category="MISSING_SCOPES")
        return self.error(401, "Authentication credentials not found. This API supports OAuth 2.0 "
                          "authentication and you can find more details at "
                          "https://developers.hubspot.com/docs/methods/auth/oauth-overview",
                          category="INVALID_AUTHENTICATION")

    def rate_limited(self, req, retry_after):
        self.window.hit()
        r = json_response(429, {"status": "error", "message": "You have reached your ten_secondly_rolling limit.",
                                "errorType": "RATE_LIMIT", "correlationId": self._corr(),
                                "policyName": "TEN_SECONDLY_ROLLING", "groupName": "sgp-sandbox"})
        self._headers(r, remaining=0)
        if retry_after is not None:
            r.set_header("Retry-After", retry_after)
        return r

    def server_error(self, req, status):
        if status == 500:
            return self.error(500, "internal error", category="INTERNAL_ERROR")
        return super().server_error(req, status)

    def authenticate(self, req):
        if req.bearer() != self.sb.creds["hubspot_token"]:
            raise ApiError(self.refused(req, 401))

    # ---- reads ----

    @staticmethod
    def _enc_after(n):
        return base64.b64encode(("%d\n" % n).encode("ascii")).decode("ascii")

    def _dec_after(self, s):
        try:
            return int(base64.b64decode(s, validate=True).decode("ascii").strip())
        except (binascii.Error, UnicodeDecodeError, ValueError):
            raise ApiError(self.error(400, "Invalid input: after must be a paging cursor from a previous "
                                      "response")) from None

    def list_(self, req, obj):
        try:
            limit = parse_int(req.q("limit", "10"), 1, 100)
        except ValueError:
            raise ApiError(self.error(400, "limit must be between 1 and 100")) from None
        props = req.q("properties")
        props = [p.strip() for p in props.split(",") if p.strip()] if props is not None else None
        archived = req.q("archived", "false")
        if archived not in ("true", "false"):
            raise ApiError(self.error(400, "archived must be true or false"))
        rows = sorted(self.table(obj).rows, key=lambda r: int(r.id))
        rows = [r for r in rows if r.rec["archived"] == (archived == "true")]
        after = req.q("after")
        if after is not None:
            n = self._dec_after(after)
            rows = [r for r in rows if int(r.id) >= n]
        page = rows[:limit]
        body = {"results": [self._shape(r.rec, obj, props) for r in page]}
        if len(rows) > limit:
            nxt = self._enc_after(int(rows[limit].id))
            keep = [(k, v) for k, v in req.query if k != "after"]
            body["paging"] = {"next": {"after": nxt, "link": url(req.base, req.sub, keep + [("after", nxt)])}}
        return json_response(200, body)

    def get(self, req, obj, oid):
        row = self.table(obj).get(oid)
        if row is None:
            return self.error(404, "resource not found", category="OBJECT_NOT_FOUND")
        props = req.q("properties")
        props = [p.strip() for p in props.split(",") if p.strip()] if props is not None else None
        return json_response(200, self._shape(row.rec, obj, props))

    # ---- search ----

    def _typed(self, prop, v):
        if v is None:
            return None
        if prop in DATE_PROPS:
            s = str(v)
            if s.isdigit():
                return int(s)
            try:
                return int(W.parse_time(s) * 1000)
            except ValueError:
                raise ApiError(self.error(400, "%s is not a valid date for %s" % (s, prop))) from None
        if prop in NUM_PROPS:
            try:
                return decimal.Decimal(str(v))
            except decimal.InvalidOperation:
                raise ApiError(self.error(400, "%s is not a number for %s" % (v, prop))) from None
        return str(v).lower()

    def _filter(self, f):
        if not isinstance(f, dict) or "propertyName" not in f or "operator" not in f:
            raise ApiError(self.error(400, "a filter needs propertyName and operator"))
        prop, op = f["propertyName"], f["operator"]

        def val(rec):
            return self._typed(prop, rec["properties"].get(prop))

        if op == "HAS_PROPERTY":
            return lambda rec: rec["properties"].get(prop) not in (None, "")
        if op == "NOT_HAS_PROPERTY":
            return lambda rec: rec["properties"].get(prop) in (None, "")
        if op in ("IN", "NOT_IN"):
            vals = f.get("values")
            if not isinstance(vals, list):
                raise ApiError(self.error(400, "%s needs values" % op))
            want = {self._typed(prop, x) for x in vals}
            return (lambda rec: val(rec) in want) if op == "IN" else (lambda rec: val(rec) not in want)
        if op == "CONTAINS_TOKEN":
            tok = str(f.get("value", "")).lower().strip("*")
            return lambda rec: tok in str(rec["properties"].get(prop) or "").lower()
        if "value" not in f:
            raise ApiError(self.error(400, "%s needs a value" % op))
        a = self._typed(prop, f["value"])
        if op == "BETWEEN":
            if "highValue" not in f:
                raise ApiError(self.error(400, "BETWEEN needs highValue"))
            b = self._typed(prop, f["highValue"])
            return lambda rec: val(rec) is not None and a <= val(rec) <= b
        cmp = {"EQ": lambda x: x == a, "NEQ": lambda x: x != a, "LT": lambda x: x < a,
               "LTE": lambda x: x <= a, "GT": lambda x: x > a, "GTE": lambda x: x >= a}.get(op)
        if cmp is None:
            raise ApiError(self.error(400, "Unknown operator %s" % op))
        if op == "NEQ":
            return lambda rec: val(rec) is None or cmp(val(rec))
        return lambda rec: val(rec) is not None and cmp(val(rec))

    def search(self, req, obj):
        try:
            body = req.json()
        except ValueError:
            raise ApiError(self.error(400, "Invalid input JSON on line 1")) from None
        if not isinstance(body, dict):
            raise ApiError(self.error(400, "Invalid input JSON: an object is required"))
        groups = body.get("filterGroups", [])
        if not isinstance(groups, list) or len(groups) > 5:
            raise ApiError(self.error(400, "filterGroups must be a list of at most 5 groups"))
        compiled = []
        for g in groups:
            fs = g.get("filters", []) if isinstance(g, dict) else None
            if not isinstance(fs, list) or len(fs) > 6:
                raise ApiError(self.error(400, "a filter group holds a list of at most 6 filters"))
            compiled.append([self._filter(f) for f in fs])
        try:
            limit = int(body.get("limit", 10))
            after = int(body.get("after", 0) or 0)
        except (TypeError, ValueError):
            raise ApiError(self.error(400, "limit and after must be numbers")) from None
        if not 1 <= limit <= 200:
            raise ApiError(self.error(400, "limit must be between 1 and 200"))
        if after < 0 or after + limit > 10000:
            raise ApiError(self.error(400, "Search results are limited to 10,000: narrow the search "
                                      "(for example by hs_lastmodifieddate) instead of paging further"))
        props = body.get("properties")
        if props is not None and (not isinstance(props, list) or not all(isinstance(p, str) for p in props)):
            raise ApiError(self.error(400, "properties must be a list of names"))
        rows = [r for r in sorted(self.table(obj).rows, key=lambda r: int(r.id))
                if not compiled or any(all(f(r.rec) for f in g) for g in compiled)]
        sorts = body.get("sorts", [])
        if not isinstance(sorts, list):
            raise ApiError(self.error(400, "sorts must be a list"))
        for s in reversed(sorts):
            if isinstance(s, str):
                prop, desc = s.lstrip("-"), s.startswith("-")
            elif isinstance(s, dict) and "propertyName" in s:
                prop, desc = s["propertyName"], s.get("direction", "ASCENDING") == "DESCENDING"
            else:
                raise ApiError(self.error(400, "a sort is {\"propertyName\",\"direction\"}"))
            present = [r for r in rows if r.rec["properties"].get(prop) is not None]
            absent = [r for r in rows if r.rec["properties"].get(prop) is None]
            present.sort(key=lambda r, p=prop: self._typed(p, r.rec["properties"][p]), reverse=desc)
            rows = present + absent
        page = rows[after:after + limit]
        out = {"total": len(rows), "results": [self._shape(r.rec, obj, props) for r in page]}
        if after + limit < len(rows):
            out["paging"] = {"next": {"after": str(after + limit)}}
        return json_response(200, out)
