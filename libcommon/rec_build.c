/*
 * rec_build.c: one side of a reconciliation: reading NDJSON or CSV input
 * and reducing each line to a compact record (layout in reconcile.h), or
 * to an sgp.reject/1 line when it cannot take part.
 */
#include "reconcile.h"
#include "csvfile.h"
#include "envelope.h"
#include "log.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define SLOT_NONE (-1)
#define SLOT_COUNT (-2)   /* the #count pseudo-field */

struct rec_source {
	const struct rec_config *c;
	int side;
	enum rec_format fmt;
	char *name;
	uint64_t size, consumed;
	/* NDJSON */
	sgp_reader *r;
	rec_paths *ps;
	int slot_spec, slot_id, slot_corr, slot_time;
	int id_is_key;          /* the key is exactly the event id: store it once */
	/* CSV */
	sgp_csv *csv;
	size_t ncols;
	/* per key / field: pointer slot (NDJSON) or column (CSV) */
	long *key_at, *field_at, *cur_at;
	struct builder *main;    /* the calling thread's scratch */
	int started;             /* the first line has been asked for */
	struct reader *rd;       /* worker threads, when reading NDJSON with -j > 1 */
};

/* Scratch of one building thread. */
struct builder {
	const rec_source *s;
	rec_scanner *sc;
	struct rec_hit *hits;
	sgp_buf key;
	struct rec_value *vals;
	json_t *errors;
	const char *reason;
};

/* ---- small helpers ------------------------------------------------------ */

static int hexdigit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* "8-4-4-4-12" lower-case hex -> 16 bytes; -1 for anything else. */
static int pack_uuid(const char *s, size_t n, unsigned char out[16])
{
	size_t k = 0;

	if (n != 36)
		return -1;
	for (size_t i = 0; i < 36;) {
		int hi, lo;

		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return -1;
			i++;
			continue;
		}
		hi = hexdigit((unsigned char)s[i]);
		lo = hexdigit((unsigned char)s[i + 1]);
		if (hi < 0 || lo < 0 || i + 1 == 8 || i + 1 == 13 || i + 1 == 18 || i + 1 == 23)
			return -1;
		out[k++] = (unsigned char)(hi << 4 | lo);
		i += 2;
	}
	return 0;
}

size_t rec_corr_text(const char *r, size_t nfields, char buf[37], const char **out)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *u = (const unsigned char *)rec_corr(r, nfields);
	size_t k = 0;

	if (!(rec_flags(r) & REC_F_UUID)) {
		*out = (const char *)u;
		return rec_corrlen(r);
	}
	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			buf[k++] = '-';
		buf[k++] = hex[u[i] >> 4];
		buf[k++] = hex[u[i] & 15];
	}
	buf[k] = '\0';
	*out = buf;
	return 36;
}

uint64_t rec_hash(const char *key, size_t n, uint64_t seed)
{
	/* 64-bit multiply-xorshift over 8-byte words (keys are short). */
	const uint64_t m = 0x9E3779B97F4A7C15ULL;
	uint64_t h = seed * m ^ (uint64_t)n * 0xC2B2AE3D27D4EB4FULL;
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		uint64_t w;
		memcpy(&w, key + i, 8);
		h ^= w * m;
		h = (h << 29 | h >> 35) * 0xBF58476D1CE4E5B9ULL;
	}
	if (i < n) {
		uint64_t w = 0;
		memcpy(&w, key + i, n - i);
		h ^= w * m;
		h = (h << 29 | h >> 35) * 0xBF58476D1CE4E5B9ULL;
	}
	h ^= h >> 31;
	h *= 0x94D049BB133111EBULL;
	h ^= h >> 29;
	return h;
}

void rec_value_get(const char *r, size_t i, struct rec_value *v)
{
	const char *s = r + REC_HDR + i * REC_SLOT;
	uint16_t curlen;
	uint32_t off, len;
	__int128 coef;
	int64_t sec;
	int32_t nsec;

	v->status = (unsigned char)s[0];
	memcpy(&curlen, s + 2, 2);
	memcpy(&off, s + 4, 4);
	memcpy(&len, s + 8, 4);
	memcpy(&coef, s + 12, 16);
	memcpy(&sec, s + 12, 8);
	memcpy(&nsec, s + 20, 4);
	v->dec.coef = coef;
	v->dec.scale = (unsigned char)s[1];
	v->time.sec = sec;
	v->time.nsec = nsec;
	v->cur = r + off;
	v->curlen = curlen;
	v->text = r + off + curlen;
	v->textlen = len - curlen;
}

void rec_value_set_dec(char *r, size_t i, int status, sgp_dec d)
{
	char *s = r + REC_HDR + i * REC_SLOT;

	s[0] = (char)status;
	s[1] = (char)d.scale;
	memcpy(s + 12, &d.coef, 16);
}

