/*
 * reconcile.c: the reconciliation engine (see reconcile.h): matching,
 * comparison, aggregation, discrepancy output, partitioning under a memory
 * limit, and the summary.
 *
 * Processing is a sequence of "levels".  The root level reads the inputs
 * (left first, then right) and applies each record to an in-memory table:
 * left records are inserted (or folded into their group, or reported as
 * duplicates), right records are compared against the left table as they
 * stream by.  When the table would pass the memory budget, the level spills:
 * everything in the table goes, in insertion order and flagged as state, to
 * K partition files chosen by a hash of the key, and every later record
 * follows its key into its partition.  Each partition is then a level of
 * its own, read back from its file (and may spill again with another hash
 * seed).  Since every record of a key meets the same table in the same
 * order, the same discrepancies come out; each level writes them, tagged
 * with (section, line), to a sorted run file, and the runs are merged into
 * the output in the order a single in-memory pass produces.
 */
#include "reconcile.h"
#include "csvfile.h"
#include "currency.h"
#include "envelope.h"
#include "log.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 6       /* partition levels before giving up on the budget */
#define MIN_SPLIT 64      /* records a table holds at least before it spills */
#define MAX_PARTS 64
#define MERGE_WAY 128     /* runs merged at once */

enum section { SEC_LEFT = 0, SEC_RIGHT = 1, SEC_UNPAIRED = 2 };

enum dkind { D_NONE = 0, D_VALUE, D_CURRENCY, D_MISSING, D_INVALID, D_MIXED, D_OVERFLOW };

static const char *const dkind_name[] = {
	"", "value", "currency", "missing", "unreadable", "mixed", "overflow",
};

struct engine {
	const struct rec_config *c;
	size_t nf;
	struct rec_result *res;
	sgp_writer *out;
	rec_tmp *run;             /* where events go; NULL: straight to out */
	rec_tmp **runs;
	size_t nruns;
	size_t budget;            /* table bytes; 0: unlimited */
	size_t chunk;
	const char *tmpdir;
	sgp_time fallback;        /* occurred_at when no record has one */
	int left_done;            /* the left input has been read */
	rec_tmp *dups;            /* left duplicates met while reading the left input */
	sgp_buf ev, tmp, kt, dat; /* scratch */
	char *fname[2];           /* input names as valid UTF-8, for record references */
	int warned_budget;
	/* totals: open-addressing map of (field, currency) -> res->totals index */
	size_t *tmap;
	size_t tmapn;
};

struct level {
	rec_table *t;
	int depth;
	rec_tmp **parts;          /* after a spill */
	size_t nparts;
	uint64_t consumed, total; /* input bytes, for sizing a spill */
};

/* ---- small helpers ---------------------------------------------------- */

static uint64_t count_of(const char *r)
{
	return rec_u64(r, REC_O_COUNT);
}

static void set_flag(char *r, int f)
{
	r[REC_O_FLAGS] = (char)(rec_flags(r) | f);
}

/* The key components of a record, one at a time. */
struct keyit {
	const char *p, *end;
};

static int key_next(struct keyit *it, const char **s, size_t *n)
{
	uint32_t len;

	if (it->p >= it->end)
		return 0;
	memcpy(&len, it->p, 4);
	*s = it->p + 4;
	*n = len;
	it->p += 4 + len;
	return 1;
}

static struct keyit key_iter(const struct engine *e, const char *r)
{
	struct keyit it;

	it.p = rec_key(r, e->nf);
	it.end = it.p + rec_keylen(r);
	return it;
}

