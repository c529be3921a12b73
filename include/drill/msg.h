/*
 * msg.h - the abstract outbound message the engine builds and each platform
 * renders (render.h): a title, paragraphs, labelled lists (covered and
 * missed concepts), a quoted block (the model answer) and buttons.
 *
 * Text in a message is plain, unescaped UTF-8 exactly as written; escaping
 * for each platform happens once, in render. A message owns all its strings.
 */
#ifndef DRILL_MSG_H
#define DRILL_MSG_H

#include <stddef.h>

#include "drill/common.h"

enum msg_part_kind {
	MSG_TITLE = 0,		/* a short heading */
	MSG_TEXT,		/* a paragraph */
	MSG_LIST,		/* a list: text is its label ("Covered"), items below */
	MSG_QUOTE,		/* a quoted block: text is its label, items[0].label the body */
	MSG_BUTTONS,		/* items: label = button text, detail = the command it sends */
	MSG_PEOPLE		/* items: label = a person ("slack:U0123ABCD"), shown as a
				 * mention where the platform has them; text follows the
				 * names ("has answered") */
};

struct msg_item {
	char *label;
	char *detail;		/* may be NULL */
};

struct msg_part {
	enum msg_part_kind kind;
	char *text;		/* may be NULL for MSG_BUTTONS */
	struct msg_item *items;
	size_t nitems;
};

struct msg {
	struct msg_part *parts;
	size_t nparts;
	int oom;		/* an append failed: the message is incomplete */
};

/* Returns a new empty message (caller frees with msg_free), or NULL. */
struct msg *msg_new(void);
/* Frees m and everything it holds; NULL does nothing. */
void msg_free(struct msg *m);

/* Appends a part of kind with printf-formatted text. Failure sets m->oom. */
void msg_add(struct msg *m, enum msg_part_kind kind, const char *fmt, ...) DRILL_PRINTF(3, 4);
/* Appends an item (label, optional detail) to the last part. */
void msg_add_item(struct msg *m, const char *label, const char *detail);

#endif
