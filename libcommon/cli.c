/* cli.c: see cli.h. */
#include "cli.h"
#include "log.h"
#include "util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int sgp_cli_common(struct sgp_cli *cli, int opt, const char *arg)
{
	long long n;
	int f;

	switch (opt) {
	case SGP_OPT_REJECTS:
		cli->rejects_path = arg;
		return 1;
	case SGP_OPT_STATS:
		cli->stats_path = arg;
		return 1;
	case SGP_OPT_LOG_FORMAT:
		f = sgp_log_parse_format(arg);
		if (f < 0)
			sgp_cli_usage_error("invalid log format '%s' (text or json)", arg);
		sgp_log_set_format((enum sgp_log_format)f);
		return 1;
	case 'j':
		if (sgp_parse_ll(arg, 1, 256, &n) < 0)
			sgp_cli_usage_error("invalid job count '%s' (1 to 256)", arg);
		cli->jobs = (int)n;
		return 1;
	case 'v':
		sgp_log_set_level(SGP_LOG_DEBUG);
		return 1;
	case 'q':
		sgp_log_set_level(SGP_LOG_WARN);
		return 1;
	case SGP_OPT_VERSION:
		printf("%s %s\n", sgp_progname, SGP_VERSION);
		exit(0);
	}
	return 0;
}

void sgp_cli_usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sgp_vwarn(fmt, ap);
	va_end(ap);
	fprintf(stderr, "Try '%s --help' for more information.\n", sgp_progname);
	exit(SGP_EXIT_USAGE);
}

sgp_writer *sgp_cli_open_rejects(const struct sgp_cli *cli)
{
	sgp_writer *w;

	if (cli->rejects_path == NULL)
		return sgp_writer_stderr();
	w = sgp_writer_open(cli->rejects_path);
	if (w == NULL)
		sgp_die(SGP_EXIT_SYSTEM, "cannot create '%s': %s", cli->rejects_path, strerror(errno));
	return w;
}

void sgp_cli_write_stats(const struct sgp_cli *cli, const json_t *counters)
{
	char *s;

	if (cli->stats_path == NULL)
		return;
	s = json_dumps(counters, JSON_COMPACT);
	if (s == NULL)
		sgp_die(SGP_EXIT_SYSTEM, "cannot serialise statistics");
	size_t n = strlen(s);
	s = xrealloc(s, n + 2);
	s[n] = '\n';
	s[n + 1] = '\0';
	if (sgp_write_file_atomic(cli->stats_path, s, n + 1) < 0) {
		int e = errno;
		free(s);
		sgp_die(SGP_EXIT_SYSTEM, "cannot write '%s': %s", cli->stats_path, strerror(e));
	}
	free(s);
}
