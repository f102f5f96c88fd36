/* test_decimal.c: unit tests for decimal.c and currency.c. */
#include "unit.h"
#include "currency.h"
#include "decimal.h"

#include <errno.h>
#include <math.h>

#include <jansson.h>

/* Formats into one of a few rotating static buffers (tests only). */
static const char *F(sgp_dec d)
{
	static char bufs[8][SGP_DEC_BUFSZ];
	static int i;
	char *b = bufs[i++ % 8];

	if (sgp_dec_format(d, b, SGP_DEC_BUFSZ) < 0)
		return "(format failed)";
	return b;
}

/* Parses text that must be valid. */
static sgp_dec D(const char *s)
{
	sgp_dec d = { 12345, 0 };
	const char *why = NULL;

	if (sgp_dec_parse(s, &d, &why) < 0) {
		unit_cur_failed++;
		printf("#   cannot parse \"%s\": %s\n", s, why ? why : "?");
	}
	return d;
}

/* Parse and format again. */
static const char *PF(const char *s)
{
	sgp_dec d;

	if (sgp_dec_parse(s, &d, NULL) < 0)
		return "ERR";
	return F(d);
}

/* The errno and reason of a failed parse; NULL reason if it succeeded. */
static const char *parse_err(const char *s, int *err)
{
	sgp_dec d = { 7, 0 };
	const char *why = NULL;

	errno = 0;
	if (sgp_dec_parse(s, &d, &why) == 0)
		return NULL;
	*err = errno;
	CHECK(d.coef == 7);  /* out untouched */
	return why;
}

static const char *N38 = "99999999999999999999999999999999999999";  /* 38 nines */

TEST(parse_plain_decimals)
{
	sgp_dec d = D("12.50");

	CHECK(d.coef == 1250);
	CHECK_INT(d.scale, 2);
	d = D("-0.001");
	CHECK(d.coef == -1);
	CHECK_INT(d.scale, 3);
	d = D("+3");
	CHECK(d.coef == 3);
	CHECK_INT(d.scale, 0);
	CHECK_STR(PF("0"), "0");
	CHECK_STR(PF("0.5"), "0.5");
	CHECK_STR(PF("007.50"), "7.50");
	CHECK_STR(PF("-12.345"), "-12.345");
	CHECK_STR(PF("1250"), "1250");
}

TEST(parse_json_exponents_exactly)
{
	CHECK_STR(PF("1.5E+2"), "150");
	CHECK_STR(PF("1e3"), "1000");
	CHECK_STR(PF("2.5e-3"), "0.0025");
	CHECK_STR(PF("1.50e-1"), "0.150");
	CHECK_STR(PF("1E0"), "1");
	CHECK_STR(PF("-4.2e1"), "-42");
	CHECK_STR(PF("0e-5"), "0.00000");
	CHECK_STR(PF("0e999999999999"), "0");
	CHECK_STR(PF("12.5e1"), "125");
	/* a scale beyond 38 is brought back by dropping trailing zeros */
	CHECK_STR(PF("100e-40"), "0.00000000000000000000000000000000000001");
	CHECK_STR(PF("1e37"), "10000000000000000000000000000000000000");
}

TEST(parse_rejects_junk)
{
	static const char *bad[] = {
		"", ".5", "5.", "-", "+", " 1", "1 ", "NaN", "nan", "Infinity", "-inf",
		"0x10", "1,000", "1_000", "1e", "1e+", "--1", "+-1", "1.2.3", "1..2",
		"12.5.", "e5", "1e5.5", "$12", "12 USD", "1 000", "\t1",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int err = 0;
		const char *why = parse_err(bad[i], &err);

		if (why == NULL) {
			unit_cur_failed++;
			printf("#   \"%s\" was accepted\n", bad[i]);
			continue;
		}
		CHECK_INT(err, EINVAL);
	}
	int err = 0;
	CHECK_STR(parse_err("", &err), "empty number");
	CHECK_STR(parse_err("abc", &err), "not a number");
}

TEST(parse_38_digits_and_no_more)
{
	char buf[128];
	int err = 0;

	CHECK_STR(PF(N38), N38);
	snprintf(buf, sizeof buf, "-%s", N38);
	CHECK_STR(PF(buf), buf);
	/* 39 digits: an error, never a rounding */
	snprintf(buf, sizeof buf, "%s9", N38);
	CHECK_STR(parse_err(buf, &err), "more than 38 significant digits");
	CHECK_INT(err, ERANGE);
	snprintf(buf, sizeof buf, "1%s", N38);
	CHECK(parse_err(buf, &err) != NULL);
	/* trailing zeros as written are digits too */
	snprintf(buf, sizeof buf, "%s.0", N38);
	CHECK(parse_err(buf, &err) != NULL);
	CHECK_INT(err, ERANGE);
	/* leading zeros are not significant */
	snprintf(buf, sizeof buf, "0000%s", N38);
	CHECK_STR(PF(buf), N38);
	snprintf(buf, sizeof buf, "0.%s", N38);
	CHECK_STR(PF(buf), buf);
	/* 38 places, but 39 after the point */
	snprintf(buf, sizeof buf, "0.0%s", N38);
	CHECK_STR(parse_err(buf, &err), "more than 38 decimal places");
	CHECK_INT(err, ERANGE);
	CHECK_STR(parse_err("1e-39", &err), "more than 38 decimal places");
	CHECK_STR(parse_err("1e38", &err), "more than 38 significant digits");
	CHECK_INT(err, ERANGE);
	CHECK(parse_err("1e99999999999999999999", &err) != NULL);
	CHECK_INT(err, ERANGE);
	CHECK(parse_err("9.9e38", &err) != NULL);
	CHECK_STR(PF("9.9e37"), "99000000000000000000000000000000000000");
}

