#!/usr/bin/env bats
# sgp-validate: the canonical gate, --check-schema, --compat, --mapping.

load helpers
bats_require_minimum_version 1.5.0

VF="$SGP_ROOT/tests/fixtures/validate"

# examples_of SCHEMA: the schema's "examples", one JSON line each.
examples_of() {
	python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
for e in (d.get("examples") or []) if isinstance(d, dict) else []:
    print(json.dumps(e))' "$1"
}

# the first example of invoice.posted/1, compact
invoice() {
	python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print(json.dumps(d["examples"][0], separators=(",", ":")))' "$SGP_ROOT/schemas/events/invoice.posted.1.json"
}

# an event of acme.widget (the -s fixtures) with DATA and optional schema
widget() {
	printf '{"spec":"sgp.event/1","id":"evt_w1","type":"acme.widget","occurred_at":"2026-11-01T12:00:00Z","source":{"system":"acme","object":"widget","id":"W-1"},"correlation_id":"5cc8d240-6cdd-4acd-8635-70b44d6979fa","idempotency_key":"acme:widget:W-1:1",%s"data":%s}\n' "${2:+\"schema\":\"$2\",}" "$1"
}

@test "valid events pass through byte for byte, spacing and escapes kept" {
	python3 -c '
import json, sys
for f in sys.argv[1:]:
    for e in json.load(open(f)).get("examples", []):
        print(json.dumps(e, ensure_ascii=True, separators=(", ", " : ")).replace("\"memo\" : \"", "\"memo\" : \"\\u00e9 "))
' "$SGP_ROOT"/schemas/events/*.json >in.ndjson
	grep -q '\\u00e9' in.ndjson
	run sgp-validate --rejects rej.ndjson --stats stats.json in.ndjson
	assert_success
	cmp in.ndjson <(printf '%s\n' "$output")
	[ ! -s rej.ndjson ]
	n=$(lines_of in.ndjson)
	python3 -c 'import json,sys; s=json.load(open("stats.json")); assert s["in"]==int(sys.argv[1]) and s["out"]==s["in"] and s["rejected"]==0, s' "$n"
}

@test "--schema: a float like 2291.22 passes through as written" {
	printf '{"id":"R-1", "amount":2291.22 ,"day":"2026-11-01","tags":["caf\\u00e9"]}\n{"id":"R-2","amount":1e2}\n' >in.ndjson
	run sgp-validate --schema "$VF/schemas/plain.json" in.ndjson
	assert_success
	cmp in.ndjson <(printf '%s\n' "$output")
}

@test "every error of an invalid event is listed with its path, keyword location and message" {
	invoice | sed 's/"total":"23625.88"/"total":"12,50"/; s/"quantity":25/"quantity":-1/; s/"posted_at":"2026-11-01"/"posted_at":"2026-13-01"/' >bad.ndjson
	run sgp-validate --rejects rej.ndjson bad.ndjson
	[ "$status" -eq 1 ]
	assert_output ""
	[ "$(lines_of rej.ndjson)" -eq 1 ]
	python3 - rej.ndjson bad.ndjson <<'PY'
import json, sys
r = json.loads(open(sys.argv[1]).read())
assert r["spec"] == "sgp.reject/1" and r["tool"] == "sgp-validate" and r["reason"] == "schema", r
assert r["line"] == 1 and r["retryable"] is False
paths = {e["path"] for e in r["errors"]}
assert {"/data/total", "/data/lines/0/quantity", "/data/posted_at"} <= paths, paths
for e in r["errors"]:
    assert e["keyword"] and e["message"] and e["keyword_location"].startswith("/"), e
assert any(e["keyword"] == "pattern" and e["path"] == "/data/total" for e in r["errors"])
# the rejected line is embedded as it was
line = open(sys.argv[2]).read().rstrip("\n")
raw = open(sys.argv[1]).read()
assert '"event":' + line + '}' in raw
PY
}

