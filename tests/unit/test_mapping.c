/* test_mapping.c: the mapping engine (mapping.h): pointers, templates,
 * spec errors, applying, envelopes, examples, field lists, threads. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "envelope.h"
#include "jsonschema.h"
#include "map_internal.h"
#include "mapping.h"
#include "unit.h"

/* Compile a spec given as JSON text; NULL with the error in *err. */
static sgp_mapping *spec(const char *text, char **err)
{
	json_error_t je;
	json_t *j = json_loads(text, 0, &je);
	sgp_mapping *m;

	*err = NULL;
	if (j == NULL) {
		*err = xasprintf("test spec does not parse: %s", je.text);
		return NULL;
	}
	m = sgp_mapping_compile(j, "t.json", NULL, NULL, err);
	json_decref(j);
	return m;
}

/* The error text of a spec that must not compile ("" if it compiled). */
static char *spec_error(const char *text)
{
	char *err;
	sgp_mapping *m = spec(text, &err);

	if (m) {
		sgp_mapping_free(m);
		return xstrdup("");
	}
	return err;
}

/* Apply m to the record (JSON text) as plain type T; returns the output
 * (caller frees) and the status. */
static char *apply(const sgp_mapping *m, const char *rec, const char *type,
		   enum sgp_map_status *st, sgp_map_ctx *c)
{
	json_t *j = json_loads(rec, 0, NULL);
	sgp_buf out = SGP_BUF_INIT;

	*st = sgp_mapping_apply(m, c, j, type, &out, NULL);
	json_decref(j);
	sgp_buf_addc(&out, '\0');
	return sgp_buf_detach(&out, NULL);
}

#define HEAD "{\"spec\":\"sgp.mapping/1\",\"mapping\":\"m\",\"match\":{\"type\":\"a.b\"},\"record\":{\"id\":\"/id\"},"
#define EMIT(data) "\"emit\":{\"type\":\"x.y\",\"occurred_at\":{\"const\":\"2026-11-01T00:00:00Z\"},\"data\":" data "}}"

TEST(pointers)
{
	json_t *doc = json_loads("{\"a\":{\"b/c\":1,\"d~e\":2,\"\":3},\"arr\":[10,{\"id\":7,\"v\":\"x\"},{\"id\":\"k\",\"v\":\"y\"}]}", 0, NULL);
	struct map_ptr p;
	char err[256];

	CHECK(map_ptr_compile(&p, "/a/b~1c", NULL, err, sizeof err) == 0);
	CHECK_INT(json_integer_value(map_ptr_get(&p, doc, NULL, NULL)), 1);
	map_ptr_release(&p);
	CHECK(map_ptr_compile(&p, "/a/d~0e", NULL, err, sizeof err) == 0);
	CHECK_INT(json_integer_value(map_ptr_get(&p, doc, NULL, NULL)), 2);
	map_ptr_release(&p);
	CHECK(map_ptr_compile(&p, "/a/", NULL, err, sizeof err) == 0);
	CHECK_INT(json_integer_value(map_ptr_get(&p, doc, NULL, NULL)), 3);
	map_ptr_release(&p);
	CHECK(map_ptr_compile(&p, "/arr/0", NULL, err, sizeof err) == 0);
	CHECK_INT(json_integer_value(map_ptr_get(&p, doc, NULL, NULL)), 10);
	map_ptr_release(&p);
	CHECK(map_ptr_compile(&p, "/arr/01", NULL, err, sizeof err) == 0);   /* not an index */
	CHECK(map_ptr_get(&p, doc, NULL, NULL) == NULL);
	map_ptr_release(&p);
	CHECK(map_ptr_compile(&p, "/arr/[id=7]/v", NULL, err, sizeof err) == 0);
	CHECK_STR(json_string_value(map_ptr_get(&p, doc, NULL, NULL)), "x");
	map_ptr_release(&p);
	CHECK(map_ptr_compile(&p, "/arr/[id=k]/v", NULL, err, sizeof err) == 0);
	CHECK_STR(json_string_value(map_ptr_get(&p, doc, NULL, NULL)), "y");
	map_ptr_release(&p);
	CHECK(map_ptr_compile(&p, "/arr/[id=8]/v", NULL, err, sizeof err) == 0);
	CHECK(map_ptr_get(&p, doc, NULL, NULL) == NULL);
	map_ptr_release(&p);
	CHECK(map_ptr_compile(&p, "", NULL, err, sizeof err) == 0);
	CHECK(map_ptr_get(&p, doc, NULL, NULL) == doc);
	map_ptr_release(&p);
	/* scopes */
	CHECK(map_ptr_compile(&p, "record:/arr/0", NULL, err, sizeof err) == 0);
	CHECK(map_ptr_get(&p, NULL, doc, NULL) == json_array_get(json_object_get(doc, "arr"), 0));
	CHECK(map_ptr_get(&p, doc, NULL, NULL) == NULL);
	map_ptr_release(&p);
	CHECK(map_ptr_compile(&p, "event:/a", NULL, err, sizeof err) == 0);
	CHECK(map_ptr_get(&p, NULL, NULL, doc) == json_object_get(doc, "a"));
	map_ptr_release(&p);
	/* errors */
	CHECK(map_ptr_compile(&p, "a/b", NULL, err, sizeof err) < 0);
	CHECK(strstr(err, "must start with '/'") != NULL);
	map_ptr_release(&p);
	CHECK(map_ptr_compile(&p, "/a~2", NULL, err, sizeof err) < 0);
	CHECK(strstr(err, "'~' must be followed by 0 or 1") != NULL);
	map_ptr_release(&p);
	CHECK(map_ptr_compile(&p, "param:nope", doc, err, sizeof err) < 0);
	CHECK(strstr(err, "no parameter 'nope'") != NULL);
	map_ptr_release(&p);
	json_decref(doc);
}

