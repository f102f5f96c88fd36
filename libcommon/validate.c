/* validate.c: see validate.h. */
#include "validate.h"
#include "envelope.h"
#include "jsonfast.h"
#include "lineio.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#ifndef SGP_DATADIR
#define SGP_DATADIR "/usr/local/share/sgp"
#endif

#define EVENT_URN "urn:sgp:schema:"
#define ENVELOPE_URI "urn:sgp:schema:envelope/1"

struct version {
	int n;
	js_schema *s;
};

struct vtype {
	char *name;
	struct version *ver;      /* sorted by n, ascending */
	size_t nver;
};

struct sgp_validator {
	js_registry *reg;
	struct js_options js;
	bool allow_unknown;
	char **dirs;              /* every schema directory loaded */
	size_t ndirs;
	char **prefixes;          /* file:// prefixes already mapped */
	size_t nprefixes;
	js_schema *fixed;         /* --schema */
	js_schema *envelope;      /* for events without a type */
	struct vtype *types;
	size_t ntypes;
	size_t *index;            /* open addressing: 1 + index into types, 0 empty */
	size_t index_cap;         /* power of two */
};

struct sgp_validator_worker {
	const sgp_validator *v;
	js_errors errs;
	sgp_buf scratch;
};

char *sgp_validator_schemas_dir(void)
{
	const char *d = getenv("SGP_DATADIR");

	if (d && *d)
		return xasprintf("%s/schemas", d);
	return xstrdup(SGP_DATADIR "/schemas");
}

/* ---- construction ---------------------------------------------------- */

static void add_string(char ***v, size_t *n, const char *s)
{
	*v = xreallocarray(*v, *n + 1, sizeof **v);
	(*v)[(*n)++] = xstrdup(s);
}

sgp_validator *sgp_validator_new(const struct sgp_validator_opts *o, char **err)
{
	sgp_validator *v = xcalloc(1, sizeof *v);
	char *installed = o->schemas_dir ? xstrdup(o->schemas_dir) : sgp_validator_schemas_dir();
	char *msg = NULL;
	size_t i;

	*err = NULL;
	v->js = o->js;
	v->allow_unknown = o->allow_unknown;
	v->reg = js_registry_new();
	if (js_registry_load_meta(v->reg, installed, &msg) < 0) {
		*err = xasprintf("cannot load the meta-schemas from '%s/meta': %s", installed,
				 msg ? msg : "unknown error");
		goto fail;
	}
	if (js_registry_add_dir(v->reg, installed, &msg) < 0) {
		*err = xasprintf("cannot load the schemas in '%s': %s", installed,
				 msg ? msg : "unknown error");
		goto fail;
	}
	add_string(&v->dirs, &v->ndirs, installed);
	for (i = 0; i < o->ndirs; i++) {
		struct stat st;

		if (stat(o->dirs[i], &st) < 0) {
			*err = xasprintf("cannot open '%s': %s", o->dirs[i], strerror(errno));
			goto fail;
		}
		if (!S_ISDIR(st.st_mode)) {
			*err = xasprintf("'%s' is not a directory", o->dirs[i]);
			goto fail;
		}
		if (js_registry_add_dir(v->reg, o->dirs[i], &msg) < 0) {
			*err = xasprintf("cannot load the schemas in '%s': %s", o->dirs[i],
					 msg ? msg : "unknown error");
			goto fail;
		}
		add_string(&v->dirs, &v->ndirs, o->dirs[i]);
	}
	for (i = 0; i < o->nmap_uris; i++) {
		const char *m = o->map_uris[i];
		const char *eq = strchr(m, '=');
		struct stat st;
		char *prefix;

		if (eq == NULL || eq == m || eq[1] == '\0') {
			*err = xasprintf("invalid --map-uri '%s' (PREFIX=DIR)", m);
			goto fail;
		}
		if (stat(eq + 1, &st) < 0) {
			*err = xasprintf("cannot open '%s': %s", eq + 1, strerror(errno));
			goto fail;
		}
		if (!S_ISDIR(st.st_mode)) {
			*err = xasprintf("'%s' is not a directory", eq + 1);
			goto fail;
		}
		prefix = xstrndup(m, (size_t)(eq - m));
		js_registry_map_prefix(v->reg, prefix, eq + 1);
		free(prefix);
	}
	free(installed);
	free(msg);
	return v;
fail:
	free(installed);
	free(msg);
	sgp_validator_free(v);
	return NULL;
}

