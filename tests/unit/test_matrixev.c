/*
 * test_matrixev.c - what a homeserver sends (events in a /sync timeline or
 * an invite section, and in an application service transaction) as the
 * engine sees it: who wrote what in which room, whether the bot was
 * addressed, the thread a reply belongs to, edits, and the membership
 * changes the adapter acts on. Fixtures follow the shapes in protocols.md
 * B.1.2, B.2.2 and B.2.3.
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
#include "drill/matrixev.h"

#define SELF "@drilld:example.org"
#define ROOM "!kBhOXkEfzyRdyTwJhl:example.org"

/* A /sync section of a channel, of a DM, and a transaction (room in the event). */
static const struct matrixev_ctx sync_ctx = {SELF, ROOM, false};
static const struct matrixev_ctx dm_ctx = {SELF, "!dmAnnDrilld:example.org", true};
static const struct matrixev_ctx txn_ctx = {SELF, NULL, false};

/* An m.room.message by sender with event id id and the content c (JSON text). */
#define MSG_BY(sender, id, c) "{\"type\":\"m.room.message\",\"event_id\":\"" id "\"," \
	"\"sender\":\"" sender "\",\"origin_server_ts\":1712345678653," \
	"\"content\":" c ",\"unsigned\":{\"age\":1234}}"
#define MSG(c) MSG_BY("@ann:example.org", "$Rqnc-F-dvnEYJTyHq_iKxU2bZ1CI92-kuZq3a5lr5Zg", c)
#define TEXT(body) MSG("{\"msgtype\":\"m.text\",\"body\":\"" body "\"}")
#define EV_ID "$Rqnc-F-dvnEYJTyHq_iKxU2bZ1CI92-kuZq3a5lr5Zg"

/* An m.room.member event of state_key, sent by sender, with the content c. */
#define MEMBER(sender, key, c) "{\"type\":\"m.room.member\"," \
	"\"event_id\":\"$mem0A1b2C3d4E5f6G7h8I9j0KlMnOpQrStUvWxYz12\"," \
	"\"sender\":\"" sender "\",\"state_key\":\"" key "\"," \
	"\"origin_server_ts\":1712345679000,\"content\":" c "}"

static struct json_object *
parse(const char *s)
{
	struct json_object *o = NULL;
	struct jsonv_error e;

	if (jsonv_parse(s, strlen(s), 32, &o, &e) != 0)
		fail_msg("fixture does not parse: %s", e.msg);
	return o;
}

/* matrixev_event over the JSON text s; the caller clears out. */
static enum matrixev_outcome
event(const char *s, const struct matrixev_ctx *ctx, struct matrixev *out)
{
	struct json_object *o = parse(s);
	enum matrixev_outcome oc = matrixev_event(o, ctx, out);

	json_object_put(o);
	/* ev points into out, never into the JSON: still readable here */
	return oc;
}

/* The outcome is IGNORE or BAD and says why; nothing reaches the engine. */
static void
assert_not_handled(enum matrixev_outcome oc, enum matrixev_outcome want, struct matrixev *out)
{
	assert_int_equal(oc, want);
	assert_non_null(out->why);
	assert_true(out->why[0] != '\0');
	matrixev_clear(out);
}

static void
assert_text(const struct matrixev *out, const char *want)
{
	assert_non_null(out->ev.text);
	assert_string_equal(out->ev.text, want);
	assert_int_equal(out->ev.text_len, strlen(want));
}

/* ---- messages ---------------------------------------------------------- */

static void
test_room_message(void **state)
{
	struct matrixev out;

	(void)state;
	memset(&out, 0xa5, sizeof(out));	/* out is zeroed first */
	assert_int_equal(event(TEXT("B-tree, because range scans need order"), &sync_ctx, &out),
	    MATRIXEV_HANDLE);
	assert_int_equal(out.ev.kind, PLATFORM_EV_MESSAGE);
	assert_string_equal(out.ev.conversation, "matrix:" ROOM);
	assert_int_equal(out.ev.conv_kind, PLATFORM_CHANNEL);
	assert_string_equal(out.ev.user, "matrix:@ann:example.org");
	assert_string_equal(out.ev.event_id, "matrix:" EV_ID);
	assert_string_equal(out.ev.message_id, EV_ID);
	assert_text(&out, "B-tree, because range scans need order");
	assert_false(out.ev.addressed);
	assert_null(out.ev.thread_id);
	assert_null(out.ev.reply_to);
	assert_int_equal(out.ev.ts, 1712345678);
	assert_string_equal(out.room, ROOM);
	assert_null(out.inviter);
	matrixev_clear(&out);
	/* cleared means zeroed; clearing twice is harmless */
	assert_null(out.ev.text);
	assert_null(out.room);
	for (size_t i = 0; i < sizeof(out.buf) / sizeof(out.buf[0]); i++)
		assert_null(out.buf[i]);
	matrixev_clear(&out);
	matrixev_clear(NULL);
}

/* The same event in a transaction: its own room_id names the room. */
static void
test_transaction_room(void **state)
{
	struct matrixev out;
	struct matrixev_ctx other = {SELF, "!other:example.org", false};
	const char *ev = "{\"type\":\"m.room.message\",\"room_id\":\"!tx5Room:example.org\","
	    "\"event_id\":\"$tx1\",\"sender\":\"@ann:example.org\","
	    "\"origin_server_ts\":1712345678653,"
	    "\"content\":{\"msgtype\":\"m.text\",\"body\":\"hash join\"}}";

	(void)state;
	assert_int_equal(event(ev, &txn_ctx, &out), MATRIXEV_HANDLE);
	assert_string_equal(out.ev.conversation, "matrix:!tx5Room:example.org");
	assert_string_equal(out.room, "!tx5Room:example.org");
	assert_string_equal(out.ev.event_id, "matrix:$tx1");
	assert_text(&out, "hash join");
	matrixev_clear(&out);

	/* a /sync section names the room; the event's room_id does not count */
	assert_int_equal(event(ev, &other, &out), MATRIXEV_HANDLE);
	assert_string_equal(out.ev.conversation, "matrix:!other:example.org");
	assert_string_equal(out.room, "!other:example.org");
	matrixev_clear(&out);

	/* in a transaction, an event without a room is malformed */
	assert_not_handled(event(TEXT("hi"), &txn_ctx, &out), MATRIXEV_BAD, &out);
}

