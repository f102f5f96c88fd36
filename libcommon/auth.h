/*
 * auth.h: credentials for vendor APIs, and signing requests with them.
 *
 * A profile's "auth" object (schemas/profile.schema.json, sgp-profile(5))
 * names the scheme and where each secret comes from:
 *
 *   {"type":"bearer", "token":REF}
 *   {"type":"basic", "username":REF, "password":REF}
 *   {"type":"api_key", "header":"X-API-Key", "prefix":"", "key":REF}
 *   {"type":"oauth2_client_credentials", "token_url":"/oauth/token",
 *    "client_id":REF, "client_secret":REF, "scope":"...",
 *    "client_auth":"basic"|"body"}
 *   {"type":"oauth1", "realm":REF, "consumer_key":REF,
 *    "consumer_secret":REF, "token":REF, "token_secret":REF}
 *   {"type":"none"}
 *
 * REF is {"env":"NAME"} (the variable NAME, or else the file named by
 * NAME_FILE), {"file":"PATH"} ("~/" is $HOME; one trailing newline is
 * dropped), both (the variable first), or, for fields that are not
 * secret (username, client_id, realm), {"value":"literal"}.  Any REF may
 * add "suffix" (Zendesk's "EMAIL/token" user name).  Secrets are never
 * read from the command line, and every secret loaded is registered with
 * sgp_log_add_secret() so no log line can show it.
 *
 * OAuth 2.0 client credentials (RFC 6749 4.4): the token is fetched on
 * first use, cached until 30 s before its expires_in (or until a 401 when
 * the server gives no lifetime), and fetched again once after a 401.
 *
 * OAuth 1.0a (RFC 5849) with HMAC-SHA256, as NetSuite token-based
 * authentication requires: a fresh nonce and timestamp for every attempt;
 * the signature base string covers the method, the base URI, the query
 * parameters, a form-encoded body and the oauth_* parameters, each
 * percent-encoded and sorted by name and value.
 */
#ifndef SGP_AUTH_H
#define SGP_AUTH_H

#include <jansson.h>
#include <stddef.h>

#include "http.h"

typedef struct sgp_auth sgp_auth;

enum sgp_auth_type {
	SGP_AUTH_NONE,
	SGP_AUTH_BEARER,
	SGP_AUTH_BASIC,
	SGP_AUTH_API_KEY,
	SGP_AUTH_OAUTH2_CC,
	SGP_AUTH_OAUTH1,
};

/*
 * Load a secret from REF (a JSON object as above).  allow_value permits
 * {"value":...}.  Returns the secret (caller frees; registered for
 * redaction), or NULL with *err (caller frees) naming where it looked
 * ("environment variable STRIPE_API_KEY is not set").  *where, when not
 * NULL, receives a description of the source for messages ("environment
 * variable STRIPE_API_KEY"; caller frees).
 */
char *sgp_secret_load(const json_t *ref, int allow_value, char **where, char **err);

/*
 * Build the credentials of a profile from its "auth" object (borrowed;
 * NULL = none).  Every secret is loaded now, so a missing one is a
 * configuration error before any request.  base_url resolves a relative
 * token_url; http_cfg (may be NULL) configures the client used for token
 * requests.  Returns NULL with *err (caller frees) on failure.
 */
sgp_auth *sgp_auth_new(const json_t *auth, const char *base_url,
		       const struct sgp_http_config *http_cfg, char **err);
void sgp_auth_free(sgp_auth *a);
enum sgp_auth_type sgp_auth_type_of(const sgp_auth *a);
/* "bearer token from environment variable STRIPE_API_KEY" (owned by a). */
const char *sgp_auth_describe(const sgp_auth *a);
/* The signer to give sgp_http_set_signer(); lives as long as a. */
const struct sgp_http_signer *sgp_auth_signer(sgp_auth *a);

/* Parse an auth type name ("bearer", "oauth1", ...); -1 if unknown. */
int sgp_auth_parse_type(const char *s);

/* ---- OAuth 1.0a pieces, exposed for tests ---- */

/* One name/value pair (decoded). */
struct sgp_kv {
	char *name, *value;
};

/* RFC 5849 3.6 percent-encoding (unreserved characters kept). */
void sgp_oauth1_encode(sgp_buf *out, const char *s);

/*
 * The signature base string (RFC 5849 3.4.1) of a request.  body is used
 * only when content_type is application/x-www-form-urlencoded.  params
 * are the oauth_* protocol parameters (realm and oauth_signature, if
 * present, are left out).  Caller frees.
 */
char *sgp_oauth1_base_string(const char *method, const char *url, const char *body,
			     size_t body_len, const char *content_type,
			     const struct sgp_kv *params, size_t nparams);

/* base64 HMAC-SHA256 (or HMAC-SHA1 when sha1 is non-zero) of base with
 * the key encode(consumer_secret) "&" encode(token_secret).  Caller frees. */
char *sgp_oauth1_signature(const char *base, const char *consumer_secret,
			   const char *token_secret, int sha1);

/*
 * The complete Authorization header value ("OAuth realm=...") for a
 * request, with the given nonce and timestamp.  realm may be NULL.
 * Caller frees.
 */
char *sgp_oauth1_header(const char *method, const char *url, const char *body,
			size_t body_len, const char *content_type, const char *realm,
			const char *consumer_key, const char *consumer_secret,
			const char *token, const char *token_secret, const char *nonce,
			const char *timestamp);

#endif
