/*
 * Tests for ctl.c: the control socket served on the test's own loop, with
 * clients on the same loop (uv_pipe_connect). Round trips, every kind of bad
 * request, the size limit, the read timeout (200 ms here), deferred replies,
 * the connection limit, the socket's mode, a stale socket replaced, a live
 * one refused, and the file gone after ctl_close.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>

#include <json-c/json.h>
#include <uv.h>

#include "drill/ctl.h"

#define TIMEOUT_MS 200
#define GUARD_MS 5000

struct fx {
	uv_loop_t loop;
	char dir[32];
	char path[64];
	struct ctl *ctl;
	int calls;			/* handler calls */
	char last_command[32];
	uv_timer_t later;		/* replies to a deferred request */
	struct ctl_req *pending;
	bool keep_pending;		/* "never" leaves the request unanswered */
};

struct client {
	uv_pipe_t pipe;
	uv_connect_t creq;
	uv_write_t wreq;
	uv_shutdown_t sreq;
	const char *data;
	size_t len;
	bool shut;			/* shut down the write side after the data */
	char reply[8192];
	size_t rlen;
	int connect_status, write_status;
	ssize_t read_end;		/* UV_EOF or the error that ended reading */
	bool connected, closed;
	uint64_t started, closed_at;	/* uv_now, ms */
};

/* ------------------------------------------------------------------ */
/* Handlers */

static struct json_object *
h_status(void *arg, struct ctl_req *req, struct json_object *request)
{
	struct fx *fx = arg;
	struct json_object *o = json_object_new_object(), *cmd;

	(void)req;
	fx->calls++;
	assert_true(json_object_object_get_ex(request, "command", &cmd));
	snprintf(fx->last_command, sizeof(fx->last_command), "%s", json_object_get_string(cmd));
	json_object_object_add(o, "version", json_object_new_string("test"));
	json_object_object_add(o, "questions", json_object_new_int(3));
	return o;		/* no "ok": ctl adds it */
}

static void
on_later(uv_timer_t *t)
{
	struct fx *fx = t->data;
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "ok", json_object_new_boolean(1));
	json_object_object_add(o, "done", json_object_new_boolean(1));
	ctl_reply(fx->pending, o);
	fx->pending = NULL;
}

/* Defers, then replies 20 ms later (or never, with keep_pending). */
static struct json_object *
h_later(void *arg, struct ctl_req *req, struct json_object *request)
{
	struct fx *fx = arg;

	(void)request;
	fx->calls++;
	ctl_req_defer(req);
	fx->pending = req;
	if (!fx->keep_pending)
		uv_timer_start(&fx->later, on_later, 20, 0);
	return NULL;
}

static struct json_object *
h_null(void *arg, struct ctl_req *req, struct json_object *request)
{
	(void)req;
	(void)request;
	((struct fx *)arg)->calls++;
	return NULL;		/* neither a reply nor deferred: out of memory */
}

static struct json_object *
h_array(void *arg, struct ctl_req *req, struct json_object *request)
{
	(void)req;
	(void)request;
	((struct fx *)arg)->calls++;
	return json_object_new_array();
}

/* ------------------------------------------------------------------ */
/* Fixture */

static int
open_fx(struct fx *fx, size_t max_conns)
{
	struct ctl_opts o = {.timeout_ms = TIMEOUT_MS, .max_conns = max_conns};
	char err[DRILL_ERRLEN] = "";
	int rc;

	rc = ctl_open(&fx->loop, fx->dir, &o, &fx->ctl, err);
	if (rc != 0) {
		print_error("ctl_open: %s\n", err);
		return rc;
	}
	if (ctl_register(fx->ctl, "status", h_status, fx) != 0 ||
	    ctl_register(fx->ctl, "later", h_later, fx) != 0 ||
	    ctl_register(fx->ctl, "null", h_null, fx) != 0 ||
	    ctl_register(fx->ctl, "array", h_array, fx) != 0)
		return -1;
	return 0;
}

