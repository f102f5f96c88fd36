/* envelope.c: see envelope.h. */
#include "envelope.h"
#include "lineio.h"
#include <time.h>

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *sgp_json_str(const json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

enum sgp_line_kind sgp_line_kind_of(const json_t *obj)
{
	json_t *spec = json_object_get(obj, "spec");
	const char *s;

	if (spec == NULL)
		return SGP_LINE_PLAIN;
	if (!json_is_string(spec))
		return SGP_LINE_UNKNOWN_SPEC;
	s = json_string_value(spec);
	if (strcmp(s, SGP_SPEC_EVENT) == 0)
		return SGP_LINE_EVENT;
	if (strcmp(s, SGP_SPEC_STATE) == 0)
		return SGP_LINE_STATE;
	if (strcmp(s, SGP_SPEC_REJECT) == 0)
		return SGP_LINE_REJECT;
	return SGP_LINE_UNKNOWN_SPEC;
}

static void id_from_hash(char out[SGP_EVENT_ID_SIZE], const char *data, size_t n)
{
	char hex[65];

	sgp_sha256_hex(data, n, hex);
	memcpy(out, "evt_", 4);
	memcpy(out + 4, hex, 32);
	out[36] = '\0';
}

void sgp_event_id(char out[SGP_EVENT_ID_SIZE], const char *system, const char *object,
		  const char *id, const char *revision)
{
	sgp_buf b = SGP_BUF_INIT;

	sgp_buf_addf(&b, "%s\x1f%s\x1f%s", system ? system : "", object ? object : "", id ? id : "");
	if (revision)
		sgp_buf_addf(&b, "\x1f%s", revision);
	id_from_hash(out, b.data, b.len);
	sgp_buf_release(&b);
}

void sgp_event_id_from_key(char out[SGP_EVENT_ID_SIZE], const char *key)
{
	id_from_hash(out, key, strlen(key));
}

char *sgp_idempotency_key(const char *system, const char *object, const char *id,
			  const char *revision)
{
	if (revision)
		return xasprintf("%s:%s:%s:%s", system, object, id, revision);
	return xasprintf("%s:%s:%s", system, object, id);
}

char *sgp_idempotency_key_derived(const char *mapping, const char *parent_key, size_t index)
{
	char hex[65];

	sgp_sha256_hex(parent_key, strlen(parent_key), hex);
	hex[32] = '\0';
	if (index > 0)
		return xasprintf("%s:%s:%zu", mapping, hex, index);
	return xasprintf("%s:%s", mapping, hex);
}

static void set_str(json_t *o, const char *k, const char *v)
{
	if (v)
		json_object_set_new(o, k, json_string(v));
}

json_t *sgp_event_new(const struct sgp_event_fields *f, json_t *data)
{
	char id[SGP_EVENT_ID_SIZE];
	json_t *e, *src;

	if (!f->type || !f->occurred_at || !f->system || !f->object || !f->source_id ||
	    !f->idempotency_key) {
		json_decref(data);
		return NULL;
	}
	if (f->id == NULL)
		sgp_event_id_from_key(id, f->idempotency_key);
	e = json_object();
	set_str(e, "spec", SGP_SPEC_EVENT);
	set_str(e, "id", f->id ? f->id : id);
	set_str(e, "type", f->type);
	set_str(e, "occurred_at", f->occurred_at);
	src = json_object();
	set_str(src, "system", f->system);
	set_str(src, "object", f->object);
	set_str(src, "id", f->source_id);
	json_object_set_new(e, "source", src);
	set_str(e, "correlation_id", f->correlation_id ? f->correlation_id : (f->id ? f->id : id));
	set_str(e, "causation_id", f->causation_id);
	set_str(e, "idempotency_key", f->idempotency_key);
	set_str(e, "schema", f->schema);
	json_object_set_new(e, "data", data ? data : json_object());
	return e;
}

json_t *sgp_event_derive(const json_t *parent, const char *type, const char *mapping,
			 size_t index, const char *occurred_at, json_t *data)
{
	const char *pid = sgp_json_str(parent, "id");
	const char *pkey = sgp_json_str(parent, "idempotency_key");
	const char *corr = sgp_json_str(parent, "correlation_id");
	json_t *src = json_object_get(parent, "source");
	struct sgp_event_fields f = {0};
	char *key;
	json_t *e;

	key = sgp_idempotency_key_derived(mapping, pkey ? pkey : (pid ? pid : ""), index);
	f.type = type;
	f.occurred_at = occurred_at ? occurred_at : sgp_json_str(parent, "occurred_at");
	f.system = sgp_json_str(src, "system");
	f.object = sgp_json_str(src, "object");
	f.source_id = sgp_json_str(src, "id");
	f.correlation_id = corr ? corr : pid;
	f.causation_id = pid;
	f.idempotency_key = key;
	e = sgp_event_new(&f, data);
	free(key);
	return e;
}

/* Now as RFC 3339 UTC with seconds precision. */
static void now_rfc3339(char *buf, size_t n)
{
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

json_t *sgp_state_new(const char *profile, const char *stream, json_t *cursor, const char *at)
{
	char now[40];
	json_t *s = json_object();

	if (at == NULL) {
		now_rfc3339(now, sizeof now);
		at = now;
	}
	set_str(s, "spec", SGP_SPEC_STATE);
	set_str(s, "profile", profile);
	set_str(s, "stream", stream);
	json_object_set_new(s, "cursor", cursor ? cursor : json_object());
	set_str(s, "at", at);
	return s;
}

json_t *sgp_error_new(const char *path, const char *keyword, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	json_t *e = json_object();

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	/* Messages may quote input bytes; keep the record valid UTF-8. */
	if (sgp_utf8_check(msg, strlen(msg)) >= 0) {
		size_t i;
		for (i = 0; msg[i]; i++)
			if ((unsigned char)msg[i] >= 0x80)
				msg[i] = '?';
	}
	json_object_set_new(e, "path", json_string(path ? path : ""));
	json_object_set_new(e, "keyword", json_string(keyword ? keyword : ""));
	json_object_set_new(e, "message", json_string(msg));
	return e;
}

void sgp_base64_append(sgp_buf *out, const void *data, size_t len)
{
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *p = data;
	size_t i;

	sgp_buf_grow(out, (len + 2) / 3 * 4);
	for (i = 0; i + 2 < len; i += 3) {
		unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8 | p[i + 2];
		char q[4] = { tab[v >> 18], tab[(v >> 12) & 63], tab[(v >> 6) & 63], tab[v & 63] };
		sgp_buf_add(out, q, 4);
	}
	if (len - i == 1) {
		unsigned v = (unsigned)p[i] << 16;
		char q[4] = { tab[v >> 18], tab[(v >> 12) & 63], '=', '=' };
		sgp_buf_add(out, q, 4);
	} else if (len - i == 2) {
		unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8;
		char q[4] = { tab[v >> 18], tab[(v >> 12) & 63], tab[(v >> 6) & 63], '=' };
		sgp_buf_add(out, q, 4);
	}
}

/* Append s as a JSON string, replacing invalid UTF-8 and NUL by U+FFFD. */
static void add_lossy_string(sgp_buf *out, const char *s, size_t n)
{
	sgp_buf clean = SGP_BUF_INIT;
	size_t i = 0;

	while (i < n) {
		long bad = sgp_utf8_check(s + i, n - i);
		size_t stop = bad < 0 ? n - i : (size_t)bad;
		const char *nul = memchr(s + i, '\0', stop);

		if (nul)
			stop = (size_t)(nul - (s + i));
		sgp_buf_add(&clean, s + i, stop);
		i += stop;
		if (i < n) {
			sgp_buf_adds(&clean, "\xEF\xBF\xBD");
			i++;
		}
	}
	sgp_buf_add_json_string(out, clean.data ? clean.data : "", clean.len);
	sgp_buf_release(&clean);
}

static void add_json_value(sgp_buf *out, const json_t *v)
{
	char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(17));

	sgp_buf_adds(out, s ? s : "null");
	free(s);
}

void sgp_reject_format(sgp_buf *out, const struct sgp_reject *r)
{
	sgp_buf_adds(out, "{\"spec\":\"sgp.reject/1\",\"tool\":");
	sgp_buf_add_json_string(out, r->tool ? r->tool : sgp_progname,
				strlen(r->tool ? r->tool : sgp_progname));
	if (r->file) {
		sgp_buf_adds(out, ",\"file\":");
		add_lossy_string(out, r->file, strlen(r->file));
	}
	if (r->line)
		sgp_buf_addf(out, ",\"line\":%llu", r->line);
	sgp_buf_adds(out, ",\"reason\":");
	sgp_buf_add_json_string(out, r->reason, strlen(r->reason));
	sgp_buf_adds(out, ",\"errors\":");
	if (r->errors && json_array_size(r->errors) > 0) {
		add_json_value(out, r->errors);
	} else {
		/* A reject always says why, even when the caller gave no detail. */
		sgp_buf_adds(out, "[{\"path\":\"\",\"keyword\":");
		sgp_buf_add_json_string(out, r->reason, strlen(r->reason));
		sgp_buf_adds(out, ",\"message\":");
		sgp_buf_add_json_string(out, r->reason, strlen(r->reason));
		sgp_buf_adds(out, "}]");
	}
	sgp_buf_adds(out, r->retryable ? ",\"retryable\":true" : ",\"retryable\":false");
	if (r->status)
		sgp_buf_addf(out, ",\"status\":%d", r->status);
	if (r->body) {
		sgp_buf_adds(out, ",\"body\":");
		add_lossy_string(out, r->body, strlen(r->body));
	}
	if (r->line_text && r->line_is_json) {
		sgp_buf_adds(out, ",\"event\":");
		sgp_buf_add(out, r->line_text, r->line_len);
	} else if (r->line_text) {
		int exact = sgp_utf8_check(r->line_text, r->line_len) < 0 &&
			    memchr(r->line_text, '\0', r->line_len) == NULL;

		sgp_buf_adds(out, ",\"raw\":");
		add_lossy_string(out, r->line_text, r->line_len);
		if (!exact) {
			sgp_buf_adds(out, ",\"raw_base64\":\"");
			sgp_base64_append(out, r->line_text, r->line_len);
			sgp_buf_addc(out, '"');
		}
	} else if (r->event) {
		sgp_buf_adds(out, ",\"event\":");
		add_json_value(out, r->event);
	}
	sgp_buf_adds(out, "}\n");
}
