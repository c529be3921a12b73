/*
 * render.c - renders abstract messages for the console, for Slack (Block
 * Kit with a mrkdwn fallback) and for Matrix (plain body with an HTML
 * formatted_body). It cleans, escapes, lays out and keeps within each
 * platform's limits; it decides nothing about content, and it sends
 * nothing: where a message goes (channel, thread, reply) is the adapter's.
 */
#include "drill/render.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "drill/jsonv.h"
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

/*
 * Slack and Matrix. Both build on one writer (struct w) that takes text a
 * unit at a time - a code point, an entity, a mention, a piece of markup -
 * and measures what it holds the way the platform counts: Slack in UTF-16
 * code units (at least what Slack counts as characters, whichever way it
 * counts them), Matrix in bytes of the JSON it becomes. A unit that does not
 * fit is not written, so a cut never splits a UTF-8 sequence, an entity or
 * a mention.
 */

#define ELLIPSIS "\xe2\x80\xa6"
#define REPLACEMENT "\xef\xbf\xbd"

#define SLACK_MAX_BLOCKS 50
#define SLACK_MAX_SECTION 3000	/* a text object's text */
#define SLACK_MAX_HEADER 150
#define SLACK_MAX_LABEL 150	/* our choice: a bold list or quote label */
#define SLACK_MAX_BUTTON 75
#define SLACK_MAX_VALUE 2000
#define SLACK_MAX_ELEMENTS 25	/* buttons in one actions block */
#define SLACK_MAX_TEXT 4000	/* the fallback text */

#define MATRIX_MAX_JSON 60000	/* body + formatted_body + mentions as JSON: an event is 65536 at most */
#define MATRIX_RESERVE 256	/* kept for the note that the body was shortened */

static const char *
str(const char *s)
{
	return s != NULL ? s : "";
}

/*
 * Reads the next code point of user text at *p and sets b[0..n) to what
 * stands for it: the code point itself; U+FFFD for a byte that is not valid
 * UTF-8; a space for a control character or a bidirectional override, as on
 * the console, except newline and tab, which are kept. Returns false at the
 * end of the text.
 */
static bool
next_cp(const char **p, const char **b, size_t *n)
{
	const char *s = *p;
	size_t k;

	if (*s == '\0')
		return false;
	k = text_utf8_seqlen(s, strnlen(s, 4));
	if (k == 0) {
		*b = REPLACEMENT;
		*n = 3;
		*p = s + 1;
		return true;
	}
	*p = s + k;
	if (*s != '\n' && *s != '\t' && unsafe(s, k)) {
		*b = " ";
		*n = 1;
	} else {
		*b = s;
		*n = k;
	}
	return true;
}

/* True when s, cleaned, shows something other than white space. */
static bool
shown(const char *s)
{
	const char *p = str(s), *b;
	size_t n;

	while (next_cp(&p, &b, &n))
		if (!text_is_blank(b, n))
			return true;
	return false;
}

enum measure {
	BY_UTF16,	/* Slack: UTF-16 code units */
	BY_JSON		/* Matrix: bytes once escaped in a JSON string */
};

static size_t
measure(enum measure how, const char *s, size_t n)
{
	size_t c = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char u = (unsigned char)s[i];
		if (how == BY_UTF16)
			c += (u & 0xc0) == 0x80 ? 0 : u >= 0xf0 ? 2 : 1;
		else if (u == '"' || u == '\\' || u == '\n' || u == '\t' || u == '\r' ||
		    u == '\b' || u == '\f')
			c += 2;
		else
			c += u < 0x20 ? 6 : 1;
	}
	return c;
}

struct w {
	char *s;
	size_t len, cap;
	bool oom;
	enum measure how;
	size_t used;		/* the measure of s */
	size_t limit;		/* what units may bring used to */
	bool cut;		/* a unit did not fit: the rest is dropped */
	const char *mark;	/* written where the text is cut, or NULL */
};

static void
w_bytes(struct w *w, const char *b, size_t n)
{
	if (w->oom)
		return;
	if (w->len + n + 1 > w->cap) {
		size_t cap = w->cap ? w->cap : 256;
		char *p;
		while (cap < w->len + n + 1)
			cap *= 2;
		if ((p = realloc(w->s, cap)) == NULL) {
			w->oom = true;
			return;
		}
		w->s = p;
		w->cap = cap;
	}
	memcpy(w->s + w->len, b, n);
	w->len += n;
	w->s[w->len] = '\0';
}

