"""Chargebee API v2 (https://SITE.chargebee.com), under /chargebee.

Auth: HTTP Basic with the API key as the user name and no password.
Lists: GET /api/v2/customers, /api/v2/subscriptions, /api/v2/invoices,
  /api/v2/credit_notes
  limit (1..100, default 10), offset (the opaque next_offset of the page
  before), sort_by[asc|desc]=date|updated_at|created_at, filters
  updated_at[after|before|on|between], date[...] / created_at[...],
  customer_id[is], status[is], id[is]; include_deleted.  Newest first.
  -> {"list":[{"invoice":{...}}, ...],"next_offset":"[\"1793534400000\",\"17\"]"}
  next_offset is absent on the last page.  Unknown parameters are a 400.
Objects: GET /api/v2/<list>/ID -> {"invoice":{...}}.
Writes: POST /api/v2/credit_notes (form: reference_invoice_id, total, type
  adjustment|refundable, reason_code, customer_notes, comment)
  -> {"credit_note":{...},"invoice":{...}}; the chargebee-idempotency-key
  header replays the first response.
Amounts are integers in minor units, times epoch seconds, currency codes
upper case, custom fields cf_*.
"""

import json

import world as W
from httpkit import ApiError, Response, dumps, parse_int
from vendors import Vendor, stable_id

LISTS = {
    # resource: (object name, date field for date[...] filters and sort, allowed sort fields)
    "customers": ("customer", "created_at", ("created_at", "updated_at")),
    "subscriptions": ("subscription", "created_at", ("created_at", "updated_at")),
    "invoices": ("invoice", "date", ("date", "updated_at")),
    "credit_notes": ("credit_note", "date", ("date", "updated_at")),
}
REASONS = {"outage": "service_unsatisfactory", "overbilled_seats": "order_change",
           "duplicate": "other", "downgrade": "subscription_change", "goodwill": "waiver"}
CN_REASONS = ("write_off", "subscription_change", "subscription_cancellation", "subscription_pause",
              "chargeback", "product_unsatisfactory", "service_unsatisfactory", "order_change",
              "order_cancellation", "waiver", "other")
TIME_OPS = ("after", "before", "on", "between")


