/* auth.c: see auth.h. */
#include "auth.h"
#include "envelope.h"
#include "log.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>

struct sgp_auth {
	enum sgp_auth_type type;
	char *describe;
	struct sgp_http_signer signer;

	/* bearer: a; basic: a = user, b = password; api_key: a = key;
	 * oauth2: a = client_id, b = client_secret; oauth1: see below */
	char *a, *b;
	char *header, *prefix;              /* api_key */
	/* oauth2 */
	char *token_url, *scope, *audience;
	int client_auth_body;
	char *access_token;
	long long expires_at;               /* monotonic-free: epoch seconds; 0 = unknown */
	struct sgp_http_config http_cfg;
	sgp_http *http;
	/* oauth1 */
	char *realm, *consumer_key, *consumer_secret, *token, *token_secret;
};

static const char *const type_names[] = {
	[SGP_AUTH_NONE] = "none",
	[SGP_AUTH_BEARER] = "bearer",
	[SGP_AUTH_BASIC] = "basic",
	[SGP_AUTH_API_KEY] = "api_key",
	[SGP_AUTH_OAUTH2_CC] = "oauth2_client_credentials",
	[SGP_AUTH_OAUTH1] = "oauth1",
};

int sgp_auth_parse_type(const char *s)
{
	size_t i;

	for (i = 0; i < sizeof type_names / sizeof *type_names; i++)
		if (strcmp(s, type_names[i]) == 0)
			return (int)i;
	return -1;
}

/* ---- secrets ---- */

static char *read_secret_file(const char *path, char **err)
{
	char *full, *data;
	size_t n;
	struct stat st;
	const char *home = getenv("HOME");

	if (strncmp(path, "~/", 2) == 0 && home)
		full = xasprintf("%s/%s", home, path + 2);
	else
		full = xstrdup(path);
	data = NULL;
	{
		FILE *f = fopen(full, "rb");
		sgp_buf b = SGP_BUF_INIT;
		char tmp[4096];
		size_t got;

		if (f == NULL) {
			*err = xasprintf("cannot read secret file '%s': %s", full, strerror(errno));
			free(full);
			return NULL;
		}
		if (fstat(fileno(f), &st) == 0 && (st.st_mode & 077))
			sgp_log(SGP_LOG_WARN, "secret file '%s' is readable by other users", full);
		while ((got = fread(tmp, 1, sizeof tmp, f)) > 0)
			sgp_buf_add(&b, tmp, got);
		fclose(f);
		data = sgp_buf_detach(&b, &n);
		if (data == NULL)
			data = xstrdup("");
	}
	n = strlen(data);
	if (n > 0 && data[n - 1] == '\n')
		data[--n] = '\0';
	if (n > 0 && data[n - 1] == '\r')
		data[--n] = '\0';
	if (n == 0) {
		*err = xasprintf("secret file '%s' is empty", full);
		free(full);
		free(data);
		return NULL;
	}
	free(full);
	return data;
}

char *sgp_secret_load(const json_t *ref, int allow_value, char **where, char **err)
{
	const char *env = sgp_json_str(ref, "env");
	const char *file = sgp_json_str(ref, "file");
	const char *value = sgp_json_str(ref, "value");
	const char *suffix = sgp_json_str(ref, "suffix");
	char *s = NULL, *w = NULL;

	*err = NULL;
	if (!json_is_object(ref)) {
		*err = xstrdup("a secret must be an object with \"env\" or \"file\"");
		return NULL;
	}
	if (value) {
		if (!allow_value) {
			*err = xstrdup("this secret cannot be written in the profile: "
				       "use \"env\" or \"file\"");
			return NULL;
		}
		s = xstrdup(value);
		w = xstrdup("the profile");
	}
	if (s == NULL && env) {
		const char *v = getenv(env);
		if (v && *v) {
			s = xstrdup(v);
			w = xasprintf("environment variable %s", env);
		} else {
			char *fname = xasprintf("%s_FILE", env);
			const char *fv = getenv(fname);
			if (fv && *fv) {
				s = read_secret_file(fv, err);
				if (s == NULL) {
					free(fname);
					return NULL;
				}
				w = xasprintf("file '%s' (from %s)", fv, fname);
			}
			free(fname);
		}
	}
	if (s == NULL && file) {
		s = read_secret_file(file, err);
		if (s == NULL)
			return NULL;
		w = xasprintf("file '%s'", file);
	}
	if (s == NULL) {
		if (env && file)
			*err = xasprintf("environment variable %s is not set and file '%s' "
					 "is missing", env, file);
		else if (env)
			*err = xasprintf("environment variable %s is not set", env);
		else
			*err = xstrdup("a secret must name \"env\" or \"file\"");
		return NULL;
	}
	if (suffix) {
		char *t = xasprintf("%s%s", s, suffix);
		free(s);
		s = t;
	}
	if (!value)
		sgp_log_add_secret(s);
	if (where)
		*where = w;
	else
		free(w);
	return s;
}

