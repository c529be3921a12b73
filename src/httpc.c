/*
 * httpc.c - the asynchronous HTTP client, behind include/drill/httpc.h:
 * libcurl's multi-socket interface driven by the daemon's libuv loop.
 *
 * libcurl tells us which sockets to watch (CURLMOPT_SOCKETFUNCTION: one
 * uv_poll_t per socket, closed when libcurl says CURL_POLL_REMOVE) and when
 * to call it back (CURLMOPT_TIMERFUNCTION: one uv_timer_t; a 0 ms timeout
 * becomes a 0 ms uv timer, so libcurl is never re-entered from its own
 * callback). After every curl_multi_socket_action the finished transfers
 * are collected first (curl_multi_info_read, then curl_multi_remove_handle)
 * and only then are their callbacks called, one by one, so that a callback
 * may start, cancel or free anything. Each request is copied in and owned
 * here until its callback has returned; its response (status, headers,
 * body) is captured under size limits in the write and header functions.
 *
 * It deliberately does not: follow redirects, decode content, retry, read
 * cookies or .netrc, set a proxy (libcurl reads the environment), speak any
 * protocol but HTTP(S), log, or put a URL's path, query or user info or any
 * header value in a message. Only this file includes curl/curl.h.
 *
 * Lifetime: a struct httpc stays allocated until its uv handles (the timer
 * and the polls of sockets still open) have closed; nhandles counts them and
 * the last close callback frees it. httpc_free may be called from a
 * callback: depth counts the entries (loop callbacks, httpc_cancel,
 * httpc_free) on the stack and the destruction waits for the outermost one.
 */
#include "drill/httpc.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#define BODY_FIRST_CAP 4096
#define METHOD_MAX 16

/* A socket libcurl asked us to watch. */
struct sock {
	uv_poll_t poll;
	struct httpc *h;
	curl_socket_t fd;
	struct sock *prev, *next;	/* h->socks while open; not when closing */
};

enum too_big { TOO_BIG_NONE, TOO_BIG_BODY, TOO_BIG_HEADERS };

/* One request, from httpc_start until its callback returned. */
struct req {
	struct req *prev, *next;	/* h->reqs: the callback has not run */
	struct req *ready_next;		/* h->ready: finished, callback to run */
	int ready;
	int in_multi;
	uint64_t id;
	httpc_done_fn cb;
	void *arg;
	CURL *easy;
	struct curl_slist *hdrs;
	char *body;			/* our copy of the request body */
	char method[METHOD_MAX + 1];
	char *origin;			/* "scheme://host:port" for messages */
	size_t max_response;
	long timeout_ms, connect_timeout_ms;
	CURLcode result;
	int fail;			/* a DRILL_E* overriding result, or 0 */
	enum too_big too_big;
	int nomem;			/* a capture callback ran out of memory */
	char *buf;			/* response body, NUL-terminated */
	size_t len, cap;
	char *hbuf;			/* response headers: "name\0value\0"... */
	size_t hlen, hcap, nh;
	size_t hbytes;			/* header bytes seen, for the limit */
	char errbuf[CURL_ERROR_SIZE];
	char msg[DRILL_ERRLEN];
};

struct httpc {
	uv_loop_t *loop;
	CURLM *multi;
	uv_timer_t timer;
	struct sock *socks;
	struct req *reqs;
	struct req *ready, *ready_tail;
	size_t nreqs;
	uint64_t next_id;
	unsigned nhandles;		/* uv handles not yet closed */
	int depth;
	int freeing;
	int destroyed;
	int global;			/* curl_global_init succeeded */
};

static void destroy(struct httpc *h);

static void
maybe_release(struct httpc *h)
{
	if (h->destroyed && h->nhandles == 0)
		free(h);
}

static void
on_handle_closed(uv_handle_t *handle)
{
	struct httpc *h = handle->data;

	h->nhandles--;
	maybe_release(h);
}

static void
on_sock_closed(uv_handle_t *handle)
{
	struct sock *s = handle->data;
	struct httpc *h = s->h;

	free(s);
	h->nhandles--;
	maybe_release(h);
}

/*
 * Stops watching s and closes its poll handle. uv_close stops the poll at
 * once (the fd leaves epoll before libcurl closes it), so a new socket that
 * reuses the fd number gets a fresh uv_poll_t while this one is closing.
 */
