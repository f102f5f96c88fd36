/*
 * decimal.c: exact decimal money on a 128-bit coefficient and a scale.
 *
 * The common paths (same or nearby scales, amounts far from 38 digits)
 * run on native __int128 with overflow-checked builtins.  When an aligned
 * intermediate would not fit in 128 bits although the result might, the
 * work moves to a small fixed-width unsigned integer ("wide", 512 bits),
 * which is also what keeps sgp_dec_within exact at any scales.
 */
#include "decimal.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

typedef __int128 i128;
typedef unsigned __int128 u128;

#define P19 ((u128)10000000000000000000ULL)

/* 10^0 .. 10^38 */
static const u128 pow10_tab[SGP_DEC_MAX_SCALE + 1] = {
	1ULL, 10ULL, 100ULL, 1000ULL, 10000ULL, 100000ULL, 1000000ULL,
	10000000ULL, 100000000ULL, 1000000000ULL, 10000000000ULL,
	100000000000ULL, 1000000000000ULL, 10000000000000ULL,
	100000000000000ULL, 1000000000000000ULL, 10000000000000000ULL,
	100000000000000000ULL, 1000000000000000000ULL, P19,
	P19 * 10ULL, P19 * 100ULL, P19 * 1000ULL, P19 * 10000ULL,
	P19 * 100000ULL, P19 * 1000000ULL, P19 * 10000000ULL,
	P19 * 100000000ULL, P19 * 1000000000ULL, P19 * 10000000000ULL,
	P19 * 100000000000ULL, P19 * 1000000000000ULL,
	P19 * 10000000000000ULL, P19 * 100000000000000ULL,
	P19 * 1000000000000000ULL, P19 * 10000000000000000ULL,
	P19 * 100000000000000000ULL, P19 * 1000000000000000000ULL,
	P19 * P19,
};

#define DEC_MAX ((i128)(P19 * P19 - 1))   /* 10^38 - 1 */

static bool in_range(i128 v)
{
	return v <= DEC_MAX && v >= -DEC_MAX;
}

static u128 mag(i128 v)
{
	return v < 0 ? -(u128)v : (u128)v;
}

static int fail(const char **why, const char *msg, int err)
{
	if (why)
		*why = msg;
	errno = err;
	return -1;
}

/* c * 10^k in 128 bits; false on overflow of __int128 (not of 38 digits). */
static bool mul_pow10(i128 c, int k, i128 *r)
{
	if (k == 0) {
		*r = c;
		return true;
	}
	if (k > SGP_DEC_MAX_SCALE)
		return c == 0 ? (*r = 0, true) : false;
	return !__builtin_mul_overflow(c, (i128)pow10_tab[k], r);
}

/* ---- wide unsigned integers, for the rare paths ---------------------- */

#define WL 8
typedef struct wide {
	uint64_t w[WL];
} wide;

static void w_set(wide *r, u128 v)
{
	memset(r, 0, sizeof *r);
	r->w[0] = (uint64_t)v;
	r->w[1] = (uint64_t)(v >> 64);
}

static bool w_fits_u128(const wide *a)
{
	for (int i = 2; i < WL; i++)
		if (a->w[i])
			return false;
	return true;
}

static u128 w_get(const wide *a)
{
	return (u128)a->w[1] << 64 | a->w[0];
}

static bool w_is_zero(const wide *a)
{
	for (int i = 0; i < WL; i++)
		if (a->w[i])
			return false;
	return true;
}

/* r *= m; returns true on overflow. */
static bool w_mul_u64(wide *r, uint64_t m)
{
	u128 carry = 0;

	for (int i = 0; i < WL; i++) {
		u128 t = (u128)r->w[i] * m + carry;
		r->w[i] = (uint64_t)t;
		carry = t >> 64;
	}
	return carry != 0;
}

static bool w_mul_pow10(wide *r, int k)
{
	bool ovf = false;

	for (; k >= 19; k -= 19)
		ovf |= w_mul_u64(r, (uint64_t)P19);
	if (k > 0)
		ovf |= w_mul_u64(r, (uint64_t)pow10_tab[k]);
	return ovf;
}

