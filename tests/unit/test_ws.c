/*
 * test_ws.c - unit tests for the websocket client: a small websocket
 * server made with lws itself on a vhost of the same net (127.0.0.1, a
 * free port) on the test's own loop, and the ws client talking to it over
 * real sockets. The server obeys the text messages it gets:
 *
 *   "echo:X"   answers "X"
 *   "frag"     answers one message in 3 frames ("aaa" "bbb" "ccc")
 *   "big"      answers a message of BIG_LEN bytes (over MAX_MESSAGE)
 *   "silent"   stops reading (lws then answers no ping either)
 *   "close"    closes with SERVER_CODE "bye"
 *
 * The same server also listens with TLS on a second port, with a
 * self-signed certificate made by the openssl command for this run.
 *
 * Every run is bounded by a guard timer (GUARD_MS). Every fixture ends the
 * way drilld does: net_stop, the loop runs dry, net_free, and
 * uv_loop_close must succeed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include <libwebsockets.h>

#include "drill/log.h"
#include "drill/net.h"
#include "drill/ws.h"

#define GUARD_MS 6000		/* a run taking longer fails the test */
#define SETTLE_MS 200		/* the loop runs this long after on_close */
#define MAX_MESSAGE 1024
#define BIG_LEN 2000
#define SERVER_CODE 4001
#define CLIENT_CODE 4002
#define SRV_PROTOCOL "test-ws-server"

struct fixture;

/* One server-side connection (lws's per-session data). */
struct sess {
	struct fixture *f;
	char out[BIG_LEN + 1];	/* the reply */
	size_t out_len;
	int frag;		/* fragments of "frag" still to send: 3..1 */
	bool close;		/* close with SERVER_CODE on the next write */
	bool closing;		/* that close was sent */
};

/* The TLS server's certificate and key, made once for the run. */
static char cert_dir[64], cert_file[96], key_file[96];

struct fixture {
	uv_loop_t loop;
	struct net *net;
	struct lws_vhost *vh, *tls_vh;
	int port, tls_port;
	bool tls;		/* url_of names the TLS port */
	uv_timer_t guard, settle;
	bool timed_out, settled;
	/* what the server saw */
	int srv_peer_code;	/* close code the client sent, or 0 */
	int srv_closed;
	/* what the client saw */
	struct ws_conn *conn;
	const char *send_on_open;	/* NULL: nothing */
	bool close_on_open;
	int opens, msgs, errors, closes;
	int err_code;
	char err_msg[256];
	int close_code;
	char close_reason[128];
	char msg[BIG_LEN + 1];
	size_t msg_len;
	uint64_t t_open, t_err;
};

/* ---- the server -------------------------------------------------------- */

static int
srv_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
    void *in, size_t len)
{
	struct sess *s = user;
	struct fixture *f = lws_get_vhost_user(lws_get_vhost(wsi));
	unsigned char buf[LWS_PRE + BIG_LEN];

	switch (reason) {
	case LWS_CALLBACK_ESTABLISHED:
		memset(s, 0, sizeof(*s));
		s->f = f;
		break;
	case LWS_CALLBACK_RECEIVE:
		if (len > 5 && memcmp(in, "echo:", 5) == 0) {
			s->out_len = len - 5;
			memcpy(s->out, (char *)in + 5, s->out_len);
		} else if (len == 4 && memcmp(in, "frag", 4) == 0) {
			s->frag = 3;
		} else if (len == 3 && memcmp(in, "big", 3) == 0) {
			memset(s->out, 'x', BIG_LEN);
			s->out_len = BIG_LEN;
		} else if (len == 6 && memcmp(in, "silent", 6) == 0) {
			lws_rx_flow_control(wsi, 0);
			break;
		} else if (len == 5 && memcmp(in, "close", 5) == 0) {
			s->close = true;
		}
		lws_callback_on_writable(wsi);
		break;
	case LWS_CALLBACK_SERVER_WRITEABLE:
		if (s->close) {
			/*
			 * by hand, as ws.c does: lws_close_reason + return -1
			 * sends no close frame from WRITEABLE in lws 4.1.6
			 */
			buf[LWS_PRE] = SERVER_CODE >> 8;
			buf[LWS_PRE + 1] = SERVER_CODE & 0xff;
			memcpy(buf + LWS_PRE + 2, "bye", 3);
			s->close = false;
			s->closing = true;
			if (lws_write(wsi, buf + LWS_PRE, 5,
			    (enum lws_write_protocol)4) < 5)	/* close */
				return -1;
			break;
		}
		if (s->frag > 0) {
			int flags = s->frag == 3 ? LWS_WRITE_TEXT : LWS_WRITE_CONTINUATION;
			const char *part = s->frag == 3 ? "aaa" :
			    s->frag == 2 ? "bbb" : "ccc";

			if (s->frag > 1)
				flags |= LWS_WRITE_NO_FIN;
			memcpy(buf + LWS_PRE, part, 3);
			if (lws_write(wsi, buf + LWS_PRE, 3,
			    (enum lws_write_protocol)flags) < 3)
				return -1;
			if (--s->frag > 0)
				lws_callback_on_writable(wsi);
			break;
		}
		if (s->out_len > 0) {
			memcpy(buf + LWS_PRE, s->out, s->out_len);
			if (lws_write(wsi, buf + LWS_PRE, s->out_len, LWS_WRITE_TEXT) <
			    (int)s->out_len)
				return -1;
			s->out_len = 0;
		}
		break;
	case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
		if (s->closing)
			return -1;	/* the answer to our close */
		if (len >= 2)
			f->srv_peer_code = ((unsigned char *)in)[0] << 8 |
			    ((unsigned char *)in)[1];
		break;
	case LWS_CALLBACK_CLOSED:
		f->srv_closed++;
		break;
	default:
		break;
	}
	return lws_callback_http_dummy(wsi, reason, user, in, len);
}

