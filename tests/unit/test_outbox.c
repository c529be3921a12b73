/*
 * test_outbox.c - unit tests of the outbox against a real store (SQLite
 * files in a temporary directory), a fake platform and a fake clock.
 *
 * The fake platform records every send (time, destination, key, attempt)
 * and ends it as a per-test script says: at once (done called inside the
 * send), some fake milliseconds later, or never (until the test lets go).
 * The test drives time itself: run_until() repeatedly moves the fake clock
 * to the earlier of the outbox's wake-up time (outbox_wake_at) and the next
 * scripted completion, and runs that (outbox_tick or the done call), so a
 * run is deterministic and takes no real time. One test runs the real uv
 * timer on the real clock instead.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uv.h>

#include "drill/log.h"
#include "drill/outbox.h"
#include "drill/store.h"

#define MAXDEST 64

/* One send the fake platform saw. */
struct rec {
	int64_t id;
	char dest[32];
	char key[STORE_OUTBOX_KEYLEN];
	char payload[64];
	int attempt;
	int64_t start;		/* fake time of the send */
	int64_t end;		/* fake time of its done call; -1 before */
	enum outbox_status status;
	uint64_t retry_after;
};

/* A send whose done call is still to come. */
struct held {
	void *token;
	outbox_done_fn done;
	size_t rec;
	int64_t at;		/* INT64_MAX: only when the test says */
	struct outbox_result res;
};

struct fake;
/* Decides how a send ends: fills *res, returns the delay in ms (0: at
 * once, inside the send; -1: never, until released). */
typedef int64_t (*script_fn)(struct fake *f, const struct outbox_msg *m,
    struct outbox_result *res);

struct fake {
	int64_t now;		/* the fake clock */
	uint64_t rng;		/* the outbox's random numbers */
	uint64_t script_rng;	/* the script's */
	bool max_random;	/* random() answers UINT32_MAX: backoff = its ceiling */
	script_fn script;
	int64_t retry_after;	/* for scripts that rate-limit */
	int fail_first;		/* for scripts that fail the first n attempts */
	struct rec *recs;
	size_t nrec, caprec;
	struct held *held;
	size_t nheld, capheld;
	struct {
		char name[32];
		int inflight;
	} dests[MAXDEST];
	int ndests;
	int overlap;		/* sends started while another to the same destination was in flight */
	int dones;		/* done calls made */
	char dir[64];
	char db[128];
	uv_loop_t loop;
};

static int64_t
fake_clock(void *arg)
{
	return ((struct fake *)arg)->now;
}

static uint64_t
next_rng(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545f4914f6cdd1dULL;
}

static uint32_t
fake_random(void *arg)
{
	struct fake *f = arg;

	if (f->max_random)
		return UINT32_MAX;
	return (uint32_t)(next_rng(&f->rng) >> 32);
}

static int
dest_index(struct fake *f, const char *name)
{
	for (int i = 0; i < f->ndests; i++)
		if (strcmp(f->dests[i].name, name) == 0)
			return i;
	assert_true(f->ndests < MAXDEST);
	snprintf(f->dests[f->ndests].name, sizeof f->dests[0].name, "%s", name);
	return f->ndests++;
}

/* Ends held send i now (the test's clock), as scripted. */
static void
complete(struct fake *f, size_t i)
{
	struct held h = f->held[i];
	struct rec *r = &f->recs[h.rec];
	char msgid[32];

	f->held[i] = f->held[--f->nheld];
	r->end = f->now;
	r->status = h.res.status;
	r->retry_after = h.res.retry_after_ms;
	f->dests[dest_index(f, r->dest)].inflight--;
	if (h.res.status == OUTBOX_OK) {
		snprintf(msgid, sizeof msgid, "ts-%zu", h.rec);
		h.res.message_id = msgid;
	}
	f->dones++;
	h.done(h.token, &h.res);
}

static int
fake_send(void *arg, const struct outbox_msg *m, outbox_done_fn done, void *token)
{
	struct fake *f = arg;
	struct held h = {0};
	struct rec *r;
	int64_t delay;
	int d;

	if (f->nrec == f->caprec) {
		f->caprec = f->caprec ? f->caprec * 2 : 256;
		f->recs = realloc(f->recs, f->caprec * sizeof *f->recs);
		assert_non_null(f->recs);
	}
	r = &f->recs[f->nrec];
	memset(r, 0, sizeof *r);
	r->id = m->id;
	snprintf(r->dest, sizeof r->dest, "%s", m->destination);
	snprintf(r->key, sizeof r->key, "%s", m->idem_key);
	snprintf(r->payload, sizeof r->payload, "%s", m->payload);
	assert_true(strcmp(m->platform, "slack") == 0 ||
	    strcmp(m->platform, "matrix") == 0);
	r->attempt = m->attempt;
	r->start = f->now;
	r->end = -1;
	d = dest_index(f, m->destination);
	if (f->dests[d].inflight > 0)
		f->overlap++;
	f->dests[d].inflight++;

	h.token = token;
	h.done = done;
	h.rec = f->nrec++;
	delay = f->script(f, m, &h.res);
	h.at = delay < 0 ? INT64_MAX : f->now + delay;
	if (f->nheld == f->capheld) {
		f->capheld = f->capheld ? f->capheld * 2 : 16;
		f->held = realloc(f->held, f->capheld * sizeof *f->held);
		assert_non_null(f->held);
	}
	f->held[f->nheld++] = h;
	if (delay == 0)
		complete(f, f->nheld - 1);
	return 0;
}

/*
 * Runs the outbox on the fake clock until nothing is left to do before
 * until: each step moves the clock to the earlier of the outbox's wake-up
 * and the next scripted completion (a tie goes to the completion) and runs
 * it. Sends held forever are not waited for.
 */
