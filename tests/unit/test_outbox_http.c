/*
 * test_outbox_http.c - the outbox, the HTTP client and a local HTTP server
 * together, on one real loop: 1,000 queued messages to 20 conversations,
 * half through a Slack-shaped Web API (chat.postMessage, Retry-After in
 * seconds) and half through a Matrix-shaped one (PUT .../send/{txnId},
 * retry_after_ms), while the server answers some requests with 429, some
 * with 5xx, delays some, and for some Matrix messages stores the message
 * and then drops the connection before answering (the send happened, the
 * sender cannot know).
 *
 * What a user would notice is what is checked: every message arrives
 * exactly once (the Matrix server drops repeats of a transaction id, as
 * the real one does), in order per conversation; no conversation gets two
 * messages closer than min_interval; the whole run stays within the global
 * rate; a rate-limited conversation waits as long as it was told; nothing
 * is left queued or failed.
 *
 * The two send functions here are the smallest adapters that speak each
 * API; the real Slack and Matrix adapters have their own tests.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>
#include <uv.h>

#include "drill/httpc.h"
#include "drill/jsonv.h"
#include "drill/log.h"
#include "drill/outbox.h"
#include "drill/store.h"
#include "fakehttp.h"

#define NDEST 20		/* 10 Slack channels, 10 Matrix rooms */
#define PER_DEST 50
#define NMSG (NDEST * PER_DEST)
#define MIN_INTERVAL_MS 25
#define RATE 300.0
#define BURST 10u
#define SLACK_RETRY_AFTER_S 1
#define MATRIX_RETRY_AFTER_MS 200
#define DEADLINE_MS 120000

struct arrival {
	uint64_t at;		/* uv_hrtime() when the request was read */
	int dest;
	int seq;
};

/* What the server told a destination to wait after a 429. */
struct wait_told {
	uint64_t at;		/* when the 429 was answered */
	uint64_t ms;
};

struct held_reply {
	uv_timer_t timer;
	struct fakehttp_req *req;
	char body[128];
};

struct world {
	uv_loop_t loop;
	char dir[64];
	struct store *st;
	struct outbox *ob;
	struct httpc *hc;
	struct fakehttp *srv;
	char base[64];		/* http://127.0.0.1:PORT */
	uv_timer_t check;
	uint64_t started;

	/* the server's view */
	int attempts[NMSG + 1];	/* requests seen per message */
	int delivered[NMSG + 1];	/* times stored (must end as 1) */
	char *txn_of[NMSG + 1];	/* Matrix: the transaction id that stored it */
	int last_seq[NDEST];	/* the last stored message per destination */
	int out_of_order;
	struct arrival *arrivals;
	size_t narrivals;
	struct wait_told told[NDEST];
	int told_violations;	/* a request that came before its wait was over */
	int n500, n429, ndropped, nrepeat, ndelayed, nunauthorized;

	/* the client's view */
	uint64_t *starts;	/* uv_hrtime() of every send start */
	size_t nstarts;
	uint64_t last_start[NDEST];
	uint64_t min_gap_ns;	/* the smallest gap between two starts to one destination */
	int done_calls, sends_in_flight;
	bool finished;
};

/* ---- names ---- */

static void
dest_name(int d, char *buf, size_t len)
{
	if (d < NDEST / 2)
		snprintf(buf, len, "slack:C%02d", d);
	else
		snprintf(buf, len, "matrix:!room%02d:example.org", d);
}

/* The destination index of a Slack channel "C07" or a Matrix room "!room12:example.org". */
static int
dest_index(const char *s)
{
	int d;

	if (sscanf(s, "C%2d", &d) == 1 || sscanf(s, "!room%2d:", &d) == 1)
		return d >= 0 && d < NDEST ? d : -1;
	return -1;
}

/* "msg 123 to slack:C01": the message number, or -1. */
static int
seq_of(const char *text)
{
	int n;

	return sscanf(text, "msg %d ", &n) == 1 && n >= 1 && n <= NMSG ? n : -1;
}

/* ---- the server ---- */