static int is_alnum_(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

/* An sgp event id (common/1 event_id: evt_ and 1 to 64 of A-Z a-z 0-9 _). */
static int valid_event_id(const char *s, size_t n)
{
	if (n < 5 || n > 68 || memcmp(s, "evt_", 4) != 0)
		return 0;
	for (size_t i = 4; i < n; i++)
		if (!is_alnum_((unsigned char)s[i]))
			return 0;
	return 1;
}

/* A correlation id (common/1 correlation_id). */
static int valid_corr(const char *s, size_t n)
{
	if (n < 1 || n > 128 || !is_alnum_((unsigned char)s[0]))
		return 0;
	for (size_t i = 1; i < n; i++)
		if (!is_alnum_((unsigned char)s[i]) && (s[i] == '\0' || !strchr(".:/#@+=-", s[i])))
			return 0;
	return 1;
}

/* The event id of a record: only an sgp.event/1 has one, and only a valid
 * event id is repeated in a discrepancy. */
static int record_id(const struct engine *e, const char *r, const char **s, size_t *n)
{
	if (rec_flags(r) & REC_F_IDKEY) {
		struct keyit it = key_iter(e, r);
		if (!key_next(&it, s, n))
			return 0;
	} else {
		*s = rec_id(r, e->nf);
		*n = rec_idlen(r);
	}
	return *n > 0 && valid_event_id(*s, *n);
}

/* The correlation id of a record, when it has a valid one. */
static size_t record_corr(const struct engine *e, const char *r, char ubuf[37], const char **out)
{
	size_t n;

	if (!rec_corrlen(r))
		return 0;
	n = rec_corr_text(r, e->nf, ubuf, out);
	return valid_corr(*out, n) ? n : 0;
}

static int record_time(const char *r, sgp_time *t)
{
	if (!(rec_flags(r) & REC_F_TIME))
		return 0;
	memcpy(&t->sec, r + REC_O_TSEC, 8);
	memcpy(&t->nsec, r + REC_O_TNSEC, 4);
	return 1;
}

/* The key as text for idempotency keys: components joined by ':', every
 * byte outside '!'..'~' and the bytes '%', ':' and '#' written %XX, so the
 * text is printable ASCII without spaces. */
static void key_text(const struct engine *e, const char *r, sgp_buf *b)
{
	static const char hex[] = "0123456789ABCDEF";
	struct keyit it = key_iter(e, r);
	const char *s;
	size_t n;
	int first = 1;

	while (key_next(&it, &s, &n)) {
		if (!first)
			sgp_buf_addc(b, ':');
		first = 0;
		for (size_t i = 0; i < n; i++) {
			unsigned char c = (unsigned char)s[i];

			if (c < '!' || c > '~' || c == '%' || c == ':' || c == '#') {
				sgp_buf_addc(b, '%');
				sgp_buf_addc(b, hex[c >> 4]);
				sgp_buf_addc(b, hex[c & 15]);
			} else {
				sgp_buf_addc(b, (char)c);
			}
		}
	}
}

/* A copy of s that is valid UTF-8: each invalid byte becomes U+FFFD. */
static char *utf8_copy(const char *s)
{
	sgp_buf b = SGP_BUF_INIT;
	size_t n = strlen(s);
	long bad;

	sgp_buf_grow(&b, n + 1);
	while ((bad = sgp_utf8_check(s, n)) >= 0) {
		sgp_buf_add(&b, s, (size_t)bad);
		sgp_buf_adds(&b, "\xEF\xBF\xBD");
		s += bad + 1;
		n -= (size_t)bad + 1;
	}
	sgp_buf_add(&b, s, n);
	return sgp_buf_detach(&b, NULL);
}

static void add_dec(sgp_buf *b, sgp_dec d)
{
	sgp_dec_buf_add(b, d);
}

static void add_time(sgp_buf *b, sgp_time t)
{
	if (sgp_time_buf_add(b, t) < 0)
		sgp_buf_addf(b, "%lld", (long long)t.sec);
}

static void add_str(sgp_buf *b, const char *s, size_t n)
{
	sgp_buf_add_json_string(b, s, n);
}

/* ---- emitting --------------------------------------------------------- */

static void emit(struct engine *e, int section, uint64_t line, const char *text, size_t len)
{
	if (e->run) {
		unsigned char sec = (unsigned char)section;
		uint32_t n = (uint32_t)len;

		rec_tmp_write(e->run, &sec, 1);
		rec_tmp_write(e->run, &line, 8);
		rec_tmp_write(e->run, &n, 4);
		rec_tmp_write(e->run, text, len);
	} else {
		sgp_writer_write(e->out, text, len);
	}
}

/* ---- rendering values ------------------------------------------------- */

/* A readable money amount as reported: with at least its currency's minor
 * digits when the currency is an ISO 4217 code (12.5 USD is 12.50), never
 * with fewer digits than it has; other values as they are. */
static sgp_dec shown_dec(const struct rec_field *f, const struct rec_value *v)
{
	const struct sgp_currency *cu;
	sgp_dec w;

	if (f->type != REC_MONEY || v->curlen == 0)
		return v->dec;
	cu = sgp_currency_lookup_n(v->cur, v->curlen);
	if (cu && cu->exponent > v->dec.scale &&
	    sgp_dec_rescale(v->dec, cu->exponent, SGP_ROUND_UNNECESSARY, &w) == 0)
		return w;
	return v->dec;
}

/* A value as JSON: see the man page for the shapes. */
static void value_json(const struct engine *e, size_t i, const struct rec_value *v, sgp_buf *b)
{
	const struct rec_field *f = &e->c->fields[i];

	switch (v->status) {
	case REC_V_MISSING:
		sgp_buf_adds(b, "null");
		return;
	case REC_V_INVALID:
		sgp_buf_adds(b, "{\"unreadable\":");
		add_str(b, v->text, v->textlen);
		sgp_buf_addc(b, '}');
		return;
	case REC_V_BADLINE:
		sgp_buf_adds(b, "{\"unreadable\":null}");
		return;
	case REC_V_MIXED:
		sgp_buf_adds(b, "{\"mixed\":true}");
		return;
	case REC_V_OVERFLOW:
		sgp_buf_adds(b, "{\"overflow\":true}");
		return;
	}
	switch (f->type) {
	case REC_MONEY:
		sgp_buf_adds(b, "{\"amount\":\"");
		add_dec(b, shown_dec(f, v));
		sgp_buf_addc(b, '"');
		if (f->currency[0] || f->currency[1]) {
			sgp_buf_adds(b, ",\"currency\":");
			if (v->curlen)
				add_str(b, v->cur, v->curlen);
			else
				sgp_buf_adds(b, "null");
		}
		sgp_buf_addc(b, '}');
		break;
	case REC_NUMBER:
		sgp_buf_addc(b, '"');
		add_dec(b, v->dec);
		sgp_buf_addc(b, '"');
		break;
	case REC_STRING:
		add_str(b, v->text, v->textlen);
		break;
	case REC_TIME:
		sgp_buf_addc(b, '"');
		add_time(b, v->time);
		sgp_buf_addc(b, '"');
		break;
	}
}

/* A value as CSV text (amount only; the currency has its own column). */
static void value_text(const struct engine *e, size_t i, const struct rec_value *v, sgp_buf *b)
{
	switch (v->status) {
	case REC_V_MISSING:
		return;
	case REC_V_INVALID:
		sgp_buf_add(b, v->text, v->textlen);
		return;
	case REC_V_BADLINE:
		sgp_buf_adds(b, "(unreadable line)");
		return;
	case REC_V_MIXED:
		sgp_buf_adds(b, "(mixed)");
		return;
	case REC_V_OVERFLOW:
		sgp_buf_adds(b, "(overflow)");
		return;
	}
	switch (e->c->fields[i].type) {
	case REC_MONEY:
	case REC_NUMBER:
		add_dec(b, shown_dec(&e->c->fields[i], v));
		break;
	case REC_STRING:
		sgp_buf_add(b, v->text, v->textlen);
		break;
	case REC_TIME:
		add_time(b, v->time);
		break;
	}
}

static const char *ftype_name(enum rec_ftype t)
{
	static const char *const names[] = { "money", "number", "string", "time" };
	return names[t];
}

/* ---- comparing -------------------------------------------------------- */

static void trimmed(const char **p, size_t *n)
{
	while (*n > 0 && (**p == ' ' || **p == '\t'))
		(*p)++, (*n)--;
	while (*n > 0 && ((*p)[*n - 1] == ' ' || (*p)[*n - 1] == '\t'))
		(*n)--;
}

static int text_equal(const struct rec_field *f, const char *a, size_t an, const char *b, size_t bn)
{
	if (f->trim) {
		trimmed(&a, &an);
		trimmed(&b, &bn);
	}
	if (an != bn)
		return 0;
	if (!f->fold)
		return memcmp(a, b, an) == 0;
	for (size_t i = 0; i < an; i++) {
		int x = (unsigned char)a[i], y = (unsigned char)b[i];
		if (x >= 'A' && x <= 'Z')
			x += 32;
		if (y >= 'A' && y <= 'Z')
			y += 32;
		if (x != y)
			return 0;
	}
	return 1;
}

/* Compare field i of two records; *tol is set when equal only within tolerance. */
static enum dkind compare_field(const struct engine *e, size_t i, const struct rec_value *l,
				const struct rec_value *r, int *tol)
{
	const struct rec_field *f = &e->c->fields[i];

	if (l->status == REC_V_MISSING && r->status == REC_V_MISSING)
		return D_NONE;
	if (l->status == REC_V_MIXED || r->status == REC_V_MIXED)
		return D_MIXED;
	if (l->status == REC_V_OVERFLOW || r->status == REC_V_OVERFLOW)
		return D_OVERFLOW;
	if (l->status == REC_V_BADLINE || r->status == REC_V_BADLINE)
		return D_INVALID;
	if (l->status == REC_V_MISSING || r->status == REC_V_MISSING)
		return D_MISSING;
	if (l->status == REC_V_INVALID || r->status == REC_V_INVALID) {
		/* Unreadable on both sides and byte for byte the same: they agree. */
		if (l->status == r->status && l->textlen == r->textlen &&
		    memcmp(l->text, r->text, l->textlen) == 0)
			return D_NONE;
		return D_INVALID;
	}
	switch (f->type) {
	case REC_MONEY:
		if ((f->currency[0] || f->currency[1]) &&
		    (l->curlen != r->curlen || memcmp(l->cur, r->cur, l->curlen) != 0))
			return D_CURRENCY;
		/* fall through */
	case REC_NUMBER:
		if (sgp_dec_cmp(l->dec, r->dec) == 0)
			return D_NONE;
		if (sgp_dec_within(l->dec, r->dec, f->abs_tol, f->rel_tol) == 1) {
			*tol = 1;
			return D_NONE;
		}
		return D_VALUE;
	case REC_STRING:
		return text_equal(f, l->text, l->textlen, r->text, r->textlen) ? D_NONE : D_VALUE;
	case REC_TIME: {
		__int128 dl = (__int128)l->time.sec * 1000000000 + l->time.nsec;
		__int128 dr = (__int128)r->time.sec * 1000000000 + r->time.nsec;
		__int128 d = dl > dr ? dl - dr : dr - dl;

		if (d == 0)
			return D_NONE;
		if (d <= f->drift_ns) {
			*tol = 1;
			return D_NONE;
		}
		return D_VALUE;
	}
	}
	return D_VALUE;
}

/* ---- discrepancy events ----------------------------------------------- */

static const char *const kind_name[] = {
	"missing_left", "missing_right", "mismatch", "duplicate_key",
};
enum kind { K_MISSING_LEFT, K_MISSING_RIGHT, K_MISMATCH, K_DUPLICATE };

struct disc {
	enum kind kind;
	const char *rec[2];       /* the records involved (either may be NULL) */
	int dup_side;             /* K_DUPLICATE: side of rec[dup_side] */
	uint64_t first_line;      /* K_DUPLICATE: line of the record kept */
	enum dkind dk[64];        /* K_MISMATCH: per field (first 64 fields) */
	enum dkind *dkv;
};

/* The record a discrepancy is about: the left one of a pair. */
static const char *disc_anchor(const struct disc *d)
{
	return d->kind == K_MISSING_LEFT ? d->rec[REC_RIGHT]
	     : d->kind == K_DUPLICATE ? d->rec[d->dup_side] : d->rec[REC_LEFT];
}

/* A record reference (common/1 record_ref): file, line, count on an
 * aggregated side, event id, correlation id and, with values, the compared
 * values by that side's field names. */
static void side_json(struct engine *e, int side, const char *r, int values, sgp_buf *b)
{
	const char *id;
	size_t idn;
	char ubuf[37];
	const char *cs;
	size_t cn;

	sgp_buf_adds(b, "{\"file\":");
	add_str(b, e->fname[side], strlen(e->fname[side]));
	sgp_buf_addf(b, ",\"line\":%llu", (unsigned long long)rec_u64(r, REC_O_LINE));
	if (e->c->aggregate[side])
		sgp_buf_addf(b, ",\"count\":%llu", (unsigned long long)count_of(r));
	if (record_id(e, r, &id, &idn)) {
		sgp_buf_adds(b, ",\"id\":");
		add_str(b, id, idn);
	}
	if ((cn = record_corr(e, r, ubuf, &cs)) > 0) {
		sgp_buf_adds(b, ",\"correlation_id\":");
		add_str(b, cs, cn);
	}
	if (values && e->nf > 0 && !(rec_flags(r) & REC_F_MARKER)) {
		sgp_buf_adds(b, ",\"values\":{");
		for (size_t i = 0; i < e->nf; i++) {
			struct rec_value v;

			rec_value_get(r, i, &v);
			if (i)
				sgp_buf_addc(b, ',');
			add_str(b, e->c->fields[i].name[side], strlen(e->c->fields[i].name[side]));
			sgp_buf_addc(b, ':');
			value_json(e, i, &v, b);
		}
		sgp_buf_addc(b, '}');
	}
	sgp_buf_addc(b, '}');
}

/*
 * The difference left - right of two readable values of a money, number or
 * time field (seconds for times), as reported.  Returns 1 with *out set,
 * 0 when the field has no difference (a string, a value that is not
 * readable, money in two currencies), -1 when it needs more than 38 digits.
 */
static int difference(const struct engine *e, size_t i, const struct rec_value *l,
		      const struct rec_value *r, sgp_dec *out)
{
	const struct rec_field *f = &e->c->fields[i];

	if (l->status != REC_V_OK || r->status != REC_V_OK)
		return 0;
	if (f->type == REC_MONEY || f->type == REC_NUMBER) {
		if (f->type == REC_MONEY && (l->curlen != r->curlen ||
					     memcmp(l->cur, r->cur, l->curlen) != 0))
			return 0;
		return sgp_dec_sub(shown_dec(f, l), shown_dec(f, r), out) < 0 ? -1 : 1;
	}
	if (f->type == REC_TIME) {
		__int128 dl = (__int128)l->time.sec * 1000000000 + l->time.nsec;
		__int128 dr = (__int128)r->time.sec * 1000000000 + r->time.nsec;
		sgp_dec d = { dl - dr, 9 };

		*out = sgp_dec_reduce(d);
		return 1;
	}
	return 0;
}

/* The business flow of a discrepancy: the left record's correlation id,
 * else the anchor's, else the right's; 0 when none has a valid one. */
static size_t disc_corr(const struct engine *e, const struct disc *d, char ubuf[37], const char **out)
{
	const char *order[3] = { d->kind == K_DUPLICATE ? NULL : d->rec[REC_LEFT], disc_anchor(d),
				 d->rec[REC_RIGHT] };
	size_t n;

	for (int k = 0; k < 3; k++)
		if (order[k] && (n = record_corr(e, order[k], ubuf, out)) > 0)
			return n;
	return 0;
}

/* data.fields of a mismatch: every differing field. */
static void fields_json(struct engine *e, const struct disc *d, sgp_buf *b)
{
	int first = 1;

	sgp_buf_addc(b, '[');
	for (size_t i = 0; i < e->nf; i++) {
		const struct rec_field *f = &e->c->fields[i];
		struct rec_value lv, rv;
		sgp_dec diff;

		if (d->dkv[i] == D_NONE)
			continue;
		rec_value_get(d->rec[REC_LEFT], i, &lv);
		rec_value_get(d->rec[REC_RIGHT], i, &rv);
		if (!first)
			sgp_buf_addc(b, ',');
		first = 0;
		sgp_buf_adds(b, "{\"field\":");
		add_str(b, f->name[0], strlen(f->name[0]));
		sgp_buf_adds(b, ",\"right_field\":");
		add_str(b, f->name[1], strlen(f->name[1]));
		sgp_buf_adds(b, ",\"type\":\"");
		sgp_buf_adds(b, ftype_name(f->type));
		sgp_buf_adds(b, "\",\"kind\":\"");
		sgp_buf_adds(b, dkind_name[d->dkv[i]]);
		sgp_buf_adds(b, "\",\"left\":");
		value_json(e, i, &lv, b);
		sgp_buf_adds(b, ",\"right\":");
		value_json(e, i, &rv, b);
		if (d->dkv[i] == D_VALUE && difference(e, i, &lv, &rv, &diff) > 0) {
			sgp_buf_adds(b, ",\"difference\":\"");
			add_dec(b, diff);
			sgp_buf_addc(b, '"');
		}
		sgp_buf_addc(b, '}');
	}
	sgp_buf_addc(b, ']');
}

/*
 * The idempotency key of a discrepancy, into e->tmp:
 *   sgp:reconcile:NAME:KIND:KEY                       missing_left, missing_right
 *   sgp:reconcile:NAME:mismatch:KEY:DIGEST            DIGEST: 16 hex digits of the
 *                                                     SHA-256 of data.fields
 *   sgp:reconcile:NAME:duplicate_key:SIDE:KEY:LINE
 * KEY is key_text(); when the whole would pass the 256 characters an
 * idempotency key may have, KEY is '#' and 32 hex digits of its SHA-256.
 */
static void idempotency_key(struct engine *e, const struct disc *d, const char *fields,
			    size_t fieldslen)
{
	const char *anchor = disc_anchor(d);
	char tail[80], hex[65];
	size_t head;

	tail[0] = '\0';
	if (d->kind == K_MISMATCH) {
		sgp_sha256_hex(fields, fieldslen, hex);
		snprintf(tail, sizeof tail, ":%.16s", hex);
	} else if (d->kind == K_DUPLICATE) {
		snprintf(tail, sizeof tail, ":%llu", (unsigned long long)rec_u64(anchor, REC_O_LINE));
	}
	sgp_buf_reset(&e->kt);
	key_text(e, anchor, &e->kt);
	sgp_buf_reset(&e->tmp);
	sgp_buf_adds(&e->tmp, "sgp:reconcile:");
	sgp_buf_adds(&e->tmp, e->c->name ? e->c->name : REC_DEFAULT_NAME);
	sgp_buf_addc(&e->tmp, ':');
	sgp_buf_adds(&e->tmp, kind_name[d->kind]);
	sgp_buf_addc(&e->tmp, ':');
	if (d->kind == K_DUPLICATE)
		sgp_buf_adds(&e->tmp, d->dup_side == REC_LEFT ? "left:" : "right:");
	head = e->tmp.len;
	if (head + e->kt.len + strlen(tail) <= 256) {
		sgp_buf_add(&e->tmp, e->kt.data, e->kt.len);
	} else {
		sgp_sha256_hex(e->kt.data, e->kt.len, hex);
		sgp_buf_addf(&e->tmp, "#%.32s", hex);
	}
	sgp_buf_adds(&e->tmp, tail);
}

static void event_json(struct engine *e, const struct disc *d, sgp_buf *b)
{
	const char *anchor = disc_anchor(d);
	const char *cause = anchor;
	const char *name = e->c->name ? e->c->name : REC_DEFAULT_NAME;
	char evid[SGP_EVENT_ID_SIZE];
	const char *s;
	size_t n, fields_at = 0, fields_len = 0;
	sgp_time t, t2;
	int have_t = 0;

	/* data first: a mismatch's idempotency key digests its fields */
	sgp_buf_reset(&e->dat);
	sgp_buf_adds(&e->dat, "{\"key\":[");
	{
		struct keyit it = key_iter(e, anchor);
		int first = 1;

		while (key_next(&it, &s, &n)) {
			if (!first)
				sgp_buf_addc(&e->dat, ',');
			first = 0;
			add_str(&e->dat, s, n);
		}
	}
	sgp_buf_addc(&e->dat, ']');
	switch (d->kind) {
	case K_MISSING_LEFT:
		sgp_buf_adds(&e->dat, ",\"right\":");
		side_json(e, REC_RIGHT, d->rec[REC_RIGHT], 1, &e->dat);
		break;
	case K_MISSING_RIGHT:
		sgp_buf_adds(&e->dat, ",\"left\":");
		side_json(e, REC_LEFT, d->rec[REC_LEFT], 1, &e->dat);
		break;
	case K_DUPLICATE:
		sgp_buf_adds(&e->dat, d->dup_side == REC_LEFT ? ",\"side\":\"left\",\"record\":"
							      : ",\"side\":\"right\",\"record\":");
		side_json(e, d->dup_side, d->rec[d->dup_side], 1, &e->dat);
		sgp_buf_addf(&e->dat, ",\"first_line\":%llu", (unsigned long long)d->first_line);
		break;
	case K_MISMATCH:
		sgp_buf_adds(&e->dat, ",\"left\":");
		side_json(e, REC_LEFT, d->rec[REC_LEFT], 0, &e->dat);
		sgp_buf_adds(&e->dat, ",\"right\":");
		side_json(e, REC_RIGHT, d->rec[REC_RIGHT], 0, &e->dat);
		sgp_buf_adds(&e->dat, ",\"fields\":");
		fields_at = e->dat.len;
		fields_json(e, d, &e->dat);
		fields_len = e->dat.len - fields_at;
		break;
	}
	sgp_buf_addc(&e->dat, '}');

	idempotency_key(e, d, e->dat.data + fields_at, fields_len);
	sgp_event_id_from_key(evid, e->tmp.data);

	/* occurred_at: --as-of, else the source's business time, else the fallback */
	if (e->c->has_as_of) {
		t = e->c->as_of;
		have_t = 1;
	} else {
		for (int side = 0; side < 2; side++)
			if (d->rec[side] && record_time(d->rec[side], &t2) &&
			    (!have_t || sgp_time_cmp(t2, t) > 0)) {
				t = t2;
				have_t = 1;
			}
		if (!have_t)
			t = e->fallback;
	}

	sgp_buf_adds(b, "{\"spec\":\"sgp.event/1\",\"id\":\"");
	sgp_buf_adds(b, evid);
	sgp_buf_adds(b, "\",\"type\":\"reconcile.");
	sgp_buf_adds(b, kind_name[d->kind]);
	sgp_buf_adds(b, "\",\"occurred_at\":\"");
	add_time(b, t);
	sgp_buf_adds(b, "\",\"source\":{\"system\":\"sgp\",\"object\":\"reconcile\",\"id\":");
	add_str(b, name, strlen(name));
	sgp_buf_adds(b, "},\"correlation_id\":");
	{
		char ubuf[37];
		const char *cs;
		size_t cn = disc_corr(e, d, ubuf, &cs);

		if (cn) {
			add_str(b, cs, cn);
		} else {
			sgp_buf_addc(b, '"');
			sgp_buf_adds(b, evid);
			sgp_buf_addc(b, '"');
		}
	}
	if (d->kind == K_MISMATCH && !record_id(e, cause, &s, &n))
		cause = d->rec[REC_RIGHT];
	if (record_id(e, cause, &s, &n)) {
		sgp_buf_adds(b, ",\"causation_id\":");
		add_str(b, s, n);
	}
	sgp_buf_adds(b, ",\"idempotency_key\":");
	add_str(b, e->tmp.data, e->tmp.len);
	sgp_buf_adds(b, ",\"schema\":\"reconcile.");
	sgp_buf_adds(b, kind_name[d->kind]);
	sgp_buf_adds(b, "/1\",\"data\":");
	sgp_buf_add(b, e->dat.data, e->dat.len);
	sgp_buf_adds(b, "}\n");
}

/* CSV: one row per field (per differing field for a mismatch). */
static void csv_cell(sgp_buf *b, const char *s, size_t n, int first)
{
	char *z = xstrndup(s, n);

	if (!first)
		sgp_buf_addc(b, ',');
	sgp_csv_add_field(b, z);
	free(z);
}

static void csv_row(struct engine *e, const struct disc *d, long field, enum dkind dk, sgp_buf *b)
{
	const char *anchor = disc_anchor(d);
	const char *sides[2] = { d->rec[REC_LEFT], d->rec[REC_RIGHT] };
	struct keyit it = key_iter(e, anchor);
	const struct rec_field *f = field >= 0 ? &e->c->fields[field] : NULL;
	const char *s;
	size_t n;

	if (d->kind == K_DUPLICATE) {
		sides[0] = sides[1] = NULL;
		sides[d->dup_side] = d->rec[d->dup_side];
	}
	csv_cell(b, kind_name[d->kind], strlen(kind_name[d->kind]), 1);
	while (key_next(&it, &s, &n))
		csv_cell(b, s, n, 0);
	csv_cell(b, f ? f->name[0] : "", f ? strlen(f->name[0]) : 0, 0);
	csv_cell(b, f ? f->name[1] : "", f ? strlen(f->name[1]) : 0, 0);
	csv_cell(b, f ? ftype_name(f->type) : "", f ? strlen(ftype_name(f->type)) : 0, 0);
	csv_cell(b, dkind_name[dk], strlen(dkind_name[dk]), 0);
	{
		struct rec_value v[2];
		sgp_dec diff;

		for (int side = 0; side < 2; side++) {
			memset(&v[side], 0, sizeof v[side]);
			if (f && sides[side] && !(rec_flags(sides[side]) & REC_F_MARKER))
				rec_value_get(sides[side], (size_t)field, &v[side]);
			sgp_buf_reset(&e->tmp);
			if (f && sides[side])
				value_text(e, (size_t)field, &v[side], &e->tmp);
			csv_cell(b, e->tmp.data ? e->tmp.data : "", e->tmp.len, 0);
			if (f && f->type == REC_MONEY)
				csv_cell(b, v[side].cur ? v[side].cur : "", v[side].curlen, 0);
			else
				csv_cell(b, "", 0, 0);
		}
		sgp_buf_reset(&e->tmp);
		if (f && dk == D_VALUE && sides[0] && sides[1] &&
		    difference(e, (size_t)field, &v[0], &v[1], &diff) > 0)
			add_dec(&e->tmp, diff);
		csv_cell(b, e->tmp.data ? e->tmp.data : "", e->tmp.len, 0);
	}
	for (int side = 0; side < 2; side++) {
		if (sides[side])
			sgp_buf_addf(b, ",%llu", (unsigned long long)rec_u64(sides[side], REC_O_LINE));
		else
			sgp_buf_addc(b, ',');
	}
	for (int side = 0; side < 2; side++) {
		if (sides[side])
			sgp_buf_addf(b, ",%llu", (unsigned long long)count_of(sides[side]));
		else
			sgp_buf_addc(b, ',');
	}
	for (int side = 0; side < 2; side++) {
		if (sides[side] && record_id(e, sides[side], &s, &n))
			csv_cell(b, s, n, 0);
		else
			csv_cell(b, "", 0, 0);
	}
	{
		char ubuf[37];
		const char *cs = "";
		size_t cn = disc_corr(e, d, ubuf, &cs);

		csv_cell(b, cs, cn, 0);
	}
	if (d->kind == K_DUPLICATE)
		sgp_buf_addf(b, ",%llu", (unsigned long long)d->first_line);
	else
		sgp_buf_addc(b, ',');
	sgp_buf_addc(b, '\n');
}

static void report(struct engine *e, struct disc *d, int section, uint64_t line)
{
	sgp_buf *b = &e->ev;

	sgp_buf_reset(b);
	if (e->c->out_format == REC_OUT_CSV) {
		if (d->kind == K_MISMATCH) {
			for (size_t i = 0; i < e->nf; i++)
				if (d->dkv[i] != D_NONE)
					csv_row(e, d, (long)i, d->dkv[i], b);
		} else if (e->nf == 0) {
			csv_row(e, d, -1, D_NONE, b);
		} else {
			for (size_t i = 0; i < e->nf; i++)
				csv_row(e, d, (long)i, D_NONE, b);
		}
	} else {
		event_json(e, d, b);
	}
	emit(e, section, line, b->data, b->len);
}

static void csv_header(const struct rec_config *c, sgp_buf *b)
{
	sgp_buf_adds(b, "kind");
	for (size_t i = 0; i < c->nkeys; i++) {
		sgp_buf_addc(b, ',');
		sgp_csv_add_field(b, c->keys[i].name[0]);
	}
	sgp_buf_adds(b, ",field,right_field,field_type,field_kind,left,left_currency,right,"
			"right_currency,difference,left_line,right_line,left_count,right_count,"
			"left_id,right_id,correlation_id,first_line\n");
}

/* ---- applying records --------------------------------------------------- */

static void disc_init(struct engine *e, struct disc *d, enum kind k)
{
	memset(d, 0, offsetof(struct disc, dk));
	d->kind = k;
	d->dkv = e->nf <= 64 ? d->dk : xcalloc(e->nf, sizeof *d->dkv);
	memset(d->dkv, 0, (e->nf <= 64 ? 64 : e->nf) * sizeof *d->dkv);
}

static void disc_release(struct engine *e, struct disc *d)
{
	if (d->dkv != d->dk)
		free(d->dkv);
	(void)e;
}

/* Compare a left and a right record and report a mismatch if they differ. */
static void pair(struct engine *e, const char *l, const char *r, uint64_t line)
{
	struct disc d;
	int differ = 0, tol = 0;

	disc_init(e, &d, K_MISMATCH);
	for (size_t i = 0; i < e->nf; i++) {
		struct rec_value lv, rv;

		rec_value_get(l, i, &lv);
		rec_value_get(r, i, &rv);
		d.dkv[i] = compare_field(e, i, &lv, &rv, &tol);
		if (d.dkv[i] == D_VALUE) {
			sgp_dec diff;

			/* differ, but left - right needs more than 38 digits */
			if (difference(e, i, &lv, &rv, &diff) < 0)
				d.dkv[i] = D_OVERFLOW;
		}
		differ |= d.dkv[i] != D_NONE;
	}
	if (differ) {
		e->res->counts.mismatched++;
		d.rec[REC_LEFT] = l;
		d.rec[REC_RIGHT] = r;
		report(e, &d, SEC_RIGHT, line);
	} else {
		e->res->counts.matched++;
		if (tol)
			e->res->counts.tolerated++;
	}
	disc_release(e, &d);
}

static void report_simple(struct engine *e, enum kind k, const char *l, const char *r,
			  int dup_side, uint64_t first_line, int section, uint64_t line)
{
	struct disc d;

	disc_init(e, &d, k);
	d.rec[REC_LEFT] = l;
	d.rec[REC_RIGHT] = r;
	d.dup_side = dup_side;
	d.first_line = first_line;
	report(e, &d, section, line);
	disc_release(e, &d);
}

/* Fold record r into group g (same side and key). */
static void fold(struct engine *e, char *g, const char *r)
{
	rec_put64(g, REC_O_COUNT, count_of(g) + count_of(r));
	for (size_t i = 0; i < e->nf; i++) {
		const struct rec_field *f = &e->c->fields[i];
		struct rec_value gv, rv;

		rec_value_get(g, i, &gv);
		rec_value_get(r, i, &rv);
		if (gv.status != REC_V_OK && gv.status != REC_V_MISSING)
			continue;               /* already marked: sticky */
		if (rv.status == REC_V_INVALID || rv.status == REC_V_BADLINE) {
			rec_value_set_dec(g, i, REC_V_BADLINE, gv.dec);
			continue;
		}
		if (rv.status == REC_V_MIXED || rv.status == REC_V_OVERFLOW) {
			rec_value_set_dec(g, i, rv.status, gv.dec);
			continue;
		}
		if (f->type == REC_MONEY || f->type == REC_NUMBER) {
			sgp_dec sum;

			if (rv.status == REC_V_MISSING)
				continue;       /* a line without an amount adds nothing */
			if (f->type == REC_MONEY && (gv.curlen != rv.curlen ||
						     memcmp(gv.cur, rv.cur, gv.curlen) != 0)) {
				rec_value_set_dec(g, i, REC_V_MIXED, gv.dec);
				continue;
			}
			if (gv.status == REC_V_MISSING)
				rec_value_set_dec(g, i, REC_V_OK, rv.dec);
			else if (sgp_dec_add(gv.dec, rv.dec, &sum) < 0)
				rec_value_set_dec(g, i, REC_V_OVERFLOW, gv.dec);
			else
				rec_value_set_dec(g, i, REC_V_OK, sum);
			continue;
		}
		/* string and time: every line of the group must agree */
		if (gv.status == REC_V_MISSING && rv.status == REC_V_MISSING)
			continue;
		if (gv.status != rv.status ||
		    (f->type == REC_STRING && (gv.textlen != rv.textlen ||
					       memcmp(gv.text, rv.text, gv.textlen) != 0)) ||
		    (f->type == REC_TIME && sgp_time_cmp(gv.time, rv.time) != 0))
			rec_value_set_dec(g, i, REC_V_MIXED, gv.dec);
	}
	e->res->counts.aggregated += count_of(r);
}

/* A new group starts from its first line: unreadable values become BADLINE. */
static void group_start(struct engine *e, char *g)
{
	for (size_t i = 0; i < e->nf; i++) {
		struct rec_value v;

		rec_value_get(g, i, &v);
		if (v.status == REC_V_INVALID)
			rec_value_set_dec(g, i, REC_V_BADLINE, v.dec);
	}
}

static void spill(struct engine *e, struct level *lv);

/* Room for a record of len bytes in the level's table?  If not, spill. */
static int room(struct engine *e, struct level *lv, size_t len)
{
	if (e->budget == 0 || lv->parts)
		return lv->parts == NULL;
	if (rec_table_need(lv->t, len) <= e->budget)
		return 1;
	if (lv->depth >= MAX_DEPTH || rec_table_count(lv->t) < MIN_SPLIT) {
		if (!e->warned_budget)
			sgp_log(SGP_LOG_WARN, "--memory is too small for these records; exceeding it");
		e->warned_budget = 1;
		return 1;
	}
	spill(e, lv);
	return 0;
}

static void route(struct engine *e, struct level *lv, const char *r);

static void apply_left(struct engine *e, struct level *lv, const char *r)
{
	const char *key = rec_key(r, e->nf);
	size_t keylen = rec_keylen(r);
	char *l = rec_table_find(lv->t, REC_LEFT, key, keylen, rec_u32(r, REC_O_HASH));

	if (l && e->c->aggregate[REC_LEFT]) {
		fold(e, l, r);
	} else if (l) {
		uint64_t first = rec_u64(l, REC_O_LINE);

		e->res->counts.duplicate_keys++;
		if (!e->left_done) {
			/* Reported once the left side's latest time is known. */
			if (e->dups == NULL)
				e->dups = rec_tmp_new(e->tmpdir, 64 * 1024);
			rec_tmp_write(e->dups, r, rec_len(r));
			rec_tmp_write(e->dups, &first, 8);
		} else {
			report_simple(e, K_DUPLICATE, r, NULL, REC_LEFT, first, SEC_LEFT,
				      rec_u64(r, REC_O_LINE));
		}
	} else if (!room(e, lv, rec_len(r))) {
		route(e, lv, r);
	} else {
		l = rec_table_insert(lv->t, r);
		if (e->c->aggregate[REC_LEFT])
			group_start(e, l);
	}
}

/* A right-only key: remember key and id to spot later duplicates. */
static void insert_marker(struct engine *e, struct level *lv, const char *r)
{
	size_t hdr = REC_HDR + e->nf * REC_SLOT, keylen = rec_keylen(r), idlen = rec_idlen(r);
	size_t len = hdr + keylen + idlen;
	char *m;

	sgp_buf_reset(&e->tmp);
	sgp_buf_grow(&e->tmp, len);
	m = e->tmp.data;
	memcpy(m, r, REC_HDR);
	memset(m + REC_HDR, 0, e->nf * REC_SLOT);
	memcpy(m + hdr, rec_key(r, e->nf), keylen + idlen);
	rec_put32(m, REC_O_LEN, (uint32_t)len);
	rec_put32(m, REC_O_CORRLEN, 0);
	m[REC_O_FLAGS] = (char)((rec_flags(r) & (REC_F_IDKEY | REC_F_EVENT)) | REC_F_MARKER);
	rec_table_insert(lv->t, m);
}

static void apply_right(struct engine *e, struct level *lv, const char *r)
{
	const char *key = rec_key(r, e->nf);
	size_t keylen = rec_keylen(r);
	uint32_t hash = rec_u32(r, REC_O_HASH);
	uint64_t line = rec_u64(r, REC_O_LINE);
	char *l, *g;

	if (e->c->aggregate[REC_RIGHT]) {
		g = rec_table_find(lv->t, REC_RIGHT, key, keylen, hash);
		if (g) {
			fold(e, g, r);
		} else if (!room(e, lv, rec_len(r))) {
			route(e, lv, r);
		} else {
			g = rec_table_insert(lv->t, r);
			group_start(e, g);
		}
		return;
	}
	l = rec_table_find(lv->t, REC_LEFT, key, keylen, hash);
	if (l && (rec_flags(l) & REC_F_PAIRED)) {
		e->res->counts.duplicate_keys++;
		report_simple(e, K_DUPLICATE, NULL, r, REC_RIGHT, rec_u64(l, REC_O_PLINE), SEC_RIGHT, line);
	} else if (l) {
		set_flag(l, REC_F_PAIRED);
		rec_put64(l, REC_O_PLINE, line);
		pair(e, l, r, line);
	} else if ((g = rec_table_find(lv->t, REC_RIGHT, key, keylen, hash)) != NULL) {
		e->res->counts.duplicate_keys++;
		report_simple(e, K_DUPLICATE, NULL, r, REC_RIGHT, rec_u64(g, REC_O_LINE), SEC_RIGHT, line);
	} else if (!room(e, lv, REC_HDR + e->nf * REC_SLOT + keylen + rec_idlen(r))) {
		route(e, lv, r);
	} else {
		e->res->counts.missing_left++;
		report_simple(e, K_MISSING_LEFT, NULL, r, 0, 0, SEC_RIGHT, line);
		insert_marker(e, lv, r);
	}
}

/* Put a record back in the table as it was (state from a spill). */
static void restore(struct engine *e, struct level *lv, char *r)
{
	r[REC_O_FLAGS] = (char)(rec_flags(r) & ~REC_F_STATE);
	if (!room(e, lv, rec_len(r))) {
		r[REC_O_FLAGS] = (char)(rec_flags(r) | REC_F_STATE);
		route(e, lv, r);
		return;
	}
	rec_table_insert(lv->t, r);
}

static void apply(struct engine *e, struct level *lv, char *r)
{
	if (lv->parts)
		route(e, lv, r);
	else if (rec_flags(r) & REC_F_STATE)
		restore(e, lv, r);
	else if (rec_side(r) == REC_LEFT)
		apply_left(e, lv, r);
	else
		apply_right(e, lv, r);
}

/* ---- partitions ------------------------------------------------------- */

static void route(struct engine *e, struct level *lv, const char *r)
{
	uint64_t h = rec_hash(rec_key(r, e->nf), rec_keylen(r), (uint64_t)lv->depth + 1);

	rec_tmp_write(lv->parts[h % lv->nparts], r, rec_len(r));
}

static void spill(struct engine *e, struct level *lv)
{
	size_t bytes = rec_table_bytes(lv->t), k, bufsize, chunk = 0, off = 0;
	char *r;

	if (lv->total > 0 && lv->consumed > 0) {
		double est = (double)bytes * (double)lv->total / (double)lv->consumed;
		k = (size_t)(2.0 * est / (double)e->budget) + 1;
	} else {
		k = 16;
	}
	if (k < 2)
		k = 2;
	if (k > MAX_PARTS)
		k = MAX_PARTS;
	bufsize = e->budget / 4 / k;
	if (bufsize > 256 * 1024)
		bufsize = 256 * 1024;
	sgp_log(SGP_LOG_DEBUG, "%zu records (%zu bytes) reached the memory limit: "
		"partitioning into %zu temporary files (level %d)", rec_table_count(lv->t), bytes, k,
		lv->depth);
	lv->nparts = k;
	lv->parts = xcalloc(k, sizeof *lv->parts);
	for (size_t i = 0; i < k; i++)
		lv->parts[i] = rec_tmp_new(e->tmpdir, bufsize);
	e->res->counts.partitions += k;
	while ((r = rec_table_next(lv->t, &chunk, &off)) != NULL) {
		set_flag(r, REC_F_STATE);
		route(e, lv, r);
	}
	rec_table_free(lv->t);
	lv->t = NULL;
}

/* Buffer size of run files: small under a small budget. */
static size_t run_buffer(const struct engine *e)
{
	size_t n = e->budget / 64;

	return n < 4096 ? 4096 : n > 64 * 1024 ? 64 * 1024 : n;
}

static void new_run(struct engine *e)
{
	if (e->run)
		rec_tmp_done(e->run);
	e->runs = xreallocarray(e->runs, e->nruns + 1, sizeof *e->runs);
	e->run = e->runs[e->nruns++] = rec_tmp_new(e->tmpdir, run_buffer(e));
}

static void finish(struct engine *e, struct level *lv);

/* Process one partition file as a level of its own. */
static void process_part(struct engine *e, rec_tmp *part, int depth)
{
	struct level lv;
	sgp_buf rec = SGP_BUF_INIT;

	memset(&lv, 0, sizeof lv);
	lv.depth = depth;
	lv.t = rec_table_new(e->nf, e->chunk);
	lv.total = rec_tmp_size(part);
	new_run(e);
	rec_tmp_rewind(part);
	while (rec_tmp_read_record(part, &rec)) {
		lv.consumed += rec.len;
		apply(e, &lv, rec.data);
	}
	sgp_buf_release(&rec);
	finish(e, &lv);
}

/* End of a level: the discrepancies only known once every record is in. */
static void finish(struct engine *e, struct level *lv)
{
	size_t chunk = 0, off = 0;
	char *r;

	if (lv->parts) {
		for (size_t i = 0; i < lv->nparts; i++) {
			process_part(e, lv->parts[i], lv->depth + 1);
			rec_tmp_free(lv->parts[i]);
		}
		free(lv->parts);
		lv->parts = NULL;
		return;
	}
	if (e->c->aggregate[REC_RIGHT]) {
		while ((r = rec_table_next(lv->t, &chunk, &off)) != NULL) {
			char *l;

			if (rec_side(r) != REC_RIGHT)
				continue;
			l = rec_table_find(lv->t, REC_LEFT, rec_key(r, e->nf), rec_keylen(r),
					   rec_u32(r, REC_O_HASH));
			if (l) {
				set_flag(l, REC_F_PAIRED);
				pair(e, l, r, rec_u64(r, REC_O_LINE));
			} else {
				e->res->counts.missing_left++;
				report_simple(e, K_MISSING_LEFT, NULL, r, 0, 0, SEC_RIGHT,
					      rec_u64(r, REC_O_LINE));
			}
		}
		chunk = off = 0;
	}
	while ((r = rec_table_next(lv->t, &chunk, &off)) != NULL) {
		if (rec_side(r) != REC_LEFT || (rec_flags(r) & REC_F_PAIRED))
			continue;
		e->res->counts.missing_right++;
		report_simple(e, K_MISSING_RIGHT, r, NULL, 0, 0, SEC_UNPAIRED, rec_u64(r, REC_O_LINE));
	}
	rec_table_free(lv->t);
	lv->t = NULL;
}

/* ---- merging runs ------------------------------------------------------- */

struct head {
	rec_tmp *t;
	unsigned char sec;
	uint64_t line;
	size_t idx;
};

static int head_less(const struct head *a, const struct head *b)
{
	if (a->sec != b->sec)
		return a->sec < b->sec;
	if (a->line != b->line)
		return a->line < b->line;
	return a->idx < b->idx;
}

static int head_load(struct head *h)
{
	if (!rec_tmp_read(h->t, &h->sec, 1))
		return 0;
	if (!rec_tmp_read(h->t, &h->line, 8))
		sgp_die(SGP_EXIT_SYSTEM, "temporary run file is truncated");
	return 1;
}

static void sift(struct head *hp, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < n && head_less(&hp[l], &hp[m]))
			m = l;
		if (r < n && head_less(&hp[r], &hp[m]))
			m = r;
		if (m == i)
			return;
		struct head t = hp[i];
		hp[i] = hp[m];
		hp[m] = t;
		i = m;
	}
}

