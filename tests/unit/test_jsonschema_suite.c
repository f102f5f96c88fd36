/*
 * test_jsonschema_suite.c: runs the official JSON Schema Test Suite
 * ($SGP_SHARED/vendor/json-schema-test-suite) against libcommon's
 * validator and prints TAP: one line per test file, a "# passed/total"
 * comment per file, and grand totals per part.
 *
 * Parts:
 *   draft2020-12 required   tests/draft2020-12/NAME.json (must all pass)
 *   draft2020-12 optional   tests/draft2020-12/optional/NAME.json
 *   draft2020-12 format     tests/draft2020-12/optional/format/NAME.json,
 *                           with format assertion on
 *   draft7                  tests/draft7/ (and its optional/), when the
 *                           suite has them
 *
 * Every test checks both modes: js_is_valid must give the expected
 * answer, and js_validate must report errors exactly when it is invalid.
 * The remotes/ directory is served as http://localhost:1234/ through a
 * registry prefix mapping; meta-schemas load from
 * $SGP_DATADIR/schemas/meta (default: the current directory's schemas/).
 *
 * Optional files outside the validator's scope are still run, and
 * reported as "ok N - file # skip reason" with their counts.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "jsonschema.h"
#include "util.h"

static int tap_n, tap_failed;

struct part {
	const char *name;
	size_t passed, total;
};

/* Optional files that test something this validator does not claim. */
static const struct {
	const char *file;
	const char *reason;
} skips[] = {
	{ "optional/cross-draft.json", "draft 2019-09 schemas are not supported" },
};

static const char *skip_reason(const char *rel)
{
	for (size_t i = 0; i < sizeof(skips) / sizeof(skips[0]); i++)
		if (strcmp(skips[i].file, rel) == 0)
			return skips[i].reason;
	return NULL;
}

static json_t *load(const char *path)
{
	json_error_t je;
	json_t *v = json_load_file(path, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);

	if (!v) /* the bignum tests hold integers beyond 64 bits */
		v = json_load_file(path, JSON_DECODE_ANY | JSON_ALLOW_NUL | JSON_DECODE_INT_AS_REAL, &je);
	if (!v)
		printf("#   cannot load %s: %s\n", path, je.text);
	return v;
}

static void run_file(js_registry *reg, const char *path, const char *rel,
                     const struct js_options *opt, struct part *part)
{
	json_t *groups = load(path);
	size_t passed = 0, total = 0, shown = 0;
	js_errors errs = JS_ERRORS_INIT;

	if (!groups || !json_is_array(groups)) {
		tap_n++;
		tap_failed++;
		printf("not ok %d - %s\n", tap_n, rel);
		json_decref(groups);
		return;
	}
	size_t gi;
	json_t *g;
	json_array_foreach(groups, gi, g) {
		json_t *tests = json_object_get(g, "tests");
		const char *gdesc = json_string_value(json_object_get(g, "description"));
		js_errors_clear(&errs);
		js_schema *s = js_compile(reg, json_object_get(g, "schema"), NULL, opt, &errs);
		if (!s && shown < 20) {
			printf("#   %s: \"%s\": compile error: %s\n", rel, gdesc,
			       errs.n ? errs.v[0].message : "?");
			shown++;
		}
		size_t ti;
		json_t *t;
		json_array_foreach(tests, ti, t) {
			bool want = json_is_true(json_object_get(t, "valid"));
			json_t *data = json_object_get(t, "data");
			total++;
			if (!s)
				continue;
			bool got = js_is_valid(s, data);
			js_errors_clear(&errs);
			size_t nerr = js_validate(s, data, &errs);
			if (got == want && (nerr == 0) == got) {
				passed++;
			} else if (shown < 20) {
				printf("#   %s: \"%s\" / \"%s\": expected %s, got %s (%zu errors%s%s)\n", rel, gdesc,
				       json_string_value(json_object_get(t, "description")),
				       want ? "valid" : "invalid", got ? "valid" : "invalid", nerr,
				       nerr ? ": " : "", nerr ? errs.v[0].message : "");
				shown++;
			}
		}
		js_schema_free(s);
	}
	js_errors_release(&errs);
	json_decref(groups);

	const char *reason = skip_reason(rel);
	tap_n++;
	if (reason) {
		printf("ok %d - %s # skip %s (%zu/%zu pass)\n", tap_n, rel, reason, passed, total);
		return;
	}
	part->passed += passed;
	part->total += total;
	if (passed == total) {
		printf("ok %d - %s\n", tap_n, rel);
	} else {
		tap_failed++;
		printf("not ok %d - %s\n", tap_n, rel);
	}
	printf("# %s: %zu/%zu\n", rel, passed, total);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Run every *.json of DIR (not recursing), sorted by name. */
static void run_dir(js_registry *reg, const char *root, const char *sub,
                    const struct js_options *opt, struct part *part)
{
	char *dir = xasprintf("%s/%s", root, sub);
	DIR *d = opendir(dir);
	char **names = NULL;
	size_t n = 0;
	struct dirent *e;

	if (!d) {
		free(dir);
		return;
	}
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name);
		if (l > 5 && strcmp(e->d_name + l - 5, ".json") == 0) {
			names = xreallocarray(names, n + 1, sizeof(*names));
			names[n++] = xstrdup(e->d_name);
		}
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_str);
	for (size_t i = 0; i < n; i++) {
		char *path = xasprintf("%s/%s", dir, names[i]);
		char *rel = *sub ? xasprintf("%s/%s", sub, names[i]) : xstrdup(names[i]);
		run_file(reg, path, rel, opt, part);
		free(path);
		free(rel);
		free(names[i]);
	}
	free(names);
	free(dir);
}

