/* test_compat.c: breaking-change detection between schema versions. */
#include "unit.h"

#include <unistd.h>

#include "compat.h"
#include "util.h"

static sgp_compat_report rep;
static int rc;
static char *err;

static json_t *parse(const char *text)
{
	json_error_t je;
	json_t *v = json_loads(text, JSON_DECODE_ANY, &je);

	if (v == NULL) {
		printf("# bad test JSON: %s: %s\n", text, je.text);
		exit(1);
	}
	return v;
}

/* Compare OLD and NEW (JSON texts); the report lands in rep. */
static void run_docs(const sgp_compat_docs *docs, const char *old_text, const char *new_text)
{
	json_t *o = parse(old_text), *n = parse(new_text);

	sgp_compat_report_release(&rep);
	free(err);
	err = NULL;
	rc = sgp_compat_compare(docs, o, "file:///t/old.json", n, "file:///t/new.json", &rep, &err);
	json_decref(o);
	json_decref(n);
}

static void run(const char *old_text, const char *new_text)
{
	run_docs(NULL, old_text, new_text);
}

/* Whether the report holds exactly this change. */
static int has(int breaking, const char *path, const char *message)
{
	size_t i;

	for (i = 0; i < rep.n; i++)
		if (rep.v[i].breaking == breaking && strcmp(rep.v[i].path, path) == 0 &&
		    strcmp(rep.v[i].message, message) == 0)
			return 1;
	printf("#   want %s: %s: %s; have:\n", breaking ? "breaking" : "compatible", path, message);
	for (i = 0; i < rep.n; i++)
		printf("#     %s: %s: %s\n", rep.v[i].breaking ? "breaking" : "compatible",
		       rep.v[i].path, rep.v[i].message);
	return 0;
}

#define OBJ(props, req) "{\"type\":\"object\",\"properties\":{" props "},\"required\":[" req "]}"

TEST(identical_schemas_no_change)
{
	run(OBJ("\"a\":{\"type\":\"string\",\"maxLength\":5}", "\"a\""),
	    OBJ("\"a\":{\"type\":\"string\",\"maxLength\":5}", "\"a\""));
	CHECK_INT(rc, 0);
	CHECK_INT(rep.n, 0);
	CHECK_INT(rep.nbreaking, 0);
}

TEST(annotations_ignored)
{
	run("{\"title\":\"A\",\"description\":\"x\",\"examples\":[1],\"type\":\"integer\"}",
	    "{\"title\":\"B\",\"description\":\"y\",\"examples\":[2],\"$comment\":\"c\",\"type\":\"integer\"}");
	CHECK_INT(rep.n, 0);
}

TEST(property_removed)
{
	run(OBJ("\"a\":{\"type\":\"string\"},\"b\":{\"type\":\"integer\"}", "\"a\""),
	    OBJ("\"a\":{\"type\":\"string\"}", "\"a\""));
	CHECK(has(1, "/properties/b", "property removed"));
	CHECK_INT(rep.nbreaking, 1);
	CHECK_INT(rep.n, 1);
}

TEST(property_renamed)
{
	run(OBJ("\"total\":{\"type\":\"string\",\"pattern\":\"^[0-9]+$\"}", ""),
	    OBJ("\"amount\":{\"type\":\"string\",\"pattern\":\"^[0-9]+$\"}", ""));
	CHECK(has(1, "/properties/total", "property removed (renamed to 'amount'?)"));
	CHECK(has(0, "/properties/amount", "optional property added (renamed from 'total'?)"));
}

TEST(property_newly_required)
{
	run(OBJ("\"a\":{},\"b\":{}", "\"a\""), OBJ("\"a\":{},\"b\":{}", "\"a\",\"b\""));
	CHECK(has(1, "/properties/b", "property newly required"));
	CHECK_INT(rep.n, 1);
}

TEST(required_property_added)
{
	run(OBJ("\"a\":{}", "\"a\""), OBJ("\"a\":{},\"c\":{\"type\":\"string\"}", "\"a\",\"c\""));
	CHECK(has(1, "/properties/c", "required property added"));
	CHECK_INT(rep.n, 1);
}

