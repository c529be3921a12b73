/*
 * ws.c - the websocket client of ws.h: one lws protocol ("drill-ws") on a
 * client-only vhost ("drill-ws", no listener) of the net module's context,
 * created by the first ws_connect and found again by name (no globals).
 *
 * A connection goes RESOLVING (uv_getaddrinfo on the loop's thread pool),
 * CONNECTING (lws_client_connect_via_info to the numeric address: lws
 * resolves nothing itself), OPEN, then ends in finish(), which reports
 * on_close once and frees the connection. lws ends a connection with
 * CLIENT_CONNECTION_ERROR (never established), CLIENT_CLOSED (after
 * ESTABLISHED) or, in any case, WSI_DESTROY; finish() detaches the
 * connection from its wsi so whichever comes first wins and the others see
 * nothing. The struct is the wsi's opaque user data (the protocol has no
 * per-session data of lws's own).
 *
 * Writes (queued text messages, pings, the close frame) happen in
 * CLIENT_WRITEABLE only, one lws_write per callback. Pings and the
 * hang-up are lws_sul timers (ms resolution, any frame counts as life;
 * see ws.h), cancelled in finish() before the free.
 *
 * It does not reconnect (the caller decides when), send binary messages,
 * negotiate a subprotocol or extensions, or follow redirects.
 */
#include "drill/ws.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libwebsockets.h>
#include <uv.h>

#include "drill/net.h"

#define WS_PROTOCOL "drill-ws"
#define WS_VHOST "drill-ws"
#define URL_MAX 2048		/* bytes of a URL */
#define REASON_MAX 123		/* bytes of a close reason (RFC 6455) */
#define RX_FIRST 4096		/* first size of the reassembly buffer */
#define CLOSE_ACK_S 5		/* seconds the peer has to answer our close */
/* lws 4.1's own close opcode for lws_write (its header hides the name) */
#define WS_WRITE_CLOSE ((enum lws_write_protocol)4)

enum ws_state {
	WS_RESOLVING = 0,
	WS_CONNECTING,
	WS_OPEN,
	WS_DONE
};

struct ws_msg {
	struct ws_msg *next;
	size_t len;
	unsigned char buf[];	/* LWS_PRE + len bytes */
};

struct ws_conn {
	struct net *net;
	struct ws_callbacks cb;
	void *arg;
	struct ws_opts o;
	enum ws_state state;
	char *host;		/* the URL's host, for SNI and the certificate */
	char *hostport;		/* Host and Origin: host[:port] */
	char *path;		/* starts with '/' */
	int port;
	bool tls;
	uv_getaddrinfo_t gai;
	struct lws *wsi;	/* NULL until connecting, and once detached */
	lws_sorted_usec_list_t ping_sul, hang_sul;
	bool busy;		/* inside lws_client_connect_via_info */
	bool finished;		/* on_close reported; freed when !busy */
	/* the message being reassembled */
	char *rx;
	size_t rx_len, rx_cap;
	bool rx_binary;
	/* writes */
	struct ws_msg *txh, *txt;
	bool want_ping;
	bool close_req;		/* ws_close was called */
	int close_code;		/* its code */
	char close_reason[REASON_MAX + 1];
	/* how it ended */
	bool errored;		/* on_error reported */
	int sent_code;		/* the code of the close frame we sent, or 0 */
	const char *sent_reason;
	bool peer_closed;	/* the server sent a close frame */
	int peer_code;
	char peer_reason[REASON_MAX + 1];
	const char *why;	/* on_close's reason when no frame was seen */
};

static int callback(struct lws *wsi, enum lws_callback_reasons reason,
    void *user, void *in, size_t len);

static const struct lws_protocols protocol = {
	WS_PROTOCOL, callback, 0, 0, 0, NULL, 0
};

/* ---- ending ------------------------------------------------------------ */

static void
release(struct ws_conn *c)
{
	struct ws_msg *m, *next;

	for (m = c->txh; m != NULL; m = next) {
		next = m->next;
		free(m);
	}
	free(c->rx);
	free(c->host);
	free(c->hostport);
	free(c->path);
	free(c);
}

