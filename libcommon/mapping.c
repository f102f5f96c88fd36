/* mapping.c: loading and compiling mapping specs (see mapping.h and
 * sgp-mapping(5)); every problem of a spec is found here, before any
 * input is read. */
#include "map_internal.h"

#include <errno.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "lineio.h"

#ifndef SGP_DATADIR
#define SGP_DATADIR "/usr/local/share/sgp"
#endif

/* Compile state: the mapping being built, where messages go. */
struct cc {
	sgp_mapping *m;
	const char *file;       /* name for messages */
	const char *basedir;
	char err[1024];
	int failed;
};

static int fail(struct cc *c, const char *loc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct cc *c, const char *loc, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	if (c->failed)
		return -1;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	snprintf(c->err, sizeof c->err, "%s: %s: %s", c->file, *loc ? loc : "/", msg);
	c->failed = 1;
	return -1;
}

static char *loc_join(const char *loc, const char *member)
{
	sgp_buf b = SGP_BUF_INIT;
	const char *p;

	sgp_buf_adds(&b, loc);
	sgp_buf_addc(&b, '/');
	for (p = member; *p; p++) {
		if (*p == '~')
			sgp_buf_adds(&b, "~0");
		else if (*p == '/')
			sgp_buf_adds(&b, "~1");
		else
			sgp_buf_addc(&b, *p);
	}
	return sgp_buf_detach(&b, NULL);
}

static char *loc_index(const char *loc, size_t i)
{
	return xasprintf("%s/%zu", loc, i);
}

/* Every member of obj must be one of the NULL-terminated names. */
static int check_members(struct cc *c, const json_t *obj, const char *loc, const char *what,
			 const char *const *names)
{
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)obj, key, v) {
		size_t i;
		int ok = 0;

		for (i = 0; names[i]; i++)
			if (strcmp(key, names[i]) == 0)
				ok = 1;
		if (!ok) {
			sgp_buf known = SGP_BUF_INIT;

			for (i = 0; names[i]; i++) {
				if (names[i][0] == '$')
					continue;
				sgp_buf_adds(&known, known.len ? ", " : "");
				sgp_buf_adds(&known, names[i]);
			}
			fail(c, loc, "unknown member '%s' in %s (known: %s)", key, what, known.data);
			sgp_buf_release(&known);
			return -1;
		}
	}
	return 0;
}

static int is_type_name(const char *s)
{
	int dots = 0, seglen = 0;

	for (; *s; s++) {
		if (*s == '.') {
			if (seglen == 0)
				return 0;
			dots++;
			seglen = 0;
		} else if ((*s >= 'a' && *s <= 'z') || (seglen > 0 && ((*s >= '0' && *s <= '9') || *s == '_'))) {
			seglen++;
		} else {
			return 0;
		}
	}
	return dots > 0 && seglen > 0;
}

static int compile_ptr(struct cc *c, struct map_ptr *p, const char *text, const char *loc)
{
	char e[512];

	if (map_ptr_compile(p, text, c->m->params, e, sizeof e) < 0)
		return fail(c, loc, "%s", e);
	return 0;
}

/* ---- conditions --------------------------------------------------------- */

static const char *const cond_ops[] = { "exists", "eq", "ne", "in", "lt", "le", "gt", "ge",
					"starts_with", NULL };

static int compile_cond(struct cc *c, struct map_cond *k, const json_t *j, const char *loc,
			int allow_emits);

static int compile_cond_list(struct cc *c, struct map_cond *k, const json_t *arr,
			     const char *loc, int allow_emits)
{
	size_t i;

	if (!json_is_array(arr) || json_array_size(arr) == 0)
		return fail(c, loc, "expected a non-empty array of conditions");
	k->nkids = json_array_size(arr);
	k->kids = xcalloc(k->nkids, sizeof *k->kids);
	for (i = 0; i < k->nkids; i++) {
		char *l = loc_index(loc, i);
		int rc = compile_cond(c, &k->kids[i], json_array_get(arr, i), l, allow_emits);

		free(l);
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* {"param": NAME} -> the parameter's value; anything else as it is. */
static const json_t *resolve_operand(struct cc *c, const json_t *v, const char *loc)
{
	const json_t *p;

	if (!json_is_object(v) || json_object_size(v) != 1 || !json_object_get(v, "param"))
		return v;
	p = json_object_get(v, "param");
	if (!json_is_string(p)) {
		fail(c, loc, "\"param\" must name a parameter");
		return NULL;
	}
	v = json_object_get(c->m->params, json_string_value(p));
	if (v == NULL)
		fail(c, loc, "no parameter '%s' in \"params\"", json_string_value(p));
	return v;
}

static int compile_cond(struct cc *c, struct map_cond *k, const json_t *j, const char *loc,
			int allow_emits)
{
	static const char *const leaf_names[] = { "path", "exists", "eq", "ne", "in", "lt", "le",
						  "gt", "ge", "starts_with", "$comment", NULL };
	const json_t *v;
	size_t i, nops = 0;
	const char *opname = NULL;

	k->loc = xstrdup(loc);
	if (!json_is_object(j))
		return fail(c, loc, "a condition must be an object");
	if ((v = json_object_get(j, "all")) || (v = json_object_get(j, "any"))) {
		k->kind = json_object_get(j, "all") ? MC_ALL : MC_ANY;
		if (json_object_size(j) != 1)
			return fail(c, loc, "\"%s\" must be alone in its condition",
				    k->kind == MC_ALL ? "all" : "any");
		{
			char *l = loc_join(loc, k->kind == MC_ALL ? "all" : "any");
			int rc = compile_cond_list(c, k, v, l, allow_emits);

			free(l);
			return rc;
		}
	}
	if ((v = json_object_get(j, "not"))) {
		char *l;
		int rc;

		k->kind = MC_NOT;
		if (json_object_size(j) != 1)
			return fail(c, loc, "\"not\" must be alone in its condition");
		k->nkids = 1;
		k->kids = xcalloc(1, sizeof *k->kids);
		l = loc_join(loc, "not");
		rc = compile_cond(c, k->kids, v, l, allow_emits);
		free(l);
		return rc;
	}
	if ((v = json_object_get(j, "emits"))) {
		k->kind = MC_EMITS;
		if (!allow_emits)
			return fail(c, loc, "\"emits\" is only allowed in a field's \"when\"");
		if (json_object_size(j) != 1 || !json_is_string(v) || !is_type_name(json_string_value(v)))
			return fail(c, loc, "\"emits\" takes an event type, alone in its condition");
		k->emits = xstrdup(json_string_value(v));
		return 0;
	}
	k->kind = MC_LEAF;
	if (check_members(c, j, loc, "a condition (all, any, not, emits, or path with one test)",
			  leaf_names) < 0)
		return -1;
	v = json_object_get(j, "path");
	if (!json_is_string(v))
		return fail(c, loc, "a condition needs \"path\" (a JSON Pointer) and one test");
	if (compile_ptr(c, &k->ptr, json_string_value(v), loc) < 0)
		return -1;
	for (i = 0; cond_ops[i]; i++)
		if (json_object_get(j, cond_ops[i])) {
			nops++;
			opname = cond_ops[i];
			k->op = (enum map_cond_op)i;
		}
	if (nops != 1)
		return fail(c, loc, "a condition needs exactly one test of: exists, eq, ne, in, lt, le, gt, ge, starts_with");
	{
		char *l = loc_join(loc, opname);
		const json_t *op = resolve_operand(c, json_object_get(j, opname), l);
		int rc = 0;

		if (op == NULL) {
			free(l);
			return -1;
		}
		switch (k->op) {
		case OP_EXISTS:
			if (!json_is_boolean(op))
				rc = fail(c, l, "\"exists\" takes true or false");
			break;
		case OP_IN:
			if (!json_is_array(op))
				rc = fail(c, l, "\"in\" takes an array of values");
			break;
		case OP_STARTS:
			if (!json_is_string(op))
				rc = fail(c, l, "\"starts_with\" takes a string");
			break;
		case OP_LT: case OP_LE: case OP_GT: case OP_GE: {
			const char *why = "not a number";

			if (sgp_dec_from_json(op, &k->num, &why) < 0)
				rc = fail(c, l, "\"%s\" takes a number or a decimal string: %s", opname, why);
			break;
		}
		default:
			break;
		}
		k->operand = json_incref((json_t *)op);
		free(l);
		return rc;
	}
}

static void cond_release(struct map_cond *k)
{
	size_t i;

	for (i = 0; i < k->nkids; i++)
		cond_release(&k->kids[i]);
	free(k->kids);
	if (k->kind == MC_LEAF)
		map_ptr_release(&k->ptr);
	json_decref(k->operand);
	free(k->emits);
	free(k->loc);
	memset(k, 0, sizeof *k);
}

void map_cond_free(struct map_cond *k)
{
	if (k == NULL)
		return;
	cond_release(k);
	free(k);
}

static struct map_cond *compile_cond_new(struct cc *c, const json_t *j, const char *loc,
					 int allow_emits)
{
	struct map_cond *k = xcalloc(1, sizeof *k);

	if (compile_cond(c, k, j, loc, allow_emits) < 0) {
		map_cond_free(k);
		return NULL;
	}
	return k;
}

/* ---- field rules -------------------------------------------------------- */

static void vmap_free(struct map_vmap *v)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < v->n; i++) {
		free(v->keys[i]);
		json_decref(v->vals[i]);
		free(v->texts[i]);
	}
	free(v->keys);
	free(v->vals);
	free(v->texts);
	free(v->lens);
	map_hash_release(&v->h);
	free(v);
}

