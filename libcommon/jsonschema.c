/*
 * jsonschema.c: compile JSON Schema (draft 2020-12, draft-07) into a tree
 * of nodes and validate instances against it.
 *
 * A node is one schema object (or boolean) with its keywords pre-parsed
 * into a small array of operations, cheap checks first and the
 * unevaluated* keywords last.  Edges between nodes carry the schema path
 * segment that reaches the child ("/properties/total"), so keyword
 * locations are built only when an error is reported.  Static $ref are
 * node pointers; $dynamicRef walks the dynamic scope (the chain of
 * evaluation frames, which lives on the C stack of the validating thread)
 * only when its target carries a matching $dynamicAnchor.
 *
 * Annotations for unevaluatedProperties/unevaluatedItems are collected
 * only by nodes that need them (and the in-place subschemas they apply):
 * a bitset of evaluated property positions (instance iteration order) or
 * item indices, plus "all" and a prefix count.
 *
 * Validation runs first in a fast mode that stops at the first failure
 * and builds no message; js_validate reruns failing instances in a
 * collecting mode.  Branches whose failure does not decide the outcome
 * (anyOf, oneOf, not, if, contains) are probed in fast mode and rerun in
 * collecting mode only when they decide it.
 */
#include "jsonschema.h"
#include "js_internal.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- compiled form ---- */

enum op {
	OP_TYPE, OP_CONST, OP_ENUM, OP_MULTIPLE_OF, OP_MAXIMUM, OP_EXMAXIMUM, OP_MINIMUM,
	OP_EXMINIMUM, OP_MAXLENGTH, OP_MINLENGTH, OP_MAXITEMS, OP_MINITEMS, OP_MAXPROPS,
	OP_MINPROPS, OP_REQUIRED, OP_DEPREQ, OP_PATTERN, OP_FORMAT, OP_REF, OP_DYNREF,
	OP_ALLOF, OP_ANYOF, OP_ONEOF, OP_NOT, OP_IF, OP_PROPS, OP_PROPNAMES, OP_DEPSCHEMAS,
	OP_ITEMS, OP_CONTAINS, OP_UNIQUE, OP_UNEVAL_PROPS, OP_UNEVAL_ITEMS,
};

enum {
	T_NULL = 1, T_BOOL = 2, T_OBJECT = 4, T_ARRAY = 8, T_NUMBER = 16, T_STRING = 32, T_INTEGER = 64,
};

static const struct {
	const char *name;
	unsigned bit;
} type_names[] = {
	{ "null", T_NULL }, { "boolean", T_BOOL }, { "object", T_OBJECT }, { "array", T_ARRAY },
	{ "number", T_NUMBER }, { "string", T_STRING }, { "integer", T_INTEGER },
};

struct node;

struct edge {
	struct node *node;
	const char *seg;   /* schema path segment, "/properties/total" */
	const char *kw;    /* keyword that applies it, "properties" */
};

struct prop {
	const char *name;
	size_t len;
	uint32_t hash;
	struct edge e;
};

struct pprop {
	js_regex *re;
	struct edge e;
};

struct depreq {
	const char *name;
	size_t len;
	const char **req;
	size_t *reqlen;
	size_t nreq;
	const char *kw;
};

struct depschema {
	const char *name;
	size_t len;
	struct edge e;
};

struct kw {
	uint8_t op;
	const char *name;
	union {
		unsigned types;
		json_t *value;
		struct {
			json_t **v;
			size_t n;
			bool strings;
		} en;
		struct {
			json_t *num;
			struct js_decimal dec;
		} mult;
		json_t *num;
		size_t count;
		js_regex *re;
		struct {
			enum js_format f;
			const char *name;
		} fmt;
		struct {
			const char **names;
			size_t *lens;
			size_t n;
		} req;
		struct {
			struct depreq *v;
			size_t n;
		} depreq;
		struct edge e;
		struct {
			struct edge e;
			const char *anchor;
		} dyn;
		struct {
			struct edge *v;
			size_t n;
		} list;
		struct {
			struct edge ifs, then, els;
			bool has_then, has_else;
		} cond;
		struct {
			struct prop *props;
			size_t nprops;
			uint32_t *table;
			size_t tmask;
			struct pprop *pp;
			size_t npp;
			struct edge addl;
			bool has_addl;
		} props;
		struct {
			struct depschema *v;
			size_t n;
		} deps;
		struct {
			struct edge *prefix;
			size_t nprefix;
			struct edge rest;
			bool has_rest;
		} items;
		struct {
			struct edge e;
			size_t min, max;
			bool has_max;
		} contains;
	} u;
};

enum { N_TRUE, N_FALSE, N_OBJECT };

struct dynent {
	const char *name;
	struct node *node;
};

struct res {
	const char *uri;
	struct dynent *dyn;
	size_t ndyn;
};

struct node {
	uint8_t kind;
	bool uneval;       /* collects its own annotations (unevaluated*) */
	uint8_t color;     /* cycle detection */
	uint16_t nkw;
	struct kw *kw;
	const char *abs;   /* absolute location "uri#/ptr" */
	const struct res *res;
	/* compile time only */
	json_t *json;
	const struct js_loc *loc;
};

struct js_schema {
	js_arena arena;
	struct node *root;
	json_t **held;
	size_t nheld, capheld;
	js_regex **regexes;
	size_t nre, capre;
	const char *uri;
};

/* ---- errors ---- */

void js_errors_init(js_errors *e)
{
	e->v = NULL;
	e->n = e->cap = 0;
}

static void error_free(js_error *x)
{
	free(x->instance_path);
	free(x->keyword_location);
	free(x->absolute_location);
	free(x->keyword);
	free(x->message);
}

static void errors_truncate(js_errors *e, size_t n)
{
	while (e->n > n)
		error_free(&e->v[--e->n]);
}

void js_errors_clear(js_errors *e)
{
	errors_truncate(e, 0);
}

void js_errors_release(js_errors *e)
{
	js_errors_clear(e);
	free(e->v);
	js_errors_init(e);
}

static js_error *errors_push(js_errors *e)
{
	if (e->n == e->cap) {
		e->cap = e->cap ? e->cap * 2 : 8;
		e->v = xreallocarray(e->v, e->cap, sizeof(*e->v));
	}
	js_error *x = &e->v[e->n++];
	memset(x, 0, sizeof(*x));
	return x;
}

json_t *js_errors_to_json(const js_errors *e)
{
	json_t *a = json_array();

	for (size_t i = 0; i < e->n; i++) {
		json_t *o = json_object();
		json_object_set_new(o, "path", json_string(e->v[i].instance_path));
		json_object_set_new(o, "keyword", json_string(e->v[i].keyword ? e->v[i].keyword : ""));
		json_object_set_new(o, "message", json_string(e->v[i].message));
		json_array_append_new(a, o);
	}
	return a;
}

/* ---- compiler ---- */

struct cc {
	js_registry *reg;
	js_schema *s;
	struct js_options opt;
	js_errors *errs;
	size_t nerr;
	struct js_index local;
	js_arena tmp;
	js_map memo;       /* json_t * -> struct node * */
	js_map resmap;     /* json_t * (resource root) -> struct res * */
	struct node **queue;
	size_t nq, capq;
};

