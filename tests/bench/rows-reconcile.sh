# rows-reconcile.sh: keyed comparison of A against B (its --variant b
# --shuffle counterpart): sgp-reconcile without and with --memory 64M,
# against the Python dict diff, Miller's join and jq + sort + join, all on
# key id and compared field data.total.  Events and bytes are A + B.
#
# Miller's unsorted join holds the left file in memory at about 57 times its
# size (15 GB RSS for 500k events), so it runs on a 100k-event pair of its own
# (MLR_N), under memguard, and the table compares events per second; the
# sgp-reconcile row on that pair is there to compare like with like.
# shellcheck shell=bash

# shellcheck disable=SC2054 # the commas belong to the --money spec
REC_ARGS=(-q -k /id -m /data/total,currency=/data/currency --rejects /dev/null)
REC_EV=$((NA + NB))
REC_BY=$((BYTES_A + BYTES_B))
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3

bench_row reconcile "sgp-reconcile" "reconcile A,B: key /id, money /data/total + currency" \
	"$REC_EV" "$REC_BY" -- "$SGP_BIN/sgp-reconcile" "${REC_ARGS[@]}" "$A" "$B"
bench_row reconcile "sgp-reconcile --memory 64M" "same, partitioned to temporary files" \
	"$REC_EV" "$REC_BY" -- "$SGP_BIN/sgp-reconcile" "${REC_ARGS[@]}" --memory 64M "$A" "$B"
bench_row reconcile "sgp-reconcile -j1" "same on one thread" \
	"$REC_EV" "$REC_BY" -- "$SGP_BIN/sgp-reconcile" "${REC_ARGS[@]}" -j1 "$A" "$B"
bench_row reconcile "python dict diff" "reconcile-dict.py: dict {id: total} of A, stream B" \
	"$REC_EV" "$REC_BY" -- "$PY" "$BENCH/reconcile-dict.py" "$A" "$B"
have jq && bench_row reconcile "jq + sort + join" "reconcile-sortjoin.sh: jq keys, LC_ALL=C sort, join" \
	"$REC_EV" "$REC_BY" -- "$BENCH/reconcile-sortjoin.sh" "$A" "$B"

if have mlr; then
	MLR_N=${MLR_N:-100000}
	if [ "$N" -le "$MLR_N" ]; then
		MA=$A MB=$B
	else
		MA=$BENCH_DATA/events-$MLR_N-s$SEED.ndjson
		MB=$BENCH_DATA/events-b-$MLR_N-s$SEED.ndjson
		if [ ! -s "$MA" ]; then
			echo "bench: generating $MA" >&2
			"$BENCH/gen-events" -n "$MLR_N" --seed "$SEED" -o "$MA.tmp" && mv "$MA.tmp" "$MA"
		fi
		if [ ! -s "$MB" ]; then
			echo "bench: generating $MB" >&2
			"$BENCH/gen-events" -n "$MLR_N" --seed "$SEED" --variant b --shuffle -o "$MB.tmp" &&
				mv "$MB.tmp" "$MB"
		fi
	fi
	M_EV=$(($(wc -l <"$MA") + $(wc -l <"$MB")))
	M_BY=$(($(stat -c %s "$MA") + $(stat -c %s "$MB")))
	bench_row reconcile "sgp-reconcile (mlr's pair)" "same on the ${M_EV}-event pair Miller runs on" \
		"$M_EV" "$M_BY" -- "$SGP_BIN/sgp-reconcile" "${REC_ARGS[@]}" "$MA" "$MB"
	bench_row reconcile "mlr join --ul --ur" "reconcile-mlr.sh on a ${M_EV}-event pair (A held in memory, ~57x its size), under memguard" \
		"$M_EV" "$M_BY" -- "$BENCH/memguard" "${MEMGUARD_MB:-1500}" "$BENCH/reconcile-mlr.sh" "$MA" "$MB"
fi