static void part_release(struct map_part *p)
{
	if (p->is_ptr)
		map_ptr_release(&p->ptr);
	free(p->lit);
}

static void rule_free(struct map_rule *r);

void map_rule_release(struct map_rule *r)
{
	size_t i;

	free(r->name);
	free(r->key_json);
	free(r->loc);
	free(r->opath);
	for (i = 0; i < r->nfrom; i++)
		map_ptr_release(&r->from[i]);
	free(r->from);
	json_decref(r->cval);
	free(r->ctext);
	map_tpl_release(&r->tpl);
	for (i = 0; i < r->nparts; i++)
		part_release(&r->parts[i]);
	free(r->parts);
	free(r->sep);
	free(r->hprefix);
	if (r->src == MS_EACH)
		map_ptr_release(&r->each);
	map_cond_free(r->where);
	map_cond_free(r->test);
	rule_free(r->cur_rule);
	for (i = 0; i < r->nfields; i++)
		map_rule_release(&r->fields[i]);
	free(r->fields);
	vmap_free(r->vmap);
	if (r->cur_ptr) {
		map_ptr_release(r->cur_ptr);
		free(r->cur_ptr);
	}
	free(r->tpattern);
	json_decref(r->def);
	free(r->dtext);
	map_cond_free(r->when);
	memset(r, 0, sizeof *r);
}

static void rule_free(struct map_rule *r)
{
	if (r == NULL)
		return;
	map_rule_release(r);
	free(r);
}

static char *json_text(const json_t *v, size_t *len)
{
	sgp_buf b = SGP_BUF_INIT;

	map_json_add(&b, v);
	return sgp_buf_detach(&b, len);
}

static int compile_parts(struct cc *c, struct map_rule *r, const json_t *arr, const char *loc)
{
	size_t i;

	if (!json_is_array(arr) || json_array_size(arr) == 0)
		return fail(c, loc, "expected a non-empty array of JSON Pointers or {\"const\": ...}");
	r->nparts = json_array_size(arr);
	r->parts = xcalloc(r->nparts, sizeof *r->parts);
	for (i = 0; i < r->nparts; i++) {
		const json_t *p = json_array_get(arr, i);
		char *l = loc_index(loc, i);
		int rc = 0;

		if (json_is_string(p)) {
			r->parts[i].is_ptr = true;
			rc = compile_ptr(c, &r->parts[i].ptr, json_string_value(p), l);
		} else if (json_is_object(p) && json_object_size(p) == 1 &&
			   json_object_get(p, "const") != NULL) {
			sgp_buf b = SGP_BUF_INIT;

			if (map_scalar_text(&b, json_object_get(p, "const")) < 0)
				rc = fail(c, l, "a constant part must be a string, number or boolean");
			r->parts[i].litlen = b.len;
			r->parts[i].lit = b.data ? sgp_buf_detach(&b, NULL) : xstrdup("");
		} else {
			rc = fail(c, l, "a part must be a JSON Pointer string or {\"const\": ...}");
		}
		free(l);
		if (rc < 0)
			return -1;
	}
	return 0;
}

static struct map_table *find_table(const sgp_mapping *m, const char *name)
{
	size_t i;

	for (i = 0; i < m->ntables; i++)
		if (strcmp(m->tables[i]->name, name) == 0)
			return m->tables[i];
	return NULL;
}

static int compile_fields(struct cc *c, struct map_rule *r, const json_t *obj, const char *loc,
			  const char *opath);

static struct map_rule *compile_env_rule(struct cc *c, const json_t *j, const char *loc,
					 const char *opath, enum map_conv conv);

static const char *const conv_names[] = { "", "string", "integer", "boolean", "decimal", "money",
					  "time", "date", "currency", NULL };