static int
setup_n(void **state, size_t max_conns)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	if (fx == NULL || uv_loop_init(&fx->loop) != 0)
		return -1;
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/test_ctl.XXXXXX");
	if (mkdtemp(fx->dir) == NULL)
		return -1;
	snprintf(fx->path, sizeof(fx->path), "%s/%s", fx->dir, CTL_SOCKET_NAME);
	uv_timer_init(&fx->loop, &fx->later);
	fx->later.data = fx;
	*state = fx;
	return open_fx(fx, max_conns);
}

static int
setup(void **state)
{
	return setup_n(state, 0);
}

static int
setup_two(void **state)
{
	return setup_n(state, 2);
}

static int
teardown(void **state)
{
	struct fx *fx = *state;

	ctl_close(fx->ctl);
	uv_close((uv_handle_t *)&fx->later, NULL);
	uv_run(&fx->loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&fx->loop), 0);	/* every handle closed */
	unlink(fx->path);
	assert_int_equal(rmdir(fx->dir), 0);
	free(fx);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Client on the same loop */

static void
on_client_closed(uv_handle_t *h)
{
	struct client *cl = h->data;

	cl->closed = true;
	cl->closed_at = uv_now(h->loop);
}

static void
on_client_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct client *cl = h->data;

	(void)suggested;
	if (cl->rlen >= sizeof(cl->reply) - 1)
		*buf = uv_buf_init(NULL, 0);
	else
		*buf = uv_buf_init(cl->reply + cl->rlen, (unsigned)(sizeof(cl->reply) - 1 - cl->rlen));
}

static void
on_client_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct client *cl = s->data;

	(void)buf;
	if (nread > 0) {
		cl->rlen += (size_t)nread;
		cl->reply[cl->rlen] = '\0';
		return;
	}
	if (nread < 0) {
		cl->read_end = nread;
		uv_close((uv_handle_t *)&cl->pipe, on_client_closed);
	}
}

static void
on_client_written(uv_write_t *w, int status)
{
	struct client *cl = w->data;

	cl->write_status = status;
}

static void
on_client_shut(uv_shutdown_t *r, int status)
{
	(void)r;
	(void)status;
}

static void
on_client_connected(uv_connect_t *c, int status)
{
	struct client *cl = c->data;
	uv_buf_t b;

	cl->connect_status = status;
	cl->connected = true;
	if (status < 0) {
		uv_close((uv_handle_t *)&cl->pipe, on_client_closed);
		return;
	}
	uv_read_start((uv_stream_t *)&cl->pipe, on_client_alloc, on_client_read);
	if (cl->len > 0) {
		b = uv_buf_init((char *)(uintptr_t)cl->data, (unsigned)cl->len);
		cl->wreq.data = cl;
		uv_write(&cl->wreq, (uv_stream_t *)&cl->pipe, &b, 1, on_client_written);
	}
	if (cl->shut)
		uv_shutdown(&cl->sreq, (uv_stream_t *)&cl->pipe, on_client_shut);
}

static void
client_start(struct fx *fx, struct client *cl, const char *data, size_t len, bool shut)
{
	memset(cl, 0, sizeof(*cl));
	cl->data = data;
	cl->len = len;
	cl->shut = shut;
	cl->started = uv_now(&fx->loop);
	uv_pipe_init(&fx->loop, &cl->pipe, 0);
	cl->pipe.data = cl->creq.data = cl;
	uv_pipe_connect(&cl->creq, &cl->pipe, fx->path, on_client_connected);
}

static void
on_guard(uv_timer_t *t)
{
	*(bool *)t->data = true;
}

/* Runs the loop until *done, failing after GUARD_MS. */
static void
run_until(struct fx *fx, const bool *done)
{
	uv_timer_t guard;
	bool expired = false;

	uv_timer_init(&fx->loop, &guard);
	guard.data = &expired;
	uv_timer_start(&guard, on_guard, GUARD_MS, 0);
	while (!*done && !expired)
		uv_run(&fx->loop, UV_RUN_ONCE);
	uv_close((uv_handle_t *)&guard, NULL);
	uv_run(&fx->loop, UV_RUN_NOWAIT);
	assert_false(expired);
}

