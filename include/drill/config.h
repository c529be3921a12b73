/*
 * config.h - the drilld configuration: read a libconfig file, apply
 * defaults, validate every value, report every problem.
 *
 * Loading happens in stages (defaults, read, check): a parse error stops at
 * the first syntax error (libconfig cannot go on), but once the file parses,
 * every problem of the file is collected, one line each, as
 *     FILE:LINE: OPTION: what is wrong
 * e.g. "drilld.conf:12: log_levle: unknown option". FILE is the path as given;
 * OPTION is the dotted path ("practice.level", "banks[1]").
 *
 * Unknown options, wrong types, bad units and out-of-range values are errors.
 * Sizes are strings with units ("64K", "1M", "2G" or plain bytes "512");
 * durations are strings with units ("500ms", "90s", "5m", "4h", "2d",
 * combinable: "1h30m"). libconfig 1.5 wraps large integers silently, so
 * numbers are range-checked here. Relative paths resolve against the config
 * file's directory. Required: state_dir and banks; everything else has a
 * default (config/drilld.conf lists them all).
 *
 * Secrets (slack.bot_token, matrix.access_token, ...) come from exactly one
 * place: the value in the file, a file named by the *_file option (relative
 * paths resolve under $CREDENTIALS_DIRECTORY when it is set, as systemd's
 * LoadCredential= sets it, else against the config file's directory), or
 * the environment variable DRILLD_<GROUP>_<KEY> (e.g. DRILLD_SLACK_BOT_TOKEN,
 * DRILLD_MATRIX_PASSWORD; set but empty counts as unset). Two places for one
 * secret is an error. A secret is one line of at most 4096 bytes without
 * control characters; a token also has no spaces and only ASCII, a password
 * may have both. A file's surrounding blanks (its final newline) are
 * stripped; a value or an environment variable is taken as it is. Secrets
 * are read only when their group is enabled, and only those the chosen mode
 * uses. No message ever contains a secret; config_free wipes them.
 *
 * struct config is a plain value: read its fields directly. A reload loads
 * into a fresh struct and swaps it in only when it loaded cleanly.
 */
#ifndef DRILL_CONFIG_H
#define DRILL_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "drill/common.h"
#include "drill/log.h"

/* Room for a numeric address from config_parse_listen, with its NUL (INET6_ADDRSTRLEN). */
#define CONFIG_ADDR_MAX 46

enum config_color {
	CONFIG_COLOR_AUTO = 0,	/* colour when stdout is a terminal and NO_COLOR is unset */
	CONFIG_COLOR_ALWAYS,
	CONFIG_COLOR_NEVER
};

/*
 * One channel schedule (config `schedules`): when a conversation gets its
 * daily question and how the thread works. Strings are owned by the config.
 */
struct config_schedule {
	char *conversation;	/* "slack:C0123ABCD" (required) */
	char *cron;		/* five fields, as written (required; checked by cron_parse) */
	char *timezone;		/* IANA name (checked by tz_load); default "UTC" */
	uint32_t topics;	/* bit set of vocab topics; 0: any */
	uint32_t types;		/* bit set of vocab types; 0: any */
	int level;		/* vocab level, or -1: any (default) */
	uint64_t reveal_after_ms;	/* model answer and summary after; default "4h", 1s..7d */
	bool feedback_thread;	/* feedback = "thread"; default "private" (DM or ephemeral) */
	bool answers_dm;	/* answers = "dm"; default "thread" */
	char **skip_dates;	/* "YYYY-MM-DD" dates and absolute paths of .ics files */
	size_t nskip_dates;
	uint64_t grace_ms;	/* a fire missed while down is made up within; default "2h", 0s..1d */
	char *digest;		/* the weekly digest's cron in timezone; default "0 16 * * fri";
				 * NULL: digest = "off" */
	int line;		/* where it is in the file, for messages */
};

struct config {
	char *file;		/* the path as given */
	char *dir;		/* absolute directory of the file */

	char *state_dir;	/* absolute; holds drilld.db (and later drilld.sock) */
	char **banks;		/* absolute paths: bank files or directories of *.json */
	size_t nbanks;
	enum log_level log_level;	/* log_level: default info */

	struct {
		uint64_t busy_timeout_ms;	/* store.busy_timeout: default "5s", 0..60s */
		int retention_days;	/* store.retention_days: answers older are erased
					 * for everyone; 0 (default) keeps them */
	} store;

