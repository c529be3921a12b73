/*
 * matcher.h - many phrases matched in one pass over a token stream.
 *
 * An Aho-Corasick automaton whose alphabet is normalised tokens (see text.h)
 * instead of bytes. Every rubric phrase of every loaded bank is added once;
 * scanning an answer is then linear in the answer's token count and does not
 * depend on how many phrases there are. Each phrase carries a caller-chosen
 * 32-bit payload (the bank encodes question and concept in it).
 *
 * Life cycle: matcher_new, matcher_add (any number), matcher_build once, then
 * matcher_scan any number of times (scans are read-only and reentrant).
 */
#ifndef DRILL_MATCHER_H
#define DRILL_MATCHER_H

#include <stddef.h>
#include <stdint.h>

#include "drill/common.h"
#include "drill/text.h"

struct matcher;

/* Returns a new empty matcher, or NULL when out of memory. Caller frees. */
struct matcher *matcher_new(void);
/* Frees the matcher; NULL does nothing. */
void matcher_free(struct matcher *m);

/*
 * Adds a phrase given as its normalised tokens (copied). The same phrase may
 * be added with several payloads. Returns 0, DRILL_EINVAL (no tokens, or the
 * matcher is already built) or DRILL_ENOMEM.
 */
int matcher_add(struct matcher *m, const char *const *tokens, size_t ntokens,
    uint32_t payload) DRILL_WUR;

/* Computes failure links; afterwards no more phrases can be added. */
int matcher_build(struct matcher *m) DRILL_WUR;

/*
 * Called for every occurrence of every phrase, in order of the occurrence's
 * last token: payload, and the indexes of its first and last token in the doc.
 */
typedef void (*matcher_cb)(void *arg, uint32_t payload, size_t first, size_t last);

/* Scans doc's tokens and reports every phrase occurrence to cb. */
void matcher_scan(const struct matcher *m, const struct text_doc *doc,
    matcher_cb cb, void *arg);

/* Number of phrases added and of automaton states (for tests and benchmarks). */
size_t matcher_phrase_count(const struct matcher *m);
size_t matcher_state_count(const struct matcher *m);

#endif
