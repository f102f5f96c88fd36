/*
 * sgp-pull: pull one stream of a vendor API (a connector profile) or one
 * export file into sgp.event/1 lines, with sgp.state/1 checkpoints.
 * The engine is libcommon/pull.c (HTTP) and libcommon/ingest.c (files).
 */
#include "auth.h"
#include "cli.h"
#include "ingest.h"
#include "lineio.h"
#include "log.h"
#include "profile.h"
#include "pull.h"
#include "util.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char usage_text[] =
	"usage: sgp-pull -p PROFILE [--since TIME] [--lookback SECONDS]\n"
	"                [--state FILE [--save-state]] [--limit N] [--page-size N] STREAM\n"
	"       sgp-pull --file FILE [-p PROFILE STREAM | --system NAME --object NAME --id FIELD]\n"
	"                [--revision FIELD] [--occurred-at FIELD] [--format csv|ndjson|json]\n"
	"                [--records POINTER] [--limit N]\n"
	"       sgp-pull -p PROFILE --list\n"
	"       sgp-pull -h | --version\n"
	"common options: [--retries N] [--backoff MS] [--timeout SECONDS] [--insecure]\n"
	"                [--rejects FILE] [--stats FILE] [--log-format FORMAT] [-v | -q]\n";

static void usage(void)
{
	fputs(usage_text, stdout);
	fputs("\n"
	      "Pull a stream of a vendor API, or the records of an export file, as\n"
	      "sgp.event/1 lines of type SYSTEM.OBJECT on standard output.\n"
	      "\n"
	      "  -p, --profile PROFILE  connector profile: a name looked up along\n"
	      "                         SGP_PROFILE_PATH and $SGP_DATADIR/profiles, or a file\n"
	      "      --since TIME       pull records changed at or after TIME (RFC 3339, a\n"
	      "                         date or epoch seconds); overrides --state\n"
	      "      --lookback SECONDS ask again for this much time before the saved since\n"
	      "      --state FILE       resume from the stream's line in FILE\n"
	      "      --save-state       rewrite FILE after each page is written and flushed\n"
	      "      --limit N          stop after N events\n"
	      "      --page-size N      records per request (default: the profile's)\n"
	      "      --retries N        attempts per request (default: the profile's)\n"
	      "      --backoff MS       first retry delay in milliseconds\n"
	      "      --timeout SECONDS  longest single request\n"
	      "      --insecure         do not verify TLS certificates\n"
	      "      --list             list the profile's streams and exit\n"
	      "      --file FILE        read records from FILE ('-' = standard input)\n"
	      "      --format F         csv, ndjson or json (default: by the file name)\n"
	      "      --system NAME      source system of the file's records\n"
	      "      --object NAME      object of the file's records\n"
	      "      --id FIELD         column or JSON Pointer of the record id\n"
	      "      --revision FIELD   column or JSON Pointer of the record's version\n"
	      "      --occurred-at FIELD  column or JSON Pointer of the business time\n"
	      "      --records POINTER  JSON: where the array of records is\n"
	      "      --rejects FILE     write sgp.reject/1 lines to FILE (default: stderr)\n"
	      "      --stats FILE       write the counters as JSON to FILE at exit\n"
	      "      --log-format F     text or json log lines on stderr\n"
	      "  -v, --verbose          log every request; -q, --quiet: warnings only\n"
	      "      --version          print the version and exit\n"
	      "  -h, --help             print this help and exit\n"
	      "\n"
	      "Secrets come from the environment or files named in the profile.\n"
	      "SGP_<PROFILE>_BASE_URL replaces the profile's base URL.\n"
	      "\n"
	      "Exit status: 0 done, 1 some records rejected, 2 usage or configuration\n"
	      "error (nothing pulled), 3 remote or system fault (safe to rerun).\n"
	      "See sgp-pull(1) and sgp-profile(5).\n",
	      stdout);
}

enum {
	OPT_SINCE = SGP_OPT_TOOL_BASE,
	OPT_LOOKBACK,
	OPT_STATE,
	OPT_SAVE_STATE,
	OPT_LIMIT,
	OPT_PAGE_SIZE,
	OPT_RETRIES,
	OPT_BACKOFF,
	OPT_TIMEOUT,
	OPT_INSECURE,
	OPT_LIST,
	OPT_FILE,
	OPT_FORMAT,
	OPT_SYSTEM,
	OPT_OBJECT,
	OPT_ID,
	OPT_REVISION,
	OPT_OCCURRED,
	OPT_RECORDS,
};

