/* test_time.c: unit tests for sgptime.c. */
#include "unit.h"
#include "sgptime.h"

#include <errno.h>
#include <time.h>

/* 2026-11-01T12:00:00Z */
#define T_2026_11_01_NOON 1793534400LL

/* Parses with parse_any (NUL-terminated) and formats; "ERR: reason" on failure. */
static const char *PA(const char *s)
{
	static char bufs[8][128];
	static int i;
	char *b = bufs[i++ % 8];
	const char *why = "?";
	sgp_time t;

	if (sgp_time_parse(s, &t, &why) < 0) {
		snprintf(b, 128, "ERR: %s", why);
		return b;
	}
	if (sgp_time_format(t, b, 128) < 0)
		return "(format failed)";
	return b;
}

/* RFC 3339 parse that must succeed. */
static sgp_time R(const char *s)
{
	sgp_time t = { 0, 0 };
	const char *why = NULL;

	if (sgp_time_parse_rfc3339(s, strlen(s), &t, &why) < 0) {
		unit_cur_failed++;
		printf("#   cannot parse \"%s\": %s\n", s, why ? why : "?");
	}
	return t;
}

/* The reason an RFC 3339 parse fails; NULL if it succeeds. */
static const char *rfc_err(const char *s, int *err)
{
	sgp_time t = { 42, 7 };
	const char *why = NULL;

	errno = 0;
	if (sgp_time_parse_rfc3339(s, strlen(s), &t, &why) == 0)
		return NULL;
	*err = errno;
	CHECK(t.sec == 42 && t.nsec == 7);  /* out untouched */
	return why;
}

TEST(rfc3339_utc_z)
{
	sgp_time t = R("2026-11-01T12:00:00Z");

	CHECK_INT(t.sec, T_2026_11_01_NOON);
	CHECK_INT(t.nsec, 0);
	CHECK_INT(R("2026-11-01t12:00:00z").sec, T_2026_11_01_NOON);
	CHECK_INT(R("2026-11-01 12:00:00Z").sec, T_2026_11_01_NOON);
	CHECK_INT(R("1970-01-01T00:00:00Z").sec, 0);
	CHECK_INT(R("1969-12-31T23:59:59Z").sec, -1);
	CHECK_INT(R("2024-11-26T18:40:00Z").sec, 1732646400);
}

TEST(rfc3339_offsets_are_applied)
{
	/* 12:00 at +01:00 is 11:00Z */
	CHECK_INT(R("2026-11-01T12:00:00+01:00").sec, T_2026_11_01_NOON - 3600);
	CHECK_INT(R("2026-11-01T12:00:00+0100").sec, T_2026_11_01_NOON - 3600);
	CHECK_INT(R("2026-11-01T12:00:00+01").sec, T_2026_11_01_NOON - 3600);
	CHECK_INT(R("2026-11-01T12:00:00-05:30").sec, T_2026_11_01_NOON + 5 * 3600 + 1800);
	CHECK_INT(R("2026-11-01T12:00:00-0530").sec, T_2026_11_01_NOON + 5 * 3600 + 1800);
	CHECK_INT(R("2026-11-01T12:00:00+00:00").sec, T_2026_11_01_NOON);
	CHECK_INT(R("2026-11-01T12:00:00+0000").sec, T_2026_11_01_NOON);
	CHECK_INT(R("2026-11-01T12:00:00-00:00").sec, T_2026_11_01_NOON);
	CHECK_STR(PA("2026-11-01T12:00:00+0100"), "2026-11-01T11:00:00Z");
	CHECK_STR(PA("2026-11-01T00:30:00+01:00"), "2026-10-31T23:30:00Z");
	CHECK_STR(PA("2026-12-31T23:00:00-02:00"), "2027-01-01T01:00:00Z");
	CHECK_STR(PA("2024-02-28T23:00:00-14:00"), "2024-02-29T13:00:00Z");
	CHECK_STR(PA("2026-11-01T12:00:00.250+05:45"), "2026-11-01T06:15:00.250Z");
}

