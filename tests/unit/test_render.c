/*
 * Tests for msg.c and render.c: what the terminal shows, and what Slack and
 * Matrix get - parsed back with json-c and checked the way a person in the
 * channel or the room would notice.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <json-c/json.h>

#include "drill/msg.h"
#include "drill/render.h"
#include "drill/text.h"

static void
test_layout(void **state)
{
	struct msg *m = msg_new();
	char *s;

	(void)state;
	msg_add(m, MSG_TITLE, "Score %d/100 (%s)", 72, "good");
	msg_add(m, MSG_LIST, "Covered");
	msg_add_item(m, "indexes", "\"composite index\"");
	msg_add(m, MSG_QUOTE, "Model answer");
	msg_add_item(m, "Use an index.\n\nThen measure.", NULL);
	msg_add(m, MSG_BUTTONS, "%s", "");
	msg_add_item(m, "Next question", "next");
	assert_false(m->oom);
	s = render_console(m, false);
	assert_string_equal(s, "Score 72/100 (good)\nCovered\n  - indexes: \"composite index\"\n"
	    "Model answer\n  Use an index.\n\n  Then measure.\n[next]\n");
	free(s);
	s = render_console(m, true);
	assert_non_null(strstr(s, "\033[1mScore 72/100 (good)\033[0m"));
	free(s);
	msg_free(m);
	/* colour codes take no columns: a coloured title wraps like a plain one */
	m = msg_new();
	msg_add(m, MSG_TITLE, "%s", "aaaaaaaaa bbbbbbbbb ccccccccc ddddddddd eeeeeeeee "
	    "fffffffff ggggggggg hhhhhh");	/* 76 columns */
	s = render_console(m, true);
	assert_ptr_equal(strchr(s, '\n'), s + strlen(s) - 1);	/* one line */
	free(s);
	msg_free(m);
	msg_free(NULL);
}

static void
test_wraps_at_78_columns(void **state)
{
	struct msg *m = msg_new();
	char *s;

	(void)state;
	msg_add(m, MSG_TEXT, "%s", "Lorem ipsum dolor sit amet consectetur adipiscing elit sed "
	    "do eiusmod tempor incididunt ut labore et dolore magna aliqua ut enim ad minim "
	    "veniam quis nostrud exercitation ullamco laboris nisi ut aliquip ex ea commodo "
	    "consequat über çà 日本語のテキスト");
	/* every line of the output fits 78 code points */
	s = render_console(m, false);
	for (char *p = s, *nl; *p; p = nl + 1) {
		size_t cps = 0;
		nl = strchr(p, '\n');
		assert_non_null(nl);
		for (char *q = p; q < nl; q++)
			cps += ((unsigned char)*q & 0xc0) != 0x80;
		assert_true(cps <= 78);
	}
	free(s);
	msg_free(m);
}

static void
test_user_text_cannot_drive_the_terminal(void **state)
{
	struct msg *m = msg_new();
	char *s;

	(void)state;
	msg_add(m, MSG_LIST, "Covered");
	msg_add_item(m, "x", "\033[2J\033]0;pwned\007 \xc2\x9b" "2J \xe2\x80\xae" "evil \xff ok");
	s = render_console(m, false);
	assert_null(strchr(s, '\033'));
	assert_null(strchr(s, '\007'));
	assert_null(strstr(s, "\xc2\x9b"));		/* C1 CSI */
	assert_null(strstr(s, "\xe2\x80\xae"));	/* right-to-left override */
	assert_non_null(strstr(s, "\xef\xbf\xbd ok"));
	free(s);
	msg_free(m);
}

/* ---- helpers for the Slack and Matrix renderers ---- */

/* Parses a renderer's output strictly: valid UTF-8, one JSON object, nothing after it. */
static json_object *
parse(const char *s)
{
	struct json_tokener *tok;
	json_object *o;

	assert_non_null(s);
	assert_true(text_utf8_valid(s, strlen(s)));
	assert_non_null(tok = json_tokener_new());
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, s, (int)strlen(s));
	assert_int_equal(json_tokener_get_error(tok), json_tokener_success);
	assert_int_equal(json_tokener_get_parse_end(tok), strlen(s));
	json_tokener_free(tok);
	assert_non_null(o);
	assert_true(json_object_is_type(o, json_type_object));
	return o;
}

static json_object *
key(json_object *o, const char *k)
{
	json_object *v = NULL;

	assert_true(json_object_object_get_ex(o, k, &v));
	return v;
}

static bool
has(json_object *o, const char *k)
{
	return json_object_object_get_ex(o, k, NULL);
}

static const char *
skey(json_object *o, const char *k)
{
	json_object *v = key(o, k);

	assert_true(json_object_is_type(v, json_type_string));
	return json_object_get_string(v);
}

static size_t
nblocks(json_object *o)
{
	return json_object_array_length(key(o, "blocks"));
}

static json_object *
block(json_object *o, size_t i)
{
	assert_true(i < nblocks(o));
	return json_object_array_get_idx(key(o, "blocks"), i);
}

static const char *
btype(json_object *o, size_t i)
{
	return skey(block(o, i), "type");
}

/* The text of a header or section block. */
static const char *
btext(json_object *o, size_t i)
{
	return skey(key(block(o, i), "text"), "text");
}

/* What Slack counts, at most: UTF-16 code units. */
static size_t
utf16(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n += (unsigned char)*s >= 0xf0 ? 2 : 1;
	return n;
}

static size_t
count(const char *s, const char *sub)
{
	size_t n = 0;

	for (const char *p = s; (p = strstr(p, sub)) != NULL; p += strlen(sub))
		n++;
	return n;
}

