/* test_jsonschema.c: focused unit tests for the JSON Schema validator. */
#include "unit.h"
#include "jsonschema.h"
#include "util.h"

#include <pthread.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static js_registry *reg;

static json_t *J(const char *text)
{
	json_error_t je;
	json_t *v = json_loads(text, JSON_DECODE_ANY, &je);
	if (!v) {
		printf("# bad test JSON: %s: %s\n", text, je.text);
		abort();
	}
	return v;
}

/* Compile SCHEMA (JSON text) with OPT; NULL and diagnostics on failure. */
static js_schema *compile_opt(const char *schema, const struct js_options *opt, js_errors *errs)
{
	json_t *s = J(schema);
	js_schema *c = js_compile(reg, s, NULL, opt, errs);
	json_decref(s);
	return c;
}

static js_schema *compile(const char *schema)
{
	js_errors errs = JS_ERRORS_INIT;
	js_schema *c = compile_opt(schema, NULL, &errs);
	if (!c)
		printf("# compile failed: %s\n", errs.n ? errs.v[0].message : "?");
	js_errors_release(&errs);
	return c;
}

/* Validity of INSTANCE (JSON text) under the compiled schema, checking
 * that both modes agree. */
static int valid(const js_schema *s, const char *instance)
{
	json_t *i = J(instance);
	js_errors errs = JS_ERRORS_INIT;
	bool fast = js_is_valid(s, i);
	size_t n = js_validate(s, i, &errs);
	json_decref(i);
	js_errors_release(&errs);
	if (fast != (n == 0))
		return -1;
	return fast;
}

static int valid_in(const char *schema, const char *instance)
{
	js_schema *s = compile(schema);
	if (!s)
		return -2;
	int r = valid(s, instance);
	js_schema_free(s);
	return r;
}

static const js_error *find_error(const js_errors *e, const char *path, const char *kw)
{
	for (size_t i = 0; i < e->n; i++)
		if (strcmp(e->v[i].instance_path, path) == 0 && strcmp(e->v[i].keyword, kw) == 0)
			return &e->v[i];
	return NULL;
}

TEST(collects_every_error_with_paths)
{
	js_schema *s = compile(
		"{\"$id\":\"urn:test:event\",\"type\":\"object\",\"required\":[\"id\",\"data\"],"
		"\"properties\":{\"data\":{\"type\":\"object\",\"properties\":{"
		"\"total\":{\"type\":\"string\",\"pattern\":\"^-?[0-9]+\\\\.[0-9]{2}$\"},"
		"\"lines\":{\"type\":\"array\",\"items\":{\"$ref\":\"#/$defs/line\"}}},"
		"\"additionalProperties\":false}},"
		"\"$defs\":{\"line\":{\"type\":\"object\",\"required\":[\"sku\"],"
		"\"properties\":{\"qty\":{\"type\":\"integer\",\"minimum\":1}}}}}");
	CHECK(s != NULL);
	if (!s)
		return;
	json_t *i = J("{\"data\":{\"total\":\"12,50\",\"memo\":1,"
	              "\"lines\":[{\"sku\":\"A\",\"qty\":0},{\"qty\":2.5}]}}");
	js_errors e = JS_ERRORS_INIT;
	CHECK(!js_is_valid(s, i));
	CHECK_INT(js_validate(s, i, &e), 6);
	const js_error *x = find_error(&e, "/data/total", "pattern");
	CHECK(x != NULL);
	if (x) {
		CHECK_STR(x->message, "\"12,50\" does not match pattern \"^-?[0-9]+\\.[0-9]{2}$\"");
		CHECK_STR(x->keyword_location, "/properties/data/properties/total/pattern");
		CHECK_STR(x->absolute_location, "urn:test:event#/properties/data/properties/total/pattern");
	}
	x = find_error(&e, "", "required");
	CHECK(x != NULL);
	if (x)
		CHECK_STR(x->message, "required property \"id\" is missing");
	x = find_error(&e, "/data/memo", "additionalProperties");
	CHECK(x != NULL);
	if (x) {
		CHECK_STR(x->message, "additional property \"memo\" is not allowed");
		CHECK_STR(x->keyword_location, "/properties/data/additionalProperties");
	}
	x = find_error(&e, "/data/lines/0/qty", "minimum");
	CHECK(x != NULL);
	if (x) {
		CHECK_STR(x->keyword_location,
		          "/properties/data/properties/lines/items/$ref/properties/qty/minimum");
		CHECK_STR(x->absolute_location, "urn:test:event#/$defs/line/properties/qty/minimum");
		CHECK_STR(x->message, "0 is less than the minimum 1");
	}
	CHECK(find_error(&e, "/data/lines/1", "required") != NULL);
	x = find_error(&e, "/data/lines/1/qty", "type");
	CHECK(x != NULL);
	if (x)
		CHECK_STR(x->message, "2.5 is not of type \"integer\"");

	json_t *arr = js_errors_to_json(&e);
	CHECK_INT(json_array_size(arr), 6);
	json_t *first = json_array_get(arr, 0);
	CHECK(json_is_string(json_object_get(first, "path")));
	CHECK(json_is_string(json_object_get(first, "keyword")));
	CHECK(json_is_string(json_object_get(first, "message")));
	json_decref(arr);

	/* appending: errors accumulate, the return value counts new ones */
	CHECK_INT(js_validate(s, i, &e), 6);
	CHECK_INT(e.n, 12);
	js_errors_clear(&e);
	CHECK_INT(e.n, 0);
	js_errors_release(&e);
	json_decref(i);
	js_schema_free(s);
}

