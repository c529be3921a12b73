/*
 * test_people.c - people's own practice, end to end through the test
 * platform (tests/fakes/chatsim.h): the real store (an SQLite file in a
 * temporary directory), bank, scheduler, engine, router and outbox on a
 * fake clock, with simulated people writing to the bot in their DMs
 * ("test:D-U<n>") and in a channel's question threads.
 *
 * What a person would notice, checked on what the test platform shows
 * (and, where the issue asks for it, on the database itself):
 *
 *  - daily questions in DMs (`subscribe at 08:30`, `tz ...`, `weekdays`)
 *    in Berlin, New York and Kolkata over a month with both spring-forward
 *    changes (New York 2026-03-08, Berlin 2026-03-29): each at the local
 *    08:30, once per matching day, none on weekends for the weekday one,
 *    in the DM they subscribed from. The UTC instants are worked out here
 *    from each zone's known offsets before and after its change (not with
 *    tz.c or subs.c), so a mistake there cannot agree with itself;
 *  - quiet hours move a 06:00 question to 07:00, and `quiet off` moves it
 *    back;
 *  - spaced repetition: a practice answer that misses concepts brings the
 *    question back ("Review: ...") after 1 day, then 3, then 7, through
 *    `practice` and through the subscription, and stops ("Review done")
 *    once an answer covers what was missed;
 *  - streaks on the person's local calendar: consecutive days count, a
 *    `pause` excuses its days, a gap without one resets, and a weekend
 *    does not break a weekdays subscriber's streak (`stats`, "Streak");
 *  - the level follows scores: three answers >= 80 move it up, three
 *    < 50 down, and the feedback says so;
 *  - a channel's weekly digest (Friday 16:00 UTC): answers, average,
 *    hardest question (lowest mean with >= 3 answers), the concept most
 *    missed, and a leaderboard naming only people who opted in; the test
 *    aggregates what the people were told (their own scores) by itself;
 *  - `my data` (JSON, in the DM) and `forget me` / `forget me confirm`:
 *    afterwards no row of any table of the database file mentions the
 *    person, other people's data stays, and confirmations that are stale
 *    or not preceded by `forget me` erase nothing;
 *  - store.retention_days erases old answers at the daily maintenance;
 *  - a setting (`pause 3d`) written while the daily question is still
 *    unanswered is a setting, not an answer.
 *
 * The banks: tests/data/mini.json (three questions, whose rubrics the
 * answers below are written against; their scores are noted beside them)
 * and, where many different questions are wanted, questions/ (answered
 * with each question's model answer, which scores >= 80).
 *
 * Every world is closed by the teardown, also when a check fails.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <json-c/json.h>
#include <sqlite3.h>

#include "chatsim.h"
#include "drill/log.h"
#include "drill/scorer.h"

#define MINUTE 60
#define HOUR 3600
#define DAY 86400
#define IST (5 * HOUR + 30 * MINUTE)	/* India: UTC+5:30 all year */

#define MINI "tests/data/mini.json"
#define FULL_BANK "questions"
#define SEED 5

/* mini.slow-query: covers query plan and indexes; misses n+1 queries,
 * verification, pagination (72). */
#define SLOW_PARTIAL "First I would run EXPLAIN ANALYZE to read the query plan, " \
	"because a sequential scan on a big table is the usual cause. Then I " \
	"would add a composite index on the filtered columns."
/* mini.slow-query: covers n+1 queries and pagination; misses query plan,
 * indexes, verification (49). */
#define SLOW_NO_VERIFY "The calling code probably runs one query per row, an " \
	"N+1 pattern, so I would batch it into one query, and I would paginate " \
	"the results so each page fetches fifty rows."
/* mini.slow-query: covers all but pagination (97). */
#define SLOW_GOOD "First I would run EXPLAIN ANALYZE to read the query plan, " \
	"because a sequential scan on a big table is the usual cause. Then I " \
	"would add a composite index on the filtered columns, check for an N+1 " \
	"pattern in the ORM, and measure p95 latency before and after: it fell " \
	"from 900 ms to 40 ms."
#define NOT_SURE "I am not sure."

/* ---- the calendar, by hand ---- */

