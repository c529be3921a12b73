/*
 * test_httpc.c - unit tests of the asynchronous HTTP client against a small
 * HTTP/1.1 server written in this file on the same libuv loop (uv_tcp on
 * 127.0.0.1, an ephemeral port): no network, no threads. The server's paths
 * misbehave on purpose (never answer, answer late, send too much, close
 * mid-body, answer a TLS hello with plain text, play an HTTP proxy), and
 * each test asserts what a user of httpc would notice: the callback's error
 * code, status, headers and body, how often and when it is called, and that
 * the loop closes with nothing left over. A watchdog timer fails any test
 * that takes more than a few seconds.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <uv.h>

#include "drill/httpc.h"

#define WATCHDOG_MS 5000
#define MAX_CALLS 128

/* ---- growable byte buffer ---------------------------------------------- */

struct sb {
	char *p;
	size_t len, cap;
};

static void
sb_add(struct sb *b, const void *d, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;

		while (cap < b->len + n + 1)
			cap *= 2;
		if ((b->p = realloc(b->p, cap)) == NULL)
			abort();
		b->cap = cap;
	}
	memcpy(b->p + b->len, d, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void DRILL_PRINTF(2, 3)
sb_addf(struct sb *b, const char *fmt, ...)
{
	char tmp[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof tmp)
		abort();
	sb_add(b, tmp, (size_t)n);
}

/* ---- the test server --------------------------------------------------- */

struct srv;

struct conn {
	struct srv *s;
	struct conn *prev, *next;
	uv_tcp_t tcp;
	uv_timer_t timer;
	int nopen;		/* handles not yet closed */
	struct sb in;
	int busy;		/* a response is pending: later requests wait */
	int closing;
	int parked;		/* held by /barrier/ */
	int first;		/* no byte read yet */
	int head;		/* the pending request is a HEAD */
	long tag;		/* /barrier/K and /delay/K: K */
};

struct srv {
	uv_loop_t *loop;
	uv_tcp_t lis;
	int port;
	struct conn *conns;
	int accepted;		/* connections accepted */
	int requests;		/* requests read */
	int barrier;		/* /barrier/ answers when this many are parked */
	int nparked;
	char last_line[1100];	/* request line of the latest request */
};

struct wr {
	uv_write_t req;
	struct conn *c;
	char *buf;
	int close_after;
};

static void
conn_closed(uv_handle_t *hd)
{
	struct conn *c = hd->data;

	if (--c->nopen == 0) {
		free(c->in.p);
		free(c);
	}
}

static void
conn_close(struct conn *c)
{
	if (c->closing)
		return;
	c->closing = 1;
	if (c->parked) {
		c->parked = 0;
		c->s->nparked--;
	}
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		c->s->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	uv_close((uv_handle_t *)&c->tcp, conn_closed);
	uv_close((uv_handle_t *)&c->timer, conn_closed);
}

static void process(struct conn *c);

static void
on_written(uv_write_t *req, int status)
{
	struct wr *w = (struct wr *)req;
	struct conn *c = w->c;
	int close_after = w->close_after;

	free(w->buf);
	free(w);
	if (c->closing)
		return;
	if (status < 0 || close_after) {
		conn_close(c);
		return;
	}
	c->busy = 0;
	process(c);
}

/* Sends b's bytes (taking them) and then closes or reads the next request. */
static void
send_raw(struct conn *c, struct sb *b, int close_after)
{
	struct wr *w = calloc(1, sizeof *w);
	uv_buf_t ub;

	if (w == NULL)
		abort();
	w->c = c;
	w->buf = b->p;
	w->close_after = close_after;
	ub = uv_buf_init(b->p, (unsigned)b->len);
	memset(b, 0, sizeof *b);
	c->busy = 1;
	if (uv_write(&w->req, (uv_stream_t *)&c->tcp, &ub, 1, on_written) != 0) {
		free(w->buf);
		free(w);
		conn_close(c);
	}
}

static void
respond(struct conn *c, const char *status, const char *extra,
    const void *body, size_t len, int close_after)
{
	struct sb b = { 0 };

	sb_addf(&b, "HTTP/1.1 %s\r\nContent-Length: %zu\r\n%s%s\r\n", status, len,
	    extra != NULL ? extra : "", close_after ? "Connection: close\r\n" : "");
	if (!c->head && len > 0)
		sb_add(&b, body, len);
	send_raw(c, &b, close_after);
}

static void
on_delay(uv_timer_t *t)
{
	struct conn *c = t->data;
	char body[64];
	int n = snprintf(body, sizeof body, "slept %ld ms", c->tag);

	respond(c, "200 OK", "Content-Type: text/plain\r\n", body, (size_t)n, 0);
}

static void
release_barrier(struct srv *s)
{
	struct conn *c;
	char body[32];
	int n;

	for (c = s->conns; c != NULL; c = c->next) {
		if (!c->parked)
			continue;
		c->parked = 0;
		n = snprintf(body, sizeof body, "id=%ld", c->tag);
		respond(c, "200 OK", NULL, body, (size_t)n, 0);
	}
	s->nparked = 0;
}

/* Answers one request according to its path. */
static void
handle(struct conn *c, const char *method, const char *target,
    const char *hdrs, size_t hlen, const char *body, size_t blen)
{
	struct srv *s = c->s;
	struct sb b = { 0 };
	const char *path = target;
	char *end;
	long n, i;

	s->requests++;
	snprintf(s->last_line, sizeof s->last_line, "%s %s", method, target);
	c->head = strcmp(method, "HEAD") == 0;
	c->busy = 1;
	if (strcmp(method, "CONNECT") == 0) {
		respond(c, "403 Forbidden", NULL, "no", 2, 1);
		return;
	}
	if (strncmp(path, "http://", 7) == 0 || strncmp(path, "https://", 8) == 0) {
		path = strchr(strstr(path, "://") + 3, '/');
		if (path == NULL)
			path = "/";
	}
	if (strncmp(path, "/echo", 5) == 0) {
		sb_addf(&b, "%s %s\n", method, target);
		sb_add(&b, hdrs, hlen);
		sb_add(&b, "\n", 1);
		sb_add(&b, body, blen);
		respond(c, "200 OK", "Content-Type: text/plain\r\nX-Echo: yes\r\n",
		    b.p, b.len, 0);
		free(b.p);
	} else if (strncmp(path, "/delay/", 7) == 0) {
		c->tag = strtol(path + 7, &end, 10);
		uv_timer_start(&c->timer, on_delay, (uint64_t)c->tag, 0);
	} else if (strncmp(path, "/never", 6) == 0) {
		/* hold it until the client goes away */
	} else if (strncmp(path, "/barrier/", 9) == 0) {
		c->tag = strtol(path + 9, &end, 10);
		c->parked = 1;
		if (++s->nparked >= s->barrier)
			release_barrier(s);
	} else if (strncmp(path, "/id/", 4) == 0) {
		char out[32];
		int k = snprintf(out, sizeof out, "id=%ld", strtol(path + 4, &end, 10));

		respond(c, "200 OK", NULL, out, (size_t)k, 0);
	} else if (strncmp(path, "/big/", 5) == 0) {
		n = strtol(path + 5, &end, 10);
		for (i = 0; i < n; i++)
			sb_add(&b, "a", 1);
		respond(c, "200 OK", NULL, b.p, (size_t)n, 0);
		free(b.p);
	} else if (strncmp(path, "/chunked/", 9) == 0) {
		n = strtol(path + 9, &end, 10);
		sb_addf(&b, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
		for (i = 0; i < n; i += 1000) {
			long k = n - i < 1000 ? n - i : 1000, j;

			sb_addf(&b, "%lx\r\n", k);
			for (j = 0; j < k; j++)
				sb_add(&b, "c", 1);
			sb_add(&b, "\r\n", 2);
		}
		sb_addf(&b, "0\r\n\r\n");
		send_raw(c, &b, 0);
	} else if (strncmp(path, "/short", 6) == 0) {
		sb_addf(&b, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n0123456789");
		send_raw(c, &b, 1);
	} else if (strncmp(path, "/retry", 6) == 0) {
		respond(c, "429 Too Many Requests", "Retry-After: 7\r\n"
		    "Content-Type: application/json; charset=utf-8\r\n"
		    "X-Folded: one\r\n two\r\n",
		    "{\"ok\":false}", 12, 0);
	} else if (strncmp(path, "/redirect", 9) == 0) {
		respond(c, "302 Found", "Location: /echo\r\n", "", 0, 0);
	} else if (strncmp(path, "/bighead", 8) == 0) {
		char pad[1001];

		memset(pad, 'p', 1000);
		pad[1000] = '\0';
		sb_addf(&b, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n");
		for (i = 0; i < 80; i++)
			sb_addf(&b, "X-Pad-%ld: %s\r\n", i, pad);
		sb_addf(&b, "\r\nok");
		send_raw(c, &b, 0);
	} else {
		respond(c, "404 Not Found", NULL, "", 0, 0);
	}
}

/* Parses whole requests out of c->in while nothing is pending. */
static void
process(struct conn *c)
{
	char method[16], target[1024];
	char *p, *eoh, *line_end, *cl;
	size_t hdr_len, blen = 0, total;

	while (!c->busy && !c->closing) {
		p = c->in.p;
		if (p == NULL || (eoh = strstr(p, "\r\n\r\n")) == NULL)
			return;
		line_end = strstr(p, "\r\n");
		if (sscanf(p, "%15s %1023s", method, target) != 2) {
			conn_close(c);
			return;
		}
		hdr_len = (size_t)(eoh + 4 - p);
		*eoh = '\0';
		for (cl = line_end; cl != NULL; cl = strstr(cl + 2, "\r\n")) {
			if (strncasecmp(cl + 2, "Content-Length:", 15) == 0) {
				blen = strtoul(cl + 17, NULL, 10);
				break;
			}
		}
		*eoh = '\r';
		if (c->in.len < hdr_len + blen)
			return;
		handle(c, method, target, line_end + 2,
		    (size_t)(eoh + 2 - (line_end + 2)), p + hdr_len, blen);
		total = hdr_len + blen;
		if (c->closing)
			return;
		memmove(c->in.p, c->in.p + total, c->in.len - total);
		c->in.len -= total;
		c->in.p[c->in.len] = '\0';
		blen = 0;
	}
}

static void
on_alloc(uv_handle_t *hd, size_t suggested, uv_buf_t *buf)
{
	(void)hd;
	buf->base = malloc(suggested);
	buf->len = buf->base != NULL ? suggested : 0;
}

static void
on_read(uv_stream_t *st, ssize_t n, const uv_buf_t *buf)
{
	struct conn *c = st->data;

	if (n < 0) {
		conn_close(c);
	} else if (n > 0) {
		if (c->first && (unsigned char)buf->base[0] == 0x16) {
			/* a TLS ClientHello: answer in plain HTTP, as a
			 * misconfigured server would */
			struct sb b = { 0 };

			c->first = 0;
			sb_addf(&b, "HTTP/1.1 400 Bad Request\r\n\r\n");
			send_raw(c, &b, 1);
		} else if (!c->closing) {
			c->first = 0;
			sb_add(&c->in, buf->base, (size_t)n);
			process(c);
		}
	}
	free(buf->base);
}

static void
on_connection(uv_stream_t *lis, int status)
{
	struct srv *s = lis->data;
	struct conn *c;

	if (status < 0 || (c = calloc(1, sizeof *c)) == NULL)
		return;
	c->s = s;
	c->first = 1;
	uv_tcp_init(s->loop, &c->tcp);
	uv_timer_init(s->loop, &c->timer);
	c->tcp.data = c->timer.data = c;
	c->nopen = 2;
	c->next = s->conns;
	if (s->conns != NULL)
		s->conns->prev = c;
	s->conns = c;
	if (uv_accept(lis, (uv_stream_t *)&c->tcp) != 0 ||
	    uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) != 0) {
		conn_close(c);
		return;
	}
	s->accepted++;
}

static int
srv_start(struct srv *s, uv_loop_t *loop)
{
	struct sockaddr_in a;
	struct sockaddr_storage ss;
	int len = sizeof ss;

	memset(s, 0, sizeof *s);
	s->loop = loop;
	s->barrier = 1000000;
	if (uv_ip4_addr("127.0.0.1", 0, &a) != 0 || uv_tcp_init(loop, &s->lis) != 0)
		return -1;
	s->lis.data = s;
	if (uv_tcp_bind(&s->lis, (const struct sockaddr *)&a, 0) != 0 ||
	    uv_listen((uv_stream_t *)&s->lis, 256, on_connection) != 0 ||
	    uv_tcp_getsockname(&s->lis, (struct sockaddr *)&ss, &len) != 0)
		return -1;
	s->port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	return 0;
}

static void
srv_stop(struct srv *s)
{
	while (s->conns != NULL)
		conn_close(s->conns);
	if (!uv_is_closing((uv_handle_t *)&s->lis))
		uv_close((uv_handle_t *)&s->lis, NULL);
}

/* A port on 127.0.0.1 that was bound and closed: nothing listens there. */
static int
closed_port(void)
{
	struct sockaddr_in a;
	socklen_t len = sizeof a;
	int fd, port;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0)
		return -1;
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
		close(fd);
		return -1;
	}
	port = ntohs(a.sin_port);
	close(fd);
	return port;
}

/* ---- fixture ----------------------------------------------------------- */

struct fx;

/* What one callback saw. */
struct call {
	struct fx *fx;
	uint64_t id;
	int n;			/* times called */
	int err;
	long status;
	char *body;
	size_t len;
	int nul;		/* body[len] was a NUL */
	char msg[DRILL_ERRLEN];
	char retry_after[32], ctype[64], location[64], folded[32];
	size_t nheaders;
	int order;		/* 1 for the first callback of the test, ... */
	uint64_t t_start, t_done;	/* uv_hrtime, ns */
	void (*hook)(struct call *);	/* runs inside the callback */
	long k;			/* for hooks */
	int rc;			/* for hooks */
};

struct fx {
	uv_loop_t loop;
	uv_timer_t watchdog;
	int expired;
	int tearing_down;
	struct srv srv;
	struct httpc *h;
	struct httpc *dying;	/* the client a hook freed */
	char base[64];
	int ndone;
	struct call calls[MAX_CALLS];
};

static void
close_any(uv_handle_t *hd, void *arg)
{
	(void)arg;
	if (!uv_is_closing(hd))
		uv_close(hd, NULL);
}

static void
on_watchdog(uv_timer_t *t)
{
	struct fx *fx = t->data;

	fx->expired = 1;
	if (fx->tearing_down)	/* something never closed: close it all */
		uv_walk(&fx->loop, close_any, NULL);
	uv_stop(&fx->loop);
}

static int
setup(void **state)
{
	struct fx *fx = calloc(1, sizeof *fx);
	char err[DRILL_ERRLEN];

	if (fx == NULL || uv_loop_init(&fx->loop) != 0)
		return -1;
	uv_timer_init(&fx->loop, &fx->watchdog);
	fx->watchdog.data = fx;
	uv_timer_start(&fx->watchdog, on_watchdog, WATCHDOG_MS, 0);
	if (srv_start(&fx->srv, &fx->loop) != 0)
		return -1;
	snprintf(fx->base, sizeof fx->base, "http://127.0.0.1:%d", fx->srv.port);
	if ((fx->h = httpc_new(&fx->loop, err)) == NULL) {
		print_error("httpc_new: %s\n", err);
		return -1;
	}
	*state = fx;
	return 0;
}

/*
 * Frees the client, stops the server and runs the loop until every handle
 * has closed: uv_loop_close then succeeds only if httpc left nothing open.
 */
static int
teardown(void **state)
{
	struct fx *fx = *state;
	int i, rc, leaked;

	httpc_free(fx->h);
	srv_stop(&fx->srv);
	fx->tearing_down = 1;
	fx->expired = 0;
	/* unreferenced: uv_run returns once everything else has closed, and
	 * the watchdog still fires if something never does */
	uv_timer_start(&fx->watchdog, on_watchdog, 3000, 0);
	uv_unref((uv_handle_t *)&fx->watchdog);
	uv_run(&fx->loop, UV_RUN_DEFAULT);
	leaked = fx->expired;
	if (!uv_is_closing((uv_handle_t *)&fx->watchdog))
		uv_close((uv_handle_t *)&fx->watchdog, NULL);
	uv_run(&fx->loop, UV_RUN_DEFAULT);
	rc = uv_loop_close(&fx->loop);
	for (i = 0; i < MAX_CALLS; i++)
		free(fx->calls[i].body);
	free(fx);
	if (leaked || rc != 0) {
		print_error("teardown: handles left open (rc %d, stuck %d)\n", rc, leaked);
		return -1;
	}
	return 0;
}

static void
on_done(void *arg, const struct httpc_response *res)
{
	struct call *c = arg;
	const char *v;

	c->n++;
	c->order = ++c->fx->ndone;
	c->t_done = uv_hrtime();
	c->err = res->err;
	c->status = res->status;
	c->id = res->id;
	free(c->body);
	if ((c->body = malloc(res->len + 1)) == NULL)
		abort();
	memcpy(c->body, res->body, res->len + 1);
	c->len = res->len;
	c->nul = res->body[res->len] == '\0';
	snprintf(c->msg, sizeof c->msg, "%s", res->errmsg);
	c->nheaders = res->nheaders;
	if ((v = httpc_header(res, "retry-after")) != NULL)
		snprintf(c->retry_after, sizeof c->retry_after, "%s", v);
	if ((v = httpc_header(res, "CONTENT-TYPE")) != NULL)
		snprintf(c->ctype, sizeof c->ctype, "%s", v);
	if ((v = httpc_header(res, "Location")) != NULL)
		snprintf(c->location, sizeof c->location, "%s", v);
	if ((v = httpc_header(res, "x-folded")) != NULL)
		snprintf(c->folded, sizeof c->folded, "%s", v);
	if (c->hook != NULL)
		c->hook(c);
}

/* Starts a request on fx->h into call slot i; returns httpc_start's code. */
static int
start_full(struct fx *fx, int i, const char *method, const char *url,
    const char *const *headers, size_t nheaders, const void *body, size_t blen,
    uint64_t timeout_ms, size_t max_response, char *err)
{
	struct httpc_request rq = {
		.method = method,
		.url = url,
		.headers = headers,
		.nheaders = nheaders,
		.body = body,
		.body_len = blen,
		.timeout_ms = timeout_ms,
		.max_response = max_response,
	};
	struct call *c = &fx->calls[i];

	c->fx = fx;
	c->t_start = uv_hrtime();
	return httpc_start(fx->h, &rq, on_done, c, &c->id, err);
}

/* GET base+path into slot i; the test fails if it cannot start. */
static void
get(struct fx *fx, int i, const char *path, uint64_t timeout_ms, size_t max)
{
	char url[512], err[DRILL_ERRLEN] = "";

	snprintf(url, sizeof url, "%s%s", fx->base, path);
	assert_int_equal(start_full(fx, i, "GET", url, NULL, 0, NULL, 0,
	    timeout_ms, max, err), 0);
}

#define RUN_UNTIL(fx, cond) do { \
	while (!(cond) && !(fx)->expired) \
		uv_run(&(fx)->loop, UV_RUN_ONCE); \
	assert_false((fx)->expired); \
} while (0)

