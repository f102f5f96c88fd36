/* test_reconcile.c: the pieces of libcommon/reconcile.h. */
#include "unit.h"

#include "reconcile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the scanner agrees with sgp_line_parse ------------------------------ */

static int jansson_accepts(const char *s, size_t n)
{
	sgp_line_error e;
	json_t *v = sgp_line_parse(s, n, 0, &e);

	if (v == NULL)
		return 0;
	json_decref(v);
	return 1;
}

static int scanner_accepts(const char *s, size_t n)
{
	rec_paths *ps = rec_paths_new();
	const char *why;
	rec_scanner *sc;
	struct rec_hit hits[4];
	sgp_line_error e;
	int rc;

	rec_paths_add(ps, "/a", &why);
	rec_paths_add(ps, "/a/b", &why);
	rec_paths_add(ps, "/l/1", &why);
	sc = rec_scanner_new(ps);
	rc = rec_scan(sc, s, n, hits, &e);
	if (rc < 0 && e.message[0] == '\0')
		rc = 99;    /* an error must always come with a message */
	rec_scanner_free(sc);
	rec_paths_free(ps);
	return rc == 0;
}

static const char *const valid_lines[] = {
	"{}", " { } ", "{\"a\":1}", "{\"a\":{\"b\":[1,2,{\"c\":null}]},\"l\":[true,false]}",
	"{\"a\":\"\\u00e9\\ud83d\\ude00\\n\\t\\\"\\\\\\/\"}", "{\"a\":-0}", "{\"a\":1e5}",
	"{\"a\":1.5E-3}", "{\"a\":-12.50e+2}", "{\"a\":\"caf\xc3\xa9\"}",
	"{\"a\":1,\"b\":2,\"c\":3,\"d\":4,\"e\":5,\"f\":6,\"g\":7,\"h\":8,\"i\":9,\"j\":10,"
	"\"k\":11,\"l\":12,\"m\":13,\"n\":14,\"o\":15,\"p\":16,\"q\":17,\"r\":18}",
	"{\"a\":\"x\",\"\\u0062\":\"y\"}", "{\"\":0}", "{\"a\":1e308}", "{\"a\":1e-400}",
	"{\"a\":123456789012345678901234567890}", "{\"a\":[]}", "{\"a\":[[[]]]}",
	"{\"a\":\"\\u20ac\"}", "\t{\"a\" : [ 1 , 2 ] }\r",
};

static const char *const invalid_lines[] = {
	"", "[]", "\"x\"", "1", "null", "{", "}", "{\"a\"}", "{\"a\":}", "{\"a\":1,}", "{,}",
	"{'a':1}", "{\"a\":1}x", "{\"a\":1} {}", "{\"a\":01}", "{\"a\":.5}", "{\"a\":1.}",
	"{\"a\":+1}", "{\"a\":1e}", "{\"a\":-}", "{\"a\":tru}", "{\"a\":nul}", "{\"a\":True}",
	"{\"a\":\"\\x\"}", "{\"a\":\"\\u12\"}", "{\"a\":\"\\u0000\"}", "{\"a\":\"\\ud800\"}",
	"{\"a\":\"\\udc00\"}", "{\"a\":\"\\ud800\\u0041\"}", "{\"a\":\"tab\there\"}",
	"{\"a\":\"\xff\"}", "{\"a\":\"\xc3\"}", "{\"a\":1,\"a\":2}", "{\"a\":1,\"\\u0061\":2}",
	"{\"a\":{\"b\":1,\"b\":1}}", "{\"a\":1e400}", "{\"a\":-1e400}", "{\"a\":[1,]}",
	"{\"a\":[1 2]}", "{\"a\" 1}", "{\"a\":\"unterminated}",
	"{\"a\":1,\"b\":2,\"c\":3,\"d\":4,\"e\":5,\"f\":6,\"g\":7,\"h\":8,\"i\":9,\"j\":10,"
	"\"k\":11,\"l\":12,\"m\":13,\"n\":14,\"o\":15,\"p\":16,\"q\":17,\"a\":18}",
};

