/*
 * store.c - drilld's persistence on SQLite, behind include/drill/store.h.
 *
 * It opens the database (WAL, foreign keys on, synchronous=FULL so that a
 * committed answer survives a power cut), applies the versioned schema
 * migrations (PRAGMA user_version; one transaction per migration), prepares
 * every statement once at open and finalizes them at close, and copies the
 * live database with the online backup API. It refuses a database whose
 * schema is newer than this binary without touching it.
 *
 * It does not log or print (errors are DRILL_E* codes, plus a message in the
 * caller's buffer where the contract has one), knows nothing of time zones
 * (the caller computes day numbers), does not validate UTF-8 (the caller
 * does, before storing) and is not thread-safe: one connection, one thread.
 * Only this file includes sqlite3.h.
 *
 * SQLite result codes map to DRILL_EIO, except out of memory (DRILL_ENOMEM),
 * a string or blob over SQLite's limit (DRILL_ETOOBIG) and a foreign key
 * naming a row that does not exist (DRILL_ENOTFOUND).
 */
#include "drill/store.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>
#include <sqlite3.h>

/*
 * Schema migrations: migrations[i] takes the schema from version i to i+1.
 * Append only; never edit a script that has shipped. Each runs in its own
 * BEGIN IMMEDIATE transaction together with setting user_version.
 *
 * Deleting a person cascades to everything that is theirs (practice
 * deliveries, answers, disputes, progress), which is what "forget me" needs.
 * Every foreign key column leads an index, so those cascades and the
 * parent-key checks never scan a table.
 */
static const char *const migrations[] = {
	/* 0 -> 1: people, conversations, deliveries, answers, practice,
	 * progress, disputes. */
	"CREATE TABLE people ("
	"  id INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL UNIQUE,"
	"  created_at INTEGER NOT NULL,"
	"  level INTEGER"
	");"
	"CREATE TABLE conversations ("
	"  id INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL UNIQUE,"
	"  kind TEXT NOT NULL CHECK (kind IN ('channel', 'dm')),"
	"  created_at INTEGER NOT NULL"
	");"
	"CREATE TABLE deliveries ("
	"  id INTEGER PRIMARY KEY,"
	"  conversation_id INTEGER NOT NULL"
	"    REFERENCES conversations (id) ON DELETE CASCADE,"
	"  person_id INTEGER REFERENCES people (id) ON DELETE CASCADE,"
	"  question_id TEXT NOT NULL,"
	"  kind TEXT NOT NULL,"
	"  message_id TEXT,"
	"  thread_id TEXT,"
	"  filter TEXT,"
	"  created_at INTEGER NOT NULL,"
	"  hints_used INTEGER NOT NULL DEFAULT 0 CHECK (hints_used >= 0),"
	"  model_shown INTEGER NOT NULL DEFAULT 0 CHECK (model_shown IN (0, 1))"
	");"
	"CREATE INDEX deliveries_conversation"
	"  ON deliveries (conversation_id, created_at);"
	"CREATE INDEX deliveries_person ON deliveries (person_id, question_id);"
	"CREATE INDEX deliveries_message ON deliveries (conversation_id, message_id);"
	"CREATE TABLE answers ("
	"  id INTEGER PRIMARY KEY,"
	"  delivery_id INTEGER NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,"
	"  person_id INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,"
	"  question_id TEXT NOT NULL,"
	"  text TEXT NOT NULL,"
	"  created_at INTEGER NOT NULL,"
	"  day INTEGER NOT NULL,"
	"  score INTEGER NOT NULL CHECK (score BETWEEN 0 AND 100),"
	"  relevance INTEGER NOT NULL CHECK (relevance BETWEEN 0 AND 100),"
	"  structure INTEGER NOT NULL CHECK (structure BETWEEN 0 AND 100),"
	"  clarity INTEGER NOT NULL CHECK (clarity BETWEEN 0 AND 100),"
	"  impact INTEGER NOT NULL CHECK (impact BETWEEN 0 AND 100),"
	"  grade TEXT NOT NULL,"
	"  rubric_version TEXT NOT NULL,"
	"  breakdown TEXT,"
	"  hints_used INTEGER NOT NULL DEFAULT 0 CHECK (hints_used >= 0),"
	"  model_seen INTEGER NOT NULL DEFAULT 0 CHECK (model_seen IN (0, 1))"
	");"
	"CREATE INDEX answers_person ON answers (person_id, created_at);"
	"CREATE INDEX answers_person_question ON answers (person_id, question_id, score);"
	"CREATE INDEX answers_delivery ON answers (delivery_id);"
	"CREATE INDEX answers_created ON answers (created_at);"
	"CREATE TABLE practice ("
	"  person_id INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,"
	"  conversation_id INTEGER NOT NULL"
	"    REFERENCES conversations (id) ON DELETE CASCADE,"
	"  delivery_id INTEGER NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,"
	"  PRIMARY KEY (person_id, conversation_id)"
	") WITHOUT ROWID;"
	"CREATE INDEX practice_conversation ON practice (conversation_id);"
	"CREATE INDEX practice_delivery ON practice (delivery_id);"
	"CREATE TABLE progress ("
	"  person_id INTEGER PRIMARY KEY REFERENCES people (id) ON DELETE CASCADE,"
	"  answered INTEGER NOT NULL,"
	"  score_sum INTEGER NOT NULL,"
	"  streak INTEGER NOT NULL,"
	"  best_streak INTEGER NOT NULL,"
	"  last_day INTEGER NOT NULL"
	");"
	"CREATE TABLE disputes ("
	"  id INTEGER PRIMARY KEY,"
	"  answer_id INTEGER NOT NULL REFERENCES answers (id) ON DELETE CASCADE,"
	"  reason TEXT,"
	"  created_at INTEGER NOT NULL"
	");"
	"CREATE INDEX disputes_answer ON disputes (answer_id);",

	/* 1 -> 2: the outbox. One row per outbound chat message, written
	 * before the send. Times are Unix milliseconds. A destination's head
	 * is its pending (queued or sending) row of lowest id; outbox_pending
	 * makes finding every head a skip-scan and outbox_state serves the
	 * counts, the failed list and recovery. */
	"CREATE TABLE outbox ("
	"  id INTEGER PRIMARY KEY,"
	"  platform TEXT NOT NULL,"
	"  destination TEXT NOT NULL,"
	"  idem_key TEXT NOT NULL UNIQUE,"
	"  payload TEXT NOT NULL,"
	"  state TEXT NOT NULL DEFAULT 'queued'"
	"    CHECK (state IN ('queued', 'sending', 'sent', 'failed')),"
	"  attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),"
	"  next_at INTEGER NOT NULL,"
	"  created_at INTEGER NOT NULL,"
	"  sent_at INTEGER,"
	"  platform_message_id TEXT,"
	"  last_error TEXT"
	");"
	"CREATE INDEX outbox_pending ON outbox (destination, id)"
	"  WHERE state IN ('queued', 'sending');"
	"CREATE INDEX outbox_state ON outbox (state, id);",

	/* 2 -> 3: channel schedule state. A row per scheduled conversation:
	 * the changes made in chat (they win over the config entry they were
	 * made over, config_digest, until that entry changes) and the last
	 * fire instant handled. */
	"CREATE TABLE schedules ("
	"  conversation TEXT PRIMARY KEY,"
	"  cron TEXT,"
	"  timezone TEXT,"
	"  paused INTEGER NOT NULL DEFAULT 0 CHECK (paused IN (0, 1)),"
	"  config_digest TEXT,"
	"  last_fire INTEGER NOT NULL DEFAULT 0,"
	"  updated_at INTEGER NOT NULL"
	");"
	/* ... and the inbound events already handled (platform_event.event_id),
	 * so that a platform's retries are dropped; pruned by age. */
	"CREATE TABLE seen_events ("
	"  event_id TEXT PRIMARY KEY,"
	"  at INTEGER NOT NULL"
	") WITHOUT ROWID;"
	"CREATE INDEX seen_events_at ON seen_events (at);",

	/* 3 -> 4: channel questions. A scheduled delivery keeps the outbox
	 * row that posts it (its thread is the platform id that row gets),
	 * the thread's options and its reveal; an answer keeps its message
	 * (edits) and whether it came after the reveal; an outbox row may be
	 * a reply in the thread of an earlier row. */
	"ALTER TABLE deliveries ADD COLUMN root_row INTEGER;"
	"ALTER TABLE deliveries ADD COLUMN answers_dm INTEGER NOT NULL DEFAULT 0"
	"  CHECK (answers_dm IN (0, 1));"
	"ALTER TABLE deliveries ADD COLUMN feedback_thread INTEGER NOT NULL"
	"  DEFAULT 0 CHECK (feedback_thread IN (0, 1));"
	"ALTER TABLE deliveries ADD COLUMN reveal_at INTEGER;"
	"ALTER TABLE deliveries ADD COLUMN revealed_at INTEGER;"
	"CREATE INDEX deliveries_root ON deliveries (root_row)"
	"  WHERE root_row IS NOT NULL;"
	"CREATE INDEX deliveries_reveal ON deliveries (reveal_at)"
	"  WHERE reveal_at IS NOT NULL AND revealed_at IS NULL;"
	"ALTER TABLE answers ADD COLUMN message_id TEXT;"
	"ALTER TABLE answers ADD COLUMN late INTEGER NOT NULL DEFAULT 0"
	"  CHECK (late IN (0, 1));"
	"CREATE INDEX answers_message ON answers (person_id, message_id)"
	"  WHERE message_id IS NOT NULL;"
	"ALTER TABLE outbox ADD COLUMN thread_row INTEGER;"
	"ALTER TABLE outbox ADD COLUMN thread_id TEXT;"
	"CREATE INDEX outbox_message ON outbox (destination, platform_message_id)"
	"  WHERE platform_message_id IS NOT NULL;",

	/* 4 -> 5: personal practice and people's data. A person's own
	 * settings; their DM subscription (next_at: when the next question
	 * is due, kept by the engine); the days a pause excuses from the
	 * streak; the questions coming back for review; and each channel's
	 * last weekly digest. Everything personal cascades from people. */
	"ALTER TABLE people ADD COLUMN timezone TEXT;"
	"ALTER TABLE people ADD COLUMN platform_timezone TEXT;"
	"ALTER TABLE people ADD COLUMN quiet_start INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE people ADD COLUMN quiet_end INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE people ADD COLUMN leaderboard INTEGER NOT NULL DEFAULT 0"
	"  CHECK (leaderboard IN (0, 1));"
	"ALTER TABLE people ADD COLUMN level_since INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE people ADD COLUMN forget_asked INTEGER NOT NULL DEFAULT 0;"
	"CREATE TABLE subscriptions ("
	"  person_id INTEGER PRIMARY KEY REFERENCES people (id) ON DELETE CASCADE,"
	"  conversation_id INTEGER NOT NULL"
	"    REFERENCES conversations (id) ON DELETE CASCADE,"
	"  topics INTEGER NOT NULL DEFAULT 0,"
	"  at INTEGER NOT NULL CHECK (at BETWEEN 0 AND 1439),"
	"  weekdays INTEGER NOT NULL DEFAULT 0 CHECK (weekdays IN (0, 1)),"
	"  paused_until INTEGER NOT NULL DEFAULT 0,"
	"  next_at INTEGER NOT NULL,"
	"  last_at INTEGER NOT NULL DEFAULT 0,"
	"  created_at INTEGER NOT NULL"
	");"
	"CREATE INDEX subscriptions_due ON subscriptions (next_at);"
	"CREATE INDEX subscriptions_conversation ON subscriptions (conversation_id);"
	"CREATE TABLE pauses ("
	"  person_id INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,"
	"  from_day INTEGER NOT NULL,"
	"  to_day INTEGER NOT NULL,"
	"  CHECK (to_day >= from_day)"
	");"
	"CREATE INDEX pauses_person ON pauses (person_id, to_day);"
	"CREATE TABLE reviews ("
	"  person_id INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,"
	"  question_id TEXT NOT NULL,"
	"  stage INTEGER NOT NULL CHECK (stage >= 0),"
	"  due_at INTEGER NOT NULL,"
	"  missed TEXT NOT NULL,"
	"  PRIMARY KEY (person_id, question_id)"
	") WITHOUT ROWID;"
	"CREATE INDEX reviews_due ON reviews (person_id, due_at);"
	"CREATE TABLE digests ("
	"  conversation TEXT PRIMARY KEY,"
	"  last_at INTEGER NOT NULL"
	");"
	/* the one person an outbox message is for (a DM, or shown to them
	 * alone), so that forgetting them finds it */
	"ALTER TABLE outbox ADD COLUMN recipient TEXT;"
	"CREATE INDEX outbox_recipient ON outbox (recipient)"
	"  WHERE recipient IS NOT NULL;"
	/* whose DM a conversation is, so that forgetting them finds it */
	"ALTER TABLE conversations ADD COLUMN person_id INTEGER;"
	"CREATE INDEX conversations_person ON conversations (person_id)"
	"  WHERE person_id IS NOT NULL;"
	/* the rotation's index (a database made by an early schema 4 has
	 * none) */
	"CREATE INDEX IF NOT EXISTS deliveries_channel"
	"  ON deliveries (conversation_id, question_id) WHERE person_id IS NULL;",

	/* 5 -> 6: chat platforms. When the bot introduced itself in a
	 * conversation (once), and the little state a platform adapter keeps
	 * between runs (a Matrix sync token, a Slack DM's channel id) by key. */
	"ALTER TABLE conversations ADD COLUMN introduced_at INTEGER;"
	"CREATE TABLE platform_state ("
	"  key TEXT PRIMARY KEY,"
	"  value TEXT NOT NULL,"
	"  updated_at INTEGER NOT NULL"
	") WITHOUT ROWID;",
};

_Static_assert(sizeof migrations / sizeof migrations[0] == STORE_SCHEMA_VERSION,
    "one migration script per schema version");

/*
 * The outbox's statements. OUTBOX_COLS is a whole row in the order
 * read_outbox_row reads it (state as its enum number). OUTBOX_HEADS lists
 * every destination with a pending row, one index seek each (a recursive
 * skip-scan of outbox_pending), so finding the due heads costs one seek
 * per destination however long the queues are; OUTBOX_HEAD_ID is the
 * oldest pending row of heads.dst. INDEXED BY, because without ANALYZE
 * statistics the planner prefers outbox_state and scans every pending row
 * once per destination.
 */
#define OUTBOX_PENDING "state IN ('queued', 'sending')"
#define OUTBOX_COLS \
	"o.id, o.platform, o.destination, o.idem_key, o.payload," \
	" CASE o.state WHEN 'queued' THEN 0 WHEN 'sending' THEN 1" \
	" WHEN 'sent' THEN 2 ELSE 3 END, o.attempts, o.next_at, o.created_at," \
	" o.sent_at, o.platform_message_id, o.last_error, o.thread_row," \
	" coalesce(o.thread_id, (SELECT t.platform_message_id FROM outbox t" \
	"  WHERE t.id = o.thread_row))"
#define OUTBOX_BY_PENDING "outbox INDEXED BY outbox_pending WHERE " OUTBOX_PENDING
#define OUTBOX_HEADS \
	"WITH RECURSIVE heads (dst) AS (" \
	" SELECT min(destination) FROM " OUTBOX_BY_PENDING \
	" UNION ALL" \
	" SELECT (SELECT min(destination) FROM " OUTBOX_BY_PENDING \
	"  AND destination > heads.dst) FROM heads WHERE heads.dst IS NOT NULL) "
#define OUTBOX_HEAD_ID \
	"(SELECT min(id) FROM " OUTBOX_BY_PENDING " AND destination = heads.dst)"

