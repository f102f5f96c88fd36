/*
 * reconcile.h: keyed comparison of two record streams (sgp-reconcile).
 *
 * Two inputs, LEFT and RIGHT, each NDJSON (sgp.event/1 lines or plain
 * objects) or CSV with a header row, are matched on a key (one or more
 * typed components, named per side) and compared field by field (money,
 * number, string, time, each with its own tolerance).  Every difference
 * becomes one discrepancy line (sgp.event/1 or CSV): reconcile.missing_left,
 * reconcile.missing_right, reconcile.mismatch, reconcile.duplicate_key.
 *
 * The module is layered; each layer is usable on its own (the unit tests do):
 *
 *   rec_paths / rec_scan   a validating JSON scanner that pulls a few JSON
 *                          Pointers out of a line without building a tree;
 *   rec_config             the parsed command line: keys, fields, sides;
 *   rec_run                the engine: reads both sides, builds compact
 *                          records in an arena, hashes the left side, streams
 *                          the right side against it, and when --memory is
 *                          too small hash-partitions both sides into
 *                          temporary files and reconciles part by part,
 *                          producing byte-identical output.
 *
 * Output order (identical with and without a memory limit): first the left
 * side's duplicate keys in left line order, then every discrepancy anchored
 * on a right line (missing_left, mismatch, right duplicates) in right line
 * order, then missing_right in left line order.  An aggregated group is
 * anchored on its first line.
 *
 * Ownership: rec_config owns every string it stores (copied from the
 * arguments); rec_run borrows the config and the writers; a rec_result owns
 * its totals and is released with rec_result_release.
 */
#ifndef SGP_RECONCILE_H
#define SGP_RECONCILE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <jansson.h>

#include "decimal.h"
#include "lineio.h"
#include "sgptime.h"
#include "util.h"

/* ---- JSON Pointer extraction ------------------------------------------ */

enum rec_jtype {
	REC_J_NONE = 0,   /* the pointer did not resolve */
	REC_J_STRING,
	REC_J_NUMBER,
	REC_J_TRUE,
	REC_J_FALSE,
	REC_J_NULL,
	REC_J_OBJECT,
	REC_J_ARRAY,
};

/* One resolved pointer.  STRING: p/n is the unescaped content (UTF-8, may
 * hold no NUL since \u0000 is refused); NUMBER and literals: the raw text;
 * OBJECT/ARRAY: the raw text of the whole value. */
struct rec_hit {
	const char *p;
	size_t n;
	enum rec_jtype type;
};

/* A set of JSON Pointers (RFC 6901) compiled into a trie. */
typedef struct rec_paths rec_paths;

rec_paths *rec_paths_new(void);
void rec_paths_free(rec_paths *ps);
/* Add a pointer ("" is the whole line; "/a/0/b~1c").  Returns its slot (the
 * same slot for the same pointer added twice), or -1 with *why set when the
 * text is not a JSON Pointer. */
int rec_paths_add(rec_paths *ps, const char *pointer, const char **why);
size_t rec_paths_count(const rec_paths *ps);

/* Scratch space of one scanning thread. */
typedef struct rec_scanner rec_scanner;

rec_scanner *rec_scanner_new(const rec_paths *ps);
void rec_scanner_free(rec_scanner *s);

/*
 * Validate one line as a JSON object and resolve every pointer of the set
 * into hits[slot] (REC_J_NONE when absent).  The checks are those of
 * sgp_line_parse(): NUL bytes, invalid UTF-8, syntax, duplicate member
 * names (after unescaping), \u0000 and lone surrogates, numbers that
 * overflow a double, nesting deeper than 2048, and a top level that is not
 * an object.  Returns 0, or -1 with err filled (the message is
 * sgp_line_parse's own for the same line).  Hits point into line or into the
 * scanner, valid until the next call on the same scanner.
 */
int rec_scan(rec_scanner *s, const char *line, size_t len, struct rec_hit *hits,
	     sgp_line_error *err);

/* ---- configuration ------------------------------------------------------ */

