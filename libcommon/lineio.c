/* lineio.c: see lineio.h. */
#include "lineio.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define READ_CHUNK (256 * 1024)
#define WRITE_BUF (64 * 1024)

struct sgp_reader {
	int fd;
	char *name;
	char *buf;          /* data from buf[start] to buf[end] not yet returned */
	size_t start, end, cap;
	int eof;
	unsigned long long lineno, next_lineno;
};

sgp_reader *sgp_reader_fdopen(int fd, const char *name)
{
	sgp_reader *r = xcalloc(1, sizeof *r);

	r->fd = fd;
	r->name = xstrdup(name);
	r->cap = READ_CHUNK;
	r->buf = xmalloc(r->cap + 1);
	return r;
}

sgp_reader *sgp_reader_open(const char *path)
{
	int fd;

	if (path == NULL || strcmp(path, "-") == 0)
		return sgp_reader_fdopen(0, "-");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	return sgp_reader_fdopen(fd, path);
}

const char *sgp_reader_name(const sgp_reader *r)
{
	return r->name;
}

unsigned long long sgp_reader_lineno(const sgp_reader *r)
{
	return r->lineno;
}

void sgp_reader_close(sgp_reader *r)
{
	if (r == NULL)
		return;
	if (r->fd > 0)
		close(r->fd);
	free(r->name);
	free(r->buf);
	free(r);
}

/* Read more data after buf[end]; returns bytes read, 0 at EOF, -1 error. */
static ssize_t fill(sgp_reader *r)
{
	ssize_t n;

	if (r->start > 0 && (r->start == r->end || r->end + READ_CHUNK / 4 > r->cap)) {
		memmove(r->buf, r->buf + r->start, r->end - r->start);
		r->end -= r->start;
		r->start = 0;
	}
	if (r->cap - r->end < READ_CHUNK / 4) {
		r->cap *= 2;
		r->buf = xrealloc(r->buf, r->cap + 1);
	}
	do
		n = read(r->fd, r->buf + r->end, r->cap - r->end);
	while (n < 0 && errno == EINTR);
	if (n > 0)
		r->end += (size_t)n;
	return n;
}

static int blank(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return 0;
	return 1;
}

int sgp_reader_next(sgp_reader *r, const char **line, size_t *len)
{
	size_t scanned = 0;

	for (;;) {
		char *p = r->buf + r->start;
		size_t avail = r->end - r->start;
		char *nl = scanned < avail ? memchr(p + scanned, '\n', avail - scanned) : NULL;
		size_t n;

		if (nl == NULL && !r->eof) {
			ssize_t got;

			scanned = avail;
			got = fill(r);
			if (got < 0)
				return -1;
			if (got == 0)
				r->eof = 1;
			continue;
		}
		if (nl == NULL && avail == 0)
			return 0;
		n = nl ? (size_t)(nl - p) : avail;
		r->start += nl ? n + 1 : n;
		r->next_lineno++;
		scanned = 0;
		if (blank(p, n))
			continue;
		if (n > 0 && p[n - 1] == '\r')
			n--;
		p[n] = '\0';
		r->lineno = r->next_lineno;
		*line = p;
		*len = n;
		return 1;
	}
}

long sgp_utf8_check(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;

	while (i < len) {
		unsigned char c = s[i];
		size_t n;
		unsigned cp;

		if (c < 0x80) {
			/* Fast path over ASCII, eight bytes at a time. */
			while (i + 8 <= len) {
				uint64_t w;
				memcpy(&w, s + i, 8);
				if (w & 0x8080808080808080ULL)
					break;
				i += 8;
			}
			if (i < len && s[i] < 0x80)
				i++;
			continue;
		}
		if (c >= 0xC2 && c <= 0xDF)
			n = 1, cp = c & 0x1F;
		else if (c >= 0xE0 && c <= 0xEF)
			n = 2, cp = c & 0x0F;
		else if (c >= 0xF0 && c <= 0xF4)
			n = 3, cp = c & 0x07;
		else
			return (long)i;
		if (i + n >= len)
			return (long)i;
		for (size_t k = 1; k <= n; k++) {
			if ((s[i + k] & 0xC0) != 0x80)
				return (long)i;
			cp = (cp << 6) | (s[i + k] & 0x3F);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10FFFF)) ||
		    (cp >= 0xD800 && cp <= 0xDFFF))
			return (long)i;
		i += n + 1;
	}
	return -1;
}

json_t *sgp_line_parse(const char *line, size_t len, int flags, sgp_line_error *err)
{
	json_error_t je;
	const char *nul;
	long bad;
	json_t *v;

	err->column = 0;
	err->message[0] = '\0';
	nul = memchr(line, '\0', len);
	if (nul) {
		err->column = (int)(nul - line) + 1;
		snprintf(err->message, sizeof err->message,
			 "NUL byte at column %d", err->column);
		return NULL;
	}
	bad = sgp_utf8_check(line, len);
	if (bad >= 0) {
		err->column = (int)bad + 1;
		snprintf(err->message, sizeof err->message,
			 "invalid UTF-8 at column %d", err->column);
		return NULL;
	}
	v = json_loadb(line, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);
	if (v == NULL && (strstr(je.text, "too big integer") != NULL ||
			  strstr(je.text, "too big negative integer") != NULL))
		v = json_loadb(line, len,
			       JSON_REJECT_DUPLICATES | JSON_DECODE_ANY | JSON_DECODE_INT_AS_REAL, &je);
	if (v == NULL) {
		err->column = je.position > 0 ? je.position : je.column;
		snprintf(err->message, sizeof err->message,
			 "invalid JSON at column %d: %s", err->column, je.text);
		return NULL;
	}
	if (!(flags & SGP_PARSE_ANY_VALUE) && !json_is_object(v)) {
		const char *what = json_is_array(v) ? "an array" : json_is_string(v) ? "a string" :
				   json_is_number(v) ? "a number" : json_is_boolean(v) ? "a boolean" : "null";
		snprintf(err->message, sizeof err->message,
			 "line is %s, not a JSON object", what);
		err->column = 1;
		json_decref(v);
		return NULL;
	}
	return v;
}