static int parse_offset(const char *s, int *out)
{
	int h, mi;

	if (strcmp(s, "Z") == 0) {
		*out = 0;
		return 0;
	}
	if (strlen(s) != 6 || (s[0] != '+' && s[0] != '-') || s[3] != ':' ||
	    sscanf(s + 1, "%2d:%2d", &h, &mi) != 2 || h > 23 || mi > 59)
		return -1;
	*out = (s[0] == '-' ? -1 : 1) * (h * 3600 + mi * 60);
	return 0;
}

static int compile_convert(struct cc *c, struct map_rule *r, const json_t *j, const char *loc)
{
	const json_t *v;
	const char *name;
	char *l;
	size_t i;

	v = json_object_get(j, "convert");
	if (v == NULL) {
		static const char *const opts[] = { "currency", "unit", "scale", "round", "to",
						    "format", "utc_offset", NULL };
		for (i = 0; opts[i]; i++)
			if (json_object_get(j, opts[i]))
				return fail(c, loc, "\"%s\" needs a \"convert\"", opts[i]);
		return 0;
	}
	l = loc_join(loc, "convert");
	if (!json_is_string(v)) {
		fail(c, l, "\"convert\" takes the name of a conversion");
		free(l);
		return -1;
	}
	name = json_string_value(v);
	for (i = 1; conv_names[i]; i++)
		if (strcmp(name, conv_names[i]) == 0)
			r->conv = (enum map_conv)i;
	if (r->conv == CV_NONE) {
		fail(c, l, "unknown conversion '%s' (known: string, integer, boolean, decimal, money, time, date, currency)",
		     name);
		free(l);
		return -1;
	}
	free(l);

	/* Options allowed per conversion. */
	{
		int money = r->conv == CV_MONEY, dec = r->conv == CV_DECIMAL;
		int tm = r->conv == CV_TIME || r->conv == CV_DATE;

		if (!money && (json_object_get(j, "currency") || json_object_get(j, "unit")))
			return fail(c, loc, "\"%s\" applies only to \"convert\": \"money\"",
				    json_object_get(j, "currency") ? "currency" : "unit");
		if (!money && !dec && (json_object_get(j, "scale") || json_object_get(j, "round")))
			return fail(c, loc, "\"%s\" applies only to money and decimal conversions",
				    json_object_get(j, "scale") ? "scale" : "round");
		if (!tm && (json_object_get(j, "format") || json_object_get(j, "utc_offset")))
			return fail(c, loc, "\"%s\" applies only to time and date conversions",
				    json_object_get(j, "format") ? "format" : "utc_offset");
		if (!money && !dec && r->conv != CV_TIME && json_object_get(j, "to"))
			return fail(c, loc, "\"to\" applies only to money, decimal and time conversions");
	}

	r->scale = -1;
	r->round = SGP_ROUND_UNNECESSARY;
	if (r->conv == CV_MONEY) {
		v = json_object_get(j, "currency");
		l = loc_join(loc, "currency");
		if (json_is_object(v)) {
			r->cur_rule = compile_env_rule(c, v, l, r->opath, CV_NONE);
			free(l);
			if (r->cur_rule == NULL)
				return -1;
			if (r->cur_rule->conv != CV_NONE && r->cur_rule->conv != CV_STRING &&
			    r->cur_rule->conv != CV_CURRENCY)
				return fail(c, loc, "the currency rule of money converts to a code (currency or string)");
			goto unit;
		}
		if (!json_is_string(v)) {
			fail(c, l, "money needs \"currency\": an ISO 4217 code, a JSON Pointer to one, or a rule");
			free(l);
			return -1;
		}
		name = json_string_value(v);
		if (name[0] == '/' || strchr(name, ':') != NULL) {
			r->cur_ptr = xcalloc(1, sizeof *r->cur_ptr);
			if (compile_ptr(c, r->cur_ptr, name, l) < 0) {
				free(l);
				return -1;
			}
		} else {
			r->cur_const = sgp_currency_lookup(name);
			if (r->cur_const == NULL) {
				fail(c, l, "'%s' is not an ISO 4217 currency code", name);
				free(l);
				return -1;
			}
		}
		free(l);
unit:
		v = json_object_get(j, "unit");
		if (v) {
			const char *u = json_string_value(v);

			if (u && strcmp(u, "minor") == 0)
				r->minor = true;
			else if (!u || strcmp(u, "major") != 0)
				return fail(c, loc, "\"unit\" is \"major\" (12.50) or \"minor\" (1250 cents)");
		}
	}
	if ((v = json_object_get(j, "scale"))) {
		if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 38)
			return fail(c, loc, "\"scale\" is the number of decimals, 0 to 38");
		r->scale = (int)json_integer_value(v);
	}
	if ((v = json_object_get(j, "round"))) {
		static const char *const modes[] = { "half_even", "half_up", "down", "unnecessary", NULL };
		const char *s = json_string_value(v);
		int found = 0;

		for (i = 0; s && modes[i]; i++)
			if (strcmp(s, modes[i]) == 0) {
				r->round = (enum sgp_round)i;
				found = 1;
			}
		if (!found)
			return fail(c, loc, "\"round\" is one of half_even, half_up, down, unnecessary");
	}
	r->out = OUT_STRING;
	r->tout = r->conv == CV_DATE ? TO_DATE : TO_DATETIME;
	if ((v = json_object_get(j, "to"))) {
		const char *s = json_string_value(v);

		if (r->conv == CV_TIME) {
			static const char *const touts[] = { "datetime", "datetime_ms", "date",
							     "epoch_s", "epoch_ms", NULL };
			int found = 0;

			for (i = 0; s && touts[i]; i++)
				if (strcmp(s, touts[i]) == 0) {
					r->tout = (enum map_tout)i;
					found = 1;
				}
			if (!found)
				return fail(c, loc, "\"to\" of a time is one of datetime, datetime_ms, date, epoch_s, epoch_ms");
		} else if (s && strcmp(s, "string") == 0) {
			r->out = OUT_STRING;
		} else if (s && strcmp(s, "number") == 0) {
			r->out = OUT_NUMBER;
		} else if (s && strcmp(s, "minor") == 0 && r->conv == CV_MONEY) {
			r->out = OUT_MINOR;
		} else {
			return fail(c, loc, "\"to\" of %s is one of string, number%s", conv_names[r->conv],
				    r->conv == CV_MONEY ? ", minor" : "");
		}
	}
	if ((v = json_object_get(j, "format"))) {
		static const char *const fmts[] = { "auto", "epoch_s", "epoch_ms", "rfc3339", "date", NULL };
		const char *s = json_string_value(v);
		int found = 0;

		for (i = 0; s && fmts[i]; i++)
			if (strcmp(s, fmts[i]) == 0) {
				r->tfmt = (enum map_tfmt)i;
				found = 1;
			}
		if (!found && s && strchr(s, '%')) {
			const char *why;

			r->tfmt = TF_PATTERN;
			r->tpattern = xstrdup(s);
			found = 1;
			/* Catch unknown directives now, not on the first record. */
			if (map_time_pattern_check(s, &why) < 0)
				return fail(c, loc, "\"format\" '%s': %s", s, why);
		}
		if (!found)
			return fail(c, loc, "\"format\" is auto, epoch_s, epoch_ms, rfc3339, date, or a pattern such as \"%%m/%%d/%%Y\"");
	}
	if ((v = json_object_get(j, "utc_offset"))) {
		if (r->tfmt != TF_PATTERN)
			return fail(c, loc, "\"utc_offset\" applies only to a \"format\" pattern");
		if (!json_is_string(v) || parse_offset(json_string_value(v), &r->toffset) < 0)
			return fail(c, loc, "\"utc_offset\" is \"Z\" or \"+HH:MM\" / \"-HH:MM\"");
	}
	return 0;
}

