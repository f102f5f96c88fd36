#!/usr/bin/env bats
# sgp-reconcile: every discrepancy kind, CSV and NDJSON sides, composite and
# typed keys, tolerances, aggregation, duplicates, rejects, output formats,
# partitioning under --memory, exit statuses.

load helpers
bats_require_minimum_version 1.5.0

RF="$SGP_ROOT/tests/fixtures/reconcile"

# digest FILE: one line per discrepancy event: "kind key field:kind,...".
digest() {
	python3 -c '
import json, sys
for line in open(sys.argv[1]):
    e = json.loads(line)
    d = e["data"]
    diffs = ",".join(x["field"] + ":" + x["kind"] for x in d.get("fields", []))
    print(" ".join(filter(None, [e["type"].replace("reconcile.", ""), "|".join(d["key"]), diffs])))' "$1"
}

# stat FILE NAME: one counter of a --stats file.
stat() {
	python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"
}

# identity FILE: the counters add up to the input lines.
identity() {
	python3 -c '
import json, sys
k = json.load(open(sys.argv[1]))
lhs = k["left_in"] + k["right_in"]
rhs = (2 * (k["matched"] + k["mismatched"]) + k["missing_left"] + k["missing_right"]
       + k["duplicate_keys"] + k["aggregated"] + k["rejected"])
sys.exit(0 if lhs == rhs else print("identity broken:", lhs, "!=", rhs, k) or 1)' "$1"
}

# erp ARGS...: the ERP/billing comparison of the fixtures.
erp() {
	sgp-reconcile -k /data/invoice_id -m /data/total,currency=/data/currency,abs=0.01 "$@"
}

ERP_DIGEST='duplicate_key INV-7
mismatch INV-2 /data/total:value
mismatch INV-5 /data/total:currency
missing_left INV-8
duplicate_key INV-1
mismatch INV-9 /data/total:unreadable
missing_right INV-6'

gen_events() {
	[ -x "$SGP_SHARED/bench/gen-events" ] || skip "needs $SGP_SHARED/bench/gen-events"
	"$SGP_SHARED/bench/gen-events" "$@"
}

@test "--help prints the synopsis on stdout and exits 0; --version" {
	run --separate-stderr sgp-reconcile --help
	assert_success
	assert_line --index 0 --partial "usage: sgp-reconcile -k KEY"
	assert_output --partial "--memory SIZE"
	[ -z "$stderr" ]
	run sgp-reconcile --version
	assert_success
	assert_output --regexp '^sgp-reconcile [0-9]+\.[0-9]+\.[0-9]+$'
}

@test "every discrepancy kind in ERP against billing is found, and nothing else" {
	run --separate-stderr erp --stats stats.json --rejects rej.ndjson "$RF/erp.ndjson" "$RF/billing.ndjson"
	assert_failure 1
	printf '%s\n' "$output" >out.ndjson
	run digest out.ndjson
	assert_output "$ERP_DIGEST"
	[ "$(stat stats.json left_in)" = 11 ]     # the state line is not counted
	[ "$(stat stats.json right_in)" = 9 ]
	[ "$(stat stats.json matched)" = 4 ]
	[ "$(stat stats.json mismatched)" = 3 ]
	[ "$(stat stats.json missing_left)" = 1 ]
	[ "$(stat stats.json missing_right)" = 1 ]
	[ "$(stat stats.json duplicate_keys)" = 2 ]
	[ "$(stat stats.json rejected)" = 2 ]
	[ "$(stat stats.json invalid_values)" = 1 ]
	[ "$(stat stats.json tolerated)" = 1 ]
	identity stats.json
}

@test "the summary on stderr gives the counts and the totals per currency with their difference" {
	run --separate-stderr erp --rejects /dev/null "$RF/erp.ndjson" "$RF/billing.ndjson"
	assert_failure 1
	output=$stderr
	lines=("${stderr_lines[@]}")
	assert_line --regexp '^  matched +4 \(1 within tolerance\)$'
	assert_line --regexp '^  missing left +1 '
	assert_line --regexp '^  missing right +1 '
	assert_line --regexp '^    EUR +left 50\.00  right 0  difference 50\.00$'
	assert_line --regexp '^    USD +left 727\.50  right 1793\.01  difference -1065\.51$'
	assert_line --partial "unreadable amounts not in the totals: left 1, right 0"
	run --separate-stderr erp -q --rejects /dev/null "$RF/erp.ndjson" "$RF/billing.ndjson"
	[ -z "$stderr" ]
}

@test "--summary FILE writes the summary as JSON instead" {
	run --separate-stderr erp --summary sum.json --rejects /dev/null "$RF/erp.ndjson" "$RF/billing.ndjson"
	assert_failure 1
	[ -z "$stderr" ]
	python3 -c '
import json
s = json.load(open("sum.json"))
assert s["matched"] == 4 and s["mismatched"] == 3, s
assert s["left"] == {"file": "'"$RF"'/erp.ndjson", "lines": 11}, s["left"]
t = s["totals"]["/data/total"]
assert t["USD"]["left"] == "727.50" and t["USD"]["right"] == "1793.01", t
assert t["USD"]["difference"] == "-1065.51" and t["EUR"]["difference"] == "50.00", t
assert s["unreadable_amounts"] == {"left": 1, "right": 0}, s
'
}