static double
ms(uint64_t from, uint64_t to)
{
	return (double)(to - from) / 1e6;
}

/* ---- tests ------------------------------------------------------------- */

static void
test_get_round_trip(void **state)
{
	struct fx *fx = *state;
	const char *hdrs[] = { "X-Test: hello there", "Accept: text/plain" };
	char url[256], err[DRILL_ERRLEN];
	struct call *c = &fx->calls[0];

	snprintf(url, sizeof url, "%s/echo?a=1&b=two", fx->base);
	assert_int_equal(start_full(fx, 0, NULL, url, hdrs, 2, NULL, 0, 0, 0, err), 0);
	assert_true(c->id != 0);
	assert_int_equal(httpc_pending(fx->h), 1);
	RUN_UNTIL(fx, c->n > 0);
	assert_int_equal(c->n, 1);
	assert_int_equal(c->err, 0);
	assert_string_equal(c->msg, "");
	assert_int_equal(c->status, 200);
	assert_true(c->nul);
	assert_int_equal(strlen(c->body), c->len);
	assert_true(strncmp(c->body, "GET /echo?a=1&b=two\n", 20) == 0);
	assert_non_null(strstr(c->body, "\nX-Test: hello there\r\n"));
	assert_non_null(strstr(c->body, "\nAccept: text/plain\r\n"));
	assert_non_null(strstr(c->body, "User-Agent: drilld/"));
	assert_string_equal(c->ctype, "text/plain");
	assert_int_equal(httpc_pending(fx->h), 0);
}