static void cerr(struct cc *c, const struct js_loc *loc, const char *kw, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void cerr(struct cc *c, const struct js_loc *loc, const char *kw, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		sgp_die(SGP_EXIT_SYSTEM, "out of memory");
	va_end(ap);
	js_error *x = errors_push(c->errs);
	x->instance_path = kw ? xasprintf("%s/%s", loc->ptr, kw) : xstrdup(loc->ptr);
	x->keyword_location = xstrdup(x->instance_path);
	x->absolute_location = xasprintf("%s#%s", loc->base, x->instance_path);
	x->keyword = xstrdup(kw ? kw : "");
	x->message = msg;
	c->nerr++;
}

static void hold(js_schema *s, json_t *v)
{
	for (size_t i = 0; i < s->nheld; i++)
		if (s->held[i] == v)
			return;
	if (s->nheld == s->capheld) {
		s->capheld = s->capheld ? s->capheld * 2 : 8;
		s->held = xreallocarray(s->held, s->capheld, sizeof(*s->held));
	}
	s->held[s->nheld++] = json_incref(v);
}

static void keep_regex(js_schema *s, js_regex *re)
{
	if (s->nre == s->capre) {
		s->capre = s->capre ? s->capre * 2 : 8;
		s->regexes = xreallocarray(s->regexes, s->capre, sizeof(*s->regexes));
	}
	s->regexes[s->nre++] = re;
}

static struct js_loc *loc_of(struct cc *c, json_t *v)
{
	struct js_loc *l = js_map_get_ptr(&c->local.locs, v);
	return l ? l : js_registry_loc(c->reg, v);
}

static json_t *lookup_uri(struct cc *c, const char *uri)
{
	json_t *v = js_map_get_str(&c->local.uris, uri);
	return v ? v : js_registry_lookup(c->reg, uri);
}

static struct js_dynanchor *dyn_of(struct cc *c, json_t *res)
{
	struct js_dynanchor *d = js_map_get_ptr(&c->local.dyn, res);
	return d ? d : js_registry_dyn(c->reg, res);
}

static struct node *get_node(struct cc *c, json_t *v, const struct js_loc *loc)
{
	struct node *n = js_map_get_ptr(&c->memo, v);

	if (n)
		return n;
	n = js_arena_alloc(&c->s->arena, sizeof(*n));
	n->json = v;
	n->loc = loc;
	js_map_put_ptr(&c->memo, v, n);
	if (c->nq == c->capq) {
		c->capq = c->capq ? c->capq * 2 : 64;
		c->queue = xreallocarray(c->queue, c->capq, sizeof(*c->queue));
	}
	c->queue[c->nq++] = n;
	return n;
}

static const struct res *get_res(struct cc *c, const struct js_loc *loc)
{
	struct res *r = js_map_get_ptr(&c->resmap, loc->res);

	if (r)
		return r;
	r = js_arena_alloc(&c->s->arena, sizeof(*r));
	r->uri = js_arena_strdup(&c->s->arena, loc->base);
	js_map_put_ptr(&c->resmap, loc->res, r);
	hold(c->s, loc->res);
	size_t n = 0;
	for (struct js_dynanchor *d = dyn_of(c, loc->res); d; d = d->next)
		n++;
	if (n) {
		r->dyn = js_arena_alloc(&c->s->arena, n * sizeof(*r->dyn));
		for (struct js_dynanchor *d = dyn_of(c, loc->res); d; d = d->next) {
			struct js_loc *dl = loc_of(c, d->schema);
			if (!dl)
				continue;
			r->dyn[r->ndyn].name = js_arena_strdup(&c->s->arena, d->name);
			r->dyn[r->ndyn].node = get_node(c, d->schema, dl);
			r->ndyn++;
		}
	}
	return r;
}

static bool is_schema_value(const json_t *v)
{
	return json_is_object(v) || json_is_boolean(v);
}

/* Edge to the subschema V at SEG ("/items") below the node at LOC. */
static bool edge_to(struct cc *c, const struct js_loc *loc, json_t *v, const char *kw,
                    const char *seg, struct edge *e)
{
	if (!is_schema_value(v)) {
		cerr(c, loc, seg + 1, "\"%s\" must be a schema (an object or a boolean)", kw);
		return false;
	}
	struct js_loc *cl = loc_of(c, v);
	if (!cl)
		cl = js_child_loc(&c->tmp, c->reg, loc, v, seg);
	e->node = get_node(c, v, cl);
	e->seg = js_arena_strdup(&c->s->arena, seg);
	e->kw = js_arena_strdup(&c->s->arena, kw);
	return true;
}

static char *seg_key(const char *kw, const char *key, size_t klen)
{
	sgp_buf b = SGP_BUF_INIT;

	sgp_buf_addf(&b, "/%s/", kw);
	js_pointer_escape(&b, key, klen);
	return sgp_buf_detach(&b, NULL);
}

struct ptrwalk {
	struct cc *c;
	struct js_loc *loc;
};

static void ptr_visit(void *arg, json_t *v, const char *seg)
{
	struct ptrwalk *w = arg;
	struct js_loc *l = loc_of(w->c, v);

	if (!l) {
		sgp_buf b = SGP_BUF_INIT;
		sgp_buf_adds(&b, w->loc->ptr);
		sgp_buf_addc(&b, '/');
		js_pointer_escape(&b, seg, strlen(seg));
		l = js_arena_alloc(&w->c->tmp, sizeof(*l));
		*l = *w->loc;
		l->ptr = js_arena_strdup(&w->c->tmp, b.data);
		sgp_buf_release(&b);
	}
	w->loc = l;
}

/* Resolve reference REF from a schema at LOC: the target and its
 * location, or NULL with *abs_out set to the absolute URI tried. */
static json_t *resolve_ref(struct cc *c, const char *base, const char *ref,
                           struct js_loc **loc_out, char **abs_out, const char **frag_out)
{
	char *abs = js_uri_resolve(base, ref);
	const char *frag;
	char *nofrag = js_uri_strip_fragment(abs, &frag);
	json_t *res = lookup_uri(c, nofrag), *target = NULL;

	*abs_out = abs;
	*frag_out = frag;
	*loc_out = NULL;
	if (res) {
		struct js_loc *rl = loc_of(c, res);
		if (!frag || !*frag) {
			target = res;
			*loc_out = rl;
		} else if (frag[0] == '/') {
			char *ptr = js_percent_decode(frag, strlen(frag));
			if (ptr && rl) {
				struct ptrwalk w = { c, rl };
				target = js_pointer_get(res, ptr, ptr_visit, &w);
				*loc_out = w.loc;
			}
			free(ptr);
		} else {
			char *key = xasprintf("%s#%s", nofrag, frag);
			target = lookup_uri(c, key);
			free(key);
			if (target)
				*loc_out = loc_of(c, target);
		}
	}
	free(nofrag);
	if (target && !*loc_out)
		target = NULL;
	return target;
}

static bool want_size(struct cc *c, const struct js_loc *loc, const char *kw, json_t *v, size_t *out)
{
	if (!js_json_to_size(v, out)) {
		cerr(c, loc, kw, "\"%s\" must be a non-negative integer", kw);
		return false;
	}
	return true;
}

struct kwlist {
	struct kw v[48];
	size_t n;
};

static struct kw *add_kw(struct kwlist *l, enum op op, const char *name)
{
	struct kw *k = &l->v[l->n++];
	memset(k, 0, sizeof(*k));
	k->op = op;
	k->name = name;
	return k;
}

static void compile_list(struct cc *c, const struct js_loc *loc, json_t *s, const char *kw,
                         enum op op, struct kwlist *l)
{
	json_t *v = json_object_get(s, kw);

	if (!v)
		return;
	if (!json_is_array(v) || json_array_size(v) == 0) {
		cerr(c, loc, kw, "\"%s\" must be a non-empty array of schemas", kw);
		return;
	}
	struct kw *k = add_kw(l, op, kw);
	k->u.list.n = json_array_size(v);
	k->u.list.v = js_arena_alloc(&c->s->arena, k->u.list.n * sizeof(struct edge));
	for (size_t i = 0; i < k->u.list.n; i++) {
		char seg[64];
		snprintf(seg, sizeof(seg), "/%s/%zu", kw, i);
		edge_to(c, loc, json_array_get(v, i), kw, seg, &k->u.list.v[i]);
	}
}

static bool compile_names(struct cc *c, const struct js_loc *loc, const char *kw, json_t *v,
                          const char ***names, size_t **lens, size_t *n)
{
	if (!json_is_array(v)) {
		cerr(c, loc, kw, "\"%s\" must be an array of strings", kw);
		return false;
	}
	*n = json_array_size(v);
	*names = js_arena_alloc(&c->s->arena, (*n + 1) * sizeof(char *));
	*lens = js_arena_alloc(&c->s->arena, (*n + 1) * sizeof(size_t));
	for (size_t i = 0; i < *n; i++) {
		json_t *x = json_array_get(v, i);
		if (!json_is_string(x)) {
			cerr(c, loc, kw, "\"%s\" must be an array of strings", kw);
			return false;
		}
		(*names)[i] = js_arena_strndup(&c->s->arena, json_string_value(x), json_string_length(x));
		(*lens)[i] = json_string_length(x);
	}
	return true;
}

static void compile_props(struct cc *c, const struct js_loc *loc, json_t *s, struct kwlist *l)
{
	json_t *props = json_object_get(s, "properties");
	json_t *pp = json_object_get(s, "patternProperties");
	json_t *addl = json_object_get(s, "additionalProperties");

	if (!props && !pp && !addl)
		return;
	struct kw *k = add_kw(l, OP_PROPS, "properties");
	js_arena *a = &c->s->arena;
	const char *key;
	size_t klen;
	json_t *v;

	if (props) {
		if (!json_is_object(props)) {
			cerr(c, loc, "properties", "\"properties\" must be an object of schemas");
		} else {
			size_t n = json_object_size(props), i = 0;
			k->u.props.props = js_arena_alloc(a, n * sizeof(struct prop));
			json_object_keylen_foreach(props, key, klen, v) {
				struct prop *p = &k->u.props.props[i];
				char *seg = seg_key("properties", key, klen);
				if (edge_to(c, loc, v, "properties", seg, &p->e)) {
					p->name = js_arena_strndup(a, key, klen);
					p->len = klen;
					p->hash = js_hash_bytes(key, klen);
					i++;
				}
				free(seg);
			}
			k->u.props.nprops = i;
			size_t cap = 4;
			while (cap < 2 * i)
				cap *= 2;
			k->u.props.tmask = cap - 1;
			k->u.props.table = js_arena_alloc(a, cap * sizeof(uint32_t));
			for (size_t j = 0; j < i; j++) {
				size_t h = k->u.props.props[j].hash & (cap - 1);
				while (k->u.props.table[h])
					h = (h + 1) & (cap - 1);
				k->u.props.table[h] = (uint32_t)(j + 1);
			}
		}
	}
	if (pp) {
		if (!json_is_object(pp)) {
			cerr(c, loc, "patternProperties", "\"patternProperties\" must be an object of schemas");
		} else {
			size_t n = json_object_size(pp), i = 0;
			k->u.props.pp = js_arena_alloc(a, n * sizeof(struct pprop));
			json_object_keylen_foreach(pp, key, klen, v) {
				struct pprop *p = &k->u.props.pp[i];
				char *seg = seg_key("patternProperties", key, klen);
				char *err = NULL;
				js_regex *re = js_regex_compile(key, klen, &err);
				if (!re) {
					cerr(c, loc, seg + 1, "invalid regular expression \"%s\" in patternProperties: %s",
					     key, err);
					free(err);
				} else {
					keep_regex(c->s, re);
					if (edge_to(c, loc, v, "patternProperties", seg, &p->e)) {
						p->re = re;
						i++;
					}
				}
				free(seg);
			}
			k->u.props.npp = i;
		}
	}
	if (addl && edge_to(c, loc, addl, "additionalProperties", "/additionalProperties", &k->u.props.addl))
		k->u.props.has_addl = true;
}

/* MODE: 0 schemas (dependentSchemas), 1 arrays of names
 * (dependentRequired), 2 either (draft-07 dependencies). */
static void compile_deps_schemas(struct cc *c, const struct js_loc *loc, json_t *v, const char *kw,
                                 struct kwlist *l, int mode)
{
	if (!json_is_object(v)) {
		cerr(c, loc, kw, "\"%s\" must be an object", kw);
		return;
	}
	js_arena *a = &c->s->arena;
	size_t n = json_object_size(v), ns = 0, nr = 0;
	struct depschema *ds = js_arena_alloc(a, n * sizeof(*ds));
	struct depreq *dr = js_arena_alloc(a, n * sizeof(*dr));
	const char *key;
	size_t klen;
	json_t *x;

	json_object_keylen_foreach(v, key, klen, x) {
		char *seg = seg_key(kw, key, klen);
		if (mode == 1 && !json_is_array(x)) {
			cerr(c, loc, kw, "\"%s\" values must be arrays of strings", kw);
		} else if (mode != 0 && json_is_array(x)) {
			struct depreq *d = &dr[nr];
			if (compile_names(c, loc, kw, x, &d->req, &d->reqlen, &d->nreq)) {
				d->name = js_arena_strndup(a, key, klen);
				d->len = klen;
				d->kw = kw;
				nr++;
			}
		} else if (edge_to(c, loc, x, kw, seg, &ds[ns].e)) {
			ds[ns].name = js_arena_strndup(a, key, klen);
			ds[ns].len = klen;
			ns++;
		}
		free(seg);
	}
	if (nr) {
		struct kw *k = add_kw(l, OP_DEPREQ, kw);
		k->u.depreq.v = dr;
		k->u.depreq.n = nr;
	}
	if (ns) {
		struct kw *k = add_kw(l, OP_DEPSCHEMAS, kw);
		k->u.deps.v = ds;
		k->u.deps.n = ns;
	}
}

static void compile_ref(struct cc *c, const struct js_loc *loc, json_t *s, const char *kw,
                        struct kwlist *l, bool dynamic)
{
	json_t *v = json_object_get(s, kw);

	if (!v)
		return;
	if (!json_is_string(v)) {
		cerr(c, loc, kw, "\"%s\" must be a string", kw);
		return;
	}
	struct js_loc *tl;
	char *abs;
	const char *frag;
	json_t *t = resolve_ref(c, loc->base, json_string_value(v), &tl, &abs, &frag);
	if (!t) {
		cerr(c, loc, kw, "cannot resolve reference \"%s\"", abs);
		free(abs);
		return;
	}
	if (!is_schema_value(t)) {
		cerr(c, loc, kw, "reference \"%s\" is not a schema", abs);
		free(abs);
		return;
	}
	struct kw *k = add_kw(l, dynamic ? OP_DYNREF : OP_REF, kw);
	struct edge *e = dynamic ? &k->u.dyn.e : &k->u.e;
	e->node = get_node(c, t, tl);
	e->seg = dynamic ? "/$dynamicRef" : "/$ref";
	e->kw = kw;
	if (dynamic && frag && *frag && frag[0] != '/') {
		json_t *da = json_is_object(t) ? json_object_get(t, "$dynamicAnchor") : NULL;
		if (json_is_string(da) && strcmp(json_string_value(da), frag) == 0) {
			k->u.dyn.anchor = js_arena_strdup(&c->s->arena, frag);
			/* every resource that may be in the dynamic scope needs
			 * its dynamic anchors compiled: done by get_res */
		}
	}
	free(abs);
}

static void compile_node(struct cc *c, struct node *n)
{
	json_t *s = n->json;
	const struct js_loc *loc = n->loc;
	js_arena *a = &c->s->arena;

	{
		char *abs = xasprintf("%s#%s", loc->base, loc->ptr);
		n->abs = js_arena_strdup(a, abs);
		free(abs);
	}
	n->res = get_res(c, loc);
	if (json_is_boolean(s)) {
		n->kind = json_is_true(s) ? N_TRUE : N_FALSE;
		return;
	}
	n->kind = N_OBJECT;

	enum js_dialect dialect;
	unsigned vocab;
	char *err = NULL;
	if (js_meta_info(c->reg, loc->meta, c->opt.default_dialect, &dialect, &vocab, &err) < 0) {
		cerr(c, loc, "$schema", "%s", err);
		free(err);
		return;
	}
	bool d7 = dialect == JS_DRAFT_07;
	bool appl = d7 || (vocab & JS_V_APPLICATOR);
	bool valid = d7 || (vocab & JS_V_VALIDATION);
	bool uneval = !d7 && (vocab & JS_V_UNEVALUATED);
	bool fmt_assert = c->opt.format_assert || (!d7 && (vocab & JS_V_FORMAT_ASSERTION));

	struct kwlist *l = xmalloc(sizeof(*l));
	l->n = 0;
	json_t *v;
	size_t sz;

	if (d7 && json_object_get(s, "$ref")) {
		/* draft-07: $ref replaces every sibling keyword */
		compile_ref(c, loc, s, "$ref", l, false);
		goto done;
	}
	if (valid) {
		if ((v = json_object_get(s, "type"))) {
			unsigned mask = 0;
			bool bad = !json_is_string(v) && !json_is_array(v);
			for (size_t i = 0; !bad && i < (json_is_array(v) ? json_array_size(v) : 1); i++) {
				json_t *t = json_is_array(v) ? json_array_get(v, i) : v;
				size_t j;
				for (j = 0; json_is_string(t) && j < sizeof(type_names) / sizeof(type_names[0]); j++)
					if (strcmp(json_string_value(t), type_names[j].name) == 0)
						break;
				if (!json_is_string(t) || j == sizeof(type_names) / sizeof(type_names[0]))
					bad = true;
				else
					mask |= type_names[j].bit;
			}
			if (bad)
				cerr(c, loc, "type", "\"type\" must be a type name or an array of type names");
			else
				add_kw(l, OP_TYPE, "type")->u.types = mask;
		}
		if ((v = json_object_get(s, "const")))
			add_kw(l, OP_CONST, "const")->u.value = v;
		if ((v = json_object_get(s, "enum"))) {
			if (!json_is_array(v)) {
				cerr(c, loc, "enum", "\"enum\" must be an array");
			} else {
				struct kw *k = add_kw(l, OP_ENUM, "enum");
				k->u.en.n = json_array_size(v);
				k->u.en.v = js_arena_alloc(a, (k->u.en.n + 1) * sizeof(json_t *));
				k->u.en.strings = true;
				for (size_t i = 0; i < k->u.en.n; i++) {
					k->u.en.v[i] = json_array_get(v, i);
					if (!json_is_string(k->u.en.v[i]))
						k->u.en.strings = false;
				}
			}
		}
		if ((v = json_object_get(s, "multipleOf"))) {
			if (!json_is_number(v) || json_number_value(v) <= 0) {
				cerr(c, loc, "multipleOf", "\"multipleOf\" must be a number greater than 0");
			} else {
				struct kw *k = add_kw(l, OP_MULTIPLE_OF, "multipleOf");
				k->u.mult.num = v;
				js_decimal_of(v, &k->u.mult.dec);
			}
		}
		static const struct {
			const char *name;
			enum op op;
		} limits[] = {
			{ "maximum", OP_MAXIMUM }, { "exclusiveMaximum", OP_EXMAXIMUM },
			{ "minimum", OP_MINIMUM }, { "exclusiveMinimum", OP_EXMINIMUM },
		};
		for (size_t i = 0; i < 4; i++) {
			if (!(v = json_object_get(s, limits[i].name)))
				continue;
			if (!json_is_number(v))
				cerr(c, loc, limits[i].name, "\"%s\" must be a number", limits[i].name);
			else
				add_kw(l, limits[i].op, limits[i].name)->u.num = v;
		}
		static const struct {
			const char *name;
			enum op op;
		} counts[] = {
			{ "maxLength", OP_MAXLENGTH }, { "minLength", OP_MINLENGTH },
			{ "maxItems", OP_MAXITEMS }, { "minItems", OP_MINITEMS },
			{ "maxProperties", OP_MAXPROPS }, { "minProperties", OP_MINPROPS },
		};
		for (size_t i = 0; i < 6; i++) {
			if ((v = json_object_get(s, counts[i].name)) && want_size(c, loc, counts[i].name, v, &sz))
				add_kw(l, counts[i].op, counts[i].name)->u.count = sz;
		}
		if ((v = json_object_get(s, "required"))) {
			struct kw k;
			if (compile_names(c, loc, "required", v, &k.u.req.names, &k.u.req.lens, &k.u.req.n) &&
			    k.u.req.n) {
				struct kw *r = add_kw(l, OP_REQUIRED, "required");
				r->u.req = k.u.req;
			}
		}
		if (!d7 && (v = json_object_get(s, "dependentRequired"))) {
			if (!json_is_object(v))
				cerr(c, loc, "dependentRequired", "\"dependentRequired\" must be an object");
			else
				compile_deps_schemas(c, loc, v, "dependentRequired", l, 1);
		}
		if ((v = json_object_get(s, "pattern"))) {
			if (!json_is_string(v)) {
				cerr(c, loc, "pattern", "\"pattern\" must be a string");
			} else {
				js_regex *re = js_regex_compile(json_string_value(v), json_string_length(v), &err);
				if (!re) {
					cerr(c, loc, "pattern", "invalid regular expression \"%s\": %s",
					     json_string_value(v), err);
					free(err);
				} else {
					keep_regex(c->s, re);
					add_kw(l, OP_PATTERN, "pattern")->u.re = re;
				}
			}
		}
	}
	if (fmt_assert && (v = json_object_get(s, "format"))) {
		if (!json_is_string(v)) {
			cerr(c, loc, "format", "\"format\" must be a string");
		} else {
			enum js_format f = js_format_lookup(json_string_value(v));
			if (f != JS_FMT_UNKNOWN) {
				struct kw *k = add_kw(l, OP_FORMAT, "format");
				k->u.fmt.f = f;
				k->u.fmt.name = js_arena_strdup(a, json_string_value(v));
			}
		}
	}
	compile_ref(c, loc, s, "$ref", l, false);
	if (!d7)
		compile_ref(c, loc, s, "$dynamicRef", l, true);
	if (appl) {
		compile_list(c, loc, s, "allOf", OP_ALLOF, l);
		compile_list(c, loc, s, "anyOf", OP_ANYOF, l);
		compile_list(c, loc, s, "oneOf", OP_ONEOF, l);
		if ((v = json_object_get(s, "not"))) {
			struct edge e;
			if (edge_to(c, loc, v, "not", "/not", &e))
				add_kw(l, OP_NOT, "not")->u.e = e;
		}
		if ((v = json_object_get(s, "if"))) {
			struct kw k;
			memset(&k, 0, sizeof(k));
			json_t *t = json_object_get(s, "then"), *e = json_object_get(s, "else");
			bool ok = edge_to(c, loc, v, "if", "/if", &k.u.cond.ifs);
			if (t)
				ok = (k.u.cond.has_then = edge_to(c, loc, t, "then", "/then", &k.u.cond.then)) && ok;
			if (e)
				ok = (k.u.cond.has_else = edge_to(c, loc, e, "else", "/else", &k.u.cond.els)) && ok;
			/* even without then/else, "if" contributes annotations */
			if (ok)
				add_kw(l, OP_IF, "if")->u.cond = k.u.cond;
		}
		compile_props(c, loc, s, l);
		if ((v = json_object_get(s, "propertyNames"))) {
			struct edge e;
			if (edge_to(c, loc, v, "propertyNames", "/propertyNames", &e))
				add_kw(l, OP_PROPNAMES, "propertyNames")->u.e = e;
		}
		if (!d7 && (v = json_object_get(s, "dependentSchemas")))
			compile_deps_schemas(c, loc, v, "dependentSchemas", l, 0);
		if ((v = json_object_get(s, "dependencies")))
			compile_deps_schemas(c, loc, v, "dependencies", l, 2);

		/* items */
		json_t *items = json_object_get(s, "items");
		json_t *prefix = d7 ? (json_is_array(items) ? items : NULL) : json_object_get(s, "prefixItems");
		json_t *rest = d7 ? (json_is_array(items) ? json_object_get(s, "additionalItems") : items) : items;
		const char *pkw = d7 ? "items" : "prefixItems";
		const char *rkw = d7 && json_is_array(items) ? "additionalItems" : "items";
		if (prefix || rest) {
			struct kw *k = add_kw(l, OP_ITEMS, rest ? rkw : pkw);
			if (prefix) {
				if (!json_is_array(prefix)) {
					cerr(c, loc, pkw, "\"%s\" must be an array of schemas", pkw);
				} else {
					k->u.items.nprefix = json_array_size(prefix);
					k->u.items.prefix = js_arena_alloc(a, (k->u.items.nprefix + 1) * sizeof(struct edge));
					for (size_t i = 0; i < k->u.items.nprefix; i++) {
						char seg[64];
						snprintf(seg, sizeof(seg), "/%s/%zu", pkw, i);
						edge_to(c, loc, json_array_get(prefix, i), pkw, seg, &k->u.items.prefix[i]);
					}
				}
			}
			if (rest) {
				char seg[64];
				snprintf(seg, sizeof(seg), "/%s", rkw);
				k->u.items.has_rest = edge_to(c, loc, rest, rkw, seg, &k->u.items.rest);
			}
		}
		if ((v = json_object_get(s, "contains"))) {
			struct edge e;
			if (edge_to(c, loc, v, "contains", "/contains", &e)) {
				struct kw *k = add_kw(l, OP_CONTAINS, "contains");
				k->u.contains.e = e;
				k->u.contains.min = 1;
				json_t *mn = !d7 && valid ? json_object_get(s, "minContains") : NULL;
				json_t *mx = !d7 && valid ? json_object_get(s, "maxContains") : NULL;
				if (mn && want_size(c, loc, "minContains", mn, &sz))
					k->u.contains.min = sz;
				if (mx && want_size(c, loc, "maxContains", mx, &sz)) {
					k->u.contains.max = sz;
					k->u.contains.has_max = true;
				}
			}
		}
	}
	if (valid && (v = json_object_get(s, "uniqueItems"))) {
		if (!json_is_boolean(v))
			cerr(c, loc, "uniqueItems", "\"uniqueItems\" must be a boolean");
		else if (json_is_true(v))
			add_kw(l, OP_UNIQUE, "uniqueItems");
	}
	if (uneval) {
		if ((v = json_object_get(s, "unevaluatedProperties"))) {
			struct edge e;
			if (edge_to(c, loc, v, "unevaluatedProperties", "/unevaluatedProperties", &e)) {
				add_kw(l, OP_UNEVAL_PROPS, "unevaluatedProperties")->u.e = e;
				n->uneval = true;
			}
		}
		if ((v = json_object_get(s, "unevaluatedItems"))) {
			struct edge e;
			if (edge_to(c, loc, v, "unevaluatedItems", "/unevaluatedItems", &e)) {
				add_kw(l, OP_UNEVAL_ITEMS, "unevaluatedItems")->u.e = e;
				n->uneval = true;
			}
		}
	}
done:;
	/* definitions are compiled too, so that their problems are reported
	 * even when nothing refers to them yet */
	static const char *const defs_kw[] = { "$defs", "definitions" };
	for (size_t d = 0; d < 2; d++) {
		json_t *defs = json_object_get(s, defs_kw[d]);
		const char *key;
		size_t klen;
		if (!json_is_object(defs))
			continue;
		json_object_keylen_foreach(defs, key, klen, v) {
			struct edge e;
			char *seg = seg_key(defs_kw[d], key, klen);
			edge_to(c, loc, v, defs_kw[d], seg, &e);
			free(seg);
		}
	}
	n->nkw = (uint16_t)l->n;
	n->kw = js_arena_alloc(a, (l->n + 1) * sizeof(struct kw));
	memcpy(n->kw, l->v, l->n * sizeof(struct kw));
	free(l);
}

/* In-place edges (same instance): a cycle through them never ends. */
static size_t inplace_edges(const struct node *n, const struct edge **out, size_t max)
{
	size_t k = 0;

#define ADD(e) do { if (k < max) out[k++] = (e); } while (0)
	for (size_t i = 0; i < n->nkw; i++) {
		const struct kw *w = &n->kw[i];
		switch (w->op) {
		case OP_REF: case OP_NOT:
			ADD(&w->u.e);
			break;
		case OP_DYNREF:
			ADD(&w->u.dyn.e);
			break;
		case OP_ALLOF: case OP_ANYOF: case OP_ONEOF:
			for (size_t j = 0; j < w->u.list.n; j++)
				ADD(&w->u.list.v[j]);
			break;
		case OP_IF:
			ADD(&w->u.cond.ifs);
			if (w->u.cond.has_then)
				ADD(&w->u.cond.then);
			if (w->u.cond.has_else)
				ADD(&w->u.cond.els);
			break;
		case OP_DEPSCHEMAS:
			for (size_t j = 0; j < w->u.deps.n; j++)
				ADD(&w->u.deps.v[j].e);
			break;
		default:
			break;
		}
	}
#undef ADD
	return k;
}

static bool find_cycle(struct cc *c, struct node *n, int depth)
{
	const struct edge *ev[256];

	if (n->color == 2 || depth > 1000)
		return false;
	if (n->color == 1) {
		cerr(c, n->loc, NULL, "reference cycle through \"%s\" never consumes the instance", n->abs);
		return true;
	}
	n->color = 1;
	size_t k = inplace_edges(n, ev, 256);
	for (size_t i = 0; i < k; i++)
		if (ev[i]->node && find_cycle(c, ev[i]->node, depth + 1))
			return true;
	n->color = 2;
	return false;
}

static js_schema *compile_root(struct cc *c, json_t *root, const struct js_loc *loc)
{
	js_schema *s = c->s;

	s->root = get_node(c, root, loc);
	s->uri = js_arena_strdup(&s->arena, loc->base);
	for (size_t i = 0; i < c->nq; i++)
		compile_node(c, c->queue[i]);
	if (!c->nerr) {
		for (size_t i = 0; i < c->nq; i++)
			if (find_cycle(c, c->queue[i], 0))
				break;
	}
	free(c->queue);
	js_map_release(&c->memo);
	js_map_release(&c->resmap);
	js_index_release(&c->local);
	js_arena_release(&c->tmp);
	if (c->nerr) {
		js_schema_free(s);
		return NULL;
	}
	return s;
}

static void cc_init(struct cc *c, js_registry *reg, const struct js_options *opt, js_errors *errs)
{
	memset(c, 0, sizeof(*c));
	c->reg = reg;
	c->errs = errs;
	if (opt)
		c->opt = *opt;
	else
		c->opt = (struct js_options)JS_OPTIONS_INIT;
	c->s = xcalloc(1, sizeof(js_schema));
}

js_schema *js_compile(js_registry *reg, json_t *schema, const char *uri,
                      const struct js_options *opt, js_errors *errs)
{
	struct cc c;

	cc_init(&c, reg, opt, errs);
	if (!is_schema_value(schema)) {
		struct js_loc l = { uri ? uri : "", "", schema, NULL };
		cerr(&c, &l, NULL, "a schema must be an object or a boolean");
		return compile_root(&c, NULL, &l);
	}
	char *base;
	json_t *id = json_is_object(schema) ? json_object_get(schema, "$id") : NULL;
	if (json_is_string(id) && json_string_value(id)[0] != '#') {
		char *anon = uri ? NULL : js_registry_anon_uri(reg);
		char *t = js_uri_resolve(uri ? uri : anon, json_string_value(id));
		base = js_uri_strip_fragment(t, NULL);
		free(t);
		free(anon);
	} else if (uri) {
		char *t = js_uri_resolve(NULL, uri);
		base = js_uri_strip_fragment(t, NULL);
		free(t);
	} else {
		base = js_registry_anon_uri(reg);
	}
	js_index_doc(&c.local, reg, schema, base);
	free(base);
	hold(c.s, schema);
	struct js_loc *loc = js_map_get_ptr(&c.local.locs, schema);
	return compile_root(&c, schema, loc);
}

js_schema *js_compile_uri(js_registry *reg, const char *uri, const struct js_options *opt,
                          js_errors *errs)
{
	struct cc c;
	struct js_loc *loc;
	char *abs;
	const char *frag;

	cc_init(&c, reg, opt, errs);
	json_t *t = resolve_ref(&c, NULL, uri, &loc, &abs, &frag);
	if (!t) {
		struct js_loc l = { abs, "", NULL, NULL };
		cerr(&c, &l, NULL, "cannot resolve schema \"%s\"", abs);
		js_index_release(&c.local);
		js_arena_release(&c.tmp);
		free(abs);
		free(c.s);
		return NULL;
	}
	free(abs);
	return compile_root(&c, t, loc);
}

void js_schema_free(js_schema *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nheld; i++)
		json_decref(s->held[i]);
	for (size_t i = 0; i < s->nre; i++)
		js_regex_free(s->regexes[i]);
	free(s->held);
	free(s->regexes);
	js_arena_release(&s->arena);
	free(s);
}

