/*
 * Tests for engine.c through the platform interface: a fake clock, a real
 * store in a temporary directory, tests/data/mini.json, and replies captured
 * as console text.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "drill/bank.h"
#include "drill/config.h"
#include "drill/engine.h"
#include "drill/render.h"
#include "drill/store.h"
#include "drill/vocab.h"

struct fixture {
	char dir[64];
	struct store *store;
	struct bank *bank;
	struct config cfg;
	struct engine *engine;
	int64_t now;
	char out[65536];	/* replies since the last reset */
	size_t outlen;
	int nreplies;
};

static int64_t
fake_clock(void *arg)
{
	return ((struct fixture *)arg)->now;
}

static void
capture(void *arg, const struct platform_event *ev, const struct msg *m)
{
	struct fixture *f = arg;
	char *s = render_console(m, false);

	(void)ev;
	assert_non_null(s);
	f->outlen += (size_t)snprintf(f->out + f->outlen, sizeof(f->out) - f->outlen, "%s\n", s);
	f->nreplies++;
	free(s);
}

static int
send_text(struct fixture *f, const char *text, size_t len)
{
	struct platform_event ev = {
		.kind = PLATFORM_EV_MESSAGE, .conversation = "console:local",
		.conv_kind = PLATFORM_DM, .user = "console:local", .text = text,
		.text_len = len, .ts = f->now, .addressed = true,
	};
	f->outlen = 0;
	f->out[0] = '\0';
	f->nreplies = 0;
	return engine_handle(f->engine, &ev, capture, f);
}

static int
say(struct fixture *f, const char *text)
{
	return send_text(f, text, strlen(text));
}

