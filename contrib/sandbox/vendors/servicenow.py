"""ServiceNow Table API (https://INSTANCE.service-now.com), under /servicenow.

Auth: HTTP Basic user:password.  Refusal: 401 {"error":{"message":"User Not
  Authenticated","detail":"Required to provide Auth information"},"status":"failure"}.
Tables: sn_customerservice_case (support cases carrying credit requests in
  u_credit_amount, u_credit_currency, u_invoice_number, u_credit_reason) and
  customer_account.
  GET /api/now/table/TABLE?sysparm_limit=(default 10000)&sysparm_offset=
      &sysparm_query=ENCODED&sysparm_fields=a,b&sysparm_display_value=false|true|all
      &sysparm_exclude_reference_link=true|false
    -> {"result":[...]} with X-Total-Count and an RFC 8288 Link header
       (rel="first", "prev", "next", "last").
  ENCODED: conditions joined by ^ (and), ^OR (or), ^NQ (new OR group);
  operators = != > >= < <= STARTSWITH ENDSWITH LIKE NOTLIKE IN NOT IN
  ISEMPTY ISNOTEMPTY BETWEEN (a@b); ORDERBYfield, ORDERBYDESCfield.
  Datetimes are "2026-11-01 12:00:00" (UTC); javascript:gs.dateGenerate('2026-11-01','12:00:00')
  is taken too.  Every value is a string; a reference is
  {"link":...,"value":sys_id}.
  GET /api/now/table/TABLE/SYS_ID -> {"result":{...}}.
  PATCH /api/now/table/TABLE/SYS_ID {"state":..,"work_notes":..,...} -> 200 {"result":{...}};
  sys_updated_on and sys_mod_count move on.
"""

import decimal
import re

import world as W
from httpkit import ApiError, json_response, parse_int, url
from vendors import Vendor

STATES = {"1": "New", "10": "Open", "18": "Awaiting Info", "6": "Resolved", "3": "Closed", "7": "Cancelled"}
PRIORITIES = {"1": "1 - Critical", "2": "2 - High", "3": "3 - Moderate", "4": "4 - Low"}
TABLES = {
    # table: {field: type}; types: string datetime decimal integer boolean reference:TABLE choice
    "sn_customerservice_case": {
        "sys_id": "string", "number": "string", "short_description": "string", "description": "string",
        "state": "choice", "priority": "choice", "account": "reference:customer_account",
        "contact": "string", "active": "boolean", "opened_at": "datetime", "closed_at": "datetime",
        "sys_created_on": "datetime", "sys_updated_on": "datetime", "sys_created_by": "string",
        "sys_updated_by": "string", "sys_mod_count": "integer", "work_notes": "string",
        "u_credit_request": "boolean", "u_credit_amount": "decimal", "u_credit_currency": "string",
        "u_invoice_number": "string", "u_credit_reason": "string"},
    "customer_account": {
        "sys_id": "string", "number": "string", "name": "string", "country": "string", "website": "string",
        "active": "boolean", "u_netsuite_id": "string", "u_billing_system": "string",
        "u_billing_customer_id": "string", "u_salesforce_id": "string", "sys_created_on": "datetime",
        "sys_updated_on": "datetime", "sys_created_by": "string", "sys_updated_by": "string",
        "sys_mod_count": "integer"},
}
WRITABLE = {"state", "priority", "work_notes", "short_description", "description", "u_credit_amount",
            "u_credit_currency", "u_invoice_number", "u_credit_reason", "u_credit_request"}
OPS = ("ISNOTEMPTY", "ISEMPTY", "STARTSWITH", "ENDSWITH", "NOTLIKE", "LIKE", "NOT IN", "IN", "BETWEEN",
       "!=", ">=", "<=", "=", ">", "<")
