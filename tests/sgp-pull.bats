#!/usr/bin/env bats
# sgp-pull against the vendor sandbox (contrib/sandbox) on a loopback port,
# and its --file mode.  Secrets reach sgp-pull through the environment only.

load helpers
bats_require_minimum_version 1.5.0

CHECK="$SGP_ROOT/tests/fixtures/pull/pullcheck.py"
PFIX="$SGP_ROOT/tests/fixtures/pull"

setup_file() {
	command -v python3 >/dev/null 2>&1 || return 0
	local out="$BATS_FILE_TMPDIR/sandbox.out" i py
	# The interpreter itself, not a version manager's shim: the checks
	# below run it often.
	py=$(python3 -c 'import sys; print(sys.executable)')
	echo "$py" >"$BATS_FILE_TMPDIR/python"
	# Salesforce pages hold at least 200 records when the client asks;
	# a small default keeps its pulls multi-page.
	"$py" "$SGP_ROOT/contrib/sandbox/sandbox.py" --port 0 --salesforce-batch-size 40 \
		>"$out" 2>"$BATS_FILE_TMPDIR/sandbox.err" 3>&- &
	echo $! >"$BATS_FILE_TMPDIR/sandbox.pid"
	for i in $(seq 100); do
		grep -q '^listening on ' "$out" 2>/dev/null && break
		sleep 0.1
	done
	sed -n 's/^listening on //p' "$out" >"$BATS_FILE_TMPDIR/sandbox.url"
}

teardown_file() {
	if [ -f "$BATS_FILE_TMPDIR/sandbox.pid" ]; then
		kill "$(cat "$BATS_FILE_TMPDIR/sandbox.pid")" 2>/dev/null || true
		wait 2>/dev/null || true
	fi
}

# Every test starts from the sandbox's seed, without faults, with the
# sandbox's credentials in the environment and its URLs as base URLs.
local_setup() {
	unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
	SB=$(cat "$BATS_FILE_TMPDIR/sandbox.url" 2>/dev/null)
	PY=$(cat "$BATS_FILE_TMPDIR/python" 2>/dev/null)
	: "${PY:=python3}"
	export SB PY
	[ -n "$SB" ] || return 0
	curl -sf -X DELETE "$SB/_sandbox/faults" >/dev/null
	curl -sf -X POST "$SB/_sandbox/reset" >/dev/null
	export SGP_STRIPE_BASE_URL=$SB/stripe STRIPE_API_KEY=sk_test_sgp_sandbox
	export SGP_ZENDESK_BASE_URL=$SB/zendesk ZENDESK_EMAIL=agent@sgp-sandbox.example \
		ZENDESK_API_TOKEN=zd_sgp_sandbox_token
	export SGP_SALESFORCE_BASE_URL=$SB/salesforce SALESFORCE_CLIENT_ID=sgp_sandbox_client \
		SALESFORCE_CLIENT_SECRET=sf_sgp_sandbox_secret
	export SGP_NETSUITE_BASE_URL=$SB/netsuite NETSUITE_ACCOUNT=1234567_SB1 \
		NETSUITE_CONSUMER_KEY=ns_sgp_consumer_key NETSUITE_CONSUMER_SECRET=ns_sgp_consumer_secret \
		NETSUITE_TOKEN_ID=ns_sgp_token_id NETSUITE_TOKEN_SECRET=ns_sgp_token_secret
	export SGP_CHARGEBEE_BASE_URL=$SB/chargebee CHARGEBEE_API_KEY=test_sgp_sandbox_chargebee
	export SGP_HUBSPOT_BASE_URL=$SB/hubspot HUBSPOT_TOKEN=pat-na1-sgp-sandbox
	export SGP_SERVICENOW_BASE_URL=$SB/servicenow SERVICENOW_USER=sgp.integration \
		SERVICENOW_PASSWORD=sgp-sandbox-pass
	export SGP_REVREC_BASE_URL=$SB/revrec REVREC_API_KEY=rr_test_sgp_sandbox
	unset SGP_PROFILE_PATH
}

needs_sandbox() {
	requires python3 curl
	[ -n "$SB" ] || skip "the sandbox did not start"
}

