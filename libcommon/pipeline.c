/* pipeline.c: see pipeline.h. */
#include "pipeline.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

enum { SLOT_FREE, SLOT_FILLED, SLOT_BUSY, SLOT_DONE };

struct batch {
	int state;
	sgp_buf text;                     /* lines, each followed by NUL */
	size_t *off;                      /* offset of each line in text */
	unsigned long long *lineno;
	size_t n, cap;
	sgp_pipe_out o;
};

struct pipe {
	const struct sgp_pipe_conf *c;
	pthread_mutex_t mu;
	pthread_cond_t work;              /* a batch became FILLED, or stop */
	pthread_cond_t done;              /* a batch became DONE */
	struct batch *slots;
	size_t nslots;
	size_t next_work;                 /* sequence number of next batch to process */
	size_t filled;                    /* batches handed over so far */
	int stop;
};

static void batch_add(struct batch *b, const char *line, size_t len, unsigned long long lineno)
{
	if (b->n == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 256;
		b->off = xreallocarray(b->off, b->cap, sizeof *b->off);
		b->lineno = xreallocarray(b->lineno, b->cap, sizeof *b->lineno);
	}
	b->off[b->n] = b->text.len;
	b->lineno[b->n] = lineno;
	b->n++;
	sgp_buf_add(&b->text, line, len);
	sgp_buf_addc(&b->text, '\0');
}

static void batch_run(const struct sgp_pipe_conf *c, void *worker, struct batch *b)
{
	size_t i;

	for (i = 0; i < b->n; i++) {
		size_t start = b->off[i];
		size_t end = i + 1 < b->n ? b->off[i + 1] : b->text.len;

		c->fn(worker, b->text.data + start, end - start - 1, b->lineno[i], &b->o);
	}
}

static void batch_emit(struct batch *b, sgp_writer *out, sgp_writer *rej, uint64_t *totals)
{
	int k;

	if (out && b->o.out.len)
		sgp_writer_write(out, b->o.out.data, b->o.out.len);
	if (rej && b->o.rejects.len)
		sgp_writer_write(rej, b->o.rejects.data, b->o.rejects.len);
	for (k = 0; k < SGP_PIPE_NCOUNTERS; k++) {
		totals[k] += b->o.counters[k];
		b->o.counters[k] = 0;
	}
	sgp_buf_reset(&b->o.out);
	sgp_buf_reset(&b->o.rejects);
	sgp_buf_reset(&b->text);
	b->n = 0;
	b->state = SLOT_FREE;
}

static void batch_free(struct batch *b)
{
	sgp_buf_release(&b->text);
	sgp_buf_release(&b->o.out);
	sgp_buf_release(&b->o.rejects);
	free(b->off);
	free(b->lineno);
}

static void *worker_main(void *arg)
{
	struct pipe *p = arg;
	const struct sgp_pipe_conf *c = p->c;
	void *worker = c->worker_new ? c->worker_new(c->arg) : c->arg;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		struct batch *b;

		while (!p->stop && p->next_work == p->filled)
			pthread_cond_wait(&p->work, &p->mu);
		if (p->next_work == p->filled)
			break; /* stop, and nothing left */
		b = &p->slots[p->next_work % p->nslots];
		p->next_work++;
		b->state = SLOT_BUSY;
		pthread_mutex_unlock(&p->mu);
		batch_run(c, worker, b);
		pthread_mutex_lock(&p->mu);
		b->state = SLOT_DONE;
		pthread_cond_broadcast(&p->done);
	}
	pthread_mutex_unlock(&p->mu);
	if (c->worker_new && c->worker_free)
		c->worker_free(worker);
	return NULL;
}

static int run_inline(const struct sgp_pipe_conf *c, sgp_reader *r, sgp_writer *out,
		      sgp_writer *rej, uint64_t *totals, size_t max_lines, size_t max_bytes)
{
	void *worker = c->worker_new ? c->worker_new(c->arg) : c->arg;
	struct batch b;
	const char *line;
	size_t len;
	int rc, ret = 0;

	memset(&b, 0, sizeof b);
	b.o.file = sgp_reader_name(r);
	while ((rc = sgp_reader_next(r, &line, &len)) > 0) {
		c->fn(worker, line, len, sgp_reader_lineno(r), &b.o);
		if (++b.n >= max_lines || b.o.out.len >= max_bytes)
			batch_emit(&b, out, rej, totals);
	}
	if (rc < 0)
		ret = -1;
	batch_emit(&b, out, rej, totals);
	batch_free(&b);
	if (c->worker_new && c->worker_free)
		c->worker_free(worker);
	return ret;
}

