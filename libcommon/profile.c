/* profile.c: see profile.h. */
#include "profile.h"
#include "envelope.h"
#include "jsonschema.h"
#include "log.h"
#include "sgptime.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef SGP_DATADIR
#define SGP_DATADIR "/usr/local/share/sgp"
#endif

#define PROFILE_SCHEMA_ID "urn:sgp:schema:profile/1"

static const char *datadir(void)
{
	const char *d = getenv("SGP_DATADIR");

	return d && *d ? d : SGP_DATADIR;
}

char *sgp_profile_env_name(const char *name)
{
	sgp_buf b = SGP_BUF_INIT;

	sgp_buf_adds(&b, "SGP_");
	for (; *name; name++)
		sgp_buf_addc(&b, isalnum((unsigned char)*name) ? (char)toupper((unsigned char)*name) : '_');
	sgp_buf_adds(&b, "_BASE_URL");
	return sgp_buf_detach(&b, NULL);
}

static int file_exists(const char *p)
{
	return access(p, R_OK) == 0;
}

char *sgp_profile_find(const char *name, char **err)
{
	const char *pp = getenv("SGP_PROFILE_PATH");
	char *cand;
	size_t nl = strlen(name);

	*err = NULL;
	if (strchr(name, '/') || (nl > 5 && strcmp(name + nl - 5, ".json") == 0)) {
		if (file_exists(name))
			return xstrdup(name);
		*err = xasprintf("cannot open profile '%s': %s", name, strerror(errno));
		return NULL;
	}
	if (pp && *pp) {
		const char *s = pp;
		while (*s) {
			const char *e = strchr(s, ':');
			size_t k = e ? (size_t)(e - s) : strlen(s);
			if (k > 0) {
				cand = xasprintf("%.*s/%s.json", (int)k, s, name);
				if (file_exists(cand))
					return cand;
				free(cand);
			}
			s += k;
			if (*s == ':')
				s++;
		}
	}
	cand = xasprintf("%s/profiles/%s.json", datadir(), name);
	if (file_exists(cand))
		return cand;
	free(cand);
	cand = xasprintf("%s/contrib/profiles/%s.json", datadir(), name);
	if (file_exists(cand))
		return cand;
	free(cand);
	*err = xasprintf("no profile named '%s' (looked in SGP_PROFILE_PATH, %s/profiles)", name,
			 datadir());
	return NULL;
}

/* ---- checked reading of members ---- */

struct ctx {
	const char *file;
	char *err;
};

static int fail(struct ctx *c, const char *where, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct ctx *c, const char *where, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (c->err)
		return -1;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	c->err = xasprintf("profile '%s': %s: %s", c->file, where, msg);
	return -1;
}

/* Optional string member: *out = copy or NULL. */
static int get_str(struct ctx *c, const json_t *o, const char *key, const char *where,
		   int required, char **out)
{
	const json_t *v = json_object_get(o, key);

	*out = NULL;
	if (v == NULL) {
		if (required)
			return fail(c, where, "\"%s\" is required", key);
		return 0;
	}
	if (!json_is_string(v))
		return fail(c, where, "\"%s\" must be a string", key);
	*out = xstrdup(json_string_value(v));
	return 0;
}

static int get_long(struct ctx *c, const json_t *o, const char *key, const char *where,
		    long min, long max, long *out)
{
	const json_t *v = json_object_get(o, key);

	if (v == NULL)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max)
		return fail(c, where, "\"%s\" must be an integer from %ld to %ld", key, min, max);
	*out = (long)json_integer_value(v);
	return 0;
}

static int get_bool(struct ctx *c, const json_t *o, const char *key, const char *where, int *out)
{
	const json_t *v = json_object_get(o, key);

	if (v == NULL)
		return 0;
	if (!json_is_boolean(v))
		return fail(c, where, "\"%s\" must be true or false", key);
	*out = json_is_true(v);
	return 0;
}

static int check_pointer(struct ctx *c, const char *where, const char *key, const char *p)
{
	if (p[0] != '\0' && p[0] != '/')
		return fail(c, where, "\"%s\": '%s' is not a JSON Pointer (it must start with '/')",
			    key, p);
	return 0;
}

static int get_pointer(struct ctx *c, const json_t *o, const char *key, const char *where,
		       int required, char **out)
{
	if (get_str(c, o, key, where, required, out) < 0)
		return -1;
	return *out ? check_pointer(c, where, key, *out) : 0;
}

