"""Zendesk Support (https://SUBDOMAIN.zendesk.com), under /zendesk.

Auth: Basic "EMAIL/token:API_TOKEN", or an OAuth Bearer token.  Refusal:
  401 {"error":"Couldn't authenticate you"}.
Reads:
  GET /api/v2/tickets.json and /api/v2/organizations.json
    cursor pagination: page[size] (<= 100, default 100), page[after],
    page[before], sort=[-]id|updated_at|created_at
      -> {"tickets":[...],"meta":{"has_more","after_cursor","before_cursor"},
          "links":{"prev","next"}}
    offset pagination (page=N, per_page<=100)
      -> {"tickets":[...],"next_page","previous_page","count"}
  GET /api/v2/incremental/tickets/cursor.json?start_time=EPOCH | cursor=C
    (per_page <= 1000): tickets updated at or after start_time, in update order
      -> {"tickets","after_url","after_cursor","before_url","before_cursor","end_of_stream"}
  GET /api/v2/tickets/ID.json, GET /api/v2/ticket_fields.json
Writes:
  POST /api/v2/tickets.json {"ticket":{...}} -> 201; Idempotency-Key replays
    (x-idempotency-lookup: hit)
  PUT /api/v2/tickets/ID.json {"ticket":{"status","priority","tags",
    "custom_fields","comment"}} -> 200; the ticket's updated_at moves on.
Tickets carry a credit request in custom fields: CREDIT_AMOUNT (a decimal
string in major units), CREDIT_CURRENCY (lowercase ISO code), INVOICE
(the billing system's invoice number) and CREDIT_REASON.
Errors with Retry-After on 429 (1 second unless the fault says).
"""

import json

import world as W
from httpkit import ApiError, b64d, b64e, dumps, json_response, parse_int, url
from vendors import RateWindow, Vendor

CREDIT_AMOUNT = 360001234567
CREDIT_CURRENCY = 360001234568
INVOICE = 360001234569
CREDIT_REASON = 360001234570

FIELDS = [
    {"id": CREDIT_AMOUNT, "type": "decimal", "title": "Credit amount", "key": "credit_amount",
     "description": "Amount of credit the customer asks for, in the invoice currency"},
    {"id": CREDIT_CURRENCY, "type": "tagger", "title": "Credit currency", "key": "credit_currency",
     "description": "Currency of the credit request",
     "custom_field_options": [{"name": c.upper(), "value": c} for c in sorted(W.EXPONENT)]},
    {"id": INVOICE, "type": "text", "title": "Invoice number", "key": "invoice_number",
     "description": "Invoice the credit request is about"},
    {"id": CREDIT_REASON, "type": "tagger", "title": "Credit reason", "key": "credit_reason",
     "description": "Why the customer asks for credit",
     "custom_field_options": [{"name": r.replace("_", " ").capitalize(), "value": r}
                              for r, _ in W.CREDIT_REASONS]},
]
RATE_LIMIT = 700  # requests a minute, the Zendesk Suite Professional limit
STATUSES = ("new", "open", "pending", "hold", "solved", "closed")
PRIORITIES = ("low", "normal", "high", "urgent")
SORTS = ("id", "updated_at", "created_at")