/* Days since 1970-01-01 of a civil date (proleptic Gregorian). */
static int64_t
days_from_civil(int y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int64_t
utc(int y, int mo, int d, int h, int mi)
{
	return days_from_civil(y, mo, d) * DAY + h * HOUR + mi * MINUTE;
}

/* 0 Sunday .. 6 Saturday; 1970-01-01 was a Thursday. */
static int
weekday(int64_t day)
{
	return (int)(((day % 7) + 7 + 4) % 7);
}

/* ---- the world ---- */

struct fx {
	struct chatsim s;
	struct config cfg;
	struct config_schedule sc[1];
	bool open;
	int seq;		/* event and message ids */
};

static int
setup(void **state)
{
	struct fx *x = calloc(1, sizeof(*x));

	if (x == NULL)
		return -1;
	log_set_level(LOGL_ERROR);
	x->cfg.practice.level = 1;	/* mid */
	x->cfg.practice.max_answer = 4096;
	x->cfg.practice.timezone = (char *)"UTC";
	*state = x;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *x = *state;

	if (x != NULL && x->open)
		chatsim_close(&x->s);
	free(x);
	return 0;
}

/* Opens the world at now over bank, with x->cfg as the test set it. */
static void
open_world(struct fx *x, const char *bank, int64_t now)
{
	char err[DRILL_ERRLEN] = "";

	if (chatsim_open(&x->s, &x->cfg, bank, now, SEED, true, err) != 0)
		fail_msg("chatsim_open: %s", err);
	x->open = true;
}

/* A channel schedule: test:C1, a question at 09:00 UTC every day. */
static void
channel_schedule(struct fx *x, const char *digest)
{
	x->sc[0] = (struct config_schedule){
		.conversation = (char *)"test:C1", .cron = (char *)"0 9 * * *",
		.timezone = (char *)"UTC", .level = -1, .reveal_after_ms = 4 * 3600000ull,
		.grace_ms = 2 * 3600000ull, .digest = (char *)digest,
	};
	x->cfg.schedules = x->sc;
	x->cfg.nschedules = 1;
}

static void
at(struct fx *x, int64_t t)
{
	assert_true(t >= x->s.now);
	chatsim_advance(&x->s, t);
}

static size_t
nmsgs(const struct fx *x)
{
	return testchat_count(x->s.tc);
}

static const struct testchat_msg *
msg(const struct fx *x, size_t i)
{
	const struct testchat_msg *m = testchat_get(x->s.tc, i);

	assert_non_null(m);
	return m;
}

/*
 * Someone writes text in conv (a DM when conv is "test:D..."), in thread
 * when set; returns the index of the first message the platform shows
 * after it.
 */
static size_t
write_in(struct fx *x, const char *conv, const char *user, const char *thread,
    bool addressed, const char *text)
{
	char id[32], mid[32];
	size_t before = nmsgs(x);
	struct platform_event ev = {
		.kind = PLATFORM_EV_MESSAGE, .conversation = conv,
		.conv_kind = strncmp(conv, "test:D", 6) == 0 ? PLATFORM_DM : PLATFORM_CHANNEL,
		.user = user, .text = text, .text_len = strlen(text),
		.thread_id = thread, .ts = x->s.now, .addressed = addressed,
	};

	x->seq++;
	snprintf(id, sizeof(id), "test:Ev%d", x->seq);
	snprintf(mid, sizeof(mid), "r%d", x->seq);
	ev.event_id = id;
	ev.message_id = mid;
	assert_int_equal(chatsim_event(&x->s, &ev), 0);
	return before;
}

static const char *
dm_of(int who, char buf[32])
{
	snprintf(buf, 32, "test:D-U%d", who);
	return buf;
}

static const char *
user_of(int who, char buf[32])
{
	snprintf(buf, 32, "test:U%d", who);
	return buf;
}

/* test:U<who> writes text to the bot in their DM. */
static size_t
dm(struct fx *x, int who, const char *text)
{
	char conv[32], user[32];

	return write_in(x, dm_of(who, conv), user_of(who, user), NULL, true, text);
}

/* ---- text as people read it ---- */

/* s unwrapped (testchat_flat); the caller frees. */
static char *
flat(const char *s)
{
	char *out = testchat_flat(s);

	assert_non_null(out);
	return out;
}

/* Whether text, as read, says needle (testchat_says). */
static bool
says(const char *text, const char *needle)
{
	return testchat_says(text, needle);
}

/* How many messages from index from on, in conv (NULL: anywhere), say needle. */
static size_t
said(const struct fx *x, size_t from, const char *conv, const char *needle)
{
	size_t n = 0;

	for (size_t i = from; i < nmsgs(x); i++) {
		const struct testchat_msg *m = msg(x, i);
		if ((conv == NULL || strcmp(m->conversation, conv) == 0) && says(m->text, needle))
			n++;
	}
	return n;
}

/* Fails with the transcript since from unless some message there says needle. */
static void
expect_said(const struct fx *x, size_t from, const char *conv, const char *needle)
{
	if (said(x, from, conv, needle) > 0)
		return;
	for (size_t i = from; i < nmsgs(x); i++)
		print_message("[%s] %s\n", msg(x, i)->conversation, msg(x, i)->text);
	fail_msg("nobody was told \"%s\"%s%s", needle, conv ? " in " : "", conv ? conv : "");
}

static void
expect_not_said(const struct fx *x, size_t from, const char *conv, const char *needle)
{
	if (said(x, from, conv, needle) == 0)
		return;
	for (size_t i = from; i < nmsgs(x); i++)
		print_message("[%s] %s\n", msg(x, i)->conversation, msg(x, i)->text);
	fail_msg("someone was told \"%s\"%s%s", needle, conv ? " in " : "", conv ? conv : "");
}

/* A question message (ask(): its title is "Question · topics · type · level"). */
static bool
is_question(const struct testchat_msg *m)
{
	return strstr(m->text, "Question \xc2\xb7") != NULL;
}

/* The bank question whose prompt text shows (the longest that matches), or NULL. */
static const struct bank_question *
question_in(const struct fx *x, const char *text)
{
	const struct bank_question *found = NULL;
	char *t = flat(text);

	for (size_t i = 0; i < bank_count(x->s.bank); i++) {
		const struct bank_question *q = bank_get(x->s.bank, i);
		char *p = flat(q->prompt);
		if (strstr(t, p) != NULL && (found == NULL || strlen(q->prompt) > strlen(found->prompt)))
			found = q;
		free(p);
	}
	free(t);
	return found;
}

/* The question asked since from in conv: exactly one, and what it is. */
static const struct bank_question *
asked_since(const struct fx *x, size_t from, const char *conv, const struct testchat_msg **out)
{
	const struct testchat_msg *found = NULL;
	const struct bank_question *q;

	for (size_t i = from; i < nmsgs(x); i++) {
		const struct testchat_msg *m = msg(x, i);
		if (strcmp(m->conversation, conv) != 0 || !is_question(m))
			continue;
		if (found != NULL)
			fail_msg("two questions in %s:\n%s\n%s", conv, found->text, m->text);
		found = m;
	}
	if (found == NULL)
		fail_msg("no question in %s", conv);
	if ((q = question_in(x, found->text)) == NULL)
		fail_msg("a question shows no prompt of the bank:\n%s", found->text);
	if (out != NULL)
		*out = found;
	return q;
}

/* `stats` in who's DM: the streak and the best one its "Streak" line shows. */
static void
stats_streak(struct fx *x, int who, int64_t *streak, int64_t *best)
{
	char conv[32];
	size_t from = dm(x, who, "stats");
	long long a = -1, b = -1;

	dm_of(who, conv);
	for (size_t i = from; i < nmsgs(x); i++) {
		char *t = flat(msg(x, i)->text), *p;
		if (strcmp(msg(x, i)->conversation, conv) == 0 && (p = strstr(t, "Streak: ")) != NULL &&
		    sscanf(p, "Streak: %lld day%*[s] (best %lld)", &a, &b) != 2)
			(void)sscanf(p, "Streak: %lld day (best %lld)", &a, &b);
		free(t);
	}
	if (a < 0 || b < 0) {
		for (size_t i = from; i < nmsgs(x); i++)
			print_message("%s\n", msg(x, i)->text);
		fail_msg("`stats` of test:U%d shows no Streak line", who);
	}
	*streak = a;
	*best = b;
}

static void
expect_streak(struct fx *x, int who, int64_t streak, int64_t best)
{
	int64_t s, b;

	stats_streak(x, who, &s, &b);
	if (s != streak || b != best)
		fail_msg("test:U%d at %lld: stats shows a streak of %lld (best %lld), "
		    "expected %lld (best %lld)", who, (long long)x->s.now, (long long)s,
		    (long long)b, (long long)streak, (long long)best);
}

static int64_t
person_id(struct fx *x, int who)
{
	char user[32];
	int64_t id = 0;

	assert_int_equal(store_person_find(x->s.st, user_of(who, user), &id), 0);
	return id;
}

/* ---- raw SQL on the database file, behind the store's back ---- */

static sqlite3 *
raw_open(const struct fx *x)
{
	sqlite3 *db = NULL;

	assert_int_equal(sqlite3_open_v2(x->s.db, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	return db;
}

static int64_t
raw_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *s = NULL;
	int64_t v = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

/* ======================================================================
 * 1. Daily questions in three zones across the spring-forward changes.
 * ====================================================================== */

/*
 * A subscriber and where their 08:30 falls in UTC, by hand: the zone's
 * offset (seconds east of UTC) before and after its one change in the
 * window.
 */
struct zone_rule {
	int who;
	const char *zone;
	const char *subscribe;
	const char *reply;	/* what `subscribe` answers */
	bool weekdays;
	int64_t change;		/* the UTC instant the offset changes */
	int off_before, off_after;
};

#define ZONES_START 1772625600	/* 2026-03-04T12:00:00Z, a Wednesday */
#define ZONES_END 1775088000	/* 2026-04-02T00:00:00Z */
#define MAXDAILY 40

static const struct zone_rule zone_rules[3] = {
	/* CET (+1) until 2026-03-29T01:00Z, then CEST (+2) */
	{1, "Europe/Berlin", "subscribe at 08:30",
	    "a question every day at 08:30 (Europe/Berlin). The next: 2026-03-05 08:30.",
	    false, 1774746000, 1 * HOUR, 2 * HOUR},
	/* EST (-5) until 2026-03-08T07:00Z, then EDT (-4) */
	{2, "America/New_York", "subscribe at 08:30 weekdays",
	    "a question every weekday at 08:30 (America/New_York). The next: 2026-03-04 08:30.",
	    true, 1772953200, -5 * HOUR, -4 * HOUR},
	/* IST (+5:30), no change */
	{3, "Asia/Kolkata", "subscribe at 8:30am daily",
	    "a question every day at 08:30 (Asia/Kolkata). The next: 2026-03-05 08:30.",
	    false, INT64_MAX, IST, IST},
};

/* The UTC instants of r's local hh:mm in (from, until), in order. */
static size_t
expected_daily(const struct zone_rule *r, int hh, int mm, int64_t from, int64_t until,
    int64_t *out, size_t max)
{
	size_t n = 0;

	for (int64_t day = from / DAY - 1; day <= until / DAY + 1; day++) {
		int wd = weekday(day);
		int64_t local = day * DAY + hh * HOUR + mm * MINUTE;
		int64_t t = local - r->off_before;

		if (t >= r->change)
			t = local - r->off_after;
		if ((r->weekdays && (wd == 0 || wd == 6)) || t <= from || t >= until)
			continue;
		assert_true(n < max);
		out[n++] = t;
	}
	return n;
}

/* The expectations themselves, against instants worked out by hand. */
static void
test_expected_instants(void **state)
{
	int64_t e[MAXDAILY];
	size_t n;

	(void)state;
	assert_int_equal(utc(2026, 3, 4, 12, 0), ZONES_START);
	assert_int_equal(utc(2026, 4, 2, 0, 0), ZONES_END);
	assert_int_equal(utc(2026, 3, 29, 1, 0), zone_rules[0].change);
	assert_int_equal(utc(2026, 3, 8, 7, 0), zone_rules[1].change);
	assert_int_equal(weekday(days_from_civil(2026, 3, 4)), 3);	/* Wednesday */
	assert_int_equal(weekday(days_from_civil(2026, 3, 29)), 0);	/* Sunday */

	/* Berlin: 08:30 CET = 07:30Z up to Saturday 03-28, 08:30 CEST = 06:30Z from Sunday 03-29 */
	n = expected_daily(&zone_rules[0], 8, 30, ZONES_START, ZONES_END, e, MAXDAILY);
	assert_int_equal(n, 28);
	assert_int_equal(e[0], utc(2026, 3, 5, 7, 30));
	assert_int_equal(e[23], utc(2026, 3, 28, 7, 30));
	assert_int_equal(e[24], utc(2026, 3, 29, 6, 30));
	assert_int_equal(e[27], utc(2026, 4, 1, 6, 30));
	/* New York, weekdays: 08:30 EST = 13:30Z, EDT = 12:30Z from Monday 03-09 */
	n = expected_daily(&zone_rules[1], 8, 30, ZONES_START, ZONES_END, e, MAXDAILY);
	assert_int_equal(n, 21);
	assert_int_equal(e[0], utc(2026, 3, 4, 13, 30));	/* Wednesday */
	assert_int_equal(e[2], utc(2026, 3, 6, 13, 30));	/* Friday, EST */
	assert_int_equal(e[3], utc(2026, 3, 9, 12, 30));	/* Monday, EDT */
	assert_int_equal(e[20], utc(2026, 4, 1, 12, 30));
	/* Kolkata: 03:00Z every day */
	n = expected_daily(&zone_rules[2], 8, 30, ZONES_START, ZONES_END, e, MAXDAILY);
	assert_int_equal(n, 28);
	assert_int_equal(e[0], utc(2026, 3, 5, 3, 0));
	assert_int_equal(e[27], utc(2026, 4, 1, 3, 0));
}

/*
 * Three people subscribe in their DMs; each answers every question within
 * the hour (the model answer), so every day brings a new one. Over four
 * weeks each gets exactly the expected instants, in their own DM.
 */
static void
test_daily_in_three_zones(void **state)
{
	struct fx *x = *state;
	int64_t exp[3][MAXDAILY], got[3][MAXDAILY];
	size_t nexp[3], ngot[3] = {0, 0, 0}, scanned;

	open_world(x, FULL_BANK, ZONES_START);
	for (int k = 0; k < 3; k++) {
		const struct zone_rule *r = &zone_rules[k];
		char tz[64], conv[32];
		size_t from;

		nexp[k] = expected_daily(r, 8, 30, ZONES_START, ZONES_END, exp[k], MAXDAILY);
		snprintf(tz, sizeof(tz), "tz %s", r->zone);
		from = dm(x, r->who, tz);
		expect_said(x, from, dm_of(r->who, conv), "daily questions come at your local time");
		from = dm(x, r->who, r->subscribe);
		expect_said(x, from, conv, r->reply);
	}
	scanned = nmsgs(x);
	for (int64_t t = ZONES_START; t <= ZONES_END; t += HOUR) {
		at(x, t);
		for (; scanned < nmsgs(x); scanned++) {
			const struct testchat_msg *m = msg(x, scanned);
			const struct bank_question *q;
			int k = -1;

			if (!is_question(m))
				continue;
			for (int j = 0; j < 3; j++) {
				char conv[32];
				if (strcmp(m->conversation, dm_of(zone_rules[j].who, conv)) == 0)
					k = j;
			}
			if (k < 0)
				fail_msg("a question went to %s:\n%s", m->conversation, m->text);
			assert_null(m->thread_id);
			assert_null(m->only_for);
			if (says(m->text, "still open"))
				fail_msg("test:U%d got yesterday's question again at %lld, though "
				    "they answered it", zone_rules[k].who, (long long)(m->at / 1000));
			assert_true(ngot[k] < MAXDAILY);
			assert_int_equal(m->at % 1000, 0);
			got[k][ngot[k]++] = m->at / 1000;
			if ((q = question_in(x, m->text)) == NULL)
				fail_msg("a question shows no prompt of the bank:\n%s", m->text);
			/* they answer now, in the DM the question came to */
			(void)dm(x, zone_rules[k].who, q->model_answer);
		}
	}
	for (int k = 0; k < 3; k++) {
		for (size_t i = 0; i < ngot[k] && i < nexp[k]; i++)
			if (got[k][i] != exp[k][i])
				fail_msg("test:U%d (%s): daily question %zu came at %lld, expected "
				    "%lld (local 08:30)", zone_rules[k].who, zone_rules[k].zone, i,
				    (long long)got[k][i], (long long)exp[k][i]);
		if (ngot[k] != nexp[k])
			fail_msg("test:U%d (%s) got %zu daily questions, expected %zu",
			    zone_rules[k].who, zone_rules[k].zone, ngot[k], nexp[k]);
	}
}

/* ======================================================================
 * 2. Quiet hours.
 * ====================================================================== */

/*
 * Berlin, `subscribe at 06:00` with `quiet 22:00-07:00`: the question
 * comes at 07:00 local (06:00Z in CET, 05:00Z in CEST), also on the day of
 * the change; after `quiet off` at 06:00 again.
 */
static void
test_quiet_hours(void **state)
{
	struct fx *x = *state;
	const char *conv = "test:D-U4";
	const int64_t exp[] = {
		utc(2026, 3, 27, 6, 0), utc(2026, 3, 28, 6, 0),	/* 07:00 CET */
		utc(2026, 3, 29, 5, 0), utc(2026, 3, 30, 5, 0),	/* 07:00 CEST */
		utc(2026, 3, 31, 4, 0), utc(2026, 4, 1, 4, 0),	/* 06:00 CEST, quiet off */
	};
	size_t from, n = 0;

	open_world(x, MINI, utc(2026, 3, 26, 12, 0));
	(void)dm(x, 4, "tz Europe/Berlin");
	from = dm(x, 4, "quiet 22:00-07:00");
	expect_said(x, from, conv, "Quiet hours 22:00-07:00: a daily question due then comes at 07:00.");
	from = dm(x, 4, "subscribe at 06:00");
	expect_said(x, from, conv, "a question every day at 06:00 (Europe/Berlin). The next: 2026-03-27 07:00.");
	from = nmsgs(x);
	at(x, utc(2026, 3, 30, 12, 0));
	/* they answer the day's question (see test_settings_with_question_open
	 * for a setting changed while it is open), then end the quiet hours */
	expect_said(x, dm(x, 4, SLOW_PARTIAL), conv, "Score 72/100");
	expect_said(x, dm(x, 4, "quiet off"), conv, "No quiet hours.");
	at(x, utc(2026, 4, 1, 12, 0));
	for (size_t i = from; i < nmsgs(x); i++) {
		const struct testchat_msg *m = msg(x, i);
		if (!is_question(m))
			continue;
		assert_string_equal(m->conversation, conv);
		assert_true(n < sizeof(exp) / sizeof(exp[0]));
		if (m->at / 1000 != exp[n])
			fail_msg("daily question %zu came at %lld, expected %lld", n,
			    (long long)(m->at / 1000), (long long)exp[n]);
		n++;
	}
	assert_int_equal(n, sizeof(exp) / sizeof(exp[0]));
}

/* ======================================================================
 * 3. Spaced repetition.
 * ====================================================================== */

static void
expect_review(struct fx *x, int64_t person, const char *qid, int stage, int64_t due,
    const char *missed)
{
	struct store_review r = {0};

	assert_int_equal(store_review_get(x->s.st, person, qid, &r), 0);
	assert_int_equal(r.stage, stage);
	assert_int_equal(r.due_at, due);
	assert_string_equal(r.missed, missed);
	store_review_clear(&r);
}

static void
expect_no_review(struct fx *x, int64_t person, const char *qid)
{
	struct store_review r = {0};

	assert_int_equal(store_review_get(x->s.st, person, qid, &r), DRILL_ENOTFOUND);
}

/*
 * mini.json at junior level (the person's level): a plain `practice`
 * gives mini.conflict or mini.cache-ttl; mini.slow-query (mid) comes only
 * when asked for (`practice databases`) or as a review. The person
 * answers the other questions with their model answers (nothing missed,
 * so no review of their own) and never three answers >= 80 or < 50 in a
 * row, so their level stays junior throughout.
 */
static void
test_spaced_repetition(void **state)
{
	struct fx *x = *state;
	const char *conv = "test:D-U5", *slow = "mini.slow-query";
	const int64_t d0 = utc(2026, 3, 2, 0, 0);	/* a Monday */
	const struct bank_question *q;
	const struct testchat_msg *m;
	int64_t me;
	size_t from;

	x->cfg.practice.level = 0;	/* junior */
	open_world(x, MINI, d0 + 7 * HOUR);

	/* Day 0: the slow query, half answered */
	at(x, d0 + 8 * HOUR);
	from = dm(x, 5, "practice databases");
	q = asked_since(x, from, conv, &m);
	assert_string_equal(q->id, slow);
	assert_false(says(m->text, "Review:"));
	me = person_id(x, 5);
	at(x, d0 + 8 * HOUR + 5 * MINUTE);
	from = dm(x, 5, SLOW_PARTIAL);
	expect_said(x, from, conv, "This question comes back for review in 1 day (to cover: "
	    "n+1 queries, verification, pagination).");
	expect_review(x, me, slow, 0, d0 + 8 * HOUR + 5 * MINUTE + DAY,
	    "n+1 queries\nverification\npagination");

	/* Day 1, five minutes before it is due: not yet */
	at(x, d0 + DAY + 8 * HOUR);
	from = dm(x, 5, "practice");
	q = asked_since(x, from, conv, &m);
	assert_string_not_equal(q->id, slow);
	assert_false(says(m->text, "Review:"));
	at(x, d0 + DAY + 8 * HOUR + MINUTE);
	from = dm(x, 5, q->model_answer);
	expect_not_said(x, from, conv, "comes back for review");
	expect_no_review(x, me, q->id);

	/* ... and once due, `practice` brings it back */
	at(x, d0 + DAY + 8 * HOUR + 6 * MINUTE);
	from = dm(x, 5, "practice");
	q = asked_since(x, from, conv, &m);
	assert_string_equal(q->id, slow);
	if (!says(m->text, "Review: last time this one missed n+1 queries, verification, "
	    "pagination. Try it again."))
		fail_msg("the review does not say what was missed:\n%s", m->text);
	/* covers n+1 and pagination, still misses verification */
	at(x, d0 + DAY + 8 * HOUR + 7 * MINUTE);
	from = dm(x, 5, SLOW_NO_VERIFY);
	expect_said(x, from, conv, "This question comes back for review in 3 days (to cover: "
	    "verification).");
	expect_review(x, me, slow, 1, d0 + 4 * DAY + 8 * HOUR + 7 * MINUTE, "verification");

	/* Day 3: a daily question at 09:00; the review is not due yet */
	at(x, d0 + 3 * DAY + 8 * HOUR + 30 * MINUTE);
	(void)dm(x, 5, "subscribe at 09:00");
	from = nmsgs(x);
	at(x, d0 + 3 * DAY + 9 * HOUR + 5 * MINUTE);
	q = asked_since(x, from, conv, &m);
	assert_int_equal(m->at / 1000, d0 + 3 * DAY + 9 * HOUR);
	assert_string_not_equal(q->id, slow);
	assert_false(says(m->text, "Review:"));
	from = dm(x, 5, q->model_answer);
	expect_not_said(x, from, conv, "comes back for review");

	/* Day 4: the subscription brings the review */
	from = nmsgs(x);
	at(x, d0 + 4 * DAY + 9 * HOUR + 5 * MINUTE);
	q = asked_since(x, from, conv, &m);
	assert_int_equal(m->at / 1000, d0 + 4 * DAY + 9 * HOUR);
	assert_string_equal(q->id, slow);
	if (!says(m->text, "Review: last time this one missed verification. Try it again."))
		fail_msg("the daily question is not the review:\n%s", m->text);
	from = dm(x, 5, SLOW_NO_VERIFY);
	expect_said(x, from, conv, "This question comes back for review in 7 days (to cover: "
	    "verification).");
	expect_review(x, me, slow, 2, d0 + 11 * DAY + 9 * HOUR + 5 * MINUTE, "verification");
	at(x, d0 + 4 * DAY + 9 * HOUR + 10 * MINUTE);
	expect_said(x, dm(x, 5, "unsubscribe"), conv, "Unsubscribed");

	/* Day 11: not a minute early, then the review, then done */
	at(x, d0 + 11 * DAY + 9 * HOUR + 4 * MINUTE);
	from = dm(x, 5, "practice");
	q = asked_since(x, from, conv, &m);
	assert_false(says(m->text, "Review:"));
	assert_string_not_equal(q->id, slow);
	at(x, d0 + 11 * DAY + 9 * HOUR + 6 * MINUTE);
	from = dm(x, 5, "practice");
	q = asked_since(x, from, conv, &m);
	assert_string_equal(q->id, slow);
	if (!says(m->text, "Review: last time this one missed verification."))
		fail_msg("no review on day 11:\n%s", m->text);
	at(x, d0 + 11 * DAY + 9 * HOUR + 7 * MINUTE);
	from = dm(x, 5, SLOW_GOOD);	/* covers verification (misses pagination) */
	expect_said(x, from, conv, "Review done: you covered what you missed last time.");
	expect_not_said(x, from, conv, "comes back for review");
	expect_no_review(x, me, slow);
	/* none of this moved the level */
	expect_not_said(x, 0, conv, "your questions are");

	/* weeks later, it does not come back */
	at(x, d0 + 30 * DAY);
	from = dm(x, 5, "practice");
	q = asked_since(x, from, conv, &m);
	assert_false(says(m->text, "Review:"));
	assert_string_not_equal(q->id, slow);
}

/* ======================================================================
 * 4. Streaks.
 * ====================================================================== */

/* who answers their open question (a daily one, or one `practice` gave). */
static void
answer_open(struct fx *x, int who, bool ask_first)
{
	char conv[32];
	size_t from;

	if (ask_first) {
		from = dm(x, who, "practice");
		(void)asked_since(x, from, dm_of(who, conv), NULL);
	}
	from = dm(x, who, SLOW_PARTIAL);	/* 72: moves no level */
	expect_said(x, from, dm_of(who, conv), "Score 72/100");
}

/*
 * test:U6 lives in New York (EDT, UTC-4, from 2026-03-08) with a daily
 * subscription: answers at 20:30 on Tuesday (00:30Z Wednesday) and 07:00
 * on Wednesday (11:00Z) are two local days, though one UTC day. A 3-day
 * pause on Thursday excuses Friday to Sunday; a Tuesday without an answer,
 * not paused, resets the streak.
 *
 * test:U7 (weekdays) and test:U8 (daily), both UTC, answer on Thursday,
 * Friday and Monday: the weekend keeps U7's streak, not U8's.
 */
static void
test_streaks(void **state)
{
	struct fx *x = *state;
	const int edt = -4 * HOUR;	/* subtract from a local time: UTC */
	const struct testchat_msg *m;
	size_t from, pause_from;

	open_world(x, MINI, utc(2026, 3, 10, 12, 0));	/* a Tuesday */
	(void)dm(x, 6, "tz America/New_York");
	(void)dm(x, 6, "subscribe at 09:00");
	(void)dm(x, 7, "subscribe at 09:00 weekdays");
	(void)dm(x, 8, "subscribe at 09:00");

	/* Tuesday 20:30 EDT (Wednesday 00:30Z): U6 answers the day's question */
	at(x, utc(2026, 3, 10, 20, 30) - edt);
	answer_open(x, 6, false);
	expect_streak(x, 6, 1, 1);
	/* Wednesday 07:00 EDT (11:00Z, the same UTC day): one asked for */
	at(x, utc(2026, 3, 11, 7, 0) - edt);
	answer_open(x, 6, true);
	expect_streak(x, 6, 2, 2);

	/* Thursday: U7 and U8 at 10:00Z, U6 at noon EDT, then a 3-day pause */
	at(x, utc(2026, 3, 12, 10, 0));
	answer_open(x, 7, false);
	answer_open(x, 8, false);
	at(x, utc(2026, 3, 12, 12, 0) - edt);
	answer_open(x, 6, false);
	expect_streak(x, 6, 3, 3);
	at(x, utc(2026, 3, 12, 12, 10) - edt);
	from = dm(x, 6, "pause 3d");
	expect_said(x, from, "test:D-U6", "Paused:");
	expect_said(x, from, "test:D-U6", "Your streak is kept over the pause.");
	pause_from = nmsgs(x);

	/* Friday */
	at(x, utc(2026, 3, 13, 10, 0));
	answer_open(x, 7, false);
	answer_open(x, 8, false);
	expect_streak(x, 7, 2, 2);
	expect_streak(x, 8, 2, 2);
	/* Saturday noon EDT: U6 is paused, the streak holds */
	at(x, utc(2026, 3, 14, 12, 0) - edt);
	expect_streak(x, 6, 3, 3);
	/* Sunday: U7's weekend is excused, U8 missed Saturday */
	at(x, utc(2026, 3, 15, 12, 0));
	expect_streak(x, 7, 2, 2);
	expect_streak(x, 8, 0, 2);
	assert_int_equal(said(x, pause_from, "test:D-U6", "Question \xc2\xb7"), 0);

	/* Monday: everyone answers; U6's question came back at 09:00 EDT */
	at(x, utc(2026, 3, 16, 10, 0));
	answer_open(x, 7, false);
	answer_open(x, 8, false);
	expect_streak(x, 7, 3, 3);
	expect_streak(x, 8, 1, 2);
	at(x, utc(2026, 3, 16, 10, 0) - edt);
	(void)asked_since(x, pause_from, "test:D-U6", &m);
	assert_int_equal(m->at / 1000, utc(2026, 3, 16, 9, 0) - edt);
	answer_open(x, 6, false);
	expect_streak(x, 6, 4, 4);

	/* no answer on Tuesday, no pause: Wednesday starts over */
	at(x, utc(2026, 3, 18, 10, 0) - edt);
	expect_streak(x, 6, 0, 4);
	answer_open(x, 6, false);
	expect_streak(x, 6, 1, 4);
}

/* ======================================================================
 * 5. The level follows the scores.
 * ====================================================================== */

/* `practice`, then an answer: the question's model answer when good, else NOT_SURE. */
static size_t
practice_round(struct fx *x, int who, bool good, const char *want_level)
{
	char conv[32];
	const struct bank_question *q;
	const struct testchat_msg *m;
	size_t from;

	at(x, x->s.now + MINUTE);
	from = dm(x, who, "practice");
	q = asked_since(x, from, dm_of(who, conv), &m);
	if (want_level != NULL && !says(m->text, want_level))
		fail_msg("expected a question titled \"... %s\":\n%s", want_level, m->text);
	at(x, x->s.now + MINUTE);
	from = dm(x, who, good ? q->model_answer : NOT_SURE);
	expect_said(x, from, conv, "Score ");
	return from;
}

static void
test_adaptive_level(void **state)
{
	struct fx *x = *state;
	const char *conv = "test:D-U9";
	int level = -1;
	bool set = false;
	size_t from;

	open_world(x, FULL_BANK, utc(2026, 3, 2, 9, 0));
	(void)practice_round(x, 9, true, "\xc2\xb7 mid");
	from = practice_round(x, 9, true, "\xc2\xb7 mid");
	expect_not_said(x, 0, conv, "your questions are");
	from = practice_round(x, 9, true, "\xc2\xb7 mid");
	expect_said(x, from, conv, "Your last 3 answers scored at least 80: your questions "
	    "are senior from now on.");
	assert_int_equal(store_person_level(x->s.st, person_id(x, 9), &level, &set), 0);
	assert_true(set);
	assert_int_equal(level, 2);

	/* senior questions now; three weak answers bring it back down */
	from = practice_round(x, 9, false, "\xc2\xb7 senior");
	expect_not_said(x, from, conv, "your questions are");
	from = practice_round(x, 9, false, "\xc2\xb7 senior");
	expect_not_said(x, from, conv, "your questions are");
	from = practice_round(x, 9, false, "\xc2\xb7 senior");
	expect_said(x, from, conv, "Your last 3 answers scored below 50: your questions "
	    "are mid from now on.");
	assert_int_equal(store_person_level(x->s.st, person_id(x, 9), &level, &set), 0);
	assert_int_equal(level, 1);
	(void)practice_round(x, 9, false, "\xc2\xb7 mid");
}

/* ======================================================================
 * 6. The weekly digest.
 * ====================================================================== */

enum quality { GOOD, MID, BAD };

/* An answer to q of the quality asked for; scores and misses: see the top. */
static const char *
answer_text(const struct bank_question *q, enum quality k)
{
	if (k == GOOD)	/* 97: misses pagination; the model answers miss nothing */
		return strcmp(q->id, "mini.slow-query") == 0 ? SLOW_GOOD : q->model_answer;
	if (k == BAD)
		return NOT_SURE;
	if (strcmp(q->id, "mini.slow-query") == 0)
		return SLOW_PARTIAL;		/* 72: misses n+1, verification, pagination */
	if (strcmp(q->id, "mini.conflict") == 0)
		return "I listened to their point first, and in the end we agreed to "
		    "try my approach.";	/* 35: misses evidence */
	return "A TTL stops cached values from getting stale forever; the cost is a "
	    "lower hit rate.";		/* mini.cache-ttl, 62: misses invalidation */
}

/* What the test itself counts from what people were told. */
struct tally {
	int64_t n, sum;
	struct { const struct bank_question *q; int64_t n, sum; } q[3];
	size_t nq;
	struct { char name[64]; int64_t n; } missed[16];
	size_t nmissed;
	struct { int who; int64_t n, sum; } who[8];
	size_t nwho;
};

static void
tally_add(struct tally *t, struct scorer *sc, const struct bank_question *q, int who,
    const char *text, int shown_score)
{
	struct scorer_result r;
	size_t i;

	assert_int_equal(scorer_score(sc, q, text, strlen(text), &r), 0);
	assert_int_equal(r.score, shown_score);	/* the scorer agrees with the feedback */
	t->n++;
	t->sum += r.score;
	for (i = 0; i < t->nq && t->q[i].q != q; i++)
		;
	if (i == t->nq) {
		assert_true(t->nq < 3);
		t->q[t->nq++].q = q;
	}
	t->q[i].n++;
	t->q[i].sum += r.score;
	for (size_t k = 0; k < r.nmissed; k++) {
		for (i = 0; i < t->nmissed && strcmp(t->missed[i].name, r.missed[k].concept) != 0; i++)
			;
		if (i == t->nmissed) {
			assert_true(t->nmissed < 16);
			snprintf(t->missed[t->nmissed++].name, sizeof(t->missed[0].name), "%s",
			    r.missed[k].concept);
		}
		t->missed[i].n++;
	}
	for (i = 0; i < t->nwho && t->who[i].who != who; i++)
		;
	if (i == t->nwho) {
		assert_true(t->nwho < 8);
		t->who[t->nwho++].who = who;
	}
	t->who[i].n++;
	t->who[i].sum += r.score;
}

/* who answers the channel's question root in its thread; returns the score their feedback showed. */
static int
thread_answer(struct fx *x, const struct testchat_msg *root, int who, const char *text)
{
	char user[32], root_id[16];
	size_t from;
	int score = -1;

	snprintf(root_id, sizeof(root_id), "%s", root->id);
	user_of(who, user);
	from = write_in(x, "test:C1", user, root_id, false, text);
	for (size_t i = from; i < nmsgs(x); i++) {
		const struct testchat_msg *m = msg(x, i);
		const char *p = strstr(m->text, "Score ");
		if (m->only_for != NULL && strcmp(m->only_for, user) == 0 && p != NULL &&
		    m->thread_id != NULL && strcmp(m->thread_id, root_id) == 0)
			(void)sscanf(p, "Score %d/100", &score);
	}
	if (score < 0)
		fail_msg("%s got no feedback in the thread", user);
	return score;
}

/* The one digest posted since from; NULL when none. */
static const struct testchat_msg *
digest_since(const struct fx *x, size_t from)
{
	const struct testchat_msg *d = NULL;

	for (size_t i = from; i < nmsgs(x); i++)
		if (says(msg(x, i)->text, "This week in questions")) {
			if (d != NULL)
				fail_msg("two digests:\n%s\n%s", d->text, msg(x, i)->text);
			d = msg(x, i);
		}
	return d;
}

static void
expect_digest_says(const struct testchat_msg *d, const char *needle)
{
	if (!says(d->text, needle))
		fail_msg("the digest does not say \"%s\":\n%s", needle, d->text);
}

/*
 * A week of test:C1 (a question at 09:00 UTC, digest "0 16 * * fri"):
 * four people answer in the threads on Monday to Wednesday; Wednesday's
 * question gets two bad answers (the lowest mean, but fewer than 3 answers,
 * so not "the hardest"). test:U1 and test:U2 chose `leaderboard on`,
 * test:U4 on then off, test:U3 never. The digest's numbers are the test's
 * own sums of the scores each person was shown.
 */
static void
test_weekly_digest(void **state)
{
	struct fx *x = *state;
	static const struct { int day, who; enum quality k; } plan[] = {
		{0, 1, GOOD}, {0, 2, GOOD}, {0, 3, BAD}, {0, 4, MID},
		{1, 1, MID}, {1, 2, GOOD}, {1, 3, BAD},
		{2, 3, BAD}, {2, 4, BAD},
	};
	const int64_t mon = utc(2026, 3, 2, 0, 0), fri16 = utc(2026, 3, 6, 16, 0);
	struct tally t = {0};
	struct scorer *sc;
	const struct testchat_msg *d;
	char buf[512];
	int hardest = -1, worst = -1, board[2];
	size_t from, p = 0;

	channel_schedule(x, "0 16 * * fri");
	open_world(x, MINI, mon + 8 * HOUR);
	assert_non_null(sc = scorer_new(x->s.bank));
	from = dm(x, 1, "leaderboard on");
	expect_said(x, from, "test:D-U1", "You are on the weekly leaderboards");
	(void)dm(x, 2, "leaderboard on");
	(void)dm(x, 4, "leaderboard on");
	from = dm(x, 4, "leaderboard off");
	expect_said(x, from, "test:D-U4", "You are off the leaderboards");

	for (int day = 0; day < 3; day++) {
		const struct testchat_msg *root;
		const struct bank_question *q;
		char root_text[4096];

		at(x, mon + day * DAY + 9 * HOUR + 30 * MINUTE);
		assert_non_null(root = chatsim_last_question(&x->s, "test:C1"));
		assert_int_equal(root->at / 1000, mon + day * DAY + 9 * HOUR);
		snprintf(root_text, sizeof(root_text), "%s", root->text);
		assert_non_null(q = question_in(x, root_text));
		for (; p < sizeof(plan) / sizeof(plan[0]) && plan[p].day == day; p++) {
			const char *text = answer_text(q, plan[p].k);
			int shown;
			at(x, x->s.now + MINUTE);
			assert_non_null(root = chatsim_last_question(&x->s, "test:C1"));
			shown = thread_answer(x, root, plan[p].who, text);
			tally_add(&t, sc, q, plan[p].who, text, shown);
		}
	}
	scorer_free(sc);
	assert_int_equal(t.nq, 3);	/* a different question each day */

	/* the test's own figures: hardest (>= 3 answers), most missed, board */
	for (size_t i = 0; i < t.nq; i++)
		if (t.q[i].n >= 3 && (hardest < 0 ||
		    t.q[i].sum * t.q[hardest].n < t.q[hardest].sum * t.q[i].n))
			hardest = (int)i;
	for (size_t i = 0; i < t.nq; i++)
		if (t.q[i].n < 3)
			assert_true(t.q[i].sum * t.q[hardest].n < t.q[hardest].sum * t.q[i].n);
	assert_true(hardest >= 0);
	for (size_t i = 0; i < t.nmissed; i++)
		if (worst < 0 || t.missed[i].n > t.missed[worst].n)
			worst = (int)i;
	for (size_t i = 0; i < t.nmissed; i++)
		if ((int)i != worst && t.missed[i].n == t.missed[worst].n)
			fail_msg("the plan is ambiguous: %s and %s are both missed %lld times",
			    t.missed[i].name, t.missed[worst].name, (long long)t.missed[i].n);
	for (size_t i = 0, k = 0; i < t.nwho; i++)
		if (t.who[i].who == 1 || t.who[i].who == 2)
			board[k++] = (int)i;
	if (t.who[board[1]].sum * t.who[board[0]].n > t.who[board[0]].sum * t.who[board[1]].n) {
		int s = board[0];
		board[0] = board[1];
		board[1] = s;
	}

	/* nothing before Friday 16:00 */
	from = nmsgs(x);
	at(x, fri16 - 1);
	assert_null(digest_since(x, from));
	at(x, fri16 + 2 * DAY);
	if ((d = digest_since(x, from)) == NULL)
		fail_msg("no digest by Sunday");
	assert_int_equal(d->at / 1000, fri16);
	assert_string_equal(d->conversation, "test:C1");
	assert_null(d->thread_id);
	assert_null(d->only_for);
	snprintf(buf, sizeof(buf), "%lld answers from 4 people; average score %.0f/100.",
	    (long long)t.n, (double)t.sum / (double)t.n);
	expect_digest_says(d, buf);
	snprintf(buf, sizeof(buf), "The hardest question: \"%s\" (average %.0f over %lld answers).",
	    t.q[hardest].q->prompt, (double)t.q[hardest].sum / (double)t.q[hardest].n,
	    (long long)t.q[hardest].n);
	expect_digest_says(d, buf);
	snprintf(buf, sizeof(buf), "The concept most often missed: %s (%lld times).",
	    t.missed[worst].name, (long long)t.missed[worst].n);
	expect_digest_says(d, buf);
	expect_digest_says(d, "Leaderboard (only people who chose `leaderboard on`)");
	for (int j = 0; j < 2; j++) {
		int i = board[j];
		snprintf(buf, sizeof(buf), "- test:U%d: average %.0f over %lld answers",
		    t.who[i].who, (double)t.who[i].sum / (double)t.who[i].n, (long long)t.who[i].n);
		expect_digest_says(d, buf);
	}
	{
		char *f = flat(d->text), u0[32], u1[32];
		const char *a = strstr(f, user_of(t.who[board[0]].who, u0));
		const char *b = strstr(f, user_of(t.who[board[1]].who, u1));
		bool ordered = a != NULL && b != NULL && a < b;
		bool others = strstr(f, "test:U3") != NULL || strstr(f, "test:U4") != NULL;
		free(f);
		if (!ordered)
			fail_msg("the leaderboard is not by average:\n%s", d->text);
		if (others)
			fail_msg("the digest names someone who did not opt in:\n%s", d->text);
	}

	/* the next week: one answer, and last week's are not counted again */
	at(x, utc(2026, 3, 9, 9, 30));
	{
		const struct testchat_msg *root = chatsim_last_question(&x->s, "test:C1");
		const struct bank_question *q;
		char text[4096];
		assert_non_null(root);
		snprintf(text, sizeof(text), "%s", root->text);
		assert_non_null(q = question_in(x, text));
		snprintf(text, sizeof(text), "%s", answer_text(q, MID));
		(void)thread_answer(x, root, 3, text);
	}
	from = nmsgs(x);
	at(x, fri16 + 7 * DAY + HOUR);
	if ((d = digest_since(x, from)) == NULL)
		fail_msg("no digest in the second week");
	assert_int_equal(d->at / 1000, fri16 + 7 * DAY);
	expect_digest_says(d, "1 answer from 1 person;");
	if (says(d->text, "hardest") || says(d->text, "Leaderboard") || says(d->text, "test:U3"))
		fail_msg("a one-answer week by someone not opted in:\n%s", d->text);
}

/* ======================================================================
 * 7. `my data` and `forget me`.
 * ====================================================================== */

/* Rows of the whole database that mention any of needles, as "table.column: n" lines. */
static void
mentions(const struct fx *x, const char *const *needles, size_t nn, char *out, size_t sz)
{
	sqlite3 *db = raw_open(x);
	sqlite3_stmt *tables = NULL;
	size_t o = 0;

	out[0] = '\0';
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT name FROM sqlite_master WHERE "
	    "type = 'table' AND name NOT LIKE 'sqlite_%'", -1, &tables, NULL), SQLITE_OK);
	while (sqlite3_step(tables) == SQLITE_ROW) {
		char table[64], sql[512];
		sqlite3_stmt *cols = NULL;

		snprintf(table, sizeof(table), "%s", (const char *)sqlite3_column_text(tables, 0));
		snprintf(sql, sizeof(sql), "SELECT name FROM pragma_table_info('%s')", table);
		assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &cols, NULL), SQLITE_OK);
		while (sqlite3_step(cols) == SQLITE_ROW) {
			const char *col = (const char *)sqlite3_column_text(cols, 0);
			for (size_t k = 0; k < nn; k++) {
				int64_t n;
				snprintf(sql, sizeof(sql), "SELECT count(*) FROM \"%s\" WHERE "
				    "instr(CAST(\"%s\" AS TEXT), '%s') > 0", table, col, needles[k]);
				if ((n = raw_int(db, sql)) > 0 && o < sz)
					o += (size_t)snprintf(out + o, sz - o, "%s.%s mentions \"%s\": "
					    "%lld row(s)\n", table, col, needles[k], (long long)n);
				if (n > 0 && strcmp(table, "outbox") == 0 && o < sz) {
					/* which message it is */
					sqlite3_stmt *s = NULL;
					snprintf(sql, sizeof(sql), "SELECT state, payload FROM outbox "
					    "WHERE instr(CAST(\"%s\" AS TEXT), '%s') > 0", col, needles[k]);
					assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
					while (sqlite3_step(s) == SQLITE_ROW && o < sz)
						o += (size_t)snprintf(out + o, sz - o, "  a %s message: %.200s\n",
						    (const char *)sqlite3_column_text(s, 0),
						    (const char *)sqlite3_column_text(s, 1));
					sqlite3_finalize(s);
				}
			}
		}
		sqlite3_finalize(cols);
	}
	sqlite3_finalize(tables);
	sqlite3_close(db);
}

