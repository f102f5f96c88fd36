/* compat.c: see compat.h. */
#include "compat.h"
#include "util.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#ifndef PCRE2_CODE_UNIT_WIDTH
#define PCRE2_CODE_UNIT_WIDTH 8
#endif
#include <pcre2.h>

/* ---- URIs ---------------------------------------------------------- */

static bool uri_has_scheme(const char *s)
{
	const char *p;

	if (!isalpha((unsigned char)s[0]))
		return false;
	for (p = s + 1; *p; p++) {
		if (*p == ':')
			return true;
		if (!isalnum((unsigned char)*p) && *p != '+' && *p != '-' && *p != '.')
			return false;
	}
	return false;
}

static char *uri_strip_fragment(const char *uri)
{
	const char *h = strchr(uri, '#');

	return h ? xstrndup(uri, (size_t)(h - uri)) : xstrdup(uri);
}

/* Remove "." and ".." segments from the path part that starts at p. */
static void remove_dot_segments(char *p)
{
	char *out = p, *in = p;

	while (*in) {
		if (strncmp(in, "./", 2) == 0 && (in == p || in[-1] == '/')) {
			in += 2;
		} else if (strncmp(in, "../", 3) == 0 && (in == p || in[-1] == '/')) {
			in += 3;
			if (out > p) {
				out--;                          /* the '/' before */
				while (out > p && out[-1] != '/')
					out--;
			}
		} else {
			*out++ = *in++;
		}
	}
	*out = '\0';
}

/* Resolve REF against BASE (RFC 3986, enough for schema references).
 * Returns a new string. */
static char *uri_resolve(const char *base, const char *ref)
{
	char *b, *r, *auth_end, *slash;
	const char *auth;

	if (uri_has_scheme(ref) || base == NULL || base[0] == '\0')
		return xstrdup(ref);
	b = uri_strip_fragment(base);
	if (ref[0] == '\0' || ref[0] == '#') {
		r = xasprintf("%s%s", b, ref);
		free(b);
		return r;
	}
	auth = strstr(b, "://");
	if (ref[0] == '/' && ref[1] == '/') {
		const char *colon = strchr(b, ':');

		r = xasprintf("%.*s:%s", (int)(colon - b), b, ref);
	} else if (ref[0] == '/') {
		if (auth) {
			auth_end = strchr(auth + 3, '/');
			if (auth_end)
				*auth_end = '\0';
			r = xasprintf("%s%s", b, ref);
		} else {
			const char *colon = strchr(b, ':');

			r = xasprintf("%.*s:%s", (int)(colon - b), b, ref);
		}
	} else {
		slash = strrchr(b, '/');
		if (slash && (auth == NULL || slash > auth + 2)) {
			slash[1] = '\0';
			r = xasprintf("%s%s", b, ref);
		} else if (auth) {
			r = xasprintf("%s/%s", b, ref);
		} else {
			char *colon = strrchr(b, ':');

			colon[1] = '\0';
			r = xasprintf("%s%s", b, ref);
		}
	}
	free(b);
	{
		char *start = strstr(r, "://");

		start = start ? strchr(start + 3, '/') : strchr(r, ':');
		if (start) {
			char *h = strchr(start, '#');
			char *frag = h ? xstrdup(h) : NULL;

			if (h)
				*h = '\0';
			remove_dot_segments(start + 1);
			if (frag) {
				char *t = xasprintf("%s%s", r, frag);

				free(r);
				free(frag);
				r = t;
			}
		}
	}
	return r;
}

/* Percent-decode S (a URI fragment) into a new string. */
static char *percent_decode(const char *s)
{
	char *out = xmalloc(strlen(s) + 1), *o = out;

	while (*s) {
		if (s[0] == '%' && isxdigit((unsigned char)s[1]) && isxdigit((unsigned char)s[2])) {
			char hex[3] = { s[1], s[2], 0 };

			*o++ = (char)strtol(hex, NULL, 16);
			s += 3;
		} else {
			*o++ = *s++;
		}
	}
	*o = '\0';
	return out;
}

/* JSON Pointer lookup (RFC 6901); NULL when a step is missing. */
static const json_t *pointer_get(const json_t *root, const char *ptr)
{
	const json_t *cur = root;
	char *copy, *p, *tok;

	if (ptr[0] == '\0')
		return root;
	if (ptr[0] != '/')
		return NULL;
	copy = xstrdup(ptr + 1);
	p = copy;
	for (;;) {
		char *end = strchr(p, '/');
		char *o;

		if (end)
			*end = '\0';
		tok = p;
		for (o = tok; *p; p++) {
			if (p[0] == '~' && p[1] == '0') {
				*o++ = '~';
				p++;
			} else if (p[0] == '~' && p[1] == '1') {
				*o++ = '/';
				p++;
			} else {
				*o++ = *p;
			}
		}
		*o = '\0';
		if (json_is_object(cur)) {
			cur = json_object_get(cur, tok);
		} else if (json_is_array(cur)) {
			long long i;

			if (sgp_parse_ll(tok, 0, (long long)json_array_size(cur) - 1, &i) < 0)
				cur = NULL;
			else
				cur = json_array_get(cur, (size_t)i);
		} else {
			cur = NULL;
		}
		if (cur == NULL || end == NULL)
			break;
		p = end + 1;
	}
	free(copy);
	return cur;
}

/* Find the subschema with "$anchor" (or "$dynamicAnchor") NAME. */
static const json_t *anchor_find(const json_t *v, const char *name, int depth)
{
	const char *k;
	const json_t *m;
	size_t i;

	if (depth > 200)
		return NULL;
	if (json_is_object(v)) {
		const char *a = json_string_value(json_object_get(v, "$anchor"));
		const char *da = json_string_value(json_object_get(v, "$dynamicAnchor"));

		if ((a && strcmp(a, name) == 0) || (da && strcmp(da, name) == 0))
			return v;
		json_object_foreach((json_t *)v, k, m) {
			const json_t *f;

			if (strcmp(k, "enum") == 0 || strcmp(k, "const") == 0)
				continue;
			f = anchor_find(m, name, depth + 1);
			if (f)
				return f;
		}
	} else if (json_is_array(v)) {
		for (i = 0; i < json_array_size(v); i++) {
			const json_t *f = anchor_find(json_array_get(v, i), name, depth + 1);

			if (f)
				return f;
		}
	}
	return NULL;
}

/* ---- document store ------------------------------------------------ */

struct doc_ent {
	char *uri;
	json_t *doc;
};

struct sgp_compat_docs {
	struct doc_ent *v;
	size_t n, cap;
};

sgp_compat_docs *sgp_compat_docs_new(void)
{
	return xcalloc(1, sizeof(sgp_compat_docs));
}

void sgp_compat_docs_free(sgp_compat_docs *d)
{
	size_t i;

	if (d == NULL)
		return;
	for (i = 0; i < d->n; i++) {
		free(d->v[i].uri);
		json_decref(d->v[i].doc);
	}
	free(d->v);
	free(d);
}

static void docs_put(sgp_compat_docs *d, const char *uri, json_t *doc)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		if (strcmp(d->v[i].uri, uri) == 0) {
			json_decref(d->v[i].doc);
			d->v[i].doc = json_incref(doc);
			return;
		}
	}
	if (d->n == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 32;
		d->v = xreallocarray(d->v, d->cap, sizeof *d->v);
	}
	d->v[d->n].uri = xstrdup(uri);
	d->v[d->n].doc = json_incref(doc);
	d->n++;
}