# pull_all PROFILE STREAM KIND SYSTEM IDKEY [sgp-pull options]: pull the
# stream and check that it took several pages and that the ids are
# exactly the sandbox's.
pull_all() {
	local profile=$1 stream=$2 kind=$3 system=$4 key=$5
	shift 5
	run sgp-pull -p "$profile" "$stream" --stats "$T/st.json" "$@"
	[ "$status" -eq 0 ] || { echo "$output" | tail -n 5; return 1; }
	printf '%s\n' "$output" >"$T/out.ndjson"
	"$PY" "$CHECK" check "$T/out.ndjson"
	"$PY" "$CHECK" ids "$T/out.ndjson" >"$T/got"
	"$PY" "$CHECK" expected "$kind" "$system" "$key" >"$T/want"
	[ -s "$T/want" ]
	diff "$T/want" "$T/got"
	# several pages, one checkpoint after each
	run "$PY" -c 'import json,sys; s=json.load(open(sys.argv[1])); print(s["pages"], s["states"], s["received"]-s["emitted"]-s["skipped"]-s["rejected"])' "$T/st.json"
	local pages=${output%% *}
	[ "$pages" -ge 3 ]
	[ "${output#* }" = "$pages 0" ]
	[ "$(grep -c '"spec":"sgp.state/1"' "$T/out.ndjson")" -eq "$pages" ]
}

@test "stripe: invoices pulled completely over several pages" {
	needs_sandbox
	pull_all stripe invoices invoice stripe billing --page-size 50
	# the vendor's record is data, untouched; the key names its revision
	grep -q '"type":"stripe.invoice"' "$T/out.ndjson"
	grep -q '"idempotency_key":"stripe:invoice:in_[A-Za-z0-9]*:[0-9]*"' "$T/out.ndjson"
	grep -q '"data":{"id":"in_' "$T/out.ndjson"
}

@test "zendesk: tickets pulled completely with cursor pagination" {
	needs_sandbox
	pull_all zendesk tickets ticket zendesk zendesk --page-size 50
}

@test "salesforce: opportunities pulled completely through nextRecordsUrl" {
	needs_sandbox
	pull_all salesforce opportunities opportunity salesforce salesforce
}

@test "netsuite: invoices pulled completely through SuiteQL with OAuth 1.0a" {
	needs_sandbox
	pull_all netsuite invoices invoice netsuite netsuite --page-size 100
	# floats are the vendor's bytes, not re-printed
	grep -q '"foreigntotal":"\?[0-9]' "$T/out.ndjson"
}

@test "chargebee: invoices pulled completely with next_offset" {
	needs_sandbox
	pull_all chargebee invoices invoice chargebee billing --page-size 50
}

@test "hubspot: deals pulled completely with paging.next.after" {
	needs_sandbox
	pull_all hubspot deals opportunity hubspot hubspot --page-size 50
}

@test "servicenow: cases pulled completely through the Link header" {
	needs_sandbox
	pull_all servicenow cases case servicenow servicenow --page-size 40
}

@test "revrec: schedules pulled completely page by page" {
	needs_sandbox
	pull_all revrec schedules schedule revrec revrec --page-size 40
}

# incremental PROFILE STREAM SBVENDOR SBSTREAM IDKEY [options]: a pull that
# saves its state, three new records, a second pull from the state: it
# yields exactly the three.
incremental() {
	local profile=$1 stream=$2 vendor=$3 sbstream=$4 key=$5
	shift 5
	run sgp-pull -p "$profile" "$stream" --state "$T/s.state" --save-state "$@"
	[ "$status" -eq 0 ] || { echo "$output" | tail -n 3; return 1; }
	[ -s "$T/s.state" ]
	IDKEY=$key "$PY" "$CHECK" seed "$vendor" "$sbstream" 3 >"$T/new"
	[ "$(lines_of "$T/new")" -eq 3 ]
	sgp-pull -p "$profile" "$stream" --state "$T/s.state" --save-state "$@" >"$T/inc.ndjson"
	"$PY" "$CHECK" ids "$T/inc.ndjson" >"$T/got"
	diff "$T/new" "$T/got"
	# and a third pull has nothing new
	sgp-pull -p "$profile" "$stream" --state "$T/s.state" --save-state "$@" >"$T/none.ndjson"
	[ -z "$("$PY" "$CHECK" ids "$T/none.ndjson")" ]
	grep -q '"profile":"'"$profile"'","stream":"'"$stream"'"' "$T/s.state"
}

@test "incremental: stripe (newest first) yields only the new invoices" {
	needs_sandbox
	incremental stripe invoices stripe invoices billing --page-size 50
}

