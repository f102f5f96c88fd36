/* http.c: see http.h. */
#include "http.h"
#include "log.h"

#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

enum req_state { RS_IDLE, RS_QUEUED, RS_RUNNING, RS_FINISHED };

struct hdr {
	char *name, *value;
};

struct sgp_http_req {
	sgp_http *client;
	char *method, *url;
	struct curl_slist *headers;
	char *auth_name, *auth_value;
	sgp_buf body;
	int has_body;
	char *content_type;
	int idempotent;
	void *userdata;
	sgp_http_check_fn check;
	void *check_ctx;

	enum req_state state;
	enum sgp_http_result result;
	CURL *easy;
	struct curl_slist *sent_headers;  /* headers + auth of the running attempt */
	char errbuf[CURL_ERROR_SIZE];
	char error[512];
	int attempts;
	int renewed;
	long status;
	long long not_before;             /* monotonic ms */
	sgp_buf resp;
	struct hdr *rh;
	size_t nrh, caprh;
	int too_large;

	sgp_http_req *next;               /* in the queue or the finished list */
};

struct sgp_http {
	struct sgp_http_config cfg;
	char *ua, *name, *remaining_header, *reset_header;
	CURLM *multi;
	CURL **pool;                      /* idle easy handles */
	size_t npool;
	const struct sgp_http_signer *signer;
	sgp_http_req *queue;              /* waiting to start, in submit order */
	sgp_http_req *active;             /* running */
	sgp_http_req *done_head, *done_tail;
	int running;
	long long next_start;             /* rps limiter, monotonic ms */
	long long paused_until;           /* Retry-After / remaining=0 */
	uint64_t rng;
	struct sgp_http_stats stats;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_init_once(void)
{
	curl_global_init(CURL_GLOBAL_ALL);
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint64_t rng_next(sgp_http *c)
{
	/* xorshift64*: jitter only, not security. */
	c->rng ^= c->rng >> 12;
	c->rng ^= c->rng << 25;
	c->rng ^= c->rng >> 27;
	return c->rng * 2685821657736338717ULL;
}

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

sgp_http *sgp_http_new(const struct sgp_http_config *cfg)
{
	sgp_http *c = xcalloc(1, sizeof *c);
	struct timespec ts;

	pthread_once(&curl_once, curl_init_once);
	if (cfg)
		c->cfg = *cfg;
	if (c->cfg.max_in_flight <= 0)
		c->cfg.max_in_flight = 4;
	if (c->cfg.connect_timeout_ms <= 0)
		c->cfg.connect_timeout_ms = 10000;
	if (c->cfg.timeout_ms <= 0)
		c->cfg.timeout_ms = 120000;
	if (c->cfg.max_attempts <= 0)
		c->cfg.max_attempts = 6;
	if (c->cfg.backoff_ms <= 0)
		c->cfg.backoff_ms = 500;
	if (c->cfg.backoff_max_ms <= 0)
		c->cfg.backoff_max_ms = 30000;
	if (c->cfg.retry_after_max_ms <= 0)
		c->cfg.retry_after_max_ms = 300000;
	if (c->cfg.max_body == 0)
		c->cfg.max_body = (size_t)256 << 20;
	c->ua = c->cfg.user_agent ? xstrdup(c->cfg.user_agent) : xstrdup("sgp/" SGP_VERSION);
	c->name = dup_or_null(c->cfg.name);
	c->remaining_header = dup_or_null(c->cfg.remaining_header);
	c->reset_header = dup_or_null(c->cfg.reset_header);
	c->cfg.user_agent = c->ua;
	c->cfg.name = c->name;
	c->cfg.remaining_header = c->remaining_header;
	c->cfg.reset_header = c->reset_header;
	c->multi = curl_multi_init();
	if (c->multi == NULL)
		sgp_die(SGP_EXIT_SYSTEM, "cannot initialise libcurl");
	curl_multi_setopt(c->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)c->cfg.max_in_flight);
	clock_gettime(CLOCK_REALTIME, &ts);
	c->rng = ((uint64_t)ts.tv_nsec << 20) ^ (uint64_t)ts.tv_sec ^ ((uint64_t)getpid() << 40) ^
		 0x9e3779b97f4a7c15ULL;
	if (c->rng == 0)
		c->rng = 1;
	return c;
}

void sgp_http_set_signer(sgp_http *c, const struct sgp_http_signer *signer)
{
	c->signer = signer;
}

const struct sgp_http_stats *sgp_http_get_stats(const sgp_http *c)
{
	return &c->stats;
}

/* ---- requests ---- */

sgp_http_req *sgp_http_req_new(const char *method, const char *url)
{
	sgp_http_req *r = xcalloc(1, sizeof *r);

	r->method = xstrdup(method);
	r->url = xstrdup(url);
	r->idempotent = strcmp(method, "POST") != 0 && strcmp(method, "PATCH") != 0;
	return r;
}

void sgp_http_req_header(sgp_http_req *r, const char *name, const char *value)
{
	char *line = xasprintf("%s: %s", name, value);
	struct curl_slist *n = curl_slist_append(r->headers, line);

	free(line);
	if (n == NULL)
		sgp_die(SGP_EXIT_SYSTEM, "out of memory");
	r->headers = n;
}

void sgp_http_req_body(sgp_http_req *r, const void *data, size_t len, const char *content_type)
{
	sgp_buf_reset(&r->body);
	sgp_buf_add(&r->body, data, len);
	r->has_body = 1;
	free(r->content_type);
	r->content_type = dup_or_null(content_type);
}

void sgp_http_req_mark_idempotent(sgp_http_req *r)
{
	r->idempotent = 1;
}

void sgp_http_req_set_userdata(sgp_http_req *r, void *p)
{
	r->userdata = p;
}

void sgp_http_req_set_check(sgp_http_req *r, sgp_http_check_fn check, void *ctx)
{
	r->check = check;
	r->check_ctx = ctx;
}

void *sgp_http_req_userdata(const sgp_http_req *r)
{
	return r->userdata;
}

const char *sgp_http_req_method(const sgp_http_req *r)
{
	return r->method;
}

const char *sgp_http_req_url(const sgp_http_req *r)
{
	return r->url;
}

const char *sgp_http_req_body_data(const sgp_http_req *r, size_t *len)
{
	if (len)
		*len = r->body.len;
	return r->has_body ? (r->body.data ? r->body.data : "") : NULL;
}

const char *sgp_http_req_content_type(const sgp_http_req *r)
{
	return r->content_type;
}

void sgp_http_req_set_auth_header(sgp_http_req *r, const char *name, const char *value)
{
	free(r->auth_name);
	free(r->auth_value);
	r->auth_name = dup_or_null(name);
	r->auth_value = dup_or_null(value);
}

static void clear_response(sgp_http_req *r)
{
	size_t i;

	for (i = 0; i < r->nrh; i++) {
		free(r->rh[i].name);
		free(r->rh[i].value);
	}
	r->nrh = 0;
	sgp_buf_reset(&r->resp);
	r->status = 0;
	r->too_large = 0;
	r->errbuf[0] = '\0';
}

static void unlink_from(sgp_http_req **head, sgp_http_req *r)
{
	for (; *head; head = &(*head)->next)
		if (*head == r) {
			*head = r->next;
			r->next = NULL;
			return;
		}
}

static void release_easy(sgp_http *c, sgp_http_req *r)
{
	if (r->easy == NULL)
		return;
	curl_multi_remove_handle(c->multi, r->easy);
	curl_easy_reset(r->easy);
	unlink_from(&c->active, r);
	c->pool = xreallocarray(c->pool, c->npool + 1, sizeof *c->pool);
	c->pool[c->npool++] = r->easy;
	r->easy = NULL;
	curl_slist_free_all(r->sent_headers);
	r->sent_headers = NULL;
	c->running--;
}

/* Take r out of whatever list of its client it is in. */
static void detach(sgp_http_req *r)
{
	sgp_http *c = r->client;
	sgp_http_req *p;

	if (c == NULL)
		return;
	switch (r->state) {
	case RS_QUEUED:
		unlink_from(&c->queue, r);
		break;
	case RS_RUNNING:
		release_easy(c, r);
		break;
	case RS_FINISHED:
		unlink_from(&c->done_head, r);
		c->done_tail = NULL;
		for (p = c->done_head; p; p = p->next)
			c->done_tail = p;
		break;
	case RS_IDLE:
		break;
	}
	r->client = NULL;
	r->state = RS_IDLE;
}

void sgp_http_req_free(sgp_http_req *r)
{
	if (r == NULL)
		return;
	detach(r);
	clear_response(r);
	free(r->rh);
	sgp_buf_release(&r->resp);
	sgp_buf_release(&r->body);
	curl_slist_free_all(r->headers);
	free(r->auth_name);
	free(r->auth_value);
	free(r->content_type);
	free(r->method);
	free(r->url);
	free(r);
}

void sgp_http_free(sgp_http *c)
{
	size_t i;

	if (c == NULL)
		return;
	while (c->queue)
		sgp_http_req_free(c->queue);
	while (c->active)
		sgp_http_req_free(c->active);
	while (c->done_head)
		sgp_http_req_free(c->done_head);
	for (i = 0; i < c->npool; i++)
		curl_easy_cleanup(c->pool[i]);
	free(c->pool);
	curl_multi_cleanup(c->multi);
	free(c->ua);
	free(c->name);
	free(c->remaining_header);
	free(c->reset_header);
	free(c);
}

/* ---- results ---- */

enum sgp_http_result sgp_http_req_result(const sgp_http_req *r)
{
	return r->result;
}

long sgp_http_req_status(const sgp_http_req *r)
{
	return r->status;
}

const char *sgp_http_req_response(const sgp_http_req *r, size_t *len)
{
	if (len)
		*len = r->resp.len;
	return r->resp.data ? r->resp.data : "";
}

void sgp_http_req_take_body(sgp_http_req *r, sgp_buf *b)
{
	*b = r->resp;
	sgp_buf_init(&r->resp);
}

void sgp_http_req_recycle(sgp_http_req *r, sgp_buf *b)
{
	sgp_buf_release(&r->resp);
	r->resp = *b;
	sgp_buf_reset(&r->resp);
	sgp_buf_init(b);
}

const char *sgp_http_req_response_header(const sgp_http_req *r, const char *name)
{
	size_t i;

	for (i = r->nrh; i-- > 0;)
		if (strcasecmp(r->rh[i].name, name) == 0)
			return r->rh[i].value;
	return NULL;
}

int sgp_http_req_attempts(const sgp_http_req *r)
{
	return r->attempts;
}

const char *sgp_http_req_error(const sgp_http_req *r)
{
	return r->error;
}

/* ---- curl callbacks ---- */

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
	sgp_http_req *r = ud;
	size_t len = size * n;