TEST(parse_n_reads_only_n_bytes)
{
	sgp_dec d;

	CHECK_INT(sgp_dec_parse_n("12.50,\"currency\"", 5, &d, NULL), 0);
	CHECK_STR(F(d), "12.50");
	CHECK_INT(sgp_dec_parse_n("12.50", 4, &d, NULL), 0);
	CHECK_STR(F(d), "12.5");
	CHECK_INT(sgp_dec_parse_n("12.50", 3, &d, NULL), -1);  /* "12." */
	CHECK_INT(sgp_dec_parse_n("5", 0, &d, NULL), -1);
}

TEST(format_keeps_scale_and_drops_negative_zero)
{
	char buf[SGP_DEC_BUFSZ];

	CHECK_STR(F(D("12.50")), "12.50");
	CHECK_STR(F(D("-0.00")), "0.00");
	CHECK_STR(F(D("-0")), "0");
	CHECK_STR(F(D("0.001")), "0.001");
	CHECK_STR(F(D("-0.001")), "-0.001");
	CHECK_STR(F(D("-1.000")), "-1.000");
	CHECK_STR(F((sgp_dec){ 5, 38 }), "0.00000000000000000000000000000000000005");
	CHECK_INT(sgp_dec_format(D("-12.50"), buf, sizeof buf), 6);
	CHECK_STR(buf, "-12.50");
	/* too small a buffer: -1, ERANGE, empty string */
	errno = 0;
	CHECK_INT(sgp_dec_format(D("12.50"), buf, 5), -1);
	CHECK_INT(errno, ERANGE);
	CHECK_STR(buf, "");
	CHECK_INT(sgp_dec_format(D("12.50"), buf, 6), 5);
	CHECK_STR(buf, "12.50");
}

TEST(format_longest_values_fit_the_buffer)
{
	sgp_dec d = { 0, 38 };
	char buf[SGP_DEC_BUFSZ];

	CHECK_INT(sgp_dec_parse(N38, &d, NULL), 0);
	d.scale = 38;
	d.coef = -d.coef;
	CHECK_INT(sgp_dec_format(d, buf, sizeof buf), 41);
	CHECK_STR(buf, "-0.99999999999999999999999999999999999999");
	d.scale = 19;
	CHECK_STR(F(d), "-9999999999999999999.9999999999999999999");
}

TEST(buf_add_appends_text)
{
	sgp_buf b = SGP_BUF_INIT;

	sgp_buf_adds(&b, "{\"amount\":\"");
	sgp_dec_buf_add(&b, D("1.250"));
	sgp_buf_adds(&b, "\"}");
	CHECK_STR(b.data, "{\"amount\":\"1.250\"}");
	sgp_buf_release(&b);
}

TEST(point_one_plus_point_two_is_point_three)
{
	sgp_dec r;

	CHECK_INT(sgp_dec_add(D("0.1"), D("0.2"), &r), 0);
	CHECK_STR(F(r), "0.3");
	CHECK(sgp_dec_eq(r, D("0.3")));
	CHECK(sgp_dec_eq(r, D("0.30")));
	CHECK(!sgp_dec_eq(r, D("0.30000000000000004")));
}

TEST(add_and_subtract_align_scales)
{
	sgp_dec r;

	CHECK_INT(sgp_dec_add(D("12.5"), D("0.25"), &r), 0);
	CHECK_STR(F(r), "12.75");
	CHECK_INT(sgp_dec_add(D("1"), D("0.001"), &r), 0);
	CHECK_STR(F(r), "1.001");
	CHECK_INT(sgp_dec_sub(D("10.00"), D("0.005"), &r), 0);
	CHECK_STR(F(r), "9.995");
	CHECK_INT(sgp_dec_sub(D("1.00"), D("2.5"), &r), 0);
	CHECK_STR(F(r), "-1.50");
	CHECK_INT(sgp_dec_add(D("-1.10"), D("1.1"), &r), 0);
	CHECK_STR(F(r), "0.00");
	CHECK_INT(sgp_dec_sub(D("0"), D("0.000"), &r), 0);
	CHECK_STR(F(r), "0.000");
}

TEST(add_overflow_is_an_error)
{
	sgp_dec r = { 7, 0 }, max = D(N38);

	errno = 0;
	CHECK_INT(sgp_dec_add(max, D("1"), &r), -1);
	CHECK_INT(errno, ERANGE);
	CHECK(r.coef == 7);
	CHECK_INT(sgp_dec_sub(sgp_dec_neg(max), D("1"), &r), -1);
	CHECK_INT(sgp_dec_add(max, D("0.1"), &r), -1);
	CHECK_INT(sgp_dec_add(max, max, &r), -1);
	CHECK_INT(sgp_dec_sub(max, D("1"), &r), 0);
	CHECK_STR(F(r), "99999999999999999999999999999999999998");
}

TEST(add_exact_when_aligning_exceeds_128_bits)
{
	sgp_dec r;

	/* 1.71e37 * 10 does not fit in __int128, the sum does fit 38 digits */
	CHECK_INT(sgp_dec_add(D("17100000000000000000000000000000000000"),
	                      D("-9000000000000000000000000000000000000.5"), &r), 0);
	CHECK_STR(F(r), "8099999999999999999999999999999999999.5");
	CHECK_INT(sgp_dec_sub(D("-17100000000000000000000000000000000000"),
	                      D("-9000000000000000000000000000000000000.5"), &r), 0);
	CHECK_STR(F(r), "-8099999999999999999999999999999999999.5");
	CHECK_INT(sgp_dec_add(D("20000000000000000000000000000000000000"),
	                      D("-9999999999999999999999999999999999999.9"), &r), -1);
	CHECK_INT(errno, ERANGE);
	CHECK_INT(sgp_dec_add(D("20000000000000000000000000000000000000"),
	                      D("0.00000000000000000000000000000000000001"), &r), -1);
}

