/*
 * engine.c - the practice loop and the commands, for every platform.
 *
 * It turns one normalised event into store writes and reply messages. It
 * does not render (render.c), does not send (adapters and, later, the
 * outbox), does not schedule (scheduler), and never trusts the event's text:
 * length, emptiness and UTF-8 are checked before anything is stored.
 */
#include "drill/engine.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "drill/command.h"
#include "drill/feedback.h"
#include "drill/log.h"
#include "drill/scorer.h"
#include "drill/text.h"
#include "drill/vocab.h"

#define SEEN_KEEP_S 86400		/* a platform's repeats come within a day */
#define SEEN_PRUNE_EVERY_S 3600
#define EVENT_ID_MAX 255		/* bytes; Slack and Matrix ids are far shorter */

struct engine {
	struct store *store;
	const struct bank *bank;
	const struct config *cfg;
	struct scorer *scorer;
	engine_clock_fn clock;
	void *clock_arg;
	uint64_t rng;
	int64_t pruned_at;	/* when seen events were last pruned */
};

/* Per-event context: who, where, and how to reply. */
struct turn {
	struct engine *e;
	const struct platform_event *ev;
	platform_reply_fn reply;
	void *arg;
	int64_t now;
	int64_t person;
	int64_t conv;
};

static int64_t
now_of(struct engine *e)
{
	return e->clock ? e->clock(e->clock_arg) : (int64_t)time(NULL);
}

struct engine *
engine_new(const struct engine_deps *deps)
{
	struct engine *e;

	if ((e = calloc(1, sizeof(*e))) == NULL)
		return NULL;
	e->store = deps->store;
	e->bank = deps->bank;
	e->cfg = deps->cfg;
	e->clock = deps->clock;
	e->clock_arg = deps->clock_arg;
	e->rng = deps->seed ? deps->seed : 0x9e3779b97f4a7c15ULL;
	if ((e->scorer = scorer_new(deps->bank)) == NULL) {
		free(e);
		return NULL;
	}
	return e;
}

void
engine_free(struct engine *e)
{
	if (e == NULL)
		return;
	scorer_free(e->scorer);
	free(e);
}

int
engine_set_bank(struct engine *e, const struct bank *bank)
{
	struct scorer *s;

	if ((s = scorer_new(bank)) == NULL)
		return DRILL_ENOMEM;
	scorer_free(e->scorer);
	e->scorer = s;
	e->bank = bank;
	return 0;
}

static uint64_t
rnd(struct engine *e)
{
	/* xorshift64* */
	e->rng ^= e->rng >> 12;
	e->rng ^= e->rng << 25;
	e->rng ^= e->rng >> 27;
	return e->rng * 0x2545f4914f6cdd1dULL;
}

/* Sends m (if complete) and frees it. */
static void
send(struct turn *t, struct msg *m)
{
	if (m == NULL)
		return;
	if (!m->oom)
		t->reply(t->arg, t->ev, m);
	else
		log_warnx("reply dropped: out of memory");
	msg_free(m);
}

static void
say(struct turn *t, const char *text)
{
	struct msg *m = msg_new();

	if (m == NULL)
		return;
	msg_add(m, MSG_TEXT, "%s", text);
	send(t, m);
}

static void
say_store_error(struct turn *t, const char *what)
{
	log_error("store failed while %s person=%s", what, t->ev->user);
	say(t, "Sorry, something went wrong on my side and nothing was saved. "
	    "Please try again in a moment.");
}

static void
topics_line(uint32_t topics, char *buf, size_t sz)
{
	size_t o = 0;

	buf[0] = '\0';
	for (int i = 0; i < VOCAB_NTOPICS; i++) {
		if (!(topics & (1u << i)))
			continue;
		int n = snprintf(buf + o, sz - o, "%s%s", o ? ", " : "", vocab_topic_name(i));
		if (n < 0 || (size_t)n >= sz - o)
			break;
		o += (size_t)n;
	}
}

