/*
 * ingest.h: turning vendor documents into sgp.event/1 records.
 *
 * Three layers, shared by sgp-pull's HTTP streams and its --file mode:
 *
 *   1. JSON spans: a validating scanner that finds values inside a JSON
 *      text by RFC 6901 JSON Pointer and walks arrays, without building a
 *      tree.  A vendor record keeps its own bytes (numbers such as
 *      2291.22 are never re-printed); only insignificant whitespace is
 *      dropped so the record fits on one line.
 *
 *   2. Records: the id, revision and business time of one record, found
 *      by the pointers of a sgp_record_spec, and the event line built
 *      from them: type "<system>.<object>", source, the idempotency key
 *      "<system>:<object>:<id>:<revision>", a deterministic event id, and
 *      the record itself, untouched, as "data".
 *
 *   3. Files: CSV (through libcsv: quoted fields, embedded quotes and
 *      newlines, CRLF, UTF-8 with a BOM), NDJSON and JSON documents
 *      (an array, or an array inside an object at a pointer).
 */
#ifndef SGP_INGEST_H
#define SGP_INGEST_H

#include <stddef.h>

#include "lineio.h"
#include "sgptime.h"
#include "util.h"

/* ---- 1. JSON spans ---- */

enum sgp_jtype {
	SGP_J_NONE = 0,
	SGP_J_OBJECT,
	SGP_J_ARRAY,
	SGP_J_STRING,
	SGP_J_NUMBER,
	SGP_J_TRUE,
	SGP_J_FALSE,
	SGP_J_NULL,
};

/* One JSON value inside a text: its bytes (borrowed from the text) and
 * its type.  Valid only while the text lives. */
struct sgp_jspan {
	const char *p;
	size_t n;
	enum sgp_jtype type;
};

/* Nesting deeper than this is refused by sgp_json_check. */
#define SGP_JSON_MAX_DEPTH 512

/*
 * Check that s[0..n) is exactly one JSON value (RFC 8259) with optional
 * whitespace around it: grammar, string escapes, control characters,
 * UTF-8, nesting depth.  Returns 0, or -1 with *offset (0-based byte
 * offset of the problem) and *why (static text) set.  Every other span
 * function assumes a text that passed this check.
 */
int sgp_json_check(const char *s, size_t n, size_t *offset, const char **why);
/* The same, also saying whether any whitespace stands outside strings
 * (*has_space = 0: every value can be copied as it is, on one line). */
int sgp_json_check_ws(const char *s, size_t n, size_t *offset, const char **why, int *has_space);

/*
 * The same, also noting where each member of a root object is (an index,
 * so that finding "/data" in a page of a megabyte skips nothing).  The
 * index points into s.  mem may be NULL; release it with
 * sgp_json_members_release.
 */
struct sgp_json_member {
	const char *key;          /* the name as written, without quotes */
	size_t keylen;
	struct sgp_jspan value;
};
struct sgp_json_members {
	struct sgp_json_member *v;
	size_t n, cap;
	/* Optional: set elems_of to a member name (as written) to also get
	 * the element spans of that member when it is an array: the records
	 * of a page, without walking them again. */
	const char *elems_of;
	int have_elems;            /* the member was found and is an array */
	struct sgp_jspan *elems;
	size_t nelems, capelems;
};
int sgp_json_check_index(const char *s, size_t n, size_t *offset, const char **why,
			 int *has_space, struct sgp_json_members *mem);
void sgp_json_members_release(struct sgp_json_members *m);
/* sgp_jspan_get on root (the checked text's value) through its index. */
int sgp_json_members_get(const struct sgp_json_members *m, const struct sgp_jspan *root,
			 const char *pointer, struct sgp_jspan *out);

/* The value of a checked text, whitespace trimmed. */
void sgp_jspan_root(const char *s, size_t n, struct sgp_jspan *out);

/* Follow an RFC 6901 pointer ("" = v itself; "/a/0/b"; "~0" and "~1"
 * escapes) from v.  Returns 1 and sets *out, or 0 if there is no such
 * value. */
int sgp_jspan_get(const struct sgp_jspan *v, const char *pointer, struct sgp_jspan *out);

/*
 * Follow n pointers at once, walking v's members a single time (each
 * member value skipped at most once, where n calls of sgp_jspan_get
 * would skip a large array n times).  n is at most 64; NULL pointers are
 * ignored.
 * found[i] is set to 1 and out[i] filled for each pointer that names a
 * value, else found[i] = 0.
 */
void sgp_jspan_get_many(const struct sgp_jspan *v, const char *const *pointers, size_t n,
			struct sgp_jspan *out, int *found);