enum rec_side { REC_LEFT = 0, REC_RIGHT = 1 };
enum rec_format { REC_FMT_AUTO = 0, REC_FMT_NDJSON, REC_FMT_CSV };
enum rec_out_format { REC_OUT_NDJSON = 0, REC_OUT_CSV };
enum rec_ftype { REC_MONEY = 0, REC_NUMBER, REC_STRING, REC_TIME };
enum rec_ktype { REC_KEY_STRING = 0, REC_KEY_NUMBER };

/* Limits of a configuration (the discrepancy schemas state them too). */
#define REC_MAX_KEYS 16         /* key components */
#define REC_MAX_FIELDS 256      /* compared fields */
/* The run name when --name is not given. */
#define REC_DEFAULT_NAME "reconcile"

/* The pseudo-field "#count": the number of input lines a record stands for
 * (1 unless its side is aggregated).  Usable in --number on either side. */
#define REC_COUNT_FIELD "#count"

struct rec_key {
	char *name[2];          /* JSON Pointer (NDJSON) or column name (CSV), per side */
	enum rec_ktype type;    /* string: exact text; number: numeric value (1 == 1.0) */
	int fold;               /* ASCII case-insensitive */
	int trim;               /* leading/trailing blanks ignored */
};

struct rec_field {
	enum rec_ftype type;
	char *name[2];
	char *currency[2];      /* money: where the currency code is; NULL = none */
	sgp_dec abs_tol, rel_tol; /* money, number: |l-r| <= abs or <= rel * max(|l|,|r|) */
	int64_t drift_ns;       /* time: allowed |l-r| in nanoseconds */
	int fold, trim;         /* string */
};

struct rec_config {
	struct rec_key *keys;
	size_t nkeys;
	struct rec_field *fields;
	size_t nfields;
	enum rec_format format[2];
	int aggregate[2];       /* records sharing a key are one group (sums) */
	enum rec_out_format out_format;
	char *name;             /* the run's name (source.id of the discrepancies and part of
				 * their idempotency keys); NULL: REC_DEFAULT_NAME.  Set it
				 * with rec_config_set_name. */
	int has_as_of;
	sgp_time as_of;         /* occurred_at of every discrepancy when set */
	unsigned long long memory;  /* bytes for the in-memory tables; 0 = no limit */
	char *tmpdir;           /* NULL: $TMPDIR, else /tmp */
	int jobs;               /* scanning threads; <= 0: number of cores */
};

void rec_config_init(struct rec_config *c);
void rec_config_release(struct rec_config *c);

/*
 * Option values.  Every spec is comma-separated items, the first being
 * NAME or LEFTNAME=RIGHTNAME; a backslash escapes ',', '=' or '\' inside
 * names.  Return 0, or -1 with a one-line reason in err (also past
 * REC_MAX_KEYS or REC_MAX_FIELDS, and for a field name already compared
 * on the same side).
 *   key:    NAME[=RNAME][,number][,fold][,trim]
 *   money:  NAME[=RNAME][,currency=PATH[=RPATH]][,abs=DEC][,rel=DEC|PCT%]
 *   number: NAME[=RNAME][,abs=DEC][,rel=DEC|PCT%]   (NAME may be #count)
 *   string: NAME[=RNAME][,fold][,trim]
 *   time:   NAME[=RNAME][,drift=DURATION]   (DURATION: 90, 500ms, 30s, 5m, 2h, 1d)
 */
int rec_config_add_key(struct rec_config *c, const char *spec, char *err, size_t errlen);
int rec_config_add_field(struct rec_config *c, enum rec_ftype type, const char *spec,
			 char *err, size_t errlen);
/*
 * The run's name: an external id (the common/1 ext_id pattern: 1 to 128 of
 * A-Z a-z 0-9 _ . : / # @ + -, the first a letter, digit or _), since it is
 * the source.id of every discrepancy event.  rec_name_valid says whether
 * a text is one; rec_config_set_name copies it, or returns -1 with a
 * one-line reason in err.
 */