/* A whole answer, in the order read_answer reads it. */
#define ANSWER_COLS \
	"id, delivery_id, person_id, question_id, text, created_at, day, score," \
	" relevance, structure, clarity, impact, grade, rubric_version," \
	" breakdown, hints_used, model_seen, message_id, late"

#define ANSWER_COLS_A \
	"a.id, a.delivery_id, a.person_id, a.question_id, a.text, a.created_at," \
	" a.day, a.score, a.relevance, a.structure, a.clarity, a.impact, a.grade," \
	" a.rubric_version, a.breakdown, a.hints_used, a.model_seen, a.message_id," \
	" a.late"
#define ANSWER_TYPES "IIIttIIiiiiitttibtb"

/* Every statement the store runs after open; prepared once. */
enum stmt_id {
	S_BEGIN,
	S_BEGIN_READ,
	S_COMMIT,
	S_ROLLBACK,
	S_TX_SAVEPOINT,
	S_TX_RELEASE,
	S_TX_ROLLBACK_TO,
	S_PERSON_FIND,
	S_PERSON_INSERT,
	S_PERSON_LEVEL,
	S_PERSON_SET_LEVEL,
	S_CONV_FIND,
	S_CONV_INSERT,
	S_CONV_NAME,
	S_DELIVERY_INSERT,
	S_DELIVERY_GET,
	S_DELIVERY_SET_HELP,
	S_DELIVERY_BY_THREAD,
	S_DELIVERY_REVEALED,
	S_REVEAL_NEXT,
	S_REVEAL_NEXT_CONV,
	S_ANSWER_REPLACE,
	S_PROGRESS_ADJUST,
	S_ANSWER_FIND,
	S_ANSWER_BY_MESSAGE,
	S_DELIVERY_ANSWERS,
	S_PRACTICE_CHANNEL,
	S_SETTINGS_GET,
	S_SET_TZ,
	S_SET_PLATFORM_TZ,
	S_SET_QUIET,
	S_SET_LEADERBOARD,
	S_SET_LEVEL_SINCE,
	S_SET_FORGET_ASKED,
	S_RECENT_SCORES,
	S_SUB_GET,
	S_SUB_PUT,
	S_SUB_DELETE,
	S_SUB_NEXT,
	S_SUB_SET_NEXT,
	S_PAUSE_ADD,
	S_PAUSE_COVERS,
	S_REVIEW_GET,
	S_REVIEW_PUT,
	S_REVIEW_DELETE,
	S_REVIEWS_LIST,
	S_DIGEST_GET,
	S_DIGEST_SET,
	S_CONV_ANSWERS,
	S_PERSON_ANSWERS,
	S_PERSON_DISPUTES,
	S_PERSON_ROW,
	S_FORGET_OUTBOX,
	S_FORGET_DM_CONVS,
	S_FORGET_PERSON,
	S_ANSWERS_PURGE,
	S_OUTBOX_ORPHANS,
	S_OUTBOX_PURGE,
	S_CONV_SET_PERSON,
	S_PERSON_DELIVERIES,
	S_PERSON_PAUSES,
	S_PERSON_DMS,
	S_ANSWER_INSERT,
	S_PROGRESS_UPSERT,
	S_ANSWER_GET,
	S_ANSWER_LAST,
	S_PROGRESS_GET,
	S_PRACTICE_GET,
	S_PRACTICE_SET,
	S_PRACTICE_CLEAR,
	S_PERSON_QUESTIONS,
	S_CONV_QUESTIONS,
	S_UNREVEALED_QUESTIONS,
	S_QUESTION_UNREVEALED,
	S_DELIVERY_SET_REVEAL,
	S_PRACTICE_DROP_DELIVERY,
	S_PRACTICE_DROP_CHANNEL,
	S_PERSON_QSTATS,
	S_DISPUTE_INSERT,
	S_DISPUTES_LIST,
	S_SCHEDULE_GET,
	S_SCHEDULE_PUT,
	S_EVENT_SEEN,
	S_EVENTS_PRUNE,
	S_CONV_INTRODUCE,
	S_STATE_GET,
	S_STATE_PUT,
	S_STATE_DELETE,
	S_OUTBOX_INSERT,
	S_OUTBOX_GET,
	S_OUTBOX_DUE,
	S_OUTBOX_NEXT_AT,
	S_OUTBOX_SENDING,
	S_OUTBOX_SENT,
	S_OUTBOX_RESCHEDULE,
	S_OUTBOX_FAIL,
	S_OUTBOX_FAILED,
	S_OUTBOX_REQUEUE,
	S_OUTBOX_COUNTS,
	S_OUTBOX_RECOVER,
	S_COUNT
};

static const struct {
	const char *sql;
	bool write;	/* prepared only on read-write opens */
} stmt_defs[S_COUNT] = {
	[S_BEGIN] = {"BEGIN IMMEDIATE", true},
	/* Read-only connections group reads into one snapshot. */
	[S_BEGIN_READ] = {"BEGIN DEFERRED", false},
	[S_COMMIT] = {"COMMIT", false},
	[S_ROLLBACK] = {"ROLLBACK", false},
	[S_TX_SAVEPOINT] = {"SAVEPOINT store_tx", true},
	[S_TX_RELEASE] = {"RELEASE store_tx", true},
	[S_TX_ROLLBACK_TO] = {"ROLLBACK TO store_tx", true},
	[S_PERSON_FIND] = {"SELECT id FROM people WHERE name = ?1", false},
	[S_PERSON_INSERT] = {
		"INSERT INTO people (name, created_at) VALUES (?1, ?2)"
		" ON CONFLICT (name) DO NOTHING RETURNING id", true},
	[S_PERSON_LEVEL] = {"SELECT level FROM people WHERE id = ?1", false},
	[S_PERSON_SET_LEVEL] = {"UPDATE people SET level = ?2 WHERE id = ?1", true},
	[S_CONV_FIND] = {"SELECT id FROM conversations WHERE name = ?1", false},
	[S_CONV_INSERT] = {
		"INSERT INTO conversations (name, kind, created_at)"
		" VALUES (?1, ?2, ?3) ON CONFLICT (name) DO NOTHING RETURNING id",
		true},
	[S_CONV_NAME] = {"SELECT name FROM conversations WHERE id = ?1", false},
	[S_DELIVERY_INSERT] = {
		"INSERT INTO deliveries (conversation_id, person_id, question_id,"
		" kind, message_id, thread_id, created_at, hints_used, model_shown,"
		" filter, root_row, answers_dm, feedback_thread, reveal_at)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)"
		" RETURNING id", true},
	[S_DELIVERY_GET] = {
		"SELECT id, conversation_id, person_id, question_id, kind,"
		" message_id, thread_id, created_at, hints_used, model_shown, filter,"
		" root_row, answers_dm, feedback_thread, reveal_at, revealed_at"
		" FROM deliveries WHERE id = ?1", false},
	[S_DELIVERY_SET_HELP] = {
		"UPDATE deliveries SET hints_used = ?2, model_shown = ?3"
		" WHERE id = ?1", true},
	[S_DELIVERY_BY_THREAD] = {
		"SELECT d.id FROM outbox o JOIN deliveries d ON d.root_row = o.id"
		" WHERE o.destination = ?1 AND o.platform_message_id = ?2"
		" ORDER BY d.id LIMIT 1", false},
	[S_DELIVERY_REVEALED] = {
		"UPDATE deliveries SET revealed_at = ?2"
		" WHERE id = ?1 AND reveal_at IS NOT NULL AND revealed_at IS NULL",
		true},
	[S_REVEAL_NEXT] = {
		"SELECT id, reveal_at FROM deliveries INDEXED BY deliveries_reveal"
		" WHERE reveal_at IS NOT NULL AND revealed_at IS NULL"
		" ORDER BY reveal_at, id LIMIT 1", false},
	[S_REVEAL_NEXT_CONV] = {
		"SELECT id, reveal_at FROM deliveries INDEXED BY deliveries_reveal"
		" WHERE reveal_at IS NOT NULL AND revealed_at IS NULL"
		" AND conversation_id = ?1 ORDER BY reveal_at, id LIMIT 1", false},
	[S_ANSWER_REPLACE] = {
		"UPDATE answers SET text = ?2, score = ?3, relevance = ?4,"
		" structure = ?5, clarity = ?6, impact = ?7, grade = ?8,"
		" rubric_version = ?9, breakdown = ?10, message_id = ?11"
		" WHERE id = ?1", true},
	[S_PROGRESS_ADJUST] = {
		"UPDATE progress SET score_sum = score_sum + ?2 WHERE person_id = ?1",
		true},
	[S_ANSWER_FIND] = {
		"SELECT id FROM answers WHERE delivery_id = ?1 AND person_id = ?2"
		" ORDER BY id LIMIT 1", false},
	[S_ANSWER_BY_MESSAGE] = {
		"SELECT id FROM answers WHERE person_id = ?1 AND message_id = ?2"
		" ORDER BY id LIMIT 1", false},
	[S_DELIVERY_ANSWERS] = {
		"SELECT " ANSWER_COLS " FROM answers WHERE delivery_id = ?1"
		" ORDER BY created_at, id", false},
	[S_PRACTICE_CHANNEL] = {
		"SELECT p.delivery_id, p.conversation_id FROM practice p"
		" JOIN deliveries d ON d.id = p.delivery_id"
		" WHERE p.person_id = ?1 AND d.kind = 'scheduled'"
		" ORDER BY d.created_at DESC, d.id DESC LIMIT 1", false},
	[S_SETTINGS_GET] = {
		"SELECT timezone, platform_timezone, quiet_start, quiet_end, leaderboard,"
		" level_since, forget_asked FROM people WHERE id = ?1", false},
	[S_SET_TZ] = {"UPDATE people SET timezone = ?2 WHERE id = ?1", true},
	[S_SET_PLATFORM_TZ] = {
		"UPDATE people SET platform_timezone = ?2 WHERE id = ?1", true},
	[S_SET_QUIET] = {
		"UPDATE people SET quiet_start = ?2, quiet_end = ?3 WHERE id = ?1", true},
	[S_SET_LEADERBOARD] = {
		"UPDATE people SET leaderboard = ?2 WHERE id = ?1", true},
	[S_SET_LEVEL_SINCE] = {
		"UPDATE people SET level = ?2, level_since = ?3 WHERE id = ?1", true},
	[S_SET_FORGET_ASKED] = {
		"UPDATE people SET forget_asked = ?2 WHERE id = ?1", true},
	[S_RECENT_SCORES] = {
		"SELECT a.score FROM answers a JOIN deliveries d ON d.id = a.delivery_id"
		" WHERE a.person_id = ?1 AND a.created_at >= ?2 AND d.kind = 'practice'"
		" ORDER BY a.created_at DESC, a.id DESC LIMIT ?3", false},
	[S_SUB_GET] = {
		"SELECT person_id, conversation_id, topics, at, weekdays, paused_until,"
		" next_at, last_at, created_at FROM subscriptions WHERE person_id = ?1", false},
	[S_SUB_PUT] = {
		"INSERT INTO subscriptions (person_id, conversation_id, topics, at,"
		" weekdays, paused_until, next_at, last_at, created_at)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
		" ON CONFLICT (person_id) DO UPDATE SET"
		" conversation_id = excluded.conversation_id, topics = excluded.topics,"
		" at = excluded.at, weekdays = excluded.weekdays,"
		" paused_until = excluded.paused_until, next_at = excluded.next_at,"
		" last_at = excluded.last_at", true},
	[S_SUB_DELETE] = {"DELETE FROM subscriptions WHERE person_id = ?1", true},
	[S_SUB_NEXT] = {
		"SELECT person_id, next_at FROM subscriptions"
		" ORDER BY next_at, person_id LIMIT 1", false},
	[S_SUB_SET_NEXT] = {
		"UPDATE subscriptions SET next_at = ?2 WHERE person_id = ?1", true},
	[S_PAUSE_ADD] = {
		"INSERT INTO pauses (person_id, from_day, to_day) VALUES (?1, ?2, ?3)",
		true},
	[S_PAUSE_COVERS] = {
		"SELECT 1 FROM pauses WHERE person_id = ?1 AND to_day >= ?2"
		" AND from_day <= ?2 LIMIT 1", false},
	[S_REVIEW_GET] = {
		"SELECT question_id, stage, due_at, missed FROM reviews"
		" WHERE person_id = ?1 AND question_id = ?2", false},
	[S_REVIEW_PUT] = {
		"INSERT INTO reviews (person_id, question_id, stage, due_at, missed)"
		" VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (person_id, question_id)"
		" DO UPDATE SET stage = excluded.stage, due_at = excluded.due_at,"
		" missed = excluded.missed", true},
	[S_REVIEW_DELETE] = {
		"DELETE FROM reviews WHERE person_id = ?1 AND question_id = ?2", true},
	[S_REVIEWS_LIST] = {
		"SELECT question_id, stage, due_at, missed FROM reviews"
		" WHERE person_id = ?1 ORDER BY due_at, question_id", false},
	[S_DIGEST_GET] = {
		"SELECT last_at FROM digests WHERE conversation = ?1", false},
	[S_DIGEST_SET] = {
		"INSERT INTO digests (conversation, last_at) VALUES (?1, ?2)"
		" ON CONFLICT (conversation) DO UPDATE SET last_at = excluded.last_at",
		true},
	[S_CONV_ANSWERS] = {
		"SELECT " ANSWER_COLS_A ", p.name FROM conversations c"
		" JOIN deliveries d ON d.conversation_id = c.id"
		" JOIN answers a ON a.delivery_id = d.id"
		" JOIN people p ON p.id = a.person_id"
		" WHERE c.name = ?1 AND a.created_at >= ?2 AND a.created_at < ?3"
		" ORDER BY a.created_at, a.id", false},
	[S_PERSON_ANSWERS] = {
		"SELECT " ANSWER_COLS " FROM answers WHERE person_id = ?1"
		" ORDER BY created_at, id", false},
	[S_PERSON_DISPUTES] = {
		"SELECT d.id, d.answer_id, d.created_at, d.reason FROM disputes d"
		" JOIN answers a ON a.id = d.answer_id WHERE a.person_id = ?1"
		" ORDER BY d.created_at, d.id", false},
	[S_PERSON_ROW] = {
		"SELECT name, created_at, level FROM people WHERE id = ?1", false},
	/* what the outbox holds for one person: rows addressed to them, and
	 * rows to the DM conversations of their practice */
	[S_FORGET_OUTBOX] = {
		"DELETE FROM outbox WHERE recipient = ?2 OR destination = ?2"
		" OR destination IN (SELECT c.name FROM conversations c"
		"  WHERE c.kind = 'dm' AND (c.person_id = ?1 OR c.id IN (SELECT"
		"  conversation_id FROM deliveries WHERE person_id = ?1) OR c.id IN"
		"  (SELECT conversation_id FROM subscriptions WHERE person_id = ?1)))", true},
	[S_FORGET_DM_CONVS] = {
		"DELETE FROM conversations WHERE kind = 'dm' AND (person_id = ?1 OR id IN"
		" (SELECT conversation_id FROM deliveries WHERE person_id = ?1)"
		" OR id IN (SELECT conversation_id FROM subscriptions WHERE person_id = ?1))",
		true},
	[S_PERSON_DELIVERIES] = {
		"SELECT question_id, created_at, hints_used, model_shown, filter"
		" FROM deliveries WHERE person_id = ?1 ORDER BY created_at, id", false},
	[S_PERSON_PAUSES] = {
		"SELECT from_day, to_day FROM pauses WHERE person_id = ?1"
		" ORDER BY from_day", false},
	[S_PERSON_DMS] = {
		"SELECT name FROM conversations WHERE kind = 'dm' AND person_id = ?1"
		" ORDER BY id", false},
	[S_CONV_SET_PERSON] = {
		"UPDATE conversations SET person_id = ?2 WHERE id = ?1 AND kind = 'dm'"
		" AND person_id IS NOT ?2", true},
	[S_FORGET_PERSON] = {"DELETE FROM people WHERE id = ?1", true},
	[S_ANSWERS_PURGE] = {"DELETE FROM answers WHERE created_at < ?1", true},
	[S_OUTBOX_PURGE] = {
		"DELETE FROM outbox WHERE state IN ('sent', 'failed') AND created_at < ?1"
		" AND id NOT IN (SELECT root_row FROM deliveries INDEXED BY deliveries_reveal"
		"  WHERE reveal_at IS NOT NULL AND revealed_at IS NULL"
		"  AND root_row IS NOT NULL)", true},
	[S_OUTBOX_ORPHANS] = {
		"DELETE FROM outbox WHERE state IN ('sent', 'failed') AND ("
		" (recipient IS NOT NULL AND NOT EXISTS (SELECT 1 FROM people p"
		"  WHERE p.name = recipient))"
		" OR (NOT EXISTS (SELECT 1 FROM conversations c WHERE c.name = destination)"
		"  AND NOT EXISTS (SELECT 1 FROM people p WHERE p.name = destination)))", true},
	[S_ANSWER_INSERT] = {
		"INSERT INTO answers (delivery_id, person_id, question_id, text,"
		" created_at, day, score, relevance, structure, clarity, impact,"
		" grade, rubric_version, breakdown, hints_used, model_seen,"
		" message_id, late)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13,"
		" ?14, ?15, ?16, ?17, ?18) RETURNING id", true},
	/*
	 * The streak rules of store.h, in one statement. SET expressions see
	 * the row as it was before the update. An answer dated before
	 * last_day (a clock or time zone change) counts but leaves the streak
	 * and last_day alone, so "streak ends at last_day" stays true.
	 */
	[S_PROGRESS_UPSERT] = {
		"INSERT INTO progress (person_id, answered, score_sum, streak,"
		" best_streak, last_day) VALUES (?1, 1, ?2, 1, 1, ?3)"
		" ON CONFLICT (person_id) DO UPDATE SET"
		" answered = answered + 1,"
		" score_sum = score_sum + excluded.score_sum,"
		" streak = CASE WHEN excluded.last_day <= last_day THEN streak"
		"   WHEN excluded.last_day = last_day + 1 OR ?4 THEN streak + 1"
		"   ELSE 1 END,"
		" best_streak = max(best_streak,"
		"   CASE WHEN excluded.last_day <= last_day THEN streak"
		"   WHEN excluded.last_day = last_day + 1 OR ?4 THEN streak + 1"
		"   ELSE 1 END),"
		" last_day = max(last_day, excluded.last_day)", true},
	[S_ANSWER_GET] = {
		"SELECT " ANSWER_COLS " FROM answers WHERE id = ?1", false},
	[S_ANSWER_LAST] = {
		"SELECT id FROM answers WHERE person_id = ?1"
		" ORDER BY created_at DESC, id DESC LIMIT 1", false},
	[S_PROGRESS_GET] = {
		"SELECT answered, score_sum, streak, best_streak, last_day"
		" FROM progress WHERE person_id = ?1", false},
	[S_PRACTICE_GET] = {
		"SELECT delivery_id FROM practice"
		" WHERE person_id = ?1 AND conversation_id = ?2", false},
	[S_PRACTICE_SET] = {
		"INSERT INTO practice (person_id, conversation_id, delivery_id)"
		" VALUES (?1, ?2, ?3) ON CONFLICT (person_id, conversation_id)"
		" DO UPDATE SET delivery_id = excluded.delivery_id", true},
	[S_PRACTICE_CLEAR] = {
		"DELETE FROM practice WHERE person_id = ?1 AND conversation_id = ?2",
		true},
	[S_PERSON_QUESTIONS] = {
		"SELECT DISTINCT question_id FROM deliveries WHERE person_id = ?1",
		false},
	[S_CONV_QUESTIONS] = {
		"SELECT question_id, count(*), 0.0 FROM deliveries"
		" INDEXED BY deliveries_channel"
		" WHERE conversation_id = ?1 AND person_id IS NULL"
		" GROUP BY question_id", false},
	[S_UNREVEALED_QUESTIONS] = {
		"SELECT DISTINCT question_id FROM deliveries INDEXED BY deliveries_reveal"
		" WHERE reveal_at IS NOT NULL AND revealed_at IS NULL", false},
	[S_QUESTION_UNREVEALED] = {
		"SELECT id FROM deliveries INDEXED BY deliveries_reveal"
		" WHERE reveal_at IS NOT NULL AND revealed_at IS NULL"
		" AND question_id = ?1 LIMIT 1", false},
	[S_DELIVERY_SET_REVEAL] = {
		"UPDATE deliveries SET reveal_at = ?2"
		" WHERE id = ?1 AND reveal_at IS NOT NULL AND revealed_at IS NULL", true},
	[S_PRACTICE_DROP_DELIVERY] = {
		"DELETE FROM practice WHERE delivery_id = ?1", true},
	[S_PRACTICE_DROP_CHANNEL] = {
		"DELETE FROM practice WHERE person_id = ?1 AND delivery_id IN"
		" (SELECT id FROM deliveries WHERE kind = 'scheduled')", true},
	[S_PERSON_QSTATS] = {
		"SELECT question_id, count(*), avg(score) FROM answers"
		" WHERE person_id = ?1 GROUP BY question_id", false},
	[S_DISPUTE_INSERT] = {
		"INSERT INTO disputes (answer_id, reason, created_at)"
		" VALUES (?1, ?2, ?3) RETURNING id", true},
	[S_DISPUTES_LIST] = {
		"SELECT d.id, d.created_at, d.reason, a.id, a.created_at, p.name,"
		" a.question_id, a.rubric_version, a.score, a.relevance, a.structure,"
		" a.clarity, a.impact, a.grade, a.text"
		" FROM disputes d JOIN answers a ON a.id = d.answer_id"
		" JOIN people p ON p.id = a.person_id"
		" WHERE d.created_at >= ?1 ORDER BY d.created_at DESC, d.id DESC"
		" LIMIT ?2", false},
	[S_SCHEDULE_GET] = {
		"SELECT conversation, cron, timezone, paused, config_digest, last_fire,"
		" updated_at FROM schedules WHERE conversation = ?1", false},
	[S_SCHEDULE_PUT] = {
		"INSERT INTO schedules (conversation, cron, timezone, paused,"
		" config_digest, last_fire, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
		" ON CONFLICT (conversation) DO UPDATE SET cron = excluded.cron,"
		" timezone = excluded.timezone, paused = excluded.paused,"
		" config_digest = excluded.config_digest, last_fire = excluded.last_fire,"
		" updated_at = excluded.updated_at", true},
	[S_EVENT_SEEN] = {
		"INSERT INTO seen_events (event_id, at) VALUES (?1, ?2)"
		" ON CONFLICT (event_id) DO NOTHING", true},
	[S_EVENTS_PRUNE] = {
		"DELETE FROM seen_events WHERE at < ?1", true},
	[S_CONV_INTRODUCE] = {
		"UPDATE conversations SET introduced_at = ?2 WHERE id = ?1"
		" AND introduced_at IS NULL", true},
	[S_STATE_GET] = {"SELECT value FROM platform_state WHERE key = ?1", false},
	[S_STATE_PUT] = {
		"INSERT INTO platform_state (key, value, updated_at) VALUES (?1, ?2, ?3)"
		" ON CONFLICT (key) DO UPDATE SET value = excluded.value,"
		" updated_at = excluded.updated_at", true},
	[S_STATE_DELETE] = {"DELETE FROM platform_state WHERE key = ?1", true},
	/* The key is 128 random bits from SQLite's generator (seeded by the
	 * OS), so it stays unique across restores from a backup, where ids
	 * are reused. */
	[S_OUTBOX_INSERT] = {
		"INSERT INTO outbox (platform, destination, idem_key, payload,"
		" next_at, created_at, thread_id, thread_row, recipient)"
		" SELECT ?1, ?2, lower(hex(randomblob(16))), ?3, ?4, ?4, ?5, ?6, ?7"
		" WHERE ?6 IS NULL OR EXISTS (SELECT 1 FROM outbox t"
		"  WHERE t.id = ?6 AND t.destination = ?2)"
		" RETURNING id, idem_key", true},
	[S_OUTBOX_GET] = {
		"SELECT " OUTBOX_COLS " FROM outbox o WHERE id = ?1", false},
	[S_OUTBOX_DUE] = {
		OUTBOX_HEADS "SELECT " OUTBOX_COLS " FROM heads"
		" JOIN outbox o ON o.id = " OUTBOX_HEAD_ID
		" WHERE o.next_at <= ?1 ORDER BY o.next_at, o.id LIMIT ?2", false},
	[S_OUTBOX_NEXT_AT] = {
		OUTBOX_HEADS "SELECT min(o.next_at) FROM heads"
		" JOIN outbox o ON o.id = " OUTBOX_HEAD_ID
		" WHERE o.next_at > ?1", false},
	/* The claim: only a pending row that is due; the new next_at is when
	 * the claim lapses. */
	[S_OUTBOX_SENDING] = {
		"UPDATE outbox SET state = 'sending', attempts = attempts + 1,"
		" next_at = ?3 WHERE id = ?1 AND state IN ('queued', 'sending')"
		" AND next_at <= ?2 RETURNING attempts", true},
	/* a sent message's text is the platform's now: the copy goes (it
	 * may quote an answer, name a person) and the row stays for the
	 * thread it may start and the idempotency of its key */
	[S_OUTBOX_SENT] = {
		"UPDATE outbox SET state = 'sent', sent_at = ?2,"
		" platform_message_id = ?3, payload = '' WHERE id = ?1"
		" AND state = 'sending'", true},
	[S_OUTBOX_RESCHEDULE] = {
		"UPDATE outbox SET state = 'queued', next_at = ?2, last_error = ?3,"
		" attempts = max(attempts - ?4, 0)"
		" WHERE id = ?1 AND state IN ('queued', 'sending')", true},
	[S_OUTBOX_FAIL] = {
		"UPDATE outbox SET state = 'failed', last_error = ?2"
		" WHERE id = ?1 AND state IN ('queued', 'sending')", true},
	[S_OUTBOX_FAILED] = {
		"SELECT " OUTBOX_COLS " FROM outbox o WHERE state = 'failed'"
		" ORDER BY id LIMIT ?1", false},
	[S_OUTBOX_REQUEUE] = {
		"UPDATE outbox SET state = 'queued', attempts = 0, next_at = ?2"
		" WHERE id = ?1 AND state = 'failed'", true},
	[S_OUTBOX_COUNTS] = {
		"SELECT state, count(*) FROM outbox GROUP BY state", false},
	[S_OUTBOX_RECOVER] = {
		"UPDATE outbox SET next_at = ?1 WHERE state = 'sending'", true},
};

