/*
 * rec_table.c: where records live: an arena of mmap'd chunks with an
 * open-addressing hash index (memory returned to the system when the table
 * is freed, so a partitioned run stays within its limit), and unlinked
 * temporary files for partitions and sorted output runs.
 */
#include "reconcile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

struct chunk {
	char *base;
	size_t used, cap;
};

/*
 * A slot of the index is one 64-bit word: chunk number + 1 (16 bits),
 * offset in the chunk (32 bits) and 16 bits of the key hash, so probing
 * compares tags without touching the records (0 = empty).
 */
struct rec_table {
	size_t nfields;
	size_t chunk_size;
	struct chunk *chunks;
	size_t nchunks, capchunks;
	uint64_t *slots;
	size_t nslots, count;
	size_t bytes;
};

#define MAX_CHUNKS 65535

static inline char *slot_rec(const rec_table *t, uint64_t v)
{
	return t->chunks[(v >> 48) - 1].base + (uint32_t)(v >> 16);
}

static inline uint64_t slot_tag(uint32_t hash)
{
	return hash >> 16;
}

static inline size_t slot_home(uint32_t hash, int side, size_t mask)
{
	return (hash ^ (uint32_t)side * 0x9E3779B9u) & mask;
}

static void *map(size_t n)
{
	void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		sgp_die(SGP_EXIT_SYSTEM, "out of memory (%zu bytes)", n);
#ifdef MADV_HUGEPAGE
	/* Large tables are probed at random: huge pages spare TLB misses. */
	if (n >= 2 << 20)
		madvise(p, n, MADV_HUGEPAGE);
#endif
	return p;
}

#define PAGE 4096
#define ALIGN8(n) (((n) + 7) & ~(size_t)7)

rec_table *rec_table_new(size_t nfields, size_t chunk_size)
{
	rec_table *t = xcalloc(1, sizeof *t);

	t->nfields = nfields;
	t->chunk_size = (chunk_size + PAGE - 1) / PAGE * PAGE;
	if (t->chunk_size < PAGE)
		t->chunk_size = PAGE;
	t->nslots = 256;
	t->slots = map(t->nslots * sizeof *t->slots);
	t->bytes = t->nslots * sizeof *t->slots;
	return t;
}

void rec_table_free(rec_table *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->nchunks; i++)
		munmap(t->chunks[i].base, t->chunks[i].cap);
	free(t->chunks);
	munmap(t->slots, t->nslots * sizeof *t->slots);
	free(t);
}

size_t rec_table_bytes(const rec_table *t)
{
	return t->bytes;
}

size_t rec_table_count(const rec_table *t)
{
	return t->count;
}

size_t rec_table_need(const rec_table *t, size_t reclen)
{
	size_t need = 0, n = ALIGN8(reclen);

	if (t->nchunks == 0 || t->chunks[t->nchunks - 1].used + n > t->chunks[t->nchunks - 1].cap)
		need += n > t->chunk_size ? (n + PAGE - 1) / PAGE * PAGE : t->chunk_size;
	if ((t->count + 1) * 4 > t->nslots * 3)
		need += 2 * t->nslots * sizeof *t->slots;
	return t->bytes + need;
}

static int same(const rec_table *t, const char *r, int side, const char *key, size_t keylen,
		uint32_t hash)
{
	return rec_u32(r, REC_O_HASH) == hash && rec_side(r) == side && rec_keylen(r) == keylen &&
	       memcmp(rec_key(r, t->nfields), key, keylen) == 0;
}

char *rec_table_find(rec_table *t, int side, const char *key, size_t keylen, uint32_t hash)
{
	size_t mask = t->nslots - 1, i = slot_home(hash, side, mask);
	uint64_t tag = slot_tag(hash);

	for (;; i = (i + 1) & mask) {
		uint64_t v = t->slots[i];
		char *r;

		if (v == 0)
			return NULL;
		if ((v & 0xFFFF) != tag)
			continue;
		r = slot_rec(t, v);
		if (same(t, r, side, key, keylen, hash))
			return r;
	}
}

void rec_table_prefetch(const rec_table *t, int side, uint32_t hash, int deep)
{
	size_t i = slot_home(hash, side, t->nslots - 1);

	if (!deep) {
		__builtin_prefetch(&t->slots[i]);
	} else {
		uint64_t v = t->slots[i];

		if (v && (v & 0xFFFF) == slot_tag(hash))
			__builtin_prefetch(slot_rec(t, v));
	}
}

static void place(rec_table *t, uint64_t v)
{
	size_t mask = t->nslots - 1;
	const char *r = slot_rec(t, v);
	size_t i = slot_home(rec_u32(r, REC_O_HASH), rec_side(r), mask);

	while (t->slots[i])
		i = (i + 1) & mask;
	t->slots[i] = v;
}

static void grow(rec_table *t)
{
	uint64_t *old = t->slots;
	size_t oldn = t->nslots;

	t->nslots *= 2;
	t->slots = map(t->nslots * sizeof *t->slots);
	for (size_t i = 0; i < oldn; i++)
		if (old[i])
			place(t, old[i]);
	munmap(old, oldn * sizeof *old);
	t->bytes += oldn * sizeof *old;
}

