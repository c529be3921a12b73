/*
 * testchat.h - the in-memory test adapter: a chat platform named "test"
 * that implements the platform interface (platform.h) for tests of the
 * engine's channel flow. Conversations are "test:C..." (channels) and
 * "test:D..." (DMs), people "test:U...".
 *
 * Its render keeps the message as terminal text with a header saying who
 * may see it; its outbox send function "posts" at once, gives each message
 * a platform id ("m1", "m2", ...) and records it, thread and all, for the
 * test to read; a replacement (an edit) changes the message's text in
 * place. It can be told to fail sends, and whether it has ephemeral
 * messages (Slack does, Matrix does not).
 */
#ifndef DRILL_TESTCHAT_H
#define DRILL_TESTCHAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "drill/outbox.h"
#include "drill/platform.h"

/* One message as the platform shows it. */
struct testchat_msg {
	char *id;		/* the platform id it was given: "m7" */
	char *conversation;	/* where it is: a conversation, or a person for a DM */
	char *thread_id;	/* its thread, or NULL */
	char *only_for;		/* ephemeral: the one person who sees it, or NULL */
	bool dm;		/* a direct message to a person */
	char *text;		/* as a person reads it (the latest edit's) */
	int edits;		/* times it was replaced (platform_dest.replace) */
	int64_t at;		/* when it was posted: the outbox clock, ms */
};

struct testchat;

/* A new test platform; ephemeral: whether it can show a message to one person. */
struct testchat *testchat_new(bool ephemeral);
void testchat_free(struct testchat *tc);

/* Its adapter (for router_add) and send function (arg: tc). */
const struct platform_adapter *testchat_adapter(struct testchat *tc);
int testchat_send(void *arg, const struct outbox_msg *m, outbox_done_fn done,
    void *token);

/* The next n sends fail permanently ("channel_not_found"). */
void testchat_fail(struct testchat *tc, int n);
/* The clock stamped on posted messages (ms); 0 until set. */
void testchat_set_time(struct testchat *tc, int64_t ms);

/* Messages posted so far, in order. */
size_t testchat_count(const struct testchat *tc);
const struct testchat_msg *testchat_get(const struct testchat *tc, size_t i);
/*
 * Text as people read it: s with every run of spaces, tabs and newlines
 * made one space (the renderer's wrapping undone); NULL when out of
 * memory, else the caller frees. testchat_says: whether text, read so,
 * holds needle, read so.
 */
char *testchat_flat(const char *s);
bool testchat_says(const char *text, const char *needle);

/* The message with platform id id, or NULL. */
const struct testchat_msg *testchat_find(const struct testchat *tc, const char *id);

#endif
