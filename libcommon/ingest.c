/* ingest.c: see ingest.h. */
#include "ingest.h"
#include "csvfile.h"
#include "envelope.h"

#include <errno.h>
#include <openssl/evp.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- 1. JSON spans ---- */

static int is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Length of the valid UTF-8 sequence at p (< end), or 0 if invalid. */
static size_t utf8_len(const unsigned char *p, const unsigned char *end)
{
	unsigned c = p[0];

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		return end - p >= 2 && (p[1] & 0xc0) == 0x80 ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef) {
		if (end - p < 3 || (p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80)
			return 0;
		if (c == 0xe0 && p[1] < 0xa0)
			return 0;
		if (c == 0xed && p[1] > 0x9f)
			return 0;
		return 3;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		if (end - p < 4 || (p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80 ||
		    (p[3] & 0xc0) != 0x80)
			return 0;
		if (c == 0xf0 && p[1] < 0x90)
			return 0;
		if (c == 0xf4 && p[1] > 0x8f)
			return 0;
		return 4;
	}
	return 0;
}

static int hex4(const char *p)
{
	int v = 0, i;

	for (i = 0; i < 4; i++) {
		char c = p[i];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	return v;
}

/* Check a string starting at *pp (the opening quote); on success *pp is
 * past the closing quote. */
/* Bytes a string scan must stop at: '"', '\\', controls and non-ASCII. */
static unsigned char str_stop[256];
/* Bytes that stop the skip of a string: '"' and '\\'. */
static unsigned char quote_stop[256];
/* Bytes that matter when skipping a container: quotes and brackets. */
static unsigned char struct_stop[256];

__attribute__((constructor)) static void init_tables(void)
{
	int i;

	for (i = 0; i < 256; i++) {
		str_stop[i] = i < 0x20 || i >= 0x80 || i == '"' || i == '\\';
		quote_stop[i] = i == '"' || i == '\\';
		struct_stop[i] = i == '"' || i == '{' || i == '}' || i == '[' || i == ']';
	}
}

/* First byte at or after p (< e) that is '"', '\\', a control character
 * or not ASCII; e if none. */
static inline const unsigned char *str_scan(const unsigned char *p, const unsigned char *e)
{
#ifdef __SSE2__
	const __m128i quote = _mm_set1_epi8('"'), bs = _mm_set1_epi8('\\'),
		      space = _mm_set1_epi8(0x20);

	while (e - p >= 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)p);
		/* signed: bytes >= 0x80 are negative, so "< 0x20" catches them */
		__m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote),
							_mm_cmpeq_epi8(v, bs)),
					   _mm_cmplt_epi8(v, space));
		int m = _mm_movemask_epi8(hit);
		if (m)
			return p + __builtin_ctz((unsigned)m);
		p += 16;
	}
#endif
	while (p < e && !str_stop[*p])
		p++;
	return p;
}

/* First '"' or '\\' at or after p (< e); e if none. */
static inline const unsigned char *quote_scan(const unsigned char *p, const unsigned char *e)
{
#ifdef __SSE2__
	const __m128i quote = _mm_set1_epi8('"'), bs = _mm_set1_epi8('\\');

	while (e - p >= 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)p);
		int m = _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, quote),
						       _mm_cmpeq_epi8(v, bs)));
		if (m)
			return p + __builtin_ctz((unsigned)m);
		p += 16;
	}
#endif
	while (p < e && !quote_stop[*p])
		p++;
	return p;
}

static int check_string(const char **pp, const char *end, const char **why)
{
	const unsigned char *p = (const unsigned char *)*pp + 1, *e = (const unsigned char *)end;

	while (p < e) {
		unsigned c;
		p = str_scan(p, e);
		while (p < e && !str_stop[*p])
			p++;
		if (p >= e)
			break;
		c = *p;
		if (c == '"') {
			*pp = (const char *)p + 1;
			return 0;
		}
		if (c == '\\') {
			if (p + 1 >= e)
				break;
			switch (p[1]) {
			case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
				p += 2;
				continue;
			case 'u':
				if (e - p < 6 || hex4((const char *)p + 2) < 0) {
					*pp = (const char *)p;
					*why = "invalid \\u escape";
					return -1;
				}
				p += 6;
				continue;
			default:
				*pp = (const char *)p;
				*why = "invalid escape in a string";
				return -1;
			}
		}
		if (c < 0x20) {
			*pp = (const char *)p;
			*why = "control character in a string";
			return -1;
		}
		if (c < 0x80) {
			p++;
			continue;
		}
		{
			size_t k = utf8_len(p, e);
			if (k == 0) {
				*pp = (const char *)p;
				*why = "invalid UTF-8";
				return -1;
			}
			p += k;
		}
	}
	*pp = (const char *)p;
	*why = "unterminated string";
	return -1;
}

static int check_number(const char **pp, const char *end, const char **why)
{
	const char *p = *pp;

	if (p < end && *p == '-')
		p++;
	if (p < end && *p == '0') {
		p++;
	} else if (p < end && *p >= '1' && *p <= '9') {
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	} else {
		*pp = p;
		*why = "invalid number";
		return -1;
	}
	if (p < end && *p == '.') {
		p++;
		if (p >= end || *p < '0' || *p > '9') {
			*pp = p;
			*why = "invalid number";
			return -1;
		}
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		if (p >= end || *p < '0' || *p > '9') {
			*pp = p;
			*why = "invalid number";
			return -1;
		}
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	}
	*pp = p;
	return 0;
}

static const char *skip_ws(const char *p, const char *end)
{
	while (p < end && is_ws(*p))
		p++;
	return p;
}

