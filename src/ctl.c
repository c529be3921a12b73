/*
 * ctl.c - the control socket: a Unix stream socket at state_dir/drilld.sock
 * on the daemon's loop, one JSON request and one JSON reply per connection
 * (the protocol is in ctl.h). It owns the socket file, the connections and
 * the command table; it knows no command itself: drilld registers them.
 *
 * The socket is bound here with plain socket(2)/bind(2) and handed to libuv
 * (uv_pipe_open): uv_pipe_bind silently truncates long paths, and binding
 * ourselves lets the umask be set to 0177 around bind(2) so the file is
 * created 0600 - there is no moment when it is open to others, whatever the
 * mode of state_dir (drilld creates it 0700, but an operator's existing
 * directory may be wider). chmod(2) afterwards covers default ACLs, which
 * override the umask. Being the only writer of the socket file, ctl_close
 * removes it itself, before closing the descriptor.
 *
 * Liveness is found by connecting, never by pid files: a socket file where
 * nothing answers was left by a crashed daemon and is replaced; one that
 * answers belongs to a running drilld and start-up is refused. Two daemons
 * starting at the same moment could both find the file dead and replace
 * each other's socket, so an flock(2) on state_dir is held from before the
 * check until ctl_close; the kernel drops it when a daemon dies.
 *
 * What it does not do: authenticate (the file mode and state_dir's are the
 * access control), keep connections open for more than one request, or read
 * a request before the previous reply is written (there is none).
 */
#include "drill/ctl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "drill/jsonv.h"
#include "drill/log.h"

#define READ_CHUNK 4096
#define LISTEN_BACKLOG 64
#define JSON_DEPTH 16			/* requests are flat; this is generous */
#define MAX_REQUEST_CAP (16u << 20)	/* largest max_request accepted in opts */

enum req_state {
	REQ_READING,	/* collecting the request */
	REQ_HANDLING,	/* a handler deferred its reply */
	REQ_WRITING,	/* the reply is being written */
	REQ_CLOSING	/* handles closing */
};

struct ctl_cmd {
	char *name;
	ctl_handler_fn fn;
	void *arg;
};

struct ctl {
	uv_loop_t *loop;
	uv_pipe_t listener;
	bool listener_open;	/* listener initialised and not yet closed */
	bool closing;
	struct ctl_opts o;
	char *path;
	int lockfd;
	struct ctl_cmd *cmds;
	size_t ncmds;
	struct ctl_req *reqs;	/* connections whose handles are open */
	size_t nconns;
};

struct ctl_req {
	struct ctl *ctl;	/* NULL once detached: closed while a reply was deferred */
	struct ctl_req *prev, *next;
	uv_pipe_t pipe;
	uv_timer_t timer;
	uv_write_t wreq;
	enum req_state state;
	int nopen;		/* handles not yet closed */
	bool deferred;		/* a handler owes a ctl_reply */
	bool in_handler;
	struct json_object *early;	/* ctl_reply called inside the handler */
	char *buf;		/* the request so far */
	size_t len, cap;
	char *out;		/* the reply being written */
	char rbuf[READ_CHUNK];
};

static const char oom_reply[] = "{\"ok\":false,\"error\":\"out of memory\"}\n";

static void req_send(struct ctl_req *r, struct json_object *reply);
static void on_timeout(uv_timer_t *t);

/* ------------------------------------------------------------------ */
/* Replies */

