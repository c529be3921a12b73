/*
 * engine.c - the practice loop and the commands, for every platform.
 *
 * It turns one normalised event into store writes and reply messages. It
 * does not render (render.c), does not send (the console's reply function,
 * or the router and the outbox), does not schedule (sched.c decides when;
 * the engine posts what), and never trusts the event's text: length,
 * emptiness and UTF-8 are checked before anything is stored.
 */
#include "drill/engine.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "drill/command.h"
#include "drill/cron.h"
#include "drill/feedback.h"
#include "drill/log.h"
#include "drill/scorer.h"
#include "drill/subs.h"
#include "drill/text.h"
#include "drill/tz.h"
#include "drill/vocab.h"

#define SEEN_KEEP_S 86400		/* a platform's repeats come within a day */
#define SEEN_PRUNE_EVERY_S 3600
#define EVENT_ID_MAX 255		/* bytes; Slack and Matrix ids are far shorter */
#define REVEAL_RETRY_S 60		/* a reveal that failed is tried again after */
#define DAY_S 86400
#define SUB_LATE_S (12 * 3600)		/* a DM question later than this is skipped */
#define FORGET_CONFIRM_S 600		/* `forget me confirm` within */
#define LEVEL_WINDOW 3			/* answers that move the level */
#define LEVEL_UP 80			/* all of them at or above: one level up */
#define LEVEL_DOWN 50			/* all of them below: one level down */
#define MYDATA_CHUNK 12000		/* bytes of JSON per message: fits Matrix with its HTML */
#define EXCUSE_MAX_DAYS 400		/* a longer gap is never excused */
#define DIGEST_WINDOW_S (7 * DAY_S)

