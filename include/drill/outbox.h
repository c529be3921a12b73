/*
 * outbox.h - every outbound chat message is a stored row first, then a send.
 *
 * The engine (or anyone) enqueues a platform-rendered payload for a
 * destination; the outbox writes it to the store and sends it later on the
 * libuv loop through the send function its platform registered, with:
 *
 *  - order: one message in flight per destination, and a destination's
 *    messages go out in the order they were queued (a message waits until
 *    every earlier one to that destination is sent or has failed);
 *  - pacing: at least min_interval_ms between the starts of two sends to
 *    one destination, and a global token bucket (rate_per_sec, burst) over
 *    all sends;
 *  - retries: a transient failure is retried after a backoff with full
 *    jitter, uniform in [0, min(backoff_cap_ms, backoff_base_ms * 2^(n-1))]
 *    after the n-th attempt, until max_attempts attempts, then the message
 *    fails with the last error;
 *  - rate limits: a rate-limited send makes its destination wait the
 *    platform's delay (Slack's Retry-After, Matrix's retry_after_ms; when
 *    the platform gives none, a backoff as above), at most
 *    retry_after_max_ms; the attempt is given back, so rate limits alone
 *    never fail a message;
 *  - permanent failures: failed at once with the platform's reason;
 *  - crashes: each row is claimed (state 'sending', committed) before its
 *    send starts; at the next start, rows left 'sending' are sent again
 *    with the same idempotency key, which platforms that support one
 *    (Matrix txnId) use to drop the duplicate.
 *
 * Disk syncs are what holds the loop (each SQLite commit is one), so a
 * wake-up claims all the rows it starts in one transaction, and how sends
 * ended is kept in memory and written at the next wake-up, all in one
 * transaction (or by outbox_drain / outbox_free, before they report).
 * A crash in between leaves those rows 'sending': see above.
 *
 * Times are Unix milliseconds from the clock function (injectable, as is
 * the random function, for tests). One uv_timer wakes the outbox at the
 * next due time. Strings handed to callbacks are borrowed for the call.
 */
#ifndef DRILL_OUTBOX_H
#define DRILL_OUTBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "drill/common.h"
#include "drill/store.h"

struct outbox;

/* A message to send, borrowed for the send call: copy what you keep. */
struct outbox_msg {
	int64_t id;		/* the outbox row */
	const char *platform;
	const char *destination;	/* conversation name, "matrix:!room:example.org" */
	const char *idem_key;	/* the same on every attempt of this message */
	const char *payload;	/* as enqueued */
	const char *thread_id;	/* post in this thread (a platform message id), or NULL */
	int attempt;		/* 1 on the first try; more: an earlier try may have landed */
};

enum outbox_status {
	OUTBOX_OK = 0,		/* posted */
	OUTBOX_TRANSIENT,	/* failed, worth retrying (5xx, timeout, network) */
	OUTBOX_RATE_LIMITED,	/* 429 or the platform's equivalent */
	OUTBOX_PERMANENT	/* will never work (no such channel, bad payload) */
};

/* How a send ended; borrowed for the done call. */
struct outbox_result {
	enum outbox_status status;
	const char *message_id;	/* OUTBOX_OK: the platform's message id, or NULL */
	uint64_t retry_after_ms;	/* OUTBOX_RATE_LIMITED: the platform's delay, 0 if none */
	const char *error;	/* otherwise: a short reason, no message text; may be NULL */
};

/* Reports the end of a send; called exactly once per started send. */
typedef void (*outbox_done_fn)(void *token, const struct outbox_result *r);

/*
 * A platform's send function: starts sending m and returns 0, then later
 * (or before returning) calls done(token, result) exactly once, also when
 * the adapter shuts down with the send unfinished (then OUTBOX_TRANSIENT).
 * A non-zero return means nothing was started and done is never called;
 * the outbox counts it as a transient failure.
 */
typedef int (*outbox_send_fn)(void *arg, const struct outbox_msg *m,
    outbox_done_fn done, void *token);

struct outbox_opts {
	uint64_t min_interval_ms;	/* per destination, between send starts; 1000 */
	double rate_per_sec;	/* global sends per second, 0 = unlimited; 10 */
	unsigned burst;		/* global bucket size; 20 */
	uint64_t backoff_base_ms;	/* 1000 */
	uint64_t backoff_cap_ms;	/* 300000 (5 min) */
	int max_attempts;	/* transient failures before a message fails; 8 */
	uint64_t retry_after_max_ms;	/* longest platform-given delay honoured; 3600000 */
	uint64_t claim_ms;	/* a 'sending' row's claim on the store; 600000 */
	unsigned batch;		/* sends started per wake-up at most; 64 */
	/* Now in Unix milliseconds; NULL: the system's real-time clock. */
	int64_t (*clock)(void *arg);
	void *clock_arg;
	/* 32 uniformly random bits; NULL: an internal generator seeded with
	 * seed, or from the OS when seed is 0. */
	uint32_t (*random)(void *arg);
	void *random_arg;
	uint64_t seed;
};