	if (r->resp.len + len > r->client->cfg.max_body) {
		r->too_large = 1;
		return 0;  /* aborts the transfer with CURLE_WRITE_ERROR */
	}
	sgp_buf_add(&r->resp, p, len);
	return len;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
	sgp_http_req *r = ud;
	size_t len = size * n, i, k;
	const char *colon;

	if (len >= 5 && strncmp(p, "HTTP/", 5) == 0) {
		/* A new response (after 100 Continue, or a proxy's CONNECT). */
		for (i = 0; i < r->nrh; i++) {
			free(r->rh[i].name);
			free(r->rh[i].value);
		}
		r->nrh = 0;
		return len;
	}
	colon = memchr(p, ':', len);
	if (colon == NULL || colon == p)
		return len;
	k = (size_t)(colon - p);
	i = k + 1;
	while (i < len && (p[i] == ' ' || p[i] == '\t'))
		i++;
	while (len > i && (p[len - 1] == '\r' || p[len - 1] == '\n' || p[len - 1] == ' '))
		len--;
	if (r->nrh == r->caprh) {
		r->caprh = r->caprh ? 2 * r->caprh : 16;
		r->rh = xreallocarray(r->rh, r->caprh, sizeof *r->rh);
	}
	r->rh[r->nrh].name = xstrndup(p, k);
	r->rh[r->nrh].value = xstrndup(p + i, len - i);
	r->nrh++;
	if (k == 14 && strncasecmp(p, "Content-Length", 14) == 0) {
		/* Room for the whole body at once, within the limit. */
		unsigned long long cl;
		if (sgp_parse_ull(r->rh[r->nrh - 1].value, r->client->cfg.max_body, &cl) == 0)
			sgp_buf_grow(&r->resp, (size_t)cl + 1);
	}
	return size * n;
}

