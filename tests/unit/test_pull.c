/* test_pull.c: unit tests for the JSON span scanner and record events of
 * ingest.c, the state files of pull.c and profile loading of profile.c. */
#include "unit.h"
#include "envelope.h"
#include "http.h"
#include "ingest.h"
#include "profile.h"
#include "pull.h"

#include <unistd.h>

static int check(const char *s)
{
	size_t off;
	const char *why;

	return sgp_json_check(s, strlen(s), &off, &why);
}

TEST(json_check_accepts_and_refuses)
{
	size_t off = 0;
	const char *why = NULL;
	const char *bad_utf8 = "{\"a\":\"\xc3\x28\"}";

	CHECK_INT(check("{}"), 0);
	CHECK_INT(check(" [1, -2.5e+3, true, false, null, \"x\\u00e9\\n\"] \n"), 0);
	CHECK_INT(check("{\"a\":{\"b\":[{}, []]}}"), 0);
	CHECK_INT(check("\"\xf0\x9f\x98\x80\""), 0);
	CHECK_INT(check(""), -1);
	CHECK_INT(check("{\"a\":1,}"), -1);
	CHECK_INT(check("[1 2]"), -1);
	CHECK_INT(check("{\"a\" 1}"), -1);
	CHECK_INT(check("01"), -1);
	CHECK_INT(check("1."), -1);
	CHECK_INT(check("tru"), -1);
	CHECK_INT(check("\"\\x\""), -1);
	CHECK_INT(check("\"a\tb\""), -1);
	CHECK_INT(check("{} {}"), -1);
	CHECK_INT(check("[\"\\ud83d\"]"), 0);  /* a lone surrogate escape is valid JSON text */
	CHECK_INT(sgp_json_check(bad_utf8, strlen(bad_utf8), &off, &why), -1);
	CHECK_STR(why, "invalid UTF-8");
	CHECK_INT(off, 6);
	/* a page cut in the middle, as a truncated reply */
	CHECK_INT(sgp_json_check("{\"data\":[{\"id\":1},{\"id\"", 22, &off, &why), -1);
}

TEST(json_check_notes_whitespace_inside_only)
{
	size_t off;
	const char *why;
	int sp = -1;

	const char *a = "  {\"a\":[1,\"b c\"]}\n", *b = "{\"a\": 1}";

	CHECK_INT(sgp_json_check_ws(a, strlen(a), &off, &why, &sp), 0);
	CHECK_INT(sp, 0);
	CHECK_INT(sgp_json_check_ws(b, strlen(b), &off, &why, &sp), 0);
	CHECK_INT(sp, 1);
}

TEST(pointers_and_iteration)
{
	const char *doc = "{\"data\":[{\"id\":\"a/b\",\"n\":1},{\"id\":2,\"x~y\":{\"z\":[7,8]}}],"
			  "\"meta\":{\"has_more\":true,\"after\":\"c\\u00e9\"},\"esc\\\"k\":5}";
	struct sgp_jspan root, v, e;
	struct sgp_jiter it;
	sgp_buf b = SGP_BUF_INIT;
	int n = 0;

	CHECK_INT(check(doc), 0);
	sgp_jspan_root(doc, strlen(doc), &root);
	CHECK_INT(root.type, SGP_J_OBJECT);
	CHECK_INT(root.n, strlen(doc));
	CHECK(sgp_jspan_get(&root, "/meta/has_more", &v));
	CHECK_INT(v.type, SGP_J_TRUE);
	CHECK(sgp_jspan_get(&root, "/meta/after", &v));
	CHECK(sgp_jspan_text(&v, &b));
	CHECK_STR(b.data, "c\xc3\xa9");
	CHECK(sgp_jspan_get(&root, "/data/1/x~0y/z/1", &v));
	CHECK_INT(v.n, 1);
	CHECK(v.p[0] == '8');
	CHECK(sgp_jspan_get(&root, "/esc\"k", &v));
	CHECK(!sgp_jspan_get(&root, "/data/2", &v));
	CHECK(!sgp_jspan_get(&root, "/data/01", &v));
	CHECK(!sgp_jspan_get(&root, "/nope", &v));
	CHECK(sgp_jspan_get(&root, "/data", &v));
	sgp_jspan_iter(&v, &it);
	while (sgp_jiter_next(&it, &e))
		n++;
	CHECK_INT(n, 2);
	sgp_buf_release(&b);
}