int rec_name_valid(const char *s);
int rec_config_set_name(struct rec_config *c, const char *name, char *err, size_t errlen);
/* "left", "right" or "both". */
int rec_config_set_aggregate(struct rec_config *c, const char *side, char *err, size_t errlen);
/* "ndjson" or "csv". */
int rec_parse_format(const char *s, enum rec_format *out);
/* Duration text -> nanoseconds (see the time spec above). */
int rec_parse_duration(const char *s, int64_t *ns);

/* ---- running ------------------------------------------------------------ */

/* Counters of one run (the --stats object).  Every input line is counted
 * once in:  left_in + right_in = 2 * (matched + mismatched) + missing_left
 * + missing_right + duplicate_keys + aggregated + rejected.
 * invalid_values counts lines that also went to the rejects because a
 * compared value could not be read (they still take part in matching);
 * tolerated counts matched pairs that differ within tolerance. */
struct rec_counts {
	uint64_t left_in, right_in;
	uint64_t matched, mismatched, missing_left, missing_right;
	uint64_t duplicate_keys, aggregated, rejected;
	uint64_t invalid_values, tolerated, partitions;
};

/* Sum of one money field in one currency on both sides. */
struct rec_total {
	size_t field;           /* index into config fields */
	char *currency;         /* as found in the data ("" when none); owned */
	sgp_dec sum[2];
	uint64_t n[2];          /* amounts summed */
	int overflow[2];        /* the sum passed 38 digits */
};

struct rec_result {
	struct rec_counts counts;
	struct rec_total *totals;
	size_t ntotals;
	uint64_t unreadable[2]; /* amounts that could not be read, not in the totals */
	char *file[2];          /* input names as given */
};

void rec_result_release(struct rec_result *r);

/*
 * Reconcile left against right (paths; "-" is standard input for one of
 * them), writing discrepancies to out and rejects to rej.  Returns an exit
 * status: SGP_EXIT_OK when nothing differs and nothing was rejected,
 * SGP_EXIT_REJECTS when something did, SGP_EXIT_USAGE when the inputs do
 * not fit the configuration (a CSV header without a named column), with
 * the reason in err, before anything is written, or SGP_EXIT_SYSTEM on an
 * I/O error (an input that cannot be opened or read), with the reason in
 * err.  Write errors on out or rej end the process (see lineio.h), and so
 * does a temporary file that cannot be written (SGP_EXIT_SYSTEM).
 */
int rec_run(const struct rec_config *c, const char *left, const char *right,
	    sgp_writer *out, sgp_writer *rej, struct rec_result *res, char *err, size_t errlen);

/* The summary: human-readable text, or a JSON object (caller owns it). */
void rec_summary_text(const struct rec_config *c, const struct rec_result *r, sgp_buf *out);
json_t *rec_summary_json(const struct rec_config *c, const struct rec_result *r);
/* The --stats counters as a JSON object (caller owns it). */
json_t *rec_counts_json(const struct rec_counts *k);

/* ---- internals shared by libcommon/rec_*.c and reconcile.c -------------- */
/*
 * Nothing below is for tools; it is here so the pieces of the engine (and
 * tests/unit/test_reconcile.c) can see each other.
 *
 * A record is one line (or one aggregated group) reduced to what the
 * comparison needs, in one contiguous, relocatable byte block (offsets are
 * relative to its start, integers little-endian via memcpy):
 *
 *   0  u32 len       total bytes            36 u8  side (REC_LEFT/RIGHT)
 *   4  u32 hash      low bits of key hash   37 u8  flags (REC_F_*)
 *   8  u64 line      first input line       40 i64 occurred_at seconds
 *   16 u64 count     lines in the group     48 i32 occurred_at nanoseconds
 *   24 u32 keylen    28 u32 idlen           52 u64 pline: line of the right
 *   32 u32 corrlen                             record paired with this one
 *   60 value slots, REC_SLOT bytes per compared field, then the key bytes,
 *      the id, the correlation id and the variable parts of the values.
 *
 * A value slot: u8 status (REC_V_*), u8 scale, u16 currency length,
 * u32 offset and u32 length of its variable bytes (currency code first,
 * then string text or the unreadable raw text), 16 bytes of payload
 * (a decimal coefficient, or i64 seconds + i32 nanoseconds).
 *
 * The key is each component as u32 length + bytes, already normalised
 * (number keys in reduced decimal form, fold keys lower-cased, trim keys
 * trimmed).
 */
