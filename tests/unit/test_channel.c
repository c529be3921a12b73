/*
 * test_channel.c - the channel flow end to end through the test platform
 * (tests/fakes/chatsim.h): the real store, scheduler, engine, router and
 * outbox on a fake clock, and what people in the channel would see.
 *
 * tests/data/mini.json has three questions; the schedule posts one at
 * 09:00 UTC every day.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "chatsim.h"
#include "drill/cron.h"
#include "drill/log.h"

#define T0 1772438400	/* 2026-03-02T08:00:00Z, a Monday */
#define NINE (T0 + 3600)

/* An answer to mini.slow-query that covers most of its rubric. */
#define GOOD_SLOW "First I would run EXPLAIN ANALYZE to read the query plan, " \
	"because a sequential scan on a big table is the usual cause. Then I " \
	"would add a composite index on the filtered columns, check for an N+1 " \
	"pattern in the ORM, and measure p95 latency before and after: it fell " \
	"from 900 ms to 40 ms."

struct fx {
	struct chatsim s;
	struct config cfg;
	struct config_schedule sc[2];
	char *admins[1];
	int seq;
};

/*
 * One schedule, test:C1 at 09:00 UTC daily; with n = 2, also test:C2 at
 * 10:00, the same way.
 */
static struct fx *
start_n(int n, bool answers_dm, bool feedback_thread, bool ephemeral, uint64_t reveal_ms)
{
	struct fx *x = calloc(1, sizeof(*x));
	char err[DRILL_ERRLEN] = "";

	assert_non_null(x);
	log_set_level(LOGL_ERROR);
	x->cfg.practice.level = 1;
	x->cfg.practice.max_answer = 4096;
	x->admins[0] = (char *)"test:UADMIN";
	x->cfg.admins = x->admins;
	x->cfg.nadmins = 1;
	for (int i = 0; i < 2; i++)
		x->sc[i] = (struct config_schedule){
			.conversation = (char *)(i ? "test:C2" : "test:C1"),
			.cron = (char *)(i ? "0 10 * * *" : "0 9 * * *"),
			.timezone = (char *)"UTC", .level = -1, .reveal_after_ms = reveal_ms,
			.answers_dm = answers_dm, .feedback_thread = feedback_thread,
			.grace_ms = 2 * 3600000,
		};
	x->cfg.schedules = x->sc;
	x->cfg.nschedules = (size_t)n;
	if (chatsim_open(&x->s, &x->cfg, "tests/data/mini.json", T0, 7, ephemeral, err) != 0)
		fail_msg("chatsim_open: %s", err);
	return x;
}

static struct fx *
start(bool answers_dm, bool feedback_thread, bool ephemeral, uint64_t reveal_ms)
{
	return start_n(1, answers_dm, feedback_thread, ephemeral, reveal_ms);
}

static void
stop(struct fx *x)
{
	chatsim_close(&x->s);
	free(x);
}

/* Someone writes text in conversation (a thread reply when thread is set). */
static int
event(struct fx *x, enum platform_event_kind kind, const char *conv, const char *user,
    const char *thread, const char *message_id, bool addressed, const char *text)
{
	char id[32];
	struct platform_event ev = {
		.kind = kind, .conversation = conv,
		.conv_kind = strncmp(conv, "test:D", 6) == 0 ? PLATFORM_DM : PLATFORM_CHANNEL,
		.user = user, .text = text, .text_len = strlen(text),
		.message_id = message_id, .thread_id = thread, .ts = x->s.now,
		.addressed = addressed,
	};
	snprintf(id, sizeof(id), "test:Ev%d", ++x->seq);
	ev.event_id = id;
	return chatsim_event(&x->s, &ev);
}

