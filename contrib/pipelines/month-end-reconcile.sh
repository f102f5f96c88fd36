#!/usr/bin/env bash
# month-end-reconcile.sh: the month-end reconciliation of billing against the
# ERP and the revenue platform, from their exports.
#
#   month-end-reconcile.sh [-o OUTDIR] BILLING.ndjson ERP.csv REVENUE.ndjson
#
# BILLING is a Stripe invoice export (one invoice object per line), ERP a
# NetSuite invoice saved search exported as CSV (columns "External ID" =
# the Stripe invoice id, "Currency", "Amount", "Date"), REVENUE the revenue
# platform's schedule export (one object per contract: contract_id,
# currency, billed).
#
# 1. sgp-map turns the Stripe invoices into canonical invoice.posted events
#    (contrib/mappings/stripe-invoice.json) and sgp-validate checks them
#    against schemas/events/invoice.posted.1.json;
# 2. sgp-reconcile compares them with the ERP export, invoice by invoice
#    (total within 0.01, same currency, posting date within a day);
# 3. sgp-reconcile sums the invoices' subtotals per contract and compares
#    them with what the revenue platform says it billed.
#
# Writes into OUTDIR (default ./month-end): the canonical events, the
# rejects of each stage, the discrepancies as sgp.event/1 lines (to route to
# an owner's queue) and as CSV (for finance), and the summaries.  Exits 0
# when everything agrees, 1 when there are discrepancies or rejects, 2 on
# usage errors and 3 on system faults, like the tools.
set -u
prog=${0##*/}
out=./month-end
usage() { echo "usage: $prog [-o OUTDIR] BILLING.ndjson ERP.csv REVENUE.ndjson" >&2; exit 2; }
while getopts 'o:h' opt; do
	case $opt in
	o) out=$OPTARG ;;
	h) sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 3 ] || usage
billing=$1 erp=$2 revenue=$3
for f in "$billing" "$erp" "$revenue"; do
	[ -r "$f" ] || { echo "$prog: cannot read '$f'" >&2; exit 2; }
done
mkdir -p "$out" || exit 3

worst=0
# note STATUS STAGE: remember the worst exit status; stop on 2 or 3.
note() {
	if [ "$1" -ge 2 ]; then
		echo "$prog: $2 failed with status $1" >&2
		exit "$1"
	fi
	[ "$1" -gt "$worst" ] && worst=$1
	return 0
}

canon=$out/billing-invoices.canonical.ndjson
sgp-map -m stripe-invoice --type stripe.invoice -q \
	--rejects "$out/map.rejects.ndjson" --stats "$out/map.stats.json" "$billing" |
	sgp-validate --rejects "$out/validate.rejects.ndjson" --stats "$out/validate.stats.json" \
	>"$canon"
st=("${PIPESTATUS[@]}")
note "${st[0]}" sgp-map
note "${st[1]}" sgp-validate

# Billing against the ERP, invoice by invoice.
erp_args=(-k /data/invoice_id="External ID"
	-m /data/total=Amount,currency=/data/currency=Currency,abs=0.01
	-t /data/posted_at=Date,drift=1d
	--name billing-vs-erp --as-of "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
	--rejects "$out/billing-vs-erp.rejects.ndjson")
sgp-reconcile "${erp_args[@]}" -q --summary "$out/billing-vs-erp.summary.json" \
	"$canon" "$erp" >"$out/billing-vs-erp.ndjson"
note $? "sgp-reconcile (billing vs ERP)"
sgp-reconcile "${erp_args[@]}" -f csv "$canon" "$erp" \
	>"$out/billing-vs-erp.csv" 2>"$out/billing-vs-erp.summary.txt"
note $? "sgp-reconcile (billing vs ERP, CSV)"

# Billing against the revenue platform, per contract: the invoices'
# subtotals summed per contract on the billing side.
rev_args=(-k /data/contract_id=/contract_id
	-m /data/subtotal=/billed,currency=/data/currency=/currency
	-a left --name billing-vs-revenue --as-of "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
	--rejects "$out/billing-vs-revenue.rejects.ndjson")
sgp-reconcile "${rev_args[@]}" -q --summary "$out/billing-vs-revenue.summary.json" \
	"$canon" "$revenue" >"$out/billing-vs-revenue.ndjson"
note $? "sgp-reconcile (billing vs revenue)"
sgp-reconcile "${rev_args[@]}" -f csv "$canon" "$revenue" \
	>"$out/billing-vs-revenue.csv" 2>"$out/billing-vs-revenue.summary.txt"
note $? "sgp-reconcile (billing vs revenue, CSV)"

count() { [ -s "$1" ] && wc -l <"$1" | tr -d ' ' || echo 0; }
echo "== Month-end reconciliation =="
echo "billing export: $(count "$billing") invoices; mapped and validated: $(count "$canon")" \
	"(rejected: map $(count "$out/map.rejects.ndjson"), validate $(count "$out/validate.rejects.ndjson"))"
echo
echo "-- billing vs ERP (invoice by invoice) --"
cat "$out/billing-vs-erp.summary.txt"
echo
echo "-- billing vs revenue platform (per contract) --"
cat "$out/billing-vs-revenue.summary.txt"
echo
echo "Reports for finance:   $out/billing-vs-erp.csv"
echo "                       $out/billing-vs-revenue.csv"
echo "Discrepancy events:    $out/billing-vs-erp.ndjson $out/billing-vs-revenue.ndjson"
exit $worst