struct store {
	sqlite3 *db;
	sqlite3_stmt *stmt[S_COUNT];	/* NULL: not prepared (read-only open) */
	uint64_t busy_ms;
	int version;
	bool readonly;
	bool in_tx;	/* inside store_begin .. store_commit/rollback */
	int depth;	/* store_begin calls not yet ended; above 1: savepoints */
};

/* Maps an SQLite result code to a DRILL_E* code. */
static int
map_rc(int rc)
{
	if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
		return DRILL_ENOTFOUND;
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_ROW:
	case SQLITE_DONE:
		return DRILL_OK;
	case SQLITE_NOMEM:
		return DRILL_ENOMEM;
	case SQLITE_TOOBIG:
		return DRILL_ETOOBIG;
	default:
		return DRILL_EIO;
	}
}

/*
 * Returns statement id ready for binding, or NULL when it was not prepared
 * (a write on a read-only open). Callers release it with done().
 */
static sqlite3_stmt *
stmt_get(struct store *st, enum stmt_id id)
{
	return st->stmt[id];
}

/* Resets s after use so it holds no read snapshot and no bound pointers. */
static void
done(sqlite3_stmt *s)
{
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
}

/*
 * Binds parameters 1, 2, ... of s from ap, one argument per letter of types:
 *
 *	I  int64_t
 *	i  int
 *	b  bool, bound as 0 or 1
 *	t  const char *, bound with its explicit length; NULL binds SQL NULL
 *	r  int64_t row reference; 0 means "none" and binds SQL NULL
 *
 * The arguments must have exactly those types: an int64_t parameter wants
 * an int64_t, never a plain int. types must name every parameter of s, so
 * a miscounted string fails (as DRILL_EIO) instead of running. Text is
 * bound without a copy and must outlive the use of s, which done() ends.
 * On failure s is reset and the DRILL_E* code returned.
 */
static int
vbind_args(sqlite3_stmt *s, const char *types, va_list ap)
{
	const char *t;
	int64_t v;
	int rc = SQLITE_OK;

	if (strlen(types) != (size_t)sqlite3_bind_parameter_count(s))
		rc = SQLITE_MISUSE;
	for (int i = 1; rc == SQLITE_OK && types[i - 1] != '\0'; i++) {
		switch (types[i - 1]) {
		case 'I':
			rc = sqlite3_bind_int64(s, i, va_arg(ap, int64_t));
			break;
		case 'i':
			rc = sqlite3_bind_int(s, i, va_arg(ap, int));
			break;
		case 'b':	/* a bool argument arrives promoted to int */
			rc = sqlite3_bind_int(s, i, va_arg(ap, int) != 0);
			break;
		case 't':
			t = va_arg(ap, const char *);
			rc = t == NULL ? sqlite3_bind_null(s, i) : sqlite3_bind_text64(s,
			    i, t, strlen(t), SQLITE_STATIC, SQLITE_UTF8);
			break;
		case 'r':
			v = va_arg(ap, int64_t);
			rc = v == 0 ? sqlite3_bind_null(s, i)
			    : sqlite3_bind_int64(s, i, v);
			break;
		default:
			rc = SQLITE_MISUSE;
			break;
		}
	}
	if (rc == SQLITE_OK)
		return DRILL_OK;
	done(s);
	return map_rc(rc);
}

/* vbind_args with the arguments in line. */
static int
bind_args(sqlite3_stmt *s, const char *types, ...)
{
	va_list ap;
	int ret;

	va_start(ap, types);
	ret = vbind_args(s, types, ap);
	va_end(ap);
	return ret;
}

/* Copies text column i into *out (NULL for SQL NULL); caller frees. */
static int
col_dup(sqlite3_stmt *s, int i, char **out)
{
	const unsigned char *t;
	size_t n;

	*out = NULL;
	if (sqlite3_column_type(s, i) == SQLITE_NULL)
		return DRILL_OK;
	t = sqlite3_column_text(s, i);
	if (t == NULL)
		return DRILL_ENOMEM;	/* not NULL, so conversion failed */
	n = (size_t)sqlite3_column_bytes(s, i);
	if ((*out = malloc(n + 1)) == NULL)
		return DRILL_ENOMEM;
	memcpy(*out, t, n);
	(*out)[n] = '\0';
	return DRILL_OK;
}

/*
 * Steps a bound write statement to completion. With a RETURNING clause,
 * *id (when not NULL) receives the first column of the returned row, and
 * *returned says whether there was one. Resets s in every case.
 */
static int
step_write(sqlite3_stmt *s, int64_t *id, bool *returned)
{
	int rc;

	if (returned != NULL)
		*returned = false;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (id != NULL)
			*id = sqlite3_column_int64(s, 0);
		if (returned != NULL)
			*returned = true;
	}
	done(s);
	return rc == SQLITE_DONE ? DRILL_OK : map_rc(rc);
}

