/*
 * fakehttp.h - a small HTTP/1.1 server on a libuv loop, for the fakes that
 * stand in for Slack's and Matrix's APIs in drilld's tests.
 *
 * It is written apart from drilld's own server (src/http.c, on
 * libwebsockets) on purpose: a test of drilld's HTTP client against
 * drilld's own server could not catch a misreading both share.
 *
 * It listens on a numeric address with port 0 (the kernel picks one) and
 * reads requests with Content-Length bodies (no chunked requests: 411),
 * in order per connection (keep-alive, pipelining). Each request goes to
 * the handler, which answers it at once or later (fakehttp_respond), or
 * drops the connection without an answer (fakehttp_drop), to play a server
 * that fails mid-request. Until a request is answered or dropped, the next
 * request on its connection waits.
 *
 * Limits (a test server, not a production one): 64 KiB of headers, 16 MiB
 * of body; over them the connection gets 431 or 413 and is closed.
 */
#ifndef DRILL_FAKEHTTP_H
#define DRILL_FAKEHTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

struct fakehttp;

/* One request; valid until fakehttp_respond or fakehttp_drop. */
struct fakehttp_req {
	struct fakehttp *srv;
	const char *method;	/* "POST" */
	const char *target;	/* "/api/chat.postMessage?x=1", as sent */
	const char *body;	/* body_len bytes and a NUL */
	size_t body_len;
	uint64_t seq;		/* 1, 2, ... over the server's life */
	uint64_t conn_id;	/* the connection's number, 1, 2, ... */
	void *internal;
};

typedef void (*fakehttp_handler_fn)(void *arg, struct fakehttp_req *req);

/*
 * Listens on addr ("127.0.0.1" or "::1"), an ephemeral port; the handler
 * gets every request. Returns NULL on failure (errno-style message on
 * stderr).
 */
struct fakehttp *fakehttp_start(uv_loop_t *loop, const char *addr,
    fakehttp_handler_fn handler, void *arg);
/* The port it listens on. */
int fakehttp_port(const struct fakehttp *s);
/* Closes the listener and every connection; memory goes when the loop runs. */
void fakehttp_stop(struct fakehttp *s);

/*
 * Copies the value of request header name (case-insensitive) into buf;
 * false when absent or too long.
 */
bool fakehttp_header(const struct fakehttp_req *req, const char *name,
    char *buf, size_t len);

/*
 * Answers req with status, extra header lines (each ending "\r\n", or
 * NULL) and a body of len bytes (Content-Length is added). The request is
 * gone afterwards. When the client has gone away meanwhile, nothing is sent.
 */
void fakehttp_respond(struct fakehttp_req *req, int status,
    const char *headers, const char *body, size_t len);
/* Closes req's connection without an answer; req is gone afterwards. */
void fakehttp_drop(struct fakehttp_req *req);

#endif
