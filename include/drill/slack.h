/*
 * slack.h - the Slack adapter: drilld in a Slack workspace, over Socket
 * Mode (a websocket drilld opens, no public URL) or the Events API
 * (webhooks on drilld's HTTP server), with the Web API for everything it
 * says.
 *
 * Inbound. Every delivery becomes a platform event (slackev.h) handed to
 * opts.on_event, which runs the engine and returns its result; only when
 * that is 0 (the event and everything it caused are stored) is the
 * delivery acknowledged - the envelope's ack over Socket Mode, HTTP 200
 * over the Events API. A failure leaves it unacknowledged, so Slack
 * delivers it again; de-duplication keys make every repeat harmless.
 *  - Socket Mode: apps.connections.open with the app token, one websocket
 *    per opts.connections; a connection counts once Slack's "hello"
 *    came. "disconnect" (warning, refresh_requested): a new connection is
 *    opened first and the old one closed once the new one is live;
 *    link_disabled: reconnect after 5 minutes. A connection that fails or
 *    goes quiet (a ping every 10 s, hang-up after 30 s of silence) is
 *    replaced after a backoff of 1 s doubling to 60 s, with full jitter,
 *    reset by a hello. Envelopes are acknowledged on the connection they
 *    came on; one that cannot be read (bad JSON, an unknown type) is
 *    acknowledged and dropped, since it would not be better next time. A
 *    message over opts.max_message closes the connection (ws.h).
 *  - Events API: POST /slack/events, /slack/commands and
 *    /slack/interactivity on the HTTP server. Each request's v0 signature
 *    is checked first (slacksig.h: 401 for a bad one or a timestamp more
 *    than 5 minutes off); then a body that is not JSON (or a form) is 400,
 *    url_verification is answered with its challenge, ssl_check with 200.
 *    A body over http.max_body is the HTTP server's 413. Until auth.test
 *    has named the bot, event_callback deliveries are answered 503 (Slack
 *    sends them again): mentions and joins depend on the bot's id.
 *  - Slash commands are answered at once, in the acknowledgement
 *    (ephemeral: only the person sees it, even where the bot is not a
 *    member), except practice, next and skip in a channel, whose question
 *    is a thread root posted for everyone, and `my data`, too long for one
 *    message: those go through the outbox (what a command posts for
 *    everyone, such as `ask now`'s question, always does).
 *  - App Home (app_home_opened): the engine's summary is published with
 *    views.publish.
 *  - The author's time zone comes from users.info, asked once a day per
 *    person, never holding up an event: the answer goes to opts.on_zone,
 *    and later events carry it in user_timezone.
 *
 * Outbound, slack_send is the outbox's send function for "slack": a
 * message to a channel is chat.postMessage (thread_ts for a thread), to
 * one person in a channel chat.postEphemeral, a DM chat.postMessage into
 * the conversation conversations.open gives (remembered), a replacement
 * (platform_dest.replace: a question closed at its reveal) chat.update of
 * the message its thread id names. Outcomes, for
 * the outbox: HTTP 429, "ratelimited" and "rate_limited" (too many
 * messages from the app) are rate limits with Slack's Retry-After; 5xx,
 * network failures and Slack's internal_error, fatal_error,
 * service_unavailable and request_timeout are transient; a payload that
 * is not JSON and any other error are permanent, logged once per error
 * and conversation with what to do, and told to opts.on_problem.
 * invalid_auth, not_authed, token_revoked, token_expired,
 * account_inactive and not_allowed_token_type (the token is dead or not a
 * bot token) instead mark the adapter failed, once, in the log and to
 * opts.on_problem: not ready, nothing more is sent or connected until a
 * restart with a good token, and every message for Slack waits in the
 * outbox meanwhile (an hour's rate limit at a time, costing no attempt).
 *
 * Start-up: auth.test names the bot (its own messages are ignored by that
 * id); while Slack cannot be reached it is retried with backoff and the
 * daemon serves everything else meanwhile. Readiness ("slack" on /readyz):
 * ready once auth.test answered and, in Socket Mode, a connection is live.
 *
 * Proxies: Web API calls honour https_proxy / HTTPS_PROXY / no_proxy
 * (httpc.h). The Socket Mode websocket has no proxy setting of drilld's;
 * libwebsockets 4.1 itself reads lower-case http_proxy when drilld starts
 * and tries to tunnel through it, which is not supported: leave it unset
 * in Socket Mode (README, "Slack").
 *
 * Slack has no idempotency key: when a kept-alive connection breaks before
 * the answer, libcurl sends a post again (httpc.h), and a message may then
 * show twice. drilld accepts that rather than lose one.
 *
 * Tokens and the signing secret are copied and wiped at slack_free; they
 * never reach a log line or an error message. Message text reaches the log
 * only at debug level. Everything runs on the loop's thread.
 */