TEST(templates)
{
	struct map_tpl t;
	char err[256];

	CHECK(map_tpl_compile(&t, "INV-{/n}/{{x}}", NULL, err, sizeof err) == 0);
	CHECK_INT(t.nseg, 3);
	CHECK_STR(t.seg[0].lit, "INV-");
	CHECK(t.seg[1].lit == NULL && strcmp(t.seg[1].ptr.text, "/n") == 0);
	CHECK_STR(t.seg[2].lit, "/{x}");
	map_tpl_release(&t);
	CHECK(map_tpl_compile(&t, "a{/b", NULL, err, sizeof err) < 0);
	CHECK(strstr(err, "'{' without '}'") != NULL);
	map_tpl_release(&t);
	CHECK(map_tpl_compile(&t, "a}b", NULL, err, sizeof err) < 0);
	CHECK(strstr(err, "'}' without '{'") != NULL);
	map_tpl_release(&t);
	CHECK(map_tpl_compile(&t, "{x}", NULL, err, sizeof err) < 0);
	map_tpl_release(&t);
}

TEST(hash_table)
{
	struct map_hash h;
	char keys[200][8];
	size_t i, old = 0;

	map_hash_init(&h, 2);
	for (i = 0; i < 200; i++) {
		snprintf(keys[i], sizeof keys[i], "k%zu", i);
		CHECK(map_hash_put(&h, keys[i], strlen(keys[i]), i, NULL) == 0);
	}
	for (i = 0; i < 200; i++)
		CHECK_INT(map_hash_get(&h, keys[i], strlen(keys[i])), i);
	CHECK(map_hash_get(&h, "k200", 4) == (size_t)-1);
	CHECK(map_hash_put(&h, "k7", 2, 99, &old) < 0);
	CHECK_INT(old, 7);
	map_hash_release(&h);
}

TEST(time_patterns)
{
	sgp_time t;
	const char *why = NULL;
	char b[SGP_TIME_BUFSZ];

#define PAT(pat, off, text, want) do { \
	CHECK(map_time_parse_pattern(pat, off, text, strlen(text), &t, &why) == 0); \
	sgp_time_format(t, b, sizeof b); \
	CHECK_STR(b, want); \
} while (0)
	PAT("%m/%d/%Y %I:%M %p", 0, "11/1/2026 3:45 pm", "2026-11-01T15:45:00Z");
	PAT("%m/%d/%Y %I:%M %p", 0, "11/01/2026 12:05 AM", "2026-11-01T00:05:00Z");
	PAT("%m/%d/%Y %I:%M %p", 0, "11/01/2026 12:05 PM", "2026-11-01T12:05:00Z");
	PAT("%d %b %Y", 0, "3 Nov 2026", "2026-11-03T00:00:00Z");
	PAT("%d %B %Y", 0, "3 november 2026", "2026-11-03T00:00:00Z");
	PAT("%F %T%z", 0, "2026-11-01 12:00:00+0530", "2026-11-01T06:30:00Z");
	PAT("%F %T.%f", 0, "2026-11-01 12:00:00.25", "2026-11-01T12:00:00.250Z");
	PAT("%d.%m.%y", 3600, "01.11.26", "2026-10-31T23:00:00Z");
	PAT("%Y%m%d", 0, "20261101", "2026-11-01T00:00:00Z");
#undef PAT
	CHECK(map_time_parse_pattern("%m/%d/%Y", 0, "13/01/2026", 10, &t, &why) < 0);
	CHECK(map_time_parse_pattern("%m/%d/%Y", 0, "02/30/2026", 10, &t, &why) < 0);
	CHECK(map_time_parse_pattern("%m/%d/%Y", 0, "11/01/2026x", 11, &t, &why) < 0);
	CHECK_STR(why, "does not match the format pattern");
	CHECK(map_time_parse_pattern("%m/%d/%Y %I", 0, "11/01/2026 3", 12, &t, &why) < 0);
	CHECK(map_time_pattern_check("%Y-%m-%d", &why) == 0);
	CHECK(map_time_pattern_check("%Y-%m-%d %Q", &why) < 0);
	CHECK(strstr(why, "unknown directive '%Q'") != NULL);
	CHECK(map_time_pattern_check("%H:%M", &why) < 0);
}

