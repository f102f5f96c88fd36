/* map_apply.c: applying a compiled mapping to one record, building the
 * output events directly as JSON text (see mapping.h). */
#include "map_internal.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "envelope.h"
#include "lineio.h"

/* ---- output buffers: the hot path's appends, inlined ---------------------- */

static inline void put(sgp_buf *b, const void *p, size_t n)
{
	if (b->cap - b->len <= n)
		sgp_buf_grow(b, n);
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

static inline void putch(sgp_buf *b, char c)
{
	if (b->cap - b->len <= 1)
		sgp_buf_grow(b, 1);
	b->data[b->len++] = c;
	b->data[b->len] = '\0';
}

static inline void putstr(sgp_buf *b, const char *s)
{
	put(b, s, strlen(s));
}

/* s as a JSON string: copied at once when nothing needs escaping. */
static void put_jstr(sgp_buf *b, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch < 0x20 || ch == '"' || ch == '\\') {
			sgp_buf_add_json_string(b, s, n);
			return;
		}
	}
	if (b->cap - b->len <= n + 2)
		sgp_buf_grow(b, n + 2);
	b->data[b->len++] = '"';
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len++] = '"';
	b->data[b->len] = '\0';
}

/* ---- context ------------------------------------------------------------ */

static void names_clear(sgp_map_ctx *c);

sgp_map_ctx *sgp_map_ctx_new(void)
{
	sgp_map_ctx *c = xcalloc(1, sizeof *c);

	c->md = EVP_MD_CTX_new();
	c->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
	if (c->md == NULL || c->sha256 == NULL)
		sgp_die(SGP_EXIT_SYSTEM, "cannot set up SHA-256");
	return c;
}

void map_errors_clear(sgp_map_ctx *c)
{
	size_t i;

	for (i = 0; i < c->nerrs; i++) {
		free(c->errs[i].path);
		free(c->errs[i].message);
	}
	c->nerrs = 0;
}

void sgp_map_ctx_free(sgp_map_ctx *c)
{
	int i;

	if (c == NULL)
		return;
	map_errors_clear(c);
	free(c->errs);
	for (i = 0; i < 2; i++)
		sgp_buf_release(&c->sb[i]);
	sgp_buf_release(&c->tb);
	sgp_buf_release(&c->data);
	sgp_buf_release(&c->evs);
	sgp_buf_release(&c->path);
	sgp_buf_release(&c->misc);
	sgp_buf_release(&c->key);
	sgp_buf_release(&c->par.id);
	sgp_buf_release(&c->par.key);
	sgp_buf_release(&c->par.corr);
	sgp_buf_release(&c->par.source);
	sgp_buf_release(&c->par.occurred);
	sgp_buf_release(&c->par.rid);
	sgp_buf_release(&c->par.rrev);
	names_clear(c);
	free(c->names);
	sgp_buf_release(&c->src);
	sgp_buf_release(&c->curb);
	sgp_buf_release(&c->vsave);
	json_decref(c->synth);
	EVP_MD_CTX_free(c->md);
	EVP_MD_free(c->sha256);
	free(c);
	map_arena_release();
}

void map_sha256_hex(sgp_map_ctx *c, const void *data, size_t n, char out[65])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[32];
	unsigned int len = 0;
	int i;

	if (!EVP_DigestInit_ex(c->md, c->sha256, NULL) || !EVP_DigestUpdate(c->md, data, n) ||
	    !EVP_DigestFinal_ex(c->md, md, &len) || len != 32)
		sgp_die(SGP_EXIT_SYSTEM, "sha-256 failed");
	for (i = 0; i < 32; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[64] = '\0';
}

void map_error(sgp_map_ctx *c, const char *reason, const char *keyword, const char *fmt, ...)
{
	struct map_err *e;
	va_list ap;
	char msg[1024];

	if (c->nerrs == c->caperrs) {
		c->caperrs = c->caperrs ? c->caperrs * 2 : 8;
		c->errs = xreallocarray(c->errs, c->caperrs, sizeof *c->errs);
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	e = &c->errs[c->nerrs++];
	e->path = xstrdup(c->path.len ? c->path.data : "");
	e->keyword = keyword;
	e->reason = reason;
	e->message = xstrdup(msg);
}

const char *sgp_map_ctx_reason(const sgp_map_ctx *c)
{
	return c->nerrs ? c->errs[0].reason : "mapping";
}

json_t *sgp_map_ctx_errors(const sgp_map_ctx *c)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < c->nerrs; i++)
		json_array_append_new(a, sgp_error_new(c->errs[i].path, c->errs[i].keyword, "%s",
						       c->errs[i].message));
	return a;
}

/* ---- JSON text ---------------------------------------------------------- */

static void add_int(sgp_buf *b, long long v)
{
	char t[24];
	int i = (int)sizeof t;
	unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;

	do {
		t[--i] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		t[--i] = '-';
	put(b, t + i, sizeof t - (size_t)i);
}

static void add_real(sgp_buf *b, double x)
{
	sgp_dec d;

	if (sgp_dec_from_double(x, &d) == 0) {
		sgp_dec_buf_add(b, d);
	} else {
		char t[40];

		snprintf(t, sizeof t, "%.17g", x);
		putstr(b, t);
	}
}

void map_json_add(sgp_buf *b, const json_t *v)
{
	const char *key;
	size_t klen, i;
	json_t *m;

	switch (json_typeof(v)) {
	case JSON_OBJECT: {
		int first = 1;

		putch(b, '{');
		json_object_keylen_foreach((json_t *)v, key, klen, m) {
			if (!first)
				putch(b, ',');
			first = 0;
			put_jstr(b, key, klen);
			putch(b, ':');
			map_json_add(b, m);
		}
		putch(b, '}');
		break;
	}
	case JSON_ARRAY:
		putch(b, '[');
		for (i = 0; i < json_array_size(v); i++) {
			if (i)
				putch(b, ',');
			map_json_add(b, json_array_get(v, i));
		}
		putch(b, ']');
		break;
	case JSON_STRING:
		put_jstr(b, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER:
		add_int(b, json_integer_value(v));
		break;
	case JSON_REAL:
		add_real(b, json_real_value(v));
		break;
	case JSON_TRUE:
		put(b, "true", 4);
		break;
	case JSON_FALSE:
		put(b, "false", 5);
		break;
	default:
		put(b, "null", 4);
	}
}

int map_scalar_text(sgp_buf *b, const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_STRING:
		put(b, json_string_value(v), json_string_length(v));
		return 0;
	case JSON_OBJECT:
	case JSON_ARRAY:
		return -1;
	default:
		map_json_add(b, v);
		return 0;
	}
}

const char *map_json_what(const json_t *v)
{
	if (v == NULL)
		return "nothing";
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "an array";
	case JSON_STRING: return "a string";
	case JSON_INTEGER: return "an integer";
	case JSON_REAL: return "a number with a fraction";
	case JSON_TRUE: case JSON_FALSE: return "a boolean";
	default: return "null";
	}
}