/*
 * Steps a bound single-row query to its first row for the caller to read;
 * DRILL_ENOTFOUND (after resetting s) when it has none. On 0 the caller
 * reads the columns and then calls done().
 */
static int
step_row(sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);

	if (rc == SQLITE_ROW)
		return DRILL_OK;
	done(s);
	return rc == SQLITE_DONE ? DRILL_ENOTFOUND : map_rc(rc);
}

/*
 * Binds write statement sid (vbind_args) and steps it with step_write.
 * DRILL_EINVAL when sid was not prepared (a write on a read-only open).
 */
static int
vexec(struct store *st, enum stmt_id sid, int64_t *id, bool *returned,
    const char *types, va_list ap)
{
	sqlite3_stmt *s = stmt_get(st, sid);
	int ret;

	if (s == NULL)
		return DRILL_EINVAL;
	if ((ret = vbind_args(s, types, ap)) != DRILL_OK)
		return ret;
	return step_write(s, id, returned);
}

/* vexec with the arguments in line; *id, when not NULL, as in step_write. */
static int
exec_stmt(struct store *st, enum stmt_id sid, int64_t *id, const char *types,
    ...)
{
	va_list ap;
	int ret;

	va_start(ap, types);
	ret = vexec(st, sid, id, NULL, types, ap);
	va_end(ap);
	return ret;
}

/* exec_stmt for an UPDATE of one row: DRILL_ENOTFOUND when none changed. */
static int
update_one(struct store *st, enum stmt_id sid, const char *types, ...)
{
	va_list ap;
	int ret;

	va_start(ap, types);
	ret = vexec(st, sid, NULL, NULL, types, ap);
	va_end(ap);
	if (ret != DRILL_OK)
		return ret;
	return sqlite3_changes(st->db) == 0 ? DRILL_ENOTFOUND : DRILL_OK;
}

/* exec_stmt for a write whose row count matters: *n (may be NULL) receives it. */
static int
exec_count(struct store *st, enum stmt_id sid, int64_t *n, const char *types, ...)
{
	va_list ap;
	int ret;

	va_start(ap, types);
	ret = vexec(st, sid, NULL, NULL, types, ap);
	va_end(ap);
	if (ret == DRILL_OK && n != NULL)
		*n = sqlite3_changes(st->db);
	return ret;
}

/* Runs one argument-less prepared statement (transaction control). */
static int
run(struct store *st, enum stmt_id sid)
{
	return exec_stmt(st, sid, NULL, "");
}

/*
 * Binds query sid (vbind_args) and reads the first column of its first row
 * into *out; DRILL_ENOTFOUND when it has no row, DRILL_EINVAL when out is
 * NULL.
 */
static int
query_id(struct store *st, enum stmt_id sid, int64_t *out, const char *types,
    ...)
{
	sqlite3_stmt *s = stmt_get(st, sid);
	va_list ap;
	int ret;

	if (out == NULL)
		return DRILL_EINVAL;
	va_start(ap, types);
	ret = vbind_args(s, types, ap);
	va_end(ap);
	if (ret != DRILL_OK || (ret = step_row(s)) != DRILL_OK)
		return ret;
	*out = sqlite3_column_int64(s, 0);
	done(s);
	return DRILL_OK;
}

/*
 * Binds id to ?1 of query sid and steps it to its row (step_row); on 0 the
 * caller reads the columns of *sp and then calls done().
 */
static int
row_by_id(struct store *st, enum stmt_id sid, int64_t id, sqlite3_stmt **sp)
{
	int ret;

	*sp = stmt_get(st, sid);
	if ((ret = bind_args(*sp, "I", id)) != DRILL_OK)
		return ret;
	return step_row(*sp);
}

/*
 * Reads the columns 0, 1, ... of s's current row into the arguments, one
 * pointer per letter of types, which names every column:
 *
 *	I  int64_t * (SQL NULL reads as 0)
 *	i  int *
 *	b  bool *
 *	t  char **, a copy the caller frees (col_dup; NULL for SQL NULL)
 *
 * Stops at the first failure; text already copied is the caller's to free.
 */
static int
read_cols(sqlite3_stmt *s, const char *types, va_list ap)
{
	int ret = DRILL_OK;

	if (strlen(types) != (size_t)sqlite3_column_count(s))
		return map_rc(SQLITE_MISUSE);
	for (int i = 0; ret == DRILL_OK && types[i] != '\0'; i++) {
		switch (types[i]) {
		case 'I':
			*va_arg(ap, int64_t *) = sqlite3_column_int64(s, i);
			break;
		case 'i':
			*va_arg(ap, int *) = sqlite3_column_int(s, i);
			break;
		case 'b':
			*va_arg(ap, bool *) = sqlite3_column_int(s, i) != 0;
			break;
		case 't':
			ret = col_dup(s, i, va_arg(ap, char **));
			break;
		default:
			ret = map_rc(SQLITE_MISUSE);
			break;
		}
	}
	return ret;
}

/*
 * Binds id to ?1 of query sid and reads its row into the arguments
 * (read_cols); DRILL_ENOTFOUND, with nothing read, when there is none.
 */
static int
get_row(struct store *st, enum stmt_id sid, int64_t id, const char *types, ...)
{
	sqlite3_stmt *s;
	va_list ap;
	int ret;

	if ((ret = row_by_id(st, sid, id, &s)) != DRILL_OK)
		return ret;
	va_start(ap, types);
	ret = read_cols(s, types, ap);
	va_end(ap);
	done(s);
	return ret;
}

/* Reads PRAGMA user_version. */
static int
read_version(sqlite3 *db, int *version)
{
	sqlite3_stmt *s = NULL;
	int rc;

	rc = sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, NULL);
	if (rc == SQLITE_OK) {
		rc = sqlite3_step(s);
		if (rc == SQLITE_ROW) {
			*version = sqlite3_column_int(s, 0);
			rc = SQLITE_OK;
		}
	}
	sqlite3_finalize(s);
	return rc;
}

/* Runs a pragma that answers with one text row; copies it into buf. */
static int
pragma_text(sqlite3 *db, const char *sql, char *buf, size_t len)
{
	sqlite3_stmt *s = NULL;
	const unsigned char *t;
	int rc;

	buf[0] = '\0';
	rc = sqlite3_prepare_v2(db, sql, -1, &s, NULL);
	if (rc == SQLITE_OK) {
		rc = sqlite3_step(s);
		if (rc == SQLITE_ROW) {
			t = sqlite3_column_text(s, 0);
			if (t != NULL)
				snprintf(buf, len, "%s", (const char *)t);
			rc = SQLITE_OK;
		} else if (rc == SQLITE_DONE) {
			rc = SQLITE_OK;
		}
	}
	sqlite3_finalize(s);
	return rc;
}

static int
newer_schema(const char *path, int version, char *err)
{
	drill_seterr(err, "database %s has schema version %d, newer than this "
	    "drilld (%d); upgrade drilld or restore a backup", path, version,
	    STORE_SCHEMA_VERSION);
	return DRILL_ESCHEMA;
}

/*
 * Applies the pending migrations, each in its own BEGIN IMMEDIATE
 * transaction with its user_version. The version is read again inside the
 * transaction, so two processes opening the same file at once apply each
 * migration once.
 */
static int
migrate(struct store *st, const char *path, char *err)
{
	char sql[64];
	int rc, v = 0;

	for (;;) {
		rc = sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
		if (rc != SQLITE_OK)
			goto fail;
		if ((rc = read_version(st->db, &v)) != SQLITE_OK)
			goto fail_tx;
		if (v > STORE_SCHEMA_VERSION) {
			sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
			return newer_schema(path, v, err);
		}
		if (v == STORE_SCHEMA_VERSION)
			break;
		rc = sqlite3_exec(st->db, migrations[v], NULL, NULL, NULL);
		if (rc != SQLITE_OK)
			goto fail_tx;
		snprintf(sql, sizeof sql, "PRAGMA user_version = %d", v + 1);
		rc = sqlite3_exec(st->db, sql, NULL, NULL, NULL);
		if (rc != SQLITE_OK)
			goto fail_tx;
		rc = sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL);
		if (rc != SQLITE_OK)
			goto fail_tx;
	}
	rc = sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		goto fail_tx;
	st->version = v;
	return DRILL_OK;

fail_tx:
	drill_seterr(err, "database %s: migration to schema version %d failed: %s",
	    path, v + 1, sqlite3_errmsg(st->db));
	if (!sqlite3_get_autocommit(st->db))
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	return map_rc(rc);
fail:
	drill_seterr(err, "database %s: cannot start a migration: %s", path,
	    sqlite3_errmsg(st->db));
	return map_rc(rc);
}

