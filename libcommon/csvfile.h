/*
 * csvfile.h: streaming CSV reading through libcsv, and CSV field writing.
 *
 * RFC 4180 CSV: quoted fields with embedded quotes ("") and newlines, CRLF
 * or LF records, UTF-8 with an optional byte-order mark (removed), strict
 * quoting (a stray quote inside an unquoted field is an error, with the
 * record number).  Fields keep their surrounding spaces.  Records are
 * returned one at a time; memory use is one record, not the file.
 */
#ifndef SGP_CSVFILE_H
#define SGP_CSVFILE_H

#include <stddef.h>

#include "util.h"

typedef struct sgp_csv sgp_csv;

/* Open path ("-" = stdin) for reading.  NULL with errno on failure. */
sgp_csv *sgp_csv_open(const char *path);
/* Read CSV from a string in memory (copied). */
sgp_csv *sgp_csv_open_mem(const char *data, size_t len, const char *name);

/*
 * Next record.  Returns 1 with *fields (array of NUL-terminated strings,
 * owned by the reader, valid until the next call) and *n; 0 at end of
 * input; -1 on an error (parse error, invalid UTF-8 or a NUL byte in a
 * field, or a read error), described by sgp_csv_error().  After invalid
 * UTF-8 or a NUL byte (message "NAME: line N: field K: invalid UTF-8",
 * "...: field K: invalid UTF-8 text: NUL byte") only that record is
 * spoilt and the next call goes on with the next record; after the other
 * errors the rest of the input cannot be read.  Blank lines are skipped
 * (a line of NUL bytes is not blank).
 */
int sgp_csv_next(sgp_csv *c, char ***fields, size_t *n);
/* 1-based number of the record last returned (header = 1). */
unsigned long long sgp_csv_record(const sgp_csv *c);
/* Physical line on which the record last returned started. */
unsigned long long sgp_csv_line(const sgp_csv *c);
/* Message of the last error ("line 12: unterminated quoted field"). */
const char *sgp_csv_error(const sgp_csv *c);
const char *sgp_csv_name(const sgp_csv *c);
void sgp_csv_close(sgp_csv *c);

/*
 * Header helper: read the first record as the header.  Returns 0, or -1
 * (empty input, parse error, duplicate or empty column name) with the
 * reason in sgp_csv_error().  The header is kept in the reader.
 */
int sgp_csv_read_header(sgp_csv *c);
size_t sgp_csv_ncols(const sgp_csv *c);
const char *sgp_csv_colname(const sgp_csv *c, size_t i);
/* Index of the named column, or -1. */
long sgp_csv_col(const sgp_csv *c, const char *name);

/* Append s as one CSV field (quoted when it holds a comma, quote, CR, LF
 * or leading/trailing space) to out. */
void sgp_csv_add_field(sgp_buf *out, const char *s);

#endif