TEST(rfc3339_fractions_of_any_length)
{
	sgp_time t;

	t = R("2026-11-01T12:00:00.5Z");
	CHECK_INT(t.sec, T_2026_11_01_NOON);
	CHECK_INT(t.nsec, 500000000);
	CHECK_INT(R("2026-11-01T12:00:00.123Z").nsec, 123000000);
	CHECK_INT(R("2026-11-01T12:00:00.000001Z").nsec, 1000);
	CHECK_INT(R("2026-11-01T12:00:00.123456789Z").nsec, 123456789);
	/* beyond nanoseconds: truncated, never carried into the next second */
	t = R("2026-11-01T12:00:00.9999999999999Z");
	CHECK_INT(t.sec, T_2026_11_01_NOON);
	CHECK_INT(t.nsec, 999999999);
	CHECK_INT(R("2026-11-01T12:00:00.1234567891234+01:00").nsec, 123456789);
	CHECK_INT(R("2026-11-01T12:00:00.0Z").nsec, 0);
}

TEST(plain_dates_are_midnight_utc)
{
	sgp_time t = { 0, 0 };
	const char *why = NULL;

	CHECK_INT(sgp_time_parse_date("2026-11-01", 10, &t, &why), 0);
	CHECK_INT(t.sec, T_2026_11_01_NOON - 12 * 3600);
	CHECK_INT(t.nsec, 0);
	CHECK_STR(PA("2026-11-01"), "2026-11-01T00:00:00Z");
	CHECK_INT(sgp_time_parse_date("2026-11-01T00:00:00Z", 20, &t, &why), -1);
	CHECK_INT(sgp_time_parse_date("2026-11-1", 9, &t, &why), -1);
	CHECK_INT(sgp_time_parse_date("2026-02-30", 10, &t, &why), -1);
	CHECK_STR(why, "day out of range for the month");
	/* n bytes only */
	CHECK_INT(sgp_time_parse_date("2026-11-01\",", 10, &t, &why), 0);
}

TEST(impossible_dates_are_rejected_with_a_reason)
{
	int err = 0;

	CHECK_STR(rfc_err("2026-02-30T00:00:00Z", &err), "day out of range for the month");
	CHECK_INT(err, EINVAL);
	CHECK_STR(rfc_err("2026-04-31T00:00:00Z", &err), "day out of range for the month");
	CHECK_STR(rfc_err("2026-01-00T00:00:00Z", &err), "day out of range for the month");
	CHECK_STR(rfc_err("2026-01-32T00:00:00Z", &err), "day out of range for the month");
	CHECK_STR(rfc_err("2026-13-01T00:00:00Z", &err), "month out of range");
	CHECK_STR(rfc_err("2026-00-01T00:00:00Z", &err), "month out of range");
	CHECK_STR(rfc_err("2025-02-29T00:00:00Z", &err), "day out of range for the month");
	CHECK_STR(rfc_err("2026-11-01T24:00:00Z", &err), "hour out of range");
	CHECK_STR(rfc_err("2026-11-01T12:60:00Z", &err), "minute out of range");
	CHECK_STR(rfc_err("2026-11-01T12:00:61Z", &err), "second out of range");
	CHECK_STR(PA("2026-13-01"), "ERR: month out of range");
}

TEST(leap_years)
{
	int err = 0;

	CHECK_STR(PA("2024-02-29"), "2024-02-29T00:00:00Z");
	CHECK_INT(R("2024-02-29T00:00:00Z").sec, 1709164800);
	CHECK_STR(PA("2000-02-29T00:00:00Z"), "2000-02-29T00:00:00Z");
	CHECK_INT(R("2000-02-29T00:00:00Z").sec, 951782400);
	CHECK(rfc_err("2100-02-29T00:00:00Z", &err) != NULL);
	CHECK(rfc_err("1900-02-29T00:00:00Z", &err) != NULL);
	CHECK(rfc_err("2025-02-29T00:00:00Z", &err) != NULL);
	CHECK_STR(PA("2400-02-29"), "2400-02-29T00:00:00Z");
	CHECK_STR(PA("0000-02-29"), "0000-02-29T00:00:00Z");
	CHECK(sgp_is_leap_year(2024) && sgp_is_leap_year(2000) && sgp_is_leap_year(0));
	CHECK(!sgp_is_leap_year(2100) && !sgp_is_leap_year(1900) && !sgp_is_leap_year(2025));
	CHECK_INT(sgp_days_in_month(2024, 2), 29);
	CHECK_INT(sgp_days_in_month(2100, 2), 28);
	CHECK_INT(sgp_days_in_month(2026, 4), 30);
	CHECK_INT(sgp_days_in_month(2026, 12), 31);
	CHECK_INT(sgp_days_in_month(2026, 13), 0);
}

