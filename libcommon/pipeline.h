/*
 * pipeline.h: the ordered multi-threaded line pipeline for CPU-bound
 * filters (sgp-validate, sgp-map).
 *
 * The calling thread reads lines into batches; N worker threads run the
 * filter function on whole batches; the calling thread writes each
 * batch's output and rejects in input order.  With jobs = 1 everything
 * runs on the calling thread.  Output, rejects and counters are identical
 * for any number of jobs, because each line's result depends only on the
 * line and results are written in input order.
 *
 *   static void fn(void *worker, const char *line, size_t len,
 *                  unsigned long long lineno, sgp_pipe_out *o)
 *   {
 *       ... sgp_buf_add(&o->out, line, len); sgp_buf_addc(&o->out, '\n');
 *       o->counters[MY_OUT]++;
 *   }
 */
#ifndef SGP_PIPELINE_H
#define SGP_PIPELINE_H

#include <stdint.h>

#include "lineio.h"
#include "util.h"

#define SGP_PIPE_NCOUNTERS 8

/* What a filter call produces; appended to, never reset by the filter. */
typedef struct sgp_pipe_out {
	sgp_buf out;                            /* bytes for the output stream */
	sgp_buf rejects;                        /* bytes for the reject stream */
	uint64_t counters[SGP_PIPE_NCOUNTERS];  /* meanings chosen by the tool */
	const char *file;                       /* name of the input being read */
} sgp_pipe_out;

/* Process one non-blank line (NUL-terminated; len excludes the NUL).
 * lineno is its physical line number in the input. */
typedef void (*sgp_pipe_fn)(void *worker, const char *line, size_t len,
			    unsigned long long lineno, sgp_pipe_out *o);

struct sgp_pipe_conf {
	int jobs;                    /* worker threads; <= 0 means sgp_ncpus() */
	sgp_pipe_fn fn;
	/* Optional per-worker state: worker_new(arg) once per thread (once
	 * in total with jobs = 1), worker_free at the end.  Without
	 * worker_new, fn gets arg itself. */
	void *(*worker_new)(void *arg);
	void (*worker_free)(void *worker);
	void *arg;
	size_t batch_lines;          /* 0: default (512) */
	size_t batch_bytes;          /* 0: default (1 MiB) */
};

/*
 * Run the filter over every line of r, writing output to out and rejects to
 * rej (either may be NULL to drop that stream, which no sgp tool does) and
 * adding the counters into totals.  Returns 0 at end of input, or -1 on a
 * read error (errno set; everything read before it has been processed and
 * written).
 */
int sgp_pipe_run(const struct sgp_pipe_conf *c, sgp_reader *r, sgp_writer *out,
		 sgp_writer *rej, uint64_t totals[SGP_PIPE_NCOUNTERS]);

#endif
