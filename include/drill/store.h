/*
 * store.h - drilld's persistence, behind one interface.
 *
 * SQLite now (WAL, foreign keys on, statements prepared once at open);
 * PostgreSQL later behind the same functions, so the engine never sees SQL.
 * The schema is versioned: migrations run at open, each in its own
 * transaction; a database whose schema is newer than this binary is refused.
 *
 * Names: people and conversations are named "platform:id" everywhere
 * ("console:local", "slack:U0123ABCD"); the store maps names to row ids.
 * Times are Unix seconds (int64_t). Days are day numbers in the person's
 * local calendar (days since 1970-01-01 there), computed by the caller, so
 * that the store knows nothing of time zones.
 *
 * The outbox is the exception: its times are Unix milliseconds, because
 * sends are paced in milliseconds.
 *
 * Strings in out-structs are owned by the struct and released by the
 * matching _clear function. Every function returns 0 or a DRILL_E* code;
 * DRILL_ENOTFOUND where a lookup finds nothing.
 */
#ifndef DRILL_STORE_H
#define DRILL_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "drill/common.h"

/* The schema version this binary writes (PRAGMA user_version). */
#define STORE_SCHEMA_VERSION 6

enum store_flags {
	STORE_READONLY = 1u << 0	/* open read-only: no migrations, no writes */
};

enum store_conv_kind {
	STORE_CONV_CHANNEL = 0,
	STORE_CONV_DM = 1
};

struct store;

/*
 * A question sent to a conversation: "practice" (a person's own) or
 * "scheduled" (a channel's question; person_id 0). A scheduled delivery
 * keeps the outbox row that posts it (root_row: its thread hangs off the
 * platform id that row gets), how the thread works, and when the model
 * answer is revealed.
 */
struct store_delivery {
	int64_t id;
	int64_t conversation_id;
	int64_t person_id;	/* who asked for it (practice); 0 for a channel delivery */
	char *question_id;	/* bank question id */
	char *kind;		/* "practice" or "scheduled" (later "screening") */
	char *message_id;	/* platform message id of the posted question, or NULL */
	char *thread_id;	/* platform thread root, or NULL */
	char *filter;		/* practice filter it was chosen with ("behavioral senior"), or NULL */
	int64_t created_at;
	int hints_used;		/* hints revealed for this delivery */
	bool model_shown;	/* the model answer was shown before an answer */
	int64_t root_row;	/* scheduled: the outbox row of the question; 0 none */
	bool answers_dm;	/* scheduled: answers come in DMs, not in the thread */
	bool feedback_thread;	/* scheduled: feedback in the thread, not privately */
	int64_t reveal_at;	/* scheduled: when the model answer is due; 0 never */
	int64_t revealed_at;	/* when it was revealed; 0 not yet */
};

/* One scored answer. breakdown is the scorer's JSON (covered, missed, tip). */
struct store_answer {
	int64_t id;
	int64_t delivery_id;
	int64_t person_id;
	char *question_id;
	char *text;
	int64_t created_at;
	int64_t day;		/* local day number of created_at, for streaks */
	int score;		/* 0..100 */
	int relevance, structure, clarity, impact;	/* 0..100 each */
	char *grade;		/* excellent|good|fair|weak */
	char *rubric_version;
	char *breakdown;	/* JSON text */
	int hints_used;
	bool model_seen;
	char *message_id;	/* the platform id of the answer's message (edits), or NULL */
	bool late;		/* given after the model answer was revealed to all */
	bool keep_streak;	/* written, not read: the days since last_day were
				 * excused (paused, days off), so the streak goes on */
};

/* Per-person counters, updated in the same transaction as each answer. */
struct store_progress {
	int64_t answered;
	int64_t score_sum;	/* average = score_sum / answered */
	int64_t streak;		/* consecutive days with an answer, ending at last_day */
	int64_t best_streak;
	int64_t last_day;	/* day number of the latest answer; -1 when none */
};

/*
 * Opens (creating if needed) the database at path and applies pending
 * migrations, unless STORE_READONLY. On success *out is the caller's
 * (store_close). Returns DRILL_EIO (err says why), DRILL_ESCHEMA (err names
 * both versions and says to upgrade drilld), or DRILL_ENOMEM.
 */
int store_open(const char *path, unsigned flags, uint64_t busy_timeout_ms,
    struct store **out, char *err) DRILL_WUR;