/* Reports an error once, unless the caller asked for the close. */
static void
fail(struct ws_conn *c, int code, const char *msg)
{
	if (c->errored || c->close_req || c->finished)
		return;
	c->errored = true;
	if (c->cb.on_error != NULL)
		c->cb.on_error(c->arg, c, code, msg);
}

/*
 * The end: detaches from the wsi, cancels the timers, reports on_close
 * with the code of the close handshake (the peer's, else ours, else 1006)
 * and frees the connection (later, when inside ws's own lws call).
 */
static void
finish(struct ws_conn *c)
{
	int code = WS_CLOSE_ABNORMAL;
	const char *reason = c->why != NULL ? c->why : "";

	if (c->finished)
		return;
	c->finished = true;
	c->state = WS_DONE;
	lws_sul_cancel(&c->ping_sul);
	lws_sul_cancel(&c->hang_sul);
	if (c->wsi != NULL) {
		lws_set_opaque_user_data(c->wsi, NULL);
		c->wsi = NULL;
	}
	if (c->sent_code != 0) {
		code = c->sent_code;
		reason = c->sent_reason;
	} else if (c->peer_closed) {
		code = c->peer_code;
		reason = c->peer_reason;
	} else if (c->close_req) {
		code = c->close_code;
		reason = c->close_reason;
	}
	if (c->cb.on_close != NULL)
		c->cb.on_close(c->arg, c, code, reason);
	if (!c->busy)
		release(c);
}

/* ---- timers ------------------------------------------------------------ */

static void
on_ping(lws_sorted_usec_list_t *sul)
{
	struct ws_conn *c = lws_container_of(sul, struct ws_conn, ping_sul);

	if (c->state != WS_OPEN || c->wsi == NULL)
		return;
	c->want_ping = true;
	lws_callback_on_writable(c->wsi);
	lws_sul_schedule(lws_get_context(c->wsi), 0, &c->ping_sul, on_ping,
	    (lws_usec_t)c->o.ping_interval_ms * LWS_US_PER_MS);
}

/* Nothing came for hangup_ms: the server or the path to it is gone. */
static void
on_hangup(lws_sorted_usec_list_t *sul)
{
	struct ws_conn *c = lws_container_of(sul, struct ws_conn, hang_sul);

	if (c->state != WS_OPEN || c->wsi == NULL)
		return;
	fail(c, DRILL_EIO, "timeout");
	c->why = "timeout";
	lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
}

/* A frame arrived: the connection is alive for another hangup_ms. */
static void
alive(struct ws_conn *c, struct lws *wsi)
{
	if (c->o.hangup_ms > 0)
		lws_sul_schedule(lws_get_context(wsi), 0, &c->hang_sul, on_hangup,
		    (lws_usec_t)c->o.hangup_ms * LWS_US_PER_MS);
}

/* ---- the lws protocol -------------------------------------------------- */

/* Copies a close frame's reason, printable ASCII only. */
static void
copy_reason(char *dst, const unsigned char *p, size_t n)
{
	size_t i;

	if (n > REASON_MAX)
		n = REASON_MAX;
	for (i = 0; i < n; i++)
		dst[i] = p[i] >= 0x20 && p[i] < 0x7f ? (char)p[i] : '?';
	dst[i] = '\0';
}

/* Appends one chunk to the message; returns -1 when over max_message. */
static int
rx_append(struct ws_conn *c, const void *in, size_t len)
{
	if (len > c->o.max_message - c->rx_len)
		return -1;
	if (c->rx_len + len + 1 > c->rx_cap) {
		size_t cap = c->rx_cap > 0 ? c->rx_cap : RX_FIRST;
		char *p;

		while (cap < c->rx_len + len + 1)
			cap *= 2;
		if (cap > c->o.max_message + 1)
			cap = c->o.max_message + 1;
		p = realloc(c->rx, cap);
		if (p == NULL)
			return -2;
		c->rx = p;
		c->rx_cap = cap;
	}
	memcpy(c->rx + c->rx_len, in, len);
	c->rx_len += len;
	return 0;
}

