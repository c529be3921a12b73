/*
 * test_http.c - unit tests for the net and http modules: a real server on
 * 127.0.0.1 (lws picks a free port: port 0, read back with http_port) on
 * the test's own libuv loop, and a tiny uv_tcp client in the same loop
 * talking to it over real sockets. Each client run is bounded by a guard
 * timer that fails the test after GUARD_MS. request_timeout is 1 s, so the
 * tests of slow clients take about a second each.
 *
 * Every fixture ends the way drilld does: net_stop, the loop runs until
 * every handle is closed, http_free, net_free, and uv_loop_close must then
 * succeed (lws left no handle behind).
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
#include <uv.h>

#include "drill/http.h"
#include "drill/log.h"
#include "drill/net.h"

#define GUARD_MS 5000		/* a client run taking longer fails the test */
#define RESP_MAX 65536		/* bytes of a response kept */
#define MAX_BODY (1024 * 1024)
#define TIMEOUT_MS 1000

struct fixture {
	uv_loop_t loop;
	struct net *net;
	struct http *http;
	int port;
	/* what the test routes saw */
	int calls;
	char method[16];
	char path[256];
	char query[256];
	unsigned char body[4096];
	size_t body_len;
	int hdr_rc;		/* http_header("X-Drill-Test") */
	char hdr[128];
	int ctype_rc;		/* http_header("content-type") */
	char ctype[128];
	int late_rc;		/* http_header after the handler returned */
	/* the request /hold and /later keep */
	struct http_request *held;
	uv_timer_t later;
};

struct client {
	struct fixture *f;
	uv_tcp_t tcp;
	uv_connect_t conn;
	uv_write_t wr;
	uv_timer_t guard;
	uv_buf_t bufs[2];
	unsigned nbufs;
	char rbuf[65536];
	char *resp;		/* RESP_MAX + 1 bytes */
	size_t len;
	int read_status;	/* UV_EOF, or the error that ended reading */
	int write_status;	/* 0 or the write's error */
	int conn_status;
	bool timed_out;
	int closing;		/* handles still to close */
	uint64_t t0, t_end;	/* uv_now at connect and at the end of reading */
};

/* ---- the client -------------------------------------------------------- */

static void
client_closed(uv_handle_t *h)
{
	struct client *c = h->data;

	c->closing--;
}

static void
client_end(struct client *c)
{
	if (c->t_end != 0)
		return;
	c->t_end = uv_now(&c->f->loop);
	uv_timer_stop(&c->guard);
	uv_close((uv_handle_t *)&c->tcp, client_closed);
	uv_close((uv_handle_t *)&c->guard, client_closed);
}

static void
on_guard(uv_timer_t *t)
{
	struct client *c = t->data;

	c->timed_out = true;
	client_end(c);
}

static void
on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct client *c = h->data;

	(void)suggested;
	*buf = uv_buf_init(c->rbuf, sizeof(c->rbuf));
}

static void
on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct client *c = s->data;

	if (n < 0) {
		c->read_status = (int)n;
		client_end(c);
		return;
	}
	if (n > 0 && c->len < RESP_MAX) {
		size_t k = (size_t)n < RESP_MAX - c->len ? (size_t)n : RESP_MAX - c->len;

		memcpy(c->resp + c->len, buf->base, k);
		c->len += k;
		c->resp[c->len] = '\0';
	}
}

static void
on_written(uv_write_t *w, int status)
{
	struct client *c = w->data;

	c->write_status = status;
}

static void
on_connect(uv_connect_t *cr, int status)
{
	struct client *c = cr->data;

	c->conn_status = status;
	if (status != 0) {
		client_end(c);
		return;
	}
	uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
	if (c->nbufs > 0)
		uv_write(&c->wr, (uv_stream_t *)&c->tcp, c->bufs, c->nbufs, on_written);
}

/*
 * Connects to the server, sends req (and then body, when not NULL: it may
 * be large) without closing its side, reads until the server closes, and
 * returns the client (c->resp is what came back). Fails the test when the
 * guard timer fires.
 */
