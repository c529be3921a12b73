/*
 * fuzz_slackev - whatever Slack (or someone posing as Slack) sends, as
 * slackev sees it: Events API bodies, slash commands (form bodies and
 * Socket Mode's JSON), block_actions payloads and message text. Nothing may
 * crash, and what reaches the engine must be sane: names "slack:" + a
 * bounded id, text of text_len bytes in valid UTF-8, keys that start with
 * "slack:", the kind each entry point may give; a plain text is never
 * longer than what it came from.
 *
 * Input: the first byte picks the entry point (and for 6 and 7 the second
 * a realistic delivery whose "@@" places take the rest of the input, so
 * the deep paths are reached without a seed corpus); the rest is the body.
 */
#define _GNU_SOURCE	/* memmem */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "drill/jsonv.h"
#include "drill/slackev.h"
#include "drill/text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ID_MAX 255

enum entry { CALLBACK, COMMAND, INTERACTION, FORM_COMMAND, FORM_INTERACTION };

static const struct slackev_self self = {"U0BOT", "B0BOT"};

/* Realistic deliveries; "@@" is replaced by the input (escaped for JSON). */
static const struct {
	enum entry entry;
	const char *text;
} templates[] = {
	{CALLBACK, "{\"type\":\"event_callback\",\"event_id\":\"Ev1\",\"event_time\":1712345679,"
	    "\"event\":{\"type\":\"message\",\"channel\":\"C0DRILL01\",\"channel_type\":\"channel\","
	    "\"user\":\"U0ANN\",\"text\":\"@@\",\"ts\":\"1712345678.000200\","
	    "\"thread_ts\":\"1712345600.000100\"}}"},
	{CALLBACK, "{\"type\":\"event_callback\",\"event_id\":\"Ev1\",\"event\":{\"type\":"
	    "\"app_mention\",\"channel\":\"@@\",\"user\":\"@@\",\"text\":\"<@U0BOT> @@\","
	    "\"ts\":\"@@\",\"thread_ts\":\"@@\"}}"},
	{CALLBACK, "{\"type\":\"event_callback\",\"event_id\":\"Ev1\",\"event\":{\"type\":"
	    "\"message\",\"subtype\":\"message_changed\",\"hidden\":true,\"channel\":\"D0ANN\","
	    "\"ts\":\"1712345690.000300\",\"event_ts\":\"@@\",\"message\":{\"type\":\"message\","
	    "\"user\":\"U0ANN\",\"text\":\"@@\",\"ts\":\"1712345678.000200\","
	    "\"subtype\":\"@@\"}}}"},
	{CALLBACK, "{\"type\":\"event_callback\",\"event_id\":\"Ev1\",\"event\":{\"type\":"
	    "\"message\",\"subtype\":\"message_deleted\",\"hidden\":true,\"channel\":\"C0DRILL01\","
	    "\"ts\":\"1712345700.000400\",\"deleted_ts\":\"@@\",\"previous_message\":{"
	    "\"type\":\"message\",\"user\":\"@@\",\"text\":\"x\",\"ts\":\"1712345678.000200\"}}}"},
	{CALLBACK, "{\"type\":\"event_callback\",\"event_id\":\"@@\",\"event\":{\"type\":"
	    "\"member_joined_channel\",\"user\":\"U0BOT\",\"channel\":\"@@\",\"channel_type\":\"C\","
	    "\"inviter\":\"@@\"}}"},
	{CALLBACK, "{\"type\":\"event_callback\",\"event_id\":\"Ev1\",\"event\":{\"type\":"
	    "\"app_home_opened\",\"user\":\"@@\",\"channel\":\"D0ANNBOT\",\"tab\":\"@@\"}}"},
	{CALLBACK, "{\"type\":\"url_verification\",\"token\":\"x\",\"challenge\":\"@@\"}"},
	{INTERACTION, "{\"type\":\"block_actions\",\"user\":{\"id\":\"U0ANN\"},\"container\":"
	    "{\"type\":\"message\",\"message_ts\":\"@@\",\"channel_id\":\"C0DRILL01\","
	    "\"is_ephemeral\":true,\"thread_ts\":\"@@\"},\"response_url\":\"https://h/@@\","
	    "\"actions\":[{\"type\":\"button\",\"action_id\":\"a\",\"value\":\"@@\","
	    "\"action_ts\":\"1712345699.840180\"}]}"},
	{INTERACTION, "{\"type\":\"block_actions\",\"user\":{\"id\":\"@@\"},\"channel\":{\"id\":"
	    "\"@@\"},\"message\":{\"ts\":\"1712345600.000100\",\"thread_ts\":\"@@\"},"
	    "\"actions\":[{\"type\":\"button\",\"value\":\"answer q42\",\"action_ts\":\"@@\"}]}"},
	{COMMAND, "{\"command\":\"/drill\",\"text\":\"@@\",\"user_id\":\"U0ANN\",\"channel_id\":"
	    "\"D0ANNBOT\",\"response_url\":\"@@\",\"trigger_id\":\"1.2.abc\"}"},
	/* form bodies take the input raw */
	{FORM_COMMAND, "command=%2Fdrill&text=@@&user_id=U2CERLKJA&channel_id=G8PSS9T3V"
	    "&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2F1&trigger_id=398738663015.1.a"},
	{FORM_INTERACTION, "payload=%7B%22type%22%3A%22block_actions%22%2C%22user%22%3A%7B%22id"
	    "%22%3A%22U0ANN%22%7D%2C%22channel%22%3A%7B%22id%22%3A%22C0DRILL01%22%7D%2C%22actions"
	    "%22%3A%5B%7B%22value%22%3A%22@@%22%2C%22action_ts%22%3A%221.2%22%7D%5D%7D"},
};

