#!/usr/bin/env bash
# run.sh [--unit-only]: run every C unit test binary in $SGP_BUILD/tests and
# every bats file in tests/, echo their TAP output, and end with one line
# "N passed, N failed, N skipped".  Exits 1 if anything failed.
set -u
cd "$(dirname "$0")/.." || exit 2
BUILD=${SGP_BUILD:-build}
export SGP_BUILD="$BUILD"
export SGP_ROOT="$PWD"
export SGP_SHARED=${SGP_SHARED:-../shared}
case "$SGP_SHARED" in /*) ;; *) SGP_SHARED="$PWD/$SGP_SHARED" ;; esac
export SGP_BIN="$PWD/$BUILD/bin"
export PATH="$SGP_BIN:$PATH"
export SGP_DATADIR="$PWD"
unit_only=0
[ "${1:-}" = "--unit-only" ] && unit_only=1

pass=0 fail=0 skip=0
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT

# tally FILE: count the TAP result lines of FILE into pass/fail/skip.
tally() {
	local p f s
	p=$(grep -cE '^ok ' "$1")
	s=$(grep -cE '^ok .*# (skip|SKIP)' "$1")
	f=$(grep -cE '^not ok ' "$1")
	pass=$((pass + p - s))
	skip=$((skip + s))
	fail=$((fail + f))
}

for t in "$BUILD"/tests/test_*; do
	[ -x "$t" ] || continue
	echo "# unit: ${t##*/}"
	if [ "${SGP_VALGRIND:-0}" = 1 ]; then
		SGP_NO_JIT=1 valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
			"$t" >"$tmp/out" 2>"$tmp/err"
	else
		"$t" >"$tmp/out" 2>"$tmp/err"
	fi
	rc=$?
	cat "$tmp/out"
	tally "$tmp/out"
	if [ $rc -ne 0 ] && ! grep -q '^not ok ' "$tmp/out"; then
		# A crash or an abort without a failed check still counts.
		echo "not ok - ${t##*/} exited with status $rc"
		sed 's/^/#   /' "$tmp/err" | tail -n 20
		fail=$((fail + 1))
	elif [ $rc -ne 0 ]; then
		sed 's/^/#   /' "$tmp/err" | tail -n 20
	fi
done

if [ $unit_only -eq 0 ]; then
	shopt -s nullglob
	files=(tests/*.bats)
	if [ ${#files[@]} -gt 0 ]; then
		for f in "${files[@]}"; do
			echo "# bats: ${f##*/}"
			t0=$(date +%s)
			bats --tap "$f" </dev/null >"$tmp/out" 2>&1
			rc=$?
			echo "# bats: ${f##*/}: $(($(date +%s) - t0)) s" >>"$tmp/times"
			cat "$tmp/out"
			tally "$tmp/out"
			if [ $rc -ne 0 ] && ! grep -q '^not ok ' "$tmp/out"; then
				echo "not ok - ${f##*/}: bats exited with status $rc"
				fail=$((fail + 1))
			fi
		done
	fi
fi

[ -f "$tmp/times" ] && cat "$tmp/times"
if [ $skip -gt 0 ]; then
	echo "$pass passed, $fail failed, $skip skipped"
else
	echo "$pass passed, $fail failed"
fi
[ $fail -eq 0 ]