static void
run_client(struct fixture *f, struct client *c, const char *req,
    const void *body, size_t body_len)
{
	struct sockaddr_in sa;

	memset(c, 0, sizeof(*c));
	c->f = f;
	c->resp = calloc(1, RESP_MAX + 1);
	assert_non_null(c->resp);
	c->tcp.data = c->conn.data = c->wr.data = c->guard.data = c;
	if (req != NULL)
		c->bufs[c->nbufs++] = uv_buf_init((char *)req, (unsigned)strlen(req));
	if (body != NULL)
		c->bufs[c->nbufs++] = uv_buf_init((char *)body, (unsigned)body_len);
	assert_int_equal(uv_ip4_addr("127.0.0.1", f->port, &sa), 0);
	assert_int_equal(uv_tcp_init(&f->loop, &c->tcp), 0);
	assert_int_equal(uv_timer_init(&f->loop, &c->guard), 0);
	c->closing = 2;
	uv_update_time(&f->loop);
	c->t0 = uv_now(&f->loop);
	assert_int_equal(uv_timer_start(&c->guard, on_guard, GUARD_MS, 0), 0);
	assert_int_equal(uv_tcp_connect(&c->conn, &c->tcp,
	    (const struct sockaddr *)&sa, on_connect), 0);
	while (c->closing > 0)
		uv_run(&f->loop, UV_RUN_ONCE);
	if (c->timed_out)
		fail_msg("no end of the response within %d ms; got %zu bytes: %.200s",
		    GUARD_MS, c->len, c->resp);
	assert_int_equal(c->conn_status, 0);
}

static void
client_free(struct client *c)
{
	free(c->resp);
	c->resp = NULL;
}

/* The status code of the response's first status line, or -1. */
static int
status_of(const struct client *c)
{
	int st;

	if (c->len < 12 || strncmp(c->resp, "HTTP/1.", 7) != 0 ||
	    sscanf(c->resp + 9, "%3d", &st) != 1)
		return -1;
	return st;
}

/* The body after the first blank line, or NULL. */
static const char *
body_of(const struct client *c)
{
	const char *p = strstr(c->resp, "\r\n\r\n");

	return p != NULL ? p + 4 : NULL;
}

/* Whether the response headers hold "name: value" (ASCII case ignored). */
static bool
has_header(const struct client *c, const char *line)
{
	const char *end = strstr(c->resp, "\r\n\r\n");
	size_t n = strlen(line);

	for (const char *p = strstr(c->resp, "\r\n"); p != NULL && p < end;
	    p = strstr(p + 2, "\r\n"))
		if (strncasecmp(p + 2, line, n) == 0 && p[2 + n] == '\r')
			return true;
	return false;
}

/* One request with "Connection: close": returns its status. */
static int
simple(struct fixture *f, struct client *c, const char *req)
{
	run_client(f, c, req, NULL, 0);
	return status_of(c);
}

/* ---- the routes of the tests ------------------------------------------- */

static void
copy_str(char *dst, size_t size, const char *s)
{
	snprintf(dst, size, "%s", s);
}

/* Records the request, then echoes its body with an added header. */
static void
on_echo(void *arg, struct http_request *req)
{
	struct fixture *f = arg;

	f->calls++;
	copy_str(f->method, sizeof(f->method), req->method);
	copy_str(f->path, sizeof(f->path), req->path);
	copy_str(f->query, sizeof(f->query), req->query);
	f->body_len = req->body_len;
	memcpy(f->body, req->body, req->body_len < sizeof(f->body) ?
	    req->body_len : sizeof(f->body));
	f->hdr_rc = http_header(req, "X-Drill-Test", f->hdr, sizeof(f->hdr));
	f->ctype_rc = http_header(req, "content-type", f->ctype, sizeof(f->ctype));
	assert_int_equal(http_add_header(req, "X-Echo", "yes"), 0);
	assert_int_equal(http_add_header(req, "Content-Length", "5"), DRILL_EINVAL);
	assert_int_equal(http_add_header(req, "Bad Name", "x"), DRILL_EINVAL);
	assert_int_equal(http_add_header(req, "X-Bad", "a\r\nb: c"), DRILL_EINVAL);
	http_respond(req, 200, "application/octet-stream", req->body, req->body_len);
}

