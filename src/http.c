/*
 * http.c - the embedded HTTP/1.1 server: one lws protocol ("drill-http")
 * at index 0 of a listening vhost, so that lws hands it every request; a
 * router of method + path prefix to handlers; the probes /healthz and
 * /readyz with the readiness platforms report; and the limits of http.h
 * (body size, Content-Length checks, the request and keep-alive timeouts:
 * lws's timeouts, and for the body lws's per-connection timer, never a
 * timer of our own).
 *
 * Each connection gets a struct conn (hung on the wsi as lws's opaque user
 * data, freed when lws destroys the wsi); each request a struct pending,
 * which a handler may keep after its call and which outlives the
 * connection if the client goes away first. Responses are written from
 * LWS_CALLBACK_HTTP_WRITEABLE only: the headers in one callback, the body
 * in the following ones (one lws_write per callback).
 *
 * It does not terminate TLS (a reverse proxy does), speak HTTP/2, follow
 * chunked request bodies, serve files, or log header values and bodies.
 */
#include "drill/http.h"

#include <stdlib.h>
#include <string.h>

#include <libwebsockets.h>

#include "drill/log.h"
#include "drill/net.h"

#define HTTP_PROTOCOL "drill-http"
#define DISCARD_FACTOR 4	/* a too large body up to this x max_body is drained */
#define WRITE_CHUNK 16384	/* body bytes per lws_write */
#define BODY_FIRST 16384	/* body buffer before it grows with what arrives */
#define HDR_BUF 2048		/* room for the response headers */
#define EXTRA_MAX 1024		/* bytes of headers http_add_header may add */
#define CTYPE_MAX 128
#define NAME_MAX_LEN 64		/* a header or platform name */
#define REASON_MAX 200		/* bytes of a readiness reason shown */
#define PATH_LOG_MAX 120	/* bytes of a path in the debug log */

/*
 * Our lws timeout reasons (lws closes the connection when one fires). The
 * body has no such timeout: lws 4.1 re-arms its own (an inactivity
 * timeout of the context's timeout_secs) after every chunk it reads,
 * replacing ours, so the body's deadline is the wsi's lws timer instead
 * (lws_set_timer_usecs, LWS_CALLBACK_TIMER).
 */
#define TO_HANDLER (PENDING_TIMEOUT_USER_REASON_BASE + 1)
#define TO_WRITE (PENDING_TIMEOUT_USER_REASON_BASE + 2)

struct route {
	char *method;
	char *prefix;
	size_t plen;
	http_handler_fn fn;
	void *arg;
	struct route *next;
};

struct ready {
	char *name;
	bool ok;
	char *reason;
	struct ready *next;
};

struct http {
	struct net *net;
	struct lws_vhost *vh;
	int port;
	size_t max_body;
	uint64_t discard_max;	/* bytes of a refused body drained */
	uint64_t timeout_ms;	/* request_timeout */
	int timeout_s;		/* the same in whole seconds, rounded up */
	struct route *routes;	/* newest first */
	struct ready *ready;	/* in order of first report */
};

enum conn_state {
	CS_IDLE = 0,	/* waiting for a request (lws parses its headers) */
	CS_BODY,	/* reading a body to hand to the handler */
	CS_DISCARD,	/* reading a body to drop, then answering `refuse` */
	CS_HANDLER,	/* the handler has the request */
	CS_WRITE	/* writing the response */
};

struct conn;

struct pending {
	struct http_request pub;	/* what the handler sees */
	struct conn *conn;	/* NULL once the connection is gone */
	char *path;
	char *query;
	unsigned char *body;	/* cap + 1 bytes */
	size_t cap;		/* grows with what arrives, up to Content-Length */
	char *extra;		/* response headers "name: value\r\n"... */
	size_t extra_len;
	bool in_handler;	/* headers readable (http_header) */
};

struct conn {
	struct http *h;
	struct lws *wsi;
	enum conn_state state;
	struct pending *req;	/* the request being read or handled */
	const struct route *route;	/* its route (routes live until http_free) */
	const char *method;	/* static */
	uint64_t expect;	/* Content-Length */
	uint64_t got;
	int refuse;		/* CS_DISCARD: the status to answer */
	bool close_after;	/* close once the response is written */
	bool head;		/* HEAD: no body in the response */
	/* the response being written */
	int status;
	char ctype[CTYPE_MAX];
	char *extra;
	size_t extra_len;
	unsigned char *out;	/* LWS_PRE + out_len bytes */
	size_t out_len, out_off;
	bool hdr_sent;
};

static const char *const methods[] = {
	"GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"
};

/* ---- small helpers ----------------------------------------------------- */

