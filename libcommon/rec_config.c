/*
 * rec_config.c: parsing of sgp-reconcile's key and field specs (see
 * reconcile.h).
 */
#include "reconcile.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void rec_config_init(struct rec_config *c)
{
	memset(c, 0, sizeof *c);
}

void rec_config_release(struct rec_config *c)
{
	for (size_t i = 0; i < c->nkeys; i++) {
		free(c->keys[i].name[0]);
		free(c->keys[i].name[1]);
	}
	free(c->keys);
	for (size_t i = 0; i < c->nfields; i++) {
		free(c->fields[i].name[0]);
		free(c->fields[i].name[1]);
		free(c->fields[i].currency[0]);
		free(c->fields[i].currency[1]);
	}
	free(c->fields);
	free(c->name);
	free(c->tmpdir);
	memset(c, 0, sizeof *c);
}

static int errf(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* A spec split into unescaped items. */
struct items {
	char **v;
	size_t n;
};

static void items_free(struct items *it)
{
	for (size_t i = 0; i < it->n; i++)
		free(it->v[i]);
	free(it->v);
}

/*
 * Split s at unescaped commas.  Backslashes are kept in the items (so that
 * '=' can still be told apart) and removed by unescape_part().
 */
static void split_items(const char *s, struct items *it)
{
	sgp_buf cur = SGP_BUF_INIT;

	it->v = NULL;
	it->n = 0;
	for (const char *p = s;; p++) {
		if (*p == '\\' && p[1] != '\0') {
			sgp_buf_addc(&cur, *p++);
			sgp_buf_addc(&cur, *p);
			continue;
		}
		if (*p == ',' || *p == '\0') {
			if (cur.data == NULL)
				sgp_buf_grow(&cur, 1);
			it->v = xreallocarray(it->v, it->n + 1, sizeof *it->v);
			it->v[it->n++] = sgp_buf_detach(&cur, NULL);
			if (*p == '\0')
				break;
			continue;
		}
		sgp_buf_addc(&cur, *p);
	}
}

/* Position of the first unescaped '=' in s, or NULL. */
static const char *find_eq(const char *s)
{
	for (const char *p = s; *p; p++) {
		if (*p == '\\' && p[1] != '\0')
			p++;
		else if (*p == '=')
			return p;
	}
	return NULL;
}

/* Copy [s, s+n) removing escaping backslashes. */
static char *unescape_part(const char *s, size_t n)
{
	char *o = xmalloc(n + 1), *q = o;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\\' && i + 1 < n)
			i++;
		*q++ = s[i];
	}
	*q = '\0';
	return o;
}

/* "L" or "L=R" -> two names (R = L when absent).  Empty names are errors. */
static int split_pair(const char *item, char *out[2], const char *what, char *err, size_t errlen)
{
	const char *eq = find_eq(item);

	if (eq) {
		out[0] = unescape_part(item, (size_t)(eq - item));
		out[1] = unescape_part(eq + 1, strlen(eq + 1));
	} else {
		out[0] = unescape_part(item, strlen(item));
		out[1] = xstrdup(out[0]);
	}
	if (out[0][0] == '\0' || out[1][0] == '\0') {
		free(out[0]);
		free(out[1]);
		out[0] = out[1] = NULL;
		return errf(err, errlen, "empty %s name", what);
	}
	return 0;
}

/* "word" or "word=value": returns the value (NULL for a bare word) and
 * copies the word (unescaped) into word. */
static const char *option_word(const char *item, char *word, size_t wlen)
{
	const char *eq = find_eq(item);
	size_t n = eq ? (size_t)(eq - item) : strlen(item);

	if (n >= wlen)
		n = wlen - 1;
	memcpy(word, item, n);
	word[n] = '\0';
	return eq ? eq + 1 : NULL;
}

static int parse_tolerance(const char *v, sgp_dec *out, int percent_ok)
{
	size_t n = strlen(v);
	int pct = 0;
	sgp_dec d;

	if (percent_ok && n > 0 && v[n - 1] == '%') {
		pct = 1;
		n--;
	}
	if (sgp_dec_parse_n(v, n, &d, NULL) < 0 || sgp_dec_sign(d) < 0)
		return -1;
	if (pct) {
		if (d.scale + 2 > SGP_DEC_MAX_SCALE)
			return -1;
		d.scale += 2;
	}
	*out = d;
	return 0;
}