/* A pointer or an array of pointers. */
static int get_pointers(struct ctx *c, const json_t *o, const char *key, const char *where,
			int required, char ***out, size_t *n)
{
	const json_t *v = json_object_get(o, key);
	size_t i;

	*out = NULL;
	*n = 0;
	if (v == NULL) {
		if (required)
			return fail(c, where, "\"%s\" is required", key);
		return 0;
	}
	if (json_is_string(v)) {
		*out = xmalloc(sizeof **out);
		(*out)[0] = xstrdup(json_string_value(v));
		*n = 1;
		return check_pointer(c, where, key, (*out)[0]);
	}
	if (!json_is_array(v) || json_array_size(v) == 0)
		return fail(c, where, "\"%s\" must be a JSON Pointer or a non-empty array of them", key);
	*out = xcalloc(json_array_size(v), sizeof **out);
	for (i = 0; i < json_array_size(v); i++) {
		const json_t *e = json_array_get(v, i);
		if (!json_is_string(e))
			return fail(c, where, "\"%s\"[%zu] must be a string", key, i);
		(*out)[i] = xstrdup(json_string_value(e));
		(*n)++;
		if (check_pointer(c, where, key, (*out)[i]) < 0)
			return -1;
	}
	return 0;
}

static int get_kv(struct ctx *c, const json_t *o, const char *key, const char *where,
		  struct sgp_kv_list *out)
{
	const json_t *v = json_object_get(o, key), *x;
	const char *k;
	size_t i = 0;

	memset(out, 0, sizeof *out);
	if (v == NULL)
		return 0;
	if (!json_is_object(v))
		return fail(c, where, "\"%s\" must be an object of strings", key);
	out->name = xcalloc(json_object_size(v) + 1, sizeof *out->name);
	out->value = xcalloc(json_object_size(v) + 1, sizeof *out->value);
	json_object_foreach((json_t *)v, k, x) {
		char num[32];
		const char *s;
		if (json_is_string(x)) {
			s = json_string_value(x);
		} else if (json_is_integer(x)) {
			snprintf(num, sizeof num, "%lld", (long long)json_integer_value(x));
			s = num;
		} else if (json_is_boolean(x)) {
			s = json_is_true(x) ? "true" : "false";
		} else {
			return fail(c, where, "\"%s\".\"%s\" must be a string", key, k);
		}
		out->name[i] = xstrdup(k);
		out->value[i] = xstrdup(s);
		out->n = ++i;
	}
	return 0;
}

static void kv_free(struct sgp_kv_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->name[i]);
		free(l->value[i]);
	}
	free(l->name);
	free(l->value);
}

static void strv_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static const char *const time_styles[] = {
	[SGP_TS_EPOCH] = "epoch", [SGP_TS_EPOCH_MS] = "epoch_ms", [SGP_TS_RFC3339] = "rfc3339",
	[SGP_TS_RFC3339_MS] = "rfc3339_ms", [SGP_TS_DATE] = "date", [SGP_TS_DATETIME] = "datetime",
};

int sgp_time_style_parse(const char *s)
{
	size_t i;

	for (i = 0; i < sizeof time_styles / sizeof *time_styles; i++)
		if (strcmp(s, time_styles[i]) == 0)
			return (int)i;
	return -1;
}

static int one_of(struct ctx *c, const char *where, const char *key, const char *v,
		  const char *const *names, size_t n, int *out)
{
	size_t i;
	sgp_buf all = SGP_BUF_INIT;

	for (i = 0; i < n; i++)
		if (strcmp(v, names[i]) == 0) {
			*out = (int)i;
			return 0;
		}
	for (i = 0; i < n; i++) {
		if (i)
			sgp_buf_adds(&all, ", ");
		sgp_buf_adds(&all, names[i]);
	}
	fail(c, where, "\"%s\": '%s' is not one of %s", key, v, all.data);
	sgp_buf_release(&all);
	return -1;
}

