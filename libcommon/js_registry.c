/*
 * js_registry.c: the schema registry (documents by absolute URI, prefix
 * mappings to directories loaded on first use, meta-schema vocabularies)
 * and the indexer that finds every resource ($id), anchor ($anchor,
 * $dynamicAnchor, draft-07 "$id": "#name") and subschema location of a
 * schema document.
 */
#include "js_internal.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct js_doc {
	struct js_doc *next;
	json_t *root;
	char *uri;
	char *path;     /* file it came from, or NULL */
};

struct js_prefix {
	struct js_prefix *next;
	char *prefix, *dir;
};

struct js_metainfo {
	enum js_dialect dialect;
	unsigned vocab;
	char *err;
	bool busy;
};

struct js_registry {
	struct js_index idx;
	struct js_doc *docs, *last;   /* in order of addition */
	js_map docmap;          /* uri -> struct js_doc * */
	struct js_prefix *prefixes;
	js_map metas;           /* meta-schema uri -> struct js_metainfo * */
	js_map checkers;        /* meta-schema uri -> js_schema * */
	js_arena arena;
	unsigned long anon;
};

/* Keywords whose value is a subschema, an array of subschemas or an
 * object of subschemas, in either dialect (so that draft-07 documents and
 * draft 2020-12 documents are indexed alike). */
