/*
 * sgp-map: turn vendor records into canonical events, and canonical
 * events into vendor request bodies, with declarative mapping specs
 * (sgp-mapping(5)).  The engine is libcommon/mapping.h; this file reads
 * options, loads the specs, and runs the ordered pipeline.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "lineio.h"
#include "log.h"
#include "mapping.h"
#include "pipeline.h"
#include "util.h"

static const char usage_text[] =
	"usage: sgp-map -m MAPPING [-m MAPPING ...] [-t TYPE] [--strict]\n"
	"               [-D NAME=VALUE ...] [--rejects FILE] [--stats FILE] [-j N]\n"
	"               [--log-format FORMAT] [-v | -q] [FILE ...]\n"
	"       sgp-map -h | --version\n";

static void usage(void)
{
	fputs(usage_text, stdout);
	fputs("\n"
	      "Map each input line with every mapping spec that matches it.\n"
	      "\n"
	      "  -m, --mapping MAPPING  a mapping spec file, or the name of one installed in\n"
	      "                         $SGP_DATADIR/mappings; repeatable, applied in order\n"
	      "  -t, --type TYPE        the type of plain records (objects without \"spec\")\n"
	      "      --strict           reject lines no mapping matches (default: pass them)\n"
	      "  -D, --param NAME=VALUE override the spec parameter NAME (e.g. a threshold)\n"
	      "      --rejects FILE     write sgp.reject/1 lines to FILE (default: stderr)\n"
	      "      --stats FILE       write the counters as JSON to FILE at exit\n"
	      "  -j, --jobs N           worker threads (default: one per core)\n"
	      "      --log-format FORMAT  text or json log lines on stderr\n"
	      "  -v, --verbose          more log output; -q, --quiet: less\n"
	      "      --version          print the version and exit\n"
	      "  -h, --help             print this help and exit\n"
	      "\n"
	      "Exit status: 0 all mapped or passed, 1 some lines rejected, 2 usage or\n"
	      "configuration error (nothing read), 3 system error.  See sgp-map(1).\n",
	      stdout);
}

enum { OPT_STRICT = SGP_OPT_TOOL_BASE };

struct run {
	const sgp_mapset *set;
	struct sgp_map_run_opts opts;
};

/* Per worker thread: its own mapping context; the run is shared. */
struct worker {
	const struct run *run;
	sgp_map_ctx *ctx;
};

static void *worker_new(void *arg)
{
	struct worker *w = xmalloc(sizeof *w);

	w->run = arg;
	w->ctx = sgp_map_ctx_new();
	return w;
}

static void worker_free(void *p)
{
	struct worker *w = p;

	sgp_map_ctx_free(w->ctx);
	free(w);
}