/* ---- scheduling ---- */

static void finish(sgp_http *c, sgp_http_req *r, enum sgp_http_result res)
{
	r->state = RS_FINISHED;
	r->result = res;
	r->next = NULL;
	if (c->done_tail)
		c->done_tail->next = r;
	else
		c->done_head = r;
	c->done_tail = r;
	c->stats.requests++;
}

static void enqueue(sgp_http *c, sgp_http_req *r)
{
	sgp_http_req **p = &c->queue;

	while (*p)
		p = &(*p)->next;
	r->next = NULL;
	*p = r;
	r->state = RS_QUEUED;
}

void sgp_http_submit(sgp_http *c, sgp_http_req *r)
{
	detach(r);
	r->client = c;
	r->attempts = 0;
	r->renewed = 0;
	r->result = SGP_HTTP_PENDING;
	r->error[0] = '\0';
	r->not_before = 0;
	clear_response(r);
	enqueue(c, r);
}

static void set_error(sgp_http_req *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void set_error(sgp_http_req *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->error, sizeof r->error, fmt, ap);
	va_end(ap);
}

/* Start the transfer of r.  Returns 0, or -1 when r finished at once. */
static int start(sgp_http *c, sgp_http_req *r)
{
	CURL *e;
	struct curl_slist *h = NULL, *q;
	char *err = NULL;

	if (c->signer && c->signer->sign) {
		if (c->signer->sign(c->signer->ctx, r, &err) < 0) {
			set_error(r, "%s", err ? err : "no credentials");
			free(err);
			finish(c, r, SGP_HTTP_FAILED);
			return -1;
		}
	}
	if (c->npool > 0) {
		e = c->pool[--c->npool];
	} else {
		e = curl_easy_init();
		if (e == NULL)
			sgp_die(SGP_EXIT_SYSTEM, "cannot initialise libcurl");
	}
	for (q = r->headers; q; q = q->next)
		h = curl_slist_append(h, q->data);
	if (r->content_type) {
		char *ct = xasprintf("Content-Type: %s", r->content_type);
		h = curl_slist_append(h, ct);
		free(ct);
	}
	if (r->auth_name) {
		char *a = xasprintf("%s: %s", r->auth_name, r->auth_value ? r->auth_value : "");
		h = curl_slist_append(h, a);
		free(a);
	}
	/* libcurl would add "Expect: 100-continue" to larger bodies, costing a
	 * round trip; vendors answer the whole request anyway. */
	h = curl_slist_append(h, "Expect:");
	r->sent_headers = h;
	clear_response(r);
	r->attempts++;
	c->stats.attempts++;
	if (r->attempts > 1)
		c->stats.retries++;

	curl_easy_setopt(e, CURLOPT_URL, r->url);
	curl_easy_setopt(e, CURLOPT_PRIVATE, r);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, r->errbuf);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(e, CURLOPT_USERAGENT, c->ua);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, c->cfg.connect_timeout_ms);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, c->cfg.timeout_ms);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, c->cfg.insecure ? 0L : 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, c->cfg.insecure ? 0L : 2L);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	/* Pages of a megabyte are common: read them in larger pieces (still
	 * below the allocator's mmap threshold, so the buffer is reused). */
	curl_easy_setopt(e, CURLOPT_BUFFERSIZE, 64L * 1024);
	if (strcmp(r->method, "GET") == 0) {
		curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
	} else if (strcmp(r->method, "HEAD") == 0) {
		curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
	} else {
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, r->method);
		if (r->has_body || strcmp(r->method, "POST") == 0) {
			curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->body.len);
			curl_easy_setopt(e, CURLOPT_POSTFIELDS, r->body.data ? r->body.data : "");
		}
	}
	r->easy = e;
	r->state = RS_RUNNING;
	r->next = c->active;
	c->active = r;
	c->running++;
	if (curl_multi_add_handle(c->multi, e) != CURLM_OK)
		sgp_die(SGP_EXIT_SYSTEM, "cannot add a transfer to libcurl");
	sgp_log(SGP_LOG_DEBUG, "%s%s%s %s (attempt %d)", c->name ? c->name : "",
		c->name ? ": " : "", r->method, r->url, r->attempts);
	return 0;
}

