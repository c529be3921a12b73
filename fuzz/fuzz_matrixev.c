/*
 * fuzz_matrixev - whatever a homeserver (or someone posing as one) puts in
 * a /sync timeline, an invite section or an application service
 * transaction, as matrixev sees it. Nothing may crash, and what reaches
 * the engine must be sane: names "matrix:" + a valid Matrix id, the kinds
 * matrixev gives, text of text_len bytes in valid UTF-8 when the body it
 * came from was; the same event twice gives the same outcome and key;
 * a cleared result is all zeroes.
 *
 * Input: the first byte picks the context (DM or not, a /sync section or a
 * transaction, the bot's id known or not), the parser (jsonv's strict one,
 * or json-c's own, which lets invalid UTF-8 and NULs through) and the
 * mode: the rest as one event, the rest as a user or room id, or (with the
 * second byte) a realistic event whose "@@" places take the rest of the
 * input, so the deep paths are reached without a seed corpus.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "drill/jsonv.h"
#include "drill/matrixev.h"
#include "drill/text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ID_MAX 255
#define SELF "@drilld:example.org"
#define ROOM "!kBhOXkEfzyRdyTwJhl:example.org"

/* Realistic events; "@@" is replaced by the input (escaped for JSON). */
static const char *templates[] = {
	/* B.1.2 timeline messages */
	"{\"type\":\"m.room.message\",\"event_id\":\"$ev1\",\"sender\":\"@ann:example.org\","
	    "\"origin_server_ts\":1712345678653,\"content\":{\"msgtype\":\"m.text\","
	    "\"body\":\"@@\"},\"unsigned\":{\"age\":1234}}",
	"{\"type\":\"m.room.message\",\"event_id\":\"$ev1\",\"sender\":\"@ann:example.org\","
	    "\"content\":{\"msgtype\":\"m.text\",\"body\":\"!drill @@\"}}",
	"{\"type\":\"m.room.message\",\"event_id\":\"$ev1\",\"sender\":\"@ann:example.org\","
	    "\"content\":{\"msgtype\":\"m.emote\",\"body\":\"drilld: @@\"}}",
	"{\"type\":\"m.room.message\",\"event_id\":\"$@@\",\"sender\":\"@@\","
	    "\"room_id\":\"!@@:example.org\",\"origin_server_ts\":@@,"
	    "\"content\":{\"msgtype\":\"@@\",\"body\":\"@@\"}}",
	/* B.2.2 mentions */
	"{\"type\":\"m.room.message\",\"event_id\":\"$ev1\",\"sender\":\"@ann:example.org\","
	    "\"content\":{\"msgtype\":\"m.text\",\"body\":\"@@\",\"format\":"
	    "\"org.matrix.custom.html\",\"formatted_body\":\"@@\","
	    "\"m.mentions\":{\"user_ids\":[\"@@\",\"" SELF "\"]}}}",
	/* B.2.3 thread, reply, edit */
	"{\"type\":\"m.room.message\",\"event_id\":\"$ev1\",\"sender\":\"@ann:example.org\","
	    "\"content\":{\"msgtype\":\"m.text\",\"body\":\"> <@drilld:example.org> Q3\\n\\n@@\","
	    "\"m.relates_to\":{\"rel_type\":\"m.thread\",\"event_id\":\"$root1\","
	    "\"is_falling_back\":true,\"m.in_reply_to\":{\"event_id\":\"$latest\"}}}}",
	"{\"type\":\"m.room.message\",\"event_id\":\"$ev1\",\"sender\":\"@ann:example.org\","
	    "\"content\":{\"msgtype\":\"m.text\",\"body\":\"@@\","
	    "\"m.relates_to\":{\"rel_type\":\"@@\",\"event_id\":\"$@@\","
	    "\"m.in_reply_to\":{\"event_id\":\"$@@\"}}}}",
	"{\"type\":\"m.room.message\",\"event_id\":\"$ev1\",\"sender\":\"@ann:example.org\","
	    "\"content\":{\"msgtype\":\"m.text\",\"body\":\"> @@\\n> @@\\n\\n@@\","
	    "\"m.relates_to\":{\"m.in_reply_to\":{\"event_id\":\"$q3\"}}}}",
	"{\"type\":\"m.room.message\",\"event_id\":\"$ev2\",\"sender\":\"@ann:example.org\","
	    "\"content\":{\"msgtype\":\"m.text\",\"body\":\"* @@\",\"m.new_content\":"
	    "{\"msgtype\":\"m.text\",\"body\":\"@@\"},\"m.relates_to\":{\"rel_type\":"
	    "\"m.replace\",\"event_id\":\"$ev1\"}}}",
	/* membership: invites (stripped state), the bot's and others' */
	"{\"type\":\"m.room.member\",\"state_key\":\"" SELF "\",\"sender\":\"@@\","
	    "\"content\":{\"membership\":\"invite\",\"is_direct\":true}}",
	"{\"type\":\"m.room.member\",\"event_id\":\"$m1\",\"state_key\":\"@@\","
	    "\"sender\":\"@ann:example.org\",\"content\":{\"membership\":\"@@\"}}",
	"{\"type\":\"m.room.member\",\"event_id\":\"$@@\",\"room_id\":\"@@\",\"state_key\":\""
	    SELF "\",\"sender\":\"" SELF "\",\"content\":{\"membership\":\"join\"}}",
	"{\"type\":\"m.room.member\",\"event_id\":\"$m2\",\"state_key\":\"" SELF "\","
	    "\"sender\":\"@mod:example.org\",\"content\":{\"membership\":\"@@\","
	    "\"reason\":\"@@\"}}",
	/* what must be ignored: the bot's own text, anyone's notice */
	"{\"type\":\"m.room.message\",\"event_id\":\"$ev1\",\"sender\":\"" SELF "\","
	    "\"content\":{\"msgtype\":\"m.text\",\"body\":\"@@\"},"
	    "\"unsigned\":{\"transaction_id\":\"@@\"}}",
	"{\"type\":\"m.room.message\",\"event_id\":\"$ev1\",\"sender\":\"@ann:example.org\","
	    "\"content\":{\"msgtype\":\"m.notice\",\"body\":\"!drill @@\"}}",
	/* a body and a thread root as raw JSON values */
	"{\"type\":\"m.room.message\",\"event_id\":\"$ev1\",\"sender\":\"@ann:example.org\","
	    "\"content\":{\"msgtype\":\"m.text\",\"body\":@@,\"m.relates_to\":"
	    "{\"rel_type\":\"m.thread\",\"event_id\":\"@@\"}}}",
	/* other types, encrypted, redacted */
	"{\"type\":\"@@\",\"event_id\":\"$ev1\",\"sender\":\"@ann:example.org\","
	    "\"content\":{\"msgtype\":\"m.text\",\"body\":\"hi\"}}",
	"{\"type\":\"m.room.encrypted\",\"event_id\":\"$ev1\",\"sender\":\"@@\","
	    "\"content\":{\"algorithm\":\"m.megolm.v1.aes-sha2\",\"ciphertext\":\"@@\"}}",
	"{\"type\":\"m.room.message\",\"event_id\":\"$ev1\",\"sender\":\"@ann:example.org\","
	    "\"content\":{},\"unsigned\":{\"redacted_because\":{\"content\":{\"reason\":\"@@\"}}}}",
};