/* r = a * b; returns true on overflow. */
static bool w_mul(wide *r, const wide *a, const wide *b)
{
	uint64_t t[2 * WL] = { 0 };
	bool ovf = false;

	for (int i = 0; i < WL; i++) {
		u128 carry = 0;

		if (a->w[i] == 0)
			continue;
		for (int j = 0; j < WL; j++) {
			u128 p = (u128)a->w[i] * b->w[j] + t[i + j] + carry;
			t[i + j] = (uint64_t)p;
			carry = p >> 64;
		}
		t[i + WL] = (uint64_t)carry;
	}
	for (int i = WL; i < 2 * WL; i++)
		if (t[i])
			ovf = true;
	memcpy(r->w, t, sizeof r->w);
	return ovf;
}

static int w_cmp(const wide *a, const wide *b)
{
	for (int i = WL - 1; i >= 0; i--)
		if (a->w[i] != b->w[i])
			return a->w[i] < b->w[i] ? -1 : 1;
	return 0;
}

/* r = a + b (callers keep values far below 2^512). */
static void w_add(wide *r, const wide *a, const wide *b)
{
	uint64_t carry = 0;

	for (int i = 0; i < WL; i++) {
		u128 t = (u128)a->w[i] + b->w[i] + carry;
		r->w[i] = (uint64_t)t;
		carry = (uint64_t)(t >> 64);
	}
}

/* r = a - b, a >= b. */
static void w_sub(wide *r, const wide *a, const wide *b)
{
	uint64_t borrow = 0;

	for (int i = 0; i < WL; i++) {
		uint64_t x = a->w[i], y = b->w[i];
		uint64_t d = x - y - borrow;
		borrow = (x < y) || (x == y && borrow) ? 1 : 0;
		r->w[i] = d;
	}
}

/* r /= d; returns the remainder. */
static uint64_t w_divmod_u64(wide *r, uint64_t d)
{
	u128 rem = 0;

	for (int i = WL - 1; i >= 0; i--) {
		u128 cur = rem << 64 | r->w[i];
		r->w[i] = (uint64_t)(cur / d);
		rem = cur % d;
	}
	return (uint64_t)rem;
}

/* |coef| * 10^k as a wide integer. */
static void w_scaled(wide *r, i128 coef, int k)
{
	w_set(r, mag(coef));
	w_mul_pow10(r, k);
}

/* A wide magnitude and a sign back to a coefficient; false if > 38 digits. */
static bool w_to_coef(const wide *m, bool neg, i128 *out)
{
	u128 v;

	if (!w_fits_u128(m))
		return false;
	v = w_get(m);
	if (v > (u128)DEC_MAX)
		return false;
	*out = neg ? -(i128)v : (i128)v;
	return true;
}

/* ---- rounding --------------------------------------------------------- */

/*
 * Decide whether a truncated quotient q moves one step away from zero.
 * half_cmp compares the dropped remainder with half the divisor (-1, 0,
 * 1); nonzero says whether anything was dropped at all.
 */
static int round_step(enum sgp_round mode, int half_cmp, bool nonzero, bool q_odd, bool *step)
{
	switch (mode) {
	case SGP_ROUND_DOWN:
		*step = false;
		return 0;
	case SGP_ROUND_HALF_UP:
		*step = nonzero && half_cmp >= 0;
		return 0;
	case SGP_ROUND_HALF_EVEN:
		*step = nonzero && (half_cmp > 0 || (half_cmp == 0 && q_odd));
		return 0;
	case SGP_ROUND_UNNECESSARY:
		if (nonzero) {
			errno = EINVAL;
			return -1;
		}
		*step = false;
		return 0;
	}
	errno = EINVAL;
	return -1;
}

/* ---- parsing ---------------------------------------------------------- */

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Coefficient accumulator: the first 19 significant digits in 64 bits. */
struct acc {
	uint64_t small;
	u128 big;
	int sig;          /* significant digits seen */
	bool too_long;    /* more than 38 */
};