static void
test_dm(void **state)
{
	struct matrixev out;

	(void)state;
	assert_int_equal(event(TEXT("practice databases"), &dm_ctx, &out), MATRIXEV_HANDLE);
	assert_int_equal(out.ev.kind, PLATFORM_EV_MESSAGE);
	assert_int_equal(out.ev.conv_kind, PLATFORM_DM);
	assert_string_equal(out.ev.conversation, "matrix:!dmAnnDrilld:example.org");
	assert_true(out.ev.addressed);
	assert_text(&out, "practice databases");
	matrixev_clear(&out);

	/* a prefix in a DM is still taken out */
	assert_int_equal(event(TEXT("!drill stats"), &dm_ctx, &out), MATRIXEV_HANDLE);
	assert_true(out.ev.addressed);
	assert_text(&out, "stats");
	matrixev_clear(&out);
}

static void
test_addressed(void **state)
{
	struct matrixev out;
	struct matrixev_ctx anon = {NULL, ROOM, false};

	(void)state;
	/* the "!drill" prefix */
	assert_int_equal(event(TEXT("!drill practice"), &sync_ctx, &out), MATRIXEV_HANDLE);
	assert_true(out.ev.addressed);
	assert_text(&out, "practice");
	assert_int_equal(out.ev.conv_kind, PLATFORM_CHANNEL);
	matrixev_clear(&out);
	assert_int_equal(event(TEXT("  !drill   practice databases  "), &sync_ctx, &out),
	    MATRIXEV_HANDLE);
	assert_true(out.ev.addressed);
	assert_text(&out, "practice databases");
	matrixev_clear(&out);
	assert_int_equal(event(TEXT("!drill"), &sync_ctx, &out), MATRIXEV_HANDLE);
	assert_true(out.ev.addressed);
	assert_text(&out, "");
	matrixev_clear(&out);
	/* a word that only starts like the prefix is text */
	assert_int_equal(event(TEXT("!drillbit sharpened"), &sync_ctx, &out), MATRIXEV_HANDLE);
	assert_false(out.ev.addressed);
	assert_text(&out, "!drillbit sharpened");
	matrixev_clear(&out);
	/* only at the start */
	assert_int_equal(event(TEXT("try !drill practice"), &sync_ctx, &out), MATRIXEV_HANDLE);
	assert_false(out.ev.addressed);
	assert_text(&out, "try !drill practice");
	matrixev_clear(&out);

	/* "localpart:" as clients write a mention into body */
	assert_int_equal(event(TEXT("drilld: help"), &sync_ctx, &out), MATRIXEV_HANDLE);
	assert_true(out.ev.addressed);
	assert_text(&out, "help");
	matrixev_clear(&out);
	assert_int_equal(event(TEXT("Drilld:skip"), &sync_ctx, &out), MATRIXEV_HANDLE);
	assert_true(out.ev.addressed);
	assert_text(&out, "skip");
	matrixev_clear(&out);
	/* another localpart that starts like the bot's, or no colon */
	assert_int_equal(event(TEXT("drilldx: help"), &sync_ctx, &out), MATRIXEV_HANDLE);
	assert_false(out.ev.addressed);
	assert_text(&out, "drilldx: help");
	matrixev_clear(&out);
	assert_int_equal(event(TEXT("drilld help"), &sync_ctx, &out), MATRIXEV_HANDLE);
	assert_false(out.ev.addressed);
	assert_text(&out, "drilld help");
	matrixev_clear(&out);
	assert_int_equal(event(TEXT("ask drilld: later"), &sync_ctx, &out), MATRIXEV_HANDLE);
	assert_false(out.ev.addressed);
	matrixev_clear(&out);
	/* without knowing itself the bot has no localpart */
	assert_int_equal(event(TEXT("drilld: help"), &anon, &out), MATRIXEV_HANDLE);
	assert_false(out.ev.addressed);
	assert_text(&out, "drilld: help");
	matrixev_clear(&out);

	/* an intentional mention (B.2.2): the pill's text, as the client put it
	 * at the start of the body, is taken out like "!drill" */
	assert_int_equal(event(MSG("{\"msgtype\":\"m.text\",\"body\":\"Drill Bot next\","
	    "\"format\":\"org.matrix.custom.html\",\"formatted_body\":"
	    "\"<a href=\\\"https://matrix.to/#/@drilld:example.org\\\">Drill Bot</a> next\","
	    "\"m.mentions\":{\"user_ids\":[\"@bob:example.org\",\"" SELF "\"]}}"),
	    &sync_ctx, &out), MATRIXEV_HANDLE);
	assert_true(out.ev.addressed);
	assert_text(&out, "next");
	matrixev_clear(&out);
	/* someone else's mention, an empty m.mentions, @room: not the bot */
	assert_int_equal(event(MSG("{\"msgtype\":\"m.text\",\"body\":\"Bob: next\","
	    "\"m.mentions\":{\"user_ids\":[\"@bob:example.org\"]}}"), &sync_ctx, &out),
	    MATRIXEV_HANDLE);
	assert_false(out.ev.addressed);
	matrixev_clear(&out);
	assert_int_equal(event(MSG("{\"msgtype\":\"m.text\",\"body\":\"next\","
	    "\"m.mentions\":{}}"), &sync_ctx, &out), MATRIXEV_HANDLE);
	assert_false(out.ev.addressed);
	matrixev_clear(&out);
	assert_int_equal(event(MSG("{\"msgtype\":\"m.text\",\"body\":\"@room next\","
	    "\"m.mentions\":{\"room\":true}}"), &sync_ctx, &out), MATRIXEV_HANDLE);
	assert_false(out.ev.addressed);
	matrixev_clear(&out);
	/* mistyped m.mentions: not a mention, and not a crash */
	assert_int_equal(event(MSG("{\"msgtype\":\"m.text\",\"body\":\"next\","
	    "\"m.mentions\":{\"user_ids\":\"" SELF "\"}}"), &sync_ctx, &out), MATRIXEV_HANDLE);
	assert_false(out.ev.addressed);
	matrixev_clear(&out);
	assert_int_equal(event(MSG("{\"msgtype\":\"m.text\",\"body\":\"next\","
	    "\"m.mentions\":{\"user_ids\":[5,null,{}]}}"), &sync_ctx, &out), MATRIXEV_HANDLE);
	assert_false(out.ev.addressed);
	matrixev_clear(&out);
}

