/*
 * ws.h - a websocket client (ws:// and wss://) on the net module's lws
 * context, for the Slack Socket Mode connection and the like.
 *
 * ws_connect resolves the host with uv_getaddrinfo (Debian's lws would
 * resolve on the loop and block it), then connects to the numeric address
 * with the URL's host name as Host, Origin and (wss) SNI and certificate
 * name. What happens next is told through the callbacks, always from the
 * loop and never from inside ws_connect:
 *
 *   on_open     once, when the websocket handshake is done
 *   on_message  once per whole message (fragments are reassembled; a
 *               message over opts.max_message closes the connection with
 *               1009 and is an error, DRILL_ETOOBIG)
 *   on_error    for every failure: DNS (DRILL_ENOTFOUND), connect, TLS or
 *               the peer going away (DRILL_EIO), a failed handshake
 *               (DRILL_EPROTO), no frame within opts.hangup_ms (DRILL_EIO,
 *               message "timeout"), an oversized message (DRILL_ETOOBIG)
 *   on_close    exactly once, last: the close code (the peer's, ours from
 *               ws_close, or 1006 when there was no close handshake) and
 *               its reason. The connection is freed when on_close returns.
 *
 * Liveness: a ping goes out every opts.ping_interval_ms once open; any
 * frame from the server (a pong, data, a ping) counts as a sign of life,
 * and the connection hangs up when none came for opts.hangup_ms. These
 * timers are lws_sul timers of our own rather than lws's retry policy,
 * which counts in whole seconds, counts only pongs and closes without
 * telling why.
 *
 * Everything runs on the loop's thread; nothing here is thread-safe.
 */
#ifndef DRILL_WS_H
#define DRILL_WS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "drill/common.h"

struct net;
struct ws_conn;

/* Close codes of RFC 6455 that drilld reports or sends. */
#define WS_CLOSE_NORMAL 1000
#define WS_CLOSE_GOING_AWAY 1001
#define WS_CLOSE_ABNORMAL 1006	/* reported only: no close frame was seen */
#define WS_CLOSE_TOO_BIG 1009

struct ws_opts {
	size_t max_message;		/* bytes of one reassembled message, >= 1 */
	uint32_t ping_interval_ms;	/* >= 100; 0: no pings */
	uint32_t hangup_ms;		/* > ping_interval_ms; 0: no hang-up */
	bool insecure;			/* wss: accept self-signed certificates
					 * and any name (tests only) */
};

/*
 * The callbacks; arg is ws_connect's. Any may be NULL. ws_send_text and
 * ws_close may be called from on_open and on_message; conn must not be
 * used after on_close returns.
 */
struct ws_callbacks {
	void (*on_open)(void *arg, struct ws_conn *conn);
	/* data is borrowed for the call, with a '\0' after len bytes */
	void (*on_message)(void *arg, struct ws_conn *conn, const char *data,
	    size_t len, bool binary);
	void (*on_error)(void *arg, struct ws_conn *conn, int code,
	    const char *message);
	void (*on_close)(void *arg, struct ws_conn *conn, int code,
	    const char *reason);
};

/*
 * Starts connecting to url ("ws://host[:port]/path" or "wss://...") and
 * sets *conn (owned by the ws module until on_close). Returns 0, or
 * DRILL_EINVAL (a bad URL or options, the net stopped: err says which) or
 * DRILL_ENOMEM synchronously, with no callback then. Every later failure
 * goes to on_error and on_close.
 */
int ws_connect(struct net *net, const char *url, const struct ws_opts *opts,
    const struct ws_callbacks *cb, void *arg, struct ws_conn **conn,
    char err[DRILL_ERRLEN]) DRILL_WUR;

/*
 * Queues a copy of len bytes as one text message, written when lws says
 * the socket is writable (also when queued before on_open). Returns 0,
 * DRILL_EINVAL (the connection is closing) or DRILL_ENOMEM.
 */
int ws_send_text(struct ws_conn *conn, const char *data, size_t len) DRILL_WUR;

/*
 * Closes with code (1000..4999) and reason (NULL: none; at most 123
 * bytes): a close handshake when open, else the connection attempt is
 * abandoned. on_close follows from the loop with code and reason (no
 * on_error). Queued messages not yet written are dropped. Calling it
 * again, or while closing, does nothing.
 */
void ws_close(struct ws_conn *conn, int code, const char *reason);

#endif
