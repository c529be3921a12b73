/*
 * drilld.c - the daemon's entry point. It reads top to bottom like a
 * checklist: arguments, config, log, state directory, loop and control
 * socket, store, banks, scheduler, outbox and router, engine, signals,
 * adapters, run, clean up. Everything else lives in modules; this file only
 * wires them together, answers the control socket, runs the one timer of
 * the channel schedules and reveals, and decides when to stop.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <json-c/json.h>
#include <uv.h>

#include "drill/bank.h"
#include "drill/config.h"
#include "drill/console.h"
#include "drill/ctl.h"
#include "drill/engine.h"
#include "drill/http.h"
#include "drill/jsonv.h"
#include "drill/log.h"
#include "drill/matrix.h"
#include "drill/net.h"
#include "drill/notify.h"
#include "drill/outbox.h"
#include "drill/router.h"
#include "drill/sched.h"
#include "drill/slack.h"
#include "drill/store.h"

#define DEFAULT_CONFIG "/etc/drilld/drilld.conf"
#define MAX_PLATFORMS 8
/* The schedule timer looks again at least this often (ms): uv timers run
 * on the monotonic clock, schedules on the wall clock, which can jump. */
#define TICK_MAX_MS 60000

/*
 * What `drillctl status` shows of one chat platform. Each adapter adds its
 * entry when it starts and keeps state current ("running", "connecting",
 * "stopped", ...); the strings are static.
 */
struct drilld_platform {
	const char *name;
	bool enabled;
	const char *state;
};

/* The one context of the process, created here and passed down. */
struct drilld {
	struct outbox *outbox;
	struct router *router;		/* the engine's way out, to the outbox */
	struct sched *sched;		/* the channel schedules */
	uv_timer_t tick;		/* the next fire or reveal */
	struct net *net;		/* libwebsockets on the loop, when anything uses it */
	struct http *http;		/* the HTTP server, when http.listen is set */
	struct slack *slack;		/* the Slack adapter, when slack.enabled */
	struct matrix *matrix;		/* the Matrix adapter, when matrix.enabled */
	struct config cfg;
	struct store *store;
	struct bank *bank;
	struct engine *engine;
	uv_loop_t *loop;
	uv_signal_t sigint, sigterm, sighup;
	struct ctl *ctl;
	const char *config_path;
	char *config_abs;	/* config_path made absolute, or NULL */
	char *state_dir;	/* in use until the next start (a reload may name another) */
	int level_given;
	struct console *console;
	struct drilld_platform platforms[MAX_PLATFORMS];
	size_t nplatforms;
	time_t started_at;	/* wall clock at start */
	uint64_t started_hr;	/* uv_hrtime() at start, for the uptime */
	int stopping;
};

static void
usage(FILE *f)
{
	fprintf(f, "usage: drilld [-t] [-c FILE] [--console] [--log-level LEVEL]\n"
	    "       drilld --version\n"
	    "  -c, --config FILE    configuration (default $DRILLD_CONFIG, else %s,\n"
	    "                       else config/drilld.conf in a source checkout)\n"
	    "  -t, --test           check the configuration and exit\n"
	    "      --console        practise in this terminal\n"
	    "      --log-level L    debug, info, notice, warning or error\n",
	    DEFAULT_CONFIG);
}

/* mkdir -p with mode 0700 for the last component. */
static int
make_dirs(const char *path)
{
	char buf[4096];
	size_t len = strlen(path);

	if (len == 0 || len >= sizeof(buf))
		return -1;
	memcpy(buf, path, len + 1);
	for (size_t i = 1; i <= len; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		buf[i] = '\0';
		if (mkdir(buf, i == len ? 0700 : 0755) < 0 && errno != EEXIST)
			return -1;
		buf[i] = i == len ? '\0' : '/';
	}
	return 0;
}

/*
 * Opens /dev/null on whichever of descriptors 0-2 is closed (`drilld <&-`),
 * so that no socket or file opened later takes its number: the console
 * would read it as stdin, and libuv aborts when it closes one of them.
 */
