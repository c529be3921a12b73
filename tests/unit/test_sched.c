/*
 * test_sched.c - the scheduler against a real store (a SQLite file in a
 * temporary directory) and a fake clock: what a team would notice about
 * when its question arrives.
 *
 * The simulation runs 30 days from 2026-03-20 for three channels, in
 * Europe/Berlin, America/New_York and Asia/Kolkata, across Berlin's
 * spring-forward night (2026-03-29); New York changed on 2026-03-08 and
 * Kolkata never does. Time jumps from one sched_next_at to the next, as the
 * daemon's timer would.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "drill/config.h"
#include "drill/cron.h"
#include "drill/log.h"
#include "drill/sched.h"
#include "drill/store.h"

#define MAXFIRES 512

struct fired {
	char conv[64];
	int64_t at;
	int64_t when;		/* the clock when it fired */
	bool late;
};

struct fx {
	char dir[64];
	char db[128];
	struct store *st;
	struct config cfg;
	struct config_schedule sc[3];
	char *skip[2];
	struct fired f[MAXFIRES];
	size_t nf;
	int64_t now;
	int fail_next;		/* the fire function fails this many times */
};

static int64_t
utc(const char *s)
{
	char err[DRILL_ERRLEN];
	int64_t t;

	assert_int_equal(cron_parse_rfc3339(s, &t, err), 0);
	return t;
}

static int
on_fire(void *arg, const struct sched_fire *f)
{
	struct fx *x = arg;

	if (x->fail_next > 0) {
		x->fail_next--;
		return DRILL_EIO;
	}
	assert_true(x->nf < MAXFIRES);
	snprintf(x->f[x->nf].conv, sizeof(x->f[0].conv), "%s", f->conversation);
	x->f[x->nf].at = f->at;
	x->f[x->nf].when = x->now;
	x->f[x->nf].late = f->late;
	x->nf++;
	return 0;
}

/* Runs the scheduler's timer until the clock reaches until. */
static void
run_until(struct fx *x, struct sched *s, int64_t until)
{
	for (int guard = 0; guard < 100000; guard++) {
		int64_t at = sched_next_at(s);

		if (at == INT64_MAX || at > until) {
			x->now = until;
			return;
		}
		if (at > x->now)
			x->now = at;
		sched_run(s, x->now, on_fire, x);
	}
	fail_msg("the scheduler did not settle");
}

static struct sched *
start(struct fx *x)
{
	char err[DRILL_ERRLEN] = "";
	struct sched *s = NULL;

	if (sched_new(x->st, &x->cfg, x->now, &s, err) != 0)
		fail_msg("sched_new: %s", err);
	return s;
}

static size_t
count(const struct fx *x, const char *conv)
{
	size_t n = 0;

	for (size_t i = 0; i < x->nf; i++)
		n += strcmp(x->f[i].conv, conv) == 0;
	return n;
}

/* The i-th fire of conv, as RFC 3339 UTC. */
static const char *
fire_at(const struct fx *x, const char *conv, size_t k)
{
	static char buf[CRON_RFC3339_LEN];

	for (size_t i = 0; i < x->nf; i++) {
		if (strcmp(x->f[i].conv, conv) != 0)
			continue;
		if (k-- == 0) {
			assert_int_equal(cron_format_utc(x->f[i].at, buf), 0);
			return buf;
		}
	}
	return "none";
}

