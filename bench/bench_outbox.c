/*
 * bench_outbox.c - how fast the outbox sends, and how long it holds the
 * loop, with everything real: the SQLite store (WAL, synchronous=FULL) in a
 * temporary directory, httpc, and a local HTTP server (tests/fakes) on the
 * same loop answering a Slack-shaped chat.postMessage.
 *
 * 2,000 messages to 50 conversations, queued before the start, with pacing
 * and the global rate off (so the figure is the outbox's own cost), then
 * again with drilld's defaults scaled to the run (25 ms per conversation,
 * 400/s overall). A 1 ms uv timer records the longest loop stall.
 *
 * Prints "name: value unit" lines; bench/README.md records them.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uv.h>

#include "drill/httpc.h"
#include "drill/log.h"
#include "drill/outbox.h"
#include "drill/store.h"
#include "fakehttp.h"

#define NMSG 2000
#define NDEST 50

static uv_loop_t *loop;
static struct httpc *hc;
static struct outbox *ob;
static struct fakehttp *srv;
static char url[128];
static uv_timer_t ticker, check;
static uint64_t last_tick, max_stall_ns, t_start, t_end;
static int delivered, failures;

static void
on_request(void *arg, struct fakehttp_req *req)
{
	static const char ok[] = "{\"ok\":true,\"ts\":\"1700000000.000100\"}";

	(void)arg;
	delivered++;
	fakehttp_respond(req, 200, "Content-Type: application/json\r\n", ok,
	    sizeof(ok) - 1);
}

struct call {
	outbox_done_fn done;
	void *token;
};

static void
on_response(void *arg, const struct httpc_response *res)
{
	struct call *c = arg;
	struct outbox_result r = {.status = OUTBOX_OK, .message_id = "ts"};

	if (res->err != 0 || res->status != 200) {
		r.status = OUTBOX_TRANSIENT;
		r.error = "failed";
		failures++;
	}
	c->done(c->token, &r);
	free(c);
}

static int
send_fn(void *arg, const struct outbox_msg *m, outbox_done_fn done, void *token)
{
	static const char *const headers[] = {
		"Content-Type: application/json", "Authorization: Bearer xoxb-bench"
	};
	struct call *c = malloc(sizeof(*c));
	char body[256];
	struct httpc_request rq = {.method = "POST", .url = url, .headers = headers,
	    .nheaders = 2, .body = body, .timeout_ms = 5000};

	(void)arg;
	if (c == NULL)
		return -1;
	c->done = done;
	c->token = token;
	rq.body_len = (size_t)snprintf(body, sizeof(body),
	    "{\"channel\":\"%s\",\"text\":\"%s\"}", m->destination + 6, m->payload);
	if (httpc_start(hc, &rq, on_response, c, NULL, NULL) != 0) {
		free(c);
		return -1;
	}
	return 0;
}

static void
on_tick(uv_timer_t *t)
{
	uint64_t now = uv_hrtime();

	(void)t;
	if (last_tick != 0 && now - last_tick > 1000000 &&
	    now - last_tick - 1000000 > max_stall_ns)
		max_stall_ns = now - last_tick - 1000000;
	last_tick = now;
}

static void
on_check(uv_timer_t *t)
{
	int64_t queued = 0, failed = 0;

	(void)t;
	if (outbox_counts(ob, &queued, &failed) != 0 || queued > 0)
		return;
	t_end = uv_hrtime();
	uv_stop(loop);
}

/* One run; returns 0 and prints its figures under name. */
static int
run(const char *name, const struct outbox_opts *o, const char *dir)
{
	struct store *st;
	char err[DRILL_ERRLEN] = "", path[256], dest[32], text[64];
	int seq = 0;

	snprintf(path, sizeof(path), "%s/%s.db", dir, name);
	if (store_open(path, 0, 5000, &st, err) != 0 ||
	    outbox_new(loop, st, o, &ob, err) != 0 ||
	    outbox_register(ob, "slack", send_fn, NULL) != 0) {
		fprintf(stderr, "bench_outbox: %s\n", err);
		return -1;
	}
	for (int i = 0; i < NMSG / NDEST; i++) {
		for (int d = 0; d < NDEST; d++) {
			snprintf(dest, sizeof(dest), "slack:C%04d", d);
			snprintf(text, sizeof(text), "message %d", ++seq);
			if (outbox_enqueue(ob, "slack", dest, text, NULL) != 0)
				return -1;
		}
	}
	delivered = failures = 0;
	max_stall_ns = last_tick = 0;
	t_start = uv_hrtime();
	if (outbox_start(ob) != 0)
		return -1;
	uv_timer_start(&ticker, on_tick, 1, 1);
	uv_timer_start(&check, on_check, 5, 5);
	uv_run(loop, UV_RUN_DEFAULT);
	uv_timer_stop(&ticker);
	uv_timer_stop(&check);
	outbox_free(ob);
	uv_run(loop, UV_RUN_NOWAIT);
	store_close(st);
	for (const char *sfx = ""; sfx != NULL; sfx = *sfx == '\0' ? "-wal" :
	    strcmp(sfx, "-wal") == 0 ? "-shm" : NULL) {
		char p[300];

		snprintf(p, sizeof(p), "%s%s", path, sfx);
		unlink(p);
	}
	printf("%s_messages: %d delivered of %d, %d failed sends\n", name,
	    delivered, NMSG, failures);
	printf("%s_rate: %.0f messages/s\n", name,
	    NMSG / ((double)(t_end - t_start) / 1e9));
	printf("%s_max_loop_stall: %.1f ms\n", name, (double)max_stall_ns / 1e6);
	return delivered == NMSG && failures == 0 ? 0 : -1;
}

int
main(void)
{
	struct outbox_opts o;
	char dir[] = "/tmp/bench_outbox.XXXXXX", err[DRILL_ERRLEN];
	int rc = 0;

	log_set_level(LOGL_WARNING);
	loop = uv_default_loop();
	if (mkdtemp(dir) == NULL ||
	    (srv = fakehttp_start(loop, "127.0.0.1", on_request, NULL)) == NULL ||
	    (hc = httpc_new(loop, err)) == NULL)
		return 1;
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/api/chat.postMessage",
	    fakehttp_port(srv));
	uv_timer_init(loop, &ticker);
	uv_timer_init(loop, &check);

	outbox_opts_default(&o);
	o.min_interval_ms = 0;
	o.rate_per_sec = 0;
	rc |= run("unpaced", &o, dir);
	outbox_opts_default(&o);
	o.min_interval_ms = 25;
	o.rate_per_sec = 400;
	rc |= run("paced", &o, dir);

	uv_close((uv_handle_t *)&ticker, NULL);
	uv_close((uv_handle_t *)&check, NULL);
	httpc_free(hc);
	fakehttp_stop(srv);
	uv_run(loop, UV_RUN_DEFAULT);
	rmdir(dir);
	return rc != 0;
}