TEST(multiply_by_integer)
{
	sgp_dec r;

	CHECK_INT(sgp_dec_mul_int(D("12.50"), 3, &r), 0);
	CHECK_STR(F(r), "37.50");
	CHECK_INT(sgp_dec_mul_int(D("12.50"), -1, &r), 0);
	CHECK_STR(F(r), "-12.50");
	CHECK_INT(sgp_dec_mul_int(D("12.50"), 0, &r), 0);
	CHECK_STR(F(r), "0.00");
	CHECK_INT(sgp_dec_mul_int(D("0.001"), INT64_MAX, &r), 0);
	CHECK_STR(F(r), "9223372036854775.807");
	/* 10^37 * 10 fits in __int128 but has 39 digits */
	errno = 0;
	CHECK_INT(sgp_dec_mul_int(D("10000000000000000000000000000000000000"), 10, &r), -1);
	CHECK_INT(errno, ERANGE);
	CHECK_INT(sgp_dec_mul_int(D(N38), 2, &r), -1);
	CHECK_INT(sgp_dec_mul_int(D(N38), INT64_MIN, &r), -1);
}

TEST(multiply_decimals)
{
	sgp_dec r;

	CHECK_INT(sgp_dec_mul(D("2.5"), D("1.25"), &r), 0);
	CHECK_STR(F(r), "3.125");
	CHECK_INT(sgp_dec_mul(D("3"), D("19.999999999"), &r), 0);
	CHECK_STR(F(r), "59.999999997");
	CHECK_INT(sgp_dec_mul(D("-0.5"), D("0.5"), &r), 0);
	CHECK_STR(F(r), "-0.25");
	/* 1e25 * 1e19 needs trailing zeros dropped to fit: still exactly 1 */
	CHECK_INT(sgp_dec_mul(D("1.0000000000000000000000000"), D("1.0000000000000000000"), &r), 0);
	CHECK_STR(F(r), "1.0000000000000000000000000000000000000");
	CHECK(sgp_dec_eq(r, D("1")));
	errno = 0;
	CHECK_INT(sgp_dec_mul(D("100000000000000000000"), D("1000000000000000000"), &r), -1);
	CHECK_INT(errno, ERANGE);
	CHECK_INT(sgp_dec_mul(D("0.0000000000000000000001"), D("0.00000000000000000001"), &r), -1);
	CHECK_INT(errno, ERANGE);
}

TEST(rescale_widens_exactly)
{
	sgp_dec r;

	CHECK_INT(sgp_dec_rescale(D("12.5"), 2, SGP_ROUND_UNNECESSARY, &r), 0);
	CHECK_STR(F(r), "12.50");
	CHECK_INT(sgp_dec_rescale(D("-3"), 4, SGP_ROUND_HALF_EVEN, &r), 0);
	CHECK_STR(F(r), "-3.0000");
	errno = 0;
	CHECK_INT(sgp_dec_rescale(D("1000"), 36, SGP_ROUND_HALF_EVEN, &r), -1);
	CHECK_INT(errno, ERANGE);
	CHECK_INT(sgp_dec_rescale(D("1"), 39, SGP_ROUND_HALF_EVEN, &r), -1);
	CHECK_INT(errno, EINVAL);
	CHECK_INT(sgp_dec_rescale(D("1"), -1, SGP_ROUND_HALF_EVEN, &r), -1);
	CHECK_INT(sgp_dec_rescale(D("1.5"), 0, (enum sgp_round)99, &r), -1);
	CHECK_INT(errno, EINVAL);
}

/* Rescale s to scale with mode and format. */
static const char *RS(const char *s, int scale, enum sgp_round mode)
{
	sgp_dec r;

	if (sgp_dec_rescale(D(s), scale, mode, &r) < 0)
		return "ERR";
	return F(r);
}

TEST(round_half_even)
{
	CHECK_STR(RS("2.5", 0, SGP_ROUND_HALF_EVEN), "2");
	CHECK_STR(RS("3.5", 0, SGP_ROUND_HALF_EVEN), "4");
	CHECK_STR(RS("-2.5", 0, SGP_ROUND_HALF_EVEN), "-2");
	CHECK_STR(RS("-3.5", 0, SGP_ROUND_HALF_EVEN), "-4");
	CHECK_STR(RS("2.45", 1, SGP_ROUND_HALF_EVEN), "2.4");
	CHECK_STR(RS("2.55", 1, SGP_ROUND_HALF_EVEN), "2.6");
	CHECK_STR(RS("2.451", 1, SGP_ROUND_HALF_EVEN), "2.5");
	CHECK_STR(RS("2.449", 1, SGP_ROUND_HALF_EVEN), "2.4");
	CHECK_STR(RS("0.125", 2, SGP_ROUND_HALF_EVEN), "0.12");
	CHECK_STR(RS("0.135", 2, SGP_ROUND_HALF_EVEN), "0.14");
	CHECK_STR(RS("0.4", 0, SGP_ROUND_HALF_EVEN), "0");
	CHECK_STR(RS("-0.4", 0, SGP_ROUND_HALF_EVEN), "0");
	CHECK_STR(RS("9.5", 0, SGP_ROUND_HALF_EVEN), "10");
	CHECK_STR(RS("0.00000000000000000000000000000000000005", 0, SGP_ROUND_HALF_EVEN), "0");
	CHECK_STR(RS("0.50000000000000000000000000000000000000", 0, SGP_ROUND_HALF_EVEN), "0");
	CHECK_STR(RS("0.50000000000000000000000000000000000001", 0, SGP_ROUND_HALF_EVEN), "1");
}