/* Rows keyed by person id id: in every table with a person_id column, and people. */
static int64_t
rows_of_person(const struct fx *x, int64_t id)
{
	sqlite3 *db = raw_open(x);
	sqlite3_stmt *s = NULL;
	char sql[256];
	int64_t n;

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM people WHERE id = %lld", (long long)id);
	n = raw_int(db, sql);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT m.name FROM sqlite_master m, "
	    "pragma_table_info(m.name) c WHERE m.type = 'table' AND c.name = 'person_id'",
	    -1, &s, NULL), SQLITE_OK);
	while (sqlite3_step(s) == SQLITE_ROW) {
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM \"%s\" WHERE person_id = %lld",
		    (const char *)sqlite3_column_text(s, 0), (long long)id);
		n += raw_int(db, sql);
	}
	sqlite3_finalize(s);
	sqlite3_close(db);
	return n;
}

static int64_t
raw_count(const struct fx *x, const char *sql)
{
	sqlite3 *db = raw_open(x);
	int64_t n = raw_int(db, sql);

	sqlite3_close(db);
	return n;
}

/*
 * test:U1 and test:U2 practise in their DMs and answer the channel's
 * question in its thread (feedback shown to them alone); U1 also sets a
 * zone, quiet hours, a subscription, a pause, the leaderboard, and
 * disputes a score. Their answers carry a word of their own ("zanzibar",
 * "quokka"), so that the database can be searched for them.
 */