TEST(branch_errors_do_not_leak)
{
	js_schema *s = compile("{\"anyOf\":[{\"type\":\"string\"},{\"type\":\"integer\"}],"
	                       "\"not\":{\"const\":5},\"maximum\":3,"
	                       "\"if\":{\"type\":\"integer\"},\"then\":{\"minimum\":0},"
	                       "\"oneOf\":[{\"type\":\"integer\"},{\"type\":\"boolean\"}]}");
	CHECK(s != NULL);
	if (!s)
		return;
	json_t *i = J("4");
	js_errors e = JS_ERRORS_INIT;
	CHECK_INT(js_validate(s, i, &e), 1);
	CHECK_STR(e.v[0].keyword, "maximum");
	json_decref(i);
	js_errors_clear(&e);

	/* anyOf failing: its summary and the branch errors show */
	i = J("[1]");
	CHECK(js_validate(s, i, &e) >= 3);
	CHECK(find_error(&e, "", "anyOf") != NULL);
	CHECK(find_error(&e, "", "oneOf") != NULL);
	json_decref(i);
	js_errors_clear(&e);

	/* not: one error, not the inner schema's */
	i = J("5");
	js_validate(s, i, &e);
	CHECK(find_error(&e, "", "not") != NULL);
	CHECK(find_error(&e, "", "const") == NULL);
	json_decref(i);
	js_errors_release(&e);
	js_schema_free(s);
}

TEST(numeric_equality)
{
	CHECK_INT(valid_in("{\"const\":1}", "1.0"), 1);
	CHECK_INT(valid_in("{\"const\":1.0}", "1"), 1);
	CHECK_INT(valid_in("{\"const\":1}", "1.5"), 0);
	CHECK_INT(valid_in("{\"enum\":[\"a\",{\"x\":[1,2.0]}]}", "{\"x\":[1.0,2]}"), 1);
	CHECK_INT(valid_in("{\"enum\":[{\"x\":1}]}", "{\"x\":1,\"y\":1}"), 0);
	CHECK_INT(valid_in("{\"uniqueItems\":true}", "[1,1.0]"), 0);
	CHECK_INT(valid_in("{\"uniqueItems\":true}", "[{\"a\":1,\"b\":2},{\"b\":2,\"a\":1.0}]"), 0);
	CHECK_INT(valid_in("{\"uniqueItems\":true}", "[1,true,\"1\",[1],{\"1\":1}]"), 1);
	CHECK_INT(valid_in("{\"type\":\"integer\"}", "1.0"), 1);
	CHECK_INT(valid_in("{\"type\":\"integer\"}", "1.000001"), 0);
	CHECK_INT(valid_in("{\"maximum\":9007199254740993}", "9007199254740992"), 1);
	CHECK_INT(valid_in("{\"maximum\":9007199254740992}", "9007199254740993"), 0);
	CHECK_INT(valid_in("{\"exclusiveMinimum\":1.5}", "2"), 1);
	CHECK_INT(valid_in("{\"exclusiveMinimum\":2}", "2.0"), 0);
}