static const char *const kw_single[] = {
	"additionalItems", "additionalProperties", "contains", "contentSchema", "else", "if",
	"items", "not", "propertyNames", "then", "unevaluatedItems", "unevaluatedProperties",
};
static const char *const kw_array[] = { "allOf", "anyOf", "oneOf", "prefixItems", "items" };
static const char *const kw_map[] = {
	"$defs", "definitions", "dependentSchemas", "patternProperties", "properties", "dependencies",
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static bool is_schema(const json_t *v)
{
	return json_is_object(v) || json_is_boolean(v);
}

/* Strip an empty trailing fragment: "http://x/s#" -> "http://x/s". */
static char *norm_uri(const char *uri)
{
	char *u = js_uri_resolve(NULL, uri);
	size_t n = strlen(u);

	if (n && u[n - 1] == '#')
		u[n - 1] = '\0';
	return u;
}

static bool meta_is_draft7(js_registry *r, const char *meta)
{
	if (!meta)
		return false;
	enum js_dialect d;
	unsigned v;
	char *err = NULL;
	if (js_meta_info(r, meta, JS_DRAFT_2020_12, &d, &v, &err) < 0) {
		free(err);
		return false;
	}
	return d == JS_DRAFT_07;
}

struct js_loc *js_child_loc(js_arena *a, js_registry *r, const struct js_loc *parent,
                            json_t *child, const char *seg)
{
	struct js_loc *l = js_arena_alloc(a, sizeof(*l));
	json_t *id = json_is_object(child) ? json_object_get(child, "$id") : NULL;

	if (json_is_string(id) && json_string_value(id)[0] != '#' &&
	    !(json_object_get(child, "$ref") && meta_is_draft7(r, parent->meta))) {
		char *abs = js_uri_resolve(parent->base, json_string_value(id));
		char *nofrag = js_uri_strip_fragment(abs, NULL);
		json_t *sch = json_object_get(child, "$schema");
		l->base = js_arena_strdup(a, nofrag);
		l->ptr = "";
		l->res = child;
		l->meta = json_is_string(sch) ? js_arena_strdup(a, json_string_value(sch)) : parent->meta;
		free(abs);
		free(nofrag);
		return l;
	}
	size_t pl = strlen(parent->ptr), sl = strlen(seg);
	char *p = js_arena_alloc(a, pl + sl + 1);
	memcpy(p, parent->ptr, pl);
	memcpy(p + pl, seg, sl + 1);
	l->base = parent->base;
	l->ptr = p;
	l->res = parent->res;
	l->meta = parent->meta;
	return l;
}

static void put_uri(struct js_index *ix, const char *base, const char *anchor, json_t *s)
{
	char *key = anchor ? xasprintf("%s#%s", base, anchor) : xstrdup(base);

	if (!js_map_get_str(&ix->uris, key))
		js_map_put_str(&ix->uris, js_arena_strdup(&ix->arena, key), s);
	free(key);
}

static void index_walk(struct js_index *ix, js_registry *r, json_t *s, struct js_loc *loc, int depth)
{
	if (depth > 4096 || js_map_get_ptr(&ix->locs, s))
		return;
	js_map_put_ptr(&ix->locs, s, loc);
	if (!json_is_object(s))
		return;
	if (loc->ptr[0] == '\0')
		put_uri(ix, loc->base, NULL, s);

	json_t *v = json_object_get(s, "$anchor");
	if (json_is_string(v))
		put_uri(ix, loc->base, json_string_value(v), s);
	v = json_object_get(s, "$id");
	if (json_is_string(v) && json_string_value(v)[0] == '#' && json_string_value(v)[1] &&
	    json_string_value(v)[1] != '/')
		put_uri(ix, loc->base, json_string_value(v) + 1, s);
	v = json_object_get(s, "$dynamicAnchor");
	if (json_is_string(v)) {
		put_uri(ix, loc->base, json_string_value(v), s);
		struct js_dynanchor *d = js_arena_alloc(&ix->arena, sizeof(*d));
		d->name = js_arena_strdup(&ix->arena, json_string_value(v));
		d->schema = s;
		d->next = js_map_get_ptr(&ix->dyn, loc->res);
		js_map_put_ptr(&ix->dyn, loc->res, d);
	}

	sgp_buf seg = SGP_BUF_INIT;
	for (size_t k = 0; k < NELEM(kw_single); k++) {
		v = json_object_get(s, kw_single[k]);
		if (!is_schema(v))
			continue;
		sgp_buf_reset(&seg);
		sgp_buf_addf(&seg, "/%s", kw_single[k]);
		index_walk(ix, r, v, js_child_loc(&ix->arena, r, loc, v, seg.data), depth + 1);
	}
	for (size_t k = 0; k < NELEM(kw_array); k++) {
		v = json_object_get(s, kw_array[k]);
		if (!json_is_array(v))
			continue;
		for (size_t i = 0; i < json_array_size(v); i++) {
			json_t *c = json_array_get(v, i);
			if (!is_schema(c))
				continue;
			sgp_buf_reset(&seg);
			sgp_buf_addf(&seg, "/%s/%zu", kw_array[k], i);
			index_walk(ix, r, c, js_child_loc(&ix->arena, r, loc, c, seg.data), depth + 1);
		}
	}
	for (size_t k = 0; k < NELEM(kw_map); k++) {
		v = json_object_get(s, kw_map[k]);
		if (!json_is_object(v))
			continue;
		const char *key;
		size_t klen;
		json_t *c;
		json_object_keylen_foreach(v, key, klen, c) {
			if (!is_schema(c))
				continue;
			sgp_buf_reset(&seg);
			sgp_buf_addf(&seg, "/%s/", kw_map[k]);
			js_pointer_escape(&seg, key, klen);
			index_walk(ix, r, c, js_child_loc(&ix->arena, r, loc, c, seg.data), depth + 1);
		}
	}
	sgp_buf_release(&seg);
}

void js_index_doc(struct js_index *ix, js_registry *r, json_t *doc, const char *base)
{
	struct js_loc *loc = js_arena_alloc(&ix->arena, sizeof(*loc));
	json_t *sch = json_is_object(doc) ? json_object_get(doc, "$schema") : NULL;

	loc->base = js_arena_strdup(&ix->arena, base);
	loc->ptr = "";
	loc->res = doc;
	loc->meta = json_is_string(sch) ? js_arena_strdup(&ix->arena, json_string_value(sch)) : NULL;
	index_walk(ix, r, doc, loc, 0);
}

void js_index_release(struct js_index *ix)
{
	js_map_release(&ix->uris);
	js_map_release(&ix->locs);
	js_map_release(&ix->dyn);
	js_arena_release(&ix->arena);
}

/* ---- registry ---- */

js_registry *js_registry_new(void)
{
	return xcalloc(1, sizeof(js_registry));
}

void js_registry_free(js_registry *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->checkers.cap; i++)
		if (r->checkers.e[i].key)
			js_schema_free(r->checkers.e[i].val);
	for (size_t i = 0; i < r->metas.cap; i++) {
		if (r->metas.e[i].key) {
			struct js_metainfo *m = r->metas.e[i].val;
			free(m->err);
			free(m);
		}
	}
	struct js_doc *d, *next;
	for (d = r->docs; d; d = next) {
		next = d->next;
		json_decref(d->root);
		free(d->uri);
		free(d->path);
		free(d);
	}
	struct js_prefix *p, *pn;
	for (p = r->prefixes; p; p = pn) {
		pn = p->next;
		free(p->prefix);
		free(p->dir);
		free(p);
	}
	js_map_release(&r->docmap);
	js_map_release(&r->metas);
	js_map_release(&r->checkers);
	js_index_release(&r->idx);
	js_arena_release(&r->arena);
	free(r);
}

