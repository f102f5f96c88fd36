/*
 * sgptime.c: UTC instants: civil calendar arithmetic (days from civil and
 * back, after Howard Hinnant's public-domain algorithms), vendor time
 * parsing and RFC 3339 formatting.
 */
#include "sgptime.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#define NS_PER_SEC 1000000000

static int fail(const char **why, const char *msg, int err)
{
	if (why)
		*why = msg;
	errno = err;
	return -1;
}

/* ---- calendar ---------------------------------------------------------- */

bool sgp_is_leap_year(int64_t y)
{
	return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

int sgp_days_in_month(int64_t y, int m)
{
	static const unsigned char dim[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (m < 1 || m > 12)
		return 0;
	return m == 2 && sgp_is_leap_year(y) ? 29 : dim[m - 1];
}

int64_t sgp_days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;                                   /* [0, 399] */
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1; /* [0, 365] */
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;           /* [0, 146096] */
	return era * 146097 + doe - 719468;
}

void sgp_civil_from_days(int64_t z, int64_t *year, int *month, int *day)
{
	int64_t era, doe, yoe, y, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;                                        /* [0, 146096] */
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;   /* [0, 399] */
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);                 /* [0, 365] */
	mp = (5 * doy + 2) / 153;                                      /* [0, 11] */
	*day = (int)(doy - (153 * mp + 2) / 5 + 1);
	*month = (int)(mp < 10 ? mp + 3 : mp - 9);
	*year = y + (*month <= 2);
}

/* Splits seconds into days and the second of the day, rounding down. */
static void split_day(int64_t sec, int64_t *days, int64_t *sod)
{
	*days = sec / 86400;
	*sod = sec % 86400;
	if (*sod < 0) {
		*sod += 86400;
		(*days)--;
	}
}

/*
 * Validates broken-down local fields, applies the offset (seconds east of
 * UTC) and handles a leap second.
 */
static int make_time(int64_t year, int month, int day, int hour, int minute, int second,
                     int32_t nsec, int64_t offset, sgp_time *out, const char **why)
{
	int64_t sec, days, sod;

	if (year < 0 || year > 9999)
		return fail(why, "year outside 0000-9999", ERANGE);
	if (month < 1 || month > 12)
		return fail(why, "month out of range", EINVAL);
	if (day < 1 || day > sgp_days_in_month(year, month))
		return fail(why, "day out of range for the month", EINVAL);
	if (hour < 0 || hour > 23)
		return fail(why, "hour out of range", EINVAL);
	if (minute < 0 || minute > 59)
		return fail(why, "minute out of range", EINVAL);
	if (second < 0 || second > 60)
		return fail(why, "second out of range", EINVAL);
	if (nsec < 0 || nsec >= NS_PER_SEC)
		return fail(why, "nanoseconds out of range", EINVAL);

	sec = sgp_days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 +
	      (second == 60 ? 59 : second) - offset;
	if (second == 60) {
		int64_t y;
		int m, d;

		split_day(sec, &days, &sod);
		sgp_civil_from_days(days, &y, &m, &d);
		if (sod != 86399 || d != sgp_days_in_month(y, m))
			return fail(why, "leap second not at the end of a UTC month", EINVAL);
		nsec = NS_PER_SEC - 1;
	}
	if (sec < SGP_TIME_MIN_SEC || sec > SGP_TIME_MAX_SEC)
		return fail(why, "year outside 0000-9999", ERANGE);
	out->sec = sec;
	out->nsec = nsec;
	return 0;
}

int sgp_time_from_civil(const struct sgp_civil *c, sgp_time *out, const char **why)
{
	return make_time(c->year, c->month, c->day, c->hour, c->minute, c->second, c->nsec, 0,
	                 out, why);
}