static void
test_my_data_and_forget_me(void **state)
{
	struct fx *x = *state;
	const char *conv = "test:D-U1";
	const int64_t mon = utc(2026, 3, 2, 0, 0);
	static const char *const u1_marks[] = {"test:U1", "D-U1", "zanzibar"};
	const struct testchat_msg *root;
	char root_id[16], report[4096];
	int64_t u1, before_answers, channel_deliveries;
	size_t from;
	struct json_object *o, *v;
	char *json = NULL;

	channel_schedule(x, NULL);
	open_world(x, MINI, mon + 8 * HOUR);
	at(x, mon + 9 * HOUR + 10 * MINUTE);
	assert_non_null(root = chatsim_last_question(&x->s, "test:C1"));
	snprintf(root_id, sizeof(root_id), "%s", root->id);
	(void)thread_answer(x, root, 1, "My zanzibar answer: I would look at the query plan.");
	assert_non_null(root = testchat_find(x->s.tc, root_id));
	(void)thread_answer(x, root, 2, "My quokka answer: I would look at the query plan.");

	(void)dm(x, 1, "tz Europe/Berlin");
	(void)dm(x, 1, "quiet 22:00-07:00");
	(void)dm(x, 1, "subscribe at 08:00");
	(void)dm(x, 1, "leaderboard on");
	(void)dm(x, 1, "practice");
	(void)dm(x, 1, "In the zanzibar service I would run EXPLAIN ANALYZE and add an index.");
	from = dm(x, 1, "dispute zanzibar deserved more");
	expect_said(x, from, conv, "your dispute is stored");
	(void)dm(x, 1, "pause 2d");
	(void)dm(x, 2, "subscribe at 08:00");
	(void)dm(x, 2, "practice");
	(void)dm(x, 2, "In the quokka service I would run EXPLAIN ANALYZE and add an index.");
	at(x, mon + DAY + 12 * HOUR);	/* a day of deliveries and reveals */
	u1 = person_id(x, 1);
	assert_true(raw_count(x, "SELECT count(*) FROM disputes") == 1);

	/* `my data`: JSON in their DM, theirs only */
	from = dm(x, 1, "my data");
	expect_said(x, from, conv, "Everything drilld keeps about you");
	expect_said(x, from, conv, "JSON, part 1 of 1");
	expect_said(x, from, conv, "In the zanzibar service I would run EXPLAIN ANALYZE");
	expect_said(x, from, conv, "My zanzibar answer");
	expect_said(x, from, conv, "Europe/Berlin");
	expect_said(x, from, conv, "zanzibar deserved more");
	expect_not_said(x, from, NULL, "quokka");
	expect_not_said(x, from, NULL, "test:U2");
	/* what it sends is the store's export, whole, and it is JSON */
	assert_int_equal(store_person_export(x->s.st, "test:U1", &json), 0);
	assert_non_null(o = json_tokener_parse(json));
	assert_true(json_object_object_get_ex(o, "answers", &v));
	assert_int_equal(json_object_array_length(v), 2);
	json_object_put(o);
	free(json);
	/* asked in the channel: a private pointer there, the data in a DM */
	from = write_in(x, "test:C1", "test:U1", NULL, true, "my data");
	expect_said(x, from, "test:C1", "Your data comes in a direct message.");
	for (size_t i = from; i < nmsgs(x); i++) {
		const struct testchat_msg *m = msg(x, i);
		if (strcmp(m->conversation, "test:C1") == 0)
			assert_string_equal(m->only_for, "test:U1");
	}
	expect_said(x, from, "test:U1", "My zanzibar answer");	/* the DM */

	/* `forget me confirm` alone, or long after `forget me`, erases nothing */
	before_answers = raw_count(x, "SELECT count(*) FROM answers");
	channel_deliveries = raw_count(x, "SELECT count(*) FROM deliveries WHERE person_id IS NULL");
	at(x, x->s.now + HOUR);
	from = dm(x, 1, "forget me confirm");
	expect_said(x, from, conv, "Nothing is erased: write `forget me` first");
	expect_not_said(x, from, conv, "Done: everything");
	assert_int_equal(raw_count(x, "SELECT count(*) FROM answers"), before_answers);
	at(x, x->s.now + HOUR);
	(void)dm(x, 1, "forget me");
	at(x, x->s.now + 11 * MINUTE);
	from = dm(x, 1, "forget me confirm");
	expect_not_said(x, from, conv, "Done: everything");
	assert_int_equal(raw_count(x, "SELECT count(*) FROM answers"), before_answers);
	assert_true(rows_of_person(x, u1) > 0);

	/* `forget me`, then `forget me confirm` within 10 minutes */
	at(x, x->s.now + HOUR);
	(void)dm(x, 1, "forget me");
	at(x, x->s.now + 9 * MINUTE);
	from = dm(x, 1, "forget me confirm");
	expect_said(x, from, conv, "Done: everything I kept about you is erased.");
	at(x, x->s.now + DAY);	/* whatever the timers do next */

	assert_int_equal(rows_of_person(x, u1), 0);
	mentions(x, u1_marks, sizeof(u1_marks) / sizeof(u1_marks[0]), report, sizeof(report));
	if (report[0] != '\0')
		fail_msg("after `forget me confirm`, the database still mentions test:U1:\n%s", report);
	/* the others' data stays: U2's answers, subscription, DM; the channel's questions */
	assert_true(raw_count(x, "SELECT count(*) FROM answers WHERE text LIKE '%quokka%'") == 2);
	assert_true(raw_count(x, "SELECT count(*) FROM subscriptions s JOIN people p ON "
	    "p.id = s.person_id WHERE p.name = 'test:U2'") == 1);
	assert_true(raw_count(x, "SELECT count(*) FROM conversations WHERE name = 'test:D-U2'") == 1);
	assert_true(raw_count(x, "SELECT count(*) FROM deliveries WHERE person_id IS NULL") >=
	    channel_deliveries);
}

