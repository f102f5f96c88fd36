#!/usr/bin/env bats
# hostile.bats: every tool against hostile input: malformed JSON, invalid
# UTF-8, NUL bytes, a 100 MiB line, 100,000-deep nesting, 1e400 and 2^70,
# duplicate keys, a huge array, empty input and binary garbage (and their
# CSV and JSON-document counterparts where a tool reads those).  Each run
# must end with the documented status (never a signal), keep stderr clean
# when rejects go to a file, count every line by the tool's identity, and
# write rejects that are sgp.reject/1 JSON lines carrying the input
# (tests/hostile.py checks the counters, the rejects and the output).
load helpers
bats_require_minimum_version 1.5.0

setup_file() {
	export H="$BATS_FILE_TMPDIR/h"
	python3 "$SGP_ROOT/tests/hostile.py" gen "$H"
}

teardown() {
	rm -f "$T/out" "$T/rej"   # some are 100 MiB
}

# hostile TOOL WANT ARGS...: run TOOL with --rejects and --stats to files;
# WANT is the number of lines it must reject ("all", or "-" for any).
hostile() {
	local tool=$1 want=$2 status=0
	shift 2
	"$tool" --rejects "$T/rej" --stats "$T/st" "$@" >"$T/out" 2>"$T/err" || status=$?
	if [ -s "$T/err" ]; then
		echo "# $tool wrote to stderr (status $status):"
		head -c 2000 "$T/err"
		return 1
	fi
	python3 "$SGP_ROOT/tests/hostile.py" check "$tool" "$status" "$want" "$T/st" "$T/rej" "$T/out"
}

# refused TOOL NAME ARGS...: a file the tool cannot read as records at all
# is exit 2 with one line on stderr naming it, and nothing on stdout.
refused() {
	local tool=$1 name=$2
	shift 2
	run --separate-stderr "$tool" "$@"
	[ "$status" -eq 2 ] || { echo "# status $status: $stderr"; return 1; }
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ "$stderr" == "$tool: "*"$name"* ]]
	[ -z "$output" ]
}

# ---- sgp-validate --schema: every line (any JSON value) is an instance ----

v() { hostile sgp-validate "$1" --schema "$H/s.json" "$H/$2"; }

@test "sgp-validate --schema: malformed JSON" { v 7 malformed; }
@test "sgp-validate --schema: invalid UTF-8" { v 5 utf8; }
@test "sgp-validate --schema: NUL bytes" { v 3 nul; }
@test "sgp-validate --schema: 1e400 and 2^70" { v 2 numbers; }
@test "sgp-validate --schema: duplicate keys" { v 2 dupkeys; }
@test "sgp-validate --schema: 100,000-deep nesting" { v 2 deep; }
@test "sgp-validate --schema: an array of a million elements" { v 0 hugearray; }
@test "sgp-validate --schema: empty input" { v 0 empty; }
@test "sgp-validate --schema: blank lines only" { v 0 blank; }
@test "sgp-validate --schema: binary garbage" { v all garbage; }
@test "sgp-validate --schema: a 100 MiB line" {
	v 0 bigline
	cmp "$T/out" "$H/bigline"   # passed byte for byte
}

# ---- sgp-validate on events: plain records are rejected, counted ----

ve() { hostile sgp-validate "$1" -j 2 "$H/$2"; }

@test "sgp-validate: malformed JSON" { ve all malformed; }
@test "sgp-validate: invalid UTF-8" { ve all utf8; }
@test "sgp-validate: NUL bytes" { ve all nul; }
@test "sgp-validate: 1e400 and 2^70" {
	ve all numbers
	[ "$(grep -c '"reason":"parse"' "$T/rej")" -eq 2 ]
}
@test "sgp-validate: duplicate keys" { ve all dupkeys; }
@test "sgp-validate: 100,000-deep nesting" { ve all deep; }
@test "sgp-validate: empty input" { ve 0 empty; }
@test "sgp-validate: binary garbage" { ve all garbage; }

# ---- sgp-map ----

m() { hostile sgp-map "$1" -m "$H/map.json" -t hostile.record "$H/$2"; }

@test "sgp-map: malformed JSON" { m 7 malformed; }
@test "sgp-map: invalid UTF-8" { m 5 utf8; }
@test "sgp-map: NUL bytes" { m 3 nul; }
@test "sgp-map: 1e400 and 2^70" { m 2 numbers; }
@test "sgp-map: duplicate keys" { m 2 dupkeys; }
@test "sgp-map: 100,000-deep nesting" { m 2 deep; }
@test "sgp-map: an array of a million elements" { m 0 hugearray; }
@test "sgp-map: empty input" { m 0 empty; }
@test "sgp-map: blank lines only" { m 0 blank; }
@test "sgp-map: binary garbage" { m all garbage; }
@test "sgp-map: a 100 MiB line" { m 0 bigline; }
@test "sgp-map: hostile lines no mapping matches pass or are rejected" {
	hostile sgp-map 7 -m "$H/map.json" "$H/malformed"
	grep -qx '{"id":"ok2","amount":"2.00"}' "$T/out"
}