static inline void acc_push(struct acc *a, int d)
{
	if (a->sig == 0 && d == 0)
		return;
	if (a->too_long)
		return;
	a->sig++;
	if (a->sig <= 19) {
		a->small = a->small * 10 + (uint64_t)d;
	} else if (a->sig <= SGP_DEC_MAX_DIGITS) {
		if (a->sig == 20)
			a->big = a->small;
		a->big = a->big * 10 + (uint64_t)d;
	} else {
		a->too_long = true;
	}
}

static u128 acc_value(const struct acc *a)
{
	return a->sig <= 19 ? (u128)a->small : a->big;
}

#define EXP_CAP 1000000

int sgp_dec_parse_n(const char *s, size_t n, sgp_dec *out, const char **why)
{
	const char *p = s, *end = s + n;
	struct acc acc = { 0, 0, 0, false };
	bool neg = false;
	int64_t frac = 0, exp = 0, scale;
	i128 coef;

	if (n == 0)
		return fail(why, "empty number", EINVAL);
	if (*p == '-' || *p == '+') {
		neg = *p == '-';
		p++;
	}
	if (p == end || !is_digit(*p))
		return fail(why, "not a number", EINVAL);
	while (p < end && is_digit(*p))
		acc_push(&acc, *p++ - '0');
	if (p < end && *p == '.') {
		p++;
		if (p == end || !is_digit(*p))
			return fail(why, "not a number", EINVAL);
		while (p < end && is_digit(*p)) {
			acc_push(&acc, *p++ - '0');
			frac++;
		}
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		bool eneg = false;

		p++;
		if (p < end && (*p == '-' || *p == '+')) {
			eneg = *p == '-';
			p++;
		}
		if (p == end || !is_digit(*p))
			return fail(why, "not a number", EINVAL);
		while (p < end && is_digit(*p)) {
			if (exp < EXP_CAP)
				exp = exp * 10 + (*p - '0');
			p++;
		}
		if (eneg)
			exp = -exp;
	}
	if (p != end)
		return fail(why, "not a number", EINVAL);
	if (acc.too_long)
		return fail(why, "more than 38 significant digits", ERANGE);

	coef = (i128)acc_value(&acc);
	scale = frac - exp;
	if (coef == 0) {
		if (scale < 0)
			scale = 0;
		else if (scale > SGP_DEC_MAX_SCALE)
			scale = SGP_DEC_MAX_SCALE;
	} else if (scale < 0) {
		if (scale < -SGP_DEC_MAX_SCALE || !mul_pow10(coef, (int)-scale, &coef) ||
		    !in_range(coef))
			return fail(why, "more than 38 significant digits", ERANGE);
		scale = 0;
	} else if (scale > SGP_DEC_MAX_SCALE) {
		while (scale > SGP_DEC_MAX_SCALE && coef % 10 == 0) {
			coef /= 10;
			scale--;
		}
		if (scale > SGP_DEC_MAX_SCALE)
			return fail(why, "more than 38 decimal places", ERANGE);
	}
	out->coef = neg ? -coef : coef;
	out->scale = (int)scale;
	return 0;
}

int sgp_dec_parse(const char *s, sgp_dec *out, const char **why)
{
	return sgp_dec_parse_n(s, strlen(s), out, why);
}

/* ---- formatting ------------------------------------------------------- */

/* Writes the decimal digits of m backwards ending at end; returns count. */
static int u128_digits(u128 m, char *end)
{
	char *p = end;

	if (m >> 64) {
		uint64_t lo = (uint64_t)(m % P19);

		m /= P19;
		for (int i = 0; i < 19; i++) {
			*--p = (char)('0' + lo % 10);
			lo /= 10;
		}
	}
	uint64_t v = (uint64_t)m;
	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	return (int)(end - p);
}

