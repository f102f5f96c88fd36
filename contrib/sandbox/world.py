"""world: the sandbox's business data, generated deterministically from a seed.

One World holds the facts of a small SaaS business: customers, contracts
(each billed through a subscription), monthly invoices with lines, credit
notes, support tickets (Zendesk) and cases (ServiceNow) that carry credit
requests, opportunities, and revenue schedules.  Each vendor emulator
renders the entities it holds (entity["systems"] names them) in its own
format, so the same customer appears in Stripe, NetSuite, Salesforce, ...
with a crosswalk of ids, and an invoice has the same total everywhere.

Amounts are integers in minor units of the entity's currency; vendors
convert (decimal strings, floats) when they render.  Times are epoch
seconds.  Everything is a pure function of (seed, scale) plus the list of
later operations (add, touch), each of which advances the world clock, so
new or changed records always carry later timestamps than the seed data.
"""

import calendar
import decimal
import random
import re
import time
import unicodedata
import zlib

# 2026-11-01T12:00:00Z: "now" for the seeded data.  The clock moves forward
# from here as records are added, touched or posted.
BASE = calendar.timegm((2026, 11, 1, 12, 0, 0))
DAY = 86400

EXPONENT = {"usd": 2, "eur": 2, "gbp": 2, "cad": 2, "aud": 2, "jpy": 0, "kwd": 3}

# country: (currency, tax rate in basis points, weight, company suffix, cities)
COUNTRIES = {
    "US": ("usd", 0, 38, "Inc.", [("New York", "10001"), ("Austin", "73301"),
                                  ("Seattle", "98101"), ("Chicago", "60601")]),
    "GB": ("gbp", 2000, 12, "Ltd", [("London", "EC1A 1BB"), ("Manchester", "M1 1AE")]),
    "DE": ("eur", 1900, 10, "GmbH", [("Berlin", "10115"), ("München", "80331")]),
    "FR": ("eur", 2000, 6, "SAS", [("Paris", "75001"), ("Lyon", "69001")]),
    "NL": ("eur", 2100, 5, "B.V.", [("Amsterdam", "1012 AB"), ("Utrecht", "3511 AA")]),
    "CA": ("cad", 500, 8, "Inc.", [("Toronto", "M5H 2N2"), ("Vancouver", "V6B 1A1")]),
    "AU": ("aud", 1000, 7, "Pty Ltd", [("Sydney", "2000"), ("Melbourne", "3000")]),
    "JP": ("jpy", 1000, 9, "K.K.", [("Tokyo", "100-0001"), ("Osaka", "530-0001")]),
    "KW": ("kwd", 0, 5, "W.L.L.", [("Kuwait City", "13001")]),
}

# code: (name, unit, price per currency in minor units)
PRODUCTS = {
    "PLAN-STARTER": ("Starter plan", "seat", {"usd": 1900, "eur": 1800, "gbp": 1500, "cad": 2500,
                                              "aud": 2900, "jpy": 2800, "kwd": 6000}),
    "PLAN-PRO": ("Pro plan", "seat", {"usd": 4900, "eur": 4500, "gbp": 3900, "cad": 6500,
                                      "aud": 7500, "jpy": 7200, "kwd": 15000}),
    "PLAN-ENTERPRISE": ("Enterprise plan", "seat", {"usd": 9900, "eur": 9200, "gbp": 7900,
                                                    "cad": 12900, "aud": 14900, "jpy": 14500,
                                                    "kwd": 30000}),
    "ADDON-STORAGE": ("Storage add-on 100 GB", "unit", {"usd": 1500, "eur": 1400, "gbp": 1200,
                                                        "cad": 2000, "aud": 2300, "jpy": 2200,
                                                        "kwd": 4500}),
    "SUPPORT-PREMIUM": ("Premium support", "flat", {"usd": 29900, "eur": 27500, "gbp": 23900,
                                                    "cad": 39900, "aud": 44900, "jpy": 44000,
                                                    "kwd": 92000}),
    "SVC-ONBOARDING": ("Onboarding services", "one-time", {"usd": 150000, "eur": 140000,
                                                           "gbp": 120000, "cad": 200000,
                                                           "aud": 225000, "jpy": 220000,
                                                           "kwd": 460000}),
}
PLANS = [("PLAN-STARTER", 40), ("PLAN-PRO", 45), ("PLAN-ENTERPRISE", 15)]

NAME_HEADS = ["Acme", "Globex", "Initech", "Umbrella", "Hooli", "Vandelay", "Stark", "Wayne",
              "Wonka", "Tyrell", "Cyberdyne", "Soylent", "Massive", "Oscorp", "Aperture",
              "Monarch", "Nakatomi", "Virtucon", "Pied Piper", "Dunder", "Sterling", "Bluth",
              "Prestige", "Gekko", "Kramerica", "Müller", "Åkesson", "Citroën", "Brontë",
              "Sørensen", "Nordwind", "Takahashi", "Al-Sabah", "Baxter", "Halcyon", "Quill"]
NAME_TAILS = ["Analytics", "Logistics", "Health", "Robotics", "Foods", "Energy", "Labs",
              "Media", "Systems", "Capital", "Freight", "Retail", "Software", "Textiles",
              "Pharma", "Aerospace", "Mining", "Studios", "Networks", "Holdings"]
