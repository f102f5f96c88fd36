/* map_examples.c: running a spec's examples, and listing the fields a
 * spec produces per emitted type (the mapping lint; see mapping.h). */
#include "map_internal.h"

#include <string.h>

#include "envelope.h"

/* ---- examples ------------------------------------------------------------ */

/* Short JSON text of a value for messages. */
static void show(sgp_buf *b, const json_t *v)
{
	sgp_buf t = SGP_BUF_INIT;

	if (v == NULL) {
		sgp_buf_adds(b, "nothing");
		return;
	}
	map_json_add(&t, v);
	if (t.len > 120) {
		sgp_buf_add(b, t.data, 117);
		sgp_buf_adds(b, "...");
	} else {
		sgp_buf_add(b, t.data, t.len);
	}
	sgp_buf_release(&t);
}

static int same(const json_t *a, const json_t *b)
{
	if (json_is_number(a) && json_is_number(b)) {
		sgp_dec x, y;

		if (sgp_dec_from_json(a, &x, NULL) == 0 && sgp_dec_from_json(b, &y, NULL) == 0)
			return sgp_dec_cmp(x, y) == 0;
	}
	if (json_typeof(a) != json_typeof(b))
		return 0;
	if (json_is_object(a)) {
		const char *k;
		json_t *v;

		if (json_object_size(a) != json_object_size(b))
			return 0;
		json_object_foreach((json_t *)a, k, v)
			if (!json_object_get(b, k) || !same(v, json_object_get(b, k)))
				return 0;
		return 1;
	}
	if (json_is_array(a)) {
		size_t i;

		if (json_array_size(a) != json_array_size(b))
			return 0;
		for (i = 0; i < json_array_size(a); i++)
			if (!same(json_array_get(a, i), json_array_get(b, i)))
				return 0;
		return 1;
	}
	return json_equal((json_t *)a, (json_t *)b);
}

struct diffctx {
	sgp_buf *msgs;
	const char *prefix;    /* "file: example 2 (name): event 1" */
	int n;
};

static void diff_line(struct diffctx *d, const char *path, const json_t *want, const json_t *got)
{
	sgp_buf_adds(d->msgs, d->prefix);
	sgp_buf_adds(d->msgs, ": ");
	sgp_buf_adds(d->msgs, *path ? path : "/");
	sgp_buf_adds(d->msgs, ": expected ");
	show(d->msgs, want);
	sgp_buf_adds(d->msgs, ", got ");
	show(d->msgs, got);
	sgp_buf_addc(d->msgs, '\n');
	d->n++;
}

/* Every difference between want and got below path. */
static void diff(struct diffctx *d, sgp_buf *path, const json_t *want, const json_t *got)
{
	size_t mark = path->len;

	if (want && got && json_is_object(want) && json_is_object(got)) {
		const char *k;
		json_t *v;

		json_object_foreach((json_t *)want, k, v) {
			const char *p;

			sgp_buf_addc(path, '/');
			for (p = k; *p; p++)
				sgp_buf_adds(path, *p == '~' ? "~0" : *p == '/' ? "~1" : (char[]){ *p, 0 });
			diff(d, path, v, json_object_get(got, k));
			path->len = mark;
			path->data[mark] = '\0';
		}
		json_object_foreach((json_t *)got, k, v) {
			if (json_object_get(want, k))
				continue;
			sgp_buf_addc(path, '/');
			sgp_buf_adds(path, k);
			diff_line(d, path->data, NULL, v);
			path->len = mark;
			path->data[mark] = '\0';
		}
		return;
	}
	if (want && got && json_is_array(want) && json_is_array(got) &&
	    json_array_size(want) == json_array_size(got)) {
		size_t i;

		for (i = 0; i < json_array_size(want); i++) {
			sgp_buf_addf(path, "/%zu", i);
			diff(d, path, json_array_get(want, i), json_array_get(got, i));
			path->len = mark;
			path->data[mark] = '\0';
		}
		return;
	}
	if (want && got && same(want, got))
		return;
	diff_line(d, path->data ? path->data : "", want, got);
}

static void example_name(sgp_buf *b, const sgp_mapping *m, size_t i, const json_t *ex)
{
	const char *name = sgp_json_str(ex, "name");

	sgp_buf_addf(b, "%s: example %zu", m->path, i + 1);
	if (name)
		sgp_buf_addf(b, " (%s)", name);
}

