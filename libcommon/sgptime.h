/*
 * sgptime.h: UTC instants, parsed from what vendors send and formatted as
 * the RFC 3339 UTC text of canonical events.
 *
 * An sgp_time is a value type: whole seconds since 1970-01-01T00:00:00Z
 * (negative before it) plus nanoseconds 0..999999999, on the proleptic
 * Gregorian calendar without leap seconds (POSIX time).  Every value this
 * module produces lies in years 0000..9999, i.e. sec in
 * [SGP_TIME_MIN_SEC, SGP_TIME_MAX_SEC].  The calendar arithmetic is done
 * here by hand and never consults the TZ environment or the C library's
 * timegm/mktime.  Nothing here allocates (except sgp_time_buf_add, which
 * appends to a caller's growable buffer).
 *
 * Errors: functions that can fail return 0 on success and -1 on failure
 * with errno EINVAL (malformed text, impossible date or time) or ERANGE
 * (outside years 0000..9999), and, when why is not NULL, a short static
 * English reason in *why ("day out of range for the month", "missing time
 * zone offset") for a reject's message.  On failure *out is unchanged.
 * Text is given as (s, n): the n bytes at s, no NUL needed.
 */
#ifndef SGP_SGPTIME_H
#define SGP_SGPTIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

#define SGP_TIME_MIN_SEC (-62167219200LL)  /* 0000-01-01T00:00:00Z */
#define SGP_TIME_MAX_SEC 253402300799LL     /* 9999-12-31T23:59:59Z */
/* Bytes enough for any formatted time plus the NUL. */
#define SGP_TIME_BUFSZ 40

typedef struct sgp_time {
	int64_t sec;     /* seconds since the epoch, UTC */
	int32_t nsec;    /* 0..999999999 */
} sgp_time;

/* Broken-down UTC time. */
struct sgp_civil {
	int year;        /* 0..9999 */
	int month;       /* 1..12 */
	int day;         /* 1..31 */
	int hour;        /* 0..23 */
	int minute;      /* 0..59 */
	int second;      /* 0..59 (60 accepted on input, see below) */
	int32_t nsec;    /* 0..999999999 */
};

/* ---- calendar ---------------------------------------------------------- */

bool sgp_is_leap_year(int64_t year);
/* 28..31; 0 if month is not 1..12. */
int sgp_days_in_month(int64_t year, int month);
/* Days since 1970-01-01 of a valid proleptic Gregorian date, and back. */
int64_t sgp_days_from_civil(int64_t year, int month, int day);
void sgp_civil_from_days(int64_t days, int64_t *year, int *month, int *day);

/*
 * Broken-down UTC -> instant, with the same checks as the parsers: month
 * 1..12, day within the month (2025-02-29 fails, 2024-02-29 and
 * 2000-02-29 pass, 2100-02-29 fails), hour 0..23 (24 fails), minute
 * 0..59, second 0..59 or a leap second (below), nsec 0..999999999.
 */
int sgp_time_from_civil(const struct sgp_civil *c, sgp_time *out, const char **why);
/* Instant -> broken-down UTC; -1 with ERANGE if outside 0000..9999. */
int sgp_time_to_civil(sgp_time t, struct sgp_civil *c);

/* ---- epoch numbers ----------------------------------------------------- */

int sgp_time_from_epoch_sec(int64_t sec, sgp_time *out);
int sgp_time_from_epoch_ms(int64_t ms, sgp_time *out);
/* Milliseconds since the epoch, rounded toward the past. */
int64_t sgp_time_to_epoch_ms(sgp_time t);

/*
 * Epoch numbers as text.  Seconds: an optional '-', digits, optionally
 * '.' and more digits (a fraction, kept to the nanosecond, further digits
 * dropped).  Milliseconds: an optional '-' and digits.  Leading zeros are
 * allowed; a '+', spaces or anything else is not.
 */
int sgp_time_parse_epoch_sec(const char *s, size_t n, sgp_time *out, const char **why);
int sgp_time_parse_epoch_ms(const char *s, size_t n, sgp_time *out, const char **why);

/* ---- text -------------------------------------------------------------- */

/*
 * RFC 3339 date-time: YYYY-MM-DD, a separator 'T', 't' or ' ',
 * HH:MM:SS, an optional fraction '.' + one or more digits (any length;
 * kept to the nanosecond, further digits dropped, i.e. truncated), and a
 * zone that is required: 'Z', 'z', or an offset '+HH:MM', '-HH:MM',
 * '+HHMM' (Salesforce), '-HHMM' or '+HH'/'-HH' (offset hours 00..23,
 * minutes 00..59; "-00:00" is UTC).  The offset is applied:
 * 2026-11-01T12:00:00+0100 is 11:00:00Z.  Text without a zone
 * ("2026-11-01T12:00:00") is rejected rather than guessed.
 *
 * Leap seconds: second 60 is accepted only where one can occur, at
 * 23:59:60 UTC on the last day of a month (after the offset is applied),
 * and is read as 23:59:59.999999999 of that day, so the instant keeps its
 * calendar day and sorts after every earlier instant; its own fraction
 * is dropped.
 */
int sgp_time_parse_rfc3339(const char *s, size_t n, sgp_time *out, const char **why);

/* Plain date YYYY-MM-DD -> midnight UTC of that day. */
int sgp_time_parse_date(const char *s, size_t n, sgp_time *out, const char **why);

/*
 * Whatever a vendor sends, by its shape:
 *   - digits only: epoch seconds if 10 digits or fewer, epoch milliseconds
 *     if exactly 13; 11, 12 or 14 and more digits are rejected as
 *     ambiguous (say which with the explicit functions);
 *   - digits '.' digits with 10 or fewer before the point: epoch seconds
 *     with a fraction;
 *   - exactly YYYY-MM-DD: a plain date, midnight UTC;
 *   - anything else: RFC 3339 as above.
 * sgp_time_parse is the same on a NUL-terminated string.
 */
int sgp_time_parse_any(const char *s, size_t n, sgp_time *out, const char **why);
int sgp_time_parse(const char *s, sgp_time *out, const char **why);

/*
 * RFC 3339 UTC text: "2026-11-01T12:00:00Z".  sgp_time_format writes a
 * fraction only when nsec is non-zero, in groups of three digits as few
 * as needed (".500", ".000250", ".000000001"); sgp_time_format_ms always
 * writes milliseconds, truncated ("2026-11-01T12:00:00.000Z");
 * sgp_time_format_date writes the UTC date ("2026-11-01").
 * Each writes at most n bytes including the NUL and returns the length, or
 * -1 with errno ERANGE if t is outside 0000..9999 or n is too small (buf
 * then holds "" when n > 0).  SGP_TIME_BUFSZ is always enough.
 */
int sgp_time_format(sgp_time t, char *buf, size_t n);
int sgp_time_format_ms(sgp_time t, char *buf, size_t n);
int sgp_time_format_date(sgp_time t, char *buf, size_t n);
/* Appends sgp_time_format's text; -1 with ERANGE (nothing added) if t is
 * outside 0000..9999. */
int sgp_time_buf_add(sgp_buf *b, sgp_time t);

/* ---- other ------------------------------------------------------------- */

/* The current time (CLOCK_REALTIME). */
sgp_time sgp_time_now(void);

static inline int sgp_time_cmp(sgp_time a, sgp_time b)
{
	if (a.sec != b.sec)
		return a.sec < b.sec ? -1 : 1;
	return (a.nsec > b.nsec) - (a.nsec < b.nsec);
}

#endif