/* ---- OAuth 1.0a ---- */

void sgp_oauth1_encode(sgp_buf *out, const char *s)
{
	sgp_url_encode(out, s);
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode application/x-www-form-urlencoded text ('+' is a space). */
static char *form_decode(const char *s, size_t n)
{
	sgp_buf b = SGP_BUF_INIT;
	size_t i;

	sgp_buf_grow(&b, n + 1);
	for (i = 0; i < n; i++) {
		if (s[i] == '+') {
			sgp_buf_addc(&b, ' ');
		} else if (s[i] == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 &&
			   hexval(s[i + 2]) >= 0) {
			sgp_buf_addc(&b, (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2])));
			i += 2;
		} else {
			sgp_buf_addc(&b, s[i]);
		}
	}
	if (b.len == 0) {
		sgp_buf_release(&b);
		return xstrdup("");
	}
	return sgp_buf_detach(&b, NULL);
}

struct pairs {
	struct sgp_kv *v;
	size_t n, cap;
};

static void pairs_add(struct pairs *p, char *name, char *value)
{
	if (p->n == p->cap) {
		p->cap = p->cap ? 2 * p->cap : 16;
		p->v = xreallocarray(p->v, p->cap, sizeof *p->v);
	}
	p->v[p->n].name = name;
	p->v[p->n].value = value;
	p->n++;
}

/* Split "a=1&b=2" into decoded pairs. */
static void pairs_parse(struct pairs *p, const char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		size_t j = i, eq;
		while (j < n && s[j] != '&')
			j++;
		if (j > i) {
			for (eq = i; eq < j && s[eq] != '='; eq++)
				;
			pairs_add(p, form_decode(s + i, eq - i),
				  eq < j ? form_decode(s + eq + 1, j - eq - 1) : xstrdup(""));
		}
		i = j + 1;
	}
}

static void pairs_free(struct pairs *p)
{
	size_t i;

	for (i = 0; i < p->n; i++) {
		free(p->v[i].name);
		free(p->v[i].value);
	}
	free(p->v);
}

static int cmp_encoded(const void *x, const void *y)
{
	const struct sgp_kv *a = x, *b = y;
	int c = strcmp(a->name, b->name);

	return c ? c : strcmp(a->value, b->value);
}

/* RFC 5849 3.4.1.2: lowercase scheme and host, no default port, no query. */
static void base_uri(sgp_buf *out, const char *url)
{
	const char *p = strstr(url, "://"), *host, *end, *path, *colon;
	size_t i, hl;
	int https;

	if (p == NULL) {
		sgp_buf_adds(out, url);
		return;
	}
	for (i = 0; url + i < p; i++)
		sgp_buf_addc(out, (char)tolower((unsigned char)url[i]));
	https = (p - url == 5 && strncasecmp(url, "https", 5) == 0);
	sgp_buf_adds(out, "://");
	host = p + 3;
	end = host + strcspn(host, "/?#");
	path = end;
	/* user info is not part of the base URI */
	{
		const char *at = memchr(host, '@', (size_t)(end - host));
		if (at)
			host = at + 1;
	}
	colon = memchr(host, ':', (size_t)(end - host));
	hl = (size_t)((colon ? colon : end) - host);
	for (i = 0; i < hl; i++)
		sgp_buf_addc(out, (char)tolower((unsigned char)host[i]));
	if (colon) {
		size_t pl = (size_t)(end - colon - 1);
		if (!((https && pl == 3 && strncmp(colon + 1, "443", 3) == 0) ||
		      (!https && pl == 2 && strncmp(colon + 1, "80", 2) == 0)))
			sgp_buf_add(out, colon, (size_t)(end - colon));
	}
	if (*path != '/')
		sgp_buf_addc(out, '/');
	sgp_buf_add(out, path, strcspn(path, "?#"));
}

