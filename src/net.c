/*
 * net.c - the one libwebsockets (lws 4.1) context of drilld, run on
 * drilld's libuv loop as a foreign loop (LWS_SERVER_OPTION_LIBUV with
 * foreign_loops; Debian loads the libwebsockets-evlib_uv plugin for it).
 * It holds the protocol table the lws modules add to, creates vhosts with
 * it, copies the strings lws would otherwise keep pointers to, and routes
 * lws's log into log.h: errors and warnings only, one line each, control
 * bytes replaced, never at lws's header or parser levels.
 *
 * It does not serve HTTP or speak any protocol itself (http.c and the later
 * websocket client do), installs no signal handler (lws installs none on a
 * foreign loop either: drilld's uv_signal handlers stay the only ones), and
 * never runs the loop except in net_free's start-up failure path.
 *
 * Destruction in lws 4.1.6 on a foreign loop takes two calls to
 * lws_context_destroy (checked with this library: one call leaves the
 * context allocated, pcontext not cleared): the first closes every wsi and
 * starts uv_close on lws's handles, whose close callbacks only run when the
 * loop runs; the second, once they have run, calls the protocols'
 * PROTOCOL_DESTROY, frees the vhosts and the context.
 */
#include "drill/net.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <libwebsockets.h>

#include "drill/log.h"

#define LOG_LINE_MAX 240	/* bytes of one lws line kept in our log */
#define FREE_SPINS 16		/* loop turns net_free gives lws's handles to close */

struct net {
	uv_loop_t *loop;
	struct lws_context *cx;		/* NULL once fully destroyed */
	struct lws_protocols table[NET_MAX_PROTOCOLS + 1];	/* ends with a zeroed entry */
	size_t nprot;
	/* per vhost: the pointer array lws reads, and the strings it keeps */
	struct net_vh {
		const struct lws_protocols *pp[NET_MAX_PROTOCOLS + 1];
		char *name;
		char *iface;
		struct net_vh *next;
	} *vhosts;
	bool stopped;
};

/*
 * lws's log function (process-wide in lws). lws ends its lines with a
 * newline and may quote what a peer sent, so only printable ASCII passes.
 * lws calls many client mistakes errors ("Ran out of header data space"),
 * so its errors are our warnings and its warnings our notices.
 */