static void buf_truncate(sgp_buf *b, size_t len)
{
	b->len = len;
	if (b->data)
		b->data[len] = '\0';
}

/* A short quotable excerpt of a value for messages. */
static const char *excerpt(sgp_map_ctx *c, const char *s, size_t n)
{
	sgp_buf *b = &c->misc;

	sgp_buf_reset(b);
	if (n > 60) {
		put(b, s, 57);
		putstr(b, "...");
	} else {
		put(b, s, n);
	}
	return b->data ? b->data : "";
}

/* ---- values ------------------------------------------------------------- */

/* Keep a message string alive until the next record. */
static const char *keep_name(sgp_map_ctx *c, char *s)
{
	if (c->nnames == c->capnames) {
		c->capnames = c->capnames ? c->capnames * 2 : 8;
		c->names = xreallocarray(c->names, c->capnames, sizeof *c->names);
	}
	c->names[c->nnames++] = s;
	return s;
}

static void names_clear(sgp_map_ctx *c)
{
	size_t i;

	for (i = 0; i < c->nnames; i++)
		free(c->names[i]);
	c->nnames = 0;
}

/* Where a value came from, for messages (only called on error paths):
 * the source pointer as written, prefixed by the array elements being
 * mapped ("/lines/data/2/amount"). */
static const char *src_name(sgp_map_ctx *c, const struct map_ptr *p)
{
	if (p->scope == SC_ITEM && c->src.len)
		return keep_name(c, xasprintf("%s%s", c->src.data, p->text));
	return p->text;
}

/* Name of what a rule's value came from, for messages. */
static const char *val_name(sgp_map_ctx *c, const struct map_rule *r, const struct map_val *v)
{
	if (v->from)
		return src_name(c, v->from);
	switch (r->src) {
	case MS_CONST: return "the constant";
	case MS_TEMPLATE: return "the template";
	case MS_CONCAT: return "the concatenation";
	case MS_HASH: return "the hash";
	default: return "the value";
	}
}

static const json_t *get(sgp_map_ctx *c, const struct map_ptr *p, const json_t *item)
{
	const json_t *v = map_ptr_get(p, item, c->record, c->event);

	return json_is_null(v) ? NULL : v;
}

/* The value's text (string bytes, or a scalar's text in a scratch
 * buffer); -1 for objects and arrays. */
static int val_text(sgp_map_ctx *c, const struct map_val *v, const char **s, size_t *n)
{
	sgp_buf *b;

	if (v->kind == VK_STR) {
		*s = v->s;
		*n = v->n;
		return 0;
	}
	if (json_is_string(v->j)) {
		*s = json_string_value(v->j);
		*n = json_string_length(v->j);
		return 0;
	}
	b = &c->sb[c->cur];
	c->cur ^= 1;
	sgp_buf_reset(b);
	if (map_scalar_text(b, v->j) < 0)
		return -1;
	*s = b->data;
	*n = b->len;
	return 0;
}

/*
 * Source of a rule -> *v.  Returns 0 (v may be VK_NONE: then *miss is
 * the pointer found missing, or NULL when the whole source is empty) or
 * -1 on an error already recorded.
 */
static int eval_source(sgp_map_ctx *c, const struct map_rule *r, const json_t *item,
		       struct map_val *v, const struct map_ptr **miss)
{
	size_t i;

	v->kind = VK_NONE;
	v->from = NULL;
	*miss = NULL;
	switch (r->src) {
	case MS_FROM:
		for (i = 0; i < r->nfrom; i++) {
			const json_t *j = get(c, &r->from[i], item);

			if (j) {
				v->kind = VK_JSON;
				v->j = j;
				v->from = &r->from[i];
				return 0;
			}
		}
		*miss = &r->from[0];
		return 0;
	case MS_CONST:
		v->kind = VK_JSON;
		v->j = r->cval;
		return 0;
	case MS_TEMPLATE:
		sgp_buf_reset(&c->tb);
		for (i = 0; i < r->tpl.nseg; i++) {
			const struct map_seg *sg = &r->tpl.seg[i];
			const json_t *j;

			if (sg->lit) {
				put(&c->tb, sg->lit, sg->litlen);
				continue;
			}
			j = get(c, &sg->ptr, item);
			if (j == NULL) {
				*miss = &sg->ptr;
				return 0;
			}
			if (map_scalar_text(&c->tb, j) < 0) {
				map_error(c, "mapping", "template", "template part %s is %s, not a text or number",
					  src_name(c, &sg->ptr), map_json_what(j));
				return -1;
			}
		}
		putch(&c->tb, '\0');   /* make sure data exists, then drop the NUL */
		c->tb.len--;
		v->kind = VK_STR;
		v->s = c->tb.data;
		v->n = c->tb.len;
		return 0;
	case MS_CONCAT:
	case MS_HASH: {
		int any = 0;

		sgp_buf_reset(&c->tb);
		for (i = 0; i < r->nparts; i++) {
			const struct map_part *p = &r->parts[i];
			size_t mark = c->tb.len, body;

			if (r->src == MS_CONCAT && any)
				put(&c->tb, r->sep, r->seplen);
			else if (r->src == MS_HASH && i)
				putch(&c->tb, '\x1f');
			body = c->tb.len;
			if (!p->is_ptr) {
				put(&c->tb, p->lit, p->litlen);
			} else {
				const json_t *j = get(c, &p->ptr, item);

				if (j == NULL) {
					if (r->src == MS_HASH) {
						*miss = &p->ptr;
						return 0;
					}
					buf_truncate(&c->tb, mark);
					continue;
				}
				if (map_scalar_text(&c->tb, j) < 0) {
					map_error(c, "mapping", r->src == MS_HASH ? "hash" : "concat",
						  "part %s is %s, not a text or number",
						  src_name(c, &p->ptr), map_json_what(j));
					return -1;
				}
			}
			if (r->src == MS_CONCAT && c->tb.len == body) {
				buf_truncate(&c->tb, mark);   /* empty part: no separator */
				continue;
			}
			any = 1;
		}
		if (r->src == MS_CONCAT && !any)
			return 0;
		putch(&c->tb, '\0');
		c->tb.len--;
		if (r->src == MS_HASH) {
			char hex[65];
			sgp_buf *b = &c->sb[c->cur];

			c->cur ^= 1;
			map_sha256_hex(c, c->tb.data, c->tb.len, hex);
			sgp_buf_reset(b);
			if (r->hprefix)
				putstr(b, r->hprefix);
			put(b, hex, (size_t)r->hlen);
			v->kind = VK_STR;
			v->s = b->data;
			v->n = b->len;
			return 0;
		}
		v->kind = VK_STR;
		v->s = c->tb.data;
		v->n = c->tb.len;
		return 0;
	}
	default:
		return 0;
	}
}