/* Register the embedded resources (subschemas with "$id") below V. */
static void docs_index(sgp_compat_docs *d, json_t *v, const char *base, int depth)
{
	const char *k;
	json_t *m;
	size_t i;

	if (depth > 200)
		return;
	if (json_is_object(v)) {
		json_object_foreach(v, k, m) {
			const char *id;
			char *u, *nb;

			if (strcmp(k, "enum") == 0 || strcmp(k, "const") == 0 ||
			    strcmp(k, "examples") == 0 || strcmp(k, "default") == 0)
				continue;
			id = json_is_object(m) ? json_string_value(json_object_get(m, "$id")) : NULL;
			if (id) {
				u = uri_resolve(base, id);
				nb = uri_strip_fragment(u);
				if (uri_has_scheme(nb))
					docs_put(d, nb, m);
				docs_index(d, m, nb, depth + 1);
				free(u);
				free(nb);
			} else {
				docs_index(d, m, base, depth + 1);
			}
		}
	} else if (json_is_array(v)) {
		for (i = 0; i < json_array_size(v); i++)
			docs_index(d, json_array_get(v, i), base, depth + 1);
	}
}

int sgp_compat_docs_add(sgp_compat_docs *d, json_t *doc, const char *uri)
{
	const char *id = json_is_object(doc) ? json_string_value(json_object_get(doc, "$id")) : NULL;
	char *u, *base;

	if (id)
		u = uri_resolve(uri, id);
	else if (uri)
		u = xstrdup(uri);
	else
		return -1;
	base = uri_strip_fragment(u);
	free(u);
	if (!uri_has_scheme(base)) {
		free(base);
		return -1;
	}
	docs_put(d, base, doc);
	docs_index(d, doc, base, 0);
	free(base);
	return 0;
}

const json_t *sgp_compat_docs_get(const sgp_compat_docs *d, const char *uri)
{
	size_t i;

	if (d == NULL)
		return NULL;
	for (i = 0; i < d->n; i++)
		if (strcmp(d->v[i].uri, uri) == 0)
			return d->v[i].doc;
	return NULL;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Load every *.json file under DIR: those with "$id" under it; with
 * PREFIX, every file also under PREFIX + its path relative to the top
 * directory (REL). */
static int add_dir_rec(sgp_compat_docs *d, const char *dir, const char *prefix, const char *rel,
		       int depth, char **err)
{
	DIR *dp;
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, cap = 0, i;
	int count = 0;

	if (depth > 32)
		return 0;
	dp = opendir(dir);
	if (dp == NULL) {
		*err = xasprintf("cannot open '%s': %s", dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(dp)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			names = xreallocarray(names, cap, sizeof *names);
		}
		names[n++] = xstrdup(de->d_name);
	}
	closedir(dp);
	qsort(names, n, sizeof *names, cmp_str);   /* the same order every run */
	for (i = 0; i < n && count >= 0; i++) {
		char *path = xasprintf("%s/%s", dir, names[i]);
		char *sub = xasprintf("%s%s", rel, names[i]);
		struct stat st;
		size_t len = strlen(names[i]);

		if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
			char *subdir = xasprintf("%s/", sub);
			int c = add_dir_rec(d, path, prefix, subdir, depth + 1, err);

			count = c < 0 ? -1 : count + c;
			free(subdir);
		} else if (len > 5 && strcmp(names[i] + len - 5, ".json") == 0) {
			json_error_t je;
			json_t *doc = json_load_file(path, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);

			if (doc == NULL) {
				*err = xasprintf("'%s': line %d: %s", path, je.line, je.text);
				count = -1;
			} else {
				char *uri = prefix ? xasprintf("%s%s", prefix, sub) : xasprintf("file://%s", path);

				if (prefix) {
					docs_put(d, uri, doc);
					count++;
				}
				if (json_is_string(json_object_get(doc, "$id")) &&
				    sgp_compat_docs_add(d, doc, uri) == 0 && !prefix)
					count++;
				free(uri);
				json_decref(doc);
			}
		}
		free(path);
		free(sub);
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return count;
}

int sgp_compat_docs_add_dir(sgp_compat_docs *d, const char *dir, char **err)
{
	*err = NULL;
	return add_dir_rec(d, dir, NULL, "", 0, err);
}

int sgp_compat_docs_map_prefix(sgp_compat_docs *d, const char *uri_prefix, const char *dir,
			       char **err)
{
	*err = NULL;
	return add_dir_rec(d, dir, uri_prefix, "", 0, err);
}

/* ---- report -------------------------------------------------------- */

void sgp_compat_report_init(sgp_compat_report *r)
{
	memset(r, 0, sizeof *r);
}

void sgp_compat_report_release(sgp_compat_report *r)
{
	size_t i;

	for (i = 0; i < r->n; i++) {
		free(r->v[i].path);
		free(r->v[i].message);
	}
	free(r->v);
	memset(r, 0, sizeof *r);
}

const char *sgp_compat_path_label(const char *path)
{
	return path[0] ? path : "(root)";
}

/* ---- JSON values --------------------------------------------------- */

/* Equality as JSON Schema defines it: 1 equals 1.0. */
static bool jeq(const json_t *a, const json_t *b)
{
	size_t i;

	if (json_is_number(a) && json_is_number(b)) {
		if (json_is_integer(a) && json_is_integer(b))
			return json_integer_value(a) == json_integer_value(b);
		return json_number_value(a) == json_number_value(b);
	}
	if (json_typeof(a) != json_typeof(b))
		return false;
	switch (json_typeof(a)) {
	case JSON_STRING:
		return json_string_length(a) == json_string_length(b) &&
		       memcmp(json_string_value(a), json_string_value(b), json_string_length(a)) == 0;
	case JSON_ARRAY:
		if (json_array_size(a) != json_array_size(b))
			return false;
		for (i = 0; i < json_array_size(a); i++)
			if (!jeq(json_array_get(a, i), json_array_get(b, i)))
				return false;
		return true;
	case JSON_OBJECT: {
		const char *k;
		json_t *v;

		if (json_object_size(a) != json_object_size(b))
			return false;
		json_object_foreach((json_t *)a, k, v) {
			const json_t *w = json_object_get(b, k);

			if (w == NULL || !jeq(v, w))
				return false;
		}
		return true;
	}
	default:
		return true;   /* true, false, null: same type is same value */
	}
}

static bool in_array(const json_t *arr, const json_t *v)
{
	size_t i;

	for (i = 0; i < json_array_size(arr); i++)
		if (jeq(json_array_get(arr, i), v))
			return true;
	return false;
}

static int num_cmp(const json_t *a, const json_t *b)
{
	if (json_is_integer(a) && json_is_integer(b)) {
		json_int_t x = json_integer_value(a), y = json_integer_value(b);

		return x < y ? -1 : x > y;
	}
	{
		double x = json_number_value(a), y = json_number_value(b);

		return x < y ? -1 : x > y;
	}
}

/* A value for a message: compact JSON, reals in their shortest form,
 * cut after about 60 bytes.  Caller frees. */
static char *render(const json_t *v)
{
	char *s;
	size_t len;

	if (json_is_real(v)) {
		double d = json_real_value(v);
		int p;

		for (p = 1; p <= 17; p++) {
			char buf[40];

			snprintf(buf, sizeof buf, "%.*g", p, d);
			if (strtod(buf, NULL) == d)
				return xstrdup(buf);
		}
	}
	s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
	if (s == NULL)
		return xstrdup("?");
	len = strlen(s);
	if (len > 64) {
		char *t;

		/* do not cut inside a UTF-8 sequence */
		len = 60;
		while (len > 0 && ((unsigned char)s[len] & 0xc0) == 0x80)
			len--;
		t = xasprintf("%.*s...", (int)len, s);
		free(s);
		return t;
	}
	{
		char *t = xstrdup(s);

		free(s);
		return t;
	}
}

/* ---- types --------------------------------------------------------- */

enum {
	T_NULL = 1, T_BOOL = 2, T_OBJ = 4, T_ARR = 8, T_STR = 16, T_INT = 32, T_FRAC = 64,
	T_NUM = T_INT | T_FRAC,
	T_ALL = 127,
};

static unsigned type_bit(const char *name)
{
	static const struct { const char *n; unsigned b; } tab[] = {
		{ "null", T_NULL }, { "boolean", T_BOOL }, { "object", T_OBJ }, { "array", T_ARR },
		{ "string", T_STR }, { "integer", T_INT }, { "number", T_NUM },
	};
	size_t i;

	for (i = 0; i < sizeof tab / sizeof tab[0]; i++)
		if (strcmp(tab[i].n, name) == 0)
			return tab[i].b;
	return 0;
}

static unsigned type_of_value(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_NULL: return T_NULL;
	case JSON_TRUE: case JSON_FALSE: return T_BOOL;
	case JSON_OBJECT: return T_OBJ;
	case JSON_ARRAY: return T_ARR;
	case JSON_STRING: return T_STR;
	case JSON_INTEGER: return T_INT;
	case JSON_REAL: {
		double d = json_real_value(v);

		return d == floor(d) && isfinite(d) ? T_INT : T_FRAC;
	}
	}
	return 0;
}

