/*
 * console.c - the terminal adapter. Reads stdin on the loop without
 * blocking it (a stream for terminals and pipes, libuv's thread-pool file
 * reads for files and /dev/null), assembles lines into commands and answers,
 * and prints rendered replies. It keeps no practice state of its own: the
 * engine and the store do, so a session resumes where it stopped.
 *
 * Writes to stdout are plain blocking stdio: the console is the one adapter
 * whose peer is the terminal in front of the person.
 */
#include "drill/console.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "drill/command.h"
#include "drill/log.h"
#include "drill/render.h"

#define READ_CHUNK 65536
#define MAX_LINE_KEEP 65536	/* a line longer than this is kept only up to the answer limit */

enum src_kind { SRC_STREAM, SRC_FILE };

struct console {
	uv_loop_t *loop;
	struct console_opts o;
	enum src_kind kind;
	union {
		uv_tty_t tty;
		uv_pipe_t pipe;
		uv_tcp_t tcp;
	} h;
	int is_tty;
	uv_fs_t req;
	int64_t offset;
	char rbuf[READ_CHUNK];
	int reading;
	int closed;
	int done;
	int interactive;	/* stdin and stdout are terminals: show prompts */
	char *line;		/* the line being read */
	size_t linelen, linecap;
	char *ans;		/* the answer being typed */
	size_t anslen, anscap;
	int in_answer;
	char *person;		/* owned copy of o.person */
};

static int
append(char **buf, size_t *len, size_t *cap, const char *s, size_t n, size_t limit)
{
	if (*len >= limit)
		return 0;
	if (n > limit - *len)
		n = limit - *len;
	if (*len + n + 1 > *cap) {
		size_t nc = *cap ? *cap : 256;
		char *p;
		while (nc < *len + n + 1)
			nc *= 2;
		if ((p = realloc(*buf, nc)) == NULL)
			return DRILL_ENOMEM;
		*buf = p;
		*cap = nc;
	}
	memcpy(*buf + *len, s, n);
	*len += n;
	(*buf)[*len] = '\0';
	return 0;
}

static void
emit(struct console *c, enum platform_event_kind kind, const char *text, size_t len)
{
	struct platform_event ev = {
		.kind = kind,
		.conversation = c->o.person,
		.conv_kind = PLATFORM_DM,
		.user = c->o.person,
		.text = text,
		.text_len = len,
		.ts = (int64_t)time(NULL),
		.addressed = true,
	};
	c->o.on_event(c->o.arg, &ev);
}

static void
prompt(struct console *c)
{
	if (c->interactive && !c->done) {
		fputs(c->in_answer ? ". " : "> ", stdout);
		fflush(stdout);
	}
}

static void
finish(struct console *c)
{
	if (c->done)
		return;
	c->done = 1;
	console_stop(c);
	c->o.on_done(c->o.arg);
}

static void
submit_answer(struct console *c)
{
	size_t n = c->anslen;

	/* drop the final newline the last line brought */
	if (n > 0 && c->ans[n - 1] == '\n' && n <= c->o.max_answer)
		n--;
	c->in_answer = 0;
	emit(c, PLATFORM_EV_MESSAGE, c->ans ? c->ans : "", n);
	c->anslen = 0;
}

static void
handle_line(struct console *c, char *line, size_t len)
{
	struct command cmd;
	size_t s = 0, e = len;

	if (len > 0 && line[len - 1] == '\r')
		line[--len] = '\0';
	e = len;
	while (s < e && (line[s] == ' ' || line[s] == '\t'))
		s++;
	while (e > s && (line[e - 1] == ' ' || line[e - 1] == '\t'))
		e--;
	if (e - s == 4 && (strncasecmp(line + s, "quit", 4) == 0 ||
	    strncasecmp(line + s, "exit", 4) == 0)) {
		fputs(c->in_answer ? "Your unfinished answer was not sent. Bye; your "
		    "progress is saved.\n" : "Bye. Your progress is saved.\n", stdout);
		fflush(stdout);
		finish(c);
		return;
	}
	if (c->in_answer) {
		if (e - s == 1 && line[s] == '.') {
			submit_answer(c);
			return;
		}
		if (append(&c->ans, &c->anslen, &c->anscap, line, len, c->o.max_answer + 1) != 0 ||
		    append(&c->ans, &c->anslen, &c->anscap, "\n", 1, c->o.max_answer + 1) != 0)
			finish(c);
		return;
	}
	if (s == e || (e - s == 1 && line[s] == '.'))
		return;
	if (command_parse(line, len, &cmd) != CMD_NONE) {
		emit(c, PLATFORM_EV_MESSAGE, line + s, e - s);
		return;
	}
	c->in_answer = 1;
	c->anslen = 0;
	if (append(&c->ans, &c->anslen, &c->anscap, line, len, c->o.max_answer + 1) != 0 ||
	    append(&c->ans, &c->anslen, &c->anscap, "\n", 1, c->o.max_answer + 1) != 0)
		finish(c);
}