TEST(spec_errors)
{
	char *e;

#define ERR(text, want) do { \
	e = spec_error(text); \
	if (strstr(e, want) == NULL) \
		printf("#   got: %s\n", e); \
	CHECK(strstr(e, want) != NULL); \
	free(e); \
} while (0)
	ERR("[1]", "t.json: /: a mapping spec is a JSON object");
	ERR("{\"spec\":\"sgp.mapping/2\"}", "t.json: /spec: expected \"spec\": \"sgp.mapping/1\"");
	ERR("{\"spec\":\"sgp.mapping/1\",\"mapping\":\"a b\"}", "/mapping:");
	ERR("{\"spec\":\"sgp.mapping/1\",\"mapping\":\"m\",\"emitt\":1}", "unknown member 'emitt' in a mapping spec");
	ERR("{\"spec\":\"sgp.mapping/1\",\"mapping\":\"m\",\"match\":{\"type\":\"Stripe\"},\"emit\":{}}", "/match/type: 'Stripe' is not an event type");
	ERR(HEAD EMIT("{\"a\":{\"convert\":\"string\"}}"), "/emit/data/a: a field rule needs one source");
	ERR(HEAD EMIT("{\"a\":{\"from\":\"/a\",\"const\":1}}"), "takes only one of from, const");
	ERR(HEAD EMIT("{\"a\":{\"from\":\"/a\",\"convert\":\"money\"}}"), "/emit/data/a/currency: money needs \"currency\"");
	ERR(HEAD EMIT("{\"a\":{\"from\":\"/a\",\"convert\":\"money\",\"currency\":\"usd\"}}"), "'usd' is not an ISO 4217 currency code");
	ERR(HEAD EMIT("{\"a\":{\"from\":\"/a\",\"convert\":\"money\",\"currency\":\"USD\",\"round\":\"bankers\"}}"), "\"round\" is one of");
	ERR(HEAD EMIT("{\"a\":{\"from\":\"/a\",\"convert\":\"time\",\"format\":\"%Q\"}}"), "unknown directive '%Q'");
	ERR(HEAD EMIT("{\"a\":{\"from\":\"/a\",\"currency\":\"USD\"}}"), "\"currency\" needs a \"convert\"");
	ERR(HEAD EMIT("{\"a\":{\"from\":\"/a\",\"convert\":\"integer\",\"scale\":2}}"), "\"scale\" applies only to money and decimal");
	ERR(HEAD EMIT("{\"a\":{\"from\":\"/a\",\"convert\":\"decimal\",\"to\":\"minor\"}}"), "\"to\" of decimal is one of string, number");
	ERR(HEAD EMIT("{\"a\":{\"each\":\"/a\"}}"), "\"each\" needs \"fields\"");
	ERR(HEAD EMIT("{\"a\":{\"fields\":{},\"map\":{\"x\":1}}}"), "\"map\" cannot be used with \"fields\"");
	ERR(HEAD EMIT("{\"a\":{\"from\":\"/a\",\"map_miss\":\"keep\"}}"), "\"map_miss\" applies only with \"map\"");
	ERR(HEAD EMIT("{\"a\":{\"from\":\"/a\",\"when\":{\"path\":\"/a\"}}}"), "needs exactly one test of");
	ERR(HEAD EMIT("{\"a\":{\"from\":\"/a\",\"when\":{\"path\":\"/a\",\"gt\":\"x\"}}}"), "\"gt\" takes a number or a decimal string");
	ERR(HEAD EMIT("{\"a\":{\"from\":\"/a\",\"when\":{\"path\":\"/a\",\"gt\":{\"param\":\"t\"}}}}"), "no parameter 't'");
	ERR(HEAD "\"emit\":{\"type\":\"x.y\",\"when\":{\"emits\":\"x.y\"},\"data\":{}}}", "\"emits\" is only allowed in a field's \"when\"");
	ERR(HEAD "\"emit\":{\"type\":{\"if\":{\"path\":\"/a\",\"exists\":true},\"then\":\"x.y\"},\"data\":{}}}", "{\"if\": condition, \"then\": type, \"else\": type}");
	ERR(HEAD "\"emit\":{\"type\":\"x.y\",\"occurred_at\":{\"from\":\"/t\",\"convert\":\"date\"},\"data\":{}}}", "its conversion must be \"time\"");
	ERR(HEAD "\"emit\":{\"type\":\"x.y\",\"data\":{}},\"examples\":[{\"input\":{}}]}", "/examples/0: an example needs either \"output\"");
	ERR(HEAD "\"params\":{\"p\":[1]},\"emit\":{\"type\":\"x.y\",\"data\":{}}}", "/params/p: a parameter is a string, number or boolean");
	ERR(HEAD "\"lookups\":{\"t\":{\"file\":\"x.csv\"}},\"emit\":{\"type\":\"x.y\",\"data\":{}}}", "/lookups/t: a lookup table is");
