/*
 * matrixev.h - Matrix events, in the client format of a /sync timeline or
 * an application service transaction, as drilld's platform events
 * (platform.h). Pure functions over parsed JSON: no network, no store.
 * Every byte here came from outside: a missing or mistyped field is
 * MATRIXEV_BAD with a reason, never a crash.
 *
 * Names are "matrix:" + the Matrix id: "matrix:!room:example.org",
 * "matrix:@ann:example.org"; event ids "matrix:$event" (the
 * de-duplication key: a /sync replayed after a crash, or a transaction
 * pushed again, carries the same event ids).
 *
 * What becomes what:
 *  - m.room.message with msgtype m.text (or m.emote): a PLATFORM_EV_MESSAGE
 *    by its sender. m.notice is ignored (bots answer in notices, and a bot
 *    must never answer a notice), and so is everything the bot itself
 *    sent, and a redacted message (empty content). The body (required) is
 *    taken as typed; a reply's fallback (leading "> " lines that start
 *    "> <@sender>", and the blank line after them) is removed, and a quote
 *    the person wrote is kept.
 *      thread: an m.thread relation's root is thread_id; a plain reply
 *      (m.in_reply_to, for clients without threads) takes the replied-to
 *      event as thread_id, so a reply to a question counts as an answer
 *      in its thread;
 *      addressed: in a DM room, or when the body starts with "!drill"
 *      (taken out), or the bot is in m.mentions.user_ids (the pill's
 *      text the client put at the start of the body, and a ':' or ',',
 *      taken out), or the body starts with the bot's localpart and ':'
 *      (taken out);
 *      an m.replace relation: a PLATFORM_EV_EDIT of the replaced event,
 *      with m.new_content's body.
 *  - m.room.encrypted: MATRIXEV_ENCRYPTED, for the adapter to say once
 *    that it cannot read the room.
 *  - m.room.member of the bot: membership "invite" is MATRIXEV_INVITE
 *    (inviter, is_direct); "join" a PLATFORM_EV_JOIN (the bot introduces
 *    itself once); "leave" / "ban" MATRIXEV_GONE. Another member's
 *    membership is MATRIXEV_MEMBER (the adapter counts who is left).
 *  - anything else: MATRIXEV_IGNORE.
 */
#ifndef DRILL_MATRIXEV_H
#define DRILL_MATRIXEV_H

#include <stdbool.h>
#include <stddef.h>

#include "drill/common.h"
#include "drill/platform.h"

struct json_object;

enum matrixev_outcome {
	MATRIXEV_HANDLE = 0,	/* out->ev is an event for the engine */
	MATRIXEV_IGNORE,	/* nothing for drilld; out->why says why */
	MATRIXEV_INVITE,	/* the bot is invited to out->room by out->inviter */
	MATRIXEV_GONE,		/* the bot left or was removed from out->room */
	MATRIXEV_MEMBER,	/* another member of out->room joined or left */
	MATRIXEV_ENCRYPTED,	/* an encrypted event in out->room */
	MATRIXEV_BAD		/* malformed; out->why says what */
};

/* Where the event is and what the adapter knows of the room. */
struct matrixev_ctx {
	const char *self;	/* the bot's user id "@drilld:example.org" */
	const char *room_id;	/* the room (a /sync section); NULL: the event's room_id */
	bool dm;		/* the room is a direct chat with the bot */
};

struct matrixev {
	struct platform_event ev;
	const char *why;	/* MATRIXEV_IGNORE, MATRIXEV_BAD: static text */
	char *room;		/* the room id (every outcome but BAD) */
	char *inviter;		/* MATRIXEV_INVITE: who invited */
	bool is_direct;		/* MATRIXEV_INVITE: the inviter means a DM */
	char *buf[6];		/* what ev points into */
};

/* Frees what out holds and zeroes it; a zeroed struct is fine. */
void matrixev_clear(struct matrixev *out);

/* One client-format event. out is zeroed first; clear it whatever the outcome. */
enum matrixev_outcome matrixev_event(const struct json_object *event,
    const struct matrixev_ctx *ctx, struct matrixev *out);

/* Whether s is a Matrix user id "@localpart:server" (at most 255 bytes). */
bool matrixev_user_ok(const char *s);
/*
 * Whether s is a room id "!opaque:server", or "!opaque" alone (room
 * version 12 ids have no server), at most 255 bytes.
 */
bool matrixev_room_ok(const char *s);

#endif
