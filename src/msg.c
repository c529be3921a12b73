/*
 * msg.c - builds abstract messages. It formats and owns text; it knows
 * nothing of platforms or escaping (render.c does that).
 */
#include "drill/msg.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct msg *
msg_new(void)
{
	return calloc(1, sizeof(struct msg));
}

void
msg_free(struct msg *m)
{
	if (m == NULL)
		return;
	for (size_t i = 0; i < m->nparts; i++) {
		struct msg_part *p = &m->parts[i];
		for (size_t j = 0; j < p->nitems; j++) {
			free(p->items[j].label);
			free(p->items[j].detail);
		}
		free(p->items);
		free(p->text);
	}
	free(m->parts);
	free(m);
}

void
msg_add(struct msg *m, enum msg_part_kind kind, const char *fmt, ...)
{
	struct msg_part *parts, *p;
	va_list ap;
	char *text = NULL;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || (text = malloc((size_t)n + 1)) == NULL)
		goto oom;
	va_start(ap, fmt);
	vsnprintf(text, (size_t)n + 1, fmt, ap);
	va_end(ap);
	if ((parts = realloc(m->parts, (m->nparts + 1) * sizeof(*parts))) == NULL)
		goto oom;
	m->parts = parts;
	p = &m->parts[m->nparts++];
	memset(p, 0, sizeof(*p));
	p->kind = kind;
	p->text = text;
	return;
oom:
	free(text);
	m->oom = 1;
}

void
msg_add_item(struct msg *m, const char *label, const char *detail)
{
	struct msg_part *p;
	struct msg_item *items;

	if (m->nparts == 0) {
		m->oom = 1;
		return;
	}
	p = &m->parts[m->nparts - 1];
	if ((items = realloc(p->items, (p->nitems + 1) * sizeof(*items))) == NULL) {
		m->oom = 1;
		return;
	}
	p->items = items;
	items[p->nitems].label = strdup(label);
	items[p->nitems].detail = detail ? strdup(detail) : NULL;
	if (items[p->nitems].label == NULL || (detail && items[p->nitems].detail == NULL)) {
		free(items[p->nitems].label);
		free(items[p->nitems].detail);
		m->oom = 1;
		return;
	}
	p->nitems++;
}
