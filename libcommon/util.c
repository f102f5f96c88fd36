/* util.c: see util.h. */
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

const char *sgp_progname = "sgp";

void sgp_set_progname(const char *argv0)
{
	const char *p;

	if (argv0 == NULL || *argv0 == '\0')
		return;
	p = strrchr(argv0, '/');
	sgp_progname = p ? p + 1 : argv0;
}

void sgp_init(const char *argv0)
{
	int fd;

	sgp_set_progname(argv0);
	/* Make sure 0, 1 and 2 are open so that no file we open lands there. */
	for (fd = 0; fd < 3; fd++) {
		if (fcntl(fd, F_GETFD) == -1 && errno == EBADF) {
			int n = open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
			if (n != fd && n >= 0)
				close(n);
		}
	}
	setlocale(LC_ALL, "C");
}

void sgp_vwarn(const char *fmt, va_list ap)
{
	char msg[4096];

	vsnprintf(msg, sizeof msg, fmt, ap);
	fprintf(stderr, "%s: %s\n", sgp_progname, msg);
}

void sgp_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sgp_vwarn(fmt, ap);
	va_end(ap);
}

void sgp_die(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sgp_vwarn(fmt, ap);
	va_end(ap);
	exit(code);
}

static _Noreturn void oom(size_t n)
{
	fprintf(stderr, "%s: out of memory allocating %zu bytes\n", sgp_progname, n);
	exit(SGP_EXIT_SYSTEM);
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		oom(n);
	return p;
}

void *xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);

	if (p == NULL)
		oom(nmemb * size);
	return p;
}

void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (q == NULL)
		oom(n);
	return q;
}

void *xreallocarray(void *p, size_t nmemb, size_t size)
{
	size_t n;

	if (__builtin_mul_overflow(nmemb, size, &n))
		oom(SIZE_MAX);
	return xrealloc(p, n);
}

char *xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *p;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&p, fmt, ap);
	va_end(ap);
	if (n < 0)
		oom(0);
	return p;
}

int sgp_parse_ll(const char *s, long long min, long long max, long long *out)
{
	char *end;
	long long v;

	if (s == NULL || *s == '\0' || (*s != '-' && *s != '+' && (*s < '0' || *s > '9'))) {
		errno = EINVAL;
		return -1;
	}
	errno = 0;
	v = strtoll(s, &end, 10);
	if (*end != '\0') {
		errno = EINVAL;
		return -1;
	}
	if (errno == ERANGE || v < min || v > max) {
		errno = ERANGE;
		return -1;
	}
	*out = v;
	return 0;
}

int sgp_parse_ull(const char *s, unsigned long long max, unsigned long long *out)
{
	char *end;
	unsigned long long v;

	if (s == NULL || *s < '0' || *s > '9') {
		errno = EINVAL;
		return -1;
	}
	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end != '\0') {
		errno = EINVAL;
		return -1;
	}
	if (errno == ERANGE || v > max) {
		errno = ERANGE;
		return -1;
	}
	*out = v;
	return 0;
}

int sgp_parse_double(const char *s, double *out)
{
	char *end;
	double v;

	if (s == NULL || *s == '\0' || *s == ' ' || *s == '\t' || *s == '\n') {
		errno = EINVAL;
		return -1;
	}
	errno = 0;
	v = strtod(s, &end);
	if (*end != '\0') {
		errno = EINVAL;
		return -1;
	}
	if (errno == ERANGE || !isfinite(v)) {
		errno = ERANGE;
		return -1;
	}
	*out = v;
	return 0;
}

int sgp_parse_size(const char *s, unsigned long long *out)
{
	unsigned long long v = 0, mul = 1;
	const char *p = s;

	if (s == NULL || *p < '0' || *p > '9') {
		errno = EINVAL;
		return -1;
	}
	while (*p >= '0' && *p <= '9') {
		if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, (unsigned)(*p - '0'), &v)) {
			errno = ERANGE;
			return -1;
		}
		p++;
	}
	switch (*p) {
	case 'k': case 'K': mul = 1ULL << 10; p++; break;
	case 'm': case 'M': mul = 1ULL << 20; p++; break;
	case 'g': case 'G': mul = 1ULL << 30; p++; break;
	case 't': case 'T': mul = 1ULL << 40; p++; break;
	default: break;
	}
	if (mul > 1 && *p == 'i')
		p++;
	if (*p == 'B' || *p == 'b')
		p++;
	if (*p != '\0') {
		errno = EINVAL;
		return -1;
	}
	if (__builtin_mul_overflow(v, mul, &v)) {
		errno = ERANGE;
		return -1;
	}
	*out = v;
	return 0;
}

void sgp_buf_init(sgp_buf *b)
{
	b->data = NULL;
	b->len = b->cap = 0;
}

void sgp_buf_release(sgp_buf *b)
{
	free(b->data);
	sgp_buf_init(b);
}

void sgp_buf_reset(sgp_buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

void sgp_buf_grow(sgp_buf *b, size_t extra)
{
	size_t need;

	if (__builtin_add_overflow(b->len, extra, &need) || need == SIZE_MAX)
		oom(SIZE_MAX);
	need++; /* NUL */
	if (need <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 64;
	while (cap < need) {
		if (cap > SIZE_MAX / 2) {
			cap = need;
			break;
		}
		cap *= 2;
	}
	b->data = xrealloc(b->data, cap);
	b->cap = cap;
}

void sgp_buf_add(sgp_buf *b, const void *p, size_t n)
{
	sgp_buf_grow(b, n);
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void sgp_buf_addc(sgp_buf *b, char c)
{
	sgp_buf_grow(b, 1);
	b->data[b->len++] = c;
	b->data[b->len] = '\0';
}

void sgp_buf_adds(sgp_buf *b, const char *s)
{
	sgp_buf_add(b, s, strlen(s));
}

void sgp_buf_addf(sgp_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	sgp_buf_grow(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

char *sgp_buf_detach(sgp_buf *b, size_t *len)
{
	char *p;

	if (b->data == NULL)
		sgp_buf_grow(b, 0), b->data[0] = '\0';
	p = b->data;
	if (len)
		*len = b->len;
	sgp_buf_init(b);
	return p;
}

void sgp_buf_add_json_string(sgp_buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, start = 0;

	sgp_buf_grow(b, n + 2);
	sgp_buf_addc(b, '"');
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		const char *esc = NULL;
		char u[7];

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		switch (c) {
		case '"': esc = "\\\""; break;
		case '\\': esc = "\\\\"; break;
		case '\n': esc = "\\n"; break;
		case '\r': esc = "\\r"; break;
		case '\t': esc = "\\t"; break;
		case '\b': esc = "\\b"; break;
		case '\f': esc = "\\f"; break;
		default:
			u[0] = '\\'; u[1] = 'u'; u[2] = '0'; u[3] = '0';
			u[4] = hex[c >> 4]; u[5] = hex[c & 15]; u[6] = '\0';
			esc = u;
		}
		sgp_buf_add(b, s + start, i - start);
		sgp_buf_adds(b, esc);
		start = i + 1;
	}
	sgp_buf_add(b, s + start, n - start);
	sgp_buf_addc(b, '"');
}

void sgp_sha256_hex(const void *data, size_t n, char out[65])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[32];
	unsigned int mdlen = 0;
	int i;

	if (!EVP_Digest(data, n, md, &mdlen, EVP_sha256(), NULL) || mdlen != 32)
		sgp_die(SGP_EXIT_SYSTEM, "sha-256 failed");
	for (i = 0; i < 32; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[64] = '\0';
}

int sgp_ncpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : (int)n;
}