static void
test_post_and_other_methods_round_trip(void **state)
{
	struct fx *fx = *state;
	const char *hdrs[] = { "Content-Type: application/json", "X-Id: 42" };
	char body[] = "{\"k\":\"v\"}\0tail";	/* 14 bytes, a NUL inside */
	const size_t blen = sizeof body - 1;
	char url[256], err[DRILL_ERRLEN];
	struct call *post = &fx->calls[0], *put = &fx->calls[1],
	    *del = &fx->calls[2], *head = &fx->calls[3], *patch = &fx->calls[4];
	const char *b;

	snprintf(url, sizeof url, "%s/echo", fx->base);
	assert_int_equal(start_full(fx, 0, "POST", url, hdrs, 2, body, blen, 0, 0, err), 0);
	memset(body, 'X', blen);	/* the request owns a copy */
	assert_int_equal(start_full(fx, 1, "PUT", url, hdrs, 1, "put!", 4, 0, 0, err), 0);
	assert_int_equal(start_full(fx, 2, "DELETE", url, NULL, 0, NULL, 0, 0, 0, err), 0);
	assert_int_equal(start_full(fx, 3, "HEAD", url, NULL, 0, NULL, 0, 0, 0, err), 0);
	assert_int_equal(start_full(fx, 4, "PATCH", url, NULL, 0, NULL, 0, 0, 0, err), 0);
	RUN_UNTIL(fx, fx->ndone == 5);

	assert_int_equal(post->n, 1);
	assert_int_equal(post->err, 0);
	assert_int_equal(post->status, 200);
	assert_true(strncmp(post->body, "POST /echo\n", 11) == 0);
	assert_non_null(strstr(post->body, "Content-Type: application/json\r\n"));
	assert_non_null(strstr(post->body, "X-Id: 42\r\n"));
	assert_non_null(strstr(post->body, "Content-Length: 14\r\n"));
	assert_true(post->len > blen);
	b = post->body + post->len - blen;
	assert_memory_equal(b, "{\"k\":\"v\"}\0tail", blen);

	assert_int_equal(put->err, 0);
	assert_true(strncmp(put->body, "PUT /echo\n", 10) == 0);
	assert_true(strcmp(put->body + put->len - 4, "put!") == 0);
	assert_int_equal(del->err, 0);
	assert_true(strncmp(del->body, "DELETE /echo\n", 13) == 0);
	assert_int_equal(patch->err, 0);
	assert_true(strncmp(patch->body, "PATCH /echo\n", 12) == 0);
	assert_non_null(strstr(patch->body, "Content-Length: 0\r\n"));
	assert_int_equal(head->err, 0);
	assert_int_equal(head->status, 200);
	assert_int_equal(head->len, 0);
	assert_string_equal(head->body, "");
	assert_string_equal(head->ctype, "text/plain");
}