@test "a mismatch carries both values, the difference, both ids and the correlation id" {
	run --separate-stderr erp -q --rejects /dev/null "$RF/erp.ndjson" "$RF/billing.ndjson"
	printf '%s\n' "$output" | grep '"reconcile.mismatch"' | head -n 1 >m.json
	python3 -c '
import json
e = json.load(open("m.json"))
assert e["spec"] == "sgp.event/1" and e["type"] == "reconcile.mismatch", e
assert e["idempotency_key"].startswith("sgp:reconcile:reconcile:mismatch:INV-2:"), e
assert e["correlation_id"] == "corr-2" and e["causation_id"] == "evt_l2", e
assert e["occurred_at"] == "2026-11-02T10:05:00Z", e       # the later of the two
assert e["source"] == {"system": "sgp", "object": "reconcile", "id": "reconcile"}, e
assert e["schema"] == "reconcile.mismatch/1", e
d = e["data"]
assert d["key"] == ["INV-2"], d
assert d["left"]["id"] == "evt_l2" and d["right"]["id"] == "evt_r1", d
assert d["left"]["line"] == 2 and d["right"]["line"] == 1, d
assert d["fields"] == [{"field": "/data/total", "right_field": "/data/total", "type": "money",
    "kind": "value", "left": {"amount": "200.00", "currency": "USD"},
    "right": {"amount": "200.50", "currency": "USD"}, "difference": "-0.50"}], d
'
}

@test "event ids derive from the idempotency keys; --name is the source id and part of the keys" {
	erp -q --rejects /dev/null --name erp-vs-billing "$RF/erp.ndjson" "$RF/billing.ndjson" >out.ndjson || true
	python3 -c '
import hashlib, json
for line in open("out.ndjson"):
    e = json.loads(line)
    k = e["idempotency_key"]
    assert k.startswith("sgp:reconcile:erp-vs-billing:" + e["type"][10:] + ":"), k
    assert e["id"] == "evt_" + hashlib.sha256(k.encode()).hexdigest()[:32], e
    assert e["source"] == {"system": "sgp", "object": "reconcile", "id": "erp-vs-billing"}, e
    if e["type"] == "reconcile.mismatch":
        # the last part digests the differing fields as written
        fields = json.dumps(e["data"]["fields"], separators=(",", ":"), ensure_ascii=False)
        assert k.endswith(":" + hashlib.sha256(fields.encode()).hexdigest()[:16]), (k, fields)
'
	grep -q '"idempotency_key":"sgp:reconcile:erp-vs-billing:duplicate_key:left:INV-7:8"' out.ndjson
	grep -q '"idempotency_key":"sgp:reconcile:erp-vs-billing:missing_right:INV-6"' out.ndjson
}

@test "a mismatch whose values change gets a new idempotency key; the same one keeps its key" {
	printf '{"k":"a","t":"10.00"}\n' >l.ndjson
	printf '{"k":"a","t":"10.50"}\n' >r1.ndjson
	printf '{"k":"a","t":"10.40"}\n' >r2.ndjson
	sgp-reconcile -q -k /k -m /t l.ndjson r1.ndjson >o1 || true
	sgp-reconcile -q -k /k -m /t l.ndjson r1.ndjson >o1b || true
	sgp-reconcile -q -k /k -m /t l.ndjson r2.ndjson >o2 || true
	k1=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["idempotency_key"])' o1)
	k1b=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["idempotency_key"])' o1b)
	k2=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["idempotency_key"])' o2)
	[[ "$k1" == sgp:reconcile:reconcile:mismatch:a:* ]]
	[ "$k1" = "$k1b" ]
	[ "$k1" != "$k2" ]
	# a record missing on one side keeps its key whatever its values
	printf '{"k":"b","t":"1.00"}\n' >>r1.ndjson
	printf '{"k":"b","t":"2.00"}\n' >>r2.ndjson
	sgp-reconcile -q -k /k -m /t l.ndjson r1.ndjson >o1 || true
	sgp-reconcile -q -k /k -m /t l.ndjson r2.ndjson >o2 || true
	[ "$(grep -c '"idempotency_key":"sgp:reconcile:reconcile:missing_left:b"' o1)" = 1 ]
	[ "$(grep -c '"idempotency_key":"sgp:reconcile:reconcile:missing_left:b"' o2)" = 1 ]
}

@test "--name must be an external id: exit 2 before anything is read" {
	for bad in "" "month end" "-x" "café" "$(printf 'n%.0s' {1..129})"; do
		run --separate-stderr sgp-reconcile -k /id --name "$bad" nonexistent.ndjson "$RF/billing.ndjson"
		assert_failure 2
		[[ "${stderr_lines[0]}" == "sgp-reconcile: --name: invalid name '"* ]]
		[[ "${stderr_lines[0]}" == *"(1 to 128 letters, digits and _ . : / # @ + -, starting with a letter, digit or _)" ]]
		assert_equal "${stderr_lines[1]}" "Try 'sgp-reconcile --help' for more information."
	done
	run --separate-stderr sgp-reconcile -q -k /data/invoice_id --name "erp_2026-11/close#1" \
		--rejects /dev/null "$RF/erp.ndjson" "$RF/billing.ndjson"
	assert_failure 1
	assert_output --partial '"source":{"system":"sgp","object":"reconcile","id":"erp_2026-11/close#1"}'
}

@test "a rerun is byte-identical, whatever -j is" {
	erp -q -j 1 --rejects rej1 "$RF/erp.ndjson" "$RF/billing.ndjson" >out1 || true
	erp -q -j 2 --rejects rej2 "$RF/erp.ndjson" "$RF/billing.ndjson" >out2 || true
	erp -q -j 4 --rejects rej3 "$RF/erp.ndjson" "$RF/billing.ndjson" >out3 || true
	[ -s out1 ]
	cmp out1 out2
	cmp out1 out3
	cmp rej1 rej2
	cmp rej1 rej3
}

