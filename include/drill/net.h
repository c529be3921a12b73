/*
 * net.h - the one libwebsockets context of drilld, running on drilld's one
 * libuv loop as a "foreign loop".
 *
 * The net module owns the lws context and the protocol table that lws
 * modules (the HTTP server now, the Slack Socket Mode client later) put
 * their protocols into, and routes lws's own log lines into log.h (lws
 * errors and warnings only; lws never sees request headers or bodies at
 * those levels). Only the lws modules (net.c, http.c, later the websocket
 * client) include libwebsockets.h; everyone else sees the opaque pointers
 * below.
 *
 * Life cycle, in this order (lws 4.1.6 on a foreign libuv loop needs two
 * calls to lws_context_destroy, with the loop run in between):
 *
 *   net_new(loop)          creates the context on the loop: lws adds a few
 *                          uv handles of its own (an idle, a timer, a poll
 *                          per socket), which keep uv_run() from returning
 *   net_add_protocol()...  (lws modules, before they create their vhost)
 *   net_vhost_new()        (lws modules: listeners, client vhosts)
 *   uv_run(loop)           lws serves from the loop
 *   net_stop(n)            from a callback on the loop (drilld's stop path):
 *                          closes every connection and listener and starts
 *                          closing lws's uv handles; they close as the loop
 *                          goes on, so uv_run() returns once drilld's own
 *                          handles are closed too
 *   (uv_run returns)
 *   http_free() etc.       lws modules free their own state
 *   net_free(n)            second half: frees the vhosts and the context
 *   uv_loop_close(loop)    then returns 0: lws holds no handle any more
 *
 * net_free without an earlier net_stop (a start-up failure before the loop
 * ran) does both halves itself and runs the loop with UV_RUN_NOWAIT a few
 * times in between so that lws's handles can close: callbacks of other
 * ready handles of the loop may run then.
 *
 * lws forces two process-wide settings: its log level and log function
 * (lws_set_log_level has no per-context form), which net_new sets, and
 * OpenSSL's global initialisation (LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT,
 * needed by the later wss:// client). drilld itself keeps no globals here.
 * Everything runs on the loop's thread; nothing here is thread-safe.
 */
#ifndef DRILL_NET_H
#define DRILL_NET_H

#include <stdbool.h>
#include <uv.h>

#include "drill/common.h"

/* At most this many protocols in the table (lws modules add theirs). */
#define NET_MAX_PROTOCOLS 8

struct net;

/* libwebsockets types, opaque outside the lws modules. */
struct lws_context;
struct lws_vhost;
struct lws_protocols;
struct lws_context_creation_info;

/*
 * Creates the lws context on loop (which must outlive the net) and points
 * lws's log at log.h. Returns the net (caller frees with net_free), or NULL
 * with err filled (e.g. the libwebsockets-evlib-uv plugin is missing).
 */
struct net *net_new(uv_loop_t *loop, char err[DRILL_ERRLEN]);

/*
 * Copies protocol p (its name must stay valid: lws keeps the pointer) into
 * the table. Vhosts created afterwards offer it; earlier ones do not.
 * Returns 0, DRILL_EEXIST (a protocol of that name is there), DRILL_ETOOBIG
 * (NET_MAX_PROTOCOLS reached) or DRILL_EINVAL (no name or callback, or the
 * net is stopping).
 */
int net_add_protocol(struct net *n, const struct lws_protocols *p) DRILL_WUR;

/*
 * Creates a vhost from info, which the caller fills with the vhost fields
 * (vhost_name, port or CONTEXT_PORT_NO_LISTEN, iface, timeouts, user);
 * net_vhost_new sets its protocols to the table, with the protocol named
 * first (which must be in the table) at index 0, where lws sends the
 * vhost's HTTP requests (NULL: table order), and adds the options drilld
 * needs on every vhost. The vhost belongs to the context: net_free frees it.
 * Returns the vhost, or NULL with err filled (e.g. the port is taken).
 */
struct lws_vhost *net_vhost_new(struct net *n,
    struct lws_context_creation_info *info, const char *first,
    char err[DRILL_ERRLEN]);

/* The lws context (borrowed; for lws modules), or NULL once stopped. */
struct lws_context *net_context(const struct net *n);

/* The loop the net runs on. */
uv_loop_t *net_loop(const struct net *n);

/*
 * Closes every lws connection and listener now (their close callbacks run
 * before net_stop returns or on the loop's next turns) and starts closing
 * lws's uv handles. Call it on the loop's thread, inside or outside
 * uv_run; then run the loop (uv_run(loop, UV_RUN_DEFAULT) returns when
 * every handle is closed) before net_free. Calling it again does nothing.
 */
void net_stop(struct net *n);

/* Returns true once net_stop has been called. */
bool net_stopped(const struct net *n);

/*
 * Finishes the context's destruction (see the life cycle above) and frees
 * the net; NULL does nothing. After it, lws calls no callback any more.
 */
void net_free(struct net *n);

#endif
