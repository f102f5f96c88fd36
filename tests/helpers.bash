# helpers.bash: loaded by every bats file.
#   load helpers
# Puts the freshly built tools first on PATH (tests/run.sh exports SGP_BIN),
# loads bats-support and bats-assert, and gives each test its own $T dir.

load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'

: "${SGP_ROOT:=$(cd "$BATS_TEST_DIRNAME/.." && pwd)}"
: "${SGP_BUILD:=build}"
: "${SGP_BIN:=$SGP_ROOT/$SGP_BUILD/bin}"
: "${SGP_SHARED:=$SGP_ROOT/../shared}"
: "${SGP_DATADIR:=$SGP_ROOT}"
export SGP_ROOT SGP_BIN SGP_SHARED SGP_DATADIR
PATH="$SGP_BIN:$PATH"
FIX="$SGP_ROOT/tests/fixtures"

setup() {
	T="$BATS_TEST_TMPDIR"
	cd "$T" || return 1
	if declare -F local_setup >/dev/null; then local_setup; fi
}

# requires CMD...: skip the test, with the reason, when a command is missing.
requires() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || skip "needs $c"
	done
}

# lines_of FILE: number of lines in FILE.
lines_of() { wc -l <"$1" | tr -d ' '; }

# with_faults VAR=VALUE... -- CMD ARGS...: run CMD with the I/O fault shim
# (tests/faults/inject.c) preloaded and configured by the VAR=VALUE
# settings (SGP_FAULT_WRITE_FD=1, ...).  Works under ASan builds too.
with_faults() {
	local envs=()
	while [ $# -gt 0 ] && [ "$1" != "--" ]; do
		envs+=("$1")
		shift
	done
	shift
	env LD_PRELOAD="$SGP_ROOT/$SGP_BUILD/lib/sgp-inject.so" \
		ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
		"${envs[@]}" "$@"
}
