/* fuzz_mapping.c: the mapping engine.  The first byte picks the mode:
 *
 *   < 0x80  the contrib mappings (compiled once) on a fuzzed input line,
 *           the way sgp-map runs them: byte % 16 picks the type of plain
 *           records (one of the mappings' input types, or none), bit 0x10
 *           --strict.  Properties: the counters add up (in = mapped +
 *           passed + rejected, state lines outside); a passed or state
 *           line is written byte for byte; every output line is one JSON
 *           object, an event with an id and an idempotency key, and every
 *           reject line is an sgp.reject/1 object with a known reason;
 *           mapping the same line again gives the same bytes.
 *
 *   >= 0x80 a fuzzed spec, then optionally a record after it: compiled
 *           (lookup files only below contrib/mappings), its field list
 *           walked, its examples run, and the record mapped.  Properties:
 *           a spec that does not compile has a message naming it; a
 *           mapping result is events that parse, or a reject with a known
 *           reason and at least one error, or nothing when it does not
 *           match; applying twice gives the same result.
 *
 * Run from the source tree (contrib/mappings). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lineio.h"
#include "mapping.h"
#include "util.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAPDIR "contrib/mappings"

static const char *const names[] = {
	"chargebee-credit-note.json", "chargebee-invoice.json", "contract-amended-to-revrec.json",
	"credit-approved-to-netsuite.json", "netsuite-invoice.json", "salesforce-opportunity.json",
	"stripe-credit-note.json", "stripe-invoice.json", "zendesk-credit-request.json",
};
#define NMAP (sizeof names / sizeof names[0])

static sgp_mapset *set;
static const char *types[NMAP];
static sgp_map_ctx *ctx1, *ctx2;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	set = sgp_mapset_new();
	for (size_t i = 0; i < NMAP; i++) {
		char *path = xasprintf("%s/%s", MAPDIR, names[i]), *err = NULL;
		sgp_mapping *m = sgp_mapping_load(path, &err);

		if (m == NULL) {
			fprintf(stderr, "fuzz_mapping: %s (run from the source tree)\n", err);
			exit(2);
		}
		free(path);
		types[i] = sgp_mapping_type(m, 0);
		sgp_mapset_add(set, m);
	}
	ctx1 = sgp_map_ctx_new();
	ctx2 = sgp_map_ctx_new();
	return 0;
}

static const char *const reasons[] = { "parse", "mapping", "lookup", "money", "time",
				       "unknown_type", NULL };

static int known_reason(const char *r)
{
	for (size_t i = 0; r && reasons[i]; i++)
		if (strcmp(r, reasons[i]) == 0)
			return 1;
	return 0;
}

/* Each line of b is one JSON object; returns how many, aborts otherwise.
 * want: "event" (an sgp.event/1 with id and key), "reject", or NULL. */
static size_t each_line(const sgp_buf *b, const char *want)
{
	size_t n = 0, at = 0;

	while (at < b->len) {
		const char *nl = memchr(b->data + at, '\n', b->len - at);
		sgp_line_error le;
		json_t *v;

		if (nl == NULL)
			abort(); /* every line ends with a newline */
		/* what the next tool downstream reads it with */
		v = sgp_line_parse(b->data + at, (size_t)(nl - b->data - at), 0, &le);
		if (!json_is_object(v))
			abort();
		if (want && strcmp(want, "event") == 0 &&
		    (!json_is_string(json_object_get(v, "id")) ||
		     !json_is_string(json_object_get(v, "type")) ||
		     !json_is_string(json_object_get(v, "idempotency_key")) ||
		     strcmp(json_string_value(json_object_get(v, "spec")), "sgp.event/1") != 0))
			abort();
		if (want && strcmp(want, "reject") == 0 &&
		    (!json_is_string(json_object_get(v, "spec")) ||
		     strcmp(json_string_value(json_object_get(v, "spec")), "sgp.reject/1") != 0 ||
		     !known_reason(json_string_value(json_object_get(v, "reason"))) ||
		     json_array_size(json_object_get(v, "errors")) == 0 ||
		     (!json_object_get(v, "event") && !json_object_get(v, "raw") &&
		      !json_object_get(v, "raw_base64"))))
			abort();
		json_decref(v);
		n++;
		at = (size_t)(nl - b->data) + 1;
	}
	return n;
}