static int
on_receive(struct ws_conn *c, struct lws *wsi, const void *in, size_t len)
{
	int rc;

	alive(c, wsi);
	if (lws_is_first_fragment(wsi)) {
		c->rx_len = 0;
		c->rx_binary = lws_frame_is_binary(wsi) != 0;
	}
	rc = rx_append(c, in, len);
	if (rc != 0) {
		if (rc == -1) {
			fail(c, DRILL_ETOOBIG, "message too big");
			lws_close_reason(wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE,
			    (unsigned char *)"message too big", 15);
			c->sent_code = WS_CLOSE_TOO_BIG;
			c->sent_reason = "message too big";
		} else {
			fail(c, DRILL_ENOMEM, "out of memory");
			c->why = "out of memory";
		}
		return -1;
	}
	if (lws_is_final_fragment(wsi) && lws_remaining_packet_payload(wsi) == 0) {
		size_t n = c->rx_len;

		if (c->rx == NULL && rx_append(c, "", 0) != 0)	/* empty message */
			return -1;
		c->rx[n] = '\0';
		c->rx_len = 0;
		if (c->cb.on_message != NULL && !c->close_req)
			c->cb.on_message(c->arg, c, c->rx, n, c->rx_binary);
	}
	return 0;
}

/* One write per call: the close frame, a ping, or one queued message. */
static int
on_writeable(struct ws_conn *c, struct lws *wsi)
{
	struct ws_msg *m;

	if (c->close_req) {
		/*
		 * The close frame, written by hand: lws_close_reason + return
		 * -1 sends one from RECEIVE but not from WRITEABLE (lws 4.1.6,
		 * tested: the socket just closes). The peer's answering close
		 * ends the connection (see PEER_INITIATED_CLOSE).
		 */
		unsigned char b[LWS_PRE + 2 + REASON_MAX];
		size_t n = strlen(c->close_reason);

		if (c->sent_code != 0)
			return 0;	/* sent; waiting for the answer */
		b[LWS_PRE] = (unsigned char)(c->close_code >> 8);
		b[LWS_PRE + 1] = (unsigned char)(c->close_code & 0xff);
		memcpy(b + LWS_PRE + 2, c->close_reason, n);
		c->sent_code = c->close_code;
		c->sent_reason = c->close_reason;
		if (lws_write(wsi, b + LWS_PRE, n + 2, WS_WRITE_CLOSE) < (int)n + 2)
			return -1;
		lws_set_timeout(wsi, PENDING_TIMEOUT_CLOSE_ACK, CLOSE_ACK_S);
		return 0;
	}
	if (c->want_ping) {
		unsigned char b[LWS_PRE + 1];

		c->want_ping = false;
		if (lws_write(wsi, b + LWS_PRE, 0, LWS_WRITE_PING) < 0)
			goto wfail;
	} else if ((m = c->txh) != NULL) {
		c->txh = m->next;
		if (c->txh == NULL)
			c->txt = NULL;
		if (lws_write(wsi, m->buf + LWS_PRE, m->len, LWS_WRITE_TEXT) <
		    (int)m->len) {
			free(m);
			goto wfail;
		}
		free(m);
	}
	if (c->txh != NULL || c->want_ping)
		lws_callback_on_writable(wsi);
	return 0;
wfail:
	fail(c, DRILL_EIO, "write failed");
	return -1;
}