static char *describe_types(unsigned m)
{
	sgp_buf b = SGP_BUF_INIT;
	int parts = 0;
	static const struct { unsigned b; const char *n; } tab[] = {
		{ T_NULL, "null" }, { T_BOOL, "boolean" }, { T_OBJ, "object" },
		{ T_ARR, "array" }, { T_STR, "string" },
	};
	size_t i;

	if (m == T_ALL)
		return xstrdup("any type");
	if (m == 0)
		return xstrdup("no type");
	for (i = 0; i < sizeof tab / sizeof tab[0]; i++) {
		if (m & tab[i].b) {
			sgp_buf_adds(&b, parts++ ? ", " : "");
			sgp_buf_adds(&b, tab[i].n);
		}
	}
	if ((m & T_NUM) == T_NUM) {
		sgp_buf_adds(&b, parts++ ? ", " : "");
		sgp_buf_adds(&b, "number");
	} else if (m & T_INT) {
		sgp_buf_adds(&b, parts++ ? ", " : "");
		sgp_buf_adds(&b, "integer");
	} else if (m & T_FRAC) {
		sgp_buf_adds(&b, parts++ ? ", " : "");
		sgp_buf_adds(&b, "non-integer number");
	}
	if (parts > 1) {
		char *s = xasprintf("[%s]", b.data);

		sgp_buf_release(&b);
		return s;
	}
	return sgp_buf_detach(&b, NULL);
}

/* ---- the walk ------------------------------------------------------ */

/* A subschema with what resolving its references needs. */
struct node {
	const json_t *s;
	const json_t *root;     /* resource root for JSON Pointer fragments */
	const char *base;       /* base URI without fragment (interned), may be "" */
	int side;               /* 0: OLD, 1: NEW */
};

struct nodes {
	struct node *v;
	size_t n, cap;
};

struct named {
	const char *name;       /* borrowed from the schema */
	struct nodes nodes;
};

struct nameds {
	struct named *v;
	size_t n, cap;
};

struct kwval {
	const char *kw;
	struct node n;          /* n.s is the keyword's value */
};

struct kwvals {
	struct kwval *v;
	size_t n, cap;
};

enum { NUM_MIN, NUM_XMIN, NUM_MAX, NUM_XMAX, NUM_N };
static const char *const num_kw[NUM_N] = { "minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum" };
static const int num_upper[NUM_N] = { 0, 0, 1, 1 };

enum { CNT_MINLEN, CNT_MAXLEN, CNT_MINITEMS, CNT_MAXITEMS, CNT_MINPROPS, CNT_MAXPROPS, CNT_N };
static const char *const cnt_kw[CNT_N] = {
	"minLength", "maxLength", "minItems", "maxItems", "minProperties", "maxProperties",
};
static const int cnt_upper[CNT_N] = { 0, 1, 0, 1, 0, 1 };

/* The keywords in force at one location (a conjunction). */
struct view {
	bool is_false;
	unsigned types;                 /* T_ALL when unconstrained */
	json_t *values;                 /* allowed values (enum/const), or NULL */
	bool has_enum, has_const;
	const json_t *num[NUM_N];
	const json_t *cnt[CNT_N];
	json_t *multiple_of;            /* array of numbers */
	bool unique;
	json_t *patterns, *formats, *required;  /* arrays of strings */
	struct nameds props, patprops;
	struct nodes additional, unevaluated, items, add_items;
	bool add_closed, uneval_closed;
	struct nodes *prefix;
	size_t nprefix;
	struct kwvals alts, opaque;
	const json_t **seen;            /* schemas already folded in (cycles) */
	size_t nseen, capseen;
};

struct ctx {
	const sgp_compat_docs *docs;
	sgp_compat_report *rep;
	const json_t *side_root[2];
	const char *side_base[2];
	char **strs;                    /* interned strings */
	size_t nstrs, capstrs;
	struct { const json_t *a, *b; } *stack;  /* pairs being compared */
	size_t nstack, capstack;
	char *err;
};

static const char *intern(struct ctx *c, char *s)
{
	size_t i;

	for (i = 0; i < c->nstrs; i++) {
		if (strcmp(c->strs[i], s) == 0) {
			free(s);
			return c->strs[i];
		}
	}
	if (c->nstrs == c->capstrs) {
		c->capstrs = c->capstrs ? c->capstrs * 2 : 16;
		c->strs = xreallocarray(c->strs, c->capstrs, sizeof *c->strs);
	}
	c->strs[c->nstrs++] = s;
	return s;
}

static void nodes_push(struct nodes *ns, struct node n)
{
	if (ns->n == ns->cap) {
		ns->cap = ns->cap ? ns->cap * 2 : 4;
		ns->v = xreallocarray(ns->v, ns->cap, sizeof *ns->v);
	}
	ns->v[ns->n++] = n;
}

static struct named *nameds_get(struct nameds *m, const char *name, bool create)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		if (strcmp(m->v[i].name, name) == 0)
			return &m->v[i];
	if (!create)
		return NULL;
	if (m->n == m->cap) {
		m->cap = m->cap ? m->cap * 2 : 8;
		m->v = xreallocarray(m->v, m->cap, sizeof *m->v);
	}
	memset(&m->v[m->n], 0, sizeof m->v[m->n]);
	m->v[m->n].name = name;
	return &m->v[m->n++];
}

static void nameds_release(struct nameds *m)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		free(m->v[i].nodes.v);
	free(m->v);
}

static void kwvals_push(struct kwvals *k, const char *kw, struct node n)
{
	if (k->n == k->cap) {
		k->cap = k->cap ? k->cap * 2 : 4;
		k->v = xreallocarray(k->v, k->cap, sizeof *k->v);
	}
	k->v[k->n].kw = kw;
	k->v[k->n].n = n;
	k->n++;
}

static void view_init(struct view *v)
{
	memset(v, 0, sizeof *v);
	v->types = T_ALL;
	v->multiple_of = json_array();
	v->patterns = json_array();
	v->formats = json_array();
	v->required = json_array();
}

static void view_release(struct view *v)
{
	size_t i;

	json_decref(v->values);
	json_decref(v->multiple_of);
	json_decref(v->patterns);
	json_decref(v->formats);
	json_decref(v->required);
	nameds_release(&v->props);
	nameds_release(&v->patprops);
	free(v->additional.v);
	free(v->unevaluated.v);
	free(v->items.v);
	free(v->add_items.v);
	for (i = 0; i < v->nprefix; i++)
		free(v->prefix[i].v);
	free(v->prefix);
	free(v->alts.v);
	free(v->opaque.v);
	free(v->seen);
}