TEST(round_half_up_goes_away_from_zero)
{
	CHECK_STR(RS("2.5", 0, SGP_ROUND_HALF_UP), "3");
	CHECK_STR(RS("3.5", 0, SGP_ROUND_HALF_UP), "4");
	CHECK_STR(RS("-2.5", 0, SGP_ROUND_HALF_UP), "-3");
	CHECK_STR(RS("2.45", 1, SGP_ROUND_HALF_UP), "2.5");
	CHECK_STR(RS("2.449", 1, SGP_ROUND_HALF_UP), "2.4");
	CHECK_STR(RS("1.005", 2, SGP_ROUND_HALF_UP), "1.01");
	CHECK_STR(RS("-1.005", 2, SGP_ROUND_HALF_UP), "-1.01");
	CHECK_STR(RS("0.4999", 0, SGP_ROUND_HALF_UP), "0");
	CHECK_STR(RS("99.995", 2, SGP_ROUND_HALF_UP), "100.00");
}

TEST(round_down_truncates_toward_zero)
{
	CHECK_STR(RS("2.99", 0, SGP_ROUND_DOWN), "2");
	CHECK_STR(RS("-2.99", 0, SGP_ROUND_DOWN), "-2");
	CHECK_STR(RS("1.999", 2, SGP_ROUND_DOWN), "1.99");
	CHECK_STR(RS("2.5", 0, SGP_ROUND_DOWN), "2");
}

TEST(round_unnecessary_fails_when_digits_would_be_lost)
{
	sgp_dec r = { 7, 0 };

	CHECK_STR(RS("12.340", 2, SGP_ROUND_UNNECESSARY), "12.34");
	CHECK_STR(RS("12.000", 0, SGP_ROUND_UNNECESSARY), "12");
	errno = 0;
	CHECK_INT(sgp_dec_rescale(D("12.345"), 2, SGP_ROUND_UNNECESSARY, &r), -1);
	CHECK_INT(errno, EINVAL);
	CHECK(r.coef == 7);
	CHECK_STR(RS("12.5", 0, SGP_ROUND_UNNECESSARY), "ERR");
	CHECK_STR(RS("0.00000000000000000000000000000000000001", 37, SGP_ROUND_UNNECESSARY), "ERR");
}

TEST(compare_is_numeric)
{
	CHECK_INT(sgp_dec_cmp(D("12.5"), D("12.50")), 0);
	CHECK(sgp_dec_eq(D("12.5"), D("12.50")));
	CHECK(sgp_dec_eq(D("0"), D("-0.000")));
	CHECK_INT(sgp_dec_cmp(D("1"), D("1.01")), -1);
	CHECK_INT(sgp_dec_cmp(D("1.01"), D("1")), 1);
	CHECK_INT(sgp_dec_cmp(D("-1"), D("-1.01")), 1);
	CHECK_INT(sgp_dec_cmp(D("-0.5"), D("0.1")), -1);
	CHECK_INT(sgp_dec_cmp(D("0"), D("0.1")), -1);
	CHECK_INT(sgp_dec_cmp(D("100"), D("99.999")), 1);
	CHECK_INT(sgp_dec_cmp(D("1500"), D("1.5e3")), 0);
}

TEST(compare_when_aligning_exceeds_128_bits)
{
	sgp_dec big = D("17100000000000000000000000000000000000");
	sgp_dec tiny = D("0.00000000000000000000000000000000000001");
	sgp_dec frac = D("1.0000000000000000000000000000000000001");

	CHECK_INT(sgp_dec_cmp(big, tiny), 1);
	CHECK_INT(sgp_dec_cmp(tiny, big), -1);
	CHECK_INT(sgp_dec_cmp(sgp_dec_neg(big), sgp_dec_neg(tiny)), -1);
	CHECK_INT(sgp_dec_cmp(D(N38), frac), 1);
	CHECK_INT(sgp_dec_cmp(sgp_dec_neg(frac), sgp_dec_neg(D(N38))), 1);
}

TEST(sign_zero_negate_abs)
{
	CHECK(sgp_dec_is_zero(D("0.00")));
	CHECK(sgp_dec_is_zero(D("-0")));
	CHECK(!sgp_dec_is_zero(D("0.01")));
	CHECK_INT(sgp_dec_sign(D("-0.01")), -1);
	CHECK_INT(sgp_dec_sign(D("0.00")), 0);
	CHECK_INT(sgp_dec_sign(D("5")), 1);
	CHECK_STR(F(sgp_dec_neg(D("12.50"))), "-12.50");
	CHECK_STR(F(sgp_dec_neg(D("-12.50"))), "12.50");
	CHECK_STR(F(sgp_dec_abs(D("-12.50"))), "12.50");
	CHECK_STR(F(sgp_dec_abs(D("12.50"))), "12.50");
	CHECK_STR(F(sgp_dec_neg(D(N38))), "-99999999999999999999999999999999999999");
}

TEST(reduce_strips_trailing_zeros)
{
	CHECK_STR(F(sgp_dec_reduce(D("12.500"))), "12.5");
	CHECK_STR(F(sgp_dec_reduce(D("12.50"))), F(sgp_dec_reduce(D("12.5"))));
	CHECK_STR(F(sgp_dec_reduce(D("100"))), "100");
	CHECK_STR(F(sgp_dec_reduce(D("100.00"))), "100");
	CHECK_STR(F(sgp_dec_reduce(D("0.000"))), "0");
	CHECK_STR(F(sgp_dec_reduce(D("-0.10"))), "-0.1");
	CHECK_STR(F(sgp_dec_reduce(D("1000000000000000000000000.000"))),
	          "1000000000000000000000000");
}

/* sgp_dec_from_double, formatted */
static const char *FD(double x)
{
	sgp_dec d;

	if (sgp_dec_from_double(x, &d) < 0)
		return "ERR";
	return F(d);
}