static char *
repeat(const char *s, size_t times, const char *sep)
{
	size_t n = strlen(s), k = strlen(sep), len = 0;
	char *out = malloc(times * (n + k) + 1);

	assert_non_null(out);
	for (size_t i = 0; i < times; i++) {
		if (i > 0) {
			memcpy(out + len, sep, k);
			len += k;
		}
		memcpy(out + len, s, n);
		len += n;
	}
	out[len] = '\0';
	return out;
}

/* The message most tests start from: one part of each kind. */
static struct msg *
sample(const char *person)
{
	struct msg *m = msg_new();

	msg_add(m, MSG_TITLE, "Score %d/100 (%s)", 72, "good");
	msg_add(m, MSG_TEXT, "%s", "Well done.\nKeep going.");
	msg_add(m, MSG_LIST, "Covered");
	msg_add_item(m, "indexes", "composite index");
	msg_add_item(m, "EXPLAIN", NULL);
	msg_add(m, MSG_QUOTE, "Model answer");
	msg_add_item(m, "Use an index.\n\nThen measure.", NULL);
	msg_add(m, MSG_BUTTONS, "%s", "");
	msg_add_item(m, "Next question", "next");
	msg_add_item(m, "Dispute score", "dispute");
	msg_add(m, MSG_PEOPLE, "has answered (%d so far).", 2);
	msg_add_item(m, person, NULL);
	assert_false(m->oom);
	return m;
}

/* ---- Slack ---- */

static void
test_slack_layout(void **state)
{
	struct msg *m = sample("slack:U0123ABCD");
	char *s = render_slack(m);
	json_object *o = parse(s), *t, *els, *b;

	(void)state;
	assert_int_equal(nblocks(o), 6);
	assert_string_equal(btype(o, 0), "header");
	assert_string_equal(skey(key(block(o, 0), "text"), "type"), "plain_text");
	assert_string_equal(btext(o, 0), "Score 72/100 (good)");
	assert_string_equal(btype(o, 1), "section");
	t = key(block(o, 1), "text");
	assert_string_equal(skey(t, "type"), "mrkdwn");
	assert_true(json_object_get_boolean(key(t, "verbatim")));
	assert_string_equal(btext(o, 1), "Well done.\nKeep going.");
	assert_string_equal(btype(o, 2), "section");
	assert_string_equal(btext(o, 2), "*Covered*\n\xe2\x80\xa2 indexes: composite index\n"
	    "\xe2\x80\xa2 EXPLAIN");
	assert_string_equal(btype(o, 3), "section");
	assert_string_equal(btext(o, 3), "*Model answer*\n> Use an index.\n>\n> Then measure.");
	assert_string_equal(btype(o, 4), "actions");
	els = key(block(o, 4), "elements");
	assert_int_equal(json_object_array_length(els), 2);
	b = json_object_array_get_idx(els, 0);
	assert_string_equal(skey(b, "type"), "button");
	assert_string_equal(skey(key(b, "text"), "type"), "plain_text");
	assert_string_equal(skey(key(b, "text"), "text"), "Next question");
	assert_string_equal(skey(b, "value"), "next");
	assert_string_equal(skey(b, "action_id"), "drill_0");
	b = json_object_array_get_idx(els, 1);
	assert_string_equal(skey(key(b, "text"), "text"), "Dispute score");
	assert_string_equal(skey(b, "value"), "dispute");
	assert_string_equal(skey(b, "action_id"), "drill_1");
	assert_string_equal(btype(o, 5), "section");
	assert_string_equal(btext(o, 5), "<@U0123ABCD> has answered (2 so far).");
	/* the fallback: the whole message as text, for notifications */
	assert_string_equal(skey(o, "text"), "Score 72/100 (good)\nWell done.\nKeep going.\n"
	    "Covered\n  - indexes: composite index\n  - EXPLAIN\n"
	    "Model answer\n  Use an index.\n\n  Then measure.\n"
	    "Reply with next (Next question), dispute (Dispute score)\n"
	    "<@U0123ABCD> has answered (2 so far).");
	json_object_put(o);
	free(s);
	msg_free(m);

	/* an empty message: no blocks, empty text */
	m = msg_new();
	msg_add(m, MSG_TEXT, "%s", "  \n ");
	msg_add(m, MSG_LIST, "%s", "");
	o = parse(s = render_slack(m));
	assert_int_equal(nblocks(o), 0);
	assert_string_equal(skey(o, "text"), "");
	json_object_put(o);
	free(s);
	msg_free(m);
}

/* Asserts that no '<' reached Slack but in <@U…> mentions, and '>' only as quote markers. */
static void
assert_no_slack_markup(const char *text, bool mentions)
{
	for (const char *p = text; *p; p++) {
		if (*p == '<') {
			assert_true(mentions && p[1] == '@');
			p = strchr(p, '>');
			assert_non_null(p);
		} else if (*p == '>') {
			assert_true(p == text || p[-1] == '\n');
			assert_true(p[1] == ' ' || p[1] == '\n' || p[1] == '\0');
		}
	}
}