class Zendesk(Vendor):
    name = "zendesk"
    prefix = "/zendesk"
    stream_kinds = {"tickets": "ticket", "incremental_tickets": "ticket",
                    "organizations": "customer"}
    routes = [
        ("GET", r"/api/v2/tickets(?:\.json)?", "list_tickets"),
        ("POST", r"/api/v2/tickets(?:\.json)?", "create_ticket"),
        ("GET", r"/api/v2/tickets/(\d+)(?:\.json)?", "show_ticket"),
        ("PUT", r"/api/v2/tickets/(\d+)(?:\.json)?", "update_ticket"),
        ("GET", r"/api/v2/organizations(?:\.json)?", "list_orgs"),
        ("GET", r"/api/v2/incremental/tickets/cursor(?:\.json)?", "incremental"),
        ("GET", r"/api/v2/ticket_fields(?:\.json)?", "ticket_fields"),
    ]

    def clear(self):
        self.window = RateWindow(RATE_LIMIT, 60)

    def _rate_headers(self, resp, remaining=None):
        rem = self.window.remaining() if remaining is None else remaining
        for k, v in (("x-rate-limit", RATE_LIMIT), ("x-rate-limit-remaining", rem),
                     ("ratelimit-limit", RATE_LIMIT), ("ratelimit-remaining", rem),
                     ("ratelimit-reset", self.window.reset_in())):
            resp.set_header(k, str(v))
        return resp

    def handle(self, req):
        self.window.hit()
        return self._rate_headers(super().handle(req))

    # ---- rendering (stored without "url", which depends on the Host) ----

    def render(self, e):
        if e["kind"] == "customer":
            c = e
            return [("organizations", c["ids"]["zendesk"], {
                "id": c["ids"]["zendesk"], "external_id": c["ids"]["stripe"] or c["ids"]["chargebee"],
                "name": c["name"], "shared_tickets": False, "shared_comments": False,
                "domain_names": [c["domain"]], "details": "", "notes": "", "group_id": None,
                "tags": [c["billing"]], "created_at": W.iso(c["created"]), "updated_at": W.iso(c["updated"]),
                "organization_fields": {"netsuite_id": c["ids"]["netsuite"],
                                        "billing_system": c["billing"]}})]
        if e["kind"] != "ticket":
            return []
        t = e
        c = t["customer"]
        cr = t["credit"]
        fields = [
            {"id": CREDIT_AMOUNT, "value": W.dec(cr["amount"], cr["currency"]) if cr else None},
            {"id": CREDIT_CURRENCY, "value": cr["currency"] if cr else None},
            {"id": INVOICE, "value": cr["invoice"]["ids"]["number"] if cr else None},
            {"id": CREDIT_REASON, "value": cr["reason"] if cr else None},
        ]
        tid = t["ids"]["zendesk"]
        return [("tickets", tid, {
            "id": tid, "external_id": None,
            "via": {"channel": "email", "source": {
                "from": {"address": c["contact"]["email"], "name": c["contact"]["name"]},
                "to": {"address": "support@sgp-sandbox.zendesk.com", "name": "SGP Support"},
                "rel": None}},
            "created_at": W.iso(t["created"]), "updated_at": W.iso(t["updated"]),
            "type": t["type"], "subject": t["subject"], "raw_subject": t["subject"],
            "description": t["description"], "priority": t["priority"], "status": t["status"],
            "recipient": "support@sgp-sandbox.zendesk.com",
            "requester_id": c["ids"]["zendesk_user"], "submitter_id": c["ids"]["zendesk_user"],
            "assignee_id": None if t["status"] == "new" else 361000000042,
            "organization_id": c["ids"]["zendesk"], "group_id": 360000000007,
            "collaborator_ids": [], "follower_ids": [], "email_cc_ids": [],
            "problem_id": None, "has_incidents": False, "is_public": True, "due_at": None,
            "tags": list(t["tags"]), "custom_fields": fields, "fields": [dict(f) for f in fields],
            "satisfaction_rating": None, "sharing_agreement_ids": [], "followup_ids": [],
            "ticket_form_id": 360000000001, "brand_id": 360000000002,
            "allow_channelback": False, "allow_attachments": True,
            "from_messaging_channel": False})]

    def _out_ticket(self, req, rec):
        return {"url": "%s/api/v2/tickets/%d.json" % (req.base, rec["id"]), **rec}

    def _out_org(self, req, rec):
        return {"url": "%s/api/v2/organizations/%d.json" % (req.base, rec["id"]), **rec}

    def streams(self):
        return [("tickets", "/api/v2/tickets.json", len(self.table("tickets"))),
                ("incremental_tickets", "/api/v2/incremental/tickets/cursor.json",
                 len(self.table("tickets"))),
                ("organizations", "/api/v2/organizations.json", len(self.table("organizations")))]

    # ---- errors ----

    def error(self, status, message, **extra):
        return json_response(status, {"error": extra.pop("code", "InvalidValue"), "description": message,
                                      **extra})

    def not_found(self, req):
        return json_response(404, {"error": "InvalidEndpoint", "description": "Not found"})

    def refused(self, req, status):
        if status == 403:
            return json_response(403, {"error": "Forbidden", "description": "You do not have access "
                                       "to this page. Please contact the account owner of this help "
                                       "desk for further help."})
        r = json_response(401, {"error": "Couldn't authenticate you"})
        r.set_header("WWW-Authenticate", 'Basic realm="Web Password"')
        return r

    def rate_limited(self, req, retry_after):
        self.window.hit()
        r = self._rate_headers(json_response(429, {"error": "APIRateLimitExceeded",
                                                   "description": "Number of allowed API requests per minute exceeded"}),
                               remaining=0)
        if retry_after is not None:
            r.set_header("Retry-After", retry_after)
        return r

    def server_error(self, req, status):
        if status == 500:
            return json_response(500, {"error": "InternalError",
                                       "description": "Something went wrong on our end"})
        return super().server_error(req, status)

    def idem_mismatch(self, req, key):
        return json_response(400, {"error": "IdempotentRequestError", "description":
                                   "The idempotency key was already used with a different request"})

    def mark_replay(self, resp):
        resp.set_header("x-idempotency-lookup", "hit")

    def authenticate(self, req):
        tok = req.bearer()
        if tok is not None:
            if tok == self.sb.creds["zendesk_oauth_token"]:
                return
            raise ApiError(self.refused(req, 401))
        ba = req.basic_auth()
        if ba and ba[0] == self.sb.creds["zendesk_email"] + "/token" and ba[1] == self.sb.creds["zendesk_token"]:
            return
        raise ApiError(self.refused(req, 401))

    # ---- cursor and offset pagination ----

    def _bad_page(self, message):
        return ApiError(json_response(400, {"error": "InvalidPaginationParameter", "description": message}))

    def _paged(self, req, table, key, out):
        """Cursor (page[size]/page[after]/page[before]) or offset (page/per_page) pagination."""
        rows = table.rows
        if req.q("page") is not None and req.q("page[size]") is None:
            return self._offset(req, rows, key, out)
        sort = req.q("sort", "id")
        desc = sort.startswith("-")
        field = sort.lstrip("-")
        if field not in SORTS:
            raise ApiError(self.error(400, "sort must be one of %s, optionally with a leading -"
                                      % ", ".join(SORTS)))

        def sk(row):
            return (row.rec[field], row.rec["id"]) if field != "id" else (row.rec["id"], 0)

        ordered = sorted(rows, key=sk, reverse=desc)
        try:
            size = parse_int(req.q("page[size]", "100"), 1, 100)
        except ValueError:
            raise self._bad_page("page[size] must be an integer from 1 to 100") from None
        after, before = req.q("page[after]"), req.q("page[before]")
        if after is not None and before is not None:
            raise self._bad_page("page[after] and page[before] cannot be used together")

        def decode(c):
            try:
                d = json.loads(b64d(c))
                if d["s"] != sort:
                    raise ValueError(c)
                return tuple(d["k"])
            except (ValueError, KeyError, TypeError):
                raise self._bad_page("invalid cursor") from None

        def encode(row):
            return b64e(dumps({"s": sort, "k": list(sk(row))}))

        def beyond(a, b):
            return a > b if not desc else a < b

        if after is not None:
            k = decode(after)
            rest = [r for r in ordered if beyond(sk(r), k)]
            page, more_after = rest[:size], len(rest) > size
            more_before = True
        elif before is not None:
            k = decode(before)
            rest = [r for r in ordered if beyond(k, sk(r))]
            page, more_before = rest[-size:], len(rest) > size
            more_after = True
        else:
            page, more_after, more_before = ordered[:size], len(ordered) > size, False
        ac = encode(page[-1]) if page else None
        bc = encode(page[0]) if page else None
        params = [(k, v) for k, v in req.query if not k.startswith("page[")]
        links = {"prev": url(req.base, req.sub, params + [("page[before]", bc), ("page[size]", size)])
                 if bc and more_before else None,
                 "next": url(req.base, req.sub, params + [("page[after]", ac), ("page[size]", size)])
                 if ac and more_after else None}
        has_more = more_after if before is None else more_before
        return json_response(200, {key: [out(req, r.rec) for r in page],
                                   "meta": {"has_more": has_more, "after_cursor": ac, "before_cursor": bc},
                                   "links": links})

    def _offset(self, req, rows, key, out):
        try:
            page = parse_int(req.q("page", "1"), 1)
            per = parse_int(req.q("per_page", "100"), 1, 100)
        except ValueError:
            raise self._bad_page("page must be >= 1 and per_page from 1 to 100") from None
        ordered = sorted(rows, key=lambda r: r.rec["id"])
        chunk = ordered[(page - 1) * per: page * per]
        params = [(k, v) for k, v in req.query if k not in ("page", "per_page")]
        nxt = url(req.base, req.sub, params + [("page", page + 1), ("per_page", per)]) \
            if page * per < len(ordered) else None
        prv = url(req.base, req.sub, params + [("page", page - 1), ("per_page", per)]) if page > 1 else None
        return json_response(200, {key: [out(req, r.rec) for r in chunk], "next_page": nxt,
                                   "previous_page": prv, "count": len(ordered)})

    def list_tickets(self, req):
        return self._paged(req, self.table("tickets"), "tickets", self._out_ticket)

    def list_orgs(self, req):
        return self._paged(req, self.table("organizations"), "organizations", self._out_org)

    def show_ticket(self, req, tid):
        row = self.table("tickets").get(int(tid))
        if row is None:
            return json_response(404, {"error": "RecordNotFound", "description": "Not found"})
        return json_response(200, {"ticket": self._out_ticket(req, row.rec)})

    def ticket_fields(self, req):
        return json_response(200, {"ticket_fields": [
            {"url": "%s/api/v2/ticket_fields/%d.json" % (req.base, f["id"]), **f,
             "active": True, "required": False, "visible_in_portal": False,
             "created_at": "2024-01-15T09:00:00Z", "updated_at": "2024-01-15T09:00:00Z"}
            for f in FIELDS], "next_page": None, "previous_page": None, "count": len(FIELDS)})

    # ---- incremental export ----

    def incremental(self, req):
        try:
            per = parse_int(req.q("per_page", "1000"), 1, 1000)
        except ValueError:
            raise self._bad_page("per_page must be an integer from 1 to 1000") from None
        cursor = req.q("cursor")
        start = req.q("start_time")
        if cursor is None and start is None:
            raise ApiError(json_response(400, {"error": "InvalidValue",
                                               "description": "start_time or cursor is required"}))
        if cursor is not None:
            try:
                d = json.loads(b64d(cursor))
                k = (int(d["u"]), int(d["i"]))
            except (ValueError, KeyError, TypeError):
                raise ApiError(json_response(400, {"error": "InvalidValue",
                                                   "description": "cursor is invalid"})) from None
        else:
            try:
                st = parse_int(start, 0)
            except ValueError:
                raise ApiError(json_response(400, {"error": "InvalidValue",
                                                   "description": "start_time must be an epoch time"})) from None
            k = (st, -1)

        def sk(row):
            return (int(W.parse_time(row.rec["updated_at"])), row.rec["id"])

        rest = sorted((r for r in self.table("tickets").rows
                       if (sk(r) > k if cursor is not None else sk(r)[0] >= k[0])), key=sk)
        page = rest[:per]
        end = len(rest) <= per
        if page:
            last = sk(page[-1])
            ac = b64e(dumps({"u": last[0], "i": last[1]}))
        else:
            ac = cursor if cursor is not None else b64e(dumps({"u": k[0], "i": -1}))
        after_url = url(req.base, "/api/v2/incremental/tickets/cursor.json",
                        [("cursor", ac)] + ([("per_page", per)] if req.q("per_page") else []))
        return json_response(200, {"tickets": [self._out_ticket(req, r.rec) for r in page],
                                   "after_url": after_url, "after_cursor": ac,
                                   "before_url": None, "before_cursor": None,
                                   "end_of_stream": end})

    # ---- writes ----

    def _ticket_body(self, req):
        try:
            body = req.json()
        except ValueError:
            raise ApiError(json_response(400, {"error": "Unprocessable Entity",
                                               "description": "Body is not valid JSON"})) from None
        if not isinstance(body, dict) or not isinstance(body.get("ticket"), dict):
            raise ApiError(json_response(400, {"error": "InvalidValue",
                                               "description": "Body must be {\"ticket\": {...}}"}))
        return body["ticket"]

    def _invalid(self, details):
        return ApiError(json_response(422, {"error": "RecordInvalid",
                                            "description": "Record validation errors",
                                            "details": details}))

    def _apply(self, rec, t, now):
        """Apply the writable fields of `t` to ticket `rec`; 422 on bad values."""
        details = {}
        if "status" in t and t["status"] not in STATUSES:
            details["status"] = [{"description": "Status: is invalid", "error": "InvalidValue"}]
        if "priority" in t and t["priority"] not in PRIORITIES + (None,):
            details["priority"] = [{"description": "Priority: is invalid", "error": "InvalidValue"}]
        if "tags" in t and (not isinstance(t["tags"], list) or
                            not all(isinstance(x, str) for x in t["tags"])):
            details["tags"] = [{"description": "Tags: must be a list of strings", "error": "InvalidValue"}]
        known = {f["id"] for f in FIELDS}
        cfs = t.get("custom_fields", [])
        if not isinstance(cfs, list) or not all(isinstance(f, dict) and f.get("id") in known for f in cfs):
            details["custom_fields"] = [{"description": "Custom fields: unknown field id",
                                         "error": "InvalidValue"}]
        comment = t.get("comment")
        if comment is not None and (not isinstance(comment, dict) or not isinstance(comment.get("body"), str)
                                    or not comment["body"].strip()):
            details["comment"] = [{"description": "Comment: body is required", "error": "InvalidValue"}]
        if details:
            raise self._invalid(details)
        for f in ("status", "priority", "subject", "type"):
            if f in t:
                rec[f] = t[f]
        if "tags" in t:
            rec["tags"] = list(t["tags"])
        for f in cfs:
            for target in (rec["custom_fields"], rec["fields"]):
                for have in target:
                    if have["id"] == f["id"]:
                        have["value"] = f.get("value")
        rec["updated_at"] = W.iso(now)
        return comment

    def update_ticket(self, req, tid):
        row = self.table("tickets").get(int(tid))
        if row is None:
            return json_response(404, {"error": "RecordNotFound", "description": "Not found"})
        t = self._ticket_body(req)
        now = self.sb.world.tick(1)
        comment = self._apply(row.rec, t, now)
        req.mutated = True
        audit = {"id": 900000000000 + now % 1000000000, "ticket_id": row.rec["id"],
                 "created_at": W.iso(now), "events": [
                     {"type": "Change", "field_name": k, "value": t[k]} for k in t if k != "comment"]
                 + ([{"type": "Comment", "body": comment["body"], "public": bool(comment.get("public", True))}]
                    if comment else [])}
        return json_response(200, {"ticket": self._out_ticket(req, row.rec), "audit": audit})

    def create_ticket(self, req):
        return self.idempotent(req, req.header("Idempotency-Key"), lambda: self._create(req))

    def _create(self, req):
        t = self._ticket_body(req)
        comment = t.get("comment")
        if not isinstance(comment, dict) or not isinstance(comment.get("body"), str) or not comment["body"].strip():
            raise self._invalid({"description": [{"description": "Description: cannot be blank",
                                                  "error": "BlankValue"}]})
        now = self.sb.world.tick(1)
        tid = self.sb.world.next_id("zd-ticket", 1001, 1)
        rec = {"id": tid, "external_id": t.get("external_id"),
               "via": {"channel": "api", "source": {"from": {}, "to": {}, "rel": None}},
               "created_at": W.iso(now), "updated_at": W.iso(now),
               "type": None, "subject": t.get("subject") or comment["body"][:60],
               "raw_subject": t.get("subject") or comment["body"][:60],
               "description": comment["body"], "priority": None, "status": "new",
               "recipient": None, "requester_id": t.get("requester_id"), "submitter_id": None,
               "assignee_id": None, "organization_id": t.get("organization_id"), "group_id": None,
               "collaborator_ids": [], "follower_ids": [], "email_cc_ids": [], "problem_id": None,
               "has_incidents": False, "is_public": bool(comment.get("public", True)), "due_at": None,
               "tags": [], "custom_fields": [{"id": f["id"], "value": None} for f in FIELDS],
               "fields": [{"id": f["id"], "value": None} for f in FIELDS],
               "satisfaction_rating": None, "sharing_agreement_ids": [], "followup_ids": [],
               "ticket_form_id": 360000000001, "brand_id": 360000000002,
               "allow_channelback": False, "allow_attachments": True, "from_messaging_channel": False}
        self._apply(rec, {k: v for k, v in t.items() if k != "comment"}, now)
        self.table("tickets").put(tid, rec)
        req.mutated = True
        r = json_response(201, {"ticket": self._out_ticket(req, rec)})
        r.set_header("Location", "%s/api/v2/tickets/%d.json" % (req.base, tid))
        return r