static void
on_later(uv_timer_t *t)
{
	struct fixture *f = t->data;
	struct http_request *req = f->held;

	f->held = NULL;
	http_respond(req, 202, "text/plain", "stored\n", 7);
}

/* Keeps the request and answers it 100 ms later from a timer. */
static void
on_async(void *arg, struct http_request *req)
{
	struct fixture *f = arg;

	f->calls++;
	f->body_len = req->body_len;
	memcpy(f->body, req->body, req->body_len < sizeof(f->body) ?
	    req->body_len : sizeof(f->body));
	f->held = req;
	uv_timer_start(&f->later, on_later, 100, 0);
}

/* Keeps the request and never answers it (the test does, late). */
static void
on_hold(void *arg, struct http_request *req)
{
	struct fixture *f = arg;
	char buf[64];

	f->calls++;
	f->held = req;
	f->hdr_rc = http_header(req, "host", buf, sizeof(buf));
	(void)buf;
}

/* ---- fixtures ---------------------------------------------------------- */

static int
setup(void **state)
{
	struct http_opts o = {"127.0.0.1", 0, MAX_BODY, TIMEOUT_MS};
	char err[DRILL_ERRLEN];
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL || uv_loop_init(&f->loop) != 0)
		return -1;
	log_init("test_http", LOGL_WARNING);
	f->net = net_new(&f->loop, err);
	if (f->net == NULL) {
		print_error("net_new: %s\n", err);
		return -1;
	}
	f->http = http_new(f->net, &o, err);
	if (f->http == NULL) {
		print_error("http_new: %s\n", err);
		return -1;
	}
	f->port = http_port(f->http);
	if (f->port <= 0)
		return -1;
	uv_timer_init(&f->loop, &f->later);
	f->later.data = f;
	if (http_route_add(f->http, "POST", "/echo", on_echo, f) != 0 ||
	    http_route_add(f->http, "PUT", "/echo", on_echo, f) != 0 ||
	    http_route_add(f->http, "POST", "/async", on_async, f) != 0 ||
	    http_route_add(f->http, "GET", "/hold", on_hold, f) != 0)
		return -1;
	*state = f;
	return 0;
}

/* drilld's order: stop lws, run the loop dry, free http, free net. */
static int
teardown(void **state)
{
	struct fixture *f = *state;
	int rc;

	uv_close((uv_handle_t *)&f->later, NULL);
	net_stop(f->net);
	net_stop(f->net);	/* twice is fine */
	assert_null(net_context(f->net));
	uv_run(&f->loop, UV_RUN_DEFAULT);
	http_free(f->http);
	/* a request a handler kept outlives the server: answering frees it */
	if (f->held != NULL)
		http_respond(f->held, 200, NULL, NULL, 0);
	net_free(f->net);
	rc = uv_loop_close(&f->loop);
	free(f);
	return rc == 0 ? 0 : -1;
}

/* ---- tests ------------------------------------------------------------- */

static void
test_healthz(void **state)
{
	struct fixture *f = *state;
	struct client c;

	assert_int_equal(simple(f, &c, "GET /healthz HTTP/1.1\r\nHost: t\r\n"
	    "Connection: close\r\n\r\n"), 200);
	assert_string_equal(body_of(&c), "ok\n");
	assert_true(has_header(&c, "content-length: 3"));
	assert_int_equal(c.read_status, UV_EOF);
	client_free(&c);

	/* HEAD: GET's headers, no body */
	assert_int_equal(simple(f, &c, "HEAD /healthz HTTP/1.1\r\nHost: t\r\n"
	    "Connection: close\r\n\r\n"), 200);
	assert_true(has_header(&c, "content-length: 3"));
	assert_string_equal(body_of(&c), "");
	client_free(&c);
}