@test "incremental: zendesk export resumes from its own cursor" {
	needs_sandbox
	incremental zendesk ticket_changes zendesk incremental_tickets zendesk --page-size 100
	grep -q '"cursor":{"cursor":' "$T/s.state"
}

@test "incremental: salesforce SOQL on SystemModstamp" {
	needs_sandbox
	incremental salesforce opportunities salesforce Opportunity salesforce
}

@test "incremental: netsuite SuiteQL on lastmodifieddate" {
	needs_sandbox
	incremental netsuite invoices netsuite invoice netsuite --page-size 200
}

@test "incremental: chargebee updated_at[after] (exclusive) loses no boundary record" {
	needs_sandbox
	incremental chargebee invoices chargebee invoices billing --page-size 50
}

@test "incremental: hubspot search on hs_lastmodifieddate" {
	needs_sandbox
	incremental hubspot deals_changed hubspot deals hubspot --page-size 50
}

@test "incremental: servicenow sys_updated_on in UTC without a zone" {
	needs_sandbox
	incremental servicenow cases servicenow sn_customerservice_case servicenow --page-size 40
}

@test "incremental: revrec updated_since with a lookback window emits nothing twice" {
	needs_sandbox
	incremental revrec schedules kind=contract - revrec --page-size 40 --lookback 86400
}

@test "--since pulls only what changed at or after the time" {
	needs_sandbox
	sgp-pull -p zendesk ticket_changes --since 2026-10-01T00:00:00Z >"$T/out"
	"$PY" - "$T/out" <<'EOF'
import json, sys
n = 0
for ln in open(sys.argv[1]):
    o = json.loads(ln)
    if o["spec"] == "sgp.event/1":
        assert o["data"]["updated_at"] >= "2026-10-01T00:00:00Z", o["data"]["updated_at"]
        n += 1
assert 0 < n < 300, n
EOF
}

# same_after_faults FAULTS PROFILE STREAM [options]: the events of a pull
# through the faults are exactly those of a clean pull.
same_after_faults() {
	local faults=$1 profile=$2 stream=$3
	shift 3
	sgp-pull -p "$profile" "$stream" "$@" >"$T/clean"
	"$PY" "$CHECK" fault "$faults"
	run sgp-pull -p "$profile" "$stream" --backoff 20 --stats "$T/st.json" "$@"
	[ "$status" -eq 0 ] || { echo "$output" | tail -n 3; return 1; }
	printf '%s\n' "$output" >"$T/faulted"
	"$PY" "$CHECK" events "$T/clean" >"$T/clean.ev"
	"$PY" "$CHECK" events "$T/faulted" >"$T/faulted.ev"
	[ -s "$T/clean.ev" ]
	cmp "$T/clean.ev" "$T/faulted.ev"
	grep -q '"retries":[1-9]' "$T/st.json"
	# every fault was delivered
	curl -sf "$SB/_sandbox/faults" | "$PY" -c 'import json,sys; f=json.load(sys.stdin)["faults"]; assert f and all(x["remaining"]==0 for x in f), f'
}

@test "faults: 429 without Retry-After, 500, 502, 503 and 504 mid-stream" {
	needs_sandbox
	same_after_faults '[{"path_prefix":"/stripe/v1/invoices","kind":"429","skip":2,"count":2},
	                    {"path_prefix":"/stripe/v1/invoices","kind":"500","skip":3},
	                    {"path_prefix":"/stripe/v1/invoices","kind":"502","skip":3},
	                    {"path_prefix":"/stripe/v1/invoices","kind":"503","skip":4},
	                    {"path_prefix":"/stripe/v1/invoices","kind":"504","skip":5}]' \
		stripe invoices --page-size 50
}

@test "faults: Retry-After in seconds and as an HTTP-date" {
	needs_sandbox
	same_after_faults '[{"path_prefix":"/zendesk/api/v2/tickets","kind":"429","skip":1,"retry_after":1},
	                    {"path_prefix":"/zendesk/api/v2/tickets","kind":"503","skip":2,"retry_after":1,"retry_after_format":"http-date"}]' \
		zendesk tickets --page-size 50
}

@test "faults: the vendor's own rate limit (HubSpot 429, Salesforce 403 REQUEST_LIMIT_EXCEEDED)" {
	needs_sandbox
	same_after_faults '[{"path_prefix":"/hubspot/crm/v3/objects/deals","kind":"rate_limit","skip":1,"retry_after":null}]' \
		hubspot deals --page-size 50
	same_after_faults '[{"path_prefix":"/salesforce/services/data","kind":"rate_limit","skip":1,"retry_after":null}]' \
		salesforce opportunities
}