static int parse_pagination(struct ctx *c, const json_t *pg, const char *where, struct sgp_stream *s)
{
	static const char *const styles[] = { "none", "cursor", "next_url", "link_header",
					      "offset", "page" };
	char *style = NULL, *from = NULL;
	int st = 0;

	s->first_page = 1;
	if (pg == NULL) {
		s->style = SGP_PAGE_SINGLE;
		return 0;
	}
	if (!json_is_object(pg))
		return fail(c, where, "must be an object");
	if (get_str(c, pg, "style", where, 1, &style) < 0)
		return -1;
	if (one_of(c, where, "style", style, styles, 6, &st) < 0) {
		free(style);
		return -1;
	}
	free(style);
	s->style = (enum sgp_page_style)st;
	if (get_str(c, pg, "param", where, 0, &s->page_param) < 0 ||
	    get_pointer(c, pg, "cursor", where, 0, &s->cursor) < 0 ||
	    get_str(c, pg, "cursor_from", where, 0, &from) < 0 ||
	    get_pointer(c, pg, "next", where, 0, &s->next) < 0 ||
	    get_pointer(c, pg, "has_more", where, 0, &s->has_more) < 0 ||
	    get_pointer(c, pg, "done", where, 0, &s->done) < 0 ||
	    get_pointer(c, pg, "total", where, 0, &s->total) < 0 ||
	    get_str(c, pg, "size_param", where, 0, &s->size_param) < 0 ||
	    get_long(c, pg, "size", where, 1, 1000000, &s->page_size) < 0 ||
	    get_long(c, pg, "max_size", where, 1, 1000000, &s->max_page_size) < 0 ||
	    get_long(c, pg, "first", where, 0, 1, &s->first_page) < 0) {
		free(from);
		return -1;
	}
	if (from) {
		if (strcmp(from, "body") == 0)
			s->cursor_in_record = 0;
		else if (strcmp(from, "last_record") == 0)
			s->cursor_in_record = 1;
		else {
			free(from);
			return fail(c, where, "\"cursor_from\" must be \"body\" or \"last_record\"");
		}
		free(from);
	}
	switch (s->style) {
	case SGP_PAGE_CURSOR:
		if (!s->page_param || !s->cursor)
			return fail(c, where, "style cursor needs \"param\" and \"cursor\"");
		break;
	case SGP_PAGE_NEXT_URL:
		if (!s->next)
			return fail(c, where, "style next_url needs \"next\"");
		break;
	case SGP_PAGE_OFFSET:
	case SGP_PAGE_NUMBER:
		if (!s->page_param)
			return fail(c, where, "style %s needs \"param\"",
				    s->style == SGP_PAGE_OFFSET ? "offset" : "page");
		if (!s->size_param)
			return fail(c, where, "style %s needs \"size_param\"",
				    s->style == SGP_PAGE_OFFSET ? "offset" : "page");
		break;
	default:
		break;
	}
	if (s->page_size && s->max_page_size && s->page_size > s->max_page_size)
		return fail(c, where, "\"size\" is larger than \"max_size\"");
	return 0;
}

static int parse_incremental(struct ctx *c, const json_t *inc, const char *where,
			     struct sgp_stream *s)
{
	static const char *const orders[] = { "none", "asc", "desc" };
	char *fmt = NULL, *order = NULL, *resume = NULL;
	int v = 0;
	size_t i;