static void
test_keepalive(void **state)
{
	struct fixture *f = *state;
	struct client c;
	const char *p;

	/* two requests on one connection; the second asks to close */
	run_client(f, &c, "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n"
	    "GET /readyz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", NULL, 0);
	assert_int_equal(status_of(&c), 200);
	p = strstr(c.resp + 1, "HTTP/1.1 200");
	assert_non_null(p);
	assert_non_null(strstr(p, "\r\n\r\nready\n"));
	assert_int_equal(c.read_status, UV_EOF);
	assert_true(c.t_end - c.t0 < TIMEOUT_MS);
	client_free(&c);

	/* an idle keep-alive connection closes after request_timeout */
	run_client(f, &c, "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n", NULL, 0);
	assert_int_equal(status_of(&c), 200);
	assert_true(c.t_end - c.t0 >= TIMEOUT_MS - 100);
	assert_true(c.t_end - c.t0 < TIMEOUT_MS + 2000);
	client_free(&c);
}

static void
test_readyz(void **state)
{
	struct fixture *f = *state;
	struct client c;

	/* no platform registered */
	assert_int_equal(simple(f, &c, "GET /readyz HTTP/1.1\r\nHost: t\r\n"
	    "Connection: close\r\n\r\n"), 200);
	assert_string_equal(body_of(&c), "ready\n");
	client_free(&c);

	assert_int_equal(http_ready_set(f->http, "slack", false,
	    "socket mode connecting"), 0);
	assert_int_equal(http_ready_set(f->http, "matrix", true, NULL), 0);
	assert_int_equal(simple(f, &c, "GET /readyz HTTP/1.1\r\nHost: t\r\n"
	    "Connection: close\r\n\r\n"), 503);
	assert_string_equal(body_of(&c), "not ready: slack: socket mode connecting\n");
	client_free(&c);

	/* two not ready; a reason is one line */
	assert_int_equal(http_ready_set(f->http, "matrix", false, "sync\r\nfailing"), 0);
	assert_int_equal(simple(f, &c, "GET /readyz HTTP/1.1\r\nHost: t\r\n"
	    "Connection: close\r\n\r\n"), 503);
	assert_string_equal(body_of(&c),
	    "not ready: slack: socket mode connecting; matrix: sync??failing\n");
	client_free(&c);

	assert_int_equal(http_ready_set(f->http, "slack", true, NULL), 0);
	http_ready_remove(f->http, "matrix");
	assert_int_equal(simple(f, &c, "GET /readyz HTTP/1.1\r\nHost: t\r\n"
	    "Connection: close\r\n\r\n"), 200);
	client_free(&c);

	/* bad names; a server that is off accepts everything */
	assert_int_equal(http_ready_set(f->http, "Slack", true, NULL), DRILL_EINVAL);
	assert_int_equal(http_ready_set(f->http, "", true, NULL), DRILL_EINVAL);
	assert_int_equal(http_ready_set(f->http, "a b", true, NULL), DRILL_EINVAL);
	assert_int_equal(http_ready_set(NULL, "slack", false, "x"), 0);
	http_ready_remove(NULL, "slack");
}

static void
test_not_found_and_method(void **state)
{
	struct fixture *f = *state;
	struct client c;

	assert_int_equal(simple(f, &c, "GET /nope HTTP/1.1\r\nHost: t\r\n"
	    "Connection: close\r\n\r\n"), 404);
	client_free(&c);
	/* a prefix matches whole segments only */
	assert_int_equal(simple(f, &c, "GET /healthzz HTTP/1.1\r\nHost: t\r\n"
	    "Connection: close\r\n\r\n"), 404);
	client_free(&c);

	assert_int_equal(simple(f, &c, "DELETE /healthz HTTP/1.1\r\nHost: t\r\n"
	    "Connection: close\r\n\r\n"), 405);
	assert_true(has_header(&c, "allow: GET, HEAD"));
	client_free(&c);

	/* several methods on one prefix; a path under it */
	assert_int_equal(simple(f, &c, "GET /echo/x HTTP/1.1\r\nHost: t\r\n"
	    "Connection: close\r\n\r\n"), 405);
	assert_true(has_header(&c, "allow: PUT, POST") ||
	    has_header(&c, "allow: POST, PUT"));
	client_free(&c);

	/* 405 for a request with a body: the body is read first, then closed */
	assert_int_equal(simple(f, &c, "PATCH /healthz HTTP/1.1\r\nHost: t\r\n"
	    "Content-Length: 5\r\n\r\nhello"), 405);
	assert_true(has_header(&c, "connection: close"));
	assert_int_equal(c.read_status, UV_EOF);
	client_free(&c);
	assert_int_equal(f->calls, 0);
}

