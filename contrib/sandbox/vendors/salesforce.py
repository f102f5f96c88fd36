"""Salesforce REST API (https://MYDOMAIN.my.salesforce.com), under /salesforce.

Auth: OAuth 2.0 client credentials.
  POST /services/oauth2/token (form: grant_type=client_credentials,
  client_id, client_secret; or the client as Basic auth)
    -> {"access_token","signature","scope","instance_url","id","token_type":"Bearer","issued_at"}
  instance_url is this sandbox's /salesforce base.  Tokens live for
  --salesforce-token-ttl seconds (or until POST /_sandbox/tokens/expire); an
  unknown or expired token gets 401 [{"message":"Session expired or invalid",
  "errorCode":"INVALID_SESSION_ID"}].
SOQL: GET /services/data/vNN.N/query?q=SELECT ... (and queryAll)
  SELECT fields (Account.Name style relationship fields too) FROM
  Account | Contract | Opportunity [WHERE ...] [ORDER BY ...] [LIMIT n] [OFFSET n]
  -> {"totalSize","done","records":[{"attributes":{"type","url"},...}],
      "nextRecordsUrl":"/services/data/v59.0/query/01g...-2000"}
  nextRecordsUrl is relative to instance_url: GET instance_url + it.
  Page size: Sforce-Query-Options: batchSize=N (clamped to 200..2000, as
  Salesforce does), else --salesforce-batch-size (default 2000).
  Datetimes are 2026-11-01T12:00:00.000+0000, dates 2026-11-01, money floats.
Records: GET /services/data/vNN.N/sobjects/OBJECT/ID;
  PATCH it with a JSON object of fields -> 204 No Content.  Values are
  checked against the field types (dates "YYYY-MM-DD", numbers, booleans,
  references to existing records); system and formula fields are
  read-only (INVALID_FIELD_FOR_INSERT_UPDATE).  LastModifiedDate and
  SystemModstamp move on.
Errors are JSON arrays [{"message","errorCode"}]; "too many requests" is
403 REQUEST_LIMIT_EXCEEDED (fault kind rate_limit).
"""

import base64
import decimal
import hashlib
import hmac
import os
import time

import sqlish
import world as W
from httpkit import ApiError, Response, dumps, json_response
from vendors import Vendor, stable_id

API = r"/services/data/(v\d+\.\d)"

# object -> [(field, type)]; types: id string datetime date double int boolean reference
SCHEMA = {
    "Account": [("Id", "id"), ("IsDeleted", "boolean"), ("Name", "string"), ("Type", "string"),
                ("AccountNumber", "string"), ("BillingStreet", "string"), ("BillingCity", "string"),
                ("BillingPostalCode", "string"), ("BillingCountry", "string"), ("Website", "string"),
                ("CurrencyIsoCode", "string"), ("Billing_System__c", "string"),
                ("Stripe_Customer_Id__c", "string"), ("Chargebee_Customer_Id__c", "string"),
                ("NetSuite_Id__c", "string"), ("CreatedDate", "datetime"),
                ("LastModifiedDate", "datetime"), ("SystemModstamp", "datetime")],
    "Contract": [("Id", "id"), ("IsDeleted", "boolean"), ("AccountId", "reference"),
                 ("ContractNumber", "string"), ("Status", "string"), ("StartDate", "date"),
                 ("EndDate", "date"), ("ContractTerm", "int"), ("CurrencyIsoCode", "string"),
                 ("Billing_Subscription_Id__c", "string"), ("Total_Contract_Value__c", "double"),
                 ("Monthly_Recurring_Revenue__c", "double"), ("Description", "string"),
                 ("ActivatedDate", "datetime"), ("CreatedDate", "datetime"),
                 ("LastModifiedDate", "datetime"), ("SystemModstamp", "datetime")],
    "Opportunity": [("Id", "id"), ("IsDeleted", "boolean"), ("AccountId", "reference"),
                    ("ContractId", "reference"), ("Name", "string"), ("StageName", "string"),
                    ("Amount", "double"), ("Probability", "double"), ("CloseDate", "date"),
                    ("Type", "string"), ("IsClosed", "boolean"), ("IsWon", "boolean"),
                    ("CurrencyIsoCode", "string"), ("CreatedDate", "datetime"),
                    ("LastModifiedDate", "datetime"), ("SystemModstamp", "datetime")],
}
# relationship name -> (reference field, target object), per object
RELATIONS = {
    "Contract": {"Account": ("AccountId", "Account")},
    "Opportunity": {"Account": ("AccountId", "Account"), "Contract": ("ContractId", "Contract")},
    "Account": {},
}
CANON = {obj: {f.lower(): f for f, _t in fields} for obj, fields in SCHEMA.items()}
TYPE_NAMES = {"datetime": "dateTime", "date": "date", "double": "double", "int": "int",
              "boolean": "boolean", "string": "string", "id": "id", "reference": "reference"}