	struct {
		char *person;	/* console.person: default "console:local" */
		enum config_color color;	/* console.color: auto|always|never */
	} console;

	struct {
		int level;		/* practice.level: vocab level of new people, default mid */
		uint64_t max_answer;	/* practice.max_answer: default "2M", 1K..4M */
		char *timezone;		/* practice.timezone: people's zone until the platform
					 * or they (`tz`) say; default "UTC" */
	} practice;

	/*
	 * The embedded HTTP/1.1 server (webhooks, /healthz, /readyz). Off
	 * unless http.listen is set.
	 */
	struct {
		char *listen;		/* http.listen as given ("127.0.0.1:8080"); NULL: server off */
		char *addr;		/* its numeric address without brackets ("127.0.0.1",
					 * "::1"); NULL for "*" (every address) */
		int port;		/* its port, 1..65535; 0 when listen is NULL */
		uint64_t max_body;	/* http.max_body: request body limit, default "1M", 1K..64M */
		uint64_t request_timeout_ms;	/* http.request_timeout: time for a request's
						 * headers, and then for its body; also the idle
						 * keep-alive time; default "10s", 1s..5m */
	} http;

	/* Sending chat messages (outbox.h). Read at start; a reload keeps them. */
	struct {
		uint64_t min_interval_ms;	/* outbox.min_interval: per conversation,
						 * between two sends; default "1s", 0s..1h */
		double rate_per_sec;	/* outbox.rate: sends per second over all
					 * conversations, 0 no limit; default 10, 0..1000 */
		unsigned burst;		/* outbox.burst: sends at once above the rate;
					 * default 20, 1..1000 */
		int max_attempts;	/* outbox.max_attempts: failed sends before a
					 * message fails; default 8, 1..100 */
		uint64_t backoff_base_ms;	/* outbox.backoff_base: default "1s", 10ms..1h */
		uint64_t backoff_cap_ms;	/* outbox.backoff_cap: default "5m",
						 * 10ms..1d, >= backoff_base */
		uint64_t retry_after_max_ms;	/* outbox.retry_after_max: longest wait a
						 * platform may ask for; default "1h", 1s..1d */
		uint64_t drain_timeout_ms;	/* outbox.drain_timeout: at SIGTERM, how long
						 * sends in flight may take to finish;
						 * default "10s", 0s..5m */
	} outbox;

	/*
	 * Slack (issue 7). Secrets are NULL unless given; never log them.
	 * All three are NULL while slack is disabled; a secret the mode does
	 * not use (app_token in events mode, signing_secret in socket mode) is
	 * not read and stays NULL. When enabled, bot_token (xoxb-) is set, and
	 * so is app_token (xapp-) in socket mode or signing_secret in events
	 * mode. config_free wipes them.
	 */
	struct {
		bool enabled;		/* slack.enabled: default false */
		bool socket_mode;	/* slack.mode: "socket" (default) or "events" */
		char *bot_token;	/* slack.bot_token: "xoxb-..." */
		char *app_token;	/* slack.app_token: "xapp-...", Socket Mode */
		char *signing_secret;	/* slack.signing_secret: the Events API's */
		char *api_url;		/* slack.api_url: default "https://slack.com/api/", always ends in '/' */
		int connections;	/* slack.connections: Socket Mode websockets, 1..10, default 1 */
	} slack;