static void
test_slack_escapes_user_text(void **state)
{
	struct msg *m = msg_new();
	const char *evil = "<!channel> hi <http://evil|x> & <script>&amp;";
	char *s;
	json_object *o;

	(void)state;
	msg_add(m, MSG_TITLE, "%s", evil);
	msg_add(m, MSG_TEXT, "%s", evil);
	msg_add(m, MSG_LIST, "%s", "<!here>");
	msg_add_item(m, "<@U999>", "a & b <!subteam^S1>");
	msg_add(m, MSG_QUOTE, "%s", "<!everyone>");
	msg_add_item(m, "<script>alert(1)</script>\n> fake quote", NULL);
	msg_add(m, MSG_BUTTONS, "%s", "");
	msg_add_item(m, "<b>Bold & </b>", "hint");
	msg_add(m, MSG_PEOPLE, "%s", "<!channel> <#C123>");
	msg_add_item(m, "console:<!here>", NULL);
	s = render_slack(m);
	o = parse(s);
	/* nothing anyone wrote can ping, link or quote: no '<' at all */
	assert_null(strchr(s, '<'));
	assert_string_equal(btext(o, 0), "&lt;!channel&gt; hi &lt;http://evil|x&gt; &amp; "
	    "&lt;script&gt;&amp;amp;");
	assert_string_equal(btext(o, 1), "&lt;!channel&gt; hi &lt;http://evil|x&gt; &amp; "
	    "&lt;script&gt;&amp;amp;");
	assert_string_equal(btext(o, 2), "*&lt;!here&gt;*\n\xe2\x80\xa2 &lt;@U999&gt;: "
	    "a &amp; b &lt;!subteam^S1&gt;");
	assert_string_equal(btext(o, 3), "*&lt;!everyone&gt;*\n> &lt;script&gt;alert(1)"
	    "&lt;/script&gt;\n> &gt; fake quote");
	assert_string_equal(skey(key(json_object_array_get_idx(key(block(o, 4), "elements"), 0),
	    "text"), "text"), "&lt;b&gt;Bold &amp; &lt;/b&gt;");
	assert_string_equal(btext(o, 5), "&lt;!here&gt; &lt;!channel&gt; &lt;#C123&gt;");
	for (size_t i = 0; i < nblocks(o); i++)
		if (strcmp(btype(o, i), "actions") != 0)
			assert_no_slack_markup(btext(o, i), false);
	assert_no_slack_markup(skey(o, "text"), false);
	assert_non_null(strstr(skey(o, "text"), "&lt;!channel&gt; hi &lt;http://evil|x&gt;"));
	json_object_put(o);
	free(s);
	msg_free(m);
}

static void
test_slack_mentions_only_valid_ids(void **state)
{
	struct msg *m = msg_new();
	char *s, *long_id = repeat("A", 33, ""), name[64];
	json_object *o;

	(void)state;
	msg_add(m, MSG_PEOPLE, "%s", "has answered.");
	msg_add_item(m, "slack:U0123ABCD", NULL);
	msg_add_item(m, "slack:W12345", NULL);
	msg_add_item(m, "slack:u0123abcd", NULL);	/* lower case */
	msg_add_item(m, "slack:U0123ABCD>", NULL);
	msg_add_item(m, "slack:<!channel>", NULL);
	msg_add_item(m, "slack:U01|x", NULL);
	snprintf(name, sizeof(name), "slack:%s", long_id);	/* 33: one too many */
	msg_add_item(m, name, NULL);
	msg_add_item(m, "matrix:@alice:example.org", NULL);	/* not a Slack person */
	msg_add_item(m, "slack:", NULL);
	s = render_slack(m);
	o = parse(s);
	assert_int_equal(nblocks(o), 1);
	snprintf(name, sizeof(name), "%s", long_id);
	{
		char want[512];
		snprintf(want, sizeof(want), "<@U0123ABCD>, <@W12345>, u0123abcd, U0123ABCD&gt;, "
		    "&lt;!channel&gt;, U01|x, %s, @alice:example.org, slack: has answered.", long_id);
		assert_string_equal(btext(o, 0), want);
		assert_no_slack_markup(btext(o, 0), true);
		snprintf(want, sizeof(want), "<@U0123ABCD>, <@W12345>, u0123abcd, U0123ABCD&gt;, "
		    "&lt;!channel&gt;, U01|x, %s, @alice:example.org, slack: has answered.", long_id);
		assert_string_equal(skey(o, "text"), want);
	}
	json_object_put(o);
	free(s);
	free(long_id);
	msg_free(m);
}

static void
test_slack_buttons(void **state)
{
	struct msg *m = msg_new();
	char *s, *long_label = repeat("\xc3\xa9", 100, ""), *long_cmd = repeat("x", 2500, "");
	char label[32], cmd[32];
	json_object *o, *els;
	const char *ids[64];
	size_t nids = 0;

	(void)state;
	msg_add(m, MSG_BUTTONS, "%s", "");
	for (int i = 0; i < 28; i++) {
		snprintf(label, sizeof(label), "Button %d", i);
		snprintf(cmd, sizeof(cmd), "cmd %d", i);
		msg_add_item(m, label, cmd);
	}
	msg_add_item(m, "Only label", NULL);	/* sends its label */
	msg_add_item(m, "", "skip");		/* shows its command */
	msg_add_item(m, " ", NULL);		/* sends nothing: left out */
	msg_add_item(m, long_label, long_cmd);
	msg_add(m, MSG_BUTTONS, "%s", "");	/* another block: ids stay unique */
	msg_add_item(m, "Next", "next");
	s = render_slack(m);
	o = parse(s);
	/* 31 buttons: 25 to a block, then 6; then the second part's one */
	assert_int_equal(nblocks(o), 3);
	for (size_t i = 0; i < 3; i++) {
		assert_string_equal(btype(o, i), "actions");
		els = key(block(o, i), "elements");
		assert_int_equal(json_object_array_length(els), i == 0 ? 25 : i == 1 ? 6 : 1);
		for (size_t j = 0; j < json_object_array_length(els); j++) {
			json_object *b = json_object_array_get_idx(els, j);
			const char *text = skey(key(b, "text"), "text");
			assert_true(utf16(text) >= 1 && utf16(text) <= 75);
			assert_true(utf16(skey(b, "value")) <= 2000);
			ids[nids++] = skey(b, "action_id");
		}
	}
	assert_int_equal(nids, 32);
	for (size_t i = 0; i < nids; i++)
		for (size_t j = i + 1; j < nids; j++)
			assert_string_not_equal(ids[i], ids[j]);
	els = key(block(o, 0), "elements");
	assert_string_equal(skey(json_object_array_get_idx(els, 3), "value"), "cmd 3");
	assert_string_equal(skey(key(json_object_array_get_idx(els, 3), "text"), "text"), "Button 3");
	els = key(block(o, 1), "elements");
	assert_string_equal(skey(json_object_array_get_idx(els, 3), "value"), "Only label");
	assert_string_equal(skey(json_object_array_get_idx(els, 4), "value"), "skip");
	assert_string_equal(skey(key(json_object_array_get_idx(els, 4), "text"), "text"), "skip");
	{
		json_object *b = json_object_array_get_idx(els, 5);
		const char *text = skey(key(b, "text"), "text");
		assert_int_equal(utf16(text), 75);	/* 74 é and the ellipsis */
		assert_int_equal(strncmp(text, long_label, 74 * 2), 0);
		assert_string_equal(text + 74 * 2, "\xe2\x80\xa6");
		assert_int_equal(strlen(skey(b, "value")), 2000);
	}
	assert_string_equal(skey(json_object_array_get_idx(key(block(o, 2), "elements"), 0), "value"),
	    "next");
	json_object_put(o);
	free(s);
	free(long_label);
	free(long_cmd);
	msg_free(m);
}

