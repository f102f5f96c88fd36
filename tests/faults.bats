#!/usr/bin/env bats
# faults.bats: every tool under I/O faults injected by the LD_PRELOAD shim
# (tests/faults/inject.c, through with_faults): disk full and I/O errors
# on standard output, on --rejects FILE and on --stats FILE, read errors
# on the input, a reader that goes away; and for sgp-pull --save-state, a
# state file whose fsync or rename fails and an output that fills up in
# the middle of a pull.  Each: the documented status (3 for a system
# fault, SIGPIPE's quietly for a closed output), one clear message, no
# half-written state or stats file, nothing lost on a rerun.
load helpers
bats_require_minimum_version 1.5.0

setup_file() {
	export F="$BATS_FILE_TMPDIR/f"
	mkdir -p "$F"
	python3 - "$F" <<'PY'
import json, sys
d = sys.argv[1]
with open(d + "/in.ndjson", "w") as f:
    for i in range(20000):
        f.write('{"id":"r%d","amount":"%d.00"}\n' % (i, i))
    f.write("not json\n")
with open(d + "/right.ndjson", "w") as f:
    for i in range(20000):
        f.write('{"id":"r%d","amount":"%d.50"}\n' % (i, i))
with open(d + "/s.json", "w") as f:
    json.dump({"type": "object", "required": ["id"]}, f)
with open(d + "/map.json", "w") as f:
    json.dump({"spec": "sgp.mapping/1", "mapping": "faults", "match": {"type": "faults.record"},
               "record": {"id": "/id"},
               "emit": {"type": "faults.copied", "occurred_at": {"const": "2026-11-01T00:00:00Z"},
                        "data": {"id": "/id", "amount": {"from": "/amount", "convert": "decimal"}}}}, f)
PY
	# the vendor sandbox, for sgp-pull --save-state
	command -v python3 >/dev/null 2>&1 || return 0
	python3 "$SGP_ROOT/contrib/sandbox/sandbox.py" --port 0 >"$F/sandbox.out" \
		2>"$F/sandbox.err" 3>&- &
	echo $! >"$F/sandbox.pid"
	local i
	for i in $(seq 100); do
		grep -q '^listening on ' "$F/sandbox.out" 2>/dev/null && break
		sleep 0.1
	done
	sed -n 's/^listening on //p' "$F/sandbox.out" >"$F/sandbox.url"
}

teardown_file() {
	if [ -f "$F/sandbox.pid" ]; then
		kill "$(cat "$F/sandbox.pid")" 2>/dev/null || true
		wait 2>/dev/null || true
	fi
}

# cmd TOOL INPUT [ARGS...]: set CMD to the command line of TOOL reading
# INPUT ($F/in.ndjson, or - for standard input; sgp-pull as an NDJSON
# export, sgp-reconcile against $F/right.ndjson) with ARGS.
cmd() {
	local tool=$1 src=$2
	shift 2
	case $tool in
	sgp-validate) CMD=("$tool" --schema "$F/s.json" "$@" "$src") ;;
	sgp-map) CMD=("$tool" -m "$F/map.json" -t faults.record "$@" "$src") ;;
	sgp-reconcile) CMD=("$tool" -q -k /id -m /amount "$@" "$src" "$F/right.ndjson") ;;
	sgp-pull) CMD=("$tool" --format ndjson --system vendor --object thing --id /id "$@" --file "$src") ;;
	esac
}

# one_error TOOL PATTERN: status 3 and exactly one line on stderr, from
# the tool, matching PATTERN (a glob).
one_error() {
	[ "$status" -eq 3 ] || { echo "# status $status, stderr: $stderr"; return 1; }
	[ "${#stderr_lines[@]}" -eq 1 ] || { echo "# stderr: $stderr"; return 1; }
	[[ "$stderr" == "$1: "$2 ]] || { echo "# stderr: $stderr"; return 1; }
}

# counters_add_up TOOL STATS [OUTPUT]: the --stats file adds up by the
# tool's identity and OUTPUT (complete lines) holds what it says went out.
counters_add_up() {
	python3 - "$@" <<'PY'
import json, sys
tool, stats = sys.argv[1:3]
st = json.load(open(stats))
nout = None
if len(sys.argv) > 3:
    nout = open(sys.argv[3], "rb").read().count(b"\n")
if tool == "sgp-validate":
    assert st["in"] == st["out"] + st["rejected"], st
    assert nout is None or nout == st["out"] + st["state"], (nout, st)
elif tool == "sgp-map":
    assert st["in"] == st["mapped"] + st["passed"] + st["rejected"], st
    assert nout is None or nout == st["emitted"] + st["passed"] + st["state"], (nout, st)
elif tool == "sgp-pull":
    assert st["received"] == st["emitted"] + st["rejected"], st
    assert nout is None or nout == st["emitted"], (nout, st)
elif tool == "sgp-reconcile":
    assert st["left_in"] + st["right_in"] == 2 * (st["matched"] + st["mismatched"]) + \
        st["missing_left"] + st["missing_right"] + st["duplicate_keys"] + st["aggregated"] + \
        st["rejected"], st
PY
}

