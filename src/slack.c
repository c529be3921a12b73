/*
 * slack.c - the Slack adapter; see slack.h.
 *
 * Three parts: the Web API (every call one httpc request, its answer
 * classified the way the outbox counts outcomes), inbound deliveries
 * (Socket Mode envelopes and Events API webhooks, both turned into
 * platform events by slackev.c), and the Socket Mode connections.
 */
#include "drill/slack.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "drill/command.h"
#include "drill/adapt.h"
#include "drill/http.h"
#include "drill/httpc.h"
#include "drill/jsonv.h"
#include "drill/log.h"
#include "drill/render.h"
#include "drill/slackev.h"
#include "drill/slacksig.h"
#include "drill/ws.h"

#define JSON_DEPTH 64
#define JSON_OUT (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

#define PING_MS 10000u		/* a ping on a quiet websocket */
#define HANGUP_MS 30000u	/* no frame for this long: the connection is dead */
#define BACKOFF_MIN_MS 1000u
#define BACKOFF_MAX_MS 60000u	/* reconnects */
#define AUTH_BACKOFF_MAX_MS 300000u	/* auth.test while Slack is unreachable */
#define LINK_DISABLED_MS 300000u	/* Socket Mode switched off in the app */
#define RETRY_AFTER_MAX_S 3600u
#define ZONE_TTL_S 86400	/* users.info once a day per person */
#define ZONE_RETRY_S 3600	/* and an hour after it failed */
#define FAILED_WAIT_MS 3600000u	/* a message for a failed adapter waits */
#define CACHE_MAX 4096		/* people whose zone / DM is remembered */
#define VIEW_BLOCKS_MAX 100	/* Slack's limit for a Home view */
#define MSG_BLOCKS_MAX 50	/* and for a message */
#define ID_MAX 64		/* a Slack id or ts in our caches */
/* In a payload: the message replaces the one its thread id names (chat.update). */
#define REPLACE_KEY "drilld_replace"

struct slack;
struct api_call;

/* How a Web API call ended, in the outbox's terms. */
struct api_result {
	enum outbox_status status;
	struct json_object *body;	/* the answer, when OUTBOX_OK */
	const char *error;		/* Slack's error, or what failed */
	uint64_t retry_after_ms;	/* OUTBOX_RATE_LIMITED */
	bool fatal;			/* the token is dead */
};

typedef void (*api_done_fn)(struct api_call *c, const struct api_result *r);

/* One Web API call and what its answer is for. */
struct api_call {
	struct slack *s;
	uint64_t id;
	char method[48];
	api_done_fn done;
	/* a send: the outbox's done, and the message while a DM opens */
	outbox_done_fn odone;
	void *otoken;
	char *payload;
	char *thread_id;
	char person[ID_MAX];	/* the DM's person (bare id), or "" */
	char dest[300];		/* the outbox destination, for logs */
	struct sconn *conn;	/* apps.connections.open: the connection it is for */
	struct api_call *prev, *next;
};

enum sconn_state {
	SC_OPENING = 0,	/* apps.connections.open in flight */
	SC_CONNECTING,	/* websocket handshake, then waiting for hello */
	SC_LIVE,	/* hello came */
	SC_RETIRING	/* Slack asked for a new connection; closes once one is live */
};

/* One Socket Mode connection. */
struct sconn {
	struct slack *s;
	int id;
	enum sconn_state state;
	struct api_call *open_call;
	struct ws_conn *ws;
	bool closing;		/* ws_close called */
	struct sconn *next;
};

struct zone_entry {
	char user[ID_MAX];
	char tz[65];
	int64_t at;		/* when asked; 0: never answered */
	bool pending;
};

struct dm_entry {
	char user[ID_MAX];
	char channel[ID_MAX];
};

struct slack {
	uv_loop_t *loop;
	struct net *net;
	struct http *http;
	struct httpc *httpc;
	struct slack_opts o;	/* strings below are our copies */
	char *api_url, *bot_token, *app_token, *secret;
	struct platform_adapter adapter;

	bool started, stopping, authed, failed, socket_failed;
	const char *fail_reason;	/* static text, for /readyz */
	char *self_user, *self_bot;

	uv_timer_t auth_timer, sm_timer;
	bool timers_init;
	uint64_t auth_backoff_ms;
	uint64_t sm_backoff_ms;
	bool sm_waiting;	/* sm_timer armed: no new connection before it fires */

	struct api_call *calls;
	struct sconn *conns;
	int next_conn_id;

	struct zone_entry *zones;
	size_t nzones;
	struct dm_entry *dms;
	size_t ndms;
	struct adapt_once told;	/* permanent failures already told */
	uint64_t rng;
};

/* ---- little helpers ---------------------------------------------------- */

static bool
id_ok(const char *s)
{
	size_t n = 0;

	if (s == NULL)
		return false;
	for (; s[n] != '\0'; n++)
		if (!((s[n] >= 'A' && s[n] <= 'Z') || (s[n] >= 'a' && s[n] <= 'z') ||
		    (s[n] >= '0' && s[n] <= '9') || s[n] == '.' || s[n] == '_' || s[n] == '-'))
			return false;
	return n > 0 && n < ID_MAX;
}

static void
ready_update(struct slack *s)
{
	bool live = false;
	const char *why;

	for (struct sconn *c = s->conns; c != NULL; c = c->next)
		if (c->state == SC_LIVE || c->state == SC_RETIRING)
			live = true;
	if (s->failed)
		why = s->fail_reason;
	else if (!s->authed)
		why = "waiting for Slack's auth.test";
	else if (s->o.socket_mode && s->socket_failed)
		why = s->fail_reason;
	else if (s->o.socket_mode && !live)
		why = "no Socket Mode connection";
	else
		why = NULL;
	if (http_ready_set(s->http, "slack", why == NULL, why) != 0)
		log_warnx("cannot report slack's readiness");
}

/* ---- the Web API --------------------------------------------------------- */

static const char *const transient_errors[] = {
	"internal_error", "fatal_error", "service_unavailable", "request_timeout",
	"team_added_to_org", NULL
};
static const char *const fatal_errors[] = {
	"invalid_auth", "not_authed", "token_revoked", "token_expired",
	"account_inactive", "not_allowed_token_type", NULL
};

static bool
in(const char *const *list, const char *s)
{
	for (; *list != NULL; list++)
		if (strcmp(*list, s) == 0)
			return true;
	return false;
}

/* Retry-After in seconds as a delay; 0 when absent or not a number. */
static uint64_t
retry_after(const struct httpc_response *res)
{
	const char *v = httpc_header(res, "Retry-After");
	uint64_t n = 0;

	if (v == NULL)
		return 0;
	for (; *v >= '0' && *v <= '9'; v++)
		if ((n = n * 10 + (uint64_t)(*v - '0')) > RETRY_AFTER_MAX_S)
			n = RETRY_AFTER_MAX_S;
	return n * 1000;
}

static void
unlink_call(struct slack *s, struct api_call *c)
{
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		s->calls = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	c->prev = c->next = NULL;
}

static void
call_free(struct api_call *c)
{
	if (c == NULL)
		return;
	free(c->payload);
	free(c->thread_id);
	free(c);
}