static char *
xstrndup(const char *s, size_t n)
{
	char *d = malloc(n + 1);

	if (d != NULL) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* An HTTP token character (RFC 9110 tchar). */
static bool
is_tchar(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static bool
is_token(const char *s, size_t max)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (i >= max || !is_tchar((unsigned char)s[i]))
			return false;
	return i > 0;
}

/* Printable ASCII (and tabs when tabs is set), at most max bytes. */
static bool
is_printable(const char *s, size_t max, bool tabs)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++) {
		unsigned char c = (unsigned char)s[i];

		if (i >= max || ((c < 0x20 || c >= 0x7f) && !(tabs && c == '\t')))
			return false;
	}
	return true;
}

/* Copies s into buf for a log line: printable ASCII only, cut at max bytes. */
static const char *
for_log(char *buf, size_t size, const char *s, size_t max)
{
	size_t o = 0;

	for (; *s != '\0' && o + 4 < size && o < max; s++) {
		unsigned char c = (unsigned char)*s;

		buf[o++] = c > 0x20 && c < 0x7f ? (char)c : '?';
	}
	if (*s != '\0' && o + 4 <= size) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = '\0';
	return buf;
}

/* The body must be in within request_timeout from now (LWS_CALLBACK_TIMER). */
static void
body_deadline(struct conn *c)
{
	lws_set_timer_usecs(c->wsi, (lws_usec_t)c->h->timeout_ms * 1000);
}

/* ---- requests ---------------------------------------------------------- */

static void
pending_free(struct pending *p)
{
	if (p == NULL)
		return;
	free(p->path);
	free(p->query);
	free(p->body);
	free(p->extra);
	free(p);
}

/* Frees the response being written. */
static void
out_clear(struct conn *c)
{
	free(c->out);
	free(c->extra);
	c->out = NULL;
	c->extra = NULL;
	c->out_len = c->out_off = c->extra_len = 0;
	c->hdr_sent = false;
}

/*
 * The connection is going away: a request the handler holds is detached
 * (its http_respond will free it), anything else is freed.
 */
static void
conn_free(struct conn *c)
{
	if (c->req != NULL) {
		if (c->state == CS_HANDLER)
			c->req->conn = NULL;
		else
			pending_free(c->req);
		c->req = NULL;
	}
	out_clear(c);
	free(c);
}

/*
 * Sets up the response on c and asks lws for a writeable callback. body is
 * copied; extra (response headers) is taken. On failure (no memory) the
 * connection is closed. The connection must not be in CS_WRITE already.
 */
static void
conn_answer(struct conn *c, int status, const char *ctype, const void *body,
    size_t len, char *extra, size_t extra_len)
{
	char path[PATH_LOG_MAX + 8];
	unsigned char *out;

	log_debug("http request method=%s path=%s status=%d", c->method,
	    for_log(path, sizeof(path), c->req != NULL && c->req->path != NULL ?
	    c->req->path : "-", PATH_LOG_MAX), status);
	/* body and ctype may point into the request (an echo): copy first */
	out_clear(c);
	out = malloc(LWS_PRE + (len > 0 ? len : 1));
	if (out != NULL && len > 0)
		memcpy(out + LWS_PRE, body, len);
	c->ctype[0] = '\0';
	if (ctype != NULL) {
		size_t n = strlen(ctype);

		memcpy(c->ctype, ctype, n < sizeof(c->ctype) ? n + 1 : 1);
	}
	if (c->req != NULL) {
		pending_free(c->req);
		c->req = NULL;
	}
	c->state = CS_WRITE;
	c->status = status;
	c->extra = extra;
	c->extra_len = extra_len;
	c->out = out;
	c->out_len = len;
	if (out == NULL) {
		log_warnx("http: out of memory, closing a connection");
		lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
		return;
	}
	lws_set_timeout(c->wsi, TO_WRITE, c->h->timeout_s);
	lws_callback_on_writable(c->wsi);
}

/* Answers a plain-text error or probe response. */
static void
conn_text(struct conn *c, int status, const char *text, char *extra,
    size_t extra_len)
{
	conn_answer(c, status, "text/plain; charset=utf-8", text, strlen(text),
	    extra, extra_len);
}

static const char *
status_text(int status)
{
	switch (status) {
	case 400: return "bad request\n";
	case 404: return "not found\n";
	case 405: return "method not allowed\n";
	case 411: return "length required: send the body with a Content-Length\n";
	case 413: return "request body too large\n";
	default: return "error\n";
	}
}

