/*
 * test_channel_sim.c - thirty days of three teams' channels, end to end
 * through the test platform (tests/fakes/chatsim.h): the real store,
 * scheduler, engine, router and outbox on a fake clock, the real bank
 * (questions/, 46 questions), and simulated people answering every day.
 *
 * The channels (all on the test platform, which has ephemeral messages):
 *
 *   test:CBERLIN   "30 9 * * 1-5" in Europe/Berlin, Good Friday
 *                  (2026-04-03) off; answers in the thread, feedback
 *                  private; the reveal after 4 h.
 *   test:CNY       "0 9 * * mon-fri" in America/New_York; answers = "dm"
 *                  (a button, then a DM); the reveal after 2 days, so on
 *                  Monday to Thursday the next day's question reveals it
 *                  first, and on Friday the 2 days do (with 1 day the two
 *                  would fall on the same second and could not be told
 *                  apart).
 *   test:CKOLKATA  "30 10 * * *" in Asia/Kolkata, feedback in the thread;
 *                  the reveal after 2 h.
 *
 * The window is 2026-03-06T00:00Z to 2026-04-05T00:00Z: New York springs
 * forward on 2026-03-08, Berlin on 2026-03-29, Kolkata never does. The
 * expected post instants are computed here from the calendar and each
 * zone's known UTC offsets (not with cron.c), so a mistake in the cron or
 * zone code cannot agree with itself.
 *
 * Every day, after each question goes out, zero to three people answer
 * (good answers built from the question's rubric phrases, or "I am not
 * sure."); some write again in the thread (conversation, not an answer),
 * some answer after the reveal (late). What a team would notice is then
 * checked on the whole transcript the test platform kept: every question
 * at its instant, none twice, each revealed once at the right time with a
 * right summary, no model answer shown before its reveal, no answer text
 * in a "dm" channel's thread. Two restarts of the daemon (no downtime) in
 * the middle, one between a post and its reveal and one between a button
 * press and the DM answer, must change nothing: a second run without them
 * must show the same transcript, word for word.
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

#include "chatsim.h"
#include "drill/cron.h"
#include "drill/log.h"

#define MINUTE 60
#define HOUR 3600
#define DAY 86400
#define IST (5 * HOUR + 30 * MINUTE)	/* India: UTC+5:30 all year */

#define START 1772755200	/* 2026-03-06T00:00:00Z, a Friday */
#define END 1775347200		/* 2026-04-05T00:00:00Z: 30 days later */
#define SEED 11

#define NCONV 3
#define MAXROOTS 40		/* questions per channel in the window: 20, 21, 30 */
#define MAXACTS 1024
#define FP_LEN 60		/* bytes of a model answer that identify it */

enum { BERLIN, NY, KOLKATA };

static const char *const conv_name[NCONV] = {
	"test:CBERLIN", "test:CNY", "test:CKOLKATA"
};

/*
 * Where a channel's fire falls in UTC, worked out by hand: the cron's
 * local time, which days, the holiday, and the zone's offset (seconds
 * east of UTC) before and after its one change in the window.
 */
struct rule {
	int hour, min;
	bool weekdays;		/* Monday to Friday only */
	int skip_y, skip_m, skip_d;	/* a holiday (local date), or 0 */
	int64_t change;		/* the UTC instant the offset changes */
	int off_before, off_after;
	int64_t reveal_after;	/* seconds */
};

static const struct rule rules[NCONV] = {
	/* CET (+1) until 2026-03-29T01:00Z, then CEST (+2) */
	{9, 30, true, 2026, 4, 3, 1774746000, 1 * HOUR, 2 * HOUR, 4 * HOUR},
	/* EST (-5) until 2026-03-08T07:00Z, then EDT (-4) */
	{9, 0, true, 0, 0, 0, 1772953200, -5 * HOUR, -4 * HOUR, 2 * DAY},
	/* IST (+5:30), no change */
	{10, 30, false, 0, 0, 0, INT64_MAX, IST, IST, 2 * HOUR},
};

/* One question posted, as the test saw it. */
struct root {
	char id[16];		/* its platform id: the thread */
	int64_t at;		/* when it was posted, Unix seconds */
	const struct bank_question *q;	/* the bank question its text shows */
	int64_t did;		/* its delivery in the store */
	int answered;		/* answers given before the reveal */
	int score_sum;		/* their scores, as their feedback said */
	int weak;		/* weak answers among them */
	int late;		/* answers given after the reveal */
};

