/*
 * currency.h: ISO 4217 currency codes and their minor-unit exponents.
 *
 * The table holds every code of ISO 4217 List One (currencies, funds
 * codes such as BOV, CLF, UYW, and the X-codes for metals, units of
 * account and testing) as published in 2026, and, marked not active, the
 * codes withdrawn since 2014 that historical ledgers still carry (HRK,
 * BGN, ANG, SLL, ZWL, CUC, VEF, MRO, STD, BYR, LTL, LVL), with the minor
 * units they had.  Codes are exactly three upper-case ASCII letters;
 * "usd" is not a code.
 *
 * The exponent is the number of digits after the decimal point of an
 * amount: JPY 0, USD 2, KWD 3, CLF 4; -1 where ISO gives "N.A." (XAU,
 * XDR, XXX ...: no minor unit is defined).
 *
 * The table is static and sorted; lookups are a binary search and never
 * allocate.  Returned pointers point into the table and stay valid for
 * the life of the process.
 */
#ifndef SGP_CURRENCY_H
#define SGP_CURRENCY_H

#include <stdbool.h>
#include <stddef.h>

#define SGP_CURRENCY_NO_MINOR (-1)

struct sgp_currency {
	char code[4];        /* "USD", NUL-terminated */
	signed char exponent; /* 0..4, or SGP_CURRENCY_NO_MINOR */
	bool active;         /* in List One today; false for a withdrawn code */
	const char *name;    /* ISO's English name, e.g. "US Dollar" */
};

/* The entry for a code, or NULL if the code is unknown.  The _n form takes
 * the n bytes at s (no NUL needed). */
const struct sgp_currency *sgp_currency_lookup(const char *code);
const struct sgp_currency *sgp_currency_lookup_n(const char *s, size_t n);

/*
 * Minor-unit exponent of a code: 0..4, or -1 both for a code with no
 * minor unit (XAU) and for an unknown code; sgp_currency_valid or
 * sgp_currency_lookup tells the two apart.
 */
int sgp_currency_exponent(const char *code);

/* True if the code is in the table (active or withdrawn). */
bool sgp_currency_valid(const char *code);

/* Iteration over the whole table, in ascending code order. */
size_t sgp_currency_count(void);
const struct sgp_currency *sgp_currency_at(size_t i);

#endif