static void set_add(json_t *arr, const json_t *v)
{
	if (!in_array(arr, v))
		json_array_append(arr, (json_t *)v);
}

/* Intersect the allowed values with SET (an array). */
static void values_restrict(struct view *v, const json_t *set)
{
	json_t *n;
	size_t i;

	if (v->values == NULL) {
		v->values = json_array();
		for (i = 0; i < json_array_size(set); i++)
			set_add(v->values, json_array_get(set, i));
		return;
	}
	n = json_array();
	for (i = 0; i < json_array_size(v->values); i++) {
		json_t *x = json_array_get(v->values, i);

		if (in_array(set, x))
			json_array_append(n, x);
	}
	json_decref(v->values);
	v->values = n;
}

static bool is_annotation(const char *k)
{
	static const char *const ann[] = {
		"$schema", "$id", "$anchor", "$dynamicAnchor", "$defs", "definitions",
		"$comment", "$vocabulary", "title", "description", "examples", "default",
		"deprecated", "readOnly", "writeOnly", "contentEncoding", "contentMediaType",
		"contentSchema",
	};
	size_t i;

	for (i = 0; i < sizeof ann / sizeof ann[0]; i++)
		if (strcmp(ann[i], k) == 0)
			return true;
	return false;
}

static void set_err(struct ctx *c, char *msg)
{
	if (c->err == NULL)
		c->err = msg;
	else
		free(msg);
}

/* Resolve the reference REF found in N; 0 and *out, or -1. */
static int resolve_ref(struct ctx *c, const struct node *n, const char *ref, struct node *out)
{
	char *uri = uri_resolve(n->base, ref);
	char *doc_uri = uri_strip_fragment(uri);
	const char *h = strchr(uri, '#');
	char *frag = percent_decode(h ? h + 1 : "");
	const json_t *res = NULL, *target = NULL;

	if (doc_uri[0] == '\0' || strcmp(doc_uri, n->base) == 0)
		res = n->root;
	else if (c->side_base[n->side] && strcmp(doc_uri, c->side_base[n->side]) == 0)
		res = c->side_root[n->side];
	else
		res = sgp_compat_docs_get(c->docs, doc_uri);
	if (res) {
		if (frag[0] == '\0' || frag[0] == '/')
			target = pointer_get(res, frag);
		else
			target = anchor_find(res, frag, 0);
	}
	if (target == NULL) {
		set_err(c, xasprintf("cannot resolve reference '%s'%s%s%s", ref,
				     strcmp(uri, ref) ? " ('" : "", strcmp(uri, ref) ? uri : "",
				     strcmp(uri, ref) ? "')" : ""));
		free(uri);
		free(doc_uri);
		free(frag);
		return -1;
	}
	out->s = target;
	out->root = res;
	out->base = intern(c, doc_uri);
	out->side = n->side;
	free(uri);
	free(frag);
	return 0;
}

static void fold(struct ctx *c, struct view *v, struct node n, int depth);

static void fold_keyword(struct ctx *c, struct view *v, const struct node *n,
			 const char *k, const json_t *val, int depth)
{
	struct node child = *n;
	size_t i;
	int j;

	child.s = val;
	if (strcmp(k, "$ref") == 0 || strcmp(k, "$dynamicRef") == 0 ||
	    strcmp(k, "$recursiveRef") == 0) {
		struct node t;

		if (json_is_string(val) && resolve_ref(c, n, json_string_value(val), &t) == 0)
			fold(c, v, t, depth + 1);
	} else if (strcmp(k, "allOf") == 0 && json_is_array(val)) {
		for (i = 0; i < json_array_size(val); i++) {
			child.s = json_array_get(val, i);
			fold(c, v, child, depth + 1);
		}
	} else if (strcmp(k, "type") == 0) {
		unsigned m = 0;

		if (json_is_string(val)) {
			m = type_bit(json_string_value(val));
		} else if (json_is_array(val)) {
			for (i = 0; i < json_array_size(val); i++)
				m |= type_bit(json_string_value(json_array_get(val, i)) ?
					      json_string_value(json_array_get(val, i)) : "");
		}
		v->types &= m;
	} else if (strcmp(k, "enum") == 0 && json_is_array(val)) {
		values_restrict(v, val);
		v->has_enum = true;
	} else if (strcmp(k, "const") == 0) {
		json_t *one = json_array();

		json_array_append(one, (json_t *)val);
		values_restrict(v, one);
		json_decref(one);
		v->has_const = true;
	} else if (strcmp(k, "multipleOf") == 0 && json_is_number(val)) {
		set_add(v->multiple_of, val);
	} else if (strcmp(k, "uniqueItems") == 0) {
		if (json_is_true(val))
			v->unique = true;
	} else if (strcmp(k, "pattern") == 0 && json_is_string(val)) {
		set_add(v->patterns, val);
	} else if (strcmp(k, "format") == 0 && json_is_string(val)) {
		set_add(v->formats, val);
	} else if (strcmp(k, "required") == 0 && json_is_array(val)) {
		for (i = 0; i < json_array_size(val); i++)
			if (json_is_string(json_array_get(val, i)))
				set_add(v->required, json_array_get(val, i));
	} else if ((strcmp(k, "properties") == 0 || strcmp(k, "patternProperties") == 0) &&
		   json_is_object(val)) {
		struct nameds *m = k[0] == 'p' && k[1] == 'r' ? &v->props : &v->patprops;
		const char *name;
		json_t *sub;

		json_object_foreach((json_t *)val, name, sub) {
			child.s = sub;
			nodes_push(&nameds_get(m, name, true)->nodes, child);
		}
	} else if (strcmp(k, "additionalProperties") == 0) {
		if (json_is_false(val))
			v->add_closed = true;
		else
			nodes_push(&v->additional, child);
	} else if (strcmp(k, "unevaluatedProperties") == 0) {
		if (json_is_false(val))
			v->uneval_closed = true;
		else
			nodes_push(&v->unevaluated, child);
	} else if ((strcmp(k, "prefixItems") == 0 && json_is_array(val)) ||
		   (strcmp(k, "items") == 0 && json_is_array(val))) {
		size_t len = json_array_size(val);

		if (len > v->nprefix) {
			v->prefix = xreallocarray(v->prefix, len, sizeof *v->prefix);
			memset(v->prefix + v->nprefix, 0, (len - v->nprefix) * sizeof *v->prefix);
			v->nprefix = len;
		}
		for (i = 0; i < len; i++) {
			child.s = json_array_get(val, i);
			nodes_push(&v->prefix[i], child);
		}
	} else if (strcmp(k, "items") == 0) {
		nodes_push(&v->items, child);
	} else if (strcmp(k, "additionalItems") == 0) {
		/* draft-07: applies only beside an array-form "items" */
		if (json_is_array(json_object_get(n->s, "items")))
			nodes_push(&v->add_items, child);
	} else if (strcmp(k, "anyOf") == 0 || strcmp(k, "oneOf") == 0) {
		kwvals_push(&v->alts, k, child);
	} else {
		for (j = 0; j < NUM_N; j++) {
			if (strcmp(k, num_kw[j]) == 0 && json_is_number(val)) {
				const json_t *cur = v->num[j];

				if (cur == NULL || (num_upper[j] ? num_cmp(val, cur) < 0 : num_cmp(val, cur) > 0))
					v->num[j] = val;
				return;
			}
		}
		for (j = 0; j < CNT_N; j++) {
			if (strcmp(k, cnt_kw[j]) == 0 && json_is_number(val)) {
				const json_t *cur = v->cnt[j];

				if (cur == NULL || (cnt_upper[j] ? num_cmp(val, cur) < 0 : num_cmp(val, cur) > 0))
					v->cnt[j] = val;
				return;
			}
		}
		if (!is_annotation(k))
			kwvals_push(&v->opaque, k, child);
	}
}