_COND = re.compile(r"([A-Za-z0-9_.]+?)(%s)(.*)\Z" % "|".join(re.escape(o) for o in OPS), re.S)
_GSDATE = re.compile(r"javascript:gs\.dateGenerate\('(\d{4}-\d{2}-\d{2})',\s*'(\d{2}:\d{2}:\d{2})'\)\Z")


class ServiceNow(Vendor):
    name = "servicenow"
    prefix = "/servicenow"
    stream_kinds = {"sn_customerservice_case": "case", "customer_account": "customer"}
    routes = [
        ("GET", r"/api/now(?:/v2)?/table/(\w+)", "list_"),
        ("GET", r"/api/now(?:/v2)?/table/(\w+)/([0-9a-f]{32})", "get"),
        ("PATCH", r"/api/now(?:/v2)?/table/(\w+)/([0-9a-f]{32})", "patch"),
    ]

    # ---- rendering ----

    def render(self, e):
        k = e["kind"]
        if k == "customer":
            c = e
            return [("customer_account", c["ids"]["servicenow"], {
                "sys_id": c["ids"]["servicenow"], "number": c["ids"]["servicenow_number"], "name": c["name"],
                "country": c["country"], "website": "https://www." + c["domain"], "active": "true",
                "u_netsuite_id": c["ids"]["netsuite"], "u_billing_system": c["billing"],
                "u_billing_customer_id": c["ids"]["stripe"] or c["ids"]["chargebee"],
                "u_salesforce_id": c["ids"]["salesforce"], "sys_created_on": W.sn_time(c["created"]),
                "sys_updated_on": W.sn_time(c["updated"]), "sys_created_by": "admin",
                "sys_updated_by": "admin", "sys_mod_count": "2"})]
        if k == "case":
            cs = e
            cr = cs["credit"]
            closed = cs["state"] in ("3", "6")
            return [("sn_customerservice_case", cs["ids"]["servicenow"], {
                "sys_id": cs["ids"]["servicenow"], "number": cs["ids"]["number"],
                "short_description": cs["subject"], "description": cs["description"], "state": cs["state"],
                "priority": cs["priority"], "account": cs["customer"]["ids"]["servicenow"], "contact": "",
                "active": "false" if closed else "true", "opened_at": W.sn_time(cs["created"]),
                "closed_at": W.sn_time(cs["updated"]) if closed else "",
                "sys_created_on": W.sn_time(cs["created"]), "sys_updated_on": W.sn_time(cs["updated"]),
                "sys_created_by": cs["customer"]["contact"]["email"], "sys_updated_by": "sgp.agent",
                "sys_mod_count": str(cs["mod_count"]), "work_notes": "",
                "u_credit_request": "true" if cr else "false",
                "u_credit_amount": W.dec(cr["amount"], cr["currency"]) if cr else "",
                "u_credit_currency": cr["currency"].upper() if cr else "",
                "u_invoice_number": cr["invoice"]["ids"]["number"] if cr else "",
                "u_credit_reason": cr["reason"] if cr else ""})]
        return []

    def streams(self):
        return [(t, "/api/now/table/" + t, len(self.table(t))) for t in TABLES]

    # ---- errors ----

    def error(self, status, message, **extra):
        return json_response(status, {"error": {"message": message, "detail": extra.get("detail")},
                                      "status": "failure"})

    def not_found(self, req):
        return self.error(400, "Requested URI does not represent any resource", detail=None)

    def refused(self, req, status):
        if status == 403:
            return self.error(403, "User Not Authorized", detail="Access to the table is denied by an ACL")
        r = self.error(401, "User Not Authenticated", detail="Required to provide Auth information")
        r.set_header("WWW-Authenticate", 'BASIC realm="Service-now"')
        return r

    def rate_limited(self, req, retry_after):
        r = self.error(429, "Rate limit exceeded", detail="The maximum number of requests per hour for "
                       "this rate limit rule has been exceeded")
        r.set_header("X-RateLimit-Limit", "1000")
        r.set_header("X-RateLimit-Reset", "0")
        if retry_after is not None:
            r.set_header("Retry-After", retry_after)
        return r

    def server_error(self, req, status):
        if status == 500:
            return self.error(500, "Internal server error", detail="An error occurred while processing "
                              "the request")
        return super().server_error(req, status)

    def authenticate(self, req):
        ba = req.basic_auth()
        if not ba or ba != (self.sb.creds["servicenow_user"], self.sb.creds["servicenow_password"]):
            raise ApiError(self.refused(req, 401))

    # ---- encoded queries ----

    def _table(self, name):
        if name not in TABLES:
            raise ApiError(self.error(400, "Invalid table %s" % name))
        return TABLES[name]

    def _value(self, table, rec, field):
        """The raw string value of a (one-level dot-walked) field, or None if unknown."""
        types = TABLES[table]
        if "." in field:
            ref, sub = field.split(".", 1)
            typ = types.get(ref, "")
            if not typ.startswith("reference:"):
                return None
            target = typ.split(":", 1)[1]
            row = self.table(target).get(rec.get(ref))
            if row is None or "." in sub or sub not in TABLES[target]:
                return "" if row is None else None
            return row.rec.get(sub, "")
        return rec.get(field)

    def _ftype(self, table, field):
        types = TABLES[table]
        if "." in field:
            ref, sub = field.split(".", 1)
            typ = types.get(ref, "")
            if not typ.startswith("reference:"):
                return None
            return TABLES[typ.split(":", 1)[1]].get(sub)
        return types.get(field)

    def _compile(self, table, query):
        """(predicate, [(field, desc)]) of an encoded query.  As in ServiceNow,
        ^OR binds tighter than ^ (a^b^ORc is a AND (b OR c)), and ^NQ starts
        a new query whose rows are added to the others."""
        order = []
        groups = [[]]  # ^NQ groups, each a list of AND-ed terms, each a list of OR-ed conditions
        for part in query.split("^"):
            if not part:
                continue
            if part.startswith("NQ"):
                groups.append([])
                part = part[2:]
                if not part:
                    continue
            if part.startswith("ORDERBYDESC"):
                order.append((part[len("ORDERBYDESC"):], True))
                continue
            if part.startswith("ORDERBY"):
                order.append((part[len("ORDERBY"):], False))
                continue
            if part.startswith("OR") and groups[-1]:
                groups[-1][-1].append(self._cond(table, part[2:]))
                continue
            groups[-1].append([self._cond(table, part)])
        for f, _ in order:
            if self._ftype(table, f) is None:
                raise ApiError(self.error(400, "Invalid query", detail="Unknown field '%s' in table '%s'"
                                          % (f, table)))

        def pred(rec):
            return any(all(any(c(rec) for c in term) for term in g) for g in groups)
        return pred, order

    def _scalar(self, typ, s):
        """A comparable form of a stored or queried value."""
        if s is None:
            return None
        if typ == "datetime":
            m = _GSDATE.match(s)
            return "%s %s" % m.groups() if m else s
        if typ in ("decimal", "integer"):
            if s == "":
                return None
            try:
                return decimal.Decimal(s)
            except decimal.InvalidOperation:
                raise ApiError(self.error(400, "Invalid query", detail="'%s' is not a number" % s)) from None
        return s

    def _cond(self, table, term):
        m = _COND.match(term)
        if not m:
            raise ApiError(self.error(400, "Invalid query", detail="Cannot parse condition '%s'" % term))
        field, op, raw = m.groups()
        typ = self._ftype(table, field)
        if typ is None:
            raise ApiError(self.error(400, "Invalid query", detail="Unknown field '%s' in table '%s'"
                                      % (field, table)))

        def get(rec):
            return self._value(table, rec, field)

        if op == "ISEMPTY":
            return lambda rec: get(rec) in (None, "")
        if op == "ISNOTEMPTY":
            return lambda rec: get(rec) not in (None, "")
        if op in ("IN", "NOT IN"):
            vals = set(raw.split(","))
            return (lambda rec: get(rec) in vals) if op == "IN" else (lambda rec: get(rec) not in vals)
        if op in ("LIKE", "NOTLIKE"):
            low = raw.lower()
            return (lambda rec: low in (get(rec) or "").lower()) if op == "LIKE" else \
                (lambda rec: low not in (get(rec) or "").lower())
        if op == "STARTSWITH":
            return lambda rec: (get(rec) or "").lower().startswith(raw.lower())
        if op == "ENDSWITH":
            return lambda rec: (get(rec) or "").lower().endswith(raw.lower())
        if op == "BETWEEN":
            lo, sep, hi = raw.partition("@")
            if not sep:
                raise ApiError(self.error(400, "Invalid query", detail="BETWEEN takes low@high"))
            a, b = self._scalar(typ, lo), self._scalar(typ, hi)

            def between(rec):
                v = self._scalar(typ, get(rec))
                return v not in (None, "") and a <= v <= b
            return between
        want = self._scalar(typ, raw)

        def cmp(rec):
            v = self._scalar(typ, get(rec))
            if op == "=":
                return v == want
            if op == "!=":
                return v != want
            if v in (None, "") or want in (None, ""):
                return False
            return {">": v > want, ">=": v >= want, "<": v < want, "<=": v <= want}[op]
        return cmp

    # ---- output ----

    def _display(self, table, field, raw):
        typ = TABLES[table].get(field, "")
        if field == "state":
            return STATES.get(raw, raw)
        if field == "priority":
            return PRIORITIES.get(raw, raw)
        if typ.startswith("reference:"):
            row = self.table(typ.split(":", 1)[1]).get(raw)
            return (row.rec.get("name") or row.rec.get("number")) if row else ""
        return raw

    def _shape(self, req, table, rec, fields, display, exclude_links):
        out = {}
        for f in fields:
            if "." in f:
                v = self._value(table, rec, f)
                if v is None:
                    continue
                out[f] = v if display == "false" else (v if display == "true" else {"display_value": v, "value": v})
                continue
            if f not in rec:
                continue
            raw = rec[f]
            typ = TABLES[table][f]
            if typ.startswith("reference:") and raw:
                target = typ.split(":", 1)[1]
                link = "%s/api/now/table/%s/%s" % (req.base, target, raw)
                dv = self._display(table, f, raw)
                if display == "false":
                    out[f] = raw if exclude_links else {"link": link, "value": raw}
                elif display == "true":
                    out[f] = dv if exclude_links else {"link": link, "display_value": dv}
                else:
                    out[f] = {"display_value": dv, "value": raw} if exclude_links else \
                        {"display_value": dv, "link": link, "value": raw}
                continue
            if display == "false":
                out[f] = raw
            elif display == "true":
                out[f] = self._display(table, f, raw)
            else:
                out[f] = {"display_value": self._display(table, f, raw), "value": raw}
        return out

    def _params(self, req):
        display = req.q("sysparm_display_value", "false").lower()
        if display not in ("true", "false", "all"):
            raise ApiError(self.error(400, "Invalid sysparm_display_value: %s" % display))
        excl = req.q("sysparm_exclude_reference_link", "false").lower() == "true"
        return display, excl

    def list_(self, req, table):
        types = self._table(table)
        try:
            limit = parse_int(req.q("sysparm_limit", "10000"), 1)
            offset = parse_int(req.q("sysparm_offset", "0"), 0)
        except ValueError:
            raise ApiError(self.error(400, "Invalid sysparm_limit or sysparm_offset")) from None
        display, excl = self._params(req)
        fields_q = req.q("sysparm_fields")
        fields = [f.strip() for f in fields_q.split(",") if f.strip()] if fields_q else list(types)
        rows = [r.rec for r in self.table(table).rows]
        query = req.q("sysparm_query")
        if query:
            pred, order = self._compile(table, query)
            rows = [r for r in rows if pred(r)]
            for f, desc in reversed(order):
                typ = self._ftype(table, f)
                present = [r for r in rows if self._value(table, r, f) not in (None, "")]
                absent = [r for r in rows if self._value(table, r, f) in (None, "")]
                present.sort(key=lambda r, f=f, typ=typ: self._scalar(typ, self._value(table, r, f)),
                             reverse=desc)
                rows = absent + present if not desc else present + absent
        total = len(rows)
        page = rows[offset:offset + limit]
        resp = json_response(200, {"result": [self._shape(req, table, r, fields, display, excl) for r in page]})
        resp.set_header("X-Total-Count", str(total))
        keep = [(k, v) for k, v in req.query if k not in ("sysparm_offset", "sysparm_limit")]

        def link(off, rel):
            return '<%s>;rel="%s"' % (url(req.base, req.sub, keep + [("sysparm_offset", off),
                                                                   ("sysparm_limit", limit)]), rel)

        links = [link(0, "first")]
        if offset > 0:
            links.append(link(max(offset - limit, 0), "prev"))
        if offset + limit < total:
            links.append(link(offset + limit, "next"))
        links.append(link(((total - 1) // limit) * limit if total else 0, "last"))
        resp.set_header("Link", ",".join(links))
        return resp

    def get(self, req, table, sys_id):
        types = self._table(table)
        row = self.table(table).get(sys_id)
        if row is None:
            return self.error(404, "No Record found", detail="Record doesn't exist or ACL restricts the "
                              "record retrieval")
        display, excl = self._params(req)
        fields_q = req.q("sysparm_fields")
        fields = [f.strip() for f in fields_q.split(",") if f.strip()] if fields_q else list(types)
        return json_response(200, {"result": self._shape(req, table, row.rec, fields, display, excl)})

    def patch(self, req, table, sys_id):
        types = self._table(table)
        row = self.table(table).get(sys_id)
        if row is None:
            return self.error(404, "No Record found", detail="Record doesn't exist or ACL restricts the "
                              "record retrieval")
        try:
            body = req.json()
        except ValueError:
            return self.error(400, "Exception while reading request", detail="The payload is not valid JSON")
        if not isinstance(body, dict):
            return self.error(400, "Exception while reading request", detail="The payload must be an object")
        for k, v in body.items():
            if k not in types or k not in WRITABLE:
                return self.error(403, "Operation Failed", detail="Field '%s' is not writable" % k)
            if not isinstance(v, (str, int, float, bool)):
                return self.error(400, "Operation Failed", detail="Field '%s' takes a plain value" % k)
            if k == "state" and str(v) not in STATES:
                return self.error(400, "Operation Failed", detail="Invalid state %s" % v)
            if k == "priority" and str(v) not in PRIORITIES:
                return self.error(400, "Operation Failed", detail="Invalid priority %s" % v)
        rec = row.rec
        now = self.sb.world.tick(1)
        for k, v in body.items():
            sv = ("true" if v else "false") if isinstance(v, bool) else str(v)
            if k == "work_notes":
                rec[k] = ("%s\n%s" % (rec[k], sv)).strip()
            else:
                rec[k] = sv
        if "state" in body and table == "sn_customerservice_case":
            closed = rec["state"] in ("3", "6", "7")
            rec["active"] = "false" if closed else "true"
            rec["closed_at"] = W.sn_time(now) if closed else ""
        rec["sys_updated_on"] = W.sn_time(now)
        rec["sys_updated_by"] = self.sb.creds["servicenow_user"]
        rec["sys_mod_count"] = str(int(rec["sys_mod_count"]) + 1)
        req.mutated = True
        display, excl = self._params(req)
        return json_response(200, {"result": self._shape(req, table, rec, list(types), display, excl)})