static void add_error(struct builder *b, const char *reason, const char *path, const char *keyword,
		      const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void add_error(struct builder *b, const char *reason, const char *path, const char *keyword,
		      const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (b->errors == NULL)
		b->errors = json_array();
	json_array_append_new(b->errors, sgp_error_new(path, keyword, "%s", msg));
	if (b->reason == NULL)
		b->reason = reason;
}

/* Printable excerpt of a value for messages (bounded, not NUL-terminated input). */
static const char *excerpt(const char *p, size_t n, char buf[80])
{
	size_t k = n < 60 ? n : 60;

	memcpy(buf, p, k);
	buf[k] = '\0';
	if (k < n)
		memcpy(buf + k, "...", 4);
	return buf;
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * Append one normalised key component to b->key.  Returns 0, or -1 with
 * *why set.
 */
static int key_component(struct builder *b, const struct rec_key *k, const char *p, size_t n,
			 const char **why)
{
	char num[SGP_DEC_BUFSZ];
	uint32_t len;
	size_t at;

	if (k->trim) {
		while (n > 0 && is_blank(*p))
			p++, n--;
		while (n > 0 && is_blank(p[n - 1]))
			n--;
	}
	if (n == 0) {
		*why = "is empty";
		return -1;
	}
	if (k->type == REC_KEY_NUMBER) {
		sgp_dec d;
		int m;

		if (sgp_dec_parse_n(p, n, &d, NULL) < 0) {
			*why = "is not a number";
			return -1;
		}
		m = sgp_dec_format(sgp_dec_reduce(d), num, sizeof num);
		p = num;
		n = (size_t)m;
	}
	if (n > UINT32_MAX) {
		*why = "is too long";
		return -1;
	}
	len = (uint32_t)n;
	sgp_buf_add(&b->key, &len, 4);
	at = b->key.len;
	sgp_buf_add(&b->key, p, n);
	if (k->fold)
		for (size_t i = at; i < b->key.len; i++)
			if (b->key.data[i] >= 'A' && b->key.data[i] <= 'Z')
				b->key.data[i] = (char)(b->key.data[i] + 32);
	return 0;
}

/* ---- values --------------------------------------------------------------- */

enum vkind { VK_ABSENT, VK_TEXT, VK_OTHER };   /* what a raw value is */

static void value_money(struct builder *b, size_t i, enum vkind kind, const char *p, size_t n,
			enum vkind ckind, const char *cp, size_t cn)
{
	const struct rec_field *f = &b->s->c->fields[i];
	struct rec_value *v = &b->vals[i];
	int has_cur = f->type == REC_MONEY && f->currency[b->s->side] && ckind != VK_ABSENT;
	int cur_ok = has_cur && ckind == VK_TEXT && cn <= 64;
	const char *why;
	char ex[80];

	memset(v, 0, sizeof *v);
	if (cur_ok) {
		/* kept even without a readable amount: groups and reports use it */
		v->cur = cp;
		v->curlen = cn;
	}
	if (kind == VK_ABSENT)
		return;
	v->text = p;
	v->textlen = n;
	if (kind == VK_OTHER) {
		v->status = REC_V_INVALID;
		add_error(b, f->type == REC_MONEY ? "money" : "mapping", f->name[b->s->side],
			  f->type == REC_MONEY ? "money" : "number",
			  "%s is not a decimal number", excerpt(p, n, ex));
		return;
	}
	if (sgp_dec_parse_n(p, n, &v->dec, &why) < 0) {
		v->status = REC_V_INVALID;
		add_error(b, f->type == REC_MONEY ? "money" : "mapping", f->name[b->s->side],
			  f->type == REC_MONEY ? "money" : "number", "'%s': %s", excerpt(p, n, ex), why);
		return;
	}
	v->text = NULL;
	v->textlen = 0;
	v->status = REC_V_OK;
	if (has_cur && !cur_ok) {
		v->status = REC_V_INVALID;
		v->text = p;
		v->textlen = n;
		add_error(b, "money", f->currency[b->s->side], "money", "currency %s is not a currency code",
			  excerpt(cp, cn, ex));
	}
}

static void value_string(struct builder *b, size_t i, enum vkind kind, const char *p, size_t n)
{
	struct rec_value *v = &b->vals[i];

	memset(v, 0, sizeof *v);
	if (kind == VK_ABSENT)
		return;
	v->status = REC_V_OK;
	v->text = p;
	v->textlen = n;
}

static void value_time(struct builder *b, size_t i, enum vkind kind, const char *p, size_t n)
{
	const struct rec_field *f = &b->s->c->fields[i];
	struct rec_value *v = &b->vals[i];
	const char *why = "not a time";
	char ex[80];

	memset(v, 0, sizeof *v);
	if (kind == VK_ABSENT)
		return;
	if (kind == VK_TEXT && sgp_time_parse_any(p, n, &v->time, &why) == 0) {
		v->status = REC_V_OK;
		return;
	}
	v->status = REC_V_INVALID;
	v->text = p;
	v->textlen = n;
	add_error(b, "time", f->name[b->s->side], "time", "'%s': %s", excerpt(p, n, ex), why);
}

static void value_of(struct builder *b, size_t i, enum vkind kind, const char *p, size_t n,
		     enum vkind ckind, const char *cp, size_t cn)
{
	switch (b->s->c->fields[i].type) {
	case REC_MONEY:
	case REC_NUMBER:
		value_money(b, i, kind, p, n, ckind, cp, cn);
		break;
	case REC_STRING:
		value_string(b, i, kind, p, n);
		break;
	case REC_TIME:
		value_time(b, i, kind, p, n);
		break;
	}
}

/* ---- record assembly ---------------------------------------------------- */

static void assemble(struct builder *b, sgp_buf *rec, unsigned long long lineno, int flags,
		     const char *id, size_t idlen, const char *corr, size_t corrlen,
		     const sgp_time *t)
{
	size_t nf = b->s->c->nfields, hdr = REC_HDR + nf * REC_SLOT;
	size_t off, total;
	unsigned char uuid[16];
	char *r;

	if (corr && pack_uuid(corr, corrlen, uuid) == 0) {
		corr = (const char *)uuid;
		corrlen = 16;
		flags |= REC_F_UUID;
	}

	/* Variable parts first, to know the total size. */
	total = hdr + b->key.len + idlen + corrlen;
	for (size_t i = 0; i < nf; i++)
		total += b->vals[i].curlen + b->vals[i].textlen;
	sgp_buf_reset(rec);
	sgp_buf_grow(rec, total);
	r = rec->data;
	memset(r, 0, hdr);
	rec_put32(r, REC_O_LEN, (uint32_t)total);
	rec_put32(r, REC_O_HASH, (uint32_t)rec_hash(b->key.data, b->key.len, 0));
	rec_put64(r, REC_O_LINE, lineno);
	rec_put64(r, REC_O_COUNT, 1);
	rec_put32(r, REC_O_KEYLEN, (uint32_t)b->key.len);
	rec_put32(r, REC_O_IDLEN, (uint32_t)idlen);
	rec_put32(r, REC_O_CORRLEN, (uint32_t)corrlen);
	r[REC_O_SIDE] = (char)b->s->side;
	if (t) {
		flags |= REC_F_TIME;
		memcpy(r + REC_O_TSEC, &t->sec, 8);
		memcpy(r + REC_O_TNSEC, &t->nsec, 4);
	}
	r[REC_O_FLAGS] = (char)flags;
	off = hdr;
	memcpy(r + off, b->key.data, b->key.len);
	off += b->key.len;
	if (idlen)
		memcpy(r + off, id, idlen);
	off += idlen;
	if (corrlen)
		memcpy(r + off, corr, corrlen);
	off += corrlen;
	for (size_t i = 0; i < nf; i++) {
		const struct rec_value *v = &b->vals[i];
		char *slot = r + REC_HDR + i * REC_SLOT;
		uint16_t curlen = (uint16_t)v->curlen;
		uint32_t voff = (uint32_t)off, vlen = (uint32_t)(v->curlen + v->textlen);

		slot[0] = (char)v->status;
		memcpy(slot + 2, &curlen, 2);
		memcpy(slot + 4, &voff, 4);
		memcpy(slot + 8, &vlen, 4);
		if (b->s->c->fields[i].type == REC_TIME) {
			memcpy(slot + 12, &v->time.sec, 8);
			memcpy(slot + 20, &v->time.nsec, 4);
		} else {
			slot[1] = (char)v->dec.scale;
			memcpy(slot + 12, &v->dec.coef, 16);
		}
		if (v->curlen)
			memcpy(r + off, v->cur, v->curlen);
		off += v->curlen;
		if (v->textlen)
			memcpy(r + off, v->text, v->textlen);
		off += v->textlen;
	}
	rec->len = total;
}

static void reject_line(struct builder *b, sgp_buf *rej, unsigned long long lineno, const char *reason,
			const char *text, size_t len, int is_json, const json_t *event)
{
	struct sgp_reject r;

	memset(&r, 0, sizeof r);
	r.line = lineno;
	r.reason = reason;
	r.errors = b->errors;
	r.line_text = text;
	r.line_len = len;
	r.line_is_json = is_json;
	r.event = event;
	r.file = b->s->name;
	sgp_buf_reset(rej);
	sgp_reject_format(rej, &r);
}

static void clear_errors(struct builder *b)
{
	json_decref(b->errors);
	b->errors = NULL;
	b->reason = NULL;
}

/* ---- NDJSON ------------------------------------------------------------- */

static enum vkind hit_kind(const struct rec_hit *h)
{
	switch (h->type) {
	case REC_J_NONE:
	case REC_J_NULL:
		return VK_ABSENT;
	case REC_J_STRING:
	case REC_J_NUMBER:
		return VK_TEXT;
	default:
		return VK_OTHER;
	}
}

static enum rec_built build_ndjson(struct builder *b, const char *line, size_t len,
				   unsigned long long lineno, sgp_buf *rec, sgp_buf *rej)
{
	const struct rec_config *c = b->s->c;
	struct rec_hit *h = b->hits;
	sgp_line_error le;
	int event = 0, flags = 0;
	const char *id = NULL, *corr = NULL;
	size_t idlen = 0, corrlen = 0;
	sgp_time t, *tp = NULL;

	clear_errors(b);
	if (rec_scan(b->sc, line, len, h, &le) < 0) {
		add_error(b, "parse", "", "parse", "%s", le.message);
		reject_line(b, rej, lineno, "parse", line, len, 0, NULL);
		return REC_BUILT_REJECT;
	}
	if (h[b->s->slot_spec].type != REC_J_NONE) {
		const struct rec_hit *sp = &h[b->s->slot_spec];
		char ex[80];

		if (sp->type == REC_J_STRING && sp->n == 11 && memcmp(sp->p, SGP_SPEC_EVENT, 11) == 0) {
			event = 1;
		} else if (sp->type == REC_J_STRING && sp->n == 11 && memcmp(sp->p, SGP_SPEC_STATE, 11) == 0) {
			return REC_BUILT_IGNORED;
		} else {
			add_error(b, "parse", "/spec", "spec", "unknown spec %s%s%s: not a record to reconcile",
				  sp->type == REC_J_STRING ? "'" : "", excerpt(sp->p, sp->n, ex),
				  sp->type == REC_J_STRING ? "'" : "");
			reject_line(b, rej, lineno, "parse", line, len, 1, NULL);
			return REC_BUILT_REJECT;
		}
	}
	sgp_buf_reset(&b->key);
	for (size_t i = 0; i < c->nkeys; i++) {
		const struct rec_hit *kh = &h[b->s->key_at[i]];
		const char *why = NULL, *p = kh->p;
		size_t n = kh->n;

		switch (kh->type) {
		case REC_J_NONE: why = "is missing"; break;
		case REC_J_NULL: why = "is null"; break;
		case REC_J_OBJECT: why = "is an object, not a scalar"; break;
		case REC_J_ARRAY: why = "is an array, not a scalar"; break;
		default: break;
		}
		if (why == NULL)
			key_component(b, &c->keys[i], p, n, &why);
		if (why)
			add_error(b, "mapping", c->keys[i].name[b->s->side], "key", "key %s %s",
				  c->keys[i].name[b->s->side], why);
	}
	if (b->errors) {
		reject_line(b, rej, lineno, "mapping", line, len, 1, NULL);
		return REC_BUILT_REJECT;
	}
	for (size_t i = 0; i < c->nfields; i++) {
		long at = b->s->field_at[i], cat = b->s->cur_at[i];
		struct rec_hit none = { NULL, 0, REC_J_NONE };
		const struct rec_hit *vh = at >= 0 ? &h[at] : &none, *ch = cat >= 0 ? &h[cat] : &none;

		if (at == SLOT_COUNT) {
			memset(&b->vals[i], 0, sizeof b->vals[i]);
			b->vals[i].status = REC_V_OK;
			b->vals[i].dec.coef = 1;
			continue;
		}
		value_of(b, i, hit_kind(vh), vh->p, vh->n, hit_kind(ch), ch->p, ch->n);
	}
	if (event) {
		flags |= REC_F_EVENT;
		if (h[b->s->slot_id].type == REC_J_STRING && b->s->id_is_key)
			flags |= REC_F_IDKEY;
		else if (h[b->s->slot_id].type == REC_J_STRING) {
			id = h[b->s->slot_id].p;
			idlen = h[b->s->slot_id].n;
		}
		if (h[b->s->slot_corr].type == REC_J_STRING) {
			corr = h[b->s->slot_corr].p;
			corrlen = h[b->s->slot_corr].n;
		}
		if (h[b->s->slot_time].type == REC_J_STRING &&
		    sgp_time_parse_rfc3339(h[b->s->slot_time].p, h[b->s->slot_time].n, &t, NULL) == 0)
			tp = &t;
	}
	if (b->errors) {
		flags |= REC_F_INVALID;
		reject_line(b, rej, lineno, b->reason, line, len, 1, NULL);
	}
	assemble(b, rec, lineno, flags, id, idlen, corr, corrlen, tp);
	return REC_BUILT_RECORD;
}

/* ---- CSV ---------------------------------------------------------------- */

static json_t *csv_row_object(struct builder *b, char **fields, size_t n)
{
	json_t *o = json_object();

	for (size_t i = 0; i < n; i++) {
		const char *name = i < b->s->ncols ? sgp_csv_colname(b->s->csv, i) : NULL;
		char extra[32];

		if (name == NULL) {
			snprintf(extra, sizeof extra, "#%zu", i + 1);
			name = extra;
		}
		json_object_set_new(o, name, json_string(fields[i]));
	}
	return o;
}

static enum rec_built build_csv_row(struct builder *b, char **fields, size_t n,
				    unsigned long long lineno, sgp_buf *rec, sgp_buf *rej)
{
	const struct rec_config *c = b->s->c;
	enum rec_built ret = REC_BUILT_RECORD;
	json_t *row = NULL;
	int flags = 0;

	clear_errors(b);
	if (n != b->s->ncols) {
		add_error(b, "parse", "", "csv", "row has %zu field%s, the header has %zu", n,
			  n == 1 ? "" : "s", b->s->ncols);
		row = csv_row_object(b, fields, n);
		reject_line(b, rej, lineno, "parse", NULL, 0, 0, row);
		json_decref(row);
		return REC_BUILT_REJECT;
	}
	sgp_buf_reset(&b->key);
	for (size_t i = 0; i < c->nkeys; i++) {
		const char *why = NULL, *p = fields[b->s->key_at[i]];

		key_component(b, &c->keys[i], p, strlen(p), &why);
		if (why)
			add_error(b, "mapping", c->keys[i].name[b->s->side], "key", "key %s %s",
				  c->keys[i].name[b->s->side], why);
	}
	if (b->errors) {
		row = csv_row_object(b, fields, n);
		reject_line(b, rej, lineno, "mapping", NULL, 0, 0, row);
		json_decref(row);
		return REC_BUILT_REJECT;
	}
	for (size_t i = 0; i < c->nfields; i++) {
		long at = b->s->field_at[i], cat = b->s->cur_at[i];
		const char *p = at >= 0 ? fields[at] : "", *cp = cat >= 0 ? fields[cat] : "";
		size_t pn = strlen(p), cn = strlen(cp);

		if (at == SLOT_COUNT) {
			memset(&b->vals[i], 0, sizeof b->vals[i]);
			b->vals[i].status = REC_V_OK;
			b->vals[i].dec.coef = 1;
			continue;
		}
		value_of(b, i, pn ? VK_TEXT : VK_ABSENT, p, pn, cn ? VK_TEXT : VK_ABSENT, cp, cn);
	}
	if (b->errors) {
		flags |= REC_F_INVALID;
		row = csv_row_object(b, fields, n);
		reject_line(b, rej, lineno, b->reason, NULL, 0, 0, row);
		json_decref(row);
	}
	assemble(b, rec, lineno, flags, NULL, 0, NULL, 0, NULL);
	return ret;
}

enum rec_built rec_build_ndjson_line(rec_source *s, const char *line, size_t len,
				     unsigned long long lineno, sgp_buf *rec, sgp_buf *rej)
{
	return build_ndjson(s->main, line, len, lineno, rec, rej);
}

/* ---- sources ------------------------------------------------------------ */

static struct builder *builder_new(const rec_source *s)
{
	struct builder *b = xcalloc(1, sizeof *b);

	b->s = s;
	b->vals = xcalloc(s->c->nfields + 1, sizeof *b->vals);
	if (s->ps) {
		b->sc = rec_scanner_new(s->ps);
		b->hits = xcalloc(rec_paths_count(s->ps), sizeof *b->hits);
	}
	return b;
}

static void builder_free(struct builder *b)
{
	if (b == NULL)
		return;
	rec_scanner_free(b->sc);
	free(b->hits);
	free(b->vals);
	sgp_buf_release(&b->key);
	clear_errors(b);
	free(b);
}

static enum rec_format format_of(const struct rec_config *c, int side, const char *path)
{
	size_t n = strlen(path);

	if (c->format[side] != REC_FMT_AUTO)
		return c->format[side];
	if (n > 4 && strcasecmp(path + n - 4, ".csv") == 0)
		return REC_FMT_CSV;
	return REC_FMT_NDJSON;
}

static const char *side_name(int side)
{
	return side == REC_LEFT ? "left" : "right";
}

static int setup_ndjson(rec_source *s, char *err, size_t errlen)
{
	const struct rec_config *c = s->c;
	const char *why;
	int slot;

	s->ps = rec_paths_new();
	for (size_t i = 0; i < c->nkeys; i++) {
		slot = rec_paths_add(s->ps, c->keys[i].name[s->side], &why);
		if (slot < 0) {
			snprintf(err, errlen, "invalid key '%s' for %s NDJSON input '%s': %s",
				 c->keys[i].name[s->side], side_name(s->side), s->name, why);
			return -1;
		}
		s->key_at[i] = slot;
	}
	for (size_t i = 0; i < c->nfields; i++) {
		const char *nm = c->fields[i].name[s->side];

		s->cur_at[i] = SLOT_NONE;
		if (strcmp(nm, REC_COUNT_FIELD) == 0) {
			s->field_at[i] = SLOT_COUNT;
			continue;
		}
		slot = rec_paths_add(s->ps, nm, &why);
		if (slot < 0) {
			snprintf(err, errlen, "invalid field '%s' for %s NDJSON input '%s': %s", nm,
				 side_name(s->side), s->name, why);
			return -1;
		}
		s->field_at[i] = slot;
		if (c->fields[i].currency[s->side]) {
			slot = rec_paths_add(s->ps, c->fields[i].currency[s->side], &why);
			if (slot < 0) {
				snprintf(err, errlen, "invalid currency '%s' for %s NDJSON input '%s': %s",
					 c->fields[i].currency[s->side], side_name(s->side), s->name, why);
				return -1;
			}
			s->cur_at[i] = slot;
		}
	}
	s->slot_spec = rec_paths_add(s->ps, "/spec", &why);
	s->slot_id = rec_paths_add(s->ps, "/id", &why);
	s->slot_corr = rec_paths_add(s->ps, "/correlation_id", &why);
	s->slot_time = rec_paths_add(s->ps, "/occurred_at", &why);
	s->id_is_key = c->nkeys == 1 && c->keys[0].type == REC_KEY_STRING && !c->keys[0].fold &&
		       !c->keys[0].trim && strcmp(c->keys[0].name[s->side], "/id") == 0;
	return 0;
}

static int column(rec_source *s, const char *name, const char *what, long *out, char *err, size_t errlen)
{
	long col = sgp_csv_col(s->csv, name);

	if (col < 0) {
		snprintf(err, errlen, "%s column '%s' not in the header of '%s'", what, name, s->name);
		return -1;
	}
	*out = col;
	return 0;
}

static int setup_csv(rec_source *s, char *err, size_t errlen, int *status)
{
	const struct rec_config *c = s->c;

	if (sgp_csv_read_header(s->csv) < 0) {
		const char *e = sgp_csv_error(s->csv);
		/* An empty file has no header: nothing to name columns by. */
		*status = strstr(e, "read error") ? SGP_EXIT_SYSTEM : SGP_EXIT_USAGE;
		snprintf(err, errlen, "cannot read the CSV header of '%s': %s", s->name, e);
		return -1;
	}
	*status = SGP_EXIT_USAGE;
	s->ncols = sgp_csv_ncols(s->csv);
	for (size_t i = 0; i < c->nkeys; i++)
		if (column(s, c->keys[i].name[s->side], "key", &s->key_at[i], err, errlen) < 0)
			return -1;
	for (size_t i = 0; i < c->nfields; i++) {
		s->cur_at[i] = SLOT_NONE;
		if (strcmp(c->fields[i].name[s->side], REC_COUNT_FIELD) == 0)
			s->field_at[i] = SLOT_COUNT;
		else if (column(s, c->fields[i].name[s->side], "field", &s->field_at[i], err, errlen) < 0)
			return -1;
		if (c->fields[i].currency[s->side] &&
		    column(s, c->fields[i].currency[s->side], "currency", &s->cur_at[i], err, errlen) < 0)
			return -1;
	}
	return 0;
}

/* ---- reading NDJSON on worker threads ----------------------------------- */
/*
 * Workers take turns reading a batch of lines from the input (under the
 * lock), then build the batch's records in parallel.  The calling thread
 * takes finished batches strictly in sequence, so what it sees is exactly
 * what a single thread would produce.
 */

#define BATCH_LINES 1024
#define BATCH_BYTES (256 * 1024)

struct item {
	enum rec_built kind;
	size_t roff, rlen, joff, jlen;  /* record and reject bytes in the batch */
	uint64_t bytes;                 /* input bytes the line took */
};

struct batch {
	uint64_t seq;
	int done;
	sgp_buf raw;                    /* the lines, each NUL-terminated */
	size_t *off, *len;
	unsigned long long *lineno;
	size_t n, cap;
	struct item *items;
	sgp_buf recs, rejs, rec, rej;   /* outputs, and one line's scratch */
	size_t next;                    /* consumer's position */
	struct batch *link;
};

struct reader {
	rec_source *s;
	pthread_t *threads;
	struct builder **builders;
	int nthreads;
	pthread_mutex_t mu;
	pthread_cond_t cv_done, cv_space;
	uint64_t next_seq, want_seq;
	int inflight, max_inflight;
	int eof, error, stop;
	char errmsg[320];
	struct batch *free, *ready;     /* ready: finished batches, any order */
	struct batch *cur;              /* the consumer's batch */
};

static void batch_free(struct batch *b)
{
	sgp_buf_release(&b->raw);
	sgp_buf_release(&b->recs);
	sgp_buf_release(&b->rejs);
	sgp_buf_release(&b->rec);
	sgp_buf_release(&b->rej);
	free(b->off);
	free(b->len);
	free(b->lineno);
	free(b->items);
	free(b);
}

/* Fill b with lines; called with the lock held.  0, or -1 on a read error. */
static int batch_fill(struct reader *rd, struct batch *b)
{
	const char *line;
	size_t len;

	sgp_buf_reset(&b->raw);
	b->n = 0;
	while (b->n < BATCH_LINES && b->raw.len < BATCH_BYTES) {
		int rc = sgp_reader_next(rd->s->r, &line, &len);

		if (rc <= 0) {
			rd->eof = 1;
			if (rc < 0) {
				rd->error = 1;
				snprintf(rd->errmsg, sizeof rd->errmsg, "read error on '%s': %s",
					 rd->s->name, strerror(errno));
				return -1;
			}
			break;
		}
		if (b->n == b->cap) {
			b->cap = b->cap ? b->cap * 2 : 256;
			b->off = xreallocarray(b->off, b->cap, sizeof *b->off);
			b->len = xreallocarray(b->len, b->cap, sizeof *b->len);
			b->lineno = xreallocarray(b->lineno, b->cap, sizeof *b->lineno);
			b->items = xreallocarray(b->items, b->cap, sizeof *b->items);
		}
		b->off[b->n] = b->raw.len;
		b->len[b->n] = len;
		b->lineno[b->n] = sgp_reader_lineno(rd->s->r);
		sgp_buf_add(&b->raw, line, len);
		sgp_buf_addc(&b->raw, '\0');
		b->n++;
	}
	return 0;
}

static void batch_build(struct builder *bd, struct batch *b)
{
	sgp_buf_reset(&b->recs);
	sgp_buf_reset(&b->rejs);
	for (size_t i = 0; i < b->n; i++) {
		struct item *it = &b->items[i];

		it->kind = build_ndjson(bd, b->raw.data + b->off[i], b->len[i], b->lineno[i], &b->rec,
					&b->rej);
		it->bytes = b->len[i] + 1;
		it->roff = b->recs.len;
		it->joff = b->rejs.len;
		it->rlen = it->jlen = 0;
		if (it->kind == REC_BUILT_RECORD) {
			sgp_buf_add(&b->recs, b->rec.data, b->rec.len);
			it->rlen = b->rec.len;
		}
		if (it->kind == REC_BUILT_REJECT ||
		    (it->kind == REC_BUILT_RECORD && (rec_flags(b->rec.data) & REC_F_INVALID))) {
			sgp_buf_add(&b->rejs, b->rej.data, b->rej.len);
			it->jlen = b->rej.len;
		}
	}
}

struct worker_arg {
	struct reader *rd;
	struct builder *bd;
};

static void *worker(void *arg)
{
	struct reader *rd = ((struct worker_arg *)arg)->rd;
	struct builder *bd = ((struct worker_arg *)arg)->bd;

	free(arg);
	pthread_mutex_lock(&rd->mu);
	for (;;) {
		struct batch *b;

		while (!rd->stop && !rd->eof && rd->inflight >= rd->max_inflight)
			pthread_cond_wait(&rd->cv_space, &rd->mu);
		if (rd->stop || rd->eof)
			break;
		b = rd->free;
		if (b)
			rd->free = b->link;
		else
			b = xcalloc(1, sizeof *b);
		b->seq = rd->next_seq++;
		b->done = 0;
		b->next = 0;
		rd->inflight++;
		batch_fill(rd, b);
		pthread_mutex_unlock(&rd->mu);
		batch_build(bd, b);
		pthread_mutex_lock(&rd->mu);
		b->done = 1;
		b->link = rd->ready;
		rd->ready = b;
		pthread_cond_broadcast(&rd->cv_done);
	}
	/* Wake the consumer and the other workers: nothing more will come. */
	pthread_cond_broadcast(&rd->cv_done);
	pthread_cond_broadcast(&rd->cv_space);
	pthread_mutex_unlock(&rd->mu);
	return NULL;
}

static void reader_start(rec_source *s, int nthreads)
{
	struct reader *rd = xcalloc(1, sizeof *rd);

	rd->s = s;
	rd->nthreads = nthreads;
	rd->max_inflight = nthreads + 1;
	pthread_mutex_init(&rd->mu, NULL);
	pthread_cond_init(&rd->cv_done, NULL);
	pthread_cond_init(&rd->cv_space, NULL);
	rd->threads = xcalloc((size_t)nthreads, sizeof *rd->threads);
	rd->builders = xcalloc((size_t)nthreads, sizeof *rd->builders);
	json_object_seed(0);    /* before any thread makes a JSON object */
	sgp_log(SGP_LOG_DEBUG, "reading '%s' on %d threads", s->name, nthreads);
	for (int i = 0; i < nthreads; i++) {
		struct worker_arg *a = xmalloc(sizeof *a);
		int rc;

		rd->builders[i] = builder_new(s);
		a->rd = rd;
		a->bd = rd->builders[i];
		rc = pthread_create(&rd->threads[i], NULL, worker, a);
		if (rc != 0)
			sgp_die(SGP_EXIT_SYSTEM, "cannot start a thread: %s", strerror(rc));
	}
	s->rd = rd;
}

static void reader_stop(struct reader *rd)
{
	struct batch *b, *next;

	pthread_mutex_lock(&rd->mu);
	rd->stop = 1;
	pthread_cond_broadcast(&rd->cv_space);
	pthread_mutex_unlock(&rd->mu);
	for (int i = 0; i < rd->nthreads; i++) {
		pthread_join(rd->threads[i], NULL);
		builder_free(rd->builders[i]);
	}
	for (b = rd->free; b; b = next) {
		next = b->link;
		batch_free(b);
	}
	for (b = rd->ready; b; b = next) {
		next = b->link;
		batch_free(b);
	}
	if (rd->cur)
		batch_free(rd->cur);
	pthread_mutex_destroy(&rd->mu);
	pthread_cond_destroy(&rd->cv_done);
	pthread_cond_destroy(&rd->cv_space);
	free(rd->threads);
	free(rd->builders);
	free(rd);
}

/* The next batch in sequence, or NULL at the end (or after a read error). */
static struct batch *reader_take(struct reader *rd)
{
	struct batch *b = NULL;

	pthread_mutex_lock(&rd->mu);
	if (rd->cur) {
		rd->cur->link = rd->free;
		rd->free = rd->cur;
		rd->cur = NULL;
		rd->inflight--;
		pthread_cond_broadcast(&rd->cv_space);
	}
	for (;;) {
		struct batch **pp;

		for (pp = &rd->ready; *pp; pp = &(*pp)->link)
			if ((*pp)->seq == rd->want_seq)
				break;
		if (*pp) {
			b = *pp;
			*pp = b->link;
			rd->want_seq++;
			break;
		}
		if (rd->eof && rd->want_seq == rd->next_seq)
			break;
		pthread_cond_wait(&rd->cv_done, &rd->mu);
	}
	rd->cur = b;
	pthread_mutex_unlock(&rd->mu);
	return b;
}

static enum rec_built reader_next(rec_source *s, sgp_buf *rec, sgp_buf *rej, char *err, size_t errlen)
{
	struct reader *rd = s->rd;
	struct batch *b = rd->cur;
	struct item *it;

	while (b == NULL || b->next == b->n) {
		b = reader_take(rd);
		if (b == NULL) {
			if (rd->error) {
				snprintf(err, errlen, "%s", rd->errmsg);
				return REC_BUILT_ERROR;
			}
			return REC_BUILT_EOF;
		}
	}
	it = &b->items[b->next++];
	s->consumed += it->bytes;
	sgp_buf_reset(rec);
	sgp_buf_reset(rej);
	if (it->rlen)
		sgp_buf_add(rec, b->recs.data + it->roff, it->rlen);
	if (it->jlen)
		sgp_buf_add(rej, b->rejs.data + it->joff, it->jlen);
	return it->kind;
}

const char *rec_source_peek(const rec_source *s, size_t k)
{
	const struct batch *b;
	const struct item *it;

	if (s->rd == NULL || (b = s->rd->cur) == NULL || k == 0 || b->next + k - 1 >= b->n)
		return NULL;
	it = &b->items[b->next + k - 1];
	return it->rlen ? b->recs.data + it->roff : NULL;
}

/* ---- opening and reading ------------------------------------------------ */

rec_source *rec_source_open(const struct rec_config *c, int side, const char *path,
			    int *status, char *err, size_t errlen)
{
	rec_source *s = xcalloc(1, sizeof *s);
	struct stat st;

	s->c = c;
	s->side = side;
	s->fmt = format_of(c, side, path);
	s->name = xstrdup(path);
	s->key_at = xcalloc(c->nkeys + 1, sizeof *s->key_at);
	s->field_at = xcalloc(c->nfields + 1, sizeof *s->field_at);
	s->cur_at = xcalloc(c->nfields + 1, sizeof *s->cur_at);
	if (s->fmt == REC_FMT_CSV) {
		s->csv = sgp_csv_open(path);
		if (s->csv == NULL)
			goto sysfail;
	} else {
		*status = SGP_EXIT_USAGE;
		if (setup_ndjson(s, err, errlen) < 0)
			goto fail;
		s->r = sgp_reader_open(path);
		if (s->r == NULL)
			goto sysfail;
	}
	if ((strcmp(path, "-") == 0 ? fstat(0, &st) : stat(path, &st)) == 0 && S_ISREG(st.st_mode))
		s->size = (uint64_t)st.st_size;
	if (s->fmt == REC_FMT_CSV && setup_csv(s, err, errlen, status) < 0)
		goto fail;
	s->main = builder_new(s);
	return s;
sysfail:
	*status = SGP_EXIT_SYSTEM;
	snprintf(err, errlen, "cannot open '%s': %s", path, strerror(errno));
fail:
	rec_source_close(s);
	return NULL;
}

void rec_source_close(rec_source *s)
{
	if (s == NULL)
		return;
	if (s->rd)
		reader_stop(s->rd);
	builder_free(s->main);
	sgp_reader_close(s->r);
	sgp_csv_close(s->csv);
	rec_paths_free(s->ps);
	free(s->key_at);
	free(s->field_at);
	free(s->cur_at);
	free(s->name);
	free(s);
}

uint64_t rec_source_size(const rec_source *s)
{
	return s->size;
}

uint64_t rec_source_consumed(const rec_source *s)
{
	return s->consumed;
}

enum rec_built rec_source_next(rec_source *s, sgp_buf *rec, sgp_buf *rej, char *err, size_t errlen)
{
	if (s->r) {
		const char *line;
		size_t len;
		int rc;

		if (s->rd)
			return reader_next(s, rec, rej, err, errlen);
		if (!s->started) {
			/* Decided once, at the first line: threads or not. */
			int jobs = s->c->jobs > 0 ? s->c->jobs : sgp_ncpus();

			s->started = 1;
			if (jobs > 1) {
				reader_start(s, jobs > 8 ? 8 : jobs);
				return reader_next(s, rec, rej, err, errlen);
			}
		}
		rc = sgp_reader_next(s->r, &line, &len);
		if (rc < 0) {
			snprintf(err, errlen, "read error on '%s': %s", s->name, strerror(errno));
			return REC_BUILT_ERROR;
		}
		if (rc == 0)
			return REC_BUILT_EOF;
		s->consumed += len + 1;
		return build_ndjson(s->main, line, len, sgp_reader_lineno(s->r), rec, rej);
	} else {
		char **fields;
		size_t n;
		int rc = sgp_csv_next(s->csv, &fields, &n);

		if (rc == 0)
			return REC_BUILT_EOF;
		if (rc < 0) {
			const char *e = sgp_csv_error(s->csv);

			if (strstr(e, ": invalid UTF-8") == NULL) {
				/* Past a broken quote the rest of the file has no
				 * reliable records: stop rather than guess. */
				snprintf(err, errlen, "cannot read '%s': %s", s->name, e);
				return REC_BUILT_ERROR;
			}
			clear_errors(s->main);
			add_error(s->main, "parse", "", "csv", "%s", e);
			reject_line(s->main, rej, sgp_csv_line(s->csv), "parse", NULL, 0, 0, NULL);
			return REC_BUILT_REJECT;
		}
		for (size_t i = 0; i < n; i++)
			s->consumed += strlen(fields[i]) + 1;
		return build_csv_row(s->main, fields, n, sgp_csv_line(s->csv), rec, rej);
	}
}
