/*
 * test_slack.c - the Slack adapter's Web API side (slack.h) against a fake
 * Slack Web API (fakehttp.h) on the test's own libuv loop: auth.test at
 * start-up, slack_send as the outbox calls it (channel, thread, ephemeral,
 * DM), how each kind of failure is counted for the outbox, the admin's
 * one line for a permanent failure, a dead token, and readiness on the
 * HTTP server's /readyz.
 *
 * The adapter runs in Events API mode, so it needs drilld's HTTP server:
 * every fixture makes net + http on 127.0.0.1 (port 0) and ends the way
 * drilld does: slack_stop, net_stop, the loop runs dry, slack_free,
 * http_free, net_free, and uv_loop_close must then return 0.
 *
 * Every wait on the loop is bounded by a guard timer (GUARD_MS): a test
 * fails rather than hangs. stderr (where log.h writes) is captured at the
 * debug level during each test; teardown fails the test when a line holds
 * the bot token, the signing secret or the app token, and shows every
 * captured line that is not debug, info or notice.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <json-c/json.h>
#include <uv.h>

#include "drill/http.h"
#include "drill/httpc.h"
#include "drill/jsonv.h"
#include "drill/log.h"
#include "drill/msg.h"
#include "drill/net.h"
#include "drill/outbox.h"
#include "drill/platform.h"
#include "drill/render.h"
#include "drill/slack.h"
#include "fakehttp.h"

#define GUARD_MS 5000		/* no wait on the loop takes longer */
#define BOT_TOKEN "xoxb-1111-2222-SeCrEtBoTtOkEn"
#define APP_TOKEN "xapp-1-A1-SeCrEtApPtOkEn"
#define SIGNING_SECRET "8f742231b10e8888SeCrEtSiGnInG"
#define MAX_REQS 64
#define MAX_CANNED 8
#define MAX_DONES 16
#define MAX_PROBLEMS 8

/* One request the fake Slack saw. */
struct req_rec {
	char method[8];
	char target[128];
	char auth[160];		/* the Authorization header, "" when absent */
	char ctype[128];
	char *body;
	uint64_t at;		/* uv_now when it arrived */
};

/* The fake's next answer to a Web API call other than auth.test. */
struct canned {
	int status;
	const char *headers;	/* extra header lines, each ending "\r\n", or NULL */
	const char *body;
	bool hold;		/* keep the request unanswered (fixture->held) */
};

struct fixture;

/* What one send's done callback was told. */
struct done_rec {
	struct fixture *f;
	int calls;
	enum outbox_status status;
	bool has_id;
	char message_id[128];
	bool has_error;
	char error[256];
	uint64_t retry_after_ms;
};

struct fixture {
	uv_loop_t loop;
	struct net *net;
	struct http *http;
	int http_port;
	struct fakehttp *srv;
	char api_url[96];
	struct slack *s;
	uv_timer_t guard;
	bool guard_fired;

	/* the fake Slack's view */
	struct req_rec reqs[MAX_REQS];
	int nreqs;
	int auth_calls, auth_answered;
	int auth_fail;		/* answer this many auth.tests with HTTP 500 */
	struct canned canned[MAX_CANNED];
	int ncanned, canned_next;
	struct fakehttp_req *held;
	int ts_seq;

	/* the adapter's callbacks */
	struct done_rec dones[MAX_DONES];
	int ndone;		/* done calls over all sends */
	char problems[MAX_PROBLEMS][1024];
	int nproblems;
	int events;
	bool secret_seen;	/* in a done error or an on_problem line */

	/* stderr, captured */
	int saved_stderr;
	char logpath[64];
};

/* ---- helpers ------------------------------------------------------------ */

static bool
has_secret(const char *s)
{
	return s != NULL && (strstr(s, BOT_TOKEN) != NULL || strstr(s, APP_TOKEN) != NULL ||
	    strstr(s, SIGNING_SECRET) != NULL || strstr(s, "SeCrEt") != NULL);
}

static bool
contains_ci(const char *hay, const char *needle)
{
	size_t n = strlen(needle);

	for (; hay != NULL && *hay != '\0'; hay++)
		if (strncasecmp(hay, needle, n) == 0)
			return true;
	return false;
}

static void
on_guard(uv_timer_t *t)
{
	struct fixture *f = t->data;

	f->guard_fired = true;
}

typedef bool (*cond_fn)(struct fixture *f, int n);

/* Runs the loop until cond(f, n) or ms pass; returns whether cond held. */
static bool
run_until(struct fixture *f, cond_fn cond, int n, uint64_t ms)
{
	f->guard_fired = false;
	uv_timer_start(&f->guard, on_guard, ms, 0);
	while (!cond(f, n) && !f->guard_fired)
		uv_run(&f->loop, UV_RUN_ONCE);
	uv_timer_stop(&f->guard);
	return cond(f, n);
}

static bool
never(struct fixture *f, int n)
{
	(void)f;
	(void)n;
	return false;
}

/* Lets the loop run for ms (the adapter gets every chance to act). */
static void
run_for(struct fixture *f, uint64_t ms)
{
	(void)run_until(f, never, 0, ms);
}

static bool
ndone_at_least(struct fixture *f, int n)
{
	return f->ndone >= n;
}

static bool
nreqs_at_least(struct fixture *f, int n)
{
	return f->nreqs >= n;
}

