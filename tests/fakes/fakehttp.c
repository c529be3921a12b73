/*
 * fakehttp.c - a small HTTP/1.1 server on libuv for drilld's test fakes
 * (fakehttp.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fakehttp.h"

#define HEAD_MAX (64u * 1024u)
#define BODY_MAX (16u * 1024u * 1024u)

struct conn;

struct fakehttp {
	uv_tcp_t lis;
	uv_loop_t *loop;
	fakehttp_handler_fn handler;
	void *arg;
	struct conn *conns;
	uint64_t seq, nconn;
	int port;
	bool stopping;
};

/* A request handed to the handler: its own copy of the bytes. */
struct pending {
	struct fakehttp_req req;
	struct conn *c;
	char *buf;		/* method, target, headers, body, each NUL-ended */
	const char *headers;	/* "Name: value\r\n..." */
	bool close_after;	/* the client asked for Connection: close */
};

struct conn {
	struct conn *prev, *next;
	struct fakehttp *s;
	uv_tcp_t tcp;
	char *in;
	size_t len, cap;
	struct pending *busy;	/* a request the handler has not answered */
	uint64_t id;
	bool closing;		/* the socket is closing or closed */
	bool closed;		/* its close callback ran */
	bool continued;		/* 100 Continue sent for the waiting request */
	bool detached;		/* off the server's list: the server is gone */
};

static void process(struct conn *c);

/* ---- connections --------------------------------------------------------- */

static void
conn_free_if_done(struct conn *c)
{
	if (!c->closed || c->busy != NULL)
		return;
	if (c->detached)
		;
	else if (c->prev != NULL)
		c->prev->next = c->next;
	else if (c->s->conns == c)
		c->s->conns = c->next;
	if (!c->detached && c->next != NULL)
		c->next->prev = c->prev;
	free(c->in);
	free(c);
}

static void
on_conn_closed(uv_handle_t *h)
{
	struct conn *c = h->data;

	c->closed = true;
	conn_free_if_done(c);
}

static void
conn_close(struct conn *c)
{
	if (c->closing)
		return;
	c->closing = true;
	uv_close((uv_handle_t *)&c->tcp, on_conn_closed);
}

struct wreq {
	uv_write_t w;
	struct conn *c;
	bool close_after;
	char data[];
};

static void
on_written(uv_write_t *w, int status)
{
	struct wreq *wr = (struct wreq *)w;

	if ((status != 0 || wr->close_after) && !wr->c->closing)
		conn_close(wr->c);
	free(wr);
}

static void
send_bytes(struct conn *c, const char *data, size_t len, bool close_after)
{
	struct wreq *wr;
	uv_buf_t b;

	if (c->closing)
		return;
	if ((wr = malloc(sizeof(*wr) + len)) == NULL) {
		conn_close(c);
		return;
	}
	memcpy(wr->data, data, len);
	wr->c = c;
	wr->close_after = close_after;
	b = uv_buf_init(wr->data, (unsigned)len);
	if (uv_write(&wr->w, (uv_stream_t *)&c->tcp, &b, 1, on_written) != 0) {
		free(wr);
		conn_close(c);
	}
}

static const char *
reason(int status)
{
	switch (status) {
	case 100: return "Continue";
	case 200: return "OK";
	case 201: return "Created";
	case 204: return "No Content";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 411: return "Length Required";
	case 413: return "Payload Too Large";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	default: return "Status";
	}
}

static void
respond_raw(struct conn *c, int status, const char *headers, const char *body,
    size_t len, bool close_after)
{
	char head[512];
	size_t hl = headers != NULL ? strlen(headers) : 0;
	int n;
	char *out;

	n = snprintf(head, sizeof(head), "HTTP/1.1 %d %s\r\nContent-Length: %zu\r\n%s",
	    status, reason(status), len, close_after ? "Connection: close\r\n" : "");
	if (n < 0 || (size_t)n >= sizeof(head) || (out = malloc((size_t)n + hl + 2 + len)) == NULL) {
		conn_close(c);
		return;
	}
	memcpy(out, head, (size_t)n);
	if (hl > 0)
		memcpy(out + n, headers, hl);
	memcpy(out + (size_t)n + hl, "\r\n", 2);
	if (len > 0)
		memcpy(out + (size_t)n + hl + 2, body, len);
	send_bytes(c, out, (size_t)n + hl + 2 + len, close_after);
	free(out);
}

/* ---- parsing ------------------------------------------------------------- */

/* The value of header name in the block h ("Name: v\r\n..."), or NULL; *vlen its length. */
static const char *
find_header(const char *h, const char *name, size_t *vlen)
{
	size_t nlen = strlen(name);

	while (h != NULL && *h != '\0') {
		const char *eol = strstr(h, "\r\n");

		if (eol == NULL)
			eol = h + strlen(h);
		if ((size_t)(eol - h) > nlen && strncasecmp(h, name, nlen) == 0 &&
		    h[nlen] == ':') {
			const char *v = h + nlen + 1, *e = eol;

			while (v < e && (*v == ' ' || *v == '\t'))
				v++;
			while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
				e--;
			*vlen = (size_t)(e - v);
			return v;
		}
		h = *eol != '\0' ? eol + 2 : eol;
	}
	return NULL;
}