TEST(multiple_of_is_exact)
{
	js_schema *s = compile("{\"multipleOf\":0.01}");
	CHECK(s != NULL);
	if (!s)
		return;
	CHECK_INT(valid(s, "19.99"), 1);
	CHECK_INT(valid(s, "0.3"), 1);
	CHECK_INT(valid(s, "1e308"), 1);
	CHECK_INT(valid(s, "-4.07"), 1);
	CHECK_INT(valid(s, "0.001"), 0);
	/* 0.1 + 0.2 computed in binary floating point is 0.30000000000000004 */
	json_t *sum = json_real(0.1 + 0.2);
	CHECK(!js_is_valid(s, sum));
	json_decref(sum);
	json_t *lit = json_real(0.3);
	CHECK(js_is_valid(s, lit));
	json_decref(lit);
	js_schema_free(s);

	CHECK_INT(valid_in("{\"multipleOf\":0.0001}", "0.0075"), 1);
	CHECK_INT(valid_in("{\"multipleOf\":0.0001}", "0.00751"), 0);
	CHECK_INT(valid_in("{\"multipleOf\":0.123456789}", "1e308"), 0);
	CHECK_INT(valid_in("{\"multipleOf\":1e-8}", "12391239123"), 1);
	CHECK_INT(valid_in("{\"multipleOf\":3}", "-9"), 1);
	CHECK_INT(valid_in("{\"multipleOf\":1.5}", "4.5"), 1);
}

TEST(lengths_count_code_points)
{
	/* "é日本" is 3 code points in 8 bytes; the emoji is one code point */
	CHECK_INT(valid_in("{\"maxLength\":3}", "\"\\u00e9\\u65e5\\u672c\""), 1);
	CHECK_INT(valid_in("{\"minLength\":4}", "\"\\u00e9\\u65e5\\u672c\""), 0);
	CHECK_INT(valid_in("{\"maxLength\":1}", "\"\\ud83d\\udca9\""), 1);
	CHECK_INT(valid_in("{\"minLength\":2}", "\"\\ud83d\\udca9\""), 0);
	CHECK_INT(valid_in("{\"maxLength\":2.0}", "\"abc\""), 0);
}

TEST(ecma_regex_semantics)
{
	/* \d is ASCII only: ARABIC-INDIC DIGIT THREE does not match */
	CHECK_INT(valid_in("{\"pattern\":\"^\\\\d+$\"}", "\"42\""), 1);
	CHECK_INT(valid_in("{\"pattern\":\"^\\\\d+$\"}", "\"\\u0663\""), 0);
	CHECK_INT(valid_in("{\"pattern\":\"^[\\\\d]$\"}", "\"\\u0663\""), 0);
	CHECK_INT(valid_in("{\"pattern\":\"^\\\\D$\"}", "\"\\u0663\""), 1);
	CHECK_INT(valid_in("{\"pattern\":\"^\\\\w$\"}", "\"\\u00e9\""), 0);
	CHECK_INT(valid_in("{\"pattern\":\"^\\\\s$\"}", "\"\\u00a0\""), 1);
	CHECK_INT(valid_in("{\"pattern\":\"^\\\\s$\"}", "\"\\u2028\""), 1);
	CHECK_INT(valid_in("{\"pattern\":\"^[^\\\\S]$\"}", "\"\\u3000\""), 1);
	CHECK_INT(valid_in("{\"pattern\":\"^\\\\p{Letter}+$\"}", "\"\\u00e9t\\u00e9\""), 1);
	CHECK_INT(valid_in("{\"pattern\":\"^\\\\p{L}+$\"}", "\"a1\""), 0);
	CHECK_INT(valid_in("{\"pattern\":\"^abc$\"}", "\"abc\\n\""), 0);
	CHECK_INT(valid_in("{\"pattern\":\"^.$\"}", "\"\\n\""), 0);
	CHECK_INT(valid_in("{\"pattern\":\"^\\\\u00e9$\"}", "\"\\u00e9\""), 1);
	/* not anchored */
	CHECK_INT(valid_in("{\"pattern\":\"b+\"}", "\"abba\""), 1);
	/* PCRE2-only syntax is refused */
	js_errors e = JS_ERRORS_INIT;
	CHECK(compile_opt("{\"pattern\":\"a++\"}", NULL, &e) == NULL);
	CHECK(compile_opt("{\"pattern\":\"(?i)a\"}", NULL, &e) == NULL);
	CHECK(compile_opt("{\"pattern\":\"\\\\a\"}", NULL, &e) == NULL);
	js_errors_release(&e);
}

