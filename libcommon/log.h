/*
 * log.h: logging on standard error.
 *
 * Human text ("sgp-pull: warning: ...") by default, or one JSON object per
 * line with --log-format json ({"ts","level","tool","msg"}).  Every message
 * passes through redaction first: registered secrets are replaced by
 * "[REDACTED]", and so are the values of Authorization headers, bearer
 * tokens and the usual secret query parameters (access_token,
 * client_secret, api_key, password, token), so a secret never reaches a log.
 * Thread-safe.
 */
#ifndef SGP_LOG_H
#define SGP_LOG_H

#include <stddef.h>

enum sgp_log_level {
	SGP_LOG_DEBUG,
	SGP_LOG_INFO,
	SGP_LOG_WARN,
	SGP_LOG_ERROR,
};

enum sgp_log_format {
	SGP_LOGFMT_TEXT,
	SGP_LOGFMT_JSON,
};

/* Parse a --log-format value ("text" or "json"); -1 if unknown. */
int sgp_log_parse_format(const char *s);
void sgp_log_set_format(enum sgp_log_format f);
/* Messages below level are dropped (default SGP_LOG_INFO). */
void sgp_log_set_level(enum sgp_log_level level);
enum sgp_log_level sgp_log_get_level(void);

/* Register a secret to redact wherever it appears (copied; strings shorter
 * than 4 bytes are ignored, as redacting them would mangle every line). */
void sgp_log_add_secret(const char *secret);

/* Redact registered secrets and well-known secret patterns in s.
 * Returns a new string; caller frees. */
char *sgp_redact(const char *s);

void sgp_log(enum sgp_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Forget every registered secret (tests). */
void sgp_log_clear_secrets(void);

#endif