struct json_object *
ctl_error(const char *fmt, ...)
{
	struct json_object *o, *v;
	char msg[DRILL_ERRLEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if ((o = json_object_new_object()) == NULL)
		return NULL;
	if ((v = json_object_new_boolean(0)) == NULL ||
	    json_object_object_add(o, "ok", v) != 0)
		goto fail;
	if ((v = json_object_new_string(msg)) == NULL)
		goto fail_obj;
	if (json_object_object_add(o, "error", v) != 0)
		goto fail;
	return o;
fail:
	json_object_put(v);
fail_obj:
	json_object_put(o);
	return NULL;
}

/* Sends {"ok":false,"error":...} to r, and logs why at debug level. */
static void req_fail(struct ctl_req *r, const char *fmt, ...) DRILL_PRINTF(2, 3);

static void
req_fail(struct ctl_req *r, const char *fmt, ...)
{
	char msg[DRILL_ERRLEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_debug("control request refused reason=\"%s\"", msg);
	req_send(r, ctl_error("%s", msg));
}

/* ------------------------------------------------------------------ */
/* Connections */

static void
req_free(struct ctl_req *r)
{
	json_object_put(r->early);
	free(r->buf);
	free(r->out);
	free(r);
}

/* Frees c once the listener and every connection have closed. */
static void
ctl_maybe_free(struct ctl *c)
{
	if (!c->closing || c->listener_open || c->reqs != NULL)
		return;
	for (size_t i = 0; i < c->ncmds; i++)
		free(c->cmds[i].name);
	free(c->cmds);
	free(c->path);
	free(c);
}

static void
on_req_closed(uv_handle_t *h)
{
	struct ctl_req *r = h->data;
	struct ctl *c = r->ctl;

	if (--r->nopen > 0)
		return;
	if (r->prev != NULL)
		r->prev->next = r->next;
	else
		c->reqs = r->next;
	if (r->next != NULL)
		r->next->prev = r->prev;
	c->nconns--;
	if (r->deferred)
		r->ctl = NULL;	/* detached: freed by its ctl_reply */
	else
		req_free(r);
	ctl_maybe_free(c);
}

static void
req_close(struct ctl_req *r)
{
	if (r->state == REQ_CLOSING)
		return;
	r->state = REQ_CLOSING;
	uv_close((uv_handle_t *)&r->pipe, on_req_closed);
	uv_close((uv_handle_t *)&r->timer, on_req_closed);
}

static void
on_written(uv_write_t *w, int status)
{
	struct ctl_req *r = w->data;

	if (status < 0 && status != UV_ECANCELED)
		log_debug("control reply not delivered error=%s", uv_strerror(status));
	req_close(r);
}

/* (Re)starts r's deadline. */
static void
req_arm(struct ctl_req *r)
{
	uv_timer_start(&r->timer, on_timeout, r->ctl->o.timeout_ms, 0);
}

/*
 * Writes reply (taken; NULL means out of memory) and a newline, then closes.
 * The deadline is restarted: a client that does not read its reply is cut
 * off when it runs out.
 */
static void
req_send(struct ctl_req *r, struct json_object *reply)
{
	const char *s = NULL;
	size_t len = 0;
	uv_buf_t b;
	int rc;

	if (r->state == REQ_CLOSING || r->state == REQ_WRITING) {
		json_object_put(reply);
		return;
	}
	if (reply != NULL && !json_object_is_type(reply, json_type_object)) {
		log_warnx("control handler returned a reply that is not an object");
		json_object_put(reply);
		reply = ctl_error("internal error: the reply is not an object");
	}
	if (reply != NULL && !json_object_object_get_ex(reply, "ok", NULL)) {
		struct json_object *ok = json_object_new_boolean(1);
		if (ok == NULL || json_object_object_add(reply, "ok", ok) != 0) {
			json_object_put(ok);
			json_object_put(reply);
			reply = NULL;
		}
	}
	if (reply != NULL)
		s = json_object_to_json_string_length(reply,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	if (s != NULL && (r->out = malloc(len + 1)) != NULL) {
		memcpy(r->out, s, len);
		r->out[len] = '\n';
		b = uv_buf_init(r->out, (unsigned)(len + 1));
	} else {
		/* libuv only reads the buffer */
		b = uv_buf_init((char *)(uintptr_t)oom_reply, sizeof(oom_reply) - 1);
	}
	json_object_put(reply);
	r->state = REQ_WRITING;
	req_arm(r);
	r->wreq.data = r;
	rc = uv_write(&r->wreq, (uv_stream_t *)&r->pipe, &b, 1, on_written);
	if (rc != 0) {
		log_debug("control reply not sent error=%s", uv_strerror(rc));
		req_close(r);
	}
}

/* Writes "status, stop, ..." into buf (truncated to size). */
static void
command_list(const struct ctl *c, char *buf, size_t size)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < c->ncmds && used < size; i++) {
		int n = snprintf(buf + used, size - used, "%s%s", i > 0 ? ", " : "",
		    c->cmds[i].name);
		if (n < 0)
			break;
		used += (size_t)n;
	}
}

/*
 * Parses r's request and runs its command. Every problem gets an ok=false
 * reply that says what was wrong; the handler's reply (or its deferral)
 * follows otherwise.
 */
static void
req_dispatch(struct ctl_req *r)
{
	struct ctl *c = r->ctl;
	struct json_object *req = NULL, *cmd, *reply;
	const struct ctl_cmd *found = NULL;
	struct jsonv_error jerr;
	const char *name;
	size_t i, nlen;
	char known[160];

	uv_read_stop((uv_stream_t *)&r->pipe);
	r->state = REQ_HANDLING;
	for (i = 0; i < r->len; i++)
		if (r->buf[i] != ' ' && r->buf[i] != '\t' && r->buf[i] != '\r')
			break;
	if (i == r->len) {
		req_fail(r, "empty request: send one JSON object on one line, "
		    "like {\"command\":\"status\"}");
		return;
	}
	if (r->buf[i] != '{') {
		req_fail(r, "the request must be a JSON object, like {\"command\":\"status\"}");
		return;
	}
	switch (jsonv_parse(r->buf, r->len, JSON_DEPTH, &req, &jerr)) {
	case 0:
		break;
	case DRILL_ENOMEM:
		goto oom;
	default:
		if (jerr.incomplete)
			req_fail(r, "incomplete JSON: the request ended inside the object "
			    "(send it on one line)");
		else
			req_fail(r, "the request: %s", jerr.msg);
		goto done;
	}
	if (!json_object_is_type(req, json_type_object)) {
		req_fail(r, "the request must be a JSON object, like {\"command\":\"status\"}");
		goto done;
	}
	if (!json_object_object_get_ex(req, "command", &cmd) ||
	    !json_object_is_type(cmd, json_type_string)) {
		req_fail(r, "the request needs a \"command\" string, like {\"command\":\"status\"}");
		goto done;
	}
	name = json_object_get_string(cmd);
	nlen = (size_t)json_object_get_string_len(cmd);
	for (i = 0; i < c->ncmds && found == NULL; i++)
		if (strlen(c->cmds[i].name) == nlen && memcmp(c->cmds[i].name, name, nlen) == 0)
			found = &c->cmds[i];
	if (found == NULL) {
		command_list(c, known, sizeof(known));
		req_fail(r, "unknown command; known commands: %s", known[0] ? known : "none");
		goto done;
	}

	log_debug("control request command=%s", found->name);
	r->in_handler = true;
	reply = found->fn(found->arg, r, req);
	r->in_handler = false;
	if (r->early != NULL) {		/* ctl_reply came inside the handler */
		json_object_put(reply);
		reply = r->early;
		r->early = NULL;
		r->deferred = false;
	} else if (r->deferred) {
		json_object_put(reply);		/* a deferring handler returns NULL */
		if (r->state == REQ_HANDLING)
			req_arm(r);
		goto done;
	}
	req_send(r, reply);	/* NULL: out of memory */
done:
	json_object_put(req);
	return;
oom:
	req_send(r, NULL);
}

/* Appends n bytes to r's request; false when it would exceed the limit. */
static bool
req_append(struct ctl_req *r, const char *p, size_t n, bool *nomem)
{
	size_t max = r->ctl->o.max_request;

	if (n > max - r->len)
		return false;
	if (r->len + n + 1 > r->cap) {
		size_t ncap = r->cap ? r->cap : READ_CHUNK;
		char *nb;

		while (ncap < r->len + n + 1)
			ncap *= 2;
		if (ncap > max + 1)
			ncap = max + 1;
		if ((nb = realloc(r->buf, ncap)) == NULL) {
			*nomem = true;
			return false;
		}
		r->buf = nb;
		r->cap = ncap;
	}
	memcpy(r->buf + r->len, p, n);
	r->len += n;
	r->buf[r->len] = '\0';
	return true;
}

static void
on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct ctl_req *r = h->data;

	(void)suggested;
	*buf = uv_buf_init(r->rbuf, sizeof(r->rbuf));
}

