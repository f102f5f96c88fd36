/* test_hardening.c: regressions found by the hostile-input and fuzz tests
 * in the finished libcommon modules. */
#include "unit.h"
#include "csvfile.h"
#include "jsonfast.h"
#include "lineio.h"

#include <stdlib.h>
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

/* A field of megabytes (quoted, with a newline) comes back whole, and the
 * records around it too.  (libcsv grows its field buffer 128 bytes at a
 * time unless told otherwise; the reader makes that growth geometric.) */
TEST(csv_field_of_megabytes)
{
	size_t big = 4u << 20, len = 0, i;
	char *text = xmalloc(big + 64), **f;
	sgp_csv *c;
	size_t n;

	len += (size_t)sprintf(text + len, "id,note\na,\"");
	for (i = 0; i < big; i++)
		text[len++] = i == big / 2 ? '\n' : (char)('a' + i % 26);
	len += (size_t)sprintf(text + len, "\"\nb,short\n");
	c = sgp_csv_open_mem(text, len, "big.csv");
	CHECK_INT(sgp_csv_read_header(c), 0);
	CHECK_INT(sgp_csv_next(c, &f, &n), 1);
	CHECK_STR(f[0], "a");
	CHECK_INT(strlen(f[1]), big);
	CHECK(f[1][big / 2] == '\n' && f[1][0] == 'a' && f[1][big - 1] == (char)('a' + (big - 1) % 26));
	CHECK_INT(sgp_csv_next(c, &f, &n), 1);
	CHECK_STR(f[1], "short");
	CHECK_INT(sgp_csv_line(c), 4);
	CHECK_INT(sgp_csv_next(c, &f, &n), 0);
	sgp_csv_close(c);
	free(text);
}

/* Integers beyond 64 bits are kept (as reals), negative ones too; numbers
 * beyond double range are a parse error.  Both line parsers agree. */
TEST(integers_beyond_64_bits_either_sign)
{
	static const char *const lines[] = {
		"{\"a\":1180591620717411303424}", "{\"a\":-1180591620717411303424}",
		"{\"a\":-9223372036854775809}",
	};
	static const double want[] = { 1180591620717411303424.0, -1180591620717411303424.0,
				       -9223372036854775808.0 };
	sgp_line_error e;
	json_t *v, *w;

	for (size_t i = 0; i < 3; i++) {
		v = sgp_line_parse(lines[i], strlen(lines[i]), 0, &e);
		w = sgp_json_fast_parse(lines[i], strlen(lines[i]), 0, &e);
		CHECK(v != NULL && w != NULL);
		CHECK(json_is_real(json_object_get(v, "a")));
		CHECK(json_real_value(json_object_get(v, "a")) == want[i]);
		CHECK(json_equal(v, w));
		json_decref(v);
		json_decref(w);
	}
	v = sgp_line_parse("{\"a\":-1e400}", 12, 0, &e);
	CHECK(v == NULL);
	CHECK(strstr(e.message, "real number overflow") != NULL);
}

int main(void)
{
	RUN(csv_nul_byte_is_a_record_error);
	RUN(csv_field_of_megabytes);
	RUN(integers_beyond_64_bits_either_sign);
	return unit_done();
}