static void
sock_close(struct httpc *h, struct sock *s)
{
	if (s->prev != NULL)
		s->prev->next = s->next;
	else
		h->socks = s->next;
	if (s->next != NULL)
		s->next->prev = s->prev;
	s->prev = s->next = NULL;
	uv_close((uv_handle_t *)&s->poll, on_sock_closed);
}

static void
leave(struct httpc *h)
{
	if (--h->depth == 0 && h->freeing && !h->destroyed)
		destroy(h);
}

/* ---- messages ---------------------------------------------------------- */

/* r->msg = "METHOD scheme://host:port: what[: detail]". */
static void
setmsg(struct req *r, const char *what, const char *detail)
{
	if (detail != NULL && detail[0] != '\0')
		snprintf(r->msg, sizeof r->msg, "%s %s: %s: %s", r->method,
		    r->origin, what, detail);
	else
		snprintf(r->msg, sizeof r->msg, "%s %s: %s", r->method, r->origin,
		    what);
}

/*
 * libcurl's error buffer, cut at the first character that could start a
 * URL's query or fragment, for TLS failures (where it says which
 * certificate check failed). libcurl's TLS messages name hosts and
 * certificate fields, not URLs or headers; the cut is belt and braces.
 */
static const char *
tls_detail(struct req *r)
{
	size_t n = strcspn(r->errbuf, "?#\r\n");

	r->errbuf[n] = '\0';
	return r->errbuf[0] != '\0' ? r->errbuf : curl_easy_strerror(r->result);
}

/* Maps the outcome of a finished transfer to an error code and r->msg. */
static int
classify(struct req *r)
{
	curl_off_t connect_us = 0;
	long connect_code = 0, oserr = 0;
	char what[96];

	if (r->fail != 0) {
		setmsg(r, "event loop failure", NULL);
		return r->fail;
	}
	if (r->nomem) {
		setmsg(r, "out of memory", NULL);
		return DRILL_ENOMEM;
	}
	if (r->too_big == TOO_BIG_HEADERS) {
		snprintf(what, sizeof what, "response headers over %u bytes",
		    HTTPC_HEADERS_MAX);
		setmsg(r, what, NULL);
		return DRILL_ETOOBIG;
	}
	if (r->too_big == TOO_BIG_BODY || r->result == CURLE_FILESIZE_EXCEEDED) {
		snprintf(what, sizeof what, "response body over %zu bytes",
		    r->max_response);
		setmsg(r, what, NULL);
		return DRILL_ETOOBIG;
	}
	(void)curl_easy_getinfo(r->easy, CURLINFO_HTTP_CONNECTCODE, &connect_code);
	(void)curl_easy_getinfo(r->easy, CURLINFO_OS_ERRNO, &oserr);
	if (r->result != CURLE_OK && r->result != CURLE_OPERATION_TIMEDOUT &&
	    connect_code >= 300) {
		snprintf(what, sizeof what, "the proxy answered CONNECT with %ld",
		    connect_code);
		setmsg(r, what, NULL);
		return HTTPC_ECONNECT;
	}
	switch (r->result) {
	case CURLE_OK:
		r->msg[0] = '\0';
		return 0;
	case CURLE_OPERATION_TIMEDOUT:
		(void)curl_easy_getinfo(r->easy, CURLINFO_CONNECT_TIME_T, &connect_us);
		if (connect_us == 0)
			snprintf(what, sizeof what, "timed out connecting (connect "
			    "timeout %ld ms, timeout %ld ms)", r->connect_timeout_ms,
			    r->timeout_ms);
		else
			snprintf(what, sizeof what, "timed out: no complete response "
			    "within %ld ms", r->timeout_ms);
		setmsg(r, what, NULL);
		return HTTPC_ETIMEDOUT;
	case CURLE_COULDNT_CONNECT:
		setmsg(r, "could not connect",
		    oserr != 0 ? strerror((int)oserr) : NULL);
		return HTTPC_ECONNECT;
	case CURLE_COULDNT_RESOLVE_HOST:
		setmsg(r, "could not resolve the host name", NULL);
		return HTTPC_EDNS;
	case CURLE_COULDNT_RESOLVE_PROXY:
		setmsg(r, "could not resolve the proxy's host name", NULL);
		return HTTPC_EDNS;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_SSL_ENGINE_NOTFOUND:
	case CURLE_SSL_ENGINE_SETFAILED:
	case CURLE_SSL_ENGINE_INITFAILED:
	case CURLE_SSL_SHUTDOWN_FAILED:
	case CURLE_SSL_CLIENTCERT:
	case CURLE_USE_SSL_FAILED:
		setmsg(r, "TLS", tls_detail(r));
		return HTTPC_ETLS;
	case CURLE_OUT_OF_MEMORY:
		setmsg(r, "out of memory", NULL);
		return DRILL_ENOMEM;
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
		setmsg(r, "libcurl refused the URL", NULL);
		return DRILL_EINVAL;
	case CURLE_PARTIAL_FILE:
		setmsg(r, "the server closed the connection before the whole "
		    "body arrived", NULL);
		return DRILL_EPROTO;
	case CURLE_GOT_NOTHING:
		setmsg(r, "the server closed the connection without a response",
		    NULL);
		return DRILL_EPROTO;
	case CURLE_WEIRD_SERVER_REPLY:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
	case CURLE_BAD_CONTENT_ENCODING:
	case CURLE_HTTP_RETURNED_ERROR:
	case CURLE_TOO_MANY_REDIRECTS:
		setmsg(r, "malformed response", curl_easy_strerror(r->result));
		return DRILL_EPROTO;
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
		setmsg(r, r->result == CURLE_SEND_ERROR ?
		    "connection lost while sending" : "connection lost while receiving",
		    oserr != 0 ? strerror((int)oserr) : curl_easy_strerror(r->result));
		return DRILL_EIO;
	default:
		setmsg(r, curl_easy_strerror(r->result), NULL);
		return DRILL_EIO;
	}
}

