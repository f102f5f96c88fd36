/*
 * rec_json.c: a validating JSON scanner that resolves a few JSON Pointers
 * out of one NDJSON line without building a tree (see reconcile.h).
 *
 * The scanner checks what sgp_line_parse() checks, so a line that another
 * sgp tool would reject is rejected here too; on any error it asks
 * sgp_line_parse() for the message so that reject texts agree across tools.
 */
#include "reconcile.h"

#include <errno.h>
#include <math.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 2048          /* jansson's JSON_PARSER_MAX_DEPTH */
#define SMALL_OBJECT 16         /* duplicate check by pairs up to this many members */

struct pnode {
	char *tok;              /* unescaped reference token */
	size_t toklen;
	long index;             /* tok as an array index, or -1 */
	int slot;               /* pointer slot ending here, or -1 */
	struct pnode **kids;
	size_t nkids;
};

struct rec_paths {
	struct pnode root;
	size_t nslots;
};

static void pnode_free(struct pnode *n)
{
	for (size_t i = 0; i < n->nkids; i++) {
		pnode_free(n->kids[i]);
		free(n->kids[i]);
	}
	free(n->kids);
	free(n->tok);
}

rec_paths *rec_paths_new(void)
{
	rec_paths *ps = xcalloc(1, sizeof *ps);

	ps->root.index = -1;
	ps->root.slot = -1;
	return ps;
}

void rec_paths_free(rec_paths *ps)
{
	if (ps == NULL)
		return;
	pnode_free(&ps->root);
	free(ps);
}

size_t rec_paths_count(const rec_paths *ps)
{
	return ps->nslots;
}

/* An array index token: "0" or digits without a leading zero. */
static long token_index(const char *t, size_t n)
{
	long v = 0;

	if (n == 0 || n > 9 || (n > 1 && t[0] == '0'))
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (t[i] < '0' || t[i] > '9')
			return -1;
		v = v * 10 + (t[i] - '0');
	}
	return v;
}

int rec_paths_add(rec_paths *ps, const char *pointer, const char **why)
{
	struct pnode *n = &ps->root;
	const char *p = pointer;

	if (*p != '\0' && *p != '/') {
		*why = "a JSON Pointer starts with '/'";
		return -1;
	}
	while (*p == '/') {
		sgp_buf tok = SGP_BUF_INIT;
		struct pnode *kid = NULL;

		p++;
		while (*p && *p != '/') {
			if (*p == '~') {
				if (p[1] == '0')
					sgp_buf_addc(&tok, '~');
				else if (p[1] == '1')
					sgp_buf_addc(&tok, '/');
				else {
					sgp_buf_release(&tok);
					*why = "'~' must be followed by 0 or 1 in a JSON Pointer";
					return -1;
				}
				p += 2;
			} else {
				sgp_buf_addc(&tok, *p++);
			}
		}
		if (tok.data == NULL)
			sgp_buf_grow(&tok, 1);
		for (size_t i = 0; i < n->nkids; i++)
			if (n->kids[i]->toklen == tok.len && memcmp(n->kids[i]->tok, tok.data, tok.len) == 0)
				kid = n->kids[i];
		if (kid == NULL) {
			kid = xcalloc(1, sizeof *kid);
			kid->toklen = tok.len;
			kid->tok = sgp_buf_detach(&tok, NULL);
			kid->index = token_index(kid->tok, kid->toklen);
			kid->slot = -1;
			n->kids = xreallocarray(n->kids, n->nkids + 1, sizeof *n->kids);
			n->kids[n->nkids++] = kid;
		} else {
			sgp_buf_release(&tok);
		}
		n = kid;
	}
	if (n->slot < 0)
		n->slot = (int)ps->nslots++;
	return n->slot;
}

/* ---- scanner ------------------------------------------------------------ */

struct name {
	const char *p;
	size_t n;
};

struct rec_scanner {
	const rec_paths *ps;
	char *scratch;          /* unescaped strings; never reallocated during a scan */
	size_t scap, slen;
	struct name *names;     /* member names of the open objects, a stack */
	size_t nnames, capnames;
	struct rec_hit *hits;
	const char *end;
	int depth;
	int failed;
};

rec_scanner *rec_scanner_new(const rec_paths *ps)
{
	rec_scanner *s = xcalloc(1, sizeof *s);

	s->ps = ps;
	return s;
}

