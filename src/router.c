/*
 * router.c - from an abstract message and a destination to an outbox row.
 */
#include "drill/router.h"

#include <stdlib.h>
#include <string.h>

#include "drill/log.h"

#define MAX_ADAPTERS 8
#define PLATFORM_MAX 31		/* bytes of a platform prefix */

struct router {
	struct outbox *ob;
	struct platform_adapter ad[MAX_ADAPTERS];
	size_t n;
};

struct router *
router_new(struct outbox *ob)
{
	struct router *r;

	if (ob == NULL || (r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	r->ob = ob;
	return r;
}

void
router_free(struct router *r)
{
	free(r);
}

static const struct platform_adapter *
find(const struct router *r, const char *name, size_t len)
{
	for (size_t i = 0; i < r->n; i++)
		if (strlen(r->ad[i].name) == len && memcmp(r->ad[i].name, name, len) == 0)
			return &r->ad[i];
	return NULL;
}

int
router_add(struct router *r, const struct platform_adapter *a,
    outbox_send_fn send, void *send_arg)
{
	size_t len;
	int ret;

	if (r == NULL || a == NULL || a->name == NULL || a->render == NULL ||
	    send == NULL || (len = strlen(a->name)) == 0 || len > PLATFORM_MAX ||
	    strchr(a->name, ':') != NULL)
		return DRILL_EINVAL;
	if (find(r, a->name, len) != NULL)
		return DRILL_EEXIST;
	if (r->n == MAX_ADAPTERS)
		return DRILL_ENOMEM;
	if ((ret = outbox_register(r->ob, a->name, send, send_arg)) != DRILL_OK)
		return ret;
	r->ad[r->n++] = *a;
	return DRILL_OK;
}

bool
router_has(const struct router *r, const char *name)
{
	const char *colon = strchr(name, ':');

	return r != NULL && find(r, name, colon ? (size_t)(colon - name) : strlen(name)) != NULL;
}

int
router_post(void *arg, const struct platform_dest *d, const struct msg *m,
    int64_t *row)
{
	struct router *r = arg;
	const struct platform_adapter *a;
	const char *dest, *colon;
	char platform[PLATFORM_MAX + 1];
	char *payload;
	int ret;

	if (r == NULL || d == NULL || m == NULL || m->oom)
		return m != NULL && m->oom ? DRILL_ENOMEM : DRILL_EINVAL;
	dest = d->conversation != NULL ? d->conversation : d->person;
	if (dest == NULL || (colon = strchr(dest, ':')) == NULL ||
	    colon == dest || (size_t)(colon - dest) > PLATFORM_MAX || colon[1] == '\0')
		return DRILL_EINVAL;
	if (d->conversation == NULL && (d->thread_id != NULL || d->thread_row != 0))
		return DRILL_EINVAL;	/* a DM not opened yet has no threads */
	if (d->replace && (d->conversation == NULL || d->person != NULL ||
	    (d->thread_id == NULL && d->thread_row == 0)))
		return DRILL_EINVAL;	/* an edit names its message, for everyone */
	memcpy(platform, dest, (size_t)(colon - dest));
	platform[colon - dest] = '\0';
	if ((a = find(r, platform, strlen(platform))) == NULL)
		return DRILL_ENOTFOUND;
	if ((d->conversation != NULL && d->person != NULL && !a->ephemeral) ||
	    (d->replace && !a->edits))
		return DRILL_ENOTSUP;
	if ((payload = a->render(a->arg, d, m)) == NULL)
		return DRILL_ENOMEM;
	ret = outbox_enqueue_reply(r->ob, platform, dest, d->thread_id,
	    d->thread_row, d->person, payload, row);
	free(payload);
	if (ret != DRILL_OK)
		log_warnx("cannot queue a message destination=%s: %s", dest,
		    drill_strerror(ret));
	return ret;
}