/* ---- completion -------------------------------------------------------- */

static void
req_free(struct req *r)
{
	if (r == NULL)
		return;
	if (r->easy != NULL)
		curl_easy_cleanup(r->easy);
	curl_slist_free_all(r->hdrs);
	free(r->body);
	free(r->origin);
	free(r->buf);
	free(r->hbuf);
	free(r);
}

static void
detach(struct httpc *h, struct req *r)
{
	struct req **pp;

	if (r->prev != NULL)
		r->prev->next = r->next;
	else
		h->reqs = r->next;
	if (r->next != NULL)
		r->next->prev = r->prev;
	r->prev = r->next = NULL;
	h->nreqs--;
	if (r->ready) {
		for (pp = &h->ready; *pp != r; pp = &(*pp)->ready_next)
			;
		*pp = r->ready_next;
		if (h->ready_tail == r) {
			struct req *t = h->ready;

			while (t != NULL && t->ready_next != NULL)
				t = t->ready_next;
			h->ready_tail = t;
		}
		r->ready = 0;
		r->ready_next = NULL;
	}
	if (r->in_multi) {
		(void)curl_multi_remove_handle(h->multi, r->easy);
		r->in_multi = 0;
	}
}

/*
 * The one place a callback is called. r leaves every list first, so that
 * whatever the callback does (start, cancel, free) never meets it; it is
 * freed when the callback returns. Callers hold a depth reference.
 */
static void
complete(struct httpc *h, struct req *r, int err)
{
	struct httpc_response res;
	struct httpc_header *hv = NULL;
	const char *p;
	size_t i;
	long status = 0;

	detach(h, r);
	if (r->nh > 0) {
		if ((hv = calloc(r->nh, sizeof *hv)) == NULL) {
			err = DRILL_ENOMEM;
			setmsg(r, "out of memory", NULL);
		} else {
			for (i = 0, p = r->hbuf; i < r->nh; i++) {
				hv[i].name = p;
				p += strlen(p) + 1;
				hv[i].value = p;
				p += strlen(p) + 1;
			}
		}
	}
	(void)curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &status);
	memset(&res, 0, sizeof res);
	res.id = r->id;
	res.err = err;
	res.errmsg = err != 0 ? r->msg : "";
	res.status = status;
	res.headers = hv;
	res.nheaders = hv != NULL ? r->nh : 0;
	res.body = r->buf != NULL ? r->buf : "";
	res.len = r->len;
	r->cb(r->arg, &res);
	free(hv);
	req_free(r);
}