TEST(optional_property_added_is_compatible)
{
	run("{\"type\":\"object\",\"properties\":{\"data\":" OBJ("\"total\":{\"type\":\"string\"}", "\"total\"") "}}",
	    "{\"type\":\"object\",\"properties\":{\"data\":" OBJ("\"total\":{\"type\":\"string\"},\"memo\":{\"type\":\"string\"}", "\"total\"") "}}");
	CHECK(has(0, "/properties/data/properties/memo", "optional property added"));
	CHECK_INT(rep.nbreaking, 0);
	CHECK_INT(rep.n, 1);
}

TEST(required_removed_is_compatible)
{
	run(OBJ("\"a\":{},\"b\":{}", "\"a\",\"b\""), OBJ("\"a\":{},\"b\":{}", "\"a\""));
	CHECK(has(0, "/properties/b", "property no longer required"));
	CHECK_INT(rep.nbreaking, 0);
}

TEST(type_narrowed)
{
	run("{\"type\":\"number\"}", "{\"type\":\"integer\"}");
	CHECK(has(1, "", "type narrowed from number to integer"));
	run("{\"type\":[\"string\",\"null\"]}", "{\"type\":\"string\"}");
	CHECK(has(1, "", "type narrowed from [null, string] to string"));
	run("{}", "{\"type\":\"object\"}");
	CHECK(has(1, "", "type narrowed from any type to object"));
}

TEST(type_widened_and_changed)
{
	run("{\"type\":\"integer\"}", "{\"type\":\"number\"}");
	CHECK(has(0, "", "type widened from integer to number"));
	CHECK_INT(rep.nbreaking, 0);
	run("{\"type\":\"string\"}", "{\"type\":\"integer\"}");
	CHECK(has(1, "", "type changed from string to integer"));
}

TEST(type_implied_by_enum_not_narrowed)
{
	/* every old value was a string already: adding the type changes nothing */
	run("{\"enum\":[\"a\",\"b\"]}", "{\"type\":\"string\",\"enum\":[\"a\",\"b\"]}");
	CHECK_INT(rep.n, 0);
}

TEST(enum_value_removed_and_added)
{
	run("{\"enum\":[\"USD\",\"EUR\",\"GBP\"]}", "{\"enum\":[\"USD\",\"EUR\",\"JPY\"]}");
	CHECK(has(1, "", "enum value \"GBP\" removed"));
	CHECK(has(0, "", "enum value \"JPY\" added"));
	CHECK_INT(rep.nbreaking, 1);
}

TEST(enum_value_added_only_is_compatible)
{
	run("{\"enum\":[1,2]}", "{\"enum\":[1,2,3]}");
	CHECK(has(0, "", "enum value 3 added"));
	CHECK_INT(rep.nbreaking, 0);
	/* 2 and 2.0 are the same value */
	run("{\"enum\":[1,2]}", "{\"enum\":[1,2.0]}");
	CHECK_INT(rep.n, 0);
}

TEST(const_changed_added_removed)
{
	run("{\"const\":\"sgp.event/1\"}", "{\"const\":\"sgp.event/2\"}");
	CHECK(has(1, "", "const changed from \"sgp.event/1\" to \"sgp.event/2\""));
	run("{\"type\":\"string\"}", "{\"type\":\"string\",\"const\":\"x\"}");
	CHECK(has(1, "", "const \"x\" added"));
	run("{\"type\":\"string\",\"const\":\"x\"}", "{\"type\":\"string\"}");
	CHECK(has(0, "", "const removed (any value allowed)"));
	CHECK_INT(rep.nbreaking, 0);
	/* a const widened into an enum holding it */
	run("{\"const\":\"a\"}", "{\"enum\":[\"a\",\"b\"]}");
	CHECK(has(0, "", "enum value \"b\" added"));
	CHECK_INT(rep.nbreaking, 0);
}

