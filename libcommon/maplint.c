/* maplint.c: see maplint.h. */
#include "maplint.h"
#include "envelope.h"
#include "jsonschema.h"
#include "mapping.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct field {
	char *type;
	char *path;
	unsigned flags;
};

struct fields {
	struct field *v;
	size_t n;
};

static int collect(void *arg, const char *type, const char *path, unsigned flags)
{
	struct fields *f = arg;

	f->v = xreallocarray(f->v, f->n + 1, sizeof *f->v);
	f->v[f->n].type = xstrdup(type);
	f->v[f->n].path = xstrdup(path);
	f->v[f->n].flags = flags;
	f->n++;
	return 0;
}

static const struct field *find_field(const struct fields *f, const char *type, const char *path)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		if (strcmp(f->v[i].type, type) == 0 && strcmp(f->v[i].path, path) == 0)
			return &f->v[i];
	return NULL;
}

/* Whether some field of TYPE lies below PREFIX + "/". */
static bool has_below(const struct fields *f, const char *type, const char *prefix)
{
	size_t i, n = strlen(prefix);

	for (i = 0; i < f->n; i++)
		if (strcmp(f->v[i].type, type) == 0 && strncmp(f->v[i].path, prefix, n) == 0 &&
		    f->v[i].path[n] == '/')
			return true;
	return false;
}

static char *child_path(const char *parent, const char *name)
{
	sgp_buf b = SGP_BUF_INIT;
	const char *p;

	sgp_buf_adds(&b, parent);
	sgp_buf_addc(&b, '/');
	for (p = name; *p; p++) {
		if (*p == '~')
			sgp_buf_adds(&b, "~0");
		else if (*p == '/')
			sgp_buf_adds(&b, "~1");
		else
			sgp_buf_addc(&b, *p);
	}
	return sgp_buf_detach(&b, NULL);
}

/* Required members of the object at OBJ (produced in every event when
 * EVERY) must be produced, and in every event. */
static size_t check_required(const sgp_compat_docs *docs, const json_t *schema, const char *uri,
			     const struct fields *f, const char *type, const char *obj, bool every,
			     const char *file, sgp_buf *msgs, char **err)
{
	struct sgp_schema_at at;
	size_t i, problems = 0;

	if (sgp_schema_at(docs, schema, uri, obj, &at, err) < 0)
		return 0;
	if (at.status == SGP_SCHEMA_AT_DECLARED) {
		for (i = 0; i < json_array_size(at.required); i++) {
			const char *name = json_string_value(json_array_get(at.required, i));
			char *child = child_path(obj, name);
			const struct field *fd = find_field(f, type, child);

			if (fd == NULL) {
				sgp_buf_addf(msgs, "%s: %s: required field %s is not produced\n", file, type,
					     child);
				problems++;
			} else if (every && !(fd->flags & SGP_FIELD_ALWAYS)) {
				sgp_buf_addf(msgs, "%s: %s: required field %s is not produced in every event "
					     "(a condition, or an optional source without a default)\n",
					     file, type, child);
				problems++;
			}
			free(child);
		}
	}
	sgp_schema_at_release(&at);
	return problems;
}

/* The fields of TYPE against the schema DOC: required ones produced,
 * produced ones allowed. */