/*
 * Refuses the request with status. A request with a body, or a malformed
 * one (must_close), closes the connection after the answer. When a body is
 * on its way (and fits the drain limit, and the client is not waiting for
 * "100 Continue"), it is read and dropped first, so that the client can
 * finish sending and read the answer.
 */
static void
conn_refuse(struct conn *c, int status, char *extra, size_t extra_len,
    bool can_drain, bool must_close)
{
	c->close_after = must_close || c->expect > 0;
	if (can_drain && c->expect > 0 && c->expect <= c->h->discard_max) {
		free(extra);	/* only 405 adds headers: rebuilt when answering */
		c->state = CS_DISCARD;
		c->refuse = status;
		c->got = 0;
		body_deadline(c);
		return;
	}
	conn_text(c, status, status_text(status), extra, extra_len);
}

static int callback(struct lws *, enum lws_callback_reasons, void *, void *,
    size_t);

/*
 * The connection of wsi, when wsi is bound to this protocol. lws calls
 * every vhost's protocols[0] for every wsi's WSI_DESTROY, and another lws
 * module may hang its own opaque data on its wsi.
 */
static struct conn *
conn_of(struct lws *wsi)
{
	const struct lws_protocols *p = lws_get_protocol(wsi);

	if (p == NULL || p->callback != callback)
		return NULL;
	return lws_get_opaque_user_data(wsi);
}

/* ---- routing ----------------------------------------------------------- */

static bool
prefix_matches(const struct route *r, const char *path)
{
	if (strncmp(path, r->prefix, r->plen) != 0)
		return false;
	return path[r->plen] == '\0' || path[r->plen] == '/' ||
	    r->prefix[r->plen - 1] == '/';
}

/*
 * Finds the route for method and path: the longest matching prefix, then
 * the method (HEAD finds GET). Returns it, or NULL with *found_path set
 * when a prefix matched (405) and the Allow list in allow.
 */
static const struct route *
route_find(const struct http *h, const char *method, const char *path,
    bool *found_path, char *allow, size_t allow_len)
{
	const struct route *r, *best = NULL;
	const char *m = strcmp(method, "HEAD") == 0 ? "GET" : method;
	size_t o = 0;

	*found_path = false;
	allow[0] = '\0';
	for (r = h->routes; r != NULL; r = r->next)
		if (prefix_matches(r, path) && (best == NULL || r->plen > best->plen))
			best = r;
	if (best == NULL)
		return NULL;
	*found_path = true;
	for (r = h->routes; r != NULL; r = r->next) {
		if (strcmp(r->prefix, best->prefix) != 0)
			continue;
		if (strcmp(r->method, m) == 0)
			return r;
		if (o + strlen(r->method) + 8 < allow_len) {
			o += (size_t)snprintf(allow + o, allow_len - o, "%s%s%s",
			    o > 0 ? ", " : "", r->method,
			    strcmp(r->method, "GET") == 0 ? ", HEAD" : "");
		}
	}
	return NULL;
}

/* Builds "allow: LIST\r\n" for a 405 (taken by the response). */
static char *
allow_header(const char *list, size_t *len)
{
	size_t n = strlen(list);
	char *s = malloc(n + 10);

	if (s == NULL)
		return NULL;
	*len = (size_t)snprintf(s, n + 10, "allow: %s\r\n", list);
	return s;
}

/* Hands the complete request to its route's handler. */
static void
dispatch(struct conn *c)
{
	const struct route *r = c->route;
	struct pending *p = c->req;

	p->pub.method = c->method;
	p->pub.path = p->path;
	p->pub.query = p->query;
	p->pub.body = p->body;
	p->pub.body_len = (size_t)c->got;
	p->body[c->got] = '\0';
	c->state = CS_HANDLER;
	p->in_handler = true;
	r->fn(r->arg, &p->pub);
	/* answered during the call: p is freed and c->req NULL */
	if (c->state == CS_HANDLER && c->req != NULL) {
		c->req->in_handler = false;
		lws_set_timeout(c->wsi, TO_HANDLER, c->h->timeout_s);
	}
}

/*
 * Parses a Content-Length value: 1 to 19 decimal digits, nothing else (no
 * sign, no spaces, no list: "5, 7" from two headers is refused).
 */
static bool
parse_length(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] < '0' || s[i] > '9' || i >= 19)
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (i == 0)
		return false;
	*out = v;
	return true;
}

static const char *
method_name(int m)
{
	switch (m) {
	case LWSHUMETH_GET: return "GET";
	case LWSHUMETH_POST: return "POST";
	case LWSHUMETH_OPTIONS: return "OPTIONS";
	case LWSHUMETH_PUT: return "PUT";
	case LWSHUMETH_PATCH: return "PATCH";
	case LWSHUMETH_DELETE: return "DELETE";
	case LWSHUMETH_HEAD: return "HEAD";
	default: return NULL;	/* CONNECT, h2's :path */
	}
}

