/* log.c: see log.h. */
#include "log.h"
#include "util.h"

#include <ctype.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static enum sgp_log_format format = SGP_LOGFMT_TEXT;
static enum sgp_log_level min_level = SGP_LOG_INFO;
static char **secrets;
static size_t nsecrets;

static const char redacted[] = "[REDACTED]";

int sgp_log_parse_format(const char *s)
{
	if (strcmp(s, "text") == 0)
		return SGP_LOGFMT_TEXT;
	if (strcmp(s, "json") == 0)
		return SGP_LOGFMT_JSON;
	return -1;
}

void sgp_log_set_format(enum sgp_log_format f)
{
	format = f;
}

void sgp_log_set_level(enum sgp_log_level level)
{
	min_level = level;
}

enum sgp_log_level sgp_log_get_level(void)
{
	return min_level;
}

void sgp_log_add_secret(const char *secret)
{
	if (secret == NULL || strlen(secret) < 4)
		return;
	pthread_mutex_lock(&mu);
	secrets = xreallocarray(secrets, nsecrets + 1, sizeof *secrets);
	secrets[nsecrets++] = xstrdup(secret);
	pthread_mutex_unlock(&mu);
}

void sgp_log_clear_secrets(void)
{
	size_t i;

	pthread_mutex_lock(&mu);
	for (i = 0; i < nsecrets; i++)
		free(secrets[i]);
	free(secrets);
	secrets = NULL;
	nsecrets = 0;
	pthread_mutex_unlock(&mu);
}

/* Replace every occurrence of needle in *s (a malloc'd string). */
static void replace_all(char **s, const char *needle)
{
	size_t nl = strlen(needle);
	sgp_buf b = SGP_BUF_INIT;
	const char *p = *s, *hit;

	if (strstr(p, needle) == NULL)
		return;
	while ((hit = strstr(p, needle)) != NULL) {
		sgp_buf_add(&b, p, (size_t)(hit - p));
		sgp_buf_adds(&b, redacted);
		p = hit + nl;
	}
	sgp_buf_adds(&b, p);
	free(*s);
	*s = sgp_buf_detach(&b, NULL);
}

/*
 * Redact the value that follows a marker such as "Bearer " or
 * "client_secret=": everything up to the next separator.
 */
static void redact_after(char **s, const char *marker, const char *stops)
{
	sgp_buf b = SGP_BUF_INIT;
	const char *p = *s, *hit;
	size_t ml = strlen(marker);
	int changed = 0;

	while ((hit = strcasestr(p, marker)) != NULL) {
		const char *v = hit + ml, *end = v;

		while (*end && !strchr(stops, *end))
			end++;
		sgp_buf_add(&b, p, (size_t)(v - p));
		if (end > v && strncmp(v, redacted, sizeof redacted - 1) != 0) {
			sgp_buf_adds(&b, redacted);
			changed = 1;
		} else {
			sgp_buf_add(&b, v, (size_t)(end - v));
		}
		p = end;
	}
	if (!changed) {
		sgp_buf_release(&b);
		return;
	}
	sgp_buf_adds(&b, p);
	free(*s);
	*s = sgp_buf_detach(&b, NULL);
}

char *sgp_redact(const char *in)
{
	static const char *params[] = {
		"access_token=", "refresh_token=", "client_secret=", "api_key=",
		"apikey=", "password=", "token=", "oauth_signature=",
		"\"access_token\":\"", "\"client_secret\":\"", "\"password\":\"",
		"\"refresh_token\":\"", "\"api_key\":\"",
	};
	char *s = xstrdup(in);
	size_t i;

	pthread_mutex_lock(&mu);
	for (i = 0; i < nsecrets; i++)
		replace_all(&s, secrets[i]);
	pthread_mutex_unlock(&mu);
	redact_after(&s, "Authorization: ", "\r\n\"");
	redact_after(&s, "Bearer ", " \t\r\n\",;");
	redact_after(&s, "Basic ", " \t\r\n\",;");
	for (i = 0; i < sizeof params / sizeof params[0]; i++)
		redact_after(&s, params[i], params[i][0] == '"' ? "\"" : " \t\r\n&\",;");
	return s;
}

static const char *level_name(enum sgp_log_level l)
{
	switch (l) {
	case SGP_LOG_DEBUG: return "debug";
	case SGP_LOG_INFO: return "info";
	case SGP_LOG_WARN: return "warning";
	case SGP_LOG_ERROR: return "error";
	}
	return "info";
}

void sgp_log(enum sgp_log_level level, const char *fmt, ...)
{
	char msg[8192];
	va_list ap;
	char *clean;

	if (level < min_level)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	clean = sgp_redact(msg);
	if (format == SGP_LOGFMT_JSON) {
		sgp_buf b = SGP_BUF_INIT;
		struct timespec ts;
		struct tm tm;
		char when[64];

		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
		sgp_buf_addf(&b, "{\"ts\":\"%s.%03ldZ\",\"level\":\"%s\",\"tool\":", when,
			     ts.tv_nsec / 1000000, level_name(level));
		sgp_buf_add_json_string(&b, sgp_progname, strlen(sgp_progname));
		sgp_buf_adds(&b, ",\"msg\":");
		sgp_buf_add_json_string(&b, clean, strlen(clean));
		sgp_buf_adds(&b, "}\n");
		pthread_mutex_lock(&mu);
		fwrite(b.data, 1, b.len, stderr);
		fflush(stderr);
		pthread_mutex_unlock(&mu);
		sgp_buf_release(&b);
	} else {
		pthread_mutex_lock(&mu);
		if (level == SGP_LOG_INFO)
			fprintf(stderr, "%s: %s\n", sgp_progname, clean);
		else
			fprintf(stderr, "%s: %s: %s\n", sgp_progname, level_name(level), clean);
		fflush(stderr);
		pthread_mutex_unlock(&mu);
	}
	free(clean);
}