TEST(scanner_agrees_on_fixed_cases)
{
	for (size_t i = 0; i < sizeof valid_lines / sizeof *valid_lines; i++) {
		const char *s = valid_lines[i];
		CHECK_INT(jansson_accepts(s, strlen(s)), 1);
		if (scanner_accepts(s, strlen(s)) != 1)
			printf("#   valid line refused: %s\n", s);
		CHECK_INT(scanner_accepts(s, strlen(s)), 1);
	}
	for (size_t i = 0; i < sizeof invalid_lines / sizeof *invalid_lines; i++) {
		const char *s = invalid_lines[i];
		CHECK_INT(jansson_accepts(s, strlen(s)), 0);
		if (scanner_accepts(s, strlen(s)) != 0)
			printf("#   invalid line accepted: %s\n", s);
		CHECK_INT(scanner_accepts(s, strlen(s)), 0);
	}
	/* A NUL byte inside the line. */
	CHECK_INT(scanner_accepts("{\"a\":\"x\0\"}", 10), 0);
}

TEST(scanner_depth_limit_matches_jansson)
{
	for (int depth = 2047; depth <= 2050; depth++) {
		sgp_buf b = SGP_BUF_INIT;

		sgp_buf_addc(&b, '{');
		sgp_buf_adds(&b, "\"a\":");
		for (int i = 1; i < depth; i++)
			sgp_buf_addc(&b, '[');
		for (int i = 1; i < depth; i++)
			sgp_buf_addc(&b, ']');
		sgp_buf_addc(&b, '}');
		CHECK_INT(scanner_accepts(b.data, b.len), jansson_accepts(b.data, b.len));
		sgp_buf_release(&b);
	}
}

/* Random single-byte edits of valid lines: both parsers give the same verdict. */
TEST(scanner_agrees_on_mutations)
{
	static const char alphabet[] = "{}[]\":,\\ 0123456789-+.eEtrufalsnu\x01\x7f\xc3\xa9\xff";
	unsigned seed = 12345;
	int disagreements = 0;

	for (int round = 0; round < 40000; round++) {
		const char *base = valid_lines[round % (sizeof valid_lines / sizeof *valid_lines)];
		size_t n = strlen(base);
		char buf[512];
		int edits;

		memcpy(buf, base, n);
		seed = seed * 1103515245 + 12345;
		edits = 1 + (int)(seed >> 16) % 3;
		for (int k = 0; k < edits && n > 0; k++) {
			size_t at;
			seed = seed * 1103515245 + 12345;
			at = (seed >> 8) % n;
			seed = seed * 1103515245 + 12345;
			switch ((seed >> 20) % 3) {
			case 0: /* replace */
				buf[at] = alphabet[(seed >> 4) % (sizeof alphabet - 1)];
				break;
			case 1: /* delete */
				memmove(buf + at, buf + at + 1, n - at - 1);
				n--;
				break;
			default: /* insert */
				if (n + 1 < sizeof buf) {
					memmove(buf + at + 1, buf + at, n - at);
					buf[at] = alphabet[(seed >> 4) % (sizeof alphabet - 1)];
					n++;
				}
			}
		}
		if (memchr(buf, '\0', n))
			continue;
		if (jansson_accepts(buf, n) != scanner_accepts(buf, n)) {
			if (disagreements++ < 5)
				printf("#   disagree (jansson %d): %.*s\n", jansson_accepts(buf, n), (int)n, buf);
		}
	}
	CHECK_INT(disagreements, 0);
}