# ---- standard output ----

disk_full_stdout() {
	cmd "$1" "$F/in.ndjson" --rejects "$T/rej"
	run --separate-stderr with_faults SGP_FAULT_WRITE_FD=1 -- "${CMD[@]}"
	one_error "$1" "write error on 'standard output': No space left on device"
}

@test "sgp-validate: disk full on standard output is exit 3, naming it" { disk_full_stdout sgp-validate; }
@test "sgp-map: disk full on standard output is exit 3, naming it" { disk_full_stdout sgp-map; }
@test "sgp-reconcile: disk full on standard output is exit 3, naming it" { disk_full_stdout sgp-reconcile; }
@test "sgp-pull --file: disk full on standard output is exit 3, naming it" { disk_full_stdout sgp-pull; }

# Full after 100,000 bytes: what went out is a prefix of the output, cut
# where the disk filled; the tool stops there with status 3.
disk_full_midway() {
	local tool=$1
	cmd "$tool" "$F/in.ndjson" --rejects "$T/rej"
	"${CMD[@]}" >"$T/clean" || [ $? -eq 1 ]
	run --separate-stderr with_faults SGP_FAULT_WRITE_FD=1 SGP_FAULT_WRITE_AFTER=100000 -- \
		"${CMD[@]}"
	one_error "$tool" "write error on 'standard output': No space left on device"
	[ "${#output}" -le 100000 ]
	[ "${#output}" -gt 0 ]
	[ "$output" = "$(head -c "${#output}" "$T/clean")" ]
}

@test "sgp-validate: disk full midway is exit 3 after a clean prefix" { disk_full_midway sgp-validate; }
@test "sgp-map: disk full midway is exit 3 after a clean prefix" { disk_full_midway sgp-map; }
@test "sgp-reconcile: disk full midway is exit 3 after a clean prefix" { disk_full_midway sgp-reconcile; }
@test "sgp-pull --file: disk full midway is exit 3 after a clean prefix" { disk_full_midway sgp-pull; }

eio_stdout() {
	cmd "$1" "$F/in.ndjson" --rejects "$T/rej"
	run --separate-stderr with_faults SGP_FAULT_WRITE_FD=1 SGP_FAULT_WRITE_ERRNO=EIO -- "${CMD[@]}"
	one_error "$1" "write error on 'standard output': Input/output error"
}

@test "sgp-validate: an I/O error on standard output is exit 3" { eio_stdout sgp-validate; }
@test "sgp-map: an I/O error on standard output is exit 3" { eio_stdout sgp-map; }
@test "sgp-reconcile: an I/O error on standard output is exit 3" { eio_stdout sgp-reconcile; }
@test "sgp-pull --file: an I/O error on standard output is exit 3" { eio_stdout sgp-pull; }

# The reader goes away (| head -n 1): the tool stops at once and quietly,
# with SIGPIPE's status (or 0 if it was already done).
closed_early() {
	local tool=$1 st
	cmd "$tool" "$F/in.ndjson" --rejects "$T/rej"
	"${CMD[@]}" 2>"$T/err" | head -n 1 >"$T/first"
	st=${PIPESTATUS[0]}
	[ "$st" -eq 141 ] || [ "$st" -eq 0 ] || { echo "# status $st"; return 1; }
	[ ! -s "$T/err" ] || { cat "$T/err"; return 1; }
	python3 -c 'import json,sys; json.loads(open(sys.argv[1]).read())' "$T/first"
}

@test "sgp-validate: standard output closed early ends quietly" { closed_early sgp-validate; }
@test "sgp-map: standard output closed early ends quietly" { closed_early sgp-map; }
@test "sgp-reconcile: standard output closed early ends quietly" { closed_early sgp-reconcile; }
@test "sgp-pull --file: standard output closed early ends quietly" { closed_early sgp-pull; }

# The same through the shim: EPIPE on the first write.
epipe() {
	cmd "$1" "$F/in.ndjson" --rejects "$T/rej"
	run --separate-stderr with_faults SGP_FAULT_WRITE_FD=1 SGP_FAULT_WRITE_ERRNO=EPIPE -- "${CMD[@]}"
	[ "$status" -eq 141 ]
	[ -z "$stderr" ]
	[ -z "$output" ]
}

@test "sgp-validate: EPIPE on standard output ends quietly with SIGPIPE's status" { epipe sgp-validate; }
@test "sgp-map: EPIPE on standard output ends quietly with SIGPIPE's status" { epipe sgp-map; }
@test "sgp-reconcile: EPIPE on standard output ends quietly with SIGPIPE's status" { epipe sgp-reconcile; }
@test "sgp-pull --file: EPIPE on standard output ends quietly with SIGPIPE's status" { epipe sgp-pull; }

# ---- --rejects FILE and --stats FILE ----

disk_full_rejects() {
	cmd "$1" "$F/in.ndjson" --rejects "$T/rejects.ndjson"
	run --separate-stderr with_faults SGP_FAULT_WRITE_PATH=rejects.ndjson -- "${CMD[@]}"
	one_error "$1" "write error on '$T/rejects.ndjson': No space left on device"
}

@test "sgp-validate: disk full on --rejects FILE is exit 3, naming it" { disk_full_rejects sgp-validate; }
@test "sgp-map: disk full on --rejects FILE is exit 3, naming it" { disk_full_rejects sgp-map; }
@test "sgp-reconcile: disk full on --rejects FILE is exit 3, naming it" { disk_full_rejects sgp-reconcile; }
@test "sgp-pull --file: disk full on --rejects FILE is exit 3, naming it" { disk_full_rejects sgp-pull; }

# --stats FILE is written atomically: when the write, the fsync or the
# rename fails, the previous file is left as it was, with no temporary
# file beside it.
stats_fault() {
	local tool=$1 fault=$2 why=$3
	mkdir "$T/s"
	echo '{"previous":true}' >"$T/s/stats.json"
	cmd "$tool" "$F/in.ndjson" --rejects "$T/rej" --stats "$T/s/stats.json"
	run --separate-stderr with_faults "$fault" -- "${CMD[@]}"
	one_error "$tool" "cannot write '$T/s/stats.json': $why"
	[ "$(cat "$T/s/stats.json")" = '{"previous":true}' ]
	[ "$(ls -A "$T/s")" = stats.json ]
}

@test "sgp-validate: disk full on --stats FILE is exit 3, the old file intact" {
	stats_fault sgp-validate SGP_FAULT_WRITE_PATH=stats.json "No space left on device"
}
@test "sgp-map: disk full on --stats FILE is exit 3, the old file intact" {
	stats_fault sgp-map SGP_FAULT_WRITE_PATH=stats.json "No space left on device"
}
@test "sgp-reconcile: disk full on --stats FILE is exit 3, the old file intact" {
	stats_fault sgp-reconcile SGP_FAULT_WRITE_PATH=stats.json "No space left on device"
}
@test "sgp-pull --file: disk full on --stats FILE is exit 3, the old file intact" {
	stats_fault sgp-pull SGP_FAULT_WRITE_PATH=stats.json "No space left on device"
}
@test "sgp-validate: a failing fsync of --stats FILE is exit 3, the old file intact" {
	stats_fault sgp-validate SGP_FAULT_FSYNC_PATH=stats.json "Input/output error"
}
@test "sgp-map: a failing rename of --stats FILE is exit 3, the old file intact" {
	stats_fault sgp-map SGP_FAULT_RENAME=1 "Input/output error"
}
@test "sgp-reconcile: a failing fsync of --stats FILE is exit 3, the old file intact" {
	stats_fault sgp-reconcile SGP_FAULT_FSYNC_PATH=stats.json "Input/output error"
}
@test "sgp-pull --file: a failing rename of --stats FILE is exit 3, the old file intact" {
	stats_fault sgp-pull SGP_FAULT_RENAME=1 "Input/output error"
}

# ---- reading ----

# An I/O error after 100,000 bytes of standard input: exit 3 with a
# message naming the input; what was read before is accounted for.
read_error() {
	local tool=$1
	cmd "$tool" - --rejects "$T/rej" --stats "$T/st"
	run --separate-stderr with_faults SGP_FAULT_READ_FD=0 SGP_FAULT_READ_AFTER=100000 -- \
		"${CMD[@]}" <"$F/in.ndjson"
	one_error "$tool" "*'-'*: Input/output error"
	[[ "$stderr" == *read* ]]
	echo "$output" >"$T/out"
	[ -z "$output" ] && : >"$T/out"
	if [ -f "$T/st" ]; then
		if [ "$tool" = sgp-reconcile ]; then
			counters_add_up "$tool" "$T/st"
		else
			counters_add_up "$tool" "$T/st" "$T/out"
		fi
	fi
}

@test "sgp-validate: a read error on the input is exit 3" { read_error sgp-validate; }
@test "sgp-map: a read error on the input is exit 3" { read_error sgp-map; }
@test "sgp-reconcile: a read error on the input is exit 3" { read_error sgp-reconcile; }
@test "sgp-pull --file: a read error on the input is exit 3" { read_error sgp-pull; }

# ---- sgp-pull --save-state against the sandbox ----

sandbox() {
	requires python3 curl
	SB=$(cat "$F/sandbox.url" 2>/dev/null)
	[ -n "$SB" ] || skip "the sandbox did not start"
	unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY SGP_PROFILE_PATH
	curl -sf -X DELETE "$SB/_sandbox/faults" >/dev/null
	curl -sf -X POST "$SB/_sandbox/reset" >/dev/null
	export SGP_STRIPE_BASE_URL=$SB/stripe STRIPE_API_KEY=sk_test_sgp_sandbox
	# a state file with this stream's line and another stream's
	printf '%s\n' \
		'{"spec":"sgp.state/1","profile":"stripe","stream":"customers","cursor":{"since":"2026-01-01T00:00:00Z"},"at":"2026-01-01T00:00:00Z"}' \
		'{"spec":"sgp.state/1","profile":"stripe","stream":"invoices","cursor":{"since":"2020-01-01T00:00:00Z"},"at":"2026-01-01T00:00:00Z"}' \
		>"$T/old.state"
	mkdir "$T/st"
	cp "$T/old.state" "$T/st/s.state"
}

# keys FILE...: the idempotency keys of the complete event lines
keys() {
	python3 - "$@" <<'PY'
import json, sys
for name in sys.argv[1:]:
    data = open(name, "rb").read()
    for line in data[:data.rfind(b"\n") + 1].splitlines():
        v = json.loads(line)
        if v.get("spec") == "sgp.event/1":
            print(v["idempotency_key"])
PY
}

# state_fault FAULT MESSAGE: the pull stops with exit 3 and MESSAGE, the
# state file is byte for byte the old one, with no temporary file beside it.
state_fault() {
	# (run's standard output is a pipe: no fsync of the output)
	run --separate-stderr with_faults "$1" -- sgp-pull -p stripe invoices --page-size 50 \
		--state "$T/st/s.state" --save-state
	one_error sgp-pull "$2"
	cmp "$T/old.state" "$T/st/s.state"
	[ "$(ls -A "$T/st")" = s.state ]
}

@test "sgp-pull --save-state: a failing fsync of the state file leaves the old one" {
	sandbox
	state_fault SGP_FAULT_FSYNC_PATH=s.state "cannot write '$T/st/s.state': Input/output error"
}

@test "sgp-pull --save-state: a failing rename of the state file leaves the old one" {
	sandbox
	state_fault SGP_FAULT_RENAME=1 "cannot write '$T/st/s.state': Input/output error"
}

@test "sgp-pull --save-state: an output that cannot be synced does not advance the state" {
	sandbox
	run --separate-stderr with_faults SGP_FAULT_FSYNC=1 -- sgp-pull -p stripe invoices \
		--page-size 50 --state "$T/st/s.state" --save-state
	[ "$status" -eq 3 ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	cmp "$T/old.state" "$T/st/s.state"
}

@test "sgp-pull --save-state: disk full in mid-pull; the rerun from the state loses nothing" {
	sandbox
	sgp-pull -p stripe invoices --page-size 50 >"$T/all"
	# about three pages of 50 invoices fit
	run --separate-stderr with_faults SGP_FAULT_WRITE_FD=1 SGP_FAULT_WRITE_AFTER=400000 -- \
		sgp-pull -p stripe invoices --page-size 50 --state "$T/st/s.state" --save-state
	one_error sgp-pull "write error on 'standard output': No space left on device"
	printf '%s' "$output" >"$T/part"
	# the state moved on (a page checkpoint), but not past what was written
	! cmp -s "$T/old.state" "$T/st/s.state"
	grep -q '"profile":"stripe","stream":"customers"' "$T/st/s.state"
	[ "$(ls -A "$T/st")" = s.state ]
	sgp-pull -p stripe invoices --page-size 50 --state "$T/st/s.state" --save-state >"$T/rest"
	keys "$T/all" | sort -u >"$T/want"
	keys "$T/part" "$T/rest" | sort -u >"$T/got"
	[ "$(lines_of "$T/want")" -gt 150 ]
	diff "$T/want" "$T/got"
}

@test "sgp-pull --save-state: standard output closed early leaves the state where it was" {
	sandbox
	sgp-pull -p stripe invoices --page-size 100 --state "$T/st/s.state" --save-state \
		2>"$T/err" | head -n 1 >"$T/first"
	st=${PIPESTATUS[0]}
	[ "$st" -eq 141 ]
	[ ! -s "$T/err" ]
	cmp "$T/old.state" "$T/st/s.state"
}