PROBABILITY = {"Prospecting": 10.0, "Qualification": 20.0, "Needs Analysis": 30.0,
               "Proposal/Price Quote": 50.0, "Negotiation/Review": 75.0, "Closed Won": 100.0,
               "Closed Lost": 0.0}
LOCATOR_IDLE = 15 * 60
READ_ONLY = {"Id", "IsDeleted", "CreatedDate", "LastModifiedDate", "SystemModstamp", "ActivatedDate",
             "ContractNumber", "IsClosed", "IsWon"}


class Salesforce(Vendor):
    name = "salesforce"
    prefix = "/salesforce"
    stream_kinds = {"Account": "customer", "Contract": "contract", "Opportunity": "opportunity"}
    routes = [
        ("POST", r"/services/oauth2/token", "token"),
        ("GET", r"/services/data/?", "versions"),
        ("GET", API + r"/query/?", "query"),
        ("GET", API + r"/queryAll/?", "query"),
        ("GET", API + r"/query/(01g[A-Za-z0-9]{12,15})-(\d+)", "more"),
        ("GET", API + r"/sobjects/(\w+)/(\w+)", "sobject"),
        ("PATCH", API + r"/sobjects/(\w+)/(\w+)", "patch_sobject"),
    ]

    def __init__(self, sandbox):
        super().__init__(sandbox)
        self.tokens = {}  # access token -> expiry (time.monotonic); kept across resets

    def clear(self):
        self.locators = {}
        self.locator_seq = 0

    def expire_tokens(self):
        n = len(self.tokens)
        self.tokens = {}
        return n

    # ---- rendering: typed values; formatted on the way out ----

    def render(self, e):
        k = e["kind"]
        if k == "customer":
            c = e
            return [("Account", c["ids"]["salesforce"], {
                "Id": c["ids"]["salesforce"], "IsDeleted": False, "Name": c["name"], "Type": "Customer",
                "AccountNumber": c["key"], "BillingStreet": c["address"]["line1"],
                "BillingCity": c["address"]["city"], "BillingPostalCode": c["address"]["postal_code"],
                "BillingCountry": c["country"], "Website": "https://www." + c["domain"],
                "CurrencyIsoCode": c["currency"].upper(), "Billing_System__c": c["billing"],
                "Stripe_Customer_Id__c": c["ids"]["stripe"],
                "Chargebee_Customer_Id__c": c["ids"]["chargebee"],
                "NetSuite_Id__c": c["ids"]["netsuite"], "CreatedDate": c["created"],
                "LastModifiedDate": c["updated"], "SystemModstamp": c["updated"]})]
        if k == "contract":
            ct = e
            cur = ct["currency"]
            return [("Contract", ct["ids"]["salesforce"], {
                "Id": ct["ids"]["salesforce"], "IsDeleted": False,
                "AccountId": ct["customer"]["ids"]["salesforce"],
                "ContractNumber": ct["ids"]["contract_number"], "Status": "Activated",
                "StartDate": ct["start"], "EndDate": ct["end"], "ContractTerm": ct["term"],
                "CurrencyIsoCode": cur.upper(), "Billing_Subscription_Id__c": ct["ids"]["subscription"],
                "Total_Contract_Value__c": W.flt(ct["tcv"], cur),
                "Monthly_Recurring_Revenue__c": W.flt(ct["mrr"], cur),
                "Description": "; ".join("%d × %s" % (it["qty"], W.PRODUCTS[it["product"]][0])
                                         for it in ct["items"]),
                "ActivatedDate": ct["start"], "CreatedDate": ct["created"],
                "LastModifiedDate": ct["updated"], "SystemModstamp": ct["updated"]})]
        if k == "opportunity":
            o = e
            closed = o["stage"] in ("Closed Won", "Closed Lost")
            return [("Opportunity", o["ids"]["salesforce"], {
                "Id": o["ids"]["salesforce"], "IsDeleted": False,
                "AccountId": o["customer"]["ids"]["salesforce"],
                "ContractId": o["contract"]["ids"]["salesforce"] if o["contract"] else None,
                "Name": o["name"], "StageName": o["stage"], "Amount": W.flt(o["amount"], o["currency"]),
                "Probability": PROBABILITY[o["stage"]], "CloseDate": o["close"],
                "Type": "New Business" if o["contract"] else "Existing Business",
                "IsClosed": closed, "IsWon": o["stage"] == "Closed Won",
                "CurrencyIsoCode": o["currency"].upper(), "CreatedDate": o["created"],
                "LastModifiedDate": o["updated"], "SystemModstamp": o["updated"]})]
        return []

    def streams(self):
        return [(obj, "/services/data/v59.0/query?q=SELECT+Id+FROM+" + obj, len(self.table(obj)))
                for obj in SCHEMA]

    @staticmethod
    def _fmt(value, typ):
        if value is None:
            return None
        if typ == "datetime":
            return W.sf_time(value)
        if typ == "date":
            return W.date(value)
        return value

    # ---- errors ----

    def error(self, status, message, **extra):
        return json_response(status, [{"message": message, "errorCode": extra.get("code", "INVALID_FIELD"),
                                       **({"fields": extra["fields"]} if "fields" in extra else {})}])

    def not_found(self, req):
        return self.error(404, "The requested resource does not exist", code="NOT_FOUND")

    def method_not_allowed(self, req, allowed):
        r = self.error(405, "HTTP Method '%s' not allowed. Allowed are %s" % (req.method, ",".join(allowed)),
                       code="METHOD_NOT_ALLOWED")
        r.set_header("Allow", ", ".join(allowed))
        return r

    def refused(self, req, status):
        if status == 403:
            return self.error(403, "The REST API is not enabled for this Organization.",
                              code="API_DISABLED_FOR_ORG")
        r = self.error(401, "Session expired or invalid", code="INVALID_SESSION_ID")
        r.set_header("WWW-Authenticate", 'Token')
        return r

    def rate_limited(self, req, retry_after):
        r = self.error(429, "TotalRequests Limit exceeded.", code="REQUEST_LIMIT_EXCEEDED")
        if retry_after is not None:
            r.set_header("Retry-After", retry_after)
        return r

    def native_rate_limit(self, req, retry_after):
        r = self.error(403, "TotalRequests Limit exceeded.", code="REQUEST_LIMIT_EXCEEDED")
        if retry_after is not None:
            r.set_header("Retry-After", retry_after)
        return r

    def server_error(self, req, status):
        if status == 500:
            return self.error(500, "An unexpected error occurred. Please include this ErrorId if "
                              "you contact support: 1429217123-84561 (-1066153412)",
                              code="UNKNOWN_EXCEPTION")
        return super().server_error(req, status)

    # ---- auth ----

    def authenticate(self, req):
        if req.sub.rstrip("/") == "/services/oauth2/token":
            return
        tok = req.bearer()
        exp = self.tokens.get(tok) if tok else None
        if exp is None or exp <= time.monotonic():
            if tok in self.tokens:
                del self.tokens[tok]
            raise ApiError(self.refused(req, 401))

    def token(self, req):
        form = dict(req.form())

        def oauth_error(code, desc, status=400):
            return json_response(status, {"error": code, "error_description": desc})

        if form.get("grant_type") != "client_credentials":
            return oauth_error("unsupported_grant_type", "grant type not supported")
        cid, secret = form.get("client_id"), form.get("client_secret")
        ba = req.basic_auth()
        if ba and cid is None:
            cid, secret = ba
        if cid != self.sb.creds["salesforce_client_id"]:
            return oauth_error("invalid_client_id", "client identifier invalid")
        if secret != self.sb.creds["salesforce_client_secret"]:
            return oauth_error("invalid_client", "invalid client credentials")
        org = "00D8c0000000" + stable_id(3, "org", self.sb.seed)
        tok = org + "!" + base64.urlsafe_b64encode(os.urandom(72)).decode("ascii").rstrip("=")
        self.tokens[tok] = time.monotonic() + self.sb.sf_ttl
        issued = str(int(time.time() * 1000))
        user_id = "0058c00000" + stable_id(5, "user", self.sb.seed)
        ident = "https://login.salesforce.com/id/%s/%s" % (org, user_id)
        sig = base64.b64encode(hmac.new(secret.encode("utf-8"), (ident + issued).encode("utf-8"),
                                        hashlib.sha256).digest()).decode("ascii")
        return json_response(200, {"access_token": tok, "signature": sig, "scope": "api",
                                   "instance_url": req.base, "id": ident, "token_type": "Bearer",
                                   "issued_at": issued})

    def versions(self, req):
        return json_response(200, [{"label": "Spring '24", "url": "/services/data/v60.0", "version": "60.0"},
                                   {"label": "Winter '24", "url": "/services/data/v59.0", "version": "59.0"}])

    # ---- SOQL ----

    def _malformed(self, q, pos, message):
        line = q.replace("\n", " ")
        return ApiError(self.error(400, "\n%s\n%s^\nERROR at Row:1:Column:%d\n%s" % (
            line, " " * pos, pos + 1, message), code="MALFORMED_QUERY"))

    def _field_type(self, obj, parts, q, pos):
        """(type, resolver) for a possibly dotted field of obj; 400 INVALID_FIELD if unknown."""
        types = {f.lower(): (f, t) for f, t in SCHEMA[obj]}
        if len(parts) == 1:
            hit = types.get(parts[0].lower())
            if hit is None:
                raise self._no_column(q, pos, parts[0], obj)
            return hit
        rel = {r.lower(): (r, v) for r, v in RELATIONS[obj].items()}.get(parts[0].lower())
        if rel is None or len(parts) != 2:
            raise self._no_column(q, pos, ".".join(parts), obj)
        target = rel[1][1]
        ttypes = {f.lower(): (f, t) for f, t in SCHEMA[target]}
        hit = ttypes.get(parts[1].lower())
        if hit is None:
            raise self._no_column(q, pos, ".".join(parts), obj)
        return hit

    def _no_column(self, q, pos, name, obj):
        line = q.replace("\n", " ")
        return ApiError(self.error(400, "\n%s\n%s^\nERROR at Row:1:Column:%d\nNo such column '%s' on "
                                   "entity '%s'. If you are attempting to use a custom field, be sure "
                                   "to append the '__c' after the custom field name. Please reference "
                                   "your WSDL or the describe call for the appropriate names."
                                   % (line, " " * pos, pos + 1, name, obj)))

    @staticmethod
    def _path(obj, parts):
        """(relationship or None, canonical field) of a field path already
        checked by _field_type."""
        if len(parts) == 1:
            return None, CANON[obj][parts[0].lower()]
        rel = next(r for r in RELATIONS[obj] if r.lower() == parts[0].lower())
        return rel, CANON[RELATIONS[obj][rel][1]][parts[1].lower()]

    def _resolve(self, obj, rec, parts):
        """The raw value of a (dotted) field on a stored record."""
        rel, f = self._path(obj, parts)
        if rel is None:
            return rec[f]
        ref, target = RELATIONS[obj][rel]
        row = self.table(target).get(rec.get(ref))
        return None if row is None else row.rec[f]

    def _check_literal(self, q, obj, node):
        """SOQL is typed: a datetime field takes a datetime literal, a date a date, ..."""
        if node[0] in ("and", "or"):
            for n in node[1]:
                self._check_literal(q, obj, n)
            return
        if node[0] == "not":
            self._check_literal(q, obj, node[1])
            return
        lhs = node[2] if node[0] == "cmp" else node[1]
        if not isinstance(lhs, sqlish.Field):
            raise self._malformed(q, getattr(lhs, "pos", 0), "unexpected token: a field name is expected")
        canon, typ = self._field_type(obj, lhs.parts, q, lhs.pos)
        if node[0] == "isnull":
            raise self._malformed(q, lhs.pos, "unexpected token: 'IS' (use = null)")
        vals = [node[3]] if node[0] == "cmp" else (node[2] if node[0] == "in" else [node[2]])
        for v in vals:
            if not isinstance(v, sqlish.Lit):
                raise self._malformed(q, getattr(v, "pos", 0), "unexpected token: a value is expected")
            x = v.value
            if x is None:
                continue
            want = {"datetime": lambda a: isinstance(a, sqlish.Instant) and not a.is_date,
                    "date": lambda a: isinstance(a, sqlish.Instant) and a.is_date,
                    "double": lambda a: isinstance(a, decimal.Decimal),
                    "int": lambda a: isinstance(a, decimal.Decimal),
                    "boolean": lambda a: isinstance(a, bool)}.get(typ, lambda a: isinstance(a, str))
            if not want(x):
                hint = " and should not be enclosed in quotes" if isinstance(x, str) else ""
                raise ApiError(self.error(400, "\n%s\n%s^\nERROR at Row:1:Column:%d\nvalue of filter "
                                          "criterion for field '%s' must be of type %s%s"
                                          % (q.replace("\n", " "), " " * v.pos, v.pos + 1, canon,
                                             TYPE_NAMES[typ], hint)))

    def query(self, req, version):
        q = req.q("q")
        if q is None:
            raise ApiError(self.error(400, "A query string has to be specified", code="MALFORMED_QUERY"))
        try:
            ast = sqlish.parse(q)
        except sqlish.QueryError as e:
            raise self._malformed(q, e.pos, e.message) from None
        obj = next((o for o in SCHEMA if o.lower() == ast.table.lower()), None)
        if obj is None:
            raise ApiError(self.error(400, "\n%s\n%s^\nERROR at Row:1:Column:%d\nsObject type '%s' is "
                                      "not supported. If you are attempting to use a custom object, be "
                                      "sure to append the '__c' after the entity name. Please reference "
                                      "your WSDL or the describe call for the appropriate names."
                                      % (q, " " * ast.table_pos, ast.table_pos + 1, ast.table),
                                      code="INVALID_TYPE"))
        cols = []
        for it in ast.items:
            if not isinstance(it.expr, sqlish.Field):
                raise self._malformed(q, getattr(it.expr, "pos", 0),
                                      "unexpected token: only field names are supported in SELECT")
            if it.alias:
                raise self._malformed(q, it.expr.pos, "unexpected token: '%s'" % it.alias)
            canon, typ = self._field_type(obj, it.expr.parts, q, it.expr.pos)
            cols.append((it.expr.parts, canon, typ))
        if ast.where is not None:
            self._check_literal(q, obj, ast.where)
        for e, _desc, _nulls in ast.order:
            if not isinstance(e, sqlish.Field):
                raise self._malformed(q, getattr(e, "pos", 0), "unexpected token in ORDER BY")
            self._field_type(obj, e.parts, q, e.pos)

        def value_of(rec, node):
            if isinstance(node, sqlish.Lit):
                v = node.value
                return v.epoch if isinstance(v, sqlish.Instant) else v
            return self._resolve(obj, rec, node.parts)

        def compare(a, b, _node):
            if a is None or b is None:
                return None
            if isinstance(a, str) and isinstance(b, str):
                a, b = a.lower(), b.lower()
            elif isinstance(a, (int, float)) and not isinstance(a, bool):
                a, b = decimal.Decimal(repr(a)), decimal.Decimal(b)
            return (a > b) - (a < b)

        rows = [r.rec for r in self.table(obj).rows]
        if ast.where is not None:
            rows = [r for r in rows if sqlish.match(ast.where, r, value_of, compare)]
        for e, desc, nulls in reversed(ast.order):
            nulls_first = (nulls == "first") if nulls else not desc

            def key(rec, e=e):
                v = self._resolve(obj, rec, e.parts)
                if isinstance(v, str):
                    v = v.lower()
                return v

            present = [r for r in rows if key(r) is not None]
            absent = [r for r in rows if key(r) is None]
            present.sort(key=key, reverse=desc)
            rows = absent + present if nulls_first else present + absent
        if ast.offset:
            rows = rows[ast.offset:]
        if ast.limit is not None:
            rows = rows[:ast.limit]
        out = [self._shape(obj, version, rec, cols) for rec in rows]
        size = self._batch_size(req)
        self._purge_locators()
        return self._page(version, out, 0, size)

    def _shape(self, obj, version, rec, cols):
        o = {"attributes": {"type": obj, "url": "/services/data/%s/sobjects/%s/%s" % (version, obj, rec["Id"])}}
        for parts, canon, typ in cols:
            if len(parts) == 1:
                o[canon] = self._fmt(rec[canon], typ)
            else:
                rel_name = self._path(obj, parts)[0]
                ref, target = RELATIONS[obj][rel_name]
                row = self.table(target).get(rec.get(ref))
                if row is None:
                    o.setdefault(rel_name, None)
                    continue
                sub = o.get(rel_name)
                if sub is None:
                    sub = o[rel_name] = {"attributes": {
                        "type": target, "url": "/services/data/%s/sobjects/%s/%s" % (version, target, row.id)}}
                sub[canon] = self._fmt(row.rec[canon], typ)
        return o

    def _batch_size(self, req):
        opt = req.header("Sforce-Query-Options", "")
        for part in opt.split(","):
            name, _, val = part.strip().partition("=")
            if name.strip().lower() == "batchsize":
                try:
                    n = int(val.strip())
                except ValueError:
                    raise ApiError(self.error(400, "batchSize must be an integer", code="INVALID_QUERY_FILTER_OPERATOR")) from None
                return min(max(n, 200), 2000)
        return self.sb.sf_batch

    def _purge_locators(self):
        now = time.monotonic()
        for k in [k for k, v in self.locators.items() if now - v["used"] > LOCATOR_IDLE]:
            del self.locators[k]

    def _page(self, version, records, start, size):
        page = records[start:start + size]
        body = {"totalSize": len(records), "done": start + size >= len(records), "records": page}
        if not body["done"]:
            loc = self._locator_for(records, size)
            body["nextRecordsUrl"] = "/services/data/%s/query/%s-%d" % (version, loc, start + size)
        return json_response(200, {k: body[k] for k in ("totalSize", "done", "nextRecordsUrl", "records")
                                   if k in body})

    def _locator_for(self, records, size):
        for k, v in self.locators.items():
            if v["records"] is records:
                v["used"] = time.monotonic()
                return k
        self.locator_seq += 1
        loc = "01g8c" + stable_id(10, "locator", self.sb.seed, self.locator_seq)
        self.locators[loc] = {"records": records, "size": size, "used": time.monotonic()}
        return loc

    def more(self, req, version, loc, start):
        v = self.locators.get(loc)
        start = int(start)
        if v is None or start > len(v["records"]):
            raise ApiError(self.error(400, "invalid query locator", code="INVALID_QUERY_LOCATOR"))
        v["used"] = time.monotonic()
        size = self._batch_size(req) if req.header("Sforce-Query-Options") else v["size"]
        return self._page(version, v["records"], start, size)

    def sobject(self, req, version, obj, oid):
        name = next((o for o in SCHEMA if o.lower() == obj.lower()), None)
        if name is None:
            return self.error(404, "The requested resource does not exist", code="NOT_FOUND")
        row = self.table(name).get(oid)
        if row is None:
            return self.error(404, "Provided external ID field does not exist or is not accessible: %s"
                              % oid, code="NOT_FOUND")
        cols = [([f], f, t) for f, t in SCHEMA[name]]
        return json_response(200, self._shape(name, version, row.rec, cols))


    # ---- writes ----

    def patch_sobject(self, req, version, obj, oid):
        name = next((o for o in SCHEMA if o.lower() == obj.lower()), None)
        if name is None:
            return self.error(404, "The requested resource does not exist", code="NOT_FOUND")
        row = self.table(name).get(oid)
        if row is None:
            return self.error(404, "Provided external ID field does not exist or is not accessible: %s"
                              % oid, code="NOT_FOUND")
        try:
            body = req.json()
        except ValueError:
            return self.error(400, "Unexpected character: was expecting a JSON value", code="JSON_PARSER_ERROR")
        if not isinstance(body, dict) or not body:
            return self.error(400, "The request body must be a JSON object of fields", code="JSON_PARSER_ERROR")
        types = {f.lower(): (f, t) for f, t in SCHEMA[name]}
        changes = {}
        for key, value in body.items():
            hit = types.get(key.lower())
            if hit is None:
                return self.error(400, "No such column '%s' on sobject of type %s" % (key, name),
                                  code="INVALID_FIELD")
            field, typ = hit
            if field in READ_ONLY:
                return self.error(400, "Unable to create/update fields: %s. Please check the security "
                                  "settings of this field and verify that it is read/write for your "
                                  "profile or permission set." % field,
                                  code="INVALID_FIELD_FOR_INSERT_UPDATE", fields=[field])
            try:
                changes[field] = self._typed(typ, value, field)
            except ValueError:
                return self.error(400, "Cannot deserialize instance of %s from %s value %s or request may "
                                  "be missing a required field" % (TYPE_NAMES[typ], type(value).__name__,
                                                                    dumps(value)), code="JSON_PARSER_ERROR")
            if typ == "reference" and changes[field] is not None:
                target = {"AccountId": "Account", "ContractId": "Contract"}[field]
                if self.table(target).get(changes[field]) is None:
                    return self.error(400, "%s ID: id value of incorrect type: %s" % (target, value),
                                      code="MALFORMED_ID", fields=[field])
        now = self.sb.world.tick(1)
        row.rec.update(changes)
        if name == "Opportunity" and "StageName" in changes:
            row.rec["IsClosed"] = changes["StageName"] in ("Closed Won", "Closed Lost")
            row.rec["IsWon"] = changes["StageName"] == "Closed Won"
        row.rec["LastModifiedDate"] = row.rec["SystemModstamp"] = now
        req.mutated = True
        return Response(204)

    @staticmethod
    def _typed(typ, value, field):
        """A JSON value as the stored value of a field of type typ; ValueError if it does not fit."""
        if value is None:
            return None
        if typ in ("string", "id", "reference"):
            if not isinstance(value, str):
                raise ValueError(field)
            return value
        if typ == "boolean":
            if not isinstance(value, bool):
                raise ValueError(field)
            return value
        if typ in ("double", "int"):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ValueError(field)
            if typ == "int" and not float(value).is_integer():
                raise ValueError(field)
            return int(value) if typ == "int" else float(value)
        if not isinstance(value, str):
            raise ValueError(field)
        if typ == "date":
            if len(value) != 10:
                raise ValueError(field)
            return W.parse_time(value)
        return int(W.parse_time(value))
