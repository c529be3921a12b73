/*
 * ctl.h - the daemon's control socket: state_dir/drilld.sock, mode 0600,
 * through which drillctl talks to a running drilld.
 *
 * Protocol: one request and one reply per connection. The client sends one
 * JSON object on one line: the request ends at the first newline or at the
 * end of the stream (the client shut down its write side), whichever comes
 * first; anything after the newline is ignored. Compact JSON never needs a
 * raw newline, so `echo '{"command":"status"}' | nc -U drilld.sock` works.
 * The request names its command, {"command":"status", ...arguments}. The
 * server answers with one JSON object and a newline, then closes:
 *     {"ok":true, ...}  or  {"ok":false,"error":"what was wrong"}
 * Requests are untrusted: at most max_request bytes (newline excluded), the
 * whole request within timeout_ms of connecting, valid UTF-8 (no overlongs
 * or surrogates: stricter than json-c), no NUL byte, strict JSON
 * (JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8, nesting at most 16
 * deep, no NaN or Infinity), an object whose "command" is a string.
 * Anything else gets an ok=false reply and the connection is closed;
 * nothing a client sends stops the server. At most max_conns connections are served at once; the next ones
 * get {"ok":false,"error":"busy: ..."} at once.
 *
 * Handlers: ctl_register adds a command. A handler gets the request object
 * and returns the reply, or defers: it calls ctl_req_defer(req), returns
 * NULL, and later calls ctl_reply(req, reply) once, from the loop.
 *
 * The process must ignore SIGPIPE (drilld does): a client that goes away
 * while its reply is written must not kill the daemon.
 */
#ifndef DRILL_CTL_H
#define DRILL_CTL_H

#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>
#include <uv.h>

#include "drill/common.h"

#define CTL_SOCKET_NAME "drilld.sock"	/* under state_dir */
#define CTL_MAX_REQUEST (64u * 1024)	/* default request limit, bytes */
#define CTL_MAX_REPLY (1u << 20)	/* what a client should accept, bytes */
#define CTL_TIMEOUT_MS 5000		/* default request timeout */
#define CTL_MAX_CONNS 32		/* default concurrent connections */

struct ctl;
/* One request: a connection carries exactly one, so it is the connection. */
struct ctl_req;

/*
 * Handles one request. request is borrowed for the call (json_object_get it
 * to keep it); its "command" is the name the handler was registered under.
 * Returns the reply, which ctl takes (an object; "ok": true is added when it
 * has no "ok"); or NULL after ctl_req_defer(req) to reply later with
 * ctl_reply. NULL without deferring means out of memory: the client gets an
 * error reply.
 */
typedef struct json_object *(*ctl_handler_fn)(void *arg, struct ctl_req *req,
    struct json_object *request);

struct ctl_opts {
	uint64_t timeout_ms;	/* 0: CTL_TIMEOUT_MS; a request, then its reply, must come within */
	size_t max_request;	/* 0: CTL_MAX_REQUEST */
	size_t max_conns;	/* 0: CTL_MAX_CONNS */
};

/*
 * Listens on state_dir/drilld.sock on loop. The socket is created with mode
 * 0600 (umask 0177 around bind, then chmod, so it is never accessible to
 * others, even without the 0700 state_dir drilld creates). An existing
 * socket is probed first: when something answers on it, returns DRILL_EEXIST
 * (another drilld is running) and leaves it alone; a dead one (left by a
 * crashed daemon) is removed and replaced. Another drilld starting at the
 * same moment is kept out by an flock on state_dir held until ctl_close
 * (also DRILL_EEXIST). A path that exists and is not a socket is left alone
 * (DRILL_EINVAL), as is one longer than a socket address holds.
 * Returns 0 with *out (caller closes with ctl_close), or DRILL_EEXIST,
 * DRILL_EINVAL, DRILL_EIO or DRILL_ENOMEM with err (DRILL_ERRLEN bytes)
 * filled. opts may be NULL.
 */
int ctl_open(uv_loop_t *loop, const char *state_dir, const struct ctl_opts *opts,
    struct ctl **out, char *err) DRILL_WUR;

/*
 * Stops listening, removes the socket file, closes every connection and
 * releases the state_dir lock. Memory is freed once the handles have closed:
 * run the loop afterwards (uv_run returns when they have). A request a
 * handler deferred stays valid until its ctl_reply (which then only frees
 * it). NULL does nothing.
 */
void ctl_close(struct ctl *c);

/*
 * Adds command name (copied) handled by fn(arg, ...). Returns 0, DRILL_EEXIST
 * when name is taken, DRILL_EINVAL for an empty name, or DRILL_ENOMEM.
 */
int ctl_register(struct ctl *c, const char *name, ctl_handler_fn fn, void *arg) DRILL_WUR;

/* Returns the socket's path (owned by c). */
const char *ctl_path(const struct ctl *c);

/* Inside a handler: the reply will come later through ctl_reply. */
void ctl_req_defer(struct ctl_req *req);

/*
 * Sends the reply to a deferred request (takes reply; NULL sends an
 * out-of-memory error). req is invalid afterwards. When the request timed
 * out or ctl_close ran in between, the reply is dropped.
 */
void ctl_reply(struct ctl_req *req, struct json_object *reply);

/* Returns a new {"ok":false,"error":MESSAGE} (caller owns), or NULL. */
struct json_object *ctl_error(const char *fmt, ...) DRILL_PRINTF(1, 2);

#endif