static void
run_until(struct fake *f, struct outbox *ob, int64_t until)
{
	for (long guard = 0;; guard++) {
		int64_t wake = INT64_MAX, w, hat = INT64_MAX;
		size_t hi = 0;

		assert_true(guard < 1000000);
		if (outbox_wake_at(ob, &w))
			wake = w;
		for (size_t i = 0; i < f->nheld; i++) {
			if (f->held[i].at < hat) {
				hat = f->held[i].at;
				hi = i;
			}
		}
		if (wake == INT64_MAX && hat == INT64_MAX)
			return;
		if ((hat <= wake ? hat : wake) > until)
			return;
		if (hat <= wake) {
			if (hat > f->now)
				f->now = hat;
			complete(f, hi);
		} else {
			if (wake > f->now)
				f->now = wake;
			outbox_tick(ob);
		}
	}
}

static void
run_all(struct fake *f, struct outbox *ob)
{
	run_until(f, ob, INT64_MAX - 1);
}

/* ---- scripts ---- */

static int64_t
script_ok(struct fake *f, const struct outbox_msg *m, struct outbox_result *res)
{
	(void)f;
	(void)m;
	res->status = OUTBOX_OK;
	return 0;
}

static int64_t
script_hold(struct fake *f, const struct outbox_msg *m, struct outbox_result *res)
{
	(void)f;
	(void)m;
	res->status = OUTBOX_OK;
	return -1;
}

static int64_t
script_500(struct fake *f, const struct outbox_msg *m, struct outbox_result *res)
{
	(void)f;
	(void)m;
	res->status = OUTBOX_TRANSIENT;
	res->error = "HTTP 500";
	return 0;
}

/* Fails the first f->fail_first attempts of each message, then posts it. */
static int64_t
script_fail_first(struct fake *f, const struct outbox_msg *m,
    struct outbox_result *res)
{
	if (m->attempt <= f->fail_first) {
		res->status = OUTBOX_TRANSIENT;
		res->error = "HTTP 503";
	} else {
		res->status = OUTBOX_OK;
	}
	return 0;
}

/* "bad" payloads fail for good; the rest are posted. */
static int64_t
script_bad(struct fake *f, const struct outbox_msg *m, struct outbox_result *res)
{
	(void)f;
	if (strstr(m->payload, "bad") != NULL) {
		res->status = OUTBOX_PERMANENT;
		res->error = "channel_not_found";
	} else {
		res->status = OUTBOX_OK;
	}
	return 0;
}

/* Destination "slack:CSTUCK" always answers 500; the others are posted. */
static int64_t
script_stuck(struct fake *f, const struct outbox_msg *m, struct outbox_result *res)
{
	(void)f;
	if (strcmp(m->destination, "slack:CSTUCK") == 0) {
		res->status = OUTBOX_TRANSIENT;
		res->error = "HTTP 502";
	} else {
		res->status = OUTBOX_OK;
	}
	return 0;
}

/* The first send of each message is rate-limited (f->retry_after),
 * except for "ok" payloads. */
static int64_t
script_429_once(struct fake *f, const struct outbox_msg *m,
    struct outbox_result *res)
{
	size_t tries = 0;

	for (size_t i = 0; i < f->nrec; i++)	/* this send is recorded already */
		tries += f->recs[i].id == m->id;
	if (tries == 1 && strstr(m->payload, "ok") == NULL) {
		res->status = OUTBOX_RATE_LIMITED;
		res->retry_after_ms = (uint64_t)f->retry_after;
		res->error = "ratelimited";
	} else {
		res->status = OUTBOX_OK;
	}
	return 0;
}

/*
 * The big mix: 5 % rate-limited (Retry-After 2.5 s), 5 % HTTP 500, the
 * rest posted; a third end at once, the others up to 0.7 s later.
 */
static int64_t
script_mixed(struct fake *f, const struct outbox_msg *m, struct outbox_result *res)
{
	uint64_t r = next_rng(&f->script_rng) >> 33;

	(void)m;
	if (r % 100 < 5) {
		res->status = OUTBOX_RATE_LIMITED;
		res->retry_after_ms = 2500;
		res->error = "ratelimited";
	} else if (r % 100 < 10) {
		res->status = OUTBOX_TRANSIENT;
		res->error = "HTTP 500";
	} else {
		res->status = OUTBOX_OK;
	}
	r >>= 8;
	return r % 3 == 0 ? 0 : (int64_t)(r % 700);
}

/* ---- fixture ---- */

static int
setup(void **state)
{
	struct fake *f = calloc(1, sizeof *f);

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof f->dir, "/tmp/test_outbox-XXXXXX");
	if (mkdtemp(f->dir) == NULL) {
		free(f);
		return -1;
	}
	snprintf(f->db, sizeof f->db, "%s/drilld.db", f->dir);
	if (uv_loop_init(&f->loop) != 0)
		return -1;
	f->now = 1700000000000;
	f->rng = 0x1234567887654321ULL;
	f->script_rng = 0xdeadbeefcafef00dULL;
	f->script = script_ok;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fake *f = *state;
	char path[512];
	struct dirent *e;
	DIR *d;

	/* Every outbox was freed: only closing handles may be left. */
	uv_run(&f->loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&f->loop), 0);
	if ((d = opendir(f->dir)) != NULL) {
		while ((e = readdir(d)) != NULL) {
			if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
				continue;
			snprintf(path, sizeof path, "%s/%s", f->dir, e->d_name);
			unlink(path);
		}
		closedir(d);
	}
	rmdir(f->dir);
	free(f->recs);
	free(f->held);
	free(f);
	return 0;
}