/* ---- conversions -------------------------------------------------------- */

/* The value as a decimal.  0, or -1 with *why. */
static int val_dec(sgp_map_ctx *c, const struct map_val *v, sgp_dec *d, const char **why)
{
	const char *s;
	size_t n;

	if (v->kind == VK_JSON && json_is_integer(v->j)) {
		*why = "out of range";
		return sgp_dec_from_int(json_integer_value(v->j), 0, d);
	}
	if (v->kind == VK_JSON && json_is_real(v->j)) {
		*why = "a float without an exact decimal of 38 digits";
		return sgp_dec_from_double(json_real_value(v->j), d);
	}
	if (v->kind == VK_JSON && !json_is_string(v->j)) {
		*why = map_json_what(v->j);
		return -1;
	}
	val_text(c, v, &s, &n);
	return sgp_dec_parse_n(s, n, d, why);
}

static void write_dec(sgp_buf *out, sgp_dec d, enum map_out how)
{
	char t[SGP_DEC_BUFSZ];
	int n = sgp_dec_format(d, t, sizeof t);

	if (how == OUT_NUMBER)
		put(out, t, (size_t)n);
	else
		put_jstr(out, t, (size_t)n);
}

static const char *val_excerpt(sgp_map_ctx *c, const struct map_val *v)
{
	const char *s;
	size_t n;

	if (val_text(c, v, &s, &n) < 0)
		return map_json_what(v->j);
	if (v->kind == VK_JSON && !json_is_string(v->j))
		return excerpt(c, s, n);
	return keep_name(c, xasprintf("'%s'", excerpt(c, s, n)));
}

static int write_value(sgp_map_ctx *c, const struct map_rule *r, const json_t *item, sgp_buf *out);

static const struct sgp_currency *rule_currency(sgp_map_ctx *c, const struct map_rule *r,
					       const json_t *item)
{
	const json_t *j;
	const struct sgp_currency *cur;
	char up[4];
	size_t i;

	if (r->cur_const)
		return r->cur_const;
	if (r->cur_rule) {
		sgp_buf *b = &c->curb;
		int rc;

		sgp_buf_reset(b);
		rc = write_value(c, r->cur_rule, item, b);
		if (rc < 0)
			return NULL;
		if (rc == 0 || b->len != 5 || b->data[0] != '"') {
			map_error(c, "money", "currency", "the currency rule gives %s, not a 3-letter code",
				  rc == 0 ? "nothing" : excerpt(c, b->data, b->len));
			return NULL;
		}
		for (i = 0; i < 3; i++)
			up[i] = (char)toupper((unsigned char)b->data[1 + i]);
		up[3] = '\0';
		cur = sgp_currency_lookup(up);
		if (cur == NULL)
			map_error(c, "money", "currency", "the currency rule gives '%s', not an ISO 4217 code",
				  up);
		return cur;
	}
	j = get(c, r->cur_ptr, item);
	if (j == NULL) {
		map_error(c, "money", "currency", "currency %s is missing", src_name(c, r->cur_ptr));
		return NULL;
	}
	if (!json_is_string(j) || json_string_length(j) != 3) {
		map_error(c, "money", "currency", "currency %s is not a 3-letter code: %s",
			  src_name(c, r->cur_ptr),
			  json_is_string(j) ? excerpt(c, json_string_value(j), json_string_length(j))
					    : map_json_what(j));
		return NULL;
	}
	for (i = 0; i < 3; i++)
		up[i] = (char)toupper((unsigned char)json_string_value(j)[i]);
	up[3] = '\0';
	cur = sgp_currency_lookup(up);
	if (cur == NULL)
		map_error(c, "money", "currency", "currency %s is '%s', not an ISO 4217 code",
			  src_name(c, r->cur_ptr), excerpt(c, json_string_value(j), 3));
	return cur;
}

static const char *round_hint(enum sgp_round m)
{
	return m == SGP_ROUND_UNNECESSARY ? " (set \"round\" to round it)" : "";
}

static int text_to_ll(const char *s, size_t n, long long *x)
{
	char t[32];

	if (n == 0 || n >= sizeof t)
		return -1;
	memcpy(t, s, n);
	t[n] = '\0';
	return sgp_parse_ll(t, LLONG_MIN, LLONG_MAX, x);
}

static int is_whole(double d)
{
	return d == floor(d) && fabs(d) <= 9007199254740992.0;   /* 2^53: exact in a double */
}