@test "rejects: bad JSON and a missing key are rejected, an unreadable amount is rejected and still compared" {
	run --separate-stderr erp -q --rejects rej.ndjson "$RF/erp.ndjson" "$RF/billing.ndjson"
	assert_failure 1
	python3 -c '
import json
r = [json.loads(l) for l in open("rej.ndjson")]
assert [(x["line"], x["reason"]) for x in r] == [(9, "parse"), (10, "mapping"), (11, "money")], r
assert all(x["spec"] == "sgp.reject/1" and x["tool"] == "sgp-reconcile" for x in r), r
assert r[0]["raw"].startswith("{\"spec\""), r[0]
assert r[1]["errors"][0]["message"] == "key /data/invoice_id is missing", r[1]
assert r[2]["event"]["id"] == "evt_l11" and r[2]["errors"][0]["path"] == "/data/total", r[2]
'
	# without --rejects they go to stderr, never stdout
	run --separate-stderr erp -q "$RF/erp.ndjson" "$RF/billing.ndjson"
	[ "$(printf '%s\n' "$stderr" | grep -c '"sgp.reject/1"')" = 3 ]
	! printf '%s\n' "$output" | grep -q 'sgp.reject/1'
}

@test "unreadable amounts that are the same text on both sides agree; different text is a mismatch" {
	printf '{"k":"a","t":"1,000.00"}\n{"k":"b","t":"1,000.00"}\n{"k":"c","t":"oops"}\n' >l.ndjson
	printf '{"k":"a","t":"1,000.00"}\n{"k":"b","t":"1000.00"}\n{"k":"c","t":"oops!"}\n' >r.ndjson
	run --separate-stderr sgp-reconcile -q -k /k -m /t --rejects rej.ndjson --stats st.json l.ndjson r.ndjson
	assert_failure 1
	printf '%s\n' "$output" >out.ndjson
	run digest out.ndjson
	assert_output "mismatch b /t:unreadable
mismatch c /t:unreadable"
	[ "$(stat st.json invalid_values)" = 5 ]
	[ "$(lines_of rej.ndjson)" = 5 ]
	[ "$(stat st.json matched)" = 1 ]
	identity st.json
}

@test "nothing differs: exit 0, no output; amounts compare numerically (12.5 == 12.50, 300.01 == \"300.010\")" {
	run --separate-stderr erp --stats st.json "$RF/same-left.ndjson" "$RF/same-right.ndjson"
	assert_success
	assert_output ""
	[ "$(stat st.json matched)" = 3 ]
	identity st.json
}

@test "money tolerance: absolute and relative, inside and outside" {
	printf '{"k":"a","t":"100.00","c":"USD"}\n{"k":"b","t":"100.00","c":"USD"}\n{"k":"c","t":"1000.00","c":"USD"}\n{"k":"d","t":"1000.00","c":"USD"}\n' >l.ndjson
	printf '{"k":"a","t":"100.01","c":"USD"}\n{"k":"b","t":"100.20","c":"USD"}\n{"k":"c","t":"1001.00","c":"USD"}\n{"k":"d","t":"1001.01","c":"USD"}\n' >r.ndjson
	run --separate-stderr sgp-reconcile -q -k /k -m /t,currency=/c,abs=0.01,rel=0.1% --stats st.json l.ndjson r.ndjson
	assert_failure 1
	printf '%s\n' "$output" >out.ndjson
	run digest out.ndjson
	assert_output "mismatch b /t:value
mismatch d /t:value"
	[ "$(stat st.json tolerated)" = 2 ]
	# without tolerance every one differs
	run sgp-reconcile -q -k /k -m /t,currency=/c --stats st.json l.ndjson r.ndjson
	assert_failure 1
	[ "$(stat st.json mismatched)" = 4 ]
}

@test "a currency mismatch is reported as kind currency even when the amounts are equal" {
	printf '{"k":"a","t":"5.00","c":"EUR"}\n' >l.ndjson
	printf '{"k":"a","t":"5","c":"USD"}\n' >r.ndjson
	run --separate-stderr sgp-reconcile -q -k /k -m /t,currency=/c,abs=100 l.ndjson r.ndjson
	assert_failure 1
	assert_output --partial '"kind":"currency","left":{"amount":"5.00","currency":"EUR"},"right":{"amount":"5.00","currency":"USD"}}'
}

@test "CSV against NDJSON: the same discrepancies as NDJSON against NDJSON" {
	run --separate-stderr sgp-reconcile -q -k /data/invoice_id=invoice \
		-m /data/total=amount,currency=/data/currency=ccy,abs=0.01 --rejects /dev/null \
		--stats st.json "$RF/erp.ndjson" "$RF/billing.csv"
	assert_failure 1
	printf '%s\n' "$output" >out.ndjson
	run digest out.ndjson
	assert_output "$ERP_DIGEST"
	identity st.json
	# physical CSV lines: the quoted memo spans two lines
	grep '"key":\["INV-5"\]' out.ndjson | grep -q '"right":{"file":"[^"]*billing.csv","line":7}'
}