static struct store *
open_path(const char *path)
{
	char err[DRILL_ERRLEN] = "";
	struct store *st = NULL;
	int rc = store_open(path, 0, 2000, &st, err);

	if (rc != 0)
		print_error("store_open: %s (%s)\n", drill_strerror(rc), err);
	assert_int_equal(rc, 0);
	return st;
}

/* The test's database file, for the tests that restart. */
static struct store *
open_store(struct fake *f)
{
	return open_path(f->db);
}

/*
 * An in-memory database: the same SQL without an fsync per commit, for
 * the tests that send many messages and never reopen.
 */
static struct store *
open_mem(void)
{
	return open_path(":memory:");
}

/* Options on the fake clock and random numbers, no global limit. */
static struct outbox_opts
fake_opts(struct fake *f)
{
	struct outbox_opts o;

	outbox_opts_default(&o);
	o.clock = fake_clock;
	o.clock_arg = f;
	o.random = fake_random;
	o.random_arg = f;
	o.rate_per_sec = 0;
	return o;
}

static struct outbox *
new_outbox(struct fake *f, struct store *st, const struct outbox_opts *o)
{
	char err[DRILL_ERRLEN] = "";
	struct outbox *ob = NULL;
	int rc = outbox_new(&f->loop, st, o, &ob, err);

	if (rc != 0)
		print_error("outbox_new: %s (%s)\n", drill_strerror(rc), err);
	assert_int_equal(rc, 0);
	assert_int_equal(outbox_register(ob, "slack", fake_send, f), 0);
	return ob;
}

static int64_t
enqueue(struct outbox *ob, const char *dest, const char *payload)
{
	int64_t id = 0;

	assert_int_equal(outbox_enqueue(ob, "slack", dest, payload, &id), 0);
	assert_true(id > 0);
	return id;
}

static void
check_counts(struct outbox *ob, int64_t queued, int64_t failed)
{
	int64_t q = -1, fl = -1;

	assert_int_equal(outbox_counts(ob, &q, &fl), 0);
	assert_int_equal(q, queued);
	assert_int_equal(fl, failed);
}

/* The sends of message id, in order, into out (at most max); returns how many. */
static size_t
sends_of(const struct fake *f, int64_t id, const struct rec **out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < f->nrec; i++)
		if (f->recs[i].id == id && n < max)
			out[n++] = &f->recs[i];
	return n;
}

/* ---- tests ---- */

/*
 * 1,000 messages to 10 destinations through rate limits, 500s and late
 * completions: each posted exactly once, in order per destination, sends
 * to one destination never overlapping nor closer than min_interval, the
 * global bucket respected, Retry-After honoured, the key stable.
 */
static void
test_thousand_messages(void **state)
{
	enum { NMSG = 1000, NDEST = 10, INTERVAL = 1000, BURST = 3, RATE = 5 };
	struct fake *f = *state;
	struct store *st = open_mem();
	struct outbox_opts o = fake_opts(f);
	struct outbox *ob;
	static int64_t ids[NMSG];
	int seq[NDEST] = {0}, next_ok[NDEST] = {0}, last_seq[NDEST] = {0};
	int64_t last_start[NDEST];
	int ok_count[NMSG] = {0};
	uint64_t pick = 42;
	char dest[32], payload[64];
	size_t nrl = 0, n500 = 0;

	f->script = script_mixed;
	o.min_interval_ms = INTERVAL;
	o.rate_per_sec = RATE;
	o.burst = BURST;
	o.backoff_base_ms = 200;
	o.backoff_cap_ms = 5000;
	o.max_attempts = 30;
	ob = new_outbox(f, st, &o);
	assert_int_equal(outbox_start(ob), 0);

	/* Enqueued over time, some while sends run. */
	for (int i = 0; i < NMSG; i++) {
		int d = (int)(next_rng(&pick) % NDEST);

		snprintf(dest, sizeof dest, "slack:C%d", d);
		snprintf(payload, sizeof payload, "%d %d", d, seq[d]++);
		ids[i] = enqueue(ob, dest, payload);
		if (i % 100 == 99)
			run_until(f, ob, f->now + 5000);
	}
	run_all(f, ob);
	check_counts(ob, 0, 0);
	assert_int_equal(f->overlap, 0);
	assert_int_equal(f->nheld, 0);

	for (int d = 0; d < NDEST; d++)
		last_start[d] = INT64_MIN / 2;
	for (size_t i = 0; i < f->nrec; i++) {
		const struct rec *r = &f->recs[i];
		int d, s, k = (int)(r->id - ids[0]);

		assert_int_equal(sscanf(r->payload, "%d %d", &d, &s), 2);
		assert_true(k >= 0 && k < NMSG && ids[k] == r->id);
		/* Pacing between send starts to one destination. */
		assert_true(r->start - last_start[d] >= INTERVAL);
		last_start[d] = r->start;
		/* No message is tried before an earlier one is done with. */
		assert_true(s >= last_seq[d]);
		last_seq[d] = s;
		if (r->status == OUTBOX_OK) {
			/* In order, exactly once. */
			assert_int_equal(s, next_ok[d]);
			next_ok[d]++;
			ok_count[k]++;
		} else if (r->status == OUTBOX_RATE_LIMITED) {
			nrl++;
		} else {
			assert_int_equal(r->status, OUTBOX_TRANSIENT);
			n500++;
		}
	}
	for (int k = 0; k < NMSG; k++)
		assert_int_equal(ok_count[k], 1);
	for (int d = 0; d < NDEST; d++)
		assert_int_equal(next_ok[d], seq[d]);
	assert_true(nrl > 20 && n500 > 20);

	/* Per message: the same key every time; Retry-After honoured and the
	 * attempt given back; a 500 costs an attempt. */
	for (int k = 0; k < NMSG; k++) {
		const struct rec *v[64] = {0};
		size_t n = sends_of(f, ids[k], v, 64);

		assert_true(n >= 1);
		assert_int_equal(v[0]->attempt, 1);
		for (size_t j = 1; j < n; j++) {
			assert_string_equal(v[j]->key, v[0]->key);
			if (v[j - 1]->status == OUTBOX_RATE_LIMITED) {
				assert_true(v[j]->start >= v[j - 1]->end + 2500);
				assert_int_equal(v[j]->attempt, v[j - 1]->attempt);
			} else {
				assert_int_equal(v[j]->attempt, v[j - 1]->attempt + 1);
			}
		}
		if (k > 0)
			assert_string_not_equal(v[0]->key, f->recs[0].key);
	}

	/* The global bucket: no window holds more starts than it allows. */
	for (size_t i = 0; i < f->nrec; i++) {
		for (size_t j = i + 1; j < f->nrec; j++) {
			int64_t dt = f->recs[j].start - f->recs[i].start;

			assert_true(dt >= 0);
			assert_true((int64_t)(j - i + 1) * 1000 <= BURST * 1000 + RATE * dt);
		}
	}
	outbox_free(ob);
	store_close(st);
}

