/*
 * outbox.c - sends the outbox's rows on the libuv loop, behind
 * include/drill/outbox.h.
 *
 * The store holds the truth: every message is a row before anything is
 * sent, a row is claimed ('sending', committed) before its send starts, and
 * each send's end is recorded there. This file decides when to send: one
 * uv_timer wakes it at the next due time; each wake-up asks the store for
 * the due heads (the oldest pending row of each destination), skips the
 * destinations with a send in flight or still inside their minimum
 * interval, takes a token from the global bucket per send, and hands the
 * message to its platform's send function. Per-destination pacing and the
 * bucket live in memory only: after a restart the first send to a
 * destination may follow the last one of the previous run sooner than
 * min_interval_ms.
 *
 * It does not render, retry inside a send, time sends out (the adapter's
 * HTTP client does) or know any platform. It never prints; it logs failed
 * messages (destination and reason, never the payload) and store errors,
 * since nobody else sees them. Not thread-safe: the loop's thread only.
 */
#include "drill/outbox.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "drill/log.h"

#define ERROR_RETRY_MS 1000	/* after a store error, try again this much later */
#define PARK_MS 60000		/* a row for a platform with no send function waits */
#define TOKEN 1000000u		/* the bucket counts millionths of a send */
#define REASON_MAX 512		/* bytes of a platform's reason kept */
#define DAY_MS 86400000u
#define MAX_MS 0x7fffffffu	/* about 24 days: bound of the duration options */

struct platform {
	struct platform *next;
	char *name;
	outbox_send_fn send;
	void *arg;
};

/* A destination the outbox has sent to recently or is sending to. */
struct dest {
	struct dest *next;	/* hash chain */
	char *name;
	int64_t ready_at;	/* no send starts before (pacing, parking) */
	bool in_flight;
};

/* One started send: the token handed to the platform. */
struct send {
	struct send *prev, *next;
	struct outbox *ob;	/* NULL once the outbox is gone: done only frees */
	struct dest *d;
	struct platform *p;
	int64_t id;
	int attempt;
};

/*
 * A send that ended, kept until the next wake-up writes it together with
 * the others that ended meanwhile: one transaction, one disk sync, for
 * all of them (a sync per message held the loop ~1 ms each).
 */
struct ended {
	struct ended *next;
	struct send *s;		/* off the in-flight list; freed with this */
	enum outbox_status status;
	uint64_t retry_after_ms;
	char *error;		/* copies; NULL when none (or out of memory) */
	char *message_id;
	int64_t at;		/* when it ended */
};

struct outbox {
	uv_timer_t timer;
	struct store *st;
	struct outbox_opts o;
	struct platform *platforms;
	struct dest **buckets;
	size_t nbuckets, ndest;
	struct send *sends;	/* in flight */
	uint64_t tokens;	/* millionths of a send */
	uint64_t tokens_max;
	uint64_t refill;	/* millionths per ms; 0: no global limit */
	int64_t refilled_at;
	uint64_t rng;
	int64_t wake;		/* when the timer fires, when armed */
	bool armed, started, stopped, in_tick, kicked;
	/* outbox_drain: called once from the timer when the last send ends
	 * or the time is up, whichever comes first */
	outbox_drained_fn drained;
	void *drained_arg;
	size_t nsends;		/* in flight */
	struct ended *ended, **ended_tail;	/* in the order they ended */
};

void
outbox_opts_default(struct outbox_opts *o)
{
	memset(o, 0, sizeof *o);
	o->min_interval_ms = 1000;
	o->rate_per_sec = 10;
	o->burst = 20;
	o->backoff_base_ms = 1000;
	o->backoff_cap_ms = 300000;
	o->max_attempts = 8;
	o->retry_after_max_ms = 3600000;
	o->claim_ms = 600000;
	o->batch = 64;
}