@test "--right-format csv overrides the extension; a CSV side may be the left one" {
	cp "$RF/billing.csv" billing.txt
	run --separate-stderr sgp-reconcile -q --right-format csv -k /data/invoice_id=invoice \
		-m /data/total=amount,currency=/data/currency=ccy,abs=0.01 --rejects /dev/null \
		"$RF/erp.ndjson" billing.txt
	assert_failure 1
	printf '%s\n' "$output" >out.ndjson
	run digest out.ndjson
	assert_output "$ERP_DIGEST"
	run --separate-stderr sgp-reconcile -q -k invoice=/data/invoice_id \
		-m amount=/data/total,currency=ccy=/data/currency,abs=0.01 --rejects /dev/null \
		"$RF/billing.csv" "$RF/erp.ndjson"
	assert_failure 1
	printf '%s\n' "$output" >out2.ndjson
	run digest out2.ndjson
	assert_line "missing_right INV-8"
	assert_line "missing_left INV-6"
	assert_line "duplicate_key INV-1"
}

@test "composite typed keys, folded strings, numbers and time drift across CSV and NDJSON" {
	run --separate-stderr sgp-reconcile -q -k /invoice=invoice_no -k /line=line_no,number \
		-s /sku=sku,fold -n /qty=quantity -m /amount=amount -t /posted=posted_at,drift=5m \
		--stats st.json "$RF/lines-left.ndjson" "$RF/lines-right.csv"
	assert_failure 1
	printf '%s\n' "$output" >out.ndjson
	run digest out.ndjson
	# A-1/1: line "01", sku "plan-pro", 3 minutes of drift: all agree
	assert_output "mismatch A-2|1 /qty:value
mismatch A-2|2 /posted:value
missing_left A-3|2
missing_right A-3|1"
	grep -q '"difference":"-600"' out.ndjson
	[ "$(stat st.json tolerated)" = 1 ]
	identity st.json
	# without fold the SKU differs; without number keys "01" is not "1"
	run sgp-reconcile -q -k /invoice=invoice_no -k /line=line_no,number -s /sku=sku \
		"$RF/lines-left.ndjson" "$RF/lines-right.csv"
	printf '%s\n' "$output" >out2.ndjson
	run digest out2.ndjson
	assert_line "mismatch A-1|1 /sku:value"
	run sgp-reconcile -q -k /invoice=invoice_no -k /line=line_no \
		"$RF/lines-left.ndjson" "$RF/lines-right.csv"
	printf '%s\n' "$output" >out3.ndjson
	run digest out3.ndjson
	assert_line "missing_left A-1|01"
	assert_line "missing_left A-2|1.0"
	assert_line "missing_right A-2|1"
}

@test "aggregation: invoice lines per contract against revenue schedule totals per contract" {
	run --separate-stderr sgp-reconcile -q --aggregate left -k /data/contract_id=contract \
		-m /data/amount=total,currency=/data/currency=currency -n '#count=line_count' \
		--stats st.json "$RF/contract-lines.ndjson" "$RF/revenue-schedule.csv"
	assert_failure 1
	printf '%s\n' "$output" >out.ndjson
	run digest out.ndjson
	# C-1 sums to 60.00 over 3 lines (the schedule says 4); C-2 5.00+5.00 == 10;
	# C-4 mixes USD and EUR
	assert_output "mismatch C-1 #count:value
mismatch C-3 /data/amount:value
mismatch C-4 /data/amount:mixed
missing_left C-6
missing_right C-5"
	grep '"key":\["C-5"\]' out.ndjson | grep -q '"count":1'
	[ "$(stat st.json aggregated)" = 4 ]
	[ "$(stat st.json duplicate_keys)" = 0 ]
	identity st.json
}

@test "aggregation works on the right side too, and on both" {
	run --separate-stderr sgp-reconcile -q --aggregate right -k contract=/data/contract_id \
		-m total=/data/amount,currency=currency=/data/currency -n 'line_count=#count' \
		--stats st.json "$RF/revenue-schedule.csv" "$RF/contract-lines.ndjson"
	assert_failure 1
	printf '%s\n' "$output" >out.ndjson
	run digest out.ndjson
	assert_output "mismatch C-1 line_count:value
mismatch C-3 total:value
mismatch C-4 total:mixed
missing_left C-5
missing_right C-6"
	identity st.json
	run --separate-stderr sgp-reconcile -q --aggregate both -k /data/contract_id -m /data/amount \
		-n '#count' --stats st.json "$RF/contract-lines.ndjson" "$RF/contract-lines.ndjson"
	assert_success
	[ "$(stat st.json matched)" = 5 ]
	[ "$(stat st.json aggregated)" = 8 ]
	identity st.json
}

@test "duplicate keys are reported on each side, never merged: the first is compared" {
	printf '{"k":"a","t":"1"}\n{"k":"a","t":"2"}\n{"k":"b","t":"1"}\n{"k":"a","t":"3"}\n' >l.ndjson
	printf '{"k":"a","t":"1"}\n{"k":"c","t":"1"}\n{"k":"c","t":"9"}\n{"k":"a","t":"1"}\n{"k":"b","t":"1"}\n' >r.ndjson
	run --separate-stderr sgp-reconcile -q -k /k -n /t --as-of 2026-11-30 --stats st.json l.ndjson r.ndjson
	assert_failure 1
	printf '%s\n' "$output" >out.ndjson
	run digest out.ndjson
	assert_output "duplicate_key a
duplicate_key a
missing_left c
duplicate_key c
duplicate_key a"
	python3 -c '
import json
e = [json.loads(l) for l in open("out.ndjson")]
d = [(x["data"]["side"], x["data"]["record"]["line"], x["data"]["first_line"]) for x in e if x["type"] == "reconcile.duplicate_key"]
assert d == [("left", 2, 1), ("left", 4, 1), ("right", 3, 2), ("right", 4, 1)], d
assert e[0]["data"]["record"]["values"] == {"/t": "2"}, e[0]
assert all(x["occurred_at"] == "2026-11-30T00:00:00Z" for x in e), e
'
	[ "$(stat st.json duplicate_keys)" = 4 ]
	[ "$(stat st.json matched)" = 2 ]
	identity st.json
}

