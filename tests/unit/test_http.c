/* test_http.c: unit tests for http.c and the OAuth 1.0a signing of auth.c,
 * against a small scripted HTTP server on 127.0.0.1 in a thread. */
#include "unit.h"
#include "auth.h"
#include "http.h"
#include "log.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

/* ---- the scripted server ---- */

enum { ACT_REPLY, ACT_DROP, ACT_SLEEP_REPLY };

struct step {
	int act;
	int status;
	const char *headers;   /* extra header lines, each ending in \r\n */
	const char *body;
	int sleep_ms;
};

static struct {
	pthread_mutex_t mu;
	int fd;
	int port;
	const struct step *script;
	size_t nscript, next;
	int accepts;
	int requests;
	char last_auth[512];
	char last_target[512];
	char last_method[16];
	char last_body[512];
} srv = { .mu = PTHREAD_MUTEX_INITIALIZER };

static void set_script(const struct step *s, size_t n)
{
	pthread_mutex_lock(&srv.mu);
	srv.script = s;
	srv.nscript = n;
	srv.next = 0;
	srv.requests = 0;
	srv.accepts = 0;
	srv.last_auth[0] = '\0';
	pthread_mutex_unlock(&srv.mu);
}

static void copy_header(const char *req, const char *name, char *out, size_t n)
{
	const char *p = strcasestr(req, name);
	size_t k = 0;

	out[0] = '\0';
	if (p == NULL)
		return;
	p += strlen(name);
	while (*p == ' ')
		p++;
	while (p[k] && p[k] != '\r' && k + 1 < n) {
		out[k] = p[k];
		k++;
	}
	out[k] = '\0';
}

static void *conn_main(void *arg)
{
	int fd = (int)(intptr_t)arg;
	char buf[65536];
	size_t have = 0;

	for (;;) {
		char *end;
		ssize_t k;
		long clen = 0;
		struct step st = { ACT_REPLY, 200, "", "{}", 0 };
		char *cl;
		size_t hlen;

		while ((end = memmem(buf, have, "\r\n\r\n", 4)) == NULL) {
			k = read(fd, buf + have, sizeof buf - 1 - have);
			if (k <= 0)
				goto out;
			have += (size_t)k;
		}
		buf[have] = '\0';
		hlen = (size_t)(end - buf) + 4;
		cl = strcasestr(buf, "\r\nContent-Length:");
		if (cl && cl < end)
			clen = strtol(cl + 17, NULL, 10);
		while (have < hlen + (size_t)clen) {
			k = read(fd, buf + have, sizeof buf - 1 - have);
			if (k <= 0)
				goto out;
			have += (size_t)k;
		}
		pthread_mutex_lock(&srv.mu);
		srv.requests++;
		copy_header(buf, "\r\nAuthorization:", srv.last_auth, sizeof srv.last_auth);
		sscanf(buf, "%15s %511s", srv.last_method, srv.last_target);
		snprintf(srv.last_body, sizeof srv.last_body, "%.*s", (int)clen, buf + hlen);
		if (srv.next < srv.nscript)
			st = srv.script[srv.next++];
		pthread_mutex_unlock(&srv.mu);
		memmove(buf, buf + hlen + clen, have - hlen - (size_t)clen);
		have -= hlen + (size_t)clen;
		if (st.act == ACT_DROP)
			goto out;
		if (st.act == ACT_SLEEP_REPLY)
			usleep((useconds_t)st.sleep_ms * 1000);
		{
			char out[8192];
			int n = snprintf(out, sizeof out,
					 "HTTP/1.1 %d X\r\nContent-Length: %zu\r\n"
					 "Content-Type: application/json\r\n%s\r\n%s",
					 st.status, strlen(st.body), st.headers ? st.headers : "",
					 st.body);
			if (write(fd, out, (size_t)n) < 0)
				goto out;
		}
	}
out:
	close(fd);
	return NULL;
}