/* Joins the decoded query arguments lws parsed with '&'. NULL: no memory. */
static char *
query_string(struct lws *wsi)
{
	char *q = NULL, *nq;
	size_t len = 0;
	int i, n;

	for (i = 0; (n = lws_hdr_fragment_length(wsi, WSI_TOKEN_HTTP_URI_ARGS, i)) > 0; i++) {
		nq = realloc(q, len + (size_t)n + 2);
		if (nq == NULL) {
			free(q);
			return NULL;
		}
		q = nq;
		if (len > 0)
			q[len++] = '&';
		if (lws_hdr_copy_fragment(wsi, q + len, n + 1,
		    WSI_TOKEN_HTTP_URI_ARGS, i) < 0)
			break;
		len += (size_t)n;
	}
	if (q == NULL)
		return strdup("");
	q[len] = '\0';
	return q;
}

/*
 * LWS_CALLBACK_HTTP: the headers of a request are in. Checks them, routes
 * the request, and either reads its body, hands it to the handler, or
 * refuses it.
 */
static int
on_request(struct http *h, struct lws *wsi, const char *in, size_t len)
{
	struct conn *c = conn_of(wsi);
	const struct route *r;
	char cl[32], allow[128], *extra;
	char *uri;
	size_t extra_len = 0;
	bool found, expect100, can_drain = true;
	int m, ulen;

	if (c == NULL) {
		c = calloc(1, sizeof(*c));
		if (c == NULL)
			return -1;
		c->h = h;
		c->wsi = wsi;
		lws_set_opaque_user_data(wsi, c);
	}
	if (c->state != CS_IDLE)
		return -1;	/* lws does not pipeline: should not happen */
	c->expect = c->got = 0;
	c->route = NULL;
	c->close_after = false;
	c->head = false;
	c->method = "-";
	c->req = calloc(1, sizeof(*c->req));
	if (c->req == NULL)
		return -1;
	c->req->conn = c;

	m = lws_http_get_uri_and_method(wsi, &uri, &ulen);
	c->method = method_name(m);
	if (c->method == NULL) {
		c->method = "-";
		conn_refuse(c, 400, NULL, 0, false, true);
		return 0;
	}
	c->head = m == LWSHUMETH_HEAD;
	if (in == NULL || len == 0 || in[0] != '/' || memchr(in, '\0', len) != NULL) {
		conn_refuse(c, 400, NULL, 0, false, true);
		return 0;
	}
	c->req->path = xstrndup(in, len);
	c->req->query = query_string(wsi);
	if (c->req->path == NULL || c->req->query == NULL)
		return -1;
	if (!is_printable(c->req->path, len, false)) {
		conn_refuse(c, 400, NULL, 0, false, true);
		return 0;
	}

	/* the body: a valid Content-Length or none */
	if (lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING) > 0) {
		conn_refuse(c, 411, NULL, 0, false, true);
		return 0;
	}
	if (lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH) > 0) {
		if (lws_hdr_copy(wsi, cl, sizeof(cl), WSI_TOKEN_HTTP_CONTENT_LENGTH) < 0 ||
		    !parse_length(cl, &c->expect)) {
			conn_refuse(c, 400, NULL, 0, false, true);
			return 0;
		}
	}
	expect100 = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_EXPECT) > 0;
	if (expect100)
		can_drain = false;	/* it waits for us: answer before the body */

	r = route_find(h, c->method, c->req->path, &found, allow, sizeof(allow));
	if (r == NULL && !found) {
		conn_refuse(c, 404, NULL, 0, can_drain, false);
		return 0;
	}
	if (r == NULL) {
		extra = allow_header(allow, &extra_len);
		if (extra == NULL)
			return -1;
		conn_refuse(c, 405, extra, extra_len, can_drain, false);
		return 0;
	}
	if (c->expect > h->max_body) {
		conn_refuse(c, 413, NULL, 0, can_drain, true);
		return 0;
	}
	c->route = r;
	/* memory follows the bytes that arrive, not what the client announced */
	c->req->cap = c->expect < BODY_FIRST ? (size_t)c->expect : BODY_FIRST;
	c->req->body = malloc(c->req->cap + 1);
	if (c->req->body == NULL)
		return -1;
	if (c->expect > 0) {
		/* lws now delivers HTTP_BODY, then HTTP_BODY_COMPLETION */
		c->state = CS_BODY;
		body_deadline(c);
		return 0;
	}
	dispatch(c);
	return 0;
}