TEST(invalid_regex_error_text)
{
	js_errors e = JS_ERRORS_INIT;
	js_schema *s = compile_opt("{\"properties\":{\"x\":{\"pattern\":\"^(abc\"}}}", NULL, &e);
	CHECK(s == NULL);
	CHECK_INT(e.n, 1);
	if (e.n) {
		CHECK(strstr(e.v[0].message, "invalid regular expression \"^(abc\"") != NULL);
		CHECK(strstr(e.v[0].message, "missing closing parenthesis") != NULL);
		CHECK_STR(e.v[0].instance_path, "/properties/x/pattern");
	}
	js_errors_clear(&e);
	/* in a definition nothing refers to yet */
	s = compile_opt("{\"$defs\":{\"unused\":{\"pattern\":\"[a-\"}}}", NULL, &e);
	CHECK(s == NULL);
	CHECK(e.n == 1 && strcmp(e.v[0].instance_path, "/$defs/unused/pattern") == 0);
	js_errors_clear(&e);
	/* an error PCRE2 itself reports */
	s = compile_opt("{\"pattern\":\"x{3,2}\"}", NULL, &e);
	CHECK(s == NULL);
	CHECK(e.n == 1 && strstr(e.v[0].message, "out of order") != NULL);
	js_errors_release(&e);
}

TEST(unresolvable_ref_and_cycles)
{
	js_errors e = JS_ERRORS_INIT;
	js_schema *s = compile_opt("{\"$id\":\"http://example.com/root.json\","
	                           "\"properties\":{\"a\":{\"$ref\":\"missing.json#/x\"},"
	                           "\"b\":{\"$ref\":\"#/$defs/nope\"}}}", NULL, &e);
	CHECK(s == NULL);
	CHECK_INT(e.n, 2);
	if (e.n == 2) {
		CHECK_STR(e.v[0].message, "cannot resolve reference \"http://example.com/missing.json#/x\"");
		CHECK_STR(e.v[0].instance_path, "/properties/a/$ref");
		CHECK_STR(e.v[1].message, "cannot resolve reference \"http://example.com/root.json#/$defs/nope\"");
	}
	js_errors_clear(&e);
	s = compile_opt("{\"$ref\":\"#\"}", NULL, &e);
	CHECK(s == NULL);
	CHECK(e.n == 1 && strstr(e.v[0].message, "never consumes the instance") != NULL);
	js_errors_clear(&e);
	s = compile_opt("{\"$defs\":{\"a\":{\"anyOf\":[{\"type\":\"string\"},{\"$ref\":\"#/$defs/b\"}]},"
	                "\"b\":{\"allOf\":[{\"$ref\":\"#/$defs/a\"}]}},\"$ref\":\"#/$defs/a\"}", NULL, &e);
	CHECK(s == NULL);
	CHECK(e.n == 1 && strstr(e.v[0].message, "cycle") != NULL);
	js_errors_clear(&e);
	/* recursion that consumes the instance is fine */
	s = compile_opt("{\"type\":\"array\",\"items\":{\"$ref\":\"#\"}}", NULL, &e);
	CHECK(s != NULL);
	js_schema_free(s);
	/* invalid keyword values */
	s = compile_opt("{\"minLength\":-1,\"type\":\"strin\",\"required\":\"a\"}", NULL, &e);
	CHECK(s == NULL);
	CHECK_INT(e.n, 3);
	js_errors_release(&e);
}

static json_t *nest(size_t depth)
{
	json_t *v = json_array();
	for (size_t i = 0; i < depth; i++) {
		json_t *o = json_array();
		json_array_append_new(o, v);
		v = o;
	}
	return v;
}

TEST(deep_instance_fails_cleanly)
{
	js_schema *s = compile("{\"type\":\"array\",\"items\":{\"$ref\":\"#\"}}");
	CHECK(s != NULL);
	if (!s)
		return;
	json_t *deep = nest(10000);
	CHECK(!js_is_valid(s, deep));
	js_errors e = JS_ERRORS_INIT;
	CHECK_INT(js_validate(s, deep, &e), 1);
	if (e.n)
		CHECK(strstr(e.v[0].message, "instance too deeply nested") != NULL);
	js_errors_release(&e);
	json_decref(deep);
	/* moderately deep is validated normally */
	json_t *ok = nest(500);
	CHECK(js_is_valid(s, ok));
	json_decref(ok);
	js_schema_free(s);
}

