/*
 * sgp-validate: the canonical gate.  Validates every line against the
 * JSON Schema of its event type (or one --schema), passes valid lines
 * through byte for byte and rejects the others with every error; checks
 * schema files (--check-schema), compares two versions of a schema for
 * breaking changes (--compat) and lints mapping specs (--mapping).
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "compat.h"
#include "lineio.h"
#include "log.h"
#include "maplint.h"
#include "pipeline.h"
#include "util.h"
#include "validate.h"

static const char usage_text[] =
	"usage: sgp-validate [-c] [-j N] [-s DIR]... [--map-uri PREFIX=DIR]...\n"
	"                    [--schema FILE] [--allow-unknown] [--format-assert]\n"
	"                    [--default-dialect DIALECT] [--rejects FILE] [--stats FILE]\n"
	"                    [--log-format FORMAT] [FILE...]\n"
	"       sgp-validate --check-schema [-s DIR]... [--map-uri PREFIX=DIR]...\n"
	"                    [--default-dialect DIALECT] FILE...\n"
	"       sgp-validate --compat [-c] [-s DIR]... [--map-uri PREFIX=DIR]... OLD NEW\n"
	"       sgp-validate --mapping [-s DIR]... [--map-uri PREFIX=DIR]...\n"
	"                    [--format-assert] [--default-dialect DIALECT] FILE...\n"
	"       sgp-validate -h | --version\n";

static const char help_text[] =
	"\n"
	"Validate newline-delimited JSON events against their JSON Schemas.  Valid\n"
	"lines pass to standard output byte for byte; invalid ones go to the reject\n"
	"stream as sgp.reject/1 lines listing every error.\n"
	"\n"
	"  -s, --schema-dir DIR       also load the schemas under DIR (repeatable)\n"
	"      --map-uri PREFIX=DIR   resolve references below PREFIX to files in DIR\n"
	"      --schema FILE          validate every line (any JSON value) against FILE\n"
	"      --allow-unknown        pass events that have no installed schema\n"
	"      --format-assert        \"format\" fails invalid values (default: annotation)\n"
	"      --default-dialect D    draft-07 or 2020-12 (default) for schemas\n"
	"                             without \"$schema\"\n"
	"  -c, --count                print the counts on standard error at the end\n"
	"  -j, --jobs N               worker threads (default: number of cores)\n"
	"      --rejects FILE         write rejects to FILE (default: standard error)\n"
	"      --stats FILE           write the counters to FILE as JSON\n"
	"      --log-format FORMAT    text or json\n"
	"  -v, --verbose / -q, --quiet\n"
	"      --check-schema         check each FILE against its meta-schema and compile it\n"
	"      --compat               list the changes from schema OLD to NEW; exit 1 if any\n"
	"                             breaks existing producers or consumers\n"
	"      --mapping              lint each mapping spec FILE: valid spec, required\n"
	"                             fields produced, nothing refused, examples pass\n"
	"  -h, --help                 this help\n"
	"      --version              print the version\n";

enum mode { MODE_VALIDATE, MODE_CHECK, MODE_COMPAT, MODE_MAPPING };

enum {
	OPT_MAP_URI = SGP_OPT_TOOL_BASE,
	OPT_SCHEMA,
	OPT_ALLOW_UNKNOWN,
	OPT_FORMAT_ASSERT,
	OPT_DEFAULT_DIALECT,
	OPT_CHECK_SCHEMA,
	OPT_COMPAT,
	OPT_MAPPING,
};

/* Options given, to refuse those that do not apply to the mode. */
enum {
	GIVEN_JOBS = 1, GIVEN_REJECTS = 2, GIVEN_STATS = 4, GIVEN_SCHEMA = 8,
	GIVEN_ALLOW_UNKNOWN = 16, GIVEN_FORMAT_ASSERT = 32, GIVEN_DIALECT = 64, GIVEN_COUNT = 128,
};

static const struct option longopts[] = {
	SGP_CLI_LONGOPTS,
	{ "help", no_argument, NULL, 'h' },
	{ "count", no_argument, NULL, 'c' },
	{ "schema-dir", required_argument, NULL, 's' },
	{ "map-uri", required_argument, NULL, OPT_MAP_URI },
	{ "schema", required_argument, NULL, OPT_SCHEMA },
	{ "allow-unknown", no_argument, NULL, OPT_ALLOW_UNKNOWN },
	{ "format-assert", no_argument, NULL, OPT_FORMAT_ASSERT },
	{ "default-dialect", required_argument, NULL, OPT_DEFAULT_DIALECT },
	{ "check-schema", no_argument, NULL, OPT_CHECK_SCHEMA },
	{ "compat", no_argument, NULL, OPT_COMPAT },
	{ "mapping", no_argument, NULL, OPT_MAPPING },
	{ NULL, 0, NULL, 0 },
};