static void
note_arrival(struct world *w, int dest, int seq)
{
	uint64_t now = uv_hrtime();

	if ((w->narrivals & 1023) == 0) {
		w->arrivals = realloc(w->arrivals, (w->narrivals + 1024) * sizeof(*w->arrivals));
		assert_non_null(w->arrivals);
	}
	w->arrivals[w->narrivals++] = (struct arrival){now, dest, seq};
	if (w->told[dest].at != 0 &&
	    now < w->told[dest].at + (w->told[dest].ms - 2) * 1000000u)
		w->told_violations++;
}

static void
store_message(struct world *w, int dest, int seq)
{
	w->delivered[seq]++;
	if (seq < w->last_seq[dest])
		w->out_of_order++;
	w->last_seq[dest] = seq;
}

static void
on_held_closed(uv_handle_t *h)
{
	free(h->data);
}

static void
on_held(uv_timer_t *t)
{
	struct held_reply *hr = t->data;

	fakehttp_respond(hr->req, 200, "Content-Type: application/json\r\n",
	    hr->body, strlen(hr->body));
	uv_close((uv_handle_t *)t, on_held_closed);
}

/* Answers 200 with body now, or 40 ms later for every seventh message. */
static void
reply_ok(struct world *w, struct fakehttp_req *req, int seq, const char *body)
{
	struct held_reply *hr;

	if (seq % 7 != 0) {
		fakehttp_respond(req, 200, "Content-Type: application/json\r\n",
		    body, strlen(body));
		return;
	}
	w->ndelayed++;
	hr = calloc(1, sizeof(*hr));
	assert_non_null(hr);
	hr->req = req;
	snprintf(hr->body, sizeof(hr->body), "%s", body);
	assert_int_equal(uv_timer_init(&w->loop, &hr->timer), 0);
	hr->timer.data = hr;
	assert_int_equal(uv_timer_start(&hr->timer, on_held, 40, 0), 0);
}

static void
reply_json(struct fakehttp_req *req, int status, const char *headers,
    const char *body)
{
	char h[256];

	snprintf(h, sizeof(h), "Content-Type: application/json\r\n%s",
	    headers != NULL ? headers : "");
	fakehttp_respond(req, status, h, body, strlen(body));
}

static bool
authorized(struct world *w, struct fakehttp_req *req, const char *token)
{
	char auth[128], want[128];

	snprintf(want, sizeof(want), "Bearer %s", token);
	if (fakehttp_header(req, "Authorization", auth, sizeof(auth)) &&
	    strcmp(auth, want) == 0)
		return true;
	w->nunauthorized++;
	return false;
}

/* POST /api/chat.postMessage {"channel": "C01", "text": "..."} */
static void
slack_api(struct world *w, struct fakehttp_req *req)
{
	struct json_object *o = NULL, *ch, *text;
	char ts[128];
	int dest, seq;

	if (!authorized(w, req, "xoxb-test-token")) {
		reply_json(req, 200, NULL, "{\"ok\":false,\"error\":\"invalid_auth\"}");
		return;
	}
	if (jsonv_parse(req->body, req->body_len, 8, &o, NULL) != 0 ||
	    !json_object_object_get_ex(o, "channel", &ch) ||
	    !json_object_object_get_ex(o, "text", &text) ||
	    (dest = dest_index(json_object_get_string(ch))) < 0 ||
	    (seq = seq_of(json_object_get_string(text))) < 0) {
		json_object_put(o);
		reply_json(req, 200, NULL, "{\"ok\":false,\"error\":\"invalid_arguments\"}");
		return;
	}
	json_object_put(o);
	note_arrival(w, dest, seq);
	w->attempts[seq]++;
	if (w->attempts[seq] == 1 && seq % 13 == 5) {
		w->n500++;
		reply_json(req, 500, NULL, "{\"ok\":false,\"error\":\"internal_error\"}");
	} else if (w->attempts[seq] == 1 && seq % 29 == 7) {
		w->n429++;
		w->told[dest] = (struct wait_told){uv_hrtime(), SLACK_RETRY_AFTER_S * 1000u};
		reply_json(req, 429, "Retry-After: 1\r\n",
		    "{\"ok\":false,\"error\":\"ratelimited\"}");
	} else if (w->attempts[seq] <= 2 && seq % 50 == 11) {
		w->n500++;
		reply_json(req, 503, NULL, "{\"ok\":false,\"error\":\"service_unavailable\"}");
	} else {
		store_message(w, dest, seq);
		snprintf(ts, sizeof(ts), "{\"ok\":true,\"channel\":\"C%02d\",\"ts\":\"1700000000.%06d\"}",
		    dest, seq);
		reply_ok(w, req, seq, ts);
	}
}

