/*
 * decimal.h: exact decimal money.
 *
 * An sgp_dec is a value type: a signed 128-bit coefficient and a scale
 * (the number of digits after the decimal point, 0..38), so its value is
 * coef / 10^scale.  The coefficient never has more than 38 digits
 * (|coef| <= 10^38 - 1); anything that would need more is an error, never a
 * rounding and never a wrap-around.  The scale is kept as written: "12.50"
 * parses to coef 1250, scale 2 and formats back as "12.50".  Equality is
 * numeric (sgp_dec_cmp("12.5", "12.50") == 0).
 *
 * Nothing here allocates (except sgp_dec_buf_add, which appends to a
 * caller's growable buffer); values are passed and returned by value.
 *
 * Errors: functions that can fail return 0 on success and -1 on failure
 * with errno set:
 *   ERANGE  the result would need more than 38 digits, more than 38
 *           decimal places, or does not fit the requested integer type;
 *   EINVAL  malformed text, a bad argument (negative tolerance, exponent
 *           outside 0..38, zero divisor, unknown rounding mode), or a
 *           rounding that SGP_ROUND_UNNECESSARY forbids (digits would be
 *           lost).
 * The parse functions also store a short static English reason in *why
 * (when why is not NULL), suitable for a reject's message, e.g. "more than
 * 38 significant digits".  On failure *out is left unchanged.
 */
#ifndef SGP_DECIMAL_H
#define SGP_DECIMAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

#define SGP_DEC_MAX_DIGITS 38
#define SGP_DEC_MAX_SCALE 38
/* Bytes enough for any formatted sgp_dec plus the NUL ("-0." + 38 digits). */
#define SGP_DEC_BUFSZ 48

typedef struct sgp_dec {
	__int128 coef;   /* |coef| <= 10^38 - 1 */
	int scale;       /* 0..38 digits after the point */
} sgp_dec;

/* Zero with scale 0. */
#define SGP_DEC_ZERO ((sgp_dec){ 0, 0 })

enum sgp_round {
	SGP_ROUND_HALF_EVEN,    /* to nearest, ties to the even digit (banker's) */
	SGP_ROUND_HALF_UP,      /* to nearest, ties away from zero (2.5 -> 3, -2.5 -> -3) */
	SGP_ROUND_DOWN,         /* truncate toward zero */
	SGP_ROUND_UNNECESSARY,  /* exact only: fail with EINVAL if a non-zero digit would be lost */
};

/*
 * Text -> decimal.  Accepted: an optional sign ('-' or '+'), one or more
 * digits, optionally '.' followed by one or more digits, optionally an
 * exponent 'e' or 'E' with an optional sign and one or more digits, which
 * is the text of any JSON number ("1.5E+2" -> 150, "2.5e-3" -> 0.0025)
 * plus a leading '+' and leading zeros ("007.50").  A fraction needs a
 * digit on both sides: ".5" and "5." are rejected ("0.5" is the way).
 * Rejected too: empty text, spaces anywhere, "NaN", "Infinity", hex,
 * thousands separators, and more than 38 significant digits (leading zeros
 * do not count; every digit from the first non-zero one on does, trailing
 * zeros included).
 *
 * Scale: without an exponent, the number of digits after the point.  With
 * one, digits after the point minus the exponent, at least 0 ("1.5E+2" is
 * 150 with scale 0, "1.50e-1" is 0.150); trailing zeros are dropped only
 * when needed to bring the scale down to 38, which is exact.
 *
 * sgp_dec_parse takes a NUL-terminated string, sgp_dec_parse_n the n
 * bytes at s (no NUL needed, e.g. a number's raw bytes inside a JSON line).
 */
int sgp_dec_parse(const char *s, sgp_dec *out, const char **why);
int sgp_dec_parse_n(const char *s, size_t n, sgp_dec *out, const char **why);

/*
 * Decimal -> text, plain notation with exactly d.scale digits after the
 * point ("12.50", "-0.001", "1250"); a negative zero prints as zero
 * ("0.00").  Writes at most n bytes including the NUL.  Returns the
 * length (without the NUL), or -1 with errno ERANGE if n is too small
 * (buf then holds "" when n > 0).  SGP_DEC_BUFSZ is always enough.
 */
int sgp_dec_format(sgp_dec d, char *buf, size_t n);
/* Appends the same text to a growable buffer. */
void sgp_dec_buf_add(sgp_buf *b, sgp_dec d);

/* From a machine integer: v / 10^scale.  scale 0..38, else EINVAL. */
int sgp_dec_from_int(int64_t v, int scale, sgp_dec *out);

/*
 * From a double (the JSON floats of NetSuite, Salesforce, QuickBooks):
 * the shortest decimal text that reads back as the same double, parsed
 * exactly.  2291.22 -> "2291.22", 0.1 -> "0.1", 1e-7 -> "0.0000001",
 * 100.0 -> "100" (scale 0), 1e21 -> "1000000000000000000000".  The
 * shortest is found among %.15g, %.16g and %.17g (the 15-digit rounding
 * is the shortest form whenever any form of 15 digits or fewer reads
 * back).  NaN and infinities fail with EINVAL; magnitudes that need more
 * than 38 digits or decimal places (1e300, 1e-300) fail with ERANGE.
 */
