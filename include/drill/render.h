/*
 * render.h - turns an abstract message (msg.h) into a platform's format.
 * All user-supplied text is escaped here, once.
 *
 * Console: plain text wrapped at 78 columns, with ANSI bold/colour when
 * asked; control characters from user text are neutralised so an answer can
 * never move the cursor or change the terminal. Slack and Matrix renderers
 * join this module with their platforms.
 */
#ifndef DRILL_RENDER_H
#define DRILL_RENDER_H

#include <stdbool.h>

#include "drill/msg.h"

/* Returns the message as terminal text (caller frees), or NULL. */
char *render_console(const struct msg *m, bool color);

#endif
