"""Stripe (https://api.stripe.com), under /stripe.

Auth: the secret key as a Bearer token (or as the Basic user name).
Lists: GET /v1/customers, /v1/subscriptions, /v1/invoices, /v1/credit_notes
  limit (1..100, default 10), starting_after, ending_before, created[gt|gte|lt|lte]
  (or created=N), per-list filters (customer, status, invoice, subscription,
  email), expand[]=data.customer; unknown parameters are a 400, as in Stripe.
  Newest first: ordered by created, then by creation order, descending.
  -> {"object":"list","data":[...],"has_more":bool,"url":"/v1/invoices"}
Objects: GET /v1/<list>/<id>; GET /v1/invoices/<id>/lines.
Writes (form-encoded bodies, as Stripe takes them; 200 on success):
  POST /v1/credit_notes (invoice, amount or lines[], memo, reason, metadata[])
  POST /v1/customers (name, email, description, metadata[], address[])
  Idempotency-Key: the same key with the same parameters replays the first
  response (Idempotent-Replayed: true); with other parameters, a 400
  idempotency_error.
Amounts are integers in minor units; times are epoch seconds.
A rate-limit 429 carries no Retry-After unless the fault asks for one.
"""

import world as W
from httpkit import ApiError, Response, dumps, parse_int, unflatten
from vendors import Vendor, stable_id

REASONS = {"outage": "product_unsatisfactory", "overbilled_seats": "order_change",
           "duplicate": "duplicate", "downgrade": "order_change",
           "goodwill": "product_unsatisfactory"}
CN_REASONS = ("duplicate", "fraudulent", "order_change", "product_unsatisfactory")

COMMON = {"limit", "starting_after", "ending_before", "expand"}
LISTS = {
    # resource: (table, object name, extra filters)
    "customers": ("customers", "customer", {"created", "email"}),
    "subscriptions": ("subscriptions", "subscription", {"created", "customer", "status", "price"}),
    "invoices": ("invoices", "invoice", {"created", "customer", "status", "subscription"}),
    "credit_notes": ("credit_notes", "credit_note", {"created", "customer", "invoice"}),
}
STATUSES = {"invoices": ("draft", "open", "paid", "uncollectible", "void"),
            "subscriptions": ("active", "all", "canceled", "ended", "incomplete", "incomplete_expired",
                              "past_due", "paused", "trialing", "unpaid")}
EXPANDABLE = {"customers": set(), "subscriptions": {"data.customer"},
              "invoices": {"data.customer", "data.subscription"},
              "credit_notes": {"data.customer", "data.invoice"}}