/* Merge runs[0..n) into e->run (or the output when e->run is NULL). */
static void merge(struct engine *e, rec_tmp **runs, size_t n)
{
	struct head *hp = xcalloc(n, sizeof *hp);
	size_t nh = 0;
	sgp_buf text = SGP_BUF_INIT;

	for (size_t i = 0; i < n; i++) {
		rec_tmp_rewind(runs[i]);
		hp[nh].t = runs[i];
		hp[nh].idx = i;
		if (head_load(&hp[nh]))
			nh++;
		else
			rec_tmp_free(runs[i]);
	}
	for (size_t i = nh; i-- > 0;)
		sift(hp, nh, i);
	while (nh > 0) {
		struct head *h = &hp[0];
		uint32_t len;

		if (!rec_tmp_read(h->t, &len, 4))
			sgp_die(SGP_EXIT_SYSTEM, "temporary run file is truncated");
		sgp_buf_reset(&text);
		sgp_buf_grow(&text, len);
		if (len && !rec_tmp_read(h->t, text.data, len))
			sgp_die(SGP_EXIT_SYSTEM, "temporary run file is truncated");
		emit(e, h->sec, h->line, text.data, len);
		if (!head_load(h)) {
			rec_tmp_free(h->t);
			hp[0] = hp[--nh];
		}
		sift(hp, nh, 0);
	}
	sgp_buf_release(&text);
	free(hp);
}