#undef ERR
	/* a spec that is fine */
	e = spec_error(HEAD EMIT("{\"a\":\"/a\"}"));
	CHECK_STR(e, "");
	free(e);
}

TEST(apply_and_envelope)
{
	char *err, *out;
	enum sgp_map_status st;
	sgp_map_ctx *c = sgp_map_ctx_new();
	sgp_mapping *m = spec(HEAD "\"emit\":[{\"type\":\"x.y\",\"occurred_at\":{\"from\":\"/t\",\"convert\":\"time\"},"
			      "\"data\":{\"n\":{\"from\":\"/n\",\"convert\":\"money\",\"unit\":\"minor\",\"currency\":\"/c\"},"
			      "\"s\":{\"from\":\"/s\",\"required\":false}}},"
			      "{\"type\":\"x.z\",\"when\":{\"path\":\"/n\",\"ge\":100},\"data\":{\"k\":{\"const\":[1,\"a\"]}}}]}",
			      &err);
	const char *want =
		"{\"spec\":\"sgp.event/1\",\"id\":\"evt_%s\",\"type\":\"x.y\",\"occurred_at\":\"2026-11-01T11:00:00Z\","
		"\"source\":{\"system\":\"a\",\"object\":\"b\",\"id\":\"R1\"},\"correlation_id\":\"%s\",\"causation_id\":\"%s\","
		"\"idempotency_key\":\"%s\",\"data\":{\"n\":\"0.050\"}}\n";
	char pid[SGP_EVENT_ID_SIZE], *key, eid[SGP_EVENT_ID_SIZE], *line;

	CHECK(m != NULL);
	if (m == NULL) {
		printf("#   %s\n", err);
		free(err);
		sgp_map_ctx_free(c);
		return;
	}
	out = apply(m, "{\"id\":\"R1\",\"t\":\"2026-11-01T12:00:00+01:00\",\"n\":50,\"c\":\"kwd\",\"s\":null}", "a.b", &st, c);
	CHECK_INT(st, SGP_MAP_DONE);
	/* the identity sgp-pull gives the record, then the derived key */
	sgp_event_id(pid, "a", "b", "R1", NULL);
	key = sgp_idempotency_key_derived("m", "a:b:R1", 0);
	sgp_event_id_from_key(eid, key);
	line = xasprintf(want, eid + 4, pid, pid, key);
	{
		char *nl = strchr(out, '\n');
		size_t first = nl ? (size_t)(nl - out + 1) : strlen(out);

		CHECK_STR(out, line);
		CHECK_INT(first, strlen(out));   /* n < 100: the second emit is skipped */
	}
	free(line);
	free(key);
	free(out);
	/* the second emit needs occurred_at: a plain record has none -> error */
	out = apply(m, "{\"id\":\"R1\",\"t\":\"2026-11-01T12:00:00Z\",\"n\":150,\"c\":\"usd\"}", "a.b", &st, c);
	CHECK_INT(st, SGP_MAP_ERROR);
	CHECK_STR(out, "");
	CHECK_STR(sgp_map_ctx_reason(c), "mapping");
	{
		json_t *errs = sgp_map_ctx_errors(c);

		CHECK_INT(json_array_size(errs), 1);
		CHECK_STR(json_string_value(json_object_get(json_array_get(errs, 0), "path")), "/occurred_at");
		json_decref(errs);
	}
	free(out);
	/* not the mapping's type, and no type for a plain record */
	out = apply(m, "{\"id\":\"R1\"}", "a.c", &st, c);
	CHECK_INT(st, SGP_MAP_NOMATCH);
	free(out);
	out = apply(m, "{\"id\":\"R1\"}", NULL, &st, c);
	CHECK_INT(st, SGP_MAP_NOMATCH);
	free(out);
	/* an event input: source, correlation and occurred_at come from it */
	out = apply(m, "{\"spec\":\"sgp.event/1\",\"id\":\"evt_in\",\"type\":\"a.b\",\"occurred_at\":\"2026-01-01T00:00:00Z\","
		    "\"source\":{\"system\":\"s\",\"object\":\"o\",\"id\":\"9\"},\"correlation_id\":\"flow\","
		    "\"idempotency_key\":\"s:o:9:1\",\"data\":{\"t\":\"2026-11-01\",\"n\":500,\"c\":\"JPY\",\"s\":\"x\\\"y\"}}",
		    NULL, &st, c);
	CHECK_INT(st, SGP_MAP_DONE);
	CHECK(strstr(out, "\"occurred_at\":\"2026-11-01T00:00:00Z\",\"source\":{\"system\":\"s\",\"object\":\"o\",\"id\":\"9\"},\"correlation_id\":\"flow\",\"causation_id\":\"evt_in\"") != NULL);
	CHECK(strstr(out, "\"data\":{\"n\":\"500\",\"s\":\"x\\\"y\"}") != NULL);
	key = sgp_idempotency_key_derived("m", "s:o:9:1", 0);
	CHECK(strstr(out, key) != NULL);
	free(key);
	/* the second emit: index 1 in its key, the input's occurred_at */
	key = sgp_idempotency_key_derived("m", "s:o:9:1", 1);
	line = xasprintf("\"type\":\"x.z\",\"occurred_at\":\"2026-01-01T00:00:00Z\"");
	CHECK(strstr(out, line) != NULL);
	CHECK(strstr(out, key) != NULL);
	CHECK(strstr(out, "\"data\":{\"k\":[1,\"a\"]}}\n") != NULL);
	free(line);
	free(key);
	free(out);
	sgp_mapping_free(m);
	sgp_map_ctx_free(c);
}