TEST(leap_second_is_accepted_at_the_end_of_a_month_only)
{
	sgp_time t;
	int err = 0;

	/* read as the last nanosecond of 23:59:59, keeping the day */
	t = R("2016-12-31T23:59:60Z");
	CHECK_INT(t.sec, 1483228799);
	CHECK_INT(t.nsec, 999999999);
	CHECK_STR(PA("2016-12-31T23:59:60Z"), "2016-12-31T23:59:59.999999999Z");
	CHECK_INT(R("2015-06-30T23:59:60Z").sec, 1435708799);
	CHECK_INT(R("2015-06-30T23:59:60.5Z").nsec, 999999999);
	/* same instant written with an offset */
	CHECK_INT(R("2016-12-31T22:59:60-01:00").sec, 1483228799);
	CHECK_INT(R("2017-01-01T00:59:60+01:00").sec, 1483228799);
	CHECK(sgp_time_cmp(R("2016-12-31T23:59:59.5Z"), R("2016-12-31T23:59:60Z")) < 0);
	CHECK(sgp_time_cmp(R("2016-12-31T23:59:60Z"), R("2017-01-01T00:00:00Z")) < 0);
	CHECK_STR(rfc_err("2026-11-01T12:00:60Z", &err), "leap second not at the end of a UTC month");
	CHECK_INT(err, EINVAL);
	CHECK_STR(rfc_err("2016-12-31T23:59:60+01:00", &err),
	          "leap second not at the end of a UTC month");
	CHECK(rfc_err("2016-12-30T23:59:60Z", &err) != NULL);
}

TEST(zone_is_required_and_well_formed)
{
	int err = 0;

	CHECK_STR(rfc_err("2026-11-01T12:00:00", &err), "missing time zone offset");
	CHECK_STR(rfc_err("2026-11-01T12:00:00.5", &err), "missing time zone offset");
	CHECK_STR(rfc_err("2026-11-01T12:00:00+1", &err), "bad time zone offset");
	CHECK_STR(rfc_err("2026-11-01T12:00:00+01:0", &err), "bad time zone offset");
	CHECK_STR(rfc_err("2026-11-01T12:00:00+24:00", &err), "bad time zone offset");
	CHECK_STR(rfc_err("2026-11-01T12:00:00+01:60", &err), "bad time zone offset");
	CHECK_STR(rfc_err("2026-11-01T12:00:00UTC", &err), "bad time zone offset");
	CHECK_STR(rfc_err("2026-11-01T12:00:00ZZ", &err), "trailing characters after the time");
	CHECK_STR(rfc_err("2026-11-01T12:00:00+01:00 ", &err), "trailing characters after the time");
	CHECK_STR(rfc_err("2026-11-01T12:00:00+010", &err), "trailing characters after the time");
}

TEST(malformed_text_is_rejected)
{
	static const char *bad[] = {
		"", "2026-11-01T12:00Z", "2026-11-01T12Z", " 2026-11-01T12:00:00Z",
		"2026-1-01T12:00:00Z", "2026/11/01T12:00:00Z", "2026-11-01X12:00:00Z",
		"2026-11-01T12:00:00.Z", "2026-11-01T12-00-00Z", "26-11-01T12:00:00Z",
		"12026-11-01T12:00:00Z", "-2026-11-01T12:00:00Z", "2026-11-01T1:00:00Z",
		"2026-11-0a", "now", "2026-11-01T12:00:00,5Z",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		sgp_time t;
		const char *why = NULL;

		errno = 0;
		if (sgp_time_parse(bad[i], &t, &why) == 0) {
			unit_cur_failed++;
			printf("#   \"%s\" was accepted\n", bad[i]);
			continue;
		}
		CHECK(why != NULL);
		CHECK_INT(errno, EINVAL);
	}
}

