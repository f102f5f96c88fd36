/*
 * cli.h: pieces every sgp command line shares: the common options
 * (--rejects, --stats, --log-format, -j, -v/-q), --version, and writing the
 * --stats counters file.
 */
#ifndef SGP_CLI_H
#define SGP_CLI_H

#include <jansson.h>

#include "lineio.h"

/* Values of the common options.  sgp_cli_common() fills them. */
struct sgp_cli {
	const char *rejects_path;   /* --rejects FILE; NULL = standard error */
	const char *stats_path;     /* --stats FILE; NULL = none */
	int jobs;                   /* -j N; 0 = number of cores */
};

/* Option codes for the long-only common options, to put in a tool's
 * struct option table with SGP_CLI_LONGOPTS. */
enum {
	SGP_OPT_REJECTS = 0x1000,
	SGP_OPT_STATS,
	SGP_OPT_LOG_FORMAT,
	SGP_OPT_VERSION,
	SGP_OPT_TOOL_BASE = 0x1100,  /* tools number their own long options from here */
};

#define SGP_CLI_LONGOPTS \
	{ "rejects", required_argument, NULL, SGP_OPT_REJECTS }, \
	{ "stats", required_argument, NULL, SGP_OPT_STATS }, \
	{ "log-format", required_argument, NULL, SGP_OPT_LOG_FORMAT }, \
	{ "jobs", required_argument, NULL, 'j' }, \
	{ "verbose", no_argument, NULL, 'v' }, \
	{ "quiet", no_argument, NULL, 'q' }, \
	{ "version", no_argument, NULL, SGP_OPT_VERSION }

/*
 * Handle one of the common options (opt as returned by getopt_long, arg =
 * optarg).  Returns 1 if handled, 0 if opt is not a common option; exits 2
 * with a message on a bad value, 0 after printing --version.
 */
int sgp_cli_common(struct sgp_cli *cli, int opt, const char *arg);

/* Print "prog: usage line..." hint and exit 2: "Try 'prog --help'". */
_Noreturn void sgp_cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Open the reject stream: --rejects FILE (created/truncated) or standard
 * error.  Exits 3 if the file cannot be created. */
sgp_writer *sgp_cli_open_rejects(const struct sgp_cli *cli);

/* Write counters (a JSON object, borrowed) to --stats FILE atomically, if
 * one was given.  Exits 3 on failure. */
void sgp_cli_write_stats(const struct sgp_cli *cli, const json_t *counters);

#endif
