#!/usr/bin/env bats
# sgp-map: vendor records to canonical events and back, by mapping specs.

load helpers
bats_require_minimum_version 1.5.0

MF="$SGP_ROOT/tests/fixtures/map"
CM="$SGP_ROOT/contrib/mappings"

# py SCRIPT ARGS...: run a python snippet (JSON checks without jq).
py() {
	local s=$1
	shift
	python3 -c "import json, sys
$s" "$@"
}

# A test.invoice plain record: id, customer, total (minor units), currency, at.
inv() {
	printf '{"id":"%s","customer":"%s","total":%s,"currency":"%s","at":"%s"}\n' "$1" "$2" "$3" "$4" "${5:-2026-11-01T12:00:00Z}"
}

@test "--help prints the usage on stdout; misuse is one line and exit 2" {
	run --separate-stderr sgp-map --help
	assert_success
	assert_line --index 0 --partial "usage: sgp-map -m MAPPING"
	run --separate-stderr sgp-map
	[ "$status" -eq 2 ]
	[ -z "$output" ]
	[[ "$stderr" == "sgp-map: no mapping given (-m MAPPING)"* ]]
	[[ "$stderr" == *"Try 'sgp-map --help'"* ]]
	run --separate-stderr sgp-map -m "$MF/simple.json" --no-such-option
	[ "$status" -eq 2 ]
	run --separate-stderr sgp-map -m "$MF/simple.json" -t notatype
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"invalid type 'notatype'"* ]]
}

@test "every rule and conversion kind on one record" {
	run --separate-stderr sgp-map -m "$MF/conversions.json" -t test.record "$MF/conversions.ndjson"
	assert_success
	printf '%s\n' "$output" >out.ndjson
	[ "$(lines_of out.ndjson)" -eq 1 ]
	want_hash="ik_$(printf 'R-1\037v1' | sha256sum | cut -c1-16)"
	py '
e = json.loads(open("out.ndjson").read())
d = e["data"]
want = {
 "const_obj": {"k": [1, 2.5, "x"]}, "from_chain": "x", "template": "R-1/abc-{lit}",
 "concat": "x, y, z", "hash": sys.argv[1], "trimmed": "Acme Corp", "upper": "ABC",
 "lower": "acme corp", "mapped": "posted", "mapped_default": "other", "mapped_keep": "weird",
 "lookup_hit": "E-100", "lookup_col": "North\nAmerica", "lookup_default": "UNMAPPED",
 "str_num": "229122", "int_str": 42, "int_float": 3, "bool_t": True, "bool_no": False,
 "bool_1": True, "dec": "12.5", "dec_scale": "12.500", "dec_half_even": "2.66",
 "dec_half_up": "2.67", "dec_down": "2.66", "money_usd_minor": "2291.22",
 "money_jpy_minor": "1250", "money_kwd_minor": "1.250", "money_minor_str": "-19.99",
 "money_float": "2291.22", "money_float_kwd": "1.250", "money_dec_str": "12.50",
 "money_number": 12.5, "money_to_minor": 229122, "money_round": "2.67",
 "money_scale": "0.004166667",
 "time_epoch_s": "2026-11-01T12:00:00Z", "time_epoch_ms": "2026-11-01T12:00:00.123Z",
 "time_auto_ms": "2026-11-01T12:00:00.123Z", "time_offset": "2026-11-01T12:00:00Z",
 "time_plain_date": "2026-11-01T00:00:00Z", "time_pattern": "2026-11-01T15:45:00Z",
 "time_pattern_offset": "2026-11-01T23:45:00Z", "date": "2026-11-01",
 "time_to_epoch_ms": 1793534400000, "time_ms": "2026-11-01T12:00:00.000Z",
 "currency": "KWD", "lines": [{"sku": "A", "amount": "0.100"}, {"sku": "C", "amount": "0.005"}],
 "nested": {"x": "x"}, "listed": ["x", 7], "tested": True, "selected": "second", "defaulted": 0}
assert d == want, {k: (d.get(k), want.get(k)) for k in set(d) | set(want) if d.get(k) != want.get(k)}
assert list(d) == list(want), "fields out of spec order"
assert e["type"] == "test.mapped" and e["occurred_at"] == "2026-11-01T12:00:00Z"
' "$want_hash"
	# money written as a JSON number keeps its decimals as text
	grep -q '"money_number":12.50,' out.ndjson
}

