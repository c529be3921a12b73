/*
 * bench_httpc - the HTTP client on drilld's one loop, against a small HTTP
 * server on 127.0.0.1 in the same process (the loop serves both sides, so
 * the figures are an upper bound on the client's own cost).
 *
 *   build/bench/bench_httpc
 *
 * 1. 2,000 GET requests, 100 in flight at a time: requests per second.
 * 2. A 10 ms request started while a 30 s long poll (a Matrix /sync) is in
 *    flight: how long it takes (it must not wait for the long poll, which
 *    is then cancelled).
 * 3. Throughout, a 1 ms uv timer measures how late the loop runs it: the
 *    longest stall of any loop iteration.
 * Figures go to stdout, one "name: value unit" per line. Everything stays on
 * loopback, is bounded in count and time, and stops by itself.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "drill/httpc.h"

#define TOTAL 2000
#define INFLIGHT 100

struct conn {
	uv_tcp_t tcp;
	uv_timer_t delay;
	char buf[4096];
	size_t len;
	int slow, answered;
};

static uv_loop_t *loop;
static struct httpc *hc;
static int port;
static char url_fast[64], url_slow[64];
static int started, done_count, failures;
static uint64_t t_start, t_end, max_stall_ns, last_tick;
static uint64_t short_started, short_ms_x1000;
static int phase;
static uv_timer_t ticker, phase_timer;

static void
on_written(uv_write_t *w, int status)
{
	(void)status;
	free(w);
}

static void
free_conn(uv_handle_t *h)
{
	free(h->data);
}

static void
on_closed(uv_handle_t *h)
{
	struct conn *c = h->data;

	uv_close((uv_handle_t *)&c->delay, free_conn);
}

static void
respond(struct conn *c)
{
	static char resp[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok";
	uv_write_t *w = malloc(sizeof(*w));
	uv_buf_t b = uv_buf_init(resp, sizeof(resp) - 1);

	if (w == NULL || uv_write(w, (uv_stream_t *)&c->tcp, &b, 1, on_written) != 0)
		free(w);
	c->len = 0;
}

static void
on_delay(uv_timer_t *t)
{
	respond(t->data);
}

static void
alloc_cb(uv_handle_t *h, size_t s, uv_buf_t *b)
{
	struct conn *c = h->data;
	(void)s;
	*b = uv_buf_init(c->buf + c->len, (unsigned)(sizeof(c->buf) - c->len));
}

static void
read_cb(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	struct conn *c = s->data;

	(void)b;
	if (n < 0 || c->len + (size_t)n >= sizeof(c->buf)) {
		uv_close((uv_handle_t *)&c->tcp, on_closed);
		return;
	}
	c->len += (size_t)n;
	c->buf[c->len] = '\0';
	if (strstr(c->buf, "\r\n\r\n") == NULL)
		return;
	if (strncmp(c->buf, "GET /slow", 9) == 0)
		uv_timer_start(&c->delay, on_delay, 30000, 0);
	else if (strncmp(c->buf, "GET /short", 10) == 0)
		uv_timer_start(&c->delay, on_delay, 10, 0);
	else
		respond(c);
}

static void
on_conn(uv_stream_t *server, int status)
{
	struct conn *c;

	if (status != 0 || (c = calloc(1, sizeof(*c))) == NULL)
		return;
	uv_tcp_init(loop, &c->tcp);
	uv_timer_init(loop, &c->delay);
	c->tcp.data = c->delay.data = c;
	if (uv_accept(server, (uv_stream_t *)&c->tcp) != 0) {
		uv_close((uv_handle_t *)&c->tcp, on_closed);
		return;
	}
	uv_read_start((uv_stream_t *)&c->tcp, alloc_cb, read_cb);
}

static void start_one(void);

static void
on_done(void *arg, const struct httpc_response *res)
{
	(void)arg;
	if (res->err != 0 || res->status != 200)
		failures++;
	if (++done_count == TOTAL) {
		t_end = uv_hrtime();
		return;
	}
	if (started < TOTAL)
		start_one();
}

static void
start_one(void)
{
	struct httpc_request rq = {.url = url_fast};

	started++;
	if (httpc_start(hc, &rq, on_done, NULL, NULL, NULL) != 0)
		failures++;
}

static uint64_t slow_id;

static void
on_short(void *arg, const struct httpc_response *res)
{
	(void)arg;
	if (res->err != 0)
		failures++;
	short_ms_x1000 = (uv_hrtime() - short_started) / 1000;
	if (httpc_cancel(hc, slow_id) != 0)	/* the long poll is still in flight */
		failures++;
}