int sgp_dec_from_double(double x, sgp_dec *out);

/*
 * A JSON value (jansson) -> decimal: a string is parsed as above, an
 * integer is taken exactly (scale 0), a real goes through
 * sgp_dec_from_double.  Anything else fails with EINVAL and reason
 * "not a number".  Note that a real has already lost its source text
 * inside jansson; when the raw bytes are at hand, sgp_dec_parse_n them.
 */
struct json_t;
int sgp_dec_from_json(const struct json_t *v, sgp_dec *out, const char **why);

/*
 * Minor units (Stripe, Chargebee amounts) -> decimal, by currency
 * exponent (see currency.h): 1250 with exponent 2 is "12.50", with 0 is
 * "1250", with 3 is "1.250".  exponent must be 0..38 (a currency with no
 * minor unit, exponent -1, fails with EINVAL).  The _text form takes the
 * text of a JSON integer: an optional '-', then digits only (up to 38
 * significant), n bytes at s; anything else fails with EINVAL.
 */
int sgp_dec_from_minor(int64_t minor, int exponent, sgp_dec *out);
int sgp_dec_from_minor_text(const char *s, size_t n, int exponent, sgp_dec *out,
                            const char **why);
/*
 * Decimal -> minor units at the currency exponent.  With
 * SGP_ROUND_UNNECESSARY a value with more significant decimals than the
 * exponent allows fails with EINVAL ("12.345" USD); another mode rounds.
 * ERANGE if the result does not fit in int64_t.
 */
int sgp_dec_to_minor(sgp_dec d, int exponent, enum sgp_round mode, int64_t *out);

/* Arithmetic.  a + b and a - b have the larger of the two scales; a * k
 * keeps a's scale; ERANGE on overflow of 38 digits. */
int sgp_dec_add(sgp_dec a, sgp_dec b, sgp_dec *out);
int sgp_dec_sub(sgp_dec a, sgp_dec b, sgp_dec *out);
int sgp_dec_mul_int(sgp_dec a, int64_t k, sgp_dec *out);
/* Exact product (quantity x unit price): scale a.scale + b.scale; when
 * that needs more than 38 places or 38 digits, trailing zeros are dropped
 * (exactly) as far as needed to fit, and ERANGE if it still does not.
 * Round it to the currency's digits afterwards with sgp_dec_rescale. */
int sgp_dec_mul(sgp_dec a, sgp_dec b, sgp_dec *out);
/* a / k rounded to the given scale with mode (proration: 100.00 / 3 at
 * scale 2 HALF_EVEN is 33.33).  k == 0 fails with EINVAL. */
int sgp_dec_div_int(sgp_dec a, int64_t k, int scale, enum sgp_round mode, sgp_dec *out);

/*
 * Same value at another scale.  Widening is exact (ERANGE if it would
 * need more than 38 digits); narrowing rounds with mode
 * (SGP_ROUND_UNNECESSARY: EINVAL if a non-zero digit would be dropped).
 * scale 0..38, else EINVAL.
 */
int sgp_dec_rescale(sgp_dec d, int scale, enum sgp_round mode, sgp_dec *out);

/* The same value with trailing fractional zeros removed ("12.500" ->
 * "12.5", "100" stays "100"): a canonical form for keys and hashes. */
sgp_dec sgp_dec_reduce(sgp_dec d);

/* Numeric comparison across scales: -1, 0 or 1.  Never fails. */
int sgp_dec_cmp(sgp_dec a, sgp_dec b);
static inline bool sgp_dec_eq(sgp_dec a, sgp_dec b) { return sgp_dec_cmp(a, b) == 0; }
static inline bool sgp_dec_is_zero(sgp_dec d) { return d.coef == 0; }
static inline int sgp_dec_sign(sgp_dec d) { return (d.coef > 0) - (d.coef < 0); }
/* Cannot overflow: the coefficient range is symmetric. */
static inline sgp_dec sgp_dec_neg(sgp_dec d) { d.coef = -d.coef; return d; }
static inline sgp_dec sgp_dec_abs(sgp_dec d) { if (d.coef < 0) d.coef = -d.coef; return d; }

/*
 * Tolerance check for reconciliation: 1 if |a - b| <= abs_tol or
 * |a - b| <= rel_tol * max(|a|, |b|), else 0; -1 with EINVAL if a
 * tolerance is negative.  Computed exactly at any scales (wide integers
 * inside, never doubles).  rel_tol is a fraction: "0.001" is 0.1 %.
 * Pass SGP_DEC_ZERO for a tolerance that is not wanted.
 */
int sgp_dec_within(sgp_dec a, sgp_dec b, sgp_dec abs_tol, sgp_dec rel_tol);

#endif
