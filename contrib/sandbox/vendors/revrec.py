"""A revenue-recognition platform ("revrec"), under /revrec.

Auth: X-API-Key header.  Refusal: 401 {"error":{"code":"unauthorized",...}}.
Reads (page-number pagination, 1-based):
  GET /api/v1/revenue_schedules?page=N&per_page=M(1..100, default 25)[&updated_since=RFC3339]
    -> {"data":[...],"page":N,"per_page":M,"total_pages":K,"total":T}
    Ordered by updated_at, then id.  A page past the end has empty data.
  GET /api/v1/revenue_schedules/ID
  GET /api/v1/contract_amendments?page=&per_page=  (what was posted)
Writes:
  POST /api/v1/contract_amendments (JSON)
    {"contract_id": the Salesforce contract id, "effective_date": "YYYY-MM-DD",
     "amount_delta": "decimal string", "currency": "USD", "reason": "...",
     "external_id": optional}
    -> 201 {"id":"am_...","object":"contract_amendment",...,"schedule_id"}
    The schedule is re-planned: the delta is spread over the periods from the
    effective month on; its version goes up and updated_at moves on.
    Idempotency-Key: the same key and body replay the first response
    (Idempotent-Replayed: true); another body with that key is a 409.
Money is a decimal string with the currency's digits; times are RFC 3339.
"""

import math

import world as W
from httpkit import ApiError, json_response, parse_int
from vendors import Vendor, stable_id