int sgp_time_to_civil(sgp_time t, struct sgp_civil *c)
{
	int64_t days, sod, y;

	if (t.sec < SGP_TIME_MIN_SEC || t.sec > SGP_TIME_MAX_SEC || t.nsec < 0 ||
	    t.nsec >= NS_PER_SEC) {
		errno = ERANGE;
		return -1;
	}
	split_day(t.sec, &days, &sod);
	sgp_civil_from_days(days, &y, &c->month, &c->day);
	c->year = (int)y;
	c->hour = (int)(sod / 3600);
	c->minute = (int)(sod / 60 % 60);
	c->second = (int)(sod % 60);
	c->nsec = t.nsec;
	return 0;
}

/* ---- epoch numbers ----------------------------------------------------- */

static int from_sec_nsec(int64_t sec, int32_t nsec, sgp_time *out, const char **why)
{
	if (sec < SGP_TIME_MIN_SEC || sec > SGP_TIME_MAX_SEC)
		return fail(why, "year outside 0000-9999", ERANGE);
	out->sec = sec;
	out->nsec = nsec;
	return 0;
}

int sgp_time_from_epoch_sec(int64_t sec, sgp_time *out)
{
	return from_sec_nsec(sec, 0, out, NULL);
}

int sgp_time_from_epoch_ms(int64_t ms, sgp_time *out)
{
	int64_t sec = ms / 1000, rem = ms % 1000;

	if (rem < 0) {
		rem += 1000;
		sec--;
	}
	return from_sec_nsec(sec, (int32_t)(rem * 1000000), out, NULL);
}