/* Posts the question q. */
static void
ask(struct turn *t, const struct bank_question *q, const char *intro)
{
	struct msg *m = msg_new();
	char topics[256];

	if (m == NULL)
		return;
	topics_line(q->topics, topics, sizeof(topics));
	if (intro)
		msg_add(m, MSG_TEXT, "%s", intro);
	msg_add(m, MSG_TITLE, "Question · %s · %s · %s", topics,
	    vocab_type_name(q->type), vocab_level_name(q->level));
	msg_add(m, MSG_TEXT, "%s", q->prompt);
	msg_add(m, MSG_BUTTONS, "%s", "");
	msg_add_item(m, "Hint", "hint");
	msg_add_item(m, "Skip", "skip");
	msg_add_item(m, "Show model answer", "model");
	send(t, m);
}

struct seen {
	const struct bank *bank;
	unsigned char *mark;	/* one byte per bank question */
};

static void
on_seen(void *arg, const char *qid)
{
	struct seen *s = arg;
	const struct bank_question *q = bank_find(s->bank, qid);

	if (q != NULL)
		s->mark[bank_index(s->bank, q)] = 1;
}

static int
matches(const struct bank_question *q, int topic, int type, int level)
{
	return (topic < 0 || (q->topics & (1u << topic))) &&
	    (type < 0 || q->type == type) && (level < 0 || q->level == level);
}

/*
 * Picks a question for the person: matching the filters, not yet asked if
 * any remain (otherwise starting over), chosen at random. When the level was
 * not asked for explicitly and nothing matches it, any level will do.
 * Returns NULL when nothing matches; *repeat says a question comes again.
 */
static const struct bank_question *
choose(struct turn *t, int topic, int type, int level, int level_explicit,
    const char *avoid, int *repeat)
{
	const struct bank *b = t->e->bank;
	size_t n = bank_count(b), nfresh = 0, nany = 0;
	struct seen seen = {b, NULL};
	const struct bank_question *pick = NULL;

	*repeat = 0;
	if ((seen.mark = calloc(n ? n : 1, 1)) == NULL)
		return NULL;
	if (store_person_questions(t->e->store, t->person, on_seen, &seen) != 0)
		log_warnx("could not read asked questions person=%s", t->ev->user);
	for (int pass = 0; pass < 2 && nany == 0; pass++) {
		int lv = pass == 0 ? level : (level_explicit ? level : -1);
		if (pass == 1 && lv == level)
			break;
		nfresh = nany = 0;
		for (size_t i = 0; i < n; i++) {
			const struct bank_question *q = bank_get(b, i);
			if (!matches(q, topic, type, lv) || (avoid && strcmp(q->id, avoid) == 0))
				continue;
			nany++;
			nfresh += !seen.mark[i];
		}
		if (nany == 0)
			continue;
		size_t k = (size_t)(rnd(t->e) % (nfresh ? nfresh : nany));
		for (size_t i = 0; i < n; i++) {
			const struct bank_question *q = bank_get(b, i);
			if (!matches(q, topic, type, lv) || (avoid && strcmp(q->id, avoid) == 0))
				continue;
			if (nfresh && seen.mark[i])
				continue;
			if (k-- == 0) {
				pick = q;
				break;
			}
		}
		*repeat = nfresh == 0;
	}
	free(seen.mark);
	return pick;
}

static bool
matches_sets(const struct bank_question *q, uint32_t topics, uint32_t types, int level)
{
	return (topics == 0 || (q->topics & topics) != 0) &&
	    (types == 0 || (q->type >= 0 && (types & (1u << q->type)) != 0)) &&
	    (level < 0 || q->level == level);
}

const struct bank_question *
engine_next_for_conversation(struct engine *e, const char *conversation,
    uint32_t topics, uint32_t types, int level, int64_t now, bool *repeat)
{
	const struct bank *b = e->bank;
	size_t n = bank_count(b), nfresh = 0, nany = 0, k;
	struct seen seen = {b, NULL};
	const struct bank_question *pick = NULL;
	int64_t conv;

	*repeat = false;
	if (store_conversation_ensure(e->store, conversation, STORE_CONV_CHANNEL, now,
	    &conv) != 0 || (seen.mark = calloc(n ? n : 1, 1)) == NULL)
		return NULL;
	if (store_conversation_questions(e->store, conv, on_seen, &seen) != 0)
		log_warnx("could not read the questions posted conversation=%s", conversation);
	for (size_t i = 0; i < n; i++) {
		if (!matches_sets(bank_get(b, i), topics, types, level))
			continue;
		nany++;
		nfresh += !seen.mark[i];
	}
	if (nany > 0) {
		/* a fresh one while any is left; when the pool is used up, any */
		k = (size_t)(rnd(e) % (nfresh ? nfresh : nany));
		for (size_t i = 0; i < n && pick == NULL; i++) {
			if (!matches_sets(bank_get(b, i), topics, types, level) ||
			    (nfresh && seen.mark[i]))
				continue;
			if (k-- == 0)
				pick = bank_get(b, i);
		}
		*repeat = nfresh == 0;
	}
	free(seen.mark);
	return pick;
}

