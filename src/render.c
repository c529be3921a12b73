/*
 * render.c - renders abstract messages for the console (and, later, for
 * Slack Block Kit and Matrix HTML). It escapes and lays out; it decides
 * nothing about content.
 */
#include "drill/render.h"

#include <stdlib.h>
#include <string.h>

#include "drill/text.h"

#define WIDTH 78

struct out {
	char *s;
	size_t len, cap;
	int oom;
	size_t col;		/* code points on the current line */
};

static void
put(struct out *o, const char *s, size_t n)
{
	if (o->oom)
		return;
	if (o->len + n + 1 > o->cap) {
		size_t cap = o->cap ? o->cap : 256;
		char *p;
		while (cap < o->len + n + 1)
			cap *= 2;
		if ((p = realloc(o->s, cap)) == NULL) {
			o->oom = 1;
			return;
		}
		o->s = p;
		o->cap = cap;
	}
	memcpy(o->s + o->len, s, n);
	o->len += n;
	o->s[o->len] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n')
			o->col = 0;
		else if (((unsigned char)s[i] & 0xc0) != 0x80)
			o->col++;
	}
}

static void
puts_(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

/*
 * Writes text wrapped at WIDTH, each line after the first indented by indent
 * spaces. Newlines in the text are kept; control characters (ESC included)
 * become spaces and invalid UTF-8 becomes U+FFFD, so nothing a person wrote
 * can drive the terminal.
 */
static void
wrap(struct out *o, const char *text, size_t indent)
{
	const char *p = text;

	while (*p) {
		const char *w = p;
		size_t cps = 0, bytes = 0;

		if (*p == '\n') {
			put(o, "\n", 1);
			p++;
			if (*p != '\n' && *p != '\0')	/* blank lines stay empty */
				for (size_t i = 0; i < indent; i++)
					put(o, " ", 1);
			continue;
		}
		if (*p == ' ') {
			p++;
			if (o->col > indent)
				put(o, " ", 1);
			continue;
		}
		while (w[bytes] && w[bytes] != ' ' && w[bytes] != '\n') {
			size_t n = text_utf8_seqlen(w + bytes, strlen(w + bytes));
			bytes += n ? n : 1;
			cps++;
		}
		if (o->col > indent && o->col + cps > WIDTH) {
			if (o->len > 0 && o->s[o->len - 1] == ' ')
				o->len--;
			put(o, "\n", 1);
			for (size_t i = 0; i < indent; i++)
				put(o, " ", 1);
		}
		for (size_t i = 0; i < bytes;) {
			size_t n = text_utf8_seqlen(w + i, bytes - i);
			if (n == 0) {
				put(o, "\xef\xbf\xbd", 3);
				i++;
			} else if (n == 1 && ((unsigned char)w[i] < 0x20 || w[i] == 0x7f)) {
				put(o, " ", 1);
				i++;
			} else {
				put(o, w + i, n);
				i += n;
			}
		}
		p = w + bytes;
	}
}

char *
render_console(const struct msg *m, bool color)
{
	struct out o = {0};
	const char *bold = color ? "\033[1m" : "", *dim = color ? "\033[2m" : "";
	const char *off = color ? "\033[0m" : "";

	for (size_t i = 0; i < m->nparts; i++) {
		const struct msg_part *p = &m->parts[i];
		switch (p->kind) {
		case MSG_TITLE:
			puts_(&o, bold);
			wrap(&o, p->text, 0);
			puts_(&o, off);
			puts_(&o, "\n");
			break;
		case MSG_TEXT:
			wrap(&o, p->text, 0);
			puts_(&o, "\n");
			break;
		case MSG_LIST:
			if (p->text && *p->text) {
				puts_(&o, bold);
				wrap(&o, p->text, 0);
				puts_(&o, off);
				puts_(&o, "\n");
			}
			for (size_t j = 0; j < p->nitems; j++) {
				puts_(&o, "  - ");
				wrap(&o, p->items[j].label, 4);
				if (p->items[j].detail) {
					puts_(&o, ": ");
					wrap(&o, p->items[j].detail, 4);
				}
				puts_(&o, "\n");
			}
			break;
		case MSG_QUOTE:
			puts_(&o, bold);
			wrap(&o, p->text, 0);
			puts_(&o, off);
			puts_(&o, "\n");
			for (size_t j = 0; j < p->nitems; j++) {
				puts_(&o, "  ");
				wrap(&o, p->items[j].label, 2);
				puts_(&o, "\n");
			}
			break;
		case MSG_BUTTONS:
			puts_(&o, dim);
			for (size_t j = 0; j < p->nitems; j++) {
				puts_(&o, j ? "  " : "");
				puts_(&o, "[");
				wrap(&o, p->items[j].detail ? p->items[j].detail : p->items[j].label, 0);
				puts_(&o, "]");
			}
			puts_(&o, off);
			puts_(&o, "\n");
			break;
		}
	}
	if (o.oom) {
		free(o.s);
		return NULL;
	}
	if (o.s == NULL)
		o.s = calloc(1, 1);
	return o.s;
}