static void
mark_ready(struct httpc *h, struct req *r)
{
	if (r->in_multi) {
		(void)curl_multi_remove_handle(h->multi, r->easy);
		r->in_multi = 0;
	}
	r->ready = 1;
	r->ready_next = NULL;
	if (h->ready_tail != NULL)
		h->ready_tail->ready_next = r;
	else
		h->ready = r;
	h->ready_tail = r;
}

/*
 * After curl_multi_socket_action: takes every finished transfer out of the
 * multi handle first, then runs their callbacks. When socket_action failed,
 * libcurl's state is uncertain and every transfer fails with DRILL_EIO (the
 * multi handle is usable again once they are all removed).
 */
static void
drain(struct httpc *h, CURLMcode mrc)
{
	struct req *r;
	CURLMsg *m;
	char *priv;
	int left;

	while ((m = curl_multi_info_read(h->multi, &left)) != NULL) {
		if (m->msg != CURLMSG_DONE)
			continue;
		priv = NULL;
		(void)curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &priv);
		if ((r = (struct req *)(void *)priv) == NULL || !r->in_multi)
			continue;
		r->result = m->data.result;
		mark_ready(h, r);	/* m is invalid from here on */
	}
	if (mrc != CURLM_OK) {
		for (r = h->reqs; r != NULL; r = r->next) {
			if (r->in_multi) {
				r->fail = DRILL_EIO;
				mark_ready(h, r);
			}
		}
	}
	while ((r = h->ready) != NULL)
		complete(h, r, classify(r));
}

static void
act(struct httpc *h, curl_socket_t fd, int flags)
{
	int running;
	CURLMcode mrc;

	h->depth++;
	mrc = curl_multi_socket_action(h->multi, fd, flags, &running);
	drain(h, mrc);
	leave(h);
}

/* ---- loop glue --------------------------------------------------------- */

static void
on_poll(uv_poll_t *p, int status, int events)
{
	struct sock *s = p->data;
	int flags = 0;

	if (status < 0)
		flags = CURL_CSELECT_ERR;
	if (events & UV_READABLE)
		flags |= CURL_CSELECT_IN;
	if (events & UV_WRITABLE)
		flags |= CURL_CSELECT_OUT;
	act(s->h, s->fd, flags);
}

static void
on_timer(uv_timer_t *t)
{
	act(t->data, CURL_SOCKET_TIMEOUT, 0);
}

/* CURLMOPT_TIMERFUNCTION: never calls libcurl, only (re)arms the uv timer. */
static int
curl_timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
	struct httpc *h = userp;

	(void)multi;
	if (timeout_ms < 0)
		uv_timer_stop(&h->timer);
	else if (uv_timer_start(&h->timer, on_timer, (uint64_t)timeout_ms, 0) != 0)
		return -1;
	return 0;
}

/*
 * CURLMOPT_SOCKETFUNCTION. A -1 makes libcurl fail every transfer (drain
 * then reports them), which beats a transfer that silently never moves.
 */
static int
curl_socket_cb(CURL *easy, curl_socket_t fd, int what, void *userp, void *sockp)
{
	struct httpc *h = userp;
	struct sock *s = sockp;
	int events = 0;

	(void)easy;
	if (what == CURL_POLL_REMOVE) {
		if (s != NULL) {
			(void)curl_multi_assign(h->multi, fd, NULL);
			sock_close(h, s);
		}
		return 0;
	}
	if (s == NULL) {
		if ((s = calloc(1, sizeof *s)) == NULL)
			return -1;
		if (uv_poll_init_socket(h->loop, &s->poll, fd) != 0) {
			free(s);
			return -1;
		}
		s->poll.data = s;
		s->h = h;
		s->fd = fd;
		s->next = h->socks;
		if (h->socks != NULL)
			h->socks->prev = s;
		h->socks = s;
		h->nhandles++;
		if (curl_multi_assign(h->multi, fd, s) != CURLM_OK) {
			sock_close(h, s);
			return -1;
		}
	}
	if (what & CURL_POLL_IN)
		events |= UV_READABLE;
	if (what & CURL_POLL_OUT)
		events |= UV_WRITABLE;
	if (events == 0)
		return uv_poll_stop(&s->poll) == 0 ? 0 : -1;
	return uv_poll_start(&s->poll, events, on_poll) == 0 ? 0 : -1;
}