static void
on_api(void *arg, const struct httpc_response *res)
{
	struct api_call *c = arg;
	struct slack *s = c->s;
	struct api_result r = {.status = OUTBOX_TRANSIENT};
	struct json_object *body = NULL, *ok;
	const char *err;
	char what[96];

	unlink_call(s, c);
	if (res->err != 0) {
		snprintf(what, sizeof(what), "%s", httpc_strerror(res->err));
		r.error = what;
	} else if (res->status == 429) {
		r.status = OUTBOX_RATE_LIMITED;
		r.retry_after_ms = retry_after(res);
		r.error = "ratelimited";
	} else if (res->status >= 500) {
		snprintf(what, sizeof(what), "HTTP %ld from Slack", res->status);
		r.error = what;
	} else if (res->status != 200) {
		snprintf(what, sizeof(what), "HTTP %ld from Slack", res->status);
		r.status = OUTBOX_PERMANENT;
		r.error = what;
	} else if (jsonv_parse(res->body, res->len, JSON_DEPTH, &body, NULL) != 0 ||
	    !json_object_is_type(body, json_type_object) ||
	    !json_object_object_get_ex(body, "ok", &ok) ||
	    !json_object_is_type(ok, json_type_boolean)) {
		r.error = "an answer from Slack that is not its JSON";
	} else if (json_object_get_boolean(ok)) {
		r.status = OUTBOX_OK;
		r.body = body;
	} else if ((err = jsonv_str(body, "error", 80)) == NULL) {
		r.status = OUTBOX_PERMANENT;
		r.error = "an error Slack did not name";
	} else {
		snprintf(what, sizeof(what), "%s", err);
		r.error = what;
		if (strcmp(err, "ratelimited") == 0 || strcmp(err, "rate_limited") == 0) {
			r.status = OUTBOX_RATE_LIMITED;
			r.retry_after_ms = retry_after(res);
		} else if (!in(transient_errors, err)) {
			r.status = OUTBOX_PERMANENT;
			r.fatal = in(fatal_errors, err);
		}
	}
	c->done(c, &r);
	json_object_put(body);
	call_free(c);
}

/*
 * Starts Web API method with a JSON body (form NULL) or a form body, with
 * the bot token (or the app token). c (caller-allocated, with done set) is
 * owned by the call from here: its done runs exactly once, or, when
 * starting failed, never (c is freed then and the error returned).
 */
static int
api_start(struct slack *s, struct api_call *c, const char *method, bool app_token,
    struct json_object *json, const char *form)
{
	const char *token = app_token ? s->app_token : s->bot_token;
	char url[1200], err[DRILL_ERRLEN], *auth;
	const char *headers[2];
	const char *body;
	size_t len, authlen;
	int rc;

	c->s = s;
	snprintf(c->method, sizeof(c->method), "%s", method);
	if (s->stopping || s->httpc == NULL) {
		call_free(c);
		return DRILL_EINVAL;
	}
	if ((size_t)snprintf(url, sizeof(url), "%s%s", s->api_url, method) >= sizeof(url)) {
		log_warnx("slack: the Web API URL is too long for %s", method);
		call_free(c);
		return DRILL_EINVAL;
	}
	authlen = strlen(token) + 32;
	if ((auth = malloc(authlen)) == NULL) {
		call_free(c);
		return DRILL_ENOMEM;
	}
	snprintf(auth, authlen, "Authorization: Bearer %s", token);
	if (json != NULL) {
		size_t n;
		body = json_object_to_json_string_length(json, JSON_OUT, &n);
		len = n;
		headers[1] = "Content-Type: application/json; charset=utf-8";
	} else {
		body = form != NULL ? form : "";
		len = strlen(body);
		headers[1] = "Content-Type: application/x-www-form-urlencoded";
	}
	headers[0] = auth;
	if (body == NULL) {
		adapt_wipe_free(auth);
		call_free(c);
		return DRILL_ENOMEM;
	}
	struct httpc_request rq = {
		.method = "POST", .url = url, .headers = headers, .nheaders = 2,
		.body = body, .body_len = len,
	};
	rc = httpc_start(s->httpc, &rq, on_api, c, &c->id, err);
	adapt_wipe_free(auth);
	if (rc != 0) {
		log_warnx("slack: cannot call %s: %s", method, err);
		call_free(c);
		return rc;
	}
	c->next = s->calls;
	if (s->calls != NULL)
		s->calls->prev = c;
	s->calls = c;
	return 0;
}

static struct api_call *
call_new(api_done_fn done)
{
	struct api_call *c = calloc(1, sizeof(*c));

	if (c != NULL)
		c->done = done;
	return c;
}

/* ---- permanent failures: told once, with what to do ---------------------- */

static void fail_adapter(struct slack *s, const char *error);

static void
problem(struct slack *s, const char *where, const char *error)
{
	char key[400], line[600];
	const char *dest = where;

	snprintf(key, sizeof(key), "%s %s", error, where);
	if (!adapt_once_first(&s->told, key))
		return;
	if (strcmp(error, "channel_not_found") == 0)
		snprintf(line, sizeof(line), "Slack cannot find %s (channel_not_found): the "
		    "channel does not exist, or it is private and the bot is not in it. "
		    "Invite the bot (/invite @drilld) or correct the name; `drillctl outbox "
		    "retry ID` sends the message again.", dest);
	else if (strcmp(error, "not_in_channel") == 0)
		snprintf(line, sizeof(line), "The bot is not in %s (not_in_channel): invite "
		    "it with /invite @drilld, then `drillctl outbox retry ID`.", dest);
	else if (strcmp(error, "is_archived") == 0)
		snprintf(line, sizeof(line), "%s is archived (is_archived): unarchive it or "
		    "remove its schedule.", dest);
	else if (strcmp(error, "missing_scope") == 0)
		snprintf(line, sizeof(line), "The Slack app lacks a scope it needs to post to "
		    "%s (missing_scope): add the scopes of config/slack-app-manifest.yml and "
		    "reinstall the app.", dest);
	else
		snprintf(line, sizeof(line), "Slack refused a message to %s (%s); it will not "
		    "be retried.", dest, error);
	log_error("slack: %s", line);
	if (s->o.on_problem != NULL)
		s->o.on_problem(s->o.arg, line);
}

/* The bot token is dead: nothing more goes out or connects. */
static void
fail_adapter(struct slack *s, const char *error)
{
	if (s->failed)
		return;
	s->failed = true;
	s->fail_reason = "Slack refused the bot token";
	log_error("slack: Slack refused the bot token (%s): the app was uninstalled, or "
	    "the token revoked or wrong. Set a new slack.bot_token (xoxb-...) and restart "
	    "drilld; until then nothing is sent to Slack.", error);
	if (s->o.on_problem != NULL)
		s->o.on_problem(s->o.arg, "Slack refused the bot token: nothing is sent to "
		    "Slack until drilld restarts with a new slack.bot_token.");
	for (struct sconn *c = s->conns; c != NULL; c = c->next)
		if (c->ws != NULL && !c->closing) {
			c->closing = true;
			ws_close(c->ws, WS_CLOSE_NORMAL, "token refused");
		}
	ready_update(s);
}

/* ---- sending: the outbox's send function --------------------------------- */