	if (inc == NULL)
		return 0;
	if (!json_is_object(inc))
		return fail(c, where, "must be an object");
	s->incremental = 1;
	if (get_pointers(c, inc, "field", where, 1, &s->inc_field, &s->ninc_field) < 0 ||
	    get_kv(c, inc, "params", where, &s->inc_params) < 0 ||
	    get_str(c, inc, "format", where, 0, &fmt) < 0 ||
	    get_str(c, inc, "order", where, 0, &order) < 0 ||
	    get_long(c, inc, "lookback_s", where, 0, 366L * 86400, &s->lookback_s) < 0 ||
	    get_str(c, inc, "initial", where, 0, &s->initial) < 0 ||
	    get_str(c, inc, "resume", where, 0, &resume) < 0 ||
	    get_bool(c, inc, "exclusive", where, &s->inc_exclusive) < 0)
		goto out;
	s->since_style = SGP_TS_RFC3339;
	if (fmt && one_of(c, where, "format", fmt, time_styles,
			  sizeof time_styles / sizeof *time_styles, &v) < 0)
		goto out;
	if (fmt)
		s->since_style = (enum sgp_time_style)v;
	s->order = SGP_ORDER_NONE;
	if (order && one_of(c, where, "order", order, orders, 3, &v) < 0)
		goto out;
	if (order)
		s->order = (enum sgp_order)v;
	if (resume) {
		if (strcmp(resume, "cursor") == 0) {
			if (s->style != SGP_PAGE_CURSOR) {
				fail(c, where, "\"resume\": \"cursor\" needs pagination style cursor");
				goto out;
			}
			s->resume_cursor = 1;
		} else if (strcmp(resume, "since") != 0) {
			fail(c, where, "\"resume\" must be \"since\" or \"cursor\"");
			goto out;
		}
	}
	if (s->initial) {
		sgp_time t;
		const char *why;
		if (sgp_time_parse(s->initial, &t, &why) < 0) {
			fail(c, where, "\"initial\": cannot read '%s' as a time: %s", s->initial, why);
			goto out;
		}
	}
	{
		const json_t *b = json_object_get(inc, "body");
		if (b)
			s->inc_body = json_is_string(b) ? xstrdup(json_string_value(b))
				: json_dumps(b, JSON_COMPACT | JSON_PRESERVE_ORDER);
		if (s->inc_body && strcmp(s->method, "POST") != 0) {
			fail(c, where, "\"body\" needs a POST stream");
			goto out;
		}
	}
	for (i = 0; i < s->inc_params.n; i++)
		if (strstr(s->inc_params.value[i], "{since}"))
			break;
	if (i == s->inc_params.n && !(s->body && strstr(s->body, "{since}")) &&
	    !(s->inc_body && strstr(s->inc_body, "{since}"))) {
		fail(c, where, "{since} must appear in \"params\" (or in the stream's body)");
		goto out;
	}
out:
	free(fmt);
	free(order);
	free(resume);
	return c->err ? -1 : 0;
}

static int valid_stream_name(const char *s)
{
	size_t i;

	if (!(s[0] >= 'a' && s[0] <= 'z') || strlen(s) > 64)
		return 0;
	for (i = 1; s[i]; i++)
		if (!(islower((unsigned char)s[i]) || isdigit((unsigned char)s[i]) || s[i] == '_' ||
		      s[i] == '.' || s[i] == '-'))
			return 0;
	return 1;
}

/* Profile, system and object names: [a-z][a-z0-9_-]{0,63}. */
static int valid_name(const char *s)
{
	size_t i;

	if (!(s[0] >= 'a' && s[0] <= 'z') || strlen(s) > 64)
		return 0;
	for (i = 1; s[i]; i++)
		if (!(islower((unsigned char)s[i]) || isdigit((unsigned char)s[i]) || s[i] == '_' ||
		      s[i] == '-'))
			return 0;
	return 1;
}

static int parse_stream(struct ctx *c, const char *name, const json_t *js, struct sgp_stream *s)
{
	char where[160];
	char *w2;
	int rc;

	snprintf(where, sizeof where, "streams.%s", name);
	s->name = xstrdup(name);
	if (!valid_stream_name(name))
		return fail(c, where, "a stream name is lowercase letters, digits, '_', '.', '-'");
	if (!json_is_object(js))
		return fail(c, where, "must be an object");
	if (get_str(c, js, "object", where, 1, &s->object) < 0)
		return -1;
	if (!valid_name(s->object))
		return fail(c, where, "\"object\": '%s' is not a name (lowercase letters, digits, "
			    "'_', '-')", s->object);
	if (
	    get_str(c, js, "path", where, 1, &s->path) < 0 ||
	    get_str(c, js, "method", where, 0, &s->method) < 0 ||
	    get_kv(c, js, "params", where, &s->params) < 0 ||
	    get_pointer(c, js, "records", where, 0, &s->records) < 0 ||
	    get_pointers(c, js, "id", where, 1, &s->id, &s->nid) < 0 ||
	    get_pointers(c, js, "revision", where, 0, &s->revision, &s->nrevision) < 0 ||
	    get_pointers(c, js, "occurred_at", where, 1, &s->occurred_at, &s->noccurred_at) < 0 ||
	    get_bool(c, js, "naive_times_utc", where, &s->naive_utc) < 0)
		return -1;
	{
		const json_t *b = json_object_get(js, "body");
		if (b) {
			if (json_is_string(b))
				s->body = xstrdup(json_string_value(b));
			else
				s->body = json_dumps(b, JSON_COMPACT | JSON_PRESERVE_ORDER);
		}
	}
	if (s->method == NULL)
		s->method = xstrdup("GET");
	if (strcmp(s->method, "GET") != 0 && strcmp(s->method, "POST") != 0)
		return fail(c, where, "\"method\" must be GET or POST");
	if (s->records == NULL)
		s->records = xstrdup("");
	if (s->path[0] != '/' && strstr(s->path, "://") == NULL)
		return fail(c, where, "\"path\" must start with '/'");
	w2 = xasprintf("%s.pagination", where);
	rc = parse_pagination(c, json_object_get(js, "pagination"), w2, s);
	free(w2);
	if (rc < 0)
		return -1;
	w2 = xasprintf("%s.incremental", where);
	rc = parse_incremental(c, json_object_get(js, "incremental"), w2, s);
	free(w2);
	return rc;
}