/* Run example i; 0 passed, 1 failed (messages appended). */
static int run_example(const sgp_mapping *m, sgp_map_ctx *c, size_t i, const json_t *ex,
		       sgp_buf *msgs)
{
	const json_t *input = json_object_get(ex, "input");
	const json_t *want = json_object_get(ex, "output");
	const json_t *rej = json_object_get(ex, "reject");
	const char *type = sgp_json_str(ex, "type");
	sgp_buf out = SGP_BUF_INIT, name = SGP_BUF_INIT, path = SGP_BUF_INIT;
	enum sgp_map_status st;
	size_t n = 0, k;
	int failed = 0;

	example_name(&name, m, i, ex);
	if (type == NULL)
		type = m->types[0];
	st = sgp_mapping_apply(m, c, input, type, &out, &n);
	if (st == SGP_MAP_NOMATCH && want && json_array_size(want) == 0) {
		/* "output": [] also documents an input the mapping leaves alone */
	} else if (st == SGP_MAP_NOMATCH) {
		sgp_buf_addf(msgs, "%s: the mapping does not apply to the input (type or \"match\"/\"when\")\n",
			     name.data);
		failed = 1;
	} else if (rej) {
		const char *reason = sgp_json_str(rej, "reason");
		const json_t *paths = json_object_get(rej, "paths");

		if (st != SGP_MAP_ERROR) {
			sgp_buf_addf(msgs, "%s: expected a reject, got %zu event%s\n", name.data, n,
				     n == 1 ? "" : "s");
			failed = 1;
		} else {
			if (reason && strcmp(reason, sgp_map_ctx_reason(c)) != 0) {
				sgp_buf_addf(msgs, "%s: expected reject reason \"%s\", got \"%s\"\n",
					     name.data, reason, sgp_map_ctx_reason(c));
				failed = 1;
			}
			if (paths) {
				json_t *got = json_array();

				for (k = 0; k < c->nerrs; k++)
					json_array_append_new(got, json_string(c->errs[k].path));
				if (!same(paths, got)) {
					sgp_buf_addf(msgs, "%s: expected reject paths ", name.data);
					show(msgs, paths);
					sgp_buf_adds(msgs, ", got ");
					show(msgs, got);
					sgp_buf_addc(msgs, '\n');
					failed = 1;
				}
				json_decref(got);
			}
		}
	} else if (st == SGP_MAP_ERROR) {
		sgp_buf_addf(msgs, "%s: rejected (%s):", name.data, sgp_map_ctx_reason(c));
		for (k = 0; k < c->nerrs; k++)
			sgp_buf_addf(msgs, "%s %s: %s", k ? ";" : "", c->errs[k].path, c->errs[k].message);
		sgp_buf_addc(msgs, '\n');
		failed = 1;
	} else {
		json_t *got = json_array();
		const char *p = out.data, *end = out.data + out.len;

		while (p && p < end) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));

			json_array_append_new(got, json_loadb(p, (size_t)(nl - p), 0, NULL));
			p = nl + 1;
		}
		if (json_array_size(got) != json_array_size(want)) {
			sgp_buf_addf(msgs, "%s: expected %zu event%s, got %zu\n", name.data,
				     json_array_size(want), json_array_size(want) == 1 ? "" : "s",
				     json_array_size(got));
			failed = 1;
		}
		for (k = 0; k < json_array_size(want) && k < json_array_size(got); k++) {
			const json_t *w = json_array_get(want, k), *g = json_array_get(got, k);
			sgp_buf pre = SGP_BUF_INIT;
			struct diffctx d;
			const char *key;
			json_t *v;

			sgp_buf_addf(&pre, "%s: event %zu", name.data, k + 1);
			d.msgs = msgs;
			d.prefix = pre.data;
			d.n = 0;
			if (!json_is_object(w) || !json_object_get(w, "type") || !json_object_get(w, "data")) {
				sgp_buf_addf(msgs, "%s: an expected event needs at least \"type\" and \"data\"\n",
					     pre.data);
				d.n++;
			} else {
				json_object_foreach((json_t *)w, key, v) {
					sgp_buf_reset(&path);
					sgp_buf_addc(&path, '/');
					sgp_buf_adds(&path, key);
					diff(&d, &path, v, json_object_get(g, key));
				}
			}
			if (d.n)
				failed = 1;
			sgp_buf_release(&pre);
		}
		json_decref(got);
	}
	sgp_buf_release(&out);
	sgp_buf_release(&name);
	sgp_buf_release(&path);
	return failed;
}

