/*
 * profile.h: connector profiles, the JSON description of one vendor API
 * (schemas/profile.schema.json, sgp-profile(5)).
 *
 * A profile names the vendor's base URL (overridden by the environment
 * variable SGP_<NAME>_BASE_URL, e.g. SGP_STRIPE_BASE_URL, so one profile
 * serves production and the sandbox), its auth (auth.h), rate limits,
 * retry and timeout settings, the streams that can be pulled and the
 * routes events are pushed through.
 *
 * "-p NAME" finds NAME.json in each directory of SGP_PROFILE_PATH
 * (colon-separated), then in $SGP_DATADIR/profiles, then in
 * $SGP_DATADIR/contrib/profiles (a source tree); a NAME holding a '/'
 * or ending in ".json" is a file name.
 *
 * Loading checks the document against schemas/profile.schema.json (when
 * the schema can be found under $SGP_DATADIR/schemas) and then checks,
 * member by member, everything this module reads, so a bad profile is
 * one clear message and exit 2 before any request.
 */
#ifndef SGP_PROFILE_H
#define SGP_PROFILE_H

#include <jansson.h>
#include <stddef.h>

#include "http.h"

/* How a stream's pages follow one another. */
enum sgp_page_style {
	SGP_PAGE_SINGLE,   /* one request, no pagination */
	SGP_PAGE_CURSOR,   /* a cursor from the body (or the last record) sent back as a parameter */
	SGP_PAGE_NEXT_URL, /* the next page's URL in the body */
	SGP_PAGE_LINK,     /* RFC 8288 Link header, rel="next" */
	SGP_PAGE_OFFSET,   /* offset/limit parameters */
	SGP_PAGE_NUMBER,   /* page number parameter */
};

/* Order of records by the incremental field, as the vendor serves them. */
enum sgp_order {
	SGP_ORDER_NONE,
	SGP_ORDER_ASC,
	SGP_ORDER_DESC,
};

/* How a "since" time is written into a request. */
enum sgp_time_style {
	SGP_TS_EPOCH,       /* 1793534400 */
	SGP_TS_EPOCH_MS,    /* 1793534400000 */
	SGP_TS_RFC3339,     /* 2026-11-01T12:00:00Z */
	SGP_TS_RFC3339_MS,  /* 2026-11-01T12:00:00.000Z */
	SGP_TS_DATE,        /* 2026-11-01 */
	SGP_TS_DATETIME,    /* 2026-11-01 12:00:00 (UTC, no zone: ServiceNow) */
};

struct sgp_kv_list {
	char **name, **value;
	size_t n;
};

struct sgp_stream {
	char *name;               /* "invoices" */
	char *object;             /* "invoice": events are "<system>.<object>" */
	char *method;             /* "GET" (or "POST" with body) */
	char *path;               /* "/v1/invoices", relative to the base URL */
	struct sgp_kv_list params;   /* query parameters of every first request */
	char *body;               /* request body template for POST streams, or NULL */
	char *records;            /* pointer to the array of records ("" = the body) */
	char **id, **revision, **occurred_at;  /* pointer lists (see ingest.h) */
	size_t nid, nrevision, noccurred_at;
	int naive_utc;            /* times without a zone are UTC */

	enum sgp_page_style style;
	char *page_param;         /* cursor, offset or page-number parameter */
	char *cursor;             /* cursor style: pointer to the cursor */
	int cursor_in_record;     /* ... in the last record rather than the body */
	char *next;               /* next_url style: pointer to the next URL */
	char *has_more;           /* continue only while this is true */
	char *done;               /* stop when this is true */
	char *total;              /* offset/page styles: pointer to the total count */
	char *size_param;         /* page-size parameter, or NULL */
	long page_size;           /* default page size (0 = the vendor's) */
	long max_page_size;       /* largest accepted by the vendor (0 = no limit) */
	long first_page;          /* page-number style: number of the first page */

	int incremental;          /* has an "incremental" member */
	char **inc_field;         /* pointers to the time records are pulled by */
	size_t ninc_field;
	struct sgp_kv_list inc_params;  /* parameters carrying {since} */
	char *inc_body;           /* body template used when a since is known, or NULL */
	enum sgp_time_style since_style;
	enum sgp_order order;
	long lookback_s;          /* default lookback window */
	int inc_exclusive;        /* the vendor's filter is "after", not "at or after":
	                           * ask from one second (one day for dates) earlier */
	char *initial;            /* "since" of a first pull, or NULL = none */
	int resume_cursor;        /* keep the last cursor and continue from it */
};

typedef struct sgp_profile {
	char *name;               /* "stripe" */
	char *system;             /* "stripe": source.system of events */
	char *path;               /* the file loaded */
	char *base_url;           /* after the environment override */
	int base_url_from_env;
	json_t *doc;              /* the whole document (owned) */
	const json_t *auth;       /* its "auth" member (borrowed from doc) */
	const json_t *routes;     /* its "routes" member, for sgp-push (borrowed) */
	struct sgp_kv_list headers;  /* sent with every request */
	char *idempotency_header; /* e.g. "Idempotency-Key", or NULL */
	struct sgp_http_config http; /* rate limits, retries, timeouts; strings owned */
	struct sgp_http_slowdown *slowdown;  /* rate_limit.slowdown, owned */
	struct sgp_stream *streams;
	size_t nstreams;
} sgp_profile;

/* Where "-p name" resolves to; NULL with *err when no file is found.
 * Caller frees. */
char *sgp_profile_find(const char *name, char **err);

/* Load, check and resolve a profile.  NULL with *err (caller frees) on
 * any problem, naming the file and the member. */
sgp_profile *sgp_profile_load(const char *name, char **err);
/* Parse an already read document (stolen); path is for messages. */
sgp_profile *sgp_profile_from_json(json_t *doc, const char *path, char **err);
void sgp_profile_free(sgp_profile *p);

const struct sgp_stream *sgp_profile_stream(const sgp_profile *p, const char *name);

/* "SGP_<NAME>_BASE_URL" for a profile name (uppercased, other
 * characters as '_').  Caller frees. */
char *sgp_profile_env_name(const char *name);

/* Parse a since-style name ("epoch", "rfc3339", ...); -1 if unknown. */
int sgp_time_style_parse(const char *s);

#endif
