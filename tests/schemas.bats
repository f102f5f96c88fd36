#!/usr/bin/env bats
# schemas.bats: the JSON Schemas under schemas/ (the wire formats and every
# canonical event type) and the event-model page man/sgp.7.
# The checks live in tests/fixtures/schemas/schemacheck.py (python3 stdlib).

load helpers

local_setup() {
	SCHEMAS="$SGP_ROOT/schemas"
	CHECK="$FIX/schemas/schemacheck.py"
}

@test "every schema file parses, is draft 2020-12 and has the \$id of its file name" {
	requires python3
	run python3 "$CHECK" files "$SCHEMAS"
	assert_success
	assert_output --partial "checked "
	refute_output --partial ": "
}

@test "the wire schemas have the ids DESIGN.md fixes" {
	requires python3
	run python3 -c '
import json, sys
root = sys.argv[1]
for f, i in [("common.1.json", "common/1"), ("envelope.1.json", "envelope/1"),
             ("reject.1.json", "reject/1"), ("state.1.json", "state/1")]:
    print(json.load(open(root + "/" + f))["$id"] == "urn:sgp:schema:" + i)
' "$SCHEMAS"
	assert_success
	assert_output "$(printf 'True\nTrue\nTrue\nTrue')"
}

@test "every event type schema includes the envelope, pins its type and closes data" {
	requires python3
	run python3 "$CHECK" events "$SCHEMAS"
	assert_success
	assert_output --regexp '^checked [0-9]+ event type schemas$'
}

@test "every canonical type named in DESIGN.md has a schema" {
	requires python3
	[ -f "$SGP_SHARED/DESIGN.md" ] || skip "needs $SGP_SHARED/DESIGN.md"
	run python3 "$CHECK" canonical "$SCHEMAS" "$SGP_SHARED/DESIGN.md"
	assert_success
	assert_output --regexp '^[0-9]+ canonical types named in the design, [0-9]+ schemas$'
}

@test "every amount in every example has its currency's minor digits" {
	requires python3
	run python3 "$CHECK" money "$SCHEMAS"
	assert_success
	assert_output --partial '"JPY": '
	assert_output --partial '"KWD": '
	assert_output --partial '"USD": '
}

@test "every example validates against its own schema" {
	requires python3
	run python3 "$CHECK" examples "$SCHEMAS"
	assert_success
	assert_output --regexp '^validated [0-9]+ examples$'
}

@test "the schemas reject bad money, times, ids and shapes and accept good ones" {
	requires python3
	run python3 "$CHECK" negatives "$SCHEMAS"
	assert_success
	assert_output --regexp '^[0-9]+ cases$'
}

@test "benchmark events validate exactly as the generator's manifest says" {
	requires python3
	gen="$SGP_SHARED/bench/gen-events"
	[ -f "$gen" ] || skip "needs $gen"
	run python3 "$CHECK" bench "$SCHEMAS" "$gen"
	assert_success
	assert_output --regexp '^400 events, [1-9][0-9]* invalid, manifest says [0-9]+$'
}

@test "common/1 gives each currency the minor digits of libcommon's ISO 4217 table" {
	requires python3
	run python3 "$CHECK" currencies "$SCHEMAS" "$SGP_ROOT/libcommon/currency.c"
	assert_success
	assert_output --regexp '^[0-9]+ currencies checked$'
}

@test "the checker itself catches a broken schema" {
	requires python3
	cp -R "$SCHEMAS" "$T/s"
	python3 - "$T/s" <<-'PY'
	import json, sys
	p = sys.argv[1] + "/events/invoice.posted.1.json"
	s = json.load(open(p))
	s["properties"]["data"]["additionalProperties"] = True
	s["examples"][0]["data"]["total"] = "23625.9"
	json.dump(s, open(p, "w"))
	PY
	run python3 "$CHECK" events "$T/s"
	assert_failure
	assert_output --partial "invoice.posted.1.json: data is not a closed object"
	run python3 "$CHECK" money "$T/s"
	assert_failure
	assert_output --partial "23625.9 USD has 1 decimals, USD has 2"
	run python3 "$CHECK" examples "$T/s"
	assert_failure
	assert_output --partial "/data/total: pattern"
}

@test "man/sgp.7 is mandoc -Tlint clean" {
	requires mandoc
	run mandoc -Tlint -Wwarning "$SGP_ROOT/man/sgp.7"
	assert_success
	assert_output ""
	# Style too, but for cross references to the other sgp pages, which
	# mandoc only finds once they are installed in its manpath.
	mandoc -Tlint "$SGP_ROOT/man/sgp.7" >"$T/lint" 2>&1 || true
	run grep -v 'STYLE: referenced manual not found: Xr sgp-' "$T/lint"
	assert_output ""
}

@test "man/sgp.7 names every event type schema and every reject reason" {
	requires python3
	run python3 -c '
import json, glob, os, sys
root, page = sys.argv[1], open(sys.argv[2]).read()
for f in sorted(glob.glob(root + "/events/*.json")):
    t = os.path.basename(f).rsplit(".", 2)[0]
    if t not in page:
        print("missing type", t)
for r in json.load(open(root + "/reject.1.json"))["properties"]["reason"]["enum"]:
    if r not in page:
        print("missing reason", r)
' "$SCHEMAS" "$SGP_ROOT/man/sgp.7"
	assert_success
	assert_output ""
}
