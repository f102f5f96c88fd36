/*
 * maplint.h: the lint of mapping specs for CI (sgp-validate --mapping),
 * over the mapping engine (mapping.h) and the validator (validate.h).
 *
 * For each spec file:
 *   1. the spec is valid against its schema (urn:sgp:schema:mapping/1),
 *      every error listed;
 *   2. it loads (sgp_mapping_load: lookups, parameters, conversions);
 *   3. for each type it emits that has an installed schema (the version
 *      the emit names, else the highest): every field that schema
 *      requires is produced, in every event (not only under a
 *      condition), and nothing produced is refused by it (a member of a
 *      closed object that the schema does not declare);
 *   4. every entry of its "examples" produces exactly the expected
 *      output (sgp_mapping_check_examples), and every event the examples
 *      produce is valid against the schema of its type.
 * Types without an installed schema (vendor request bodies) are named
 * in a note and not checked against a schema.
 */
#ifndef SGP_MAPLINT_H
#define SGP_MAPLINT_H

#include <stddef.h>

#include "compat.h"
#include "util.h"
#include "validate.h"

#define SGP_MAPPING_SCHEMA_URI "urn:sgp:schema:mapping/1"

struct sgp_maplint_result {
	size_t problems;      /* lines added to msgs that are failures */
	size_t examples;      /* examples run */
};

/*
 * Lint the spec at PATH.  V must have its event schemas loaded
 * (sgp_validator_load_types); DOCS holds the same schema documents (for
 * following references when walking a schema).  Appends one line per
 * problem ("PATH: what") and per note ("PATH: note: what") to MSGS.
 * Returns 0, or -1 with *err set (caller frees) when the lint itself
 * cannot run (the mapping schema is not installed or does not compile).
 */
int sgp_maplint_file(sgp_validator *v, const sgp_compat_docs *docs, const char *path,
		     sgp_buf *msgs, struct sgp_maplint_result *res, char **err);

#endif