static int
setup(void **state)
{
	struct fx *x = calloc(1, sizeof(*x));
	char err[DRILL_ERRLEN];

	if (x == NULL)
		return -1;
	log_set_level(LOGL_ERROR);
	snprintf(x->dir, sizeof(x->dir), "/tmp/test_sched.XXXXXX");
	if (mkdtemp(x->dir) == NULL)
		return -1;
	snprintf(x->db, sizeof(x->db), "%s/drilld.db", x->dir);
	if (store_open(x->db, 0, 1000, &x->st, err) != 0)
		return -1;
	x->skip[0] = (char *)"2026-04-03";	/* a holiday in Berlin */
	x->sc[0] = (struct config_schedule){
		.conversation = (char *)"slack:CBERLIN", .cron = (char *)"30 2 * * *",
		.timezone = (char *)"Europe/Berlin", .level = -1,
		.skip_dates = x->skip, .nskip_dates = 1, .grace_ms = 2 * 3600000,
	};
	x->sc[1] = (struct config_schedule){
		.conversation = (char *)"matrix:!ny:example.org", .cron = (char *)"0 9 * * mon-fri",
		.timezone = (char *)"America/New_York", .level = -1, .grace_ms = 2 * 3600000,
	};
	x->sc[2] = (struct config_schedule){
		.conversation = (char *)"slack:CKOLKATA", .cron = (char *)"30 10 * * *",
		.timezone = (char *)"Asia/Kolkata", .level = -1, .grace_ms = 2 * 3600000,
	};
	x->cfg.schedules = x->sc;
	x->cfg.nschedules = 3;
	*state = x;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *x = *state;
	char p[160];

	store_close(x->st);
	for (const char *const *sfx = (const char *const[]){"", "-wal", "-shm", NULL};
	    *sfx != NULL; sfx++) {
		snprintf(p, sizeof(p), "%s%s", x->db, *sfx);
		unlink(p);
	}
	rmdir(x->dir);
	free(x);
	return 0;
}

/*
 * 30 days, three zones: every post at the expected UTC instant, once;
 * Berlin's 02:30 on the spring-forward night at 03:00 CEST; the holiday
 * skipped; weekends skipped in New York; a restart in the middle, with
 * the daemon down over one fire, changes nothing but making that fire up
 * once, late.
 */
static void
test_thirty_days(void **state)
{
	struct fx *x = *state;
	struct sched *s;

	x->now = utc("2026-03-20T00:00:00Z");
	s = start(x);
	run_until(x, s, utc("2026-04-05T00:00:00Z"));
	/* down from 2026-04-05 00:00Z to 01:30Z: Berlin's 02:30 CEST (00:30Z) missed */
	sched_free(s);
	x->now = utc("2026-04-05T01:30:00Z");
	s = start(x);
	run_until(x, s, utc("2026-04-19T00:00:00Z"));
	sched_free(s);

	/* Berlin: 30 days minus the holiday */
	assert_int_equal(count(x, "slack:CBERLIN"), 29);
	assert_string_equal(fire_at(x, "slack:CBERLIN", 0), "2026-03-20T01:30:00Z");
	assert_string_equal(fire_at(x, "slack:CBERLIN", 8), "2026-03-28T01:30:00Z");
	assert_string_equal(fire_at(x, "slack:CBERLIN", 9), "2026-03-29T01:00:00Z");	/* the gap */
	assert_string_equal(fire_at(x, "slack:CBERLIN", 10), "2026-03-30T00:30:00Z");
	assert_string_equal(fire_at(x, "slack:CBERLIN", 13), "2026-04-02T00:30:00Z");
	assert_string_equal(fire_at(x, "slack:CBERLIN", 14), "2026-04-04T00:30:00Z");	/* 3rd off */
	assert_string_equal(fire_at(x, "slack:CBERLIN", 15), "2026-04-05T00:30:00Z");	/* made up */
	for (size_t i = 0; i < x->nf; i++) {
		if (x->f[i].late) {
			assert_string_equal(x->f[i].conv, "slack:CBERLIN");
			assert_int_equal(x->f[i].at, utc("2026-04-05T00:30:00Z"));
			assert_int_equal(x->f[i].when, utc("2026-04-05T01:30:00Z"));
		} else {
			assert_int_equal(x->f[i].when, x->f[i].at);	/* on time */
		}
	}
	/* New York: weekdays only, 09:00 EDT = 13:00Z */
	assert_int_equal(count(x, "matrix:!ny:example.org"), 21);
	assert_string_equal(fire_at(x, "matrix:!ny:example.org", 0), "2026-03-20T13:00:00Z");
	assert_string_equal(fire_at(x, "matrix:!ny:example.org", 1), "2026-03-23T13:00:00Z");
	/* Kolkata: every day, 10:30 IST = 05:00Z */
	assert_int_equal(count(x, "slack:CKOLKATA"), 30);
	assert_string_equal(fire_at(x, "slack:CKOLKATA", 29), "2026-04-18T05:00:00Z");
	/* no instant twice */
	for (size_t i = 0; i < x->nf; i++)
		for (size_t j = i + 1; j < x->nf; j++)
			assert_false(strcmp(x->f[i].conv, x->f[j].conv) == 0 &&
			    x->f[i].at == x->f[j].at);
}