/* Finalizes statements and closes; NULL does nothing. */
void store_close(struct store *st);

/* Returns the schema version of the open database. */
int store_schema_version(struct store *st);

/*
 * Explicit transactions, for callers that group several writes. They nest:
 * an inner begin is a savepoint, whose commit keeps its writes for the
 * outer commit and whose rollback undoes only them; the outermost commit
 * or rollback decides. (Read-only opens do not nest.)
 *
 * After a failed store_commit, call store_rollback once: it undoes what
 * that level wrote (a failed outermost commit has already rolled back, and
 * store_rollback then does nothing). When SQLite itself aborts the
 * transaction (disk full, I/O error), every level is gone: the next commit
 * says DRILL_EIO and rollbacks do nothing.
 */
int store_begin(struct store *st) DRILL_WUR;
int store_commit(struct store *st) DRILL_WUR;
void store_rollback(struct store *st);

/* Returns the row id for a person's name, creating the row if needed. */
int store_person_ensure(struct store *st, const char *name, int64_t now,
    int64_t *id) DRILL_WUR;
/* The name of person id in *name (caller frees); DRILL_ENOTFOUND. */
int store_person_name(struct store *st, int64_t id, char **name) DRILL_WUR;
/* Looks a person up by name without creating; DRILL_ENOTFOUND if absent. */
int store_person_find(struct store *st, const char *name, int64_t *id) DRILL_WUR;
/* A person's level (vocab level) and whether one was ever set (*set). */
int store_person_level(struct store *st, int64_t person, int *level, bool *set) DRILL_WUR;
int store_person_set_level(struct store *st, int64_t person, int level) DRILL_WUR;

/* Returns the row id for a conversation, creating it with kind if needed. */
int store_conversation_ensure(struct store *st, const char *name,
    enum store_conv_kind kind, int64_t now, int64_t *id) DRILL_WUR;

/* The name of conversation id, in *name (caller frees); DRILL_ENOTFOUND. */
int store_conversation_name(struct store *st, int64_t id, char **name) DRILL_WUR;

/* Records that DM conversation conversation is person's (forgetting them finds it). */
int store_conversation_set_person(struct store *st, int64_t conversation,
    int64_t person) DRILL_WUR;

/* Inserts d (its id is ignored); *id receives the new row id. */
int store_delivery_add(struct store *st, const struct store_delivery *d,
    int64_t *id) DRILL_WUR;
/* Reads delivery id into *out (caller clears). */
int store_delivery_get(struct store *st, int64_t id, struct store_delivery *out) DRILL_WUR;
/*
 * The scheduled delivery whose question is the message thread_id in
 * conversation (a platform message id, matched against what its root row
 * was given when sent); DRILL_ENOTFOUND when thread_id is no question's.
 */
int store_delivery_by_thread(struct store *st, const char *conversation,
    const char *thread_id, int64_t *id) DRILL_WUR;
/* A question id, for the walks over questions below. */
typedef void (*store_question_cb)(void *arg, const char *question_id);

/* Moves an unrevealed delivery's reveal to at (a reveal that failed waits). */
int store_delivery_set_reveal(struct store *st, int64_t id, int64_t at) DRILL_WUR;
/*
 * Calls cb once per question some channel is waiting to see revealed (an
 * unrevealed scheduled delivery), any order: their model answers must not
 * be shown to anyone yet. *out says whether question_id is one of them.
 */
int store_unrevealed_questions(struct store *st, store_question_cb cb,
    void *arg) DRILL_WUR;
int store_question_unrevealed(struct store *st, const char *question_id,
    bool *out) DRILL_WUR;
/* Marks a scheduled delivery revealed at now; DRILL_ENOTFOUND when it already was. */
int store_delivery_revealed(struct store *st, int64_t id, int64_t now) DRILL_WUR;
/*
 * The unrevealed scheduled delivery with the earliest reveal_at: *id and
 * *at, limited to conversation when conversation is not 0;
 * DRILL_ENOTFOUND when none waits.
 */
int store_reveal_next(struct store *st, int64_t conversation, int64_t *id,
    int64_t *at) DRILL_WUR;
/* Records hints used and whether the model answer was shown. */
int store_delivery_set_help(struct store *st, int64_t id, int hints_used,
    bool model_shown) DRILL_WUR;