TEST(float_shortest_round_trip)
{
	CHECK_STR(FD(2291.22), "2291.22");
	CHECK_STR(FD(-2291.22), "-2291.22");
	CHECK_STR(FD(0.1), "0.1");
	CHECK_STR(FD(1e-7), "0.0000001");
	CHECK_STR(FD(100.0), "100");
	CHECK_STR(FD(1e21), "1000000000000000000000");
	CHECK_STR(FD(0.1 + 0.2), "0.30000000000000004");
	CHECK_STR(FD(-0.0), "0");
	CHECK_STR(FD(12.5), "12.5");
	CHECK_STR(FD(1234567.89), "1234567.89");
	CHECK_STR(FD(9007199254740993.0), "9007199254740992");
	CHECK_STR(FD(0.000123), "0.000123");
	CHECK_STR(FD(5e-324), "ERR");
	CHECK_STR(FD(1e300), "ERR");
	errno = 0;
	CHECK_STR(FD(NAN), "ERR");
	CHECK_INT(errno, EINVAL);
	CHECK_STR(FD(INFINITY), "ERR");
	CHECK_STR(FD(-INFINITY), "ERR");
}

TEST(float_round_trip_reads_back_the_same_double)
{
	static const double xs[] = { 2291.22, 0.1, 1.0 / 3, 2.0 / 3, 1e-7, 123.456, 99.99,
	                             19.95, 0.07, 1e15 + 0.3, 4.35, 1.015 };
	for (size_t i = 0; i < sizeof xs / sizeof xs[0]; i++) {
		sgp_dec d;
		char buf[SGP_DEC_BUFSZ];

		CHECK_INT(sgp_dec_from_double(xs[i], &d), 0);
		sgp_dec_format(d, buf, sizeof buf);
		CHECK(strtod(buf, NULL) == xs[i]);
	}
}

TEST(from_json_values)
{
	json_t *v = json_loads("[\"12.50\", 1250, 2291.22, true, \"1 0\", null]", 0, NULL);
	sgp_dec d;
	const char *why = NULL;

	CHECK(v != NULL);
	CHECK_INT(sgp_dec_from_json(json_array_get(v, 0), &d, &why), 0);
	CHECK_STR(F(d), "12.50");
	CHECK_INT(sgp_dec_from_json(json_array_get(v, 1), &d, &why), 0);
	CHECK_STR(F(d), "1250");
	CHECK_INT(sgp_dec_from_json(json_array_get(v, 2), &d, &why), 0);
	CHECK_STR(F(d), "2291.22");
	CHECK_INT(sgp_dec_from_json(json_array_get(v, 3), &d, &why), -1);
	CHECK_STR(why, "not a number");
	CHECK_INT(sgp_dec_from_json(json_array_get(v, 4), &d, &why), -1);
	CHECK_INT(sgp_dec_from_json(json_array_get(v, 5), &d, &why), -1);
	json_decref(v);
}

TEST(currency_exponents)
{
	CHECK_INT(sgp_currency_exponent("USD"), 2);
	CHECK_INT(sgp_currency_exponent("EUR"), 2);
	CHECK_INT(sgp_currency_exponent("JPY"), 0);
	CHECK_INT(sgp_currency_exponent("KRW"), 0);
	CHECK_INT(sgp_currency_exponent("ISK"), 0);
	CHECK_INT(sgp_currency_exponent("CLP"), 0);
	CHECK_INT(sgp_currency_exponent("VND"), 0);
	CHECK_INT(sgp_currency_exponent("XAF"), 0);
	CHECK_INT(sgp_currency_exponent("XOF"), 0);
	CHECK_INT(sgp_currency_exponent("UGX"), 0);
	CHECK_INT(sgp_currency_exponent("BHD"), 3);
	CHECK_INT(sgp_currency_exponent("KWD"), 3);
	CHECK_INT(sgp_currency_exponent("JOD"), 3);
	CHECK_INT(sgp_currency_exponent("OMR"), 3);
	CHECK_INT(sgp_currency_exponent("TND"), 3);
	CHECK_INT(sgp_currency_exponent("LYD"), 3);
	CHECK_INT(sgp_currency_exponent("IQD"), 3);
	CHECK_INT(sgp_currency_exponent("CLF"), 4);
	CHECK_INT(sgp_currency_exponent("UYW"), 4);
	CHECK_INT(sgp_currency_exponent("XCG"), 2);
	CHECK_INT(sgp_currency_exponent("ZWG"), 2);
}

TEST(currency_no_minor_unit_and_unknown)
{
	const struct sgp_currency *c;

	/* "N.A." in ISO: known, but no minor unit */
	CHECK_INT(sgp_currency_exponent("XAU"), SGP_CURRENCY_NO_MINOR);
	CHECK_INT(sgp_currency_exponent("XDR"), -1);
	CHECK(sgp_currency_valid("XAU"));
	CHECK(sgp_currency_valid("XXX"));
	CHECK(sgp_currency_valid("XTS"));
	/* unknown */
	CHECK_INT(sgp_currency_exponent("ABC"), -1);
	CHECK(!sgp_currency_valid("ABC"));
	CHECK(!sgp_currency_valid("usd"));
	CHECK(!sgp_currency_valid("US"));
	CHECK(!sgp_currency_valid("USDX"));
	CHECK(!sgp_currency_valid(""));
	CHECK(!sgp_currency_valid(NULL));
	CHECK(sgp_currency_lookup("ZZZ") == NULL);
	CHECK(sgp_currency_lookup("AAA") == NULL);
	c = sgp_currency_lookup("USD");
	CHECK(c != NULL && c->active && strcmp(c->code, "USD") == 0);
	CHECK(c != NULL && strcmp(c->name, "US Dollar") == 0);
}

