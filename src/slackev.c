/*
 * slackev.c - Slack's deliveries as platform events; see slackev.h.
 */
#include "drill/slackev.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "drill/jsonv.h"
#include "drill/text.h"

#define ID_MAX 255		/* platform.h: longer ids are refused */
#define URL_MAX 2048		/* a response_url */
#define VALUE_MAX 2000		/* a button's value (Block Kit's limit) */
#define CHALLENGE_MAX 512
#define FORM_FIELDS_MAX 64

void
slackev_clear(struct slackev *out)
{
	if (out == NULL)
		return;
	free(out->challenge);
	free(out->slack_user);
	free(out->response_url);
	for (size_t i = 0; i < sizeof(out->buf) / sizeof(out->buf[0]); i++)
		free(out->buf[i]);
	memset(out, 0, sizeof(*out));
}

/* A Slack id: 1..255 bytes of [A-Za-z0-9._-] (ts values have a '.'). */
static bool
id_like(const char *s)
{
	size_t n = 0;

	if (s == NULL)
		return false;
	for (; s[n] != '\0'; n++) {
		char c = s[n];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
			return false;
	}
	return n > 0 && n <= ID_MAX;
}

/*
 * Keeps s (malloc'd; NULL is passed on) in out's next free buffer, where
 * out->ev may point; frees it when none is free. Returns s or NULL.
 */
static char *
adopt(struct slackev *out, char *s)
{
	for (size_t i = 0; s != NULL && i < sizeof(out->buf) / sizeof(out->buf[0]); i++)
		if (out->buf[i] == NULL)
			return out->buf[i] = s;
	free(s);
	return NULL;
}

#define keep(out, ...) adopt((out), drill_strf(__VA_ARGS__))

static char *
dup_or_null(const char *s)
{
	return s != NULL ? strdup(s) : NULL;
}

static enum slackev_outcome
bad(struct slackev *out, const char *why)
{
	out->why = why;
	return SLACKEV_BAD;
}

static enum slackev_outcome
ignore(struct slackev *out, const char *why)
{
	out->why = why;
	return SLACKEV_IGNORE;
}

/* "1712345678.000200" -> 1712345678; 0 when it is not one. */
static int64_t
ts_seconds(const char *ts)
{
	int64_t v = 0;

	if (ts == NULL)
		return 0;
	for (size_t i = 0; ts[i] >= '0' && ts[i] <= '9' && i < 12; i++)
		v = v * 10 + (ts[i] - '0');
	return v;
}

/* The author, conversation and kind common to every message-like event. */
static enum slackev_outcome
place(struct slackev *out, const char *channel, const char *channel_type,
    const char *user)
{
	if (!id_like(channel))
		return bad(out, "an event without a valid channel");
	if (!id_like(user))
		return bad(out, "an event without a valid user");
	out->ev.conv_kind = (channel_type != NULL && strcmp(channel_type, "im") == 0) ||
	    channel[0] == 'D' ? PLATFORM_DM : PLATFORM_CHANNEL;
	if ((out->ev.conversation = keep(out, "slack:%s", channel)) == NULL ||
	    (out->ev.user = keep(out, "slack:%s", user)) == NULL ||
	    (out->slack_user = strdup(user)) == NULL)
		return bad(out, "out of memory");
	return SLACKEV_HANDLE;
}

/* The text of a message as typed; *mentioned when it names the bot. */
static enum slackev_outcome
message_text(struct slackev *out, const struct json_object *m,
    const struct slackev_self *self, bool *mentioned)
{
	struct json_object *v;
	const char *raw = "";
	size_t rawlen = 0, len = 0;
	char *plain;

	*mentioned = false;
	if (json_object_object_get_ex(m, "text", &v)) {
		if (!json_object_is_type(v, json_type_string))
			return bad(out, "a message whose text is not a string");
		raw = json_object_get_string(v);
		rawlen = (size_t)json_object_get_string_len(v);
		if (memchr(raw, '\0', rawlen) != NULL)
			return bad(out, "a message whose text holds a NUL");
	}
	plain = slackev_plain(raw, rawlen, self != NULL ? self->user_id : NULL,
	    mentioned, &len);
	if (plain == NULL)
		return bad(out, "out of memory");
	if ((out->ev.text = adopt(out, plain)) == NULL)
		return bad(out, "out of memory");
	out->ev.text_len = len;
	return SLACKEV_HANDLE;
}

