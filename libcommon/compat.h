/*
 * compat.h: breaking-change detection between two versions of a JSON
 * Schema (sgp-validate --compat OLD NEW).
 *
 * The two schemas are walked side by side, location by location
 * (properties, items, prefixItems, additionalProperties,
 * patternProperties, anyOf/oneOf alternatives).  At each location the
 * keywords in force are gathered first: the schema's own, those of the
 * schemas it reaches through $ref (local, or through the documents of a
 * sgp_compat_docs store) and those of its allOf members, combined as a
 * conjunction (types intersected, the tightest bound kept, required
 * names and patterns united).  Then OLD and NEW are compared:
 *
 *   breaking    an instance valid under OLD may be invalid under NEW
 *               (existing producers break: property newly required,
 *               type narrowed, enum value removed, const changed,
 *               minimum/maximum/exclusive* tightened, minLength,
 *               maxLength, minItems, maxItems, minProperties,
 *               maxProperties tightened, pattern added or changed,
 *               format added or changed, multipleOf tightened,
 *               uniqueItems required, additionalProperties or
 *               unevaluatedProperties closed, an anyOf/oneOf
 *               alternative removed), or a field existing consumers
 *               read is gone (property removed or renamed);
 *   compatible  everything else that changed meaning: optional property
 *               added, enum value added, bound loosened or removed,
 *               property no longer required, type widened, pattern or
 *               format removed, additionalProperties opened.
 *
 * Annotations (title, description, examples, default, $comment,
 * deprecated, readOnly, writeOnly) are ignored.  Keywords this module
 * does not analyse (not, if/then/else, contains, dependentRequired,
 * dependentSchemas, propertyNames, ...) are compared as JSON: a change
 * there is reported as breaking, to be reviewed by hand.  Equal
 * schemas give no change at all.
 */
#ifndef SGP_COMPAT_H
#define SGP_COMPAT_H

#include <jansson.h>
#include <stddef.h>

/*
 * A store of schema documents by absolute URI, for following $ref out
 * of the compared schemas (e.g. to urn:sgp:schema:common/1).  It keeps
 * its own references to the documents.  Embedded resources (a
 * subschema with its own "$id") are known by their URI too.
 */
typedef struct sgp_compat_docs sgp_compat_docs;

sgp_compat_docs *sgp_compat_docs_new(void);
void sgp_compat_docs_free(sgp_compat_docs *d);

/*
 * Add every *.json file under DIR (recursively) that holds an object
 * with a string "$id".  A document whose $id is already known replaces
 * the earlier one (so a later -s DIR overrides the installed schemas).
 * Returns the number of documents added, or -1 with *err set (a file
 * that cannot be read or parsed, a directory that cannot be opened);
 * the caller frees *err.
 */
int sgp_compat_docs_add_dir(sgp_compat_docs *d, const char *dir, char **err);

/*
 * Load every *.json file under DIR (recursively) and know it as
 * URI_PREFIX + its path below DIR (--map-uri "http://localhost:1234/"
 * and "remotes" make remotes/a/b.json "http://localhost:1234/a/b.json"),
 * and under its "$id" when it has one.  Returns the number of files, or
 * -1 with *err set (caller frees).
 */
int sgp_compat_docs_map_prefix(sgp_compat_docs *d, const char *uri_prefix, const char *dir,
			       char **err);

/* Add DOC (borrowed; a reference is taken) under its "$id", resolved
 * against URI, or under URI when it has none.  Returns 0, or -1 when
 * neither gives an absolute URI. */
int sgp_compat_docs_add(sgp_compat_docs *d, json_t *doc, const char *uri);

/* The document or embedded resource known at URI (no fragment), or NULL.
 * Borrowed. */
const json_t *sgp_compat_docs_get(const sgp_compat_docs *d, const char *uri);

/* One change.  Strings are owned by the report. */
struct sgp_compat_change {
	int breaking;       /* 1: breaking; 0: compatible */
	char *path;         /* location in the schema, a JSON Pointer through
	                     * properties/items/...; "" is the root */
	char *message;      /* "maxLength lowered from 40 to 20" */
};

typedef struct sgp_compat_report {
	struct sgp_compat_change *v;
	size_t n, cap;
	size_t nbreaking;
} sgp_compat_report;

#define SGP_COMPAT_REPORT_INIT { NULL, 0, 0, 0 }
void sgp_compat_report_init(sgp_compat_report *r);
void sgp_compat_report_release(sgp_compat_report *r);

/*
 * Compare OLD_SCHEMA with NEW_SCHEMA (both borrowed; object or boolean).
 * OLD_URI and NEW_URI are their retrieval URIs (bases for relative
 * references when a schema has no absolute $id; may be NULL).  DOCS
 * (may be NULL) resolves references to other documents.  Changes are
 * appended to REP in walk order, each (path, message) once.
 * Returns 0, or -1 with *err set (caller frees) when a reference cannot
 * be resolved.
 */
int sgp_compat_compare(const sgp_compat_docs *docs,
		       const json_t *old_schema, const char *old_uri,
		       const json_t *new_schema, const char *new_uri,
		       sgp_compat_report *rep, char **err);

/*
 * What a schema says about one place of its instances, for the mapping
 * lint: PATH is an instance JSON Pointer whose "*" tokens stand for any
 * array element ("/data/lines/ * /sku" without the spaces).  The walk
 * folds $ref and allOf as the comparison does and follows properties,
 * patternProperties, additionalProperties, items, prefixItems.
 */
enum sgp_schema_at_status {
	SGP_SCHEMA_AT_DECLARED,   /* the schema describes the value at PATH */
	SGP_SCHEMA_AT_ANY,        /* nothing constrains it (undeclared member of an open object) */
	SGP_SCHEMA_AT_REFUSED,    /* a member along PATH is refused by a closed object */
};

struct sgp_schema_at {
	enum sgp_schema_at_status status;
	char *refused;            /* REFUSED: the path of the refused member, a prefix of PATH */
	json_t *required;         /* DECLARED: member names required there (array of strings) */
	json_t *properties;       /* DECLARED: member names declared there */
	int closed;               /* DECLARED: additionalProperties or unevaluatedProperties false */
};

/* Fill *AT (release with sgp_schema_at_release).  Returns 0, or -1 with
 * *err set (caller frees) when a reference cannot be resolved. */
int sgp_schema_at(const sgp_compat_docs *docs, const json_t *schema, const char *uri,
		  const char *path, struct sgp_schema_at *at, char **err);
void sgp_schema_at_release(struct sgp_schema_at *at);

/* A path for people: "(root)" for "", else the path itself.  Borrowed. */
const char *sgp_compat_path_label(const char *path);

#endif