/*
 * The server holds every request until all 100 have arrived, so this only
 * finishes if the 100 really are in flight at once.
 */
static void
test_hundred_in_flight(void **state)
{
	struct fx *fx = *state;
	char path[64], want[32];
	uint64_t t0;
	int i;

	fx->srv.barrier = 100;
	t0 = uv_hrtime();
	for (i = 0; i < 100; i++) {
		snprintf(path, sizeof path, "/barrier/%d", i);
		get(fx, i, path, 4000, 0);
	}
	assert_int_equal(httpc_pending(fx->h), 100);
	RUN_UNTIL(fx, fx->ndone == 100);
	print_message("    100 requests in flight at once: all done in %.1f ms\n",
	    ms(t0, uv_hrtime()));
	for (i = 0; i < 100; i++) {
		snprintf(want, sizeof want, "id=%d", i);
		assert_int_equal(fx->calls[i].n, 1);
		assert_int_equal(fx->calls[i].err, 0);
		assert_string_equal(fx->calls[i].body, want);
	}
	assert_true(fx->srv.accepted >= 100);
	assert_int_equal(httpc_pending(fx->h), 0);
}

static void
test_timeout(void **state)
{
	struct fx *fx = *state;
	struct call *c = &fx->calls[0];
	double took;

	get(fx, 0, "/never", 300, 0);
	RUN_UNTIL(fx, c->n > 0);
	took = ms(c->t_start, c->t_done);
	print_message("    300 ms timeout reported after %.1f ms\n", took);
	assert_int_equal(c->err, HTTPC_ETIMEDOUT);
	assert_true(took >= 295 && took < 1000);
	assert_non_null(strstr(c->msg, "timed out"));
	assert_int_equal(c->status, 0);
}