static int
person_level(struct turn *t)
{
	int level = t->e->cfg->practice.level;
	bool set = false;
	int l;

	if (store_person_level(t->e->store, t->person, &l, &set) == 0 && set)
		level = l;
	return level;
}

/*
 * Creates a delivery for q (remembering the practice filter it was chosen
 * with, so skip and next keep to it), makes it the open question, posts it.
 */
static int
deliver(struct turn *t, const struct bank_question *q, const char *filter,
    const char *intro)
{
	struct store_delivery d = {0};
	int64_t id;
	int rc;

	d.conversation_id = t->conv;
	d.person_id = t->person;
	d.question_id = q->id;
	d.kind = "practice";
	d.message_id = NULL;
	d.thread_id = (char *)t->ev->thread_id;
	d.filter = filter[0] ? (char *)filter : NULL;
	d.created_at = t->now;
	if ((rc = store_begin(t->e->store)) != 0)
		goto fail;
	if ((rc = store_delivery_add(t->e->store, &d, &id)) != 0 ||
	    (rc = store_practice_set(t->e->store, t->person, t->conv, id)) != 0) {
		store_rollback(t->e->store);
		goto fail;
	}
	if ((rc = store_commit(t->e->store)) != 0) {
		store_rollback(t->e->store);
		goto fail;
	}
	log_info("question asked person=%s question=%s", t->ev->user, q->id);
	ask(t, q, intro);
	return 0;
fail:
	say_store_error(t, "asking a question");
	return rc;
}

/* Parses a stored practice filter back into a practice command. */
static void
filter_command(const char *filter, struct command *c)
{
	char buf[80];
	int n = snprintf(buf, sizeof(buf), "practice %s", filter ? filter : "");

	if (n < 0 || (size_t)n >= sizeof(buf) || command_parse(buf, (size_t)n, c) != CMD_PRACTICE)
		(void)command_parse("practice", 8, c);
}

static int
practice(struct turn *t, const struct command *c, const char *avoid)
{
	const struct bank_question *q;
	int level = c->level >= 0 ? c->level : person_level(t);
	char filter[64];
	int repeat;

	if (c->bad) {
		struct msg *m = msg_new();
		if (m == NULL)
			return DRILL_ENOMEM;
		msg_add(m, MSG_TEXT, "I don't know \"%s\". Try `practice` alone, "
		    "or with a topic, a type and/or a level; `topics` lists them.", c->arg);
		send(t, m);
		return 0;
	}
	q = choose(t, c->topic, c->type, level, c->level >= 0, avoid, &repeat);
	if (q == NULL && avoid != NULL && (c->topic >= 0 || c->type >= 0 || c->level >= 0)) {
		/* skipping the last question of a filter: any other will do */
		struct command any;
		filter_command(NULL, &any);
		return practice(t, &any, avoid);
	}
	if (q == NULL) {
		say(t, "There is no question for that choice yet. `topics` shows what the "
		    "bank holds.");
		return 0;
	}
	snprintf(filter, sizeof(filter), "%s%s%s",
	    c->topic >= 0 ? vocab_topic_name(c->topic) : c->type >= 0 ? vocab_type_name(c->type) : "",
	    (c->topic >= 0 || c->type >= 0) && c->level >= 0 ? " " : "",
	    c->level >= 0 ? vocab_level_name(c->level) : "");
	return deliver(t, q, filter, repeat ? "You have seen every question of this "
	    "kind; here is one again." : NULL);
}