static bool
blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool
prefixed(const char *s)
{
	return s != NULL && strncmp(s, "slack:", 6) == 0;
}

/* What every outcome promises; kinds is the set of event kinds allowed. */
static void
check(enum slackev_outcome oc, const struct slackev *out, unsigned kinds)
{
	const struct platform_event *ev = &out->ev;

	switch (oc) {
	case SLACKEV_IGNORE:
	case SLACKEV_BAD:
		if (out->why == NULL || out->why[0] == '\0')
			abort();
		return;
	case SLACKEV_CHALLENGE:
		if (out->challenge == NULL || out->challenge[0] == '\0' ||
		    strlen(out->challenge) > 512)
			abort();
		return;
	case SLACKEV_HANDLE:
		break;
	default:
		abort();
	}
	if (!(kinds & (1u << ev->kind)))
		abort();
	if (!prefixed(ev->conversation) || !prefixed(ev->user) || !prefixed(ev->event_id) ||
	    strlen(ev->conversation) > 6 + ID_MAX || strlen(ev->user) > 6 + ID_MAX ||
	    strlen(ev->conversation) < 7 || strlen(ev->user) < 7)
		abort();
	/* slack_user is the author's bare id, the one behind ev.user */
	if (out->slack_user == NULL || strcmp(ev->user + 6, out->slack_user) != 0)
		abort();
	/* a D… conversation is a DM; the bot joins only channels */
	if (ev->kind == PLATFORM_EV_JOIN ? ev->conv_kind != PLATFORM_CHANNEL :
	    ev->conversation[6] == 'D' && ev->conv_kind != PLATFORM_DM)
		abort();
	if ((ev->kind == PLATFORM_EV_COMMAND || ev->kind == PLATFORM_EV_BUTTON) &&
	    (ev->conv_kind == PLATFORM_DM) != (ev->conversation[6] == 'D'))
		abort();	/* commands and buttons know only the id */
	if (ev->text != NULL) {
		if (ev->text_len != strlen(ev->text) || !text_utf8_valid(ev->text, ev->text_len))
			abort();
		/* trimmed, as the person would have typed it */
		if (ev->kind != PLATFORM_EV_BUTTON && ev->text_len > 0 &&
		    (blank(ev->text[0]) || blank(ev->text[ev->text_len - 1])))
			abort();
	} else if (ev->kind == PLATFORM_EV_MESSAGE || ev->kind == PLATFORM_EV_EDIT ||
	    ev->kind == PLATFORM_EV_COMMAND || ev->kind == PLATFORM_EV_BUTTON) {
		abort();
	}
	if ((ev->kind == PLATFORM_EV_COMMAND || ev->kind == PLATFORM_EV_BUTTON ||
	    ev->kind == PLATFORM_EV_HOME) && !ev->addressed)
		abort();
	if (ev->kind == PLATFORM_EV_COMMAND && ev->text_len == 0)
		abort();	/* "help" when nothing follows */
	if ((ev->kind == PLATFORM_EV_MESSAGE || ev->kind == PLATFORM_EV_EDIT) &&
	    ev->conv_kind == PLATFORM_DM && !ev->addressed)
		abort();
	if ((ev->message_id != NULL && (ev->message_id[0] == '\0' ||
	    strlen(ev->message_id) > ID_MAX)) ||
	    (ev->thread_id != NULL && (ev->thread_id[0] == '\0' ||
	    strlen(ev->thread_id) > ID_MAX)))
		abort();
	if ((ev->kind == PLATFORM_EV_MESSAGE || ev->kind == PLATFORM_EV_EDIT ||
	    ev->kind == PLATFORM_EV_DELETE) && ev->message_id == NULL)
		abort();
	/* a reply's thread is never the message itself */
	if (ev->kind == PLATFORM_EV_MESSAGE && ev->thread_id != NULL &&
	    strcmp(ev->thread_id, ev->message_id) == 0)
		abort();
}