static void
on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct ctl_req *r = s->data;
	const char *nl;
	bool nomem = false;
	size_t n;

	if (r->state != REQ_READING)
		return;
	if (nread == UV_EOF) {
		req_dispatch(r);
		return;
	}
	if (nread < 0) {
		log_debug("control connection read error=%s", uv_strerror((int)nread));
		req_close(r);
		return;
	}
	if (nread == 0)
		return;
	nl = memchr(buf->base, '\n', (size_t)nread);
	n = nl != NULL ? (size_t)(nl - buf->base) : (size_t)nread;
	if (!req_append(r, buf->base, n, &nomem)) {
		uv_read_stop(s);
		if (nomem)
			req_send(r, NULL);
		else
			req_fail(r, "request too large: more than %zu bytes",
			    r->ctl->o.max_request);
		return;
	}
	if (nl != NULL)
		req_dispatch(r);
}

static void
on_timeout(uv_timer_t *t)
{
	struct ctl_req *r = t->data;
	unsigned long long ms = (unsigned long long)r->ctl->o.timeout_ms;

	switch (r->state) {
	case REQ_READING:
		uv_read_stop((uv_stream_t *)&r->pipe);
		req_fail(r, "timed out: no complete request within %llu ms", ms);
		break;
	case REQ_HANDLING:
		log_warnx("control command did not answer in time timeout_ms=%llu", ms);
		req_send(r, ctl_error("the command did not answer within %llu ms", ms));
		break;
	case REQ_WRITING:
		log_debug("control client did not read its reply; closing");
		req_close(r);
		break;
	case REQ_CLOSING:
		break;
	}
}