enum {
	REC_O_LEN = 0, REC_O_HASH = 4, REC_O_LINE = 8, REC_O_COUNT = 16,
	REC_O_KEYLEN = 24, REC_O_IDLEN = 28, REC_O_CORRLEN = 32, REC_O_SIDE = 36,
	REC_O_FLAGS = 37, REC_O_TSEC = 40, REC_O_TNSEC = 48, REC_O_PLINE = 52,
	REC_HDR = 60, REC_SLOT = 28,
};

enum {
	REC_F_PAIRED = 1,       /* compared with a record of the other side */
	REC_F_MARKER = 2,       /* right-only key seen: key and id only */
	REC_F_TIME = 4,         /* occurred_at is set */
	REC_F_STATE = 8,        /* in a partition file: restore, do not apply */
	REC_F_INVALID = 16,     /* some value could not be read */
	REC_F_EVENT = 32,       /* the line was an sgp.event/1 */
	REC_F_IDKEY = 64,       /* the event id is the (single) key component */
	REC_F_UUID = 128,       /* the correlation id is a lower-case UUID, kept as 16 bytes */
};

enum {
	REC_V_MISSING = 0,      /* absent, null, or an empty CSV cell */
	REC_V_OK,
	REC_V_INVALID,          /* unreadable; the raw text is kept */
	REC_V_MIXED,            /* group lines disagree (currency, text, time) */
	REC_V_OVERFLOW,         /* group sum beyond 38 digits */
	REC_V_BADLINE,          /* group with a line whose value is unreadable */
};

static inline uint32_t rec_u32(const char *r, size_t off)
{
	uint32_t v;
	memcpy(&v, r + off, sizeof v);
	return v;
}
static inline uint64_t rec_u64(const char *r, size_t off)
{
	uint64_t v;
	memcpy(&v, r + off, sizeof v);
	return v;
}
static inline void rec_put32(char *r, size_t off, uint32_t v) { memcpy(r + off, &v, sizeof v); }
static inline void rec_put64(char *r, size_t off, uint64_t v) { memcpy(r + off, &v, sizeof v); }

/* Accessors. */
static inline size_t rec_len(const char *r) { return rec_u32(r, REC_O_LEN); }
static inline int rec_side(const char *r) { return (unsigned char)r[REC_O_SIDE]; }
static inline int rec_flags(const char *r) { return (unsigned char)r[REC_O_FLAGS]; }
static inline const char *rec_key(const char *r, size_t nfields)
{
	return r + REC_HDR + nfields * REC_SLOT;
}
static inline size_t rec_keylen(const char *r) { return rec_u32(r, REC_O_KEYLEN); }
static inline const char *rec_id(const char *r, size_t nfields)
{
	return rec_key(r, nfields) + rec_keylen(r);
}
static inline size_t rec_idlen(const char *r) { return rec_u32(r, REC_O_IDLEN); }
static inline const char *rec_corr(const char *r, size_t nfields)
{
	return rec_id(r, nfields) + rec_idlen(r);
}
static inline size_t rec_corrlen(const char *r) { return rec_u32(r, REC_O_CORRLEN); }
/* The correlation id as text (unpacked into buf when stored as a UUID);
 * returns its length, 0 when the record has none. */
size_t rec_corr_text(const char *r, size_t nfields, char buf[37], const char **out);

/* One decoded value slot. */
struct rec_value {
	int status;
	sgp_dec dec;            /* money, number */
	sgp_time time;          /* time */
	const char *cur;        /* money currency (not NUL-terminated) */
	size_t curlen;
	const char *text;       /* string value, or raw text when unreadable */
	size_t textlen;
};

void rec_value_get(const char *r, size_t i, struct rec_value *v);
/* Store a status and a decimal into slot i of a record (groups sum in
 * place; any slot can be marked MIXED, OVERFLOW or BADLINE this way). */
void rec_value_set_dec(char *r, size_t i, int status, sgp_dec d);