/* skip_ws that notes whether anything was skipped */
#define WS(from, to) ws_note((from), (to), has_space)

static inline const char *ws_note(const char *p, const char *end, int *seen)
{
	const char *q = skip_ws(p, end);

	if (q != p && seen)
		*seen = 1;
	return q;
}

static enum sgp_jtype type_at(char c);

static void add_member(struct sgp_json_members *m, const char *key, size_t keylen,
		       const char *v, size_t vn)
{
	if (m->n == m->cap) {
		m->cap = m->cap ? 2 * m->cap : 16;
		m->v = xreallocarray(m->v, m->cap, sizeof *m->v);
	}
	m->v[m->n].key = key;
	m->v[m->n].keylen = keylen;
	m->v[m->n].value.p = v;
	m->v[m->n].value.n = vn;
	m->v[m->n].value.type = type_at(*v);
	m->n++;
}

int sgp_json_check_index(const char *s, size_t n, size_t *offset, const char **why,
			 int *has_space, struct sgp_json_members *mem)
{
	const char *p = s, *end = s + n, *mkey = NULL, *mval = NULL, *eval = NULL;
	size_t mkeylen = 0, eoflen = mem && mem->elems_of ? strlen(mem->elems_of) : 0;
	int in_elems = 0;
	char stack[SGP_JSON_MAX_DEPTH];
	int depth = 0;
	/* states: expecting a value, or after a value inside a container */
	int want_value = 1;

	*why = NULL;
	if (has_space)
		*has_space = 0;
	if (mem) {
		mem->n = 0;
		mem->nelems = 0;
		mem->have_elems = 0;
	}
	p = skip_ws(p, end);  /* around the value: not part of it */
	for (;;) {
		if (want_value) {
			p = WS(p, end);
			if (p >= end) {
				*why = "unexpected end of input";
				goto bad;
			}
			if (mem && depth == 1 && stack[0] == '{') {
				mval = p;
				in_elems = !mem->have_elems && eoflen && mkeylen == eoflen && *p == '[' &&
					   memcmp(mkey, mem->elems_of, eoflen) == 0;
				if (in_elems)
					mem->have_elems = 1;
			} else if (in_elems && depth == 2) {
				eval = p;
			}
			switch (*p) {
			case '{':
			case '[':
				if (depth >= SGP_JSON_MAX_DEPTH) {
					*why = "nesting too deep";
					goto bad;
				}
				stack[depth++] = *p;
				p = WS(p + 1, end);
				if (p < end && (*p == (stack[depth - 1] == '{' ? '}' : ']'))) {
					depth--;
					p++;
					want_value = 0;
					break;
				}
				if (stack[depth - 1] == '{') {
					if (p >= end || *p != '"') {
						*why = "expected a member name";
						goto bad;
					}
					if (depth == 1)
						mkey = p + 1;
					if (check_string(&p, end, why) < 0)
						goto bad;
					if (depth == 1)
						mkeylen = (size_t)(p - 1 - mkey);
					p = WS(p, end);
					if (p >= end || *p != ':') {
						*why = "expected ':'";
						goto bad;
					}
					p++;
				}
				continue;
			case '"':
				if (check_string(&p, end, why) < 0)
					goto bad;
				break;
			case 't':
				if (end - p < 4 || memcmp(p, "true", 4) != 0) {
					*why = "invalid literal";
					goto bad;
				}
				p += 4;
				break;
			case 'f':
				if (end - p < 5 || memcmp(p, "false", 5) != 0) {
					*why = "invalid literal";
					goto bad;
				}
				p += 5;
				break;
			case 'n':
				if (end - p < 4 || memcmp(p, "null", 4) != 0) {
					*why = "invalid literal";
					goto bad;
				}
				p += 4;
				break;
			default:
				if (*p == '-' || (*p >= '0' && *p <= '9')) {
					if (check_number(&p, end, why) < 0)
						goto bad;
					break;
				}
				*why = "unexpected character";
				goto bad;
			}
			want_value = 0;
		}
		/* after a value */
		if (mem && depth == 1 && stack[0] == '{' && mval) {
			add_member(mem, mkey, mkeylen, mval, (size_t)(p - mval));
			mval = NULL;
			in_elems = 0;
		} else if (in_elems && depth == 2 && eval) {
			if (mem->nelems == mem->capelems) {
				mem->capelems = mem->capelems ? 2 * mem->capelems : 256;
				mem->elems = xreallocarray(mem->elems, mem->capelems, sizeof *mem->elems);
			}
			mem->elems[mem->nelems].p = eval;
			mem->elems[mem->nelems].n = (size_t)(p - eval);
			mem->elems[mem->nelems].type = type_at(*eval);
			mem->nelems++;
			eval = NULL;
		}
		p = depth ? WS(p, end) : skip_ws(p, end);
		if (depth == 0) {
			if (p != end) {
				*why = "text after the JSON value";
				goto bad;
			}
			return 0;
		}
		if (p >= end) {
			*why = "unexpected end of input";
			goto bad;
		}
		if (*p == ',') {
			p = WS(p + 1, end);
			if (stack[depth - 1] == '{') {
				if (p >= end || *p != '"') {
					*why = "expected a member name";
					goto bad;
				}
				if (depth == 1)
					mkey = p + 1;
				if (check_string(&p, end, why) < 0)
					goto bad;
				if (depth == 1)
					mkeylen = (size_t)(p - 1 - mkey);
				p = WS(p, end);
				if (p >= end || *p != ':') {
					*why = "expected ':'";
					goto bad;
				}
				p++;
			}
			want_value = 1;
			continue;
		}
		if (*p == (stack[depth - 1] == '{' ? '}' : ']')) {
			depth--;
			p++;
			continue;
		}
		*why = stack[depth - 1] == '{' ? "expected ',' or '}'" : "expected ',' or ']'";
		goto bad;
	}
bad:
	*offset = (size_t)(p - s);
	return -1;
}

