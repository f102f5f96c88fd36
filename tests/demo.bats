#!/usr/bin/env bats
# demo.bats: make demo on a fresh clone finds exactly the deliberate
# discrepancies of contrib/demo/README, and no others.

load helpers

@test "make demo on a fresh clone finds exactly the deliberate discrepancies" {
	git clone -q "$SGP_ROOT" "$T/clone"
	run make -C "$T/clone" --no-print-directory -j2 demo SHARED="$SGP_SHARED" DEMO_OUT="$T/out"
	assert_success
	assert_output --partial "== Month-end reconciliation =="
	assert_output --partial "billing export: 24 invoices; mapped and validated: 24 (rejected: map 0, validate 0)"
	assert_output --partial "Reports for finance:   $T/out/billing-vs-erp.csv"
	assert_output --partial "deliberate ones listed in contrib/demo/README"

	# Billing against the ERP: one of each kind, on the invoices the README names.
	run python3 - "$T/out/billing-vs-erp.ndjson" <<'PY'
import json, sys
got = sorted((e["type"], "|".join(e["data"]["key"])) for e in map(json.loads, open(sys.argv[1])))
for g in got:
    print(*g)
PY
	assert_success
	assert_output "reconcile.duplicate_key in_1QDemo0021LkdIwHu7ix
reconcile.mismatch in_1QDemo0003LkdIwHu7ix
reconcile.mismatch in_1QDemo0017LkdIwHu7ix
reconcile.missing_left MANUAL-ADJ-0001
reconcile.missing_right in_1QDemo0007LkdIwHu7ix"
	grep -q '"kind":"value".*"difference":"45.00"' "$T/out/billing-vs-erp.ndjson"
	grep -q '"kind":"currency"' "$T/out/billing-vs-erp.ndjson"
	grep -q 'matched  *21 (1 within tolerance)' "$T/out/billing-vs-erp.summary.txt"

	# Billing against the revenue platform: only contract CTR-1004.
	run python3 -c 'import json,sys; print(*[(e["type"], "|".join(e["data"]["key"])) for e in map(json.loads, open(sys.argv[1]))])' \
		"$T/out/billing-vs-revenue.ndjson"
	assert_output "('reconcile.mismatch', 'CTR-1004')"
	grep -q '"difference":"-500.00"' "$T/out/billing-vs-revenue.ndjson"

	# The discrepancies are canonical events: sgp-validate takes every one,
	# each against its reconcile schema, and each names its run.
	run env SGP_DATADIR="$T/clone" sgp-validate --stats "$T/v.json" \
		"$T/out/billing-vs-erp.ndjson" "$T/out/billing-vs-revenue.ndjson"
	assert_success
	python3 -c 'import json,sys; k = json.load(open(sys.argv[1])); assert (k["in"], k["out"], k["unchecked"]) == (6, 6, 0), k' "$T/v.json"
	[ "$(grep -c '"source":{"system":"sgp","object":"reconcile","id":"billing-vs-erp"}' "$T/out/billing-vs-erp.ndjson")" -eq 5 ]
	grep -q '"source":{"system":"sgp","object":"reconcile","id":"billing-vs-revenue"}' "$T/out/billing-vs-revenue.ndjson"

	# The CSV report for finance has a header and one row per differing field.
	head -n 1 "$T/out/billing-vs-erp.csv" | grep -q '^kind,'
	[ "$(grep -c '^mismatch,' "$T/out/billing-vs-erp.csv")" -eq 2 ]
}