/* ---- the client's callbacks -------------------------------------------- */

static void
on_open(void *arg, struct ws_conn *conn)
{
	struct fixture *f = arg;

	assert_ptr_equal(conn, f->conn);
	f->opens++;
	f->t_open = uv_now(&f->loop);
	if (f->send_on_open != NULL)
		assert_int_equal(ws_send_text(conn, f->send_on_open,
		    strlen(f->send_on_open)), 0);
	if (f->close_on_open)
		ws_close(conn, CLIENT_CODE, "client bye");
}

static void
on_message(void *arg, struct ws_conn *conn, const char *data, size_t len,
    bool binary)
{
	struct fixture *f = arg;

	assert_ptr_equal(conn, f->conn);
	assert_false(binary);
	assert_int_equal(data[len], '\0');
	f->msgs++;
	f->msg_len = len < sizeof(f->msg) - 1 ? len : sizeof(f->msg) - 1;
	memcpy(f->msg, data, f->msg_len);
	f->msg[f->msg_len] = '\0';
}

static void
on_error(void *arg, struct ws_conn *conn, int code, const char *message)
{
	struct fixture *f = arg;

	assert_ptr_equal(conn, f->conn);
	assert_int_equal(f->closes, 0);
	f->errors++;
	f->err_code = code;
	f->t_err = uv_now(&f->loop);
	snprintf(f->err_msg, sizeof(f->err_msg), "%s", message);
}

static void
on_close(void *arg, struct ws_conn *conn, int code, const char *reason)
{
	struct fixture *f = arg;

	assert_ptr_equal(conn, f->conn);
	f->closes++;
	f->close_code = code;
	snprintf(f->close_reason, sizeof(f->close_reason), "%s", reason);
}

static const struct ws_callbacks callbacks = {
	on_open, on_message, on_error, on_close
};

static const struct ws_opts opts = {MAX_MESSAGE, 500, 2000, false};

/* ---- fixtures ---------------------------------------------------------- */

static void
on_guard(uv_timer_t *t)
{
	struct fixture *f = t->data;

	f->timed_out = true;
}

static void
on_settle(uv_timer_t *t)
{
	struct fixture *f = t->data;

	f->settled = true;
}

