/*
 * testchat.c - the in-memory test platform (testchat.h).
 */
#include "testchat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drill/render.h"

struct testchat {
	struct platform_adapter ad;
	struct testchat_msg *msgs;
	size_t n, cap;
	int fail;
	int64_t now;
	unsigned long seq;
};

static char *
dup_or_null(const char *s)
{
	return s != NULL ? strdup(s) : NULL;
}

/* "only_for <person>\n" or "dm\n" or "all\n" or "edit\n", then the text. */
static char *
render(void *arg, const struct platform_dest *d, const struct msg *m)
{
	char *text = render_console(m, false), *out;
	size_t len;

	(void)arg;
	if (text == NULL)
		return NULL;
	len = strlen(text) + 300;
	if ((out = malloc(len)) != NULL)
		snprintf(out, len, "%s%s\n%s", d->replace ? "edit" :
		    d->conversation == NULL ? "dm" : d->person != NULL ? "only_for " : "all",
		    d->conversation != NULL && d->person != NULL ? d->person : "", text);
	free(text);
	return out;
}

struct testchat *
testchat_new(bool ephemeral)
{
	struct testchat *tc = calloc(1, sizeof(*tc));

	if (tc == NULL)
		return NULL;
	tc->ad.name = "test";
	tc->ad.ephemeral = ephemeral;
	tc->ad.render = render;
	tc->ad.arg = tc;
	tc->ad.edits = true;
	return tc;
}

void
testchat_free(struct testchat *tc)
{
	if (tc == NULL)
		return;
	for (size_t i = 0; i < tc->n; i++) {
		struct testchat_msg *m = &tc->msgs[i];
		free(m->id);
		free(m->conversation);
		free(m->thread_id);
		free(m->only_for);
		free(m->text);
	}
	free(tc->msgs);
	free(tc);
}

const struct platform_adapter *
testchat_adapter(struct testchat *tc)
{
	return &tc->ad;
}

void
testchat_fail(struct testchat *tc, int n)
{
	tc->fail = n;
}

void
testchat_set_time(struct testchat *tc, int64_t ms)
{
	tc->now = ms;
}

int
testchat_send(void *arg, const struct outbox_msg *om, outbox_done_fn done,
    void *token)
{
	struct testchat *tc = arg;
	struct outbox_result r = {.status = OUTBOX_OK};
	struct testchat_msg *m;
	const char *nl = strchr(om->payload, '\n');
	char id[32];

	if (tc->fail > 0) {
		tc->fail--;
		r.status = OUTBOX_PERMANENT;
		r.error = "channel_not_found";
		done(token, &r);
		return 0;
	}
	if (nl == NULL) {
		r.status = OUTBOX_PERMANENT;
		r.error = "invalid_payload";
		done(token, &r);
		return 0;
	}
	if (strncmp(om->payload, "edit\n", 5) == 0) {
		/* the new content of the message the thread id names */
		struct testchat_msg *old = NULL;
		char *text;
		for (size_t i = 0; om->thread_id != NULL && i < tc->n; i++)
			if (strcmp(tc->msgs[i].id, om->thread_id) == 0)
				old = &tc->msgs[i];
		if (old == NULL) {
			r.status = OUTBOX_PERMANENT;
			r.error = "message_not_found";
			done(token, &r);
			return 0;
		}
		if ((text = strdup(nl + 1)) == NULL)
			return -1;
		free(old->text);
		old->text = text;
		old->edits++;
		r.message_id = old->id;
		done(token, &r);
		return 0;
	}
	if (tc->n == tc->cap) {
		size_t cap = tc->cap ? tc->cap * 2 : 64;
		struct testchat_msg *v = realloc(tc->msgs, cap * sizeof(*v));
		if (v == NULL)
			return -1;
		tc->msgs = v;
		tc->cap = cap;
	}
	m = &tc->msgs[tc->n];
	memset(m, 0, sizeof(*m));
	snprintf(id, sizeof(id), "m%lu", tc->seq + 1);
	m->id = strdup(id);
	m->conversation = strdup(om->destination);
	m->thread_id = dup_or_null(om->thread_id);
	m->dm = strncmp(om->payload, "dm\n", 3) == 0;
	if (strncmp(om->payload, "only_for ", 9) == 0)
		m->only_for = strndup(om->payload + 9, (size_t)(nl - om->payload - 9));
	m->text = strdup(nl + 1);
	m->at = tc->now;
	if (m->id == NULL || m->conversation == NULL || m->text == NULL ||
	    (om->thread_id != NULL && m->thread_id == NULL) ||
	    (strncmp(om->payload, "only_for ", 9) == 0 && m->only_for == NULL)) {
		free(m->id);
		free(m->conversation);
		free(m->thread_id);
		free(m->only_for);
		free(m->text);
		return -1;	/* nothing started: the outbox retries */
	}
	tc->seq++;
	tc->n++;
	r.message_id = m->id;
	done(token, &r);
	return 0;
}

size_t
testchat_count(const struct testchat *tc)
{
	return tc->n;
}

const struct testchat_msg *
testchat_get(const struct testchat *tc, size_t i)
{
	return i < tc->n ? &tc->msgs[i] : NULL;
}

const struct testchat_msg *
testchat_find(const struct testchat *tc, const char *id)
{
	for (size_t i = 0; i < tc->n; i++)
		if (strcmp(tc->msgs[i].id, id) == 0)
			return &tc->msgs[i];
	return NULL;
}

char *
testchat_flat(const char *s)
{
	char *out = malloc(strlen(s) + 1), *o = out;
	bool space = false;

	if (out == NULL)
		return NULL;
	for (; *s != '\0'; s++) {
		if (*s == ' ' || *s == '\n' || *s == '\t') {
			space = true;
			continue;
		}
		if (space && o > out)
			*o++ = ' ';
		space = false;
		*o++ = *s;
	}
	*o = '\0';
	return out;
}

bool
testchat_says(const char *text, const char *needle)
{
	char *t = testchat_flat(text), *n = testchat_flat(needle);
	bool yes = t != NULL && n != NULL && strstr(t, n) != NULL;

	free(t);
	free(n);
	return yes;
}