TEST(numeric_bounds)
{
	run("{\"type\":\"number\",\"minimum\":0,\"maximum\":100}",
	    "{\"type\":\"number\",\"minimum\":1,\"maximum\":99.5}");
	CHECK(has(1, "", "minimum raised from 0 to 1"));
	CHECK(has(1, "", "maximum lowered from 100 to 99.5"));
	run("{\"type\":\"number\",\"minimum\":1,\"maximum\":99.5}",
	    "{\"type\":\"number\",\"minimum\":0,\"maximum\":100}");
	CHECK(has(0, "", "minimum lowered from 1 to 0"));
	CHECK(has(0, "", "maximum raised from 99.5 to 100"));
	CHECK_INT(rep.nbreaking, 0);
	run("{\"type\":\"number\"}", "{\"type\":\"number\",\"exclusiveMinimum\":0}");
	CHECK(has(1, "", "exclusiveMinimum 0 added"));
	run("{\"type\":\"number\",\"exclusiveMaximum\":10}", "{\"type\":\"number\"}");
	CHECK(has(0, "", "exclusiveMaximum 10 removed"));
	CHECK_INT(rep.nbreaking, 0);
}

TEST(real_bounds_rendered_shortest)
{
	run("{\"maximum\":2291.22}", "{\"maximum\":2291.21}");
	CHECK(has(1, "", "maximum lowered from 2291.22 to 2291.21"));
}

TEST(length_and_count_bounds)
{
	run("{\"properties\":{\"data\":{\"properties\":{\"total\":{\"type\":\"string\",\"maxLength\":40}}}}}",
	    "{\"properties\":{\"data\":{\"properties\":{\"total\":{\"type\":\"string\",\"maxLength\":20}}}}}");
	CHECK(has(1, "/properties/data/properties/total", "maxLength lowered from 40 to 20"));
	run("{\"minLength\":1}", "{\"minLength\":3}");
	CHECK(has(1, "", "minLength raised from 1 to 3"));
	run("{\"minItems\":1,\"maxItems\":500}", "{\"minItems\":2,\"maxItems\":100}");
	CHECK(has(1, "", "minItems raised from 1 to 2"));
	CHECK(has(1, "", "maxItems lowered from 500 to 100"));
	run("{\"minProperties\":1,\"maxProperties\":5}", "{\"minProperties\":0,\"maxProperties\":9}");
	CHECK(has(0, "", "minProperties lowered from 1 to 0"));
	CHECK(has(0, "", "maxProperties raised from 5 to 9"));
	CHECK_INT(rep.nbreaking, 0);
	run("{}", "{\"maxProperties\":9}");
	CHECK(has(1, "", "maxProperties 9 added"));
}

TEST(pattern_added_changed_removed)
{
	run("{\"type\":\"string\"}", "{\"type\":\"string\",\"pattern\":\"^[A-Z]+$\"}");
	CHECK(has(1, "", "pattern \"^[A-Z]+$\" added"));
	run("{\"pattern\":\"^[0-9]+$\"}", "{\"pattern\":\"^[0-9]{1,4}$\"}");
	CHECK(has(1, "", "pattern changed from \"^[0-9]+$\" to \"^[0-9]{1,4}$\""));
	run("{\"pattern\":\"^[0-9]+$\"}", "{}");
	CHECK(has(0, "", "pattern \"^[0-9]+$\" removed"));
	CHECK_INT(rep.nbreaking, 0);
}

TEST(format_added)
{
	run("{\"type\":\"string\"}", "{\"type\":\"string\",\"format\":\"date-time\"}");
	CHECK(has(1, "", "format \"date-time\" added"));
	run("{\"format\":\"date\"}", "{\"format\":\"date-time\"}");
	CHECK(has(1, "", "format changed from \"date\" to \"date-time\""));
}

TEST(multiple_of)
{
	run("{\"multipleOf\":0.01}", "{\"multipleOf\":0.05}");
	CHECK(has(1, "", "multipleOf changed from 0.01 to 0.05"));
	run("{\"multipleOf\":0.05}", "{\"multipleOf\":0.01}");
	CHECK(has(0, "", "multipleOf changed from 0.05 to 0.01"));
	CHECK_INT(rep.nbreaking, 0);
}

TEST(unique_items)
{
	run("{\"type\":\"array\"}", "{\"type\":\"array\",\"uniqueItems\":true}");
	CHECK(has(1, "", "uniqueItems required"));
}

