/*
 * parse-floor.c: the floor under every sgp filter: read each line with the
 * libcommon reader, parse it with sgp_line_parse and write the original
 * bytes back (no re-serialisation), optionally on the ordered pipeline.
 *   parse-floor [-jN] FILE
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lineio.h"
#include "pipeline.h"
#include "util.h"

static void pass(void *w, const char *line, size_t len, unsigned long long lineno,
		 sgp_pipe_out *o)
{
	sgp_line_error err;
	json_t *v = sgp_line_parse(line, len, 0, &err);

	(void)w;
	(void)lineno;
	if (v == NULL) {
		o->counters[1]++;
		return;
	}
	json_decref(v);
	sgp_buf_add(&o->out, line, len);
	sgp_buf_addc(&o->out, '\n');
	o->counters[0]++;
}

int main(int argc, char **argv)
{
	struct sgp_pipe_conf c = {0};
	uint64_t t[SGP_PIPE_NCOUNTERS] = {0};
	sgp_reader *r;
	int i = 1;

	sgp_init(argv[0]);
	c.jobs = 1;
	c.fn = pass;
	if (argc > 2 && strncmp(argv[1], "-j", 2) == 0)
		c.jobs = atoi(argv[i++] + 2);
	r = sgp_reader_open(i < argc ? argv[i] : "-");
	if (r == NULL)
		return 3;
	sgp_pipe_run(&c, r, sgp_writer_stdout(), sgp_writer_stderr(), t);
	sgp_writer_flush(sgp_writer_stdout());
	sgp_reader_close(r);
	return 0;
}