int rec_parse_duration(const char *s, int64_t *ns)
{
	static const struct { const char *suffix; int64_t mul; } units[] = {
		{ "ms", 1000000LL }, { "s", 1000000000LL }, { "m", 60000000000LL },
		{ "h", 3600000000000LL }, { "d", 86400000000000LL }, { "", 1000000000LL },
	};
	size_t n = strlen(s), digits = 0;
	long long v;

	while (digits < n && s[digits] >= '0' && s[digits] <= '9')
		digits++;
	if (digits == 0 || digits > 12)
		return -1;
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
		if (strcmp(s + digits, units[i].suffix) != 0)
			continue;
		char num[16];
		memcpy(num, s, digits);
		num[digits] = '\0';
		if (sgp_parse_ll(num, 0, 999999999999LL, &v) < 0)
			return -1;
		if (v > INT64_MAX / units[i].mul)
			return -1;
		*ns = v * units[i].mul;
		return 0;
	}
	return -1;
}

int rec_config_add_key(struct rec_config *c, const char *spec, char *err, size_t errlen)
{
	struct items it;
	struct rec_key k;
	int rc = 0;

	memset(&k, 0, sizeof k);
	split_items(spec, &it);
	if (split_pair(it.v[0], k.name, "key", err, errlen) < 0) {
		items_free(&it);
		return -1;
	}
	for (size_t i = 1; i < it.n && rc == 0; i++) {
		if (strcmp(it.v[i], "number") == 0)
			k.type = REC_KEY_NUMBER;
		else if (strcmp(it.v[i], "string") == 0)
			k.type = REC_KEY_STRING;
		else if (strcmp(it.v[i], "fold") == 0)
			k.fold = 1;
		else if (strcmp(it.v[i], "trim") == 0)
			k.trim = 1;
		else
			rc = errf(err, errlen, "unknown key option '%s' in '%s' (number, string, fold, trim)",
				  it.v[i], spec);
	}
	if (rc == 0 && strcmp(k.name[0], REC_COUNT_FIELD) == 0)
		rc = errf(err, errlen, "%s cannot be a key", REC_COUNT_FIELD);
	if (rc == 0 && c->nkeys >= REC_MAX_KEYS)
		rc = errf(err, errlen, "too many key components (at most %d)", REC_MAX_KEYS);
	items_free(&it);
	if (rc < 0) {
		free(k.name[0]);
		free(k.name[1]);
		return -1;
	}
	c->keys = xreallocarray(c->keys, c->nkeys + 1, sizeof *c->keys);
	c->keys[c->nkeys++] = k;
	return 0;
}

static const char *type_name(enum rec_ftype t)
{
	switch (t) {
	case REC_MONEY: return "money";
	case REC_NUMBER: return "number";
	case REC_STRING: return "string";
	case REC_TIME: return "time";
	}
	return "?";
}

