/* test_jsonfast.c: sgp_json_fast_parse gives exactly what sgp_line_parse
 * gives (values, member order, integer vs real, errors), on chosen cases
 * and on many random mutations of real lines. */
#include "unit.h"

#include "jsonfast.h"
#include "lineio.h"
#include "util.h"

static int mismatches;

static char *dump(const json_t *v)
{
	return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(17));
}

/* Parse S (N bytes) both ways; 1 if the results agree. */
static int agree_n(const char *s, size_t n, int flags)
{
	sgp_line_error e1, e2;
	json_t *a = sgp_line_parse(s, n, flags, &e1);
	json_t *b = sgp_json_fast_parse(s, n, flags, &e2);
	int ok;

	if (a == NULL || b == NULL) {
		ok = a == b && strcmp(e1.message, e2.message) == 0 && e1.column == e2.column;
	} else {
		char *da = dump(a), *db = dump(b);

		ok = json_equal(a, b) && da && db && strcmp(da, db) == 0 &&
		     json_typeof(a) == json_typeof(b);
		free(da);
		free(db);
	}
	if (!ok && mismatches++ < 10) {
		printf("#   mismatch on %zu bytes: ", n);
		for (size_t i = 0; i < n && i < 200; i++)
			printf((unsigned char)s[i] >= 0x20 && (unsigned char)s[i] < 0x7f ? "%c" : "\\x%02x",
			       (unsigned char)s[i]);
		printf("\n#     reference %s, fast %s\n", a ? "value" : e1.message, b ? "value" : e2.message);
	}
	json_decref(a);
	json_decref(b);
	return ok;
}

static int agree(const char *s, int flags)
{
	return agree_n(s, strlen(s), flags);
}

/* A value the fast parser must build itself (not through the fallback):
 * same dump as the reference. */
static int same_value(const char *s, const char *want_dump)
{
	sgp_line_error e;
	json_t *v = sgp_json_fast_parse(s, strlen(s), SGP_PARSE_ANY_VALUE, &e);
	char *d = v ? dump(v) : NULL;
	int ok = d && strcmp(d, want_dump) == 0;

	if (!ok)
		printf("#   %s: got %s, want %s\n", s, d ? d : e.message, want_dump);
	free(d);
	json_decref(v);
	return ok;
}

TEST(valid_documents)
{
	static const char *const cases[] = {
		"{}", "[]", " { } ", "\t{\"a\" : 1 }\r", "{\"a\":{\"b\":[1,2,{\"c\":null}]}}",
		"{\"s\":\"plain\",\"t\":true,\"f\":false,\"n\":null}",
		"{\"e\":\"\\\" \\\\ \\/ \\b \\f \\n \\r \\t\"}",
		"{\"u\":\"\\u00e9\\u20ac\\ud83d\\ude00\"}",
		"{\"raw\":\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"}",
		"{\"k\\u00e9y\":1,\"k\\n\":2}",
		"{\"a long key with an escape \\t that does not fit in sixty-four bytes of stack buffer\":[1,\"x\\ty\"]}",
		"{\"n\":[0,-0,1,-1,1.5,-1.5,1e5,1E-5,1e+5,0.1e1,2291.22,12.50,1e-400]}",
		"{\"big\":[9223372036854775807,-9223372036854775808]}",
		"{\"over\":9223372036854775808}", "{\"over\":-9223372036854775809}",
		"{\"huge\":123456789012345678901234567890}",
		"{\"\":\"\"}", "{\"a\":[[],{}],\"b\":[{}]}",
		"{\"x\":1.7976931348623157e308}", "{\"x\":4.9e-324}", "{\"x\":2.5e-310}",
	};
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		CHECK(agree(cases[i], 0));
		CHECK(agree(cases[i], SGP_PARSE_ANY_VALUE));
	}
}

TEST(values_built_directly)
{
	CHECK(same_value("{\"b\":2,\"a\":1}", "{\"b\":2,\"a\":1}"));
	CHECK(same_value("2291.22", "2291.2199999999998"));
	CHECK(same_value("[1,1.0,-0,1e2]", "[1,1.0,0,100.0]"));
	CHECK(same_value("\"\\u00e9\"", "\"\xc3\xa9\""));
	CHECK(same_value("-9223372036854775808", "-9223372036854775808"));
}

TEST(scalars_and_any_value)
{
	static const char *const cases[] = {
		"1", "-2.5", "\"s\"", "true", "false", "null", "[1]", " 7 ",
	};
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		CHECK(agree(cases[i], 0));   /* not an object: the same error */
		CHECK(agree(cases[i], SGP_PARSE_ANY_VALUE));
	}
}

