/* fuzz_csv.c: the CSV reader on arbitrary bytes: records or a clean
 * error, never a crash; every field returned is valid UTF-8. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "csvfile.h"
#include "lineio.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sgp_csv *c = sgp_csv_open_mem((const char *)data, size, "fuzz.csv");
	char **f;
	size_t n, i;
	int rc;

	if (sgp_csv_read_header(c) == 0) {
		while ((rc = sgp_csv_next(c, &f, &n)) > 0)
			for (i = 0; i < n; i++)
				if (sgp_utf8_check(f[i], strlen(f[i])) >= 0)
					abort();
		if (rc < 0 && sgp_csv_error(c)[0] == '\0')
			abort(); /* an error always says why */
	}
	sgp_csv_close(c);
	return 0;
}