TEST(every_error_of_a_record)
{
	char *err, *out;
	enum sgp_map_status st;
	sgp_map_ctx *c = sgp_map_ctx_new();
	sgp_mapping *m = spec(HEAD EMIT("{\"a\":\"/a\",\"b\":{\"from\":\"/b\",\"convert\":\"integer\"},"
					 "\"l\":{\"each\":\"/l\",\"fields\":{\"v\":{\"from\":\"/v\",\"convert\":\"date\"}}}}"), &err);
	json_t *errs;

	CHECK(m != NULL);
	out = apply(m, "{\"id\":\"1\",\"b\":\"x\",\"l\":[{\"v\":\"2026-11-01\"},{\"v\":\"soon\"},{}]}", "a.b", &st, c);
	CHECK_INT(st, SGP_MAP_ERROR);
	errs = sgp_map_ctx_errors(c);
	CHECK_INT(json_array_size(errs), 4);
	CHECK_STR(json_string_value(json_object_get(json_array_get(errs, 0), "path")), "/data/a");
	CHECK_STR(json_string_value(json_object_get(json_array_get(errs, 1), "path")), "/data/b");
	CHECK_STR(json_string_value(json_object_get(json_array_get(errs, 2), "path")), "/data/l/1/v");
	CHECK_STR(json_string_value(json_object_get(json_array_get(errs, 3), "path")), "/data/l/2/v");
	CHECK(strstr(json_string_value(json_object_get(json_array_get(errs, 2), "message")), "/l/1/v") != NULL);
	CHECK(strstr(json_string_value(json_object_get(json_array_get(errs, 2), "message")), "'soon'") != NULL);
	CHECK(strstr(json_string_value(json_object_get(json_array_get(errs, 3), "message")), "/l/2/v is missing") != NULL);
	CHECK_STR(sgp_map_ctx_reason(c), "mapping");
	json_decref(errs);
	free(out);
	sgp_mapping_free(m);
	sgp_map_ctx_free(c);
}

TEST(examples_report_differences)
{
	char *err;
	sgp_buf msgs = SGP_BUF_INIT;
	size_t n = 0, failed;
	sgp_mapping *m = spec(HEAD EMIT("{\"a\":\"/a\",\"n\":{\"from\":\"/n\",\"convert\":\"money\",\"currency\":\"USD\"}}")
		"", &err);

	CHECK(m != NULL);
	sgp_mapping_free(m);
	m = spec(HEAD "\"emit\":{\"type\":\"x.y\",\"occurred_at\":{\"const\":\"2026-11-01T00:00:00Z\"},"
		 "\"data\":{\"a\":\"/a\",\"n\":{\"from\":\"/n\",\"convert\":\"money\",\"currency\":\"USD\"}}},"
		 "\"examples\":["
		 "{\"name\":\"good\",\"input\":{\"id\":\"1\",\"a\":\"x\",\"n\":2.5},\"output\":[{\"type\":\"x.y\",\"data\":{\"a\":\"x\",\"n\":\"2.50\"}}]},"
		 "{\"name\":\"wrong\",\"input\":{\"id\":\"2\",\"a\":\"x\",\"n\":2.5},\"output\":[{\"type\":\"x.y\",\"occurred_at\":\"2026-11-02T00:00:00Z\",\"data\":{\"a\":\"y\",\"n\":\"2.50\",\"z\":1}}]},"
		 "{\"input\":{\"id\":\"3\",\"n\":1},\"reject\":{\"reason\":\"mapping\",\"paths\":[\"/data/a\"]}},"
		 "{\"input\":{\"id\":\"4\",\"a\":\"x\",\"n\":1},\"reject\":{\"reason\":\"money\"}},"
		 "{\"input\":{\"id\":\"5\",\"a\":\"x\",\"n\":1.005},\"output\":[]},"
		 "{\"type\":\"q.r\",\"input\":{\"id\":\"6\"},\"output\":[]},"
		 "{\"name\":\"nomatch\",\"type\":\"q.r\",\"input\":{\"id\":\"7\"},\"output\":[{\"type\":\"x.y\",\"data\":{}}]}]}", &err);
	CHECK(m != NULL);
	if (m == NULL) {
		printf("#   %s\n", err);
		free(err);
		return;
	}
	failed = sgp_mapping_check_examples(m, &msgs, &n);
	CHECK_INT(n, 7);
	CHECK_INT(failed, 4);
	CHECK(strstr(msgs.data, "t.json: example 2 (wrong): event 1: /occurred_at: expected \"2026-11-02T00:00:00Z\", got \"2026-11-01T00:00:00Z\"\n") != NULL);
	CHECK(strstr(msgs.data, "t.json: example 2 (wrong): event 1: /data/a: expected \"y\", got \"x\"\n") != NULL);
	CHECK(strstr(msgs.data, "t.json: example 2 (wrong): event 1: /data/z: expected 1, got nothing\n") != NULL);
	CHECK(strstr(msgs.data, "t.json: example 4: expected a reject, got 1 event\n") != NULL);
	CHECK(strstr(msgs.data, "t.json: example 5: rejected (money): /data/n: ") != NULL);
	CHECK(strstr(msgs.data, "t.json: example 7 (nomatch): the mapping does not apply to the input") != NULL);
	CHECK(strstr(msgs.data, "example 1") == NULL && strstr(msgs.data, "example 3") == NULL);
	CHECK(strstr(msgs.data, "example 6") == NULL);
	sgp_buf_release(&msgs);
	sgp_mapping_free(m);
}