const char *js_schema_uri(const js_schema *s)
{
	return s->uri;
}

/* ---- validation ---- */

struct ann {
	bool all;
	size_t upto;
	size_t nwords;
	uint64_t *bits;
	uint64_t inl[4];
};

static void ann_init(struct ann *a)
{
	a->all = false;
	a->upto = 0;
	a->nwords = 4;
	a->bits = a->inl;
	memset(a->inl, 0, sizeof(a->inl));
}

static void ann_release(struct ann *a)
{
	if (a->bits != a->inl)
		free(a->bits);
	a->bits = a->inl;
}

static void ann_set(struct ann *a, size_t i)
{
	size_t w = i / 64;
	if (w >= a->nwords) {
		size_t nw = a->nwords * 2;
		while (nw <= w)
			nw *= 2;
		uint64_t *b = xcalloc(nw, sizeof(uint64_t));
		memcpy(b, a->bits, a->nwords * sizeof(uint64_t));
		ann_release(a);
		a->bits = b;
		a->nwords = nw;
	}
	a->bits[w] |= (uint64_t)1 << (i % 64);
}

static bool ann_get(const struct ann *a, size_t i)
{
	if (a->all || i < a->upto)
		return true;
	size_t w = i / 64;
	return w < a->nwords && (a->bits[w] >> (i % 64)) & 1;
}

