/*
 * router.h - the engine's way out: posts abstract messages (platform.h) to
 * the right platform. It picks the adapter by the platform prefix of the
 * destination's name, renders with it, and stores the payload in the
 * outbox with the destination and thread; the outbox sends it through the
 * send function registered with the adapter.
 *
 * The outbox destination is the conversation, or the person's name for a
 * direct message, so each keeps its own order and pacing. A replacement
 * (platform_dest.replace) is stored like a reply in the thread of the
 * message it replaces: the send gets that message's platform id as its
 * thread_id, and the adapter's payload says it is an edit.
 */
#ifndef DRILL_ROUTER_H
#define DRILL_ROUTER_H

#include <stdbool.h>

#include "drill/common.h"
#include "drill/outbox.h"
#include "drill/platform.h"

struct router;

/* Returns a router over ob (borrowed; it outlives the router), or NULL. */
struct router *router_new(struct outbox *ob);
void router_free(struct router *r);

/*
 * Adds an adapter (copied; its strings and arg borrowed) and registers its
 * send function with the outbox. DRILL_EEXIST for a second adapter of one
 * platform, DRILL_EINVAL, DRILL_ENOMEM.
 */
int router_add(struct router *r, const struct platform_adapter *a,
    outbox_send_fn send, void *send_arg) DRILL_WUR;

/* Whether name ("slack:C0123ABCD", or just "slack") has an adapter. */
bool router_has(const struct router *r, const char *name);

/* A platform_post_fn; arg is the router. */
int router_post(void *arg, const struct platform_dest *d, const struct msg *m,
    int64_t *row) DRILL_WUR;

#endif
