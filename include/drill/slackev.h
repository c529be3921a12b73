/*
 * slackev.h - what Slack sends, as drilld's platform events (platform.h):
 * the Events API's event_callback bodies (Socket Mode's events_api
 * payloads are the same objects), slash commands (form fields over HTTP, a
 * JSON object over Socket Mode) and block_actions interactions; and
 * Slack's message text turned back into what the person typed.
 *
 * Pure functions over parsed JSON: no network, no store, no clock. Every
 * byte here came from outside: a missing or mistyped field is SLACKEV_BAD
 * with a reason, never a crash; ids over 255 bytes are refused.
 *
 * What becomes an event (everything else is SLACKEV_IGNORE, with a reason
 * for the debug log):
 *  - "message" and "app_mention" events without a subtype, or with
 *    thread_broadcast or file_share: a PLATFORM_EV_MESSAGE. Messages of
 *    bots (bot_id set, the bot's own among them, or the bot's own user id)
 *    are ignored. A DM (channel_type "im", or a channel id starting with
 *    'D') is PLATFORM_DM; channels, private channels and group DMs are
 *    PLATFORM_CHANNEL. The message is addressed to the bot in a DM, in an
 *    app_mention, or when it mentions the bot's user id; that mention is
 *    taken out of the text. A reply in a thread (thread_ts other than ts)
 *    carries thread_ts as thread_id.
 *  - "message_changed" with an "edited" mark and a text other than the
 *    previous one: a PLATFORM_EV_EDIT of the original message (its ts)
 *    with the new text, by the message's author (Slack also sends
 *    message_changed when a link unfurls: that is ignored);
 *    "message_deleted": a PLATFORM_EV_DELETE of deleted_ts.
 *  - "member_joined_channel" of the bot itself: a PLATFORM_EV_JOIN (user:
 *    the inviter when Slack names one, else the bot).
 *  - "app_home_opened" on the "home" tab: a PLATFORM_EV_HOME in the
 *    person's DM with the bot (the event's channel).
 *
 * De-duplication keys (platform_event.event_id): Slack delivers a mention
 * twice (app_mention and message.channels, two event ids) and retries
 * deliveries, so a message's key is its place, "slack:msg:CHANNEL:TS";
 * an edit's "slack:edit:CHANNEL:EVENT_TS"; a deletion's
 * "slack:del:CHANNEL:TS"; other events "slack:ev:EVENT_ID"; a slash
 * command "slack:cmd:TRIGGER_ID"; a button "slack:act:USER:ACTION_TS".
 * The same in both delivery modes, so a switch of mode keeps them.
 *
 * Names are "slack:" + Slack's id ("slack:C0123ABCD", "slack:U0123ABCD").
 */
#ifndef DRILL_SLACKEV_H
#define DRILL_SLACKEV_H

#include <stdbool.h>
#include <stddef.h>

#include "drill/common.h"
#include "drill/platform.h"

struct json_object;

enum slackev_outcome {
	SLACKEV_HANDLE = 0,	/* out->ev is an event for the engine */
	SLACKEV_IGNORE,		/* nothing for drilld; out->why says why */
	SLACKEV_CHALLENGE,	/* url_verification: answer out->challenge */
	SLACKEV_BAD		/* malformed; out->why says what */
};

/* The bot as auth.test names it; NULL (or "") while unknown. */
struct slackev_self {
	const char *user_id;	/* "U0BOT" */
	const char *bot_id;	/* "B0BOT" */
};

/*
 * One parsed delivery. ev's strings point into this struct (valid until
 * slackev_clear); slack_user is the author's bare id ("U0123ABCD"), for
 * users.info; response_url that of a slash command or an interaction.
 */
struct slackev {
	struct platform_event ev;
	const char *why;	/* SLACKEV_IGNORE, SLACKEV_BAD: static text */
	char *challenge;	/* SLACKEV_CHALLENGE */
	char *slack_user;
	char *response_url;
	char *buf[7];		/* what ev points into */
};

/* Frees what out holds and zeroes it; a zeroed struct is fine. */
void slackev_clear(struct slackev *out);

/*
 * An Events API body (HTTP) or an events_api envelope's payload: a
 * url_verification or an event_callback. out is zeroed first; clear it
 * whatever the outcome. SLACKEV_BAD also when out of memory.
 */
enum slackev_outcome slackev_callback(const struct json_object *body,
    const struct slackev_self *self, struct slackev *out);

/*
 * A slash command's fields (an object of strings: command, text, user_id,
 * channel_id, response_url, trigger_id): a PLATFORM_EV_COMMAND, addressed,
 * whose text is what follows the command ("help" when nothing does).
 */
enum slackev_outcome slackev_command(const struct json_object *fields,
    struct slackev *out);

/*
 * An interaction payload: a block_actions press of a button is a
 * PLATFORM_EV_BUTTON whose text is the button's value (the command it
 * carries). Its thread is the question the button belongs to: the
 * message's thread when it is a reply, else the message itself; a button
 * on an ephemeral message outside a thread belongs to none. Other
 * interaction types are ignored.
 */
enum slackev_outcome slackev_interaction(const struct json_object *payload,
    struct slackev *out);

/*
 * Decodes an application/x-www-form-urlencoded body into an object of
 * strings (the last of repeated names wins). DRILL_EINVAL for a bad
 * escape, a name or value that is not valid UTF-8 or holds a NUL, or more
 * than 64 fields; DRILL_ENOMEM. *out is the caller's (json_object_put).
 */
int slackev_form(const char *body, size_t len, struct json_object **out) DRILL_WUR;

/*
 * Slack's text as the person typed it: "<@U1|ann>" is "@ann" ("@U1"
 * without a name), "<#C1|general>" "#general", "<!here>" "@here",
 * "<https://x|label>" "label", "<https://x>" "https://x", "<mailto:a@b|a@b>"
 * "a@b"; then &lt; &gt; &amp; are decoded (and nothing else). A mention of
 * self_user (may be NULL) is taken out and sets *mentioned. White space
 * around the result is trimmed. Returns a new string of *outlen bytes
 * (caller frees), or NULL when out of memory.
 */
char *slackev_plain(const char *text, size_t len, const char *self_user,
    bool *mentioned, size_t *outlen);

#endif