/* ---- response capture -------------------------------------------------- */

/* CURLOPT_WRITEFUNCTION: keeps the body up to max_response bytes. */
static size_t
on_body(char *data, size_t size, size_t nmemb, void *userp)
{
	struct req *r = userp;
	size_t n = size * nmemb, cap;
	char *nb;

	if (n == 0)
		return 0;
	if (n > r->max_response - r->len) {
		r->too_big = TOO_BIG_BODY;
		return 0;	/* a short count aborts the transfer */
	}
	if (r->len + n + 1 > r->cap) {
		cap = r->cap != 0 ? r->cap : BODY_FIRST_CAP;
		while (cap < r->len + n + 1)
			cap = cap > SIZE_MAX / 2 ? SIZE_MAX : cap * 2;
		if (cap > r->max_response + 1)
			cap = r->max_response + 1;
		if ((nb = realloc(r->buf, cap)) == NULL) {
			r->nomem = 1;
			return 0;
		}
		r->buf = nb;
		r->cap = cap;
	}
	memcpy(r->buf + r->len, data, n);
	r->len += n;
	r->buf[r->len] = '\0';
	return n;
}

static int
hbuf_put(struct req *r, const char *s, size_t n)
{
	size_t cap;
	char *nb;

	if (r->hlen + n + 1 > r->hcap) {
		cap = r->hcap != 0 ? r->hcap : 1024;
		while (cap < r->hlen + n + 1)
			cap *= 2;
		if ((nb = realloc(r->hbuf, cap)) == NULL)
			return -1;
		r->hbuf = nb;
		r->hcap = cap;
	}
	memcpy(r->hbuf + r->hlen, s, n);
	r->hlen += n;
	r->hbuf[r->hlen++] = '\0';
	return 0;
}

static int
is_ows(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/*
 * CURLOPT_HEADERFUNCTION: libcurl hands one whole header line per call. A
 * status line starts a new response (a 1xx before the final one), so the
 * headers kept are those of the final response. Folded lines (obsolete)
 * continue the previous value; lines without a colon are ignored.
 */
static size_t
on_header(char *data, size_t size, size_t nmemb, void *userp)
{
	struct req *r = userp;
	size_t n = size * nmemb, nl, vl;
	const char *colon, *v;

	if (n > HTTPC_HEADERS_MAX - r->hbytes) {
		r->too_big = TOO_BIG_HEADERS;
		return 0;
	}
	r->hbytes += n;
	while (n > 0 && is_ows(data[n - 1]))
		n--;
	if (n == 0)
		return size * nmemb;	/* the blank line ending the headers */
	if (n >= 5 && memcmp(data, "HTTP/", 5) == 0) {
		r->hlen = 0;
		r->nh = 0;
		return size * nmemb;
	}
	if (data[0] == ' ' || data[0] == '\t') {
		if (r->nh == 0)
			return size * nmemb;
		v = data;
		while (v < data + n && is_ows(*v))
			v++;
		/* the last value's NUL becomes a space; hbuf_put ends it again */
		r->hbuf[r->hlen - 1] = ' ';
		if (hbuf_put(r, v, (size_t)(data + n - v)) != 0) {
			r->hbuf[r->hlen - 1] = '\0';
			r->nomem = 1;
			return 0;
		}
		return size * nmemb;
	}
	if ((colon = memchr(data, ':', n)) == NULL || colon == data)
		return size * nmemb;
	nl = (size_t)(colon - data);
	while (nl > 0 && is_ows(data[nl - 1]))
		nl--;
	v = colon + 1;
	while (v < data + n && is_ows(*v))
		v++;
	vl = (size_t)(data + n - v);
	if (hbuf_put(r, data, nl) != 0) {
		r->nomem = 1;
		return 0;
	}
	if (hbuf_put(r, v, vl) != 0) {
		r->hlen -= nl + 1;
		r->nomem = 1;
		return 0;
	}
	r->nh++;
	return size * nmemb;
}

/* CURLOPT_DEBUGFUNCTION: libcurl's verbose output goes nowhere. */
static int
on_debug(CURL *easy, curl_infotype type, char *data, size_t size, void *userp)
{
	(void)easy;
	(void)type;
	(void)data;
	(void)size;
	(void)userp;
	return 0;
}

/* ---- public ------------------------------------------------------------ */

struct httpc *
httpc_new(uv_loop_t *loop, char *err)
{
	struct httpc *h = NULL;
	CURLcode crc;

	if (loop == NULL) {
		drill_seterr(err, "httpc: no loop");
		return NULL;
	}
	if ((h = calloc(1, sizeof *h)) == NULL) {
		drill_seterr(err, "httpc: out of memory");
		return NULL;
	}
	h->loop = loop;
	h->next_id = 1;
	if ((crc = curl_global_init(CURL_GLOBAL_DEFAULT)) != CURLE_OK) {
		drill_seterr(err, "httpc: libcurl initialisation failed: %s",
		    curl_easy_strerror(crc));
		goto fail;
	}
	h->global = 1;
	if ((h->multi = curl_multi_init()) == NULL) {
		drill_seterr(err, "httpc: libcurl multi handle: out of memory");
		goto fail;
	}
	if (curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, curl_socket_cb) != CURLM_OK ||
	    curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h) != CURLM_OK ||
	    curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, curl_timer_cb) != CURLM_OK ||
	    curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h) != CURLM_OK) {
		drill_seterr(err, "httpc: libcurl refused the multi options");
		goto fail;
	}
	if (uv_timer_init(loop, &h->timer) != 0) {
		drill_seterr(err, "httpc: uv_timer_init failed");
		goto fail;
	}
	h->timer.data = h;
	h->nhandles = 1;
	return h;