/* Whether the message is a bot's (any app's, or drilld's own user). */
static bool
from_bot(const struct json_object *m, const struct slackev_self *self)
{
	struct json_object *v;
	const char *user = jsonv_str(m, "user", ID_MAX);

	if (json_object_object_get_ex(m, "bot_id", &v) && !json_object_is_type(v, json_type_null))
		return true;
	return user != NULL && self != NULL && self->user_id != NULL &&
	    self->user_id[0] != '\0' && strcmp(user, self->user_id) == 0;
}

static enum slackev_outcome
message(struct slackev *out, const struct json_object *e, const char *type,
    const struct slackev_self *self)
{
	const char *subtype = jsonv_str(e, "subtype", 64);
	const char *channel = jsonv_str(e, "channel", ID_MAX);
	struct json_object *sv;
	const char *ctype = jsonv_str(e, "channel_type", 16);
	const char *ts, *thread;
	const struct json_object *m = e;
	enum platform_event_kind kind = PLATFORM_EV_MESSAGE;
	enum slackev_outcome oc;
	bool mentioned = false;

	/* an allow-list: a subtype drilld cannot read is not a plain message */
	if (subtype == NULL && json_object_object_get_ex(e, "subtype", &sv) &&
	    !json_object_is_type(sv, json_type_null))
		return json_object_is_type(sv, json_type_string) ?
		    ignore(out, "a message subtype drilld does not handle") :
		    bad(out, "a message whose subtype is not a string");
	if (subtype != NULL && strcmp(subtype, "thread_broadcast") != 0 &&
	    strcmp(subtype, "file_share") != 0) {
		if (strcmp(subtype, "message_deleted") == 0) {
			const char *gone = jsonv_str(e, "deleted_ts", ID_MAX);
			struct json_object *prev = jsonv_obj(e, "previous_message");
			const char *who = jsonv_str(prev, "user", ID_MAX);
			if (!id_like(gone) || !id_like(channel))
				return bad(out, "a deletion without a valid channel or ts");
			if (who == NULL || from_bot(prev, self))
				return ignore(out, "a deletion of a message not by a person");
			if ((oc = place(out, channel, ctype, who)) != SLACKEV_HANDLE)
				return oc;
			out->ev.kind = PLATFORM_EV_DELETE;
			if ((out->ev.message_id = keep(out, "%s", gone)) == NULL ||
			    (out->ev.event_id = keep(out, "slack:del:%s:%s", channel, gone)) == NULL)
				return bad(out, "out of memory");
			return SLACKEV_HANDLE;
		}
		if (strcmp(subtype, "message_changed") != 0)
			return ignore(out, "a message subtype drilld does not handle");
		if ((m = jsonv_obj(e, "message")) == NULL)
			return bad(out, "an edit without its message");
		/* Slack also sends message_changed when a link unfurls: only a
		 * change of the text by its author is an edit */
		{
			struct json_object *prev = jsonv_obj(e, "previous_message");
			const char *now = jsonv_str(m, "text", SIZE_MAX), *was = jsonv_str(prev, "text", SIZE_MAX);
			if (jsonv_obj(m, "edited") == NULL)
				return ignore(out, "a message changed without an edit (an unfurl)");
			if (now != NULL && was != NULL && strcmp(now, was) == 0)
				return ignore(out, "a message changed with the same text");
		}
		kind = PLATFORM_EV_EDIT;
	}
	if (from_bot(m, self))
		return ignore(out, "a bot's message");
	if (kind == PLATFORM_EV_EDIT) {
		const char *ms = jsonv_str(m, "subtype", 64);
		if (ms != NULL && strcmp(ms, "thread_broadcast") != 0 &&
		    strcmp(ms, "file_share") != 0)
			return ignore(out, "an edit of a message drilld does not handle");
	}
	if ((oc = place(out, channel, ctype, jsonv_str(m, "user", ID_MAX))) != SLACKEV_HANDLE)
		return oc;
	ts = jsonv_str(m, "ts", ID_MAX);
	if (!id_like(ts))
		return bad(out, "a message without a valid ts");
	if ((oc = message_text(out, m, self, &mentioned)) != SLACKEV_HANDLE)
		return oc;
	thread = jsonv_str(m, "thread_ts", ID_MAX);
	out->ev.kind = kind;
	out->ev.addressed = out->ev.conv_kind == PLATFORM_DM || mentioned ||
	    strcmp(type, "app_mention") == 0;
	out->ev.ts = ts_seconds(ts);
	if ((out->ev.message_id = keep(out, "%s", ts)) == NULL)
		return bad(out, "out of memory");
	if (id_like(thread) && strcmp(thread, ts) != 0 &&
	    (out->ev.thread_id = keep(out, "%s", thread)) == NULL)
		return bad(out, "out of memory");
	if (kind == PLATFORM_EV_EDIT) {
		const char *ets = jsonv_str(e, "event_ts", ID_MAX);
		if (!id_like(ets))
			ets = jsonv_str(e, "ts", ID_MAX);
		if (!id_like(ets))
			return bad(out, "an edit without a valid ts");
		out->ev.event_id = keep(out, "slack:edit:%s:%s", channel, ets);
	} else {
		out->ev.event_id = keep(out, "slack:msg:%s:%s", channel, ts);
	}
	return out->ev.event_id != NULL ? SLACKEV_HANDLE : bad(out, "out of memory");
}