/* Backoff ceilings double from the base up to the cap; then the message fails. */
static void
test_backoff_grows_and_caps(void **state)
{
	static const int64_t want[] = {100, 200, 400, 800, 1000, 1000, 1000};
	struct fake *f = *state;
	struct store *st = open_mem();
	struct outbox_opts o = fake_opts(f);
	struct store_outbox_row row;
	struct outbox *ob;
	int64_t id;

	f->script = script_500;
	f->max_random = true;
	o.min_interval_ms = 0;
	o.backoff_base_ms = 100;
	o.backoff_cap_ms = 1000;
	o.max_attempts = 8;
	ob = new_outbox(f, st, &o);
	assert_int_equal(outbox_start(ob), 0);
	id = enqueue(ob, "slack:C1", "hello");
	run_all(f, ob);

	assert_int_equal(f->nrec, 8);
	for (size_t i = 1; i < f->nrec; i++) {
		assert_int_equal(f->recs[i].start - f->recs[i - 1].start, want[i - 1]);
		assert_int_equal(f->recs[i].attempt, (int)i + 1);
	}
	assert_int_equal(store_outbox_get(st, id, &row), 0);
	assert_int_equal(row.state, STORE_OUTBOX_FAILED);
	assert_int_equal(row.attempts, 8);
	assert_string_equal(row.last_error, "HTTP 500");
	store_outbox_row_clear(&row);
	check_counts(ob, 0, 1);
	outbox_free(ob);
	store_close(st);
}

/* With real jitter: every wait within [0, ceiling], and they vary. */
static void
test_backoff_jitter(void **state)
{
	enum { NMSG = 40, FAILS = 5 };
	struct fake *f = *state;
	struct store *st = open_mem();
	struct outbox_opts o = fake_opts(f);
	struct outbox *ob;
	int64_t ids[NMSG];
	int low[FAILS] = {0}, high[FAILS] = {0};
	char dest[32];

	f->script = script_fail_first;
	f->fail_first = FAILS;
	o.min_interval_ms = 0;
	o.backoff_base_ms = 1000;
	o.backoff_cap_ms = 10000;
	ob = new_outbox(f, st, &o);
	assert_int_equal(outbox_start(ob), 0);
	for (int i = 0; i < NMSG; i++) {
		snprintf(dest, sizeof dest, "slack:C%d", i);
		ids[i] = enqueue(ob, dest, "hi");
	}
	run_all(f, ob);
	check_counts(ob, 0, 0);
	for (int i = 0; i < NMSG; i++) {
		const struct rec *v[16] = {0};
		size_t n = sends_of(f, ids[i], v, 16);

		assert_int_equal(n, FAILS + 1);
		for (int a = 1; a <= FAILS; a++) {
			int64_t ceil = 1000LL << (a - 1), wait;

			if (ceil > 10000)
				ceil = 10000;
			wait = v[a]->start - v[a - 1]->end;
			assert_true(wait >= 0 && wait <= ceil);
			if (wait < ceil / 2)
				low[a - 1]++;
			else
				high[a - 1]++;
		}
		assert_int_equal(v[FAILS]->status, OUTBOX_OK);
	}
	/* Full jitter: both halves of the range are used at every attempt. */
	for (int a = 0; a < FAILS; a++)
		assert_true(low[a] > 5 && high[a] > 5);
	outbox_free(ob);
	store_close(st);
}