@test "a Stripe amount in minor units and the NetSuite float of it give the same decimal string" {
	for amt in "229122 2291.22 2291.22" "123456789 1234567.89 1234567.89" "10 0.1 0.10" "7 0.07 0.07"; do
		set -- $amt
		printf '{"id":"in_1","object":"invoice","status":"paid","created":1793534400,"currency":"usd","customer":"cus_R4kq0J2Ylm3T8a","lines":{"data":[{"id":"il_1","amount":%s,"quantity":1,"price":{"lookup_key":"PLAN-PRO"}}]},"status_transitions":{"finalized_at":1793534400},"subtotal":%s,"total":%s,"amount_due":%s}\n' "$1" "$1" "$1" "$1" >stripe.ndjson
		printf '{"id":"30417","entity":{"id":"1187"},"tranDate":"2026-11-01","currency":{"id":"1"},"lastModifiedDate":"2026-11-01T12:00:00Z","total":%s,"item":{"items":[{"line":1,"item":{"refName":"PLAN-PRO"},"quantity":1.0,"amount":%s}]}}\n' "$2" "$2" >netsuite.ndjson
		run --separate-stderr sgp-map -m "$CM/stripe-invoice.json" -t stripe.invoice stripe.ndjson
		assert_success
		s_total=$(printf '%s\n' "$output" | py 'e = json.loads(sys.stdin.read()); print(e["data"]["total"], e["data"]["lines"][0]["amount"])')
		run --separate-stderr sgp-map -m "$CM/netsuite-invoice.json" -t netsuite.invoice netsuite.ndjson
		assert_success
		n_total=$(printf '%s\n' "$output" | py 'e = json.loads(sys.stdin.read()); print(e["data"]["total"], e["data"]["lines"][0]["amount"])')
		[ "$s_total" = "$3 $3" ]
		[ "$n_total" = "$3 $3" ]
	done
}

@test "JPY and KWD are exact: minor units, floats and decimal strings" {
	cat >cur.json <<'EOF'
{"spec": "sgp.mapping/1", "mapping": "cur", "match": {"type": "t.amounts"}, "record": {"id": "/id"},
 "emit": {"type": "t.out", "occurred_at": {"const": "2026-11-01T00:00:00Z"}, "data": {
   "minor": {"from": "/minor", "convert": "money", "unit": "minor", "currency": "/cur"},
   "float": {"from": "/float", "convert": "money", "currency": "/cur"},
   "text": {"from": "/text", "convert": "money", "currency": "/cur"}}}}
EOF
	{
		echo '{"id":"1","cur":"JPY","minor":1250,"float":1250.0,"text":"1250"}'
		echo '{"id":"2","cur":"jpy","minor":99999999999999,"float":99999999999999.0,"text":"99999999999999"}'
		echo '{"id":"3","cur":"KWD","minor":1250,"float":1.25,"text":"1.25"}'
		echo '{"id":"4","cur":"KWD","minor":-1,"float":-0.001,"text":"-0.001"}'
		echo '{"id":"5","cur":"KWD","minor":123456789012345,"float":123456789012.345,"text":"123456789012.345"}'
	} >in.ndjson
	run --separate-stderr sgp-map -m cur.json -t t.amounts in.ndjson
	assert_success
	printf '%s\n' "$output" | py '
got = [json.loads(l)["data"] for l in sys.stdin]
want = [("1250",) * 3, ("99999999999999",) * 3, ("1.250",) * 3, ("-0.001",) * 3,
        ("123456789012.345",) * 3]
assert [(d["minor"], d["float"], d["text"]) for d in got] == want, got'
	# a JPY amount with a fraction, or a fourth KWD decimal, is a money reject
	printf '%s\n' '{"id":"6","cur":"JPY","minor":1,"float":12.5,"text":"1"}' \
		'{"id":"7","cur":"KWD","minor":1,"float":1,"text":"1.2345"}' >bad.ndjson
	run --separate-stderr sgp-map -m cur.json -t t.amounts --rejects rej.ndjson bad.ndjson
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	py '
r = [json.loads(l) for l in open("rej.ndjson")]
assert [x["reason"] for x in r] == ["money", "money"], r
assert r[0]["errors"][0]["path"] == "/data/float" and "12.5" in r[0]["errors"][0]["message"], r[0]
assert r[1]["errors"][0]["path"] == "/data/text" and "1.2345" in r[1]["errors"][0]["message"], r[1]'
}