/* A text amount and a currency given by a rule that uses the same
 * scratch space: the amount survives. */
TEST(money_with_a_currency_rule)
{
	char *err, *out;
	enum sgp_map_status st;
	sgp_map_ctx *c = sgp_map_ctx_new();
	sgp_mapping *m = spec(HEAD EMIT("{\"m\":{\"template\":\"{/w}.{/f}\",\"convert\":\"money\","
					 "\"currency\":{\"template\":\"{/c1}{/c2}\",\"case\":\"upper\"}},"
					 "\"k\":{\"from\":\"/n\",\"convert\":\"money\",\"unit\":\"minor\",\"to\":\"number\","
					 "\"currency\":{\"from\":\"/c\",\"map\":{\"dinar\":\"KWD\"}}}}"), &err);

	CHECK(m != NULL);
	out = apply(m, "{\"id\":\"1\",\"w\":\"12\",\"f\":\"5\",\"c1\":\"us\",\"c2\":\"d\",\"n\":1250,\"c\":\"dinar\"}",
		    "a.b", &st, c);
	CHECK_INT(st, SGP_MAP_DONE);
	CHECK(strstr(out, "\"data\":{\"m\":\"12.50\",\"k\":1.250}}\n") != NULL);
	free(out);
	out = apply(m, "{\"id\":\"1\",\"w\":\"12\",\"f\":\"5\",\"c1\":\"x\",\"c2\":\"yz\",\"n\":1,\"c\":\"euro\"}",
		    "a.b", &st, c);
	CHECK_INT(st, SGP_MAP_ERROR);
	CHECK_STR(sgp_map_ctx_reason(c), "money");
	free(out);
	sgp_mapping_free(m);
	sgp_map_ctx_free(c);
}

struct seen {
	sgp_buf b;
};

static int collect(void *arg, const char *type, const char *path, unsigned flags)
{
	struct seen *s = arg;

	sgp_buf_addf(&s->b, "%s %s %s%s%s%s\n", type, path, flags & SGP_FIELD_ALWAYS ? "A" : "-",
		     flags & SGP_FIELD_OBJECT ? "O" : flags & SGP_FIELD_ARRAY ? "R" : "-",
		     flags & SGP_FIELD_STRING ? "S" : "-", flags & SGP_FIELD_COPY ? "C" : "-");
	return 0;
}

TEST(fields_per_type)
{
	char *err;
	struct seen s = { SGP_BUF_INIT };
	sgp_mapping *m = spec(HEAD "\"emit\":{\"type\":{\"if\":{\"path\":\"/n\",\"gt\":5},\"then\":\"c.requested\",\"else\":\"c.approved\"},"
			      "\"schema\":\"c.requested/1\",\"occurred_at\":{\"const\":\"2026-11-01T00:00:00Z\"},"
			      "\"data\":{\"id\":\"/id\",\"n\":{\"from\":\"/n\",\"convert\":\"money\",\"currency\":\"USD\"},"
			      "\"opt\":{\"from\":\"/o\",\"required\":false},\"by\":{\"const\":\"policy\",\"when\":{\"emits\":\"c.approved\"}},"
			      "\"r\":{\"test\":{\"emits\":\"c.requested\"}},"
			      "\"l\":{\"each\":\"/l\",\"fields\":{\"q\":{\"from\":\"/q\",\"convert\":\"integer\"},\"d\":{\"from\":\"/d\",\"default\":\"x\"}}}}}}",
			      &err);

	CHECK(m != NULL);
	if (m == NULL) {
		printf("#   %s\n", err);
		free(err);
		return;
	}
	CHECK(sgp_mapping_fields(m, collect, &s) == 0);
	CHECK(strstr(s.b.data, "c.requested /id A-S-\n") != NULL);
	CHECK(strstr(s.b.data, "c.requested /source AO--\n") != NULL);
	CHECK(strstr(s.b.data, "c.requested /schema A-S-\n") != NULL);
	CHECK(strstr(s.b.data, "c.requested /data AO--\n") != NULL);
	CHECK(strstr(s.b.data, "c.requested /data/id A--C\n") != NULL);
	CHECK(strstr(s.b.data, "c.requested /data/n A-S-\n") != NULL);
	CHECK(strstr(s.b.data, "c.requested /data/opt ---C\n") != NULL);
	CHECK(strstr(s.b.data, "c.requested /data/by") == NULL);
	CHECK(strstr(s.b.data, "c.approved /data/by A-S-\n") != NULL);
	CHECK(strstr(s.b.data, "c.requested /data/r A---\n") != NULL);
	CHECK(strstr(s.b.data, "c.requested /data/l AR--\n") != NULL);
	CHECK(strstr(s.b.data, "c.requested /data/l/*/q A---\n") != NULL);
	CHECK(strstr(s.b.data, "c.requested /data/l/*/d A--C\n") != NULL);
	CHECK_STR(sgp_mapping_schema_of(m, "c.requested"), "c.requested/1");
	CHECK_STR(sgp_mapping_schema_of(m, "c.approved"), "c.requested/1");
	CHECK(sgp_mapping_schema_of(m, "c.other") == NULL);
	sgp_buf_release(&s.b);
	sgp_mapping_free(m);
}