/* Convert v per r->conv and write it to out.  1 written, -1 error. */
static int convert(sgp_map_ctx *c, const struct map_rule *r, const json_t *item,
		   const struct map_val *v, sgp_buf *out)
{
	const char *s, *why = NULL;
	size_t n;

	switch (r->conv) {
	case CV_NONE:
		if (v->kind == VK_STR)
			put_jstr(out, v->s, v->n);
		else
			map_json_add(out, v->j);
		return 1;
	case CV_STRING:
		if (val_text(c, v, &s, &n) < 0) {
			map_error(c, "mapping", "string", "%s is %s, not a text or number",
				  val_name(c, r, v), map_json_what(v->j));
			return -1;
		}
		put_jstr(out, s, n);
		return 1;
	case CV_INTEGER: {
		long long x;

		if (v->kind == VK_JSON && json_is_integer(v->j)) {
			add_int(out, json_integer_value(v->j));
			return 1;
		}
		if (v->kind == VK_JSON && json_is_real(v->j) && is_whole(json_real_value(v->j))) {
			add_int(out, (long long)json_real_value(v->j));
			return 1;
		}
		if ((v->kind == VK_JSON && !json_is_string(v->j)) || val_text(c, v, &s, &n) < 0 ||
		    text_to_ll(s, n, &x) < 0) {
			map_error(c, "mapping", "integer", "%s is %s, not an integer", val_name(c, r, v),
				  val_excerpt(c, v));
			return -1;
		}
		add_int(out, x);
		return 1;
	}
	case CV_BOOLEAN: {
		static const char *const yes[] = { "true", "t", "yes", "y", "1", NULL };
		static const char *const no[] = { "false", "f", "no", "n", "0", NULL };
		size_t i;

		if (v->kind == VK_JSON && json_is_boolean(v->j)) {
			putstr(out, json_is_true(v->j) ? "true" : "false");
			return 1;
		}
		if (v->kind == VK_STR || json_is_string(v->j) || json_is_integer(v->j)) {
			val_text(c, v, &s, &n);
			for (i = 0; yes[i]; i++) {
				if (strlen(yes[i]) == n && strncasecmp(s, yes[i], n) == 0) {
					putstr(out, "true");
					return 1;
				}
				if (strlen(no[i]) == n && strncasecmp(s, no[i], n) == 0) {
					putstr(out, "false");
					return 1;
				}
			}
		}
		map_error(c, "mapping", "boolean",
			  "%s is %s, not a boolean (true/false, yes/no, T/F, 1/0)", val_name(c, r, v),
			  val_excerpt(c, v));
		return -1;
	}
	case CV_DECIMAL: {
		sgp_dec d, e;

		if (val_dec(c, v, &d, &why) < 0) {
			map_error(c, "mapping", "decimal", "%s is %s, not a decimal number (%s)",
				  val_name(c, r, v), val_excerpt(c, v), why);
			return -1;
		}
		if (r->scale >= 0) {
			if (sgp_dec_rescale(d, r->scale, r->round, &e) < 0) {
				char t[SGP_DEC_BUFSZ];

				sgp_dec_format(d, t, sizeof t);
				map_error(c, "mapping", "decimal", "%s is %s: more than %d decimals%s",
					  val_name(c, r, v), t, r->scale, round_hint(r->round));
				return -1;
			}
			d = e;
		}
		write_dec(out, d, r->out);
		return 1;
	}
	case CV_MONEY: {
		const struct sgp_currency *cur;
		struct map_val keep;
		sgp_dec d, e;
		int scale, rc;

		/* A currency rule uses the scratch buffers a text value may
		 * sit in: keep the value aside first. */
		if (r->cur_rule && v->kind == VK_STR) {
			sgp_buf_reset(&c->vsave);
			put(&c->vsave, v->s, v->n);
			keep = *v;
			keep.s = c->vsave.data;
			v = &keep;
		}
		cur = rule_currency(c, r, item);
		if (cur == NULL)
			return -1;
		scale = r->scale >= 0 ? r->scale : cur->exponent;
		if (scale < 0 || ((r->minor || r->out == OUT_MINOR) && cur->exponent < 0)) {
			map_error(c, "money", "currency", "currency %s has no minor unit%s", cur->code,
				  scale < 0 ? "; the rule needs \"scale\"" : "");
			return -1;
		}
		if (!r->minor) {
			rc = val_dec(c, v, &d, &why);
		} else if (v->kind == VK_JSON && json_is_integer(v->j)) {
			why = "out of range";
			rc = sgp_dec_from_minor(json_integer_value(v->j), cur->exponent, &d);
		} else if (v->kind == VK_JSON && json_is_real(v->j)) {
			why = "minor units are a whole number";
			rc = is_whole(json_real_value(v->j))
				     ? sgp_dec_from_minor((int64_t)json_real_value(v->j), cur->exponent, &d)
				     : -1;
		} else if (v->kind == VK_STR || json_is_string(v->j)) {
			val_text(c, v, &s, &n);
			rc = sgp_dec_from_minor_text(s, n, cur->exponent, &d, &why);
		} else {
			why = map_json_what(v->j);
			rc = -1;
		}
		if (rc < 0) {
			map_error(c, "money", "money", "%s is %s, not an amount%s (%s)", val_name(c, r, v),
				  val_excerpt(c, v), r->minor ? " in minor units" : "", why);
			return -1;
		}
		if (sgp_dec_rescale(d, scale, r->round, &e) < 0) {
			char t[SGP_DEC_BUFSZ];

			sgp_dec_format(d, t, sizeof t);
			map_error(c, "money", "money", "%s is %s: more than %d decimals for %s%s",
				  val_name(c, r, v), t, scale, cur->code, round_hint(r->round));
			return -1;
		}
		if (r->out == OUT_MINOR) {
			int64_t minor;

			if (sgp_dec_to_minor(e, cur->exponent, r->round, &minor) < 0) {
				map_error(c, "money", "money", "%s does not fit in minor units of %s",
					  val_name(c, r, v), cur->code);
				return -1;
			}
			add_int(out, minor);
			return 1;
		}
		write_dec(out, e, r->out);
		return 1;
	}
	case CV_CURRENCY: {
		char up[4];
		size_t i;

		if (val_text(c, v, &s, &n) < 0 || n != 3) {
			map_error(c, "money", "currency", "%s is %s, not a 3-letter currency code",
				  val_name(c, r, v), val_excerpt(c, v));
			return -1;
		}
		for (i = 0; i < 3; i++)
			up[i] = (char)toupper((unsigned char)s[i]);
		up[3] = '\0';
		if (sgp_currency_lookup(up) == NULL) {
			map_error(c, "money", "currency", "%s is %s, not an ISO 4217 currency code",
				  val_name(c, r, v), val_excerpt(c, v));
			return -1;
		}
		put_jstr(out, up, 3);
		return 1;
	}
	case CV_TIME:
	case CV_DATE: {
		sgp_time t;
		char tb[SGP_TIME_BUFSZ];
		int len = -1, rc;

		if (v->kind == VK_STR)
			rc = map_time_parse(r, NULL, v->s, v->n, &t, &why);
		else
			rc = map_time_parse(r, v->j, NULL, 0, &t, &why);
		if (rc < 0) {
			map_error(c, "time", "time", "%s is %s, not a time (%s)", val_name(c, r, v),
				  val_excerpt(c, v), why ? why : "unreadable");
			return -1;
		}
		switch (r->tout) {
		case TO_DATETIME: len = sgp_time_format(t, tb, sizeof tb); break;
		case TO_DATETIME_MS: len = sgp_time_format_ms(t, tb, sizeof tb); break;
		case TO_DATE: len = sgp_time_format_date(t, tb, sizeof tb); break;
		case TO_EPOCH_S: add_int(out, t.sec); return 1;
		case TO_EPOCH_MS: add_int(out, sgp_time_to_epoch_ms(t)); return 1;
		}
		if (len < 0) {
			map_error(c, "time", "time", "%s is outside years 0000-9999", val_name(c, r, v));
			return -1;
		}
		put_jstr(out, tb, (size_t)len);
		return 1;
	}
	}
	return -1;
}

/* ---- rules -------------------------------------------------------------- */

static void path_push(sgp_buf *p, const char *name)
{
	const char *s;

	putch(p, '/');
	for (s = name; *s; s++) {
		if (*s == '~')
			put(p, "~0", 2);
		else if (*s == '/')
			put(p, "~1", 2);
		else
			putch(p, *s);
	}
}

static int write_fields(sgp_map_ctx *c, const struct map_rule *r, const json_t *item,
			sgp_buf *out);