static void
test_route_gets_body_and_headers(void **state)
{
	struct fixture *f = *state;
	static const unsigned char body[] = "line one\r\n\0binary\xff\x01 end";
	char req[512];
	struct client c;
	const char *b;

	snprintf(req, sizeof(req), "POST /echo/sub?a=1&b=x%%20y HTTP/1.1\r\n"
	    "Host: t\r\nX-Drill-Test: the value\r\nContent-Type: application/json\r\n"
	    "Content-Length: %zu\r\nConnection: close\r\n\r\n", sizeof(body) - 1);
	run_client(f, &c, req, body, sizeof(body) - 1);
	assert_int_equal(status_of(&c), 200);
	assert_int_equal(f->calls, 1);
	assert_string_equal(f->method, "POST");
	assert_string_equal(f->path, "/echo/sub");
	assert_string_equal(f->query, "a=1&b=x y");
	assert_int_equal(f->body_len, sizeof(body) - 1);
	assert_memory_equal(f->body, body, sizeof(body) - 1);
	assert_int_equal(f->hdr_rc, 9);
	assert_string_equal(f->hdr, "the value");
	assert_int_equal(f->ctype_rc, 16);
	assert_string_equal(f->ctype, "application/json");
	/* the echo came back whole, with the added header */
	assert_true(has_header(&c, "x-echo: yes"));
	assert_true(has_header(&c, "content-type: application/octet-stream"));
	b = body_of(&c);
	assert_non_null(b);
	assert_int_equal(c.len - (size_t)(b - c.resp), sizeof(body) - 1);
	assert_memory_equal(b, body, sizeof(body) - 1);
	client_free(&c);

	/* PUT, an empty body, no query; an absent header */
	assert_int_equal(simple(f, &c, "PUT /echo HTTP/1.1\r\nHost: t\r\n"
	    "Content-Length: 0\r\nConnection: close\r\n\r\n"), 200);
	assert_int_equal(f->calls, 2);
	assert_string_equal(f->method, "PUT");
	assert_string_equal(f->query, "");
	assert_int_equal(f->body_len, 0);
	assert_int_equal(f->hdr_rc, DRILL_ENOTFOUND);
	assert_int_equal(f->ctype_rc, DRILL_ENOTFOUND);
	client_free(&c);
}

static void
test_async_answer(void **state)
{
	struct fixture *f = *state;
	struct client c;

	run_client(f, &c, "POST /async HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\n"
	    "Connection: close\r\n\r\nping", NULL, 0);
	assert_int_equal(status_of(&c), 202);
	assert_string_equal(body_of(&c), "stored\n");
	assert_int_equal(f->calls, 1);
	assert_int_equal(f->body_len, 4);
	assert_memory_equal(f->body, "ping", 4);
	assert_null(f->held);
	assert_true(c.t_end - c.t0 >= 90);
	client_free(&c);
}

static void
test_handler_too_slow(void **state)
{
	struct fixture *f = *state;
	struct client c;
	struct http_request *req;
	char buf[16];

	/* nobody answers: the connection closes after request_timeout */
	run_client(f, &c, "GET /hold HTTP/1.1\r\nHost: t\r\n\r\n", NULL, 0);
	assert_int_equal(f->calls, 1);
	assert_int_equal(f->hdr_rc, 1);
	assert_int_equal(c.len, 0);
	assert_true(c.t_end - c.t0 >= TIMEOUT_MS - 100);
	client_free(&c);
	/* headers are gone after the handler's call; a late answer only frees */
	req = f->held;
	assert_non_null(req);
	assert_int_equal(http_header(req, "host", buf, sizeof(buf)), DRILL_EINVAL);
	f->held = NULL;
	http_respond(req, 200, "text/plain", "late\n", 5);

	/* the server still serves */
	assert_int_equal(simple(f, &c, "GET /healthz HTTP/1.1\r\nHost: t\r\n"
	    "Connection: close\r\n\r\n"), 200);
	client_free(&c);

	/* a request still held when the server stops: see teardown */
	run_client(f, &c, "GET /hold HTTP/1.1\r\nHost: t\r\n\r\n", NULL, 0);
	assert_non_null(f->held);
	client_free(&c);
}