void rec_scanner_free(rec_scanner *s)
{
	if (s == NULL)
		return;
	free(s->scratch);
	free(s->names);
	free(s);
}

static const char *skip_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int read_u4(const char *p, const char *end, unsigned *out)
{
	unsigned v = 0;

	if (end - p < 4)
		return -1;
	for (int i = 0; i < 4; i++) {
		int h = hexval((unsigned char)p[i]);
		if (h < 0)
			return -1;
		v = v << 4 | (unsigned)h;
	}
	*out = v;
	return 0;
}

#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL
#define HAS_ZERO(x) (((x) - ONES) & ~(x) & HIGHS)

/*
 * Scan a string body; p is just after the opening quote.  Returns the
 * position of the closing quote, or NULL when the string is invalid.  Sets
 * *esc when the body holds escapes.  The line is known to be valid UTF-8.
 */
static const char *scan_string(const char *p, const char *end, int *esc)
{
	*esc = 0;
	for (;;) {
#if defined(__SSE2__)
		const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\');
		const __m128i ctl = _mm_set1_epi8(0x1F);

		while (end - p >= 16) {
			__m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
			__m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote),
								_mm_cmpeq_epi8(v, bslash)),
						   /* v <= 0x1F, unsigned */
						   _mm_cmpeq_epi8(_mm_max_epu8(v, ctl), ctl));
			int m = _mm_movemask_epi8(hit);

			if (m) {
				p += __builtin_ctz((unsigned)m);
				break;
			}
			p += 16;
		}
#endif
		while (end - p >= 8) {
			uint64_t w, q, b, c;

			memcpy(&w, p, 8);
			q = w ^ (ONES * '"');
			b = w ^ (ONES * '\\');
			/* bytes < 0x20: (w - 0x20..) & ~w & 0x80.. */
			c = (w - ONES * 0x20) & ~w & HIGHS;
			if (HAS_ZERO(q) | HAS_ZERO(b) | c)
				break;
			p += 8;
		}
		if (p >= end)
			return NULL;
		unsigned char ch = (unsigned char)*p;
		if (ch == '"')
			return p;
		if (ch < 0x20)
			return NULL;
		if (ch != '\\') {
			p++;
			continue;
		}
		*esc = 1;
		if (end - p < 2)
			return NULL;
		switch (p[1]) {
		case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
			p += 2;
			break;
		case 'u': {
			unsigned u;

			if (read_u4(p + 2, end, &u) < 0 || u == 0)
				return NULL;
			p += 6;
			if (u >= 0xDC00 && u <= 0xDFFF)
				return NULL;
			if (u >= 0xD800 && u <= 0xDBFF) {
				unsigned lo;

				if (end - p < 6 || p[0] != '\\' || p[1] != 'u' ||
				    read_u4(p + 2, end, &lo) < 0 || lo < 0xDC00 || lo > 0xDFFF)
					return NULL;
				p += 6;
			}
			break;
		}
		default:
			return NULL;
		}
	}
}

/* Unescape a valid string body [p, q) into the scratch buffer. */
static struct name unescape(rec_scanner *s, const char *p, const char *q)
{
	char *o = s->scratch + s->slen, *start = o;
	struct name r;

	while (p < q) {
		if (*p != '\\') {
			*o++ = *p++;
			continue;
		}
		switch (p[1]) {
		case 'b': *o++ = '\b'; p += 2; break;
		case 'f': *o++ = '\f'; p += 2; break;
		case 'n': *o++ = '\n'; p += 2; break;
		case 'r': *o++ = '\r'; p += 2; break;
		case 't': *o++ = '\t'; p += 2; break;
		case 'u': {
			unsigned u, lo;

			read_u4(p + 2, q, &u);
			p += 6;
			if (u >= 0xD800 && u <= 0xDBFF) {
				read_u4(p + 2, q, &lo);
				p += 6;
				u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
			}
			if (u < 0x80) {
				*o++ = (char)u;
			} else if (u < 0x800) {
				*o++ = (char)(0xC0 | u >> 6);
				*o++ = (char)(0x80 | (u & 0x3F));
			} else if (u < 0x10000) {
				*o++ = (char)(0xE0 | u >> 12);
				*o++ = (char)(0x80 | (u >> 6 & 0x3F));
				*o++ = (char)(0x80 | (u & 0x3F));
			} else {
				*o++ = (char)(0xF0 | u >> 18);
				*o++ = (char)(0x80 | (u >> 12 & 0x3F));
				*o++ = (char)(0x80 | (u >> 6 & 0x3F));
				*o++ = (char)(0x80 | (u & 0x3F));
			}
			break;
		}
		default: /* " \ / */
			*o++ = p[1];
			p += 2;
			break;
		}
	}
	s->slen += (size_t)(o - start);
	r.p = start;
	r.n = (size_t)(o - start);
	return r;
}