/* Returns 1 if added, 0 if the same document was already known there,
 * -1 on error. */
static int add_doc(js_registry *r, json_t *doc, const char *uri, const char *path, char **err)
{
	json_t *id = json_is_object(doc) ? json_object_get(doc, "$id") : NULL;
	char *abs;

	if (!is_schema(doc)) {
		*err = xasprintf("'%s': a schema must be an object or a boolean", path ? path : uri ? uri : "schema");
		return -1;
	}
	if (json_is_string(id)) {
		if (!uri && !js_uri_has_scheme(json_string_value(id))) {
			*err = xasprintf("'%s': relative $id \"%s\" without a base URI",
			                 path ? path : "schema", json_string_value(id));
			return -1;
		}
		char *t = js_uri_resolve(uri, json_string_value(id));
		abs = norm_uri(t);
		free(t);
	} else if (uri) {
		abs = norm_uri(uri);
	} else {
		*err = xasprintf("'%s': schema has no $id and no URI", path ? path : "schema");
		return -1;
	}
	const char *frag;
	char *nofrag = js_uri_strip_fragment(abs, &frag);
	free(abs);
	abs = nofrag;

	struct js_doc *old = js_map_get_str(&r->docmap, abs);
	if (old) {
		int rc = 0;
		if (!js_json_equal(old->root, doc)) {
			*err = xasprintf("'%s': duplicate schema $id \"%s\" (also in '%s')",
			                 path ? path : abs, abs, old->path ? old->path : old->uri);
			rc = -1;
		}
		free(abs);
		return rc;
	}
	struct js_doc *d = xcalloc(1, sizeof(*d));
	d->root = json_incref(doc);
	d->uri = abs;
	d->path = path ? xstrdup(path) : NULL;
	if (r->last)
		r->last->next = d;
	else
		r->docs = d;
	r->last = d;
	js_map_put_str(&r->docmap, d->uri, d);
	js_index_doc(&r->idx, r, doc, d->uri);
	if (uri) {
		char *u = norm_uri(uri);
		char *un = js_uri_strip_fragment(u, NULL);
		if (strcmp(un, d->uri) != 0 && !js_map_get_str(&r->docmap, un)) {
			char *k = js_arena_strdup(&r->arena, un);
			js_map_put_str(&r->docmap, k, d);
			if (!js_map_get_str(&r->idx.uris, k))
				js_map_put_str(&r->idx.uris, k, doc);
		}
		free(u);
		free(un);
	}
	return 1;
}

int js_registry_add(js_registry *r, json_t *doc, const char *uri, char **err)
{
	*err = NULL;
	return add_doc(r, doc, uri, NULL, err) < 0 ? -1 : 0;
}

static json_t *load_file(const char *path, char **err)
{
	json_error_t je;
	json_t *doc = json_load_file(path, JSON_DECODE_ANY, &je);

	if (!doc) {
		/* integers beyond 64 bits: keep them, as reals */
		doc = json_load_file(path, JSON_DECODE_ANY | JSON_DECODE_INT_AS_REAL, NULL);
		if (!doc)
			*err = xasprintf("cannot load '%s': %s (line %d)", path, je.text, je.line);
	}
	return doc;
}

static bool has_json_suffix(const char *name)
{
	size_t n = strlen(name);
	return n > 5 && strcmp(name + n - 5, ".json") == 0;
}

static int add_dir(js_registry *r, const char *dir, int depth, char **err)
{
	struct dirent **ents;
	int n = scandir(dir, &ents, NULL, alphasort);
	int added = 0;

	if (n < 0) {
		*err = xasprintf("cannot open '%s': %s", dir, strerror(errno));
		return -1;
	}
	for (int i = 0; i < n; i++) {
		const char *name = ents[i]->d_name;
		if (added >= 0 && name[0] != '.') {
			char *path = xasprintf("%s/%s", dir, name);
			struct stat st;
			if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
				if (depth < 32) {
					int k = add_dir(r, path, depth + 1, err);
					added = k < 0 ? -1 : added + k;
				}
			} else if (has_json_suffix(name)) {
				json_t *doc = load_file(path, err);
				if (!doc) {
					added = -1;
				} else {
					json_t *id = json_is_object(doc) ? json_object_get(doc, "$id") : NULL;
					if (json_is_string(id)) {
						char *real = realpath(path, NULL);
						char *furi = xasprintf("file://%s", real ? real : path);
						int k = add_doc(r, doc, furi, path, err);
						free(furi);
						free(real);
						added = k < 0 ? -1 : added + k;
					}
					json_decref(doc);
				}
			}
			free(path);
		}
		free(ents[i]);
	}
	free(ents);
	return added;
}