static void
test_body_too_large(void **state)
{
	struct fixture *f = *state;
	size_t n = 2 * 1024 * 1024;
	char *body = malloc(n);
	char req[256];
	struct client c;

	assert_non_null(body);
	memset(body, 'x', n);
	/* a plain client: sends everything, then reads */
	snprintf(req, sizeof(req), "POST /echo HTTP/1.1\r\nHost: t\r\n"
	    "Content-Length: %zu\r\n\r\n", n);
	run_client(f, &c, req, body, n);
	assert_int_equal(status_of(&c), 413);
	assert_int_equal(c.write_status, 0);	/* the whole body went out */
	assert_int_equal(c.read_status, UV_EOF);	/* a close, not a reset */
	assert_true(has_header(&c, "connection: close"));
	assert_string_equal(body_of(&c), "request body too large\n");
	client_free(&c);

	/* one announced with Expect: 100-continue is answered before its body */
	run_client(f, &c, "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 2097152\r\n"
	    "Expect: 100-continue\r\n\r\n", NULL, 0);
	assert_int_equal(status_of(&c), 413);
	client_free(&c);

	/* exactly max_body is fine */
	snprintf(req, sizeof(req), "POST /echo HTTP/1.1\r\nHost: t\r\n"
	    "Content-Length: %d\r\nConnection: close\r\n\r\n", MAX_BODY);
	run_client(f, &c, req, body, MAX_BODY);
	assert_int_equal(status_of(&c), 200);
	assert_int_equal(f->body_len, MAX_BODY);
	assert_true(has_header(&c, "content-length: 1048576"));
	client_free(&c);
	assert_int_equal(f->calls, 1);
	free(body);
}

static void
test_slow_clients(void **state)
{
	struct fixture *f = *state;
	struct client c;

	/* half the headers, then nothing */
	run_client(f, &c, "GET /healthz HTTP/1.1\r\nHost: t\r\n", NULL, 0);
	assert_int_equal(c.len, 0);
	assert_true(c.t_end - c.t0 >= TIMEOUT_MS - 100);
	assert_true(c.t_end - c.t0 < TIMEOUT_MS + 2000);
	client_free(&c);

	/* connects and says nothing */
	run_client(f, &c, NULL, NULL, 0);
	assert_int_equal(c.len, 0);
	assert_true(c.t_end - c.t0 >= TIMEOUT_MS - 100);
	assert_true(c.t_end - c.t0 < TIMEOUT_MS + 2000);
	client_free(&c);

	/* a third of the body, then nothing */
	run_client(f, &c, "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 30\r\n"
	    "\r\n0123456789", NULL, 0);
	assert_int_equal(c.len, 0);
	assert_true(c.t_end - c.t0 >= TIMEOUT_MS - 100);
	assert_true(c.t_end - c.t0 < TIMEOUT_MS + 2000);
	assert_int_equal(f->calls, 0);
	client_free(&c);
}