#define KIND(k) (1u << (k))
#define CALLBACK_KINDS (KIND(PLATFORM_EV_MESSAGE) | KIND(PLATFORM_EV_EDIT) | \
	KIND(PLATFORM_EV_DELETE) | KIND(PLATFORM_EV_JOIN) | KIND(PLATFORM_EV_HOME))

static struct json_object *
parse(const char *s, size_t len)
{
	struct json_object *o = NULL;

	if (jsonv_parse(s, len, 32, &o, NULL) != 0)
		return NULL;
	return o;
}

static void
run_json(enum entry entry, const struct slackev_self *me, const struct json_object *o)
{
	struct slackev out, again;
	enum slackev_outcome oc, oc2;
	unsigned kinds = entry == CALLBACK ? CALLBACK_KINDS : entry == COMMAND ?
	    KIND(PLATFORM_EV_COMMAND) : KIND(PLATFORM_EV_BUTTON);

	oc = entry == CALLBACK ? slackev_callback(o, me, &out) : entry == COMMAND ?
	    slackev_command(o, &out) : slackev_interaction(o, &out);
	check(oc, &out, kinds);
	/* the same delivery again (a retry) gives the same key */
	oc2 = entry == CALLBACK ? slackev_callback(o, me, &again) : entry == COMMAND ?
	    slackev_command(o, &again) : slackev_interaction(o, &again);
	if (oc != oc2 || (oc == SLACKEV_HANDLE &&
	    strcmp(out.ev.event_id, again.ev.event_id) != 0))
		abort();
	slackev_clear(&again);
	slackev_clear(&out);
	if (out.ev.text != NULL || out.buf[0] != NULL || out.why != NULL)
		abort();
}