/* Every section and header within Slack's limits, and no more than 50 blocks. */
static void
assert_slack_limits(json_object *o)
{
	assert_true(nblocks(o) <= 50);
	for (size_t i = 0; i < nblocks(o); i++) {
		if (strcmp(btype(o, i), "section") == 0)
			assert_true(utf16(btext(o, i)) >= 1 && utf16(btext(o, i)) <= 3000);
		else if (strcmp(btype(o, i), "header") == 0)
			assert_true(utf16(btext(o, i)) >= 1 && utf16(btext(o, i)) <= 150);
	}
	assert_true(utf16(skey(o, "text")) <= 4000);
}

static void
test_slack_splits_long_text(void **state)
{
	struct msg *m = msg_new();
	/* "é😀ééé é😀ééé …": 7 units a word, which 3000 is not a multiple of */
	char *words = repeat("\xc3\xa9\xf0\x9f\x98\x80\xc3\xa9\xc3\xa9\xc3\xa9", 2500, " ");
	char *s, *tok, *save;
	json_object *o;
	size_t n = 0;

	(void)state;
	msg_add(m, MSG_TEXT, "%s", words);
	s = render_slack(m);
	o = parse(s);
	assert_slack_limits(o);
	assert_int_equal(nblocks(o), 6);	/* 17500 units: 3000 at most each */
	for (size_t i = 0; i < nblocks(o); i++) {
		char *t = strdup(btext(o, i));
		assert_string_equal(btype(o, i), "section");
		if (i + 1 < nblocks(o))
			assert_true(utf16(t) > 2900);	/* full sections, not crumbs */
		/* split between words: every word whole */
		for (tok = strtok_r(t, " ", &save); tok != NULL; tok = strtok_r(NULL, " ", &save), n++)
			assert_string_equal(tok, "\xc3\xa9\xf0\x9f\x98\x80\xc3\xa9\xc3\xa9\xc3\xa9");
		free(t);
	}
	assert_int_equal(n, 2500);
	/* the fallback is cut, on a character, with an ellipsis */
	assert_true(utf16(skey(o, "text")) <= 4000 && utf16(skey(o, "text")) >= 3990);
	assert_non_null(strstr(skey(o, "text"), "\xe2\x80\xa6"));
	json_object_put(o);
	free(s);
	free(words);
	msg_free(m);

	/* no space at all: cut between characters, never inside one */
	m = msg_new();
	words = repeat("\xf0\x9f\x98\x80", 2000, "");	/* 4000 units */
	msg_add(m, MSG_TEXT, "%s", words);
	o = parse(s = render_slack(m));
	assert_slack_limits(o);
	assert_int_equal(nblocks(o), 2);
	assert_int_equal(strlen(btext(o, 0)) + strlen(btext(o, 1)), strlen(words));
	assert_int_equal(strlen(btext(o, 0)) % 4, 0);
	json_object_put(o);
	free(s);
	free(words);
	msg_free(m);

	/* lines: split after a line, so every section holds whole lines */
	m = msg_new();
	{
		char line[64];
		size_t len = 0;
		words = malloc(400 * 64);
		for (int i = 0; i < 400; i++) {
			snprintf(line, sizeof(line), "line %03d with a few more words\n", i);
			memcpy(words + len, line, strlen(line) + 1);
			len += strlen(line);
		}
	}
	msg_add(m, MSG_TEXT, "%s", words);
	o = parse(s = render_slack(m));
	assert_slack_limits(o);
	assert_true(nblocks(o) >= 5);
	n = 0;
	for (size_t i = 0; i < nblocks(o); i++) {
		char *t = strdup(btext(o, i));
		for (tok = strtok_r(t, "\n", &save); tok != NULL; tok = strtok_r(NULL, "\n", &save)) {
			char want[64];
			snprintf(want, sizeof(want), "line %03zu with a few more words", n++);
			assert_string_equal(tok, want);
		}
		free(t);
	}
	assert_int_equal(n, 400);
	json_object_put(o);
	free(s);
	free(words);
	msg_free(m);

	/* a long quote goes on quoted: every line of every section has the marker */
	m = msg_new();
	words = repeat("quoted & <words>", 1000, " ");
	msg_add(m, MSG_QUOTE, "Model answer");
	msg_add_item(m, words, NULL);
	o = parse(s = render_slack(m));
	assert_slack_limits(o);
	assert_true(nblocks(o) >= 7);
	assert_int_equal(strncmp(btext(o, 0), "*Model answer*\n> quoted &amp; &lt;words&gt;", 43), 0);
	n = 0;
	for (size_t i = 0; i < nblocks(o); i++) {
		char *t = strdup(btext(o, i));
		for (tok = strtok_r(t, "\n", &save); tok != NULL; tok = strtok_r(NULL, "\n", &save)) {
			if (i == 0 && n == 0 && strcmp(tok, "*Model answer*") == 0)
				continue;
			assert_int_equal(strncmp(tok, "> ", 2), 0);
			/* split between words, never inside an entity */
			n += count(tok, " quoted") + count(tok, " &amp;") + count(tok, " &lt;words&gt;");
			assert_int_equal(count(tok, "&"), count(tok, "&amp;") + count(tok, "&lt;") +
			    count(tok, "&gt;"));
		}
		assert_no_slack_markup(btext(o, i), false);
		free(t);
	}
	assert_int_equal(n, 3000);
	json_object_put(o);
	free(s);
	free(words);
	msg_free(m);
}