static int
setup(void **state)
{
	static const struct lws_protocols srv = {
		SRV_PROTOCOL, srv_callback, sizeof(struct sess), 0, 0, NULL, 0
	};
	struct lws_context_creation_info info;
	char err[DRILL_ERRLEN];
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL || uv_loop_init(&f->loop) != 0)
		return -1;
	log_init("test_ws", LOGL_WARNING);
	f->net = net_new(&f->loop, err);
	if (f->net == NULL) {
		print_error("net_new: %s\n", err);
		return -1;
	}
	if (net_add_protocol(f->net, &srv) != 0)
		return -1;
	memset(&info, 0, sizeof(info));
	info.vhost_name = "test-server";
	info.iface = "127.0.0.1";
	info.port = 0;
	info.user = f;
	info.options = LWS_SERVER_OPTION_DISABLE_IPV6;
	f->vh = net_vhost_new(f->net, &info, SRV_PROTOCOL, err);
	if (f->vh == NULL) {
		print_error("net_vhost_new: %s\n", err);
		return -1;
	}
	f->port = lws_get_vhost_listen_port(f->vh);
	if (f->port <= 0)
		return -1;
	info.vhost_name = "test-tls-server";
	info.ssl_cert_filepath = cert_file;
	info.ssl_private_key_filepath = key_file;
	f->tls_vh = net_vhost_new(f->net, &info, SRV_PROTOCOL, err);
	if (f->tls_vh == NULL) {
		print_error("net_vhost_new (TLS): %s\n", err);
		return -1;
	}
	f->tls_port = lws_get_vhost_listen_port(f->tls_vh);
	if (f->tls_port <= 0)
		return -1;
	uv_timer_init(&f->loop, &f->guard);
	uv_timer_init(&f->loop, &f->settle);
	f->guard.data = f->settle.data = f;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	int rc;

	uv_close((uv_handle_t *)&f->guard, NULL);
	uv_close((uv_handle_t *)&f->settle, NULL);
	net_stop(f->net);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	net_free(f->net);
	rc = uv_loop_close(&f->loop);
	free(f);
	return rc == 0 ? 0 : -1;
}

/*
 * Connects to url and runs the loop until on_close, then SETTLE_MS more
 * (a second on_close, or the server's end, would show then). Fails the
 * test when the guard fires first.
 */
static void
run(struct fixture *f, const char *url, const struct ws_opts *o)
{
	char err[DRILL_ERRLEN] = "";

	uv_update_time(&f->loop);
	assert_int_equal(uv_timer_start(&f->guard, on_guard, GUARD_MS, 0), 0);
	assert_int_equal(ws_connect(f->net, url, o, &callbacks, f, &f->conn, err), 0);
	assert_non_null(f->conn);
	assert_int_equal(f->opens + f->errors + f->closes, 0);	/* never inside */
	while (f->closes == 0 && !f->timed_out)
		uv_run(&f->loop, UV_RUN_ONCE);
	if (f->timed_out)
		fail_msg("no on_close within %d ms (opens=%d msgs=%d errors=%d)",
		    GUARD_MS, f->opens, f->msgs, f->errors);
	assert_int_equal(uv_timer_start(&f->settle, on_settle, SETTLE_MS, 0), 0);
	while (!f->settled && !f->timed_out)
		uv_run(&f->loop, UV_RUN_ONCE);
	uv_timer_stop(&f->guard);
	assert_int_equal(f->closes, 1);
}

static void
url_of(const struct fixture *f, char *buf, size_t size)
{
	if (f->tls)
		snprintf(buf, size, "wss://127.0.0.1:%d/chat?x=1", f->tls_port);
	else
		snprintf(buf, size, "ws://127.0.0.1:%d/chat?x=1", f->port);
}

/* Closes the connection once one message came. */
static void
on_message_close(void *arg, struct ws_conn *conn, const char *data,
    size_t len, bool binary)
{
	on_message(arg, conn, data, len, binary);
	ws_close(conn, WS_CLOSE_NORMAL, "done");
}

static void
run_close_after_message(struct fixture *f, const char *send,
    const struct ws_opts *o)
{
	static const struct ws_callbacks cbs = {
		on_open, on_message_close, on_error, on_close
	};
	char url[128], err[DRILL_ERRLEN] = "";

	url_of(f, url, sizeof(url));
	f->send_on_open = send;
	uv_update_time(&f->loop);
	assert_int_equal(uv_timer_start(&f->guard, on_guard, GUARD_MS, 0), 0);
	assert_int_equal(ws_connect(f->net, url, o, &cbs, f, &f->conn, err), 0);
	while ((f->closes == 0 || f->srv_closed == 0) && !f->timed_out)
		uv_run(&f->loop, UV_RUN_ONCE);
	uv_timer_stop(&f->guard);
	if (f->timed_out)
		fail_msg("no end within %d ms (opens=%d msgs=%d errors=%d "
		    "closes=%d)", GUARD_MS, f->opens, f->msgs, f->errors, f->closes);
}

/* ---- tests ------------------------------------------------------------- */

static void
test_echo(void **state)
{
	struct fixture *f = *state;

	run_close_after_message(f, "echo:hello, world", &opts);
	assert_int_equal(f->opens, 1);
	assert_int_equal(f->msgs, 1);
	assert_string_equal(f->msg, "hello, world");
	assert_int_equal(f->errors, 0);
	assert_int_equal(f->closes, 1);
	assert_int_equal(f->close_code, WS_CLOSE_NORMAL);
	assert_int_equal(f->srv_peer_code, WS_CLOSE_NORMAL);
}