/* The open question, or NULL (with *did 0) when none. */
static const struct bank_question *
open_question(struct turn *t, struct store_delivery *d, int *rc)
{
	int64_t did;
	const struct bank_question *q;

	*rc = store_practice_get(t->e->store, t->person, t->conv, &did);
	if (*rc == DRILL_ENOTFOUND) {
		*rc = 0;
		return NULL;
	}
	if (*rc != 0 || (*rc = store_delivery_get(t->e->store, did, d)) != 0)
		return NULL;
	if ((q = bank_find(t->e->bank, d->question_id)) == NULL) {
		/* the question left the bank since it was asked */
		store_delivery_clear(d);
		if (store_practice_set(t->e->store, t->person, t->conv, 0) != 0)
			*rc = DRILL_EIO;
		return NULL;
	}
	return q;
}

static void
no_open_question(struct turn *t)
{
	say(t, "You have no open question. Type `practice` for one (or `practice "
	    "databases`, `practice behavioral senior`), or `help`.");
}

/* The open question, or NULL after telling the person why there is none. */
static const struct bank_question *
need_open_question(struct turn *t, struct store_delivery *d, int *rc)
{
	const struct bank_question *q = open_question(t, d, rc);

	if (q == NULL && *rc)
		say_store_error(t, "reading the open question");
	else if (q == NULL)
		no_open_question(t);
	return q;
}

static int
cmd_hint(struct turn *t)
{
	struct store_delivery d = {0};
	const struct bank_question *q;
	const struct bank_concept *order[BANK_MAX_CONCEPTS];
	size_t n = 0;
	int rc;

	if ((q = need_open_question(t, &d, &rc)) == NULL)
		return rc;
	/* hints come heaviest concept first, in rubric order among equals */
	for (size_t i = 0; i < q->nconcepts; i++) {
		size_t j = n++;
		while (j > 0 && order[j - 1]->weight < q->concepts[i].weight) {
			order[j] = order[j - 1];
			j--;
		}
		order[j] = &q->concepts[i];
	}
	if ((size_t)d.hints_used >= n) {
		say(t, "No more hints for this one: you have them all. Give it a go!");
	} else {
		struct msg *m = msg_new();
		const struct bank_concept *c = order[d.hints_used];
		if ((rc = store_delivery_set_help(t->e->store, d.id, d.hints_used + 1,
		    d.model_shown)) != 0) {
			say_store_error(t, "recording a hint");
		} else if (m != NULL) {
			msg_add(m, MSG_TEXT, "Hint %d of %zu (%s): %s", d.hints_used + 1, n,
			    c->name, c->hint);
			send(t, m);
			m = NULL;
		}
		msg_free(m);
	}
	store_delivery_clear(&d);
	return rc;
}

static int
cmd_model(struct turn *t)
{
	struct store_delivery d = {0};
	const struct bank_question *q;
	struct msg *m;
	int rc;

	if ((q = need_open_question(t, &d, &rc)) == NULL)
		return rc;
	if ((rc = store_delivery_set_help(t->e->store, d.id, d.hints_used, true)) != 0) {
		say_store_error(t, "recording the model answer");
	} else if ((m = msg_new()) != NULL) {
		msg_add(m, MSG_QUOTE, "Model answer");
		msg_add_item(m, q->model_answer, NULL);
		msg_add(m, MSG_TEXT, "You can still answer in your own words: it will be "
		    "scored, and marked as given after the model answer.");
		send(t, m);
	}
	store_delivery_clear(&d);
	return rc;
}

static int
cmd_skip(struct turn *t)
{
	struct store_delivery d = {0};
	const struct bank_question *q;
	struct command c;
	char avoid[160];
	int rc;

	if ((q = need_open_question(t, &d, &rc)) == NULL)
		return rc;
	snprintf(avoid, sizeof(avoid), "%s", q->id);
	filter_command(d.filter, &c);
	store_delivery_clear(&d);
	if ((rc = store_practice_set(t->e->store, t->person, t->conv, 0)) != 0) {
		say_store_error(t, "skipping");
		return rc;
	}
	return practice(t, &c, avoid);
}