int sgp_dec_format(sgp_dec d, char *buf, size_t n)
{
	char dig[48], tmp[SGP_DEC_BUFSZ];
	char *end = dig + sizeof dig;
	int nd = u128_digits(mag(d.coef), end);
	const char *ds = end - nd;
	int len = 0;

	if (d.coef < 0)
		tmp[len++] = '-';
	if (d.scale == 0) {
		memcpy(tmp + len, ds, (size_t)nd);
		len += nd;
	} else if (nd > d.scale) {
		memcpy(tmp + len, ds, (size_t)(nd - d.scale));
		len += nd - d.scale;
		tmp[len++] = '.';
		memcpy(tmp + len, ds + nd - d.scale, (size_t)d.scale);
		len += d.scale;
	} else {
		tmp[len++] = '0';
		tmp[len++] = '.';
		memset(tmp + len, '0', (size_t)(d.scale - nd));
		len += d.scale - nd;
		memcpy(tmp + len, ds, (size_t)nd);
		len += nd;
	}
	if ((size_t)len >= n) {
		if (n > 0)
			buf[0] = '\0';
		errno = ERANGE;
		return -1;
	}
	memcpy(buf, tmp, (size_t)len);
	buf[len] = '\0';
	return len;
}

void sgp_dec_buf_add(sgp_buf *b, sgp_dec d)
{
	char tmp[SGP_DEC_BUFSZ];
	int len = sgp_dec_format(d, tmp, sizeof tmp);

	sgp_buf_add(b, tmp, (size_t)len);
}

/* ---- conversions ------------------------------------------------------ */

int sgp_dec_from_int(int64_t v, int scale, sgp_dec *out)
{
	if (scale < 0 || scale > SGP_DEC_MAX_SCALE) {
		errno = EINVAL;
		return -1;
	}
	out->coef = v;
	out->scale = scale;
	return 0;
}

int sgp_dec_from_double(double x, sgp_dec *out)
{
	char b[40];

	if (!isfinite(x)) {
		errno = EINVAL;
		return -1;
	}
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(b, sizeof b, "%.*g", prec, x);
		if (prec == 17 || strtod(b, NULL) == x)
			break;
	}
	/* Under a locale whose decimal point is ',' snprintf and strtod agree
	 * with each other but not with the parser. */
	for (char *q = b; *q; q++)
		if (*q == ',')
			*q = '.';
	return sgp_dec_parse(b, out, NULL);
}

int sgp_dec_from_json(const struct json_t *v, sgp_dec *out, const char **why)
{
	if (json_is_string(v))
		return sgp_dec_parse_n(json_string_value(v), json_string_length(v), out, why);
	if (json_is_integer(v)) {
		out->coef = (i128)json_integer_value(v);
		out->scale = 0;
		return 0;
	}
	if (json_is_real(v)) {
		if (sgp_dec_from_double(json_real_value(v), out) < 0)
			return fail(why, errno == ERANGE ? "more than 38 digits or decimal places"
			                                 : "not a finite number", errno);
		return 0;
	}
	return fail(why, "not a number", EINVAL);
}

int sgp_dec_from_minor(int64_t minor, int exponent, sgp_dec *out)
{
	return sgp_dec_from_int(minor, exponent, out);
}

int sgp_dec_from_minor_text(const char *s, size_t n, int exponent, sgp_dec *out,
                            const char **why)
{
	const char *p = s, *end = s + n;
	struct acc acc = { 0, 0, 0, false };
	bool neg = false;
	i128 coef;

	if (exponent < 0 || exponent > SGP_DEC_MAX_SCALE)
		return fail(why, "currency has no minor unit", EINVAL);
	if (n == 0)
		return fail(why, "empty number", EINVAL);
	if (*p == '-') {
		neg = true;
		p++;
	}
	if (p == end)
		return fail(why, "not an integer", EINVAL);
	for (; p < end; p++) {
		if (!is_digit(*p))
			return fail(why, "not an integer", EINVAL);
		acc_push(&acc, *p - '0');
	}
	if (acc.too_long)
		return fail(why, "more than 38 significant digits", ERANGE);
	coef = (i128)acc_value(&acc);
	out->coef = neg ? -coef : coef;
	out->scale = exponent;
	return 0;
}