static void
emit(int level, const char *line)
{
	char buf[LOG_LINE_MAX + 4];
	size_t i, o = 0;

	for (i = 0; line[i] != '\0' && o < LOG_LINE_MAX; i++) {
		unsigned char c = (unsigned char)line[i];

		if (c == '\n' || c == '\r')
			continue;
		buf[o++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	if (line[i] != '\0' && line[i] != '\n') {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = '\0';
	if (o == 0)
		return;
	if (level & LLL_ERR)
		log_warnx("libwebsockets: %s", buf);
	else
		log_notice("libwebsockets: %s", buf);
}

struct net *
net_new(uv_loop_t *loop, char err[DRILL_ERRLEN])
{
	struct lws_context_creation_info info;
	void *loops[1];
	struct net *n;

	if (loop == NULL) {
		drill_seterr(err, "no loop");
		return NULL;
	}
	n = calloc(1, sizeof(*n));
	if (n == NULL) {
		drill_seterr(err, "out of memory");
		return NULL;
	}
	n->loop = loop;
	lws_set_log_level(LLL_ERR | LLL_WARN, emit);

	memset(&info, 0, sizeof(info));
	/*
	 * LIBUV + foreign_loops: lws joins our loop instead of making one.
	 * EXPLICIT_VHOSTS: the lws modules create their vhosts.
	 * DO_SSL_GLOBAL_INIT: wss:// clients need it (protocols.md C.4).
	 * UV_NO_SIGSEGV_SIGFPE_SPIN: a crash must crash, not spin.
	 */
	info.options = LWS_SERVER_OPTION_LIBUV |
	    LWS_SERVER_OPTION_EXPLICIT_VHOSTS |
	    LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT |
	    LWS_SERVER_OPTION_UV_NO_SIGSEGV_SIGFPE_SPIN;
	loops[0] = loop;
	info.foreign_loops = loops;	/* read during the call only */
	info.pcontext = &n->cx;		/* lws clears it when fully destroyed */
	info.server_string = "drilld";
	n->cx = lws_create_context(&info);
	if (n->cx == NULL) {
		drill_seterr(err, "cannot create the libwebsockets context (is the "
		    "libwebsockets-evlib-uv package installed?)");
		free(n);
		return NULL;
	}
	return n;
}

int
net_add_protocol(struct net *n, const struct lws_protocols *p)
{
	if (n == NULL || p == NULL || p->name == NULL || p->callback == NULL ||
	    n->stopped)
		return DRILL_EINVAL;
	for (size_t i = 0; i < n->nprot; i++)
		if (strcmp(n->table[i].name, p->name) == 0)
			return DRILL_EEXIST;
	if (n->nprot == NET_MAX_PROTOCOLS)
		return DRILL_ETOOBIG;
	n->table[n->nprot++] = *p;
	return 0;
}

static void
vh_free(struct net_vh *v)
{
	free(v->name);
	free(v->iface);
	free(v);
}

/*
 * lws copies the protocol structs into the vhost, but keeps pointers to
 * info->vhost_name and info->iface: the net keeps copies of those for the
 * context's life.
 */
struct lws_vhost *
net_vhost_new(struct net *n, struct lws_context_creation_info *info,
    const char *first, char err[DRILL_ERRLEN])
{
	struct lws_vhost *vh;
	struct net_vh *v;
	size_t i, k = 0, f = n != NULL ? n->nprot : 0;

	if (n == NULL || info == NULL || n->stopped || n->cx == NULL) {
		drill_seterr(err, "the network layer is not running");
		return NULL;
	}
	if (first != NULL) {
		for (f = 0; f < n->nprot; f++)
			if (strcmp(n->table[f].name, first) == 0)
				break;
		if (f == n->nprot) {
			drill_seterr(err, "no protocol named %s", first);
			return NULL;
		}
	}
	v = calloc(1, sizeof(*v));
	if (v == NULL)
		goto nomem;
	if (f < n->nprot)
		v->pp[k++] = &n->table[f];
	for (i = 0; i < n->nprot; i++)
		if (i != f)
			v->pp[k++] = &n->table[i];
	v->pp[k] = NULL;
	v->name = strdup(info->vhost_name != NULL ? info->vhost_name : "default");
	if (v->name == NULL)
		goto nomem;
	if (info->iface != NULL && (v->iface = strdup(info->iface)) == NULL)
		goto nomem;
	info->vhost_name = v->name;
	info->iface = v->iface;
	info->protocols = NULL;
	info->pprotocols = v->pp;
	/*
	 * wss:// clients of this vhost need DO_SSL_GLOBAL_INIT here too
	 * (protocols.md C.4); without FAIL_UPON_UNABLE_TO_BIND, lws 4.1 logs a
	 * port in use and returns a vhost that does not listen.
	 */
	info->options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT |
	    LWS_SERVER_OPTION_FAIL_UPON_UNABLE_TO_BIND;
	vh = lws_create_vhost(n->cx, info);
	if (vh == NULL) {
		if (info->port > 0)
			drill_seterr(err, "cannot listen on %s port %d (in use, or "
			    "not an address of this host?)",
			    v->iface != NULL ? v->iface : "*", info->port);
		else
			drill_seterr(err, "cannot create the %s vhost", v->name);
		vh_free(v);
		return NULL;
	}
	v->next = n->vhosts;
	n->vhosts = v;
	return vh;
nomem:
	if (v != NULL)
		vh_free(v);
	drill_seterr(err, "out of memory");
	return NULL;
}

struct lws_context *
net_context(const struct net *n)
{
	return n != NULL && !n->stopped ? n->cx : NULL;
}

uv_loop_t *
net_loop(const struct net *n)
{
	return n != NULL ? n->loop : NULL;
}

void
net_stop(struct net *n)
{
	if (n == NULL || n->stopped)
		return;
	n->stopped = true;
	lws_context_destroy(n->cx);	/* first half: see the top of the file */
}

bool
net_stopped(const struct net *n)
{
	return n != NULL && n->stopped;
}

void
net_free(struct net *n)
{
	struct net_vh *v, *next;

	if (n == NULL)
		return;
	if (!n->stopped) {
		/* start-up failure path: let lws's handles close on a few turns */
		net_stop(n);
		for (int i = 0; i < FREE_SPINS; i++)
			if (uv_run(n->loop, UV_RUN_NOWAIT) == 0)
				break;
	}
	if (n->cx != NULL)
		lws_context_destroy(n->cx);	/* second half: clears n->cx */
	for (v = n->vhosts; v != NULL; v = next) {
		next = v->next;
		vh_free(v);
	}
	free(n);
}
