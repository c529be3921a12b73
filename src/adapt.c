/*
 * adapt.c - pieces the chat adapters share; see adapt.h.
 */
#include "drill/adapt.h"

#include <stdlib.h>
#include <string.h>

#include <uv.h>

bool
adapt_once_first(struct adapt_once *o, const char *key)
{
	for (size_t i = 0; i < o->n; i++)
		if (strcmp(o->keys[i], key) == 0)
			return false;
	if (o->n == ADAPT_ONCE_MAX) {
		free(o->keys[0]);
		memmove(o->keys, o->keys + 1, (ADAPT_ONCE_MAX - 1) * sizeof(o->keys[0]));
		o->n--;
	}
	if ((o->keys[o->n] = strdup(key)) != NULL)
		o->n++;
	return true;
}

void
adapt_once_free(struct adapt_once *o)
{
	for (size_t i = 0; i < o->n; i++)
		free(o->keys[i]);
	o->n = 0;
}

/* xorshift64*: jitter only, not for anything secret */
static uint32_t
next(uint64_t *rng)
{
	*rng ^= *rng >> 12;
	*rng ^= *rng << 25;
	*rng ^= *rng >> 27;
	return (uint32_t)((*rng * 2685821657736338717ULL) >> 32);
}

uint64_t
adapt_backoff(uint64_t *cur, uint64_t min, uint64_t max, uint64_t *rng)
{
	uint64_t cap = *cur == 0 ? min : *cur * 2 > max ? max : *cur * 2;

	*cur = cap;
	return cap / 8 + (uint64_t)next(rng) % (cap - cap / 8 + 1);
}

uint64_t
adapt_seed(void)
{
	return (uint64_t)uv_hrtime() | 1;
}

void
adapt_wipe_free(char *p)
{
	if (p != NULL) {
		explicit_bzero(p, strlen(p));
		free(p);
	}
}
