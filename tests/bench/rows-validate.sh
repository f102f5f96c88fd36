# rows-validate.sh: sgp-validate on the canonical file A against the bench
# schema (draft 2020-12, formats asserted as ajv-formats does), on 1 and 2
# workers, beside ajv and python-jsonschema where they are installed.
# Sourced by tests/bench/run.sh (bench_row, have, $A, $NA, $BYTES_A,
# $BENCH_SCHEMA, $BENCH_NODE, $SGP_SHARED, $BENCH_DATA, $TMPD).
# shellcheck shell=bash

bench_row validate "sgp-validate -j2" "validate draft 2020-12 + formats, A" "$NA" "$BYTES_A" -- \
	sgp-validate --schema "$BENCH_SCHEMA" --format-assert -j 2 --rejects /dev/null "$A"
bench_row validate "sgp-validate -j1" "same, one worker" "$NA" "$BYTES_A" -- \
	sgp-validate --schema "$BENCH_SCHEMA" --format-assert -j 1 --rejects /dev/null "$A"

if have node && [ -d "$BENCH_NODE/node_modules/ajv-formats" ]; then
	bench_row validate "ajv (node)" "validate draft 2020-12 + formats, A" "$NA" "$BYTES_A" -- \
		node "$SGP_SHARED/bench/validate-ajv.js" "$BENCH_SCHEMA" "$A"
fi

# python-jsonschema is about 15 times slower than ajv: measured on the
# first 50,000 lines; events/s is computed on those.
if [ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import jsonschema' 2>/dev/null; then
	PY_N=$(( NA < 50000 ? NA : 50000 ))
	PY_A=$BENCH_DATA/events-$PY_N-of-$(basename "$A")
	[ -s "$PY_A" ] || head -n "$PY_N" "$A" >"$PY_A"
	bench_row validate "python-jsonschema" "validate draft 2020-12 + formats, first $PY_N of A" \
		"$PY_N" "$(stat -c %s "$PY_A")" -- \
		/usr/bin/python3 "$SGP_SHARED/bench/validate-jsonschema.py" "$BENCH_SCHEMA" "$PY_A"
fi

# The rows are only worth comparing if sgp-validate finds exactly the
# invalid events the generator made.
if [ -z "$ONLY" ] || [[ "validate sgp-validate" =~ $ONLY ]]; then
	sgp-validate --schema "$BENCH_SCHEMA" --format-assert --rejects /dev/null \
		--stats "$TMPD/validate-stats.json" "$A" >/dev/null
	got=$(sed -n 's/.*"rejected":\([0-9]*\).*/\1/p' "$TMPD/validate-stats.json")
	want=$(tr -d ' \n' <"$A.manifest.json" | sed -n 's/.*"invalid":\([0-9]*\).*/\1/p')
	if [ "$got" = "$want" ]; then
		echo "  validate  sgp-validate rejected $got events, as the manifest says" >&2
	else
		echo "  validate  MISMATCH: sgp-validate rejected $got events, the manifest says $want" >&2
	fi
fi