/* Walk the elements of an array span. */
struct sgp_jiter {
	const char *p, *end;
};
void sgp_jspan_iter(const struct sgp_jspan *array, struct sgp_jiter *it);
/* 1 and the next element in *out, or 0 at the end. */
int sgp_jiter_next(struct sgp_jiter *it, struct sgp_jspan *out);

/*
 * Append the text of a scalar to out: a string decoded (escapes
 * resolved), a number as written, true/false.  Returns 1, or 0 (nothing
 * appended) for null, objects and arrays.
 */
int sgp_jspan_text(const struct sgp_jspan *v, sgp_buf *out);

/* Append v with the whitespace outside strings removed. */
void sgp_jspan_compact(const struct sgp_jspan *v, sgp_buf *out);

/* ---- 2. Records ---- */

/* How to read one kind of record.  Pointer lists are tried in order; the
 * first that names a value other than null wins.  Everything borrowed. */
struct sgp_record_spec {
	const char *system, *object;
	const char *const *id;
	size_t nid;
	const char *const *revision;     /* nrevision 0 = keys without revision */
	size_t nrevision;
	const char *const *occurred_at;  /* business time of the record */
	size_t noccurred_at;
	const char *default_occurred_at; /* RFC 3339 used when none is found; NULL = reject */
	int naive_utc;                   /* "2026-11-01 12:00:00" (no zone) is UTC */
};

/* What sgp_record_extract found; the buffers are reused between calls.
 * Initialise with {0}, release with sgp_record_release. */
struct sgp_record {
	sgp_buf id, revision, key;
	char occurred_at[SGP_TIME_BUFSZ];
	int has_revision;
};
void sgp_record_release(struct sgp_record *r);

/*
 * Read the id, revision and occurred_at of rec.  Returns 0, or -1 with
 * *reason ("mapping" for a missing id or revision, "time" for an
 * unreadable time) and a message in msg.  The idempotency key is built in
 * r->key.
 */
int sgp_record_extract(const struct sgp_record_spec *spec, const struct sgp_jspan *rec,
		       struct sgp_record *r, const char **reason, char *msg, size_t msgsz);

/* Append the sgp.event/1 line (with "\n") of an extracted record.
 * compact = 0 when rec may hold whitespace outside strings (it is then
 * removed); 1 when it is known to hold none (copied as it is). */
void sgp_record_event(const struct sgp_record_spec *spec, const struct sgp_record *r,
		      const struct sgp_jspan *rec, int compact, sgp_buf *line);

/*
 * Parse a time as vendors write it (sgp_time_parse_any; with naive_utc
 * also "YYYY-MM-DD HH:MM:SS[.fff]" without a zone, read as UTC).  A JSON
 * number is epoch seconds (10 digits or fewer) or milliseconds (13).
 */
int sgp_vendor_time(const char *s, size_t n, int naive_utc, sgp_time *out, const char **why);

/* ---- 3. Files ---- */

enum sgp_file_format {
	SGP_FILE_AUTO = 0,   /* by the name: .csv, .ndjson/.jsonl, .json */
	SGP_FILE_CSV,
	SGP_FILE_NDJSON,
	SGP_FILE_JSON,
};

/* Parse "csv", "ndjson", "jsonl", "json"; -1 if unknown. */
int sgp_file_format_parse(const char *s);

struct sgp_ingest_opts {
	const char *path;                  /* "-" = standard input */
	enum sgp_file_format format;
	const char *records;               /* JSON: pointer to the array; NULL = the root */
	const struct sgp_record_spec *spec;
	unsigned long long limit;          /* 0 = no limit */
};

struct sgp_ingest_stats {
	unsigned long long received;       /* records read */
	unsigned long long emitted;        /* events written */
	unsigned long long rejected;       /* records rejected */
};

/*
 * Read every record of a file and write one event per record to out, and
 * a sgp.reject/1 line per record that cannot be taken to rejects
 * (received = emitted + rejected).  Returns SGP_EXIT_OK, SGP_EXIT_REJECTS,
 * SGP_EXIT_USAGE (the file cannot be opened, has no usable header, is not
 * a JSON document of records) or SGP_EXIT_SYSTEM (read error), with a
 * message in *err (caller frees) for the last two.
 */
int sgp_ingest_file(const struct sgp_ingest_opts *o, sgp_writer *out, sgp_writer *rejects,
		    struct sgp_ingest_stats *st, char **err);

/* "/" + name with "~" and "/" escaped: the pointer of a top-level member. */
char *sgp_pointer_of_member(const char *name);

#endif
