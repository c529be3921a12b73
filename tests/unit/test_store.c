/*
 * test_store.c - unit tests of the store against real SQLite files in a
 * temporary directory: schema versions and migrations, every table's round
 * trip, the streak arithmetic, the outbox's queue, read-only opens and the
 * online backup.
 * The test talks to SQLite directly (sqlite3.h) only to set up or inspect
 * databases behind the store's back.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "drill/store.h"

struct fx {
	char dir[64];
	char db[128];
};

static int
setup(void **state)
{
	struct fx *fx = calloc(1, sizeof *fx);

	if (fx == NULL)
		return -1;
	snprintf(fx->dir, sizeof fx->dir, "/tmp/test_store-XXXXXX");
	if (mkdtemp(fx->dir) == NULL) {
		free(fx);
		return -1;
	}
	snprintf(fx->db, sizeof fx->db, "%s/drilld.db", fx->dir);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *fx = *state;
	char path[512];
	struct dirent *e;
	DIR *d;

	if ((d = opendir(fx->dir)) != NULL) {
		while ((e = readdir(d)) != NULL) {
			if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
				continue;
			snprintf(path, sizeof path, "%s/%s", fx->dir, e->d_name);
			unlink(path);
		}
		closedir(d);
	}
	rmdir(fx->dir);
	free(fx);
	return 0;
}

/* ---- helpers ---- */

static struct store *
open_rw(const char *path)
{
	char err[DRILL_ERRLEN] = "";
	struct store *st = NULL;
	int rc = store_open(path, 0, 2000, &st, err);

	if (rc != 0)
		print_error("store_open %s: %s (%s)\n", path, drill_strerror(rc), err);
	assert_int_equal(rc, 0);
	assert_non_null(st);
	return st;
}

static struct store *
open_ro(const char *path)
{
	char err[DRILL_ERRLEN] = "";
	struct store *st = NULL;
	int rc = store_open(path, STORE_READONLY, 2000, &st, err);

	if (rc != 0)
		print_error("store_open ro %s: %s (%s)\n", path, drill_strerror(rc), err);
	assert_int_equal(rc, 0);
	assert_non_null(st);
	return st;
}