static void merge_all(struct engine *e)
{
	/* Merge in rounds of MERGE_WAY until one round can go to the output. */
	while (e->nruns > MERGE_WAY) {
		size_t m = 0;
		rec_tmp **next = NULL;

		for (size_t i = 0; i < e->nruns; i += MERGE_WAY) {
			size_t n = e->nruns - i < MERGE_WAY ? e->nruns - i : MERGE_WAY;

			next = xreallocarray(next, m + 1, sizeof *next);
			next[m] = e->run = rec_tmp_new(e->tmpdir, run_buffer(e));
			merge(e, e->runs + i, n);
			rec_tmp_done(e->run);
			m++;
		}
		free(e->runs);
		e->runs = next;
		e->nruns = m;
	}
	e->run = NULL;
	merge(e, e->runs, e->nruns);
	free(e->runs);
	e->runs = NULL;
	e->nruns = 0;
}

/* ---- totals ----------------------------------------------------------- */

static struct rec_total *total_for(struct engine *e, size_t field, const char *cur, size_t curlen)
{
	struct rec_result *res = e->res;
	uint64_t h = rec_hash(cur, curlen, field + 7);
	size_t mask, i;

	if (e->tmapn == 0 || (res->ntotals + 1) * 2 > e->tmapn) {
		size_t n = e->tmapn ? e->tmapn * 2 : 64;

		free(e->tmap);
		e->tmap = xmalloc(n * sizeof *e->tmap);
		for (size_t k = 0; k < n; k++)
			e->tmap[k] = SIZE_MAX;
		e->tmapn = n;
		for (size_t k = 0; k < res->ntotals; k++) {
			const struct rec_total *t = &res->totals[k];
			uint64_t th = rec_hash(t->currency, strlen(t->currency), t->field + 7);
			size_t j = th & (n - 1);

			while (e->tmap[j] != SIZE_MAX)
				j = (j + 1) & (n - 1);
			e->tmap[j] = k;
		}
	}
	mask = e->tmapn - 1;
	for (i = h & mask; e->tmap[i] != SIZE_MAX; i = (i + 1) & mask) {
		struct rec_total *t = &res->totals[e->tmap[i]];

		if (t->field == field && strlen(t->currency) == curlen &&
		    memcmp(t->currency, cur, curlen) == 0)
			return t;
	}
	res->totals = xreallocarray(res->totals, res->ntotals + 1, sizeof *res->totals);
	struct rec_total *t = &res->totals[res->ntotals];
	memset(t, 0, sizeof *t);
	t->field = field;
	t->currency = xstrndup(cur, curlen);
	e->tmap[i] = res->ntotals++;
	return t;
}