static void ann_merge(struct ann *d, const struct ann *s)
{
	d->all |= s->all;
	if (s->upto > d->upto)
		d->upto = s->upto;
	for (size_t w = 0; w < s->nwords; w++)
		if (s->bits[w]) {
			if (w >= d->nwords)
				ann_set(d, w * 64);
			d->bits[w] |= s->bits[w];
		}
}

enum { STEP_NONE, STEP_KEY, STEP_INDEX };

struct frame {
	const struct frame *up;
	const struct node *node;
	const char *seg;
	const char *kw;
	const char *key;
	size_t keylen;
	size_t idx;
	int step;
	int depth;
};

struct vctx {
	bool collect;
	bool fatal;
	js_errors *errs;
	pcre2_match_data *md;
	js_error fatal_err;
};

static char *instance_path(const struct frame *f)
{
	size_t n = 0;
	for (const struct frame *p = f; p; p = p->up)
		n++;
	const struct frame **v = xmalloc((n + 1) * sizeof(*v));
	size_t k = 0;
	for (const struct frame *p = f; p; p = p->up)
		v[k++] = p;
	sgp_buf b = SGP_BUF_INIT;
	sgp_buf_adds(&b, "");
	while (k-- > 0) {
		if (v[k]->step == STEP_KEY) {
			sgp_buf_addc(&b, '/');
			js_pointer_escape(&b, v[k]->key, v[k]->keylen);
		} else if (v[k]->step == STEP_INDEX) {
			sgp_buf_addf(&b, "/%zu", v[k]->idx);
		}
	}
	free(v);
	return sgp_buf_detach(&b, NULL);
}