static void
test_emote(void **state)
{
	struct matrixev out;

	(void)state;
	assert_int_equal(event(MSG("{\"msgtype\":\"m.emote\",\"body\":\"thinks it is a hash join\"}"),
	    &sync_ctx, &out), MATRIXEV_HANDLE);
	assert_int_equal(out.ev.kind, PLATFORM_EV_MESSAGE);
	assert_text(&out, "thinks it is a hash join");
	assert_string_equal(out.ev.user, "matrix:@ann:example.org");
	matrixev_clear(&out);
}

static void
test_ignored(void **state)
{
	struct matrixev out;
	static const char *msgtypes[] = {
		"m.image", "m.file", "m.audio", "m.video", "m.location", "m.server_notice",
		"m.key.verification.request", "org.example.custom", "M.TEXT", "",
	};
	static const char *types[] = {
		"m.reaction", "m.room.redaction", "m.room.name", "m.room.topic",
		"m.sticker", "m.call.invite", "m.room.message.feedback", "org.example.event",
	};
	char buf[512];

	(void)state;
	/* bots answer in notices; a bot never answers a notice (B.2.2) */
	assert_not_handled(event(MSG("{\"msgtype\":\"m.notice\",\"body\":\"!drill practice\"}"),
	    &sync_ctx, &out), MATRIXEV_IGNORE, &out);
	assert_not_handled(event(MSG("{\"msgtype\":\"m.notice\",\"body\":\"drilld: help\"}"),
	    &dm_ctx, &out), MATRIXEV_IGNORE, &out);
	/* what the bot sent itself, even with a transaction_id echo */
	assert_not_handled(event("{\"type\":\"m.room.message\",\"event_id\":\"$own1\","
	    "\"sender\":\"" SELF "\",\"origin_server_ts\":1712345678653,"
	    "\"content\":{\"msgtype\":\"m.text\",\"body\":\"!drill practice\"},"
	    "\"unsigned\":{\"age\":1,\"transaction_id\":\"1712345678-1\"}}", &dm_ctx, &out),
	    MATRIXEV_IGNORE, &out);
	assert_not_handled(event(MSG_BY(SELF, "$own2", "{\"msgtype\":\"m.emote\",\"body\":\"x\"}"),
	    &sync_ctx, &out), MATRIXEV_IGNORE, &out);
	/* message types drilld does not read */
	for (size_t i = 0; i < sizeof(msgtypes) / sizeof(msgtypes[0]); i++) {
		snprintf(buf, sizeof(buf), MSG("{\"msgtype\":\"%s\",\"body\":\"practice\","
		    "\"url\":\"mxc://example.org/abc\"}"), msgtypes[i]);
		if (event(buf, &dm_ctx, &out) != MATRIXEV_IGNORE)
			fail_msg("msgtype \"%s\": not ignored", msgtypes[i]);
		assert_not_handled(MATRIXEV_IGNORE, MATRIXEV_IGNORE, &out);
	}
	/* event types drilld does not read */
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		snprintf(buf, sizeof(buf), "{\"type\":\"%s\",\"event_id\":\"$e1\","
		    "\"sender\":\"@ann:example.org\",\"state_key\":\"\","
		    "\"content\":{\"msgtype\":\"m.text\",\"body\":\"hi\"}}", types[i]);
		if (event(buf, &sync_ctx, &out) != MATRIXEV_IGNORE)
			fail_msg("type \"%s\": not ignored", types[i]);
		assert_non_null(out.why);
		assert_string_equal(out.room, ROOM);
		matrixev_clear(&out);
	}
	/* a reaction (B.2.3) */
	assert_not_handled(event("{\"type\":\"m.reaction\",\"event_id\":\"$r1\","
	    "\"sender\":\"@ann:example.org\",\"content\":{\"m.relates_to\":{\"rel_type\":"
	    "\"m.annotation\",\"event_id\":\"$q1\",\"key\":\"\\ud83d\\udc4d\"}}}", &sync_ctx, &out),
	    MATRIXEV_IGNORE, &out);
}

/* ---- threads, replies, edits ------------------------------------------- */

static void
test_thread_reply(void **state)
{
	struct matrixev out;

	(void)state;
	/* B.2.3: root in event_id, is_falling_back, the latest event as in_reply_to */
	assert_int_equal(event(MSG("{\"msgtype\":\"m.text\","
	    "\"body\":\"> <@drilld:example.org> Q3: why a B-tree?\\n\\nrange scans\","
	    "\"m.relates_to\":{\"rel_type\":\"m.thread\",\"event_id\":\"$root1\","
	    "\"is_falling_back\":true,\"m.in_reply_to\":{\"event_id\":\"$latest9\"}}}"),
	    &sync_ctx, &out), MATRIXEV_HANDLE);
	assert_int_equal(out.ev.kind, PLATFORM_EV_MESSAGE);
	assert_string_equal(out.ev.thread_id, "$root1");
	assert_string_equal(out.ev.message_id, EV_ID);
	assert_string_equal(out.ev.event_id, "matrix:" EV_ID);
	assert_text(&out, "range scans");
	assert_false(out.ev.addressed);
	matrixev_clear(&out);

	/* a thread reply without a fallback: the body as typed */
	assert_int_equal(event(MSG("{\"msgtype\":\"m.text\",\"body\":\"range scans\","
	    "\"m.relates_to\":{\"rel_type\":\"m.thread\",\"event_id\":\"$root1\","
	    "\"is_falling_back\":true,\"m.in_reply_to\":{\"event_id\":\"$latest9\"}}}"),
	    &sync_ctx, &out), MATRIXEV_HANDLE);
	assert_string_equal(out.ev.thread_id, "$root1");
	assert_text(&out, "range scans");
	matrixev_clear(&out);

	/* a reply to one message inside the thread is still in the thread */
	assert_int_equal(event(MSG("{\"msgtype\":\"m.text\","
	    "\"body\":\"> <@bob:example.org> hash?\\n\\n!drill skip\","
	    "\"m.relates_to\":{\"rel_type\":\"m.thread\",\"event_id\":\"$root1\","
	    "\"is_falling_back\":false,\"m.in_reply_to\":{\"event_id\":\"$bob5\"}}}"),
	    &sync_ctx, &out), MATRIXEV_HANDLE);
	assert_string_equal(out.ev.thread_id, "$root1");
	assert_true(out.ev.addressed);
	assert_text(&out, "skip");
	matrixev_clear(&out);

	/* a thread relation without its root is malformed */
	assert_not_handled(event(MSG("{\"msgtype\":\"m.text\",\"body\":\"x\","
	    "\"m.relates_to\":{\"rel_type\":\"m.thread\","
	    "\"m.in_reply_to\":{\"event_id\":\"$latest9\"}}}"), &sync_ctx, &out),
	    MATRIXEV_BAD, &out);
	assert_not_handled(event(MSG("{\"msgtype\":\"m.text\",\"body\":\"x\","
	    "\"m.relates_to\":{\"rel_type\":\"m.thread\",\"event_id\":\"root1\"}}"),
	    &sync_ctx, &out), MATRIXEV_BAD, &out);
}