enum slackev_outcome
slackev_callback(const struct json_object *body, const struct slackev_self *self,
    struct slackev *out)
{
	const char *type, *etype, *event_id;
	struct json_object *e, *v;
	enum slackev_outcome oc;

	memset(out, 0, sizeof(*out));
	if (body == NULL || !json_object_is_type(body, json_type_object))
		return bad(out, "the body is not a JSON object");
	if ((type = jsonv_str(body, "type", 64)) == NULL)
		return bad(out, "the body has no type");
	if (strcmp(type, "url_verification") == 0) {
		const char *c = jsonv_str(body, "challenge", CHALLENGE_MAX);
		if (c == NULL || c[0] == '\0' || !id_like(c))
			return bad(out, "a url_verification without a valid challenge");
		if ((out->challenge = strdup(c)) == NULL)
			return bad(out, "out of memory");
		return SLACKEV_CHALLENGE;
	}
	if (strcmp(type, "event_callback") != 0)
		return ignore(out, "a callback type drilld does not handle");
	if ((e = jsonv_obj(body, "event")) == NULL || (etype = jsonv_str(e, "type", 64)) == NULL)
		return bad(out, "an event_callback without an event");
	event_id = jsonv_str(body, "event_id", ID_MAX);
	if (json_object_object_get_ex(body, "event_time", &v) &&
	    json_object_is_type(v, json_type_int))
		out->ev.ts = json_object_get_int64(v);

	if (strcmp(etype, "message") == 0 || strcmp(etype, "app_mention") == 0) {
		int64_t at = out->ev.ts;
		oc = message(out, e, etype, self);
		if (oc == SLACKEV_HANDLE && out->ev.ts == 0)
			out->ev.ts = at;
		return oc;
	}
	if (!id_like(event_id))
		return bad(out, "an event without a valid event_id");
	if (strcmp(etype, "member_joined_channel") == 0) {
		const char *user = jsonv_str(e, "user", ID_MAX), *inviter = jsonv_str(e, "inviter", ID_MAX);
		if (self == NULL || self->user_id == NULL || user == NULL ||
		    strcmp(user, self->user_id) != 0)
			return ignore(out, "someone other than the bot joined a channel");
		if ((oc = place(out, jsonv_str(e, "channel", ID_MAX), jsonv_str(e, "channel_type", 16),
		    id_like(inviter) ? inviter : user)) != SLACKEV_HANDLE)
			return oc;
		/* channel_type "C" / "G" for channels; never a DM */
		out->ev.conv_kind = PLATFORM_CHANNEL;
		out->ev.kind = PLATFORM_EV_JOIN;
	} else if (strcmp(etype, "app_home_opened") == 0) {
		const char *tab = jsonv_str(e, "tab", 32);
		if (tab == NULL || strcmp(tab, "home") != 0)
			return ignore(out, "the App Home's messages tab");
		if ((oc = place(out, jsonv_str(e, "channel", ID_MAX), "im",
		    jsonv_str(e, "user", ID_MAX))) != SLACKEV_HANDLE)
			return oc;
		out->ev.kind = PLATFORM_EV_HOME;
		out->ev.addressed = true;
	} else {
		return ignore(out, "an event type drilld does not handle");
	}
	out->ev.event_id = keep(out, "slack:ev:%s", event_id);
	return out->ev.event_id != NULL ? SLACKEV_HANDLE : bad(out, "out of memory");
}