static void
test_short_request_during_long_poll(void **state)
{
	struct fx *fx = *state;
	struct call *lng = &fx->calls[0], *shrt = &fx->calls[1];
	double took;

	get(fx, 0, "/delay/2000", 4000, 0);
	get(fx, 1, "/delay/10", 4000, 0);
	RUN_UNTIL(fx, fx->ndone == 2);
	took = ms(shrt->t_start, shrt->t_done);
	print_message("    10 ms request during a 2 s long poll: %.1f ms\n", took);
	assert_int_equal(shrt->order, 1);
	assert_int_equal(shrt->err, 0);
	assert_string_equal(shrt->body, "slept 10 ms");
	assert_true(took < 250);
	assert_int_equal(lng->order, 2);
	assert_int_equal(lng->err, 0);
	assert_string_equal(lng->body, "slept 2000 ms");
	assert_true(ms(lng->t_start, lng->t_done) >= 1990);
}

static void
test_size_limit_known_length(void **state)
{
	struct fx *fx = *state;
	struct call *over = &fx->calls[0], *exact = &fx->calls[1], *after = &fx->calls[2];
	size_t i;

	get(fx, 0, "/big/5000", 0, 1000);
	get(fx, 1, "/big/1000", 0, 1000);
	RUN_UNTIL(fx, fx->ndone == 2);
	get(fx, 2, "/id/1", 0, 0);	/* the loop runs on: no second callback */
	RUN_UNTIL(fx, after->n > 0);
	assert_int_equal(over->n, 1);
	assert_int_equal(over->err, DRILL_ETOOBIG);
	assert_non_null(strstr(over->msg, "over 1000 bytes"));
	assert_true(over->len <= 1000);
	assert_int_equal(exact->n, 1);
	assert_int_equal(exact->err, 0);
	assert_int_equal(exact->len, 1000);
	assert_true(exact->nul);
	for (i = 0; i < exact->len; i++)
		assert_int_equal(exact->body[i], 'a');
}

static void
test_size_limit_chunked(void **state)
{
	struct fx *fx = *state;
	struct call *over = &fx->calls[0], *fits = &fx->calls[1], *after = &fx->calls[2];

	get(fx, 0, "/chunked/5000", 0, 1000);
	get(fx, 1, "/chunked/3000", 0, 3000);
	RUN_UNTIL(fx, fx->ndone == 2);
	get(fx, 2, "/id/2", 0, 0);
	RUN_UNTIL(fx, after->n > 0);
	assert_int_equal(over->n, 1);
	assert_int_equal(over->err, DRILL_ETOOBIG);
	assert_int_equal(over->status, 200);
	assert_true(over->len <= 1000);
	assert_int_equal(fits->n, 1);
	assert_int_equal(fits->err, 0);
	assert_int_equal(fits->len, 3000);
	assert_int_equal(strspn(fits->body, "c"), 3000);
}

static void
test_header_limit(void **state)
{
	struct fx *fx = *state;
	struct call *c = &fx->calls[0];

	get(fx, 0, "/bighead", 0, 0);	/* 80 KB of headers */
	RUN_UNTIL(fx, c->n > 0);
	assert_int_equal(c->n, 1);
	assert_int_equal(c->err, DRILL_ETOOBIG);
	assert_non_null(strstr(c->msg, "headers"));
}

static void
test_connection_refused(void **state)
{
	struct fx *fx = *state;
	struct call *c = &fx->calls[0];
	char url[128], err[DRILL_ERRLEN];
	int port = closed_port();

	assert_true(port > 0);
	snprintf(url, sizeof url, "http://127.0.0.1:%d/x", port);
	assert_int_equal(start_full(fx, 0, "GET", url, NULL, 0, NULL, 0, 0, 0, err), 0);
	assert_int_equal(c->n, 0);	/* never from inside httpc_start */
	RUN_UNTIL(fx, c->n > 0);
	assert_int_equal(c->n, 1);
	assert_int_equal(c->err, HTTPC_ECONNECT);
	assert_int_equal(c->status, 0);
	assert_non_null(strstr(c->msg, "Connection refused"));
	assert_non_null(strstr(c->msg, "127.0.0.1"));
	assert_string_equal(httpc_strerror(c->err), "could not connect");
}

static void
test_server_closes_mid_response(void **state)
{
	struct fx *fx = *state;
	struct call *c = &fx->calls[0];

	get(fx, 0, "/short", 0, 0);	/* Content-Length 1000, 10 sent, close */
	RUN_UNTIL(fx, c->n > 0);
	assert_int_equal(c->n, 1);
	assert_int_equal(c->err, DRILL_EPROTO);
	assert_int_equal(c->status, 200);
	assert_true(c->len <= 10);
	assert_non_null(strstr(c->msg, "closed the connection"));
}