char *sgp_oauth1_base_string(const char *method, const char *url, const char *body,
			     size_t body_len, const char *content_type,
			     const struct sgp_kv *params, size_t nparams)
{
	struct pairs all = {0}, enc = {0};
	sgp_buf out = SGP_BUF_INIT, tmp = SGP_BUF_INIT, norm = SGP_BUF_INIT;
	const char *q = strchr(url, '?');
	size_t i;

	if (q) {
		size_t qn = strcspn(q + 1, "#");
		pairs_parse(&all, q + 1, qn);
	}
	if (body && content_type &&
	    strncasecmp(content_type, "application/x-www-form-urlencoded", 33) == 0)
		pairs_parse(&all, body, body_len);
	for (i = 0; i < nparams; i++) {
		if (strcmp(params[i].name, "realm") == 0 ||
		    strcmp(params[i].name, "oauth_signature") == 0)
			continue;
		pairs_add(&all, xstrdup(params[i].name), xstrdup(params[i].value));
	}
	for (i = 0; i < all.n; i++) {
		sgp_buf_reset(&tmp);
		sgp_oauth1_encode(&tmp, all.v[i].name);
		char *n = xstrndup(tmp.data ? tmp.data : "", tmp.len);
		sgp_buf_reset(&tmp);
		sgp_oauth1_encode(&tmp, all.v[i].value);
		pairs_add(&enc, n, xstrndup(tmp.data ? tmp.data : "", tmp.len));
	}
	qsort(enc.v, enc.n, sizeof *enc.v, cmp_encoded);
	for (i = 0; i < enc.n; i++) {
		if (i)
			sgp_buf_addc(&norm, '&');
		sgp_buf_adds(&norm, enc.v[i].name);
		sgp_buf_addc(&norm, '=');
		sgp_buf_adds(&norm, enc.v[i].value);
	}
	for (i = 0; method[i]; i++)
		sgp_buf_addc(&out, (char)toupper((unsigned char)method[i]));
	sgp_buf_addc(&out, '&');
	sgp_buf_reset(&tmp);
	base_uri(&tmp, url);
	sgp_buf_addc(&tmp, '\0');
	sgp_oauth1_encode(&out, tmp.data);
	sgp_buf_addc(&out, '&');
	sgp_oauth1_encode(&out, norm.data ? norm.data : "");
	pairs_free(&all);
	pairs_free(&enc);
	sgp_buf_release(&tmp);
	sgp_buf_release(&norm);
	return sgp_buf_detach(&out, NULL);
}

char *sgp_oauth1_signature(const char *base, const char *consumer_secret,
			   const char *token_secret, int sha1)
{
	sgp_buf key = SGP_BUF_INIT, out = SGP_BUF_INIT;
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;

	sgp_oauth1_encode(&key, consumer_secret ? consumer_secret : "");
	sgp_buf_addc(&key, '&');
	sgp_oauth1_encode(&key, token_secret ? token_secret : "");
	if (HMAC(sha1 ? EVP_sha1() : EVP_sha256(), key.data, (int)key.len,
		 (const unsigned char *)base, strlen(base), mac, &maclen) == NULL)
		sgp_die(SGP_EXIT_SYSTEM, "HMAC computation failed");
	sgp_base64_append(&out, mac, maclen);
	/* the key holds secrets: wipe it */
	memset(key.data, 0, key.len);
	sgp_buf_release(&key);
	return sgp_buf_detach(&out, NULL);
}

static void header_param(sgp_buf *h, const char *name, const char *value, int first)
{
	if (!first)
		sgp_buf_adds(h, ", ");
	sgp_buf_adds(h, name);
	sgp_buf_adds(h, "=\"");
	sgp_oauth1_encode(h, value);
	sgp_buf_addc(h, '"');
}