static void
send_done(struct api_call *c, const struct api_result *r)
{
	struct outbox_result res = {.status = r->status, .error = r->error,
	    .retry_after_ms = r->retry_after_ms};
	bool ephemeral = strcmp(c->method, "chat.postEphemeral") == 0;

	if (r->status == OUTBOX_OK) {
		res.message_id = jsonv_str(r->body, ephemeral ? "message_ts" : "ts", 255);
		log_debug("slack: posted %s destination=%s ts=%s", c->method, c->dest,
		    res.message_id != NULL ? res.message_id : "-");
	} else if (r->status == OUTBOX_PERMANENT) {
		if (r->fatal) {
			fail_adapter(c->s, r->error);
			res.status = OUTBOX_RATE_LIMITED;	/* it waits for a restart */
			res.retry_after_ms = FAILED_WAIT_MS;
		} else {
			problem(c->s, c->dest, r->error);
		}
	} else {
		log_info("slack: %s to %s failed for now (%s); the outbox tries again",
		    c->method, c->dest, r->error);
	}
	c->odone(c->otoken, &res);
}

/* Posts c's payload into channel (c owned from here). */
static int
post(struct slack *s, struct api_call *c, const char *channel)
{
	struct json_object *o = NULL, *user;
	bool ephemeral;
	int rc;

	if (jsonv_parse(c->payload, strlen(c->payload), JSON_DEPTH, &o, NULL) != 0 ||
	    !json_object_is_type(o, json_type_object)) {
		/* it will never be better: failed, not retried */
		struct outbox_result r = {.status = OUTBOX_PERMANENT,
		    .error = "the payload is not a JSON object"};
		json_object_put(o);
		c->odone(c->otoken, &r);
		call_free(c);
		return 0;
	}
	if (json_object_object_get_ex(o, REPLACE_KEY, NULL)) {
		/* an edit of the message the thread id names */
		json_object_object_del(o, REPLACE_KEY);
		if (c->thread_id == NULL) {
			struct outbox_result r = {.status = OUTBOX_PERMANENT,
			    .error = "an edit without the message it edits"};
			json_object_put(o);
			c->odone(c->otoken, &r);
			call_free(c);
			return 0;
		}
		if (!jsonv_put_str(o, "channel", channel) ||
		    !jsonv_put_str(o, "ts", c->thread_id)) {
			json_object_put(o);
			call_free(c);
			return DRILL_ENOMEM;
		}
		c->done = send_done;
		rc = api_start(s, c, "chat.update", false, o, NULL);
		json_object_put(o);
		return rc;
	}
	ephemeral = json_object_object_get_ex(o, "user", &user);
	if (!jsonv_put_str(o, "channel", channel) ||
	    (c->thread_id != NULL && !jsonv_put_str(o, "thread_ts", c->thread_id)) ||
	    (!ephemeral && (!jsonv_put(o, "unfurl_links", json_object_new_boolean(0)) ||
	    !jsonv_put(o, "unfurl_media", json_object_new_boolean(0))))) {
		json_object_put(o);
		call_free(c);
		return DRILL_ENOMEM;
	}
	c->done = send_done;
	rc = api_start(s, c, ephemeral ? "chat.postEphemeral" : "chat.postMessage", false,
	    o, NULL);
	json_object_put(o);
	return rc;
}

static const char *
dm_find(struct slack *s, const char *user)
{
	for (size_t i = 0; i < s->ndms; i++)
		if (strcmp(s->dms[i].user, user) == 0)
			return s->dms[i].channel;
	return NULL;
}

static void
dm_keep(struct slack *s, const char *user, const char *channel)
{
	struct dm_entry *d;

	if (dm_find(s, user) != NULL || !id_ok(user) || !id_ok(channel))
		return;
	if (s->ndms == CACHE_MAX)
		s->ndms = 0;	/* bounded: start over */
	d = &s->dms[s->ndms++];
	snprintf(d->user, sizeof(d->user), "%s", user);
	snprintf(d->channel, sizeof(d->channel), "%s", channel);
}

/* conversations.open answered: the DM's channel, then the message. */
static void
dm_opened(struct api_call *c, const struct api_result *r)
{
	struct slack *s = c->s;
	struct api_call *p;
	struct json_object *ch = NULL;
	const char *id;
	struct outbox_result res = {.status = OUTBOX_TRANSIENT, .error = "out of memory"};

	if (r->status != OUTBOX_OK) {
		send_done(c, r);
		return;
	}
	json_object_object_get_ex(r->body, "channel", &ch);
	if (!id_ok(id = jsonv_str(ch, "id", ID_MAX - 1))) {
		struct api_result bad = {.status = OUTBOX_TRANSIENT,
		    .error = "conversations.open gave no channel"};
		send_done(c, &bad);
		return;
	}
	dm_keep(s, c->person, id);
	/* the message goes on in a call of its own; c is freed by on_api */
	if ((p = call_new(send_done)) == NULL || (p->payload = strdup(c->payload)) == NULL ||
	    (c->thread_id != NULL && (p->thread_id = strdup(c->thread_id)) == NULL)) {
		call_free(p);
		c->odone(c->otoken, &res);
		return;
	}
	p->odone = c->odone;
	p->otoken = c->otoken;
	snprintf(p->dest, sizeof(p->dest), "%s", c->dest);
	if (post(s, p, id) != 0) {
		res.error = "cannot start chat.postMessage";
		c->odone(c->otoken, &res);
	}
}

int
slack_send(void *arg, const struct outbox_msg *m, outbox_done_fn done, void *token)
{
	struct slack *s = arg;
	struct api_call *c;
	const char *id;

	if (s == NULL || m == NULL || m->destination == NULL || m->payload == NULL ||
	    strncmp(m->destination, "slack:", 6) != 0)
		return DRILL_EINVAL;
	if (s->failed) {
		/* not lost: it waits (a rate limit costs no attempt) for a restart */
		struct outbox_result r = {.status = OUTBOX_RATE_LIMITED,
		    .error = "Slack refused the bot token", .retry_after_ms = FAILED_WAIT_MS};
		done(token, &r);
		return 0;
	}
	if (s->stopping)
		return DRILL_EINVAL;
	id = m->destination + 6;
	if (!id_ok(id)) {
		struct outbox_result r = {.status = OUTBOX_PERMANENT,
		    .error = "not a Slack conversation id"};
		done(token, &r);
		return 0;
	}
	if ((c = call_new(send_done)) == NULL || (c->payload = strdup(m->payload)) == NULL ||
	    (m->thread_id != NULL && (c->thread_id = strdup(m->thread_id)) == NULL)) {
		call_free(c);
		return DRILL_ENOMEM;
	}
	c->odone = done;
	c->otoken = token;
	snprintf(c->dest, sizeof(c->dest), "%s", m->destination);
	log_debug("slack: sending row=%lld destination=%s attempt=%d", (long long)m->id,
	    m->destination, m->attempt);
	if (id[0] == 'U' || id[0] == 'W') {
		/* a person: their DM with the bot */
		const char *dm = dm_find(s, id);
		struct json_object *o;
		int rc;
		if (dm != NULL)
			return post(s, c, dm);
		snprintf(c->person, sizeof(c->person), "%s", id);
		c->done = dm_opened;
		if ((o = json_object_new_object()) == NULL || !jsonv_put_str(o, "users", id)) {
			json_object_put(o);
			call_free(c);
			return DRILL_ENOMEM;
		}
		rc = api_start(s, c, "conversations.open", false, o, NULL);
		json_object_put(o);
		return rc;
	}
	return post(s, c, id);
}