@test "every contrib mapping's examples hold when run through sgp-map" {
	py '
import glob, os, subprocess
n = 0
for spec in sorted(glob.glob(os.path.join(sys.argv[1], "*.json"))):
    m = json.load(open(spec))
    assert m.get("examples"), spec + ": no examples"
    for i, ex in enumerate(m["examples"]):
        where = "%s: example %d" % (os.path.basename(spec), i + 1)
        inp = ex["input"]
        args = ["sgp-map", "-m", spec, "--rejects", "rej.ndjson"]
        if "spec" not in inp:
            args += ["-t", ex.get("type", m["match"]["type"] if isinstance(m["match"]["type"], str) else m["match"]["type"][0])]
        p = subprocess.run(args, input=json.dumps(inp) + "\n", capture_output=True, text=True)
        rej = [json.loads(l) for l in open("rej.ndjson")]
        if "reject" in ex:
            assert p.returncode == 1 and p.stdout == "" and len(rej) == 1, (where, p)
            assert rej[0]["reason"] == ex["reject"]["reason"], (where, rej)
            assert [e["path"] for e in rej[0]["errors"]] == ex["reject"]["paths"], (where, rej)
            assert rej[0]["event"] == inp, where
        elif ex["output"] == []:
            # no event: the line is left alone (passed through) or mapped to nothing
            assert p.returncode == 0 and rej == [], (where, p.stderr, rej)
            assert p.stdout in ("", json.dumps(inp) + "\n"), (where, p.stdout)
        else:
            assert p.returncode == 0 and rej == [], (where, p.stderr, rej)
            got = [json.loads(l) for l in p.stdout.splitlines()]
            assert len(got) == len(ex["output"]), (where, got)
            for g, w in zip(got, ex["output"]):
                for k in w:
                    assert g.get(k) == w[k], (where, k, g.get(k), w[k])
                assert g["spec"] == "sgp.event/1" and g["id"].startswith("evt_"), where
                assert g["idempotency_key"].startswith(m["mapping"] + ":"), where
        n += 1
assert n >= 30, n
' "$CM"
}