@test "faults: slow replies past the timeout, connection resets and hang-ups" {
	needs_sandbox
	same_after_faults '[{"path_prefix":"/servicenow/api/now/table","kind":"slow","delay_ms":2500,"skip":1},
	                    {"path_prefix":"/servicenow/api/now/table","kind":"reset","skip":2},
	                    {"path_prefix":"/servicenow/api/now/table","kind":"hangup","skip":3}]' \
		servicenow cases --page-size 40 --timeout 1
}

@test "faults: a truncated page (200 with half a body) is fetched again" {
	needs_sandbox
	same_after_faults '[{"path_prefix":"/netsuite/services/rest/query","kind":"malformed","skip":2,"count":2}]' \
		netsuite invoices --page-size 100
}

@test "faults: retries used up is exit 3 after the last complete page's checkpoint" {
	needs_sandbox
	"$PY" "$CHECK" fault '{"path_prefix":"/revrec/api/v1/revenue_schedules","kind":"500","skip":2,"count":50}'
	run --separate-stderr sgp-pull -p revrec schedules --page-size 40 --retries 3 --backoff 5 \
		--state "$T/s.state" --save-state
	[ "$status" -eq 3 ]
	[[ "$stderr" == *"HTTP 500 after 3 attempts"* ]]
	[ "$(printf '%s\n' "$output" | grep -c '"spec":"sgp.event/1"')" -eq 80 ]
	# sorted by updated_at: the checkpoint is the latest time taken
	grep -q '"cursor":{"since":"' "$T/s.state"
	curl -sf -X DELETE "$SB/_sandbox/faults" >/dev/null
	sgp-pull -p revrec schedules --page-size 40 --state "$T/s.state" --save-state >"$T/rest"
	[ "$("$PY" "$CHECK" ids "$T/rest" | wc -l)" -eq 63 ]
}

@test "salesforce: an expired token is fetched again once and the pull goes on" {
	needs_sandbox
	sgp-pull -p salesforce opportunities >"$T/clean"
	# expire every token after the first page has been served
	"$PY" "$CHECK" fault '{"path_prefix":"/salesforce/services/data","kind":"slow","delay_ms":300,"skip":1}'
	sgp-pull -p salesforce opportunities >"$T/out" &
	local pid=$!
	sleep 0.15
	curl -sf -X POST "$SB/_sandbox/tokens/expire" >/dev/null
	wait "$pid"
	"$PY" "$CHECK" events "$T/clean" >"$T/a"
	"$PY" "$CHECK" events "$T/out" >"$T/b"
	cmp "$T/a" "$T/b"
}

@test "refused secret: exit 3, a clear message, and the secret nowhere" {
	needs_sandbox
	export STRIPE_API_KEY=sk_test_not_the_right_key_4242
	run --separate-stderr sgp-pull -p stripe invoices --rejects "$T/rej" --stats "$T/st" \
		--state "$T/s.state" --save-state
	[ "$status" -eq 3 ]
	[ -z "$output" ]
	[[ "$stderr" == "sgp-pull: stripe refused the token from environment variable STRIPE_API_KEY (HTTP 401): "* ]]
	[[ "$stderr" != *not_the_right_key* ]]
	# every request logged, as JSON lines: still nowhere
	run --separate-stderr sgp-pull -p stripe invoices -v --log-format json
	[ "$status" -eq 3 ]
	[[ "$stderr" == *'"level":"debug"'* ]]
	[[ "$stderr" == *'"level":"error","tool":"sgp-pull","msg":"stripe refused the token'* ]]
	[[ "$stderr$output" != *not_the_right_key* ]]
	# not in the rejects, the stats or the state file either
	! grep -rqs 'not_the_right_key' "$T"
	# the requests did carry it: the sandbox refused them
	curl -sf "$SB/_sandbox/requests" | grep -q '"status": *401'
}