static const char *const rule_names[] = {
	"from", "const", "template", "concat", "separator", "hash", "each", "where", "fields",
	"trim", "case", "map", "map_miss", "lookup", "convert", "currency", "unit", "scale",
	"round", "to", "format", "utc_offset", "default", "required", "when", "description",
	"list", "test", "$comment", NULL
};

static const char *const source_names[] = { "from", "const", "template", "concat", "hash",
					    "each", "fields", "list", "test", NULL };

static int compile_rule(struct cc *c, struct map_rule *r, const json_t *j, const char *loc,
			const char *opath, const char *name, int in_data)
{
	const json_t *v;
	size_t i, nsrc = 0;
	char *l;

	r->loc = xstrdup(loc);
	r->opath = xstrdup(opath);
	r->required = true;
	r->scale = -1;
	r->round = SGP_ROUND_UNNECESSARY;
	if (name) {
		sgp_buf b = SGP_BUF_INIT;

		r->name = xstrdup(name);
		sgp_buf_add_json_string(&b, name, strlen(name));
		sgp_buf_addc(&b, ':');
		r->key_json = sgp_buf_detach(&b, &r->key_len);
	}
	if (json_is_string(j)) {
		r->src = MS_FROM;
		r->nfrom = 1;
		r->from = xcalloc(1, sizeof *r->from);
		return compile_ptr(c, &r->from[0], json_string_value(j), loc);
	}
	if (!json_is_object(j))
		return fail(c, loc, "a field is a JSON Pointer string (\"/total\") or a rule object");
	if (check_members(c, j, loc, "a field rule", rule_names) < 0)
		return -1;
	for (i = 0; source_names[i]; i++) {
		if (i == MS_FIELDS && json_object_get(j, "each"))
			continue;   /* "fields" belongs to "each" */
		if (json_object_get(j, source_names[i])) {
			nsrc++;
			r->src = (enum map_src)i;
		}
	}
	if (nsrc == 0)
		return fail(c, loc, "a field rule needs one source: from, const, template, concat, hash, each, fields, list or test");
	if (nsrc > 1)
		return fail(c, loc, "a field rule takes only one of from, const, template, concat, hash, each, fields, list, test");

	switch (r->src) {
	case MS_FROM:
		v = json_object_get(j, "from");
		l = loc_join(loc, "from");
		if (json_is_string(v)) {
			r->nfrom = 1;
			r->from = xcalloc(1, sizeof *r->from);
			if (compile_ptr(c, &r->from[0], json_string_value(v), l) < 0)
				goto fail_l;
		} else if (json_is_array(v) && json_array_size(v) > 0) {
			r->nfrom = json_array_size(v);
			r->from = xcalloc(r->nfrom, sizeof *r->from);
			for (i = 0; i < r->nfrom; i++) {
				char *li = loc_index(l, i);
				int rc = -1;

				if (json_is_string(json_array_get(v, i)))
					rc = compile_ptr(c, &r->from[i], json_string_value(json_array_get(v, i)), li);
				else
					fail(c, li, "expected a JSON Pointer string");
				free(li);
				if (rc < 0)
					goto fail_l;
			}
		} else {
			fail(c, l, "\"from\" is a JSON Pointer or a non-empty array of them (first present wins)");
			goto fail_l;
		}
		free(l);
		break;
	case MS_CONST:
		r->cval = json_incref(json_object_get(j, "const"));
		r->ctext = json_text(r->cval, &r->ctext_len);
		break;
	case MS_TEMPLATE: {
		char e[512];

		v = json_object_get(j, "template");
		l = loc_join(loc, "template");
		if (!json_is_string(v)) {
			fail(c, l, "\"template\" is a string such as \"INV-{/number}\"");
			goto fail_l;
		}
		if (map_tpl_compile(&r->tpl, json_string_value(v), c->m->params, e, sizeof e) < 0) {
			fail(c, l, "%s", e);
			goto fail_l;
		}
		free(l);
		break;
	}
	case MS_CONCAT:
		l = loc_join(loc, "concat");
		if (compile_parts(c, r, json_object_get(j, "concat"), l) < 0)
			goto fail_l;
		free(l);
		v = json_object_get(j, "separator");
		if (v && !json_is_string(v))
			return fail(c, loc, "\"separator\" is a string");
		r->sep = xstrdup(v ? json_string_value(v) : "");
		r->seplen = strlen(r->sep);
		break;
	case MS_HASH:
		v = json_object_get(j, "hash");
		l = loc_join(loc, "hash");
		r->hlen = 64;
		if (json_is_object(v)) {
			static const char *const hnames[] = { "of", "prefix", "length", NULL };
			const json_t *p = json_object_get(v, "prefix"), *n = json_object_get(v, "length");

			if (check_members(c, v, l, "\"hash\"", hnames) < 0)
				goto fail_l;
			if (p && !json_is_string(p)) {
				fail(c, l, "\"prefix\" is a string");
				goto fail_l;
			}
			if (n && (!json_is_integer(n) || json_integer_value(n) < 8 || json_integer_value(n) > 64)) {
				fail(c, l, "\"length\" is the number of hex digits kept, 8 to 64");
				goto fail_l;
			}
			r->hprefix = p ? xstrdup(json_string_value(p)) : NULL;
			if (n)
				r->hlen = (int)json_integer_value(n);
			free(l);
			l = loc_join(loc, "hash/of");
			v = json_object_get(v, "of");
		}
		if (compile_parts(c, r, v, l) < 0)
			goto fail_l;
		free(l);
		break;
	case MS_EACH:
		v = json_object_get(j, "each");
		l = loc_join(loc, "each");
		if (!json_is_string(v)) {
			fail(c, l, "\"each\" is a JSON Pointer to an array");
			goto fail_l;
		}
		if (compile_ptr(c, &r->each, json_string_value(v), l) < 0)
			goto fail_l;
		free(l);
		if (!json_object_get(j, "fields"))
			return fail(c, loc, "\"each\" needs \"fields\": the rules of one element");
		if ((v = json_object_get(j, "where"))) {
			l = loc_join(loc, "where");
			r->where = compile_cond_new(c, v, l, 0);
			free(l);
			if (r->where == NULL)
				return -1;
		}
		/* fall through */
	case MS_FIELDS: {
		char *op = r->src == MS_EACH ? xasprintf("%s/*", opath) : xstrdup(opath);
		int rc;

		l = loc_join(loc, "fields");
		rc = compile_fields(c, r, json_object_get(j, "fields"), l, op);
		free(op);
		free(l);
		if (rc < 0)
			return -1;
		{
			static const char *const nope[] = { "trim", "case", "map", "lookup", "convert", NULL };
			for (i = 0; nope[i]; i++)
				if (json_object_get(j, nope[i]))
					return fail(c, loc, "\"%s\" cannot be used with \"%s\"", nope[i],
						    r->src == MS_EACH ? "each" : "fields");
		}
		break;
	}
	case MS_LIST: {
		char *op = xasprintf("%s/*", opath);

		v = json_object_get(j, "list");
		l = loc_join(loc, "list");
		if (!json_is_array(v) || json_array_size(v) == 0) {
			free(op);
			fail(c, l, "\"list\" is a non-empty array of rules, one per element");
			goto fail_l;
		}
		r->fields = xcalloc(json_array_size(v), sizeof *r->fields);
		for (i = 0; i < json_array_size(v); i++) {
			char *li = loc_index(l, i);
			int rc = compile_rule(c, &r->fields[r->nfields++], json_array_get(v, i), li, op,
					      NULL, in_data);

			free(li);
			if (rc < 0) {
				free(op);
				goto fail_l;
			}
		}
		free(op);
		free(l);
		{
			static const char *const nope[] = { "trim", "case", "map", "lookup", "convert", NULL };
			for (i = 0; nope[i]; i++)
				if (json_object_get(j, nope[i]))
					return fail(c, loc, "\"%s\" cannot be used with \"list\"", nope[i]);
		}
		break;
	}
	case MS_TEST:
		l = loc_join(loc, "test");
		r->test = compile_cond_new(c, json_object_get(j, "test"), l, in_data);
		free(l);
		if (r->test == NULL)
			return -1;
		break;
	}
	if (r->src != MS_EACH && json_object_get(j, "where"))
		return fail(c, loc, "\"where\" applies only to \"each\"");
	if (r->src != MS_CONCAT && json_object_get(j, "separator"))
		return fail(c, loc, "\"separator\" applies only to \"concat\"");

	if ((v = json_object_get(j, "trim"))) {
		if (!json_is_boolean(v))
			return fail(c, loc, "\"trim\" is true or false");
		r->trim = json_is_true(v);
	}
	if ((v = json_object_get(j, "case"))) {
		const char *s = json_string_value(v);

		if (s && strcmp(s, "upper") == 0)
			r->cas = CASE_UPPER;
		else if (s && strcmp(s, "lower") == 0)
			r->cas = CASE_LOWER;
		else
			return fail(c, loc, "\"case\" is \"upper\" or \"lower\"");
	}
	if ((v = json_object_get(j, "map"))) {
		const char *key;
		json_t *val;
		struct map_vmap *vm;

		if (!json_is_object(v) || json_object_size(v) == 0)
			return fail(c, loc, "\"map\" is an object of input value -> output value");
		vm = r->vmap = xcalloc(1, sizeof *vm);
		vm->keys = xcalloc(json_object_size(v), sizeof *vm->keys);
		vm->vals = xcalloc(json_object_size(v), sizeof *vm->vals);
		vm->texts = xcalloc(json_object_size(v), sizeof *vm->texts);
		vm->lens = xcalloc(json_object_size(v), sizeof *vm->lens);
		map_hash_init(&vm->h, json_object_size(v));
		json_object_foreach((json_t *)v, key, val) {
			vm->keys[vm->n] = xstrdup(key);
			vm->vals[vm->n] = json_incref(val);
			vm->texts[vm->n] = json_text(val, &vm->lens[vm->n]);
			map_hash_put(&vm->h, vm->keys[vm->n], strlen(key), vm->n, NULL);
			vm->n++;
		}
	}
	if ((v = json_object_get(j, "map_miss"))) {
		const char *s = json_string_value(v);

		if (!r->vmap)
			return fail(c, loc, "\"map_miss\" applies only with \"map\"");
		if (s && strcmp(s, "keep") == 0)
			r->map_keep = true;
		else if (!s || strcmp(s, "reject") != 0)
			return fail(c, loc, "\"map_miss\" is \"reject\" or \"keep\"");
		if (r->map_keep && json_object_get(j, "default"))
			return fail(c, loc, "\"map_miss\": \"keep\" and \"default\" exclude each other");
	}
	if ((v = json_object_get(j, "lookup"))) {
		const char *tname = NULL, *col = NULL;

		l = loc_join(loc, "lookup");
		if (json_is_string(v)) {
			tname = json_string_value(v);
		} else if (json_is_object(v)) {
			static const char *const lnames[] = { "table", "column", NULL };

			if (check_members(c, v, l, "\"lookup\"", lnames) < 0)
				goto fail_l;
			tname = json_string_value(json_object_get(v, "table"));
			col = json_string_value(json_object_get(v, "column"));
			if (json_object_get(v, "column") && !col)
				tname = NULL;
		}
		if (tname == NULL) {
			fail(c, l, "\"lookup\" names a table of \"lookups\", or is {\"table\": T, \"column\": C}");
			goto fail_l;
		}
		r->table = find_table(c->m, tname);
		if (r->table == NULL) {
			fail(c, l, "no table '%s' in \"lookups\"", tname);
			goto fail_l;
		}
		if (col) {
			long ci = map_table_col(r->table, col);

			if (ci < 0) {
				fail(c, l, "table '%s' (%s) has no column '%s'", tname, r->table->file, col);
				goto fail_l;
			}
			r->tcol = (size_t)ci;
		} else {
			r->tcol = r->table->valcol;
		}
		free(l);
	}
	if (compile_convert(c, r, j, loc) < 0)
		return -1;
	if ((v = json_object_get(j, "default"))) {
		r->def = json_incref((json_t *)v);
		r->dtext = json_text(v, &r->dtext_len);
	}
	if ((v = json_object_get(j, "required"))) {
		if (!json_is_boolean(v))
			return fail(c, loc, "\"required\" is true or false");
		r->required = json_is_true(v);
	}
	if ((v = json_object_get(j, "when"))) {
		l = loc_join(loc, "when");
		r->when = compile_cond_new(c, v, l, in_data);
		free(l);
		if (r->when == NULL)
			return -1;
	}
	return 0;
fail_l:
	free(l);
	return -1;
}