/* Count an input record once, when it is first read. */
static void account(struct engine *e, const char *r)
{
	int side = rec_side(r);
	sgp_time when;

	if (side == REC_LEFT && record_time(r, &when) && sgp_time_cmp(when, e->fallback) > 0)
		e->fallback = when;

	if (rec_flags(r) & REC_F_INVALID)
		e->res->counts.invalid_values++;
	for (size_t i = 0; i < e->nf; i++) {
		struct rec_value v;
		struct rec_total *t;

		if (e->c->fields[i].type != REC_MONEY)
			continue;
		rec_value_get(r, i, &v);
		if (v.status == REC_V_INVALID) {
			e->res->unreadable[side]++;
			continue;
		}
		if (v.status != REC_V_OK)
			continue;
		t = total_for(e, i, v.cur, v.curlen);
		t->n[side]++;
		if (!t->overflow[side] && sgp_dec_add(t->sum[side], v.dec, &t->sum[side]) < 0)
			t->overflow[side] = 1;
	}
}

static int total_cmp(const void *a, const void *b)
{
	const struct rec_total *x = a, *y = b;

	if (x->field != y->field)
		return x->field < y->field ? -1 : 1;
	return strcmp(x->currency, y->currency);
}

/* ---- running ---------------------------------------------------------- */