TEST(year_range_0000_to_9999)
{
	sgp_time t;
	int err = 0;

	t = R("0000-01-01T00:00:00Z");
	CHECK_INT(t.sec, SGP_TIME_MIN_SEC);
	t = R("9999-12-31T23:59:59.999999999Z");
	CHECK_INT(t.sec, SGP_TIME_MAX_SEC);
	CHECK_INT(t.nsec, 999999999);
	CHECK_STR(PA("0000-01-01T00:00:00Z"), "0000-01-01T00:00:00Z");
	CHECK_STR(PA("9999-12-31T23:59:59Z"), "9999-12-31T23:59:59Z");
	CHECK_STR(PA("0001-01-01"), "0001-01-01T00:00:00Z");
	/* an offset that moves the instant out of range */
	CHECK_STR(rfc_err("0000-01-01T00:00:00+01:00", &err), "year outside 0000-9999");
	CHECK_INT(err, ERANGE);
	CHECK_STR(rfc_err("9999-12-31T23:59:59-01:00", &err), "year outside 0000-9999");
	CHECK_INT(err, ERANGE);
	CHECK_INT(sgp_time_from_epoch_sec(SGP_TIME_MAX_SEC + 1, &t), -1);
	CHECK_INT(errno, ERANGE);
	CHECK_INT(sgp_time_from_epoch_sec(SGP_TIME_MIN_SEC - 1, &t), -1);
	CHECK_INT(sgp_time_from_epoch_sec(INT64_MAX, &t), -1);
	CHECK_INT(sgp_time_from_epoch_ms(INT64_MIN, &t), -1);
	CHECK_INT(sgp_time_from_epoch_sec(SGP_TIME_MIN_SEC, &t), 0);
}

TEST(epoch_seconds_both_ways)
{
	sgp_time t;
	const char *why = NULL;

	CHECK_INT(sgp_time_from_epoch_sec(1732646400, &t), 0);
	CHECK_INT(t.sec, 1732646400);
	CHECK_INT(t.nsec, 0);
	CHECK_STR(PA("1732646400"), "2024-11-26T18:40:00Z");
	CHECK_STR(PA("0"), "1970-01-01T00:00:00Z");
	CHECK_STR(PA("86400"), "1970-01-02T00:00:00Z");
	CHECK_STR(PA("1732646400.5"), "2024-11-26T18:40:00.500Z");
	CHECK_INT(sgp_time_parse_epoch_sec("1732646400", 10, &t, &why), 0);
	CHECK_INT(t.sec, 1732646400);
	CHECK_INT(sgp_time_parse_epoch_sec("-1", 2, &t, &why), 0);
	CHECK_INT(t.sec, -1);
	CHECK_INT(sgp_time_parse_epoch_sec("-1.25", 5, &t, &why), 0);
	CHECK_INT(t.sec, -2);
	CHECK_INT(t.nsec, 750000000);
	CHECK_INT(sgp_time_parse_epoch_sec("1732646400.123456789999", 23, &t, &why), 0);
	CHECK_INT(t.nsec, 123456789);
	CHECK_INT(sgp_time_parse_epoch_sec("17326464001", 11, &t, &why), 0);  /* explicit: fine */
	CHECK_INT(sgp_time_parse_epoch_sec("99999999999999999999", 20, &t, &why), -1);
	CHECK_INT(errno, ERANGE);
	CHECK_INT(sgp_time_parse_epoch_sec("1.", 2, &t, &why), -1);
	CHECK_INT(sgp_time_parse_epoch_sec("+1", 2, &t, &why), -1);
	CHECK_INT(sgp_time_parse_epoch_sec("-", 1, &t, &why), -1);
	CHECK_INT(sgp_time_parse_epoch_sec("1e9", 3, &t, &why), -1);
	CHECK_STR(why, "not an epoch number");
	CHECK_INT(sgp_time_parse_epoch_sec("", 0, &t, &why), -1);
}