/* PUT /_matrix/client/v3/rooms/{roomId}/send/m.room.message/{txnId} */
static void
matrix_api(struct world *w, struct fakehttp_req *req)
{
	static const char prefix[] = "/_matrix/client/v3/rooms/";
	static const char mid[] = "/send/m.room.message/";
	char room[128], txn[64], ev[128];
	const char *p = req->target + sizeof(prefix) - 1, *q;
	struct json_object *o = NULL, *body;
	int dest, seq, d;

	if (!authorized(w, req, "syt_test_token")) {
		reply_json(req, 401, NULL, "{\"errcode\":\"M_UNKNOWN_TOKEN\",\"error\":\"bad token\"}");
		return;
	}
	if ((q = strstr(p, mid)) == NULL || (size_t)(q - p) >= sizeof(room) ||
	    strlen(q + sizeof(mid) - 1) >= sizeof(txn)) {
		reply_json(req, 404, NULL, "{\"errcode\":\"M_UNRECOGNIZED\",\"error\":\"no route\"}");
		return;
	}
	/* the room id arrives percent-encoded: %21room03%3Aexample.org */
	d = 0;
	for (const char *s = p; s < q && d < (int)sizeof(room) - 1; s++) {
		unsigned v;

		if (*s == '%' && sscanf(s + 1, "%2x", &v) == 1) {
			room[d++] = (char)v;
			s += 2;
		} else {
			room[d++] = *s;
		}
	}
	room[d] = '\0';
	snprintf(txn, sizeof(txn), "%s", q + sizeof(mid) - 1);
	if (jsonv_parse(req->body, req->body_len, 8, &o, NULL) != 0 ||
	    !json_object_object_get_ex(o, "body", &body) ||
	    (dest = dest_index(room)) < 0 ||
	    (seq = seq_of(json_object_get_string(body))) < 0) {
		json_object_put(o);
		reply_json(req, 400, NULL, "{\"errcode\":\"M_BAD_JSON\",\"error\":\"bad body\"}");
		return;
	}
	json_object_put(o);
	note_arrival(w, dest, seq);
	w->attempts[seq]++;
	snprintf(ev, sizeof(ev), "{\"event_id\":\"$ev%d\"}", seq);
	if (w->txn_of[seq] != NULL && strcmp(w->txn_of[seq], txn) == 0) {
		/* a transaction already stored: the same event, not stored again */
		w->nrepeat++;
		reply_json(req, 200, NULL, ev);
	} else if (w->attempts[seq] == 1 && seq % 17 == 3) {
		/* stored, and then the connection breaks before the answer */
		w->ndropped++;
		store_message(w, dest, seq);
		w->txn_of[seq] = strdup(txn);
		fakehttp_drop(req);
	} else if (w->attempts[seq] == 1 && seq % 23 == 9) {
		w->n429++;
		w->told[dest] = (struct wait_told){uv_hrtime(), MATRIX_RETRY_AFTER_MS};
		reply_json(req, 429, NULL, "{\"errcode\":\"M_LIMIT_EXCEEDED\","
		    "\"error\":\"Too many requests\",\"retry_after_ms\":200}");
	} else if (w->attempts[seq] == 1 && seq % 31 == 4) {
		w->n500++;
		reply_json(req, 502, NULL, "{\"errcode\":\"M_UNKNOWN\",\"error\":\"bad gateway\"}");
	} else {
		store_message(w, dest, seq);
		w->txn_of[seq] = strdup(txn);
		reply_ok(w, req, seq, ev);
	}
}

static void
on_request(void *arg, struct fakehttp_req *req)
{
	struct world *w = arg;

	if (strcmp(req->method, "POST") == 0 &&
	    strcmp(req->target, "/api/chat.postMessage") == 0)
		slack_api(w, req);
	else if (strcmp(req->method, "PUT") == 0 &&
	    strncmp(req->target, "/_matrix/client/v3/rooms/", 25) == 0)
		matrix_api(w, req);
	else
		fakehttp_respond(req, 404, NULL, "", 0);
}