FIRST = ["Ada", "Grace", "Alan", "Linus", "Margaret", "Dennis", "Barbara", "Ken", "Frances",
         "Edsger", "Radia", "Donald", "Hedy", "Tim", "Sophie", "Yuki", "Omar", "Chloé",
         "Jürgen", "Priya", "Mateo", "Aisha", "Kenji", "Noor"]
LAST = ["Lovelace", "Hopper", "Turing", "Torvalds", "Hamilton", "Ritchie", "Liskov", "Thompson",
        "Allen", "Dijkstra", "Perlman", "Knuth", "Lamarr", "Berners-Lee", "Wilson", "Tanaka",
        "Haddad", "Dubois", "Schmidt", "Raman", "García", "Bello", "Sato", "Karim"]

ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
HEX = "0123456789abcdef"

CREDIT_REASONS = [
    ("outage", "Service outage on {date} — requesting an SLA credit"),
    ("overbilled_seats", "Billed for {n} seats but we only use {m}"),
    ("duplicate", "Charged twice for invoice {number}"),
    ("downgrade", "Downgrade was not applied before invoice {number}"),
    ("goodwill", "Credit for onboarding delays on invoice {number}"),
]
GENERAL_SUBJECTS = [
    "Cannot log in with SSO", "CSV export times out", "How do we add more seats?",
    "API rate limit questions", "Please update our billing address", "Webhook deliveries failing",
    "Need a W-9 / tax form", "Dashboard loads slowly", "Request to change invoice email",
    "Question about data retention", "User cannot reset password", "Integration setup help",
]

# Which systems hold each kind of entity unless an operation says otherwise.
DEFAULT_SYSTEMS = {
    "customer": lambda w, e: {e["billing"], "netsuite", "salesforce", "hubspot", "zendesk",
                              "servicenow"},
    "contract": lambda w, e: {e["customer"]["billing"], "salesforce", "hubspot", "revrec"},
    "invoice": lambda w, e: {e["customer"]["billing"], "netsuite"},
    "credit_note": lambda w, e: {e["customer"]["billing"], "netsuite"},
    "ticket": lambda w, e: {"zendesk"},
    "case": lambda w, e: {"servicenow"},
    "opportunity": lambda w, e: {"salesforce", "hubspot"},
    "schedule": lambda w, e: {"revrec"},
}
KINDS = list(DEFAULT_SYSTEMS)
SYSTEMS = ["stripe", "chargebee", "netsuite", "salesforce", "hubspot", "zendesk", "servicenow",
           "revrec"]


# ---- money and time helpers, shared by the vendors ----

def exponent(cur):
    return EXPONENT[cur.lower()]


def dec(minor, cur):
    """Minor units as a decimal string with the currency's digits: 1250 usd -> "12.50"."""
    e = exponent(cur)
    sign = "-" if minor < 0 else ""
    s = str(abs(minor))
    if e == 0:
        return sign + s
    s = s.rjust(e + 1, "0")
    return sign + s[:-e] + "." + s[-e:]


def flt(minor, cur):
    """Minor units as the float a NetSuite or Salesforce API returns (12.5).
    Dividing two exact integers rounds once, so the float's shortest repr is
    the decimal amount."""
    return minor / (10 ** exponent(cur))


def parse_dec(s, cur):
    """A decimal string in major units -> minor units; ValueError if it has
    more digits than the currency allows or is not a plain decimal."""
    e = exponent(cur)
    s = s.strip()
    neg = s.startswith("-")
    if neg or s.startswith("+"):
        s = s[1:]
    whole, dot, frac = s.partition(".")
    if not whole.isdigit() or (dot and not frac.isdigit()) or len(frac) > e:
        raise ValueError(s)
    v = int(whole) * 10 ** e + (int(frac.ljust(e, "0")) if e else 0)
    return -v if neg else v


def from_float(x, cur):
    """A vendor float in major units -> minor units, exactly (through the
    float's shortest round-trip decimal), or ValueError when it is not a
    number or has more digits than the currency allows."""
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        raise ValueError(x)
    d = decimal.Decimal(repr(x)).scaleb(exponent(cur))
    if not d.is_finite() or d != d.to_integral_value():
        raise ValueError(x)
    return int(d)


def pct(amount, bp):
    """amount * bp / 10000, rounded half up (amount >= 0)."""
    return (amount * bp + 5000) // 10000


def iso(t):
    """2026-11-01T12:00:00Z"""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def iso_ms(t):
    """2026-11-01T12:00:00.000Z (HubSpot)"""
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(t))


def sf_time(t):
    """2026-11-01T12:00:00.000+0000 (Salesforce)"""
    return time.strftime("%Y-%m-%dT%H:%M:%S.000+0000", time.gmtime(t))


def sn_time(t):
    """2026-11-01 12:00:00 (ServiceNow, UTC)"""
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(t))


def date(t):
    """2026-11-01"""
    return time.strftime("%Y-%m-%d", time.gmtime(t))


_DATETIME = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2}):(\d{2}))?")