/* Sends data, waits for the close, returns the parsed one-line reply (caller puts). */
static struct json_object *
roundtrip(struct fx *fx, const char *data, size_t len, bool shut)
{
	struct client cl;

	client_start(fx, &cl, data, len, shut);
	run_until(fx, &cl.closed);
	assert_int_equal(cl.connect_status, 0);
	assert_true(cl.rlen > 0);
	assert_int_equal(cl.reply[cl.rlen - 1], '\n');	/* one line */
	assert_null(memchr(cl.reply, '\n', cl.rlen - 1));
	return json_tokener_parse(cl.reply);
}

static struct json_object *
roundtrip_str(struct fx *fx, const char *s)
{
	return roundtrip(fx, s, strlen(s), false);
}

static bool
reply_ok(struct json_object *o)
{
	struct json_object *ok;

	assert_non_null(o);
	assert_true(json_object_object_get_ex(o, "ok", &ok));
	assert_true(json_object_is_type(ok, json_type_boolean));
	return json_object_get_boolean(ok);
}

/* Asserts o is {"ok":false,"error":"...want..."} and releases it. */
static void
expect_error(struct json_object *o, const char *want)
{
	struct json_object *e;

	assert_false(reply_ok(o));
	assert_true(json_object_object_get_ex(o, "error", &e));
	if (strstr(json_object_get_string(e), want) == NULL)
		fail_msg("error \"%s\" lacks \"%s\"", json_object_get_string(e), want);
	json_object_put(o);
}

/* ------------------------------------------------------------------ */
/* Tests */

static void
test_status_roundtrip(void **state)
{
	struct fx *fx = *state;
	struct json_object *o, *v;
	const char *s;

	/* Framed by a newline; anything after it is ignored. */
	o = roundtrip_str(fx, "{\"command\":\"status\"}\nrubbish");
	assert_true(reply_ok(o));
	assert_true(json_object_object_get_ex(o, "version", &v));
	assert_string_equal(json_object_get_string(v), "test");
	assert_true(json_object_object_get_ex(o, "questions", &v));
	assert_int_equal(json_object_get_int(v), 3);
	json_object_put(o);
	assert_int_equal(fx->calls, 1);
	assert_string_equal(fx->last_command, "status");

	/* Framed by the end of the stream, with spaces and extra fields. */
	s = " { \"command\" : \"status\", \"x\": [1, {\"y\": null}] } ";
	o = roundtrip(fx, s, strlen(s), true);
	assert_true(reply_ok(o));
	json_object_put(o);
	assert_int_equal(fx->calls, 2);
}

static void
test_unknown_command(void **state)
{
	struct fx *fx = *state;

	expect_error(roundtrip_str(fx, "{\"command\":\"reboot\"}\n"), "unknown command");
	expect_error(roundtrip_str(fx, "{\"command\":\"STATUS\"}\n"), "known commands: status");
	/* A NUL inside the name does not make it "status". */
	expect_error(roundtrip_str(fx, "{\"command\":\"status\\u0000x\"}\n"), "unknown command");
	assert_int_equal(fx->calls, 0);
}