/* A number: returns the position after it, or NULL. */
static const char *scan_number(const char *p, const char *end)
{
	const char *start = p;
	int big = 0;

	if (p < end && *p == '-')
		p++;
	if (p < end && *p == '0') {
		p++;
	} else if (p < end && *p >= '1' && *p <= '9') {
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	} else {
		return NULL;
	}
	if (p < end && *p == '.') {
		p++;
		if (p >= end || *p < '0' || *p > '9')
			return NULL;
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		if (p >= end || *p < '0' || *p > '9')
			return NULL;
		while (p < end && *p >= '0' && *p <= '9')
			p++;
		big = 1;
	}
	if (big || p - start > 300) {
		/* Only here can a number overflow a double, which jansson refuses. */
		size_t n = (size_t)(p - start);
		char small[64], *buf = n < sizeof small ? small : xmalloc(n + 1);
		double d;

		memcpy(buf, start, n);
		buf[n] = '\0';
		errno = 0;
		d = strtod(buf, NULL);
		if (buf != small)
			free(buf);
		if (errno == ERANGE && isinf(d))
			return NULL;
	}
	return p;
}

static int names_cmp(const void *a, const void *b)
{
	const struct name *x = a, *y = b;
	size_t n = x->n < y->n ? x->n : y->n;
	int c = memcmp(x->p, y->p, n);

	if (c)
		return c;
	return (x->n > y->n) - (x->n < y->n);
}

static const char *scan_value(rec_scanner *s, const char *p, const struct pnode *node);

static const char *scan_object(rec_scanner *s, const char *p, const struct pnode *node)
{
	const char *end = s->end;
	size_t first = s->nnames, count = 0;

	p = skip_ws(p + 1, end);
	if (p < end && *p == '}')
		return p + 1;
	for (;;) {
		struct name nm;
		const struct pnode *kid = NULL;
		const char *q;
		int esc;

		if (p >= end || *p != '"')
			return NULL;
		q = scan_string(p + 1, end, &esc);
		if (q == NULL)
			return NULL;
		if (esc) {
			nm = unescape(s, p + 1, q);
		} else {
			nm.p = p + 1;
			nm.n = (size_t)(q - p - 1);
		}
		if (count < SMALL_OBJECT) {
			for (size_t i = first; i < s->nnames; i++)
				if (s->names[i].n == nm.n && memcmp(s->names[i].p, nm.p, nm.n) == 0)
					return NULL;
		}
		if (s->nnames == s->capnames) {
			s->capnames = s->capnames ? s->capnames * 2 : 64;
			s->names = xreallocarray(s->names, s->capnames, sizeof *s->names);
		}
		s->names[s->nnames++] = nm;
		count++;
		if (node) {
			for (size_t i = 0; i < node->nkids; i++)
				if (node->kids[i]->toklen == nm.n &&
				    memcmp(node->kids[i]->tok, nm.p, nm.n) == 0) {
					kid = node->kids[i];
					break;
				}
		}
		p = skip_ws(q + 1, end);
		if (p >= end || *p != ':')
			return NULL;
		p = skip_ws(p + 1, end);
		p = scan_value(s, p, kid);
		if (p == NULL)
			return NULL;
		p = skip_ws(p, end);
		if (p < end && *p == ',') {
			p = skip_ws(p + 1, end);
			continue;
		}
		if (p < end && *p == '}')
			break;
		return NULL;
	}
	if (count > SMALL_OBJECT) {
		/* Larger objects: sort the names once and look for neighbours. */
		qsort(s->names + first, count, sizeof *s->names, names_cmp);
		for (size_t i = first + 1; i < first + count; i++)
			if (names_cmp(&s->names[i - 1], &s->names[i]) == 0)
				return NULL;
	}
	s->nnames = first;
	return p + 1;
}