char *rec_table_insert(rec_table *t, const char *rec)
{
	size_t len = rec_len(rec), n = ALIGN8(len);
	struct chunk *c = t->nchunks ? &t->chunks[t->nchunks - 1] : NULL;
	char *r;

	if (c == NULL || c->used + n > c->cap) {
		size_t cap = n > t->chunk_size ? (n + PAGE - 1) / PAGE * PAGE : t->chunk_size;

		if (t->nchunks == MAX_CHUNKS)
			sgp_die(SGP_EXIT_SYSTEM, "too many records in memory (%zu chunks)", t->nchunks);
		if (t->nchunks == t->capchunks) {
			t->capchunks = t->capchunks ? t->capchunks * 2 : 16;
			t->chunks = xreallocarray(t->chunks, t->capchunks, sizeof *t->chunks);
		}
		c = &t->chunks[t->nchunks++];
		c->base = map(cap);
		c->cap = cap;
		c->used = 0;
		t->bytes += cap;
	}
	r = c->base + c->used;
	memcpy(r, rec, len);
	if ((t->count + 1) * 4 > t->nslots * 3)
		grow(t);
	place(t, (uint64_t)t->nchunks << 48 | (uint64_t)c->used << 16 |
		     slot_tag(rec_u32(r, REC_O_HASH)));
	c->used += n;
	t->count++;
	return r;
}

char *rec_table_next(const rec_table *t, size_t *chunk, size_t *off)
{
	while (*chunk < t->nchunks) {
		const struct chunk *c = &t->chunks[*chunk];

		if (*off < c->used) {
			char *r = c->base + *off;
			*off += ALIGN8(rec_len(r));
			return r;
		}
		(*chunk)++;
		*off = 0;
	}
	return NULL;
}

/* ---- temporary files ---------------------------------------------------- */

struct rec_tmp {
	int fd;
	char *buf;
	size_t len, pos, cap;
	uint64_t size;
	int reading;
	char *dir;
};

rec_tmp *rec_tmp_new(const char *dir, size_t bufsize)
{
	rec_tmp *t = xcalloc(1, sizeof *t);
	char *path = xasprintf("%s/sgp-reconcile.XXXXXX", dir);

	t->fd = mkstemp(path);
	if (t->fd < 0)
		sgp_die(SGP_EXIT_SYSTEM, "cannot create a temporary file in '%s': %s", dir, strerror(errno));
	unlink(path);
	free(path);
	t->dir = xstrdup(dir);
	t->cap = bufsize < 4096 ? 4096 : bufsize;
	t->buf = xmalloc(t->cap);
	return t;
}

static void write_all(rec_tmp *t, const char *p, size_t n)
{
	size_t done = 0;

	while (done < n) {
		ssize_t k = write(t->fd, p + done, n - done);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			sgp_die(SGP_EXIT_SYSTEM, "cannot write a temporary file in '%s': %s", t->dir,
				strerror(k < 0 ? errno : ENOSPC));
		done += (size_t)k;
	}
}

static void tmp_flush(rec_tmp *t)
{
	write_all(t, t->buf, t->len);
	t->len = 0;
}

void rec_tmp_write(rec_tmp *t, const void *p, size_t n)
{
	t->size += n;
	if (n >= t->cap) {
		tmp_flush(t);
		write_all(t, p, n);
		return;
	}
	if (t->len + n > t->cap)
		tmp_flush(t);
	memcpy(t->buf + t->len, p, n);
	t->len += n;
}

uint64_t rec_tmp_size(const rec_tmp *t)
{
	return t->size;
}

void rec_tmp_done(rec_tmp *t)
{
	if (!t->reading && t->buf) {
		tmp_flush(t);
		free(t->buf);
		t->buf = NULL;
	}
}

void rec_tmp_rewind(rec_tmp *t)
{
	if (!t->reading && t->buf)
		tmp_flush(t);
	if (t->buf == NULL)
		t->buf = xmalloc(t->cap);
	if (lseek(t->fd, 0, SEEK_SET) < 0)
		sgp_die(SGP_EXIT_SYSTEM, "cannot read a temporary file in '%s': %s", t->dir, strerror(errno));
	t->reading = 1;
	t->len = t->pos = 0;
}

int rec_tmp_read(rec_tmp *t, void *p, size_t n)
{
	char *o = p;
	size_t got = 0;

	while (got < n) {
		if (t->pos == t->len) {
			ssize_t k;

			do
				k = read(t->fd, t->buf, t->cap);
			while (k < 0 && errno == EINTR);
			if (k < 0)
				sgp_die(SGP_EXIT_SYSTEM, "cannot read a temporary file in '%s': %s", t->dir,
					strerror(errno));
			if (k == 0) {
				if (got == 0)
					return 0;
				sgp_die(SGP_EXIT_SYSTEM, "temporary file in '%s' is truncated", t->dir);
			}
			t->len = (size_t)k;
			t->pos = 0;
		}
		size_t m = t->len - t->pos < n - got ? t->len - t->pos : n - got;
		memcpy(o + got, t->buf + t->pos, m);
		t->pos += m;
		got += m;
	}
	return 1;
}

int rec_tmp_read_record(rec_tmp *t, sgp_buf *rec)
{
	uint32_t len;

	if (!rec_tmp_read(t, &len, 4))
		return 0;
	sgp_buf_reset(rec);
	sgp_buf_grow(rec, len);
	memcpy(rec->data, &len, 4);
	if (len < REC_HDR || !rec_tmp_read(t, rec->data + 4, len - 4))
		sgp_die(SGP_EXIT_SYSTEM, "temporary file in '%s' is damaged", t->dir);
	rec->len = len;
	return 1;
}

void rec_tmp_free(rec_tmp *t)
{
	if (t == NULL)
		return;
	close(t->fd);
	free(t->buf);
	free(t->dir);
	free(t);
}