@test "policy threshold: above it credit.requested, at or below it credit.approved; -D moves it" {
	ticket() {
		printf '{"id":%s,"created_at":"2026-11-04T16:00:00Z","updated_at":"2026-11-04T16:05:00Z","requester_id":4820117,"organization_id":509974,"custom_fields":[{"id":360001234567,"value":"%s"},{"id":360001234568,"value":"usd"},{"id":360001234570,"value":"outage"}]}\n' "$1" "$2"
	}
	{ ticket 1 499.99; ticket 2 500.00; ticket 3 500.01; ticket 4 735; } >t.ndjson
	run --separate-stderr sgp-map -m zendesk-credit-request -t zendesk.ticket t.ndjson
	assert_success
	types=$(printf '%s\n' "$output" | py 'print(" ".join(json.loads(l)["type"] for l in sys.stdin))')
	[ "$types" = "credit.approved credit.approved credit.requested credit.requested" ]
	printf '%s\n' "$output" | py '
for l in sys.stdin:
    e = json.loads(l)
    d = e["data"]
    assert d["policy"]["requires_approval"] == (e["type"] == "credit.requested"), e
    assert ("approved_by" in d) == (e["type"] == "credit.approved"), e'
	run --separate-stderr sgp-map -m zendesk-credit-request -D approval_threshold=1000.00 -t zendesk.ticket t.ndjson
	assert_success
	types=$(printf '%s\n' "$output" | py 'print(" ".join(json.loads(l)["type"] for l in sys.stdin))')
	[ "$types" = "credit.approved credit.approved credit.approved credit.approved" ]
	printf '%s\n' "$output" | py '
for l in sys.stdin:
    assert json.loads(l)["data"]["policy"]["threshold"] == {"amount": "1000.00", "currency": "USD"}'
	# a ticket without a credit request does not match: it passes through
	echo '{"id":9,"custom_fields":[{"id":360001234567,"value":null}]}' >plain.ndjson
	run --separate-stderr sgp-map -m zendesk-credit-request -t zendesk.ticket plain.ndjson
	assert_success
	assert_output '{"id":9,"custom_fields":[{"id":360001234567,"value":null}]}'
}

@test "lookups: a hit, a miss rejected naming the table, a miss with a default" {
	{ inv I-1 C1 1250 usd; inv I-2 C9 1250 usd; inv I-3 'C,2' 5 jpy; } >in.ndjson
	run --separate-stderr sgp-map -m "$MF/simple.json" -t test.invoice --rejects rej.ndjson in.ndjson
	[ "$status" -eq 1 ]
	printf '%s\n' "$output" | py '
got = [json.loads(l)["data"] for l in sys.stdin]
assert [(d["invoice_id"], d["customer_id"], d["total"]) for d in got] == [("I-1", "E-100", "12.50"), ("I-3", "E-200", "5")], got'
	py '
r = [json.loads(l) for l in open("rej.ndjson")]
assert len(r) == 1 and r[0]["reason"] == "lookup" and r[0]["line"] == 2, r
e = r[0]["errors"][0]
assert e["path"] == "/data/customer_id" and e["keyword"] == "lookup", e
assert "C9" in e["message"] and "customers" in e["message"] and "/customer" in e["message"], e'
	sed 's/"lookup": "customers"}/"lookup": "customers", "default": "UNMAPPED"}/' "$MF/simple.json" >dflt.json
	cp "$MF/customers.csv" .
	run --separate-stderr sgp-map -m dflt.json -t test.invoice in.ndjson
	assert_success
	[ "$(printf '%s\n' "$output" | sed -n 2p | py 'print(json.loads(sys.stdin.read())["data"]["customer_id"])')" = UNMAPPED ]
}