static void *server_main(void *arg)
{
	for (;;) {
		int c = accept(srv.fd, NULL, NULL);
		pthread_t t;

		if (c < 0)
			continue;
		pthread_mutex_lock(&srv.mu);
		srv.accepts++;
		pthread_mutex_unlock(&srv.mu);
		pthread_create(&t, NULL, conn_main, (void *)(intptr_t)c);
		pthread_detach(t);
	}
	return NULL;
}

static void start_server(void)
{
	struct sockaddr_in a = { 0 };
	socklen_t len = sizeof a;
	pthread_t t;
	int one = 1;

	srv.fd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(srv.fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(srv.fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(srv.fd, 16) < 0) {
		perror("test server");
		exit(1);
	}
	getsockname(srv.fd, (struct sockaddr *)&a, &len);
	srv.port = ntohs(a.sin_port);
	pthread_create(&t, NULL, server_main, NULL);
	pthread_detach(t);
}

static char *url(const char *path)
{
	return xasprintf("http://127.0.0.1:%d%s", srv.port, path);
}

static sgp_http *client(int attempts)
{
	struct sgp_http_config cfg = { 0 };

	cfg.max_attempts = attempts;
	cfg.backoff_ms = 5;
	cfg.backoff_max_ms = 20;
	cfg.timeout_ms = 2000;
	cfg.max_in_flight = 2;
	return sgp_http_new(&cfg);
}

static enum sgp_http_result get(sgp_http *c, const char *path, sgp_http_req **out)
{
	char *u = url(path);
	sgp_http_req *r = sgp_http_req_new("GET", u);
	enum sgp_http_result res = sgp_http_perform(c, r);

	free(u);
	*out = r;
	return res;
}

/* ---- tests ---- */

TEST(get_ok_and_connection_reused)
{
	static const struct step s[] = {
		{ ACT_REPLY, 200, "X-Test: one\r\n", "{\"a\":1}", 0 },
		{ ACT_REPLY, 200, "", "{\"a\":2}", 0 },
	};
	sgp_http *c = client(3);
	sgp_http_req *r;
	size_t n;

	set_script(s, 2);
	CHECK_INT(get(c, "/x?y=1", &r), SGP_HTTP_DONE);
	CHECK_INT(sgp_http_req_status(r), 200);
	CHECK_STR(sgp_http_req_response(r, &n), "{\"a\":1}");
	CHECK_INT(n, 7);
	CHECK_STR(sgp_http_req_response_header(r, "x-test"), "one");
	CHECK_INT(sgp_http_req_attempts(r), 1);
	CHECK_STR(srv.last_target, "/x?y=1");
	sgp_http_req_free(r);
	CHECK_INT(get(c, "/x", &r), SGP_HTTP_DONE);
	CHECK_STR(sgp_http_req_response(r, NULL), "{\"a\":2}");
	sgp_http_req_free(r);
	CHECK_INT(srv.accepts, 1);
	sgp_http_free(c);
}

TEST(retries_5xx_and_dropped_connections)
{
	static const struct step s[] = {
		{ ACT_REPLY, 503, "", "busy", 0 },
		{ ACT_DROP, 0, NULL, NULL, 0 },
		{ ACT_REPLY, 502, "", "bad gateway", 0 },
		{ ACT_REPLY, 200, "", "[1]", 0 },
	};
	sgp_http *c = client(5);
	sgp_http_req *r;

	set_script(s, 4);
	CHECK_INT(get(c, "/", &r), SGP_HTTP_DONE);
	CHECK_INT(sgp_http_req_status(r), 200);
	CHECK_STR(sgp_http_req_response(r, NULL), "[1]");
	/* libcurl itself resends once on a kept-alive connection that the
	 * server closed, so the drop may cost no attempt of ours. */
	CHECK(sgp_http_req_attempts(r) >= 3);
	CHECK_INT(srv.requests, 4);
	sgp_http_req_free(r);
	sgp_http_free(c);
}

TEST(retry_after_and_429)
{
	static const struct step s[] = {
		{ ACT_REPLY, 429, "Retry-After: 0\r\n", "slow down", 0 },
		{ ACT_REPLY, 429, "", "slow down", 0 },
		{ ACT_REPLY, 200, "", "ok", 0 },
	};
	sgp_http *c = client(5);
	sgp_http_req *r;

	set_script(s, 3);
	CHECK_INT(get(c, "/", &r), SGP_HTTP_DONE);
	CHECK_INT(sgp_http_req_status(r), 200);
	CHECK_INT(sgp_http_req_attempts(r), 3);
	CHECK_INT(sgp_http_get_stats(c)->rate_limited, 2);
	sgp_http_req_free(r);
	sgp_http_free(c);
}

TEST(retry_after_longer_than_allowed_gives_up)
{
	static const struct step s[] = {
		{ ACT_REPLY, 429, "Retry-After: 3600\r\n", "later", 0 },
	};
	struct sgp_http_config cfg = { 0 };
	sgp_http *c;
	sgp_http_req *r;

	cfg.retry_after_max_ms = 1000;
	c = sgp_http_new(&cfg);
	set_script(s, 1);
	CHECK_INT(get(c, "/", &r), SGP_HTTP_EXHAUSTED);
	CHECK_INT(sgp_http_req_status(r), 429);
	CHECK(strstr(sgp_http_req_error(r), "3600") != NULL);
	CHECK_INT(srv.requests, 1);
	sgp_http_req_free(r);
	sgp_http_free(c);
}

TEST(permanent_4xx_not_retried)
{
	static const struct step s[] = {
		{ ACT_REPLY, 404, "", "{\"error\":\"no such\"}", 0 },
	};
	sgp_http *c = client(5);
	sgp_http_req *r;

	set_script(s, 1);
	CHECK_INT(get(c, "/", &r), SGP_HTTP_DONE);
	CHECK_INT(sgp_http_req_status(r), 404);
	CHECK_INT(sgp_http_req_attempts(r), 1);
	CHECK_STR(sgp_http_req_response(r, NULL), "{\"error\":\"no such\"}");
	sgp_http_req_free(r);
	sgp_http_free(c);
}

TEST(exhausted_after_max_attempts)
{
	static const struct step s[] = {
		{ ACT_REPLY, 500, "", "e", 0 },
		{ ACT_REPLY, 500, "", "e", 0 },
		{ ACT_REPLY, 500, "", "e", 0 },
		{ ACT_REPLY, 200, "", "never", 0 },
	};
	sgp_http *c = client(3);
	sgp_http_req *r;

	set_script(s, 4);
	CHECK_INT(get(c, "/", &r), SGP_HTTP_EXHAUSTED);
	CHECK_INT(sgp_http_req_status(r), 500);
	CHECK_STR(sgp_http_req_error(r), "HTTP 500 after 3 attempts");
	CHECK_INT(srv.requests, 3);
	sgp_http_req_free(r);
	sgp_http_free(c);
}

TEST(post_without_idempotency_not_retried_on_500)
{
	static const struct step s[] = {
		{ ACT_REPLY, 500, "", "e", 0 },
		{ ACT_REPLY, 201, "", "created", 0 },
	};
	sgp_http *c = client(5);
	char *u = url("/things");
	sgp_http_req *r = sgp_http_req_new("POST", u);

	set_script(s, 2);
	sgp_http_req_body(r, "{\"x\":1}", 7, "application/json");
	CHECK_INT(sgp_http_perform(c, r), SGP_HTTP_EXHAUSTED);
	CHECK_INT(srv.requests, 1);
	CHECK_STR(srv.last_body, "{\"x\":1}");
	CHECK_STR(srv.last_method, "POST");
	/* With an idempotency key it may be retried. */
	sgp_http_req_free(r);
	set_script(s, 2);
	r = sgp_http_req_new("POST", u);
	sgp_http_req_body(r, "{\"x\":1}", 7, "application/json");
	sgp_http_req_mark_idempotent(r);
	CHECK_INT(sgp_http_perform(c, r), SGP_HTTP_DONE);
	CHECK_INT(sgp_http_req_status(r), 201);
	CHECK_INT(srv.requests, 2);
	sgp_http_req_free(r);
	free(u);
	sgp_http_free(c);
}

TEST(timeout_retried)
{
	static const struct step s[] = {
		{ ACT_SLEEP_REPLY, 200, "", "late", 600 },
		{ ACT_REPLY, 200, "", "on time", 0 },
	};
	struct sgp_http_config cfg = { 0 };
	sgp_http *c;
	sgp_http_req *r;

	cfg.timeout_ms = 200;
	cfg.backoff_ms = 5;
	c = sgp_http_new(&cfg);
	set_script(s, 2);
	CHECK_INT(get(c, "/", &r), SGP_HTTP_DONE);
	CHECK_STR(sgp_http_req_response(r, NULL), "on time");
	CHECK_INT(sgp_http_req_attempts(r), 2);
	sgp_http_req_free(r);
	sgp_http_free(c);
}

TEST(connection_refused_exhausts)
{
	sgp_http *c = client(2);
	sgp_http_req *r;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { 0 };
	socklen_t len = sizeof a;
	char *u;

	/* A port that was free a moment ago: bound, never listened on. */
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bind(fd, (struct sockaddr *)&a, sizeof a);
	getsockname(fd, (struct sockaddr *)&a, &len);
	u = xasprintf("http://127.0.0.1:%d/", ntohs(a.sin_port));
	r = sgp_http_req_new("GET", u);
	CHECK_INT(sgp_http_perform(c, r), SGP_HTTP_EXHAUSTED);
	CHECK_INT(sgp_http_req_status(r), 0);
	CHECK_INT(sgp_http_req_attempts(r), 2);
	CHECK(strstr(sgp_http_req_error(r), "after 2 attempts") != NULL);
	close(fd);
	free(u);
	sgp_http_req_free(r);
	sgp_http_free(c);
}

static int signs, renews;

static int test_sign(void *ctx, sgp_http_req *r, char **err)
{
	char v[32];

	snprintf(v, sizeof v, "Bearer tok%d", renews);
	signs++;
	sgp_http_req_set_auth_header(r, "Authorization", v);
	return 0;
}

static int test_renew(void *ctx, char **err)
{
	renews++;
	return 1;
}

TEST(signer_called_per_attempt_and_renewed_once_on_401)
{
	static const struct step s[] = {
		{ ACT_REPLY, 503, "", "e", 0 },
		{ ACT_REPLY, 401, "", "expired", 0 },
		{ ACT_REPLY, 200, "", "ok", 0 },
		{ ACT_REPLY, 401, "", "no", 0 },
		{ ACT_REPLY, 401, "", "still no", 0 },
	};
	struct sgp_http_signer sg = { test_sign, test_renew, NULL };
	sgp_http *c = client(5);
	sgp_http_req *r;

	sgp_http_set_signer(c, &sg);
	set_script(s, 5);
	CHECK_INT(get(c, "/", &r), SGP_HTTP_DONE);
	CHECK_INT(sgp_http_req_status(r), 200);
	CHECK_INT(signs, 3);
	CHECK_INT(renews, 1);
	CHECK_STR(srv.last_auth, "Bearer tok1");
	sgp_http_req_free(r);
	/* A second 401 after the renewal is final. */
	CHECK_INT(get(c, "/", &r), SGP_HTTP_DONE);
	CHECK_INT(sgp_http_req_status(r), 401);
	CHECK_INT(renews, 2);
	CHECK_STR(sgp_http_req_response(r, NULL), "still no");
	sgp_http_req_free(r);
	sgp_http_free(c);
}

TEST(concurrent_requests_finish)
{
	static const struct step s[] = {
		{ ACT_REPLY, 200, "", "a", 0 }, { ACT_REPLY, 200, "", "b", 0 },
		{ ACT_REPLY, 200, "", "c", 0 }, { ACT_REPLY, 200, "", "d", 0 },
	};
	sgp_http *c = client(3);
	sgp_http_req *r;
	int i, n = 0;
	char seen[5] = "";

	set_script(s, 4);
	for (i = 0; i < 4; i++) {
		char *u = url("/");
		sgp_http_submit(c, sgp_http_req_new("GET", u));
		free(u);
	}
	while ((r = sgp_http_next(c)) != NULL) {
		CHECK_INT(sgp_http_req_status(r), 200);
		seen[n++] = sgp_http_req_response(r, NULL)[0];
		sgp_http_req_free(r);
	}
	CHECK_INT(n, 4);
	CHECK(strchr(seen, 'a') && strchr(seen, 'b') && strchr(seen, 'c') && strchr(seen, 'd'));
	CHECK(srv.accepts <= 2);
	sgp_http_free(c);
}

TEST(rate_limit_remaining_zero_pauses)
{
	static const struct step s[] = {
		{ ACT_REPLY, 200, "X-RateLimit-Remaining: 0\r\nX-RateLimit-Reset: 0\r\n", "a", 0 },
		{ ACT_REPLY, 200, "X-RateLimit-Remaining: 5\r\n", "b", 0 },
	};
	struct sgp_http_config cfg = { 0 };
	sgp_http *c;
	sgp_http_req *r;

	cfg.remaining_header = "X-RateLimit-Remaining";
	cfg.reset_header = "X-RateLimit-Reset";
	cfg.reset_kind = SGP_RESET_SECONDS;
	c = sgp_http_new(&cfg);
	set_script(s, 2);
	CHECK_INT(get(c, "/", &r), SGP_HTTP_DONE);
	sgp_http_req_free(r);
	CHECK_INT(sgp_http_get_stats(c)->rate_limited, 1);
	CHECK_INT(get(c, "/", &r), SGP_HTTP_DONE);
	CHECK_STR(sgp_http_req_response(r, NULL), "b");
	sgp_http_req_free(r);
	sgp_http_free(c);
}

TEST(link_header_next)
{
	char *n;

	n = sgp_link_next("<https://x.service-now.com/api/now/table/incident?sysparm_offset=0>;"
			  "rel=\"first\",<https://x/api?sysparm_offset=20&sysparm_limit=10>;rel=\"next\","
			  "<https://x/last>;rel=\"last\"");
	CHECK_STR(n, "https://x/api?sysparm_offset=20&sysparm_limit=10");
	free(n);
	n = sgp_link_next("<https://a/b?page=2>; rel=\"prev next\"");
	CHECK_STR(n, "https://a/b?page=2");
	free(n);
	CHECK(sgp_link_next("<https://a/b?page=1>; rel=\"prev\"") == NULL);
	CHECK(sgp_link_next(NULL) == NULL);
	n = sgp_link_next("<https://a/b?x=1,2>; rel=next");
	CHECK_STR(n, "https://a/b?x=1,2");
	free(n);
}

TEST(url_helpers)
{
	char *u;
	sgp_buf b = SGP_BUF_INIT;

	u = sgp_url_resolve("http://h:1/salesforce", "/salesforce/services/data/v59.0/query/01g-2000");
	CHECK_STR(u, "http://h:1/salesforce/services/data/v59.0/query/01g-2000");
	free(u);
	u = sgp_url_resolve("http://h:1/a/b?x=1", "c?y=2");
	CHECK_STR(u, "http://h:1/a/c?y=2");
	free(u);
	u = sgp_url_resolve("http://h:1", "https://other/x");
	CHECK_STR(u, "https://other/x");
	free(u);
	sgp_buf_adds(&b, "http://h/v1/invoices");
	sgp_url_add_query(&b, "created[gte]", "1732646400");
	sgp_url_add_query(&b, "q", "a b&c/é");
	CHECK_STR(b.data, "http://h/v1/invoices?created%5Bgte%5D=1732646400&q=a%20b%26c%2F%C3%A9");
	sgp_buf_release(&b);
	CHECK_INT(sgp_retry_after_seconds("120", 0), 120);
	CHECK_INT(sgp_retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT", 1445412470LL), 10);
	CHECK_INT(sgp_retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT", 1445412490LL), 0);
	CHECK_INT(sgp_retry_after_seconds("soon", 0), -1);
}

/* RFC 5849 section 3.4.1.1's request; the HMAC-SHA256 signature was
 * computed independently by the sandbox's Python verifier (oauth1.py). */
TEST(oauth1_base_string_and_signature)
{
	struct sgp_kv p[] = {
		{ "realm", "Example" },
		{ "oauth_consumer_key", "9djdj82h48djs9d2" },
		{ "oauth_token", "kkk9d7dh3k39sjv7" },
		{ "oauth_signature_method", "HMAC-SHA256" },
		{ "oauth_timestamp", "137131201" },
		{ "oauth_nonce", "7d8f3e4a" },
	};
	const char *body = "c2&a3=2+q";
	char *base, *sig;

	base = sgp_oauth1_base_string("post", "http://EXAMPLE.com:80/request?b5=%3D%253D&a3=a&c%40=&a2=r%20b",
				      body, strlen(body), "application/x-www-form-urlencoded", p, 6);
	CHECK_STR(base, "POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q"
		  "%26a3%3Da%26b5%3D%253D%25253D%26c%2540%3D%26c2%3D%26oauth_consumer_key%3D9dj"
		  "dj82h48djs9d2%26oauth_nonce%3D7d8f3e4a%26oauth_signature_method%3DHMAC-SHA256"
		  "%26oauth_timestamp%3D137131201%26oauth_token%3Dkkk9d7dh3k39sjv7");
	sig = sgp_oauth1_signature(base, "j49sk3j29djd", "dh893hdasih9", 0);
	CHECK_STR(sig, "ypAxjNip++Dm0fTM+gCl8wAo6ufSnseu1WHxL7py3BU=");
	free(sig);
	free(base);
}

/* RFC 5849 section 1.2's example, which is HMAC-SHA1. */
TEST(oauth1_rfc_example_sha1)
{
	struct sgp_kv p[] = {
		{ "oauth_consumer_key", "dpf43f3p2l4k3l03" },
		{ "oauth_token", "nnch734d00sl2jdk" },
		{ "oauth_nonce", "chapoH" },
		{ "oauth_timestamp", "137131202" },
		{ "oauth_signature_method", "HMAC-SHA1" },
	};
	char *base = sgp_oauth1_base_string("GET",
		"http://photos.example.net/photos?file=vacation.jpg&size=original", NULL, 0, NULL, p, 5);
	char *sig = sgp_oauth1_signature(base, "kd94hf93k423kf44", "pfkkdhi9sl3r4s00", 1);

	CHECK_STR(sig, "MdpQcU8iPSUjWoN/UDMsK2sui9I=");
	free(sig);
	free(base);
}

TEST(oauth1_header_shape)
{
	char *h = sgp_oauth1_header("GET", "https://123456.suitetalk.api.netsuite.com/services/rest/"
				    "record/v1/invoice?limit=2&offset=0", NULL, 0, NULL, "123456_SB1",
				    "ck", "cs", "tk", "ts", "abc", "1700000000");
	char *base;
	struct sgp_kv p[] = {
		{ "oauth_consumer_key", "ck" }, { "oauth_nonce", "abc" },
		{ "oauth_signature_method", "HMAC-SHA256" }, { "oauth_timestamp", "1700000000" },
		{ "oauth_token", "tk" }, { "oauth_version", "1.0" },
	};
	char *sig, want[256];
	sgp_buf enc = SGP_BUF_INIT;

	base = sgp_oauth1_base_string("GET", "https://123456.suitetalk.api.netsuite.com/services/rest/"
				      "record/v1/invoice?limit=2&offset=0", NULL, 0, NULL, p, 6);
	sig = sgp_oauth1_signature(base, "cs", "ts", 0);
	sgp_oauth1_encode(&enc, sig);
	snprintf(want, sizeof want, "OAuth realm=\"123456_SB1\", oauth_consumer_key=\"ck\", "
		 "oauth_nonce=\"abc\", oauth_signature_method=\"HMAC-SHA256\", "
		 "oauth_timestamp=\"1700000000\", oauth_token=\"tk\", oauth_version=\"1.0\", "
		 "oauth_signature=\"%s\"", enc.data);
	CHECK_STR(h, want);
	sgp_buf_release(&enc);
	free(sig);
	free(base);
	free(h);
}

TEST(secret_from_env_and_file)
{
	json_t *ref = json_pack("{s:s}", "env", "SGP_TEST_SECRET_X");
	char *err = NULL, *where = NULL, *s;
	char path[] = "/tmp/sgp-test-secret-XXXXXX";
	int fd;

	unsetenv("SGP_TEST_SECRET_X");
	unsetenv("SGP_TEST_SECRET_X_FILE");
	CHECK(sgp_secret_load(ref, 0, &where, &err) == NULL);
	CHECK_STR(err, "environment variable SGP_TEST_SECRET_X is not set");
	free(err);
	setenv("SGP_TEST_SECRET_X", "sk_test_12345", 1);
	s = sgp_secret_load(ref, 0, &where, &err);
	CHECK_STR(s, "sk_test_12345");
	CHECK_STR(where, "environment variable SGP_TEST_SECRET_X");
	{
		char *red = sgp_redact("key is sk_test_12345 here");
		CHECK_STR(red, "key is [REDACTED] here");
		free(red);
	}
	free(s);
	free(where);
	unsetenv("SGP_TEST_SECRET_X");
	fd = mkstemp(path);
	CHECK(write(fd, "from-a-file\n", 12) == 12);
	close(fd);
	setenv("SGP_TEST_SECRET_X_FILE", path, 1);
	s = sgp_secret_load(ref, 0, NULL, &err);
	CHECK_STR(s, "from-a-file");
	free(s);
	unsetenv("SGP_TEST_SECRET_X_FILE");
	json_decref(ref);
	ref = json_pack("{s:s}", "value", "literal");
	CHECK(sgp_secret_load(ref, 0, NULL, &err) == NULL);
	free(err);
	s = sgp_secret_load(ref, 1, NULL, &err);
	CHECK_STR(s, "literal");
	free(s);
	json_decref(ref);
	unlink(path);
	sgp_log_clear_secrets();
}

TEST(basic_auth_header)
{
	json_t *a = json_pack("{s:s,s:{s:s,s:s},s:{s:s}}", "type", "basic", "username", "env",
			      "SGP_TEST_USER", "suffix", "/token", "password", "env", "SGP_TEST_PW");
	char *err = NULL;
	sgp_auth *au;
	sgp_http *c = client(1);
	sgp_http_req *r;
	static const struct step s[] = { { ACT_REPLY, 200, "", "ok", 0 } };

	setenv("SGP_TEST_USER", "ada@example.com", 1);
	setenv("SGP_TEST_PW", "pw1234", 1);
	au = sgp_auth_new(a, NULL, NULL, &err);
	CHECK(au != NULL);
	sgp_http_set_signer(c, sgp_auth_signer(au));
	set_script(s, 1);
	CHECK_INT(get(c, "/", &r), SGP_HTTP_DONE);
	/* base64("ada@example.com/token:pw1234") */
	CHECK_STR(srv.last_auth, "Basic YWRhQGV4YW1wbGUuY29tL3Rva2VuOnB3MTIzNA==");
	CHECK(strstr(sgp_auth_describe(au), "SGP_TEST_PW") != NULL);
	sgp_http_req_free(r);
	sgp_http_free(c);
	sgp_auth_free(au);
	json_decref(a);
	unsetenv("SGP_TEST_PW");
	a = json_pack("{s:s,s:{s:s}}", "type", "bearer", "token", "env", "SGP_TEST_PW");
	CHECK(sgp_auth_new(a, NULL, NULL, &err) == NULL);
	CHECK_STR(err, "auth: token: environment variable SGP_TEST_PW is not set");
	free(err);
	json_decref(a);
	sgp_log_clear_secrets();
}

TEST(oauth2_token_fetched_cached_and_renewed)
{
	static const struct step s[] = {
		{ ACT_REPLY, 200, "", "{\"access_token\":\"AT1\",\"token_type\":\"Bearer\",\"expires_in\":3600}", 0 },
		{ ACT_REPLY, 200, "", "page1", 0 },
		{ ACT_REPLY, 200, "", "page2", 0 },
		{ ACT_REPLY, 401, "", "expired", 0 },
		{ ACT_REPLY, 200, "", "{\"access_token\":\"AT2\",\"expires_in\":3600}", 0 },
		{ ACT_REPLY, 200, "", "page3", 0 },
	};
	json_t *a = json_pack("{s:s,s:s,s:{s:s},s:{s:s},s:s}", "type", "oauth2_client_credentials",
			      "token_url", "/oauth/token", "client_id", "value", "cid",
			      "client_secret", "env", "SGP_TEST_CS", "scope", "read");
	char *err = NULL, *base = url("/api");
	sgp_auth *au;
	sgp_http *c = client(2);
	sgp_http_req *r;

	setenv("SGP_TEST_CS", "csecret", 1);
	au = sgp_auth_new(a, base, NULL, &err);
	CHECK(au != NULL);
	sgp_http_set_signer(c, sgp_auth_signer(au));
	set_script(s, 6);
	CHECK_INT(get(c, "/api/1", &r), SGP_HTTP_DONE);
	CHECK_STR(sgp_http_req_response(r, NULL), "page1");
	CHECK_STR(srv.last_auth, "Bearer AT1");
	sgp_http_req_free(r);
	CHECK_INT(get(c, "/api/2", &r), SGP_HTTP_DONE);
	CHECK_STR(sgp_http_req_response(r, NULL), "page2");
	sgp_http_req_free(r);
	CHECK_INT(get(c, "/api/3", &r), SGP_HTTP_DONE);
	CHECK_STR(sgp_http_req_response(r, NULL), "page3");
	CHECK_STR(srv.last_auth, "Bearer AT2");
	CHECK_INT(srv.requests, 6);
	sgp_http_req_free(r);
	sgp_http_free(c);
	sgp_auth_free(au);
	json_decref(a);
	free(base);
	sgp_log_clear_secrets();
}

int main(void)
{
	sgp_set_progname("test_http");
	sgp_log_set_level(SGP_LOG_WARN);
	start_server();
	RUN(get_ok_and_connection_reused);
	RUN(retries_5xx_and_dropped_connections);
	RUN(retry_after_and_429);
	RUN(retry_after_longer_than_allowed_gives_up);
	RUN(permanent_4xx_not_retried);
	RUN(exhausted_after_max_attempts);
	RUN(post_without_idempotency_not_retried_on_500);
	RUN(timeout_retried);
	RUN(connection_refused_exhausts);
	RUN(signer_called_per_attempt_and_renewed_once_on_401);
	RUN(concurrent_requests_finish);
	RUN(rate_limit_remaining_zero_pauses);
	RUN(link_header_next);
	RUN(url_helpers);
	RUN(oauth1_base_string_and_signature);
	RUN(oauth1_rfc_example_sha1);
	RUN(oauth1_header_shape);
	RUN(secret_from_env_and_file);
	RUN(basic_auth_header);
	RUN(oauth2_token_fetched_cached_and_renewed);
	return unit_done();
}