/* Nothing to write: the default, nothing (optional), or a required-field
 * error naming what was missing. */
static int missing(sgp_map_ctx *c, const struct map_rule *r, sgp_buf *out,
		   const struct map_ptr *miss, const char *what)
{
	if (r->def) {
		put(out, r->dtext, r->dtext_len);
		return 1;
	}
	if (!r->required)
		return 0;
	if (r->src == MS_FROM && r->nfrom > 1) {
		sgp_buf b = SGP_BUF_INIT;
		size_t i;

		for (i = 0; i < r->nfrom; i++) {
			putstr(&b, i ? (i + 1 == r->nfrom ? " and " : ", ") : "");
			putstr(&b, src_name(c, &r->from[i]));
		}
		map_error(c, "mapping", "required", "required source %s are all missing", b.data);
		sgp_buf_release(&b);
	} else if (miss) {
		map_error(c, "mapping", "required", "required source %s is %s", src_name(c, miss), what);
	} else {
		map_error(c, "mapping", "required", "every part of the %s is missing or empty",
			  r->src == MS_CONCAT ? "concatenation" : "value");
	}
	return -1;
}

static int write_each(sgp_map_ctx *c, const struct map_rule *r, const json_t *item, sgp_buf *out)
{
	const json_t *arr = get(c, &r->each, item);
	size_t i, k = 0, plen = c->path.len, slen = c->src.len, base;
	char *saved = NULL;
	int failed = 0;

	if (arr == NULL)
		return missing(c, r, out, &r->each, "missing");
	if (!json_is_array(arr)) {
		map_error(c, "mapping", "each", "%s is %s, not an array", src_name(c, &r->each),
			  map_json_what(arr));
		return -1;
	}
	if (r->each.scope != SC_ITEM) {
		saved = xstrndup(c->src.data ? c->src.data : "", slen);
		sgp_buf_reset(&c->src);
	}
	putstr(&c->src, r->each.text);
	base = c->src.len;
	putch(out, '[');
	for (i = 0; i < json_array_size(arr); i++) {
		const json_t *el = json_array_get(arr, i);

		buf_truncate(&c->src, base);
		putch(&c->src, '/');
		add_int(&c->src, (long long)i);
		if (r->where) {
			int w = map_cond_eval(c, r->where, el);

			if (w < 0)
				failed = 1;
			if (w <= 0)
				continue;
		}
		if (k)
			putch(out, ',');
		putch(&c->path, '/');
		add_int(&c->path, (long long)k);
		if (write_fields(c, r, el, out) < 0)
			failed = 1;
		buf_truncate(&c->path, plen);
		k++;
	}
	putch(out, ']');
	if (saved) {
		sgp_buf_reset(&c->src);
		putstr(&c->src, saved);
		free(saved);
	} else {
		buf_truncate(&c->src, slen);
	}
	return failed ? -1 : 1;
}

/* An array of one value per rule of "list" (a rule that gives nothing
 * adds no element). */
static int write_list(sgp_map_ctx *c, const struct map_rule *r, const json_t *item, sgp_buf *out)
{
	size_t i, k = 0, plen = c->path.len;
	int failed = 0;

	putch(out, '[');
	for (i = 0; i < r->nfields; i++) {
		size_t mark = out->len;
		int rc;

		if (k)
			putch(out, ',');
		putch(&c->path, '/');
		add_int(&c->path, (long long)k);
		rc = r->fields[i].when ? map_cond_eval(c, r->fields[i].when, item) : 1;
		if (rc > 0)
			rc = write_value(c, &r->fields[i], item, out);
		buf_truncate(&c->path, plen);
		if (rc <= 0)
			buf_truncate(out, mark);
		if (rc < 0)
			failed = 1;
		if (rc > 0)
			k++;
	}
	putch(out, ']');
	return failed ? -1 : 1;
}

/* Write the value of rule r for item to out.  1 written, 0 omitted,
 * -1 error (recorded). */
static int write_value(sgp_map_ctx *c, const struct map_rule *r, const json_t *item, sgp_buf *out)
{
	struct map_val v;
	const struct map_ptr *miss;

	if (r->src == MS_FIELDS)
		return write_fields(c, r, item, out);
	if (r->src == MS_EACH)
		return write_each(c, r, item, out);
	if (r->src == MS_LIST)
		return write_list(c, r, item, out);
	if (r->src == MS_TEST) {
		int t = map_cond_eval(c, r->test, item);

		if (t < 0)
			return -1;
		v.kind = VK_JSON;
		v.j = t ? json_true() : json_false();
		v.from = NULL;
	} else if (eval_source(c, r, item, &v, &miss) < 0) {
		return -1;
	}
	if (r->src != MS_TEST && v.kind == VK_NONE)
		return missing(c, r, out, miss, "missing");
	if (r->src == MS_CONST && !r->trim && r->cas == CASE_NONE && !r->vmap && !r->table &&
	    r->conv == CV_NONE) {
		put(out, r->ctext, r->ctext_len);
		return 1;
	}
	if (r->trim) {
		const char *s;
		size_t n;

		if (val_text(c, &v, &s, &n) < 0) {
			map_error(c, "mapping", "trim", "%s is %s, not a text", val_name(c, r, &v),
				  map_json_what(v.j));
			return -1;
		}
		while (n && isspace((unsigned char)*s))
			s++, n--;
		while (n && isspace((unsigned char)s[n - 1]))
			n--;
		if (n == 0)
			return missing(c, r, out, v.from, "blank");
		v.kind = VK_STR;
		v.s = s;
		v.n = n;
	}
	if (r->cas != CASE_NONE) {
		const char *s;
		size_t n, i;
		sgp_buf *b;

		if (val_text(c, &v, &s, &n) < 0) {
			map_error(c, "mapping", "case", "%s is %s, not a text", val_name(c, r, &v),
				  map_json_what(v.j));
			return -1;
		}
		b = &c->sb[c->cur];
		c->cur ^= 1;
		sgp_buf_reset(b);
		sgp_buf_grow(b, n);
		for (i = 0; i < n; i++)
			b->data[i] = (char)(r->cas == CASE_UPPER ? toupper((unsigned char)s[i])
								 : tolower((unsigned char)s[i]));
		b->len = n;
		b->data[n] = '\0';
		v.kind = VK_STR;
		v.s = b->data;
		v.n = n;
	}
	if (r->vmap) {
		const char *s;
		size_t n, i;

		if (val_text(c, &v, &s, &n) < 0) {
			map_error(c, "mapping", "map", "%s is %s, not a value to map", val_name(c, r, &v),
				  map_json_what(v.j));
			return -1;
		}
		i = map_hash_get(&r->vmap->h, s, n);
		if (i != (size_t)-1) {
			v.kind = VK_JSON;
			v.j = r->vmap->vals[i];
		} else if (!r->map_keep) {
			if (r->def) {
				put(out, r->dtext, r->dtext_len);
				return 1;
			}
			map_error(c, "mapping", "map", "%s is %s, which the value map does not list",
				  val_name(c, r, &v), val_excerpt(c, &v));
			return -1;
		}
	}
	if (r->table) {
		const char *s;
		size_t n, row;

		if (val_text(c, &v, &s, &n) < 0) {
			map_error(c, "lookup", "lookup", "%s is %s, not a lookup key", val_name(c, r, &v),
				  map_json_what(v.j));
			return -1;
		}
		row = map_hash_get(&r->table->h, s, n);
		if (row == (size_t)-1) {
			if (r->def) {
				put(out, r->dtext, r->dtext_len);
				return 1;
			}
			map_error(c, "lookup", "lookup", "%s is %s, not found in lookup table '%s' (%s)",
				  val_name(c, r, &v), val_excerpt(c, &v), r->table->name, r->table->file);
			return -1;
		}
		v.kind = VK_STR;
		v.s = r->table->rows[row][r->tcol];
		v.n = strlen(v.s);
	}
	return convert(c, r, item, &v, out);
}

