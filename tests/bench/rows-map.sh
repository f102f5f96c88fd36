# rows-map.sh: sgp-map against jq, gojq and Miller on the same mapping:
# ../shared/bench gen-vendor's Stripe-like invoices to canonical
# invoice.posted events.  tests/bench/map-vendor.json is the spec
# equivalent to ../shared/bench/map-vendor.jq (same data; tests/sgp-map.bats
# checks that).  The jansson-cat row is the parse+dump floor of the same
# records, for scale.
# shellcheck shell=bash
MAP_SPEC=$ROOT/tests/bench/map-vendor.json

bench_row map "sgp-map -j2" "map vendor->canonical, 2 workers" "$NV" "$BYTES_V" -- \
	sgp-map -j 2 -t stripe.invoice -m "$MAP_SPEC" "$V"
bench_row map "sgp-map -j1" "map vendor->canonical, 1 thread" "$NV" "$BYTES_V" -- \
	sgp-map -j 1 -t stripe.invoice -m "$MAP_SPEC" "$V"
have jq && bench_row map "jq -f map-vendor.jq" "map vendor->canonical" "$NV" "$BYTES_V" -- \
	jq -c -f "$BENCH/map-vendor.jq" "$V"
have gojq && bench_row map "gojq -f map-vendor.jq" "map vendor->canonical" "$NV" "$BYTES_V" -- \
	gojq -c -f "$BENCH/map-vendor.jq" "$V"
have mlr && bench_row map "mlr put -f map-vendor.mlr" "map vendor->canonical" "$NV" "$BYTES_V" -- \
	mlr --ijsonl --ojsonl put -f "$BENCH/map-vendor.mlr" "$V"
[ -n "${JANSSON_CAT:-}" ] && bench_row map "jansson-cat (floor)" "parse+compact reserialize, vendor" "$NV" "$BYTES_V" -- \
	sh -c "\"$JANSSON_CAT\" < \"$V\""