@test "refused secret: basic auth (ServiceNow) and OAuth 1.0a (NetSuite) refusals are exit 3" {
	needs_sandbox
	SERVICENOW_PASSWORD=wrong-password-123 run --separate-stderr sgp-pull -p servicenow cases
	[ "$status" -eq 3 ]
	[[ "$stderr" == *"servicenow refused the user name and password from environment variables SERVICENOW_USER and SERVICENOW_PASSWORD (HTTP 401)"* ]]
	[[ "$stderr" != *wrong-password-123* ]]
	NETSUITE_TOKEN_SECRET=bad-token-secret run --separate-stderr sgp-pull -p netsuite invoices
	[ "$status" -eq 3 ]
	[[ "$stderr" == *"netsuite refused the OAuth 1.0a token from environment variables"*"(HTTP 401)"* ]]
	[[ "$stderr" != *bad-token-secret* ]]
	SALESFORCE_CLIENT_SECRET=not-the-secret run --separate-stderr sgp-pull -p salesforce accounts
	[ "$status" -eq 3 ]
	[[ "$stderr" == *"refused the client credentials"* ]]
	[[ "$stderr" != *not-the-secret* ]]
}

@test "a missing secret is a configuration error (exit 2) before any request" {
	needs_sandbox
	unset STRIPE_API_KEY
	run --separate-stderr sgp-pull -p stripe invoices
	[ "$status" -eq 2 ]
	[ "$stderr" = "sgp-pull: profile 'stripe': auth: token: environment variable STRIPE_API_KEY is not set" ]
	# a secret file named by NAME_FILE works
	printf 'sk_test_sgp_sandbox\n' >"$T/key"
	chmod 600 "$T/key"
	STRIPE_API_KEY_FILE="$T/key" run sgp-pull -p stripe customers --limit 3
	[ "$status" -eq 0 ]
}

@test "killed mid-stream and rerun from its state: every record at least once, none twice after dedupe" {
	needs_sandbox
	# pages after the fifth are slow, so the kill lands mid-stream
	"$PY" "$CHECK" fault '{"path_prefix":"/stripe/v1/invoices","kind":"slow","delay_ms":5000,"skip":6,"count":1}'
	sgp-pull -p stripe invoices --page-size 20 --state "$T/s.state" --save-state >"$T/run1" &
	local pid=$! i
	for i in $(seq 100); do
		[ "$(grep -c '"spec":"sgp.state/1"' "$T/run1" 2>/dev/null)" -ge 5 ] && break
		sleep 0.1
	done
	kill -9 "$pid"
	wait "$pid" || true
	grep -q '"page":{"cursor":' "$T/s.state"
	curl -sf -X DELETE "$SB/_sandbox/faults" >/dev/null
	sgp-pull -p stripe invoices --page-size 20 --state "$T/s.state" --save-state >"$T/run2"
	"$PY" "$CHECK" expected invoice stripe billing >"$T/want"
	cat "$T/run1" "$T/run2" | grep '"spec":"sgp.event/1"' >"$T/all" || true
	"$PY" "$CHECK" ids "$T/all" | sort -u >"$T/got"
	diff "$T/want" "$T/got"
	"$PY" "$CHECK" keys "$T/all" | sort -u | wc -l >"$T/nkeys"
	[ "$(cat "$T/nkeys")" -eq "$(lines_of "$T/want")" ]
	# the first run's records were not pulled again
	[ "$("$PY" "$CHECK" ids "$T/run2" | wc -l)" -lt "$(lines_of "$T/want")" ]
}

@test "--limit stops inside a page and the state resumes without doubling" {
	needs_sandbox
	sgp-pull -p zendesk tickets --page-size 50 --limit 70 --state "$T/s.state" --save-state >"$T/a"
	[ "$("$PY" "$CHECK" ids "$T/a" | wc -l)" -eq 70 ]
	sgp-pull -p zendesk tickets --page-size 50 --state "$T/s.state" --save-state >"$T/b"
	"$PY" "$CHECK" ids "$T/a" "$T/b" >"$T/got"
	"$PY" "$CHECK" expected ticket zendesk zendesk >"$T/want"
	diff "$T/want" "$T/got"
}

@test "state file keeps the lines of other streams" {
	needs_sandbox
	sgp-pull -p revrec schedules --state "$T/s.state" --save-state >/dev/null
	sgp-pull -p stripe customers --state "$T/s.state" --save-state >/dev/null
	sgp-pull -p revrec schedules --state "$T/s.state" --save-state >/dev/null
	[ "$(lines_of "$T/s.state")" -eq 2 ]
	grep -q '"profile":"revrec","stream":"schedules"' "$T/s.state"
	grep -q '"profile":"stripe","stream":"customers"' "$T/s.state"
}

