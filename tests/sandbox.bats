#!/usr/bin/env bats
# sandbox.bats: the loopback vendor emulator in contrib/sandbox.
#
# One sandbox serves the whole file (setup_file); every test starts from a
# reset of it.  Tests about the process itself (start, stop, seeds, data
# dirs, server options) start their own with start_own and teardown stops it.
# The client (written to $BATS_FILE_TMPDIR/client.py) walks each vendor's
# pagination as that vendor documents it and signs NetSuite requests with
# its own OAuth 1.0a code, independent of the sandbox's.

load helpers
bats_require_minimum_version 1.5.0

SANDBOX="$SGP_ROOT/contrib/sandbox/sandbox.py"
STRIPE_AUTH="Authorization: Bearer sk_test_sgp_sandbox"

# wait_listening OUT PID: wait (10 s at most) for the first line of OUT;
# prints the base URL.
wait_listening() {
	local out=$1 pid=$2 i line
	for ((i = 0; i < 200; i++)); do
		if [ -s "$out" ]; then
			IFS= read -r line <"$out"
			case $line in
			"listening on http://127.0.0.1:"[0-9]*)
				printf '%s\n' "${line#listening on }"
				return 0
				;;
			esac
		fi
		kill -0 "$pid" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}

# stop_pid PID: SIGTERM, then wait (10 s at most); returns its status.
stop_pid() {
	local pid=$1 i
	kill -TERM "$pid" 2>/dev/null || return 0
	for ((i = 0; i < 200; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
	wait "$pid"
}

setup_file() {
	command -v python3 >/dev/null && command -v curl >/dev/null || return 0
	# The interpreter itself, resolved once: a version manager's shim in
	# front of it costs more than the sandbox takes to start.
	python3 -c 'import sys; print(sys.executable)' >"$BATS_FILE_TMPDIR/python"
	PYTHON=$(cat "$BATS_FILE_TMPDIR/python")
	"$PYTHON" "$SANDBOX" --port 0 >"$BATS_FILE_TMPDIR/shared.out" 2>"$BATS_FILE_TMPDIR/shared.err" 3>&- &
	echo $! >"$BATS_FILE_TMPDIR/shared.pid"
	wait_listening "$BATS_FILE_TMPDIR/shared.out" $! >"$BATS_FILE_TMPDIR/shared.url"
	write_client
}

teardown_file() {
	[ -f "$BATS_FILE_TMPDIR/shared.pid" ] && stop_pid "$(cat "$BATS_FILE_TMPDIR/shared.pid")"
	return 0
}

local_setup() {
	requires python3 curl
	PYTHON=$(cat "$BATS_FILE_TMPDIR/python")
	SBX=$(cat "$BATS_FILE_TMPDIR/shared.url")
	export SBX
	[ -n "$SBX" ] || fail "the shared sandbox did not start: $(cat "$BATS_FILE_TMPDIR/shared.err")"
	curl -sf -X POST "$SBX/_sandbox/reset" >/dev/null
	OWN_PID=
}

teardown() {
	if [ -n "${OWN_PID:-}" ]; then stop_pid "$OWN_PID" || true; fi
}

# start_own ARGS...: a sandbox of this test's own; sets OWN_PID, OWN_URL.
start_own() {
	"$PYTHON" "$SANDBOX" "$@" >"$T/own.out" 2>"$T/own.err" 3>&- &
	OWN_PID=$!
	OWN_URL=$(wait_listening "$T/own.out" "$OWN_PID") || fail "sandbox did not start: $(cat "$T/own.err")"
}

client() { "$PYTHON" "$BATS_FILE_TMPDIR/client.py" "$@"; }

# count VENDOR STREAM [URL]: the record count /_sandbox/streams reports.
count() {
	curl -sf "${3:-$SBX}/_sandbox/streams" | "$PYTHON" -c '
import json, sys
v, s = sys.argv[1], sys.argv[2]
print(next(x["count"] for x in json.load(sys.stdin)["streams"] if x["vendor"] == v and x["stream"] == s))' "$1" "$2"
}

# jget EXPR: evaluate a Python expression over the JSON on stdin (bound to d).
jget() { "$PYTHON" -c 'import json, sys; d = json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }

fault() { curl -sf -X POST "$SBX/_sandbox/faults" -d "$1" >/dev/null; }

write_client() {
	cat >"$BATS_FILE_TMPDIR/client.py" <<'PY'
import base64, hashlib, hmac, json, math, os, secrets, sys, time
import urllib.error, urllib.parse, urllib.request

BASE = os.environ["SBX"]
NS = dict(account="1234567_SB1", ck="ns_sgp_consumer_key", cs="ns_sgp_consumer_secret",
          tk="ns_sgp_token_id", ts="ns_sgp_token_secret")


def http(method, url, headers=None, body=None):
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def enc(s):
    return urllib.parse.quote(s, safe="-._~")


def oauth(method, url, nonce=None, ts=None, cs=None, realm=None):
    """RFC 5849 HMAC-SHA256 signature, written out step by step."""
    u = urllib.parse.urlsplit(url)
    p = {"oauth_consumer_key": NS["ck"], "oauth_token": NS["tk"], "oauth_signature_method": "HMAC-SHA256",
         "oauth_timestamp": ts or str(int(time.time())), "oauth_nonce": nonce or secrets.token_hex(10),
         "oauth_version": "1.0"}
    pairs = urllib.parse.parse_qsl(u.query, keep_blank_values=True) + list(p.items())
    norm = "&".join("%s=%s" % kv for kv in sorted((enc(k), enc(v)) for k, v in pairs))
    base = "&".join([method, enc("%s://%s%s" % (u.scheme, u.netloc.lower(), u.path)), enc(norm)])
    key = "%s&%s" % (enc(cs or NS["cs"]), enc(NS["ts"]))
    p["oauth_signature"] = base64.b64encode(hmac.new(key.encode(), base.encode(), hashlib.sha256).digest()).decode()
    return 'OAuth realm="%s", ' % (realm or NS["account"]) + ", ".join('%s="%s"' % (k, enc(v)) for k, v in p.items())


def ns(method, path, body=None, headers=None, **kw):
    url = BASE + "/netsuite" + path
    h = {"Authorization": oauth(method, url, **kw)}
    if body is not None:
        h["Content-Type"] = "application/json"
    h.update(headers or {})
    return http(method, url, h, body.encode() if isinstance(body, str) else body)


def sf_token():
    st, _, b = http("POST", BASE + "/salesforce/services/oauth2/token",
                    {"Content-Type": "application/x-www-form-urlencoded"},
                    b"grant_type=client_credentials&client_id=sgp_sandbox_client&client_secret=sf_sgp_sandbox_secret")
    if st != 200:
        raise SystemExit("token: %d %s" % (st, b))
    return json.loads(b)


def getj(url, headers):
    st, h, b = http("GET", url, headers)
    if st != 200:
        raise SystemExit("GET %s -> %d %s" % (url, st, b[:300]))
    return json.loads(b), h


def next_link(links):
    nxt = [l["href"] for l in links if l["rel"] == "next"]
    return nxt[0][len(BASE) + len("/netsuite"):] if nxt else None


def walk(vendor, stream, size, soql=None):
    """(records, pages), checking the vendor's documented order on the way."""
    recs, pages = [], 0
    order = None
    if vendor == "stripe":
        h = {"Authorization": "Bearer sk_test_sgp_sandbox"}
        after = None
        while True:
            q = {"limit": size}
            if after:
                q["starting_after"] = after
            d, _ = getj(BASE + "/stripe/v1/%s?%s" % (stream, urllib.parse.urlencode(q)), h)
            pages += 1
            recs += d["data"]
            if not d["has_more"]:
                break
            after = d["data"][-1]["id"]
        order = [-r["created"] for r in recs]
    elif vendor == "zendesk":
        h = {"Authorization": "Basic " + base64.b64encode(b"agent@sgp-sandbox.example/token:zd_sgp_sandbox_token").decode()}
        if stream == "incremental":
            url = BASE + "/zendesk/api/v2/incremental/tickets/cursor.json?start_time=0&per_page=%d" % size
            while True:
                d, _ = getj(url, h)
                pages += 1
                recs += d["tickets"]
                if d["end_of_stream"]:
                    break
                url = d["after_url"]
            order = [(r["updated_at"], r["id"]) for r in recs]
        else:
            url = BASE + "/zendesk/api/v2/%s.json?page[size]=%d" % (stream, size)
            while url:
                d, _ = getj(url, h)
                pages += 1
                recs += d[stream]
                url = d["links"]["next"] if d["meta"]["has_more"] else None
            order = [r["id"] for r in recs]
    elif vendor == "salesforce":
        tok = sf_token()
        h = {"Authorization": "Bearer " + tok["access_token"]}
        url = tok["instance_url"] + "/services/data/v59.0/query?" + urllib.parse.urlencode(
            {"q": soql or "SELECT Id, Name, LastModifiedDate FROM %s" % stream})
        while url:
            d, _ = getj(url, h)
            pages += 1
            recs += d["records"]
            url = tok["instance_url"] + d["nextRecordsUrl"] if not d["done"] else None
    elif vendor == "netsuite":
        if stream == "suiteql":
            url = "/services/rest/query/v1/suiteql?limit=%d" % size
            while url:
                st, _, b = ns("POST", url, json.dumps({"q": soql or "SELECT id, tranid FROM transaction"}),
                              {"Prefer": "transient"})
                if st != 200:
                    raise SystemExit("suiteql: %d %s" % (st, b))
                d = json.loads(b)
                pages += 1
                recs += d["items"]
                url = next_link(d["links"]) if d["hasMore"] else None
        else:
            url = "/services/rest/record/v1/%s?limit=%d" % (stream, size)
            while url:
                st, _, b = ns("GET", url)
                if st != 200:
                    raise SystemExit("record list: %d %s" % (st, b))
                d = json.loads(b)
                pages += 1
                recs += d["items"]
                url = next_link(d["links"]) if d["hasMore"] else None
            order = [int(r["id"]) for r in recs]
    elif vendor == "chargebee":
        h = {"Authorization": "Basic " + base64.b64encode(b"test_sgp_sandbox_chargebee:").decode()}
        off = None
        while True:
            q = {"limit": size}
            if off:
                q["offset"] = off
            d, _ = getj(BASE + "/chargebee/api/v2/%s?%s" % (stream, urllib.parse.urlencode(q)), h)
            pages += 1
            recs += [x[stream[:-1]] for x in d["list"]]
            off = d.get("next_offset")
            if not off:
                break
    elif vendor == "hubspot":
        h = {"Authorization": "Bearer pat-na1-sgp-sandbox"}
        url = BASE + "/hubspot/crm/v3/objects/%s?limit=%d" % (stream, size)
        while url:
            d, _ = getj(url, h)
            pages += 1
            recs += d["results"]
            url = d.get("paging", {}).get("next", {}).get("link")
        order = [int(r["id"]) for r in recs]
    elif vendor == "servicenow":
        h = {"Authorization": "Basic " + base64.b64encode(b"sgp.integration:sgp-sandbox-pass").decode()}
        url = BASE + "/servicenow/api/now/table/%s?sysparm_limit=%d" % (stream, size)
        while url:
            d, hh = getj(url, h)
            pages += 1
            if int(hh["X-Total-Count"]) < len(recs) + len(d["result"]):
                raise SystemExit("X-Total-Count %s is below what was returned" % hh["X-Total-Count"])
            recs += d["result"]
            url = None
            for part in hh.get("Link", "").split(","):
                u, _, rel = part.partition(";")
                if rel.strip() == 'rel="next"':
                    url = u.strip()[1:-1]
    elif vendor == "revrec":
        h = {"X-API-Key": "rr_test_sgp_sandbox"}
        page = 1
        while True:
            d, _ = getj(BASE + "/revrec/api/v1/%s?page=%d&per_page=%d" % (stream, page, size), h)
            pages += 1
            recs += d["data"]
            if page >= d["total_pages"]:
                break
            page += 1
        order = [r["updated_at"] for r in recs]
    else:
        raise SystemExit("unknown vendor " + vendor)
    if order is not None and order != sorted(order):
        raise SystemExit("%s %s: records out of the documented order" % (vendor, stream))
    return recs, pages


def idof(r):
    for k in ("id", "Id", "sys_id"):
        if k in r:
            return r[k]
    raise SystemExit("record without id: %r" % r)


def show(st, h, b):
    print(st)
    print(json.dumps(h))
    sys.stdout.write(b.decode("utf-8", "replace") + "\n")


def main():
    a = sys.argv[1:]
    cmd = a.pop(0)
    if cmd == "walk":
        # walk VENDOR STREAM SIZE [--out FILE] [--query Q]: "records unique pages" on stdout
        vendor, stream, size = a[0], a[1], int(a[2])
        opts = dict(zip(a[3::2], a[4::2]))
        recs, pages = walk(vendor, stream, size, opts.get("--query"))
        if "--out" in opts:
            with open(opts["--out"], "w") as f:
                for r in recs:
                    f.write(json.dumps(r) + "\n")
        print(len(recs), len({idof(r) for r in recs}), pages)
    elif cmd == "check":
        # check VENDOR STREAM SIZE [PER_PAGE]: walk the stream; every record
        # /_sandbox/streams counts comes exactly once, in ceil(count/PER_PAGE) pages
        vendor, stream, size = a[0], a[1], int(a[2])
        per = int(a[3]) if len(a) > 3 else size
        name = {"incremental": "tickets", "suiteql": "suiteql_transaction"}.get(stream, stream)
        _, _, b = http("GET", BASE + "/_sandbox/streams")
        n = next(x["count"] for x in json.loads(b)["streams"] if x["vendor"] == vendor and x["stream"] == name)
        recs, pages = walk(vendor, stream, size)
        ids = [idof(r) for r in recs]
        problems = []
        if len(ids) != n:
            problems.append("%d records, the stream holds %d" % (len(ids), n))
        if len(set(ids)) != len(ids):
            problems.append("%d duplicates" % (len(ids) - len(set(ids))))
        if pages != max(1, -(-n // per)):
            problems.append("%d pages for %d records of %d" % (pages, n, per))
        if problems:
            raise SystemExit("%s %s: %s" % (vendor, stream, "; ".join(problems)))
        print("%s %s: %d records in %d pages" % (vendor, stream, n, pages))
    elif cmd == "ns":
        # ns METHOD PATH [--body B] [--header "K: V"] [--nonce N --ts T] [--cs SECRET] [--realm R]
        method, path = a[0], a[1]
        opts, hdrs = {}, {}
        i = 2
        while i < len(a):
            if a[i] == "--header":
                k, v = a[i + 1].split(": ", 1)
                hdrs[k] = v
            else:
                opts[a[i]] = a[i + 1]
            i += 2
        show(*ns(method, path, opts.get("--body"), hdrs, nonce=opts.get("--nonce"), ts=opts.get("--ts"),
                 cs=opts.get("--cs"), realm=opts.get("--realm")))
    elif cmd == "sf-token":
        print(json.dumps(sf_token()))
    else:
        raise SystemExit("unknown command " + cmd)


main()
PY
}

# ---- the process ----

@test "sandbox: starts on port 0, prints the listening line first, writes --port-file" {
	start_own --port 0 --port-file "$T/port"
	run head -n 1 "$T/own.out"
	assert_output --regexp '^listening on http://127\.0\.0\.1:[0-9]+$'
	[ "$(cat "$T/port")" = "${OWN_URL##*:}" ]
	run curl -sf "$OWN_URL/_sandbox/health"
	assert_success
	assert_output --partial '"status":"ok"'
	assert_output --partial '"seed":1'
}

@test "sandbox: --help exits 0; misuse is one line on stderr and exit 2" {
	run "$PYTHON" "$SANDBOX" --help
	assert_success
	assert_output --partial "--data-dir"
	run --separate-stderr "$PYTHON" "$SANDBOX" --bogus
	assert_failure 2
	[ -z "$output" ]
	[ "$(printf '%s\n' "$stderr" | wc -l)" -eq 1 ]
	[[ $stderr == "sandbox: "* ]]
	run --separate-stderr "$PYTHON" "$SANDBOX" --scale 0
	assert_failure 2
}

@test "sandbox: SIGTERM stops it with status 0 and frees the port" {
	start_own --port 0
	port=${OWN_URL##*:}
	curl -sf "$OWN_URL/_sandbox/health" >/dev/null
	rc=0
	stop_pid "$OWN_PID" || rc=$?
	OWN_PID=
	[ "$rc" -eq 0 ]
	run curl -s "$OWN_URL/_sandbox/health"
	assert_failure 7
	start_own --port "$port"
	[ "$OWN_URL" = "http://127.0.0.1:$port" ]
	[ ! -s "$T/own.err" ]
}

@test "sandbox: SIGINT stops it with status 0" {
	start_own
	kill -INT "$OWN_PID"
	rc=0
	wait "$OWN_PID" || rc=$?
	OWN_PID=
	[ "$rc" -eq 0 ]
}

@test "sandbox: a port in use is exit 3 with one line on stderr" {
	start_own
	run --separate-stderr "$PYTHON" "$SANDBOX" --port "${OWN_URL##*:}"
	assert_failure 3
	[[ $stderr == "sandbox: cannot listen on 127.0.0.1:"* ]]
}

@test "sandbox: stays quiet on stderr, faults and all" {
	start_own
	curl -s -H "$STRIPE_AUTH" "$OWN_URL/stripe/v1/invoices" >/dev/null
	curl -s -X POST "$OWN_URL/_sandbox/faults" -d '{"path_prefix":"/stripe","kind":"reset"}' >/dev/null
	curl -s -H "$STRIPE_AUTH" "$OWN_URL/stripe/v1/invoices" >/dev/null || true
	curl -s "$OWN_URL/nowhere" >/dev/null
	[ ! -s "$T/own.err" ]
	[ "$(wc -l <"$T/own.out")" -eq 1 ]
}

# ---- pagination, vendor by vendor ----

@test "sandbox: stripe lists walk every page, newest first" {
	for s in invoices credit_notes customers subscriptions; do
		[ "$(count stripe "$s")" -gt 20 ]
		run client check stripe "$s" 7
		assert_success
	done
	run curl -sf -H "$STRIPE_AUTH" "$SBX/stripe/v1/subscriptions?status=all&limit=100"
	[ "$(jget 'len(d["data"])' <<<"$output")" -eq "$(count stripe subscriptions)" ]
}

@test "sandbox: stripe created[gte] returns exactly the later invoices" {
	client walk stripe invoices 100 --out "$T/all.ndjson" >/dev/null
	cut=$("$PYTHON" -c 'import json; c=sorted(json.loads(l)["created"] for l in open("'"$T/all.ndjson"'")); print(c[-50])')
	want=$("$PYTHON" -c 'import json; print(sum(json.loads(l)["created"] >= '"$cut"' for l in open("'"$T/all.ndjson"'")))')
	run curl -sf -H "$STRIPE_AUTH" "$SBX/stripe/v1/invoices?limit=100&created%5Bgte%5D=$cut"
	assert_success
	[ "$(jget 'len(d["data"])' <<<"$output")" = "$want" ]
	[ "$(jget 'min(x["created"] for x in d["data"])' <<<"$output")" = "$cut" ]
	run curl -s -H "$STRIPE_AUTH" "$SBX/stripe/v1/invoices?limit=101"
	assert_output --partial '"param":"limit"'
	run curl -s -H "$STRIPE_AUTH" "$SBX/stripe/v1/invoices?updated_since=1"
	assert_output --partial '"code":"parameter_unknown"'
}

@test "sandbox: zendesk cursor pagination and the incremental export" {
	run client check zendesk tickets 25
	assert_success
	run client check zendesk incremental 70
	assert_success
	run client check zendesk organizations 30
	assert_success
}

@test "sandbox: zendesk incremental export resumes with new tickets only" {
	auth="Authorization: Basic $(printf '%s' 'agent@sgp-sandbox.example/token:zd_sgp_sandbox_token' | base64 | tr -d '\n')"
	curl -sf -H "$auth" "$SBX/zendesk/api/v2/incremental/tickets/cursor.json?start_time=0" >"$T/first.json"
	[ "$(jget 'd["end_of_stream"]' <"$T/first.json")" = True ]
	cursor=$(jget 'd["after_cursor"]' <"$T/first.json")
	last=$(jget 'max(t["updated_at"] for t in d["tickets"])' <"$T/first.json")
	curl -sf -X POST "$SBX/_sandbox/seed" -d '{"vendor":"zendesk","stream":"tickets","count":3}' >/dev/null
	run curl -sf -H "$auth" "$SBX/zendesk/api/v2/incremental/tickets/cursor.json?cursor=$cursor"
	assert_success
	[ "$(jget 'len(d["tickets"])' <<<"$output")" = 3 ]
	[ "$(jget 'all(t["updated_at"] > "'"$last"'" for t in d["tickets"])' <<<"$output")" = True ]
	[ "$(jget 'd["end_of_stream"]' <<<"$output")" = True ]
}

@test "sandbox: salesforce pages by batch size, follows nextRecordsUrl and filters incrementally" {
	start_own --salesforce-batch-size 50
	SBX=$OWN_URL
	run client check salesforce Opportunity 0 50
	assert_success
	client walk salesforce Opportunity 0 --out "$T/opps.ndjson" >/dev/null
	cut=2026-10-01T00:00:00.000+0000
	want=$("$PYTHON" -c 'import json; print(sum(json.loads(l)["LastModifiedDate"] > "'"$cut"'" for l in open("'"$T/opps.ndjson"'")))')
	run client walk salesforce Opportunity 0 --query "SELECT Id FROM Opportunity WHERE LastModifiedDate > 2026-10-01T00:00:00Z"
	assert_output "$want $want $(((want + 49) / 50))"
	[ "$want" -gt 0 ]
}

@test "sandbox: salesforce tokens expire and the query errors are Salesforce's" {
	tok=$(client sf-token | jget 'd["access_token"]')
	auth="Authorization: Bearer $tok"
	api="$SBX/salesforce/services/data/v59.0/query"
	run curl -s -G -H "$auth" --data-urlencode "q=SELECT Id, Nope FROM Account" "$api"
	assert_output --partial '"errorCode":"INVALID_FIELD"'
	run curl -s -G -H "$auth" --data-urlencode "q=SELECT Id FROM Account WHERE LastModifiedDate > '2026-01-01'" "$api"
	assert_output --partial "must be of type dateTime"
	run curl -s -G -H "$auth" --data-urlencode "q=SELECT FROM Account" "$api"
	assert_output --partial '"errorCode":"MALFORMED_QUERY"'
	run curl -s -H "$auth" "$SBX/salesforce/services/data/v59.0/query/01g8cAAAAAAAAAA-2000"
	assert_output --partial '"errorCode":"INVALID_QUERY_LOCATOR"'
	run curl -s -o /dev/null -w '%{http_code}' -G -H "$auth" --data-urlencode "q=SELECT Id FROM Account" "$api"
	assert_output 200
	curl -sf -X POST "$SBX/_sandbox/tokens/expire" >/dev/null
	run curl -s -w ' %{http_code}' -G -H "$auth" --data-urlencode "q=SELECT Id FROM Account" "$api"
	assert_output '[{"message":"Session expired or invalid","errorCode":"INVALID_SESSION_ID"}] 401'
	run curl -s -d grant_type=client_credentials -d client_id=sgp_sandbox_client -d client_secret=wrong \
		"$SBX/salesforce/services/oauth2/token"
	assert_output '{"error":"invalid_client","error_description":"invalid client credentials"}'
}

@test "sandbox: netsuite record lists and SuiteQL walk every page" {
	for s in invoice customer creditmemo; do
		run client check netsuite "$s" 40
		assert_success
	done
	run client check netsuite suiteql 250
	assert_success
	run client ns GET "/services/rest/record/v1/invoice?limit=40&offset=10"
	assert_line -n 0 400
}

@test "sandbox: netsuite refuses a bad signature, a wrong realm and a replayed nonce" {
	run client ns GET "/services/rest/record/v1/customer?limit=1" --cs wrong-secret
	assert_line -n 0 401
	assert_output --partial '"o:errorCode":"INVALID_LOGIN"'
	run client ns GET "/services/rest/record/v1/customer?limit=1" --realm 7654321
	assert_line -n 0 401
	ts=$(date +%s)
	run client ns GET "/services/rest/record/v1/customer?limit=1" --nonce n0nce1 --ts "$ts"
	assert_line -n 0 200
	run client ns GET "/services/rest/record/v1/customer?limit=1" --nonce n0nce1 --ts "$ts"
	assert_line -n 0 401
	run curl -s -o /dev/null -w '%{http_code}' "$SBX/netsuite/services/rest/record/v1/customer"
	assert_output 401
}

@test "sandbox: netsuite credit memo POST is replayed for the same idempotency key" {
	inv=$(client ns GET "/services/rest/record/v1/invoice?limit=1" | sed -n 3p | jget 'd["items"][0]["id"]')
	ent=$(client ns GET "/services/rest/record/v1/invoice/$inv" | sed -n 3p | jget 'd["entity"]["id"]')
	body='{"entity":{"id":"'"$ent"'"},"createdFrom":{"id":"'"$inv"'"},"memo":"Zendesk #1001","item":{"items":[{"item":{"id":"110"},"amount":12.5}]}}'
	before=$(count netsuite creditmemo)
	key="X-NetSuite-Idempotency-Key: 2b9d7a9e-7c1f-4e36-9d4f-31c1a0c4e001"
	run client ns POST /services/rest/record/v1/creditMemo --body "$body" --header "$key"
	assert_line -n 0 204
	loc1=$(sed -n 2p <<<"$output" | jget 'd["Location"]')
	run client ns POST /services/rest/record/v1/creditMemo --body "$body" --header "$key"
	assert_line -n 0 204
	loc2=$(sed -n 2p <<<"$output" | jget 'd["Location"]')
	[ "$loc1" = "$loc2" ]
	[ "$(count netsuite creditmemo)" -eq $((before + 1)) ]
	run client ns GET "${loc1#"$SBX/netsuite"}"
	assert_line -n 0 200
	assert_output --partial '"total":12.5'
	run curl -sf "$SBX/_sandbox/requests?vendor=netsuite&method=POST"
	[ "$(jget 'd["count"]' <<<"$output")" = 2 ]
	[ "$(jget '[{k.lower(): v for k, v in r["headers"].items()}["x-netsuite-idempotency-key"] for r in d["requests"]]' <<<"$output")" = \
		"['2b9d7a9e-7c1f-4e36-9d4f-31c1a0c4e001', '2b9d7a9e-7c1f-4e36-9d4f-31c1a0c4e001']" ]
	[ "$(jget '[r["replayed"] for r in d["requests"]]' <<<"$output")" = "[False, True]" ]
	run client ns POST /services/rest/record/v1/creditMemo --body "${body/12.5/12.555}"
	assert_line -n 0 400
	assert_output --partial "at most 2 decimal places"
}

@test "sandbox: chargebee walks next_offset, newest first" {
	for s in invoices credit_notes customers subscriptions; do
		run client check chargebee "$s" 9
		assert_success
	done
	run curl -s -u test_sgp_sandbox_chargebee: "$SBX/chargebee/api/v2/invoices?offset=%5B1%5D"
	assert_output --partial '"param":"offset"'
}

@test "sandbox: hubspot walks paging.next, searches, and reports its rate limits" {
	for s in deals companies; do
		run client check hubspot "$s" 30
		assert_success
	done
	auth="Authorization: Bearer pat-na1-sgp-sandbox"
	run curl -sf -H "$auth" -H 'Content-Type: application/json' -d '{"filterGroups":[{"filters":[
		{"propertyName":"hs_lastmodifieddate","operator":"GTE","value":"2026-10-01T00:00:00Z"}]}],
		"sorts":[{"propertyName":"hs_lastmodifieddate","direction":"ASCENDING"}],"limit":200}' \
		"$SBX/hubspot/crm/v3/objects/deals/search"
	assert_success
	[ "$(jget 'd["total"] == len(d["results"]) > 0' <<<"$output")" = True ]
	[ "$(jget 'all(r["properties"]["hs_lastmodifieddate"] >= "2026-10-01" for r in d["results"])' <<<"$output")" = True ]
	fault '{"path_prefix":"/hubspot","kind":"429"}'
	run curl -s -D "$T/h" -H "$auth" "$SBX/hubspot/crm/v3/objects/deals"
	assert_output --partial '"errorType":"RATE_LIMIT"'
	grep -qi '^X-HubSpot-RateLimit-Remaining: 0' "$T/h"
	grep -qi '^X-HubSpot-RateLimit-Max: ' "$T/h"
}

@test "sandbox: servicenow follows the Link header and filters with an encoded query" {
	for s in sn_customerservice_case customer_account; do
		run client check servicenow "$s" 40
		assert_success
	done
	run curl -sf -D "$T/h" -u sgp.integration:sgp-sandbox-pass \
		"$SBX/servicenow/api/now/table/sn_customerservice_case?sysparm_query=u_credit_request=true%5Esys_updated_on%3E2026-10-01%2000:00:00&sysparm_fields=number,u_credit_amount,sys_updated_on"
	assert_success
	total=$(sed -n 's/^X-Total-Count: \([0-9]*\).*/\1/Ip' "$T/h")
	[ "$(jget 'len(d["result"])' <<<"$output")" = "$total" ]
	[ "$(jget 'all(r["u_credit_amount"] and r["sys_updated_on"] > "2026-10-01 00:00:00" for r in d["result"])' <<<"$output")" = True ]
}

@test "sandbox: revrec pages by number; an amendment is replayed for its key" {
	run client check revrec revenue_schedules 20
	assert_success
	k="X-API-Key: rr_test_sgp_sandbox"
	read -r contract cur < <(curl -sf -H "$k" "$SBX/revrec/api/v1/revenue_schedules?per_page=1" |
		jget 'd["data"][0]["contract_ref"]["id"] + " " + d["data"][0]["currency"]')
	body='{"contract_id":"'"$contract"'","effective_date":"2027-01-01","amount_delta":"120.00","currency":"'"$cur"'"}'
	run curl -s -D "$T/h1" -H "$k" -H 'Idempotency-Key: am-1' -H 'Content-Type: application/json' -d "$body" \
		"$SBX/revrec/api/v1/contract_amendments"
	id1=$(jget 'd["id"]' <<<"$output")
	run curl -s -D "$T/h2" -H "$k" -H 'Idempotency-Key: am-1' -H 'Content-Type: application/json' -d "$body" \
		"$SBX/revrec/api/v1/contract_amendments"
	[ "$(jget 'd["id"]' <<<"$output")" = "$id1" ]
	grep -q '^HTTP/1.1 201' "$T/h2"
	grep -qi '^Idempotent-Replayed: true' "$T/h2"
	run curl -s -o /dev/null -w '%{http_code}' -H "$k" -H 'Idempotency-Key: am-1' -H 'Content-Type: application/json' \
		-d "${body/120.00/99.00}" "$SBX/revrec/api/v1/contract_amendments"
	assert_output 409
	run curl -sf -H "$k" "$SBX/revrec/api/v1/contract_amendments"
	[ "$(jget 'd["total"]' <<<"$output")" = 1 ]
}

# ---- writes ----

@test "sandbox: salesforce PATCH updates a record and moves SystemModstamp; bad fields are refused" {
	tok=$(client sf-token | jget 'd["access_token"]')
	auth="Authorization: Bearer $tok"
	api="$SBX/salesforce/services/data/v59.0"
	id=$(curl -sf -G -H "$auth" --data-urlencode "q=SELECT Id FROM Contract ORDER BY Id LIMIT 1" "$api/query" |
		jget 'd["records"][0]["Id"]')
	patch() { curl -s -w ' %{http_code}' -X PATCH -H "$auth" -H 'Content-Type: application/json' -d "$1" \
		"$api/sobjects/Contract/$id"; }
	run patch '{"Status":"Draft","Total_Contract_Value__c":1234.5,"EndDate":"2028-01-31"}'
	assert_output ' 204'
	run curl -sf -H "$auth" "$api/sobjects/Contract/$id"
	[ "$(jget '(d["Status"], d["Total_Contract_Value__c"], d["EndDate"], d["SystemModstamp"])' <<<"$output")" = \
		"('Draft', 1234.5, '2028-01-31', '2026-11-01T12:00:01.000+0000')" ]
	run patch '{"Nope__c":1}'
	assert_output --partial '"errorCode":"INVALID_FIELD"'
	run patch '{"SystemModstamp":"2020-01-01T00:00:00Z"}'
	assert_output --partial '"errorCode":"INVALID_FIELD_FOR_INSERT_UPDATE"'
	run patch '{"EndDate":"2028-02-30"}'
	assert_output --partial '"errorCode":"JSON_PARSER_ERROR"'
	run patch '{"AccountId":"0018c000000NOPEAAA"}'
	assert_output --partial '"errorCode":"MALFORMED_ID"'
}

@test "sandbox: zendesk ticket creation replays its key; an update reaches the incremental export" {
	auth="Authorization: Basic $(printf '%s' 'agent@sgp-sandbox.example/token:zd_sgp_sandbox_token' | base64 | tr -d '\n')"
	start=$(curl -sf -H "$auth" "$SBX/zendesk/api/v2/incremental/tickets/cursor.json?start_time=0" | jget 'd["after_cursor"]')
	body='{"ticket":{"subject":"Credit approved","comment":{"body":"We credited 12.50 USD."},"custom_fields":[{"id":360001234567,"value":"12.50"}]}}'
	new() { curl -s -D "$T/h" -H "$auth" -H 'Idempotency-Key: zd-1' -H 'Content-Type: application/json' -d "$1" \
		"$SBX/zendesk/api/v2/tickets.json"; }
	id1=$(new "$body" | jget 'd["ticket"]["id"]')
	grep -q '^HTTP/1.1 201' "$T/h"
	id2=$(new "$body" | jget 'd["ticket"]["id"]')
	[ "$id1" = "$id2" ]
	grep -qi '^x-idempotency-lookup: hit' "$T/h"
	run curl -s -w ' %{http_code}' -X PUT -H "$auth" -H 'Content-Type: application/json' \
		-d '{"ticket":{"status":"bogus"}}' "$SBX/zendesk/api/v2/tickets/1001.json"
	assert_output --regexp '"error":"RecordInvalid".* 422$'
	run curl -sf -X PUT -H "$auth" -H 'Content-Type: application/json' \
		-d '{"ticket":{"status":"solved","comment":{"body":"Credited","public":false}}}' \
		"$SBX/zendesk/api/v2/tickets/1001.json"
	[ "$(jget 'd["ticket"]["status"]' <<<"$output")" = solved ]
	run curl -sf -H "$auth" "$SBX/zendesk/api/v2/incremental/tickets/cursor.json?cursor=$start"
	[ "$(jget 'sorted(t["id"] for t in d["tickets"])' <<<"$output")" = "[1001, $id1]" ]
}

@test "sandbox: servicenow PATCH moves sys_updated_on and sys_mod_count" {
	u=sgp.integration:sgp-sandbox-pass
	url="$SBX/servicenow/api/now/table/sn_customerservice_case"
	read -r id count < <(curl -sf -u "$u" "$url?sysparm_limit=1&sysparm_fields=sys_id,sys_mod_count" |
		jget 'd["result"][0]["sys_id"] + " " + d["result"][0]["sys_mod_count"]')
	run curl -sf -u "$u" -X PATCH -H 'Content-Type: application/json' -d '{"state":"6","work_notes":"Credit issued"}' "$url/$id"
	[ "$(jget '(d["result"]["state"], d["result"]["active"], d["result"]["sys_mod_count"], d["result"]["sys_updated_on"])' <<<"$output")" = \
		"('6', 'false', '$((count + 1))', '2026-11-01 12:00:01')" ]
	run curl -s -u "$u" -X PATCH -H 'Content-Type: application/json' -d '{"number":"CS9"}' "$url/$id"
	assert_output --partial "is not writable"
	run curl -sf -u "$u" "$url?sysparm_query=sys_updated_on%3E2026-11-01%2012:00:00&sysparm_fields=sys_id"
	assert_output "{\"result\":[{\"sys_id\":\"$id\"}]}"
}

@test "sandbox: netsuite upsert by external id creates, then updates; a posted invoice shows in SuiteQL" {
	run client ns PUT "/services/rest/record/v1/customer/eid:cus_sgp_new_1" --body '{"companyName":"Neue Kunde GmbH","email":"ap@neue.example"}'
	assert_line -n 0 204
	loc=$(sed -n 2p <<<"$output" | jget 'd["Location"]')
	run client ns PUT "/services/rest/record/v1/customer/eid:cus_sgp_new_1" --body '{"companyName":"Neue Kunde AG"}'
	assert_line -n 0 204
	[ "$(sed -n 2p <<<"$output" | jget 'd["Location"]')" = "$loc" ]
	id=${loc##*/}
	run client ns GET "/services/rest/record/v1/customer/$id"
	assert_output --partial '"companyName":"Neue Kunde AG"'
	assert_output --partial '"email":"ap@neue.example"'
	body='{"entity":{"id":"'"$id"'"},"tranDate":"2026-11-02","externalId":"in_sgp_new_1","item":{"items":[{"item":{"id":"102"},"quantity":3,"rate":49.0}]}}'
	run client ns POST /services/rest/record/v1/invoice --body "$body"
	assert_line -n 0 204
	run client ns POST "/services/rest/query/v1/suiteql" --header "Prefer: transient" \
		--body "{\"q\":\"SELECT id, foreigntotal, status FROM transaction WHERE externalid = 'in_sgp_new_1'\"}"
	assert_line -n 0 200
	[ "$(sed -n 3p <<<"$output" | jget '[(r["foreigntotal"], r["status"]) for r in d["items"]]')" = "[('147', 'CustInvc:A')]" ]
	run client ns POST /services/rest/record/v1/invoice --body "$body"
	assert_output --partial '"o:errorCode":"DUP_RCRD"'
	run client ns POST /services/rest/record/v1/invoice --body '{"entity":{"id":"'"$id"'"},"item":{"items":[{"item":{"id":"102"},"amount":"12.50"}]}}'
	assert_output --partial "The value must be a number"
}

@test "sandbox: chargebee credit note POST replays chargebee-idempotency-key and lowers what is due" {
	u=test_sgp_sandbox_chargebee:
	read -r inv due < <(curl -sf -u "$u" "$SBX/chargebee/api/v2/invoices?limit=1&status%5Bis%5D=payment_due" |
		jget 'd["list"][0]["invoice"]["id"] + " " + str(d["list"][0]["invoice"]["amount_due"])')
	post() { curl -s -H 'chargebee-idempotency-key: cb-1' -u "$u" -d "reference_invoice_id=$inv" \
		-d type=adjustment -d reason_code=waiver "$@" "$SBX/chargebee/api/v2/credit_notes"; }
	id1=$(post -d total=100 | jget 'd["credit_note"]["id"]')
	id2=$(post -d total=100 | jget 'd["credit_note"]["id"]')
	[ "$id1" = "$id2" ]
	run curl -sf -u "$u" "$SBX/chargebee/api/v2/invoices/$inv"
	[ "$(jget 'd["invoice"]["amount_due"]' <<<"$output")" -eq $((due - 100)) ]
	run post -d total=101
	assert_output --partial '"error_code":"idempotency_key_mismatch"'
}

# ---- idempotency, faults, the request log ----

@test "sandbox: stripe credit note POST replays its Idempotency-Key; other parameters are refused" {
	read -r inv < <(curl -sf -H "$STRIPE_AUTH" "$SBX/stripe/v1/invoices?status=paid&limit=1" | jget 'd["data"][0]["id"]')
	before=$(count stripe credit_notes)
	post() { curl -s -D "$T/h" -H "$STRIPE_AUTH" -H 'Idempotency-Key: cn-key-1' -d "invoice=$inv" "$@" \
		"$SBX/stripe/v1/credit_notes"; }
	id1=$(post -d amount=500 -d reason=order_change | jget 'd["id"]')
	id2=$(post -d amount=500 -d reason=order_change | jget 'd["id"]')
	[[ $id1 == cn_* ]]
	[ "$id1" = "$id2" ]
	grep -qi '^Idempotent-Replayed: true' "$T/h"
	[ "$(count stripe credit_notes)" -eq $((before + 1)) ]
	run post -d amount=600
	assert_output --partial '"type":"idempotency_error"'
	run curl -sf "$SBX/_sandbox/requests?path_prefix=/stripe/v1/credit_notes&method=POST"
	[ "$(jget '[(r["status"], r["replayed"], r["headers"]["Idempotency-Key"]) for r in d["requests"]]' <<<"$output")" = \
		"[(200, False, 'cn-key-1'), (200, True, 'cn-key-1'), (400, False, 'cn-key-1')]" ]
	[ "$(jget 'any("Authorization" in r["headers"] for r in d["requests"])' <<<"$output")" = False ]
	[ "$(jget '{r["auth"] for r in d["requests"]}' <<<"$output")" = "{'bearer'}" ]
}

@test "sandbox: a fault is delivered to exactly the next N matching requests" {
	fault '{"path_prefix":"/stripe/v1/invoices","kind":"429","count":3}'
	codes=
	for i in 1 2 3 4 5; do
		codes="$codes $(curl -s -o /dev/null -D "$T/h$i" -w '%{http_code}' -H "$STRIPE_AUTH" "$SBX/stripe/v1/invoices?limit=1")"
	done
	[ "$codes" = " 429 429 429 200 200" ]
	run grep -qi '^Retry-After' "$T/h1"
	assert_failure
	curl -s -H "$STRIPE_AUTH" "$SBX/stripe/v1/customers?limit=1" >/dev/null
	run curl -sf "$SBX/_sandbox/faults"
	[ "$(jget '(d["faults"][0]["delivered"], d["faults"][0]["remaining"])' <<<"$output")" = "(3, 0)" ]
	run curl -sf "$SBX/_sandbox/requests"
	[ "$(jget '[r["fault"] for r in d["requests"]]' <<<"$output")" = "['429', '429', '429', None, None, None]" ]
}

@test "sandbox: skip lets matching requests through first; method narrows the match" {
	fault '{"path_prefix":"/stripe/v1/","method":"GET","kind":"500","skip":2,"count":1}'
	codes=
	for i in 1 2 3 4; do
		codes="$codes $(curl -s -o "$T/b$i" -w '%{http_code}' -H "$STRIPE_AUTH" "$SBX/stripe/v1/customers?limit=1")"
	done
	[ "$codes" = " 200 200 500 200" ]
	grep -q '"type":"api_error"' "$T/b3"
}

@test "sandbox: 429 Retry-After is the vendor's default, seconds, an HTTP-date, or absent" {
	auth="Authorization: Basic $(printf '%s' 'agent@sgp-sandbox.example/token:zd_sgp_sandbox_token' | base64 | tr -d '\n')"
	url="$SBX/zendesk/api/v2/tickets.json"
	fault '{"path_prefix":"/zendesk","kind":"429"}'
	curl -s -D "$T/h" -o /dev/null -H "$auth" "$url"
	grep -q '^Retry-After: 1' "$T/h"
	fault '{"path_prefix":"/zendesk","kind":"429","retry_after":7}'
	curl -s -D "$T/h" -o /dev/null -H "$auth" "$url"
	grep -q '^Retry-After: 7' "$T/h"
	fault '{"path_prefix":"/zendesk","kind":"429","retry_after":30,"retry_after_format":"http-date"}'
	curl -s -D "$T/h" -o /dev/null -H "$auth" "$url"
	grep -Eq '^Retry-After: [A-Z][a-z]{2}, [0-9]{2} [A-Z][a-z]{2} [0-9]{4} [0-9:]{8} GMT' "$T/h"
	fault '{"path_prefix":"/zendesk","kind":"429","retry_after":null}'
	curl -s -D "$T/h" -o /dev/null -H "$auth" "$url"
	grep -q '^HTTP/1.1 429' "$T/h"
	run grep -qi '^Retry-After' "$T/h"
	assert_failure
	fault '{"path_prefix":"/salesforce","kind":"rate_limit"}'
	run curl -s -w ' %{http_code}' "$SBX/salesforce/services/data/v59.0/query?q=x"
	assert_output '[{"message":"TotalRequests Limit exceeded.","errorCode":"REQUEST_LIMIT_EXCEEDED"}] 403'
	run curl -s -X POST "$SBX/_sandbox/faults" -d '{"path_prefix":"/zendesk","kind":"teapot"}'
	assert_output --partial "unknown fault kind"
	run curl -s -w ' %{http_code}' -X POST "$SBX/_sandbox/faults" -d '{"path_prefix":"/zendesk","kind":"429","delay_ms":5}'
	assert_output '{"error":"delay_ms applies to kind slow only"} 400'
	run curl -s -w ' %{http_code}' -X POST "$SBX/_sandbox/faults" -d '{"path_prefix":"/zendesk","kind":"429","colour":"red"}'
	assert_output '{"error":"unknown fault field colour"} 400'
}

@test "sandbox: 503, malformed, slow, reset and hangup faults" {
	url="$SBX/stripe/v1/customers?limit=5"
	fault '{"path_prefix":"/stripe/v1/customers","kind":"503","retry_after":2}'
	run curl -s -D "$T/h" -H "$STRIPE_AUTH" "$url"
	grep -q '^HTTP/1.1 503' "$T/h"
	grep -q '^Retry-After: 2' "$T/h"
	assert_output --partial "Service Unavailable"
	fault '{"path_prefix":"/stripe/v1/customers","kind":"malformed"}'
	curl -s -o "$T/m" -w '%{http_code}' -H "$STRIPE_AUTH" "$url" >"$T/code"
	[ "$(cat "$T/code")" = 200 ]
	[ -s "$T/m" ]
	run "$PYTHON" -c 'import json, sys; json.load(open(sys.argv[1]))' "$T/m"
	assert_failure
	fault '{"path_prefix":"/stripe/v1/customers","kind":"slow","delay_ms":50}'
	run curl -sf -H "$STRIPE_AUTH" "$url"
	[ "$(jget 'len(d["data"])' <<<"$output")" = 5 ]
	fault '{"path_prefix":"/stripe/v1/customers","kind":"reset"}'
	run curl -s -H "$STRIPE_AUTH" "$url"
	assert_failure 56
	fault '{"path_prefix":"/stripe/v1/customers","kind":"hangup"}'
	run curl -s -H "$STRIPE_AUTH" "$url"
	assert_failure
	run curl -sf "$SBX/_sandbox/requests"
	[ "$(jget '[(r["fault"], r["status"]) for r in d["requests"]]' <<<"$output")" = \
		"[('503', 503), ('malformed', 200), ('slow', 200), ('reset', 200), ('hangup', None)]" ]
}

@test "sandbox: a POST whose reply is reset mid-body was applied; a hangup one was not" {
	read -r inv < <(curl -sf -H "$STRIPE_AUTH" "$SBX/stripe/v1/invoices?status=paid&limit=1" | jget 'd["data"][0]["id"]')
	before=$(count stripe credit_notes)
	fault '{"path_prefix":"/stripe/v1/credit_notes","method":"POST","kind":"hangup"}'
	run curl -s -H "$STRIPE_AUTH" -H 'Idempotency-Key: k-9' -d "invoice=$inv" -d amount=100 "$SBX/stripe/v1/credit_notes"
	assert_failure
	[ "$(count stripe credit_notes)" -eq "$before" ]
	fault '{"path_prefix":"/stripe/v1/credit_notes","method":"POST","kind":"reset"}'
	run curl -s -H "$STRIPE_AUTH" -H 'Idempotency-Key: k-9' -d "invoice=$inv" -d amount=100 "$SBX/stripe/v1/credit_notes"
	assert_failure 56
	[ "$(count stripe credit_notes)" -eq $((before + 1)) ]
	run curl -s -D "$T/h" -H "$STRIPE_AUTH" -H 'Idempotency-Key: k-9' -d "invoice=$inv" -d amount=100 "$SBX/stripe/v1/credit_notes"
	assert_success
	grep -qi '^Idempotent-Replayed: true' "$T/h"
	[ "$(count stripe credit_notes)" -eq $((before + 1)) ]
}

@test "sandbox: each vendor refuses bad credentials its own way" {
	check() { # PATH EXPECTED-STATUS MARKER CURL-ARGS...
		local path=$1 want=$2 marker=$3
		shift 3
		run curl -s -w ' %{http_code}' "$@" "$SBX$path"
		assert_output --regexp " $want\$"
		assert_output --partial "$marker"
	}
	check /stripe/v1/invoices 401 'Invalid API Key provided' -H 'Authorization: Bearer sk_test_wrong'
	check /stripe/v1/invoices 401 'You did not provide an API key'
	check /zendesk/api/v2/tickets.json 401 "Couldn't authenticate you" -u 'agent@sgp-sandbox.example/token:wrong'
	check /salesforce/services/data/v59.0/query?q=x 401 INVALID_SESSION_ID -H 'Authorization: Bearer 00Dnope'
	check /netsuite/services/rest/record/v1/invoice 401 INVALID_LOGIN -H 'Authorization: OAuth realm="1234567_SB1"'
	check /chargebee/api/v2/invoices 401 api_authentication_failed -u wrong:
	check /hubspot/crm/v3/objects/deals 401 INVALID_AUTHENTICATION -H 'Authorization: Bearer pat-wrong'
	check /servicenow/api/now/table/customer_account 401 'User Not Authenticated' -u sgp.integration:wrong
	check /revrec/api/v1/revenue_schedules 401 unauthorized -H 'X-API-Key: wrong'
	fault '{"path_prefix":"/chargebee","kind":"403"}'
	check /chargebee/api/v2/invoices 403 api_authorization_failed -u test_sgp_sandbox_chargebee:
}

@test "sandbox: the request log keeps secrets out" {
	client sf-token >/dev/null
	curl -s -H 'X-API-Key: rr_test_sgp_sandbox' "$SBX/revrec/api/v1/revenue_schedules" >/dev/null
	run curl -sf "$SBX/_sandbox/requests"
	[ "$(jget 'd["requests"][0]["body"]' <<<"$output")" = \
		"grant_type=client_credentials&client_id=sgp_sandbox_client&client_secret=REDACTED" ]
	[ "$(jget 'd["requests"][1]["auth"]' <<<"$output")" = x-api-key ]
	refute_output --partial sf_sgp_sandbox_secret
	refute_output --partial rr_test_sgp_sandbox
	[ "$(jget 'any(k.lower() in ("x-api-key", "authorization") for r in d["requests"] for k in r["headers"])' <<<"$output")" = False ]
}

@test "sandbox: reset clears the log, the faults and what was posted" {
	read -r inv < <(curl -sf -H "$STRIPE_AUTH" "$SBX/stripe/v1/invoices?status=paid&limit=1" | jget 'd["data"][0]["id"]')
	before=$(count stripe credit_notes)
	curl -sf -H "$STRIPE_AUTH" -d "invoice=$inv" -d amount=100 "$SBX/stripe/v1/credit_notes" >/dev/null
	fault '{"path_prefix":"/stripe","kind":"500","count":5}'
	[ "$(count stripe credit_notes)" -eq $((before + 1)) ]
	curl -sf -X POST "$SBX/_sandbox/reset" >/dev/null
	[ "$(count stripe credit_notes)" -eq "$before" ]
	run curl -sf "$SBX/_sandbox/requests"
	[ "$(jget 'd["count"]' <<<"$output")" = 0 ]
	run curl -sf "$SBX/_sandbox/faults"
	assert_output '{"faults":[]}'
	run curl -s -o /dev/null -w '%{http_code}' -H "$STRIPE_AUTH" "$SBX/stripe/v1/invoices"
	assert_output 200
}

# ---- data ----

@test "sandbox: seeding adds later records to a stream and its mirror" {
	stripe=$(count stripe invoices)
	netsuite=$(count netsuite invoice)
	newest=$(curl -sf -H "$STRIPE_AUTH" "$SBX/stripe/v1/invoices?limit=1" | jget 'd["data"][0]["created"]')
	run curl -sf -X POST "$SBX/_sandbox/seed" -d '{"vendor":"stripe","stream":"invoices","count":2}'
	assert_success
	[ "$(count stripe invoices)" -eq $((stripe + 2)) ]
	[ "$(count netsuite invoice)" -eq $((netsuite + 2)) ]
	run curl -sf -H "$STRIPE_AUTH" "$SBX/stripe/v1/invoices?limit=100&created%5Bgt%5D=$newest"
	[ "$(jget 'len(d["data"])' <<<"$output")" = 2 ]
	run curl -s -X POST "$SBX/_sandbox/seed" -d '{"vendor":"stripe","stream":"refunds"}'
	assert_output --partial "has no stream"
	run curl -sf -X POST "$SBX/_sandbox/touch" -d '{"kind":"invoice","count":1}'
	key=$(jget 'd["touched"][0]["ids"]["netsuite"]' <<<"$output")
	run client ns GET "/services/rest/record/v1/invoice/$key"
	assert_output --partial '"refName":"Paid In Full"'
}

@test "sandbox: the same seed gives the same data; another seed other data" {
	start_own --seed 1
	a=$(curl -sf -H "$STRIPE_AUTH" "$OWN_URL/stripe/v1/invoices?limit=20")
	b=$(curl -sf -H "$STRIPE_AUTH" "$SBX/stripe/v1/invoices?limit=20")
	[ "$a" = "$b" ]
	stop_pid "$OWN_PID"
	start_own --seed 2 --scale 2
	c=$(curl -sf -H "$STRIPE_AUTH" "$OWN_URL/stripe/v1/invoices?limit=20")
	[ "$a" != "$c" ]
	[ "$(count netsuite customer "$OWN_URL")" -eq 200 ]
	[ "$(count netsuite customer)" -eq 100 ]
}

@test "sandbox: invoices agree across Stripe, Chargebee and NetSuite" {
	client walk stripe invoices 100 --out "$T/stripe.ndjson" >/dev/null
	client walk chargebee invoices 100 --out "$T/chargebee.ndjson" >/dev/null
	client walk netsuite suiteql 1000 --out "$T/ns.ndjson" \
		--query "SELECT id, custbody_sgp_billing_id, foreigntotal, currency FROM transaction WHERE type = 'CustInvc'" >/dev/null
	run "$PYTHON" - "$T" <<'PY'
import json, sys
from decimal import Decimal
d = sys.argv[1]
exp = {"usd": 2, "eur": 2, "gbp": 2, "cad": 2, "aud": 2, "jpy": 0, "kwd": 3}
billed = {}
for name in ("stripe", "chargebee"):
    for line in open("%s/%s.ndjson" % (d, name)):
        r = json.loads(line)
        cur = (r.get("currency") or r.get("currency_code")).lower()
        billed[r["id"]] = Decimal(r["total"]).scaleb(-exp[cur])
ns = {}
for line in open(d + "/ns.ndjson"):
    r = json.loads(line)
    ns[r["custbody_sgp_billing_id"]] = Decimal(r["foreigntotal"])
assert len(billed) == len(ns) > 500, (len(billed), len(ns))
bad = [k for k in billed if ns.get(k) != billed[k]]
assert not bad, bad[:5]
print("agree", len(ns))
PY
	assert_success
	assert_output --regexp '^agree [0-9]+$'
}

@test "sandbox: --data-dir keeps posted records and idempotency keys across a restart" {
	start_own --data-dir "$T/data"
	SBX=$OWN_URL
	read -r inv < <(curl -sf -H "$STRIPE_AUTH" "$SBX/stripe/v1/invoices?status=paid&limit=1" | jget 'd["data"][0]["id"]')
	id1=$(curl -sf -H "$STRIPE_AUTH" -H 'Idempotency-Key: dd-1' -d "invoice=$inv" -d amount=700 "$SBX/stripe/v1/credit_notes" | jget 'd["id"]')
	curl -sf -X POST "$SBX/_sandbox/seed" -d '{"kind":"ticket","count":2}' >/dev/null
	cn=$(count stripe credit_notes "$SBX")
	tickets=$(count zendesk tickets "$SBX")
	stop_pid "$OWN_PID"
	[ -s "$T/data/requests.ndjson" ]
	start_own --data-dir "$T/data"
	SBX=$OWN_URL
	[ "$(count stripe credit_notes "$SBX")" -eq "$cn" ]
	[ "$(count zendesk tickets "$SBX")" -eq "$tickets" ]
	id2=$(curl -sf -H "$STRIPE_AUTH" -H 'Idempotency-Key: dd-1' -d "invoice=$inv" -d amount=700 "$SBX/stripe/v1/credit_notes" | jget 'd["id"]')
	[ "$id1" = "$id2" ]
	stop_pid "$OWN_PID"
	OWN_PID=
	run --separate-stderr "$PYTHON" "$SANDBOX" --data-dir "$T/data" --seed 2
	assert_failure 2
	[[ $stderr == *"--seed 1"* ]]
}

@test "sandbox: the OAuth 1.0a base string follows RFC 5849 section 3.4.1.1" {
	run "$PYTHON" - "$SGP_ROOT/contrib/sandbox" <<'PY'
import sys, urllib.parse
sys.path.insert(0, sys.argv[1])
import oauth1
h = ('OAuth realm="Example", oauth_consumer_key="9djdj82h48djs9d2", oauth_token="kkk9d7dh3k39sjv7", '
     'oauth_signature_method="HMAC-SHA1", oauth_timestamp="137131201", oauth_nonce="7d8f3e4a", '
     'oauth_signature="bYT5CMsGcbgUdFHObYMEfcx6bsw%3D"')
q = urllib.parse.parse_qsl("b5=%3D%253D&a3=a&c%40=&a2=r%20b", keep_blank_values=True)
body = urllib.parse.parse_qsl("c2&a3=2+q", keep_blank_values=True)
print(oauth1.base_string("POST", "http://example.com/request", q, body, oauth1.parse_header(h)))
PY
	assert_output "POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q%26a3%3Da%26b5%3D%253D%25253D%26c%2540%3D%26c2%3D%26oauth_consumer_key%3D9djdj82h48djs9d2%26oauth_nonce%3D7d8f3e4a%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D137131201%26oauth_token%3Dkkk9d7dh3k39sjv7"
}