/* What a simulated person (or the operator) does, and when. */
enum act_kind {
	ACT_REPLY,		/* answers in the thread */
	ACT_CHATTER,		/* writes in the thread, not as an answer */
	ACT_BUTTON,		/* presses Answer privately */
	ACT_DM_ANSWER,		/* answers in the DM that follows */
	ACT_LATE,		/* answers in the thread after the reveal */
	ACT_RESTART		/* drilld restarts (no downtime) */
};

struct act {
	int64_t at;
	enum act_kind kind;
	int conv;
	size_t root;
	int who;		/* test:U<who> */
	bool good;
	bool done;
};

struct world {
	struct chatsim s;
	struct config cfg;
	struct config_schedule sc[NCONV];
	char *skip[1];
	struct root roots[NCONV][MAXROOTS];
	size_t nroots[NCONV];
	struct act acts[MAXACTS];
	size_t nacts;
	size_t scanned;		/* platform messages looked at for new questions */
	int seq;		/* event and message ids */
	int restarts;		/* restarts done */
};

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

/* The UTC instants conversation c should get its question at, in order. */
static size_t
expected_posts(int c, int64_t out[MAXROOTS])
{
	const struct rule *r = &rules[c];
	int64_t skip = r->skip_y ? days_from_civil(r->skip_y, r->skip_m, r->skip_d) : -1;
	size_t n = 0;

	for (int64_t day = START / DAY - 1; day <= END / DAY; day++) {
		int wd = (int)((day + 4) % 7);	/* 0 Sunday; 1970-01-01 was a Thursday */
		int64_t local = day * DAY + r->hour * HOUR + r->min * MINUTE;
		int64_t at = local - r->off_before;

		if (at >= r->change)
			at = local - r->off_after;
		if ((r->weekdays && (wd == 0 || wd == 6)) || day == skip ||
		    at < START || at >= END)
			continue;
		assert_true(n < MAXROOTS);
		out[n++] = at;
	}
	return n;
}

/*
 * When question k of c (posted at exp[k]) is due to be revealed: at
 * reveal_after, or when the conversation's next question goes out,
 * whichever is first.
 */
static int64_t
expected_reveal(int c, const int64_t *exp, size_t n, size_t k)
{
	int64_t at = exp[k] + rules[c].reveal_after;

	return k + 1 < n && exp[k + 1] < at ? exp[k + 1] : at;
}

