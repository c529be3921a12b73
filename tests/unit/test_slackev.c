/*
 * test_slackev.c - what Slack sends (Events API bodies, slash commands,
 * block_actions) as the engine sees it: who wrote what where, whether the
 * bot was addressed, the thread a reply or a button belongs to, and the
 * de-duplication keys that keep a mention delivered twice from being
 * answered twice. Fixtures follow the shapes in protocols.md A.2-A.4.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <json-c/json.h>

#include "drill/jsonv.h"
#include "drill/slackev.h"

static const struct slackev_self self = {"U0BOT", "B0BOT"};

/* An event_callback body around the inner event e (a JSON object's text). */
#define ENV(e) "{\"token\":\"XXYYZZ\",\"team_id\":\"T0TEAM\",\"api_app_id\":\"A0APP\"," \
	"\"event\":" e ",\"type\":\"event_callback\",\"event_id\":\"Ev0AAA111\"," \
	"\"event_time\":1712345679,\"authorizations\":[{\"enterprise_id\":null," \
	"\"team_id\":\"T0TEAM\",\"user_id\":\"U0BOT\",\"is_bot\":true," \
	"\"is_enterprise_install\":false}],\"is_ext_shared_channel\":false," \
	"\"event_context\":\"EC0AAA\"}"

/* A person's message in a channel, as message.channels delivers it. */
#define CHANNEL_MSG(text) "{\"type\":\"message\",\"channel\":\"C0DRILL01\"," \
	"\"channel_type\":\"channel\",\"user\":\"U0ANN\",\"text\":\"" text "\"," \
	"\"ts\":\"1712345678.000200\",\"event_ts\":\"1712345678.000200\"," \
	"\"client_msg_id\":\"5d3c0b5e-1f7a-4c0e-9a55-1b2f8e1c3d4a\",\"team\":\"T0TEAM\"," \
	"\"blocks\":[{\"type\":\"rich_text\",\"block_id\":\"2Le\",\"elements\":[]}]}"

static struct json_object *
parse(const char *s)
{
	struct json_object *o = NULL;
	struct jsonv_error e;

	if (jsonv_parse(s, strlen(s), 32, &o, &e) != 0)
		fail_msg("fixture does not parse: %s", e.msg);
	return o;
}

/* slackev_callback over the JSON text s; the caller clears out. */
static enum slackev_outcome
callback(const char *s, const struct slackev_self *me, struct slackev *out)
{
	struct json_object *o = parse(s);
	enum slackev_outcome oc = slackev_callback(o, me, out);

	json_object_put(o);
	/* ev points into out, never into the JSON: still readable here */
	return oc;
}

static enum slackev_outcome
interaction(const char *s, struct slackev *out)
{
	struct json_object *o = parse(s);
	enum slackev_outcome oc = slackev_interaction(o, out);

	json_object_put(o);
	return oc;
}

/* slackev_command over a form body, the way the HTTP endpoint does it. */
static enum slackev_outcome
command_form(const char *body, struct slackev *out)
{
	struct json_object *fields = NULL;
	enum slackev_outcome oc;

	assert_int_equal(slackev_form(body, strlen(body), &fields), DRILL_OK);
	oc = slackev_command(fields, out);
	json_object_put(fields);
	return oc;
}

/* The outcome is IGNORE or BAD and says why; nothing reaches the engine. */
static void
assert_not_handled(enum slackev_outcome oc, enum slackev_outcome want, struct slackev *out)
{
	assert_int_equal(oc, want);
	assert_non_null(out->why);
	assert_true(out->why[0] != '\0');
	slackev_clear(out);
}

static void
assert_text(const struct slackev *out, const char *want)
{
	assert_non_null(out->ev.text);
	assert_string_equal(out->ev.text, want);
	assert_int_equal(out->ev.text_len, strlen(want));
}

/* ---- messages ---------------------------------------------------------- */

static void
test_channel_message(void **state)
{
	struct slackev out;

	(void)state;
	assert_int_equal(callback(ENV(CHANNEL_MSG("B-tree, because range scans &amp; order")),
	    &self, &out), SLACKEV_HANDLE);
	assert_int_equal(out.ev.kind, PLATFORM_EV_MESSAGE);
	assert_string_equal(out.ev.conversation, "slack:C0DRILL01");
	assert_int_equal(out.ev.conv_kind, PLATFORM_CHANNEL);
	assert_string_equal(out.ev.user, "slack:U0ANN");
	assert_string_equal(out.slack_user, "U0ANN");
	assert_text(&out, "B-tree, because range scans & order");
	assert_false(out.ev.addressed);
	assert_string_equal(out.ev.message_id, "1712345678.000200");
	assert_null(out.ev.thread_id);
	assert_string_equal(out.ev.event_id, "slack:msg:C0DRILL01:1712345678.000200");
	assert_int_equal(out.ev.ts, 1712345678);
	assert_null(out.response_url);
	slackev_clear(&out);
	/* cleared means zeroed; clearing twice is harmless */
	assert_null(out.ev.text);
	slackev_clear(&out);
	slackev_clear(NULL);
}

/*
 * A mention comes twice (message.channels and app_mention, two event ids):
 * both must give the same key, or the bot answers twice.
 */
static void
test_app_mention_same_key(void **state)
{
	struct slackev a, b;
	char *key;

	(void)state;
	assert_int_equal(callback(ENV(CHANNEL_MSG("<@U0BOT> practice databases")), &self, &a),
	    SLACKEV_HANDLE);
	assert_int_equal(callback("{\"type\":\"event_callback\",\"team_id\":\"T0TEAM\","
	    "\"event\":{\"type\":\"app_mention\",\"user\":\"U0ANN\","
	    "\"text\":\"<@U0BOT> practice databases\",\"ts\":\"1712345678.000200\","
	    "\"channel\":\"C0DRILL01\",\"event_ts\":\"1712345678.000200\"},"
	    "\"event_id\":\"Ev0BBB222\",\"event_time\":1712345679}", &self, &b), SLACKEV_HANDLE);
	assert_non_null(a.ev.event_id);
	key = strdup(a.ev.event_id);
	assert_string_equal(b.ev.event_id, key);
	assert_string_equal(b.ev.event_id, "slack:msg:C0DRILL01:1712345678.000200");
	assert_true(a.ev.addressed);
	assert_true(b.ev.addressed);
	assert_int_equal(b.ev.conv_kind, PLATFORM_CHANNEL);
	assert_text(&b, "practice databases");
	assert_string_equal(b.ev.conversation, "slack:C0DRILL01");
	free(key);
	slackev_clear(&a);
	slackev_clear(&b);

	/* an app_mention is addressed even when the text has no <@U0BOT> left */
	assert_int_equal(callback("{\"type\":\"event_callback\",\"event\":{\"type\":"
	    "\"app_mention\",\"user\":\"U0ANN\",\"text\":\"next\",\"ts\":\"1712345680.000100\","
	    "\"channel\":\"C0DRILL01\"},\"event_id\":\"Ev0CCC\"}", &self, &b), SLACKEV_HANDLE);
	assert_true(b.ev.addressed);
	slackev_clear(&b);
}