/* Sends an event of kind with an event id (NULL: none). */
static int
send_event(struct fixture *f, enum platform_event_kind kind, const char *event_id,
    const char *text)
{
	struct platform_event ev = {
		.kind = kind, .event_id = event_id, .conversation = "slack:D1",
		.conv_kind = PLATFORM_DM, .user = "slack:U1", .text = text,
		.text_len = text != NULL ? strlen(text) : 0, .ts = f->now, .addressed = true,
	};
	f->outlen = 0;
	f->out[0] = '\0';
	f->nreplies = 0;
	return engine_handle(f->engine, &ev, capture, f);
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	const char *paths[] = {"tests/data/mini.json"};
	struct drill_errors e;
	char db[128], err[DRILL_ERRLEN];
	struct engine_deps deps = {0};

	snprintf(f->dir, sizeof(f->dir), "/tmp/drill-engine-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(db, sizeof(db), "%s/drilld.db", f->dir);
	if (store_open(db, 0, 1000, &f->store, err) != 0 || bank_load(paths, 1, &f->bank, &e) != 0)
		return -1;
	drill_errors_free(&e);
	f->cfg.practice.level = 1;
	f->cfg.practice.max_answer = 4096;
	f->now = 1764000000;	/* 2025-11-24T16:00:00Z */
	deps.store = f->store;
	deps.bank = f->bank;
	deps.cfg = &f->cfg;
	deps.clock = fake_clock;
	deps.clock_arg = f;
	deps.seed = 42;
	f->engine = engine_new(&deps);
	*state = f;
	return f->engine == NULL;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	engine_free(f->engine);
	bank_free(f->bank);
	store_close(f->store);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

static const char good_answer[] =
    "I would run EXPLAIN ANALYZE to read the query plan first, because guessing "
    "wastes time. Usually a missing index causes a sequential scan, so I add a "
    "composite index. I look for N+1 queries and paginate, and for example I "
    "measured p95 latency drop from 4 s to 30 ms.";

static void
test_practice_answer_feedback(void **state)
{
	struct fixture *f = *state;
	struct store_progress p;
	int64_t person;

	assert_int_equal(say(f, "practice databases"), 0);
	assert_non_null(strstr(f->out, "A query that used to take 20 ms"));
	assert_int_equal(say(f, good_answer), 0);
	assert_int_equal(f->nreplies, 2);
	assert_non_null(strstr(f->out, "Score "));
	assert_non_null(strstr(f->out, "Covered"));
	assert_non_null(strstr(f->out, "Model answer"));
	assert_non_null(strstr(f->out, "Follow-up question: When would you denormalise"));
	assert_int_equal(store_person_find(f->store, "console:local", &person), 0);
	assert_int_equal(store_progress_get(f->store, person, &p), 0);
	assert_int_equal(p.answered, 1);
	assert_true(p.score_sum >= 60);
	/* the question is closed: another answer has nothing to answer */
	assert_int_equal(say(f, good_answer), 0);
	assert_non_null(strstr(f->out, "You have no open question"));
}

static void
test_streak_over_days(void **state)
{
	struct fixture *f = *state;

	for (int day = 0; day < 3; day++) {
		assert_int_equal(say(f, "practice databases"), 0);
		assert_int_equal(say(f, good_answer), 0);
		f->now += 86400;
	}
	assert_int_equal(say(f, "stats"), 0);
	assert_non_null(strstr(f->out, "Answered: 3"));
	assert_non_null(strstr(f->out, "Streak: 3 days (best 3)"));
	assert_non_null(strstr(f->out, "Weakest topic:"));
	f->now += 3 * 86400;	/* a gap breaks the current streak, not the best */
	assert_int_equal(say(f, "stats"), 0);
	assert_non_null(strstr(f->out, "Streak: 0 days (best 3)"));
}

static void
test_hint_model_skip(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(say(f, "hint"), 0);
	assert_non_null(strstr(f->out, "You have no open question"));
	assert_int_equal(say(f, "practice databases"), 0);
	assert_int_equal(say(f, "hint"), 0);
	assert_non_null(strstr(f->out, "Hint 1 of 5 (query plan)"));
	assert_int_equal(say(f, "hint"), 0);
	assert_non_null(strstr(f->out, "Hint 2 of 5 (indexes)"));
	assert_int_equal(say(f, "model"), 0);
	assert_non_null(strstr(f->out, "Model answer"));
	assert_int_equal(say(f, "next"), 0);
	assert_non_null(strstr(f->out, "You still have an open question"));
	assert_int_equal(say(f, good_answer), 0);
	assert_non_null(strstr(f->out, "hints used; answered after seeing the model answer"));
	assert_int_equal(say(f, "practice databases"), 0);
	assert_int_equal(say(f, "skip"), 0);
	/* the only databases question was skipped: another one comes */
	assert_non_null(strstr(f->out, "Question ·"));
	assert_null(strstr(f->out, "A query that used to take 20 ms"));
}

static void
test_bad_input_changes_nothing(void **state)
{
	struct fixture *f = *state;
	char big[5000];
	int64_t person;
	struct store_progress p;

	assert_int_equal(say(f, "practice databases"), 0);
	assert_int_equal(say(f, "   \n\t "), 0);
	assert_non_null(strstr(f->out, "That answer is empty"));
	assert_int_equal(say(f, "\xe3\x80\x80 \xc2\xa0\n"), 0);	/* Unicode spaces only */
	assert_non_null(strstr(f->out, "That answer is empty"));
	assert_int_equal(send_text(f, "index \xff\xfe", 8), 0);
	assert_non_null(strstr(f->out, "not valid UTF-8"));
	memset(big, 'a', sizeof(big));
	assert_int_equal(send_text(f, big, sizeof(big)), 0);
	assert_non_null(strstr(f->out, "over the size limit"));
	assert_int_equal(say(f, "practice astrology"), 0);
	assert_non_null(strstr(f->out, "I don't know \"astrology\""));
	assert_int_equal(store_person_find(f->store, "console:local", &person), 0);
	assert_int_equal(store_progress_get(f->store, person, &p), 0);
	assert_int_equal(p.answered, 0);
	/* the question is still open after all that */
	assert_int_equal(say(f, good_answer), 0);
	assert_non_null(strstr(f->out, "Score "));
}

static void
test_dispute_and_help(void **state)
{
	struct fixture *f = *state;
	int64_t person, aid;

	assert_int_equal(say(f, "dispute"), 0);
	assert_non_null(strstr(f->out, "no score of yours to dispute"));
	assert_int_equal(say(f, "practice databases"), 0);
	assert_int_equal(say(f, good_answer), 0);
	assert_int_equal(say(f, "dispute I covered pagination"), 0);
	assert_non_null(strstr(f->out, "your dispute is stored"));
	assert_int_equal(store_person_find(f->store, "console:local", &person), 0);
	assert_int_equal(store_answer_last(f->store, person, &aid), 0);
	assert_int_equal(say(f, "help"), 0);
	assert_non_null(strstr(f->out, "practice [topic|type] [level]"));
	assert_non_null(strstr(f->out, "quit"));
	assert_int_equal(say(f, "topics"), 0);
	assert_non_null(strstr(f->out, "3 questions"));
	assert_non_null(strstr(f->out, "databases: 1"));
}

static void
test_answers_that_look_like_commands(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(say(f, "practice databases"), 0);
	assert_int_equal(say(f, "Dispute resolution is not the point: I would read the query plan"), 0);
	assert_non_null(strstr(f->out, "Score "));
	assert_int_equal(say(f, "practice databases"), 0);
	assert_int_equal(say(f, "Practice makes perfect"), 0);
	assert_non_null(strstr(f->out, "Score "));
	assert_int_equal(send_text(f, "hint\0garbage", 12), 0);
	assert_non_null(strstr(f->out, "control characters"));
}

static void
test_skip_and_next_keep_the_filter(void **state)
{
	struct fixture *f = *state;

	for (int i = 0; i < 4; i++) {
		assert_int_equal(say(f, "practice technical"), 0);
		assert_non_null(strstr(f->out, "· technical ·"));
		assert_int_equal(say(f, "skip"), 0);
		assert_non_null(strstr(f->out, "· technical ·"));
		assert_int_equal(say(f, good_answer), 0);
		assert_int_equal(say(f, "next"), 0);
		assert_non_null(strstr(f->out, "· technical ·"));
		assert_int_equal(say(f, "skip"), 0);
	}
}

static void
test_hello_resumes_open_question(void **state)
{
	struct fixture *f = *state;
	struct platform_event ev = {
		.kind = PLATFORM_EV_HELLO, .conversation = "console:local",
		.conv_kind = PLATFORM_DM, .user = "console:local", .addressed = true,
	};

	assert_int_equal(engine_handle(f->engine, &ev, capture, f), 0);
	assert_non_null(strstr(f->out, "interview practice"));
	assert_non_null(strstr(f->out, "Question ·"));
	f->outlen = 0;
	assert_int_equal(engine_handle(f->engine, &ev, capture, f), 0);
	assert_non_null(strstr(f->out, "Your open question from last time"));
}

static void
test_channel_messages_need_addressing(void **state)
{
	struct fixture *f = *state;
	struct platform_event ev = {
		.kind = PLATFORM_EV_MESSAGE, .conversation = "slack:C1",
		.conv_kind = PLATFORM_CHANNEL, .user = "slack:U1", .text = "help",
		.text_len = 4, .addressed = false,
	};

	f->nreplies = 0;
	assert_int_equal(engine_handle(f->engine, &ev, capture, f), 0);
	assert_int_equal(f->nreplies, 0);
}

/*
 * The platform interface: a repeated event id is handled once (a Slack
 * retry does not ask two questions); slash commands and buttons are
 * commands even while a question is open, and an unknown one says so;
 * edits, deletions and joins change nothing outside channel threads.
 */
static void
test_platform_events(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(send_event(f, PLATFORM_EV_COMMAND, "slack:Ev1", "practice databases"), 0);
	assert_int_equal(f->nreplies, 1);
	assert_non_null(strstr(f->out, "Question"));
	assert_int_equal(send_event(f, PLATFORM_EV_COMMAND, "slack:Ev1", "practice databases"), 0);
	assert_int_equal(f->nreplies, 0);	/* the retry is dropped */

	/* a button while the question is open: a command, not an answer */
	assert_int_equal(send_event(f, PLATFORM_EV_BUTTON, "slack:Ev2", "hint"), 0);
	assert_non_null(strstr(f->out, "Hint 1 of"));
	assert_null(strstr(f->out, "Score"));
	assert_int_equal(send_event(f, PLATFORM_EV_COMMAND, "slack:Ev3", "dance"), 0);
	assert_non_null(strstr(f->out, "I do not know that command"));

	/* an edit says nothing; a join introduces the bot, once ever; the
	 * question is still open */
	assert_int_equal(send_event(f, PLATFORM_EV_EDIT, "slack:Ev4", "changed"), 0);
	assert_int_equal(f->nreplies, 0);
	assert_int_equal(send_event(f, PLATFORM_EV_JOIN, "slack:Ev5", NULL), 0);
	assert_int_equal(f->nreplies, 1);
	assert_non_null(strstr(f->out, "Hello, I am drilld"));
	assert_non_null(strstr(f->out, "`practice`"));
	assert_int_equal(send_event(f, PLATFORM_EV_JOIN, "slack:Ev5b", NULL), 0);
	assert_int_equal(f->nreplies, 0);
	/* the home view: stats, the daily question and the commands, and no
	 * answer is taken from it */
	assert_int_equal(send_event(f, PLATFORM_EV_HOME, "slack:Ev5c", NULL), 0);
	assert_non_null(strstr(f->out, "Your practice"));
	assert_non_null(strstr(f->out, "No daily question yet"));
	assert_non_null(strstr(f->out, "subscribe"));
	assert_null(strstr(f->out, "Score"));
	/* the platform's zone for a person, told apart from an event */
	assert_int_equal(engine_person_zone(f->engine, "slack:U1", "Asia/Kolkata"), 0);
	assert_int_equal(engine_person_zone(f->engine, "slack:U1", "Mars/Olympus"), 0);
	assert_int_equal(engine_person_zone(f->engine, "slack:U404", "Asia/Kolkata"), 0);
	assert_int_equal(send_event(f, PLATFORM_EV_COMMAND, "slack:Ev5d", "tz"), 0);
	assert_non_null(strstr(f->out, "Asia/Kolkata"));
	assert_int_equal(send_event(f, PLATFORM_EV_MESSAGE, "slack:Ev6",
	    "I would run EXPLAIN ANALYZE and add an index."), 0);
	assert_non_null(strstr(f->out, "Score"));

	/* a day later the same id is forgotten and handled again */
	f->now += 2 * 86400;
	assert_int_equal(send_event(f, PLATFORM_EV_COMMAND, "slack:Ev1", "topics"), 0);
	assert_int_equal(f->nreplies, 1);
	/* an id longer than any platform's is not kept: no de-duplication */
	{
		char longid[1000];

		memset(longid, 'x', sizeof(longid) - 1);
		longid[sizeof(longid) - 1] = '\0';
		assert_int_equal(send_event(f, PLATFORM_EV_COMMAND, longid, "topics"), 0);
		assert_int_equal(send_event(f, PLATFORM_EV_COMMAND, longid, "topics"), 0);
		assert_int_equal(f->nreplies, 1);
	}
	/* events without an id are never dropped */
	assert_int_equal(send_event(f, PLATFORM_EV_COMMAND, NULL, "topics"), 0);
	assert_int_equal(send_event(f, PLATFORM_EV_COMMAND, NULL, "topics"), 0);
	assert_int_equal(f->nreplies, 1);
}

/* Posts question id to the whole conversation, as a channel schedule will. */
static void
post_to(struct fixture *f, const char *conv, const char *qid)
{
	struct store_delivery d = {0};
	int64_t cid, did;

	assert_int_equal(store_conversation_ensure(f->store, conv, STORE_CONV_CHANNEL,
	    f->now, &cid), 0);
	d.conversation_id = cid;
	d.question_id = (char *)qid;
	d.kind = (char *)"scheduled";
	d.created_at = f->now;
	assert_int_equal(store_delivery_add(f->store, &d, &did), 0);
}

/*
 * Rotation per conversation: no question comes twice until the filtered
 * pool is used up; each channel has its own history; practice questions
 * asked by a person there do not count; filters hold; the same seed and
 * history give the same choice.
 */
static void
test_conversation_rotation(void **state)
{
	struct fixture *f = *state;
	const struct bank_question *q;
	const char *got[6];
	bool repeat = true;
	int rc = 0;

	for (int i = 0; i < 3; i++) {
		q = engine_next_for_conversation(f->engine, "slack:C1", 0, 0, -1, f->now, &repeat, &rc);
		assert_non_null(q);
		assert_false(repeat);
		for (int j = 0; j < i; j++)
			assert_string_not_equal(got[j], q->id);
		got[i] = q->id;
		post_to(f, "slack:C1", q->id);
	}
	/* all three used: the pool starts over, and the second round too
	 * has each question once before any comes a third time */
	for (int i = 0; i < 3; i++) {
		q = engine_next_for_conversation(f->engine, "slack:C1", 0, 0, -1, f->now, &repeat, &rc);
		assert_non_null(q);
		assert_true(repeat);
		for (int j = 3; j < 3 + i; j++)
			assert_string_not_equal(got[j], q->id);
		got[3 + i] = q->id;
		post_to(f, "slack:C1", q->id);
	}

	/* another channel has its own history */
	q = engine_next_for_conversation(f->engine, "slack:C2", 0, 0, -1, f->now, &repeat, &rc);
	assert_non_null(q);
	assert_false(repeat);

	/* filters: the caching topic has one question; a type it lacks, none */
	q = engine_next_for_conversation(f->engine, "slack:C3",
	    1u << vocab_topic_parse("caching"), 0, -1, f->now, &repeat, &rc);
	assert_non_null(q);
	assert_string_equal(q->id, "mini.cache-ttl");
	post_to(f, "slack:C3", q->id);
	q = engine_next_for_conversation(f->engine, "slack:C3",
	    1u << vocab_topic_parse("caching"), 0, -1, f->now, &repeat, &rc);
	assert_string_equal(q->id, "mini.cache-ttl");
	assert_true(repeat);
	assert_null(engine_next_for_conversation(f->engine, "slack:C3", 0,
	    1u << vocab_type_parse("system-design"), -1, f->now, &repeat, &rc));
	q = engine_next_for_conversation(f->engine, "slack:C4", 0,
	    1u << vocab_type_parse("behavioral"), vocab_level_parse("junior"), f->now, &repeat, &rc);
	assert_non_null(q);
	assert_string_equal(q->id, "mini.conflict");

	/* a person's practice in the channel is not the channel's history */
	{
		struct store_delivery d = {0};
		int64_t cid, pid, did;

		assert_int_equal(store_conversation_ensure(f->store, "slack:C5",
		    STORE_CONV_CHANNEL, f->now, &cid), 0);
		assert_int_equal(store_person_ensure(f->store, "slack:U5", f->now, &pid), 0);
		d.conversation_id = cid;
		d.person_id = pid;
		d.question_id = (char *)"mini.cache-ttl";
		d.kind = (char *)"practice";
		d.created_at = f->now;
		assert_int_equal(store_delivery_add(f->store, &d, &did), 0);
	}
	q = engine_next_for_conversation(f->engine, "slack:C5",
	    1u << vocab_topic_parse("caching"), 0, -1, f->now, &repeat, &rc);
	assert_string_equal(q->id, "mini.cache-ttl");
	assert_false(repeat);
}

/*
 * The same history gives the same channel question whatever the engine's
 * seed (a restarted daemon has a new one), and another channel gets its
 * own order.
 */
static void
test_conversation_rotation_seeded(void **state)
{
	struct fixture *f = *state;
	struct engine_deps deps = {0};
	struct engine *other;
	const struct bank_question *a, *b;
	bool repeat;
	int rc = 0;

	deps.store = f->store;
	deps.bank = f->bank;
	deps.cfg = &f->cfg;
	deps.clock = fake_clock;
	deps.clock_arg = f;
	deps.seed = 4242;	/* not the fixture's 42 */
	assert_non_null(other = engine_new(&deps));
	for (int i = 0; i < 5; i++) {
		a = engine_next_for_conversation(f->engine, "slack:C9", 0, 0, -1, f->now, &repeat, &rc);
		b = engine_next_for_conversation(other, "slack:C9", 0, 0, -1, f->now, &repeat, &rc);
		assert_non_null(a);
		assert_ptr_equal(a, b);
		post_to(f, "slack:C9", a->id);
	}
	engine_free(other);
	/* channels do not all start with the same question */
	{
		const struct bank_question *first = NULL;
		bool differ = false;
		char name[32];
		for (int i = 0; i < 10; i++) {
			snprintf(name, sizeof(name), "slack:C%d", 100 + i);
			a = engine_next_for_conversation(f->engine, name, 0, 0, -1, f->now, &repeat, &rc);
			assert_non_null(a);
			differ |= first != NULL && a != first;
			first = first ? first : a;
		}
		assert_true(differ);
	}
}

static void
test_local_day(void **state)
{
	(void)state;
	setenv("TZ", "UTC", 1);
	assert_int_equal(drill_local_day(0), 0);
	assert_int_equal(drill_local_day(86399), 0);
	assert_int_equal(drill_local_day(86400), 1);
	assert_int_equal(drill_local_day(1764000000), 20416);
	assert_int_equal(drill_local_day(-1), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_practice_answer_feedback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_streak_over_days, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hint_model_skip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_input_changes_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dispute_and_help, setup, teardown),
		cmocka_unit_test_setup_teardown(test_answers_that_look_like_commands, setup, teardown),
		cmocka_unit_test_setup_teardown(test_skip_and_next_keep_the_filter, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hello_resumes_open_question, setup, teardown),
		cmocka_unit_test_setup_teardown(test_channel_messages_need_addressing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_platform_events, setup, teardown),
		cmocka_unit_test_setup_teardown(test_conversation_rotation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_conversation_rotation_seeded, setup, teardown),
		cmocka_unit_test(test_local_day),
	};
	setenv("TZ", "UTC", 1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