static bool
auth_calls_at_least(struct fixture *f, int n)
{
	return f->auth_calls >= n;
}

static bool
auth_answered_at_least(struct fixture *f, int n)
{
	return f->auth_answered >= n;
}

static bool
is_live(struct fixture *f, int n)
{
	(void)n;
	return strcmp(slack_state(f->s), "live") == 0;
}

static bool
held_req(struct fixture *f, int n)
{
	(void)n;
	return f->held != NULL;
}

/* The requests the fake saw for method ("chat.postMessage"). */
static int
count_method(struct fixture *f, const char *method)
{
	char target[128];
	int n = 0;

	snprintf(target, sizeof(target), "/api/%s", method);
	for (int i = 0; i < f->nreqs; i++)
		if (strcmp(f->reqs[i].target, target) == 0)
			n++;
	return n;
}

/* The last request for method, or NULL. */
static struct req_rec *
last_req(struct fixture *f, const char *method)
{
	char target[128];

	snprintf(target, sizeof(target), "/api/%s", method);
	for (int i = f->nreqs - 1; i >= 0; i--)
		if (strcmp(f->reqs[i].target, target) == 0)
			return &f->reqs[i];
	return NULL;
}

/* The request's JSON body as an object (caller puts), or fails the test. */
static struct json_object *
req_json(const struct req_rec *r)
{
	struct json_object *o = NULL;

	assert_non_null(r);
	assert_non_null(r->body);
	if (jsonv_parse(r->body, strlen(r->body), 64, &o, NULL) != 0 ||
	    !json_object_is_type(o, json_type_object))
		fail_msg("a request body that is not a JSON object: %.300s", r->body);
	return o;
}