/* Fills *o with the defaults above. */
void outbox_opts_default(struct outbox_opts *o);

/*
 * Creates an outbox sending the rows of st on loop (both borrowed; they
 * outlive the outbox). opts NULL means the defaults. On success *out is the
 * caller's (outbox_free). DRILL_EINVAL (err says which option is wrong) or
 * DRILL_ENOMEM.
 */
int outbox_new(uv_loop_t *loop, struct store *st, const struct outbox_opts *opts,
    struct outbox **out, char *err) DRILL_WUR;
/*
 * Stops and releases the outbox: sends still in flight stay 'sending' in
 * the store (re-sent at the next start) and their later done calls are
 * ignored. The memory goes when the loop next runs (the timer's close
 * callback). Not from inside a send or done call. NULL does nothing.
 */
void outbox_free(struct outbox *ob);

/*
 * Registers platform's send function (name copied; arg borrowed), before
 * outbox_start: a due row whose platform has none waits a minute (its
 * destination only) and is looked at again. DRILL_EEXIST when the
 * platform already has one.
 */
int outbox_register(struct outbox *ob, const char *platform,
    outbox_send_fn send, void *arg) DRILL_WUR;

/*
 * Recovers the rows a previous run left 'sending' (due now, same key) and
 * starts sending. Once per outbox: DRILL_EINVAL the second time.
 */
int outbox_start(struct outbox *ob) DRILL_WUR;
/* Starts no more sends; in-flight ones still record how they ended. */
void outbox_stop(struct outbox *ob);

/* Reports the end of outbox_drain: in_flight sends had not ended (0: all did). */
typedef void (*outbox_drained_fn)(void *arg, size_t in_flight);
/*
 * The first half of a clean shutdown: stops starting sends (outbox_stop)
 * and calls fn(arg, n) once, from the loop, as soon as no send is in flight
 * or timeout_ms after the call, whichever comes first; fn may call
 * outbox_free. Sends still in flight then stay 'sending' and are sent
 * again at the next start. Does nothing when fn is NULL or a drain is
 * already under way.
 */
void outbox_drain(struct outbox *ob, uint64_t timeout_ms, outbox_drained_fn fn,
    void *arg);
/* Sends started and not yet ended. */
size_t outbox_in_flight(const struct outbox *ob);

/*
 * Stores a message for destination on a registered platform and wakes the
 * outbox; *id (may be NULL) receives its row id. Strings are copied into
 * the store. Inside store_begin the row becomes visible at the commit.
 * DRILL_ENOTFOUND for a platform with no send function.
 */
int outbox_enqueue(struct outbox *ob, const char *platform,
    const char *destination, const char *payload, int64_t *id) DRILL_WUR;
/*
 * outbox_enqueue for a reply in a thread: thread_id when the platform's
 * thread id is known, or thread_row, an earlier message to the same
 * destination that starts the thread: the send gets its platform id as
 * thread_id (it went first), and fails ("never posted") when that message
 * failed or was sent without a platform id (so platforms must give one for
 * messages that start threads). DRILL_EINVAL when thread_row is not a
 * message to destination. recipient: the one person the message is for,
 * or NULL (store_outbox_add_reply).
 */
int outbox_enqueue_reply(struct outbox *ob, const char *platform,
    const char *destination, const char *thread_id, int64_t thread_row,
    const char *recipient, const char *payload, int64_t *id) DRILL_WUR;
/* Queues failed message id again (attempts from 0, same key);
 * DRILL_ENOTFOUND unless it exists and failed. */
int outbox_retry(struct outbox *ob, int64_t id) DRILL_WUR;
/* Messages waiting or in flight (*queued) and failed (*failed); either may be NULL. */
int outbox_counts(struct outbox *ob, int64_t *queued, int64_t *failed) DRILL_WUR;

/*
 * Does the timer's work now: starts every send that is due and allowed,
 * then re-arms the timer. For tests with a fake clock, and harmless at any
 * time.
 */
void outbox_tick(struct outbox *ob);
/* When the timer will next fire (clock time, *at); false when idle. */
bool outbox_wake_at(const struct outbox *ob, int64_t *at);

#endif