class RevRec(Vendor):
    name = "revrec"
    prefix = "/revrec"
    stream_kinds = {"revenue_schedules": "contract"}
    routes = [
        ("GET", r"/api/v1/revenue_schedules", "list_schedules"),
        ("GET", r"/api/v1/revenue_schedules/(rs_[0-9a-f]+)", "get_schedule"),
        ("GET", r"/api/v1/contract_amendments", "list_amendments"),
        ("GET", r"/api/v1/contract_amendments/(am_[0-9a-z]+)", "get_amendment"),
        ("POST", r"/api/v1/contract_amendments", "create_amendment"),
    ]

    # ---- rendering: a schedule keeps integer amounts in "_plan" until output ----

    def render(self, e):
        if e["kind"] != "schedule":
            return []
        s = e
        k = s["contract"]
        rec = {"id": s["ids"]["revrec"], "object": "revenue_schedule",
               "contract_ref": {"system": "salesforce", "id": k["ids"]["salesforce"],
                                "number": k["ids"]["contract_number"]},
               "customer_ref": {"system": "netsuite", "id": s["customer"]["ids"]["netsuite"],
                                "name": s["customer"]["name"]},
               "currency": s["currency"].upper(), "method": "ratable_monthly",
               "start_date": W.date(k["start"]), "end_date": W.date(k["end"]), "version": s["version"],
               "created_at": W.iso(s["created"]), "updated_at": W.iso(s["updated"]),
               "_plan": [{"period": x["period"], "start": x["start"], "end": x["end"], "amount": x["amount"]}
                         for x in s["entries"]]}
        return [("schedules", rec["id"], rec)]

    def streams(self):
        return [("revenue_schedules", "/api/v1/revenue_schedules", len(self.table("schedules")))]

    def _out(self, rec):
        cur = rec["currency"].lower()
        now = self.sb.world.clock
        entries = []
        recognized = 0
        for x in rec["_plan"]:
            done = x["end"] + W.DAY <= now
            if done:
                recognized += x["amount"]
            entries.append({"period": x["period"], "start_date": W.date(x["start"]), "end_date": W.date(x["end"]),
                            "amount": W.dec(x["amount"], cur), "status": "recognized" if done else "scheduled"})
        total = sum(x["amount"] for x in rec["_plan"])
        out = {k: v for k, v in rec.items() if not k.startswith("_")}
        out.update({"total_amount": W.dec(total, cur), "recognized_amount": W.dec(recognized, cur),
                    "deferred_amount": W.dec(total - recognized, cur), "entries": entries})
        return out

    # ---- errors ----

    def error(self, status, message, **extra):
        err = {"code": extra.get("code", "invalid_request"), "message": message}
        if "details" in extra:
            err["details"] = extra["details"]
        return json_response(status, {"error": err})

    def not_found(self, req):
        return self.error(404, "No route for %s %s" % (req.method, req.sub), code="not_found")

    def refused(self, req, status):
        if status == 403:
            return self.error(403, "This API key may not perform this operation", code="forbidden")
        return self.error(401, "Missing or invalid API key", code="unauthorized")

    def rate_limited(self, req, retry_after):
        r = self.error(429, "Too many requests; slow down", code="rate_limited")
        if retry_after is not None:
            r.set_header("Retry-After", retry_after)
        return r

    def server_error(self, req, status):
        if status == 500:
            return self.error(500, "Internal error", code="internal_error")
        return super().server_error(req, status)

    def idem_mismatch(self, req, key):
        return self.error(409, "Idempotency-Key %s was already used with a different request body" % key,
                          code="idempotency_key_reused")

    def mark_replay(self, resp):
        resp.set_header("Idempotent-Replayed", "true")

    def authenticate(self, req):
        if req.header("X-API-Key") != self.sb.creds["revrec_key"]:
            raise ApiError(self.refused(req, 401))

    # ---- reads ----

    def _paging(self, req):
        try:
            page = parse_int(req.q("page", "1"), 1)
            per = parse_int(req.q("per_page", "25"), 1, 100)
        except ValueError:
            raise ApiError(self.error(400, "page must be >= 1 and per_page from 1 to 100",
                                      code="invalid_pagination")) from None
        return page, per

    def _page(self, items, page, per):
        total_pages = max(1, math.ceil(len(items) / per))
        return {"data": items[(page - 1) * per: page * per], "page": page, "per_page": per,
                "total_pages": total_pages, "total": len(items)}

    def list_schedules(self, req):
        page, per = self._paging(req)
        rows = [r.rec for r in self.table("schedules").rows]
        since = req.q("updated_since")
        if since is not None:
            try:
                t = W.parse_time(since)
            except ValueError:
                raise ApiError(self.error(400, "updated_since must be an RFC 3339 time",
                                          code="invalid_parameter")) from None
            rows = [r for r in rows if W.parse_time(r["updated_at"]) >= t]
        rows.sort(key=lambda r: (W.parse_time(r["updated_at"]), r["id"]))
        body = self._page(rows, page, per)
        body["data"] = [self._out(r) for r in body["data"]]
        return json_response(200, body)

    def get_schedule(self, req, sid):
        row = self.table("schedules").get(sid)
        if row is None:
            return self.error(404, "No revenue schedule %s" % sid, code="not_found")
        return json_response(200, self._out(row.rec))

    def list_amendments(self, req):
        page, per = self._paging(req)
        return json_response(200, self._page([r.rec for r in self.table("amendments").rows], page, per))

    def get_amendment(self, req, aid):
        row = self.table("amendments").get(aid)
        if row is None:
            return self.error(404, "No contract amendment %s" % aid, code="not_found")
        return json_response(200, row.rec)

    # ---- writes ----

    def create_amendment(self, req):
        return self.idempotent(req, req.header("Idempotency-Key"), lambda: self._amend(req))

    def _amend(self, req):
        try:
            body = req.json()
        except ValueError:
            raise ApiError(self.error(400, "The body is not valid JSON", code="invalid_json")) from None
        if not isinstance(body, dict):
            raise ApiError(self.error(400, "The body must be a JSON object", code="invalid_json"))
        details = []

        def bad(field, msg):
            details.append({"field": field, "message": msg})

        for f in ("contract_id", "effective_date", "amount_delta", "currency"):
            if not isinstance(body.get(f), str) or not body[f]:
                bad(f, "is required and must be a string")
        for f in body:
            if f not in ("contract_id", "effective_date", "amount_delta", "currency", "reason", "external_id"):
                bad(f, "is not a known field")
        if details:
            raise ApiError(self.error(422, "Validation failed", code="validation_failed", details=details))
        row = next((r for r in self.table("schedules").rows if r.rec["contract_ref"]["id"] == body["contract_id"]),
                   None)
        if row is None:
            raise ApiError(self.error(404, "No contract %s" % body["contract_id"], code="not_found"))
        rec = row.rec
        cur = rec["currency"].lower()
        if body["currency"].upper() != rec["currency"]:
            bad("currency", "must be the schedule currency %s" % rec["currency"])
        try:
            delta = W.parse_dec(body["amount_delta"], cur)
        except ValueError:
            delta = None
            bad("amount_delta", "must be a decimal string with at most %d decimal places" % W.exponent(cur))
        try:
            eff = W.parse_time(body["effective_date"]) if len(body["effective_date"]) == 10 else None
            if eff is None:
                raise ValueError(body["effective_date"])
        except ValueError:
            eff = None
            bad("effective_date", "must be a date YYYY-MM-DD")
        if eff is not None:
            future = [x for x in rec["_plan"] if x["end"] >= eff]
            if not future:
                bad("effective_date", "is after the end of the schedule (%s)" % rec["end_date"])
        if delta is not None and eff is not None and not details:
            n = len(future)
            each, rem = divmod(abs(delta), n)
            sign = -1 if delta < 0 else 1
            shares = [sign * (each + (1 if i < rem else 0)) for i in range(n)]
            if any(x["amount"] + s < 0 for x, s in zip(future, shares)):
                bad("amount_delta", "would make a period negative")
        if details:
            raise ApiError(self.error(422, "Validation failed", code="validation_failed", details=details))
        t = self.sb.world.tick(1)
        for x, s in zip(future, shares):
            x["amount"] += s
        rec["version"] += 1
        rec["updated_at"] = W.iso(t)
        aid = "am_" + stable_id(24, "amendment", self.sb.seed, t, len(self.table("amendments"))).lower()
        am = {"id": aid, "object": "contract_amendment", "contract_id": body["contract_id"],
              "schedule_id": rec["id"], "effective_date": body["effective_date"],
              "amount_delta": W.dec(delta, cur), "currency": rec["currency"], "reason": body.get("reason"),
              "external_id": body.get("external_id"), "status": "applied", "schedule_version": rec["version"],
              "created_at": W.iso(t)}
        self.table("amendments").put(aid, am)
        req.mutated = True
        r = json_response(201, am)
        r.set_header("Location", "%s/api/v1/contract_amendments/%s" % (req.base, aid))
        return r