@test "without --save-state the state file is read, not written" {
	needs_sandbox
	sgp-pull -p revrec schedules --state "$T/s.state" >"$T/out"
	[ ! -e "$T/s.state" ]
	grep -q '"spec":"sgp.state/1","profile":"revrec","stream":"schedules"' "$T/out"
}

@test "usage and configuration errors are exit 2" {
	run --separate-stderr sgp-pull
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"Try 'sgp-pull --help'"* ]]
	run --separate-stderr sgp-pull -p nosuchprofile x
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"no profile named 'nosuchprofile'"* ]]
	export SGP_REVREC_BASE_URL=http://127.0.0.1:9 REVREC_API_KEY=x1234
	run --separate-stderr sgp-pull -p revrec nosuchstream
	[ "$status" -eq 2 ]
	[ "$stderr" = "sgp-pull: profile 'revrec' has no stream 'nosuchstream' (schedules, amendments)" ]
	run --separate-stderr sgp-pull -p revrec schedules --save-state
	[ "$status" -eq 2 ]
	run --separate-stderr sgp-pull -p revrec schedules --since yesterday
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"invalid --since 'yesterday'"* ]]
	printf 'not a state\n' >"$T/bad.state"
	run --separate-stderr sgp-pull -p revrec schedules --state "$T/bad.state"
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"line 1 is not a sgp.state/1 line"* ]]
	run --separate-stderr sgp-pull -p "$PFIX/bad-profile.json" x
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"does not match urn:sgp:schema:profile/1"* ]]
	[[ "$stderr" == *"/streams/x/pagination/style"* ]]
}

@test "profiles are found along SGP_PROFILE_PATH; the base URL comes from \${VAR}" {
	mkdir -p "$T/p"
	sed 's/"name": "revrec"/"name": "myrr"/' "$SGP_ROOT/contrib/profiles/revrec.json" >"$T/p/myrr.json"
	SGP_PROFILE_PATH="$T/nothing:$T/p" run sgp-pull -p myrr --list
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "$(printf 'schedules\trevrec.revenue_schedule\t/api/v1/revenue_schedules\tincremental')" ]
	unset ZENDESK_SUBDOMAIN SGP_ZENDESK_BASE_URL
	export ZENDESK_EMAIL=a@b.c ZENDESK_API_TOKEN=tok12345
	run --separate-stderr sgp-pull -p zendesk tickets
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"needs the environment variable ZENDESK_SUBDOMAIN (or set SGP_ZENDESK_BASE_URL)"* ]]
}