TEST(get_many_and_members_index)
{
	const char *doc = "{\"object\":\"list\",\"data\":[{\"id\":1},{\"id\":2},{\"id\":3}],"
			  "\"has_more\":false,\"next\":{\"link\":\"/p/2\"}}";
	const char *ptrs[] = { "/data", "/has_more", "/next/link", "/missing", NULL };
	struct sgp_jspan root, out[5], v;
	int found[5];
	struct sgp_json_members m = { 0 };
	size_t off;
	const char *why;
	int sp;
	sgp_buf b = SGP_BUF_INIT;

	sgp_jspan_root(doc, strlen(doc), &root);
	sgp_jspan_get_many(&root, ptrs, 5, out, found);
	CHECK(found[0] && found[1] && found[2] && !found[3] && !found[4]);
	CHECK_INT(out[0].type, SGP_J_ARRAY);
	CHECK_INT(out[1].type, SGP_J_FALSE);
	sgp_jspan_text(&out[2], &b);
	CHECK_STR(b.data, "/p/2");
	m.elems_of = "data";
	CHECK_INT(sgp_json_check_index(doc, strlen(doc), &off, &why, &sp, &m), 0);
	CHECK_INT(m.n, 4);
	CHECK(m.have_elems);
	CHECK_INT(m.nelems, 3);
	CHECK(m.elems[2].n == 8 && memcmp(m.elems[2].p, "{\"id\":3}", 8) == 0);
	CHECK(sgp_json_members_get(&m, &root, "/next/link", &v));
	CHECK(v.n == 6 && memcmp(v.p, "\"/p/2\"", 6) == 0);
	CHECK(sgp_json_members_get(&m, &root, "/data", &v));
	CHECK(v.p == out[0].p && v.n == out[0].n);
	CHECK(!sgp_json_members_get(&m, &root, "/none", &v));
	sgp_json_members_release(&m);
	sgp_buf_release(&b);
}

TEST(text_escapes_and_compact)
{
	const char *s = "[\"a\\\"b\\\\c\\/d\\u0041\\ud83d\\ude00\\ud800x\", {\"k\" : [ 1 , \"x y\" ] }]";
	struct sgp_jspan root, v;
	sgp_buf b = SGP_BUF_INIT;

	sgp_jspan_root(s, strlen(s), &root);
	CHECK(sgp_jspan_get(&root, "/0", &v));
	sgp_jspan_text(&v, &b);
	CHECK_STR(b.data, "a\"b\\c/dA\xf0\x9f\x98\x80\xef\xbf\xbdx");
	sgp_buf_reset(&b);
	CHECK(sgp_jspan_get(&root, "/1", &v));
	sgp_jspan_compact(&v, &b);
	CHECK_STR(b.data, "{\"k\":[1,\"x y\"]}");
	sgp_buf_release(&b);
}