static char *keyword_location(const struct frame *f, const char *kw)
{
	size_t n = 0;
	for (const struct frame *p = f; p; p = p->up)
		n++;
	const struct frame **v = xmalloc((n + 1) * sizeof(*v));
	size_t k = 0;
	for (const struct frame *p = f; p; p = p->up)
		v[k++] = p;
	sgp_buf b = SGP_BUF_INIT;
	sgp_buf_adds(&b, "");
	while (k-- > 0)
		sgp_buf_adds(&b, v[k]->seg);
	if (kw) {
		sgp_buf_addc(&b, '/');
		sgp_buf_adds(&b, kw);
	}
	free(v);
	return sgp_buf_detach(&b, NULL);
}

static void fill_error(js_error *x, const struct frame *f, const char *kw, char *msg)
{
	x->instance_path = instance_path(f);
	x->keyword_location = keyword_location(f, kw);
	x->absolute_location = kw ? xasprintf("%s/%s", f->node->abs, kw) : xstrdup(f->node->abs);
	x->keyword = xstrdup(kw ? kw : f->kw ? f->kw : "");
	x->message = msg;
}

/* Record an error at frame F, keyword KW (NULL: the frame's own false
 * schema).  Takes ownership of MSG. */
static void verr(struct vctx *c, const struct frame *f, const char *kw, char *msg)
{
	fill_error(errors_push(c->errs), f, kw, msg);
}

static char *rv(const json_t *v)
{
	sgp_buf b = SGP_BUF_INIT;

	js_render_value(&b, v, 80);
	return sgp_buf_detach(&b, NULL);
}