/* LWS_CALLBACK_HTTP_BODY: len more bytes of the body. */
static int
on_body(struct conn *c, const void *in, size_t len)
{
	if (c->state != CS_BODY && c->state != CS_DISCARD)
		return 0;
	if (len > c->expect - c->got)
		return -1;	/* lws counts Content-Length: cannot happen */
	if (c->state == CS_BODY) {
		struct pending *p = c->req;

		if (c->got + len > p->cap) {
			size_t cap = p->cap * 2 > c->got + len ? p->cap * 2 :
			    (size_t)c->got + len;
			unsigned char *nb;

			if (cap > c->expect)
				cap = (size_t)c->expect;
			nb = realloc(p->body, cap + 1);
			if (nb == NULL)
				return -1;
			p->body = nb;
			p->cap = cap;
		}
		memcpy(p->body + c->got, in, len);
	}
	c->got += len;
	return 0;
}

/* LWS_CALLBACK_HTTP_BODY_COMPLETION: the whole body is in. */
static int
on_body_done(struct conn *c)
{
	if (c->state == CS_BODY || c->state == CS_DISCARD)
		lws_set_timer_usecs(c->wsi, LWS_SET_TIMER_USEC_CANCEL);
	if (c->state == CS_DISCARD) {
		char allow[128], *extra = NULL;
		size_t extra_len = 0;
		bool found;

		if (c->refuse == 405) {
			(void)route_find(c->h, c->method, c->req->path, &found, allow,
			    sizeof(allow));
			extra = allow_header(allow, &extra_len);
			if (extra == NULL)
				return -1;
		}
		conn_text(c, c->refuse, status_text(c->refuse), extra, extra_len);
		return 0;
	}
	if (c->state != CS_BODY)
		return 0;
	if (c->got != c->expect)
		return -1;
	dispatch(c);
	return 0;
}

/*
 * LWS_CALLBACK_HTTP_WRITEABLE: writes the response headers, then the body
 * in chunks; at the end, closes or gets ready for the next request.
 */
static int
on_writeable(struct conn *c)
{
	unsigned char hb[LWS_PRE + HDR_BUF];
	unsigned char *start = hb + LWS_PRE, *p = start, *end = hb + sizeof(hb) - 1;
	struct lws *wsi = c->wsi;
	size_t n;

	if (c->state != CS_WRITE || c->out == NULL)
		return 0;
	if (!c->hdr_sent) {
		if (lws_add_http_header_status(wsi, (unsigned int)c->status, &p, end) ||
		    (c->ctype[0] != '\0' && lws_add_http_header_by_token(wsi,
		    WSI_TOKEN_HTTP_CONTENT_TYPE, (const unsigned char *)c->ctype,
		    (int)strlen(c->ctype), &p, end)) ||
		    lws_add_http_header_content_length(wsi, c->out_len, &p, end) ||
		    (c->close_after && lws_add_http_header_by_token(wsi,
		    WSI_TOKEN_CONNECTION, (const unsigned char *)"close", 5, &p, end)))
			return -1;
		if (c->extra_len > 0) {
			if ((size_t)(end - p) < c->extra_len)
				return -1;
			memcpy(p, c->extra, c->extra_len);
			p += c->extra_len;
		}
		if (lws_finalize_write_http_header(wsi, start, &p, end))
			return -1;
		c->hdr_sent = true;
		if (c->out_len > 0 && !c->head) {
			lws_callback_on_writable(wsi);
			return 0;
		}
	} else {
		n = c->out_len - c->out_off;
		if (n > WRITE_CHUNK)
			n = WRITE_CHUNK;
		if (lws_write(wsi, c->out + LWS_PRE + c->out_off, n,
		    c->out_off + n == c->out_len ? LWS_WRITE_HTTP_FINAL :
		    LWS_WRITE_HTTP) < (int)n)
			return -1;
		c->out_off += n;
		if (c->out_off < c->out_len) {
			lws_callback_on_writable(wsi);
			return 0;
		}
	}
	/* the response is out */
	out_clear(c);
	c->state = CS_IDLE;
	lws_set_timeout(wsi, NO_PENDING_TIMEOUT, 0);
	if (c->close_after)
		return -1;
	return lws_http_transaction_completed(wsi) ? -1 : 0;
}