/*
 * Takes one whole request off c->in and hands it to the handler; returns
 * false when more bytes are needed or the connection is done.
 */
static bool
take_request(struct conn *c)
{
	char *eoh, *sp1, *sp2, *eol, *end;
	const char *v;
	size_t head_len, vlen, mlen, tlen, hlen, total;
	unsigned long long blen = 0;
	struct pending *p;
	char num[24];

	if (c->len == 0)
		return false;
	c->in[c->len] = '\0';
	if ((eoh = strstr(c->in, "\r\n\r\n")) == NULL) {
		if (c->len > HEAD_MAX) {
			respond_raw(c, 431, NULL, "", 0, true);
			return false;
		}
		return false;
	}
	head_len = (size_t)(eoh - c->in) + 4;
	eol = strstr(c->in, "\r\n");
	sp1 = memchr(c->in, ' ', (size_t)(eol - c->in));
	sp2 = sp1 != NULL ? memchr(sp1 + 1, ' ', (size_t)(eol - sp1 - 1)) : NULL;
	if (sp1 == NULL || sp2 == NULL || strncmp(sp2 + 1, "HTTP/1.", 7) != 0) {
		respond_raw(c, 400, NULL, "", 0, true);
		return false;
	}
	*eoh = '\0';		/* header lookups stop at the blank line */
	if (find_header(eol + 2, "Transfer-Encoding", &vlen) != NULL) {
		respond_raw(c, 411, NULL, "", 0, true);
		return false;
	}
	if ((v = find_header(eol + 2, "Content-Length", &vlen)) != NULL) {
		if (vlen == 0 || vlen >= sizeof(num)) {
			respond_raw(c, 400, NULL, "", 0, true);
			return false;
		}
		memcpy(num, v, vlen);
		num[vlen] = '\0';
		errno = 0;
		blen = strtoull(num, &end, 10);
		if (*end != '\0' || errno != 0 || num[0] == '-') {
			respond_raw(c, 400, NULL, "", 0, true);
			return false;
		}
		if (blen > BODY_MAX) {
			respond_raw(c, 413, NULL, "", 0, true);
			return false;
		}
	}
	if (c->len < head_len + blen) {
		v = find_header(eol + 2, "Expect", &vlen);
		if (v != NULL && !c->continued && vlen == 12 &&
		    strncasecmp(v, "100-continue", 12) == 0) {
			c->continued = true;
			send_bytes(c, "HTTP/1.1 100 Continue\r\n\r\n", 25, false);
		}
		*eoh = '\r';
		return false;
	}
	c->continued = false;

	mlen = (size_t)(sp1 - c->in);
	tlen = (size_t)(sp2 - sp1 - 1);
	hlen = (size_t)(eoh - (eol + 2));
	total = mlen + 1 + tlen + 1 + hlen + 1 + blen + 1;
	if ((p = calloc(1, sizeof(*p))) == NULL || (p->buf = malloc(total)) == NULL) {
		free(p);
		conn_close(c);
		return false;
	}
	memcpy(p->buf, c->in, mlen);
	p->buf[mlen] = '\0';
	memcpy(p->buf + mlen + 1, sp1 + 1, tlen);
	p->buf[mlen + 1 + tlen] = '\0';
	memcpy(p->buf + mlen + tlen + 2, eol + 2, hlen);
	p->buf[mlen + tlen + 2 + hlen] = '\0';
	memcpy(p->buf + mlen + tlen + hlen + 3, c->in + head_len, blen);
	p->buf[total - 1] = '\0';
	p->req.srv = c->s;
	p->req.method = p->buf;
	p->req.target = p->buf + mlen + 1;
	p->headers = p->buf + mlen + tlen + 2;
	p->req.body = p->buf + mlen + tlen + hlen + 3;
	p->req.body_len = (size_t)blen;
	p->req.seq = ++c->s->seq;
	p->req.conn_id = c->id;
	p->req.internal = p;
	p->c = c;
	v = find_header(p->headers, "Connection", &vlen);
	p->close_after = v != NULL && vlen == 5 && strncasecmp(v, "close", 5) == 0;

	memmove(c->in, c->in + head_len + blen, c->len - head_len - blen);
	c->len -= head_len + blen;
	c->busy = p;
	c->s->handler(c->s->arg, &p->req);
	return true;
}

static void
process(struct conn *c)
{
	while (c->busy == NULL && !c->closing && take_request(c))
		;
}