/* ======================================================================
 * 9. Settings while the daily question is open.
 * ====================================================================== */

/*
 * A subscriber who has not answered today's question (as anyone going on
 * holiday) writes `pause 3d`, the command the README lists for it: the
 * subscription is paused and nothing is scored. The README's "anything
 * else you write is your answer" does not cover a command of its table
 * written with its own arguments.
 */
static void
test_settings_with_question_open(void **state)
{
	struct fx *x = *state;
	const char *conv = "test:D-U10";
	struct store_subscription sub;
	const int64_t d0 = utc(2026, 3, 2, 0, 0);
	size_t from;

	open_world(x, MINI, d0 + 8 * HOUR);
	(void)dm(x, 10, "subscribe at 09:00");
	from = nmsgs(x);
	at(x, d0 + 12 * HOUR);
	(void)asked_since(x, from, conv, NULL);	/* today's, unanswered */
	from = dm(x, 10, "pause 3d");
	expect_not_said(x, from, conv, "Score ");
	expect_said(x, from, conv, "Paused:");
	assert_int_equal(store_subscription_get(x->s.st, person_id(x, 10), &sub), 0);
	assert_int_equal(sub.paused_until, d0 + 12 * HOUR + 3 * DAY);
	/* no daily question until the pause is over */
	from = nmsgs(x);
	at(x, d0 + 3 * DAY + 10 * HOUR);
	assert_int_equal(said(x, from, conv, "Question \xc2\xb7"), 0);
}