TEST(currency_funds_and_withdrawn_codes)
{
	const struct sgp_currency *c;

	CHECK(sgp_currency_valid("BOV"));
	CHECK(sgp_currency_valid("CHE"));
	CHECK(sgp_currency_valid("CHW"));
	CHECK(sgp_currency_valid("COU"));
	CHECK(sgp_currency_valid("MXV"));
	CHECK(sgp_currency_valid("USN"));
	CHECK_INT(sgp_currency_exponent("UYI"), 0);
	/* withdrawn, still known for historical records */
	c = sgp_currency_lookup("HRK");
	CHECK(c != NULL && !c->active && c->exponent == 2);
	c = sgp_currency_lookup("BYR");
	CHECK(c != NULL && !c->active && c->exponent == 0);
	CHECK(sgp_currency_lookup("BYN")->active);
	CHECK(sgp_currency_lookup("SLE")->active);
	CHECK(!sgp_currency_lookup("SLL")->active);
}

TEST(currency_lookup_n_and_table_order)
{
	size_t n = sgp_currency_count(), active = 0;

	CHECK(sgp_currency_lookup_n("EUR\",", 3) == sgp_currency_lookup("EUR"));
	CHECK(sgp_currency_lookup_n("EURO", 4) == NULL);
	CHECK(sgp_currency_lookup_n("EU", 2) == NULL);
	CHECK(n >= 178);
	CHECK(sgp_currency_at(n) == NULL);
	for (size_t i = 0; i < n; i++) {
		const struct sgp_currency *c = sgp_currency_at(i);

		if (i > 0 && strcmp(sgp_currency_at(i - 1)->code, c->code) >= 0) {
			unit_cur_failed++;
			printf("#   table out of order at %s\n", c->code);
		}
		CHECK(strlen(c->code) == 3);
		CHECK(c->exponent >= -1 && c->exponent <= 4);
		CHECK(sgp_currency_lookup(c->code) == c);
		active += c->active;
	}
	CHECK_INT(active, 178);
}

TEST(minor_units_to_decimal)
{
	sgp_dec d;

	CHECK_INT(sgp_dec_from_minor(1250, sgp_currency_exponent("USD"), &d), 0);
	CHECK_STR(F(d), "12.50");
	CHECK_INT(sgp_dec_from_minor(1250, sgp_currency_exponent("JPY"), &d), 0);
	CHECK_STR(F(d), "1250");
	CHECK_INT(sgp_dec_from_minor(1250, sgp_currency_exponent("KWD"), &d), 0);
	CHECK_STR(F(d), "1.250");
	CHECK_INT(sgp_dec_from_minor(-5, 2, &d), 0);
	CHECK_STR(F(d), "-0.05");
	CHECK_INT(sgp_dec_from_minor(0, 2, &d), 0);
	CHECK_STR(F(d), "0.00");
	CHECK_INT(sgp_dec_from_minor(INT64_MIN, 2, &d), 0);
	CHECK_STR(F(d), "-92233720368547758.08");
	errno = 0;
	CHECK_INT(sgp_dec_from_minor(1250, sgp_currency_exponent("XAU"), &d), -1);
	CHECK_INT(errno, EINVAL);
	CHECK_INT(sgp_dec_from_minor(1, 39, &d), -1);
}

/* from_minor_text on a NUL-terminated string */
static const char *MT(const char *s, int exponent)
{
	sgp_dec d;

	if (sgp_dec_from_minor_text(s, strlen(s), exponent, &d, NULL) < 0)
		return "ERR";
	return F(d);
}

TEST(minor_units_from_json_integer_text)
{
	char buf[64];
	const char *why = NULL;
	sgp_dec d;

	CHECK_STR(MT("1250", 2), "12.50");
	CHECK_STR(MT("-1250", 2), "-12.50");
	CHECK_STR(MT("1250", 0), "1250");
	CHECK_STR(MT("1250", 3), "1.250");
	CHECK_STR(MT("0", 2), "0.00");
	CHECK_STR(MT("99999999999999999999", 2), "999999999999999999.99");
	CHECK_STR(MT(N38, 2), "999999999999999999999999999999999999.99");
	snprintf(buf, sizeof buf, "%s9", N38);
	CHECK_INT(sgp_dec_from_minor_text(buf, strlen(buf), 2, &d, &why), -1);
	CHECK_INT(errno, ERANGE);
	CHECK_STR(MT("12.5", 2), "ERR");
	CHECK_STR(MT("1e3", 2), "ERR");
	CHECK_STR(MT("+5", 2), "ERR");
	CHECK_STR(MT("", 2), "ERR");
	CHECK_STR(MT("-", 2), "ERR");
	CHECK_STR(MT(" 5", 2), "ERR");
	CHECK_STR(MT("5", -1), "ERR");
	CHECK_INT(sgp_dec_from_minor_text("1250}", 4, 2, &d, NULL), 0);
	CHECK_STR(F(d), "12.50");
}

TEST(decimal_to_minor_units)
{
	int64_t m = 7;

	CHECK_INT(sgp_dec_to_minor(D("12.50"), 2, SGP_ROUND_UNNECESSARY, &m), 0);
	CHECK_INT(m, 1250);
	CHECK_INT(sgp_dec_to_minor(D("12.5"), 2, SGP_ROUND_UNNECESSARY, &m), 0);
	CHECK_INT(m, 1250);
	CHECK_INT(sgp_dec_to_minor(D("1250"), 0, SGP_ROUND_UNNECESSARY, &m), 0);
	CHECK_INT(m, 1250);
	CHECK_INT(sgp_dec_to_minor(D("1.250"), 3, SGP_ROUND_UNNECESSARY, &m), 0);
	CHECK_INT(m, 1250);
	CHECK_INT(sgp_dec_to_minor(D("-0.05"), 2, SGP_ROUND_UNNECESSARY, &m), 0);
	CHECK_INT(m, -5);
	m = 7;
	errno = 0;
	CHECK_INT(sgp_dec_to_minor(D("12.345"), 2, SGP_ROUND_UNNECESSARY, &m), -1);
	CHECK_INT(errno, EINVAL);
	CHECK_INT(m, 7);
	CHECK_INT(sgp_dec_to_minor(D("12.5"), 0, SGP_ROUND_UNNECESSARY, &m), -1);
	CHECK_INT(sgp_dec_to_minor(D("12.345"), 2, SGP_ROUND_HALF_EVEN, &m), 0);
	CHECK_INT(m, 1234);
	CHECK_INT(sgp_dec_to_minor(D("12.345"), 2, SGP_ROUND_HALF_UP, &m), 0);
	CHECK_INT(m, 1235);
	CHECK_INT(sgp_dec_to_minor(D("92233720368547758.07"), 2, SGP_ROUND_UNNECESSARY, &m), 0);
	CHECK_INT(m, INT64_MAX);
	errno = 0;
	CHECK_INT(sgp_dec_to_minor(D("92233720368547758.08"), 2, SGP_ROUND_UNNECESSARY, &m), -1);
	CHECK_INT(errno, ERANGE);
	CHECK_INT(sgp_dec_to_minor(D("1"), -1, SGP_ROUND_HALF_EVEN, &m), -1);
	CHECK_INT(errno, EINVAL);
}