/* One member "name":value of an object being written. */
static int write_member(sgp_map_ctx *c, const struct map_rule *r, const json_t *item,
			sgp_buf *out, int *first)
{
	size_t mark = out->len, plen = c->path.len;
	int rc;

	if (r->when) {
		int w = map_cond_eval(c, r->when, item);

		if (w <= 0)
			return w;
	}
	path_push(&c->path, r->name);
	if (!*first)
		putch(out, ',');
	put(out, r->key_json, r->key_len);
	rc = write_value(c, r, item, out);
	if (rc <= 0)
		buf_truncate(out, mark);
	else
		*first = 0;
	buf_truncate(&c->path, plen);
	return rc;
}

static int write_fields(sgp_map_ctx *c, const struct map_rule *r, const json_t *item,
			sgp_buf *out)
{
	size_t i;
	int first = 1, failed = 0;

	putch(out, '{');
	for (i = 0; i < r->nfields; i++)
		if (write_member(c, &r->fields[i], item, out, &first) < 0)
			failed = 1;
	putch(out, '}');
	return failed ? -1 : 1;
}

/* ---- conditions --------------------------------------------------------- */

static int values_equal(const json_t *a, const json_t *b)
{
	if (json_is_number(a) && json_is_number(b)) {
		sgp_dec x, y;

		if (sgp_dec_from_json(a, &x, NULL) == 0 && sgp_dec_from_json(b, &y, NULL) == 0)
			return sgp_dec_cmp(x, y) == 0;
	}
	return json_equal((json_t *)a, (json_t *)b);
}

int map_cond_eval(sgp_map_ctx *c, const struct map_cond *k, const json_t *item)
{
	const json_t *v;
	size_t i;
	int r;

	switch (k->kind) {
	case MC_ALL:
		for (i = 0; i < k->nkids; i++)
			if ((r = map_cond_eval(c, &k->kids[i], item)) <= 0)
				return r;
		return 1;
	case MC_ANY:
		for (i = 0; i < k->nkids; i++)
			if ((r = map_cond_eval(c, &k->kids[i], item)) != 0)
				return r;
		return 0;
	case MC_NOT:
		r = map_cond_eval(c, &k->kids[0], item);
		return r < 0 ? r : !r;
	case MC_EMITS:
		return c->type != NULL && strcmp(c->type, k->emits) == 0;
	case MC_LEAF:
		break;
	}
	v = get(c, &k->ptr, item);
	switch (k->op) {
	case OP_EXISTS:
		return (v != NULL) == json_is_true(k->operand);
	case OP_EQ:
		return v != NULL && values_equal(v, k->operand);
	case OP_NE:
		return v == NULL || !values_equal(v, k->operand);
	case OP_IN:
		if (v == NULL)
			return 0;
		for (i = 0; i < json_array_size(k->operand); i++)
			if (values_equal(v, json_array_get(k->operand, i)))
				return 1;
		return 0;
	case OP_STARTS:
		return json_is_string(v) &&
		       strncmp(json_string_value(v), json_string_value(k->operand),
			       json_string_length(k->operand)) == 0 &&
		       json_string_length(v) >= json_string_length(k->operand);
	default: {
		sgp_dec d;
		const char *why = "not a number";
		int cmp;

		if (v == NULL) {
			map_error(c, "mapping", "when", "condition %s: %s is missing, cannot compare it",
				  k->loc, src_name(c, &k->ptr));
			return -1;
		}
		if (sgp_dec_from_json(v, &d, &why) < 0) {
			const char *what = json_is_string(v)
				? keep_name(c, xasprintf("'%s'", excerpt(c, json_string_value(v),
									  json_string_length(v))))
				: map_json_what(v);

			map_error(c, "mapping", "when", "condition %s: %s is %s, not a number%s%s%s",
				  k->loc, src_name(c, &k->ptr), what,
				  strcmp(why, "not a number") ? " (" : "",
				  strcmp(why, "not a number") ? why : "",
				  strcmp(why, "not a number") ? ")" : "");
			return -1;
		}
		cmp = sgp_dec_cmp(d, k->num);
		switch (k->op) {
		case OP_LT: return cmp < 0;
		case OP_LE: return cmp <= 0;
		case OP_GT: return cmp > 0;
		default: return cmp >= 0;
		}
	}
	}
}

/* ---- events ------------------------------------------------------------- */

/* The raw text of an envelope rule's value into dst (write_value writes
 * a JSON string; it is unquoted here).  1 produced, 0 missing (optional),
 * -1 error. */
static int rule_text(sgp_map_ctx *c, const struct map_rule *r, const char *pathname, sgp_buf *dst)
{
	sgp_buf *tmp = &c->data;
	size_t plen = c->path.len;
	json_t *j;
	int rc;

	sgp_buf_reset(tmp);
	putstr(&c->path, pathname);
	rc = write_value(c, r, c->record, tmp);
	buf_truncate(&c->path, plen);
	if (rc <= 0)
		return rc;
	sgp_buf_reset(dst);
	if (tmp->data[0] == '"' && memchr(tmp->data, '\\', tmp->len) == NULL) {
		put(dst, tmp->data + 1, tmp->len - 2);
		return 1;
	}
	j = json_loadb(tmp->data, tmp->len, JSON_DECODE_ANY, NULL);
	rc = j != NULL && map_scalar_text(dst, j) == 0;
	json_decref(j);
	if (!rc) {
		putstr(&c->path, pathname);
		map_error(c, "mapping", "type", "the value is not a text or number");
		buf_truncate(&c->path, plen);
		return -1;
	}
	return 1;
}