static void
test_threads(void **state)
{
	struct slackev out;

	(void)state;
	/* a reply: its thread is the question it answers */
	assert_int_equal(callback(ENV("{\"type\":\"message\",\"channel\":\"C0DRILL01\","
	    "\"channel_type\":\"channel\",\"user\":\"U0ANN\",\"text\":\"an index on (a, b)\","
	    "\"ts\":\"1712345678.000200\",\"event_ts\":\"1712345678.000200\","
	    "\"thread_ts\":\"1712345600.000100\",\"parent_user_id\":\"U0BOT\"}"), &self, &out),
	    SLACKEV_HANDLE);
	assert_string_equal(out.ev.thread_id, "1712345600.000100");
	assert_string_equal(out.ev.message_id, "1712345678.000200");
	assert_string_equal(out.ev.event_id, "slack:msg:C0DRILL01:1712345678.000200");
	assert_false(out.ev.addressed);
	assert_text(&out, "an index on (a, b)");
	slackev_clear(&out);

	/* a root that has replies carries thread_ts == ts: not a reply */
	assert_int_equal(callback(ENV("{\"type\":\"message\",\"channel\":\"C0DRILL01\","
	    "\"channel_type\":\"channel\",\"user\":\"U0ANN\",\"text\":\"hi\","
	    "\"ts\":\"1712345600.000100\",\"thread_ts\":\"1712345600.000100\"}"), &self, &out),
	    SLACKEV_HANDLE);
	assert_null(out.ev.thread_id);
	assert_string_equal(out.ev.message_id, "1712345600.000100");
	slackev_clear(&out);

	/* a reply also sent to the channel is still a reply in its thread */
	assert_int_equal(callback(ENV("{\"type\":\"message\",\"subtype\":\"thread_broadcast\","
	    "\"channel\":\"C0DRILL01\",\"channel_type\":\"channel\",\"user\":\"U0ANN\","
	    "\"text\":\"hash join\",\"ts\":\"1712345690.000300\","
	    "\"thread_ts\":\"1712345600.000100\"}"), &self, &out), SLACKEV_HANDLE);
	assert_int_equal(out.ev.kind, PLATFORM_EV_MESSAGE);
	assert_string_equal(out.ev.thread_id, "1712345600.000100");
	assert_text(&out, "hash join");
	slackev_clear(&out);
}

static void
test_mentions(void **state)
{
	struct slackev out;

	(void)state;
	/* the bot's mention is taken out and addresses it */
	assert_int_equal(callback(ENV(CHANNEL_MSG("<@U0BOT> practice databases")), &self, &out),
	    SLACKEV_HANDLE);
	assert_true(out.ev.addressed);
	assert_text(&out, "practice databases");
	slackev_clear(&out);

	/* with a label, and at the end */
	assert_int_equal(callback(ENV(CHANNEL_MSG("stop <@U0BOT|drill>")), &self, &out),
	    SLACKEV_HANDLE);
	assert_true(out.ev.addressed);
	assert_text(&out, "stop");
	slackev_clear(&out);

	/* someone else's mention is text, and does not address the bot */
	assert_int_equal(callback(ENV(CHANNEL_MSG("ask <@U0ANN> about it")), &self, &out),
	    SLACKEV_HANDLE);
	assert_false(out.ev.addressed);
	assert_text(&out, "ask @U0ANN about it");
	slackev_clear(&out);
	assert_int_equal(callback(ENV(CHANNEL_MSG("ask <@U0ANN|ann>")), &self, &out),
	    SLACKEV_HANDLE);
	assert_false(out.ev.addressed);
	assert_text(&out, "ask @ann");
	slackev_clear(&out);

	/* an id that only starts like the bot's is someone else */
	assert_int_equal(callback(ENV(CHANNEL_MSG("<@U0BOTX> hi")), &self, &out),
	    SLACKEV_HANDLE);
	assert_false(out.ev.addressed);
	assert_text(&out, "@U0BOTX hi");
	slackev_clear(&out);

	/* typed-out "<@U0BOT>" arrives escaped: it is text, not a mention */
	assert_int_equal(callback(ENV(CHANNEL_MSG("&lt;@U0BOT&gt; is how you mention")),
	    &self, &out), SLACKEV_HANDLE);
	assert_false(out.ev.addressed);
	assert_text(&out, "<@U0BOT> is how you mention");
	slackev_clear(&out);

	/* before auth.test names the bot, nothing is its mention */
	assert_int_equal(callback(ENV(CHANNEL_MSG("<@U0BOT> practice")), NULL, &out),
	    SLACKEV_HANDLE);
	assert_false(out.ev.addressed);
	assert_text(&out, "@U0BOT practice");
	slackev_clear(&out);
}

static void
test_dm(void **state)
{
	struct slackev out;

	(void)state;
	assert_int_equal(callback(ENV("{\"type\":\"message\",\"channel\":\"D0ANNBOT\","
	    "\"channel_type\":\"im\",\"user\":\"U0ANN\",\"text\":\"practice databases\","
	    "\"ts\":\"1712345678.000200\",\"event_ts\":\"1712345678.000200\"}"), &self, &out),
	    SLACKEV_HANDLE);
	assert_int_equal(out.ev.conv_kind, PLATFORM_DM);
	assert_string_equal(out.ev.conversation, "slack:D0ANNBOT");
	assert_true(out.ev.addressed);
	assert_text(&out, "practice databases");
	assert_string_equal(out.ev.event_id, "slack:msg:D0ANNBOT:1712345678.000200");
	slackev_clear(&out);

	/* no channel_type (a Socket Mode or older payload): the D says it */
	assert_int_equal(callback(ENV("{\"type\":\"message\",\"channel\":\"D0ANNBOT\","
	    "\"user\":\"U0ANN\",\"text\":\"skip\",\"ts\":\"1712345678.000300\"}"), &self, &out),
	    SLACKEV_HANDLE);
	assert_int_equal(out.ev.conv_kind, PLATFORM_DM);
	assert_true(out.ev.addressed);
	slackev_clear(&out);

	/* private channels and group DMs are channels */
	assert_int_equal(callback(ENV("{\"type\":\"message\",\"channel\":\"G0PRIV\","
	    "\"channel_type\":\"group\",\"user\":\"U0ANN\",\"text\":\"hi\","
	    "\"ts\":\"1712345678.000300\"}"), &self, &out), SLACKEV_HANDLE);
	assert_int_equal(out.ev.conv_kind, PLATFORM_CHANNEL);
	assert_false(out.ev.addressed);
	slackev_clear(&out);
	assert_int_equal(callback(ENV("{\"type\":\"message\",\"channel\":\"G0MPIM\","
	    "\"channel_type\":\"mpim\",\"user\":\"U0ANN\",\"text\":\"hi\","
	    "\"ts\":\"1712345678.000300\"}"), &self, &out), SLACKEV_HANDLE);
	assert_int_equal(out.ev.conv_kind, PLATFORM_CHANNEL);
	slackev_clear(&out);
}