static char *msg_val(const json_t *inst, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* "<rendered instance> " + formatted text. */
static char *msg_val(const json_t *inst, const char *fmt, ...)
{
	sgp_buf b = SGP_BUF_INIT;
	va_list ap;
	char *t;

	js_render_value(&b, inst, 80);
	sgp_buf_addc(&b, ' ');
	va_start(ap, fmt);
	if (vasprintf(&t, fmt, ap) < 0)
		sgp_die(SGP_EXIT_SYSTEM, "out of memory");
	va_end(ap);
	sgp_buf_adds(&b, t);
	free(t);
	return sgp_buf_detach(&b, NULL);
}

static bool vnode(struct vctx *c, const struct node *n, const json_t *inst, struct frame *f,
                  struct ann *ann);

static __attribute__((noinline)) bool v_inplace(struct vctx *c, const struct edge *e, const json_t *inst,
                             const struct frame *up, struct ann *ann)
{
	struct frame f = { up, NULL, e->seg, e->kw, NULL, 0, 0, STEP_NONE, up->depth + 1 };
	return vnode(c, e->node, inst, &f, ann);
}

static __attribute__((noinline)) bool v_key(struct vctx *c, const struct edge *e, const json_t *inst,
                         const struct frame *up, const char *key, size_t klen)
{
	struct frame f = { up, NULL, e->seg, e->kw, key, klen, 0, STEP_KEY, up->depth + 1 };
	return vnode(c, e->node, inst, &f, NULL);
}

static __attribute__((noinline)) bool v_index(struct vctx *c, const struct edge *e, const json_t *inst,
                           const struct frame *up, size_t idx)
{
	struct frame f = { up, NULL, e->seg, e->kw, NULL, 0, idx, STEP_INDEX, up->depth + 1 };
	return vnode(c, e->node, inst, &f, NULL);
}

static const struct prop *find_prop(const struct kw *k, const char *key, size_t klen)
{
	if (!k->u.props.nprops)
		return NULL;
	uint32_t h = js_hash_bytes(key, klen);
	size_t i = h & k->u.props.tmask;
	uint32_t x;
	while ((x = k->u.props.table[i])) {
		const struct prop *p = &k->u.props.props[x - 1];
		if (p->hash == h && p->len == klen && memcmp(p->name, key, klen) == 0)
			return p;
		i = (i + 1) & k->u.props.tmask;
	}
	return NULL;
}

static bool v_props(struct vctx *c, const struct kw *k, const json_t *inst, const struct frame *f,
                    struct ann *ann)
{
	bool ok = true;

	if (!k->u.props.npp && !k->u.props.has_addl && !ann) {
		for (size_t i = 0; i < k->u.props.nprops; i++) {
			const struct prop *p = &k->u.props.props[i];
			json_t *v = json_object_getn(inst, p->name, p->len);
			if (v && !v_key(c, &p->e, v, f, p->name, p->len)) {
				ok = false;
				if (!c->collect)
					return false;
			}
		}
		return ok;
	}
	size_t idx = 0;
	const char *key;
	size_t klen;
	json_t *v;
	json_object_keylen_foreach((json_t *)inst, key, klen, v) {
		bool matched = false;
		const struct prop *p = find_prop(k, key, klen);
		if (p) {
			matched = true;
			if (!v_key(c, &p->e, v, f, key, klen)) {
				ok = false;
				if (!c->collect)
					return false;
			}
		}
		for (size_t i = 0; i < k->u.props.npp; i++) {
			const struct pprop *pp = &k->u.props.pp[i];
			if (!js_regex_search(pp->re, key, klen, c->md))
				continue;
			matched = true;
			if (!v_key(c, &pp->e, v, f, key, klen)) {
				ok = false;
				if (!c->collect)
					return false;
			}
		}
		if (!matched && k->u.props.has_addl) {
			matched = true;
			if (!v_key(c, &k->u.props.addl, v, f, key, klen)) {
				ok = false;
				if (!c->collect)
					return false;
			}
		}
		if (matched && ann)
			ann_set(ann, idx);
		idx++;
	}
	return ok;
}

static bool v_items(struct vctx *c, const struct kw *k, const json_t *inst, const struct frame *f,
                    struct ann *ann)
{
	size_t n = json_array_size(inst), np = k->u.items.nprefix;
	bool ok = true;

	for (size_t i = 0; i < n && i < np; i++) {
		if (!v_index(c, &k->u.items.prefix[i], json_array_get(inst, i), f, i)) {
			ok = false;
			if (!c->collect)
				return false;
		}
	}
	if (ann && np > ann->upto)
		ann->upto = np < n ? np : n;
	if (k->u.items.has_rest && n > np) {
		for (size_t i = np; i < n; i++) {
			if (!v_index(c, &k->u.items.rest, json_array_get(inst, i), f, i)) {
				ok = false;
				if (!c->collect)
					return false;
			}
		}
		if (ann)
			ann->all = true;
	}
	return ok;
}

static bool v_contains(struct vctx *c, const struct kw *k, const json_t *inst, const struct frame *f,
                       struct ann *ann)
{
	size_t n = json_array_size(inst), count = 0;
	bool saved = c->collect;

	if (k->u.contains.min == 0 && !k->u.contains.has_max && !ann)
		return true;
	c->collect = false;
	for (size_t i = 0; i < n; i++) {
		if (v_index(c, &k->u.contains.e, json_array_get(inst, i), f, i)) {
			count++;
			if (ann)
				ann_set(ann, i);
			else if (!k->u.contains.has_max && count >= k->u.contains.min)
				break;
		}
		if (c->fatal)
			break;
	}
	c->collect = saved;
	if (count < k->u.contains.min) {
		if (c->collect && !c->fatal) {
			if (k->u.contains.min == 1)
				verr(c, f, "contains", xstrdup("array does not contain an item matching \"contains\""));
			else
				verr(c, f, "minContains",
				     xasprintf("array contains %zu matching item%s, fewer than minContains %zu",
				               count, count == 1 ? "" : "s", k->u.contains.min));
		}
		return false;
	}
	if (k->u.contains.has_max && count > k->u.contains.max) {
		if (c->collect)
			verr(c, f, "maxContains",
			     xasprintf("array contains %zu matching items, more than maxContains %zu",
			               count, k->u.contains.max));
		return false;
	}
	return true;
}

static bool v_anyof(struct vctx *c, const struct kw *k, const json_t *inst, const struct frame *f,
                    struct ann *ann)
{
	bool any = false, saved = c->collect;

	c->collect = false;
	for (size_t i = 0; i < k->u.list.n && !c->fatal; i++) {
		struct ann t;
		if (ann)
			ann_init(&t);
		bool r = v_inplace(c, &k->u.list.v[i], inst, f, ann ? &t : NULL);
		if (r) {
			any = true;
			if (ann)
				ann_merge(ann, &t);
		}
		if (ann)
			ann_release(&t);
		if (r && !ann)
			break;
	}
	c->collect = saved;
	if (!any && c->collect && !c->fatal) {
		verr(c, f, "anyOf", msg_val(inst, "does not match any schema of anyOf"));
		for (size_t i = 0; i < k->u.list.n; i++)
			v_inplace(c, &k->u.list.v[i], inst, f, NULL);
	}
	return any;
}

static bool v_oneof(struct vctx *c, const struct kw *k, const json_t *inst, const struct frame *f,
                    struct ann *ann)
{
	bool saved = c->collect;
	size_t count = 0, first = 0, second = 0;
	struct ann win;

	if (ann)
		ann_init(&win);
	c->collect = false;
	for (size_t i = 0; i < k->u.list.n && !c->fatal; i++) {
		struct ann t;
		if (ann)
			ann_init(&t);
		if (v_inplace(c, &k->u.list.v[i], inst, f, ann ? &t : NULL)) {
			if (count == 0) {
				first = i;
				if (ann)
					ann_merge(&win, &t);
			} else if (count == 1) {
				second = i;
			}
			count++;
		}
		if (ann)
			ann_release(&t);
		if (count > 1)
			break;
	}
	c->collect = saved;
	if (count == 1 && ann)
		ann_merge(ann, &win);
	if (ann)
		ann_release(&win);
	if (count == 1)
		return true;
	if (c->collect && !c->fatal) {
		if (count == 0) {
			verr(c, f, "oneOf", msg_val(inst, "does not match any schema of oneOf"));
			for (size_t i = 0; i < k->u.list.n; i++)
				v_inplace(c, &k->u.list.v[i], inst, f, NULL);
		} else {
			verr(c, f, "oneOf", msg_val(inst, "matches more than one schema of oneOf (%zu and %zu)",
			                            first, second));
		}
	}
	return false;
}

static bool v_unique(struct vctx *c, const json_t *inst, const struct frame *f)
{
	size_t n = json_array_size(inst);

	for (size_t i = 1; i < n; i++) {
		json_t *a = json_array_get(inst, i);
		for (size_t j = 0; j < i; j++) {
			if (js_json_equal(a, json_array_get(inst, j))) {
				if (c->collect)
					verr(c, f, "uniqueItems", xasprintf("array items %zu and %zu are equal", j, i));
				return false;
			}
		}
	}
	return true;
}

static unsigned inst_types(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return T_OBJECT;
	case JSON_ARRAY: return T_ARRAY;
	case JSON_STRING: return T_STRING;
	case JSON_INTEGER: return T_INTEGER | T_NUMBER;
	case JSON_REAL: return js_number_is_integer(v) ? T_INTEGER | T_NUMBER : T_NUMBER;
	case JSON_TRUE: case JSON_FALSE: return T_BOOL;
	default: return T_NULL;
	}
}

static char *type_msg(const json_t *inst, unsigned mask)
{
	sgp_buf b = SGP_BUF_INIT;
	bool first = true;

	js_render_value(&b, inst, 80);
	sgp_buf_adds(&b, " is not of type ");
	for (size_t j = 0; j < sizeof(type_names) / sizeof(type_names[0]); j++) {
		if (!(mask & type_names[j].bit))
			continue;
		if (!first)
			sgp_buf_adds(&b, " or ");
		sgp_buf_addf(&b, "\"%s\"", type_names[j].name);
		first = false;
	}
	return sgp_buf_detach(&b, NULL);
}