enum slackev_outcome
slackev_command(const struct json_object *fields, struct slackev *out)
{
	const char *text, *trigger, *url;
	enum slackev_outcome oc;
	size_t len = 0;
	char *plain;
	struct json_object *v;

	memset(out, 0, sizeof(*out));
	if (fields == NULL || !json_object_is_type(fields, json_type_object))
		return bad(out, "a slash command that is not an object");
	if ((oc = place(out, jsonv_str(fields, "channel_id", ID_MAX), NULL,
	    jsonv_str(fields, "user_id", ID_MAX))) != SLACKEV_HANDLE)
		return oc;
	trigger = jsonv_str(fields, "trigger_id", ID_MAX);
	if (!id_like(trigger))
		return bad(out, "a slash command without a valid trigger_id");
	text = "";
	if (json_object_object_get_ex(fields, "text", &v)) {
		if (!json_object_is_type(v, json_type_string))
			return bad(out, "a slash command whose text is not a string");
		text = json_object_get_string(v);
	}
	if ((plain = slackev_plain(text, strlen(text), NULL, NULL, &len)) == NULL)
		return bad(out, "out of memory");
	if (len == 0) {
		free(plain);
		if ((plain = strdup("help")) == NULL)
			return bad(out, "out of memory");
		len = 4;
	}
	out->ev.text = adopt(out, plain);
	out->ev.text_len = len;
	url = jsonv_str(fields, "response_url", URL_MAX);
	if (url != NULL && url[0] != '\0' && (out->response_url = strdup(url)) == NULL)
		return bad(out, "out of memory");
	out->ev.kind = PLATFORM_EV_COMMAND;
	out->ev.addressed = true;
	out->ev.event_id = keep(out, "slack:cmd:%s", trigger);
	return out->ev.text != NULL && out->ev.event_id != NULL ? SLACKEV_HANDLE :
	    bad(out, "out of memory");
}