static void
test_fragments(void **state)
{
	struct fixture *f = *state;

	run_close_after_message(f, "frag", &opts);
	assert_int_equal(f->msgs, 1);
	assert_string_equal(f->msg, "aaabbbccc");
	assert_int_equal(f->errors, 0);
}

static void
test_oversized(void **state)
{
	struct fixture *f = *state;
	char url[128];

	url_of(f, url, sizeof(url));
	f->send_on_open = "big";
	run(f, url, &opts);
	assert_int_equal(f->msgs, 0);
	assert_int_equal(f->errors, 1);
	assert_int_equal(f->err_code, DRILL_ETOOBIG);
	assert_int_equal(f->close_code, WS_CLOSE_TOO_BIG);
	assert_int_equal(f->srv_peer_code, WS_CLOSE_TOO_BIG);
}

static void
test_refused(void **state)
{
	struct fixture *f = *state;
	struct sockaddr_storage ss;
	struct sockaddr_in sa;
	uv_tcp_t tcp;
	int sl = sizeof(ss);
	char url[128];

	/* a bound port nobody listens on refuses connections */
	assert_int_equal(uv_tcp_init(&f->loop, &tcp), 0);
	assert_int_equal(uv_ip4_addr("127.0.0.1", 0, &sa), 0);
	assert_int_equal(uv_tcp_bind(&tcp, (const struct sockaddr *)&sa, 0), 0);
	assert_int_equal(uv_tcp_getsockname(&tcp, (struct sockaddr *)&ss, &sl), 0);
	snprintf(url, sizeof(url), "ws://127.0.0.1:%d/",
	    ntohs(((struct sockaddr_in *)&ss)->sin_port));
	run(f, url, &opts);
	uv_close((uv_handle_t *)&tcp, NULL);
	uv_run(&f->loop, UV_RUN_NOWAIT);	/* tcp is on this stack */
	assert_int_equal(f->opens, 0);
	assert_int_equal(f->errors, 1);
	assert_int_equal(f->err_code, DRILL_EIO);
	assert_int_equal(f->close_code, WS_CLOSE_ABNORMAL);
}

static void
test_dns_failure(void **state)
{
	struct fixture *f = *state;

	run(f, "ws://no-such-host.invalid/", &opts);
	assert_int_equal(f->opens, 0);
	assert_int_equal(f->errors, 1);
	assert_int_equal(f->err_code, DRILL_ENOTFOUND);
	assert_int_equal(f->close_code, WS_CLOSE_ABNORMAL);
}

static void
test_silent_server(void **state)
{
	static const struct ws_opts o = {MAX_MESSAGE, 300, 1000, false};
	struct fixture *f = *state;
	char url[128];

	url_of(f, url, sizeof(url));
	f->send_on_open = "silent";
	run(f, url, &o);
	assert_int_equal(f->opens, 1);
	assert_int_equal(f->errors, 1);
	assert_int_equal(f->err_code, DRILL_EIO);
	assert_string_equal(f->err_msg, "timeout");
	assert_int_equal(f->close_code, WS_CLOSE_ABNORMAL);
	assert_true(f->t_err - f->t_open >= 900);
	assert_true(f->t_err - f->t_open <= 2000);
}

static void
test_server_close(void **state)
{
	struct fixture *f = *state;
	char url[128];

	url_of(f, url, sizeof(url));
	f->send_on_open = "close";
	run(f, url, &opts);
	assert_int_equal(f->opens, 1);
	assert_int_equal(f->errors, 0);
	assert_int_equal(f->close_code, SERVER_CODE);
	assert_string_equal(f->close_reason, "bye");
}

static void
test_client_close(void **state)
{
	struct fixture *f = *state;
	char url[128];

	url_of(f, url, sizeof(url));
	f->close_on_open = true;
	f->send_on_open = "echo:dropped";	/* queued, then dropped by the close */
	run(f, url, &opts);
	assert_int_equal(f->opens, 1);
	assert_int_equal(f->errors, 0);
	assert_int_equal(f->msgs, 0);
	assert_int_equal(f->close_code, CLIENT_CODE);
	assert_string_equal(f->close_reason, "client bye");
	assert_int_equal(f->srv_peer_code, CLIENT_CODE);
	assert_int_equal(f->srv_closed, 1);
}