# every_kind: inputs with every discrepancy kind; writes kinds.ndjson.
every_kind() {
	long=$(printf 'x%.0s' {1..300})
	cat >l.ndjson <<-JSON
	{"k":"money","m":"10.00","c":"USD"}
	{"spec":"sgp.event/1","id":"evt_left_number","correlation_id":"flow-1","occurred_at":"2026-11-02T00:00:00Z","k":"number","n":"1"}
	{"k":"string","s":"Acme"}
	{"k":"time","t":"2026-11-01T00:00:00Z"}
	{"k":"currency","m":"5","c":"EUR"}
	{"k":"missing","n":"7"}
	{"k":"unreadable","m":"1,000.00","c":"USD"}
	{"k":"overflow","n":"99999999999999999999999999999999999999"}
	{"k":"only-left","m":"1","c":"JPY"}
	{"k":"dup-left","n":"1"}
	{"k":"dup-left","n":"2"}
	{"k":"dup-right","n":"1"}
	{"k":"a b:\u00fc#%","m":"1.5","c":"KWD"}
	{"k":"$long","n":"1"}
	{"spec":"sgp.event/1","id":"not an id","correlation_id":"not a flow","occurred_at":"2026-11-03T00:00:00Z","k":"bad-ids","n":"1"}
	JSON
	cat >r.csv <<-CSV
	k,m,c,n,s,t
	money,10.5,USD,,,
	number,,,2,,
	string,,,,Acme Corp,
	time,,,,,2026-11-01T01:00:00Z
	currency,5,USD,,,
	missing,,,,,
	unreadable,1000.00,USD,,,
	overflow,,,-1,,
	only-right,3,EUR,,,
	dup-right,,,1,,
	dup-right,,,1,,
	dup-left,,,1,,
	CSV
	cat >g.ndjson <<-JSON
	{"g":"mixed-currency","m":"1.00","c":"USD","s":"x"}
	{"g":"mixed-currency","m":"1.00","c":"EUR","s":"x"}
	{"g":"mixed-text","m":"1.00","c":"USD","s":"x"}
	{"g":"mixed-text","m":"1.00","c":"USD","s":"y"}
	{"g":"sum-overflow","n":"99999999999999999999999999999999999999"}
	{"g":"sum-overflow","n":"99999999999999999999999999999999999999"}
	{"g":"bad-line","m":"1.00","c":"USD"}
	{"g":"bad-line","m":"oops","c":"USD"}
	{"g":"count","m":"1.00","c":"USD"}
	{"g":"count","m":"2.00","c":"USD"}
	{"g":"left-only","m":"2.00","c":"USD"}
	{"g":"left-only","m":"3.00","c":"USD"}
	JSON
	cat >s.ndjson <<-JSON
	{"g":"mixed-currency","m":"2.00","c":"USD","s":"x","lines":2}
	{"g":"mixed-text","m":"2.00","c":"USD","s":"x","lines":2}
	{"g":"sum-overflow","n":"1","lines":2}
	{"g":"bad-line","m":"2.00","c":"USD","lines":2}
	{"g":"count","m":"3.00","c":"USD","lines":3}
	JSON
	sgp-reconcile -q -k /k=k -m /m=m,currency=/c=c -n /n=n -s /s=s -t /t=t "$@" \
		--rejects /dev/null l.ndjson r.csv >kinds.ndjson || [ $? -eq 1 ]
	sgp-reconcile -q -a left -k /g -m /m,currency=/c -n /n -s /s -n '#count=/lines' "$@" \
		--rejects /dev/null g.ndjson s.ndjson >>kinds.ndjson || [ $? -eq 1 ]
}