static size_t check_fields(const sgp_compat_docs *docs, const json_t *doc, const char *uri,
			   const struct fields *f, const char *type, const char *file, sgp_buf *msgs,
			   char **err)
{
	size_t i, problems = 0;
	char **refused = NULL;
	size_t nrefused = 0;

	problems += check_required(docs, doc, uri, f, type, "", true, file, msgs, err);
	for (i = 0; i < f->n && *err == NULL; i++) {
		const struct field *fd = &f->v[i];

		if (strcmp(fd->type, type) != 0)
			continue;
		if (fd->flags & SGP_FIELD_OBJECT) {
			problems += check_required(docs, doc, uri, f, type, fd->path,
						   (fd->flags & SGP_FIELD_ALWAYS) != 0, file, msgs, err);
		} else if (fd->flags & SGP_FIELD_ARRAY) {
			char *elem = child_path(fd->path, "*");

			/* elements built from sub-fields: each is such an object */
			if (has_below(f, type, elem))
				problems += check_required(docs, doc, uri, f, type, elem, true, file, msgs, err);
			free(elem);
		}
	}
	for (i = 0; i < f->n && *err == NULL; i++) {
		const struct field *fd = &f->v[i];
		struct sgp_schema_at at;
		size_t k;
		bool seen = false;

		if (strcmp(fd->type, type) != 0)
			continue;
		if (sgp_schema_at(docs, doc, uri, fd->path, &at, err) < 0)
			break;
		if (at.status == SGP_SCHEMA_AT_REFUSED) {
			for (k = 0; k < nrefused; k++)
				if (strcmp(refused[k], at.refused) == 0)
					seen = true;
			if (!seen) {
				sgp_buf_addf(msgs, "%s: %s: field %s is not allowed by the schema "
					     "(not declared in a closed object)\n", file, type, at.refused);
				problems++;
				refused = xreallocarray(refused, nrefused + 1, sizeof *refused);
				refused[nrefused++] = xstrdup(at.refused);
			}
		}
		sgp_schema_at_release(&at);
	}
	for (i = 0; i < nrefused; i++)
		free(refused[i]);
	free(refused);
	return problems;
}

/* Validate every event the examples produce against the schema of its
 * type. */
static size_t check_example_outputs(sgp_validator *v, const sgp_mapping *m, const json_t *spec,
				    const char *file, sgp_buf *msgs)
{
	const json_t *exs = json_object_get(spec, "examples");
	sgp_map_ctx *c = sgp_map_ctx_new();
	sgp_buf out = SGP_BUF_INIT;
	js_errors errs = JS_ERRORS_INIT;
	size_t i, problems = 0;

	for (i = 0; i < json_array_size(exs); i++) {
		const json_t *ex = json_array_get(exs, i);
		const json_t *input = json_object_get(ex, "input");
		const char *type = sgp_json_str(ex, "type");
		const char *name = sgp_json_str(ex, "name");
		const char *p, *end;
		size_t nev = 0, k = 0;

		if (!json_is_object(input) || json_object_get(ex, "reject"))
			continue;
		if (type == NULL && sgp_line_kind_of(input) != SGP_LINE_EVENT && sgp_mapping_ntypes(m))
			type = sgp_mapping_type(m, 0);
		sgp_buf_reset(&out);
		if (sgp_mapping_apply(m, c, input, type, &out, &nev) != SGP_MAP_DONE)
			continue;   /* reported by the examples check */
		for (p = out.data, end = out.data + out.len; p && p < end; k++) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			json_t *ev = json_loadb(p, nl ? (size_t)(nl - p) : (size_t)(end - p), 0, NULL);
			const char *et = ev ? sgp_json_str(ev, "type") : NULL;
			const char *sref = ev ? sgp_json_str(ev, "schema") : NULL;
			const char *slash = sref ? strrchr(sref, '/') : NULL;
			long long n = 0;
			const js_schema *s;

			p = nl ? nl + 1 : NULL;
			if (slash && sgp_parse_ll(slash + 1, 1, 1000000, &n) < 0)
				n = 0;
			s = et ? sgp_validator_schema_for(v, et, (int)n) : NULL;
			if (s && !js_is_valid(s, ev)) {
				size_t e;

				js_errors_clear(&errs);
				js_validate(s, ev, &errs);
				for (e = 0; e < errs.n; e++)
					sgp_buf_addf(msgs, "%s: example %zu%s%s%s: event %zu (%s) is not valid: %s: %s\n",
						     file, i + 1, name ? " (" : "", name ? name : "",
						     name ? ")" : "", k + 1, et,
						     errs.v[e].instance_path[0] ? errs.v[e].instance_path : "(root)",
						     errs.v[e].message);
				problems++;
			}
			json_decref(ev);
		}
	}
	js_errors_release(&errs);
	sgp_buf_release(&out);
	sgp_map_ctx_free(c);
	return problems;
}

