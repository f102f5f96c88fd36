/* csvfile.c: see csvfile.h. */
#include "csvfile.h"
#include "lineio.h"

#include <csv.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct sgp_csv {
	struct csv_parser p;
	int fd;                 /* -1 when reading from memory */
	char *name;
	char *mem;
	size_t memlen, mempos;
	char rbuf[65536];
	int eof, started;
	/* Records parsed but not yet returned. */
	struct rec {
		char **f;
		size_t n;
		unsigned long long line;
		size_t nul;     /* 1-based index of a field holding a NUL byte, 0 if none */
	} *q;
	size_t qhead, qlen, qcap;
	/* Record being assembled. */
	char **cur;
	size_t ncur, capcur, curnul;
	/* The record handed to the caller (freed on the next call). */
	struct rec out;
	unsigned long long nrec, line;
	char err[256];
	int failed;
	char **header;
	size_t nheader;
};

static sgp_csv *csv_new(const char *name)
{
	sgp_csv *c = xcalloc(1, sizeof *c);

	if (csv_init(&c->p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0)
		sgp_die(SGP_EXIT_SYSTEM, "cannot initialise the CSV parser");
	c->name = xstrdup(name);
	c->fd = -1;
	c->line = 1;
	return c;
}

sgp_csv *sgp_csv_open(const char *path)
{
	sgp_csv *c;
	int fd = 0;

	if (strcmp(path, "-") != 0) {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return NULL;
	}
	c = csv_new(path);
	c->fd = fd;
	return c;
}

sgp_csv *sgp_csv_open_mem(const char *data, size_t len, const char *name)
{
	sgp_csv *c = csv_new(name);

	c->mem = xmalloc(len + 1);
	memcpy(c->mem, data, len);
	c->memlen = len;
	return c;
}

static void free_rec(struct rec *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		free(r->f[i]);
	free(r->f);
	r->f = NULL;
	r->n = 0;
}

void sgp_csv_close(sgp_csv *c)
{
	size_t i;

	if (c == NULL)
		return;
	if (c->fd > 0)
		close(c->fd);
	csv_free(&c->p);
	for (i = 0; i < c->qlen; i++)
		free_rec(&c->q[(c->qhead + i) % c->qcap]);
	free(c->q);
	for (i = 0; i < c->ncur; i++)
		free(c->cur[i]);
	free(c->cur);
	free_rec(&c->out);
	for (i = 0; i < c->nheader; i++)
		free(c->header[i]);
	free(c->header);
	free(c->mem);
	free(c->name);
	free(c);
}

static void on_field(void *s, size_t len, void *data)
{
	sgp_csv *c = data;

	if (c->ncur == c->capcur) {
		c->capcur = c->capcur ? c->capcur * 2 : 16;
		c->cur = xreallocarray(c->cur, c->capcur, sizeof *c->cur);
	}
	/* A NUL byte would cut the field short as a C string: note it, the
	 * record is then an error rather than a silently shortened value. */
	if (s && c->curnul == 0 && memchr(s, '\0', len))
		c->curnul = c->ncur + 1;
	c->cur[c->ncur++] = xstrndup(s ? s : "", s ? len : 0);
}

static void on_record(int term, void *data)
{
	sgp_csv *c = data;
	struct rec r;

	(void)term;
	r.f = c->cur;
	r.n = c->ncur;
	r.nul = c->curnul;
	c->curnul = 0;
	/* The record ends on the current line; quoted newlines inside its
	 * fields tell how many lines earlier it started. */
	r.line = c->line;
	for (size_t i = 0; i < r.n; i++)
		for (const char *p = r.f[i]; (p = strchr(p, '\n')) != NULL; p++)
			r.line--;
	c->cur = NULL;
	c->ncur = c->capcur = 0;
	if (c->qlen == c->qcap) {
		size_t ncap = c->qcap ? c->qcap * 2 : 16, i;
		struct rec *nq = xcalloc(ncap, sizeof *nq);

		for (i = 0; i < c->qlen; i++)
			nq[i] = c->q[(c->qhead + i) % c->qcap];
		free(c->q);
		c->q = nq;
		c->qcap = ncap;
		c->qhead = 0;
	}
	c->q[(c->qhead + c->qlen) % c->qcap] = r;
	c->qlen++;
}

/* Feed the parser one buffer, tracking physical line numbers at record
 * starts.  Splits at newlines so that each record knows its first line. */
static int feed(sgp_csv *c, const char *buf, size_t n)
{
	size_t i = 0;

	while (i < n) {
		const char *nl = memchr(buf + i, '\n', n - i);
		size_t chunk = nl ? (size_t)(nl - (buf + i)) + 1 : n - i;

		/* libcsv grows its field buffer by blk_size bytes at a time
		 * (128 by default): a field of megabytes would be copied over
		 * and over.  Growing by the buffer's own size keeps it linear. */
		csv_set_blk_size(&c->p, c->p.entry_size > 65536 ? c->p.entry_size : 65536);
		if (csv_parse(&c->p, buf + i, chunk, on_field, on_record, c) != chunk) {
			snprintf(c->err, sizeof c->err, "%s: line %llu: %s", c->name, c->line,
				 csv_strerror(csv_error(&c->p)));
			return -1;
		}
		if (nl)
			c->line++;
		i += chunk;
	}
	return 0;
}

static int fill(sgp_csv *c)
{
	const char *buf;
	ssize_t n;

	if (c->fd >= 0) {
		do
			n = read(c->fd, c->rbuf, sizeof c->rbuf);
		while (n < 0 && errno == EINTR);
		if (n < 0) {
			snprintf(c->err, sizeof c->err, "%s: read error: %s", c->name, strerror(errno));
			return -1;
		}
		buf = c->rbuf;
	} else {
		n = (ssize_t)(c->memlen - c->mempos);
		if (n > 65536)
			n = 65536;
		buf = c->mem + c->mempos;
		c->mempos += (size_t)n;
	}
	if (n == 0) {
		c->eof = 1;
		if (csv_fini(&c->p, on_field, on_record, c) != 0) {
			snprintf(c->err, sizeof c->err, "%s: line %llu: %s", c->name, c->line,
				 "unterminated quoted field at end of input");
			return -1;
		}
		return 0;
	}
	if (!c->started) {
		c->started = 1;
		if (n >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0) {
			buf += 3;
			n -= 3;
		}
	}
	return feed(c, buf, (size_t)n);
}

int sgp_csv_next(sgp_csv *c, char ***fields, size_t *n)
{
	size_t i;

	free_rec(&c->out);
	if (c->failed)
		return -1;
	for (;;) {
		while (c->qlen == 0 && !c->eof)
			if (fill(c) < 0) {
				c->failed = 1;
				return -1;
			}
		if (c->qlen == 0)
			return 0;
		c->out = c->q[c->qhead];
		c->qhead = (c->qhead + 1) % c->qcap;
		c->qlen--;
		/* A line holding nothing at all is blank: skip it. */
		if (c->out.nul == 0 &&
		    (c->out.n == 0 || (c->out.n == 1 && c->out.f[0][0] == '\0'))) {
			free_rec(&c->out);
			continue;
		}
		break;
	}
	c->nrec++;
	if (c->out.nul) {
		/* worded so that callers skipping the records whose text is
		 * not UTF-8 (and reading on) skip this one too */
		snprintf(c->err, sizeof c->err, "%s: line %llu: field %zu: invalid UTF-8 text: NUL byte",
			 c->name, c->out.line, c->out.nul);
		return -1;
	}
	for (i = 0; i < c->out.n; i++) {
		long bad = sgp_utf8_check(c->out.f[i], strlen(c->out.f[i]));
		if (bad >= 0) {
			snprintf(c->err, sizeof c->err, "%s: line %llu: field %zu: invalid UTF-8",
				 c->name, c->out.line, i + 1);
			return -1;
		}
	}
	*fields = c->out.f;
	*n = c->out.n;
	return 1;
}

unsigned long long sgp_csv_record(const sgp_csv *c)
{
	return c->nrec;
}

unsigned long long sgp_csv_line(const sgp_csv *c)
{
	return c->out.line;
}

const char *sgp_csv_error(const sgp_csv *c)
{
	return c->err;
}

const char *sgp_csv_name(const sgp_csv *c)
{
	return c->name;
}

int sgp_csv_read_header(sgp_csv *c)
{
	char **f;
	size_t n, i, j;
	int rc = sgp_csv_next(c, &f, &n);

	if (rc == 0)
		snprintf(c->err, sizeof c->err, "%s: empty file, expected a header row", c->name);
	if (rc <= 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (f[i][0] == '\0') {
			snprintf(c->err, sizeof c->err, "%s: header column %zu has no name", c->name, i + 1);
			return -1;
		}
		for (j = 0; j < i; j++)
			if (strcmp(f[i], f[j]) == 0) {
				snprintf(c->err, sizeof c->err, "%s: duplicate header column '%s'",
					 c->name, f[i]);
				return -1;
			}
	}
	c->header = c->out.f;
	c->nheader = c->out.n;
	c->out.f = NULL;
	c->out.n = 0;
	return 0;
}

size_t sgp_csv_ncols(const sgp_csv *c)
{
	return c->nheader;
}

const char *sgp_csv_colname(const sgp_csv *c, size_t i)
{
	return i < c->nheader ? c->header[i] : NULL;
}

long sgp_csv_col(const sgp_csv *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->nheader; i++)
		if (strcmp(c->header[i], name) == 0)
			return (long)i;
	return -1;
}

void sgp_csv_add_field(sgp_buf *out, const char *s)
{
	size_t n = strlen(s);
	int quote = n > 0 && (s[0] == ' ' || s[n - 1] == ' ');
	const char *p;

	if (!quote && strpbrk(s, ",\"\r\n") == NULL) {
		sgp_buf_add(out, s, n);
		return;
	}
	sgp_buf_addc(out, '"');
	for (p = s; *p; p++) {
		if (*p == '"')
			sgp_buf_addc(out, '"');
		sgp_buf_addc(out, *p);
	}
	sgp_buf_addc(out, '"');
}