/* Splits incoming bytes into lines; a line's kept length is bounded. */
static void
feed(struct console *c, const char *buf, size_t n)
{
	size_t limit = c->o.max_answer + 2 > MAX_LINE_KEEP ? c->o.max_answer + 2 : MAX_LINE_KEEP;

	for (size_t i = 0; i < n && !c->done; i++) {
		const char *nl = memchr(buf + i, '\n', n - i);
		size_t take = nl ? (size_t)(nl - (buf + i)) : n - i;

		if (append(&c->line, &c->linelen, &c->linecap, buf + i, take, limit) != 0) {
			finish(c);
			return;
		}
		i += take;
		if (nl == NULL)
			break;
		handle_line(c, c->line ? c->line : (char *)"", c->linelen);
		c->linelen = 0;
		if (c->line)
			c->line[0] = '\0';
		prompt(c);
	}
}

static void
at_eof(struct console *c)
{
	if (c->done)
		return;
	if (c->linelen > 0) {
		handle_line(c, c->line, c->linelen);
		c->linelen = 0;
	}
	if (c->in_answer && !c->done)
		submit_answer(c);
	finish(c);
}

static void
alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct console *c = h->data;

	(void)suggested;
	*buf = uv_buf_init(c->rbuf, sizeof(c->rbuf));
}

static void
read_cb(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct console *c = s->data;

	if (n > 0) {
		feed(c, buf->base, (size_t)n);
	} else if (n < 0) {
		if (n != UV_EOF)
			log_warnx("cannot read standard input: %s", uv_strerror((int)n));
		at_eof(c);
	}
}

static void fs_read_next(struct console *c);

static void
fs_read_cb(uv_fs_t *req)
{
	struct console *c = req->data;
	ssize_t n = req->result;

	uv_fs_req_cleanup(req);
	c->reading = 0;
	if (c->done) {
		if (c->closed == 0)
			c->closed = 1;
		return;
	}
	if (n > 0) {
		c->offset += n;
		feed(c, c->rbuf, (size_t)n);
		if (!c->done)
			fs_read_next(c);
	} else {
		if (n < 0)
			log_warnx("cannot read standard input: %s", uv_strerror((int)n));
		at_eof(c);
	}
}

static void
fs_read_next(struct console *c)
{
	uv_buf_t b = uv_buf_init(c->rbuf, sizeof(c->rbuf));

	c->req.data = c;
	if (uv_fs_read(c->loop, &c->req, 0, &b, 1, -1, fs_read_cb) == 0)
		c->reading = 1;
	else
		at_eof(c);
}

struct console *
console_new(uv_loop_t *loop, const struct console_opts *opts)
{
	struct console *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->loop = loop;
	c->o = *opts;
	/* the person outlives a config reload */
	if ((c->person = strdup(opts->person)) == NULL) {
		free(c);
		return NULL;
	}
	c->o.person = c->person;
	return c;
}

int
console_start(struct console *c)
{
	uv_handle_type t = uv_guess_handle(0);

	c->interactive = t == UV_TTY && isatty(1);
	emit(c, PLATFORM_EV_HELLO, NULL, 0);
	fputs("(Write your answer over as many lines as you like, then a line holding\n"
	    "a single \".\" to send it. `help` lists commands, `quit` leaves.)\n", stdout);
	fflush(stdout);
	prompt(c);
	if (t == UV_TTY && uv_tty_init(c->loop, &c->h.tty, 0, 1) == 0) {
		c->kind = SRC_STREAM;
		c->is_tty = 1;
		c->h.tty.data = c;
	} else if (t == UV_TCP && uv_tcp_init(c->loop, &c->h.tcp) == 0) {
		/* a socket as stdin (inetd style): a stream, so SIGTERM never waits on it */
		c->kind = SRC_STREAM;
		c->h.tcp.data = c;
		if (uv_tcp_open(&c->h.tcp, 0) != 0) {
			uv_close((uv_handle_t *)&c->h.tcp, NULL);
			c->closed = 1;
			c->kind = SRC_FILE;
		}
	} else if (t == UV_NAMED_PIPE && uv_pipe_init(c->loop, &c->h.pipe, 0) == 0) {
		c->kind = SRC_STREAM;
		c->h.pipe.data = c;
		if (uv_pipe_open(&c->h.pipe, 0) != 0) {
			uv_close((uv_handle_t *)&c->h.pipe, NULL);
			c->closed = 1;
			c->kind = SRC_FILE;
		}
	} else {
		c->kind = SRC_FILE;
	}
	if (c->kind == SRC_STREAM) {
		if (uv_read_start((uv_stream_t *)&c->h, alloc_cb, read_cb) != 0) {
			at_eof(c);
			return DRILL_EIO;
		}
		return 0;
	}
	fs_read_next(c);
	return 0;
}

void
console_stop(struct console *c)
{
	if (c->kind == SRC_STREAM && !c->closed) {
		uv_read_stop((uv_stream_t *)&c->h);
		if (c->is_tty)
			uv_tty_reset_mode();
		uv_close((uv_handle_t *)&c->h, NULL);
		c->closed = 1;
	}
	if (c->kind == SRC_FILE && c->reading)
		uv_cancel((uv_req_t *)&c->req);
	c->done = 1;
}

void
console_free(struct console *c)
{
	if (c == NULL)
		return;
	free(c->line);
	free(c->ans);
	free(c->person);
	free(c);
}

void
console_reply(void *arg, const struct platform_event *ev, const struct msg *m)
{
	struct console *c = arg;
	char *s = render_console(m, c->o.color);

	(void)ev;
	if (s == NULL)
		return;
	fputs(s, stdout);
	fputs("\n", stdout);
	free(s);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		/* nobody reads the replies any more: stop taking answers */
		log_warn("cannot write to standard output");
		finish(c);
	}
}