def parse_time(s):
    """RFC 3339 / ISO 8601 (Z, +hh:mm, +hhmm, fractions), "YYYY-MM-DD HH:MM:SS"
    (UTC) or a plain date -> epoch seconds (float when fractional).
    ValueError otherwise."""
    s = s.strip()
    m = _DATETIME.match(s)
    if not m:
        raise ValueError(s)
    y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
    if not (1 <= mo <= 12 and 1 <= d <= calendar.monthrange(y, mo)[1]):
        raise ValueError(s)
    if m.group(4) is None:
        if len(s) != 10:
            raise ValueError(s)
        return calendar.timegm((y, mo, d, 0, 0, 0))
    hh, mi, ss = int(m.group(4)), int(m.group(5)), int(m.group(6))
    if hh > 23 or mi > 59 or ss > 60:
        raise ValueError(s)
    t = calendar.timegm((y, mo, d, hh, mi, ss))
    rest = s[19:]
    frac = 0.0
    if rest.startswith("."):
        i = 1
        while i < len(rest) and rest[i].isdigit():
            i += 1
        if i == 1:
            raise ValueError(s)
        frac = float("0" + rest[:i])
        rest = rest[i:]
    if rest in ("", "Z", "z"):
        off = 0
    elif rest[0] in "+-" and len(rest) in (5, 6):
        hh, mm = rest[1:3], rest[-2:]
        if not (hh.isdigit() and mm.isdigit()) or (len(rest) == 6 and rest[3] != ":"):
            raise ValueError(s)
        off = (int(hh) * 60 + int(mm)) * 60 * (1 if rest[0] == "+" else -1)
    else:
        raise ValueError(s)
    v = t - off + frac
    return v if frac else int(v)


