/*
 * js_base.c: arena, hash map, JSON value equality, exact number
 * arithmetic and message rendering for the JSON Schema module.
 */
#include "js_internal.h"

#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- arena ---- */

struct js_chunk {
	struct js_chunk *next;
	size_t used, cap;
	max_align_t data[];
};

void *js_arena_alloc(js_arena *a, size_t n)
{
	struct js_chunk *c = a->head;
	size_t need = (n + 15) & ~(size_t)15;

	if (need == 0)
		need = 16;
	if (!c || c->cap - c->used < need) {
		size_t cap = need > 16384 ? need : 16384;
		c = xmalloc(sizeof(*c) + cap);
		c->cap = cap;
		c->used = 0;
		c->next = a->head;
		a->head = c;
	}
	void *p = (char *)c->data + c->used;
	c->used += need;
	memset(p, 0, n);
	return p;
}

char *js_arena_strndup(js_arena *a, const char *s, size_t n)
{
	char *p = js_arena_alloc(a, n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *js_arena_strdup(js_arena *a, const char *s)
{
	return js_arena_strndup(a, s, strlen(s));
}

void js_arena_release(js_arena *a)
{
	struct js_chunk *c = a->head, *next;

	for (; c; c = next) {
		next = c->next;
		free(c);
	}
	a->head = NULL;
}

/* ---- hash map ---- */

uint32_t js_hash_bytes(const void *p, size_t n)
{
	const unsigned char *s = p;
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n; i++) {
		h ^= s[i];
		h *= 16777619u;
	}
	return h ? h : 1;
}

static uint32_t hash_ptr(const void *p)
{
	uint64_t x = (uint64_t)(uintptr_t)p;

	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	return (uint32_t)x ? (uint32_t)x : 1;
}

static void map_grow(js_map *m, bool str)
{
	size_t ncap = m->cap ? m->cap * 2 : 16;
	struct js_map_ent *ne = xcalloc(ncap, sizeof(*ne));

	for (size_t i = 0; i < m->cap; i++) {
		if (!m->e[i].key)
			continue;
		size_t j = m->e[i].hash & (ncap - 1);
		while (ne[j].key)
			j = (j + 1) & (ncap - 1);
		ne[j] = m->e[i];
	}
	(void)str;
	free(m->e);
	m->e = ne;
	m->cap = ncap;
}

static struct js_map_ent *map_find(const js_map *m, const void *key, uint32_t h, bool str)
{
	if (!m->cap)
		return NULL;
	size_t j = h & (m->cap - 1);
	while (m->e[j].key) {
		if (m->e[j].hash == h &&
		    (str ? strcmp(m->e[j].key, key) == 0 : m->e[j].key == key))
			return &m->e[j];
		j = (j + 1) & (m->cap - 1);
	}
	return NULL;
}

static void map_put(js_map *m, const void *key, uint32_t h, bool str, void *val)
{
	struct js_map_ent *e = map_find(m, key, h, str);

	if (e) {
		e->val = val;
		return;
	}
	if ((m->n + 1) * 2 > m->cap)
		map_grow(m, str);
	size_t j = h & (m->cap - 1);
	while (m->e[j].key)
		j = (j + 1) & (m->cap - 1);
	m->e[j].key = key;
	m->e[j].hash = h;
	m->e[j].val = val;
	m->n++;
}

void *js_map_get_str(const js_map *m, const char *key)
{
	struct js_map_ent *e = map_find(m, key, js_hash_bytes(key, strlen(key)), true);
	return e ? e->val : NULL;
}

void js_map_put_str(js_map *m, const char *key, void *val)
{
	map_put(m, key, js_hash_bytes(key, strlen(key)), true, val);
}

void *js_map_get_ptr(const js_map *m, const void *key)
{
	struct js_map_ent *e = map_find(m, key, hash_ptr(key), false);
	return e ? e->val : NULL;
}

void js_map_put_ptr(js_map *m, const void *key, void *val)
{
	map_put(m, key, hash_ptr(key), false, val);
}

void js_map_release(js_map *m)
{
	free(m->e);
	m->e = NULL;
	m->n = m->cap = 0;
}

/* ---- numbers ---- */

bool js_number_is_integer(const json_t *v)
{
	if (json_is_integer(v))
		return true;
	if (json_is_real(v)) {
		double d = json_real_value(v);
		return isfinite(d) && floor(d) == d;
	}
	return false;
}

int js_number_cmp(const json_t *a, const json_t *b)
{
	if (json_is_integer(a) && json_is_integer(b)) {
		json_int_t x = json_integer_value(a), y = json_integer_value(b);
		return x < y ? -1 : x > y;
	}
	/* long double holds every 64-bit integer and every double exactly. */
	long double x = json_is_integer(a) ? (long double)json_integer_value(a)
	                                   : (long double)json_real_value(a);
	long double y = json_is_integer(b) ? (long double)json_integer_value(b)
	                                   : (long double)json_real_value(b);
	return x < y ? -1 : x > y;
}

bool js_json_to_size(const json_t *v, size_t *out)
{
	if (json_is_integer(v)) {
		json_int_t x = json_integer_value(v);
		if (x < 0)
			return false;
		*out = (unsigned long long)x > SIZE_MAX ? SIZE_MAX : (size_t)x;
		return true;
	}
	if (json_is_real(v) && js_number_is_integer(v)) {
		double d = json_real_value(v);
		if (d < 0)
			return false;
		*out = d >= 1.8e19 ? SIZE_MAX : (size_t)d;
		return true;
	}
	return false;
}

static void decimal_normalize(struct js_decimal *d)
{
	if (d->mant == 0) {
		d->exp = 0;
		d->neg = false;
		return;
	}
	while (d->mant % 10 == 0) {
		d->mant /= 10;
		d->exp++;
	}
}

void js_decimal_of(const json_t *v, struct js_decimal *d)
{
	d->neg = false;
	d->mant = 0;
	d->exp = 0;
	if (json_is_integer(v)) {
		json_int_t x = json_integer_value(v);
		d->neg = x < 0;
		d->mant = x < 0 ? (uint64_t)0 - (uint64_t)x : (uint64_t)x;
		decimal_normalize(d);
		return;
	}
	double x = json_real_value(v);
	if (x == 0 || !isfinite(x))
		return;
	d->neg = x < 0;
	x = fabs(x);
	char buf[40];
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(buf, sizeof(buf), "%.*e", prec - 1, x);
		if (strtod(buf, NULL) == x)
			break;
	}
	/* buf is "D.DDDDe+XX" */
	int ndig = 0;
	const char *p = buf;
	for (; *p && *p != 'e'; p++) {
		if (*p >= '0' && *p <= '9') {
			d->mant = d->mant * 10 + (uint64_t)(*p - '0');
			ndig++;
		}
	}
	int e = *p == 'e' ? atoi(p + 1) : 0;
	d->exp = e - (ndig - 1);
	decimal_normalize(d);
}

