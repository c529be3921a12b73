/*
 * matrixev.c - Matrix events as platform events; see matrixev.h.
 */
#include "drill/matrixev.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "drill/jsonv.h"
#include "drill/text.h"

#define ID_MAX 255
#define PREFIX "!drill"

void
matrixev_clear(struct matrixev *out)
{
	if (out == NULL)
		return;
	free(out->room);
	free(out->inviter);
	for (size_t i = 0; i < sizeof(out->buf) / sizeof(out->buf[0]); i++)
		free(out->buf[i]);
	memset(out, 0, sizeof(*out));
}

/* Printable ASCII without white space, and without c (0: none). */
static bool
printable(const char *s, size_t n, char c)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f || s[i] == c)
			return false;
	return true;
}

/* sigil, then 1.. bytes without ':', then ':' and a non-empty server. */
static bool
id_ok(const char *s, char sigil)
{
	const char *colon;
	size_t n;

	if (s == NULL || s[0] != sigil || (n = strlen(s)) > ID_MAX ||
	    (colon = strchr(s + 1, ':')) == NULL || colon == s + 1 || colon[1] == '\0')
		return false;
	return printable(s + 1, (size_t)(colon - s - 1), ':') &&
	    printable(colon + 1, n - (size_t)(colon - s) - 1, 0);
}

bool
matrixev_user_ok(const char *s)
{
	return id_ok(s, '@');
}

bool
matrixev_room_ok(const char *s)
{
	size_t n;

	/* "!opaque:server", or since room version 12 "!opaque" alone */
	if (s == NULL || s[0] != '!' || (n = strlen(s)) < 2 || n > ID_MAX)
		return false;
	return strchr(s, ':') == NULL ? printable(s + 1, n - 1, 0) : id_ok(s, '!');
}

/* An event id: '$' and 1..254 printable bytes. */
static bool
event_id_ok(const char *s)
{
	size_t n;

	return s != NULL && s[0] == '$' && (n = strlen(s)) > 1 && n <= ID_MAX &&
	    printable(s + 1, n - 1, 0);
}

/*
 * Keeps s (malloc'd; NULL is passed on) in out's next free buffer, where
 * out->ev may point; frees it when none is free. Returns s or NULL.
 */
static char *
adopt(struct matrixev *out, char *s)
{
	for (size_t i = 0; s != NULL && i < sizeof(out->buf) / sizeof(out->buf[0]); i++)
		if (out->buf[i] == NULL)
			return out->buf[i] = s;
	free(s);
	return NULL;
}

#define keep(out, ...) adopt((out), drill_strf(__VA_ARGS__))

static enum matrixev_outcome
bad(struct matrixev *out, const char *why)
{
	out->why = why;
	return MATRIXEV_BAD;
}

static enum matrixev_outcome
ignore(struct matrixev *out, const char *why)
{
	out->why = why;
	return MATRIXEV_IGNORE;
}

/* Whether the event's m.mentions.user_ids holds self. */
static bool
mentions(const struct json_object *content, const char *self)
{
	struct json_object *m = jsonv_obj(content, "m.mentions"), *ids;

	if (m == NULL || self == NULL || !json_object_object_get_ex(m, "user_ids", &ids) ||
	    !json_object_is_type(ids, json_type_array))
		return false;
	for (size_t i = 0; i < json_object_array_length(ids) && i < 100; i++) {
		struct json_object *v = json_object_array_get_idx(ids, i);
		if (json_object_is_type(v, json_type_string) &&
		    strcmp(json_object_get_string(v), self) == 0)
			return true;
	}
	return false;
}

/*
 * A mention of the bot at the start of body, as clients write it - its
 * display name, the pill's text in formatted_body, then ':' or ',' - is
 * skipped (*body and *len move past it).
 */
static void
pill(const struct json_object *content, const char *self, const char **body, size_t *len)
{
	const char *fb = jsonv_str(content, "formatted_body", 65536), *a, *gt, *end;
	char href[ID_MAX + 40];
	size_t n;

	if (fb == NULL || self == NULL)
		return;
	snprintf(href, sizeof(href), "https://matrix.to/#/%s\"", self);
	if ((a = strstr(fb, href)) == NULL || (gt = strchr(a, '>')) == NULL ||
	    (end = strstr(gt, "</a>")) == NULL)
		return;
	n = (size_t)(end - gt - 1);
	if (n == 0 || n > *len || strncmp(*body, gt + 1, n) != 0)
		return;
	if (n < *len && ((*body)[n] == ':' || (*body)[n] == ','))
		n++;
	*body += n;
	*len -= n;
}

/*
 * The text as typed: a reply's fallback (leading "> " lines, then one
 * blank line) removed; then "!drill" or "localpart:" at the start taken
 * out (and *addressed set). Returns a new string of *len bytes, or NULL.
 */