@test "a reject lists at most 1000 errors, then how many more there were" {
	echo '{"type":"array","items":{"type":"string"}}' >s.json
	python3 -c 'print("[" + ",".join(["1"] * 1500) + "]")' >in.ndjson
	run sgp-validate --schema s.json --rejects rej.ndjson in.ndjson
	[ "$status" -eq 1 ]
	python3 -c '
import json
r = json.load(open("rej.ndjson"))
e = r["errors"]
assert len(e) == 1001, len(e)
assert e[0]["path"] == "/0" and e[999]["path"] == "/999", (e[0], e[999])
assert e[1000]["message"] == "500 more errors not listed", e[1000]'
}

@test "rejects go to standard error without --rejects, never to standard output" {
	printf '{"spec":"sgp.event/1","type":"no.such_type"}\n' >in.ndjson
	run --separate-stderr sgp-validate in.ndjson
	[ "$status" -eq 1 ]
	assert_output ""
	[[ "$stderr" == *'"reason":"unknown_type"'* ]]
}

@test "unknown type: rejected, or passed unchecked with --allow-unknown" {
	printf '{"spec":"sgp.event/1","type":"acme.gadget","data":{}}\n' >in.ndjson
	run sgp-validate --rejects rej.ndjson --stats s1.json in.ndjson
	[ "$status" -eq 1 ]
	grep -q '"reason":"unknown_type"' rej.ndjson
	grep -q "no schema is installed for type 'acme.gadget'" rej.ndjson
	run sgp-validate --allow-unknown --rejects rej2.ndjson --stats s2.json in.ndjson
	assert_success
	cmp in.ndjson <(printf '%s\n' "$output")
	[ ! -s rej2.ndjson ]
	python3 -c 'import json; s=json.load(open("s2.json")); assert s["out"]==1 and s["unchecked"]==1 and s["rejected"]==0, s'
}

@test "plain records, unknown specs and reject lines are not events" {
	printf '{"a":1}\n{"spec":"sgp.event/9","type":"x.y"}\n{"spec":"sgp.reject/1","reason":"schema"}\n' >in.ndjson
	run sgp-validate --rejects rej.ndjson in.ndjson
	[ "$status" -eq 1 ]
	[ "$(grep -c '"reason":"unknown_type"' rej.ndjson)" -eq 3 ]
	grep -q 'validate plain records with --schema' rej.ndjson
	# --allow-unknown passes the first two, never a reject line
	run sgp-validate --allow-unknown --rejects rej2.ndjson in.ndjson
	[ "$status" -eq 1 ]
	assert_line --index 0 '{"a":1}'
	assert_line --index 1 '{"spec":"sgp.event/9","type":"x.y"}'
	[ "${#lines[@]}" -eq 2 ]
	grep -q 'an sgp.reject/1 line is not an event' rej2.ndjson
}

@test "lines that are not JSON objects are rejected as parse" {
	printf 'not json\n[1,2]\n{"a":1,"a":2}\n\n' >in.ndjson
	run sgp-validate --rejects rej.ndjson in.ndjson
	[ "$status" -eq 1 ]
	assert_output ""
	[ "$(grep -c '"reason":"parse"' rej.ndjson)" -eq 3 ]
	grep -q '"raw":"not json"' rej.ndjson
	grep -q '"line":3' rej.ndjson
}

@test "state lines pass through in place and uncounted" {
	invoice >ev.ndjson
	{ cat ev.ndjson; echo '{"spec":"sgp.state/1","profile":"stripe","stream":"invoices","cursor":{"after":"in_1"},"at":"2026-11-01T12:00:05Z"}'; cat ev.ndjson; } >in.ndjson
	run sgp-validate --stats stats.json in.ndjson
	assert_success
	cmp in.ndjson <(printf '%s\n' "$output")
	python3 -c 'import json; s=json.load(open("stats.json")); assert s["in"]==2 and s["out"]==2 and s["state"]==1, s'
}

