/*
 * envelope.h: the three line kinds of DESIGN.md (sgp.event/1, sgp.state/1,
 * sgp.reject/1): recognising them, building them, deterministic event ids,
 * idempotency keys, and correlation/causation propagation.
 */
#ifndef SGP_ENVELOPE_H
#define SGP_ENVELOPE_H

#include <stddef.h>
#include <jansson.h>

#include "util.h"

#define SGP_SPEC_EVENT  "sgp.event/1"
#define SGP_SPEC_STATE  "sgp.state/1"
#define SGP_SPEC_REJECT "sgp.reject/1"

enum sgp_line_kind {
	SGP_LINE_PLAIN,        /* an object without "spec": a plain record */
	SGP_LINE_EVENT,
	SGP_LINE_STATE,
	SGP_LINE_REJECT,
	SGP_LINE_UNKNOWN_SPEC, /* "spec" present but not one we know (or not a string) */
};

/* Which kind of line obj (an object) is. */
enum sgp_line_kind sgp_line_kind_of(const json_t *obj);

/* String member of obj, or NULL when missing or not a string (borrowed). */
const char *sgp_json_str(const json_t *obj, const char *key);

/* Size of the buffer for an event id: "evt_" + 32 hex digits + NUL. */
#define SGP_EVENT_ID_SIZE 37

/*
 * Deterministic event id of one version of one source record:
 * "evt_" + the first 32 hex digits of SHA-256 over system, object, id and
 * revision separated by 0x1f.  revision may be NULL.
 */
void sgp_event_id(char out[SGP_EVENT_ID_SIZE], const char *system, const char *object,
		  const char *id, const char *revision);
/* Event id derived from an idempotency key (hash of the key). */
void sgp_event_id_from_key(char out[SGP_EVENT_ID_SIZE], const char *key);

/*
 * Idempotency key of one version of one business fact:
 * "system:object:id:revision" (revision omitted when NULL).  Caller frees.
 */
char *sgp_idempotency_key(const char *system, const char *object, const char *id,
			  const char *revision);
/*
 * Key of an event derived by a named mapping from an input whose key is
 * parent_key: "<mapping>:<first 32 hex of SHA-256(parent_key)>", with
 * ":<index>" appended when index > 0 (the index-th event of a fan-out).
 * Stable across reruns.  Caller frees.
 */
char *sgp_idempotency_key_derived(const char *mapping, const char *parent_key, size_t index);

/* Members of a new event.  NULL members are left out (causation_id,
 * schema) or derived: id from idempotency_key, correlation_id = id. */
struct sgp_event_fields {
	const char *id;
	const char *type;
	const char *occurred_at;
	const char *system, *object, *source_id;
	const char *correlation_id;
	const char *causation_id;
	const char *idempotency_key;
	const char *schema;
};

/* A new sgp.event/1 object with members in the order of DESIGN.md; data is
 * stolen (NULL gives {}).  type, occurred_at, source and idempotency_key
 * are required; returns NULL if any is missing. */
json_t *sgp_event_new(const struct sgp_event_fields *f, json_t *data);

/*
 * A new event made from parent (an sgp.event/1 object) by the named
 * mapping: correlation_id carried (the parent's, or the parent's id when it
 * has none), causation_id = the parent's id, idempotency_key derived from
 * the parent's key (or id) with sgp_idempotency_key_derived(), id from that
 * key, source copied, occurred_at from the argument or else the parent's.
 * data is stolen.
 */
json_t *sgp_event_derive(const json_t *parent, const char *type, const char *mapping,
			 size_t index, const char *occurred_at, json_t *data);

/* A new sgp.state/1 object; cursor is stolen; at NULL means now. */
json_t *sgp_state_new(const char *profile, const char *stream, json_t *cursor, const char *at);

/* One error of a reject record: {"path","keyword","message"}. */
json_t *sgp_error_new(const char *path, const char *keyword, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* An sgp.reject/1 record. */
struct sgp_reject {
	const char *tool;            /* "sgp-map"; NULL = sgp_progname */
	unsigned long long line;     /* input line number; 0 leaves it out */
	const char *reason;          /* parse, schema, unknown_type, mapping, ... */
	const json_t *errors;        /* array of sgp_error_new() objects; may be NULL */
	int retryable;
	/* What was rejected: the original line when it was a JSON object
	 * (written byte for byte as "event"), else raw text ("raw"). */
	const char *line_text;
	size_t line_len;
	int line_is_json;            /* line_text is a JSON object: embed as "event" */
	const json_t *event;         /* or an event value (used when line_text is NULL) */
	int status;                  /* HTTP status for http_* reasons; 0 = none */
	const char *body;            /* HTTP response body, or NULL */
	const char *file;            /* input file name, or NULL */
};

/*
 * Append the reject record as one JSON line (with "\n") to out.  Raw text
 * that is not valid UTF-8 or holds NUL bytes is written with the bad bytes
 * replaced by U+FFFD in "raw", and the exact bytes base64-encoded in
 * "raw_base64", so nothing is lost.
 */
void sgp_reject_format(sgp_buf *out, const struct sgp_reject *r);

/* Base64 (RFC 4648, padded) of data appended to out. */
void sgp_base64_append(sgp_buf *out, const void *data, size_t len);

#endif
