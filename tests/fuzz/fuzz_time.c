/* fuzz_time.c: every time parser on arbitrary text.  A parsed instant
 * formats as RFC 3339 and parses back to the same instant. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sgptime.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	sgp_time t, back;
	const char *why;
	char buf[64];

	sgp_time_parse_epoch_sec(s, size, &t, &why);
	sgp_time_parse_epoch_ms(s, size, &t, &why);
	sgp_time_parse_date(s, size, &t, &why);
	sgp_time_parse_rfc3339(s, size, &t, &why);
	if (sgp_time_parse_any(s, size, &t, &why) != 0)
		return 0;
	if (sgp_time_format(t, buf, sizeof buf) < 0)
		return 0; /* outside the years RFC 3339 can write */
	if (sgp_time_parse_rfc3339(buf, strlen(buf), &back, &why) != 0 || sgp_time_cmp(t, back) != 0)
		abort();
	return 0;
}
