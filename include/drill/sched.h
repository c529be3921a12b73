/*
 * sched.h - when each channel schedule fires, across restarts and
 * daylight-saving changes.
 *
 * The scheduler holds one entry per configured schedule (config.h): its
 * cron expression and zone (or those set in chat), its skip dates, whether
 * it is paused, and the last fire instant it handled, kept in the store
 * (store_schedule_*). It does no I/O of its own besides the store and
 * reads time only as arguments, so tests drive it with a fake clock; the
 * daemon arms one uv timer at sched_next_at().
 *
 * Rules:
 *  - a fire instant is handled once: sched_run calls the fire function
 *    inside a store transaction together with recording the instant, so a
 *    crash leaves either both (posted and recorded) or neither;
 *  - downtime: at start-up, the latest fire instant missed while drilld
 *    was down is made up once (flagged late) when it is no older than the
 *    schedule's grace; older ones, and every earlier one, are skipped -
 *    never a burst. A schedule seen for the first time makes up nothing;
 *  - changes made in chat (sched_set, sched_pause, sched_resume) are
 *    stored and win over the config entry they were made over until that
 *    entry changes in the config (then the config wins again and the chat
 *    changes are dropped);
 *  - a paused schedule does not fire, and resuming does not make up what
 *    was missed while paused.
 */
#ifndef DRILL_SCHED_H
#define DRILL_SCHED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "drill/common.h"
#include "drill/config.h"
#include "drill/store.h"

struct sched;

/* One fire, borrowed for the call. */
struct sched_fire {
	const char *conversation;
	const struct config_schedule *cfg;	/* its config entry (filters, thread options) */
	int64_t at;		/* the scheduled instant, Unix seconds UTC */
	bool late;		/* made up after downtime */
};

/*
 * Posts the question of fire f. Runs inside a store transaction: write
 * the delivery and the outbox rows with the same store. Returns 0, or an
 * error code to roll everything back and try again a minute later.
 */
typedef int (*sched_fire_fn)(void *arg, const struct sched_fire *f);

/*
 * Builds the scheduler for cfg's schedules (both borrowed; cfg outlives
 * it) at time now: loads zones and skip dates, reads and reconciles the
 * stored state, finds the fire missed during downtime, if any. On success
 * *out is the caller's (sched_free). DRILL_EINVAL (err says which schedule
 * and why: a zone or holiday file that no longer loads), DRILL_EIO (the
 * store), DRILL_ENOMEM.
 */
int sched_new(struct store *st, const struct config *cfg, int64_t now,
    struct sched **out, char err[DRILL_ERRLEN]) DRILL_WUR;
void sched_free(struct sched *s);

/*
 * Fires every schedule due at now (its next instant <= now), each once,
 * then computes its next instant strictly after now. Returns how many
 * fired (fire returned 0).
 */
size_t sched_run(struct sched *s, int64_t now, sched_fire_fn fire, void *arg);

/* The earliest next fire instant of any schedule; INT64_MAX when none. */
int64_t sched_next_at(const struct sched *s);

/*
 * Whether local date y-m-d is a day off in any schedule's skip_dates (a
 * holiday): it does not break people's streaks.
 */
bool sched_day_off(const struct sched *s, int64_t y, int m, int d);

/* What `schedule` shows for a conversation; strings borrowed from s. */
struct sched_info {
	const char *cron;
	const char *timezone;
	bool paused;
	bool from_chat;		/* cron or zone set in chat */
	int64_t next;		/* next fire instant; INT64_MAX when none (paused) */
	int64_t last;		/* last one handled; 0 none */
};

/* DRILL_ENOTFOUND when the conversation has no schedule. */
int sched_info(const struct sched *s, const char *conversation,
    struct sched_info *out) DRILL_WUR;

/*
 * Chat changes at time now, stored at once. sched_set replaces the cron
 * expression and, when timezone is not NULL, the zone: DRILL_EINVAL with
 * err saying why when either is bad (nothing changes). All return
 * DRILL_ENOTFOUND for a conversation with no schedule (schedules are
 * created in the config), DRILL_EIO when the store failed.
 */
int sched_set(struct sched *s, const char *conversation, const char *cron,
    const char *timezone, int64_t now, char err[DRILL_ERRLEN]) DRILL_WUR;
int sched_pause(struct sched *s, const char *conversation, int64_t now) DRILL_WUR;
int sched_resume(struct sched *s, const char *conversation, int64_t now) DRILL_WUR;

#endif