void sgp_validator_free(sgp_validator *v)
{
	size_t i, j;

	if (v == NULL)
		return;
	for (i = 0; i < v->ntypes; i++) {
		for (j = 0; j < v->types[i].nver; j++)
			js_schema_free(v->types[i].ver[j].s);
		free(v->types[i].ver);
		free(v->types[i].name);
	}
	free(v->types);
	free(v->index);
	js_schema_free(v->fixed);
	js_schema_free(v->envelope);
	for (i = 0; i < v->ndirs; i++)
		free(v->dirs[i]);
	free(v->dirs);
	for (i = 0; i < v->nprefixes; i++)
		free(v->prefixes[i]);
	free(v->prefixes);
	js_registry_free(v->reg);
	free(v);
}

js_registry *sgp_validator_registry(sgp_validator *v)
{
	return v->reg;
}

const struct js_options *sgp_validator_js_options(const sgp_validator *v)
{
	return &v->js;
}

char *sgp_validator_file_uri(sgp_validator *v, const char *path)
{
	char *abs = realpath(path, NULL);
	char *uri, *slash, *prefix;
	size_t i;

	if (abs == NULL)
		return xasprintf("file://%s", path);
	uri = xasprintf("file://%s", abs);
	slash = strrchr(abs, '/');
	if (slash) {
		slash[1] = '\0';
		prefix = xasprintf("file://%s", abs);
		for (i = 0; i < v->nprefixes; i++)
			if (strcmp(v->prefixes[i], prefix) == 0)
				break;
		if (i == v->nprefixes) {
			js_registry_map_prefix(v->reg, prefix, abs);
			add_string(&v->prefixes, &v->nprefixes, prefix);
		}
		free(prefix);
	}
	free(abs);
	return uri;
}

/* Read a schema file: a JSON object or boolean, duplicate keys refused. */
static json_t *load_schema_file(const char *path, char **err)
{
	json_error_t je;
	json_t *doc;
	FILE *f = fopen(path, "r");

	if (f == NULL) {
		*err = xasprintf("cannot open '%s': %s", path, strerror(errno));
		return NULL;
	}
	doc = json_loadf(f, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);
	if (doc == NULL) {
		if (ferror(f))
			*err = xasprintf("cannot read '%s': %s", path, strerror(errno));
		else
			*err = xasprintf("'%s': line %d column %d: %s", path, je.line, je.column, je.text);
		fclose(f);
		return NULL;
	}
	fclose(f);
	if (!json_is_object(doc) && !json_is_boolean(doc)) {
		*err = xasprintf("'%s': a schema is a JSON object or a boolean", path);
		json_decref(doc);
		return NULL;
	}
	return doc;
}

static const char *label(const char *ptr)
{
	return ptr && ptr[0] ? ptr : "(root)";
}

static const char *message_of(const js_error *e)
{
	return e->message ? e->message : e->keyword ? e->keyword : "";
}

/* Every error of ERRS as "PREFIX: LOCATION: message" lines, each
 * (location, message) once: a meta-schema reports the same problem
 * through each of its vocabularies. */
static void errors_as_lines(sgp_buf *b, const char *prefix, const js_errors *errs)
{
	size_t i, j;

	for (i = 0; i < errs->n; i++) {
		const char *path = errs->v[i].instance_path ? errs->v[i].instance_path : "";
		bool dup = false;

		for (j = 0; j < i && !dup; j++)
			dup = strcmp(errs->v[j].instance_path ? errs->v[j].instance_path : "", path) == 0 &&
			      strcmp(message_of(&errs->v[j]), message_of(&errs->v[i])) == 0;
		if (!dup)
			sgp_buf_addf(b, "%s: %s: %s\n", prefix, label(path), message_of(&errs->v[i]));
	}
}