static const char *scan_array(rec_scanner *s, const char *p, const struct pnode *node)
{
	const char *end = s->end;
	long index = 0;

	p = skip_ws(p + 1, end);
	if (p < end && *p == ']')
		return p + 1;
	for (;; index++) {
		const struct pnode *kid = NULL;

		if (node) {
			for (size_t i = 0; i < node->nkids; i++)
				if (node->kids[i]->index == index) {
					kid = node->kids[i];
					break;
				}
		}
		p = scan_value(s, p, kid);
		if (p == NULL)
			return NULL;
		p = skip_ws(p, end);
		if (p < end && *p == ',') {
			p = skip_ws(p + 1, end);
			continue;
		}
		if (p < end && *p == ']')
			return p + 1;
		return NULL;
	}
}

static const char *scan_value(rec_scanner *s, const char *p, const struct pnode *node)
{
	const char *end = s->end, *q;
	enum rec_jtype t;
	struct rec_hit h;

	if (p >= end)
		return NULL;
	h.p = p;
	switch (*p) {
	case '"': {
		int esc;

		q = scan_string(p + 1, end, &esc);
		if (q == NULL)
			return NULL;
		if (node && node->slot >= 0) {
			if (esc) {
				struct name nm = unescape(s, p + 1, q);
				h.p = nm.p;
				h.n = nm.n;
			} else {
				h.p = p + 1;
				h.n = (size_t)(q - p - 1);
			}
			h.type = REC_J_STRING;
			s->hits[node->slot] = h;
		}
		return q + 1;
	}
	case '{':
	case '[':
		if (++s->depth > MAX_DEPTH)
			return NULL;
		q = *p == '{' ? scan_object(s, p, node && node->nkids ? node : NULL)
			      : scan_array(s, p, node && node->nkids ? node : NULL);
		s->depth--;
		t = *p == '{' ? REC_J_OBJECT : REC_J_ARRAY;
		break;
	case 't':
		if (end - p < 4 || memcmp(p, "true", 4) != 0)
			return NULL;
		q = p + 4;
		t = REC_J_TRUE;
		break;
	case 'f':
		if (end - p < 5 || memcmp(p, "false", 5) != 0)
			return NULL;
		q = p + 5;
		t = REC_J_FALSE;
		break;
	case 'n':
		if (end - p < 4 || memcmp(p, "null", 4) != 0)
			return NULL;
		q = p + 4;
		t = REC_J_NULL;
		break;
	default:
		q = scan_number(p, end);
		t = REC_J_NUMBER;
		break;
	}
	if (q == NULL)
		return NULL;
	if (node && node->slot >= 0) {
		h.n = (size_t)(q - p);
		h.type = t;
		s->hits[node->slot] = h;
	}
	return q;
}

static int fail(const char *line, size_t len, sgp_line_error *err)
{
	json_t *v = sgp_line_parse(line, len, 0, err);

	if (v != NULL) {
		/* Cannot happen when the scanner and jansson agree; keep a reason. */
		json_decref(v);
		snprintf(err->message, sizeof err->message, "invalid JSON");
		err->column = 0;
	}
	return -1;
}

int rec_scan(rec_scanner *s, const char *line, size_t len, struct rec_hit *hits,
	     sgp_line_error *err)
{
	const char *p, *end = line + len;
	const struct pnode *root = &s->ps->root;

	for (size_t i = 0; i < s->ps->nslots; i++)
		hits[i].type = REC_J_NONE;
	if (memchr(line, '\0', len) != NULL || sgp_utf8_check(line, len) >= 0)
		return fail(line, len, err);
	if (s->scap < len + 16) {
		free(s->scratch);
		s->scap = len + 16 > 4096 ? len + 16 : 4096;
		s->scratch = xmalloc(s->scap);
	}
	s->slen = 0;
	s->nnames = 0;
	s->hits = hits;
	s->end = end;
	s->depth = 0;
	p = skip_ws(line, end);
	if (p >= end || *p != '{')
		return fail(line, len, err);
	p = scan_value(s, p, root);
	if (p == NULL)
		return fail(line, len, err);
	p = skip_ws(p, end);
	if (p != end)
		return fail(line, len, err);
	return 0;
}