int sgp_maplint_file(sgp_validator *v, const sgp_compat_docs *docs, const char *path,
		     sgp_buf *msgs, struct sgp_maplint_result *res, char **err)
{
	js_registry *reg = sgp_validator_registry(v);
	js_errors errs = JS_ERRORS_INIT;
	json_error_t je;
	json_t *spec;
	js_schema *ms;
	sgp_mapping *m;
	struct fields f = { NULL, 0 };
	char *merr = NULL;
	size_t i, j;

	memset(res, 0, sizeof *res);
	*err = NULL;
	if (!js_registry_has(reg, SGP_MAPPING_SCHEMA_URI)) {
		*err = xasprintf("the mapping schema '%s' is not installed", SGP_MAPPING_SCHEMA_URI);
		return -1;
	}
	ms = js_compile_uri(reg, SGP_MAPPING_SCHEMA_URI, sgp_validator_js_options(v), &errs);
	if (ms == NULL) {
		*err = xasprintf("the mapping schema '%s' does not compile: %s", SGP_MAPPING_SCHEMA_URI,
				 errs.n ? errs.v[0].message : "unknown error");
		js_errors_release(&errs);
		return -1;
	}

	/* 1. the spec against its schema */
	spec = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
	if (spec == NULL) {
		if (je.line < 0)
			sgp_buf_addf(msgs, "%s: cannot read: %s\n", path, je.text);
		else
			sgp_buf_addf(msgs, "%s: line %d column %d: %s\n", path, je.line, je.column, je.text);
		res->problems++;
		goto out;
	}
	if (!js_is_valid(ms, spec)) {
		js_validate(ms, spec, &errs);
		for (i = 0; i < errs.n; i++)
			sgp_buf_addf(msgs, "%s: %s: %s\n", path,
				     errs.v[i].instance_path[0] ? errs.v[i].instance_path : "(root)",
				     errs.v[i].message);
		res->problems += errs.n;
	}

	/* 2. it loads */
	m = sgp_mapping_load(path, &merr);
	if (m == NULL) {
		sgp_buf_addf(msgs, "%s\n", merr ? merr : "cannot load the mapping");
		res->problems++;
		free(merr);
		goto out;
	}

	/* 3. fields against the schema of each emitted type */
	sgp_mapping_fields(m, collect, &f);
	for (i = 0; i < f.n && *err == NULL; i++) {
		const char *type = f.v[i].type;
		const char *sref = sgp_mapping_schema_of(m, type);
		const char *slash = sref ? strrchr(sref, '/') : NULL;
		long long n = 0;
		char *uri;
		const json_t *doc;
		bool first = true;

		for (j = 0; j < i; j++)
			if (strcmp(f.v[j].type, type) == 0)
				first = false;
		if (!first)
			continue;
		if (slash && sgp_parse_ll(slash + 1, 1, 1000000, &n) < 0)
			n = 0;
		if (n == 0)
			n = sgp_validator_latest(v, type);
		if (n == 0) {
			sgp_buf_addf(msgs, "%s: note: %s has no installed schema; its fields are not checked\n",
				     path, type);
			continue;
		}
		uri = xasprintf("urn:sgp:schema:%s/%lld", type, n);
		doc = sgp_compat_docs_get(docs, uri);
		if (doc == NULL) {
			sgp_buf_addf(msgs, "%s: %s: schema '%s' is not installed\n", path, type, uri);
			res->problems++;
		} else {
			res->problems += check_fields(docs, doc, uri, &f, type, path, msgs, err);
		}
		free(uri);
	}

	/* 4. the examples */
	if (*err == NULL) {
		size_t nex = 0;

		res->problems += sgp_mapping_check_examples(m, msgs, &nex);
		res->examples = nex;
		res->problems += check_example_outputs(v, m, spec, path, msgs);
	}
	sgp_mapping_free(m);
out:
	for (i = 0; i < f.n; i++) {
		free(f.v[i].type);
		free(f.v[i].path);
	}
	free(f.v);
	json_decref(spec);
	js_schema_free(ms);
	js_errors_release(&errs);
	return *err ? -1 : 0;
}
