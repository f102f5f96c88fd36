/*
 * lineio.h: newline-delimited input and buffered output.
 *
 * The reader returns lines of any length (the buffer grows as needed),
 * strips the "\n" or "\r\n", skips blank lines (empty or only spaces, tabs
 * and CR) while still counting them, and returns a last line that has no
 * final newline.  A line may contain NUL bytes or invalid UTF-8; the reader
 * hands them over as they are and sgp_line_parse() turns them into a
 * parse error that the caller writes as an sgp.reject/1 record.
 *
 * The writer buffers output and writes it with write(2).  When the reader
 * downstream went away (EPIPE) the tool ends at once and quietly with the
 * status of SIGPIPE, as coreutils do; any other write error (disk full) is
 * reported and the tool exits SGP_EXIT_SYSTEM (3).
 */
#ifndef SGP_LINEIO_H
#define SGP_LINEIO_H

#include <stddef.h>
#include <jansson.h>

typedef struct sgp_reader sgp_reader;

/* Open path for reading; NULL or "-" is standard input.  Returns NULL with
 * errno set when the file cannot be opened.  The name (for messages) is
 * "-" for stdin. */
sgp_reader *sgp_reader_open(const char *path);
/* Wrap an open descriptor; name is copied; the fd is closed by
 * sgp_reader_close unless it is 0. */
sgp_reader *sgp_reader_fdopen(int fd, const char *name);

/*
 * Read the next non-blank line.  Returns 1 and sets *line (NUL-terminated,
 * newline removed; owned by the reader, valid until the next call) and
 * *len; 0 at end of input; -1 on a read error (errno set; the tool should
 * exit 3).
 */
int sgp_reader_next(sgp_reader *r, const char **line, size_t *len);
/* Physical line number (1-based, blank lines included) of the line last
 * returned by sgp_reader_next. */
unsigned long long sgp_reader_lineno(const sgp_reader *r);
const char *sgp_reader_name(const sgp_reader *r);
/* Closes the file (not stdin) and frees the reader; NULL is allowed. */
void sgp_reader_close(sgp_reader *r);

/* Why a line could not be taken (reason class "parse"). */
typedef struct sgp_line_error {
	char message[320];
	int column;            /* 1-based byte offset of the problem, 0 if unknown */
} sgp_line_error;

/* Flags for sgp_line_parse. */
enum {
	SGP_PARSE_ANY_VALUE = 1,  /* any JSON value is fine, not only an object */
};

/*
 * Parse one line as JSON.  Rejects NUL bytes, invalid UTF-8 (with the byte
 * offset), JSON syntax errors (jansson's message and column), duplicate
 * object keys, numbers out of range (1e400) and, unless
 * SGP_PARSE_ANY_VALUE, values that are not objects.  Integers too large
 * for 64 bits (2^70, -2^70) are kept as reals rather than rejected.  Returns the
 * new value (caller owns it) or NULL with *err filled.
 */
json_t *sgp_line_parse(const char *line, size_t len, int flags, sgp_line_error *err);

/* Byte offset of the first invalid UTF-8 sequence in s, or -1 if valid. */
long sgp_utf8_check(const char *s, size_t len);

typedef struct sgp_writer sgp_writer;

/* The writer for standard output (fd 1); a single shared instance. */
sgp_writer *sgp_writer_stdout(void);
/* A writer for standard error, for rejects without --rejects FILE. */
sgp_writer *sgp_writer_stderr(void);
/* Create or truncate path for writing (mode 0666 & ~umask); "-" is stdout.
 * Returns NULL with errno set on failure. */
sgp_writer *sgp_writer_open(const char *path);
/* Same, but appends to an existing file. */
sgp_writer *sgp_writer_open_append(const char *path);
const char *sgp_writer_name(const sgp_writer *w);

/* Append bytes to the buffer; flushes when it is full.  Never fails: a
 * write error ends the tool as described above. */
void sgp_writer_write(sgp_writer *w, const void *buf, size_t len);
/* Append buf and a newline. */
void sgp_writer_line(sgp_writer *w, const char *buf, size_t len);
/* Serialise value compactly (members in insertion order) and add "\n". */
void sgp_writer_json(sgp_writer *w, const json_t *value);
/* Write out everything buffered. */
void sgp_writer_flush(sgp_writer *w);
/* Flush, fsync when sync is non-zero; returns 0 or -1 with errno. */
int sgp_writer_sync(sgp_writer *w);
/* Flush, close (not stdout/stderr) and free; NULL is allowed. */
void sgp_writer_close(sgp_writer *w);

/*
 * Write data to path atomically: a temporary file in the same directory,
 * fsync, rename over path, fsync of the directory.  Returns 0 or -1 with
 * errno set (the temporary file is removed on failure).
 */
int sgp_write_file_atomic(const char *path, const void *data, size_t len);

/* Read a whole file into memory (NUL-terminated); NULL with errno. */
char *sgp_read_file(const char *path, size_t *len);

#endif