@test "every contrib profile passes the profile schema" {
	local p
	for p in "$SGP_ROOT"/contrib/profiles/*.json; do
		run --separate-stderr sgp-pull -p "$p" --list
		[ "$status" -eq 0 ] || { echo "$p: $stderr"; return 1; }
	done
}

@test "--help and --version" {
	run sgp-pull --help
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "usage: sgp-pull -p PROFILE"* ]]
	run sgp-pull --version
	[ "$status" -eq 0 ]
	[[ "$output" == "sgp-pull "* ]]
}

# ---- files ----

@test "file: CSV with quotes, embedded newlines, CRLF, a BOM and UTF-8" {
	run --separate-stderr sgp-pull --file "$PFIX/invoices.csv" --system netsuite --object invoice \
		--id tranid --revision lastmodified --stats "$T/st"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 3 ]
	[[ "${lines[0]}" == '{"spec":"sgp.event/1","id":"evt_'*'","type":"netsuite.invoice","occurred_at":"2026-11-01T12:00:00Z","source":{"system":"netsuite","object":"invoice","id":"INV-1"},"correlation_id":"evt_'*'","idempotency_key":"netsuite:invoice:INV-1:2026-11-01T12:00:00Z","data":{"tranid":"INV-1","customer":"Acme, Inc.","memo":"said \"hi\"","total":"2291.22","lastmodified":"2026-11-01T12:00:00Z"}}' ]]
	[[ "${lines[1]}" == *'"memo":"two\nlines"'* ]]
	[[ "${lines[2]}" == *'"customer":"Müller GmbH"'* ]]
	grep -q '"received":3,"emitted":3,"rejected":0' "$T/st"
}

@test "file: NDJSON and a JSON document with --records; the vendor's bytes kept" {
	run sgp-pull --file "$PFIX/charges.ndjson" --system stripe --object charge --id id \
		--revision /created --occurred-at created
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 2 ]
	[[ "${lines[0]}" == *'"occurred_at":"2024-11-26T18:40:00Z"'* ]]
	[[ "${lines[0]}" == *'"data":{"id":"ch_1","amount":2291.22,"created":1732646400,"nested":{"a":[1,2.50,"x"]}}}' ]]
	run sgp-pull --file "$PFIX/page.json" --records /data --system stripe --object charge --id /id \
		--occurred-at /created
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 2 ]
	[[ "${lines[1]}" == *'"source":{"system":"stripe","object":"charge","id":"ch_2"}'* ]]
	[[ "${lines[1]}" == *'"data":{"id":"ch_2","amount":1e2,"created":1732646401}}' ]]
}

@test "file: -p PROFILE STREAM takes the stream's fields; stdin with --format" {
	sgp-pull -p "$SGP_ROOT/contrib/profiles/stripe.json" --file - --format json --records /data \
		invoices <"$PFIX/stripe-invoices.json" >"$T/out"
	[ "$(lines_of "$T/out")" -eq 2 ]
	grep -q '"idempotency_key":"stripe:invoice:in_1:1732647600"' "$T/out"
	grep -q '"occurred_at":"2024-11-26T19:00:00Z"' "$T/out"
}

@test "file: bad records are rejected with the reason; the rest go on (exit 1)" {
	run --separate-stderr sgp-pull --file "$PFIX/mixed.ndjson" --system s --object o --id id \
		--occurred-at at --rejects "$T/rej" --stats "$T/st"
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 2 ]
	[ "$(lines_of "$T/rej")" -eq 3 ]
	grep -q '"reason":"parse"' "$T/rej"
	grep -q '"reason":"mapping"' "$T/rej"
	grep -q '"reason":"time"' "$T/rej"
	grep -q '"received":5,"emitted":2,"rejected":3' "$T/st"
}

@test "file: a CSV quoting error is rejected and a missing file is exit 2" {
	printf 'id,at\n1,2026-01-01\n2,"open\n' >"$T/bad.csv"
	run --separate-stderr sgp-pull --file "$T/bad.csv" --system s --object o --id id --occurred-at at
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$stderr" == *'"reason":"parse"'* ]]
	run --separate-stderr sgp-pull --file "$T/none.csv" --system s --object o --id id
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"cannot open '$T/none.csv'"* ]]
	run --separate-stderr sgp-pull --file "$T/x.txt" --system s --object o --id id
	[ "$status" -eq 2 ]
}

@test "sgp-profile(5)'s example profile passes the profile schema" {
	# the example as the man page prints it
	awk '/^A minimal profile/ { on = 1; next } on && /^\.Bd/ { grab = 1; next }
	     grab && /^\.Ed/ { exit } grab { print }' "$SGP_ROOT/man/sgp-profile.5" >"$T/billing.json"
	grep -q '"name": "billing"' "$T/billing.json"
	export BILLING_TOKEN=unused-by-the-sandbox
	run sgp-pull -p "$T/billing.json" --list
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'invoices\tbilling.invoice\t/api/invoices\tincremental')" ]
}

@test "file: --system and --object must be names" {
	run --separate-stderr sgp-pull --file "$PFIX/charges.ndjson" --system 'Str"ipe' --object charge --id id
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"--system and --object are names"* ]]
}

@test "progress on a terminal, none otherwise" {
	needs_sandbox
	requires script
	script -qec "sgp-pull -p revrec schedules --page-size 40 >/dev/null" "$T/typescript" >/dev/null
	grep -q 'revrec schedules: 143 records, 4 pages' "$T/typescript"
	run --separate-stderr sgp-pull -p revrec schedules --page-size 40
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
}

@test "a saved position the vendor refuses starts the stream again: nothing skipped" {
	needs_sandbox
	printf '%s\n' '{"spec":"sgp.state/1","profile":"stripe","stream":"invoices","cursor":{"page":{"cursor":"in_deleted_since"}},"at":"2026-11-01T12:00:00Z"}' >"$T/s.state"
	run --separate-stderr sgp-pull -p stripe invoices --page-size 100 --state "$T/s.state" --save-state
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"HTTP 400"*"the saved position is refused, starting stripe invoices again from its beginning"* ]]
	printf '%s\n' "$output" >"$T/out"
	"$PY" "$CHECK" ids "$T/out" >"$T/got"
	"$PY" "$CHECK" expected invoice stripe billing >"$T/want"
	diff "$T/want" "$T/got"
}