class Chargebee(Vendor):
    name = "chargebee"
    prefix = "/chargebee"
    default_retry_after = None
    stream_kinds = {"customers": "customer", "subscriptions": "contract", "invoices": "invoice",
                    "credit_notes": "credit_note"}
    routes = [
        ("GET", r"/api/v2/(customers|subscriptions|invoices|credit_notes)", "list_"),
        ("GET", r"/api/v2/(customers|subscriptions|invoices|credit_notes)/([\w-]+)", "retrieve"),
        ("POST", r"/api/v2/credit_notes", "create_credit_note"),
    ]

    # ---- rendering ----

    def render(self, e):
        k = e["kind"]
        if k == "customer" and e["ids"]["chargebee"]:
            c = e
            first, last = c["contact"]["name"].split(" ", 1)
            return [("customers", c["ids"]["chargebee"], {
                "id": c["ids"]["chargebee"], "first_name": first, "last_name": last, "email": c["email"],
                "company": c["name"], "auto_collection": "on", "net_term_days": 0,
                "allow_direct_debit": False, "created_at": c["created"], "taxability": "taxable",
                "updated_at": c["updated"], "pii_cleared": "active", "channel": "web",
                "resource_version": c["updated"] * 1000, "deleted": False, "object": "customer",
                "billing_address": {"first_name": first, "last_name": last, "company": c["name"],
                                    "line1": c["address"]["line1"], "city": c["address"]["city"],
                                    "zip": c["address"]["postal_code"], "country": c["country"],
                                    "validation_status": "not_validated", "object": "billing_address"},
                "card_status": "valid", "promotional_credits": 0, "refundable_credits": 0,
                "excess_payments": 0, "unbilled_charges": 0,
                "preferred_currency_code": c["currency"].upper(),
                "cf_netsuite_id": c["ids"]["netsuite"], "cf_salesforce_id": c["ids"]["salesforce"]})]
        if k == "contract" and e["customer"]["ids"]["chargebee"]:
            ct = e
            cur = ct["currency"].upper()
            n = 0
            while W.add_months(ct["start"], n + 1) <= max(self.sb.world.clock, W.BASE) and n + 1 < ct["term"]:
                n += 1
            sid = ct["ids"]["subscription"]
            return [("subscriptions", sid, {
                "id": sid, "billing_period": 1, "billing_period_unit": "month",
                "customer_id": ct["customer"]["ids"]["chargebee"], "status": "active",
                "current_term_start": W.add_months(ct["start"], n),
                "current_term_end": W.add_months(ct["start"], n + 1) - 1,
                "next_billing_at": W.add_months(ct["start"], n + 1), "created_at": ct["created"],
                "started_at": ct["start"], "activated_at": ct["start"], "updated_at": ct["updated"],
                "has_scheduled_changes": False, "channel": "web", "resource_version": ct["updated"] * 1000,
                "deleted": False, "object": "subscription", "currency_code": cur, "due_invoices_count": 0,
                "mrr": ct["mrr"],
                "subscription_items": [{
                    "item_price_id": "%s-%s-Monthly" % (it["product"], cur),
                    "item_type": "plan" if it["product"].startswith("PLAN") else "addon",
                    "quantity": it["qty"], "unit_price": it["unit"], "amount": it["qty"] * it["unit"],
                    "free_quantity": 0, "object": "subscription_item"} for it in ct["items"]],
                "contract_term": {"id": "ct_" + stable_id(14, "ct", sid), "status": "active",
                                  "contract_start": ct["start"], "contract_end": ct["end"] + W.DAY - 1,
                                  "billing_cycle": ct["term"], "action_at_term_end": "renew",
                                  "total_contract_value": ct["tcv"], "object": "contract_term"},
                "cf_salesforce_contract_id": ct["ids"]["salesforce"]})]
        if k == "invoice":
            return [("invoices", e["ids"]["billing"], self._invoice(e))]
        if k == "credit_note":
            return [("credit_notes", e["ids"]["billing"], self._credit_note(e))]
        return []

    def _invoice(self, inv):
        c = inv["customer"]
        cur = inv["currency"].upper()
        pre, _post = W.credit_split(inv)
        paid = inv["status"] == "paid"
        due = inv["total"] - pre
        lines = []
        for i, (ln, tax) in enumerate(zip(inv["lines"], W.line_taxes(inv))):
            one_time = ln["product"] == "SVC-ONBOARDING"
            lines.append({
                "id": "li_" + stable_id(16, "li", inv["ids"]["billing"], i),
                "date_from": ln["period_start"], "date_to": ln["period_end"] - 1 if not one_time else ln["period_end"],
                "unit_amount": ln["unit"], "quantity": ln["qty"], "amount": ln["amount"],
                "pricing_model": "per_unit" if ln["qty"] > 1 else "flat_fee",
                "is_taxed": inv["tax_bp"] > 0, "tax_amount": tax, "tax_rate": inv["tax_bp"] / 100,
                "object": "line_item",
                "subscription_id": None if one_time else inv["contract"]["ids"]["subscription"],
                "customer_id": c["ids"]["chargebee"], "description": ln["description"],
                "entity_type": "charge_item_price" if one_time else (
                    "plan_item_price" if ln["product"].startswith("PLAN") else "addon_item_price"),
                "entity_id": "%s-%s%s" % (ln["product"], cur, "" if one_time else "-Monthly"),
                "discount_amount": 0, "item_level_discount_amount": 0})
        return {
            "id": inv["ids"]["billing"], "customer_id": c["ids"]["chargebee"],
            "subscription_id": inv["contract"]["ids"]["subscription"], "recurring": True,
            "status": "paid" if paid else "payment_due", "price_type": "tax_exclusive",
            "date": inv["created"], "due_date": inv["due"], "net_term_days": 30, "exchange_rate": 1.0,
            "total": inv["total"], "amount_paid": due if paid else 0, "amount_adjusted": pre,
            "write_off_amount": 0, "credits_applied": 0, "amount_due": 0 if paid else due,
            "paid_at": inv["paid_at"], "updated_at": inv["updated"],
            "resource_version": inv["updated"] * 1000, "deleted": False, "object": "invoice",
            "first_invoice": inv is inv["contract"]["invoices"][0], "amount_to_collect": 0 if paid else due,
            "round_off_amount": 0, "new_sales_amount": inv["total"], "has_advance_charges": False,
            "currency_code": cur, "base_currency_code": cur, "generated_at": inv["created"],
            "is_gifted": False, "term_finalized": True, "channel": "web", "tax": inv["tax"],
            "sub_total": inv["subtotal"], "line_items": lines,
            "issued_credit_notes": [{"cn_id": cn["ids"]["billing"], "cn_reason_code": REASONS[cn["reason"]],
                                     "cn_create_reason_code": REASONS[cn["reason"]], "cn_date": cn["created"],
                                     "cn_total": cn["total"],
                                     "cn_status": "refunded" if inv["paid_at"] is not None
                                     and cn["created"] > inv["paid_at"] else "adjusted"}
                                    for cn in inv["cns"]],
            "linked_payments": [], "dunning_attempts": [],
            "billing_address": {"company": c["name"], "line1": c["address"]["line1"],
                                "city": c["address"]["city"], "zip": c["address"]["postal_code"],
                                "country": c["country"], "validation_status": "not_validated",
                                "object": "billing_address"},
            "cf_netsuite_id": inv["ids"].get("netsuite"),
        }

    def _credit_note(self, cn):
        inv = cn["invoice"]
        cur = cn["currency"].upper()
        post = inv["paid_at"] is not None and cn["created"] > inv["paid_at"]
        reason = REASONS[cn["reason"]]
        return {
            "id": cn["ids"]["billing"], "customer_id": inv["customer"]["ids"]["chargebee"],
            "subscription_id": inv["contract"]["ids"]["subscription"],
            "reference_invoice_id": inv["ids"]["billing"],
            "type": "refundable" if post else "adjustment", "reason_code": reason,
            "create_reason_code": reason,
            "status": "refunded" if post else "adjusted", "date": cn["created"],
            "price_type": "tax_exclusive", "currency_code": cur, "total": cn["total"],
            "amount_allocated": 0 if post else cn["total"], "amount_refunded": cn["total"] if post else 0,
            "amount_available": 0, "refunded_at": cn["created"] if post else None, "voided_at": None,
            "generated_at": cn["created"], "resource_version": cn["updated"] * 1000,
            "updated_at": cn["updated"], "channel": "web", "sub_total": cn["amount"], "round_off_amount": 0,
            "fractional_correction": 0, "deleted": False, "object": "credit_note", "base_currency_code": cur,
            "customer_notes": cn["memo"],
            "line_items": [{"id": "li_" + stable_id(16, "cnli", cn["ids"]["billing"]),
                            "date_from": cn["created"], "date_to": cn["created"], "unit_amount": cn["amount"],
                            "quantity": 1, "amount": cn["amount"], "pricing_model": "flat_fee",
                            "is_taxed": cn["tax"] > 0, "tax_amount": cn["tax"],
                            "tax_rate": inv["tax_bp"] / 100, "object": "line_item",
                            "customer_id": inv["customer"]["ids"]["chargebee"], "description": cn["memo"],
                            "entity_type": "adhoc", "discount_amount": 0, "item_level_discount_amount": 0}],
            "allocations": [] if post else [{"invoice_id": inv["ids"]["billing"], "allocated_amount": cn["total"],
                                             "allocated_at": cn["created"], "invoice_date": inv["created"],
                                             "invoice_status": "paid" if inv["status"] == "paid" else "payment_due"}],
            "linked_refunds": [], "taxes": [],
            "cf_zendesk_ticket_id": str(cn["ticket"]["ids"]["zendesk"]) if cn["ticket"] else None,
        }

    def streams(self):
        return [(name, "/api/v2/" + name, len(self.table(name))) for name in LISTS]

    # ---- errors ----

    def error(self, status, message, **extra):
        body = {"message": message}
        if "type" in extra:
            body["type"] = extra["type"]
        body["api_error_code"] = extra.get("api_error_code", "invalid_request")
        if "param" in extra:
            body["param"] = extra["param"]
        body["error_code"] = extra.get("error_code", "invalid_request")
        body["error_msg"] = message
        body["http_status_code"] = status
        return Response(status, dumps(body), content_type="application/json;charset=utf-8")

    def not_found(self, req):
        return self.error(404, "Sorry, we couldn't find that resource", api_error_code="resource_not_found",
                          error_code="resource_not_found")

    def refused(self, req, status):
        if status == 403:
            return self.error(403, "Sorry, authorization failed. The key does not have the required "
                              "permissions", api_error_code="api_authorization_failed",
                              error_code="api_authorization_failed")
        r = self.error(401, "Sorry, authentication failed. Invalid api key",
                       api_error_code="api_authentication_failed", error_code="api_authentication_invalid_key")
        r.set_header("WWW-Authenticate", 'Basic realm="chargebee"')
        return r

    def rate_limited(self, req, retry_after):
        r = self.error(429, "Sorry, access has been blocked temporarily due to request count exceeding "
                       "acceptable limits. Please try after some time.", type="operation_failed",
                       api_error_code="api_request_limit_exceeded", error_code="api_request_limit_exceeded")
        if retry_after is not None:
            r.set_header("Retry-After", retry_after)
        return r

    def server_error(self, req, status):
        if status == 500:
            return self.error(500, "Sorry, something went wrong when trying to process the request.",
                              api_error_code="internal_error", error_code="internal_error")
        return super().server_error(req, status)

    def idem_mismatch(self, req, key):
        return self.error(409, "The idempotency key has already been used with a different request",
                          type="invalid_request", api_error_code="invalid_request",
                          error_code="idempotency_key_mismatch")

    def mark_replay(self, resp):
        resp.set_header("chargebee-idempotency-replayed", "true")

    def authenticate(self, req):
        ba = req.basic_auth()
        if not ba or ba[0] != self.sb.creds["chargebee_key"]:
            raise ApiError(self.refused(req, 401))

    # ---- reads ----

    def _bad(self, param, message):
        return ApiError(self.error(400, message, type="invalid_request", param=param,
                                   error_code="param_wrong_value"))

    def list_(self, req, resource):
        objname, datef, sortable = LISTS[resource]
        limit = 10
        offset = None
        sort = ("created_at" if datef == "created_at" else "date", True)
        preds = []
        include_deleted = False
        for name, value in req.query:
            if name == "limit":
                try:
                    limit = parse_int(value, 1, 100)
                except ValueError:
                    raise self._bad("limit", "limit : The value %s is invalid. It must be between 1 and 100"
                                    % value) from None
            elif name == "offset":
                offset = value
            elif name in ("sort_by[asc]", "sort_by[desc]"):
                if value not in sortable:
                    raise self._bad(name, "%s : invalid value %s" % (name, value))
                sort = (value, name == "sort_by[desc]")
            elif name == "include_deleted":
                if value not in ("true", "false"):
                    raise self._bad(name, "include_deleted : must be true or false")
                include_deleted = value == "true"
            else:
                field, _, op = name.partition("[")
                op = op.rstrip("]")
                if field in ("updated_at", datef) and op in TIME_OPS:
                    preds.append(self._time_pred(name, field, op, value))
                elif field in ("customer_id", "status", "id") and op in ("is", "is_not", "in"):
                    preds.append(self._str_pred(name, field, op, value))
                else:
                    raise self._bad(name, "%s : unknown parameter" % name)
        rows = [r for r in self.table(resource).rows
                if (include_deleted or not r.rec.get("deleted")) and all(p(r.rec) for p in preds)]
        sfield, desc = sort

        def sk(row):
            return (row.rec[sfield], row.seq)

        rows.sort(key=sk, reverse=desc)
        if offset is not None:
            try:
                v = json.loads(offset)
                if not (isinstance(v, list) and len(v) == 2 and all(isinstance(x, str) and x.isdigit() for x in v)):
                    raise ValueError(offset)
                k = (int(v[0]) // 1000, int(v[1]))
            except ValueError:
                raise self._bad("offset", "offset : invalid value") from None
            rows = [r for r in rows if (sk(r) < k if desc else sk(r) > k)]
        page = rows[:limit]
        body = {"list": [{objname: r.rec} for r in page]}
        if len(rows) > limit:
            last = page[-1]
            body["next_offset"] = dumps([str(last.rec[sfield] * 1000), str(last.seq)])
        return Response(200, dumps(body), content_type="application/json;charset=utf-8")

    def _time_pred(self, name, field, op, value):
        try:
            if op == "between":
                v = json.loads(value)
                if not (isinstance(v, list) and len(v) == 2):
                    raise ValueError(value)
                lo, hi = int(v[0]), int(v[1])
            else:
                t = parse_int(value, 0)
        except (ValueError, TypeError):
            raise self._bad(name, "%s : invalid timestamp %s" % (name, value)) from None
        if op == "after":
            return lambda r: r[field] > t
        if op == "before":
            return lambda r: r[field] < t
        if op == "on":
            day = t - t % W.DAY
            return lambda r: day <= r[field] < day + W.DAY
        return lambda r: lo <= r[field] <= hi

    def _str_pred(self, name, field, op, value):
        if op == "in":
            try:
                vals = json.loads(value)
                if not isinstance(vals, list):
                    raise ValueError(value)
            except ValueError:
                raise self._bad(name, "%s : must be a JSON array" % name) from None
            vals = [str(x) for x in vals]
            return lambda r: str(r.get(field)) in vals
        if op == "is":
            return lambda r: str(r.get(field)) == value
        return lambda r: str(r.get(field)) != value

    def retrieve(self, req, resource, oid):
        objname = LISTS[resource][0]
        row = self.table(resource).get(oid)
        if row is None:
            return self.error(404, "%s not found for %s" % (objname.replace("_", " "), oid),
                              api_error_code="resource_not_found", error_code="referenced_resource_not_found")
        return Response(200, dumps({objname: row.rec}), content_type="application/json;charset=utf-8")

    # ---- writes ----

    def create_credit_note(self, req):
        return self.idempotent(req, req.header("chargebee-idempotency-key"), lambda: self._create_cn(req))

    def _create_cn(self, req):
        p = {}
        for k, v in req.form():
            if k not in ("reference_invoice_id", "total", "type", "reason_code", "create_reason_code",
                         "customer_notes", "comment", "date"):
                raise self._bad(k, "%s : unknown parameter" % k)
            p[k] = v
        for k in ("reference_invoice_id", "type"):
            if k not in p:
                raise ApiError(self.error(400, "%s : cannot be blank" % k, type="invalid_request", param=k,
                                          error_code="param_not_present"))
        row = self.table("invoices").get(p["reference_invoice_id"])
        if row is None:
            raise ApiError(self.error(404, "invoice not found for %s" % p["reference_invoice_id"],
                                      api_error_code="resource_not_found",
                                      error_code="referenced_resource_not_found"))
        if p["type"] not in ("adjustment", "refundable"):
            raise self._bad("type", "type : invalid value %s" % p["type"])
        reason = p.get("reason_code") or p.get("create_reason_code")
        if reason is None:
            raise ApiError(self.error(400, "reason_code : cannot be blank", type="invalid_request",
                                      param="reason_code", error_code="param_not_present"))
        if reason not in CN_REASONS:
            raise self._bad("reason_code", "reason_code : invalid value %s" % reason)
        inv = row.rec
        credited = sum(n["cn_total"] for n in inv["issued_credit_notes"])
        if "total" in p:
            try:
                total = parse_int(p["total"], 1)
            except ValueError:
                raise self._bad("total", "total : invalid value %s" % p["total"]) from None
        else:
            total = inv["total"] - credited
        if total + credited > inv["total"]:
            raise ApiError(self.error(400, "The credit note amount cannot exceed the invoice amount not yet "
                                      "credited (%d)" % (inv["total"] - credited), type="invalid_request",
                                      param="total", api_error_code="invalid_request",
                                      error_code="invalid_credit_note_amount"))
        if p["type"] == "adjustment" and inv["status"] == "paid":
            raise ApiError(self.error(400, "An adjustment credit note can only be created for an unpaid "
                                      "invoice", type="invalid_request", param="type",
                                      api_error_code="invalid_request", error_code="invalid_state_for_request"))
        t = self.sb.world.tick(1)
        n = self.sb.world.next_id("cb-cn", 5001)
        cid = "CN-%d" % n
        post = p["type"] == "refundable"
        rec = {"id": cid, "customer_id": inv["customer_id"], "subscription_id": inv["subscription_id"],
               "reference_invoice_id": inv["id"], "type": p["type"], "reason_code": reason,
               "create_reason_code": reason, "status": "refund_due" if post else "adjusted", "date": t,
               "price_type": "tax_exclusive", "currency_code": inv["currency_code"], "total": total,
               "amount_allocated": 0 if post else total, "amount_refunded": 0, "amount_available": total if post else 0,
               "refunded_at": None, "voided_at": None, "generated_at": t, "resource_version": t * 1000,
               "updated_at": t, "channel": "api", "sub_total": total, "round_off_amount": 0,
               "fractional_correction": 0, "deleted": False, "object": "credit_note",
               "base_currency_code": inv["currency_code"], "customer_notes": p.get("customer_notes"),
               "line_items": [{"id": "li_" + stable_id(16, "cnli", cid), "date_from": t, "date_to": t,
                               "unit_amount": total, "quantity": 1, "amount": total, "pricing_model": "flat_fee",
                               "is_taxed": False, "tax_amount": 0, "tax_rate": 0.0, "object": "line_item",
                               "customer_id": inv["customer_id"], "description": p.get("comment") or "Credit",
                               "entity_type": "adhoc", "discount_amount": 0, "item_level_discount_amount": 0}],
               "allocations": [] if post else [{"invoice_id": inv["id"], "allocated_amount": total,
                                                "allocated_at": t, "invoice_date": inv["date"],
                                                "invoice_status": inv["status"]}],
               "linked_refunds": [], "taxes": [], "cf_zendesk_ticket_id": None}
        self.table("credit_notes").put(cid, rec)
        inv["issued_credit_notes"].append({"cn_id": cid, "cn_reason_code": reason, "cn_create_reason_code": reason,
                                           "cn_date": t, "cn_total": total,
                                           "cn_status": rec["status"]})
        if not post:
            inv["amount_adjusted"] += total
            inv["amount_due"] -= total
            inv["amount_to_collect"] = inv["amount_due"]
            if inv["amount_due"] <= 0:
                inv["amount_due"] = inv["amount_to_collect"] = 0
                inv["status"], inv["paid_at"] = "paid", t
        inv["updated_at"] = t
        inv["resource_version"] = t * 1000
        req.mutated = True
        return Response(200, dumps({"credit_note": rec, "invoice": inv}),
                        content_type="application/json;charset=utf-8")