int sgp_validator_use_schema(sgp_validator *v, const char *path, char **err)
{
	js_errors errs = JS_ERRORS_INIT;
	json_t *doc = load_schema_file(path, err);
	char *uri;

	if (doc == NULL)
		return -1;
	uri = sgp_validator_file_uri(v, path);
	v->fixed = js_compile(v->reg, doc, uri, &v->js, &errs);
	free(uri);
	json_decref(doc);
	if (v->fixed == NULL) {
		sgp_buf b = SGP_BUF_INIT;

		sgp_buf_addf(&b, "invalid schema '%s'", path);
		if (errs.n)
			sgp_buf_addc(&b, '\n');
		errors_as_lines(&b, path, &errs);
		if (b.len && b.data[b.len - 1] == '\n')
			b.data[--b.len] = '\0';
		*err = sgp_buf_detach(&b, NULL);
		js_errors_release(&errs);
		return -1;
	}
	js_errors_release(&errs);
	return 0;
}

/* ---- the event schemas ----------------------------------------------- */

static uint32_t hash_str(const char *s)
{
	uint32_t h = 2166136261u;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

static struct vtype *type_find(const sgp_validator *v, const char *name)
{
	size_t mask, i;

	if (v->index_cap == 0)
		return NULL;
	mask = v->index_cap - 1;
	for (i = hash_str(name) & mask; v->index[i]; i = (i + 1) & mask) {
		struct vtype *t = &v->types[v->index[i] - 1];

		if (strcmp(t->name, name) == 0)
			return t;
	}
	return NULL;
}

static void index_build(sgp_validator *v)
{
	size_t cap = 16, i, mask;

	while (cap < v->ntypes * 2)
		cap *= 2;
	free(v->index);
	v->index = xcalloc(cap, sizeof *v->index);
	v->index_cap = cap;
	mask = cap - 1;
	for (i = 0; i < v->ntypes; i++) {
		size_t j = hash_str(v->types[i].name) & mask;

		while (v->index[j])
			j = (j + 1) & mask;
		v->index[j] = i + 1;
	}
}

/* Split "T/N" (N a positive integer) into its parts; T must be non-empty
 * and, when DOTTED, contain a dot.  Returns 0, or -1. */
static int split_versioned(const char *s, bool dotted, char **type, int *n)
{
	const char *slash = strrchr(s, '/');
	long long ll;

	if (slash == NULL || slash == s || memchr(s, '/', (size_t)(slash - s)) != NULL)
		return -1;
	if (slash[1] == '0' || sgp_parse_ll(slash + 1, 1, INT_MAX, &ll) < 0)
		return -1;
	if (dotted && memchr(s, '.', (size_t)(slash - s)) == NULL)
		return -1;
	*type = xstrndup(s, (size_t)(slash - s));
	*n = (int)ll;
	return 0;
}

struct idlist {
	char **v;
	size_t n;
};

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Collect the $id of every *.json object file under DIR. */
static int scan_ids(const char *dir, struct idlist *ids, int depth, char **err)
{
	DIR *dp;
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, i;
	int ret = 0;

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
		names = xreallocarray(names, n + 1, sizeof *names);
		names[n++] = xstrdup(de->d_name);
	}
	closedir(dp);
	qsort(names, n, sizeof *names, cmp_names);
	for (i = 0; i < n && ret == 0; i++) {
		char *path = xasprintf("%s/%s", dir, names[i]);
		size_t len = strlen(names[i]);
		struct stat st;

		if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
			ret = scan_ids(path, ids, depth + 1, err);
		} else if (len > 5 && strcmp(names[i] + len - 5, ".json") == 0) {
			json_error_t je;
			json_t *doc = json_load_file(path, JSON_DECODE_ANY, &je);
			const char *id = json_is_object(doc) ?
					 json_string_value(json_object_get(doc, "$id")) : NULL;

			if (doc == NULL) {
				*err = xasprintf("'%s': line %d: %s", path, je.line, je.text);
				ret = -1;
			} else if (id) {
				ids->v = xreallocarray(ids->v, ids->n + 1, sizeof *ids->v);
				ids->v[ids->n++] = xstrdup(id);
			}
			json_decref(doc);
		}
		free(path);
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return ret;
}