fail:
	if (h->multi != NULL)
		curl_multi_cleanup(h->multi);
	if (h->global)
		curl_global_cleanup();
	free(h);
	return NULL;
}

/*
 * Runs once, with no request left and no entry on the stack. libcurl may
 * call the socket callback (CURL_POLL_REMOVE for pooled connections) from
 * curl_multi_cleanup; polls it did not remove are closed here.
 */
static void
destroy(struct httpc *h)
{
	h->destroyed = 1;
	if (h->multi != NULL) {
		curl_multi_cleanup(h->multi);
		h->multi = NULL;
	}
	while (h->socks != NULL)
		sock_close(h, h->socks);
	uv_close((uv_handle_t *)&h->timer, on_handle_closed);
	if (h->global) {
		curl_global_cleanup();
		h->global = 0;
	}
}

void
httpc_free(struct httpc *h)
{
	if (h == NULL || h->freeing)
		return;
	h->freeing = 1;
	h->depth++;
	while (h->reqs != NULL) {
		struct req *r = h->reqs;

		setmsg(r, "cancelled", NULL);
		complete(h, r, HTTPC_ECANCELED);
	}
	leave(h);
}

int
httpc_cancel(struct httpc *h, uint64_t id)
{
	struct req *r;

	if (h == NULL)
		return DRILL_ENOTFOUND;
	for (r = h->reqs; r != NULL; r = r->next)
		if (r->id == id)
			break;
	if (r == NULL)
		return DRILL_ENOTFOUND;
	h->depth++;
	setmsg(r, "cancelled", NULL);
	complete(h, r, HTTPC_ECANCELED);
	leave(h);
	return 0;
}

size_t
httpc_pending(const struct httpc *h)
{
	return h != NULL ? h->nreqs : 0;
}

const char *
httpc_header(const struct httpc_response *res, const char *name)
{
	size_t i;

	if (res == NULL || name == NULL)
		return NULL;
	for (i = 0; i < res->nheaders; i++)
		if (strcasecmp(res->headers[i].name, name) == 0)
			return res->headers[i].value;
	return NULL;
}

const char *
httpc_strerror(int err)
{
	switch (err) {
	case HTTPC_ETIMEDOUT: return "timed out";
	case HTTPC_ECONNECT: return "could not connect";
	case HTTPC_EDNS: return "host name did not resolve";
	case HTTPC_ETLS: return "TLS failure";
	case HTTPC_ECANCELED: return "cancelled";
	default: return drill_strerror(err);
	}
}

static int
method_ok(const char *m)
{
	static const char *const allowed[] = {
		"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"
	};
	size_t i;

	for (i = 0; i < sizeof allowed / sizeof allowed[0]; i++)
		if (strcmp(m, allowed[i]) == 0)
			return 1;
	return 0;
}