static int
callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
    void *in, size_t len)
{
	struct ws_conn *c = lws_get_opaque_user_data(wsi);

	(void)user;
	switch (reason) {
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		if (c == NULL)
			break;
		{
			const char *msg = in != NULL ? (const char *)in :
			    "connection failed";
			char buf[256];

			/* lws's own words for a TLS failure are OpenSSL's
			 * error numbers ("connect SSL err 1: ..."): say
			 * what it means to whoever reads the log */
			if (strstr(msg, "SSL") != NULL || strstr(msg, "ssl") != NULL) {
				snprintf(buf, sizeof(buf), "TLS handshake failed "
				    "(untrusted or wrong certificate, or the server "
				    "does not speak TLS): %s", msg);
				msg = buf;
			}
			fail(c, strncmp(msg, "HS:", 3) == 0 ||
			    strncmp(msg, "ws protocol", 11) == 0 ?
			    DRILL_EPROTO : DRILL_EIO, msg);
		}
		finish(c);
		break;
	case LWS_CALLBACK_CLIENT_ESTABLISHED:
		if (c == NULL)
			return -1;
		c->state = WS_OPEN;
		if (c->o.ping_interval_ms > 0)
			lws_sul_schedule(lws_get_context(wsi), 0, &c->ping_sul,
			    on_ping, (lws_usec_t)c->o.ping_interval_ms *
			    LWS_US_PER_MS);
		alive(c, wsi);
		if (c->cb.on_open != NULL && !c->close_req)
			c->cb.on_open(c->arg, c);
		if (c->txh != NULL || c->close_req)
			lws_callback_on_writable(wsi);
		break;
	case LWS_CALLBACK_CLIENT_RECEIVE:
		if (c == NULL)
			return -1;
		return on_receive(c, wsi, in, len);
	case LWS_CALLBACK_CLIENT_RECEIVE_PONG:
		if (c != NULL)
			alive(c, wsi);
		break;
	case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
		if (c == NULL)
			break;
		alive(c, wsi);
		c->peer_closed = true;
		if (len >= 2) {
			const unsigned char *p = in;

			c->peer_code = p[0] << 8 | p[1];
			copy_reason(c->peer_reason, p + 2, len - 2);
		} else
			c->peer_code = LWS_CLOSE_STATUS_NO_STATUS;
		/* the answer to our close: done; else lws echoes it, closes */
		return c->sent_code != 0 ? -1 : 0;
	case LWS_CALLBACK_CLIENT_WRITEABLE:
		if (c == NULL)
			return -1;
		return on_writeable(c, wsi);
	case LWS_CALLBACK_CLIENT_CLOSED:
	case LWS_CALLBACK_WSI_DESTROY:
		if (c == NULL)
			break;
		/* no close frame either way and not asked for: a failure */
		if (!c->peer_closed && c->sent_code == 0)
			fail(c, DRILL_EIO, c->state == WS_OPEN ?
			    "connection lost" : "connection failed");
		finish(c);
		break;
	default:
		break;
	}
	return 0;
}

/* ---- connecting -------------------------------------------------------- */

/* The client vhost, created on first use. */
static struct lws_vhost *
client_vhost(struct net *net, char err[DRILL_ERRLEN])
{
	struct lws_context_creation_info info;
	struct lws_context *cx = net_context(net);
	struct lws_vhost *vh;
	int rc;

	if (cx == NULL) {
		drill_seterr(err, "the network layer is not running");
		return NULL;
	}
	vh = lws_get_vhost_by_name(cx, WS_VHOST);
	if (vh != NULL)
		return vh;
	rc = net_add_protocol(net, &protocol);
	if (rc != 0 && rc != DRILL_EEXIST) {
		drill_seterr(err, "cannot add the websocket protocol: %s",
		    drill_strerror(rc));
		return NULL;
	}
	memset(&info, 0, sizeof(info));
	info.vhost_name = WS_VHOST;
	info.port = CONTEXT_PORT_NO_LISTEN;
	return net_vhost_new(net, &info, WS_PROTOCOL, err);
}

