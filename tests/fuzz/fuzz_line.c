/* fuzz_line.c: the line reader and line parser on arbitrary bytes.  Every
 * line either parses or yields a parse error whose reject record is valid
 * JSON; nothing crashes. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "envelope.h"
#include "lineio.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fds[2];
	sgp_reader *r;
	const char *line;
	size_t len;

	if (size > 1 << 20 || pipe(fds) < 0)
		return 0;
	if (size > 0 && write(fds[1], data, size) != (ssize_t)size) {
		close(fds[0]);
		close(fds[1]);
		return 0;
	}
	close(fds[1]);
	r = sgp_reader_fdopen(fds[0], "fuzz");
	while (sgp_reader_next(r, &line, &len) > 0) {
		sgp_line_error err;
		json_t *v = sgp_line_parse(line, len, 0, &err);

		if (v == NULL) {
			sgp_buf b = SGP_BUF_INIT;
			struct sgp_reject rj = {0};
			json_error_t je;
			json_t *back;

			rj.reason = "parse";
			rj.line = sgp_reader_lineno(r);
			rj.line_text = line;
			rj.line_len = len;
			sgp_reject_format(&b, &rj);
			back = json_loadb(b.data, b.len, 0, &je);
			if (back == NULL)
				abort(); /* a reject record must always be valid JSON */
			json_decref(back);
			sgp_buf_release(&b);
		} else {
			sgp_line_kind_of(v);
			json_decref(v);
		}
	}
	sgp_reader_close(r);
	return 0;
}