TEST(scanner_resolves_pointers)
{
	const char *line = "{\"id\":\"e1\",\"data\":{\"total\":2291.22,\"x/y\":\"s\",\"m~n\":true,"
			   "\"esc\":\"a\\\"b\\u00e9\",\"lines\":[{\"amt\":\"1\"},{\"amt\":\"2.50\"}]},"
			   "\"n\":null}";
	rec_paths *ps = rec_paths_new();
	const char *why;
	int id = rec_paths_add(ps, "/id", &why), total = rec_paths_add(ps, "/data/total", &why);
	int xy = rec_paths_add(ps, "/data/x~1y", &why), mn = rec_paths_add(ps, "/data/m~0n", &why);
	int esc = rec_paths_add(ps, "/data/esc", &why), l1 = rec_paths_add(ps, "/data/lines/1/amt", &why);
	int lines = rec_paths_add(ps, "/data/lines", &why), n = rec_paths_add(ps, "/n", &why);
	int absent = rec_paths_add(ps, "/data/nope", &why), root = rec_paths_add(ps, "", &why);
	int l5 = rec_paths_add(ps, "/data/lines/5/amt", &why);
	rec_scanner *sc = rec_scanner_new(ps);
	struct rec_hit h[16];
	sgp_line_error e;

	CHECK_INT(rec_paths_add(ps, "/id", &why), id);   /* same pointer, same slot */
	CHECK_INT(rec_scan(sc, line, strlen(line), h, &e), 0);
	CHECK(h[id].type == REC_J_STRING && h[id].n == 2 && memcmp(h[id].p, "e1", 2) == 0);
	CHECK(h[total].type == REC_J_NUMBER && h[total].n == 7 && memcmp(h[total].p, "2291.22", 7) == 0);
	CHECK(h[xy].type == REC_J_STRING && h[xy].n == 1 && h[xy].p[0] == 's');
	CHECK(h[mn].type == REC_J_TRUE);
	CHECK(h[esc].type == REC_J_STRING && h[esc].n == 5 && memcmp(h[esc].p, "a\"b\xc3\xa9", 5) == 0);
	CHECK(h[l1].type == REC_J_STRING && h[l1].n == 4 && memcmp(h[l1].p, "2.50", 4) == 0);
	CHECK(h[lines].type == REC_J_ARRAY && h[lines].p[0] == '[' && h[lines].p[h[lines].n - 1] == ']');
	CHECK(h[n].type == REC_J_NULL);
	CHECK(h[absent].type == REC_J_NONE);
	CHECK(h[l5].type == REC_J_NONE);
	CHECK(h[root].type == REC_J_OBJECT && h[root].n == strlen(line));
	CHECK(rec_paths_add(ps, "id", &why) < 0);
	CHECK(rec_paths_add(ps, "/a~2", &why) < 0);
	rec_scanner_free(sc);
	rec_paths_free(ps);
}

/* ---- configuration ---------------------------------------------------------- */

TEST(config_parses_specs)
{
	struct rec_config c;
	char err[256];

	rec_config_init(&c);
	CHECK_INT(rec_config_add_key(&c, "/data/invoice_id=invoice,fold,trim", err, sizeof err), 0);
	CHECK_STR(c.keys[0].name[0], "/data/invoice_id");
	CHECK_STR(c.keys[0].name[1], "invoice");
	CHECK(c.keys[0].fold && c.keys[0].trim && c.keys[0].type == REC_KEY_STRING);
	CHECK_INT(rec_config_add_key(&c, "line\\,no,number", err, sizeof err), 0);
	CHECK_STR(c.keys[1].name[0], "line,no");
	CHECK_STR(c.keys[1].name[1], "line,no");
	CHECK(c.keys[1].type == REC_KEY_NUMBER);
	CHECK_INT(rec_config_add_field(&c, REC_MONEY,
				       "/data/total=amount,currency=/data/currency=cur,abs=0.01,rel=0.1%",
				       err, sizeof err), 0);
	CHECK_STR(c.fields[0].currency[0], "/data/currency");
	CHECK_STR(c.fields[0].currency[1], "cur");
	{
		sgp_dec want;
		sgp_dec_parse("0.01", &want, NULL);
		CHECK(sgp_dec_eq(c.fields[0].abs_tol, want));
		sgp_dec_parse("0.001", &want, NULL);
		CHECK(sgp_dec_eq(c.fields[0].rel_tol, want));
	}
	CHECK_INT(rec_config_add_field(&c, REC_TIME, "/t,drift=5m", err, sizeof err), 0);
	CHECK(c.fields[1].drift_ns == 300LL * 1000000000);
	CHECK_INT(rec_config_add_field(&c, REC_STRING, "a\\=b=c,fold", err, sizeof err), 0);
	CHECK_STR(c.fields[2].name[0], "a=b");
	CHECK_STR(c.fields[2].name[1], "c");
	CHECK_INT(rec_config_add_field(&c, REC_NUMBER, "#count=/data/lines", err, sizeof err), 0);

	/* errors */
	CHECK_INT(rec_config_add_key(&c, "/k,upper", err, sizeof err), -1);
	CHECK(strstr(err, "upper") != NULL);
	CHECK_INT(rec_config_add_key(&c, "=x", err, sizeof err), -1);
	CHECK_INT(rec_config_add_key(&c, "#count", err, sizeof err), -1);
	CHECK_INT(rec_config_add_field(&c, REC_MONEY, "/t,abs=-1", err, sizeof err), -1);
	CHECK_INT(rec_config_add_field(&c, REC_MONEY, "/t,abs=x", err, sizeof err), -1);
	CHECK_INT(rec_config_add_field(&c, REC_STRING, "/t,abs=1", err, sizeof err), -1);
	CHECK_INT(rec_config_add_field(&c, REC_TIME, "/t,drift=5w", err, sizeof err), -1);
	CHECK_INT(rec_config_add_field(&c, REC_MONEY, "#count", err, sizeof err), -1);
	CHECK_INT(rec_config_set_aggregate(&c, "middle", err, sizeof err), -1);
	CHECK_INT(rec_config_set_aggregate(&c, "both", err, sizeof err), 0);
	CHECK(c.aggregate[0] && c.aggregate[1]);
	CHECK_INT((int)c.nkeys, 2);
	CHECK_INT((int)c.nfields, 4);
	rec_config_release(&c);
}