/* o[key] as a string, or NULL when absent or not a string. */
static const char *
jget(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static bool
jhas(struct json_object *o, const char *key)
{
	return json_object_object_get_ex(o, key, NULL);
}

/* ---- the fake Slack Web API -------------------------------------------- */

static void
answer(struct fakehttp_req *req, int status, const char *headers, const char *body)
{
	char h[512];

	snprintf(h, sizeof(h), "Content-Type: application/json; charset=utf-8\r\n%s",
	    headers != NULL ? headers : "");
	fakehttp_respond(req, status, h, body, strlen(body));
}

static void
on_slack_api(void *arg, struct fakehttp_req *req)
{
	struct fixture *f = arg;
	struct req_rec *r = NULL;
	const char *method;
	char body[512];

	if (f->nreqs < MAX_REQS) {
		r = &f->reqs[f->nreqs++];
		snprintf(r->method, sizeof(r->method), "%s", req->method);
		snprintf(r->target, sizeof(r->target), "%s", req->target);
		if (!fakehttp_header(req, "Authorization", r->auth, sizeof(r->auth)))
			r->auth[0] = '\0';
		if (!fakehttp_header(req, "Content-Type", r->ctype, sizeof(r->ctype)))
			r->ctype[0] = '\0';
		r->body = strndup(req->body, req->body_len);
		r->at = uv_now(&f->loop);
	}
	if (strncmp(req->target, "/api/", 5) != 0 || strcmp(req->method, "POST") != 0) {
		answer(req, 404, NULL, "{\"ok\":false,\"error\":\"unknown_method\"}");
		return;
	}
	method = req->target + 5;
	if (r == NULL || strcmp(r->auth, "Bearer " BOT_TOKEN) != 0) {
		answer(req, 200, NULL, "{\"ok\":false,\"error\":\"not_authed\"}");
		return;
	}
	if (strcmp(method, "auth.test") == 0) {
		f->auth_calls++;
		f->auth_answered++;
		if (f->auth_fail > 0) {
			f->auth_fail--;
			answer(req, 500, NULL, "{\"ok\":false,\"error\":\"internal_error\"}");
			return;
		}
		answer(req, 200, NULL, "{\"ok\":true,\"url\":\"https://t.slack.com/\","
		    "\"team\":\"T\",\"user\":\"drilld\",\"team_id\":\"T0TEAM\","
		    "\"user_id\":\"U0BOT\",\"bot_id\":\"B0BOT\"}");
		return;
	}
	if (f->canned_next < f->ncanned) {
		const struct canned *c = &f->canned[f->canned_next++];
		if (c->hold) {
			f->held = req;
			return;
		}
		answer(req, c->status, c->headers, c->body);
		return;
	}
	if (strcmp(method, "chat.postMessage") == 0) {
		snprintf(body, sizeof(body), "{\"ok\":true,\"channel\":\"C1\","
		    "\"ts\":\"1700000000.%06d\",\"message\":{}}", ++f->ts_seq);
		answer(req, 200, NULL, body);
	} else if (strcmp(method, "chat.postEphemeral") == 0) {
		answer(req, 200, NULL, "{\"ok\":true,\"message_ts\":\"1700000099.000900\"}");
	} else if (strcmp(method, "chat.update") == 0) {
		answer(req, 200, NULL, "{\"ok\":true,\"channel\":\"C1\","
		    "\"ts\":\"1700000000.000042\",\"text\":\"\"}");
	} else if (strcmp(method, "conversations.open") == 0) {
		answer(req, 200, NULL, "{\"ok\":true,\"no_op\":true,\"already_open\":true,"
		    "\"channel\":{\"id\":\"D7\"}}");
	} else {
		answer(req, 200, NULL, "{\"ok\":false,\"error\":\"unknown_method\"}");
	}
}

static void
can(struct fixture *f, int status, const char *headers, const char *body)
{
	assert_true(f->ncanned < MAX_CANNED);
	f->canned[f->ncanned++] = (struct canned){status, headers, body, false};
}

/* ---- the adapter's callbacks ------------------------------------------- */

static int
on_event(void *arg, const struct platform_event *ev, platform_reply_fn reply,
    void *reply_arg)
{
	struct fixture *f = arg;

	(void)ev;
	(void)reply;
	(void)reply_arg;
	f->events++;
	return 0;
}

static void
on_problem(void *arg, const char *line)
{
	struct fixture *f = arg;

	if (has_secret(line))
		f->secret_seen = true;
	if (f->nproblems < MAX_PROBLEMS)
		snprintf(f->problems[f->nproblems], sizeof(f->problems[0]), "%s", line);
	f->nproblems++;
}

static void
on_done(void *token, const struct outbox_result *r)
{
	struct done_rec *d = token;

	d->calls++;
	d->f->ndone++;
	d->status = r->status;
	d->has_id = r->message_id != NULL;
	snprintf(d->message_id, sizeof(d->message_id), "%s",
	    r->message_id != NULL ? r->message_id : "");
	d->has_error = r->error != NULL;
	snprintf(d->error, sizeof(d->error), "%s", r->error != NULL ? r->error : "");
	d->retry_after_ms = r->retry_after_ms;
	if (has_secret(r->error) || has_secret(r->message_id))
		d->f->secret_seen = true;
}

/* ---- fixtures ---------------------------------------------------------- */

static int
setup(void **state)
{
	struct http_opts ho = {"127.0.0.1", 0, 1024 * 1024, 2000};
	char err[DRILL_ERRLEN] = "";
	struct fixture *f = calloc(1, sizeof(*f));
	int fd;

	if (f == NULL || uv_loop_init(&f->loop) != 0)
		return -1;
	/* capture stderr: what log.h writes */
	snprintf(f->logpath, sizeof(f->logpath), "/tmp/test_slack.log.XXXXXX");
	fflush(stderr);
	if ((fd = mkstemp(f->logpath)) < 0 || (f->saved_stderr = dup(2)) < 0 ||
	    dup2(fd, 2) < 0)
		return -1;
	close(fd);
	log_init("test_slack", LOGL_DEBUG);
	if ((f->net = net_new(&f->loop, err)) == NULL) {
		print_error("net_new: %s\n", err);
		return -1;
	}
	if ((f->http = http_new(f->net, &ho, err)) == NULL) {
		print_error("http_new: %s\n", err);
		return -1;
	}
	f->http_port = http_port(f->http);
	if ((f->srv = fakehttp_start(&f->loop, "127.0.0.1", on_slack_api, f)) == NULL)
		return -1;
	snprintf(f->api_url, sizeof(f->api_url), "http://127.0.0.1:%d/api/",
	    fakehttp_port(f->srv));
	uv_timer_init(&f->loop, &f->guard);
	f->guard.data = f;
	for (int i = 0; i < MAX_DONES; i++)
		f->dones[i].f = f;
	*state = f;
	return 0;
}

/* Copies the captured log to the real stderr (no debug, no info); true when it is clean. */
static bool
log_check(struct fixture *f)
{
	FILE *fp = fopen(f->logpath, "r");
	char line[4096];
	bool clean = true;

	if (fp == NULL)
		return false;
	while (fgets(line, sizeof(line), fp) != NULL) {
		if (has_secret(line)) {
			fprintf(stderr, "A SECRET IN THE LOG: %s", line);
			clean = false;
		} else if (strncmp(line, "test_slack: debug: ", 19) != 0 &&
		    strncmp(line, "test_slack: info: ", 18) != 0 &&
		    strncmp(line, "test_slack: notice: ", 20) != 0) {
			fputs(line, stderr);
		}
	}
	fclose(fp);
	return clean;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	bool clean, closed;

	slack_stop(f->s);
	slack_stop(f->s);	/* twice is fine */
	if (f->held != NULL) {
		fakehttp_drop(f->held);
		f->held = NULL;
	}
	fakehttp_stop(f->srv);
	uv_close((uv_handle_t *)&f->guard, NULL);
	net_stop(f->net);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	slack_free(f->s);
	http_free(f->http);
	net_free(f->net);
	closed = uv_loop_close(&f->loop) == 0;

	fflush(stderr);
	dup2(f->saved_stderr, 2);
	close(f->saved_stderr);
	clean = log_check(f);
	unlink(f->logpath);
	for (int i = 0; i < f->nreqs; i++)
		free(f->reqs[i].body);
	if (!closed)
		fprintf(stderr, "uv_loop_close failed: a handle was left open\n");
	if (f->secret_seen)
		fprintf(stderr, "a secret reached a done error or an on_problem line\n");
	free(f);
	return closed && clean ? 0 : -1;
}

/* Makes the adapter on api_url (NULL: the fake) and starts it. */
static void
start(struct fixture *f, const char *api_url)
{
	struct slack_opts o = {
		.socket_mode = false,
		.api_url = api_url != NULL ? api_url : f->api_url,
		.bot_token = BOT_TOKEN,
		.app_token = APP_TOKEN,
		.signing_secret = SIGNING_SECRET,
		.connections = 1,
		.max_message = 1024 * 1024,
		.on_event = on_event,
		.on_problem = on_problem,
		.arg = f,
	};
	char err[DRILL_ERRLEN] = "";

	f->s = slack_new(&f->loop, f->net, f->http, &o, err);
	if (f->s == NULL)
		fail_msg("slack_new: %s", err);
	assert_false(has_secret(err));
	assert_string_equal(slack_state(f->s), "starting");
	assert_int_equal(slack_start(f->s, err), 0);
}

/* Starts on the fake and waits until auth.test made it live. */
static void
start_live(struct fixture *f)
{
	start(f, NULL);
	if (!run_until(f, is_live, 0, GUARD_MS))
		fail_msg("not live within %d ms: state %s", GUARD_MS, slack_state(f->s));
}

/* A question-like message. */
static struct msg *
question(const char *text)
{
	struct msg *m = msg_new();

	assert_non_null(m);
	msg_add(m, MSG_TITLE, "Question");
	msg_add(m, MSG_TEXT, "%s", text);
	msg_add(m, MSG_BUTTONS, "buttons");
	msg_add_item(m, "Hint", "hint");
	assert_int_equal(m->oom, 0);
	return m;
}

/* The adapter's render of m for conversation / person (caller frees). */
static char *
render_for(struct fixture *f, const char *conversation, const char *person,
    const struct msg *m)
{
	const struct platform_adapter *a = slack_adapter(f->s);
	struct platform_dest d = {conversation, person, NULL, 0, false};
	char *p;

	assert_non_null(a);
	assert_string_equal(a->name, "slack");
	p = a->render(a->arg, &d, m);
	assert_non_null(p);
	return p;
}

/*
 * Sends payload to destination (thread_id may be NULL) with dones[i] as
 * the token and waits for its done call; returns dones[i].
 */
static struct done_rec *
send_wait(struct fixture *f, int i, const char *destination, const char *payload,
    const char *thread_id)
{
	struct outbox_msg m = {
		.id = 100 + i, .platform = "slack", .destination = destination,
		.idem_key = "idem", .payload = payload, .thread_id = thread_id,
		.attempt = 1,
	};
	int want = f->ndone + 1;

	assert_true(i < MAX_DONES);
	assert_int_equal(slack_send(f->s, &m, on_done, &f->dones[i]), 0);
	if (!run_until(f, ndone_at_least, want, GUARD_MS))
		fail_msg("no done for a send to %s within %d ms", destination, GUARD_MS);
	assert_int_equal(f->dones[i].calls, 1);
	return &f->dones[i];
}

static const char plain_payload[] = "{\"text\":\"What is an index?\",\"blocks\":"
    "[{\"type\":\"section\",\"text\":{\"type\":\"mrkdwn\",\"text\":\"What is an index?\"}}]}";

/* ---- GET /readyz on drilld's HTTP server ------------------------------- */

struct probe {
	bool done;
	long status;
	char body[2048];
};

static void
on_probe(void *arg, const struct httpc_response *res)
{
	struct probe *p = arg;

	p->done = true;
	p->status = res->err == 0 ? res->status : -1;
	snprintf(p->body, sizeof(p->body), "%.*s", (int)res->len, res->body);
}

static struct probe probe_now;

static bool
probe_finished(struct fixture *f, int n)
{
	(void)f;
	(void)n;
	return probe_now.done;
}

static long
readyz(struct fixture *f, char *body, size_t len)
{
	char err[DRILL_ERRLEN] = "", url[96];
	struct httpc *hc = httpc_new(&f->loop, err);
	struct httpc_request rq = {.method = "GET", .url = url, .timeout_ms = 3000};

	assert_non_null(hc);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/readyz", f->http_port);
	memset(&probe_now, 0, sizeof(probe_now));
	assert_int_equal(httpc_start(hc, &rq, on_probe, &probe_now, NULL, err), 0);
	if (!run_until(f, probe_finished, 0, GUARD_MS))
		fail_msg("no answer from /readyz within %d ms", GUARD_MS);
	httpc_free(hc);
	snprintf(body, len, "%s", probe_now.body);
	return probe_now.status;
}

/* ---- tests ------------------------------------------------------------- */

/* slack_start: auth.test with the bot token, then live and ready. */
static void
test_start_auth_test(void **state)
{
	struct fixture *f = *state;
	char body[2048];

	start(f, NULL);
	assert_string_equal(slack_state(f->s), "starting");
	assert_true(run_until(f, is_live, 0, GUARD_MS));
	assert_int_equal(f->auth_calls, 1);
	assert_int_equal(f->nreqs, 1);
	assert_string_equal(f->reqs[0].method, "POST");
	assert_string_equal(f->reqs[0].target, "/api/auth.test");
	assert_string_equal(f->reqs[0].auth, "Bearer " BOT_TOKEN);
	assert_int_equal(readyz(f, body, sizeof(body)), 200);

	/* nothing more is asked of Slack while idle */
	run_for(f, 200);
	assert_int_equal(f->nreqs, 1);
	assert_string_equal(slack_state(f->s), "live");
}

/* Before auth.test has answered yes, /readyz says slack is not ready. */
static void
test_not_ready_before_auth(void **state)
{
	struct fixture *f = *state;
	char body[2048];

	f->auth_fail = 1000;	/* Slack keeps failing */
	start(f, NULL);
	assert_true(run_until(f, auth_answered_at_least, 1, GUARD_MS));
	assert_string_equal(slack_state(f->s), "starting");
	assert_int_equal(readyz(f, body, sizeof(body)), 503);
	assert_non_null(strstr(body, "slack"));
}

/* auth.test failing with 500 is retried soon; the adapter does not give up. */
static void
test_auth_test_retried(void **state)
{
	struct fixture *f = *state;

	f->auth_fail = 1;
	start(f, NULL);
	assert_true(run_until(f, auth_calls_at_least, 1, GUARD_MS));
	run_for(f, 20);
	assert_string_equal(slack_state(f->s), "starting");
	if (!run_until(f, auth_calls_at_least, 2, 2500))
		fail_msg("auth.test was not retried within 2.5 s (state %s)",
		    slack_state(f->s));
	assert_true(f->reqs[1].at - f->reqs[0].at <= 2100);
	assert_true(run_until(f, is_live, 0, GUARD_MS));
	assert_int_equal(f->auth_calls, 2);
}

/* A message to a channel: chat.postMessage with channel, text and blocks. */
static void
test_post_to_channel(void **state)
{
	struct fixture *f = *state;
	struct msg *m = question("Why do <b>indexes</b> & joins matter?");
	char *payload;
	struct json_object *sent, *rendered, *a, *b;
	struct done_rec *d;

	start_live(f);
	payload = render_for(f, "slack:C1", NULL, m);
	assert_int_equal(jsonv_parse(payload, strlen(payload), 64, &rendered, NULL), 0);
	assert_false(jhas(rendered, "user"));

	d = send_wait(f, 0, "slack:C1", payload, NULL);
	assert_int_equal(d->status, OUTBOX_OK);
	assert_true(d->has_id);
	assert_string_equal(d->message_id, "1700000000.000001");
	assert_int_equal(count_method(f, "chat.postMessage"), 1);
	assert_string_equal(last_req(f, "chat.postMessage")->auth, "Bearer " BOT_TOKEN);
	assert_non_null(strstr(last_req(f, "chat.postMessage")->ctype, "application/json"));

	sent = req_json(last_req(f, "chat.postMessage"));
	assert_string_equal(jget(sent, "channel"), "C1");
	assert_string_equal(jget(sent, "text"), jget(rendered, "text"));
	assert_non_null(strstr(jget(sent, "text"), "&lt;b&gt;indexes&lt;/b&gt; &amp; joins"));
	assert_true(json_object_object_get_ex(sent, "blocks", &a));
	assert_true(json_object_object_get_ex(rendered, "blocks", &b));
	assert_true(json_object_is_type(a, json_type_array));
	assert_true(json_object_array_length(a) > 0);
	assert_true(json_object_equal(a, b));
	assert_false(jhas(sent, "user"));
	assert_false(jhas(sent, "thread_ts"));
	json_object_put(sent);

	/* in a thread */
	d = send_wait(f, 1, "slack:C1", payload, "1699999999.000100");
	assert_int_equal(d->status, OUTBOX_OK);
	assert_string_equal(d->message_id, "1700000000.000002");
	sent = req_json(last_req(f, "chat.postMessage"));
	assert_string_equal(jget(sent, "channel"), "C1");
	assert_string_equal(jget(sent, "thread_ts"), "1699999999.000100");
	json_object_put(sent);

	json_object_put(rendered);
	free(payload);
	msg_free(m);
	assert_int_equal(f->nproblems, 0);
}

/* To one person in a channel: "user" in the payload, chat.postEphemeral. */
static void
test_ephemeral(void **state)
{
	struct fixture *f = *state;
	struct msg *m = question("Only you see this");
	char *payload;
	struct json_object *o, *sent;
	struct done_rec *d;

	start_live(f);
	payload = render_for(f, "slack:C1", "slack:U1", m);
	assert_int_equal(jsonv_parse(payload, strlen(payload), 64, &o, NULL), 0);
	assert_string_equal(jget(o, "user"), "U1");
	assert_non_null(jget(o, "text"));
	assert_true(jhas(o, "blocks"));
	json_object_put(o);

	d = send_wait(f, 0, "slack:C1", payload, NULL);
	assert_int_equal(d->status, OUTBOX_OK);
	assert_true(d->has_id);
	assert_string_equal(d->message_id, "1700000099.000900");
	assert_int_equal(count_method(f, "chat.postEphemeral"), 1);
	assert_int_equal(count_method(f, "chat.postMessage"), 0);
	sent = req_json(last_req(f, "chat.postEphemeral"));
	assert_string_equal(jget(sent, "channel"), "C1");
	assert_string_equal(jget(sent, "user"), "U1");
	assert_true(jhas(sent, "blocks"));
	json_object_put(sent);
	free(payload);
	msg_free(m);
}

/*
 * A replacement (a question closed at its reveal): chat.update of the
 * message the thread id names, for everyone, without the marker.
 */
static void
test_replace(void **state)
{
	struct fixture *f = *state;
	const struct platform_adapter *a;
	struct msg *m = question("Closed");
	struct platform_dest dest = {"slack:C1", NULL, NULL, 7, true};
	char *payload;
	struct json_object *sent;
	struct done_rec *d;

	start_live(f);
	a = slack_adapter(f->s);
	assert_true(a->edits);
	payload = a->render(a->arg, &dest, m);
	assert_non_null(payload);
	d = send_wait(f, 0, "slack:C1", payload, "1700000000.000042");
	assert_int_equal(d->status, OUTBOX_OK);
	assert_int_equal(count_method(f, "chat.update"), 1);
	assert_int_equal(count_method(f, "chat.postMessage"), 0);
	sent = req_json(last_req(f, "chat.update"));
	assert_string_equal(jget(sent, "channel"), "C1");
	assert_string_equal(jget(sent, "ts"), "1700000000.000042");
	assert_false(jhas(sent, "drilld_replace"));
	assert_false(jhas(sent, "thread_ts"));
	assert_true(jhas(sent, "blocks"));
	json_object_put(sent);
	/* an edit that names no message cannot be sent, ever */
	d = send_wait(f, 1, "slack:C1", payload, NULL);
	assert_int_equal(d->status, OUTBOX_PERMANENT);
	assert_int_equal(count_method(f, "chat.update"), 1);
	free(payload);
	msg_free(m);
}

/* A DM: conversations.open first (once), then chat.postMessage into D7. */
static void
test_dm(void **state)
{
	struct fixture *f = *state;
	struct msg *m = question("A DM");
	char *payload;
	struct json_object *o;
	struct done_rec *d;
	int first;

	start_live(f);
	payload = render_for(f, NULL, "slack:U7", m);
	assert_int_equal(jsonv_parse(payload, strlen(payload), 64, &o, NULL), 0);
	assert_false(jhas(o, "user"));
	json_object_put(o);

	first = f->nreqs;
	d = send_wait(f, 0, "slack:U7", payload, NULL);
	assert_int_equal(d->status, OUTBOX_OK);
	assert_string_equal(d->message_id, "1700000000.000001");
	assert_int_equal(f->nreqs, first + 2);
	assert_string_equal(f->reqs[first].target, "/api/conversations.open");
	assert_string_equal(f->reqs[first].auth, "Bearer " BOT_TOKEN);
	o = req_json(&f->reqs[first]);
	assert_string_equal(jget(o, "users"), "U7");
	json_object_put(o);
	assert_string_equal(f->reqs[first + 1].target, "/api/chat.postMessage");
	o = req_json(&f->reqs[first + 1]);
	assert_string_equal(jget(o, "channel"), "D7");
	assert_non_null(jget(o, "text"));
	json_object_put(o);

	/* the second DM goes straight into D7 */
	d = send_wait(f, 1, "slack:U7", payload, NULL);
	assert_int_equal(d->status, OUTBOX_OK);
	assert_string_equal(d->message_id, "1700000000.000002");
	assert_int_equal(count_method(f, "conversations.open"), 1);
	assert_int_equal(count_method(f, "chat.postMessage"), 2);
	o = req_json(last_req(f, "chat.postMessage"));
	assert_string_equal(jget(o, "channel"), "D7");
	json_object_put(o);
	free(payload);
	msg_free(m);
}

/* 429 with Retry-After, and Slack's "ratelimited": the outbox waits. */
static void
test_rate_limited(void **state)
{
	struct fixture *f = *state;
	struct done_rec *d;

	start_live(f);
	can(f, 429, "Retry-After: 3\r\n", "{\"ok\":false,\"error\":\"ratelimited\"}");
	can(f, 200, NULL, "{\"ok\":false,\"error\":\"ratelimited\"}");
	can(f, 200, "Retry-After: 7\r\n", "{\"ok\":false,\"error\":\"ratelimited\"}");

	d = send_wait(f, 0, "slack:C1", plain_payload, NULL);
	assert_int_equal(d->status, OUTBOX_RATE_LIMITED);
	assert_int_equal(d->retry_after_ms, 3000);

	d = send_wait(f, 1, "slack:C1", plain_payload, NULL);
	assert_int_equal(d->status, OUTBOX_RATE_LIMITED);

	d = send_wait(f, 2, "slack:C1", plain_payload, NULL);
	assert_int_equal(d->status, OUTBOX_RATE_LIMITED);
	assert_int_equal(d->retry_after_ms, 7000);

	assert_int_equal(f->nproblems, 0);
	assert_string_equal(slack_state(f->s), "live");
}

/* 5xx and Slack's internal_error are worth retrying; nobody is bothered. */
static void
test_transient(void **state)
{
	struct fixture *f = *state;
	struct done_rec *d;

	start_live(f);
	can(f, 500, NULL, "oops");
	can(f, 200, NULL, "{\"ok\":false,\"error\":\"internal_error\"}");
	can(f, 503, NULL, "{\"ok\":false,\"error\":\"service_unavailable\"}");
	can(f, 200, NULL, "{\"ok\":false,\"error\":\"fatal_error\"}");

	for (int i = 0; i < 4; i++) {
		d = send_wait(f, i, "slack:C1", plain_payload, NULL);
		assert_int_equal(d->status, OUTBOX_TRANSIENT);
	}
	assert_int_equal(count_method(f, "chat.postMessage"), 4);
	assert_int_equal(f->nproblems, 0);
	assert_string_equal(slack_state(f->s), "live");

	/* and afterwards a send goes through */
	d = send_wait(f, 4, "slack:C1", plain_payload, NULL);
	assert_int_equal(d->status, OUTBOX_OK);
}

/* A Web API nobody listens on: transient, and the adapter does not fail. */
static void
test_connection_refused(void **state)
{
	struct fixture *f = *state;
	struct sockaddr_storage ss;
	int len = sizeof(ss), port;
	uv_tcp_t tcp;
	struct sockaddr_in sa;
	char url[96];
	struct done_rec *d;

	/* a port that was just free, and closed */
	assert_int_equal(uv_tcp_init(&f->loop, &tcp), 0);
	assert_int_equal(uv_ip4_addr("127.0.0.1", 0, &sa), 0);
	assert_int_equal(uv_tcp_bind(&tcp, (const struct sockaddr *)&sa, 0), 0);
	assert_int_equal(uv_tcp_getsockname(&tcp, (struct sockaddr *)&ss, &len), 0);
	port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	uv_close((uv_handle_t *)&tcp, NULL);
	run_for(f, 10);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/api/", port);

	start(f, url);
	d = send_wait(f, 0, "slack:C1", plain_payload, NULL);
	assert_int_equal(d->status, OUTBOX_TRANSIENT);
	assert_true(d->has_error);
	assert_int_equal(f->nproblems, 0);
	assert_string_not_equal(slack_state(f->s), "failed");
	assert_int_equal(f->nreqs, 0);
}

/* channel_not_found: permanent, and the admin hears of it once per conversation. */
static void
test_channel_not_found(void **state)
{
	struct fixture *f = *state;
	struct done_rec *d;

	start_live(f);
	can(f, 200, NULL, "{\"ok\":false,\"error\":\"channel_not_found\"}");
	can(f, 200, NULL, "{\"ok\":false,\"error\":\"channel_not_found\"}");
	can(f, 200, NULL, "{\"ok\":false,\"error\":\"channel_not_found\"}");

	d = send_wait(f, 0, "slack:C1", plain_payload, NULL);
	assert_int_equal(d->status, OUTBOX_PERMANENT);
	assert_string_equal(d->error, "channel_not_found");
	assert_int_equal(f->nproblems, 1);
	assert_non_null(strstr(f->problems[0], "C1"));
	assert_true(contains_ci(f->problems[0], "invite"));
	assert_null(strchr(f->problems[0], '\n'));

	d = send_wait(f, 1, "slack:C1", plain_payload, NULL);
	assert_int_equal(d->status, OUTBOX_PERMANENT);
	assert_string_equal(d->error, "channel_not_found");
	assert_int_equal(f->nproblems, 1);

	/* another conversation is another problem */
	d = send_wait(f, 2, "slack:C2", plain_payload, NULL);
	assert_int_equal(d->status, OUTBOX_PERMANENT);
	assert_int_equal(f->nproblems, 2);
	assert_non_null(strstr(f->problems[1], "C2"));

	/* a permanent failure of a message does not stop the adapter */
	assert_string_equal(slack_state(f->s), "live");
	d = send_wait(f, 3, "slack:C1", plain_payload, NULL);
	assert_int_equal(d->status, OUTBOX_OK);
}

/* A dead token: failed, nothing more is sent, /readyz says so. */
static void
test_invalid_auth(void **state)
{
	struct fixture *f = *state;
	struct done_rec *d;
	char body[2048];
	int before;
	struct outbox_msg m = {
		.id = 7, .platform = "slack", .destination = "slack:C1",
		.idem_key = "k", .payload = plain_payload, .attempt = 1,
	};

	start_live(f);
	can(f, 200, NULL, "{\"ok\":false,\"error\":\"invalid_auth\"}");
	d = send_wait(f, 0, "slack:C1", plain_payload, NULL);
	/* nothing is lost: the message waits (for a restart with a good token) */
	assert_int_equal(d->status, OUTBOX_RATE_LIMITED);
	assert_true(d->retry_after_ms >= 3600000u);
	assert_string_equal(slack_state(f->s), "failed");

	before = f->nreqs;
	assert_int_equal(slack_send(f->s, &m, on_done, &f->dones[1]), 0);
	run_for(f, 200);
	assert_int_equal(f->dones[1].calls, 1);
	assert_int_equal(f->dones[1].status, OUTBOX_RATE_LIMITED);
	assert_int_equal(f->nreqs, before);

	/* a DM neither */
	m.destination = "slack:U7";
	assert_int_equal(slack_send(f->s, &m, on_done, &f->dones[2]), 0);
	run_for(f, 100);
	assert_int_equal(f->dones[2].calls, 1);
	assert_int_equal(f->dones[2].status, OUTBOX_RATE_LIMITED);
	assert_int_equal(f->nreqs, before);

	assert_int_equal(readyz(f, body, sizeof(body)), 503);
	assert_non_null(strstr(body, "slack"));
	assert_false(has_secret(body));
	assert_string_equal(slack_state(f->s), "failed");
}

/* The token refused at start-up: failed at once, not retried. */
static void
test_invalid_auth_at_start(void **state)
{
	struct fixture *f = *state;
	char body[2048];
	struct slack_opts o = {
		.api_url = f->api_url, .bot_token = "xoxb-SeCrEt-wrong",
		.signing_secret = SIGNING_SECRET, .on_event = on_event,
		.on_problem = on_problem, .arg = f,
	};
	char err[DRILL_ERRLEN] = "";

	f->s = slack_new(&f->loop, f->net, f->http, &o, err);
	assert_non_null(f->s);
	assert_int_equal(slack_start(f->s, err), 0);
	assert_true(run_until(f, nreqs_at_least, 1, GUARD_MS));
	run_for(f, 1500);
	assert_string_equal(slack_state(f->s), "failed");
	assert_int_equal(f->nreqs, 1);	/* not_authed is not retried */
	assert_int_equal(readyz(f, body, sizeof(body)), 503);
	assert_non_null(strstr(body, "slack"));
}

/* slack_stop with a send in flight: its done says transient. */
static void
test_stop_cancels_send(void **state)
{
	struct fixture *f = *state;
	struct outbox_msg m = {
		.id = 9, .platform = "slack", .destination = "slack:C1",
		.idem_key = "k", .payload = plain_payload, .attempt = 1,
	};

	start_live(f);
	assert_true(f->ncanned < MAX_CANNED);
	f->canned[f->ncanned++] = (struct canned){0, NULL, NULL, true};
	assert_int_equal(slack_send(f->s, &m, on_done, &f->dones[0]), 0);
	assert_true(run_until(f, held_req, 0, GUARD_MS));
	assert_int_equal(f->dones[0].calls, 0);
	slack_stop(f->s);
	run_for(f, 50);
	assert_int_equal(f->dones[0].calls, 1);
	assert_int_equal(f->dones[0].status, OUTBOX_TRANSIENT);
	assert_string_equal(slack_state(f->s), "stopped");
}

/* Bad destinations: refused without a request. */
static void
test_bad_destination(void **state)
{
	struct fixture *f = *state;
	struct outbox_msg m = {
		.id = 1, .platform = "slack", .destination = "matrix:!r:x",
		.idem_key = "k", .payload = plain_payload, .attempt = 1,
	};
	int before;

	start_live(f);
	before = f->nreqs;
	assert_int_not_equal(slack_send(f->s, &m, on_done, &f->dones[0]), 0);
	m.destination = "slack:C1\"},\"x\":{\"";
	if (slack_send(f->s, &m, on_done, &f->dones[1]) == 0) {
		run_for(f, 100);
		assert_int_equal(f->dones[1].calls, 1);
		assert_int_equal(f->dones[1].status, OUTBOX_PERMANENT);
	}
	run_for(f, 100);
	assert_int_equal(f->dones[0].calls, 0);
	assert_int_equal(f->nreqs, before);
}

/*
 * no_permission is Slack's answer for one conversation the app may not
 * post to: permanent for that message, told to the admin, but the token is
 * fine (slack.h names the four errors that mean a dead token), so the
 * adapter goes on serving every other conversation.
 */
static void
test_no_permission_is_per_conversation(void **state)
{
	struct fixture *f = *state;
	struct done_rec *d;

	start_live(f);
	can(f, 200, NULL, "{\"ok\":false,\"error\":\"no_permission\"}");
	d = send_wait(f, 0, "slack:C9", plain_payload, NULL);
	assert_int_equal(d->status, OUTBOX_PERMANENT);
	assert_string_equal(d->error, "no_permission");
	assert_int_equal(f->nproblems, 1);
	assert_non_null(strstr(f->problems[0], "C9"));
	assert_string_equal(slack_state(f->s), "live");
	d = send_wait(f, 1, "slack:C1", plain_payload, NULL);
	assert_int_equal(d->status, OUTBOX_OK);
}

/*
 * A payload that is not JSON can never be sent: the outbox must hear
 * OUTBOX_PERMANENT (outbox.h: "will never work (... bad payload)"), not a
 * non-zero return, which it counts as transient and retries.
 */
static void
test_bad_payload_is_permanent(void **state)
{
	struct fixture *f = *state;
	struct outbox_msg m = {
		.id = 3, .platform = "slack", .destination = "slack:C1",
		.idem_key = "k", .payload = "not json {", .attempt = 1,
	};
	int before;

	start_live(f);
	before = f->nreqs;
	assert_int_equal(slack_send(f->s, &m, on_done, &f->dones[0]), 0);
	run_for(f, 100);
	assert_int_equal(f->dones[0].calls, 1);
	assert_int_equal(f->dones[0].status, OUTBOX_PERMANENT);
	assert_int_equal(f->nreqs, before);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_start_auth_test, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_ready_before_auth, setup, teardown),
		cmocka_unit_test_setup_teardown(test_auth_test_retried, setup, teardown),
		cmocka_unit_test_setup_teardown(test_post_to_channel, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replace, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ephemeral, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dm, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rate_limited, setup, teardown),
		cmocka_unit_test_setup_teardown(test_transient, setup, teardown),
		cmocka_unit_test_setup_teardown(test_connection_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_channel_not_found, setup, teardown),
		cmocka_unit_test_setup_teardown(test_invalid_auth, setup, teardown),
		cmocka_unit_test_setup_teardown(test_invalid_auth_at_start, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stop_cancels_send, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_destination, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_permission_is_per_conversation, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_bad_payload_is_permanent, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