/* Sets the connection's pragmas: WAL, synchronous=FULL, foreign keys on. */
static int
configure(struct store *st, const char *path, char *err)
{
	char mode[32];
	int rc;

	if (!st->readonly) {
		rc = pragma_text(st->db, "PRAGMA journal_mode = WAL", mode, sizeof mode);
		if (rc != SQLITE_OK)
			goto fail;
		/* An in-memory database (":memory:") cannot use WAL. */
		if (strcmp(mode, "wal") != 0 && strcmp(mode, "memory") != 0) {
			drill_seterr(err, "database %s: cannot use WAL journal mode "
			    "(journal_mode is %s)", path, mode);
			return DRILL_EIO;
		}
		rc = sqlite3_exec(st->db, "PRAGMA synchronous = FULL", NULL, NULL, NULL);
		if (rc != SQLITE_OK)
			goto fail;
		/* erased rows (forget me, retention) are overwritten, not
		 * left readable in free pages */
		rc = sqlite3_exec(st->db, "PRAGMA secure_delete = ON", NULL, NULL, NULL);
		if (rc != SQLITE_OK)
			goto fail;
	}
	rc = sqlite3_exec(st->db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		goto fail;
	rc = pragma_text(st->db, "PRAGMA foreign_keys", mode, sizeof mode);
	if (rc != SQLITE_OK)
		goto fail;
	if (strcmp(mode, "1") != 0) {
		drill_seterr(err, "database %s: this SQLite cannot enforce foreign keys",
		    path);
		return DRILL_EIO;
	}
	return DRILL_OK;
fail:
	drill_seterr(err, "database %s: %s", path, sqlite3_errmsg(st->db));
	return map_rc(rc);
}

static int
prepare_all(struct store *st, const char *path, char *err)
{
	int rc;

	for (int i = 0; i < S_COUNT; i++) {
		if (stmt_defs[i].write && st->readonly)
			continue;
		rc = sqlite3_prepare_v3(st->db, stmt_defs[i].sql, -1,
		    SQLITE_PREPARE_PERSISTENT, &st->stmt[i], NULL);
		if (rc != SQLITE_OK) {
			drill_seterr(err, "database %s: cannot prepare a statement: %s",
			    path, sqlite3_errmsg(st->db));
			return map_rc(rc);
		}
	}
	return DRILL_OK;
}

/*
 * Opening checks the schema version before anything that could write (the
 * WAL switch rewrites the header), so a newer database is left untouched.
 * A read-only open never creates the file and never migrates; it refuses a
 * database that no drilld has migrated to this version yet.
 */
int
store_open(const char *path, unsigned flags, uint64_t busy_timeout_ms,
    struct store **out, char *err)
{
	struct store *st = NULL;
	struct stat sb;
	int rc, oflags, ret;

	if (out != NULL)
		*out = NULL;
	if (path == NULL || out == NULL || (flags & ~(unsigned)STORE_READONLY)) {
		drill_seterr(err, "store_open: invalid arguments");
		return DRILL_EINVAL;
	}
	if ((st = calloc(1, sizeof *st)) == NULL) {
		drill_seterr(err, "out of memory");
		return DRILL_ENOMEM;
	}
	st->readonly = (flags & STORE_READONLY) != 0;
	st->busy_ms = busy_timeout_ms;

	if (st->readonly && strcmp(path, ":memory:") != 0 && stat(path, &sb) != 0) {
		if (errno == ENOENT)
			drill_seterr(err, "database %s does not exist (a read-only "
			    "open does not create it; start drilld once to create it)",
			    path);
		else
			drill_seterr(err, "database %s: %s", path, strerror(errno));
		ret = DRILL_EIO;
		goto fail;
	}

	oflags = st->readonly ? SQLITE_OPEN_READONLY
	    : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	rc = sqlite3_open_v2(path, &st->db, oflags | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		if (st->db == NULL) {
			drill_seterr(err, "database %s: out of memory", path);
			ret = DRILL_ENOMEM;
		} else {
			drill_seterr(err, "cannot open database %s: %s", path,
			    sqlite3_errmsg(st->db));
			ret = rc == SQLITE_NOMEM ? DRILL_ENOMEM : DRILL_EIO;
		}
		goto fail;
	}
	sqlite3_extended_result_codes(st->db, 1);
	sqlite3_busy_timeout(st->db, busy_timeout_ms > INT_MAX ? INT_MAX
	    : (int)busy_timeout_ms);

	if ((rc = read_version(st->db, &st->version)) != SQLITE_OK) {
		drill_seterr(err, "database %s: %s", path, sqlite3_errmsg(st->db));
		ret = map_rc(rc);
		goto fail;
	}
	if (st->version > STORE_SCHEMA_VERSION) {
		ret = newer_schema(path, st->version, err);
		goto fail;
	}
	if (st->readonly && st->version < STORE_SCHEMA_VERSION) {
		drill_seterr(err, "database %s has schema version %d, older than "
		    "this drilld (%d); start drilld once to migrate it", path,
		    st->version, STORE_SCHEMA_VERSION);
		ret = DRILL_EIO;
		goto fail;
	}
	if ((ret = configure(st, path, err)) != DRILL_OK)
		goto fail;
	if (!st->readonly && (ret = migrate(st, path, err)) != DRILL_OK)
		goto fail;
	if ((ret = prepare_all(st, path, err)) != DRILL_OK)
		goto fail;
	*out = st;
	return DRILL_OK;

fail:
	store_close(st);
	return ret;
}

void
store_close(struct store *st)
{
	if (st == NULL)
		return;
	if (st->db != NULL && !sqlite3_get_autocommit(st->db))
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	for (int i = 0; i < S_COUNT; i++)
		sqlite3_finalize(st->stmt[i]);
	sqlite3_close(st->db);
	free(st);
}

int
store_schema_version(struct store *st)
{
	return st->version;
}

/*
 * On a read-write open this takes the write lock at once (BEGIN IMMEDIATE),
 * so the grouped writes never fail half-way on a busy database; on a
 * read-only open it starts a read snapshot.
 */
int
store_begin(struct store *st)
{
	int ret;

	if (st->in_tx) {
		/* nested: a savepoint, so the inner part can fail alone */
		if (st->readonly)
			return DRILL_EINVAL;
		if ((ret = run(st, S_TX_SAVEPOINT)) == DRILL_OK)
			st->depth++;
		return ret;
	}
	ret = run(st, st->readonly ? S_BEGIN_READ : S_BEGIN);
	if (ret == DRILL_OK) {
		st->in_tx = true;
		st->depth = 1;
	}
	return ret;
}

/* A failed commit rolls the transaction back: nothing stays half-done. */
int
store_commit(struct store *st)
{
	int ret;

	if (!st->in_tx)
		return DRILL_EINVAL;
	if (sqlite3_get_autocommit(st->db)) {
		/* SQLite ended the transaction itself (disk full, I/O error):
		 * everything in it is gone, at every level */
		st->in_tx = false;
		st->depth = 0;
		return DRILL_EIO;
	}
	if (st->depth > 1) {
		/* on failure the savepoint stays, for the caller's rollback */
		if ((ret = run(st, S_TX_RELEASE)) == DRILL_OK)
			st->depth--;
		return ret;
	}
	ret = run(st, S_COMMIT);
	if (ret != DRILL_OK && !sqlite3_get_autocommit(st->db))
		(void)run(st, S_ROLLBACK);
	st->in_tx = false;
	return ret;
}

void
store_rollback(struct store *st)
{
	if (!st->in_tx)
		return;
	if (sqlite3_get_autocommit(st->db)) {
		st->in_tx = false;	/* SQLite already rolled it all back */
		st->depth = 0;
		return;
	}
	if (st->depth > 1) {
		(void)run(st, S_TX_ROLLBACK_TO);
		(void)run(st, S_TX_RELEASE);
		st->depth--;
		return;
	}
	if (!sqlite3_get_autocommit(st->db))
		(void)run(st, S_ROLLBACK);
	st->in_tx = false;
	st->depth = 0;
}

/*
 * Returns the id of name, found with find (SELECT id ... WHERE name = ?1)
 * or else inserted with ins (ON CONFLICT DO NOTHING RETURNING id), bound
 * from types and the arguments; when another connection inserted the name
 * in between, finds it again.
 */
static int
ensure_named(struct store *st, enum stmt_id find, enum stmt_id ins,
    const char *name, int64_t *id, const char *types, ...)
{
	va_list ap;
	bool inserted;
	int ret;

	ret = query_id(st, find, id, "t", name);
	if (ret != DRILL_ENOTFOUND)
		return ret;
	va_start(ap, types);
	ret = vexec(st, ins, id, &inserted, types, ap);
	va_end(ap);
	if (ret != DRILL_OK)
		return ret;
	return inserted ? DRILL_OK : query_id(st, find, id, "t", name);
}

int
store_person_ensure(struct store *st, const char *name, int64_t now, int64_t *id)
{
	if (st->readonly || name == NULL || id == NULL)
		return DRILL_EINVAL;
	return ensure_named(st, S_PERSON_FIND, S_PERSON_INSERT, name, id, "tI",
	    name, now);
}

int
store_person_find(struct store *st, const char *name, int64_t *id)
{
	if (name == NULL)
		return DRILL_EINVAL;
	return query_id(st, S_PERSON_FIND, id, "t", name);
}

int
store_person_level(struct store *st, int64_t person, int *level, bool *set)
{
	sqlite3_stmt *s;
	int ret;

	if (level == NULL || set == NULL)
		return DRILL_EINVAL;
	if ((ret = row_by_id(st, S_PERSON_LEVEL, person, &s)) != DRILL_OK)
		return ret;
	*set = sqlite3_column_type(s, 0) != SQLITE_NULL;
	*level = *set ? sqlite3_column_int(s, 0) : 0;
	done(s);
	return DRILL_OK;
}

int
store_person_set_level(struct store *st, int64_t person, int level)
{
	return update_one(st, S_PERSON_SET_LEVEL, "Ii", person, level);
}

/* An existing conversation keeps the kind it was created with. */
int
store_conversation_ensure(struct store *st, const char *name,
    enum store_conv_kind kind, int64_t now, int64_t *id)
{
	if (st->readonly || name == NULL || id == NULL ||
	    (kind != STORE_CONV_CHANNEL && kind != STORE_CONV_DM))
		return DRILL_EINVAL;
	return ensure_named(st, S_CONV_FIND, S_CONV_INSERT, name, id, "ttI",
	    name, kind == STORE_CONV_DM ? "dm" : "channel", now);
}

int
store_person_name(struct store *st, int64_t id, char **name)
{
	sqlite3_stmt *s;
	int ret;

	if (name == NULL)
		return DRILL_EINVAL;
	*name = NULL;
	if ((ret = row_by_id(st, S_PERSON_ROW, id, &s)) != DRILL_OK)
		return ret;
	ret = col_dup(s, 0, name);
	done(s);
	return ret;
}

int
store_conversation_name(struct store *st, int64_t id, char **name)
{
	if (name == NULL)
		return DRILL_EINVAL;
	*name = NULL;
	return get_row(st, S_CONV_NAME, id, "t", name);
}

int
store_conversation_set_person(struct store *st, int64_t conversation, int64_t person)
{
	return exec_stmt(st, S_CONV_SET_PERSON, NULL, "II", conversation, person);
}

int
store_delivery_add(struct store *st, const struct store_delivery *d, int64_t *id)
{
	if (d == NULL || id == NULL || d->question_id == NULL ||
	    d->kind == NULL || d->hints_used < 0)
		return DRILL_EINVAL;
	return exec_stmt(st, S_DELIVERY_INSERT, id, "IrttttIibtrbbr",
	    d->conversation_id, d->person_id, d->question_id, d->kind,
	    d->message_id, d->thread_id, d->created_at, d->hints_used,
	    d->model_shown, d->filter, d->root_row, d->answers_dm,
	    d->feedback_thread, d->reveal_at);
}

/* A channel delivery's NULL person_id reads as 0. */
int
store_delivery_get(struct store *st, int64_t id, struct store_delivery *out)
{
	int ret;

	if (out == NULL)
		return DRILL_EINVAL;
	memset(out, 0, sizeof *out);
	ret = get_row(st, S_DELIVERY_GET, id, "IIIttttIibtIbbII", &out->id,
	    &out->conversation_id, &out->person_id, &out->question_id,
	    &out->kind, &out->message_id, &out->thread_id, &out->created_at,
	    &out->hints_used, &out->model_shown, &out->filter, &out->root_row,
	    &out->answers_dm, &out->feedback_thread, &out->reveal_at,
	    &out->revealed_at);
	if (ret != DRILL_OK)
		store_delivery_clear(out);
	return ret;
}

int
store_delivery_set_help(struct store *st, int64_t id, int hints_used,
    bool model_shown)
{
	if (hints_used < 0)
		return DRILL_EINVAL;
	return update_one(st, S_DELIVERY_SET_HELP, "Iib", id, hints_used,
	    model_shown);
}

int
store_delivery_by_thread(struct store *st, const char *conversation,
    const char *thread_id, int64_t *id)
{
	if (conversation == NULL || thread_id == NULL)
		return DRILL_EINVAL;
	return query_id(st, S_DELIVERY_BY_THREAD, id, "tt", conversation, thread_id);
}

int
store_delivery_revealed(struct store *st, int64_t id, int64_t now)
{
	return update_one(st, S_DELIVERY_REVEALED, "II", id, now);
}

int
store_reveal_next(struct store *st, int64_t conversation, int64_t *id,
    int64_t *at)
{
	sqlite3_stmt *s = stmt_get(st, conversation ? S_REVEAL_NEXT_CONV : S_REVEAL_NEXT);
	int ret;

	if (id == NULL || at == NULL)
		return DRILL_EINVAL;
	ret = conversation ? bind_args(s, "I", conversation) : bind_args(s, "");
	if (ret != DRILL_OK || (ret = step_row(s)) != DRILL_OK)
		return ret;
	*id = sqlite3_column_int64(s, 0);
	*at = sqlite3_column_int64(s, 1);
	done(s);
	return DRILL_OK;
}

void
store_delivery_clear(struct store_delivery *d)
{
	if (d == NULL)
		return;
	free(d->question_id);
	free(d->kind);
	free(d->message_id);
	free(d->thread_id);
	free(d->filter);
	memset(d, 0, sizeof *d);
}

static bool
valid_score(int v)
{
	return v >= 0 && v <= 100;
}

/* An answer's text and scores are all there and in range. */
static bool
valid_scored(const struct store_answer *a)
{
	return a != NULL && a->text != NULL && a->grade != NULL &&
	    a->rubric_version != NULL && valid_score(a->score) &&
	    valid_score(a->relevance) && valid_score(a->structure) &&
	    valid_score(a->clarity) && valid_score(a->impact);
}

/* The two statements of store_answer_add, inside the caller's transaction. */
static int
answer_insert(struct store *st, const struct store_answer *a, int64_t *id)
{
	int ret;

	ret = exec_stmt(st, S_ANSWER_INSERT, id, "IIttIIiiiiitttibtb",
	    a->delivery_id, a->person_id, a->question_id, a->text,
	    a->created_at, a->day, a->score, a->relevance, a->structure,
	    a->clarity, a->impact, a->grade, a->rubric_version, a->breakdown,
	    a->hints_used, a->model_seen, a->message_id, a->late);
	if (ret != DRILL_OK)
		return ret;
	return exec_stmt(st, S_PROGRESS_UPSERT, NULL, "IiIb", a->person_id,
	    a->score, a->day, a->keep_streak);
}

/*
 * Outside store_begin it runs in its own BEGIN IMMEDIATE transaction; inside
 * one it uses a savepoint, so either way the answer and the progress it
 * counts in are stored together or not at all, and the caller's transaction
 * stays open.
 */
int
store_answer_add(struct store *st, const struct store_answer *a, int64_t *id)
{
	int ret;

	if (st->readonly || id == NULL || !valid_scored(a) || a->question_id == NULL ||
	    a->hints_used < 0)
		return DRILL_EINVAL;
	if ((ret = store_begin(st)) != DRILL_OK)
		return ret;
	if ((ret = answer_insert(st, a, id)) != DRILL_OK) {
		store_rollback(st);
		return ret;
	}
	return store_commit(st);
}

int
store_answer_get(struct store *st, int64_t id, struct store_answer *out)
{
	int ret;

	if (out == NULL)
		return DRILL_EINVAL;
	memset(out, 0, sizeof *out);
	ret = get_row(st, S_ANSWER_GET, id, ANSWER_TYPES, &out->id,
	    &out->delivery_id, &out->person_id, &out->question_id, &out->text,
	    &out->created_at, &out->day, &out->score, &out->relevance,
	    &out->structure, &out->clarity, &out->impact, &out->grade,
	    &out->rubric_version, &out->breakdown, &out->hints_used,
	    &out->model_seen, &out->message_id, &out->late);
	if (ret != DRILL_OK)
		store_answer_clear(out);
	return ret;
}

/* The statements of store_answer_replace, inside the caller's transaction. */
static int
answer_replace(struct store *st, int64_t id, const struct store_answer *a)
{
	struct store_answer old;
	int ret;

	if ((ret = store_answer_get(st, id, &old)) != DRILL_OK)
		return ret;
	ret = update_one(st, S_ANSWER_REPLACE, "Itiiiiitttt", id, a->text, a->score, a->relevance,
	    a->structure, a->clarity, a->impact, a->grade, a->rubric_version,
	    a->breakdown, a->message_id);
	if (ret == DRILL_OK && a->score != old.score)
		ret = update_one(st, S_PROGRESS_ADJUST, "Ii", old.person_id,
		    a->score - old.score);
	store_answer_clear(&old);
	return ret;
}

int
store_answer_replace(struct store *st, int64_t id, const struct store_answer *a)
{
	int ret;

	if (st->readonly || !valid_scored(a))
		return DRILL_EINVAL;
	if ((ret = store_begin(st)) != DRILL_OK)
		return ret;
	if ((ret = answer_replace(st, id, a)) != DRILL_OK) {
		store_rollback(st);
		return ret;
	}
	return store_commit(st);
}

int
store_answer_find(struct store *st, int64_t delivery, int64_t person, int64_t *id)
{
	return query_id(st, S_ANSWER_FIND, id, "II", delivery, person);
}

int
store_answer_by_message(struct store *st, int64_t person, const char *message_id,
    int64_t *id)
{
	if (message_id == NULL)
		return DRILL_EINVAL;
	return query_id(st, S_ANSWER_BY_MESSAGE, id, "It", person, message_id);
}

int
store_answer_last(struct store *st, int64_t person, int64_t *id)
{
	return query_id(st, S_ANSWER_LAST, id, "I", person);
}

void
store_answer_clear(struct store_answer *a)
{
	if (a == NULL)
		return;
	free(a->question_id);
	free(a->text);
	free(a->grade);
	free(a->rubric_version);
	free(a->breakdown);
	free(a->message_id);
	memset(a, 0, sizeof *a);
}

int
store_progress_get(struct store *st, int64_t person, struct store_progress *out)
{
	int ret;

	if (out == NULL)
		return DRILL_EINVAL;
	memset(out, 0, sizeof *out);
	out->last_day = -1;
	ret = get_row(st, S_PROGRESS_GET, person, "IIIII", &out->answered,
	    &out->score_sum, &out->streak, &out->best_streak, &out->last_day);
	return ret == DRILL_ENOTFOUND ? DRILL_OK : ret;
}

int
store_practice_get(struct store *st, int64_t person, int64_t conversation,
    int64_t *delivery_id)
{
	return query_id(st, S_PRACTICE_GET, delivery_id, "II", person,
	    conversation);
}

int
store_practice_set(struct store *st, int64_t person, int64_t conversation,
    int64_t delivery_id)
{
	if (delivery_id == 0)
		return exec_stmt(st, S_PRACTICE_CLEAR, NULL, "II", person,
		    conversation);
	return exec_stmt(st, S_PRACTICE_SET, NULL, "III", person, conversation,
	    delivery_id);
}

/*
 * Runs query sid (?1 the person) and calls qcb, or else scb with columns 1
 * and 2 (count, mean), once per row; column 0 is a NOT NULL question id.
 * DRILL_EINVAL when both callbacks are NULL.
 */
static int
each_question(struct store *st, enum stmt_id sid, int64_t person,
    store_question_cb qcb, store_qstat_cb scb, void *arg)
{
	sqlite3_stmt *s = stmt_get(st, sid);
	const char *q;
	int rc, ret;

	if (qcb == NULL && scb == NULL)
		return DRILL_EINVAL;
	if ((ret = bind_args(s, sqlite3_bind_parameter_count(s) ? "I" : "",
	    person)) != DRILL_OK)
		return ret;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if ((q = (const char *)sqlite3_column_text(s, 0)) == NULL) {
			rc = SQLITE_NOMEM;	/* the column is NOT NULL */
			break;
		}
		if (qcb != NULL)
			qcb(arg, q);
		else
			scb(arg, q, sqlite3_column_int64(s, 1),
			    sqlite3_column_double(s, 2));
	}
	done(s);
	return rc == SQLITE_DONE ? DRILL_OK : map_rc(rc);
}

/*
 * Every question of a delivery addressed to the person (today only practice
 * deliveries name one). cb must not call this same function (it would
 * reset the running query); other store calls are fine.
 */
int
store_person_questions(struct store *st, int64_t person, store_question_cb cb,
    void *arg)
{
	return each_question(st, S_PERSON_QUESTIONS, person, cb, NULL, arg);
}

/* Same reentrancy rule as store_person_questions. */
int
store_unrevealed_questions(struct store *st, store_question_cb cb, void *arg)
{
	return each_question(st, S_UNREVEALED_QUESTIONS, 0, cb, NULL, arg);
}

int
store_question_unrevealed(struct store *st, const char *question_id, bool *out)
{
	int64_t id;
	int ret;

	if (question_id == NULL || out == NULL)
		return DRILL_EINVAL;
	ret = query_id(st, S_QUESTION_UNREVEALED, &id, "t", question_id);
	*out = ret == DRILL_OK;
	return ret == DRILL_ENOTFOUND ? DRILL_OK : ret;
}

int
store_delivery_set_reveal(struct store *st, int64_t id, int64_t at)
{
	return update_one(st, S_DELIVERY_SET_REVEAL, "II", id, at);
}

int
store_practice_drop_delivery(struct store *st, int64_t delivery)
{
	return exec_stmt(st, S_PRACTICE_DROP_DELIVERY, NULL, "I", delivery);
}