static void
test_slack_caps_blocks_at_50(void **state)
{
	struct msg *m = msg_new();
	char *s, *big;
	json_object *o;

	(void)state;
	for (int i = 0; i < 50; i++)
		msg_add(m, MSG_TEXT, "part %d", i);
	o = parse(s = render_slack(m));
	assert_int_equal(nblocks(o), 50);	/* exactly 50: nothing cut */
	assert_string_equal(btext(o, 49), "part 49");
	json_object_put(o);
	free(s);
	msg_add(m, MSG_TEXT, "part %d", 50);
	msg_add(m, MSG_TEXT, "part %d", 51);
	o = parse(s = render_slack(m));
	assert_int_equal(nblocks(o), 50);
	assert_string_equal(btext(o, 48), "part 48");
	assert_string_equal(btype(o, 49), "section");
	assert_non_null(strstr(btext(o, 49), "shortened"));
	/* the fallback still has it all */
	assert_non_null(strstr(skey(o, "text"), "part 51"));
	json_object_put(o);
	free(s);
	msg_free(m);

	/* a huge answer: bounded, whatever its size */
	m = msg_new();
	big = repeat("word", 100000, " ");
	msg_add(m, MSG_TITLE, "%s", "Title");
	msg_add(m, MSG_TEXT, "%s", big);
	o = parse(s = render_slack(m));
	assert_slack_limits(o);
	assert_int_equal(nblocks(o), 50);
	assert_string_equal(btype(o, 0), "header");
	assert_non_null(strstr(btext(o, 49), "shortened"));
	assert_true(strlen(s) < 200000);
	json_object_put(o);
	free(s);
	free(big);
	msg_free(m);
}

static void
test_slack_header_cut_at_150(void **state)
{
	struct msg *m;
	char *s, *t;
	json_object *o;
	const char *h;

	(void)state;
	/* 200 é: 149 and an ellipsis */
	m = msg_new();
	msg_add(m, MSG_TITLE, "%s", t = repeat("\xc3\xa9", 200, ""));
	o = parse(s = render_slack(m));
	h = btext(o, 0);
	assert_int_equal(utf16(h), 150);
	assert_int_equal(strncmp(h, t, 149 * 2), 0);
	assert_string_equal(h + 149 * 2, "\xe2\x80\xa6");
	json_object_put(o);
	free(s);
	free(t);
	msg_free(m);
	/* exactly 150: kept whole */
	m = msg_new();
	msg_add(m, MSG_TITLE, "%s", t = repeat("\xc3\xa9", 150, ""));
	o = parse(s = render_slack(m));
	assert_string_equal(btext(o, 0), t);
	json_object_put(o);
	free(s);
	free(t);
	msg_free(m);
	/* emoji count twice; entities are never cut */
	m = msg_new();
	msg_add(m, MSG_TITLE, "%s", t = repeat("\xf0\x9f\x98\x80", 100, ""));
	msg_add(m, MSG_TITLE, "%s", "&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&\nnext line");
	o = parse(s = render_slack(m));
	h = btext(o, 0);
	assert_true(utf16(h) <= 150);
	assert_int_equal(strlen(h), 74 * 4 + 3);
	h = btext(o, 1);
	assert_true(utf16(h) <= 150);
	assert_int_equal(strlen(h), 29 * 5 + 3);	/* 29 × "&amp;", then the ellipsis */
	assert_string_equal(h + strlen(h) - 4, ";\xe2\x80\xa6");
	json_object_put(o);
	free(s);
	free(t);
	msg_free(m);
}

