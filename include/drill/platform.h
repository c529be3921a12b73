/*
 * platform.h - the interface between chat adapters and the engine: the
 * normalised inbound event every adapter produces (design.md), and the reply
 * callback through which the engine hands back abstract messages.
 *
 * Adapters include this header, never engine.h: a new platform touches
 * nothing else.
 *
 * Outbound, the engine posts abstract messages to a platform_dest through
 * a platform_post_fn: the router (router.h) renders them with the
 * platform's adapter and stores them in the outbox, which sends them later
 * and records the platform's message id; a reply in a thread can name the
 * outbox row of the thread's first message before that message is even
 * sent (platform_dest.thread_row).
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
	PLATFORM_EV_JOIN,		/* the bot was invited to or joined conversation */
	PLATFORM_EV_HOME		/* user opened the bot's home view (Slack's App
					 * Home); conversation is their DM with the bot */
};

/*
 * A normalised inbound event. All strings are borrowed for the call.
 *
 * event_id de-duplicates: platforms deliver some events more than once
 * (Slack retries a webhook it thinks failed; a Matrix /sync may repeat
 * after a reconnect). The engine handles an event_id once and drops its
 * repeats for a day; the id is stored in the same transaction as all the
 * event causes, so after a crash a retry is handled (nothing was) or
 * dropped (all was). NULL: no de-duplication (the console). An id over
 * 255 bytes is not kept (the event is handled, without de-duplication).
 *
 * Ids and names come from outside and are bounded: an event whose
 * conversation or user is missing or over 255 bytes is dropped; a
 * message, thread or reply-to id over 255 bytes counts as absent.
 *
 * In a channel, a message or a button whose thread_id is the platform id
 * of a question the engine posted belongs to that question: adapters pass
 * the thread root with thread replies and with button presses on the
 * question itself (the "Answer privately" button's "answer" needs it).
 * An edit carries the edited message's id in message_id.
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
	const char *user_timezone;	/* the person's IANA zone as the platform
					 * knows it (Slack's users.info), or NULL;
					 * it comes before the one they set */
	bool addressed;			/* the bot was addressed (mention, prefix, DM,
					 * slash command, button) */
};

/*
 * How the engine answers: one call per message to post, in order, into the
 * event's conversation (and thread). The message is borrowed for the call.
 */
typedef void (*platform_reply_fn)(void *arg, const struct platform_event *ev,
    const struct msg *m);

/*
 * Where a message goes. Names are "platform:id" as everywhere.
 *
 *  - conversation set, person NULL: into the conversation (a channel or a
 *    DM conversation), for everyone in it;
 *  - conversation set, person set: into the conversation, seen only by
 *    person (Slack's ephemeral messages);
 *  - conversation NULL, person set: a direct message to person (the
 *    adapter finds or opens the DM).
 *
 * thread_id puts it in a thread whose platform id is known; thread_row in
 * the thread started by an earlier outbox row to the same conversation,
 * whose id the platform gives when it is sent.
 *
 * replace: the message is not a new one but the new content of the
 * message thread_id / thread_row names (an edit: Slack's chat.update,
 * Matrix's m.replace), for everyone in conversation; only on platforms
 * whose adapter has edits.
 */
struct platform_dest {
	const char *conversation;
	const char *person;
	const char *thread_id;
	int64_t thread_row;	/* 0: none */
	bool replace;
};

/*
 * Stores m, rendered for d's platform, as an outbox row (inside the
 * caller's store transaction, when there is one); *row (may be NULL)
 * receives its id. DRILL_ENOTSUP for a message to one person in a
 * conversation on a platform that cannot show one (the caller sends a DM
 * instead), or a replacement on one without edits; DRILL_ENOTFOUND for a platform with no adapter, DRILL_EINVAL
 * for a bad d, DRILL_EIO / DRILL_ENOMEM.
 */
typedef int (*platform_post_fn)(void *arg, const struct platform_dest *d,
    const struct msg *m, int64_t *row);

/* What each platform's adapter gives the router. */
struct platform_adapter {
	const char *name;	/* "slack": the prefix of its names */
	bool ephemeral;		/* can show a message in a conversation to one person */
	/*
	 * Renders m for d as the payload its outbox send function takes
	 * (the thread id comes with the send: outbox_msg.thread_id). Returns
	 * a string the caller frees, or NULL when out of memory.
	 */
	char *(*render)(void *arg, const struct platform_dest *d, const struct msg *m);
	void *arg;
	bool edits;		/* can replace a message it posted (platform_dest.replace) */
};

#endif