	/*
	 * Matrix (issue 8). Secrets are NULL unless given; never log them.
	 * All four are NULL while matrix is disabled, and the other mode's
	 * are not read and stay NULL. When enabled: homeserver and user_id
	 * are set; in client mode access_token or password or both (then the
	 * token is used, and the password logs in again on M_UNKNOWN_TOKEN);
	 * in appservice mode as_token and hs_token, which differ, and
	 * http.listen. config_free wipes the secrets.
	 */
	struct {
		bool enabled;		/* matrix.enabled: default false */
		bool appservice;	/* matrix.mode: "client" (default) or "appservice" */
		char *homeserver;	/* matrix.homeserver: base URL "https://matrix.example.org",
					 * http(s), a host, an optional path, no query; no
					 * trailing '/' kept */
		char *user_id;		/* matrix.user_id: "@drilld:example.org" (the bot; the
					 * appservice's sender) */
		char *access_token;	/* client mode */
		char *password;		/* client mode: log in with it (and again on
					 * M_UNKNOWN_TOKEN); may hold spaces */
		char *as_token;		/* appservice mode: drilld's token to the homeserver */
		char *hs_token;		/* appservice mode: the homeserver's token to drilld */
		char *appservice_id;	/* matrix.appservice_id: default "drilld";
					 * 1..64 of [A-Za-z0-9._-] */
		char *appservice_url;	/* matrix.appservice_url: where the homeserver pushes,
					 * as homeserver's rules; default "http://" + http.listen
					 * with a wildcard or unspecified address as loopback
					 * ("*:8080" and "0.0.0.0:8080": "http://127.0.0.1:8080";
					 * "[::1]:8080" and "[::]:8080": "http://[::1]:8080");
					 * NULL when neither is set */
		char **auto_join;	/* matrix.auto_join: who may invite the bot: "*"
					 * (anyone), server names ("example.org": anyone whose
					 * user id has that server), user ids ("@ann:example.org");
					 * as written. Default: the server of user_id (none
					 * while user_id is unset); an empty list: nobody */
		size_t nauto_join;
	} matrix;

	/* Channel schedules (issue: daily questions) and who may change them. */
	struct config_schedule *schedules;
	size_t nschedules;
	char **admins;		/* "platform:id" of each admin */
	size_t nadmins;
};

/*
 * Loads path into *cfg (which must not hold a loaded config). On success
 * returns 0 and cfg is owned by the caller (config_free). On failure returns
 * DRILL_EINVAL (problems in errs) or DRILL_EIO (file unreadable, in errs) or
 * DRILL_ENOMEM, and cfg holds nothing to free. errs is always filled (empty on
 * success) and the caller frees it with drill_errors_free.
 */
int config_load(const char *path, struct config *cfg, struct drill_errors *errs) DRILL_WUR;

/*
 * config_load with flags. CONFIG_NO_SECRETS: the secrets are neither read
 * (no *_file opened, no DRILLD_* looked at) nor required, and stay NULL;
 * everything else is checked as usual. For drillctl, which an admin runs
 * without the daemon's credentials, and for a reload (secrets are read at
 * start only).
 */
#define CONFIG_NO_SECRETS 1u
int config_load_flags(const char *path, struct config *cfg, struct drill_errors *errs,
    unsigned flags) DRILL_WUR;

/*
 * The config file to use when none is named with -c: $DRILLD_CONFIG when
 * set, else /etc/drilld/drilld.conf when it exists, else config/drilld.conf
 * when it exists under the current directory (a source checkout: `make run`,
 * `build/drillctl score ...`), else /etc/drilld/drilld.conf. Static or
 * environment storage: do not free.
 */
const char *config_default_path(void);

/* Releases everything cfg owns and zeroes it; safe on a zeroed struct. */
void config_free(struct config *cfg);


/*
 * Parses a size with unit: "512", "64K", "1M", "2G" (binary multiples, case
 * insensitive, optional trailing 'B'/"iB"). Returns 0, or DRILL_EINVAL for a bad
 * unit or a value that overflows or exceeds max.
 */
int config_parse_size(const char *s, uint64_t max, uint64_t *out) DRILL_WUR;

/*
 * Parses a duration into milliseconds: "250ms", "90s", "5m", "4h", "2d", or a
 * sequence of them ("1h30m"). A bare number is an error (unit required).
 * Returns 0 or DRILL_EINVAL (bad unit, overflow, over max_ms).
 */
int config_parse_duration(const char *s, uint64_t max_ms, uint64_t *out_ms) DRILL_WUR;

/*
 * Parses a listen address "ADDRESS:PORT": ADDRESS is a numeric IPv4 address
 * ("127.0.0.1"), a numeric IPv6 address in brackets ("[::1]") or "*" (every
 * address); PORT is 1..65535 in decimal. No names, no zone ids. On success
 * returns 0, writes the address without brackets into addr ("" for "*")
 * and the port into *port; returns DRILL_EINVAL for a bad address and
 * DRILL_ETOOBIG for a port out of range (addr and *port untouched).
 */
int config_parse_listen(const char *s, char addr[CONFIG_ADDR_MAX], int *port) DRILL_WUR;

#endif