/* The adapter's render: Block Kit, and the person for an ephemeral message. */
static char *
render(void *arg, const struct platform_dest *d, const struct msg *m)
{
	struct json_object *o = NULL;
	char *json = render_slack(m), *out;

	(void)arg;
	if (json == NULL || ((d->conversation == NULL || d->person == NULL) && !d->replace))
		return json;
	if (jsonv_parse(json, strlen(json), JSON_DEPTH, &o, NULL) != 0 ||
	    (d->replace && !jsonv_put(o, REPLACE_KEY, json_object_new_boolean(1))) ||
	    (!d->replace && (strncmp(d->person, "slack:", 6) != 0 ||
	    !jsonv_put_str(o, "user", d->person + 6)))) {
		json_object_put(o);
		free(json);
		return NULL;
	}
	free(json);
	json = (char *)json_object_to_json_string_ext(o, JSON_OUT);
	out = json != NULL ? strdup(json) : NULL;
	json_object_put(o);
	return out;
}

/* ---- people's time zones ------------------------------------------------- */

static struct zone_entry *
zone_find(struct slack *s, const char *user)
{
	for (size_t i = 0; i < s->nzones; i++)
		if (strcmp(s->zones[i].user, user) == 0)
			return &s->zones[i];
	return NULL;
}

static void
zone_answered(struct api_call *c, const struct api_result *r)
{
	struct slack *s = c->s;
	struct zone_entry *z = zone_find(s, c->person);
	struct json_object *u = NULL;
	const char *tz;
	char person[ID_MAX + 8];

	if (z == NULL)
		return;		/* the cache started over meanwhile */
	z->pending = false;
	if (r->status != OUTBOX_OK) {
		/* not again for an hour (a missing scope would fail every time) */
		z->at = (int64_t)time(NULL) - ZONE_TTL_S + ZONE_RETRY_S;
		log_info("slack: users.info failed (%s); the time zone is asked again in "
		    "an hour", r->error);
		return;
	}
	z->at = (int64_t)time(NULL);
	json_object_object_get_ex(r->body, "user", &u);
	if ((tz = jsonv_str(u, "tz", 64)) == NULL || tz[0] == '\0')
		return;
	snprintf(z->tz, sizeof(z->tz), "%s", tz);
	snprintf(person, sizeof(person), "slack:%s", c->person);
	if (s->o.on_zone != NULL)
		s->o.on_zone(s->o.arg, person, z->tz);
}

/* The person's zone as known now ("" when not yet), asking Slack when due. */
static const char *
zone_of(struct slack *s, const char *user)
{
	struct zone_entry *z;
	struct api_call *c;
	char form[ID_MAX + 8];
	int64_t now = (int64_t)time(NULL);

	if (!id_ok(user))
		return NULL;
	if ((z = zone_find(s, user)) == NULL) {
		if (s->nzones == CACHE_MAX)
			s->nzones = 0;	/* bounded: start over */
		z = &s->zones[s->nzones++];
		memset(z, 0, sizeof(*z));
		snprintf(z->user, sizeof(z->user), "%s", user);
	}
	if (!z->pending && (z->at == 0 || now - z->at >= ZONE_TTL_S) && !s->stopping &&
	    !s->failed && (c = call_new(zone_answered)) != NULL) {
		snprintf(c->person, sizeof(c->person), "%s", user);
		snprintf(form, sizeof(form), "user=%s", user);
		z->pending = api_start(s, c, "users.info", false, NULL, form) == 0;
		if (!z->pending)
			z->at = now;	/* not again before a day */
	}
	return z->tz[0] != '\0' ? z->tz : NULL;
}

/* ---- inbound: from a delivery to the engine ------------------------------ */

/* Messages the engine answers at once, gathered as Block Kit. */
struct gather {
	struct json_object *blocks;
	char text[4000];
	size_t textlen;
	bool oom;
};

static void
gather_reply(void *arg, const struct platform_event *ev, const struct msg *m)
{
	struct gather *g = arg;
	struct json_object *o = NULL, *b;
	char *json = render_slack(m);
	const char *t;

	(void)ev;
	if (json == NULL || jsonv_parse(json, strlen(json), JSON_DEPTH, &o, NULL) != 0) {
		g->oom = true;
		free(json);
		return;
	}
	free(json);
	if (json_object_object_get_ex(o, "blocks", &b) &&
	    json_object_is_type(b, json_type_array))
		for (size_t i = 0; i < json_object_array_length(b); i++)
			if (json_object_array_add(g->blocks,
			    json_object_get(json_object_array_get_idx(b, i))) != 0)
				g->oom = true;
	if ((t = jsonv_str(o, "text", 4000)) != NULL && g->textlen < sizeof(g->text) - 1) {
		size_t room = sizeof(g->text) - g->textlen;
		int n = snprintf(g->text + g->textlen, room, "%s%s",
		    g->textlen > 0 ? "\n\n" : "", t);
		if (n > 0 && (size_t)n < room) {
			g->textlen += (size_t)n;
		} else if (n > 0) {
			/* cut, at a character's start */
			size_t end = sizeof(g->text) - 1;
			while (end > g->textlen && ((unsigned char)g->text[end] & 0xc0) == 0x80)
				end--;
			g->text[end] = '\0';
			g->textlen = end;
		}
	}
	json_object_put(o);
}

/* Keeps at most max blocks of g, without "actions" blocks when bare. */
static void
trim_blocks(struct gather *g, size_t max, bool no_actions)
{
	struct json_object *keep = json_object_new_array();

	if (keep == NULL) {
		g->oom = true;
		return;
	}
	for (size_t i = 0; i < json_object_array_length(g->blocks); i++) {
		struct json_object *b = json_object_array_get_idx(g->blocks, i);
		const char *type = jsonv_str(b, "type", 32);
		if (no_actions && type != NULL && strcmp(type, "actions") == 0)
			continue;
		if (json_object_array_length(keep) == max)
			break;
		if (json_object_array_add(keep, json_object_get(b)) != 0)
			g->oom = true;
	}
	json_object_put(g->blocks);
	g->blocks = keep;
}

/*
 * Runs the engine on ev (the author's zone added when known): 0 when it
 * is stored, so the delivery may be acknowledged.
 */
static int
deliver(struct slack *s, struct slackev *sev, platform_reply_fn reply, void *arg)
{
	int rc;

	if (sev->slack_user != NULL)
		sev->ev.user_timezone = zone_of(s, sev->slack_user);
	log_debug("slack: event kind=%d conversation=%s user=%s event=%s", (int)sev->ev.kind,
	    sev->ev.conversation, sev->ev.user,
	    sev->ev.event_id != NULL ? sev->ev.event_id : "-");
	rc = s->o.on_event(s->o.arg, &sev->ev, reply, arg);
	if (rc == DRILL_EINVAL) {
		log_warnx("slack: an event the engine refused (ids too long?): dropped");
		return 0;	/* it would not be better next time */
	}
	if (rc != 0)
		log_warnx("slack: an event could not be stored (%s); it is not acknowledged, "
		    "so Slack delivers it again", drill_strerror(rc));
	return rc;
}