/* Start what the limits allow; returns the ms until the next queued
 * request may start (-1 = nothing queued, 0 = could start more). */
static long start_ready(sgp_http *c)
{
	long long now = now_ms(), wake = -1, t;
	sgp_http_req *r, *next;

	for (r = c->queue; r; r = next) {
		next = r->next;
		if (c->running >= c->cfg.max_in_flight)
			return wake < 0 ? 1000 : (long)(wake - now > 0 ? wake - now : 0);
		t = r->not_before;
		if (c->paused_until > t)
			t = c->paused_until;
		if (c->cfg.rps > 0 && c->next_start > t)
			t = c->next_start;
		if (t > now) {
			if (wake < 0 || t < wake)
				wake = t;
			continue;
		}
		unlink_from(&c->queue, r);
		if (c->cfg.rps > 0) {
			long long gap = (long long)(1000.0 / c->cfg.rps);
			c->next_start = (c->next_start > now - gap ? c->next_start : now) + gap;
		}
		start(c, r);
	}
	if (wake < 0)
		return -1;
	return (long)(wake - now > 0 ? wake - now : 0);
}

static int retryable_status(long s)
{
	return s == 408 || s == 429 || (s >= 500 && s <= 599 && s != 501 && s != 505);
}

static int retryable_curl(CURLcode rc, int *maybe_sent)
{
	*maybe_sent = 1;
	switch (rc) {
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
		*maybe_sent = 0;
		return 1;
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_WEIRD_SERVER_REPLY:
		return 1;
	default:
		return 0;
	}
}