/* Ends request p (answered or dropped): the connection reads on. */
static void
finish(struct pending *p)
{
	struct conn *c = p->c;

	c->busy = NULL;
	free(p->buf);
	free(p);
	if (c->closing)
		conn_free_if_done(c);
	else
		process(c);
}

/* ---- the listener -------------------------------------------------------- */

static void
on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct conn *c = h->data;
	size_t want = suggested < 65536 ? 65536 : suggested;

	if (c->cap - c->len < want + 1) {
		size_t ncap = c->len + want + 1;
		char *n = realloc(c->in, ncap);

		if (n == NULL) {
			*buf = uv_buf_init(NULL, 0);
			return;
		}
		c->in = n;
		c->cap = ncap;
	}
	*buf = uv_buf_init(c->in + c->len, (unsigned)want);
}

static void
on_read(uv_stream_t *st, ssize_t n, const uv_buf_t *buf)
{
	struct conn *c = st->data;

	(void)buf;
	if (n < 0) {
		conn_close(c);
		return;
	}
	c->len += (size_t)n;
	if (c->len > HEAD_MAX + BODY_MAX + 1) {
		conn_close(c);
		return;
	}
	process(c);
}

static void
on_connection(uv_stream_t *lis, int status)
{
	struct fakehttp *s = lis->data;
	struct conn *c;

	if (status < 0 || (c = calloc(1, sizeof(*c))) == NULL)
		return;
	c->s = s;
	c->id = ++s->nconn;
	uv_tcp_init(s->loop, &c->tcp);
	c->tcp.data = c;
	c->next = s->conns;
	if (s->conns != NULL)
		s->conns->prev = c;
	s->conns = c;
	if (uv_accept(lis, (uv_stream_t *)&c->tcp) != 0 ||
	    uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) != 0)
		conn_close(c);
}

struct fakehttp *
fakehttp_start(uv_loop_t *loop, const char *addr, fakehttp_handler_fn handler,
    void *arg)
{
	struct fakehttp *s;
	struct sockaddr_storage ss;
	int len = sizeof(ss), rc;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->loop = loop;
	s->handler = handler;
	s->arg = arg;
	memset(&ss, 0, sizeof(ss));
	if (strchr(addr, ':') != NULL)
		rc = uv_ip6_addr(addr, 0, (struct sockaddr_in6 *)&ss);
	else
		rc = uv_ip4_addr(addr, 0, (struct sockaddr_in *)&ss);
	if (rc != 0 || uv_tcp_init(loop, &s->lis) != 0) {
		fprintf(stderr, "fakehttp: bad address %s\n", addr);
		free(s);
		return NULL;
	}
	s->lis.data = s;
	if ((rc = uv_tcp_bind(&s->lis, (const struct sockaddr *)&ss, 0)) != 0 ||
	    (rc = uv_listen((uv_stream_t *)&s->lis, 511, on_connection)) != 0 ||
	    (rc = uv_tcp_getsockname(&s->lis, (struct sockaddr *)&ss, &len)) != 0) {
		fprintf(stderr, "fakehttp: cannot listen on %s: %s\n", addr, uv_strerror(rc));
		s->stopping = true;
		uv_close((uv_handle_t *)&s->lis, (uv_close_cb)free);
		return NULL;
	}
	s->port = ss.ss_family == AF_INET6
	    ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port)
	    : ntohs(((struct sockaddr_in *)&ss)->sin_port);
	return s;
}

int
fakehttp_port(const struct fakehttp *s)
{
	return s->port;
}

static void
on_lis_closed(uv_handle_t *h)
{
	free(h->data);
}

void
fakehttp_stop(struct fakehttp *s)
{
	struct conn *c, *next;

	if (s == NULL || s->stopping)
		return;
	s->stopping = true;
	/* A connection whose request the handler still holds outlives the
	 * server: it goes when that request is answered or dropped. */
	for (c = s->conns; c != NULL; c = next) {
		next = c->next;
		c->detached = true;
		c->prev = c->next = NULL;
		conn_close(c);
	}
	s->conns = NULL;
	uv_close((uv_handle_t *)&s->lis, on_lis_closed);
}

bool
fakehttp_header(const struct fakehttp_req *req, const char *name, char *buf,
    size_t len)
{
	const struct pending *p = req->internal;
	size_t vlen;
	const char *v = find_header(p->headers, name, &vlen);

	if (v == NULL || vlen >= len)
		return false;
	memcpy(buf, v, vlen);
	buf[vlen] = '\0';
	return true;
}

void
fakehttp_respond(struct fakehttp_req *req, int status, const char *headers,
    const char *body, size_t len)
{
	struct pending *p = req->internal;

	if (!p->c->closing)
		respond_raw(p->c, status, headers, body != NULL ? body : "", len,
		    p->close_after);
	finish(p);
}

void
fakehttp_drop(struct fakehttp_req *req)
{
	struct pending *p = req->internal;

	conn_close(p->c);
	finish(p);
}