static void
on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
	struct ws_conn *c = req->data;
	struct lws_client_connect_info i;
	struct lws_context *cx;
	struct lws_vhost *vh;
	char addr[INET6_ADDRSTRLEN + 1] = "";
	char err[DRILL_ERRLEN];
	int rc = -1;

	if (status == 0 && res != NULL) {
		if (res->ai_family == AF_INET)
			rc = uv_ip4_name((const struct sockaddr_in *)res->ai_addr,
			    addr, sizeof(addr));
		else if (res->ai_family == AF_INET6)
			rc = uv_ip6_name((const struct sockaddr_in6 *)res->ai_addr,
			    addr, sizeof(addr));
	}
	if (res != NULL)
		uv_freeaddrinfo(res);
	if (c->close_req) {
		finish(c);
		return;
	}
	if (status != 0 || rc != 0) {
		snprintf(err, sizeof(err), "cannot resolve %s: %s", c->host,
		    status != 0 ? uv_strerror(status) : "no usable address");
		fail(c, DRILL_ENOTFOUND, err);
		finish(c);
		return;
	}
	cx = net_context(c->net);
	vh = client_vhost(c->net, err);
	if (cx == NULL || vh == NULL) {
		fail(c, DRILL_EIO, cx == NULL ? "the network layer is not running" :
		    err);
		finish(c);
		return;
	}

	memset(&i, 0, sizeof(i));
	i.context = cx;
	i.vhost = vh;
	i.address = addr;		/* numeric: lws resolves nothing */
	i.port = c->port;
	i.path = c->path;
	i.host = c->tls ? c->host : c->hostport;	/* SNI + certificate name */
	i.origin = c->hostport;
	if (c->tls) {
		i.ssl_connection = LCCSCF_USE_SSL;
		if (c->o.insecure)
			i.ssl_connection |= LCCSCF_ALLOW_SELFSIGNED |
			    LCCSCF_SKIP_SERVER_CERT_HOSTNAME_CHECK |
			    LCCSCF_ALLOW_EXPIRED;
		i.alpn = "http/1.1";
	}
	i.local_protocol_name = WS_PROTOCOL;
	i.opaque_user_data = c;
	i.pwsi = &c->wsi;
	c->state = WS_CONNECTING;
	c->busy = true;
	if (lws_client_connect_via_info(&i) == NULL && !c->finished) {
		/* no callback comes for this (protocols.md C.4) */
		c->wsi = NULL;
		fail(c, DRILL_EIO, "cannot start the connection");
		finish(c);
	}
	c->busy = false;
	if (c->finished)
		release(c);
}

static char *
xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = malloc(n);

	if (d != NULL)
		memcpy(d, s, n);
	return d;
}

/* Whether s is a plausible host name or address: no spaces or controls. */
static bool
host_ok(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f ||
		    strchr("/?#@\\", *s) != NULL)
			return false;
	return true;
}