static void
test_response_headers(void **state)
{
	struct fx *fx = *state;
	struct call *c = &fx->calls[0];

	get(fx, 0, "/retry", 0, 0);
	RUN_UNTIL(fx, c->n > 0);
	assert_int_equal(c->err, 0);
	assert_int_equal(c->status, 429);
	assert_string_equal(c->retry_after, "7");
	assert_string_equal(c->ctype, "application/json; charset=utf-8");
	assert_string_equal(c->folded, "one two");
	assert_string_equal(c->location, "");	/* no such header */
	assert_int_equal(c->nheaders, 4);	/* Content-Length, 3 of ours */
	assert_string_equal(c->body, "{\"ok\":false}");
}

static void
test_redirect_not_followed(void **state)
{
	struct fx *fx = *state;
	struct call *c = &fx->calls[0];

	get(fx, 0, "/redirect", 0, 0);
	RUN_UNTIL(fx, c->n > 0);
	assert_int_equal(c->err, 0);
	assert_int_equal(c->status, 302);
	assert_string_equal(c->location, "/echo");
	assert_int_equal(fx->srv.requests, 1);
}

static void
test_cancel_one(void **state)
{
	struct fx *fx = *state;
	struct call *a = &fx->calls[0], *b = &fx->calls[1];

	get(fx, 0, "/never", 0, 0);
	get(fx, 1, "/delay/50", 0, 0);
	RUN_UNTIL(fx, fx->srv.requests == 2);	/* both really in flight */
	assert_int_equal(httpc_cancel(fx->h, a->id), 0);
	assert_int_equal(a->n, 1);		/* called inside httpc_cancel */
	assert_int_equal(a->err, HTTPC_ECANCELED);
	assert_non_null(strstr(a->msg, "cancelled"));
	assert_int_equal(httpc_pending(fx->h), 1);
	RUN_UNTIL(fx, b->n > 0);
	assert_int_equal(b->err, 0);
	assert_string_equal(b->body, "slept 50 ms");
	assert_int_equal(a->n, 1);
	assert_int_equal(httpc_cancel(fx->h, a->id), DRILL_ENOTFOUND);
	assert_int_equal(httpc_cancel(fx->h, b->id), DRILL_ENOTFOUND);
	assert_int_equal(httpc_cancel(fx->h, 999999), DRILL_ENOTFOUND);
	assert_int_equal(httpc_pending(fx->h), 0);
}

static void
hook_cancel_other(struct call *c)
{
	struct fx *fx = c->fx;

	c->rc = httpc_cancel(fx->h, fx->calls[1].id);
	c->k = httpc_cancel(fx->h, c->id);	/* itself: its callback is running */
}

static void
test_cancel_from_callback(void **state)
{
	struct fx *fx = *state;
	struct call *a = &fx->calls[0], *b = &fx->calls[1];

	a->hook = hook_cancel_other;
	get(fx, 0, "/delay/20", 0, 0);
	get(fx, 1, "/never", 0, 0);
	RUN_UNTIL(fx, a->n > 0);
	assert_int_equal(a->err, 0);
	assert_int_equal(a->rc, 0);
	assert_int_equal(a->k, DRILL_ENOTFOUND);
	assert_int_equal(b->n, 1);
	assert_int_equal(b->err, HTTPC_ECANCELED);
	assert_int_equal(b->order, 2);
	assert_int_equal(httpc_pending(fx->h), 0);
}

static void
hook_start_next(struct call *c)
{
	struct fx *fx = c->fx;
	char path[32];

	if (c->k >= 4)
		return;
	fx->calls[c->k + 1].hook = hook_start_next;
	fx->calls[c->k + 1].k = c->k + 1;
	snprintf(path, sizeof path, "/id/%ld", c->k + 1);
	get(fx, (int)c->k + 1, path, 0, 0);
}

static void
test_callback_starts_next_on_same_connection(void **state)
{
	struct fx *fx = *state;
	char want[16];
	int i;

	fx->calls[0].hook = hook_start_next;
	get(fx, 0, "/id/0", 0, 0);
	RUN_UNTIL(fx, fx->ndone == 5);
	for (i = 0; i < 5; i++) {
		snprintf(want, sizeof want, "id=%d", i);
		assert_int_equal(fx->calls[i].n, 1);
		assert_int_equal(fx->calls[i].err, 0);
		assert_string_equal(fx->calls[i].body, want);
	}
	assert_int_equal(fx->srv.accepted, 1);	/* the connection was reused */
}

static void
test_tls_failure(void **state)
{
	struct fx *fx = *state;
	struct call *c = &fx->calls[0];
	char url[128], err[DRILL_ERRLEN];

	snprintf(url, sizeof url, "https://127.0.0.1:%d/x", fx->srv.port);
	assert_int_equal(start_full(fx, 0, "GET", url, NULL, 0, NULL, 0, 0, 0, err), 0);
	RUN_UNTIL(fx, c->n > 0);
	assert_int_equal(c->err, HTTPC_ETLS);
	assert_true(strncmp(c->msg, "GET https://127.0.0.1:", 22) == 0);
}