static void map_line(void *p, const char *line, size_t len, unsigned long long lineno,
		     sgp_pipe_out *o)
{
	struct worker *w = p;

	sgp_mapset_line(w->run->set, w->ctx, &w->run->opts, line, len, lineno, o->file,
			&o->out, &o->rejects, o->counters);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "mapping", required_argument, NULL, 'm' },
		{ "type", required_argument, NULL, 't' },
		{ "strict", no_argument, NULL, OPT_STRICT },
		{ "param", required_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		SGP_CLI_LONGOPTS,
		{ NULL, 0, NULL, 0 }
	};
	struct sgp_cli cli = { NULL, NULL, 0 };
	struct sgp_pipe_conf pc;
	struct sgp_mapping_opts mo = { NULL, 0, 0 };
	struct run run;
	const char **maps = NULL, **params = NULL;
	size_t nmaps = 0, nparams = 0, i;
	uint64_t totals[SGP_PIPE_NCOUNTERS] = { 0 };
	sgp_reader **readers = NULL;
	sgp_writer *rej = NULL;
	sgp_mapset *set = NULL;
	json_t *stats;
	int ninputs, c, status = SGP_EXIT_OK;

	sgp_init(argv[0]);
	sgp_map_arena_install();   /* before any JSON value exists */
	memset(&run, 0, sizeof run);
	while ((c = getopt_long(argc, argv, "m:t:D:j:vqh", longopts, NULL)) != -1) {
		if (sgp_cli_common(&cli, c, optarg))
			continue;
		switch (c) {
		case 'm':
			maps = xreallocarray(maps, nmaps + 1, sizeof *maps);
			maps[nmaps++] = optarg;
			break;
		case 't':
			if (*optarg == '\0' || strchr(optarg, '.') == NULL)
				sgp_cli_usage_error("invalid type '%s' (system.object, e.g. stripe.invoice)",
						    optarg);
			run.opts.plain_type = optarg;
			break;
		case OPT_STRICT:
			run.opts.strict = 1;
			break;
		case 'D':
			if (strchr(optarg, '=') == NULL || *optarg == '=')
				sgp_cli_usage_error("invalid parameter '%s' (NAME=VALUE)", optarg);
			params = xreallocarray(params, nparams + 1, sizeof *params);
			params[nparams++] = optarg;
			break;
		case 'h':
			usage();
			free(maps);
			free(params);
			return SGP_EXIT_OK;
		default:
			sgp_cli_usage_error("unknown option");
		}
	}
	argc -= optind;
	argv += optind;
	if (nmaps == 0)
		sgp_cli_usage_error("no mapping given (-m MAPPING)");

	/* Everything that can fail as configuration fails now, before any
	 * input is read: the specs, their lookup tables, the input files. */
	mo.params = params;
	mo.nparams = nparams;
	mo.skip_unknown = 1;
	set = sgp_mapset_new();
	for (i = 0; i < nmaps; i++) {
		char *path = sgp_mapping_find(maps[i]), *err = NULL;
		sgp_mapping *m = sgp_mapping_load_opts(path, &mo, &err);

		free(path);
		if (m == NULL) {
			sgp_warn("%s", err);
			free(err);
			status = SGP_EXIT_USAGE;
			goto out;
		}
		sgp_mapset_add(set, m);
	}
	/* Several specs share the overrides: each must name a parameter of
	 * at least one of them. */
	for (i = 0; i < nparams; i++) {
		size_t k, found = 0;
		char *name = xstrndup(params[i], strcspn(params[i], "="));

		for (k = 0; k < nmaps; k++)
			found += sgp_mapping_has_param(sgp_mapset_get(set, k), name);
		if (!found) {
			sgp_warn("no mapping has a parameter '%s' (-D %s)", name, params[i]);
			free(name);
			status = SGP_EXIT_USAGE;
			goto out;
		}
		free(name);
	}
	ninputs = argc > 0 ? argc : 1;
	readers = xcalloc((size_t)ninputs, sizeof *readers);
	for (c = 0; c < ninputs; c++) {
		const char *name = argc > 0 ? argv[c] : "-";

		readers[c] = sgp_reader_open(name);
		if (readers[c] == NULL) {
			sgp_warn("cannot open '%s': %s", name, strerror(errno));
			status = SGP_EXIT_USAGE;
			goto out;
		}
	}

	run.set = set;
	memset(&pc, 0, sizeof pc);
	pc.arg = &run;
	pc.jobs = cli.jobs;
	pc.fn = map_line;
	pc.worker_new = worker_new;
	pc.worker_free = worker_free;
	rej = sgp_cli_open_rejects(&cli);
	for (c = 0; c < ninputs; c++) {
		if (sgp_pipe_run(&pc, readers[c], sgp_writer_stdout(), rej, totals) < 0) {
			sgp_warn("cannot read '%s': %s", sgp_reader_name(readers[c]), strerror(errno));
			status = SGP_EXIT_SYSTEM;
			break;
		}
	}
	sgp_writer_flush(sgp_writer_stdout());
	sgp_writer_flush(rej);

	stats = json_pack("{sI sI sI sI sI sI}",
			  "in", (json_int_t)totals[SGP_MAPC_IN],
			  "mapped", (json_int_t)totals[SGP_MAPC_MAPPED],
			  "passed", (json_int_t)totals[SGP_MAPC_PASSED],
			  "rejected", (json_int_t)totals[SGP_MAPC_REJECTED],
			  "emitted", (json_int_t)totals[SGP_MAPC_EMITTED],
			  "state", (json_int_t)totals[SGP_MAPC_STATE]);
	sgp_cli_write_stats(&cli, stats);
	json_decref(stats);
	sgp_log(SGP_LOG_DEBUG, "%llu in, %llu mapped, %llu passed, %llu rejected, %llu events emitted",
		(unsigned long long)totals[SGP_MAPC_IN], (unsigned long long)totals[SGP_MAPC_MAPPED],
		(unsigned long long)totals[SGP_MAPC_PASSED],
		(unsigned long long)totals[SGP_MAPC_REJECTED],
		(unsigned long long)totals[SGP_MAPC_EMITTED]);
	if (status == SGP_EXIT_OK && totals[SGP_MAPC_REJECTED] > 0)
		status = SGP_EXIT_REJECTS;
out:
	if (rej && rej != sgp_writer_stderr())
		sgp_writer_close(rej);
	for (c = 0; readers && c < (argc > 0 ? argc : 1); c++)
		sgp_reader_close(readers[c]);
	free(readers);
	sgp_mapset_free(set);
	free(maps);
	free(params);
	return status;
}
