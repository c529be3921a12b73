/*
 * console.h - the terminal adapter: practice without a chat account.
 *
 * Reads stdin on the libuv loop (a terminal, a pipe or a file), turns lines
 * into platform events, and writes rendered replies to stdout. A line that
 * is a command (command.h) is sent at once when no answer is being typed;
 * anything else starts a multi-line answer, finished by a line holding a
 * single "." or by the end of input. "quit" (or "exit") and the end of input
 * end the session. It is only an adapter: it includes platform.h, never the
 * engine, and the answer's size is bounded by max_answer (+1 byte, so the
 * engine can say it was too long) however much is typed.
 */
#ifndef DRILL_CONSOLE_H
#define DRILL_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

#include "drill/common.h"
#include "drill/platform.h"

struct console;

/* Receives each event the console produces; replies go to console_reply. */
typedef void (*console_event_fn)(void *arg, const struct platform_event *ev);
/* Called once when the session ended (quit, end of input, read error). */
typedef void (*console_done_fn)(void *arg);

struct console_opts {
	const char *person;	/* "console:local": the user and the conversation (copied) */
	bool color;		/* ANSI colours in replies */
	size_t max_answer;	/* bytes kept of one answer */
	console_event_fn on_event;
	console_done_fn on_done;
	void *arg;
};

/* Returns a console on loop (caller frees with console_free after done), or NULL. */
struct console *console_new(uv_loop_t *loop, const struct console_opts *opts);
/* Sends the session-start event and starts reading stdin. */
int console_start(struct console *c) DRILL_WUR;
/* Stops reading and closes the stdin handle; on_done is not called again. */
void console_stop(struct console *c);
/* Frees c (after its handles closed: run the loop once after console_stop). */
void console_free(struct console *c);

/* Renders m and writes it to stdout (the platform_reply_fn of the console). */
void console_reply(void *console, const struct platform_event *ev, const struct msg *m);

#endif