static void
home_published(struct api_call *c, const struct api_result *r)
{
	(void)c;
	if (r->status != OUTBOX_OK)
		log_info("slack: views.publish failed (%s): the App Home shows the last view",
		    r->error);
}

/* app_home_opened: the engine's summary as the person's Home view. */
static int
deliver_home(struct slack *s, struct slackev *sev)
{
	struct gather g = {0};
	struct json_object *o = NULL, *view = NULL;
	struct api_call *c;
	int rc;

	if ((g.blocks = json_object_new_array()) == NULL)
		return DRILL_ENOMEM;
	if ((rc = deliver(s, sev, gather_reply, &g)) != 0) {
		json_object_put(g.blocks);
		return rc;
	}
	trim_blocks(&g, VIEW_BLOCKS_MAX, true);
	if (g.oom || json_object_array_length(g.blocks) == 0 ||
	    (o = json_object_new_object()) == NULL ||
	    (view = json_object_new_object()) == NULL ||
	    !jsonv_put_str(view, "type", "home") ||
	    !jsonv_put(view, "blocks", json_object_get(g.blocks)) ||
	    !jsonv_put_str(o, "user_id", sev->slack_user) ||
	    !jsonv_put(o, "view", json_object_get(view)) ||
	    (c = call_new(home_published)) == NULL) {
		json_object_put(view);
		json_object_put(o);
		json_object_put(g.blocks);
		return 0;	/* nothing to publish; the event is handled */
	}
	if (api_start(s, c, "views.publish", false, o, NULL) != 0)
		log_warnx("slack: cannot publish the App Home");
	json_object_put(view);
	json_object_put(o);
	json_object_put(g.blocks);
	return 0;
}

/*
 * Whether a slash command is answered at once, in its acknowledgement:
 * all but those that post a question for everyone in a channel (practice,
 * next, skip: a thread root needs a message of its own) and `my data`
 * (too long for one message). The acknowledgement reaches the person
 * even where the bot is not a member (a channel it was not invited to, a
 * DM between two people), where a message of its own could not go.
 */
static bool
instant(const struct platform_event *ev)
{
	struct command c;
	enum command_id id = command_parse(ev->text, ev->text_len, &c);

	if (id == CMD_MYDATA)
		return false;
	if (ev->conv_kind == PLATFORM_CHANNEL &&
	    (id == CMD_PRACTICE || id == CMD_NEXT || id == CMD_SKIP))
		return false;
	return true;
}

/*
 * A slash command. Instant ones leave their answer in *response (a
 * message JSON object for the acknowledgement; caller puts), others go
 * through the outbox. 0 when stored.
 */
static int
deliver_command(struct slack *s, struct slackev *sev, struct json_object **response)
{
	struct gather g = {0};
	int rc;

	*response = NULL;
	if (!instant(&sev->ev))
		return deliver(s, sev, NULL, NULL);
	if ((g.blocks = json_object_new_array()) == NULL)
		return DRILL_ENOMEM;
	if ((rc = deliver(s, sev, gather_reply, &g)) != 0) {
		json_object_put(g.blocks);
		return rc;
	}
	trim_blocks(&g, MSG_BLOCKS_MAX, false);
	if (json_object_array_length(g.blocks) == 0 && g.textlen == 0) {
		json_object_put(g.blocks);
		return 0;	/* a repeat, or nothing to say: a bare acknowledgement */
	}
	if (!g.oom && (*response = json_object_new_object()) != NULL &&
	    (!jsonv_put_str(*response, "response_type", "ephemeral") ||
	    !jsonv_put_str(*response, "text", g.text) ||
	    !jsonv_put(*response, "blocks", json_object_get(g.blocks)))) {
		json_object_put(*response);
		*response = NULL;
	}
	json_object_put(g.blocks);
	return 0;
}

/* What slackev said, handled: 0 to acknowledge. *response as deliver_command. */
static int
dispatch(struct slack *s, enum slackev_outcome oc, struct slackev *sev, bool command,
    struct json_object **response)
{
	if (response != NULL)
		*response = NULL;
	switch (oc) {
	case SLACKEV_HANDLE:
		if (sev->ev.kind == PLATFORM_EV_HOME)
			return deliver_home(s, sev);
		if (command && response != NULL)
			return deliver_command(s, sev, response);
		return deliver(s, sev, NULL, NULL);
	case SLACKEV_IGNORE:
		log_debug("slack: ignored: %s", sev->why);
		return 0;
	case SLACKEV_BAD:
		log_warnx("slack: a delivery drilld cannot read: %s", sev->why);
		return 0;	/* it would not be better next time */
	case SLACKEV_CHALLENGE:
		return 0;
	}
	return 0;
}

/* ---- the Events API: webhooks -------------------------------------------- */

static void
respond_json(struct http_request *req, int status, const char *json)
{
	http_respond(req, status, "application/json", json, strlen(json));
}

/* Checks req's signature; when it fails, answers 401 and returns false. */
static bool
verified(struct slack *s, struct http_request *req)
{
	char ts[64], sig[128];
	const char *why = NULL;
	bool have_ts = http_header(req, "X-Slack-Request-Timestamp", ts, sizeof(ts)) >= 0;
	bool have_sig = http_header(req, "X-Slack-Signature", sig, sizeof(sig)) >= 0;
	int rc = slacksig_verify(s->secret, strlen(s->secret), have_ts ? ts : NULL,
	    have_sig ? sig : NULL, req->body, req->body_len, (int64_t)time(NULL), &why);

	if (rc == 0)
		return true;
	if (rc == DRILL_ENOMEM) {
		respond_json(req, 500, "{\"error\":\"out of memory\"}");
		return false;
	}
	log_info("slack: refused a request to %s: %s", req->path, why);
	respond_json(req, 401, "{\"error\":\"invalid signature\"}");
	return false;
}

static void
bad_request(struct http_request *req, const char *why)
{
	struct json_object *o = json_object_new_object();

	if (o == NULL || !jsonv_put_str(o, "error", why)) {
		json_object_put(o);
		respond_json(req, 400, "{\"error\":\"bad request\"}");
		return;
	}
	respond_json(req, 400, json_object_to_json_string_ext(o, JSON_OUT));
	json_object_put(o);
}