/* ---- the two send functions ---- */

struct call {
	struct world *w;
	outbox_done_fn done;
	void *token;
	bool matrix;
};

static const char *
header_value(const struct httpc_response *res, const char *name)
{
	for (size_t i = 0; i < res->nheaders; i++)
		if (strcasecmp(res->headers[i].name, name) == 0)
			return res->headers[i].value;
	return NULL;
}

static void
on_response(void *arg, const struct httpc_response *res)
{
	struct call *c = arg;
	struct outbox_result r = {.status = OUTBOX_TRANSIENT, .error = res->errmsg};
	struct json_object *o = NULL, *v;
	const char *ra;
	char id[64] = "";

	c->w->sends_in_flight--;
	if (res->err == 0)
		if (jsonv_parse(res->body, res->len, 8, &o, NULL) != 0)
			o = NULL;
	if (res->err != 0) {
		r.status = OUTBOX_TRANSIENT;
	} else if (res->status == 429) {
		r.status = OUTBOX_RATE_LIMITED;
		r.error = "rate limited";
		if (!c->matrix && (ra = header_value(res, "Retry-After")) != NULL)
			r.retry_after_ms = strtoull(ra, NULL, 10) * 1000u;
		else if (c->matrix && o != NULL &&
		    json_object_object_get_ex(o, "retry_after_ms", &v))
			r.retry_after_ms = (uint64_t)json_object_get_int64(v);
	} else if (res->status >= 500) {
		r.error = "server error";
	} else if (res->status != 200 || o == NULL) {
		r.status = OUTBOX_PERMANENT;
		r.error = "refused";
	} else if (!c->matrix) {
		if (json_object_object_get_ex(o, "ok", &v) && json_object_get_boolean(v) &&
		    json_object_object_get_ex(o, "ts", &v)) {
			r.status = OUTBOX_OK;
			snprintf(id, sizeof(id), "%s", json_object_get_string(v));
			r.message_id = id;
		} else {
			r.status = OUTBOX_PERMANENT;
			r.error = "not ok";
		}
	} else if (json_object_object_get_ex(o, "event_id", &v)) {
		r.status = OUTBOX_OK;
		snprintf(id, sizeof(id), "%s", json_object_get_string(v));
		r.message_id = id;
	} else {
		r.status = OUTBOX_PERMANENT;
		r.error = "no event id";
	}
	json_object_put(o);
	c->w->done_calls++;
	c->done(c->token, &r);
	free(c);
}

static void
note_start(struct world *w, const char *destination)
{
	uint64_t now = uv_hrtime();
	int d = -1;
	const char *id = strchr(destination, ':');

	assert_non_null(id);
	d = dest_index(id + 1);
	assert_true(d >= 0);
	if (w->last_start[d] != 0 && now - w->last_start[d] < w->min_gap_ns)
		w->min_gap_ns = now - w->last_start[d];
	w->last_start[d] = now;
	if ((w->nstarts & 1023) == 0) {
		w->starts = realloc(w->starts, (w->nstarts + 1024) * sizeof(*w->starts));
		assert_non_null(w->starts);
	}
	w->starts[w->nstarts++] = now;
}

static int
start_call(struct world *w, struct call *c, const char *method, const char *url,
    const char *token, const char *body)
{
	char auth[128];
	const char *headers[3] = {"Content-Type: application/json", auth, "Expect:"};
	struct httpc_request rq = {
		.method = method, .url = url, .headers = headers, .nheaders = 3,
		.body = body, .body_len = strlen(body), .timeout_ms = 5000,
	};

	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
	if (httpc_start(w->hc, &rq, on_response, c, NULL, NULL) != 0) {
		free(c);
		return -1;
	}
	w->sends_in_flight++;
	return 0;
}