@test "several mapping files: each line goes to every mapping that matches, events in order" {
	{
		inv I-1 C1 200000 usd
		inv I-2 C1 5 usd
		echo '{"spec":"sgp.event/1","id":"evt_o1","type":"test.other","occurred_at":"2026-11-02T00:00:00Z","source":{"system":"test","object":"other","id":"O-1"},"correlation_id":"evt_o1","idempotency_key":"test:other:O-1","data":{"id":"O-1"}}'
	} >in.ndjson
	run --separate-stderr sgp-map -m "$MF/simple.json" -m "$MF/second.json" -m "$MF/other.json" -t test.invoice --stats st.json in.ndjson
	assert_success
	printf '%s\n' "$output" | py '
got = [json.loads(l) for l in sys.stdin]
assert [(e["type"], e["data"].get("invoice_id") or e["data"].get("id"), e["data"].get("step")) for e in got] == [
  ("test.posted", "I-1", None), ("test.audit", "I-1", 1), ("test.audit", "I-1", 2),
  ("test.posted", "I-2", None), ("test.audit", "I-2", 1), ("test.seen", "O-1", None)], got
keys = [e["idempotency_key"] for e in got]
assert len(set(keys)) == 6, keys
assert keys[1].startswith("test-second:") and keys[2] == keys[1] + ":1", keys
assert got[5]["causation_id"] == "evt_o1" and got[5]["occurred_at"] == "2026-11-01T00:00:00Z", got[5]'
	py 's = json.load(open("st.json")); assert s == {"in": 3, "mapped": 3, "passed": 0, "rejected": 0, "emitted": 6, "state": 0}, s'
	# a mapping for another type leaves these lines alone
	run --separate-stderr sgp-map -m "$MF/other.json" in.ndjson
	assert_success
	[ "${#lines[@]}" -eq 3 ]
	[ "${lines[0]}" = "$(sed -n 1p in.ndjson)" ]
	[[ "${lines[2]}" == *'"type":"test.seen"'* ]]
}

@test "unmatched lines pass through byte for byte; --strict rejects them" {
	printf '%s\n' '{"spec":"sgp.event/1","id":"evt_x","type":"hubspot.deal","data":{"amount":  2291.22 , "x":1e2}}' \
		'{ "a" : 1 }' >in.ndjson
	run --separate-stderr sgp-map -m "$MF/simple.json" --stats st.json in.ndjson
	assert_success
	cmp in.ndjson <(printf '%s\n' "$output")
	py 's = json.load(open("st.json")); assert s["in"] == 2 and s["passed"] == 2 and s["mapped"] == 0, s'
	run --separate-stderr sgp-map -m "$MF/simple.json" --strict --rejects rej.ndjson --stats st.json in.ndjson
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	py '
r = [json.loads(l) for l in open("rej.ndjson")]
assert [x["reason"] for x in r] == ["unknown_type", "unknown_type"], r
assert "hubspot.deal" in r[0]["errors"][0]["message"] and r[0]["line"] == 1, r
assert "--type" in r[1]["errors"][0]["message"] and r[1]["line"] == 2, r
s = json.load(open("st.json")); assert s["in"] == 2 and s["rejected"] == 2, s'
}

@test "state lines pass through in place and uncounted" {
	{
		inv I-1 C1 100 usd
		echo '{"spec":"sgp.state/1","profile":"billing","stream":"invoices","cursor":{"after":"I-1"},"at":"2026-11-01T12:00:05Z"}'
		inv I-2 C9 100 usd
		echo '{"spec":"sgp.state/1","profile":"billing","stream":"invoices","cursor":{"after":"I-2"},"at":"2026-11-01T12:00:06Z"}'
		inv I-3 C1 100 usd
	} >in.ndjson
	run --separate-stderr sgp-map -m "$MF/simple.json" -t test.invoice --rejects rej.ndjson --stats st.json in.ndjson
	[ "$status" -eq 1 ]
	printf '%s\n' "$output" >out.ndjson
	[ "$(lines_of out.ndjson)" -eq 4 ]
	[ "$(sed -n 2p out.ndjson)" = "$(sed -n 2p in.ndjson)" ]
	[ "$(sed -n 3p out.ndjson)" = "$(sed -n 4p in.ndjson)" ]
	py '
o = [json.loads(l) for l in open("out.ndjson")]
assert [x.get("type") or x["spec"] for x in o] == ["test.posted", "sgp.state/1", "sgp.state/1", "test.posted"], o
s = json.load(open("st.json"))
assert s["in"] == 3 and s["mapped"] == 2 and s["rejected"] == 1 and s["state"] == 2, s'
}

