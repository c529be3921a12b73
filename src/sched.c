/*
 * sched.c - when each channel schedule fires (sched.h).
 *
 * An entry per configured schedule holds the effective cron expression and
 * zone (the config's, or those set in chat), its skip dates, the last fire
 * instant handled and the next one. Every change is written to the store
 * at once; sched_run records an instant in the same transaction as the
 * fire function's writes.
 */
#include "drill/sched.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drill/cron.h"
#include "drill/holiday.h"
#include "drill/log.h"
#include "drill/tz.h"

#define RETRY_S 60		/* after a fire failed, try again this much later */
#define DIGEST_MAX 512

struct entry {
	const struct config_schedule *cfg;
	char digest[DIGEST_MAX];	/* the config entry's identity: cron @ zone */
	char *cron_str;		/* effective, owned */
	char *tz_name;		/* effective, owned */
	struct cron cron;
	struct tz *tz;
	struct holiday_set *skip;
	bool paused, from_chat;
	int64_t last;		/* last instant handled; 0 none */
	int64_t next;		/* next instant to fire; INT64_MAX none */
	bool late;		/* next is a make-up after downtime */
	int64_t retry_at;	/* a failed fire waits until then */
};

struct sched {
	struct store *st;
	struct entry *e;
	size_t n;
};

static struct entry *
find(const struct sched *s, const char *conversation)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->e[i].cfg->conversation, conversation) == 0)
			return &s->e[i];
	return NULL;
}

/* The first instant strictly after t, or INT64_MAX when there is none. */
static int64_t
next_after(const struct entry *e, int64_t t)
{
	int64_t n;

	if (cron_next(&e->cron, e->tz, e->skip, t, &n) != 0)
		return INT64_MAX;
	return n;
}

/* Writes e's state to the store. */
static int
save(struct sched *s, const struct entry *e, int64_t now)
{
	struct store_schedule row = {
		.conversation = (char *)e->cfg->conversation,
		.cron = e->from_chat ? e->cron_str : NULL,
		.timezone = e->from_chat ? e->tz_name : NULL,
		.paused = e->paused,
		.config_digest = (char *)e->digest,
		.last_fire = e->last,
		.updated_at = now,
	};

	return store_schedule_put(s->st, &row);
}

/* Makes cron and zone e's effective ones (copies; e keeps the old ones on failure). */
static int
apply(struct entry *e, const char *cron, const char *zone, char err[DRILL_ERRLEN])
{
	struct cron c;
	struct tz *tz = NULL;
	char *cs = NULL, *zs = NULL;
	int rc;

	if ((rc = cron_parse(cron, &c, err)) != 0)
		return rc;
	if ((rc = tz_load(zone, &tz, err)) != 0)
		return rc;
	if ((cs = strdup(cron)) == NULL || (zs = strdup(zone)) == NULL) {
		free(cs);
		tz_free(tz);
		drill_seterr(err, "out of memory");
		return DRILL_ENOMEM;
	}
	free(e->cron_str);
	free(e->tz_name);
	tz_free(e->tz);
	e->cron_str = cs;
	e->tz_name = zs;
	e->cron = c;
	e->tz = tz;
	return 0;
}

static int
load_skip(struct entry *e, char err[DRILL_ERRLEN])
{
	const struct config_schedule *c = e->cfg;
	int rc;

	if ((rc = holiday_new(&e->skip)) != 0)
		return rc;
	for (size_t i = 0; i < c->nskip_dates; i++) {
		const char *v = c->skip_dates[i];

		if (v[0] == '/')
			rc = holiday_load_ics(e->skip, v, err);
		else
			rc = holiday_add_date(e->skip, v, err);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/*
 * At start-up: the latest instant in (max(last, now - grace), now], which
 * drilld missed while it was down; INT64_MAX when there is none.
 */
static int64_t
missed(const struct entry *e, int64_t now)
{
	int64_t from = now - (int64_t)(e->cfg->grace_ms / 1000), t, m = INT64_MAX;

	if (e->last > from)
		from = e->last;
	for (t = from; (t = next_after(e, t)) != INT64_MAX && t <= now;)
		m = t;
	return m;
}

static int
entry_init(struct sched *s, struct entry *e, const struct config_schedule *c,
    int64_t now, char err[DRILL_ERRLEN])
{
	struct store_schedule row;
	char why[DRILL_ERRLEN] = "";
	bool known = false;
	int rc;

	e->cfg = c;
	e->next = INT64_MAX;
	snprintf(e->digest, sizeof(e->digest), "%s @ %s", c->cron, c->timezone);
	if ((rc = apply(e, c->cron, c->timezone, why)) != 0 ||
	    (rc = load_skip(e, why)) != 0) {
		drill_seterr(err, "schedule of %s: %s", c->conversation, why);
		return rc == DRILL_ENOMEM ? rc : DRILL_EINVAL;
	}
	rc = store_schedule_get(s->st, c->conversation, &row);
	if (rc == 0) {
		known = true;
		e->last = row.last_fire;
		if (row.config_digest != NULL && strcmp(row.config_digest, e->digest) == 0) {
			/* the config entry is the one chat changed: chat wins */
			e->paused = row.paused;
			if (row.cron != NULL && apply(e, row.cron, row.timezone != NULL ?
			    row.timezone : c->timezone, why) == 0)
				e->from_chat = true;
			else if (row.cron != NULL)
				log_warnx("schedule of %s: the schedule set in chat no longer "
				    "loads (%s); using the config's", c->conversation, why);
		} else if (row.cron != NULL || row.paused) {
			log_info("schedule of %s: the config entry changed; it replaces "
			    "the changes made in chat", c->conversation);
		}
		store_schedule_clear(&row);
	} else if (rc != DRILL_ENOTFOUND) {
		drill_seterr(err, "schedule of %s: reading its state: %s",
		    c->conversation, drill_strerror(rc));
		return rc;
	}
	if (!e->paused) {
		e->next = known && e->last > 0 ? missed(e, now) : INT64_MAX;
		e->late = e->next != INT64_MAX;
		if (e->next == INT64_MAX)
			e->next = next_after(e, e->last > now ? e->last : now);
	}
	if ((rc = save(s, e, now)) != 0) {
		drill_seterr(err, "schedule of %s: writing its state: %s",
		    c->conversation, drill_strerror(rc));
		return rc;
	}
	return 0;
}

int
sched_new(struct store *st, const struct config *cfg, int64_t now,
    struct sched **out, char err[DRILL_ERRLEN])
{
	struct sched *s;
	int rc;

	if (st == NULL || cfg == NULL || out == NULL)
		return DRILL_EINVAL;
	*out = NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (cfg->nschedules > 0 &&
	    (s->e = calloc(cfg->nschedules, sizeof(*s->e))) == NULL)) {
		free(s);
		drill_seterr(err, "out of memory");
		return DRILL_ENOMEM;
	}
	s->st = st;
	for (size_t i = 0; i < cfg->nschedules; i++) {
		s->n++;
		if ((rc = entry_init(s, &s->e[i], &cfg->schedules[i], now, err)) != 0) {
			sched_free(s);
			return rc;
		}
	}
	*out = s;
	return 0;
}

void
sched_free(struct sched *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->n; i++) {
		free(s->e[i].cron_str);
		free(s->e[i].tz_name);
		tz_free(s->e[i].tz);
		holiday_free(s->e[i].skip);
	}
	free(s->e);
	free(s);
}