static int
callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
    void *in, size_t len)
{
	struct conn *c;

	switch (reason) {
	case LWS_CALLBACK_HTTP:
		return on_request(lws_vhost_user(lws_get_vhost(wsi)), wsi, in, len);
	case LWS_CALLBACK_HTTP_BODY:
		c = conn_of(wsi);
		return c != NULL ? on_body(c, in, len) : -1;
	case LWS_CALLBACK_HTTP_BODY_COMPLETION:
		c = conn_of(wsi);
		return c != NULL ? on_body_done(c) : -1;
	case LWS_CALLBACK_HTTP_WRITEABLE:
		c = conn_of(wsi);
		return c != NULL ? on_writeable(c) : 0;
	case LWS_CALLBACK_TIMER:
		/* the body's deadline passed: close */
		c = conn_of(wsi);
		if (c != NULL && (c->state == CS_BODY || c->state == CS_DISCARD))
			return -1;
		return 0;
	case LWS_CALLBACK_RAW_ADOPT:
		/*
		 * lws 4.1 turns a CONNECT request into a raw socket bound to the
		 * vhost's protocols[0], with no timeout: answer 405 and close.
		 */
		lws_set_timeout(wsi, TO_WRITE, 1);
		lws_callback_on_writable(wsi);
		return 0;
	case LWS_CALLBACK_RAW_WRITEABLE: {
		static const char no[] = "HTTP/1.1 405 Method Not Allowed\r\n"
		    "content-length: 0\r\nconnection: close\r\n\r\n";
		unsigned char b[LWS_PRE + sizeof(no)];

		memcpy(b + LWS_PRE, no, sizeof(no) - 1);
		(void)lws_write(wsi, b + LWS_PRE, sizeof(no) - 1, LWS_WRITE_RAW);
		return -1;
	}
	case LWS_CALLBACK_RAW_RX:
		return 0;	/* dropped */
	case LWS_CALLBACK_CLOSED_HTTP:
	case LWS_CALLBACK_WSI_DESTROY:
		/* CLOSED_HTTP comes first for HTTP connections; WSI_DESTROY last */
		c = conn_of(wsi);
		if (c != NULL) {
			lws_set_opaque_user_data(wsi, NULL);
			conn_free(c);
		}
		break;
	default:
		break;
	}
	return lws_callback_http_dummy(wsi, reason, user, in, len);
}

/* ---- the probes -------------------------------------------------------- */

static void
on_healthz(void *arg, struct http_request *req)
{
	(void)arg;
	http_respond(req, 200, "text/plain; charset=utf-8", "ok\n", 3);
}

/* 200 "ready" when every platform that reported is ready; else 503 with why. */
static void
on_readyz(void *arg, struct http_request *req)
{
	struct http *h = arg;
	const struct ready *r;
	char body[2048];
	size_t o = 0;
	int n;

	for (r = h->ready; r != NULL; r = r->next) {
		if (r->ok)
			continue;
		n = snprintf(body + o, sizeof(body) - o, "%s%s: %s",
		    o == 0 ? "not ready: " : "; ", r->name, r->reason);
		if (n < 0 || (size_t)n >= sizeof(body) - o - 2) {
			o = sizeof(body) - 6;
			memcpy(body + o, "...", 3);
			o += 3;
			break;
		}
		o += (size_t)n;
	}
	if (o == 0) {
		http_respond(req, 200, "text/plain; charset=utf-8", "ready\n", 6);
		return;
	}
	body[o++] = '\n';
	http_respond(req, 503, "text/plain; charset=utf-8", body, o);
}

/* ---- the public functions ---------------------------------------------- */

static const struct lws_protocols protocol = {
	HTTP_PROTOCOL, callback, 0, 0, 0, NULL, 0
};

struct http *
http_new(struct net *net, const struct http_opts *o, char err[DRILL_ERRLEN])
{
	struct lws_context_creation_info info;
	struct http *h;
	int rc;

	if (net == NULL || o == NULL || o->port < 0 || o->port > 65535 ||
	    o->max_body == 0 || o->request_timeout_ms < 1000 ||
	    o->request_timeout_ms > UINT64_C(24) * 3600 * 1000) {
		drill_seterr(err, "bad HTTP server options");
		return NULL;
	}
	h = calloc(1, sizeof(*h));
	if (h == NULL) {
		drill_seterr(err, "out of memory");
		return NULL;
	}
	h->net = net;
	h->max_body = o->max_body;
	h->discard_max = (uint64_t)o->max_body * DISCARD_FACTOR;
	h->timeout_ms = o->request_timeout_ms;
	h->timeout_s = (int)((o->request_timeout_ms + 999) / 1000);
	rc = net_add_protocol(net, &protocol);
	if (rc != 0 && rc != DRILL_EEXIST) {
		drill_seterr(err, "cannot add the HTTP protocol: %s",
		    drill_strerror(rc));
		goto fail;
	}
	if (http_route_add(h, "GET", "/healthz", on_healthz, h) != 0 ||
	    http_route_add(h, "GET", "/readyz", on_readyz, h) != 0) {
		drill_seterr(err, "out of memory");
		goto fail;
	}

	memset(&info, 0, sizeof(info));
	info.vhost_name = "http";
	info.iface = o->addr;
	info.port = o->port;
	info.user = h;
	/* headers: from the connection's start (or the last response) */
	info.timeout_secs_ah_idle = (unsigned int)h->timeout_s;
	info.keepalive_timeout = h->timeout_s;
	info.timeout_secs = (unsigned int)h->timeout_s;
	if (o->addr != NULL && strchr(o->addr, ':') == NULL)
		info.options |= LWS_SERVER_OPTION_DISABLE_IPV6;
	h->vh = net_vhost_new(net, &info, HTTP_PROTOCOL, err);
	if (h->vh == NULL)
		goto fail;
	h->port = lws_get_vhost_listen_port(h->vh);
	log_info("http server listening addr=%s port=%d max_body=%zu "
	    "request_timeout=%ds", o->addr != NULL ? o->addr : "*", h->port,
	    h->max_body, h->timeout_s);
	return h;
fail:
	http_free(h);
	return NULL;
}