int js_registry_add_dir(js_registry *r, const char *dir, char **err)
{
	*err = NULL;
	return add_dir(r, dir, 0, err);
}

int js_registry_load_meta(js_registry *r, const char *schemas_dir, char **err)
{
	char *dir = xasprintf("%s/meta", schemas_dir);
	int rc = js_registry_add_dir(r, dir, err);

	if (rc >= 0) {
		if (!js_map_get_str(&r->docmap, JS_META_2020_12)) {
			*err = xasprintf("'%s': draft 2020-12 meta-schema \"%s\" not found", dir, JS_META_2020_12);
			rc = -1;
		} else if (!js_map_get_str(&r->docmap, JS_META_DRAFT7)) {
			*err = xasprintf("'%s': draft-07 meta-schema \"%s#\" not found", dir, JS_META_DRAFT7);
			rc = -1;
		}
	}
	free(dir);
	return rc < 0 ? -1 : 0;
}

void js_registry_map_prefix(js_registry *r, const char *uri_prefix, const char *dir)
{
	struct js_prefix *p = xcalloc(1, sizeof(*p));

	p->prefix = xstrdup(uri_prefix);
	p->dir = xstrdup(dir);
	p->next = r->prefixes;
	r->prefixes = p;
}

static void try_prefixes(js_registry *r, const char *uri)
{
	for (struct js_prefix *p = r->prefixes; p; p = p->next) {
		size_t pl = strlen(p->prefix);
		if (strncmp(uri, p->prefix, pl) != 0)
			continue;
		const char *rest = uri + pl;
		if (strstr(rest, "..") || strchr(rest, '?') || strchr(rest, '#') || !*rest)
			continue;
		char *path = xasprintf("%s/%s", p->dir, rest);
		char *err = NULL;
		struct stat st;
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
			json_t *doc = load_file(path, &err);
			if (doc) {
				if (add_doc(r, doc, uri, path, &err) < 0)
					sgp_warn("%s", err);
				json_decref(doc);
			}
			free(err);
		}
		free(path);
		if (js_map_get_str(&r->docmap, uri))
			return;
	}
}

json_t *js_registry_lookup(js_registry *r, const char *uri)
{
	json_t *v = js_map_get_str(&r->idx.uris, uri);

	if (v)
		return v;
	char *nofrag = js_uri_strip_fragment(uri, NULL);
	if (!js_map_get_str(&r->docmap, nofrag))
		try_prefixes(r, nofrag);
	free(nofrag);
	return js_map_get_str(&r->idx.uris, uri);
}

struct js_loc *js_registry_loc(js_registry *r, json_t *s)
{
	return js_map_get_ptr(&r->idx.locs, s);
}

struct js_dynanchor *js_registry_dyn(js_registry *r, json_t *res)
{
	return js_map_get_ptr(&r->idx.dyn, res);
}

void js_registry_foreach(js_registry *r, void (*fn)(void *arg, const char *uri, json_t *doc),
                         void *arg)
{
	for (struct js_doc *d = r->docs; d; d = d->next)
		fn(arg, d->uri, d->root);
}

bool js_registry_has(js_registry *r, const char *uri)
{
	char *u = norm_uri(uri);
	const char *frag;
	char *nofrag = js_uri_strip_fragment(u, &frag);
	bool ok = false;
	json_t *res = js_registry_lookup(r, nofrag);

	if (res && (!frag || !*frag)) {
		ok = true;
	} else if (res && frag[0] == '/') {
		char *ptr = js_percent_decode(frag, strlen(frag));
		ok = ptr && js_pointer_get(res, ptr, NULL, NULL) != NULL;
		free(ptr);
	} else if (res) {
		ok = js_registry_lookup(r, u) != NULL;
	}
	free(nofrag);
	free(u);
	return ok;
}