/* Appends b[0..n) whatever the limit (closing markup, the cut mark). */
static void
w_force(struct w *w, const char *b, size_t n)
{
	w_bytes(w, b, n);
	w->used += measure(w->how, b, n);
}

static void
w_cut(struct w *w)
{
	if (w->cut)
		return;
	w->cut = true;
	if (w->mark != NULL)
		w_force(w, w->mark, strlen(w->mark));
}

/* Appends the unit b[0..n) when it fits; false when it did not (or earlier ones did not). */
static bool
w_unit(struct w *w, const char *b, size_t n)
{
	size_t c;

	if (w->cut)
		return false;
	c = measure(w->how, b, n);
	if (w->used > w->limit || c > w->limit - w->used) {
		w_cut(w);
		return false;
	}
	w_bytes(w, b, n);
	w->used += c;
	return true;
}

static bool
w_str(struct w *w, const char *s)
{
	return w_unit(w, s, strlen(s));
}

/* Takes the writer's text (caller frees; "" when empty), or NULL when it ran out of memory. */
static char *
w_take(struct w *w)
{
	char *s = w->s;

	w->s = NULL;
	if (w->oom) {
		free(s);
		return NULL;
	}
	return s != NULL ? s : strdup("");
}

enum esc {
	ESC_NONE,	/* Matrix body, Slack button values */
	ESC_MRKDWN,	/* & < > */
	ESC_HTML	/* & < > " ' */
};

enum {
	T_ONELINE = 1u,	/* newlines and tabs become spaces */
	T_BR = 2u	/* HTML: newlines become <br> */
};

/* Replaces the cleaned code point b[0..n) by what e and fl write for it. */
static void
escape(enum esc e, unsigned fl, const char **b, size_t *n)
{
	const char *r = NULL;

	if (*n != 1)
		return;
	switch (**b) {
	case '\n':
		if (fl & T_ONELINE)
			r = " ";
		else if (e == ESC_HTML && (fl & T_BR))
			r = "<br>";
		break;
	case '\t':
		if (fl & T_ONELINE)
			r = " ";
		break;
	case '&':
		r = e != ESC_NONE ? "&amp;" : NULL;
		break;
	case '<':
		r = e != ESC_NONE ? "&lt;" : NULL;
		break;
	case '>':
		r = e != ESC_NONE ? "&gt;" : NULL;
		break;
	case '"':
		r = e == ESC_HTML ? "&quot;" : NULL;
		break;
	case '\'':
		r = e == ESC_HTML ? "&#39;" : NULL;
		break;
	}
	if (r != NULL) {
		*b = r;
		*n = strlen(r);
	}
}

/*
 * Writes user text s to w, cleaned and escaped, a code point (or an entity)
 * at a time; each line after a newline starts with indent. False when cut.
 */
static bool
w_text(struct w *w, const char *s, enum esc e, unsigned fl, const char *indent)
{
	const char *p = str(s), *b;
	size_t n;
	bool nl = false;

	while (next_cp(&p, &b, &n)) {
		escape(e, fl, &b, &n);
		if (nl && *indent != '\0' && !(n == 1 && *b == '\n') && !w_str(w, indent))
			return false;
		if (!w_unit(w, b, n))
			return false;
		nl = n == 1 && *b == '\n';
	}
	return !w->cut;
}

/*
 * s cleaned and escaped, at most max units (UTF-16), cut with mark when
 * longer (caller frees); NULL and *oom set when out of memory.
 */
static char *
capped(const char *s, enum esc e, unsigned fl, size_t max, const char *mark, bool *oom)
{
	struct w w = {.how = BY_UTF16, .limit = max};
	char *t;

	w_text(&w, s, e, fl, "");
	if (w.cut && mark != NULL) {	/* again, leaving room for the mark */
		free(w.s);
		w = (struct w){.how = BY_UTF16, .mark = mark};
		w.limit = max - measure(BY_UTF16, mark, strlen(mark));
		w_text(&w, s, e, fl, "");
	}
	if ((t = w_take(&w)) == NULL)
		*oom = true;
	return t;
}

/* The part of a person's name shown as text: what follows "platform:", or all of it. */
static const char *
shown_name(const char *name)
{
	const char *c = strchr(name, ':');

	return c != NULL && c[1] != '\0' ? c + 1 : name;
}