static uint64_t mulmod(uint64_t a, uint64_t b, uint64_t m)
{
	return (uint64_t)((unsigned __int128)a * b % m);
}

static uint64_t powmod10(unsigned k, uint64_t m)
{
	uint64_t r = 1 % m, base = 10 % m;

	while (k) {
		if (k & 1)
			r = mulmod(r, base, m);
		base = mulmod(base, base, m);
		k >>= 1;
	}
	return r;
}

bool js_decimal_multiple(const struct js_decimal *a, const struct js_decimal *b)
{
	if (b->mant == 0)
		return false;
	if (a->mant == 0)
		return true;
	long k = (long)a->exp - (long)b->exp;
	if (k >= 0) {
		/* b.mant must divide a.mant * 10^k */
		uint64_t r = mulmod(a->mant % b->mant, powmod10((unsigned)k, b->mant), b->mant);
		return r == 0;
	}
	/* b.mant * 10^-k must divide a.mant (< 2^64 < 10^20) */
	if (-k > 20)
		return false;
	unsigned __int128 div = b->mant;
	for (long i = 0; i < -k; i++) {
		div *= 10;
		if (div > (unsigned __int128)a->mant)
			return false;
	}
	return (unsigned __int128)a->mant % div == 0;
}

/* ---- equality ---- */

static bool equal(const json_t *a, const json_t *b, int depth);

