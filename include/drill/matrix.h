/*
 * matrix.h - the Matrix adapter: drilld as a bot account (client mode:
 * /sync long polls) or as an application service (the homeserver pushes
 * transactions to drilld's HTTP server), sending through the client-server
 * API either way.
 *
 * Inbound. Every event becomes a platform event (matrixev.h) handed to
 * opts.on_event, which runs the engine and returns 0 once the event and
 * all it caused are stored (its event id is the de-duplication key).
 *  - Client mode: /account/whoami at start with matrix.access_token, or
 *    without one the token an earlier log-in gave (kept in the store); with
 *    a password and no token at all, or a token the server no longer
 *    knows, /login first (the same device each time), and the token it
 *    gives is kept and used until the next start; a filter
 *    that keeps what the bot needs; /sync long polls (30 s, 90 s request
 *    timeout) through libcurl on the loop. The since token is stored only
 *    after every event of the batch it covers was stored, so a crash
 *    replays a batch (its events are dropped as repeats) and skips
 *    nothing. The first sync with no token answers nothing of the past.
 *    Invites are joined when matrix.auto_join allows the inviter (a user
 *    id, their server, or "*") and refused (left) otherwise; the bot
 *    introduces itself once where it joins, and leaves a room where it is
 *    the last member.
 *  - Application service: PUT /_matrix/app/v1/transactions/{txnId},
 *    authenticated by hs_token (Authorization: Bearer, and the legacy
 *    access_token query parameter; when both are given both must match):
 *    none is 401 M_UNAUTHORIZED, a wrong one 403 M_FORBIDDEN. A
 *    transaction is answered 200 once all its events are stored (500
 *    otherwise: the homeserver sends it again); the same txnId twice is
 *    handled once (its id and a digest of its body are kept with the
 *    events seen, for a day; the events' own ids de-duplicate beyond). POST
 *    /_matrix/app/v1/ping is 200 {}; GET /_matrix/app/v1/users/{userId}
 *    is 200 {} for the bot's own user and 404 M_NOT_FOUND for the rest,
 *    as is /rooms/{alias}.
 *  - Encrypted rooms: the bot cannot read them; it says so once per room
 *    (in plain words, unencrypted) and logs it.
 *
 * Outbound, matrix_send is the outbox's send function for "matrix": a
 * message is PUT /rooms/{room}/send/m.room.message/{txnId} with the
 * outbox's idempotency key as txnId, so a retry after a crash never
 * duplicates. A thread reply carries an m.thread relation (with the
 * reply fallback for clients without threads); a replacement
 * (platform_dest.replace) is an m.replace edit; a DM goes to the room
 * remembered for the person (m.direct, kept in the store) or to one
 * created with is_direct, then added to m.direct (read, merged, written
 * back: other clients' entries stay). Outcomes, for the
 * outbox: 429 / M_LIMIT_EXCEEDED are rate limits (retry_after_ms, or
 * Retry-After); 5xx and network failures are transient; M_UNKNOWN_TOKEN
 * logs in again when a password is configured (transient; a token refused
 * right after its log-in is not tried again), else the adapter fails: not
 * ready, a log line saying what to fix, opts.on_problem told, and every
 * message for Matrix waits in the outbox (an hour's rate limit at a time,
 * costing no attempt) for a restart with a working configuration; other
 * 4xx are permanent, logged once per error and room and told to
 * opts.on_problem - except M_FORBIDDEN for a DM, whose room the person
 * left: a new DM room is made at the next attempt.
 *
 * /sync refused with a 4xx (a since token or filter the server no longer
 * takes) starts over without them, answering nothing of the past; refused
 * three times in a row, the adapter fails. What the store keeps for
 * Matrix (since, DM rooms, device, a logged-in token) belongs to one
 * account and homeserver: a config naming another drops it at start, and
 * a token whoami says is another user's fails the adapter.
 *
 * The application service's routes stay on the HTTP server with the
 * adapter as their argument: the server must not serve after matrix_free
 * (drilld frees the adapters after net_stop and the loop's end).
 *
 * Readiness ("matrix" on /readyz): ready once whoami answered (and, in
 * client mode, the first sync came back). Tokens and the password never
 * reach a log line; message text only at debug level. Everything runs on
 * the loop's thread.
 */
#ifndef DRILL_MATRIX_H
#define DRILL_MATRIX_H

#include <stdbool.h>
#include <stddef.h>

#include <uv.h>

#include "drill/common.h"
#include "drill/outbox.h"
#include "drill/platform.h"

struct matrix;
struct http;
struct store;
struct config;

struct matrix_opts {
	bool appservice;		/* application service, else client mode */
	const char *homeserver;		/* "https://matrix.example.org" (no '/' at the end) */
	const char *user_id;		/* the bot, "@drilld:example.org" */
	const char *access_token;	/* client mode; may be NULL with a password */
	const char *password;		/* client mode; NULL: no log-in */
	const char *as_token;		/* appservice */
	const char *hs_token;		/* appservice */
	char *const *auto_join;		/* who may invite the bot (config.h) */
	size_t nauto_join;
	struct store *store;		/* the sync token, DM rooms, a logged-in token */
	/* as slack_opts.on_event */
	int (*on_event)(void *arg, const struct platform_event *ev,
	    platform_reply_fn reply, void *reply_arg);
	void (*on_problem)(void *arg, const char *line);
	void *arg;
	/* how the adapter itself says something in a room (that it cannot
	 * read an encrypted one): router_post, through the outbox */
	platform_post_fn post;
	void *post_arg;
};

/*
 * A new adapter on loop; the application service serves on http (needed
 * then). Nothing starts before matrix_start. NULL with err filled.
 */
struct matrix *matrix_new(uv_loop_t *loop, struct http *http,
    const struct matrix_opts *opts, char err[DRILL_ERRLEN]);
int matrix_start(struct matrix *m, char err[DRILL_ERRLEN]) DRILL_WUR;
/* Stops polling and sending (sends in flight end transient). Again: nothing. */
void matrix_stop(struct matrix *m);
/* After matrix_stop and the loop's end; NULL is fine. */
void matrix_free(struct matrix *m);

/* Its adapter for router_add ("matrix", no ephemeral messages, edits, render). */
const struct platform_adapter *matrix_adapter(struct matrix *m);
/* The outbox send function for "matrix"; arg is the adapter. */
int matrix_send(void *arg, const struct outbox_msg *msg, outbox_done_fn done,
    void *token);
/* "starting", "live", "failed", "stopped"; "off" for NULL. */
const char *matrix_state(const struct matrix *m);

/*
 * The application service registration YAML for cfg's matrix group (id,
 * url, both tokens, the sender's localpart, an exclusive namespace of the
 * bot's own user), for the homeserver's admin. Returns a string the
 * caller frees (it holds secrets: wipe it), or NULL (not in appservice
 * mode, or no memory).
 */
char *matrix_registration(const struct config *cfg);

#endif
