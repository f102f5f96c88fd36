/* fuzz_schema.c: the JSON Schema compiler and validator.  The input is a
 * schema followed by an instance ("{...} [...]", two JSON texts one after
 * the other).  The schema is checked against its meta-schema and
 * compiled; a compiled schema validates the instance in both modes.
 * Properties: js_is_valid agrees with js_validate returning 0; an invalid
 * instance has errors that each say where and why, and that convert to
 * the "errors" array of a reject; validating twice gives the same errors;
 * a schema that js_check_schema accepts compiles, and one that does not
 * compile is not accepted.
 *
 * The registry holds the meta-schemas and the project's schemas
 * ($SGP_DATADIR/schemas, "schemas" by default: run it from the source
 * tree), and the JSON Schema Test Suite's remotes when
 * $SGP_SHARED/vendor/json-schema-test-suite exists. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonschema.h"
#include "util.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static js_registry *reg;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *dd = getenv("SGP_DATADIR");
	const char *sh = getenv("SGP_SHARED");
	char *schemas = xasprintf("%s/schemas", dd ? dd : ".");
	char *remotes = xasprintf("%s/vendor/json-schema-test-suite/remotes", sh ? sh : "../shared");
	char *err = NULL;

	reg = js_registry_new();
	if (js_registry_load_meta(reg, schemas, &err) < 0 || js_registry_add_dir(reg, schemas, &err) < 0) {
		fprintf(stderr, "fuzz_schema: %s (run from the source tree or set SGP_DATADIR)\n", err);
		exit(2);
	}
	js_registry_map_prefix(reg, "http://localhost:1234/", remotes);
	free(schemas);
	free(remotes);
	return 0;
}

static void check_errors(const js_errors *e, size_t from)
{
	json_t *arr;

	for (size_t i = from; i < e->n; i++) {
		const js_error *x = &e->v[i];
		if (!x->instance_path || !x->keyword_location || !x->absolute_location || !x->keyword ||
		    !x->message || x->message[0] == '\0')
			abort(); /* every error says where and why */
		if (x->instance_path[0] != '\0' && x->instance_path[0] != '/')
			abort(); /* a JSON Pointer */
	}
	arr = js_errors_to_json(e);
	if (!json_is_array(arr) || json_array_size(arr) != e->n)
		abort();
	for (size_t i = 0; i < e->n; i++) {
		json_t *o = json_array_get(arr, i);
		if (!json_is_string(json_object_get(o, "path")) ||
		    !json_is_string(json_object_get(o, "keyword")) ||
		    !json_is_string(json_object_get(o, "message")))
			abort();
	}
	json_decref(arr);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct js_options opt = JS_OPTIONS_INIT;
	js_errors errs = JS_ERRORS_INIT, again = JS_ERRORS_INIT, cerrs = JS_ERRORS_INIT;
	json_error_t je;
	json_t *schema, *inst = NULL;
	js_schema *s;
	size_t used, n, nc;

	if (size > 1 << 16)
		return 0;
	schema = json_loadb((const char *)data, size, JSON_DECODE_ANY | JSON_DISABLE_EOF_CHECK, &je);
	if (schema == NULL)
		return 0;
	used = (size_t)je.position;
	if (used < size)
		inst = json_loadb((const char *)data + used, size - used, JSON_DECODE_ANY, &je);
	opt.format_assert = (size & 1) != 0;
	opt.default_dialect = (size & 2) ? JS_DRAFT_07 : JS_DRAFT_2020_12;

	s = js_compile(reg, schema, NULL, &opt, &cerrs);
	if (s == NULL && cerrs.n == 0)
		abort(); /* a failed compile says why */
	check_errors(&cerrs, 0);
	nc = js_check_schema(reg, schema, NULL, &opt, &errs);
	check_errors(&errs, 0);
	if (nc == 0 && s == NULL)
		abort(); /* accepted by the check, yet it does not compile */
	js_errors_clear(&errs);

	if (s && inst) {
		bool ok = js_is_valid(s, inst);
		n = js_validate(s, inst, &errs);
		if (ok != (n == 0) || n != errs.n)
			abort(); /* both modes agree */
		check_errors(&errs, 0);
		if (js_validate(s, inst, &again) != n)
			abort(); /* validation is deterministic */
		for (size_t i = 0; i < n; i++)
			if (strcmp(errs.v[i].instance_path, again.v[i].instance_path) != 0 ||
			    strcmp(errs.v[i].message, again.v[i].message) != 0)
				abort();
		/* errors are appended to what the list holds */
		if (js_validate(s, inst, &again) != n || again.n != 2 * n)
			abort();
	}
	js_schema_free(s);
	js_errors_release(&errs);
	js_errors_release(&again);
	js_errors_release(&cerrs);
	json_decref(schema);
	json_decref(inst);
	return 0;
}
