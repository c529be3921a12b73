/*
 * engine.h - the conversation logic, platform-agnostic: turns a normalised
 * inbound event into state changes in the store and abstract messages back.
 * Every command of design.md's table lives here; adapters only carry text.
 *
 * Two ways out. The console passes a reply function and gets its answers
 * at once. Chat platforms pass none: the engine posts through deps.post
 * (the router), so every message is an outbox row written in the same
 * transaction as what caused it.
 *
 * Channel questions (schedules in the config):
 *  - the question is posted as a thread root with a line on how to answer;
 *    the delivery remembers that outbox row, so the thread is whatever id
 *    the platform gives it;
 *  - answers = "thread": a person's first reply in the thread is their
 *    answer; answers = "dm": people press "Answer privately" (or write
 *    `answer` to the bot in the thread), get the question in a DM and
 *    answer there, and the thread only says who has answered;
 *  - an edit within ENGINE_EDIT_S of an answer replaces it and is
 *    re-scored, while the model answer is not yet revealed; later edits,
 *    edits of practice answers (their feedback showed the model answer)
 *    and further replies are conversation;
 *  - feedback = "private": the answerer's feedback is shown to them alone
 *    in the thread where the platform can, else sent in a DM; "thread":
 *    posted in the thread. Either way the model answer is not shown before
 *    the reveal;
 *  - the reveal (model answer, then one summary message: how many
 *    answered, the average, the concept most often missed) comes at
 *    reveal_after or when the conversation's next question goes out,
 *    whichever is first, once; it is stored, so it survives restarts.
 *    Where the platform can edit messages, the question itself is then
 *    replaced by its closed form (the prompt, "closed", no button). A
 *    private answer asked for and not given by then must be asked for
 *    again (and is late);
 *  - until its reveal, a channel's question is nobody's practice question,
 *    and where someone already has it as one, `model` and the feedback
 *    hold its model answer back;
 *  - an answer after the reveal is scored, marked late, and gets the
 *    model answer with its feedback;
 *  - `practice` asked for in a channel (not the console) posts the
 *    question as a thread root for the person who asked; their replies
 *    in it are answers, and the feedback and model answer go there (they
 *    chose to practise in public); anyone else's replies are conversation;
 *  - admins (config `admins`) run `schedule`, `schedule set CRON [ZONE]`,
 *    `schedule pause|resume` and `ask now` in the channel; anyone else
 *    gets a polite refusal.
 *
 * Platform events besides messages: the bot joining a conversation
 * (PLATFORM_EV_JOIN) makes it introduce itself there once, ever (what it
 * does, how to answer, the command to get help: `/drill help` on Slack,
 * `!drill help` on Matrix); a person opening the bot's home
 * (PLATFORM_EV_HOME) gets their stats, their daily question and the
 * commands through the reply function, as one view.
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
#include "drill/sched.h"
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
	platform_post_fn post;		/* chat platforms' way out (router_post); NULL none */
	void *post_arg;
	struct sched *sched;		/* channel schedules, for `schedule`; NULL none */
};

/* An edit this soon after an answer (seconds) replaces it. */
#define ENGINE_EDIT_S 600

/* Returns a new engine, or NULL when out of memory. Caller frees. */
struct engine *engine_new(const struct engine_deps *deps);
/* Frees it; NULL does nothing. */
void engine_free(struct engine *e);

/* Replaces the bank (after a reload); the old one may be freed afterwards. */
int engine_set_bank(struct engine *e, const struct bank *bank) DRILL_WUR;
/* Replaces the config and scheduler (after a reload); both borrowed. */
void engine_set_config(struct engine *e, const struct config *cfg,
    struct sched *sched);

/*
 * Handles one event: a command, an answer to the person's open question or
 * to a channel question, an edit of an answer, or a session start. Replies
 * go through reply(arg, ev, msg), or, when reply is NULL, are posted
 * through deps.post into the event's conversation and thread. Bad input
 * (empty, too long, invalid UTF-8) gets a reply that says so and changes
 * nothing.
 * Returns 0 (handled, or a repeat dropped), DRILL_EINVAL for an event
 * without a valid conversation or user (dropped: it would not be better
 * sent again), or DRILL_EIO / DRILL_ENOMEM when the store or memory
 * failed: then an event with an event_id leaves nothing behind, not even
 * its id or the replies saying so, so that the platform's retry is
 * handled afresh (without an id, the replies have said so to the person).
 */