struct worker {
	const js_schema *s;
	int good, bad;
};

static void *work(void *arg)
{
	struct worker *w = arg;
	json_t *ok = J("{\"id\":\"evt_1\",\"total\":\"12.50\",\"lines\":[{\"sku\":\"A-1\"}]}");
	json_t *ko = J("{\"id\":\"x\",\"total\":\"12,5\",\"lines\":[{\"sku\":\"a\"}]}");
	js_errors e = JS_ERRORS_INIT;

	for (int i = 0; i < 3000; i++) {
		if (js_is_valid(w->s, ok))
			w->good++;
		js_errors_clear(&e);
		if (js_validate(w->s, ko, &e) == 3)
			w->bad++;
	}
	js_errors_release(&e);
	json_decref(ok);
	json_decref(ko);
	return NULL;
}

TEST(threads_share_a_compiled_schema)
{
	js_schema *s = compile("{\"properties\":{\"id\":{\"pattern\":\"^evt_[0-9]+$\"},"
	                       "\"total\":{\"pattern\":\"^[0-9]+\\\\.[0-9]{2}$\"},"
	                       "\"lines\":{\"items\":{\"properties\":{\"sku\":{\"pattern\":\"^[A-Z]\"}}}}},"
	                       "\"unevaluatedProperties\":false}");
	CHECK(s != NULL);
	if (!s)
		return;
	struct worker w[2] = { { s, 0, 0 }, { s, 0, 0 } };
	pthread_t t[2];
	for (int i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, work, &w[i]);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	for (int i = 0; i < 2; i++) {
		CHECK_INT(w[i].good, 3000);
		CHECK_INT(w[i].bad, 3000);
	}
	js_schema_free(s);
}

TEST(draft7_dialect)
{
	const char *sib = "{\"$schema\":\"http://json-schema.org/draft-07/schema#\","
	                  "\"definitions\":{\"s\":{\"type\":\"string\"}},"
	                  "\"properties\":{\"a\":{\"$ref\":\"#/definitions/s\",\"maxLength\":1}}}";
	/* $ref siblings are ignored in draft-07 */
	CHECK_INT(valid_in(sib, "{\"a\":\"long\"}"), 1);
	CHECK_INT(valid_in(sib, "{\"a\":1}"), 0);
	/* the same without $schema under the 2020-12 default applies them */
	CHECK_INT(valid_in("{\"$defs\":{\"s\":{\"type\":\"string\"}},"
	                   "\"properties\":{\"a\":{\"$ref\":\"#/$defs/s\",\"maxLength\":1}}}",
	                   "{\"a\":\"long\"}"), 0);
	const char *items = "{\"$schema\":\"http://json-schema.org/draft-07/schema#\","
	                    "\"items\":[{\"type\":\"integer\"},{\"type\":\"string\"}],"
	                    "\"additionalItems\":false,\"dependencies\":{\"a\":[\"b\"],\"c\":{\"required\":[\"d\"]}}}";
	CHECK_INT(valid_in(items, "[1,\"x\"]"), 1);
	CHECK_INT(valid_in(items, "[1,\"x\",2]"), 0);
	CHECK_INT(valid_in(items, "[\"x\"]"), 0);
	CHECK_INT(valid_in(items, "{\"a\":1}"), 0);
	CHECK_INT(valid_in(items, "{\"a\":1,\"b\":2,\"c\":3}"), 0);
	CHECK_INT(valid_in(items, "{\"a\":1,\"b\":2,\"c\":3,\"d\":4}"), 1);
	/* no unevaluated* in draft-07 */
	CHECK_INT(valid_in("{\"$schema\":\"http://json-schema.org/draft-07/schema#\","
	                   "\"unevaluatedProperties\":false}", "{\"x\":1}"), 1);
	/* the default dialect option */
	struct js_options o = JS_OPTIONS_INIT;
	o.default_dialect = JS_DRAFT_07;
	js_errors e = JS_ERRORS_INIT;
	js_schema *s = compile_opt("{\"items\":[{\"type\":\"integer\"}],\"additionalItems\":{\"type\":\"string\"}}",
	                           &o, &e);
	CHECK(s != NULL);
	if (s) {
		CHECK_INT(valid(s, "[1,\"a\"]"), 1);
		CHECK_INT(valid(s, "[1,2]"), 0);
		js_schema_free(s);
	}
	/* draft-07 "$id": "#name" is an anchor */
	CHECK_INT(valid_in("{\"$schema\":\"http://json-schema.org/draft-07/schema#\","
	                   "\"definitions\":{\"n\":{\"$id\":\"#num\",\"type\":\"number\"}},"
	                   "\"items\":{\"$ref\":\"#num\"}}", "[1,\"a\"]"), 0);
	js_errors_release(&e);
}