static int
cmd_next(struct turn *t)
{
	struct store_delivery d = {0};
	struct command c;
	int rc;

	if (open_question(t, &d, &rc) != NULL) {
		store_delivery_clear(&d);
		say(t, "You still have an open question: answer it, ask for a `hint`, "
		    "or `skip` it.");
		return 0;
	}
	if (rc) {
		say_store_error(t, "reading the open question");
		return rc;
	}
	filter_command(NULL, &c);
	/* keep to the filter of the question just answered */
	{
		struct store_answer a = {0};
		int64_t aid;
		if (store_answer_last(t->e->store, t->person, &aid) == 0 &&
		    store_answer_get(t->e->store, aid, &a) == 0 &&
		    store_delivery_get(t->e->store, a.delivery_id, &d) == 0) {
			filter_command(d.filter, &c);
			store_delivery_clear(&d);
		}
		store_answer_clear(&a);
	}
	return practice(t, &c, NULL);
}

struct topic_acc {
	const struct bank *bank;
	double sum[VOCAB_NTOPICS];
	int64_t count[VOCAB_NTOPICS];
};

static void
on_qstat(void *arg, const char *qid, int64_t count, double mean)
{
	struct topic_acc *a = arg;
	const struct bank_question *q = bank_find(a->bank, qid);

	if (q == NULL)
		return;
	for (int i = 0; i < VOCAB_NTOPICS; i++)
		if (q->topics & (1u << i)) {
			a->sum[i] += mean * (double)count;
			a->count[i] += count;
		}
}

static int
cmd_stats(struct turn *t)
{
	struct store_progress p;
	struct topic_acc acc;
	struct msg *m;
	int64_t today = drill_local_day(t->now), streak;
	int weakest = -1, rc;

	memset(&acc, 0, sizeof(acc));
	acc.bank = t->e->bank;
	if ((rc = store_progress_get(t->e->store, t->person, &p)) != 0 ||
	    (rc = store_person_question_stats(t->e->store, t->person, on_qstat, &acc)) != 0) {
		say_store_error(t, "reading stats");
		return rc;
	}
	if ((m = msg_new()) == NULL)
		return DRILL_ENOMEM;
	streak = p.last_day >= today - 1 ? p.streak : 0;
	msg_add(m, MSG_TITLE, "Your practice");
	if (p.answered == 0) {
		msg_add(m, MSG_TEXT, "No answers yet. Type `practice` to start.");
		send(t, m);
		return 0;
	}
	for (int i = 0; i < VOCAB_NTOPICS; i++)
		if (acc.count[i] > 0 && (weakest < 0 ||
		    acc.sum[i] / acc.count[i] < acc.sum[weakest] / acc.count[weakest]))
			weakest = i;
	msg_add(m, MSG_LIST, "%s", "");
	{
		char buf[64];
		snprintf(buf, sizeof(buf), "%lld", (long long)p.answered);
		msg_add_item(m, "Answered", buf);
		snprintf(buf, sizeof(buf), "%.1f", (double)p.score_sum / (double)p.answered);
		msg_add_item(m, "Average score", buf);
		snprintf(buf, sizeof(buf), "%lld day%s (best %lld)", (long long)streak,
		    streak == 1 ? "" : "s", (long long)p.best_streak);
		msg_add_item(m, "Streak", buf);
		if (weakest >= 0) {
			snprintf(buf, sizeof(buf), "%s (average %.0f)", vocab_topic_name(weakest),
			    acc.sum[weakest] / acc.count[weakest]);
			msg_add_item(m, "Weakest topic", buf);
		}
	}
	send(t, m);
	return 0;
}

static int
cmd_topics(struct turn *t)
{
	const struct bank *b = t->e->bank;
	size_t topics[VOCAB_NTOPICS] = {0}, types[VOCAB_NTYPES] = {0}, levels[VOCAB_NLEVELS] = {0};
	struct msg *m;
	char buf[64];

	for (size_t i = 0; i < bank_count(b); i++) {
		const struct bank_question *q = bank_get(b, i);
		for (int j = 0; j < VOCAB_NTOPICS; j++)
			topics[j] += (q->topics >> j) & 1;
		types[q->type]++;
		levels[q->level]++;
	}
	if ((m = msg_new()) == NULL)
		return DRILL_ENOMEM;
	msg_add(m, MSG_TITLE, "%zu questions", bank_count(b));
	msg_add(m, MSG_LIST, "Topics");
	for (int j = 0; j < VOCAB_NTOPICS; j++)
		if (topics[j]) {
			snprintf(buf, sizeof(buf), "%zu", topics[j]);
			msg_add_item(m, vocab_topic_name(j), buf);
		}
	msg_add(m, MSG_LIST, "Types");
	for (int j = 0; j < VOCAB_NTYPES; j++)
		if (types[j]) {
			snprintf(buf, sizeof(buf), "%zu", types[j]);
			msg_add_item(m, vocab_type_name(j), buf);
		}
	msg_add(m, MSG_LIST, "Levels");
	for (int j = 0; j < VOCAB_NLEVELS; j++)
		if (levels[j]) {
			snprintf(buf, sizeof(buf), "%zu", levels[j]);
			msg_add_item(m, vocab_level_name(j), buf);
		}
	msg_add(m, MSG_TEXT, "Example: `practice databases`, `practice behavioral senior`.");
	send(t, m);
	return 0;
}