static void
test_plain_reply(void **state)
{
	struct matrixev out;

	(void)state;
	/* the quote fallback, several lines, then a blank line */
	assert_int_equal(event(MSG("{\"msgtype\":\"m.text\","
	    "\"body\":\"> <@drilld:example.org> Q3: What is a covering index?\\n"
	    "> (answer in this thread)\\n\\nOne that holds every column\\nthe query reads\","
	    "\"format\":\"org.matrix.custom.html\",\"formatted_body\":"
	    "\"<mx-reply><blockquote>Q3</blockquote></mx-reply>One that holds every column\","
	    "\"m.relates_to\":{\"m.in_reply_to\":{\"event_id\":\"$question3\"}}}"),
	    &sync_ctx, &out), MATRIXEV_HANDLE);
	assert_int_equal(out.ev.kind, PLATFORM_EV_MESSAGE);
	assert_string_equal(out.ev.thread_id, "$question3");
	assert_string_equal(out.ev.reply_to, "$question3");
	assert_string_equal(out.ev.message_id, EV_ID);
	assert_text(&out, "One that holds every column\nthe query reads");
	matrixev_clear(&out);

	/* since v1.13 no fallback: nothing is removed */
	assert_int_equal(event(MSG("{\"msgtype\":\"m.text\",\"body\":\"a covering index\","
	    "\"m.relates_to\":{\"m.in_reply_to\":{\"event_id\":\"$question3\"}},"
	    "\"m.mentions\":{\"user_ids\":[\"" SELF "\"]}}"), &sync_ctx, &out), MATRIXEV_HANDLE);
	assert_string_equal(out.ev.thread_id, "$question3");
	assert_string_equal(out.ev.reply_to, "$question3");
	assert_true(out.ev.addressed);
	assert_text(&out, "a covering index");
	matrixev_clear(&out);

	/* a "> " line in a message that is not a reply is text */
	assert_int_equal(event(TEXT("> quoted\\n\\nmine"), &sync_ctx, &out), MATRIXEV_HANDLE);
	assert_null(out.ev.thread_id);
	assert_text(&out, "> quoted\n\nmine");
	matrixev_clear(&out);

	/* a reply to something that is not an event id is a plain message */
	assert_int_equal(event(MSG("{\"msgtype\":\"m.text\",\"body\":\"hi\","
	    "\"m.relates_to\":{\"m.in_reply_to\":{\"event_id\":5}}}"), &sync_ctx, &out),
	    MATRIXEV_HANDLE);
	assert_null(out.ev.thread_id);
	assert_null(out.ev.reply_to);
	assert_text(&out, "hi");
	matrixev_clear(&out);

	/* a reply that is only its fallback leaves nothing */
	assert_int_equal(event(MSG("{\"msgtype\":\"m.text\",\"body\":\"> <@bob:example.org> x\","
	    "\"m.relates_to\":{\"m.in_reply_to\":{\"event_id\":\"$b1\"}}}"), &sync_ctx, &out),
	    MATRIXEV_HANDLE);
	assert_text(&out, "");
	matrixev_clear(&out);
}

static void
test_edit(void **state)
{
	struct matrixev out;

	(void)state;
	assert_int_equal(event(MSG_BY("@ann:example.org", "$edit7",
	    "{\"msgtype\":\"m.text\",\"body\":\"* a hash index\","
	    "\"m.new_content\":{\"msgtype\":\"m.text\",\"body\":\"a hash index\"},"
	    "\"m.relates_to\":{\"rel_type\":\"m.replace\",\"event_id\":\"$answer6\"}}"),
	    &sync_ctx, &out), MATRIXEV_HANDLE);
	assert_int_equal(out.ev.kind, PLATFORM_EV_EDIT);
	assert_string_equal(out.ev.message_id, "$answer6");
	assert_string_equal(out.ev.event_id, "matrix:$edit7");
	assert_string_equal(out.ev.user, "matrix:@ann:example.org");
	assert_string_equal(out.ev.conversation, "matrix:" ROOM);
	assert_text(&out, "a hash index");
	assert_false(out.ev.addressed);
	matrixev_clear(&out);

	/* in a DM, addressed */
	assert_int_equal(event(MSG_BY("@ann:example.org", "$edit8",
	    "{\"msgtype\":\"m.text\",\"body\":\"* practice networking\","
	    "\"m.new_content\":{\"msgtype\":\"m.text\",\"body\":\"practice networking\"},"
	    "\"m.relates_to\":{\"rel_type\":\"m.replace\",\"event_id\":\"$cmd1\"}}"),
	    &dm_ctx, &out), MATRIXEV_HANDLE);
	assert_int_equal(out.ev.kind, PLATFORM_EV_EDIT);
	assert_int_equal(out.ev.conv_kind, PLATFORM_DM);
	assert_true(out.ev.addressed);
	assert_text(&out, "practice networking");
	matrixev_clear(&out);

	/* the new content is taken whole, even when it starts like a fallback */
	assert_int_equal(event(MSG_BY("@ann:example.org", "$edit9",
	    "{\"msgtype\":\"m.text\",\"body\":\"* * a list item\","
	    "\"m.new_content\":{\"msgtype\":\"m.text\",\"body\":\"* a list item\"},"
	    "\"m.relates_to\":{\"rel_type\":\"m.replace\",\"event_id\":\"$answer6\"}}"),
	    &sync_ctx, &out), MATRIXEV_HANDLE);
	assert_text(&out, "* a list item");
	matrixev_clear(&out);

	/* an edit of a notice is a notice; the bot's own edits are its own */
	assert_not_handled(event(MSG("{\"msgtype\":\"m.notice\",\"body\":\"* x\","
	    "\"m.new_content\":{\"msgtype\":\"m.notice\",\"body\":\"x\"},"
	    "\"m.relates_to\":{\"rel_type\":\"m.replace\",\"event_id\":\"$n1\"}}"),
	    &sync_ctx, &out), MATRIXEV_IGNORE, &out);
	assert_not_handled(event(MSG_BY(SELF, "$e2", "{\"msgtype\":\"m.text\",\"body\":\"* x\","
	    "\"m.new_content\":{\"msgtype\":\"m.text\",\"body\":\"x\"},"
	    "\"m.relates_to\":{\"rel_type\":\"m.replace\",\"event_id\":\"$n1\"}}"),
	    &sync_ctx, &out), MATRIXEV_IGNORE, &out);

	/* an edit without new content or without the edited event */
	assert_not_handled(event(MSG("{\"msgtype\":\"m.text\",\"body\":\"* x\","
	    "\"m.relates_to\":{\"rel_type\":\"m.replace\",\"event_id\":\"$answer6\"}}"),
	    &sync_ctx, &out), MATRIXEV_BAD, &out);
	assert_not_handled(event(MSG("{\"msgtype\":\"m.text\",\"body\":\"* x\","
	    "\"m.new_content\":{\"msgtype\":\"m.text\",\"body\":\"x\"},"
	    "\"m.relates_to\":{\"rel_type\":\"m.replace\"}}"), &sync_ctx, &out),
	    MATRIXEV_BAD, &out);
	assert_not_handled(event(MSG("{\"msgtype\":\"m.text\",\"body\":\"* x\","
	    "\"m.new_content\":{\"msgtype\":\"m.text\",\"body\":5},"
	    "\"m.relates_to\":{\"rel_type\":\"m.replace\",\"event_id\":\"$answer6\"}}"),
	    &sync_ctx, &out), MATRIXEV_BAD, &out);
	assert_not_handled(event(MSG("{\"msgtype\":\"m.text\",\"body\":\"* x\","
	    "\"m.new_content\":{\"msgtype\":\"m.text\",\"body\":\"a\\u0000b\"},"
	    "\"m.relates_to\":{\"rel_type\":\"m.replace\",\"event_id\":\"$answer6\"}}"),
	    &sync_ctx, &out), MATRIXEV_BAD, &out);
}