static bool json_logs;   /* --log-format json */

/* A message on standard error: the house style in text, a JSON log line
 * with --log-format json.  ALWAYS: what the user asked for (--count),
 * shown whatever the log level. */
static void vsay(enum sgp_log_level level, bool always, const char *fmt, va_list ap)
{
	char msg[8192];

	vsnprintf(msg, sizeof msg, fmt, ap);
	if (json_logs)
		sgp_log(always && level < sgp_log_get_level() ? sgp_log_get_level() : level, "%s", msg);
	else if (always || level >= SGP_LOG_WARN || level >= sgp_log_get_level())
		fprintf(stderr, "%s: %s\n", sgp_progname, msg);
}

static void say(enum sgp_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void say(enum sgp_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay(level, false, fmt, ap);
	va_end(ap);
}

/* The counts: always with --count, else as a debug message (-v). */
static void say_counts(bool count, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void say_counts(bool count, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay(count ? SGP_LOG_INFO : SGP_LOG_DEBUG, count, fmt, ap);
	va_end(ap);
}

static void line_fn(void *worker, const char *line, size_t len, unsigned long long lineno,
		    sgp_pipe_out *o)
{
	const char *file = o->file && strcmp(o->file, "-") != 0 ? o->file : NULL;

	sgp_validator_line(worker, line, len, lineno, file, &o->out, &o->rejects, o->counters);
}

static void *worker_new(void *arg)
{
	return sgp_validator_worker_new(arg);
}

static void worker_free(void *w)
{
	sgp_validator_worker_free(w);
}

/* Validate the input files (or standard input); returns the exit status. */
static int run_validate(sgp_validator *v, const struct sgp_cli *cli, const char *schema_file,
			bool count, char **files, int nfiles)
{
	struct sgp_pipe_conf conf;
	uint64_t totals[SGP_PIPE_NCOUNTERS] = { 0 };
	sgp_reader **readers;
	sgp_writer *out = sgp_writer_stdout(), *rej;
	char *err = NULL;
	int i, rc = SGP_EXIT_OK, nreaders = nfiles > 0 ? nfiles : 1;
	json_t *stats;

	if (schema_file) {
		if (sgp_validator_use_schema(v, schema_file, &err) < 0) {
			say(SGP_LOG_ERROR, "%s", err);
			free(err);
			return SGP_EXIT_USAGE;
		}
	} else if (sgp_validator_load_types(v, &err) < 0) {
		say(SGP_LOG_ERROR, "%s", err);
		free(err);
		return SGP_EXIT_USAGE;
	}
	/* every input opens before anything is read */
	readers = xcalloc((size_t)nreaders, sizeof *readers);
	for (i = 0; i < nreaders; i++) {
		const char *path = nfiles > 0 ? files[i] : "-";

		readers[i] = sgp_reader_open(path);
		if (readers[i] == NULL) {
			say(SGP_LOG_ERROR, "cannot open '%s': %s", path, strerror(errno));
			rc = SGP_EXIT_USAGE;
			goto out;
		}
	}
	rej = sgp_cli_open_rejects(cli);
	memset(&conf, 0, sizeof conf);
	conf.jobs = cli->jobs;
	conf.fn = line_fn;
	conf.worker_new = worker_new;
	conf.worker_free = worker_free;
	conf.arg = v;
	for (i = 0; i < nreaders; i++) {
		if (sgp_pipe_run(&conf, readers[i], out, rej, totals) < 0) {
			say(SGP_LOG_ERROR, "cannot read '%s': %s", sgp_reader_name(readers[i]), strerror(errno));
			rc = SGP_EXIT_SYSTEM;
			break;
		}
	}
	sgp_writer_flush(out);
	if (rej != sgp_writer_stderr())
		sgp_writer_close(rej);
	else
		sgp_writer_flush(rej);
	stats = sgp_validator_stats(totals);
	sgp_cli_write_stats(cli, stats);
	json_decref(stats);
	say_counts(count, "%llu in, %llu out (%llu unchecked), %llu rejected "
		   "(%llu parse, %llu schema, %llu unknown_type), %llu state",
		   (unsigned long long)totals[SGP_VALC_IN], (unsigned long long)totals[SGP_VALC_OUT],
		   (unsigned long long)totals[SGP_VALC_UNCHECKED],
		   (unsigned long long)totals[SGP_VALC_REJECTED],
		   (unsigned long long)totals[SGP_VALC_REJ_PARSE],
		   (unsigned long long)totals[SGP_VALC_REJ_SCHEMA],
		   (unsigned long long)totals[SGP_VALC_REJ_UNKNOWN],
		   (unsigned long long)totals[SGP_VALC_STATE]);
	if (rc == SGP_EXIT_OK && totals[SGP_VALC_REJECTED] > 0)
		rc = SGP_EXIT_REJECTS;
out:
	for (i = 0; i < nreaders; i++)
		sgp_reader_close(readers[i]);
	free(readers);
	return rc;
}

/* --check-schema FILE...: one line per problem, "FILE: ok" for the good. */
static int run_check(sgp_validator *v, char **files, int nfiles)
{
	sgp_writer *out = sgp_writer_stdout();
	sgp_buf msgs = SGP_BUF_INIT;
	int i, bad = 0;

	for (i = 0; i < nfiles; i++) {
		sgp_buf_reset(&msgs);
		if (sgp_validator_check_file(v, files[i], &msgs) > 0) {
			sgp_writer_write(out, msgs.data, msgs.len);
			bad++;
		} else {
			sgp_buf_addf(&msgs, "%s: ok\n", files[i]);
			sgp_writer_write(out, msgs.data, msgs.len);
		}
	}
	sgp_writer_flush(out);
	sgp_buf_release(&msgs);
	return bad ? SGP_EXIT_REJECTS : SGP_EXIT_OK;
}

/* OLD or NEW of --compat: a schema file, or the $id of a known schema. */
static json_t *compat_load(sgp_compat_docs *docs, const char *arg, char **uri)
{
	json_error_t je;
	json_t *doc;
	FILE *f = fopen(arg, "r");

	if (f == NULL) {
		const json_t *known = strchr(arg, ':') ? sgp_compat_docs_get(docs, arg) : NULL;

		if (known) {
			*uri = xstrdup(arg);
			return json_incref((json_t *)known);
		}
		say(SGP_LOG_ERROR, "cannot open '%s': %s", arg, strerror(errno));
		return NULL;
	}
	doc = json_loadf(f, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);
	fclose(f);
	if (doc == NULL) {
		say(SGP_LOG_ERROR, "'%s': line %d column %d: %s", arg, je.line, je.column, je.text);
		return NULL;
	}
	if (!json_is_object(doc) && !json_is_boolean(doc)) {
		say(SGP_LOG_ERROR, "'%s': a schema is a JSON object or a boolean", arg);
		json_decref(doc);
		return NULL;
	}
	{
		char *abs = realpath(arg, NULL);

		*uri = xasprintf("file://%s", abs ? abs : arg);
		free(abs);
	}
	return doc;
}

/* The schema documents for following references: installed, -s DIRs,
 * --map-uri prefixes.  NULL with a message on failure. */
static sgp_compat_docs *load_docs(const char *const *dirs, size_t ndirs, const char *const *maps,
				  size_t nmaps)
{
	sgp_compat_docs *docs = sgp_compat_docs_new();
	char *installed = sgp_validator_schemas_dir(), *err = NULL;
	size_t i;

	if (sgp_compat_docs_add_dir(docs, installed, &err) < 0)
		goto fail;
	for (i = 0; i < ndirs; i++)
		if (sgp_compat_docs_add_dir(docs, dirs[i], &err) < 0)
			goto fail;
	for (i = 0; i < nmaps; i++) {
		const char *eq = strchr(maps[i], '=');
		char *prefix = xstrndup(maps[i], (size_t)(eq - maps[i]));
		int r = sgp_compat_docs_map_prefix(docs, prefix, eq + 1, &err);

		free(prefix);
		if (r < 0)
			goto fail;
	}
	free(installed);
	return docs;
fail:
	say(SGP_LOG_ERROR, "%s", err);
	free(err);
	free(installed);
	sgp_compat_docs_free(docs);
	return NULL;
}

static int run_compat(const char *const *dirs, size_t ndirs, const char *const *maps, size_t nmaps,
		      bool count, const char *old_arg, const char *new_arg)
{
	sgp_compat_docs *docs = load_docs(dirs, ndirs, maps, nmaps);
	sgp_compat_report rep = SGP_COMPAT_REPORT_INIT;
	sgp_writer *out = sgp_writer_stdout();
	sgp_buf b = SGP_BUF_INIT;
	json_t *o = NULL, *n = NULL;
	char *err = NULL, *ouri = NULL, *nuri = NULL;
	size_t i;
	int pass, rc = SGP_EXIT_USAGE;

	if (docs == NULL)
		return SGP_EXIT_USAGE;
	o = compat_load(docs, old_arg, &ouri);
	n = o ? compat_load(docs, new_arg, &nuri) : NULL;
	if (o == NULL || n == NULL)
		goto out;
	if (sgp_compat_compare(docs, o, ouri, n, nuri, &rep, &err) < 0)
		goto fail;
	/* breaking changes first, then the compatible ones, each in walk order */
	for (pass = 1; pass >= 0; pass--) {
		for (i = 0; i < rep.n; i++) {
			if (rep.v[i].breaking != pass)
				continue;
			sgp_buf_reset(&b);
			sgp_buf_addf(&b, "%s: %s: %s\n", pass ? "breaking" : "compatible",
				     sgp_compat_path_label(rep.v[i].path), rep.v[i].message);
			sgp_writer_write(out, b.data, b.len);
		}
	}
	sgp_writer_flush(out);
	say_counts(count, "%zu breaking, %zu compatible changes", rep.nbreaking,
		   rep.n - rep.nbreaking);
	rc = rep.nbreaking ? SGP_EXIT_REJECTS : SGP_EXIT_OK;
	goto out;
fail:
	say(SGP_LOG_ERROR, "%s", err ? err : "cannot compare the schemas");
out:
	free(err);
	free(ouri);
	free(nuri);
	json_decref(o);
	json_decref(n);
	sgp_buf_release(&b);
	sgp_compat_report_release(&rep);
	sgp_compat_docs_free(docs);
	return rc;
}

/* --mapping FILE...: the lint of each spec. */
static int run_mapping(sgp_validator *v, const char *const *dirs, size_t ndirs,
		       const char *const *maps, size_t nmaps, char **files, int nfiles)
{
	sgp_compat_docs *docs;
	sgp_writer *out = sgp_writer_stdout();
	sgp_buf msgs = SGP_BUF_INIT;
	char *err = NULL;
	int i, bad = 0, rc;

	if (sgp_validator_load_types(v, &err) < 0) {
		say(SGP_LOG_ERROR, "%s", err);
		free(err);
		return SGP_EXIT_USAGE;
	}
	docs = load_docs(dirs, ndirs, maps, nmaps);
	if (docs == NULL)
		return SGP_EXIT_USAGE;
	for (i = 0; i < nfiles; i++) {
		struct sgp_maplint_result res;

		sgp_buf_reset(&msgs);
		if (sgp_maplint_file(v, docs, files[i], &msgs, &res, &err) < 0) {
			sgp_writer_flush(out);
			say(SGP_LOG_ERROR, "%s", err);
			free(err);
			bad = -1;
			break;
		}
		if (res.problems)
			bad++;
		else
			sgp_buf_addf(&msgs, "%s: ok (%zu example%s)\n", files[i], res.examples,
				     res.examples == 1 ? "" : "s");
		sgp_writer_write(out, msgs.data, msgs.len);
	}
	sgp_writer_flush(out);
	sgp_buf_release(&msgs);
	sgp_compat_docs_free(docs);
	rc = bad < 0 ? SGP_EXIT_USAGE : bad ? SGP_EXIT_REJECTS : SGP_EXIT_OK;
	return rc;
}

static void refuse(unsigned given, unsigned allowed, const char *mode)
{
	static const struct { unsigned bit; const char *name; } names[] = {
		{ GIVEN_JOBS, "--jobs" }, { GIVEN_REJECTS, "--rejects" }, { GIVEN_STATS, "--stats" },
		{ GIVEN_SCHEMA, "--schema" }, { GIVEN_ALLOW_UNKNOWN, "--allow-unknown" },
		{ GIVEN_FORMAT_ASSERT, "--format-assert" }, { GIVEN_DIALECT, "--default-dialect" },
		{ GIVEN_COUNT, "--count" },
	};
	size_t i;

	for (i = 0; i < sizeof names / sizeof names[0]; i++)
		if ((given & names[i].bit) && !(allowed & names[i].bit))
			sgp_cli_usage_error("%s does not apply to %s", names[i].name, mode);
}

int main(int argc, char **argv)
{
	struct sgp_cli cli = { NULL, NULL, 0 };
	struct sgp_validator_opts vo;
	const char **dirs = NULL, **maps = NULL;
	const char *schema_file = NULL;
	sgp_validator *v = NULL;
	enum mode mode = MODE_VALIDATE;
	unsigned given = 0;
	bool count = false;
	char *err = NULL;
	int opt, rc = SGP_EXIT_OK;

	sgp_init(argv[0]);
	memset(&vo, 0, sizeof vo);
	vo.js.default_dialect = JS_DRAFT_2020_12;
	while ((opt = getopt_long(argc, argv, "hcj:s:vq", longopts, NULL)) != -1) {
		if (opt == SGP_OPT_LOG_FORMAT)
			json_logs = strcmp(optarg, "json") == 0;
		if (opt == 'j')
			given |= GIVEN_JOBS;
		else if (opt == SGP_OPT_REJECTS)
			given |= GIVEN_REJECTS;
		else if (opt == SGP_OPT_STATS)
			given |= GIVEN_STATS;
		if (sgp_cli_common(&cli, opt, optarg))
			continue;
		switch (opt) {
		case 'h':
			fputs(usage_text, stdout);
			fputs(help_text, stdout);
			rc = SGP_EXIT_OK;
			goto out;
		case 'c':
			count = true;
			given |= GIVEN_COUNT;
			break;
		case 's':
			dirs = xreallocarray(dirs, vo.ndirs + 1, sizeof *dirs);
			dirs[vo.ndirs++] = optarg;
			break;
		case OPT_MAP_URI:
			if (strchr(optarg, '=') == NULL || optarg[0] == '=' ||
			    optarg[strlen(optarg) - 1] == '=')
				sgp_cli_usage_error("invalid --map-uri '%s' (PREFIX=DIR)", optarg);
			maps = xreallocarray(maps, vo.nmap_uris + 1, sizeof *maps);
			maps[vo.nmap_uris++] = optarg;
			break;
		case OPT_SCHEMA:
			schema_file = optarg;
			given |= GIVEN_SCHEMA;
			break;
		case OPT_ALLOW_UNKNOWN:
			vo.allow_unknown = true;
			given |= GIVEN_ALLOW_UNKNOWN;
			break;
		case OPT_FORMAT_ASSERT:
			vo.js.format_assert = true;
			given |= GIVEN_FORMAT_ASSERT;
			break;
		case OPT_DEFAULT_DIALECT:
			if (strcmp(optarg, "draft-07") == 0)
				vo.js.default_dialect = JS_DRAFT_07;
			else if (strcmp(optarg, "2020-12") == 0)
				vo.js.default_dialect = JS_DRAFT_2020_12;
			else
				sgp_cli_usage_error("invalid dialect '%s' (draft-07 or 2020-12)", optarg);
			given |= GIVEN_DIALECT;
			break;
		case OPT_CHECK_SCHEMA:
		case OPT_COMPAT:
		case OPT_MAPPING:
			if (mode != MODE_VALIDATE)
				sgp_cli_usage_error("--check-schema, --compat and --mapping exclude each other");
			mode = opt == OPT_CHECK_SCHEMA ? MODE_CHECK : opt == OPT_COMPAT ? MODE_COMPAT :
			       MODE_MAPPING;
			break;
		case '?':
		default:
			fprintf(stderr, "Try '%s --help' for more information.\n", sgp_progname);
			rc = SGP_EXIT_USAGE;
			goto out;
		}
	}
	argc -= optind;
	argv += optind;
	vo.dirs = dirs;
	vo.map_uris = maps;

	if (mode == MODE_COMPAT) {
		refuse(given, GIVEN_COUNT, "--compat");
		if (argc != 2)
			sgp_cli_usage_error("--compat needs two schemas, OLD and NEW");
		rc = run_compat(dirs, vo.ndirs, maps, vo.nmap_uris, count, argv[0], argv[1]);
		goto out;
	}
	if (mode == MODE_CHECK) {
		refuse(given, GIVEN_DIALECT, "--check-schema");
		if (argc < 1)
			sgp_cli_usage_error("--check-schema needs at least one schema file");
	}
	if (mode == MODE_MAPPING) {
		refuse(given, GIVEN_DIALECT | GIVEN_FORMAT_ASSERT, "--mapping");
		if (argc < 1)
			sgp_cli_usage_error("--mapping needs at least one mapping spec");
	}
	v = sgp_validator_new(&vo, &err);
	if (v == NULL) {
		say(SGP_LOG_ERROR, "%s", err);
		free(err);
		rc = SGP_EXIT_USAGE;
		goto out;
	}
	if (mode == MODE_CHECK)
		rc = run_check(v, argv, argc);
	else if (mode == MODE_MAPPING)
		rc = run_mapping(v, dirs, vo.ndirs, maps, vo.nmap_uris, argv, argc);
	else
		rc = run_validate(v, &cli, schema_file, count, argv, argc);
out:
	sgp_validator_free(v);
	free(dirs);
	free(maps);
	return rc;
}