/* The bot must never answer itself or another bot, nor channel noise. */
static void
test_ignored_messages(void **state)
{
	struct slackev out;

	(void)state;
	/* another app's message */
	assert_not_handled(callback(ENV("{\"type\":\"message\",\"channel\":\"C0DRILL01\","
	    "\"user\":\"U0OTHER\",\"bot_id\":\"B0OTHER\",\"app_id\":\"A0OTHER\","
	    "\"text\":\"deploy done\",\"ts\":\"1712345678.000200\"}"), &self, &out),
	    SLACKEV_IGNORE, &out);
	/* the bot's own question, with its bot_id */
	assert_not_handled(callback(ENV("{\"type\":\"message\",\"channel\":\"C0DRILL01\","
	    "\"user\":\"U0BOT\",\"bot_id\":\"B0BOT\",\"text\":\"Question: what is an index?\","
	    "\"ts\":\"1712345678.000200\"}"), &self, &out), SLACKEV_IGNORE, &out);
	/* the bot's own user id without bot_id */
	assert_not_handled(callback(ENV("{\"type\":\"message\",\"channel\":\"D0ANNBOT\","
	    "\"channel_type\":\"im\",\"user\":\"U0BOT\",\"text\":\"Question: what is an index?\","
	    "\"ts\":\"1712345678.000200\"}"), &self, &out), SLACKEV_IGNORE, &out);
	/* a bot_message (old integrations) */
	assert_not_handled(callback(ENV("{\"type\":\"message\",\"subtype\":\"bot_message\","
	    "\"channel\":\"C0DRILL01\",\"bot_id\":\"B0HOOK\",\"username\":\"ci\","
	    "\"text\":\"build green\",\"ts\":\"1712345678.000200\"}"), &self, &out),
	    SLACKEV_IGNORE, &out);
	/* channel noise */
	assert_not_handled(callback(ENV("{\"type\":\"message\",\"subtype\":\"channel_join\","
	    "\"channel\":\"C0DRILL01\",\"user\":\"U0ANN\",\"text\":\"<@U0ANN> has joined the "
	    "channel\",\"ts\":\"1712345678.000200\"}"), &self, &out), SLACKEV_IGNORE, &out);
	assert_not_handled(callback(ENV("{\"type\":\"message\",\"subtype\":\"channel_topic\","
	    "\"channel\":\"C0DRILL01\",\"user\":\"U0ANN\",\"topic\":\"drills\","
	    "\"text\":\"set the channel topic: drills\",\"ts\":\"1712345678.000200\"}"),
	    &self, &out), SLACKEV_IGNORE, &out);
	/* a hidden record */
	assert_not_handled(callback(ENV("{\"type\":\"message\",\"subtype\":\"message_replied\","
	    "\"hidden\":true,\"channel\":\"C0DRILL01\",\"ts\":\"1712345690.000300\","
	    "\"message\":{\"type\":\"message\",\"user\":\"U0ANN\",\"text\":\"root\","
	    "\"ts\":\"1712345600.000100\",\"thread_ts\":\"1712345600.000100\","
	    "\"reply_count\":1}}"), &self, &out), SLACKEV_IGNORE, &out);
	/* events drilld does not subscribe to, and other callback types */
	assert_not_handled(callback(ENV("{\"type\":\"reaction_added\",\"user\":\"U0ANN\","
	    "\"reaction\":\"thumbsup\",\"item\":{\"type\":\"message\",\"channel\":\"C0DRILL01\","
	    "\"ts\":\"1712345678.000200\"}}"), &self, &out), SLACKEV_IGNORE, &out);
	assert_not_handled(callback("{\"type\":\"app_rate_limited\",\"team_id\":\"T0TEAM\","
	    "\"minute_rate_limited\":1518467820,\"api_app_id\":\"A0APP\"}", &self, &out),
	    SLACKEV_IGNORE, &out);
}

static void
test_edit(void **state)
{
	struct slackev out;

	(void)state;
	assert_int_equal(callback(ENV("{\"type\":\"message\",\"subtype\":\"message_changed\","
	    "\"hidden\":true,\"channel\":\"C0DRILL01\",\"channel_type\":\"channel\","
	    "\"ts\":\"1712345690.000300\",\"event_ts\":\"1712345690.000300\","
	    "\"message\":{\"type\":\"message\",\"user\":\"U0ANN\","
	    "\"text\":\"B-tree, because range scans\",\"edited\":{\"user\":\"U0ANN\","
	    "\"ts\":\"1712345690.000000\"},\"ts\":\"1712345678.000200\","
	    "\"thread_ts\":\"1712345600.000100\"},\"previous_message\":{\"type\":\"message\","
	    "\"user\":\"U0ANN\",\"text\":\"B-tre\",\"ts\":\"1712345678.000200\","
	    "\"thread_ts\":\"1712345600.000100\"}}"), &self, &out), SLACKEV_HANDLE);
	assert_int_equal(out.ev.kind, PLATFORM_EV_EDIT);
	assert_string_equal(out.ev.message_id, "1712345678.000200");	/* the original */
	assert_text(&out, "B-tree, because range scans");
	assert_string_equal(out.ev.user, "slack:U0ANN");
	assert_string_equal(out.ev.conversation, "slack:C0DRILL01");
	assert_string_equal(out.ev.thread_id, "1712345600.000100");
	/* each edit is its own event, not the message's key */
	assert_string_equal(out.ev.event_id, "slack:edit:C0DRILL01:1712345690.000300");
	slackev_clear(&out);

	/* a bot edits its own message (drilld removing buttons): nothing */
	assert_not_handled(callback(ENV("{\"type\":\"message\",\"subtype\":\"message_changed\","
	    "\"hidden\":true,\"channel\":\"C0DRILL01\",\"ts\":\"1712345690.000300\","
	    "\"event_ts\":\"1712345690.000300\",\"message\":{\"type\":\"message\","
	    "\"user\":\"U0BOT\",\"bot_id\":\"B0BOT\",\"text\":\"Question (closed)\","
	    "\"ts\":\"1712345600.000100\"}}"), &self, &out), SLACKEV_IGNORE, &out);
	/* a link unfurling (no "edited"), or the same text: not an edit */
	assert_not_handled(callback(ENV("{\"type\":\"message\",\"subtype\":\"message_changed\","
	    "\"hidden\":true,\"channel\":\"C0DRILL01\",\"ts\":\"1712345690.000300\","
	    "\"message\":{\"type\":\"message\",\"user\":\"U0ANN\",\"text\":\"see "
	    "<https://x.example>\",\"ts\":\"1712345678.000200\",\"attachments\":[{}]},"
	    "\"previous_message\":{\"type\":\"message\",\"user\":\"U0ANN\",\"text\":\"see "
	    "<https://x.example>\",\"ts\":\"1712345678.000200\"}}"), &self, &out),
	    SLACKEV_IGNORE, &out);
	assert_not_handled(callback(ENV("{\"type\":\"message\",\"subtype\":\"message_changed\","
	    "\"hidden\":true,\"channel\":\"C0DRILL01\",\"ts\":\"1712345690.000300\","
	    "\"message\":{\"type\":\"message\",\"user\":\"U0ANN\",\"text\":\"same\","
	    "\"edited\":{\"user\":\"U0ANN\",\"ts\":\"1.1\"},\"ts\":\"1712345678.000200\"},"
	    "\"previous_message\":{\"type\":\"message\",\"user\":\"U0ANN\",\"text\":\"same\","
	    "\"ts\":\"1712345678.000200\"}}"), &self, &out), SLACKEV_IGNORE, &out);
	/* an edit whose message is missing is malformed */
	assert_not_handled(callback(ENV("{\"type\":\"message\",\"subtype\":\"message_changed\","
	    "\"hidden\":true,\"channel\":\"C0DRILL01\",\"ts\":\"1712345690.000300\"}"),
	    &self, &out), SLACKEV_BAD, &out);
}

