/*
 * httpc.h - the asynchronous HTTP client: every outbound HTTP(S) call of
 * drilld goes through it, on the daemon's one libuv loop.
 *
 * A client (struct httpc) runs any number of requests at once. httpc_start
 * copies the request and returns at once with an id; the loop does the
 * work; the request's callback is then called exactly once, from the loop,
 * never from inside httpc_start, with the outcome: an error code, the HTTP
 * status, the response headers and the body. An HTTP error status (404,
 * 429, 500) is a response like any other: err is 0 and the caller reads
 * status.
 *
 * What every request gets: http:// and https:// only; redirects are not
 * followed (a 3xx is returned as is, with its Location header); TLS peer and
 * host verification on; a total timeout and a connect timeout, always (0
 * picks the defaults below, there is no "no timeout"); a limit on the
 * response body (DRILL_ETOOBIG, whatever the transfer encoding) and on the
 * response headers (HTTPC_HEADERS_MAX); no content decoding.
 *
 * Connections are kept alive and reused. When a reused connection closes
 * before any byte of the answer, libcurl sends the request once more on a
 * new connection, on its own, whatever the method: the server may have
 * acted on the first one. Callers that must not act twice send an
 * idempotency key (Matrix's txnId) and treat every error as "may have
 * happened".
 *
 * Proxies come from the environment only, as libcurl reads it at the start
 * of each request: http_proxy (lower case only: libcurl ignores HTTP_PROXY,
 * which a CGI-style "Proxy:" request header could set) for http:// URLs,
 * https_proxy or HTTPS_PROXY for https:// URLs (a CONNECT tunnel), all_proxy
 * or ALL_PROXY for both, and no_proxy or NO_PROXY (comma-separated host
 * names, domain suffixes, IP addresses, "*") to bypass them. The client
 * never sets a proxy itself.
 *
 * Error messages (httpc_response.errmsg, the err buffer of httpc_start) name
 * the method and the URL's scheme, host and port, never its user info, path
 * or query string (a URL may carry a token), and never a header value.
 *
 * libcurl's global state is set up by httpc_new and released by the last
 * httpc_free (reference-counted, thread-safe in libcurl >= 7.84): main has
 * nothing to call. The client is not thread-safe: use it from the loop's
 * thread only. An idle client holds no active uv handle (pooled keep-alive
 * connections are not watched), so it does not keep uv_run alive. It never
 * logs; errors reach the caller through return codes and callbacks.
 */
#ifndef DRILL_HTTPC_H
#define DRILL_HTTPC_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "drill/common.h"

/* Defaults for the zero fields of struct httpc_request. */
#define HTTPC_DEFAULT_TIMEOUT_MS 30000u
#define HTTPC_DEFAULT_CONNECT_TIMEOUT_MS 10000u
#define HTTPC_DEFAULT_MAX_RESPONSE (1024u * 1024u)
/* Bytes of response headers (all lines, status line included) accepted. */
#define HTTPC_HEADERS_MAX 65536u

/*
 * Error codes of the callback besides the DRILL_E* ones (which it also
 * uses: DRILL_ETOOBIG over a limit, DRILL_EPROTO for a peer that broke HTTP
 * or closed a response early, DRILL_EIO for a connection lost while sending
 * or receiving, DRILL_EINVAL for a URL libcurl refused, DRILL_ENOMEM).
 * Negative, and apart from common.h's range.
 */
enum httpc_err {
	HTTPC_ETIMEDOUT = -100,	/* the total or the connect timeout passed */
	HTTPC_ECONNECT = -101,	/* no connection: refused, unreachable, proxy refused */
	HTTPC_EDNS = -102,	/* the host's (or the proxy's) name did not resolve */
	HTTPC_ETLS = -103,	/* TLS handshake or certificate verification failed */
	HTTPC_ECANCELED = -104	/* httpc_cancel or httpc_free */
};

struct httpc;

