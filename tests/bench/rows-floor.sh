# rows-floor.sh: the parse floor: read and parse every line, write it back
# byte for byte, against cat, jansson parse+dump and jq/gojq -c.
# shellcheck shell=bash
FLOOR_BIN=$TMPD/sgp-parse-floor
cc -O2 -std=gnu11 -D_GNU_SOURCE -I"$ROOT/libcommon" $(pkg-config --cflags jansson) \
	-o "$FLOOR_BIN" "$ROOT/tests/bench/parse-floor.c" "$ROOT/$BUILD/libcommon.a" \
	$(pkg-config --libs jansson libcurl libpcre2-8 sqlite3 libcrypto) -lcsv -lm -pthread || FLOOR_BIN=
JANSSON_CAT=$TMPD/jansson-cat
cc -O2 -o "$JANSSON_CAT" "$BENCH/src/jansson-cat.c" -ljansson || JANSSON_CAT=

bench_row floor "cat" "I/O floor, canonical A" "$NA" "$BYTES_A" -- cat "$A"
[ -n "$FLOOR_BIN" ] && bench_row floor "sgp-parse-floor" "read+parse+pass through, A (libcommon reader)" "$NA" "$BYTES_A" -- "$FLOOR_BIN" "$A"
[ -n "$FLOOR_BIN" ] && bench_row floor "sgp-parse-floor -j2" "same on the ordered pipeline, 2 workers" "$NA" "$BYTES_A" -- "$FLOOR_BIN" -j2 "$A"
[ -n "$JANSSON_CAT" ] && bench_row floor "jansson-cat" "parse+compact reserialize, A" "$NA" "$BYTES_A" -- sh -c "\"$JANSSON_CAT\" < \"$A\""
have jq && bench_row floor "jq -c ." "parse+reserialize, A" "$NA" "$BYTES_A" -- jq -c . "$A"
have gojq && bench_row floor "gojq -c ." "parse+reserialize, A" "$NA" "$BYTES_A" -- gojq -c . "$A"