static int cmp_version(const void *a, const void *b)
{
	const struct version *x = a, *y = b;

	return x->n < y->n ? -1 : x->n > y->n;
}

int sgp_validator_load_types(sgp_validator *v, char **err)
{
	struct idlist ids = { NULL, 0 };
	js_errors errs = JS_ERRORS_INIT;
	sgp_buf problems = SGP_BUF_INIT;
	size_t i, j;
	int count = 0;

	*err = NULL;
	for (i = 0; i < v->ndirs; i++) {
		if (scan_ids(v->dirs[i], &ids, 0, err) < 0)
			goto out;
	}
	for (i = 0; i < ids.n; i++) {
		const char *id = ids.v[i];
		char *type;
		int n;
		struct vtype *t;
		js_schema *s;

		if (strncmp(id, EVENT_URN, strlen(EVENT_URN)) != 0 ||
		    split_versioned(id + strlen(EVENT_URN), true, &type, &n) < 0)
			continue;
		for (j = 0; j < v->ntypes; j++)
			if (strcmp(v->types[j].name, type) == 0)
				break;
		if (j == v->ntypes) {
			v->types = xreallocarray(v->types, v->ntypes + 1, sizeof *v->types);
			memset(&v->types[v->ntypes], 0, sizeof v->types[v->ntypes]);
			v->types[v->ntypes].name = type;
			v->ntypes++;
		} else {
			free(type);
		}
		t = &v->types[j];
		for (j = 0; j < t->nver; j++)
			if (t->ver[j].n == n)
				break;
		if (j < t->nver)
			continue;   /* the same $id seen again (the registry refuses real duplicates) */
		js_errors_clear(&errs);
		s = js_compile_uri(v->reg, id, &v->js, &errs);
		if (s == NULL) {
			sgp_buf_addf(&problems, "%sschema '%s' does not compile", problems.len ? "\n" : "", id);
			for (j = 0; j < errs.n; j++)
				sgp_buf_addf(&problems, "\n%s: %s: %s", id, label(errs.v[j].instance_path),
					     message_of(&errs.v[j]));
			continue;
		}
		t->ver = xreallocarray(t->ver, t->nver + 1, sizeof *t->ver);
		t->ver[t->nver].n = n;
		t->ver[t->nver].s = s;
		t->nver++;
		count++;
	}
	if (problems.len) {
		*err = sgp_buf_detach(&problems, NULL);
		count = -1;
		goto out;
	}
	for (i = 0; i < v->ntypes; i++)
		qsort(v->types[i].ver, v->types[i].nver, sizeof *v->types[i].ver, cmp_version);
	index_build(v);
	if (v->envelope == NULL && js_registry_has(v->reg, ENVELOPE_URI)) {
		js_errors_clear(&errs);
		v->envelope = js_compile_uri(v->reg, ENVELOPE_URI, &v->js, &errs);
		if (v->envelope == NULL) {
			*err = xasprintf("schema '%s' does not compile: %s", ENVELOPE_URI,
					 errs.n ? errs.v[0].message : "unknown error");
			count = -1;
		}
	}
out:
	if (count < 0 && *err == NULL)
		*err = xstrdup("cannot load the event schemas");
	for (i = 0; i < ids.n; i++)
		free(ids.v[i]);
	free(ids.v);
	js_errors_release(&errs);
	sgp_buf_release(&problems);
	return *err ? -1 : count;
}