static char *
typed(const char *body, size_t n, bool reply, const char *self, bool *addressed,
    size_t *len)
{
	size_t i = 0, e;
	char *r;

	/* a reply fallback starts "> <@sender:server> ..."; an answer that
	 * merely opens with a quote keeps it */
	if (reply && n >= 3 && memcmp(body, "> <", 3) == 0) {
		while (i < n && body[i] == '>') {
			const char *nl = memchr(body + i, '\n', n - i);
			i = nl != NULL ? (size_t)(nl - body) + 1 : n;
		}
		if (i > 0 && i < n && body[i] == '\n')
			i++;
	}
	while (i < n && (body[i] == ' ' || body[i] == '\t' || body[i] == '\n'))
		i++;
	if (n - i >= strlen(PREFIX) && strncasecmp(body + i, PREFIX, strlen(PREFIX)) == 0 &&
	    (n - i == strlen(PREFIX) || body[i + strlen(PREFIX)] == ' ' ||
	    body[i + strlen(PREFIX)] == '\n')) {
		*addressed = true;
		i += strlen(PREFIX);
	} else if (self != NULL && self[0] == '@') {
		/* "drilld: help", as clients write a mention in body */
		const char *colon = strchr(self, ':');
		size_t ln = colon != NULL ? (size_t)(colon - self - 1) : 0;
		if (ln > 0 && n - i > ln && strncasecmp(body + i, self + 1, ln) == 0 &&
		    body[i + ln] == ':') {
			*addressed = true;
			i += ln + 1;
		}
	}
	while (i < n && (body[i] == ' ' || body[i] == '\t' || body[i] == '\n'))
		i++;
	e = n;
	while (e > i && (body[e - 1] == ' ' || body[e - 1] == '\t' || body[e - 1] == '\n'))
		e--;
	if ((r = malloc(e - i + 1)) == NULL)
		return NULL;
	memcpy(r, body + i, e - i);
	r[e - i] = '\0';
	*len = e - i;
	return r;
}

static enum matrixev_outcome
member(const struct json_object *e, const char *self, struct matrixev *out)
{
	const char *key = jsonv_str(e, "state_key", ID_MAX), *sender = jsonv_str(e, "sender", ID_MAX);
	struct json_object *content = jsonv_obj(e, "content");
	const char *membership = jsonv_str(content, "membership", 32);
	struct json_object *v;

	if (key == NULL || membership == NULL)
		return bad(out, "a membership event without state_key or membership");
	if (self == NULL || strcmp(key, self) != 0)
		return MATRIXEV_MEMBER;
	if (strcmp(membership, "invite") == 0) {
		if (!matrixev_user_ok(sender))
			return bad(out, "an invite without a valid sender");
		if ((out->inviter = strdup(sender)) == NULL)
			return bad(out, "out of memory");
		out->is_direct = json_object_object_get_ex(content, "is_direct", &v) &&
		    json_object_is_type(v, json_type_boolean) && json_object_get_boolean(v);
		return MATRIXEV_INVITE;
	}
	if (strcmp(membership, "leave") == 0 || strcmp(membership, "ban") == 0)
		return MATRIXEV_GONE;
	if (strcmp(membership, "join") != 0)
		return ignore(out, "a membership of the bot drilld does not handle");
	/* the bot joined: it introduces itself (once, the engine sees to it) */
	out->ev.kind = PLATFORM_EV_JOIN;
	out->ev.user = keep(out, "matrix:%s", self);
	return out->ev.user != NULL ? MATRIXEV_HANDLE : bad(out, "out of memory");
}

enum matrixev_outcome
matrixev_event(const struct json_object *e, const struct matrixev_ctx *ctx,
    struct matrixev *out)
{
	const char *type, *room, *sender, *id, *msgtype, *body;
	struct json_object *content, *rel, *v;
	bool addressed = false, reply = false;
	size_t len = 0;
	char *text;

	memset(out, 0, sizeof(*out));
	if (e == NULL || !json_object_is_type(e, json_type_object))
		return bad(out, "an event that is not an object");
	room = ctx->room_id != NULL ? ctx->room_id : jsonv_str(e, "room_id", ID_MAX);
	if (!matrixev_room_ok(room))
		return bad(out, "an event without a valid room");
	if ((out->room = strdup(room)) == NULL)
		return bad(out, "out of memory");
	if ((type = jsonv_str(e, "type", 255)) == NULL)
		return bad(out, "an event without a type");
	id = jsonv_str(e, "event_id", ID_MAX);
	sender = jsonv_str(e, "sender", ID_MAX);
	out->ev.conv_kind = ctx->dm ? PLATFORM_DM : PLATFORM_CHANNEL;
	if ((out->ev.conversation = keep(out, "matrix:%s", room)) == NULL)
		return bad(out, "out of memory");
	if (json_object_object_get_ex(e, "origin_server_ts", &v) &&
	    json_object_is_type(v, json_type_int))
		out->ev.ts = json_object_get_int64(v) / 1000;