static const char *
utc_str(int64_t t, char buf[CRON_RFC3339_LEN])
{
	if (cron_format_utc(t, buf) != 0)
		snprintf(buf, CRON_RFC3339_LEN, "%lld", (long long)t);
	return buf;
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

/* The first FP_LEN bytes of q's model answer, unwrapped: enough to spot it anywhere. */
static void
fingerprint(const struct bank_question *q, char buf[FP_LEN + 1])
{
	char *f = flat(q->model_answer);

	snprintf(buf, FP_LEN + 1, "%s", f);
	free(f);
}

static bool
starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* A question of the day: a thread root in the channel, for everyone. */
static bool
is_root(const struct testchat_msg *m)
{
	return m->thread_id == NULL && !m->dm && m->only_for == NULL &&
	    strstr(m->text, "Question of the day") != NULL;
}

static int
conv_index(const char *name)
{
	for (int c = 0; c < NCONV; c++)
		if (strcmp(conv_name[c], name) == 0)
			return c;
	return -1;
}

/* The score a feedback message states. */
static int
score_of(const char *text)
{
	const char *p = strstr(text, "Score ");
	int score = -1;

	assert_non_null(p);
	assert_int_equal(sscanf(p, "Score %d/100", &score), 1);
	assert_in_range(score, 0, 100);
	return score;
}

/*
 * An answer to q: a good one names one phrase of every rubric concept
 * (one without a "..." gap where there is one), with the marker
 * "Kestrel<who>" so it can be spotted wherever it might leak; a weak one
 * says nothing.
 */
static void
answer_text(const struct bank_question *q, int who, bool good, char *buf, size_t sz)
{
	size_t len;

	if (!good) {
		snprintf(buf, sz, "I am not sure.");
		return;
	}
	len = (size_t)snprintf(buf, sz, "Kestrel%d here. In short: ", who);
	for (size_t i = 0; i < q->nconcepts && len < sz; i++) {
		const struct bank_concept *c = &q->concepts[i];
		const char *ph = c->phrases[0];

		for (size_t k = 0; k < c->nphrases; k++) {
			if (strstr(c->phrases[k], "...") == NULL) {
				ph = c->phrases[k];
				break;
			}
		}
		len += (size_t)snprintf(buf + len, sz - len,
		    "I would look at %s, because it matters here. ", ph);
	}
	for (char *p = buf; (p = strstr(p, "...")) != NULL;)
		memcpy(p, "   ", 3);	/* a gap phrase: its two parts, side by side */
	assert_true(len < sz);
}

/* ---- the simulation ---- */

static void
add_act(struct world *w, int64_t at, enum act_kind kind, int c, size_t k, int who,
    bool good)
{
	assert_true(w->nacts < MAXACTS);
	w->acts[w->nacts++] = (struct act){at, kind, c, k, who, good, false};
}

/*
 * What people do with question k of c: (k + c) % 4 of them answer, a
 * quarter of an hour apart, alternately well and weakly; on every third
 * question someone writes in the thread without answering; on every
 * fifth (thread channels) someone answers after the reveal.
 */
static void
plan(struct world *w, int c, size_t k)
{
	const struct root *r = &w->roots[c][k];
	int n = (int)((k + (size_t)c) % 4);

	for (int j = 0; j < n; j++) {
		int64_t t = r->at + 15 * MINUTE * (j + 1);
		bool good = (k + (size_t)j) % 2 == 0;

		if (c == NY) {
			add_act(w, t, ACT_BUTTON, c, k, j + 1, good);
			add_act(w, t + 2 * MINUTE, ACT_DM_ANSWER, c, k, j + 1, good);
		} else {
			add_act(w, t, ACT_REPLY, c, k, j + 1, good);
		}
	}
	/* in a thread channel: someone who answered says more; in the dm
	 * channel: someone writes an answer in the thread, where it is not one */
	if (k % 3 == 0 && (c == NY || n > 0))
		add_act(w, r->at + 55 * MINUTE, ACT_CHATTER, c, k, c == NY ? 4 : 1, true);
	if (c != NY && k % 5 == 3)
		add_act(w, r->at + rules[c].reveal_after + 10 * MINUTE, ACT_LATE, c, k, 4, true);
}

/* The one bank question whose prompt text shows. */
static const struct bank_question *
question_shown(const struct world *w, const char *text)
{
	const struct bank_question *found = NULL;
	char *t = flat(text);

	for (size_t i = 0; i < bank_count(w->s.bank); i++) {
		const struct bank_question *q = bank_get(w->s.bank, i);
		char *p = flat(q->prompt);

		if (strstr(t, p) != NULL) {
			if (found != NULL)
				fail_msg("a question shows two prompts: %s and %s", found->id, q->id);
			found = q;
		}
		free(p);
	}
	free(t);
	if (found == NULL)
		fail_msg("a question shows no prompt of the bank:\n%s", text);
	return found;
}

/* Notes the questions posted since the last look, and plans their day. */
static void
scan(struct world *w)
{
	for (; w->scanned < testchat_count(w->s.tc); w->scanned++) {
		const struct testchat_msg *m = testchat_get(w->s.tc, w->scanned);
		struct store_delivery d = {0};
		struct root *r;
		int c;

		if (!is_root(m))
			continue;
		c = conv_index(m->conversation);
		assert_true(c >= 0);
		assert_true(w->nroots[c] < MAXROOTS);
		r = &w->roots[c][w->nroots[c]];
		snprintf(r->id, sizeof(r->id), "%s", m->id);
		assert_int_equal(m->at % 1000, 0);
		r->at = m->at / 1000;
		r->q = question_shown(w, m->text);
		/* the store agrees on which question it is */
		assert_int_equal(store_delivery_by_thread(w->s.st, m->conversation, m->id,
		    &r->did), 0);
		assert_int_equal(store_delivery_get(w->s.st, r->did, &d), 0);
		assert_string_equal(d.question_id, r->q->id);
		store_delivery_clear(&d);
		plan(w, c, w->nroots[c]++);
	}
}

/* Someone does something in chat, as the adapter would hand it over. */
static void
event(struct world *w, enum platform_event_kind kind, const char *conv, int who,
    const char *thread, bool addressed, const char *text)
{
	char id[32], mid[32], user[16];
	struct platform_event ev = {
		.kind = kind, .conversation = conv,
		.conv_kind = strncmp(conv, "test:D", 6) == 0 ? PLATFORM_DM : PLATFORM_CHANNEL,
		.user = user, .text = text, .text_len = strlen(text),
		.thread_id = thread, .ts = w->s.now, .addressed = addressed,
	};

	w->seq++;
	snprintf(id, sizeof(id), "test:Ev%d", w->seq);
	snprintf(mid, sizeof(mid), "r%d", w->seq);
	snprintf(user, sizeof(user), "test:U%d", who);
	ev.event_id = id;
	ev.message_id = kind == PLATFORM_EV_BUTTON ? NULL : mid;
	assert_int_equal(chatsim_event(&w->s, &ev), 0);
}

static const struct testchat_msg *
msg_at(const struct world *w, size_t i)
{
	const struct testchat_msg *m = testchat_get(w->s.tc, i);

	assert_non_null(m);
	return m;
}

/* Does a, and checks what people see at once. */
static void
run_act(struct world *w, const struct act *a)
{
	size_t before = testchat_count(w->s.tc);
	const struct testchat_msg *m;
	struct root *r = NULL;
	const char *conv = NULL;
	char text[4096], user[16], dm[24], fp[FP_LEN + 1], note[48];
	char err[DRILL_ERRLEN] = "";

	if (a->kind == ACT_RESTART) {
		if (chatsim_restart(&w->s, err) != 0)
			fail_msg("restart: %s", err);
		w->restarts++;
		assert_int_equal(testchat_count(w->s.tc), before);	/* it posts nothing */
		return;
	}
	r = &w->roots[a->conv][a->root];
	conv = conv_name[a->conv];
	snprintf(user, sizeof(user), "test:U%d", a->who);
	snprintf(dm, sizeof(dm), "test:D-U%d", a->who);
	answer_text(r->q, a->who, a->good, text, sizeof(text));
	fingerprint(r->q, fp);

	switch (a->kind) {
	case ACT_REPLY:
		event(w, PLATFORM_EV_MESSAGE, conv, a->who, r->id, false, text);
		assert_int_equal(testchat_count(w->s.tc), before + 1);
		m = msg_at(w, before);
		assert_string_equal(m->conversation, conv);
		assert_non_null(m->thread_id);
		assert_string_equal(m->thread_id, r->id);
		if (a->conv == KOLKATA)
			assert_null(m->only_for);	/* feedback = "thread" */
		else
			assert_string_equal(m->only_for, user);	/* private */
		assert_true(says(m->text, "at the reveal"));
		r->answered++;
		r->score_sum += score_of(m->text);
		r->weak += !a->good;
		break;
	case ACT_CHATTER:
		event(w, PLATFORM_EV_MESSAGE, conv, a->who, r->id, false,
		    a->conv == NY ? text : "Thanks, that makes sense to me too.");
		assert_int_equal(testchat_count(w->s.tc), before);	/* not an answer */
		break;
	case ACT_BUTTON:
		event(w, PLATFORM_EV_BUTTON, conv, a->who, r->id, true, "answer");
		assert_int_equal(testchat_count(w->s.tc), before + 1);
		m = msg_at(w, before);
		assert_true(m->dm);
		assert_string_equal(m->conversation, user);
		assert_true(says(m->text, r->q->prompt));
		assert_true(says(m->text, "Reply here"));
		break;
	case ACT_DM_ANSWER:
		event(w, PLATFORM_EV_MESSAGE, dm, a->who, NULL, true, text);
		assert_int_equal(testchat_count(w->s.tc), before + 2);
		m = msg_at(w, before);	/* the feedback, in the DM */
		assert_string_equal(m->conversation, dm);
		assert_null(m->thread_id);
		r->answered++;
		r->score_sum += score_of(m->text);
		r->weak += !a->good;
		m = msg_at(w, before + 1);	/* who has answered, in the thread */
		assert_string_equal(m->conversation, conv);
		assert_non_null(m->thread_id);
		assert_string_equal(m->thread_id, r->id);
		assert_null(m->only_for);
		snprintf(note, sizeof(note), "U%d has answered (%d so far)", a->who, r->answered);
		if (!says(m->text, note))
			fail_msg("the thread's note says\n%s\nnot \"%s\"", m->text, note);
		break;
	case ACT_LATE:
		event(w, PLATFORM_EV_MESSAGE, conv, a->who, r->id, false, text);
		assert_int_equal(testchat_count(w->s.tc), before + 1);
		m = msg_at(w, before);
		assert_string_equal(m->thread_id, r->id);
		if (a->conv == KOLKATA)
			assert_null(m->only_for);
		else
			assert_string_equal(m->only_for, user);
		assert_true(says(m->text, "marked late"));
		assert_true(says(m->text, fp));	/* the model answer, now it is out */
		(void)score_of(m->text);
		r->late++;
		break;
	case ACT_RESTART:
		break;
	}
}

/* Runs the first act due now; false when none is. */
static bool
run_due(struct world *w)
{
	struct act *first = NULL;

	for (size_t i = 0; i < w->nacts; i++) {
		struct act *a = &w->acts[i];
		if (!a->done && a->at <= w->s.now && (first == NULL || a->at < first->at))
			first = a;
	}
	if (first == NULL)
		return false;
	first->done = true;
	run_act(w, first);
	return true;
}

static int64_t
next_act_at(const struct world *w)
{
	int64_t at = INT64_MAX;

	for (size_t i = 0; i < w->nacts; i++)
		if (!w->acts[i].done && w->acts[i].at < at)
			at = w->acts[i].at;
	return at;
}

/*
 * Runs the 30 days: the clock moves to whichever comes first of the next
 * thing someone does and the scheduler's next fire (chatsim_advance runs
 * the fires and reveals on the way, as drilld's timer would). The world
 * goes into *slot as soon as it is open, so the teardown closes it (and
 * removes its temporary directory) even when a check fails half-way.
 */
static struct world *
simulate(bool restarts, struct world **slot)
{
	struct world *w = calloc(1, sizeof(*w));
	char err[DRILL_ERRLEN] = "";
	int guard;

	assert_non_null(w);
	w->cfg.practice.level = 1;
	w->cfg.practice.max_answer = 4096;
	w->skip[0] = (char *)"2026-04-03";
	w->sc[BERLIN] = (struct config_schedule){
		.conversation = (char *)conv_name[BERLIN], .cron = (char *)"30 9 * * 1-5",
		.timezone = (char *)"Europe/Berlin", .level = -1,
		.reveal_after_ms = 4 * 3600000ULL, .skip_dates = w->skip, .nskip_dates = 1,
		.grace_ms = 2 * 3600000ULL,
	};
	w->sc[NY] = (struct config_schedule){
		.conversation = (char *)conv_name[NY], .cron = (char *)"0 9 * * mon-fri",
		.timezone = (char *)"America/New_York", .level = -1,
		.reveal_after_ms = 2 * 86400000ULL, .answers_dm = true,
		.grace_ms = 2 * 3600000ULL,
	};
	w->sc[KOLKATA] = (struct config_schedule){
		.conversation = (char *)conv_name[KOLKATA], .cron = (char *)"30 10 * * *",
		.timezone = (char *)"Asia/Kolkata", .level = -1,
		.reveal_after_ms = 2 * 3600000ULL, .feedback_thread = true,
		.grace_ms = 2 * 3600000ULL,
	};
	w->cfg.schedules = w->sc;
	w->cfg.nschedules = NCONV;
	if (chatsim_open(&w->s, &w->cfg, "questions", START, SEED, true, err) != 0)
		fail_msg("chatsim_open: %s", err);
	*slot = w;
	assert_int_equal(bank_count(w->s.bank), 46);
	if (restarts) {
		/* day 12, Tuesday 2026-03-17: 20 min after Berlin's question (08:30Z),
		 * before its reveal, between two of its answers */
		add_act(w, days_from_civil(2026, 3, 17) * DAY + 8 * HOUR + 50 * MINUTE,
		    ACT_RESTART, -1, 0, 0, false);
		/* Wednesday 2026-03-25: New York's second person has pressed the
		 * button (13:30Z) and answers in the DM after the restart (13:32Z) */
		add_act(w, days_from_civil(2026, 3, 25) * DAY + 13 * HOUR + 31 * MINUTE,
		    ACT_RESTART, -1, 0, 0, false);
	}
	for (guard = 0; guard < 100000; guard++) {
		int64_t next;

		scan(w);
		if (run_due(w))
			continue;
		if (w->s.now >= END)
			break;
		next = END;
		if (next_act_at(w) < next)
			next = next_act_at(w);
		if (sched_next_at(w->s.sched) < next)
			next = sched_next_at(w->s.sched);
		assert_true(next > w->s.now);
		chatsim_advance(&w->s, next);
	}
	assert_true(guard < 100000);
	assert_int_equal(w->restarts, restarts ? 2 : 0);
	return w;
}

static void
destroy(struct world *w)
{
	chatsim_close(&w->s);
	free(w);
}

/* ---- what the teams saw ---- */

/* The questions of c: exactly the expected instants, in order. */
static void
check_posts(const struct world *w, int c, const int64_t *exp, size_t n)
{
	char a[CRON_RFC3339_LEN], b[CRON_RFC3339_LEN];

	for (size_t k = 0; k < n || k < w->nroots[c]; k++) {
		if (k >= w->nroots[c])
			fail_msg("%s: question %zu missing (due %s)", conv_name[c], k,
			    utc_str(exp[k], a));
		if (k >= n)
			fail_msg("%s: question %zu extra, posted at %s", conv_name[c], k,
			    utc_str(w->roots[c][k].at, a));
		if (w->roots[c][k].at != exp[k])
			fail_msg("%s: question %zu posted at %s, due %s", conv_name[c], k,
			    utc_str(w->roots[c][k].at, a), utc_str(exp[k], b));
	}
	/* no question twice: the pool (46) outlasts the window */
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			if (w->roots[c][i].q == w->roots[c][j].q)
				fail_msg("%s: %s asked twice (questions %zu and %zu)", conv_name[c],
				    w->roots[c][i].q->id, i, j);
}

/* The summary a root's answers call for. */
static void
check_summary(const struct root *r, const char *text)
{
	char want[96];

	if (r->answered == 0) {
		assert_true(says(text, "Nobody answered this one."));
		return;
	}
	snprintf(want, sizeof(want), "%d answered; average score %.0f/100.", r->answered,
	    (double)r->score_sum / (double)r->answered);
	if (!says(text, want))
		fail_msg("the summary says\n%s\nnot \"%s\"", text, want);
	if (r->weak > 0)	/* "I am not sure." misses every concept */
		assert_true(says(text, "Most often missed"));
}

/* Whether people of conversation c can see m. */
static bool
seen_in(int c, const struct testchat_msg *m)
{
	if (strcmp(m->conversation, conv_name[c]) == 0)
		return true;
	/* New York's people answer in DMs: what they get there counts too */
	return c == NY && (m->dm || strncmp(m->conversation, "test:D", 6) == 0);
}

/*
 * Thread k of c: the reveal once, at the expected instant, then the
 * summary; before it, no model answer anywhere its people look; what else
 * the thread holds depends on the channel's options.
 */
static void
check_thread(const struct world *w, int c, size_t k, int64_t reveal, char *const *fl)
{
	const struct root *r = &w->roots[c][k];
	size_t n = testchat_count(w->s.tc), nreveal = 0, nsummary = 0, nnotes = 0;
	size_t nfeedback = 0, reveal_i = 0;
	char fp[FP_LEN + 1], a[CRON_RFC3339_LEN], b[CRON_RFC3339_LEN];

	fingerprint(r->q, fp);
	for (size_t i = 0; i < n; i++) {
		const struct testchat_msg *m = msg_at(w, i);

		if (m->at < reveal * 1000 && seen_in(c, m) && strstr(fl[i], fp) != NULL)
			fail_msg("%s: the model answer of %s shown at %s, before its reveal "
			    "at %s:\n%s", conv_name[c], r->q->id, utc_str(m->at / 1000, a),
			    utc_str(reveal, b), m->text);
		if (m->thread_id == NULL || strcmp(m->thread_id, r->id) != 0)
			continue;
		assert_string_equal(m->conversation, conv_name[c]);
		assert_true(m->at > r->at * 1000);
		if (m->only_for == NULL && starts_with(m->text, "Model answer")) {
			nreveal++;
			reveal_i = i;
			if (m->at != reveal * 1000)
				fail_msg("%s: %s revealed at %s, due %s", conv_name[c], r->q->id,
				    utc_str(m->at / 1000, a), utc_str(reveal, b));
			assert_non_null(strstr(fl[i], fp));
		} else if (m->only_for == NULL && starts_with(m->text, "Summary")) {
			nsummary++;
			assert_int_equal(m->at, reveal * 1000);
			assert_true(nreveal == 1 && reveal_i < i);	/* after the model answer */
			check_summary(r, m->text);
		} else if (c == NY) {
			/* answers = "dm": the thread only says who has answered */
			assert_null(m->only_for);
			assert_true(says(m->text, "has answered ("));
			assert_true(m->at < reveal * 1000);
			nnotes++;
		} else {
			/* feedback: for its author alone in Berlin, for all in Kolkata */
			assert_non_null(strstr(m->text, "Score "));
			if (c == BERLIN)
				assert_non_null(m->only_for);
			else
				assert_null(m->only_for);
			if (m->at < reveal * 1000)
				assert_null(strstr(m->text, "Model answer"));
			else
				assert_true(says(m->text, "marked late"));
			nfeedback++;
		}
	}
	if (reveal <= END) {
		if (nreveal != 1 || nsummary != 1)
			fail_msg("%s: %s (posted %s) revealed %zu times with %zu summaries, "
			    "due once at %s", conv_name[c], r->q->id, utc_str(r->at, a), nreveal,
			    nsummary, utc_str(reveal, b));
	} else {
		assert_int_equal(nreveal + nsummary, 0);	/* not due yet */
	}
	if (c == NY)
		assert_int_equal(nnotes, r->answered);
	else
		assert_int_equal(nfeedback, (size_t)(r->answered + r->late));
}

/* Everything a team would notice, over the whole transcript. */
static void
check_world(const struct world *w)
{
	size_t n = testchat_count(w->s.tc), total = 0, nroots = 0, answered = 0;
	char **fl = calloc(n ? n : 1, sizeof(*fl));

	assert_non_null(fl);
	for (size_t i = 0; i < n; i++)
		fl[i] = flat(msg_at(w, i)->text);
	for (int c = 0; c < NCONV; c++) {
		int64_t exp[MAXROOTS];
		size_t ne = expected_posts(c, exp);

		check_posts(w, c, exp, ne);
		for (size_t k = 0; k < ne; k++) {
			check_thread(w, c, k, expected_reveal(c, exp, ne, k), fl);
			answered += (size_t)w->roots[c][k].answered;
		}
		total += ne;
	}
	assert_true(answered > 50);	/* people did answer */
	/* every "Question of the day" is one of them; none late, none repeated */
	for (size_t i = 0; i < n; i++) {
		const struct testchat_msg *m = msg_at(w, i);

		if (strstr(m->text, "Question of the day") != NULL) {
			assert_true(is_root(m));
			nroots++;
		}
		assert_null(strstr(fl[i], "Posted late"));
		assert_null(strstr(fl[i], "they start over"));
		/* Berlin's feedback is private: for all only questions and reveals */
		if (strcmp(m->conversation, conv_name[BERLIN]) == 0 && m->only_for == NULL)
			assert_true(is_root(m) || starts_with(m->text, "Model answer") ||
			    starts_with(m->text, "Summary"));
		/* DMs (New York's answers) come before the reveal: no model answer */
		if (m->dm || strncmp(m->conversation, "test:D", 6) == 0)
			assert_null(strstr(fl[i], "Model answer"));
		/* answers = "dm": no answer's text in New York's channel */
		if (strcmp(m->conversation, conv_name[NY]) == 0) {
			assert_null(strstr(fl[i], "Kestrel"));
			assert_null(strstr(fl[i], "I am not sure"));
		}
	}
	assert_int_equal(nroots, total);
	assert_int_equal(w->s.fired, total);
	for (size_t i = 0; i < n; i++)
		free(fl[i]);
	free(fl);
}

/* ---- tests ---- */

/* The worlds a test opened; the teardown closes them, failed or not. */
struct fx {
	struct world *w[2];
};

static int
setup(void **state)
{
	log_set_level(LOGL_ERROR);
	*state = calloc(1, sizeof(struct fx));
	return *state == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	struct fx *x = *state;

	for (size_t i = 0; i < 2; i++)
		if (x->w[i] != NULL)
			destroy(x->w[i]);
	free(x);
	return 0;
}

/*
 * The expectations themselves, against instants worked out by hand: a
 * mistake here would make every other check agree with the wrong thing.
 */
static void
test_expected_instants(void **state)
{
	int64_t exp[MAXROOTS];

	(void)state;
	assert_int_equal(days_from_civil(2026, 3, 6) * DAY, START);
	assert_int_equal(days_from_civil(2026, 4, 5) * DAY, END);
	/* Berlin: 20 weekdays less Good Friday; 09:30 CET = 08:30Z, CEST = 07:30Z */
	assert_int_equal(expected_posts(BERLIN, exp), 20);
	assert_int_equal(exp[0], 1772785800);		/* 2026-03-06T08:30Z */
	assert_int_equal(exp[15], 1774600200);		/* Fri 2026-03-27T08:30Z, CET */
	assert_int_equal(exp[16], 1774855800);		/* Mon 2026-03-30T07:30Z, CEST */
	assert_int_equal(exp[19], 1774855800 + 3 * DAY);	/* Thu 04-02, then Good Friday */
	/* New York: 21 weekdays; 09:00 EST = 14:00Z, EDT = 13:00Z */
	assert_int_equal(expected_posts(NY, exp), 21);
	assert_int_equal(exp[0], 1772805600);		/* Fri 2026-03-06T14:00Z */
	assert_int_equal(exp[1], 1773061200);		/* Mon 2026-03-09T13:00Z */
	assert_int_equal(expected_reveal(NY, exp, 21, 0), 1772805600 + 2 * DAY);
	assert_int_equal(expected_reveal(NY, exp, 21, 1), 1773061200 + DAY);
	/* Kolkata: every day at 10:30 IST = 05:00Z */
	assert_int_equal(expected_posts(KOLKATA, exp), 30);
	assert_int_equal(exp[0], START + 5 * HOUR);
	assert_int_equal(exp[29], START + 29 * DAY + 5 * HOUR);
}

/*
 * 30 days, three zones, two restarts: every question at its instant,
 * once; every reveal once, on time, with a right summary; no model
 * answer early; the dm channel's thread free of answers.
 */
static void
test_thirty_days(void **state)
{
	struct fx *x = *state;

	check_world(simulate(true, &x->w[0]));
}

/* What kind of message m is, as a reader would tell. */
enum kind { K_ROOT, K_REVEAL, K_SUMMARY, K_NOTE, K_FEEDBACK, K_PRIVATE, K_OTHER };

static enum kind
kind_of(const struct testchat_msg *m)
{
	if (is_root(m))
		return K_ROOT;
	if (starts_with(m->text, "Model answer"))
		return K_REVEAL;
	if (starts_with(m->text, "Summary"))
		return K_SUMMARY;
	if (says(m->text, "has answered ("))
		return K_NOTE;
	if (starts_with(m->text, "Score "))
		return K_FEEDBACK;
	if (starts_with(m->text, "Your private answer"))
		return K_PRIVATE;
	return K_OTHER;
}

static bool
same_str(const char *a, const char *b)
{
	return a == NULL ? b == NULL : b != NULL && strcmp(a, b) == 0;
}

/*
 * The restarts change nothing a team sees: the same run without them
 * posts the same messages, word for word (the same questions, in the
 * same order: the rotation does not depend on the engine's generator,
 * which starts again at a restart), at the same instants, in the same
 * places, for the same people, with the same counts of answers.
 */
static void
test_restart_changes_nothing(void **state)
{
	struct fx *x = *state;
	struct world *a, *b;
	size_t n;

	a = simulate(false, &x->w[0]);
	check_world(a);
	b = simulate(true, &x->w[1]);
	n = testchat_count(a->s.tc);
	assert_int_equal(testchat_count(b->s.tc), n);
	for (size_t i = 0; i < n; i++) {
		const struct testchat_msg *ma = msg_at(a, i), *mb = msg_at(b, i);
		char t[CRON_RFC3339_LEN];

		if (kind_of(ma) != kind_of(mb) || !same_str(ma->conversation, mb->conversation) ||
		    !same_str(ma->thread_id, mb->thread_id) || !same_str(ma->only_for, mb->only_for) ||
		    ma->dm != mb->dm || ma->at != mb->at || strcmp(ma->text, mb->text) != 0)
			fail_msg("message %zu differs after restarts (at %s):\n%s\n---\n%s", i,
			    utc_str(ma->at / 1000, t), ma->text, mb->text);
		assert_int_not_equal(kind_of(ma), K_OTHER);
	}
	for (int c = 0; c < NCONV; c++) {
		assert_int_equal(a->nroots[c], b->nroots[c]);
		for (size_t k = 0; k < a->nroots[c]; k++) {
			assert_int_equal(a->roots[c][k].answered, b->roots[c][k].answered);
			assert_int_equal(a->roots[c][k].late, b->roots[c][k].late);
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_expected_instants),
		cmocka_unit_test_setup_teardown(test_thirty_days, setup, teardown),
		cmocka_unit_test_setup_teardown(test_restart_changes_nothing, setup, teardown),
	};

	log_set_level(LOGL_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