static int
cmd_help(struct turn *t)
{
	struct msg *m = msg_new();

	if (m == NULL)
		return DRILL_ENOMEM;
	msg_add(m, MSG_TITLE, "Commands");
	msg_add(m, MSG_LIST, "%s", "");
	msg_add_item(m, "practice [topic|type] [level]", "a new question");
	msg_add_item(m, "hint", "the hint for one concept you have not covered yet");
	msg_add_item(m, "model", "show the model answer (an answer after it is marked)");
	msg_add_item(m, "skip", "drop this question and get another");
	msg_add_item(m, "next", "after an answer, the next question");
	msg_add_item(m, "stats", "your answers, average, streak and weakest topic");
	msg_add_item(m, "topics", "topics, types and levels with question counts");
	msg_add_item(m, "dispute [why]", "say your last score is wrong");
	if (strncmp(t->ev->conversation, "console:", 8) == 0)
		msg_add_item(m, "quit", "leave (your progress is kept)");
	msg_add(m, MSG_TEXT, "Anything else you write is your answer to the open question.");
	send(t, m);
	return 0;
}

static int
cmd_dispute(struct turn *t, const struct command *c)
{
	int64_t aid, did;
	int rc = store_answer_last(t->e->store, t->person, &aid);

	if (rc == DRILL_ENOTFOUND) {
		say(t, "There is no score of yours to dispute yet.");
		return 0;
	}
	if (rc != 0 || (rc = store_dispute_add(t->e->store, aid,
	    c->arg[0] != '\0' ? c->arg : NULL, t->now, &did)) != 0) {
		say_store_error(t, "storing the dispute");
		return rc;
	}
	log_info("score disputed person=%s answer=%lld", t->ev->user, (long long)aid);
	say(t, "Thanks: your dispute is stored with the answer, its score and the "
	    "rubric version, for the people who maintain the questions.");
	return 0;
}

