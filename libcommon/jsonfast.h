/*
 * jsonfast.h: a faster line parser with the contract of sgp_line_parse()
 * (lineio.h).
 *
 * jansson's own parser reads its input one byte at a time through a
 * stream callback; on canonical events that lexing is most of the cost of
 * a filter.  sgp_json_fast_parse() lexes the line in place (strings
 * without escapes are handed to jansson straight from the line, UTF-8 is
 * checked inline, duplicate keys are caught by the object's size not
 * growing) and builds the same jansson values through jansson's API:
 * objects with members in input order, integers as json_integer, other
 * numbers as json_real through strtod, exactly as json_loadb would.
 *
 * It accepts only what it is sure of.  Anything else (a syntax error, a
 * NUL byte, invalid UTF-8, a lone surrogate, "\u0000", an integer beyond
 * 64 bits, a number out of range, nesting deeper than jansson allows, a
 * value that is not an object where one is wanted) is handed to
 * sgp_line_parse(), whose result and error message are returned: so the
 * values and the errors are those of sgp_line_parse(), only faster on
 * the lines that parse.
 */
#ifndef SGP_JSONFAST_H
#define SGP_JSONFAST_H

#include <stddef.h>
#include <jansson.h>

#include "lineio.h"

/* Same arguments, flags (SGP_PARSE_ANY_VALUE), result and errors as
 * sgp_line_parse().  Thread-safe; allocates only the jansson values
 * (and a scratch buffer for strings with escapes). */
json_t *sgp_json_fast_parse(const char *line, size_t len, int flags, sgp_line_error *err);

#endif