void rec_result_release(struct rec_result *r)
{
	for (size_t i = 0; i < r->ntotals; i++)
		free(r->totals[i].currency);
	free(r->totals);
	free(r->file[0]);
	free(r->file[1]);
	memset(r, 0, sizeof *r);
}

static int read_side(struct engine *e, struct level *lv, rec_source *src, int side,
		     sgp_writer *rej, sgp_buf *rec, sgp_buf *rejbuf, uint64_t base,
		     char *err, size_t errlen)
{
	for (;;) {
		enum rec_built b = rec_source_next(src, rec, rejbuf, err, errlen);

		lv->consumed = base + rec_source_consumed(src);
		switch (b) {
		case REC_BUILT_EOF:
			return 0;
		case REC_BUILT_ERROR:
			return -1;
		case REC_BUILT_IGNORED:
			continue;
		case REC_BUILT_REJECT:
			if (side == REC_LEFT)
				e->res->counts.left_in++;
			else
				e->res->counts.right_in++;
			e->res->counts.rejected++;
			sgp_writer_write(rej, rejbuf->data, rejbuf->len);
			continue;
		case REC_BUILT_RECORD:
			if (lv->t) {
				/* Look a few records ahead: their slots, then their records,
				 * are in cache by the time they are needed. */
				const char *ahead = rec_source_peek(src, 8);

				if (ahead)
					rec_table_prefetch(lv->t, REC_LEFT, rec_u32(ahead, REC_O_HASH), 0);
				ahead = rec_source_peek(src, 4);
				if (ahead)
					rec_table_prefetch(lv->t, REC_LEFT, rec_u32(ahead, REC_O_HASH), 1);
			}
			if (side == REC_LEFT)
				e->res->counts.left_in++;
			else
				e->res->counts.right_in++;
			if (rec_flags(rec->data) & REC_F_INVALID)
				sgp_writer_write(rej, rejbuf->data, rejbuf->len);
			account(e, rec->data);
			apply(e, lv, rec->data);
			continue;
		}
	}
}

