/* map_table.c: string hash tables, and the CSV crosswalk tables of
 * mapping "lookups" read through csvfile.h (see map_internal.h). */
#include "map_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "csvfile.h"

static uint64_t hash_bytes(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ULL;   /* FNV-1a */
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ULL;
	}
	return h ^ (h >> 29);
}

void map_hash_init(struct map_hash *h, size_t expected)
{
	size_t cap = 8;

	while (cap < expected * 2)
		cap *= 2;
	h->cap = cap;
	h->n = 0;
	h->v = xcalloc(cap, sizeof *h->v);
}

void map_hash_release(struct map_hash *h)
{
	free(h->v);
	memset(h, 0, sizeof *h);
}

static void rehash(struct map_hash *h)
{
	struct map_hash g;
	size_t i;

	map_hash_init(&g, h->cap);
	for (i = 0; i < h->cap; i++)
		if (h->v[i].key)
			map_hash_put(&g, h->v[i].key, h->v[i].klen, h->v[i].val, NULL);
	free(h->v);
	*h = g;
}

int map_hash_put(struct map_hash *h, const char *key, size_t klen, size_t val, size_t *old)
{
	size_t i;

	if ((h->n + 1) * 2 > h->cap)
		rehash(h);
	for (i = hash_bytes(key, klen) & (h->cap - 1);; i = (i + 1) & (h->cap - 1)) {
		struct map_hent *e = &h->v[i];

		if (e->key == NULL) {
			e->key = key;
			e->klen = klen;
			e->val = val;
			h->n++;
			return 0;
		}
		if (e->klen == klen && memcmp(e->key, key, klen) == 0) {
			if (old)
				*old = e->val;
			return -1;
		}
	}
}

size_t map_hash_get(const struct map_hash *h, const char *key, size_t klen)
{
	size_t i;

	if (h->cap == 0)
		return (size_t)-1;
	for (i = hash_bytes(key, klen) & (h->cap - 1);; i = (i + 1) & (h->cap - 1)) {
		const struct map_hent *e = &h->v[i];

		if (e->key == NULL)
			return (size_t)-1;
		if (e->klen == klen && memcmp(e->key, key, klen) == 0)
			return e->val;
	}
}

long map_table_col(const struct map_table *t, const char *name)
{
	size_t i;

	for (i = 0; i < t->ncols; i++)
		if (strcmp(t->cols[i], name) == 0)
			return (long)i;
	return -1;
}

static char **copy_fields(char **f, size_t n)
{
	char **r = xcalloc(n, sizeof *r);
	size_t i;

	for (i = 0; i < n; i++)
		r[i] = xstrdup(f[i]);
	return r;
}

struct map_table *map_table_load(const char *name, const char *file, const char *keycol,
				 const char *valcol, char *err, size_t errsz)
{
	struct map_table *t;
	sgp_csv *csv;
	size_t cap = 0, i;
	char **f;
	size_t n;
	long k, v;
	int rc;

	csv = sgp_csv_open(file);
	if (csv == NULL) {
		snprintf(err, errsz, "cannot open '%s': %s", file, strerror(errno));
		return NULL;
	}
	if (sgp_csv_read_header(csv) < 0) {
		snprintf(err, errsz, "%s", sgp_csv_error(csv));
		sgp_csv_close(csv);
		return NULL;
	}
	t = xcalloc(1, sizeof *t);
	t->name = xstrdup(name);
	t->file = xstrdup(file);
	t->ncols = sgp_csv_ncols(csv);
	t->cols = xcalloc(t->ncols, sizeof *t->cols);
	for (i = 0; i < t->ncols; i++)
		t->cols[i] = xstrdup(sgp_csv_colname(csv, i));
	k = map_table_col(t, keycol);
	v = valcol ? map_table_col(t, valcol) : -1;
	if (k < 0 || (valcol && v < 0)) {
		snprintf(err, errsz, "%s: no column '%s' (columns: %s%s%s)", file,
			 k < 0 ? keycol : valcol, t->cols[0], t->ncols > 1 ? ", " : "",
			 t->ncols > 1 ? t->cols[1] : "");
		goto fail;
	}
	t->keycol = (size_t)k;
	t->valcol = v >= 0 ? (size_t)v : (size_t)k;
	map_hash_init(&t->h, 64);
	while ((rc = sgp_csv_next(csv, &f, &n)) == 1) {
		size_t old;

		if (n != t->ncols) {
			snprintf(err, errsz, "%s: line %llu: %zu fields, the header has %zu", file,
				 sgp_csv_line(csv), n, t->ncols);
			goto fail;
		}
		if (t->nrows == cap) {
			cap = cap ? cap * 2 : 64;
			t->rows = xreallocarray(t->rows, cap, sizeof *t->rows);
		}
		t->rows[t->nrows] = copy_fields(f, n);
		if (map_hash_put(&t->h, t->rows[t->nrows][t->keycol],
				 strlen(t->rows[t->nrows][t->keycol]), t->nrows, &old) < 0) {
			snprintf(err, errsz, "%s: line %llu: duplicate key '%s' in column '%s'", file,
				 sgp_csv_line(csv), f[t->keycol], keycol);
			t->nrows++;
			goto fail;
		}
		t->nrows++;
	}
	if (rc < 0) {
		snprintf(err, errsz, "%s", sgp_csv_error(csv));
		goto fail;
	}
	sgp_csv_close(csv);
	return t;
fail:
	sgp_csv_close(csv);
	map_table_free(t);
	return NULL;
}

void map_table_free(struct map_table *t)
{
	size_t i, j;

	if (t == NULL)
		return;
	for (i = 0; i < t->nrows; i++) {
		for (j = 0; j < t->ncols; j++)
			free(t->rows[i][j]);
		free(t->rows[i]);
	}
	free(t->rows);
	for (i = 0; i < t->ncols; i++)
		free(t->cols[i]);
	free(t->cols);
	map_hash_release(&t->h);
	free(t->name);
	free(t->file);
	free(t);
}
