/*
 * chatsim.c - the channel machinery on a fake clock (chatsim.h).
 */
#include "chatsim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int64_t
clock_s(void *arg)
{
	return ((struct chatsim *)arg)->now;
}

static int64_t
clock_ms(void *arg)
{
	return ((struct chatsim *)arg)->now * 1000;
}

/* Opens the parts over s->db at s->now. */
static int
open_parts(struct chatsim *s, char err[DRILL_ERRLEN])
{
	struct engine_deps deps = {0};
	struct outbox_opts o;

	if (store_open(s->db, 0, 1000, &s->st, err) != 0)
		return -1;
	if (sched_new(s->st, s->cfg, s->now, &s->sched, err) != 0)
		return -1;
	outbox_opts_default(&o);
	o.min_interval_ms = 0;
	o.rate_per_sec = 0;
	o.clock = clock_ms;
	o.clock_arg = s;
	o.seed = s->seed;
	if (outbox_new(&s->loop, s->st, &o, &s->ob, err) != 0)
		return -1;
	if ((s->router = router_new(s->ob)) == NULL ||
	    router_add(s->router, testchat_adapter(s->tc), testchat_send, s->tc) != 0) {
		snprintf(err, DRILL_ERRLEN, "router");
		return -1;
	}
	deps.store = s->st;
	deps.bank = s->bank;
	deps.cfg = s->cfg;
	deps.clock = clock_s;
	deps.clock_arg = s;
	deps.seed = s->seed;
	deps.post = router_post;
	deps.post_arg = s->router;
	deps.sched = s->sched;
	if ((s->engine = engine_new(&deps)) == NULL) {
		snprintf(err, DRILL_ERRLEN, "engine");
		return -1;
	}
	if (outbox_start(s->ob) != 0) {
		snprintf(err, DRILL_ERRLEN, "outbox_start");
		return -1;
	}
	return 0;
}

static void
close_parts(struct chatsim *s)
{
	engine_free(s->engine);
	s->engine = NULL;
	router_free(s->router);
	s->router = NULL;
	if (s->ob != NULL) {
		outbox_free(s->ob);
		s->ob = NULL;
		uv_run(&s->loop, UV_RUN_NOWAIT);	/* the timer's close */
	}
	sched_free(s->sched);
	s->sched = NULL;
	store_close(s->st);
	s->st = NULL;
}

int
chatsim_open(struct chatsim *s, const struct config *cfg, const char *bank_path,
    int64_t now, uint64_t seed, bool ephemeral, char err[DRILL_ERRLEN])
{
	struct drill_errors errs = {0};
	const char *paths[1] = {bank_path};

	memset(s, 0, sizeof(*s));
	s->cfg = cfg;
	s->now = now;
	s->seed = seed;
	snprintf(s->dir, sizeof(s->dir), "/tmp/drill-chatsim-XXXXXX");
	if (mkdtemp(s->dir) == NULL || uv_loop_init(&s->loop) != 0) {
		snprintf(err, DRILL_ERRLEN, "temporary directory or loop");
		return -1;
	}
	snprintf(s->db, sizeof(s->db), "%s/drilld.db", s->dir);
	if (bank_load(paths, 1, &s->bank, &errs) != 0) {
		snprintf(err, DRILL_ERRLEN, "bank %s: %s", bank_path,
		    errs.n ? errs.lines[0] : "cannot load");
		drill_errors_free(&errs);
		return -1;
	}
	drill_errors_free(&errs);
	if ((s->tc = testchat_new(ephemeral)) == NULL) {
		snprintf(err, DRILL_ERRLEN, "testchat");
		return -1;
	}
	return open_parts(s, err);
}

void
chatsim_close(struct chatsim *s)
{
	char cmd[128];

	close_parts(s);
	uv_run(&s->loop, UV_RUN_NOWAIT);
	(void)uv_loop_close(&s->loop);
	testchat_free(s->tc);
	bank_free(s->bank);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", s->dir);
	if (s->dir[0] != '\0' && system(cmd) != 0)
		fprintf(stderr, "chatsim: cannot remove %s\n", s->dir);
}

int
chatsim_restart(struct chatsim *s, char err[DRILL_ERRLEN])
{
	close_parts(s);
	return open_parts(s, err);
}

void
chatsim_flush(struct chatsim *s)
{
	int64_t at;

	testchat_set_time(s->tc, s->now * 1000);
	for (int guard = 0; guard < 1000; guard++) {
		outbox_tick(s->ob);
		if (!outbox_wake_at(s->ob, &at) || at > s->now * 1000)
			return;
	}
}

void
chatsim_advance(struct chatsim *s, int64_t until)
{
	for (int guard = 0;; guard++) {
		int64_t at = sched_next_at(s->sched), r = engine_next_at(s->engine, s->now);

		if (r < at)
			at = r;
		if (at > until)
			break;
		if (guard == 100000) {
			/* something due does not get done: drilld's timer would spin */
			fprintf(stderr, "chatsim: a fire or reveal stays due at %lld\n",
			    (long long)at);
			abort();
		}
		if (at > s->now)
			s->now = at;
		s->fired += sched_run(s->sched, s->now, engine_fire, s->engine);
		s->revealed += engine_tick(s->engine, s->now);
		chatsim_flush(s);
	}
	if (until > s->now)
		s->now = until;
	chatsim_flush(s);
}

int
chatsim_event(struct chatsim *s, const struct platform_event *ev)
{
	int rc = engine_handle(s->engine, ev, NULL, NULL);

	chatsim_flush(s);
	return rc;
}

const struct testchat_msg *
chatsim_last_question(const struct chatsim *s, const char *conversation)
{
	for (size_t i = testchat_count(s->tc); i-- > 0;) {
		const struct testchat_msg *m = testchat_get(s->tc, i);
		if (m->thread_id == NULL && m->only_for == NULL && !m->dm &&
		    strcmp(m->conversation, conversation) == 0 &&
		    strstr(m->text, "Question of the day") != NULL)
			return m;
	}
	return NULL;
}
