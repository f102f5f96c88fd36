#!/usr/bin/env bash
# run.sh SECONDS [NAME...]: run each libFuzzer harness of build-fuzz for
# SECONDS, on a copy of its seed corpus (tests/fuzz/corpus/NAME), and print
# the executions each made.  Exits 1 if any harness found a crash (the
# crashing input is kept under build-fuzz/crashes/NAME).
set -u
cd "$(dirname "$0")/../.." || exit 2
secs=${1:-60}
shift || true
names=("$@")
if [ ${#names[@]} -eq 0 ]; then
	for f in tests/fuzz/fuzz_*.c; do
		n=${f##*/}
		names+=("${n%.c}")
	done
fi
fail=0
for n in "${names[@]}"; do
	bin=build-fuzz/fuzz/$n
	[ -x "$bin" ] || { echo "fuzz: $bin not built" >&2; fail=1; continue; }
	work=build-fuzz/corpus/$n
	mkdir -p "$work" "build-fuzz/crashes/$n"
	[ -d "tests/fuzz/corpus/$n" ] && cp -n tests/fuzz/corpus/"$n"/* "$work"/ 2>/dev/null
	dict=()
	[ -f "tests/fuzz/$n.dict" ] && dict=(-dict="tests/fuzz/$n.dict")
	ASAN_OPTIONS=detect_leaks=1 "$bin" -max_total_time="$secs" -rss_limit_mb=2048 -max_len=65536 \
		-artifact_prefix="build-fuzz/crashes/$n/" -print_final_stats=1 "${dict[@]}" "$work" \
		>"build-fuzz/$n.log" 2>&1
	rc=$?
	execs=$(awk '/stat::number_of_executed_units/ {print $2}' "build-fuzz/$n.log")
	if [ $rc -ne 0 ]; then
		echo "fuzz: $n: FAILED after ${execs:-?} executions (see build-fuzz/$n.log)"
		grep -m 5 -E 'ERROR|SUMMARY|Test unit written' "build-fuzz/$n.log"
		fail=1
	else
		echo "fuzz: $n: ${execs:-0} executions in ${secs}s, no crash"
	fi
done
exit $fail
