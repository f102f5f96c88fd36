/* fuzz_profile.c: the connector profile loader on fuzzed JSON.  The first
 * byte picks whether the profile JSON Schema is found (odd: $SGP_DATADIR
 * is the source tree, so schemas/profile.schema.json is checked first) or
 * not (even: only the loader's own member checks stand between the
 * document and the pull engine).  Properties: a refused profile has a
 * message naming the file; a loaded one has a name, a system
 * without ':' or '.', an http(s) base URL without a trailing '/', and
 * streams that are found by their name with a GET or POST method, a path
 * and at least one id pointer. */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "profile.h"
#include "util.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *root;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *dd = getenv("SGP_DATADIR");
	char cwd[PATH_MAX];

	if (dd && *dd)
		root = xstrdup(dd);
	else
		root = xstrdup(getcwd(cwd, sizeof cwd) ? cwd : ".");
	unsetenv("SGP_PROFILE_PATH");
	return 0;
}

static void check_profile(const sgp_profile *p)
{
	size_t n;

	if (p->name == NULL || p->name[0] == '\0' || p->system == NULL || p->system[0] == '\0' ||
	    strpbrk(p->system, ":.") || p->base_url == NULL || p->doc == NULL)
		abort();
	if (strncmp(p->base_url, "http://", 7) != 0 && strncmp(p->base_url, "https://", 8) != 0)
		abort();
	n = strlen(p->base_url);
	if (n && p->base_url[n - 1] == '/')
		abort();
	for (size_t i = 0; i < p->nstreams; i++) {
		const struct sgp_stream *s = &p->streams[i];
		if (s->name == NULL || sgp_profile_stream(p, s->name) != s)
			abort(); /* found by its name */
		if (s->method == NULL || (strcmp(s->method, "GET") != 0 && strcmp(s->method, "POST") != 0))
			abort();
		if (s->path == NULL || s->records == NULL || s->object == NULL || s->nid == 0)
			abort();
		if (s->style < SGP_PAGE_SINGLE || s->style > SGP_PAGE_NUMBER)
			abort();
	}
	if (sgp_profile_stream(p, "no such stream, never a name") != NULL)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_error_t je;
	json_t *doc;
	sgp_profile *p;
	char *err = NULL;

	if (size < 1 || size > 1 << 16)
		return 0;
	setenv("SGP_DATADIR", (data[0] & 1) ? root : "/nonexistent-sgp-datadir", 1);
	doc = json_loadb((const char *)data + 1, size - 1, JSON_REJECT_DUPLICATES, &je);
	if (doc == NULL)
		return 0;
	p = sgp_profile_from_json(doc, "fuzz.json", &err); /* doc is stolen */
	if (p == NULL) {
		if (err == NULL || strstr(err, "fuzz.json") == NULL)
			abort(); /* a message naming the file */
		free(err);
		return 0;
	}
	if (err != NULL)
		abort();
	check_profile(p);
	sgp_profile_free(p);
	return 0;
}
