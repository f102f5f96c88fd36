/* map_ptr.c: JSON Pointers with scopes, and string templates, for the
 * mapping engine (see map_internal.h). */
#include "map_internal.h"

#include <stdio.h>
#include <string.h>

static int parse_tokens(struct map_ptr *p, const char *s, char *err, size_t errsz)
{
	size_t cap = 0;

	if (*s == '\0')
		return 0;
	if (*s != '/') {
		snprintf(err, errsz, "bad JSON Pointer '%s': must be empty or start with '/'", p->text);
		return -1;
	}
	while (*s == '/') {
		const char *start = ++s;
		const char *end = start + strcspn(start, "/");
		struct map_tok *t;
		char *d;

		if (p->ntok == cap) {
			cap = cap ? cap * 2 : 4;
			p->tok = xreallocarray(p->tok, cap, sizeof *p->tok);
		}
		t = &p->tok[p->ntok++];
		memset(t, 0, sizeof *t);
		t->s = d = xmalloc((size_t)(end - start) + 1);
		for (; s < end; s++) {
			if (*s != '~') {
				*d++ = *s;
				continue;
			}
			if (s + 1 < end && (s[1] == '0' || s[1] == '1')) {
				*d++ = s[1] == '0' ? '~' : '/';
				s++;
				continue;
			}
			*d = '\0';
			t->len = (size_t)(d - t->s);
			snprintf(err, errsz, "bad JSON Pointer '%s': '~' must be followed by 0 or 1",
				 p->text);
			return -1;
		}
		*d = '\0';
		t->len = (size_t)(d - t->s);
		t->idx = -1;
		t->skey = t->sval = NULL;
		if (t->len >= 4 && t->s[0] == '[' && t->s[t->len - 1] == ']' &&
		    memchr(t->s + 2, '=', t->len - 3) != NULL) {
			const char *eq = memchr(t->s + 2, '=', t->len - 3);

			t->sklen = (size_t)(eq - t->s - 1);
			t->skey = xstrndup(t->s + 1, t->sklen);
			t->svlen = t->len - 2 - t->sklen - 1;
			t->sval = xstrndup(eq + 1, t->svlen);
		}
		if (t->len > 0 && t->len <= 9 && (t->s[0] != '0' || t->len == 1) &&
		    strspn(t->s, "0123456789") == t->len)
			t->idx = strtol(t->s, NULL, 10);
	}
	return 0;
}

int map_ptr_compile(struct map_ptr *p, const char *text, const json_t *params,
		    char *err, size_t errsz)
{
	const char *rest = text;

	memset(p, 0, sizeof *p);
	p->text = xstrdup(text);
	p->scope = SC_ITEM;
	if (strncmp(text, "record:", 7) == 0) {
		p->scope = SC_RECORD;
		rest = text + 7;
	} else if (strncmp(text, "event:", 6) == 0) {
		p->scope = SC_EVENT;
		rest = text + 6;
	} else if (strncmp(text, "param:", 6) == 0) {
		p->scope = SC_PARAM;
		p->param = json_object_get(params, text + 6);
		if (p->param == NULL) {
			snprintf(err, errsz, "'%s': no parameter '%s' in \"params\"", text, text + 6);
			return -1;
		}
		return 0;
	} else if (*text != '/' && *text != '\0') {
		snprintf(err, errsz,
			 "bad JSON Pointer '%s': must start with '/', 'record:/', 'event:/' or 'param:'",
			 text);
		return -1;
	}
	return parse_tokens(p, rest, err, errsz);
}

void map_ptr_release(struct map_ptr *p)
{
	size_t i;

	for (i = 0; i < p->ntok; i++) {
		free(p->tok[i].s);
		free(p->tok[i].skey);
		free(p->tok[i].sval);
	}
	free(p->tok);
	free(p->text);
	memset(p, 0, sizeof *p);
}

/* The first element of arr that is an object whose member skey has the
 * text sval. */