/* ---- encryption and membership ----------------------------------------- */

static void
test_encrypted(void **state)
{
	struct matrixev out;

	(void)state;
	assert_int_equal(event("{\"type\":\"m.room.encrypted\",\"event_id\":\"$enc1\","
	    "\"sender\":\"@ann:example.org\",\"origin_server_ts\":1712345678653,"
	    "\"content\":{\"algorithm\":\"m.megolm.v1.aes-sha2\",\"ciphertext\":\"AwgAEnAC\","
	    "\"device_id\":\"RJYKSTBOIE\",\"sender_key\":\"IlRMeOPX2e0MurIyfWEucYBRVOEEUMrOHqn\","
	    "\"session_id\":\"X3lUlvLELLYxeTx4yOVu6UDpasGEVO0Jbu+QFnm0cKQ\"}}", &sync_ctx, &out),
	    MATRIXEV_ENCRYPTED);
	assert_string_equal(out.room, ROOM);
	matrixev_clear(&out);
	assert_int_equal(event("{\"type\":\"m.room.encrypted\",\"room_id\":\"!sec:example.org\","
	    "\"event_id\":\"$enc2\",\"sender\":\"@ann:example.org\",\"content\":{}}",
	    &txn_ctx, &out), MATRIXEV_ENCRYPTED);
	assert_string_equal(out.room, "!sec:example.org");
	matrixev_clear(&out);
}

static void
test_invite(void **state)
{
	struct matrixev out;
	struct matrixev_ctx invite_ctx = {SELF, "!newRoom:example.org", false};

	(void)state;
	/* /sync rooms.invite: stripped state, no event_id or room_id (B.1.2) */
	assert_int_equal(event("{\"type\":\"m.room.member\",\"state_key\":\"" SELF "\","
	    "\"sender\":\"@ann:example.org\",\"content\":{\"membership\":\"invite\","
	    "\"is_direct\":true}}", &invite_ctx, &out), MATRIXEV_INVITE);
	assert_string_equal(out.room, "!newRoom:example.org");
	assert_string_equal(out.inviter, "@ann:example.org");
	assert_true(out.is_direct);
	matrixev_clear(&out);
	assert_int_equal(event("{\"type\":\"m.room.member\",\"state_key\":\"" SELF "\","
	    "\"sender\":\"@ann:example.org\",\"content\":{\"membership\":\"invite\","
	    "\"is_direct\":false,\"displayname\":\"Drill Bot\"}}", &invite_ctx, &out),
	    MATRIXEV_INVITE);
	assert_false(out.is_direct);
	matrixev_clear(&out);
	assert_int_equal(event("{\"type\":\"m.room.member\",\"state_key\":\"" SELF "\","
	    "\"sender\":\"@ann:example.org\",\"content\":{\"membership\":\"invite\"}}",
	    &invite_ctx, &out), MATRIXEV_INVITE);
	assert_false(out.is_direct);
	matrixev_clear(&out);
	assert_int_equal(event("{\"type\":\"m.room.member\",\"state_key\":\"" SELF "\","
	    "\"sender\":\"@ann:example.org\",\"content\":{\"membership\":\"invite\","
	    "\"is_direct\":\"true\"}}", &invite_ctx, &out), MATRIXEV_INVITE);
	assert_false(out.is_direct);	/* only a JSON true */
	matrixev_clear(&out);

	/* in a transaction (B.4.4): a full event with its room_id */
	assert_int_equal(event("{\"type\":\"m.room.member\",\"room_id\":\"!asRoom:example.org\","
	    "\"event_id\":\"$inv1\",\"state_key\":\"" SELF "\",\"sender\":\"@bob:other.net\","
	    "\"origin_server_ts\":1712345679000,\"content\":{\"membership\":\"invite\","
	    "\"is_direct\":true}}", &txn_ctx, &out), MATRIXEV_INVITE);
	assert_string_equal(out.room, "!asRoom:example.org");
	assert_string_equal(out.inviter, "@bob:other.net");
	assert_true(out.is_direct);
	matrixev_clear(&out);

	/* an invite by no one valid */
	assert_not_handled(event("{\"type\":\"m.room.member\",\"state_key\":\"" SELF "\","
	    "\"content\":{\"membership\":\"invite\"}}", &invite_ctx, &out), MATRIXEV_BAD, &out);
	assert_not_handled(event("{\"type\":\"m.room.member\",\"state_key\":\"" SELF "\","
	    "\"sender\":\"ann\",\"content\":{\"membership\":\"invite\"}}", &invite_ctx, &out),
	    MATRIXEV_BAD, &out);
}