static void
test_malformed(void **state)
{
	static const char *const bad[] = {
		"GARBAGE\r\n\r\n",
		"GET\r\n\r\n",
		"GET healthz HTTP/1.1\r\nHost: t\r\n\r\n",
		"\x01\x02\xff\xfe\r\n\r\n",
		"FOO /healthz HTTP/1.1\r\nHost: t\r\n\r\n",
		"GET /healthz HTTP/1.1\r\nHost t\r\n\r\n",
		"GET /a%00b HTTP/1.1\r\nHost: t\r\n\r\n",
		"GET /a%0d%0ab HTTP/1.1\r\nHost: t\r\n\r\n",
		"GET /%zz HTTP/1.1\r\nHost: t\r\n\r\n",
		"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: -5\r\n\r\n",
		"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 1x\r\n\r\n",
		"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 99999999999999999999999\r\n\r\n",
		"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nContent-Length: 7\r\n\r\nabcdefg",
		"POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
		"CONNECT example.org:443 HTTP/1.1\r\nHost: example.org\r\n\r\n",
		"OPTIONS * HTTP/1.1\r\nHost: t\r\n\r\n",
	};
	/* odd but harmless: any answer or a close will do */
	static const char *const odd[] = {
		"GET /healthz HTTP/9.9\r\nHost: t\r\n\r\n",	/* lws: HTTP/1.0 */
		"GET /healthz\r\n\r\n",
		"GET /healthz HTTP/1.1\r\n\r\n",	/* no Host */
		"GET /x/../healthz HTTP/1.1\r\nHost: t\r\n\r\n",
		"GET //healthz HTTP/1.1\r\nHost: t\r\n\r\n",
		"GET /healthz?%zz&&=&a==b HTTP/1.1\r\nHost: t\r\n\r\n",
	};
	struct fixture *f = *state;
	struct client c;
	char *huge;

	for (size_t i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
		int st = simple(f, &c, odd[i]);

		if (!(c.len == 0 || (st >= 200 && st < 500)))
			fail_msg("odd request %zu got: %.100s", i, c.resp);
		client_free(&c);
	}

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int st = simple(f, &c, bad[i]);

		/* a 4xx, or a close without an answer; never a crash */
		if (!(c.len == 0 || (st >= 400 && st < 500)))
			fail_msg("request %zu got: %.100s", i, c.resp);
		client_free(&c);
	}
	/* headers larger than lws's 4 KB buffer */
	huge = malloc(20000);
	assert_non_null(huge);
	memcpy(huge, "GET /", 5);
	memset(huge + 5, 'a', 16000);
	memcpy(huge + 16005, " HTTP/1.1\r\nHost: t\r\n\r\n", 23);
	assert_true(simple(f, &c, huge) == -1 || (status_of(&c) >= 400 &&
	    status_of(&c) < 500));
	client_free(&c);
	free(huge);
	assert_int_equal(f->calls, 0);
	/* and it still serves */
	assert_int_equal(simple(f, &c, "GET /healthz HTTP/1.1\r\nHost: t\r\n"
	    "Connection: close\r\n\r\n"), 200);
	client_free(&c);
}

static void
test_chunked_refused(void **state)
{
	struct fixture *f = *state;
	struct client c;

	assert_int_equal(simple(f, &c, "POST /echo HTTP/1.1\r\nHost: t\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"), 411);
	assert_true(has_header(&c, "connection: close"));
	client_free(&c);
	assert_int_equal(simple(f, &c, "POST /echo HTTP/1.1\r\nHost: t\r\n"
	    "Content-Length: 5, 7\r\n\r\nabcdefg"), 400);
	client_free(&c);
	assert_int_equal(f->calls, 0);
}

static void
on_taken_closed(uv_handle_t *h)
{
	*(int *)h->data = 0;
}