static const char *tsel_eval(sgp_map_ctx *c, const struct map_tsel *t)
{
	while (t->type == NULL) {
		int w = map_cond_eval(c, t->cond, c->record);

		if (w < 0)
			return NULL;
		t = w ? t->then_ : t->else_;
	}
	return t->type;
}

static int type_listed(const sgp_mapping *m, const char *type)
{
	size_t i;

	for (i = 0; i < m->ntypes; i++)
		if (strcmp(m->types[i], type) == 0)
			return 1;
	return 0;
}

/* The identity of an input event, as text. */
static int parent_of_event(sgp_map_ctx *c, const json_t *in, struct map_parent *p)
{
	const json_t *id = json_object_get(in, "id"), *key = json_object_get(in, "idempotency_key");
	const json_t *corr = json_object_get(in, "correlation_id"), *src = json_object_get(in, "source");
	const json_t *occ = json_object_get(in, "occurred_at");

	if (!json_is_string(id) || !json_is_object(src)) {
		map_error(c, "mapping", "envelope", "the input event has no %s",
			  !json_is_string(id) ? "string \"id\"" : "\"source\" object");
		return -1;
	}
	put(&p->id, json_string_value(id), json_string_length(id));
	if (json_is_string(key))
		put(&p->key, json_string_value(key), json_string_length(key));
	else
		put(&p->key, json_string_value(id), json_string_length(id));
	if (json_is_string(corr)) {
		put(&p->corr, json_string_value(corr), json_string_length(corr));
		p->have_corr = 1;
	}
	if (json_is_string(occ)) {
		put(&p->occurred, json_string_value(occ), json_string_length(occ));
		p->have_occurred = 1;
	}
	map_json_add(&p->source, src);
	return 0;
}

/* A plain record gets the identity sgp-pull would give it: key
 * "system:object:id[:revision]" (sgp_idempotency_key) and id
 * sgp_event_id(system, object, id, revision). */
static int parent_of_plain(sgp_map_ctx *c, const char *type, struct map_parent *p)
{
	const sgp_mapping *m = c->m;
	const char *dot = strchr(type, '.');
	sgp_buf *id = &p->rid, *rev = &p->rrev;
	int rc, have_rev = 0;
	char hex[65];

	if (m->rec_id == NULL) {
		map_error(c, "mapping", "record",
			  "a plain record needs the spec's \"record\": {\"id\": ...} to be identified");
		return -1;
	}
	rc = rule_text(c, m->rec_id, "/source/id", id);
	if (rc == 0) {
		putstr(&c->path, "/source/id");
		map_error(c, "mapping", "required", "the record has no id");
		sgp_buf_reset(&c->path);
		return -1;
	}
	if (rc > 0 && m->rec_rev) {
		int rr = rule_text(c, m->rec_rev, "/record/revision", rev);

		if (rr < 0)
			return -1;
		have_rev = rr > 0;
	}
	if (rc < 0)
		return -1;
	put(&p->key, type, (size_t)(dot - type));
	putch(&p->key, ':');
	putstr(&p->key, dot + 1);
	putch(&p->key, ':');
	put(&p->key, id->data, id->len);
	if (have_rev) {
		putch(&p->key, ':');
		put(&p->key, rev->data, rev->len);
	}
	/* id as sgp_event_id(): fields joined by 0x1f (what sgp-pull writes) */
	sgp_buf_reset(&c->tb);
	put(&c->tb, type, (size_t)(dot - type));
	putch(&c->tb, '\x1f');
	putstr(&c->tb, dot + 1);
	putch(&c->tb, '\x1f');
	put(&c->tb, id->data, id->len);
	if (have_rev) {
		putch(&c->tb, '\x1f');
		put(&c->tb, rev->data, rev->len);
	}
	map_sha256_hex(c, c->tb.data, c->tb.len, hex);
	put(&p->id, "evt_", 4);
	put(&p->id, hex, 32);
	putstr(&p->source, "{\"system\":");
	put_jstr(&p->source, type, (size_t)(dot - type));
	putstr(&p->source, ",\"object\":");
	put_jstr(&p->source, dot + 1, strlen(dot + 1));
	putstr(&p->source, ",\"id\":");
	put_jstr(&p->source, id->data, id->len);
	putch(&p->source, '}');
	return 0;
}

static void parent_reset(struct map_parent *p)
{
	sgp_buf_reset(&p->id);
	sgp_buf_reset(&p->key);
	sgp_buf_reset(&p->corr);
	sgp_buf_reset(&p->source);
	sgp_buf_reset(&p->occurred);
	p->have_corr = p->have_occurred = 0;
}

/* A synthetic envelope for event: pointers on a plain record. */
static void synth_event(sgp_map_ctx *c, const char *type, const struct map_parent *p)
{
	json_t *e = json_object(), *src = json_loadb(p->source.data, p->source.len, 0, NULL);

	json_object_set_new(e, "spec", json_string(SGP_SPEC_EVENT));
	json_object_set_new(e, "id", json_stringn(p->id.data, p->id.len));
	json_object_set_new(e, "type", json_string(type));
	json_object_set_new(e, "source", src ? src : json_object());
	json_object_set_new(e, "idempotency_key", json_stringn(p->key.data, p->key.len));
	json_object_set(e, "data", (json_t *)c->record);
	json_decref(c->synth);
	c->synth = e;
	c->event = e;
}