static void stream_free(struct sgp_stream *s)
{
	free(s->name);
	free(s->object);
	free(s->method);
	free(s->path);
	kv_free(&s->params);
	free(s->body);
	free(s->records);
	strv_free(s->id, s->nid);
	strv_free(s->revision, s->nrevision);
	strv_free(s->occurred_at, s->noccurred_at);
	free(s->page_param);
	free(s->cursor);
	free(s->next);
	free(s->has_more);
	free(s->done);
	free(s->total);
	free(s->size_param);
	strv_free(s->inc_field, s->ninc_field);
	kv_free(&s->inc_params);
	free(s->inc_body);
	free(s->initial);
}

/* Validate doc against schemas/profile.schema.json, when it is installed.
 * Returns 0, or -1 with every error in c->err. */
static int schema_check(struct ctx *c, json_t *doc)
{
	char *dir = xasprintf("%s/schemas", datadir());
	char *file = xasprintf("%s/profile.schema.json", dir);
	char *msg = NULL;
	js_registry *reg = NULL;
	js_schema *s = NULL;
	js_errors errs = JS_ERRORS_INIT;
	json_t *sdoc = NULL;
	json_error_t je;
	int rc = 0;
	size_t i;

	if (!file_exists(file))
		goto out;  /* not installed: the member checks below still apply */
	sdoc = json_load_file(file, 0, &je);
	reg = js_registry_new();
	if (sdoc == NULL || js_registry_load_meta(reg, dir, &msg) < 0 ||
	    js_registry_add(reg, sdoc, NULL, &msg) < 0 ||
	    (s = js_compile_uri(reg, PROFILE_SCHEMA_ID, NULL, &errs)) == NULL) {
		/* A broken installation, not a broken profile: say so, and
		 * fall back on the member checks. */
		sgp_log(SGP_LOG_WARN, "cannot use '%s': %s", file,
			msg ? msg : (errs.n ? errs.v[0].message : je.text));
		goto out;
	}
	if (js_validate(s, doc, &errs) > 0) {
		sgp_buf b = SGP_BUF_INIT;
		for (i = 0; i < errs.n && i < 8; i++) {
			if (i)
				sgp_buf_adds(&b, "; ");
			sgp_buf_addf(&b, "%s: %s", errs.v[i].instance_path[0] ? errs.v[i].instance_path : "/",
				     errs.v[i].message);
		}
		if (errs.n > 8)
			sgp_buf_addf(&b, "; and %zu more", errs.n - 8);
		c->err = xasprintf("profile '%s' does not match %s: %s", c->file, PROFILE_SCHEMA_ID,
				   b.data);
		sgp_buf_release(&b);
		rc = -1;
	}
out:
	free(msg);
	js_errors_release(&errs);
	js_schema_free(s);
	js_registry_free(reg);
	json_decref(sdoc);
	free(dir);
	free(file);
	return rc;
}