TEST(config_names_and_limits)
{
	struct rec_config c;
	char err[256], spec[32];
	char long_name[130];

	/* the run's name is an external id, since it is source.id */
	CHECK(rec_name_valid("reconcile"));
	CHECK(rec_name_valid("erp_2026-11/close#1"));
	CHECK(rec_name_valid("_x:y.z@a+b"));
	CHECK(!rec_name_valid(""));
	CHECK(!rec_name_valid("month end"));
	CHECK(!rec_name_valid("-x"));
	CHECK(!rec_name_valid(".x"));
	CHECK(!rec_name_valid("caf\xc3\xa9"));
	CHECK(!rec_name_valid("a=b"));
	memset(long_name, 'n', 128);
	long_name[128] = '\0';
	CHECK(rec_name_valid(long_name));
	long_name[128] = 'n';
	long_name[129] = '\0';
	CHECK(!rec_name_valid(long_name));

	rec_config_init(&c);
	CHECK_INT(rec_config_set_name(&c, "billing-vs-erp", err, sizeof err), 0);
	CHECK_STR(c.name, "billing-vs-erp");
	CHECK_INT(rec_config_set_name(&c, "billing vs erp", err, sizeof err), -1);
	CHECK_STR(err, "invalid name 'billing vs erp' (1 to 128 letters, digits and _ . : / # @ + -, "
		  "starting with a letter, digit or _)");
	CHECK_STR(c.name, "billing-vs-erp");     /* unchanged */

	/* a name is compared once per side: values are listed by name */
	CHECK_INT(rec_config_add_field(&c, REC_MONEY, "/total=amount", err, sizeof err), 0);
	CHECK_INT(rec_config_add_field(&c, REC_NUMBER, "/total=qty", err, sizeof err), -1);
	CHECK_STR(err, "left field '/total' is compared twice");
	CHECK_INT(rec_config_add_field(&c, REC_STRING, "/memo=amount", err, sizeof err), -1);
	CHECK_STR(err, "right field 'amount' is compared twice");
	CHECK_INT(rec_config_add_field(&c, REC_STRING, "amount=/total", err, sizeof err), 0);
	CHECK_INT((int)c.nfields, 2);

	/* limits the discrepancy schemas state */
	for (int i = 0; i < REC_MAX_KEYS; i++) {
		snprintf(spec, sizeof spec, "/k%d", i);
		CHECK_INT(rec_config_add_key(&c, spec, err, sizeof err), 0);
	}
	CHECK_INT(rec_config_add_key(&c, "/one-more", err, sizeof err), -1);
	CHECK_STR(err, "too many key components (at most 16)");
	for (int i = (int)c.nfields; i < REC_MAX_FIELDS; i++) {
		snprintf(spec, sizeof spec, "/f%d", i);
		CHECK_INT(rec_config_add_field(&c, REC_NUMBER, spec, err, sizeof err), 0);
	}
	CHECK_INT(rec_config_add_field(&c, REC_NUMBER, "/one-more", err, sizeof err), -1);
	CHECK_STR(err, "too many compared fields (at most 256)");
	CHECK_INT((int)c.nkeys, REC_MAX_KEYS);
	CHECK_INT((int)c.nfields, REC_MAX_FIELDS);
	rec_config_release(&c);
}