enum slackev_outcome
slackev_interaction(const struct json_object *payload, struct slackev *out)
{
	const char *type, *channel, *user, *value, *action_ts, *ts, *thread, *url;
	struct json_object *actions, *a, *container, *msg;
	enum slackev_outcome oc;

	memset(out, 0, sizeof(*out));
	if (payload == NULL || !json_object_is_type(payload, json_type_object))
		return bad(out, "an interaction that is not an object");
	if ((type = jsonv_str(payload, "type", 64)) == NULL)
		return bad(out, "an interaction without a type");
	if (strcmp(type, "block_actions") != 0)
		return ignore(out, "an interaction type drilld does not handle");
	container = jsonv_obj(payload, "container");
	msg = jsonv_obj(payload, "message");
	channel = jsonv_str(jsonv_obj(payload, "channel"), "id", ID_MAX);
	if (channel == NULL)
		channel = jsonv_str(container, "channel_id", ID_MAX);
	if (channel == NULL)
		return ignore(out, "a button outside a conversation");
	user = jsonv_str(jsonv_obj(payload, "user"), "id", ID_MAX);
	if (!json_object_object_get_ex(payload, "actions", &actions) ||
	    !json_object_is_type(actions, json_type_array) ||
	    json_object_array_length(actions) < 1 ||
	    (a = json_object_array_get_idx(actions, 0)) == NULL ||
	    !json_object_is_type(a, json_type_object))
		return bad(out, "a block_actions without actions");
	value = jsonv_str(a, "value", VALUE_MAX);
	action_ts = jsonv_str(a, "action_ts", ID_MAX);
	if (value == NULL || value[0] == '\0')
		return ignore(out, "an action without a value");
	if (!text_utf8_valid(value, strlen(value)))
		return bad(out, "an action value that is not UTF-8");
	if (!id_like(action_ts))
		return bad(out, "an action without a valid action_ts");
	if ((oc = place(out, channel, NULL, user)) != SLACKEV_HANDLE)
		return oc;
	/* the question the button belongs to: the thread of a reply, else
	 * the message itself (a question root) */
	ts = jsonv_str(msg, "ts", ID_MAX);
	if (ts == NULL)
		ts = jsonv_str(container, "message_ts", ID_MAX);
	thread = jsonv_str(msg, "thread_ts", ID_MAX);
	if (thread == NULL)
		thread = jsonv_str(container, "thread_ts", ID_MAX);
	if (!id_like(thread) && msg != NULL)
		thread = ts;
	if (id_like(thread) && (out->ev.thread_id = keep(out, "%s", thread)) == NULL)
		return bad(out, "out of memory");
	if (id_like(ts) && (out->ev.message_id = keep(out, "%s", ts)) == NULL)
		return bad(out, "out of memory");
	url = jsonv_str(payload, "response_url", URL_MAX);
	if (url != NULL && url[0] != '\0' && (out->response_url = dup_or_null(url)) == NULL)
		return bad(out, "out of memory");
	out->ev.kind = PLATFORM_EV_BUTTON;
	out->ev.addressed = true;
	out->ev.ts = ts_seconds(action_ts);
	if ((out->ev.text = keep(out, "%s", value)) == NULL ||
	    (out->ev.event_id = keep(out, "slack:act:%s:%s", user, action_ts)) == NULL)
		return bad(out, "out of memory");
	out->ev.text_len = strlen(out->ev.text);
	return SLACKEV_HANDLE;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes s[0..n) ('+' is a space, %XX a byte) into a new string; NULL on a bad escape. */
static char *
form_decode(const char *s, size_t n, size_t *outlen, bool *oom)
{
	char *d = malloc(n + 1);
	size_t o = 0;

	*oom = d == NULL;
	if (d == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '+') {
			d[o++] = ' ';
		} else if (s[i] == '%') {
			int hi, lo;
			if (i + 2 >= n || (hi = hexval(s[i + 1])) < 0 ||
			    (lo = hexval(s[i + 2])) < 0) {
				free(d);
				return NULL;
			}
			d[o++] = (char)(hi * 16 + lo);
			i += 2;
		} else {
			d[o++] = s[i];
		}
	}
	d[o] = '\0';
	*outlen = o;
	if (memchr(d, '\0', o) != NULL || !text_utf8_valid(d, o)) {
		free(d);
		return NULL;
	}
	return d;
}

int
slackev_form(const char *body, size_t len, struct json_object **out)
{
	struct json_object *o;
	size_t i = 0, fields = 0;

	*out = NULL;
	if ((o = json_object_new_object()) == NULL)
		return DRILL_ENOMEM;
	while (i < len) {
		const char *amp = memchr(body + i, '&', len - i);
		size_t end = amp != NULL ? (size_t)(amp - body) : len;
		const char *eq = memchr(body + i, '=', end - i);
		size_t nend = eq != NULL ? (size_t)(eq - body) : end;
		char *name, *value;
		size_t nl, vl;
		bool oom = false;
		struct json_object *v;

		if (end == i) {		/* "a=1&&b=2" */
			i++;
			continue;
		}
		if (++fields > FORM_FIELDS_MAX) {
			json_object_put(o);
			return DRILL_EINVAL;
		}
		name = form_decode(body + i, nend - i, &nl, &oom);
		value = name == NULL ? NULL : eq != NULL ?
		    form_decode(eq + 1, end - nend - 1, &vl, &oom) :
		    form_decode("", 0, &vl, &oom);
		if (name == NULL || value == NULL) {
			free(name);
			free(value);
			json_object_put(o);
			return oom ? DRILL_ENOMEM : DRILL_EINVAL;
		}
		v = json_object_new_string_len(value, (int)vl);
		free(value);
		if (v == NULL || json_object_object_add(o, name, v) != 0) {
			json_object_put(v);
			free(name);
			json_object_put(o);
			return DRILL_ENOMEM;
		}
		free(name);
		i = end + 1;
	}
	*out = o;
	return DRILL_OK;
}

/*
 * Appends s[0..n) to d at *o, with &lt; &gt; &amp; decoded (Slack escapes
 * them inside links and labels too); d has room: the output never
 * outgrows the input.
 */