int rec_config_add_field(struct rec_config *c, enum rec_ftype type, const char *spec,
			 char *err, size_t errlen)
{
	struct items it;
	struct rec_field f;
	int rc = 0;

	memset(&f, 0, sizeof f);
	f.type = type;
	split_items(spec, &it);
	if (split_pair(it.v[0], f.name, "field", err, errlen) < 0) {
		items_free(&it);
		return -1;
	}
	for (size_t i = 1; i < it.n && rc == 0; i++) {
		char word[32];
		const char *val = option_word(it.v[i], word, sizeof word);

		if (type == REC_MONEY && strcmp(word, "currency") == 0 && val) {
			free(f.currency[0]);
			free(f.currency[1]);
			f.currency[0] = f.currency[1] = NULL;
			rc = split_pair(val, f.currency, "currency", err, errlen);
		} else if ((type == REC_MONEY || type == REC_NUMBER) && strcmp(word, "abs") == 0 && val) {
			if (parse_tolerance(val, &f.abs_tol, 0) < 0)
				rc = errf(err, errlen, "invalid tolerance 'abs=%s' in '%s' (a decimal >= 0)",
					  val, spec);
		} else if ((type == REC_MONEY || type == REC_NUMBER) && strcmp(word, "rel") == 0 && val) {
			if (parse_tolerance(val, &f.rel_tol, 1) < 0)
				rc = errf(err, errlen,
					  "invalid tolerance 'rel=%s' in '%s' (a fraction like 0.001 or a percentage like 0.1%%)",
					  val, spec);
		} else if (type == REC_TIME && strcmp(word, "drift") == 0 && val) {
			if (rec_parse_duration(val, &f.drift_ns) < 0)
				rc = errf(err, errlen,
					  "invalid drift '%s' in '%s' (like 90, 500ms, 30s, 5m, 2h, 1d)",
					  val, spec);
		} else if (type == REC_STRING && strcmp(word, "fold") == 0 && !val) {
			f.fold = 1;
		} else if (type == REC_STRING && strcmp(word, "trim") == 0 && !val) {
			f.trim = 1;
		} else {
			static const char *opts[] = {
				[REC_MONEY] = "currency=PATH[=RPATH], abs=DEC, rel=DEC",
				[REC_NUMBER] = "abs=DEC, rel=DEC",
				[REC_STRING] = "fold, trim",
				[REC_TIME] = "drift=DURATION",
			};
			rc = errf(err, errlen, "unknown %s option '%s' in '%s' (%s)", type_name(type),
				  it.v[i], spec, opts[type]);
		}
	}
	if (rc == 0) {
		int l = strcmp(f.name[0], REC_COUNT_FIELD) == 0, r = strcmp(f.name[1], REC_COUNT_FIELD) == 0;
		if ((l || r) && type != REC_NUMBER)
			rc = errf(err, errlen, "%s is a number: use --number '%s'", REC_COUNT_FIELD, spec);
	}
	if (rc == 0 && c->nfields >= REC_MAX_FIELDS)
		rc = errf(err, errlen, "too many compared fields (at most %d)", REC_MAX_FIELDS);
	/* A discrepancy lists a record's values by field name: one value per name. */
	for (size_t i = 0; i < c->nfields && rc == 0; i++)
		for (int side = 0; side < 2 && rc == 0; side++)
			if (strcmp(c->fields[i].name[side], f.name[side]) == 0)
				rc = errf(err, errlen, "%s field '%s' is compared twice",
					  side == REC_LEFT ? "left" : "right", f.name[side]);
	items_free(&it);
	if (rc < 0) {
		free(f.name[0]);
		free(f.name[1]);
		free(f.currency[0]);
		free(f.currency[1]);
		return -1;
	}
	c->fields = xreallocarray(c->fields, c->nfields + 1, sizeof *c->fields);
	c->fields[c->nfields++] = f;
	return 0;
}

int rec_name_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 128)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
		    ch == '_')
			continue;
		if (i > 0 && ch != '\0' && strchr(".:/#@+-", ch))
			continue;
		return 0;
	}
	return 1;
}

int rec_config_set_name(struct rec_config *c, const char *name, char *err, size_t errlen)
{
	if (!rec_name_valid(name))
		return errf(err, errlen,
			    "invalid name '%s' (1 to 128 letters, digits and _ . : / # @ + -, "
			    "starting with a letter, digit or _)", name);
	free(c->name);
	c->name = xstrdup(name);
	return 0;
}

int rec_config_set_aggregate(struct rec_config *c, const char *side, char *err, size_t errlen)
{
	if (strcmp(side, "left") == 0)
		c->aggregate[REC_LEFT] = 1;
	else if (strcmp(side, "right") == 0)
		c->aggregate[REC_RIGHT] = 1;
	else if (strcmp(side, "both") == 0)
		c->aggregate[REC_LEFT] = c->aggregate[REC_RIGHT] = 1;
	else
		return errf(err, errlen, "invalid side '%s' (left, right or both)", side);
	return 0;
}

int rec_parse_format(const char *s, enum rec_format *out)
{
	if (strcmp(s, "ndjson") == 0 || strcmp(s, "jsonl") == 0)
		*out = REC_FMT_NDJSON;
	else if (strcmp(s, "csv") == 0)
		*out = REC_FMT_CSV;
	else
		return -1;
	return 0;
}
