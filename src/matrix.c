/*
 * matrix.c - the Matrix adapter; see matrix.h.
 *
 * Parts: the client-server API (every call one httpc request, its answer
 * classified the way the outbox counts outcomes), the /sync loop (client
 * mode), the application service's routes, and sending.
 */
#include "drill/matrix.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "drill/config.h"
#include "drill/adapt.h"
#include "drill/http.h"
#include "drill/httpc.h"
#include "drill/jsonv.h"
#include "drill/log.h"
#include "drill/matrixev.h"
#include "drill/msg.h"
#include "drill/render.h"
#include "drill/store.h"

#define JSON_DEPTH 64
#define JSON_OUT (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)
#define REPLACE_KEY "drilld_replace"	/* in a payload: an m.replace edit */

#define SYNC_TIMEOUT_MS 30000u		/* the server holds /sync this long */
#define SYNC_REQUEST_MS 90000u		/* and our request waits this long */
#define SYNC_MAX (16u * 1024u * 1024u)	/* a /sync answer */
#define BACKOFF_MIN_MS 1000u
#define BACKOFF_MAX_MS 60000u
#define RETRY_AFTER_MAX_MS 3600000u
#define ROOMS_MAX 4096			/* DM rooms and encrypted rooms remembered */
#define ID_MAX 256
#define FAILED_WAIT_MS 3600000u		/* a message for a failed adapter waits */

struct matrix;
struct mx_call;

/* How a call ended, in the outbox's terms. */
struct mx_result {
	enum outbox_status status;
	struct json_object *body;	/* OUTBOX_OK: the answer */
	const char *error;		/* the errcode, or what failed */
	uint64_t retry_after_ms;
	bool unknown_token;		/* 401 M_UNKNOWN_TOKEN */
};

typedef void (*mx_done_fn)(struct mx_call *c, const struct mx_result *r);

struct mx_call {
	struct matrix *m;
	uint64_t id;
	mx_done_fn done;
	/* a send: the outbox's done and what to send once a DM room exists */
	outbox_done_fn odone;
	void *otoken;
	char *payload;
	char *thread_id;
	char txn[80];
	char person[ID_MAX];	/* a DM's person, or a room being joined / left */
	char dest[300];
	struct mx_call *prev, *next;
};

struct room_entry {
	char room[ID_MAX];
	char user[ID_MAX];	/* DM rooms: the person */
};

struct matrix {
	uv_loop_t *loop;
	struct http *http;
	struct httpc *httpc;
	struct matrix_opts o;
	char *homeserver, *user_id, *password, *as_token, *hs_token;
	char *token;		/* the access token in use (client mode) */
	char **auto_join;
	size_t nauto_join;
	struct platform_adapter adapter;

	bool started, stopping, whoami_ok, synced, failed, relogging;
	bool fresh_login;	/* the token in use came from a log-in just now */
	int sync_refused;	/* /sync answers 4xx in a row */
	const char *fail_reason;
	char *filter_id;
	char *since;
	bool first_sync;
	uint64_t sync_call;	/* the /sync in flight, 0 none */
	uint64_t backoff_ms;
	uv_timer_t timer;	/* the next /sync or start-up step */
	bool timer_init;

	struct mx_call *calls;
	struct room_entry *dms;	/* DM rooms and their person */
	size_t ndms;
	struct adapt_once told;	/* permanent failures already told */
	uint64_t rng;
};

/* ---- helpers ---------------------------------------------------------------- */