/* Fold schema N into the view V. */
static void fold(struct ctx *c, struct view *v, struct node n, int depth)
{
	const char *k, *id;
	json_t *val;
	size_t i;

	if (depth > 64)
		return;
	if (json_is_false(n.s)) {
		v->is_false = true;
		return;
	}
	if (!json_is_object(n.s))
		return;
	for (i = 0; i < v->nseen; i++)
		if (v->seen[i] == n.s)
			return;
	if (v->nseen == v->capseen) {
		v->capseen = v->capseen ? v->capseen * 2 : 8;
		v->seen = xreallocarray(v->seen, v->capseen, sizeof *v->seen);
	}
	v->seen[v->nseen++] = n.s;

	id = json_string_value(json_object_get(n.s, "$id"));
	if (id && n.s != n.root) {
		char *u = uri_resolve(n.base, id);

		n.base = intern(c, uri_strip_fragment(u));
		n.root = n.s;
		free(u);
	}
	json_object_foreach((json_t *)n.s, k, val)
		fold_keyword(c, v, &n, k, val, depth);
}

/* ---- comparing ----------------------------------------------------- */

static char *path_join(const char *path, const char *kw, const char *name)
{
	sgp_buf b = SGP_BUF_INIT;
	const char *p;

	sgp_buf_adds(&b, path);
	sgp_buf_addc(&b, '/');
	sgp_buf_adds(&b, kw);
	if (name) {
		sgp_buf_addc(&b, '/');
		for (p = name; *p; p++) {
			if (*p == '~')
				sgp_buf_adds(&b, "~0");
			else if (*p == '/')
				sgp_buf_adds(&b, "~1");
			else
				sgp_buf_addc(&b, *p);
		}
	}
	return sgp_buf_detach(&b, NULL);
}

static void change(struct ctx *c, int breaking, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void change(struct ctx *c, int breaking, const char *path, const char *fmt, ...)
{
	sgp_compat_report *r = c->rep;
	va_list ap;
	char *msg;
	size_t i;
	sgp_buf b = SGP_BUF_INIT;

	va_start(ap, fmt);
	{
		va_list ap2;
		int n;

		va_copy(ap2, ap);
		n = vsnprintf(NULL, 0, fmt, ap2);
		va_end(ap2);
		sgp_buf_grow(&b, (size_t)n + 1);
		vsnprintf(b.data, (size_t)n + 1, fmt, ap);
		b.len = (size_t)n;
	}
	va_end(ap);
	msg = sgp_buf_detach(&b, NULL);
	for (i = 0; i < r->n; i++) {
		if (strcmp(r->v[i].path, path) == 0 && strcmp(r->v[i].message, msg) == 0) {
			free(msg);
			return;
		}
	}
	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 16;
		r->v = xreallocarray(r->v, r->cap, sizeof *r->v);
	}
	r->v[r->n].breaking = breaking;
	r->v[r->n].path = xstrdup(path);
	r->v[r->n].message = msg;
	r->n++;
	if (breaking)
		r->nbreaking++;
}

static void compare(struct ctx *c, const char *path, const struct nodes *o,
		    const struct nodes *n, int depth);

static void compare_one(struct ctx *c, const char *path, const struct nodes *o,
			const struct nodes *n, int depth)
{
	static const struct nodes none;

	compare(c, path, o ? o : &none, n ? n : &none, depth + 1);
}

static void cmp_types(struct ctx *c, const char *path, const struct view *o, const struct view *n)
{
	unsigned ot = o->types, nt = n->types;
	size_t i;
	char *a, *b;

	if (o->values) {
		unsigned m = 0;

		for (i = 0; i < json_array_size(o->values); i++)
			m |= type_of_value(json_array_get(o->values, i));
		ot &= m;
	}
	if (n->values) {
		unsigned m = 0;

		for (i = 0; i < json_array_size(n->values); i++)
			m |= type_of_value(json_array_get(n->values, i));
		nt &= m;
	}
	if (ot == nt)
		return;
	a = describe_types(ot);
	b = describe_types(nt);
	if ((ot & ~nt) && (nt & ~ot))
		change(c, 1, path, "type changed from %s to %s", a, b);
	else if (ot & ~nt)
		change(c, 1, path, "type narrowed from %s to %s", a, b);
	else
		change(c, 0, path, "type widened from %s to %s", a, b);
	free(a);
	free(b);
}

static void cmp_values(struct ctx *c, const char *path, const struct view *o, const struct view *n)
{
	size_t i;

	if (o->values == NULL && n->values == NULL)
		return;
	if (o->values == NULL) {
		char *s = render(n->values);

		if (n->has_const && !n->has_enum && json_array_size(n->values) == 1) {
			char *one = render(json_array_get(n->values, 0));

			change(c, 1, path, "const %s added", one);
			free(one);
		} else {
			change(c, 1, path, "enum %s added (values restricted)", s);
		}
		free(s);
		return;
	}
	if (n->values == NULL) {
		change(c, 0, path, "%s removed (any value allowed)",
		       o->has_const && !o->has_enum ? "const" : "enum");
		return;
	}
	if (o->has_const && !o->has_enum && n->has_const && !n->has_enum &&
	    json_array_size(o->values) == 1 && json_array_size(n->values) == 1) {
		if (!jeq(json_array_get(o->values, 0), json_array_get(n->values, 0))) {
			char *a = render(json_array_get(o->values, 0));
			char *b = render(json_array_get(n->values, 0));

			change(c, 1, path, "const changed from %s to %s", a, b);
			free(a);
			free(b);
		}
		return;
	}
	for (i = 0; i < json_array_size(o->values); i++) {
		const json_t *x = json_array_get(o->values, i);

		if (!in_array(n->values, x)) {
			char *s = render(x);

			change(c, 1, path, "enum value %s removed", s);
			free(s);
		}
	}
	for (i = 0; i < json_array_size(n->values); i++) {
		const json_t *x = json_array_get(n->values, i);

		if (!in_array(o->values, x)) {
			char *s = render(x);

			change(c, 0, path, "enum value %s added", s);
			free(s);
		}
	}
}

/* A bound keyword: UPPER bounds tighten when lowered, lower bounds when
 * raised. */
static void cmp_bound(struct ctx *c, const char *path, const char *kw, int upper,
		      const json_t *o, const json_t *n)
{
	char *a, *b;
	int d;

	if (o == NULL && n == NULL)
		return;
	if (o == NULL) {
		b = render(n);
		change(c, 1, path, "%s %s added", kw, b);
		free(b);
		return;
	}
	if (n == NULL) {
		a = render(o);
		change(c, 0, path, "%s %s removed", kw, a);
		free(a);
		return;
	}
	d = num_cmp(n, o);
	if (d == 0)
		return;
	a = render(o);
	b = render(n);
	if (d > 0)
		change(c, !upper, path, "%s raised from %s to %s", kw, a, b);
	else
		change(c, upper, path, "%s lowered from %s to %s", kw, a, b);
	free(a);
	free(b);
}

/* Whether A is an integer multiple of B. */
static bool is_multiple(const json_t *a, const json_t *b)
{
	double x = json_number_value(a), y = json_number_value(b), q;

	if (y == 0)
		return false;
	q = x / y;
	return isfinite(q) && fabs(q - round(q)) < 1e-9 * fmax(1.0, fabs(q));
}

