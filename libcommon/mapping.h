/*
 * mapping.h: the mapping engine behind sgp-map (and the mapping lint of
 * sgp-validate): vendor records to canonical events, canonical events to
 * vendor request bodies, driven by declarative JSON specs
 * (schemas/mapping.schema.json, documented in sgp-mapping(5)).
 *
 * A spec is compiled once by sgp_mapping_load() into an immutable
 * sgp_mapping: JSON Pointers and templates pre-parsed, value maps and CSV
 * crosswalk tables loaded into hash tables, conversions resolved, every
 * error of the spec reported before any input is read.  Applying a
 * compiled mapping to a parsed record builds the output events directly
 * as JSON text into an sgp_buf (no jansson tree, no per-record
 * allocation beyond jansson's parse), so it is the hot path of sgp-map.
 *
 * Threads: an sgp_mapping (and an sgp_mapset) is read-only after loading
 * and may be shared by any number of threads; every thread needs its own
 * sgp_map_ctx (scratch buffers, hasher, the errors of the last record).
 *
 * Events made from an input event (sgp.event/1) carry its correlation_id
 * (or its id when it has none), get causation_id = its id, an
 * idempotency_key derived from the mapping name, the input's key and the
 * index of the emit (sgp_idempotency_key_derived), and an id derived from
 * that key.  A plain record (an object without "spec", typed by the
 * caller) is first given the identity sgp-pull would give it: key
 * "system:object:id:revision" from the spec's "record" pointers and id
 * sgp_event_id(system, object, id, revision); the derivation is then the same, so a record mapped plain or
 * wrapped in its vendor event gives byte-identical output.
 */
#ifndef SGP_MAPPING_H
#define SGP_MAPPING_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "util.h"

typedef struct sgp_mapping sgp_mapping;
typedef struct sgp_mapset sgp_mapset;
typedef struct sgp_map_ctx sgp_map_ctx;

/* ---- loading ----------------------------------------------------------- */

struct sgp_mapping_opts {
	/* Parameter overrides "NAME=VALUE" (sgp-map -D): each replaces the
	 * spec's "params" entry NAME.  When that entry is a string, VALUE is
	 * the new string as it is ("1000.00" stays the decimal string);
	 * otherwise VALUE is read as a JSON scalar (500, true), or taken as
	 * a string when it is not one. */
	const char *const *params;
	size_t nparams;
	/* Skip overrides naming a parameter the spec does not have (when one
	 * set of overrides is given to several specs); otherwise such an
	 * override is a configuration error.  A string parameter is
	 * overridden by the text as it is. */
	int skip_unknown;
};

/*
 * Find a mapping by what the user wrote after -m: an existing file is
 * used as it is; a bare name (no '/') is searched as
 * $SGP_DATADIR/mappings/NAME and NAME.json (the installed layout), then
 * $SGP_DATADIR/contrib/mappings/NAME and NAME.json (a source tree); the
 * compiled-in data directory when SGP_DATADIR is unset.  Returns a new
 * string (caller frees); when nothing is found, a copy of NAME so the
 * caller's open reports the error.
 */
char *sgp_mapping_find(const char *name);

/*
 * Load and compile the spec at PATH.  Relative lookup files are taken
 * from the spec's directory.  Returns NULL with *err set (caller frees)
 * to a message naming the file and the place in the spec, e.g.
 *   "stripe.json: /emit/0/data/total/convert: unknown conversion 'monee'"
 *   "stripe.json: /lookups/customers: cannot open 'cust.csv': No such file or directory"
 *   "stripe.json: /lookups/customers: 'cust.csv' line 3: unterminated quoted field"
 *   "stripe.json: /emit/0/data/total/from: bad JSON Pointer '/a~2': ..."
 * These are configuration errors (exit 2 in every tool).  opts may be NULL.
 */
sgp_mapping *sgp_mapping_load(const char *path, char **err);
sgp_mapping *sgp_mapping_load_opts(const char *path, const struct sgp_mapping_opts *opts,
				   char **err);