int sgp_json_check_ws(const char *s, size_t n, size_t *offset, const char **why, int *has_space)
{
	return sgp_json_check_index(s, n, offset, why, has_space, NULL);
}

int sgp_json_check(const char *s, size_t n, size_t *offset, const char **why)
{
	return sgp_json_check_index(s, n, offset, why, NULL, NULL);
}

void sgp_json_members_release(struct sgp_json_members *m)
{
	free(m->v);
	free(m->elems);
	m->v = NULL;
	m->elems = NULL;
	m->n = m->cap = m->nelems = m->capelems = 0;
}

int sgp_json_members_get(const struct sgp_json_members *m, const struct sgp_jspan *root,
			 const char *ptr, struct sgp_jspan *out)
{
	const char *tok, *rest;
	size_t tn, i;

	if (ptr == NULL || ptr[0] != '/' || root->type != SGP_J_OBJECT)
		return sgp_jspan_get(root, ptr, out);
	tok = ptr + 1;
	rest = strchr(tok, '/');
	tn = rest ? (size_t)(rest - tok) : strlen(tok);
	if (memchr(tok, '~', tn))
		return sgp_jspan_get(root, ptr, out);
	/* the first member of the name, as sgp_jspan_get finds it */
	for (i = 0; i < m->n; i++) {
		if (memchr(m->v[i].key, '\\', m->v[i].keylen))
			return sgp_jspan_get(root, ptr, out);
		if (m->v[i].keylen == tn && memcmp(m->v[i].key, tok, tn) == 0) {
			if (rest == NULL) {
				*out = m->v[i].value;
				return 1;
			}
			return sgp_jspan_get(&m->v[i].value, rest, out);
		}
	}
	return 0;
}

#undef WS

static enum sgp_jtype type_at(char c)
{
	switch (c) {
	case '{': return SGP_J_OBJECT;
	case '[': return SGP_J_ARRAY;
	case '"': return SGP_J_STRING;
	case 't': return SGP_J_TRUE;
	case 'f': return SGP_J_FALSE;
	case 'n': return SGP_J_NULL;
	default: return SGP_J_NUMBER;
	}
}

/* End of the (valid) value starting at p. */
static const char *skip_value(const char *p, const char *end)
{
	int depth = 0;

	switch (*p) {
	case '"':
		p++;
		for (;;) {
			p = (const char *)quote_scan((const unsigned char *)p, (const unsigned char *)end);
			if (p >= end)
				return end;
			if (*p == '"')
				return p + 1;
			p += 2;  /* an escape: the next byte is never the end */
		}
	case '{':
	case '[':
		while (p < end) {
			const unsigned char *u = (const unsigned char *)p;
			unsigned char c;
			while ((const char *)u < end && !struct_stop[*u])
				u++;
			if ((const char *)u >= end)
				return end;
			c = *u;
			p = (const char *)u + 1;
			if (c == '"') {
				/* a string: to its closing quote */
				for (;;) {
					p = (const char *)quote_scan((const unsigned char *)p,
								     (const unsigned char *)end);
					if (p >= end)
						return end;
					if (*p == '"') {
						p++;
						break;
					}
					p += 2;
				}
			} else if (c == '{' || c == '[') {
				depth++;
			} else if (--depth == 0) {
				return p;
			}
		}
		return end;
	case 't':
	case 'n':
		return p + 4;
	case 'f':
		return p + 5;
	default:
		while (p < end && (*p == '-' || *p == '+' || *p == '.' || *p == 'e' || *p == 'E' ||
				   (*p >= '0' && *p <= '9')))
			p++;
		return p;
	}
}

static void make_span(const char *p, const char *end, struct sgp_jspan *out)
{
	const char *e = skip_value(p, end);

	out->p = p;
	out->n = (size_t)(e - p);
	out->type = type_at(*p);
}

void sgp_jspan_root(const char *s, size_t n, struct sgp_jspan *out)
{
	const char *end = s + n, *p = skip_ws(s, end);

	/* A checked text is one value between whitespace: no need to walk
	 * it to find where it ends. */
	while (end > p && is_ws(end[-1]))
		end--;
	out->p = p;
	out->n = (size_t)(end - p);
	out->type = p < end ? type_at(*p) : SGP_J_NONE;
}

/* Compare the (valid) JSON string at p (opening quote) with tok[0..tn);
 * *after is set past the closing quote. */
static int key_equals(const char *p, const char *end, const char *tok, size_t tn, const char **after)
{
	const char *q = skip_value(p, end);
	const char *s = p + 1, *e = q - 1;

	*after = q;
	if (memchr(s, '\\', (size_t)(e - s)) == NULL)
		return (size_t)(e - s) == tn && memcmp(s, tok, tn) == 0;
	{
		sgp_buf b = SGP_BUF_INIT;
		struct sgp_jspan sp = { p, (size_t)(q - p), SGP_J_STRING };
		int eq;
		sgp_jspan_text(&sp, &b);
		eq = b.len == tn && memcmp(b.data, tok, tn) == 0;
		sgp_buf_release(&b);
		return eq;
	}
}