TEST(format_assertion_option)
{
	const char *sch = "{\"properties\":{\"at\":{\"format\":\"date-time\"},\"d\":{\"format\":\"date\"},"
	                  "\"ip\":{\"format\":\"ipv4\"},\"u\":{\"format\":\"uuid\"},\"e\":{\"format\":\"email\"}}}";
	const char *bad = "{\"at\":\"2026-11-01 12:00\",\"d\":\"2021-02-29\",\"ip\":\"1.2.3.256\","
	                  "\"u\":\"x\",\"e\":\"a@@b\"}";
	const char *good = "{\"at\":\"2026-11-01T12:00:00Z\",\"d\":\"2024-02-29\",\"ip\":\"10.0.0.1\","
	                   "\"u\":\"2eb8aa08-aa98-11ea-b4aa-73b441d16380\",\"e\":\"a@example.com\"}";
	CHECK_INT(valid_in(sch, bad), 1);  /* annotation by default */
	struct js_options o = JS_OPTIONS_INIT;
	o.format_assert = true;
	js_errors e = JS_ERRORS_INIT;
	js_schema *s = compile_opt(sch, &o, &e);
	CHECK(s != NULL);
	if (!s)
		return;
	CHECK_INT(valid(s, good), 1);
	json_t *i = J(bad);
	CHECK_INT(js_validate(s, i, &e), 5);
	const js_error *x = find_error(&e, "/d", "format");
	CHECK(x && strcmp(x->message, "\"2021-02-29\" is not a valid \"date\"") == 0);
	json_decref(i);
	js_errors_release(&e);
	js_schema_free(s);
}

TEST(dynamic_ref_and_unevaluated)
{
	const char *tree =
		"{\"$id\":\"https://example.com/strict-tree\",\"$dynamicAnchor\":\"node\","
		"\"$ref\":\"tree\",\"unevaluatedProperties\":false,"
		"\"$defs\":{\"tree\":{\"$id\":\"tree\",\"$dynamicAnchor\":\"node\",\"type\":\"object\","
		"\"properties\":{\"data\":true,\"children\":{\"type\":\"array\","
		"\"items\":{\"$dynamicRef\":\"#node\"}}}}}}";
	CHECK_INT(valid_in(tree, "{\"children\":[{\"data\":1}]}"), 1);
	CHECK_INT(valid_in(tree, "{\"children\":[{\"daat\":1}]}"), 0);
	js_schema *s = compile("{\"properties\":{\"a\":true},\"allOf\":[{\"properties\":{\"b\":true}}],"
	                       "\"unevaluatedProperties\":false}");
	CHECK(s != NULL);
	if (!s)
		return;
	json_t *i = J("{\"a\":1,\"b\":2,\"c\":3}");
	js_errors e = JS_ERRORS_INIT;
	CHECK_INT(js_validate(s, i, &e), 1);
	if (e.n) {
		CHECK_STR(e.v[0].instance_path, "/c");
		CHECK_STR(e.v[0].keyword, "unevaluatedProperties");
		CHECK_STR(e.v[0].message, "unevaluated property \"c\" is not allowed");
	}
	json_decref(i);
	js_errors_release(&e);
	js_schema_free(s);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
}

static void collect_uri(void *arg, const char *uri, json_t *doc)
{
	sgp_buf_addf(arg, "%s ", uri);
	(void)doc;
}