#ifndef DRILL_SLACK_H
#define DRILL_SLACK_H

#include <stdbool.h>
#include <stddef.h>

#include <uv.h>

#include "drill/common.h"
#include "drill/outbox.h"
#include "drill/platform.h"

struct slack;
struct net;
struct http;

/* The largest Socket Mode message drilld takes (Slack's are a few KB). */
#define SLACK_MAX_MESSAGE (4u * 1024u * 1024u)

struct slack_opts {
	bool socket_mode;		/* Socket Mode, else the Events API */
	const char *api_url;		/* "https://slack.com/api/", ending in '/' */
	const char *bot_token;		/* xoxb- */
	const char *app_token;		/* xapp-, Socket Mode */
	const char *signing_secret;	/* Events API */
	int connections;		/* Socket Mode websockets, 1..10 */
	size_t max_message;		/* largest websocket message taken */
	/*
	 * Runs the engine on ev: 0 when the event and all it caused are
	 * stored (the delivery is then acknowledged), else an error. reply
	 * is non-NULL when the answer is wanted at once (slash commands
	 * answered in the acknowledgement, App Home): pass it to the engine.
	 */
	int (*on_event)(void *arg, const struct platform_event *ev,
	    platform_reply_fn reply, void *reply_arg);
	/* users.info told a person's IANA zone ("slack:U0123ABCD"). */
	void (*on_zone)(void *arg, const char *person, const char *zone);
	/* A permanent failure worth an admin's attention: one line, no secrets. */
	void (*on_problem)(void *arg, const char *line);
	void *arg;
};

/*
 * A new adapter on loop: Socket Mode connects through net's lws context
 * (needed then); the Events API serves on http (needed then). Nothing
 * starts before slack_start. Returns NULL with err filled (bad options,
 * out of memory).
 */
struct slack *slack_new(uv_loop_t *loop, struct net *net, struct http *http,
    const struct slack_opts *opts, char err[DRILL_ERRLEN]);

/* Starts: auth.test, then the websockets (Socket Mode); the routes (Events API). */
int slack_start(struct slack *s, char err[DRILL_ERRLEN]) DRILL_WUR;

/*
 * Stops connecting and sending: websockets close, requests in flight are
 * cancelled (a send in flight ends transient, and the outbox sends it at
 * the next start). Call before net_stop. Calling it again does nothing.
 */
void slack_stop(struct slack *s);

/*
 * Frees it; NULL is fine. Only after slack_stop and the loop's end (its
 * timers are closed then), before net_free.
 */
void slack_free(struct slack *s);

/* Its adapter for router_add ("slack", ephemeral messages, render). */
const struct platform_adapter *slack_adapter(struct slack *s);

/* The outbox send function for "slack"; arg is the adapter. */
int slack_send(void *arg, const struct outbox_msg *m, outbox_done_fn done,
    void *token);

/*
 * One word for drillctl status: "starting" (before auth.test answered),
 * "connecting", "live", "failed", "stopped"; "off" for NULL.
 */
const char *slack_state(const struct slack *s);

#endif