char *sgp_oauth1_header(const char *method, const char *url, const char *body,
			size_t body_len, const char *content_type, const char *realm,
			const char *consumer_key, const char *consumer_secret,
			const char *token, const char *token_secret, const char *nonce,
			const char *timestamp)
{
	struct sgp_kv p[7];
	size_t n = 0, i;
	char *base, *sig;
	sgp_buf h = SGP_BUF_INIT;

	p[n++] = (struct sgp_kv){ (char *)"oauth_consumer_key", (char *)consumer_key };
	p[n++] = (struct sgp_kv){ (char *)"oauth_nonce", (char *)nonce };
	p[n++] = (struct sgp_kv){ (char *)"oauth_signature_method", (char *)"HMAC-SHA256" };
	p[n++] = (struct sgp_kv){ (char *)"oauth_timestamp", (char *)timestamp };
	if (token)
		p[n++] = (struct sgp_kv){ (char *)"oauth_token", (char *)token };
	p[n++] = (struct sgp_kv){ (char *)"oauth_version", (char *)"1.0" };
	base = sgp_oauth1_base_string(method, url, body, body_len, content_type, p, n);
	sig = sgp_oauth1_signature(base, consumer_secret, token_secret, 0);
	sgp_buf_adds(&h, "OAuth ");
	if (realm) {
		/* The realm is quoted as is, as NetSuite expects its account id. */
		sgp_buf_adds(&h, "realm=\"");
		sgp_buf_adds(&h, realm);
		sgp_buf_adds(&h, "\", ");
	}
	for (i = 0; i < n; i++)
		header_param(&h, p[i].name, p[i].value, i == 0);
	header_param(&h, "oauth_signature", sig, 0);
	free(base);
	free(sig);
	return sgp_buf_detach(&h, NULL);
}

/* ---- signing ---- */

static void random_hex(char *out, size_t nbytes)
{
	unsigned char raw[32];
	size_t i, got = 0;
	static const char hex[] = "0123456789abcdef";

	if (nbytes > sizeof raw)
		nbytes = sizeof raw;
	while (got < nbytes) {
		ssize_t k = getrandom(raw + got, nbytes - got, 0);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			sgp_die(SGP_EXIT_SYSTEM, "cannot get random bytes: %s", strerror(errno));
		}
		got += (size_t)k;
	}
	for (i = 0; i < nbytes; i++) {
		out[2 * i] = hex[raw[i] >> 4];
		out[2 * i + 1] = hex[raw[i] & 15];
	}
	out[2 * nbytes] = '\0';
}

static int fetch_token(sgp_auth *a, char **err)
{
	sgp_http_req *r;
	sgp_buf body = SGP_BUF_INIT;
	enum sgp_http_result res;
	const char *resp;
	size_t rlen;
	long status;
	json_t *j, *tok, *exp;
	json_error_t je;

	if (a->http == NULL)
		a->http = sgp_http_new(&a->http_cfg);
	r = sgp_http_req_new("POST", a->token_url);
	sgp_buf_adds(&body, "grant_type=client_credentials");
	if (a->scope) {
		sgp_buf_adds(&body, "&scope=");
		sgp_url_encode(&body, a->scope);
	}
	if (a->audience) {
		sgp_buf_adds(&body, "&audience=");
		sgp_url_encode(&body, a->audience);
	}
	if (a->client_auth_body) {
		sgp_buf_adds(&body, "&client_id=");
		sgp_url_encode(&body, a->a);
		sgp_buf_adds(&body, "&client_secret=");
		sgp_url_encode(&body, a->b);
	} else {
		/* RFC 6749 2.3.1: both parts form-encoded before base64. */
		sgp_buf cred = SGP_BUF_INIT, b64 = SGP_BUF_INIT;
		sgp_url_encode(&cred, a->a);
		sgp_buf_addc(&cred, ':');
		sgp_url_encode(&cred, a->b);
		sgp_buf_adds(&b64, "Basic ");
		sgp_base64_append(&b64, cred.data, cred.len);
		sgp_http_req_set_auth_header(r, "Authorization", b64.data);
		memset(cred.data, 0, cred.len);
		sgp_buf_release(&cred);
		sgp_buf_release(&b64);
	}
	sgp_http_req_header(r, "Accept", "application/json");
	sgp_http_req_body(r, body.data, body.len, "application/x-www-form-urlencoded");
	sgp_http_req_mark_idempotent(r);  /* asking for a token twice is harmless */
	memset(body.data, 0, body.len);
	sgp_buf_release(&body);
	res = sgp_http_perform(a->http, r);
	status = sgp_http_req_status(r);
	if (res != SGP_HTTP_DONE) {
		*err = xasprintf("cannot get an access token from %s: %s", a->token_url,
				 sgp_http_req_error(r));
		sgp_http_req_free(r);
		return -1;
	}
	if (status == 400 || status == 401 || status == 403) {
		*err = xasprintf("the token endpoint %s refused %s (HTTP %ld)", a->token_url,
				 a->describe, status);
		sgp_http_req_free(r);
		return -1;
	}
	if (status < 200 || status > 299) {
		*err = xasprintf("the token endpoint %s answered HTTP %ld", a->token_url, status);
		sgp_http_req_free(r);
		return -1;
	}
	resp = sgp_http_req_response(r, &rlen);
	j = json_loadb(resp, rlen, 0, &je);
	tok = json_object_get(j, "access_token");
	if (!json_is_string(tok) || json_string_length(tok) == 0) {
		*err = xasprintf("the token endpoint %s answered without an access_token",
				 a->token_url);
		json_decref(j);
		sgp_http_req_free(r);
		return -1;
	}
	free(a->access_token);
	a->access_token = xstrdup(json_string_value(tok));
	sgp_log_add_secret(a->access_token);
	exp = json_object_get(j, "expires_in");
	a->expires_at = 0;
	if (json_is_integer(exp) && json_integer_value(exp) > 0)
		a->expires_at = (long long)time(NULL) + json_integer_value(exp) - 30;
	else if (json_is_string(exp)) {
		long long e;
		if (sgp_parse_ll(json_string_value(exp), 1, 100000000, &e) == 0)
			a->expires_at = (long long)time(NULL) + e - 30;
	}
	sgp_log(SGP_LOG_DEBUG, "got an access token from %s", a->token_url);
	json_decref(j);
	sgp_http_req_free(r);
	return 0;
}