TEST(additional_properties_closed)
{
	run(OBJ("\"a\":{}", ""), "{\"type\":\"object\",\"properties\":{\"a\":{}},\"required\":[],\"additionalProperties\":false}");
	CHECK(has(1, "", "additionalProperties closed (false)"));
	run("{\"additionalProperties\":false}", "{\"additionalProperties\":true}");
	CHECK(has(0, "", "additionalProperties opened"));
	CHECK_INT(rep.nbreaking, 0);
	run("{\"additionalProperties\":{\"type\":\"string\"}}", "{\"additionalProperties\":{\"type\":\"string\",\"maxLength\":3}}");
	CHECK(has(1, "/additionalProperties", "maxLength 3 added"));
	run("{\"unevaluatedProperties\":true}", "{\"unevaluatedProperties\":false}");
	CHECK(has(1, "", "unevaluatedProperties closed (false)"));
}

TEST(items_recursive)
{
	run("{\"type\":\"array\",\"items\":" OBJ("\"sku\":{\"type\":\"string\"},\"qty\":{\"type\":\"integer\"}", "\"sku\"") "}",
	    "{\"type\":\"array\",\"items\":" OBJ("\"sku\":{\"type\":\"string\",\"maxLength\":8}", "\"sku\"") "}");
	CHECK(has(1, "/items/properties/sku", "maxLength 8 added"));
	CHECK(has(1, "/items/properties/qty", "property removed"));
	run("{\"prefixItems\":[{\"type\":\"string\"}]}", "{\"prefixItems\":[{\"type\":\"integer\"}]}");
	CHECK(has(1, "/prefixItems/0", "type changed from string to integer"));
}

TEST(local_refs_followed)
{
	run("{\"$defs\":{\"money\":{\"type\":\"string\",\"pattern\":\"^[0-9]+\\\\.[0-9]{2}$\"}},"
	    "\"properties\":{\"total\":{\"$ref\":\"#/$defs/money\"},\"tax\":{\"$ref\":\"#/$defs/money\"}}}",
	    "{\"$defs\":{\"money\":{\"type\":\"string\",\"pattern\":\"^[0-9]+\\\\.[0-9]{2}$\",\"maxLength\":20}},"
	    "\"properties\":{\"total\":{\"$ref\":\"#/$defs/money\"},\"tax\":{\"$ref\":\"#/$defs/money\"}}}");
	CHECK_INT(rc, 0);
	CHECK(has(1, "/properties/total", "maxLength 20 added"));
	CHECK(has(1, "/properties/tax", "maxLength 20 added"));
	CHECK_INT(rep.n, 2);
}

TEST(refs_into_store_and_allof)
{
	sgp_compat_docs *d = sgp_compat_docs_new();
	json_t *common = parse("{\"$id\":\"urn:sgp:schema:common/1\",\"$defs\":{"
			       "\"currency\":{\"type\":\"string\",\"pattern\":\"^[A-Z]{3}$\"},"
			       "\"money\":{\"type\":\"string\"}}}");
	json_t *env = parse("{\"$id\":\"urn:sgp:schema:envelope/1\",\"type\":\"object\","
			    "\"required\":[\"spec\",\"type\"],\"properties\":{\"spec\":{\"const\":\"sgp.event/1\"},"
			    "\"type\":{\"type\":\"string\"}}}");

	CHECK_INT(sgp_compat_docs_add(d, common, NULL), 0);
	CHECK_INT(sgp_compat_docs_add(d, env, NULL), 0);
	CHECK(sgp_compat_docs_get(d, "urn:sgp:schema:common/1") != NULL);
	/* NEW moves "currency" from a shared definition to its own tighter
	 * one, and requires the data member through the envelope allOf */
	run_docs(d,
		 "{\"$id\":\"urn:sgp:schema:x.posted/1\",\"allOf\":[{\"$ref\":\"urn:sgp:schema:envelope/1\"}],"
		 "\"properties\":{\"data\":{\"type\":\"object\",\"properties\":{"
		 "\"currency\":{\"$ref\":\"urn:sgp:schema:common/1#/$defs/currency\"},"
		 "\"total\":{\"$ref\":\"urn:sgp:schema:common/1#/$defs/money\"}}}}}",
		 "{\"$id\":\"urn:sgp:schema:x.posted/2\",\"allOf\":[{\"$ref\":\"urn:sgp:schema:envelope/1\"},"
		 "{\"required\":[\"data\"]}],"
		 "\"properties\":{\"data\":{\"type\":\"object\",\"properties\":{"
		 "\"currency\":{\"enum\":[\"USD\",\"EUR\"]},"
		 "\"total\":{\"$ref\":\"urn:sgp:schema:common/1#/$defs/money\"}}}}}");
	CHECK_INT(rc, 0);
	CHECK(has(1, "/properties/data", "property newly required"));
	CHECK(has(1, "/properties/data/properties/currency", "enum [\"USD\",\"EUR\"] added (values restricted)"));
	CHECK(has(0, "/properties/data/properties/currency", "pattern \"^[A-Z]{3}$\" removed"));
	/* the shared money definition is the same document on both sides */
	for (size_t i = 0; i < rep.n; i++)
		CHECK(strstr(rep.v[i].path, "total") == NULL);
	json_decref(common);
	json_decref(env);
	sgp_compat_docs_free(d);
}

