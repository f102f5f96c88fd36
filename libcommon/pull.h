/*
 * pull.h: the pull engine of sgp-pull: one stream of a connector profile,
 * page by page, into sgp.event/1 lines with sgp.state/1 checkpoints.
 *
 * Nothing is lost and nothing is doubled:
 *
 *   - a page is taken only when it is a complete JSON document with the
 *     records where the profile says (a truncated 200 is retried like a
 *     5xx); a page that cannot be had after the retries stops the pull
 *     with exit 3, after the checkpoint of the last complete page;
 *   - the next page is asked for with what the vendor gave (cursor, next
 *     URL, Link header, offset or page number), never guessed ahead;
 *   - after every page, once its records are written, a sgp.state/1 line
 *     says where to resume; with save_state it is also written to the
 *     state file atomically after the output is flushed (and fsynced when
 *     it is a file);
 *   - incremental streams ask for records changed at or after "since"
 *     (minus a lookback window), and skip the records already emitted at
 *     the boundary: the state keeps their idempotency keys ("seen") with
 *     their times, for as long as the window covers them.
 *
 * The cursor of a state line (opaque to every other tool):
 *
 *   {"since": RFC 3339}          incremental: the next pull asks from here
 *   {"page": {...}}              mid-stream: resume at this page
 *                                ({"cursor"}, {"url"}, {"offset"}, {"page"})
 *   {"max": RFC 3339}            mid-stream: latest time seen so far
 *   {"seen": {key: RFC 3339}}    keys not to emit again
 *   {"cursor": "..."}            streams that resume from the vendor's own
 *                                cursor (Zendesk's incremental export)
 *
 * Streams served in ascending order of their incremental field checkpoint
 * by time alone, so a rerun asks afresh from the last time seen; other
 * streams checkpoint the page and turn "max" into "since" at the end.
 * A stream without "incremental" ends with an empty cursor: the next run
 * pulls it whole again (the idempotency keys are the same, so targets
 * dedupe).  A saved page the vendor refuses on resume (a 4xx other than
 * 401, 403, 429) starts the stream again from its since, with a warning.
 */
#ifndef SGP_PULL_H
#define SGP_PULL_H

#include <jansson.h>

#include "auth.h"
#include "lineio.h"
#include "profile.h"

struct sgp_pull_opts {
	const sgp_profile *profile;
	const struct sgp_stream *stream;
	sgp_auth *auth;               /* credentials (borrowed), NULL = none */
	const char *since;            /* --since: overrides the state; NULL = none */
	long lookback_s;              /* -1 = the stream's */
	long page_size;               /* 0 = the stream's */
	unsigned long long limit;     /* stop after this many events; 0 = none */
	const json_t *state;          /* the cursor read from --state FILE, or NULL */
	const char *save_state;       /* write each checkpoint to this file, or NULL */
	int progress;                 /* progress on standard error */
	/* Overrides of the profile's HTTP settings; 0 = the profile's. */
	int max_attempts;
	long backoff_ms;
	long timeout_ms;
	int insecure;
};

struct sgp_pull_stats {
	unsigned long long pages;      /* pages taken */
	unsigned long long received;   /* records seen on those pages */
	unsigned long long emitted;    /* events written */
	unsigned long long skipped;    /* already emitted at the boundary */
	unsigned long long rejected;   /* records without id, unreadable time */
	unsigned long long states;     /* checkpoints written */
	unsigned long long requests, retries, rate_limited;
};

/*
 * Pull the stream.  Events and states go to out, rejects to rejects
 * (received = emitted + skipped + rejected, plus the records of a last
 * page beyond --limit, which are not counted).  Returns SGP_EXIT_OK,
 * SGP_EXIT_REJECTS, or SGP_EXIT_SYSTEM with *err (caller frees) when the
 * vendor refused the credentials, a page could not be had, or the state
 * file could not be written.
 */
int sgp_pull_run(const struct sgp_pull_opts *o, sgp_writer *out, sgp_writer *rejects,
		 struct sgp_pull_stats *st, char **err);

/*
 * State files: one sgp.state/1 line per (profile, stream).
 *
 * sgp_state_file_read returns the cursor of the line for (profile,
 * stream) (new reference), or NULL with *err NULL when the file or the
 * line does not exist, or NULL with *err set (caller frees) when the
 * file cannot be read or holds a line that is not a state.
 *
 * sgp_state_file_write replaces (or adds) the line of state's (profile,
 * stream) and rewrites the file atomically (write, fsync, rename).
 * Returns 0, or -1 with *err.
 */
json_t *sgp_state_file_read(const char *path, const char *profile, const char *stream,
			    char **err);
int sgp_state_file_write(const char *path, const json_t *state, char **err);

#endif