static void
on_slow(void *arg, const struct httpc_response *res)
{
	(void)arg;
	if (res->err != HTTPC_ECANCELED)	/* it must still be waiting */
		failures++;
	uv_timer_stop(&ticker);
	uv_close((uv_handle_t *)&ticker, NULL);
	uv_close((uv_handle_t *)&phase_timer, NULL);
	httpc_free(hc);
	uv_stop(loop);
}

static void
on_tick(uv_timer_t *t)
{
	uint64_t now = uv_hrtime();

	(void)t;
	if (last_tick && now - last_tick > 1000000 && now - last_tick - 1000000 > max_stall_ns)
		max_stall_ns = now - last_tick - 1000000;
	last_tick = now;
}

static void
on_phase(uv_timer_t *t)
{
	struct httpc_request slow = {.url = url_slow, .timeout_ms = 40000};
	char shorturl[64];
	struct httpc_request shortrq = {.url = shorturl};

	(void)t;
	if (phase == 0 && done_count == TOTAL) {
		phase = 1;
		if (httpc_start(hc, &slow, on_slow, NULL, &slow_id, NULL) != 0)
			exit(1);
		snprintf(shorturl, sizeof(shorturl), "http://127.0.0.1:%d/short", port);
		short_started = uv_hrtime();
		if (httpc_start(hc, &shortrq, on_short, NULL, NULL, NULL) != 0)
			exit(1);
	}
}

int
main(void)
{
	uv_tcp_t server;
	struct sockaddr_in sa;
	struct sockaddr_storage ss;
	int sl = sizeof(ss);
	char err[DRILL_ERRLEN];

	loop = uv_default_loop();
	uv_tcp_init(loop, &server);
	uv_ip4_addr("127.0.0.1", 0, &sa);
	if (uv_tcp_bind(&server, (struct sockaddr *)&sa, 0) != 0 ||
	    uv_listen((uv_stream_t *)&server, 512, on_conn) != 0 ||
	    uv_tcp_getsockname(&server, (struct sockaddr *)&ss, &sl) != 0)
		return 1;
	port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	snprintf(url_fast, sizeof(url_fast), "http://127.0.0.1:%d/fast", port);
	snprintf(url_slow, sizeof(url_slow), "http://127.0.0.1:%d/slow", port);
	if ((hc = httpc_new(loop, err)) == NULL) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	uv_timer_init(loop, &ticker);
	uv_timer_start(&ticker, on_tick, 1, 1);
	uv_timer_init(loop, &phase_timer);
	uv_timer_start(&phase_timer, on_phase, 10, 10);
	t_start = uv_hrtime();
	for (int i = 0; i < INFLIGHT; i++)
		start_one();
	uv_run(loop, UV_RUN_DEFAULT);
	printf("requests: %d (%d in flight), failures: %d\n", TOTAL, INFLIGHT, failures);
	printf("request_rate: %.0f requests/s\n", TOTAL / ((double)(t_end - t_start) / 1e9));
	printf("short_request_during_long_poll: %.1f ms\n", (double)short_ms_x1000 / 1000.0);
	printf("max_loop_stall: %.1f ms\n", (double)max_stall_ns / 1e6);
	uv_close((uv_handle_t *)&server, NULL);
	return failures != 0;
}
