/*
 * unit.h: a tiny TAP-producing unit test harness for libcommon.
 *
 *   TEST(name) { CHECK(x == 1); CHECK_STR(got, "want"); }
 *   int main(void) { RUN(name); return unit_done(); }
 *
 * Each RUN prints "ok N - name" or "not ok N - name" followed by "# "
 * diagnostics naming the failed checks; unit_done() prints the plan and
 * returns the exit status (1 if anything failed).  tests/run.sh counts the
 * TAP lines of every test binary.
 */
#ifndef SGP_UNIT_H
#define SGP_UNIT_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int unit_n, unit_failed_tests, unit_cur_failed;

#define TEST(name) static void name(void)

#define CHECK(cond) do { \
	if (!(cond)) { \
		unit_cur_failed++; \
		printf("#   %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
	} \
} while (0)

#define CHECK_STR(got, want) do { \
	const char *g_ = (got), *w_ = (want); \
	if (g_ == NULL || w_ == NULL ? g_ != w_ : strcmp(g_, w_) != 0) { \
		unit_cur_failed++; \
		printf("#   %s:%d: %s: got \"%s\", want \"%s\"\n", __FILE__, __LINE__, \
		       #got, g_ ? g_ : "(null)", w_ ? w_ : "(null)"); \
	} \
} while (0)

#define CHECK_INT(got, want) do { \
	long long g_ = (long long)(got), w_ = (long long)(want); \
	if (g_ != w_) { \
		unit_cur_failed++; \
		printf("#   %s:%d: %s: got %lld, want %lld\n", __FILE__, __LINE__, \
		       #got, g_, w_); \
	} \
} while (0)

static inline void unit_run(const char *name, void (*fn)(void))
{
	unit_cur_failed = 0;
	fflush(stdout);
	fn();
	unit_n++;
	if (unit_cur_failed) {
		unit_failed_tests++;
		printf("not ok %d - %s\n", unit_n, name);
	} else {
		printf("ok %d - %s\n", unit_n, name);
	}
	fflush(stdout);
}

#define RUN(name) unit_run(#name, name)

static inline int unit_done(void)
{
	printf("1..%d\n", unit_n);
	return unit_failed_tests ? 1 : 0;
}

#endif