# ---- sgp-reconcile: the hostile input on the left ----

r() { hostile sgp-reconcile "$1" -q -k /id -m /amount --left-format ndjson "$H/$2" "$H/right.ndjson"; }

@test "sgp-reconcile: malformed JSON" { r 7 malformed; }
@test "sgp-reconcile: invalid UTF-8" { r 5 utf8; }
@test "sgp-reconcile: NUL bytes" { r 3 nul; }
@test "sgp-reconcile: 1e400 and 2^70" { r 2 numbers; }
@test "sgp-reconcile: duplicate keys" { r 2 dupkeys; }
@test "sgp-reconcile: 100,000-deep nesting" { r 2 deep; }
@test "sgp-reconcile: an array of a million elements" { r 0 hugearray; }
@test "sgp-reconcile: empty input" { r 0 empty; }
@test "sgp-reconcile: blank lines only" { r 0 blank; }
@test "sgp-reconcile: binary garbage" { r all garbage; }
@test "sgp-reconcile: a 100 MiB line" { r 0 bigline; }
@test "sgp-reconcile: binary garbage on both sides, two threads" {
	hostile sgp-reconcile - -q -j 2 -k /id --left-format ndjson --right-format ndjson \
		"$H/garbage" "$H/garbage"
	python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); assert s["rejected"] == s["left_in"] + s["right_in"] > 0, s' "$T/st"
}
@test "sgp-reconcile: CSV with a 20 MiB field" {
	hostile sgp-reconcile 0 -q -k id -m amount "$H/c_bigfield.csv" "$H/right.csv"
}
@test "sgp-reconcile: CSV with only a header" {
	hostile sgp-reconcile 0 -q -k id -m amount "$H/c_headeronly.csv" "$H/right.csv"
}
@test "sgp-reconcile: CSV that is garbage, empty or has a duplicate column is exit 2" {
	refused sgp-reconcile c_garbage.csv -k id "$H/c_garbage.csv" "$H/right.csv"
	refused sgp-reconcile c_empty.csv -k id "$H/c_empty.csv" "$H/right.csv"
	refused sgp-reconcile c_dupheader.csv -k id "$H/c_dupheader.csv" "$H/right.csv"
}

# ---- sgp-pull --file ----

p() { hostile sgp-pull "$1" --file "$H/$2" --format ndjson --system vendor --object thing --id /id; }

@test "sgp-pull --file: malformed JSON" { p 7 malformed; }
@test "sgp-pull --file: invalid UTF-8" { p 5 utf8; }
@test "sgp-pull --file: NUL bytes" { p 3 nul; }
@test "sgp-pull --file: 1e400 and 2^70" { p - numbers; }
@test "sgp-pull --file: duplicate keys" { p - dupkeys; }
@test "sgp-pull --file: 100,000-deep nesting" { p 2 deep; }
@test "sgp-pull --file: an array of a million elements" { p 0 hugearray; }
@test "sgp-pull --file: empty input" { p 0 empty; }
@test "sgp-pull --file: blank lines only" { p 0 blank; }
@test "sgp-pull --file: binary garbage" { p all garbage; }
@test "sgp-pull --file: a 100 MiB line" {
	p 0 bigline
	grep -q '"source":{"system":"vendor","object":"thing","id":"big"}' "$T/out"
}

pc() { hostile sgp-pull "$1" --file "$H/$2" --system vendor --object thing --id id; }

@test "sgp-pull --file: CSV with invalid UTF-8" { pc 2 c_utf8.csv; }
@test "sgp-pull --file: CSV with NUL bytes (no value cut short)" {
	pc 2 c_nul.csv
	grep -q '"reason":"parse"' "$T/rej"
	! grep -q '"id":"n1"' "$T/out"
}
@test "sgp-pull --file: CSV with ragged rows and an open quote" { pc - c_ragged.csv; }
@test "sgp-pull --file: CSV with a 20 MiB field" { pc 0 c_bigfield.csv; }
@test "sgp-pull --file: CSV with only a header" { pc 0 c_headeronly.csv; }
@test "sgp-pull --file: CSV that is garbage, empty or has a duplicate column is exit 2" {
	refused sgp-pull c_garbage.csv --file "$H/c_garbage.csv" --system s --object o --id id
	refused sgp-pull c_empty.csv --file "$H/c_empty.csv" --system s --object o --id id
	refused sgp-pull c_dupheader.csv --file "$H/c_dupheader.csv" --system s --object o --id id
}

pj() { hostile sgp-pull "$1" --file "$H/$2" --records /data --system vendor --object thing --id /id; }

@test "sgp-pull --file: a JSON document of 200,000 records" { pj 0 j_hugearray.json; }
@test "sgp-pull --file: JSON documents too deep, cut short, garbage or empty are exit 2" {
	local f
	for f in j_deep.json j_truncated.json j_garbage.json j_empty.json j_notarray.json; do
		refused sgp-pull "$f" --file "$H/$f" --records /data --system s --object o --id /id
	done
}
