/*
 * jsonschema.h: JSON Schema validation (draft 2020-12 and draft-07) over
 * jansson.
 *
 * Three objects:
 *
 *   js_registry  the schema documents known by absolute URI: the
 *                meta-schemas (js_registry_load_meta), every schema file
 *                of a directory (js_registry_add_dir), single documents
 *                (js_registry_add) and URI prefixes mapped to directories
 *                whose files are loaded the first time a reference needs
 *                them (js_registry_map_prefix).  References resolve only
 *                through the registry, never over the network.
 *
 *   js_schema    a compiled schema: a tree of nodes with every keyword
 *                pre-parsed (regular expressions compiled and JIT-compiled
 *                once, static $ref resolved to node pointers).  It is
 *                immutable after js_compile: any number of threads may
 *                validate instances against one js_schema at once.  It
 *                holds its own references to the JSON it needs, so it
 *                stays valid after the registry is freed.
 *
 *   js_errors    a list of js_error, filled by js_validate (every error,
 *                not only the first), js_compile and js_check_schema.
 *
 * Typical use (one registry and one compiled schema shared by the
 * worker threads; one js_errors per thread):
 *
 *   js_registry *reg = js_registry_new();
 *   if (js_registry_load_meta(reg, datadir_schemas, &msg) < 0) ...
 *   js_registry_add_dir(reg, datadir_schemas, &msg);
 *   js_schema *s = js_compile_uri(reg, "urn:sgp:schema:invoice.posted/1",
 *                                 &opts, &errs);
 *   ... in each worker:  if (!js_is_valid(s, inst)) js_validate(s, inst, &errs);
 *
 * Compiling and adding to a registry are not thread-safe: do them before
 * the workers start.  Validation is.
 */
#ifndef SGP_JSONSCHEMA_H
#define SGP_JSONSCHEMA_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* Dialect of a schema without "$schema" (and of the meta-schema that
 * js_check_schema picks for it). */
enum js_dialect {
	JS_DRAFT_2020_12 = 0,
	JS_DRAFT_07 = 1,
};

struct js_options {
	enum js_dialect default_dialect;  /* for schemas without $schema */
	bool format_assert;               /* "format" fails invalid strings
	                                   * (date-time, date, time, duration,
	                                   * email, idn-email, hostname,
	                                   * idn-hostname, ipv4,
	                                   * ipv6, uri, uri-reference, iri,
	                                   * iri-reference, uri-template, uuid,
	                                   * regex, json-pointer,
	                                   * relative-json-pointer); otherwise
	                                   * format is an annotation, unless the
	                                   * meta-schema enables the
	                                   * format-assertion vocabulary.
	                                   * Unknown formats always pass. */
};
#define JS_OPTIONS_INIT { JS_DRAFT_2020_12, false }

/* Instance validation nests at most this many schema evaluations; deeper
 * instances (or schemas that recurse without consuming the instance
 * through $dynamicRef) fail with one error instead of exhausting the
 * stack. */
#define JS_MAX_DEPTH 2000

/*
 * One problem.  All strings are owned by the js_errors that holds the
 * entry.
 *
 * For validation errors:
 *   instance_path      JSON Pointer of the failing value ("" = the root),
 *                      e.g. "/data/total"
 *   keyword_location   the schema path that led there, through applicators
 *                      and references, e.g. "/properties/data/properties/
 *                      total/$ref/pattern"
 *   absolute_location  absolute URI of the failing keyword, e.g.
 *                      "urn:sgp:schema:common/1#/$defs/money/pattern"
 *   keyword            the failing keyword ("pattern", "required", ...)
 *   message            human text: "\"12,50\" does not match pattern
 *                      \"^-?[0-9]+\\.[0-9]{2}$\""
 *
 * For compile errors (js_compile, js_check_schema) instance_path and
 * keyword_location are the JSON Pointer of the offending keyword inside
 * the schema document, absolute_location its absolute URI.
 */
typedef struct js_error {
	char *instance_path;
	char *keyword_location;
	char *absolute_location;
	char *keyword;
	char *message;
} js_error;

typedef struct js_errors {
	js_error *v;
	size_t n, cap;
} js_errors;

#define JS_ERRORS_INIT { NULL, 0, 0 }
void js_errors_init(js_errors *e);
/* Free the entries, keep the storage for reuse. */
void js_errors_clear(js_errors *e);
/* Free everything; the list is empty and reusable afterwards. */
void js_errors_release(js_errors *e);
/* The list as a new JSON array of {"path","keyword","message"} objects
 * (the "errors" member of an sgp.reject/1 line).  Caller owns it. */
json_t *js_errors_to_json(const js_errors *e);

/* ---- registry ---- */

typedef struct js_registry js_registry;

js_registry *js_registry_new(void);
void js_registry_free(js_registry *r);