int sgp_dec_to_minor(sgp_dec d, int exponent, enum sgp_round mode, int64_t *out)
{
	sgp_dec r;

	if (sgp_dec_rescale(d, exponent, mode, &r) < 0)
		return -1;
	if (r.coef > INT64_MAX || r.coef < INT64_MIN) {
		errno = ERANGE;
		return -1;
	}
	*out = (int64_t)r.coef;
	return 0;
}

/* ---- arithmetic ------------------------------------------------------- */

/* a + b where aligning to scale s overflowed 128 bits. */
static int add_wide(sgp_dec a, sgp_dec b, int s, sgp_dec *out)
{
	wide A, B, R;
	bool na = a.coef < 0, nb = b.coef < 0, nr;

	w_scaled(&A, a.coef, s - a.scale);
	w_scaled(&B, b.coef, s - b.scale);
	if (na == nb) {
		w_add(&R, &A, &B);
		nr = na;
	} else if (w_cmp(&A, &B) >= 0) {
		w_sub(&R, &A, &B);
		nr = na;
	} else {
		w_sub(&R, &B, &A);
		nr = nb;
	}
	if (!w_to_coef(&R, nr, &out->coef)) {
		errno = ERANGE;
		return -1;
	}
	out->scale = s;
	return 0;
}

int sgp_dec_add(sgp_dec a, sgp_dec b, sgp_dec *out)
{
	int s = a.scale > b.scale ? a.scale : b.scale;
	i128 x, y, r;

	if (!mul_pow10(a.coef, s - a.scale, &x) || !mul_pow10(b.coef, s - b.scale, &y) ||
	    __builtin_add_overflow(x, y, &r))
		return add_wide(a, b, s, out);
	if (!in_range(r)) {
		errno = ERANGE;
		return -1;
	}
	out->coef = r;
	out->scale = s;
	return 0;
}

int sgp_dec_sub(sgp_dec a, sgp_dec b, sgp_dec *out)
{
	return sgp_dec_add(a, sgp_dec_neg(b), out);
}

int sgp_dec_mul_int(sgp_dec a, int64_t k, sgp_dec *out)
{
	i128 r;

	if (__builtin_mul_overflow(a.coef, (i128)k, &r) || !in_range(r)) {
		errno = ERANGE;
		return -1;
	}
	out->coef = r;
	out->scale = a.scale;
	return 0;
}

int sgp_dec_mul(sgp_dec a, sgp_dec b, sgp_dec *out)
{
	int s = a.scale + b.scale;
	i128 r;
	wide A, B, P;
	bool neg;

	if (!__builtin_mul_overflow(a.coef, b.coef, &r) && in_range(r) &&
	    s <= SGP_DEC_MAX_SCALE) {
		out->coef = r;
		out->scale = s;
		return 0;
	}
	/* Exact product in wide, then drop trailing zeros while it does not fit. */
	neg = (a.coef < 0) != (b.coef < 0);
	w_set(&A, mag(a.coef));
	w_set(&B, mag(b.coef));
	w_mul(&P, &A, &B);
	while (s > 0 && (s > SGP_DEC_MAX_SCALE || !w_to_coef(&P, neg, &r))) {
		wide q = P;

		if (w_divmod_u64(&q, 10) != 0)
			break;
		P = q;
		s--;
	}
	if (s > SGP_DEC_MAX_SCALE || !w_to_coef(&P, neg, &r)) {
		errno = ERANGE;
		return -1;
	}
	out->coef = r;
	out->scale = s;
	return 0;
}

/* Three-way comparison of twice the remainder with the divisor. */
static int half_cmp_u128(u128 rem, u128 divisor)
{
	/* rem < divisor, so compare rem with divisor - rem without overflow. */
	u128 other = divisor - rem;

	return rem < other ? -1 : rem > other ? 1 : 0;
}