/* Compile a spec already in memory (borrowed; the mapping keeps its own
 * reference).  name_for_messages prefixes messages; basedir resolves
 * relative lookup files (NULL = current directory). */
sgp_mapping *sgp_mapping_compile(json_t *spec, const char *name_for_messages,
				 const char *basedir, const struct sgp_mapping_opts *opts,
				 char **err);
void sgp_mapping_free(sgp_mapping *m);

/* The spec's "mapping" name (used in derived idempotency keys). */
const char *sgp_mapping_name(const sgp_mapping *m);
/* The file it was loaded from (or name_for_messages). */
const char *sgp_mapping_path(const sgp_mapping *m);
/* The spec document (borrowed). */
const json_t *sgp_mapping_spec(const sgp_mapping *m);
/* Whether the spec has the parameter NAME ("params"). */
int sgp_mapping_has_param(const sgp_mapping *m, const char *name);
/* Input types it applies to ("match"/"type"). */
size_t sgp_mapping_ntypes(const sgp_mapping *m);
const char *sgp_mapping_type(const sgp_mapping *m, size_t i);

/* ---- applying ---------------------------------------------------------- */

sgp_map_ctx *sgp_map_ctx_new(void);
void sgp_map_ctx_free(sgp_map_ctx *c);

enum sgp_map_status {
	SGP_MAP_ERROR = -1,   /* the record is rejected; see sgp_map_ctx_reason/errors */
	SGP_MAP_NOMATCH = 0,  /* the mapping does not apply to this record */
	SGP_MAP_DONE = 1,     /* applied: zero or more events appended */
};

/*
 * Apply m to one parsed input line.  input is an sgp.event/1 object or a
 * plain record; plain_type names the type of a plain record (NULL: plain
 * records never match).  On SGP_MAP_DONE the events (one JSON line each,
 * with "\n") are appended to out and *nevents (may be NULL) is set; on
 * SGP_MAP_ERROR nothing is appended and the context holds every error
 * found in the record (not only the first).  Thread-safe on a shared m
 * with one ctx per thread.
 */
enum sgp_map_status sgp_mapping_apply(const sgp_mapping *m, sgp_map_ctx *c, const json_t *input,
				      const char *plain_type, sgp_buf *out, size_t *nevents);

/* After SGP_MAP_ERROR: the reject reason class of the first error
 * ("mapping", "lookup", "money", "time"). */
const char *sgp_map_ctx_reason(const sgp_map_ctx *c);
/* After SGP_MAP_ERROR: the errors as a new JSON array of
 * {"path","keyword","message"} (the "errors" of an sgp.reject/1 line);
 * path is the output field ("/data/lines/1/amount"), message names the
 * source pointer and what was wrong with it.  Caller owns it. */
json_t *sgp_map_ctx_errors(const sgp_map_ctx *c);

/* ---- several mappings at once (sgp-map) --------------------------------- */

/* Counters of sgp_mapset_line(), indexes into a uint64_t array of at least
 * SGP_MAP_NCOUNTERS.  Identity: in = mapped + passed + rejected; state
 * lines are not counted in "in" (they are passed in place). */
enum {
	SGP_MAPC_IN,
	SGP_MAPC_MAPPED,    /* lines one or more mappings applied to */
	SGP_MAPC_PASSED,    /* lines no mapping matched, written unchanged */
	SGP_MAPC_REJECTED,
	SGP_MAPC_EMITTED,   /* events written (one input may emit several) */
	SGP_MAPC_STATE,     /* state lines passed through (outside the identity) */
	SGP_MAP_NCOUNTERS
};

struct sgp_map_run_opts {
	const char *plain_type;   /* --type: the type of plain records; NULL = none */
	int strict;               /* --strict: an unmatched line is a reject */
};

sgp_mapset *sgp_mapset_new(void);
/* Add a compiled mapping; the set takes ownership.  Mappings are tried in
 * the order added. */