static void
standard_fds(void)
{
	for (int fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) != -1 || errno != EBADF)
			continue;
		/* the lowest free number: fd itself, as those below it are open */
		(void)open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
	}
}

/* Tells the service manager (if any) a state change; a failure is only logged. */
static void
notify(const char *state)
{
	if (notify_send(state) != 0)
		log_warnx("cannot notify the service manager (NOTIFY_SOCKET)");
}

/* The second half of stopping: the outbox has drained (or had no time left). */
static void
on_drained(void *arg, size_t in_flight)
{
	struct drilld *d = arg;

	if (in_flight > 0)
		log_warnx("stopping with sends unfinished after outbox.drain_timeout "
		    "count=%zu (they are sent again, with the same idempotency key, "
		    "at the next start)", in_flight);
	slack_stop(d->slack);	/* their cancelled sends are told to the outbox */
	matrix_stop(d->matrix);
	outbox_free(d->outbox);
	d->outbox = NULL;
	net_stop(d->net);	/* lws closes its connections and uv handles */
}

/*
 * Stops taking work (console, control socket, signals; /readyz turns 503
 * so a load balancer looks elsewhere), lets the sends in flight finish
 * for up to outbox.drain_timeout, then closes everything; the loop ends
 * when the last handle is closed. Messages still queued stay in the store.
 */
static void
stop(struct drilld *d)
{
	if (d->stopping)
		return;
	d->stopping = 1;
	notify("STOPPING=1");
	if (d->console)
		console_stop(d->console);
	ctl_close(d->ctl);	/* removes the socket: drillctl now says "not running" */
	uv_close((uv_handle_t *)&d->tick, NULL);
	uv_close((uv_handle_t *)&d->sigint, NULL);
	uv_close((uv_handle_t *)&d->sigterm, NULL);
	uv_close((uv_handle_t *)&d->sighup, NULL);
	if (d->http != NULL && http_ready_set(d->http, "drilld", false, "stopping") != 0)
		log_warnx("cannot mark the daemon not ready");
	outbox_drain(d->outbox, d->cfg.outbox.drain_timeout_ms, on_drained, d);
}

static void on_tick(uv_timer_t *t);

/* Arms the timer for the earliest piece of work, at most TICK_MAX_MS away. */
static void
arm_tick(struct drilld *d)
{
	int64_t now = (int64_t)time(NULL), next = sched_next_at(d->sched);
	int64_t reveal = engine_next_at(d->engine, now);
	uint64_t ms = TICK_MAX_MS;

	if (reveal < next)
		next = reveal;
	if (next != INT64_MAX && next - now < TICK_MAX_MS / 1000)
		ms = next <= now ? 0 : (uint64_t)(next - now) * 1000;
	if (!d->stopping)
		uv_timer_start(&d->tick, on_tick, ms, 0);
}

/* The timer: post the questions due, then the engine's work (reveals, DM
 * questions, digests, retention), and arm again. */
static void
on_tick(uv_timer_t *t)
{
	struct drilld *d = t->data;
	int64_t now = (int64_t)time(NULL);

	(void)sched_run(d->sched, now, engine_fire, d->engine);
	(void)engine_tick(d->engine, now);
	arm_tick(d);
}

/* A schedule whose platform nothing posts to is worth a word at start. */
static void
warn_unposted(const struct drilld *d)
{
	for (size_t i = 0; i < d->cfg.nschedules; i++)
		if (!router_has(d->router, d->cfg.schedules[i].conversation))
			log_warnx("schedule of conversation=%s: no chat platform of it is "
		    "enabled yet, so its questions are not posted (config line %d)",
		    d->cfg.schedules[i].conversation, d->cfg.schedules[i].line);
}

/*
 * SIGHUP: load the config and the banks anew into temporaries and swap them
 * in only when both loaded cleanly; otherwise log why and keep running on
 * the old ones. state_dir, store and console settings take effect at the
 * next start.
 */