int sgp_dec_rescale(sgp_dec d, int scale, enum sgp_round mode, sgp_dec *out)
{
	u128 m, p, q, r;
	bool step;

	if (scale < 0 || scale > SGP_DEC_MAX_SCALE || (unsigned)mode > SGP_ROUND_UNNECESSARY) {
		errno = EINVAL;
		return -1;
	}
	if (scale >= d.scale) {
		i128 c;

		if (!mul_pow10(d.coef, scale - d.scale, &c) || !in_range(c)) {
			errno = ERANGE;
			return -1;
		}
		out->coef = c;
		out->scale = scale;
		return 0;
	}
	m = mag(d.coef);
	p = pow10_tab[d.scale - scale];
	q = m / p;
	r = m % p;
	if (round_step(mode, half_cmp_u128(r, p), r != 0, q & 1, &step) < 0)
		return -1;
	if (step)
		q++;
	out->coef = d.coef < 0 ? -(i128)q : (i128)q;
	out->scale = scale;
	return 0;
}

int sgp_dec_div_int(sgp_dec a, int64_t k, int scale, enum sgp_round mode, sgp_dec *out)
{
	uint64_t uk;
	bool neg, step;
	wide Q;
	u128 q;
	int half;
	bool nonzero;

	if (k == 0 || scale < 0 || scale > SGP_DEC_MAX_SCALE ||
	    (unsigned)mode > SGP_ROUND_UNNECESSARY) {
		errno = EINVAL;
		return -1;
	}
	uk = k < 0 ? -(uint64_t)k : (uint64_t)k;
	neg = (a.coef < 0) != (k < 0);
	if (scale >= a.scale) {
		/* (|a| * 10^(scale - a.scale)) / |k| */
		uint64_t rem;

		w_scaled(&Q, a.coef, scale - a.scale);
		rem = w_divmod_u64(&Q, uk);
		nonzero = rem != 0;
		half = half_cmp_u128(rem, uk);
	} else {
		/* |a| / (|k| * 10^d): divide by |k| first, then by 10^d; the
		 * dropped remainder is r2 * |k| + r1 out of |k| * 10^d. */
		int dd = a.scale - scale;
		uint64_t r1;
		u128 r2;
		wide R, D, t;

		w_set(&Q, mag(a.coef));
		r1 = w_divmod_u64(&Q, uk);
		q = w_get(&Q);
		r2 = q % pow10_tab[dd];
		q /= pow10_tab[dd];
		w_set(&Q, q);
		w_set(&R, r2);
		w_mul_u64(&R, uk);
		w_set(&t, r1);
		w_add(&R, &R, &t);
		w_set(&D, uk);
		w_mul_pow10(&D, dd);
		nonzero = !w_is_zero(&R);
		/* compare R with D - R */
		w_sub(&t, &D, &R);
		half = w_cmp(&R, &t);
	}
	if (!w_fits_u128(&Q)) {
		errno = ERANGE;
		return -1;
	}
	q = w_get(&Q);
	if (round_step(mode, half, nonzero, q & 1, &step) < 0)
		return -1;
	if (step)
		q++;
	if (q > (u128)DEC_MAX) {
		errno = ERANGE;
		return -1;
	}
	out->coef = neg ? -(i128)q : (i128)q;
	out->scale = scale;
	return 0;
}

sgp_dec sgp_dec_reduce(sgp_dec d)
{
	if (d.coef == 0) {
		d.scale = 0;
		return d;
	}
	if (d.coef >= INT64_MIN && d.coef <= INT64_MAX) {
		int64_t c = (int64_t)d.coef;

		while (d.scale > 0 && c % 10 == 0) {
			c /= 10;
			d.scale--;
		}
		d.coef = c;
		return d;
	}
	while (d.scale > 0 && d.coef % 10 == 0) {
		d.coef /= 10;
		d.scale--;
	}
	return d;
}