/* ======================================================================
 * 8. Retention.
 * ====================================================================== */

/*
 * store.retention_days = 30: the daily maintenance (first at the first
 * tick, 08:00, then every 24 h) erases answers older than 30 days and
 * keeps the newer ones; `my data` no longer shows them.
 */
static void
test_retention(void **state)
{
	struct fx *x = *state;
	const int64_t d0 = utc(2026, 3, 2, 0, 0);
	size_t from;

	x->cfg.store.retention_days = 30;
	open_world(x, MINI, d0 + 8 * HOUR);
	at(x, d0 + 8 * HOUR);
	at(x, d0 + 10 * HOUR);
	(void)dm(x, 1, "practice");
	(void)dm(x, 1, "An old kiwi answer: I would read the query plan and add an index.");
	at(x, d0 + 20 * DAY + 10 * HOUR);
	(void)dm(x, 1, "practice");
	(void)dm(x, 1, "A newer mango answer: I would read the query plan and add an index.");
	(void)dm(x, 2, "practice");
	(void)dm(x, 2, "A newer papaya answer: I would read the query plan and add an index.");

	/* day 30, 12:00: the kiwi answer is 30 days and 2 hours old, but was
	 * not yet 30 days old at this morning's maintenance */
	at(x, d0 + 30 * DAY + 12 * HOUR);
	assert_int_equal(raw_count(x, "SELECT count(*) FROM answers WHERE text LIKE '%kiwi%'"), 1);
	/* day 31: gone; the newer ones stay */
	at(x, d0 + 31 * DAY + 12 * HOUR);
	assert_int_equal(raw_count(x, "SELECT count(*) FROM answers WHERE text LIKE '%kiwi%'"), 0);
	assert_int_equal(raw_count(x, "SELECT count(*) FROM answers WHERE text LIKE '%mango%'"), 1);
	assert_int_equal(raw_count(x, "SELECT count(*) FROM answers WHERE text LIKE '%papaya%'"), 1);
	from = dm(x, 1, "my data");
	expect_said(x, from, "test:D-U1", "mango");
	expect_not_said(x, from, NULL, "kiwi");
	/* day 51: the day-20 answers go too */
	at(x, d0 + 51 * DAY + 12 * HOUR);
	assert_int_equal(raw_count(x, "SELECT count(*) FROM answers"), 0);
}