void store_delivery_clear(struct store_delivery *d);

/*
 * Inserts a scored answer and, in the same transaction, updates the person's
 * progress: answered, score_sum, and the streak (same day: unchanged; the
 * day after last_day, or a later one with keep_streak: +1; later: 1). *id
 * receives the answer's row id.
 */
int store_answer_add(struct store *st, const struct store_answer *a,
    int64_t *id) DRILL_WUR;
/* Reads answer id into *out (caller clears). */
int store_answer_get(struct store *st, int64_t id, struct store_answer *out) DRILL_WUR;
/*
 * Replaces answer id's text, scores, grade, rubric version, breakdown and
 * message id with a's (an edit re-scored) and moves the person's score sum
 * by the difference, in one transaction (a savepoint inside store_begin).
 * The answer keeps its time, day and late mark.
 */
int store_answer_replace(struct store *st, int64_t id,
    const struct store_answer *a) DRILL_WUR;
/* The answer person gave to delivery (the first); DRILL_ENOTFOUND if none. */
int store_answer_find(struct store *st, int64_t delivery, int64_t person,
    int64_t *id) DRILL_WUR;
/* The answer person gave in the message message_id; DRILL_ENOTFOUND if none. */
int store_answer_by_message(struct store *st, int64_t person,
    const char *message_id, int64_t *id) DRILL_WUR;
/* Calls cb once per answer to delivery, oldest first; a is borrowed for the call. */
typedef void (*store_answer_cb)(void *arg, const struct store_answer *a);
int store_delivery_answers(struct store *st, int64_t delivery,
    store_answer_cb cb, void *arg) DRILL_WUR;
/* The id of a person's most recent answer; DRILL_ENOTFOUND if none. */
int store_answer_last(struct store *st, int64_t person, int64_t *id) DRILL_WUR;
void store_answer_clear(struct store_answer *a);

/* Reads a person's progress; a person with no answers gets zeros, last_day -1. */
int store_progress_get(struct store *st, int64_t person, struct store_progress *out) DRILL_WUR;

/* ---- a person's own settings, subscription, pauses and reviews ---- */

struct store_person_settings {
	char *timezone;		/* set with `tz`, or NULL */
	char *platform_timezone;	/* what the platform says, or NULL */
	int quiet_start, quiet_end;	/* local minutes; equal: no quiet hours */
	bool leaderboard;	/* opted in to leaderboards */
	int64_t level_since;	/* answers before this do not move the level */
	int64_t forget_asked;	/* when `forget me` was asked; 0 not */
};
/* Reads person's settings (store_person_settings_clear). */
int store_person_settings_get(struct store *st, int64_t person,
    struct store_person_settings *out) DRILL_WUR;
void store_person_settings_clear(struct store_person_settings *s);
/* Sets the zone the person chose (platform false) or the platform gave; NULL clears. */
int store_person_set_timezone(struct store *st, int64_t person,
    const char *timezone, bool platform) DRILL_WUR;
int store_person_set_quiet(struct store *st, int64_t person, int start, int end) DRILL_WUR;
int store_person_set_leaderboard(struct store *st, int64_t person, bool on) DRILL_WUR;
/* Sets the level and, with it, since when answers count towards the next change. */
int store_person_set_level_since(struct store *st, int64_t person, int level,
    int64_t since) DRILL_WUR;
int store_person_set_forget_asked(struct store *st, int64_t person, int64_t at) DRILL_WUR;
/*
 * The scores of person's latest practice answers given at or after since,
 * newest first, at most max into scores; *n how many.
 */
int store_person_recent_scores(struct store *st, int64_t person, int64_t since,
    int *scores, size_t max, size_t *n) DRILL_WUR;

/* A person's daily question in a DM. */
struct store_subscription {
	int64_t person_id;
	int64_t conversation_id;	/* the DM it goes to */
	uint32_t topics;	/* bit set of vocab topics; 0 any */
	int at;			/* local minutes after midnight */
	bool weekdays;		/* Monday to Friday only */
	int64_t paused_until;	/* nothing before (Unix seconds); 0 not paused */
	int64_t next_at;	/* when the next question is due */
	int64_t last_at;	/* the last one delivered (its due instant); 0 none */
	int64_t created_at;
};
/* DRILL_ENOTFOUND when person has none. */
int store_subscription_get(struct store *st, int64_t person,
    struct store_subscription *out) DRILL_WUR;