static const char *false_msg_prefix(const char *kw)
{
	if (!kw)
		return NULL;
	if (strcmp(kw, "additionalProperties") == 0)
		return "additional property";
	if (strcmp(kw, "unevaluatedProperties") == 0)
		return "unevaluated property";
	if (strcmp(kw, "properties") == 0 || strcmp(kw, "patternProperties") == 0)
		return "property";
	if (strcmp(kw, "items") == 0 || strcmp(kw, "prefixItems") == 0 ||
	    strcmp(kw, "additionalItems") == 0)
		return "array item";
	if (strcmp(kw, "unevaluatedItems") == 0)
		return "unevaluated array item";
	return NULL;
}

static void false_error(struct vctx *c, const struct frame *f, const json_t *inst)
{
	const char *what = false_msg_prefix(f->kw);
	char *msg;

	if (what && f->step == STEP_KEY)
		msg = xasprintf("%s \"%.*s\" is not allowed", what, (int)f->keylen, f->key);
	else if (what && f->step == STEP_INDEX)
		msg = xasprintf("%s %zu is not allowed", what, f->idx);
	else
		msg = msg_val(inst, "is not allowed here (the schema is false)");
	verr(c, f, NULL, msg);
}

static void depth_error(struct vctx *c, const struct frame *f)
{
	if (!c->collect)
		return;
	/* how deep the instance is: count instance steps */
	int steps = 0;
	for (const struct frame *p = f; p; p = p->up)
		steps += p->step != STEP_NONE;
	char *msg = steps * 4 >= JS_MAX_DEPTH
	            ? xasprintf("instance too deeply nested (validation depth limit %d reached)", JS_MAX_DEPTH)
	            : xasprintf("schema recursion too deep without consuming the instance "
	                        "(validation depth limit %d reached)", JS_MAX_DEPTH);
	fill_error(&c->fatal_err, f, NULL, msg);
}

/* The keywords that look at one value: no recursion, so the recursive
 * path (vnode, v_keywords) keeps a small stack frame. */
static __attribute__((noinline)) bool v_scalar(struct vctx *c, const struct kw *k, const json_t *inst,
                                               const struct frame *f)
{
	bool r = true;

	switch ((enum op)k->op) {
	case OP_TYPE:
		if (!(inst_types(inst) & k->u.types)) {
			r = false;
			if (c->collect)
				verr(c, f, k->name, type_msg(inst, k->u.types));
		}
		break;
	case OP_CONST:
		if (!js_json_equal(inst, k->u.value)) {
			r = false;
			if (c->collect) {
				char *cv = rv(k->u.value);
				verr(c, f, k->name, msg_val(inst, "is not equal to the constant %s", cv));
				free(cv);
			}
		}
		break;
	case OP_ENUM: {
		bool found = false;
		if (k->u.en.strings) {
			if (json_is_string(inst)) {
				size_t len = json_string_length(inst);
				const char *sv = json_string_value(inst);
				for (size_t j = 0; j < k->u.en.n && !found; j++)
					found = json_string_length(k->u.en.v[j]) == len &&
					        memcmp(json_string_value(k->u.en.v[j]), sv, len) == 0;
			}
		} else {
			for (size_t j = 0; j < k->u.en.n && !found; j++)
				found = js_json_equal(inst, k->u.en.v[j]);
		}
		if (!found) {
			r = false;
			if (c->collect) {
				sgp_buf b = SGP_BUF_INIT;
				sgp_buf_adds(&b, "is not one of ");
				for (size_t j = 0; j < k->u.en.n; j++) {
					if (j)
						sgp_buf_adds(&b, ", ");
					if (b.len > 200) {
						sgp_buf_adds(&b, "...");
						break;
					}
					js_render_value(&b, k->u.en.v[j], 60);
				}
				verr(c, f, k->name, msg_val(inst, "%s", b.data));
				sgp_buf_release(&b);
			}
		}
		break;
	}
	case OP_MULTIPLE_OF:
		if (json_is_number(inst)) {
			struct js_decimal d;
			js_decimal_of(inst, &d);
			if (!isfinite(json_number_value(inst)) || !js_decimal_multiple(&d, &k->u.mult.dec)) {
				r = false;
				if (c->collect) {
					char *m = rv(k->u.mult.num);
					verr(c, f, k->name, msg_val(inst, "is not a multiple of %s", m));
					free(m);
				}
			}
		}
		break;
	case OP_MAXIMUM: case OP_EXMAXIMUM: case OP_MINIMUM: case OP_EXMINIMUM:
		if (json_is_number(inst)) {
			int cmp = js_number_cmp(inst, k->u.num);
			static const char *const what[] = {
				"greater than the maximum", "not less than the exclusive maximum",
				"less than the minimum", "not greater than the exclusive minimum",
			};
			int w = k->op - OP_MAXIMUM;
			bool bad = w == 0 ? cmp > 0 : w == 1 ? cmp >= 0 : w == 2 ? cmp < 0 : cmp <= 0;
			if (bad) {
				r = false;
				if (c->collect) {
					char *m = rv(k->u.num);
					verr(c, f, k->name, msg_val(inst, "is %s %s", what[w], m));
					free(m);
				}
			}
		}
		break;
	case OP_MAXLENGTH:
		if (json_is_string(inst) && json_string_length(inst) > k->u.count) {
			size_t len = js_utf8_length(json_string_value(inst), json_string_length(inst));
			if (len > k->u.count) {
				r = false;
				if (c->collect)
					verr(c, f, k->name, msg_val(inst, "is longer than %zu character%s", k->u.count,
					                            k->u.count == 1 ? "" : "s"));
			}
		}
		break;
	case OP_MINLENGTH:
		if (json_is_string(inst)) {
			size_t len = js_utf8_length(json_string_value(inst), json_string_length(inst));
			if (len < k->u.count) {
				r = false;
				if (c->collect)
					verr(c, f, k->name, msg_val(inst, "is shorter than %zu character%s", k->u.count,
					                            k->u.count == 1 ? "" : "s"));
			}
		}
		break;
	case OP_MAXITEMS: case OP_MINITEMS:
		if (json_is_array(inst)) {
			size_t sz = json_array_size(inst);
			bool mx = k->op == OP_MAXITEMS;
			if (mx ? sz > k->u.count : sz < k->u.count) {
				r = false;
				if (c->collect)
					verr(c, f, k->name, xasprintf("array has %zu item%s, %s %zu", sz, sz == 1 ? "" : "s",
					                              mx ? "more than the maximum of" : "fewer than the minimum of",
					                              k->u.count));
			}
		}
		break;
	case OP_MAXPROPS: case OP_MINPROPS:
		if (json_is_object(inst)) {
			size_t sz = json_object_size(inst);
			bool mx = k->op == OP_MAXPROPS;
			if (mx ? sz > k->u.count : sz < k->u.count) {
				r = false;
				if (c->collect)
					verr(c, f, k->name, xasprintf("object has %zu propert%s, %s %zu", sz,
					                              sz == 1 ? "y" : "ies",
					                              mx ? "more than the maximum of" : "fewer than the minimum of",
					                              k->u.count));
			}
		}
		break;
	case OP_REQUIRED:
		if (json_is_object(inst)) {
			for (size_t j = 0; j < k->u.req.n; j++) {
				if (json_object_getn(inst, k->u.req.names[j], k->u.req.lens[j]))
					continue;
				r = false;
				if (!c->collect)
					break;
				verr(c, f, k->name, xasprintf("required property \"%s\" is missing", k->u.req.names[j]));
			}
		}
		break;
	case OP_DEPREQ:
		if (json_is_object(inst)) {
			for (size_t j = 0; j < k->u.depreq.n && (r || c->collect); j++) {
				const struct depreq *d = &k->u.depreq.v[j];
				if (!json_object_getn(inst, d->name, d->len))
					continue;
				for (size_t q = 0; q < d->nreq; q++) {
					if (json_object_getn(inst, d->req[q], d->reqlen[q]))
						continue;
					r = false;
					if (!c->collect)
						break;
					verr(c, f, k->name, xasprintf("property \"%s\" is required when \"%s\" is present",
					                              d->req[q], d->name));
				}
			}
		}
		break;
	case OP_PATTERN:
		if (json_is_string(inst) &&
		    !js_regex_search(k->u.re, json_string_value(inst), json_string_length(inst), c->md)) {
			r = false;
			if (c->collect)
				verr(c, f, k->name, msg_val(inst, "does not match pattern \"%s\"", k->u.re->source));
		}
		break;
	case OP_FORMAT:
		if (json_is_string(inst) &&
		    !js_format_check(k->u.fmt.f, json_string_value(inst), json_string_length(inst))) {
			r = false;
			if (c->collect)
				verr(c, f, k->name, msg_val(inst, "is not a valid \"%s\"", k->u.fmt.name));
		}
		break;
	case OP_UNIQUE:
		if (json_is_array(inst))
			r = v_unique(c, inst, f);
		break;
	default:
		break;
	}
	return r;
}

static __attribute__((noinline)) bool v_dynref(struct vctx *c, const struct kw *k, const json_t *inst,
                                               const struct frame *f, struct ann *a)
{
	const struct edge *e = &k->u.dyn.e;
	struct edge dyn;

	/* the outermost resource of the dynamic scope with a matching
	 * $dynamicAnchor wins */
	if (k->u.dyn.anchor) {
		const struct node *target = NULL;
		for (const struct frame *p = f; p; p = p->up) {
			const struct res *rs = p->node->res;
			for (size_t j = 0; j < rs->ndyn; j++)
				if (strcmp(rs->dyn[j].name, k->u.dyn.anchor) == 0)
					target = rs->dyn[j].node;
		}
		if (target) {
			dyn = *e;
			dyn.node = (struct node *)target;
			e = &dyn;
		}
	}
	return v_inplace(c, e, inst, f, a);
}