TEST(registry_dirs_prefixes_and_urns)
{
	char dir[] = "/tmp/test_jsonschema.XXXXXX";
	CHECK(mkdtemp(dir) != NULL);
	char *sub = xasprintf("%s/events", dir);
	mkdir(sub, 0700);
	char *common = xasprintf("%s/common.json", dir);
	char *ev = xasprintf("%s/invoice.json", sub);
	write_file(common, "{\"$id\":\"urn:sgp:schema:common/1\",\"$defs\":{\"money\":"
	                   "{\"type\":\"string\",\"pattern\":\"^-?[0-9]+(\\\\.[0-9]+)?$\"},"
	                   "\"pct%\":{\"const\":\"x\"},\"a/b\":{\"const\":\"y\"}}}");
	write_file(ev, "{\"$id\":\"urn:sgp:schema:invoice.posted/1\",\"properties\":{"
	               "\"total\":{\"$ref\":\"urn:sgp:schema:common/1#/$defs/money\"},"
	               "\"p\":{\"$ref\":\"urn:sgp:schema:common/1#/$defs/pct%25\"},"
	               "\"q\":{\"$ref\":\"urn:sgp:schema:common/1#/$defs/a~1b\"},"
	               "\"r\":{\"$ref\":\"http://remote.test/x/y.json\"}}}");
	char *rdir = xasprintf("%s/remote", dir);
	mkdir(rdir, 0700);
	char *rx = xasprintf("%s/x", rdir);
	mkdir(rx, 0700);
	char *ry = xasprintf("%s/y.json", rx);
	write_file(ry, "{\"type\":\"integer\"}");

	js_registry *r = js_registry_new();
	char *err = NULL;
	const char *datadir = getenv("SGP_DATADIR");
	char *schemas = xasprintf("%s/schemas", datadir ? datadir : ".");
	CHECK_INT(js_registry_load_meta(r, schemas, &err), 0);
	CHECK_INT(js_registry_add_dir(r, dir, &err), 2);
	CHECK(js_registry_has(r, "urn:sgp:schema:common/1"));
	CHECK(js_registry_has(r, "urn:sgp:schema:common/1#/$defs/money"));
	CHECK(!js_registry_has(r, "http://remote.test/x/y.json"));
	js_registry_map_prefix(r, "http://remote.test/", rdir);
	CHECK(js_registry_has(r, "http://remote.test/x/y.json"));
	CHECK(!js_registry_has(r, "http://remote.test/../etc/passwd"));

	sgp_buf seen = SGP_BUF_INIT;
	js_registry_foreach(r, collect_uri, &seen);
	CHECK(strstr(seen.data, "urn:sgp:schema:common/1 ") != NULL);
	CHECK(strstr(seen.data, "urn:sgp:schema:invoice.posted/1 ") != NULL);
	/* in order of addition: the meta-schemas came first */
	CHECK(strstr(seen.data, "https://json-schema.org/draft/2020-12/schema ") <
	      strstr(seen.data, "urn:sgp:schema:common/1 "));
	sgp_buf_release(&seen);

	js_errors e = JS_ERRORS_INIT;
	js_schema *s = js_compile_uri(r, "urn:sgp:schema:invoice.posted/1", NULL, &e);
	CHECK(s != NULL);
	js_registry_free(r);  /* the compiled schema keeps what it needs */
	if (s) {
		CHECK_STR(js_schema_uri(s), "urn:sgp:schema:invoice.posted/1");
		CHECK_INT(valid(s, "{\"total\":\"12.50\",\"p\":\"x\",\"q\":\"y\",\"r\":3}"), 1);
		json_t *i = J("{\"total\":\"12,50\",\"p\":\"y\",\"q\":\"x\",\"r\":\"3\"}");
		CHECK_INT(js_validate(s, i, &e), 4);
		const js_error *x = find_error(&e, "/total", "pattern");
		CHECK(x != NULL);
		if (x)
			CHECK_STR(x->absolute_location, "urn:sgp:schema:common/1#/$defs/money/pattern");
		json_decref(i);
		js_schema_free(s);
	}
	js_errors_release(&e);

	/* duplicate $id with different content is an error */
	r = js_registry_new();
	char *dup = xasprintf("%s/dup.json", sub);
	write_file(dup, "{\"$id\":\"urn:sgp:schema:common/1\",\"type\":\"string\"}");
	CHECK_INT(js_registry_add_dir(r, dir, &err), -1);
	CHECK(err && strstr(err, "duplicate schema $id") != NULL);
	free(err);
	err = NULL;
	js_registry_free(r);
	/* missing meta-schema directory */
	r = js_registry_new();
	CHECK_INT(js_registry_load_meta(r, dir, &err), -1);
	free(err);
	js_registry_free(r);

	unlink(dup);
	unlink(ry);
	rmdir(rx);
	rmdir(rdir);
	unlink(ev);
	unlink(common);
	rmdir(sub);
	rmdir(dir);
	free(dup);
	free(ry);
	free(rx);
	free(rdir);
	free(ev);
	free(common);
	free(sub);
	free(schemas);
}

