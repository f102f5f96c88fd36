/*
 * js_uri.c: RFC 3986 reference resolution and JSON Pointer (RFC 6901)
 * helpers for the JSON Schema module.
 */
#include "js_internal.h"

#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

struct uri {
	const char *scheme, *auth, *path, *query, *frag;
	size_t scheme_n, auth_n, path_n, query_n, frag_n;
	bool has_scheme, has_auth, has_query, has_frag;
};

/* Split per RFC 3986 appendix B:
 * ^(([^:/?#]+):)?(//([^/?#]*))?([^?#]*)(\?([^#]*))?(#(.*))? */
static void uri_parse(const char *s, struct uri *u)
{
	memset(u, 0, sizeof(*u));
	size_t i = strcspn(s, ":/?#");
	if (s[i] == ':' && i > 0 && isalpha((unsigned char)s[0])) {
		u->has_scheme = true;
		u->scheme = s;
		u->scheme_n = i;
		s += i + 1;
	}
	if (s[0] == '/' && s[1] == '/') {
		s += 2;
		u->has_auth = true;
		u->auth = s;
		u->auth_n = strcspn(s, "/?#");
		s += u->auth_n;
	}
	u->path = s;
	u->path_n = strcspn(s, "?#");
	s += u->path_n;
	if (*s == '?') {
		s++;
		u->has_query = true;
		u->query = s;
		u->query_n = strcspn(s, "#");
		s += u->query_n;
	}
	if (*s == '#') {
		s++;
		u->has_frag = true;
		u->frag = s;
		u->frag_n = strlen(s);
	}
}

bool js_uri_has_scheme(const char *s)
{
	struct uri u;

	uri_parse(s, &u);
	return u.has_scheme;
}

/* RFC 3986 5.2.4: remove "." and ".." segments from IN into OUT. */
static void remove_dot_segments(const char *in, size_t n, sgp_buf *out)
{
	char *buf = xstrndup(in, n);
	char *p = buf;

	sgp_buf_grow(out, n + 1);
	out->data[out->len] = '\0';

	while (*p) {
		if (strncmp(p, "../", 3) == 0) {
			p += 3;
		} else if (strncmp(p, "./", 2) == 0) {
			p += 2;
		} else if (strncmp(p, "/./", 3) == 0) {
			p += 2;
		} else if (strcmp(p, "/.") == 0) {
			p[1] = '\0';
		} else if (strncmp(p, "/../", 4) == 0 || strcmp(p, "/..") == 0) {
			if (p[3] == '/') {
				p += 3;
			} else {
				p += 2;
				*p = '/';
			}
			while (out->len > 0 && out->data[out->len - 1] != '/')
				out->len--;
			if (out->len > 0)
				out->len--;
			out->data[out->len] = '\0';
		} else if (strcmp(p, ".") == 0 || strcmp(p, "..") == 0) {
			break;
		} else {
			size_t seg = (*p == '/') ? 1 + strcspn(p + 1, "/") : strcspn(p, "/");
			sgp_buf_add(out, p, seg);
			p += seg;
		}
	}
	free(buf);
}