TEST(mapset_counters)
{
	char *err;
	sgp_mapset *set = sgp_mapset_new();
	sgp_mapping *m = spec(HEAD EMIT("{\"a\":\"/a\"}"), &err);
	struct sgp_map_run_opts o = { "a.b", 0 };
	sgp_map_ctx *c = sgp_map_ctx_new();
	uint64_t k[SGP_MAP_NCOUNTERS] = { 0 };
	sgp_buf out = SGP_BUF_INIT, rej = SGP_BUF_INIT;
	static const char *const lines[] = {
		"{\"id\":\"1\",\"a\":\"x\"}",
		"{\"id\":\"2\"}",
		"{\"spec\":\"sgp.state/1\",\"profile\":\"p\",\"stream\":\"s\",\"cursor\":{},\"at\":\"2026-11-01T00:00:00Z\"}",
		"{\"spec\":\"sgp.event/1\",\"type\":\"q.r\",\"id\":\"evt_1\"}",
		"nope",
	};
	size_t i;

	sgp_mapset_add(set, m);
	CHECK_INT(sgp_mapset_count(set), 1);
	CHECK(sgp_mapset_get(set, 0) == m);
	for (i = 0; i < 5; i++)
		sgp_mapset_line(set, c, &o, lines[i], strlen(lines[i]), i + 1, "in.ndjson", &out, &rej, k);
	CHECK_INT(k[SGP_MAPC_IN], 4);
	CHECK_INT(k[SGP_MAPC_MAPPED], 1);
	CHECK_INT(k[SGP_MAPC_PASSED], 1);
	CHECK_INT(k[SGP_MAPC_REJECTED], 2);
	CHECK_INT(k[SGP_MAPC_EMITTED], 1);
	CHECK_INT(k[SGP_MAPC_STATE], 1);
	CHECK(strstr(out.data, "\"data\":{\"a\":\"x\"}}\n{\"spec\":\"sgp.state/1\"") != NULL);
	CHECK(strstr(out.data, "\n{\"spec\":\"sgp.event/1\",\"type\":\"q.r\",\"id\":\"evt_1\"}\n") != NULL);
	CHECK(strstr(rej.data, "\"file\":\"in.ndjson\",\"line\":2,\"reason\":\"mapping\"") != NULL);
	CHECK(strstr(rej.data, "\"line\":5,\"reason\":\"parse\"") != NULL);
	/* strict: the unmatched event is a reject */
	memset(k, 0, sizeof k);
	o.strict = 1;
	sgp_buf_reset(&rej);
	sgp_mapset_line(set, c, &o, lines[3], strlen(lines[3]), 4, NULL, &out, &rej, k);
	CHECK_INT(k[SGP_MAPC_REJECTED], 1);
	CHECK(strstr(rej.data, "\"reason\":\"unknown_type\"") != NULL);
	CHECK(strstr(rej.data, "no mapping for type 'q.r'") != NULL);
	sgp_buf_release(&out);
	sgp_buf_release(&rej);
	sgp_map_ctx_free(c);
	sgp_mapset_free(set);
}

struct thr {
	const sgp_mapping *m;
	char *out;
};

static void *thread_run(void *arg)
{
	struct thr *t = arg;
	sgp_map_ctx *c = sgp_map_ctx_new();
	sgp_buf out = SGP_BUF_INIT;
	int i;

	for (i = 0; i < 300; i++) {
		char rec[200];
		json_t *j;

		snprintf(rec, sizeof rec, "{\"id\":\"R%d\",\"n\":%d,\"c\":\"%s\",\"l\":[{\"q\":%d},{\"q\":\"x\"}]}",
			 i, i * 37, i % 3 ? "usd" : "jpy", i);
		j = json_loads(rec, 0, NULL);
		if (sgp_mapping_apply(t->m, c, j, "a.b", &out, NULL) == SGP_MAP_ERROR)
			sgp_buf_adds(&out, sgp_map_ctx_reason(c));
		json_decref(j);
	}
	sgp_buf_addc(&out, '\0');
	t->out = sgp_buf_detach(&out, NULL);
	sgp_map_ctx_free(c);
	return NULL;
}