int
ws_connect(struct net *net, const char *url, const struct ws_opts *opts,
    const struct ws_callbacks *cb, void *arg, struct ws_conn **conn,
    char err[DRILL_ERRLEN])
{
	char tmp[URL_MAX];
	const char *prot, *ads, *p;
	char portstr[8];
	struct addrinfo hints;
	struct ws_conn *c;
	size_t n;
	int port, rc;

	if (conn != NULL)
		*conn = NULL;
	if (net == NULL || url == NULL || opts == NULL || cb == NULL ||
	    conn == NULL) {
		drill_seterr(err, "missing argument");
		return DRILL_EINVAL;
	}
	if (opts->max_message == 0 || opts->max_message > SIZE_MAX / 4 ||
	    (opts->ping_interval_ms > 0 && opts->ping_interval_ms < 100) ||
	    (opts->hangup_ms > 0 && opts->hangup_ms <= opts->ping_interval_ms)) {
		drill_seterr(err, "bad websocket options");
		return DRILL_EINVAL;
	}
	if (net_context(net) == NULL) {
		drill_seterr(err, "the network layer is not running");
		return DRILL_EINVAL;
	}
	n = strlen(url);
	if (n >= sizeof(tmp) || (strncmp(url, "ws://", 5) != 0 &&
	    strncmp(url, "wss://", 6) != 0)) {
		drill_seterr(err, "not a ws:// or wss:// URL");
		return DRILL_EINVAL;
	}
	for (size_t k = 0; k < n; k++)
		if ((unsigned char)url[k] <= 0x20 || (unsigned char)url[k] >= 0x7f) {
			drill_seterr(err, "bad byte in the URL");
			return DRILL_EINVAL;
		}
	memcpy(tmp, url, n + 1);
	if (lws_parse_uri(tmp, &prot, &ads, &port, &p) != 0 || !host_ok(ads) ||
	    port <= 0 || port > 65535 ||
	    (strcmp(prot, "ws") != 0 && strcmp(prot, "wss") != 0)) {
		drill_seterr(err, "bad websocket URL");
		return DRILL_EINVAL;
	}

	c = calloc(1, sizeof(*c));
	if (c == NULL)
		goto nomem;
	c->net = net;
	c->cb = *cb;
	c->arg = arg;
	c->o = *opts;
	c->tls = strcmp(prot, "wss") == 0;
	c->port = port;
	c->host = xstrdup(ads);
	n = strlen(ads) + strlen(p) + 16;
	c->hostport = malloc(n);
	c->path = malloc(strlen(p) + 2);
	if (c->host == NULL || c->hostport == NULL || c->path == NULL)
		goto nomem;
	if (port == (c->tls ? 443 : 80))
		snprintf(c->hostport, n, "%s", ads);
	else
		snprintf(c->hostport, n, "%s:%d", ads, port);
	snprintf(c->path, strlen(p) + 2, "/%s", p);	/* lws drops the '/' */
	snprintf(portstr, sizeof(portstr), "%d", port);

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	c->gai.data = c;
	rc = uv_getaddrinfo(net_loop(net), &c->gai, on_resolved, c->host,
	    portstr, &hints);
	if (rc != 0) {
		drill_seterr(err, "cannot resolve %s: %s", c->host, uv_strerror(rc));
		release(c);
		return rc == UV_ENOMEM ? DRILL_ENOMEM : DRILL_EINVAL;
	}
	*conn = c;
	return 0;
nomem:
	if (c != NULL)
		release(c);
	drill_seterr(err, "out of memory");
	return DRILL_ENOMEM;
}

int
ws_send_text(struct ws_conn *c, const char *data, size_t len)
{
	struct ws_msg *m;

	if (c == NULL || (data == NULL && len > 0) || c->close_req ||
	    c->finished || len > SIZE_MAX - sizeof(*m) - LWS_PRE)
		return DRILL_EINVAL;
	m = malloc(sizeof(*m) + LWS_PRE + len);
	if (m == NULL)
		return DRILL_ENOMEM;
	m->next = NULL;
	m->len = len;
	if (len > 0)
		memcpy(m->buf + LWS_PRE, data, len);
	if (c->txt != NULL)
		c->txt->next = m;
	else
		c->txh = m;
	c->txt = m;
	if (c->state == WS_OPEN && c->wsi != NULL)
		lws_callback_on_writable(c->wsi);
	return 0;
}

void
ws_close(struct ws_conn *c, int code, const char *reason)
{
	size_t n;

	if (c == NULL || c->close_req || c->finished)
		return;
	if (code < 1000 || code > 4999 || code == WS_CLOSE_ABNORMAL ||
	    code == LWS_CLOSE_STATUS_NO_STATUS)
		code = WS_CLOSE_NORMAL;
	c->close_req = true;
	c->close_code = code;
	n = reason != NULL ? strlen(reason) : 0;
	copy_reason(c->close_reason, (const unsigned char *)(reason != NULL ?
	    reason : ""), n);
	switch (c->state) {
	case WS_RESOLVING:
		(void)uv_cancel((uv_req_t *)&c->gai);	/* on_resolved still runs */
		break;
	case WS_CONNECTING:
		if (c->wsi != NULL)
			lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK,
			    LWS_TO_KILL_ASYNC);
		break;
	case WS_OPEN:
		if (c->wsi != NULL)
			lws_callback_on_writable(c->wsi);
		break;
	case WS_DONE:
		break;
	}
}
