/*
 * http.h: an HTTP client over libcurl's multi interface, for talking to
 * vendor APIs without losing or doubling anything.
 *
 * One sgp_http client per connector profile.  It keeps connections alive
 * between requests (libcurl's connection cache), caps the requests in
 * flight, applies connect and transfer timeouts, verifies TLS (turning it
 * off needs cfg.insecure, an explicit option), takes proxies from the
 * environment as libcurl does (http_proxy, https_proxy, no_proxy), and
 * retries what can succeed on a later try:
 *
 *   - connection errors, timeouts, empty or cut replies;
 *   - HTTP 408, 429 and every 5xx except 501 and 505;
 *
 * with exponential backoff and jitter (delay before retry k is drawn from
 * [d/2, d] with d = backoff_ms * 2^(k-1), at most backoff_max_ms).  A
 * Retry-After header (delta seconds or an HTTP-date) replaces the backoff
 * and pauses every request of the client, since vendors count limits per
 * account; so does a rate-limit "remaining" header reaching 0, until its
 * "reset" header says the window reopens.  A Retry-After longer than
 * retry_after_max_ms ends the request as exhausted instead of sleeping.
 * Requests are started at most rps times per second.
 *
 * Requests that are not idempotent (POST, PATCH without mark_idempotent)
 * are retried only when the server cannot have acted on them: a
 * connection that was never made, 429, or 503.
 *
 * Authentication plugs in as a signer (see auth.h): sign() is called
 * before every attempt, so a signature with a nonce and a timestamp is
 * fresh on each retry; after a 401, renew() is called and the request is
 * tried once more if it returns 1.
 *
 * The client is single-threaded and driven by its caller: sgp_http_wait()
 * and sgp_http_next() block while transfers run; sgp_http_pump() makes
 * progress without blocking, so a caller can work on one response while
 * the next one downloads.
 */
#ifndef SGP_HTTP_H
#define SGP_HTTP_H

#include <stddef.h>

#include "util.h"

typedef struct sgp_http sgp_http;
typedef struct sgp_http_req sgp_http_req;

/* How to read a rate-limit reset header. */
enum sgp_http_reset_kind {
	SGP_RESET_AUTO,     /* epoch seconds if > 10^9, else seconds from now */
	SGP_RESET_SECONDS,  /* seconds from now */
	SGP_RESET_EPOCH,    /* epoch seconds */
	SGP_RESET_MS,       /* milliseconds from now */
};

struct sgp_http_slowdown;

struct sgp_http_signer {
	/* Add credentials to one attempt with sgp_http_req_set_auth_header().
	 * Return 0, or -1 with *err (caller frees) when no credentials can be
	 * had (the request then ends SGP_HTTP_FAILED). */
	int (*sign)(void *ctx, sgp_http_req *req, char **err);
	/* After a 401: get fresh credentials.  1 = renewed (retry once),
	 * 0 = nothing to renew, -1 with *err = renewing failed. */
	int (*renew)(void *ctx, char **err);
	void *ctx;
};

/* Zero values mean the defaults in brackets. */
struct sgp_http_config {
	int max_in_flight;          /* requests on the wire at once [4] */
	long connect_timeout_ms;    /* [10000] */
	long timeout_ms;            /* one whole attempt [120000] */
	int max_attempts;           /* tries per request, the first included [6] */
	long backoff_ms;            /* base of the first retry delay [500] */
	long backoff_max_ms;        /* largest backoff [30000] */
	long retry_after_max_ms;    /* longest wait a server may ask for [300000] */
	double rps;                 /* requests started per second; 0 = unlimited */
	const char *remaining_header;  /* e.g. "X-RateLimit-Remaining"; NULL = none */
	const char *reset_header;      /* e.g. "X-RateLimit-Reset"; NULL = none */
	enum sgp_http_reset_kind reset_kind;
	size_t max_body;            /* largest response body accepted [256 MiB] */
	int insecure;               /* 1 = do not verify TLS peers and hosts */
	const char *user_agent;     /* [sgp/VERSION] */
	const char *name;           /* for log messages ("stripe"); may be NULL */
	/* Replies that mean "slow down" although they are not a 429, such as
	 * Salesforce's 403 REQUEST_LIMIT_EXCEEDED: a status and a text its
	 * body contains.  They are retried as a 429 is.  Borrowed. */
	const struct sgp_http_slowdown *slowdown;
	size_t nslowdown;
};

struct sgp_http_slowdown {
	long status;
	const char *body_contains;
};

/* Outcome of a finished request. */
enum sgp_http_result {
	SGP_HTTP_PENDING = 0, /* not finished yet */
	SGP_HTTP_DONE,        /* a final response: check sgp_http_req_status() */
	SGP_HTTP_EXHAUSTED,   /* retryable failures until the attempts ran out */
	SGP_HTTP_FAILED,      /* a failure retrying cannot fix (bad URL, TLS
	                       * verification, signer error, body too large) */
	SGP_HTTP_CANCELLED,
};

/* Counters of a client, for --stats. */
struct sgp_http_stats {
	unsigned long long requests;   /* requests finished */
	unsigned long long attempts;   /* transfers started */
	unsigned long long retries;    /* attempts after the first */
	unsigned long long rate_limited; /* 429 replies and remaining=0 headers */
	unsigned long long bytes;      /* response body bytes received */
};

