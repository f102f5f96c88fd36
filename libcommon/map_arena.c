/* map_arena.c: per-thread arenas for jansson's allocations while one
 * line is mapped (see sgp_map_arena_install in mapping.h). */
#include "map_internal.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Blocks come from the calling thread's arena while it is active, else
 * from malloc.  A block is freed with free() unless it lies in one of the
 * thread's arena chunks, which are released together at the end of the
 * line.  So code that frees what jansson returns with free() (the text of
 * json_dumps) works as before, as long as it does not run while an arena
 * is active: sgp_mapset_line() pauses the arena around such code. */
#define CHUNK (64 * 1024)
#define KEEP (4 * 1024 * 1024)   /* chunks kept between lines */

struct chunk {
	struct chunk *next;
	size_t cap, used;
	_Alignas(16) unsigned char data[];
};

struct arena {
	struct chunk *head, *cur;
	int active;
};

static int installed;
static __thread struct arena tl;

static void *arena_alloc(struct arena *a, size_t n)
{
	struct chunk *c = a->cur;

	n = (n + 15) & ~(size_t)15;
	while (c && c->cap - c->used < n)
		c = c->next;
	if (c == NULL) {
		size_t cap = n > CHUNK ? n : CHUNK;

		c = malloc(sizeof *c + cap);
		if (c == NULL)
			return NULL;
		c->cap = cap;
		c->used = 0;
		c->next = a->head;   /* new chunks go first; order does not matter */
		a->head = c;
	}
	a->cur = c;
	c->used += n;
	return c->data + c->used - n;
}

static void *a_malloc(size_t n)
{
	if (tl.active)
		return arena_alloc(&tl, n);
	return malloc(n);
}

static void a_free(void *ptr)
{
	const struct chunk *c;
	const unsigned char *p = ptr;

	if (p == NULL)
		return;
	for (c = tl.head; c; c = c->next)
		if (p >= c->data && p < c->data + c->cap)
			return;   /* released with the arena */
	free(ptr);
}

void sgp_map_arena_install(void)
{
	if (!installed) {
		json_set_alloc_funcs(a_malloc, a_free);
		installed = 1;
	}
}

void map_arena_begin(void)
{
	if (installed) {
		tl.active = 1;
		tl.cur = tl.head;
	}
}

void map_arena_pause(void)
{
	tl.active = 0;
}

void map_arena_end(void)
{
	struct chunk *c, **pp;
	size_t kept = 0;

	if (!installed)
		return;
	tl.active = 0;
	for (pp = &tl.head; (c = *pp) != NULL;) {
		kept += c->cap;
		if (kept > KEEP) {
			*pp = c->next;
			free(c);
			continue;
		}
		c->used = 0;
		pp = &c->next;
	}
	tl.cur = tl.head;
}

void map_arena_release(void)
{
	struct chunk *c;

	while ((c = tl.head) != NULL) {
		tl.head = c->next;
		free(c);
	}
	tl.cur = NULL;
	tl.active = 0;
}