@test "the schema version: highest installed by default, or the one the event names" {
	widget '{"name":"w"}' >v2-missing-colour.ndjson
	run sgp-validate -s "$VF/widgets" --rejects rej.ndjson v2-missing-colour.ndjson
	[ "$status" -eq 1 ]
	grep -q 'required property \\"colour\\" is missing' rej.ndjson
	grep -q 'urn:sgp:schema:acme.widget/2' rej.ndjson
	widget '{"name":"w"}' acme.widget/1 >v1.ndjson
	run sgp-validate -s "$VF/widgets" v1.ndjson
	assert_success
	cmp v1.ndjson <(printf '%s\n' "$output")
	widget '{"name":"w","colour":"red"}' >v2.ndjson
	run sgp-validate -s "$VF/widgets" v2.ndjson
	assert_success
	widget '{"name":"w"}' acme.widget/3 >v3.ndjson
	run sgp-validate -s "$VF/widgets" --rejects rej3.ndjson v3.ndjson
	[ "$status" -eq 1 ]
	grep -q '"reason":"unknown_type"' rej3.ndjson
	grep -q "schema 'acme.widget/3' is not installed (latest: acme.widget/2)" rej3.ndjson
	widget '{"name":"w"}' invoice.posted/1 >mismatch.ndjson
	run sgp-validate -s "$VF/widgets" --rejects rej4.ndjson mismatch.ndjson
	[ "$status" -eq 1 ]
	grep -q "is not a schema of type 'acme.widget'" rej4.ndjson
}

@test "an event without a type is checked against the envelope" {
	printf '{"spec":"sgp.event/1","id":"evt_1","data":{}}\n' >in.ndjson
	run sgp-validate --rejects rej.ndjson in.ndjson
	[ "$status" -eq 1 ]
	grep -q '"reason":"schema"' rej.ndjson
	grep -q 'required property \\"type\\" is missing' rej.ndjson
}

@test "--schema validates any JSON value, state lines included" {
	printf '1\n2.5\n1000\n"x"\n' >in.ndjson
	run sgp-validate --schema "$VF/schemas/any-number.json" --rejects rej.ndjson --stats stats.json in.ndjson
	[ "$status" -eq 1 ]
	assert_line --index 0 '1'
	assert_line --index 1 '2.5'
	[ "${#lines[@]}" -eq 2 ]
	[ "$(lines_of rej.ndjson)" -eq 2 ]
	grep -q '"raw":"1000"' rej.ndjson
	python3 -c 'import json; s=json.load(open("stats.json")); assert s["in"]==4 and s["out"]==2 and s["rejected"]==2, s'
	printf '{"spec":"sgp.state/1","profile":"p","stream":"s","cursor":{},"at":"2026-11-01T00:00:00Z"}\n' >state.ndjson
	run sgp-validate --schema "$SGP_ROOT/schemas/state.1.json" --stats s2.json state.ndjson
	assert_success
	python3 -c 'import json; s=json.load(open("s2.json")); assert s["in"]==1 and s["state"]==0, s'
}