int sgp_validator_latest(const sgp_validator *v, const char *type)
{
	const struct vtype *t = type_find(v, type);

	return t && t->nver ? t->ver[t->nver - 1].n : 0;
}

const js_schema *sgp_validator_schema_for(const sgp_validator *v, const char *type, int n)
{
	const struct vtype *t = type_find(v, type);
	size_t i;

	if (t == NULL || t->nver == 0)
		return NULL;
	if (n == 0)
		return t->ver[t->nver - 1].s;
	for (i = 0; i < t->nver; i++)
		if (t->ver[i].n == n)
			return t->ver[i].s;
	return NULL;
}

/* ---- lines ------------------------------------------------------------ */

sgp_validator_worker *sgp_validator_worker_new(const sgp_validator *v)
{
	sgp_validator_worker *w = xcalloc(1, sizeof *w);

	w->v = v;
	js_errors_init(&w->errs);
	return w;
}

void sgp_validator_worker_free(sgp_validator_worker *w)
{
	if (w == NULL)
		return;
	js_errors_release(&w->errs);
	sgp_buf_release(&w->scratch);
	free(w);
}

/* A JSON string of S, bytes that are not UTF-8 replaced by U+FFFD. */
static json_t *jstr(const char *s)
{
	size_t len;
	json_t *j;
	sgp_buf b = SGP_BUF_INIT;

	if (s == NULL)
		s = "";
	len = strlen(s);
	j = json_stringn(s, len);
	if (j)
		return j;
	while (len > 0) {
		long bad = sgp_utf8_check(s, len);

		if (bad < 0) {
			sgp_buf_add(&b, s, len);
			break;
		}
		sgp_buf_add(&b, s, (size_t)bad);
		sgp_buf_adds(&b, "\xef\xbf\xbd");
		s += bad + 1;
		len -= (size_t)bad + 1;
	}
	j = json_stringn(b.data ? b.data : "", b.len);
	sgp_buf_release(&b);
	return j ? j : json_string("");
}

/* The "errors" of a reject from a validation: path, keyword, where in
 * the schema, message. */
static json_t *errors_json(const js_errors *e)
{
	json_t *arr = json_array();
	size_t i, n = e->n < SGP_VAL_MAX_ERRORS ? e->n : SGP_VAL_MAX_ERRORS;

	for (i = 0; i < n; i++) {
		const js_error *x = &e->v[i];
		json_t *o = json_object();

		json_object_set_new(o, "path", jstr(x->instance_path));
		json_object_set_new(o, "keyword", jstr(x->keyword));
		json_object_set_new(o, "keyword_location", jstr(x->keyword_location));
		if (x->absolute_location)
			json_object_set_new(o, "absolute_keyword_location", jstr(x->absolute_location));
		json_object_set_new(o, "message", jstr(x->message));
		json_array_append_new(arr, o);
	}
	if (e->n > n)
		json_array_append_new(arr, sgp_error_new("", "errors", "%zu more errors not listed",
							 e->n - n));
	return arr;
}

static void reject(sgp_buf *rejects, uint64_t *counters, const char *reason, json_t *errors,
		   const char *line, size_t len, bool is_object,
		   unsigned long long lineno, const char *file)
{
	struct sgp_reject r;

	memset(&r, 0, sizeof r);
	r.line = lineno;
	r.reason = reason;
	r.errors = errors;
	r.line_text = line;
	r.line_len = len;
	r.line_is_json = is_object;
	r.file = file;
	sgp_reject_format(rejects, &r);
	json_decref(errors);
	counters[SGP_VALC_REJECTED]++;
	if (strcmp(reason, "parse") == 0)
		counters[SGP_VALC_REJ_PARSE]++;
	else if (strcmp(reason, "schema") == 0)
		counters[SGP_VALC_REJ_SCHEMA]++;
	else
		counters[SGP_VALC_REJ_UNKNOWN]++;
}