static int same_buf(const sgp_buf *a, const sgp_buf *b)
{
	return a->len == b->len && (a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
}

static void fixed_mode(uint8_t mode, const char *line, size_t len)
{
	struct sgp_map_run_opts o = { (mode & 15) < NMAP ? types[mode & 15] : NULL, (mode & 16) != 0 };
	uint64_t c[SGP_MAP_NCOUNTERS] = { 0 }, c2[SGP_MAP_NCOUNTERS] = { 0 };
	sgp_buf out = SGP_BUF_INIT, rej = SGP_BUF_INIT, out2 = SGP_BUF_INIT, rej2 = SGP_BUF_INIT;
	const char *nl = memchr(line, '\n', len);

	if (nl)
		len = (size_t)(nl - line); /* one line, as the reader gives it */
	sgp_mapset_line(set, ctx1, &o, line, len, 1, "fuzz", &out, &rej, c);
	if (c[SGP_MAPC_IN] != c[SGP_MAPC_MAPPED] + c[SGP_MAPC_PASSED] + c[SGP_MAPC_REJECTED])
		abort(); /* nothing is lost */
	if (c[SGP_MAPC_IN] + c[SGP_MAPC_STATE] != 1)
		abort(); /* one line, counted once */
	if (c[SGP_MAPC_PASSED] || c[SGP_MAPC_STATE]) {
		if (out.len != len + 1 || memcmp(out.data, line, len) != 0 || rej.len != 0)
			abort(); /* passed byte for byte */
	} else if (c[SGP_MAPC_REJECTED]) {
		if (out.len != 0 || each_line(&rej, "reject") != 1)
			abort(); /* one reject, nothing of the line on the output */
	} else {
		if (rej.len != 0 || each_line(&out, "event") != c[SGP_MAPC_EMITTED])
			abort();
	}
	sgp_mapset_line(set, ctx2, &o, line, len, 1, "fuzz", &out2, &rej2, c2);
	if (!same_buf(&out, &out2) || !same_buf(&rej, &rej2) || memcmp(c, c2, sizeof c) != 0)
		abort(); /* deterministic, whatever the context saw before */
	sgp_buf_release(&out);
	sgp_buf_release(&rej);
	sgp_buf_release(&out2);
	sgp_buf_release(&rej2);
}

/* Lookup files only by a plain relative name below MAPDIR. */
static int safe_lookups(const json_t *spec)
{
	const json_t *l = json_object_get(spec, "lookups"), *t;
	const char *k;

	json_object_foreach((json_t *)l, k, t) {
		const char *f = json_string_value(json_object_get(t, "file"));
		if (f == NULL)
			continue;
		if (f[0] == '/' || f[0] == '.' || strstr(f, "..") || strstr(f, "/.") ||
		    strspn(f, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./") !=
			    strlen(f))
			return 0;
	}
	return 1;
}

static int count_field(void *arg, const char *type, const char *path, unsigned flags)
{
	if (type == NULL || path == NULL || path[0] != '/')
		abort();
	(*(size_t *)arg)++;
	return 0;
}

static void apply_twice(const sgp_mapping *m, const json_t *rec, const char *ptype)
{
	sgp_buf out = SGP_BUF_INIT, out2 = SGP_BUF_INIT;
	size_t n = 0, n2 = 0;
	enum sgp_map_status st = sgp_mapping_apply(m, ctx1, rec, ptype, &out, &n);
	enum sgp_map_status st2;

	if (st == SGP_MAP_DONE) {
		if (each_line(&out, "event") != n)
			abort();
	} else if (st == SGP_MAP_ERROR) {
		json_t *e = sgp_map_ctx_errors(ctx1);
		const char *r = sgp_map_ctx_reason(ctx1);
		if (out.len != 0 || json_array_size(e) == 0 || !known_reason(r))
			abort(); /* a reject says why, and nothing is written */
		json_decref(e);
	} else if (out.len != 0) {
		abort();
	}
	st2 = sgp_mapping_apply(m, ctx2, rec, ptype, &out2, &n2);
	if (st != st2 || n != n2 || !same_buf(&out, &out2))
		abort();
	sgp_buf_release(&out);
	sgp_buf_release(&out2);
}

static void spec_mode(const char *text, size_t len)
{
	json_error_t je;
	json_t *spec = json_loadb(text, len, JSON_DISABLE_EOF_CHECK, &je), *rec = NULL;
	size_t used, nfields = 0, nex = 0, failed;
	sgp_buf msgs = SGP_BUF_INIT;
	sgp_mapping *m;
	char *err = NULL;

	if (!json_is_object(spec) || !safe_lookups(spec)) {
		json_decref(spec);
		return;
	}
	used = (size_t)je.position;
	if (used < len)
		rec = json_loadb(text + used, len - used, JSON_REJECT_DUPLICATES, &je);
	m = sgp_mapping_compile(spec, "fuzz.json", MAPDIR, NULL, &err);
	if (m == NULL) {
		if (err == NULL || strncmp(err, "fuzz.json: ", 11) != 0)
			abort(); /* a message naming the spec */
		free(err);
	} else {
		if (sgp_mapping_name(m) == NULL)
			abort();
		sgp_mapping_fields(m, count_field, &nfields);
		for (size_t i = 0; i < sgp_mapping_ntypes(m); i++)
			sgp_mapping_schema_of(m, sgp_mapping_type(m, i));
		failed = sgp_mapping_check_examples(m, &msgs, &nex);
		if (failed > nex || (failed > 0 && msgs.len == 0))
			abort();
		if (json_is_object(rec))
			apply_twice(m, rec, sgp_mapping_ntypes(m) ? sgp_mapping_type(m, 0) : NULL);
		sgp_mapping_free(m);
	}
	sgp_buf_release(&msgs);
	json_decref(rec);
	json_decref(spec);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 1 << 16)
		return 0;
	if (data[0] < 0x80)
		fixed_mode(data[0], (const char *)data + 1, size - 1);
	else
		spec_mode((const char *)data + 1, size - 1);
	return 0;
}