TEST(durations)
{
	int64_t ns;

	CHECK(rec_parse_duration("90", &ns) == 0 && ns == 90LL * 1000000000);
	CHECK(rec_parse_duration("500ms", &ns) == 0 && ns == 500LL * 1000000);
	CHECK(rec_parse_duration("2h", &ns) == 0 && ns == 7200LL * 1000000000);
	CHECK(rec_parse_duration("1d", &ns) == 0 && ns == 86400LL * 1000000000);
	CHECK(rec_parse_duration("0", &ns) == 0 && ns == 0);
	CHECK(rec_parse_duration("", &ns) < 0);
	CHECK(rec_parse_duration("m", &ns) < 0);
	CHECK(rec_parse_duration("-5s", &ns) < 0);
	CHECK(rec_parse_duration("5 s", &ns) < 0);
}

/* ---- records ---------------------------------------------------------------- */

static void key_part(const char *r, size_t nf, size_t which, char *out, size_t cap)
{
	const char *p = rec_key(r, nf), *end = p + rec_keylen(r);
	uint32_t len = 0;

	out[0] = '\0';
	for (size_t i = 0; p < end; i++) {
		memcpy(&len, p, 4);
		if (i == which) {
			snprintf(out, cap, "%.*s", (int)len, p + 4);
			return;
		}
		p += 4 + len;
	}
}