static void
put(char *d, size_t *o, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '&' && n - i >= 4 && memcmp(s + i, "&lt;", 4) == 0) {
			d[(*o)++] = '<';
			i += 3;
		} else if (s[i] == '&' && n - i >= 4 && memcmp(s + i, "&gt;", 4) == 0) {
			d[(*o)++] = '>';
			i += 3;
		} else if (s[i] == '&' && n - i >= 5 && memcmp(s + i, "&amp;", 5) == 0) {
			d[(*o)++] = '&';
			i += 4;
		} else {
			d[(*o)++] = s[i];
		}
	}
}

/* "<...>" between start and end (exclusive) as the person saw it. */
static void
entity(char *d, size_t *o, const char *s, size_t n, const char *self, bool *mentioned)
{
	const char *bar = memchr(s, '|', n);
	size_t idn = bar != NULL ? (size_t)(bar - s) : n;
	const char *label = bar != NULL ? bar + 1 : NULL;
	size_t labeln = bar != NULL ? n - idn - 1 : 0;

	if (n >= 1 && s[0] == '@') {
		/* a person: "<@U1>" "<@U1|ann>" */
		if (self != NULL && self[0] != '\0' && idn - 1 == strlen(self) &&
		    memcmp(s + 1, self, idn - 1) == 0) {
			if (mentioned != NULL)
				*mentioned = true;
			return;
		}
		put(d, o, "@", 1);
		if (label != NULL && labeln > 0)
			put(d, o, label[0] == '@' ? label + 1 : label,
			    label[0] == '@' ? labeln - 1 : labeln);
		else
			put(d, o, s + 1, idn - 1);
	} else if (n >= 1 && s[0] == '#') {
		put(d, o, "#", 1);
		if (label != NULL && labeln > 0)
			put(d, o, label, labeln);
		else
			put(d, o, s + 1, idn - 1);
	} else if (n >= 1 && s[0] == '!') {
		/* "<!here>" "<!subteam^S1|@team>" "<!date^...|fallback>" */
		if (label != NULL && labeln > 0) {
			put(d, o, label, labeln);
		} else {
			size_t k = 1;
			while (k < idn && s[k] != '^')
				k++;
			put(d, o, "@", 1);
			put(d, o, s + 1, k - 1);
		}
	} else if (label != NULL && labeln > 0) {
		put(d, o, label, labeln);
	} else if (idn > 7 && memcmp(s, "mailto:", 7) == 0) {
		put(d, o, s + 7, idn - 7);
	} else {
		put(d, o, s, idn);
	}
}

char *
slackev_plain(const char *text, size_t len, const char *self_user, bool *mentioned,
    size_t *outlen)
{
	char *d = malloc(len + 1), *r;
	size_t o = 0, start, end;

	if (mentioned != NULL)
		*mentioned = false;
	if (d == NULL)
		return NULL;
	for (size_t i = 0; i < len;) {
		const char *lt = memchr(text + i, '<', len - i);
		size_t run = lt != NULL ? (size_t)(lt - text) - i : len - i;
		const char *close, *next;

		put(d, &o, text + i, run);	/* plain text up to the next '<' */
		if ((i += run) == len)
			break;
		close = memchr(text + i + 1, '>', len - i - 1);
		next = memchr(text + i + 1, '<', len - i - 1);
		if (close != NULL && (next == NULL || next > close)) {
			entity(d, &o, text + i + 1, (size_t)(close - text - i - 1),
			    self_user, mentioned);
			i = (size_t)(close - text) + 1;
		} else {
			d[o++] = text[i++];	/* a '<' that opens nothing */
		}
	}
	/* trim: the mention taken out leaves white space behind */
	start = 0;
	end = o;
	while (start < end && (d[start] == ' ' || d[start] == '\t' || d[start] == '\n' ||
	    d[start] == '\r'))
		start++;
	while (end > start && (d[end - 1] == ' ' || d[end - 1] == '\t' ||
	    d[end - 1] == '\n' || d[end - 1] == '\r'))
		end--;
	if ((r = malloc(end - start + 1)) == NULL) {
		free(d);
		return NULL;
	}
	memcpy(r, d + start, end - start);
	r[end - start] = '\0';
	free(d);
	*outlen = end - start;
	return r;
}