int sgp_jspan_get(const struct sgp_jspan *v, const char *ptr, struct sgp_jspan *out)
{
	struct sgp_jspan cur = *v;
	char tok[512];

	if (ptr == NULL || *ptr == '\0') {
		*out = cur;
		return cur.type != SGP_J_NONE;
	}
	if (*ptr != '/')
		return 0;
	while (*ptr == '/') {
		const char *s = ptr + 1, *e = strchr(s, '/');
		size_t tn = 0;
		const char *p, *end = cur.p + cur.n;

		if (e == NULL)
			e = s + strlen(s);
		/* unescape ~1 and ~0 */
		for (p = s; p < e && tn < sizeof tok; p++) {
			if (*p == '~' && p + 1 < e && (p[1] == '0' || p[1] == '1')) {
				tok[tn++] = p[1] == '0' ? '~' : '/';
				p++;
			} else {
				tok[tn++] = *p;
			}
		}
		ptr = e;
		if (cur.type == SGP_J_OBJECT) {
			int found = 0;
			p = skip_ws(cur.p + 1, end);
			while (p < end && *p == '"') {
				const char *after;
				int eq = key_equals(p, end, tok, tn, &after);
				p = skip_ws(after, end);
				p = skip_ws(p + 1, end);  /* ':' */
				if (eq) {
					make_span(p, end, &cur);
					found = 1;
					break;
				}
				p = skip_ws(skip_value(p, end), end);
				if (p < end && *p == ',')
					p = skip_ws(p + 1, end);
				else
					break;
			}
			if (!found)
				return 0;
		} else if (cur.type == SGP_J_ARRAY) {
			unsigned long long idx = 0, i;
			size_t k;
			if (tn == 0 || (tn > 1 && tok[0] == '0'))
				return 0;
			for (k = 0; k < tn; k++) {
				if (tok[k] < '0' || tok[k] > '9' || idx > 100000000ULL)
					return 0;
				idx = idx * 10 + (unsigned)(tok[k] - '0');
			}
			p = skip_ws(cur.p + 1, end);
			if (p < end && *p == ']')
				return 0;
			for (i = 0; i < idx; i++) {
				p = skip_ws(skip_value(p, end), end);
				if (p >= end || *p != ',')
					return 0;
				p = skip_ws(p + 1, end);
			}
			make_span(p, end, &cur);
		} else {
			return 0;
		}
	}
	*out = cur;
	return 1;
}

void sgp_jspan_get_many(const struct sgp_jspan *v, const char *const *ptrs, size_t n,
			struct sgp_jspan *out, int *found)
{
	const char *p, *end = v->p + v->n;
	size_t i, left = 0;
	unsigned long long taken = 0;  /* pointers settled (n <= 64) */

	for (i = 0; i < n; i++) {
		found[i] = 0;
		if (ptrs[i] == NULL || i >= 64)
			continue;
		if (ptrs[i][0] == '\0' || v->type != SGP_J_OBJECT) {
			/* the value itself, or not an object: the plain way */
			found[i] = sgp_jspan_get(v, ptrs[i], &out[i]);
			taken |= 1ULL << i;
			continue;
		}
		left++;
	}
	if (left == 0)
		return;
	p = skip_ws(v->p + 1, end);
	while (left > 0 && p < end && *p == '"') {
		const char *kstart = p + 1, *after = skip_value(p, end), *val;
		size_t kn = (size_t)(after - 1 - kstart);
		struct sgp_jspan mv = { NULL, 0, SGP_J_NONE };
		int have = 0, escaped = memchr(kstart, '\\', kn) != NULL;

		val = skip_ws(skip_ws(after, end) + 1, end);
		for (i = 0; i < n; i++) {
			const char *tok, *rest;
			size_t tn;
			if (ptrs[i] == NULL || i >= 64 || (taken >> i & 1) || ptrs[i][0] != '/')
				continue;
			tok = ptrs[i] + 1;
			rest = strchr(tok, '/');
			tn = rest ? (size_t)(rest - tok) : strlen(tok);
			if (escaped || memchr(tok, '~', tn)) {
				/* rare: compare decoded forms the slow way */
				char first[512];
				struct sgp_jspan one = { p, (size_t)(after - p), SGP_J_STRING };
				sgp_buf kb = SGP_BUF_INIT;
				size_t j, k = 0;
				for (j = 0; j < tn && k < sizeof first; j++) {
					if (tok[j] == '~' && j + 1 < tn && (tok[j + 1] == '0' || tok[j + 1] == '1')) {
						first[k++] = tok[j + 1] == '0' ? '~' : '/';
						j++;
					} else {
						first[k++] = tok[j];
					}
				}
				sgp_jspan_text(&one, &kb);
				if (kb.len != k || memcmp(kb.data, first, k) != 0) {
					sgp_buf_release(&kb);
					continue;
				}
				sgp_buf_release(&kb);
			} else if (tn != kn || memcmp(tok, kstart, kn) != 0) {
				continue;
			}
			if (!have) {
				make_span(val, end, &mv);
				have = 1;
			}
			found[i] = rest ? sgp_jspan_get(&mv, rest, &out[i]) : (out[i] = mv, 1);
			taken |= 1ULL << i;
			left--;
		}
		p = skip_ws(have ? mv.p + mv.n : skip_value(val, end), end);
		if (p < end && *p == ',')
			p = skip_ws(p + 1, end);
		else
			break;
	}
}

void sgp_jspan_iter(const struct sgp_jspan *a, struct sgp_jiter *it)
{
	if (a->type != SGP_J_ARRAY) {
		it->p = it->end = NULL;
		return;
	}
	it->end = a->p + a->n - 1;  /* the closing ']' */
	it->p = skip_ws(a->p + 1, it->end);
}

