/* map_set.c: several mappings applied to a stream, line by line, the
 * way sgp-map runs them (see mapping.h). */
#include "map_internal.h"

#include <string.h>

#include "envelope.h"
#include "jsonfast.h"
#include "lineio.h"

struct sgp_mapset {
	sgp_mapping **m;
	size_t n, cap;
};

sgp_mapset *sgp_mapset_new(void)
{
	return xcalloc(1, sizeof(sgp_mapset));
}

void sgp_mapset_add(sgp_mapset *s, sgp_mapping *m)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 4;
		s->m = xreallocarray(s->m, s->cap, sizeof *s->m);
	}
	s->m[s->n++] = m;
}

size_t sgp_mapset_count(const sgp_mapset *s)
{
	return s->n;
}

const sgp_mapping *sgp_mapset_get(const sgp_mapset *s, size_t i)
{
	return i < s->n ? s->m[i] : NULL;
}

void sgp_mapset_free(sgp_mapset *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->n; i++)
		sgp_mapping_free(s->m[i]);
	free(s->m);
	free(s);
}

static void reject(sgp_buf *rejects, const char *reason, json_t *errors, const char *line,
		   size_t len, int is_json, unsigned long long lineno, const char *file)
{
	struct sgp_reject r;

	/* sgp_reject_format frees json_dumps text with free(): not arena text */
	map_arena_pause();
	memset(&r, 0, sizeof r);
	r.line = lineno;
	r.reason = reason;
	r.errors = errors;
	r.line_text = line;
	r.line_len = len;
	r.line_is_json = is_json;
	r.file = file;
	sgp_reject_format(rejects, &r);
	json_decref(errors);
}

static void add_line(sgp_buf *out, const char *line, size_t len)
{
	sgp_buf_grow(out, len + 1);
	memcpy(out->data + out->len, line, len);
	out->len += len;
	out->data[out->len++] = '\n';
	out->data[out->len] = '\0';
}

static void mapset_line(const sgp_mapset *s, sgp_map_ctx *c, const struct sgp_map_run_opts *o,
			const char *line, size_t len, unsigned long long lineno, const char *file,
			sgp_buf *out, sgp_buf *rejects, uint64_t *counters);

void sgp_mapset_line(const sgp_mapset *s, sgp_map_ctx *c, const struct sgp_map_run_opts *o,
		     const char *line, size_t len, unsigned long long lineno, const char *file,
		     sgp_buf *out, sgp_buf *rejects, uint64_t *counters)
{
	map_arena_begin();
	mapset_line(s, c, o, line, len, lineno, file, out, rejects, counters);
	map_arena_end();
}

static void mapset_line(const sgp_mapset *s, sgp_map_ctx *c, const struct sgp_map_run_opts *o,
			const char *line, size_t len, unsigned long long lineno, const char *file,
			sgp_buf *out, sgp_buf *rejects, uint64_t *counters)
{
	sgp_line_error le;
	json_t *v = sgp_json_fast_parse(line, len, 0, &le);
	json_t *errors = NULL;
	const char *reason = NULL;
	enum sgp_line_kind kind;
	size_t i, mark, total = 0;
	int matched = 0;

	if (v == NULL) {
		counters[SGP_MAPC_IN]++;
		counters[SGP_MAPC_REJECTED]++;
		errors = json_array();
		json_array_append_new(errors, sgp_error_new("", "parse", "%s", le.message));
		reject(rejects, "parse", errors, line, len, 0, lineno, file);
		return;
	}
	kind = sgp_line_kind_of(v);
	if (kind == SGP_LINE_STATE) {
		add_line(out, line, len);
		counters[SGP_MAPC_STATE]++;
		json_decref(v);
		return;
	}
	counters[SGP_MAPC_IN]++;
	mark = out->len;
	for (i = 0; i < s->n; i++) {
		size_t n = 0;
		enum sgp_map_status st = sgp_mapping_apply(s->m[i], c, v, o->plain_type, out, &n);

		if (st == SGP_MAP_NOMATCH)
			continue;
		matched = 1;
		if (st == SGP_MAP_DONE) {
			total += n;
			continue;
		}
		/* every error of every mapping that rejects the record */
		if (errors == NULL) {
			errors = sgp_map_ctx_errors(c);
			reason = sgp_map_ctx_reason(c);
		} else {
			json_array_extend(errors, sgp_map_ctx_errors(c));
		}
	}
	if (errors) {
		/* nothing of a rejected record is written */
		out->len = mark;
		if (out->data)
			out->data[mark] = '\0';
		counters[SGP_MAPC_REJECTED]++;
		reject(rejects, reason, errors, line, len, 1, lineno, file);
	} else if (matched) {
		counters[SGP_MAPC_MAPPED]++;
		counters[SGP_MAPC_EMITTED] += total;
	} else if (o->strict) {
		const char *type = sgp_json_str(v, "type");

		errors = json_array();
		if (kind == SGP_LINE_PLAIN && o->plain_type == NULL)
			json_array_append_new(errors, sgp_error_new("", "type",
				"a plain record (no \"spec\"), and no --type names its type"));
		else if (kind == SGP_LINE_PLAIN)
			json_array_append_new(errors, sgp_error_new("", "type",
				"no mapping for type '%s' (--type)", o->plain_type));
		else if (kind != SGP_LINE_EVENT)
			json_array_append_new(errors, sgp_error_new("/spec", "spec",
				"not an sgp.event/1 line"));
		else
			json_array_append_new(errors, sgp_error_new("/type", "type",
				"no mapping for type '%s'%s", type ? type : "",
				type ? "" : " (the event has no string \"type\")"));
		counters[SGP_MAPC_REJECTED]++;
		reject(rejects, "unknown_type", errors, line, len, 1, lineno, file);
	} else {
		add_line(out, line, len);
		counters[SGP_MAPC_PASSED]++;
	}
	json_decref(v);
}