bool js_json_equal(const json_t *a, const json_t *b)
{
	return equal(a, b, 0);
}

/* Values nested deeper than this compare unequal instead of exhausting
 * the stack (jansson's parser stops at 2048 levels anyway). */
#define EQUAL_MAX_DEPTH 4096

static bool equal(const json_t *a, const json_t *b, int depth)
{
	if (a == b)
		return true;
	if (depth > EQUAL_MAX_DEPTH)
		return false;
	if (json_is_number(a) && json_is_number(b))
		return js_number_cmp(a, b) == 0;
	if (json_typeof(a) != json_typeof(b))
		return false;
	switch (json_typeof(a)) {
	case JSON_STRING:
		return json_string_length(a) == json_string_length(b) &&
		       memcmp(json_string_value(a), json_string_value(b), json_string_length(a)) == 0;
	case JSON_ARRAY: {
		size_t n = json_array_size(a);
		if (n != json_array_size(b))
			return false;
		for (size_t i = 0; i < n; i++)
			if (!equal(json_array_get(a, i), json_array_get(b, i), depth + 1))
				return false;
		return true;
	}
	case JSON_OBJECT: {
		if (json_object_size(a) != json_object_size(b))
			return false;
		const char *k;
		size_t klen;
		json_t *va;
		json_object_keylen_foreach((json_t *)a, k, klen, va) {
			json_t *vb = json_object_getn(b, k, klen);
			if (!vb || !equal(va, vb, depth + 1))
				return false;
		}
		return true;
	}
	default:
		return true;  /* true, false, null: same type is same value */
	}
}

size_t js_utf8_length(const char *s, size_t n)
{
	size_t cp = 0;

	for (size_t i = 0; i < n; i++)
		cp += ((unsigned char)s[i] & 0xC0) != 0x80;
	return cp;
}

/* ---- rendering ---- */

static void render(sgp_buf *b, const json_t *v, size_t max)
{
	if (b->len > max)
		return;
	switch (json_typeof(v)) {
	case JSON_OBJECT: {
		const char *k;
		size_t klen;
		json_t *x;
		bool first = true;
		sgp_buf_addc(b, '{');
		json_object_keylen_foreach((json_t *)v, k, klen, x) {
			if (b->len > max)
				return;
			if (!first)
				sgp_buf_addc(b, ',');
			first = false;
			sgp_buf_add_json_string(b, k, klen);
			sgp_buf_addc(b, ':');
			render(b, x, max);
		}
		sgp_buf_addc(b, '}');
		break;
	}
	case JSON_ARRAY:
		sgp_buf_addc(b, '[');
		for (size_t i = 0; i < json_array_size(v); i++) {
			if (b->len > max)
				return;
			if (i)
				sgp_buf_addc(b, ',');
			render(b, json_array_get(v, i), max);
		}
		sgp_buf_addc(b, ']');
		break;
	case JSON_STRING:
		sgp_buf_add_json_string(b, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER:
		sgp_buf_addf(b, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		break;
	case JSON_REAL: {
		double d = json_real_value(v);
		char buf[40];
		for (int prec = 1; prec <= 17; prec++) {
			snprintf(buf, sizeof(buf), "%.*g", prec, d);
			if (strtod(buf, NULL) == d)
				break;
		}
		sgp_buf_adds(b, buf);
		if (!strpbrk(buf, ".eEin"))
			sgp_buf_adds(b, ".0");
		break;
	}
	case JSON_TRUE:
		sgp_buf_adds(b, "true");
		break;
	case JSON_FALSE:
		sgp_buf_adds(b, "false");
		break;
	case JSON_NULL:
		sgp_buf_adds(b, "null");
		break;
	}
}

void js_render_value(sgp_buf *b, const json_t *v, size_t max)
{
	size_t start = b->len;

	render(b, v, start + max + 64);
	if (b->len - start > max) {
		size_t cut = start + max;
		/* do not split a UTF-8 sequence */
		while (cut > start && ((unsigned char)b->data[cut] & 0xC0) == 0x80)
			cut--;
		b->len = cut;
		b->data[cut] = '\0';
		sgp_buf_adds(b, "...");
	}
}