struct engine {
	struct store *store;
	const struct bank *bank;
	const struct config *cfg;
	struct scorer *scorer;
	engine_clock_fn clock;
	void *clock_arg;
	uint64_t rng;
	int64_t pruned_at;	/* when seen events were last pruned */
	platform_post_fn post;
	void *post_arg;
	struct sched *sched;
	int64_t maintained_at;	/* retention last applied */
	bool vacuum_due;	/* rows were erased since the last VACUUM */
	int64_t forgotten_at;	/* someone was forgotten then; 0 not lately */
	int64_t retry_at;	/* the store failed: the timer's work waits until */
	int64_t started_at;	/* the first digests count from here */
	/* time zones loaded once: bounded by the zones that exist */
	struct {
		char *name;
		struct tz *tz;
	} *zones;
	size_t nzones, capzones;
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
	bool privately;		/* posted replies go to the person alone */
	int64_t thread_delivery;	/* the channel question whose thread this is, or 0 */
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
	e->post = deps->post;
	e->post_arg = deps->post_arg;
	e->started_at = now_of(e);
	e->sched = deps->sched;
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
	for (size_t i = 0; i < e->nzones; i++) {
		free(e->zones[i].name);
		tz_free(e->zones[i].tz);
	}
	free(e->zones);
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

void
engine_set_config(struct engine *e, const struct config *cfg, struct sched *sched)
{
	e->cfg = cfg;
	e->sched = sched;
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

/* Stores m for d in the outbox (deps.post). */
static int
post(struct engine *e, const struct platform_dest *d, const struct msg *m,
    int64_t *row)
{
	if (m == NULL || m->oom)
		return DRILL_ENOMEM;
	int rc;

	if (e->post == NULL)
		return DRILL_ENOTSUP;
	rc = e->post(e->post_arg, d, m, row);
	return rc == DRILL_ENOTFOUND ? DRILL_ENOTSUP : rc;	/* no adapter */
}

/*
 * m for person alone: in conversation (and its thread) where the platform
 * can show a message to one person, else in a direct message.
 */
static int
post_private(struct engine *e, const char *conversation, const char *person,
    const char *thread_id, int64_t thread_row, const struct msg *m)
{
	struct platform_dest d = {conversation, person, thread_id, thread_row, false};
	int rc = conversation != NULL ? post(e, &d, m, NULL) : DRILL_ENOTSUP;

	if (rc == DRILL_ENOTSUP) {
		d = (struct platform_dest){NULL, person, NULL, 0, false};
		rc = post(e, &d, m, NULL);
	}
	return rc;
}

/* Sends m (if complete) and frees it; the post's error, if it failed. */
static int
send(struct turn *t, struct msg *m)
{
	const struct platform_event *ev = t->ev;
	int rc = 0;

	if (m == NULL)
		return DRILL_ENOMEM;
	if (m->oom) {
		log_warnx("reply dropped: out of memory");
		rc = DRILL_ENOMEM;
	} else if (t->reply != NULL) {
		t->reply(t->arg, ev, m);
	} else if (t->privately && ev->conv_kind == PLATFORM_CHANNEL) {
		rc = post_private(t->e, ev->conversation, ev->user, ev->thread_id, 0, m);
	} else {
		struct platform_dest d = {ev->conversation, NULL, ev->thread_id, 0, false};
		rc = post(t->e, &d, m, NULL);
	}
	if (rc != 0)
		log_warnx("a reply could not be queued conversation=%s: %s",
		    ev->conversation, drill_strerror(rc));
	msg_free(m);
	return rc;
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

/*
 * A practice question, with intro before it; posted in a channel for
 * for_person (the one who asked; NULL elsewhere), it says that their
 * replies in its thread are answers. NULL when out of memory.
 */
static struct msg *
practice_msg(const struct bank_question *q, const char *intro, const char *for_person)
{
	struct msg *m = msg_new();
	char topics[256];

	if (m == NULL)
		return NULL;
	topics_line(q->topics, topics, sizeof(topics));
	if (intro)
		msg_add(m, MSG_TEXT, "%s", intro);
	msg_add(m, MSG_TITLE, "Question · %s · %s · %s", topics,
	    vocab_type_name(q->type), vocab_level_name(q->level));
	msg_add(m, MSG_TEXT, "%s", q->prompt);
	if (for_person != NULL) {
		msg_add(m, MSG_PEOPLE, "%s", "asked to practise in public: reply in this "
		    "thread, and the feedback and the model answer come here.");
		msg_add_item(m, for_person, NULL);
	}
	msg_add(m, MSG_BUTTONS, "%s", "");
	msg_add_item(m, "Hint", "hint");
	msg_add_item(m, "Skip", "skip");
	msg_add_item(m, "Show model answer", "model");
	return m;
}

/* Posts the question q; the post's error, if it failed. */
static int
ask(struct turn *t, const struct bank_question *q, const char *intro)
{
	return send(t, practice_msg(q, intro, NULL));
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

#define HELD 2		/* seen.mark: waiting for a channel's reveal */

static void
on_held(void *arg, const char *qid)
{
	struct seen *s = arg;
	const struct bank_question *q = bank_find(s->bank, qid);

	if (q != NULL)
		s->mark[bank_index(s->bank, q)] = HELD;
}

/* Whether q's model answer must wait for a channel's reveal. */
static bool
held_back(struct engine *e, const char *qid)
{
	bool held = false;

	if (store_question_unrevealed(e->store, qid, &held) != 0)
		return true;	/* when in doubt, do not show it */
	return held;
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
	/* a channel's question waiting for its reveal is nobody's practice:
	 * its model answer would come early */
	if (store_unrevealed_questions(t->e->store, on_held, &seen) != 0)
		log_warnx("could not read the questions waiting for a reveal");
	for (int pass = 0; pass < 2 && nany == 0; pass++) {
		int lv = pass == 0 ? level : (level_explicit ? level : -1);
		if (pass == 1 && lv == level)
			break;
		nfresh = nany = 0;
		for (size_t i = 0; i < n; i++) {
			const struct bank_question *q = bank_get(b, i);
			if (!matches(q, topic, type, lv) || (avoid && strcmp(q->id, avoid) == 0) ||
			    seen.mark[i] == HELD)
				continue;
			nany++;
			nfresh += !seen.mark[i];
		}
		if (nany == 0)
			continue;
		size_t k = (size_t)(rnd(t->e) % (nfresh ? nfresh : nany));
		for (size_t i = 0; i < n; i++) {
			const struct bank_question *q = bank_get(b, i);
			if (!matches(q, topic, type, lv) || (avoid && strcmp(q->id, avoid) == 0) ||
			    seen.mark[i] == HELD)
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

struct posted {
	const struct bank *bank;
	int64_t *count;		/* times posted, per bank question */
};

static void
on_posted(void *arg, const char *qid, int64_t count, double mean)
{
	struct posted *p = arg;
	const struct bank_question *q = bank_find(p->bank, qid);

	(void)mean;
	if (q != NULL)
		p->count[bank_index(p->bank, q)] = count;
}

/* FNV-1a over a string, continuing from h. */
static uint64_t
fnv(uint64_t h, const char *s)
{
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* The rank of question id in conversation's shuffle for round (lowest first). */
static uint64_t
shuffle_rank(const char *conversation, const char *id, int64_t round)
{
	uint64_t h = fnv(0xcbf29ce484222325ULL, conversation);

	h = fnv(h ^ (uint64_t)round * 0x9e3779b97f4a7c15ULL, "/");
	h = fnv(h, id);
	/* a final mix (splitmix64), so similar ids spread */
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebULL;
	return h ^ (h >> 31);
}

const struct bank_question *
engine_next_for_conversation(struct engine *e, const char *conversation,
    uint32_t topics, uint32_t types, int level, int64_t now, bool *repeat, int *rc)
{
	const struct bank *b = e->bank;
	size_t n = bank_count(b);
	struct posted posted = {b, NULL};
	const struct bank_question *pick = NULL;
	int64_t conv, round = INT64_MAX;
	uint64_t best = 0;

	*repeat = false;
	if ((*rc = store_conversation_ensure(e->store, conversation, STORE_CONV_CHANNEL,
	    now, &conv)) != 0)
		return NULL;
	if ((posted.count = calloc(n ? n : 1, sizeof(int64_t))) == NULL) {
		*rc = DRILL_ENOMEM;
		return NULL;
	}
	if ((*rc = store_conversation_questions(e->store, conv, on_posted, &posted)) != 0) {
		log_warnx("could not read the questions posted conversation=%s", conversation);
		free(posted.count);
		return NULL;
	}
	/* the round: the fewest times any matching question was posted */
	for (size_t i = 0; i < n; i++)
		if (matches_sets(bank_get(b, i), topics, types, level) && posted.count[i] < round)
			round = posted.count[i];
	for (size_t i = 0; i < n && round != INT64_MAX; i++) {
		const struct bank_question *q = bank_get(b, i);
		uint64_t r;
		if (!matches_sets(q, topics, types, level) || posted.count[i] != round)
			continue;
		r = shuffle_rank(conversation, q->id, round);
		if (pick == NULL || r < best || (r == best && strcmp(q->id, pick->id) < 0)) {
			pick = q;
			best = r;
		}
	}
	*repeat = pick != NULL && round > 0;
	free(posted.count);
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

/* ---- a person's time: zone, local day, streak excuses ---- */

/*
 * Zone name, loaded once for the engine's life (borrowed); NULL when no
 * such zone exists. Only real zones load, so the cache stays small.
 */
static const struct tz *
zone(struct engine *e, const char *name)
{
	char err[DRILL_ERRLEN];
	struct tz *tz = NULL;
	void *v;

	for (size_t i = 0; i < e->nzones; i++)
		if (strcmp(e->zones[i].name, name) == 0)
			return e->zones[i].tz;
	if (tz_load(name, &tz, err) != 0)
		return NULL;
	if (e->nzones == e->capzones) {
		size_t cap = e->capzones ? e->capzones * 2 : 8;
		if ((v = realloc(e->zones, cap * sizeof(*e->zones))) == NULL) {
			tz_free(tz);
			return NULL;
		}
		e->zones = v;
		e->capzones = cap;
	}
	if ((e->zones[e->nzones].name = strdup(name)) == NULL) {
		tz_free(tz);
		return NULL;
	}
	e->zones[e->nzones++].tz = tz;
	return tz;
}

/*
 * The zone of person (borrowed): the platform's, else the one they set,
 * else the config's; NULL (read as UTC) when none loads.
 */
static const struct tz *
person_tz(struct engine *e, int64_t person)
{
	struct store_person_settings set;
	const struct tz *tz = NULL;

	if (store_person_settings_get(e->store, person, &set) == 0) {
		if (set.platform_timezone != NULL)
			tz = zone(e, set.platform_timezone);
		if (tz == NULL && set.timezone != NULL)
			tz = zone(e, set.timezone);
		store_person_settings_clear(&set);
	}
	if (tz == NULL)
		tz = zone(e, e->cfg->practice.timezone ? e->cfg->practice.timezone : "UTC");
	return tz;
}

/* The day number (days since 1970-01-01) of instant t in zone tz (NULL: UTC). */
static int64_t
day_in(const struct tz *tz, int64_t t)
{
	struct tz_local l;

	if (tz != NULL && tz_localtime(tz, t, &l) == 0)
		return tz_days_from_civil(l.year, l.month, l.day);
	return t >= 0 ? t / DAY_S : -((-t + DAY_S - 1) / DAY_S);
}

/*
 * Whether a day without an answer may not break person's streak: a day of
 * a pause, a weekend day for a weekdays-only subscription, or a day off in
 * a schedule's skip_dates.
 */
static bool
day_excused(struct engine *e, int64_t person, const struct store_subscription *sub,
    int64_t day)
{
	bool paused = false;

	int64_t y;
	int m, d;

	if (sub != NULL && sub->weekdays) {
		int wd = tz_weekday(day);
		if (wd == 0 || wd == 6)
			return true;
	}
	tz_civil_from_days(day, &y, &m, &d);
	if (sched_day_off(e->sched, y, m, d))
		return true;	/* a holiday in the schedules' skip_dates */
	return store_pause_covers(e->store, person, day, &paused) == 0 && paused;
}

/* Whether every day strictly between from and to is excused. */
static bool
gap_excused(struct engine *e, int64_t person, int64_t from, int64_t to)
{
	struct store_subscription sub;
	bool have = store_subscription_get(e->store, person, &sub) == 0;

	if (to - from - 1 > EXCUSE_MAX_DAYS)
		return false;
	for (int64_t d = from + 1; d < to; d++)
		if (!day_excused(e, person, have ? &sub : NULL, d))
			return false;
	return true;
}

/* The streak as of today: it lives while every day since the last answer is excused. */
static int64_t
current_streak(struct engine *e, int64_t person, const struct store_progress *p,
    int64_t today)
{
	if (p->last_day < 0 || p->last_day > today)
		return p->last_day > today ? p->streak : 0;
	return gap_excused(e, person, p->last_day, today) ? p->streak : 0;
}

/*
 * The review due first for person now, with its question still in the
 * bank: its question, and its missed concepts in missed (empty when none).
 */
struct due_review {
	struct engine *e;
	int64_t now;
	const struct bank_question *q;
	char missed[512];
};

static void
on_review(void *arg, const struct store_review *r)
{
	struct due_review *d = arg;
	const struct bank_question *q;

	if (d->q != NULL || r->due_at > d->now ||
	    (q = bank_find(d->e->bank, r->question_id)) == NULL)
		return;
	d->q = q;
	snprintf(d->missed, sizeof(d->missed), "%s", r->missed);
	for (char *p = d->missed; *p; p++)
		if (*p == '\n')
			*p = ',';
}

static const struct bank_question *
due_review(struct engine *e, int64_t person, int64_t now, char *missed, size_t sz)
{
	struct due_review d = {e, now, NULL, ""};

	if (store_reviews_list(e->store, person, on_review, &d) != 0)
		return NULL;
	if (d.q != NULL) {
		/* "a,b" reads better as "a, b" */
		size_t o = 0;
		for (const char *p = d.missed; *p && o + 2 < sz; p++) {
			missed[o++] = *p;
			if (*p == ',')
				missed[o++] = ' ';
		}
		missed[o] = '\0';
	}
	return d.q;
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
	/* practice asked for in a channel starts a thread of its own */
	bool root = t->reply == NULL && t->ev->conv_kind == PLATFORM_CHANNEL;
	int64_t id;
	int rc;

	d.conversation_id = t->conv;
	d.person_id = t->person;
	d.question_id = q->id;
	d.kind = "practice";
	d.message_id = NULL;
	d.thread_id = root ? NULL : (char *)t->ev->thread_id;
	d.filter = filter[0] ? (char *)filter : NULL;
	d.created_at = t->now;
	if ((rc = store_begin(t->e->store)) != 0)
		goto fail;
	if (root) {
		struct platform_dest dest = {t->ev->conversation, NULL, NULL, 0, false};
		struct msg *m = practice_msg(q, intro, t->ev->user);
		rc = m != NULL ? post(t->e, &dest, m, &d.root_row) : DRILL_ENOMEM;
		msg_free(m);
		if (rc != 0) {
			store_rollback(t->e->store);
			goto fail;
		}
	}
	if ((rc = store_delivery_add(t->e->store, &d, &id)) != 0 ||
	    (rc = store_practice_set(t->e->store, t->person, t->conv, id)) != 0 ||
	    (t->ev->conv_kind == PLATFORM_DM &&
	    (rc = store_practice_drop_channel(t->e->store, t->person)) != 0)) {
		store_rollback(t->e->store);
		goto fail;
	}
	if ((rc = store_commit(t->e->store)) != 0) {
		store_rollback(t->e->store);
		goto fail;
	}
	log_info("question asked person=%s question=%s", t->ev->user, q->id);
	/* a post that fails undoes the delivery only inside a caller's
	 * transaction (a daily question: tried again); here it is logged */
	return root ? 0 : ask(t, q, intro);
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
	/* a question due for review comes first, unless a filter was asked for */
	if (avoid == NULL && c->topic < 0 && c->type < 0 && c->level < 0) {
		char missed[512], intro[640];
		if ((q = due_review(t->e, t->person, t->now, missed, sizeof(missed))) != NULL &&
		    !held_back(t->e, q->id)) {
			snprintf(intro, sizeof(intro), "Review: last time this one missed %s. "
			    "Try it again.", missed);
			return deliver(t, q, "", intro);
		}
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
	if (strcmp(d->kind, "practice") != 0) {
		/* a channel question kept for a private answer: no hints or
		 * model answer for it here */
		store_delivery_clear(d);
		return NULL;
	}
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
	if (held_back(t->e, q->id)) {
		say(t, "This question is also a channel's question of the day, and its "
		    "model answer comes there at the reveal. Answer it, ask for a `hint`, "
		    "or `skip` it.");
	} else if ((rc = store_delivery_set_help(t->e->store, d.id, d.hints_used, true)) != 0) {
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

/* "up 12 points": the last TREND answers against the TREND before them. */
#define TREND 5
static void
stats_trend(struct turn *t, char *buf, size_t sz)
{
	int s[2 * TREND];
	size_t n = 0;
	double recent = 0, before = 0;

	buf[0] = '\0';
	if (store_person_recent_scores(t->e->store, t->person, 0, s, 2 * TREND, &n) != 0 ||
	    n < 2 * TREND)
		return;
	for (size_t i = 0; i < TREND; i++) {
		recent += s[i];
		before += s[TREND + i];
	}
	recent /= TREND;
	before /= TREND;
	if (recent - before >= 1 || before - recent >= 1)
		snprintf(buf, sz, "%s %.0f points over your last %d practice answers",
		    recent > before ? "up" : "down", recent > before ? recent - before :
		    before - recent, TREND);
	else
		snprintf(buf, sz, "steady over your last %d practice answers", TREND);
}

struct review_list {
	struct engine *e;
	int64_t now;
	struct msg *m;
	size_t n;
};

static void
on_review_line(void *arg, const struct store_review *r)
{
	struct review_list *rl = arg;
	int64_t days = (r->due_at - rl->now + DAY_S - 1) / DAY_S;
	char when[32];

	if (rl->n++ == 0)
		msg_add(rl->m, MSG_LIST, "Coming back for review");
	if (rl->n > 10)
		return;
	if (r->due_at <= rl->now)
		snprintf(when, sizeof(when), "due now");
	else
		snprintf(when, sizeof(when), "in %lld day%s", (long long)days,
		    days == 1 ? "" : "s");
	msg_add_item(rl->m, r->question_id, when);
}

static int
cmd_stats(struct turn *t)
{
	struct store_progress p;
	struct topic_acc acc;
	struct msg *m;
	const struct tz *tz = person_tz(t->e, t->person);
	int64_t today = day_in(tz, t->now), streak;
	int weakest = -1, rc;

	t->privately = true;	/* in a channel, for the person alone */

	memset(&acc, 0, sizeof(acc));
	acc.bank = t->e->bank;
	if ((rc = store_progress_get(t->e->store, t->person, &p)) != 0 ||
	    (rc = store_person_question_stats(t->e->store, t->person, on_qstat, &acc)) != 0) {
		say_store_error(t, "reading stats");
		return rc;
	}
	if ((m = msg_new()) == NULL)
		return DRILL_ENOMEM;
	streak = current_streak(t->e, t->person, &p, today);
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
		stats_trend(t, buf, sizeof(buf));
		if (buf[0] != '\0')
			msg_add_item(m, "Trend", buf);
	}
	{
		/* what comes back for review, and when */
		struct review_list rl = {t->e, t->now, m, 0};
		if (store_reviews_list(t->e->store, t->person, on_review_line, &rl) != 0)
			log_warnx("cannot read the reviews person=%s", t->ev->user);
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

static bool is_admin(const struct engine *e, const char *person);

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
	if (t->ev->conv_kind == PLATFORM_DM) {
		msg_add_item(m, "subscribe [topics] [at 8:30] [weekdays|daily]",
		    "a question every day at your time");
		msg_add_item(m, "unsubscribe", "no more daily questions");
		msg_add_item(m, "pause 7d", "no daily questions for a while; the streak is kept");
		msg_add_item(m, "tz Europe/Paris", "your time zone");
		msg_add_item(m, "quiet 22:00-07:00", "no questions in these hours (`quiet off`)");
	}
	msg_add_item(m, "leaderboard on|off", "appear by name in weekly digests, or not");
	msg_add_item(m, "my data", "everything drilld keeps about you");
	msg_add_item(m, "forget me", "erase it all");
	if (strncmp(t->ev->conversation, "console:", 8) == 0)
		msg_add_item(m, "quit", "leave (your progress is kept)");
	if (t->ev->conv_kind == PLATFORM_CHANNEL) {
		msg_add_item(m, "answer", "in a question of the day's thread: answer it "
		    "privately, in a DM");
		if (is_admin(t->e, t->ev->user)) {
			msg_add_item(m, "schedule", "this channel's schedule and next question");
			msg_add_item(m, "schedule set \"30 9 * * 1-5\" [ZONE]", "change it");
			msg_add_item(m, "schedule pause|resume", "stop or restart it");
			msg_add_item(m, "ask now", "post the next question now");
		}
		msg_add(m, MSG_TEXT, "In a question of the day's thread, your first reply "
		    "is your answer.");
	} else {
		msg_add(m, MSG_TEXT, "Anything else you write is your answer to the open "
		    "question.");
	}
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

/* At debug level only: answers are personal data. */
static void
log_answer_text(const struct turn *t, const char *text, size_t len)
{
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
}

/*
 * Scores text against q into *r, and *a as the answer row of person and
 * delivery given now in this event's message. *a borrows text, q's strings
 * and *json, the breakdown the caller frees. 0 or DRILL_ENOMEM.
 */
static int
score_answer(const struct turn *t, const struct bank_question *q, int64_t delivery,
    const char *text, size_t len, struct scorer_result *r, struct store_answer *a,
    char **json)
{
	memset(a, 0, sizeof(*a));
	if (scorer_score(t->e->scorer, q, text, len, r) != 0 ||
	    (*json = scorer_result_json(r, false)) == NULL)
		return DRILL_ENOMEM;
	a->delivery_id = delivery;
	a->person_id = t->person;
	a->question_id = q->id;
	a->text = (char *)text;
	a->created_at = t->now;
	{
		/* the person's own calendar, and a gap they are excused for */
		const struct tz *tz = person_tz(t->e, t->person);
		struct store_progress p;
		a->day = day_in(tz, t->now);
		a->keep_streak = store_progress_get(t->e->store, t->person, &p) == 0 &&
		    p.last_day >= 0 && a->day > p.last_day + 1 &&
		    gap_excused(t->e, t->person, p.last_day, a->day);
	}
	a->score = r->score;
	a->relevance = r->dims[SCORER_RELEVANCE];
	a->structure = r->dims[SCORER_STRUCTURE];
	a->clarity = r->dims[SCORER_CLARITY];
	a->impact = r->dims[SCORER_IMPACT];
	a->grade = (char *)r->grade;
	a->rubric_version = (char *)q->rubric_version;
	a->breakdown = *json;
	a->message_id = (char *)t->ev->message_id;
	return 0;
}

/* Days until a review at stage (0: the first) comes back: 1, 3, then 7. */
static int64_t
review_days(int stage)
{
	return stage <= 0 ? 1 : stage == 1 ? 3 : 7;
}

/* Whether name is one of the concepts r missed. */
static bool
missed_now(const struct scorer_result *r, const char *name, size_t len)
{
	for (size_t i = 0; i < r->nmissed; i++)
		if (strlen(r->missed[i].concept) == len &&
		    strncmp(r->missed[i].concept, name, len) == 0)
			return true;
	return false;
}

/*
 * Spaced repetition, after a practice answer to q: the concepts missed
 * bring the question back after 1 day, then 3, then every 7, until an
 * answer covers all of those that were missed. Writes what happens into
 * note for the person. In the caller's transaction.
 */
static int
review_after(struct turn *t, const struct bank_question *q,
    const struct scorer_result *r, char *note, size_t sz)
{
	struct store_review rv = {0}, nr = {0};
	char missed[512] = "", shown[512] = "";
	size_t o = 0, so = 0;
	int rc = store_review_get(t->e->store, t->person, q->id, &rv);

	if (rc != 0 && rc != DRILL_ENOTFOUND)
		return rc;
	if (rc == 0) {
		/* a review: which of the concepts missed before are missed still */
		for (const char *p = rv.missed; *p;) {
			const char *nl = strchr(p, '\n');
			size_t n = nl ? (size_t)(nl - p) : strlen(p);
			if (n > 0 && missed_now(r, p, n) && o + n + 2 < sizeof(missed)) {
				o += (size_t)snprintf(missed + o, sizeof(missed) - o, "%s%.*s",
				    o ? "\n" : "", (int)n, p);
				so += (size_t)snprintf(shown + so, sizeof(shown) - so, "%s%.*s",
				    so ? ", " : "", (int)n, p);
			}
			p += n + (nl != NULL);
		}
		if (o == 0) {
			snprintf(note, sz, "Review done: you covered what you missed last time.");
			rc = store_review_delete(t->e->store, t->person, q->id);
			store_review_clear(&rv);
			return rc;
		}
		nr.stage = rv.stage + 1;
	} else {
		for (size_t i = 0; i < r->nmissed; i++) {
			const char *c = r->missed[i].concept;
			if (o + strlen(c) + 2 >= sizeof(missed))
				break;
			o += (size_t)snprintf(missed + o, sizeof(missed) - o, "%s%s", o ? "\n" : "", c);
			so += (size_t)snprintf(shown + so, sizeof(shown) - so, "%s%s", so ? ", " : "", c);
		}
		if (o == 0)
			return 0;	/* nothing missed, nothing to review */
		nr.stage = 0;
	}
	store_review_clear(&rv);
	nr.question_id = (char *)q->id;
	nr.due_at = t->now + review_days(nr.stage) * DAY_S;
	nr.missed = missed;
	snprintf(note, sz, "This question comes back for review in %lld day%s (to cover: %s).",
	    (long long)review_days(nr.stage), review_days(nr.stage) == 1 ? "" : "s", shown);
	return store_review_put(t->e->store, t->person, &nr);
}

/*
 * The level follows practice scores: LEVEL_WINDOW answers in a row at or
 * above LEVEL_UP since the level last changed move it up one, as many
 * below LEVEL_DOWN move it down one. In the caller's transaction.
 */
static int
level_after(struct turn *t, char *note, size_t sz)
{
	struct store_person_settings set;
	int scores[LEVEL_WINDOW], level = person_level(t), next = -1, rc;
	size_t n = 0, up = 0, down = 0;

	if ((rc = store_person_settings_get(t->e->store, t->person, &set)) != 0)
		return rc;
	rc = store_person_recent_scores(t->e->store, t->person, set.level_since, scores,
	    LEVEL_WINDOW, &n);
	store_person_settings_clear(&set);
	if (rc != 0 || n < LEVEL_WINDOW)
		return rc;
	for (size_t i = 0; i < n; i++) {
		up += scores[i] >= LEVEL_UP;
		down += scores[i] < LEVEL_DOWN;
	}
	if (up == n && level + 1 < VOCAB_NLEVELS)
		next = level + 1;
	else if (down == n && level > 0)
		next = level - 1;
	if (next < 0)
		return 0;
	snprintf(note, sz, "Your last %d answers scored %s %d: your questions are %s "
	    "from now on.", LEVEL_WINDOW, next > level ? "at least" : "below",
	    next > level ? LEVEL_UP : LEVEL_DOWN, vocab_level_name(next));
	/* a second of room, so the answer just given starts no new window */
	return store_person_set_level_since(t->e->store, t->person, next, t->now + 1);
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
	char *json = NULL, note_review[600] = "", note_level[200] = "";
	int64_t aid;
	int rc;

	if ((q = need_open_question(t, &d, &rc)) == NULL)
		return rc;
	if ((rc = score_answer(t, q, d.id, text, len, &r, &a, &json)) != 0) {
		say(t, "Sorry, I could not score that (out of memory). Please try again.");
		goto done;
	}
	a.hints_used = d.hints_used;
	a.model_seen = d.model_shown;
	if ((rc = store_begin(t->e->store)) != 0)
		goto store_fail;
	if ((rc = store_answer_add(t->e->store, &a, &aid)) != 0 ||
	    (rc = store_practice_set(t->e->store, t->person, t->conv, 0)) != 0 ||
	    (rc = review_after(t, q, &r, note_review, sizeof(note_review))) != 0 ||
	    (rc = level_after(t, note_level, sizeof(note_level))) != 0 ||
	    (rc = store_commit(t->e->store)) != 0) {
		store_rollback(t->e->store);
		goto store_fail;
	}
	log_info("answer scored person=%s question=%s score=%d rubric=%s",
	    t->ev->user, q->id, r.score, q->rubric_version);
	log_answer_text(t, text, len);

	if ((m = feedback_score_msg(&r, d.hints_used, d.model_shown)) == NULL) {
		rc = DRILL_ENOMEM;
		goto done;
	}
	send(t, m);

	if ((m = msg_new()) == NULL) {
		rc = DRILL_ENOMEM;
		goto done;
	}
	if (held_back(t->e, q->id)) {
		msg_add(m, MSG_TEXT, "This question is also a channel's question of the "
		    "day: its model answer comes there at the reveal.");
	} else {
		msg_add(m, MSG_QUOTE, "Model answer");
		msg_add_item(m, q->model_answer, NULL);
	}
	if (q->nfollow_ups > 0)
		msg_add(m, MSG_TEXT, "Follow-up question: %s",
		    q->follow_ups[rnd(t->e) % q->nfollow_ups]);
	if (note_review[0] != '\0')
		msg_add(m, MSG_TEXT, "%s", note_review);
	if (note_level[0] != '\0')
		msg_add(m, MSG_TEXT, "%s", note_level);
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

/* What is wrong with a text from outside, or NULL when nothing is. */
static const char *
problem_of(const struct engine *e, const char *text, size_t len)
{
	if (len > e->cfg->practice.max_answer)
		return "That message is over the size limit, so I did not keep "
		    "it. Please shorten it and send it again.";
	if (!text_utf8_valid(text, len))
		return "That message is not valid UTF-8 text, so I cannot read "
		    "it. Please send it again as plain text.";
	if (has_controls(text, len))
		return "That message holds control characters, so I did not "
		    "keep it. Please send it again as plain text.";
	if (text_is_blank(text, len))
		return "That answer is empty. Write your answer, or type `help`.";
	return NULL;
}

/* ---- channel questions ---- */

static const struct config_schedule *
schedule_of(const struct engine *e, const char *conversation)
{
	for (size_t i = 0; i < e->cfg->nschedules; i++)
		if (strcmp(e->cfg->schedules[i].conversation, conversation) == 0)
			return &e->cfg->schedules[i];
	return NULL;
}

static bool
is_admin(const struct engine *e, const char *person)
{
	for (size_t i = 0; i < e->cfg->nadmins; i++)
		if (strcmp(e->cfg->admins[i], person) == 0)
			return true;
	return false;
}

/* "4 h", "90 min", "2 days": a duration as people say it. */
static void
duration_words(uint64_t ms, char *buf, size_t sz)
{
	uint64_t min = ms / 60000;

	if (min % (24 * 60) == 0 && min >= 24 * 60)
		snprintf(buf, sz, "%llu day%s", (unsigned long long)(min / (24 * 60)),
		    min == 24 * 60 ? "" : "s");
	else if (min % 60 == 0 && min >= 60)
		snprintf(buf, sz, "%llu h", (unsigned long long)(min / 60));
	else if (ms % 60000 != 0 && ms < 3600000)
		snprintf(buf, sz, "%llu s", (unsigned long long)((ms + 999) / 1000));
	else
		snprintf(buf, sz, "%llu min", (unsigned long long)(min ? min : 1));
}

/* The thread root of a channel question. */
static struct msg *
question_msg(const struct bank_question *q, const struct config_schedule *cs,
    bool late, bool repeat)
{
	struct msg *m = msg_new();
	char topics[256], after[32];

	if (m == NULL)
		return NULL;
	topics_line(q->topics, topics, sizeof(topics));
	duration_words(cs->reveal_after_ms, after, sizeof(after));
	msg_add(m, MSG_TITLE, "Question of the day · %s · %s · %s", topics,
	    vocab_type_name(q->type), vocab_level_name(q->level));
	if (late)
		msg_add(m, MSG_TEXT, "(Posted late: drilld was not running at the "
		    "scheduled time.)");
	if (repeat)
		msg_add(m, MSG_TEXT, "(Every question of this kind has been asked here; "
		    "they start over.)");
	msg_add(m, MSG_TEXT, "%s", q->prompt);
	if (cs->answers_dm) {
		msg_add(m, MSG_TEXT, "To answer, press Answer privately (or write "
		    "`answer` to me in this thread) and reply to my direct message: "
		    "this thread only shows who has answered. The model answer and a "
		    "summary follow here in %s.", after);
		msg_add(m, MSG_BUTTONS, "%s", "");
		msg_add_item(m, "Answer privately", "answer");
	} else {
		msg_add(m, MSG_TEXT, "To answer, reply in this thread: your first reply "
		    "is your answer (edits within %d minutes count). %s The model "
		    "answer and a summary follow here in %s.", ENGINE_EDIT_S / 60,
		    cs->feedback_thread ? "Feedback is posted here." :
		    "Your feedback comes to you privately.", after);
	}
	return m;
}

/* A channel question's root once revealed: what it asked, and that it is closed. */
static struct msg *
closed_msg(const struct bank_question *q)
{
	struct msg *m = msg_new();
	char topics[256];

	if (m == NULL)
		return NULL;
	topics_line(q->topics, topics, sizeof(topics));
	msg_add(m, MSG_TITLE, "Question of the day · %s · %s · %s (closed)", topics,
	    vocab_type_name(q->type), vocab_level_name(q->level));
	msg_add(m, MSG_TEXT, "%s", q->prompt);
	msg_add(m, MSG_TEXT, "Closed: the model answer and a summary are in this "
	    "thread. An answer now is still scored, marked late.");
	return m;
}

/*
 * Calls fn(arg, name) for each concept a stored answer missed, read back
 * from the scorer's own JSON (store_answer.breakdown); nothing when it does
 * not parse.
 */
static void
each_missed(const char *breakdown, void (*fn)(void *arg, const char *name), void *arg)
{
	json_tokener *tok;
	json_object *o, *missed, *c, *name;

	if (breakdown == NULL || (tok = json_tokener_new()) == NULL)
		return;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	o = json_tokener_parse_ex(tok, breakdown, (int)strlen(breakdown));
	json_tokener_free(tok);
	if (o != NULL && json_object_object_get_ex(o, "missed", &missed) &&
	    json_object_is_type(missed, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(missed); i++) {
			c = json_object_array_get_idx(missed, i);
			if (json_object_object_get_ex(c, "concept", &name) &&
			    json_object_is_type(name, json_type_string))
				fn(arg, json_object_get_string(name));
		}
	}
	json_object_put(o);
}

/* A summary of the answers to one question. */
struct tally {
	const struct bank_question *q;	/* NULL: no longer in the bank */
	int64_t n, sum;
	int64_t missed[BANK_MAX_CONCEPTS];
};

static void
on_tally_missed(void *arg, const char *name)
{
	struct tally *t = arg;

	for (size_t k = 0; k < t->q->nconcepts; k++)
		if (strcmp(t->q->concepts[k].name, name) == 0)
			t->missed[k]++;
}

static void
on_tally(void *arg, const struct store_answer *a)
{
	struct tally *t = arg;

	t->n++;
	t->sum += a->score;
	if (t->q != NULL)
		each_missed(a->breakdown, on_tally_missed, t);
}

/*
 * Posts delivery did's model answer and summary in its thread and marks
 * it revealed. In the caller's transaction.
 */
static int
reveal(struct engine *e, int64_t did, int64_t now)
{
	struct store_delivery d = {0};
	struct tally tally;
	struct platform_dest dest = {0};
	struct msg *m = NULL;
	char *conv = NULL;
	int rc, worst = -1;

	memset(&tally, 0, sizeof(tally));
	if ((rc = store_delivery_get(e->store, did, &d)) != 0 ||
	    (rc = store_conversation_name(e->store, d.conversation_id, &conv)) != 0)
		goto out;
	tally.q = bank_find(e->bank, d.question_id);
	if ((rc = store_delivery_answers(e->store, did, on_tally, &tally)) != 0)
		goto out;
	dest.conversation = conv;
	dest.thread_row = d.root_row;
	rc = DRILL_ENOMEM;
	if ((m = msg_new()) == NULL)
		goto out;
	if (tally.q != NULL) {
		msg_add(m, MSG_QUOTE, "Model answer");
		msg_add_item(m, tally.q->model_answer, NULL);
		/* by the delivery, not the generator: a restart changes nothing */
		if (tally.q->nfollow_ups > 0)
			msg_add(m, MSG_TEXT, "Follow-up to think about: %s",
			    tally.q->follow_ups[(uint64_t)did % tally.q->nfollow_ups]);
	} else {
		msg_add(m, MSG_TEXT, "This question has left the bank since it was "
		    "asked, so its model answer is no longer available.");
	}
	if ((rc = post(e, &dest, m, NULL)) != 0)
		goto out;
	msg_free(m);
	if ((m = msg_new()) == NULL) {
		rc = DRILL_ENOMEM;
		goto out;
	}
	msg_add(m, MSG_TITLE, "Summary");
	if (tally.n == 0) {
		msg_add(m, MSG_TEXT, "Nobody answered this one.");
	} else {
		for (size_t k = 0; tally.q != NULL && k < tally.q->nconcepts; k++)
			if (tally.missed[k] > 0 && (worst < 0 || tally.missed[k] > tally.missed[worst]))
				worst = (int)k;
		msg_add(m, MSG_TEXT, "%lld answered; average score %.0f/100.",
		    (long long)tally.n, (double)tally.sum / (double)tally.n);
		if (worst >= 0)
			msg_add(m, MSG_TEXT, "Most often missed: %s (%lld of %lld). %s",
			    tally.q->concepts[worst].name, (long long)tally.missed[worst],
			    (long long)tally.n, tally.q->concepts[worst].hint);
		else if (tally.q != NULL)
			msg_add(m, MSG_TEXT, "Every answer covered every concept.");
	}
	if ((rc = post(e, &dest, m, NULL)) != 0)
		goto out;
	/* the question itself says it is closed, without its button, where
	 * the platform can edit it */
	if (d.root_row != 0 && tally.q != NULL) {
		struct platform_dest root = {conv, NULL, NULL, d.root_row, true};
		msg_free(m);
		if ((m = closed_msg(tally.q)) == NULL) {
			rc = DRILL_ENOMEM;
			goto out;
		}
		if ((rc = post(e, &root, m, NULL)) != 0 && rc != DRILL_ENOTSUP)
			goto out;
	}
	/* a private answer asked for and not given is late from now on:
	 * it is asked for again */
	if ((rc = store_delivery_revealed(e->store, did, now)) != 0 ||
	    (rc = store_practice_drop_delivery(e->store, did)) != 0)
		goto out;
	log_info("channel question revealed conversation=%s question=%s answers=%lld",
	    conv, d.question_id, (long long)tally.n);
out:
	msg_free(m);
	free(conv);
	store_delivery_clear(&d);
	return rc;
}

int
engine_post_question(struct engine *e, const struct config_schedule *cs,
    const char *conversation, int64_t now, bool late)
{
	const struct bank_question *q;
	struct store_delivery d = {0};
	struct platform_dest dest = {conversation, NULL, NULL, 0, false};
	struct msg *m;
	int64_t conv, did, at, row;
	bool repeat;
	int rc;

	if (e->post == NULL || cs == NULL || conversation == NULL)
		return DRILL_EINVAL;
	if ((rc = store_conversation_ensure(e->store, conversation,
	    STORE_CONV_CHANNEL, now, &conv)) != 0)
		return rc;
	/* the question before is revealed when the next goes out */
	while ((rc = store_reveal_next(e->store, conv, &did, &at)) == 0)
		if ((rc = reveal(e, did, now)) != 0)
			return rc;
	if (rc != DRILL_ENOTFOUND)
		return rc;
	q = engine_next_for_conversation(e, conversation, cs->topics, cs->types,
	    cs->level, now, &repeat, &rc);
	if (q == NULL)
		return rc != 0 ? rc : DRILL_ENOTFOUND;
	if ((m = question_msg(q, cs, late, repeat)) == NULL)
		return DRILL_ENOMEM;
	rc = post(e, &dest, m, &row);
	msg_free(m);
	if (rc != 0)
		return rc;
	d.conversation_id = conv;
	d.question_id = q->id;
	d.kind = "scheduled";
	d.created_at = now;
	d.root_row = row;
	d.answers_dm = cs->answers_dm;
	d.feedback_thread = cs->feedback_thread;
	d.reveal_at = now + (int64_t)(cs->reveal_after_ms / 1000);
	if ((rc = store_delivery_add(e->store, &d, &did)) != 0)
		return rc;
	log_info("channel question posted conversation=%s question=%s%s",
	    conversation, q->id, late ? " late=1" : "");
	return 0;
}

int
engine_fire(void *arg, const struct sched_fire *f)
{
	struct engine *e = arg;
	int rc = engine_post_question(e, f->cfg, f->conversation, now_of(e), f->late);

	if (rc == DRILL_ENOTFOUND)
		log_warnx("no question matches the schedule of conversation=%s "
		    "(topics, types, level): nothing posted", f->conversation);
	else if (rc == DRILL_ENOTSUP)
		log_error("no chat platform is enabled to post to conversation=%s: "
		    "this fire is skipped", f->conversation);
	else if (rc != 0)
		log_error("cannot post the question of conversation=%s: %s",
		    f->conversation, drill_strerror(rc));
	/* a store failure is tried again a minute later; retrying cannot
	 * make a question match or a platform appear */
	return rc == DRILL_ENOTFOUND || rc == DRILL_ENOTSUP ? 0 : rc;
}

/* engine_post_question in its own transaction. */
static int
ask_now(struct engine *e, const struct config_schedule *cs,
    const char *conversation, int64_t now)
{
	int rc;

	if ((rc = store_begin(e->store)) != 0)
		return rc;
	if ((rc = engine_post_question(e, cs, conversation, now, false)) != 0 ||
	    (rc = store_commit(e->store)) != 0) {
		store_rollback(e->store);
		return rc;
	}
	return 0;
}

int
engine_ask_now(struct engine *e, const char *conversation, char err[DRILL_ERRLEN])
{
	const struct config_schedule *cs = schedule_of(e, conversation);
	int rc;

	if (cs == NULL) {
		drill_seterr(err, "%s has no schedule in the config", conversation);
		return DRILL_ENOTFOUND;
	}
	if ((rc = ask_now(e, cs, conversation, now_of(e))) == DRILL_ENOTFOUND)
		drill_seterr(err, "no question matches the schedule of %s (its topics, "
		    "types and level)", conversation);
	else if (rc == DRILL_ENOTSUP)
		drill_seterr(err, "no chat platform is enabled to post to %s", conversation);
	else if (rc != 0)
		drill_seterr(err, "cannot post to %s: %s", conversation, drill_strerror(rc));
	return rc;
}

size_t
engine_reveal_due(struct engine *e, int64_t now)
{
	int64_t did, at;
	size_t n = 0;
	int rc;

	while (store_reveal_next(e->store, 0, &did, &at) == 0 && at <= now) {
		if ((rc = store_begin(e->store)) != 0) {
			/* the store is failing: the timer tries again later */
			e->retry_at = now + REVEAL_RETRY_S;
			break;
		}
		if ((rc = reveal(e, did, now)) == 0 && (rc = store_commit(e->store)) == 0) {
			n++;
			continue;
		}
		store_rollback(e->store);
		/* one that fails waits, and the others go on */
		if (rc == DRILL_ENOTSUP || rc == DRILL_EINVAL) {
			/* no adapter, or its thread's first message is gone */
			log_error("cannot reveal a channel question (%s); given up "
			    "delivery=%lld", rc == DRILL_ENOTSUP ? "no chat platform is "
			    "enabled to post to it" : drill_strerror(rc), (long long)did);
			rc = store_delivery_revealed(e->store, did, now);
		} else {
			log_error("cannot reveal a channel question delivery=%lld: %s; "
			    "trying again in %d s", (long long)did, drill_strerror(rc),
			    REVEAL_RETRY_S);
			rc = store_delivery_set_reveal(e->store, did, now + REVEAL_RETRY_S);
		}
		if (rc != 0) {
			e->retry_at = now + REVEAL_RETRY_S;
			break;
		}
	}
	return n;
}

int64_t
engine_next_reveal_at(struct engine *e)
{
	int64_t did, at;

	return store_reveal_next(e->store, 0, &did, &at) == 0 ? at : INT64_MAX;
}

/* The feedback on a channel answer, without the model answer before the reveal. */
static struct msg *
channel_feedback(const struct scorer_result *r, const struct bank_question *q,
    bool late, bool edited)
{
	struct msg *m = feedback_score_msg(r, 0, false);

	if (m == NULL)
		return NULL;
	if (edited)
		msg_add(m, MSG_TEXT, "(Your edited answer, scored again.)");
	if (late) {
		msg_add(m, MSG_TEXT, "You answered after the reveal: the answer is "
		    "scored and marked late.");
		msg_add(m, MSG_QUOTE, "Model answer");
		msg_add_item(m, q->model_answer, NULL);
	} else {
		msg_add(m, MSG_TEXT, "The model answer and how everyone did follow in "
		    "the thread at the reveal.");
	}
	return m;
}

/* Where the feedback on an answer to channel question d goes. */
static int
post_feedback(struct turn *t, const struct store_delivery *d, const char *conv,
    const struct msg *m)
{
	struct platform_dest dest = {conv, NULL, NULL, d->root_row, false};

	if (strcmp(d->kind, "scheduled") != 0 || d->answers_dm) {
		/* where the answer was given: a DM, or the practice conversation */
		dest = (struct platform_dest){t->ev->conversation, NULL, NULL, 0, false};
		if (t->reply != NULL) {
			t->reply(t->arg, t->ev, m);
			return 0;
		}
		return post(t->e, &dest, m, NULL);
	}
	if (d->feedback_thread)
		return post(t->e, &dest, m, NULL);
	return post_private(t->e, conv, t->ev->user, NULL, d->root_row, m);
}

struct count { int64_t n; };

static void
on_count(void *arg, const struct store_answer *a)
{
	(void)a;
	((struct count *)arg)->n++;
}

/*
 * Scores text as person's answer to channel question d (in its thread, or
 * in a DM when via_dm), stores it with its feedback (and, for private
 * answers, the thread's note of who answered) in one transaction.
 */
static int
channel_answer(struct turn *t, const struct store_delivery *d,
    const struct bank_question *q, const char *text, size_t len, bool via_dm)
{
	struct store_answer a = {0};
	struct scorer_result r;
	struct msg *m = NULL;
	char *json = NULL, *conv = NULL;
	bool late = d->revealed_at != 0;
	int64_t aid;
	int rc;

	if ((rc = score_answer(t, q, d->id, text, len, &r, &a, &json)) != 0) {
		say(t, "Sorry, I could not score that (out of memory). Please try again.");
		return rc;
	}
	a.late = late;
	if ((m = channel_feedback(&r, q, late, false)) == NULL) {
		rc = DRILL_ENOMEM;
		goto out;
	}
	if ((rc = store_conversation_name(t->e->store, d->conversation_id, &conv)) != 0 ||
	    (rc = store_begin(t->e->store)) != 0)
		goto fail;
	if ((rc = store_answer_add(t->e->store, &a, &aid)) != 0 ||
	    (rc = post_feedback(t, d, conv, m)) != 0)
		goto rollback;
	if (via_dm) {
		struct count c = {0};
		struct platform_dest dest = {conv, NULL, NULL, d->root_row, false};
		if ((rc = store_practice_set(t->e->store, t->person, d->conversation_id, 0)) != 0 ||
		    (rc = store_delivery_answers(t->e->store, d->id, on_count, &c)) != 0)
			goto rollback;
		msg_free(m);
		if ((m = msg_new()) == NULL) {
			rc = DRILL_ENOMEM;
			goto rollback;
		}
		msg_add(m, MSG_PEOPLE, "has answered%s (%lld so far).",
		    late ? ", late" : "", (long long)c.n);
		msg_add_item(m, t->ev->user, NULL);
		if ((rc = post(t->e, &dest, m, NULL)) != 0)
			goto rollback;
	}
	if ((rc = store_commit(t->e->store)) != 0)
		goto rollback;
	log_info("channel answer scored person=%s conversation=%s question=%s score=%d%s",
	    t->ev->user, conv, q->id, r.score, late ? " late=1" : "");
	log_answer_text(t, text, len);
	goto out;
rollback:
	store_rollback(t->e->store);
fail:
	t->privately = true;
	say_store_error(t, "saving an answer");
out:
	msg_free(m);
	free(conv);
	free(json);
	return rc;
}

/*
 * An edit: when it is of an answer given less than ENGINE_EDIT_S ago, the
 * answer is replaced by the new text and scored again. Anything else
 * edited is conversation.
 */
static int
edit(struct turn *t)
{
	const struct platform_event *ev = t->ev;
	struct store_answer old = {0}, a = {0};
	struct store_delivery d = {0};
	const struct bank_question *q;
	struct scorer_result r;
	struct msg *m = NULL;
	char *json = NULL, *conv = NULL;
	const char *problem;
	int64_t aid;
	int rc;

	if (ev->message_id == NULL ||
	    store_person_find(t->e->store, ev->user, &t->person) != 0 ||
	    store_answer_by_message(t->e->store, t->person, ev->message_id, &aid) != 0)
		return 0;
	if ((rc = store_answer_get(t->e->store, aid, &old)) != 0 ||
	    (rc = store_delivery_get(t->e->store, old.delivery_id, &d)) != 0)
		goto out;
	if (t->now - old.created_at > ENGINE_EDIT_S ||
	    (q = bank_find(t->e->bank, old.question_id)) == NULL) {
		log_debug("edit of an answer not re-scored (too late) person=%s", ev->user);
		goto out;
	}
	t->privately = true;
	/* the model answer, once seen, would score the edit */
	if (strcmp(d.kind, "scheduled") != 0) {
		say(t, "Your practice answer was scored when you sent it, and its "
		    "feedback showed the model answer, so an edit does not change the "
		    "score. `next` asks another question.");
		goto out;
	}
	if (d.revealed_at != 0) {
		say(t, "The model answer has been revealed since you answered, so "
		    "your answer stays as it was scored.");
		goto out;
	}
	if ((problem = problem_of(t->e, ev->text ? ev->text : "", ev->text ? ev->text_len : 0))
	    != NULL) {
		say(t, problem);
		say(t, "I kept your answer as it was before the edit.");
		goto out;
	}
	if ((rc = score_answer(t, q, d.id, ev->text, ev->text_len, &r, &a, &json)) != 0) {
		say(t, "Sorry, I could not score your edited answer (out of memory); "
		    "the earlier one stands.");
		goto out;
	}
	if (strcmp(d.kind, "scheduled") == 0)
		m = channel_feedback(&r, q, old.late, true);
	else if ((m = feedback_score_msg(&r, old.hints_used, old.model_seen)) != NULL)
		msg_add(m, MSG_TEXT, "(Your edited answer, scored again.)");
	if (m == NULL) {
		rc = DRILL_ENOMEM;
		goto out;
	}
	if ((rc = store_conversation_name(t->e->store, d.conversation_id, &conv)) != 0 ||
	    (rc = store_begin(t->e->store)) != 0)
		goto fail;
	if ((rc = store_answer_replace(t->e->store, aid, &a)) != 0 ||
	    (rc = post_feedback(t, &d, conv, m)) != 0 ||
	    (rc = store_commit(t->e->store)) != 0) {
		store_rollback(t->e->store);
		goto fail;
	}
	log_info("answer edited and scored again person=%s question=%s score=%d (was %d)",
	    ev->user, q->id, r.score, old.score);
	log_answer_text(t, ev->text, ev->text_len);
	goto out;
fail:
	say_store_error(t, "saving an edited answer");
out:
	msg_free(m);
	free(conv);
	free(json);
	store_answer_clear(&old);
	store_delivery_clear(&d);
	return rc;
}

/* `answer`: a channel question answered privately, in a DM. */
static int
cmd_answer(struct turn *t)
{
	struct store_delivery d = {0};
	const struct bank_question *q;
	struct platform_dest dest = {NULL, t->ev->user, NULL, 0, false};
	struct msg *m;
	int64_t aid;
	int rc;

	t->privately = true;
	if (t->thread_delivery == 0) {
		say(t, "To answer a question of the day privately, press Answer "
		    "privately under it, or write `answer` to me in its thread.");
		return 0;
	}
	if ((rc = store_delivery_get(t->e->store, t->thread_delivery, &d)) != 0) {
		say_store_error(t, "reading the question");
		return rc;
	}
	if (!d.answers_dm) {
		say(t, "This question is answered in its thread: reply there.");
	} else if (store_answer_find(t->e->store, d.id, t->person, &aid) == 0) {
		say(t, "You have answered this one already; your feedback is in our "
		    "direct messages.");
	} else if ((q = bank_find(t->e->bank, d.question_id)) == NULL) {
		say(t, "This question has left the bank since it was asked, so it can "
		    "no longer be answered.");
	} else if ((m = msg_new()) != NULL) {
		msg_add(m, MSG_TITLE, "Your private answer");
		msg_add(m, MSG_TEXT, "%s", q->prompt);
		msg_add(m, MSG_TEXT, "Reply here with your answer: only you and I see it. "
		    "You get your feedback at once; the model answer comes in the "
		    "channel's thread at the reveal.");
		if ((rc = store_begin(t->e->store)) == 0) {
			if ((rc = store_practice_drop_channel(t->e->store, t->person)) != 0 ||
			    (rc = store_practice_set(t->e->store, t->person, d.conversation_id,
			    d.id)) != 0 || (rc = post(t->e, &dest, m, NULL)) != 0 ||
			    (rc = store_commit(t->e->store)) != 0)
				store_rollback(t->e->store);
		}
		msg_free(m);
		if (rc != 0)
			say_store_error(t, "sending you the question");
	}
	store_delivery_clear(&d);
	return rc;
}

/* A polite no for whoever is not an admin; true when refused. */
static bool
refuse_non_admin(struct turn *t, const char *what)
{
	char buf[300];

	if (is_admin(t->e, t->ev->user))
		return false;
	t->privately = true;
	snprintf(buf, sizeof(buf), "Sorry, only drilld's admins can %s. If you "
	    "think this channel's question should change, ask one of them.", what);
	say(t, buf);
	return true;
}

/* "2026-03-27 09:30 CET (08:30 UTC)" for instant at in zone. */
static void
when_words(struct engine *e, int64_t at, const char *zname, char *buf, size_t sz)
{
	const struct tz *tz = zone(e, zname);
	struct tz_local l;
	char utc[CRON_RFC3339_LEN];

	if (at == INT64_MAX) {
		snprintf(buf, sz, "none");
		return;
	}
	if (cron_format_utc(at, utc) != 0)
		utc[0] = '\0';
	if (tz != NULL && tz_localtime(tz, at, &l) == 0)
		snprintf(buf, sz, "%04d-%02d-%02d %02d:%02d %s (%s)", l.year, l.month,
		    l.day, l.hour, l.minute, l.abbr ? l.abbr : zname, utc);
	else
		snprintf(buf, sz, "%s", utc);
}

/* Splits `schedule set` arguments: a cron expression (quoted, or five fields) and a zone. */
static int
split_schedule_set(const char *arg, char *cron, size_t csz, char *zone, size_t zsz)
{
	const char *p = arg + 3, *end;
	size_t n;

	zone[0] = '\0';
	while (*p == ' ' || *p == '\t')
		p++;
	/* straight quotes, or the curly ones chat clients type */
	if (*p == '"' || strncmp(p, "\u201c", 3) == 0) {
		p += *p == '"' ? 1 : 3;
		if ((end = strchr(p, '"')) == NULL && (end = strstr(p, "\u201d")) == NULL)
			return -1;
		n = (size_t)(end - p);
		end += *end == '"' ? 1 : 3;
	} else {
		int fields = 0;
		end = p;
		while (*end && fields < 5) {
			while (*end && *end != ' ' && *end != '\t')
				end++;
			fields++;
			while (fields < 5 && (*end == ' ' || *end == '\t'))
				end++;
		}
		n = (size_t)(end - p);
	}
	if (n == 0 || n >= csz)
		return -1;
	memcpy(cron, p, n);
	cron[n] = '\0';
	while (*end == ' ' || *end == '\t')
		end++;
	n = strlen(end);
	if (n >= zsz || strchr(end, ' ') != NULL)
		return -1;
	memcpy(zone, end, n + 1);
	return 0;
}

static int
cmd_schedule(struct turn *t, const struct command *c)
{
	const char *conv = t->ev->conversation;
	struct sched_info si;
	char err[DRILL_ERRLEN], cron[128], zone[64], next[96], buf[600];
	int rc;

	if (t->ev->conv_kind != PLATFORM_CHANNEL) {
		say(t, "`schedule` works in a channel that gets questions: write it "
		    "to me there.");
		return 0;
	}
	if (refuse_non_admin(t, "see or change a channel's schedule"))
		return 0;
	if (t->e->sched == NULL || sched_info(t->e->sched, conv, &si) != 0) {
		say(t, "This channel has no schedule. Schedules are set up in drilld's "
		    "config file (`schedules`).");
		return 0;
	}
	if (strncasecmp(c->arg, "set", 3) == 0) {
		if (split_schedule_set(c->arg, cron, sizeof(cron), zone, sizeof(zone)) != 0) {
			say(t, "Write it as `schedule set \"30 9 * * 1-5\" Europe/Berlin`: "
			    "five cron fields in quotes, then a time zone if it changes.");
			return 0;
		}
		if ((rc = sched_set(t->e->sched, conv, cron, zone[0] ? zone : NULL,
		    t->now, err)) != 0) {
			snprintf(buf, sizeof(buf), "That did not change the schedule: %s",
			    rc == DRILL_EINVAL ? err : drill_strerror(rc));
			say(t, buf);
			return 0;
		}
		log_info("schedule changed in chat conversation=%s by=%s", conv, t->ev->user);
	} else if (strcasecmp(c->arg, "pause") == 0 || strcasecmp(c->arg, "resume") == 0) {
		bool pause = strcasecmp(c->arg, "pause") == 0;
		if ((rc = pause ? sched_pause(t->e->sched, conv, t->now) :
		    sched_resume(t->e->sched, conv, t->now)) != 0) {
			say_store_error(t, "changing the schedule");
			return rc;
		}
		log_info("schedule %s in chat conversation=%s by=%s",
		    pause ? "paused" : "resumed", conv, t->ev->user);
	}
	if (sched_info(t->e->sched, conv, &si) != 0)
		return 0;
	when_words(t->e, si.next, si.timezone, next, sizeof(next));
	snprintf(buf, sizeof(buf), "Schedule: `%s` in %s (%s)%s. Next question: %s.",
	    si.cron, si.timezone, si.from_chat ? "set in chat" : "from the config",
	    si.paused ? ", paused: `schedule resume` starts it again" : "", next);
	say(t, buf);
	return 0;
}

static int
cmd_ask(struct turn *t)
{
	const struct config_schedule *cs;
	int rc;

	if (t->ev->conv_kind != PLATFORM_CHANNEL) {
		say(t, "`ask now` works in a channel that gets questions: write it to me "
		    "there.");
		return 0;
	}
	if (refuse_non_admin(t, "ask for a question now"))
		return 0;
	if ((cs = schedule_of(t->e, t->ev->conversation)) == NULL) {
		say(t, "This channel has no schedule, so I do not know which questions "
		    "it gets. Schedules are set up in drilld's config file.");
		return 0;
	}
	rc = ask_now(t->e, cs, t->ev->conversation, t->now);
	if (rc == DRILL_ENOTFOUND)
		say(t, "No question matches this channel's topics, types and level.");
	else if (rc != 0)
		say_store_error(t, "posting the question");
	else
		log_info("question asked now conversation=%s by=%s", t->ev->conversation,
		    t->ev->user);
	return rc == DRILL_ENOTFOUND ? 0 : rc;
}

/* ---- personal practice: subscriptions, settings, people's data ---- */

/* The rule subs_next needs for person's subscription sub. */
static int
sub_rule(struct engine *e, const struct store_subscription *sub, struct subs_rule *r)
{
	struct store_person_settings set;
	int rc;

	if ((rc = store_person_settings_get(e->store, sub->person_id, &set)) != 0)
		return rc;
	r->at = sub->at;
	r->weekdays = sub->weekdays;
	r->quiet_start = set.quiet_start;
	r->quiet_end = set.quiet_end;
	store_person_settings_clear(&set);
	return 0;
}

/*
 * Computes and stores when sub's next question is due: the first slot
 * after the last one delivered (or after its start, for one that has had
 * none), not before now, so that a change of settings neither repeats
 * nor loses a day's question (subs.h).
 */
static int
sub_schedule(struct engine *e, struct store_subscription *sub, int64_t now)
{
	struct subs_rule r;
	const struct tz *tz;
	int64_t next, after = sub->last_at > 0 ? sub->last_at : sub->created_at;
	int rc;

	if ((rc = sub_rule(e, sub, &r)) != 0)
		return rc;
	if (after <= 0 || after > now)
		after = now;
	tz = person_tz(e, sub->person_id);
	rc = subs_next(&r, tz, after, sub->paused_until > now ? sub->paused_until : now,
	    &next);
	if (rc != 0)
		return rc;
	sub->next_at = next;
	return store_subscription_put(e->store, sub);
}

/* "weekdays at 09:00 (Europe/Paris)" and the next one, for replies. */
static void
sub_words(struct engine *e, const struct store_subscription *sub, char *buf, size_t sz)
{
	const struct tz *tz = person_tz(e, sub->person_id);
	struct tz_local l;
	char at[6], topics[256] = "";

	subs_format_time(sub->at, at);
	if (sub->topics)
		topics_line(sub->topics, topics, sizeof(topics));
	if (tz != NULL && tz_localtime(tz, sub->next_at, &l) == 0)
		snprintf(buf, sz, "a question %s at %s (%s)%s%s. The next: %04d-%02d-%02d "
		    "%02d:%02d.", sub->weekdays ? "every weekday" : "every day", at,
		    tz_name(tz), topics[0] ? " on " : "", topics, l.year, l.month, l.day,
		    l.hour, l.minute);
	else
		snprintf(buf, sz, "a question %s at %s", sub->weekdays ? "every weekday" :
		    "every day", at);
}

/* In a DM only; says where otherwise. */
static bool
dm_only(struct turn *t, const char *what)
{
	char buf[200];

	if (t->ev->conv_kind == PLATFORM_DM)
		return true;
	t->privately = true;
	snprintf(buf, sizeof(buf), "`%s` is yours alone: write it to me in a direct "
	    "message.", what);
	say(t, buf);
	return false;
}

static int
cmd_subscribe(struct turn *t, const struct command *c)
{
	struct store_subscription sub = {0}, old;
	char buf[600], words[256], *w, *save = NULL;
	int at = SUBS_DEFAULT_AT, v, rc;
	bool weekdays = false, have_old;

	if (!dm_only(t, "subscribe"))
		return 0;
	if (strncmp(t->ev->conversation, "console:", 8) == 0) {
		say(t, "Daily questions come in chat (Slack or Matrix), where I can "
		    "write first. Here in the terminal, `practice` gives you one now.");
		return 0;
	}
	have_old = store_subscription_get(t->e->store, t->person, &old) == 0;
	if (have_old) {
		at = old.at;
		weekdays = old.weekdays;
		sub.topics = old.topics;
		sub.paused_until = old.paused_until;
		sub.created_at = old.created_at;
		sub.last_at = old.last_at;
	}
	snprintf(words, sizeof(words), "%s", c->arg);
	for (w = strtok_r(words, " \t", &save); w != NULL; w = strtok_r(NULL, " \t", &save)) {
		if (strcasecmp(w, "at") == 0) {
			if ((w = strtok_r(NULL, " \t", &save)) == NULL || subs_parse_time(w, &at) != 0) {
				say(t, "After `at` comes a time of day: `subscribe at 8:30` or "
				    "`subscribe at 7am`.");
				return 0;
			}
		} else if (strcasecmp(w, "weekdays") == 0) {
			weekdays = true;
		} else if (strcasecmp(w, "daily") == 0) {
			weekdays = false;
		} else if ((v = vocab_topic_parse(w)) >= 0) {
			if (!have_old || sub.topics == old.topics)
				sub.topics = 0;	/* topics given replace the old ones */
			have_old = false;
			sub.topics |= 1u << v;
		} else {
			snprintf(buf, sizeof(buf), "I don't know \"%s\". Write `subscribe`, "
			    "optionally with topics, `at 8:30` and `weekdays` or `daily`; "
			    "`topics` lists the topics.", w);
			say(t, buf);
			return 0;
		}
	}
	sub.person_id = t->person;
	sub.conversation_id = t->conv;
	sub.at = at;
	sub.weekdays = weekdays;
	if (sub.created_at == 0)
		sub.created_at = t->now;
	if ((rc = sub_schedule(t->e, &sub, t->now)) != 0) {
		say_store_error(t, "saving your subscription");
		return rc;
	}
	sub_words(t->e, &sub, buf + 12, sizeof(buf) - 12);
	memcpy(buf, "Subscribed: ", 12);
	say(t, buf);
	say(t, "`pause 7d` pauses it and keeps your streak, `quiet 22:00-07:00` sets "
	    "quiet hours, `tz Europe/Paris` your time zone, `unsubscribe` ends it.");
	log_info("subscribed person=%s at=%d weekdays=%d", t->ev->user, at, weekdays);
	return 0;
}

static int
cmd_unsubscribe(struct turn *t)
{
	int rc = store_subscription_delete(t->e->store, t->person);

	t->privately = true;
	if (rc == DRILL_ENOTFOUND) {
		say(t, "You have no subscription. `subscribe` starts one.");
		return 0;
	}
	if (rc != 0) {
		say_store_error(t, "ending your subscription");
		return rc;
	}
	say(t, "Unsubscribed: no more daily questions. Your answers and streak are "
	    "kept; `subscribe` starts again.");
	return 0;
}

static int
cmd_pause(struct turn *t, const struct command *c)
{
	struct store_subscription sub;
	const struct tz *tz;
	int64_t sec, from, to;
	char buf[600];
	int rc;

	if (!dm_only(t, "pause"))
		return 0;
	if (subs_parse_pause(c->arg, &sec) != 0) {
		say(t, "Pause for how long? `pause 7d`, `pause 2w`, `pause 36h` (1 hour to "
		    "a year).");
		return 0;
	}
	if ((rc = store_subscription_get(t->e->store, t->person, &sub)) == DRILL_ENOTFOUND) {
		say(t, "You have no subscription to pause. `subscribe` starts one.");
		return 0;
	}
	tz = person_tz(t->e, t->person);
	from = day_in(tz, t->now);
	to = day_in(tz, t->now + sec);
	sub.paused_until = t->now + sec;
	if (rc != 0 || (rc = store_begin(t->e->store)) != 0)
		goto fail;
	/* the days of the pause keep the streak */
	if ((rc = store_pause_add(t->e->store, t->person, from, to)) != 0 ||
	    (rc = sub_schedule(t->e, &sub, t->now)) != 0 ||
	    (rc = store_commit(t->e->store)) != 0) {
		store_rollback(t->e->store);
		goto fail;
	}
	sub_words(t->e, &sub, buf + 8, sizeof(buf) - 8);
	memcpy(buf, "Paused: ", 8);
	say(t, buf);
	say(t, "Your streak is kept over the pause.");
	return 0;
fail:
	say_store_error(t, "pausing your subscription");
	return rc;
}

/* After a change of zone or quiet hours, the next question moves. */
static int
resubscribe(struct turn *t)
{
	struct store_subscription sub;
	int rc = store_subscription_get(t->e->store, t->person, &sub);

	if (rc == DRILL_ENOTFOUND)
		return 0;
	return rc != 0 ? rc : sub_schedule(t->e, &sub, t->now);
}

static int
cmd_tz(struct turn *t, const struct command *c)
{
	struct store_person_settings set;
	const struct tz *tz;
	char buf[400];
	int rc;

	t->privately = true;	/* a person's settings are nobody else's business */
	if (c->arg[0] == '\0') {
		tz = person_tz(t->e, t->person);
		snprintf(buf, sizeof(buf), "Your time zone: %s. `tz Europe/Paris` changes "
		    "it.", tz ? tz_name(tz) : "UTC");
		say(t, buf);
		return 0;
	}
	if (zone(t->e, c->arg) == NULL) {
		snprintf(buf, sizeof(buf), "I don't know the time zone \"%.64s\". Use a "
		    "name like Europe/Paris, America/New_York or Asia/Kolkata.", c->arg);
		say(t, buf);
		return 0;
	}
	if ((rc = store_person_set_timezone(t->e->store, t->person, c->arg, false)) != 0 ||
	    (rc = resubscribe(t)) != 0 ||
	    (rc = store_person_settings_get(t->e->store, t->person, &set)) != 0) {
		say_store_error(t, "saving your time zone");
		return rc;
	}
	if (set.platform_timezone != NULL)
		snprintf(buf, sizeof(buf), "Noted: %s. Your chat platform gives your zone "
		    "as %s, and that one comes first.", c->arg, set.platform_timezone);
	else
		snprintf(buf, sizeof(buf), "Your time zone is now %s: daily questions come "
		    "at your local time.", c->arg);
	store_person_settings_clear(&set);
	say(t, buf);
	return 0;
}

static int
cmd_quiet(struct turn *t, const struct command *c)
{
	char buf[200], a[6], b[6];
	int start, end, rc;

	t->privately = true;
	if (subs_parse_quiet(c->arg, &start, &end) != 0)
		return 0;	/* the parser let it through only when it parses */
	if ((rc = store_person_set_quiet(t->e->store, t->person, start, end)) != 0 ||
	    (rc = resubscribe(t)) != 0) {
		say_store_error(t, "saving your quiet hours");
		return rc;
	}
	subs_format_time(start, a);
	subs_format_time(end, b);
	if (start == end)
		snprintf(buf, sizeof(buf), "No quiet hours.");
	else
		snprintf(buf, sizeof(buf), "Quiet hours %s-%s: a daily question due then "
		    "comes at %s.", a, b, b);
	say(t, buf);
	return 0;
}

static int
cmd_leaderboard(struct turn *t, const struct command *c)
{
	struct store_person_settings set;
	bool on = strcasecmp(c->arg, "on") == 0;
	int rc;

	t->privately = true;
	if (c->arg[0] == '\0') {
		if ((rc = store_person_settings_get(t->e->store, t->person, &set)) != 0)
			return rc;
		say(t, set.leaderboard ? "You are on the weekly leaderboards (`leaderboard "
		    "off` leaves them)." : "You are not on the leaderboards: you count "
		    "only in totals and averages (`leaderboard on` to appear).");
		store_person_settings_clear(&set);
		return 0;
	}
	if ((rc = store_person_set_leaderboard(t->e->store, t->person, on)) != 0) {
		say_store_error(t, "saving your choice");
		return rc;
	}
	say(t, on ? "You are on the weekly leaderboards from now on, by name." :
	    "You are off the leaderboards: you count only in totals and averages.");
	return 0;
}

/*
 * The length of the part of json starting at off: at most MYDATA_CHUNK
 * bytes, cut after a line when there is one, else before a UTF-8
 * sequence, never inside one.
 */
static size_t
mydata_cut(const char *json, size_t len, size_t off)
{
	size_t n = len - off > MYDATA_CHUNK ? MYDATA_CHUNK : len - off, k;

	if (off + n >= len)
		return n;
	for (k = n; k > 0 && json[off + k - 1] != '\n'; k--)
		;
	if (k > 0)
		return k;
	/* one long line: back up to the start of a sequence */
	for (k = n; k > 1 && ((unsigned char)json[off + k] & 0xc0) == 0x80; k--)
		;
	return k;
}

static int
cmd_mydata(struct turn *t)
{
	struct platform_dest dm = {NULL, t->ev->user, NULL, 0, false};
	char *json = NULL;
	size_t len, off, n, parts, part = 0;
	int rc;

	if ((rc = store_person_export(t->e->store, t->ev->user, &json)) != 0) {
		say_store_error(t, "reading your data");
		return rc;
	}
	len = strlen(json);
	/* the parts first, so that they are numbered right */
	for (off = 0, parts = 0; off < len; off += mydata_cut(json, len, off), parts++)
		;
	if (t->ev->conv_kind != PLATFORM_DM) {
		t->privately = true;
		say(t, "Your data comes in a direct message.");
	}
	for (off = 0; off < len; off += n) {
		struct msg *m = msg_new();
		n = mydata_cut(json, len, off);
		if (m == NULL) {
			rc = DRILL_ENOMEM;
			break;
		}
		if (off == 0)
			msg_add(m, MSG_TITLE, "Everything drilld keeps about you");
		msg_add(m, MSG_QUOTE, "JSON, part %zu of %zu", ++part, parts);
		{
			char *chunk = strndup(json + off, n);
			if (chunk != NULL)
				msg_add_item(m, chunk, NULL);
			else
				m->oom = 1;
			free(chunk);
		}
		if (t->ev->conv_kind == PLATFORM_DM || t->reply != NULL)
			send(t, m);
		else {
			if ((rc = post(t->e, &dm, m, NULL)) != 0)
				log_warnx("cannot queue a person's data: %s", drill_strerror(rc));
			msg_free(m);
		}
	}
	free(json);
	if (rc == 0)
		say(t, "`forget me` erases all of it.");
	return rc;
}

static int
cmd_forget(struct turn *t, const struct command *c)
{
	struct store_person_settings set;
	bool confirm = strcasecmp(c->arg, "me confirm") == 0;
	int64_t rows = 0;
	int rc;

	t->privately = true;
	if ((rc = store_person_settings_get(t->e->store, t->person, &set)) != 0) {
		say_store_error(t, "reading your settings");
		return rc;
	}
	if (confirm && (set.forget_asked == 0 || t->now - set.forget_asked > FORGET_CONFIRM_S)) {
		store_person_settings_clear(&set);
		say(t, "Nothing is erased: write `forget me` first, and then `forget me "
		    "confirm` within 10 minutes.");
		return 0;
	}
	if (!confirm) {
		store_person_settings_clear(&set);
		if ((rc = store_person_set_forget_asked(t->e->store, t->person, t->now)) != 0) {
			say_store_error(t, "noting your request");
			return rc;
		}
		say(t, "This erases everything I keep about you, for good: your answers, "
		    "scores, streak, settings and subscription. `my data` shows what that "
		    "is. To go ahead, write `forget me confirm` within 10 minutes.");
		return 0;
	}
	store_person_settings_clear(&set);
	if ((rc = store_person_forget(t->e->store, t->ev->user, &rows)) != 0) {
		say_store_error(t, "erasing your data");
		return rc;
	}
	t->e->forgotten_at = t->now;
	log_info("a person's data was erased on request rows=%lld", (long long)rows);
	say(t, "Done: everything I kept about you is erased. If you write to me again, "
	    "you start afresh.");
	return 0;
}

/*
 * Posts the daily question of person's subscription, due at due: their
 * open question again if they have one, else a review that is due, else
 * a new one at their level on their topics. In a transaction.
 */
static int
subscription_fire(struct engine *e, int64_t person, int64_t due, int64_t now)
{
	struct store_subscription sub;
	struct store_delivery d = {0};
	struct platform_event ev = {0};
	struct turn t = {0};
	char *conv = NULL, *name = NULL, missed[512], intro[640];
	const struct bank_question *q;
	int rc;

	if ((rc = store_subscription_get(e->store, person, &sub)) != 0 ||
	    (rc = store_conversation_name(e->store, sub.conversation_id, &conv)) != 0)
		goto out;
	if ((rc = store_person_name(e->store, person, &name)) != 0)
		goto out;
	ev.kind = PLATFORM_EV_MESSAGE;
	ev.conversation = conv;
	ev.conv_kind = PLATFORM_DM;
	ev.user = name;
	ev.ts = now;
	ev.addressed = true;
	t.e = e;
	t.ev = &ev;
	t.now = now;
	t.person = person;
	t.conv = sub.conversation_id;
	if (now - due > SUB_LATE_S) {
		log_info("daily question skipped: drilld was down when it was due person=%s",
		    name);
	} else if ((q = open_question(&t, &d, &rc)) != NULL) {
		store_delivery_clear(&d);
		ask(&t, q, "Your question from before is still open:");
	} else if (rc == 0 && (q = due_review(e, person, now, missed, sizeof(missed))) != NULL &&
	    !held_back(e, q->id)) {
		snprintf(intro, sizeof(intro), "Review: last time this one missed %s. Try "
		    "it again.", missed);
		rc = deliver(&t, q, "", intro);
	} else if (rc == 0) {
		struct command c;
		filter_command(NULL, &c);
		if (sub.topics != 0) {
			/* one of the subscribed topics, a different one each day */
			int k = (int)(rnd(e) % (uint64_t)__builtin_popcount(sub.topics));
			for (int i = 0; i < VOCAB_NTOPICS; i++)
				if ((sub.topics & (1u << i)) && k-- == 0)
					c.topic = i;
		}
		rc = practice(&t, &c, NULL);
	}
	if (rc == 0) {
		/* the slot of due is taken, delivered or skipped */
		if (sub.last_at < due)
			sub.last_at = due;
		rc = sub_schedule(e, &sub, now);
	}
out:
	free(conv);
	free(name);
	return rc;
}

/* ---- the weekly digest of a channel ---- */

struct digest_person {
	char *name;
	int64_t n, sum;
	bool board;	/* opted in to the leaderboard */
};

struct digest_missed {
	char *name;
	int64_t n;
};

struct digest_acc {
	const struct bank *bank;
	int64_t n, sum;
	struct digest_person *who;
	size_t nwho, capwho;
	int64_t *qn, *qsum;	/* per bank question */
	struct digest_missed *missed;
	size_t nmissed, capmissed;
	bool oom;
};

/* Grows *v (of *cap elements of size sz) to hold one more than n. */
static bool
grow(void **v, size_t *cap, size_t n, size_t sz)
{
	void *p;
	size_t c;

	if (n < *cap)
		return true;
	c = *cap ? *cap * 2 : 16;
	if ((p = realloc(*v, c * sz)) == NULL)
		return false;
	*v = p;
	*cap = c;
	return true;
}

static void
on_digest_missed(void *arg, const char *name)
{
	struct digest_acc *d = arg;
	size_t i;

	for (i = 0; i < d->nmissed && strcmp(d->missed[i].name, name) != 0; i++)
		;
	if (i == d->nmissed) {
		if (!grow((void **)&d->missed, &d->capmissed, d->nmissed, sizeof(*d->missed)) ||
		    (d->missed[i].name = strdup(name)) == NULL) {
			d->oom = true;
			return;
		}
		d->missed[i].n = 0;
		d->nmissed++;
	}
	d->missed[i].n++;
}

static void
on_digest_answer(void *arg, const struct store_answer *a, const char *person)
{
	struct digest_acc *d = arg;
	const struct bank_question *q = bank_find(d->bank, a->question_id);
	size_t i;

	d->n++;
	d->sum += a->score;
	for (i = 0; i < d->nwho && strcmp(d->who[i].name, person) != 0; i++)
		;
	if (i == d->nwho) {
		if (!grow((void **)&d->who, &d->capwho, d->nwho, sizeof(*d->who)) ||
		    (d->who[i].name = strdup(person)) == NULL) {
			d->oom = true;
			return;
		}
		d->who[i].n = d->who[i].sum = 0;
		d->who[i].board = false;
		d->nwho++;
	}
	d->who[i].n++;
	d->who[i].sum += a->score;
	if (q != NULL) {
		d->qn[bank_index(d->bank, q)]++;
		d->qsum[bank_index(d->bank, q)] += a->score;
	}
	each_missed(a->breakdown, on_digest_missed, d);
}

static void
digest_free(struct digest_acc *d)
{
	if (d == NULL)
		return;
	for (size_t i = 0; i < d->nwho; i++)
		free(d->who[i].name);
	for (size_t i = 0; i < d->nmissed; i++)
		free(d->missed[i].name);
	free(d->who);
	free(d->missed);
	free(d->qn);
	free(d->qsum);
	free(d);
}

/*
 * Posts conversation's digest of the week before now: answers, average,
 * the hardest question (lowest mean with at least 3 answers), the concept
 * most often missed, and a leaderboard of the people who opted in.
 */
static int
digest_post(struct engine *e, const char *conversation, int64_t now)
{
	struct digest_acc *d = calloc(1, sizeof(*d));
	struct platform_dest dest = {conversation, NULL, NULL, 0, false};
	struct msg *m = NULL;
	size_t nq = bank_count(e->bank) ? bank_count(e->bank) : 1;
	int hardest = -1, worst = -1, rc;
	size_t board[5], nboard = 0;
	int64_t conv;

	if (d == NULL || (d->qn = calloc(nq, sizeof(int64_t))) == NULL ||
	    (d->qsum = calloc(nq, sizeof(int64_t))) == NULL) {
		digest_free(d);
		return DRILL_ENOMEM;
	}
	d->bank = e->bank;
	/* known as a conversation, so its messages are never taken for orphans */
	if ((rc = store_conversation_ensure(e->store, conversation, STORE_CONV_CHANNEL,
	    now, &conv)) != 0 ||
	    (rc = store_conversation_answers(e->store, conversation, now - DIGEST_WINDOW_S,
	    now, on_digest_answer, d)) != 0)
		goto out;
	if (d->oom) {
		rc = DRILL_ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < bank_count(e->bank); i++)
		if (d->qn[i] >= 3 && (hardest < 0 || d->qsum[i] * d->qn[hardest] <
		    d->qsum[hardest] * d->qn[i]))
			hardest = (int)i;
	for (size_t i = 0; i < d->nmissed; i++)
		if (worst < 0 || d->missed[i].n > d->missed[worst].n)
			worst = (int)i;
	for (size_t i = 0; i < d->nwho; i++) {
		struct store_person_settings set;
		int64_t id;
		if (store_person_find(e->store, d->who[i].name, &id) == 0 &&
		    store_person_settings_get(e->store, id, &set) == 0) {
			d->who[i].board = set.leaderboard;
			store_person_settings_clear(&set);
		}
	}
	/* the leaderboard: opted-in people by average, then by answers */
	for (size_t k = 0; k < 5; k++) {
		int best = -1;
		for (size_t i = 0; i < d->nwho; i++) {
			bool taken = false;
			for (size_t j = 0; j < nboard; j++)
				taken |= board[j] == i;
			if (!d->who[i].board || taken)
				continue;
			if (best < 0 || d->who[i].sum * d->who[best].n > d->who[best].sum * d->who[i].n ||
			    (d->who[i].sum * d->who[best].n == d->who[best].sum * d->who[i].n &&
			    d->who[i].n > d->who[best].n))
				best = (int)i;
		}
		if (best < 0)
			break;
		board[nboard++] = (size_t)best;
	}
	rc = DRILL_ENOMEM;
	if ((m = msg_new()) == NULL)
		goto out;
	msg_add(m, MSG_TITLE, "This week in questions");
	if (d->n == 0) {
		msg_add(m, MSG_TEXT, "No answers this week.");
	} else {
		msg_add(m, MSG_TEXT, "%lld answer%s from %zu %s; average score %.0f/100.",
		    (long long)d->n, d->n == 1 ? "" : "s", d->nwho,
		    d->nwho == 1 ? "person" : "people", (double)d->sum / (double)d->n);
		if (hardest >= 0)
			msg_add(m, MSG_TEXT, "The hardest question: \"%s\" (average %.0f over "
			    "%lld answers).", bank_get(e->bank, (size_t)hardest)->prompt,
			    (double)d->qsum[hardest] / (double)d->qn[hardest],
			    (long long)d->qn[hardest]);
		if (worst >= 0)
			msg_add(m, MSG_TEXT, "The concept most often missed: %s (%lld time%s).",
			    d->missed[worst].name, (long long)d->missed[worst].n,
			    d->missed[worst].n == 1 ? "" : "s");
		if (nboard > 0) {
			char buf[64];
			msg_add(m, MSG_LIST, "Leaderboard (only people who chose `leaderboard on`)");
			for (size_t j = 0; j < nboard; j++) {
				size_t i = board[j];
				snprintf(buf, sizeof(buf), "average %.0f over %lld answer%s",
				    (double)d->who[i].sum / (double)d->who[i].n,
				    (long long)d->who[i].n, d->who[i].n == 1 ? "" : "s");
				msg_add_item(m, d->who[i].name, buf);
			}
		}
	}
	rc = post(e, &dest, m, NULL);
out:
	msg_free(m);
	digest_free(d);
	return rc;
}

/*
 * When schedule cs's next digest is due: its cron's first instant after
 * the last digest (or, before the first, after this engine started), in
 * the schedule's zone (the one set in chat, if any); INT64_MAX when it has
 * none or the schedule is paused. Reads only.
 */
static int64_t
digest_next(struct engine *e, const struct config_schedule *cs)
{
	struct sched_info si;
	struct cron c;
	char err[DRILL_ERRLEN];
	const char *zname = cs->timezone;
	const struct tz *tz;
	int64_t last, next = INT64_MAX;

	if (cs->digest == NULL || cron_parse(cs->digest, &c, err) != 0 ||
	    store_digest_last(e->store, cs->conversation, &last) != 0)
		return INT64_MAX;
	if (e->sched != NULL && sched_info(e->sched, cs->conversation, &si) == 0) {
		if (si.paused)
			return INT64_MAX;
		zname = si.timezone;
	}
	if (last == 0)
		last = e->started_at;
	if ((tz = zone(e, zname)) == NULL || cron_next(&c, tz, NULL, last, &next) != 0)
		next = INT64_MAX;
	return next;
}

/* Posts every digest due at now, each in its own transaction. */
static size_t
digests_due(struct engine *e, int64_t now)
{
	size_t n = 0;
	int rc;

	for (size_t i = 0; i < e->cfg->nschedules; i++) {
		const struct config_schedule *cs = &e->cfg->schedules[i];
		if (digest_next(e, cs) > now)
			continue;
		if ((rc = store_begin(e->store)) != 0) {
			e->retry_at = now + REVEAL_RETRY_S;
			break;
		}
		if ((rc = digest_post(e, cs->conversation, now)) == 0 &&
		    (rc = store_digest_set(e->store, cs->conversation, now)) == 0 &&
		    (rc = store_commit(e->store)) == 0) {
			n++;
			log_info("weekly digest posted conversation=%s", cs->conversation);
			continue;
		}
		store_rollback(e->store);
		/* the week is skipped, not retried: a digest is a summary, and
		 * retrying a failing one would spin the timer */
		log_error("cannot post the weekly digest of conversation=%s: %s; "
		    "skipped", cs->conversation, rc == DRILL_ENOTSUP ?
		    "no chat platform is enabled to post to it" : drill_strerror(rc));
		if (store_digest_set(e->store, cs->conversation, now) != 0) {
			e->retry_at = now + REVEAL_RETRY_S;
			break;
		}
	}
	return n;
}

/* ---- the engine's timer ---- */

size_t
engine_tick(struct engine *e, int64_t now)
{
	size_t n = engine_reveal_due(e, now);
	int64_t person, at;
	int rc;

	/* daily questions in DMs, each in its own transaction */
	for (int guard = 0; guard < 10000; guard++) {
		if (store_subscription_next(e->store, &person, &at) != 0 || at > now)
			break;
		if ((rc = store_begin(e->store)) != 0) {
			e->retry_at = now + REVEAL_RETRY_S;
			break;
		}
		if ((rc = subscription_fire(e, person, at, now)) == 0 &&
		    (rc = store_commit(e->store)) == 0) {
			n++;
			continue;
		}
		store_rollback(e->store);
		log_error("cannot post a daily question person=%lld: %s; trying again "
		    "in %d s", (long long)person, drill_strerror(rc), REVEAL_RETRY_S);
		if (store_subscription_set_next(e->store, person, now + REVEAL_RETRY_S) != 0) {
			e->retry_at = now + REVEAL_RETRY_S;
			break;
		}
	}
	n += digests_due(e, now);
	/* retention, once a day */
	if (e->cfg->store.retention_days > 0 && now - e->maintained_at >= DAY_S) {
		int64_t purged = 0;
		e->maintained_at = now;
		if (store_answers_purge(e->store, now - (int64_t)e->cfg->store.retention_days *
		    DAY_S, &purged) == 0 && purged > 0) {
			log_info("answers older than store.retention_days erased count=%lld",
			    (long long)purged);
			e->vacuum_due = true;
		}
	}
	/*
	 * After a `forget me`, the messages sent to that person since (the
	 * "Done: ... erased" reply) go too, once the outbox has sent them:
	 * looked for at each tick for FORGET_CONFIRM_S, then the file is
	 * compacted.
	 */
	if (e->forgotten_at != 0) {
		int64_t pruned = 0;
		if (store_outbox_prune_orphans(e->store, &pruned) != 0)
			log_warnx("cannot erase the sent messages of forgotten people");
		if (now - e->forgotten_at >= FORGET_CONFIRM_S) {
			e->forgotten_at = 0;
			e->vacuum_due = true;
		}
	}
	if (e->vacuum_due) {
		/* erased rows leave the log, and their space the file */
		bool vacuumed = false;
		e->vacuum_due = false;
		if (store_compact(e->store, &vacuumed) != 0)
			log_warnx("cannot compact the database after an erasure");
		else if (vacuumed)
			log_info("database compacted (VACUUM) after an erasure");
	}
	return n;
}

int64_t
engine_next_at(struct engine *e, int64_t now)
{
	int64_t next = engine_next_reveal_at(e), person, at;

	if (store_subscription_next(e->store, &person, &at) == 0 && at < next)
		next = at;
	for (size_t i = 0; i < e->cfg->nschedules; i++) {
		int64_t d = digest_next(e, &e->cfg->schedules[i]);
		if (d < next)
			next = d;
	}
	if (e->cfg->store.retention_days > 0 && e->maintained_at + DAY_S < next)
		next = e->maintained_at + DAY_S;
	if (e->forgotten_at != 0 && e->forgotten_at + FORGET_CONFIRM_S < next)
		next = e->forgotten_at + FORGET_CONFIRM_S;
	/* after a store failure, nothing before the retry: no spinning */
	if (e->retry_at > now && next < e->retry_at)
		next = e->retry_at;
	return next;
}

/* A reply in the thread of channel question did. */
static int
thread_reply(struct turn *t, int64_t did, const char *text, size_t len,
    const struct command *c, enum command_id id, bool *handled)
{
	struct store_delivery d = {0};
	const struct bank_question *q;
	const char *problem;
	int64_t aid;
	int rc;

	*handled = true;
	t->thread_delivery = did;
	/* a command only when it is one word addressed to the bot ("ask
	 * now" and "schedule ..." cannot be answers either): "@drill dispute
	 * resolution is..." is an answer */
	if (t->ev->kind == PLATFORM_EV_COMMAND || t->ev->kind == PLATFORM_EV_BUTTON ||
	    (t->ev->addressed && id != CMD_NONE && (c->arg[0] == '\0' ||
	    id == CMD_SCHEDULE || id == CMD_ASK || id == CMD_MYDATA || id == CMD_FORGET))) {
		*handled = false;	/* a command: the caller runs it */
		return 0;
	}
	t->privately = true;
	if ((rc = store_delivery_get(t->e->store, did, &d)) != 0) {
		say_store_error(t, "reading the question");
		return rc;
	}
	if (strcmp(d.kind, "practice") == 0) {
		/* someone's practice in public: their replies are answers, in
		 * the thread; anyone else's are conversation */
		int64_t open;
		if (store_person_find(t->e->store, t->ev->user, &t->person) != 0 ||
		    t->person != d.person_id)
			goto out;
		t->conv = d.conversation_id;
		if (store_practice_get(t->e->store, t->person, t->conv, &open) != 0 ||
		    open != did) {
			say(t, "This question is closed: your open one, if any, is in a "
			    "newer thread.");
			goto out;
		}
		t->privately = false;
		rc = (problem = problem_of(t->e, text, len)) != NULL ? (say(t, problem), 0) :
		    answer(t, text, len);
		goto out;
	}
	if (d.answers_dm)
		goto out;	/* answers come privately; this is conversation */
	if ((rc = store_person_ensure(t->e->store, t->ev->user, t->now, &t->person)) != 0) {
		say_store_error(t, "recording who answered");
		goto out;
	}
	if (store_answer_find(t->e->store, did, t->person, &aid) == 0)
		goto out;	/* their answer is given; the rest is conversation */
	if ((problem = problem_of(t->e, text, len)) != NULL) {
		say(t, problem);
		goto out;
	}
	if ((q = bank_find(t->e->bank, d.question_id)) == NULL) {
		say(t, "This question has left the bank since it was asked, so I "
		    "cannot score answers to it any more.");
		goto out;
	}
	rc = channel_answer(t, &d, q, text, len, false);
out:
	store_delivery_clear(&d);
	return rc;
}

/* Keeps the zone the platform gives for the person, when it is new and real. */
static void
platform_zone(struct turn *t, const char *name)
{
	struct store_person_settings set;
	bool same;

	if (strlen(name) > 64 || store_person_settings_get(t->e->store, t->person, &set) != 0)
		return;
	same = set.platform_timezone != NULL && strcmp(set.platform_timezone, name) == 0;
	store_person_settings_clear(&set);
	if (same)
		return;
	if (zone(t->e, name) == NULL) {
		log_warnx("the platform gave an unknown time zone for a person: ignored");
		return;
	}
	if (store_person_set_timezone(t->e->store, t->person, name, true) != 0 ||
	    resubscribe(t) != 0)
		log_warnx("cannot keep a person's time zone person=%s", t->ev->user);
}

/* Whether "subscribe ..." has only the words subscribe takes. */
static bool
subscribe_args_ok(const char *arg)
{
	char words[256], *w, *save = NULL;
	int m;

	snprintf(words, sizeof(words), "%s", arg);
	for (w = strtok_r(words, " \t", &save); w != NULL; w = strtok_r(NULL, " \t", &save)) {
		if (strcasecmp(w, "at") == 0) {
			if ((w = strtok_r(NULL, " \t", &save)) == NULL || subs_parse_time(w, &m) != 0)
				return false;
		} else if (strcasecmp(w, "weekdays") != 0 && strcasecmp(w, "daily") != 0 &&
		    vocab_topic_parse(w) < 0) {
			return false;
		}
	}
	return true;
}

/*
 * A command with arguments that no answer would be: the parser took them
 * only because they parse ("pause 3d", "quiet 22:00-07:00", "tz
 * Europe/Paris", "leaderboard on", "my data", "forget me", "subscribe at
 * 8:30 weekdays").
 */
static bool
unmistakable(const struct command *c)
{
	switch (c->id) {
	case CMD_PAUSE:
	case CMD_QUIET:
	case CMD_LEADERBOARD:
	case CMD_MYDATA:
	case CMD_FORGET:
		return true;
	case CMD_TZ:
		return strchr(c->arg, '/') != NULL || strcasecmp(c->arg, "UTC") == 0;
	case CMD_SUBSCRIBE:
		return subscribe_args_ok(c->arg);
	default:
		return false;
	}
}

/* How people address the bot before a command on conversation's platform. */
static const char *
invocation(const char *conversation)
{
	if (strncmp(conversation, "slack:", 6) == 0)
		return "/drill ";
	if (strncmp(conversation, "matrix:", 7) == 0)
		return "!drill ";
	return "";
}

/*
 * The bot joined a conversation: it says once, ever, what it does there
 * and how to use it (a second invitation says nothing).
 */
static int
introduce(struct turn *t)
{
	const struct platform_event *ev = t->ev;
	const char *cmd = invocation(ev->conversation);
	struct msg *m;
	bool first = false;
	int rc;

	if ((rc = store_begin(t->e->store)) != 0)
		return rc;
	if ((rc = store_conversation_ensure(t->e->store, ev->conversation,
	    ev->conv_kind == PLATFORM_DM ? STORE_CONV_DM : STORE_CONV_CHANNEL, t->now,
	    &t->conv)) != 0 ||
	    (rc = store_conversation_introduce(t->e->store, t->conv, t->now, &first)) != 0 ||
	    !first) {
		store_rollback(t->e->store);
		return rc;
	}
	if ((m = msg_new()) == NULL) {
		store_rollback(t->e->store);
		return DRILL_ENOMEM;
	}
	msg_add(m, MSG_TITLE, "Hello, I am drilld");
	if (ev->conv_kind == PLATFORM_CHANNEL) {
		msg_add(m, MSG_TEXT, "I help this channel practise for interviews. When a "
		    "question of the day is posted here, answer it in its thread: I score "
		    "each answer against the question's rubric and tell you privately which "
		    "points you covered and which you missed. The model answer comes when "
		    "the question closes.");
		msg_add(m, MSG_TEXT, "To practise on your own, write `%spractice` here (you "
		    "get a thread of your own) or `practice` in a direct message to me. "
		    "`%shelp` lists the commands.", cmd, cmd);
	} else {
		msg_add(m, MSG_TEXT, "I ask interview questions and score your answers: "
		    "what you covered, what you missed, and a model answer. Write "
		    "`practice` for a question, `help` for the commands.");
	}
	if ((rc = send(t, m)) != 0) {
		store_rollback(t->e->store);
		return rc;
	}
	if ((rc = store_commit(t->e->store)) != 0)
		return rc;
	log_info("introduced in conversation=%s", ev->conversation);
	return 0;
}

/*
 * A person opened the bot's home (Slack's App Home): one summary through
 * the reply function - their stats, their daily question, the commands.
 * Without a reply function there is nowhere to show it.
 */
static int
home(struct turn *t)
{
	struct store_subscription sub;
	char buf[600];
	int rc;

	if (t->reply == NULL)
		return 0;
	if ((rc = cmd_stats(t)) != 0)
		return rc;
	rc = store_subscription_get(t->e->store, t->person, &sub);
	if (rc == 0) {
		memcpy(buf, "Your daily question: ", 21);
		sub_words(t->e, &sub, buf + 21, sizeof(buf) - 21);
		say(t, buf);
	} else if (rc == DRILL_ENOTFOUND) {
		say(t, "No daily question yet: write `subscribe` to me in a direct message "
		    "to get one every day at your time.");
	} else {
		say_store_error(t, "reading your subscription");
		return rc;
	}
	return cmd_help(t);
}

/* Everything engine_handle does after de-duplication. */
static int
handle(struct turn *tp)
{
	struct turn t = *tp;
	struct engine *e = t.e;
	const struct platform_event *ev = t.ev;
	struct command c;
	enum command_id id;
	const char *text = ev->text ? ev->text : "";
	size_t len = ev->text ? ev->text_len : 0;
	const char *problem;
	int rc;

	/* An edit matters when it is of a recent answer; deletions and joins
	 * change nothing yet. */
	if (ev->kind == PLATFORM_EV_EDIT)
		return edit(&t);
	if (ev->kind == PLATFORM_EV_DELETE)
		return 0;
	if (ev->kind == PLATFORM_EV_JOIN)
		return introduce(&t);
	id = command_parse(text, len, &c);
	/* In a channel question's thread a reply is an answer unless it is
	 * a command to the bot. */
	if (ev->conv_kind == PLATFORM_CHANNEL && ev->thread_id != NULL &&
	    ev->kind != PLATFORM_EV_HELLO) {
		int64_t did;
		bool handled;
		rc = store_delivery_by_thread(e->store, ev->conversation, ev->thread_id, &did);
		if (rc == 0) {
			rc = thread_reply(&t, did, text, len, &c, id, &handled);
			if (handled)
				return rc;
		} else if (rc != DRILL_ENOTFOUND) {
			log_warnx("cannot look up a thread conversation=%s: %s",
			    ev->conversation, drill_strerror(rc));
		}
	}
	if (ev->conv_kind == PLATFORM_CHANNEL && !ev->addressed)
		return 0;
	/* bad input gets a reply and changes nothing, not even who we know */
	if (ev->kind != PLATFORM_EV_HELLO && ev->kind != PLATFORM_EV_HOME &&
	    (problem = problem_of(e, text, len)) != NULL) {
		say(&t, problem);
		return 0;
	}
	if ((rc = store_person_ensure(e->store, ev->user, t.now, &t.person)) != 0 ||
	    (rc = store_conversation_ensure(e->store, ev->conversation,
	    ev->conv_kind == PLATFORM_DM ? STORE_CONV_DM : STORE_CONV_CHANNEL,
	    t.now, &t.conv)) != 0) {
		say_store_error(&t, "recording the conversation");
		return rc;
	}
	/* whose DM this is: forgetting them erases it */
	if (ev->conv_kind == PLATFORM_DM &&
	    store_conversation_set_person(e->store, t.conv, t.person) != 0)
		log_warnx("cannot note whose DM a conversation is");
	if (ev->user_timezone != NULL)
		platform_zone(&t, ev->user_timezone);
	if (ev->kind == PLATFORM_EV_HELLO)
		return hello(&t);
	if (ev->kind == PLATFORM_EV_HOME)
		return home(&t);

	/* A slash command or a button is a command, never an answer. A slash
	 * command's replies are the person's alone (a practice question it
	 * asks in a channel is still a thread root for all to see). */
	if (ev->kind == PLATFORM_EV_COMMAND || ev->kind == PLATFORM_EV_BUTTON) {
		if (ev->kind == PLATFORM_EV_COMMAND)
			t.privately = true;
		if (id == CMD_NONE) {
			say(&t, "I do not know that command; `help` lists the ones I do.");
			return 0;
		}
	}
	/*
	 * While a question is open, only bare command words, "practice"
	 * with a valid or one-word filter, and commands whose arguments could
	 * be nothing else ("pause 3d", "my data") are commands: "Dispute
	 * resolution matters because..." and "Practice makes perfect" are
	 * answers.
	 */
	else if (id != CMD_NONE && !unmistakable(&c) &&
	    ((c.bad && strchr(c.arg, ' ') != NULL) ||
	    (c.arg[0] != '\0' && id != CMD_PRACTICE))) {
		int64_t did, conv;
		if (store_practice_get(e->store, t.person, t.conv, &did) == 0 ||
		    (ev->conv_kind == PLATFORM_DM &&
		    store_practice_channel(e->store, t.person, &did, &conv) == 0))
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
	case CMD_SCHEDULE: return cmd_schedule(&t, &c);
	case CMD_ASK: return cmd_ask(&t);
	case CMD_ANSWER: return cmd_answer(&t);
	case CMD_SUBSCRIBE: return cmd_subscribe(&t, &c);
	case CMD_UNSUBSCRIBE: return cmd_unsubscribe(&t);
	case CMD_PAUSE: return cmd_pause(&t, &c);
	case CMD_TZ: return cmd_tz(&t, &c);
	case CMD_QUIET: return cmd_quiet(&t, &c);
	case CMD_LEADERBOARD: return cmd_leaderboard(&t, &c);
	case CMD_MYDATA: return cmd_mydata(&t);
	case CMD_FORGET: return cmd_forget(&t, &c);
	case CMD_QUIT:
		say(&t, "`quit` only works in the terminal.");
		return 0;
	default:
		break;
	}
	/* In a DM, a channel question the person asked to answer privately
	 * comes first: it is the one with a deadline. */
	if (ev->conv_kind == PLATFORM_DM) {
		struct store_delivery d = {0};
		const struct bank_question *q;
		int64_t did, conv;
		if (store_practice_channel(e->store, t.person, &did, &conv) == 0 &&
		    store_delivery_get(e->store, did, &d) == 0) {
			if ((q = bank_find(e->bank, d.question_id)) != NULL)
				rc = channel_answer(&t, &d, q, text, len, true);
			else if ((rc = store_practice_set(e->store, t.person, conv, 0)) == 0)
				rc = answer(&t, text, len);
			store_delivery_clear(&d);
			return rc;
		}
	}
	return answer(&t, text, len);
}

/* Whether id, from outside, is short enough to keep (NULL is). */
static bool
id_ok(const char *id, const char *what)
{
	if (id == NULL || strnlen(id, EVENT_ID_MAX + 1) <= EVENT_ID_MAX)
		return true;
	log_warnx("an event's %s is over %d bytes: ignored", what, EVENT_ID_MAX);
	return false;
}

int
engine_handle(struct engine *e, const struct platform_event *evin,
    platform_reply_fn reply, void *arg)
{
	struct platform_event copy = *evin;
	const struct platform_event *ev = &copy;
	struct turn t = {e, ev, reply, arg, now_of(e), 0, 0, false, 0};
	bool first = true;
	int rc;

	/* Names and ids come from outside: none longer than any platform's. */
	if (ev->conversation == NULL || ev->user == NULL ||
	    !id_ok(ev->conversation, "conversation") || !id_ok(ev->user, "user")) {
		log_warnx("an event without a valid conversation or user: dropped");
		return DRILL_EINVAL;
	}
	if (!id_ok(copy.message_id, "message id"))
		copy.message_id = NULL;
	if (!id_ok(copy.thread_id, "thread id"))
		copy.thread_id = NULL;
	if (!id_ok(copy.reply_to, "reply-to id"))
		copy.reply_to = NULL;

	/* Ids come from outside: one longer than any platform's is not kept. */
	if (ev->event_id != NULL && strnlen(ev->event_id, EVENT_ID_MAX + 1) > EVENT_ID_MAX) {
		log_warnx("an event id over %d bytes: handled without de-duplication",
		    EVENT_ID_MAX);
		return handle(&t);
	}
	if (ev->event_id == NULL)
		return handle(&t);
	if (t.now - e->pruned_at >= SEEN_PRUNE_EVERY_S) {
		if (store_events_prune(e->store, t.now - SEEN_KEEP_S, NULL) != 0)
			log_warnx("cannot prune the events seen");
		e->pruned_at = t.now;
	}
	/*
	 * The event's id and everything it causes (answer, replies in the
	 * outbox) are one transaction: a crash leaves both or neither, so a
	 * platform's retry after a crash is handled, and a retry of what was
	 * handled is dropped. Handlers' own transactions nest inside.
	 */
	if ((rc = store_begin(e->store)) != 0) {
		log_warnx("cannot start a transaction for an event: %s", drill_strerror(rc));
		return rc;
	}
	if ((rc = store_event_seen(e->store, ev->event_id, t.now, &first)) != 0) {
		store_rollback(e->store);
		log_warnx("cannot note an event as seen: %s", drill_strerror(rc));
		return rc;
	}
	if (!first) {
		store_rollback(e->store);
		log_debug("event repeated by the platform, dropped event=%.80s", ev->event_id);
		return 0;
	}
	rc = handle(&t);
	if (rc == DRILL_EIO || rc == DRILL_ENOMEM) {
		/* nothing half-done: the platform's retry finds it not seen */
		store_rollback(e->store);
		log_warnx("an event was not handled, nothing of it is kept (the platform "
		    "may send it again) event=%.80s", ev->event_id);
		return rc;
	}
	if (store_commit(e->store) != 0) {
		store_rollback(e->store);
		log_error("cannot store what an event did (the platform may send it "
		    "again) event=%.80s", ev->event_id);
		return DRILL_EIO;
	}
	return 0;
}

int
engine_person_zone(struct engine *e, const char *person, const char *name)
{
	struct platform_event ev = {.kind = PLATFORM_EV_MESSAGE};
	struct turn t = {e, &ev, NULL, NULL, now_of(e), 0, 0, false, 0};
	int rc;

	if (person == NULL || name == NULL || !id_ok(person, "user"))
		return DRILL_EINVAL;
	ev.conversation = ev.user = person;
	if ((rc = store_person_find(e->store, person, &t.person)) != 0)
		return rc == DRILL_ENOTFOUND ? 0 : rc;	/* nobody to keep it for yet */
	if ((rc = store_begin(e->store)) != 0)
		return rc;
	platform_zone(&t, name);
	return store_commit(e->store);
}
