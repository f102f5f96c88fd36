/* map_time.c: time conversions of the mapping engine: the input formats
 * of a "convert": "time" rule, including strftime-like patterns for
 * vendor formats such as NetSuite's "11/1/2026 3:45 pm" (see
 * map_internal.h and sgp-mapping(5)). */
#include "map_internal.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static const char *const months[] = { "january", "february", "march", "april", "may", "june",
				       "july", "august", "september", "october", "november",
				       "december" };

int map_time_pattern_check(const char *pat, const char **why)
{
	int date = 0, month = 0, day = 0;

	for (; *pat; pat++) {
		if (*pat != '%')
			continue;
		pat++;
		switch (*pat) {
		case 'Y': case 'y': date = 1; break;
		case 'm': case 'b': case 'B': month = 1; break;
		case 'd': day = 1; break;
		case 'F': date = month = day = 1; break;
		case 'H': case 'I': case 'M': case 'S': case 'f': case 'p': case 'z': case 'T': case '%':
			break;
		case '\0':
			*why = "pattern ends with '%'";
			return -1;
		default: {
			static char msg[160];   /* only read on the loading thread */

			snprintf(msg, sizeof msg, "unknown directive '%%%c' (known: %%Y %%y %%m %%b %%B %%d %%F %%H %%I %%M %%S %%T %%f %%p %%z %%%%)",
				 *pat);
			*why = msg;
			return -1;
		}
		}
	}
	if (!date || !month || !day) {
		*why = "a pattern needs a year (%Y or %y), a month (%m, %b, %B) and a day (%d)";
		return -1;
	}
	return 0;
}

/* Read 1..max digits; returns the number of digits read (0 = none). */
static int digits(const char **s, const char *end, int max, int *out)
{
	int n = 0, v = 0;

	while (*s < end && n < max && **s >= '0' && **s <= '9') {
		v = v * 10 + (**s - '0');
		(*s)++;
		n++;
	}
	*out = v;
	return n;
}

static int parse_zone(const char **s, const char *end, int *off)
{
	int h = 0, m = 0, sign;

	if (*s < end && (**s == 'Z' || **s == 'z')) {
		(*s)++;
		*off = 0;
		return 0;
	}
	if (*s >= end || (**s != '+' && **s != '-'))
		return -1;
	sign = **s == '-' ? -1 : 1;
	(*s)++;
	if (digits(s, end, 2, &h) != 2 || h > 23)
		return -1;
	if (*s < end && **s == ':')
		(*s)++;
	if (*s < end && **s >= '0' && **s <= '9') {
		if (digits(s, end, 2, &m) != 2 || m > 59)
			return -1;
	}
	*off = sign * (h * 3600 + m * 60);
	return 0;
}