/*
 * Load the meta-schemas from SCHEMAS_DIR/meta (the project's copies:
 * draft2020-12/schema.json with its vocabulary meta-schemas in
 * draft2020-12/meta/, draft-07/schema.json).  Fails unless both the
 * draft 2020-12 and the draft-07 meta-schema were found.
 * Returns 0, or -1 with *err set to a message the caller frees.
 */
int js_registry_load_meta(js_registry *r, const char *schemas_dir, char **err);

/*
 * Add every *.json file under DIR (recursively) that holds a JSON object
 * with a string "$id", under that $id (a relative $id resolves against
 * the file's own file: URI).  Files without $id are skipped;
 * a file that cannot be read or parsed is an error.  Two files with the
 * same $id are an error.  Returns the number of documents added, or -1
 * with *err set (caller frees).
 */
int js_registry_add_dir(js_registry *r, const char *dir, char **err);

/*
 * Add one schema document (object or boolean).  It is known by its $id
 * resolved against URI, or by URI when it has no $id (URI may be NULL
 * only if the document has an absolute $id).  The registry takes its own
 * reference to DOC; DOC must not be modified afterwards.
 * Returns 0, or -1 with *err set (caller frees).
 */
int js_registry_add(js_registry *r, json_t *doc, const char *uri, char **err);

/*
 * Resolve references below URI_PREFIX to files below DIR, on first use:
 * with "http://localhost:1234/" -> "/suite/remotes", a reference to
 * "http://localhost:1234/draft2020-12/foo.json" loads
 * "/suite/remotes/draft2020-12/foo.json".  Paths with ".." segments are
 * refused.
 */
void js_registry_map_prefix(js_registry *r, const char *uri_prefix, const char *dir);

/* Whether a document or an embedded resource is known (or loadable
 * through a prefix mapping) at URI. */
bool js_registry_has(js_registry *r, const char *uri);

/* Call FN for every document in the registry, in the order they were
 * added, with its absolute URI (its $id) and the document (borrowed;
 * valid while the registry lives).  Lets a caller pick, say, the highest
 * installed version of "urn:sgp:schema:invoice.posted/N".  FN must not
 * add documents. */
void js_registry_foreach(js_registry *r, void (*fn)(void *arg, const char *uri, json_t *doc),
                         void *arg);

/* ---- compiling ---- */

typedef struct js_schema js_schema;

/*
 * Compile SCHEMA (borrowed; the compiled schema keeps its own reference,
 * SCHEMA must not be modified afterwards).  URI is the retrieval URI,
 * the base for a root without $id (may be NULL).  OPT may be NULL for
 * JS_OPTIONS_INIT.  Every reference is resolved now, through the schema
 * itself and REG; documents loaded through prefix mappings are added to
 * REG.  On failure returns NULL and appends every problem found to ERRS
 * (invalid regular expression with PCRE2's message, unresolvable
 * reference naming its URI, reference cycle that never consumes the
 * instance, invalid keyword value, unknown or unsupported $schema).
 */
js_schema *js_compile(js_registry *reg, json_t *schema, const char *uri,
                      const struct js_options *opt, js_errors *errs);

/* Compile the registry's schema known at URI (e.g. an $id added by
 * js_registry_add_dir); same contract as js_compile. */
js_schema *js_compile_uri(js_registry *reg, const char *uri,
                          const struct js_options *opt, js_errors *errs);

void js_schema_free(js_schema *s);

/* Absolute URI of the compiled schema's root resource. */
const char *js_schema_uri(const js_schema *s);

/* ---- validating (thread-safe on a shared js_schema) ---- */

/* Whether INSTANCE is valid; stops at the first failure and builds no
 * message.  Allocates nothing, except a string per property name under
 * "propertyNames" and a bitset for objects or arrays of more than 256
 * members under unevaluatedProperties/unevaluatedItems.  String values
 * must be valid UTF-8 (as jansson's parser guarantees). */
bool js_is_valid(const js_schema *s, const json_t *instance);

/*
 * Validate INSTANCE and append every error to ERRS (which may already
 * hold entries).  Returns the number of errors appended: 0 if valid.
 * Errors inside anyOf/oneOf/if/not/contains branches appear only when
 * they decide the outcome.
 */
size_t js_validate(const js_schema *s, const json_t *instance, js_errors *errs);

/*
 * Check a schema document: validate it against its meta-schema (chosen
 * by its $schema, else by OPT's default dialect), then compile it.
 * Appends every problem to ERRS (meta-schema violations carry the
 * location inside SCHEMA as instance_path) and returns how many were
 * appended: 0 if the schema is usable.  URI as for js_compile.
 */
size_t js_check_schema(js_registry *reg, json_t *schema, const char *uri,
                       const struct js_options *opt, js_errors *errs);

#endif