/* Inserts or replaces the person's subscription. */
int store_subscription_put(struct store *st, const struct store_subscription *s) DRILL_WUR;
/* DRILL_ENOTFOUND when there was none. */
int store_subscription_delete(struct store *st, int64_t person) DRILL_WUR;
/* The subscription due first: *person and *at; DRILL_ENOTFOUND when none. */
int store_subscription_next(struct store *st, int64_t *person, int64_t *at) DRILL_WUR;
int store_subscription_set_next(struct store *st, int64_t person, int64_t next_at) DRILL_WUR;

/* Local days from_day..to_day (inclusive) excuse person's streak (a pause). */
int store_pause_add(struct store *st, int64_t person, int64_t from_day,
    int64_t to_day) DRILL_WUR;
/* *out: whether day is inside one of person's pauses. */
int store_pause_covers(struct store *st, int64_t person, int64_t day, bool *out) DRILL_WUR;

/* A question coming back for review until its missed concepts are covered. */
struct store_review {
	char *question_id;
	int stage;		/* reviews done: the next comes 1, 3, then 7 days after */
	int64_t due_at;		/* Unix seconds */
	char *missed;		/* the concepts still to cover, one name per line */
};
int store_review_get(struct store *st, int64_t person, const char *question_id,
    struct store_review *out) DRILL_WUR;
/* Inserts or replaces person's review of r->question_id. */
int store_review_put(struct store *st, int64_t person, const struct store_review *r) DRILL_WUR;
int store_review_delete(struct store *st, int64_t person, const char *question_id) DRILL_WUR;
/* Calls cb once per review of person, earliest due first; r borrowed. */
typedef void (*store_review_cb)(void *arg, const struct store_review *r);
int store_reviews_list(struct store *st, int64_t person, store_review_cb cb,
    void *arg) DRILL_WUR;
void store_review_clear(struct store_review *r);

/* When conversation's last weekly digest went out (*at 0: never). */
int store_digest_last(struct store *st, const char *conversation, int64_t *at) DRILL_WUR;
int store_digest_set(struct store *st, const char *conversation, int64_t at) DRILL_WUR;

/*
 * Calls cb once per answer to conversation's deliveries given in
 * [since, until), oldest first, with the answerer's name; both borrowed.
 * For the digest and `drillctl export`.
 */
typedef void (*store_conv_answer_cb)(void *arg, const struct store_answer *a,
    const char *person);
int store_conversation_answers(struct store *st, const char *conversation,
    int64_t since, int64_t until, store_conv_answer_cb cb, void *arg) DRILL_WUR;

/* ---- people's data ---- */

/*
 * Everything stored about person, as one JSON object (*json, caller
 * frees): who, settings, progress, subscription, the questions asked
 * them (hints and model answers shown), answers with their scores and
 * breakdowns, disputes, reviews, pauses, and their DM conversations.
 * (Sent messages keep no text: store_outbox_mark_sent.) DRILL_ENOTFOUND
 * for no such person.
 */
int store_person_export(struct store *st, const char *person, char **json) DRILL_WUR;
/*
 * Erases person and everything that is theirs: answers, scores, practice,
 * disputes, progress, settings, subscription, pauses, reviews, the
 * messages the outbox holds for them (to their DM conversations, to
 * them, or shown to them alone), and their DM conversations (those
 * recorded as theirs, and those of their practice and subscription). One
 * transaction. Messages sent to them afterwards are found by
 * store_outbox_prune_orphans. *rows (may be
 * NULL) counts the rows deleted directly (the person's own rows that
 * cascade from them are not counted). DRILL_ENOTFOUND for no such person.
 */
int store_person_forget(struct store *st, const char *person, int64_t *rows) DRILL_WUR;
/*
 * Erases the sent and failed outbox messages for a person the store does
 * not know (any longer), and those whose destination is neither a
 * conversation nor a person it knows: what went to people since
 * forgotten. Reads the whole outbox. *n (may be NULL) counts them.
 */
int store_outbox_prune_orphans(struct store *st, int64_t *n) DRILL_WUR;
/*
 * Erases every answer given before before (retention), and the outbox
 * messages sent or failed before then (feedback quotes answers); *n
 * counts the answers. One transaction.
 */