@test "-j 1 and -j 4 give the same output, rejects and counters" {
	py '
import random
r = random.Random(7)
out = open("in.ndjson", "w")
for i in range(3000):
    k = r.random()
    if k < 0.05:
        out.write("not json %d\n" % i)
    elif k < 0.08:
        out.write(json.dumps({"spec": "sgp.state/1", "profile": "p", "stream": "s", "cursor": {"n": i}, "at": "2026-11-01T00:00:00Z"}) + "\n")
    elif k < 0.15:
        out.write(json.dumps({"id": "I-%d" % i, "customer": "C404", "total": i, "currency": "usd", "at": "2026-11-01T12:00:00Z"}) + "\n")
    else:
        out.write(json.dumps({"id": "I-%d" % i, "customer": "C1", "total": i * 7, "currency": r.choice(["usd", "jpy", "kwd"]), "at": "2026-11-01T12:00:00Z", "rev": i}) + "\n")
'
	run --separate-stderr sgp-map -j 1 -m "$MF/simple.json" -m "$MF/second.json" -t test.invoice --rejects r1.ndjson --stats s1.json in.ndjson
	[ "$status" -eq 1 ]
	printf '%s\n' "$output" >o1.ndjson
	run --separate-stderr sgp-map -j 4 -m "$MF/simple.json" -m "$MF/second.json" -t test.invoice --rejects r4.ndjson --stats s4.json in.ndjson
	[ "$status" -eq 1 ]
	printf '%s\n' "$output" >o4.ndjson
	cmp o1.ndjson o4.ndjson
	cmp r1.ndjson r4.ndjson
	cmp s1.json s4.json
	py '
s = json.load(open("s1.json"))
n = sum(1 for l in open("in.ndjson") if l.strip())
assert s["in"] + s["state"] == n, (s, n)
assert s["in"] == s["mapped"] + s["passed"] + s["rejected"], s
assert s["rejected"] == sum(1 for l in open("r1.ndjson")), s
assert s["emitted"] + s["state"] == sum(1 for l in open("o1.ndjson")), s'
}

@test "bad records are rejected naming the field and why; nothing is lost" {
	{
		echo '{"id":"I-1","total":100,"currency":"usd","at":"2026-11-01T12:00:00Z"}'
		echo '{"id":"I-2","customer":"C1","total":{"value":100},"currency":"usd","at":"2026-11-01T12:00:00Z"}'
		echo '{"id":"I-3","customer":"C1","total":"12x","currency":"usd","at":"2026-11-01T12:00:00Z"}'
		echo '{"id":"I-4","customer":"C1","total":100,"currency":"usd","at":"yesterday"}'
		echo '{"id":"I-5","customer":"C1","total":100,"currency":"xyz","at":"2026-11-01T12:00:00Z"}'
		echo '{"id":"I-6","customer":"C1","total":100,"currency":"usd","at":"2026-11-01T12:00:00Z"}'
		echo '["not","an","object"]'
		echo '{"id": broken'
		echo ''
		echo '{"customer":"C1","total":100,"currency":"usd","at":"2026-11-01T12:00:00Z"}'
	} >in.ndjson
	run --separate-stderr sgp-map -m "$MF/simple.json" -t test.invoice --rejects rej.ndjson --stats st.json in.ndjson
	[ "$status" -eq 1 ]
	printf '%s\n' "$output" >out.ndjson
	[ "$(lines_of out.ndjson)" -eq 1 ]
	grep -q '"invoice_id":"I-6"' out.ndjson
	py '
r = [json.loads(l) for l in open("rej.ndjson")]
got = [(x["line"], x["reason"], [(e["path"], e["keyword"]) for e in x["errors"]]) for x in r]
want = [
 (1, "mapping", [("/data/customer_id", "required")]),
 (2, "money", [("/data/total", "money")]),
 (3, "money", [("/data/total", "money")]),
 (4, "time", [("/occurred_at", "time"), ("/data/posted_at", "time")]),
 (5, "money", [("/data/total", "currency")]),
 (7, "parse", [("", "parse")]),
 (8, "parse", [("", "parse")]),
 (10, "mapping", [("/source/id", "required")]),
]
assert got == want, got
m = {x["line"]: x["errors"][0]["message"] for x in r}
assert "/customer" in m[1] and "missing" in m[1], m[1]
assert "an object" in m[2], m[2]
assert "12x" in m[3], m[3]
assert "yesterday" in m[4], m[4]
assert "xyz" in m[5], m[5]
assert "/id" in m[10], m[10]
# the original line rides along: as an object, or as raw text
assert r[0]["event"]["id"] == "I-1", r[0]
assert r[5]["raw"] == "[\"not\",\"an\",\"object\"]" and "event" not in r[5], r[5]
assert r[6]["raw"] == "{\"id\": broken", r[6]
assert all(x["tool"] == "sgp-map" and x["retryable"] is False for x in r)
s = json.load(open("st.json"))
assert s == {"in": 9, "mapped": 1, "passed": 0, "rejected": 8, "emitted": 1, "state": 0}, s'
}