TEST(record_event_line)
{
	const char *rec = "{\"id\":\"in_1\",\"created\":1732646400,\"amount\":2291.22,"
			  "\"t\":{\"paid\":null,\"fin\":1732650000}}";
	const char *idp[] = { "/id" }, *revp[] = { "/t/paid", "/t/fin", "/created" },
		   *occ[] = { "/created" };
	struct sgp_record_spec spec = { "stripe", "invoice", idp, 1, revp, 3, occ, 1, NULL, 0 };
	struct sgp_record r = { 0 };
	struct sgp_jspan v;
	const char *reason;
	char msg[256], id[SGP_EVENT_ID_SIZE], *want;
	sgp_buf line = SGP_BUF_INIT;

	sgp_jspan_root(rec, strlen(rec), &v);
	CHECK_INT(sgp_record_extract(&spec, &v, &r, &reason, msg, sizeof msg), 0);
	CHECK_STR(r.key.data, "stripe:invoice:in_1:1732650000");
	CHECK_STR(r.occurred_at, "2024-11-26T18:40:00Z");
	sgp_record_event(&spec, &r, &v, 1, &line);
	sgp_event_id(id, "stripe", "invoice", "in_1", "1732650000");
	want = xasprintf("{\"spec\":\"sgp.event/1\",\"id\":\"%s\",\"type\":\"stripe.invoice\","
			 "\"occurred_at\":\"2024-11-26T18:40:00Z\",\"source\":{\"system\":\"stripe\","
			 "\"object\":\"invoice\",\"id\":\"in_1\"},\"correlation_id\":\"%s\","
			 "\"idempotency_key\":\"stripe:invoice:in_1:1732650000\",\"data\":%s}\n",
			 id, id, rec);
	CHECK_STR(line.data, want);
	free(want);
	/* a number id, a missing one, and an unreadable time */
	sgp_jspan_root("{\"id\":42,\"created\":\"2026-11-01 12:00:00\"}", 41, &v);
	spec.nrevision = 0;
	CHECK_INT(sgp_record_extract(&spec, &v, &r, &reason, msg, sizeof msg), -1);
	CHECK_STR(reason, "time");
	spec.naive_utc = 1;
	CHECK_INT(sgp_record_extract(&spec, &v, &r, &reason, msg, sizeof msg), 0);
	CHECK_STR(r.key.data, "stripe:invoice:42");
	CHECK_STR(r.occurred_at, "2026-11-01T12:00:00Z");
	sgp_jspan_root("{\"created\":1}", 13, &v);
	CHECK_INT(sgp_record_extract(&spec, &v, &r, &reason, msg, sizeof msg), -1);
	CHECK_STR(reason, "mapping");
	sgp_record_release(&r);
	sgp_buf_release(&line);
}

TEST(state_file_round_trip)
{
	char dir[] = "/tmp/sgp-test-state-XXXXXX";
	char *path, *err = NULL, *text;
	json_t *a, *b, *c;

	CHECK(mkdtemp(dir) != NULL);
	path = xasprintf("%s/s.state", dir);
	CHECK(sgp_state_file_read(path, "stripe", "invoices", &err) == NULL);
	CHECK(err == NULL);
	a = sgp_state_new("stripe", "invoices", json_pack("{s:s}", "since", "2026-11-01T00:00:00Z"), NULL);
	b = sgp_state_new("zendesk", "tickets", json_pack("{s:{s:s}}", "page", "cursor", "abc"), NULL);
	CHECK_INT(sgp_state_file_write(path, a, &err), 0);
	CHECK_INT(sgp_state_file_write(path, b, &err), 0);
	json_decref(a);
	a = sgp_state_new("stripe", "invoices", json_pack("{s:s}", "since", "2026-11-02T00:00:00Z"), NULL);
	CHECK_INT(sgp_state_file_write(path, a, &err), 0);
	c = sgp_state_file_read(path, "stripe", "invoices", &err);
	CHECK_STR(sgp_json_str(c, "since"), "2026-11-02T00:00:00Z");
	json_decref(c);
	c = sgp_state_file_read(path, "zendesk", "tickets", &err);
	CHECK_STR(sgp_json_str(json_object_get(c, "page"), "cursor"), "abc");
	json_decref(c);
	text = sgp_read_file(path, NULL);
	CHECK(text && strchr(text, '\n') && strchr(strchr(text, '\n') + 1, '\n') &&
	      *(strchr(strchr(text, '\n') + 1, '\n') + 1) == '\0');  /* two lines */
	free(text);
	json_decref(a);
	json_decref(b);
	/* a file that is not a state file */
	CHECK(sgp_write_file_atomic(path, "{\"x\":1}\n", 8) == 0);
	CHECK(sgp_state_file_read(path, "stripe", "invoices", &err) == NULL);
	CHECK(err && strstr(err, "line 1 is not a sgp.state/1 line"));
	free(err);
	unlink(path);
	rmdir(dir);
	free(path);
}