size_t sgp_mapping_check_examples(const sgp_mapping *m, sgp_buf *msgs, size_t *nexamples)
{
	const json_t *ex = json_object_get(m->spec, "examples");
	sgp_map_ctx *c = sgp_map_ctx_new();
	size_t i, nfail = 0;

	for (i = 0; i < json_array_size(ex); i++)
		nfail += (size_t)run_example(m, c, i, json_array_get(ex, i), msgs);
	if (nexamples)
		*nexamples = json_array_size(ex);
	sgp_map_ctx_free(c);
	return nfail;
}

/* ---- produced fields ---------------------------------------------------- */

/* Static value of a condition for an emitted type: 1 true, 0 false,
 * 2 depends on the record. */
static int cond_static(const struct map_cond *k, const char *type)
{
	size_t i;
	int r, unknown = 0;

	switch (k->kind) {
	case MC_EMITS:
		return strcmp(k->emits, type) == 0;
	case MC_NOT:
		r = cond_static(&k->kids[0], type);
		return r == 2 ? 2 : !r;
	case MC_ALL:
		for (i = 0; i < k->nkids; i++) {
			r = cond_static(&k->kids[i], type);
			if (r == 0)
				return 0;
			if (r == 2)
				unknown = 1;
		}
		return unknown ? 2 : 1;
	case MC_ANY:
		for (i = 0; i < k->nkids; i++) {
			r = cond_static(&k->kids[i], type);
			if (r == 1)
				return 1;
			if (r == 2)
				unknown = 1;
		}
		return unknown ? 2 : 0;
	default:
		return 2;
	}
}

static int is_string_rule(const struct map_rule *r)
{
	size_t i;

	if (r->def && !json_is_string(r->def))
		return 0;
	switch (r->conv) {
	case CV_STRING: case CV_DATE: case CV_CURRENCY:
		return 1;
	case CV_MONEY: case CV_DECIMAL:
		return r->out == OUT_STRING;
	case CV_TIME:
		return r->tout == TO_DATETIME || r->tout == TO_DATETIME_MS || r->tout == TO_DATE;
	case CV_INTEGER: case CV_BOOLEAN:
		return 0;
	case CV_NONE:
		break;
	}
	if (r->table)
		return 1;
	if (r->vmap) {
		for (i = 0; i < r->vmap->n; i++)
			if (!json_is_string(r->vmap->vals[i]))
				return 0;
		if (!r->map_keep)
			return 1;
	}
	if (r->trim || r->cas != CASE_NONE)
		return 1;
	switch (r->src) {
	case MS_TEMPLATE: case MS_CONCAT: case MS_HASH: return 1;
	case MS_CONST: return json_is_string(r->cval);
	default: return 0;
	}
}

/* One (path, flags) of a type being collected. */
struct fent {
	char *path;
	unsigned flags;
	int seen;    /* in the emit being walked */
};

struct flist {
	char *type;
	struct fent *v;
	size_t n, cap;
	int emits;   /* number of emits walked for this type */
};

static void fl_add(struct flist *f, const char *path, unsigned flags)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		if (strcmp(f->v[i].path, path) == 0) {
			/* present in several emits: always only if always in each */
			if (!(flags & SGP_FIELD_ALWAYS) || !(f->v[i].flags & SGP_FIELD_ALWAYS))
				f->v[i].flags &= ~(unsigned)SGP_FIELD_ALWAYS;
			f->v[i].flags |= flags & ~(unsigned)SGP_FIELD_ALWAYS;
			f->v[i].seen = 1;
			return;
		}
	if (f->n == f->cap) {
		f->cap = f->cap ? f->cap * 2 : 32;
		f->v = xreallocarray(f->v, f->cap, sizeof *f->v);
	}
	/* a field not produced by an earlier emit of the type is not always there */
	f->v[f->n].path = xstrdup(path);
	f->v[f->n].flags = f->emits > 0 ? flags & ~(unsigned)SGP_FIELD_ALWAYS : flags;
	f->v[f->n].seen = 1;
	f->n++;
}

