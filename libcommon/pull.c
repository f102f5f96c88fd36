/* pull.c: see pull.h. */
#include "pull.h"
#include "envelope.h"
#include "ingest.h"
#include "log.h"
#include "sgptime.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Most keys the state's "seen" set keeps; beyond it the oldest are dropped
 * (they may then be emitted again, never lost). */
#define SEEN_MAX 10000

/* ---- a set of strings (keys emitted in this run) ---- */

/* Open addressing over hashes; the strings live in large chunks, so a
 * key costs no allocation of its own. */
struct strset {
	struct slot {
		uint64_t h;
		const char *s;
	} *slot;
	size_t cap, n;
	char **chunks;
	size_t nchunks, used, room;
};

static uint64_t hash_bytes(const char *s, size_t n)
{
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ n, w;

	while (n >= 8) {
		memcpy(&w, s, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdULL;
		h ^= h >> 32;
		s += 8;
		n -= 8;
	}
	w = 0;
	memcpy(&w, s, n);
	h = (h ^ w) * 0xc4ceb9fe1a85ec53ULL;
	return h ^ (h >> 29);
}

static const char *strset_store(struct strset *S, const char *s, size_t len)
{
	char *p;

	if (S->room - S->used < len + 1) {
		size_t sz = len + 1 > 65536 ? len + 1 : 65536;
		S->chunks = xreallocarray(S->chunks, S->nchunks + 1, sizeof *S->chunks);
		S->chunks[S->nchunks++] = xmalloc(sz);
		S->used = 0;
		S->room = sz;
	}
	p = S->chunks[S->nchunks - 1] + S->used;
	memcpy(p, s, len);
	p[len] = '\0';
	S->used += len + 1;
	return p;
}

/* Add s; returns 0 if it was already there, 1 if added. */
static int strset_add(struct strset *S, const char *s, size_t len)
{
	uint64_t h = hash_bytes(s, len);
	size_t i;

	if (S->n * 2 >= S->cap) {
		size_t cap = S->cap ? S->cap * 2 : 1024, j;
		struct slot *ns = xcalloc(cap, sizeof *ns);
		for (i = 0; i < S->cap; i++) {
			if (S->slot[i].s == NULL)
				continue;
			j = S->slot[i].h & (cap - 1);
			while (ns[j].s)
				j = (j + 1) & (cap - 1);
			ns[j] = S->slot[i];
		}
		free(S->slot);
		S->slot = ns;
		S->cap = cap;
	}
	i = h & (S->cap - 1);
	while (S->slot[i].s) {
		if (S->slot[i].h == h && strcmp(S->slot[i].s, s) == 0)
			return 0;
		i = (i + 1) & (S->cap - 1);
	}
	S->slot[i].h = h;
	S->slot[i].s = strset_store(S, s, len);
	S->n++;
	return 1;
}

static void strset_free(struct strset *S)
{
	size_t i;

	for (i = 0; i < S->nchunks; i++)
		free(S->chunks[i]);
	free(S->chunks);
	free(S->slot);
}

/* ---- the engine ---- */

struct win_ent {
	char *key;
	sgp_time t;
};

struct puller {
	const struct sgp_pull_opts *o;
	const sgp_profile *p;
	const struct sgp_stream *s;
	sgp_http *http;
	sgp_writer *out, *rejects;
	struct sgp_pull_stats *st;
	struct sgp_record_spec spec;
	struct sgp_record rec;
	sgp_buf line;
	long page_size, lookback;

	int have_since;           /* the run's lower bound */
	sgp_time since;
	int have_max;             /* latest incremental time seen */
	sgp_time max;
	json_t *old_seen;         /* from the state: key -> time */
	struct win_ent *win;      /* this run's (key, time), for the next "seen" */
	size_t nwin, capwin;
	struct strset done;       /* keys emitted in this run */
	int dedupe_run;           /* positions can shift between pages: use done */
	char *last_cursor;        /* resume_cursor streams */
	char **page_keys;         /* keys emitted from the current page */
	size_t npage_keys, cappage_keys;
	sgp_time *page_times;
	int *page_has_time;
	int progress_shown;
	sgp_buf spare[4];         /* pages' storage, for the next requests */
	int ahead;                /* pages asked for ahead of the one being written */
};

/* What check_page found in a response, kept with its request (the spans
 * point into the request's body). */
enum { F_RECORDS, F_HAS_MORE, F_DONE, F_NEXT, F_CURSOR, F_TOTAL, F_N };

struct page_info {
	struct puller *P;
	json_t *tok;              /* the token this page was asked for with */
	json_t *next;             /* the next page's token, or NULL at the end */
	sgp_http_req *next_req;   /* the next page, already asked for, or NULL */
	int chained;              /* this request was asked for ahead */
	size_t nrec;              /* records on the page (or 1 for "some") */
	char *cursor_val;         /* this page's cursor, or NULL */
	int has_space;            /* whitespace outside strings somewhere */
	struct sgp_json_members mem;  /* the root object's members */
	struct sgp_jspan root, f[F_N];
	int found[F_N];
};

static void free_req(sgp_http_req *r);

static void free_req(sgp_http_req *r)
{
	struct page_info *pi;

	if (r == NULL)
		return;
	pi = sgp_http_req_userdata(r);
	if (pi) {
		sgp_json_members_release(&pi->mem);
		json_decref(pi->tok);
		json_decref(pi->next);
		free(pi->cursor_val);
		free_req(pi->next_req);
		if (pi->chained)
			pi->P->ahead--;
	}
	free(pi);
	sgp_http_req_free(r);
}

static void fmt_time(sgp_time t, char *buf, size_t n)
{
	if (sgp_time_format(t, buf, n) < 0)
		snprintf(buf, n, "1970-01-01T00:00:00Z");
}

/* The since value written into a request. */
static void since_text(const struct puller *P, sgp_time t, char *buf, size_t n)
{
	switch (P->s->since_style) {
	case SGP_TS_EPOCH:
		snprintf(buf, n, "%lld", (long long)t.sec);
		break;
	case SGP_TS_EPOCH_MS:
		snprintf(buf, n, "%lld", (long long)sgp_time_to_epoch_ms(t));
		break;
	case SGP_TS_RFC3339:
		t.nsec = 0;
		fmt_time(t, buf, n);
		break;
	case SGP_TS_RFC3339_MS:
		if (sgp_time_format_ms(t, buf, n) < 0)
			snprintf(buf, n, "1970-01-01T00:00:00.000Z");
		break;
	case SGP_TS_DATE:
		if (sgp_time_format_date(t, buf, n) < 0)
			snprintf(buf, n, "1970-01-01");
		break;
	case SGP_TS_DATETIME: {
		struct sgp_civil c;
		if (sgp_time_to_civil(t, &c) < 0)
			memset(&c, 0, sizeof c);
		snprintf(buf, n, "%04d-%02d-%02d %02d:%02d:%02d", c.year, c.month, c.day, c.hour,
			 c.minute, c.second);
		break;
	}
	}
}

/* The lower bound to ask for, or 0 when the request carries none. */
static int request_since(const struct puller *P, sgp_time *out)
{
	const char *why;

	if (P->have_since) {
		*out = P->since;
		out->sec -= P->lookback;
		if (P->s->inc_exclusive)
			out->sec -= P->s->since_style == SGP_TS_DATE ? 86400 : 1;
		if (out->sec < 0)
			*out = (sgp_time){ 0, 0 };
		return 1;
	}
	if (P->s->initial && sgp_time_parse(P->s->initial, out, &why) == 0) {
		if (P->s->inc_exclusive)
			out->sec -= P->s->since_style == SGP_TS_DATE ? 86400 : 1;
		return 1;
	}
	return 0;
}

static void replace_all(sgp_buf *out, const char *s, const char *what, const char *with)
{
	size_t wl = strlen(what);
	const char *hit;

	while ((hit = strstr(s, what)) != NULL) {
		sgp_buf_add(out, s, (size_t)(hit - s));
		sgp_buf_adds(out, with);
		s = hit + wl;
	}
	sgp_buf_adds(out, s);
}

/* A JSON body template with its placeholders filled: a string that is
 * exactly "{size}" becomes a number, exactly "{cursor}" the cursor (the
 * member is dropped on the first page), and "{since}" inside a string is
 * replaced.  Returns a new value. */
static json_t *fill_body(json_t *v, const char *since, long size, const char *cursor)
{
	json_t *out, *x;
	const char *k;
	size_t i;

	if (json_is_object(v)) {
		out = json_object();
		json_object_foreach(v, k, x) {
			if (json_is_string(x) && strcmp(json_string_value(x), "{cursor}") == 0 &&
			    cursor == NULL)
				continue;
			if (json_is_string(x) && strcmp(json_string_value(x), "{size}") == 0 && size <= 0)
				continue;
			json_object_set_new(out, k, fill_body(x, since, size, cursor));
		}
		return out;
	}
	if (json_is_array(v)) {
		out = json_array();
		json_array_foreach(v, i, x)
			json_array_append_new(out, fill_body(x, since, size, cursor));
		return out;
	}
	if (json_is_string(v)) {
		const char *s = json_string_value(v);
		sgp_buf b = SGP_BUF_INIT;
		if (strcmp(s, "{size}") == 0)
			return json_integer(size);
		if (strcmp(s, "{cursor}") == 0)
			return json_string(cursor ? cursor : "");
		replace_all(&b, s, "{since}", since ? since : "");
		out = json_string(b.data ? b.data : "");
		sgp_buf_release(&b);
		return out;
	}
	return json_deep_copy(v);
}

static sgp_http_req *make_request(struct puller *P, const json_t *tok);
static json_t *next_token(struct puller *P, sgp_http_req *r, struct page_info *pi,
			  size_t nrec, const json_t *cur);

static int check_page(void *ctx, sgp_http_req *r, char *why, size_t n)
{
	struct page_info *pi = ctx;
	struct puller *P = pi->P;
	const struct sgp_stream *s = P->s;
	const char *ptrs[F_N];
	size_t off, i, len;
	const char *w, *body = sgp_http_req_response(r, &len);
	struct sgp_jiter it;
	struct sgp_jspan x;

	if (sgp_json_check_index(body, len, &off, &w, &pi->has_space, &pi->mem) < 0) {
		snprintf(why, n, "not JSON at byte %zu of %zu: %s", off + 1, len, w);
		return -1;
	}
	sgp_jspan_root(body, len, &pi->root);
	ptrs[F_RECORDS] = s->records;
	ptrs[F_HAS_MORE] = s->has_more;
	ptrs[F_DONE] = s->done;
	ptrs[F_NEXT] = s->next;
	ptrs[F_CURSOR] = s->cursor_in_record ? NULL : s->cursor;
	ptrs[F_TOTAL] = s->total;
	for (i = 0; i < F_N; i++)
		pi->found[i] = ptrs[i] && sgp_json_members_get(&pi->mem, &pi->root, ptrs[i], &pi->f[i]);
	if (!pi->found[F_RECORDS] ||
	    (pi->f[F_RECORDS].type != SGP_J_ARRAY && pi->f[F_RECORDS].type != SGP_J_NULL)) {
		snprintf(why, n, "no array of records at '%s'", s->records);
		return -1;
	}
	/* The page is good: find the next one now, and ask for it while
	 * the pages before are still being written out. */
	pi->nrec = 0;
	if (pi->mem.have_elems) {
		pi->nrec = pi->mem.nelems;
	} else if (pi->f[F_RECORDS].type == SGP_J_ARRAY) {
		sgp_jspan_iter(&pi->f[F_RECORDS], &it);
		while (sgp_jiter_next(&it, &x))
			pi->nrec++;
	}
	json_decref(pi->next);
	pi->next = next_token(P, r, pi, pi->nrec, pi->tok);
	if (pi->next && pi->next_req == NULL && P->o->limit == 0 && P->ahead < 2) {
		pi->next_req = make_request(P, pi->next);
		((struct page_info *)sgp_http_req_userdata(pi->next_req))->chained = 1;
		P->ahead++;
		sgp_http_submit(P->http, pi->next_req);
	}
	return 0;
}

static sgp_http_req *make_request(struct puller *P, const json_t *tok)
{
	const struct sgp_stream *s = P->s;
	const char *cursor = sgp_json_str(tok, "cursor");
	const char *url = sgp_json_str(tok, "url");
	sgp_buf u = SGP_BUF_INIT, v = SGP_BUF_INIT;
	char since_buf[64], num[32];
	sgp_time t;
	int inc = 0;
	size_t i, j;
	sgp_http_req *r;

	since_buf[0] = '\0';
	if (s->incremental && !(s->resume_cursor && cursor) && request_since(P, &t)) {
		since_text(P, t, since_buf, sizeof since_buf);
		inc = 1;
	}
	if (url) {
		sgp_buf_adds(&u, url);
	} else {
		if (strstr(s->path, "://"))
			sgp_buf_adds(&u, s->path);
		else {
			sgp_buf_adds(&u, P->p->base_url);
			sgp_buf_adds(&u, s->path);
		}
		for (i = 0; i < s->params.n; i++) {
			int overridden = 0;
			if (inc)
				for (j = 0; j < s->inc_params.n; j++)
					if (strcmp(s->inc_params.name[j], s->params.name[i]) == 0)
						overridden = 1;
			if (!overridden)
				sgp_url_add_query(&u, s->params.name[i], s->params.value[i]);
		}
		if (inc) {
			for (i = 0; i < s->inc_params.n; i++) {
				sgp_buf_reset(&v);
				replace_all(&v, s->inc_params.value[i], "{since}", since_buf);
				sgp_url_add_query(&u, s->inc_params.name[i], v.data ? v.data : "");
			}
		}
		if (s->size_param && P->page_size > 0 && !(s->body && strstr(s->body, "\"{size}\""))) {
			snprintf(num, sizeof num, "%ld", P->page_size);
			sgp_url_add_query(&u, s->size_param, num);
		}
		if (cursor && !(s->body && strstr(s->body, "\"{cursor}\"")))
			sgp_url_add_query(&u, s->page_param, cursor);
		if (json_is_integer(json_object_get(tok, "offset"))) {
			snprintf(num, sizeof num, "%lld",
				 (long long)json_integer_value(json_object_get(tok, "offset")));
			sgp_url_add_query(&u, s->page_param, num);
		}
		if (json_is_integer(json_object_get(tok, "page"))) {
			snprintf(num, sizeof num, "%lld",
				 (long long)json_integer_value(json_object_get(tok, "page")));
			sgp_url_add_query(&u, s->page_param, num);
		}
	}
	r = sgp_http_req_new(s->method, u.data);
	for (i = 0; i < sizeof P->spare / sizeof *P->spare; i++)
		if (P->spare[i].data) {
			sgp_http_req_recycle(r, &P->spare[i]);
			break;
		}
	for (i = 0; i < P->p->headers.n; i++)
		sgp_http_req_header(r, P->p->headers.name[i], P->p->headers.value[i]);
	sgp_http_req_header(r, "Accept", "application/json");
	if (s->body && strcmp(s->method, "POST") == 0) {
		json_error_t je;
		json_t *tmpl = json_loads(inc && s->inc_body ? s->inc_body : s->body, JSON_DECODE_ANY, &je);
		json_t *filled;
		char *text;
		filled = fill_body(tmpl, inc ? since_buf : NULL, P->page_size, cursor);
		text = json_dumps(filled, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
		sgp_http_req_body(r, text, strlen(text), "application/json");
		sgp_http_req_mark_idempotent(r);  /* a search: reading only */
		free(text);
		json_decref(filled);
		json_decref(tmpl);
	}
	{
		struct page_info *pi = xcalloc(1, sizeof *pi);
		pi->P = P;
		pi->tok = json_deep_copy(tok);
		/* "/data": the validator notes where each record is */
		if (s->records[0] == '/' && s->records[1] && !strchr(s->records + 1, '/') &&
		    !strchr(s->records, '~'))
			pi->mem.elems_of = s->records + 1;
		sgp_http_req_set_userdata(r, pi);
		sgp_http_req_set_check(r, check_page, pi);
	}
	sgp_buf_release(&u);
	sgp_buf_release(&v);
	return r;
}

/* ---- checkpoints ---- */

static void win_add(struct puller *P, const char *key, size_t klen, sgp_time t)
{
	if (P->nwin == P->capwin) {
		size_t i, k = 0;
		/* Drop what no future window can need, before growing. */
		if (P->have_max && P->nwin > 0) {
			sgp_time floor = P->max;
			floor.sec -= P->lookback;
			for (i = 0; i < P->nwin; i++) {
				if (sgp_time_cmp(P->win[i].t, floor) >= 0)
					P->win[k++] = P->win[i];
				else
					free(P->win[i].key);
			}
			P->nwin = k;
		}
		if (P->nwin == P->capwin) {
			P->capwin = P->capwin ? P->capwin * 2 : 256;
			P->win = xreallocarray(P->win, P->capwin, sizeof *P->win);
		}
	}
	P->win[P->nwin].key = xstrndup(key, klen);
	P->win[P->nwin].t = t;
	P->nwin++;
}

static void page_key_add(struct puller *P, const char *key, size_t klen, int has_t, sgp_time t)
{
	if (P->npage_keys == P->cappage_keys) {
		P->cappage_keys = P->cappage_keys ? P->cappage_keys * 2 : 64;
		P->page_keys = xreallocarray(P->page_keys, P->cappage_keys, sizeof *P->page_keys);
		P->page_times = xreallocarray(P->page_times, P->cappage_keys, sizeof *P->page_times);
		P->page_has_time = xreallocarray(P->page_has_time, P->cappage_keys,
						 sizeof *P->page_has_time);
	}
	P->page_keys[P->npage_keys] = xstrndup(key, klen);
	P->page_times[P->npage_keys] = t;
	P->page_has_time[P->npage_keys] = has_t;
	P->npage_keys++;
}

static void page_keys_clear(struct puller *P)
{
	size_t i;

	for (i = 0; i < P->npage_keys; i++)
		free(P->page_keys[i]);
	P->npage_keys = 0;
}

static int cmp_win_desc(const void *a, const void *b)
{
	return -sgp_time_cmp(((const struct win_ent *)a)->t, ((const struct win_ent *)b)->t);
}

/* "seen": this run's keys at or after floor, newest first, at most
 * SEEN_MAX, plus the keys of the current page (a stop inside a page). */
static json_t *seen_object(struct puller *P, int with_window, sgp_time floor, int with_page)
{
	json_t *o = json_object();
	char tb[SGP_TIME_BUFSZ];
	size_t i;

	if (with_page)
		for (i = 0; i < P->npage_keys; i++) {
			if (P->page_has_time[i])
				fmt_time(P->page_times[i], tb, sizeof tb);
			json_object_set_new(o, P->page_keys[i],
					    json_string(P->page_has_time[i] ? tb : ""));
		}
	if (with_window) {
		qsort(P->win, P->nwin, sizeof *P->win, cmp_win_desc);
		for (i = 0; i < P->nwin && json_object_size(o) < SEEN_MAX; i++) {
			if (sgp_time_cmp(P->win[i].t, floor) < 0)
				break;
			fmt_time(P->win[i].t, tb, sizeof tb);
			json_object_set_new(o, P->win[i].key, json_string(tb));
		}
	}
	if (json_object_size(o) == 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* The cursor after a page.  next = the next page's token (NULL at the
 * end); cur = this page's token; mid = stopped inside this page. */
static json_t *make_cursor(struct puller *P, const json_t *next, const json_t *cur, int mid)
{
	const struct sgp_stream *s = P->s;
	json_t *c = json_object(), *seen;
	char tb[SGP_TIME_BUFSZ];
	int more = next != NULL || mid;
	sgp_time floor = { 0, 0 };

	if (s->resume_cursor) {
		/* The vendor's cursor is the whole state; at a stop inside a
		 * page, resume at that page and skip what was emitted. */
		const char *cc = mid ? sgp_json_str(cur, "cursor") : P->last_cursor;
		if (cc)
			json_object_set_new(c, "cursor", json_string(cc));
		else if (P->have_since) {
			fmt_time(P->since, tb, sizeof tb);
			json_object_set_new(c, "since", json_string(tb));
		}
		if (mid && (seen = seen_object(P, 0, floor, 1)) != NULL)
			json_object_set_new(c, "seen", seen);
		return c;
	}
	if (s->incremental && s->order == SGP_ORDER_ASC) {
		/* Sorted by time: the latest time is a safe place to resume. */
		if (P->have_max || P->have_since) {
			sgp_time b = P->have_max ? P->max : P->since;
			if (P->have_max && P->have_since && sgp_time_cmp(P->since, P->max) > 0)
				b = P->since;
			fmt_time(b, tb, sizeof tb);
			json_object_set_new(c, "since", json_string(tb));
			floor = b;
			floor.sec -= P->lookback;
			if ((seen = seen_object(P, 1, floor, 0)) != NULL)
				json_object_set_new(c, "seen", seen);
		}
		return c;
	}
	if (s->incremental) {
		if (more) {
			if (P->have_since) {
				fmt_time(P->since, tb, sizeof tb);
				json_object_set_new(c, "since", json_string(tb));
			}
			json_object_set_new(c, "page", json_deep_copy(mid ? cur : next));
			if (P->have_max) {
				fmt_time(P->max, tb, sizeof tb);
				json_object_set_new(c, "max", json_string(tb));
			}
			if (mid && (seen = seen_object(P, 0, floor, 1)) != NULL)
				json_object_set_new(c, "seen", seen);
			return c;
		}
		if (P->have_max || P->have_since) {
			sgp_time b = P->have_max ? P->max : P->since;
			if (P->have_max && P->have_since && sgp_time_cmp(P->since, P->max) > 0)
				b = P->since;
			fmt_time(b, tb, sizeof tb);
			json_object_set_new(c, "since", json_string(tb));
			floor = b;
			floor.sec -= P->lookback;
			if ((seen = seen_object(P, 1, floor, 0)) != NULL)
				json_object_set_new(c, "seen", seen);
		}
		return c;
	}
	/* A full pull: resume mid-stream, start over once complete. */
	if (more) {
		json_object_set_new(c, "page", json_deep_copy(mid ? cur : next));
		if (mid && (seen = seen_object(P, 0, floor, 1)) != NULL)
			json_object_set_new(c, "seen", seen);
	}
	return c;
}

static int checkpoint(struct puller *P, const json_t *next, const json_t *cur, int mid, char **err)
{
	json_t *state = sgp_state_new(P->p->name, P->s->name, make_cursor(P, next, cur, mid), NULL);
	int rc = 0;

	sgp_writer_json(P->out, state);
	P->st->states++;
	if (P->o->save_state) {
		if (sgp_writer_sync(P->out) < 0 && errno != ENOTSUP) {
			*err = xasprintf("cannot flush the output: %s", strerror(errno));
			json_decref(state);
			return -1;
		}
		rc = sgp_state_file_write(P->o->save_state, state, err);
	} else {
		sgp_writer_flush(P->out);
	}
	json_decref(state);
	return rc;
}

static void progress(struct puller *P, int final)
{
	if (!P->o->progress)
		return;
	fprintf(stderr, "\r%s %s: %llu records, %llu pages%s", P->p->name, P->s->name,
		P->st->emitted, P->st->pages, final ? "\n" : "");
	P->progress_shown = 1;
}

static void reject_record(struct puller *P, const char *reason, const char *msg,
			  const struct sgp_jspan *rec, const char *url)
{
	struct sgp_reject rj = { 0 };
	json_t *errs = json_array();
	sgp_buf b = SGP_BUF_INIT, raw = SGP_BUF_INIT;

	sgp_jspan_compact(rec, &raw);
	json_array_append_new(errs, sgp_error_new("", reason, "%s", msg));
	rj.reason = reason;
	rj.errors = errs;
	rj.line_text = raw.data;
	rj.line_len = raw.len;
	rj.line_is_json = rec->type == SGP_J_OBJECT;
	rj.file = url;
	sgp_reject_format(&b, &rj);
	sgp_writer_write(P->rejects, b.data, b.len);
	sgp_buf_release(&b);
	sgp_buf_release(&raw);
	json_decref(errs);
	P->st->rejected++;
}

static char *short_body(const char *body, size_t len)
{
	char *s = xstrndup(body, len > 300 ? 300 : len), *r;
	size_t i;

	for (i = 0; s[i]; i++)
		if (s[i] == '\n' || s[i] == '\r' || s[i] == '\t')
			s[i] = ' ';
	r = sgp_redact(s);
	free(s);
	return r;
}

/* Why a finished request is not a page: a message for exit 3, or NULL. */
static char *request_failure(struct puller *P, sgp_http_req *r, enum sgp_http_result res)
{
	long status = sgp_http_req_status(r);
	size_t len;
	const char *body = sgp_http_req_response(r, &len);
	char *sb, *m, *url = sgp_redact(sgp_http_req_url(r));

	if (res == SGP_HTTP_DONE && status >= 200 && status <= 299) {
		free(url);
		return NULL;
	}
	sb = short_body(body, len);
	if (res == SGP_HTTP_DONE && (status == 401 || status == 403) && P->o->auth &&
	    sgp_auth_type_of(P->o->auth) != SGP_AUTH_NONE)
		m = xasprintf("%s refused %s (HTTP %ld): %s", P->p->name,
			      sgp_auth_describe(P->o->auth), status, sb);
	else if (res == SGP_HTTP_DONE)
		m = xasprintf("%s %s: %s %s: HTTP %ld: %s", P->p->name, P->s->name,
			      sgp_http_req_method(r), url, status, sb);
	else
		m = xasprintf("%s %s: %s %s: %s", P->p->name, P->s->name, sgp_http_req_method(r), url,
			      sgp_http_req_error(r));
	free(sb);
	free(url);
	return m;
}

/* Text of a scalar span, or NULL when missing, null or "" (caller frees). */
static char *span_text(const struct sgp_jspan *x, int found)
{
	sgp_buf b = SGP_BUF_INIT;

	if (!found || !sgp_jspan_text(x, &b) || b.len == 0) {
		sgp_buf_release(&b);
		return NULL;
	}
	return sgp_buf_detach(&b, NULL);
}

static char *text_at(const struct sgp_jspan *v, const char *ptr)
{
	struct sgp_jspan x;

	return span_text(&x, ptr && sgp_jspan_get(v, ptr, &x));
}

static int field_true(const struct page_info *pi, int f)
{
	return pi->found[f] && pi->f[f].type == SGP_J_TRUE;
}

static int field_num(const struct page_info *pi, int f, long long *out)
{
	char *t = span_text(&pi->f[f], pi->found[f]);
	int ok = t && sgp_parse_ll(t, 0, (long long)1 << 62, out) == 0;

	free(t);
	return ok;
}

/* The token of the page after this one, or NULL at the end. */
static json_t *next_token(struct puller *P, sgp_http_req *r, struct page_info *pi,
			  size_t nrec, const json_t *cur)
{
	const struct sgp_jspan *recs = &pi->f[F_RECORDS];
	const struct sgp_stream *s = P->s;
	char *v;
	long long total, off;

	if (field_true(pi, F_DONE))
		goto end;
	switch (s->style) {
	case SGP_PAGE_SINGLE:
		return NULL;
	case SGP_PAGE_CURSOR: {
		if (s->cursor_in_record) {
			struct sgp_jspan last = { 0 }, x;
			struct sgp_jiter it;
			sgp_jspan_iter(recs, &it);
			while (sgp_jiter_next(&it, &x))
				last = x;
			v = last.p ? text_at(&last, s->cursor) : NULL;
		} else {
			v = span_text(&pi->f[F_CURSOR], pi->found[F_CURSOR]);
		}
		if (v) {
			free(pi->cursor_val);
			pi->cursor_val = xstrdup(v);
		}
		if (s->has_more && !field_true(pi, F_HAS_MORE)) {
			free(v);
			return NULL;
		}
		if (v == NULL)
			return NULL;
		if (nrec == 0 && sgp_json_str(cur, "cursor") && strcmp(sgp_json_str(cur, "cursor"), v) == 0) {
			free(v);
			return NULL;  /* no progress: the stream is at its end */
		}
		{
			json_t *t = json_pack("{s:s}", "cursor", v);
			free(v);
			return t;
		}
	}
	case SGP_PAGE_NEXT_URL: {
		char *u;
		json_t *t;
		if (s->has_more && !field_true(pi, F_HAS_MORE))
			return NULL;
		v = span_text(&pi->f[F_NEXT], pi->found[F_NEXT]);
		if (v == NULL)
			return NULL;
		u = sgp_url_join_base(P->p->base_url, v);
		free(v);
		t = json_pack("{s:s}", "url", u);
		free(u);
		return t;
	}
	case SGP_PAGE_LINK: {
		char *u = sgp_link_next(sgp_http_req_response_header(r, "Link"));
		json_t *t;
		if (u == NULL)
			return NULL;
		v = sgp_url_join_base(P->p->base_url, u);
		free(u);
		t = json_pack("{s:s}", "url", v);
		free(v);
		return t;
	}
	case SGP_PAGE_OFFSET:
	case SGP_PAGE_NUMBER:
		if (nrec == 0)
			return NULL;
		if (s->has_more) {
			if (!field_true(pi, F_HAS_MORE))
				return NULL;
		} else if (s->total) {
			off = s->style == SGP_PAGE_OFFSET
				? (json_is_integer(json_object_get(cur, "offset"))
				   ? json_integer_value(json_object_get(cur, "offset")) : 0)
				: 0;
			if (field_num(pi, F_TOTAL, &total) && s->style == SGP_PAGE_OFFSET &&
			    off + (long long)nrec >= total)
				return NULL;
		} else if (P->page_size > 0 && (long)nrec < P->page_size) {
			return NULL;
		}
		if (s->style == SGP_PAGE_OFFSET) {
			off = json_is_integer(json_object_get(cur, "offset"))
				? json_integer_value(json_object_get(cur, "offset")) : 0;
			return json_pack("{s:I}", "offset", (json_int_t)(off + (long long)nrec));
		} else {
			long long pg = json_is_integer(json_object_get(cur, "page"))
				? json_integer_value(json_object_get(cur, "page")) : s->first_page;
			if (s->total && field_num(pi, F_TOTAL, &total) && pg + 1 - s->first_page >= total)
				return NULL;  /* total counts pages here */
			return json_pack("{s:I}", "page", (json_int_t)(pg + 1));
		}
	}
end:
	if (s->style == SGP_PAGE_CURSOR) {
		/* Remember the cursor even at the end (Zendesk's export). */
		v = s->cursor_in_record ? NULL : span_text(&pi->f[F_CURSOR], pi->found[F_CURSOR]);
		if (v) {
			free(pi->cursor_val);
			pi->cursor_val = v;
		}
	}
	return NULL;
}

static int limit_reached(const struct puller *P)
{
	return P->o->limit > 0 && P->st->emitted >= P->o->limit;
}

/* Emit the records of one page.  Returns 1 if the limit stopped it
 * before the page's end. */
static int take_records(struct puller *P, const struct page_info *pi, const char *url)
{
	const struct sgp_jspan *recs = &pi->f[F_RECORDS];
	int space = pi->has_space;
	/* the records' spans, noted by the validator, or found by walking */
	int indexed = pi->mem.have_elems && recs->type == SGP_J_ARRAY;
	size_t k = 0;
	struct sgp_jiter it;
	struct sgp_jspan v, f;
	const char *reason, *why;
	char msg[512];
	unsigned n = 0;
	sgp_buf tb = SGP_BUF_INIT;

	sgp_jspan_iter(recs, &it);
	while (indexed ? (k < pi->mem.nelems ? (v = pi->mem.elems[k++], 1) : 0)
		       : sgp_jiter_next(&it, &v)) {
		sgp_time t = { 0, 0 };
		int has_t = 0;
		size_t i;

		if (limit_reached(P)) {
			sgp_buf_release(&tb);
			return 1;
		}
		if (++n % 64 == 0)
			sgp_http_pump(P->http);
		P->st->received++;
		if (sgp_record_extract(&P->spec, &v, &P->rec, &reason, msg, sizeof msg) < 0) {
			reject_record(P, reason, msg, &v, url);
			continue;
		}
		for (i = 0; i < P->s->ninc_field; i++) {
			if (sgp_jspan_get(&v, P->s->inc_field[i], &f) && f.type != SGP_J_NULL) {
				sgp_buf_reset(&tb);
				if (sgp_jspan_text(&f, &tb) &&
				    sgp_vendor_time(tb.data, tb.len, P->s->naive_utc, &t, &why) == 0)
					has_t = 1;
				break;
			}
		}
		if ((P->old_seen && json_object_get(P->old_seen, P->rec.key.data)) ||
		    (P->dedupe_run && !strset_add(&P->done, P->rec.key.data, P->rec.key.len))) {
			P->st->skipped++;
			if (has_t && P->s->incremental)
				win_add(P, P->rec.key.data, P->rec.key.len, t);
			continue;
		}
		sgp_buf_reset(&P->line);
		sgp_record_event(&P->spec, &P->rec, &v, !space, &P->line);
		sgp_writer_write(P->out, P->line.data, P->line.len);
		P->st->emitted++;
		if (P->o->limit > 0)  /* only a stop inside a page needs them */
			page_key_add(P, P->rec.key.data, P->rec.key.len, has_t, t);
		if (has_t && P->s->incremental) {
			win_add(P, P->rec.key.data, P->rec.key.len, t);
			if (!P->have_max || sgp_time_cmp(t, P->max) > 0) {
				P->max = t;
				P->have_max = 1;
			}
		}
	}
	sgp_buf_release(&tb);
	return 0;
}

static int load_state(struct puller *P, json_t **first_tok, char **err)
{
	const json_t *c = P->o->state;
	const char *since = sgp_json_str(c, "since"), *max = sgp_json_str(c, "max");
	const char *cur = sgp_json_str(c, "cursor"), *why;
	json_t *page = json_object_get(c, "page"), *seen = json_object_get(c, "seen");

	*first_tok = NULL;
	if (P->o->since) {
		if (sgp_time_parse(P->o->since, &P->since, &why) < 0) {
			*err = xasprintf("invalid --since '%s': %s", P->o->since, why);
			return -1;
		}
		P->have_since = 1;
		return 0;  /* an explicit start: the state is not used */
	}
	if (c == NULL)
		return 0;
	if (since) {
		if (sgp_time_parse(since, &P->since, &why) < 0) {
			*err = xasprintf("state of %s %s: invalid since '%s': %s", P->p->name,
					 P->s->name, since, why);
			return -1;
		}
		P->have_since = 1;
	}
	if (max && sgp_time_parse(max, &P->max, &why) == 0)
		P->have_max = 1;
	if (json_is_object(seen))
		P->old_seen = json_incref(seen);
	if (json_is_object(page))
		*first_tok = json_deep_copy(page);
	else if (cur && P->s->resume_cursor)
		*first_tok = json_pack("{s:s}", "cursor", cur);
	if (cur && P->s->resume_cursor) {
		free(P->last_cursor);
		P->last_cursor = xstrdup(cur);
	}
	return 0;
}

int sgp_pull_run(const struct sgp_pull_opts *o, sgp_writer *out, sgp_writer *rejects,
		 struct sgp_pull_stats *st, char **err)
{
	struct puller P = { 0 };
	struct sgp_http_config cfg;
	json_t *tok = NULL, *next = NULL;
	sgp_http_req *r = NULL, *pre = NULL;
	int rc = SGP_EXIT_OK, mid = 0, resumed = 0;
	const struct sgp_http_stats *hs;
	double waited_ms = 0;

	*err = NULL;
	P.o = o;
	P.p = o->profile;
	P.s = o->stream;
	P.out = out;
	P.rejects = rejects;
	P.st = st;
	P.page_size = o->page_size > 0 ? o->page_size : P.s->page_size;
	if (P.s->max_page_size > 0 && P.page_size > P.s->max_page_size)
		P.page_size = P.s->max_page_size;
	P.lookback = o->lookback_s >= 0 ? o->lookback_s : P.s->lookback_s;
	/* Offsets and page numbers move when records are added or removed
	 * during a pull, and can serve a record twice; cursors do not. */
	P.dedupe_run = P.s->style == SGP_PAGE_OFFSET || P.s->style == SGP_PAGE_NUMBER ||
		       P.s->style == SGP_PAGE_LINK;
	P.spec.system = P.p->system;
	P.spec.object = P.s->object;
	P.spec.id = (const char *const *)P.s->id;
	P.spec.nid = P.s->nid;
	P.spec.revision = (const char *const *)P.s->revision;
	P.spec.nrevision = P.s->nrevision;
	P.spec.occurred_at = (const char *const *)P.s->occurred_at;
	P.spec.noccurred_at = P.s->noccurred_at;
	P.spec.naive_utc = P.s->naive_utc;

	cfg = P.p->http;
	if (o->max_attempts > 0)
		cfg.max_attempts = o->max_attempts;
	if (o->backoff_ms > 0)
		cfg.backoff_ms = o->backoff_ms;
	if (o->timeout_ms > 0)
		cfg.timeout_ms = o->timeout_ms;
	if (cfg.max_in_flight <= 0 || cfg.max_in_flight > 2)
		cfg.max_in_flight = 2;  /* this page and the next */
	cfg.insecure = o->insecure;
	P.http = sgp_http_new(&cfg);
	if (o->auth)
		sgp_http_set_signer(P.http, sgp_auth_signer(o->auth));

	if (load_state(&P, &tok, err) < 0) {
		rc = SGP_EXIT_USAGE;
		goto out;
	}
	resumed = tok != NULL && json_object_size(tok) > 0;
	if (tok == NULL)
		tok = json_object();
	r = make_request(&P, tok);
	sgp_http_submit(P.http, r);
	for (;;) {
		struct timespec w0, w1;
		enum sgp_http_result res;

		clock_gettime(CLOCK_MONOTONIC, &w0);
		res = sgp_http_wait(P.http, r);
		clock_gettime(CLOCK_MONOTONIC, &w1);
		waited_ms += (w1.tv_sec - w0.tv_sec) * 1000.0 + (w1.tv_nsec - w0.tv_nsec) / 1e6;
		char *why = request_failure(&P, r, res);
		struct page_info *pi;
		char *url;

		if (why && resumed && st->pages == 0 && res == SGP_HTTP_DONE &&
		    sgp_http_req_status(r) >= 400 && sgp_http_req_status(r) <= 499 &&
		    sgp_http_req_status(r) != 401 && sgp_http_req_status(r) != 403 &&
		    sgp_http_req_status(r) != 429) {
			/* The vendor no longer knows the saved position (a cursor
			 * past its lifetime, a deleted record): start the stream
			 * again from its since.  Records may come again; none is
			 * skipped. */
			char *m = sgp_redact(why);
			sgp_log(SGP_LOG_WARN, "%s; the saved position is refused, starting %s %s "
				"again from its beginning%s", m, P.p->name, P.s->name,
				P.have_since ? " at its since" : "");
			free(m);
			free(why);
			free(P.last_cursor);
			P.last_cursor = NULL;
			P.have_max = 0;
			resumed = 0;
			free_req(r);
			json_decref(tok);
			tok = json_object();
			r = make_request(&P, tok);
			sgp_http_submit(P.http, r);
			continue;
		}
		if (why) {
			*err = why;
			rc = SGP_EXIT_SYSTEM;
			break;
		}
		pi = sgp_http_req_userdata(r);
		if (pi->chained) {
			pi->chained = 0;
			P.ahead--;
		}
		if (pi->cursor_val) {
			free(P.last_cursor);
			P.last_cursor = xstrdup(pi->cursor_val);
		}
		next = pi->next;
		pi->next = NULL;
		pre = pi->next_req;
		pi->next_req = NULL;
		/* Ask for the next page while this one is written out. */
		if (next && pre == NULL && !(o->limit > 0 && st->emitted + pi->nrec >= o->limit)) {
			pre = make_request(&P, next);
			sgp_http_submit(P.http, pre);
		}
		st->pages++;
		page_keys_clear(&P);
		url = sgp_redact(sgp_http_req_url(r));
		mid = take_records(&P, pi, url);
		free(url);
		if (checkpoint(&P, next, pi->tok, mid, err) < 0) {
			rc = SGP_EXIT_SYSTEM;
			break;
		}
		progress(&P, 0);
		{
			size_t i, k = sizeof P.spare / sizeof *P.spare;
			for (i = 0; i < k && P.spare[i].data; i++)
				;
			if (i == k)
				sgp_buf_release(&P.spare[--i]);
			sgp_http_req_take_body(r, &P.spare[i]);
		}
		free_req(r);
		r = NULL;
		if (next == NULL || mid || limit_reached(&P))
			break;
		if (pre == NULL) {
			pre = make_request(&P, next);
			sgp_http_submit(P.http, pre);
		}
		r = pre;
		pre = NULL;
		json_decref(next);
		next = NULL;
	}
out:
	if (P.progress_shown)
		progress(&P, 1);
	sgp_log(SGP_LOG_DEBUG, "%s %s: %llu pages, %.0f ms waiting for them", P.p->name, P.s->name,
		st->pages, waited_ms);
	hs = sgp_http_get_stats(P.http);
	st->requests = hs->requests;
	st->retries = hs->retries;
	st->rate_limited = hs->rate_limited;
	free_req(r);
	free_req(pre);
	for (size_t i = 0; i < sizeof P.spare / sizeof *P.spare; i++)
		sgp_buf_release(&P.spare[i]);
	sgp_http_free(P.http);
	json_decref(tok);
	json_decref(next);
	json_decref(P.old_seen);
	for (size_t i = 0; i < P.nwin; i++)
		free(P.win[i].key);
	free(P.win);
	page_keys_clear(&P);
	free(P.page_keys);
	free(P.page_times);
	free(P.page_has_time);
	strset_free(&P.done);
	free(P.last_cursor);
	sgp_record_release(&P.rec);
	sgp_buf_release(&P.line);
	if (rc == SGP_EXIT_OK && st->rejected > 0)
		rc = SGP_EXIT_REJECTS;
	return rc;
}

/* ---- state files ---- */

json_t *sgp_state_file_read(const char *path, const char *profile, const char *stream, char **err)
{
	sgp_reader *rd;
	const char *l;
	size_t n;
	int r;
	json_t *found = NULL;
	sgp_line_error le;

	*err = NULL;
	rd = sgp_reader_open(path);
	if (rd == NULL) {
		if (errno == ENOENT)
			return NULL;
		*err = xasprintf("cannot open '%s': %s", path, strerror(errno));
		return NULL;
	}
	while ((r = sgp_reader_next(rd, &l, &n)) > 0) {
		json_t *j = sgp_line_parse(l, n, 0, &le);
		const char *p, *s;
		if (j == NULL || sgp_line_kind_of(j) != SGP_LINE_STATE ||
		    !json_is_object(json_object_get(j, "cursor"))) {
			*err = xasprintf("'%s' line %llu is not a sgp.state/1 line%s%s", path,
					 sgp_reader_lineno(rd), j ? "" : ": ", j ? "" : le.message);
			json_decref(j);
			json_decref(found);
			sgp_reader_close(rd);
			return NULL;
		}
		p = sgp_json_str(j, "profile");
		s = sgp_json_str(j, "stream");
		if (p && s && strcmp(p, profile) == 0 && strcmp(s, stream) == 0) {
			json_decref(found);
			found = json_incref(json_object_get(j, "cursor"));
		}
		json_decref(j);
	}
	if (r < 0) {
		*err = xasprintf("cannot read '%s': %s", path, strerror(errno));
		json_decref(found);
		found = NULL;
	}
	sgp_reader_close(rd);
	return found;
}

int sgp_state_file_write(const char *path, const json_t *state, char **err)
{
	sgp_buf b = SGP_BUF_INIT;
	const char *profile = sgp_json_str(state, "profile"), *stream = sgp_json_str(state, "stream");
	sgp_reader *rd = sgp_reader_open(path);
	const char *l;
	size_t n;
	int r, placed = 0;
	char *s;
	sgp_line_error le;

	*err = NULL;
	if (rd == NULL && errno != ENOENT) {
		*err = xasprintf("cannot open '%s': %s", path, strerror(errno));
		return -1;
	}
	while (rd && (r = sgp_reader_next(rd, &l, &n)) > 0) {
		json_t *j = sgp_line_parse(l, n, 0, &le);
		const char *p = sgp_json_str(j, "profile"), *st = sgp_json_str(j, "stream");
		if (j && p && st && strcmp(p, profile) == 0 && strcmp(st, stream) == 0) {
			if (!placed) {
				s = json_dumps(state, JSON_COMPACT | JSON_PRESERVE_ORDER);
				sgp_buf_adds(&b, s);
				sgp_buf_addc(&b, '\n');
				free(s);
				placed = 1;
			}
		} else {
			sgp_buf_add(&b, l, n);
			sgp_buf_addc(&b, '\n');
		}
		json_decref(j);
	}
	sgp_reader_close(rd);
	if (!placed) {
		s = json_dumps(state, JSON_COMPACT | JSON_PRESERVE_ORDER);
		sgp_buf_adds(&b, s);
		sgp_buf_addc(&b, '\n');
		free(s);
	}
	if (sgp_write_file_atomic(path, b.data, b.len) < 0) {
		*err = xasprintf("cannot write '%s': %s", path, strerror(errno));
		sgp_buf_release(&b);
		return -1;
	}
	sgp_buf_release(&b);
	return 0;
}