long sgp_retry_after_seconds(const char *v, long long now)
{
	long long n;
	time_t t;

	if (v == NULL)
		return -1;
	while (*v == ' ')
		v++;
	if (sgp_parse_ll(v, 0, 1000000000LL, &n) == 0)
		return (long)n;
	t = curl_getdate(v, NULL);
	if (t == (time_t)-1)
		return -1;
	return t > now ? (long)(t - now) : 0;
}

/* Rate-limit headers of a response: pause the client when the window is
 * used up. */
static void note_rate_headers(sgp_http *c, sgp_http_req *r)
{
	const char *rem, *reset;
	long long n, wait_ms = -1;
	double d;

	if (c->remaining_header == NULL)
		return;
	rem = sgp_http_req_response_header(r, c->remaining_header);
	if (rem == NULL || sgp_parse_double(rem, &d) < 0 || d > 0)
		return;
	c->stats.rate_limited++;
	reset = c->reset_header ? sgp_http_req_response_header(r, c->reset_header) : NULL;
	if (reset && sgp_parse_double(reset, &d) == 0 && d >= 0) {
		n = (long long)d;
		switch (c->cfg.reset_kind) {
		case SGP_RESET_MS:
			wait_ms = n;
			break;
		case SGP_RESET_EPOCH:
			wait_ms = (n - (long long)time(NULL)) * 1000;
			break;
		case SGP_RESET_SECONDS:
			wait_ms = (long long)(d * 1000);
			break;
		case SGP_RESET_AUTO:
			if (n > 1000000000LL)
				wait_ms = (n - (long long)time(NULL)) * 1000;
			else
				wait_ms = (long long)(d * 1000);
			break;
		}
	}
	if (wait_ms < 0)
		wait_ms = 1000;  /* window used up, reset unknown: a short pause */
	if (wait_ms > c->cfg.retry_after_max_ms)
		wait_ms = c->cfg.retry_after_max_ms;
	if (now_ms() + wait_ms > c->paused_until)
		c->paused_until = now_ms() + wait_ms;
	sgp_log(SGP_LOG_DEBUG, "%s%srate-limit window used up; pausing %lld ms",
		c->name ? c->name : "", c->name ? ": " : "", wait_ms);
}

