/* jsonfast.c: see jsonfast.h. */
#include "jsonfast.h"
#include "util.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* jansson's JSON_PARSER_MAX_DEPTH: deeper input goes to the reference
 * parser, which reports it. */
#define MAX_DEPTH 2048

struct parser {
	const unsigned char *cur, *end;
	int depth;
	sgp_buf scratch;          /* decoded strings with escapes; numbers */
};

static inline void skip_ws(struct parser *p)
{
	while (p->cur < p->end &&
	       (*p->cur == ' ' || *p->cur == '\t' || *p->cur == '\n' || *p->cur == '\r'))
		p->cur++;
}

/* Length of the valid UTF-8 sequence (2 to 4 bytes) at S (S < END, *S >=
 * 0x80), or 0 when it is not one (overlong, surrogate, beyond U+10FFFF,
 * cut short). */
static size_t utf8_seq(const unsigned char *s, const unsigned char *end)
{
	unsigned c = s[0], cp;
	size_t n, k;

	if (c >= 0xC2 && c <= 0xDF)
		n = 1, cp = c & 0x1F;
	else if (c >= 0xE0 && c <= 0xEF)
		n = 2, cp = c & 0x0F;
	else if (c >= 0xF0 && c <= 0xF4)
		n = 3, cp = c & 0x07;
	else
		return 0;
	if ((size_t)(end - s) <= n)
		return 0;
	for (k = 1; k <= n; k++) {
		if ((s[k] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[k] & 0x3F);
	}
	if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10FFFF)) ||
	    (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return n + 1;
}

static int hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Four hex digits at S (S + 4 <= END); -1 if not. */
static long hex4(const unsigned char *s, const unsigned char *end)
{
	long v = 0;
	int k;

	if (end - s < 4)
		return -1;
	for (k = 0; k < 4; k++) {
		int h = hexval(s[k]);

		if (h < 0)
			return -1;
		v = v * 16 + h;
	}
	return v;
}

static void put_utf8(sgp_buf *b, unsigned long cp)
{
	char u[4];
	size_t n;

	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xC0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3F));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xE0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		u[2] = (char)(0x80 | (cp & 0x3F));
		n = 3;
	} else {
		u[0] = (char)(0xF0 | (cp >> 18));
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
		u[3] = (char)(0x80 | (cp & 0x3F));
		n = 4;
	}
	sgp_buf_add(b, u, n);
}

/*
 * A string at p->cur (the opening quote).  On success *s and *n give its
 * bytes: in the line itself when it has no escapes, else in p->scratch
 * (valid until the next string).  Returns false on anything not plainly
 * valid.
 */
static bool lex_string(struct parser *p, const char **s, size_t *n)
{
	const unsigned char *q = p->cur + 1, *start = q, *end = p->end;

	for (;;) {
		while (q < end && *q >= 0x20 && *q < 0x80 && *q != '"' && *q != '\\')
			q++;
		if (q >= end)
			return false;
		if (*q == '"') {
			*s = (const char *)start;
			*n = (size_t)(q - start);
			p->cur = q + 1;
			return true;
		}
		if (*q == '\\')
			break;
		if (*q < 0x20)
			return false;
		{
			size_t k = utf8_seq(q, end);

			if (k == 0)
				return false;
			q += k;
		}
	}
	/* escapes: decode into the scratch buffer */
	sgp_buf_reset(&p->scratch);
	sgp_buf_add(&p->scratch, start, (size_t)(q - start));
	while (q < end) {
		unsigned char c = *q;

		if (c == '"') {
			*s = p->scratch.data;
			*n = p->scratch.len;
			p->cur = q + 1;
			return true;
		}
		if (c < 0x20)
			return false;
		if (c >= 0x80) {
			size_t k = utf8_seq(q, end);

			if (k == 0)
				return false;
			sgp_buf_add(&p->scratch, q, k);
			q += k;
			continue;
		}
		if (c != '\\') {
			sgp_buf_addc(&p->scratch, (char)c);
			q++;
			continue;
		}
		if (q + 1 >= end)
			return false;
		switch (q[1]) {
		case '"': sgp_buf_addc(&p->scratch, '"'); break;
		case '\\': sgp_buf_addc(&p->scratch, '\\'); break;
		case '/': sgp_buf_addc(&p->scratch, '/'); break;
		case 'b': sgp_buf_addc(&p->scratch, '\b'); break;
		case 'f': sgp_buf_addc(&p->scratch, '\f'); break;
		case 'n': sgp_buf_addc(&p->scratch, '\n'); break;
		case 'r': sgp_buf_addc(&p->scratch, '\r'); break;
		case 't': sgp_buf_addc(&p->scratch, '\t'); break;
		case 'u': {
			long cp = hex4(q + 2, end);

			if (cp <= 0)             /* bad digits, or \u0000 */
				return false;
			q += 6;
			if (cp >= 0xDC00 && cp <= 0xDFFF)
				return false;        /* lone low surrogate */
			if (cp >= 0xD800 && cp <= 0xDBFF) {
				long lo;

				if (end - q < 6 || q[0] != '\\' || q[1] != 'u')
					return false;
				lo = hex4(q + 2, end);
				if (lo < 0xDC00 || lo > 0xDFFF)
					return false;
				cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
				q += 6;
			}
			put_utf8(&p->scratch, (unsigned long)cp);
			continue;
		}
		default:
			return false;
		}
		q += 2;
	}
	return false;
}