/* The left side is in: its latest time is known; report the duplicates kept. */
static void left_done(struct engine *e, sgp_buf *rec)
{
	uint64_t first;

	if (e->fallback.sec == SGP_TIME_MIN_SEC)
		e->fallback.sec = 0;    /* no time on the left: the epoch */
	e->left_done = 1;
	if (e->dups == NULL)
		return;
	rec_tmp_rewind(e->dups);
	while (rec_tmp_read_record(e->dups, rec)) {
		if (!rec_tmp_read(e->dups, &first, 8))
			sgp_die(SGP_EXIT_SYSTEM, "temporary file is truncated");
		report_simple(e, K_DUPLICATE, rec->data, NULL, REC_LEFT, first, SEC_LEFT,
			      rec_u64(rec->data, REC_O_LINE));
	}
	rec_tmp_free(e->dups);
	e->dups = NULL;
}

int rec_run(const struct rec_config *c, const char *left, const char *right,
	    sgp_writer *out, sgp_writer *rej, struct rec_result *res, char *err, size_t errlen)
{
	struct engine e;
	struct level lv;
	rec_source *src[2] = { NULL, NULL };
	sgp_buf rec = SGP_BUF_INIT, rejbuf = SGP_BUF_INIT;
	int status = SGP_EXIT_OK;
	const char *paths[2] = { left, right };

	memset(res, 0, sizeof *res);
	res->file[0] = xstrdup(left);
	res->file[1] = xstrdup(right);
	for (int side = 0; side < 2; side++) {
		src[side] = rec_source_open(c, side, paths[side], &status, err, errlen);
		if (src[side] == NULL)
			goto out;
	}
	status = SGP_EXIT_OK;

	memset(&e, 0, sizeof e);
	e.c = c;
	e.nf = c->nfields;
	e.res = res;
	e.out = out;
	e.fallback.sec = SGP_TIME_MIN_SEC;
	for (int side = 0; side < 2; side++)
		e.fname[side] = utf8_copy(paths[side]);
	e.tmpdir = c->tmpdir;
	if (e.tmpdir == NULL)
		e.tmpdir = getenv("TMPDIR");
	if (e.tmpdir == NULL || *e.tmpdir == '\0')
		e.tmpdir = "/tmp";
	if (c->memory) {
		e.budget = (size_t)(c->memory / 4 * 3);
		if (e.budget < 32 * 1024)
			e.budget = 32 * 1024;
		e.chunk = e.budget / 8;
		if (e.chunk > 4 << 20)
			e.chunk = 4 << 20;
	} else {
		e.chunk = 4 << 20;
	}
	memset(&lv, 0, sizeof lv);
	lv.t = rec_table_new(e.nf, e.chunk);
	if (rec_source_size(src[0]) && rec_source_size(src[1]))
		lv.total = rec_source_size(src[0]) + rec_source_size(src[1]);

	if (c->out_format == REC_OUT_CSV) {
		csv_header(c, &e.ev);
		sgp_writer_write(out, e.ev.data, e.ev.len);
	}
	if (read_side(&e, &lv, src[REC_LEFT], REC_LEFT, rej, &rec, &rejbuf, 0, err, errlen) == 0) {
		left_done(&e, &rec);
		if (read_side(&e, &lv, src[REC_RIGHT], REC_RIGHT, rej, &rec, &rejbuf,
			      rec_source_consumed(src[REC_LEFT]), err, errlen) == 0)
			status = SGP_EXIT_OK;
		else
			status = SGP_EXIT_SYSTEM;
	} else {
		status = SGP_EXIT_SYSTEM;
	}
	if (status == SGP_EXIT_SYSTEM) {
		rec_table_free(lv.t);
		if (lv.parts) {
			for (size_t i = 0; i < lv.nparts; i++)
				rec_tmp_free(lv.parts[i]);
			free(lv.parts);
		}
		goto done;
	}
	finish(&e, &lv);
	if (e.nruns)
		merge_all(&e);
	if (res->ntotals > 1)
		qsort(res->totals, res->ntotals, sizeof *res->totals, total_cmp);
	{
		const struct rec_counts *k = &res->counts;
		status = k->mismatched || k->missing_left || k->missing_right || k->duplicate_keys ||
			 k->rejected || k->invalid_values ? SGP_EXIT_REJECTS : SGP_EXIT_OK;
	}
done:
	rec_tmp_free(e.dups);
	for (size_t i = 0; i < e.nruns; i++)
		rec_tmp_free(e.runs[i]);
	free(e.runs);
	free(e.tmap);
	sgp_buf_release(&e.ev);
	sgp_buf_release(&e.tmp);
	sgp_buf_release(&e.kt);
	sgp_buf_release(&e.dat);
	free(e.fname[0]);
	free(e.fname[1]);
out:
	sgp_buf_release(&rec);
	sgp_buf_release(&rejbuf);
	rec_source_close(src[0]);
	rec_source_close(src[1]);
	return status;
}