@test "configuration errors are exit 2 with a clear message, and no input is read" {
	inv I-1 C1 100 usd >in.ndjson
	check() {
		run --separate-stderr sgp-map "$@" -t test.invoice --rejects rej.ndjson in.ndjson
		[ "$status" -eq 2 ]
		[ -z "$output" ]
		[ ! -s rej.ndjson ]
	}
	check -m "$MF/bad-csv.json"
	[[ "$stderr" == "sgp-map: $MF/bad-csv.json: /lookups/t: $MF/bad.csv: line "*"unterminated quoted field"* ]]
	check -m "$MF/missing-csv.json"
	[ "$stderr" = "sgp-map: $MF/missing-csv.json: /lookups/t: cannot open '$MF/no-such-table.csv': No such file or directory" ]
	check -m "$MF/unknown-conv.json"
	[[ "$stderr" == "sgp-map: $MF/unknown-conv.json: /emit/data/total/convert: unknown conversion 'monee'"* ]]
	check -m "$MF/bad-pointer.json"
	[[ "$stderr" == *"/emit/data/total/from: bad JSON Pointer '/a~2b'"* ]]
	check -m "$MF/dup-csv.json"
	[[ "$stderr" == *"duplicate key 'C1'"* ]]
	check -m "$MF/simple.json" -m no-such-mapping.json
	[ "$stderr" = "sgp-map: cannot open 'no-such-mapping.json': No such file or directory" ]
	check -m "$MF/simple.json" -D nothing=1
	[[ "$stderr" == *"no mapping has a parameter 'nothing'"* ]]
	echo '{"spec": "sgp.mapping/1", "mapping": "x", "match": {"type": "test.invoice"}, "emit": {"type": "test.x", "data": {"a": {"from": "/a", "defualt": 1}}}}' >typo.json
	check -m typo.json
	[[ "$stderr" == *"/emit/data/a: unknown member 'defualt' in a field rule"* ]]
	echo '{"spec": "sgp.mapping/1", "mapping": "x", "match": {"type": "test.invoice"}, "emit": {"type": "test.x", "data": {"a": {"from": "/a", "lookup": "nope"}}}}' >notable.json
	check -m notable.json
	[[ "$stderr" == *"/emit/data/a/lookup: no table 'nope' in \"lookups\""* ]]
	check -m "$MF/simple.json" in.ndjson no-such-input.ndjson
	[[ "$stderr" == *"cannot open 'no-such-input.ndjson'"* ]]
}