TEST(records_from_lines)
{
	struct rec_config c;
	char err[256], k[64];
	int status;
	rec_source *s;
	sgp_buf rec = SGP_BUF_INIT, rej = SGP_BUF_INIT;
	struct rec_value v;
	const char *line;

	rec_config_init(&c);
	rec_config_add_key(&c, "/data/inv,fold,trim", err, sizeof err);
	rec_config_add_key(&c, "/data/n,number", err, sizeof err);
	rec_config_add_field(&c, REC_MONEY, "/data/total,currency=/data/cur", err, sizeof err);
	rec_config_add_field(&c, REC_TIME, "/data/at", err, sizeof err);
	s = rec_source_open(&c, REC_LEFT, "/dev/null", &status, err, sizeof err);
	CHECK(s != NULL);
	if (s == NULL)
		return;

	line = "{\"spec\":\"sgp.event/1\",\"id\":\"e1\",\"occurred_at\":\"2026-11-01T12:00:00Z\","
	       "\"correlation_id\":\"0f8fad5b-d9cb-469f-a165-70867728950e\","
	       "\"data\":{\"inv\":\" INV-7 \",\"n\":1.50,\"total\":\"12.50\",\"cur\":\"USD\","
	       "\"at\":\"2026-11-01T13:00:00+01:00\"}}";
	CHECK_INT(rec_build_ndjson_line(s, line, strlen(line), 3, &rec, &rej), REC_BUILT_RECORD);
	CHECK_INT((int)rec_len(rec.data), (int)rec.len);
	CHECK_INT(rec_side(rec.data), REC_LEFT);
	CHECK(rec_flags(rec.data) & REC_F_EVENT);
	CHECK(rec_flags(rec.data) & REC_F_TIME);
	CHECK(rec_flags(rec.data) & REC_F_UUID);
	CHECK(!(rec_flags(rec.data) & REC_F_INVALID));
	CHECK(rec_u64(rec.data, REC_O_LINE) == 3);
	key_part(rec.data, 2, 0, k, sizeof k);
	CHECK_STR(k, "inv-7");
	key_part(rec.data, 2, 1, k, sizeof k);
	CHECK_STR(k, "1.5");
	{
		char ubuf[37], z[64];
		const char *cs;
		size_t cn = rec_corr_text(rec.data, 2, ubuf, &cs);
		snprintf(z, sizeof z, "%.*s", (int)cn, cs);
		CHECK_STR(z, "0f8fad5b-d9cb-469f-a165-70867728950e");
	}
	rec_value_get(rec.data, 0, &v);
	CHECK_INT(v.status, REC_V_OK);
	CHECK(v.dec.coef == 1250 && v.dec.scale == 2);
	CHECK(v.curlen == 3 && memcmp(v.cur, "USD", 3) == 0);
	rec_value_get(rec.data, 1, &v);
	CHECK_INT(v.status, REC_V_OK);
	CHECK(v.time.sec == 1793534400);

	/* an unreadable amount: a record flagged invalid, and a money reject */
	line = "{\"data\":{\"inv\":\"A\",\"n\":\"2\",\"total\":\"1,234.00\",\"cur\":\"USD\"}}";
	CHECK_INT(rec_build_ndjson_line(s, line, strlen(line), 4, &rec, &rej), REC_BUILT_RECORD);
	CHECK(rec_flags(rec.data) & REC_F_INVALID);
	CHECK(!(rec_flags(rec.data) & REC_F_EVENT));
	rec_value_get(rec.data, 0, &v);
	CHECK_INT(v.status, REC_V_INVALID);
	CHECK(v.textlen == 8 && memcmp(v.text, "1,234.00", 8) == 0);
	rec_value_get(rec.data, 1, &v);
	CHECK_INT(v.status, REC_V_MISSING);
	CHECK(strstr(rej.data, "\"reason\":\"money\"") != NULL);
	CHECK(strstr(rej.data, "\"line\":4") != NULL);

	/* a key that is missing, or not a number where one is wanted */
	line = "{\"data\":{\"n\":\"2\"}}";
	CHECK_INT(rec_build_ndjson_line(s, line, strlen(line), 5, &rec, &rej), REC_BUILT_REJECT);
	CHECK(strstr(rej.data, "\"reason\":\"mapping\"") != NULL);
	CHECK(strstr(rej.data, "key /data/inv is missing") != NULL);
	line = "{\"data\":{\"inv\":\"x\",\"n\":\"two\"}}";
	CHECK_INT(rec_build_ndjson_line(s, line, strlen(line), 6, &rec, &rej), REC_BUILT_REJECT);
	CHECK(strstr(rej.data, "is not a number") != NULL);
	line = "{\"data\":{\"inv\":\"   \",\"n\":1}}";
	CHECK_INT(rec_build_ndjson_line(s, line, strlen(line), 7, &rec, &rej), REC_BUILT_REJECT);
	CHECK(strstr(rej.data, "is empty") != NULL);
	/* state lines are not records; unknown specs and bad JSON are rejects */
	line = "{\"spec\":\"sgp.state/1\",\"cursor\":{}}";
	CHECK_INT(rec_build_ndjson_line(s, line, strlen(line), 8, &rec, &rej), REC_BUILT_IGNORED);
	line = "{\"spec\":\"sgp.reject/1\"}";
	CHECK_INT(rec_build_ndjson_line(s, line, strlen(line), 9, &rec, &rej), REC_BUILT_REJECT);
	CHECK(strstr(rej.data, "\"reason\":\"parse\"") != NULL);
	line = "{\"data\":";
	CHECK_INT(rec_build_ndjson_line(s, line, strlen(line), 10, &rec, &rej), REC_BUILT_REJECT);
	CHECK(strstr(rej.data, "\"raw\":\"{\\\"data\\\":\"") != NULL);

	sgp_buf_release(&rec);
	sgp_buf_release(&rej);
	rec_source_close(s);
	rec_config_release(&c);
}

/* ---- table ------------------------------------------------------------------ */