/* Scores text as the answer to the open question, stores it, replies. */
static int
answer(struct turn *t, const char *text, size_t len)
{
	struct store_delivery d = {0};
	struct store_answer a = {0};
	struct scorer_result r;
	const struct bank_question *q;
	struct msg *m = NULL;
	char *json = NULL;
	int64_t aid;
	int rc;

	if ((q = need_open_question(t, &d, &rc)) == NULL)
		return rc;
	if ((rc = scorer_score(t->e->scorer, q, text, len, &r)) != 0 ||
	    (json = scorer_result_json(&r, false)) == NULL) {
		rc = rc ? rc : DRILL_ENOMEM;
		say(t, "Sorry, I could not score that (out of memory). Please try again.");
		goto done;
	}
	a.delivery_id = d.id;
	a.person_id = t->person;
	a.question_id = q->id;
	a.text = (char *)text;
	a.created_at = t->now;
	a.day = drill_local_day(t->now);
	a.score = r.score;
	a.relevance = r.dims[SCORER_RELEVANCE];
	a.structure = r.dims[SCORER_STRUCTURE];
	a.clarity = r.dims[SCORER_CLARITY];
	a.impact = r.dims[SCORER_IMPACT];
	a.grade = (char *)r.grade;
	a.rubric_version = (char *)q->rubric_version;
	a.breakdown = json;
	a.hints_used = d.hints_used;
	a.model_seen = d.model_shown;
	if ((rc = store_begin(t->e->store)) != 0)
		goto store_fail;
	if ((rc = store_answer_add(t->e->store, &a, &aid)) != 0 ||
	    (rc = store_practice_set(t->e->store, t->person, t->conv, 0)) != 0 ||
	    (rc = store_commit(t->e->store)) != 0) {
		store_rollback(t->e->store);
		goto store_fail;
	}
	log_info("answer scored person=%s question=%s score=%d rubric=%s",
	    t->ev->user, q->id, r.score, q->rubric_version);
	if (log_get_level() <= LOGL_DEBUG) {
		/* quoted, newlines escaped, cut at a character: one log line */
		char esc[512];
		size_t o = 0;
		for (size_t i = 0, n; i < len; i += n) {
			n = text_utf8_seqlen(text + i, len - i);
			if (o + 2 * (n ? n : 1) + 1 >= sizeof(esc))
				break;
			if (n == 1 && (text[i] == '\n' || text[i] == '\r' || text[i] == '\t' ||
			    text[i] == '"' || text[i] == '\\')) {
				esc[o++] = '\\';
				esc[o++] = text[i] == '\n' ? 'n' : text[i] == '\r' ? 'r' :
				    text[i] == '\t' ? 't' : text[i];
			} else {
				memcpy(esc + o, text + i, n ? n : 1);
				o += n ? n : 1;
			}
			n = n ? n : 1;
		}
		esc[o] = '\0';
		log_debug("answer text person=%s text=\"%s\"", t->ev->user, esc);
	}

	if ((m = feedback_score_msg(&r, d.hints_used, d.model_shown)) == NULL) {
		rc = DRILL_ENOMEM;
		goto done;
	}
	send(t, m);

	if ((m = msg_new()) == NULL) {
		rc = DRILL_ENOMEM;
		goto done;
	}
	msg_add(m, MSG_QUOTE, "Model answer");
	msg_add_item(m, q->model_answer, NULL);
	if (q->nfollow_ups > 0)
		msg_add(m, MSG_TEXT, "Follow-up question: %s",
		    q->follow_ups[rnd(t->e) % q->nfollow_ups]);
	msg_add(m, MSG_TEXT, "Type `next` for another question, `stats` for your "
	    "progress, or `dispute` if the score looks wrong.");
	msg_add(m, MSG_BUTTONS, "%s", "");
	msg_add_item(m, "Next question", "next");
	msg_add_item(m, "Dispute score", "dispute");
	send(t, m);
	m = NULL;
	goto done;
store_fail:
	say_store_error(t, "saving an answer");
done:
	msg_free(m);
	free(json);
	store_delivery_clear(&d);
	return rc;
}

static int
hello(struct turn *t)
{
	struct store_delivery d = {0};
	const struct bank_question *q;
	struct msg *m = msg_new();
	struct command c;
	int rc;

	if (m == NULL)
		return DRILL_ENOMEM;
	msg_add(m, MSG_TITLE, "drilld: interview practice");
	msg_add(m, MSG_TEXT, "%zu interview questions. Answer in your own words "
	    "and I will score the answer, say what you covered and missed, and show a "
	    "model answer. `help` lists the commands.", bank_count(t->e->bank));
	send(t, m);
	if ((q = open_question(t, &d, &rc)) != NULL) {
		store_delivery_clear(&d);
		ask(t, q, "Your open question from last time:");
		return 0;
	}
	if (rc) {
		say_store_error(t, "reading the open question");
		return rc;
	}
	filter_command(NULL, &c);
	return practice(t, &c, NULL);
}

/* True when text holds a NUL or a control character other than tab and newlines. */
static bool
has_controls(const char *text, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)text[i];
		if ((ch < 0x20 && ch != '\t' && ch != '\n' && ch != '\r') || ch == 0x7f)
			return true;
	}
	return false;
}