static bool is_dir(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

int main(void)
{
	const char *shared = getenv("SGP_SHARED");
	const char *datadir = getenv("SGP_DATADIR");
	char *suite = xasprintf("%s/vendor/json-schema-test-suite", shared ? shared : "../shared");
	char *tests2020 = xasprintf("%s/tests/draft2020-12", suite);

	if (!is_dir(tests2020)) {
		printf("ok 1 - suite # skip suite not found at %s\n1..1\n", suite);
		free(suite);
		free(tests2020);
		return 0;
	}
	char *schemas = xasprintf("%s/schemas", datadir ? datadir : ".");
	char *remotes = xasprintf("%s/remotes", suite);
	js_registry *reg = js_registry_new();
	char *err = NULL;
	if (js_registry_load_meta(reg, schemas, &err) < 0) {
		printf("not ok 1 - load meta-schemas: %s\n1..1\n", err);
		return 1;
	}
	js_registry_map_prefix(reg, "http://localhost:1234/", remotes);

	struct js_options opt = JS_OPTIONS_INIT;
	struct part req = { "draft2020-12 required", 0, 0 };
	struct part optional = { "draft2020-12 optional", 0, 0 };
	struct part format = { "draft2020-12 optional format (format assertion on)", 0, 0 };
	struct part d7 = { "draft7 (all)", 0, 0 };

	run_dir(reg, tests2020, "", &opt, &req);
	run_dir(reg, tests2020, "optional", &opt, &optional);
	struct js_options fopt = opt;
	fopt.format_assert = true;
	run_dir(reg, tests2020, "optional/format", &fopt, &format);

	char *tests7 = xasprintf("%s/tests/draft7", suite);
	if (is_dir(tests7)) {
		struct js_options o7 = { JS_DRAFT_07, false };
		run_dir(reg, tests7, "", &o7, &d7);
		run_dir(reg, tests7, "optional", &o7, &d7);
		o7.format_assert = true;
		run_dir(reg, tests7, "optional/format", &o7, &d7);
	} else {
		tap_n++;
		printf("ok %d - draft7 # skip the suite at %s has no tests/draft7\n", tap_n, suite);
	}

	struct part *parts[] = { &req, &optional, &format, &d7 };
	for (size_t i = 0; i < 4; i++)
		if (parts[i]->total)
			printf("# %s: %zu/%zu\n", parts[i]->name, parts[i]->passed, parts[i]->total);
	printf("1..%d\n", tap_n);

	js_registry_free(reg);
	free(tests7);
	free(remotes);
	free(schemas);
	free(tests2020);
	free(suite);
	return tap_failed ? 1 : 0;
}