static void
test_membership(void **state)
{
	struct matrixev out;

	(void)state;
	/* the bot joined: it introduces itself */
	assert_int_equal(event(MEMBER(SELF, SELF, "{\"membership\":\"join\","
	    "\"displayname\":\"Drill Bot\"}"), &sync_ctx, &out), MATRIXEV_HANDLE);
	assert_int_equal(out.ev.kind, PLATFORM_EV_JOIN);
	assert_string_equal(out.ev.conversation, "matrix:" ROOM);
	assert_string_equal(out.ev.event_id, "matrix:$mem0A1b2C3d4E5f6G7h8I9j0KlMnOpQrStUvWxYz12");
	assert_string_equal(out.room, ROOM);
	assert_int_equal(out.ev.ts, 1712345679);
	matrixev_clear(&out);
	assert_int_equal(event(MEMBER(SELF, SELF, "{\"membership\":\"join\"}"), &dm_ctx, &out),
	    MATRIXEV_HANDLE);
	assert_int_equal(out.ev.kind, PLATFORM_EV_JOIN);
	assert_int_equal(out.ev.conv_kind, PLATFORM_DM);
	matrixev_clear(&out);
	/* a join is de-duplicated by its event id: without one it is malformed */
	assert_not_handled(event("{\"type\":\"m.room.member\",\"sender\":\"" SELF "\","
	    "\"state_key\":\"" SELF "\",\"content\":{\"membership\":\"join\"}}", &sync_ctx, &out),
	    MATRIXEV_BAD, &out);

	/* the bot left, was kicked or banned */
	assert_int_equal(event(MEMBER(SELF, SELF, "{\"membership\":\"leave\"}"), &sync_ctx, &out),
	    MATRIXEV_GONE);
	assert_string_equal(out.room, ROOM);
	matrixev_clear(&out);
	assert_int_equal(event(MEMBER("@mod:example.org", SELF, "{\"membership\":\"leave\","
	    "\"reason\":\"spam\"}"), &sync_ctx, &out), MATRIXEV_GONE);
	matrixev_clear(&out);
	assert_int_equal(event(MEMBER("@mod:example.org", SELF, "{\"membership\":\"ban\"}"),
	    &txn_ctx, &out), MATRIXEV_BAD);	/* no room in a transaction event */
	matrixev_clear(&out);
	assert_int_equal(event("{\"type\":\"m.room.member\",\"room_id\":\"!asRoom:example.org\","
	    "\"event_id\":\"$ban1\",\"sender\":\"@mod:example.org\",\"state_key\":\"" SELF "\","
	    "\"content\":{\"membership\":\"ban\"}}", &txn_ctx, &out), MATRIXEV_GONE);
	assert_string_equal(out.room, "!asRoom:example.org");
	matrixev_clear(&out);

	/* a membership of the bot's that drilld has no use for */
	assert_not_handled(event(MEMBER(SELF, SELF, "{\"membership\":\"knock\"}"), &sync_ctx,
	    &out), MATRIXEV_IGNORE, &out);

	/* another member's membership */
	static const char *others[] = {"join", "leave", "ban", "invite", "knock"};
	char buf[512];
	for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
		snprintf(buf, sizeof(buf), MEMBER("@ann:example.org", "@ann:example.org",
		    "{\"membership\":\"%s\"}"), others[i]);
		if (event(buf, &sync_ctx, &out) != MATRIXEV_MEMBER)
			fail_msg("ann's %s: not MEMBER", others[i]);
		assert_string_equal(out.room, ROOM);
		matrixev_clear(&out);
	}
	/* a user whose id only starts like the bot's is someone else */
	assert_int_equal(event(MEMBER("@drilld:example.org.evil", "@drilld:example.org.evil",
	    "{\"membership\":\"join\"}"), &sync_ctx, &out), MATRIXEV_MEMBER);
	matrixev_clear(&out);

	/* a membership event must say whose and which */
	assert_not_handled(event("{\"type\":\"m.room.member\",\"event_id\":\"$m1\","
	    "\"sender\":\"@ann:example.org\",\"content\":{\"membership\":\"join\"}}",
	    &sync_ctx, &out), MATRIXEV_BAD, &out);
	assert_not_handled(event(MEMBER(SELF, SELF, "{\"displayname\":\"x\"}"), &sync_ctx, &out),
	    MATRIXEV_BAD, &out);
	assert_not_handled(event(MEMBER(SELF, SELF, "{\"membership\":1}"), &sync_ctx, &out),
	    MATRIXEV_BAD, &out);
}

/* ---- malformed --------------------------------------------------------- */