	if (strcmp(type, "m.room.member") == 0) {
		enum matrixev_outcome oc = member(e, ctx->self, out);
		if (oc == MATRIXEV_HANDLE) {
			if (!event_id_ok(id))
				return bad(out, "a membership event without a valid event_id");
			out->ev.event_id = keep(out, "matrix:%s", id);
			if (out->ev.event_id == NULL)
				return bad(out, "out of memory");
		}
		return oc;
	}
	if (strcmp(type, "m.room.encrypted") == 0)
		return MATRIXEV_ENCRYPTED;
	if (strcmp(type, "m.room.message") != 0)
		return ignore(out, "an event type drilld does not handle");
	if (!matrixev_user_ok(sender))
		return bad(out, "a message without a valid sender");
	if (ctx->self != NULL && strcmp(sender, ctx->self) == 0)
		return ignore(out, "the bot's own message");
	if (!event_id_ok(id))
		return bad(out, "a message without a valid event_id");
	if (json_object_object_get_ex(e, "content", &v) && !json_object_is_type(v, json_type_object))
		return bad(out, "a message whose content is not an object");
	if ((content = jsonv_obj(e, "content")) == NULL || json_object_object_length(content) == 0 ||
	    jsonv_obj(jsonv_obj(e, "unsigned"), "redacted_because") != NULL)
		return ignore(out, "a redacted message");
	msgtype = jsonv_str(content, "msgtype", 64);
	if (msgtype == NULL)
		return bad(out, "a message without a msgtype");
	if (strcmp(msgtype, "m.notice") == 0)
		return ignore(out, "a notice (bots write those)");
	if (strcmp(msgtype, "m.text") != 0 && strcmp(msgtype, "m.emote") != 0)
		return ignore(out, "a message type drilld does not read");
	out->ev.kind = PLATFORM_EV_MESSAGE;
	rel = jsonv_obj(content, "m.relates_to");
	if (rel != NULL) {
		const char *rt = jsonv_str(rel, "rel_type", 64), *target = jsonv_str(rel, "event_id", ID_MAX);
		struct json_object *irt = jsonv_obj(rel, "m.in_reply_to");
		const char *to = jsonv_str(irt, "event_id", ID_MAX);
		if (rt != NULL && strcmp(rt, "m.replace") == 0) {
			struct json_object *nc = jsonv_obj(content, "m.new_content");
			if (!event_id_ok(target) || nc == NULL)
				return bad(out, "an edit without its event or new content");
			out->ev.kind = PLATFORM_EV_EDIT;
			if ((out->ev.message_id = keep(out, "%s", target)) == NULL)
				return bad(out, "out of memory");
			content = nc;
		} else if (rt != NULL && strcmp(rt, "m.thread") == 0) {
			if (!event_id_ok(target))
				return bad(out, "a thread reply without its root");
			if ((out->ev.thread_id = keep(out, "%s", target)) == NULL)
				return bad(out, "out of memory");
			reply = to != NULL;
		} else if (event_id_ok(to)) {
			/* a plain reply, from a client without threads */
			reply = true;
			if ((out->ev.thread_id = keep(out, "%s", to)) == NULL ||
			    (out->ev.reply_to = out->ev.thread_id) == NULL)
				return bad(out, "out of memory");
		}
	}
	if (!json_object_object_get_ex(content, "body", &v) ||
	    !json_object_is_type(v, json_type_string))
		return bad(out, "a message without a string body");
	body = json_object_get_string(v);
	len = (size_t)json_object_get_string_len(v);
	if (memchr(body, '\0', len) != NULL)
		return bad(out, "a message whose body holds a NUL");
	addressed = ctx->dm;
	if (mentions(jsonv_obj(e, "content"), ctx->self)) {
		addressed = true;
		pill(jsonv_obj(e, "content"), ctx->self, &body, &len);
	}
	if ((text = typed(body, len, reply, ctx->self, &addressed, &len)) == NULL)
		return bad(out, "out of memory");
	if ((out->ev.text = adopt(out, text)) == NULL)
		return bad(out, "out of memory");
	out->ev.text_len = len;
	out->ev.addressed = addressed;
	if (out->ev.message_id == NULL && (out->ev.message_id = keep(out, "%s", id)) == NULL)
		return bad(out, "out of memory");
	if ((out->ev.user = keep(out, "matrix:%s", sender)) == NULL ||
	    (out->ev.event_id = keep(out, "matrix:%s", id)) == NULL)
		return bad(out, "out of memory");
	return MATRIXEV_HANDLE;
}