/*
 * One request. Everything is copied by httpc_start: the caller may free or
 * reuse all of it as soon as httpc_start returns.
 */
struct httpc_request {
	const char *method;	/* GET HEAD POST PUT PATCH DELETE OPTIONS; NULL: GET */
	const char *url;	/* http:// or https:// */
	const char *const *headers;	/* nheaders lines "Name: value"; "Name:"
					 * drops a header libcurl would add */
	size_t nheaders;
	const void *body;	/* body_len bytes (binary safe); NULL: no body */
	size_t body_len;	/* POST without Content-Type gets libcurl's
				 * application/x-www-form-urlencoded */
	uint64_t timeout_ms;	/* the whole request; 0: HTTPC_DEFAULT_TIMEOUT_MS */
	uint64_t connect_timeout_ms;	/* 0: HTTPC_DEFAULT_CONNECT_TIMEOUT_MS */
	size_t max_response;	/* body bytes accepted; 0: HTTPC_DEFAULT_MAX_RESPONSE */
};

/* One response header; name and value have no surrounding white space. */
struct httpc_header {
	const char *name;
	const char *value;
};

/*
 * The outcome of a request, given to its callback. Everything in it is
 * borrowed and valid during the callback only: copy what you keep.
 */
struct httpc_response {
	uint64_t id;		/* the id httpc_start gave */
	int err;		/* 0, a DRILL_E* or an HTTPC_E* code */
	const char *errmsg;	/* "" when err is 0; else one line, no secrets */
	long status;		/* HTTP status; 0 when no status line arrived */
	const struct httpc_header *headers;	/* of the final response, in order */
	size_t nheaders;
	const char *body;	/* len bytes plus a NUL (never NULL; "" when none) */
	size_t len;
	/* status, headers and body are what arrived, also when err is not 0 */
};

/*
 * Called exactly once per started request, from the loop, from
 * httpc_cancel or from httpc_free. It may start requests (except during
 * httpc_free), cancel others, and call httpc_free.
 */
typedef void (*httpc_done_fn)(void *arg, const struct httpc_response *res);

/* Returns a client on loop (caller frees with httpc_free), or NULL and err filled. */
struct httpc *httpc_new(uv_loop_t *loop, char *err);

/*
 * Cancels every request whose callback has not run (each callback runs
 * once, inside httpc_free, with HTTPC_ECANCELED) and frees the client; NULL
 * does nothing. Callable from a callback (the client then goes away when
 * that callback returns). The client's uv handles close asynchronously: its
 * last memory is released when the loop next runs, so run the loop (as
 * uv_loop_close needs anyway) before closing it.
 */
void httpc_free(struct httpc *h);

/*
 * Starts rq; on success *id (may be NULL) is its id, unique for the client's
 * life (never 0), and cb(arg, ...) will be called once. On failure cb is
 * never called and the code is DRILL_EINVAL (bad method, URL, scheme or
 * header; or the client is being freed), DRILL_ENOMEM or DRILL_EIO, with err
 * (may be NULL) filled.
 */
int httpc_start(struct httpc *h, const struct httpc_request *rq,
    httpc_done_fn cb, void *arg, uint64_t *id, char *err) DRILL_WUR;

/*
 * Cancels request id: when its callback has not run yet, it runs now,
 * before httpc_cancel returns, with HTTPC_ECANCELED, and 0 is returned.
 * Returns DRILL_ENOTFOUND when there is no such request, or its callback
 * already ran or is running.
 */
int httpc_cancel(struct httpc *h, uint64_t id) DRILL_WUR;

/* Returns the number of requests whose callback has not run yet. */
size_t httpc_pending(const struct httpc *h);

/*
 * Returns the value of the first response header called name (ASCII case
 * ignored), borrowed from res, or NULL when there is none.
 */
const char *httpc_header(const struct httpc_response *res, const char *name);

/* Returns a static, human-readable name for an HTTPC_E* or DRILL_E* code. */
const char *httpc_strerror(int err);

#endif
