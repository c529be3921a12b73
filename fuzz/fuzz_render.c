/*
 * fuzz_render - any bytes as a message (parts, items, people) rendered for
 * the console, Slack and Matrix. The Slack and Matrix outputs must parse as
 * strict JSON in valid UTF-8, let no '<' through but mentions, and keep to
 * the platforms' limits.
 *
 * Input: parts separated by '\x1f'; a part's first byte picks its kind, the
 * rest is its text and its items, separated by '\x1e', with an item's detail
 * after '\x1d'. Every other byte, NUL aside, is text.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "drill/jsonv.h"
#include "drill/msg.h"
#include "drill/render.h"
#include "drill/text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static json_object *
parse(const char *s)
{
	json_object *o = NULL;

	if (s == NULL || !text_utf8_valid(s, strlen(s)) ||
	    jsonv_parse(s, strlen(s), 16, &o, NULL) != 0 || !json_object_is_type(o, json_type_object))
		abort();
	return o;
}

static const char *
get(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		abort();
	return json_object_get_string(v);
}

static size_t
utf16(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n += (unsigned char)*s >= 0xf0 ? 2 : 1;
	return n;
}

/* Slack: no '<' but <@ mentions, and within every limit. */
static void
check_slack(const char *s)
{
	json_object *o = parse(s), *blocks, *b, *t, *els;
	size_t n;

	if (utf16(get(o, "text")) > 4000 || !json_object_object_get_ex(o, "blocks", &blocks) ||
	    (n = json_object_array_length(blocks)) > 50)
		abort();
	for (size_t i = 0; i < n; i++) {
		b = json_object_array_get_idx(blocks, i);
		if (strcmp(get(b, "type"), "actions") == 0) {
			if (!json_object_object_get_ex(b, "elements", &els) ||
			    json_object_array_length(els) < 1 || json_object_array_length(els) > 25)
				abort();
			for (size_t j = 0; j < json_object_array_length(els); j++) {
				json_object *e = json_object_array_get_idx(els, j), *et;
				if (!json_object_object_get_ex(e, "text", &et) || utf16(get(et, "text")) > 75 ||
				    utf16(get(et, "text")) < 1 || utf16(get(e, "value")) > 2000)
					abort();
			}
			continue;
		}
		if (!json_object_object_get_ex(b, "text", &t))
			abort();
		const char *text = get(t, "text");
		if (utf16(text) < 1 || utf16(text) > (strcmp(get(b, "type"), "header") == 0 ? 150 : 3000))
			abort();
		for (const char *p = strchr(text, '<'); p != NULL; p = strchr(p + 1, '<'))
			if (p[1] != '@')
				abort();
	}
	json_object_put(o);
}

/* Matrix: one event's worth, and no '<' in formatted_body that is not ours. */
static void
check_matrix(const char *s)
{
	static const char *tags[] = {"h4>", "/h4>", "p>", "/p>", "b>", "/b>", "ul>", "/ul>",
	    "li>", "/li>", "blockquote>", "/blockquote>", "br>", "code>", "/code>", "/a>",
	    "a href=\"https://matrix.to/#/"};
	json_object *o;

	if (s == NULL || strlen(s) > 65536 - 2048)
		abort();
	o = parse(s);
	get(o, "body");
	if (json_object_object_get_ex(o, "formatted_body", NULL)) {
		const char *html = get(o, "formatted_body");
		for (const char *p = strchr(html, '<'); p != NULL; p = strchr(p + 1, '<')) {
			size_t i;
			for (i = 0; i < sizeof(tags) / sizeof(tags[0]); i++)
				if (strncmp(p + 1, tags[i], strlen(tags[i])) == 0)
					break;
			if (i == sizeof(tags) / sizeof(tags[0]))
				abort();
		}
	}
	json_object_put(o);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct msg *m = msg_new();
	char *buf = malloc(size + 1), *part, *next, *s;

	if (m == NULL || buf == NULL)
		abort();
	memcpy(buf, data, size);
	buf[size] = '\0';	/* text ends at the first NUL, as C strings do */
	for (part = buf; part != NULL; part = next) {
		char *item;
		enum msg_part_kind kind;

		if ((next = strchr(part, '\x1f')) != NULL)
			*next++ = '\0';
		if (*part == '\0')
			continue;
		kind = (enum msg_part_kind)((unsigned char)*part++ % 6);
		if ((item = strchr(part, '\x1e')) != NULL)
			*item++ = '\0';
		msg_add(m, kind, "%s", part);
		while (item != NULL) {
			char *label = item, *detail;
			if ((item = strchr(item, '\x1e')) != NULL)
				*item++ = '\0';
			if ((detail = strchr(label, '\x1d')) != NULL)
				*detail++ = '\0';
			msg_add_item(m, label, detail);
		}
	}
	if (m->oom)
		abort();
	if ((s = render_console(m, true)) == NULL)
		abort();
	free(s);
	s = render_slack(m);
	check_slack(s);
	free(s);
	s = render_matrix(m);
	check_matrix(s);
	free(s);
	msg_free(m);
	free(buf);
	return 0;
}