int sgp_dec_cmp(sgp_dec a, sgp_dec b)
{
	int sa = sgp_dec_sign(a), sb = sgp_dec_sign(b);
	i128 x, y;

	if (a.scale == b.scale)
		return (a.coef > b.coef) - (a.coef < b.coef);
	if (sa != sb)
		return sa < sb ? -1 : 1;
	if (sa == 0)
		return 0;
	if (a.scale < b.scale ? mul_pow10(a.coef, b.scale - a.scale, &x) && (y = b.coef, true)
	                      : mul_pow10(b.coef, a.scale - b.scale, &y) && (x = a.coef, true))
		return (x > y) - (x < y);

	/* Aligning overflowed: compare integer parts, then fractions. */
	u128 ma = mag(a.coef), mb = mag(b.coef);
	u128 pa = pow10_tab[a.scale], pb = pow10_tab[b.scale];
	u128 ia = ma / pa, ib = mb / pb;
	int c;

	if (ia != ib) {
		c = ia < ib ? -1 : 1;
	} else {
		int s = a.scale > b.scale ? a.scale : b.scale;
		u128 fa = (ma % pa) * pow10_tab[s - a.scale];
		u128 fb = (mb % pb) * pow10_tab[s - b.scale];

		c = (fa > fb) - (fa < fb);
	}
	return sa < 0 ? -c : c;
}

/* ---- tolerance -------------------------------------------------------- */

static int within_wide(sgp_dec a, sgp_dec b, sgp_dec abs_tol, sgp_dec rel_tol)
{
	int s = a.scale > b.scale ? a.scale : b.scale;
	wide A, B, D, T, L, R;

	w_scaled(&A, a.coef, s - a.scale);
	w_scaled(&B, b.coef, s - b.scale);
	if ((a.coef < 0) != (b.coef < 0))
		w_add(&D, &A, &B);
	else if (w_cmp(&A, &B) >= 0)
		w_sub(&D, &A, &B);
	else
		w_sub(&D, &B, &A);

	/* |a - b| at scale s against abs_tol at its own scale */
	L = D;
	w_set(&T, mag(abs_tol.coef));
	if (s >= abs_tol.scale)
		w_mul_pow10(&T, s - abs_tol.scale);
	else
		w_mul_pow10(&L, abs_tol.scale - s);
	if (w_cmp(&L, &T) <= 0)
		return 1;

	/* |a - b| * 10^rel.scale against rel.coef * max(|a|, |b|) */
	if (rel_tol.coef == 0)
		return 0;
	L = D;
	w_mul_pow10(&L, rel_tol.scale);
	w_set(&T, mag(rel_tol.coef));
	w_mul(&R, &T, w_cmp(&A, &B) >= 0 ? &A : &B);
	return w_cmp(&L, &R) <= 0;
}

int sgp_dec_within(sgp_dec a, sgp_dec b, sgp_dec abs_tol, sgp_dec rel_tol)
{
	int s = a.scale > b.scale ? a.scale : b.scale;
	i128 x, y, d, l, t, m, r;

	if (abs_tol.coef < 0 || rel_tol.coef < 0) {
		errno = EINVAL;
		return -1;
	}
	/* Fast path: everything fits in 128 bits. */
	if (mul_pow10(a.coef, s - a.scale, &x) && mul_pow10(b.coef, s - b.scale, &y) &&
	    !__builtin_sub_overflow(x, y, &d) && !__builtin_sub_overflow((i128)0, d, &l)) {
		if (d < 0)
			d = l;
		if (s >= abs_tol.scale ? (l = d, mul_pow10(abs_tol.coef, s - abs_tol.scale, &t))
		                       : (t = abs_tol.coef, mul_pow10(d, abs_tol.scale - s, &l))) {
			if (l <= t)
				return 1;
			if (rel_tol.coef == 0)
				return 0;
			if (x < 0)
				x = -x;
			if (y < 0)
				y = -y;
			m = x > y ? x : y;
			if (mul_pow10(d, rel_tol.scale, &l) && !__builtin_mul_overflow(rel_tol.coef, m, &r))
				return l <= r;
		}
	}
	return within_wide(a, b, abs_tol, rel_tol);
}