/* 64-bit hash of a key under a seed (seed 0: the table; 1, 2, ...: partitions). */
uint64_t rec_hash(const char *key, size_t n, uint64_t seed);

/* Building records from input lines. */
typedef struct rec_source rec_source;

enum rec_built {
	REC_BUILT_EOF = 0,
	REC_BUILT_RECORD,       /* rec holds a record (and rej a reject if REC_F_INVALID) */
	REC_BUILT_REJECT,       /* rej holds an sgp.reject/1 line */
	REC_BUILT_IGNORED,      /* an sgp.state/1 line */
	REC_BUILT_ERROR = -1,   /* read error: message in err */
};

/* Open one side; reads a CSV header and resolves the columns.  Returns
 * NULL with err set and *status SGP_EXIT_USAGE (names that do not fit the
 * input) or SGP_EXIT_SYSTEM (cannot open or read). */
rec_source *rec_source_open(const struct rec_config *c, int side, const char *path,
			    int *status, char *err, size_t errlen);
void rec_source_close(rec_source *s);
/* Total size of a regular input file, 0 when unknown; bytes consumed so far. */
uint64_t rec_source_size(const rec_source *s);
uint64_t rec_source_consumed(const rec_source *s);
/*
 * Read and build the next line.  rec and rej are reset and filled; the
 * return value says what they hold.
 */
enum rec_built rec_source_next(rec_source *s, sgp_buf *rec, sgp_buf *rej, char *err, size_t errlen);
/* The record k lines after the one last returned, when it is already built
 * (worker threads build ahead), else NULL.  For prefetching only. */
const char *rec_source_peek(const rec_source *s, size_t k);

/* The arena and hash index of records (rec_table.c).  Records are found by
 * (side, key); iteration is in insertion order.  Memory is mmap'd and given
 * back by rec_table_free. */
typedef struct rec_table rec_table;

rec_table *rec_table_new(size_t nfields, size_t chunk_size);
void rec_table_free(rec_table *t);
size_t rec_table_bytes(const rec_table *t);
size_t rec_table_count(const rec_table *t);
/* What rec_table_bytes would be after inserting a record of reclen bytes. */
size_t rec_table_need(const rec_table *t, size_t reclen);
char *rec_table_find(rec_table *t, int side, const char *key, size_t keylen, uint32_t hash);
/* Hint that (side, hash) will be looked up soon: deep 0 fetches its slot,
 * deep 1 (a few records later) the record the slot points to. */
void rec_table_prefetch(const rec_table *t, int side, uint32_t hash, int deep);
/* Copy rec into the arena and index it; returns the copy. */
char *rec_table_insert(rec_table *t, const char *rec);
/* Iterate: start with *chunk = *off = 0; NULL at the end. */
char *rec_table_next(const rec_table *t, size_t *chunk, size_t *off);

/* Unlinked temporary files with a write buffer, written then read back
 * once.  I/O errors end the process with SGP_EXIT_SYSTEM. */
typedef struct rec_tmp rec_tmp;

rec_tmp *rec_tmp_new(const char *dir, size_t bufsize);
void rec_tmp_write(rec_tmp *t, const void *p, size_t n);
uint64_t rec_tmp_size(const rec_tmp *t);
/* Writing is over: flush and give the buffer back until rec_tmp_rewind. */
void rec_tmp_done(rec_tmp *t);
/* Switch to reading from the start. */
void rec_tmp_rewind(rec_tmp *t);
/* Read exactly n bytes: 1, or 0 at the end of the file. */
int rec_tmp_read(rec_tmp *t, void *p, size_t n);
/* Read one record (written with its own length prefix) into rec: 1 or 0. */
int rec_tmp_read_record(rec_tmp *t, sgp_buf *rec);
void rec_tmp_free(rec_tmp *t);

/* Exposed for tests: the record of a single NDJSON line (the same as
 * rec_source_next would build). */
enum rec_built rec_build_ndjson_line(rec_source *s, const char *line, size_t len,
				     unsigned long long lineno, sgp_buf *rec, sgp_buf *rej);

#endif