static void pass(sgp_buf *out, uint64_t *counters, const char *line, size_t len)
{
	sgp_buf_add(out, line, len);
	sgp_buf_addc(out, '\n');
	counters[SGP_VALC_OUT]++;
}

/* A line with no schema to check it against: rejected as unknown_type,
 * or passed unchecked. */
static void unknown(const sgp_validator *v, json_t *errors, sgp_buf *out, sgp_buf *rejects,
		    uint64_t *counters, const char *line, size_t len,
		    unsigned long long lineno, const char *file)
{
	if (v->allow_unknown) {
		json_decref(errors);
		pass(out, counters, line, len);
		counters[SGP_VALC_UNCHECKED]++;
		return;
	}
	reject(rejects, counters, "unknown_type", errors, line, len, true, lineno, file);
}

/* Validate INST against S: pass the line, or reject it with every error. */
static void check(sgp_validator_worker *w, const js_schema *s, const json_t *inst,
		  sgp_buf *out, sgp_buf *rejects, uint64_t *counters, const char *line,
		  size_t len, unsigned long long lineno, const char *file)
{
	if (js_is_valid(s, inst)) {
		pass(out, counters, line, len);
		return;
	}
	js_errors_clear(&w->errs);
	if (js_validate(s, inst, &w->errs) == 0) {
		/* js_is_valid and js_validate disagree: trust the full run, but
		 * never pass a line the fast path refused without an error. */
		json_t *errs = json_array();

		json_array_append_new(errs, sgp_error_new("", "schema",
							  "refused by the validator without an error message"));
		reject(rejects, counters, "schema", errs, line, len, json_is_object(inst), lineno, file);
		return;
	}
	reject(rejects, counters, "schema", errors_json(&w->errs), line, len,
	       json_is_object(inst), lineno, file);
	js_errors_clear(&w->errs);
}

static void one_error(json_t **errs, const char *path, const char *keyword, const char *msg)
{
	*errs = json_array();
	json_array_append_new(*errs, sgp_error_new(path, keyword, "%s", msg));
}