TEST(invalid_documents)
{
	static const char *const cases[] = {
		"", " ", "{", "}", "{\"a\":1,}", "[1,]", "{\"a\" 1}", "{\"a\":}", "{a:1}", "{'a':1}",
		"{\"a\":01}", "{\"a\":1.}", "{\"a\":.5}", "{\"a\":+1}", "{\"a\":-}", "{\"a\":1e}",
		"{\"a\":1e+}", "{\"a\":tru}", "{\"a\":nul}", "{\"a\":truex}", "{\"a\":\"x}",
		"{\"a\":\"\\x\"}", "{\"a\":\"\\u12\"}", "{\"a\":\"\\u12G4\"}", "{\"a\":\"\\ud800\"}",
		"{\"a\":\"\\udc00\"}", "{\"a\":\"\\ud800\\u0041\"}", "{\"a\":\"\\u0000\"}",
		"{\"a\":\"tab\there\"}", "{} x", "{}{}", "{\"a\":1}}", "[1 2]", "{\"a\":1 \"b\":2}",
		"{\"a\":1,\"a\":2}", "{\"a\":1,\"\\u0061\":2}", "{\"x\":{\"k\":1,\"k\":1}}",
		"{\"a\":1e400}", "{\"a\":-1e400}", "{\"a\":NaN}", "{\"a\":Infinity}",
		"\xef\xbb\xbf{}", "{\"a\":\"\xc0\x80\"}", "{\"a\":\"\xed\xa0\x80\"}",
		"{\"a\":\"\xf5\x80\x80\x80\"}", "{\"a\":\"\xe2\x82\"}", "{\"a\":\"\x80\"}",
		"{\"a\":\"\xf4\x90\x80\x80\"}", "{\"\xff\":1}", "{\"a\":[}", "[",
	};
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		CHECK(agree(cases[i], 0));
		CHECK(agree(cases[i], SGP_PARSE_ANY_VALUE));
	}
	CHECK(agree_n("{\"a\":\"x\0y\"}", 11, 0));
	CHECK(agree_n("{\"a\":1}\0", 8, 0));
}

TEST(deep_nesting)
{
	size_t depths[] = { 100, 2047, 2048, 2049, 10000 };
	size_t k, i;

	for (k = 0; k < sizeof depths / sizeof depths[0]; k++) {
		size_t d = depths[k];
		char *s = xmalloc(2 * d + 16);
		size_t n = 0;

		n += (size_t)snprintf(s, 16, "{\"a\":");
		for (i = 0; i < d; i++)
			s[n++] = '[';
		for (i = 0; i < d; i++)
			s[n++] = ']';
		s[n++] = '}';
		CHECK(agree_n(s, n, 0));
		free(s);
	}
}

TEST(long_strings)
{
	size_t n = 1 << 20, i;
	char *s = xmalloc(n + 32);

	memcpy(s, "{\"s\":\"", 6);
	for (i = 0; i < n; i++)
		s[6 + i] = (char)('a' + i % 26);
	memcpy(s + 6 + n, "\"}", 2);
	CHECK(agree_n(s, n + 8, 0));
	s[6 + n / 2] = '\\';
	s[6 + n / 2 + 1] = 'n';
	CHECK(agree_n(s, n + 8, 0));
	free(s);
}

/* A small deterministic generator for the mutations. */
static uint64_t rng = 88172645463325252ULL;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

TEST(random_mutations)
{
	static const char *const seeds[] = {
		"{\"spec\":\"sgp.event/1\",\"id\":\"evt_1\",\"type\":\"invoice.posted\","
		"\"occurred_at\":\"2026-11-01T12:00:00Z\",\"source\":{\"system\":\"netsuite\","
		"\"object\":\"invoice\",\"id\":\"INV-1\"},\"data\":{\"total\":\"46006.08\","
		"\"lines\":[{\"sku\":\"PLAN-TEAM\",\"quantity\":44,\"amount\":\"39130.52\"}],"
		"\"rate\":0.125,\"n\":-12,\"memo\":\"caf\xc3\xa9 \\u00e9 \\ud83d\\ude00\",\"ok\":true,\"x\":null}}",
		"[1,2.5e3,-0.0,{\"a\":[\"\\\"\",\"\\\\\"]},true,false,null]",
	};
	static const char alphabet[] = "{}[]:,\"\\u0123456789.eE+-tfn \t\xc3\xa9\x80\xff\xed\xf0";
	size_t iter, bad_before = (size_t)mismatches;
	char buf[512];

	for (iter = 0; iter < 40000; iter++) {
		const char *seed = seeds[iter % 2];
		size_t n = strlen(seed), k, muts = 1 + next() % 3;

		memcpy(buf, seed, n);
		for (k = 0; k < muts; k++) {
			size_t pos = next() % n;
			unsigned op = (unsigned)(next() % 3);
			char c = alphabet[next() % (sizeof alphabet - 1)];

			if (op == 0) {
				buf[pos] = c;                     /* replace */
			} else if (op == 1 && n + 1 < sizeof buf) {
				memmove(buf + pos + 1, buf + pos, n - pos);   /* insert */
				buf[pos] = c;
				n++;
			} else if (n > 1) {
				memmove(buf + pos, buf + pos + 1, n - pos - 1);   /* delete */
				n--;
			}
		}
		if (!agree_n(buf, n, iter % 5 == 0 ? SGP_PARSE_ANY_VALUE : 0))
			break;
	}
	CHECK_INT((size_t)mismatches, bad_before);
}

int main(void)
{
	RUN(valid_documents);
	RUN(values_built_directly);
	RUN(scalars_and_any_value);
	RUN(invalid_documents);
	RUN(deep_nesting);
	RUN(long_strings);
	RUN(random_mutations);
	return unit_done();
}