static const json_t *select_element(const json_t *arr, const struct map_tok *t)
{
	size_t i;

	for (i = 0; i < json_array_size(arr); i++) {
		const json_t *m = json_object_getn(json_array_get(arr, i), t->skey, t->sklen);

		if (json_is_string(m)) {
			if (json_string_length(m) == t->svlen &&
			    memcmp(json_string_value(m), t->sval, t->svlen) == 0)
				return json_array_get(arr, i);
		} else if (json_is_integer(m)) {
			char num[32];
			int n = snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(m));

			if ((size_t)n == t->svlen && memcmp(num, t->sval, t->svlen) == 0)
				return json_array_get(arr, i);
		} else if (json_is_boolean(m)) {
			const char *b = json_is_true(m) ? "true" : "false";

			if (strlen(b) == t->svlen && memcmp(b, t->sval, t->svlen) == 0)
				return json_array_get(arr, i);
		}
	}
	return NULL;
}

const json_t *map_ptr_get(const struct map_ptr *p, const json_t *item, const json_t *record,
			  const json_t *event)
{
	const json_t *v;
	size_t i;

	switch (p->scope) {
	case SC_ITEM: v = item; break;
	case SC_RECORD: v = record; break;
	case SC_EVENT: v = event; break;
	default: return p->param;
	}
	for (i = 0; v != NULL && i < p->ntok; i++) {
		const struct map_tok *t = &p->tok[i];

		if (json_is_object(v))
			v = json_object_getn(v, t->s, t->len);
		else if (json_is_array(v) && t->idx >= 0)
			v = json_array_get(v, (size_t)t->idx);
		else if (json_is_array(v) && t->skey)
			v = select_element(v, t);
		else
			v = NULL;
	}
	return v;
}

static void add_seg(struct map_tpl *t, size_t *cap)
{
	if (t->nseg == *cap) {
		*cap = *cap ? *cap * 2 : 4;
		t->seg = xreallocarray(t->seg, *cap, sizeof *t->seg);
	}
	memset(&t->seg[t->nseg++], 0, sizeof t->seg[0]);
}

int map_tpl_compile(struct map_tpl *t, const char *text, const json_t *params,
		    char *err, size_t errsz)
{
	sgp_buf lit = SGP_BUF_INIT;
	size_t cap = 0;
	const char *s = text;

	memset(t, 0, sizeof *t);
	for (;;) {
		if (*s == '\0' || (*s == '{' && s[1] != '{')) {
			if (lit.len) {
				add_seg(t, &cap);
				t->seg[t->nseg - 1].litlen = lit.len;
				t->seg[t->nseg - 1].lit = sgp_buf_detach(&lit, NULL);
			}
			if (*s == '\0')
				break;
			{
				const char *close = strchr(s + 1, '}');
				char *inner;
				int rc;

				if (close == NULL) {
					snprintf(err, errsz, "template '%s': '{' without '}'", text);
					sgp_buf_release(&lit);
					return -1;
				}
				inner = xstrndup(s + 1, (size_t)(close - s - 1));
				add_seg(t, &cap);
				rc = map_ptr_compile(&t->seg[t->nseg - 1].ptr, inner, params, err, errsz);
				free(inner);
				if (rc < 0) {
					sgp_buf_release(&lit);
					return -1;
				}
				s = close + 1;
			}
			continue;
		}
		if (*s == '{' || (*s == '}' && s[1] == '}')) {
			sgp_buf_addc(&lit, *s);
			s += 2;
			continue;
		}
		if (*s == '}') {
			snprintf(err, errsz, "template '%s': '}' without '{' (write '}}' for a brace)",
				 text);
			sgp_buf_release(&lit);
			return -1;
		}
		sgp_buf_addc(&lit, *s++);
	}
	sgp_buf_release(&lit);
	return 0;
}

void map_tpl_release(struct map_tpl *t)
{
	size_t i;

	for (i = 0; i < t->nseg; i++) {
		if (t->seg[i].lit)
			free(t->seg[i].lit);
		else
			map_ptr_release(&t->seg[i].ptr);
	}
	free(t->seg);
	memset(t, 0, sizeof *t);
}