struct sgp_writer {
	int fd;
	int owned;          /* close on sgp_writer_close */
	char *name;
	char *buf;
	size_t len;
};

static sgp_writer *writer_new(int fd, const char *name, int owned)
{
	sgp_writer *w = xcalloc(1, sizeof *w);

	w->fd = fd;
	w->owned = owned;
	w->name = xstrdup(name);
	w->buf = xmalloc(WRITE_BUF);
	return w;
}

sgp_writer *sgp_writer_stdout(void)
{
	static sgp_writer *w;

	if (w == NULL)
		w = writer_new(1, "standard output", 0);
	return w;
}

sgp_writer *sgp_writer_stderr(void)
{
	static sgp_writer *w;

	if (w == NULL)
		w = writer_new(2, "standard error", 0);
	return w;
}

static sgp_writer *open_mode(const char *path, int extra)
{
	int fd;

	if (strcmp(path, "-") == 0)
		return sgp_writer_stdout();
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | extra, 0666);
	if (fd < 0)
		return NULL;
	return writer_new(fd, path, 1);
}

sgp_writer *sgp_writer_open(const char *path)
{
	return open_mode(path, O_TRUNC);
}

sgp_writer *sgp_writer_open_append(const char *path)
{
	return open_mode(path, O_APPEND);
}

const char *sgp_writer_name(const sgp_writer *w)
{
	return w->name;
}

static void write_all(sgp_writer *w, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t k = write(w->fd, p, n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0 && errno == EPIPE) {
			/* The reader went away: end quietly with SIGPIPE's status. */
			signal(SIGPIPE, SIG_DFL);
			raise(SIGPIPE);
			_exit(128 + SIGPIPE);
		}
		if (k <= 0) {
			int e = k < 0 ? errno : ENOSPC;

			w->len = 0; /* nothing more will be tried from exit handlers */
			sgp_die(SGP_EXIT_SYSTEM, "write error on '%s': %s", w->name, strerror(e));
		}
		p += k;
		n -= (size_t)k;
	}
}

void sgp_writer_flush(sgp_writer *w)
{
	if (w->len) {
		size_t n = w->len;

		w->len = 0;
		write_all(w, w->buf, n);
	}
}

void sgp_writer_write(sgp_writer *w, const void *buf, size_t len)
{
	if (len >= WRITE_BUF) {
		sgp_writer_flush(w);
		write_all(w, buf, len);
		return;
	}
	if (w->len + len > WRITE_BUF)
		sgp_writer_flush(w);
	memcpy(w->buf + w->len, buf, len);
	w->len += len;
}

void sgp_writer_line(sgp_writer *w, const char *buf, size_t len)
{
	sgp_writer_write(w, buf, len);
	sgp_writer_write(w, "\n", 1);
}

static int dump_cb(const char *buf, size_t size, void *data)
{
	sgp_writer_write(data, buf, size);
	return 0;
}

void sgp_writer_json(sgp_writer *w, const json_t *value)
{
	json_dump_callback(value, dump_cb, w, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(17));
	sgp_writer_write(w, "\n", 1);
}

int sgp_writer_sync(sgp_writer *w)
{
	sgp_writer_flush(w);
	if (fsync(w->fd) < 0 && errno != EINVAL && errno != EROFS)
		return -1;
	return 0;
}

void sgp_writer_close(sgp_writer *w)
{
	if (w == NULL)
		return;
	sgp_writer_flush(w);
	if (!w->owned)
		return;
	if (close(w->fd) < 0 && errno != EINTR)
		sgp_die(SGP_EXIT_SYSTEM, "write error on '%s': %s", w->name, strerror(errno));
	free(w->name);
	free(w->buf);
	free(w);
}

int sgp_write_file_atomic(const char *path, const void *data, size_t len)
{
	char *dup = xstrdup(path), *dir = dirname(dup);
	char *tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
	const char *p = data;
	int fd, dfd, e;

	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	if (fd < 0)
		goto fail;
	while (len > 0) {
		ssize_t k = write(fd, p, len);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			if (k == 0)
				errno = ENOSPC;
			goto fail_fd;
		}
		p += k;
		len -= (size_t)k;
	}
	if (fsync(fd) < 0)
		goto fail_fd;
	if (close(fd) < 0) {
		fd = -1;
		goto fail_fd;
	}
	if (rename(tmp, path) < 0)
		goto fail_unlink;
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	free(tmp);
	free(dup);
	return 0;
fail_fd:
	e = errno;
	if (fd >= 0)
		close(fd);
	errno = e;
fail_unlink:
	e = errno;
	unlink(tmp);
	errno = e;
fail:
	e = errno;
	free(tmp);
	free(dup);
	errno = e;
	return -1;
}

char *sgp_read_file(const char *path, size_t *lenp)
{
	sgp_buf b = SGP_BUF_INIT;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return NULL;
	for (;;) {
		ssize_t n;

		sgp_buf_grow(&b, 65536);
		n = read(fd, b.data + b.len, 65536);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;
			close(fd);
			sgp_buf_release(&b);
			errno = e;
			return NULL;
		}
		if (n == 0)
			break;
		b.len += (size_t)n;
	}
	close(fd);
	b.data[b.len] = '\0';
	return sgp_buf_detach(&b, lenp);
}