@test "every discrepancy kind is a valid canonical event: sgp-validate takes every line" {
	every_kind --as-of 2026-11-30
	run digest kinds.ndjson
	assert_output "duplicate_key dup-left
mismatch money /m:value
mismatch number /n:value
mismatch string /s:value
mismatch time /t:value
mismatch currency /m:currency
mismatch missing /n:missing
mismatch unreadable /m:unreadable
mismatch overflow /n:overflow
missing_left only-right
duplicate_key dup-right
missing_right only-left
missing_right a b:ü#%
missing_right $long
missing_right bad-ids
mismatch mixed-currency /m:mixed
mismatch mixed-text /s:mixed
mismatch sum-overflow /n:overflow
mismatch bad-line /m:unreadable
mismatch count #count:value
missing_right left-only"
	run --separate-stderr sgp-validate --stats vst.json --rejects vrej.ndjson kinds.ndjson
	assert_success
	[ ! -s vrej.ndjson ]
	[ "$(stat vst.json in)" = 21 ]
	[ "$(stat vst.json out)" = 21 ]
	[ "$(stat vst.json rejected)" = 0 ]
	# and sgp-validate checked them against the reconcile schemas, not just the envelope
	[ "$(stat vst.json unchecked)" = 0 ]
	python3 - "$long" <<-'PY'
	import hashlib, json, sys
	e = {}
	for line in open("kinds.ndjson"):
	    x = json.loads(line)
	    e[(x["type"][10:], x["data"]["key"][0])] = x
	def f(k):
	    return e[("mismatch", k)]["data"]["fields"][0]
	# money with the currency's minor digits; differences left - right
	assert f("money")["left"] == {"amount": "10.00", "currency": "USD"}, f("money")
	assert f("money")["right"] == {"amount": "10.50", "currency": "USD"}, f("money")
	assert f("money")["difference"] == "-0.50", f("money")
	assert (f("number")["left"], f("number")["right"], f("number")["difference"]) == ("1", "2", "-1")
	assert "difference" not in f("string") and f("string")["right"] == "Acme Corp", f("string")
	assert f("time")["difference"] == "-3600" and f("time")["right_field"] == "t", f("time")
	assert f("missing")["right"] is None and f("missing")["left"] == "7", f("missing")
	assert f("unreadable")["left"] == {"unreadable": "1,000.00"}, f("unreadable")
	assert f("overflow")["right"] == "-1" and "difference" not in f("overflow"), f("overflow")
	assert f("mixed-currency")["left"] == {"mixed": True}, f("mixed-currency")
	assert f("sum-overflow")["left"] == {"overflow": True}, f("sum-overflow")
	assert f("bad-line")["left"] == {"unreadable": None}, f("bad-line")
	assert e[("mismatch", "count")]["data"]["left"]["count"] == 2
	assert e[("missing_right", "left-only")]["data"]["left"]["count"] == 2
	assert e[("missing_right", "left-only")]["data"]["left"]["values"]["/m"] == {"amount": "5.00", "currency": "USD"}
	assert e[("missing_right", "only-left")]["data"]["left"]["values"]["/m"] == {"amount": "1", "currency": "JPY"}
	# a CSV record: file and physical line, no id
	r = e[("missing_left", "only-right")]["data"]["right"]
	assert r == {"file": "r.csv", "line": 10, "values": {"m": {"amount": "3.00", "currency": "EUR"},
	             "n": None, "s": None, "t": None}}, r
	d = e[("duplicate_key", "dup-right")]["data"]
	assert (d["side"], d["record"]["line"], d["first_line"]) == ("right", 12, 11), d
	# the event of a valid id and correlation id is named; invalid ones are left out
	x = e[("mismatch", "number")]
	assert x["causation_id"] == "evt_left_number" and x["correlation_id"] == "flow-1", x
	assert x["data"]["left"] == {"file": "l.ndjson", "line": 2, "id": "evt_left_number",
	                             "correlation_id": "flow-1"}, x
	x = e[("missing_right", "bad-ids")]
	assert "causation_id" not in x and x["correlation_id"] == x["id"], x
	assert set(x["data"]["left"]) == {"file", "line", "values"}, x
	# idempotency keys: escaped, or hashed when too long
	k = e[("missing_right", "a b:\u00fc#%")]["idempotency_key"]
	assert k == "sgp:reconcile:reconcile:missing_right:a%20b%3A%C3%BC%23%25", k
	k = e[("missing_right", sys.argv[1])]["idempotency_key"]
	h = hashlib.sha256(sys.argv[1].encode()).hexdigest()[:32]
	assert k == "sgp:reconcile:reconcile:missing_right:#" + h, k
	for x in e.values():
	    assert x["source"] == {"system": "sgp", "object": "reconcile", "id": "reconcile"}, x
	    assert x["schema"] == x["type"] + "/1", x
	    assert len(x["idempotency_key"]) <= 256, x
	PY
}

@test "every discrepancy kind: byte-identical on a rerun, with any -j, and with --memory" {
	every_kind --as-of 2026-11-30 -j 1
	mv kinds.ndjson k1
	every_kind --as-of 2026-11-30 -j 3
	mv kinds.ndjson k2
	every_kind --as-of 2026-11-30 --memory 1k
	mv kinds.ndjson k3
	every_kind --as-of 2026-11-30
	[ -s k1 ]
	cmp k1 k2
	cmp k1 k3
	cmp k1 kinds.ndjson
}

@test "the examples of the reconcile schemas are outputs of sgp-reconcile on the fixtures" {
	(cd "$RF" && sgp-reconcile -q -k /data/invoice_id=invoice \
		-m /data/total=amount,currency=/data/currency=ccy,abs=0.01 --name erp-vs-billing \
		--as-of 2026-11-30 --rejects /dev/null erp.ndjson billing.csv) >ex.ndjson || [ $? -eq 1 ]
	(cd "$RF" && sgp-reconcile -q -a left -k /data/contract_id=contract \
		-m /data/amount=total,currency=/data/currency=currency -n '#count=line_count' \
		--name lines-vs-schedule --as-of 2026-11-30 contract-lines.ndjson revenue-schedule.csv) \
		>>ex.ndjson || [ $? -eq 1 ]
	(cd "$RF" && sgp-reconcile -q -k /invoice=invoice_no -k /line=line_no,number -s /sku=sku,fold \
		-n /qty=quantity -m /amount=amount -t /posted=posted_at,drift=5m --name order-lines \
		lines-left.ndjson lines-right.csv) >>ex.ndjson || [ $? -eq 1 ]
	python3 - "$SGP_ROOT/schemas" <<-'PY'
	import glob, json, sys
	out = [json.loads(l) for l in open("ex.ndjson")]
	n = 0
	for f in sorted(glob.glob(sys.argv[1] + "/events/reconcile.*.json")):
	    for ex in json.load(open(f))["examples"]:
	        assert ex in out, (f, ex)
	        n += 1
	common = json.load(open(sys.argv[1] + "/common.1.json"))
	refs = [d[s] for e in out for d in [e["data"]] for s in ("left", "right", "record") if s in d]
	for ex in common["$defs"]["record_ref"]["examples"]:
	    assert ex in refs, ex
	for ex in common["$defs"]["reconcile_key"]["examples"]:
	    assert ex in [e["data"]["key"] for e in out], ex
	assert n >= 8, n
	PY
}