int map_time_parse_pattern(const char *pat, int offset, const char *s, size_t n, sgp_time *t,
			   const char **why)
{
	const char *end = s + n;
	struct sgp_civil cv = { 1970, 1, 1, 0, 0, 0, 0 };
	int pm = -1, h12 = -1, v;
	sgp_time r;

	for (; *pat; pat++) {
		if (*pat == ' ') {
			if (s >= end || !isspace((unsigned char)*s))
				goto mismatch;
			while (s < end && isspace((unsigned char)*s))
				s++;
			continue;
		}
		if (*pat != '%') {
			if (s >= end || *s != *pat)
				goto mismatch;
			s++;
			continue;
		}
		pat++;
		switch (*pat) {
		case 'Y':
			if (digits(&s, end, 4, &cv.year) != 4)
				goto mismatch;
			break;
		case 'y':
			if (digits(&s, end, 2, &v) != 2)
				goto mismatch;
			cv.year = v < 69 ? 2000 + v : 1900 + v;
			break;
		case 'm':
			if (!digits(&s, end, 2, &cv.month))
				goto mismatch;
			break;
		case 'd':
			if (!digits(&s, end, 2, &cv.day))
				goto mismatch;
			break;
		case 'F':
			if (digits(&s, end, 4, &cv.year) != 4 || s >= end || *s++ != '-' ||
			    digits(&s, end, 2, &cv.month) != 2 || s >= end || *s++ != '-' ||
			    digits(&s, end, 2, &cv.day) != 2)
				goto mismatch;
			break;
		case 'H':
			if (!digits(&s, end, 2, &cv.hour))
				goto mismatch;
			break;
		case 'I':
			if (!digits(&s, end, 2, &h12) || h12 < 1 || h12 > 12)
				goto mismatch;
			break;
		case 'M':
			if (!digits(&s, end, 2, &cv.minute))
				goto mismatch;
			break;
		case 'S':
			if (!digits(&s, end, 2, &cv.second))
				goto mismatch;
			break;
		case 'T':
			if (!digits(&s, end, 2, &cv.hour) || s >= end || *s++ != ':' ||
			    !digits(&s, end, 2, &cv.minute) || s >= end || *s++ != ':' ||
			    !digits(&s, end, 2, &cv.second))
				goto mismatch;
			break;
		case 'f': {
			int k = 0;
			int32_t ns = 0;

			while (s < end && *s >= '0' && *s <= '9') {
				if (k < 9)
					ns = ns * 10 + (*s - '0');
				k++;
				s++;
			}
			if (k == 0)
				goto mismatch;
			for (; k < 9; k++)
				ns *= 10;
			cv.nsec = ns;
			break;
		}
		case 'p':
			if (end - s >= 2 && strncasecmp(s, "am", 2) == 0) {
				pm = 0;
				s += 2;
			} else if (end - s >= 2 && strncasecmp(s, "pm", 2) == 0) {
				pm = 1;
				s += 2;
			} else {
				goto mismatch;
			}
			break;
		case 'b': case 'B': {
			int i, found = 0;

			for (i = 0; i < 12 && !found; i++) {
				size_t full = strlen(months[i]);

				if ((size_t)(end - s) >= full && strncasecmp(s, months[i], full) == 0) {
					s += full;
					found = 1;
				} else if (end - s >= 3 && strncasecmp(s, months[i], 3) == 0) {
					s += 3;
					found = 1;
				}
				if (found)
					cv.month = i + 1;
			}
			if (!found)
				goto mismatch;
			break;
		}
		case 'z':
			if (parse_zone(&s, end, &offset) < 0) {
				*why = "bad time zone offset";
				return -1;
			}
			break;
		case '%':
			if (s >= end || *s != '%')
				goto mismatch;
			s++;
			break;
		default:
			*why = "unknown directive in the pattern";
			return -1;
		}
	}
	if (s != end)
		goto mismatch;
	if (h12 >= 0) {
		if (pm < 0) {
			*why = "%I needs %p (am/pm)";
			return -1;
		}
		cv.hour = h12 % 12 + (pm ? 12 : 0);
	}
	if (sgp_time_from_civil(&cv, &r, why) < 0)
		return -1;
	r.sec -= offset;
	if (r.sec < SGP_TIME_MIN_SEC || r.sec > SGP_TIME_MAX_SEC) {
		*why = "outside years 0000-9999";
		return -1;
	}
	*t = r;
	return 0;
mismatch:
	*why = "does not match the format pattern";
	return -1;
}

/* Text of a number value into buf (integers exactly, reals shortest). */
static int number_text(const json_t *j, char *buf, size_t n)
{
	if (json_is_integer(j))
		return snprintf(buf, n, "%" JSON_INTEGER_FORMAT, json_integer_value(j));
	{
		sgp_dec d;

		if (sgp_dec_from_double(json_real_value(j), &d) < 0)
			return -1;
		return sgp_dec_format(d, buf, n);
	}
}

int map_time_parse(const struct map_rule *r, const json_t *j, const char *s, size_t n,
		   sgp_time *t, const char **why)
{
	char nb[SGP_DEC_BUFSZ];

	if (j && json_is_number(j)) {
		int len;

		switch (r->tfmt) {
		case TF_EPOCH_S:
			if (json_is_integer(j)) {
				if (sgp_time_from_epoch_sec(json_integer_value(j), t) < 0) {
					*why = "epoch seconds outside years 0000-9999";
					return -1;
				}
				return 0;
			}
			break;
		case TF_EPOCH_MS:
			if (json_is_integer(j)) {
				if (sgp_time_from_epoch_ms(json_integer_value(j), t) < 0) {
					*why = "epoch milliseconds outside years 0000-9999";
					return -1;
				}
				return 0;
			}
			break;
		case TF_AUTO:
			break;
		default:
			*why = "expected a string, got a number";
			return -1;
		}
		len = number_text(j, nb, sizeof nb);
		if (len < 0) {
			*why = "not a usable number";
			return -1;
		}
		s = nb;
		n = (size_t)len;
	} else if (j && !json_is_string(j)) {
		*why = "expected a time (string or number)";
		return -1;
	} else if (j) {
		s = json_string_value(j);
		n = json_string_length(j);
	}
	switch (r->tfmt) {
	case TF_AUTO: return sgp_time_parse_any(s, n, t, why);
	case TF_EPOCH_S: return sgp_time_parse_epoch_sec(s, n, t, why);
	case TF_EPOCH_MS: return sgp_time_parse_epoch_ms(s, n, t, why);
	case TF_RFC3339: return sgp_time_parse_rfc3339(s, n, t, why);
	case TF_DATE: return sgp_time_parse_date(s, n, t, why);
	case TF_PATTERN: return map_time_parse_pattern(r->tpattern, r->toffset, s, n, t, why);
	}
	*why = "unknown time format";
	return -1;
}