TEST(recursive_schema_terminates)
{
	run("{\"$defs\":{\"node\":{\"type\":\"object\",\"properties\":{\"name\":{\"type\":\"string\"},"
	    "\"children\":{\"type\":\"array\",\"items\":{\"$ref\":\"#/$defs/node\"}}}}},\"$ref\":\"#/$defs/node\"}",
	    "{\"$defs\":{\"node\":{\"type\":\"object\",\"properties\":{\"name\":{\"type\":\"string\",\"maxLength\":10},"
	    "\"children\":{\"type\":\"array\",\"items\":{\"$ref\":\"#/$defs/node\"}}}}},\"$ref\":\"#/$defs/node\"}");
	CHECK_INT(rc, 0);
	CHECK(has(1, "/properties/name", "maxLength 10 added"));
	CHECK(has(1, "/properties/children/items/properties/name", "maxLength 10 added"));
	/* a reference cycle that never consumes anything */
	run("{\"$defs\":{\"a\":{\"$ref\":\"#/$defs/b\"},\"b\":{\"$ref\":\"#/$defs/a\"}},\"$ref\":\"#/$defs/a\"}",
	    "{\"$defs\":{\"a\":{\"$ref\":\"#/$defs/b\"},\"b\":{\"$ref\":\"#/$defs/a\"}},\"$ref\":\"#/$defs/a\"}");
	CHECK_INT(rc, 0);
	CHECK_INT(rep.n, 0);
}

TEST(unresolvable_reference_is_an_error)
{
	run("{\"$ref\":\"urn:sgp:schema:nowhere/1#/x\"}", "{}");
	CHECK_INT(rc, -1);
	CHECK(err != NULL && strstr(err, "urn:sgp:schema:nowhere/1#/x") != NULL);
	run("{\"$ref\":\"#/$defs/missing\"}", "{}");
	CHECK_INT(rc, -1);
	CHECK(err != NULL && strstr(err, "#/$defs/missing") != NULL);
}

TEST(relative_refs_and_anchors)
{
	sgp_compat_docs *d = sgp_compat_docs_new();
	json_t *defs = parse("{\"$defs\":{\"id\":{\"$anchor\":\"extid\",\"type\":\"string\",\"maxLength\":64}}}");

	CHECK_INT(sgp_compat_docs_add(d, defs, "https://example.test/s/defs.json"), 0);
	run_docs(d,
		 "{\"$id\":\"https://example.test/s/a.json\",\"properties\":{\"id\":{\"$ref\":\"defs.json#extid\"}}}",
		 "{\"$id\":\"https://example.test/s/a.json\",\"properties\":{\"id\":{\"$ref\":\"./defs.json#/$defs/id\",\"minLength\":1}}}");
	CHECK_INT(rc, 0);
	CHECK(has(1, "/properties/id", "minLength 1 added"));
	CHECK_INT(rep.n, 1);
	json_decref(defs);
	sgp_compat_docs_free(d);
}