TEST(threads_share_a_mapping)
{
	char *err;
	sgp_mapping *m = spec(HEAD EMIT("{\"n\":{\"from\":\"/n\",\"convert\":\"money\",\"unit\":\"minor\",\"currency\":\"/c\"},"
					 "\"h\":{\"hash\":[\"/id\",\"/n\"]},\"l\":{\"each\":\"/l\",\"where\":{\"path\":\"/q\",\"ne\":\"x\"},"
					 "\"fields\":{\"q\":{\"from\":\"/q\",\"convert\":\"integer\"}}}}"), &err);
	struct thr t[4];
	pthread_t th[4];
	int i;

	CHECK(m != NULL);
	for (i = 0; i < 4; i++) {
		t[i].m = m;
		pthread_create(&th[i], NULL, thread_run, &t[i]);
	}
	for (i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	for (i = 1; i < 4; i++)
		CHECK_STR(t[i].out, t[0].out);
	CHECK(strstr(t[0].out, "\"data\":{\"n\":\"37.00\",") != NULL);
	CHECK(strstr(t[0].out, "\"data\":{\"n\":\"111\",") != NULL);
	for (i = 0; i < 4; i++)
		free(t[i].out);
	sgp_mapping_free(m);
}

/* Every spec of contrib/mappings (and the bench mapping) is valid against
 * schemas/mapping.schema.json, loads, and passes its examples. */
TEST(contrib_specs_against_the_schema)
{
	const char *root = getenv("SGP_ROOT");
	static const char *const specs[] = {
		"contrib/mappings/stripe-invoice.json", "contrib/mappings/stripe-credit-note.json",
		"contrib/mappings/chargebee-invoice.json", "contrib/mappings/chargebee-credit-note.json",
		"contrib/mappings/zendesk-credit-request.json", "contrib/mappings/salesforce-opportunity.json",
		"contrib/mappings/netsuite-invoice.json", "contrib/mappings/credit-approved-to-netsuite.json",
		"contrib/mappings/contract-amended-to-revrec.json", "tests/bench/map-vendor.json",
		"tests/fixtures/map/conversions.json", NULL,
	};
	js_registry *reg = js_registry_new();
	js_errors errs = JS_ERRORS_INIT;
	js_schema *s = NULL;
	char *msg = NULL, *dir;
	size_t i;

	if (root == NULL)
		root = ".";
	dir = xasprintf("%s/schemas", root);
	CHECK(js_registry_load_meta(reg, dir, &msg) == 0);
	free(msg);
	msg = NULL;
	CHECK(js_registry_add_dir(reg, dir, &msg) > 0);
	free(msg);
	s = js_compile_uri(reg, "urn:sgp:schema:mapping/1", NULL, &errs);
	CHECK(s != NULL);
	{
		char *sp = xasprintf("%s/mapping.schema.json", dir);
		json_t *doc = json_load_file(sp, 0, NULL);
		js_errors ce = JS_ERRORS_INIT;

		free(sp);
		CHECK(doc != NULL && js_check_schema(reg, doc, NULL, NULL, &ce) == 0);
		js_errors_release(&ce);
		json_decref(doc);
	}
	for (i = 0; s && specs[i]; i++) {
		char *path = xasprintf("%s/%s", root, specs[i]), *err = NULL;
		json_t *doc = json_load_file(path, 0, NULL);
		sgp_mapping *m;
		sgp_buf b = SGP_BUF_INIT;

		CHECK(doc != NULL);
		js_errors_clear(&errs);
		if (js_validate(s, doc, &errs) != 0) {
			printf("#   %s: %s: %s\n", specs[i], errs.v[0].instance_path, errs.v[0].message);
			CHECK(0);
		}
		m = sgp_mapping_load(path, &err);
		if (m == NULL)
			printf("#   %s\n", err);
		CHECK(m != NULL);
		if (m && sgp_mapping_check_examples(m, &b, NULL) != 0) {
			printf("#   %s", b.data);
			CHECK(0);
		}
		sgp_buf_release(&b);
		sgp_mapping_free(m);
		json_decref(doc);
		free(err);
		free(path);
	}
	js_errors_release(&errs);
	js_schema_free(s);
	js_registry_free(reg);
	free(dir);
}

int main(void)
{
	sgp_init("test_mapping");
	RUN(pointers);
	RUN(templates);
	RUN(hash_table);
	RUN(time_patterns);
	RUN(spec_errors);
	RUN(apply_and_envelope);
	RUN(every_error_of_a_record);
	RUN(examples_report_differences);
	RUN(money_with_a_currency_rule);
	RUN(fields_per_type);
	RUN(mapset_counters);
	RUN(threads_share_a_mapping);
	RUN(contrib_specs_against_the_schema);
	return unit_done();
}