int sgp_pipe_run(const struct sgp_pipe_conf *c, sgp_reader *r, sgp_writer *out,
		 sgp_writer *rej, uint64_t totals[SGP_PIPE_NCOUNTERS])
{
	size_t max_lines = c->batch_lines ? c->batch_lines : 512;
	size_t max_bytes = c->batch_bytes ? c->batch_bytes : 1 << 20;
	int jobs = c->jobs > 0 ? c->jobs : sgp_ncpus();
	struct pipe p;
	pthread_t *tids;
	size_t emitted = 0, i;
	int rc = 1, ret = 0, saved_errno = 0;

	if (jobs == 1)
		return run_inline(c, r, out, rej, totals, max_lines, max_bytes);

	memset(&p, 0, sizeof p);
	p.c = c;
	p.nslots = (size_t)jobs * 3;
	p.slots = xcalloc(p.nslots, sizeof *p.slots);
	for (i = 0; i < p.nslots; i++)
		p.slots[i].o.file = sgp_reader_name(r);
	pthread_mutex_init(&p.mu, NULL);
	pthread_cond_init(&p.work, NULL);
	pthread_cond_init(&p.done, NULL);
	tids = xcalloc((size_t)jobs, sizeof *tids);
	for (i = 0; i < (size_t)jobs; i++)
		if (pthread_create(&tids[i], NULL, worker_main, &p) != 0)
			sgp_die(SGP_EXIT_SYSTEM, "cannot start worker thread");

	while (rc > 0) {
		struct batch *b = &p.slots[p.filled % p.nslots];
		const char *line;
		size_t len;

		/* The slot is reused: write out its previous batch first. */
		pthread_mutex_lock(&p.mu);
		while (p.filled - emitted >= p.nslots) {
			struct batch *old = &p.slots[emitted % p.nslots];

			while (old->state != SLOT_DONE)
				pthread_cond_wait(&p.done, &p.mu);
			pthread_mutex_unlock(&p.mu);
			batch_emit(old, out, rej, totals);
			emitted++;
			pthread_mutex_lock(&p.mu);
		}
		pthread_mutex_unlock(&p.mu);

		while (b->n < max_lines && b->text.len < max_bytes &&
		       (rc = sgp_reader_next(r, &line, &len)) > 0)
			batch_add(b, line, len, sgp_reader_lineno(r));
		if (rc < 0) {
			saved_errno = errno;
			ret = -1;
		}
		if (b->n == 0)
			break;
		pthread_mutex_lock(&p.mu);
		b->state = SLOT_FILLED;
		p.filled++;
		pthread_cond_signal(&p.work);
		pthread_mutex_unlock(&p.mu);

		/* Write out whatever is already done, in order, to keep
		 * output flowing downstream. */
		pthread_mutex_lock(&p.mu);
		while (emitted < p.filled && p.slots[emitted % p.nslots].state == SLOT_DONE) {
			struct batch *old = &p.slots[emitted % p.nslots];

			pthread_mutex_unlock(&p.mu);
			batch_emit(old, out, rej, totals);
			emitted++;
			pthread_mutex_lock(&p.mu);
		}
		pthread_mutex_unlock(&p.mu);
	}

	pthread_mutex_lock(&p.mu);
	p.stop = 1;
	pthread_cond_broadcast(&p.work);
	while (emitted < p.filled) {
		struct batch *old = &p.slots[emitted % p.nslots];

		while (old->state != SLOT_DONE)
			pthread_cond_wait(&p.done, &p.mu);
		pthread_mutex_unlock(&p.mu);
		batch_emit(old, out, rej, totals);
		emitted++;
		pthread_mutex_lock(&p.mu);
	}
	pthread_mutex_unlock(&p.mu);
	for (i = 0; i < (size_t)jobs; i++)
		pthread_join(tids[i], NULL);
	for (i = 0; i < p.nslots; i++)
		batch_free(&p.slots[i]);
	free(p.slots);
	free(tids);
	pthread_mutex_destroy(&p.mu);
	pthread_cond_destroy(&p.work);
	pthread_cond_destroy(&p.done);
	if (ret < 0)
		errno = saved_errno;
	return ret;
}