static void
test_delete(void **state)
{
	struct slackev out;

	(void)state;
	assert_int_equal(callback(ENV("{\"type\":\"message\",\"subtype\":\"message_deleted\","
	    "\"hidden\":true,\"channel\":\"C0DRILL01\",\"channel_type\":\"channel\","
	    "\"ts\":\"1712345700.000400\",\"deleted_ts\":\"1712345678.000200\","
	    "\"event_ts\":\"1712345700.000400\",\"previous_message\":{\"type\":\"message\","
	    "\"user\":\"U0ANN\",\"text\":\"B-tree\",\"ts\":\"1712345678.000200\"}}"),
	    &self, &out), SLACKEV_HANDLE);
	assert_int_equal(out.ev.kind, PLATFORM_EV_DELETE);
	assert_string_equal(out.ev.message_id, "1712345678.000200");
	assert_string_equal(out.ev.user, "slack:U0ANN");
	assert_string_equal(out.ev.conversation, "slack:C0DRILL01");
	assert_string_equal(out.ev.event_id, "slack:del:C0DRILL01:1712345678.000200");
	slackev_clear(&out);

	/* the bot's own question deleted: not a person's answer withdrawn */
	assert_not_handled(callback(ENV("{\"type\":\"message\",\"subtype\":\"message_deleted\","
	    "\"hidden\":true,\"channel\":\"C0DRILL01\",\"ts\":\"1712345700.000400\","
	    "\"deleted_ts\":\"1712345600.000100\",\"previous_message\":{\"type\":\"message\","
	    "\"user\":\"U0BOT\",\"bot_id\":\"B0BOT\",\"text\":\"Question\","
	    "\"ts\":\"1712345600.000100\"}}"), &self, &out), SLACKEV_IGNORE, &out);
	/* no deleted_ts */
	assert_not_handled(callback(ENV("{\"type\":\"message\",\"subtype\":\"message_deleted\","
	    "\"hidden\":true,\"channel\":\"C0DRILL01\",\"ts\":\"1712345700.000400\","
	    "\"previous_message\":{\"user\":\"U0ANN\",\"ts\":\"1712345678.000200\"}}"),
	    &self, &out), SLACKEV_BAD, &out);
}

#define JOIN(user, extra) ENV("{\"type\":\"member_joined_channel\",\"user\":\"" user "\"," \
	"\"channel\":\"C0DRILL01\",\"channel_type\":\"C\",\"team\":\"T0TEAM\"" extra \
	",\"event_ts\":\"1712345678.000200\"}")

static void
test_join(void **state)
{
	static const struct slackev_self unknown = {"", ""};
	struct slackev out;

	(void)state;
	/* invited: the inviter is who the welcome is for */
	assert_int_equal(callback(JOIN("U0BOT", ",\"inviter\":\"U0ANN\""), &self, &out),
	    SLACKEV_HANDLE);
	assert_int_equal(out.ev.kind, PLATFORM_EV_JOIN);
	assert_string_equal(out.ev.conversation, "slack:C0DRILL01");
	assert_int_equal(out.ev.conv_kind, PLATFORM_CHANNEL);
	assert_string_equal(out.ev.user, "slack:U0ANN");
	assert_string_equal(out.ev.event_id, "slack:ev:Ev0AAA111");
	slackev_clear(&out);
	/* joined by itself (or Slack names no inviter) */
	assert_int_equal(callback(JOIN("U0BOT", ""), &self, &out), SLACKEV_HANDLE);
	assert_int_equal(out.ev.kind, PLATFORM_EV_JOIN);
	assert_string_equal(out.ev.user, "slack:U0BOT");
	slackev_clear(&out);
	/* someone else joins: drilld says nothing */
	assert_not_handled(callback(JOIN("U0ANN", ",\"inviter\":\"U0BOB\""), &self, &out),
	    SLACKEV_IGNORE, &out);
	/* before auth.test answered, a join cannot be the bot's */
	assert_not_handled(callback(JOIN("U0BOT", ",\"inviter\":\"U0ANN\""), NULL, &out),
	    SLACKEV_IGNORE, &out);
	assert_not_handled(callback(JOIN("U0BOT", ",\"inviter\":\"U0ANN\""), &unknown, &out),
	    SLACKEV_IGNORE, &out);
}

static void
test_home(void **state)
{
	struct slackev out;

	(void)state;
	assert_int_equal(callback(ENV("{\"type\":\"app_home_opened\",\"user\":\"U0ANN\","
	    "\"channel\":\"D0ANNBOT\",\"tab\":\"home\",\"event_ts\":\"1712345678.000200\","
	    "\"view\":{\"id\":\"V0HOME\",\"type\":\"home\"}}"), &self, &out), SLACKEV_HANDLE);
	assert_int_equal(out.ev.kind, PLATFORM_EV_HOME);
	assert_string_equal(out.ev.conversation, "slack:D0ANNBOT");
	assert_int_equal(out.ev.conv_kind, PLATFORM_DM);
	assert_string_equal(out.ev.user, "slack:U0ANN");
	assert_string_equal(out.ev.event_id, "slack:ev:Ev0AAA111");
	slackev_clear(&out);
	/* the Messages tab is the DM itself: no home view to draw */
	assert_not_handled(callback(ENV("{\"type\":\"app_home_opened\",\"user\":\"U0ANN\","
	    "\"channel\":\"D0ANNBOT\",\"tab\":\"messages\",\"event_ts\":\"1712345678.000200\"}"),
	    &self, &out), SLACKEV_IGNORE, &out);
}

static void
test_url_verification(void **state)
{
	struct slackev out;

	(void)state;
	assert_int_equal(callback("{\"token\":\"Jhj5dZrVaK7ZwHHjRyZWjbDl\",\"challenge\":"
	    "\"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P\",\"type\":"
	    "\"url_verification\"}", NULL, &out), SLACKEV_CHALLENGE);
	assert_string_equal(out.challenge, "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P");
	slackev_clear(&out);
	assert_null(out.challenge);
	assert_not_handled(callback("{\"token\":\"Jhj5dZrVaK7ZwHHjRyZWjbDl\","
	    "\"type\":\"url_verification\"}", NULL, &out), SLACKEV_BAD, &out);
	assert_not_handled(callback("{\"challenge\":\"\",\"type\":\"url_verification\"}",
	    NULL, &out), SLACKEV_BAD, &out);
	assert_not_handled(callback("{\"challenge\":42,\"type\":\"url_verification\"}",
	    NULL, &out), SLACKEV_BAD, &out);
}

/* A JSON object with channel (or user) set to n bytes of 'C' (or 'U'). */
static char *
long_id_message(const char *field, size_t n)
{
	char *id = malloc(n + 2), *s = malloc(n + 512);

	assert_non_null(id);
	assert_non_null(s);
	id[0] = strcmp(field, "channel") == 0 ? 'C' : 'U';
	memset(id + 1, '0', n - 1);
	id[n] = '\0';
	snprintf(s, n + 512, "{\"type\":\"event_callback\",\"event_id\":\"Ev1\",\"event\":"
	    "{\"type\":\"message\",\"channel\":\"%s\",\"user\":\"%s\",\"text\":\"hi\","
	    "\"ts\":\"1712345678.000200\"}}", strcmp(field, "channel") == 0 ? id : "C0DRILL01",
	    strcmp(field, "user") == 0 ? id : "U0ANN");
	free(id);
	return s;
}