/* Percent-encodes s into out (all but unreserved characters); false if too long. */
static bool
escape(const char *s, char *out, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		bool plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
		if (o + (plain ? 1 : 3) >= len)
			return false;
		if (plain) {
			out[o++] = (char)c;
		} else {
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	out[o] = '\0';
	return true;
}

static void
ready_update(struct matrix *m)
{
	const char *why = NULL;

	if (m->stopping)
		return;
	if (m->failed)
		why = m->fail_reason;
	else if (!m->whoami_ok)
		why = "waiting for the homeserver (whoami)";
	else if (!m->o.appservice && !m->synced)
		why = "waiting for the first /sync";
	if (http_ready_set(m->http, "matrix", why == NULL, why) != 0)
		log_warnx("cannot report matrix's readiness");
}

/* The server part of a user id ("example.org" of "@a:example.org"). */
static const char *
server_of(const char *user)
{
	const char *c = strchr(user, ':');

	return c != NULL ? c + 1 : "";
}

/* The next retry's delay: 1 s doubling to 60 s, jittered (adapt.h). */
static uint64_t
next_delay(struct matrix *m)
{
	return adapt_backoff(&m->backoff_ms, BACKOFF_MIN_MS, BACKOFF_MAX_MS, &m->rng);
}

/* ---- the client-server API ------------------------------------------------- */

static void
unlink_call(struct matrix *m, struct mx_call *c)
{
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		m->calls = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	c->prev = c->next = NULL;
}

static void
call_free(struct mx_call *c)
{
	if (c == NULL)
		return;
	free(c->payload);
	free(c->thread_id);
	free(c);
}

static struct mx_call *
call_new(mx_done_fn done)
{
	struct mx_call *c = calloc(1, sizeof(*c));

	if (c != NULL)
		c->done = done;
	return c;
}

/* Retry-After (seconds), or the body's retry_after_ms, as a delay. */
static uint64_t
retry_after(const struct httpc_response *res, struct json_object *body)
{
	const char *v = httpc_header(res, "Retry-After");
	struct json_object *ms;
	uint64_t n = 0;

	if (v != NULL && *v >= '0' && *v <= '9') {
		for (; *v >= '0' && *v <= '9'; v++)
			if ((n = n * 10 + (uint64_t)(*v - '0')) * 1000 > RETRY_AFTER_MAX_MS)
				return RETRY_AFTER_MAX_MS;
		return n * 1000;
	}
	if (body != NULL && json_object_object_get_ex(body, "retry_after_ms", &ms) &&
	    json_object_is_type(ms, json_type_int) && json_object_get_int64(ms) > 0) {
		int64_t x = json_object_get_int64(ms);
		return x > (int64_t)RETRY_AFTER_MAX_MS ? RETRY_AFTER_MAX_MS : (uint64_t)x;
	}
	return 0;
}

static void
on_http(void *arg, const struct httpc_response *res)
{
	struct mx_call *c = arg;
	struct matrix *m = c->m;
	struct mx_result r = {.status = OUTBOX_TRANSIENT};
	struct json_object *body = NULL;
	char what[96];

	unlink_call(m, c);
	if (res->err == 0 && res->len > 0 &&
	    (jsonv_parse(res->body, res->len, JSON_DEPTH, &body, NULL) != 0 ||
	    !json_object_is_type(body, json_type_object))) {
		json_object_put(body);
		body = NULL;
	}
	if (res->err != 0) {
		snprintf(what, sizeof(what), "%s", httpc_strerror(res->err));
		r.error = what;
	} else if (res->status == 200) {
		if (body == NULL) {
			r.error = "an answer from the homeserver that is not JSON";
		} else {
			r.status = OUTBOX_OK;
			r.body = body;
		}
	} else {
		const char *code = jsonv_str(body, "errcode", 64);
		snprintf(what, sizeof(what), "%s (HTTP %ld)", code != NULL ? code : "no errcode",
		    res->status);
		r.error = what;
		if (res->status == 429 || (code != NULL && strcmp(code, "M_LIMIT_EXCEEDED") == 0)) {
			r.status = OUTBOX_RATE_LIMITED;
			r.retry_after_ms = retry_after(res, body);
		} else if (res->status >= 500) {
			r.status = OUTBOX_TRANSIENT;
		} else {
			r.status = OUTBOX_PERMANENT;
			r.unknown_token = res->status == 401 && code != NULL &&
			    strcmp(code, "M_UNKNOWN_TOKEN") == 0;
		}
	}
	c->done(c, &r);
	json_object_put(body);
	call_free(c);
}

/*
 * Starts method on path (already escaped, from "/_matrix/...") with query
 * (NULL: none) and a JSON body (NULL: none), with the access token (or
 * none when auth is false). c is owned from here: done runs once, or, when
 * starting failed, never (c is freed, the error returned).
 */
static int
mx_start(struct matrix *m, struct mx_call *c, const char *method, const char *path,
    const char *query, struct json_object *json, bool auth, uint64_t timeout_ms,
    size_t max_response)
{
	const char *token = m->o.appservice ? m->as_token : m->token;
	char url[6000], err[DRILL_ERRLEN], *authz = NULL;
	const char *headers[2];
	size_t nh = 0, len = 0, alen;
	const char *body = NULL;
	int rc;

	c->m = m;
	if (m->stopping || m->httpc == NULL) {
		call_free(c);
		return DRILL_EINVAL;
	}
	if ((size_t)snprintf(url, sizeof(url), "%s%s%s%s", m->homeserver, path,
	    query != NULL ? "?" : "", query != NULL ? query : "") >= sizeof(url)) {
		log_warnx("matrix: a request to %s is too long to send", path);
		call_free(c);
		return DRILL_EINVAL;
	}
	if (auth && token != NULL) {
		alen = strlen(token) + 32;
		if ((authz = malloc(alen)) == NULL) {
			call_free(c);
			return DRILL_ENOMEM;
		}
		snprintf(authz, alen, "Authorization: Bearer %s", token);
		headers[nh++] = authz;
	}
	if (json != NULL) {
		body = json_object_to_json_string_length(json, JSON_OUT, &len);
		headers[nh++] = "Content-Type: application/json";
		if (body == NULL) {
			adapt_wipe_free(authz);
			call_free(c);
			return DRILL_ENOMEM;
		}
	}
	struct httpc_request rq = {
		.method = method, .url = url, .headers = headers, .nheaders = nh,
		.body = body, .body_len = len, .timeout_ms = timeout_ms,
		.max_response = max_response,
	};
	rc = httpc_start(m->httpc, &rq, on_http, c, &c->id, err);
	adapt_wipe_free(authz);
	if (rc != 0) {
		log_warnx("matrix: cannot call %s %s: %s", method, path, err);
		call_free(c);
		return rc;
	}
	c->next = m->calls;
	if (m->calls != NULL)
		m->calls->prev = c;
	m->calls = c;
	return 0;
}

/* ---- failures --------------------------------------------------------------- */

static void
problem(struct matrix *m, const char *where, const char *error)
{
	char key[400], line[600];

	snprintf(key, sizeof(key), "%s %s", error, where);
	if (!adapt_once_first(&m->told, key))
		return;
	if (strncmp(error, "M_FORBIDDEN", 11) == 0)
		snprintf(line, sizeof(line), "The homeserver refused a message to %s (%s): the "
		    "bot is not in that room or may not post there. Invite it, then "
		    "`drillctl outbox retry ID`.", where, error);
	else
		snprintf(line, sizeof(line), "The homeserver refused a message to %s (%s); it "
		    "will not be retried.", where, error);
	log_error("matrix: %s", line);
	if (m->o.on_problem != NULL)
		m->o.on_problem(m->o.arg, line);
}

static void
fail_adapter(struct matrix *m, const char *why)
{
	const char *todo;

	if (m->failed)
		return;
	m->failed = true;
	if (strstr(why, "HTTP 3") != NULL || strstr(why, "HTTP 404") != NULL) {
		m->fail_reason = "the homeserver's address is wrong";
		todo = "check matrix.homeserver: the base URL clients use, without a path, "
		    "and no redirect (drilld follows none)";
	} else if (m->o.appservice) {
		m->fail_reason = "the homeserver refused the bot's token";
		todo = "check that matrix.as_token is the as_token of the registration the "
		    "homeserver loaded (`drillctl matrix registration`)";
	} else if (m->password != NULL) {
		m->fail_reason = "the homeserver refused the bot's log-in";
		todo = "check matrix.user_id and matrix.password";
	} else {
		m->fail_reason = "the homeserver refused the bot's token";
		todo = "set a new matrix.access_token, or matrix.password so that drilld can "
		    "log in by itself";
	}
	log_error("matrix: %s (%s): %s, then restart drilld. Until then nothing is read "
	    "from Matrix, and messages for it wait in the outbox.", m->fail_reason, why, todo);
	if (m->o.on_problem != NULL)
		m->o.on_problem(m->o.arg, "The Matrix side of drilld has stopped (the "
		    "homeserver refused it): messages for Matrix wait until drilld restarts "
		    "with a working matrix configuration.");
	ready_update(m);
}

/* ---- start-up: log-in, whoami, filter ------------------------------------- */

static void sync_next(struct matrix *m, uint64_t delay_ms);
static void whoami(struct matrix *m);
static void login(struct matrix *m);

static void
on_timer(uv_timer_t *t)
{
	struct matrix *m = t->data;

	if (!m->whoami_ok)
		whoami(m);
	else
		sync_next(m, 0);
}

static void
later(struct matrix *m, uint64_t delay_ms)
{
	if (!m->stopping && m->timer_init)
		uv_timer_start(&m->timer, on_timer, delay_ms, 0);
}

static void
logged_in(struct mx_call *c, const struct mx_result *r)
{
	struct matrix *m = c->m;
	const char *token, *device;
	int64_t now = (int64_t)time(NULL);

	m->relogging = false;
	if (r->status != OUTBOX_OK) {
		if (r->status == OUTBOX_PERMANENT) {
			fail_adapter(m, r->error);
			return;
		}
		log_warnx("matrix: cannot log in (%s); trying again", r->error);
		later(m, r->retry_after_ms > 0 ? r->retry_after_ms : next_delay(m));
		return;
	}
	token = jsonv_str(r->body, "access_token", 4096);
	device = jsonv_str(r->body, "device_id", 255);
	if (token == NULL || token[0] == '\0') {
		fail_adapter(m, "the log-in gave no access token");
		return;
	}
	adapt_wipe_free(m->token);
	if ((m->token = strdup(token)) == NULL) {
		later(m, next_delay(m));
		return;
	}
	/* kept, so that the next start does not log in (and make a device) again */
	if (store_state_put(m->o.store, "matrix:access_token", token, now) != 0 ||
	    (device != NULL && store_state_put(m->o.store, "matrix:device_id", device, now) != 0))
		log_warnx("matrix: cannot keep the token the log-in gave");
	log_notice("matrix: logged in as user=%s", m->user_id);
	m->fresh_login = true;
	whoami(m);
}

static void
login(struct matrix *m)
{
	struct json_object *o = json_object_new_object(), *id = json_object_new_object();
	struct mx_call *c = call_new(logged_in);
	char *device = NULL;

	if (m->password == NULL || m->relogging) {
		json_object_put(o);
		json_object_put(id);
		free(c);
		if (m->password == NULL)
			fail_adapter(m, "M_UNKNOWN_TOKEN");
		return;
	}
	if (store_state_get(m->o.store, "matrix:device_id", &device) != 0)
		device = NULL;	/* the first log-in: the server makes one */
	if (o == NULL || id == NULL || c == NULL || !jsonv_put_str(id, "type", "m.id.user") ||
	    !jsonv_put_str(id, "user", m->user_id) ||
	    !jsonv_put_str(o, "type", "m.login.password") ||
	    !jsonv_put(o, "identifier", json_object_get(id)) ||
	    !jsonv_put_str(o, "password", m->password) ||
	    !jsonv_put_str(o, "initial_device_display_name", "drilld") ||
	    (device != NULL && !jsonv_put_str(o, "device_id", device))) {
		free(device);
		json_object_put(o);
		json_object_put(id);
		call_free(c);
		later(m, next_delay(m));
		return;
	}
	free(device);
	m->relogging = true;
	if (mx_start(m, c, "POST", "/_matrix/client/v3/login", NULL, o, false, 0, 0) != 0) {
		m->relogging = false;
		later(m, next_delay(m));
	}
	json_object_put(o);
	json_object_put(id);
}

static void
filtered(struct mx_call *c, const struct mx_result *r)
{
	struct matrix *m = c->m;
	const char *id;

	if (r->status != OUTBOX_OK || (id = jsonv_str(r->body, "filter_id", 255)) == NULL) {
		/* no filter is no disaster: /sync without one */
		log_info("matrix: no sync filter (%s); syncing without one",
		    r->error != NULL ? r->error : "no filter_id");
	} else {
		free(m->filter_id);
		m->filter_id = strdup(id);
	}
	sync_next(m, 0);
}

/* The filter: messages, memberships and encryption; m.direct; no presence. */
static void
make_filter(struct matrix *m)
{
	static const char filter[] =
	    "{\"presence\":{\"types\":[]},"
	    "\"account_data\":{\"types\":[\"m.direct\"]},"
	    "\"room\":{\"timeline\":{\"types\":[\"m.room.message\",\"m.room.member\","
	    "\"m.room.encrypted\",\"m.room.encryption\"],\"limit\":50},"
	    "\"state\":{\"lazy_load_members\":true},"
	    "\"ephemeral\":{\"types\":[]},\"account_data\":{\"types\":[]}}}";
	struct json_object *o = NULL;
	struct mx_call *c;
	char path[600], user[400];

	if (!escape(m->user_id, user, sizeof(user)) ||
	    jsonv_parse(filter, strlen(filter), JSON_DEPTH, &o, NULL) != 0 ||
	    (c = call_new(filtered)) == NULL) {
		json_object_put(o);
		sync_next(m, 0);
		return;
	}
	snprintf(path, sizeof(path), "/_matrix/client/v3/user/%s/filter", user);
	if (mx_start(m, c, "POST", path, NULL, o, true, 0, 0) != 0)
		sync_next(m, 0);
	json_object_put(o);
}

static void
whoami_done(struct mx_call *c, const struct mx_result *r)
{
	struct matrix *m = c->m;
	const char *user;

	if (r->status != OUTBOX_OK) {
		if (r->unknown_token && !m->o.appservice && !m->fresh_login) {
			login(m);
			return;
		}
		if (r->status == OUTBOX_PERMANENT) {
			/* a token refused right after the log-in that gave it: no loop */
			fail_adapter(m, r->error);
			return;
		}
		log_warnx("matrix: cannot reach the homeserver (whoami: %s); trying again",
		    r->error);
		later(m, r->retry_after_ms > 0 ? r->retry_after_ms : next_delay(m));
		return;
	}
	user = jsonv_str(r->body, "user_id", 255);
	if (user == NULL || strcmp(user, m->user_id) != 0) {
		/* the bot would not know its own messages, nor its invites */
		log_error("matrix: the token is %s's, not matrix.user_id's (%s)",
		    user != NULL ? user : "nobody's", m->user_id);
		fail_adapter(m, "the token belongs to another user");
		return;
	}
	{
		/* the device, so that a later log-in keeps its txnId scope */
		const char *device = jsonv_str(r->body, "device_id", 255);
		char *kept = NULL;
		if (!m->o.appservice && device != NULL &&
		    store_state_get(m->o.store, "matrix:device_id", &kept) == DRILL_ENOTFOUND &&
		    store_state_put(m->o.store, "matrix:device_id", device, (int64_t)time(NULL)) != 0)
			log_warnx("matrix: cannot keep the bot's device id");
		free(kept);
	}
	m->fresh_login = false;
	m->whoami_ok = true;
	m->backoff_ms = 0;
	log_notice("matrix: signed in as user=%s mode=%s", m->user_id,
	    m->o.appservice ? "appservice" : "client");
	ready_update(m);
	if (!m->o.appservice)
		make_filter(m);
}

static void
whoami(struct matrix *m)
{
	struct mx_call *c;

	if (m->stopping || m->failed)
		return;
	if (!m->o.appservice && m->token == NULL) {
		login(m);
		return;
	}
	if ((c = call_new(whoami_done)) == NULL ||
	    mx_start(m, c, "GET", "/_matrix/client/v3/account/whoami", NULL, NULL, true,
	    0, 0) != 0)
		later(m, next_delay(m));
}

/* ---- rooms: DMs, invites, encryption ------------------------------------ */

static const char *
dm_user(const struct matrix *m, const char *room)
{
	for (size_t i = 0; i < m->ndms; i++)
		if (strcmp(m->dms[i].room, room) == 0)
			return m->dms[i].user;
	return NULL;
}

static const char *
dm_room(const struct matrix *m, const char *user)
{
	for (size_t i = 0; i < m->ndms; i++)
		if (strcmp(m->dms[i].user, user) == 0)
			return m->dms[i].room;
	return NULL;
}

/*
 * Remembers room as the DM with user, and (persist) every DM room in the
 * store as one JSON object {"@user": "!room"}: after a restart /sync says
 * nothing more of m.direct, and a DM must still be known as one.
 */
static void dm_save(struct matrix *m);
static void dm_load(struct matrix *m);

static void
dm_keep(struct matrix *m, const char *user, const char *room, bool persist)
{
	if (dm_user(m, room) != NULL || strlen(room) >= ID_MAX || strlen(user) >= ID_MAX)
		return;
	if (m->ndms == ROOMS_MAX) {
		/* bounded: the oldest goes */
		memmove(m->dms, m->dms + 1, (ROOMS_MAX - 1) * sizeof(m->dms[0]));
		m->ndms--;
	}
	snprintf(m->dms[m->ndms].room, ID_MAX, "%s", room);
	snprintf(m->dms[m->ndms].user, ID_MAX, "%s", user);
	m->ndms++;
	if (persist)
		dm_save(m);
}

/* Every DM room, to the store. */
static void
dm_save(struct matrix *m)
{
	struct json_object *o;
	const char *text;

	if ((o = json_object_new_object()) == NULL)
		return;
	for (size_t i = 0; i < m->ndms; i++)
		(void)jsonv_put_str(o, m->dms[i].user, m->dms[i].room);
	if ((text = json_object_to_json_string_ext(o, JSON_OUT)) == NULL ||
	    store_state_put(m->o.store, "matrix:dms", text, (int64_t)time(NULL)) != 0)
		log_warnx("matrix: cannot keep the DM rooms");
	json_object_put(o);
}

/* The bot is no longer in room: if it was a DM, the next message to that
 * person opens a new one. */
static void
dm_forget(struct matrix *m, const char *room)
{
	for (size_t i = 0; i < m->ndms; i++)
		if (strcmp(m->dms[i].room, room) == 0) {
			log_info("matrix: the DM room=%s with person=%s is gone", room,
			    m->dms[i].user);
			memmove(m->dms + i, m->dms + i + 1, (m->ndms - i - 1) * sizeof(m->dms[0]));
			m->ndms--;
			dm_save(m);
			return;
		}
}

/* After a rolled-back batch: the DM rooms as the store has them. */
static void
dm_reload(struct matrix *m)
{
	m->ndms = 0;
	dm_load(m);
}

/* The DM rooms kept by an earlier run. */
static void
dm_load(struct matrix *m)
{
	struct json_object *o = NULL;
	char *text = NULL;

	if (store_state_get(m->o.store, "matrix:dms", &text) != 0)
		return;
	if (jsonv_parse(text, strlen(text), JSON_DEPTH, &o, NULL) == 0 &&
	    json_object_is_type(o, json_type_object)) {
		json_object_object_foreach(o, user, room) {
			if (matrixev_user_ok(user) && json_object_is_type(room, json_type_string) &&
			    matrixev_room_ok(json_object_get_string(room)))
				dm_keep(m, user, json_object_get_string(room), false);
		}
	}
	json_object_put(o);
	free(text);
}

/* m.direct account data: {"@user": ["!room", ...]}; one store write for all. */
static void
direct_data(struct matrix *m, struct json_object *content)
{
	size_t before = m->ndms;
	bool moved = false;

	json_object_object_foreach(content, user, rooms) {
		if (!matrixev_user_ok(user) || !json_object_is_type(rooms, json_type_array))
			continue;
		for (size_t i = 0; i < json_object_array_length(rooms) && i < 16; i++) {
			struct json_object *r = json_object_array_get_idx(rooms, i);
			if (json_object_is_type(r, json_type_string) &&
			    matrixev_room_ok(json_object_get_string(r)) &&
			    dm_user(m, json_object_get_string(r)) == NULL) {
				moved = moved || m->ndms == ROOMS_MAX;
				dm_keep(m, user, json_object_get_string(r), false);
			}
		}
	}
	if (moved || m->ndms != before)
		dm_save(m);
}

/* Writes our m.direct (every DM room we know) to the account data. */
static void
direct_done(struct mx_call *c, const struct mx_result *r)
{
	if (r->status != OUTBOX_OK)
		log_info("matrix: cannot record DM rooms in m.direct (%s)", r->error);
	(void)c;
}

/*
 * The m.direct the server has, with every DM room we know added (others'
 * entries kept, as the spec asks: read, add, write back).
 */
static void
direct_merge(struct mx_call *c, const struct mx_result *r)
{
	struct matrix *m = c->m;
	struct json_object *o, *list;
	struct mx_call *put;
	char path[700], user[400];

	if (r->status == OUTBOX_OK)
		o = json_object_get(r->body);
	else if (r->status == OUTBOX_PERMANENT && strncmp(r->error, "M_NOT_FOUND", 11) == 0)
		o = json_object_new_object();	/* none yet */
	else {
		log_info("matrix: cannot read m.direct (%s); DM rooms not recorded there",
		    r->error);
		return;
	}
	if (o == NULL || !escape(m->user_id, user, sizeof(user)))
		goto out;
	for (size_t i = 0; i < m->ndms; i++) {
		bool have = false;
		if (!json_object_object_get_ex(o, m->dms[i].user, &list) ||
		    !json_object_is_type(list, json_type_array)) {
			if ((list = json_object_new_array()) == NULL ||
			    !jsonv_put(o, m->dms[i].user, list))
				goto out;
		}
		for (size_t k = 0; k < json_object_array_length(list); k++) {
			struct json_object *v = json_object_array_get_idx(list, k);
			if (json_object_is_type(v, json_type_string) &&
			    strcmp(json_object_get_string(v), m->dms[i].room) == 0)
				have = true;
		}
		if (!have && json_object_array_add(list,
		    json_object_new_string(m->dms[i].room)) != 0)
			goto out;
	}
	if ((put = call_new(direct_done)) == NULL)
		goto out;
	snprintf(path, sizeof(path), "/_matrix/client/v3/user/%s/account_data/m.direct", user);
	(void)mx_start(m, put, "PUT", path, NULL, o, true, 0, 0);
out:
	json_object_put(o);
}

static void
direct_save(struct matrix *m)
{
	struct mx_call *c;
	char path[700], user[400];

	if (!escape(m->user_id, user, sizeof(user)) || (c = call_new(direct_merge)) == NULL)
		return;
	snprintf(path, sizeof(path), "/_matrix/client/v3/user/%s/account_data/m.direct", user);
	(void)mx_start(m, c, "GET", path, NULL, NULL, true, 0, 0);
}

/* Whether inviter may invite the bot (matrix.auto_join). */
static bool
may_invite(const struct matrix *m, const char *inviter)
{
	for (size_t i = 0; i < m->nauto_join; i++) {
		const char *a = m->auto_join[i];
		if (strcmp(a, "*") == 0 || strcmp(a, inviter) == 0 ||
		    (a[0] != '@' && strcmp(a, server_of(inviter)) == 0))
			return true;
	}
	return false;
}

static void
joined(struct mx_call *c, const struct mx_result *r)
{
	if (r->status != OUTBOX_OK)
		log_warnx("matrix: cannot join room=%s (%s)", c->person, r->error);
	else
		log_info("matrix: joined room=%s", c->person);
}

static void
left(struct mx_call *c, const struct mx_result *r)
{
	if (r->status != OUTBOX_OK)
		log_info("matrix: cannot leave room=%s (%s)", c->person, r->error);
	else
		log_info("matrix: left room=%s", c->person);
}

/* POST /rooms/{room}/{join|leave}. */
static void
room_action(struct matrix *m, const char *room, const char *what, mx_done_fn done)
{
	struct json_object *o = json_object_new_object();
	struct mx_call *c = call_new(done);
	char path[800], r[600];

	if (o == NULL || c == NULL || !escape(room, r, sizeof(r))) {
		json_object_put(o);
		call_free(c);
		return;
	}
	snprintf(c->person, sizeof(c->person), "%s", room);
	snprintf(path, sizeof(path), "/_matrix/client/v3/rooms/%s/%s", r, what);
	(void)mx_start(m, c, "POST", path, NULL, o, true, 0, 0);
	json_object_put(o);
}

static void
invited(struct matrix *m, const char *room, const char *inviter, bool direct)
{
	if (!may_invite(m, inviter)) {
		log_notice("matrix: invite refused room=%s inviter=%s (not in matrix.auto_join)",
		    room, inviter);
		room_action(m, room, "leave", left);
		return;
	}
	log_info("matrix: invited room=%s inviter=%s direct=%s", room, inviter,
	    direct ? "yes" : "no");
	if (direct) {
		dm_keep(m, inviter, room, true);
		direct_save(m);
	}
	room_action(m, room, "join", joined);
}

/* The bot cannot read an encrypted room: it says so once, ever. */
static void
encrypted(struct matrix *m, const char *room)
{
	char key[ID_MAX + 16], conv[ID_MAX + 16], *said = NULL;
	struct platform_dest d = {conv, NULL, NULL, 0, false};
	struct msg *msg;

	snprintf(key, sizeof(key), "matrix:e2e:%s", room);
	if (store_state_get(m->o.store, key, &said) == 0) {
		free(said);
		return;
	}
	snprintf(conv, sizeof(conv), "matrix:%s", room);
	log_warnx("matrix: room=%s is encrypted: drilld cannot read it (end-to-end "
	    "encryption is not supported yet); it says so there once", room);
	if ((msg = msg_new()) == NULL)
		return;
	msg_add(msg, MSG_TEXT, "This room is end-to-end encrypted, and I cannot read "
	    "encrypted messages yet, so I cannot answer here. Invite me to an "
	    "unencrypted room, or write to me in a direct message without encryption.");
	if (store_begin(m->o.store) == 0) {
		if (m->o.post != NULL && m->o.post(m->o.post_arg, &d, msg, NULL) == 0 &&
		    store_state_put(m->o.store, key, "said", (int64_t)time(NULL)) == 0) {
			if (store_commit(m->o.store) != 0) {
				store_rollback(m->o.store);
				log_warnx("matrix: cannot note that room=%s was told", room);
			}
		} else
			store_rollback(m->o.store);
	}
	msg_free(msg);
}

/* Another member left: the bot leaves a room where it is the last one. */
static void
members_counted(struct mx_call *c, const struct mx_result *r)
{
	struct json_object *j = jsonv_obj(r->body, "joined");

	if (r->status != OUTBOX_OK || j == NULL)
		return;
	if (json_object_object_length(j) <= 1) {
		log_info("matrix: alone in room=%s: leaving", c->person);
		dm_forget(c->m, c->person);
		room_action(c->m, c->person, "leave", left);
	}
}

static void
member_changed(struct matrix *m, const char *room)
{
	struct mx_call *c = call_new(members_counted);
	char path[800], r[600];

	if (c == NULL || !escape(room, r, sizeof(r))) {
		call_free(c);
		return;
	}
	snprintf(c->person, sizeof(c->person), "%s", room);
	snprintf(path, sizeof(path), "/_matrix/client/v3/rooms/%s/joined_members", r);
	(void)mx_start(m, c, "GET", path, NULL, NULL, true, 0, 0);
}

/*
 * One event of room (room NULL: the event's room_id): to the engine, or
 * the room work it calls for. 0 unless the engine could not store it.
 */
static int
dispatch(struct matrix *m, struct json_object *ev, const char *room, bool answer)
{
	struct matrixev_ctx ctx = {m->user_id, room, false};
	struct matrixev out;
	enum matrixev_outcome oc;
	int rc = 0;

	if (room != NULL)
		ctx.dm = dm_user(m, room) != NULL;
	else if (jsonv_str(ev, "room_id", 255) != NULL)
		ctx.dm = dm_user(m, jsonv_str(ev, "room_id", 255)) != NULL;
	oc = matrixev_event(ev, &ctx, &out);
	switch (oc) {
	case MATRIXEV_HANDLE:
		if (!answer)
			break;	/* the past, at the first sync */
		log_debug("matrix: event kind=%d conversation=%s user=%s event=%s",
		    (int)out.ev.kind, out.ev.conversation, out.ev.user, out.ev.event_id);
		rc = m->o.on_event(m->o.arg, &out.ev, NULL, NULL);
		if (rc == DRILL_EINVAL)
			rc = 0;	/* refused by the engine: it would not be better again */
		else if (rc != 0)
			log_warnx("matrix: an event could not be stored (%s); it comes again",
			    drill_strerror(rc));
		break;
	case MATRIXEV_INVITE:
		invited(m, out.room, out.inviter, out.is_direct);
		break;
	case MATRIXEV_GONE:
		log_info("matrix: the bot is no longer in room=%s", out.room);
		dm_forget(m, out.room);
		break;
	case MATRIXEV_MEMBER:
		if (answer) {
			struct json_object *content = jsonv_obj(ev, "content");
			const char *ms = jsonv_str(content, "membership", 32);
			if (ms != NULL && (strcmp(ms, "leave") == 0 || strcmp(ms, "ban") == 0))
				member_changed(m, out.room);
		}
		break;
	case MATRIXEV_ENCRYPTED:
		if (answer)
			encrypted(m, out.room);
		break;
	case MATRIXEV_IGNORE:
		log_debug("matrix: ignored: %s", out.why);
		break;
	case MATRIXEV_BAD:
		log_warnx("matrix: an event drilld cannot read: %s", out.why);
		break;
	}
	matrixev_clear(&out);
	return rc;
}

/* ---- client mode: /sync -------------------------------------------------- */

/*
 * The events of a /sync section. Of an invite's stripped state only the
 * membership counts: the bot is not in the room yet, so it says nothing
 * there (an encrypted room is told once the bot has joined).
 */
static int
each_event(struct matrix *m, struct json_object *section, const char *room, bool answer,
    bool invite)
{
	struct json_object *events;
	int rc = 0;

	if (section == NULL || !json_object_object_get_ex(section, "events", &events) ||
	    !json_object_is_type(events, json_type_array))
		return 0;
	for (size_t i = 0; i < json_object_array_length(events); i++) {
		struct json_object *e = json_object_array_get_idx(events, i);
		const char *type = jsonv_str(e, "type", 64);
		if (invite && (type == NULL || strcmp(type, "m.room.member") != 0))
			continue;
		if (type != NULL && strcmp(type, "m.room.encryption") == 0) {
			if (answer)
				encrypted(m, room);
			continue;
		}
		if (dispatch(m, e, room, answer) != 0)
			rc = DRILL_EIO;
	}
	return rc;
}

/* One /sync batch; 0 when every event of it is stored. */
static int
batch(struct matrix *m, struct json_object *body, bool answer)
{
	struct json_object *rooms = jsonv_obj(body, "rooms"), *ad = jsonv_obj(body, "account_data");
	struct json_object *events;
	int rc = 0;

	if (ad != NULL && json_object_object_get_ex(ad, "events", &events) &&
	    json_object_is_type(events, json_type_array))
		for (size_t i = 0; i < json_object_array_length(events); i++) {
			struct json_object *e = json_object_array_get_idx(events, i);
			const char *type = jsonv_str(e, "type", 64);
			if (type != NULL && strcmp(type, "m.direct") == 0 && jsonv_obj(e, "content"))
				direct_data(m, jsonv_obj(e, "content"));
		}
	{
		struct json_object *inv = jsonv_obj(rooms, "invite");
		if (inv != NULL) {
			json_object_object_foreach(inv, room, r) {
				if (!matrixev_room_ok(room))
					continue;
				(void)each_event(m, jsonv_obj(r, "invite_state"), room, true, true);
			}
		}
	}
	{
		struct json_object *gone = jsonv_obj(rooms, "leave");
		if (gone != NULL) {
			json_object_object_foreach(gone, room, r) {
				(void)r;
				if (matrixev_room_ok(room))
					dm_forget(m, room);
			}
		}
	}
	{
		struct json_object *join = jsonv_obj(rooms, "join");
		if (join != NULL) {
			json_object_object_foreach(join, room, r) {
				if (!matrixev_room_ok(room))
					continue;
				if (each_event(m, jsonv_obj(r, "state"), room, answer, false) != 0 ||
				    each_event(m, jsonv_obj(r, "timeline"), room, answer, false) != 0)
					rc = DRILL_EIO;
			}
		}
	}
	return rc;
}

static void
synced(struct mx_call *c, const struct mx_result *r)
{
	struct matrix *m = c->m;
	const char *next;
	bool first = m->first_sync;

	m->sync_call = 0;
	if (m->stopping)
		return;
	if (r->status != OUTBOX_OK) {
		if (r->unknown_token) {
			if (m->password != NULL) {
				log_warnx("matrix: the homeserver no longer knows the token: "
				    "logging in again");
				m->whoami_ok = false;
				ready_update(m);
				login(m);
			} else {
				fail_adapter(m, r->error);
			}
			return;
		}
		if (r->status == OUTBOX_RATE_LIMITED && r->retry_after_ms > 0) {
			sync_next(m, r->retry_after_ms);
			return;
		}
		if (r->status == OUTBOX_PERMANENT) {
			/* a since token or filter the server no longer takes: a fresh
			 * start (the past unanswered); refused again, the end */
			if (++m->sync_refused > 2) {
				fail_adapter(m, r->error);
				return;
			}
			log_warnx("matrix: /sync refused (%s): starting over without the sync "
			    "token and the filter", r->error);
			free(m->since);
			m->since = NULL;
			free(m->filter_id);
			m->filter_id = NULL;
			m->first_sync = true;
			sync_next(m, next_delay(m));
			return;
		}
		log_warnx("matrix: /sync failed (%s); trying again", r->error);
		sync_next(m, next_delay(m));
		return;
	}
	if ((next = jsonv_str(r->body, "next_batch", 1024)) == NULL) {
		log_warnx("matrix: a /sync answer without next_batch");
		sync_next(m, next_delay(m));
		return;
	}
	/*
	 * The batch and its token are one transaction: a crash keeps both or
	 * neither. The first sync with no token is the past: joined rooms and
	 * invites are taken, messages are not answered.
	 */
	if (store_begin(m->o.store) != 0 || batch(m, r->body, !first) != 0 ||
	    store_state_put(m->o.store, "matrix:since", next, (int64_t)time(NULL)) != 0 ||
	    store_commit(m->o.store) != 0) {
		store_rollback(m->o.store);
		dm_reload(m);
		log_warnx("matrix: a /sync batch could not be stored; it is asked for again");
		sync_next(m, next_delay(m));
		return;
	}
	free(m->since);
	if ((m->since = strdup(next)) == NULL)
		log_warnx("matrix: out of memory keeping the sync token");
	m->first_sync = m->since == NULL;	/* never a full sync answered */
	m->sync_refused = 0;
	m->backoff_ms = 0;
	if (!m->synced) {
		m->synced = true;
		log_info("matrix: first /sync done");
		ready_update(m);
	}
	sync_next(m, 0);
}

static void
sync_next(struct matrix *m, uint64_t delay_ms)
{
	struct mx_call *c;
	char query[4200], since[3200], filter[800];
	size_t o = 0;

	if (m->stopping || m->failed || m->o.appservice || m->sync_call != 0)
		return;
	if (delay_ms > 0) {
		later(m, delay_ms);
		return;
	}
	o += (size_t)snprintf(query + o, sizeof(query) - o, "timeout=%u&set_presence=offline",
	    m->first_sync ? 0u : SYNC_TIMEOUT_MS);
	if (m->since != NULL && escape(m->since, since, sizeof(since)))
		o += (size_t)snprintf(query + o, sizeof(query) - o, "&since=%s", since);
	if (m->filter_id != NULL && escape(m->filter_id, filter, sizeof(filter)))
		snprintf(query + o, sizeof(query) - o, "&filter=%s", filter);
	if ((c = call_new(synced)) == NULL ||
	    mx_start(m, c, "GET", "/_matrix/client/v3/sync", query, NULL, true,
	    SYNC_REQUEST_MS, SYNC_MAX) != 0) {
		later(m, next_delay(m));
		return;
	}
	m->sync_call = c->id;
}

/* ---- application service: the homeserver's pushes ----------------------- */

/* The legacy access_token query parameter, into buf; false when absent. */
static bool
query_token(const char *query, char *buf, size_t len)
{
	const char *p = query;

	while (p != NULL && *p != '\0') {
		if (strncmp(p, "access_token=", 13) == 0) {
			const char *end = strchr(p + 13, '&');
			size_t n = end != NULL ? (size_t)(end - p - 13) : strlen(p + 13);
			if (n >= len)
				return false;
			memcpy(buf, p + 13, n);
			buf[n] = '\0';
			return true;
		}
		p = strchr(p, '&');
		if (p != NULL)
			p++;
	}
	return false;
}

static bool
same_secret(const char *a, const char *b)
{
	size_t n = strlen(a);
	unsigned char d = 0;

	if (n != strlen(b))
		return false;
	for (size_t i = 0; i < n; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return d == 0;
}

static void
matrix_error(struct http_request *req, int status, const char *code, const char *text)
{
	char body[300];

	snprintf(body, sizeof(body), "{\"errcode\":\"%s\",\"error\":\"%s\"}", code, text);
	http_respond(req, status, "application/json", body, strlen(body));
}

/* The homeserver's credentials: true when good, else answered 401/403. */
static bool
hs_authorized(struct matrix *m, struct http_request *req)
{
	char hdr[600], q[600];
	bool have_h = http_header(req, "Authorization", hdr, sizeof(hdr)) >= 0;
	bool have_q = query_token(req->query, q, sizeof(q));
	bool ok;

	if (!have_h && !have_q) {
		matrix_error(req, 401, "M_UNAUTHORIZED", "no credentials");
		return false;
	}
	ok = (!have_h || (strncmp(hdr, "Bearer ", 7) == 0 && same_secret(hdr + 7, m->hs_token))) &&
	    (!have_q || same_secret(q, m->hs_token));
	explicit_bzero(hdr, sizeof(hdr));
	explicit_bzero(q, sizeof(q));
	if (!ok) {
		log_info("matrix: refused a request to %s: wrong hs_token", req->path);
		matrix_error(req, 403, "M_FORBIDDEN", "bad credentials");
		return false;
	}
	return true;
}

static void
on_transaction(void *arg, struct http_request *req)
{
	struct matrix *m = arg;
	const char *txn = req->path + strlen("/_matrix/app/v1/transactions");
	struct json_object *body = NULL, *events;
	char key[300];
	bool first = false;
	int rc = 0;

	if (!hs_authorized(m, req))
		return;
	if (*txn == '/')
		txn++;
	if (*txn == '\0' || strlen(txn) > 200 || strchr(txn, '/') != NULL) {
		matrix_error(req, 400, "M_UNRECOGNIZED", "no transaction id");
		return;
	}
	if (jsonv_parse((const char *)req->body, req->body_len, JSON_DEPTH, &body, NULL) != 0 ||
	    !json_object_is_type(body, json_type_object)) {
		json_object_put(body);
		matrix_error(req, 400, "M_NOT_JSON", "the body is not a JSON object");
		return;
	}
	/* the transaction's id and all its events: one store transaction. The
	 * key holds a digest of the body too: a homeserver that counts its ids
	 * from 1 again (a new registration) is not taken for a repeat. */
	{
		uint64_t h = 14695981039346656037ULL;
		for (size_t i = 0; i < req->body_len; i++)
			h = (h ^ req->body[i]) * 1099511628211ULL;
		snprintf(key, sizeof(key), "matrix:txn:%s:%016llx", txn, (unsigned long long)h);
	}
	if (store_begin(m->o.store) != 0 ||
	    store_event_seen(m->o.store, key, (int64_t)time(NULL), &first) != 0) {
		store_rollback(m->o.store);
		json_object_put(body);
		matrix_error(req, 500, "M_UNKNOWN", "the store failed");
		return;
	}
	if (!first) {
		store_rollback(m->o.store);
		log_debug("matrix: transaction repeated by the homeserver txn=%.80s", txn);
		json_object_put(body);
		http_respond(req, 200, "application/json", "{}", 2);
		return;
	}
	if (json_object_object_get_ex(body, "events", &events) &&
	    json_object_is_type(events, json_type_array))
		for (size_t i = 0; i < json_object_array_length(events); i++)
			if (dispatch(m, json_object_array_get_idx(events, i), NULL, true) != 0)
				rc = DRILL_EIO;
	json_object_put(body);
	if (rc != 0 || store_commit(m->o.store) != 0) {
		store_rollback(m->o.store);
		dm_reload(m);
		matrix_error(req, 500, "M_UNKNOWN", "not stored; send it again");
		return;
	}
	http_respond(req, 200, "application/json", "{}", 2);
}

static void
on_ping(void *arg, struct http_request *req)
{
	if (!hs_authorized(arg, req))
		return;
	http_respond(req, 200, "application/json", "{}", 2);
}

static void
on_user_query(void *arg, struct http_request *req)
{
	struct matrix *m = arg;
	const char *user = req->path + strlen("/_matrix/app/v1/users");

	if (!hs_authorized(m, req))
		return;
	if (*user == '/')
		user++;
	if (strcmp(user, m->user_id) == 0)
		http_respond(req, 200, "application/json", "{}", 2);
	else
		matrix_error(req, 404, "M_NOT_FOUND", "no such user here");
}

static void
on_room_query(void *arg, struct http_request *req)
{
	if (!hs_authorized(arg, req))
		return;
	matrix_error(req, 404, "M_NOT_FOUND", "no such room alias here");
}

/* ---- sending ---------------------------------------------------------------- */

static void
send_done(struct mx_call *c, const struct mx_result *r)
{
	struct matrix *m = c->m;
	struct outbox_result res = {.status = r->status, .error = r->error,
	    .retry_after_ms = r->retry_after_ms};

	if (r->status == OUTBOX_OK) {
		res.message_id = jsonv_str(r->body, "event_id", 255);
		log_debug("matrix: sent destination=%s event=%s", c->dest,
		    res.message_id != NULL ? res.message_id : "-");
	} else if (r->unknown_token) {
		if (m->password != NULL && !m->o.appservice) {
			res.status = OUTBOX_TRANSIENT;	/* again, once logged in */
			if (!m->relogging) {
				m->whoami_ok = false;
				ready_update(m);
				login(m);
			}
		} else {
			fail_adapter(m, r->error);
			res.status = OUTBOX_RATE_LIMITED;	/* it waits for a restart */
			res.retry_after_ms = FAILED_WAIT_MS;
		}
	} else if (r->status == OUTBOX_PERMANENT && c->dest[7] == '@' &&
	    strncmp(r->error, "M_FORBIDDEN", 11) == 0) {
		/* the DM room is no longer the person's: a new one next time */
		const char *room = dm_room(m, c->dest + 7);
		if (room != NULL) {
			char gone[ID_MAX];
			snprintf(gone, sizeof(gone), "%s", room);
			dm_forget(m, gone);
		}
		res.status = OUTBOX_TRANSIENT;
	} else if (r->status == OUTBOX_PERMANENT) {
		problem(m, c->dest, r->error);
	} else {
		log_info("matrix: a send to %s failed for now (%s); the outbox tries again",
		    c->dest, r->error);
	}
	c->odone(c->otoken, &res);
}

/* The event content for c's payload: a thread reply, or an edit. */
static struct json_object *
content_of(const struct mx_call *c, bool *bad)
{
	struct json_object *o = NULL, *rel, *inner, *edit;
	const char *body, *fb;
	char *star;

	*bad = false;
	if (jsonv_parse(c->payload, strlen(c->payload), JSON_DEPTH, &o, NULL) != 0 ||
	    !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		*bad = true;
		return NULL;
	}
	if (json_object_object_get_ex(o, REPLACE_KEY, NULL)) {
		/* an edit: the new content, and a "* " fallback for old clients */
		json_object_object_del(o, REPLACE_KEY);
		if (c->thread_id == NULL) {
			json_object_put(o);
			*bad = true;
			return NULL;
		}
		body = jsonv_str(o, "body", SIZE_MAX);
		fb = jsonv_str(o, "formatted_body", SIZE_MAX);
		if ((edit = json_object_new_object()) == NULL ||
		    (rel = json_object_new_object()) == NULL) {
			json_object_put(edit);
			json_object_put(o);
			return NULL;
		}
		jsonv_put_str(edit, "msgtype", "m.notice");
		if ((star = malloc(strlen(body ? body : "") + 3)) != NULL) {
			snprintf(star, strlen(body ? body : "") + 3, "* %s", body ? body : "");
			jsonv_put_str(edit, "body", star);
			free(star);
		}
		if (fb != NULL && (star = malloc(strlen(fb) + 3)) != NULL) {
			snprintf(star, strlen(fb) + 3, "* %s", fb);
			jsonv_put_str(edit, "format", "org.matrix.custom.html");
			jsonv_put_str(edit, "formatted_body", star);
			free(star);
		}
		jsonv_put(edit, "m.mentions", json_object_new_object());
		jsonv_put_str(rel, "rel_type", "m.replace");
		jsonv_put_str(rel, "event_id", c->thread_id);
		jsonv_put(edit, "m.relates_to", rel);
		jsonv_put(edit, "m.new_content", o);
		return edit;
	}
	if (c->thread_id != NULL) {
		if ((rel = json_object_new_object()) == NULL ||
		    (inner = json_object_new_object()) == NULL) {
			json_object_put(rel);
			json_object_put(o);
			return NULL;
		}
		jsonv_put_str(rel, "rel_type", "m.thread");
		jsonv_put_str(rel, "event_id", c->thread_id);
		jsonv_put(rel, "is_falling_back", json_object_new_boolean(1));
		jsonv_put_str(inner, "event_id", c->thread_id);
		jsonv_put(rel, "m.in_reply_to", inner);
		jsonv_put(o, "m.relates_to", rel);
	}
	return o;
}

/* PUT the message of c into room (c owned from here). */
static int
put_message(struct matrix *m, struct mx_call *c, const char *room)
{
	struct json_object *content;
	char path[1200], r[600], t[240];
	bool bad;
	int rc;

	if ((content = content_of(c, &bad)) == NULL) {
		if (bad) {
			struct outbox_result res = {.status = OUTBOX_PERMANENT,
			    .error = "the payload is not a message for Matrix"};
			c->odone(c->otoken, &res);
			call_free(c);
			return 0;
		}
		call_free(c);
		return DRILL_ENOMEM;
	}
	if (!escape(room, r, sizeof(r)) || !escape(c->txn, t, sizeof(t))) {
		struct outbox_result res = {.status = OUTBOX_PERMANENT,
		    .error = "a room or transaction id too long"};
		json_object_put(content);
		c->odone(c->otoken, &res);
		call_free(c);
		return 0;
	}
	snprintf(path, sizeof(path), "/_matrix/client/v3/rooms/%s/send/m.room.message/%s", r, t);
	c->done = send_done;
	rc = mx_start(m, c, "PUT", path, NULL, content, true, 0, 0);
	json_object_put(content);
	return rc;
}

/* createRoom answered: the DM room, then the message. */
static void
dm_created(struct mx_call *c, const struct mx_result *r)
{
	struct matrix *m = c->m;
	struct mx_call *p;
	const char *room;
	struct outbox_result res = {.status = OUTBOX_TRANSIENT, .error = "out of memory"};

	if (r->status != OUTBOX_OK) {
		send_done(c, r);
		return;
	}
	if (!matrixev_room_ok(room = jsonv_str(r->body, "room_id", 255))) {
		struct mx_result bad = {.status = OUTBOX_TRANSIENT,
		    .error = "createRoom gave no room"};
		send_done(c, &bad);
		return;
	}
	dm_keep(m, c->person, room, true);
	direct_save(m);
	log_info("matrix: opened a DM room=%s with person=%s", room, c->person);
	if ((p = call_new(send_done)) == NULL || (p->payload = strdup(c->payload)) == NULL) {
		call_free(p);
		c->odone(c->otoken, &res);
		return;
	}
	p->odone = c->odone;
	p->otoken = c->otoken;
	snprintf(p->txn, sizeof(p->txn), "%s", c->txn);
	snprintf(p->dest, sizeof(p->dest), "%s", c->dest);
	if (put_message(m, p, room) != 0) {
		res.error = "cannot start the send";
		c->odone(c->otoken, &res);
	}
}

int
matrix_send(void *arg, const struct outbox_msg *msg, outbox_done_fn done, void *token)
{
	struct matrix *m = arg;
	struct mx_call *c;
	const char *id;

	if (m == NULL || msg == NULL || msg->destination == NULL || msg->payload == NULL ||
	    strncmp(msg->destination, "matrix:", 7) != 0)
		return DRILL_EINVAL;
	if (m->failed) {
		/* not lost: it waits (a rate limit costs no attempt) for a restart */
		struct outbox_result r = {.status = OUTBOX_RATE_LIMITED,
		    .error = m->fail_reason, .retry_after_ms = FAILED_WAIT_MS};
		done(token, &r);
		return 0;
	}
	if (m->stopping)
		return DRILL_EINVAL;
	id = msg->destination + 7;
	if (!matrixev_room_ok(id) && !matrixev_user_ok(id)) {
		struct outbox_result r = {.status = OUTBOX_PERMANENT,
		    .error = "not a Matrix room or user id"};
		done(token, &r);
		return 0;
	}
	if ((c = call_new(send_done)) == NULL || (c->payload = strdup(msg->payload)) == NULL ||
	    (msg->thread_id != NULL && (c->thread_id = strdup(msg->thread_id)) == NULL)) {
		call_free(c);
		return DRILL_ENOMEM;
	}
	c->odone = done;
	c->otoken = token;
	/* the outbox's key: the same on every attempt, so the server drops repeats */
	snprintf(c->txn, sizeof(c->txn), "drilld-%s", msg->idem_key != NULL ?
	    msg->idem_key : "none");
	snprintf(c->dest, sizeof(c->dest), "%s", msg->destination);
	log_debug("matrix: sending row=%lld destination=%s attempt=%d", (long long)msg->id,
	    msg->destination, msg->attempt);
	if (id[0] == '@') {
		const char *room = dm_room(m, id);
		struct json_object *o, *invite;
		int rc;
		if (room != NULL)
			return put_message(m, c, room);
		snprintf(c->person, sizeof(c->person), "%s", id);
		c->done = dm_created;
		if ((o = json_object_new_object()) == NULL ||
		    (invite = json_object_new_array()) == NULL ||
		    json_object_array_add(invite, json_object_new_string(id)) != 0 ||
		    !jsonv_put(o, "invite", invite) ||
		    !jsonv_put_str(o, "preset", "trusted_private_chat") ||
		    !jsonv_put(o, "is_direct", json_object_new_boolean(1))) {
			json_object_put(o);
			call_free(c);
			return DRILL_ENOMEM;
		}
		rc = mx_start(m, c, "POST", "/_matrix/client/v3/createRoom", NULL, o, true, 0, 0);
		json_object_put(o);
		return rc;
	}
	return put_message(m, c, id);
}

/* The adapter's render: the m.room.message content, and a mark for an edit. */
static char *
render(void *arg, const struct platform_dest *d, const struct msg *msg)
{
	struct json_object *o = NULL;
	char *json = render_matrix(msg), *out;
	const char *s;

	(void)arg;
	if (json == NULL || !d->replace)
		return json;
	if (jsonv_parse(json, strlen(json), JSON_DEPTH, &o, NULL) != 0 ||
	    !jsonv_put(o, REPLACE_KEY, json_object_new_boolean(1))) {
		json_object_put(o);
		free(json);
		return NULL;
	}
	free(json);
	s = json_object_to_json_string_ext(o, JSON_OUT);
	out = s != NULL ? strdup(s) : NULL;
	json_object_put(o);
	return out;
}

/* ---- life cycle ---------------------------------------------------------------- */

/*
 * What the store keeps for Matrix (the sync token, DM rooms, the device
 * and a logged-in token) belongs to one account on one homeserver: when
 * the config names another, it is dropped rather than used for it.
 */
static void
forget_other_account(struct matrix *m)
{
	static const char *const keys[] = {
		"matrix:since", "matrix:dms", "matrix:device_id", "matrix:access_token"
	};
	char who[2400], *was = NULL;
	int64_t now = (int64_t)time(NULL);

	snprintf(who, sizeof(who), "%s %s", m->user_id, m->homeserver);
	if (store_state_get(m->o.store, "matrix:account", &was) == 0 && strcmp(was, who) != 0) {
		log_notice("matrix: the config names another account or homeserver than the "
		    "last run: its sync token and DM rooms are dropped");
		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			if (store_state_delete(m->o.store, keys[i]) != 0)
				log_warnx("matrix: cannot drop %s", keys[i]);
	}
	free(was);
	if (store_state_put(m->o.store, "matrix:account", who, now) != 0)
		log_warnx("matrix: cannot note the account");
}

struct matrix *
matrix_new(uv_loop_t *loop, struct http *http, const struct matrix_opts *o,
    char err[DRILL_ERRLEN])
{
	struct matrix *m;
	bool oom;

	if (loop == NULL || o == NULL || o->on_event == NULL || o->homeserver == NULL ||
	    o->user_id == NULL || o->store == NULL) {
		drill_seterr(err, "matrix: missing options");
		return NULL;
	}
	if (o->appservice && (http == NULL || o->as_token == NULL || o->hs_token == NULL)) {
		drill_seterr(err, "the application service needs both tokens and http.listen");
		return NULL;
	}
	if (!o->appservice && o->access_token == NULL && o->password == NULL) {
		drill_seterr(err, "client mode needs matrix.access_token or matrix.password");
		return NULL;
	}
	if ((m = calloc(1, sizeof(*m))) == NULL) {
		drill_seterr(err, "out of memory");
		return NULL;
	}
	m->loop = loop;
	m->http = http;
	m->o = *o;
	m->homeserver = strdup(o->homeserver);
	m->user_id = strdup(o->user_id);
	m->password = o->password != NULL ? strdup(o->password) : NULL;
	m->as_token = o->as_token != NULL ? strdup(o->as_token) : NULL;
	m->hs_token = o->hs_token != NULL ? strdup(o->hs_token) : NULL;
	m->dms = calloc(ROOMS_MAX, sizeof(*m->dms));
	m->auto_join = o->nauto_join > 0 ? calloc(o->nauto_join, sizeof(char *)) : NULL;
	m->nauto_join = o->nauto_join;
	m->rng = adapt_seed();
	oom = m->homeserver == NULL || m->user_id == NULL || m->dms == NULL ||
	    (o->password != NULL && m->password == NULL) ||
	    (o->as_token != NULL && m->as_token == NULL) ||
	    (o->hs_token != NULL && m->hs_token == NULL) ||
	    (o->nauto_join > 0 && m->auto_join == NULL);
	for (size_t i = 0; !oom && i < o->nauto_join; i++)
		oom = (m->auto_join[i] = strdup(o->auto_join[i])) == NULL;
	if (!oom)
		forget_other_account(m);
	if (!oom && !o->appservice) {
		/* the configured token; without one, the token a log-in gave */
		char *kept = NULL;
		if (o->access_token != NULL)
			oom = (m->token = strdup(o->access_token)) == NULL;
		else if (o->password != NULL &&
		    store_state_get(o->store, "matrix:access_token", &kept) == 0)
			m->token = kept;
	}
	if (!oom)
		dm_load(m);
	if (!oom) {
		char *since = NULL;
		if (!o->appservice && store_state_get(o->store, "matrix:since", &since) == 0)
			m->since = since;
		m->first_sync = m->since == NULL;
	}
	if (oom || (m->httpc = httpc_new(loop, err)) == NULL) {
		if (oom)
			drill_seterr(err, "out of memory");
		m->stopping = true;
		matrix_free(m);
		return NULL;
	}
	m->o.homeserver = m->o.user_id = m->o.access_token = m->o.password = NULL;
	m->o.as_token = m->o.hs_token = NULL;
	m->o.auto_join = NULL;
	m->adapter = (struct platform_adapter){"matrix", false, render, m, true};
	uv_timer_init(loop, &m->timer);
	m->timer.data = m;
	m->timer_init = true;
	return m;
}

int
matrix_start(struct matrix *m, char err[DRILL_ERRLEN])
{
	if (m->started) {
		drill_seterr(err, "matrix: already started");
		return DRILL_EINVAL;
	}
	m->started = true;
	if (m->o.appservice &&
	    (http_route_add(m->http, "PUT", "/_matrix/app/v1/transactions", on_transaction, m) != 0 ||
	    http_route_add(m->http, "POST", "/_matrix/app/v1/ping", on_ping, m) != 0 ||
	    http_route_add(m->http, "GET", "/_matrix/app/v1/users", on_user_query, m) != 0 ||
	    http_route_add(m->http, "GET", "/_matrix/app/v1/rooms", on_room_query, m) != 0)) {
		drill_seterr(err, "cannot add the /_matrix/app routes to the HTTP server");
		return DRILL_EINVAL;
	}
	ready_update(m);
	whoami(m);
	return 0;
}

static void
closed(uv_handle_t *h)
{
	(void)h;
}

void
matrix_stop(struct matrix *m)
{
	if (m == NULL || m->stopping)
		return;
	m->stopping = true;
	if (m->timer_init) {
		uv_timer_stop(&m->timer);
		uv_close((uv_handle_t *)&m->timer, closed);
	}
	httpc_free(m->httpc);	/* calls in flight end now, cancelled */
	m->httpc = NULL;
	http_ready_remove(m->http, "matrix");
}

void
matrix_free(struct matrix *m)
{
	if (m == NULL)
		return;
	if (m->httpc != NULL)
		httpc_free(m->httpc);
	adapt_once_free(&m->told);
	for (size_t i = 0; m->auto_join != NULL && i < m->nauto_join; i++)
		free(m->auto_join[i]);
	free(m->auto_join);
	free(m->homeserver);
	free(m->user_id);
	adapt_wipe_free(m->password);
	adapt_wipe_free(m->as_token);
	adapt_wipe_free(m->hs_token);
	adapt_wipe_free(m->token);
	free(m->filter_id);
	free(m->since);
	free(m->dms);
	free(m);
}

const struct platform_adapter *
matrix_adapter(struct matrix *m)
{
	return &m->adapter;
}

const char *
matrix_state(const struct matrix *m)
{
	if (m == NULL)
		return "off";
	if (m->stopping)
		return "stopped";
	if (m->failed)
		return "failed";
	if (!m->whoami_ok || (!m->o.appservice && !m->synced))
		return "starting";
	return "live";
}

/* A POSIX regex matching exactly s. */
static void
regex_quote(const char *s, char *out, size_t len)
{
	size_t o = 0;

	for (; *s != '\0' && o + 3 < len; s++) {
		if (strchr(".^$*+?()[]{}|\\", *s) != NULL)
			out[o++] = '\\';
		out[o++] = *s;
	}
	out[o] = '\0';
}

/* s as a single-quoted YAML scalar (no escapes there but '' for '). */
static void
yaml_quote(const char *s, char *out, size_t len)
{
	size_t o = 0;

	out[o++] = '\'';
	for (; *s != '\0' && o + 4 < len; s++) {
		if (*s == '\'')
			out[o++] = '\'';
		out[o++] = *s;
	}
	out[o++] = '\'';
	out[o] = '\0';
}

char *
matrix_registration(const struct config *cfg)
{
	const char *colon;
	char local[256], re[600], q[6][1200];
	char *out;
	size_t len = 1024;

	if (cfg == NULL || !cfg->matrix.appservice || cfg->matrix.user_id == NULL ||
	    cfg->matrix.as_token == NULL || cfg->matrix.hs_token == NULL ||
	    cfg->matrix.appservice_url == NULL || cfg->matrix.appservice_id == NULL ||
	    (colon = strchr(cfg->matrix.user_id, ':')) == NULL ||
	    strlen(cfg->matrix.as_token) > 500 || strlen(cfg->matrix.hs_token) > 500)
		return NULL;
	snprintf(local, sizeof(local), "%.*s", (int)(colon - cfg->matrix.user_id - 1),
	    cfg->matrix.user_id + 1);
	regex_quote(cfg->matrix.user_id, re, sizeof(re));
	yaml_quote(cfg->matrix.appservice_id, q[0], sizeof(q[0]));
	yaml_quote(cfg->matrix.appservice_url, q[1], sizeof(q[1]));
	yaml_quote(cfg->matrix.as_token, q[2], sizeof(q[2]));
	yaml_quote(cfg->matrix.hs_token, q[3], sizeof(q[3]));
	yaml_quote(local, q[4], sizeof(q[4]));
	yaml_quote(re, q[5], sizeof(q[5]));
	for (size_t i = 0; i < 6; i++)
		len += strlen(q[i]);
	if ((out = malloc(len)) == NULL)
		return NULL;
	snprintf(out, len,
	    "# drilld's application service registration: give this file to the\n"
	    "# homeserver (Synapse: app_service_config_files) and keep it secret.\n"
	    "id: %s\n"
	    "url: %s\n"
	    "as_token: %s\n"
	    "hs_token: %s\n"
	    "sender_localpart: %s\n"
	    "namespaces:\n"
	    "  users:\n"
	    "    - exclusive: true\n"
	    "      regex: %s\n"
	    "  aliases: []\n"
	    "  rooms: []\n"
	    "rate_limited: false\n", q[0], q[1], q[2], q[3], q[4], q[5]);
	explicit_bzero(q, sizeof(q));
	return out;
}