static bool
prefixed(const char *s, const char *p)
{
	return s != NULL && strncmp(s, p, strlen(p)) == 0;
}

/*
 * Whether o's string member key (if there is one) is valid UTF-8; notes in
 * *present that there was one and raises *len to its length.
 */
static bool
string_valid(const struct json_object *o, const char *key, bool *present, size_t *len)
{
	struct json_object *v;

	if (o == NULL || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return true;
	*present = true;
	if ((size_t)json_object_get_string_len(v) > *len)
		*len = (size_t)json_object_get_string_len(v);
	return text_utf8_valid(json_object_get_string(v), (size_t)json_object_get_string_len(v));
}

/*
 * Whether every body the event carries (content.body, and the new content's)
 * is valid UTF-8; *max the longest of them.
 */
static bool
bodies_valid(const struct json_object *e, size_t *max)
{
	struct json_object *content = NULL, *nc = NULL;
	bool present = false, ok;

	*max = 0;
	if (!json_object_object_get_ex(e, "content", &content) ||
	    !json_object_is_type(content, json_type_object))
		return true;
	ok = string_valid(content, "body", &present, max);
	if (json_object_object_get_ex(content, "m.new_content", &nc) &&
	    json_object_is_type(nc, json_type_object))
		ok = string_valid(nc, "body", &present, max) && ok;
	return ok;
}

/* What every outcome promises. */
static void
check(const struct json_object *e, const struct matrixev_ctx *ctx, enum matrixev_outcome oc,
    const struct matrixev *out)
{
	const struct platform_event *ev = &out->ev;
	size_t max;

	switch (oc) {
	case MATRIXEV_BAD:
		if (out->why == NULL || out->why[0] == '\0')
			abort();
		return;
	case MATRIXEV_IGNORE:
		if (out->why == NULL || out->why[0] == '\0')
			abort();
		/* FALLTHROUGH */
	case MATRIXEV_GONE:
	case MATRIXEV_MEMBER:
	case MATRIXEV_ENCRYPTED:
		if (!matrixev_room_ok(out->room))
			abort();
		return;
	case MATRIXEV_INVITE:
		if (!matrixev_room_ok(out->room) || !matrixev_user_ok(out->inviter))
			abort();
		return;
	case MATRIXEV_HANDLE:
		break;
	default:
		abort();
	}
	if (!matrixev_room_ok(out->room) || (ctx->room_id != NULL &&
	    strcmp(out->room, ctx->room_id) != 0))
		abort();
	/* names: "matrix:" and a valid id */
	if (!prefixed(ev->conversation, "matrix:!") || strcmp(ev->conversation + 7, out->room) != 0 ||
	    !prefixed(ev->user, "matrix:@") || !matrixev_user_ok(ev->user + 7) ||
	    !prefixed(ev->event_id, "matrix:$") || strlen(ev->event_id) > 7 + ID_MAX ||
	    strlen(ev->event_id) < 9)
		abort();
	if ((ev->conv_kind == PLATFORM_DM) != ctx->dm)
		abort();
	switch (ev->kind) {
	case PLATFORM_EV_JOIN:
		/* only the bot's own join */
		if (ctx->self == NULL || strcmp(ev->user + 7, ctx->self) != 0)
			abort();
		return;
	case PLATFORM_EV_MESSAGE:
	case PLATFORM_EV_EDIT:
		break;
	default:
		abort();
	}
	/* never the bot's own message */
	if (ctx->self != NULL && strcmp(ev->user + 7, ctx->self) == 0)
		abort();
	if (ev->text == NULL || ev->text_len != strlen(ev->text))
		abort();
	if (bodies_valid(e, &max) && !text_utf8_valid(ev->text, ev->text_len))
		abort();
	if (ev->text_len > max)
		abort();	/* the text is cut from a body, never longer */
	if (ctx->dm && !ev->addressed)
		abort();
	if (ev->message_id == NULL || ev->message_id[0] != '$' || strlen(ev->message_id) > ID_MAX)
		abort();
	if (ev->kind == PLATFORM_EV_MESSAGE && strcmp(ev->message_id, ev->event_id + 7) != 0)
		abort();	/* a message's id is its event's */
	if (ev->thread_id != NULL && (ev->thread_id[0] != '$' || strlen(ev->thread_id) > ID_MAX))
		abort();
	if (ev->reply_to != NULL && (ev->thread_id == NULL ||
	    strcmp(ev->reply_to, ev->thread_id) != 0))
		abort();
}

static void
run_event(const struct json_object *e, const struct matrixev_ctx *ctx)
{
	static const struct matrixev zero;
	struct matrixev out, again;
	enum matrixev_outcome oc, oc2;

	oc = matrixev_event(e, ctx, &out);
	check(e, ctx, oc, &out);
	/* the same event again (a /sync replayed, a transaction pushed again) */
	oc2 = matrixev_event(e, ctx, &again);
	if (oc != oc2 || (oc == MATRIXEV_HANDLE &&
	    strcmp(out.ev.event_id, again.ev.event_id) != 0))
		abort();
	matrixev_clear(&again);
	matrixev_clear(&out);
	if (memcmp(&out, &zero, sizeof(out)) != 0)
		abort();
	matrixev_clear(&out);
}

/* A user or room id as the validators see it. */
static void
run_id(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	const char *colon;
	size_t n;

	if (s == NULL)
		return;
	memcpy(s, data, size);
	s[size] = '\0';
	n = strlen(s);
	for (int k = 0; k < 2; k++) {
		bool ok = k == 0 ? matrixev_user_ok(s) : matrixev_room_ok(s);

		if (!ok)
			continue;
		/* a room id may have no server (room version 12); a user id must */
		colon = strchr(s, ':');
		if (s[0] != (k == 0 ? '@' : '!') || n > ID_MAX || n < 2 ||
		    (colon == NULL && k == 0) ||
		    (colon != NULL && (colon == s + 1 || colon[1] == '\0')))
			abort();
		for (size_t i = 1; i < n; i++)
			if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
				abort();
	}
	if (matrixev_user_ok(s) && matrixev_room_ok(s))
		abort();
	free(s);
}

/* The template with every "@@" replaced by the input, escaped for JSON. */
static char *
fill(const char *tpl, const uint8_t *data, size_t size, size_t *len)
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
			if (c < 0x20 || c == '"' || c == '\\') {
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

/* jsonv's parse, or json-c's own (no UTF-8 check, NULs let through). */
static struct json_object *
parse(const char *s, size_t len, bool lax)
{
	struct json_object *o = NULL;
	struct json_tokener *tok;

	if (!lax)
		return jsonv_parse(s, len, 32, &o, NULL) == 0 ? o : NULL;
	if (len > INT32_MAX || (tok = json_tokener_new_ex(32)) == NULL)
		return NULL;
	o = json_tokener_parse_ex(tok, s, (int)len);
	if (json_tokener_get_error(tok) != json_tokener_success) {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	return o;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct matrixev_ctx ctx;
	struct json_object *o;
	bool lax;
	size_t len;
	char *s;

	if (size < 1)
		return 0;
	ctx.dm = data[0] & 1;
	ctx.room_id = data[0] & 2 ? NULL : ROOM;	/* a transaction, or a /sync section */
	ctx.self = data[0] & 4 ? NULL : SELF;
	lax = data[0] & 8;
	switch ((data[0] >> 4) % 4) {
	case 0:
		if ((o = parse((const char *)data + 1, size - 1, lax)) != NULL) {
			run_event(o, &ctx);
			json_object_put(o);
		}
		break;
	case 1:
		run_id(data + 1, size - 1);
		break;
	default:
		if (size < 2)
			return 0;
		s = fill(templates[data[1] % (sizeof(templates) / sizeof(templates[0]))],
		    data + 2, size - 2, &len);
		if (s == NULL)
			return 0;
		if ((o = parse(s, len, lax)) != NULL) {
			run_event(o, &ctx);
			json_object_put(o);
		}
		free(s);
		break;
	}
	return 0;
}