TEST(epoch_milliseconds_both_ways)
{
	sgp_time t;
	const char *why = NULL;

	CHECK_INT(sgp_time_from_epoch_ms(1732646400123LL, &t), 0);
	CHECK_INT(t.sec, 1732646400);
	CHECK_INT(t.nsec, 123000000);
	CHECK_INT(sgp_time_to_epoch_ms(t), 1732646400123LL);
	CHECK_STR(PA("1732646400123"), "2024-11-26T18:40:00.123Z");
	CHECK_INT(sgp_time_from_epoch_ms(-1, &t), 0);
	CHECK_INT(t.sec, -1);
	CHECK_INT(t.nsec, 999000000);
	CHECK_INT(sgp_time_to_epoch_ms(t), -1);
	CHECK_INT(sgp_time_parse_epoch_ms("1732646400123", 13, &t, &why), 0);
	CHECK_INT(sgp_time_to_epoch_ms(t), 1732646400123LL);
	CHECK_INT(sgp_time_parse_epoch_ms("-1500", 5, &t, &why), 0);
	CHECK_INT(t.sec, -2);
	CHECK_INT(t.nsec, 500000000);
	CHECK_INT(sgp_time_parse_epoch_ms("1.5", 3, &t, &why), -1);
	CHECK_INT(sgp_time_parse_epoch_ms("", 0, &t, &why), -1);
	/* to_epoch_ms rounds toward the past */
	t = R("1969-12-31T23:59:59.9999Z");
	CHECK_INT(sgp_time_to_epoch_ms(t), -1);
	t = R("2026-11-01T12:00:00.0019Z");
	CHECK_INT(sgp_time_to_epoch_ms(t), T_2026_11_01_NOON * 1000 + 1);
}

TEST(parse_any_by_shape)
{
	CHECK_STR(PA("1793534400"), "2026-11-01T12:00:00Z");
	CHECK_STR(PA("1793534400000"), "2026-11-01T12:00:00Z");
	CHECK_STR(PA("2026-11-01T12:00:00Z"), "2026-11-01T12:00:00Z");
	CHECK_STR(PA("2026-11-01T13:00:00+0100"), "2026-11-01T12:00:00Z");
	CHECK_STR(PA("2026-11-01"), "2026-11-01T00:00:00Z");
	CHECK_STR(PA("2026-11-01 12:00:00.000+00:00"), "2026-11-01T12:00:00Z");
	/* 11, 12, 14+ digits are ambiguous */
	CHECK_STR(PA("17935344000"), "ERR: epoch number needs 10 digits or fewer (seconds) or 13 (milliseconds)");
	CHECK_STR(PA("179353440000"), "ERR: epoch number needs 10 digits or fewer (seconds) or 13 (milliseconds)");
	CHECK_STR(PA("17935344000000"), "ERR: epoch number needs 10 digits or fewer (seconds) or 13 (milliseconds)");
	CHECK_STR(PA("17935344000.5"), "ERR: epoch seconds need 10 digits or fewer");
	CHECK_STR(PA(""), "ERR: empty time");
	CHECK_STR(PA("-1"), "ERR: not an RFC 3339 date-time");
	CHECK_STR(PA("2026-11-01T12:00:00"), "ERR: missing time zone offset");
}

TEST(format_fraction_only_when_nonzero)
{
	char buf[SGP_TIME_BUFSZ];
	sgp_time t = { T_2026_11_01_NOON, 0 };

	CHECK_INT(sgp_time_format(t, buf, sizeof buf), 20);
	CHECK_STR(buf, "2026-11-01T12:00:00Z");
	t.nsec = 500000000;
	sgp_time_format(t, buf, sizeof buf);
	CHECK_STR(buf, "2026-11-01T12:00:00.500Z");
	t.nsec = 250000;
	sgp_time_format(t, buf, sizeof buf);
	CHECK_STR(buf, "2026-11-01T12:00:00.000250Z");
	t.nsec = 1;
	CHECK_INT(sgp_time_format(t, buf, sizeof buf), 30);
	CHECK_STR(buf, "2026-11-01T12:00:00.000000001Z");
	t.nsec = 123456789;
	sgp_time_format(t, buf, sizeof buf);
	CHECK_STR(buf, "2026-11-01T12:00:00.123456789Z");
}

TEST(format_milliseconds_always)
{
	char buf[SGP_TIME_BUFSZ];
	sgp_time t = { T_2026_11_01_NOON, 0 };

	CHECK_INT(sgp_time_format_ms(t, buf, sizeof buf), 24);
	CHECK_STR(buf, "2026-11-01T12:00:00.000Z");
	t.nsec = 123999999;
	sgp_time_format_ms(t, buf, sizeof buf);
	CHECK_STR(buf, "2026-11-01T12:00:00.123Z");
	t = R("1969-12-31T23:59:59.5Z");
	sgp_time_format_ms(t, buf, sizeof buf);
	CHECK_STR(buf, "1969-12-31T23:59:59.500Z");
}

