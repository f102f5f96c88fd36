/*
 * util.h: exit codes, error reporting, allocation wrappers, checked
 * number parsing and a growable byte buffer.  Everything in libcommon
 * builds on this module.
 */
#ifndef SGP_UTIL_H
#define SGP_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* Exit status of every tool (DESIGN.md, "Exit status"). */
enum sgp_exit {
	SGP_EXIT_OK = 0,       /* done; nothing rejected, no discrepancy */
	SGP_EXIT_REJECTS = 1,  /* done; some records rejected or discrepancies found */
	SGP_EXIT_USAGE = 2,    /* usage or configuration error; nothing done */
	SGP_EXIT_SYSTEM = 3,   /* system or remote fault; stopped, safe to rerun */
};

/* Program name used as the prefix of every message ("sgp-map"). */
extern const char *sgp_progname;
void sgp_set_progname(const char *argv0);

/*
 * Messages in the house style: "sgp-map: cannot open 'x.json': No such
 * file or directory".  sgp_warn prints and returns; sgp_die prints and
 * exits with the given code after running atexit handlers.
 */
void sgp_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void sgp_vwarn(const char *fmt, va_list ap);
_Noreturn void sgp_die(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Usual start of every main(): records the program name, makes sure fds
 * 0-2 are open (so a later open() never lands on them) and sets a
 * predictable locale for number formatting.
 */
void sgp_init(const char *argv0);

/* Allocation wrappers: never return NULL; on failure print the size that
 * could not be had and exit SGP_EXIT_SYSTEM. */
void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
void *xreallocarray(void *p, size_t nmemb, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* printf into a freshly allocated string; caller frees. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Checked number parsing: the whole string must be a number within
 * [min, max].  Return 0 on success, -1 on junk, empty input or range error
 * (errno EINVAL or ERANGE).  No leading/trailing whitespace accepted.
 */
int sgp_parse_ll(const char *s, long long min, long long max, long long *out);
int sgp_parse_ull(const char *s, unsigned long long max, unsigned long long *out);
int sgp_parse_double(const char *s, double *out);
/* "64M", "1G", "512k", "1000" -> bytes.  Suffixes k, M, G, T (powers of 1024),
 * optional trailing "B" or "iB". */
int sgp_parse_size(const char *s, unsigned long long *out);

/* Growable byte buffer.  Always NUL-terminated; data may contain NULs.
 * sgp_buf_init zeroes; sgp_buf_release frees the storage; after
 * sgp_buf_detach the caller owns the returned pointer. */
typedef struct sgp_buf {
	char *data;
	size_t len, cap;
} sgp_buf;

#define SGP_BUF_INIT { NULL, 0, 0 }
void sgp_buf_init(sgp_buf *b);
void sgp_buf_release(sgp_buf *b);
void sgp_buf_reset(sgp_buf *b);                /* len = 0, keeps storage */
void sgp_buf_grow(sgp_buf *b, size_t extra);   /* room for extra more bytes */
void sgp_buf_add(sgp_buf *b, const void *p, size_t n);
void sgp_buf_addc(sgp_buf *b, char c);
void sgp_buf_adds(sgp_buf *b, const char *s);
void sgp_buf_addf(sgp_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
char *sgp_buf_detach(sgp_buf *b, size_t *len);
/* Append s as a JSON string literal (with quotes), escaping as RFC 8259
 * requires.  s must be valid UTF-8 of length n. */
void sgp_buf_add_json_string(sgp_buf *b, const char *s, size_t n);

/* Hex-encoded SHA-256 of data (65 bytes incl. NUL written to out). */
void sgp_sha256_hex(const void *data, size_t n, char out[65]);

/* Number of online CPUs, at least 1. */
int sgp_ncpus(void);

#endif