static void cmp_multiple_of(struct ctx *c, const char *path, const struct view *o,
			    const struct view *n)
{
	size_t i, j;

	if (json_array_size(o->multiple_of) == 1 && json_array_size(n->multiple_of) == 1) {
		const json_t *a = json_array_get(o->multiple_of, 0), *b = json_array_get(n->multiple_of, 0);

		if (!jeq(a, b)) {
			char *sa = render(a), *sb = render(b);

			change(c, !is_multiple(a, b), path, "multipleOf changed from %s to %s", sa, sb);
			free(sa);
			free(sb);
		}
		return;
	}
	for (i = 0; i < json_array_size(n->multiple_of); i++) {
		const json_t *b = json_array_get(n->multiple_of, i);
		bool implied = false;

		for (j = 0; j < json_array_size(o->multiple_of); j++)
			if (is_multiple(json_array_get(o->multiple_of, j), b))
				implied = true;
		if (!in_array(o->multiple_of, b)) {
			char *s = render(b);

			change(c, !implied, path, "multipleOf %s added", s);
			free(s);
		}
	}
	for (i = 0; i < json_array_size(o->multiple_of); i++) {
		const json_t *a = json_array_get(o->multiple_of, i);

		if (!in_array(n->multiple_of, a)) {
			char *s = render(a);

			change(c, 0, path, "multipleOf %s removed", s);
			free(s);
		}
	}
}

/* Sets of strings that each restrict (pattern, format): one replaced by
 * another is "changed", an added one tightens, a removed one loosens. */
static void cmp_string_set(struct ctx *c, const char *path, const char *kw,
			   const json_t *o, const json_t *n)
{
	json_t *added = json_array(), *removed = json_array();
	size_t i;

	for (i = 0; i < json_array_size(n); i++)
		if (!in_array(o, json_array_get(n, i)))
			json_array_append(added, json_array_get(n, i));
	for (i = 0; i < json_array_size(o); i++)
		if (!in_array(n, json_array_get(o, i)))
			json_array_append(removed, json_array_get(o, i));
	if (json_array_size(added) == 1 && json_array_size(removed) == 1) {
		char *a = render(json_array_get(removed, 0)), *b = render(json_array_get(added, 0));

		change(c, 1, path, "%s changed from %s to %s", kw, a, b);
		free(a);
		free(b);
	} else {
		for (i = 0; i < json_array_size(added); i++) {
			char *s = render(json_array_get(added, i));

			change(c, 1, path, "%s %s added", kw, s);
			free(s);
		}
		for (i = 0; i < json_array_size(removed); i++) {
			char *s = render(json_array_get(removed, i));

			change(c, 0, path, "%s %s removed", kw, s);
			free(s);
		}
	}
	json_decref(added);
	json_decref(removed);
}

static bool has_string(const json_t *arr, const char *s)
{
	size_t i;

	for (i = 0; i < json_array_size(arr); i++) {
		const char *x = json_string_value(json_array_get(arr, i));

		if (x && strcmp(x, s) == 0)
			return true;
	}
	return false;
}

/* The single schema a property is declared with, when it is one. */
static const json_t *only_schema(const struct named *p)
{
	return p && p->nodes.n == 1 ? p->nodes.v[0].s : NULL;
}

static void cmp_properties(struct ctx *c, const char *path, const struct view *o,
			   const struct view *n, int depth)
{
	size_t i, j;

	for (i = 0; i < o->props.n; i++) {
		const struct named *op = &o->props.v[i];
		const struct named *np = nameds_get((struct nameds *)&n->props, op->name, false);
		char *p = path_join(path, "properties", op->name);

		if (np) {
			compare_one(c, p, &op->nodes, &np->nodes, depth);
		} else {
			const char *renamed = NULL;
			const json_t *os = only_schema(op);

			for (j = 0; os && j < n->props.n && !renamed; j++) {
				const struct named *cand = &n->props.v[j];
				const json_t *ns = only_schema(cand);

				if (!nameds_get((struct nameds *)&o->props, cand->name, false) &&
				    ns && jeq(os, ns))
					renamed = cand->name;
			}
			if (renamed)
				change(c, 1, p, "property removed (renamed to '%s'?)", renamed);
			else
				change(c, 1, p, "property removed");
		}
		free(p);
	}
	for (i = 0; i < n->props.n; i++) {
		const struct named *np = &n->props.v[i];
		const char *renamed = NULL;
		const json_t *ns = only_schema(np);
		char *p;

		if (nameds_get((struct nameds *)&o->props, np->name, false))
			continue;
		for (j = 0; ns && j < o->props.n && !renamed; j++) {
			const struct named *cand = &o->props.v[j];
			const json_t *os = only_schema(cand);

			if (!nameds_get((struct nameds *)&n->props, cand->name, false) &&
			    os && jeq(os, ns))
				renamed = cand->name;
		}
		p = path_join(path, "properties", np->name);
		if (has_string(n->required, np->name) && !has_string(o->required, np->name))
			change(c, 1, p, "required property added%s%s%s", renamed ? " (renamed from '" : "",
			       renamed ? renamed : "", renamed ? "'?)" : "");
		else
			change(c, 0, p, "optional property added%s%s%s", renamed ? " (renamed from '" : "",
			       renamed ? renamed : "", renamed ? "'?)" : "");
		free(p);
	}
	for (i = 0; i < json_array_size(n->required); i++) {
		const char *name = json_string_value(json_array_get(n->required, i));
		char *p;

		if (has_string(o->required, name))
			continue;
		/* a property that is new here was reported as added */
		if (nameds_get((struct nameds *)&n->props, name, false) &&
		    !nameds_get((struct nameds *)&o->props, name, false))
			continue;
		p = path_join(path, "properties", name);
		change(c, 1, p, "property newly required");
		free(p);
	}
	for (i = 0; i < json_array_size(o->required); i++) {
		const char *name = json_string_value(json_array_get(o->required, i));
		char *p;

		if (has_string(n->required, name))
			continue;
		/* a property that is gone was reported as removed */
		if (nameds_get((struct nameds *)&o->props, name, false) &&
		    !nameds_get((struct nameds *)&n->props, name, false))
			continue;
		p = path_join(path, "properties", name);
		change(c, 0, p, "property no longer required");
		free(p);
	}
}

static void cmp_closable(struct ctx *c, const char *path, const char *kw,
			 bool oclosed, const struct nodes *on, bool nclosed, const struct nodes *nn,
			 int depth)
{
	char *p;

	if (!oclosed && nclosed) {
		change(c, 1, path, "%s closed (false)", kw);
	} else if (oclosed && !nclosed) {
		change(c, 0, path, "%s opened", kw);
	} else if (!oclosed && (on->n || nn->n)) {
		p = path_join(path, kw, NULL);
		compare_one(c, p, on, nn, depth);
		free(p);
	}
}

static void cmp_pattern_properties(struct ctx *c, const char *path, const struct view *o,
				   const struct view *n, int depth)
{
	size_t i;

	for (i = 0; i < o->patprops.n; i++) {
		const struct named *op = &o->patprops.v[i];
		const struct named *np = nameds_get((struct nameds *)&n->patprops, op->name, false);
		char *p = path_join(path, "patternProperties", op->name);

		if (np)
			compare_one(c, p, &op->nodes, &np->nodes, depth);
		else if (n->add_closed)
			change(c, 1, p, "pattern property removed (such names are now refused)");
		else
			change(c, 0, p, "pattern property removed");
		free(p);
	}
	for (i = 0; i < n->patprops.n; i++) {
		const struct named *np = &n->patprops.v[i];
		char *p;

		if (nameds_get((struct nameds *)&o->patprops, np->name, false))
			continue;
		p = path_join(path, "patternProperties", np->name);
		if (o->add_closed)
			change(c, 0, p, "pattern property added (more names allowed)");
		else
			compare_one(c, p, &o->additional, &np->nodes, depth);
		free(p);
	}
}