/* ======================================================================
 * 10. The platform's zone, and what `stats` shows of reviews and trend.
 * ====================================================================== */

/*
 * The zone the platform gives for a person (Slack's users.info) comes
 * before the one they set: the daily question follows it, and `tz` says
 * so. `stats` lists the questions coming back for review and, after ten
 * practice answers, the trend.
 */
static void
test_platform_zone_and_stats(void **state)
{
	struct fx *x = *state;
	struct platform_event ev = {0};
	const struct testchat_msg *q;
	size_t from;
	char id[32];

	open_world(x, MINI, utc(2026, 3, 2, 0, 0));	/* a Monday */
	ev.kind = PLATFORM_EV_MESSAGE;
	ev.conversation = "test:D-U7";
	ev.conv_kind = PLATFORM_DM;
	ev.user = "test:U7";
	ev.text = "subscribe at 08:30";
	ev.text_len = strlen(ev.text);
	ev.addressed = true;
	ev.user_timezone = "Asia/Tokyo";
	snprintf(id, sizeof(id), "test:EvTZ");
	ev.event_id = id;
	ev.ts = x->s.now;
	assert_int_equal(chatsim_event(&x->s, &ev), 0);
	expect_said(x, 0, "test:D-U7", "(Asia/Tokyo)");
	from = dm(x, 7, "tz Europe/Paris");
	expect_said(x, from, "test:D-U7", "gives your zone as Asia/Tokyo");
	/* 08:30 in Tokyo (UTC+9) is 23:30Z the day before */
	from = nmsgs(x);
	at(x, utc(2026, 3, 2, 23, 31));
	q = NULL;
	for (size_t i = from; i < nmsgs(x); i++)
		if (is_question(msg(x, i)))
			q = msg(x, i);
	assert_non_null(q);
	assert_int_equal(q->at, utc(2026, 3, 2, 23, 30) * 1000);

	/* ten answers: the trend; a weak one: a review in the list */
	for (int i = 0; i < 10; i++) {
		(void)dm(x, 7, "practice");
		(void)dm(x, 7, i < 5 ? NOT_SURE : SLOW_GOOD);
	}
	from = dm(x, 7, "stats");
	expect_said(x, from, "test:D-U7", "Trend");
	expect_said(x, from, "test:D-U7", "up ");
	expect_said(x, from, "test:D-U7", "Coming back for review");
}