static void
test_malformed(void **state)
{
	static const char *bad[] = {
		"[]",
		"\"event_callback\"",
		"{}",
		"{\"type\":7}",
		"{\"type\":\"event_callback\"}",
		"{\"type\":\"event_callback\",\"event\":\"message\"}",
		"{\"type\":\"event_callback\",\"event\":[]}",
		"{\"type\":\"event_callback\",\"event\":{\"channel\":\"C0DRILL01\"}}",
		ENV("{\"type\":\"message\",\"channel\":\"C0DRILL01\",\"user\":\"U0ANN\","
		    "\"text\":42,\"ts\":\"1712345678.000200\"}"),
		ENV("{\"type\":\"message\",\"channel\":\"C0DRILL01\",\"user\":\"U0ANN\","
		    "\"text\":[\"hi\"],\"ts\":\"1712345678.000200\"}"),
		ENV("{\"type\":\"message\",\"user\":\"U0ANN\",\"text\":\"hi\","
		    "\"ts\":\"1712345678.000200\"}"),
		ENV("{\"type\":\"message\",\"channel\":12,\"user\":\"U0ANN\",\"text\":\"hi\","
		    "\"ts\":\"1712345678.000200\"}"),
		ENV("{\"type\":\"message\",\"channel\":\"\",\"user\":\"U0ANN\",\"text\":\"hi\","
		    "\"ts\":\"1712345678.000200\"}"),
		ENV("{\"type\":\"message\",\"channel\":\"C0DRILL01\",\"text\":\"hi\","
		    "\"ts\":\"1712345678.000200\"}"),
		ENV("{\"type\":\"message\",\"channel\":\"C0DRILL01\",\"user\":\"U0ANN\","
		    "\"text\":\"hi\"}"),
		ENV("{\"type\":\"message\",\"channel\":\"C0DRILL01\",\"user\":\"U0ANN\","
		    "\"text\":\"hi\",\"ts\":1712345678.0002}"),
		/* ids that would smuggle a separator or a second name into a key */
		ENV("{\"type\":\"message\",\"channel\":\"C0DRILL01\",\"user\":\"U0ANN:x\","
		    "\"text\":\"hi\",\"ts\":\"1712345678.000200\"}"),
		ENV("{\"type\":\"message\",\"channel\":\"C0DRILL01\",\"user\":\"U0 ANN\","
		    "\"text\":\"hi\",\"ts\":\"1712345678.000200\"}"),
		ENV("{\"type\":\"message\",\"channel\":\"C0DRILL01\",\"user\":\"slack:U0ANN\","
		    "\"text\":\"hi\",\"ts\":\"1712345678.000200\"}"),
		ENV("{\"type\":\"message\",\"channel\":\"C0/../x\",\"user\":\"U0ANN\","
		    "\"text\":\"hi\",\"ts\":\"1712345678.000200\"}"),
		ENV("{\"type\":\"message\",\"channel\":\"C0DRILL01\",\"user\":\"U\\u00e9\","
		    "\"text\":\"hi\",\"ts\":\"1712345678.000200\"}"),
		ENV("{\"type\":\"message\",\"channel\":\"C0DRILL01\",\"user\":\"U0ANN\","
		    "\"text\":\"hi\",\"ts\":\"1712345678:000200\"}"),
		/* an edit with nothing to key it on */
		ENV("{\"type\":\"message\",\"subtype\":\"message_changed\",\"channel\":\"C0DRILL01\","
		    "\"message\":\"B-tree\"}"),
		/* events keyed by event_id need one */
		"{\"type\":\"event_callback\",\"event\":{\"type\":\"app_home_opened\","
		"\"user\":\"U0ANN\",\"channel\":\"D0ANNBOT\",\"tab\":\"home\"}}",
		"{\"type\":\"event_callback\",\"event_id\":\"Ev 1\",\"event\":{\"type\":"
		"\"app_home_opened\",\"user\":\"U0ANN\",\"channel\":\"D0ANNBOT\",\"tab\":\"home\"}}",
		ENV("{\"type\":\"app_home_opened\",\"channel\":\"D0ANNBOT\",\"tab\":\"home\"}"),
		ENV("{\"type\":\"member_joined_channel\",\"user\":\"U0BOT\",\"channel\":\"\"}"),
	};
	struct slackev out;
	char *s;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		enum slackev_outcome oc = callback(bad[i], &self, &out);
		if (oc != SLACKEV_BAD)
			fail_msg("fixture %zu: outcome %d, want SLACKEV_BAD: %s", i, (int)oc, bad[i]);
		assert_not_handled(oc, SLACKEV_BAD, &out);
	}
	assert_not_handled(slackev_callback(NULL, &self, &out), SLACKEV_BAD, &out);

	/* ids: 255 bytes pass, 256 are refused */
	s = long_id_message("channel", 255);
	assert_int_equal(callback(s, &self, &out), SLACKEV_HANDLE);
	slackev_clear(&out);
	free(s);
	s = long_id_message("channel", 256);
	assert_not_handled(callback(s, &self, &out), SLACKEV_BAD, &out);
	free(s);
	s = long_id_message("user", 256);
	assert_not_handled(callback(s, &self, &out), SLACKEV_BAD, &out);
	free(s);
	s = long_id_message("user", 10000);
	assert_not_handled(callback(s, &self, &out), SLACKEV_BAD, &out);
	free(s);
}

/*
 * A mistyped subtype is malformed (slackev.h: "a missing or mistyped field
 * is SLACKEV_BAD"), and a subtype drilld does not know is ignored however
 * long it is; neither may pass as a person's plain message.
 */
static void
test_odd_subtypes_not_messages(void **state)
{
	char sub[200], json[600];
	struct slackev out;
	enum slackev_outcome oc;

	(void)state;
	oc = callback(ENV("{\"type\":\"message\",\"subtype\":17,\"channel\":\"C0DRILL01\","
	    "\"user\":\"U0ANN\",\"text\":\"hi\",\"ts\":\"1712345678.000200\"}"), &self, &out);
	slackev_clear(&out);
	if (oc == SLACKEV_HANDLE)
		fail_msg("a message with \"subtype\":17 is handled as a person's message");
	memset(sub, 'x', 100);
	sub[100] = '\0';
	snprintf(json, sizeof(json), "{\"type\":\"event_callback\",\"event\":{\"type\":"
	    "\"message\",\"subtype\":\"channel_%s\",\"channel\":\"C0DRILL01\",\"user\":\"U0ANN\","
	    "\"text\":\"hi\",\"ts\":\"1712345678.000200\"}}", sub);
	oc = callback(json, &self, &out);
	slackev_clear(&out);
	if (oc != SLACKEV_IGNORE)
		fail_msg("a message with a 108-byte subtype: outcome %d, want SLACKEV_IGNORE",
		    (int)oc);
}