@test "--format csv: one row per differing field, for finance users" {
	run --separate-stderr sgp-reconcile -q --format csv -k /data/invoice_id=invoice \
		-m /data/total=amount,currency=/data/currency=ccy,abs=0.01 --rejects /dev/null \
		"$RF/erp.ndjson" "$RF/billing.csv"
	assert_failure 1
	printf '%s\n' "$output" >out.csv
	diff -u "$RF/erp-billing.csv" out.csv
}

@test "--as-of sets occurred_at; without it a record with no time takes the latest time of the left side" {
	printf '{"k":"a","t":"1"}\n' >l.ndjson
	printf '{"k":"b","t":"1"}\n' >r.ndjson
	run --separate-stderr sgp-reconcile -q -k /k --as-of 2026-11-30 l.ndjson r.ndjson
	assert_failure 1
	[ "$(printf '%s\n' "$output" | grep -c '"occurred_at":"2026-11-30T00:00:00Z"')" = 2 ]
	run --separate-stderr sgp-reconcile -q -k /k --as-of 1793534400 l.ndjson r.ndjson
	[ "$(printf '%s\n' "$output" | grep -c '"occurred_at":"2026-11-01T12:00:00Z"')" = 2 ]
	# an event whose own occurred_at is unreadable: the left side's latest
	run --separate-stderr erp -q --rejects /dev/null "$RF/erp.ndjson" "$RF/billing.ndjson"
	printf '%s\n' "$output" | grep '"reconcile.missing_right"' | grep -q '"occurred_at":"2026-11-06T10:00:00Z"'
}

@test "state lines are ignored and uncounted; one side may be standard input" {
	printf '{"k":"a"}\n' >r.ndjson
	printf '{"spec":"sgp.state/1","profile":"p","stream":"s","cursor":{},"at":"2026-11-01T00:00:00Z"}\n{"k":"a"}\n' |
		sgp-reconcile -q -k /k --stats st.json - r.ndjson >out.ndjson
	[ ! -s out.ndjson ]
	[ "$(stat st.json left_in)" = 1 ]
	[ "$(stat st.json matched)" = 1 ]
}

@test "keys that are null, objects or empty are mapping rejects with the reason" {
	printf '{"k":null}\n{"k":{"a":1}}\n{"k":""}\n{"k":[1]}\n{"x":1}\n{"k":true}\n' >l.ndjson
	printf '{"k":true}\n' >r.ndjson
	run --separate-stderr sgp-reconcile -q -k /k --rejects rej.ndjson --stats st.json l.ndjson r.ndjson
	assert_failure 1
	run cat rej.ndjson
	assert_line --index 0 --partial '"message":"key /k is null"'
	assert_line --index 1 --partial '"message":"key /k is an object, not a scalar"'
	assert_line --index 2 --partial '"message":"key /k is empty"'
	assert_line --index 3 --partial '"message":"key /k is an array, not a scalar"'
	assert_line --index 4 --partial '"message":"key /k is missing"'
	[ "$(stat st.json rejected)" = 5 ]
	[ "$(stat st.json matched)" = 1 ]
	identity st.json
}

@test "CSV rows with the wrong number of fields are rejects; a broken quote stops the run with status 3" {
	printf 'k,t\na,1\nb,2,3\nc\n' >l.csv
	printf 'k,t\na,1\n' >r.csv
	run --separate-stderr sgp-reconcile -q -k k -n t --rejects rej.ndjson --stats st.json l.csv r.csv
	assert_failure 1
	run cat rej.ndjson
	assert_line --index 0 --partial '"line":3,"reason":"parse"'
	assert_line --index 0 --partial 'row has 3 fields, the header has 2'
	assert_line --index 0 --partial '"event":{"k":"b","t":"2","#3":"3"}'
	assert_line --index 1 --partial '"line":4,"reason":"parse"'
	[ "$(stat st.json rejected)" = 2 ]
	printf 'k,t\na,"1\n' >bad.csv
	run --separate-stderr sgp-reconcile -q -k k -n t bad.csv r.csv
	assert_failure 3
	assert_equal "$stderr" "sgp-reconcile: cannot read 'bad.csv': bad.csv: line 3: unterminated quoted field at end of input"
}

@test "usage errors exit 2 with one line and a hint" {
	run --separate-stderr sgp-reconcile -k /id a.ndjson
	assert_failure 2
	assert_equal "$stderr" "sgp-reconcile: two inputs needed: LEFT RIGHT
Try 'sgp-reconcile --help' for more information."
	run --separate-stderr sgp-reconcile "$RF/erp.ndjson" "$RF/billing.ndjson"
	assert_failure 2
	assert_equal "${stderr_lines[0]}" "sgp-reconcile: no key: give at least one --key"
	run --separate-stderr sgp-reconcile -k /id - -
	assert_failure 2
	run --separate-stderr sgp-reconcile -k /id -m /t,abs=-1 a b
	assert_failure 2
	[[ "$stderr" == *"invalid tolerance 'abs=-1'"* ]]
	run --separate-stderr sgp-reconcile -k /id --memory lots a b
	assert_failure 2
	run --separate-stderr sgp-reconcile -k /id --format xml a b
	assert_failure 2
	run --separate-stderr sgp-reconcile -k /id --tmpdir /nonexistent a b
	assert_failure 2
	run --separate-stderr sgp-reconcile -k /id --bogus a b
	assert_failure 2
	run --separate-stderr sgp-reconcile -k /id -t /t,drift=soon a b
	assert_failure 2
}

