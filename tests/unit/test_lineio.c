/* test_lineio.c: line reader, line parsing, writer, CSV reader, envelope
 * helpers and the ordered pipeline. */
#include "unit.h"
#include "csvfile.h"
#include "envelope.h"
#include "lineio.h"
#include "log.h"
#include "pipeline.h"
#include "util.h"

#include <fcntl.h>
#include <stdint.h>
#include <unistd.h>

static char tmpdir[] = "/tmp/sgp-unit-XXXXXX";

static char *write_tmp(const char *name, const void *data, size_t len)
{
	char *path = xasprintf("%s/%s", tmpdir, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	if (fd < 0 || write(fd, data, len) != (ssize_t)len)
		abort();
	close(fd);
	return path;
}

TEST(reader_crlf_blank_and_last_line)
{
	const char text[] = "{\"a\":1}\r\n\n   \r\n{\"b\":2}\n\t\n{\"c\":3}";
	char *path = write_tmp("crlf", text, sizeof text - 1);
	sgp_reader *r = sgp_reader_open(path);
	const char *line;
	size_t len;

	CHECK(r != NULL);
	CHECK_INT(sgp_reader_next(r, &line, &len), 1);
	CHECK_STR(line, "{\"a\":1}");
	CHECK_INT(len, 7);
	CHECK_INT(sgp_reader_lineno(r), 1);
	CHECK_INT(sgp_reader_next(r, &line, &len), 1);
	CHECK_STR(line, "{\"b\":2}");
	CHECK_INT(sgp_reader_lineno(r), 4);
	CHECK_INT(sgp_reader_next(r, &line, &len), 1);
	CHECK_STR(line, "{\"c\":3}");
	CHECK_INT(sgp_reader_lineno(r), 6);
	CHECK_INT(sgp_reader_next(r, &line, &len), 0);
	sgp_reader_close(r);
	free(path);
}

TEST(reader_64mib_line)
{
	size_t big = 64u << 20, i;
	char *data = xmalloc(big + 32);
	char *path;
	sgp_reader *r;
	const char *line;
	size_t len;
	sgp_line_error err;
	json_t *v;

	memcpy(data, "{\"s\":\"", 6);
	for (i = 6; i < big - 2; i++)
		data[i] = 'x';
	memcpy(data + big - 2, "\"}", 2);
	memcpy(data + big, "\n{\"n\":1}\n", 9);
	path = write_tmp("big", data, big + 9);
	r = sgp_reader_open(path);
	CHECK_INT(sgp_reader_next(r, &line, &len), 1);
	CHECK_INT(len, big);
	v = sgp_line_parse(line, len, 0, &err);
	CHECK(v != NULL);
	CHECK_INT(json_string_length(json_object_get(v, "s")), big - 8);
	json_decref(v);
	CHECK_INT(sgp_reader_next(r, &line, &len), 1);
	CHECK_STR(line, "{\"n\":1}");
	CHECK_INT(sgp_reader_lineno(r), 2);
	CHECK_INT(sgp_reader_next(r, &line, &len), 0);
	sgp_reader_close(r);
	unlink(path);
	free(path);
	free(data);
}

TEST(reader_keeps_nul_and_bad_utf8_for_the_parser)
{
	const char text[] = "{\"a\":\"x\0y\"}\n{\"a\":\"\xff\"}\n[1,2]\n";
	char *path = write_tmp("bad", text, sizeof text - 1);
	sgp_reader *r = sgp_reader_open(path);
	const char *line;
	size_t len;
	sgp_line_error err;

	CHECK_INT(sgp_reader_next(r, &line, &len), 1);
	CHECK_INT(len, 11);
	CHECK(sgp_line_parse(line, len, 0, &err) == NULL);
	CHECK_STR(err.message, "NUL byte at column 8");
	CHECK_INT(sgp_reader_next(r, &line, &len), 1);
	CHECK(sgp_line_parse(line, len, 0, &err) == NULL);
	CHECK_STR(err.message, "invalid UTF-8 at column 7");
	CHECK_INT(sgp_reader_next(r, &line, &len), 1);
	CHECK(sgp_line_parse(line, len, 0, &err) == NULL);
	CHECK_STR(err.message, "line is an array, not a JSON object");
	CHECK_INT(sgp_reader_next(r, &line, &len), 0);
	sgp_reader_close(r);
	free(path);
}

TEST(line_parse_edge_cases)
{
	sgp_line_error err;
	json_t *v;

	v = sgp_line_parse("{\"a\":1,\"a\":2}", 13, 0, &err);
	CHECK(v == NULL);
	CHECK(strstr(err.message, "duplicate") != NULL);
	v = sgp_line_parse("{\"n\":1e400}", 11, 0, &err);
	CHECK(v == NULL);
	v = sgp_line_parse("{\"n\":1180591620717411303424}", 28, 0, &err);
	CHECK(v != NULL);
	CHECK(json_is_real(json_object_get(v, "n")));
	json_decref(v);
	v = sgp_line_parse("42", 2, SGP_PARSE_ANY_VALUE, &err);
	CHECK(json_is_integer(v));
	json_decref(v);
	v = sgp_line_parse("{\"a\":", 5, 0, &err);
	CHECK(v == NULL);
	CHECK(strncmp(err.message, "invalid JSON at column", 22) == 0);
	CHECK_INT(sgp_utf8_check("\xed\xa0\x80", 3), 0);   /* surrogate */
	CHECK_INT(sgp_utf8_check("\xc0\xaf", 2), 0);       /* overlong */
	CHECK_INT(sgp_utf8_check("ok \xe2\x82\xac", 6), -1);
	CHECK_INT(sgp_utf8_check("ab\xe2\x82", 4), 2);     /* truncated */
}

TEST(writer_and_atomic_file)
{
	char *path = xasprintf("%s/out", tmpdir);
	sgp_writer *w = sgp_writer_open(path);
	char *got;
	size_t len;
	json_t *v = json_pack("{s:s,s:i}", "a", "x", "b", 2);

	sgp_writer_line(w, "one", 3);
	sgp_writer_json(w, v);
	sgp_writer_close(w);
	got = sgp_read_file(path, &len);
	CHECK_STR(got, "one\n{\"a\":\"x\",\"b\":2}\n");
	free(got);
	CHECK_INT(sgp_write_file_atomic(path, "new\n", 4), 0);
	got = sgp_read_file(path, &len);
	CHECK_STR(got, "new\n");
	free(got);
	json_decref(v);
	free(path);
}

TEST(csv_quotes_newlines_bom_crlf)
{
	const char text[] = "\xEF\xBB\xBFid,name,amount\r\n1,\"Acme, Inc.\",12.50\r\n"
			    "2,\"say \"\"hi\"\"\nthere\",3\r\n\r\n3,plain,\r\n";
	sgp_csv *c = sgp_csv_open_mem(text, sizeof text - 1, "t.csv");
	char **f;
	size_t n;

	CHECK_INT(sgp_csv_read_header(c), 0);
	CHECK_INT(sgp_csv_ncols(c), 3);
	CHECK_STR(sgp_csv_colname(c, 0), "id");
	CHECK_INT(sgp_csv_col(c, "amount"), 2);
	CHECK_INT(sgp_csv_next(c, &f, &n), 1);
	CHECK_STR(f[1], "Acme, Inc.");
	CHECK_INT(sgp_csv_line(c), 2);
	CHECK_INT(sgp_csv_next(c, &f, &n), 1);
	CHECK_STR(f[1], "say \"hi\"\nthere");
	CHECK_INT(sgp_csv_line(c), 3);
	CHECK_INT(sgp_csv_next(c, &f, &n), 1);
	CHECK_STR(f[0], "3");
	CHECK_STR(f[2], "");
	CHECK_INT(n, 3);
	CHECK_INT(sgp_csv_line(c), 6);
	CHECK_INT(sgp_csv_next(c, &f, &n), 0);
	sgp_csv_close(c);

	c = sgp_csv_open_mem("a,b\n1,\"unterminated\n", 20, "bad.csv");
	CHECK_INT(sgp_csv_read_header(c), 0);
	CHECK_INT(sgp_csv_next(c, &f, &n), -1);
	CHECK(strstr(sgp_csv_error(c), "bad.csv") != NULL);
	sgp_csv_close(c);

	c = sgp_csv_open_mem("a,a\n", 4, "dup.csv");
	CHECK_INT(sgp_csv_read_header(c), -1);
	CHECK_STR(sgp_csv_error(c), "dup.csv: duplicate header column 'a'");
	sgp_csv_close(c);

	sgp_buf b = SGP_BUF_INIT;
	sgp_csv_add_field(&b, "plain");
	sgp_buf_addc(&b, ',');
	sgp_csv_add_field(&b, "a,\"b\"");
	CHECK_STR(b.data, "plain,\"a,\"\"b\"\"\"");
	sgp_buf_release(&b);
}

TEST(event_ids_and_keys_are_deterministic)
{
	char a[SGP_EVENT_ID_SIZE], b[SGP_EVENT_ID_SIZE], c[SGP_EVENT_ID_SIZE];
	char *k1, *k2, *k3;

	sgp_event_id(a, "stripe", "invoice", "in_1", "1732646400");
	sgp_event_id(b, "stripe", "invoice", "in_1", "1732646400");
	sgp_event_id(c, "stripe", "invoice", "in_1", "1732646401");
	CHECK_STR(a, b);
	CHECK(strcmp(a, c) != 0);
	CHECK(strncmp(a, "evt_", 4) == 0);
	CHECK_INT(strlen(a), 36);
	k1 = sgp_idempotency_key("stripe", "invoice", "in_123", "1732646400");
	CHECK_STR(k1, "stripe:invoice:in_123:1732646400");
	k2 = sgp_idempotency_key_derived("stripe-invoice", k1, 0);
	k3 = sgp_idempotency_key_derived("stripe-invoice", k1, 2);
	CHECK(strncmp(k2, "stripe-invoice:", 15) == 0);
	CHECK_INT(strlen(k2), 15 + 32);
	CHECK(strcmp(k2, k3) != 0);
	CHECK(strcmp(k3 + strlen(k3) - 2, ":2") == 0);
	free(k1);
	free(k2);
	free(k3);
}

TEST(event_derive_carries_correlation)
{
	struct sgp_event_fields f = {0};
	json_t *parent, *child;
	char *s;

	f.type = "stripe.invoice";
	f.occurred_at = "2026-11-01T12:00:00Z";
	f.system = "stripe";
	f.object = "invoice";
	f.source_id = "in_1";
	f.idempotency_key = "stripe:invoice:in_1:1";
	f.correlation_id = "corr-1";
	parent = sgp_event_new(&f, json_pack("{s:i}", "amount_due", 1250));
	CHECK(parent != NULL);
	s = json_dumps(parent, JSON_COMPACT);
	CHECK(strncmp(s, "{\"spec\":\"sgp.event/1\",\"id\":\"evt_", 32) == 0);
	free(s);
	CHECK_INT(sgp_line_kind_of(parent), SGP_LINE_EVENT);
	child = sgp_event_derive(parent, "invoice.posted", "stripe-invoice", 0, NULL,
				 json_pack("{s:s}", "total", "12.50"));
	CHECK_STR(sgp_json_str(child, "correlation_id"), "corr-1");
	CHECK_STR(sgp_json_str(child, "causation_id"), sgp_json_str(parent, "id"));
	CHECK_STR(sgp_json_str(child, "occurred_at"), "2026-11-01T12:00:00Z");
	CHECK(strcmp(sgp_json_str(child, "id"), sgp_json_str(parent, "id")) != 0);
	json_decref(child);
	json_decref(parent);

	json_t *st = sgp_state_new("stripe", "invoices", json_pack("{s:s}", "after", "in_9"), NULL);
	CHECK_INT(sgp_line_kind_of(st), SGP_LINE_STATE);
	CHECK(sgp_json_str(st, "at") != NULL);
	json_decref(st);
}

TEST(reject_records_are_lossless)
{
	sgp_buf b = SGP_BUF_INIT;
	json_t *errs = json_array(), *v;
	struct sgp_reject r = {0};
	sgp_line_error err;

	json_array_append_new(errs, sgp_error_new("/data/total", "pattern", "bad %s", "money"));
	r.tool = "sgp-test";
	r.line = 7;
	r.reason = "parse";
	r.errors = errs;
	r.line_text = "a\xff" "b";
	r.line_len = 3;
	sgp_reject_format(&b, &r);
	CHECK(b.data[b.len - 1] == '\n');
	v = sgp_line_parse(b.data, b.len - 1, 0, &err);
	CHECK(v != NULL);
	CHECK_STR(sgp_json_str(v, "raw"), "a\xef\xbf\xbd" "b");
	CHECK_STR(sgp_json_str(v, "raw_base64"), "Yf9i");
	CHECK_INT(json_integer_value(json_object_get(v, "line")), 7);
	CHECK_INT(sgp_line_kind_of(v), SGP_LINE_REJECT);
	json_decref(v);

	sgp_buf_reset(&b);
	r.reason = "schema";
	r.line_text = "{\"x\":2291.22}";
	r.line_len = strlen(r.line_text);
	r.line_is_json = 1;
	sgp_reject_format(&b, &r);
	CHECK(strstr(b.data, ",\"event\":{\"x\":2291.22}}") != NULL);
	sgp_buf_release(&b);
	json_decref(errs);
}

TEST(log_redaction)
{
	char *s;

	sgp_log_add_secret("sk_test_supersecret");
	s = sgp_redact("GET /v1/x?key=sk_test_supersecret failed");
	CHECK_STR(s, "GET /v1/x?key=[REDACTED] failed");
	free(s);
	s = sgp_redact("Authorization: Bearer abc.def");
	CHECK_STR(s, "Authorization: [REDACTED]");
	free(s);
	s = sgp_redact("token refresh: client_secret=shh&grant_type=x");
	CHECK_STR(s, "token refresh: client_secret=[REDACTED]&grant_type=x");
	free(s);
	sgp_log_clear_secrets();
}

/* Pipeline filter used below: echoes odd numbers, rejects multiples of 7,
 * drops nothing. */
static void demo_fn(void *w, const char *line, size_t len, unsigned long long lineno,
		    sgp_pipe_out *o)
{
	long long v = 0;

	(void)w;
	if (sgp_parse_ll(line, 0, 1LL << 40, &v) < 0 || v % 7 == 0) {
		sgp_buf_addf(&o->rejects, "%llu:%.*s\n", lineno, (int)len, line);
		o->counters[1]++;
		return;
	}
	sgp_buf_addf(&o->out, "%lld\n", v * 3);
	o->counters[0]++;
}

static char *run_pipeline(const char *in, int jobs, uint64_t totals[SGP_PIPE_NCOUNTERS],
			  char **rejects)
{
	char *outp = xasprintf("%s/pout%d", tmpdir, jobs), *rejp = xasprintf("%s/prej%d", tmpdir, jobs);
	sgp_reader *r = sgp_reader_open(in);
	sgp_writer *o = sgp_writer_open(outp), *rj = sgp_writer_open(rejp);
	struct sgp_pipe_conf c = {0};
	size_t len;
	char *got;

	c.jobs = jobs;
	c.fn = demo_fn;
	c.batch_lines = 100;
	memset(totals, 0, SGP_PIPE_NCOUNTERS * sizeof *totals);
	CHECK_INT(sgp_pipe_run(&c, r, o, rj, totals), 0);
	sgp_writer_close(o);
	sgp_writer_close(rj);
	sgp_reader_close(r);
	got = sgp_read_file(outp, &len);
	*rejects = sgp_read_file(rejp, &len);
	free(outp);
	free(rejp);
	return got;
}

TEST(pipeline_same_output_any_jobs)
{
	sgp_buf in = SGP_BUF_INIT;
	uint64_t t1[SGP_PIPE_NCOUNTERS], t4[SGP_PIPE_NCOUNTERS];
	char *path, *o1, *o4, *r1, *r4;
	int i;

	for (i = 0; i < 100000; i++) {
		if (i % 1000 == 999)
			sgp_buf_adds(&in, "junk\n\n");
		sgp_buf_addf(&in, "%d\n", i);
	}
	path = write_tmp("pipe-in", in.data, in.len);
	o1 = run_pipeline(path, 1, t1, &r1);
	o4 = run_pipeline(path, 4, t4, &r4);
	CHECK(o1 != NULL && o4 != NULL);
	CHECK(strcmp(o1, o4) == 0);
	CHECK(strcmp(r1, r4) == 0);
	CHECK_INT(t1[0], t4[0]);
	CHECK_INT(t1[1], t4[1]);
	CHECK_INT(t1[0] + t1[1], 100100);
	CHECK_INT(t1[1], 14286 + 100);
	CHECK(strncmp(o4, "3\n6\n9\n", 6) == 0);
	free(o1);
	free(o4);
	free(r1);
	free(r4);
	free(path);
	sgp_buf_release(&in);
}

int main(void)
{
	if (mkdtemp(tmpdir) == NULL)
		return 2;
	RUN(reader_crlf_blank_and_last_line);
	RUN(reader_64mib_line);
	RUN(reader_keeps_nul_and_bad_utf8_for_the_parser);
	RUN(line_parse_edge_cases);
	RUN(writer_and_atomic_file);
	RUN(csv_quotes_newlines_bom_crlf);
	RUN(event_ids_and_keys_are_deterministic);
	RUN(event_derive_carries_correlation);
	RUN(reject_records_are_lossless);
	RUN(log_redaction);
	RUN(pipeline_same_output_any_jobs);
	char *cmd = xasprintf("rm -rf %s", tmpdir);
	if (system(cmd) != 0)
		return 2;
	free(cmd);
	return unit_done();
}