static void
on_sighup(uv_signal_t *h, int signum)
{
	struct drilld *d = h->data;
	struct config cfg, old;
	struct drill_errors errs = {0};
	struct bank *bank = NULL;
	struct sched *sched = NULL;
	char err[DRILL_ERRLEN] = "";
	int rc;

	(void)signum;
	notify("RELOADING=1");
	memset(&cfg, 0, sizeof(cfg));
	/* secrets are read at start only (slack settings need a restart) */
	rc = config_load_flags(d->config_path, &cfg, &errs, CONFIG_NO_SECRETS);
	for (size_t i = 0; i < errs.n; i++)
		log_error("%s", errs.lines[i]);
	drill_errors_free(&errs);
	if (rc != 0) {
		log_error("reload refused: the new configuration has problems; still "
		    "running on the old one config=%s", d->config_path);
		notify("READY=1\nSTATUS=reload refused: the configuration has problems");
		return;
	}
	rc = bank_load((const char *const *)cfg.banks, cfg.nbanks, &bank, &errs);
	for (size_t i = 0; i < errs.n; i++)
		log_error("%s", errs.lines[i]);
	drill_errors_free(&errs);
	if (rc != 0) {
		log_error("reload refused: the banks did not load; still running on "
		    "the old ones");
		notify("READY=1\nSTATUS=reload refused: the banks did not load");
		config_free(&cfg);
		return;
	}
	/*
	 * The schedules anew, over the new config in d->cfg (where the engine
	 * and the schedules find it), then the bank; anything that fails puts
	 * the old ones back, untouched.
	 */
	old = d->cfg;
	d->cfg = cfg;
	if ((rc = sched_new(d->store, &d->cfg, (int64_t)time(NULL), &sched, err)) != 0 ||
	    (rc = engine_set_bank(d->engine, bank)) != 0) {
		d->cfg = old;
		if (sched == NULL)
			log_error("reload refused: %s; still running on the old "
			    "configuration", err);
		else
			log_error("reload refused: out of memory");
		notify("READY=1\nSTATUS=reload refused: see the log");
		sched_free(sched);
		bank_free(bank);
		config_free(&cfg);
		return;
	}
	sched_free(d->sched);
	d->sched = sched;
	config_free(&old);
	bank_free(d->bank);
	d->bank = bank;
	engine_set_config(d->engine, &d->cfg, d->sched);
	warn_unposted(d);
	arm_tick(d);
	if (!d->level_given)
		log_set_level(d->cfg.log_level);
	log_info("reloaded config=%s questions=%zu (state_dir, store, console, http and "
	    "slack and matrix settings take effect at the next start)", d->config_path, bank_count(bank));
	notify("READY=1\nSTATUS=serving (reloaded)");
}

static void
on_signal(uv_signal_t *h, int signum)
{
	struct drilld *d = h->data;

	log_info("signal received, stopping signal=%d", signum);
	stop(d);
}

/*
 * The control socket's `status`: what runs, since when, on what, and how
 * many outbound messages wait or failed.
 */