@test "a plain record and its sgp-pull event map to the same bytes; the envelope is derived" {
	inv I-1 C1 1250 usd >plain.ndjson
	key="test:invoice:I-1"
	id="evt_$(printf 'test\037invoice\037I-1' | sha256sum | cut -c1-32)"
	printf '{"spec":"sgp.event/1","id":"%s","type":"test.invoice","occurred_at":"2026-11-01T12:00:00Z","source":{"system":"test","object":"invoice","id":"I-1"},"correlation_id":"%s","idempotency_key":"%s","data":%s}\n' \
		"$id" "$id" "$key" "$(cat plain.ndjson)" >event.ndjson
	run --separate-stderr sgp-map -m "$MF/simple.json" -t test.invoice plain.ndjson
	assert_success
	a=$output
	run --separate-stderr sgp-map -m "$MF/simple.json" event.ndjson
	assert_success
	[ "$a" = "$output" ]
	dkey="test-simple:$(printf '%s' "$key" | sha256sum | cut -c1-32)"
	did="evt_$(printf '%s' "$dkey" | sha256sum | cut -c1-32)"
	printf '%s\n' "$output" | py '
e = json.loads(sys.stdin.read())
assert e["causation_id"] == sys.argv[1] and e["correlation_id"] == sys.argv[1], e
assert e["idempotency_key"] == sys.argv[2] and e["id"] == sys.argv[3], e
assert e["source"] == {"system": "test", "object": "invoice", "id": "I-1"}, e' "$id" "$dkey" "$did"
	# a correlation id already on the input is carried
	sed 's/"correlation_id":"[^"]*"/"correlation_id":"flow-42"/' event.ndjson >corr.ndjson
	run --separate-stderr sgp-map -m "$MF/simple.json" corr.ndjson
	assert_success
	assert_output --partial '"correlation_id":"flow-42","causation_id":"'"$id"'"'
	# the same input gives the same keys on a rerun; a new revision a new key
	run --separate-stderr sgp-map -m "$MF/simple.json" -t test.invoice plain.ndjson
	[ "$a" = "$output" ]
	sed 's/"id":"I-1"/"id":"I-1","rev":"2"/' plain.ndjson >rev2.ndjson
	run --separate-stderr sgp-map -m "$MF/simple.json" -t test.invoice rev2.ndjson
	assert_success
	[ "$(printf '%s\n' "$a" | py 'print(json.loads(sys.stdin.read())["idempotency_key"])')" != \
	  "$(printf '%s\n' "$output" | py 'print(json.loads(sys.stdin.read())["idempotency_key"])')" ]
}

@test "mappings are found by name under \$SGP_DATADIR; several input files are read in turn" {
	inv I-1 C1 100 usd >a.ndjson
	inv I-2 C1 200 usd >b.ndjson
	mkdir -p dd/mappings
	cp "$MF/simple.json" "$MF/customers.csv" dd/mappings/
	SGP_DATADIR=$T/dd run --separate-stderr sgp-map -m simple -t test.invoice a.ndjson - b.ndjson <a.ndjson
	assert_success
	[ "${#lines[@]}" -eq 3 ]
	[[ "${lines[2]}" == *'"invoice_id":"I-2"'* ]]
	run --separate-stderr sgp-map -m stripe-credit-note </dev/null
	assert_success
}

@test "the bench mapping gives the same data as ../shared/bench/map-vendor.jq" {
	[ -x "$SGP_SHARED/bench/gen-vendor" ] || skip "no $SGP_SHARED/bench"
	requires jq
	"$SGP_SHARED/bench/gen-vendor" -n 300 --seed 9 -o v.ndjson
	run --separate-stderr sgp-map -m "$SGP_ROOT/tests/bench/map-vendor.json" -t stripe.invoice v.ndjson
	assert_success
	printf '%s\n' "$output" | jq -c '[.type, .occurred_at, .correlation_id, .source.id, .data]' >ours.txt
	jq -c -f "$SGP_SHARED/bench/map-vendor.jq" v.ndjson | jq -c '[.type, .occurred_at, .correlation_id, .source.id, .data]' >theirs.txt
	cmp ours.txt theirs.txt
}