static int sign(void *ctx, sgp_http_req *r, char **err)
{
	sgp_auth *a = ctx;
	sgp_buf v = SGP_BUF_INIT;

	switch (a->type) {
	case SGP_AUTH_NONE:
		return 0;
	case SGP_AUTH_BEARER:
		sgp_buf_adds(&v, "Bearer ");
		sgp_buf_adds(&v, a->a);
		sgp_http_req_set_auth_header(r, "Authorization", v.data);
		break;
	case SGP_AUTH_BASIC: {
		sgp_buf cred = SGP_BUF_INIT;
		sgp_buf_adds(&cred, a->a);
		sgp_buf_addc(&cred, ':');
		sgp_buf_adds(&cred, a->b ? a->b : "");
		sgp_buf_adds(&v, "Basic ");
		sgp_base64_append(&v, cred.data, cred.len);
		memset(cred.data, 0, cred.len);
		sgp_buf_release(&cred);
		sgp_http_req_set_auth_header(r, "Authorization", v.data);
		break;
	}
	case SGP_AUTH_API_KEY:
		if (a->prefix)
			sgp_buf_adds(&v, a->prefix);
		sgp_buf_adds(&v, a->a);
		sgp_http_req_set_auth_header(r, a->header, v.data);
		break;
	case SGP_AUTH_OAUTH2_CC:
		if (a->access_token == NULL ||
		    (a->expires_at > 0 && (long long)time(NULL) >= a->expires_at)) {
			if (fetch_token(a, err) < 0)
				return -1;
		}
		sgp_buf_adds(&v, "Bearer ");
		sgp_buf_adds(&v, a->access_token);
		sgp_http_req_set_auth_header(r, "Authorization", v.data);
		break;
	case SGP_AUTH_OAUTH1: {
		char nonce[33], ts[24];
		size_t blen;
		const char *body = sgp_http_req_body_data(r, &blen);
		char *h;

		random_hex(nonce, 16);
		snprintf(ts, sizeof ts, "%lld", (long long)time(NULL));
		h = sgp_oauth1_header(sgp_http_req_method(r), sgp_http_req_url(r), body, blen,
				      sgp_http_req_content_type(r), a->realm, a->consumer_key,
				      a->consumer_secret, a->token, a->token_secret, nonce, ts);
		sgp_http_req_set_auth_header(r, "Authorization", h);
		free(h);
		break;
	}
	}
	if (v.data)
		memset(v.data, 0, v.len);
	sgp_buf_release(&v);
	return 0;
}