char *js_uri_resolve(const char *base, const char *ref)
{
	struct uri r, b, t;
	sgp_buf path = SGP_BUF_INIT;

	uri_parse(ref, &r);
	if (base)
		uri_parse(base, &b);
	else
		memset(&b, 0, sizeof(b));
	memset(&t, 0, sizeof(t));

	if (r.has_scheme || !base) {
		t = r;
		remove_dot_segments(r.path, r.path_n, &path);
	} else {
		if (r.has_auth) {
			t.has_auth = true;
			t.auth = r.auth;
			t.auth_n = r.auth_n;
			remove_dot_segments(r.path, r.path_n, &path);
			t.has_query = r.has_query;
			t.query = r.query;
			t.query_n = r.query_n;
		} else {
			if (r.path_n == 0) {
				sgp_buf_add(&path, b.path, b.path_n);
				if (r.has_query) {
					t.has_query = true;
					t.query = r.query;
					t.query_n = r.query_n;
				} else {
					t.has_query = b.has_query;
					t.query = b.query;
					t.query_n = b.query_n;
				}
			} else {
				if (r.path[0] == '/') {
					remove_dot_segments(r.path, r.path_n, &path);
				} else {
					sgp_buf merged = SGP_BUF_INIT;
					if (b.has_auth && b.path_n == 0) {
						sgp_buf_addc(&merged, '/');
					} else {
						size_t k = b.path_n;
						while (k > 0 && b.path[k - 1] != '/')
							k--;
						sgp_buf_add(&merged, b.path, k);
					}
					sgp_buf_add(&merged, r.path, r.path_n);
					remove_dot_segments(merged.data, merged.len, &path);
					sgp_buf_release(&merged);
				}
				t.has_query = r.has_query;
				t.query = r.query;
				t.query_n = r.query_n;
			}
			t.has_auth = b.has_auth;
			t.auth = b.auth;
			t.auth_n = b.auth_n;
		}
		t.has_scheme = b.has_scheme;
		t.scheme = b.scheme;
		t.scheme_n = b.scheme_n;
	}
	t.has_frag = r.has_frag;
	t.frag = r.frag;
	t.frag_n = r.frag_n;

	sgp_buf out = SGP_BUF_INIT;
	if (t.has_scheme) {
		for (size_t i = 0; i < t.scheme_n; i++)
			sgp_buf_addc(&out, (char)tolower((unsigned char)t.scheme[i]));
		sgp_buf_addc(&out, ':');
	}
	if (t.has_auth) {
		sgp_buf_adds(&out, "//");
		bool userinfo = memchr(t.auth, '@', t.auth_n) != NULL;
		for (size_t i = 0; i < t.auth_n; i++)
			sgp_buf_addc(&out, userinfo ? t.auth[i] : (char)tolower((unsigned char)t.auth[i]));
	}
	sgp_buf_add(&out, path.data ? path.data : "", path.len);
	if (t.has_query) {
		sgp_buf_addc(&out, '?');
		sgp_buf_add(&out, t.query, t.query_n);
	}
	if (t.has_frag) {
		sgp_buf_addc(&out, '#');
		sgp_buf_add(&out, t.frag, t.frag_n);
	}
	sgp_buf_release(&path);
	if (!out.data)
		sgp_buf_adds(&out, "");
	return sgp_buf_detach(&out, NULL);
}

char *js_uri_strip_fragment(const char *uri, const char **frag)
{
	const char *h = strchr(uri, '#');

	if (frag)
		*frag = h ? h + 1 : NULL;
	return h ? xstrndup(uri, (size_t)(h - uri)) : xstrdup(uri);
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

char *js_percent_decode(const char *s, size_t n)
{
	char *out = xmalloc(n + 1);
	size_t j = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%') {
			if (i + 2 >= n) {
				free(out);
				return NULL;
			}
			int a = hexval((unsigned char)s[i + 1]), b = hexval((unsigned char)s[i + 2]);
			if (a < 0 || b < 0) {
				free(out);
				return NULL;
			}
			out[j++] = (char)(a * 16 + b);
			i += 2;
		} else {
			out[j++] = s[i];
		}
	}
	out[j] = '\0';
	return out;
}

void js_pointer_escape(sgp_buf *b, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '~')
			sgp_buf_adds(b, "~0");
		else if (s[i] == '/')
			sgp_buf_adds(b, "~1");
		else
			sgp_buf_addc(b, s[i]);
	}
}

json_t *js_pointer_get(json_t *root, const char *ptr,
                       void (*visit)(void *arg, json_t *v, const char *seg), void *arg)
{
	json_t *cur = root;
	sgp_buf seg = SGP_BUF_INIT;

	if (*ptr == '\0')
		return root;
	if (*ptr != '/')
		return NULL;
	while (*ptr == '/' && cur) {
		ptr++;
		sgp_buf_reset(&seg);
		while (*ptr && *ptr != '/') {
			if (*ptr == '~') {
				if (ptr[1] == '0')
					sgp_buf_addc(&seg, '~');
				else if (ptr[1] == '1')
					sgp_buf_addc(&seg, '/');
				else {
					cur = NULL;
					break;
				}
				ptr += 2;
			} else {
				sgp_buf_addc(&seg, *ptr++);
			}
		}
		if (!cur)
			break;
		if (!seg.data)
			sgp_buf_adds(&seg, "");
		if (json_is_object(cur)) {
			cur = json_object_getn(cur, seg.data, seg.len);
		} else if (json_is_array(cur)) {
			long long idx;
			if (seg.len == 0 || (seg.len > 1 && seg.data[0] == '0') ||
			    sgp_parse_ll(seg.data, 0, LLONG_MAX, &idx) < 0)
				cur = NULL;
			else
				cur = json_array_get(cur, (size_t)idx);
		} else {
			cur = NULL;
		}
		if (cur && visit)
			visit(arg, cur, seg.data);
	}
	sgp_buf_release(&seg);
	return cur;
}