/* One emit: append the event to c->evs.  1 emitted, 0 skipped, -1 error. */
static int emit_one(sgp_map_ctx *c, const struct map_emit *e, const struct map_parent *p,
		    const char *khex)
{
	const sgp_mapping *m = c->m;
	sgp_buf *ev = &c->evs;
	size_t start = ev->len;
	const char *etype;
	char ihex[65];
	int ok = 1;

	c->type = NULL;
	sgp_buf_reset(&c->path);
	if (e->when) {
		int w = map_cond_eval(c, e->when, c->record);

		if (w <= 0)
			return w;
	}
	putstr(&c->path, "/type");
	etype = tsel_eval(c, e->tsel);
	sgp_buf_reset(&c->path);
	if (etype == NULL)
		return -1;
	c->type = etype;

	/* idempotency key as sgp_idempotency_key_derived(), id from the key */
	sgp_buf_reset(&c->key);
	putstr(&c->key, m->name);
	putch(&c->key, ':');
	put(&c->key, khex, 32);
	if (e->index > 0) {
		putch(&c->key, ':');
		add_int(&c->key, (long long)e->index);
	}
	map_sha256_hex(c, c->key.data, c->key.len, ihex);

	putstr(ev, "{\"spec\":\"sgp.event/1\",\"id\":\"evt_");
	put(ev, ihex, 32);
	putstr(ev, "\",\"type\":");
	put_jstr(ev, etype, strlen(etype));
	putstr(ev, ",\"occurred_at\":");
	if (e->occurred_at) {
		putstr(&c->path, "/occurred_at");
		if (write_value(c, e->occurred_at, c->record, ev) <= 0)
			ok = 0;
		sgp_buf_reset(&c->path);
	} else if (p->have_occurred) {
		put_jstr(ev, p->occurred.data, p->occurred.len);
	} else {
		putstr(&c->path, "/occurred_at");
		map_error(c, "mapping", "occurred_at",
			  "the emit gives no \"occurred_at\" and a plain record has none");
		sgp_buf_reset(&c->path);
		ok = 0;
	}
	putstr(ev, ",\"source\":");
	put(ev, p->source.data, p->source.len);
	putstr(ev, ",\"correlation_id\":");
	if (p->have_corr) {
		put_jstr(ev, p->corr.data, p->corr.len);
	} else {
		size_t mark = ev->len;
		int rc = 0;

		if (e->correlation_id) {
			putstr(&c->path, "/correlation_id");
			rc = write_value(c, e->correlation_id, c->record, ev);
			sgp_buf_reset(&c->path);
		}
		if (rc < 0)
			ok = 0;
		if (rc <= 0) {
			buf_truncate(ev, mark);
			put_jstr(ev, p->id.data, p->id.len);
		}
	}
	putstr(ev, ",\"causation_id\":");
	put_jstr(ev, p->id.data, p->id.len);
	putstr(ev, ",\"idempotency_key\":");
	put_jstr(ev, c->key.data, c->key.len);
	if (e->schema) {
		putstr(ev, ",\"schema\":");
		put_jstr(ev, e->schema, strlen(e->schema));
	}
	putstr(ev, ",\"data\":");
	putstr(&c->path, "/data");
	if (write_fields(c, &e->data, c->record, ev) < 0)
		ok = 0;
	sgp_buf_reset(&c->path);
	put(ev, "}\n", 2);
	if (!ok) {
		buf_truncate(ev, start);
		return -1;
	}
	return 1;
}

enum sgp_map_status sgp_mapping_apply(const sgp_mapping *m, sgp_map_ctx *c, const json_t *input,
				      const char *plain_type, sgp_buf *out, size_t *nevents)
{
	struct map_parent *pp = &c->par;
	enum sgp_line_kind kind = sgp_line_kind_of(input);
	const char *type;
	char khex[65];
	size_t i, nev = 0;
	int failed = 0;

	if (nevents)
		*nevents = 0;
	if (kind == SGP_LINE_EVENT) {
		type = sgp_json_str(input, "type");
		c->record = json_object_get(input, "data");
		c->event = input;
	} else if (kind == SGP_LINE_PLAIN && plain_type) {
		type = plain_type;
		c->record = input;
		c->event = NULL;
	} else {
		return SGP_MAP_NOMATCH;
	}
	if (type == NULL || !type_listed(m, type))
		return SGP_MAP_NOMATCH;
	c->m = m;
	c->type = NULL;
	map_errors_clear(c);
	names_clear(c);
	sgp_buf_reset(&c->path);
	sgp_buf_reset(&c->src);
	if (m->match_when) {
		int w = map_cond_eval(c, m->match_when, c->record);

		if (w <= 0)
			return w < 0 ? SGP_MAP_ERROR : SGP_MAP_NOMATCH;
	}
	parent_reset(pp);
	if ((kind == SGP_LINE_EVENT ? parent_of_event(c, input, pp) :
				      parent_of_plain(c, type, pp)) < 0)
		return SGP_MAP_ERROR;
	if (kind == SGP_LINE_PLAIN && m->uses_event)
		synth_event(c, type, pp);
	map_sha256_hex(c, pp->key.data, pp->key.len, khex);

	sgp_buf_reset(&c->evs);
	for (i = 0; i < m->nemits; i++) {
		int rc = emit_one(c, &m->emits[i], pp, khex);

		if (rc < 0)
			failed = 1;
		else
			nev += (size_t)rc;
	}
	c->type = NULL;
	c->event = NULL;
	if (c->synth) {
		json_decref(c->synth);
		c->synth = NULL;
	}
	if (failed || c->nerrs)
		return SGP_MAP_ERROR;
	put(out, c->evs.data ? c->evs.data : "", c->evs.len);
	if (nevents)
		*nevents = nev;
	return SGP_MAP_DONE;
}

/* ---- does a mapping use event: pointers? -------------------------------- */

static int ptr_ev(const struct map_ptr *p)
{
	return p->scope == SC_EVENT;
}

static int cond_ev(const struct map_cond *k)
{
	size_t i;

	if (k == NULL)
		return 0;
	if (k->kind == MC_LEAF && ptr_ev(&k->ptr))
		return 1;
	for (i = 0; i < k->nkids; i++)
		if (cond_ev(&k->kids[i]))
			return 1;
	return 0;
}

static int rule_ev(const struct map_rule *r)
{
	size_t i;

	if (r == NULL)
		return 0;
	for (i = 0; i < r->nfrom; i++)
		if (ptr_ev(&r->from[i]))
			return 1;
	for (i = 0; i < r->tpl.nseg; i++)
		if (!r->tpl.seg[i].lit && ptr_ev(&r->tpl.seg[i].ptr))
			return 1;
	for (i = 0; i < r->nparts; i++)
		if (r->parts[i].is_ptr && ptr_ev(&r->parts[i].ptr))
			return 1;
	if ((r->src == MS_EACH && ptr_ev(&r->each)) || (r->cur_ptr && ptr_ev(r->cur_ptr)) ||
	    cond_ev(r->where) || cond_ev(r->when) || cond_ev(r->test) || rule_ev(r->cur_rule))
		return 1;
	for (i = 0; i < r->nfields; i++)
		if (rule_ev(&r->fields[i]))
			return 1;
	return 0;
}

static int tsel_ev(const struct map_tsel *t)
{
	return t && (cond_ev(t->cond) || tsel_ev(t->then_) || tsel_ev(t->else_));
}

bool map_uses_event_scope(const sgp_mapping *m)
{
	size_t i;

	for (i = 0; i < m->nemits; i++) {
		const struct map_emit *e = &m->emits[i];

		if (tsel_ev(e->tsel) || cond_ev(e->when) || rule_ev(e->occurred_at) ||
		    rule_ev(e->correlation_id) || rule_ev(&e->data))
			return 1;
	}
	return cond_ev(m->match_when) || rule_ev(m->rec_id) || rule_ev(m->rec_rev);
}