TEST(minor_units_round_trip_per_currency)
{
	static const char *codes[] = { "USD", "JPY", "KWD", "CLF", "EUR", "BHD", "KRW" };
	static const int64_t amounts[] = { 0, 1, -1, 1250, 99999, -123456789, INT64_MAX };

	for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
		int e = sgp_currency_exponent(codes[i]);

		for (size_t j = 0; j < sizeof amounts / sizeof amounts[0]; j++) {
			sgp_dec d;
			int64_t back = 0;

			CHECK_INT(sgp_dec_from_minor(amounts[j], e, &d), 0);
			CHECK_INT(d.scale, e);
			CHECK_INT(sgp_dec_to_minor(d, e, SGP_ROUND_UNNECESSARY, &back), 0);
			CHECK_INT(back, amounts[j]);
		}
	}
}

/* a / k at scale with mode */
static const char *DI(const char *a, int64_t k, int scale, enum sgp_round mode)
{
	sgp_dec r;

	if (sgp_dec_div_int(D(a), k, scale, mode, &r) < 0)
		return "ERR";
	return F(r);
}

TEST(divide_by_integer_rounds)
{
	CHECK_STR(DI("100.00", 3, 2, SGP_ROUND_HALF_EVEN), "33.33");
	CHECK_STR(DI("200.00", 3, 2, SGP_ROUND_HALF_EVEN), "66.67");
	CHECK_STR(DI("1", 8, 2, SGP_ROUND_HALF_EVEN), "0.12");
	CHECK_STR(DI("1", 8, 2, SGP_ROUND_HALF_UP), "0.13");
	CHECK_STR(DI("-1", 8, 2, SGP_ROUND_HALF_UP), "-0.13");
	CHECK_STR(DI("1", 8, 3, SGP_ROUND_UNNECESSARY), "0.125");
	CHECK_STR(DI("10", -4, 0, SGP_ROUND_HALF_EVEN), "-2");
	CHECK_STR(DI("10", -4, 0, SGP_ROUND_HALF_UP), "-3");
	CHECK_STR(DI("10", 3, 5, SGP_ROUND_UNNECESSARY), "ERR");
	CHECK_STR(DI("10", 3, 5, SGP_ROUND_DOWN), "3.33333");
	CHECK_STR(DI("1", 0, 2, SGP_ROUND_HALF_EVEN), "ERR");
	CHECK_STR(DI("-12.50", INT64_MIN, 2, SGP_ROUND_HALF_EVEN), "0.00");
	CHECK_STR(DI(N38, 1, 0, SGP_ROUND_UNNECESSARY), N38);
	CHECK_STR(DI(N38, 1, 1, SGP_ROUND_UNNECESSARY), "ERR");
}

TEST(divide_to_fewer_places_than_the_dividend)
{
	CHECK_STR(DI("1.2345", 1, 2, SGP_ROUND_HALF_EVEN), "1.23");
	CHECK_STR(DI("1.2350", 1, 2, SGP_ROUND_HALF_EVEN), "1.24");
	CHECK_STR(DI("1.2250", 1, 2, SGP_ROUND_HALF_EVEN), "1.22");
	CHECK_STR(DI("1.2251", 1, 2, SGP_ROUND_HALF_EVEN), "1.23");
	CHECK_STR(DI("0.0005", 1, 3, SGP_ROUND_HALF_UP), "0.001");
	CHECK_STR(DI("100.005", 2, 2, SGP_ROUND_HALF_EVEN), "50.00");
	CHECK_STR(DI("100.010", 4, 2, SGP_ROUND_HALF_EVEN), "25.00");
	CHECK_STR(DI("100.030", 4, 2, SGP_ROUND_HALF_EVEN), "25.01");
	CHECK_STR(DI("100.030", 4, 2, SGP_ROUND_UNNECESSARY), "ERR");
	CHECK_STR(DI("0.00000000000000000000000000000000000003", 2, 37, SGP_ROUND_HALF_UP), "0.0000000000000000000000000000000000000");
}

