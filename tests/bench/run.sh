#!/usr/bin/env bash
# run.sh: make bench.  Generates the inputs once (../shared/bench generators),
# then measures every sgp tool and, where installed, the peer tools a user
# would pick instead, on the same files in the same run, and prints a table
# with events/s, MB/s, peak RSS and each sgp row's ratio to every peer row
# of its group.
#
#   make bench                    # N=500000 events, RUNS=3
#   BENCH_N=20000 RUNS=1 make bench   # quick look
#   ONLY=validate make bench      # only groups/tools matching the regex
#
# Rows come from tests/bench/rows-*.sh, which call
#   bench_row GROUP NAME TASK EVENTS BYTES -- CMD ARGS...
# Rows whose NAME starts with "sgp-" are sgp's own.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 2
ROOT=$PWD
BUILD=${SGP_BUILD:-build}
SGP_BIN=$ROOT/$BUILD/bin
SGP_SHARED=${SGP_SHARED:-../shared}
case "$SGP_SHARED" in /*) ;; *) SGP_SHARED=$ROOT/$SGP_SHARED ;; esac
BENCH=$SGP_SHARED/bench
N=${BENCH_N:-500000}
RUNS=${RUNS:-3}
SEED=${SEED:-42}
ONLY=${ONLY:-}
BENCH_DATA=${BENCH_DATA:-/tmp/sgp-bench-data}
BENCH_NODE=${BENCH_NODE:-/tmp/bench-node}
export SGP_DATADIR=$ROOT SGP_BIN SGP_SHARED BENCH_NODE
export NODE_PATH=$BENCH_NODE/node_modules
PATH=$SGP_BIN:$PATH

[ -x "$BENCH/gen-events" ] || { echo "bench: $BENCH/gen-events not found (set SGP_SHARED)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "bench: /usr/bin/time missing (make deps-dev)" >&2; exit 2; }
mkdir -p "$BENCH_DATA"
TMPD=$(mktemp -d /tmp/sgp-bench.XXXXXX)
trap 'rm -rf "$TMPD"' EXIT

have() { command -v "$1" >/dev/null 2>&1; }

A=$BENCH_DATA/events-$N-s$SEED.ndjson
B=$BENCH_DATA/events-b-$N-s$SEED.ndjson
V=$BENCH_DATA/vendor-$N-s$SEED.ndjson
if [ ! -s "$A" ] || [ ! -s "$A.manifest.json" ]; then
	echo "bench: generating $A" >&2
	"$BENCH/gen-events" -n "$N" --seed "$SEED" --manifest "$A.manifest.json" -o "$A.tmp" && mv "$A.tmp" "$A"
fi
if [ ! -s "$B" ] || [ ! -s "$B.manifest.json" ]; then
	echo "bench: generating $B" >&2
	"$BENCH/gen-events" -n "$N" --seed "$SEED" --variant b --shuffle --manifest "$B.manifest.json" -o "$B.tmp" && mv "$B.tmp" "$B"
fi
if [ ! -s "$V" ]; then
	echo "bench: generating $V" >&2
	"$BENCH/gen-vendor" -n "$N" --seed "$SEED" -o "$V.tmp" && mv "$V.tmp" "$V"
fi
cat "$A" "$B" "$V" >/dev/null
NA=$(wc -l <"$A"); NB=$(wc -l <"$B"); NV=$(wc -l <"$V")
BYTES_A=$(stat -c %s "$A"); BYTES_B=$(stat -c %s "$B"); BYTES_V=$(stat -c %s "$V")
BENCH_SCHEMA=$BENCH/sgp-event.schema.json
export A B V NA NB NV BYTES_A BYTES_B BYTES_V BENCH_SCHEMA

RESULTS=$TMPD/results.tsv
: >"$RESULTS"

median() { sort -g | awk '{a[NR]=$1} END { if (NR % 2) print a[(NR+1)/2]; else printf "%.3f\n", (a[NR/2]+a[NR/2+1])/2 }'; }

# bench_row GROUP NAME TASK EVENTS BYTES -- CMD ARGS...
bench_row() {
	local group=$1 name=$2 task=$3 ev=$4 by=$5
	shift 5
	[ "${1:-}" = "--" ] && shift
	if [ -n "$ONLY" ] && [[ ! "$group $name" =~ $ONLY ]]; then return 0; fi
	local r t0 t1 rss rss_max=0 status=ok
	: >"$TMPD/walls"
	for r in $(seq 1 "$RUNS"); do
		t0=$(date +%s%N)
		/usr/bin/time -f '%M' -o "$TMPD/rss" "$@" >/dev/null 2>"$TMPD/err"
		local rc=$?
		t1=$(date +%s%N)
		# exit 1 means "rejects or discrepancies found", which the inputs have.
		[ $rc -le 1 ] || status="FAIL(rc=$rc)"
		echo "$t0 $t1" | awk '{printf "%.3f\n", ($2-$1)/1e9}' >>"$TMPD/walls"
		rss=$(tail -n 1 "$TMPD/rss")
		[ "${rss:-0}" -gt "$rss_max" ] 2>/dev/null && rss_max=$rss
	done
	local wall
	wall=$(median <"$TMPD/walls")
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$group" "$name" "$task" "$ev" "$by" "$wall" "$rss_max" "$status" >>"$RESULTS"
	printf '  %-9s %-28s wall %8ss  rss %6s MB  %s\n' "$group" "$name" "$wall" "$((rss_max / 1024))" "$status" >&2
	[ "$status" = ok ] || sed 's/^/    /' "$TMPD/err" | tail -n 5 >&2
}

echo "bench: N=$N RUNS=$RUNS (inputs in $BENCH_DATA)" >&2
for f in tests/bench/rows-*.sh; do
	[ -e "$f" ] || continue
	# shellcheck disable=SC1090
	. "$f"
done

awk -F'\t' -v OFS='\t' '
{ g[NR]=$1; n[NR]=$2; t[NR]=$3; ev[NR]=$4; by[NR]=$5; w[NR]=$6; m[NR]=$7; st[NR]=$8
  eps[NR] = (w[NR] > 0) ? ev[NR] / w[NR] : 0 }
END {
  printf "| group | tool | task | events/s | MB/s | wall s | peak RSS MB | vs peers |\n"
  printf "|---|---|---|---:|---:|---:|---:|---|\n"
  for (i = 1; i <= NR; i++) {
    ratios = ""
    if (n[i] ~ /^sgp-/)
      for (j = 1; j <= NR; j++)
        if (g[j] == g[i] && n[j] !~ /^sgp-/ && eps[j] > 0 && st[j] == "ok")
          ratios = ratios sprintf("%s%.2fx %s", (ratios == "" ? "" : ", "), eps[i] / eps[j], n[j])
    printf "| %s | %s | %s | %.0f | %.1f | %s | %.0f | %s%s |\n", g[i], n[i], t[i], eps[i], \
      (w[i] > 0 ? by[i] / 1e6 / w[i] : 0), w[i], m[i] / 1024, (st[i] == "ok" ? "" : st[i] " "), ratios
  }
}' "$RESULTS"