static void
test_malformed(void **state)
{
	struct matrixev out;
	struct json_object *o;
	struct matrixev_ctx c;
	static const char *bad_rooms[] = {
		"room:example.org", "!:example.org", "!abc:", "", "#alias:example.org",
		"!ab c:example.org", "!abc:exa mple.org",
	};

	(void)state;
	/* not an object */
	assert_not_handled(matrixev_event(NULL, &sync_ctx, &out), MATRIXEV_BAD, &out);
	o = parse("[{\"type\":\"m.room.message\"}]");
	assert_not_handled(matrixev_event(o, &sync_ctx, &out), MATRIXEV_BAD, &out);
	json_object_put(o);
	o = parse("\"m.room.message\"");
	assert_not_handled(matrixev_event(o, &sync_ctx, &out), MATRIXEV_BAD, &out);
	json_object_put(o);

	/* a room that is not a room id, from either source */
	for (size_t i = 0; i < sizeof(bad_rooms) / sizeof(bad_rooms[0]); i++) {
		char buf[512];

		c = sync_ctx;
		c.room_id = bad_rooms[i];
		if (event(TEXT("hi"), &c, &out) != MATRIXEV_BAD)
			fail_msg("ctx room \"%s\": not BAD", bad_rooms[i]);
		assert_not_handled(MATRIXEV_BAD, MATRIXEV_BAD, &out);
		snprintf(buf, sizeof(buf), "{\"type\":\"m.room.message\",\"room_id\":\"%s\","
		    "\"event_id\":\"$e\",\"sender\":\"@ann:example.org\","
		    "\"content\":{\"msgtype\":\"m.text\",\"body\":\"hi\"}}", bad_rooms[i]);
		if (event(buf, &txn_ctx, &out) != MATRIXEV_BAD)
			fail_msg("room_id \"%s\": not BAD", bad_rooms[i]);
		assert_not_handled(MATRIXEV_BAD, MATRIXEV_BAD, &out);
	}
	assert_not_handled(event("{\"type\":\"m.room.message\",\"room_id\":7,\"event_id\":\"$e\","
	    "\"sender\":\"@ann:example.org\",\"content\":{\"msgtype\":\"m.text\",\"body\":\"hi\"}}",
	    &txn_ctx, &out), MATRIXEV_BAD, &out);

	/* no type, a type that is not a string */
	assert_not_handled(event("{\"event_id\":\"$e\",\"sender\":\"@ann:example.org\","
	    "\"content\":{\"msgtype\":\"m.text\",\"body\":\"hi\"}}", &sync_ctx, &out),
	    MATRIXEV_BAD, &out);
	assert_not_handled(event("{\"type\":null,\"event_id\":\"$e\",\"sender\":\"@ann:example.org\","
	    "\"content\":{\"msgtype\":\"m.text\",\"body\":\"hi\"}}", &sync_ctx, &out),
	    MATRIXEV_BAD, &out);

	/* no event id, or one without its sigil */
	assert_not_handled(event("{\"type\":\"m.room.message\",\"sender\":\"@ann:example.org\","
	    "\"content\":{\"msgtype\":\"m.text\",\"body\":\"hi\"}}", &sync_ctx, &out),
	    MATRIXEV_BAD, &out);
	assert_not_handled(event(MSG_BY("@ann:example.org", "Rqnc-F-dvnEYJ",
	    "{\"msgtype\":\"m.text\",\"body\":\"hi\"}"), &sync_ctx, &out), MATRIXEV_BAD, &out);
	assert_not_handled(event(MSG_BY("@ann:example.org", "$",
	    "{\"msgtype\":\"m.text\",\"body\":\"hi\"}"), &sync_ctx, &out), MATRIXEV_BAD, &out);
	assert_not_handled(event(MSG_BY("@ann:example.org", "$a b",
	    "{\"msgtype\":\"m.text\",\"body\":\"hi\"}"), &sync_ctx, &out), MATRIXEV_BAD, &out);

	/* a body that is not a string */
	assert_not_handled(event(MSG("{\"msgtype\":\"m.text\",\"body\":42}"), &sync_ctx, &out),
	    MATRIXEV_BAD, &out);
	assert_not_handled(event(MSG("{\"msgtype\":\"m.text\",\"body\":[\"hi\"]}"), &sync_ctx,
	    &out), MATRIXEV_BAD, &out);
	assert_not_handled(event(MSG("{\"msgtype\":\"m.text\",\"body\":null}"), &sync_ctx, &out),
	    MATRIXEV_BAD, &out);

	/* a sender that is not a user id */
	assert_not_handled(event("{\"type\":\"m.room.message\",\"event_id\":\"$e\","
	    "\"content\":{\"msgtype\":\"m.text\",\"body\":\"hi\"}}", &sync_ctx, &out),
	    MATRIXEV_BAD, &out);
	assert_not_handled(event(MSG_BY("ann", "$e", "{\"msgtype\":\"m.text\",\"body\":\"hi\"}"),
	    &sync_ctx, &out), MATRIXEV_BAD, &out);
	assert_not_handled(event(MSG_BY("@ann", "$e", "{\"msgtype\":\"m.text\",\"body\":\"hi\"}"),
	    &sync_ctx, &out), MATRIXEV_BAD, &out);
	assert_not_handled(event(MSG_BY("!ann:example.org", "$e",
	    "{\"msgtype\":\"m.text\",\"body\":\"hi\"}"), &sync_ctx, &out), MATRIXEV_BAD, &out);
	assert_not_handled(event("{\"type\":\"m.room.message\",\"event_id\":\"$e\",\"sender\":5,"
	    "\"content\":{\"msgtype\":\"m.text\",\"body\":\"hi\"}}", &sync_ctx, &out),
	    MATRIXEV_BAD, &out);

	/* a message without a msgtype, or a mistyped one */
	assert_not_handled(event(MSG("{\"body\":\"hi\"}"), &sync_ctx, &out), MATRIXEV_BAD, &out);
	assert_not_handled(event(MSG("{\"msgtype\":1,\"body\":\"hi\"}"), &sync_ctx, &out),
	    MATRIXEV_BAD, &out);
}

/* \u0000 is valid JSON; a NUL inside a name or a text must not cut it short. */
static void
test_nul_escapes(void **state)
{
	struct matrixev out;

	(void)state;
	assert_not_handled(event(TEXT("B-tree\\u0000 and more"), &sync_ctx, &out),
	    MATRIXEV_BAD, &out);
	assert_not_handled(event(MSG_BY("@ann:example.org\\u0000x", "$e",
	    "{\"msgtype\":\"m.text\",\"body\":\"hi\"}"), &sync_ctx, &out), MATRIXEV_BAD, &out);
	assert_not_handled(event(MSG_BY("@ann:example.org", "$e\\u0000x",
	    "{\"msgtype\":\"m.text\",\"body\":\"hi\"}"), &sync_ctx, &out), MATRIXEV_BAD, &out);
	assert_not_handled(event("{\"type\":\"m.room.message\",\"room_id\":\"!r:example.org\\u0000x\","
	    "\"event_id\":\"$e\",\"sender\":\"@ann:example.org\","
	    "\"content\":{\"msgtype\":\"m.text\",\"body\":\"hi\"}}", &txn_ctx, &out),
	    MATRIXEV_BAD, &out);
	/* "m.text\0" is not m.text */
	assert_int_equal(event(MSG("{\"msgtype\":\"m.text\\u0000\",\"body\":\"hi\"}"), &sync_ctx,
	    &out), MATRIXEV_BAD);
	matrixev_clear(&out);
	assert_int_equal(event("{\"type\":\"m.room.message\\u0000\",\"event_id\":\"$e\","
	    "\"sender\":\"@ann:example.org\",\"content\":{\"msgtype\":\"m.text\",\"body\":\"hi\"}}",
	    &sync_ctx, &out), MATRIXEV_BAD);
	matrixev_clear(&out);
	/* a state_key with a NUL is no one's */
	assert_int_equal(event(MEMBER(SELF, SELF "\\u0000", "{\"membership\":\"leave\"}"),
	    &sync_ctx, &out), MATRIXEV_BAD);
	matrixev_clear(&out);
}

/* A redacted message has lost its content: there is nothing to read. */
static void
test_redacted_no_content(void **state)
{
	struct matrixev out;

	(void)state;
	assert_not_handled(event("{\"type\":\"m.room.message\",\"event_id\":\"$red1\","
	    "\"sender\":\"@ann:example.org\",\"origin_server_ts\":1712345678653}",
	    &sync_ctx, &out), MATRIXEV_IGNORE, &out);
}

