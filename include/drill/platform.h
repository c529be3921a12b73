/*
 * platform.h - the interface between chat adapters and the engine: the
 * normalised inbound event every adapter produces (design.md), and the reply
 * callback through which the engine hands back abstract messages.
 *
 * Adapters include this header, never engine.h: a new platform touches
 * nothing else. (Delivery through the outbox, with the platform's message
 * id coming back for threads, arrives with the channel flow.)
 */
#ifndef DRILL_PLATFORM_H
#define DRILL_PLATFORM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "drill/msg.h"

enum platform_conv_kind {
	PLATFORM_CHANNEL = 0,
	PLATFORM_DM = 1
};

enum platform_event_kind {
	PLATFORM_EV_MESSAGE = 0,	/* someone wrote text (a command or an answer) */
	PLATFORM_EV_HELLO,		/* a person opened a session (console start) */
	PLATFORM_EV_EDIT,		/* message_id was edited; text is the new text */
	PLATFORM_EV_DELETE,		/* message_id was deleted */
	PLATFORM_EV_COMMAND,		/* a slash command: text is "practice databases" */
	PLATFORM_EV_BUTTON,		/* a button: text is the command it carries */
	PLATFORM_EV_JOIN		/* the bot was invited to or joined conversation */
};

/*
 * A normalised inbound event. All strings are borrowed for the call.
 *
 * event_id de-duplicates: platforms deliver some events more than once
 * (Slack retries a webhook it thinks failed; a Matrix /sync may repeat
 * after a reconnect). The engine handles an event_id once and drops its
 * repeats for a day; NULL: no de-duplication (the console). An id over
 * 255 bytes is not kept (the event is handled, without de-duplication).
 */
struct platform_event {
	enum platform_event_kind kind;
	const char *event_id;		/* "slack:Ev0123", "matrix:$abc"; or NULL */
	const char *conversation;	/* "console:local", "slack:C0123ABCD" */
	enum platform_conv_kind conv_kind;
	const char *user;		/* "console:local", "slack:U0123ABCD" */
	const char *text;		/* UTF-8 as received (may be invalid: the engine checks) */
	size_t text_len;
	const char *message_id;		/* platform id of this message, or NULL */
	const char *thread_id;		/* thread root, or NULL */
	const char *reply_to;		/* the message this one replies to, or NULL */
	int64_t ts;			/* Unix seconds */
	bool addressed;			/* the bot was addressed (mention, prefix, DM,
					 * slash command, button) */
};

/*
 * How the engine answers: one call per message to post, in order, into the
 * event's conversation (and thread). The message is borrowed for the call.
 */
typedef void (*platform_reply_fn)(void *arg, const struct platform_event *ev,
    const struct msg *m);

#endif