/*
 * jsonv_parse lets "\u0000" through as a NUL inside a string. A message's
 * text must not carry one past text_len's C-string reading (the engine
 * would store bytes a person never sees, and show a cut answer), and an id
 * with one is not a Slack id: "U0ANN\u0000x" must not pass as U0ANN.
 */
static void
test_nul_escapes(void **state)
{
	struct slackev out;
	enum slackev_outcome oc;
	bool cut;

	(void)state;
	oc = callback(ENV("{\"type\":\"message\",\"channel\":\"C0DRILL01\",\"user\":\"U0ANN\","
	    "\"text\":\"B-tree\\u0000 and more\",\"ts\":\"1712345678.000200\"}"), &self, &out);
	cut = oc == SLACKEV_HANDLE && memchr(out.ev.text, '\0', out.ev.text_len) != NULL;
	slackev_clear(&out);
	if (cut)
		fail_msg("a text with \\u0000 is handled with a NUL inside text_len");
	oc = callback(ENV("{\"type\":\"message\",\"channel\":\"C0DRILL01\","
	    "\"user\":\"U0ANN\\u0000x\",\"text\":\"hi\",\"ts\":\"1712345678.000200\"}"),
	    &self, &out);
	slackev_clear(&out);
	if (oc != SLACKEV_BAD)
		fail_msg("a user id with \\u0000: outcome %d, want SLACKEV_BAD", (int)oc);
}

/* ---- slash commands ---------------------------------------------------- */

/* Slack's documented slash command body (protocols.md A.2.3) with text set. */
#define FORM(text) "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J" \
	"&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar" \
	"&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fdrill&text=" text \
	"&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J" \
	"%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN" \
	"&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"

static void
test_command(void **state)
{
	struct slackev out;
	struct json_object *o;

	(void)state;
	assert_int_equal(command_form(FORM("practice+databases"), &out), SLACKEV_HANDLE);
	assert_int_equal(out.ev.kind, PLATFORM_EV_COMMAND);
	assert_true(out.ev.addressed);
	assert_text(&out, "practice databases");
	assert_string_equal(out.ev.conversation, "slack:G8PSS9T3V");
	assert_int_equal(out.ev.conv_kind, PLATFORM_CHANNEL);
	assert_string_equal(out.ev.user, "slack:U2CERLKJA");
	assert_string_equal(out.slack_user, "U2CERLKJA");
	assert_string_equal(out.ev.event_id,
	    "slack:cmd:398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c");
	assert_string_equal(out.response_url, "https://hooks.slack.com/commands/T1DC2JH3J/"
	    "397700885554/96rGlfmibIGlgcZRskXaIFfN");
	slackev_clear(&out);

	/* "/drill" alone, or only blanks, asks for help */
	assert_int_equal(command_form(FORM(""), &out), SLACKEV_HANDLE);
	assert_text(&out, "help");
	slackev_clear(&out);
	assert_int_equal(command_form(FORM("++%20"), &out), SLACKEV_HANDLE);
	assert_text(&out, "help");
	slackev_clear(&out);

	/* escaped mentions arrive as <@U...|name>: shown as typed */
	assert_int_equal(command_form(FORM("challenge+%3C%40U0ANN%7Cann%3E"), &out),
	    SLACKEV_HANDLE);
	assert_text(&out, "challenge @ann");
	slackev_clear(&out);

	/* in a DM with the bot */
	assert_int_equal(command_form("command=%2Fdrill&text=stats&user_id=U0ANN"
	    "&channel_id=D0ANNBOT&trigger_id=1.2.abc", &out), SLACKEV_HANDLE);
	assert_int_equal(out.ev.conv_kind, PLATFORM_DM);
	assert_text(&out, "stats");
	assert_null(out.response_url);
	slackev_clear(&out);

	/* Socket Mode gives the same fields as JSON */
	o = parse("{\"command\":\"/drill\",\"text\":\"skip\",\"user_id\":\"U0ANN\","
	    "\"channel_id\":\"C0DRILL01\",\"response_url\":\"https://hooks.slack.com/commands/x\","
	    "\"trigger_id\":\"13345224609.738474920.8088930838d88f008e0\"}");
	assert_int_equal(slackev_command(o, &out), SLACKEV_HANDLE);
	assert_text(&out, "skip");
	assert_string_equal(out.ev.event_id, "slack:cmd:13345224609.738474920.8088930838d88f008e0");
	slackev_clear(&out);
	json_object_put(o);

	/* what cannot be a command */
	assert_not_handled(command_form("command=%2Fdrill&text=stats&user_id=U0ANN"
	    "&channel_id=C0DRILL01", &out), SLACKEV_BAD, &out);	/* no trigger_id */
	assert_not_handled(command_form("command=%2Fdrill&text=stats&channel_id=C0DRILL01"
	    "&trigger_id=1.2.abc", &out), SLACKEV_BAD, &out);	/* no user */
	assert_not_handled(command_form("command=%2Fdrill&text=stats&user_id=U0ANN"
	    "&trigger_id=1.2.abc", &out), SLACKEV_BAD, &out);	/* no channel */
	o = parse("{\"command\":\"/drill\",\"text\":5,\"user_id\":\"U0ANN\","
	    "\"channel_id\":\"C0DRILL01\",\"trigger_id\":\"1.2.abc\"}");
	assert_not_handled(slackev_command(o, &out), SLACKEV_BAD, &out);
	json_object_put(o);
	o = parse("[\"/drill\"]");
	assert_not_handled(slackev_command(o, &out), SLACKEV_BAD, &out);
	json_object_put(o);
	assert_not_handled(slackev_command(NULL, &out), SLACKEV_BAD, &out);
}

static const char *
field(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		return NULL;
	assert_true(json_object_is_type(v, json_type_string));
	return json_object_get_string(v);
}

static int
form(const char *body, struct json_object **o)
{
	return slackev_form(body, strlen(body), o);
}

static void
test_form(void **state)
{
	struct json_object *o = (struct json_object *)1;
	char body[2048];
	size_t n = 0;

	(void)state;
	assert_int_equal(form("text=caf%C3%A9+%26+1%2B1%3D2&command=%2fdrill&a=b=c", &o), DRILL_OK);
	assert_string_equal(field(o, "text"), "caf\xc3\xa9 & 1+1=2");
	assert_string_equal(field(o, "command"), "/drill");	/* lower-case hex too */
	assert_string_equal(field(o, "a"), "b=c");
	json_object_put(o);

	/* empty fields, a name without '=', a repeated name (the last wins) */
	assert_int_equal(form("a=1&&flag&text=one&text=two&", &o), DRILL_OK);
	assert_string_equal(field(o, "a"), "1");
	assert_string_equal(field(o, "flag"), "");
	assert_string_equal(field(o, "text"), "two");
	assert_int_equal(json_object_object_length(o), 3);
	json_object_put(o);
	assert_int_equal(slackev_form("", 0, &o), DRILL_OK);
	assert_int_equal(json_object_object_length(o), 0);
	json_object_put(o);
	/* len, not the NUL, ends the body */
	assert_int_equal(slackev_form("text=abc&user_id=U1", 8, &o), DRILL_OK);
	assert_string_equal(field(o, "text"), "abc");
	assert_null(field(o, "user_id"));
	json_object_put(o);

	/* refused, and *out stays NULL */
	static const char *bad[] = {
		"text=%4", "text=%", "text=%zz", "text=50%+off", "te%xt=1",
		"text=%FF", "text=%C3", "text=%C0%AF", "text=%ED%A0%80",
		"text=a%00b", "%00=x", "text=a\xff",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		o = (struct json_object *)1;
		if (form(bad[i], &o) != DRILL_EINVAL)
			fail_msg("form %s: accepted", bad[i]);
		assert_null(o);
	}

	/* 64 fields, not 65 */
	for (int i = 0; i < 64; i++)
		n += (size_t)snprintf(body + n, sizeof(body) - n, "%sf%d=v", i ? "&" : "", i);
	assert_int_equal(form(body, &o), DRILL_OK);
	assert_int_equal(json_object_object_length(o), 64);
	json_object_put(o);
	snprintf(body + n, sizeof(body) - n, "&f64=v");
	o = (struct json_object *)1;
	assert_int_equal(form(body, &o), DRILL_EINVAL);
	assert_null(o);
}