/*
 * Parses url with libcurl's own parser (the one the transfer uses) and
 * builds "scheme://host:port", the only part of a URL a message shows.
 */
static int
url_origin(const char *url, char **origin, char *err)
{
	CURLU *u = NULL;
	char *scheme = NULL, *host = NULL, *port = NULL;
	int rc = DRILL_EINVAL, n;

	*origin = NULL;
	if ((u = curl_url()) == NULL) {
		rc = DRILL_ENOMEM;
		drill_seterr(err, "httpc: out of memory");
		goto out;
	}
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK) {
		drill_seterr(err, "httpc: the URL is not a valid absolute URL");
		goto out;
	}
	if (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0) {
		drill_seterr(err, "httpc: URL scheme %.16s is not http or https", scheme);
		goto out;
	}
	n = snprintf(NULL, 0, "%s://%s:%s", scheme, host, port);
	if (n < 0 || (*origin = malloc((size_t)n + 1)) == NULL) {
		rc = DRILL_ENOMEM;
		drill_seterr(err, "httpc: out of memory");
		goto out;
	}
	snprintf(*origin, (size_t)n + 1, "%s://%s:%s", scheme, host, port);
	rc = 0;
out:
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return rc;
}

static long
clamp_ms(uint64_t ms, uint64_t dflt)
{
	if (ms == 0)
		ms = dflt;
	return ms > (uint64_t)LONG_MAX ? LONG_MAX : (long)ms;
}

#define SET(opt, val) do { \
	if (curl_easy_setopt(r->easy, (opt), (val)) != CURLE_OK) \
		goto setopt_fail; \
} while (0)

