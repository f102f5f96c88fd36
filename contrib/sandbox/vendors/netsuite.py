"""NetSuite REST web services (https://ACCOUNT.suitetalk.api.netsuite.com),
under /netsuite.

Auth: OAuth 1.0a token-based authentication, HMAC-SHA256, verified per
  RFC 5849 against the sandbox's consumer key/secret and token id/secret;
  realm must be the account id; oauth_timestamp within 5 minutes of now; a
  nonce may not be reused.  Refusal: 401 INVALID_LOGIN.
Records (types customer, invoice, creditmemo; names case-insensitive):
  GET /services/rest/record/v1/TYPE?limit=(1..1000, default 1000)&offset=
    (a multiple of limit)[&q=FILTER]
    -> {"links":[...{"rel":"next"}],"count","hasMore","items":[{"links","id"}],
        "offset","totalResults"}
    FILTER: FIELD OP VALUE [AND|OR ...], e.g. lastModifiedDate AFTER "10/1/2026"
    (dates M/D/YYYY [h:mm am|pm] or ISO 8601; the account's time zone is UTC).
  GET /services/rest/record/v1/TYPE/ID[?expandSubResources=true]; ID may be
    eid:EXTERNAL_ID.  GET .../TYPE/ID/item (the item sublist).
  POST /services/rest/record/v1/TYPE (JSON) -> 204 No Content with
    Location: .../record/v1/TYPE/NEW_ID.  X-NetSuite-Idempotency-Key replays
    the first result for the same key and body.
  PUT /services/rest/record/v1/TYPE/eid:EXTERNAL_ID -> upsert, 204.
  Money fields are JSON numbers (floats) with at most the currency's digits.
SuiteQL: POST /services/rest/query/v1/suiteql?limit=&offset= with
  Prefer: transient and {"q":"SELECT ... FROM transaction|transactionline|customer ..."}
  -> {"links","count","hasMore","items":[{"links":[],...}],"offset","totalResults"};
  every value is a string, dates in M/D/YYYY (use TO_CHAR for more), nulls
  left out, unaliased expressions named expr1, expr2, ...
Errors: application/vnd.oracle.resource+json; type=error with
  {"type","title","status","o:errorDetails":[{"detail","o:errorCode"}]}.
"""

import decimal
import re
import time

import oauth1
import sqlish
import world as W
from httpkit import ApiError, Response, dumps, parse_int, url
from vendors import Vendor

REST = r"/services/rest/record/v1"
TYPES = {"customer": "customer", "invoice": "invoice", "creditmemo": "creditMemo"}
CURRENCY_IDS = {"usd": "1", "gbp": "2", "cad": "3", "eur": "4", "aud": "5", "jpy": "6", "kwd": "7"}
CURRENCY_BY_ID = {v: k for k, v in CURRENCY_IDS.items()}
ITEM_IDS = {"PLAN-STARTER": "101", "PLAN-PRO": "102", "PLAN-ENTERPRISE": "103", "ADDON-STORAGE": "104",
            "SUPPORT-PREMIUM": "105", "SVC-ONBOARDING": "106", "SERVICE-CREDIT": "110"}
ITEM_BY_ID = {v: k for k, v in ITEM_IDS.items()}
SUBSIDIARY = {"id": "1", "refName": "SGP Sandbox Inc."}
TITLES = {400: ("Bad Request", "rfc9110.html#section-15.5.1"),
          401: ("Unauthorized", "rfc9110.html#section-15.5.2"),
          403: ("Forbidden", "rfc9110.html#section-15.5.4"),
          404: ("Not Found", "rfc9110.html#section-15.5.5"),
          405: ("Method Not Allowed", "rfc9110.html#section-15.5.6"),
          409: ("Conflict", "rfc9110.html#section-15.5.10"),
          415: ("Unsupported Media Type", "rfc9110.html#section-15.5.16"),
          429: ("Too Many Requests", "rfc6585.html#section-4"),
          500: ("Internal Server Error", "rfc9110.html#section-15.6.1")}
NONCE_WINDOW = 300

# SuiteQL tables: column -> type (int str float date datetime bool)
SQ = {
    "transaction": {"id": "int", "tranid": "str", "type": "str", "entity": "int", "trandate": "date",
                    "duedate": "date", "currency": "int", "foreigntotal": "float",
                    "foreignamountremaining": "float", "foreignamountpaid": "float", "status": "str",
                    "memo": "str", "externalid": "str", "createdfrom": "int", "createddate": "datetime",
                    "lastmodifieddate": "datetime", "custbody_sgp_billing_system": "str",
                    "custbody_sgp_billing_number": "str", "custbody_sgp_billing_id": "str"},
    "transactionline": {"id": "int", "transaction": "int", "linesequencenumber": "int", "item": "int",
                        "quantity": "float", "rate": "float", "foreignamount": "float", "memo": "str",
                        "mainline": "bool", "taxline": "bool"},
    "customer": {"id": "int", "entityid": "str", "companyname": "str", "email": "str", "currency": "int",
                 "externalid": "str", "datecreated": "datetime", "lastmodifieddate": "datetime",
                 "isinactive": "bool", "custentity_sgp_billing_system": "str",
                 "custentity_sgp_salesforce_id": "str"},
}
DATE_OPS = {"AFTER", "BEFORE", "ON", "ON_OR_AFTER", "ON_OR_BEFORE", "WITHIN"}
NUM_OPS = {"EQUAL", "NOT_EQUAL", "GREATER", "GREATER_OR_EQUAL", "LESS", "LESS_OR_EQUAL", "BETWEEN"}
STR_OPS = {"IS", "IS_NOT", "START_WITH", "END_WITH", "CONTAIN", "EMPTY", "EMPTY_NOT"}
TIME_FIELDS = {"lastModifiedDate", "createdDate", "dateCreated"}
DATE_FIELDS = {"tranDate", "dueDate"}


class SuiteQLError(Exception):
    pass


def _ref(kind, id_, name):
    """A record reference; _ref becomes links on the way out."""
    return {"_ref": kind, "id": id_, "refName": name}


def _num_str(v):
    """A number as SuiteQL prints it: 2604, 3124.8."""
    if isinstance(v, float):
        return repr(v)[:-2] if v.is_integer() else repr(v)
    return str(v)