/* True, and *id set, for "slack:" followed by 1 to 32 of [A-Z0-9]. */
static bool
slack_user(const char *name, const char **id)
{
	size_t n;

	if (strncmp(name, "slack:", 6) != 0)
		return false;
	name += 6;
	n = strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789");
	if (n == 0 || n > 32 || name[n] != '\0')
		return false;
	*id = name;
	return true;
}

/* A Matrix server name: a DNS name or IPv4 address, or [IPv6], then an optional :port. */
static bool
matrix_server(const char *s)
{
	size_t n;

	if (*s == '[') {
		n = strspn(s + 1, "0123456789abcdefABCDEF:.");
		if (n < 2 || n > 45 || s[1 + n] != ']')
			return false;
		s += n + 2;
	} else {
		n = strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-");
		if (n == 0)
			return false;
		s += n;
	}
	if (*s == ':') {
		n = strspn(s + 1, "0123456789");
		if (n == 0 || n > 5)
			return false;
		s += 1 + n;
	}
	return *s == '\0';
}

/*
 * True, and *id set, for "matrix:" followed by a user id: "@", a localpart
 * of printable ASCII without ':' (the historical grammar, which includes
 * today's [a-z0-9._=/+-]), ":", a server name; 255 bytes at most.
 */
static bool
matrix_user(const char *name, const char **id)
{
	const char *p, *q;
	size_t n;

	if (strncmp(name, "matrix:", 7) != 0)
		return false;
	p = name + 7;
	n = strlen(p);
	if (n < 4 || n > 255 || p[0] != '@')
		return false;
	for (q = p + 1; *q != ':'; q++)
		if ((unsigned char)*q < 0x21 || (unsigned char)*q > 0x7e)
			return false;	/* the end of the text included */
	if (q == p + 1 || !matrix_server(q + 1))
		return false;
	*id = p;
	return true;
}

/* What a button sends: its detail, or its label when the detail shows nothing. */
static const char *
button_command(const struct msg_item *it)
{
	return shown(it->detail) ? it->detail : str(it->label);
}

/* False for parts that show nothing on any platform: they are skipped. */
static bool
part_shown(const struct msg_part *p)
{
	switch (p->kind) {
	case MSG_TITLE:
	case MSG_TEXT:
		return shown(p->text);
	case MSG_LIST:
	case MSG_QUOTE:
	case MSG_PEOPLE:
		return p->nitems > 0 || shown(p->text);
	case MSG_BUTTONS:
		for (size_t j = 0; j < p->nitems; j++)
			if (shown(button_command(&p->items[j])))
				return true;
		return false;
	}
	return false;
}

/*
 * The plain-text form: Slack's fallback text (mrkdwn-escaped, with <@U…>
 * mentions) and Matrix's body (unescaped). Like the console without colour
 * and without wrapping. For Matrix it collects the people it names.
 */
struct plain {
	struct w w;
	bool slack;
	const char **ids;	/* Matrix: user ids mentioned, borrowed from the message */
	size_t nids;
	bool oom;
};

static void
plain_mention(struct plain *pl, const char *id)
{
	size_t n = strlen(id), c = measure(BY_JSON, id, n), j;
	const char **ids;

	/* the id is written in the body and listed in m.mentions: both count */
	if (pl->w.cut || pl->w.used > pl->w.limit || 2 * c + 3 > pl->w.limit - pl->w.used) {
		w_cut(&pl->w);
		return;
	}
	w_unit(&pl->w, id, n);
	for (j = 0; j < pl->nids && strcmp(pl->ids[j], id) != 0; j++)
		;
	if (j < pl->nids)
		return;
	if ((ids = realloc(pl->ids, (pl->nids + 1) * sizeof(*ids))) == NULL) {
		pl->oom = true;
		return;
	}
	pl->ids = ids;
	pl->ids[pl->nids++] = id;
	pl->w.used += c + 3;
}