int sgp_jiter_next(struct sgp_jiter *it, struct sgp_jspan *out)
{
	if (it->p == NULL || it->p >= it->end)
		return 0;
	make_span(it->p, it->end, out);
	it->p = skip_ws(out->p + out->n, it->end);
	if (it->p < it->end && *it->p == ',')
		it->p = skip_ws(it->p + 1, it->end);
	return 1;
}

static void add_utf8(sgp_buf *out, unsigned cp)
{
	char b[4];

	if (cp < 0x80) {
		sgp_buf_addc(out, (char)cp);
	} else if (cp < 0x800) {
		b[0] = (char)(0xc0 | (cp >> 6));
		b[1] = (char)(0x80 | (cp & 0x3f));
		sgp_buf_add(out, b, 2);
	} else if (cp < 0x10000) {
		b[0] = (char)(0xe0 | (cp >> 12));
		b[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (char)(0x80 | (cp & 0x3f));
		sgp_buf_add(out, b, 3);
	} else {
		b[0] = (char)(0xf0 | (cp >> 18));
		b[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		b[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[3] = (char)(0x80 | (cp & 0x3f));
		sgp_buf_add(out, b, 4);
	}
}

int sgp_jspan_text(const struct sgp_jspan *v, sgp_buf *out)
{
	const char *p, *e;

	switch (v->type) {
	case SGP_J_STRING:
		p = v->p + 1;
		e = v->p + v->n - 1;
		while (p < e) {
			const char *bs = memchr(p, '\\', (size_t)(e - p));
			if (bs == NULL) {
				sgp_buf_add(out, p, (size_t)(e - p));
				break;
			}
			sgp_buf_add(out, p, (size_t)(bs - p));
			switch (bs[1]) {
			case 'b': sgp_buf_addc(out, '\b'); break;
			case 'f': sgp_buf_addc(out, '\f'); break;
			case 'n': sgp_buf_addc(out, '\n'); break;
			case 'r': sgp_buf_addc(out, '\r'); break;
			case 't': sgp_buf_addc(out, '\t'); break;
			case 'u': {
				unsigned cp = (unsigned)hex4(bs + 2);
				p = bs + 6;
				if (cp >= 0xd800 && cp <= 0xdbff && e - p >= 6 && p[0] == '\\' &&
				    p[1] == 'u') {
					int lo = hex4(p + 2);
					if (lo >= 0xdc00 && lo <= 0xdfff) {
						cp = 0x10000 + ((cp - 0xd800) << 10) + ((unsigned)lo - 0xdc00);
						p += 6;
					}
				}
				if (cp >= 0xd800 && cp <= 0xdfff)
					cp = 0xfffd;  /* a lone surrogate has no UTF-8 form */
				add_utf8(out, cp);
				continue;
			}
			default: sgp_buf_addc(out, bs[1]); break;
			}
			p = bs + 2;
		}
		if (out->data == NULL)
			sgp_buf_grow(out, 1);
		return 1;
	case SGP_J_NUMBER:
	case SGP_J_TRUE:
	case SGP_J_FALSE:
		sgp_buf_add(out, v->p, v->n);
		return 1;
	default:
		return 0;
	}
}

void sgp_jspan_compact(const struct sgp_jspan *v, sgp_buf *out)
{
	const char *p = v->p, *end = v->p + v->n;

	sgp_buf_grow(out, v->n);
	while (p < end) {
		const char *run = p;
		/* copy up to the next whitespace or string */
		while (p < end && *p != '"' && !is_ws(*p))
			p++;
		if (p > run)
			sgp_buf_add(out, run, (size_t)(p - run));
		if (p >= end)
			break;
		if (*p == '"') {
			const char *q = skip_value(p, end);
			sgp_buf_add(out, p, (size_t)(q - p));
			p = q;
		} else {
			while (p < end && is_ws(*p))
				p++;
		}
	}
}

/* ---- 2. Records ---- */

void sgp_record_release(struct sgp_record *r)
{
	sgp_buf_release(&r->id);
	sgp_buf_release(&r->revision);
	sgp_buf_release(&r->key);
}

/* First pointer of list that names a non-null value. */
static int first_of(const struct sgp_jspan *rec, const char *const *list, size_t n,
		    struct sgp_jspan *out, const char **which)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (sgp_jspan_get(rec, list[i], out) && out->type != SGP_J_NULL) {
			if (which)
				*which = list[i];
			return 1;
		}
	}
	return 0;
}

int sgp_vendor_time(const char *s, size_t n, int naive_utc, sgp_time *out, const char **why)
{
	char buf[64];

	if (sgp_time_parse_any(s, n, out, why) == 0)
		return 0;
	/* "2026-11-01 12:00:00" or "2026-11-01T12:00:00.123": no zone */
	if (naive_utc && n >= 19 && n < sizeof buf - 1 && s[4] == '-' && s[7] == '-' &&
	    (s[10] == ' ' || s[10] == 'T') && s[13] == ':' && s[16] == ':' &&
	    memchr(s, 'Z', n) == NULL && memchr(s + 10, '+', n - 10) == NULL &&
	    memchr(s + 10, '-', n - 10) == NULL) {
		memcpy(buf, s, n);
		buf[n] = 'Z';
		return sgp_time_parse_rfc3339(buf, n + 1, out, why);
	}
	return -1;
}

int sgp_record_extract(const struct sgp_record_spec *spec, const struct sgp_jspan *rec,
		       struct sgp_record *r, const char **reason, char *msg, size_t msgsz)
{
	struct sgp_jspan v;
	const char *which = NULL, *why = NULL;
	sgp_time t;
	sgp_buf tb = SGP_BUF_INIT;

	sgp_buf_reset(&r->id);
	sgp_buf_reset(&r->revision);
	sgp_buf_reset(&r->key);
	r->has_revision = 0;
	r->occurred_at[0] = '\0';
	if (rec->type != SGP_J_OBJECT) {
		*reason = "parse";
		snprintf(msg, msgsz, "record is not a JSON object");
		return -1;
	}
	if (!first_of(rec, spec->id, spec->nid, &v, NULL) || !sgp_jspan_text(&v, &r->id) ||
	    r->id.len == 0) {
		*reason = "mapping";
		snprintf(msg, msgsz, "record has no id at %s", spec->nid ? spec->id[0] : "(none)");
		return -1;
	}
	if (spec->nrevision > 0) {
		if (!first_of(rec, spec->revision, spec->nrevision, &v, NULL) ||
		    !sgp_jspan_text(&v, &r->revision)) {
			*reason = "mapping";
			snprintf(msg, msgsz, "record %s has no revision at %s", r->id.data,
				 spec->revision[0]);
			return -1;
		}
		r->has_revision = 1;
	}
	if (spec->noccurred_at > 0 && first_of(rec, spec->occurred_at, spec->noccurred_at, &v, &which)) {
		if (!sgp_jspan_text(&v, &tb) ||
		    sgp_vendor_time(tb.data, tb.len, spec->naive_utc, &t, &why) < 0 ||
		    sgp_time_format(t, r->occurred_at, sizeof r->occurred_at) < 0) {
			*reason = "time";
			snprintf(msg, msgsz, "record %s: %s: cannot read '%.*s' as a time: %s",
				 r->id.data, which, (int)(v.n > 64 ? 64 : v.n), v.p,
				 why ? why : "not a time");
			sgp_buf_release(&tb);
			return -1;
		}
	} else if (spec->default_occurred_at) {
		snprintf(r->occurred_at, sizeof r->occurred_at, "%s", spec->default_occurred_at);
	} else {
		*reason = "time";
		snprintf(msg, msgsz, "record %s has no time at %s", r->id.data,
			 spec->noccurred_at ? spec->occurred_at[0] : "(none)");
		sgp_buf_release(&tb);
		return -1;
	}
	sgp_buf_release(&tb);
	sgp_buf_adds(&r->key, spec->system);
	sgp_buf_addc(&r->key, ':');
	sgp_buf_adds(&r->key, spec->object);
	sgp_buf_addc(&r->key, ':');
	sgp_buf_add(&r->key, r->id.data, r->id.len);
	if (r->has_revision) {
		sgp_buf_addc(&r->key, ':');
		sgp_buf_add(&r->key, r->revision.data, r->revision.len);
	}
	return 0;
}

/* sgp_event_id(), with the digest context kept between records: the
 * same bytes, without OpenSSL looking SHA-256 up for every record. */
static void event_id(char out[SGP_EVENT_ID_SIZE], const struct sgp_record_spec *spec,
		     const struct sgp_record *r)
{
	static __thread EVP_MD_CTX *ctx;
	static __thread EVP_MD *md;
	static const char hex[] = "0123456789abcdef";
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int dn = 0;
	int i;

	if (ctx == NULL) {
		ctx = EVP_MD_CTX_new();
		md = EVP_MD_fetch(NULL, "SHA256", NULL);
		if (ctx == NULL || md == NULL)
			sgp_die(SGP_EXIT_SYSTEM, "sha-256 is not available");
	}
	if (!EVP_DigestInit_ex(ctx, md, NULL) ||
	    !EVP_DigestUpdate(ctx, spec->system, strlen(spec->system)) ||
	    !EVP_DigestUpdate(ctx, "\x1f", 1) ||
	    !EVP_DigestUpdate(ctx, spec->object, strlen(spec->object)) ||
	    !EVP_DigestUpdate(ctx, "\x1f", 1) ||
	    !EVP_DigestUpdate(ctx, r->id.data, r->id.len) ||
	    (r->has_revision && (!EVP_DigestUpdate(ctx, "\x1f", 1) ||
				 !EVP_DigestUpdate(ctx, r->revision.data, r->revision.len))) ||
	    !EVP_DigestFinal_ex(ctx, d, &dn) || dn != 32)
		sgp_die(SGP_EXIT_SYSTEM, "sha-256 failed");
	memcpy(out, "evt_", 4);
	for (i = 0; i < 16; i++) {
		out[4 + 2 * i] = hex[d[i] >> 4];
		out[5 + 2 * i] = hex[d[i] & 15];
	}
	out[36] = '\0';
}

void sgp_record_event(const struct sgp_record_spec *spec, const struct sgp_record *r,
		      const struct sgp_jspan *rec, int compact, sgp_buf *line)
{
	char id[SGP_EVENT_ID_SIZE];

	event_id(id, spec, r);
	sgp_buf_adds(line, "{\"spec\":\"sgp.event/1\",\"id\":\"");
	sgp_buf_adds(line, id);
	sgp_buf_adds(line, "\",\"type\":\"");
	/* system and object are names ([a-z0-9_-]), nothing to escape */
	sgp_buf_adds(line, spec->system);
	sgp_buf_addc(line, '.');
	sgp_buf_adds(line, spec->object);
	sgp_buf_addc(line, '"');
	sgp_buf_adds(line, ",\"occurred_at\":\"");
	sgp_buf_adds(line, r->occurred_at);
	sgp_buf_adds(line, "\",\"source\":{\"system\":\"");
	sgp_buf_adds(line, spec->system);
	sgp_buf_adds(line, "\",\"object\":\"");
	sgp_buf_adds(line, spec->object);
	sgp_buf_adds(line, "\",\"id\":");
	sgp_buf_add_json_string(line, r->id.data, r->id.len);
	sgp_buf_adds(line, "},\"correlation_id\":\"");
	sgp_buf_adds(line, id);
	sgp_buf_adds(line, "\",\"idempotency_key\":");
	sgp_buf_add_json_string(line, r->key.data, r->key.len);
	sgp_buf_adds(line, ",\"data\":");
	if (compact)
		sgp_buf_add(line, rec->p, rec->n);
	else
		sgp_jspan_compact(rec, line);
	sgp_buf_adds(line, "}\n");
}

/* ---- 3. Files ---- */

int sgp_file_format_parse(const char *s)
{
	if (strcmp(s, "csv") == 0)
		return SGP_FILE_CSV;
	if (strcmp(s, "ndjson") == 0 || strcmp(s, "jsonl") == 0)
		return SGP_FILE_NDJSON;
	if (strcmp(s, "json") == 0)
		return SGP_FILE_JSON;
	return -1;
}

char *sgp_pointer_of_member(const char *name)
{
	sgp_buf b = SGP_BUF_INIT;

	sgp_buf_addc(&b, '/');
	for (; *name; name++) {
		if (*name == '~')
			sgp_buf_adds(&b, "~0");
		else if (*name == '/')
			sgp_buf_adds(&b, "~1");
		else
			sgp_buf_addc(&b, *name);
	}
	return sgp_buf_detach(&b, NULL);
}

static int ends_with(const char *s, const char *suf)
{
	size_t n = strlen(s), k = strlen(suf);

	return n >= k && strcmp(s + n - k, suf) == 0;
}

struct ictx {
	const struct sgp_ingest_opts *o;
	sgp_writer *out, *rejects;
	struct sgp_ingest_stats *st;
	struct sgp_record rec;
	sgp_buf line;
	const char *name;
};

static void reject(struct ictx *c, unsigned long long lineno, const char *reason,
		   const char *message, const char *text, size_t len, int is_json)
{
	struct sgp_reject rj = { 0 };
	json_t *errs = json_array();
	sgp_buf b = SGP_BUF_INIT;

	json_array_append_new(errs, sgp_error_new("", reason, "%s", message));
	rj.line = lineno;
	rj.reason = reason;
	rj.errors = errs;
	rj.line_text = text;
	rj.line_len = len;
	rj.line_is_json = is_json;
	rj.file = c->name;
	sgp_reject_format(&b, &rj);
	sgp_writer_write(c->rejects, b.data, b.len);
	sgp_buf_release(&b);
	json_decref(errs);
	c->st->rejected++;
}

/* Take one record span; lineno for rejects. */
static void take(struct ictx *c, const struct sgp_jspan *v, unsigned long long lineno)
{
	const char *reason;
	char msg[512];

	c->st->received++;
	if (sgp_record_extract(c->o->spec, v, &c->rec, &reason, msg, sizeof msg) < 0) {
		sgp_buf cl = SGP_BUF_INIT;
		sgp_jspan_compact(v, &cl);
		reject(c, lineno, reason, msg, cl.data, cl.len, v->type == SGP_J_OBJECT);
		sgp_buf_release(&cl);
		return;
	}
	sgp_buf_reset(&c->line);
	sgp_record_event(c->o->spec, &c->rec, v, 0, &c->line);
	sgp_writer_write(c->out, c->line.data, c->line.len);
	c->st->emitted++;
}

static int limit_reached(const struct ictx *c)
{
	return c->o->limit > 0 && c->st->emitted >= c->o->limit;
}

static int ingest_csv(struct ictx *c, char **err)
{
	sgp_csv *csv = sgp_csv_open(c->o->path);
	char **f;
	size_t n, i, ncols;
	sgp_buf obj = SGP_BUF_INIT;
	int rc = 0, r;

	if (csv == NULL) {
		*err = xasprintf("cannot open '%s': %s", c->o->path, strerror(errno));
		return SGP_EXIT_USAGE;
	}
	if (sgp_csv_read_header(csv) < 0) {
		*err = xasprintf("%s: %s", c->name, sgp_csv_error(csv));
		sgp_csv_close(csv);
		return SGP_EXIT_USAGE;
	}
	ncols = sgp_csv_ncols(csv);
	while (!limit_reached(c) && (r = sgp_csv_next(csv, &f, &n)) != 0) {
		struct sgp_jspan v;
		if (r < 0) {
			const char *m = sgp_csv_error(csv);
			if (strstr(m, ": read error: ")) {
				*err = xstrdup(m);
				rc = SGP_EXIT_SYSTEM;
				break;
			}
			/* A field that is not UTF-8 spoils one record; a quoting
			 * error leaves the rest of the file unreadable, and is
			 * rejected as such. */
			c->st->received++;
			reject(c, sgp_csv_line(csv), "parse", m, m, strlen(m), 0);
			if (strstr(m, "invalid UTF-8"))
				continue;
			break;
		}
		sgp_buf_reset(&obj);
		sgp_buf_addc(&obj, '{');
		for (i = 0; i < ncols; i++) {
			const char *name = sgp_csv_colname(csv, i);
			if (i)
				sgp_buf_addc(&obj, ',');
			sgp_buf_add_json_string(&obj, name, strlen(name));
			sgp_buf_addc(&obj, ':');
			if (i < n)
				sgp_buf_add_json_string(&obj, f[i], strlen(f[i]));
			else
				sgp_buf_adds(&obj, "null");
		}
		sgp_buf_addc(&obj, '}');
		if (n > ncols) {
			char m[128];
			c->st->received++;
			snprintf(m, sizeof m, "record has %zu fields, the header %zu", n, ncols);
			reject(c, sgp_csv_line(csv), "parse", m, obj.data, obj.len, 1);
			continue;
		}
		sgp_jspan_root(obj.data, obj.len, &v);
		take(c, &v, sgp_csv_line(csv));
	}
	sgp_buf_release(&obj);
	sgp_csv_close(csv);
	return rc;
}

static int ingest_ndjson(struct ictx *c, char **err)
{
	sgp_reader *rd = sgp_reader_open(c->o->path);
	const char *l;
	size_t n, off;
	int r = 0;
	const char *why;

	if (rd == NULL) {
		*err = xasprintf("cannot open '%s': %s", c->o->path, strerror(errno));
		return SGP_EXIT_USAGE;
	}
	while (!limit_reached(c) && (r = sgp_reader_next(rd, &l, &n)) > 0) {
		struct sgp_jspan v;
		if (sgp_json_check(l, n, &off, &why) < 0) {
			char m[160];
			c->st->received++;
			snprintf(m, sizeof m, "column %zu: %s", off + 1, why);
			reject(c, sgp_reader_lineno(rd), "parse", m, l, n, 0);
			continue;
		}
		sgp_jspan_root(l, n, &v);
		take(c, &v, sgp_reader_lineno(rd));
	}
	if (r < 0) {
		*err = xasprintf("cannot read '%s': %s", c->name, strerror(errno));
		sgp_reader_close(rd);
		return SGP_EXIT_SYSTEM;
	}
	sgp_reader_close(rd);
	return 0;
}

static char *read_all(const char *path, size_t *len)
{
	if (strcmp(path, "-") == 0) {
		sgp_buf b = SGP_BUF_INIT;
		char tmp[65536];
		size_t k;
		while ((k = fread(tmp, 1, sizeof tmp, stdin)) > 0)
			sgp_buf_add(&b, tmp, k);
		if (ferror(stdin)) {
			sgp_buf_release(&b);
			return NULL;
		}
		if (b.data == NULL)
			sgp_buf_grow(&b, 1);
		return sgp_buf_detach(&b, len);
	}
	return sgp_read_file(path, len);
}

static int ingest_json(struct ictx *c, char **err)
{
	size_t len, off;
	char *doc = read_all(c->o->path, &len);
	const char *why, *text;
	struct sgp_jspan root, arr, v;
	struct sgp_jiter it;
	unsigned long long i = 0;

	if (doc == NULL) {
		*err = xasprintf("cannot open '%s': %s", c->o->path, strerror(errno));
		return SGP_EXIT_USAGE;
	}
	text = doc;
	if (len >= 3 && memcmp(doc, "\xef\xbb\xbf", 3) == 0) {
		text += 3;
		len -= 3;
	}
	if (sgp_json_check(text, len, &off, &why) < 0) {
		*err = xasprintf("%s: not a JSON document: byte %zu: %s", c->name, off + 1, why);
		free(doc);
		return SGP_EXIT_USAGE;
	}
	sgp_jspan_root(text, len, &root);
	if (!sgp_jspan_get(&root, c->o->records ? c->o->records : "", &arr) ||
	    arr.type != SGP_J_ARRAY) {
		*err = c->o->records
			? xasprintf("%s: no array of records at '%s'", c->name, c->o->records)
			: xasprintf("%s: the document is not an array of records "
				    "(name the array with --records POINTER)", c->name);
		free(doc);
		return SGP_EXIT_USAGE;
	}
	sgp_jspan_iter(&arr, &it);
	while (!limit_reached(c) && sgp_jiter_next(&it, &v))
		take(c, &v, ++i);
	free(doc);
	return 0;
}

int sgp_ingest_file(const struct sgp_ingest_opts *o, sgp_writer *out, sgp_writer *rejects,
		    struct sgp_ingest_stats *st, char **err)
{
	struct ictx c = { 0 };
	enum sgp_file_format fmt = o->format;
	int rc;

	*err = NULL;
	c.o = o;
	c.out = out;
	c.rejects = rejects;
	c.st = st;
	c.name = strcmp(o->path, "-") == 0 ? "-" : o->path;
	if (fmt == SGP_FILE_AUTO) {
		if (ends_with(o->path, ".csv"))
			fmt = SGP_FILE_CSV;
		else if (ends_with(o->path, ".ndjson") || ends_with(o->path, ".jsonl"))
			fmt = SGP_FILE_NDJSON;
		else if (ends_with(o->path, ".json"))
			fmt = SGP_FILE_JSON;
		else {
			*err = xasprintf("cannot tell the format of '%s' from its name "
					 "(use --format csv|ndjson|json)", o->path);
			return SGP_EXIT_USAGE;
		}
	}
	switch (fmt) {
	case SGP_FILE_CSV:
		rc = ingest_csv(&c, err);
		break;
	case SGP_FILE_NDJSON:
		rc = ingest_ndjson(&c, err);
		break;
	default:
		rc = ingest_json(&c, err);
		break;
	}
	sgp_record_release(&c.rec);
	sgp_buf_release(&c.line);
	if (rc)
		return rc;
	return st->rejected ? SGP_EXIT_REJECTS : SGP_EXIT_OK;
}