/* ---- summary and counters ----------------------------------------------- */

json_t *rec_counts_json(const struct rec_counts *k)
{
	return json_pack("{sI sI sI sI sI sI sI sI sI sI sI sI}",
			 "left_in", (json_int_t)k->left_in, "right_in", (json_int_t)k->right_in,
			 "matched", (json_int_t)k->matched, "mismatched", (json_int_t)k->mismatched,
			 "missing_left", (json_int_t)k->missing_left,
			 "missing_right", (json_int_t)k->missing_right,
			 "duplicate_keys", (json_int_t)k->duplicate_keys,
			 "aggregated", (json_int_t)k->aggregated, "rejected", (json_int_t)k->rejected,
			 "invalid_values", (json_int_t)k->invalid_values,
			 "tolerated", (json_int_t)k->tolerated, "partitions", (json_int_t)k->partitions);
}

static json_t *dec_json(sgp_dec d)
{
	char buf[SGP_DEC_BUFSZ];

	sgp_dec_format(d, buf, sizeof buf);
	return json_string(buf);
}

/* left - right of a total, or -1 when a side overflowed. */
static int total_diff(const struct rec_total *t, sgp_dec *d)
{
	if (t->overflow[0] || t->overflow[1])
		return -1;
	return sgp_dec_sub(t->sum[0], t->sum[1], d);
}

json_t *rec_summary_json(const struct rec_config *c, const struct rec_result *r)
{
	json_t *o = json_object(), *totals = json_object();

	json_object_set_new(o, "left", json_pack("{ss sI}", "file", r->file[0], "lines",
						  (json_int_t)r->counts.left_in));
	json_object_set_new(o, "right", json_pack("{ss sI}", "file", r->file[1], "lines",
						   (json_int_t)r->counts.right_in));
	json_t *k = rec_counts_json(&r->counts);

	json_object_update(o, k);
	json_decref(k);
	for (size_t i = 0; i < r->ntotals; i++) {
		const struct rec_total *t = &r->totals[i];
		const char *fname = c->fields[t->field].name[0];
		json_t *f = json_object_get(totals, fname), *cur = json_object();
		sgp_dec d;

		if (f == NULL) {
			f = json_object();
			json_object_set_new(totals, fname, f);
		}
		for (int side = 0; side < 2; side++) {
			const char *nm = side ? "right" : "left";
			if (t->overflow[side])
				json_object_set_new(cur, nm, json_null());
			else
				json_object_set_new(cur, nm, dec_json(t->sum[side]));
			json_object_set_new(cur, side ? "right_amounts" : "left_amounts",
					    json_integer((json_int_t)t->n[side]));
		}
		if (total_diff(t, &d) == 0)
			json_object_set_new(cur, "difference", dec_json(d));
		else
			json_object_set_new(cur, "difference", json_null());
		json_object_set_new(f, t->currency, cur);
	}
	json_object_set_new(o, "totals", totals);
	json_object_set_new(o, "unreadable_amounts", json_pack("{sI sI}", "left",
							       (json_int_t)r->unreadable[0], "right",
							       (json_int_t)r->unreadable[1]));
	return o;
}

void rec_summary_text(const struct rec_config *c, const struct rec_result *r, sgp_buf *b)
{
	const struct rec_counts *k = &r->counts;
	size_t last = SIZE_MAX;

	sgp_buf_addf(b, "left  %s: %llu lines\n", r->file[0], (unsigned long long)k->left_in);
	sgp_buf_addf(b, "right %s: %llu lines\n", r->file[1], (unsigned long long)k->right_in);
	sgp_buf_addf(b, "  matched         %llu", (unsigned long long)k->matched);
	if (k->tolerated)
		sgp_buf_addf(b, " (%llu within tolerance)", (unsigned long long)k->tolerated);
	sgp_buf_addf(b, "\n  mismatched      %llu\n", (unsigned long long)k->mismatched);
	sgp_buf_addf(b, "  missing left    %llu (only in right)\n", (unsigned long long)k->missing_left);
	sgp_buf_addf(b, "  missing right   %llu (only in left)\n", (unsigned long long)k->missing_right);
	sgp_buf_addf(b, "  duplicate keys  %llu\n", (unsigned long long)k->duplicate_keys);
	if (c->aggregate[0] || c->aggregate[1])
		sgp_buf_addf(b, "  aggregated      %llu lines folded into groups\n",
			     (unsigned long long)k->aggregated);
	sgp_buf_addf(b, "  rejected        %llu\n", (unsigned long long)k->rejected);
	if (k->invalid_values)
		sgp_buf_addf(b, "  unreadable values in %llu line%s (in the rejects, still matched)\n",
			     (unsigned long long)k->invalid_values, k->invalid_values == 1 ? "" : "s");
	for (size_t i = 0; i < r->ntotals; i++) {
		const struct rec_total *t = &r->totals[i];
		char a[SGP_DEC_BUFSZ], bb[SGP_DEC_BUFSZ], d[SGP_DEC_BUFSZ];
		sgp_dec diff;

		if (t->field != last) {
			sgp_buf_addf(b, "  totals of %s:\n", c->fields[t->field].name[0]);
			last = t->field;
		}
		if (t->overflow[0])
			snprintf(a, sizeof a, "(overflow)");
		else
			sgp_dec_format(t->sum[0], a, sizeof a);
		if (t->overflow[1])
			snprintf(bb, sizeof bb, "(overflow)");
		else
			sgp_dec_format(t->sum[1], bb, sizeof bb);
		if (total_diff(t, &diff) == 0)
			sgp_dec_format(diff, d, sizeof d);
		else
			snprintf(d, sizeof d, "(overflow)");
		sgp_buf_addf(b, "    %-4s left %s  right %s  difference %s\n",
			     t->currency[0] ? t->currency : "-", a, bb, d);
	}
	if (r->unreadable[0] || r->unreadable[1])
		sgp_buf_addf(b, "  unreadable amounts not in the totals: left %llu, right %llu\n",
			     (unsigned long long)r->unreadable[0], (unsigned long long)r->unreadable[1]);
}