static void
plain_part(struct plain *pl, const struct msg_part *p)
{
	struct w *w = &pl->w;
	enum esc e = pl->slack ? ESC_MRKDWN : ESC_NONE;
	bool first = true;

	if (w->len > 0)
		w_str(w, "\n");
	switch (p->kind) {
	case MSG_TITLE:
	case MSG_TEXT:
		w_text(w, p->text, e, 0, "");
		break;
	case MSG_LIST:
	case MSG_QUOTE:
		if (shown(p->text)) {
			w_text(w, p->text, e, 0, "");
			first = false;
		}
		for (size_t j = 0; j < p->nitems; j++) {
			const struct msg_item *it = &p->items[j];
			if (!first)
				w_str(w, "\n");
			first = false;
			if (p->kind == MSG_QUOTE) {
				w_str(w, "  ");
				w_text(w, it->label, e, 0, "  ");
				continue;
			}
			w_str(w, "  - ");
			w_text(w, it->label, e, 0, "    ");
			if (it->detail != NULL) {
				w_str(w, ": ");
				w_text(w, it->detail, e, 0, "    ");
			}
		}
		break;
	case MSG_BUTTONS:
		w_str(w, "Reply with ");
		for (size_t j = 0; j < p->nitems; j++) {
			const struct msg_item *it = &p->items[j];
			const char *cmd = button_command(it);
			if (!shown(cmd))
				continue;
			if (!first)
				w_str(w, ", ");
			first = false;
			w_text(w, cmd, e, T_ONELINE, "");
			if (cmd != it->label && shown(it->label) && strcasecmp(cmd, it->label) != 0) {
				w_str(w, " (");
				w_text(w, it->label, e, T_ONELINE, "");
				w_str(w, ")");
			}
		}
		break;
	case MSG_PEOPLE:
		for (size_t j = 0; j < p->nitems; j++) {
			const char *name = str(p->items[j].label), *id;
			char mention[40];
			if (j > 0)
				w_str(w, ", ");
			if (pl->slack && slack_user(name, &id)) {
				snprintf(mention, sizeof(mention), "<@%s>", id);
				w_str(w, mention);
			} else if (!pl->slack && matrix_user(name, &id)) {
				plain_mention(pl, id);
			} else {
				w_text(w, shown_name(name), e, T_ONELINE, "");
			}
		}
		if (shown(p->text)) {
			if (p->nitems > 0)
				w_str(w, " ");
			w_text(w, p->text, e, 0, "");
		}
		break;
	}
}

/*
 * Slack: the blocks, and the section being written. Sections are split
 * before SLACK_MAX_SECTION: after the last newline when it comes in the
 * second half of the section, else after the last space, else between two
 * units. A quote's continuation starts with the quote marker again.
 */
struct slack {
	json_object *blocks;
	bool oom;
	unsigned nbuttons;	/* numbers the action_ids */
	struct w sec;		/* the section being written */
	const char *prefix;	/* "> " while a quote is written */
	bool line_start;	/* sec ends at the start of a line */
	size_t nl, nl_units;	/* the offset (and measure) after the last newline; 0: none */
	size_t sp, sp_units;	/* the same after the last space */
};

enum unit_kind {
	U_TEXT,
	U_SPACE,	/* a break may follow */
	U_NL		/* a line break: a better break may follow */
};

/* True once one block more than Slack takes is there: nothing more is added. */
static bool
slack_full(const struct slack *sl)
{
	return sl->oom || json_object_array_length(sl->blocks) > SLACK_MAX_BLOCKS;
}

/* Adds block b, taking it; NULL (out of memory) sets oom. */
static void
slack_block(struct slack *sl, json_object *b)
{
	if (b == NULL) {
		sl->oom = true;
		return;
	}
	if (slack_full(sl)) {
		json_object_put(b);
		return;
	}
	if (json_object_array_add(sl->blocks, b) != 0) {
		json_object_put(b);
		sl->oom = true;
	}
}