/*
 * Downtime beyond the grace makes nothing up; a long outage never posts a
 * burst; restarting twice in a row on the same day never posts twice.
 */
static void
test_downtime(void **state)
{
	struct fx *x = *state;
	struct sched *s;

	x->cfg.nschedules = 1;	/* Berlin only */
	x->now = utc("2026-05-01T00:00:00Z");
	s = start(x);
	run_until(x, s, utc("2026-05-01T12:00:00Z"));
	sched_free(s);
	assert_int_equal(x->nf, 1);	/* 00:30Z */

	/* down for 5 days; back at 03:00Z, 2.5 h after today's 00:30Z: too late */
	x->now = utc("2026-05-06T03:00:00Z");
	s = start(x);
	assert_int_equal(sched_next_at(s), utc("2026-05-07T00:30:00Z"));
	sched_free(s);

	/* back within the grace: one make-up, however many days were missed */
	x->now = utc("2026-05-08T01:00:00Z");
	s = start(x);
	assert_int_equal(sched_next_at(s), utc("2026-05-08T00:30:00Z"));
	sched_run(s, x->now, on_fire, x);
	assert_int_equal(x->nf, 2);
	assert_true(x->f[1].late);
	assert_int_equal(sched_next_at(s), utc("2026-05-09T00:30:00Z"));
	sched_free(s);
	/* and a restart right after does not post it again */
	x->now = utc("2026-05-08T01:05:00Z");
	s = start(x);
	assert_int_equal(sched_next_at(s), utc("2026-05-09T00:30:00Z"));
	sched_free(s);
	assert_int_equal(x->nf, 2);
}

/* A schedule seen for the first time makes up nothing that came before. */
static void
test_new_schedule_waits(void **state)
{
	struct fx *x = *state;
	struct sched *s;

	x->cfg.nschedules = 1;
	x->now = utc("2026-05-01T00:45:00Z");	/* 15 min after today's instant */
	s = start(x);
	assert_int_equal(sched_next_at(s), utc("2026-05-02T00:30:00Z"));
	sched_free(s);
}

/* A fire that fails is rolled back and tried again a minute later, once it works. */
static void
test_failed_fire_retried(void **state)
{
	struct fx *x = *state;
	struct sched *s;
	struct store_schedule row;

	x->cfg.nschedules = 1;
	x->now = utc("2026-05-01T00:00:00Z");
	s = start(x);
	x->fail_next = 2;
	run_until(x, s, utc("2026-05-01T00:35:00Z"));
	assert_int_equal(x->nf, 1);
	assert_int_equal(x->f[0].at, utc("2026-05-01T00:30:00Z"));
	assert_int_equal(x->f[0].when, utc("2026-05-01T00:32:00Z"));
	assert_int_equal(store_schedule_get(x->st, "slack:CBERLIN", &row), 0);
	assert_int_equal(row.last_fire, utc("2026-05-01T00:30:00Z"));
	store_schedule_clear(&row);
	sched_free(s);
}

/*
 * Chat changes: stored, they survive a restart and win over the config
 * entry they were made over, until that entry changes; pausing stops
 * fires, resuming does not make up what was missed.
 */
