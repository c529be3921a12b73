/*
 * render.c - renders abstract messages for the console (and, later, for
 * Slack Block Kit and Matrix HTML). It escapes and lays out; it decides
 * nothing about content.
 */
#include "drill/render.h"

#include <stdbool.h>
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

/* Appends n bytes without counting columns (terminal escape sequences). */
static void
put_raw(struct out *o, const char *s, size_t n)
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
}

/* Appends n bytes of text, keeping count of the current column. */
static void
put(struct out *o, const char *s, size_t n)
{
	put_raw(o, s, n);
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

/* A terminal attribute (bold, dim, reset): takes no column. */
static void
attr(struct out *o, const char *s)
{
	put_raw(o, s, strlen(s));
}

/*
 * True for code points that must not reach a terminal from user text: C0 and
 * C1 controls (U+009B is a one-character CSI) and the bidirectional
 * overrides and isolates that can reorder what is shown.
 */
static bool
unsafe(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;

	if (n == 1)
		return u[0] < 0x20 || u[0] == 0x7f;
	if (n == 2)
		return u[0] == 0xc2 && u[1] < 0xa0;
	if (n == 3 && u[0] == 0xe2 && u[1] == 0x80)
		return u[2] >= 0xaa && u[2] <= 0xae;	/* U+202A..U+202E */
	if (n == 3 && u[0] == 0xe2 && u[1] == 0x81)
		return u[2] >= 0xa6 && u[2] <= 0xa9;	/* U+2066..U+2069 */
	return false;
}

/*
 * Writes text wrapped at WIDTH, each line after the first indented by indent
 * spaces. Newlines in the text are kept; control characters (ESC and the C1
 * set included) and bidirectional overrides become spaces and invalid UTF-8
 * becomes U+FFFD, so nothing a person wrote can drive the terminal.
 */
static void
wrap(struct out *o, const char *text, size_t indent)
{
	const char *p = text, *end = text + strlen(text);

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
			size_t n = text_utf8_seqlen(w + bytes, (size_t)(end - (w + bytes)));
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
			} else if (unsafe(w + i, n)) {
				put(o, " ", 1);
				i += n;
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
			attr(&o, bold);
			wrap(&o, p->text, 0);
			attr(&o, off);
			puts_(&o, "\n");
			break;
		case MSG_TEXT:
			wrap(&o, p->text, 0);
			puts_(&o, "\n");
			break;
		case MSG_LIST:
			if (p->text && *p->text) {
				attr(&o, bold);
				wrap(&o, p->text, 0);
				attr(&o, off);
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
			attr(&o, bold);
			wrap(&o, p->text, 0);
			attr(&o, off);
			puts_(&o, "\n");
			for (size_t j = 0; j < p->nitems; j++) {
				puts_(&o, "  ");
				wrap(&o, p->items[j].label, 2);
				puts_(&o, "\n");
			}
			break;
		case MSG_BUTTONS:
			attr(&o, dim);
			for (size_t j = 0; j < p->nitems; j++) {
				puts_(&o, j ? "  " : "");
				puts_(&o, "[");
				wrap(&o, p->items[j].detail ? p->items[j].detail : p->items[j].label, 0);
				puts_(&o, "]");
			}
			attr(&o, off);
			puts_(&o, "\n");
			break;
		case MSG_PEOPLE:
			/* a terminal has no mentions: the id after the platform */
			attr(&o, bold);
			for (size_t j = 0; j < p->nitems; j++) {
				const char *who = strchr(p->items[j].label, ':');
				puts_(&o, j ? ", " : "");
				wrap(&o, who != NULL && who[1] ? who + 1 : p->items[j].label, 0);
			}
			attr(&o, off);
			if (p->text && *p->text) {
				puts_(&o, " ");
				wrap(&o, p->text, 0);
			}
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