/* ---- buttons ----------------------------------------------------------- */

/* A block_actions payload; container, message and action parts vary. */
#define ACTION(container, message, value) "{\"type\":\"block_actions\"," \
	"\"user\":{\"id\":\"U0ANN\",\"username\":\"ann\",\"name\":\"ann\",\"team_id\":\"T0TEAM\"}," \
	"\"api_app_id\":\"A0APP\",\"token\":\"XXYYZZ\",\"container\":" container "," \
	"\"trigger_id\":\"12321423423.333649436676.d8c1bb837935619ccad0f624c448ffb3\"," \
	"\"team\":{\"id\":\"T0TEAM\",\"domain\":\"drill\"}," \
	"\"channel\":{\"id\":\"C0DRILL01\",\"name\":\"drills\"}," message \
	"\"response_url\":\"https://hooks.slack.com/actions/T0TEAM/1/abc\"," \
	"\"actions\":[{\"action_id\":\"answer\",\"block_id\":\"q42\",\"type\":\"button\"," \
	value "\"text\":{\"type\":\"plain_text\",\"text\":\"Answer privately\"}," \
	"\"action_ts\":\"1712345699.840180\"}],\"state\":{\"values\":{}}}"
#define ROOT_CONTAINER "{\"type\":\"message\",\"message_ts\":\"1712345600.000100\"," \
	"\"channel_id\":\"C0DRILL01\",\"is_ephemeral\":false}"
#define ROOT_MESSAGE "\"message\":{\"type\":\"message\",\"user\":\"U0BOT\",\"bot_id\":" \
	"\"B0BOT\",\"text\":\"Question: what is an index?\",\"ts\":\"1712345600.000100\"," \
	"\"blocks\":[]},"

static void
test_button_on_question(void **state)
{
	struct slackev out;

	(void)state;
	assert_int_equal(interaction(ACTION(ROOT_CONTAINER, ROOT_MESSAGE,
	    "\"value\":\"answer q42\","), &out), SLACKEV_HANDLE);
	assert_int_equal(out.ev.kind, PLATFORM_EV_BUTTON);
	assert_true(out.ev.addressed);
	assert_text(&out, "answer q42");
	assert_string_equal(out.ev.conversation, "slack:C0DRILL01");
	assert_int_equal(out.ev.conv_kind, PLATFORM_CHANNEL);
	assert_string_equal(out.ev.user, "slack:U0ANN");
	assert_string_equal(out.slack_user, "U0ANN");
	/* the question itself is the thread the answer belongs to */
	assert_string_equal(out.ev.thread_id, "1712345600.000100");
	assert_string_equal(out.ev.event_id, "slack:act:U0ANN:1712345699.840180");
	assert_string_equal(out.response_url, "https://hooks.slack.com/actions/T0TEAM/1/abc");
	assert_int_equal(out.ev.ts, 1712345699);
	slackev_clear(&out);
}

static void
test_button_in_thread(void **state)
{
	struct slackev out;

	(void)state;
	/* a button on the bot's reply inside the question's thread */
	assert_int_equal(interaction(ACTION("{\"type\":\"message\",\"message_ts\":"
	    "\"1712345650.000200\",\"channel_id\":\"C0DRILL01\",\"is_ephemeral\":false,"
	    "\"thread_ts\":\"1712345600.000100\"}", "\"message\":{\"type\":\"message\","
	    "\"user\":\"U0BOT\",\"bot_id\":\"B0BOT\",\"text\":\"Hint?\","
	    "\"ts\":\"1712345650.000200\",\"thread_ts\":\"1712345600.000100\"},",
	    "\"value\":\"hint\","), &out), SLACKEV_HANDLE);
	assert_string_equal(out.ev.thread_id, "1712345600.000100");
	assert_text(&out, "hint");
	slackev_clear(&out);

	/* an ephemeral message has no message object: its container says it */
	assert_int_equal(interaction(ACTION("{\"type\":\"message\",\"message_ts\":"
	    "\"1712345650.000200\",\"channel_id\":\"C0DRILL01\",\"is_ephemeral\":true,"
	    "\"thread_ts\":\"1712345600.000100\"}", "", "\"value\":\"skip\","), &out),
	    SLACKEV_HANDLE);
	assert_string_equal(out.ev.thread_id, "1712345600.000100");
	assert_string_equal(out.ev.conversation, "slack:C0DRILL01");
	assert_text(&out, "skip");
	slackev_clear(&out);
	/* ... and outside a thread, it is in none (not in the ephemeral's own ts) */
	assert_int_equal(interaction(ACTION("{\"type\":\"message\",\"message_ts\":"
	    "\"1712345650.000200\",\"channel_id\":\"C0DRILL01\",\"is_ephemeral\":true}", "",
	    "\"value\":\"stats\","), &out), SLACKEV_HANDLE);
	assert_null(out.ev.thread_id);
	assert_text(&out, "stats");
	slackev_clear(&out);
}