static void
test_api_errors(void **state)
{
	struct fixture *f = *state;
	struct http_opts o = {"127.0.0.1", 0, MAX_BODY, TIMEOUT_MS};
	char err[DRILL_ERRLEN] = "";
	struct sockaddr_storage ss;
	struct sockaddr_in sa;
	int sslen = sizeof(ss);
	uv_tcp_t taken;

	assert_int_equal(http_route_add(f->http, "GET", "/healthz", on_echo, f),
	    DRILL_EEXIST);
	assert_int_equal(http_route_add(f->http, "HEAD", "/x", on_echo, f), DRILL_EINVAL);
	assert_int_equal(http_route_add(f->http, "get", "/x", on_echo, f), DRILL_EINVAL);
	assert_int_equal(http_route_add(f->http, "GET", "x", on_echo, f), DRILL_EINVAL);
	assert_int_equal(http_route_add(f->http, "GET", "/a b", on_echo, f), DRILL_EINVAL);
	assert_int_equal(http_route_add(f->http, "GET", "/x", NULL, f), DRILL_EINVAL);
	assert_int_equal(http_route_add(NULL, "GET", "/x", on_echo, f), DRILL_EINVAL);
	assert_int_equal(http_route_add(f->http, "DELETE", "/healthz", on_echo, f), 0);

	/*
	 * A port another socket holds. (Vhosts of one lws context share a
	 * listen socket on the same address and port instead of failing.)
	 */
	assert_int_equal(uv_tcp_init(&f->loop, &taken), 0);
	assert_int_equal(uv_ip4_addr("127.0.0.1", 0, &sa), 0);
	assert_int_equal(uv_tcp_bind(&taken, (const struct sockaddr *)&sa, 0), 0);
	assert_int_equal(uv_listen((uv_stream_t *)&taken, 1, NULL), 0);
	assert_int_equal(uv_tcp_getsockname(&taken, (struct sockaddr *)&ss, &sslen), 0);
	o.port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	assert_null(http_new(f->net, &o, err));
	assert_non_null(strstr(err, "cannot listen on 127.0.0.1 port"));
	taken.data = &sslen;
	uv_close((uv_handle_t *)&taken, on_taken_closed);
	while (sslen != 0)
		uv_run(&f->loop, UV_RUN_ONCE);
	o.port = 0;
	o.max_body = 0;
	assert_null(http_new(f->net, &o, err));
	o.max_body = MAX_BODY;
	o.request_timeout_ms = 999;
	assert_null(http_new(f->net, &o, err));
	assert_null(http_new(NULL, &o, err));

	/* the protocol table */
	assert_null(net_vhost_new(f->net, NULL, NULL, err));
	assert_int_equal(net_add_protocol(f->net, NULL), DRILL_EINVAL);
	assert_non_null(net_context(f->net));
	assert_ptr_equal(net_loop(f->net), &f->loop);
	assert_false(net_stopped(f->net));
	http_respond(NULL, 200, NULL, NULL, 0);
	http_free(NULL);
	net_free(NULL);
	net_stop(NULL);
}

/* A start-up that fails before the loop ever runs: net_free alone cleans up. */
static void
test_free_without_stop(void **state)
{
	struct http_opts o = {"127.0.0.1", 0, MAX_BODY, TIMEOUT_MS};
	char err[DRILL_ERRLEN];
	uv_loop_t loop;
	struct net *net;
	struct http *h;

	(void)state;
	assert_int_equal(uv_loop_init(&loop), 0);
	net = net_new(&loop, err);
	assert_non_null(net);
	h = http_new(net, &o, err);
	assert_non_null(h);
	assert_true(http_port(h) > 0);
	http_free(h);
	net_free(net);
	assert_int_equal(uv_loop_close(&loop), 0);

	/* and with nothing on it but the context */
	assert_int_equal(uv_loop_init(&loop), 0);
	net = net_new(&loop, err);
	assert_non_null(net);
	net_free(net);
	assert_int_equal(uv_loop_close(&loop), 0);
}

/* IPv6 loopback, when the host has it. */
static void
test_ipv6(void **state)
{
	struct http_opts o = {"::1", 0, MAX_BODY, TIMEOUT_MS};
	char err[DRILL_ERRLEN];
	uv_loop_t loop;
	struct net *net;
	struct http *h;

	(void)state;
	assert_int_equal(uv_loop_init(&loop), 0);
	net = net_new(&loop, err);
	assert_non_null(net);
	h = http_new(net, &o, err);
	if (h == NULL)
		print_message("  (no IPv6 loopback here: %s)\n", err);
	else
		assert_true(http_port(h) > 0);
	net_stop(net);
	uv_run(&loop, UV_RUN_DEFAULT);
	http_free(h);
	net_free(net);
	assert_int_equal(uv_loop_close(&loop), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_healthz, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keepalive, setup, teardown),
		cmocka_unit_test_setup_teardown(test_readyz, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_found_and_method, setup, teardown),
		cmocka_unit_test_setup_teardown(test_route_gets_body_and_headers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_async_answer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_handler_too_slow, setup, teardown),
		cmocka_unit_test_setup_teardown(test_body_too_large, setup, teardown),
		cmocka_unit_test_setup_teardown(test_slow_clients, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_chunked_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_api_errors, setup, teardown),
		cmocka_unit_test(test_free_without_stop),
		cmocka_unit_test(test_ipv6),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