static char *opath_join(const char *opath, const char *name)
{
	return loc_join(opath, name);
}

static int compile_fields(struct cc *c, struct map_rule *r, const json_t *obj, const char *loc,
			  const char *opath)
{
	const char *key;
	json_t *v;

	if (!json_is_object(obj))
		return fail(c, loc, "\"fields\" is an object of output field -> rule");
	r->nfields = 0;
	r->fields = xcalloc(json_object_size(obj) ? json_object_size(obj) : 1, sizeof *r->fields);
	json_object_foreach((json_t *)obj, key, v) {
		char *l = loc_join(loc, key);
		char *op = opath_join(opath, key);
		int rc = compile_rule(c, &r->fields[r->nfields++], v, l, op, key, 1);

		free(l);
		free(op);
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* An envelope rule (occurred_at, correlation_id, record id/revision):
 * its value is a string; conv is applied when the rule names none. */
static struct map_rule *compile_env_rule(struct cc *c, const json_t *j, const char *loc,
					 const char *opath, enum map_conv conv)
{
	struct map_rule *r = xcalloc(1, sizeof *r);

	if (compile_rule(c, r, j, loc, opath, NULL, 0) < 0) {
		rule_free(r);
		return NULL;
	}
	if (r->src == MS_EACH || r->src == MS_FIELDS || r->src == MS_LIST) {
		fail(c, loc, "this member takes a single value, not \"each\", \"fields\" or \"list\"");
		rule_free(r);
		return NULL;
	}
	if (r->conv == CV_NONE)
		r->conv = conv;
	if (conv == CV_TIME && r->conv != CV_TIME) {
		fail(c, loc, "\"occurred_at\" is a time: its conversion must be \"time\"");
		rule_free(r);
		return NULL;
	}
	if (conv == CV_TIME)
		r->tout = TO_DATETIME;
	return r;
}

/* ---- emits -------------------------------------------------------------- */

static void tsel_free(struct map_tsel *t)
{
	if (t == NULL)
		return;
	free(t->type);
	map_cond_free(t->cond);
	tsel_free(t->then_);
	tsel_free(t->else_);
	free(t);
}

static struct map_tsel *compile_tsel(struct cc *c, const json_t *j, const char *loc)
{
	static const char *const names[] = { "if", "then", "else", "$comment", NULL };
	struct map_tsel *t = xcalloc(1, sizeof *t);
	char *l;

	if (json_is_string(j)) {
		if (!is_type_name(json_string_value(j))) {
			fail(c, loc, "'%s' is not an event type (lower case words joined by dots: invoice.posted)",
			     json_string_value(j));
			goto bad;
		}
		t->type = xstrdup(json_string_value(j));
		return t;
	}
	if (!json_is_object(j) || !json_object_get(j, "if") || !json_object_get(j, "then") ||
	    !json_object_get(j, "else")) {
		fail(c, loc, "\"type\" is an event type or {\"if\": condition, \"then\": type, \"else\": type}");
		goto bad;
	}
	if (check_members(c, j, loc, "a type choice", names) < 0)
		goto bad;
	l = loc_join(loc, "if");
	t->cond = compile_cond_new(c, json_object_get(j, "if"), l, 0);
	free(l);
	if (t->cond == NULL)
		goto bad;
	l = loc_join(loc, "then");
	t->then_ = compile_tsel(c, json_object_get(j, "then"), l);
	free(l);
	if (t->then_ == NULL)
		goto bad;
	l = loc_join(loc, "else");
	t->else_ = compile_tsel(c, json_object_get(j, "else"), l);
	free(l);
	if (t->else_ == NULL)
		goto bad;
	return t;
bad:
	tsel_free(t);
	return NULL;
}

static void emit_release(struct map_emit *e)
{
	tsel_free(e->tsel);
	map_cond_free(e->when);
	free(e->schema);
	rule_free(e->occurred_at);
	rule_free(e->correlation_id);
	map_rule_release(&e->data);
}

static int compile_emit(struct cc *c, struct map_emit *e, const json_t *j, const char *loc)
{
	static const char *const names[] = { "type", "when", "schema", "occurred_at",
					     "correlation_id", "data", "description", "$comment",
					     NULL };
	const json_t *v;
	char *l;
	int rc;

	if (!json_is_object(j))
		return fail(c, loc, "an emit is an object with \"type\" and \"data\"");
	if (check_members(c, j, loc, "an emit", names) < 0)
		return -1;
	l = loc_join(loc, "type");
	if (!json_object_get(j, "type")) {
		free(l);
		return fail(c, loc, "an emit needs \"type\"");
	}
	e->tsel = compile_tsel(c, json_object_get(j, "type"), l);
	free(l);
	if (e->tsel == NULL)
		return -1;
	if ((v = json_object_get(j, "when"))) {
		l = loc_join(loc, "when");
		e->when = compile_cond_new(c, v, l, 0);
		free(l);
		if (e->when == NULL)
			return -1;
	}
	if ((v = json_object_get(j, "schema"))) {
		const char *s = json_string_value(v);
		const char *slash = s ? strrchr(s, '/') : NULL;

		if (!slash || slash[1] == '\0' || strspn(slash + 1, "0123456789") != strlen(slash + 1))
			return fail(c, loc, "\"schema\" is TYPE/VERSION, e.g. \"invoice.posted/1\"");
		e->schema = xstrdup(s);
	}
	if ((v = json_object_get(j, "occurred_at"))) {
		l = loc_join(loc, "occurred_at");
		e->occurred_at = compile_env_rule(c, v, l, "/occurred_at", CV_TIME);
		free(l);
		if (e->occurred_at == NULL)
			return -1;
	}
	if ((v = json_object_get(j, "correlation_id"))) {
		l = loc_join(loc, "correlation_id");
		e->correlation_id = compile_env_rule(c, v, l, "/correlation_id", CV_STRING);
		free(l);
		if (e->correlation_id == NULL)
			return -1;
	}
	v = json_object_get(j, "data");
	if (!json_is_object(v))
		return fail(c, loc, "an emit needs \"data\": an object of output field -> rule");
	e->data.src = MS_FIELDS;
	e->data.opath = xstrdup("/data");
	e->data.loc = loc_join(loc, "data");
	e->data.required = true;
	rc = compile_fields(c, &e->data, v, e->data.loc, "/data");
	return rc;
}

/* ---- the spec ----------------------------------------------------------- */

static int is_mapping_name(const char *s)
{
	if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9')))
		return 0;
	return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") ==
	       strlen(s);
}

static int apply_overrides(struct cc *c, const struct sgp_mapping_opts *o)
{
	size_t i;

	for (i = 0; o && i < o->nparams; i++) {
		const char *eq = strchr(o->params[i], '=');
		char *name;
		json_t *old, *val;

		if (eq == NULL || eq == o->params[i])
			return fail(c, "/params", "parameter override '%s' is not NAME=VALUE", o->params[i]);
		name = xstrndup(o->params[i], (size_t)(eq - o->params[i]));
		old = json_object_get(c->m->params, name);
		if (old == NULL && o->skip_unknown) {
			free(name);
			continue;
		}
		if (old == NULL) {
			fail(c, "/params", "no parameter '%s' to override", name);
			free(name);
			return -1;
		}
		if (json_is_string(old)) {
			val = json_string(eq + 1);
		} else {
			val = json_loads(eq + 1, JSON_DECODE_ANY, NULL);
			if (val == NULL || json_is_object(val) || json_is_array(val)) {
				json_decref(val);
				val = json_string(eq + 1);
			}
		}
		if (val == NULL) {
			fail(c, "/params", "parameter '%s': value is not valid UTF-8", name);
			free(name);
			return -1;
		}
		json_object_set_new(c->m->params, name, val);
		free(name);
	}
	return 0;
}

static int compile_examples(struct cc *c, const json_t *ex)
{
	static const char *const names[] = { "name", "description", "type", "input", "output",
					     "reject", "$comment", NULL };
	size_t i;

	if (!json_is_array(ex))
		return fail(c, "/examples", "\"examples\" is an array of {\"input\", \"output\"}");
	for (i = 0; i < json_array_size(ex); i++) {
		const json_t *e = json_array_get(ex, i);
		char *l = xasprintf("/examples/%zu", i);
		int rc = 0;

		if (!json_is_object(e))
			rc = fail(c, l, "an example is an object");
		else if (check_members(c, e, l, "an example", names) < 0)
			rc = -1;
		else if (!json_is_object(json_object_get(e, "input")))
			rc = fail(c, l, "an example needs \"input\": an object");
		else if (!!json_object_get(e, "output") == !!json_object_get(e, "reject"))
			rc = fail(c, l, "an example needs either \"output\" (an array of events) or \"reject\"");
		else if (json_object_get(e, "output") && !json_is_array(json_object_get(e, "output")))
			rc = fail(c, l, "\"output\" is an array of the expected events");
		else if (json_object_get(e, "reject") && !json_is_object(json_object_get(e, "reject")))
			rc = fail(c, l, "\"reject\" is {\"reason\": ..., \"paths\": [...]}");
		else if (json_object_get(e, "type") && !json_is_string(json_object_get(e, "type")))
			rc = fail(c, l, "\"type\" is the input's type");
		free(l);
		if (rc < 0)
			return -1;
	}
	return 0;
}

static int compile_spec(struct cc *c, const json_t *spec, const struct sgp_mapping_opts *o)
{
	static const char *const names[] = { "$schema", "$comment", "spec", "mapping",
					     "description", "match", "record", "params", "lookups",
					     "emit", "examples", NULL };
	sgp_mapping *m = c->m;
	const json_t *v, *match;
	size_t i;

	if (!json_is_object(spec))
		return fail(c, "", "a mapping spec is a JSON object");
	if (check_members(c, spec, "", "a mapping spec", names) < 0)
		return -1;
	v = json_object_get(spec, "spec");
	if (!json_is_string(v) || strcmp(json_string_value(v), "sgp.mapping/1") != 0)
		return fail(c, "/spec", "expected \"spec\": \"sgp.mapping/1\"");
	v = json_object_get(spec, "mapping");
	if (!json_is_string(v) || !is_mapping_name(json_string_value(v)))
		return fail(c, "/mapping", "\"mapping\" names the mapping (letters, digits, '.', '_', '-'); it is part of every derived idempotency key");
	m->name = xstrdup(json_string_value(v));

	/* params first: pointers and conditions may refer to them */
	v = json_object_get(spec, "params");
	m->params = v ? json_deep_copy(v) : json_object();
	if (!json_is_object(m->params))
		return fail(c, "/params", "\"params\" is an object of name -> value");
	{
		const char *key;
		json_t *pv;

		json_object_foreach(m->params, key, pv)
			if (json_is_object(pv) || json_is_array(pv) || json_is_null(pv)) {
				char *l = loc_join("/params", key);

				fail(c, l, "a parameter is a string, number or boolean");
				free(l);
				return -1;
			}
	}
	if (apply_overrides(c, o) < 0)
		return -1;

	v = json_object_get(spec, "lookups");
	if (v) {
		const char *key;
		json_t *t;

		if (!json_is_object(v))
			return fail(c, "/lookups", "\"lookups\" is an object of table name -> {\"file\", \"key\", \"value\"}");
		m->tables = xcalloc(json_object_size(v) ? json_object_size(v) : 1, sizeof *m->tables);
		json_object_foreach((json_t *)v, key, t) {
			static const char *const tnames[] = { "file", "key", "value", "description",
							      "$comment", NULL };
			char *l = loc_join("/lookups", key);
			const char *file = json_string_value(json_object_get(t, "file"));
			const char *kc = json_string_value(json_object_get(t, "key"));
			const char *vc = json_string_value(json_object_get(t, "value"));
			char *path, e[768];

			if (!json_is_object(t) || check_members(c, t, l, "a lookup table", tnames) < 0 ||
			    !file || !kc || (json_object_get(t, "value") && !vc)) {
				if (!c->failed)
					fail(c, l, "a lookup table is {\"file\": CSV, \"key\": column, \"value\": column}");
				free(l);
				return -1;
			}
			if (file[0] == '/' || c->basedir == NULL)
				path = xstrdup(file);
			else
				path = xasprintf("%s/%s", c->basedir, file);
			m->tables[m->ntables] = map_table_load(key, path, kc, vc, e, sizeof e);
			free(path);
			if (m->tables[m->ntables] == NULL) {
				fail(c, l, "%s", e);
				free(l);
				return -1;
			}
			m->ntables++;
			free(l);
		}
	}

	match = json_object_get(spec, "match");
	if (!json_is_object(match))
		return fail(c, "/match", "a spec needs \"match\": {\"type\": input type(s), \"when\": condition}");
	{
		static const char *const mnames[] = { "type", "when", "$comment", NULL };

		if (check_members(c, match, "/match", "\"match\"", mnames) < 0)
			return -1;
	}
	v = json_object_get(match, "type");
	if (json_is_string(v)) {
		m->ntypes = 1;
		m->types = xcalloc(1, sizeof *m->types);
		m->types[0] = xstrdup(json_string_value(v));
	} else if (json_is_array(v) && json_array_size(v) > 0) {
		m->ntypes = json_array_size(v);
		m->types = xcalloc(m->ntypes, sizeof *m->types);
		for (i = 0; i < m->ntypes; i++) {
			if (!json_is_string(json_array_get(v, i)))
				return fail(c, "/match/type", "expected event type strings");
			m->types[i] = xstrdup(json_string_value(json_array_get(v, i)));
		}
	} else {
		return fail(c, "/match/type", "\"type\" is the input type (\"stripe.invoice\") or an array of them");
	}
	for (i = 0; i < m->ntypes; i++)
		if (!is_type_name(m->types[i]))
			return fail(c, "/match/type", "'%s' is not an event type (system.object, lower case)",
				    m->types[i]);
	if ((v = json_object_get(match, "when"))) {
		m->match_when = compile_cond_new(c, v, "/match/when", 0);
		if (m->match_when == NULL)
			return -1;
	}

	v = json_object_get(spec, "record");
	if (v) {
		static const char *const rnames[] = { "id", "revision", "$comment", NULL };

		if (!json_is_object(v) || check_members(c, v, "/record", "\"record\"", rnames) < 0) {
			if (!c->failed)
				fail(c, "/record", "\"record\" is {\"id\": pointer, \"revision\": pointer}");
			return -1;
		}
		if (!json_object_get(v, "id"))
			return fail(c, "/record", "\"record\" needs \"id\"");
		m->rec_id = compile_env_rule(c, json_object_get(v, "id"), "/record/id", "/source/id",
					     CV_STRING);
		if (m->rec_id == NULL)
			return -1;
		if (json_object_get(v, "revision")) {
			m->rec_rev = compile_env_rule(c, json_object_get(v, "revision"),
						      "/record/revision", "/idempotency_key", CV_STRING);
			if (m->rec_rev == NULL)
				return -1;
		}
	}

	v = json_object_get(spec, "emit");
	if (json_is_object(v)) {
		m->nemits = 1;
		m->emits = xcalloc(1, sizeof *m->emits);
		if (compile_emit(c, &m->emits[0], v, "/emit") < 0)
			return -1;
	} else if (json_is_array(v) && json_array_size(v) > 0) {
		m->emits = xcalloc(json_array_size(v), sizeof *m->emits);
		for (i = 0; i < json_array_size(v); i++) {
			char *l = loc_index("/emit", i);
			int rc;

			m->nemits++;
			m->emits[i].index = i;
			rc = compile_emit(c, &m->emits[i], json_array_get(v, i), l);
			free(l);
			if (rc < 0)
				return -1;
		}
	} else {
		return fail(c, "/emit", "a spec needs \"emit\": an emit object or a non-empty array of them");
	}

	if ((v = json_object_get(spec, "examples")) && compile_examples(c, v) < 0)
		return -1;
	m->uses_event = map_uses_event_scope(m);
	return 0;
}

sgp_mapping *sgp_mapping_compile(json_t *spec, const char *name_for_messages,
				 const char *basedir, const struct sgp_mapping_opts *opts,
				 char **err)
{
	struct cc c;

	memset(&c, 0, sizeof c);
	c.m = xcalloc(1, sizeof *c.m);
	c.m->spec = json_incref(spec);
	c.m->path = xstrdup(name_for_messages ? name_for_messages : "mapping");
	c.file = c.m->path;
	c.basedir = basedir;
	if (compile_spec(&c, spec, opts) < 0) {
		if (err)
			*err = xstrdup(c.err);
		sgp_mapping_free(c.m);
		return NULL;
	}
	return c.m;
}

sgp_mapping *sgp_mapping_load_opts(const char *path, const struct sgp_mapping_opts *opts,
				   char **err)
{
	json_error_t je;
	json_t *spec;
	sgp_mapping *m;
	char *dup, *dir;
	size_t len;
	char *text = sgp_read_file(path, &len);

	if (text == NULL) {
		if (err)
			*err = xasprintf("cannot open '%s': %s", path, strerror(errno));
		return NULL;
	}
	spec = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	free(text);
	if (spec == NULL) {
		if (err)
			*err = xasprintf("%s: line %d, column %d: %s", path, je.line, je.column, je.text);
		return NULL;
	}
	dup = xstrdup(path);
	dir = strchr(path, '/') ? dirname(dup) : NULL;
	m = sgp_mapping_compile(spec, path, dir, opts, err);
	free(dup);
	json_decref(spec);
	return m;
}

sgp_mapping *sgp_mapping_load(const char *path, char **err)
{
	return sgp_mapping_load_opts(path, NULL, err);
}

void sgp_mapping_free(sgp_mapping *m)
{
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < m->nemits; i++)
		emit_release(&m->emits[i]);
	free(m->emits);
	for (i = 0; i < m->ntables; i++)
		map_table_free(m->tables[i]);
	free(m->tables);
	rule_free(m->rec_id);
	rule_free(m->rec_rev);
	map_cond_free(m->match_when);
	for (i = 0; i < m->ntypes; i++)
		free(m->types[i]);
	free(m->types);
	json_decref(m->params);
	json_decref(m->spec);
	free(m->name);
	free(m->path);
	free(m);
}

const char *sgp_mapping_name(const sgp_mapping *m) { return m->name; }
int sgp_mapping_has_param(const sgp_mapping *m, const char *name) { return json_object_get(m->params, name) != NULL; }
const char *sgp_mapping_path(const sgp_mapping *m) { return m->path; }
const json_t *sgp_mapping_spec(const sgp_mapping *m) { return m->spec; }
size_t sgp_mapping_ntypes(const sgp_mapping *m) { return m->ntypes; }
const char *sgp_mapping_type(const sgp_mapping *m, size_t i) { return i < m->ntypes ? m->types[i] : NULL; }

char *sgp_mapping_find(const char *name)
{
	static const char *const where[] = { "%s/mappings/%s", "%s/mappings/%s.json",
					     "%s/contrib/mappings/%s", "%s/contrib/mappings/%s.json" };
	struct stat st;
	const char *dd;
	size_t i;

	if (stat(name, &st) == 0 || strchr(name, '/') != NULL || *name == '\0')
		return xstrdup(name);
	dd = getenv("SGP_DATADIR");
	if (dd == NULL || *dd == '\0')
		dd = SGP_DATADIR;
	for (i = 0; i < sizeof where / sizeof where[0]; i++) {
		char *p = xasprintf(where[i], dd, name);

		if (stat(p, &st) == 0 && S_ISREG(st.st_mode))
			return p;
		free(p);
	}
	return xstrdup(name);
}