static void
test_button_ignored_and_bad(void **state)
{
	struct slackev out;

	(void)state;
	/* a button without a value (a link button) carries no command */
	assert_not_handled(interaction(ACTION(ROOT_CONTAINER, ROOT_MESSAGE, ""), &out),
	    SLACKEV_IGNORE, &out);
	assert_not_handled(interaction(ACTION(ROOT_CONTAINER, ROOT_MESSAGE,
	    "\"value\":\"\","), &out), SLACKEV_IGNORE, &out);
	/* other interactions */
	assert_not_handled(interaction("{\"type\":\"view_submission\",\"team\":{\"id\":"
	    "\"T0TEAM\"},\"user\":{\"id\":\"U0ANN\"},\"view\":{\"id\":\"V0\",\"type\":\"modal\","
	    "\"state\":{\"values\":{}}}}", &out), SLACKEV_IGNORE, &out);
	assert_not_handled(interaction("{\"type\":\"shortcut\",\"callback_id\":\"x\","
	    "\"user\":{\"id\":\"U0ANN\"},\"trigger_id\":\"1.2.3\"}", &out), SLACKEV_IGNORE, &out);
	/* malformed */
	assert_not_handled(interaction("{\"user\":{\"id\":\"U0ANN\"}}", &out), SLACKEV_BAD, &out);
	assert_not_handled(interaction("[1]", &out), SLACKEV_BAD, &out);
	assert_not_handled(slackev_interaction(NULL, &out), SLACKEV_BAD, &out);
	assert_not_handled(interaction("{\"type\":\"block_actions\",\"user\":{\"id\":\"U0ANN\"},"
	    "\"channel\":{\"id\":\"C0DRILL01\"},\"actions\":[]}", &out), SLACKEV_BAD, &out);
	assert_not_handled(interaction("{\"type\":\"block_actions\",\"user\":{\"id\":\"U0ANN\"},"
	    "\"channel\":{\"id\":\"C0DRILL01\"},\"actions\":{\"value\":\"x\"}}", &out),
	    SLACKEV_BAD, &out);
	assert_not_handled(interaction("{\"type\":\"block_actions\",\"user\":{\"id\":\"U0ANN\"},"
	    "\"channel\":{\"id\":\"C0DRILL01\"},\"actions\":[\"x\"]}", &out), SLACKEV_BAD, &out);
	assert_not_handled(interaction("{\"type\":\"block_actions\",\"user\":{\"id\":\"U0 ANN\"},"
	    "\"channel\":{\"id\":\"C0DRILL01\"},\"actions\":[{\"value\":\"x\","
	    "\"action_ts\":\"1.2\"}]}", &out), SLACKEV_BAD, &out);
	assert_not_handled(interaction("{\"type\":\"block_actions\",\"user\":{\"id\":\"U0ANN\"},"
	    "\"channel\":{\"id\":\"C0DRILL01\"},\"actions\":[{\"value\":\"x\"}]}", &out),
	    SLACKEV_BAD, &out);	/* no action_ts: no key */
}

/* ---- text -------------------------------------------------------------- */

static void
assert_plain(const char *in, const char *self_user, const char *want, bool want_mentioned)
{
	bool mentioned = !want_mentioned;
	size_t len = 12345;
	char *s = slackev_plain(in, strlen(in), self_user, &mentioned, &len);
	char got[512];

	assert_non_null(s);
	snprintf(got, sizeof(got), "%s", s);
	free(s);	/* before any failure: a failing test leaks nothing */
	if (strcmp(got, want) != 0)
		fail_msg("plain(\"%s\") = \"%s\", want \"%s\"", in, got, want);
	assert_int_equal(len, strlen(want));
	assert_int_equal(mentioned, want_mentioned);
	assert_true(len <= strlen(in));
}

static void
test_plain(void **state)
{
	size_t len;
	char *s;

	(void)state;
	/* the three escapes, once, and nothing else */
	assert_plain("a &lt;b&gt; &amp;&amp; c", NULL, "a <b> && c", false);
	assert_plain("&amp;lt; is how you write &lt;", NULL, "&lt; is how you write <", false);
	assert_plain("&quot;x&quot; &#39;y&#39; &apos; &LT; &nbsp;", NULL,
	    "&quot;x&quot; &#39;y&#39; &apos; &LT; &nbsp;", false);
	assert_plain("&lt &amp &gt", NULL, "&lt &amp &gt", false);
	/* links, mail, channels, broadcasts, groups, dates */
	assert_plain("see <https://use-the-index-luke.com/|the index book>", NULL,
	    "see the index book", false);
	assert_plain("see <https://use-the-index-luke.com/>", NULL,
	    "see https://use-the-index-luke.com/", false);
	assert_plain("mail <mailto:ann@example.com|ann@example.com>", NULL,
	    "mail ann@example.com", false);
	assert_plain("<mailto:ann@example.com>", NULL, "ann@example.com", false);
	assert_plain("in <#C1|general> please", NULL, "in #general please", false);
	assert_plain("in <#C0DRILL01>", NULL, "in #C0DRILL01", false);
	assert_plain("<!here> quiz time", NULL, "@here quiz time", false);
	assert_plain("<!channel>", NULL, "@channel", false);
	assert_plain("ping <!subteam^S1|@team>", NULL, "ping @team", false);
	assert_plain("due <!date^1392734382^{date_short}|Feb 18, 2014>", NULL,
	    "due Feb 18, 2014", false);
	/* people */
	assert_plain("<@U0BOT> practice databases", "U0BOT", "practice databases", true);
	assert_plain("<@U0BOT|drill>\n", "U0BOT", "", true);
	assert_plain("ask <@U0ANN> and <@U0BOB|bob>", "U0BOT", "ask @U0ANN and @bob", false);
	assert_plain("<@U0BOT> hi", "", "@U0BOT hi", false);
	assert_plain("<@U0BOT> hi", NULL, "@U0BOT hi", false);
	/* a '<' that opens nothing stays */
	assert_plain("x <y", NULL, "x <y", false);
	assert_plain("a <b <https://x.example|c>", NULL, "a <b c", false);
	assert_plain("<", NULL, "<", false);
	assert_plain("<>", NULL, "", false);
	/* white space around goes, inside stays; UTF-8 is untouched */
	assert_plain(" \t\r\n  two\n lines \n\t ", NULL, "two\n lines", false);
	assert_plain("na\xc3\xafve \xe2\x80\x94 \xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e \xf0\x9f\x98\x80",
	    NULL, "na\xc3\xafve \xe2\x80\x94 \xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e \xf0\x9f\x98\x80",
	    false);
	assert_plain("", NULL, "", false);

	/* bytes, not a C string: len bounds it; mentioned may be NULL */
	s = slackev_plain("abc<@U0BOT>", 3, "U0BOT", NULL, &len);
	assert_non_null(s);
	assert_string_equal(s, "abc");
	assert_int_equal(len, 3);
	free(s);
	s = slackev_plain("a\0b", 3, NULL, NULL, &len);
	assert_non_null(s);
	assert_int_equal(len, 3);
	assert_memory_equal(s, "a\0b", 4);
	free(s);
}

/*
 * Slack escapes '&' inside links and labels too: "then &lt; &gt; &amp; are
 * decoded" (slackev.h) must reach them, or a person sees "&amp;".
 */
static void
test_plain_unescapes_inside_entities(void **state)
{
	(void)state;
	assert_plain("<https://example.com/q?a=1&amp;b=2>", NULL,
	    "https://example.com/q?a=1&b=2", false);
	assert_plain("read <https://example.com/q?a=1&amp;b=2|Q&amp;A>", NULL, "read Q&A", false);
	assert_plain("ping <!subteam^S1|@r&amp;d>", NULL, "ping @r&d", false);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_channel_message),
		cmocka_unit_test(test_app_mention_same_key),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_mentions),
		cmocka_unit_test(test_dm),
		cmocka_unit_test(test_ignored_messages),
		cmocka_unit_test(test_edit),
		cmocka_unit_test(test_delete),
		cmocka_unit_test(test_join),
		cmocka_unit_test(test_home),
		cmocka_unit_test(test_url_verification),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_odd_subtypes_not_messages),
		cmocka_unit_test(test_nul_escapes),
		cmocka_unit_test(test_command),
		cmocka_unit_test(test_form),
		cmocka_unit_test(test_button_on_question),
		cmocka_unit_test(test_button_in_thread),
		cmocka_unit_test(test_button_ignored_and_bad),
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_plain_unescapes_inside_entities),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