static int renew(void *ctx, char **err)
{
	sgp_auth *a = ctx;

	if (a->type != SGP_AUTH_OAUTH2_CC)
		return 0;
	sgp_log(SGP_LOG_INFO, "access token refused; getting a new one from %s", a->token_url);
	free(a->access_token);
	a->access_token = NULL;
	if (fetch_token(a, err) < 0)
		return -1;
	return 1;
}

/* ---- construction ---- */

/* Load member key of auth as a secret into *out; appends where to desc. */
static int load(const json_t *auth, const char *key, int required, int allow_value,
		char **out, sgp_buf *desc, char **err)
{
	const json_t *ref = json_object_get(auth, key);
	char *where = NULL, *e = NULL;

	*out = NULL;
	if (ref == NULL) {
		if (!required)
			return 0;
		*err = xasprintf("auth: \"%s\" is required", key);
		return -1;
	}
	if (json_is_string(ref) && allow_value) {
		*out = xstrdup(json_string_value(ref));
		return 0;
	}
	*out = sgp_secret_load(ref, allow_value, &where, &e);
	if (*out == NULL) {
		*err = xasprintf("auth: %s: %s", key, e);
		free(e);
		return -1;
	}
	if (desc && where && strcmp(where, "the profile") != 0) {
		static const char ev[] = "environment variable ";
		if (desc->len == 0) {
			sgp_buf_adds(desc, where);
		} else if (strncmp(desc->data, ev, sizeof ev - 1) == 0 &&
			   strncmp(where, ev, sizeof ev - 1) == 0) {
			/* "environment variables A, B and C" */
			char *prev = xstrdup(desc->data + sizeof ev - 1), *and;
			sgp_buf_reset(desc);
			sgp_buf_adds(desc, "environment variables ");
			and = strstr(prev, " and ");
			if (and) {
				*and = '\0';
				sgp_buf_addf(desc, "%s, %s and %s", prev, and + 5, where + sizeof ev - 1);
			} else {
				sgp_buf_addf(desc, "%s and %s", prev, where + sizeof ev - 1);
			}
			free(prev);
		} else {
			sgp_buf_adds(desc, " and ");
			sgp_buf_adds(desc, where);
		}
	}
	free(where);
	return 0;
}

