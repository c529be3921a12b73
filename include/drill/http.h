/*
 * http.h - the embedded HTTP/1.1 server (libwebsockets, on the net
 * module's context): a small router, the probes GET /healthz and
 * GET /readyz, and the limits every request gets.
 *
 * Routes are a method and a path prefix. A prefix matches a path equal to
 * it, or continuing it with '/' ("/slack" matches "/slack" and
 * "/slack/events", not "/slackers"; a prefix ending in '/' matches
 * everything under it). The longest matching prefix wins; a request whose
 * path matches but whose method does not is answered 405 with an Allow
 * header; a path nothing matches, 404. HEAD is served by GET routes, with
 * the body left out.
 *
 * What every request gets, before any handler sees it (every byte from a
 * client is untrusted):
 *  - headers must arrive within request_timeout of the connection being
 *    ready for them (lws's header-buffer idle timeout), and the body within
 *    request_timeout of the end of the headers; idle keep-alive connections
 *    close after request_timeout too. A slower client is disconnected.
 *  - a body needs a valid Content-Length: a bad one is 400, a chunked body
 *    411 (lws 4.1 does not deliver chunked request bodies), both answered
 *    with the connection closed.
 *  - a body over max_body is 413. Up to 4 x max_body of it is read and
 *    dropped first (within request_timeout), so that a client that sends
 *    its whole body before reading sees the 413 rather than a reset; a
 *    larger one, or one announced with "Expect: 100-continue", is answered
 *    at once. Either way the connection closes afterwards. A 404 or 405
 *    for a request with a body is answered the same way.
 *  - lws itself refuses headers over 4 KB (it closes) and unknown methods
 *    (403); lws decodes %XX in the path and removes "." and ".."
 *    segments. CONNECT, which lws 4.1 would turn into a raw socket, is
 *    answered 405 and closed.
 * Nothing logs a header value or a body; the debug log names the method,
 * the path (control bytes replaced) and the status.
 *
 * A handler is called once per request with the request; it answers with
 * http_respond, during the call or later from the loop (a webhook stores
 * the event first, then answers). A request is answered exactly once. If
 * the handler has not answered within request_timeout, or the client goes
 * away, the connection closes; http_respond must still be called then: it
 * only frees the request.
 *
 * Life cycle with the net module (see net.h): http_new after net_new;
 * routes and readiness at any time; net_stop closes every connection (a
 * request a handler still holds is then only freed by its http_respond);
 * after uv_run returns, http_free, then net_free. Everything runs on the
 * loop's thread.
 */
#ifndef DRILL_HTTP_H
#define DRILL_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "drill/common.h"

struct http;
struct net;

struct http_opts {
	const char *addr;	/* numeric address to listen on ("127.0.0.1",
				 * "::1"); NULL: every address */
	int port;		/* 1..65535; 0: any free port (see http_port) */
	size_t max_body;	/* request body limit in bytes, >= 1 */
	uint64_t request_timeout_ms;	/* >= 1000; rounded up to whole seconds */
};

/*
 * A request as a handler sees it. Read-only; everything stays valid until
 * the request is answered with http_respond.
 */
struct http_request {
	const char *method;	/* "GET" "POST" "PUT" "PATCH" "DELETE" "OPTIONS"
				 * ("HEAD" reaches GET routes) */
	const char *path;	/* starts with '/', decoded by lws, no query, no
				 * control bytes */
	const char *query;	/* the query's arguments, each decoded by lws,
				 * joined by '&' ("" when none): a '&' or '='
				 * inside a value is ambiguous here */
	const unsigned char *body;	/* body_len raw bytes, plus a NUL that
					 * body_len does not count */
	size_t body_len;	/* <= max_body */
};

/* Handles one request: answer it (now or later) with http_respond. */
typedef void (*http_handler_fn)(void *arg, struct http_request *req);

/*
 * Starts the server on net's context: listens on o->addr and o->port and
 * serves /healthz and /readyz. Returns the server (caller frees with
 * http_free), or NULL with err filled (bad options, port in use, no
 * memory).
 */
struct http *http_new(struct net *net, const struct http_opts *o,
    char err[DRILL_ERRLEN]);

/*
 * Frees the server's routes and readiness; NULL does nothing. Call it after
 * net_stop and the loop's end (every connection is closed then), before
 * net_free. Requests still held by handlers stay valid until their
 * http_respond.
 */
void http_free(struct http *h);

/* Returns the port the server listens on (useful with port 0). */
int http_port(const struct http *h);

/*
 * Routes requests for method (GET, POST, PUT, PATCH, DELETE or OPTIONS) to
 * paths under prefix (starts with '/') to fn(arg, req). Returns 0,
 * DRILL_EINVAL (bad method or prefix, or h is NULL), DRILL_EEXIST (that
 * method and prefix are taken) or DRILL_ENOMEM.
 */
int http_route_add(struct http *h, const char *method, const char *prefix,
    http_handler_fn fn, void *arg) DRILL_WUR;

/*
 * Copies the value of request header name (ASCII case ignored) into buf
 * (len bytes, NUL-terminated) and returns its length. Only during the
 * handler's call: afterwards lws has released the headers. Returns
 * DRILL_ENOTFOUND (absent or empty), DRILL_ETOOBIG (buf too small) or
 * DRILL_EINVAL (bad name, or not during the handler's call).
 */
int http_header(const struct http_request *req, const char *name, char *buf,
    size_t len) DRILL_WUR;

/*
 * Adds a header to req's response (before http_respond): name a token
 * ("Retry-After", "X-Slack-No-Retry"), value printable ASCII or tabs.
 * Returns 0, DRILL_EINVAL (bad name or value, or a header the server
 * writes itself: Content-Type, Content-Length, Connection,
 * Transfer-Encoding), DRILL_ETOOBIG (over 1 KB of added headers) or
 * DRILL_ENOMEM.
 */
int http_add_header(struct http_request *req, const char *name,
    const char *value) DRILL_WUR;

/*
 * Answers req with status (100..599; anything else becomes 500), a
 * Content-Type (NULL: none; printable ASCII) and len bytes of body (copied;
 * NULL when len is 0), then releases req: the caller must not touch it
 * again. Callable from the handler or later from the loop. When the client
 * has gone (or the response cannot be built: no memory) the connection is
 * closed and req just freed.
 */
void http_respond(struct http_request *req, int status,
    const char *content_type, const void *body, size_t len);

/*
 * Reports whether platform (a short name: a-z, 0-9, '-', '_') is ready;
 * when it is not, reason (one line, no secrets; NULL: "not ready") is shown
 * by GET /readyz. A platform that never reported does not count: with none,
 * /readyz is 200. h NULL (the server is off) does nothing and returns 0.
 * Returns 0, DRILL_EINVAL (bad name) or DRILL_ENOMEM.
 */
int http_ready_set(struct http *h, const char *platform, bool ready,
    const char *reason) DRILL_WUR;

/* Forgets platform's readiness (a platform being disabled); h NULL is fine. */
void http_ready_remove(struct http *h, const char *platform);

#endif