static void
test_bad_requests(void **state)
{
	static const struct {
		const char *req;
		size_t len;	/* 0: strlen */
		const char *want;
	} cases[] = {
		{"{\"command\":\n", 0, "incomplete JSON"},
		{"{\"command\" \"status\"}\n", 0, "invalid JSON"},
		{"{\"command\":\"st\xff\x61tus\"}\n", 0, "not valid UTF-8"},
		{"{\"command\":\"\xc0\xaf\"}\n", 0, "not valid UTF-8"},	/* overlong */
		{"{\"command\":\"\xed\xa0\x80\"}\n", 0, "not valid UTF-8"},	/* surrogate */
		{"{\"command\":\"\xf4\x90\x80\x80\"}\n", 0, "not valid UTF-8"},	/* > U+10FFFF */
		{"[\"status\"]\n", 0, "must be a JSON object"},
		{"\"status\"\n", 0, "must be a JSON object"},
		{"42\n", 0, "must be a JSON object"},
		{"{}\n", 0, "\"command\" string"},
		{"{\"command\":5}\n", 0, "\"command\" string"},
		{"{\"command\":[\"status\"]}\n", 0, "\"command\" string"},
		{"{\"command\":\"status\",\"n\":NaN}\n", 0, "not finite"},
		{"{\"command\":\"status\",\"n\":[-Infinity]}\n", 0, "not finite"},
		{"{\"command\":\"status\",\"n\":1e999}\n", 0, "not finite"},
		{"{\"command\":\"status\"} {}\n", 0, "invalid JSON"},
		{"{\"command\":\"status\",}\n", 0, "invalid JSON"},
		{"{\"command\":\"status\"\0}\n", 22, "NUL byte"},
		{"\n", 0, "empty request"},
		{"   \r\n", 0, "empty request"},
	};

	struct fx *fx = *state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len = cases[i].len ? cases[i].len : strlen(cases[i].req);
		expect_error(roundtrip(fx, cases[i].req, len, false), cases[i].want);
	}
	/* Nothing at all, then the end of the stream. */
	expect_error(roundtrip(fx, "", 0, true), "empty request");
	/* Nesting deeper than the tokenizer allows. */
	expect_error(roundtrip_str(fx, "{\"command\":\"status\",\"a\":[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]}\n"),
	    "invalid JSON");
	assert_int_equal(fx->calls, 0);

	/* A handler that fails, or returns something that is not an object. */
	expect_error(roundtrip_str(fx, "{\"command\":\"null\"}\n"), "out of memory");
	expect_error(roundtrip_str(fx, "{\"command\":\"array\"}\n"), "not an object");

	/* And the server still answers. */
	struct json_object *o = roundtrip_str(fx, "{\"command\":\"status\"}\n");
	assert_true(reply_ok(o));
	json_object_put(o);
}

static void
test_too_large(void **state)
{
	struct fx *fx = *state;
	const size_t size = 1u << 20;
	char *big = malloc(size);
	struct json_object *o;
	struct client cl;

	assert_non_null(big);
	memset(big, 'a', size);
	memcpy(big, "{\"command\":\"status\",\"x\":\"", 25);
	client_start(fx, &cl, big, size, false);
	run_until(fx, &cl.closed);
	assert_int_equal(cl.connect_status, 0);
	/* The reply comes, then the end (a reset: the rest was never read). */
	assert_non_null(strstr(cl.reply, "request too large: more than 65536 bytes"));
	assert_non_null(strstr(cl.reply, "\"ok\":false"));
	assert_true(cl.read_end < 0);
	free(big);
	assert_int_equal(fx->calls, 0);

	/* Exactly at the limit is fine: 65536 bytes of request plus the newline. */
	big = malloc(CTL_MAX_REQUEST + 1);
	assert_non_null(big);
	memset(big, ' ', CTL_MAX_REQUEST + 1);
	memcpy(big, "{\"command\":\"status\"}", 20);
	big[CTL_MAX_REQUEST] = '\n';
	o = roundtrip(fx, big, CTL_MAX_REQUEST + 1, false);
	assert_true(reply_ok(o));
	json_object_put(o);
	/* One more byte is not. */
	big[CTL_MAX_REQUEST] = ' ';
	expect_error(roundtrip(fx, big, CTL_MAX_REQUEST + 1, true), "too large");
	free(big);

	o = roundtrip_str(fx, "{\"command\":\"status\"}\n");
	assert_true(reply_ok(o));
	json_object_put(o);
}

static void
test_silent_client_timed_out(void **state)
{
	struct fx *fx = *state;
	struct client cl;
	uint64_t took;

	client_start(fx, &cl, "", 0, false);
	run_until(fx, &cl.closed);
	took = cl.closed_at - cl.started;
	assert_true(took >= TIMEOUT_MS - 20);
	assert_true(took < 2000);
	assert_non_null(strstr(cl.reply, "timed out"));
	assert_int_equal(cl.read_end, UV_EOF);

	/* Half a request, then silence: the same. */
	client_start(fx, &cl, "{\"command\":", 11, false);
	run_until(fx, &cl.closed);
	assert_non_null(strstr(cl.reply, "timed out"));
	assert_int_equal(fx->calls, 0);
}