static int
slack_send(void *arg, const struct outbox_msg *m, outbox_done_fn done, void *token)
{
	struct world *w = arg;
	struct call *c = calloc(1, sizeof(*c));
	struct json_object *o = json_object_new_object();
	char url[128];
	int rc;

	assert_non_null(c);
	assert_non_null(o);
	note_start(w, m->destination);
	*c = (struct call){w, done, token, false};
	json_object_object_add(o, "channel", json_object_new_string(strchr(m->destination, ':') + 1));
	json_object_object_add(o, "text", json_object_new_string(m->payload));
	snprintf(url, sizeof(url), "%s/api/chat.postMessage", w->base);
	rc = start_call(w, c, "POST", url, "xoxb-test-token",
	    json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return rc;
}

static int
matrix_send(void *arg, const struct outbox_msg *m, outbox_done_fn done, void *token)
{
	struct world *w = arg;
	struct call *c = calloc(1, sizeof(*c));
	struct json_object *o = json_object_new_object();
	char url[256], room[128];
	size_t n = 0;
	int rc;

	assert_non_null(c);
	assert_non_null(o);
	note_start(w, m->destination);
	*c = (struct call){w, done, token, true};
	for (const char *s = strchr(m->destination, ':') + 1; *s != '\0' && n < sizeof(room) - 4; s++) {
		if (*s == '!' || *s == ':')
			n += (size_t)snprintf(room + n, sizeof(room) - n, "%%%02X", (unsigned char)*s);
		else
			room[n++] = *s;
	}
	room[n] = '\0';
	json_object_object_add(o, "msgtype", json_object_new_string("m.text"));
	json_object_object_add(o, "body", json_object_new_string(m->payload));
	snprintf(url, sizeof(url), "%s/_matrix/client/v3/rooms/%s/send/m.room.message/%s",
	    w->base, room, m->idem_key);
	rc = start_call(w, c, "PUT", url, "syt_test_token",
	    json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return rc;
}

/* ---- the run ---- */

static void
on_check(uv_timer_t *t)
{
	struct world *w = t->data;
	int64_t queued = -1, failed = -1;

	assert_int_equal(outbox_counts(w->ob, &queued, &failed), 0);
	if ((queued > 0 || w->sends_in_flight > 0) &&
	    (uv_hrtime() - w->started) / 1000000u < DEADLINE_MS)
		return;
	w->finished = queued == 0 && failed == 0;
	uv_close((uv_handle_t *)t, NULL);
	outbox_free(w->ob);
	w->ob = NULL;
	httpc_free(w->hc);
	w->hc = NULL;
	fakehttp_stop(w->srv);
	w->srv = NULL;
}

static int
setup(void **state)
{
	struct world *w = calloc(1, sizeof(*w));

	if (w == NULL)
		return -1;
	log_set_level(LOGL_WARNING);
	snprintf(w->dir, sizeof(w->dir), "/tmp/test_outbox_http.XXXXXX");
	if (mkdtemp(w->dir) == NULL || uv_loop_init(&w->loop) != 0)
		return -1;
	w->min_gap_ns = UINT64_MAX;
	*state = w;
	return 0;
}

static int
teardown(void **state)
{
	struct world *w = *state;
	char path[128];

	uv_run(&w->loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&w->loop), 0);
	store_close(w->st);
	for (const char *const *s = (const char *const[]){"drilld.db", "drilld.db-wal",
	    "drilld.db-shm", NULL}; *s != NULL; s++) {
		snprintf(path, sizeof(path), "%s/%s", w->dir, *s);
		unlink(path);
	}
	rmdir(w->dir);
	for (int i = 0; i <= NMSG; i++)
		free(w->txn_of[i]);
	free(w->arrivals);
	free(w->starts);
	free(w);
	return 0;
}

static void
test_thousand_messages_over_http(void **state)
{
	struct world *w = *state;
	struct outbox_opts o;
	char err[DRILL_ERRLEN] = "", path[128], dest[64], text[128];
	int seq = 0, not_once = 0;
	double secs, worst = 0;

	snprintf(path, sizeof(path), "%s/drilld.db", w->dir);
	assert_int_equal(store_open(path, 0, 5000, &w->st, err), 0);
	w->srv = fakehttp_start(&w->loop, "127.0.0.1", on_request, w);
	assert_non_null(w->srv);
	snprintf(w->base, sizeof(w->base), "http://127.0.0.1:%d", fakehttp_port(w->srv));
	w->hc = httpc_new(&w->loop, err);
	assert_non_null(w->hc);

	outbox_opts_default(&o);
	o.min_interval_ms = MIN_INTERVAL_MS;
	o.rate_per_sec = RATE;
	o.burst = BURST;
	o.backoff_base_ms = 20;
	o.backoff_cap_ms = 200;
	o.max_attempts = 10;
	o.retry_after_max_ms = 5000;
	o.seed = 42;
	assert_int_equal(outbox_new(&w->loop, w->st, &o, &w->ob, err), 0);
	assert_int_equal(outbox_register(w->ob, "slack", slack_send, w), 0);
	assert_int_equal(outbox_register(w->ob, "matrix", matrix_send, w), 0);

	/* 1,000 messages queued before the outbox starts, interleaved */
	for (int i = 0; i < PER_DEST; i++) {
		for (int d = 0; d < NDEST; d++) {
			dest_name(d, dest, sizeof(dest));
			snprintf(text, sizeof(text), "msg %d to %s", ++seq, dest);
			assert_int_equal(outbox_enqueue(w->ob, dest[0] == 's' ? "slack" : "matrix",
			    dest, text, NULL), 0);
		}
	}
	assert_int_equal(seq, NMSG);
	w->started = uv_hrtime();
	assert_int_equal(outbox_start(w->ob), 0);
	assert_int_equal(uv_timer_init(&w->loop, &w->check), 0);
	w->check.data = w;
	assert_int_equal(uv_timer_start(&w->check, on_check, 50, 50), 0);
	assert_int_equal(uv_run(&w->loop, UV_RUN_DEFAULT), 0);
	secs = (double)(uv_hrtime() - w->started) / 1e9;

	print_message("1000 messages in %.2f s: %d 5xx, %d 429, %d dropped after storing, "
	    "%d repeats dropped by txnId, %d delayed answers, %zu requests\n", secs,
	    w->n500, w->n429, w->ndropped, w->nrepeat, w->ndelayed, w->narrivals);

	/* nothing queued or failed, and the faults really happened */
	assert_true(w->finished);
	assert_int_equal(w->nunauthorized, 0);
	assert_true(w->n500 >= 20);
	assert_true(w->n429 >= 20);
	assert_true(w->ndropped >= 10);
	assert_int_equal(w->nrepeat, w->ndropped);	/* each resent with its key */
	assert_true(w->ndelayed >= 100);
	/* libcurl itself sends a request again, once, when a reused
	 * connection closes before any answer (httpc.h): more requests than
	 * sends is expected, fewer would mean a lost send */
	assert_true(w->done_calls <= (int)w->narrivals);

	/* exactly once, in order per conversation */
	for (int i = 1; i <= NMSG; i++)
		not_once += w->delivered[i] != 1;
	assert_int_equal(not_once, 0);
	assert_int_equal(w->out_of_order, 0);

	/* pacing: per conversation (1 ms of slack for the clock's resolution) */
	if (w->min_gap_ns < (MIN_INTERVAL_MS - 1) * 1000000ull)
		print_message("closest starts to one conversation: %.3f ms\n", (double)w->min_gap_ns / 1e6);
	assert_true(w->min_gap_ns >= (MIN_INTERVAL_MS - 1) * 1000000ull);
	/* ... a 429's wait honoured ... */
	assert_int_equal(w->told_violations, 0);
	/* ... and the global rate: in any stretch of starts, no more than
	 * the bucket's burst plus the rate over that time (+2: the outbox's
	 * clock counts whole ms, the test's ns) */
	for (size_t i = 0; i < w->nstarts; i++) {
		for (size_t j = i + 1; j < w->nstarts; j++) {
			double span = (double)(w->starts[j] - w->starts[i]) / 1e9;
			double allowed = BURST + RATE * span + 2;
			double ratio = (double)(j - i + 1) / allowed;

			if (ratio > worst)
				worst = ratio;
		}
	}
	if (worst > 1.0)
		print_message("a stretch of starts over the global rate: %.3f of "
		    "what the rate allows\n", worst);
	assert_true(worst <= 1.0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_thousand_messages_over_http, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