int store_answers_purge(struct store *st, int64_t before, int64_t *n) DRILL_WUR;
/*
 * After erasing: moves the write-ahead log into the file and truncates it,
 * so that old copies of erased rows do not linger there (the file itself
 * overwrites them: secure_delete), and VACUUMs when free pages are over a
 * quarter of the file (*vacuumed, may be NULL, says so). Outside
 * transactions; DRILL_EIO when another connection keeps the log busy.
 */
int store_compact(struct store *st, bool *vacuumed) DRILL_WUR;

/*
 * The current practice question of a person in a conversation:
 * *delivery_id, or DRILL_ENOTFOUND when none. set with 0 clears it.
 */
int store_practice_get(struct store *st, int64_t person, int64_t conversation,
    int64_t *delivery_id) DRILL_WUR;
int store_practice_set(struct store *st, int64_t person, int64_t conversation,
    int64_t delivery_id) DRILL_WUR;
/*
 * The newest scheduled delivery a person asked to answer privately (a
 * practice row held in the channel's conversation, kept by the engine for
 * answers = "dm"): *delivery_id and its *conversation; DRILL_ENOTFOUND.
 */
int store_practice_channel(struct store *st, int64_t person,
    int64_t *delivery_id, int64_t *conversation) DRILL_WUR;
/* Drops every practice row that points at delivery (at its reveal). */
int store_practice_drop_delivery(struct store *st, int64_t delivery) DRILL_WUR;
/* Drops a person's pending private answers to channel questions. */
int store_practice_drop_channel(struct store *st, int64_t person) DRILL_WUR;

/* Calls cb once per question delivered to person (practice), any order. */
int store_person_questions(struct store *st, int64_t person,
    store_question_cb cb, void *arg) DRILL_WUR;

/* A question with a count and a mean (what they count says the caller). */
typedef void (*store_qstat_cb)(void *arg, const char *question_id,
    int64_t count, double mean);

/* Calls cb once per question posted to a whole conversation (channel
 * questions: deliveries without a person), any order, with how many times
 * it was posted there (count; mean is 0). */
int store_conversation_questions(struct store *st, int64_t conversation,
    store_qstat_cb cb, void *arg) DRILL_WUR;

/* Calls cb once per question the person answered: count and mean score. */
int store_person_question_stats(struct store *st, int64_t person,
    store_qstat_cb cb, void *arg) DRILL_WUR;

/* Stores a dispute of an answer's score; *id receives its row id. */
int store_dispute_add(struct store *st, int64_t answer_id, const char *reason,
    int64_t now, int64_t *id) DRILL_WUR;

/* A dispute with the answer and score it is about. Strings are the caller's. */
struct store_dispute_row {
	int64_t id;
	int64_t created_at;	/* the dispute, Unix seconds */
	char *reason;		/* what the person said; NULL when nothing */
	int64_t answer_id;
	int64_t answered_at;	/* Unix seconds */
	char *person;		/* "slack:U0123ABCD" */
	char *question_id;
	char *rubric_version;	/* the rubric the answer was scored with */
	int score;
	int dims[4];		/* relevance, structure, clarity, impact */
	char *grade;
	char *answer;		/* the answer's text: personal data */
};

/*
 * The disputes made at or after since (Unix seconds), newest first, at most
 * limit (SIZE_MAX: all), with their answers; for the bank's maintainers
 * (`drillctl disputes`). On success *rows (NULL when none) is the caller's
 * to free with store_dispute_rows_free.
 */
int store_disputes_list(struct store *st, int64_t since, size_t limit,
    struct store_dispute_row **rows, size_t *n) DRILL_WUR;
void store_dispute_rows_free(struct store_dispute_row *rows, size_t n);

/*
 * A channel schedule's state (sched.h): what chat changed, and the last
 * fire instant handled, so that a restart neither repeats nor loses one.
 */
struct store_schedule {
	char *conversation;	/* "slack:C0123ABCD" */
	char *cron;		/* set in chat; NULL: the config's */
	char *timezone;		/* set in chat; NULL: the config's */
	bool paused;		/* paused in chat */
	char *config_digest;	/* the config entry the chat changes were made over */
	int64_t last_fire;	/* Unix seconds of the last fire handled; 0: none */
	int64_t updated_at;
};

/* Reads conversation's schedule state into *out (store_schedule_clear); DRILL_ENOTFOUND. */
int store_schedule_get(struct store *st, const char *conversation,
    struct store_schedule *out) DRILL_WUR;