static long long backoff(sgp_http *c, int attempt)
{
	long long d = c->cfg.backoff_ms;
	int i;

	for (i = 1; i < attempt && d < c->cfg.backoff_max_ms; i++)
		d *= 2;
	if (d > c->cfg.backoff_max_ms)
		d = c->cfg.backoff_max_ms;
	return d / 2 + (long long)(rng_next(c) % (uint64_t)(d / 2 + 1));
}

/* A transfer ended: decide between finishing and retrying. */
static void completed(sgp_http *c, sgp_http_req *r, CURLcode rc)
{
	long status = 0;
	int retry = 0, maybe_sent = 1, renew;
	long long delay = -1;
	char *err = NULL;
	const char *what;
	char whatbuf[300];

	curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &status);
	release_easy(c, r);
	r->status = rc == CURLE_OK ? status : 0;
	c->stats.bytes += r->resp.len;

	if (rc != CURLE_OK) {
		if (r->too_large) {
			set_error(r, "response larger than %zu bytes", c->cfg.max_body);
			finish(c, r, SGP_HTTP_FAILED);
			return;
		}
		snprintf(whatbuf, sizeof whatbuf, "%s", r->errbuf[0] ? r->errbuf : curl_easy_strerror(rc));
		what = whatbuf;
		retry = retryable_curl(rc, &maybe_sent);
		if (!retry) {
			set_error(r, "%s", what);
			finish(c, r, SGP_HTTP_FAILED);
			return;
		}
		if (maybe_sent && !r->idempotent) {
			set_error(r, "%s (not retried: the request may have been received)", what);
			finish(c, r, SGP_HTTP_EXHAUSTED);
			return;
		}
	} else {
		/* A Retry-After is the server's own word on when to come back;
		 * the window headers only count. */
		if (sgp_http_req_response_header(r, "Retry-After") == NULL)
			note_rate_headers(c, r);
		for (size_t i = 0; i < c->cfg.nslowdown; i++) {
			const struct sgp_http_slowdown *sd = &c->cfg.slowdown[i];
			if (sd->status == status &&
			    (sd->body_contains == NULL ||
			     (r->resp.data && strstr(r->resp.data, sd->body_contains)))) {
				status = 429;  /* from here on, treated as one */
				break;
			}
		}
		if (status == 401 && !r->renewed && c->signer && c->signer->renew) {
			r->renewed = 1;
			renew = c->signer->renew(c->signer->ctx, &err);
			if (renew < 0) {
				set_error(r, "%s", err ? err : "cannot renew credentials");
				free(err);
				finish(c, r, SGP_HTTP_FAILED);
				return;
			}
			if (renew > 0) {
				r->not_before = 0;
				r->attempts--;  /* a renewal does not use up a retry */
				enqueue(c, r);
				return;
			}
		}
		if (status >= 200 && status <= 299 && r->check) {
			char why[256] = "";
			if (r->resp.data == NULL)
				sgp_buf_grow(&r->resp, 1);
			if (r->check(r->check_ctx, r, why, sizeof why) != 0) {
				snprintf(whatbuf, sizeof whatbuf, "HTTP %ld with an unusable body (%s)",
					 status, why[0] ? why : "rejected");
				what = whatbuf;
				goto retry;
			}
		}
		if (!retryable_status(status)) {
			finish(c, r, SGP_HTTP_DONE);
			return;
		}
		if (!r->idempotent && status != 429 && status != 503) {
			set_error(r, "HTTP %ld (not retried: the request may have been acted on)", status);
			finish(c, r, SGP_HTTP_EXHAUSTED);
			return;
		}
		snprintf(whatbuf, sizeof whatbuf, "HTTP %ld", status);
		what = whatbuf;
		if (status == 429)
			c->stats.rate_limited++;
		if (status == 429 || status == 503) {
			long s = sgp_retry_after_seconds(
				sgp_http_req_response_header(r, "Retry-After"), (long long)time(NULL));
			if (s >= 0) {
				delay = (long long)s * 1000;
				if (delay > c->cfg.retry_after_max_ms) {
					set_error(r, "HTTP %ld: the server asked to wait %ld s, "
						  "longer than the %ld s allowed", status, s,
						  c->cfg.retry_after_max_ms / 1000);
					finish(c, r, SGP_HTTP_EXHAUSTED);
					return;
				}
			}
		}
	}
