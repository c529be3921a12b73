/*
 * adapt.h - small pieces the chat adapters (slack.c, matrix.c) share:
 * telling each failure once, jittered backoff, and freeing secrets.
 */
#ifndef DRILL_ADAPT_H
#define DRILL_ADAPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ADAPT_ONCE_MAX 256

/*
 * The failures already told (logged, reported to admins), by key
 * ("channel_not_found slack:C1"). When full, the oldest is forgotten: a
 * failure long gone may be told again, never one after another. Zeroed
 * is empty; adapt_once_free releases it.
 */
struct adapt_once {
	char *keys[ADAPT_ONCE_MAX];
	size_t n;
};

/* True the first time key is seen (it is remembered then); false after. */
bool adapt_once_first(struct adapt_once *o, const char *key);
void adapt_once_free(struct adapt_once *o);

/*
 * The next delay of a backoff: the cap doubles from min (the first call,
 * *cur 0) to max, kept in *cur, and the delay is uniform in [cap/8, cap]
 * (full jitter, never quite 0). *rng is the generator's state, seeded
 * non-zero (adapt_seed). Reset with *cur = 0.
 */
uint64_t adapt_backoff(uint64_t *cur, uint64_t min, uint64_t max, uint64_t *rng);
/* A non-zero seed for adapt_backoff's generator. */
uint64_t adapt_seed(void);

/* Overwrites the string p holds, then frees it; NULL is fine. */
void adapt_wipe_free(char *p);

#endif