static void
on_rejected_closed(uv_handle_t *h)
{
	free(h);
}

static void
on_connection(uv_stream_t *server, int status)
{
	struct ctl *c = server->data;
	struct ctl_req *r;
	bool busy;

	if (status < 0) {
		log_warnx("control socket: accepting failed error=%s", uv_strerror(status));
		return;
	}
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		/* Accept and drop it, or libuv stops watching the socket. */
		uv_pipe_t *p = malloc(sizeof(*p));
		log_error("control socket: out of memory for a connection");
		if (p == NULL)
			return;
		uv_pipe_init(c->loop, p, 0);
		(void)uv_accept(server, (uv_stream_t *)p);
		uv_close((uv_handle_t *)p, on_rejected_closed);
		return;
	}
	r->ctl = c;
	uv_pipe_init(c->loop, &r->pipe, 0);
	uv_timer_init(c->loop, &r->timer);
	r->pipe.data = r->timer.data = r;
	r->nopen = 2;
	r->next = c->reqs;
	if (c->reqs != NULL)
		c->reqs->prev = r;
	c->reqs = r;
	busy = c->nconns >= c->o.max_conns;
	c->nconns++;
	if (uv_accept(server, (uv_stream_t *)&r->pipe) != 0) {
		req_close(r);
		return;
	}
	if (busy) {
		log_warnx("control socket busy: too many connections max=%zu", c->o.max_conns);
		r->state = REQ_HANDLING;
		req_fail(r, "busy: more than %zu control connections at once; try again",
		    c->o.max_conns);
		return;
	}
	r->state = REQ_READING;
	req_arm(r);
	if (uv_read_start((uv_stream_t *)&r->pipe, on_alloc, on_read) != 0)
		req_close(r);
}

/* ------------------------------------------------------------------ */
/* Opening and closing */

/*
 * Connects to path without blocking: 1 when something listens there (also
 * when its backlog is full), 0 when nothing does (ECONNREFUSED, ENOENT),
 * -1 with errno when that cannot be told (EACCES: someone else's socket).
 */
static int
probe(const struct sockaddr_un *sa)
{
	int fd, rc, saved;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	rc = connect(fd, (const struct sockaddr *)sa, sizeof(*sa));
	saved = errno;
	close(fd);
	if (rc == 0 || saved == EAGAIN || saved == EINPROGRESS)
		return 1;
	if (saved == ECONNREFUSED || saved == ENOENT)
		return 0;
	errno = saved;
	return -1;
}

