/* test_hardening.c: regressions found by the hostile-input and fuzz tests
 * in the finished libcommon modules. */
#include "unit.h"
#include "csvfile.h"

#include <string.h>

/* A NUL byte in a CSV field is an error for that record (the field would
 * otherwise be cut short as a C string and the value silently changed);
 * the records after it are read as usual, and a line of NUL bytes is not
 * taken for a blank line. */
TEST(csv_nul_byte_is_a_record_error)
{
	const char text[] = "id,amount\nok1,1.00\nn1,x\0y\n\0\0\n\nok2,3\n";
	sgp_csv *c = sgp_csv_open_mem(text, sizeof text - 1, "nul.csv");
	char **f;
	size_t n;

	CHECK_INT(sgp_csv_read_header(c), 0);
	CHECK_INT(sgp_csv_next(c, &f, &n), 1);
	CHECK_STR(f[0], "ok1");
	CHECK_INT(sgp_csv_next(c, &f, &n), -1);
	CHECK_STR(sgp_csv_error(c), "nul.csv: line 3: field 2: invalid UTF-8 text: NUL byte");
	CHECK_INT(sgp_csv_record(c), 3);
	CHECK_INT(sgp_csv_next(c, &f, &n), -1);
	CHECK_STR(sgp_csv_error(c), "nul.csv: line 4: field 1: invalid UTF-8 text: NUL byte");
	CHECK_INT(sgp_csv_next(c, &f, &n), 1);
	CHECK_STR(f[0], "ok2");
	CHECK_STR(f[1], "3");
	CHECK_INT(sgp_csv_line(c), 6);
	CHECK_INT(sgp_csv_next(c, &f, &n), 0);
	sgp_csv_close(c);

	/* in a quoted field too */
	c = sgp_csv_open_mem("a\n\"x\0\"\n", 7, "q.csv");
	CHECK_INT(sgp_csv_read_header(c), 0);
	CHECK_INT(sgp_csv_next(c, &f, &n), -1);
	CHECK_STR(sgp_csv_error(c), "q.csv: line 2: field 1: invalid UTF-8 text: NUL byte");
	CHECK_INT(sgp_csv_next(c, &f, &n), 0);
	sgp_csv_close(c);
}

int main(void)
{
	RUN(csv_nul_byte_is_a_record_error);
	return unit_done();
}