static __attribute__((noinline)) bool v_if(struct vctx *c, const struct kw *k, const json_t *inst,
                                           const struct frame *f, struct ann *a)
{
	bool r = true;

	if (!a && !k->u.cond.has_then && !k->u.cond.has_else)
		return true;  /* "if" alone matters only for its annotations */
	bool saved = c->collect;
	struct ann t;
	if (a)
		ann_init(&t);
	c->collect = false;
	bool cond = v_inplace(c, &k->u.cond.ifs, inst, f, a ? &t : NULL);
	c->collect = saved;
	if (cond && a)
		ann_merge(a, &t);
	if (a)
		ann_release(&t);
	if (c->fatal)
		r = false;
	else if (cond && k->u.cond.has_then)
		r = v_inplace(c, &k->u.cond.then, inst, f, a);
	else if (!cond && k->u.cond.has_else)
		r = v_inplace(c, &k->u.cond.els, inst, f, a);
	return r;
}

static __attribute__((noinline)) bool v_propnames(struct vctx *c, const struct kw *k, const json_t *inst,
                                                  const struct frame *f, struct ann *a)
{
	bool r = true;

	if (json_is_object(inst)) {
		const char *key;
		size_t klen;
		json_t *v;
		json_object_keylen_foreach((json_t *)inst, key, klen, v) {
			json_t *ks = json_stringn_nocheck(key, klen);
			bool kr = v_inplace(c, &k->u.e, ks, f, NULL);
			json_decref(ks);
			if (!kr) {
				r = false;
				if (!c->collect)
					break;
			}
		}
	}
	return r;
}

static __attribute__((noinline)) bool v_uneval_props(struct vctx *c, const struct kw *k, const json_t *inst,
                                                     const struct frame *f, struct ann *a)
{
	bool r = true;

	if (json_is_object(inst)) {
		size_t idx = 0;
		const char *key;
		size_t klen;
		json_t *v;
		json_object_keylen_foreach((json_t *)inst, key, klen, v) {
			if (!ann_get(a, idx)) {
				if (!v_key(c, &k->u.e, v, f, key, klen)) {
					r = false;
					if (!c->collect)
						break;
				}
				ann_set(a, idx);
			}
			idx++;
		}
	}
	return r;
}

static __attribute__((noinline)) bool v_uneval_items(struct vctx *c, const struct kw *k, const json_t *inst,
                                                     const struct frame *f, struct ann *a)
{
	bool r = true;

	if (json_is_array(inst)) {
		size_t sz = json_array_size(inst);
		for (size_t j = 0; j < sz; j++) {
			if (ann_get(a, j))
				continue;
			if (!v_index(c, &k->u.e, json_array_get(inst, j), f, j)) {
				r = false;
				if (!c->collect)
					break;
			}
		}
		a->all = true;
	}
	return r;
}

static bool v_keywords(struct vctx *c, const struct node *n, const json_t *inst,
                       const struct frame *f, struct ann *a)
{
	bool ok = true;

	for (size_t i = 0; i < n->nkw; i++) {
		const struct kw *k = &n->kw[i];
		bool r = true;
		switch ((enum op)k->op) {
		case OP_REF:
			r = v_inplace(c, &k->u.e, inst, f, a);
			break;
		case OP_DYNREF:
			r = v_dynref(c, k, inst, f, a);
			break;
		case OP_ALLOF:
			for (size_t j = 0; j < k->u.list.n; j++) {
				if (!v_inplace(c, &k->u.list.v[j], inst, f, a)) {
					r = false;
					if (!c->collect)
						break;
				}
			}
			break;
		case OP_ANYOF:
			r = v_anyof(c, k, inst, f, a);
			break;
		case OP_ONEOF:
			r = v_oneof(c, k, inst, f, a);
			break;
		case OP_NOT: {
			bool saved = c->collect;
			c->collect = false;
			bool inner = v_inplace(c, &k->u.e, inst, f, NULL);
			c->collect = saved;
			if (inner || c->fatal) {
				r = false;
				if (c->collect && !c->fatal)
					verr(c, f, k->name, msg_val(inst, "must not match the schema in \"not\""));
			}
			break;
		}
		case OP_IF:
			r = v_if(c, k, inst, f, a);
			break;
		case OP_PROPS:
			if (json_is_object(inst))
				r = v_props(c, k, inst, f, a);
			break;
		case OP_PROPNAMES:
			r = v_propnames(c, k, inst, f, a);
			break;
		case OP_DEPSCHEMAS:
			if (json_is_object(inst)) {
				for (size_t j = 0; j < k->u.deps.n; j++) {
					const struct depschema *d = &k->u.deps.v[j];
					if (json_object_getn(inst, d->name, d->len) && !v_inplace(c, &d->e, inst, f, a)) {
						r = false;
						if (!c->collect)
							break;
					}
				}
			}
			break;
		case OP_ITEMS:
			if (json_is_array(inst))
				r = v_items(c, k, inst, f, a);
			break;
		case OP_CONTAINS:
			if (json_is_array(inst))
				r = v_contains(c, k, inst, f, a);
			break;
		case OP_UNEVAL_PROPS:
			r = v_uneval_props(c, k, inst, f, a);
			break;
		case OP_UNEVAL_ITEMS:
			r = v_uneval_items(c, k, inst, f, a);
			break;
		default:
			r = v_scalar(c, k, inst, f);
			break;
		}
		if (!r) {
			ok = false;
			if (!c->collect || c->fatal)
				break;
		}
	}
	return ok;
}

static __attribute__((noinline)) bool v_with_ann(struct vctx *c, const struct node *n,
                                                  const json_t *inst, const struct frame *f,
                                                  struct ann *ann)
{
	struct ann local;

	ann_init(&local);
	bool ok = v_keywords(c, n, inst, f, &local);
	if (ann)
		ann_merge(ann, &local);
	ann_release(&local);
	return ok;
}

static bool vnode(struct vctx *c, const struct node *n, const json_t *inst, struct frame *f,
                  struct ann *ann)
{
	if (c->fatal)
		return false;
	f->node = n;
	if (f->depth > JS_MAX_DEPTH) {
		c->fatal = true;
		depth_error(c, f);
		return false;
	}
	if (n->kind != N_OBJECT) {
		if (n->kind == N_TRUE)
			return true;
		if (c->collect)
			false_error(c, f, inst);
		return false;
	}
	if (n->uneval)
		return v_with_ann(c, n, inst, f, ann);
	return v_keywords(c, n, inst, f, ann);
}

static bool run(const js_schema *s, const json_t *instance, struct vctx *c)
{
	struct frame f = { NULL, NULL, "", NULL, NULL, 0, 0, STEP_NONE, 0 };

	c->md = js_thread_match_data();
	return vnode(c, s->root, instance, &f, NULL);
}

bool js_is_valid(const js_schema *s, const json_t *instance)
{
	struct vctx c;

	memset(&c, 0, sizeof(c));
	return run(s, instance, &c);
}

size_t js_validate(const js_schema *s, const json_t *instance, js_errors *errs)
{
	struct vctx c;
	size_t before = errs->n;

	if (js_is_valid(s, instance))
		return 0;
	memset(&c, 0, sizeof(c));
	c.collect = true;
	c.errs = errs;
	run(s, instance, &c);
	if (c.fatal) {
		errors_truncate(errs, before);
		*errors_push(errs) = c.fatal_err;
	} else if (errs->n == before) {
		/* cannot happen: a failing run reports at least one error */
		struct frame f = { NULL, s->root, "", NULL, NULL, 0, 0, STEP_NONE, 0 };
		verr(&c, &f, NULL, xstrdup("instance is not valid"));
	}
	return errs->n - before;
}

/* ---- schema checking ---- */

size_t js_check_schema(js_registry *reg, json_t *schema, const char *uri,
                       const struct js_options *opt, js_errors *errs)
{
	struct js_options o = opt ? *opt : (struct js_options)JS_OPTIONS_INIT;
	size_t before = errs->n;
	json_t *sv = json_is_object(schema) ? json_object_get(schema, "$schema") : NULL;
	char *meta;

	if (json_is_string(sv)) {
		char *t = js_uri_resolve(NULL, json_string_value(sv));
		meta = js_uri_strip_fragment(t, NULL);
		free(t);
	} else {
		meta = xstrdup(o.default_dialect == JS_DRAFT_07 ? JS_META_DRAFT7 : JS_META_2020_12);
	}
	js_schema *checker = js_registry_checker(reg, meta);
	if (!checker) {
		struct js_options mo = JS_OPTIONS_INIT;
		mo.default_dialect = o.default_dialect;
		checker = js_compile_uri(reg, meta, &mo, errs);
		if (checker)
			js_registry_set_checker(reg, meta, checker);
	}
	free(meta);
	if (checker && js_validate(checker, schema, errs) == 0) {
		js_schema *s = js_compile(reg, schema, uri, &o, errs);
		js_schema_free(s);
	}
	return errs->n - before;
}