int
store_practice_drop_channel(struct store *st, int64_t person)
{
	return exec_stmt(st, S_PRACTICE_DROP_CHANNEL, NULL, "I", person);
}

/* Same reentrancy rule as store_person_questions. */
int
store_conversation_questions(struct store *st, int64_t conversation,
    store_qstat_cb cb, void *arg)
{
	return each_question(st, S_CONV_QUESTIONS, conversation, NULL, cb, arg);
}

/* Same reentrancy rule as store_person_questions. */
int
store_person_question_stats(struct store *st, int64_t person, store_qstat_cb cb,
    void *arg)
{
	return each_question(st, S_PERSON_QSTATS, person, NULL, cb, arg);
}

int
store_dispute_add(struct store *st, int64_t answer_id, const char *reason,
    int64_t now, int64_t *id)
{
	if (id == NULL)
		return DRILL_EINVAL;
	return exec_stmt(st, S_DISPUTE_INSERT, id, "ItI", answer_id, reason, now);
}

/* ---- the outbox ---- */

/* read_cols with the pointers in line. */
static int
read_row(sqlite3_stmt *s, const char *types, ...)
{
	va_list ap;
	int ret;

	va_start(ap, types);
	ret = read_cols(s, types, ap);
	va_end(ap);
	return ret;
}

/* Reads s's current row (OUTBOX_COLS) into *r; on failure *r is cleared. */
static int
read_outbox_row(sqlite3_stmt *s, struct store_outbox_row *r)
{
	int state, ret;

	memset(r, 0, sizeof *r);
	ret = read_row(s, "IttttiiIIIttIt", &r->id, &r->platform, &r->destination,
	    &r->idem_key, &r->payload, &state, &r->attempts, &r->next_at,
	    &r->created_at, &r->sent_at, &r->platform_message_id,
	    &r->last_error, &r->thread_row, &r->thread_id);
	if (ret == DRILL_OK && (r->platform == NULL || r->destination == NULL ||
	    r->idem_key == NULL || r->payload == NULL))
		ret = DRILL_ENOMEM;	/* NOT NULL columns: a conversion failed */
	if (ret != DRILL_OK) {
		store_outbox_row_clear(r);
		return ret;
	}
	r->state = (enum store_outbox_state)state;
	return DRILL_OK;
}

/*
 * Runs bound query s and appends every row to a new array (*rows, *n; the
 * caller frees it with store_outbox_rows_free). Resets s.
 */
static int
read_outbox_rows(sqlite3_stmt *s, struct store_outbox_row **rows, size_t *n)
{
	struct store_outbox_row *v = NULL, *nv;
	size_t len = 0, cap = 0;
	int rc, ret = DRILL_OK;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (len == cap) {
			cap = cap == 0 ? 16 : cap * 2;
			if ((nv = realloc(v, cap * sizeof *v)) == NULL) {
				ret = DRILL_ENOMEM;
				break;
			}
			v = nv;
		}
		if ((ret = read_outbox_row(s, &v[len])) != DRILL_OK)
			break;
		len++;
	}
	done(s);
	if (ret == DRILL_OK && rc != SQLITE_DONE)
		ret = map_rc(rc);
	if (ret != DRILL_OK) {
		store_outbox_rows_free(v, len);
		return ret;
	}
	*rows = v;
	*n = len;
	return DRILL_OK;
}

/* Binds the limit as ?N: SIZE_MAX and anything over INT64_MAX mean "all". */
static int64_t
limit_arg(size_t limit)
{
	return (uint64_t)limit > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)limit;
}

int
store_schedule_get(struct store *st, const char *conversation, struct store_schedule *out)
{
	sqlite3_stmt *s = stmt_get(st, S_SCHEDULE_GET);
	int ret;

	if (out == NULL || conversation == NULL)
		return DRILL_EINVAL;
	memset(out, 0, sizeof *out);
	if ((ret = bind_args(s, "t", conversation)) != DRILL_OK)
		return ret;
	if ((ret = step_row(s)) != DRILL_OK)
		return ret;
	ret = read_row(s, "tttbtII", &out->conversation, &out->cron, &out->timezone,
	    &out->paused, &out->config_digest, &out->last_fire, &out->updated_at);
	done(s);
	if (ret != DRILL_OK)
		store_schedule_clear(out);
	return ret;
}

int
store_schedule_put(struct store *st, const struct store_schedule *sc)
{
	if (sc == NULL || sc->conversation == NULL)
		return DRILL_EINVAL;
	return exec_stmt(st, S_SCHEDULE_PUT, NULL, "tttbtII", sc->conversation,
	    sc->cron, sc->timezone, sc->paused, sc->config_digest, sc->last_fire,
	    sc->updated_at);
}

int
store_event_seen(struct store *st, const char *event_id, int64_t now, bool *first)
{
	int ret;

	if (event_id == NULL || first == NULL)
		return DRILL_EINVAL;
	if ((ret = exec_stmt(st, S_EVENT_SEEN, NULL, "tI", event_id, now)) != DRILL_OK)
		return ret;
	*first = sqlite3_changes(st->db) == 1;
	return DRILL_OK;
}

int
store_events_prune(struct store *st, int64_t before, int64_t *deleted)
{
	return exec_count(st, S_EVENTS_PRUNE, deleted, "I", before);
}

int
store_conversation_introduce(struct store *st, int64_t conversation, int64_t now,
    bool *first)
{
	int ret;

	if (first == NULL)
		return DRILL_EINVAL;
	*first = false;
	if ((ret = exec_stmt(st, S_CONV_INTRODUCE, NULL, "II", conversation, now)) != DRILL_OK)
		return ret;
	*first = sqlite3_changes(st->db) == 1;
	return DRILL_OK;
}

int
store_state_get(struct store *st, const char *key, char **value)
{
	sqlite3_stmt *s = stmt_get(st, S_STATE_GET);
	int ret;

	if (key == NULL || value == NULL)
		return DRILL_EINVAL;
	*value = NULL;
	if ((ret = bind_args(s, "t", key)) != DRILL_OK || (ret = step_row(s)) != DRILL_OK)
		return ret;
	ret = col_dup(s, 0, value);
	done(s);
	return ret;
}

int
store_state_put(struct store *st, const char *key, const char *value, int64_t now)
{
	if (key == NULL || value == NULL)
		return DRILL_EINVAL;
	return exec_stmt(st, S_STATE_PUT, NULL, "ttI", key, value, now);
}

int
store_state_delete(struct store *st, const char *key)
{
	if (key == NULL)
		return DRILL_EINVAL;
	return exec_stmt(st, S_STATE_DELETE, NULL, "t", key);
}

void
store_schedule_clear(struct store_schedule *sc)
{
	if (sc == NULL)
		return;
	free(sc->conversation);
	free(sc->cron);
	free(sc->timezone);
	free(sc->config_digest);
	memset(sc, 0, sizeof *sc);
}

void
store_dispute_rows_free(struct store_dispute_row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(rows[i].reason);
		free(rows[i].person);
		free(rows[i].question_id);
		free(rows[i].rubric_version);
		free(rows[i].grade);
		free(rows[i].answer);
	}
	free(rows);
}

int
store_disputes_list(struct store *st, int64_t since, size_t limit,
    struct store_dispute_row **rows, size_t *n)
{
	sqlite3_stmt *s = stmt_get(st, S_DISPUTES_LIST);
	struct store_dispute_row *v = NULL, *nv, *r;
	size_t len = 0, cap = 0;
	int rc, ret;

	if (rows == NULL || n == NULL)
		return DRILL_EINVAL;
	*rows = NULL;
	*n = 0;
	if ((ret = bind_args(s, "II", since, limit_arg(limit))) != DRILL_OK)
		return ret;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (len == cap) {
			cap = cap == 0 ? 16 : cap * 2;
			if ((nv = realloc(v, cap * sizeof *v)) == NULL) {
				ret = DRILL_ENOMEM;
				break;
			}
			v = nv;
		}
		r = &v[len];
		memset(r, 0, sizeof *r);
		len++;		/* freed with the rest, whatever was read */
		ret = read_row(s, "IItIItttiiiiitt", &r->id, &r->created_at,
		    &r->reason, &r->answer_id, &r->answered_at, &r->person,
		    &r->question_id, &r->rubric_version, &r->score, &r->dims[0],
		    &r->dims[1], &r->dims[2], &r->dims[3], &r->grade, &r->answer);
		if (ret != DRILL_OK)
			break;
	}
	done(s);
	if (ret == DRILL_OK && rc != SQLITE_DONE)
		ret = map_rc(rc);
	if (ret != DRILL_OK) {
		store_dispute_rows_free(v, len);
		return ret;
	}
	*rows = v;
	*n = len;
	return DRILL_OK;
}

int
store_delivery_answers(struct store *st, int64_t delivery, store_answer_cb cb,
    void *arg)
{
	sqlite3_stmt *s = stmt_get(st, S_DELIVERY_ANSWERS);
	struct store_answer a;
	int ret, rc;

	if (cb == NULL)
		return DRILL_EINVAL;
	if ((ret = bind_args(s, "I", delivery)) != DRILL_OK)
		return ret;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		memset(&a, 0, sizeof a);
		ret = read_row(s, ANSWER_TYPES, &a.id, &a.delivery_id, &a.person_id,
		    &a.question_id, &a.text, &a.created_at, &a.day, &a.score,
		    &a.relevance, &a.structure, &a.clarity, &a.impact, &a.grade,
		    &a.rubric_version, &a.breakdown, &a.hints_used, &a.model_seen,
		    &a.message_id, &a.late);
		if (ret == DRILL_OK)
			cb(arg, &a);
		store_answer_clear(&a);
		if (ret != DRILL_OK) {
			done(s);
			return ret;
		}
	}
	done(s);
	return rc == SQLITE_DONE ? DRILL_OK : map_rc(rc);
}

int
store_practice_channel(struct store *st, int64_t person, int64_t *delivery_id,
    int64_t *conversation)
{
	sqlite3_stmt *s = stmt_get(st, S_PRACTICE_CHANNEL);
	int ret;

	if (delivery_id == NULL || conversation == NULL)
		return DRILL_EINVAL;
	if ((ret = bind_args(s, "I", person)) != DRILL_OK ||
	    (ret = step_row(s)) != DRILL_OK)
		return ret;
	*delivery_id = sqlite3_column_int64(s, 0);
	*conversation = sqlite3_column_int64(s, 1);
	done(s);
	return DRILL_OK;
}

int
store_outbox_add(struct store *st, const char *platform, const char *destination,
    const char *payload, int64_t now_ms, int64_t *id, char *key)
{
	return store_outbox_add_reply(st, platform, destination, NULL, 0, NULL,
	    payload, now_ms, id, key);
}

int
store_outbox_add_reply(struct store *st, const char *platform,
    const char *destination, const char *thread_id, int64_t thread_row,
    const char *recipient, const char *payload, int64_t now_ms, int64_t *id,
    char *key)
{
	sqlite3_stmt *s = stmt_get(st, S_OUTBOX_INSERT);
	const unsigned char *k;
	int ret, rc;

	if (s == NULL || platform == NULL || destination == NULL ||
	    payload == NULL || id == NULL || thread_row < 0)
		return DRILL_EINVAL;
	if ((ret = bind_args(s, "tttItrt", platform, destination, payload,
	    now_ms, thread_id, thread_row, recipient)) != DRILL_OK)
		return ret;
	if ((rc = sqlite3_step(s)) != SQLITE_ROW) {
		done(s);
		/* no row: thread_row is not a row of this destination */
		return rc == SQLITE_DONE ? DRILL_EINVAL : map_rc(rc);
	}
	*id = sqlite3_column_int64(s, 0);
	k = sqlite3_column_text(s, 1);
	if (key != NULL)
		snprintf(key, STORE_OUTBOX_KEYLEN, "%s", k != NULL ? (const char *)k : "");
	/* Step to the end: the INSERT completes (and, outside a transaction,
	 * commits) only then. */
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		;
	done(s);
	if (rc != SQLITE_DONE)
		return map_rc(rc);
	return k == NULL ? DRILL_ENOMEM : DRILL_OK;
}

int
store_outbox_get(struct store *st, int64_t id, struct store_outbox_row *out)
{
	sqlite3_stmt *s;
	int ret;

	if (out == NULL)
		return DRILL_EINVAL;
	memset(out, 0, sizeof *out);
	if ((ret = row_by_id(st, S_OUTBOX_GET, id, &s)) != DRILL_OK)
		return ret;
	ret = read_outbox_row(s, out);
	done(s);
	return ret;
}

int
store_outbox_due(struct store *st, int64_t now_ms, size_t limit,
    struct store_outbox_row **rows, size_t *n)
{
	sqlite3_stmt *s = stmt_get(st, S_OUTBOX_DUE);
	int ret;

	if (rows == NULL || n == NULL)
		return DRILL_EINVAL;
	*rows = NULL;
	*n = 0;
	if ((ret = bind_args(s, "II", now_ms, limit_arg(limit))) != DRILL_OK)
		return ret;
	return read_outbox_rows(s, rows, n);
}

int
store_outbox_next_at(struct store *st, int64_t after_ms, int64_t *at)
{
	sqlite3_stmt *s = stmt_get(st, S_OUTBOX_NEXT_AT);
	int ret;

	if (at == NULL)
		return DRILL_EINVAL;
	if ((ret = bind_args(s, "I", after_ms)) != DRILL_OK ||
	    (ret = step_row(s)) != DRILL_OK)
		return ret;
	/* An aggregate always answers one row: NULL when nothing matched. */
	ret = sqlite3_column_type(s, 0) == SQLITE_NULL ? DRILL_ENOTFOUND : DRILL_OK;
	*at = sqlite3_column_int64(s, 0);
	done(s);
	return ret;
}

/*
 * An autocommit UPDATE: with synchronous=FULL the claim is on disk when
 * this returns, before the caller starts the send. Refused inside
 * store_begin, where it would not be committed yet.
 */
int
store_outbox_mark_sending(struct store *st, int64_t id, int64_t now_ms,
    int64_t claim_until_ms, int *attempts)
{
	sqlite3_stmt *s = stmt_get(st, S_OUTBOX_SENDING);
	bool returned;
	int64_t v = 0;
	int ret;

	if (s == NULL || st->in_tx || attempts == NULL)
		return DRILL_EINVAL;
	if ((ret = bind_args(s, "III", id, now_ms, claim_until_ms)) != DRILL_OK ||
	    (ret = step_write(s, &v, &returned)) != DRILL_OK)
		return ret;
	if (!returned)
		return DRILL_ENOTFOUND;
	*attempts = v > INT_MAX ? INT_MAX : (int)v;
	return DRILL_OK;
}

int
store_outbox_claim(struct store *st, const int64_t *ids, size_t n,
    int64_t now_ms, int64_t claim_until_ms, int *attempts)
{
	sqlite3_stmt *s = stmt_get(st, S_OUTBOX_SENDING);
	bool returned;
	int64_t v;
	int ret;

	if (s == NULL || st->in_tx || (n > 0 && (ids == NULL || attempts == NULL)))
		return DRILL_EINVAL;
	if ((ret = store_begin(st)) != DRILL_OK)
		return ret;
	for (size_t i = 0; i < n; i++) {
		v = 0;
		if ((ret = bind_args(s, "III", ids[i], now_ms, claim_until_ms)) != DRILL_OK ||
		    (ret = step_write(s, &v, &returned)) != DRILL_OK) {
			store_rollback(st);
			return ret;
		}
		attempts[i] = !returned ? 0 : v > INT_MAX ? INT_MAX : (int)v;
	}
	return store_commit(st);
}