/* A holiday in a schedule's skip_dates does not break anyone's streak. */
static void
test_holiday_keeps_streak(void **state)
{
	struct fx *x = *state;
	static char *skip[] = {(char *)"2026-03-04"};

	channel_schedule(x, NULL);
	x->sc[0].skip_dates = skip;
	x->sc[0].nskip_dates = 1;
	open_world(x, MINI, utc(2026, 3, 3, 10, 0));
	(void)dm(x, 8, "practice");
	(void)dm(x, 8, NOT_SURE);
	at(x, utc(2026, 3, 5, 10, 0));		/* the 4th, a holiday, passed */
	(void)dm(x, 8, "practice");
	(void)dm(x, 8, NOT_SURE);
	expect_streak(x, 8, 2, 2);
	at(x, utc(2026, 3, 7, 10, 0));		/* the 6th was no holiday */
	expect_streak(x, 8, 0, 2);
}

/* Whether the file at path holds needle anywhere (a missing file does not). */
static bool
file_holds(const char *path, const char *needle)
{
	FILE *f = fopen(path, "rb");
	size_t n = strlen(needle), len = 0, cap = 0;
	char *buf = NULL, chunk[65536];
	bool found = false;

	if (f == NULL)
		return false;
	for (size_t r; (r = fread(chunk, 1, sizeof(chunk), f)) > 0;) {
		char *p = realloc(buf, cap = len + r);
		assert_non_null(p);
		buf = p;
		memcpy(buf + len, chunk, r);
		len += r;
	}
	fclose(f);
	for (size_t i = 0; !found && i + n <= len; i++)
		found = memcmp(buf + i, needle, n) == 0;
	free(buf);
	(void)cap;
	return found;
}

/*
 * Forgetting reaches everywhere a person can end up: a DM that only ever
 * held settings and `my data` (its JSON with their answer), an answer given
 * privately to an answers = "dm" channel (feedback in the DM, the thread's
 * "has answered" note), the weekly digest's leaderboard, and the write-ahead
 * log, which keeps old copies of pages.
 */
static void
test_forget_everywhere(void **state)
{
	struct fx *x = *state;
	static const char *const marks[] = {"test:U5", "D-U5", "walrus"};
	const int64_t fri = utc(2026, 3, 6, 0, 0);	/* a Friday */
	const struct testchat_msg *root;
	char root_id[16], report[4096], wal[160];
	struct platform_event ev = {0};

	channel_schedule(x, "0 16 * * fri");
	x->sc[0].answers_dm = true;
	open_world(x, MINI, fri + 8 * HOUR);
	at(x, fri + 9 * HOUR + MINUTE);
	assert_non_null(root = chatsim_last_question(&x->s, "test:C1"));
	snprintf(root_id, sizeof(root_id), "%s", root->id);
	(void)dm(x, 5, "tz Europe/Berlin");
	(void)dm(x, 5, "leaderboard on");
	ev.kind = PLATFORM_EV_BUTTON;
	ev.event_id = "test:EvBUTTON5";
	ev.conversation = "test:C1";
	ev.user = "test:U5";
	ev.text = "answer";
	ev.text_len = 6;
	ev.thread_id = root_id;
	ev.addressed = true;
	ev.ts = x->s.now;
	assert_int_equal(chatsim_event(&x->s, &ev), 0);
	(void)dm(x, 5, "The walrus plan: EXPLAIN ANALYZE, then an index, then p95 before and after.");
	(void)dm(x, 5, "my data");
	at(x, fri + 16 * HOUR + MINUTE);		/* the digest names U5 */
	(void)dm(x, 5, "forget me");
	(void)dm(x, 5, "forget me confirm");
	at(x, fri + DAY);
	mentions(x, marks, sizeof(marks) / sizeof(marks[0]), report, sizeof(report));
	if (report[0] != '\0')
		fail_msg("after forget me, the database still mentions test:U5:\n%s", report);
	snprintf(wal, sizeof(wal), "%s-wal", x->s.db);
	assert_false(file_holds(x->s.db, "walrus"));
	assert_false(file_holds(wal, "walrus"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_expected_instants),
		cmocka_unit_test_setup_teardown(test_daily_in_three_zones, setup, teardown),
		cmocka_unit_test_setup_teardown(test_quiet_hours, setup, teardown),
		cmocka_unit_test_setup_teardown(test_spaced_repetition, setup, teardown),
		cmocka_unit_test_setup_teardown(test_streaks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_adaptive_level, setup, teardown),
		cmocka_unit_test_setup_teardown(test_weekly_digest, setup, teardown),
		cmocka_unit_test_setup_teardown(test_my_data_and_forget_me, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retention, setup, teardown),
		cmocka_unit_test_setup_teardown(test_settings_with_question_open, setup, teardown),
		cmocka_unit_test_setup_teardown(test_platform_zone_and_stats, setup, teardown),
		cmocka_unit_test_setup_teardown(test_holiday_keeps_streak, setup, teardown),
		cmocka_unit_test_setup_teardown(test_forget_everywhere, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