/* Max attempts: failed with the reason, listed, re-queued, then delivered. */
static void
test_max_attempts_then_retry(void **state)
{
	struct fake *f = *state;
	struct store *st = open_mem();
	struct outbox_opts o = fake_opts(f);
	struct store_outbox_row *rows = NULL, row;
	struct outbox *ob;
	int64_t id, other;
	size_t n = 0;

	f->script = script_500;
	o.max_attempts = 3;
	o.backoff_base_ms = 10;
	o.backoff_cap_ms = 100;
	ob = new_outbox(f, st, &o);
	assert_int_equal(outbox_start(ob), 0);
	id = enqueue(ob, "slack:C1", "first");
	run_all(f, ob);
	assert_int_equal(f->nrec, 3);
	check_counts(ob, 0, 1);

	assert_int_equal(store_outbox_failed(st, 10, &rows, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(rows[0].id, id);
	assert_int_equal(rows[0].attempts, 3);
	assert_string_equal(rows[0].last_error, "HTTP 500");
	assert_int_equal(strlen(rows[0].idem_key), 32);
	assert_string_equal(rows[0].idem_key, f->recs[0].key);
	store_outbox_rows_free(rows, n);

	/* Only failed rows can be retried. */
	assert_int_equal(outbox_retry(ob, id + 100), DRILL_ENOTFOUND);
	f->script = script_ok;
	other = enqueue(ob, "slack:C1", "second");
	run_all(f, ob);
	assert_int_equal(outbox_retry(ob, other), DRILL_ENOTFOUND);	/* sent */

	assert_int_equal(outbox_retry(ob, id), 0);
	check_counts(ob, 1, 0);
	run_all(f, ob);
	check_counts(ob, 0, 0);
	assert_int_equal(f->nrec, 5);
	assert_int_equal(f->recs[4].id, id);
	assert_int_equal(f->recs[4].attempt, 1);
	assert_string_equal(f->recs[4].key, f->recs[0].key);
	assert_int_equal(f->recs[4].status, OUTBOX_OK);
	assert_int_equal(store_outbox_get(st, id, &row), 0);
	assert_int_equal(row.state, STORE_OUTBOX_SENT);
	assert_string_equal(row.platform_message_id, "ts-4");
	store_outbox_row_clear(&row);
	outbox_free(ob);
	store_close(st);
}

/* A permanent error fails the message at once; the next one goes on. */
static void
test_permanent_failure(void **state)
{
	struct fake *f = *state;
	struct store *st = open_mem();
	struct outbox_opts o = fake_opts(f);
	struct store_outbox_row row;
	struct outbox *ob;
	int64_t bad, good;

	FILE *logf = tmpfile();
	char line[1024] = "";
	int saved;

	f->script = script_bad;
	ob = new_outbox(f, st, &o);
	assert_int_equal(outbox_start(ob), 0);
	bad = enqueue(ob, "slack:C1", "bad one: secret words");
	good = enqueue(ob, "slack:C1", "good one");
	/* The failure is logged with destination and reason, not the text. */
	assert_non_null(logf);
	fflush(stderr);
	saved = dup(2);
	dup2(fileno(logf), 2);
	log_set_level(LOGL_INFO);
	run_all(f, ob);
	log_set_level(LOGL_ERROR);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(logf);
	assert_non_null(fgets(line, sizeof line, logf));
	fclose(logf);
	assert_non_null(strstr(line, "warning"));
	assert_non_null(strstr(line, "destination=slack:C1"));
	assert_non_null(strstr(line, "reason=channel_not_found"));
	assert_null(strstr(line, "secret"));
	assert_int_equal(f->nrec, 2);
	assert_int_equal(f->recs[0].id, bad);
	assert_int_equal(f->recs[1].id, good);
	/* The next send still waited its interval. */
	assert_int_equal(f->recs[1].start - f->recs[0].start, 1000);
	assert_int_equal(store_outbox_get(st, bad, &row), 0);
	assert_int_equal(row.state, STORE_OUTBOX_FAILED);
	assert_int_equal(row.attempts, 1);
	assert_string_equal(row.last_error, "channel_not_found");
	store_outbox_row_clear(&row);
	check_counts(ob, 0, 1);
	outbox_free(ob);
	store_close(st);
}

/* Retry-After is honoured, capped by retry_after_max_ms, and not counted. */
static void
test_rate_limited(void **state)
{
	struct fake *f = *state;
	struct store *st = open_mem();
	struct outbox_opts o = fake_opts(f);
	struct store_outbox_row row;
	struct outbox *ob;
	int64_t a, b, c;

	f->script = script_429_once;
	f->retry_after = 7000;
	o.min_interval_ms = 0;
	o.max_attempts = 1;	/* a rate limit is no failed attempt */
	o.retry_after_max_ms = 60000;
	ob = new_outbox(f, st, &o);
	assert_int_equal(outbox_start(ob), 0);
	a = enqueue(ob, "slack:C1", "one");
	b = enqueue(ob, "slack:C2", "two ok");
	run_until(f, ob, f->now);
	/* C1 waits; C2 is not held up by it. */
	assert_int_equal(f->nrec, 2);
	assert_int_equal(f->recs[0].status, OUTBOX_RATE_LIMITED);
	assert_int_equal(f->recs[1].id, b);
	assert_int_equal(f->recs[1].status, OUTBOX_OK);
	assert_int_equal(store_outbox_get(st, a, &row), 0);
	assert_int_equal(row.state, STORE_OUTBOX_QUEUED);
	assert_int_equal(row.attempts, 0);
	assert_int_equal(row.next_at, f->recs[0].end + 7000);
	assert_string_equal(row.last_error, "ratelimited");
	store_outbox_row_clear(&row);
	run_all(f, ob);
	assert_int_equal(f->nrec, 3);
	assert_int_equal(f->recs[2].id, a);
	assert_int_equal(f->recs[2].start, f->recs[0].end + 7000);
	assert_int_equal(f->recs[2].attempt, 1);
	assert_int_equal(f->recs[2].status, OUTBOX_OK);

	/* An absurd delay is cut to retry_after_max_ms. */
	f->retry_after = 36000000;
	c = enqueue(ob, "slack:C3", "three");
	run_all(f, ob);
	assert_int_equal(f->nrec, 5);
	assert_int_equal(f->recs[4].id, c);
	assert_int_equal(f->recs[4].start - f->recs[3].end, 60000);
	check_counts(ob, 0, 0);
	outbox_free(ob);
	store_close(st);
}

/*
 * The crash between "sent" and "recorded": the platform took the message
 * but the outbox died before recording it. The row is left 'sending'; the
 * next start sends it again with the same idempotency key, which the
 * platform uses to drop the duplicate. The first send's late done is
 * ignored.
 */
static void
test_crash_resends_with_same_key(void **state)
{
	struct fake *f = *state;
	struct store *st = open_store(f);
	struct outbox_opts o = fake_opts(f);
	struct store_outbox_row row;
	struct outbox *ob;
	struct held late;
	int64_t id, other;

	f->script = script_hold;
	ob = new_outbox(f, st, &o);
	assert_int_equal(outbox_start(ob), 0);
	id = enqueue(ob, "slack:C1", "posted, never recorded");
	other = enqueue(ob, "slack:C1", "queued behind it");
	run_all(f, ob);
	assert_int_equal(f->nrec, 1);	/* the second waits for the first */
	assert_int_equal(f->nheld, 1);
	assert_int_equal(store_outbox_get(st, id, &row), 0);
	assert_int_equal(row.state, STORE_OUTBOX_SENDING);
	assert_int_equal(row.attempts, 1);
	store_outbox_row_clear(&row);

	/* "Crash": the outbox and the store go away with the send in flight. */
	late = f->held[0];
	f->nheld = 0;
	f->dests[0].inflight = 0;
	outbox_free(ob);
	store_close(st);
	uv_run(&f->loop, UV_RUN_DEFAULT);

	f->now += 5000;
	f->script = script_ok;
	st = open_store(f);
	ob = new_outbox(f, st, &o);
	assert_int_equal(outbox_start(ob), 0);
	run_all(f, ob);
	assert_int_equal(f->nrec, 3);
	assert_int_equal(f->recs[1].id, id);
	assert_string_equal(f->recs[1].key, f->recs[0].key);
	assert_int_equal(f->recs[1].attempt, 2);
	assert_int_equal(f->recs[2].id, other);
	assert_string_not_equal(f->recs[2].key, f->recs[0].key);
	check_counts(ob, 0, 0);

	/* The old adapter's done finally arrives: nothing changes. */
	late.res.status = OUTBOX_PERMANENT;
	late.res.error = "too late";
	late.done(late.token, &late.res);
	assert_int_equal(store_outbox_get(st, id, &row), 0);
	assert_int_equal(row.state, STORE_OUTBOX_SENT);
	assert_string_equal(row.platform_message_id, "ts-1");
	store_outbox_row_clear(&row);
	outbox_free(ob);
	store_close(st);
}

/* Rows queued before a restart (never sent) go out after it, in order. */
static void
test_restart_sends_queued(void **state)
{
	struct fake *f = *state;
	struct store *st = open_store(f);
	struct outbox_opts o = fake_opts(f);
	struct outbox *ob;
	int64_t ids[4];

	ob = new_outbox(f, st, &o);	/* never started */
	ids[0] = enqueue(ob, "slack:C1", "a");
	ids[1] = enqueue(ob, "slack:C2", "b");
	ids[2] = enqueue(ob, "slack:C1", "c");
	assert_false(outbox_wake_at(ob, NULL));
	outbox_tick(ob);	/* not started: does nothing */
	assert_int_equal(f->nrec, 0);
	outbox_free(ob);
	assert_int_equal(store_outbox_add(st, "slack", "slack:C1", "d", f->now,
	    &ids[3], NULL), 0);
	store_close(st);

	st = open_store(f);
	ob = new_outbox(f, st, &o);
	check_counts(ob, 4, 0);
	assert_int_equal(outbox_start(ob), 0);
	assert_int_equal(outbox_start(ob), DRILL_EINVAL);
	run_all(f, ob);
	check_counts(ob, 0, 0);
	assert_int_equal(f->nrec, 4);
	assert_int_equal(f->recs[0].id, ids[0]);
	assert_int_equal(f->recs[1].id, ids[1]);
	assert_int_equal(f->recs[2].id, ids[2]);
	assert_int_equal(f->recs[3].id, ids[3]);
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(f->recs[i].attempt, 1);
	outbox_free(ob);
	store_close(st);
}

/* A destination in backoff holds up only itself. */
static void
test_backoff_does_not_block_others(void **state)
{
	struct fake *f = *state;
	struct store *st = open_mem();
	struct outbox_opts o = fake_opts(f);
	struct outbox *ob;
	int64_t t0 = f->now;
	int stuck = 0, fine = 0;

	f->script = script_stuck;
	f->max_random = true;
	o.backoff_base_ms = 20000;
	o.backoff_cap_ms = 60000;
	ob = new_outbox(f, st, &o);
	assert_int_equal(outbox_start(ob), 0);
	(void)enqueue(ob, "slack:CSTUCK", "x1");
	(void)enqueue(ob, "slack:CSTUCK", "x2");
	for (int i = 0; i < 5; i++) {
		(void)enqueue(ob, "slack:CA", "a");
		(void)enqueue(ob, "slack:CB", "b");
	}
	run_until(f, ob, t0 + 10000);
	for (size_t i = 0; i < f->nrec; i++) {
		if (strcmp(f->recs[i].dest, "slack:CSTUCK") == 0)
			stuck++;
		else if (f->recs[i].status == OUTBOX_OK)
			fine++;
	}
	assert_int_equal(stuck, 1);	/* its retry is due at t0 + 20 s */
	assert_int_equal(fine, 10);
	check_counts(ob, 2, 0);
	run_until(f, ob, t0 + 25000);
	assert_int_equal(f->nrec, 12);
	assert_int_equal(f->recs[11].start, t0 + 20000);
	outbox_stop(ob);
	outbox_free(ob);
	store_close(st);
}

/*
 * A row for a platform with no send function (say, left from a run with
 * Matrix enabled) waits without holding up the others or spinning, and is
 * sent once the platform is back.
 */
static void
test_unregistered_platform_waits(void **state)
{
	struct fake *f = *state;
	struct store *st = open_mem();
	struct outbox_opts o = fake_opts(f);
	struct outbox *ob;
	int64_t t0 = f->now, m;

	assert_int_equal(store_outbox_add(st, "matrix", "matrix:!r:example.org",
	    "hi", t0, &m, NULL), 0);
	ob = new_outbox(f, st, &o);
	assert_int_equal(outbox_start(ob), 0);
	(void)enqueue(ob, "slack:C1", "one");
	(void)enqueue(ob, "slack:C1", "two");
	run_until(f, ob, t0 + 30000);
	assert_int_equal(f->nrec, 2);
	check_counts(ob, 1, 0);
	assert_int_equal(outbox_register(ob, "matrix", fake_send, f), 0);
	run_all(f, ob);
	assert_int_equal(f->nrec, 3);
	assert_int_equal(f->recs[2].id, m);
	assert_int_equal(f->recs[2].start, t0 + 60000);
	check_counts(ob, 0, 0);
	outbox_free(ob);
	store_close(st);
}

/* The real timer on the real clock, through uv_run. */
static void
test_real_loop(void **state)
{
	struct fake *f = *state;
	struct store *st = open_store(f);
	struct outbox_opts o;
	struct outbox *ob;

	outbox_opts_default(&o);
	o.min_interval_ms = 5;
	o.rate_per_sec = 1000;
	o.burst = 2;
	o.seed = 7;
	ob = new_outbox(f, st, &o);
	for (int i = 0; i < 6; i++)
		(void)enqueue(ob, i % 2 ? "slack:C1" : "slack:C2", "real");
	assert_int_equal(outbox_start(ob), 0);
	assert_true(outbox_wake_at(ob, NULL));
	/* Returns when the timer stops: nothing left to send. */
	assert_int_equal(uv_run(&f->loop, UV_RUN_DEFAULT), 0);
	assert_int_equal(f->nrec, 6);
	assert_false(outbox_wake_at(ob, NULL));
	check_counts(ob, 0, 0);
	outbox_free(ob);
	store_close(st);
}

/* ---- the drain at shutdown, on the real loop ---- */

struct drain {
	struct fake *f;
	struct outbox *ob;
	int calls;
	size_t left;		/* what the drained call said */
	uint64_t at;		/* uv_now when it came */
};

static void
on_drained(void *arg, size_t in_flight)
{
	struct drain *dr = arg;

	dr->calls++;
	dr->left = in_flight;
	dr->at = uv_now(&dr->f->loop);
	outbox_free(dr->ob);	/* allowed from here */
	dr->ob = NULL;
}

/* The platform ends the held send 30 ms into the drain. */
static void
on_late_done(uv_timer_t *t)
{
	struct fake *f = t->data;

	f->now += 30;
	complete(f, 0);
	uv_close((uv_handle_t *)t, NULL);
}

/*
 * SIGTERM's drain: with one send in flight, outbox_drain starts nothing
 * new and reports as soon as that send ends (and records it), well before
 * its timeout; with nothing in flight it reports at once; a send that
 * outlives the timeout stays 'sending' and goes out again, same key, at
 * the next start.
 */
static void
test_drain(void **state)
{
	struct fake *f = *state;
	struct store *st = open_store(f);
	struct outbox_opts o = fake_opts(f);
	struct store_outbox_row row;
	struct drain dr = { .f = f };
	uv_timer_t late;
	uint64_t t0;
	int64_t id, queued;

	/* 1. The send in flight ends during the drain. */
	f->script = script_hold;
	dr.ob = new_outbox(f, st, &o);
	assert_int_equal(outbox_start(dr.ob), 0);
	id = enqueue(dr.ob, "slack:C1", "in flight at SIGTERM");
	queued = enqueue(dr.ob, "slack:C1", "still queued at SIGTERM");
	run_all(f, dr.ob);
	assert_int_equal(f->nheld, 1);
	assert_int_equal(outbox_in_flight(dr.ob), 1);
	uv_update_time(&f->loop);
	t0 = uv_now(&f->loop);
	outbox_drain(dr.ob, 10000, on_drained, &dr);
	assert_int_equal(dr.calls, 0);	/* never from inside the call */
	assert_int_equal(uv_timer_init(&f->loop, &late), 0);
	late.data = f;
	assert_int_equal(uv_timer_start(&late, on_late_done, 30, 0), 0);
	assert_int_equal(uv_run(&f->loop, UV_RUN_DEFAULT), 0);
	assert_int_equal(dr.calls, 1);
	assert_int_equal(dr.left, 0);
	assert_true(dr.at - t0 < 5000);	/* not the timeout */
	assert_int_equal(f->nrec, 1);	/* the queued one was not started */
	assert_int_equal(store_outbox_get(st, id, &row), 0);
	assert_int_equal(row.state, STORE_OUTBOX_SENT);
	store_outbox_row_clear(&row);
	assert_int_equal(store_outbox_get(st, queued, &row), 0);
	assert_int_equal(row.state, STORE_OUTBOX_QUEUED);
	store_outbox_row_clear(&row);

	/* 2. Nothing in flight: reported at once, from the loop. */
	dr.calls = 0;
	dr.ob = new_outbox(f, st, &o);
	outbox_drain(dr.ob, 10000, on_drained, &dr);
	assert_int_equal(dr.calls, 0);
	assert_int_equal(uv_run(&f->loop, UV_RUN_DEFAULT), 0);
	assert_int_equal(dr.calls, 1);
	assert_int_equal(dr.left, 0);

	/* 3. A send that outlives the timeout stays 'sending'. */
	dr.calls = 0;
	f->nheld = 0;
	dr.ob = new_outbox(f, st, &o);
	assert_int_equal(outbox_start(dr.ob), 0);
	run_all(f, dr.ob);
	assert_int_equal(f->nrec, 2);
	assert_int_equal(f->recs[1].id, queued);
	uv_update_time(&f->loop);
	t0 = uv_now(&f->loop);
	outbox_drain(dr.ob, 40, on_drained, &dr);
	outbox_drain(dr.ob, 40, on_drained, &dr);	/* a second call does nothing */
	assert_int_equal(uv_run(&f->loop, UV_RUN_DEFAULT), 0);
	assert_int_equal(dr.calls, 1);
	assert_int_equal(dr.left, 1);
	assert_true(dr.at - t0 >= 40);
	assert_int_equal(store_outbox_get(st, queued, &row), 0);
	assert_int_equal(row.state, STORE_OUTBOX_SENDING);
	store_outbox_row_clear(&row);

	/* The adapter's late done, after the outbox is gone, changes nothing. */
	assert_int_equal(f->nheld, 1);
	f->held[0].res.status = OUTBOX_PERMANENT;
	f->held[0].done(f->held[0].token, &f->held[0].res);
	assert_int_equal(store_outbox_get(st, queued, &row), 0);
	assert_int_equal(row.state, STORE_OUTBOX_SENDING);
	store_outbox_row_clear(&row);

	/* ... and it goes out again with the same key at the next start. */
	f->nheld = 0;
	f->dests[0].inflight = 0;
	f->now += 1000;
	f->script = script_ok;
	dr.ob = new_outbox(f, st, &o);
	assert_int_equal(outbox_start(dr.ob), 0);
	run_all(f, dr.ob);
	assert_int_equal(f->nrec, 3);
	assert_int_equal(f->recs[2].id, queued);
	assert_string_equal(f->recs[2].key, f->recs[1].key);
	check_counts(dr.ob, 0, 0);
	outbox_free(dr.ob);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	store_close(st);
}

/*
 * How sends ended is written at the next wake-up, for all of them at once;
 * an outbox freed before that wake-up still writes it (a known outcome
 * must not turn into a repeat at the next start).
 */
static void
test_free_writes_ended(void **state)
{
	struct fake *f = *state;
	struct store *st = open_store(f);
	struct outbox_opts o = fake_opts(f);
	struct store_outbox_row row;
	struct outbox *ob;
	int64_t a, b;

	f->script = script_hold;
	ob = new_outbox(f, st, &o);
	assert_int_equal(outbox_start(ob), 0);
	a = enqueue(ob, "slack:C1", "one");
	b = enqueue(ob, "slack:C2", "two");
	run_all(f, ob);
	assert_int_equal(f->nheld, 2);
	complete(f, 1);
	complete(f, 0);
	assert_int_equal(store_outbox_get(st, a, &row), 0);
	assert_int_equal(row.state, STORE_OUTBOX_SENDING);	/* not yet written */
	store_outbox_row_clear(&row);
	outbox_free(ob);
	assert_int_equal(store_outbox_get(st, a, &row), 0);
	assert_int_equal(row.state, STORE_OUTBOX_SENT);
	store_outbox_row_clear(&row);
	assert_int_equal(store_outbox_get(st, b, &row), 0);
	assert_int_equal(row.state, STORE_OUTBOX_SENT);
	store_outbox_row_clear(&row);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	store_close(st);
}

/* Options are checked; names and calls misused are refused. */
static void
test_api_errors(void **state)
{
	struct fake *f = *state;
	struct store *st = open_store(f);
	struct outbox_opts o;
	struct outbox *ob = (struct outbox *)1;
	char err[DRILL_ERRLEN] = "";
	int64_t id;

	outbox_opts_default(&o);
	o.max_attempts = 0;
	assert_int_equal(outbox_new(&f->loop, st, &o, &ob, err), DRILL_EINVAL);
	assert_null(ob);
	assert_non_null(strstr(err, "max_attempts"));
	outbox_opts_default(&o);
	o.backoff_cap_ms = o.backoff_base_ms - 1;
	assert_int_equal(outbox_new(&f->loop, st, &o, &ob, err), DRILL_EINVAL);
	assert_non_null(strstr(err, "backoff_cap_ms"));
	outbox_opts_default(&o);
	o.rate_per_sec = -1;
	assert_int_equal(outbox_new(&f->loop, st, &o, &ob, err), DRILL_EINVAL);
	o.rate_per_sec = 2;
	o.burst = 0;
	assert_int_equal(outbox_new(&f->loop, st, &o, &ob, err), DRILL_EINVAL);
	assert_non_null(strstr(err, "burst"));

	assert_int_equal(outbox_new(&f->loop, st, NULL, &ob, err), 0);
	assert_int_equal(outbox_register(ob, "slack", fake_send, f), 0);
	assert_int_equal(outbox_register(ob, "slack", fake_send, f), DRILL_EEXIST);
	assert_int_equal(outbox_enqueue(ob, "matrix", "matrix:!r:x", "p", &id),
	    DRILL_ENOTFOUND);
	assert_int_equal(outbox_enqueue(ob, "slack", "", "p", &id), DRILL_EINVAL);
	assert_int_equal(outbox_enqueue(ob, "slack", "slack:C1", NULL, &id),
	    DRILL_EINVAL);
	outbox_free(ob);
	outbox_free(NULL);
	store_close(st);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_thousand_messages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_backoff_grows_and_caps, setup, teardown),
		cmocka_unit_test_setup_teardown(test_backoff_jitter, setup, teardown),
		cmocka_unit_test_setup_teardown(test_max_attempts_then_retry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_permanent_failure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rate_limited, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crash_resends_with_same_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_restart_sends_queued, setup, teardown),
		cmocka_unit_test_setup_teardown(test_backoff_does_not_block_others, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unregistered_platform_waits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_real_loop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_drain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_free_writes_ended, setup, teardown),
		cmocka_unit_test_setup_teardown(test_api_errors, setup, teardown),
	};

	log_init("test_outbox", LOGL_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