TEST(join_base)
{
	char *u;

	u = sgp_url_join_base("http://127.0.0.1:8/salesforce", "/services/data/v59.0/query/01g-40");
	CHECK_STR(u, "http://127.0.0.1:8/salesforce/services/data/v59.0/query/01g-40");
	free(u);
	u = sgp_url_join_base("https://x.my.salesforce.com", "/services/oauth2/token");
	CHECK_STR(u, "https://x.my.salesforce.com/services/oauth2/token");
	free(u);
	u = sgp_url_join_base("http://h/api", "/api/v2/tickets?page=2");
	CHECK_STR(u, "http://h/api/v2/tickets?page=2");
	free(u);
	u = sgp_url_join_base("http://h/api", "https://other/next");
	CHECK_STR(u, "https://other/next");
	free(u);
}

TEST(profile_checks_members)
{
	char *err = NULL;
	sgp_profile *p;
	json_t *doc;
	json_error_t je;

	setenv("SGP_DATADIR", "/nonexistent", 1);  /* member checks alone */
	unsetenv("SGP_TESTP_BASE_URL");
	doc = json_loads("{\"name\":\"testp\",\"base_url\":\"https://${SGP_TEST_HOST}.example.com/\","
			 "\"streams\":{\"s\":{\"object\":\"o\",\"path\":\"/x\",\"id\":\"/id\","
			 "\"occurred_at\":[\"/a\",\"/b\"],\"pagination\":{\"style\":\"cursor\","
			 "\"param\":\"after\",\"cursor\":\"/next\"},\"incremental\":{\"field\":\"/u\","
			 "\"params\":{\"since\":\"{since}\"},\"format\":\"epoch\",\"order\":\"asc\"}}}}",
			 0, &je);
	setenv("SGP_TEST_HOST", "acme", 1);
	p = sgp_profile_from_json(doc, "testp.json", &err);
	CHECK(p != NULL);
	if (p) {
		CHECK_STR(p->base_url, "https://acme.example.com");
		CHECK_INT(p->nstreams, 1);
		CHECK_INT(p->streams[0].style, SGP_PAGE_CURSOR);
		CHECK_INT(p->streams[0].noccurred_at, 2);
		CHECK_INT(p->streams[0].since_style, SGP_TS_EPOCH);
		CHECK_INT(p->streams[0].order, SGP_ORDER_ASC);
		sgp_profile_free(p);
	}
	setenv("SGP_TESTP_BASE_URL", "http://127.0.0.1:9/x", 1);
	doc = json_loads("{\"name\":\"testp\",\"base_url\":\"https://a\",\"streams\":{\"s\":"
			 "{\"object\":\"o\",\"path\":\"/x\",\"id\":\"id\",\"occurred_at\":\"/t\"}}}", 0, &je);
	p = sgp_profile_from_json(doc, "testp.json", &err);
	CHECK(p == NULL);
	CHECK_STR(err, "profile 'testp.json': streams.s: \"id\": 'id' is not a JSON Pointer "
		  "(it must start with '/')");
	free(err);
	doc = json_loads("{\"name\":\"testp\",\"base_url\":\"https://a\",\"streams\":{\"s\":"
			 "{\"object\":\"o\",\"path\":\"/x\",\"id\":\"/id\",\"occurred_at\":\"/t\","
			 "\"pagination\":{\"style\":\"offset\",\"param\":\"offset\"}}}}", 0, &je);
	p = sgp_profile_from_json(doc, "testp.json", &err);
	CHECK(p == NULL);
	CHECK_STR(err, "profile 'testp.json': streams.s.pagination: style offset needs \"size_param\"");
	free(err);
	unsetenv("SGP_TESTP_BASE_URL");
}

int main(void)
{
	sgp_set_progname("test_pull");
	RUN(json_check_accepts_and_refuses);
	RUN(json_check_notes_whitespace_inside_only);
	RUN(pointers_and_iteration);
	RUN(get_many_and_members_index);
	RUN(text_escapes_and_compact);
	RUN(record_event_line);
	RUN(state_file_round_trip);
	RUN(join_base);
	RUN(profile_checks_members);
	return unit_done();
}