static void
on_events(void *arg, struct http_request *req)
{
	struct slack *s = arg;
	struct json_object *body = NULL;
	struct jsonv_error je;
	struct slackev sev;
	struct slackev_self self = {s->self_user, s->self_bot};
	enum slackev_outcome oc;

	if (!verified(s, req))
		return;
	if (jsonv_parse((const char *)req->body, req->body_len, JSON_DEPTH, &body, &je) != 0) {
		log_info("slack: an Events API body that is not JSON: %s", je.msg);
		bad_request(req, "the body is not valid JSON");
		return;
	}
	oc = slackev_callback(body, &self, &sev);
	if ((oc == SLACKEV_HANDLE || oc == SLACKEV_IGNORE) && !s->authed) {
		/* who the bot is decides mentions and joins: not before auth.test */
		respond_json(req, 503, "{\"error\":\"not ready; send it again\"}");
	} else if (oc == SLACKEV_CHALLENGE) {
		log_notice("slack: answered Slack's url_verification: the Events API URL works");
		http_respond(req, 200, "text/plain", sev.challenge, strlen(sev.challenge));
	} else if (oc == SLACKEV_BAD) {
		log_info("slack: refused an Events API body: %s", sev.why);
		bad_request(req, sev.why);
	} else if (dispatch(s, oc, &sev, false, NULL) == 0) {
		http_respond(req, 200, NULL, NULL, 0);
	} else {
		respond_json(req, 500, "{\"error\":\"not stored; send it again\"}");
	}
	slackev_clear(&sev);
	json_object_put(body);
}

static void
on_commands(void *arg, struct http_request *req)
{
	struct slack *s = arg;
	struct json_object *fields = NULL, *response = NULL;
	struct slackev sev;
	enum slackev_outcome oc;
	const char *check;
	int rc;

	if (!verified(s, req))
		return;
	if (slackev_form((const char *)req->body, req->body_len, &fields) != 0) {
		bad_request(req, "the body is not a valid form");
		return;
	}
	if ((check = jsonv_str(fields, "ssl_check", 8)) != NULL && strcmp(check, "1") == 0) {
		http_respond(req, 200, NULL, NULL, 0);
		json_object_put(fields);
		return;
	}
	oc = slackev_command(fields, &sev);
	if (oc == SLACKEV_BAD) {
		log_info("slack: refused a slash command: %s", sev.why);
		bad_request(req, sev.why);
	} else if ((rc = dispatch(s, oc, &sev, true, &response)) != 0) {
		respond_json(req, 500, "{\"error\":\"not stored\"}");
	} else if (response != NULL) {
		respond_json(req, 200, json_object_to_json_string_ext(response, JSON_OUT));
	} else {
		http_respond(req, 200, NULL, NULL, 0);
	}
	json_object_put(response);
	slackev_clear(&sev);
	json_object_put(fields);
}

static void
on_interactivity(void *arg, struct http_request *req)
{
	struct slack *s = arg;
	struct json_object *fields = NULL, *payload = NULL, *v;
	struct slackev sev;
	enum slackev_outcome oc;

	if (!verified(s, req))
		return;
	if (slackev_form((const char *)req->body, req->body_len, &fields) != 0 ||
	    !json_object_object_get_ex(fields, "payload", &v) ||
	    !json_object_is_type(v, json_type_string) ||
	    jsonv_parse(json_object_get_string(v), (size_t)json_object_get_string_len(v),
	    JSON_DEPTH, &payload, NULL) != 0) {
		json_object_put(fields);
		bad_request(req, "the body is not a form with a JSON payload");
		return;
	}
	oc = slackev_interaction(payload, &sev);
	if (oc == SLACKEV_BAD) {
		log_info("slack: refused an interaction: %s", sev.why);
		bad_request(req, sev.why);
	} else if (dispatch(s, oc, &sev, false, NULL) == 0) {
		http_respond(req, 200, NULL, NULL, 0);
	} else {
		respond_json(req, 500, "{\"error\":\"not stored\"}");
	}
	slackev_clear(&sev);
	json_object_put(payload);
	json_object_put(fields);
}

/* ---- Socket Mode ---------------------------------------------------------- */

static void sm_fill(struct slack *s);

static void
on_sm_timer(uv_timer_t *t)
{
	struct slack *s = t->data;

	s->sm_waiting = false;
	sm_fill(s);
}

/* No new connection before delay_ms. */
static void
sm_wait(struct slack *s, uint64_t delay_ms)
{
	if (s->stopping)
		return;
	s->sm_waiting = true;
	uv_timer_start(&s->sm_timer, on_sm_timer, delay_ms, 0);
}

static void
sconn_unlink(struct slack *s, struct sconn *c)
{
	for (struct sconn **p = &s->conns; *p != NULL; p = &(*p)->next)
		if (*p == c) {
			*p = c->next;
			return;
		}
}

/* A connection ended before or after it was live: try again after a backoff. */
static void
sconn_lost(struct slack *s, struct sconn *c, bool retiring)
{
	sconn_unlink(s, c);
	free(c);
	if (s->stopping)
		return;		/* readiness is no longer slack's to tell */
	ready_update(s);
	if (s->failed || s->socket_failed)
		return;
	if (retiring) {
		sm_fill(s);	/* its successor is (being) opened already */
		return;
	}
	if (!s->sm_waiting) {
		uint64_t d = adapt_backoff(&s->sm_backoff_ms, BACKOFF_MIN_MS, BACKOFF_MAX_MS, &s->rng);
		log_info("slack: Socket Mode reconnects in %llu ms", (unsigned long long)d);
		sm_wait(s, d);
	}
}

static void
ack(struct sconn *c, const char *envelope_id, struct json_object *payload)
{
	struct json_object *o = json_object_new_object();
	const char *text;

	if (o == NULL || !jsonv_put_str(o, "envelope_id", envelope_id) ||
	    (payload != NULL && !jsonv_put(o, "payload", json_object_get(payload))) ||
	    (text = json_object_to_json_string_ext(o, JSON_OUT)) == NULL ||
	    ws_send_text(c->ws, text, strlen(text)) != 0)
		log_warnx("slack: cannot acknowledge an envelope; Slack delivers it again");
	json_object_put(o);
}

static void
envelope(struct sconn *c, struct json_object *env)
{
	struct slack *s = c->s;
	const char *id = jsonv_str(env, "envelope_id", 128), *type = jsonv_str(env, "type", 64);
	struct json_object *payload = NULL, *response = NULL, *v;
	struct slackev_self self = {s->self_user, s->self_bot};
	struct slackev sev = {0};
	enum slackev_outcome oc;
	bool respond = false;
	int rc;

	if (id == NULL || id[0] == '\0') {
		log_warnx("slack: an envelope without an envelope_id: dropped");
		return;
	}
	json_object_object_get_ex(env, "payload", &payload);
	if (json_object_object_get_ex(env, "accepts_response_payload", &v) &&
	    json_object_is_type(v, json_type_boolean))
		respond = json_object_get_boolean(v);
	if (type == NULL) {
		ack(c, id, NULL);
		return;
	}
	if (strcmp(type, "events_api") == 0) {
		oc = slackev_callback(payload, &self, &sev);
		rc = dispatch(s, oc, &sev, false, NULL);
	} else if (strcmp(type, "slash_commands") == 0) {
		oc = slackev_command(payload, &sev);
		rc = dispatch(s, oc, &sev, true, respond ? &response : NULL);
	} else if (strcmp(type, "interactive") == 0) {
		oc = slackev_interaction(payload, &sev);
		rc = dispatch(s, oc, &sev, false, NULL);
	} else {
		log_debug("slack: an envelope type drilld does not handle: %.40s", type);
		rc = 0;
	}
	if (rc == 0 && c->ws != NULL && !c->closing)
		ack(c, id, response);
	json_object_put(response);
	slackev_clear(&sev);
}