/* A new client; cfg is copied (strings too).  NULL cfg = defaults. */
sgp_http *sgp_http_new(const struct sgp_http_config *cfg);
/* Frees the client and every request it still holds. */
void sgp_http_free(sgp_http *c);
/* The signer is borrowed and must outlive the client; NULL = none. */
void sgp_http_set_signer(sgp_http *c, const struct sgp_http_signer *signer);
const struct sgp_http_stats *sgp_http_get_stats(const sgp_http *c);

/* ---- requests ---- */

/* A new request (method "GET", "POST", ...; url absolute).  Caller owns
 * it until sgp_http_submit() and again after it finished. */
sgp_http_req *sgp_http_req_new(const char *method, const char *url);
/* Add a header "Name: value" (copied). */
void sgp_http_req_header(sgp_http_req *r, const char *name, const char *value);
/* Set the body (copied) and its Content-Type (NULL = none). */
void sgp_http_req_body(sgp_http_req *r, const void *data, size_t len, const char *content_type);
/* Allow retries after the request may have reached the server (set this
 * for a POST that carries an idempotency key). */
void sgp_http_req_mark_idempotent(sgp_http_req *r);
void sgp_http_req_set_userdata(sgp_http_req *r, void *p);
/* Check each 2xx response before accepting it (its body and headers are
 * readable through r): check returns 0 to accept, or non-zero with a
 * reason in why (a truncated page, a body that is not JSON), and the
 * attempt is retried like a 5xx.  It may submit other requests. */
typedef int (*sgp_http_check_fn)(void *ctx, sgp_http_req *r, char *why, size_t whylen);
void sgp_http_req_set_check(sgp_http_req *r, sgp_http_check_fn check, void *ctx);
void *sgp_http_req_userdata(const sgp_http_req *r);
/* Frees a request; one still queued or running is cancelled first. */
void sgp_http_req_free(sgp_http_req *r);

/* For signers: what is being sent, and the header that carries the
 * credentials (replaced on every attempt; value copied). */
const char *sgp_http_req_method(const sgp_http_req *r);
const char *sgp_http_req_url(const sgp_http_req *r);
const char *sgp_http_req_body_data(const sgp_http_req *r, size_t *len);
const char *sgp_http_req_content_type(const sgp_http_req *r);
void sgp_http_req_set_auth_header(sgp_http_req *r, const char *name, const char *value);

/* ---- running ---- */

/* Queue a request; it starts as soon as the limits allow.  The client
 * holds it until it finished. */
void sgp_http_submit(sgp_http *c, sgp_http_req *r);
/* Block until r finished; returns its result. */
enum sgp_http_result sgp_http_wait(sgp_http *c, sgp_http_req *r);
/* Block until some submitted request finished and return it (in the
 * order they finished); NULL when none is outstanding. */
sgp_http_req *sgp_http_next(sgp_http *c);
/* Submit and wait. */
enum sgp_http_result sgp_http_perform(sgp_http *c, sgp_http_req *r);
/* Make progress without blocking (start queued requests, move bytes). */
void sgp_http_pump(sgp_http *c);

/* ---- results (valid once finished) ---- */

enum sgp_http_result sgp_http_req_result(const sgp_http_req *r);
/* HTTP status of the last attempt; 0 if no response was received. */
long sgp_http_req_status(const sgp_http_req *r);
/* Response body (NUL-terminated; owned by the request). */
const char *sgp_http_req_response(const sgp_http_req *r, size_t *len);
/* Move the response body's storage out of r into *b (which must be
 * empty or released), e.g. to give it to the next request with
 * sgp_http_req_recycle(): pages of a megabyte then cost no fresh memory. */
void sgp_http_req_take_body(sgp_http_req *r, sgp_buf *b);
/* Let r receive its response into b's storage (taken; b is left empty).
 * Call before sgp_http_submit(). */
void sgp_http_req_recycle(sgp_http_req *r, sgp_buf *b);
/* Last value of a response header (case-insensitive), or NULL. */
const char *sgp_http_req_response_header(const sgp_http_req *r, const char *name);
/* Attempts made. */
int sgp_http_req_attempts(const sgp_http_req *r);
/* Why the request failed, for a message ("connection refused",
 * "HTTP 503 after 6 attempts"); "" when it succeeded. */
const char *sgp_http_req_error(const sgp_http_req *r);

/* ---- helpers ---- */

/* Percent-encode s for a query component (RFC 3986 unreserved kept). */
void sgp_url_encode(sgp_buf *out, const char *s);
/* Resolve ref (absolute URL, "/absolute/path?q", or "relative") against
 * base; caller frees. */
char *sgp_url_resolve(const char *base, const char *ref);
/* A link a vendor gave relative to an API's base URL: an absolute URL
 * as it is; "/path" appended to base (Salesforce's nextRecordsUrl and
 * token URL are relative to the instance URL), unless it already starts
 * with base's own path; anything else resolved as sgp_url_resolve does.
 * Caller frees. */
char *sgp_url_join_base(const char *base, const char *ref);
/* Append "name=value" (both encoded) to url with '?' or '&'. */
void sgp_url_add_query(sgp_buf *url, const char *name, const char *value);
/* The target of rel="next" in an RFC 8288 Link header; caller frees;
 * NULL if none. */
char *sgp_link_next(const char *link_header);
/* Seconds to wait from a Retry-After value (delta seconds or HTTP-date,
 * relative to now = epoch seconds); -1 if unparsable. */
long sgp_retry_after_seconds(const char *value, long long now);

#endif