size_t
sched_run(struct sched *s, int64_t now, sched_fire_fn fire, void *arg)
{
	size_t fired = 0;

	for (size_t i = 0; i < s->n; i++) {
		struct entry *e = &s->e[i];
		struct sched_fire f;
		int64_t prev = e->last;
		int rc;

		if (e->paused || e->next > now || e->retry_at > now)
			continue;
		f.conversation = e->cfg->conversation;
		f.cfg = e->cfg;
		f.at = e->next;
		f.late = e->late;
		if ((rc = store_begin(s->st)) == 0) {
			e->last = e->next;
			if ((rc = fire(arg, &f)) == 0 && (rc = save(s, e, now)) == 0)
				rc = store_commit(s->st);
			else
				store_rollback(s->st);
		}
		if (rc != 0) {
			e->last = prev;
			e->retry_at = now + RETRY_S;
			log_warnx("schedule of %s: the question did not go out (%s); "
			    "trying again in %d s", f.conversation, drill_strerror(rc), RETRY_S);
			continue;
		}
		fired++;
		e->retry_at = 0;
		e->late = false;
		e->next = next_after(e, now > e->last ? now : e->last);
	}
	return fired;
}

int64_t
sched_next_at(const struct sched *s)
{
	int64_t at = INT64_MAX;

	for (size_t i = 0; s != NULL && i < s->n; i++) {
		const struct entry *e = &s->e[i];
		int64_t t = e->retry_at > e->next ? e->retry_at : e->next;

		if (!e->paused && t < at)
			at = t;
	}
	return at;
}

bool
sched_day_off(const struct sched *s, int64_t y, int m, int d)
{
	for (size_t i = 0; s != NULL && i < s->n; i++)
		if (s->e[i].skip != NULL && holiday_contains(s->e[i].skip, y, m, d))
			return true;
	return false;
}

int
sched_info(const struct sched *s, const char *conversation, struct sched_info *out)
{
	const struct entry *e = find(s, conversation);

	if (e == NULL)
		return DRILL_ENOTFOUND;
	out->cron = e->cron_str;
	out->timezone = e->tz_name;
	out->paused = e->paused;
	out->from_chat = e->from_chat;
	out->next = e->paused ? INT64_MAX : e->next;
	out->last = e->last;
	return 0;
}

/* After a chat change: nothing before now is made up; the state is stored. */
static int
changed(struct sched *s, struct entry *e, int64_t now)
{
	if (e->last < now)
		e->last = now;
	e->late = false;
	e->retry_at = 0;
	e->next = e->paused ? INT64_MAX : next_after(e, now);
	return save(s, e, now);
}

int
sched_set(struct sched *s, const char *conversation, const char *cron,
    const char *timezone, int64_t now, char err[DRILL_ERRLEN])
{
	struct entry *e = find(s, conversation);
	int rc;

	if (e == NULL) {
		drill_seterr(err, "%s has no schedule", conversation);
		return DRILL_ENOTFOUND;
	}
	if ((rc = apply(e, cron, timezone != NULL ? timezone : e->tz_name, err)) != 0)
		return rc == DRILL_ENOMEM ? rc : DRILL_EINVAL;
	e->from_chat = true;
	return changed(s, e, now);
}

int
sched_pause(struct sched *s, const char *conversation, int64_t now)
{
	struct entry *e = find(s, conversation);

	if (e == NULL)
		return DRILL_ENOTFOUND;
	e->paused = true;
	return changed(s, e, now);
}

int
sched_resume(struct sched *s, const char *conversation, int64_t now)
{
	struct entry *e = find(s, conversation);

	if (e == NULL)
		return DRILL_ENOTFOUND;
	e->paused = false;
	return changed(s, e, now);
}