/* wss:// with certificate checks off (ws_opts.insecure): works like ws://. */
static void
test_wss_echo(void **state)
{
	static const struct ws_opts o = {MAX_MESSAGE, 1000, 3000, true};
	struct fixture *f = *state;

	f->tls = true;
	run_close_after_message(f, "echo:over tls", &o);
	assert_int_equal(f->opens, 1);
	assert_int_equal(f->msgs, 1);
	assert_string_equal(f->msg, "over tls");
	assert_int_equal(f->errors, 0);
	assert_int_equal(f->close_code, WS_CLOSE_NORMAL);
	assert_int_equal(f->srv_peer_code, WS_CLOSE_NORMAL);
}

/* Certificates are checked by default: a self-signed one is refused. */
static void
test_wss_verifies(void **state)
{
	struct fixture *f = *state;
	char url[128];

	f->tls = true;
	url_of(f, url, sizeof(url));
	f->send_on_open = "echo:must not arrive";
	run(f, url, &opts);
	assert_int_equal(f->opens, 0);
	assert_int_equal(f->msgs, 0);
	assert_int_equal(f->errors, 1);
	assert_int_equal(f->err_code, DRILL_EIO);
	assert_non_null(strstr(f->err_msg, "TLS handshake failed"));
	assert_int_equal(f->close_code, WS_CLOSE_ABNORMAL);
}

/* TLS to a plain server, and plain to a TLS one: errors, not hangs. */
static void
test_wss_mismatch(void **state)
{
	static const struct ws_opts o = {MAX_MESSAGE, 1000, 3000, true};
	struct fixture *f = *state;
	char url[128];

	snprintf(url, sizeof(url), "wss://127.0.0.1:%d/chat", f->port);
	run(f, url, &o);
	assert_int_equal(f->opens, 0);
	assert_int_equal(f->errors, 1);
	assert_int_equal(f->close_code, WS_CLOSE_ABNORMAL);

	f->opens = f->errors = f->closes = 0;
	f->settled = false;
	snprintf(url, sizeof(url), "ws://127.0.0.1:%d/chat", f->tls_port);
	run(f, url, &o);
	assert_int_equal(f->opens, 0);
	assert_int_equal(f->errors, 1);
	assert_true(f->err_code == DRILL_EIO || f->err_code == DRILL_EPROTO);
	assert_int_equal(f->close_code, WS_CLOSE_ABNORMAL);
}

static void
test_bad_url(void **state)
{
	static const char *const bad[] = {
		"http://127.0.0.1/", "ws://", "ws:///path", "127.0.0.1:80",
		"ws://a b/", "ws://host:99999/", "wss://user@host/", "",
	};
	static const struct ws_opts bad_opts = {MAX_MESSAGE, 1000, 500, false};
	struct fixture *f = *state;
	struct ws_conn *c = (struct ws_conn *)1;
	char err[DRILL_ERRLEN];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_equal(ws_connect(f->net, bad[i], &opts, &callbacks, f,
		    &c, err), DRILL_EINVAL);
		assert_null(c);
		assert_true(err[0] != '\0');
	}
	assert_int_equal(ws_connect(f->net, "ws://127.0.0.1/", &bad_opts,
	    &callbacks, f, &c, err), DRILL_EINVAL);
	uv_run(&f->loop, UV_RUN_NOWAIT);
	assert_int_equal(f->opens + f->errors + f->closes, 0);
}

/* A self-signed EC certificate for 127.0.0.1, valid two days. */
static int
make_cert(void **state)
{
	char cmd[512];

	(void)state;
	snprintf(cert_dir, sizeof(cert_dir), "/tmp/test_ws.XXXXXX");
	if (mkdtemp(cert_dir) == NULL)
		return -1;
	snprintf(cert_file, sizeof(cert_file), "%s/cert.pem", cert_dir);
	snprintf(key_file, sizeof(key_file), "%s/key.pem", cert_dir);
	snprintf(cmd, sizeof(cmd), "openssl req -x509 -newkey ec "
	    "-pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 "
	    "-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 "
	    "-keyout %s -out %s 2>/dev/null", key_file, cert_file);
	if (system(cmd) != 0) {
		print_error("cannot make a test certificate with openssl\n");
		return -1;
	}
	return 0;
}

static int
remove_cert(void **state)
{
	(void)state;
	unlink(cert_file);
	unlink(key_file);
	rmdir(cert_dir);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_echo, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fragments, setup, teardown),
		cmocka_unit_test_setup_teardown(test_oversized, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dns_failure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_silent_server, setup, teardown),
		cmocka_unit_test_setup_teardown(test_server_close, setup, teardown),
		cmocka_unit_test_setup_teardown(test_client_close, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wss_echo, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wss_verifies, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wss_mismatch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_url, setup, teardown),
	};

	return cmocka_run_group_tests(tests, make_cert, remove_cert);
}