retry:
	if (r->attempts >= c->cfg.max_attempts) {
		set_error(r, "%s after %d attempts", what, r->attempts);
		finish(c, r, SGP_HTTP_EXHAUSTED);
		return;
	}
	if (delay < 0)
		delay = backoff(c, r->attempts);
	if (r->status == 429 || r->status == 503) {
		/* The limit is the account's: every request waits. */
		if (now_ms() + delay > c->paused_until)
			c->paused_until = now_ms() + delay;
	}
	sgp_log(SGP_LOG_DEBUG, "%s%s%s %s: %s; retrying in %lld ms", c->name ? c->name : "",
		c->name ? ": " : "", r->method, r->url, what, delay);
	r->not_before = now_ms() + delay;
	enqueue(c, r);
}

static void drain(sgp_http *c)
{
	CURLMsg *m;
	int left;
	sgp_http_req *r;

	while ((m = curl_multi_info_read(c->multi, &left)) != NULL) {
		if (m->msg != CURLMSG_DONE)
			continue;
		r = NULL;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&r);
		if (r)
			completed(c, r, m->data.result);
	}
}

/* One round: start, transfer, collect; wait at most max_wait ms. */
static void step(sgp_http *c, long max_wait)
{
	long wake;
	int still;

	wake = start_ready(c);
	curl_multi_perform(c->multi, &still);
	drain(c);
	if (max_wait <= 0 || c->done_head)
		return;
	wake = start_ready(c);
	if (c->running == 0 && wake < 0)
		return;
	if (wake == 0 && c->queue && c->running < c->cfg.max_in_flight)
		return;
	if (wake >= 0 && wake < max_wait)
		max_wait = wake;
	if (c->running > 0) {
		curl_multi_poll(c->multi, NULL, 0, (int)(max_wait < 1 ? 1 : max_wait), NULL);
	} else if (max_wait > 0) {
		struct timespec ts = { max_wait / 1000, (max_wait % 1000) * 1000000L };
		nanosleep(&ts, NULL);
	}
	curl_multi_perform(c->multi, &still);
	drain(c);
}

void sgp_http_pump(sgp_http *c)
{
	step(c, 0);
}

enum sgp_http_result sgp_http_wait(sgp_http *c, sgp_http_req *r)
{
	if (r->client != c)
		return r->result;
	while (r->state != RS_FINISHED)
		step(c, 1000);
	unlink_from(&c->done_head, r);
	c->done_tail = NULL;
	for (sgp_http_req *p = c->done_head; p; p = p->next)
		c->done_tail = p;
	r->client = NULL;
	r->state = RS_IDLE;
	return r->result;
}

sgp_http_req *sgp_http_next(sgp_http *c)
{
	sgp_http_req *r;

	while (c->done_head == NULL) {
		if (c->queue == NULL && c->running == 0)
			return NULL;
		step(c, 1000);
	}
	r = c->done_head;
	c->done_head = r->next;
	if (c->done_head == NULL)
		c->done_tail = NULL;
	r->next = NULL;
	r->client = NULL;
	r->state = RS_IDLE;
	return r;
}

enum sgp_http_result sgp_http_perform(sgp_http *c, sgp_http_req *r)
{
	sgp_http_submit(c, r);
	return sgp_http_wait(c, r);
}