/* A text object: mrkdwn ones verbatim, so that Slack links and mentions nothing by itself. */
static json_object *
slack_textobj(const char *type, const char *text)
{
	json_object *o = json_object_new_object();

	if (o == NULL)
		return NULL;
	if (!jsonv_put_str(o, "type", type) || !jsonv_put_str(o, "text", text) ||
	    (strcmp(type, "mrkdwn") == 0 &&
	    !jsonv_put(o, "verbatim", json_object_new_boolean(1)))) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

static json_object *
slack_textblock(const char *type, const char *textobj, const char *text)
{
	json_object *b = json_object_new_object();

	if (b == NULL)
		return NULL;
	if (!jsonv_put_str(b, "type", type) || !jsonv_put(b, "text", slack_textobj(textobj, text))) {
		json_object_put(b);
		return NULL;
	}
	return b;
}

/*
 * Adds s[0..n) as a section, without the blank lines (quoted or not) and
 * spaces at its ends; nothing when that leaves it blank.
 */
static void
slack_section(struct slack *sl, const char *s, size_t n)
{
	char *t;

	for (;;) {
		if (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\n'))
			n--;
		else if (n > 0 && s[n - 1] == '>' && (n == 1 || s[n - 2] == '\n'))
			n--;	/* a quote marker alone: user text has no bare '>' */
		else
			break;
	}
	for (;;) {
		if (n > 0 && s[0] == '\n')
			s++, n--;
		else if (n > 1 && s[0] == '>' && s[1] == '\n')
			s += 2, n -= 2;
		else
			break;
	}
	if (n == 0 || text_is_blank(s, n))
		return;
	if ((t = strndup(s, n)) == NULL) {
		sl->oom = true;
		return;
	}
	slack_block(sl, slack_textblock("section", "mrkdwn", t));
	free(t);
}

/* Ends the section being written with a block, and a later one goes to a new section. */
static void
sec_split(struct slack *sl, bool hard)
{
	struct w *w = &sl->sec, t = {.how = BY_UTF16, .limit = SIZE_MAX};
	size_t pos, units, shift, shift_units;
	bool midline;

	if (!hard && sl->nl > 0 && (sl->nl_units >= SLACK_MAX_SECTION / 2 || sl->nl > sl->sp)) {
		pos = sl->nl;
		units = sl->nl_units;
		midline = false;
	} else if (!hard && sl->sp > 0) {
		pos = sl->sp;
		units = sl->sp_units;
		midline = true;
	} else {
		pos = w->len;
		units = w->used;
		midline = !sl->line_start;
	}
	if (pos > 0)
		slack_section(sl, w->s, pos);
	if (midline)
		w_force(&t, sl->prefix, strlen(sl->prefix));
	shift = t.len;
	shift_units = t.used;
	if (w->len > pos)
		w_force(&t, w->s + pos, w->len - pos);
	if (t.oom)
		sl->oom = true;
	if (sl->nl > pos) {
		sl->nl = sl->nl - pos + shift;
		sl->nl_units = sl->nl_units - units + shift_units;
	} else {
		sl->nl = sl->nl_units = 0;
	}
	if (sl->sp > pos) {
		sl->sp = sl->sp - pos + shift;
		sl->sp_units = sl->sp_units - units + shift_units;
	} else {
		sl->sp = sl->sp_units = 0;
	}
	free(w->s);
	*w = t;
}

/* Appends one unit to the section, splitting it first when the unit would not fit. */
static void
sec_put(struct slack *sl, const char *b, size_t n, enum unit_kind k)
{
	const char *pre = "";
	size_t c;

	if (sl->line_start && *sl->prefix != '\0')
		pre = k == U_NL ? ">" : sl->prefix;	/* a blank line stays in the quote */
	c = measure(BY_UTF16, pre, strlen(pre)) + measure(BY_UTF16, b, n);
	while (!slack_full(sl) && sl->sec.used + c > SLACK_MAX_SECTION) {
		size_t before = sl->sec.used;
		sec_split(sl, false);
		if (sl->sec.used >= before)
			sec_split(sl, true);
	}
	if (slack_full(sl))
		return;
	w_force(&sl->sec, pre, strlen(pre));
	w_force(&sl->sec, b, n);
	if (sl->sec.oom)
		sl->oom = true;
	sl->line_start = k == U_NL;
	if (k == U_NL) {
		sl->nl = sl->sec.len;
		sl->nl_units = sl->sec.used;
	} else if (k == U_SPACE) {
		sl->sp = sl->sec.len;
		sl->sp_units = sl->sec.used;
	}
}

static void
sec_str(struct slack *sl, const char *s)
{
	sec_put(sl, s, strlen(s), U_TEXT);
}

static void
sec_text(struct slack *sl, const char *s, unsigned fl)
{
	const char *p = str(s), *b;
	size_t n;

	while (!slack_full(sl) && next_cp(&p, &b, &n)) {
		escape(ESC_MRKDWN, fl, &b, &n);
		sec_put(sl, b, n, n == 1 && *b == '\n' ? U_NL : n == 1 && *b == ' ' ? U_SPACE : U_TEXT);
	}
}

/* A list's or a quote's label: bold, on one line, at most SLACK_MAX_LABEL, one unit. */
static void
sec_bold(struct slack *sl, const char *label)
{
	char *t = capped(label, ESC_MRKDWN, T_ONELINE, SLACK_MAX_LABEL, ELLIPSIS, &sl->oom);

	if (t == NULL)
		return;
	sec_str(sl, "*");
	sec_str(sl, t);
	sec_str(sl, "*");
	sec_put(sl, "\n", 1, U_NL);
	free(t);
}

/* Ends the section being written: the next part starts a new one. */
static void
sec_flush(struct slack *sl)
{
	if (sl->sec.len > 0)
		slack_section(sl, sl->sec.s, sl->sec.len);
	sl->sec.len = 0;
	sl->sec.used = 0;
	sl->nl = sl->nl_units = sl->sp = sl->sp_units = 0;
	sl->line_start = true;
}

static void
slack_actions(struct slack *sl, json_object **elements)
{
	json_object *b;

	if (*elements == NULL)
		return;
	if ((b = json_object_new_object()) == NULL || !jsonv_put_str(b, "type", "actions")) {
		json_object_put(*elements);
		json_object_put(b);
		sl->oom = true;
	} else if (!jsonv_put(b, "elements", *elements)) {	/* puts the elements */
		json_object_put(b);
		sl->oom = true;
	} else {
		slack_block(sl, b);
	}
	*elements = NULL;
}

/* Buttons: actions blocks of at most SLACK_MAX_ELEMENTS. */
static void
slack_buttons(struct slack *sl, const struct msg_part *p)
{
	json_object *elements = NULL;

	for (size_t j = 0; j < p->nitems && !slack_full(sl); j++) {
		const struct msg_item *it = &p->items[j];
		const char *cmd = button_command(it);
		char *label, *value, id[32];
		json_object *e;

		if (!shown(cmd))
			continue;
		label = capped(shown(it->label) ? it->label : cmd, ESC_MRKDWN, T_ONELINE,
		    SLACK_MAX_BUTTON, ELLIPSIS, &sl->oom);
		value = capped(cmd, ESC_NONE, T_ONELINE, SLACK_MAX_VALUE, NULL, &sl->oom);
		snprintf(id, sizeof(id), "drill_%u", sl->nbuttons++);
		if (elements == NULL && (elements = json_object_new_array()) == NULL)
			sl->oom = true;
		if (label == NULL || value == NULL || elements == NULL ||
		    (e = json_object_new_object()) == NULL) {
			sl->oom = true;
		} else if (!jsonv_put_str(e, "type", "button") ||
		    !jsonv_put(e, "text", slack_textobj("plain_text", label)) ||
		    !jsonv_put_str(e, "value", value) || !jsonv_put_str(e, "action_id", id) ||
		    json_object_array_add(elements, e) != 0) {
			json_object_put(e);
			sl->oom = true;
		}
		free(label);
		free(value);
		if (sl->oom)
			break;
		if (json_object_array_length(elements) == SLACK_MAX_ELEMENTS)
			slack_actions(sl, &elements);
	}
	if (sl->oom) {
		json_object_put(elements);
		return;
	}
	slack_actions(sl, &elements);
}

static void
slack_part(struct slack *sl, const struct msg_part *p)
{
	char *t;

	switch (p->kind) {
	case MSG_TITLE:
		t = capped(p->text, ESC_MRKDWN, T_ONELINE, SLACK_MAX_HEADER, ELLIPSIS, &sl->oom);
		if (t != NULL && !text_is_blank(t, strlen(t)))
			slack_block(sl, slack_textblock("header", "plain_text", t));
		free(t);
		break;
	case MSG_TEXT:
		sec_text(sl, p->text, 0);
		break;
	case MSG_LIST:
		if (shown(p->text))
			sec_bold(sl, p->text);
		for (size_t j = 0; j < p->nitems; j++) {
			sec_str(sl, "\xe2\x80\xa2 ");	/* • */
			sec_text(sl, p->items[j].label, 0);
			if (p->items[j].detail != NULL) {
				sec_str(sl, ":");
				sec_put(sl, " ", 1, U_SPACE);
				sec_text(sl, p->items[j].detail, 0);
			}
			sec_put(sl, "\n", 1, U_NL);
		}
		break;
	case MSG_QUOTE:
		if (shown(p->text))
			sec_bold(sl, p->text);
		sl->prefix = "> ";
		for (size_t j = 0; j < p->nitems; j++) {
			if (j > 0)
				sec_put(sl, "\n", 1, U_NL);
			sec_text(sl, p->items[j].label, 0);
			sec_put(sl, "\n", 1, U_NL);
		}
		sl->prefix = "";
		break;
	case MSG_BUTTONS:
		slack_buttons(sl, p);
		break;
	case MSG_PEOPLE:
		for (size_t j = 0; j < p->nitems; j++) {
			const char *name = str(p->items[j].label), *id;
			char mention[40];
			if (j > 0) {
				sec_str(sl, ",");
				sec_put(sl, " ", 1, U_SPACE);
			}
			if (slack_user(name, &id)) {
				snprintf(mention, sizeof(mention), "<@%s>", id);
				sec_str(sl, mention);
			} else {
				sec_text(sl, shown_name(name), T_ONELINE);
			}
		}
		if (shown(p->text)) {
			if (p->nitems > 0)
				sec_put(sl, " ", 1, U_SPACE);
			sec_text(sl, p->text, 0);
		}
		break;
	}
	sec_flush(sl);
}

/* The JSON text of o (caller frees), or NULL; puts o. */
static char *
json_take(json_object *o)
{
	const char *s;
	char *out = NULL;

	if (o == NULL)
		return NULL;
	s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	if (s != NULL)
		out = strdup(s);
	json_object_put(o);
	return out;
}

char *
render_slack(const struct msg *m)
{
	struct slack sl = {.sec = {.how = BY_UTF16, .limit = SIZE_MAX}, .prefix = "",
	    .line_start = true};
	struct plain pl = {.slack = true,
	    .w = {.how = BY_UTF16, .limit = SLACK_MAX_TEXT - 1, .mark = ELLIPSIS}};
	json_object *o = NULL;
	char *text = NULL;
	size_t n;

	if ((sl.blocks = json_object_new_array()) == NULL)
		return NULL;
	for (size_t i = 0; m != NULL && i < m->nparts && !sl.oom; i++) {
		if (!part_shown(&m->parts[i]))
			continue;
		if (!slack_full(&sl))
			slack_part(&sl, &m->parts[i]);
		plain_part(&pl, &m->parts[i]);
	}
	if ((n = json_object_array_length(sl.blocks)) > SLACK_MAX_BLOCKS) {
		json_object_array_del_idx(sl.blocks, SLACK_MAX_BLOCKS - 1, n - (SLACK_MAX_BLOCKS - 1));
		slack_block(&sl, slack_textblock("section", "mrkdwn",
		    "_This message was too long for Slack and was shortened._"));
	}
	text = w_take(&pl.w);
	free(sl.sec.s);
	if (text == NULL || sl.oom || pl.oom || (o = json_object_new_object()) == NULL ||
	    !jsonv_put_str(o, "text", text)) {
		json_object_put(sl.blocks);
		json_object_put(o);
		free(text);
		return NULL;
	}
	free(text);
	if (!jsonv_put(o, "blocks", sl.blocks)) {	/* puts the blocks */
		json_object_put(o);
		return NULL;
	}
	return json_take(o);
}

/* A mention pill for the valid user id: percent-encoded in the link, escaped as text. */
static void
html_pill(struct w *h, const char *id)
{
	static const char hex[] = "0123456789ABCDEF";
	char href[sizeof("https://matrix.to/#/") + 3 * 255 + 1], *q;

	q = href + snprintf(href, sizeof(href), "https://matrix.to/#/");
	for (const char *p = id; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    strchr("-._~:@", c) != NULL) {
			*q++ = (char)c;
		} else {
			*q++ = '%';
			*q++ = hex[c >> 4];
			*q++ = hex[c & 15];
		}
	}
	*q = '\0';
	w_str(h, "<a href=\"");
	w_str(h, href);
	w_str(h, "\">");
	w_text(h, id, ESC_HTML, T_ONELINE, "");
	w_str(h, "</a>");
}

static void
html_part(struct w *h, const struct msg_part *p)
{
	bool first = true;

	switch (p->kind) {
	case MSG_TITLE:
		w_str(h, "<h4>");
		w_text(h, p->text, ESC_HTML, T_BR, "");
		w_str(h, "</h4>");
		break;
	case MSG_TEXT:
		w_str(h, "<p>");
		w_text(h, p->text, ESC_HTML, T_BR, "");
		w_str(h, "</p>");
		break;
	case MSG_LIST:
	case MSG_QUOTE:
		if (shown(p->text)) {
			w_str(h, "<p><b>");
			w_text(h, p->text, ESC_HTML, T_ONELINE, "");
			w_str(h, "</b></p>");
		}
		if (p->nitems == 0)
			break;
		w_str(h, p->kind == MSG_LIST ? "<ul>" : "<blockquote>");
		for (size_t j = 0; j < p->nitems; j++) {
			const struct msg_item *it = &p->items[j];
			if (p->kind == MSG_QUOTE) {
				w_str(h, j > 0 ? "<br><br>" : "");
				w_text(h, it->label, ESC_HTML, T_BR, "");
				continue;
			}
			w_str(h, "<li>");
			w_text(h, it->label, ESC_HTML, T_BR, "");
			if (it->detail != NULL) {
				w_str(h, ": ");
				w_text(h, it->detail, ESC_HTML, T_BR, "");
			}
			w_str(h, "</li>");
		}
		w_str(h, p->kind == MSG_LIST ? "</ul>" : "</blockquote>");
		break;
	case MSG_BUTTONS:
		w_str(h, "<p>Reply with ");
		for (size_t j = 0; j < p->nitems; j++) {
			const struct msg_item *it = &p->items[j];
			const char *cmd = button_command(it);
			if (!shown(cmd))
				continue;
			w_str(h, first ? "<code>" : ", <code>");
			first = false;
			w_text(h, cmd, ESC_HTML, T_ONELINE, "");
			w_str(h, "</code>");
			if (cmd != it->label && shown(it->label) && strcasecmp(cmd, it->label) != 0) {
				w_str(h, " (");
				w_text(h, it->label, ESC_HTML, T_ONELINE, "");
				w_str(h, ")");
			}
		}
		w_str(h, "</p>");
		break;
	case MSG_PEOPLE:
		w_str(h, "<p>");
		for (size_t j = 0; j < p->nitems; j++) {
			const char *name = str(p->items[j].label), *id;
			if (j > 0)
				w_str(h, ", ");
			if (matrix_user(name, &id))
				html_pill(h, id);
			else
				w_text(h, shown_name(name), ESC_HTML, T_ONELINE, "");
		}
		if (shown(p->text)) {
			if (p->nitems > 0)
				w_str(h, " ");
			w_text(h, p->text, ESC_HTML, T_BR, "");
		}
		w_str(h, "</p>");
		break;
	}
}

char *
render_matrix(const struct msg *m)
{
	struct plain pl = {.w = {.how = BY_JSON, .limit = MATRIX_MAX_JSON - MATRIX_RESERVE,
	    .mark = ELLIPSIS}};
	struct w h = {.how = BY_JSON};
	json_object *o = NULL, *mentions = NULL, *ids = NULL;
	char *body = NULL, *html = NULL, *out = NULL;
	bool ok;

	for (size_t i = 0; m != NULL && i < m->nparts; i++)
		if (part_shown(&m->parts[i]))
			plain_part(&pl, &m->parts[i]);
	if (pl.w.cut) {
		const char *note = "\n(This message was too long and was shortened.)";
		w_force(&pl.w, note, strlen(note));
	} else {
		/* what the body leaves; formatted_body is left out when it needs more */
		h.limit = MATRIX_MAX_JSON - pl.w.used;
		for (size_t i = 0; m != NULL && i < m->nparts && !h.cut; i++)
			if (part_shown(&m->parts[i]))
				html_part(&h, &m->parts[i]);
	}
	body = w_take(&pl.w);
	html = w_take(&h);
	ok = body != NULL && html != NULL && !pl.oom && (o = json_object_new_object()) != NULL &&
	    jsonv_put_str(o, "msgtype", "m.notice") && jsonv_put_str(o, "body", body);
	if (ok && !pl.w.cut && !h.cut && *html != '\0')
		ok = jsonv_put_str(o, "format", "org.matrix.custom.html") &&
		    jsonv_put_str(o, "formatted_body", html);
	if (ok)
		ok = (mentions = json_object_new_object()) != NULL &&
		    jsonv_put(o, "m.mentions", mentions);
	if (ok && pl.nids > 0) {
		ok = (ids = json_object_new_array()) != NULL && jsonv_put(mentions, "user_ids", ids);
		for (size_t j = 0; ok && j < pl.nids; j++) {
			json_object *s = json_object_new_string(pl.ids[j]);
			ok = s != NULL && json_object_array_add(ids, s) == 0;
			if (!ok)
				json_object_put(s);
		}
	}
	if (ok)
		out = json_take(o);
	else
		json_object_put(o);
	free(pl.ids);
	free(body);
	free(html);
	return out;
}