static int parse_http(struct ctx *c, const json_t *doc, sgp_profile *p)
{
	const json_t *rl = json_object_get(doc, "rate_limit");
	const json_t *rt = json_object_get(doc, "retry");
	const json_t *to = json_object_get(doc, "timeouts");
	long v;
	char *s = NULL;

	p->http.name = p->name;
	v = 0;
	if (get_long(c, doc, "max_in_flight", "max_in_flight", 1, 64, &v) < 0)
		return -1;
	p->http.max_in_flight = (int)v;
	if (rl) {
		const json_t *rps = json_object_get(rl, "rps");
		if (!json_is_object(rl))
			return fail(c, "rate_limit", "must be an object");
		if (rps && (!json_is_number(rps) || json_number_value(rps) <= 0))
			return fail(c, "rate_limit", "\"rps\" must be a positive number");
		if (rps)
			p->http.rps = json_number_value(rps);
		if (get_str(c, rl, "remaining_header", "rate_limit", 0, &s) < 0)
			return -1;
		p->http.remaining_header = s;
		if (get_str(c, rl, "reset_header", "rate_limit", 0, &s) < 0)
			return -1;
		p->http.reset_header = s;
		{
			const json_t *sd = json_object_get(rl, "slowdown"), *e;
			size_t i;
			if (sd && !json_is_array(sd))
				return fail(c, "rate_limit", "\"slowdown\" must be an array");
			p->slowdown = xcalloc(json_array_size(sd) + 1, sizeof *p->slowdown);
			json_array_foreach((json_t *)sd, i, e) {
				const json_t *st = json_object_get(e, "status");
				const char *bc = sgp_json_str(e, "body_contains");
				if (!json_is_integer(st) || json_integer_value(st) < 400 ||
				    json_integer_value(st) > 599)
					return fail(c, "rate_limit.slowdown", "\"status\" must be a 4xx or 5xx status");
				p->slowdown[i].status = (long)json_integer_value(st);
				p->slowdown[i].body_contains = bc ? xstrdup(bc) : NULL;
				p->http.nslowdown = i + 1;
			}
			p->http.slowdown = p->slowdown;
		}
		if (get_str(c, rl, "reset", "rate_limit", 0, &s) < 0)
			return -1;
		if (s) {
			static const char *const kinds[] = { "auto", "seconds", "epoch", "ms" };
			int k;
			if (one_of(c, "rate_limit", "reset", s, kinds, 4, &k) < 0) {
				free(s);
				return -1;
			}
			p->http.reset_kind = (enum sgp_http_reset_kind)k;
			free(s);
		}
	}
	if (rt) {
		if (!json_is_object(rt))
			return fail(c, "retry", "must be an object");
		v = 0;
		if (get_long(c, rt, "max_attempts", "retry", 1, 100, &v) < 0)
			return -1;
		p->http.max_attempts = (int)v;
		if (get_long(c, rt, "backoff_ms", "retry", 1, 3600000, &p->http.backoff_ms) < 0 ||
		    get_long(c, rt, "backoff_max_ms", "retry", 1, 3600000, &p->http.backoff_max_ms) < 0)
			return -1;
		v = 0;
		if (get_long(c, rt, "retry_after_max_s", "retry", 1, 86400, &v) < 0)
			return -1;
		p->http.retry_after_max_ms = v * 1000;
	}
	if (to) {
		if (!json_is_object(to))
			return fail(c, "timeouts", "must be an object");
		if (get_long(c, to, "connect_ms", "timeouts", 1, 600000, &p->http.connect_timeout_ms) < 0 ||
		    get_long(c, to, "request_ms", "timeouts", 1, 3600000, &p->http.timeout_ms) < 0)
			return -1;
	}
	return 0;
}