void
http_free(struct http *h)
{
	struct route *r, *rn;
	struct ready *q, *qn;

	if (h == NULL)
		return;
	for (r = h->routes; r != NULL; r = rn) {
		rn = r->next;
		free(r->method);
		free(r->prefix);
		free(r);
	}
	for (q = h->ready; q != NULL; q = qn) {
		qn = q->next;
		free(q->name);
		free(q->reason);
		free(q);
	}
	free(h);
}

int
http_port(const struct http *h)
{
	return h != NULL ? h->port : 0;
}

int
http_route_add(struct http *h, const char *method, const char *prefix,
    http_handler_fn fn, void *arg)
{
	struct route *r;
	size_t i;

	if (h == NULL || method == NULL || prefix == NULL || fn == NULL ||
	    prefix[0] != '/' || !is_printable(prefix, 1024, false) ||
	    strchr(prefix, ' ') != NULL)
		return DRILL_EINVAL;
	for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (strcmp(method, methods[i]) == 0)
			break;
	if (i == sizeof(methods) / sizeof(methods[0]))
		return DRILL_EINVAL;
	for (r = h->routes; r != NULL; r = r->next)
		if (strcmp(r->method, method) == 0 && strcmp(r->prefix, prefix) == 0)
			return DRILL_EEXIST;
	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return DRILL_ENOMEM;
	r->method = strdup(method);
	r->prefix = strdup(prefix);
	if (r->method == NULL || r->prefix == NULL) {
		free(r->method);
		free(r->prefix);
		free(r);
		return DRILL_ENOMEM;
	}
	r->plen = strlen(prefix);
	r->fn = fn;
	r->arg = arg;
	r->next = h->routes;
	h->routes = r;
	return 0;
}

int
http_header(const struct http_request *req, const char *name, char *buf,
    size_t len)
{
	const struct pending *p;
	char lname[NAME_MAX_LEN + 2];
	size_t nlen;
	int t, n;

	if (req == NULL || name == NULL || buf == NULL || len == 0 ||
	    len > INT32_MAX || !is_token(name, NAME_MAX_LEN))
		return DRILL_EINVAL;
	p = (const struct pending *)(const void *)req;
	if (!p->in_handler || p->conn == NULL)
		return DRILL_EINVAL;
	for (nlen = 0; name[nlen] != '\0'; nlen++)
		lname[nlen] = (char)lower((unsigned char)name[nlen]);
	lname[nlen++] = ':';
	lname[nlen] = '\0';
	/* a header lws knows has a token; lws stores the others by name */
	for (t = 0; t < WSI_TOKEN_COUNT; t++) {
		const unsigned char *s = lws_token_to_string((enum lws_token_indexes)t);

		if (s != NULL && strcmp((const char *)s, lname) == 0)
			break;
	}
	if (t < WSI_TOKEN_COUNT) {
		n = lws_hdr_total_length(p->conn->wsi, (enum lws_token_indexes)t);
		if (n <= 0)
			return DRILL_ENOTFOUND;
		if ((size_t)n >= len)
			return DRILL_ETOOBIG;
		n = lws_hdr_copy(p->conn->wsi, buf, (int)len, (enum lws_token_indexes)t);
	} else {
		n = lws_hdr_custom_length(p->conn->wsi, lname, (int)nlen);
		if (n <= 0)
			return DRILL_ENOTFOUND;
		if ((size_t)n >= len)
			return DRILL_ETOOBIG;
		n = lws_hdr_custom_copy(p->conn->wsi, buf, (int)len, lname, (int)nlen);
	}
	return n < 0 ? DRILL_ENOTFOUND : n;
}