/* Writes (inserts or replaces) s. Works inside store_begin. */
int store_schedule_put(struct store *st, const struct store_schedule *s) DRILL_WUR;
void store_schedule_clear(struct store_schedule *s);

/*
 * Notes inbound event event_id as handled at now: *first is true the first
 * time, false for a repeat (then nothing changes).
 */
int store_event_seen(struct store *st, const char *event_id, int64_t now,
    bool *first) DRILL_WUR;
/* Forgets the events noted before before; *deleted (may be NULL) counts them. */
int store_events_prune(struct store *st, int64_t before, int64_t *deleted) DRILL_WUR;

/*
 * Notes that the bot introduced itself in conversation at now: *first is
 * true the first time, false ever after (then nothing changes).
 */
int store_conversation_introduce(struct store *st, int64_t conversation,
    int64_t now, bool *first) DRILL_WUR;

/*
 * The small state a platform adapter keeps between runs, by key
 * ("matrix:since"): *value (caller frees) or
 * DRILL_ENOTFOUND; put inserts or replaces; delete of an absent key is 0.
 * Adapters name their keys with their platform's prefix.
 */
int store_state_get(struct store *st, const char *key, char **value) DRILL_WUR;
int store_state_put(struct store *st, const char *key, const char *value,
    int64_t now) DRILL_WUR;
int store_state_delete(struct store *st, const char *key) DRILL_WUR;

/*
 * The outbox: one row per outbound chat message, stored before it is sent
 * (design.md, "outbox"). The payload is the platform-rendered message,
 * opaque here. A row goes queued -> sending -> sent, or back to queued
 * (rescheduled), or to failed; a failed row can be re-queued. The rows of
 * one destination are sent in id order: a destination's "head" is its
 * pending (queued or sending) row of lowest id, and only heads are handed
 * out as due. The SQL stays in the store, so that a PostgreSQL store can
 * answer the same calls (claiming with FOR UPDATE SKIP LOCKED).
 */
enum store_outbox_state {
	STORE_OUTBOX_QUEUED = 0,
	STORE_OUTBOX_SENDING = 1,	/* claimed; the send may have happened */
	STORE_OUTBOX_SENT = 2,
	STORE_OUTBOX_FAILED = 3
};

/* Size of an idempotency key buffer: 32 hex digits and the NUL. */
#define STORE_OUTBOX_KEYLEN 33

struct store_outbox_row {
	int64_t id;
	char *platform;		/* "slack", "matrix", "console" */
	char *destination;	/* conversation name, "slack:C0123ABCD" */
	char *idem_key;		/* unique; the same on every attempt */
	char *payload;
	enum store_outbox_state state;
	int attempts;		/* sends started (a rate-limited one is given back) */
	int64_t next_at;	/* not sent before; for 'sending', when the claim lapses */
	int64_t created_at;
	int64_t sent_at;	/* 0 until sent */
	char *platform_message_id;	/* the platform's id once sent, or NULL */
	char *last_error;	/* the latest failure, or NULL */
	int64_t thread_row;	/* a reply in the thread of this row; 0 none */
	char *thread_id;	/* the thread: given, or thread_row's platform id; NULL */
};

struct store_outbox_counts {
	int64_t queued, sending, sent, failed;
};

/*
 * Queues a message: state queued, due at now_ms, with a fresh random
 * idempotency key. *id receives the row id and key (when not NULL, a
 * buffer of STORE_OUTBOX_KEYLEN bytes) the key. Works inside store_begin,
 * so a reply can be stored in the transaction of what caused it.
 */
int store_outbox_add(struct store *st, const char *platform,
    const char *destination, const char *payload, int64_t now_ms,
    int64_t *id, char *key) DRILL_WUR;
/*
 * store_outbox_add for a reply in a thread: thread_id, a platform message
 * id known now, or thread_row, an earlier row to the same destination
 * whose platform id (once it is sent) is the thread; rows read back carry
 * the resolved id in thread_id. The destination's order means thread_row
 * is sent or failed before this row is due. DRILL_EINVAL when thread_row
 * is not a row of destination. recipient names the one person the message
 * is for (a DM, or a message shown to them alone), or NULL: forgetting
 * that person erases it (store_person_forget).
 */