/* Frees a ctl that never got its listener initialised. */
static void
ctl_free_unopened(struct ctl *c)
{
	if (c->lockfd >= 0)
		close(c->lockfd);
	c->closing = true;
	c->listener_open = false;
	ctl_maybe_free(c);
}

static void
on_listener_closed(uv_handle_t *h)
{
	struct ctl *c = h->data;

	c->listener_open = false;
	ctl_maybe_free(c);
}

int
ctl_open(uv_loop_t *loop, const char *state_dir, const struct ctl_opts *opts,
    struct ctl **out, char *err)
{
	struct sockaddr_un sa;
	struct ctl *c = NULL;
	struct stat sb;
	size_t plen;
	mode_t old;
	int fd = -1, rc, n, live, saved;

	*out = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		drill_seterr(err, "out of memory");
		return DRILL_ENOMEM;
	}
	c->loop = loop;
	c->lockfd = -1;
	if (opts != NULL)
		c->o = *opts;
	if (c->o.timeout_ms == 0)
		c->o.timeout_ms = CTL_TIMEOUT_MS;
	if (c->o.max_request == 0)
		c->o.max_request = CTL_MAX_REQUEST;
	if (c->o.max_request > MAX_REQUEST_CAP)
		c->o.max_request = MAX_REQUEST_CAP;
	if (c->o.max_conns == 0)
		c->o.max_conns = CTL_MAX_CONNS;

	n = snprintf(NULL, 0, "%s/%s", state_dir, CTL_SOCKET_NAME);
	if (n < 0 || (c->path = malloc((size_t)n + 1)) == NULL) {
		drill_seterr(err, "out of memory");
		rc = DRILL_ENOMEM;
		goto fail;
	}
	snprintf(c->path, (size_t)n + 1, "%s/%s", state_dir, CTL_SOCKET_NAME);
	plen = (size_t)n;
	memset(&sa, 0, sizeof(sa));
	if (plen >= sizeof(sa.sun_path)) {
		drill_seterr(err, "the control socket path %s is too long: a socket path "
		    "holds at most %zu bytes (choose a shorter state_dir)", c->path,
		    sizeof(sa.sun_path) - 1);
		rc = DRILL_EINVAL;
		goto fail;
	}
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, c->path, plen + 1);

	/* Is another drilld answering? Then leave everything alone. */
	if (lstat(c->path, &sb) == 0) {
		if (!S_ISSOCK(sb.st_mode)) {
			drill_seterr(err, "%s exists and is not a socket; remove it",
			    c->path);
			rc = DRILL_EINVAL;
			goto fail;
		}
		if ((live = probe(&sa)) != 0) {
			if (live > 0)
				drill_seterr(err, "another drilld is already running: "
				    "it answers on %s", c->path);
			else
				drill_seterr(err, "cannot tell whether another drilld "
				    "answers on %s: %s", c->path, strerror(errno));
			rc = live > 0 ? DRILL_EEXIST : DRILL_EIO;
			goto fail;
		}
	} else if (errno != ENOENT) {
		drill_seterr(err, "%s: %s", c->path, strerror(errno));
		rc = DRILL_EIO;
		goto fail;
	}

	/*
	 * Keep a daemon starting right now out until ctl_close. Where the file
	 * system cannot lock a directory, the probe above is all there is.
	 */
	c->lockfd = open(state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (c->lockfd < 0) {
		drill_seterr(err, "%s: %s", state_dir, strerror(errno));
		rc = DRILL_EIO;
		goto fail;
	}
	if (flock(c->lockfd, LOCK_EX | LOCK_NB) != 0) {
		if (errno == EWOULDBLOCK) {
			drill_seterr(err, "another drilld is already running with "
			    "state_dir %s (it holds the directory's lock)", state_dir);
			rc = DRILL_EEXIST;
			goto fail;
		}
		close(c->lockfd);
		c->lockfd = -1;
	}
	if (unlink(c->path) != 0 && errno != ENOENT) {
		drill_seterr(err, "cannot remove the stale socket %s: %s", c->path,
		    strerror(errno));
		rc = DRILL_EIO;
		goto fail;
	}

	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0) {
		drill_seterr(err, "socket: %s", strerror(errno));
		rc = DRILL_EIO;
		goto fail;
	}
	old = umask(0177);
	n = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	saved = errno;
	umask(old);
	if (n != 0) {
		drill_seterr(err, "cannot create the control socket %s: %s", c->path,
		    strerror(saved));
		rc = DRILL_EIO;
		goto fail;
	}
	if (chmod(c->path, 0600) != 0) {
		drill_seterr(err, "%s: chmod: %s", c->path, strerror(errno));
		rc = DRILL_EIO;
		goto fail_unlink;
	}

	uv_pipe_init(loop, &c->listener, 0);
	c->listener.data = c;
	c->listener_open = true;
	rc = uv_pipe_open(&c->listener, fd);
	if (rc == 0) {
		fd = -1;	/* the handle owns it */
		rc = uv_listen((uv_stream_t *)&c->listener, LISTEN_BACKLOG, on_connection);
	}
	if (rc != 0) {
		drill_seterr(err, "cannot listen on %s: %s", c->path, uv_strerror(rc));
		unlink(c->path);
		if (fd >= 0)
			close(fd);
		if (c->lockfd >= 0)
			close(c->lockfd);
		c->closing = true;
		uv_close((uv_handle_t *)&c->listener, on_listener_closed);
		return DRILL_EIO;	/* c is freed when the loop runs */
	}
	*out = c;
	return 0;