/* Error messages name scheme, host and port, never a query, user info or header. */
static void
test_no_secrets_in_messages(void **state)
{
	struct fx *fx = *state;
	const char *hdrs[] = { "Authorization: Bearer SECRET-H" };
	char url[256], err[DRILL_ERRLEN];
	int port = closed_port(), i;

	assert_true(port > 0);
	snprintf(url, sizeof url, "http://127.0.0.1:%d/x?token=SECRET-Q", port);
	assert_int_equal(start_full(fx, 0, "GET", url, hdrs, 1, NULL, 0, 0, 0, err), 0);
	snprintf(url, sizeof url, "http://user:SECRET-U@127.0.0.1:%d/SECRET-P?token=SECRET-Q", port);
	assert_int_equal(start_full(fx, 1, "POST", url, hdrs, 1, "b", 1, 0, 0, err), 0);
	snprintf(url, sizeof url, "%s/never?token=SECRET-Q", fx->base);
	assert_int_equal(start_full(fx, 2, "GET", url, hdrs, 1, NULL, 0, 200, 0, err), 0);
	snprintf(url, sizeof url, "https://127.0.0.1:%d/x?token=SECRET-Q", fx->srv.port);
	assert_int_equal(start_full(fx, 3, "GET", url, hdrs, 1, NULL, 0, 0, 0, err), 0);
	snprintf(url, sizeof url, "%s/big/5000?token=SECRET-Q", fx->base);
	assert_int_equal(start_full(fx, 4, "GET", url, hdrs, 1, NULL, 0, 0, 10, err), 0);
	snprintf(url, sizeof url, "%s/short?token=SECRET-Q#SECRET-F", fx->base);
	assert_int_equal(start_full(fx, 5, "GET", url, hdrs, 1, NULL, 0, 0, 0, err), 0);
	snprintf(url, sizeof url, "%s/never?token=SECRET-Q", fx->base);
	assert_int_equal(start_full(fx, 6, "GET", url, hdrs, 1, NULL, 0, 0, 0, err), 0);
	RUN_UNTIL(fx, fx->ndone == 6);
	assert_int_equal(httpc_cancel(fx->h, fx->calls[6].id), 0);
	for (i = 0; i < 7; i++) {
		struct call *c = &fx->calls[i];

		assert_int_equal(c->n, 1);
		assert_true(c->err != 0);
		assert_non_null(strstr(c->msg, "127.0.0.1:"));
		assert_null(strstr(c->msg, "SECRET"));
	}
	/* and the synchronous refusals */
	err[0] = '\0';
	assert_int_equal(start_full(fx, 7, "GET", "ftp://u:SECRET-U@127.0.0.1/?t=SECRET-Q",
	    NULL, 0, NULL, 0, 0, 0, err), DRILL_EINVAL);
	assert_true(err[0] != '\0');
	assert_null(strstr(err, "SECRET"));
	err[0] = '\0';
	assert_int_equal(start_full(fx, 7, "GET", "http://[SECRET-Q/",
	    NULL, 0, NULL, 0, 0, 0, err), DRILL_EINVAL);
	assert_true(err[0] != '\0');
	assert_null(strstr(err, "SECRET"));
	{
		const char *bad[] = { "X-Ok: 1", "Authorization: Bearer SECRET-H\r\nX-Evil: 1" };

		err[0] = '\0';
		snprintf(url, sizeof url, "%s/echo", fx->base);
		assert_int_equal(start_full(fx, 7, "GET", url, bad, 2, NULL, 0, 0, 0, err),
		    DRILL_EINVAL);
		assert_true(err[0] != '\0');
		assert_null(strstr(err, "SECRET"));
	}
}

static void
test_rejected_requests(void **state)
{
	struct fx *fx = *state;
	const char *crlf[] = { "X-A: 1\r\nX-B: 2" };
	const char *nocolon[] = { "NoColonHere" };
	const char *spacename[] = { "Bad Name: 1" };
	char url[128], err[DRILL_ERRLEN];
	struct httpc_request rq = { .url = "http://127.0.0.1:1/" };
	uint64_t id = 77;
	int i;

	snprintf(url, sizeof url, "%s/echo", fx->base);
	assert_int_equal(start_full(fx, 0, "GET", "ftp://127.0.0.1/x", NULL, 0, NULL, 0, 0, 0, err), DRILL_EINVAL);
	assert_int_equal(start_full(fx, 0, "GET", "file:///etc/passwd", NULL, 0, NULL, 0, 0, 0, err), DRILL_EINVAL);
	assert_int_equal(start_full(fx, 0, "GET", "127.0.0.1/x", NULL, 0, NULL, 0, 0, 0, err), DRILL_EINVAL);
	assert_int_equal(start_full(fx, 0, "GET", "", NULL, 0, NULL, 0, 0, 0, err), DRILL_EINVAL);
	assert_int_equal(start_full(fx, 0, "TRACE", url, NULL, 0, NULL, 0, 0, 0, err), DRILL_EINVAL);
	assert_int_equal(start_full(fx, 0, "GE T", url, NULL, 0, NULL, 0, 0, 0, err), DRILL_EINVAL);
	assert_int_equal(start_full(fx, 0, "HEAD", url, NULL, 0, "x", 1, 0, 0, err), DRILL_EINVAL);
	assert_int_equal(start_full(fx, 0, "POST", url, NULL, 0, NULL, 3, 0, 0, err), DRILL_EINVAL);
	assert_int_equal(start_full(fx, 0, "GET", url, crlf, 1, NULL, 0, 0, 0, err), DRILL_EINVAL);
	assert_int_equal(start_full(fx, 0, "GET", url, nocolon, 1, NULL, 0, 0, 0, err), DRILL_EINVAL);
	assert_int_equal(start_full(fx, 0, "GET", url, spacename, 1, NULL, 0, 0, 0, err), DRILL_EINVAL);
	assert_int_equal(start_full(fx, 0, "GET", url, NULL, 2, NULL, 0, 0, 0, err), DRILL_EINVAL);
	assert_int_equal(httpc_start(fx->h, &rq, NULL, NULL, &id, err), DRILL_EINVAL);
	assert_int_equal(id, 77);
	assert_int_equal(httpc_start(NULL, &rq, on_done, &fx->calls[0], NULL, err), DRILL_EINVAL);
	assert_int_equal(httpc_pending(fx->h), 0);
	for (i = 0; i < 5; i++)
		uv_run(&fx->loop, UV_RUN_NOWAIT);
	assert_int_equal(fx->calls[0].n, 0);
	assert_int_equal(fx->srv.accepted, 0);
}