static json_t *parse_value(struct parser *p);

static json_t *parse_number(struct parser *p)
{
	const unsigned char *q = p->cur, *start = q, *end = p->end;
	bool neg = false, is_int = true;
	uint64_t acc = 0;

	if (*q == '-') {
		neg = true;
		q++;
	}
	if (q >= end || *q < '0' || *q > '9')
		return NULL;
	if (*q == '0') {
		q++;
		if (q < end && *q >= '0' && *q <= '9')
			return NULL;
	} else {
		while (q < end && *q >= '0' && *q <= '9') {
			if (acc > (UINT64_MAX - 9) / 10)
				return NULL;   /* far beyond 64 bits: the reference parser decides */
			acc = acc * 10 + (uint64_t)(*q - '0');
			q++;
		}
	}
	if (q < end && *q == '.') {
		is_int = false;
		q++;
		if (q >= end || *q < '0' || *q > '9')
			return NULL;
		while (q < end && *q >= '0' && *q <= '9')
			q++;
	}
	if (q < end && (*q == 'e' || *q == 'E')) {
		is_int = false;
		q++;
		if (q < end && (*q == '+' || *q == '-'))
			q++;
		if (q >= end || *q < '0' || *q > '9')
			return NULL;
		while (q < end && *q >= '0' && *q <= '9')
			q++;
	}
	p->cur = q;
	if (is_int) {
		if (neg ? acc > (uint64_t)INT64_MAX + 1 : acc > (uint64_t)INT64_MAX)
			return NULL;   /* beyond json_int_t: kept as a real by the reference parser */
		if (neg)
			return json_integer(acc == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(json_int_t)acc);
		return json_integer((json_int_t)acc);
	}
	{
		double d;
		char buf[64], *text = buf, *stop;
		size_t n = (size_t)(q - start);

		if (n >= sizeof buf) {
			sgp_buf_reset(&p->scratch);
			sgp_buf_add(&p->scratch, start, n);
			text = p->scratch.data;
		} else {
			memcpy(buf, start, n);
			buf[n] = '\0';
		}
		errno = 0;
		d = strtod(text, &stop);
		if (stop != text + n || (errno == ERANGE && d != 0))
			return NULL;
		return json_real(d);
	}
}