static void make_record(sgp_buf *b, int side, unsigned long long line, const char *key)
{
	uint32_t klen = (uint32_t)strlen(key), total = REC_HDR + 4 + klen;
	char *r;

	sgp_buf_reset(b);
	sgp_buf_grow(b, total);
	r = b->data;
	memset(r, 0, REC_HDR);
	rec_put32(r, REC_O_LEN, total);
	memcpy(r + REC_HDR, &klen, 4);
	memcpy(r + REC_HDR + 4, key, klen);
	rec_put32(r, REC_O_HASH, (uint32_t)rec_hash(r + REC_HDR, 4 + klen, 0));
	rec_put64(r, REC_O_LINE, line);
	rec_put32(r, REC_O_KEYLEN, 4 + klen);
	r[REC_O_SIDE] = (char)side;
	b->len = total;
}

TEST(table_finds_and_iterates_in_order)
{
	rec_table *t = rec_table_new(0, 4096);
	sgp_buf b = SGP_BUF_INIT;
	char key[32];
	size_t chunk = 0, off = 0, n = 0;
	const char *r;
	int ok = 1;

	for (int i = 0; i < 20000; i++) {
		snprintf(key, sizeof key, "k%d", i);
		make_record(&b, i % 2, (unsigned long long)i + 1, key);
		rec_table_insert(t, b.data);
	}
	CHECK_INT((int)rec_table_count(t), 20000);
	for (int i = 0; i < 20000; i++) {
		snprintf(key, sizeof key, "k%d", i);
		make_record(&b, i % 2, 0, key);
		r = rec_table_find(t, i % 2, b.data + REC_HDR, rec_keylen(b.data), rec_u32(b.data, REC_O_HASH));
		if (r == NULL || rec_u64(r, REC_O_LINE) != (uint64_t)i + 1)
			ok = 0;
		/* the same key on the other side is another record */
		if (rec_table_find(t, 1 - i % 2, b.data + REC_HDR, rec_keylen(b.data),
				   rec_u32(b.data, REC_O_HASH)) != NULL)
			ok = 0;
	}
	CHECK(ok);
	while ((r = rec_table_next(t, &chunk, &off)) != NULL) {
		if (rec_u64(r, REC_O_LINE) != n + 1)
			ok = 0;
		n++;
	}
	CHECK(ok);
	CHECK_INT((int)n, 20000);
	CHECK(rec_table_bytes(t) > 20000 * (size_t)REC_HDR);
	CHECK(rec_table_need(t, 100) >= rec_table_bytes(t));
	sgp_buf_release(&b);
	rec_table_free(t);
}

TEST(temporary_files_round_trip)
{
	rec_tmp *t = rec_tmp_new("/tmp", 4096);
	sgp_buf b = SGP_BUF_INIT;
	int ok = 1, n = 0;

	for (int i = 0; i < 3000; i++) {
		char key[32];
		snprintf(key, sizeof key, "key-%d", i);
		make_record(&b, 0, (unsigned long long)i, key);
		rec_tmp_write(t, b.data, b.len);
	}
	rec_tmp_done(t);
	rec_tmp_rewind(t);
	while (rec_tmp_read_record(t, &b)) {
		if (rec_u64(b.data, REC_O_LINE) != (uint64_t)n)
			ok = 0;
		n++;
	}
	CHECK(ok);
	CHECK_INT(n, 3000);
	sgp_buf_release(&b);
	rec_tmp_free(t);
}

TEST(hash_seeds_differ)
{
	CHECK(rec_hash("abc", 3, 0) != rec_hash("abc", 3, 1));
	CHECK(rec_hash("abc", 3, 1) == rec_hash("abc", 3, 1));
	CHECK(rec_hash("abcdefghij", 10, 0) != rec_hash("abcdefghik", 10, 0));
}

int main(void)
{
	sgp_set_progname("test_reconcile");
	RUN(scanner_agrees_on_fixed_cases);
	RUN(scanner_depth_limit_matches_jansson);
	RUN(scanner_agrees_on_mutations);
	RUN(scanner_resolves_pointers);
	RUN(config_parses_specs);
	RUN(config_names_and_limits);
	RUN(durations);
	RUN(records_from_lines);
	RUN(table_finds_and_iterates_in_order);
	RUN(temporary_files_round_trip);
	RUN(hash_seeds_differ);
	return unit_done();
}