static const struct {
	const char *uri;
	unsigned bit;
} vocabs[] = {
	{ "https://json-schema.org/draft/2020-12/vocab/core", JS_V_CORE },
	{ "https://json-schema.org/draft/2020-12/vocab/applicator", JS_V_APPLICATOR },
	{ "https://json-schema.org/draft/2020-12/vocab/unevaluated", JS_V_UNEVALUATED },
	{ "https://json-schema.org/draft/2020-12/vocab/validation", JS_V_VALIDATION },
	{ "https://json-schema.org/draft/2020-12/vocab/meta-data", JS_V_METADATA },
	{ "https://json-schema.org/draft/2020-12/vocab/format-annotation", JS_V_FORMAT_ANNOTATION },
	{ "https://json-schema.org/draft/2020-12/vocab/format-assertion", JS_V_FORMAT_ASSERTION },
	{ "https://json-schema.org/draft/2020-12/vocab/content", JS_V_CONTENT },
};

int js_meta_info(js_registry *r, const char *meta, enum js_dialect def,
                 enum js_dialect *dialect, unsigned *vocab, char **err)
{
	*err = NULL;
	if (!meta) {
		*dialect = def;
		*vocab = JS_V_DEFAULT;
		return 0;
	}
	char *u = norm_uri(meta);
	if (strcmp(u, JS_META_2020_12) == 0) {
		*dialect = JS_DRAFT_2020_12;
		*vocab = JS_V_DEFAULT;
		free(u);
		return 0;
	}
	if (strcmp(u, JS_META_DRAFT7) == 0) {
		*dialect = JS_DRAFT_07;
		*vocab = JS_V_DEFAULT;
		free(u);
		return 0;
	}
	struct js_metainfo *mi = js_map_get_str(&r->metas, u);
	if (mi) {
		free(u);
		if (mi->busy) {
			*err = xasprintf("meta-schema \"%s\" refers to itself through $schema", meta);
			return -1;
		}
		if (mi->err) {
			*err = xstrdup(mi->err);
			return -1;
		}
		*dialect = mi->dialect;
		*vocab = mi->vocab;
		return 0;
	}
	mi = xcalloc(1, sizeof(*mi));
	mi->busy = true;
	js_map_put_str(&r->metas, js_arena_strdup(&r->arena, u), mi);

	json_t *doc = js_registry_lookup(r, u);
	if (!doc || !json_is_object(doc)) {
		mi->err = xasprintf("unknown meta-schema \"%s\" in $schema", meta);
	} else {
		json_t *sch = json_object_get(doc, "$schema");
		char *perr = NULL;
		mi->dialect = JS_DRAFT_2020_12;
		mi->vocab = JS_V_DEFAULT;
		if (json_is_string(sch)) {
			char *su = norm_uri(json_string_value(sch));
			bool self = strcmp(su, u) == 0;
			free(su);
			if (!self && js_meta_info(r, json_string_value(sch), def, &mi->dialect, &mi->vocab, &perr) < 0) {
				mi->err = perr;
				perr = NULL;
			}
		}
		json_t *vv = json_object_get(doc, "$vocabulary");
		if (!mi->err && json_is_object(vv) && mi->dialect == JS_DRAFT_2020_12) {
			const char *k;
			json_t *req;
			mi->vocab = 0;
			json_object_foreach(vv, k, req) {
				size_t i;
				for (i = 0; i < NELEM(vocabs); i++)
					if (strcmp(k, vocabs[i].uri) == 0)
						break;
				if (i < NELEM(vocabs))
					mi->vocab |= vocabs[i].bit;
				else if (json_is_true(req) && !mi->err)
					mi->err = xasprintf("meta-schema \"%s\" requires unsupported vocabulary \"%s\"",
					                    meta, k);
			}
		}
	}
	mi->busy = false;
	free(u);
	if (mi->err) {
		*err = xstrdup(mi->err);
		return -1;
	}
	*dialect = mi->dialect;
	*vocab = mi->vocab;
	return 0;
}

js_schema *js_registry_checker(js_registry *r, const char *meta_uri)
{
	return js_map_get_str(&r->checkers, meta_uri);
}

void js_registry_set_checker(js_registry *r, const char *meta_uri, js_schema *s)
{
	js_map_put_str(&r->checkers, js_arena_strdup(&r->arena, meta_uri), s);
}

char *js_registry_anon_uri(js_registry *r)
{
	return xasprintf("urn:sgp:anonymous-schema:%lu", ++r->anon);
}