static void cmp_items(struct ctx *c, const char *path, const struct view *o,
		      const struct view *n, int depth)
{
	size_t i, max = o->nprefix > n->nprefix ? o->nprefix : n->nprefix;
	char *p;

	for (i = 0; i < max; i++) {
		char idx[32];

		snprintf(idx, sizeof idx, "%zu", i);
		p = path_join(path, "prefixItems", idx);
		compare_one(c, p, i < o->nprefix ? &o->prefix[i] : &o->items,
			    i < n->nprefix ? &n->prefix[i] : &n->items, depth);
		free(p);
	}
	if (o->items.n || n->items.n) {
		p = path_join(path, "items", NULL);
		compare_one(c, p, &o->items, &n->items, depth);
		free(p);
	}
	if (o->add_items.n || n->add_items.n) {
		p = path_join(path, "additionalItems", NULL);
		compare_one(c, p, &o->add_items, &n->add_items, depth);
		free(p);
	}
}

/* anyOf/oneOf: alternatives matched by equality, the rest pairwise. */
static void cmp_alternatives(struct ctx *c, const char *path, const struct view *o,
			     const struct view *n, int depth)
{
	static const char *const kws[] = { "anyOf", "oneOf" };
	size_t w, i, j;

	for (w = 0; w < 2; w++) {
		const char *kw = kws[w];
		const struct kwval *ok = NULL, *nk = NULL;
		size_t on = 0, nn = 0;

		for (i = 0; i < o->alts.n; i++)
			if (strcmp(o->alts.v[i].kw, kw) == 0)
				ok = &o->alts.v[i], on++;
		for (i = 0; i < n->alts.n; i++)
			if (strcmp(n->alts.v[i].kw, kw) == 0)
				nk = &n->alts.v[i], nn++;
		if (on == 0 && nn == 0)
			continue;
		if (on == 0) {
			change(c, 1, path, "%s added", kw);
			continue;
		}
		if (nn == 0) {
			change(c, 0, path, "%s removed", kw);
			continue;
		}
		if (on > 1 || nn > 1 || !json_is_array(ok->n.s) || !json_is_array(nk->n.s)) {
			/* several in one conjunction: compare as a whole */
			bool same = on == nn;

			for (i = 0, j = 0; same && i < o->alts.n; i++) {
				if (strcmp(o->alts.v[i].kw, kw) != 0)
					continue;
				while (j < n->alts.n && strcmp(n->alts.v[j].kw, kw) != 0)
					j++;
				same = j < n->alts.n && jeq(o->alts.v[i].n.s, n->alts.v[j].n.s);
				j++;
			}
			if (!same)
				change(c, 1, path, "%s changed (not analysed; review by hand)", kw);
			continue;
		}
		{
			size_t olen = json_array_size(ok->n.s), nlen = json_array_size(nk->n.s);
			bool *omatched = xcalloc(olen + 1, sizeof *omatched);
			bool *nmatched = xcalloc(nlen + 1, sizeof *nmatched);

			if (olen == nlen) {
				for (i = 0; i < olen; i++) {
					struct nodes a = { 0 }, b = { 0 };
					struct node x = ok->n, y = nk->n;
					char idx[32];
					char *p;

					x.s = json_array_get(ok->n.s, i);
					y.s = json_array_get(nk->n.s, i);
					nodes_push(&a, x);
					nodes_push(&b, y);
					snprintf(idx, sizeof idx, "%zu", i);
					p = path_join(path, kw, idx);
					compare_one(c, p, &a, &b, depth);
					free(p);
					free(a.v);
					free(b.v);
				}
			} else {
				for (i = 0; i < olen; i++) {
					for (j = 0; j < nlen; j++) {
						if (!nmatched[j] && jeq(json_array_get(ok->n.s, i),
									json_array_get(nk->n.s, j))) {
							omatched[i] = nmatched[j] = true;
							break;
						}
					}
				}
				for (i = 0; i < olen; i++) {
					if (!omatched[i]) {
						char idx[32];
						char *p;

						snprintf(idx, sizeof idx, "%zu", i);
						p = path_join(path, kw, idx);
						change(c, 1, p, "%s alternative removed", kw);
						free(p);
					}
				}
				for (j = 0; j < nlen; j++) {
					if (!nmatched[j]) {
						char idx[32];
						char *p;

						snprintf(idx, sizeof idx, "%zu", j);
						p = path_join(path, kw, idx);
						if (w == 1)
							change(c, 1, p, "oneOf alternative added (a value may now match two)");
						else
							change(c, 0, p, "anyOf alternative added");
						free(p);
					}
				}
			}
			free(omatched);
			free(nmatched);
		}
	}
}

/* Keywords not analysed: equal JSON or a change to review by hand. */
static void cmp_opaque(struct ctx *c, const char *path, const struct view *o, const struct view *n)
{
	size_t i, j;

	for (i = 0; i < o->opaque.n + n->opaque.n; i++) {
		const char *kw = i < o->opaque.n ? o->opaque.v[i].kw : n->opaque.v[i - o->opaque.n].kw;
		size_t oc = 0, nc = 0;
		bool same = true, dup = false;

		/* each keyword once */
		for (j = 0; j < i && !dup; j++) {
			const char *prev = j < o->opaque.n ? o->opaque.v[j].kw : n->opaque.v[j - o->opaque.n].kw;

			dup = strcmp(prev, kw) == 0;
		}
		if (dup)
			continue;
		for (j = 0; j < o->opaque.n; j++)
			if (strcmp(o->opaque.v[j].kw, kw) == 0)
				oc++;
		for (j = 0; j < n->opaque.n; j++)
			if (strcmp(n->opaque.v[j].kw, kw) == 0)
				nc++;
		if (oc == 0) {
			change(c, 1, path, "%s added (not analysed; review by hand)", kw);
			continue;
		}
		if (nc == 0) {
			change(c, 0, path, "%s removed", kw);
			continue;
		}
		if (oc != nc) {
			same = false;
		} else {
			size_t a = 0, b = 0;

			for (j = 0; j < oc && same; j++) {
				while (strcmp(o->opaque.v[a].kw, kw) != 0)
					a++;
				while (strcmp(n->opaque.v[b].kw, kw) != 0)
					b++;
				same = jeq(o->opaque.v[a].n.s, n->opaque.v[b].n.s);
				a++;
				b++;
			}
		}
		if (!same)
			change(c, 1, path, "%s changed (not analysed; review by hand)", kw);
	}
}

static void compare(struct ctx *c, const char *path, const struct nodes *o,
		    const struct nodes *n, int depth)
{
	struct view ov, nv;
	size_t i;
	int k;

	if (o->n == 0 && n->n == 0)
		return;
	if (depth > 64)
		return;
	if (o->n == 1 && n->n == 1 && o->v[0].s == n->v[0].s)
		return;   /* the very same schema (a shared definition) */
	{
		const json_t *a = o->n ? o->v[0].s : NULL, *b = n->n ? n->v[0].s : NULL;

		for (i = 0; i < c->nstack; i++)
			if (c->stack[i].a == a && c->stack[i].b == b)
				return;   /* a recursive schema: this pair is being compared */
		if (c->nstack == c->capstack) {
			c->capstack = c->capstack ? c->capstack * 2 : 16;
			c->stack = xreallocarray(c->stack, c->capstack, sizeof *c->stack);
		}
		c->stack[c->nstack].a = a;
		c->stack[c->nstack].b = b;
		c->nstack++;
	}

	view_init(&ov);
	view_init(&nv);
	for (i = 0; i < o->n; i++)
		fold(c, &ov, o->v[i], 0);
	for (i = 0; i < n->n; i++)
		fold(c, &nv, n->v[i], 0);

	if (ov.is_false || nv.is_false) {
		if (ov.is_false && !nv.is_false)
			change(c, 0, path, "schema was false, now accepts values");
		else if (!ov.is_false)
			change(c, 1, path, "schema is now false (refuses every value)");
		goto out;
	}
	cmp_types(c, path, &ov, &nv);
	cmp_values(c, path, &ov, &nv);
	for (k = 0; k < NUM_N; k++)
		cmp_bound(c, path, num_kw[k], num_upper[k], ov.num[k], nv.num[k]);
	cmp_multiple_of(c, path, &ov, &nv);
	for (k = 0; k < CNT_N; k++)
		cmp_bound(c, path, cnt_kw[k], cnt_upper[k], ov.cnt[k], nv.cnt[k]);
	if (!ov.unique && nv.unique)
		change(c, 1, path, "uniqueItems required");
	else if (ov.unique && !nv.unique)
		change(c, 0, path, "uniqueItems no longer required");
	cmp_string_set(c, path, "pattern", ov.patterns, nv.patterns);
	cmp_string_set(c, path, "format", ov.formats, nv.formats);
	cmp_properties(c, path, &ov, &nv, depth);
	cmp_closable(c, path, "additionalProperties", ov.add_closed, &ov.additional,
		     nv.add_closed, &nv.additional, depth);
	cmp_closable(c, path, "unevaluatedProperties", ov.uneval_closed, &ov.unevaluated,
		     nv.uneval_closed, &nv.unevaluated, depth);
	cmp_pattern_properties(c, path, &ov, &nv, depth);
	cmp_items(c, path, &ov, &nv, depth);
	cmp_alternatives(c, path, &ov, &nv, depth);
	cmp_opaque(c, path, &ov, &nv);
out:
	view_release(&ov);
	view_release(&nv);
	c->nstack--;
}