/*
 * What homeservers send for a redacted message: the redaction algorithm
 * keeps the "content" key but strips every key inside it, so content is
 * {} and unsigned.redacted_because holds the redaction. Such events are
 * ordinary in a timeline (a deleted message), not malformed.
 */
static void
test_redacted_empty_content(void **state)
{
	struct matrixev out;
	enum matrixev_outcome oc;
	bool said;

	(void)state;
	oc = event("{\"type\":\"m.room.message\",\"event_id\":\"$red2\","
	    "\"sender\":\"@ann:example.org\",\"origin_server_ts\":1712345678653,"
	    "\"content\":{},\"unsigned\":{\"age\":5000,\"redacted_because\":{"
	    "\"type\":\"m.room.redaction\",\"event_id\":\"$redaction1\","
	    "\"sender\":\"@ann:example.org\",\"redacts\":\"$red2\","
	    "\"content\":{\"redacts\":\"$red2\"},\"origin_server_ts\":1712345680000}}}",
	    &sync_ctx, &out);
	said = out.why != NULL && out.why[0] != '\0';
	matrixev_clear(&out);
	if (oc != MATRIXEV_IGNORE)
		fail_msg("a redacted message (content {}): outcome %d, want MATRIXEV_IGNORE",
		    (int)oc);
	assert_true(said);
}

/* ---- ids --------------------------------------------------------------- */

/* sigil + localpart of n - sigil - 1 - strlen(server) bytes + ':' + server */
static char *
long_id(char sigil, size_t n)
{
	const char *server = ":example.org";
	char *s = malloc(n + 1);

	assert_non_null(s);
	s[0] = sigil;
	memset(s + 1, 'a', n - 1 - strlen(server));
	memcpy(s + n - strlen(server), server, strlen(server) + 1);
	assert_int_equal(strlen(s), n);
	return s;
}

static void
test_user_ok(void **state)
{
	static const char *good[] = {
		"@ann:example.org", "@drilld:example.org", "@a:b", "@_mybot_ann:example.org",
		"@ann.b=c/d-e_f+g:example.org", "@ann:example.org:8448", "@ann:[::1]:8448",
		"@ANN:EXAMPLE.ORG",
	};
	static const char *bad[] = {
		"", "@", "@:", "@ann", "@ann:", "@:example.org", "ann:example.org",
		"!ann:example.org", "#ann:example.org", "$ann:example.org", " @ann:example.org",
		"@ann :example.org", "@an n:example.org", "@ann:exa mple.org", "@ann:example.org ",
		"@ann\t:example.org", "@ann:example.org\n", "@caf\xc3\xa9:example.org",
		"@ann:\x7f", "@\x01:example.org",
	};
	char *s;

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (!matrixev_user_ok(good[i]))
			fail_msg("user \"%s\": refused", good[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (matrixev_user_ok(bad[i]))
			fail_msg("user \"%s\": accepted", bad[i]);
	assert_false(matrixev_user_ok(NULL));
	s = long_id('@', 255);
	assert_true(matrixev_user_ok(s));
	free(s);
	s = long_id('@', 256);
	assert_false(matrixev_user_ok(s));
	free(s);
}

static void
test_room_ok(void **state)
{
	static const char *good[] = {
		ROOM, "!a:b", "!jEsUZKDJdhlrceRyVU:example.org:8448", "!x-y_z.0=1:matrix.org",
		"!abc", "!31hneApxJ_1o-63DmFrpeqnkFfWppnzWso1JvH3ogLM",	/* room version 12 */
	};
	static const char *bad[] = {
		"", "!", "!:", "!abc:", "!:example.org", "abc:example.org",
		"@ann:example.org", "#room:example.org", "!ab c:example.org", "!abc:exa mple.org",
		"!abc:example.org ", "!abc\n:example.org", "!caf\xc3\xa9:example.org",
	};
	char *s;

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (!matrixev_room_ok(good[i]))
			fail_msg("room \"%s\": refused", good[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (matrixev_room_ok(bad[i]))
			fail_msg("room \"%s\": accepted", bad[i]);
	assert_false(matrixev_room_ok(NULL));
	s = long_id('!', 255);
	assert_true(matrixev_room_ok(s));
	free(s);
	s = long_id('!', 256);
	assert_false(matrixev_room_ok(s));
	free(s);
}

/* The longest ids go through whole: nothing is cut to fit. */
static void
test_long_ids(void **state)
{
	struct matrixev out;
	struct matrixev_ctx c = sync_ctx;
	char *room = long_id('!', 255), *user = long_id('@', 255), *buf;
	size_t n;

	(void)state;
	c.room_id = room;
	n = strlen(user) + 512;
	buf = malloc(n);
	assert_non_null(buf);
	snprintf(buf, n, "{\"type\":\"m.room.message\",\"event_id\":\"$e\",\"sender\":\"%s\","
	    "\"content\":{\"msgtype\":\"m.text\",\"body\":\"hi\"}}", user);
	assert_int_equal(event(buf, &c, &out), MATRIXEV_HANDLE);
	assert_int_equal(strlen(out.ev.conversation), 7 + 255);
	assert_string_equal(out.ev.conversation + 7, room);
	assert_string_equal(out.ev.user + 7, user);
	matrixev_clear(&out);
	/* one byte more is not an id */
	free(user);
	user = long_id('@', 256);
	snprintf(buf, n, "{\"type\":\"m.room.message\",\"event_id\":\"$e\",\"sender\":\"%s\","
	    "\"content\":{\"msgtype\":\"m.text\",\"body\":\"hi\"}}", user);
	assert_not_handled(event(buf, &c, &out), MATRIXEV_BAD, &out);
	free(buf);
	free(user);
	free(room);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_room_message),
		cmocka_unit_test(test_transaction_room),
		cmocka_unit_test(test_dm),
		cmocka_unit_test(test_addressed),
		cmocka_unit_test(test_emote),
		cmocka_unit_test(test_ignored),
		cmocka_unit_test(test_thread_reply),
		cmocka_unit_test(test_plain_reply),
		cmocka_unit_test(test_edit),
		cmocka_unit_test(test_encrypted),
		cmocka_unit_test(test_invite),
		cmocka_unit_test(test_membership),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_nul_escapes),
		cmocka_unit_test(test_redacted_no_content),
		cmocka_unit_test(test_redacted_empty_content),
		cmocka_unit_test(test_user_ok),
		cmocka_unit_test(test_room_ok),
		cmocka_unit_test(test_long_ids),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
