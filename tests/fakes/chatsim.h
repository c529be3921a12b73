/*
 * chatsim.h - drilld's channel machinery in one test process, on a fake
 * clock: a real store (SQLite file in a temporary directory), a bank, the
 * scheduler, the engine, the router and the outbox, with the in-memory
 * test platform (testchat.h) behind them. Time moves only when the test
 * says; the scheduler's and the reveals' timers fire as drilld's would
 * (drilld.c arms one uv timer at the earliest of them), and the outbox
 * sends whatever is due after each step.
 *
 * A restart closes everything but the database file and opens it all
 * again, as a daemon restart would; the test platform (what people saw)
 * stays.
 */
#ifndef DRILL_CHATSIM_H
#define DRILL_CHATSIM_H

#include <stdbool.h>
#include <stdint.h>

#include <uv.h>

#include "drill/bank.h"
#include "drill/config.h"
#include "drill/engine.h"
#include "drill/outbox.h"
#include "drill/platform.h"
#include "drill/router.h"
#include "drill/sched.h"
#include "drill/store.h"
#include "testchat.h"

struct chatsim {
	char dir[64];
	char db[128];
	const struct config *cfg;	/* the caller's: schedules, admins, practice */
	uint64_t seed;
	int64_t now;			/* Unix seconds */
	uv_loop_t loop;
	struct store *st;
	struct bank *bank;
	struct sched *sched;
	struct engine *engine;
	struct outbox *ob;
	struct router *router;
	struct testchat *tc;
	size_t fired;			/* questions posted by schedules */
	size_t revealed;		/* messages the engine's timer sent: reveals,
					 * DM questions, digests */
};

/*
 * Opens everything at time now over a new temporary directory, with the
 * bank at bank_path and cfg (borrowed; outlives the sim). ephemeral: the
 * test platform can show a message to one person. 0, or -1 with err set.
 */
int chatsim_open(struct chatsim *s, const struct config *cfg, const char *bank_path,
    int64_t now, uint64_t seed, bool ephemeral, char err[DRILL_ERRLEN]);
/* Closes everything and removes the directory. */
void chatsim_close(struct chatsim *s);
/* Closes all but the database and the test platform, then opens again at s->now. */
int chatsim_restart(struct chatsim *s, char err[DRILL_ERRLEN]);

/*
 * Moves the clock to until, stopping at every scheduler fire and every
 * piece of the engine's timer work (engine_tick) due on the way, and lets the outbox send all that is
 * due after each stop. Aborts the test when something stays due however
 * often it runs (drilld's timer would spin on it).
 */
void chatsim_advance(struct chatsim *s, int64_t until);
/* Lets the outbox send everything due now. */
void chatsim_flush(struct chatsim *s);

/* A chat event, as an adapter would hand it over (reply NULL: posted). */
int chatsim_event(struct chatsim *s, const struct platform_event *ev);

/* The newest question posted to conversation (a thread root), or NULL. */
const struct testchat_msg *chatsim_last_question(const struct chatsim *s,
    const char *conversation);

#endif