/* ---- helpers ---- */

void sgp_url_encode(sgp_buf *out, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p;

	for (p = (const unsigned char *)s; *p; p++) {
		if (isalnum(*p) || *p == '-' || *p == '.' || *p == '_' || *p == '~') {
			sgp_buf_addc(out, (char)*p);
		} else {
			sgp_buf_addc(out, '%');
			sgp_buf_addc(out, hex[*p >> 4]);
			sgp_buf_addc(out, hex[*p & 15]);
		}
	}
}

void sgp_url_add_query(sgp_buf *url, const char *name, const char *value)
{
	sgp_buf_addc(url, url->data && memchr(url->data, '?', url->len) ? '&' : '?');
	sgp_url_encode(url, name);
	sgp_buf_addc(url, '=');
	sgp_url_encode(url, value);
}

char *sgp_url_resolve(const char *base, const char *ref)
{
	const char *p, *slash;
	size_t n;

	if (strstr(ref, "://"))
		return xstrdup(ref);
	p = strstr(base, "://");
	p = p ? p + 3 : base;
	slash = strchr(p, '/');
	if (ref[0] == '/') {
		n = slash ? (size_t)(slash - base) : strlen(base);
		return xasprintf("%.*s%s", (int)n, base, ref);
	}
	/* Relative: replace everything after the last '/' of base's path. */
	{
		const char *q = strchr(p, '?');
		const char *last = NULL, *s;

		n = q ? (size_t)(q - base) : strlen(base);
		for (s = slash; s && s < base + n; s = strchr(s + 1, '/'))
			last = s;
		if (last == NULL)
			return xasprintf("%.*s/%s", (int)n, base, ref);
		return xasprintf("%.*s%s", (int)(last - base + 1), base, ref);
	}
}

char *sgp_url_join_base(const char *base, const char *ref)
{
	const char *hostp, *path;
	size_t pl;

	if (strstr(ref, "://"))
		return xstrdup(ref);
	if (ref[0] != '/')
		return sgp_url_resolve(base, ref);
	hostp = strstr(base, "://");
	hostp = hostp ? hostp + 3 : base;
	path = strchr(hostp, '/');
	if (path) {
		pl = strcspn(path, "?#");
		if (strncmp(ref, path, pl) == 0 &&
		    (ref[pl] == '/' || ref[pl] == '\0' || ref[pl] == '?'))
			return xasprintf("%.*s%s", (int)(path - base), base, ref);
		return xasprintf("%.*s%s", (int)(path - base + pl), base, ref);
	}
	return xasprintf("%s%s", base, ref);
}

char *sgp_link_next(const char *h)
{
	const char *p = h;

	if (h == NULL)
		return NULL;
	while (*p) {
		const char *lt = strchr(p, '<'), *gt, *end, *rel;

		if (lt == NULL)
			return NULL;
		gt = strchr(lt, '>');
		if (gt == NULL)
			return NULL;
		/* The parameters of this link run to the next ",<" or the end. */
		end = gt + 1;
		while (*end) {
			const char *q = end;
			if (*q == ',') {
				q++;
				while (*q == ' ' || *q == '\t')
					q++;
				if (*q == '<')
					break;
			}
			end++;
		}
		for (rel = gt + 1; rel < end; rel++) {
			if (strncasecmp(rel, "rel", 3) == 0) {
				const char *v = rel + 3;
				while (*v == ' ')
					v++;
				if (*v != '=')
					continue;
				v++;
				while (*v == ' ')
					v++;
				if (*v == '"')
					v++;
				/* rel may hold several space-separated types. */
				while (v < end && *v != '"' && *v != ';' && *v != ',') {
					const char *w = v;
					while (v < end && *v != ' ' && *v != '"' && *v != ';' && *v != ',')
						v++;
					if (v - w == 4 && strncasecmp(w, "next", 4) == 0)
						return xstrndup(lt + 1, (size_t)(gt - lt - 1));
					while (v < end && *v == ' ')
						v++;
				}
			}
		}
		p = end;
	}
	return NULL;
}