static const struct option longopts[] = {
	{ "profile", required_argument, NULL, 'p' },
	{ "since", required_argument, NULL, OPT_SINCE },
	{ "lookback", required_argument, NULL, OPT_LOOKBACK },
	{ "state", required_argument, NULL, OPT_STATE },
	{ "save-state", no_argument, NULL, OPT_SAVE_STATE },
	{ "limit", required_argument, NULL, OPT_LIMIT },
	{ "page-size", required_argument, NULL, OPT_PAGE_SIZE },
	{ "retries", required_argument, NULL, OPT_RETRIES },
	{ "backoff", required_argument, NULL, OPT_BACKOFF },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "insecure", no_argument, NULL, OPT_INSECURE },
	{ "list", no_argument, NULL, OPT_LIST },
	{ "file", required_argument, NULL, OPT_FILE },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "system", required_argument, NULL, OPT_SYSTEM },
	{ "object", required_argument, NULL, OPT_OBJECT },
	{ "id", required_argument, NULL, OPT_ID },
	{ "revision", required_argument, NULL, OPT_REVISION },
	{ "occurred-at", required_argument, NULL, OPT_OCCURRED },
	{ "records", required_argument, NULL, OPT_RECORDS },
	{ "help", no_argument, NULL, 'h' },
	SGP_CLI_LONGOPTS,
	{ NULL, 0, NULL, 0 },
};

static long long number_arg(const char *opt, const char *s, long long min, long long max)
{
	long long v;

	if (sgp_parse_ll(s, min, max, &v) < 0)
		sgp_cli_usage_error("invalid %s '%s' (%lld to %lld)", opt, s, min, max);
	return v;
}

/* A system or object name: [a-z][a-z0-9_-]*, as in the profile schema. */
static int valid_name(const char *s)
{
	size_t i;

	if (!(s[0] >= 'a' && s[0] <= 'z') || strlen(s) > 64)
		return 0;
	for (i = 1; s[i]; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_' ||
		      s[i] == '-'))
			return 0;
	return 1;
}

/* A column name or a JSON Pointer, as a pointer (caller frees). */
static char *field_pointer(const char *f)
{
	return f[0] == '/' ? xstrdup(f) : sgp_pointer_of_member(f);
}

static const char *now_rfc3339(char *buf, size_t n)
{
	sgp_time t = sgp_time_now();

	t.nsec = 0;
	sgp_time_format(t, buf, n);
	return buf;
}

static void write_stats(const struct sgp_cli *cli, const struct sgp_pull_stats *ps,
			const struct sgp_ingest_stats *is)
{
	json_t *o;

	if (cli->stats_path == NULL)
		return;
	if (ps)
		o = json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}",
			      "received", (json_int_t)ps->received, "emitted", (json_int_t)ps->emitted,
			      "skipped", (json_int_t)ps->skipped, "rejected", (json_int_t)ps->rejected,
			      "pages", (json_int_t)ps->pages, "states", (json_int_t)ps->states,
			      "requests", (json_int_t)ps->requests, "retries", (json_int_t)ps->retries,
			      "rate_limited", (json_int_t)ps->rate_limited);
	else
		o = json_pack("{s:I,s:I,s:I}", "received", (json_int_t)is->received,
			      "emitted", (json_int_t)is->emitted, "rejected", (json_int_t)is->rejected);
	sgp_cli_write_stats(cli, o);
	json_decref(o);
}

