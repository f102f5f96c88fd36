/*
 * validate.h: the per-line engine of sgp-validate: the schema registry
 * (installed schemas, -s DIR, --map-uri), choosing the schema of each
 * line, valid lines passed through byte for byte, sgp.reject/1 records
 * with every error for the others, and --check-schema.
 *
 * Choosing the schema (by type):
 *   - an sgp.event/1 line of type T is validated against
 *     urn:sgp:schema:T/N, where N comes from its "schema" member
 *     ("T/N") or, without one, is the highest version installed for T;
 *     event schemas are the registry documents whose $id is
 *     urn:sgp:schema:T/N with a dot in T (object.verb, system.object);
 *   - an event whose type is unknown, or whose "schema" names a version
 *     that is not installed, is rejected ("unknown_type"), or passed
 *     unchecked with allow_unknown;
 *   - an event without a string "type" is validated against the
 *     envelope schema (urn:sgp:schema:envelope/1) and rejected with its
 *     errors ("schema");
 *   - a plain record (no "spec") or an unknown spec is "unknown_type"
 *     (passed unchecked with allow_unknown); an sgp.reject/1 line is
 *     always rejected ("unknown_type": a reject is not an event);
 *   - sgp.state/1 lines pass through in place, uncounted;
 *   - a line that is not JSON or not an object is "parse".
 * With a single schema (--schema FILE) every line is an instance of it
 * and may be any JSON value; that includes sgp.state/1 lines, which are
 * then validated and counted like any other line.
 *
 * Every schema is compiled before the first line (the event schemas all
 * at once by sgp_validator_load_types), so the workers only validate:
 * a sgp_validator is read-only while lines are processed and may be
 * shared by any number of threads, each with its own
 * sgp_validator_worker.
 */
#ifndef SGP_VALIDATE_H
#define SGP_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "jsonschema.h"
#include "util.h"

/* Counters of sgp_validator_line(), indexes into a uint64_t array of at
 * least SGP_VAL_NCOUNTERS.  Identity: in = out + rejected, and rejected
 * = rej_parse + rej_schema + rej_unknown.  State lines are outside the
 * identity (passed in place, counted in SGP_VALC_STATE only). */
enum {
	SGP_VALC_IN,
	SGP_VALC_OUT,           /* lines written to the output (valid or unchecked) */
	SGP_VALC_REJECTED,
	SGP_VALC_STATE,
	SGP_VALC_REJ_PARSE,
	SGP_VALC_REJ_SCHEMA,
	SGP_VALC_REJ_UNKNOWN,
	SGP_VALC_UNCHECKED,     /* of out: passed without a schema (allow_unknown) */
	SGP_VAL_NCOUNTERS
};

/* At most this many errors are listed in one reject; beyond, one last
 * entry says how many more there were. */
#define SGP_VAL_MAX_ERRORS 1000

struct sgp_validator_opts {
	const char *schemas_dir;          /* installed schemas; NULL: sgp_validator_schemas_dir() */
	const char *const *dirs;          /* -s DIR, in order */
	size_t ndirs;
	const char *const *map_uris;      /* --map-uri "PREFIX=DIR" */
	size_t nmap_uris;
	struct js_options js;             /* dialect default, format assertion */
	bool allow_unknown;
};

typedef struct sgp_validator sgp_validator;
typedef struct sgp_validator_worker sgp_validator_worker;

/* The installed schema directory: $SGP_DATADIR/schemas, else the
 * compiled-in SGP_DATADIR "/schemas".  Caller frees. */
char *sgp_validator_schemas_dir(void);

/*
 * Build the registry: the meta-schemas and every schema under the
 * installed directory, then every -s DIR, then the --map-uri prefixes
 * ("PREFIX=DIR"; a value without '=' or with an empty side is an
 * error).  Returns NULL with *err set (caller frees) when anything
 * cannot be loaded.
 */
sgp_validator *sgp_validator_new(const struct sgp_validator_opts *o, char **err);
void sgp_validator_free(sgp_validator *v);

/* The registry (borrowed), for --check-schema and the mapping lint. */
js_registry *sgp_validator_registry(sgp_validator *v);
const struct js_options *sgp_validator_js_options(const sgp_validator *v);

/*
 * Retrieval URI of a schema file: "file://" + its absolute path; the
 * file's directory is mapped so that relative references from a schema
 * without $id reach its sibling files.  Caller frees.
 */
char *sgp_validator_file_uri(sgp_validator *v, const char *path);

/*
 * --schema FILE: read and compile PATH; from then on every line is
 * validated against it.  Returns 0, or -1 with *err set (caller frees):
 * cannot read, not JSON, or every compile error, one per line.
 */
int sgp_validator_use_schema(sgp_validator *v, const char *path, char **err);

/*
 * Compile every event schema of the registry (see above) and the
 * envelope schema, for choosing the schema by type.  Returns the number
 * of event schemas, or -1 with *err set (caller frees) naming the
 * schemas that do not compile and why.
 */
int sgp_validator_load_types(sgp_validator *v, char **err);

/* Number of versions installed for TYPE and the highest one (0 if none). */
int sgp_validator_latest(const sgp_validator *v, const char *type);
/* The compiled schema of TYPE version N (N = 0: the highest), or NULL. */
const js_schema *sgp_validator_schema_for(const sgp_validator *v, const char *type, int n);

/* Per-thread state (error lists, scratch).  V must outlive it. */
sgp_validator_worker *sgp_validator_worker_new(const sgp_validator *v);
void sgp_validator_worker_free(sgp_validator_worker *w);

/*
 * Process one input line (LEN bytes without the newline): a valid line
 * is appended to OUT byte for byte with "\n"; a rejected one becomes one
 * sgp.reject/1 line in REJECTS (tool = sgp_progname, LINENO and FILE
 * when non-zero/non-NULL, the line embedded as it was).  Adds to
 * COUNTERS[SGP_VALC_*].
 */
void sgp_validator_line(sgp_validator_worker *w, const char *line, size_t len,
			unsigned long long lineno, const char *file,
			sgp_buf *out, sgp_buf *rejects, uint64_t *counters);

/* The --stats object of COUNTERS: {"in","out","rejected","state",
 * "unchecked","rejected_by_reason":{"parse","schema","unknown_type"}}.
 * Caller owns it. */
json_t *sgp_validator_stats(const uint64_t *counters);

/*
 * --check-schema: read the schema file PATH, validate it against its
 * meta-schema and compile it.  Appends one line per problem to MSGS
 * ("PATH: LOCATION: message\n", LOCATION a JSON Pointer into the file,
 * "(root)" for the root) and returns how many there were (0 = usable).
 */
size_t sgp_validator_check_file(sgp_validator *v, const char *path, sgp_buf *msgs);

#endif