static int64_t
wall_clock(void *arg)
{
	struct timespec ts;

	(void)arg;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* xorshift64*: the default random function, its state in the outbox. */
static uint32_t
xorshift(void *arg)
{
	struct outbox *ob = arg;
	uint64_t x = ob->rng;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	ob->rng = x;
	return (uint32_t)((x * 0x2545f4914f6cdd1dULL) >> 32);
}

static int64_t
now_ms(const struct outbox *ob)
{
	return ob->o.clock(ob->o.clock_arg);
}

static int64_t
min64(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

/* ---- destinations: a small hash table ---- */

static size_t
hash(const char *s, size_t nbuckets)
{
	uint64_t h = 0xcbf29ce484222325ULL;	/* FNV-1a */

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return (size_t)(h & (nbuckets - 1));
}

static struct dest *
dest_find(const struct outbox *ob, const char *name)
{
	struct dest *d;

	for (d = ob->buckets[hash(name, ob->nbuckets)]; d != NULL; d = d->next)
		if (strcmp(d->name, name) == 0)
			return d;
	return NULL;
}

/* Doubles the table; on failure it keeps the old one (chains get longer). */
static void
dest_grow(struct outbox *ob)
{
	size_t n = ob->nbuckets * 2;
	struct dest **nb, *d, *next;

	if ((nb = calloc(n, sizeof *nb)) == NULL)
		return;
	for (size_t i = 0; i < ob->nbuckets; i++) {
		for (d = ob->buckets[i]; d != NULL; d = next) {
			size_t h = hash(d->name, n);

			next = d->next;
			d->next = nb[h];
			nb[h] = d;
		}
	}
	free(ob->buckets);
	ob->buckets = nb;
	ob->nbuckets = n;
}

/* Adds a new destination, ready at once; NULL when out of memory. */
static struct dest *
dest_add(struct outbox *ob, const char *name)
{
	struct dest *d;
	size_t h;

	if ((d = calloc(1, sizeof *d)) == NULL)
		return NULL;
	if ((d->name = strdup(name)) == NULL) {
		free(d);
		return NULL;
	}
	if (ob->ndest >= ob->nbuckets)
		dest_grow(ob);
	h = hash(name, ob->nbuckets);
	d->next = ob->buckets[h];
	ob->buckets[h] = d;
	ob->ndest++;
	return d;
}

/* Forgets the destinations that are idle and ready: they behave as new. */
static void
dest_prune(struct outbox *ob, int64_t now)
{
	struct dest **pp, *d;

	for (size_t i = 0; i < ob->nbuckets; i++) {
		for (pp = &ob->buckets[i]; (d = *pp) != NULL;) {
			if (!d->in_flight && d->ready_at <= now) {
				*pp = d->next;
				free(d->name);
				free(d);
				ob->ndest--;
			} else {
				pp = &d->next;
			}
		}
	}
}

static void
dest_free_all(struct outbox *ob)
{
	struct dest *d, *next;

	for (size_t i = 0; ob->buckets != NULL && i < ob->nbuckets; i++) {
		for (d = ob->buckets[i]; d != NULL; d = next) {
			next = d->next;
			free(d->name);
			free(d);
		}
	}
	free(ob->buckets);
	ob->buckets = NULL;
	ob->ndest = 0;
}

static struct platform *
platform_find(const struct outbox *ob, const char *name)
{
	struct platform *p;

	for (p = ob->platforms; p != NULL; p = p->next)
		if (strcmp(p->name, name) == 0)
			return p;
	return NULL;
}

/* ---- the global token bucket ---- */

static void
bucket_refill(struct outbox *ob, int64_t now)
{
	uint64_t dt, room;

	if (ob->refill == 0)
		return;
	if (now > ob->refilled_at) {
		dt = (uint64_t)(now - ob->refilled_at);
		room = ob->tokens_max - ob->tokens;
		if (dt >= room / ob->refill + 1)
			ob->tokens = ob->tokens_max;
		else
			ob->tokens += dt * ob->refill;
		if (ob->tokens > ob->tokens_max)
			ob->tokens = ob->tokens_max;
	}
	/* A clock stepped back refills nothing for the step. */
	ob->refilled_at = now;
}

/*
 * True when one more send may start now, reserved sends of this wake-up
 * aside; else *when is when one may.
 */
static bool
bucket_ready(const struct outbox *ob, size_t reserved, int64_t now, int64_t *when)
{
	uint64_t need = (uint64_t)(reserved + 1) * TOKEN;

	if (ob->refill == 0 || ob->tokens >= need)
		return true;
	*when = now + (int64_t)((need - ob->tokens + ob->refill - 1) / ob->refill);
	return false;
}

static void
bucket_take(struct outbox *ob)
{
	if (ob->refill != 0)
		ob->tokens -= TOKEN;
}

/* ---- the timer ---- */

static void on_timer(uv_timer_t *t);

/* Sets the timer to fire at clock time at; INT64_MAX stops it. */
static void
arm(struct outbox *ob, int64_t at, int64_t now)
{
	if (!ob->started || ob->stopped)
		return;
	if (at == INT64_MAX) {
		uv_timer_stop(&ob->timer);
		ob->armed = false;
		return;
	}
	ob->wake = at;
	ob->armed = true;
	/* Cannot fail on an initialised timer with a callback. */
	(void)uv_timer_start(&ob->timer, on_timer,
	    at > now ? (uint64_t)(at - now) : 0, 0);
}

/*
 * Something changed (a row was queued or re-queued, a send ended): wake up
 * now. Inside a wake-up it only notes it, and the wake-up re-arms at now.
 */
static void
kick(struct outbox *ob)
{
	int64_t now;

	if (ob->in_tick) {
		ob->kicked = true;
		return;
	}
	now = now_ms(ob);
	arm(ob, now, now);
}

/* ---- results ---- */

/*
 * Copies a platform's reason into buf (REASON_MAX bytes): control
 * characters become spaces, so it cannot break a log line, and a long one
 * is cut at a character boundary.
 */
static const char *
clean_reason(const char *s, const char *fallback, char *buf)
{
	size_t n = 0;

	if (s == NULL || s[0] == '\0')
		s = fallback;
	for (; s[n] != '\0' && n < REASON_MAX - 1; n++) {
		unsigned char c = (unsigned char)s[n];

		buf[n] = c < 0x20 || c == 0x7f ? ' ' : (char)c;
	}
	/* Cut inside a UTF-8 sequence: drop its first part. */
	if (((unsigned char)s[n] & 0xc0) == 0x80) {
		while (n > 0 && ((unsigned char)buf[n - 1] & 0xc0) == 0x80)
			n--;
		if (n > 0)
			n--;
	}
	buf[n] = '\0';
	return buf;
}

/*
 * The backoff after attempt n: uniform in [0, min(cap, base * 2^(n-1))]
 * ("full jitter"), so that senders that failed together do not retry
 * together.
 */
static uint64_t
backoff(const struct outbox *ob, int attempt)
{
	uint64_t c = ob->o.backoff_base_ms;

	for (int i = 1; i < attempt && c < ob->o.backoff_cap_ms; i++)
		c *= 2;
	if (c > ob->o.backoff_cap_ms)
		c = ob->o.backoff_cap_ms;
	return c * (uint64_t)ob->o.random(ob->o.random_arg) / UINT32_MAX;
}

static int
fail(struct outbox *ob, const struct send *s, const char *reason)
{
	log_warnx("outbox: message failed platform=%s destination=%s id=%" PRId64
	    " attempts=%d reason=%s", s->p->name, s->d->name, s->id, s->attempt,
	    reason);
	return store_outbox_mark_failed(ob->st, s->id, reason);
}

/* Records how send s ended (r NULL counts as a transient failure). */
static void
record(struct outbox *ob, const struct send *s, const struct outbox_result *r,
    int64_t now)
{
	enum outbox_status status = r != NULL ? r->status : OUTBOX_TRANSIENT;
	const char *error = r != NULL ? r->error : NULL;
	char reason[REASON_MAX];
	uint64_t delay;
	int ret;

	switch (status) {
	case OUTBOX_OK:
		ret = store_outbox_mark_sent(ob->st, s->id, now, r->message_id);
		break;
	case OUTBOX_RATE_LIMITED:
		/* The platform's delay, or a backoff when it gave none; the
		 * attempt is given back: waiting is not failing. */
		delay = r->retry_after_ms > 0 ? r->retry_after_ms
		    : backoff(ob, s->attempt);
		if (delay > ob->o.retry_after_max_ms)
			delay = ob->o.retry_after_max_ms;
		log_info("outbox: rate limited platform=%s destination=%s id=%"
		    PRId64 " wait_ms=%" PRIu64, s->p->name, s->d->name, s->id, delay);
		ret = store_outbox_reschedule(ob->st, s->id, now + (int64_t)delay,
		    clean_reason(error, "rate limited", reason), true);
		break;
	case OUTBOX_PERMANENT:
		ret = fail(ob, s, clean_reason(error, "permanent error", reason));
		break;
	case OUTBOX_TRANSIENT:
	default:
		clean_reason(status == OUTBOX_TRANSIENT ? error : NULL,
		    status == OUTBOX_TRANSIENT ? "transient error"
		    : "invalid send result", reason);
		if (s->attempt >= ob->o.max_attempts) {
			ret = fail(ob, s, reason);
			break;
		}
		delay = backoff(ob, s->attempt);
		log_debug("outbox: send failed, retrying platform=%s destination=%s"
		    " id=%" PRId64 " attempt=%d wait_ms=%" PRIu64 " reason=%s",
		    s->p->name, s->d->name, s->id, s->attempt, delay, reason);
		ret = store_outbox_reschedule(ob->st, s->id, now + (int64_t)delay,
		    reason, false);
		break;
	}
	if (ret != DRILL_OK)
		log_warnx("outbox: cannot record the end of a send id=%" PRId64
		    " destination=%s: %s (it is sent again later)", s->id,
		    s->d->name, drill_strerror(ret));
}

static char *
dup_or_null(const char *v)
{
	return v != NULL ? strdup(v) : NULL;
}

/*
 * Writes how the sends that ended since the last wake-up ended, in one
 * transaction, and frees their destinations for their next message.
 */
static void
flush_ended(struct outbox *ob)
{
	struct ended *e, *next;
	bool tx;

	if (ob->ended == NULL)
		return;
	tx = store_begin(ob->st) == DRILL_OK;
	for (e = ob->ended; e != NULL; e = next) {
		struct outbox_result r = {e->status, e->message_id,
		    e->retry_after_ms, e->error};

		next = e->next;
		record(ob, e->s, &r, e->at);
		e->s->d->in_flight = false;
		free(e->s);
		free(e->error);
		free(e->message_id);
		free(e);
	}
	ob->ended = NULL;
	ob->ended_tail = &ob->ended;
	if (tx && store_commit(ob->st) != DRILL_OK)
		log_warnx("outbox: cannot record how sends ended (they are sent"
		    " again, with the same idempotency keys, when their claim lapses)");
}

/* The done function handed to platforms with each send. */
static void
on_done(void *token, const struct outbox_result *r)
{
	struct send *s = token;
	struct outbox *ob = s->ob;
	struct ended *e;

	if (ob == NULL) {	/* the outbox is gone; the row stays 'sending' */
		free(s);
		return;
	}
	if (s->prev != NULL)
		s->prev->next = s->next;
	else
		ob->sends = s->next;
	if (s->next != NULL)
		s->next->prev = s->prev;
	s->prev = s->next = NULL;
	ob->nsends--;
	if ((e = calloc(1, sizeof(*e))) == NULL) {
		record(ob, s, r, now_ms(ob));	/* alone, then */
		s->d->in_flight = false;
		free(s);
	} else {
		e->s = s;
		e->at = now_ms(ob);
		e->status = r != NULL ? r->status : OUTBOX_TRANSIENT;
		if (r != NULL) {
			e->retry_after_ms = r->retry_after_ms;
			e->error = dup_or_null(r->error);
			e->message_id = dup_or_null(r->message_id);
		}
		*ob->ended_tail = e;
		ob->ended_tail = &e->next;
	}
	if (ob->drained != NULL && ob->nsends == 0)
		(void)uv_timer_start(&ob->timer, on_timer, 0, 0);	/* report from the loop */
	kick(ob);
}

/* ---- sending ---- */

/* A row picked in a wake-up, to be claimed with the others and sent. */
struct pick {
	const struct store_outbox_row *r;
	struct dest *d;
	struct platform *p;
	struct send *s;
};

/* Starts the send of a claimed row (its attempt count in attempts). */
static void
begin_send(struct outbox *ob, const struct pick *k, int attempts)
{
	struct outbox_result res = {.status = OUTBOX_TRANSIENT,
	    .error = "the send could not start"};
	const struct store_outbox_row *r = k->r;
	struct send *s = k->s;
	struct outbox_msg m;

	int64_t t = now_ms(ob);

	/* Paced and counted from the clock as the send starts, not as the
	 * wake-up began: the claim, a committed write, took time, and the
	 * limits are about when messages go out. The wake-up reserved the
	 * token; time only adds tokens since. */
	k->d->ready_at = t + (int64_t)ob->o.min_interval_ms;
	bucket_refill(ob, t);
	bucket_take(ob);
	s->ob = ob;
	s->d = k->d;
	s->p = k->p;
	s->id = r->id;
	s->attempt = attempts;
	s->next = ob->sends;
	if (ob->sends != NULL)
		ob->sends->prev = s;
	ob->sends = s;
	ob->nsends++;

	m.id = r->id;
	m.platform = r->platform;
	m.destination = r->destination;
	m.idem_key = r->idem_key;
	m.payload = r->payload;
	m.thread_id = r->thread_id;
	m.attempt = attempts;
	/* s may be gone when send returns 0: done can come first. */
	if (k->p->send(k->p->arg, &m, on_done, s) != 0)
		on_done(s, &res);
}

/*
 * A row whose platform has no send function waits PARK_MS, in memory (its
 * destination counts as busy), and is looked at again then.
 */
static void
park(struct outbox *ob, const struct store_outbox_row *r, struct dest *d,
    int64_t now)
{
	if (d == NULL && (d = dest_add(ob, r->destination)) == NULL)
		return;
	d->ready_at = now + PARK_MS;
	log_warnx("outbox: no send function platform=%s destination=%s id=%"
	    PRId64 " (it waits)", r->platform, r->destination, r->id);
}

/*
 * One wake-up. First writes how the sends that ended since the last one
 * ended. Then asks for as many due heads as there are busy destinations
 * (in flight, pacing, parked) plus batch, so that at least batch of them
 * can start whatever the busy ones are; picks them in next_at order while
 * the bucket has tokens; claims the picks in one transaction and starts
 * their sends; then arms the timer for the earliest of: the next head's
 * next_at, a paced destination's end of interval, the bucket's next
 * token, or at once when there may be more due now.
 */
void
outbox_tick(struct outbox *ob)
{
	struct store_outbox_row *rows = NULL;
	struct pick *picks = NULL;
	int64_t *ids = NULL;
	int *attempts = NULL;
	size_t n = 0, limit, npick = 0, started = 0;
	int64_t now, wake = INT64_MAX, at;
	bool more = true;
	int ret;

	if (ob == NULL || ob->in_tick)
		return;
	flush_ended(ob);
	if (!ob->started || ob->stopped)
		return;
	ob->in_tick = true;
	ob->kicked = false;
	now = now_ms(ob);
	bucket_refill(ob, now);
	dest_prune(ob, now);
	limit = ob->ndest + ob->o.batch;
	if ((ret = store_outbox_due(ob->st, now, limit, &rows, &n)) != DRILL_OK) {
		log_warnx("outbox: cannot read the due messages: %s",
		    drill_strerror(ret));
		wake = now + ERROR_RETRY_MS;
		goto out;
	}
	if (n > 0 && ((picks = calloc(n, sizeof(*picks))) == NULL ||
	    (ids = calloc(n, sizeof(*ids))) == NULL ||
	    (attempts = calloc(n, sizeof(*attempts))) == NULL)) {
		wake = now + ERROR_RETRY_MS;
		goto out;
	}
	for (size_t i = 0; i < n && npick < ob->o.batch; i++) {
		const struct store_outbox_row *r = &rows[i];
		struct dest *d = dest_find(ob, r->destination);
		struct platform *p;
		struct send *snd;

		if (d != NULL && d->in_flight)
			continue;	/* its end kicks */
		if (d != NULL && d->ready_at > now) {
			wake = min64(wake, d->ready_at);
			continue;
		}
		if ((p = platform_find(ob, r->platform)) == NULL) {
			park(ob, r, d, now);
			continue;
		}
		if (r->thread_row != 0 && r->thread_id == NULL) {
			/* its thread root failed (it went first): a reply to
			 * nothing would read as out of context */
			if (store_outbox_mark_failed(ob->st, r->id, "the first "
			    "message of its thread was never posted") != DRILL_OK)
				wake = min64(wake, now + ERROR_RETRY_MS);
			else
				log_warnx("outbox: message failed: its thread was never "
				    "posted id=%" PRId64 " destination=%s", r->id,
				    r->destination);
			wake = min64(wake, now);
			continue;
		}
		if (!bucket_ready(ob, npick, now, &at)) {
			wake = min64(wake, at);
			more = false;
			break;
		}
		if ((d == NULL && (d = dest_add(ob, r->destination)) == NULL) ||
		    (snd = calloc(1, sizeof(*snd))) == NULL) {
			wake = min64(wake, now + ERROR_RETRY_MS);
			more = false;
			break;
		}
		d->in_flight = true;
		picks[npick] = (struct pick){r, d, p, snd};
		ids[npick++] = r->id;
	}
	if (npick > 0 && (ret = store_outbox_claim(ob->st, ids, npick, now,
	    now + (int64_t)ob->o.claim_ms, attempts)) != DRILL_OK) {
		log_warnx("outbox: cannot claim messages to send count=%zu: %s",
		    npick, drill_strerror(ret));
		for (size_t i = 0; i < npick; i++)
			attempts[i] = 0;
		wake = min64(wake, now + ERROR_RETRY_MS);
		more = false;
	}
	for (size_t i = 0; i < npick; i++) {
		if (attempts[i] == 0) {	/* not claimed: taken, or the store failed */
			picks[i].d->in_flight = false;
			free(picks[i].s);
			continue;
		}
		begin_send(ob, &picks[i], attempts[i]);
		started++;
	}
	if (more && (n == limit || npick >= ob->o.batch))
		wake = now;
	ret = store_outbox_next_at(ob->st, now, &at);
	if (ret == DRILL_OK) {
		wake = min64(wake, at);
	} else if (ret != DRILL_ENOTFOUND) {
		log_warnx("outbox: cannot read the next due time: %s",
		    drill_strerror(ret));
		wake = min64(wake, now + ERROR_RETRY_MS);
	}
out:
	free(picks);
	free(ids);
	free(attempts);
	store_outbox_rows_free(rows, n);
	ob->in_tick = false;
	if (ob->kicked)
		wake = now;
	(void)started;
	arm(ob, wake, now);
}

static void
on_timer(uv_timer_t *t)
{
	struct outbox *ob = t->data;
	outbox_drained_fn fn = ob->drained;

	ob->armed = false;
	if (fn != NULL) {	/* draining: the last send ended, or time is up */
		flush_ended(ob);
		ob->drained = NULL;
		fn(ob->drained_arg, ob->nsends);
		return;
	}
	outbox_tick(ob);
}

bool
outbox_wake_at(const struct outbox *ob, int64_t *at)
{
	if (ob == NULL || !ob->armed)
		return false;
	if (at != NULL)
		*at = ob->wake;
	return true;
}

/* ---- life cycle ---- */

static int
check_opts(const struct outbox_opts *o, char *err)
{
	const char *bad = NULL;

	if (o->min_interval_ms > DAY_MS)
		bad = "min_interval_ms: at most one day";
	else if (!(o->rate_per_sec >= 0 && o->rate_per_sec <= 1e6))
		bad = "rate_per_sec: from 0 (no limit) to 1000000";
	else if (o->rate_per_sec > 0 && o->rate_per_sec < 0.001)
		bad = "rate_per_sec: at least 0.001 when not 0";
	else if (o->rate_per_sec > 0 && (o->burst < 1 || o->burst > 1000000))
		bad = "burst: from 1 to 1000000";
	else if (o->backoff_base_ms < 1 || o->backoff_base_ms > MAX_MS)
		bad = "backoff_base_ms: from 1 ms to 24 days";
	else if (o->backoff_cap_ms < o->backoff_base_ms || o->backoff_cap_ms > MAX_MS)
		bad = "backoff_cap_ms: from backoff_base_ms to 24 days";
	else if (o->max_attempts < 1 || o->max_attempts > 1000)
		bad = "max_attempts: from 1 to 1000";
	else if (o->retry_after_max_ms < 1 || o->retry_after_max_ms > MAX_MS)
		bad = "retry_after_max_ms: from 1 ms to 24 days";
	else if (o->claim_ms < 1000 || o->claim_ms > MAX_MS)
		bad = "claim_ms: from 1 s to 24 days";
	else if (o->batch < 1 || o->batch > 10000)
		bad = "batch: from 1 to 10000";
	if (bad == NULL)
		return DRILL_OK;
	drill_seterr(err, "outbox: %s", bad);
	return DRILL_EINVAL;
}

int
outbox_new(uv_loop_t *loop, struct store *st, const struct outbox_opts *opts,
    struct outbox **out, char *err)
{
	struct outbox *ob;
	struct outbox_opts def;
	int ret;

	if (out != NULL)
		*out = NULL;
	if (loop == NULL || st == NULL || out == NULL) {
		drill_seterr(err, "outbox_new: invalid arguments");
		return DRILL_EINVAL;
	}
	if (opts == NULL) {
		outbox_opts_default(&def);
		opts = &def;
	}
	if ((ret = check_opts(opts, err)) != DRILL_OK)
		return ret;
	if ((ob = calloc(1, sizeof *ob)) == NULL)
		goto nomem;
	ob->st = st;
	ob->ended_tail = &ob->ended;
	ob->o = *opts;
	if (ob->o.clock == NULL)
		ob->o.clock = wall_clock;
	if (ob->o.random == NULL) {
		ob->o.random = xorshift;
		ob->o.random_arg = ob;
		ob->rng = ob->o.seed;
		if (ob->rng == 0 && uv_random(NULL, NULL, &ob->rng, sizeof ob->rng,
		    0, NULL) != 0)
			ob->rng = uv_hrtime();
		if (ob->rng == 0)
			ob->rng = 0x9e3779b97f4a7c15ULL;
	}
	if (ob->o.rate_per_sec > 0) {
		/* per second -> millionths per millisecond */
		ob->refill = (uint64_t)(ob->o.rate_per_sec * 1000.0 + 0.5);
		ob->tokens_max = (uint64_t)ob->o.burst * TOKEN;
		ob->tokens = ob->tokens_max;
	}
	ob->nbuckets = 16;
	if ((ob->buckets = calloc(ob->nbuckets, sizeof *ob->buckets)) == NULL)
		goto nomem;
	if (uv_timer_init(loop, &ob->timer) != 0) {
		drill_seterr(err, "outbox: cannot create its timer");
		free(ob->buckets);
		free(ob);
		return DRILL_EIO;
	}
	ob->timer.data = ob;
	*out = ob;
	return DRILL_OK;
nomem:
	if (ob != NULL)
		free(ob->buckets);
	free(ob);
	drill_seterr(err, "out of memory");
	return DRILL_ENOMEM;
}

static void
on_close(uv_handle_t *h)
{
	free(h->data);
}

void
outbox_free(struct outbox *ob)
{
	struct platform *p, *pnext;
	struct send *s, *snext;

	if (ob == NULL)
		return;
	flush_ended(ob);	/* what is known is written, not sent again */
	for (s = ob->sends; s != NULL; s = snext) {
		snext = s->next;
		s->ob = NULL;
		s->prev = s->next = NULL;
	}
	ob->sends = NULL;
	ob->nsends = 0;
	ob->drained = NULL;	/* a drain under way ends without its call */
	for (p = ob->platforms; p != NULL; p = pnext) {
		pnext = p->next;
		free(p->name);
		free(p);
	}
	ob->platforms = NULL;
	dest_free_all(ob);
	ob->stopped = true;
	ob->armed = false;
	uv_timer_stop(&ob->timer);
	uv_close((uv_handle_t *)&ob->timer, on_close);
}

int
outbox_register(struct outbox *ob, const char *platform, outbox_send_fn send,
    void *arg)
{
	struct platform *p;

	if (ob == NULL || platform == NULL || platform[0] == '\0' || send == NULL)
		return DRILL_EINVAL;
	if (platform_find(ob, platform) != NULL)
		return DRILL_EEXIST;
	if ((p = calloc(1, sizeof *p)) == NULL)
		return DRILL_ENOMEM;
	if ((p->name = strdup(platform)) == NULL) {
		free(p);
		return DRILL_ENOMEM;
	}
	p->send = send;
	p->arg = arg;
	p->next = ob->platforms;
	ob->platforms = p;
	kick(ob);
	return DRILL_OK;
}

int
outbox_start(struct outbox *ob)
{
	int64_t n = 0, now;
	int ret;

	if (ob == NULL || ob->started)
		return DRILL_EINVAL;
	now = now_ms(ob);
	if ((ret = store_outbox_recover(ob->st, now, &n)) != DRILL_OK)
		return ret;
	if (n > 0)
		log_info("outbox: sending again the messages whose send may have"
		    " happened count=%" PRId64, n);
	ob->started = true;
	arm(ob, now, now);
	return DRILL_OK;
}

void
outbox_stop(struct outbox *ob)
{
	if (ob == NULL)
		return;
	ob->stopped = true;
	ob->armed = false;
	uv_timer_stop(&ob->timer);
}

void
outbox_drain(struct outbox *ob, uint64_t timeout_ms, outbox_drained_fn fn,
    void *arg)
{
	if (ob == NULL || fn == NULL || ob->drained != NULL)
		return;
	outbox_stop(ob);
	if (ob->nsends > 0)
		log_info("outbox: waiting for sends in flight count=%zu timeout_ms=%"
		    PRIu64, ob->nsends, timeout_ms);
	ob->drained = fn;
	ob->drained_arg = arg;
	(void)uv_timer_start(&ob->timer, on_timer, ob->nsends > 0 ? timeout_ms : 0, 0);
}

size_t
outbox_in_flight(const struct outbox *ob)
{
	return ob != NULL ? ob->nsends : 0;
}

int
outbox_enqueue(struct outbox *ob, const char *platform, const char *destination,
    const char *payload, int64_t *id)
{
	return outbox_enqueue_reply(ob, platform, destination, NULL, 0, NULL, payload, id);
}

int
outbox_enqueue_reply(struct outbox *ob, const char *platform,
    const char *destination, const char *thread_id, int64_t thread_row,
    const char *recipient, const char *payload, int64_t *id)
{
	int64_t row;
	int ret;

	if (ob == NULL || platform == NULL || destination == NULL ||
	    destination[0] == '\0' || payload == NULL)
		return DRILL_EINVAL;
	if (platform_find(ob, platform) == NULL)
		return DRILL_ENOTFOUND;
	ret = store_outbox_add_reply(ob->st, platform, destination, thread_id,
	    thread_row, recipient, payload, now_ms(ob), &row, NULL);
	if (ret != DRILL_OK)
		return ret;
	if (id != NULL)
		*id = row;
	kick(ob);
	return DRILL_OK;
}

int
outbox_retry(struct outbox *ob, int64_t id)
{
	int ret;

	if (ob == NULL)
		return DRILL_EINVAL;
	if ((ret = store_outbox_requeue(ob->st, id, now_ms(ob))) != DRILL_OK)
		return ret;
	log_info("outbox: failed message queued again id=%" PRId64, id);
	kick(ob);
	return DRILL_OK;
}

int
outbox_counts(struct outbox *ob, int64_t *queued, int64_t *failed)
{
	struct store_outbox_counts c;
	int ret;

	if (ob == NULL)
		return DRILL_EINVAL;
	if ((ret = store_outbox_counts(ob->st, &c)) != DRILL_OK)
		return ret;
	if (queued != NULL)
		*queued = c.queued + c.sending;
	if (failed != NULL)
		*failed = c.failed;
	return DRILL_OK;
}
