/* fuzz_decimal.c: decimal parsing, formatting and arithmetic.  A parsed
 * value formats to text that parses back to an equal value; arithmetic
 * either fails cleanly or is consistent (a + b - b == a). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "currency.h"
#include "decimal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *sep = memchr(data, '|', size);
	size_t n1 = sep ? (size_t)(sep - (const char *)data) : size;
	sgp_dec a, b, c, d, back;
	const char *why;
	char buf[128];
	int64_t minor;

	if (sgp_dec_parse_n((const char *)data, n1, &a, &why) != 0)
		return 0;
	if (sgp_dec_format(a, buf, sizeof buf) < 0)
		abort();
	if (sgp_dec_parse(buf, &back, &why) != 0 || !sgp_dec_eq(a, back))
		abort();
	for (int mode = SGP_ROUND_HALF_EVEN; mode <= SGP_ROUND_DOWN; mode++)
		if (sgp_dec_rescale(a, 2, (enum sgp_round)mode, &c) == 0 &&
		    sgp_dec_format(c, buf, sizeof buf) < 0)
			abort();
	if (sgp_dec_to_minor(a, 3, SGP_ROUND_HALF_EVEN, &minor) == 0 &&
	    sgp_dec_from_minor(minor, 3, &c) != 0)
		abort();
	if (!sep)
		return 0;
	if (sgp_dec_parse_n(sep + 1, size - n1 - 1, &b, &why) != 0)
		return 0;
	if (sgp_dec_add(a, b, &c) == 0 && sgp_dec_sub(c, b, &d) == 0 && !sgp_dec_eq(d, a))
		abort();
	if (sgp_dec_cmp(a, b) != -sgp_dec_cmp(b, a))
		abort();
	sgp_dec_mul(a, b, &c);
	return 0;
}
