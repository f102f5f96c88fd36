/* fuzz_jsonfast.c: the fast line parser against sgp_line_parse, its
 * reference.  On every input and with either flag both give the same
 * verdict: the same value (json_equal, and the same members in the same
 * order when printed) or the same error message and column. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jsonfast.h"
#include "lineio.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void same_text(const json_t *a, const json_t *b)
{
	char *ta = json_dumps(a, JSON_COMPACT | JSON_ENCODE_ANY);
	char *tb = json_dumps(b, JSON_COMPACT | JSON_ENCODE_ANY);

	if (ta == NULL || tb == NULL || strcmp(ta, tb) != 0)
		abort(); /* same members, same order, same numbers */
	free(ta);
	free(tb);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int flags[] = { 0, SGP_PARSE_ANY_VALUE };

	if (size > 1 << 20)
		return 0;
	for (size_t i = 0; i < 2; i++) {
		sgp_line_error e1, e2;
		json_t *fast, *ref;

		memset(&e1, 0, sizeof e1);
		memset(&e2, 0, sizeof e2);
		fast = sgp_json_fast_parse((const char *)data, size, flags[i], &e1);
		ref = sgp_line_parse((const char *)data, size, flags[i], &e2);
		if ((fast == NULL) != (ref == NULL))
			abort(); /* the verdicts differ */
		if (fast) {
			if (!json_equal(fast, ref))
				abort();
			same_text(fast, ref);
			if (flags[i] == 0 && !json_is_object(fast))
				abort(); /* only objects without SGP_PARSE_ANY_VALUE */
		} else {
			if (strcmp(e1.message, e2.message) != 0 || e1.column != e2.column)
				abort(); /* the errors are those of sgp_line_parse */
			if (e1.message[0] == '\0')
				abort(); /* an error always says why */
		}
		json_decref(fast);
		json_decref(ref);
	}
	return 0;
}