int
store_outbox_mark_sent(struct store *st, int64_t id, int64_t now_ms,
    const char *platform_message_id)
{
	return update_one(st, S_OUTBOX_SENT, "IIt", id, now_ms,
	    platform_message_id);
}

int
store_outbox_reschedule(struct store *st, int64_t id, int64_t next_at_ms,
    const char *error, bool refund_attempt)
{
	return update_one(st, S_OUTBOX_RESCHEDULE, "IItb", id, next_at_ms, error,
	    refund_attempt);
}

int
store_outbox_mark_failed(struct store *st, int64_t id, const char *reason)
{
	return update_one(st, S_OUTBOX_FAIL, "It", id, reason);
}

int
store_outbox_failed(struct store *st, size_t limit,
    struct store_outbox_row **rows, size_t *n)
{
	sqlite3_stmt *s = stmt_get(st, S_OUTBOX_FAILED);
	int ret;

	if (rows == NULL || n == NULL)
		return DRILL_EINVAL;
	*rows = NULL;
	*n = 0;
	if ((ret = bind_args(s, "I", limit_arg(limit))) != DRILL_OK)
		return ret;
	return read_outbox_rows(s, rows, n);
}

int
store_outbox_requeue(struct store *st, int64_t id, int64_t now_ms)
{
	return update_one(st, S_OUTBOX_REQUEUE, "II", id, now_ms);
}

int
store_outbox_counts(struct store *st, struct store_outbox_counts *out)
{
	sqlite3_stmt *s = stmt_get(st, S_OUTBOX_COUNTS);
	const char *state;
	int64_t c;
	int rc;

	if (out == NULL)
		return DRILL_EINVAL;
	memset(out, 0, sizeof *out);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		state = (const char *)sqlite3_column_text(s, 0);
		c = sqlite3_column_int64(s, 1);
		if (state == NULL) {
			rc = SQLITE_NOMEM;	/* the column is NOT NULL */
			break;
		}
		if (strcmp(state, "queued") == 0)
			out->queued = c;
		else if (strcmp(state, "sending") == 0)
			out->sending = c;
		else if (strcmp(state, "sent") == 0)
			out->sent = c;
		else
			out->failed = c;
	}
	done(s);
	return rc == SQLITE_DONE ? DRILL_OK : map_rc(rc);
}

/*
 * Only for a store whose 'sending' rows no other process is sending: today
 * the one daemon at start-up. (Several instances sharing a database would
 * instead let each claim lapse.)
 */
int
store_outbox_recover(struct store *st, int64_t now_ms, int64_t *n)
{
	return exec_count(st, S_OUTBOX_RECOVER, n, "I", now_ms);
}

void
store_outbox_row_clear(struct store_outbox_row *r)
{
	if (r == NULL)
		return;
	free(r->platform);
	free(r->destination);
	free(r->idem_key);
	free(r->payload);
	free(r->platform_message_id);
	free(r->last_error);
	free(r->thread_id);
	memset(r, 0, sizeof *r);
}

void
store_outbox_rows_free(struct store_outbox_row *rows, size_t n)
{
	if (rows == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		store_outbox_row_clear(&rows[i]);
	free(rows);
}

/* Removes a side file of path ("-wal", "-shm", "-journal"); ENOENT is fine. */
static int
unlink_side(const char *path, const char *suffix)
{
	char buf[PATH_MAX];
	int n = snprintf(buf, sizeof buf, "%s%s", path, suffix);

	if (n < 0 || (size_t)n >= sizeof buf) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return unlink(buf) == 0 || errno == ENOENT ? 0 : -1;
}

/* Flushes the directory holding path, so a rename in it is durable. */
static void
sync_dir_of(const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	size_t n;
	int fd;

	if (slash == NULL) {
		dir[0] = '.';
		n = 1;
	} else {
		n = slash == path ? 1 : (size_t)(slash - path);
		if (n >= sizeof dir)
			return;
		memcpy(dir, path, n);
	}
	dir[n] = '\0';
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return;
	(void)fsync(fd);	/* best effort: the file itself is synced */
	close(fd);
}

/* ---- a person's own settings, subscription, pauses and reviews ---- */

int
store_person_settings_get(struct store *st, int64_t person,
    struct store_person_settings *out)
{
	int ret;

	if (out == NULL)
		return DRILL_EINVAL;
	memset(out, 0, sizeof *out);
	ret = get_row(st, S_SETTINGS_GET, person, "ttiibII", &out->timezone,
	    &out->platform_timezone, &out->quiet_start, &out->quiet_end,
	    &out->leaderboard, &out->level_since, &out->forget_asked);
	if (ret != DRILL_OK)
		store_person_settings_clear(out);
	return ret;
}

void
store_person_settings_clear(struct store_person_settings *s)
{
	if (s == NULL)
		return;
	free(s->timezone);
	free(s->platform_timezone);
	memset(s, 0, sizeof *s);
}

int
store_person_set_timezone(struct store *st, int64_t person, const char *timezone,
    bool platform)
{
	return update_one(st, platform ? S_SET_PLATFORM_TZ : S_SET_TZ, "It", person,
	    timezone);
}

int
store_person_set_quiet(struct store *st, int64_t person, int start, int end)
{
	if (start < 0 || start > 1439 || end < 0 || end > 1439)
		return DRILL_EINVAL;
	return update_one(st, S_SET_QUIET, "Iii", person, start, end);
}

int
store_person_set_leaderboard(struct store *st, int64_t person, bool on)
{
	return update_one(st, S_SET_LEADERBOARD, "Ib", person, on);
}

int
store_person_set_level_since(struct store *st, int64_t person, int level,
    int64_t since)
{
	return update_one(st, S_SET_LEVEL_SINCE, "IiI", person, level, since);
}

int
store_person_set_forget_asked(struct store *st, int64_t person, int64_t at)
{
	return update_one(st, S_SET_FORGET_ASKED, "II", person, at);
}

int
store_person_recent_scores(struct store *st, int64_t person, int64_t since,
    int *scores, size_t max, size_t *n)
{
	sqlite3_stmt *s = stmt_get(st, S_RECENT_SCORES);
	int ret, rc;

	if (n == NULL || (scores == NULL && max > 0) || max > INT32_MAX)
		return DRILL_EINVAL;
	*n = 0;
	if ((ret = bind_args(s, "IIi", person, since, (int)max)) != DRILL_OK)
		return ret;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW && *n < max)
		scores[(*n)++] = sqlite3_column_int(s, 0);
	done(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? DRILL_OK : map_rc(rc);
}

int
store_subscription_get(struct store *st, int64_t person,
    struct store_subscription *out)
{
	int64_t topics;
	int ret;

	if (out == NULL)
		return DRILL_EINVAL;
	memset(out, 0, sizeof *out);
	ret = get_row(st, S_SUB_GET, person, "IIIibIIII", &out->person_id,
	    &out->conversation_id, &topics, &out->at, &out->weekdays,
	    &out->paused_until, &out->next_at, &out->last_at, &out->created_at);
	out->topics = (uint32_t)topics;
	return ret;
}

int
store_subscription_put(struct store *st, const struct store_subscription *s)
{
	if (s == NULL || s->at < 0 || s->at > 1439)
		return DRILL_EINVAL;
	return exec_stmt(st, S_SUB_PUT, NULL, "IIIibIIII", s->person_id,
	    s->conversation_id, (int64_t)s->topics, s->at, s->weekdays,
	    s->paused_until, s->next_at, s->last_at, s->created_at);
}

int
store_subscription_delete(struct store *st, int64_t person)
{
	int ret = exec_stmt(st, S_SUB_DELETE, NULL, "I", person);

	if (ret == DRILL_OK && sqlite3_changes(st->db) == 0)
		return DRILL_ENOTFOUND;
	return ret;
}

int
store_subscription_next(struct store *st, int64_t *person, int64_t *at)
{
	sqlite3_stmt *s = stmt_get(st, S_SUB_NEXT);
	int ret;

	if (person == NULL || at == NULL)
		return DRILL_EINVAL;
	if ((ret = bind_args(s, "")) != DRILL_OK || (ret = step_row(s)) != DRILL_OK)
		return ret;
	*person = sqlite3_column_int64(s, 0);
	*at = sqlite3_column_int64(s, 1);
	done(s);
	return DRILL_OK;
}

int
store_subscription_set_next(struct store *st, int64_t person, int64_t next_at)
{
	return update_one(st, S_SUB_SET_NEXT, "II", person, next_at);
}

int
store_pause_add(struct store *st, int64_t person, int64_t from_day, int64_t to_day)
{
	if (to_day < from_day)
		return DRILL_EINVAL;
	return exec_stmt(st, S_PAUSE_ADD, NULL, "III", person, from_day, to_day);
}

int
store_pause_covers(struct store *st, int64_t person, int64_t day, bool *out)
{
	int64_t one;
	int ret;

	if (out == NULL)
		return DRILL_EINVAL;
	ret = query_id(st, S_PAUSE_COVERS, &one, "II", person, day);
	*out = ret == DRILL_OK;
	return ret == DRILL_ENOTFOUND ? DRILL_OK : ret;
}

static int
read_review(sqlite3_stmt *s, struct store_review *r)
{
	memset(r, 0, sizeof *r);
	return read_row(s, "tiIt", &r->question_id, &r->stage, &r->due_at, &r->missed);
}

int
store_review_get(struct store *st, int64_t person, const char *question_id,
    struct store_review *out)
{
	sqlite3_stmt *s = stmt_get(st, S_REVIEW_GET);
	int ret;

	if (out == NULL || question_id == NULL)
		return DRILL_EINVAL;
	memset(out, 0, sizeof *out);
	if ((ret = bind_args(s, "It", person, question_id)) != DRILL_OK ||
	    (ret = step_row(s)) != DRILL_OK)
		return ret;
	ret = read_review(s, out);
	done(s);
	if (ret != DRILL_OK)
		store_review_clear(out);
	return ret;
}

int
store_review_put(struct store *st, int64_t person, const struct store_review *r)
{
	if (r == NULL || r->question_id == NULL || r->missed == NULL || r->stage < 0)
		return DRILL_EINVAL;
	return exec_stmt(st, S_REVIEW_PUT, NULL, "ItiIt", person, r->question_id,
	    r->stage, r->due_at, r->missed);
}

int
store_review_delete(struct store *st, int64_t person, const char *question_id)
{
	int ret;

	if (question_id == NULL)
		return DRILL_EINVAL;
	ret = exec_stmt(st, S_REVIEW_DELETE, NULL, "It", person, question_id);
	if (ret == DRILL_OK && sqlite3_changes(st->db) == 0)
		return DRILL_ENOTFOUND;
	return ret;
}

int
store_reviews_list(struct store *st, int64_t person, store_review_cb cb, void *arg)
{
	sqlite3_stmt *s = stmt_get(st, S_REVIEWS_LIST);
	struct store_review r;
	int ret, rc;

	if (cb == NULL)
		return DRILL_EINVAL;
	if ((ret = bind_args(s, "I", person)) != DRILL_OK)
		return ret;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		ret = read_review(s, &r);
		if (ret == DRILL_OK)
			cb(arg, &r);
		store_review_clear(&r);
		if (ret != DRILL_OK) {
			done(s);
			return ret;
		}
	}
	done(s);
	return rc == SQLITE_DONE ? DRILL_OK : map_rc(rc);
}

void
store_review_clear(struct store_review *r)
{
	if (r == NULL)
		return;
	free(r->question_id);
	free(r->missed);
	memset(r, 0, sizeof *r);
}

int
store_digest_last(struct store *st, const char *conversation, int64_t *at)
{
	int ret;

	if (conversation == NULL || at == NULL)
		return DRILL_EINVAL;
	ret = query_id(st, S_DIGEST_GET, at, "t", conversation);
	if (ret == DRILL_ENOTFOUND) {
		*at = 0;
		return DRILL_OK;
	}
	return ret;
}

int
store_digest_set(struct store *st, const char *conversation, int64_t at)
{
	if (conversation == NULL)
		return DRILL_EINVAL;
	return exec_stmt(st, S_DIGEST_SET, NULL, "tI", conversation, at);
}

/* Reads the answer at the front of s's row (ANSWER_COLS order) into *a. */
static int
read_answer(sqlite3_stmt *s, struct store_answer *a)
{
	int n = sqlite3_column_count(s), ret = DRILL_OK;

	memset(a, 0, sizeof *a);
	a->id = sqlite3_column_int64(s, 0);
	a->delivery_id = sqlite3_column_int64(s, 1);
	a->person_id = sqlite3_column_int64(s, 2);
	if (n < 19 || col_dup(s, 3, &a->question_id) != DRILL_OK ||
	    col_dup(s, 4, &a->text) != DRILL_OK || col_dup(s, 12, &a->grade) != DRILL_OK ||
	    col_dup(s, 13, &a->rubric_version) != DRILL_OK ||
	    col_dup(s, 14, &a->breakdown) != DRILL_OK ||
	    col_dup(s, 17, &a->message_id) != DRILL_OK)
		ret = DRILL_ENOMEM;
	a->created_at = sqlite3_column_int64(s, 5);
	a->day = sqlite3_column_int64(s, 6);
	a->score = sqlite3_column_int(s, 7);
	a->relevance = sqlite3_column_int(s, 8);
	a->structure = sqlite3_column_int(s, 9);
	a->clarity = sqlite3_column_int(s, 10);
	a->impact = sqlite3_column_int(s, 11);
	a->hints_used = sqlite3_column_int(s, 15);
	a->model_seen = sqlite3_column_int(s, 16) != 0;
	a->late = sqlite3_column_int(s, 18) != 0;
	return ret;
}

int
store_conversation_answers(struct store *st, const char *conversation,
    int64_t since, int64_t until, store_conv_answer_cb cb, void *arg)
{
	sqlite3_stmt *s = stmt_get(st, S_CONV_ANSWERS);
	struct store_answer a;
	const char *who;
	int ret, rc;

	if (conversation == NULL || cb == NULL)
		return DRILL_EINVAL;
	if ((ret = bind_args(s, "tII", conversation, since, until)) != DRILL_OK)
		return ret;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		ret = read_answer(s, &a);
		who = (const char *)sqlite3_column_text(s, 19);
		if (ret == DRILL_OK && who != NULL)
			cb(arg, &a, who);
		store_answer_clear(&a);
		if (ret != DRILL_OK || who == NULL) {
			done(s);
			return DRILL_ENOMEM;
		}
	}
	done(s);
	return rc == SQLITE_DONE ? DRILL_OK : map_rc(rc);
}

/* ---- people's data ---- */

/* A text column as a JSON string, or null. */
static json_object *
jstr(sqlite3_stmt *s, int i)
{
	const char *t = (const char *)sqlite3_column_text(s, i);

	return t != NULL ? json_object_new_string_len(t, sqlite3_column_bytes(s, i)) : NULL;
}

/* Runs person's query sid and adds one object per row to array, built by fn. */
static int
export_rows(struct store *st, enum stmt_id sid, int64_t person, json_object *array,
    json_object *(*fn)(sqlite3_stmt *s))
{
	sqlite3_stmt *s = stmt_get(st, sid);
	json_object *o;
	int ret, rc;

	if ((ret = bind_args(s, "I", person)) != DRILL_OK)
		return ret;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if ((o = fn(s)) == NULL || json_object_array_add(array, o) != 0) {
			json_object_put(o);
			done(s);
			return DRILL_ENOMEM;
		}
	}
	done(s);
	return rc == SQLITE_DONE ? DRILL_OK : map_rc(rc);
}