static int
reply(struct fx *x, const char *user, const char *thread, const char *mid, const char *text)
{
	return event(x, PLATFORM_EV_MESSAGE, "test:C1", user, thread, mid, false, text);
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

/* Messages since index from that contain needle. */
static size_t
count_with(const struct fx *x, size_t from, const char *needle)
{
	size_t n = 0;

	for (size_t i = from; i < nmsgs(x); i++)
		n += strstr(msg(x, i)->text, needle) != NULL;
	return n;
}

/*
 * answers = "thread", feedback private on a platform with ephemeral
 * messages: the first reply is the answer, feedback only for its author
 * and without the model answer, further replies are conversation, the
 * reveal comes at reveal_after with a right summary, late answers are
 * marked.
 */
static void
test_thread_answers(void **state)
{
	struct fx *x = start(false, false, true, 4 * 3600000);
	const struct testchat_msg *root, *m;
	char root_id[16];
	size_t before;

	(void)state;
	chatsim_advance(&x->s, NINE - 1);
	assert_int_equal(nmsgs(x), 0);
	chatsim_advance(&x->s, NINE);
	assert_int_equal(nmsgs(x), 1);
	root = chatsim_last_question(&x->s, "test:C1");
	assert_non_null(root);
	assert_int_equal(root->at, (int64_t)NINE * 1000);
	assert_null(root->thread_id);
	assert_non_null(strstr(root->text, "reply in this thread"));
	snprintf(root_id, sizeof(root_id), "%s", root->id);

	/* a good answer in the thread: feedback for its author alone */
	chatsim_advance(&x->s, NINE + 60);
	assert_int_equal(reply(x, "test:U1", root_id, "r1", GOOD_SLOW), 0);
	assert_int_equal(nmsgs(x), 2);
	m = msg(x, 1);
	assert_string_equal(m->conversation, "test:C1");
	assert_string_equal(m->thread_id, root_id);
	assert_string_equal(m->only_for, "test:U1");
	assert_non_null(strstr(m->text, "Covered"));
	assert_null(strstr(m->text, "Model answer"));
	assert_non_null(strstr(m->text, "at the reveal"));

	/* a second reply is conversation: nothing is posted */
	assert_int_equal(reply(x, "test:U1", root_id, "r2", "Also, caching helps."), 0);
	assert_int_equal(nmsgs(x), 2);
	/* a reply to nothing we posted is ignored too */
	assert_int_equal(reply(x, "test:U2", "elsewhere", "r3", GOOD_SLOW), 0);
	/* not in a thread and not addressed: ignored */
	assert_int_equal(reply(x, "test:U2", NULL, "r4", GOOD_SLOW), 0);
	assert_int_equal(nmsgs(x), 2);

	/* a weak answer from someone else */
	assert_int_equal(reply(x, "test:U2", root_id, "r5", "I am not sure."), 0);
	assert_int_equal(nmsgs(x), 3);
	assert_string_equal(msg(x, 2)->only_for, "test:U2");

	/* nothing revealed before reveal_after */
	chatsim_advance(&x->s, NINE + 4 * 3600 - 1);
	assert_int_equal(nmsgs(x), 3);
	assert_int_equal(count_with(x, 0, "Model answer"), 0);
	chatsim_advance(&x->s, NINE + 4 * 3600);
	assert_int_equal(nmsgs(x), 5);
	m = msg(x, 3);
	assert_string_equal(m->thread_id, root_id);
	assert_null(m->only_for);
	assert_non_null(strstr(m->text, "Model answer"));
	assert_int_equal(m->at, (int64_t)(NINE + 4 * 3600) * 1000);
	m = msg(x, 4);
	assert_string_equal(m->thread_id, root_id);
	assert_non_null(strstr(m->text, "2 answered"));
	assert_non_null(strstr(m->text, "Most often missed"));
	/* the question itself now says it is closed (an edit, not a message) */
	m = msg(x, 0);
	assert_int_equal(m->edits, 1);
	assert_non_null(strstr(m->text, "(closed)"));
	assert_non_null(strstr(m->text, "marked late"));
	assert_null(strstr(m->text, "To answer, reply"));

	/* after the reveal: scored, marked late, with the model answer */
	before = nmsgs(x);
	assert_int_equal(reply(x, "test:U3", root_id, "r6", GOOD_SLOW), 0);
	assert_int_equal(nmsgs(x), before + 1);
	m = msg(x, before);
	assert_string_equal(m->only_for, "test:U3");
	assert_non_null(strstr(m->text, "marked late"));
	assert_non_null(strstr(m->text, "Model answer"));
	/* and nothing is revealed twice */
	chatsim_advance(&x->s, NINE + 20 * 3600);
	assert_int_equal(count_with(x, 0, "Summary"), 1);
	stop(x);
}

/*
 * An edit within ten minutes replaces the answer and is scored again; a
 * later edit, or an edit of a message that is not an answer, changes
 * nothing.
 */
static void
test_edits(void **state)
{
	struct fx *x = start(false, false, true, 4 * 3600000);
	const struct testchat_msg *root;
	struct store_progress p;
	int64_t person;
	char root_id[16];

	(void)state;
	chatsim_advance(&x->s, NINE);
	root = chatsim_last_question(&x->s, "test:C1");
	assert_non_null(root);
	snprintf(root_id, sizeof(root_id), "%s", root->id);
	assert_int_equal(reply(x, "test:U1", root_id, "r1", "I am not sure."), 0);
	assert_int_equal(nmsgs(x), 2);
	assert_int_equal(store_person_find(x->s.st, "test:U1", &person), 0);
	assert_int_equal(store_progress_get(x->s.st, person, &p), 0);
	assert_true(p.score_sum < 30);

	chatsim_advance(&x->s, NINE + 9 * 60);
	assert_int_equal(event(x, PLATFORM_EV_EDIT, "test:C1", "test:U1", root_id, "r1",
	    false, GOOD_SLOW), 0);
	assert_int_equal(nmsgs(x), 3);
	assert_non_null(strstr(msg(x, 2)->text, "edited answer"));
	assert_string_equal(msg(x, 2)->only_for, "test:U1");
	assert_int_equal(store_progress_get(x->s.st, person, &p), 0);
	assert_int_equal(p.answered, 1);
	assert_true(p.score_sum >= 50);

	/* eleven minutes after the answer: conversation */
	chatsim_advance(&x->s, NINE + 11 * 60);
	assert_int_equal(event(x, PLATFORM_EV_EDIT, "test:C1", "test:U1", root_id, "r1",
	    false, "I am not sure."), 0);
	assert_int_equal(nmsgs(x), 3);
	assert_int_equal(store_progress_get(x->s.st, person, &p), 0);
	assert_true(p.score_sum >= 50);
	/* someone else's message id, or an unknown one */
	assert_int_equal(event(x, PLATFORM_EV_EDIT, "test:C1", "test:U2", root_id, "r1",
	    false, "x"), 0);
	assert_int_equal(event(x, PLATFORM_EV_EDIT, "test:C1", "test:U1", root_id, "zz",
	    false, "x"), 0);
	assert_int_equal(nmsgs(x), 3);
	stop(x);
}

/*
 * answers = "dm" on a platform without ephemeral messages: the button
 * sends the question in a DM, the answer there gets its feedback there,
 * the thread only says who answered; replies in the thread are not
 * answers; the reveal comes when the next question goes out, once.
 */
static void
test_dm_answers(void **state)
{
	struct fx *x = start(true, false, false, 2 * 86400000ULL);
	const struct testchat_msg *root, *m;
	char root_id[16];
	size_t n;

	(void)state;
	chatsim_advance(&x->s, NINE);
	root = chatsim_last_question(&x->s, "test:C1");
	assert_non_null(root);
	assert_non_null(strstr(root->text, "[answer]"));
	snprintf(root_id, sizeof(root_id), "%s", root->id);

	/* an answer written in the thread is not taken */
	assert_int_equal(reply(x, "test:U1", root_id, "r1", GOOD_SLOW), 0);
	assert_int_equal(nmsgs(x), 1);

	assert_int_equal(event(x, PLATFORM_EV_BUTTON, "test:C1", "test:U1", root_id, NULL,
	    true, "answer"), 0);
	assert_int_equal(nmsgs(x), 2);
	m = msg(x, 1);
	assert_true(m->dm);
	assert_string_equal(m->conversation, "test:U1");
	assert_non_null(strstr(m->text, "Reply here"));
	assert_null(strstr(m->text, "Model answer"));

	assert_int_equal(event(x, PLATFORM_EV_MESSAGE, "test:D-U1", "test:U1", NULL, "d1",
	    true, GOOD_SLOW), 0);
	assert_int_equal(nmsgs(x), 4);
	m = msg(x, 2);
	assert_string_equal(m->conversation, "test:D-U1");
	assert_non_null(strstr(m->text, "Covered"));
	assert_null(strstr(m->text, "Model answer"));
	m = msg(x, 3);
	assert_string_equal(m->conversation, "test:C1");
	assert_string_equal(m->thread_id, root_id);
	assert_non_null(strstr(m->text, "U1 has answered (1 so far)"));
	assert_null(strstr(m->text, "EXPLAIN"));

	/* pressing again after answering: told so, privately (a DM here) */
	assert_int_equal(event(x, PLATFORM_EV_BUTTON, "test:C1", "test:U1", root_id, NULL,
	    true, "answer"), 0);
	assert_int_equal(nmsgs(x), 5);
	assert_true(msg(x, 4)->dm);
	assert_non_null(strstr(msg(x, 4)->text, "answered this one already"));

	/* a later DM is practice again, not a second answer */
	assert_int_equal(event(x, PLATFORM_EV_MESSAGE, "test:D-U1", "test:U1", NULL, "d2",
	    true, "another thought"), 0);
	assert_non_null(strstr(msg(x, nmsgs(x) - 1)->text, "no open question"));

	/* the next question reveals this one first: before it, once */
	n = nmsgs(x);
	chatsim_advance(&x->s, NINE + 86400);
	assert_int_equal(nmsgs(x), n + 3);
	assert_non_null(strstr(msg(x, n)->text, "Model answer"));
	assert_string_equal(msg(x, n)->thread_id, root_id);
	assert_non_null(strstr(msg(x, n + 1)->text, "1 answered"));
	assert_non_null(strstr(msg(x, n + 2)->text, "Question of the day"));
	assert_null(msg(x, n + 2)->thread_id);
	chatsim_advance(&x->s, NINE + 3 * 86400 + 3600);
	assert_int_equal(count_with(x, 0, "1 answered"), 1);
	/* thread of the first question: no answer text in it at all */
	for (size_t i = 0; i < nmsgs(x); i++) {
		m = msg(x, i);
		if (m->thread_id != NULL && strcmp(m->thread_id, root_id) == 0)
			assert_null(strstr(m->text, "EXPLAIN ANALYZE to read"));
	}
	stop(x);
}

/* feedback = "thread": the feedback is in the thread for all, still without the model answer. */
static void
test_feedback_in_thread(void **state)
{
	struct fx *x = start(false, true, true, 4 * 3600000);
	const struct testchat_msg *root, *m;
	char root_id[16];

	(void)state;
	chatsim_advance(&x->s, NINE);
	root = chatsim_last_question(&x->s, "test:C1");
	snprintf(root_id, sizeof(root_id), "%s", root->id);
	assert_int_equal(reply(x, "test:U1", root_id, "r1", GOOD_SLOW), 0);
	m = msg(x, 1);
	assert_string_equal(m->thread_id, root_id);
	assert_null(m->only_for);
	assert_non_null(strstr(m->text, "Covered"));
	assert_null(strstr(m->text, "Model answer"));
	stop(x);
}

/*
 * A restart between the post and the reveal: the reveal still comes at
 * its time, once, and the day's question is not posted again.
 */
static void
test_restart_keeps_reveal(void **state)
{
	struct fx *x = start(false, false, true, 4 * 3600000);
	const struct testchat_msg *root;
	char err[DRILL_ERRLEN] = "", root_id[16];

	(void)state;
	chatsim_advance(&x->s, NINE);
	root = chatsim_last_question(&x->s, "test:C1");
	snprintf(root_id, sizeof(root_id), "%s", root->id);
	assert_int_equal(reply(x, "test:U1", root_id, "r1", GOOD_SLOW), 0);
	chatsim_advance(&x->s, NINE + 3600);
	if (chatsim_restart(&x->s, err) != 0)
		fail_msg("restart: %s", err);
	/* a reply after the restart still finds its question */
	assert_int_equal(reply(x, "test:U2", root_id, "r2", "I am not sure."), 0);
	assert_int_equal(nmsgs(x), 3);
	chatsim_advance(&x->s, NINE + 4 * 3600 - 1);
	assert_int_equal(count_with(x, 0, "Model answer"), 0);
	x->s.now += 2 * 3600;	/* down again over the reveal time */
	if (chatsim_restart(&x->s, err) != 0)
		fail_msg("restart: %s", err);
	chatsim_advance(&x->s, x->s.now);
	assert_int_equal(count_with(x, 0, "Model answer"), 1);
	assert_int_equal(count_with(x, 0, "2 answered"), 1);
	assert_int_equal(count_with(x, 0, "Question of the day"), 1);
	chatsim_advance(&x->s, NINE + 86400 - 1);
	assert_int_equal(count_with(x, 0, "Model answer"), 1);
	assert_int_equal(count_with(x, 0, "Question of the day"), 1);
	stop(x);
}

/* Admin commands in the channel; everyone else gets a polite no. */
static void
test_admin_commands(void **state)
{
	struct fx *x = start(false, false, true, 4 * 3600000);
	const struct testchat_msg *m;

	(void)state;
	assert_int_equal(event(x, PLATFORM_EV_MESSAGE, "test:C1", "test:U1", NULL, "a1",
	    true, "ask now"), 0);
	assert_int_equal(nmsgs(x), 1);
	m = msg(x, 0);
	assert_string_equal(m->only_for, "test:U1");
	assert_non_null(strstr(m->text, "only drilld's admins"));
	assert_int_equal(event(x, PLATFORM_EV_MESSAGE, "test:C1", "test:U1", NULL, "a2",
	    true, "schedule pause"), 0);
	assert_non_null(strstr(msg(x, 1)->text, "only drilld's admins"));

	/* ask now: a question at once, the scheduled one still comes */
	assert_int_equal(event(x, PLATFORM_EV_MESSAGE, "test:C1", "test:UADMIN", NULL, "a3",
	    true, "ask now"), 0);
	assert_int_equal(nmsgs(x), 3);
	assert_non_null(strstr(msg(x, 2)->text, "Question of the day"));
	assert_int_equal(msg(x, 2)->at, (int64_t)T0 * 1000);

	assert_int_equal(event(x, PLATFORM_EV_MESSAGE, "test:C1", "test:UADMIN", NULL, "a4",
	    true, "schedule"), 0);
	m = msg(x, nmsgs(x) - 1);
	assert_non_null(strstr(m->text, "`0 9 * * *` in UTC (from the config)"));
	assert_non_null(strstr(m->text, "2026-03-02T09:00:00Z"));

	assert_int_equal(event(x, PLATFORM_EV_MESSAGE, "test:C1", "test:UADMIN", NULL, "a5",
	    true, "schedule set \u201c30 10 * * 1-5\u201d Europe/London"), 0);
	m = msg(x, nmsgs(x) - 1);
	assert_non_null(strstr(m->text, "`30 10 * * 1-5` in Europe/London (set in chat)"));
	assert_non_null(strstr(m->text, "2026-03-02 10:30 GMT"));
	assert_int_equal(event(x, PLATFORM_EV_MESSAGE, "test:C1", "test:UADMIN", NULL, "a6",
	    true, "schedule set 61 * * * *"), 0);
	assert_non_null(strstr(msg(x, nmsgs(x) - 1)->text, "did not change"));
	assert_int_equal(event(x, PLATFORM_EV_MESSAGE, "test:C1", "test:UADMIN", NULL, "a7",
	    true, "schedule set \"0 8 * * *\" Mars/Olympus"), 0);
	assert_non_null(strstr(msg(x, nmsgs(x) - 1)->text, "did not change"));

	/* paused: nothing at 10:30; resumed: the next day's */
	assert_int_equal(event(x, PLATFORM_EV_MESSAGE, "test:C1", "test:UADMIN", NULL, "a8",
	    true, "schedule pause"), 0);
	assert_non_null(strstr(msg(x, nmsgs(x) - 1)->text, "paused"));
	chatsim_advance(&x->s, T0 + 12 * 3600);
	assert_int_equal(count_with(x, 0, "Question of the day"), 1);
	assert_int_equal(event(x, PLATFORM_EV_MESSAGE, "test:C1", "test:UADMIN", NULL, "a9",
	    true, "schedule resume"), 0);
	chatsim_advance(&x->s, T0 + 86400 + 3 * 3600);
	assert_int_equal(count_with(x, 0, "Question of the day"), 2);
	m = chatsim_last_question(&x->s, "test:C1");
	assert_int_equal(m->at, (int64_t)(T0 + 86400 + 2 * 3600 + 1800) * 1000);

	/* help in the channel: the admin commands for admins only */
	assert_int_equal(event(x, PLATFORM_EV_MESSAGE, "test:C1", "test:UADMIN", NULL, "a11",
	    true, "help"), 0);
	assert_non_null(strstr(msg(x, nmsgs(x) - 1)->text, "ask now"));
	assert_int_equal(event(x, PLATFORM_EV_MESSAGE, "test:C1", "test:U1", NULL, "a12",
	    true, "help"), 0);
	assert_null(strstr(msg(x, nmsgs(x) - 1)->text, "ask now"));
	assert_non_null(strstr(msg(x, nmsgs(x) - 1)->text, "first reply"));

	/* in a DM the commands say where they work */
	assert_int_equal(event(x, PLATFORM_EV_MESSAGE, "test:D-A", "test:UADMIN", NULL, "a10",
	    true, "ask now"), 0);
	assert_non_null(strstr(msg(x, nmsgs(x) - 1)->text, "works in a channel"));
	stop(x);
}

/* A repeated event id (a platform's retry) is handled once. */
static void
test_repeat_event_once(void **state)
{
	struct fx *x = start(false, false, true, 4 * 3600000);
	const struct testchat_msg *root;
	struct platform_event ev = {0};
	char root_id[16];

	(void)state;
	chatsim_advance(&x->s, NINE);
	root = chatsim_last_question(&x->s, "test:C1");
	snprintf(root_id, sizeof(root_id), "%s", root->id);
	ev.kind = PLATFORM_EV_MESSAGE;
	ev.event_id = "test:EvSAME";
	ev.conversation = "test:C1";
	ev.user = "test:U1";
	ev.text = GOOD_SLOW;
	ev.text_len = strlen(GOOD_SLOW);
	ev.message_id = "r1";
	ev.thread_id = root_id;
	assert_int_equal(chatsim_event(&x->s, &ev), 0);
	assert_int_equal(chatsim_event(&x->s, &ev), 0);
	assert_int_equal(nmsgs(x), 2);
	stop(x);
}

/* The root's send fails for good: its replies fail too, nothing hangs. */
static void
test_failed_root(void **state)
{
	struct fx *x = start(false, true, true, 3600000);
	struct store_outbox_counts c;

	(void)state;
	testchat_fail(x->s.tc, 1);
	chatsim_advance(&x->s, NINE + 2 * 3600);
	assert_int_equal(nmsgs(x), 0);
	assert_int_equal(store_outbox_counts(x->s.st, &c), 0);
	assert_int_equal(c.failed, 4);	/* the question, its model answer, its summary, its closing */
	assert_int_equal(c.queued + c.sending, 0);
	stop(x);
}

/* The last message, and whether it says needle. */
static bool
last_says(const struct fx *x, const char *needle)
{
	return nmsgs(x) > 0 && strstr(msg(x, nmsgs(x) - 1)->text, needle) != NULL;
}

/* The bank question whose prompt the message shows. */
static const struct bank_question *
question_in(const struct fx *x, const struct testchat_msg *m)
{
	for (size_t i = 0; i < bank_count(x->s.bank); i++) {
		const struct bank_question *q = bank_get(x->s.bank, i);
		char head[40];
		snprintf(head, sizeof(head), "%.39s", q->prompt);
		if (strstr(m->text, head) != NULL)
			return q;
	}
	return NULL;
}

static int
dm(struct fx *x, const char *user, const char *mid, const char *text)
{
	char conv[32];

	snprintf(conv, sizeof(conv), "test:D-%s", user + 5);
	return event(x, PLATFORM_EV_MESSAGE, conv, user, NULL, mid, true, text);
}

/*
 * A reveal that cannot be posted (its platform is gone) neither blocks the
 * other reveals nor stays due for ever.
 */
static void
test_failed_reveal_does_not_block(void **state)
{
	struct fx *x = start(false, false, true, 4 * 3600000);
	struct store_delivery d = {0};
	int64_t conv, did, at;

	(void)state;
	assert_int_equal(store_conversation_ensure(x->s.st, "gone:C9", STORE_CONV_CHANNEL,
	    T0, &conv), 0);
	d.conversation_id = conv;
	d.question_id = (char *)"mini.conflict";
	d.kind = (char *)"scheduled";
	d.created_at = T0 - 86400;
	d.reveal_at = T0 - 3600;
	assert_int_equal(store_delivery_add(x->s.st, &d, &did), 0);
	chatsim_advance(&x->s, NINE + 4 * 3600);
	assert_int_equal(count_with(x, 0, "Model answer"), 1);
	assert_int_equal(count_with(x, 0, "Summary"), 1);
	assert_int_equal(msg(x, 1)->at, (int64_t)(NINE + 4 * 3600) * 1000);
	assert_int_equal(store_reveal_next(x->s.st, 0, &did, &at), DRILL_ENOTFOUND);
	stop(x);
}

/*
 * Until its reveal, a channel's question is nobody's practice question;
 * someone who already has it as one gets no model answer for it.
 */
static void
test_practice_holds_channel_question(void **state)
{
	struct fx *x = start(false, false, true, 4 * 3600000);
	const struct bank_question *next, *q;
	bool repeat;
	int rc = 0, tries = 0;
	char mid[16];

	(void)state;
	/* U2 practises, until they hold the question the channel gets next */
	next = engine_next_for_conversation(x->s.engine, "test:C1", 0, 0, -1, T0,
	    &repeat, &rc);
	assert_non_null(next);
	assert_int_equal(dm(x, "test:U2", "p0", "practice"), 0);
	while ((q = question_in(x, msg(x, nmsgs(x) - 1))) != next) {
		assert_true(++tries < 20);
		assert_int_equal(dm(x, "test:U2", "p1", "skip"), 0);
	}
	chatsim_advance(&x->s, NINE);
	assert_ptr_equal(question_in(x, chatsim_last_question(&x->s, "test:C1")), next);
	assert_int_equal(dm(x, "test:U2", "p2", "model"), 0);
	assert_true(last_says(x, "comes there at the reveal"));
	assert_null(strstr(msg(x, nmsgs(x) - 1)->text, next->model_answer));
	assert_int_equal(dm(x, "test:U2", "p3", GOOD_SLOW), 0);
	assert_int_equal(count_with(x, 0, "Model answer"), 0);
	assert_true(last_says(x, "question of the day: its model answer"));

	/* U1's practice never draws it before the reveal */
	for (int i = 0; i < 8; i++) {
		snprintf(mid, sizeof(mid), "u%d", i);
		assert_int_equal(dm(x, "test:U1", mid, i ? "skip" : "practice"), 0);
		q = question_in(x, msg(x, nmsgs(x) - 1));
		assert_non_null(q);
		assert_ptr_not_equal(q, next);
	}
	stop(x);
}

/* Edits that would be scored with the model answer in view are not. */
static void
test_edit_after_model_seen(void **state)
{
	struct fx *x = start(false, false, true, 3600000);
	const struct testchat_msg *root;
	struct store_progress p;
	int64_t person;
	char root_id[16];

	(void)state;
	chatsim_advance(&x->s, NINE + 55 * 60);
	root = chatsim_last_question(&x->s, "test:C1");
	snprintf(root_id, sizeof(root_id), "%s", root->id);
	assert_int_equal(reply(x, "test:U1", root_id, "r1", "I am not sure."), 0);
	chatsim_advance(&x->s, NINE + 62 * 60);
	assert_int_equal(count_with(x, 0, "Model answer"), 1);
	assert_int_equal(event(x, PLATFORM_EV_EDIT, "test:C1", "test:U1", root_id, "r1",
	    false, GOOD_SLOW), 0);
	assert_true(last_says(x, "revealed since you answered"));
	assert_int_equal(store_person_find(x->s.st, "test:U1", &person), 0);
	assert_int_equal(store_progress_get(x->s.st, person, &p), 0);
	assert_true(p.score_sum < 30);

	/* a practice answer's feedback shows the model answer: no re-score */
	assert_int_equal(dm(x, "test:U3", "q0", "practice"), 0);
	assert_int_equal(dm(x, "test:U3", "q1", "I am not sure."), 0);
	assert_int_equal(event(x, PLATFORM_EV_EDIT, "test:D-U3", "test:U3", NULL, "q1",
	    true, GOOD_SLOW), 0);
	assert_true(last_says(x, "does not change the score"));
	assert_int_equal(store_person_find(x->s.st, "test:U3", &person), 0);
	assert_int_equal(store_progress_get(x->s.st, person, &p), 0);
	assert_true(p.score_sum < 30);
	stop(x);
}

/*
 * Private answers: the last "Answer privately" pressed is the one
 * answered; one not answered by the reveal must be asked for again; a
 * practice question asked for in the DM comes before it; an answer that
 * starts like a command is still an answer.
 */
static void
test_private_answer_pending(void **state)
{
	struct fx *x = start_n(2, true, false, false, 2 * 3600000);
	char c1[16], c2[16];

	(void)state;
	chatsim_advance(&x->s, NINE + 3600);
	snprintf(c1, sizeof(c1), "%s", chatsim_last_question(&x->s, "test:C1")->id);
	snprintf(c2, sizeof(c2), "%s", chatsim_last_question(&x->s, "test:C2")->id);

	/* U1: C2 pressed, then C1: the answer is C1's */
	assert_int_equal(event(x, PLATFORM_EV_BUTTON, "test:C2", "test:U1", c2, NULL, true,
	    "answer"), 0);
	assert_int_equal(event(x, PLATFORM_EV_BUTTON, "test:C1", "test:U1", c1, NULL, true,
	    "answer"), 0);
	assert_int_equal(dm(x, "test:U1", "d1", GOOD_SLOW), 0);
	assert_true(last_says(x, "U1 has answered (1 so far)"));
	assert_string_equal(msg(x, nmsgs(x) - 1)->thread_id, c1);

	/* U4: an answer that starts with a command word */
	assert_int_equal(event(x, PLATFORM_EV_BUTTON, "test:C2", "test:U4", c2, NULL, true,
	    "answer"), 0);
	assert_int_equal(dm(x, "test:U4", "d4", "Dispute resolution is where I would "
	    "start, because the team disagreed."), 0);
	assert_true(last_says(x, "U4 has answered (1 so far)"));
	assert_string_equal(msg(x, nmsgs(x) - 1)->thread_id, c2);

	/* U3: practice asked for in the DM comes first */
	assert_int_equal(event(x, PLATFORM_EV_BUTTON, "test:C2", "test:U3", c2, NULL, true,
	    "answer"), 0);
	assert_int_equal(dm(x, "test:U3", "d3a", "practice"), 0);
	assert_true(last_says(x, "Question ·"));
	assert_int_equal(dm(x, "test:U3", "d3b", GOOD_SLOW), 0);
	assert_int_equal(count_with(x, 0, "U3 has answered"), 0);

	/* U2: pressed before C1's reveal, answers after it: asked again */
	assert_int_equal(event(x, PLATFORM_EV_BUTTON, "test:C1", "test:U2", c1, NULL, true,
	    "answer"), 0);
	chatsim_advance(&x->s, NINE + 2 * 3600);
	assert_int_equal(count_with(x, 0, "1 answered"), 1);
	assert_int_equal(dm(x, "test:U2", "d2", GOOD_SLOW), 0);
	assert_true(last_says(x, "no open question"));
	assert_int_equal(count_with(x, 0, "U2 has answered"), 0);
	/* pressed again after the reveal: taken, and marked late */
	assert_int_equal(event(x, PLATFORM_EV_BUTTON, "test:C1", "test:U2", c1, NULL, true,
	    "answer"), 0);
	assert_int_equal(dm(x, "test:U2", "d2b", GOOD_SLOW), 0);
	assert_true(last_says(x, "U2 has answered, late (2 so far)"));
	stop(x);
}

/* Ids and names from outside are bounded. */
static void
test_long_ids(void **state)
{
	struct fx *x = start(false, false, true, 4 * 3600000);
	char big[400], root_id[16];
	struct platform_event ev = {0};

	(void)state;
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	chatsim_advance(&x->s, NINE);
	snprintf(root_id, sizeof(root_id), "%s", chatsim_last_question(&x->s, "test:C1")->id);
	/* a thread id too long is no thread: not an answer */
	assert_int_equal(reply(x, "test:U1", big, "r1", GOOD_SLOW), 0);
	assert_int_equal(nmsgs(x), 1);
	/* a message id too long: the answer counts, without one */
	assert_int_equal(reply(x, "test:U1", root_id, big, GOOD_SLOW), 0);
	assert_int_equal(nmsgs(x), 2);
	/* a conversation or user name too long: dropped */
	ev.kind = PLATFORM_EV_MESSAGE;
	ev.conversation = big;
	ev.user = "test:U1";
	ev.text = "help";
	ev.text_len = 4;
	ev.addressed = true;
	assert_int_equal(chatsim_event(&x->s, &ev), DRILL_EINVAL);
	ev.conversation = "test:C1";
	ev.user = big;
	assert_int_equal(chatsim_event(&x->s, &ev), DRILL_EINVAL);
	ev.user = NULL;
	assert_int_equal(chatsim_event(&x->s, &ev), DRILL_EINVAL);
	assert_int_equal(nmsgs(x), 2);
	stop(x);
}

/*
 * `practice` asked for in a channel: the question starts a thread for the
 * person who asked; their replies there are answers, with the feedback
 * and the model answer in the thread; others' replies are conversation.
 */
static void
test_practice_in_channel(void **state)
{
	struct fx *x = start(false, false, true, 4 * 3600000);
	const struct testchat_msg *root;
	char root_id[16];
	size_t n;

	(void)state;
	assert_int_equal(event(x, PLATFORM_EV_MESSAGE, "test:C1", "test:U1", NULL, "p1",
	    true, "practice"), 0);
	assert_int_equal(nmsgs(x), 1);
	root = msg(x, 0);
	assert_null(root->thread_id);
	assert_null(root->only_for);
	assert_non_null(strstr(root->text, "U1 asked to practise in public"));
	snprintf(root_id, sizeof(root_id), "%s", root->id);

	/* someone else's reply: conversation */
	assert_int_equal(reply(x, "test:U2", root_id, "p2", GOOD_SLOW), 0);
	assert_int_equal(nmsgs(x), 1);
	/* a hint, asked for in the thread, comes in the thread */
	assert_int_equal(event(x, PLATFORM_EV_MESSAGE, "test:C1", "test:U1", root_id, "p3",
	    true, "hint"), 0);
	assert_int_equal(nmsgs(x), 2);
	assert_string_equal(msg(x, 1)->thread_id, root_id);
	assert_non_null(strstr(msg(x, 1)->text, "Hint 1 of"));
	/* the asker's reply is the answer: feedback and model answer in the thread */
	assert_int_equal(reply(x, "test:U1", root_id, "p4", GOOD_SLOW), 0);
	n = nmsgs(x);
	assert_true(n >= 4);
	for (size_t i = 2; i < n; i++) {
		assert_string_equal(msg(x, i)->thread_id, root_id);
		assert_null(msg(x, i)->only_for);
	}
	assert_true(count_with(x, 2, "Model answer") == 1);
	/* a second reply: no open question in this thread any more */
	assert_int_equal(reply(x, "test:U1", root_id, "p5", "one more thought"), 0);
	assert_non_null(strstr(msg(x, nmsgs(x) - 1)->text, "This question is closed"));
	assert_string_equal(msg(x, nmsgs(x) - 1)->only_for, "test:U1");
	stop(x);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_thread_answers),
		cmocka_unit_test(test_edits),
		cmocka_unit_test(test_dm_answers),
		cmocka_unit_test(test_feedback_in_thread),
		cmocka_unit_test(test_restart_keeps_reveal),
		cmocka_unit_test(test_admin_commands),
		cmocka_unit_test(test_repeat_event_once),
		cmocka_unit_test(test_failed_root),
		cmocka_unit_test(test_failed_reveal_does_not_block),
		cmocka_unit_test(test_practice_holds_channel_question),
		cmocka_unit_test(test_edit_after_model_seen),
		cmocka_unit_test(test_private_answer_pending),
		cmocka_unit_test(test_long_ids),
		cmocka_unit_test(test_practice_in_channel),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