static void
test_chat_changes(void **state)
{
	struct fx *x = *state;
	struct sched *s;
	struct sched_info in;
	char err[DRILL_ERRLEN] = "";

	x->cfg.nschedules = 1;
	x->now = utc("2026-05-01T00:00:00Z");
	s = start(x);
	assert_int_equal(sched_set(s, "slack:CBERLIN", "0 10 * * 1-5", "Europe/London",
	    x->now, err), 0);
	assert_int_equal(sched_info(s, "slack:CBERLIN", &in), 0);
	assert_string_equal(in.cron, "0 10 * * 1-5");
	assert_string_equal(in.timezone, "Europe/London");
	assert_true(in.from_chat);
	assert_int_equal(in.next, utc("2026-05-01T09:00:00Z"));	/* a Friday, BST */
	assert_int_equal(sched_set(s, "slack:CBERLIN", "0 25 * * *", NULL, x->now, err),
	    DRILL_EINVAL);
	assert_non_null(strstr(err, "hour: 25 is out of range"));
	assert_int_equal(sched_set(s, "slack:CBERLIN", "0 9 * * *", "Nowhere/Land", x->now,
	    err), DRILL_EINVAL);
	assert_int_equal(sched_set(s, "slack:CNONE", "0 9 * * *", NULL, x->now, err),
	    DRILL_ENOTFOUND);
	assert_int_equal(sched_info(s, "slack:CBERLIN", &in), 0);
	assert_string_equal(in.cron, "0 10 * * 1-5");	/* unchanged by the failures */
	sched_free(s);

	/* a restart keeps the chat change */
	s = start(x);
	assert_int_equal(sched_info(s, "slack:CBERLIN", &in), 0);
	assert_string_equal(in.cron, "0 10 * * 1-5");
	assert_string_equal(in.timezone, "Europe/London");

	/* pause: nothing fires for two days; resume: nothing made up */
	assert_int_equal(sched_pause(s, "slack:CBERLIN", x->now), 0);
	assert_int_equal(sched_next_at(s), INT64_MAX);
	run_until(x, s, utc("2026-05-05T12:00:00Z"));
	assert_int_equal(x->nf, 0);
	sched_free(s);
	s = start(x);	/* still paused after a restart */
	assert_int_equal(sched_info(s, "slack:CBERLIN", &in), 0);
	assert_true(in.paused);
	assert_int_equal(sched_resume(s, "slack:CBERLIN", x->now), 0);
	assert_int_equal(sched_next_at(s), utc("2026-05-06T09:00:00Z"));
	sched_free(s);
	x->now = utc("2026-05-05T13:00:00Z");
	s = start(x);	/* a restart after resuming makes up nothing either */
	assert_int_equal(sched_next_at(s), utc("2026-05-06T09:00:00Z"));
	sched_free(s);

	/* the config entry changes: it wins again, the chat change is gone */
	x->sc[0].cron = (char *)"0 8 * * *";
	s = start(x);
	assert_int_equal(sched_info(s, "slack:CBERLIN", &in), 0);
	assert_string_equal(in.cron, "0 8 * * *");
	assert_string_equal(in.timezone, "Europe/Berlin");
	assert_false(in.from_chat);
	assert_false(in.paused);
	assert_int_equal(in.next, utc("2026-05-06T06:00:00Z"));
	sched_free(s);
	x->sc[0].cron = (char *)"30 2 * * *";
}

/* A zone that no longer loads at start-up is an error naming the schedule. */
static void
test_bad_zone(void **state)
{
	struct fx *x = *state;
	struct sched *s = NULL;
	char err[DRILL_ERRLEN] = "";

	x->sc[1].timezone = (char *)"Nowhere/Land";
	assert_int_equal(sched_new(x->st, &x->cfg, 0, &s, err), DRILL_EINVAL);
	assert_null(s);
	assert_non_null(strstr(err, "matrix:!ny:example.org"));
	x->sc[1].timezone = (char *)"America/New_York";
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_thirty_days, setup, teardown),
		cmocka_unit_test_setup_teardown(test_downtime, setup, teardown),
		cmocka_unit_test_setup_teardown(test_new_schedule_waits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_fire_retried, setup, teardown),
		cmocka_unit_test_setup_teardown(test_chat_changes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_zone, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