sgp_profile *sgp_profile_from_json(json_t *doc, const char *path, char **err)
{
	sgp_profile *p = xcalloc(1, sizeof *p);
	struct ctx c = { path, NULL };
	const json_t *streams, *js, *idem;
	const char *k;
	char *env, *base = NULL;

	*err = NULL;
	p->doc = doc;
	p->path = xstrdup(path);
	if (!json_is_object(doc)) {
		fail(&c, "/", "a profile is a JSON object");
		goto fail;
	}
	if (schema_check(&c, doc) < 0)
		goto fail;
	if (get_str(&c, doc, "name", "name", 1, &p->name) < 0 ||
	    get_str(&c, doc, "system", "system", 0, &p->system) < 0 ||
	    get_str(&c, doc, "base_url", "base_url", 1, &base) < 0 ||
	    get_kv(&c, doc, "headers", "headers", &p->headers) < 0)
		goto fail;
	if (p->system == NULL)
		p->system = xstrdup(p->name);
	if (!valid_name(p->name) || !valid_name(p->system)) {
		fail(&c, valid_name(p->name) ? "system" : "name",
		     "'%s' is not a name (lowercase letters, digits, '_', '-')",
		     valid_name(p->name) ? p->system : p->name);
		goto fail;
	}
	env = sgp_profile_env_name(p->name);
	if (getenv(env) && *getenv(env)) {
		p->base_url = xstrdup(getenv(env));
		p->base_url_from_env = 1;
		free(base);
	} else {
		/* "https://${ZENDESK_SUBDOMAIN}.zendesk.com": the account's
		 * own host, from the environment. */
		sgp_buf b = SGP_BUF_INIT;
		const char *q = base, *open;
		while ((open = strstr(q, "${")) != NULL) {
			const char *close = strchr(open, '}');
			char *var, *val;
			if (close == NULL)
				break;
			sgp_buf_add(&b, q, (size_t)(open - q));
			var = xstrndup(open + 2, (size_t)(close - open - 2));
			val = getenv(var);
			if (val == NULL || *val == '\0') {
				fail(&c, "base_url", "'%s' needs the environment variable %s (or set %s)",
				     base, var, env);
				free(var);
				free(env);
				sgp_buf_release(&b);
				goto fail;
			}
			sgp_buf_adds(&b, val);
			free(var);
			q = close + 1;
		}
		sgp_buf_adds(&b, q);
		p->base_url = sgp_buf_detach(&b, NULL);
		free(base);
	}
	free(env);
	base = NULL;
	/* No trailing slash: paths start with one. */
	{
		size_t n = strlen(p->base_url);
		while (n > 0 && p->base_url[n - 1] == '/')
			p->base_url[--n] = '\0';
	}
	if (strncmp(p->base_url, "http://", 7) != 0 && strncmp(p->base_url, "https://", 8) != 0) {
		fail(&c, p->base_url_from_env ? "SGP_..._BASE_URL" : "base_url",
		     "'%s' is not an http:// or https:// URL", p->base_url);
		goto fail;
	}
	p->auth = json_object_get(doc, "auth");
	p->routes = json_object_get(doc, "routes");
	idem = json_object_get(doc, "idempotency");
	if (idem) {
		if (!json_is_object(idem)) {
			fail(&c, "idempotency", "must be an object");
			goto fail;
		}
		if (get_str(&c, idem, "header", "idempotency", 0, &p->idempotency_header) < 0)
			goto fail;
	}
	if (parse_http(&c, doc, p) < 0)
		goto fail;
	streams = json_object_get(doc, "streams");
	if (streams && !json_is_object(streams)) {
		fail(&c, "streams", "must be an object of streams");
		goto fail;
	}
	p->streams = xcalloc(json_object_size(streams) + 1, sizeof *p->streams);
	json_object_foreach((json_t *)streams, k, js) {
		p->nstreams++;
		if (parse_stream(&c, k, js, &p->streams[p->nstreams - 1]) < 0)
			goto fail;
	}
	return p;
fail:
	free(base);
	*err = c.err ? c.err : xasprintf("profile '%s' is invalid", path);
	sgp_profile_free(p);
	return NULL;
}

sgp_profile *sgp_profile_load(const char *name, char **err)
{
	char *path = sgp_profile_find(name, err);
	json_t *doc;
	json_error_t je;
	sgp_profile *p;

	if (path == NULL)
		return NULL;
	doc = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
	if (doc == NULL) {
		*err = xasprintf("profile '%s': line %d: %s", path, je.line, je.text);
		free(path);
		return NULL;
	}
	p = sgp_profile_from_json(doc, path, err);
	free(path);
	return p;
}

void sgp_profile_free(sgp_profile *p)
{
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; i < p->nstreams; i++)
		stream_free(&p->streams[i]);
	free(p->streams);
	kv_free(&p->headers);
	for (i = 0; i < p->http.nslowdown; i++)
		free((char *)p->slowdown[i].body_contains);
	free(p->slowdown);
	free((char *)p->http.remaining_header);
	free((char *)p->http.reset_header);
	free(p->idempotency_header);
	free(p->name);
	free(p->system);
	free(p->path);
	free(p->base_url);
	json_decref(p->doc);
	free(p);
}

const struct sgp_stream *sgp_profile_stream(const sgp_profile *p, const char *name)
{
	size_t i;

	for (i = 0; i < p->nstreams; i++)
		if (strcmp(p->streams[i].name, name) == 0)
			return &p->streams[i];
	return NULL;
}
