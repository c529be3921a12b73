/*
 * engine.h - the conversation logic, platform-agnostic: turns a normalised
 * inbound event into state changes in the store and abstract messages back.
 * Every command of design.md's table lives here; adapters only carry text.
 *
 * The engine is synchronous and single-threaded: engine_handle runs to
 * completion (SQLite calls are microseconds) and calls the reply callback for
 * each message to send. It reads time only through the clock it is given, so
 * tests drive it with a fake clock.
 */
#ifndef DRILL_ENGINE_H
#define DRILL_ENGINE_H

#include <stdbool.h>
#include <stdint.h>

#include "drill/bank.h"
#include "drill/common.h"
#include "drill/config.h"
#include "drill/platform.h"
#include "drill/store.h"

struct engine;

/* Returns the current time in Unix seconds. */
typedef int64_t (*engine_clock_fn)(void *arg);

struct engine_deps {
	struct store *store;		/* borrowed */
	const struct bank *bank;	/* borrowed; see engine_set_bank */
	const struct config *cfg;	/* borrowed */
	engine_clock_fn clock;		/* NULL: time(NULL) */
	void *clock_arg;
	uint64_t seed;			/* question choice; same seed, same questions */
};

/* Returns a new engine, or NULL when out of memory. Caller frees. */
struct engine *engine_new(const struct engine_deps *deps);
/* Frees it; NULL does nothing. */
void engine_free(struct engine *e);

/* Replaces the bank (after a reload); the old one may be freed afterwards. */
int engine_set_bank(struct engine *e, const struct bank *bank) DRILL_WUR;

/*
 * Handles one event: a command, an answer to the person's open question, or
 * a session start. Replies go through reply(arg, ev, msg). Bad input (empty,
 * too long, invalid UTF-8) gets a reply that says so and changes nothing.
 * Returns 0, or DRILL_EIO / DRILL_ENOMEM when the store or memory failed (a
 * reply has said so to the person).
 */
int engine_handle(struct engine *e, const struct platform_event *ev,
    platform_reply_fn reply, void *arg) DRILL_WUR;

/*
 * The question a conversation gets next from a channel schedule: one that
 * matches the filters (topics and types as bit sets of vocab numbers, 0
 * any; level a vocab level, -1 any) and was not yet posted to the whole
 * conversation while any such is left; when the pool is used up it starts
 * over (*repeat true). Chosen with the engine's seeded generator, so the
 * same seed and history give the same question. Records the conversation
 * (now is its first-seen time). NULL when nothing matches or the store
 * failed.
 */
const struct bank_question *engine_next_for_conversation(struct engine *e,
    const char *conversation, uint32_t topics, uint32_t types, int level,
    int64_t now, bool *repeat);

#endif