class Stripe(Vendor):
    name = "stripe"
    prefix = "/stripe"
    default_retry_after = None
    stream_kinds = {"customers": "customer", "subscriptions": "contract", "invoices": "invoice",
                    "credit_notes": "credit_note"}
    routes = [
        ("GET", r"/v1/(customers|subscriptions|invoices|credit_notes)", "list_"),
        ("GET", r"/v1/(customers|subscriptions|invoices|credit_notes)/([A-Za-z0-9_]+)", "retrieve"),
        ("GET", r"/v1/invoices/([A-Za-z0-9_]+)/lines", "invoice_lines"),
        ("POST", r"/v1/credit_notes", "create_credit_note"),
        ("POST", r"/v1/customers", "create_customer"),
    ]

    def clear(self):
        self.req_seq = 0

    # ---- rendering ----

    def _price(self, product, cur):
        name, unit, prices = W.PRODUCTS[product]
        return {"id": "price_1" + stable_id(23, "price", product, cur), "object": "price",
                "active": True, "currency": cur,
                "lookup_key": product, "nickname": name,
                "product": "prod_" + stable_id(14, "prod", product),
                "recurring": None if unit == "one-time" else {"interval": "month", "interval_count": 1},
                "type": "one_time" if unit == "one-time" else "recurring",
                "unit_amount": prices[cur]}

    def render(self, e):
        kind = e["kind"]
        if kind == "customer":
            c = e
            return [("customers", c["ids"]["stripe"], {
                "id": c["ids"]["stripe"], "object": "customer",
                "address": {"city": c["address"]["city"], "country": c["country"],
                            "line1": c["address"]["line1"], "line2": None,
                            "postal_code": c["address"]["postal_code"], "state": None},
                "balance": 0, "created": c["created"], "currency": c["currency"],
                "delinquent": False, "description": None, "email": c["email"],
                "invoice_prefix": c["invoice_prefix"], "livemode": False,
                "metadata": {"netsuite_id": c["ids"]["netsuite"],
                             "salesforce_account_id": c["ids"]["salesforce"]},
                "name": c["name"], "phone": None, "preferred_locales": [], "tax_exempt": "none"})]
        if kind == "contract" and e["customer"]["ids"]["stripe"]:
            k = e
            sid = k["ids"]["subscription"]
            n = 0
            while W.add_months(k["start"], n + 1) <= max(self.sb.world.clock, W.BASE) and n + 1 < k["term"]:
                n += 1
            items = [{"id": "si_" + stable_id(14, "si", sid, i), "object": "subscription_item",
                      "created": k["created"], "metadata": {},
                      "price": self._price(it["product"], k["currency"]), "quantity": it["qty"],
                      "subscription": sid} for i, it in enumerate(k["items"])]
            return [("subscriptions", sid, {
                "id": sid, "object": "subscription", "billing_cycle_anchor": k["start"],
                "cancel_at": k["end"] + W.DAY, "cancel_at_period_end": False, "canceled_at": None,
                "collection_method": "charge_automatically", "created": k["created"],
                "currency": k["currency"], "current_period_end": W.add_months(k["start"], n + 1),
                "current_period_start": W.add_months(k["start"], n),
                "customer": k["customer"]["ids"]["stripe"], "ended_at": None,
                "items": {"object": "list", "data": items, "has_more": False,
                          "total_count": len(items),
                          "url": "/v1/subscription_items?subscription=" + sid},
                "livemode": False,
                "metadata": {"salesforce_contract_id": k["ids"]["salesforce"],
                             "contract_term_months": str(k["term"])},
                "start_date": k["start"], "status": "active"})]
        if kind == "invoice":
            return [("invoices", e["ids"]["billing"], self._invoice(e))]
        if kind == "credit_note":
            return [("credit_notes", e["ids"]["billing"], self._credit_note(e))]
        return []

    def _invoice(self, inv):
        c, k = inv["customer"], inv["contract"]
        cur = inv["currency"]
        iid = inv["ids"]["billing"]
        pre, post = W.credit_split(inv)
        due = inv["total"] - pre
        paid = inv["status"] == "paid"
        txr = "txr_1" + stable_id(23, "txr", c["country"])
        lines = []
        for i, (ln, tax) in enumerate(zip(inv["lines"], W.line_taxes(inv))):
            one_time = ln["product"] == "SVC-ONBOARDING"
            lines.append({
                "id": "il_1" + stable_id(23, "il", iid, i), "object": "line_item",
                "amount": ln["amount"], "amount_excluding_tax": ln["amount"], "currency": cur,
                "description": ln["description"], "discountable": True, "invoice": iid,
                "livemode": False, "metadata": {},
                "period": {"start": ln["period_start"], "end": ln["period_end"]},
                "price": self._price(ln["product"], cur), "proration": False,
                "quantity": ln["qty"],
                "subscription": None if one_time else k["ids"]["subscription"],
                "tax_amounts": [{"amount": tax, "inclusive": False, "tax_rate": txr}] if inv["tax_bp"] else [],
                "type": "invoiceitem" if one_time else "subscription",
                "unit_amount_excluding_tax": str(ln["unit"])})
        first = inv is k["invoices"][0]
        return {
            "id": iid, "object": "invoice", "account_country": "US",
            "account_name": "SGP Sandbox Inc.", "amount_due": due,
            "amount_paid": due if paid else 0, "amount_remaining": 0 if paid else due,
            "attempt_count": 1 if paid else 0, "attempted": paid, "auto_advance": not paid,
            "billing_reason": "subscription_create" if first else "subscription_cycle",
            "collection_method": "charge_automatically", "created": inv["created"],
            "currency": cur, "customer": c["ids"]["stripe"],
            "customer_address": {"city": c["address"]["city"], "country": c["country"],
                                 "line1": c["address"]["line1"], "line2": None,
                                 "postal_code": c["address"]["postal_code"], "state": None},
            "customer_email": c["email"], "customer_name": c["name"], "description": None,
            "due_date": None, "ending_balance": 0,
            "lines": {"object": "list", "data": lines, "has_more": False,
                      "total_count": len(lines), "url": "/v1/invoices/%s/lines" % iid},
            "livemode": False,
            "metadata": {"netsuite_id": inv["ids"].get("netsuite"),
                         "netsuite_tranid": inv["ids"].get("netsuite_tranid")},
            "number": inv["ids"]["number"], "paid": paid,
            "period_end": inv["period_end"], "period_start": inv["period_start"],
            "post_payment_credit_notes_amount": post, "pre_payment_credit_notes_amount": pre,
            "starting_balance": 0, "status": inv["status"],
            "status_transitions": {"finalized_at": inv["created"], "marked_uncollectible_at": None,
                                   "paid_at": inv["paid_at"], "voided_at": None},
            "subscription": k["ids"]["subscription"], "subtotal": inv["subtotal"],
            "subtotal_excluding_tax": inv["subtotal"], "tax": inv["tax"], "total": inv["total"],
            "total_excluding_tax": inv["subtotal"],
            "total_tax_amounts": [{"amount": inv["tax"], "inclusive": False, "tax_rate": txr}]
            if inv["tax_bp"] else [],
        }

    def _credit_note(self, cn):
        inv = cn["invoice"]
        cid = cn["ids"]["billing"]
        txr = "txr_1" + stable_id(23, "txr", inv["customer"]["country"])
        post = inv["paid_at"] is not None and cn["created"] > inv["paid_at"]
        taxes = [{"amount": cn["tax"], "inclusive": False, "tax_rate": txr}] if inv["tax_bp"] else []
        return {
            "id": cid, "object": "credit_note", "amount": cn["total"], "amount_shipping": 0,
            "created": cn["created"], "currency": cn["currency"],
            "customer": inv["customer"]["ids"]["stripe"],
            "customer_balance_transaction": ("cbtxn_1" + stable_id(23, "cbtxn", cid)) if post else None,
            "discount_amount": 0, "discount_amounts": [], "invoice": inv["ids"]["billing"],
            "lines": {"object": "list", "data": [{
                "id": "cnli_1" + stable_id(23, "cnli", cid), "object": "credit_note_line_item",
                "amount": cn["amount"], "amount_excluding_tax": cn["amount"],
                "description": cn["memo"], "discount_amount": 0, "livemode": False,
                "quantity": 1, "tax_amounts": taxes, "type": "custom_line_item",
                "unit_amount": cn["amount"], "unit_amount_excluding_tax": str(cn["amount"])}],
                "has_more": False, "total_count": 1, "url": "/v1/credit_notes/%s/lines" % cid},
            "livemode": False, "memo": cn["memo"],
            "metadata": ({"zendesk_ticket_id": str(cn["ticket"]["ids"]["zendesk"])} if cn["ticket"] else {}),
            "number": cn["ids"]["number"], "out_of_band_amount": None, "pdf": None,
            "reason": REASONS.get(cn["reason"]), "refund": None, "status": "issued",
            "subtotal": cn["amount"], "subtotal_excluding_tax": cn["amount"],
            "tax_amounts": taxes, "total": cn["total"], "total_excluding_tax": cn["amount"],
            "type": "post_payment" if post else "pre_payment", "voided_at": None,
        }

    def streams(self):
        return [(name, "/v1/" + name, len(self.table(LISTS[name][0]))) for name in LISTS]

    # ---- errors ----

    def error(self, status, message, **extra):
        err = {"message": message, "type": extra.pop("type", "invalid_request_error")}
        err.update(extra)
        if "code" in err:
            err["doc_url"] = "https://stripe.com/docs/error-codes/" + err["code"].replace("_", "-")
        r = Response(status, dumps({"error": err}), content_type="application/json")
        return self._stamp(r)

    def _stamp(self, r):
        self.req_seq += 1
        r.set_header("Request-Id", "req_" + stable_id(14, "req", self.sb.seed, self.req_seq))
        return r

    def ok(self, obj):
        return self._stamp(Response(200, dumps(obj), content_type="application/json"))

    def not_found(self, req):
        return self.error(404, "Unrecognized request URL (%s: %s). Please see https://stripe.com/docs "
                          "or we can help at https://support.stripe.com/." % (req.method, req.sub))

    def method_not_allowed(self, req, allowed):
        return self.not_found(req)

    def refused(self, req, status):
        if status == 403:
            return self.error(403, "The provided key 'sk_test_****%s' does not have the required "
                              "permissions for this endpoint." % self.sb.creds["stripe_key"][-4:])
        r = self.error(401, "Invalid API Key provided: sk_test_****%s"
                       % (req.bearer() or "")[-4:])
        r.set_header("WWW-Authenticate", 'Basic realm="Stripe"')
        return r

    def rate_limited(self, req, retry_after):
        r = self.error(429, "Request rate limit exceeded. Learn more about rate limits here "
                       "https://stripe.com/docs/rate-limits.", code="rate_limit")
        if retry_after is not None:
            r.set_header("Retry-After", retry_after)
        return r

    def server_error(self, req, status):
        if status == 500:
            return self.error(500, "An unknown error occurred", type="api_error")
        return super().server_error(req, status)

    def idem_mismatch(self, req, key):
        return self.error(400, "Keys for idempotent requests can only be used with the same "
                          "parameters they were first used with. Try using a key other than '%s' "
                          "if you meant to execute a different request." % key,
                          type="idempotency_error")

    def mark_replay(self, resp):
        orig = resp.header("Request-Id")
        self._stamp(resp)
        resp.set_header("Idempotent-Replayed", "true")
        resp.set_header("Original-Request", orig)

    # ---- auth ----

    def authenticate(self, req):
        key = req.bearer()
        if key is None:
            ba = req.basic_auth()
            key = ba[0] if ba else None
        if key is None:
            r = self.error(401, "You did not provide an API key. You need to provide your API key "
                           "in the Authorization header, using Bearer auth (e.g. 'Authorization: "
                           "Bearer YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication "
                           "for details, or we can help at https://support.stripe.com/.")
            r.set_header("WWW-Authenticate", 'Basic realm="Stripe"')
            raise ApiError(r)
        if key != self.sb.creds["stripe_key"]:
            raise ApiError(self.refused(req, 401))

    # ---- reads ----

    def _int_param(self, name, value, lo, hi):
        try:
            return parse_int(value, lo, hi)
        except ValueError:
            raise ApiError(self.error(400, "Invalid integer: %s" % value, param=name,
                                      code="parameter_invalid_integer")) from None

    def _filters(self, req, resource):
        """Parse a list request's parameters; 400 on anything Stripe would refuse."""
        allowed = COMMON | LISTS[resource][2]
        params = {}
        created = []
        expand = []
        for name, value in req.query:
            base = name.split("[", 1)[0]
            if base not in allowed:
                raise ApiError(self.error(400, "Received unknown parameter: %s" % name, param=name,
                                          code="parameter_unknown"))
            if base == "created":
                op = name[len("created"):]
                ops = {"": "eq", "[gt]": "gt", "[gte]": "gte", "[lt]": "lt", "[lte]": "lte"}
                if op not in ops:
                    raise ApiError(self.error(400, "Received unknown parameter: %s" % name,
                                              param=name, code="parameter_unknown"))
                created.append((ops[op], self._int_param(name, value, 0, None)))
            elif base == "expand":
                if value not in EXPANDABLE[resource]:
                    raise ApiError(self.error(400, "This property cannot be expanded (%s)." % value,
                                              param="expand"))
                expand.append(value)
            else:
                if base == "status" and value not in STATUSES[resource]:
                    raise ApiError(self.error(400, "Invalid status: must be one of %s"
                                              % ", ".join(STATUSES[resource]), param="status",
                                              code="parameter_invalid_string"))
                params[base] = value
        limit = 10
        if "limit" in params:
            limit = self._int_param("limit", params["limit"], None, None)
            if limit < 1 or limit > 100:
                raise ApiError(self.error(400, "This value must be %s." % (
                    "greater than or equal to 1" if limit < 1 else "less than or equal to 100"),
                    param="limit", code="parameter_invalid_integer"))
        if "starting_after" in params and "ending_before" in params:
            raise ApiError(self.error(400, "You may only specify one of these parameters: "
                                      "ending_before, starting_after."))
        return params, created, expand, limit

    def list_(self, req, resource):
        tname, objname, _ = LISTS[resource]
        params, created, expand, limit = self._filters(req, resource)
        table = self.table(tname)

        def keep(row):
            r = row.rec
            for op, v in created:
                t = r["created"]
                if not {"eq": t == v, "gt": t > v, "gte": t >= v, "lt": t < v, "lte": t <= v}[op]:
                    return False
            for f in ("customer", "subscription", "invoice", "email"):
                if f in params and r.get(f) != params[f]:
                    return False
            status = params.get("status")
            if status == "ended":
                if r["status"] not in ("canceled", "incomplete_expired"):
                    return False
            elif status not in (None, "all") and r["status"] != status:
                return False
            if "price" in params and not any(it["price"]["id"] == params["price"]
                                             for it in r["items"]["data"]):
                return False
            if resource == "subscriptions" and "status" not in params and r["status"] == "canceled":
                return False
            return True

        rows = sorted((r for r in table.rows if keep(r)), key=lambda r: (r.rec["created"], r.seq),
                      reverse=True)
        cursor_name = "starting_after" if "starting_after" in params else (
            "ending_before" if "ending_before" in params else None)
        if cursor_name:
            cur = table.get(params[cursor_name])
            if cur is None:
                raise ApiError(self.error(400, "No such %s: '%s'" % (objname, params[cursor_name]),
                                          param=cursor_name, code="resource_missing"))
            ck = (cur.rec["created"], cur.seq)
            if cursor_name == "starting_after":
                rest = [r for r in rows if (r.rec["created"], r.seq) < ck]
                page, has_more = rest[:limit], len(rest) > limit
            else:
                rest = [r for r in rows if (r.rec["created"], r.seq) > ck]
                page, has_more = rest[-limit:], len(rest) > limit
        else:
            page, has_more = rows[:limit], len(rows) > limit
        data = [self._expand(r.rec, expand) for r in page]
        return self.ok({"object": "list", "data": data, "has_more": has_more,
                        "url": "/v1/" + resource})

    def _expand(self, rec, expand):
        if not expand:
            return rec
        rec = dict(rec)
        for path in expand:
            field = path.split(".", 1)[1]
            tname = {"customer": "customers", "subscription": "subscriptions",
                     "invoice": "invoices"}[field]
            row = self.table(tname).get(rec.get(field))
            if row is not None:
                rec[field] = row.rec
        return rec

    def retrieve(self, req, resource, oid):
        tname, objname, _ = LISTS[resource]
        row = self.table(tname).get(oid)
        if row is None:
            raise ApiError(self.error(404, "No such %s: '%s'" % (objname, oid), param="id",
                                      code="resource_missing"))
        return self.ok(row.rec)

    def invoice_lines(self, req, oid):
        row = self.table("invoices").get(oid)
        if row is None:
            raise ApiError(self.error(404, "No such invoice: '%s'" % oid, param="id",
                                      code="resource_missing"))
        limit = self._int_param("limit", req.q("limit", "10"), 1, 100)
        data = row.rec["lines"]["data"]
        after = req.q("starting_after")
        if after is not None:
            ids = [ln["id"] for ln in data]
            if after not in ids:
                raise ApiError(self.error(400, "No such line item: '%s'" % after,
                                          param="starting_after", code="resource_missing"))
            data = data[ids.index(after) + 1:]
        return self.ok({"object": "list", "data": data[:limit], "has_more": len(data) > limit,
                        "url": "/v1/invoices/%s/lines" % oid})

    # ---- writes ----

    def _form(self, req):
        try:
            return unflatten(req.form())
        except ValueError as e:
            raise ApiError(self.error(400, "Invalid parameter name: %s" % e)) from None

    def create_credit_note(self, req):
        return self.idempotent(req, req.header("Idempotency-Key"), lambda: self._create_cn(req))

    def _amount(self, value, param):
        if not isinstance(value, str):
            raise ApiError(self.error(400, "Invalid integer: %s" % value, param=param,
                                      code="parameter_invalid_integer"))
        return self._int_param(param, value, 1, 99999999999)

    def _create_cn(self, req):
        p = self._form(req)
        for k in p:
            if k not in ("invoice", "amount", "lines", "memo", "reason", "metadata", "expand"):
                raise ApiError(self.error(400, "Received unknown parameter: %s" % k, param=k,
                                          code="parameter_unknown"))
        if "invoice" not in p:
            raise ApiError(self.error(400, "Missing required param: invoice.", param="invoice",
                                      code="parameter_missing"))
        for k in ("invoice", "memo", "reason"):
            if k in p and not isinstance(p[k], str):
                raise ApiError(self.error(400, "Invalid string: %s" % k, param=k,
                                          code="parameter_invalid_string"))
        row = self.table("invoices").get(p["invoice"])
        if row is None:
            raise ApiError(self.error(400, "No such invoice: '%s'" % p["invoice"], param="invoice",
                                      code="resource_missing"))
        inv = row.rec
        expand = p.get("expand") or []
        if not isinstance(expand, list) or any(e not in ("customer", "invoice") for e in expand):
            raise ApiError(self.error(400, "This property cannot be expanded (%s)." % expand,
                                      param="expand"))
        reason = p.get("reason")
        if reason is not None and reason not in CN_REASONS:
            raise ApiError(self.error(400, "Invalid reason: must be one of %s" % ", ".join(CN_REASONS),
                                      param="reason", code="parameter_invalid_string"))
        lines = []
        if "lines" in p:
            if "amount" in p:
                raise ApiError(self.error(400, "You may only specify one of these parameters: "
                                          "amount, lines.", param="amount"))
            if not isinstance(p["lines"], list) or not p["lines"]:
                raise ApiError(self.error(400, "Invalid array", param="lines"))
            by_id = {ln["id"]: ln for ln in inv["lines"]["data"]}
            for i, ln in enumerate(p["lines"]):
                if not isinstance(ln, dict):
                    raise ApiError(self.error(400, "Invalid object", param="lines[%d]" % i))
                kind = ln.get("type")
                qty = self._int_param("lines[%d][quantity]" % i, ln.get("quantity", "1"), 1, 10 ** 9)
                if kind == "custom_line_item":
                    unit = self._amount(ln.get("unit_amount"), "lines[%d][unit_amount]" % i)
                    lines.append((ln.get("description") or "Credit", qty, unit, unit * qty))
                elif kind == "invoice_line_item":
                    src = by_id.get(ln.get("invoice_line_item"))
                    if src is None:
                        raise ApiError(self.error(400, "No such invoice line item: '%s'"
                                                  % ln.get("invoice_line_item"),
                                                  param="lines[%d][invoice_line_item]" % i,
                                                  code="resource_missing"))
                    if "amount" in ln:
                        amt = self._amount(ln["amount"], "lines[%d][amount]" % i)
                        lines.append((src["description"], 1, amt, amt))
                    else:
                        if qty > src["quantity"]:
                            raise ApiError(self.error(400, "The credit note quantity (%d) cannot be "
                                                      "greater than the invoice line item quantity "
                                                      "(%d)." % (qty, src["quantity"]),
                                                      param="lines[%d][quantity]" % i))
                        unit = src["price"]["unit_amount"]
                        lines.append((src["description"], qty, unit, unit * qty))
                else:
                    raise ApiError(self.error(400, "Invalid lines[%d][type]: must be one of "
                                              "custom_line_item, invoice_line_item" % i,
                                              param="lines[%d][type]" % i))
        elif "amount" in p:
            amt = self._amount(p["amount"], "amount")
            lines.append((p.get("memo") or "Credit", 1, amt, amt))
        else:
            raise ApiError(self.error(400, "You must pass either amount or lines.", param="amount",
                                      code="parameter_missing"))
        total = sum(x[3] for x in lines)
        already = inv["pre_payment_credit_notes_amount"] + inv["post_payment_credit_notes_amount"]
        if total + already > inv["total"]:
            raise ApiError(self.error(400, "The sum of credit amount, refund amount and out of band "
                                      "amount (%d) must be less than or equal to the invoice amount "
                                      "(%d)." % (total + already, inv["total"]),
                                      param="amount"))
        t = self.sb.world.tick(1)
        cid = "cn_1" + stable_id(23, "cn-posted", self.sb.seed, t, inv["id"], len(self.table("credit_notes")))
        post = inv["status"] == "paid"
        meta = p.get("metadata") or {}
        if not isinstance(meta, dict):
            raise ApiError(self.error(400, "Invalid object", param="metadata"))
        n_for_inv = sum(1 for r in self.table("credit_notes").rows if r.rec["invoice"] == inv["id"])
        rec = {
            "id": cid, "object": "credit_note", "amount": total, "amount_shipping": 0,
            "created": t, "currency": inv["currency"], "customer": inv["customer"],
            "customer_balance_transaction": ("cbtxn_1" + stable_id(23, "cbtxn", cid)) if post else None,
            "discount_amount": 0, "discount_amounts": [], "invoice": inv["id"],
            "lines": {"object": "list", "data": [{
                "id": "cnli_1" + stable_id(23, "cnli", cid, i), "object": "credit_note_line_item",
                "amount": amt, "amount_excluding_tax": amt, "description": desc,
                "discount_amount": 0, "livemode": False, "quantity": qty, "tax_amounts": [],
                "type": "custom_line_item", "unit_amount": unit,
                "unit_amount_excluding_tax": str(unit)} for i, (desc, qty, unit, amt) in enumerate(lines)],
                "has_more": False, "total_count": len(lines), "url": "/v1/credit_notes/%s/lines" % cid},
            "livemode": False, "memo": p.get("memo"), "metadata": meta,
            "number": "%s-CN-%02d" % (inv["number"], n_for_inv + 1), "out_of_band_amount": None,
            "pdf": None, "reason": reason, "refund": None, "status": "issued",
            "subtotal": total, "subtotal_excluding_tax": total, "tax_amounts": [], "total": total,
            "total_excluding_tax": total, "type": "post_payment" if post else "pre_payment",
            "voided_at": None,
        }
        self.table("credit_notes").put(cid, rec)
        if post:
            inv["post_payment_credit_notes_amount"] += total
        else:
            inv["pre_payment_credit_notes_amount"] += total
            inv["amount_due"] -= total
            inv["amount_remaining"] -= total
            if inv["amount_remaining"] <= 0:
                inv["amount_remaining"] = 0
                inv["status"], inv["paid"] = "paid", True
                inv["status_transitions"]["paid_at"] = t
        req.mutated = True
        out = dict(rec)
        for field in expand:
            out[field] = self.table(field + "s").get(rec[field]).rec
        return self.ok(out)

    def create_customer(self, req):
        return self.idempotent(req, req.header("Idempotency-Key"), lambda: self._create_customer(req))

    def _create_customer(self, req):
        p = self._form(req)
        for k in p:
            if k not in ("name", "email", "description", "metadata", "address", "phone"):
                raise ApiError(self.error(400, "Received unknown parameter: %s" % k, param=k,
                                          code="parameter_unknown"))
        for k in ("name", "email", "description", "phone"):
            if k in p and not isinstance(p[k], str):
                raise ApiError(self.error(400, "Invalid string: %s" % k, param=k,
                                          code="parameter_invalid_string"))
        meta = p.get("metadata") or {}
        addr = p.get("address") or {}
        if not isinstance(meta, dict) or not isinstance(addr, dict):
            raise ApiError(self.error(400, "Invalid object", param="metadata" if not isinstance(meta, dict)
                                      else "address"))
        t = self.sb.world.tick(1)
        cid = "cus_" + stable_id(14, "cus-posted", self.sb.seed, t, len(self.table("customers")))
        rec = {"id": cid, "object": "customer",
               "address": {"city": addr.get("city"), "country": addr.get("country"),
                           "line1": addr.get("line1"), "line2": addr.get("line2"),
                           "postal_code": addr.get("postal_code"), "state": addr.get("state")}
               if addr else None,
               "balance": 0, "created": t, "currency": None, "delinquent": False,
               "description": p.get("description"), "email": p.get("email"),
               "invoice_prefix": stable_id(8, "prefix", cid).upper(), "livemode": False,
               "metadata": meta, "name": p.get("name"), "phone": p.get("phone"),
               "preferred_locales": [], "tax_exempt": "none"}
        self.table("customers").put(cid, rec)
        req.mutated = True
        return self.ok(rec)