int
httpc_start(struct httpc *h, const struct httpc_request *rq,
    httpc_done_fn cb, void *arg, uint64_t *id, char *err)
{
	struct req *r = NULL;
	struct curl_slist *l;
	const char *method;
	size_t i;
	int rc = DRILL_EINVAL;
	curl_off_t maxfs;

	if (h == NULL || rq == NULL || rq->url == NULL || cb == NULL) {
		drill_seterr(err, "httpc: missing client, request, URL or callback");
		return DRILL_EINVAL;
	}
	if (h->freeing) {
		drill_seterr(err, "httpc: the client is being freed");
		return DRILL_EINVAL;
	}
	method = rq->method != NULL ? rq->method : "GET";
	if (!method_ok(method)) {
		drill_seterr(err, "httpc: method not supported");
		return DRILL_EINVAL;
	}
	if (rq->body == NULL && rq->body_len != 0) {
		drill_seterr(err, "httpc: body_len without a body");
		return DRILL_EINVAL;
	}
	if (rq->body != NULL && strcmp(method, "HEAD") == 0) {
		drill_seterr(err, "httpc: a HEAD request has no body");
		return DRILL_EINVAL;
	}
	if (rq->nheaders > 0 && rq->headers == NULL) {
		drill_seterr(err, "httpc: nheaders without headers");
		return DRILL_EINVAL;
	}
	for (i = 0; i < rq->nheaders; i++) {
		const char *hl = rq->headers[i];
		size_t nl;

		if (hl == NULL || (nl = strcspn(hl, ":")) == 0 || hl[nl] != ':' ||
		    strpbrk(hl, "\r\n") != NULL || strcspn(hl, " \t") < nl) {
			drill_seterr(err, "httpc: header %zu is not one 'Name: value' line", i);
			return DRILL_EINVAL;
		}
	}
	if ((r = calloc(1, sizeof *r)) == NULL) {
		drill_seterr(err, "httpc: out of memory");
		return DRILL_ENOMEM;
	}
	r->cb = cb;
	r->arg = arg;
	snprintf(r->method, sizeof r->method, "%s", method);
	r->max_response = rq->max_response != 0 ? rq->max_response :
	    HTTPC_DEFAULT_MAX_RESPONSE;
	if (r->max_response >= SIZE_MAX - 1)
		r->max_response = SIZE_MAX - 2;
	r->timeout_ms = clamp_ms(rq->timeout_ms, HTTPC_DEFAULT_TIMEOUT_MS);
	r->connect_timeout_ms = clamp_ms(rq->connect_timeout_ms,
	    HTTPC_DEFAULT_CONNECT_TIMEOUT_MS);
	if ((rc = url_origin(rq->url, &r->origin, err)) != 0)
		goto fail;
	rc = DRILL_ENOMEM;
	for (i = 0; i < rq->nheaders; i++) {
		if ((l = curl_slist_append(r->hdrs, rq->headers[i])) == NULL)
			goto nomem;
		r->hdrs = l;
	}
	if (rq->body != NULL) {
		if ((r->body = malloc(rq->body_len != 0 ? rq->body_len : 1)) == NULL)
			goto nomem;
		memcpy(r->body, rq->body, rq->body_len);
	}
	if ((r->easy = curl_easy_init()) == NULL)
		goto nomem;

	SET(CURLOPT_PRIVATE, (void *)r);
	SET(CURLOPT_URL, rq->url);
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
	SET(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_SSL_VERIFYPEER, 1L);
	SET(CURLOPT_SSL_VERIFYHOST, 2L);
	SET(CURLOPT_VERBOSE, 0L);
	SET(CURLOPT_DEBUGFUNCTION, on_debug);
	SET(CURLOPT_NOPROGRESS, 1L);
	SET(CURLOPT_ERRORBUFFER, r->errbuf);
	SET(CURLOPT_WRITEFUNCTION, on_body);
	SET(CURLOPT_WRITEDATA, (void *)r);
	SET(CURLOPT_HEADERFUNCTION, on_header);
	SET(CURLOPT_HEADERDATA, (void *)r);
	SET(CURLOPT_SUPPRESS_CONNECT_HEADERS, 1L);
	SET(CURLOPT_TIMEOUT_MS, r->timeout_ms);
	SET(CURLOPT_CONNECTTIMEOUT_MS, r->connect_timeout_ms);
	/*
	 * Rejects a declared Content-Length early; on_body enforces the limit
	 * on everything else (libcurl 7.88 does not, for an unknown length).
	 * Not for HEAD, whose Content-Length describes a body never sent.
	 */
	if (strcmp(method, "HEAD") != 0) {
		maxfs = r->max_response > (size_t)INT64_MAX ? INT64_MAX :
		    (curl_off_t)r->max_response;
		SET(CURLOPT_MAXFILESIZE_LARGE, maxfs);
	}
	SET(CURLOPT_TCP_KEEPALIVE, 1L);
	SET(CURLOPT_USERAGENT, "drilld/" DRILL_VERSION);
	if (r->hdrs != NULL)
		SET(CURLOPT_HTTPHEADER, r->hdrs);
	if (strcmp(method, "HEAD") == 0) {
		SET(CURLOPT_NOBODY, 1L);
	} else if (r->body != NULL || strcmp(method, "POST") == 0 ||
	    strcmp(method, "PUT") == 0 || strcmp(method, "PATCH") == 0) {
		SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)rq->body_len);
		SET(CURLOPT_POSTFIELDS, r->body != NULL ? r->body : "");
		if (strcmp(method, "POST") != 0)
			SET(CURLOPT_CUSTOMREQUEST, method);
	} else if (strcmp(method, "GET") == 0) {
		SET(CURLOPT_HTTPGET, 1L);
	} else {
		SET(CURLOPT_CUSTOMREQUEST, method);
	}

	/*
	 * Arms the uv timer (0 ms) through curl_timer_cb and returns: the
	 * transfer starts, and cb can run, only when the loop runs.
	 */
	if (curl_multi_add_handle(h->multi, r->easy) != CURLM_OK) {
		rc = DRILL_EIO;
		drill_seterr(err, "httpc: libcurl refused the transfer");
		goto fail;
	}
	r->in_multi = 1;
	r->id = h->next_id++;
	r->next = h->reqs;
	if (h->reqs != NULL)
		h->reqs->prev = r;
	h->reqs = r;
	h->nreqs++;
	if (id != NULL)
		*id = r->id;
	return 0;
setopt_fail:
	rc = DRILL_EIO;
	drill_seterr(err, "httpc: libcurl refused an option");
	goto fail;
nomem:
	rc = DRILL_ENOMEM;
	drill_seterr(err, "httpc: out of memory");
fail:
	req_free(r);
	return rc;
}