static void
on_ws_open(void *arg, struct ws_conn *ws)
{
	struct sconn *c = arg;

	(void)ws;
	log_debug("slack: Socket Mode websocket %d open, waiting for hello", c->id);
}

static void
retire_others(struct slack *s, struct sconn *keep)
{
	for (struct sconn *c = s->conns; c != NULL; c = c->next)
		if (c != keep && c->state == SC_RETIRING && c->ws != NULL && !c->closing) {
			c->closing = true;
			ws_close(c->ws, WS_CLOSE_NORMAL, "refreshed");
		}
}

static void
on_ws_message(void *arg, struct ws_conn *ws, const char *data, size_t len, bool binary)
{
	struct sconn *c = arg;
	struct slack *s = c->s;
	struct json_object *o = NULL;
	struct jsonv_error je;
	const char *type;

	(void)ws;
	if (binary) {
		log_warnx("slack: a binary Socket Mode frame: ignored");
		return;
	}
	if (jsonv_parse(data, len, JSON_DEPTH, &o, &je) != 0 ||
	    !json_object_is_type(o, json_type_object)) {
		log_warnx("slack: a Socket Mode frame that is not a JSON object: ignored (%s)",
		    je.msg);
		json_object_put(o);
		return;
	}
	type = jsonv_str(o, "type", 64);
	if (type != NULL && strcmp(type, "hello") == 0) {
		bool first = c->state == SC_CONNECTING;
		if (first) {
			c->state = SC_LIVE;
			s->sm_backoff_ms = 0;
			log_info("slack: Socket Mode connection %d is live", c->id);
			retire_others(s, c);
			ready_update(s);
		}
	} else if (type != NULL && strcmp(type, "disconnect") == 0) {
		const char *reason = jsonv_str(o, "reason", 64);
		if (reason != NULL && strcmp(reason, "link_disabled") == 0) {
			log_error("slack: Socket Mode is switched off in the app's settings "
			    "(link_disabled): turn it on (Settings > Socket Mode) or use "
			    "slack.mode = \"events\"; trying again in 5 minutes");
			if (!c->closing && c->ws != NULL) {
				c->closing = true;
				ws_close(c->ws, WS_CLOSE_NORMAL, "link disabled");
			}
			s->sm_backoff_ms = 0;
			if (s->sm_waiting)
				uv_timer_stop(&s->sm_timer);
			sm_wait(s, LINK_DISABLED_MS);
		} else if (c->state != SC_RETIRING) {
			/* warning, refresh_requested: the new one first */
			log_info("slack: Slack asks to refresh connection %d (%s)", c->id,
			    reason != NULL ? reason : "no reason");
			c->state = SC_RETIRING;
			s->sm_waiting = false;
			uv_timer_stop(&s->sm_timer);
			sm_fill(s);
		}
	} else if (jsonv_str(o, "envelope_id", 128) != NULL) {
		envelope(c, o);
	} else {
		log_debug("slack: a Socket Mode message drilld does not handle: %.40s",
		    type != NULL ? type : "-");
	}
	json_object_put(o);
}

static void
on_ws_error(void *arg, struct ws_conn *ws, int code, const char *message)
{
	struct sconn *c = arg;

	(void)ws;
	log_warnx("slack: Socket Mode connection %d failed: %s (%s)", c->id,
	    message != NULL ? message : "-", drill_strerror(code));
}

static void
on_ws_close(void *arg, struct ws_conn *ws, int code, const char *reason)
{
	struct sconn *c = arg;

	(void)ws;
	log_info("slack: Socket Mode connection %d closed code=%d reason=%.60s", c->id, code,
	    reason != NULL && reason[0] != '\0' ? reason : "-");
	c->ws = NULL;
	sconn_lost(c->s, c, c->state == SC_RETIRING);
}

static void
connection_opened(struct api_call *call, const struct api_result *r)
{
	struct sconn *c = call->conn;
	struct slack *s = call->s;
	const char *url;
	char err[DRILL_ERRLEN];
	struct ws_opts wo = {
		.max_message = s->o.max_message, .ping_interval_ms = PING_MS,
		.hangup_ms = HANGUP_MS,
	};
	struct ws_callbacks cb = {on_ws_open, on_ws_message, on_ws_error, on_ws_close};

	c->open_call = NULL;
	if (r->status == OUTBOX_OK && (s->stopping || s->failed || s->socket_failed)) {
		sconn_lost(s, c, false);	/* too late: nothing more connects */
		return;
	}
	if (r->status != OUTBOX_OK) {
		if (r->fatal) {
			s->socket_failed = true;
			s->fail_reason = "Slack refused the app-level token";
			log_error("slack: Slack refused the app-level token (%s): generate one "
			    "with the connections:write scope (Basic Information > App-Level "
			    "Tokens), set slack.app_token and restart drilld", r->error);
		} else {
			log_warnx("slack: apps.connections.open failed: %s", r->error);
		}
		sconn_lost(s, c, false);
		return;
	}
	url = jsonv_str(r->body, "url", 2048);
	if (url == NULL || (strncmp(url, "wss://", 6) != 0 && strncmp(url, "ws://", 5) != 0)) {
		log_warnx("slack: apps.connections.open gave no websocket URL");
		sconn_lost(s, c, false);
		return;
	}
	c->state = SC_CONNECTING;
	if (ws_connect(s->net, url, &wo, &cb, c, &c->ws, err) != 0) {
		log_warnx("slack: cannot open the Socket Mode websocket: %s", err);
		c->ws = NULL;
		sconn_lost(s, c, false);
	}
}

/* Opens connections until opts.connections are open or opening. */
static void
sm_fill(struct slack *s)
{
	int active = 0;

	if (!s->o.socket_mode || s->stopping || s->failed || s->socket_failed ||
	    !s->authed || s->sm_waiting)
		return;
	for (struct sconn *c = s->conns; c != NULL; c = c->next)
		if (c->state != SC_RETIRING)
			active++;
	while (active < s->o.connections) {
		struct sconn *c = calloc(1, sizeof(*c));
		struct api_call *call = call_new(connection_opened);
		if (c == NULL || call == NULL) {
			free(c);
			call_free(call);
			sm_wait(s, BACKOFF_MIN_MS);
			return;
		}
		c->s = s;
		c->id = ++s->next_conn_id;
		c->state = SC_OPENING;
		c->next = s->conns;
		s->conns = c;
		call->conn = c;
		c->open_call = call;
		if (api_start(s, call, "apps.connections.open", true, NULL, "") != 0) {
			sconn_unlink(s, c);
			free(c);
			sm_wait(s, adapt_backoff(&s->sm_backoff_ms, BACKOFF_MIN_MS, BACKOFF_MAX_MS, &s->rng));
			return;
		}
		active++;
	}
}

/* ---- start-up: auth.test ------------------------------------------------- */

static void auth_test(struct slack *s);

static void
on_auth_timer(uv_timer_t *t)
{
	auth_test(t->data);
}