static void
test_slack_cleans_text(void **state)
{
	struct msg *m = msg_new();
	char *s;
	json_object *o;
	const char *t;

	(void)state;
	msg_add(m, MSG_TITLE, "%s", "x\ny\001z");
	msg_add(m, MSG_TEXT, "%s", "a\033[2Jb \001c\177 \xff\xfe d \xc3 e \xc2\x9b" "f "
	    "\xe2\x80\xae" "g\th\r\n\xed\xa0\x80 \xc0\xaf!");
	o = parse(s = render_slack(m));
	assert_string_equal(btext(o, 0), "x y z");
	t = btext(o, 1);
	for (const char *p = t; *p; p++)
		assert_true((unsigned char)*p >= 0x20 ? *p != 0x7f : *p == '\n' || *p == '\t');
	assert_null(strstr(t, "\xc2\x9b"));
	assert_null(strstr(t, "\xe2\x80\xae"));
	assert_non_null(strstr(t, "a [2Jb  c  \xef\xbf\xbd\xef\xbf\xbd d \xef\xbf\xbd e  f  g\th"));
	/* a surrogate and an overlong '/' are not UTF-8 either */
	assert_non_null(strstr(t, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd \xef\xbf\xbd\xef\xbf\xbd!"));
	assert_null(strchr(skey(o, "text"), '\033'));
	json_object_put(o);
	free(s);
	msg_free(m);
}

/* ---- Matrix ---- */

/* Asserts that every tag in html is one render_matrix writes. */
static void
assert_only_our_tags(const char *html)
{
	static const char *tags[] = {"h4>", "/h4>", "p>", "/p>", "b>", "/b>", "ul>", "/ul>",
	    "li>", "/li>", "blockquote>", "/blockquote>", "br>", "code>", "/code>", "/a>",
	    "a href=\"https://matrix.to/#/"};

	for (const char *p = strchr(html, '<'); p != NULL; p = strchr(p + 1, '<')) {
		size_t i;
		for (i = 0; i < sizeof(tags) / sizeof(tags[0]); i++)
			if (strncmp(p + 1, tags[i], strlen(tags[i])) == 0)
				break;
		assert_true(i < sizeof(tags) / sizeof(tags[0]));
	}
	assert_null(strchr(html, '\''));
}

static void
test_matrix_layout(void **state)
{
	struct msg *m = sample("matrix:@alice:example.org");
	char *s = render_matrix(m);
	json_object *o = parse(s), *ids;

	(void)state;
	assert_string_equal(skey(o, "msgtype"), "m.notice");
	assert_string_equal(skey(o, "format"), "org.matrix.custom.html");
	assert_string_equal(skey(o, "body"), "Score 72/100 (good)\nWell done.\nKeep going.\n"
	    "Covered\n  - indexes: composite index\n  - EXPLAIN\n"
	    "Model answer\n  Use an index.\n\n  Then measure.\n"
	    "Reply with next (Next question), dispute (Dispute score)\n"
	    "@alice:example.org has answered (2 so far).");
	assert_string_equal(skey(o, "formatted_body"), "<h4>Score 72/100 (good)</h4>"
	    "<p>Well done.<br>Keep going.</p>"
	    "<p><b>Covered</b></p><ul><li>indexes: composite index</li><li>EXPLAIN</li></ul>"
	    "<p><b>Model answer</b></p><blockquote>Use an index.<br><br>Then measure.</blockquote>"
	    "<p>Reply with <code>next</code> (Next question), <code>dispute</code> (Dispute score)</p>"
	    "<p><a href=\"https://matrix.to/#/@alice:example.org\">@alice:example.org</a> "
	    "has answered (2 so far).</p>");
	ids = key(key(o, "m.mentions"), "user_ids");
	assert_int_equal(json_object_array_length(ids), 1);
	assert_string_equal(json_object_get_string(json_object_array_get_idx(ids, 0)),
	    "@alice:example.org");
	json_object_put(o);
	free(s);
	msg_free(m);

	/* a button whose label says what its command says: the command alone */
	m = msg_new();
	msg_add(m, MSG_BUTTONS, "%s", "");
	msg_add_item(m, "Hint", "hint");
	msg_add_item(m, "Skip", "skip");
	msg_add_item(m, "Show model answer", "model");
	o = parse(s = render_matrix(m));
	assert_string_equal(skey(o, "formatted_body"), "<p>Reply with <code>hint</code>, "
	    "<code>skip</code>, <code>model</code> (Show model answer)</p>");
	assert_string_equal(skey(o, "body"), "Reply with hint, skip, model (Show model answer)");
	/* nobody mentioned: m.mentions is there, and empty */
	assert_int_equal(json_object_object_length(key(o, "m.mentions")), 0);
	json_object_put(o);
	free(s);
	msg_free(m);
}

static void
test_matrix_escapes_html(void **state)
{
	struct msg *m = msg_new();
	const char *evil = "<script>alert('x')</script> & \"q\" <img src=x onerror=alert(1)>";
	char *s;
	json_object *o;
	const char *html;

	(void)state;
	msg_add(m, MSG_TITLE, "%s", evil);
	msg_add(m, MSG_TEXT, "%s", evil);
	msg_add(m, MSG_LIST, "%s", "<i>label</i>");
	msg_add_item(m, "<a href=\"javascript:x\">", "<b>&amp;");
	msg_add(m, MSG_QUOTE, "%s", "</blockquote>");
	msg_add_item(m, "</blockquote><script>", NULL);
	msg_add(m, MSG_BUTTONS, "%s", "");
	msg_add_item(m, "<u>", "</code><script>");
	msg_add(m, MSG_PEOPLE, "%s", "@room <a>");
	msg_add_item(m, "console:<b>x", NULL);
	s = render_matrix(m);
	o = parse(s);
	html = skey(o, "formatted_body");
	assert_only_our_tags(html);
	assert_int_equal(strncmp(html, "<h4>&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; "
	    "&quot;q&quot; &lt;img src=x onerror=alert(1)&gt;</h4><p>&lt;script&gt;", 127), 0);
	assert_non_null(strstr(html, "<li>&lt;a href=&quot;javascript:x&quot;&gt;: "
	    "&lt;b&gt;&amp;amp;</li>"));
	assert_non_null(strstr(html, "<blockquote>&lt;/blockquote&gt;&lt;script&gt;</blockquote>"));
	assert_non_null(strstr(html, "<code>&lt;/code&gt;&lt;script&gt;</code> (&lt;u&gt;)"));
	assert_non_null(strstr(html, "<p>&lt;b&gt;x @room &lt;a&gt;</p>"));
	assert_int_equal(count(html, "<script"), 0);
	assert_int_equal(count(html, "<a"), 0);
	/* the body is plain text: as written */
	assert_int_equal(strncmp(skey(o, "body"), evil, strlen(evil)), 0);
	assert_non_null(strstr(skey(o, "body"), "<b>x @room <a>"));
	/* "@room" in the text pings nobody: m.mentions says so */
	assert_int_equal(json_object_object_length(key(o, "m.mentions")), 0);
	json_object_put(o);
	free(s);
	msg_free(m);
}

static void
test_matrix_mentions_only_valid_ids(void **state)
{
	struct msg *m = msg_new();
	char *s, *long_local = repeat("a", 250, ""), name[300];
	json_object *o, *ids;
	const char *html;

	(void)state;
	msg_add(m, MSG_PEOPLE, "%s", "have answered.");
	msg_add_item(m, "matrix:@alice:example.org", NULL);
	msg_add_item(m, "matrix:@a/b+c=d:example.org:8448", NULL);
	msg_add_item(m, "matrix:@x\"y<z:[::1]:8448", NULL);	/* historical localpart */
	msg_add_item(m, "matrix:@alice:example.org", NULL);	/* twice: one mention */
	msg_add_item(m, "matrix:alice", NULL);
	msg_add_item(m, "matrix:@alice", NULL);
	msg_add_item(m, "matrix:@:example.org", NULL);
	msg_add_item(m, "matrix:@al ice:example.org", NULL);
	msg_add_item(m, "matrix:@alice:exa mple.org", NULL);
	msg_add_item(m, "matrix:@alice:example.org:123456", NULL);
	msg_add_item(m, "matrix:@alice:example.org\"><script>", NULL);
	msg_add_item(m, "matrix:@\xc3\xa9:example.org", NULL);
	msg_add_item(m, "matrix:@bob:[::1", NULL);
	snprintf(name, sizeof(name), "matrix:@%s:x.org", long_local);	/* 256 bytes */
	msg_add_item(m, name, NULL);
	msg_add_item(m, "slack:U0123ABCD", NULL);
	s = render_matrix(m);
	o = parse(s);
	html = skey(o, "formatted_body");
	assert_only_our_tags(html);
	assert_int_equal(count(html, "<a href="), 4);
	assert_int_equal(strncmp(html, "<p><a href=\"https://matrix.to/#/@alice:example.org\">"
	    "@alice:example.org</a>, <a href=\"https://matrix.to/#/@a%2Fb%2Bc%3Dd:example.org:8448\">"
	    "@a/b+c=d:example.org:8448</a>, <a href=\"https://matrix.to/#/@x%22y%3Cz:%5B::1%5D:8448\">"
	    "@x&quot;y&lt;z:[::1]:8448</a>, <a href=\"https://matrix.to/#/@alice:example.org\">", 285), 0);
	assert_non_null(strstr(html, "</a>, alice, @alice, @:example.org, @al ice:example.org, "
	    "@alice:exa mple.org, @alice:example.org:123456, @alice:example.org&quot;&gt;&lt;script&gt;, "
	    "@\xc3\xa9:example.org, @bob:[::1, @aaaa"));
	assert_non_null(strstr(html, "aaaa:x.org, U0123ABCD have answered.</p>"));
	ids = key(key(o, "m.mentions"), "user_ids");
	assert_int_equal(json_object_array_length(ids), 3);
	assert_string_equal(json_object_get_string(json_object_array_get_idx(ids, 0)),
	    "@alice:example.org");
	assert_string_equal(json_object_get_string(json_object_array_get_idx(ids, 1)),
	    "@a/b+c=d:example.org:8448");
	assert_string_equal(json_object_get_string(json_object_array_get_idx(ids, 2)),
	    "@x\"y<z:[::1]:8448");
	assert_int_equal(strncmp(skey(o, "body"), "@alice:example.org, @a/b+c=d:example.org:8448, "
	    "@x\"y<z:[::1]:8448, @alice:example.org, alice, @alice,", 100), 0);
	json_object_put(o);
	free(s);
	free(long_local);
	msg_free(m);
}

static void
test_matrix_fits_one_event(void **state)
{
	struct msg *m = msg_new();
	char *s, *big = repeat("x y", 1000, " "), *data, line[64];
	json_object *o;
	const char *body;
	size_t len = 0;

	(void)state;
	/* too much for one event: the body cut with a note, no HTML */
	for (int i = 0; i < 100; i++)
		msg_add(m, MSG_TEXT, "%s", big);
	s = render_matrix(m);
	assert_true(strlen(s) <= 65536 - 2048);
	o = parse(s);
	body = skey(o, "body");
	assert_true(strlen(body) > 50000);
	assert_non_null(strstr(body, "\xe2\x80\xa6\n(This message was too long and was shortened.)"));
	assert_false(has(o, "formatted_body"));
	assert_false(has(o, "format"));
	json_object_put(o);
	free(s);
	msg_free(m);
	free(big);

	/* a person's data, 30000 bytes of JSON: whole in the body; the HTML would not fit */
	m = msg_new();
	data = malloc(31000);
	for (int i = 0; len < 30000 - 64; i++) {
		snprintf(line, sizeof(line), "{\"question\":\"q%05d\",\"score\":%d},\n", i, i % 100);
		memcpy(data + len, line, strlen(line) + 1);
		len += strlen(line);
	}
	msg_add(m, MSG_QUOTE, "JSON, part %d of %d", 1, 1);
	msg_add_item(m, data, NULL);
	s = render_matrix(m);
	assert_true(strlen(s) <= 65536 - 2048);
	o = parse(s);
	assert_non_null(strstr(skey(o, "body"), line));
	assert_null(strstr(skey(o, "body"), "shortened"));
	assert_false(has(o, "formatted_body"));
	json_object_put(o);
	free(s);
	msg_free(m);
	free(data);

	/* many people: the mentions count too */
	m = msg_new();
	msg_add(m, MSG_PEOPLE, "%s", "answered.");
	for (int i = 0; i < 3000; i++) {
		snprintf(line, sizeof(line), "matrix:@person%04d:example.org", i);
		msg_add_item(m, line, NULL);
	}
	s = render_matrix(m);
	assert_true(strlen(s) <= 65536 - 2048);
	o = parse(s);
	assert_non_null(strstr(skey(o, "body"), "shortened"));
	assert_true(json_object_array_length(key(key(o, "m.mentions"), "user_ids")) > 500);
	json_object_put(o);
	free(s);
	msg_free(m);
}

static void
test_matrix_cleans_text(void **state)
{
	struct msg *m = msg_new();
	char *s;
	json_object *o;

	(void)state;
	msg_add(m, MSG_TEXT, "%s", "a\033[2J\xff b\xe2\x80\xae\r\nc");
	o = parse(s = render_matrix(m));
	assert_string_equal(skey(o, "body"), "a [2J\xef\xbf\xbd b  \nc");
	assert_string_equal(skey(o, "formatted_body"), "<p>a [2J\xef\xbf\xbd b  <br>c</p>");
	json_object_put(o);
	free(s);
	msg_free(m);
}

/* ---- both ---- */

static void
test_null_texts(void **state)
{
	struct msg *m = msg_new();
	char *s;
	json_object *o;

	(void)state;
	for (int k = MSG_TITLE; k <= MSG_PEOPLE; k++) {
		msg_add(m, (enum msg_part_kind)k, "%s", "");
		msg_add_item(m, "item", NULL);
	}
	for (size_t i = 0; i < m->nparts; i++) {
		free(m->parts[i].text);
		m->parts[i].text = NULL;
	}
	free(m->parts[1].items[0].label);	/* a label left NULL too */
	m->parts[1].items[0].label = NULL;
	o = parse(s = render_slack(m));
	assert_string_equal(btype(o, 0), "section");	/* the list */
	assert_string_equal(btext(o, 0), "\xe2\x80\xa2 item");
	assert_string_equal(btext(o, 1), "> item");
	assert_string_equal(skey(key(json_object_array_get_idx(key(block(o, 2), "elements"), 0),
	    "text"), "text"), "item");
	assert_string_equal(btext(o, 3), "item");
	assert_int_equal(nblocks(o), 4);
	json_object_put(o);
	free(s);
	o = parse(s = render_matrix(m));
	assert_string_equal(skey(o, "body"), "  - item\n  item\nReply with item\nitem");
	json_object_put(o);
	free(s);
	msg_free(m);
	/* no message at all */
	o = parse(s = render_slack(NULL));
	assert_int_equal(nblocks(o), 0);
	json_object_put(o);
	free(s);
	o = parse(s = render_matrix(NULL));
	assert_string_equal(skey(o, "body"), "");
	json_object_put(o);
	free(s);
}

/* Random messages of random bytes: always strict JSON, valid UTF-8, within the limits. */
static void
test_random_messages(void **state)
{
	static const char *pieces[] = {"<", ">", "&", "'", "\"", "\n", " ", "\t", "\xff", "\xc3",
	    "\xc3\xa9", "\xf0\x9f\x98\x80", "\033", "\xc2\x9b", "<!channel>", "slack:U1", "matrix:@a:b",
	    "*", "`", "\\", "word", "\xe2\x80\xae", "\r\n", "&amp;"};
	uint32_t seed = 12345;
	char buf[8192];

	(void)state;
	for (int round = 0; round < 300; round++) {
		struct msg *m = msg_new();
		int nparts = 1 + (int)((seed = seed * 1103515245u + 12345u) >> 16) % 70;
		char *s;
		json_object *o;

		for (int i = 0; i < nparts; i++) {
			int kind = (int)((seed = seed * 1103515245u + 12345u) >> 16) % 6;
			int items = (int)((seed = seed * 1103515245u + 12345u) >> 16) % 4;
			for (int t = 0; t <= items; t++) {
				size_t len = 0, want = ((seed = seed * 1103515245u + 12345u) >> 16) % 3
				    ? 40 : 8000;
				while (len < want) {
					const char *p = pieces[((seed = seed * 1103515245u + 12345u) >> 16) %
					    (sizeof(pieces) / sizeof(pieces[0]))];
					if (len + strlen(p) >= sizeof(buf))
						break;
					memcpy(buf + len, p, strlen(p));
					len += strlen(p);
				}
				buf[len] = '\0';
				if (t == 0)
					msg_add(m, (enum msg_part_kind)kind, "%s", buf);
				else
					msg_add_item(m, buf, t % 2 ? buf + len / 2 : NULL);
			}
		}
		assert_false(m->oom);
		o = parse(s = render_slack(m));
		assert_slack_limits(o);
		for (size_t i = 0; i < nblocks(o); i++)
			if (strcmp(btype(o, i), "actions") != 0)
				assert_no_slack_markup(btext(o, i), true);
		json_object_put(o);
		free(s);
		s = render_matrix(m);
		assert_true(strlen(s) <= 65536 - 2048);
		o = parse(s);
		if (has(o, "formatted_body"))
			assert_only_our_tags(skey(o, "formatted_body"));
		json_object_put(o);
		free(s);
		msg_free(m);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_wraps_at_78_columns),
		cmocka_unit_test(test_user_text_cannot_drive_the_terminal),
		cmocka_unit_test(test_slack_layout),
		cmocka_unit_test(test_slack_escapes_user_text),
		cmocka_unit_test(test_slack_mentions_only_valid_ids),
		cmocka_unit_test(test_slack_buttons),
		cmocka_unit_test(test_slack_splits_long_text),
		cmocka_unit_test(test_slack_caps_blocks_at_50),
		cmocka_unit_test(test_slack_header_cut_at_150),
		cmocka_unit_test(test_slack_cleans_text),
		cmocka_unit_test(test_matrix_layout),
		cmocka_unit_test(test_matrix_escapes_html),
		cmocka_unit_test(test_matrix_mentions_only_valid_ids),
		cmocka_unit_test(test_matrix_fits_one_event),
		cmocka_unit_test(test_matrix_cleans_text),
		cmocka_unit_test(test_null_texts),
		cmocka_unit_test(test_random_messages),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