static void walk_rule(struct flist *f, const struct map_rule *r, const char *type, int parent_always)
{
	unsigned flags = 0;
	int always = parent_always;
	size_t i;

	if (r->when) {
		int w = cond_static(r->when, type);

		if (w == 0)
			return;
		if (w == 2)
			always = 0;
	}
	if (!r->required && !r->def)
		always = 0;
	if (always)
		flags |= SGP_FIELD_ALWAYS;
	if (r->src == MS_FIELDS) {
		flags |= SGP_FIELD_OBJECT;
	} else if (r->src == MS_EACH || r->src == MS_LIST) {
		flags |= SGP_FIELD_ARRAY;
	} else {
		if (is_string_rule(r))
			flags |= SGP_FIELD_STRING;
		if (r->src == MS_FROM && r->conv == CV_NONE && !r->vmap && !r->table && !r->trim &&
		    r->cas == CASE_NONE)
			flags |= SGP_FIELD_COPY;
	}
	fl_add(f, r->opath, flags);
	/* inside array elements, "always" means "in every element" */
	for (i = 0; i < r->nfields; i++)
		walk_rule(f, &r->fields[i], type,
			  r->src == MS_EACH || (r->src == MS_LIST && r->nfields == 1) ? 1 : always);
}

static void tsel_types(const struct map_tsel *t, const char ***v, size_t *n)
{
	size_t i;

	if (t->type) {
		for (i = 0; i < *n; i++)
			if (strcmp((*v)[i], t->type) == 0)
				return;
		*v = xreallocarray(*v, *n + 1, sizeof **v);
		(*v)[(*n)++] = t->type;
		return;
	}
	tsel_types(t->then_, v, n);
	tsel_types(t->else_, v, n);
}

int sgp_mapping_fields(const sgp_mapping *m, sgp_mapping_field_fn fn, void *arg)
{
	static const char *const env[] = { "/spec", "/id", "/type", "/occurred_at", "/source",
					   "/source/system", "/source/object", "/source/id",
					   "/correlation_id", "/causation_id", "/idempotency_key",
					   NULL };
	const char **types = NULL;
	size_t ntypes = 0, t, i, j;
	int rc = 0;

	for (i = 0; i < m->nemits; i++)
		tsel_types(m->emits[i].tsel, &types, &ntypes);
	for (t = 0; t < ntypes && rc == 0; t++) {
		struct flist f;

		memset(&f, 0, sizeof f);
		for (i = 0; i < m->nemits; i++) {
			const struct map_emit *e = &m->emits[i];
			const char **et = NULL;
			size_t net = 0;
			int found = 0;

			tsel_types(e->tsel, &et, &net);
			for (j = 0; j < net; j++)
				if (strcmp(et[j], types[t]) == 0)
					found = 1;
			free(et);
			if (!found)
				continue;
			for (j = 0; j < f.n; j++)
				f.v[j].seen = 0;
			for (j = 0; env[j]; j++)
				fl_add(&f, env[j], SGP_FIELD_ALWAYS |
					(strcmp(env[j], "/source") == 0 ? SGP_FIELD_OBJECT : SGP_FIELD_STRING));
			if (e->schema)
				fl_add(&f, "/schema", SGP_FIELD_ALWAYS | SGP_FIELD_STRING);
			walk_rule(&f, &e->data, types[t], 1);
			/* fields an earlier emit made but this one does not: not always */
			for (j = 0; j < f.n; j++)
				if (!f.v[j].seen)
					f.v[j].flags &= ~(unsigned)SGP_FIELD_ALWAYS;
			f.emits++;
		}
		for (j = 0; j < f.n && rc == 0; j++)
			rc = fn(arg, types[t], f.v[j].path, f.v[j].flags);
		for (j = 0; j < f.n; j++)
			free(f.v[j].path);
		free(f.v);
	}
	free(types);
	return rc;
}

const char *sgp_mapping_schema_of(const sgp_mapping *m, const char *type)
{
	size_t i, j;

	for (i = 0; i < m->nemits; i++) {
		const char **et = NULL;
		size_t net = 0;
		int found = 0;

		if (m->emits[i].schema == NULL)
			continue;
		tsel_types(m->emits[i].tsel, &et, &net);
		for (j = 0; j < net; j++)
			if (strcmp(et[j], type) == 0)
				found = 1;
		free(et);
		if (found)
			return m->emits[i].schema;
	}
	return NULL;
}