TEST(check_schema_reports_problems)
{
	js_errors e = JS_ERRORS_INIT;
	json_t *s = J("{\"type\":\"object\",\"properties\":{\"a\":{\"type\":5,\"minLength\":\"x\"}}}");
	CHECK(js_check_schema(reg, s, NULL, NULL, &e) >= 2);
	CHECK(find_error(&e, "/properties/a/type", "anyOf") != NULL ||
	      find_error(&e, "/properties/a/type", "type") != NULL);
	CHECK(find_error(&e, "/properties/a/minLength", "type") != NULL);
	json_decref(s);
	js_errors_clear(&e);

	/* meta-valid, but the pattern is not ECMA-262: the compile step says so */
	s = J("{\"pattern\":\"(?i)x\"}");
	CHECK_INT(js_check_schema(reg, s, NULL, NULL, &e), 1);
	CHECK(e.n && strstr(e.v[0].message, "invalid regular expression") != NULL);
	json_decref(s);
	js_errors_clear(&e);

	s = J("{\"$schema\":\"http://json-schema.org/draft-07/schema#\",\"type\":\"string\","
	      "\"definitions\":{\"x\":{\"minimum\":\"1\"}}}");
	CHECK_INT(js_check_schema(reg, s, NULL, NULL, &e), 1);
	json_decref(s);
	js_errors_clear(&e);

	s = J("{\"type\":\"string\",\"maxLength\":3}");
	CHECK_INT(js_check_schema(reg, s, NULL, NULL, &e), 0);
	json_decref(s);
	s = J("{\"$schema\":\"https://example.com/unknown\"}");
	CHECK(js_check_schema(reg, s, NULL, NULL, &e) >= 1);
	json_decref(s);
	js_errors_release(&e);
}

TEST(boolean_schemas_and_false_messages)
{
	CHECK_INT(valid_in("true", "{\"any\":1}"), 1);
	CHECK_INT(valid_in("false", "null"), 0);
	js_schema *s = compile("{\"prefixItems\":[true],\"items\":false}");
	CHECK(s != NULL);
	if (!s)
		return;
	json_t *i = J("[1,2]");
	js_errors e = JS_ERRORS_INIT;
	CHECK_INT(js_validate(s, i, &e), 1);
	if (e.n) {
		CHECK_STR(e.v[0].instance_path, "/1");
		CHECK_STR(e.v[0].keyword_location, "/items");
		CHECK_STR(e.v[0].message, "array item 1 is not allowed");
	}
	json_decref(i);
	js_errors_release(&e);
	js_schema_free(s);
}

int main(void)
{
	const char *datadir = getenv("SGP_DATADIR");
	char *schemas = xasprintf("%s/schemas", datadir ? datadir : ".");
	char *err = NULL;

	reg = js_registry_new();
	if (js_registry_load_meta(reg, schemas, &err) < 0) {
		printf("# %s\n", err);
		free(err);
	}
	free(schemas);
	RUN(collects_every_error_with_paths);
	RUN(branch_errors_do_not_leak);
	RUN(numeric_equality);
	RUN(multiple_of_is_exact);
	RUN(lengths_count_code_points);
	RUN(ecma_regex_semantics);
	RUN(invalid_regex_error_text);
	RUN(unresolvable_ref_and_cycles);
	RUN(deep_instance_fails_cleanly);
	RUN(threads_share_a_compiled_schema);
	RUN(draft7_dialect);
	RUN(format_assertion_option);
	RUN(dynamic_ref_and_unevaluated);
	RUN(registry_dirs_prefixes_and_urns);
	RUN(check_schema_reports_problems);
	RUN(boolean_schemas_and_false_messages);
	js_registry_free(reg);
	return unit_done();
}