@test "-j 1 and -j 4 give the same output and rejects" {
	python3 - "$SGP_ROOT"/schemas/events/*.json >in.ndjson <<'PY'
import json, sys
ex = []
for f in sys.argv[1:]:
    ex += json.load(open(f)).get("examples", [])
n = 0
for rep in range(120):
    for e in ex:
        e = json.loads(json.dumps(e))
        n += 1
        if n % 7 == 0:
            e["data"]["bogus_%d" % n] = 1
        if n % 11 == 0:
            e["occurred_at"] = "yesterday"
        if n % 97 == 0:
            print('{"spec":"sgp.state/1","profile":"p","stream":"s","cursor":{"n":%d},"at":"2026-11-01T00:00:00Z"}' % n)
        print(json.dumps(e))
print("not json")
PY
	[ "$(lines_of in.ndjson)" -gt 3000 ]
	run sgp-validate -j 1 --rejects rej1.ndjson --stats s1.json in.ndjson
	[ "$status" -eq 1 ]
	printf '%s\n' "$output" >out1.ndjson
	run sgp-validate -j 4 --rejects rej4.ndjson --stats s4.json in.ndjson
	[ "$status" -eq 1 ]
	printf '%s\n' "$output" >out4.ndjson
	cmp out1.ndjson out4.ndjson
	cmp rej1.ndjson rej4.ndjson
	cmp s1.json s4.json
	python3 -c '
import json
s = json.load(open("s1.json"))
assert s["in"] == s["out"] + s["rejected"], s
assert s["rejected"] == sum(s["rejected_by_reason"].values()), s
assert s["state"] > 0 and s["rejected_by_reason"]["parse"] == 1 and s["rejected_by_reason"]["schema"] > 500, s'
	[ "$(lines_of out1.ndjson)" -eq "$(python3 -c 'import json; s=json.load(open("s1.json")); print(s["out"]+s["state"])')" ]
	[ "$(lines_of rej1.ndjson)" -eq "$(python3 -c 'import json; s=json.load(open("s1.json")); print(s["rejected"])')" ]
}

@test "-j 1 and -j 4 agree on generated canonical events, and the invalid count matches the manifest" {
	[ -x "$SGP_SHARED/bench/gen-events" ] || skip "needs ../shared/bench/gen-events"
	"$SGP_SHARED/bench/gen-events" -n 4000 --seed 7 --manifest m.json -o ev.ndjson
	want=$(python3 -c 'import json; print(json.load(open("m.json"))["invalid"])')
	run sgp-validate --schema "$SGP_SHARED/bench/sgp-event.schema.json" --format-assert -j 1 --rejects r1.ndjson ev.ndjson
	[ "$status" -eq 1 ]
	printf '%s\n' "$output" >o1.ndjson
	run sgp-validate --schema "$SGP_SHARED/bench/sgp-event.schema.json" --format-assert -j 4 --rejects r4.ndjson ev.ndjson
	printf '%s\n' "$output" >o4.ndjson
	cmp o1.ndjson o4.ndjson
	cmp r1.ndjson r4.ndjson
	[ "$(lines_of r1.ndjson)" -eq "$want" ]
	[ $(( $(lines_of o1.ndjson) + want )) -eq 4000 ]
}

@test "--stats: in = out + rejected, and counts on request with --count" {
	invoice >in.ndjson
	printf 'oops\n{"spec":"sgp.event/1","type":"zz.top"}\n' >>in.ndjson
	run --separate-stderr sgp-validate -c --rejects rej.ndjson --stats stats.json in.ndjson
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"sgp-validate: 3 in, 1 out (0 unchecked), 2 rejected (1 parse, 0 schema, 1 unknown_type), 0 state"* ]]
	python3 -c '
import json
s = json.load(open("stats.json"))
assert s == {"in": 3, "out": 1, "rejected": 2, "state": 0, "unchecked": 0,
             "rejected_by_reason": {"parse": 1, "schema": 0, "unknown_type": 1}}, s'
}

@test "--log-format json: messages and counts as JSON log lines" {
	run sgp-validate --log-format json /nonexistent/input.ndjson
	[ "$status" -eq 2 ]
	python3 -c 'import json,sys; m=json.loads(sys.argv[1]); assert m["level"]=="error" and m["tool"]=="sgp-validate" and "cannot open" in m["msg"], m' "$output"
	invoice >in.ndjson
	run --separate-stderr sgp-validate -c --log-format json in.ndjson
	assert_success
	python3 -c 'import json,sys; m=json.loads(sys.argv[1]); assert m["msg"].startswith("1 in, 1 out"), m' "$stderr"
	run --separate-stderr sgp-validate -v in.ndjson
	[[ "$stderr" == *"1 in, 1 out (0 unchecked)"* ]]
}

@test "several input files: line numbers per file, the file named in rejects" {
	invoice >a.ndjson
	printf '\n\nbad\n' >b.ndjson
	run sgp-validate --rejects rej.ndjson a.ndjson b.ndjson
	[ "$status" -eq 1 ]
	grep -q '"file":"b.ndjson","line":3,"reason":"parse"' rej.ndjson
	[ "${#lines[@]}" -eq 1 ]
}

@test "every file under schemas/ passes --check-schema" {
	mapfile -t files < <(find "$SGP_ROOT/schemas" -name '*.json' | sort)
	[ "${#files[@]}" -gt 20 ]
	run sgp-validate --check-schema "${files[@]}"
	assert_success
	[ "${#lines[@]}" -eq "${#files[@]}" ]
	refute_output --partial ": /"
}

@test "every example in schemas/ validates against its own schema (--schema and by type)" {
	n=0
	while IFS= read -r f; do
		examples_of "$f" >ex.ndjson
		[ -s ex.ndjson ] || continue
		run sgp-validate --format-assert --schema "$f" --rejects rej.ndjson ex.ndjson
		[ "$status" -eq 0 ] || { echo "$f: $(cat rej.ndjson)"; false; }
		cmp ex.ndjson <(printf '%s\n' "$output")
		case "$f" in */events/*)
			run sgp-validate --format-assert --rejects rej.ndjson ex.ndjson
			[ "$status" -eq 0 ] || { echo "$f by type: $(cat rej.ndjson)"; false; } ;;
		esac
		n=$((n + 1))
	done < <(find "$SGP_ROOT/schemas" -name '*.json' | sort)
	[ "$n" -gt 20 ]
}

@test "--check-schema reports a bad regex, an unresolvable reference, a cycle, meta-schema errors" {
	run sgp-validate --check-schema "$VF/check/bad-regex.json" "$VF/check/unresolvable-ref.json" \
		"$VF/check/ref-cycle.json" "$VF/check/meta-invalid.json" "$VF/check/not-json.json" \
		"$VF/schemas/plain.json"
	[ "$status" -eq 1 ]
	assert_line --partial 'bad-regex.json: /properties/code/pattern: invalid regular expression "^[A-Z+$"'
	assert_line --partial 'unresolvable-ref.json: /properties/total/$ref: cannot resolve reference "urn:sgp:schema:common/1#/$defs/no_such_definition"'
	assert_line --partial 'ref-cycle.json: /$defs/a: reference cycle'
	assert_line --partial 'meta-invalid.json: /minLength: -1 is less than the minimum 0'
	assert_line --partial 'not-json.json'
	assert_line "$VF/schemas/plain.json: ok"
}

@test "an unusable --schema is exit 2 before any input is read" {
	run sgp-validate --schema "$VF/check/bad-regex.json" /nonexistent/input
	[ "$status" -eq 2 ]
	assert_output --partial "invalid regular expression"
	run sgp-validate --schema "$VF/check/unresolvable-ref.json" /nonexistent/input
	[ "$status" -eq 2 ]
	assert_output --partial 'cannot resolve reference "urn:sgp:schema:common/1#/$defs/no_such_definition"'
	run sgp-validate --schema "$VF/check/ref-cycle.json" /nonexistent/input
	[ "$status" -eq 2 ]
	assert_output --partial "reference cycle"
	run sgp-validate --schema /nonexistent/schema.json /nonexistent/input
	[ "$status" -eq 2 ]
	assert_output --partial "cannot open '/nonexistent/schema.json'"
}

@test "an installed event schema that does not compile is exit 2, naming it" {
	mkdir cyc
	echo '{"$id":"urn:sgp:schema:acme.loop/1","$defs":{"a":{"$ref":"#/$defs/b"},"b":{"$ref":"#/$defs/a"}},"$ref":"#/$defs/a"}' \
		>cyc/acme.loop.1.json
	invoice >in.ndjson
	run sgp-validate -s cyc in.ndjson
	[ "$status" -eq 2 ]
	assert_line "sgp-validate: schema 'urn:sgp:schema:acme.loop/1' does not compile"
	assert_line --partial 'reference cycle'
	echo '{"$id":"urn:sgp:schema:acme.bad/1","properties":{"a":{"pattern":"(("}}}' >cyc/acme.loop.1.json
	run sgp-validate -s cyc in.ndjson
	[ "$status" -eq 2 ]
	assert_line --partial 'invalid regular expression'
}

@test "--map-uri resolves a URI prefix to a directory; without it the reference is an error" {
	printf '{"sku":"ABC-123"}\n{"sku":"abc"}\n' >in.ndjson
	run sgp-validate --schema "$VF/schemas/remote-ref.json" in.ndjson
	[ "$status" -eq 2 ]
	assert_output --partial 'cannot resolve reference "http://localhost:1234/remote/defs.json#/$defs/sku"'
	run sgp-validate --map-uri "http://localhost:1234/=$VF/remotes" --schema "$VF/schemas/remote-ref.json" \
		--rejects rej.ndjson in.ndjson
	[ "$status" -eq 1 ]
	assert_output '{"sku":"ABC-123"}'
	grep -q 'does not match pattern' rej.ndjson
	run sgp-validate --map-uri "no-equals-sign" --schema "$VF/schemas/remote-ref.json" in.ndjson
	[ "$status" -eq 2 ]
}

@test "draft-07 by \$schema, or by --default-dialect for schemas that name none" {
	printf '["a",1]\n["a",1,2]\n' >in.ndjson
	run sgp-validate --schema "$VF/schemas/draft07-tuple.json" --rejects rej.ndjson in.ndjson
	[ "$status" -eq 1 ]
	assert_output '["a",1]'
	grep -q '"keyword":"additionalItems"' rej.ndjson
	run sgp-validate --schema "$VF/schemas/tuple-no-dialect.json" in.ndjson
	[ "$status" -eq 2 ]
	run sgp-validate --default-dialect draft-07 --schema "$VF/schemas/tuple-no-dialect.json" --rejects rej2.ndjson in.ndjson
	[ "$status" -eq 1 ]
	assert_output '["a",1]'
	run sgp-validate --default-dialect draft-04 --schema "$VF/schemas/plain.json" in.ndjson
	[ "$status" -eq 2 ]
}

@test "formats are annotations by default and assertions with --format-assert" {
	printf '{"id":"R-1","amount":1,"day":"2026-13-45"}\n' >in.ndjson
	run sgp-validate --schema "$VF/schemas/plain.json" in.ndjson
	assert_success
	run sgp-validate --format-assert --schema "$VF/schemas/plain.json" --rejects rej.ndjson in.ndjson
	[ "$status" -eq 1 ]
	grep -q '"keyword":"format"' rej.ndjson
}

@test "hostile: a 10,000-deep instance is a reject, not a crash" {
	python3 -c 'print("[" * 10000 + "]" * 10000)' >deep.ndjson
	printf '[[]]\n' >>deep.ndjson
	run sgp-validate --schema "$VF/schemas/deep.json" --rejects rej.ndjson --stats stats.json deep.ndjson
	[ "$status" -eq 1 ]
	assert_output '[[]]'
	grep -q '"reason":"parse"' rej.ndjson
	grep -q 'maximum parsing depth' rej.ndjson
	python3 -c 'import json; s=json.load(open("stats.json")); assert s["in"]==2 and s["out"]==1 and s["rejected"]==1, s'
	# deep but parseable: the validator's depth limit rejects it, with one error
	python3 -c 'print("[" * 2000 + "]" * 2000)' >deep2.ndjson
	run sgp-validate --schema "$VF/schemas/deep.json" --rejects rej2.ndjson deep2.ndjson
	[ "$status" -eq 1 ]
	grep -q 'too deeply nested' rej2.ndjson
	# and as an event
	python3 -c 'print("{\"spec\":\"sgp.event/1\",\"type\":\"invoice.posted\",\"data\":" + "[" * 10000 + "]" * 10000 + "}")' >deep3.ndjson
	run sgp-validate --rejects rej3.ndjson deep3.ndjson
	[ "$status" -eq 1 ]
	grep -q '"reason":"parse"' rej3.ndjson
}

@test "hostile: a 64 MiB string is validated, passed whole, or rejected whole" {
	python3 -c '
import sys
s = "a" * (64 << 20)
sys.stdout.write("{\"s\":\"" + s + "\"}\n")
sys.stdout.write("{\"s\":\"" + s + "\",\"short\":\"" + "b" * 11 + "\"}\n")
sys.stdout.write("{\"s\":\"" + s + "1\"}\n")' >big.ndjson
	run sgp-validate --schema "$VF/schemas/long-string.json" --rejects rej.ndjson --stats stats.json big.ndjson
	[ "$status" -eq 1 ]
	head -n 1 big.ndjson | cmp - <(printf '%s\n' "$output")
	[ "$(lines_of rej.ndjson)" -eq 2 ]
	python3 - big.ndjson rej.ndjson <<'PY'
import json, sys
lines = open(sys.argv[1]).read().splitlines()
rejs = [json.loads(l) for l in open(sys.argv[2])]
assert rejs[0]["line"] == 2 and rejs[0]["errors"][0]["path"] == "/short", rejs[0]["errors"]
assert rejs[1]["line"] == 3 and rejs[1]["errors"][0]["keyword"] == "pattern"
assert json.dumps(rejs[1]["event"], separators=(",", ":")) == lines[2]
PY
}

@test "an input that cannot be opened is exit 2; a read error is exit 3" {
	run sgp-validate /nonexistent/input.ndjson
	[ "$status" -eq 2 ]
	assert_output --partial "cannot open '/nonexistent/input.ndjson'"
	mkdir adir
	run sgp-validate adir
	[ "$status" -eq 3 ]
	assert_output --partial "cannot read 'adir'"
}

@test "a write error on the output is exit 3" {
	shim="$SGP_ROOT/$SGP_BUILD/lib/sgp-inject.so"
	[ -f "$shim" ] || skip "fault shim not built"
	if ldd "$(command -v sgp-validate)" | grep -q libasan; then
		skip "the fault shim cannot be preloaded ahead of ASan"
	fi
	invoice >in.ndjson
	run env LD_PRELOAD="$shim" SGP_FAULT_WRITE_FD=1 sgp-validate in.ndjson
	[ "$status" -eq 3 ]
	assert_output --partial "No space left on device"
}

@test "exit 0 when everything is valid, 1 when something is rejected" {
	invoice >in.ndjson
	run sgp-validate in.ndjson
	[ "$status" -eq 0 ]
	run sgp-validate - <in.ndjson
	[ "$status" -eq 0 ]
	echo '{}' >>in.ndjson
	run sgp-validate --rejects /dev/null in.ndjson
	[ "$status" -eq 1 ]
}

@test "usage errors are exit 2 with one line and a hint" {
	run sgp-validate --no-such-option
	[ "$status" -eq 2 ]
	run sgp-validate --compat only-one.json
	[ "$status" -eq 2 ]
	assert_output --partial "Try 'sgp-validate --help'"
	run sgp-validate --compat -j 2 a.json b.json
	[ "$status" -eq 2 ]
	assert_output --partial "--jobs does not apply to --compat"
	run sgp-validate --check-schema
	[ "$status" -eq 2 ]
	run sgp-validate --check-schema --compat a b
	[ "$status" -eq 2 ]
	run sgp-validate -s /nonexistent/dir "$VF/schemas/plain.json"
	[ "$status" -eq 2 ]
	assert_output --partial "cannot open '/nonexistent/dir'"
	run sgp-validate --help
	assert_success
	assert_output --partial "usage: sgp-validate"
}

@test "--compat: each breaking kind is detected, exit 1" {
	c="$VF/compat"
	run sgp-validate --compat "$c/v1.json" "$c/removed.json"
	[ "$status" -eq 1 ]
	assert_output "breaking: /properties/data/properties/memo: property removed"
	run sgp-validate --compat "$c/v1.json" "$c/renamed.json"
	[ "$status" -eq 1 ]
	assert_line "breaking: /properties/data/properties/total: property removed (renamed to 'amount'?)"
	run sgp-validate --compat "$c/v1.json" "$c/required.json"
	[ "$status" -eq 1 ]
	assert_output "breaking: /properties/data/properties/memo: property newly required"
	run sgp-validate --compat "$c/v1.json" "$c/narrowed.json"
	[ "$status" -eq 1 ]
	assert_output "breaking: /properties/data/properties/quantity: type narrowed from number to integer"
	run sgp-validate --compat "$c/v1.json" "$c/enum-removed.json"
	[ "$status" -eq 1 ]
	assert_output 'breaking: /properties/data/properties/currency: enum value "GBP" removed'
	run sgp-validate --compat "$c/v1.json" "$c/maxlength.json"
	[ "$status" -eq 1 ]
	assert_output "breaking: /properties/data/properties/memo: maxLength lowered from 200 to 100"
	run sgp-validate --compat "$c/v1.json" "$c/minimum.json"
	[ "$status" -eq 1 ]
	assert_output "breaking: /properties/data/properties/quantity: minimum raised from 0 to 1"
	run sgp-validate --compat "$c/v1.json" "$c/pattern.json"
	[ "$status" -eq 1 ]
	assert_output 'breaking: /properties/data/properties/sku: pattern "^[A-Z0-9-]+$" added'
	run sgp-validate --compat "$c/v1.json" "$c/pattern-changed.json"
	[ "$status" -eq 1 ]
	assert_output --partial 'breaking: /properties/data/properties/total: pattern changed from'
	run sgp-validate --compat "$c/v1.json" "$c/closed.json"
	[ "$status" -eq 1 ]
	assert_output "breaking: /properties/data: additionalProperties closed (false)"
}

@test "--compat: compatible changes pass, breaking ones are listed first" {
	c="$VF/compat"
	run --separate-stderr sgp-validate --compat -c "$c/v1.json" "$c/compatible.json"
	assert_success
	assert_line 'compatible: /properties/data/properties/currency: enum value "JPY" added'
	assert_line "compatible: /properties/data/properties/quantity: minimum lowered from 0 to -10"
	assert_line "compatible: /properties/data/properties/memo: maxLength raised from 200 to 500"
	assert_line "compatible: /properties/data/properties/note: optional property added"
	assert_line "compatible: /properties/data/properties/total: property no longer required"
	[ "${#lines[@]}" -eq 5 ]
	[ "$stderr" = "sgp-validate: 0 breaking, 5 compatible changes" ]
	run sgp-validate --compat "$c/compatible.json" "$c/v1.json"
	[ "$status" -eq 1 ]
	assert_line --index 0 --regexp '^breaking: '
	assert_line --index 4 --regexp '^breaking: '
	run sgp-validate --compat "$c/v1.json" "$c/v1.json"
	assert_success
	assert_output ""
}

@test "--compat follows references into the installed schemas and takes \$ids" {
	run sgp-validate --compat urn:sgp:schema:invoice.posted/1 "$SGP_ROOT/schemas/events/invoice.posted.1.json"
	assert_success
	assert_output ""
	python3 - "$SGP_ROOT/schemas/events/invoice.posted.1.json" >v2.json <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["$id"] = "urn:sgp:schema:invoice.posted/2"
d["properties"]["data"]["properties"]["total"] = {"$ref": "urn:sgp:schema:common/1#/$defs/amount", "maxLength": 12}
d["properties"]["data"]["required"].append("due_at")
json.dump(d, sys.stdout)
PY
	run sgp-validate --compat urn:sgp:schema:invoice.posted/1 v2.json
	[ "$status" -eq 1 ]
	assert_line "breaking: /properties/data/properties/total: maxLength 12 added"
	assert_line "breaking: /properties/data/properties/due_at: property newly required"
	run sgp-validate --compat urn:sgp:schema:nothing/1 v2.json
	[ "$status" -eq 2 ]
}

@test "--mapping: a good spec passes with its examples" {
	run sgp-validate --mapping "$VF/mappings/good.json"
	assert_success
	assert_output "$VF/mappings/good.json: ok (1 example)"
}

@test "--mapping: required fields, refused fields, failing examples, spec errors" {
	run sgp-validate --mapping "$VF/mappings/bad.json" "$VF/mappings/invalid-spec.json" "$VF/mappings/good.json"
	[ "$status" -eq 1 ]
	b="$VF/mappings/bad.json"
	assert_line "$b: invoice.posted: required field /data/customer_id is not produced"
	assert_line --partial "$b: invoice.posted: required field /data/currency is not produced in every event"
	assert_line "$b: invoice.posted: required field /data/lines/*/quantity is not produced"
	assert_line --partial "$b: invoice.posted: field /data/bogus is not allowed by the schema"
	assert_line --partial "$b: invoice.posted: field /data/lines/*/colour is not allowed by the schema"
	assert_line "$b: example 1 (wrong expectation): event 1: /data/total: expected \"99.00\", got \"12.50\""
	assert_line --partial "$b: example 1 (wrong expectation): event 1 (invoice.posted) is not valid: /data: required property \"customer_id\" is missing"
	assert_line --partial "invalid-spec.json: /mapping: \"acme invoice\" does not match pattern"
	assert_line --partial "invalid-spec.json: /colour: additional property \"colour\" is not allowed"
	assert_line "$VF/mappings/good.json: ok (1 example)"
}

@test "--mapping on the mappings shipped in contrib/" {
	shopt -s nullglob
	specs=("$SGP_ROOT"/contrib/mappings/*.json)
	[ ${#specs[@]} -gt 0 ] || skip "no mappings in contrib/mappings"
	run sgp-validate --mapping "${specs[@]}"
	assert_success
}
