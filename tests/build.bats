#!/usr/bin/env bats
# build.bats: install/uninstall layout, man page lint, the fault shim.

load helpers

@test "make install puts tools, man pages, schemas and contrib data under PREFIX" {
	run make -C "$SGP_ROOT" --no-print-directory install BUILD="$SGP_BUILD" SANITIZE="${SGP_SANITIZE:-}" \
		DESTDIR="$T/dest"
	assert_success
	for b in "$SGP_BIN"/sgp-*; do
		[ -e "$b" ] || continue
		[ -x "$T/dest/usr/local/bin/${b##*/}" ]
	done
	for m in "$SGP_ROOT"/man/*.[157]; do
		[ -e "$m" ] || continue
		s=${m##*.}
		[ -f "$T/dest/usr/local/share/man/man$s/${m##*/}" ]
	done
	[ -d "$T/dest/usr/local/share/sgp/schemas" ]
	[ -f "$T/dest/usr/local/share/sgp/schemas/meta/draft2020-12/schema.json" ]
	run make -C "$SGP_ROOT" --no-print-directory uninstall BUILD="$SGP_BUILD" SANITIZE="${SGP_SANITIZE:-}" \
		DESTDIR="$T/dest"
	assert_success
	[ ! -e "$T/dest/usr/local/share/sgp" ]
	[ -z "$(find "$T/dest" -type f)" ]
}

@test "every man page is mandoc -Tlint clean" {
	requires mandoc
	shopt -s nullglob
	pages=("$SGP_ROOT"/man/*.[157])
	[ ${#pages[@]} -gt 0 ] || skip "no man pages yet"
	run mandoc -Tlint -Wwarning "${pages[@]}"
	assert_success
	assert_output ""
}

@test "every tool has a man page whose SYNOPSIS names it, and answers --help and --version" {
	shopt -s nullglob
	for b in "$SGP_BIN"/sgp-*; do
		t=${b##*/}
		[ -f "$SGP_ROOT/man/$t.1" ]
		grep -q "^\.Nm $t" "$SGP_ROOT/man/$t.1"
		run "$b" --help
		assert_success
		assert_output --partial "$t"
		run "$b" --version
		assert_success
		assert_output --regexp "^$t [0-9]+\.[0-9]+\.[0-9]+"
		run "$b" --no-such-option
		[ "$status" -eq 2 ]
	done
}

@test "the fault shim fails writes with ENOSPC" {
	[ -f "$SGP_ROOT/$SGP_BUILD/lib/sgp-inject.so" ]
	cat >"$T/w.py" <<'PY'
import os, sys
try:
    os.write(1, b"hello\n")
except OSError as e:
    print(e.strerror, file=sys.stderr)
    sys.exit(7)
PY
	run env LD_PRELOAD="$SGP_ROOT/$SGP_BUILD/lib/sgp-inject.so" SGP_FAULT_WRITE_FD=1 \
		/usr/bin/python3 "$T/w.py"
	[ "$status" -eq 7 ]
	assert_output --partial "No space left on device"
}