void sgp_mapset_add(sgp_mapset *s, sgp_mapping *m);
size_t sgp_mapset_count(const sgp_mapset *s);
/* The i-th mapping (borrowed), or NULL. */
const sgp_mapping *sgp_mapset_get(const sgp_mapset *s, size_t i);
void sgp_mapset_free(sgp_mapset *s);

/*
 * Process one input line (bytes, len without newline) the way sgp-map
 * does: parse it; a state line goes to out unchanged (uncounted); every
 * mapping that matches is applied, in order, and their events are
 * appended to out; a line no mapping matches goes to out byte for byte
 * (a reject "unknown_type" with strict); a line that is not a JSON
 * object, or that any matching mapping rejects, becomes one sgp.reject/1
 * line in rejects (with every error, the line embedded as it was, lineno
 * and file when non-zero/non-NULL) and nothing of it is written to out.
 * Adds to counters[SGP_MAPC_*].
 */
void sgp_mapset_line(const sgp_mapset *s, sgp_map_ctx *c, const struct sgp_map_run_opts *o,
		     const char *line, size_t len, unsigned long long lineno, const char *file,
		     sgp_buf *out, sgp_buf *rejects, uint64_t *counters);

/*
 * Make jansson allocate from per-thread arenas while sgp_mapset_line()
 * maps a line: the parsed line and every value made for it are released
 * at once when the line is done, instead of block by block through
 * malloc and free.  Call it first in main(), before any JSON value
 * exists (jansson's allocator can only be set then); other code keeps
 * using malloc and free as before.  Without it sgp_mapset_line() uses
 * malloc.  Each thread's arena is freed by sgp_map_ctx_free() on it.
 */
void sgp_map_arena_install(void);

/* ---- examples and field lists (the lint of sgp-validate --mapping) ------ */

/*
 * Run every entry of the spec's "examples": apply the mapping to "input"
 * (a plain record of type "type", the first matched type by default, or
 * an sgp.event/1 object) and compare with "output" (the list of expected
 * events: each expected member is compared exactly, numerically for
 * numbers; "type" and "data" must be given, envelope members left out are
 * not compared; an empty "output" also passes when the mapping does not
 * match the input) or with "reject" ({"reason": R, "paths": [...]}: the
 * record must be rejected with that reason and those error paths, in
 * order).  Appends one line per difference to msgs, e.g.
 *   "stripe.json: example 2 (JPY invoice): event 1: /data/total: expected \"1250\", got \"12.50\""
 * Returns the number of examples that failed (0 = all passed).
 * *nexamples (may be NULL) is set to the number of examples run.
 */
size_t sgp_mapping_check_examples(const sgp_mapping *m, sgp_buf *msgs, size_t *nexamples);

/* Flags of a produced field. */
enum {
	SGP_FIELD_ALWAYS = 1,    /* present in every event of that type (no condition,
				  * required or defaulted, under always-present parents) */
	SGP_FIELD_OBJECT = 2,    /* the value is an object built from sub-fields */
	SGP_FIELD_ARRAY = 4,     /* the value is an array built element by element */
	SGP_FIELD_STRING = 8,    /* the value is always a JSON string */
	SGP_FIELD_COPY = 16,     /* the value is copied from the input as it is
				  * (any JSON, possibly an object with any members) */
};

/*
 * Call fn once per (type the mapping can emit, field path) pair: the
 * envelope members ("/spec", "/id", "/type", "/occurred_at", "/source",
 * "/source/system", ..., "/data") and every data field ("/data/total");
 * the elements of an array are one token "*": the amount of every invoice
 * line is the path /data/lines/STAR/amount with STAR = "*".  fn
 * returns 0 to go on, non-zero to stop (returned).  Types are listed in
 * the order of the spec (a type choice lists each of its branches).
 */
typedef int (*sgp_mapping_field_fn)(void *arg, const char *type, const char *path,
				    unsigned flags);
int sgp_mapping_fields(const sgp_mapping *m, sgp_mapping_field_fn fn, void *arg);

/* The "schema" an emit names for a type ("invoice.posted/1"), or NULL. */
const char *sgp_mapping_schema_of(const sgp_mapping *m, const char *type);

#endif