int
engine_handle(struct engine *e, const struct platform_event *ev,
    platform_reply_fn reply, void *arg)
{
	struct turn t = {e, ev, reply, arg, now_of(e), 0, 0};
	struct command c;
	enum command_id id;
	const char *text = ev->text ? ev->text : "";
	size_t len = ev->text ? ev->text_len : 0;
	int rc;

	/* A platform's repeat of an event already handled is dropped. Ids
	 * come from outside: one longer than any platform's is not kept. */
	if (ev->event_id != NULL && strnlen(ev->event_id, EVENT_ID_MAX + 1) > EVENT_ID_MAX) {
		log_warnx("an event id over %d bytes: handled without de-duplication",
		    EVENT_ID_MAX);
	} else if (ev->event_id != NULL) {
		bool first = true;

		if (t.now - e->pruned_at >= SEEN_PRUNE_EVERY_S) {
			if (store_events_prune(e->store, t.now - SEEN_KEEP_S, NULL) != 0)
				log_warnx("cannot prune the events seen");
			e->pruned_at = t.now;
		}
		if ((rc = store_event_seen(e->store, ev->event_id, t.now, &first)) != 0)
			log_warnx("cannot note an event as seen (it is handled anyway): %s",
			    drill_strerror(rc));
		else if (!first) {
			log_debug("event repeated by the platform, dropped event=%.80s",
			    ev->event_id);
			return 0;
		}
	}
	/* Edits, deletions and joins matter in channel threads (answers
	 * edited within minutes); elsewhere they change nothing. */
	if (ev->kind == PLATFORM_EV_EDIT || ev->kind == PLATFORM_EV_DELETE ||
	    ev->kind == PLATFORM_EV_JOIN)
		return 0;
	if (ev->conv_kind == PLATFORM_CHANNEL && !ev->addressed)
		return 0;
	/* bad input gets a reply and changes nothing, not even who we know */
	if (ev->kind != PLATFORM_EV_HELLO) {
		const char *problem = NULL;
		if (len > e->cfg->practice.max_answer)
			problem = "That message is over the size limit, so I did not keep "
			    "it. Please shorten it and send it again.";
		else if (!text_utf8_valid(text, len))
			problem = "That message is not valid UTF-8 text, so I cannot read "
			    "it. Please send it again as plain text.";
		else if (has_controls(text, len))
			problem = "That message holds control characters, so I did not "
			    "keep it. Please send it again as plain text.";
		else if (text_is_blank(text, len))
			problem = "That answer is empty. Write your answer, or type `help`.";
		if (problem != NULL) {
			say(&t, problem);
			return 0;
		}
	}
	if ((rc = store_person_ensure(e->store, ev->user, t.now, &t.person)) != 0 ||
	    (rc = store_conversation_ensure(e->store, ev->conversation,
	    ev->conv_kind == PLATFORM_DM ? STORE_CONV_DM : STORE_CONV_CHANNEL,
	    t.now, &t.conv)) != 0) {
		say_store_error(&t, "recording the conversation");
		return rc;
	}
	if (ev->kind == PLATFORM_EV_HELLO)
		return hello(&t);

	id = command_parse(text, len, &c);
	/* A slash command or a button is a command, never an answer. */
	if (ev->kind == PLATFORM_EV_COMMAND || ev->kind == PLATFORM_EV_BUTTON) {
		if (id == CMD_NONE) {
			say(&t, "I do not know that command; `help` lists the ones I do.");
			return 0;
		}
	}
	/*
	 * While a question is open, only bare command words and "practice"
	 * with a valid or one-word filter are commands: "Dispute resolution
	 * matters because..." and "Practice makes perfect" are answers.
	 */
	else if (id != CMD_NONE && ((c.bad && strchr(c.arg, ' ') != NULL) ||
	    (c.arg[0] != '\0' && id != CMD_PRACTICE))) {
		int64_t did;
		if (store_practice_get(e->store, t.person, t.conv, &did) == 0)
			id = CMD_NONE;
	}
	switch (id) {
	case CMD_HELP: return cmd_help(&t);
	case CMD_TOPICS: return cmd_topics(&t);
	case CMD_PRACTICE: return practice(&t, &c, NULL);
	case CMD_HINT: return cmd_hint(&t);
	case CMD_MODEL: return cmd_model(&t);
	case CMD_SKIP: return cmd_skip(&t);
	case CMD_NEXT: return cmd_next(&t);
	case CMD_STATS: return cmd_stats(&t);
	case CMD_DISPUTE: return cmd_dispute(&t, &c);
	case CMD_QUIT:
		say(&t, "`quit` only works in the terminal.");
		return 0;
	default:
		return answer(&t, text, len);
	}
}