TEST(format_date_and_errors)
{
	char buf[SGP_TIME_BUFSZ];
	sgp_time t = { T_2026_11_01_NOON, 0 };
	sgp_buf b = SGP_BUF_INIT;

	CHECK_INT(sgp_time_format_date(t, buf, sizeof buf), 10);
	CHECK_STR(buf, "2026-11-01");
	t = R("2026-11-01T00:30:00+01:00");
	sgp_time_format_date(t, buf, sizeof buf);
	CHECK_STR(buf, "2026-10-31");
	/* buffer too small */
	errno = 0;
	CHECK_INT(sgp_time_format(t, buf, 20), -1);
	CHECK_INT(errno, ERANGE);
	CHECK_STR(buf, "");
	CHECK_INT(sgp_time_format(t, buf, 21), 20);
	CHECK_INT(sgp_time_format_date(t, buf, 10), -1);
	/* out of range */
	t.sec = SGP_TIME_MAX_SEC + 1;
	CHECK_INT(sgp_time_format(t, buf, sizeof buf), -1);
	CHECK_INT(errno, ERANGE);
	CHECK_INT(sgp_time_format_date(t, buf, sizeof buf), -1);
	CHECK_INT(sgp_time_buf_add(&b, t), -1);
	CHECK_INT(b.len, 0);
	t.sec = 0;
	CHECK_INT(sgp_time_buf_add(&b, t), 0);
	CHECK_STR(b.data, "1970-01-01T00:00:00Z");
	sgp_buf_release(&b);
}

TEST(format_parse_round_trip)
{
	static const char *texts[] = {
		"2026-11-01T12:00:00Z", "1970-01-01T00:00:00Z", "1969-07-20T20:17:40Z",
		"0000-01-01T00:00:00Z", "9999-12-31T23:59:59.999999999Z", "2024-02-29T23:59:59.001Z",
		"2000-01-01T00:00:00.000001Z", "1900-03-01T00:00:00Z", "0400-02-29T12:34:56.789Z",
	};
	for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
		CHECK_STR(PA(texts[i]), texts[i]);

	/* every millisecond value survives format -> parse */
	sgp_time t = { T_2026_11_01_NOON, 0 }, u;
	char buf[SGP_TIME_BUFSZ];
	for (int ms = 0; ms < 1000; ms += 7) {
		t.nsec = ms * 1000000;
		sgp_time_format(t, buf, sizeof buf);
		CHECK_INT(sgp_time_parse(buf, &u, NULL), 0);
		CHECK(sgp_time_cmp(t, u) == 0);
	}
}

TEST(civil_conversions)
{
	struct sgp_civil c = { 2026, 11, 1, 12, 0, 0, 5 };
	sgp_time t;
	const char *why = NULL;
	int64_t y;
	int m, d;

	CHECK_INT(sgp_days_from_civil(1970, 1, 1), 0);
	CHECK_INT(sgp_days_from_civil(2000, 3, 1), 11017);
	CHECK_INT(sgp_days_from_civil(1969, 12, 31), -1);
	sgp_civil_from_days(-1, &y, &m, &d);
	CHECK(y == 1969 && m == 12 && d == 31);
	CHECK_INT(sgp_time_from_civil(&c, &t, &why), 0);
	CHECK_INT(t.sec, T_2026_11_01_NOON);
	CHECK_INT(t.nsec, 5);
	memset(&c, 0, sizeof c);
	CHECK_INT(sgp_time_to_civil(t, &c), 0);
	CHECK(c.year == 2026 && c.month == 11 && c.day == 1 && c.hour == 12 && c.minute == 0 &&
	      c.second == 0 && c.nsec == 5);
	c.day = 31;
	CHECK_INT(sgp_time_from_civil(&c, &t, &why), -1);
	CHECK_STR(why, "day out of range for the month");
	c.day = 1;
	c.nsec = 1000000000;
	CHECK_INT(sgp_time_from_civil(&c, &t, &why), -1);
	t.sec = SGP_TIME_MIN_SEC - 1;
	CHECK_INT(sgp_time_to_civil(t, &c), -1);
}