static void
run_form(enum entry entry, const char *body, size_t len)
{
	struct json_object *o = (struct json_object *)1, *v, *payload;
	int rc = slackev_form(body, len, &o);

	if (rc != DRILL_OK) {
		if (o != NULL || (rc != DRILL_EINVAL && rc != DRILL_ENOMEM))
			abort();
		return;
	}
	if (o == NULL || !json_object_is_type(o, json_type_object) ||
	    json_object_object_length(o) > 64)
		abort();
	json_object_object_foreach(o, key, val) {
		if (!json_object_is_type(val, json_type_string) ||
		    !text_utf8_valid(key, strlen(key)) ||
		    (size_t)json_object_get_string_len(val) != strlen(json_object_get_string(val)) ||
		    !text_utf8_valid(json_object_get_string(val),
		    (size_t)json_object_get_string_len(val)))
			abort();
	}
	if (entry == FORM_COMMAND) {
		run_json(COMMAND, NULL, o);
	} else if (json_object_object_get_ex(o, "payload", &v) &&
	    (payload = parse(json_object_get_string(v),
	    (size_t)json_object_get_string_len(v))) != NULL) {
		run_json(INTERACTION, NULL, payload);
		json_object_put(payload);
	}
	json_object_put(o);
}

static void
run_plain(const char *text, size_t len)
{
	bool mentioned = true;
	size_t outlen = (size_t)-1;
	char *s = slackev_plain(text, len, "U0BOT", &mentioned, &outlen);

	if (s == NULL)
		return;
	if (outlen > len || s[outlen] != '\0')
		abort();
	if (outlen > 0 && (blank(s[0]) || blank(s[outlen - 1])))
		abort();
	if (text_utf8_valid(text, len) && !text_utf8_valid(s, outlen))
		abort();
	/* the bot is mentioned only by its own <@U0BOT...> */
	if (mentioned && (len < 7 || memmem(text, len, "<@U0BOT", 7) == NULL))
		abort();
	free(s);
}

/* The template with every "@@" replaced: JSON-escaped input, or raw for forms. */
static char *
fill(const char *tpl, bool raw, const uint8_t *data, size_t size, size_t *len)
{
	size_t holes = 0, cap, o = 0;
	char *s;

	for (const char *p = strstr(tpl, "@@"); p != NULL; p = strstr(p + 2, "@@"))
		holes++;
	cap = strlen(tpl) + holes * size * 6 + 1;
	if ((s = malloc(cap)) == NULL)
		return NULL;
	for (const char *p = tpl; *p != '\0';) {
		if (p[0] != '@' || p[1] != '@') {
			s[o++] = *p++;
			continue;
		}
		p += 2;
		for (size_t i = 0; i < size; i++) {
			uint8_t c = data[i];
			if (!raw && (c < 0x20 || c == '"' || c == '\\')) {
				static const char hex[] = "0123456789abcdef";
				memcpy(s + o, "\\u00", 4);
				s[o + 4] = hex[c >> 4];
				s[o + 5] = hex[c & 15];
				o += 6;
			} else {
				s[o++] = (char)c;
			}
		}
	}
	s[o] = '\0';
	*len = o;
	return s;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *body = (const char *)data + 1;
	struct json_object *o;
	size_t len;
	char *s;

	if (size < 1)
		return 0;
	switch (data[0] % 8) {
	case 0:
	case 1:
	case 2:
	case 3:
		if ((o = parse(body, size - 1)) != NULL) {
			enum entry entry = data[0] % 8 <= 1 ? CALLBACK : data[0] % 8 == 2 ?
			    COMMAND : INTERACTION;
			run_json(entry, data[0] % 8 == 0 ? &self : NULL, o);
			json_object_put(o);
		}
		break;
	case 4:
		run_form(data[0] & 8 ? FORM_INTERACTION : FORM_COMMAND, body, size - 1);
		break;
	case 5:
		run_plain(body, size - 1);
		break;
	default:
		if (size < 2)
			return 0;
		{
			size_t t = data[1] % (sizeof(templates) / sizeof(templates[0]));
			enum entry entry = templates[t].entry;
			bool form = entry == FORM_COMMAND || entry == FORM_INTERACTION;

			if ((s = fill(templates[t].text, form, data + 2, size - 2, &len)) == NULL)
				return 0;
			if (form) {
				run_form(entry, s, len);
			} else if ((o = parse(s, len)) != NULL) {
				run_json(entry, data[0] % 8 == 6 ? &self : NULL, o);
				json_object_put(o);
			}
			free(s);
		}
		break;
	}
	return 0;
}
