/*
 * sgp-reconcile: prove that two systems agree.  Matches the records of
 * LEFT and RIGHT (NDJSON or CSV) on a key, compares their fields with
 * per-field tolerances and writes every difference as a discrepancy
 * event.  The engine is libcommon/reconcile.c.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "lineio.h"
#include "reconcile.h"
#include "util.h"

static const char usage_text[] =
	"usage: sgp-reconcile -k KEY [-k KEY]... [-m SPEC]... [-n SPEC]... [-s SPEC]...\n"
	"                     [-t SPEC]... [-a SIDE] [--left-format FMT] [--right-format FMT]\n"
	"                     [-f FORMAT] [--name NAME] [--as-of TIME] [--summary FILE]\n"
	"                     [--memory SIZE] [--tmpdir DIR] [--rejects FILE] [--stats FILE]\n"
	"                     [-j N] [--log-format FORMAT] [-q | -v] LEFT RIGHT\n"
	"       sgp-reconcile -h | --version\n";

static void help(void)
{
	fputs(usage_text, stdout);
	fputs("\n"
	      "Match the records of LEFT and RIGHT (NDJSON or CSV) on a key, compare their\n"
	      "fields and write every difference as a discrepancy event on standard output.\n"
	      "Names are JSON Pointers for NDJSON (/data/invoice_id) and column names for\n"
	      "CSV; NAME=RNAME when the right side names it differently.\n"
	      "\n"
	      "  -k, --key NAME[=RNAME][,number][,fold][,trim]   key component (repeat for\n"
	      "                                composite keys)\n"
	      "  -m, --money NAME[=RNAME][,currency=PATH[=RPATH]][,abs=DEC][,rel=DEC|PCT%]\n"
	      "  -n, --number NAME[=RNAME][,abs=DEC][,rel=DEC|PCT%]   (#count: lines per key)\n"
	      "  -s, --string NAME[=RNAME][,fold][,trim]\n"
	      "  -t, --time NAME[=RNAME][,drift=DURATION]       (90, 500ms, 30s, 5m, 2h, 1d)\n"
	      "  -a, --aggregate left|right|both   sum money and numbers over records that\n"
	      "                                share a key on that side\n"
	      "      --left-format, --right-format ndjson|csv   (default: by extension)\n"
	      "  -f, --format ndjson|csv       discrepancies as sgp.event/1 lines or CSV rows\n"
	      "      --name NAME               the run's name: source.id of the discrepancies,\n"
	      "                                part of their idempotency keys (default reconcile)\n"
	      "      --as-of TIME              occurred_at of every discrepancy\n"
	      "      --summary FILE            write the summary as JSON to FILE, not stderr\n"
	      "      --memory SIZE             bound the in-memory tables (64M, 1G); inputs that\n"
	      "                                do not fit are partitioned to temporary files\n"
	      "      --tmpdir DIR              where those go (default $TMPDIR or /tmp)\n"
	      "      --rejects FILE            unreadable lines as sgp.reject/1 (default stderr)\n"
	      "      --stats FILE              counters as JSON\n"
	      "  -j, --jobs N                  threads reading the inputs (default: cores)\n"
	      "      --log-format text|json    log messages as text or JSON lines\n"
	      "  -q, --quiet                   no summary on stderr\n"
	      "  -v, --verbose                 more log output\n"
	      "  -h, --help                    this help\n"
	      "      --version                 print the version\n"
	      "\n"
	      "Exit status: 0 everything matches, 1 discrepancies or rejects, 2 usage,\n"
	      "3 I/O error.  See sgp-reconcile(1).\n", stdout);
}

enum {
	OPT_LEFT_FORMAT = SGP_OPT_TOOL_BASE,
	OPT_RIGHT_FORMAT,
	OPT_NAME,
	OPT_AS_OF,
	OPT_SUMMARY,
	OPT_MEMORY,
	OPT_TMPDIR,
};

static const struct option longopts[] = {
	{ "key", required_argument, NULL, 'k' },
	{ "money", required_argument, NULL, 'm' },
	{ "number", required_argument, NULL, 'n' },
	{ "string", required_argument, NULL, 's' },
	{ "time", required_argument, NULL, 't' },
	{ "aggregate", required_argument, NULL, 'a' },
	{ "format", required_argument, NULL, 'f' },
	{ "left-format", required_argument, NULL, OPT_LEFT_FORMAT },
	{ "right-format", required_argument, NULL, OPT_RIGHT_FORMAT },
	{ "name", required_argument, NULL, OPT_NAME },
	{ "as-of", required_argument, NULL, OPT_AS_OF },
	{ "summary", required_argument, NULL, OPT_SUMMARY },
	{ "memory", required_argument, NULL, OPT_MEMORY },
	{ "tmpdir", required_argument, NULL, OPT_TMPDIR },
	{ "help", no_argument, NULL, 'h' },
	SGP_CLI_LONGOPTS,
	{ NULL, 0, NULL, 0 },
};

int main(int argc, char **argv)
{
	struct rec_config conf;
	struct rec_result res;
	struct sgp_cli cli = { NULL, NULL, 0 };
	const char *summary_path = NULL;
	sgp_writer *rej = NULL;
	char err[512];
	int opt, quiet = 0, status;
	json_t *j;

	sgp_init(argv[0]);
	rec_config_init(&conf);
	memset(&res, 0, sizeof res);
	while ((opt = getopt_long(argc, argv, "k:m:n:s:t:a:f:j:qvh", longopts, NULL)) != -1) {
		enum rec_format fmt;
		unsigned long long size;
		const char *why;

		err[0] = '\0';
		switch (opt) {
		case 'k':
			if (rec_config_add_key(&conf, optarg, err, sizeof err) < 0)
				sgp_cli_usage_error("--key: %s", err);
			break;
		case 'm':
		case 'n':
		case 's':
		case 't': {
			enum rec_ftype type = opt == 'm' ? REC_MONEY : opt == 'n' ? REC_NUMBER
					    : opt == 's' ? REC_STRING : REC_TIME;
			if (rec_config_add_field(&conf, type, optarg, err, sizeof err) < 0)
				sgp_cli_usage_error("%s", err);
			break;
		}
		case 'a':
			if (rec_config_set_aggregate(&conf, optarg, err, sizeof err) < 0)
				sgp_cli_usage_error("--aggregate: %s", err);
			break;
		case 'f':
			if (strcmp(optarg, "ndjson") == 0)
				conf.out_format = REC_OUT_NDJSON;
			else if (strcmp(optarg, "csv") == 0)
				conf.out_format = REC_OUT_CSV;
			else
				sgp_cli_usage_error("invalid output format '%s' (ndjson or csv)", optarg);
			break;
		case OPT_LEFT_FORMAT:
		case OPT_RIGHT_FORMAT:
			if (rec_parse_format(optarg, &fmt) < 0)
				sgp_cli_usage_error("invalid input format '%s' (ndjson or csv)", optarg);
			conf.format[opt == OPT_LEFT_FORMAT ? REC_LEFT : REC_RIGHT] = fmt;
			break;
		case OPT_NAME:
			if (rec_config_set_name(&conf, optarg, err, sizeof err) < 0)
				sgp_cli_usage_error("--name: %s", err);
			break;
		case OPT_AS_OF:
			if (sgp_time_parse(optarg, &conf.as_of, &why) < 0)
				sgp_cli_usage_error("invalid time '%s' for --as-of: %s", optarg, why);
			conf.has_as_of = 1;
			break;
		case OPT_SUMMARY:
			summary_path = optarg;
			break;
		case OPT_MEMORY:
			if (sgp_parse_size(optarg, &size) < 0 || size < 1024)
				sgp_cli_usage_error("invalid memory size '%s' (like 64M or 1G, at least 1k)",
						    optarg);
			conf.memory = size;
			break;
		case OPT_TMPDIR:
			free(conf.tmpdir);
			conf.tmpdir = xstrdup(optarg);
			break;
		case 'h':
			help();
			rec_config_release(&conf);
			return SGP_EXIT_OK;
		case 'q':
			quiet = 1;
			sgp_cli_common(&cli, opt, optarg);
			break;
		default:
			if (!sgp_cli_common(&cli, opt, optarg))
				sgp_cli_usage_error("unknown option");
			break;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 2)
		sgp_cli_usage_error(argc < 2 ? "two inputs needed: LEFT RIGHT" : "too many operands");
	if (conf.nkeys == 0)
		sgp_cli_usage_error("no key: give at least one --key");
	if (strcmp(argv[0], "-") == 0 && strcmp(argv[1], "-") == 0)
		sgp_cli_usage_error("only one side can be standard input");
	if (conf.tmpdir) {
		struct stat st;

		if (stat(conf.tmpdir, &st) < 0 || !S_ISDIR(st.st_mode) ||
		    access(conf.tmpdir, W_OK | X_OK) < 0)
			sgp_cli_usage_error("--tmpdir: '%s' is not a writable directory", conf.tmpdir);
	}
	conf.jobs = cli.jobs;

	rej = sgp_cli_open_rejects(&cli);
	status = rec_run(&conf, argv[0], argv[1], sgp_writer_stdout(), rej, &res, err, sizeof err);
	if (status == SGP_EXIT_USAGE || status == SGP_EXIT_SYSTEM) {
		sgp_warn("%s", err);
		goto out;
	}
	if (summary_path) {
		char *s;

		j = rec_summary_json(&conf, &res);
		s = json_dumps(j, JSON_INDENT(1));
		json_decref(j);
		if (s) {
			size_t n = strlen(s);
			s = xrealloc(s, n + 2);
			memcpy(s + n, "\n", 2);
		}
		if (s == NULL || sgp_write_file_atomic(summary_path, s, strlen(s)) < 0) {
			sgp_warn("cannot write '%s': %s", summary_path, strerror(errno));
			status = SGP_EXIT_SYSTEM;
		}
		free(s);
	} else if (!quiet) {
		sgp_buf b = SGP_BUF_INIT;

		rec_summary_text(&conf, &res, &b);
		sgp_writer_flush(sgp_writer_stdout());
		fputs(b.data, stderr);
		sgp_buf_release(&b);
	}
	j = rec_counts_json(&res.counts);
	sgp_cli_write_stats(&cli, j);
	json_decref(j);
out:
	sgp_writer_flush(sgp_writer_stdout());
	if (rej != sgp_writer_stderr())
		sgp_writer_close(rej);
	else
		sgp_writer_flush(rej);
	rec_result_release(&res);
	rec_config_release(&conf);
	return status;
}