int store_outbox_add_reply(struct store *st, const char *platform,
    const char *destination, const char *thread_id, int64_t thread_row,
    const char *recipient, const char *payload, int64_t now_ms, int64_t *id,
    char *key) DRILL_WUR;
/* Reads row id into *out (caller clears); DRILL_ENOTFOUND if absent. */
int store_outbox_get(struct store *st, int64_t id,
    struct store_outbox_row *out) DRILL_WUR;
/*
 * The heads that are due (next_at <= now_ms), at most limit of them,
 * earliest next_at first. *rows is a new array of *n rows, the caller's
 * (store_outbox_rows_free); an empty answer is 0 with *n == 0.
 */
int store_outbox_due(struct store *st, int64_t now_ms, size_t limit,
    struct store_outbox_row **rows, size_t *n) DRILL_WUR;
/* The earliest next_at after after_ms of any head; DRILL_ENOTFOUND if none. */
int store_outbox_next_at(struct store *st, int64_t after_ms, int64_t *at) DRILL_WUR;
/*
 * Claims row id for a send: state sending, attempts + 1 (the new count in
 * *attempts), next_at = claim_until_ms (when another sender may take it
 * over). Only a pending row due at now_ms: DRILL_ENOTFOUND otherwise.
 * Commits on its own before it returns, so the claim is durable before
 * the send starts; DRILL_EINVAL inside store_begin.
 */
int store_outbox_mark_sending(struct store *st, int64_t id, int64_t now_ms,
    int64_t claim_until_ms, int *attempts) DRILL_WUR;
/*
 * Claims rows ids[0..n) as store_outbox_mark_sending does, all in one
 * transaction (one disk sync for the lot): attempts[i] is row i's new
 * count, or 0 when it was not a pending row due at now_ms. Commits before
 * it returns; on an error nothing is claimed. DRILL_EINVAL inside
 * store_begin.
 */
int store_outbox_claim(struct store *st, const int64_t *ids, size_t n,
    int64_t now_ms, int64_t claim_until_ms, int *attempts) DRILL_WUR;
/*
 * A claimed row was sent: state sent, sent_at, the platform's id (or
 * NULL), and its payload emptied (the platform has the message; the copy
 * may quote answers and name people).
 */
int store_outbox_mark_sent(struct store *st, int64_t id, int64_t now_ms,
    const char *platform_message_id) DRILL_WUR;
/*
 * A pending row waits: state queued, next_at, last_error = error; with
 * refund_attempt the attempt just made is given back (attempts - 1).
 */
int store_outbox_reschedule(struct store *st, int64_t id, int64_t next_at_ms,
    const char *error, bool refund_attempt) DRILL_WUR;
/* A pending row failed for good: state failed, last_error = reason. */
int store_outbox_mark_failed(struct store *st, int64_t id,
    const char *reason) DRILL_WUR;
/* The failed rows, oldest first, at most limit; as store_outbox_due. */
int store_outbox_failed(struct store *st, size_t limit,
    struct store_outbox_row **rows, size_t *n) DRILL_WUR;
/*
 * A failed row is queued again, due at now_ms, attempts back to 0, same
 * key; DRILL_ENOTFOUND unless row id exists and failed.
 */
int store_outbox_requeue(struct store *st, int64_t id, int64_t now_ms) DRILL_WUR;
/* The number of rows in each state. */
int store_outbox_counts(struct store *st, struct store_outbox_counts *out) DRILL_WUR;
/*
 * At start-up: every row left 'sending' (its send may have happened) is
 * due again at now_ms, keeping its state, attempts and key; *n (may be
 * NULL) receives how many. Only while nobody else is sending them.
 */
int store_outbox_recover(struct store *st, int64_t now_ms, int64_t *n) DRILL_WUR;
/* Releases a row's strings; NULL does nothing. */
void store_outbox_row_clear(struct store_outbox_row *r);
/* Releases an array from store_outbox_due or _failed; NULL does nothing. */
void store_outbox_rows_free(struct store_outbox_row *rows, size_t n);

/*
 * Copies the live database to dest with SQLite's online backup API, into a
 * temporary file next to dest that is renamed over dest only when complete.
 * Safe while another process (the daemon) writes. Returns 0 or DRILL_EIO.
 */
int store_backup(struct store *st, const char *dest, char *err) DRILL_WUR;

#endif