int64_t sgp_time_to_epoch_ms(sgp_time t)
{
	return t.sec * 1000 + t.nsec / 1000000;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Far beyond any year-9999 instant in milliseconds, far below overflow. */
#define EPOCH_CAP 1000000000000000LL

/*
 * Reads an optional '-' and digits; stops at the first non-digit.  Returns
 * the number of bytes used, 0 if there were no digits.
 */
static size_t read_int(const char *s, size_t n, bool *neg, int64_t *v, bool *big)
{
	size_t i = 0, start;

	*neg = false;
	*v = 0;
	*big = false;
	if (i < n && s[i] == '-') {
		*neg = true;
		i++;
	}
	start = i;
	for (; i < n && is_digit(s[i]); i++) {
		if (*v < EPOCH_CAP)
			*v = *v * 10 + (s[i] - '0');
		else
			*big = true;
	}
	return i == start ? 0 : i;
}

/* Reads fraction digits after a '.', into nanoseconds (truncated). */
static size_t read_frac(const char *s, size_t n, int32_t *nsec)
{
	size_t i = 0;
	int32_t v = 0;
	int k = 0;

	for (; i < n && is_digit(s[i]); i++) {
		if (k < 9) {
			v = v * 10 + (s[i] - '0');
			k++;
		}
	}
	for (; k < 9; k++)
		v *= 10;
	*nsec = v;
	return i;
}

int sgp_time_parse_epoch_sec(const char *s, size_t n, sgp_time *out, const char **why)
{
	bool neg, big;
	int64_t v;
	int32_t ns = 0;
	size_t i = read_int(s, n, &neg, &v, &big);

	if (i == 0)
		return fail(why, "not an epoch number", EINVAL);
	if (i < n && s[i] == '.') {
		size_t k = read_frac(s + i + 1, n - i - 1, &ns);

		if (k == 0)
			return fail(why, "not an epoch number", EINVAL);
		i += 1 + k;
	}
	if (i != n)
		return fail(why, "not an epoch number", EINVAL);
	if (big)
		return fail(why, "year outside 0000-9999", ERANGE);
	if (neg) {
		v = -v;
		if (ns) {
			v--;
			ns = NS_PER_SEC - ns;
		}
	}
	return from_sec_nsec(v, ns, out, why);
}

int sgp_time_parse_epoch_ms(const char *s, size_t n, sgp_time *out, const char **why)
{
	bool neg, big;
	int64_t v;
	size_t i = read_int(s, n, &neg, &v, &big);

	if (i == 0 || i != n)
		return fail(why, "not an epoch number", EINVAL);
	if (big || sgp_time_from_epoch_ms(neg ? -v : v, out) < 0)
		return fail(why, "year outside 0000-9999", ERANGE);
	return 0;
}

/* ---- text -------------------------------------------------------------- */

static bool digits(const char *s, int k)
{
	for (int i = 0; i < k; i++)
		if (!is_digit(s[i]))
			return false;
	return true;
}

static int d2(const char *s)
{
	return (s[0] - '0') * 10 + (s[1] - '0');
}

static int d4(const char *s)
{
	return d2(s) * 100 + d2(s + 2);
}

static bool date_shape(const char *s, size_t n)
{
	return n >= 10 && digits(s, 4) && s[4] == '-' && digits(s + 5, 2) && s[7] == '-' &&
	       digits(s + 8, 2);
}

int sgp_time_parse_date(const char *s, size_t n, sgp_time *out, const char **why)
{
	if (n != 10 || !date_shape(s, n))
		return fail(why, "not a date (YYYY-MM-DD)", EINVAL);
	return make_time(d4(s), d2(s + 5), d2(s + 8), 0, 0, 0, 0, 0, out, why);
}

int sgp_time_parse_rfc3339(const char *s, size_t n, sgp_time *out, const char **why)
{
	int32_t nsec = 0;
	int64_t offset = 0;
	size_t p;

	if (n < 19 || !date_shape(s, n) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
	    !digits(s + 11, 2) || s[13] != ':' || !digits(s + 14, 2) || s[16] != ':' ||
	    !digits(s + 17, 2))
		return fail(why, "not an RFC 3339 date-time", EINVAL);
	p = 19;
	if (p < n && s[p] == '.') {
		size_t k = read_frac(s + p + 1, n - p - 1, &nsec);

		if (k == 0)
			return fail(why, "not an RFC 3339 date-time", EINVAL);
		p += 1 + k;
	}
	if (p == n)
		return fail(why, "missing time zone offset", EINVAL);
	if (s[p] == 'Z' || s[p] == 'z') {
		p++;
	} else if (s[p] == '+' || s[p] == '-') {
		int sign = s[p] == '-' ? -1 : 1, oh, om = 0;

		p++;
		if (n - p < 2 || !digits(s + p, 2))
			return fail(why, "bad time zone offset", EINVAL);
		oh = d2(s + p);
		p += 2;
		if (p < n && s[p] == ':') {
			p++;
			if (n - p < 2 || !digits(s + p, 2))
				return fail(why, "bad time zone offset", EINVAL);
			om = d2(s + p);
			p += 2;
		} else if (n - p >= 2 && digits(s + p, 2)) {
			om = d2(s + p);
			p += 2;
		}
		if (oh > 23 || om > 59)
			return fail(why, "bad time zone offset", EINVAL);
		offset = sign * (oh * 3600 + om * 60);
	} else {
		return fail(why, "bad time zone offset", EINVAL);
	}
	if (p != n)
		return fail(why, "trailing characters after the time", EINVAL);
	return make_time(d4(s), d2(s + 5), d2(s + 8), d2(s + 11), d2(s + 14), d2(s + 17), nsec,
	                 offset, out, why);
}

int sgp_time_parse_any(const char *s, size_t n, sgp_time *out, const char **why)
{
	size_t i = 0;

	if (n == 0)
		return fail(why, "empty time", EINVAL);
	while (i < n && is_digit(s[i]))
		i++;
	if (i == n) {
		if (n <= 10)
			return sgp_time_parse_epoch_sec(s, n, out, why);
		if (n == 13)
			return sgp_time_parse_epoch_ms(s, n, out, why);
		return fail(why, "epoch number needs 10 digits or fewer (seconds) or 13 "
		                 "(milliseconds)", EINVAL);
	}
	if (i > 0 && s[i] == '.' && i + 1 < n) {
		size_t j = i + 1;

		while (j < n && is_digit(s[j]))
			j++;
		if (j == n) {
			if (i > 10)
				return fail(why, "epoch seconds need 10 digits or fewer", EINVAL);
			return sgp_time_parse_epoch_sec(s, n, out, why);
		}
	}
	if (n == 10 && date_shape(s, n))
		return sgp_time_parse_date(s, n, out, why);
	return sgp_time_parse_rfc3339(s, n, out, why);
}

int sgp_time_parse(const char *s, sgp_time *out, const char **why)
{
	return sgp_time_parse_any(s, strlen(s), out, why);
}

static char *put2(char *p, int v)
{
	p[0] = (char)('0' + v / 10);
	p[1] = (char)('0' + v % 10);
	return p + 2;
}

static char *put_date(char *p, const struct sgp_civil *c)
{
	p = put2(p, c->year / 100);
	p = put2(p, c->year % 100);
	*p++ = '-';
	p = put2(p, c->month);
	*p++ = '-';
	return put2(p, c->day);
}

static char *put_clock(char *p, const struct sgp_civil *c)
{
	*p++ = 'T';
	p = put2(p, c->hour);
	*p++ = ':';
	p = put2(p, c->minute);
	*p++ = ':';
	return put2(p, c->second);
}

/* Writes the first k of the 9 nanosecond digits after a '.'. */
static char *put_frac(char *p, int32_t nsec, int k)
{
	char d[9];

	for (int i = 8; i >= 0; i--) {
		d[i] = (char)('0' + nsec % 10);
		nsec /= 10;
	}
	*p++ = '.';
	memcpy(p, d, (size_t)k);
	return p + k;
}

static int emit(const char *tmp, size_t len, char *buf, size_t n)
{
	if (len >= n) {
		if (n > 0)
			buf[0] = '\0';
		errno = ERANGE;
		return -1;
	}
	memcpy(buf, tmp, len);
	buf[len] = '\0';
	return (int)len;
}

/* fracdigits: -1 for "as few groups of three as needed", else 0, 3, 6, 9. */
static int format_time(sgp_time t, int fracdigits, char *buf, size_t n)
{
	struct sgp_civil c;
	char tmp[SGP_TIME_BUFSZ], *p = tmp;

	if (sgp_time_to_civil(t, &c) < 0) {
		if (n > 0)
			buf[0] = '\0';
		return -1;
	}
	p = put_date(p, &c);
	p = put_clock(p, &c);
	if (fracdigits < 0)
		fracdigits = c.nsec == 0 ? 0 : c.nsec % 1000000 == 0 ? 3 : c.nsec % 1000 == 0 ? 6 : 9;
	if (fracdigits > 0)
		p = put_frac(p, c.nsec, fracdigits);
	*p++ = 'Z';
	return emit(tmp, (size_t)(p - tmp), buf, n);
}

int sgp_time_format(sgp_time t, char *buf, size_t n)
{
	return format_time(t, -1, buf, n);
}

int sgp_time_format_ms(sgp_time t, char *buf, size_t n)
{
	return format_time(t, 3, buf, n);
}

int sgp_time_format_date(sgp_time t, char *buf, size_t n)
{
	struct sgp_civil c;
	char tmp[SGP_TIME_BUFSZ], *p;

	if (sgp_time_to_civil(t, &c) < 0) {
		if (n > 0)
			buf[0] = '\0';
		return -1;
	}
	p = put_date(tmp, &c);
	return emit(tmp, (size_t)(p - tmp), buf, n);
}

int sgp_time_buf_add(sgp_buf *b, sgp_time t)
{
	char tmp[SGP_TIME_BUFSZ];
	int len = sgp_time_format(t, tmp, sizeof tmp);

	if (len < 0)
		return -1;
	sgp_buf_add(b, tmp, (size_t)len);
	return 0;
}

/* ---- other ------------------------------------------------------------- */

sgp_time sgp_time_now(void)
{
	struct timespec ts;
	sgp_time t;

	clock_gettime(CLOCK_REALTIME, &ts);
	t.sec = ts.tv_sec;
	t.nsec = (int32_t)ts.tv_nsec;
	return t;
}