def add_months(t, n):
    """The same day-of-month (capped at 28) n months after epoch t, midnight UTC."""
    y, m, d = time.gmtime(t)[:3]
    m0 = (m - 1) + n
    return calendar.timegm((y + m0 // 12, m0 % 12 + 1, min(d, 28), 0, 0, 0))


def month_start(t):
    y, m = time.gmtime(t)[:2]
    return calendar.timegm((y, m, 1, 0, 0, 0))


def _mix(*ints):
    """A well-spread 64-bit hash of small integers (splitmix64 steps)."""
    x = 0x9E3779B97F4A7C15
    for v in ints:
        x = (x ^ (v & 0xFFFFFFFFFFFFFFFF)) * 0xBF58476D1CE4E5B9 & 0xFFFFFFFFFFFFFFFF
        x = (x ^ (x >> 31)) * 0x94D049BB133111EB & 0xFFFFFFFFFFFFFFFF
        x ^= x >> 29
    return x


def _ascii(s):
    """s without its accents, for e-mail addresses and domains: Chloé -> Chloe."""
    return unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode("ascii")


def _wchoice(r, table):
    tot = sum(w for _, w in table)
    x = r.random() * tot
    for v, w in table:
        x -= w
        if x < 0:
            return v
    return table[-1][0]


def _rid(r, n, alphabet=ALNUM):
    return "".join(r.choice(alphabet) for _ in range(n))


def sf_id(prefix, n):
    """An 18-character Salesforce id for record number n with key prefix
    ("001" Account, "800" Contract, "006" Opportunity), checksum included."""
    digits = ""
    v = n
    for _ in range(9):
        digits = ALNUM[v % 62] + digits
        v //= 62
    base = prefix + "8c0" + digits
    suffix = ""
    for chunk in (base[0:5], base[5:10], base[10:15]):
        bits = sum(1 << i for i, c in enumerate(chunk) if "A" <= c <= "Z")
        suffix += "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"[bits]
    return base + suffix


class World:
    """The seeded business.  Lists of entities (dicts) by kind; ids for each
    system live in entity["ids"]; entity["systems"] is the set of systems
    holding it."""

    def __init__(self, seed=1, scale=1):
        self.seed = seed
        self.scale = scale
        self.clock = BASE
        self.counters = {}
        self.ops = 0
        self.lists = {k: [] for k in KINDS}
        self._generate()

    # ---- plumbing ----

    def rng(self, kind, n):
        """A Random for one entity: a pure function of (seed, kind, n)."""
        return random.Random("sgp-sandbox:%d:%s:%s" % (self.seed, kind, n))

    def next_id(self, ns, start, gap=1):
        """The next number of sequence `ns`, starting at `start`, stepping
        by 1..gap (deterministically)."""
        cur = self.counters.get(ns)
        if cur is None:
            cur = start
        else:
            step = 1 if gap <= 1 else 1 + _mix(self.seed, zlib.crc32(ns.encode()), cur) % gap
            cur += step
        self.counters[ns] = cur
        return cur

    def tick(self, seconds=60):
        """Advance the world clock and return the new time."""
        self.clock += seconds
        return self.clock

    def _put(self, kind, e, systems=None):
        e["kind"] = kind
        e["systems"] = set(systems) if systems is not None else DEFAULT_SYSTEMS[kind](self, e)
        self.lists[kind].append(e)
        return e

    # ---- generation ----

    def _generate(self):
        n_customers = 100 * self.scale
        names = [(h, t) for h in NAME_HEADS for t in NAME_TAILS]
        random.Random("sgp-sandbox-names:%d" % self.seed).shuffle(names)
        for i in range(n_customers):
            self._customer(i, names[i % len(names)], i // len(names),
                           BASE - self.rng("cust-age", i).randint(230, 900) * DAY)
        for c in list(self.lists["customer"]):
            r = self.rng("contracts-of", c["n"])
            ncon = 1 + (r.random() < 0.4)
            for _ in range(ncon):
                start = BASE - r.randint(20, 200) * DAY
                self._contract(c, start, r)
        for k in list(self.lists["contract"]):
            self._invoices_for(k, BASE)
        for inv in sorted(self.lists["invoice"], key=lambda x: (x["created"], x["key"])):
            self._bill_number(inv)
        for inv in sorted(self.lists["invoice"], key=lambda x: (x["created"], x["key"])):
            r = self.rng("credit-of", inv["key"])
            if r.random() < 0.13 and inv["created"] < BASE - 3 * DAY:
                when = min(inv["created"] + r.randint(2, 25) * DAY + r.randint(0, 36000),
                           BASE - r.randint(3600, 2 * DAY))
                if when > inv["created"]:
                    self._credit_note(inv, when, r, with_ticket=r.random() < 0.7)
        for e in sorted(self.lists["invoice"] + self.lists["credit_note"],
                        key=lambda x: (x["created"], x["key"])):
            self._ns_number(e)
        n_tickets = 300 * self.scale
        i = 0
        while len(self.lists["ticket"]) < n_tickets:
            self._ticket(i, None)
            i += 1
        for i in range(150 * self.scale):
            self._case(i, None)
        for c in list(self.lists["customer"]):
            r = self.rng("open-opp", c["n"])
            if r.random() < 0.45:
                self._opportunity(c, None, r, open_deal=True)
            elif r.random() < 0.15:
                self._opportunity(c, None, r, open_deal=False)
        self._sort_ids()

    def _customer(self, i, name, lap, created, billing=None):
        r = self.rng("customer", i)
        country = _wchoice(r, [(k, v[2]) for k, v in COUNTRIES.items()])
        cur, _tax, _w, suffix, cities = COUNTRIES[country]
        head, tail = name
        nm = "%s %s %s" % (head, tail, suffix) if not lap else "%s %s %d %s" % (head, tail, lap + 1, suffix)
        slug = "".join(ch for ch in _ascii(head + tail).lower() if ch.isalnum())
        domain = "%s%s.example" % (slug, "" if not lap else str(lap + 1))
        first, last = r.choice(FIRST), r.choice(LAST)
        city, postal = r.choice(cities)
        drawn = "chargebee" if r.random() < 0.35 else "stripe"
        billing = billing or drawn
        c = {
            "key": "C%05d" % (len(self.lists["customer"]) + 1),
            "n": len(self.lists["customer"]) + 1,
            "name": nm, "domain": domain, "email": "billing@" + domain,
            "country": country, "currency": cur, "billing": billing,
            "address": {"line1": "%d %s Street" % (r.randint(1, 400), r.choice(LAST)),
                        "city": city, "postal_code": postal, "country": country},
            "contact": {"name": "%s %s" % (first, last),
                        "email": "%s.%s@%s" % (_ascii(first).lower(), _ascii(last).lower(), domain)},
            "created": created, "updated": created + r.randint(0, 200) * DAY,
            "invoice_prefix": _rid(r, 8, "0123456789ABCDEF"),
            "inv_seq": 0, "invoices": [],
        }
        c["updated"] = min(c["updated"], BASE - r.randint(1, 20) * DAY - r.randint(0, DAY - 1))
        if c["updated"] < created:
            c["updated"] = created
        c["ids"] = {
            "stripe": "cus_" + _rid(r, 14) if billing == "stripe" else None,
            "chargebee": _rid(r, 16) if billing == "chargebee" else None,
            "netsuite": str(self.next_id("ns-entity", 2001, 3)),
            "salesforce": sf_id("001", self.next_id("sf-001", 120000, 7)),
            "hubspot": str(self.next_id("hs-company", 18500000001, 40)),
            "zendesk": self.next_id("zd-org", 360001100001, 9),
            "zendesk_user": self.next_id("zd-user", 361002200001, 11),
            "servicenow": _rid(r, 32, HEX),
            "servicenow_number": "ACCT%07d" % self.next_id("sn-acct", 1001, 1),
        }
        return self._put("customer", c)

    def _contract(self, c, start, r, systems=None):
        cur = c["currency"]
        start = calendar.timegm(time.gmtime(start)[:3] + (0, 0, 0))
        plan = _wchoice(r, PLANS)
        seats = _wchoice(r, [(r.randint(3, 15), 50), (r.randint(16, 60), 35), (r.randint(61, 250), 15)])
        items = [{"product": plan, "qty": seats, "unit": PRODUCTS[plan][2][cur]}]
        if r.random() < 0.3:
            items.append({"product": "ADDON-STORAGE", "qty": r.randint(1, 8),
                          "unit": PRODUCTS["ADDON-STORAGE"][2][cur]})
        if plan == "PLAN-ENTERPRISE" or r.random() < 0.1:
            items.append({"product": "SUPPORT-PREMIUM", "qty": 1,
                          "unit": PRODUCTS["SUPPORT-PREMIUM"][2][cur]})
        term = _wchoice(r, [(12, 60), (24, 25), (36, 15)])
        onboarding = PRODUCTS["SVC-ONBOARDING"][2][cur] if r.random() < 0.25 else 0
        mrr = sum(it["qty"] * it["unit"] for it in items)
        created = start - r.randint(1, 10) * DAY - r.randint(0, 40000)
        k = {
            "key": "K%05d" % (len(self.lists["contract"]) + 1),
            "customer": c, "currency": cur, "items": items, "term": term,
            "start": start, "end": add_months(start, term) - DAY,
            "onboarding": onboarding, "mrr": mrr, "tcv": mrr * term + onboarding,
            "created": created, "updated": created + r.randint(600, 3 * DAY),
            "invoices": [],
        }
        n = len(self.lists["contract"]) + 1
        k["ids"] = {
            "salesforce": sf_id("800", self.next_id("sf-800", 40000, 5)),
            "contract_number": "%08d" % (100 + n),
            "subscription": ("sub_1" + _rid(r, 23)) if c["billing"] == "stripe" else _rid(r, 16),
        }
        schedule_id = "rs_" + _rid(r, 24, HEX)
        self._put("contract", k, systems)
        k["opportunity"] = self._opportunity(c, k, r, open_deal=False, systems=None if systems is None
                                             else ({"salesforce", "hubspot"} & set(systems)))
        k["schedule"] = self._schedule(k, schedule_id, systems=None if systems is None
                                       else ({"revrec"} & set(systems)))
        return k

    def _opportunity(self, c, k, r, open_deal, systems=None):
        cur = c["currency"]
        if k is not None:
            stage, amount = "Closed Won", k["tcv"]
            close = k["start"] - r.randint(1, 9) * DAY
            name = "%s — %s %d seats" % (c["name"], PRODUCTS[k["items"][0]["product"]][0],
                                          k["items"][0]["qty"])
            created = close - r.randint(15, 90) * DAY
        elif open_deal:
            stage = r.choice(["Prospecting", "Qualification", "Needs Analysis", "Proposal/Price Quote",
                              "Negotiation/Review"])
            amount = PRODUCTS["PLAN-PRO"][2][cur] * r.randint(10, 120) * 12
            close = BASE + r.randint(10, 150) * DAY
            close = calendar.timegm(time.gmtime(close)[:3] + (0, 0, 0))
            name = "%s — expansion" % c["name"]
            created = BASE - r.randint(5, 120) * DAY
        else:
            stage = "Closed Lost"
            amount = PRODUCTS["PLAN-ENTERPRISE"][2][cur] * r.randint(10, 80) * 12
            close = BASE - r.randint(10, 200) * DAY
            close = calendar.timegm(time.gmtime(close)[:3] + (0, 0, 0))
            name = "%s — enterprise upgrade" % c["name"]
            created = close - r.randint(20, 100) * DAY
        updated = min(max(created, close) + r.randint(0, 5 * DAY), BASE - r.randint(60, 5 * DAY))
        if updated < created:
            updated = created
        o = {
            "key": "O%05d" % (len(self.lists["opportunity"]) + 1),
            "customer": c, "contract": k, "name": name, "stage": stage, "amount": amount,
            "currency": cur, "close": close, "created": created, "updated": updated,
            "ids": {"salesforce": sf_id("006", self.next_id("sf-006", 70000, 4)),
                    "hubspot": str(self.next_id("hs-deal", 9100000001, 30))},
        }
        return self._put("opportunity", o, systems)

    def _schedule(self, k, schedule_id, systems=None):
        total = k["tcv"]
        term = k["term"]
        each, rem = divmod(total, term)
        entries = []
        for m in range(term):
            ps = add_months(k["start"], m)
            entries.append({"period": time.strftime("%Y-%m", time.gmtime(ps)), "start": ps,
                            "end": add_months(k["start"], m + 1) - DAY,
                            "amount": each + (1 if m < rem else 0)})
        s = {
            "key": "S%05d" % (len(self.lists["schedule"]) + 1),
            "contract": k, "customer": k["customer"], "currency": k["currency"],
            "total": total, "entries": entries, "version": 1,
            "created": k["start"], "updated": k["start"] + 3600,
            "ids": {"revrec": schedule_id},
        }
        return self._put("schedule", s, systems)

    def _invoice(self, k, period_start, r, created=None, systems=None):
        c = k["customer"]
        cur = k["currency"]
        tax_bp = COUNTRIES[c["country"]][1]
        period_end = add_months(period_start, 1)
        lines = []
        first = not k["invoices"]
        for it in k["items"]:
            name = PRODUCTS[it["product"]][0]
            lines.append({"product": it["product"], "qty": it["qty"], "unit": it["unit"],
                          "amount": it["qty"] * it["unit"],
                          "description": "%d × %s" % (it["qty"], name) if it["qty"] > 1 else name,
                          "period_start": period_start, "period_end": period_end})
        if first and k["onboarding"]:
            lines.append({"product": "SVC-ONBOARDING", "qty": 1, "unit": k["onboarding"],
                          "amount": k["onboarding"], "description": PRODUCTS["SVC-ONBOARDING"][0],
                          "period_start": period_start, "period_end": period_start})
        subtotal = sum(ln["amount"] for ln in lines)
        tax = pct(subtotal, tax_bp)
        if created is None:
            created = period_start + r.randint(0, 3600)
        due = created + 30 * DAY
        inv = {
            "key": "I%05d" % (len(self.lists["invoice"]) + 1),
            "customer": c, "contract": k, "currency": cur, "lines": lines,
            "subtotal": subtotal, "tax": tax, "tax_bp": tax_bp, "total": subtotal + tax,
            "created": created, "due": due, "period_start": period_start, "period_end": period_end,
            "credited": 0, "cns": [], "paid_at": None, "status": "open",
            "updated": created,
        }
        if created < BASE - 30 * DAY or r.random() < 0.6:
            paid = created + r.randint(3600, 20 * DAY)
            cap = max(self.clock, BASE) - 60
            if paid < cap:
                inv["paid_at"] = paid
                inv["status"] = "paid"
                inv["updated"] = paid
        inv["ids"] = {"billing": ("in_1" + _rid(r, 23)) if c["billing"] == "stripe" else None}
        k["invoices"].append(inv)
        c["invoices"].append(inv)
        return self._put("invoice", inv, systems)

    def _invoices_for(self, k, until):
        r = self.rng("invoices-of", k["key"])
        m = 0
        while True:
            ps = add_months(k["start"], m)
            if ps > until - DAY or m >= k["term"]:
                break
            self._invoice(k, ps, r)
            m += 1

    # Sequential numbers are handed out in creation order, as the systems
    # themselves do: the billing number of an invoice (per customer in
    # Stripe, global in Chargebee), then NetSuite's internal id and tranId
    # of every transaction.

    def _bill_number(self, inv):
        c = inv["customer"]
        c["inv_seq"] += 1
        inv["ids"]["number"] = "%s-%04d" % (c["invoice_prefix"], c["inv_seq"])
        if c["billing"] == "chargebee":
            inv["ids"]["billing"] = str(self.next_id("cb-inv", 20001))
            inv["ids"]["number"] = inv["ids"]["billing"]

    def _ns_number(self, e):
        ids = e["ids"]
        ids["netsuite"] = str(self.next_id("ns-txn", 10500, 6))
        if e["kind"] == "invoice":
            ids["netsuite_tranid"] = "INV%06d" % self.next_id("ns-inv", 10001)
        else:
            ids["netsuite_tranid"] = "CM%06d" % self.next_id("ns-cm", 3001)

    def _credit_note(self, inv, when, r, with_ticket, systems=None):
        cur = inv["currency"]
        reason_code, tmpl = r.choice(CREDIT_REASONS)
        share = r.choice([500, 1000, 2000, 2500, 5000, 10000])
        amount = pct(inv["subtotal"] - inv["credited"], share)
        if exponent(cur) == 3:
            amount -= amount % 10
        if amount <= 0:
            return None
        tax = pct(amount, inv["tax_bp"])
        if exponent(cur) == 3:
            tax -= tax % 10
        total = amount + tax
        if total + inv["credited"] > inv["total"]:
            return None
        inv["credited"] += total
        cn = {
            "key": "N%05d" % (len(self.lists["credit_note"]) + 1),
            "invoice": inv, "customer": inv["customer"], "currency": cur,
            "amount": amount, "tax": tax, "total": total, "reason": reason_code,
            "memo": tmpl.format(date=date(inv["created"] + DAY), n=inv["lines"][0]["qty"],
                                m=max(1, inv["lines"][0]["qty"] - r.randint(1, 5)),
                                number=inv["ids"]["number"]),
            "created": when, "updated": when, "ticket": None,
        }
        inv["cns"].append(cn)
        if inv["customer"]["billing"] == "stripe":
            cn["ids"] = {"billing": "cn_1" + _rid(r, 23),
                         "number": "%s-CN-%02d" % (inv["ids"]["number"], len(inv["cns"]))}
        else:
            n = self.next_id("cb-cn", 5001)
            cn["ids"] = {"billing": "CN-%d" % n, "number": "CN-%d" % n}
        inv["updated"] = max(inv["updated"], when)
        if inv["paid_at"] is None and inv["credited"] >= inv["total"]:
            inv["status"], inv["paid_at"] = "paid", when
        self._put("credit_note", cn, systems)
        if with_ticket:
            opened = when - r.randint(3600, 5 * DAY)
            t = self._ticket(self.next_id("ticket-linked", 1), None, credit_for=cn, opened=opened)
            cn["ticket"] = t
        return cn

    def _support_common(self, r, c, credit_for, credit_inv):
        """Subject, description, credit request and times shared by tickets and cases."""
        if credit_for is not None:
            inv = credit_for["invoice"]
            reason_code, tmpl = next(x for x in CREDIT_REASONS if x[0] == credit_for["reason"])
            subject = credit_for["memo"]
            credit = {"amount": credit_for["total"], "currency": inv["currency"], "invoice": inv,
                      "reason": reason_code}
        elif credit_inv is not None:
            inv = credit_inv
            reason_code, tmpl = r.choice(CREDIT_REASONS)
            share = r.choice([500, 1000, 2500, 5000])
            amount = pct(inv["total"], share)
            if exponent(inv["currency"]) == 3:
                amount -= amount % 10
            subject = tmpl.format(date=date(inv["created"] + DAY), n=inv["lines"][0]["qty"],
                                  m=max(1, inv["lines"][0]["qty"] - r.randint(1, 5)),
                                  number=inv["ids"]["number"])
            credit = {"amount": max(amount, 10 ** exponent(inv["currency"])),
                      "currency": inv["currency"], "invoice": inv, "reason": reason_code}
        else:
            subject = r.choice(GENERAL_SUBJECTS)
            credit = None
        if credit:
            desc = ("Hello,\n\n%s.\nWe are asking for a credit of %s %s against invoice %s.\n\n"
                    "Thanks,\n%s" % (subject, dec(credit["amount"], credit["currency"]),
                                     credit["currency"].upper(), credit["invoice"]["ids"]["number"],
                                     c["contact"]["name"]))
        else:
            desc = "Hi team,\n\n%s — can you help?\n\n%s" % (subject, c["contact"]["name"])
        return subject, desc, credit

    def _pick_invoice(self, r, c):
        return r.choice(c["invoices"]) if c["invoices"] else None

    def _ticket(self, i, created, credit_for=None, opened=None, systems=None, force_credit=None):
        r = self.rng("ticket" if credit_for is None else "ticket-cn", i)
        if credit_for is not None:
            c = credit_for["customer"]
            inv = None
        else:
            c = r.choice(self.lists["customer"])
            want_credit = force_credit if force_credit is not None else r.random() < 0.2
            inv = self._pick_invoice(r, c) if want_credit else None
        subject, desc, credit = self._support_common(r, c, credit_for, inv)
        if opened is None:
            opened = created if created is not None else BASE - r.randint(3600, 120 * DAY)
            if credit and opened < credit["invoice"]["created"]:
                opened = credit["invoice"]["created"] + r.randint(3600, 10 * DAY)
                if opened >= BASE and created is None:
                    opened = BASE - r.randint(3600, 2 * DAY)
        if credit_for is not None:
            status = "solved" if r.random() < 0.6 else "closed"
            updated = credit_for["created"] + r.randint(60, 3600)
        elif created is not None:
            status, updated = "new", opened
        else:
            status = _wchoice(r, [("new", 10), ("open", 30), ("pending", 20), ("hold", 5),
                                  ("solved", 25), ("closed", 10)])
            updated = opened if status == "new" else min(opened + r.randint(600, 10 * DAY),
                                                         BASE - r.randint(60, DAY))
            if credit and status in ("solved", "closed"):
                status = "pending"
        t = {
            "key": "T%05d" % (len(self.lists["ticket"]) + 1),
            "customer": c, "subject": subject, "description": desc,
            "type": "problem" if credit else r.choice(["question", "incident", "task"]),
            "priority": "high" if credit else r.choice(["low", "normal", "normal", "high", "urgent"]),
            "status": status, "created": opened, "updated": max(updated, opened),
            "credit": credit, "credit_note": credit_for,
            "tags": (["credit_request", credit["reason"]] if credit else []) + [c["billing"]],
            "ids": {},
        }
        return self._put("ticket", t, systems)

    def _case(self, i, created, systems=None, force_credit=None):
        r = self.rng("case", i)
        c = r.choice(self.lists["customer"])
        want = force_credit if force_credit is not None else r.random() < 0.3
        inv = self._pick_invoice(r, c) if want else None
        subject, desc, credit = self._support_common(r, c, None, inv)
        opened = created if created is not None else BASE - r.randint(3600, 150 * DAY)
        if credit and opened < credit["invoice"]["created"] and created is None:
            opened = min(credit["invoice"]["created"] + r.randint(3600, 10 * DAY), BASE - r.randint(3600, 2 * DAY))
        if created is not None:
            state = "1"
            updated = opened
        else:
            state = _wchoice(r, [("1", 10), ("10", 35), ("18", 20), ("6", 25), ("3", 10)])
            updated = opened if state == "1" else min(opened + r.randint(600, 15 * DAY),
                                                      BASE - r.randint(60, DAY))
        cs = {
            "key": "X%05d" % (len(self.lists["case"]) + 1),
            "customer": c, "subject": subject, "description": desc, "state": state,
            "priority": "2" if credit else r.choice(["1", "2", "3", "3", "4"]),
            "created": opened, "updated": max(updated, opened), "mod_count": r.randint(0, 9),
            "credit": credit,
            "ids": {"servicenow": _rid(r, 32, HEX),
                    "number": "CS%07d" % self.next_id("sn-case", 1001, 1)},
        }
        return self._put("case", cs, systems)

    def _sort_ids(self):
        """Ticket ids follow creation order, as in Zendesk."""
        for t in sorted(self.lists["ticket"], key=lambda x: (x["created"], x["key"])):
            t["ids"]["zendesk"] = self.next_id("zd-ticket", 1001, 1)

    # ---- operations after seeding ----

    def add(self, kind, count, systems=None, billing=None):
        """Add `count` new entities of `kind`, stamped with later times.
        `systems` (a set) restricts where they appear; `billing` ("stripe"
        or "chargebee") picks customers billed there, so the new records
        land in that system.  Returns the list of entities created,
        dependants included (a contract brings its opportunity and
        schedule)."""

        def billed(c):
            return billing is None or c["billing"] == billing

        if kind not in DEFAULT_SYSTEMS:
            raise ValueError("unknown kind %r" % kind)
        made = []
        for _ in range(count):
            self.ops += 1
            r = self.rng("add-" + kind, self.ops)
            t = self.tick()
            before = {k: len(v) for k, v in self.lists.items()}
            if kind == "customer":
                n = len(self.lists["customer"])
                names = [(h, tl) for h in NAME_HEADS for tl in NAME_TAILS]
                random.Random("sgp-sandbox-names:%d" % self.seed).shuffle(names)
                c = self._customer(n, names[n % len(names)], n // len(names), t, billing)
                c["updated"] = t
                if systems is not None:
                    c["systems"] = set(systems)
            elif kind == "contract":
                c = r.choice([c for c in self.lists["customer"] if billed(c)])
                k = self._contract(c, t, r, systems)
                k["created"] = t
                k["updated"] = t
                k["opportunity"]["created"] = k["opportunity"]["updated"] = t
                k["opportunity"]["close"] = calendar.timegm(time.gmtime(t)[:3] + (0, 0, 0))
                k["schedule"]["created"] = k["schedule"]["updated"] = t
            elif kind == "invoice":
                k = r.choice([k for k in self.lists["contract"] if billed(k["customer"])])
                inv = self._invoice(k, month_start(t), r, created=t, systems=systems)
                inv["status"], inv["paid_at"], inv["updated"] = "open", None, t
                self._bill_number(inv)
                self._ns_number(inv)
            elif kind == "credit_note":
                cands = [i for i in self.lists["invoice"] if billed(i["customer"])
                         and i["total"] - i["credited"] >= 100 * 10 ** exponent(i["currency"])]
                r.shuffle(cands)
                for inv in cands:
                    cn = self._credit_note(inv, t, r, with_ticket=False, systems=systems)
                    if cn is not None:
                        self._ns_number(cn)
                        break
            elif kind == "ticket":
                tk = self._ticket("add-%d" % self.ops, t, systems=systems,
                                  force_credit=r.random() < 0.5)
                tk["ids"]["zendesk"] = self.next_id("zd-ticket", 1001, 1)
            elif kind == "case":
                self._case("add-%d" % self.ops, t, systems=systems, force_credit=r.random() < 0.5)
            elif kind == "opportunity":
                c = r.choice(self.lists["customer"])
                o = self._opportunity(c, None, r, open_deal=True, systems=systems)
                o["created"] = o["updated"] = t
            elif kind == "schedule":
                raise ValueError("schedules come with contracts: add a contract")
            for kk, v in self.lists.items():
                made.extend(v[before[kk]:])
        return made

    TOUCHABLE = ("customer", "invoice", "ticket", "case", "opportunity")

    def touch(self, kind, count):
        """Change `count` existing entities of `kind` the way they change in
        life, stamping them with later times; returns them.  Invoices: the
        oldest open ones are paid.  Tickets and cases: the least recently
        updated open ones move on a state.  Customers: the least recently
        updated change their billing email.  Opportunities: open ones
        advance a stage."""
        if kind not in self.TOUCHABLE:
            raise ValueError("cannot touch %r (one of %s)" % (kind, ", ".join(self.TOUCHABLE)))
        done = []
        if kind == "invoice":
            cands = sorted((i for i in self.lists["invoice"] if i["status"] == "open"),
                           key=lambda x: (x["created"], x["key"]))
        elif kind == "ticket":
            cands = sorted((x for x in self.lists["ticket"] if x["status"] not in ("solved", "closed")),
                           key=lambda x: (x["updated"], x["key"]))
        elif kind == "case":
            cands = sorted((x for x in self.lists["case"] if x["state"] not in ("3", "6")),
                           key=lambda x: (x["updated"], x["key"]))
        elif kind == "customer":
            cands = sorted(self.lists["customer"], key=lambda x: (x["updated"], x["key"]))
        else:
            cands = sorted((x for x in self.lists["opportunity"]
                            if x["stage"] not in ("Closed Won", "Closed Lost")),
                           key=lambda x: (x["updated"], x["key"]))
        for e in cands[:count]:
            t = self.tick()
            if kind == "invoice":
                e["status"], e["paid_at"] = "paid", t
            elif kind == "ticket":
                e["status"] = {"new": "open", "open": "pending", "hold": "open",
                               "pending": "solved"}[e["status"]]
            elif kind == "case":
                e["state"] = {"1": "10", "10": "18", "18": "6"}[e["state"]]
                e["mod_count"] += 1
            elif kind == "customer":
                e["email"] = "accounts-payable@" + e["domain"]
            else:
                stages = ["Prospecting", "Qualification", "Needs Analysis", "Proposal/Price Quote",
                          "Negotiation/Review", "Closed Won"]
                e["stage"] = stages[stages.index(e["stage"]) + 1]
            e["updated"] = t
            done.append(e)
        return done


def credit_split(inv):
    """(pre-payment, post-payment) credit of an invoice: credit notes issued
    while it was unpaid lower what is due; later ones credit it after payment."""
    pre = sum(cn["total"] for cn in inv["cns"]
              if inv["paid_at"] is None or cn["created"] <= inv["paid_at"])
    return pre, inv["credited"] - pre


def line_taxes(inv):
    """The invoice's tax spread over its lines (rounded per line, the
    remainder on the last line), so the lines add up to the invoice."""
    taxes = [pct(ln["amount"], inv["tax_bp"]) for ln in inv["lines"]]
    if taxes:
        taxes[-1] += inv["tax"] - sum(taxes)
    return taxes