/* Runs one query on a raw connection and returns its first column as int. */
static int64_t
raw_int(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	int64_t v = -1;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

static void
raw_text(const char *path, const char *sql, char *buf, size_t len)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;

	buf[0] = '\0';
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0) != NULL)
		snprintf(buf, len, "%s", (const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	sqlite3_close(db);
}

static void
raw_exec(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	char *msg = NULL;

	assert_int_equal(sqlite3_open_v2(path, &db,
	    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL), SQLITE_OK);
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", sql, msg != NULL ? msg : "?");
	sqlite3_close(db);
}

/* Reads a whole file into a malloc'd buffer; *len gets its size. */
static char *
slurp(const char *path, size_t *len)
{
	struct stat sb;
	char *buf;
	FILE *f;

	assert_int_equal(stat(path, &sb), 0);
	buf = malloc((size_t)sb.st_size + 1);
	assert_non_null(buf);
	f = fopen(path, "rb");
	assert_non_null(f);
	*len = fread(buf, 1, (size_t)sb.st_size, f);
	assert_int_equal(*len, (size_t)sb.st_size);
	fclose(f);
	return buf;
}

static bool
exists(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0;
}

/* Number of directory entries other than . and .. */
static int
count_files(const char *dir)
{
	struct dirent *e;
	DIR *d = opendir(dir);
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

/* A person, a DM conversation and a practice delivery of question q. */
static void
seed(struct store *st, const char *who, const char *q, int64_t *person,
    int64_t *conv, int64_t *delivery)
{
	char conv_name[64];
	struct store_delivery d = {0};

	snprintf(conv_name, sizeof conv_name, "dm-of-%s", who);
	assert_int_equal(store_person_ensure(st, who, 1000, person), 0);
	assert_int_equal(store_conversation_ensure(st, conv_name, STORE_CONV_DM,
	    1000, conv), 0);
	d.conversation_id = *conv;
	d.person_id = *person;
	d.question_id = (char *)q;
	d.kind = (char *)"practice";
	d.created_at = 1000;
	assert_int_equal(store_delivery_add(st, &d, delivery), 0);
}

static struct store_answer
answer_of(int64_t delivery, int64_t person, const char *q, int score, int64_t day)
{
	struct store_answer a = {0};

	a.delivery_id = delivery;
	a.person_id = person;
	a.question_id = (char *)q;
	a.text = (char *)"an answer";
	a.created_at = day * 86400 + 3600;
	a.day = day;
	a.score = score;
	a.relevance = score;
	a.structure = score;
	a.clarity = score;
	a.impact = score;
	a.grade = (char *)"good";
	a.rubric_version = (char *)"1";
	a.breakdown = (char *)"{}";
	return a;
}

static void
add_answer(struct store *st, int64_t delivery, int64_t person, const char *q,
    int score, int64_t day)
{
	struct store_answer a = answer_of(delivery, person, q, score, day);
	int64_t id;

	assert_int_equal(store_answer_add(st, &a, &id), 0);
	assert_true(id > 0);
}

/* ---- schema and migrations ---- */

static void
test_fresh_db_version_and_wal(void **state)
{
	struct fx *fx = *state;
	struct store *st = open_rw(fx->db);
	char mode[16];
	int64_t person, conv, delivery, id;
	struct store_delivery d = {0};

	assert_int_equal(store_schema_version(st), STORE_SCHEMA_VERSION);
	assert_int_equal(raw_int(fx->db, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
	raw_text(fx->db, "PRAGMA journal_mode", mode, sizeof mode);
	assert_string_equal(mode, "wal");
	assert_int_equal(raw_int(fx->db, "SELECT count(*) FROM sqlite_master"
	    " WHERE type = 'table' AND name IN ('people', 'conversations',"
	    " 'deliveries', 'answers', 'practice', 'progress', 'disputes')"), 7);
	assert_int_equal(raw_int(fx->db, "SELECT count(*) FROM sqlite_master"
	    " WHERE name IN ('outbox', 'outbox_pending', 'outbox_state')"), 3);

	/* Foreign keys are enforced: a delivery to no conversation is refused. */
	seed(st, "console:local", "q1", &person, &conv, &delivery);
	d.conversation_id = conv + 1000;
	d.question_id = (char *)"q1";
	d.kind = (char *)"practice";
	assert_int_equal(store_delivery_add(st, &d, &id), DRILL_ENOTFOUND);
	store_close(st);
	store_close(NULL);
}

static void
test_reopen_keeps_data_and_migrates_once(void **state)
{
	struct fx *fx = *state;
	struct store *st = open_rw(fx->db);
	int64_t alice, again, cookie;

	assert_int_equal(store_person_ensure(st, "slack:UALICE", 10, &alice), 0);
	store_close(st);
	/* schema_version counts schema changes: a migration re-run would bump it. */
	cookie = raw_int(fx->db, "PRAGMA schema_version");
	assert_true(cookie > 0);

	for (int i = 0; i < 3; i++) {
		st = open_rw(fx->db);
		assert_int_equal(store_schema_version(st), STORE_SCHEMA_VERSION);
		assert_int_equal(store_person_find(st, "slack:UALICE", &again), 0);
		assert_int_equal(again, alice);
		store_close(st);
		assert_int_equal(raw_int(fx->db, "PRAGMA schema_version"), cookie);
	}
	assert_int_equal(raw_int(fx->db, "SELECT count(*) FROM people"), 1);
}

static void
check_newer_refused(const char *path, unsigned flags)
{
	char err[DRILL_ERRLEN] = "";
	char want[32];
	struct store *st = (struct store *)1;
	size_t n1, n2;
	char *before, *after;
	int rc;

	before = slurp(path, &n1);
	rc = store_open(path, flags, 1000, &st, err);
	assert_int_equal(rc, DRILL_ESCHEMA);
	assert_null(st);
	snprintf(want, sizeof want, "schema version %d", STORE_SCHEMA_VERSION + 5);
	assert_non_null(strstr(err, want));
	snprintf(want, sizeof want, "(%d)", STORE_SCHEMA_VERSION);
	assert_non_null(strstr(err, want));
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "upgrade drilld"));
	after = slurp(path, &n2);
	assert_int_equal(n1, n2);
	assert_memory_equal(before, after, n1);
	free(before);
	free(after);
}

static void
test_newer_schema_refused_and_untouched(void **state)
{
	struct fx *fx = *state;
	char sql[128];
	char other[160];
	char mode[16];

	struct store *st;
	int64_t id;

	/* A database a newer drilld left in WAL mode. */
	st = open_rw(fx->db);
	assert_int_equal(store_person_ensure(st, "console:local", 1, &id), 0);
	store_close(st);
	snprintf(sql, sizeof sql, "PRAGMA user_version = %d",
	    STORE_SCHEMA_VERSION + 5);
	raw_exec(fx->db, sql);
	check_newer_refused(fx->db, 0);
	check_newer_refused(fx->db, STORE_READONLY);
	assert_int_equal(raw_int(fx->db, "PRAGMA user_version"),
	    STORE_SCHEMA_VERSION + 5);

	/* One in rollback-journal mode with no tables of ours: opening must not
	 * even switch it to WAL. */
	snprintf(other, sizeof other, "%s/newer.db", fx->dir);
	raw_exec(other, "CREATE TABLE future (x INTEGER); INSERT INTO future VALUES (7);");
	raw_exec(other, sql);
	check_newer_refused(other, 0);
	raw_text(other, "PRAGMA journal_mode", mode, sizeof mode);
	assert_string_equal(mode, "delete");
	assert_int_equal(raw_int(other, "SELECT count(*) FROM sqlite_master"), 1);
	assert_int_equal(raw_int(other, "SELECT x FROM future"), 7);
}

static void
test_migrate_from_empty_v0_file(void **state)
{
	struct fx *fx = *state;
	char err[DRILL_ERRLEN] = "";
	struct store *st = NULL;
	int64_t id;
	int fd;

	fd = open(fx->db, O_CREAT | O_WRONLY | O_TRUNC, 0600);
	assert_true(fd >= 0);
	close(fd);

	/* A read-only open cannot migrate it and says so. */
	assert_int_equal(store_open(fx->db, STORE_READONLY, 100, &st, err), DRILL_EIO);
	assert_null(st);
	assert_non_null(strstr(err, "older"));

	st = open_rw(fx->db);
	assert_int_equal(store_schema_version(st), STORE_SCHEMA_VERSION);
	assert_int_equal(store_person_ensure(st, "console:local", 5, &id), 0);
	store_close(st);
	assert_int_equal(raw_int(fx->db, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
	assert_int_equal(raw_int(fx->db, "SELECT count(*) FROM people"), 1);
}

/*
 * A version 1 database with data (what drilld 0.1 wrote: this schema
 * without the outbox and the schedules) migrates to the current version in
 * place: every row stays, the new tables appear, and the migrations run
 * once.
 */
static void
test_migrate_v1_keeps_data(void **state)
{
	struct fx *fx = *state;
	struct store *st = open_rw(fx->db);
	struct store_answer a, out;
	struct store_progress p;
	int64_t person, conv, delivery, answer, id, found, cookie;

	assert_int_equal(STORE_SCHEMA_VERSION, 6);
	seed(st, "slack:U1", "q1", &person, &conv, &delivery);
	a = answer_of(delivery, person, "q1", 77, 12);
	assert_int_equal(store_answer_add(st, &a, &answer), 0);
	assert_int_equal(store_dispute_add(st, answer, "unfair", 5, &id), 0);
	store_close(st);
	/* Back to version 1: migration 1 alone makes exactly this schema. */
	raw_exec(fx->db, "DROP TABLE platform_state;"
	    " ALTER TABLE conversations DROP COLUMN introduced_at;"
	    " DROP TABLE subscriptions; DROP TABLE pauses; DROP TABLE reviews;"
	    " DROP TABLE digests;"
	    " ALTER TABLE people DROP COLUMN timezone;"
	    " ALTER TABLE people DROP COLUMN platform_timezone;"
	    " ALTER TABLE people DROP COLUMN quiet_start;"
	    " ALTER TABLE people DROP COLUMN quiet_end;"
	    " ALTER TABLE people DROP COLUMN leaderboard;"
	    " ALTER TABLE people DROP COLUMN level_since;"
	    " ALTER TABLE people DROP COLUMN forget_asked;"
	    " DROP INDEX conversations_person;"
	    " ALTER TABLE conversations DROP COLUMN person_id;");
	raw_exec(fx->db, "DROP INDEX deliveries_root; DROP INDEX deliveries_reveal;"
	    " DROP INDEX deliveries_channel;"
	    " DROP INDEX answers_message;"
	    " ALTER TABLE deliveries DROP COLUMN root_row;"
	    " ALTER TABLE deliveries DROP COLUMN answers_dm;"
	    " ALTER TABLE deliveries DROP COLUMN feedback_thread;"
	    " ALTER TABLE deliveries DROP COLUMN reveal_at;"
	    " ALTER TABLE deliveries DROP COLUMN revealed_at;"
	    " ALTER TABLE answers DROP COLUMN message_id;"
	    " ALTER TABLE answers DROP COLUMN late;"
	    " DROP TABLE outbox; DROP TABLE schedules; DROP TABLE seen_events;"
	    " PRAGMA user_version = 1;");
	assert_int_equal(raw_int(fx->db, "SELECT count(*) FROM sqlite_master"
	    " WHERE name LIKE 'outbox%'"), 0);

	st = open_rw(fx->db);
	assert_int_equal(store_schema_version(st), STORE_SCHEMA_VERSION);
	assert_int_equal(store_person_find(st, "slack:U1", &found), 0);
	assert_int_equal(found, person);
	assert_int_equal(store_answer_get(st, answer, &out), 0);
	assert_int_equal(out.score, 77);
	assert_false(out.late);
	assert_null(out.message_id);
	assert_string_equal(out.text, "an answer");
	store_answer_clear(&out);
	assert_int_equal(store_progress_get(st, person, &p), 0);
	assert_int_equal(p.answered, 1);
	assert_int_equal(p.last_day, 12);
	assert_int_equal(store_practice_set(st, person, conv, delivery), 0);
	assert_int_equal(store_outbox_add(st, "slack", "slack:C1", "hi", 1000,
	    &id, NULL), 0);
	store_close(st);
	assert_int_equal(raw_int(fx->db, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
	assert_int_equal(raw_int(fx->db, "SELECT count(*) FROM schedules"), 0);
	assert_int_equal(raw_int(fx->db, "SELECT count(*) FROM disputes"), 1);
	assert_int_equal(raw_int(fx->db, "SELECT count(*) FROM outbox"), 1);
	assert_int_equal(raw_int(fx->db, "SELECT count(*) FROM sqlite_master"
	    " WHERE name IN ('outbox_pending', 'outbox_state')"), 2);

	/* Opening again migrates nothing. */
	cookie = raw_int(fx->db, "PRAGMA schema_version");
	st = open_rw(fx->db);
	store_close(st);
	assert_int_equal(raw_int(fx->db, "PRAGMA schema_version"), cookie);
}

/*
 * A channel question: its thread is found by the platform id its root row
 * got when sent, replies queued before that carry the id once it exists,
 * reveals come earliest first and once, an edit moves the score sum.
 */
static void
test_channel_delivery(void **state)
{
	struct fx *fx = *state;
	struct store *st = open_rw(fx->db);
	struct store_delivery d = {0}, out;
	struct store_outbox_row *rows = NULL, row;
	struct store_answer a, got;
	struct store_progress p;
	int64_t conv, person, root, reply, other, d1, d2, id, at, aid;
	int attempts;
	size_t n;

	assert_int_equal(store_conversation_ensure(st, "slack:C1",
	    STORE_CONV_CHANNEL, 1000, &conv), 0);
	assert_int_equal(store_person_ensure(st, "slack:U1", 1000, &person), 0);
	assert_int_equal(store_outbox_add(st, "slack", "slack:C1", "question",
	    1000, &root, NULL), 0);
	assert_int_equal(store_outbox_add_reply(st, "slack", "slack:C1", NULL, root,
	    NULL, "reveal", 1000, &reply, NULL), 0);
	/* a thread in another conversation is refused */
	assert_int_equal(store_outbox_add_reply(st, "slack", "slack:C2", NULL, root,
	    NULL, "x", 1000, &other, NULL), DRILL_EINVAL);
	d.conversation_id = conv;
	d.question_id = (char *)"q1";
	d.kind = (char *)"scheduled";
	d.created_at = 1000;
	d.root_row = root;
	d.answers_dm = true;
	d.reveal_at = 5000;
	assert_int_equal(store_delivery_add(st, &d, &d1), 0);
	d.root_row = 0;
	d.answers_dm = false;
	d.feedback_thread = true;
	d.reveal_at = 3000;
	assert_int_equal(store_delivery_add(st, &d, &d2), 0);
	assert_int_equal(store_delivery_get(st, d1, &out), 0);
	assert_int_equal(out.root_row, root);
	assert_true(out.answers_dm);
	assert_false(out.feedback_thread);
	assert_int_equal(out.reveal_at, 5000);
	assert_int_equal(out.revealed_at, 0);
	store_delivery_clear(&out);

	/* not sent yet: no thread, and the reply has no thread id */
	assert_int_equal(store_delivery_by_thread(st, "slack:C1", "1700.01", &id),
	    DRILL_ENOTFOUND);
	assert_int_equal(store_outbox_claim(st, &root, 1, 1000, 9000, &attempts), 0);
	assert_int_equal(store_outbox_mark_sent(st, root, 1100, "1700.01"), 0);
	assert_int_equal(store_delivery_by_thread(st, "slack:C1", "1700.01", &id), 0);
	assert_int_equal(id, d1);
	assert_int_equal(store_delivery_by_thread(st, "slack:C9", "1700.01", &id),
	    DRILL_ENOTFOUND);
	assert_int_equal(store_outbox_due(st, 2000, 10, &rows, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(rows[0].id, reply);
	assert_int_equal(rows[0].thread_row, root);
	assert_string_equal(rows[0].thread_id, "1700.01");
	store_outbox_rows_free(rows, n);
	assert_int_equal(store_outbox_get(st, root, &row), 0);
	assert_null(row.thread_id);
	store_outbox_row_clear(&row);

	/* reveals: earliest first, per conversation, once */
	assert_int_equal(store_reveal_next(st, 0, &id, &at), 0);
	assert_int_equal(id, d2);
	assert_int_equal(at, 3000);
	assert_int_equal(store_delivery_revealed(st, d2, 3001), 0);
	assert_int_equal(store_delivery_revealed(st, d2, 3002), DRILL_ENOTFOUND);
	assert_int_equal(store_reveal_next(st, conv, &id, &at), 0);
	assert_int_equal(id, d1);
	assert_int_equal(store_reveal_next(st, conv + 1, &id, &at), DRILL_ENOTFOUND);
	assert_int_equal(store_delivery_revealed(st, d1, 5000), 0);
	assert_int_equal(store_reveal_next(st, 0, &id, &at), DRILL_ENOTFOUND);

	/* an answer, found by delivery and by message; an edit re-scores it */
	a = answer_of(d1, person, "q1", 40, 3);
	a.message_id = (char *)"1700.05";
	a.late = true;
	assert_int_equal(store_answer_add(st, &a, &aid), 0);
	assert_int_equal(store_answer_find(st, d1, person, &id), 0);
	assert_int_equal(id, aid);
	assert_int_equal(store_answer_find(st, d2, person, &id), DRILL_ENOTFOUND);
	assert_int_equal(store_answer_by_message(st, person, "1700.05", &id), 0);
	assert_int_equal(id, aid);
	a.text = (char *)"a better answer";
	a.score = 70;
	a.message_id = (char *)"1700.05";
	assert_int_equal(store_answer_replace(st, aid, &a), 0);
	assert_int_equal(store_answer_get(st, aid, &got), 0);
	assert_string_equal(got.text, "a better answer");
	assert_int_equal(got.score, 70);
	assert_true(got.late);
	assert_string_equal(got.message_id, "1700.05");
	store_answer_clear(&got);
	assert_int_equal(store_progress_get(st, person, &p), 0);
	assert_int_equal(p.answered, 1);
	assert_int_equal(p.score_sum, 70);

	/* a private answer asked for: the channel's question, newest first */
	assert_int_equal(store_practice_channel(st, person, &id, &at),
	    DRILL_ENOTFOUND);
	assert_int_equal(store_practice_set(st, person, conv, d1), 0);
	assert_int_equal(store_practice_channel(st, person, &id, &at), 0);
	assert_int_equal(id, d1);
	assert_int_equal(at, conv);
	store_close(st);
}

struct conv_acc {
	int n, sum;
	char who[2][32];
};

static void
on_conv_answer(void *arg, const struct store_answer *x, const char *name)
{
	struct conv_acc *acc = arg;

	if (acc->n < 2)
		snprintf(acc->who[acc->n], sizeof(acc->who[0]), "%s", name);
	acc->n++;
	acc->sum += x->score;
}

/* Count of rows in table that mention id in column col. */
static int64_t
rows_with(const char *db, const char *table, const char *col, int64_t id)
{
	char sql[200];

	snprintf(sql, sizeof sql, "SELECT count(*) FROM %s WHERE %s = %lld", table, col,
	    (long long)id);
	return raw_int(db, sql);
}

/*
 * A person's own data: settings, subscription, pauses, reviews, the
 * streak a pause keeps, the channel's answers for a digest, the export of
 * everything, and forgetting that leaves nothing of them.
 */
static void
test_people_data(void **state)
{
	struct fx *fx = *state;
	struct store *st = open_rw(fx->db);
	struct store_person_settings set;
	struct store_subscription sub = {0}, got;
	struct store_review r = {0}, rv;
	struct store_answer a;
	struct store_progress p;
	struct store_delivery d = {0};
	int64_t person, other, conv, chan, delivery, cd, id, at, n, who;
	int scores[5];
	size_t ns;
	bool covered;
	char *json = NULL;

	seed(st, "slack:U1", "q1", &person, &conv, &delivery);
	assert_int_equal(store_person_settings_get(st, person, &set), 0);
	assert_null(set.timezone);
	assert_false(set.leaderboard);
	store_person_settings_clear(&set);
	assert_int_equal(store_person_set_timezone(st, person, "Europe/Paris", false), 0);
	assert_int_equal(store_person_set_timezone(st, person, "Asia/Tokyo", true), 0);
	assert_int_equal(store_person_set_quiet(st, person, 1320, 420), 0);
	assert_int_equal(store_person_set_quiet(st, person, 1440, 0), DRILL_EINVAL);
	assert_int_equal(store_person_set_leaderboard(st, person, true), 0);
	assert_int_equal(store_person_set_forget_asked(st, person, 77), 0);
	assert_int_equal(store_person_settings_get(st, person, &set), 0);
	assert_string_equal(set.timezone, "Europe/Paris");
	assert_string_equal(set.platform_timezone, "Asia/Tokyo");
	assert_int_equal(set.quiet_start, 1320);
	assert_int_equal(set.quiet_end, 420);
	assert_true(set.leaderboard);
	assert_int_equal(set.forget_asked, 77);
	store_person_settings_clear(&set);

	/* subscription */
	assert_int_equal(store_subscription_get(st, person, &got), DRILL_ENOTFOUND);
	sub.person_id = person;
	sub.conversation_id = conv;
	sub.topics = 5;
	sub.at = 540;
	sub.weekdays = true;
	sub.next_at = 5000;
	sub.created_at = 1000;
	assert_int_equal(store_subscription_put(st, &sub), 0);
	sub.next_at = 4000;
	assert_int_equal(store_subscription_put(st, &sub), 0);
	assert_int_equal(store_subscription_get(st, person, &got), 0);
	assert_int_equal(got.topics, 5);
	assert_int_equal(got.at, 540);
	assert_true(got.weekdays);
	assert_int_equal(got.next_at, 4000);
	assert_int_equal(store_subscription_next(st, &who, &at), 0);
	assert_int_equal(who, person);
	assert_int_equal(at, 4000);
	assert_int_equal(store_subscription_set_next(st, person, 9000), 0);
	assert_int_equal(store_subscription_next(st, &who, &at), 0);
	assert_int_equal(at, 9000);

	/* a pause keeps the streak over the days it covers */
	assert_int_equal(store_pause_add(st, person, 12, 14), 0);
	assert_int_equal(store_pause_add(st, person, 14, 12), DRILL_EINVAL);
	assert_int_equal(store_pause_covers(st, person, 13, &covered), 0);
	assert_true(covered);
	assert_int_equal(store_pause_covers(st, person, 15, &covered), 0);
	assert_false(covered);
	a = answer_of(delivery, person, "q1", 40, 11);
	assert_int_equal(store_answer_add(st, &a, &id), 0);
	a = answer_of(delivery, person, "q1", 90, 15);
	a.keep_streak = true;
	assert_int_equal(store_answer_add(st, &a, &id), 0);
	assert_int_equal(store_progress_get(st, person, &p), 0);
	assert_int_equal(p.streak, 2);
	a = answer_of(delivery, person, "q1", 60, 20);
	assert_int_equal(store_answer_add(st, &a, &id), 0);
	assert_int_equal(store_progress_get(st, person, &p), 0);
	assert_int_equal(p.streak, 1);
	assert_int_equal(store_person_recent_scores(st, person, 0, scores, 2, &ns), 0);
	assert_int_equal(ns, 2);
	assert_int_equal(scores[0], 60);
	assert_int_equal(scores[1], 90);
	assert_int_equal(store_person_recent_scores(st, person, 20 * 86400, scores, 5, &ns), 0);
	assert_int_equal(ns, 1);

	/* reviews */
	r.question_id = (char *)"q1";
	r.stage = 0;
	r.due_at = 86400;
	r.missed = (char *)"indexes\nplans";
	assert_int_equal(store_review_put(st, person, &r), 0);
	r.stage = 1;
	assert_int_equal(store_review_put(st, person, &r), 0);
	assert_int_equal(store_review_get(st, person, "q1", &rv), 0);
	assert_int_equal(rv.stage, 1);
	assert_string_equal(rv.missed, "indexes\nplans");
	store_review_clear(&rv);
	assert_int_equal(store_review_get(st, person, "q2", &rv), DRILL_ENOTFOUND);

	/* a channel's answers in a window, with who gave them */
	assert_int_equal(store_person_ensure(st, "slack:U2", 1000, &other), 0);
	assert_int_equal(store_conversation_ensure(st, "slack:C1", STORE_CONV_CHANNEL,
	    1000, &chan), 0);
	d.conversation_id = chan;
	d.question_id = (char *)"q2";
	d.kind = (char *)"scheduled";
	d.created_at = 1000;
	assert_int_equal(store_delivery_add(st, &d, &cd), 0);
	a = answer_of(cd, person, "q2", 70, 30);
	assert_int_equal(store_answer_add(st, &a, &id), 0);
	a = answer_of(cd, other, "q2", 50, 31);
	assert_int_equal(store_answer_add(st, &a, &id), 0);
	{
		struct conv_acc acc = {0};
		assert_int_equal(store_conversation_answers(st, "slack:C1", 0, 31 * 86400,
		    on_conv_answer, &acc), 0);
		assert_int_equal(acc.n, 1);
		assert_int_equal(acc.sum, 70);
		assert_string_equal(acc.who[0], "slack:U1");
		memset(&acc, 0, sizeof(acc));
		assert_int_equal(store_conversation_answers(st, "slack:C1", 0, 40 * 86400,
		    on_conv_answer, &acc), 0);
		assert_int_equal(acc.n, 2);
		assert_string_equal(acc.who[1], "slack:U2");
	}
	assert_int_equal(store_digest_last(st, "slack:C1", &at), 0);
	assert_int_equal(at, 0);
	assert_int_equal(store_digest_set(st, "slack:C1", 777), 0);
	assert_int_equal(store_digest_last(st, "slack:C1", &at), 0);
	assert_int_equal(at, 777);

	/* messages for U1: a DM, one shown to U1 alone, one to their DM conversation */
	assert_int_equal(store_outbox_add_reply(st, "slack", "slack:U1", NULL, 0, "slack:U1",
	    "dm", 1000, &id, NULL), 0);
	assert_int_equal(store_outbox_add_reply(st, "slack", "slack:C1", NULL, 0, "slack:U1",
	    "only you", 1000, &id, NULL), 0);
	assert_int_equal(store_outbox_add(st, "slack", "dm-of-slack:U1", "feedback", 1000,
	    &id, NULL), 0);
	assert_int_equal(store_outbox_add(st, "slack", "slack:C1", "for all", 1000, &id,
	    NULL), 0);
	assert_int_equal(store_answer_last(st, person, &id), 0);
	assert_int_equal(store_dispute_add(st, id, "too harsh", 2000, &id), 0);

	/* the export holds everything of U1, nothing of U2 */
	assert_int_equal(store_person_export(st, "slack:U1", &json), 0);
	assert_non_null(strstr(json, "\"person\": \"slack:U1\""));
	assert_non_null(strstr(json, "Europe/Paris"));
	assert_non_null(strstr(json, "too harsh"));
	assert_non_null(strstr(json, "indexes\\nplans"));
	assert_non_null(strstr(json, "\"at_minute\": 540"));
	assert_null(strstr(json, "slack:U2"));
	free(json);
	assert_int_equal(store_person_export(st, "slack:NOBODY", &json), DRILL_ENOTFOUND);

	/* forget: nothing of U1 is left; U2 and the channel's own are */
	assert_int_equal(store_person_forget(st, "slack:U1", &n), 0);
	assert_true(n >= 4);
	assert_int_equal(store_person_find(st, "slack:U1", &id), DRILL_ENOTFOUND);
	assert_int_equal(store_person_forget(st, "slack:U1", &n), DRILL_ENOTFOUND);
	store_close(st);
	assert_int_equal(rows_with(fx->db, "answers", "person_id", person), 0);
	assert_int_equal(rows_with(fx->db, "deliveries", "person_id", person), 0);
	assert_int_equal(rows_with(fx->db, "progress", "person_id", person), 0);
	assert_int_equal(rows_with(fx->db, "subscriptions", "person_id", person), 0);
	assert_int_equal(rows_with(fx->db, "pauses", "person_id", person), 0);
	assert_int_equal(rows_with(fx->db, "reviews", "person_id", person), 0);
	assert_int_equal(rows_with(fx->db, "practice", "person_id", person), 0);
	assert_int_equal(raw_int(fx->db, "SELECT count(*) FROM disputes"), 0);
	assert_int_equal(raw_int(fx->db, "SELECT count(*) FROM conversations"
	    " WHERE name = 'dm-of-slack:U1'"), 0);
	assert_int_equal(raw_int(fx->db, "SELECT count(*) FROM outbox"
	    " WHERE payload IN ('dm', 'only you', 'feedback')"), 0);
	assert_int_equal(raw_int(fx->db, "SELECT count(*) FROM outbox"), 1);
	assert_int_equal(rows_with(fx->db, "answers", "person_id", other), 1);
	assert_int_equal(raw_int(fx->db, "SELECT count(*) FROM deliveries"), 1);

	/* retention: old answers, and the messages sent then */
	st = open_rw(fx->db);
	assert_int_equal(store_outbox_add(st, "slack", "slack:C1", "old feedback", 5000,
	    &id, NULL), 0);
	assert_int_equal(store_outbox_claim(st, &id, 1, 5000, 9000, scores), 0);
	assert_int_equal(store_outbox_mark_sent(st, id, 5100, "m1"), 0);
	assert_int_equal(store_outbox_add(st, "slack", "slack:C1", "new", 40LL * 86400000,
	    &other, NULL), 0);
	assert_int_equal(store_answers_purge(st, 32 * 86400, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(store_compact(st, NULL), 0);
	store_close(st);
	assert_int_equal(raw_int(fx->db, "SELECT count(*) FROM answers"), 0);
	assert_int_equal(raw_int(fx->db, "SELECT count(*) FROM outbox"
	    " WHERE payload = 'old feedback'"), 0);
	assert_int_equal(raw_int(fx->db, "SELECT count(*) FROM outbox WHERE payload = 'new'"), 1);
}

static void
test_not_a_database(void **state)
{
	struct fx *fx = *state;
	char err[DRILL_ERRLEN] = "";
	struct store *st = NULL;
	FILE *f = fopen(fx->db, "w");

	assert_non_null(f);
	for (int i = 0; i < 200; i++)
		fputs("this is not an SQLite database\n", f);
	fclose(f);
	assert_int_equal(store_open(fx->db, 0, 100, &st, err), DRILL_EIO);
	assert_null(st);
	assert_non_null(strstr(err, fx->db));
}

/* ---- people and conversations ---- */

static void
test_person_conversation_ensure_idempotent(void **state)
{
	struct fx *fx = *state;
	struct store *st = open_rw(fx->db);
	int64_t a1, a2, b, found, c1, c2, c3;
	int level = -1;
	bool set = true;

	assert_int_equal(store_person_ensure(st, "slack:UALICE", 100, &a1), 0);
	assert_int_equal(store_person_ensure(st, "slack:UALICE", 200, &a2), 0);
	assert_int_equal(a1, a2);
	assert_int_equal(store_person_ensure(st, "matrix:@bob:example.org", 100, &b), 0);
	assert_int_not_equal(a1, b);
	assert_int_equal(store_person_find(st, "slack:UALICE", &found), 0);
	assert_int_equal(found, a1);
	assert_int_equal(store_person_find(st, "slack:UNOBODY", &found), DRILL_ENOTFOUND);
	assert_int_equal(raw_int(fx->db, "SELECT created_at FROM people"
	    " WHERE name = 'slack:UALICE'"), 100);

	assert_int_equal(store_person_level(st, a1, &level, &set), 0);
	assert_false(set);
	assert_int_equal(store_person_set_level(st, a1, 2), 0);
	assert_int_equal(store_person_level(st, a1, &level, &set), 0);
	assert_true(set);
	assert_int_equal(level, 2);
	assert_int_equal(store_person_set_level(st, a1, 0), 0);
	assert_int_equal(store_person_level(st, a1, &level, &set), 0);
	assert_true(set);
	assert_int_equal(level, 0);
	assert_int_equal(store_person_level(st, b + 100, &level, &set), DRILL_ENOTFOUND);
	assert_int_equal(store_person_set_level(st, b + 100, 1), DRILL_ENOTFOUND);

	assert_int_equal(store_conversation_ensure(st, "slack:C1", STORE_CONV_CHANNEL,
	    100, &c1), 0);
	assert_int_equal(store_conversation_ensure(st, "slack:C1", STORE_CONV_DM,
	    200, &c2), 0);
	assert_int_equal(c1, c2);
	assert_int_equal(store_conversation_ensure(st, "slack:D1", STORE_CONV_DM,
	    100, &c3), 0);
	assert_int_not_equal(c1, c3);
	assert_int_equal(store_conversation_ensure(st, "slack:X", (enum store_conv_kind)7,
	    100, &c3), DRILL_EINVAL);
	store_close(st);

	{
		char kind[16];

		raw_text(fx->db, "SELECT kind FROM conversations WHERE name = 'slack:C1'",
		    kind, sizeof kind);
		assert_string_equal(kind, "channel");
		assert_int_equal(raw_int(fx->db, "SELECT count(*) FROM conversations"), 2);
		assert_int_equal(raw_int(fx->db, "SELECT count(*) FROM people"), 2);
	}
}

/* ---- deliveries ---- */

static void
test_delivery_add_get_set_help(void **state)
{
	struct fx *fx = *state;
	struct store *st = open_rw(fx->db);
	struct store_delivery in = {0}, out;
	int64_t person, conv, chan, id1, id2;

	assert_int_equal(store_person_ensure(st, "slack:U1", 1, &person), 0);
	assert_int_equal(store_conversation_ensure(st, "slack:D1", STORE_CONV_DM, 1,
	    &conv), 0);
	assert_int_equal(store_conversation_ensure(st, "slack:C1",
	    STORE_CONV_CHANNEL, 1, &chan), 0);

	in.id = 999;	/* ignored */
	in.conversation_id = conv;
	in.person_id = person;
	in.question_id = (char *)"backend.sql-vs-nosql";
	in.kind = (char *)"practice";
	in.message_id = (char *)"1712345678.000100";
	in.thread_id = (char *)"1712345678.000001";
	in.filter = (char *)"behavioral senior";
	in.created_at = 1712345678;
	in.hints_used = 1;
	in.model_shown = true;
	assert_int_equal(store_delivery_add(st, &in, &id1), 0);
	assert_int_not_equal(id1, 999);

	assert_int_equal(store_delivery_get(st, id1, &out), 0);
	assert_int_equal(out.id, id1);
	assert_int_equal(out.conversation_id, conv);
	assert_int_equal(out.person_id, person);
	assert_string_equal(out.question_id, "backend.sql-vs-nosql");
	assert_string_equal(out.kind, "practice");
	assert_string_equal(out.message_id, "1712345678.000100");
	assert_string_equal(out.thread_id, "1712345678.000001");
	assert_string_equal(out.filter, "behavioral senior");
	assert_int_equal(out.created_at, 1712345678);
	assert_int_equal(out.hints_used, 1);
	assert_true(out.model_shown);
	store_delivery_clear(&out);
	assert_null(out.question_id);
	store_delivery_clear(&out);	/* twice is harmless */
	store_delivery_clear(NULL);

	/* A channel delivery: no person, no message id yet. */
	memset(&in, 0, sizeof in);
	in.conversation_id = chan;
	in.question_id = (char *)"q.channel";
	in.kind = (char *)"scheduled";
	in.created_at = 5;
	assert_int_equal(store_delivery_add(st, &in, &id2), 0);
	assert_int_not_equal(id1, id2);
	assert_int_equal(store_delivery_get(st, id2, &out), 0);
	assert_int_equal(out.person_id, 0);
	assert_null(out.message_id);
	assert_null(out.thread_id);
	assert_null(out.filter);
	assert_int_equal(out.hints_used, 0);
	assert_false(out.model_shown);
	store_delivery_clear(&out);

	assert_int_equal(store_delivery_set_help(st, id2, 3, true), 0);
	assert_int_equal(store_delivery_get(st, id2, &out), 0);
	assert_int_equal(out.hints_used, 3);
	assert_true(out.model_shown);
	store_delivery_clear(&out);
	assert_int_equal(store_delivery_set_help(st, id2, 3, false), 0);
	assert_int_equal(store_delivery_get(st, id2, &out), 0);
	assert_false(out.model_shown);
	store_delivery_clear(&out);

	assert_int_equal(store_delivery_get(st, id2 + 100, &out), DRILL_ENOTFOUND);
	assert_null(out.question_id);
	assert_int_equal(store_delivery_set_help(st, id2 + 100, 1, false),
	    DRILL_ENOTFOUND);

	/* Required fields and foreign keys. */
	in.question_id = NULL;
	assert_int_equal(store_delivery_add(st, &in, &id2), DRILL_EINVAL);
	in.question_id = (char *)"q";
	in.person_id = person + 100;
	assert_int_equal(store_delivery_add(st, &in, &id2), DRILL_ENOTFOUND);
	store_close(st);
}

/* ---- answers ---- */

static void
test_answer_roundtrip(void **state)
{
	struct fx *fx = *state;
	struct store *st = open_rw(fx->db);
	const char *text = "Indexing helps — naïve scans cost O(n); 日本語 ✓ 🚀 "
	    "p95 220 ms, 40 %";
	const char *breakdown = "{\"covered\":[\"index\"],\"missed\":[\"n+1\"],"
	    "\"tip\":\"ünïcödé\"}";
	struct store_answer a = {0}, out;
	int64_t person, conv, delivery, id, last;

	seed(st, "slack:U1", "backend.indexes", &person, &conv, &delivery);
	assert_int_equal(store_answer_last(st, person, &last), DRILL_ENOTFOUND);

	a.id = 12345;	/* ignored */
	a.delivery_id = delivery;
	a.person_id = person;
	a.question_id = (char *)"backend.indexes";
	a.text = (char *)text;
	a.created_at = 1712345678;
	a.day = 19819;
	a.score = 73;
	a.relevance = 80;
	a.structure = 61;
	a.clarity = 99;
	a.impact = 0;
	a.grade = (char *)"good";
	a.rubric_version = (char *)"2024-04-01";
	a.breakdown = (char *)breakdown;
	a.hints_used = 2;
	a.model_seen = true;
	assert_int_equal(store_answer_add(st, &a, &id), 0);

	assert_int_equal(store_answer_get(st, id, &out), 0);
	assert_int_equal(out.id, id);
	assert_int_equal(out.delivery_id, delivery);
	assert_int_equal(out.person_id, person);
	assert_string_equal(out.question_id, "backend.indexes");
	assert_string_equal(out.text, text);
	assert_int_equal(out.created_at, 1712345678);
	assert_int_equal(out.day, 19819);
	assert_int_equal(out.score, 73);
	assert_int_equal(out.relevance, 80);
	assert_int_equal(out.structure, 61);
	assert_int_equal(out.clarity, 99);
	assert_int_equal(out.impact, 0);
	assert_string_equal(out.grade, "good");
	assert_string_equal(out.rubric_version, "2024-04-01");
	assert_string_equal(out.breakdown, breakdown);
	assert_int_equal(out.hints_used, 2);
	assert_true(out.model_seen);
	store_answer_clear(&out);
	assert_null(out.text);
	store_answer_clear(NULL);

	/* A NULL breakdown round-trips as NULL; a second answer is the last. */
	a.breakdown = NULL;
	a.model_seen = false;
	a.created_at += 60;
	assert_int_equal(store_answer_add(st, &a, &last), 0);
	assert_int_equal(store_answer_get(st, last, &out), 0);
	assert_null(out.breakdown);
	assert_false(out.model_seen);
	store_answer_clear(&out);
	assert_int_equal(store_answer_last(st, person, &id), 0);
	assert_int_equal(id, last);

	assert_int_equal(store_answer_get(st, last + 100, &out), DRILL_ENOTFOUND);

	/* Bad input is refused and stores nothing, progress included. */
	a.score = 101;
	assert_int_equal(store_answer_add(st, &a, &id), DRILL_EINVAL);
	a.score = 50;
	a.text = NULL;
	assert_int_equal(store_answer_add(st, &a, &id), DRILL_EINVAL);
	a.text = (char *)"x";
	a.delivery_id = delivery + 100;
	assert_int_equal(store_answer_add(st, &a, &id), DRILL_ENOTFOUND);
	{
		struct store_progress p;

		assert_int_equal(store_progress_get(st, person, &p), 0);
		assert_int_equal(p.answered, 2);
	}
	store_close(st);
	assert_int_equal(raw_int(fx->db, "SELECT count(*) FROM answers"), 2);
}

/* ---- progress and streaks ---- */

static void
expect_progress(struct store *st, int64_t person, int64_t answered,
    int64_t score_sum, int64_t streak, int64_t best, int64_t last_day)
{
	struct store_progress p;

	assert_int_equal(store_progress_get(st, person, &p), 0);
	assert_int_equal(p.answered, answered);
	assert_int_equal(p.score_sum, score_sum);
	assert_int_equal(p.streak, streak);
	assert_int_equal(p.best_streak, best);
	assert_int_equal(p.last_day, last_day);
}

static void
test_progress_streaks(void **state)
{
	struct fx *fx = *state;
	struct store *st = open_rw(fx->db);
	int64_t person, conv, delivery, other;

	seed(st, "console:local", "q1", &person, &conv, &delivery);
	assert_int_equal(store_person_ensure(st, "slack:UOTHER", 1, &other), 0);
	expect_progress(st, person, 0, 0, 0, 0, -1);

	add_answer(st, delivery, person, "q1", 50, 100);	/* first */
	expect_progress(st, person, 1, 50, 1, 1, 100);
	add_answer(st, delivery, person, "q1", 70, 100);	/* same day */
	expect_progress(st, person, 2, 120, 1, 1, 100);
	add_answer(st, delivery, person, "q1", 100, 101);	/* next day */
	expect_progress(st, person, 3, 220, 2, 2, 101);
	add_answer(st, delivery, person, "q1", 0, 102);
	expect_progress(st, person, 4, 220, 3, 3, 102);
	add_answer(st, delivery, person, "q1", 10, 102);
	expect_progress(st, person, 5, 230, 3, 3, 102);
	add_answer(st, delivery, person, "q1", 10, 105);	/* gap */
	expect_progress(st, person, 6, 240, 1, 3, 105);
	add_answer(st, delivery, person, "q1", 10, 106);
	expect_progress(st, person, 7, 250, 2, 3, 106);
	/* An answer dated earlier (clock or time zone change) counts but
	 * leaves the streak and last_day alone. */
	add_answer(st, delivery, person, "q1", 10, 104);
	expect_progress(st, person, 8, 260, 2, 3, 106);
	add_answer(st, delivery, person, "q1", 10, 107);
	add_answer(st, delivery, person, "q1", 10, 108);
	expect_progress(st, person, 10, 280, 4, 4, 108);

	/* Others are untouched. */
	expect_progress(st, other, 0, 0, 0, 0, -1);
	store_close(st);

	st = open_rw(fx->db);
	expect_progress(st, person, 10, 280, 4, 4, 108);
	store_close(st);
}

static void
test_transactions(void **state)
{
	struct fx *fx = *state;
	struct store *st = open_rw(fx->db);
	struct store_answer a;
	int64_t person, conv, delivery, id, id2;

	seed(st, "console:local", "q1", &person, &conv, &delivery);
	a = answer_of(delivery, person, "q1", 40, 10);

	assert_int_equal(store_commit(st), DRILL_EINVAL);
	store_rollback(st);	/* no transaction: nothing happens */

	/* An answer inside a rolled-back transaction leaves no trace. */
	assert_int_equal(store_begin(st), 0);
	assert_int_equal(store_person_ensure(st, "slack:UGHOST", 1, &id2), 0);
	assert_int_equal(store_answer_add(st, &a, &id), 0);
	expect_progress(st, person, 1, 40, 1, 1, 10);
	store_rollback(st);
	expect_progress(st, person, 0, 0, 0, 0, -1);
	assert_int_equal(store_answer_last(st, person, &id), DRILL_ENOTFOUND);
	assert_int_equal(store_person_find(st, "slack:UGHOST", &id2), DRILL_ENOTFOUND);

	/* A failed answer inside a transaction keeps the transaction and the
	 * earlier writes in it. */
	assert_int_equal(store_begin(st), 0);
	assert_int_equal(store_person_ensure(st, "slack:UKEPT", 1, &id2), 0);
	a.delivery_id = delivery + 100;
	assert_int_equal(store_answer_add(st, &a, &id), DRILL_ENOTFOUND);
	a.delivery_id = delivery;
	assert_int_equal(store_answer_add(st, &a, &id), 0);
	assert_int_equal(store_commit(st), 0);
	assert_int_equal(store_person_find(st, "slack:UKEPT", &id2), 0);
	expect_progress(st, person, 1, 40, 1, 1, 10);
	store_close(st);
	assert_int_equal(raw_int(fx->db, "SELECT count(*) FROM answers"), 1);

	/* Nested: an inner rollback undoes only the inner writes, an inner
	 * commit waits for the outer one, an outer rollback undoes all. */
	st = open_rw(fx->db);
	assert_int_equal(store_begin(st), 0);
	assert_int_equal(store_person_ensure(st, "slack:UOUTER", 1, &id2), 0);
	assert_int_equal(store_begin(st), 0);
	assert_int_equal(store_person_ensure(st, "slack:UINNER", 1, &id2), 0);
	store_rollback(st);
	assert_int_equal(store_begin(st), 0);
	assert_int_equal(store_person_ensure(st, "slack:UINNER2", 1, &id2), 0);
	assert_int_equal(store_commit(st), 0);
	assert_int_equal(store_commit(st), 0);
	assert_int_equal(store_commit(st), DRILL_EINVAL);
	assert_int_equal(store_person_find(st, "slack:UOUTER", &id2), 0);
	assert_int_equal(store_person_find(st, "slack:UINNER", &id2), DRILL_ENOTFOUND);
	assert_int_equal(store_person_find(st, "slack:UINNER2", &id2), 0);
	assert_int_equal(store_begin(st), 0);
	assert_int_equal(store_person_ensure(st, "slack:UGONE", 1, &id2), 0);
	assert_int_equal(store_begin(st), 0);
	assert_int_equal(store_person_ensure(st, "slack:UGONE2", 1, &id2), 0);
	assert_int_equal(store_commit(st), 0);
	store_rollback(st);
	assert_int_equal(store_person_find(st, "slack:UGONE", &id2), DRILL_ENOTFOUND);
	assert_int_equal(store_person_find(st, "slack:UGONE2", &id2), DRILL_ENOTFOUND);
	store_close(st);

	/* Closing with an open transaction rolls it back. */
	st = open_rw(fx->db);
	assert_int_equal(store_begin(st), 0);
	assert_int_equal(store_person_ensure(st, "slack:ULOST", 1, &id2), 0);
	store_close(st);
	assert_int_equal(raw_int(fx->db,
	    "SELECT count(*) FROM people WHERE name = 'slack:ULOST'"), 0);
}

/* ---- practice ---- */

static void
test_practice_get_set_clear(void **state)
{
	struct fx *fx = *state;
	struct store *st = open_rw(fx->db);
	struct store_delivery d = {0};
	int64_t person, conv, d1, d2, got, chan;

	seed(st, "slack:U1", "q1", &person, &conv, &d1);
	assert_int_equal(store_conversation_ensure(st, "slack:C1",
	    STORE_CONV_CHANNEL, 1, &chan), 0);
	d.conversation_id = conv;
	d.person_id = person;
	d.question_id = (char *)"q2";
	d.kind = (char *)"practice";
	assert_int_equal(store_delivery_add(st, &d, &d2), 0);

	assert_int_equal(store_practice_get(st, person, conv, &got), DRILL_ENOTFOUND);
	assert_int_equal(store_practice_set(st, person, conv, d1), 0);
	assert_int_equal(store_practice_get(st, person, conv, &got), 0);
	assert_int_equal(got, d1);
	assert_int_equal(store_practice_set(st, person, conv, d2), 0);	/* replace */
	assert_int_equal(store_practice_get(st, person, conv, &got), 0);
	assert_int_equal(got, d2);
	/* Per conversation. */
	assert_int_equal(store_practice_get(st, person, chan, &got), DRILL_ENOTFOUND);
	assert_int_equal(store_practice_set(st, person, chan, d1), 0);
	assert_int_equal(store_practice_get(st, person, chan, &got), 0);
	assert_int_equal(got, d1);

	assert_int_equal(store_practice_set(st, person, conv, 0), 0);	/* clear */
	assert_int_equal(store_practice_get(st, person, conv, &got), DRILL_ENOTFOUND);
	assert_int_equal(store_practice_set(st, person, conv, 0), 0);	/* again */
	assert_int_equal(store_practice_get(st, person, chan, &got), 0);

	assert_int_equal(store_practice_set(st, person, conv, d2 + 100),
	    DRILL_ENOTFOUND);
	store_close(st);
}

/* ---- per-person queries ---- */

struct qlist {
	char ids[8][32];
	int n;
};

static void
collect_question(void *arg, const char *question_id)
{
	struct qlist *l = arg;

	assert_true(l->n < 8);
	snprintf(l->ids[l->n++], sizeof l->ids[0], "%s", question_id);
}

static bool
has_question(const struct qlist *l, const char *id)
{
	for (int i = 0; i < l->n; i++)
		if (strcmp(l->ids[i], id) == 0)
			return true;
	return false;
}

struct qstats {
	char ids[8][32];
	int64_t count[8];
	double mean[8];
	int n;
};

static void
collect_stat(void *arg, const char *question_id, int64_t count, double mean)
{
	struct qstats *s = arg;

	assert_true(s->n < 8);
	snprintf(s->ids[s->n], sizeof s->ids[0], "%s", question_id);
	s->count[s->n] = count;
	s->mean[s->n] = mean;
	s->n++;
}

static int
stat_index(const struct qstats *s, const char *id)
{
	for (int i = 0; i < s->n; i++)
		if (strcmp(s->ids[i], id) == 0)
			return i;
	return -1;
}

static void
test_person_questions_and_stats(void **state)
{
	struct fx *fx = *state;
	struct store *st = open_rw(fx->db);
	struct store_delivery d = {0};
	struct qlist ql = {0};
	struct qstats qs = {0};
	int64_t alice, bob, conv, bconv, da1, da2, da3, db1, chan, dc;
	int i;

	seed(st, "slack:UA", "q1", &alice, &conv, &da1);
	seed(st, "slack:UB", "q3", &bob, &bconv, &db1);
	d.conversation_id = conv;
	d.person_id = alice;
	d.kind = (char *)"practice";
	d.question_id = (char *)"q1";	/* asked again */
	assert_int_equal(store_delivery_add(st, &d, &da2), 0);
	d.question_id = (char *)"q2";
	assert_int_equal(store_delivery_add(st, &d, &da3), 0);
	/* A channel delivery belongs to nobody. */
	assert_int_equal(store_conversation_ensure(st, "slack:C1",
	    STORE_CONV_CHANNEL, 1, &chan), 0);
	d.conversation_id = chan;
	d.person_id = 0;
	d.question_id = (char *)"q9";
	d.kind = (char *)"scheduled";
	assert_int_equal(store_delivery_add(st, &d, &dc), 0);

	assert_int_equal(store_person_questions(st, alice, collect_question, &ql), 0);
	assert_int_equal(ql.n, 2);
	assert_true(has_question(&ql, "q1"));
	assert_true(has_question(&ql, "q2"));
	memset(&ql, 0, sizeof ql);
	assert_int_equal(store_person_questions(st, bob, collect_question, &ql), 0);
	assert_int_equal(ql.n, 1);
	assert_string_equal(ql.ids[0], "q3");
	memset(&ql, 0, sizeof ql);
	assert_int_equal(store_person_questions(st, bob + 50, collect_question, &ql), 0);
	assert_int_equal(ql.n, 0);

	add_answer(st, da1, alice, "q1", 80, 1);
	add_answer(st, da2, alice, "q1", 61, 1);
	add_answer(st, da3, alice, "q2", 45, 2);
	add_answer(st, dc, bob, "q9", 100, 2);	/* Bob answers in the channel */
	assert_int_equal(store_person_question_stats(st, alice, collect_stat, &qs), 0);
	assert_int_equal(qs.n, 2);
	i = stat_index(&qs, "q1");
	assert_true(i >= 0);
	assert_int_equal(qs.count[i], 2);
	assert_float_equal(qs.mean[i], 70.5, 1e-9);
	i = stat_index(&qs, "q2");
	assert_true(i >= 0);
	assert_int_equal(qs.count[i], 1);
	assert_float_equal(qs.mean[i], 45.0, 1e-9);
	memset(&qs, 0, sizeof qs);
	assert_int_equal(store_person_question_stats(st, bob, collect_stat, &qs), 0);
	assert_int_equal(qs.n, 1);
	assert_string_equal(qs.ids[0], "q9");
	(void)db1;
	store_close(st);
}

/* ---- disputes ---- */

static void
test_dispute_add(void **state)
{
	struct fx *fx = *state;
	struct store *st = open_rw(fx->db);
	struct store_answer a;
	int64_t person, conv, delivery, answer, d1, d2;
	char reason[64];

	seed(st, "slack:U1", "q1", &person, &conv, &delivery);
	a = answer_of(delivery, person, "q1", 20, 3);
	assert_int_equal(store_answer_add(st, &a, &answer), 0);

	assert_int_equal(store_dispute_add(st, answer, "I did mention «sharding»",
	    5000, &d1), 0);
	assert_int_equal(store_dispute_add(st, answer, NULL, 5001, &d2), 0);
	assert_int_not_equal(d1, d2);
	assert_int_equal(store_dispute_add(st, answer + 100, "nope", 1, &d2),
	    DRILL_ENOTFOUND);
	store_close(st);

	assert_int_equal(raw_int(fx->db, "SELECT count(*) FROM disputes"), 2);
	raw_text(fx->db, "SELECT reason FROM disputes ORDER BY id LIMIT 1",
	    reason, sizeof reason);
	assert_string_equal(reason, "I did mention «sharding»");
	assert_int_equal(raw_int(fx->db,
	    "SELECT created_at FROM disputes ORDER BY id LIMIT 1"), 5000);
	assert_int_equal(raw_int(fx->db,
	    "SELECT count(*) FROM disputes WHERE reason IS NULL"), 1);
}

/* A schedule's state: absent, written, replaced, read back with NULLs. */
static void
test_schedule_state(void **state)
{
	struct fx *fx = *state;
	struct store *st = open_rw(fx->db);
	struct store_schedule in = {0}, out;

	assert_int_equal(store_schedule_get(st, "slack:C1", &out), DRILL_ENOTFOUND);
	in.conversation = (char *)"slack:C1";
	in.last_fire = 1795000000;
	in.updated_at = 1795000001;
	assert_int_equal(store_schedule_put(st, &in), 0);
	assert_int_equal(store_schedule_get(st, "slack:C1", &out), 0);
	assert_string_equal(out.conversation, "slack:C1");
	assert_null(out.cron);
	assert_null(out.timezone);
	assert_null(out.config_digest);
	assert_false(out.paused);
	assert_int_equal(out.last_fire, 1795000000);
	store_schedule_clear(&out);

	in.cron = (char *)"0 10 * * 1-5";
	in.timezone = (char *)"Europe/London";
	in.paused = true;
	in.config_digest = (char *)"abc";
	in.last_fire = 1795086400;
	assert_int_equal(store_begin(st), 0);	/* works inside a transaction */
	assert_int_equal(store_schedule_put(st, &in), 0);
	assert_int_equal(store_commit(st), 0);
	assert_int_equal(store_schedule_get(st, "slack:C1", &out), 0);
	assert_string_equal(out.cron, "0 10 * * 1-5");
	assert_string_equal(out.timezone, "Europe/London");
	assert_true(out.paused);
	assert_string_equal(out.config_digest, "abc");
	assert_int_equal(out.last_fire, 1795086400);
	store_schedule_clear(&out);
	assert_int_equal(raw_int(fx->db, "SELECT count(*) FROM schedules"), 1);
	store_close(st);
}

/* Inbound events: the first time is first, a repeat is not; pruned by age. */
static void
test_events_seen(void **state)
{
	struct fx *fx = *state;
	struct store *st = open_rw(fx->db);
	int64_t n = -1;
	bool first = false;

	assert_int_equal(store_event_seen(st, "slack:Ev1", 1000, &first), 0);
	assert_true(first);
	assert_int_equal(store_event_seen(st, "slack:Ev1", 1005, &first), 0);
	assert_false(first);
	assert_int_equal(store_event_seen(st, "matrix:$ev1", 2000, &first), 0);
	assert_true(first);
	assert_int_equal(store_events_prune(st, 1500, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(store_event_seen(st, "slack:Ev1", 3000, &first), 0);
	assert_true(first);	/* forgotten after the prune */
	assert_int_equal(store_event_seen(st, "matrix:$ev1", 3000, &first), 0);
	assert_false(first);
	store_close(st);
}

/* A bot introduces itself once per conversation, across reopenings. */
static void
test_introduce_and_state(void **state)
{
	struct fx *fx = *state;
	struct store *st = open_rw(fx->db);
	int64_t conv, other;
	bool first = false;
	char *v = NULL;

	assert_int_equal(store_conversation_ensure(st, "slack:C1", STORE_CONV_CHANNEL,
	    100, &conv), 0);
	assert_int_equal(store_conversation_ensure(st, "slack:C2", STORE_CONV_CHANNEL,
	    100, &other), 0);
	assert_int_equal(store_conversation_introduce(st, conv, 200, &first), 0);
	assert_true(first);
	assert_int_equal(store_conversation_introduce(st, conv, 300, &first), 0);
	assert_false(first);
	assert_int_equal(store_state_get(st, "slack:dm:U1", &v), DRILL_ENOTFOUND);
	assert_null(v);
	assert_int_equal(store_state_put(st, "slack:dm:U1", "D1", 100), 0);
	assert_int_equal(store_state_put(st, "slack:dm:U1", "D9", 200), 0);
	store_close(st);

	st = open_rw(fx->db);
	assert_int_equal(store_conversation_introduce(st, conv, 400, &first), 0);
	assert_false(first);
	assert_int_equal(store_conversation_introduce(st, other, 400, &first), 0);
	assert_true(first);
	assert_int_equal(store_state_get(st, "slack:dm:U1", &v), 0);
	assert_string_equal(v, "D9");
	free(v);
	assert_int_equal(store_state_delete(st, "slack:dm:U1"), 0);
	assert_int_equal(store_state_delete(st, "slack:dm:U1"), 0);
	assert_int_equal(store_state_get(st, "slack:dm:U1", &v), DRILL_ENOTFOUND);
	store_close(st);
}

/* The maintainers' list: newest first, with the answer and its score. */
static void
test_disputes_list(void **state)
{
	struct fx *fx = *state;
	struct store *st = open_rw(fx->db);
	struct store_dispute_row *rows = NULL;
	struct store_answer a;
	int64_t person, conv, delivery, ans1, ans2, d;
	size_t n = 9;

	assert_int_equal(store_disputes_list(st, 0, SIZE_MAX, &rows, &n), 0);
	assert_null(rows);
	assert_int_equal(n, 0);

	seed(st, "matrix:@ann:example.org", "q1", &person, &conv, &delivery);
	a = answer_of(delivery, person, "q1", 35, 3);
	a.text = (char *)"I would add an index «on the filter column».";
	a.rubric_version = (char *)"0123456789abcdef";
	assert_int_equal(store_answer_add(st, &a, &ans1), 0);
	a = answer_of(delivery, person, "q1", 80, 4);
	assert_int_equal(store_answer_add(st, &a, &ans2), 0);
	assert_int_equal(store_dispute_add(st, ans1, "I did say index", 1000, &d), 0);
	assert_int_equal(store_dispute_add(st, ans2, NULL, 2000, &d), 0);

	assert_int_equal(store_disputes_list(st, 0, SIZE_MAX, &rows, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(rows[0].created_at, 2000);	/* newest first */
	assert_null(rows[0].reason);
	assert_int_equal(rows[0].score, 80);
	assert_int_equal(rows[1].answer_id, ans1);
	assert_string_equal(rows[1].reason, "I did say index");
	assert_string_equal(rows[1].person, "matrix:@ann:example.org");
	assert_string_equal(rows[1].question_id, "q1");
	assert_string_equal(rows[1].rubric_version, "0123456789abcdef");
	assert_int_equal(rows[1].score, 35);
	assert_int_equal(rows[1].dims[2], 35);
	assert_string_equal(rows[1].grade, "good");
	assert_string_equal(rows[1].answer, "I would add an index «on the filter column».");
	assert_int_equal(rows[1].answered_at, 3 * 86400 + 3600);
	store_dispute_rows_free(rows, n);

	/* since and limit */
	assert_int_equal(store_disputes_list(st, 1500, SIZE_MAX, &rows, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(rows[0].answer_id, ans2);
	store_dispute_rows_free(rows, n);
	assert_int_equal(store_disputes_list(st, 0, 1, &rows, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(rows[0].created_at, 2000);
	store_dispute_rows_free(rows, n);
	store_close(st);
}

/* ---- the outbox ---- */

static int64_t
outbox_add(struct store *st, const char *dest, const char *payload, int64_t now,
    char *key)
{
	int64_t id = 0;

	assert_int_equal(store_outbox_add(st, "slack", dest, payload, now, &id,
	    key), 0);
	assert_true(id > 0);
	return id;
}

/* The ids of the due rows at now (limit), in the order given. */
static size_t
due_ids(struct store *st, int64_t now, size_t limit, int64_t *ids, size_t max)
{
	struct store_outbox_row *rows = NULL;
	size_t n = 0;

	assert_int_equal(store_outbox_due(st, now, limit, &rows, &n), 0);
	assert_true(n <= max);
	for (size_t i = 0; i < n; i++)
		ids[i] = rows[i].id;
	store_outbox_rows_free(rows, n);
	return n;
}

static void
expect_counts(struct store *st, int64_t queued, int64_t sending, int64_t sent,
    int64_t failed)
{
	struct store_outbox_counts c;

	assert_int_equal(store_outbox_counts(st, &c), 0);
	assert_int_equal(c.queued, queued);
	assert_int_equal(c.sending, sending);
	assert_int_equal(c.sent, sent);
	assert_int_equal(c.failed, failed);
}

static void
test_outbox_add_get_due(void **state)
{
	struct fx *fx = *state;
	struct store *st = open_rw(fx->db);
	char k1[STORE_OUTBOX_KEYLEN], k2[STORE_OUTBOX_KEYLEN];
	struct store_outbox_row row;
	int64_t a1, a2, b1, c1, ids[8], at;
	size_t n;

	a1 = outbox_add(st, "slack:CA", "{\"text\":\"één\"}", 1000, k1);
	a2 = outbox_add(st, "slack:CA", "second to A", 900, k2);
	b1 = outbox_add(st, "slack:CB", "to B", 1500, NULL);
	c1 = outbox_add(st, "slack:CC", "to C", 500, NULL);
	assert_int_equal(strlen(k1), 32);
	assert_int_equal(strspn(k1, "0123456789abcdef"), 32);
	assert_string_not_equal(k1, k2);
	assert_true(a1 < a2 && a2 < b1 && b1 < c1);

	assert_int_equal(store_outbox_get(st, a1, &row), 0);
	assert_int_equal(row.id, a1);
	assert_string_equal(row.platform, "slack");
	assert_string_equal(row.destination, "slack:CA");
	assert_string_equal(row.idem_key, k1);
	assert_string_equal(row.payload, "{\"text\":\"één\"}");
	assert_int_equal(row.state, STORE_OUTBOX_QUEUED);
	assert_int_equal(row.attempts, 0);
	assert_int_equal(row.next_at, 1000);
	assert_int_equal(row.created_at, 1000);
	assert_int_equal(row.sent_at, 0);
	assert_null(row.platform_message_id);
	assert_null(row.last_error);
	store_outbox_row_clear(&row);
	store_outbox_row_clear(NULL);
	assert_int_equal(store_outbox_get(st, c1 + 10, &row), DRILL_ENOTFOUND);

	/* One head per destination, the oldest row, earliest next_at first;
	 * a2 is due earlier than a1 but waits behind it. */
	n = due_ids(st, 2000, 10, ids, 8);
	assert_int_equal(n, 3);
	assert_int_equal(ids[0], c1);
	assert_int_equal(ids[1], a1);
	assert_int_equal(ids[2], b1);
	assert_int_equal(due_ids(st, 1000, 10, ids, 8), 2);	/* B not yet */
	assert_int_equal(due_ids(st, 2000, 1, ids, 8), 1);
	assert_int_equal(ids[0], c1);
	assert_int_equal(due_ids(st, 100, 10, ids, 8), 0);
	assert_int_equal(store_outbox_next_at(st, 100, &at), 0);
	assert_int_equal(at, 500);
	assert_int_equal(store_outbox_next_at(st, 1200, &at), 0);
	assert_int_equal(at, 1500);	/* a2 (900) is no head */
	assert_int_equal(store_outbox_next_at(st, 1500, &at), DRILL_ENOTFOUND);

	/* Missing strings are refused. */
	assert_int_equal(store_outbox_add(st, "slack", NULL, "x", 1, &at, NULL),
	    DRILL_EINVAL);
	assert_int_equal(store_outbox_add(st, "slack", "slack:C", NULL, 1, &at,
	    NULL), DRILL_EINVAL);

	/* Inside a transaction the row comes and goes with it. */
	assert_int_equal(store_begin(st), 0);
	(void)outbox_add(st, "slack:CD", "rolled back", 1, NULL);
	store_rollback(st);
	expect_counts(st, 4, 0, 0, 0);
	store_close(st);
	assert_int_equal(raw_int(fx->db, "SELECT count(DISTINCT idem_key)"
	    " FROM outbox"), 4);
}

static void
test_outbox_lifecycle(void **state)
{
	struct fx *fx = *state;
	struct store *st = open_rw(fx->db);
	struct store_outbox_row row, *rows = NULL;
	int64_t a1, a2, b1, ids[8], at;
	int attempts = 0;
	size_t n = 0;

	a1 = outbox_add(st, "slack:CA", "a1", 1000, NULL);
	a2 = outbox_add(st, "slack:CA", "a2", 1000, NULL);
	b1 = outbox_add(st, "slack:CB", "b1", 1000, NULL);

	/* Claiming: only when due, committed on its own. */
	assert_int_equal(store_outbox_mark_sending(st, a1, 999, 5000, &attempts),
	    DRILL_ENOTFOUND);
	assert_int_equal(store_begin(st), 0);
	assert_int_equal(store_outbox_mark_sending(st, a1, 1000, 5000, &attempts),
	    DRILL_EINVAL);
	store_rollback(st);
	assert_int_equal(store_outbox_mark_sending(st, a1, 1000, 5000, &attempts), 0);
	assert_int_equal(attempts, 1);
	assert_int_equal(raw_int(fx->db, "SELECT attempts FROM outbox WHERE"
	    " state = 'sending'"), 1);	/* visible to another connection */
	expect_counts(st, 2, 1, 0, 0);
	/* While claimed, A has nothing due (a2 waits behind a1). */
	assert_int_equal(due_ids(st, 2000, 10, ids, 8), 1);
	assert_int_equal(ids[0], b1);
	assert_int_equal(store_outbox_next_at(st, 2000, &at), 0);
	assert_int_equal(at, 5000);
	/* The claim lapses: due again, for a second claim. */
	assert_int_equal(due_ids(st, 5000, 10, ids, 8), 2);
	assert_int_equal(ids[0], b1);
	assert_int_equal(ids[1], a1);

	/* A transient failure: back to queued, later. */
	assert_int_equal(store_outbox_reschedule(st, a1, 3000, "HTTP 500", false), 0);
	assert_int_equal(store_outbox_get(st, a1, &row), 0);
	assert_int_equal(row.state, STORE_OUTBOX_QUEUED);
	assert_int_equal(row.attempts, 1);
	assert_int_equal(row.next_at, 3000);
	assert_string_equal(row.last_error, "HTTP 500");
	store_outbox_row_clear(&row);
	/* A rate limit: the attempt is given back. */
	assert_int_equal(store_outbox_mark_sending(st, a1, 3000, 9000, &attempts), 0);
	assert_int_equal(attempts, 2);
	assert_int_equal(store_outbox_reschedule(st, a1, 4000, "ratelimited", true), 0);
	assert_int_equal(store_outbox_get(st, a1, &row), 0);
	assert_int_equal(row.attempts, 1);
	store_outbox_row_clear(&row);

	/* Sent. */
	assert_int_equal(store_outbox_mark_sending(st, a1, 4000, 9000, &attempts), 0);
	assert_int_equal(attempts, 2);
	assert_int_equal(store_outbox_mark_sent(st, a1, 4100, "1700000000.000100"), 0);
	assert_int_equal(store_outbox_mark_sent(st, a1, 4100, "again"), DRILL_ENOTFOUND);
	assert_int_equal(store_outbox_get(st, a1, &row), 0);
	assert_int_equal(row.state, STORE_OUTBOX_SENT);
	assert_int_equal(row.sent_at, 4100);
	assert_string_equal(row.platform_message_id, "1700000000.000100");
	store_outbox_row_clear(&row);
	assert_int_equal(store_outbox_reschedule(st, a1, 1, "x", false), DRILL_ENOTFOUND);
	assert_int_equal(store_outbox_mark_failed(st, a1, "x"), DRILL_ENOTFOUND);
	assert_int_equal(store_outbox_mark_sending(st, a1, 9999, 99999, &attempts),
	    DRILL_ENOTFOUND);
	/* Now a2 heads A. */
	assert_int_equal(due_ids(st, 5000, 10, ids, 8), 2);
	assert_int_equal(ids[0], a2);
	assert_int_equal(ids[1], b1);

	/* Failed, listed, re-queued with its key. */
	assert_int_equal(store_outbox_mark_sending(st, b1, 5000, 9000, &attempts), 0);
	assert_int_equal(store_outbox_mark_failed(st, b1, "channel_not_found"), 0);
	assert_int_equal(store_outbox_requeue(st, a2, 5000), DRILL_ENOTFOUND);
	expect_counts(st, 1, 0, 1, 1);
	assert_int_equal(store_outbox_failed(st, 10, &rows, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(rows[0].id, b1);
	assert_int_equal(rows[0].state, STORE_OUTBOX_FAILED);
	assert_string_equal(rows[0].last_error, "channel_not_found");
	assert_int_equal(rows[0].attempts, 1);
	store_outbox_rows_free(rows, n);
	assert_int_equal(store_outbox_failed(st, 0, &rows, &n), 0);
	assert_int_equal(n, 0);
	store_outbox_rows_free(rows, n);
	assert_int_equal(due_ids(st, 6000, 10, ids, 8), 1);	/* B has none */
	assert_int_equal(store_outbox_requeue(st, b1, 6000), 0);
	assert_int_equal(store_outbox_get(st, b1, &row), 0);
	assert_int_equal(row.state, STORE_OUTBOX_QUEUED);
	assert_int_equal(row.attempts, 0);
	assert_int_equal(row.next_at, 6000);
	store_outbox_row_clear(&row);
	assert_int_equal(due_ids(st, 6000, 10, ids, 8), 2);
	expect_counts(st, 2, 0, 1, 0);
	store_close(st);
}

/*
 * Recovery after a crash: a row left 'sending' (claimed by the store call,
 * or marked behind the store's back) is due again at once after reopening,
 * with its key and attempts.
 */
/* Claiming many rows at once: one transaction, per-row outcome. */
static void
test_outbox_claim_many(void **state)
{
	struct fx *fx = *state;
	struct store *st = open_rw(fx->db);
	int64_t a, b, c, ids[4];
	int attempts[4] = {-1, -1, -1, -1};

	a = outbox_add(st, "slack:CA", "a", 1000, NULL);
	b = outbox_add(st, "slack:CB", "b", 1000, NULL);
	c = outbox_add(st, "slack:CC", "c", 5000, NULL);	/* not due yet */
	ids[0] = a;
	ids[1] = c;
	ids[2] = b;
	ids[3] = 999999;	/* no such row */

	assert_int_equal(store_begin(st), 0);
	assert_int_equal(store_outbox_claim(st, ids, 4, 1000, 9000, attempts),
	    DRILL_EINVAL);
	store_rollback(st);
	assert_int_equal(store_outbox_claim(st, ids, 0, 1000, 9000, NULL), 0);

	assert_int_equal(store_outbox_claim(st, ids, 4, 1000, 9000, attempts), 0);
	assert_int_equal(attempts[0], 1);
	assert_int_equal(attempts[1], 0);
	assert_int_equal(attempts[2], 1);
	assert_int_equal(attempts[3], 0);
	/* committed: another connection sees the two claims */
	assert_int_equal(raw_int(fx->db, "SELECT count(*) FROM outbox WHERE"
	    " state = 'sending' AND next_at = 9000"), 2);
	expect_counts(st, 1, 2, 0, 0);
	/* a claimed row is not due again before its claim lapses */
	assert_int_equal(store_outbox_claim(st, ids, 1, 2000, 9000, attempts), 0);
	assert_int_equal(attempts[0], 0);
	store_close(st);
}

static void
test_outbox_recover(void **state)
{
	struct fx *fx = *state;
	struct store *st = open_rw(fx->db);
	char key[STORE_OUTBOX_KEYLEN];
	struct store_outbox_row *rows = NULL;
	int64_t a, b, c, n = -1;
	int attempts;
	size_t nr = 0;

	a = outbox_add(st, "slack:CA", "a", 1000, key);
	b = outbox_add(st, "slack:CB", "b", 1000, NULL);
	c = outbox_add(st, "slack:CC", "c", 1000, NULL);
	assert_int_equal(store_outbox_mark_sending(st, a, 1000, 600000, &attempts), 0);
	store_close(st);	/* "crash" with a's send in flight */
	raw_exec(fx->db, "UPDATE outbox SET state = 'sending', attempts = 3,"
	    " next_at = 900000 WHERE destination = 'slack:CB'");

	st = open_rw(fx->db);
	assert_int_equal(due_ids(st, 2000, 10, (int64_t[8]){0}, 8), 1);	/* only c */
	assert_int_equal(store_outbox_recover(st, 2000, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(store_outbox_due(st, 2000, 10, &rows, &nr), 0);
	assert_int_equal(nr, 3);
	assert_int_equal(rows[0].id, c);	/* due since 1000 */
	assert_int_equal(rows[1].id, a);
	assert_int_equal(rows[1].state, STORE_OUTBOX_SENDING);
	assert_string_equal(rows[1].idem_key, key);
	assert_int_equal(rows[1].attempts, 1);
	assert_int_equal(rows[1].next_at, 2000);
	assert_int_equal(rows[2].id, b);
	assert_int_equal(rows[2].attempts, 3);
	store_outbox_rows_free(rows, nr);
	/* The re-send claims it again: attempt 2, same key. */
	assert_int_equal(store_outbox_mark_sending(st, a, 2000, 600000, &attempts), 0);
	assert_int_equal(attempts, 2);
	assert_int_equal(store_outbox_recover(st, 2000, NULL), 0);
	store_close(st);
}

/* ---- read-only opens ---- */

static void
test_readonly(void **state)
{
	struct fx *fx = *state;
	char err[DRILL_ERRLEN] = "";
	struct store *st = NULL, *ro;
	struct store_delivery d = {0}, dout;
	struct store_answer a, aout;
	struct store_progress p;
	int64_t person, conv, delivery, answer, id;
	char missing[160];
	size_t n1, n2;
	char *before, *after;

	/* A missing file: refused with a message, and not created. */
	snprintf(missing, sizeof missing, "%s/missing.db", fx->dir);
	assert_int_equal(store_open(missing, STORE_READONLY, 100, &st, err),
	    DRILL_EIO);
	assert_null(st);
	assert_non_null(strstr(err, missing));
	assert_non_null(strstr(err, "does not exist"));
	assert_false(exists(missing));

	st = open_rw(fx->db);
	seed(st, "slack:U1", "q1", &person, &conv, &delivery);
	a = answer_of(delivery, person, "q1", 90, 7);
	assert_int_equal(store_answer_add(st, &a, &answer), 0);
	store_close(st);
	before = slurp(fx->db, &n1);

	ro = open_ro(fx->db);
	assert_int_equal(store_schema_version(ro), STORE_SCHEMA_VERSION);
	/* Reads work. */
	assert_int_equal(store_person_find(ro, "slack:U1", &id), 0);
	assert_int_equal(id, person);
	assert_int_equal(store_delivery_get(ro, delivery, &dout), 0);
	store_delivery_clear(&dout);
	assert_int_equal(store_answer_get(ro, answer, &aout), 0);
	assert_int_equal(aout.score, 90);
	store_answer_clear(&aout);
	assert_int_equal(store_progress_get(ro, person, &p), 0);
	assert_int_equal(p.answered, 1);
	assert_int_equal(store_begin(ro), 0);	/* a read snapshot */
	assert_int_equal(store_answer_last(ro, person, &id), 0);
	assert_int_equal(store_commit(ro), 0);

	/* Every write is refused. */
	assert_int_equal(store_person_ensure(ro, "slack:U1", 1, &id), DRILL_EINVAL);
	assert_int_equal(store_person_ensure(ro, "slack:U2", 1, &id), DRILL_EINVAL);
	assert_int_equal(store_person_set_level(ro, person, 1), DRILL_EINVAL);
	assert_int_equal(store_conversation_ensure(ro, "slack:C9",
	    STORE_CONV_CHANNEL, 1, &id), DRILL_EINVAL);
	d.conversation_id = conv;
	d.question_id = (char *)"q1";
	d.kind = (char *)"practice";
	assert_int_equal(store_delivery_add(ro, &d, &id), DRILL_EINVAL);
	assert_int_equal(store_delivery_set_help(ro, delivery, 1, true), DRILL_EINVAL);
	assert_int_equal(store_answer_add(ro, &a, &id), DRILL_EINVAL);
	assert_int_equal(store_practice_set(ro, person, conv, delivery), DRILL_EINVAL);
	assert_int_equal(store_practice_set(ro, person, conv, 0), DRILL_EINVAL);
	assert_int_equal(store_dispute_add(ro, answer, "x", 1, &id), DRILL_EINVAL);
	{
		struct store_outbox_counts c;
		struct store_outbox_row *rows = NULL;
		size_t n = 9;
		int attempts;

		assert_int_equal(store_outbox_add(ro, "slack", "slack:C1", "p", 1,
		    &id, NULL), DRILL_EINVAL);
		assert_int_equal(store_outbox_mark_sending(ro, 1, 1, 2, &attempts),
		    DRILL_EINVAL);
		assert_int_equal(store_outbox_mark_sent(ro, 1, 1, "m"), DRILL_EINVAL);
		assert_int_equal(store_outbox_reschedule(ro, 1, 1, "e", false),
		    DRILL_EINVAL);
		assert_int_equal(store_outbox_mark_failed(ro, 1, "e"), DRILL_EINVAL);
		assert_int_equal(store_outbox_requeue(ro, 1, 1), DRILL_EINVAL);
		assert_int_equal(store_outbox_recover(ro, 1, NULL), DRILL_EINVAL);
		/* Reads work. */
		assert_int_equal(store_outbox_counts(ro, &c), 0);
		assert_int_equal(c.queued + c.sending + c.sent + c.failed, 0);
		assert_int_equal(store_outbox_due(ro, 1, 10, &rows, &n), 0);
		assert_int_equal(n, 0);
		store_outbox_rows_free(rows, n);
	}
	store_close(ro);

	after = slurp(fx->db, &n2);
	assert_int_equal(n1, n2);
	assert_memory_equal(before, after, n1);
	free(before);
	free(after);
}

/* ---- backup ---- */

static void
test_backup(void **state)
{
	struct fx *fx = *state;
	char err[DRILL_ERRLEN] = "";
	char dest[160], dest2[160], bad[192];
	struct store *writer, *other, *ro, *copy;
	struct store_answer a, aout;
	int64_t person, conv, delivery, answer, id;
	int files;
	FILE *f;

	writer = open_rw(fx->db);
	seed(writer, "slack:U1", "q1", &person, &conv, &delivery);
	a = answer_of(delivery, person, "q1", 66, 9);
	a.text = (char *)"backed-up answer ✓";
	assert_int_equal(store_answer_add(writer, &a, &answer), 0);

	/* A second read-write connection holds an open write transaction
	 * while the backups are taken. */
	other = open_rw(fx->db);
	assert_int_equal(store_begin(other), 0);
	assert_int_equal(store_person_ensure(other, "slack:UUNCOMMITTED", 1, &id), 0);

	ro = open_ro(fx->db);
	snprintf(dest, sizeof dest, "%s/backup.db", fx->dir);
	/* An old file at dest (with a stale journal) is replaced whole. */
	f = fopen(dest, "w");
	assert_non_null(f);
	fputs("old backup", f);
	fclose(f);
	snprintf(bad, sizeof bad, "%s-journal", dest);
	f = fopen(bad, "w");
	assert_non_null(f);
	fputs("stale", f);
	fclose(f);
	assert_int_equal(store_backup(ro, dest, err), 0);
	assert_false(exists(bad));
	store_close(ro);

	snprintf(dest2, sizeof dest2, "%s/backup-rw.db", fx->dir);
	assert_int_equal(store_backup(writer, dest2, err), 0);

	/* Not into a directory that does not exist, not over the live file,
	 * and not inside a transaction. */
	snprintf(bad, sizeof bad, "%s/no/such/dir/b.db", fx->dir);
	err[0] = '\0';
	assert_int_equal(store_backup(writer, bad, err), DRILL_EIO);
	assert_true(err[0] != '\0');
	assert_int_equal(store_backup(writer, fx->db, err), DRILL_EIO);
	assert_int_equal(store_backup(other, dest2, err), DRILL_EIO);

	assert_int_equal(store_commit(other), 0);
	store_close(other);
	store_close(writer);

	/* drilld.db, backup.db, backup-rw.db: no temporary left behind. */
	files = count_files(fx->dir);
	assert_int_equal(files, 3);

	for (int i = 0; i < 2; i++) {
		const char *path = i == 0 ? dest : dest2;
		struct store_progress p;
		char check[16];

		copy = open_rw(path);
		assert_int_equal(store_schema_version(copy), STORE_SCHEMA_VERSION);
		assert_int_equal(store_person_find(copy, "slack:U1", &id), 0);
		assert_int_equal(id, person);
		assert_int_equal(store_person_find(copy, "slack:UUNCOMMITTED", &id),
		    DRILL_ENOTFOUND);
		assert_int_equal(store_answer_get(copy, answer, &aout), 0);
		assert_string_equal(aout.text, "backed-up answer ✓");
		assert_int_equal(aout.score, 66);
		store_answer_clear(&aout);
		assert_int_equal(store_progress_get(copy, person, &p), 0);
		assert_int_equal(p.answered, 1);
		assert_int_equal(p.last_day, 9);
		store_close(copy);
		assert_int_equal(raw_int(path, "SELECT count(*) FROM people"), 1);
		raw_text(path, "PRAGMA integrity_check", check, sizeof check);
		assert_string_equal(check, "ok");
	}
	/* The live database now has both people. */
	assert_int_equal(raw_int(fx->db, "SELECT count(*) FROM people"), 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_fresh_db_version_and_wal, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reopen_keeps_data_and_migrates_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_newer_schema_refused_and_untouched, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrate_from_empty_v0_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrate_v1_keeps_data, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_a_database, setup, teardown),
		cmocka_unit_test_setup_teardown(test_person_conversation_ensure_idempotent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_delivery_add_get_set_help, setup, teardown),
		cmocka_unit_test_setup_teardown(test_answer_roundtrip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_progress_streaks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_transactions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_practice_get_set_clear, setup, teardown),
		cmocka_unit_test_setup_teardown(test_person_questions_and_stats, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dispute_add, setup, teardown),
		cmocka_unit_test_setup_teardown(test_channel_delivery, setup, teardown),
		cmocka_unit_test_setup_teardown(test_people_data, setup, teardown),
		cmocka_unit_test_setup_teardown(test_disputes_list, setup, teardown),
		cmocka_unit_test_setup_teardown(test_schedule_state, setup, teardown),
		cmocka_unit_test_setup_teardown(test_events_seen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_outbox_add_get_due, setup, teardown),
		cmocka_unit_test_setup_teardown(test_outbox_lifecycle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_outbox_claim_many, setup, teardown),
		cmocka_unit_test_setup_teardown(test_outbox_recover, setup, teardown),
		cmocka_unit_test_setup_teardown(test_readonly, setup, teardown),
		cmocka_unit_test_setup_teardown(test_introduce_and_state, setup, teardown),
		cmocka_unit_test_setup_teardown(test_backup, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