void sgp_validator_line(sgp_validator_worker *w, const char *line, size_t len,
			unsigned long long lineno, const char *file,
			sgp_buf *out, sgp_buf *rejects, uint64_t *counters)
{
	const sgp_validator *v = w->v;
	sgp_line_error perr;
	json_t *inst, *errs = NULL;
	const char *type;
	json_t *schema_member;
	const js_schema *s;
	int n = 0;

	inst = sgp_json_fast_parse(line, len, v->fixed ? SGP_PARSE_ANY_VALUE : 0, &perr);
	if (inst == NULL) {
		counters[SGP_VALC_IN]++;
		one_error(&errs, "", "parse", perr.message);
		reject(rejects, counters, "parse", errs, line, len, false, lineno, file);
		return;
	}
	if (v->fixed == NULL && sgp_line_kind_of(inst) == SGP_LINE_STATE) {
		sgp_buf_add(out, line, len);
		sgp_buf_addc(out, '\n');
		counters[SGP_VALC_STATE]++;
		json_decref(inst);
		return;
	}
	counters[SGP_VALC_IN]++;
	if (v->fixed) {
		check(w, v->fixed, inst, out, rejects, counters, line, len, lineno, file);
		json_decref(inst);
		return;
	}

	switch (sgp_line_kind_of(inst)) {
	case SGP_LINE_EVENT:
		break;
	case SGP_LINE_PLAIN:
		one_error(&errs, "/spec", "required",
			  "a plain record (no \"spec\") is not an sgp.event/1 line; "
			  "validate plain records with --schema");
		unknown(v, errs, out, rejects, counters, line, len, lineno, file);
		json_decref(inst);
		return;
	case SGP_LINE_REJECT:
		one_error(&errs, "/spec", "const", "an sgp.reject/1 line is not an event");
		reject(rejects, counters, "unknown_type", errs, line, len, true, lineno, file);
		json_decref(inst);
		return;
	default: {
		const char *spec = sgp_json_str(inst, "spec");

		errs = json_array();
		json_array_append_new(errs, sgp_error_new("/spec", "const", "unknown spec %s%s%s",
							  spec ? "'" : "(not a string)",
							  spec ? spec : "", spec ? "'" : ""));
		unknown(v, errs, out, rejects, counters, line, len, lineno, file);
		json_decref(inst);
		return;
	}
	}

	type = sgp_json_str(inst, "type");
	if (type == NULL) {
		if (v->envelope) {
			check(w, v->envelope, inst, out, rejects, counters, line, len, lineno, file);
		} else {
			one_error(&errs, "/type", "required", "the event has no string \"type\"");
			reject(rejects, counters, "schema", errs, line, len, true, lineno, file);
		}
		json_decref(inst);
		return;
	}
	schema_member = json_object_get(inst, "schema");
	if (schema_member) {
		const char *ref = json_string_value(schema_member);
		char *stype = NULL;

		if (ref == NULL || split_versioned(ref, false, &stype, &n) < 0) {
			errs = json_array();
			json_array_append_new(errs, sgp_error_new("/schema", "pattern",
				"\"schema\" must be \"<type>/<version>\", e.g. \"%s/1\"", type));
			reject(rejects, counters, "schema", errs, line, len, true, lineno, file);
			json_decref(inst);
			return;
		}
		if (strcmp(stype, type) != 0) {
			errs = json_array();
			json_array_append_new(errs, sgp_error_new("/schema", "const",
				"schema '%s' is not a schema of type '%s'", ref, type));
			free(stype);
			reject(rejects, counters, "schema", errs, line, len, true, lineno, file);
			json_decref(inst);
			return;
		}
		free(stype);
	}
	s = sgp_validator_schema_for(v, type, n);
	if (s == NULL) {
		errs = json_array();
		if (n && type_find(v, type))
			json_array_append_new(errs, sgp_error_new("/schema", "schema",
				"schema '%s/%d' is not installed (latest: %s/%d)", type, n, type,
				sgp_validator_latest(v, type)));
		else
			json_array_append_new(errs, sgp_error_new("/type", "type",
				"no schema is installed for type '%s'", type));
		unknown(v, errs, out, rejects, counters, line, len, lineno, file);
		json_decref(inst);
		return;
	}
	check(w, s, inst, out, rejects, counters, line, len, lineno, file);
	json_decref(inst);
}

json_t *sgp_validator_stats(const uint64_t *c)
{
	return json_pack("{sI sI sI sI sI s{sI sI sI}}",
			 "in", (json_int_t)c[SGP_VALC_IN],
			 "out", (json_int_t)c[SGP_VALC_OUT],
			 "rejected", (json_int_t)c[SGP_VALC_REJECTED],
			 "state", (json_int_t)c[SGP_VALC_STATE],
			 "unchecked", (json_int_t)c[SGP_VALC_UNCHECKED],
			 "rejected_by_reason",
			 "parse", (json_int_t)c[SGP_VALC_REJ_PARSE],
			 "schema", (json_int_t)c[SGP_VALC_REJ_SCHEMA],
			 "unknown_type", (json_int_t)c[SGP_VALC_REJ_UNKNOWN]);
}

/* ---- --check-schema ----------------------------------------------------- */

size_t sgp_validator_check_file(sgp_validator *v, const char *path, sgp_buf *msgs)
{
	js_errors errs = JS_ERRORS_INIT;
	char *err = NULL, *uri;
	json_t *doc = load_schema_file(path, &err);
	size_t n;

	if (doc == NULL) {
		sgp_buf_addf(msgs, "%s\n", err);
		free(err);
		return 1;
	}
	uri = sgp_validator_file_uri(v, path);
	n = js_check_schema(v->reg, doc, uri, &v->js, &errs);
	errors_as_lines(msgs, path, &errs);
	free(uri);
	json_decref(doc);
	js_errors_release(&errs);
	return n;
}