TEST(alternatives)
{
	run("{\"anyOf\":[{\"type\":\"string\"},{\"type\":\"null\"}]}", "{\"anyOf\":[{\"type\":\"string\"}]}");
	CHECK(has(1, "/anyOf/1", "anyOf alternative removed"));
	run("{\"anyOf\":[{\"type\":\"string\"}]}", "{\"anyOf\":[{\"type\":\"string\"},{\"type\":\"null\"}]}");
	CHECK(has(0, "/anyOf/1", "anyOf alternative added"));
	CHECK_INT(rep.nbreaking, 0);
	run("{\"oneOf\":[{\"type\":\"string\"},{\"type\":\"integer\"}]}",
	    "{\"oneOf\":[{\"type\":\"string\",\"maxLength\":3},{\"type\":\"integer\"}]}");
	CHECK(has(1, "/oneOf/0", "maxLength 3 added"));
}

TEST(unanalysed_keywords_reported)
{
	run("{\"not\":{\"type\":\"null\"}}", "{\"not\":{\"type\":\"string\"}}");
	CHECK(has(1, "", "not changed (not analysed; review by hand)"));
	run("{\"not\":{\"type\":\"null\"}}", "{\"not\":{\"type\":\"null\"}}");
	CHECK_INT(rep.n, 0);
	run("{}", "{\"dependentRequired\":{\"a\":[\"b\"]}}");
	CHECK(has(1, "", "dependentRequired added (not analysed; review by hand)"));
}

TEST(false_schema)
{
	run("{\"properties\":{\"a\":true}}", "{\"properties\":{\"a\":false}}");
	CHECK(has(1, "/properties/a", "schema is now false (refuses every value)"));
	run("false", "true");
	CHECK(has(0, "", "schema was false, now accepts values"));
}

TEST(docs_add_dir)
{
	char dir[] = "/tmp/test_compat.XXXXXX";
	char *p, *e = NULL;
	FILE *f;
	sgp_compat_docs *d = sgp_compat_docs_new();

	CHECK(mkdtemp(dir) != NULL);
	p = xasprintf("%s/a.json", dir);
	f = fopen(p, "w");
	fputs("{\"$id\":\"urn:t:a\",\"type\":\"string\"}", f);
	fclose(f);
	free(p);
	p = xasprintf("%s/no-id.json", dir);
	f = fopen(p, "w");
	fputs("{\"type\":\"string\"}", f);
	fclose(f);
	free(p);
	CHECK_INT(sgp_compat_docs_add_dir(d, dir, &e), 1);
	CHECK(sgp_compat_docs_get(d, "urn:t:a") != NULL);
	p = xasprintf("%s/bad.json", dir);
	f = fopen(p, "w");
	fputs("{\"$id\":", f);
	fclose(f);
	CHECK_INT(sgp_compat_docs_add_dir(d, dir, &e), -1);
	CHECK(e != NULL && strstr(e, "bad.json") != NULL);
	free(e);
	unlink(p);
	free(p);
	p = xasprintf("rm -rf '%s'", dir);
	CHECK_INT(system(p), 0);
	free(p);
	sgp_compat_docs_free(d);
}

int main(void)
{
	RUN(identical_schemas_no_change);
	RUN(annotations_ignored);
	RUN(property_removed);
	RUN(property_renamed);
	RUN(property_newly_required);
	RUN(required_property_added);
	RUN(optional_property_added_is_compatible);
	RUN(required_removed_is_compatible);
	RUN(type_narrowed);
	RUN(type_widened_and_changed);
	RUN(type_implied_by_enum_not_narrowed);
	RUN(enum_value_removed_and_added);
	RUN(enum_value_added_only_is_compatible);
	RUN(const_changed_added_removed);
	RUN(numeric_bounds);
	RUN(real_bounds_rendered_shortest);
	RUN(length_and_count_bounds);
	RUN(pattern_added_changed_removed);
	RUN(format_added);
	RUN(multiple_of);
	RUN(unique_items);
	RUN(additional_properties_closed);
	RUN(items_recursive);
	RUN(local_refs_followed);
	RUN(refs_into_store_and_allof);
	RUN(recursive_schema_terminates);
	RUN(unresolvable_reference_is_an_error);
	RUN(relative_refs_and_anchors);
	RUN(alternatives);
	RUN(unanalysed_keywords_reported);
	RUN(false_schema);
	RUN(docs_add_dir);
	sgp_compat_report_release(&rep);
	free(err);
	return unit_done();
}