int
http_add_header(struct http_request *req, const char *name, const char *value)
{
	static const char *const ours[] = {
		"content-type", "content-length", "connection", "transfer-encoding"
	};
	struct pending *p;
	char lname[NAME_MAX_LEN + 1], *nx;
	size_t nlen, vlen, add;

	if (req == NULL || name == NULL || value == NULL ||
	    !is_token(name, NAME_MAX_LEN) || !is_printable(value, EXTRA_MAX, true))
		return DRILL_EINVAL;
	for (nlen = 0; name[nlen] != '\0'; nlen++)
		lname[nlen] = (char)lower((unsigned char)name[nlen]);
	lname[nlen] = '\0';
	for (size_t i = 0; i < sizeof(ours) / sizeof(ours[0]); i++)
		if (strcmp(lname, ours[i]) == 0)
			return DRILL_EINVAL;
	p = (struct pending *)(void *)req;
	vlen = strlen(value);
	add = nlen + 2 + vlen + 2;
	if (p->extra_len + add > EXTRA_MAX)
		return DRILL_ETOOBIG;
	nx = realloc(p->extra, p->extra_len + add + 1);
	if (nx == NULL)
		return DRILL_ENOMEM;
	p->extra = nx;
	p->extra_len += (size_t)snprintf(nx + p->extra_len, add + 1, "%s: %s\r\n",
	    lname, value);
	return 0;
}

void
http_respond(struct http_request *req, int status, const char *content_type,
    const void *body, size_t len)
{
	struct pending *p;
	struct conn *c;
	char *extra;
	size_t extra_len;

	if (req == NULL)
		return;
	p = (struct pending *)(void *)req;
	c = p->conn;
	if (c == NULL || c->req != p || c->state != CS_HANDLER) {
		/* the client went away (or a second answer): just free */
		if (c != NULL && c->req == p)
			c->req = NULL;
		pending_free(p);
		return;
	}
	if (status < 100 || status > 599 || (body == NULL && len > 0) ||
	    (content_type != NULL && (strlen(content_type) >= CTYPE_MAX ||
	    !is_printable(content_type, CTYPE_MAX, false)))) {
		log_warnx("http: bad response from a handler path=%s status=%d",
		    p->path, status);
		status = 500;
		content_type = "text/plain; charset=utf-8";
		body = "internal error\n";
		len = strlen(body);
	}
	extra = p->extra;
	extra_len = p->extra_len;
	p->extra = NULL;
	p->extra_len = 0;
	conn_answer(c, status, content_type, body, len, extra, extra_len);
}

int
http_ready_set(struct http *h, const char *platform, bool ready,
    const char *reason)
{
	struct ready *r, **tail;
	char *why;
	size_t i;

	if (h == NULL)
		return 0;
	if (platform == NULL || platform[0] == '\0' || strlen(platform) > NAME_MAX_LEN)
		return DRILL_EINVAL;
	for (i = 0; platform[i] != '\0'; i++) {
		char ch = platform[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
		    ch == '-' || ch == '_'))
			return DRILL_EINVAL;
	}
	if (reason == NULL || reason[0] == '\0')
		reason = "not ready";
	why = malloc(REASON_MAX + 4);
	if (why == NULL)
		return DRILL_ENOMEM;
	/* one line of printable ASCII, cut */
	for (i = 0; reason[i] != '\0' && i < REASON_MAX; i++) {
		unsigned char ch = (unsigned char)reason[i];

		why[i] = ch >= 0x20 && ch < 0x7f ? (char)ch : '?';
	}
	why[i] = '\0';
	for (tail = &h->ready; *tail != NULL; tail = &(*tail)->next)
		if (strcmp((*tail)->name, platform) == 0)
			break;
	r = *tail;
	if (r == NULL) {
		r = calloc(1, sizeof(*r));
		if (r == NULL || (r->name = strdup(platform)) == NULL) {
			free(r);
			free(why);
			return DRILL_ENOMEM;
		}
		*tail = r;
	}
	free(r->reason);
	r->reason = why;
	r->ok = ready;
	return 0;
}

void
http_ready_remove(struct http *h, const char *platform)
{
	struct ready **pp, *r;

	if (h == NULL || platform == NULL)
		return;
	for (pp = &h->ready; *pp != NULL; pp = &(*pp)->next) {
		if (strcmp((*pp)->name, platform) == 0) {
			r = *pp;
			*pp = r->next;
			free(r->name);
			free(r->reason);
			free(r);
			return;
		}
	}
}