static json_t *parse_object(struct parser *p)
{
	json_t *obj;

	if (++p->depth > MAX_DEPTH)
		return NULL;
	obj = json_object();
	p->cur++;
	skip_ws(p);
	if (p->cur < p->end && *p->cur == '}') {
		p->cur++;
		p->depth--;
		return obj;
	}
	for (;;) {
		const char *k;
		size_t klen, before;
		json_t *v;
		char kbuf[64];
		char *kheap = NULL;

		if (p->cur >= p->end || *p->cur != '"' || !lex_string(p, &k, &klen))
			goto fail;
		/* the key may sit in the scratch buffer, which the value reuses */
		if ((const char *)k == p->scratch.data) {
			if (klen < sizeof kbuf) {
				memcpy(kbuf, k, klen);
				k = kbuf;
			} else {
				kheap = xmalloc(klen);
				memcpy(kheap, k, klen);
				k = kheap;
			}
		}
		skip_ws(p);
		if (p->cur >= p->end || *p->cur != ':') {
			free(kheap);
			goto fail;
		}
		p->cur++;
		skip_ws(p);
		v = parse_value(p);
		if (v == NULL) {
			free(kheap);
			goto fail;
		}
		before = json_object_size(obj);
		if (json_object_setn_new_nocheck(obj, k, klen, v) < 0 ||
		    json_object_size(obj) == before) {
			free(kheap);
			goto fail;   /* duplicate key */
		}
		free(kheap);
		skip_ws(p);
		if (p->cur >= p->end)
			goto fail;
		if (*p->cur == ',') {
			p->cur++;
			skip_ws(p);
			continue;
		}
		if (*p->cur == '}') {
			p->cur++;
			p->depth--;
			return obj;
		}
		goto fail;
	}
fail:
	json_decref(obj);
	return NULL;
}

static json_t *parse_array(struct parser *p)
{
	json_t *arr;

	if (++p->depth > MAX_DEPTH)
		return NULL;
	arr = json_array();
	p->cur++;
	skip_ws(p);
	if (p->cur < p->end && *p->cur == ']') {
		p->cur++;
		p->depth--;
		return arr;
	}
	for (;;) {
		json_t *v = parse_value(p);

		if (v == NULL || json_array_append_new(arr, v) < 0)
			goto fail;
		skip_ws(p);
		if (p->cur >= p->end)
			goto fail;
		if (*p->cur == ',') {
			p->cur++;
			skip_ws(p);
			continue;
		}
		if (*p->cur == ']') {
			p->cur++;
			p->depth--;
			return arr;
		}
		goto fail;
	}
fail:
	json_decref(arr);
	return NULL;
}

static bool literal(struct parser *p, const char *word, size_t n)
{
	if ((size_t)(p->end - p->cur) < n || memcmp(p->cur, word, n) != 0)
		return false;
	p->cur += n;
	return true;
}

static json_t *parse_value(struct parser *p)
{
	if (p->cur >= p->end)
		return NULL;
	switch (*p->cur) {
	case '{':
		return parse_object(p);
	case '[':
		return parse_array(p);
	case '"': {
		const char *s;
		size_t n;

		if (!lex_string(p, &s, &n))
			return NULL;
		return json_stringn_nocheck(s, n);
	}
	case 't':
		return literal(p, "true", 4) ? json_true() : NULL;
	case 'f':
		return literal(p, "false", 5) ? json_false() : NULL;
	case 'n':
		return literal(p, "null", 4) ? json_null() : NULL;
	default:
		if (*p->cur == '-' || (*p->cur >= '0' && *p->cur <= '9'))
			return parse_number(p);
		return NULL;
	}
}

json_t *sgp_json_fast_parse(const char *line, size_t len, int flags, sgp_line_error *err)
{
	struct parser p;
	json_t *v;

	p.cur = (const unsigned char *)line;
	p.end = p.cur + len;
	p.depth = 0;
	sgp_buf_init(&p.scratch);
	skip_ws(&p);
	v = parse_value(&p);
	if (v) {
		skip_ws(&p);
		if (p.cur != p.end || (!(flags & SGP_PARSE_ANY_VALUE) && !json_is_object(v))) {
			json_decref(v);
			v = NULL;
		}
	}
	sgp_buf_release(&p.scratch);
	if (v) {
		err->column = 0;
		err->message[0] = '\0';
		return v;
	}
	return sgp_line_parse(line, len, flags, err);
}