static struct json_object *
on_ctl_status(void *arg, struct ctl_req *req, struct json_object *request)
{
	struct drilld *d = arg;
	struct json_object *o, *list = NULL, *p;
	char started[32];
	struct tm tm;
	bool ok;

	(void)req;
	(void)request;
	if ((o = json_object_new_object()) == NULL)
		return NULL;
	if (gmtime_r(&d->started_at, &tm) == NULL ||
	    strftime(started, sizeof(started), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		started[0] = '\0';
	ok = jsonv_put(o, "ok", json_object_new_boolean(1)) &&
	    jsonv_put_str(o, "version", DRILL_VERSION) &&
	    jsonv_put(o, "pid", json_object_new_int64((int64_t)getpid())) &&
	    jsonv_put(o, "uptime_s",
	    json_object_new_int64((int64_t)((uv_hrtime() - d->started_hr) / 1000000000u))) &&
	    jsonv_put_str(o, "started_at", started) &&
	    jsonv_put_str(o, "config", d->config_abs ? d->config_abs : d->config_path) &&
	    jsonv_put_str(o, "state_dir", d->state_dir) &&
	    jsonv_put(o, "questions", json_object_new_int64((int64_t)bank_count(d->bank))) &&
	    jsonv_put(o, "platforms", list = json_object_new_array());
	if (ok && d->outbox != NULL) {
		int64_t queued = 0, failed = 0;
		struct json_object *ob = json_object_new_object();
		ok = ob != NULL && outbox_counts(d->outbox, &queued, &failed) == 0 &&
		    jsonv_put(ob, "queued", json_object_new_int64(queued)) &&
		    jsonv_put(ob, "failed", json_object_new_int64(failed));
		if (ok)
			ok = jsonv_put(o, "outbox", ob);
		else
			json_object_put(ob);
	}
	for (size_t i = 0; ok && i < d->nplatforms; i++) {
		const char *state = d->platforms[i].state;
		if (strcmp(d->platforms[i].name, "slack") == 0 && d->slack != NULL)
			state = slack_state(d->slack);
		if (strcmp(d->platforms[i].name, "matrix") == 0 && d->matrix != NULL)
			state = matrix_state(d->matrix);
		ok = (p = json_object_new_object()) != NULL;
		ok = ok && jsonv_put_str(p, "name", d->platforms[i].name) &&
		    jsonv_put(p, "enabled", json_object_new_boolean(d->platforms[i].enabled)) &&
		    jsonv_put_str(p, "state", state);
		if (ok && json_object_array_add(list, p) != 0)
			ok = false;
		if (!ok)
			json_object_put(p);
	}
	if (!ok) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

/* `outbox.failed`: the messages that could not be sent, with their reasons. */
static struct json_object *
on_ctl_outbox_failed(void *arg, struct ctl_req *req, struct json_object *request)
{
	struct drilld *d = arg;
	struct store_outbox_row *rows = NULL;
	struct json_object *o, *list;
	size_t n = 0;
	bool ok;

	(void)req;
	(void)request;
	if (store_outbox_failed(d->store, 1000, &rows, &n) != 0)
		return ctl_error("cannot read the outbox");
	ok = (o = json_object_new_object()) != NULL &&
	    jsonv_put(o, "failed", list = json_object_new_array());
	for (size_t i = 0; ok && i < n; i++) {
		struct json_object *r = json_object_new_object();
		ok = r != NULL &&
		    jsonv_put(r, "id", json_object_new_int64(rows[i].id)) &&
		    jsonv_put_str(r, "platform", rows[i].platform) &&
		    jsonv_put_str(r, "destination", rows[i].destination) &&
		    jsonv_put(r, "attempts", json_object_new_int(rows[i].attempts)) &&
		    jsonv_put(r, "created_at_ms", json_object_new_int64(rows[i].created_at)) &&
		    jsonv_put_str(r, "error", rows[i].last_error ? rows[i].last_error : "");
		if (ok && json_object_array_add(list, r) != 0)
			ok = false;
		if (!ok)
			json_object_put(r);
	}
	store_outbox_rows_free(rows, n);
	if (!ok) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

/* `outbox.retry {"id": N}`: queue a failed message again. */
static struct json_object *
on_ctl_outbox_retry(void *arg, struct ctl_req *req, struct json_object *request)
{
	struct drilld *d = arg;
	struct json_object *v, *o;
	int64_t id;
	int rc;

	(void)req;
	if (!json_object_object_get_ex(request, "id", &v) ||
	    !json_object_is_type(v, json_type_int) || (id = json_object_get_int64(v)) <= 0)
		return ctl_error("outbox.retry needs \"id\": a positive integer");
	if (d->outbox == NULL)
		return ctl_error("drilld is stopping");
	if ((rc = outbox_retry(d->outbox, id)) == DRILL_ENOTFOUND)
		return ctl_error("no failed message with id %lld", (long long)id);
	if (rc != 0)
		return ctl_error("cannot queue message %lld again: %s", (long long)id,
		    drill_strerror(rc));
	log_info("outbox message queued again id=%lld", (long long)id);
	if ((o = json_object_new_object()) == NULL || !jsonv_put(o, "id", json_object_new_int64(id))) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

/* `ask {"conversation": NAME}`: a scheduled channel's next question, now. */
static struct json_object *
on_ctl_ask(void *arg, struct ctl_req *req, struct json_object *request)
{
	struct drilld *d = arg;
	struct json_object *v, *o;
	char err[DRILL_ERRLEN] = "";

	(void)req;
	if (!json_object_object_get_ex(request, "conversation", &v) ||
	    !json_object_is_type(v, json_type_string) || json_object_get_string_len(v) == 0 ||
	    json_object_get_string_len(v) > 255)
		return ctl_error("ask needs \"conversation\": a name like slack:C0123ABCD");
	if (d->stopping)
		return ctl_error("drilld is stopping");
	if (engine_ask_now(d->engine, json_object_get_string(v), err) != 0)
		return ctl_error("%s", err);
	log_info("question asked now from drillctl conversation=%s", json_object_get_string(v));
	arm_tick(d);	/* its reveal */
	if ((o = json_object_new_object()) == NULL ||
	    !jsonv_put(o, "conversation", json_object_new_string(json_object_get_string(v)))) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

/* Lists a platform in `status`; name and state are static strings. */
static void
platform_add(struct drilld *d, const char *name, bool enabled, const char *state)
{
	if (d->nplatforms < MAX_PLATFORMS)
		d->platforms[d->nplatforms++] = (struct drilld_platform){name, enabled, state};
}

static void
on_console_event(void *arg, const struct platform_event *ev)
{
	struct drilld *d = arg;

	if (engine_handle(d->engine, ev, console_reply, d->console) != 0)
		log_warnx("event not fully handled conversation=%s", ev->conversation);
}

/* A chat platform's event: the engine, then the timer (a reveal or a
 * subscription may have moved). */
static int
on_chat_event(void *arg, const struct platform_event *ev, platform_reply_fn reply,
    void *reply_arg)
{
	struct drilld *d = arg;
	int rc;

	if (d->stopping)
		return DRILL_EIO;	/* not acknowledged: the platform sends it again */
	rc = engine_handle(d->engine, ev, reply, reply_arg);
	arm_tick(d);
	return rc;
}

static void
on_chat_zone(void *arg, const char *person, const char *zone)
{
	struct drilld *d = arg;

	if (!d->stopping && engine_person_zone(d->engine, person, zone) != 0)
		log_warnx("cannot keep the time zone of person=%s", person);
}

/* A platform's permanent failure: each admin on that platform hears of it. */
static void
on_chat_problem(void *arg, const char *line)
{
	struct drilld *d = arg;
	struct msg *m;

	if (d->stopping || (m = msg_new()) == NULL)
		return;
	msg_add(m, MSG_TEXT, "drilld could not deliver a message: %s", line);
	for (size_t i = 0; i < d->cfg.nadmins; i++) {
		struct platform_dest dest = {NULL, d->cfg.admins[i], NULL, 0, false};
		if (router_has(d->router, d->cfg.admins[i]) &&
		    router_post(d->router, &dest, m, NULL) != 0)
			log_warnx("cannot tell admin=%s of a failed message", d->cfg.admins[i]);
	}
	msg_free(m);
}

static void
on_console_done(void *arg)
{
	stop(arg);
}

static int
want_color(enum config_color c)
{
	if (c == CONFIG_COLOR_ALWAYS)
		return 1;
	if (c == CONFIG_COLOR_NEVER)
		return 0;
	return isatty(1) && getenv("NO_COLOR") == NULL;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"config", required_argument, NULL, 'c'},
		{"test", no_argument, NULL, 't'},
		{"console", no_argument, NULL, 'C'},
		{"log-level", required_argument, NULL, 'L'},
		{"version", no_argument, NULL, 'V'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}
	};
	struct drilld d;
	struct outbox_opts oo;
	struct drill_errors cerrs = {0};
	struct drill_errors berrs = {0};
	struct engine_deps deps;
	const char *config_path = NULL;
	char dbpath[4096], err[DRILL_ERRLEN];
	enum log_level cli_level = LOGL_INFO;
	int opt, test_only = 0, console = 0, level_given = 0, rc;

	standard_fds();
	memset(&d, 0, sizeof(d));
	d.started_at = time(NULL);
	d.started_hr = uv_hrtime();
	log_init("drilld", LOGL_INFO);
	while ((opt = getopt_long(argc, argv, "c:thV", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c': config_path = optarg; break;
		case 't': test_only = 1; break;
		case 'C': console = 1; break;
		case 'L':
			if (log_level_parse(optarg, &cli_level) != 0) {
				fprintf(stderr, "drilld: --log-level: unknown level \"%s\" "
				    "(debug, info, notice, warning, error)\n", optarg);
				return 2;
			}
			level_given = 1;
			break;
		case 'V': printf("drilld %s\n", DRILL_VERSION); return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	if (config_path == NULL)
		config_path = config_default_path();
	d.config_path = config_path;
	d.level_given = level_given;

	/* Configuration: every problem at once, then stop. */
	rc = config_load(config_path, &d.cfg, &cerrs);
	for (size_t i = 0; i < cerrs.n; i++)
		fprintf(stderr, "%s\n", cerrs.lines[i]);
	drill_errors_free(&cerrs);
	if (rc != 0)
		return 1;
	if (test_only) {
		printf("%s: configuration ok\n", config_path);
		config_free(&d.cfg);
		return 0;
	}

	/* In the terminal, log lines would interleave with the practice. */
	log_init("drilld", level_given ? cli_level :
	    console && d.cfg.log_level < LOGL_WARNING ? LOGL_WARNING : d.cfg.log_level);
	signal(SIGPIPE, SIG_IGN);

	if (make_dirs(d.cfg.state_dir) < 0)
		fatal("cannot create state directory state_dir=%s", d.cfg.state_dir);

	/*
	 * The loop and the control socket, before the database: a second drilld
	 * on this state_dir stops here, before it opens (and could migrate) the
	 * store under the running one. Requests wait for uv_run.
	 */
	if ((d.state_dir = strdup(d.cfg.state_dir)) == NULL)
		fatalx("out of memory");
	d.config_abs = realpath(config_path, NULL);	/* for status; NULL: as given */
	d.loop = uv_default_loop();
	if ((rc = ctl_open(d.loop, d.cfg.state_dir, NULL, &d.ctl, err)) != 0) {
		if (rc == DRILL_EEXIST)
			fatalx("%s; not starting a second one", err);
		fatalx("cannot open the control socket: %s", err);
	}
	if (ctl_register(d.ctl, "status", on_ctl_status, &d) != 0)
		fatalx("out of memory");

	if ((size_t)snprintf(dbpath, sizeof(dbpath), "%s/drilld.db", d.cfg.state_dir) >=
	    sizeof(dbpath))
		fatalx("state_dir is too long state_dir=%s", d.cfg.state_dir);
	if ((rc = store_open(dbpath, 0, d.cfg.store.busy_timeout_ms, &d.store, err)) != 0) {
		ctl_close(d.ctl);
		fatalx("cannot open the database: %s", err);
	}

	rc = bank_load((const char *const *)d.cfg.banks, d.cfg.nbanks, &d.bank, &berrs);
	for (size_t i = 0; i < berrs.n; i++)
		log_error("%s", berrs.lines[i]);
	drill_errors_free(&berrs);
	if (rc != 0) {
		ctl_close(d.ctl);
		fatalx("cannot load the question banks (see above; `drillctl lint` checks them)");
	}

	/* The channel schedules: what was missed while down is found now. */
	if ((rc = sched_new(d.store, &d.cfg, (int64_t)time(NULL), &d.sched, err)) != 0) {
		ctl_close(d.ctl);
		fatalx("cannot start the schedules: %s", err);
	}

	/* The outbox: every chat message is a row before it is a send. */
	outbox_opts_default(&oo);
	oo.min_interval_ms = d.cfg.outbox.min_interval_ms;
	oo.rate_per_sec = d.cfg.outbox.rate_per_sec;
	oo.burst = d.cfg.outbox.burst;
	oo.max_attempts = d.cfg.outbox.max_attempts;
	oo.backoff_base_ms = d.cfg.outbox.backoff_base_ms;
	oo.backoff_cap_ms = d.cfg.outbox.backoff_cap_ms;
	oo.retry_after_max_ms = d.cfg.outbox.retry_after_max_ms;
	if ((rc = outbox_new(d.loop, d.store, &oo, &d.outbox, err)) != 0)
		fatalx("cannot create the outbox: %s", err);
	if ((d.router = router_new(d.outbox)) == NULL)
		fatalx("out of memory");

	memset(&deps, 0, sizeof(deps));
	deps.store = d.store;
	deps.bank = d.bank;
	deps.cfg = &d.cfg;
	deps.seed = (uint64_t)uv_hrtime() ^ ((uint64_t)getpid() << 32);
	deps.post = router_post;
	deps.post_arg = d.router;
	deps.sched = d.sched;
	if ((d.engine = engine_new(&deps)) == NULL)
		fatalx("out of memory");

	/*
	 * The HTTP server (webhooks, /healthz, /readyz), when configured, and
	 * the chat platforms, before the outbox starts sending for them. They
	 * serve and connect once the loop runs.
	 */
	if (d.cfg.http.listen != NULL || (d.cfg.slack.enabled && d.cfg.slack.socket_mode))
		if ((d.net = net_new(d.loop, err)) == NULL)
			fatalx("cannot start libwebsockets: %s", err);
	if (d.cfg.http.listen != NULL) {
		struct http_opts ho = {
			.addr = d.cfg.http.addr,
			.port = d.cfg.http.port,
			.max_body = (size_t)d.cfg.http.max_body,
			.request_timeout_ms = d.cfg.http.request_timeout_ms,
		};
		if ((d.http = http_new(d.net, &ho, err)) == NULL)
			fatalx("cannot serve http.listen=%s: %s", d.cfg.http.listen, err);
		log_info("serving HTTP listen=%s port=%d", d.cfg.http.listen, http_port(d.http));
	}
	if (d.cfg.slack.enabled) {
		struct slack_opts so = {
			.socket_mode = d.cfg.slack.socket_mode,
			.api_url = d.cfg.slack.api_url,
			.bot_token = d.cfg.slack.bot_token,
			.app_token = d.cfg.slack.app_token,
			.signing_secret = d.cfg.slack.signing_secret,
			.connections = d.cfg.slack.connections,
			.max_message = SLACK_MAX_MESSAGE,
			.on_event = on_chat_event,
			.on_zone = on_chat_zone,
			.on_problem = on_chat_problem,
			.arg = &d,
		};
		if ((d.slack = slack_new(d.loop, d.net, d.http, &so, err)) == NULL)
			fatalx("cannot start the Slack adapter: %s", err);
		if (router_add(d.router, slack_adapter(d.slack), slack_send, d.slack) != 0)
			fatalx("out of memory");
		if (slack_start(d.slack, err) != 0)
			fatalx("cannot start the Slack adapter: %s", err);
		platform_add(&d, "slack", true, "starting");
	}
	if (d.cfg.matrix.enabled) {
		struct matrix_opts mo = {
			.appservice = d.cfg.matrix.appservice,
			.homeserver = d.cfg.matrix.homeserver,
			.user_id = d.cfg.matrix.user_id,
			.access_token = d.cfg.matrix.access_token,
			.password = d.cfg.matrix.password,
			.as_token = d.cfg.matrix.as_token,
			.hs_token = d.cfg.matrix.hs_token,
			.auto_join = d.cfg.matrix.auto_join,
			.nauto_join = d.cfg.matrix.nauto_join,
			.store = d.store,
			.on_event = on_chat_event,
			.on_problem = on_chat_problem,
			.arg = &d,
			.post = router_post,
			.post_arg = d.router,
		};
		if ((d.matrix = matrix_new(d.loop, d.http, &mo, err)) == NULL)
			fatalx("cannot start the Matrix adapter: %s", err);
		if (router_add(d.router, matrix_adapter(d.matrix), matrix_send, d.matrix) != 0)
			fatalx("out of memory");
		if (matrix_start(d.matrix, err) != 0)
			fatalx("cannot start the Matrix adapter: %s", err);
		platform_add(&d, "matrix", true, "starting");
	}

	if (outbox_start(d.outbox) != 0)
		fatalx("cannot start the outbox (the database failed)");
	if (ctl_register(d.ctl, "outbox.failed", on_ctl_outbox_failed, &d) != 0 ||
	    ctl_register(d.ctl, "outbox.retry", on_ctl_outbox_retry, &d) != 0 ||
	    ctl_register(d.ctl, "ask", on_ctl_ask, &d) != 0)
		fatalx("out of memory");

	log_info("drilld starting version=%s config=%s state_dir=%s banks=%zu "
	    "questions=%zu log_level=%s console=%s control=%s", DRILL_VERSION,
	    config_path, d.cfg.state_dir, d.cfg.nbanks, bank_count(d.bank),
	    log_level_name(log_get_level()), console ? "yes" : "no", ctl_path(d.ctl));

	uv_signal_init(d.loop, &d.sigint);
	uv_signal_init(d.loop, &d.sigterm);
	uv_signal_init(d.loop, &d.sighup);
	d.sigint.data = d.sigterm.data = d.sighup.data = &d;
	uv_signal_start(&d.sigint, on_signal, SIGINT);
	uv_signal_start(&d.sigterm, on_signal, SIGTERM);
	uv_signal_start(&d.sighup, on_sighup, SIGHUP);

	/* Channel schedules and reveals: one timer at the earliest of them. */
	uv_timer_init(d.loop, &d.tick);
	d.tick.data = &d;
	warn_unposted(&d);
	arm_tick(&d);

	if (console) {
		struct console_opts co = {
			.person = d.cfg.console.person,
			.color = want_color(d.cfg.console.color),
			.max_answer = (size_t)d.cfg.practice.max_answer,
			.on_event = on_console_event,
			.on_done = on_console_done,
			.arg = &d,
		};
		if ((d.console = console_new(d.loop, &co)) == NULL)
			fatalx("out of memory");
		if (console_start(d.console) == 0) {
			platform_add(&d, "console", true, "running");
		} else {
			log_warnx("cannot read standard input");
			platform_add(&d, "console", true, "no input");
		}
	} else if (d.slack == NULL && d.matrix == NULL) {
		log_notice("no chat platform is enabled: drilld waits for signals "
		    "(use --console to practise in the terminal, or enable slack)");
	}

	/* Started: tell systemd (Type=notify); nothing happens outside it. */
	notify("READY=1\nSTATUS=serving");
	uv_run(d.loop, UV_RUN_DEFAULT);

	log_info("drilld stopped");
	console_free(d.console);
	slack_free(d.slack);
	matrix_free(d.matrix);
	http_free(d.http);	/* before the lws context it lives in */
	net_free(d.net);
	engine_free(d.engine);
	router_free(d.router);
	sched_free(d.sched);
	bank_free(d.bank);
	store_close(d.store);
	config_free(&d.cfg);
	free(d.config_abs);
	free(d.state_dir);
	uv_loop_close(d.loop);
	return 0;
}