class NetSuite(Vendor):
    name = "netsuite"
    prefix = "/netsuite"
    default_retry_after = None
    stream_kinds = {"customer": "customer", "invoice": "invoice", "creditmemo": "credit_note",
                    "suiteql_transaction": "invoice"}
    routes = [
        ("GET", REST + r"/(\w+)", "list_"),
        ("POST", REST + r"/(\w+)", "create"),
        ("GET", REST + r"/(\w+)/((?:eid:)?[^/]+)", "get"),
        ("PUT", REST + r"/(\w+)/(eid:[^/]+)", "upsert"),
        ("GET", REST + r"/(\w+)/((?:eid:)?[^/]+)/item", "get_items"),
        ("POST", r"/services/rest/query/v1/suiteql", "suiteql"),
    ]

    def clear(self):
        self.nonces = {}

    # ---- rendering ----

    def render(self, e):
        k = e["kind"]
        if k == "customer":
            return self._rows("customer", self._customer(e))
        if k == "invoice":
            return self._rows("invoice", self._invoice(e))
        if k == "credit_note":
            return self._rows("creditmemo", self._creditmemo(e))
        return []

    def _rows(self, rtype, rec):
        """The record plus its SuiteQL rows, as (table, id, record) triples."""
        out = [(rtype, rec["id"], rec)]
        for table, sid, row in self._sq_rows(rtype, rec):
            out.append((table, sid, row))
        return out

    def _customer(self, c):
        cur = c["currency"]
        return {"id": c["ids"]["netsuite"], "entityId": c["key"], "companyName": c["name"],
                "email": c["email"], "externalId": c["ids"]["stripe"] or c["ids"]["chargebee"],
                "currency": _ref("currency", CURRENCY_IDS[cur], cur.upper()),
                "subsidiary": _ref("subsidiary", "1", SUBSIDIARY["refName"]),
                "defaultAddress": "%s\n%s %s\n%s" % (c["address"]["line1"], c["address"]["city"],
                                                     c["address"]["postal_code"], c["country"]),
                "isPerson": False, "isInactive": False,
                "dateCreated": W.iso(c["created"]), "lastModifiedDate": W.iso(c["updated"]),
                "custentity_sgp_billing_system": c["billing"],
                "custentity_sgp_salesforce_id": c["ids"]["salesforce"]}

    def _lines(self, lines, cur):
        return [{"line": i + 1, "item": _ref("item", ITEM_IDS[ln["product"]], ln["product"]),
                 "description": ln["description"], "quantity": float(ln["qty"]),
                 "rate": W.flt(ln["unit"], cur), "amount": W.flt(ln["amount"], cur)}
                for i, ln in enumerate(lines)]

    def _invoice(self, inv):
        c = inv["customer"]
        cur = inv["currency"]
        # amountPaid counts payments and applied credits, as NetSuite does
        remaining = 0 if inv["status"] == "paid" else inv["total"] - inv["credited"]
        paid_amt = inv["total"] - remaining
        status = "Paid In Full" if inv["status"] == "paid" else "Open"
        return {"id": inv["ids"]["netsuite"], "tranId": inv["ids"]["netsuite_tranid"],
                "entity": _ref("customer", c["ids"]["netsuite"], c["name"]),
                "tranDate": W.date(inv["created"]), "dueDate": W.date(inv["due"]),
                "startDate": W.date(inv["period_start"]), "endDate": W.date(inv["period_end"] - W.DAY),
                "currency": _ref("currency", CURRENCY_IDS[cur], cur.upper()), "exchangeRate": 1.0,
                "subtotal": W.flt(inv["subtotal"], cur), "taxTotal": W.flt(inv["tax"], cur),
                "total": W.flt(inv["total"], cur), "amountPaid": W.flt(paid_amt, cur),
                "amountRemaining": W.flt(remaining, cur),
                "status": {"id": status, "refName": status}, "email": c["email"], "memo": None,
                "externalId": inv["ids"]["billing"],
                "subsidiary": _ref("subsidiary", "1", SUBSIDIARY["refName"]),
                "custbody_sgp_billing_system": c["billing"],
                "custbody_sgp_billing_number": inv["ids"]["number"],
                "custbody_sgp_billing_id": inv["ids"]["billing"],
                "createdDate": W.iso(inv["created"]), "lastModifiedDate": W.iso(inv["updated"]),
                "item": {"items": self._lines(inv["lines"], cur)}}

    def _creditmemo(self, cn):
        inv = cn["invoice"]
        c = cn["customer"]
        cur = cn["currency"]
        return {"id": cn["ids"]["netsuite"], "tranId": cn["ids"]["netsuite_tranid"],
                "entity": _ref("customer", c["ids"]["netsuite"], c["name"]),
                "createdFrom": _ref("invoice", inv["ids"]["netsuite"],
                                    "Invoice #%s" % inv["ids"]["netsuite_tranid"]),
                "tranDate": W.date(cn["created"]),
                "currency": _ref("currency", CURRENCY_IDS[cur], cur.upper()), "exchangeRate": 1.0,
                "subtotal": W.flt(cn["amount"], cur), "taxTotal": W.flt(cn["tax"], cur),
                "total": W.flt(cn["total"], cur), "applied": W.flt(cn["total"], cur), "unapplied": 0.0,
                "status": {"id": "Fully Applied", "refName": "Fully Applied"}, "memo": cn["memo"],
                "externalId": cn["ids"]["billing"],
                "subsidiary": _ref("subsidiary", "1", SUBSIDIARY["refName"]),
                "custbody_sgp_billing_system": c["billing"],
                "custbody_sgp_billing_number": cn["ids"]["number"],
                "custbody_sgp_billing_id": cn["ids"]["billing"],
                "custbody_sgp_zendesk_ticket": str(cn["ticket"]["ids"]["zendesk"]) if cn["ticket"] else None,
                "createdDate": W.iso(cn["created"]), "lastModifiedDate": W.iso(cn["updated"]),
                "item": {"items": [{"line": 1, "item": _ref("item", ITEM_IDS["SERVICE-CREDIT"], "SERVICE-CREDIT"),
                                    "description": cn["memo"], "quantity": 1.0,
                                    "rate": W.flt(cn["amount"], cur), "amount": W.flt(cn["amount"], cur)}]}}

    def _sq_rows(self, rtype, rec):
        """SuiteQL rows derived from a REST record (so posted records show up too)."""
        def t(s):
            return None if s is None else int(W.parse_time(s))

        def ref_int(r):
            return int(r["id"]) if r else None

        if rtype == "customer":
            return [("sq_customer", rec["id"], {
                "id": int(rec["id"]), "entityid": rec.get("entityId"), "companyname": rec.get("companyName"),
                "email": rec.get("email"), "currency": ref_int(rec.get("currency")),
                "externalid": rec.get("externalId"), "datecreated": t(rec.get("dateCreated")),
                "lastmodifieddate": t(rec.get("lastModifiedDate")),
                "isinactive": bool(rec.get("isInactive")),
                "custentity_sgp_billing_system": rec.get("custentity_sgp_billing_system"),
                "custentity_sgp_salesforce_id": rec.get("custentity_sgp_salesforce_id")})]
        inv = rtype == "invoice"
        status_code = {"Open": "CustInvc:A", "Paid In Full": "CustInvc:B",
                       "Fully Applied": "CustCred:B", "Open (credit)": "CustCred:A"}
        out = [("sq_transaction", rec["id"], {
            "id": int(rec["id"]), "tranid": rec.get("tranId"), "type": "CustInvc" if inv else "CustCred",
            "entity": ref_int(rec.get("entity")), "trandate": t(rec.get("tranDate")),
            "duedate": t(rec.get("dueDate")), "currency": ref_int(rec.get("currency")),
            "foreigntotal": rec.get("total"),
            "foreignamountremaining": rec.get("amountRemaining") if inv else rec.get("unapplied"),
            "foreignamountpaid": rec.get("amountPaid") if inv else rec.get("applied"),
            "status": status_code.get(rec["status"]["id"]) if rec.get("status") else None,
            "memo": rec.get("memo"), "externalid": rec.get("externalId"),
            "createdfrom": ref_int(rec.get("createdFrom")),
            "createddate": t(rec.get("createdDate")), "lastmodifieddate": t(rec.get("lastModifiedDate")),
            "custbody_sgp_billing_system": rec.get("custbody_sgp_billing_system"),
            "custbody_sgp_billing_number": rec.get("custbody_sgp_billing_number"),
            "custbody_sgp_billing_id": rec.get("custbody_sgp_billing_id")})]
        for ln in rec["item"]["items"]:
            lid = "%s-%d" % (rec["id"], ln["line"])
            out.append(("sq_transactionline", lid, {
                "id": ln["line"], "transaction": int(rec["id"]), "linesequencenumber": ln["line"],
                "item": ref_int(ln.get("item")), "quantity": ln.get("quantity"), "rate": ln.get("rate"),
                "foreignamount": ln.get("amount"), "memo": ln.get("description"),
                "mainline": False, "taxline": False}))
        return out

    def _store(self, rtype, rec, key=None):
        lines = self.table("sq_transactionline")
        for row in [r for r in lines.rows if r.rec["transaction"] == int(rec["id"])]:
            lines.remove(row.id)
        for table, id_, r in self._rows(rtype, rec):
            if self.table(table).get(id_) is not None:
                self.table(table).get(id_).rec = r
            else:
                self.table(table).put(id_, r, key)

    def update(self, entities):
        if not self.loaded:
            return
        for e in entities:
            if self.name in e["systems"]:
                for table, id_, rec in self.render(e):
                    row = self.table(table).get(id_)
                    if row is not None:
                        row.rec = rec

    def streams(self):
        return [("customer", "/services/rest/record/v1/customer", len(self.table("customer"))),
                ("invoice", "/services/rest/record/v1/invoice", len(self.table("invoice"))),
                ("creditmemo", "/services/rest/record/v1/creditmemo", len(self.table("creditmemo"))),
                ("suiteql_transaction", "/services/rest/query/v1/suiteql", len(self.table("sq_transaction")))]

    def _out(self, req, rtype, rec, expand):
        """The record as NetSuite returns it: links everywhere, sublists
        collapsed to a link unless expanded, nulls left out."""
        base = req.base + "/services/rest/record/v1"

        def walk(v):
            if isinstance(v, dict):
                o = {}
                if "_ref" in v:
                    o["links"] = [{"rel": "self", "href": "%s/%s/%s" % (base, v["_ref"], v["id"])}]
                for k, x in v.items():
                    if k != "_ref" and x is not None:
                        o[k] = walk(x)
                return o
            if isinstance(v, list):
                return [walk(x) for x in v]
            return v

        o = {"links": [{"rel": "self", "href": "%s/%s/%s" % (base, rtype, rec["id"])}]}
        for k, v in rec.items():
            if v is None:
                continue
            if k == "item":
                href = "%s/%s/%s/item" % (base, rtype, rec["id"])
                if expand:
                    items = [dict(walk(x), links=[]) for x in v["items"]]
                    o["item"] = {"links": [{"rel": "self", "href": href}], "items": items,
                                 "totalResults": len(items), "count": len(items), "hasMore": False,
                                 "offset": 0}
                else:
                    o["item"] = {"links": [{"rel": "self", "href": href}]}
            else:
                o[k] = walk(v)
        return o

    # ---- errors ----

    def error(self, status, message, **extra):
        title, frag = TITLES.get(status, ("Error", "rfc9110.html#section-15"))
        detail = {"detail": message, "o:errorCode": extra.get("code", "USER_ERROR")}
        if "path" in extra:
            detail["o:errorPath"] = extra["path"]
        if "param" in extra:
            detail["o:errorQueryParam"] = extra["param"]
        return Response(status, dumps({"type": "https://www.rfc-editor.org/rfc/" + frag, "title": title,
                                       "status": status, "o:errorDetails": [detail]}),
                        content_type="application/vnd.oracle.resource+json; type=error; charset=UTF-8")

    def not_found(self, req):
        return self.error(404, "The record type or resource does not exist: %s" % req.sub,
                          code="NONEXISTENT_ID")

    def refused(self, req, status):
        if status == 403:
            return self.error(403, "Permission Violation: The role you are using does not have the "
                              "required permission to access this record.", code="INSUFFICIENT_PERMISSION")
        return self.error(401, "Invalid login attempt. For more details, see the Login Audit Trail in "
                          "the NetSuite UI at Setup > Users/Roles > User Management > View Login "
                          "Audit Trail.", code="INVALID_LOGIN")

    def rate_limited(self, req, retry_after):
        r = self.error(429, "Concurrent request limit exceeded. Request blocked.",
                       code="CONCURRENCY_LIMIT_EXCEEDED")
        if retry_after is not None:
            r.set_header("Retry-After", retry_after)
        return r

    def server_error(self, req, status):
        if status == 500:
            return self.error(500, "An unexpected error occurred. Error ID: kx1y9z0a1b2c3d4e5f6g7h",
                              code="UNEXPECTED_ERROR")
        return super().server_error(req, status)

    def idem_mismatch(self, req, key):
        return self.error(409, "The idempotency key %s has already been used with a different request."
                          % key, code="IDEMPOTENCY_KEY_REUSED")

    # ---- auth: OAuth 1.0a ----

    def authenticate(self, req):
        creds = self.sb.creds
        try:
            p = oauth1.parse_header(req.header("Authorization"))
        except ValueError:
            raise ApiError(self.refused(req, 401)) from None
        need = ("oauth_consumer_key", "oauth_token", "oauth_signature_method", "oauth_timestamp",
                "oauth_nonce", "oauth_signature")
        if any(k not in p for k in need) or p.get("oauth_version", "1.0") != "1.0":
            raise ApiError(self.refused(req, 401))
        if (p.get("realm", "").upper() != creds["netsuite_account"].upper()
                or p["oauth_consumer_key"] != creds["netsuite_consumer_key"]
                or p["oauth_token"] != creds["netsuite_token_id"]):
            raise ApiError(self.refused(req, 401))
        try:
            ts = int(p["oauth_timestamp"])
        except ValueError:
            raise ApiError(self.refused(req, 401)) from None
        now = time.time()
        if abs(now - ts) > NONCE_WINDOW:
            raise ApiError(self.refused(req, 401))
        body_pairs = req.form() if req.content_type() == "application/x-www-form-urlencoded" else []
        base = oauth1.base_string(req.method, req.origin + req.raw_path, req.query, body_pairs, p)
        if not oauth1.verify(p, base, creds["netsuite_consumer_secret"], creds["netsuite_token_secret"]):
            raise ApiError(self.refused(req, 401))
        for k in [k for k, t in self.nonces.items() if now - t > 2 * NONCE_WINDOW]:
            del self.nonces[k]
        nk = (p["oauth_token"], p["oauth_nonce"], p["oauth_timestamp"])
        if nk in self.nonces:
            raise ApiError(self.refused(req, 401))
        self.nonces[nk] = now

    # ---- record API ----

    def _type(self, name):
        t = name.lower()
        if t not in TYPES:
            raise ApiError(self.error(404, "Record type '%s' does not exist." % name, code="NONEXISTENT_ID"))
        return t

    def _find(self, rtype, rid):
        table = self.table(rtype)
        if rid.startswith("eid:"):
            ext = rid[4:]
            return next((r for r in table.rows if r.rec.get("externalId") == ext), None)
        return table.get(rid)

    def list_(self, req, name):
        rtype = self._type(name)
        try:
            limit = parse_int(req.q("limit", "1000"), 1, 1000)
        except ValueError:
            raise ApiError(self.error(400, "Invalid query parameter value: limit. The value must be an "
                                      "integer from 1 to 1000.", code="INVALID_PARAMETER", param="limit")) from None
        try:
            offset = parse_int(req.q("offset", "0"), 0)
        except ValueError:
            raise ApiError(self.error(400, "Invalid query parameter value: offset.",
                                      code="INVALID_PARAMETER", param="offset")) from None
        if offset % limit:
            raise ApiError(self.error(400, "Invalid query parameter value: offset. The offset must be a "
                                      "multiple of the limit.", code="INVALID_PARAMETER", param="offset"))
        rows = sorted(self.table(rtype).rows, key=lambda r: int(r.id))
        q = req.q("q")
        if q:
            pred = self._q_filter(q)
            rows = [r for r in rows if pred(r.rec)]
        page = rows[offset:offset + limit]
        base = req.base + "/services/rest/record/v1/" + rtype
        keep = [(k, v) for k, v in req.query if k not in ("limit", "offset")]
        total = len(rows)

        def link(rel, off):
            return {"rel": rel, "href": url(req.base, req.sub, keep + [("limit", limit), ("offset", off)])}

        links = []
        if offset > 0:
            links.append(link("first", 0))
            links.append(link("prev", max(offset - limit, 0)))
        if offset + limit < total:
            links.append(link("next", offset + limit))
        if total:
            links.append(link("last", ((total - 1) // limit) * limit))
        links.append({"rel": "self", "href": url(req.base, req.sub, req.query)})
        items = [{"links": [{"rel": "self", "href": "%s/%s" % (base, r.id)}], "id": r.id} for r in page]
        return Response(200, dumps({"links": links, "count": len(items), "hasMore": offset + limit < total,
                                    "items": items, "offset": offset, "totalResults": total}),
                        content_type="application/vnd.oracle.resource+json; type=collection; charset=UTF-8")

    def _q_filter(self, q):
        """Compile a record-collection q filter into a predicate on stored records."""
        toks = re.findall(r'"[^"]*"|\[[^\]]*\]|\S+', q)
        if not toks:
            raise self._bad_q(q)
        clauses, joins = [], []
        i = 0
        while True:
            if i + 1 >= len(toks):
                raise self._bad_q(q)
            field, op = toks[i], toks[i + 1].upper()
            i += 2
            if op in ("EMPTY", "EMPTY_NOT"):
                val = None
            else:
                if i >= len(toks):
                    raise self._bad_q(q)
                val = toks[i]
                i += 1
            clauses.append(self._clause(q, field, op, val))
            if i >= len(toks):
                break
            j = toks[i].upper()
            if j not in ("AND", "OR"):
                raise self._bad_q(q)
            joins.append(j)
            i += 1

        def pred(rec):
            # AND binds tighter than OR, as in NetSuite's query language.
            groups = [[clauses[0]]]
            for j, c in zip(joins, clauses[1:]):
                if j == "AND":
                    groups[-1].append(c)
                else:
                    groups.append([c])
            return any(all(c(rec) for c in g) for g in groups)

        return pred

    def _bad_q(self, q, why="Invalid query"):
        return ApiError(self.error(400, "Invalid query parameter value: q. %s: %s" % (why, q),
                                   code="INVALID_PARAMETER", param="q"))

    def _ns_date(self, s, q):
        """(start, end) epoch seconds of a q date value: a day or an instant."""
        s = s.strip('"')
        m = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})(?:\s+(\d{1,2}):(\d{2})\s*([AaPp][Mm]))?", s)
        if m:
            mo, d, y = int(m.group(1)), int(m.group(2)), int(m.group(3))
            try:
                day = int(W.parse_time("%04d-%02d-%02d" % (y, mo, d)))
            except ValueError:
                raise self._bad_q(q, "Invalid date value") from None
            if m.group(4):
                h = int(m.group(4)) % 12 + (12 if m.group(6).lower() == "pm" else 0)
                t = day + h * 3600 + int(m.group(5)) * 60
                return t, t
            return day, day + W.DAY - 1
        try:
            t = W.parse_time(s)
        except ValueError:
            raise self._bad_q(q, "Invalid date value") from None
        if len(s) == 10:
            return int(t), int(t) + W.DAY - 1
        return t, t

    def _clause(self, q, field, op, val):
        def get(rec):
            v = rec.get(field)
            if isinstance(v, dict):
                v = v.get("id")
            return v

        if op in DATE_OPS:
            if field not in TIME_FIELDS | DATE_FIELDS:
                raise self._bad_q(q, "Operator %s needs a date field, not %s" % (op, field))
            if op == "WITHIN":
                parts = [x.strip() for x in val.strip("[]").split(",")]
                if len(parts) != 2:
                    raise self._bad_q(q, "WITHIN takes [from, to]")
                lo, hi = self._ns_date(parts[0], q)[0], self._ns_date(parts[1], q)[1]
            else:
                lo, hi = self._ns_date(val, q)

            def c(rec):
                v = rec.get(field)
                if v is None:
                    return False
                t = W.parse_time(v)
                return {"AFTER": t > hi, "BEFORE": t < lo, "ON": lo <= t <= hi, "ON_OR_AFTER": t >= lo,
                        "ON_OR_BEFORE": t <= hi, "WITHIN": lo <= t <= hi}[op]
            return c
        if op in NUM_OPS:
            try:
                if op == "BETWEEN":
                    parts = [decimal.Decimal(x.strip()) for x in val.strip("[]").split(",")]
                    if len(parts) != 2:
                        raise ValueError(val)
                else:
                    parts = [decimal.Decimal(val.strip('"'))]
            except (ValueError, decimal.InvalidOperation):
                raise self._bad_q(q, "Invalid number value") from None

            def c(rec):
                v = get(rec)
                if v is None:
                    return False
                try:
                    d = decimal.Decimal(repr(v) if isinstance(v, float) else str(v))
                except decimal.InvalidOperation:
                    return False
                a = parts[0]
                return {"EQUAL": d == a, "NOT_EQUAL": d != a, "GREATER": d > a, "GREATER_OR_EQUAL": d >= a,
                        "LESS": d < a, "LESS_OR_EQUAL": d <= a,
                        "BETWEEN": len(parts) == 2 and parts[0] <= d <= parts[1]}[op]
            return c
        if op in STR_OPS:
            s = None if val is None else val.strip('"')

            def c(rec):
                v = get(rec)
                if op == "EMPTY":
                    return v in (None, "")
                if op == "EMPTY_NOT":
                    return v not in (None, "")
                if v is None:
                    return op == "IS_NOT"
                v, t = str(v).lower(), s.lower()
                return {"IS": v == t, "IS_NOT": v != t, "START_WITH": v.startswith(t),
                        "END_WITH": v.endswith(t), "CONTAIN": t in v}[op]
            return c
        raise self._bad_q(q, "Unknown operator %s" % op)

    def get(self, req, name, rid):
        rtype = self._type(name)
        row = self._find(rtype, rid)
        if row is None:
            return self.error(404, "The record instance does not exist. Provide a valid record instance ID.",
                              code="NONEXISTENT_ID")
        expand = (req.q("expandSubResources") or "").lower() == "true"
        return Response(200, dumps(self._out(req, rtype, row.rec, expand)),
                        content_type="application/vnd.oracle.resource+json; type=singular; charset=UTF-8")

    def get_items(self, req, name, rid):
        rtype = self._type(name)
        if rtype == "customer":
            return self.not_found(req)
        row = self._find(rtype, rid)
        if row is None:
            return self.error(404, "The record instance does not exist. Provide a valid record instance ID.",
                              code="NONEXISTENT_ID")
        out = self._out(req, rtype, row.rec, True)["item"]
        return Response(200, dumps(out),
                        content_type="application/vnd.oracle.resource+json; type=collection; charset=UTF-8")

    # ---- writes ----

    def _invalid(self, field, value, why=None):
        msg = "Invalid Field Value %s for the following field: %s" % (
            value if not isinstance(value, (dict, list)) else dumps(value), field)
        if why:
            msg = "%s. %s" % (msg, why)
        return ApiError(self.error(400, "Error while accessing a resource. " + msg,
                                   code="USER_ERROR", path=field))

    def _money(self, v, field, cur):
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise self._invalid(field, v, "The value must be a number")
        try:
            return W.from_float(float(v), cur)
        except ValueError:
            raise self._invalid(field, v, "%s takes at most %d decimal places"
                                % (cur.upper(), W.exponent(cur))) from None

    def _body(self, req):
        if req.content_type() != "application/json":
            raise ApiError(self.error(415, "Unsupported media type: use application/json.",
                                      code="INVALID_CONTENT_TYPE"))
        try:
            body = req.json()
        except ValueError:
            raise ApiError(self.error(400, "Invalid content in the request body: the body is not valid JSON.",
                                      code="INVALID_CONTENT")) from None
        if not isinstance(body, dict):
            raise ApiError(self.error(400, "Invalid content in the request body: a JSON object is required.",
                                      code="INVALID_CONTENT"))
        return body

    def _build(self, rtype, body, rid, old=None):
        """A stored record of rtype from a request body (over `old` for an update)."""
        now = self.sb.world.tick(1)
        known = {"customer": {"entityId", "companyName", "email", "externalId", "currency", "subsidiary",
                              "isInactive", "defaultAddress"},
                 "invoice": {"entity", "tranDate", "dueDate", "currency", "memo", "externalId", "item",
                             "startDate", "endDate", "subsidiary"},
                 "creditmemo": {"entity", "createdFrom", "tranDate", "currency", "memo", "externalId",
                                "item", "subsidiary"}}[rtype]
        for k in body:
            if k not in known and not k.startswith(("custbody", "custentity")):
                raise ApiError(self.error(400, "Error while accessing a resource. You have entered an "
                                          "invalid field name: %s." % k, code="INVALID_FIELD", path=k))
        rec = dict(old) if old else {"id": rid}
        for k, v in body.items():
            if k.startswith(("custbody", "custentity")):
                if v is not None and not isinstance(v, (str, int, float, bool)):
                    raise self._invalid(k, v)
                rec[k] = v
            elif k in ("memo", "externalId", "email", "entityId", "companyName", "defaultAddress"):
                if v is not None and not isinstance(v, str):
                    raise self._invalid(k, v, "The value must be a string")
                rec[k] = v
        if rtype == "customer":
            if not (rec.get("companyName") or "").strip():
                raise ApiError(self.error(400, "Error while accessing a resource. Please enter value(s) "
                                          "for: Company Name.", code="USER_ERROR", path="companyName"))
            cur = self._currency(body.get("currency"), "usd" if not old else None, rec)
            rec["currency"] = _ref("currency", CURRENCY_IDS[cur], cur.upper())
            rec.setdefault("entityId", "CUS-" + rid)
            rec["subsidiary"] = _ref("subsidiary", "1", SUBSIDIARY["refName"])
            rec["isPerson"], rec["isInactive"] = False, bool(body.get("isInactive", rec.get("isInactive")))
            rec.setdefault("dateCreated", W.iso(now))
            rec["lastModifiedDate"] = W.iso(now)
            return rec
        # transactions
        ent = body.get("entity", rec.get("entity"))
        if not isinstance(ent, dict) or not ent.get("id"):
            raise ApiError(self.error(400, "Error while accessing a resource. Please enter value(s) for: "
                                      "Customer.", code="USER_ERROR", path="entity"))
        crow = self._find("customer", str(ent["id"]))
        if crow is None:
            raise self._invalid("entity", ent.get("id"))
        cur = self._currency(body.get("currency"), CURRENCY_BY_ID[crow.rec["currency"]["id"]], rec)
        rec["entity"] = _ref("customer", crow.id, crow.rec.get("companyName"))
        rec["currency"] = _ref("currency", CURRENCY_IDS[cur], cur.upper())
        rec["exchangeRate"] = 1.0
        rec["subsidiary"] = _ref("subsidiary", "1", SUBSIDIARY["refName"])
        for f in ("tranDate", "dueDate", "startDate", "endDate"):
            if f in body:
                v = body[f]
                if not isinstance(v, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", v):
                    raise self._invalid(f, v, "Use YYYY-MM-DD")
                try:
                    W.parse_time(v)
                except ValueError:
                    raise self._invalid(f, v) from None
                rec[f] = v
        rec.setdefault("tranDate", W.date(now))
        if rtype == "creditmemo" and "createdFrom" in body:
            cf = body["createdFrom"]
            irow = self._find("invoice", str(cf.get("id"))) if isinstance(cf, dict) else None
            if irow is None:
                raise self._invalid("createdFrom", cf.get("id") if isinstance(cf, dict) else cf)
            if irow.rec["entity"]["id"] != crow.id:
                raise self._invalid("createdFrom", cf["id"], "The invoice belongs to another customer")
            if irow.rec["currency"]["id"] != CURRENCY_IDS[cur]:
                raise self._invalid("currency", body.get("currency", cur.upper()),
                                    "The invoice is in %s" % irow.rec["currency"]["refName"])
            rec["createdFrom"] = _ref("invoice", irow.id, "Invoice #%s" % irow.rec["tranId"])
        if "item" in body or old is None:
            it = body.get("item")
            items = it.get("items") if isinstance(it, dict) else None
            if not isinstance(items, list) or not items:
                raise ApiError(self.error(400, "Error while accessing a resource. You must enter at least "
                                          "one line item for this transaction.", code="USER_ERROR",
                                          path="item"))
            lines = []
            for i, ln in enumerate(items):
                path = "item.items[%d]" % i
                if not isinstance(ln, dict) or not isinstance(ln.get("item"), dict):
                    raise self._invalid(path + ".item", ln)
                iid = str(ln["item"].get("id"))
                if iid not in ITEM_BY_ID:
                    raise self._invalid(path + ".item", iid)
                qty = ln.get("quantity", 1)
                if isinstance(qty, bool) or not isinstance(qty, (int, float)) or qty <= 0:
                    raise self._invalid(path + ".quantity", qty)
                if "amount" in ln:
                    amount = self._money(ln["amount"], path + ".amount", cur)
                    rate = self._money(ln["rate"], path + ".rate", cur) if "rate" in ln else None
                elif "rate" in ln:
                    rate = self._money(ln["rate"], path + ".rate", cur)
                    exact = decimal.Decimal(rate) * decimal.Decimal(repr(float(qty)))
                    if exact != exact.to_integral_value():
                        raise self._invalid(path + ".rate", ln["rate"], "rate × quantity is not a whole "
                                            "amount in " + cur.upper())
                    amount = int(exact)
                else:
                    raise ApiError(self.error(400, "Error while accessing a resource. Please enter value(s) "
                                              "for: Amount.", code="USER_ERROR", path=path + ".amount"))
                if amount < 0:
                    raise self._invalid(path + ".amount", ln["amount"])
                desc = ln.get("description")
                lines.append({"line": i + 1, "item": _ref("item", iid, ITEM_BY_ID[iid]),
                              "description": desc if isinstance(desc, str) else None,
                              "quantity": float(qty),
                              "rate": W.flt(rate if rate is not None else amount, cur),
                              "amount": W.flt(amount, cur)})
            rec["item"] = {"items": lines}
        total = sum(W.from_float(ln["amount"], cur) for ln in rec["item"]["items"])
        rec["subtotal"] = W.flt(total, cur)
        rec["taxTotal"] = 0.0
        rec["total"] = W.flt(total, cur)
        if rtype == "invoice":
            rec.setdefault("tranId", "INV%06d" % self.sb.world.next_id("ns-inv", 10001))
            rec["amountPaid"] = rec.get("amountPaid", 0.0)
            rec["amountRemaining"] = W.flt(total - W.from_float(rec["amountPaid"], cur), cur)
            rec["status"] = {"id": "Open", "refName": "Open"}
        else:
            rec.setdefault("tranId", "CM%06d" % self.sb.world.next_id("ns-cm", 3001))
            applied = total if "createdFrom" in rec else 0
            rec["applied"], rec["unapplied"] = W.flt(applied, cur), W.flt(total - applied, cur)
            st = "Fully Applied" if applied == total else "Open"
            rec["status"] = {"id": st, "refName": st}
        rec.setdefault("createdDate", W.iso(now))
        rec["lastModifiedDate"] = W.iso(now)
        return rec

    def _currency(self, given, default, rec):
        if given is None:
            if default is None:
                return CURRENCY_BY_ID[rec["currency"]["id"]]
            return default
        cid = str(given.get("id")) if isinstance(given, dict) else None
        if cid not in CURRENCY_BY_ID:
            raise self._invalid("currency", given)
        return CURRENCY_BY_ID[cid]

    def _apply_credit(self, rec):
        """A credit memo created from an invoice lowers what is due on it."""
        cf = rec.get("createdFrom")
        if not cf:
            return
        irow = self.table("invoice").get(cf["id"])
        inv = irow.rec
        cur = CURRENCY_BY_ID[inv["currency"]["id"]]
        remaining = W.from_float(inv["amountRemaining"], cur) - W.from_float(rec["total"], cur)
        if remaining < 0:
            credit_over = -remaining
            rec["applied"] = W.flt(W.from_float(rec["total"], cur) - credit_over, cur)
            rec["unapplied"] = W.flt(credit_over, cur)
            rec["status"] = {"id": "Open", "refName": "Open"}
            remaining = 0
        inv["amountRemaining"] = W.flt(remaining, cur)
        inv["amountPaid"] = W.flt(W.from_float(inv["total"], cur) - remaining, cur)
        if remaining == 0:
            inv["status"] = {"id": "Paid In Full", "refName": "Paid In Full"}
        inv["lastModifiedDate"] = rec["lastModifiedDate"]
        self._store("invoice", inv)

    def _created(self, req, rtype, rid):
        r = Response(204)
        r.set_header("Location", "%s/services/rest/record/v1/%s/%s" % (req.base, rtype, rid))
        return r

    def create(self, req, name):
        rtype = self._type(name)
        return self.idempotent(req, req.header("X-NetSuite-Idempotency-Key"),
                               lambda: self._create(req, rtype))

    def _create(self, req, rtype):
        body = self._body(req)
        ext = body.get("externalId")
        if ext is not None and self._find(rtype, "eid:%s" % ext) is not None:
            raise ApiError(self.error(400, "Error while accessing a resource. A record with the external "
                                      "ID %s already exists." % ext, code="DUP_RCRD", path="externalId"))
        if rtype == "customer":
            rid = str(self.sb.world.next_id("ns-entity", 2001, 3))
        else:
            rid = str(self.sb.world.next_id("ns-txn", 10500, 6))
        rec = self._build(rtype, body, rid)
        if rtype == "creditmemo":
            self._apply_credit(rec)
        self._store(rtype, rec)
        req.mutated = True
        return self._created(req, rtype, rid)

    def upsert(self, req, name, eid):
        rtype = self._type(name)
        return self.idempotent(req, req.header("X-NetSuite-Idempotency-Key"),
                               lambda: self._upsert(req, rtype, eid))

    def _upsert(self, req, rtype, eid):
        body = self._body(req)
        ext = eid[4:]
        if "externalId" in body and body["externalId"] != ext:
            raise self._invalid("externalId", body["externalId"], "It must match the URL")
        body = dict(body, externalId=ext)
        row = self._find(rtype, eid)
        if row is None:
            rid = str(self.sb.world.next_id("ns-entity" if rtype == "customer" else "ns-txn",
                                            2001 if rtype == "customer" else 10500, 3 if rtype == "customer" else 6))
            rec = self._build(rtype, body, rid)
            if rtype == "creditmemo":
                self._apply_credit(rec)
        else:
            rid = row.id
            rec = self._build(rtype, body, rid, old=row.rec)
        self._store(rtype, rec)
        req.mutated = True
        return self._created(req, rtype, rid)

    # ---- SuiteQL ----

    def suiteql(self, req):
        if "transient" not in (req.header("Prefer") or "").lower():
            return self.error(400, "Invalid request: SuiteQL queries need the header 'Prefer: transient'.",
                              code="INVALID_HEADER")
        try:
            limit = parse_int(req.q("limit", "1000"), 1, 1000)
            offset = parse_int(req.q("offset", "0"), 0)
        except ValueError:
            return self.error(400, "Invalid query parameter value: limit must be 1..1000 and offset >= 0.",
                              code="INVALID_PARAMETER", param="limit")
        if offset % limit:
            return self.error(400, "Invalid query parameter value: offset. The offset must be a multiple "
                              "of the limit.", code="INVALID_PARAMETER", param="offset")
        body = self._body(req)
        q = body.get("q")
        if not isinstance(q, str):
            return self.error(400, "Invalid content in the request body: \"q\" must be a string.",
                              code="INVALID_CONTENT")
        try:
            rows = self._run_suiteql(q)
        except (sqlish.QueryError, SuiteQLError) as e:
            return self.error(400, "Invalid search query. Detailed unprocessed description follows. "
                              "Search error occurred: %s" % (e.message if isinstance(e, sqlish.QueryError)
                                                             else str(e)),
                              code="INVALID_PARAMETER", param="q")
        page = rows[offset:offset + limit]
        total = len(rows)
        keep = [(k, v) for k, v in req.query if k not in ("limit", "offset")]

        def link(rel, off):
            return {"rel": rel, "href": url(req.base, req.sub, keep + [("limit", limit), ("offset", off)])}

        links = []
        if offset > 0:
            links += [link("first", 0), link("prev", max(offset - limit, 0))]
        if offset + limit < total:
            links.append(link("next", offset + limit))
        if total:
            links.append(link("last", ((total - 1) // limit) * limit))
        links.append({"rel": "self", "href": url(req.base, req.sub, req.query)})
        return Response(200, dumps({"links": links, "count": len(page), "hasMore": offset + limit < total,
                                    "items": [dict({"links": []}, **r) for r in page], "offset": offset,
                                    "totalResults": total}),
                        content_type="application/vnd.oracle.resource+json; type=collection; charset=UTF-8")

    def _run_suiteql(self, q):
        ast = sqlish.parse(q)
        table = ast.table.lower()
        if table not in SQ:
            raise SuiteQLError("Record '%s' was not found." % ast.table)
        cols = SQ[table]

        def col(node):
            if len(node.parts) != 1 or node.parts[0].lower() not in cols:
                raise SuiteQLError("Field '%s' for record '%s' was not found. Reason: NOT_EXPOSED - "
                                   "Not available for channel SEARCH" % (node.name, table))
            return node.parts[0].lower()

        for f in sqlish.fields_of(ast.where) if ast.where is not None else []:
            col(f)

        def value_of(row, node):
            if isinstance(node, sqlish.Field):
                c = col(node)
                v = row.get(c)
                if cols[c] == "bool" and v is not None:
                    return "T" if v else "F"
                return v
            if isinstance(node, sqlish.Lit):
                v = node.value
                if isinstance(v, sqlish.Instant):
                    raise SuiteQLError("Date literals need TO_DATE or TO_TIMESTAMP")
                return v
            if isinstance(node, sqlish.Func):
                return self._func(row, node, value_of, cols)
            raise SuiteQLError("Invalid or unsupported search.")

        def compare(a, b, _node):
            if a is None or b is None:
                return None
            if isinstance(a, (int, float)) and not isinstance(a, bool) and isinstance(b, decimal.Decimal):
                a = decimal.Decimal(repr(a)) if isinstance(a, float) else decimal.Decimal(a)
            elif isinstance(b, (int, float)) and not isinstance(b, bool) and isinstance(a, decimal.Decimal):
                b = decimal.Decimal(repr(b)) if isinstance(b, float) else decimal.Decimal(b)
            if type(a) is not type(b) and not (isinstance(a, (int, float)) and isinstance(b, (int, float))):
                raise SuiteQLError("Invalid comparison between %s and %s" % (type(a).__name__, type(b).__name__))
            return (a > b) - (a < b)

        rows = [r.rec for r in self.table("sq_" + table).rows]
        if ast.where is not None:
            rows = [r for r in rows if sqlish.match(ast.where, r, value_of, compare)]
        order = ast.order or []
        for e, desc, nulls in reversed(order):
            def key(r, e=e):
                return value_of(r, e)
            nulls_first = (nulls == "first") if nulls else desc
            present = sorted((r for r in rows if key(r) is not None), key=key, reverse=desc)
            absent = [r for r in rows if key(r) is None]
            rows = absent + present if nulls_first else present + absent
        if not order:
            rows.sort(key=lambda r: (r.get("transaction", 0), r["id"]))
        if ast.offset:
            rows = rows[ast.offset:]
        if ast.limit is not None:
            rows = rows[:ast.limit]
        out = []
        for r in rows:
            o = {}
            n = 0
            for it in ast.items:
                if isinstance(it.expr, sqlish.Star):
                    for c, typ in cols.items():
                        s = self._sq_str(r.get(c), typ)
                        if s is not None:
                            o[c] = s
                    continue
                if isinstance(it.expr, sqlish.Field):
                    c = col(it.expr)
                    name = (it.alias or c).lower()
                    s = self._sq_str(r.get(c), cols[c])
                else:
                    n += 1
                    name = (it.alias or "expr%d" % n).lower()
                    v = value_of(r, it.expr)
                    s = self._sq_str(v, "str" if isinstance(v, str) else "float")
                if s is not None:
                    o[name] = s
            out.append(o)
        return out

    def _func(self, row, node, value_of, cols):
        name = node.name
        args = node.args
        if name in ("TO_DATE", "TO_TIMESTAMP"):
            if len(args) != 2 or not all(isinstance(a, sqlish.Lit) and isinstance(a.value, str) for a in args):
                raise SuiteQLError("%s takes a string and a format" % name)
            try:
                return sqlish.oracle_parse(args[0].value, args[1].value)
            except (ValueError, sqlish.QueryError):
                raise SuiteQLError("Value '%s' does not match format '%s'" % (args[0].value, args[1].value)) from None
        if name == "TO_CHAR":
            if len(args) != 2 or not isinstance(args[1], sqlish.Lit) or not isinstance(args[1].value, str):
                raise SuiteQLError("TO_CHAR takes a value and a format")
            v = value_of(row, args[0])
            if v is None:
                return None
            if isinstance(args[0], sqlish.Field) and cols.get(args[0].parts[0].lower()) in ("date", "datetime"):
                try:
                    return sqlish.oracle_format(v, args[1].value)
                except sqlish.QueryError as e:
                    raise SuiteQLError(e.message) from None
            return _num_str(v) if isinstance(v, (int, float)) else str(v)
        if name in ("UPPER", "LOWER"):
            if len(args) != 1:
                raise SuiteQLError("%s takes one argument" % name)
            v = value_of(row, args[0])
            return None if v is None else (str(v).upper() if name == "UPPER" else str(v).lower())
        raise SuiteQLError("Unsupported function %s" % name)

    @staticmethod
    def _sq_str(v, typ):
        if v is None:
            return None
        if typ in ("date", "datetime"):
            tm = time.gmtime(v)
            return "%d/%d/%d" % (tm.tm_mon, tm.tm_mday, tm.tm_year)
        if typ == "bool":
            return "T" if v else "F"
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return _num_str(v)
        return str(v)