static void
test_deferred_reply(void **state)
{
	struct fx *fx = *state;
	struct json_object *o, *v;
	struct client cl;

	o = roundtrip_str(fx, "{\"command\":\"later\"}\n");
	assert_true(reply_ok(o));
	assert_true(json_object_object_get_ex(o, "done", &v));
	json_object_put(o);
	assert_null(fx->pending);

	/* A deferred request that is not answered in time gets an error; the
	 * late ctl_reply is dropped (and frees the request). */
	fx->keep_pending = true;
	client_start(fx, &cl, "{\"command\":\"later\"}\n", 20, false);
	run_until(fx, &cl.closed);
	assert_non_null(strstr(cl.reply, "did not answer within 200 ms"));
	assert_non_null(fx->pending);
	ctl_reply(fx->pending, json_object_new_object());
	fx->pending = NULL;

	/* One still pending when the server closes: ctl_reply afterwards frees it. */
	client_start(fx, &cl, "{\"command\":\"later\"}\n", 20, false);
	while (fx->pending == NULL)
		uv_run(&fx->loop, UV_RUN_ONCE);
	ctl_close(fx->ctl);
	fx->ctl = NULL;
	run_until(fx, &cl.closed);
	uv_run(&fx->loop, UV_RUN_NOWAIT);
	ctl_reply(fx->pending, json_object_new_object());
	fx->pending = NULL;
}

static void
test_busy(void **state)
{
	struct fx *fx = *state;
	struct client idle[2];
	struct json_object *o;

	/* Two idle clients fill the server (max_conns 2); the third is turned away. */
	client_start(fx, &idle[0], "", 0, false);
	client_start(fx, &idle[1], "", 0, false);
	run_until(fx, &idle[0].connected);
	run_until(fx, &idle[1].connected);
	expect_error(roundtrip_str(fx, "{\"command\":\"status\"}\n"), "busy");
	run_until(fx, &idle[0].closed);
	run_until(fx, &idle[1].closed);
	assert_non_null(strstr(idle[0].reply, "timed out"));
	/* Free again. */
	o = roundtrip_str(fx, "{\"command\":\"status\"}\n");
	assert_true(reply_ok(o));
	json_object_put(o);
}

static void
test_socket_mode_0600(void **state)
{
	struct fx *fx = *state;
	struct ctl *c2 = NULL;
	char dir[64], path[128], err[DRILL_ERRLEN];
	struct stat sb;
	mode_t old;

	assert_int_equal(stat(fx->path, &sb), 0);
	assert_true(S_ISSOCK(sb.st_mode));
	assert_int_equal(sb.st_mode & 07777, 0600);

	/* Even in a world-writable directory with umask 0. */
	snprintf(dir, sizeof(dir), "/tmp/test_ctl.XXXXXX");
	assert_non_null(mkdtemp(dir));
	assert_int_equal(chmod(dir, 0777), 0);
	old = umask(0);
	assert_int_equal(ctl_open(&fx->loop, dir, NULL, &c2, err), 0);
	assert_int_equal(umask(old), 0);	/* the process umask is restored */
	snprintf(path, sizeof(path), "%s/%s", dir, CTL_SOCKET_NAME);
	assert_string_equal(ctl_path(c2), path);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0600);

	/* ctl_close removes the file. */
	ctl_close(c2);
	assert_int_equal(stat(path, &sb), -1);
	uv_run(&fx->loop, UV_RUN_NOWAIT);
	assert_int_equal(rmdir(dir), 0);
}