static void
authed(struct api_call *c, const struct api_result *r)
{
	struct slack *s = c->s;
	const char *user, *bot, *team;

	if (r->status != OUTBOX_OK) {
		uint64_t d;
		if (r->fatal) {
			fail_adapter(s, r->error);
			return;
		}
		if (s->stopping)
			return;
		d = adapt_backoff(&s->auth_backoff_ms, BACKOFF_MIN_MS, AUTH_BACKOFF_MAX_MS, &s->rng);
		if (r->status == OUTBOX_RATE_LIMITED && r->retry_after_ms > d)
			d = r->retry_after_ms;
		log_warnx("slack: cannot reach Slack (auth.test: %s); trying again in %llu ms",
		    r->error, (unsigned long long)d);
		uv_timer_start(&s->auth_timer, on_auth_timer, d, 0);
		return;
	}
	user = jsonv_str(r->body, "user_id", ID_MAX - 1);
	bot = jsonv_str(r->body, "bot_id", ID_MAX - 1);
	team = jsonv_str(r->body, "team", 200);
	if (!id_ok(user)) {
		log_error("slack: auth.test named no bot user: is slack.bot_token a bot "
		    "token (xoxb-)?");
		fail_adapter(s, "no bot user");
		return;
	}
	free(s->self_user);
	free(s->self_bot);
	s->self_user = strdup(user);
	s->self_bot = id_ok(bot) ? strdup(bot) : NULL;
	if (s->self_user == NULL) {
		uv_timer_start(&s->auth_timer, on_auth_timer, BACKOFF_MIN_MS, 0);
		return;
	}
	s->authed = true;
	s->auth_backoff_ms = 0;
	log_notice("slack: signed in as user=%s team=%s mode=%s", user,
	    team != NULL ? team : "-", s->o.socket_mode ? "socket" : "events");
	ready_update(s);
	sm_fill(s);
}

static void
auth_test(struct slack *s)
{
	struct api_call *c;

	if (s->stopping || s->failed)
		return;
	if ((c = call_new(authed)) == NULL ||
	    api_start(s, c, "auth.test", false, NULL, "") != 0)
		uv_timer_start(&s->auth_timer, on_auth_timer,
		    adapt_backoff(&s->auth_backoff_ms, BACKOFF_MIN_MS, AUTH_BACKOFF_MAX_MS, &s->rng), 0);
}

/* ---- life cycle ------------------------------------------------------------ */

static char *
dup_secret(const char *s)
{
	return s != NULL ? strdup(s) : NULL;
}

struct slack *
slack_new(uv_loop_t *loop, struct net *net, struct http *http,
    const struct slack_opts *o, char err[DRILL_ERRLEN])
{
	struct slack *s;
	bool oom;

	if (loop == NULL || o == NULL || o->on_event == NULL || o->api_url == NULL ||
	    o->bot_token == NULL) {
		drill_seterr(err, "slack: missing options");
		return NULL;
	}
	if (o->socket_mode && (net == NULL || o->app_token == NULL || o->connections < 1 ||
	    o->connections > 10 || o->max_message == 0)) {
		drill_seterr(err, "Socket Mode needs the app token, 1..10 connections and "
		    "libwebsockets");
		return NULL;
	}
	if (!o->socket_mode && (http == NULL || o->signing_secret == NULL)) {
		drill_seterr(err, "the Events API needs the signing secret and http.listen");
		return NULL;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		drill_seterr(err, "out of memory");
		return NULL;
	}
	s->loop = loop;
	s->net = net;
	s->http = http;
	s->o = *o;
	s->api_url = strdup(o->api_url);
	s->bot_token = dup_secret(o->bot_token);
	s->app_token = dup_secret(o->app_token);
	s->secret = dup_secret(o->signing_secret);
	s->zones = calloc(CACHE_MAX, sizeof(*s->zones));
	s->dms = calloc(CACHE_MAX, sizeof(*s->dms));
	s->rng = adapt_seed();
	oom = s->api_url == NULL || s->bot_token == NULL || s->zones == NULL ||
	    s->dms == NULL || (o->app_token != NULL && s->app_token == NULL) ||
	    (o->signing_secret != NULL && s->secret == NULL);
	if (oom || (s->httpc = httpc_new(loop, err)) == NULL) {
		if (oom)
			drill_seterr(err, "out of memory");
		s->stopping = true;
		slack_free(s);
		return NULL;
	}
	s->o.api_url = s->o.bot_token = s->o.app_token = s->o.signing_secret = NULL;
	s->adapter = (struct platform_adapter){"slack", true, render, s, true};
	uv_timer_init(loop, &s->auth_timer);
	uv_timer_init(loop, &s->sm_timer);
	s->auth_timer.data = s->sm_timer.data = s;
	s->timers_init = true;
	return s;
}

int
slack_start(struct slack *s, char err[DRILL_ERRLEN])
{
	if (s->started) {
		drill_seterr(err, "slack: already started");
		return DRILL_EINVAL;
	}
	s->started = true;
	if (!s->o.socket_mode &&
	    (http_route_add(s->http, "POST", "/slack/events", on_events, s) != 0 ||
	    http_route_add(s->http, "POST", "/slack/commands", on_commands, s) != 0 ||
	    http_route_add(s->http, "POST", "/slack/interactivity", on_interactivity, s) != 0)) {
		drill_seterr(err, "cannot add the /slack routes to the HTTP server");
		return DRILL_EINVAL;
	}
	ready_update(s);
	auth_test(s);
	return 0;
}

static void
timer_closed(uv_handle_t *h)
{
	(void)h;
}

void
slack_stop(struct slack *s)
{
	if (s == NULL || s->stopping)
		return;
	s->stopping = true;
	if (s->timers_init) {
		uv_timer_stop(&s->auth_timer);
		uv_timer_stop(&s->sm_timer);
		uv_close((uv_handle_t *)&s->auth_timer, timer_closed);
		uv_close((uv_handle_t *)&s->sm_timer, timer_closed);
	}
	for (struct sconn *c = s->conns; c != NULL; c = c->next)
		if (c->ws != NULL && !c->closing) {
			c->closing = true;
			ws_close(c->ws, WS_CLOSE_GOING_AWAY, "drilld stopping");
		}
	/* every call in flight ends now, cancelled: sends end transient */
	httpc_free(s->httpc);
	s->httpc = NULL;
	http_ready_remove(s->http, "slack");
}

void
slack_free(struct slack *s)
{
	struct sconn *c, *next;

	if (s == NULL)
		return;
	if (s->httpc != NULL)
		httpc_free(s->httpc);
	for (c = s->conns; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	adapt_once_free(&s->told);
	free(s->api_url);
	adapt_wipe_free(s->bot_token);
	adapt_wipe_free(s->app_token);
	adapt_wipe_free(s->secret);
	free(s->self_user);
	free(s->self_bot);
	free(s->zones);
	free(s->dms);
	free(s);
}

const struct platform_adapter *
slack_adapter(struct slack *s)
{
	return &s->adapter;
}

const char *
slack_state(const struct slack *s)
{
	bool live = false;

	if (s == NULL)
		return "off";
	if (s->stopping)
		return "stopped";
	if (s->failed || s->socket_failed)
		return "failed";
	if (!s->authed)
		return "starting";
	if (!s->o.socket_mode)
		return "live";
	for (const struct sconn *c = s->conns; c != NULL; c = c->next)
		if (c->state == SC_LIVE || c->state == SC_RETIRING)
			live = true;
	return live ? "live" : "connecting";
}