sgp_auth *sgp_auth_new(const json_t *auth, const char *base_url,
		       const struct sgp_http_config *http_cfg, char **err)
{
	sgp_auth *a = xcalloc(1, sizeof *a);
	const char *type = auth ? sgp_json_str(auth, "type") : "none";
	sgp_buf desc = SGP_BUF_INIT;
	int t, rc = 0;

	*err = NULL;
	a->signer.sign = sign;
	a->signer.renew = renew;
	a->signer.ctx = a;
	if (http_cfg)
		a->http_cfg = *http_cfg;
	a->http_cfg.rps = 0;
	a->http_cfg.remaining_header = NULL;
	a->http_cfg.reset_header = NULL;
	if (auth && !json_is_object(auth)) {
		*err = xstrdup("auth must be an object");
		goto fail;
	}
	if (type == NULL || (t = sgp_auth_parse_type(type)) < 0) {
		*err = xasprintf("auth: unknown type '%s' (bearer, basic, api_key, "
				 "oauth2_client_credentials, oauth1 or none)", type ? type : "");
		goto fail;
	}
	a->type = (enum sgp_auth_type)t;
	switch (a->type) {
	case SGP_AUTH_NONE:
		break;
	case SGP_AUTH_BEARER:
		rc = load(auth, "token", 1, 0, &a->a, &desc, err);
		break;
	case SGP_AUTH_BASIC:
		rc = load(auth, "username", 1, 1, &a->a, &desc, err);
		if (rc == 0)
			rc = load(auth, "password", 0, 0, &a->b, &desc, err);
		if (rc == 0 && a->a[0] == '\0') {
			*err = xstrdup("auth: username is empty");
			rc = -1;
		}
		break;
	case SGP_AUTH_API_KEY: {
		const char *h = sgp_json_str(auth, "header");
		const char *p = sgp_json_str(auth, "prefix");
		if (h == NULL) {
			*err = xstrdup("auth: \"header\" is required for api_key");
			rc = -1;
			break;
		}
		a->header = xstrdup(h);
		a->prefix = p ? xstrdup(p) : NULL;
		rc = load(auth, "key", 1, 0, &a->a, &desc, err);
		break;
	}
	case SGP_AUTH_OAUTH2_CC: {
		const char *u = sgp_json_str(auth, "token_url");
		const char *ca = sgp_json_str(auth, "client_auth");
		if (u == NULL) {
			*err = xstrdup("auth: \"token_url\" is required for oauth2_client_credentials");
			rc = -1;
			break;
		}
		if (ca && strcmp(ca, "basic") != 0 && strcmp(ca, "body") != 0) {
			*err = xasprintf("auth: client_auth must be \"basic\" or \"body\", not '%s'", ca);
			rc = -1;
			break;
		}
		a->client_auth_body = ca && strcmp(ca, "body") == 0;
		a->token_url = base_url ? sgp_url_join_base(base_url, u) : xstrdup(u);
		if (sgp_json_str(auth, "scope"))
			a->scope = xstrdup(sgp_json_str(auth, "scope"));
		if (sgp_json_str(auth, "audience"))
			a->audience = xstrdup(sgp_json_str(auth, "audience"));
		rc = load(auth, "client_id", 1, 1, &a->a, &desc, err);
		if (rc == 0)
			rc = load(auth, "client_secret", 1, 0, &a->b, &desc, err);
		break;
	}
	case SGP_AUTH_OAUTH1:
		rc = load(auth, "realm", 0, 1, &a->realm, NULL, err);
		if (rc == 0)
			rc = load(auth, "consumer_key", 1, 1, &a->consumer_key, &desc, err);
		if (rc == 0)
			rc = load(auth, "consumer_secret", 1, 0, &a->consumer_secret, &desc, err);
		if (rc == 0)
			rc = load(auth, "token", 1, 1, &a->token, &desc, err);
		if (rc == 0)
			rc = load(auth, "token_secret", 1, 0, &a->token_secret, &desc, err);
		if (rc == 0) {
			const char *m = sgp_json_str(auth, "signature_method");
			if (m && strcmp(m, "HMAC-SHA256") != 0) {
				*err = xasprintf("auth: signature_method '%s' is not supported "
						 "(HMAC-SHA256)", m);
				rc = -1;
			}
		}
		break;
	}
	if (rc < 0)
		goto fail;
	{
		static const char *const what[] = {
			[SGP_AUTH_NONE] = "no credentials",
			[SGP_AUTH_BEARER] = "the token",
			[SGP_AUTH_BASIC] = "the user name and password",
			[SGP_AUTH_API_KEY] = "the API key",
			[SGP_AUTH_OAUTH2_CC] = "the client credentials",
			[SGP_AUTH_OAUTH1] = "the OAuth 1.0a token",
		};
		if (a->type == SGP_AUTH_NONE)
			a->describe = xstrdup(what[a->type]);
		else
			a->describe = xasprintf("%s from %s", what[a->type],
						desc.len ? desc.data : "the profile");
	}
	sgp_buf_release(&desc);
	return a;
fail:
	sgp_buf_release(&desc);
	sgp_auth_free(a);
	return NULL;
}

static void wipe_free(char *s)
{
	if (s) {
		memset(s, 0, strlen(s));
		free(s);
	}
}

void sgp_auth_free(sgp_auth *a)
{
	if (a == NULL)
		return;
	sgp_http_free(a->http);
	wipe_free(a->a);
	wipe_free(a->b);
	wipe_free(a->access_token);
	wipe_free(a->consumer_secret);
	wipe_free(a->token_secret);
	wipe_free(a->token);
	free(a->consumer_key);
	free(a->realm);
	free(a->header);
	free(a->prefix);
	free(a->token_url);
	free(a->scope);
	free(a->audience);
	free(a->describe);
	free(a);
}

enum sgp_auth_type sgp_auth_type_of(const sgp_auth *a)
{
	return a->type;
}

const char *sgp_auth_describe(const sgp_auth *a)
{
	return a->describe;
}

const struct sgp_http_signer *sgp_auth_signer(sgp_auth *a)
{
	return &a->signer;
}