int main(int argc, char **argv)
{
	struct sgp_cli cli = { 0 };
	struct sgp_pull_opts po = { 0 };
	struct sgp_pull_stats ps = { 0 };
	struct sgp_ingest_stats is = { 0 };
	struct sgp_ingest_opts io = { 0 };
	struct sgp_record_spec spec = { 0 };
	const char *profile_name = NULL, *state_path = NULL, *file = NULL, *format = NULL;
	const char *system = NULL, *object = NULL, *idf = NULL, *revf = NULL, *occf = NULL;
	const char *stream_name = NULL;
	char *idp = NULL, *revp = NULL, *occp = NULL, *err = NULL, *mtime_at = NULL;
	int save_state = 0, list = 0, json_logs = 0, c, rc = SGP_EXIT_OK;
	sgp_profile *prof = NULL;
	sgp_auth *auth = NULL;
	json_t *state = NULL;
	sgp_writer *out = NULL, *rejects = NULL;
	const struct sgp_stream *stream = NULL;

	sgp_init(argv[0]);
	signal(SIGPIPE, SIG_IGN);
	po.lookback_s = -1;
	while ((c = getopt_long(argc, argv, "p:vqh", longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			profile_name = optarg;
			break;
		case OPT_SINCE:
			po.since = optarg;
			break;
		case OPT_LOOKBACK:
			po.lookback_s = (long)number_arg("--lookback", optarg, 0, 366LL * 86400);
			break;
		case OPT_STATE:
			state_path = optarg;
			break;
		case OPT_SAVE_STATE:
			save_state = 1;
			break;
		case OPT_LIMIT:
			po.limit = (unsigned long long)number_arg("--limit", optarg, 1, (1LL << 62));
			break;
		case OPT_PAGE_SIZE:
			po.page_size = (long)number_arg("--page-size", optarg, 1, 1000000);
			break;
		case OPT_RETRIES:
			po.max_attempts = (int)number_arg("--retries", optarg, 1, 100);
			break;
		case OPT_BACKOFF:
			po.backoff_ms = (long)number_arg("--backoff", optarg, 1, 3600000);
			break;
		case OPT_TIMEOUT:
			po.timeout_ms = (long)number_arg("--timeout", optarg, 1, 86400) * 1000;
			break;
		case OPT_INSECURE:
			po.insecure = 1;
			break;
		case OPT_LIST:
			list = 1;
			break;
		case OPT_FILE:
			file = optarg;
			break;
		case OPT_FORMAT:
			format = optarg;
			if (sgp_file_format_parse(optarg) < 0)
				sgp_cli_usage_error("invalid format '%s' (csv, ndjson or json)", optarg);
			break;
		case OPT_SYSTEM:
			system = optarg;
			break;
		case OPT_OBJECT:
			object = optarg;
			break;
		case OPT_ID:
			idf = optarg;
			break;
		case OPT_REVISION:
			revf = optarg;
			break;
		case OPT_OCCURRED:
			occf = optarg;
			break;
		case OPT_RECORDS:
			if (optarg[0] != '/' && optarg[0] != '\0')
				sgp_cli_usage_error("invalid --records '%s' (a JSON Pointer such as /data)",
						    optarg);
			io.records = optarg;
			break;
		case 'h':
			usage();
			return SGP_EXIT_OK;
		case 'j':
			sgp_cli_usage_error("--jobs does not apply: a stream's pages are pulled in order");
			break;
		default:
			if (c == SGP_OPT_LOG_FORMAT)
				json_logs = strcmp(optarg, "json") == 0;
			if (sgp_cli_common(&cli, c, optarg))
				break;
			sgp_cli_usage_error("unknown option");
		}
	}
	argc -= optind;
	argv += optind;
	if (argc > 1)
		sgp_cli_usage_error("extra operand '%s'", argv[1]);
	stream_name = argc == 1 ? argv[0] : NULL;
	if (save_state && !state_path)
		sgp_cli_usage_error("--save-state needs --state FILE");
	if (file && (state_path || po.since || po.lookback_s >= 0 || po.page_size))
		sgp_cli_usage_error("--file takes no --state, --since, --lookback or --page-size");
	if (!file && (system || object || idf || revf || occf || format || io.records))
		sgp_cli_usage_error("--system, --object, --id, --revision, --occurred-at, --format "
				    "and --records go with --file");
	if (!file && !profile_name)
		sgp_cli_usage_error("no profile given (-p PROFILE) and no --file");
	if (list && (file || stream_name))
		sgp_cli_usage_error("--list takes a profile and nothing else");
	if (!file && !list && !stream_name)
		sgp_cli_usage_error("no stream given");
	if (file && profile_name && !stream_name)
		sgp_cli_usage_error("--file with -p PROFILE needs the STREAM whose fields apply");
	if (file && !profile_name && stream_name)
		sgp_cli_usage_error("extra operand '%s'", stream_name);
	if (file && !profile_name && (!system || !object || !idf))
		sgp_cli_usage_error("--file needs --system, --object and --id (or -p PROFILE STREAM)");

	/* Configuration, all of it before any input. */
	if (profile_name) {
		prof = sgp_profile_load(profile_name, &err);
		if (prof == NULL) {
			rc = SGP_EXIT_USAGE;
			goto out;
		}
		if (list) {
			size_t i;
			for (i = 0; i < prof->nstreams; i++)
				printf("%s\t%s.%s\t%s%s\n", prof->streams[i].name, prof->system,
				       prof->streams[i].object, prof->streams[i].path,
				       prof->streams[i].incremental ? "\tincremental" : "");
			sgp_profile_free(prof);
			return SGP_EXIT_OK;
		}
		stream = sgp_profile_stream(prof, stream_name);
		if (stream == NULL) {
			sgp_buf names = SGP_BUF_INIT;
			size_t i;
			for (i = 0; i < prof->nstreams; i++)
				sgp_buf_addf(&names, "%s%s", i ? ", " : "", prof->streams[i].name);
			err = xasprintf("profile '%s' has no stream '%s' (%s)", prof->name,
					stream_name, names.len ? names.data : "it has none");
			sgp_buf_release(&names);
			rc = SGP_EXIT_USAGE;
			goto out;
		}
	}
	if (file) {
		if (prof) {
			spec.system = system ? system : prof->system;
			spec.object = object ? object : stream->object;
			spec.id = (const char *const *)stream->id;
			spec.nid = stream->nid;
			spec.revision = (const char *const *)stream->revision;
			spec.nrevision = stream->nrevision;
			spec.occurred_at = (const char *const *)stream->occurred_at;
			spec.noccurred_at = stream->noccurred_at;
			spec.naive_utc = stream->naive_utc;
		} else {
			spec.system = system;
			spec.object = object;
		}
		if (idf) {
			idp = field_pointer(idf);
			spec.id = (const char *const *)&idp;
			spec.nid = 1;
		}
		if (revf) {
			revp = field_pointer(revf);
			spec.revision = (const char *const *)&revp;
			spec.nrevision = 1;
		}
		if (occf) {
			occp = field_pointer(occf);
			spec.occurred_at = (const char *const *)&occp;
			spec.noccurred_at = 1;
		} else if (!prof && revf) {
			/* the version is often the time it was changed */
			spec.occurred_at = (const char *const *)&revp;
			spec.noccurred_at = 1;
		}
		if (!valid_name(spec.system) || !valid_name(spec.object))
			sgp_cli_usage_error("--system and --object are names: lowercase letters, "
					    "digits, '_' and '-'");
		/* Records without a time of their own happened when the
		 * file was written. */
		{
			struct stat sb;
			char buf[SGP_TIME_BUFSZ];
			if (strcmp(file, "-") != 0 && stat(file, &sb) == 0) {
				sgp_time t = { (int64_t)sb.st_mtime, 0 };
				sgp_time_format(t, buf, sizeof buf);
			} else {
				now_rfc3339(buf, sizeof buf);
			}
			mtime_at = xstrdup(buf);
			spec.default_occurred_at = mtime_at;
		}
		io.path = file;
		io.format = format ? (enum sgp_file_format)sgp_file_format_parse(format) : SGP_FILE_AUTO;
		io.spec = &spec;
		io.limit = po.limit;
	} else {
		auth = sgp_auth_new(prof->auth, prof->base_url, &prof->http, &err);
		if (auth == NULL) {
			char *m = xasprintf("profile '%s': %s", prof->name, err);
			free(err);
			err = m;
			rc = SGP_EXIT_USAGE;
			goto out;
		}
		if (state_path) {
			state = sgp_state_file_read(state_path, prof->name, stream->name, &err);
			if (state == NULL && err) {
				rc = SGP_EXIT_USAGE;
				goto out;
			}
		}
		po.profile = prof;
		po.stream = stream;
		po.auth = auth;
		po.state = state;
		po.save_state = save_state ? state_path : NULL;
		po.progress = isatty(2) && sgp_log_get_level() <= SGP_LOG_INFO;
	}

	out = sgp_writer_stdout();
	rejects = sgp_cli_open_rejects(&cli);
	if (file)
		rc = sgp_ingest_file(&io, out, rejects, &is, &err);
	else
		rc = sgp_pull_run(&po, out, rejects, &ps, &err);
	sgp_writer_flush(out);
	write_stats(&cli, file ? NULL : &ps, file ? &is : NULL);
out:
	if (err) {
		/* Messages may quote a vendor's reply: never show a secret. */
		if (json_logs) {
			sgp_log(SGP_LOG_ERROR, "%s", err);
		} else {
			char *m = sgp_redact(err);
			sgp_warn("%s", m);
			free(m);
		}
	}
	free(err);
	if (rejects && rejects != sgp_writer_stderr())
		sgp_writer_close(rejects);
	else if (rejects)
		sgp_writer_flush(rejects);
	json_decref(state);
	sgp_auth_free(auth);
	sgp_profile_free(prof);
	free(idp);
	free(revp);
	free(occp);
	free(mtime_at);
	return rc;
}