static void side_init(struct ctx *c, int side, const json_t *schema, const char *uri,
		      struct node *n)
{
	const char *id = json_is_object(schema) ? json_string_value(json_object_get(schema, "$id")) : NULL;
	char *u = id ? uri_resolve(uri, id) : xstrdup(uri ? uri : "");

	n->s = schema;
	n->root = schema;
	n->base = intern(c, uri_strip_fragment(u));
	n->side = side;
	c->side_root[side] = schema;
	c->side_base[side] = n->base;
	free(u);
}

int sgp_compat_compare(const sgp_compat_docs *docs,
		       const json_t *old_schema, const char *old_uri,
		       const json_t *new_schema, const char *new_uri,
		       sgp_compat_report *rep, char **err)
{
	struct ctx c;
	struct node on, nn;
	struct nodes o = { 0 }, n = { 0 };
	size_t i;
	int ret = 0;

	memset(&c, 0, sizeof c);
	c.docs = docs;
	c.rep = rep;
	side_init(&c, 0, old_schema, old_uri, &on);
	side_init(&c, 1, new_schema, new_uri, &nn);
	nodes_push(&o, on);
	nodes_push(&n, nn);
	compare(&c, "", &o, &n, 0);
	free(o.v);
	free(n.v);
	if (c.err) {
		*err = c.err;
		ret = -1;
	}
	for (i = 0; i < c.nstrs; i++)
		free(c.strs[i]);
	free(c.strs);
	free(c.stack);
	return ret;
}

/* ---- one place of a schema (the mapping lint) ------------------------ */

/* Whether NAME matches the ECMA-262-like regular expression RE. */
static bool re_match(const char *re, const char *name)
{
	int ec;
	PCRE2_SIZE eo;
	pcre2_code *code = pcre2_compile((PCRE2_SPTR)re, PCRE2_ZERO_TERMINATED, PCRE2_UTF, &ec, &eo, NULL);
	pcre2_match_data *md;
	bool ok;

	if (code == NULL)
		return false;
	md = pcre2_match_data_create_from_pattern(code, NULL);
	ok = pcre2_match(code, (PCRE2_SPTR)name, strlen(name), 0, 0, md, NULL) >= 0;
	pcre2_match_data_free(md);
	pcre2_code_free(code);
	return ok;
}

static void nodes_append(struct nodes *dst, const struct nodes *src)
{
	size_t i;

	for (i = 0; i < src->n; i++)
		nodes_push(dst, src->v[i]);
}

void sgp_schema_at_release(struct sgp_schema_at *at)
{
	free(at->refused);
	json_decref(at->required);
	json_decref(at->properties);
	memset(at, 0, sizeof *at);
}

int sgp_schema_at(const sgp_compat_docs *docs, const json_t *schema, const char *uri,
		  const char *path, struct sgp_schema_at *at, char **err)
{
	struct ctx c;
	struct node root;
	struct nodes cur = { 0 };
	struct view v;
	sgp_buf walked = SGP_BUF_INIT;
	const char *p = path;
	size_t i;
	int ret = 0;

	memset(at, 0, sizeof *at);
	memset(&c, 0, sizeof c);
	c.docs = docs;
	side_init(&c, 0, schema, uri, &root);
	c.side_root[1] = c.side_root[0];
	c.side_base[1] = c.side_base[0];
	nodes_push(&cur, root);
	sgp_buf_adds(&walked, "");
	for (;;) {
		struct nodes next = { 0 };
		char *tok;
		const char *slash;

		view_init(&v);
		for (i = 0; i < cur.n; i++)
			fold(&c, &v, cur.v[i], 0);
		if (v.is_false) {
			at->status = SGP_SCHEMA_AT_REFUSED;
			at->refused = xstrdup(walked.len ? walked.data : "");
			view_release(&v);
			break;
		}
		if (*p == '\0') {
			at->status = SGP_SCHEMA_AT_DECLARED;
			at->required = json_incref(v.required);
			at->properties = json_array();
			for (i = 0; i < v.props.n; i++)
				json_array_append_new(at->properties, json_string(v.props.v[i].name));
			at->closed = v.add_closed || v.uneval_closed;
			view_release(&v);
			break;
		}
		/* the next token, ~1 and ~0 decoded */
		p++;
		slash = strchr(p, '/');
		tok = slash ? xstrndup(p, (size_t)(slash - p)) : xstrdup(p);
		{
			char *r = tok, *w = tok;

			for (; *r; r++, w++) {
				if (r[0] == '~' && r[1] == '1')
					*w = '/', r++;
				else if (r[0] == '~' && r[1] == '0')
					*w = '~', r++;
				else
					*w = *r;
			}
			*w = '\0';
		}
		sgp_buf_addc(&walked, '/');
		sgp_buf_add(&walked, p, slash ? (size_t)(slash - p) : strlen(p));
		p = slash ? slash : p + strlen(p);
		if (strcmp(tok, "*") == 0) {
			nodes_append(&next, &v.items);
			nodes_append(&next, &v.add_items);
			for (i = 0; i < v.nprefix; i++)
				nodes_append(&next, &v.prefix[i]);
		} else {
			const struct named *np = nameds_get(&v.props, tok, false);
			bool matched = np != NULL;

			if (np)
				nodes_append(&next, &np->nodes);
			for (i = 0; i < v.patprops.n; i++) {
				if (re_match(v.patprops.v[i].name, tok)) {
					nodes_append(&next, &v.patprops.v[i].nodes);
					matched = true;
				}
			}
			if (!matched) {
				if (v.add_closed || v.uneval_closed) {
					at->status = SGP_SCHEMA_AT_REFUSED;
					at->refused = xstrdup(walked.data);
				} else {
					nodes_append(&next, &v.additional);
				}
			}
		}
		free(tok);
		view_release(&v);
		free(cur.v);
		cur = next;
		if (at->status == SGP_SCHEMA_AT_REFUSED)
			break;
		if (cur.n == 0) {
			at->status = SGP_SCHEMA_AT_ANY;
			break;
		}
	}
	free(cur.v);
	sgp_buf_release(&walked);
	if (c.err) {
		*err = c.err;
		c.err = NULL;
		sgp_schema_at_release(at);
		ret = -1;
	}
	for (i = 0; i < c.nstrs; i++)
		free(c.strs[i]);
	free(c.strs);
	free(c.stack);
	return ret;
}