int engine_handle(struct engine *e, const struct platform_event *ev,
    platform_reply_fn reply, void *arg) DRILL_WUR;

/*
 * The platform told person's IANA time zone apart from any event (Slack's
 * users.info answers after the event that asked for it): kept as
 * platform_event.user_timezone would be, and their daily question moves
 * with it. Nothing for a person drilld does not know yet, or an unknown
 * zone (logged). Returns 0, DRILL_EINVAL, DRILL_EIO.
 */
int engine_person_zone(struct engine *e, const char *person, const char *name) DRILL_WUR;

/*
 * The question a conversation gets next from a channel schedule: one that
 * matches the filters (topics and types as bit sets of vocab numbers, 0
 * any; level a vocab level, -1 any) and was posted there the fewest times,
 * so no question comes again until every matching one has been asked
 * (*repeat true from the second round on). Within a round the order is a
 * shuffle keyed by the conversation's name and the round: the same history
 * gives the same question whatever the engine's seed, so a restart changes
 * nothing, and two channels get different orders. Records the conversation
 * (now is its first-seen time). NULL when nothing matches (*rc 0) or the
 * store failed (*rc a DRILL_E* code).
 */
const struct bank_question *engine_next_for_conversation(struct engine *e,
    const char *conversation, uint32_t topics, uint32_t types, int level,
    int64_t now, bool *repeat, int *rc);

/*
 * Posts conversation's next question now, under schedule cs: first
 * reveals the conversation's question still waiting for its reveal, then
 * picks by rotation (engine_next_for_conversation), posts the question as
 * a thread root and stores the delivery with its reveal time. late says
 * it makes up a fire missed while drilld was down (the post says so).
 * Runs in the caller's store transaction (sched_run's, or engine_ask_now's).
 * DRILL_ENOTFOUND when no question matches the filters; DRILL_ENOTSUP
 * (no adapter for its platform, or no deps.post); the post's error when
 * it could not be stored.
 */
int engine_post_question(struct engine *e, const struct config_schedule *cs,
    const char *conversation, int64_t now, bool late) DRILL_WUR;

/* A sched_fire_fn over engine_post_question; arg is the engine. */
int engine_fire(void *arg, const struct sched_fire *f);

/*
 * `ask now` from outside chat (drillctl ask): conversation's next question
 * now, in its own transaction. DRILL_ENOTFOUND when conversation has no
 * schedule; other errors as engine_post_question; err says what happened.
 */
int engine_ask_now(struct engine *e, const char *conversation,
    char err[DRILL_ERRLEN]) DRILL_WUR;

/*
 * Reveals every question whose reveal time is at or before now, each in
 * its own transaction; returns how many. One that fails waits a minute
 * (the others go on); one whose platform has no adapter is given up, with
 * an error in the log.
 */
size_t engine_reveal_due(struct engine *e, int64_t now);
/* When the next reveal is due (Unix seconds); INT64_MAX when none waits. */
int64_t engine_next_reveal_at(struct engine *e);

/*
 * The timer's work at now, everything due: reveals (engine_reveal_due);
 * people's daily questions in DMs (a subscription's question more than
 * 12 h late, drilld having been down, is skipped, never sent in a burst;
 * one whose store writes or post fail is rolled back and tried again a
 * minute later); each schedule's weekly
 * digest; once a day, erasing answers older than store.retention_days;
 * for ten minutes after a `forget me`, erasing what was sent to that
 * person since, once sent; and compacting the database after anything was
 * erased. Returns how many messages it made go out.
 */
size_t engine_tick(struct engine *e, int64_t now);
/*
 * When engine_tick next has work (at or before now: at once); INT64_MAX
 * when never. After a store failure, not before a minute later.
 */
int64_t engine_next_at(struct engine *e, int64_t now);

#endif