TEST(within_absolute_and_relative_tolerance)
{
	sgp_dec z = SGP_DEC_ZERO;

	CHECK_INT(sgp_dec_within(D("100.00"), D("100.00"), z, z), 1);
	CHECK_INT(sgp_dec_within(D("100.00"), D("100"), z, z), 1);
	CHECK_INT(sgp_dec_within(D("100.00"), D("100.01"), z, z), 0);
	CHECK_INT(sgp_dec_within(D("100.00"), D("100.01"), D("0.01"), z), 1);
	CHECK_INT(sgp_dec_within(D("100.01"), D("100.00"), D("0.01"), z), 1);
	CHECK_INT(sgp_dec_within(D("100.00"), D("100.01"), D("0.005"), z), 0);
	/* 0.01 <= 0.0001 * 100.01 = 0.010001 */
	CHECK_INT(sgp_dec_within(D("100.00"), D("100.01"), z, D("0.0001")), 1);
	CHECK_INT(sgp_dec_within(D("100.00"), D("100.01"), z, D("0.00009")), 0);
	/* exactly on the relative boundary: 1 == 0.01 * 100 */
	CHECK_INT(sgp_dec_within(D("99"), D("100"), z, D("0.01")), 1);
	CHECK_INT(sgp_dec_within(D("99"), D("100"), z, D("0.0099999")), 0);
	CHECK_INT(sgp_dec_within(D("1"), D("-1"), D("2"), z), 1);
	CHECK_INT(sgp_dec_within(D("1"), D("-1"), D("1.99"), z), 0);
	CHECK_INT(sgp_dec_within(D("-5"), D("-5.1"), D("0.1"), z), 1);
	errno = 0;
	CHECK_INT(sgp_dec_within(D("1"), D("1"), D("-0.01"), z), -1);
	CHECK_INT(errno, EINVAL);
	CHECK_INT(sgp_dec_within(D("1"), D("1"), z, D("-0.01")), -1);
}

TEST(within_exact_at_extreme_scales)
{
	sgp_dec z = SGP_DEC_ZERO, max = D(N38), tiny = D("0.00000000000000000000000000000000000001");
	sgp_dec almost = D("99999999999999999999999999999999999998");

	CHECK_INT(sgp_dec_within(max, tiny, max, z), 1);
	CHECK_INT(sgp_dec_within(max, tiny, almost, z), 0);
	CHECK_INT(sgp_dec_within(max, tiny, z, D("1")), 1);
	CHECK_INT(sgp_dec_within(sgp_dec_neg(max), max, z, D("2")), 1);
	CHECK_INT(sgp_dec_within(sgp_dec_neg(max), max, z, D("1.9999999999999999999999999999999999999")), 0);
	CHECK_INT(sgp_dec_within(sgp_dec_neg(max), max, max, z), 0);
	CHECK_INT(sgp_dec_within(tiny, z, tiny, z), 1);
	CHECK_INT(sgp_dec_within(tiny, sgp_dec_neg(tiny), tiny, z), 0);
	CHECK_INT(sgp_dec_within(tiny, sgp_dec_neg(tiny), tiny, D("2")), 1);
}

/* Cross-check add, sub and cmp against plain integer arithmetic on small
 * values at scales 0..6 (a fixed pseudo-random sequence). */
TEST(small_values_agree_with_integer_arithmetic)
{
	uint64_t x = 88172645463325252ULL;

	for (int i = 0; i < 3000; i++) {
		int64_t ca, cb, ref_a, ref_b;
		int sa, sb;
		sgp_dec a, b, r, ref;

		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		ca = (int64_t)(x % 2000001) - 1000000;
		sa = (int)((x >> 32) % 7);
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		cb = (int64_t)(x % 2000001) - 1000000;
		sb = (int)((x >> 32) % 7);
		a = (sgp_dec){ ca, sa };
		b = (sgp_dec){ cb, sb };
		ref_a = ca;
		ref_b = cb;
		for (int k = sa; k < 6; k++)
			ref_a *= 10;
		for (int k = sb; k < 6; k++)
			ref_b *= 10;
		CHECK_INT(sgp_dec_cmp(a, b), (ref_a > ref_b) - (ref_a < ref_b));
		CHECK_INT(sgp_dec_add(a, b, &r), 0);
		ref = (sgp_dec){ ref_a + ref_b, 6 };
		CHECK(sgp_dec_eq(r, ref));
		CHECK_INT(r.scale, sa > sb ? sa : sb);
		CHECK_INT(sgp_dec_sub(a, b, &r), 0);
		ref = (sgp_dec){ ref_a - ref_b, 6 };
		CHECK(sgp_dec_eq(r, ref));
		if (unit_cur_failed)
			break;
	}
}

int main(void)
{
	RUN(parse_plain_decimals);
	RUN(parse_json_exponents_exactly);
	RUN(parse_rejects_junk);
	RUN(parse_38_digits_and_no_more);
	RUN(parse_n_reads_only_n_bytes);
	RUN(format_keeps_scale_and_drops_negative_zero);
	RUN(format_longest_values_fit_the_buffer);
	RUN(buf_add_appends_text);
	RUN(point_one_plus_point_two_is_point_three);
	RUN(add_and_subtract_align_scales);
	RUN(add_overflow_is_an_error);
	RUN(add_exact_when_aligning_exceeds_128_bits);
	RUN(multiply_by_integer);
	RUN(multiply_decimals);
	RUN(rescale_widens_exactly);
	RUN(round_half_even);
	RUN(round_half_up_goes_away_from_zero);
	RUN(round_down_truncates_toward_zero);
	RUN(round_unnecessary_fails_when_digits_would_be_lost);
	RUN(compare_is_numeric);
	RUN(compare_when_aligning_exceeds_128_bits);
	RUN(sign_zero_negate_abs);
	RUN(reduce_strips_trailing_zeros);
	RUN(float_shortest_round_trip);
	RUN(float_round_trip_reads_back_the_same_double);
	RUN(from_json_values);
	RUN(currency_exponents);
	RUN(currency_no_minor_unit_and_unknown);
	RUN(currency_funds_and_withdrawn_codes);
	RUN(currency_lookup_n_and_table_order);
	RUN(minor_units_to_decimal);
	RUN(minor_units_from_json_integer_text);
	RUN(decimal_to_minor_units);
	RUN(minor_units_round_trip_per_currency);
	RUN(divide_by_integer_rounds);
	RUN(divide_to_fewer_places_than_the_dividend);
	RUN(within_absolute_and_relative_tolerance);
	RUN(within_exact_at_extreme_scales);
	RUN(small_values_agree_with_integer_arithmetic);
	return unit_done();
}