static json_object *
export_answer(sqlite3_stmt *s)
{
	json_object *o = json_object_new_object();
	static const char *const dims[] = {"relevance", "structure", "clarity", "impact"};

	if (o == NULL)
		return NULL;
	json_object_object_add(o, "id", json_object_new_int64(sqlite3_column_int64(s, 0)));
	json_object_object_add(o, "question_id", jstr(s, 3));
	json_object_object_add(o, "text", jstr(s, 4));
	json_object_object_add(o, "answered_at", json_object_new_int64(sqlite3_column_int64(s, 5)));
	json_object_object_add(o, "score", json_object_new_int(sqlite3_column_int(s, 7)));
	for (int i = 0; i < 4; i++)
		json_object_object_add(o, dims[i], json_object_new_int(sqlite3_column_int(s, 8 + i)));
	json_object_object_add(o, "grade", jstr(s, 12));
	json_object_object_add(o, "rubric_version", jstr(s, 13));
	json_object_object_add(o, "breakdown", jstr(s, 14));
	json_object_object_add(o, "hints_used", json_object_new_int(sqlite3_column_int(s, 15)));
	json_object_object_add(o, "model_seen", json_object_new_boolean(sqlite3_column_int(s, 16)));
	json_object_object_add(o, "late", json_object_new_boolean(sqlite3_column_int(s, 18)));
	return o;
}

static json_object *
export_dispute(sqlite3_stmt *s)
{
	json_object *o = json_object_new_object();

	if (o == NULL)
		return NULL;
	json_object_object_add(o, "id", json_object_new_int64(sqlite3_column_int64(s, 0)));
	json_object_object_add(o, "answer_id", json_object_new_int64(sqlite3_column_int64(s, 1)));
	json_object_object_add(o, "disputed_at", json_object_new_int64(sqlite3_column_int64(s, 2)));
	json_object_object_add(o, "reason", jstr(s, 3));
	return o;
}

static json_object *
export_review(sqlite3_stmt *s)
{
	json_object *o = json_object_new_object();

	if (o == NULL)
		return NULL;
	json_object_object_add(o, "question_id", jstr(s, 0));
	json_object_object_add(o, "stage", json_object_new_int(sqlite3_column_int(s, 1)));
	json_object_object_add(o, "due_at", json_object_new_int64(sqlite3_column_int64(s, 2)));
	json_object_object_add(o, "missed", jstr(s, 3));
	return o;
}

/* A new array added to o under key; NULL when out of memory. */
static json_object *
new_array_in(json_object *o, const char *key)
{
	json_object *a = json_object_new_array();

	if (a != NULL && json_object_object_add(o, key, a) != 0) {
		json_object_put(a);
		return NULL;
	}
	return a;
}

static json_object *
export_delivery(sqlite3_stmt *s)
{
	json_object *o = json_object_new_object();

	if (o == NULL)
		return NULL;
	json_object_object_add(o, "question_id", jstr(s, 0));
	json_object_object_add(o, "asked_at", json_object_new_int64(sqlite3_column_int64(s, 1)));
	json_object_object_add(o, "hints_used", json_object_new_int(sqlite3_column_int(s, 2)));
	json_object_object_add(o, "model_shown", json_object_new_boolean(sqlite3_column_int(s, 3)));
	json_object_object_add(o, "filter", jstr(s, 4));
	return o;
}

static json_object *
export_pause(sqlite3_stmt *s)
{
	json_object *o = json_object_new_object();

	if (o == NULL)
		return NULL;
	json_object_object_add(o, "from_day", json_object_new_int64(sqlite3_column_int64(s, 0)));
	json_object_object_add(o, "to_day", json_object_new_int64(sqlite3_column_int64(s, 1)));
	return o;
}

static json_object *
export_dm(sqlite3_stmt *s)
{
	return jstr(s, 0);
}

int
store_person_export(struct store *st, const char *person, char **json)
{
	struct store_person_settings set;
	struct store_progress p;
	struct store_subscription sub;
	json_object *o = NULL, *x, *answers, *disputes, *reviews, *deliveries, *pauses, *convs;
	sqlite3_stmt *s;
	int64_t id;
	int ret, level = -1;
	const char *text;

	if (person == NULL || json == NULL)
		return DRILL_EINVAL;
	*json = NULL;
	if ((ret = store_person_find(st, person, &id)) != DRILL_OK)
		return ret;
	if ((ret = store_begin(st)) != DRILL_OK)
		return ret;	/* one snapshot of everything */
	/* each array joins the object as it is made: one put frees all */
	ret = DRILL_ENOMEM;
	if ((o = json_object_new_object()) == NULL ||
	    (answers = new_array_in(o, "answers")) == NULL ||
	    (disputes = new_array_in(o, "disputes")) == NULL ||
	    (reviews = new_array_in(o, "reviews")) == NULL ||
	    (deliveries = new_array_in(o, "questions")) == NULL ||
	    (pauses = new_array_in(o, "pauses")) == NULL ||
	    (convs = new_array_in(o, "direct_conversations")) == NULL)
		goto out;
	json_object_object_add(o, "person", json_object_new_string(person));
	if ((ret = row_by_id(st, S_PERSON_ROW, id, &s)) != DRILL_OK)
		goto out;
	json_object_object_add(o, "first_seen", json_object_new_int64(sqlite3_column_int64(s, 1)));
	if (sqlite3_column_type(s, 2) != SQLITE_NULL)
		level = sqlite3_column_int(s, 2);
	done(s);
	json_object_object_add(o, "level", level >= 0 ? json_object_new_int(level) : NULL);
	if ((ret = store_person_settings_get(st, id, &set)) != DRILL_OK)
		goto out;
	if ((x = json_object_new_object()) != NULL) {
		json_object_object_add(x, "timezone", set.timezone ?
		    json_object_new_string(set.timezone) : NULL);
		json_object_object_add(x, "platform_timezone", set.platform_timezone ?
		    json_object_new_string(set.platform_timezone) : NULL);
		json_object_object_add(x, "quiet_start_minute", json_object_new_int(set.quiet_start));
		json_object_object_add(x, "quiet_end_minute", json_object_new_int(set.quiet_end));
		json_object_object_add(x, "leaderboard", json_object_new_boolean(set.leaderboard));
		json_object_object_add(o, "settings", x);
	}
	store_person_settings_clear(&set);
	if ((ret = store_progress_get(st, id, &p)) != DRILL_OK)
		goto out;
	if ((x = json_object_new_object()) != NULL) {
		json_object_object_add(x, "answered", json_object_new_int64(p.answered));
		json_object_object_add(x, "score_sum", json_object_new_int64(p.score_sum));
		json_object_object_add(x, "streak", json_object_new_int64(p.streak));
		json_object_object_add(x, "best_streak", json_object_new_int64(p.best_streak));
		json_object_object_add(o, "progress", x);
	}
	ret = store_subscription_get(st, id, &sub);
	if (ret == DRILL_OK && (x = json_object_new_object()) != NULL) {
		json_object_object_add(x, "topics", json_object_new_int64(sub.topics));
		json_object_object_add(x, "at_minute", json_object_new_int(sub.at));
		json_object_object_add(x, "weekdays", json_object_new_boolean(sub.weekdays));
		json_object_object_add(x, "paused_until", json_object_new_int64(sub.paused_until));
		json_object_object_add(x, "next_at", json_object_new_int64(sub.next_at));
		json_object_object_add(x, "last_at", json_object_new_int64(sub.last_at));
		json_object_object_add(x, "created_at", json_object_new_int64(sub.created_at));
		json_object_object_add(o, "subscription", x);
	} else if (ret != DRILL_ENOTFOUND) {
		goto out;
	}
	if ((ret = export_rows(st, S_PERSON_ANSWERS, id, answers, export_answer)) != DRILL_OK ||
	    (ret = export_rows(st, S_PERSON_DISPUTES, id, disputes, export_dispute)) != DRILL_OK ||
	    (ret = export_rows(st, S_REVIEWS_LIST, id, reviews, export_review)) != DRILL_OK ||
	    (ret = export_rows(st, S_PERSON_DELIVERIES, id, deliveries, export_delivery)) != DRILL_OK ||
	    (ret = export_rows(st, S_PERSON_PAUSES, id, pauses, export_pause)) != DRILL_OK ||
	    (ret = export_rows(st, S_PERSON_DMS, id, convs, export_dm)) != DRILL_OK)
		goto out;
	text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
	    JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE);
	ret = text != NULL && (*json = strdup(text)) != NULL ? DRILL_OK : DRILL_ENOMEM;
out:
	store_rollback(st);	/* it only read */
	json_object_put(o);
	return ret;
}

int
store_person_forget(struct store *st, const char *person, int64_t *rows)
{
	int64_t id, before;
	int ret;

	if (person == NULL)
		return DRILL_EINVAL;
	if ((ret = store_person_find(st, person, &id)) != DRILL_OK)
		return ret;
	if ((ret = store_begin(st)) != DRILL_OK)
		return ret;
	before = sqlite3_total_changes64(st->db);
	/* the outbox and the DM conversations first: they are found through
	 * the person's rows, which the last delete cascades away */
	if ((ret = exec_stmt(st, S_FORGET_OUTBOX, NULL, "It", id, person)) != DRILL_OK ||
	    (ret = exec_stmt(st, S_FORGET_DM_CONVS, NULL, "I", id)) != DRILL_OK ||
	    (ret = exec_stmt(st, S_FORGET_PERSON, NULL, "I", id)) != DRILL_OK) {
		store_rollback(st);
		return ret;
	}
	if (rows != NULL)
		*rows = sqlite3_total_changes64(st->db) - before;
	if ((ret = store_commit(st)) != DRILL_OK)
		store_rollback(st);
	return ret;
}

int
store_outbox_prune_orphans(struct store *st, int64_t *n)
{
	return exec_count(st, S_OUTBOX_ORPHANS, n, "");
}

int
store_answers_purge(struct store *st, int64_t before, int64_t *n)
{
	int64_t answers = 0;
	int ret;

	if (before > INT64_MAX / 1000 || before < INT64_MIN / 1000)
		return DRILL_EINVAL;
	if ((ret = store_begin(st)) != DRILL_OK)
		return ret;
	if ((ret = exec_count(st, S_ANSWERS_PURGE, &answers, "I", before)) == DRILL_OK) {
		/* the messages of that time too: feedback quotes the answers */
		ret = exec_stmt(st, S_OUTBOX_PURGE, NULL, "I", before * 1000);
	}
	if (ret != DRILL_OK || (ret = store_commit(st)) != DRILL_OK) {
		store_rollback(st);
		return ret;
	}
	if (n != NULL)
		*n = answers;
	return DRILL_OK;
}

/* An integer PRAGMA's value, or -1. */
static int64_t
pragma_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *s = NULL;
	int64_t v = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

int
store_compact(struct store *st, bool *vacuumed)
{
	int64_t freep, pages;
	int rc;

	if (vacuumed != NULL)
		*vacuumed = false;
	if (st->readonly || st->in_tx)
		return DRILL_EINVAL;
	freep = pragma_int(st->db, "PRAGMA freelist_count");
	pages = pragma_int(st->db, "PRAGMA page_count");
	if (freep > 0 && pages > 0 && freep * 4 > pages) {
		if ((rc = sqlite3_exec(st->db, "VACUUM", NULL, NULL, NULL)) != SQLITE_OK)
			return map_rc(rc);
		if (vacuumed != NULL)
			*vacuumed = true;
	}
	/* the write-ahead log holds old page images, erased rows among them */
	rc = sqlite3_wal_checkpoint_v2(st->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
	return rc == SQLITE_OK ? DRILL_OK : map_rc(rc);
}

/*
 * Copies the whole database in one backup step (one read snapshot; in WAL
 * mode writers carry on meanwhile) into DEST.tmp-XXXXXX, which SQLite
 * syncs on commit, then renames it over dest. Stale -wal/-shm/-journal
 * files left next to dest by an earlier database there would otherwise be
 * applied to the new copy, so they are removed first; dest must not be a
 * database anyone has open, and it may not be the live database itself.
 * Not allowed inside store_begin: it would copy uncommitted writes.
 */
int
store_backup(struct store *st, const char *dest, char *err)
{
	static const char suffix[] = ".tmp-XXXXXX";
	sqlite3 *bdb = NULL;
	sqlite3_backup *bk;
	const char *src;
	struct stat sa, sb;
	char *tmp = NULL;
	size_t n;
	int fd, rc, ret = DRILL_EIO;
	uint64_t waited = 0;

	if (dest == NULL || dest[0] == '\0') {
		drill_seterr(err, "backup: no destination");
		return DRILL_EIO;
	}
	if (st->in_tx) {
		drill_seterr(err, "backup: not allowed inside a transaction");
		return DRILL_EIO;
	}
	src = sqlite3_db_filename(st->db, "main");
	if (src != NULL && src[0] != '\0' && stat(src, &sa) == 0 &&
	    stat(dest, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino) {
		drill_seterr(err, "backup: %s is the live database", dest);
		return DRILL_EIO;
	}

	n = strlen(dest);
	if ((tmp = malloc(n + sizeof suffix)) == NULL) {
		drill_seterr(err, "backup: out of memory");
		return DRILL_EIO;
	}
	memcpy(tmp, dest, n);
	memcpy(tmp + n, suffix, sizeof suffix);
	if ((fd = mkstemp(tmp)) < 0) {
		drill_seterr(err, "backup: cannot create %s: %s", tmp, strerror(errno));
		free(tmp);
		return DRILL_EIO;
	}
	close(fd);

	rc = sqlite3_open_v2(tmp, &bdb, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
	    NULL);
	if (rc != SQLITE_OK) {
		drill_seterr(err, "backup: cannot open %s: %s", tmp,
		    bdb != NULL ? sqlite3_errmsg(bdb) : "out of memory");
		goto fail;
	}
	if ((bk = sqlite3_backup_init(bdb, "main", st->db, "main")) == NULL) {
		drill_seterr(err, "backup: %s", sqlite3_errmsg(bdb));
		goto fail;
	}
	/* BUSY/LOCKED only when the source is being recovered: wait a little. */
	while ((rc = sqlite3_backup_step(bk, -1)) == SQLITE_BUSY ||
	    rc == SQLITE_LOCKED) {
		if (waited >= st->busy_ms)
			break;
		sqlite3_sleep(10);
		waited += 10;
	}
	if (rc != SQLITE_DONE) {
		sqlite3_backup_finish(bk);
		drill_seterr(err, "backup to %s failed: %s", dest,
		    sqlite3_errstr(rc));
		goto fail;
	}
	if ((rc = sqlite3_backup_finish(bk)) != SQLITE_OK) {
		drill_seterr(err, "backup to %s failed: %s", dest, sqlite3_errmsg(bdb));
		goto fail;
	}
	rc = sqlite3_close(bdb);
	bdb = NULL;
	if (rc != SQLITE_OK) {
		drill_seterr(err, "backup: cannot close %s: %s", tmp, sqlite3_errstr(rc));
		goto fail;
	}
	if (unlink_side(dest, "-wal") != 0 || unlink_side(dest, "-shm") != 0 ||
	    unlink_side(dest, "-journal") != 0) {
		drill_seterr(err, "backup: cannot remove stale files of %s: %s", dest,
		    strerror(errno));
		goto fail;
	}
	if (rename(tmp, dest) != 0) {
		drill_seterr(err, "backup: cannot rename %s to %s: %s", tmp, dest,
		    strerror(errno));
		goto fail;
	}
	sync_dir_of(dest);
	ret = DRILL_OK;
	goto out;
fail:
	sqlite3_close(bdb);
	unlink(tmp);
	(void)unlink_side(tmp, "-journal");
	(void)unlink_side(tmp, "-wal");
	(void)unlink_side(tmp, "-shm");
out:
	free(tmp);
	return ret;
}