static void
test_stale_socket_replaced(void **state)
{
	struct fx *fx = *state;
	struct sockaddr_un sa;
	struct json_object *o;
	int fd;

	/* A crashed daemon: its socket file stays, nothing listens. */
	ctl_close(fx->ctl);
	uv_run(&fx->loop, UV_RUN_NOWAIT);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, fx->path, strlen(fx->path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	assert_int_equal(access(fx->path, F_OK), 0);

	fx->ctl = NULL;
	assert_int_equal(open_fx(fx, 0), 0);
	o = roundtrip_str(fx, "{\"command\":\"status\"}\n");
	assert_true(reply_ok(o));
	json_object_put(o);
}

static void
test_live_socket_refused(void **state)
{
	struct fx *fx = *state;
	struct ctl *c2 = (struct ctl *)1;
	struct json_object *o;
	char err[DRILL_ERRLEN] = "";
	struct stat before, after;

	assert_int_equal(stat(fx->path, &before), 0);
	assert_int_equal(ctl_open(&fx->loop, fx->dir, NULL, &c2, err), DRILL_EEXIST);
	assert_null(c2);
	assert_non_null(strstr(err, "another drilld is already running"));
	assert_non_null(strstr(err, fx->path));
	assert_int_equal(stat(fx->path, &after), 0);
	assert_int_equal(before.st_ino, after.st_ino);	/* left alone */
	o = roundtrip_str(fx, "{\"command\":\"status\"}\n");
	assert_true(reply_ok(o));
	json_object_put(o);

	/* With its file gone, the running one still holds state_dir's lock. */
	assert_int_equal(unlink(fx->path), 0);
	assert_int_equal(ctl_open(&fx->loop, fx->dir, NULL, &c2, err), DRILL_EEXIST);
	assert_non_null(strstr(err, "holds the directory's lock"));
	assert_int_equal(stat(fx->path, &after), -1);
}

static void
test_not_a_socket_or_too_long(void **state)
{
	struct fx *fx = *state;
	struct ctl *c2 = NULL;
	char err[DRILL_ERRLEN] = "", dir[64], path[128], longdir[200];
	FILE *f;

	snprintf(dir, sizeof(dir), "/tmp/test_ctl.XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/%s", dir, CTL_SOCKET_NAME);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("precious\n", f);
	fclose(f);
	assert_int_equal(ctl_open(&fx->loop, dir, NULL, &c2, err), DRILL_EINVAL);
	assert_non_null(strstr(err, "is not a socket"));
	assert_int_equal(access(path, F_OK), 0);	/* left alone */
	unlink(path);

	memset(longdir, 'd', sizeof(longdir) - 1);
	longdir[sizeof(longdir) - 1] = '\0';
	memcpy(longdir, dir, strlen(dir));
	longdir[strlen(dir)] = '/';
	assert_int_equal(ctl_open(&fx->loop, longdir, NULL, &c2, err), DRILL_EINVAL);
	assert_non_null(strstr(err, "too long"));

	assert_int_equal(ctl_open(&fx->loop, "/nonexistent/dir", NULL, &c2, err), DRILL_EIO);
	assert_int_equal(rmdir(dir), 0);
}

static void
test_register(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(ctl_register(fx->ctl, "status", h_status, fx), DRILL_EEXIST);
	assert_int_equal(ctl_register(fx->ctl, "", h_status, fx), DRILL_EINVAL);
	assert_int_equal(ctl_register(fx->ctl, "x", NULL, fx), DRILL_EINVAL);
	expect_error(ctl_error("bad %s %d", "thing", 7), "bad thing 7");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_status_roundtrip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_command, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_requests, setup, teardown),
		cmocka_unit_test_setup_teardown(test_too_large, setup, teardown),
		cmocka_unit_test_setup_teardown(test_silent_client_timed_out, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deferred_reply, setup, teardown),
		cmocka_unit_test_setup_teardown(test_busy, setup_two, teardown),
		cmocka_unit_test_setup_teardown(test_socket_mode_0600, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stale_socket_replaced, setup, teardown),
		cmocka_unit_test_setup_teardown(test_live_socket_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_a_socket_or_too_long, setup, teardown),
		cmocka_unit_test_setup_teardown(test_register, setup, teardown),
	};

	signal(SIGPIPE, SIG_IGN);	/* as drilld: a vanished peer is an error, not a signal */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