fail_unlink:
	unlink(c->path);
fail:
	if (fd >= 0)
		close(fd);
	ctl_free_unopened(c);
	return rc;
}

void
ctl_close(struct ctl *c)
{
	if (c == NULL || c->closing)
		return;
	c->closing = true;
	/* The file first, then the descriptor: the name is never someone else's. */
	if (unlink(c->path) != 0 && errno != ENOENT)
		log_warn("cannot remove the control socket path=%s", c->path);
	uv_close((uv_handle_t *)&c->listener, on_listener_closed);
	for (struct ctl_req *r = c->reqs; r != NULL; r = r->next)
		req_close(r);
	if (c->lockfd >= 0) {
		close(c->lockfd);
		c->lockfd = -1;
	}
}

int
ctl_register(struct ctl *c, const char *name, ctl_handler_fn fn, void *arg)
{
	struct ctl_cmd *nc;
	char *copy;

	if (name == NULL || *name == '\0' || fn == NULL)
		return DRILL_EINVAL;
	for (size_t i = 0; i < c->ncmds; i++)
		if (strcmp(c->cmds[i].name, name) == 0)
			return DRILL_EEXIST;
	if ((copy = strdup(name)) == NULL)
		return DRILL_ENOMEM;
	if ((nc = realloc(c->cmds, (c->ncmds + 1) * sizeof(*nc))) == NULL) {
		free(copy);
		return DRILL_ENOMEM;
	}
	c->cmds = nc;
	c->cmds[c->ncmds].name = copy;
	c->cmds[c->ncmds].fn = fn;
	c->cmds[c->ncmds].arg = arg;
	c->ncmds++;
	return 0;
}

const char *
ctl_path(const struct ctl *c)
{
	return c->path;
}

void
ctl_req_defer(struct ctl_req *req)
{
	req->deferred = true;
}

void
ctl_reply(struct ctl_req *r, struct json_object *reply)
{
	if (r->in_handler) {
		json_object_put(r->early);
		r->early = reply != NULL ? reply : ctl_error("out of memory");
		return;
	}
	if (!r->deferred) {
		json_object_put(reply);		/* a second reply: dropped */
		return;
	}
	r->deferred = false;
	if (r->ctl == NULL) {
		json_object_put(reply);		/* detached: nobody to answer */
		req_free(r);
		return;
	}
	if (r->state != REQ_HANDLING) {
		json_object_put(reply);		/* timed out or closing */
		return;
	}
	req_send(r, reply);
}