static void
test_free_with_requests_in_flight(void **state)
{
	struct fx *fx = *state;
	char url[128], err[DRILL_ERRLEN];
	int i;

	get(fx, 0, "/never", 0, 0);
	get(fx, 1, "/never", 0, 0);
	get(fx, 2, "/delay/1000", 0, 0);
	get(fx, 3, "/chunked/2000", 0, 0);
	snprintf(url, sizeof url, "%s/echo", fx->base);
	assert_int_equal(start_full(fx, 4, "POST", url, NULL, 0, "body", 4, 0, 0, err), 0);
	RUN_UNTIL(fx, fx->srv.requests == 5 && fx->ndone == 2);
	get(fx, 5, "/never", 0, 0);	/* not even started on the wire */
	httpc_free(fx->h);
	fx->h = NULL;
	for (i = 0; i < 6; i++)
		assert_int_equal(fx->calls[i].n, 1);
	assert_int_equal(fx->calls[3].err, 0);
	assert_int_equal(fx->calls[4].err, 0);
	assert_int_equal(fx->calls[0].err, HTTPC_ECANCELED);
	assert_int_equal(fx->calls[1].err, HTTPC_ECANCELED);
	assert_int_equal(fx->calls[2].err, HTTPC_ECANCELED);
	assert_int_equal(fx->calls[5].err, HTTPC_ECANCELED);
	httpc_free(NULL);
	/* teardown runs the loop: every handle must close (uv_loop_close == 0) */
}

static void
hook_free_client(struct call *c)
{
	struct fx *fx = c->fx;

	fx->dying = fx->h;
	fx->h = NULL;
	httpc_free(fx->dying);
}

static void
hook_start_while_freed(struct call *c)
{
	struct fx *fx = c->fx;
	struct httpc_request rq = { .url = fx->base };
	uint64_t id;

	c->rc = httpc_start(fx->dying, &rq, on_done, &fx->calls[9], &id, NULL);
}

static void
test_free_from_callback(void **state)
{
	struct fx *fx = *state;
	struct call *a = &fx->calls[0], *b = &fx->calls[1];

	a->hook = hook_free_client;
	b->hook = hook_start_while_freed;
	get(fx, 0, "/id/1", 0, 0);
	get(fx, 1, "/never", 0, 0);
	RUN_UNTIL(fx, a->n > 0);
	assert_null(fx->h);
	assert_int_equal(a->err, 0);
	assert_string_equal(a->body, "id=1");
	assert_int_equal(b->n, 1);
	assert_int_equal(b->err, HTTPC_ECANCELED);
	assert_int_equal(b->rc, DRILL_EINVAL);
	assert_int_equal(fx->calls[9].n, 0);
}

static void
clear_proxy_env(void)
{
	static const char *const vars[] = {
		"http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY",
		"all_proxy", "ALL_PROXY", "no_proxy", "NO_PROXY"
	};
	size_t i;

	for (i = 0; i < sizeof vars / sizeof vars[0]; i++)
		unsetenv(vars[i]);
}

/*
 * libcurl takes the proxy from the environment at each request: http_proxy
 * for http:// (absolute-form request line), HTTPS_PROXY for https:// (a
 * CONNECT tunnel), NO_PROXY bypasses; upper-case HTTP_PROXY is ignored.
 */
static void
test_proxy_from_environment(void **state)
{
	struct fx *fx = *state;
	struct call *via = &fx->calls[0], *bypass = &fx->calls[1],
	    *upper = &fx->calls[2], *tunnel = &fx->calls[3];
	char url[128], dead[64], err[DRILL_ERRLEN];
	int port = closed_port();

	assert_true(port > 0);
	snprintf(dead, sizeof dead, "http://127.0.0.1:%d", port);

	setenv("http_proxy", fx->base, 1);
	assert_int_equal(start_full(fx, 0, "GET", "http://drilld-test.invalid/echo?x=1",
	    NULL, 0, NULL, 0, 0, 0, err), 0);
	RUN_UNTIL(fx, via->n > 0);
	assert_int_equal(via->err, 0);
	assert_true(strncmp(via->body, "GET http://drilld-test.invalid/echo?x=1\n", 40) == 0);

	setenv("http_proxy", dead, 1);
	setenv("NO_PROXY", "127.0.0.1", 1);
	snprintf(url, sizeof url, "%s/id/7", fx->base);
	assert_int_equal(start_full(fx, 1, "GET", url, NULL, 0, NULL, 0, 0, 0, err), 0);
	RUN_UNTIL(fx, bypass->n > 0);
	assert_int_equal(bypass->err, 0);
	assert_string_equal(bypass->body, "id=7");
	clear_proxy_env();

	setenv("HTTP_PROXY", dead, 1);
	assert_int_equal(start_full(fx, 2, "GET", url, NULL, 0, NULL, 0, 0, 0, err), 0);
	RUN_UNTIL(fx, upper->n > 0);
	assert_int_equal(upper->err, 0);
	clear_proxy_env();

	setenv("HTTPS_PROXY", fx->base, 1);
	assert_int_equal(start_full(fx, 3, "GET", "https://drilld-test.invalid/x?t=1",
	    NULL, 0, NULL, 0, 0, 0, err), 0);
	RUN_UNTIL(fx, tunnel->n > 0);
	clear_proxy_env();
	assert_string_equal(fx->srv.last_line, "CONNECT drilld-test.invalid:443");
	assert_int_equal(tunnel->err, HTTPC_ECONNECT);
	assert_non_null(strstr(tunnel->msg, "403"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_get_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_post_and_other_methods_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hundred_in_flight, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_short_request_during_long_poll, setup, teardown),
		cmocka_unit_test_setup_teardown(test_size_limit_known_length, setup, teardown),
		cmocka_unit_test_setup_teardown(test_size_limit_chunked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_header_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_connection_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_server_closes_mid_response, setup, teardown),
		cmocka_unit_test_setup_teardown(test_response_headers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_redirect_not_followed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cancel_one, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cancel_from_callback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_callback_starts_next_on_same_connection, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tls_failure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_secrets_in_messages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rejected_requests, setup, teardown),
		cmocka_unit_test_setup_teardown(test_free_with_requests_in_flight, setup, teardown),
		cmocka_unit_test_setup_teardown(test_free_from_callback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_proxy_from_environment, setup, teardown),
	};

	clear_proxy_env();	/* the tests talk to 127.0.0.1 directly */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
