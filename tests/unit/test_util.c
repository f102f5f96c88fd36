/* test_util.c: unit tests for util.c. */
#include "unit.h"
#include "util.h"

#include <errno.h>
#include <limits.h>

TEST(parse_ll_checks_range_and_junk)
{
	long long v = 0;

	CHECK_INT(sgp_parse_ll("42", 0, 100, &v), 0);
	CHECK_INT(v, 42);
	CHECK_INT(sgp_parse_ll("-7", -10, 10, &v), 0);
	CHECK_INT(v, -7);
	CHECK_INT(sgp_parse_ll("101", 0, 100, &v), -1);
	CHECK_INT(errno, ERANGE);
	CHECK_INT(sgp_parse_ll("12x", 0, 100, &v), -1);
	CHECK_INT(errno, EINVAL);
	CHECK_INT(sgp_parse_ll("", 0, 100, &v), -1);
	CHECK_INT(sgp_parse_ll(" 1", 0, 100, &v), -1);
	CHECK_INT(sgp_parse_ll("99999999999999999999999", LLONG_MIN, LLONG_MAX, &v), -1);
	CHECK_INT(errno, ERANGE);
}

TEST(parse_size_suffixes)
{
	unsigned long long v = 0;

	CHECK_INT(sgp_parse_size("64M", &v), 0);
	CHECK_INT(v, 64ULL << 20);
	CHECK_INT(sgp_parse_size("1GiB", &v), 0);
	CHECK_INT(v, 1ULL << 30);
	CHECK_INT(sgp_parse_size("512k", &v), 0);
	CHECK_INT(v, 512 * 1024);
	CHECK_INT(sgp_parse_size("1000", &v), 0);
	CHECK_INT(v, 1000);
	CHECK_INT(sgp_parse_size("12Q", &v), -1);
	CHECK_INT(sgp_parse_size("M", &v), -1);
	CHECK_INT(sgp_parse_size("99999999999999999999T", &v), -1);
}

TEST(buf_grows_and_escapes_json)
{
	sgp_buf b = SGP_BUF_INIT;
	int i;

	for (i = 0; i < 1000; i++)
		sgp_buf_addc(&b, 'x');
	CHECK_INT(b.len, 1000);
	sgp_buf_reset(&b);
	sgp_buf_add_json_string(&b, "a\"b\\c\n\x01", 7);
	CHECK_STR(b.data, "\"a\\\"b\\\\c\\n\\u0001\"");
	sgp_buf_reset(&b);
	sgp_buf_addf(&b, "%d-%s", 7, "x");
	CHECK_STR(b.data, "7-x");
	sgp_buf_release(&b);
}

TEST(sha256_known_vector)
{
	char hex[65];

	sgp_sha256_hex("abc", 3, hex);
	CHECK_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

int main(void)
{
	RUN(parse_ll_checks_range_and_junk);
	RUN(parse_size_suffixes);
	RUN(buf_grows_and_escapes_json);
	RUN(sha256_known_vector);
	return unit_done();
}