@test "names that do not fit an input are configuration errors: exit 2 before any output" {
	run --separate-stderr sgp-reconcile -k invoice -m nope "$RF/erp.ndjson" "$RF/billing.csv"
	assert_failure 2
	assert_equal "$stderr" "sgp-reconcile: invalid key 'invoice' for left NDJSON input '$RF/erp.ndjson': a JSON Pointer starts with '/'"
	run --separate-stderr sgp-reconcile -k /data/invoice_id=invoice -m /data/total=amt \
		"$RF/erp.ndjson" "$RF/billing.csv"
	assert_failure 2
	assert_output ""
	assert_equal "$stderr" "sgp-reconcile: field column 'amt' not in the header of '$RF/billing.csv'"
	: >empty.csv
	run --separate-stderr sgp-reconcile -k k empty.csv "$RF/billing.csv"
	assert_failure 2
}

@test "I/O faults exit 3: unreadable input, unwritable output, summary or stats" {
	run --separate-stderr sgp-reconcile -k /id nonexistent.ndjson "$RF/billing.ndjson"
	assert_failure 3
	assert_equal "$stderr" "sgp-reconcile: cannot open 'nonexistent.ndjson': No such file or directory"
	mkdir adir
	for j in 1 2; do
		run --separate-stderr sgp-reconcile -q -j $j -k /id --rejects /dev/null "$RF/erp.ndjson" adir
		assert_failure 3
		assert_equal "$stderr" "sgp-reconcile: read error on 'adir': Is a directory"
	done
	run --separate-stderr erp "$RF/erp.ndjson" "$RF/billing.ndjson" --summary no/such/dir/s.json
	assert_failure 3
	[[ "$stderr" == *"cannot write 'no/such/dir/s.json'"* ]]
	run --separate-stderr erp -q "$RF/erp.ndjson" "$RF/billing.ndjson" --stats no/such/dir/st.json
	assert_failure 3
	run --separate-stderr erp -q "$RF/erp.ndjson" "$RF/billing.ndjson" --rejects no/such/dir/rej
	assert_failure 3
	if [ -w /dev/full ]; then
		sgp-reconcile -q -k /data/invoice_id --rejects /dev/null "$RF/erp.ndjson" "$RF/billing.ndjson" >/dev/full 2>err || rc=$?
		[ "${rc:-0}" -eq 3 ]
		grep -q "write error on 'standard output'" err
	fi
}

@test "--memory 64k partitions to temporary files and gives exactly the unlimited output" {
	gen_events -n 3000 --seed 5 -o a.ndjson
	gen_events -n 3000 --seed 5 --variant b --shuffle --drop 0.05 --change 0.05 --add 0.05 -o b.ndjson
	# and some duplicates on both sides
	head -n 40 a.ndjson >>a.ndjson
	tail -n 25 b.ndjson >>b.ndjson
	args="-k /id -m /data/total,currency=/data/currency -s /data/customer_id -t /occurred_at"
	# shellcheck disable=SC2086
	sgp-reconcile -q $args --rejects rej0 --stats st0.json a.ndjson b.ndjson >out0 || true
	mkdir tmp
	# shellcheck disable=SC2086
	sgp-reconcile -q $args --memory 64k --tmpdir tmp --rejects rej1 --stats st1.json a.ndjson b.ndjson >out1 || true
	[ "$(stat st1.json partitions)" -gt 4 ]
	[ "$(stat st0.json partitions)" = 0 ]
	[ "$(stat st0.json duplicate_keys)" = 65 ]
	cmp out0 out1
	cmp rej0 rej1
	# partitioned or not, every discrepancy is a valid event
	run --separate-stderr sgp-validate --rejects vrej.ndjson out1
	assert_success
	[ ! -s vrej.ndjson ]
	python3 -c '
import json
a, b = json.load(open("st0.json")), json.load(open("st1.json"))
del a["partitions"], b["partitions"]
assert a == b, (a, b)'
	identity st1.json
	# temporary files are unlinked at once: nothing is left behind
	[ -z "$(ls -A tmp)" ]
	# the same with aggregation on both sides
	# shellcheck disable=SC2086
	sgp-reconcile -q -a both -k /data/customer_id -m /data/total,currency=/data/currency -n '#count' \
		--rejects /dev/null a.ndjson b.ndjson >agg0 || true
	# shellcheck disable=SC2086
	sgp-reconcile -q -a both -k /data/customer_id -m /data/total,currency=/data/currency -n '#count' \
		--memory 64k --rejects /dev/null a.ndjson b.ndjson >agg1 || true
	[ -s agg0 ]
	cmp agg0 agg1
}

@test "gen-events A against its --variant b --shuffle counterpart: the counts equal the manifest" {
	gen_events -n 20000 --seed 7 --manifest ma.json -o a.ndjson
	gen_events -n 20000 --seed 7 --variant b --shuffle --manifest mb.json -o b.ndjson
	run --separate-stderr sgp-reconcile -q -k /id -m /data/total,currency=/data/currency \
		--rejects rej.ndjson --stats st.json a.ndjson b.ndjson
	assert_failure 1
	python3 -c '
import json
m, s = json.load(open("mb.json")), json.load(open("st.json"))
got = (s["missing_right"], s["missing_left"], s["mismatched"], s["duplicate_keys"], s["rejected"])
want = (m["dropped"], m["added"], m["changed"], 0, 0)
assert got == want, (got, want)
assert s["left_in"] == 20000 and s["right_in"] == m["events"], s'
	identity st.json
	# the unreadable amounts among the invalid events went to the rejects
	[ "$(stat st.json invalid_values)" = "$(lines_of rej.ndjson)" ]
}