TEST(every_day_from_0000_to_9999_round_trips)
{
	int64_t days = sgp_days_from_civil(0, 1, 1);
	int bad = 0;

	CHECK_INT(days * 86400, SGP_TIME_MIN_SEC);
	for (int y = 0; y <= 9999 && bad < 5; y++) {
		for (int m = 1; m <= 12; m++) {
			int dim = sgp_days_in_month(y, m);

			for (int d = 1; d <= dim; d++, days++) {
				int64_t yy;
				int mm, dd;

				if (sgp_days_from_civil(y, m, d) != days) {
					bad++;
					printf("#   days_from_civil(%d-%d-%d)\n", y, m, d);
				}
				sgp_civil_from_days(days, &yy, &mm, &dd);
				if (yy != y || mm != m || dd != d) {
					bad++;
					printf("#   civil_from_days(%lld)\n", (long long)days);
				}
			}
		}
	}
	CHECK_INT(bad, 0);
	CHECK_INT(days * 86400 - 1, SGP_TIME_MAX_SEC);
}

TEST(agrees_with_the_c_library_timegm)
{
	/* glibc's timegm is a reference here only; the module never calls it */
	uint64_t x = 0x9E3779B97F4A7C15ULL;

	for (int i = 0; i < 2000; i++) {
		struct tm tm = { 0 };
		char text[64];
		sgp_time t;

		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		tm.tm_year = (int)(x % 9000) + 1000 - 1900;
		tm.tm_mon = (int)((x >> 16) % 12);
		tm.tm_mday = (int)((x >> 24) % 28) + 1;
		tm.tm_hour = (int)((x >> 32) % 24);
		tm.tm_min = (int)((x >> 40) % 60);
		tm.tm_sec = (int)((x >> 48) % 60);
		snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900,
		         tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
		CHECK_INT(sgp_time_parse(text, &t, NULL), 0);
		CHECK_INT(t.sec, (int64_t)timegm(&tm));
		if (unit_cur_failed)
			break;
	}
}

TEST(now_is_a_plausible_present)
{
	sgp_time t = sgp_time_now();
	char buf[SGP_TIME_BUFSZ];

	CHECK(t.sec > 1577836800);  /* after 2020-01-01 */
	CHECK(t.sec < SGP_TIME_MAX_SEC);
	CHECK(t.nsec >= 0 && t.nsec < 1000000000);
	CHECK(sgp_time_format(t, buf, sizeof buf) > 0);
}

TEST(compare_orders_instants)
{
	CHECK_INT(sgp_time_cmp(R("2026-11-01T12:00:00Z"), R("2026-11-01T13:00:00+01:00")), 0);
	CHECK_INT(sgp_time_cmp(R("2026-11-01T12:00:00Z"), R("2026-11-01T12:00:00.001Z")), -1);
	CHECK_INT(sgp_time_cmp(R("2026-11-01T12:00:01Z"), R("2026-11-01T12:00:00.999Z")), 1);
}

int main(void)
{
	RUN(rfc3339_utc_z);
	RUN(rfc3339_offsets_are_applied);
	RUN(rfc3339_fractions_of_any_length);
	RUN(plain_dates_are_midnight_utc);
	RUN(impossible_dates_are_rejected_with_a_reason);
	RUN(leap_years);
	RUN(leap_second_is_accepted_at_the_end_of_a_month_only);
	RUN(zone_is_required_and_well_formed);
	RUN(malformed_text_is_rejected);
	RUN(year_range_0000_to_9999);
	RUN(epoch_seconds_both_ways);
	RUN(epoch_milliseconds_both_ways);
	RUN(parse_any_by_shape);
	RUN(format_fraction_only_when_nonzero);
	RUN(format_milliseconds_always);
	RUN(format_date_and_errors);
	RUN(format_parse_round_trip);
	RUN(civil_conversions);
	RUN(every_day_from_0000_to_9999_round_trips);
	RUN(agrees_with_the_c_library_timegm);
	RUN(now_is_a_plausible_present);
	RUN(compare_orders_instants);
	return unit_done();
}
