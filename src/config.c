/*
 * config.c - reads drilld's libconfig file into a struct config: defaults
 * first, then the file, then a check of every setting. Once the file parses,
 * every problem is collected as one "FILE:LINE: OPTION: problem" line, so an
 * operator fixes the whole file in one go. Sizes and durations are strings
 * with units, parsed and range-checked here (libconfig 1.5 wraps large
 * integers silently, so integers are never accepted for them). Relative paths
 * resolve against the file's directory.
 *
 * It does not touch the paths it resolves (drilld creates state_dir; the bank
 * module reports missing banks), never logs or prints, and keeps no state
 * between calls. @include is rejected: libconfig 1.5 reads included files
 * itself, where a directory or a read error makes its scanner exit() the
 * process, and errors would no longer name the file that was given.
 *
 * Secrets (the slack and matrix tokens, the matrix password) are the one
 * exception to "it does not touch what it resolves": when their group is
 * enabled, their *_file is read and their environment variable looked up
 * here, so that a missing credential stops the start like any other config
 * error. No message quotes a secret, and config_free wipes them.
 */
#include "drill/config.h"
#include "drill/cron.h"
#include "drill/holiday.h"
#include "drill/tz.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libconfig.h>

#include "drill/vocab.h"

#define CONFIG_MAX_FILE (1024 * 1024)	/* a config file is a few KB */
#define QUOTE_MAX 64			/* value bytes shown in a message */
#define QBUF (QUOTE_MAX * 4 + 8)	/* a quoted value: each byte as \xNN, quotes, "..." */
#define PATH_QUOTE_MAX 256		/* path bytes shown in a message */
#define PQBUF (PATH_QUOTE_MAX * 4 + 8)
#define SECRET_MAX 4096			/* longest secret, and its file */
#define URL_MAX 1024			/* longest URL option (slack.api_url, ...) */
#define USER_ID_MAX 255			/* longest Matrix user id (the spec's limit) */
#define SERVER_MAX 255			/* longest Matrix server name, port included */
#define APPSERVICE_ID_MAX 64		/* longest matrix.appservice_id */

#define KIB UINT64_C(1024)
#define MIB (KIB * 1024)
#define SEC_MS UINT64_C(1000)
#define MIN_MS (60 * SEC_MS)
#define HOUR_MS (60 * MIN_MS)
#define DAY_MS (24 * HOUR_MS)

/* What the unit parsers found; the loader turns it into a message. */
enum unit_result {
	UNIT_OK = 0,
	UNIT_BAD,	/* not a number with a known unit */
	UNIT_NOUNIT,	/* a duration's number without a unit */
	UNIT_RANGE	/* does not fit in 64 bits */
};

/* Every secret of every group: indexes of secrets[] and loader.secret's arrays. */
enum {
	SECRET_SLACK_BOT, SECRET_SLACK_APP, SECRET_SLACK_SIGNING,
	SECRET_MATRIX_ACCESS, SECRET_MATRIX_PASSWORD, SECRET_MATRIX_AS,
	SECRET_MATRIX_HS, SECRET_N
};

/* What a group's mode option said, for the cross-checks. */
struct mode_seen {
	const config_setting_t *setting;	/* NULL when absent */
	bool bad;			/* neither of the two words */
};

struct loader {
	const char *path;		/* as given, for messages */
	struct config *cfg;		/* being filled */
	struct drill_errors *errs;
	const char *text;		/* the file, once read */
	struct config_schedule *sched;	/* the schedule being checked */
	/* the secrets' settings, for check_slack and check_matrix once all are read */
	struct {
		const config_setting_t *value[SECRET_N];	/* bot_token = "..." */
		const config_setting_t *file[SECRET_N];		/* bot_token_file = "..." */
	} secret;
	struct mode_seen slack_mode, matrix_mode;
	bool auto_join_seen;		/* matrix.auto_join is in the file */
	bool no_secrets;		/* CONFIG_NO_SECRETS */
	bool nomem;
};

struct option {
	const char *name;
	void (*check)(struct loader *, const config_setting_t *, const char *opt);
	const struct option *sub;	/* a group's options, instead of check */
	bool required;
};

/* ---- messages ---------------------------------------------------------- */

DRILL_PRINTF(1, 0) static char *
xvasprintf(const char *fmt, va_list ap)
{
	va_list aq;
	char *s;
	int n;

	va_copy(aq, ap);
	n = vsnprintf(NULL, 0, fmt, aq);
	va_end(aq);
	if (n < 0)
		return NULL;
	s = malloc((size_t)n + 1);
	if (s == NULL)
		return NULL;
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	return s;
}

DRILL_PRINTF(1, 2) static char *
xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	return s;
}

/* Appends one formatted line to the error list; remembers a failed allocation. */
DRILL_PRINTF(2, 3) static void
add_line(struct loader *ld, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	if (s == NULL) {
		ld->nomem = true;
		return;
	}
	drill_errors_add(ld->errs, "%s", s);
	ld->nomem = ld->nomem || ld->errs->nomem;
	free(s);
}

/*
 * Reports a problem with setting s ("FILE:LINE: OPTION: problem"), or with
 * an option that is absent when s is NULL ("FILE: OPTION: problem").
 */
DRILL_PRINTF(4, 5) static void
problem(struct loader *ld, const config_setting_t *s, const char *opt,
    const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	if (msg == NULL) {
		ld->nomem = true;
		return;
	}
	if (s != NULL)
		add_line(ld, "%s:%u: %s: %s", ld->path,
		    (unsigned)config_setting_source_line(s), opt, msg);
	else
		add_line(ld, "%s: %s: %s", ld->path, opt, msg);
	free(msg);
}

/*
 * Writes s into buf as a double-quoted string for a message, escaping
 * quotes, backslashes and every byte outside printable ASCII, so that a
 * value from the file can never break the one-line-per-problem output.
 * Values longer than max bytes are cut and end in "...".
 */
static const char *
quote_max(char *buf, size_t len, const char *s, size_t max)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0, i;

	/* room for every byte as \xNN, the quotes, "..." and the NUL */
	if (len < max * 4 + 6)
		return "\"...\"";
	buf[o++] = '"';
	for (i = 0; s[i] != '\0' && i < max; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\') {
			buf[o++] = '\\';
			buf[o++] = (char)c;
		} else if (c < 0x20 || c >= 0x7f) {
			buf[o++] = '\\';
			buf[o++] = 'x';
			buf[o++] = hex[c >> 4];
			buf[o++] = hex[c & 15];
		} else {
			buf[o++] = (char)c;
		}
	}
	buf[o++] = '"';
	if (s[i] != '\0') {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = '\0';
	return buf;
}

/* quote_max for values: at most QUOTE_MAX bytes shown (buf: QBUF bytes). */
static const char *
quote(char *buf, size_t len, const char *s)
{
	return quote_max(buf, len, s, QUOTE_MAX);
}

static const char *
type_name(const config_setting_t *s)
{
	switch (config_setting_type(s)) {
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64: return "an integer";
	case CONFIG_TYPE_FLOAT: return "a number";
	case CONFIG_TYPE_STRING: return "a string";
	case CONFIG_TYPE_BOOL: return "a boolean";
	case CONFIG_TYPE_GROUP: return "a group";
	case CONFIG_TYPE_ARRAY: return "an array";
	case CONFIG_TYPE_LIST: return "a list";
	default: return "something else";
	}
}

/* ---- units ------------------------------------------------------------- */

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static bool
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* Reads the decimal digits at *p (at least one is there); sets *ovf on overflow. */
static uint64_t
read_number(const char **p, bool *ovf)
{
	uint64_t v = 0;

	for (; is_digit(**p); (*p)++) {
		unsigned d = (unsigned)(**p - '0');

		if (v > (UINT64_MAX - d) / 10)
			*ovf = true;
		else
			v = v * 10 + d;
	}
	return v;
}

/*
 * Parses "512", "64K", "1M", "2G", "1T" with an optional "B" or "iB" after
 * the unit (any case; binary multiples). The whole string must be the size:
 * no sign, no spaces, no fraction. The syntax is checked before the range,
 * so "99999999999999999999x" is UNIT_BAD and "99999999999999999999K" is
 * UNIT_RANGE.
 */
static enum unit_result
size_parse(const char *s, uint64_t *out)
{
	const char *p = s;
	unsigned shift = 0;
	bool ovf = false;
	uint64_t v;

	if (!is_digit(*p))
		return UNIT_BAD;
	v = read_number(&p, &ovf);
	switch (lower(*p)) {
	case 'k': shift = 10; break;
	case 'm': shift = 20; break;
	case 'g': shift = 30; break;
	case 't': shift = 40; break;
	default: break;
	}
	if (shift != 0) {
		p++;
		if (lower(p[0]) == 'i' && lower(p[1]) == 'b')
			p += 2;
		else if (lower(*p) == 'b')
			p++;
	} else if (lower(*p) == 'b') {
		p++;
	}
	if (*p != '\0')
		return UNIT_BAD;
	if (ovf || v > (UINT64_MAX >> shift))
		return UNIT_RANGE;
	*out = v << shift;
	return UNIT_OK;
}

/*
 * Parses one or more number-unit pairs ("250ms", "90s", "1h30m") into
 * milliseconds. Units are lower case: ms, s, m, h, d. A number without a
 * unit is UNIT_NOUNIT; anything else that is not a pair is UNIT_BAD.
 */
static enum unit_result
duration_parse(const char *s, uint64_t *out_ms)
{
	static const struct {
		const char *name;
		uint64_t ms;
	} units[] = {
		{"ms", 1}, {"s", SEC_MS}, {"m", MIN_MS}, {"h", 60 * MIN_MS},
		{"d", 24 * 60 * MIN_MS}
	};
	const char *p = s;
	uint64_t total = 0;
	bool ovf = false;

	if (*p == '\0')
		return UNIT_BAD;
	while (*p != '\0') {
		const char *u;
		uint64_t v, mult = 0;
		size_t ulen, i;

		if (!is_digit(*p))
			return UNIT_BAD;
		v = read_number(&p, &ovf);
		for (u = p; *p >= 'a' && *p <= 'z'; p++)
			;
		ulen = (size_t)(p - u);
		if (ulen == 0)
			return *p == '\0' ? UNIT_NOUNIT : UNIT_BAD;
		for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
			if (strlen(units[i].name) == ulen &&
			    memcmp(units[i].name, u, ulen) == 0)
				mult = units[i].ms;
		if (mult == 0)
			return UNIT_BAD;
		if (v > UINT64_MAX / mult || total > UINT64_MAX - v * mult)
			ovf = true;
		else
			total += v * mult;
	}
	if (ovf)
		return UNIT_RANGE;
	*out_ms = total;
	return UNIT_OK;
}

int
config_parse_size(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v;

	if (s == NULL || out == NULL || size_parse(s, &v) != UNIT_OK || v > max)
		return DRILL_EINVAL;
	*out = v;
	return 0;
}

int
config_parse_duration(const char *s, uint64_t max_ms, uint64_t *out_ms)
{
	uint64_t v;

	if (s == NULL || out_ms == NULL || duration_parse(s, &v) != UNIT_OK ||
	    v > max_ms)
		return DRILL_EINVAL;
	*out_ms = v;
	return 0;
}

/* ---- addresses --------------------------------------------------------- */

/*
 * Splits "ADDRESS:PORT" at its last colon: "127.0.0.1:80", "[::1]:80",
 * "*:80". The address must be numeric (inet_pton: no names, no IPv4 in
 * other bases, no IPv6 zone) and an IPv6 one bracketed; the port is 1 to 5
 * decimal digits. A syntax error is UNIT_BAD; a port over 65535 or 0 is
 * UNIT_RANGE (checked after the syntax, like the sizes).
 */
static enum unit_result
listen_parse(const char *s, char addr[CONFIG_ADDR_MAX], int *port)
{
	const char *colon = strrchr(s, ':'), *p;
	char host[CONFIG_ADDR_MAX];
	unsigned char bin[16];
	size_t hlen;
	long v = 0;

	if (colon == NULL || colon == s || colon[1] == '\0')
		return UNIT_BAD;
	for (p = colon + 1; *p != '\0'; p++)
		if (!is_digit(*p) || p - colon > 5)
			return UNIT_BAD;
	if (s[0] == '[') {
		if (colon[-1] != ']')
			return UNIT_BAD;
		hlen = (size_t)(colon - s) - 2;
		if (hlen == 0 || hlen >= sizeof(host))
			return UNIT_BAD;
		memcpy(host, s + 1, hlen);
		host[hlen] = '\0';
		if (inet_pton(AF_INET6, host, bin) != 1)
			return UNIT_BAD;
	} else {
		hlen = (size_t)(colon - s);
		if (hlen >= sizeof(host))
			return UNIT_BAD;
		memcpy(host, s, hlen);
		host[hlen] = '\0';
		if (strcmp(host, "*") == 0)
			host[0] = '\0';
		else if (inet_pton(AF_INET, host, bin) != 1)
			return UNIT_BAD;
	}
	for (p = colon + 1; *p != '\0'; p++)
		v = v * 10 + (*p - '0');
	if (v < 1 || v > 65535)
		return UNIT_RANGE;
	memcpy(addr, host, strlen(host) + 1);
	*port = (int)v;
	return UNIT_OK;
}

int
config_parse_listen(const char *s, char addr[CONFIG_ADDR_MAX], int *port)
{
	if (s == NULL || addr == NULL || port == NULL)
		return DRILL_EINVAL;
	switch (listen_parse(s, addr, port)) {
	case UNIT_OK:
		return 0;
	case UNIT_RANGE:
		return DRILL_ETOOBIG;
	default:
		return DRILL_EINVAL;
	}
}

/* ---- paths ------------------------------------------------------------- */

/*
 * Returns p made absolute against dir (absolute, canonical, from realpath),
 * or NULL when out of memory; the caller frees it. Leading "./" and "../"
 * components are folded into dir, which is safe because dir contains no
 * symbolic links; the rest of p is kept as written. Nothing is looked up.
 */
static char *
resolve_path(const char *dir, const char *p)
{
	size_t dlen = strlen(dir);

	if (p[0] == '/')
		return strdup(p);
	for (;;) {
		if (p[0] == '/') {
			p++;
		} else if (p[0] == '.' && (p[1] == '/' || p[1] == '\0')) {
			p++;
		} else if (p[0] == '.' && p[1] == '.' &&
		    (p[2] == '/' || p[2] == '\0')) {
			p += 2;
			if (dlen > 1) {
				while (dlen > 0 && dir[dlen - 1] != '/')
					dlen--;
				if (dlen > 1)
					dlen--;	/* the slash, unless it is the root */
			}
		} else {
			break;
		}
	}
	if (*p == '\0')
		return xasprintf("%.*s", (int)dlen, dir);
	return xasprintf("%.*s%s%s", (int)dlen, dir,
	    dir[dlen - 1] == '/' ? "" : "/", p);
}

/* ---- the options ------------------------------------------------------- */

/* Returns the string value of s, or reports "expected a string" and returns NULL. */
static const char *
get_string(struct loader *ld, const config_setting_t *s, const char *opt)
{
	if (config_setting_type(s) != CONFIG_TYPE_STRING) {
		problem(ld, s, opt, "expected a string (got %s)", type_name(s));
		return NULL;
	}
	return config_setting_get_string(s);
}

/* Like get_string, for values that need a unit: the message shows one. */
static const char *
get_unit_string(struct loader *ld, const config_setting_t *s,
    const char *opt, const char *example)
{
	if (config_setting_type(s) != CONFIG_TYPE_STRING) {
		problem(ld, s, opt, "expected a string with a unit, e.g. \"%s\" (got %s)",
		    example, type_name(s));
		return NULL;
	}
	return config_setting_get_string(s);
}

/* Resolves a path option's value into *out; reports an empty or wrong value. */
static void
get_path(struct loader *ld, const config_setting_t *s, const char *opt,
    char **out)
{
	const char *v = get_string(ld, s, opt);

	if (v == NULL)
		return;
	if (*v == '\0') {
		problem(ld, s, opt, "must not be empty");
		return;
	}
	free(*out);
	*out = resolve_path(ld->cfg->dir, v);
	if (*out == NULL)
		ld->nomem = true;
}

static void
get_duration(struct loader *ld, const config_setting_t *s, const char *opt,
    uint64_t min_ms, uint64_t max_ms, const char *range, uint64_t *out)
{
	char q[QBUF];
	const char *v = get_unit_string(ld, s, opt, "5s");
	uint64_t ms = 0;

	if (v == NULL)
		return;
	switch (duration_parse(v, &ms)) {
	case UNIT_OK:
		if (ms < min_ms || ms > max_ms)
			break;
		*out = ms;
		return;
	case UNIT_NOUNIT:
		problem(ld, s, opt, "invalid duration %s: a unit is required "
		    "(ms, s, m, h, d), e.g. \"5s\"", quote(q, sizeof(q), v));
		return;
	case UNIT_BAD:
		problem(ld, s, opt, "invalid duration %s: expected numbers with "
		    "units ms, s, m, h or d, e.g. \"90s\" or \"1h30m\"",
		    quote(q, sizeof(q), v));
		return;
	case UNIT_RANGE:
		break;
	}
	problem(ld, s, opt, "%s is out of range (%s)", quote(q, sizeof(q), v),
	    range);
}

static void
get_size(struct loader *ld, const config_setting_t *s, const char *opt,
    uint64_t min, uint64_t max, const char *range, uint64_t *out)
{
	char q[QBUF];
	const char *v = get_unit_string(ld, s, opt, "2M");
	uint64_t n = 0;

	if (v == NULL)
		return;
	switch (size_parse(v, &n)) {
	case UNIT_OK:
		if (n < min || n > max)
			break;
		*out = n;
		return;
	case UNIT_NOUNIT:
	case UNIT_BAD:
		problem(ld, s, opt, "invalid size %s: expected a number with an "
		    "optional unit K, M, G or T, e.g. \"2M\"",
		    quote(q, sizeof(q), v));
		return;
	case UNIT_RANGE:
		break;
	}
	problem(ld, s, opt, "%s is out of range (%s)", quote(q, sizeof(q), v),
	    range);
}

static void
opt_state_dir(struct loader *ld, const config_setting_t *s, const char *opt)
{
	get_path(ld, s, opt, &ld->cfg->state_dir);
}

static void
opt_banks(struct loader *ld, const config_setting_t *s, const char *opt)
{
	struct config *cfg = ld->cfg;
	int i, n;

	if (!config_setting_is_array(s) && !config_setting_is_list(s)) {
		problem(ld, s, opt, "expected a list of paths, e.g. "
		    "[ \"questions\" ] (got %s)", type_name(s));
		return;
	}
	n = config_setting_length(s);
	if (n <= 0) {
		problem(ld, s, opt, "must list at least one bank file or directory");
		return;
	}
	cfg->banks = calloc((size_t)n, sizeof(*cfg->banks));
	if (cfg->banks == NULL) {
		ld->nomem = true;
		return;
	}
	for (i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
		char eopt[48];

		snprintf(eopt, sizeof(eopt), "%s[%d]", opt, i);
		get_path(ld, e, eopt, &cfg->banks[cfg->nbanks]);
		if (cfg->banks[cfg->nbanks] != NULL)
			cfg->nbanks++;
	}
}

static void
opt_log_level(struct loader *ld, const config_setting_t *s, const char *opt)
{
	char q[QBUF];
	const char *v = get_string(ld, s, opt);

	if (v != NULL && log_level_parse(v, &ld->cfg->log_level) != 0)
		problem(ld, s, opt, "unknown level %s (debug, info, notice, "
		    "warning, error)", quote(q, sizeof(q), v));
}

static void
opt_busy_timeout(struct loader *ld, const config_setting_t *s, const char *opt)
{
	get_duration(ld, s, opt, 0, 60 * SEC_MS, "0s..60s",
	    &ld->cfg->store.busy_timeout_ms);
}

/* An IANA zone name that loads, copied into *dst (replacing it). */
static void
get_zone(struct loader *ld, const config_setting_t *s, const char *opt, char **dst)
{
	char err[DRILL_ERRLEN] = "";
	const char *v = get_string(ld, s, opt);
	struct tz *tz = NULL;
	int rc;

	if (v == NULL)
		return;
	if ((rc = tz_load(v, &tz, err)) != 0) {
		if (rc == DRILL_ENOMEM)
			ld->nomem = true;
		else
			problem(ld, s, opt, "%s", err);
		return;
	}
	tz_free(tz);
	free(*dst);
	if ((*dst = strdup(v)) == NULL)
		ld->nomem = true;
}

static void
opt_practice_timezone(struct loader *ld, const config_setting_t *s, const char *opt)
{
	get_zone(ld, s, opt, &ld->cfg->practice.timezone);
}

/* A person is "platform:id": a lower-case platform, a colon, a non-empty id, no spaces. */
static bool
valid_person(const char *v)
{
	const char *p = v;

	while (*p >= 'a' && *p <= 'z')
		p++;
	if (p == v || *p != ':' || p[1] == '\0')
		return false;
	for (p++; *p != '\0'; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			return false;
	return true;
}

static void
opt_person(struct loader *ld, const config_setting_t *s, const char *opt)
{
	char q[QBUF];
	const char *v = get_string(ld, s, opt);
	char *copy;

	if (v == NULL)
		return;
	if (!valid_person(v)) {
		problem(ld, s, opt, "invalid person %s: expected \"platform:id\", "
		    "e.g. \"console:local\"", quote(q, sizeof(q), v));
		return;
	}
	copy = strdup(v);
	if (copy == NULL) {
		ld->nomem = true;
		return;
	}
	free(ld->cfg->console.person);
	ld->cfg->console.person = copy;
}

static void
opt_color(struct loader *ld, const config_setting_t *s, const char *opt)
{
	static const char *const names[] = {"auto", "always", "never"};
	static const enum config_color values[] = {
		CONFIG_COLOR_AUTO, CONFIG_COLOR_ALWAYS, CONFIG_COLOR_NEVER
	};
	char q[QBUF];
	const char *v = get_string(ld, s, opt);

	if (v == NULL)
		return;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(v, names[i]) == 0) {
			ld->cfg->console.color = values[i];
			return;
		}
	}
	problem(ld, s, opt, "unknown color %s (auto, always, never)",
	    quote(q, sizeof(q), v));
}

static void
opt_level(struct loader *ld, const config_setting_t *s, const char *opt)
{
	char q[QBUF];
	const char *v = get_string(ld, s, opt);
	int level;

	if (v == NULL)
		return;
	level = vocab_level_parse(v);
	if (level < 0) {
		problem(ld, s, opt, "unknown level %s (%s, %s, %s)",
		    quote(q, sizeof(q), v), vocab_level_name(VOCAB_JUNIOR),
		    vocab_level_name(VOCAB_MID), vocab_level_name(VOCAB_SENIOR));
		return;
	}
	ld->cfg->practice.level = level;
}

static void
opt_max_answer(struct loader *ld, const config_setting_t *s, const char *opt)
{
	get_size(ld, s, opt, KIB, 4 * MIB, "1K..4M",
	    &ld->cfg->practice.max_answer);
}

static void
opt_listen(struct loader *ld, const config_setting_t *s, const char *opt)
{
	struct config *cfg = ld->cfg;
	char q[QBUF], addr[CONFIG_ADDR_MAX];
	const char *v = get_string(ld, s, opt);
	int port = 0;

	if (v == NULL)
		return;
	switch (listen_parse(v, addr, &port)) {
	case UNIT_OK:
		break;
	case UNIT_RANGE:
		problem(ld, s, opt, "invalid port in %s: expected 1 to 65535",
		    quote(q, sizeof(q), v));
		return;
	default:
		problem(ld, s, opt, "invalid address %s: expected a numeric IPv4 "
		    "address, a bracketed IPv6 address or *, a colon and a port, "
		    "e.g. \"127.0.0.1:8080\", \"[::1]:8080\" or \"*:8080\"",
		    quote(q, sizeof(q), v));
		return;
	}
	free(cfg->http.listen);
	free(cfg->http.addr);
	cfg->http.listen = strdup(v);
	cfg->http.addr = addr[0] != '\0' ? strdup(addr) : NULL;
	cfg->http.port = port;
	if (cfg->http.listen == NULL || (addr[0] != '\0' && cfg->http.addr == NULL))
		ld->nomem = true;
}

static void
opt_max_body(struct loader *ld, const config_setting_t *s, const char *opt)
{
	get_size(ld, s, opt, KIB, 64 * MIB, "1K..64M", &ld->cfg->http.max_body);
}

static void
opt_request_timeout(struct loader *ld, const config_setting_t *s,
    const char *opt)
{
	get_duration(ld, s, opt, SEC_MS, 5 * MIN_MS, "1s..5m",
	    &ld->cfg->http.request_timeout_ms);
}

/*
 * Whether the integer written for setting s in the file text is v:
 * libconfig 1.5 wraps an integer too large for 32 bits without a word
 * (5000000000 reads as 705032704), so the digits are read again from
 * the setting's line. True when they cannot be found.
 */
static bool
int_as_written(const struct loader *ld, const config_setting_t *s, long long v)
{
	const char *p = ld->text, *name = config_setting_name(s);
	int line = config_setting_source_line(s);
	size_t nlen;
	long long w;
	char *end;

	if (p == NULL || name == NULL || line < 1)
		return true;
	for (int i = 1; i < line && p != NULL; i++)
		if ((p = strchr(p, '\n')) != NULL)
			p++;
	nlen = strlen(name);
	for (; p != NULL && *p != '\0' && *p != '\n'; p++) {
		if (strncmp(p, name, nlen) != 0)
			continue;
		p += nlen;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p != '=' && *p != ':')
			continue;
		p++;
		errno = 0;
		w = strtoll(p, &end, 0);
		if (end == p)
			return true;
		return errno == 0 && w == v;
	}
	return true;
}

/* A whole number in [min, max]; one too large to read is out of range. */
static void
get_int(struct loader *ld, const config_setting_t *s, const char *opt,
    long long min, long long max, long long *out)
{
	long long v;

	if (config_setting_type(s) != CONFIG_TYPE_INT &&
	    config_setting_type(s) != CONFIG_TYPE_INT64) {
		problem(ld, s, opt, "expected an integer (got %s)", type_name(s));
		return;
	}
	v = config_setting_get_int64(s);
	if (!int_as_written(ld, s, v)) {
		problem(ld, s, opt, "the number is out of range (%lld..%lld)", min, max);
		return;
	}
	if (v < min || v > max) {
		problem(ld, s, opt, "%lld is out of range (%lld..%lld)", v, min, max);
		return;
	}
	*out = v;
}

static void
opt_min_interval(struct loader *ld, const config_setting_t *s, const char *opt)
{
	get_duration(ld, s, opt, 0, HOUR_MS, "0s..1h",
	    &ld->cfg->outbox.min_interval_ms);
}

/* Messages per second over all conversations: a number, 0 for no limit. */
static void
opt_rate(struct loader *ld, const config_setting_t *s, const char *opt)
{
	double v;

	if (config_setting_type(s) == CONFIG_TYPE_FLOAT)
		v = config_setting_get_float(s);
	else if (config_setting_type(s) == CONFIG_TYPE_INT ||
	    config_setting_type(s) == CONFIG_TYPE_INT64)
		v = (double)config_setting_get_int64(s);
	else {
		problem(ld, s, opt, "expected a number (got %s)", type_name(s));
		return;
	}
	if (!(v >= 0 && v <= 1000)) {	/* NaN fails too */
		problem(ld, s, opt, "%g is out of range (0..1000; 0: no limit)", v);
		return;
	}
	ld->cfg->outbox.rate_per_sec = v;
}

static void
opt_burst(struct loader *ld, const config_setting_t *s, const char *opt)
{
	long long v = ld->cfg->outbox.burst;

	get_int(ld, s, opt, 1, 1000, &v);
	ld->cfg->outbox.burst = (unsigned)v;
}

static void
opt_max_attempts(struct loader *ld, const config_setting_t *s, const char *opt)
{
	long long v = ld->cfg->outbox.max_attempts;

	get_int(ld, s, opt, 1, 100, &v);
	ld->cfg->outbox.max_attempts = (int)v;
}

static void
opt_retention_days(struct loader *ld, const config_setting_t *s, const char *opt)
{
	long long v = 0;

	get_int(ld, s, opt, 0, 36500, &v);
	ld->cfg->store.retention_days = (int)v;
}

static void
opt_backoff_base(struct loader *ld, const config_setting_t *s, const char *opt)
{
	get_duration(ld, s, opt, 10, HOUR_MS, "10ms..1h",
	    &ld->cfg->outbox.backoff_base_ms);
}

static void
opt_backoff_cap(struct loader *ld, const config_setting_t *s, const char *opt)
{
	get_duration(ld, s, opt, 10, DAY_MS, "10ms..1d",
	    &ld->cfg->outbox.backoff_cap_ms);
}

static void
opt_retry_after_max(struct loader *ld, const config_setting_t *s,
    const char *opt)
{
	get_duration(ld, s, opt, SEC_MS, DAY_MS, "1s..1d",
	    &ld->cfg->outbox.retry_after_max_ms);
}

static void
opt_drain_timeout(struct loader *ld, const config_setting_t *s,
    const char *opt)
{
	get_duration(ld, s, opt, 0, 5 * MIN_MS, "0s..5m",
	    &ld->cfg->outbox.drain_timeout_ms);
}

/* ---- schedules and admins ---------------------------------------------- */

/* A string list of vocab names into a bit set (parse: vocab_*_parse). */
static void
get_name_set(struct loader *ld, const config_setting_t *s, const char *opt,
    int (*parse)(const char *), const char *what, uint32_t *out)
{
	char q[QBUF], eopt[96];
	int n;

	if (!config_setting_is_array(s) && !config_setting_is_list(s)) {
		problem(ld, s, opt, "expected a list of %s names, e.g. [ \"%s\" ] (got %s)",
		    what, strcmp(what, "topic") == 0 ? "databases" : "technical", type_name(s));
		return;
	}
	n = config_setting_length(s);
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
		const char *v;
		int k;

		snprintf(eopt, sizeof(eopt), "%s[%d]", opt, i);
		if ((v = get_string(ld, e, eopt)) == NULL)
			continue;
		if ((k = parse(v)) < 0 || k >= 32) {
			problem(ld, e, eopt, "unknown %s %s", what, quote(q, sizeof(q), v));
			continue;
		}
		*out |= 1u << k;
	}
}

static void
sopt_conversation(struct loader *ld, const config_setting_t *s, const char *opt)
{
	char q[QBUF];
	const char *v = get_string(ld, s, opt);

	if (v == NULL)
		return;
	if (!valid_person(v)) {
		problem(ld, s, opt, "invalid conversation %s: expected \"platform:id\", "
		    "e.g. \"slack:C0123ABCD\"", quote(q, sizeof(q), v));
		return;
	}
	free(ld->sched->conversation);
	if ((ld->sched->conversation = strdup(v)) == NULL)
		ld->nomem = true;
}

static void
sopt_cron(struct loader *ld, const config_setting_t *s, const char *opt)
{
	char q[QBUF], err[DRILL_ERRLEN] = "";
	const char *v = get_string(ld, s, opt);
	struct cron c;

	if (v == NULL)
		return;
	if (cron_parse(v, &c, err) != 0) {
		problem(ld, s, opt, "invalid schedule %s: %s", quote(q, sizeof(q), v), err);
		return;
	}
	free(ld->sched->cron);
	if ((ld->sched->cron = strdup(v)) == NULL)
		ld->nomem = true;
}

static void
sopt_timezone(struct loader *ld, const config_setting_t *s, const char *opt)
{
	get_zone(ld, s, opt, &ld->sched->timezone);
}

static void
sopt_digest(struct loader *ld, const config_setting_t *s, const char *opt)
{
	char q[QBUF], err[DRILL_ERRLEN] = "";
	const char *v = get_string(ld, s, opt);
	struct cron c;

	if (v == NULL)
		return;
	free(ld->sched->digest);
	ld->sched->digest = NULL;
	if (strcmp(v, "off") == 0)
		return;
	if (cron_parse(v, &c, err) != 0) {
		problem(ld, s, opt, "invalid schedule %s (or \"off\"): %s",
		    quote(q, sizeof(q), v), err);
		return;
	}
	if ((ld->sched->digest = strdup(v)) == NULL)
		ld->nomem = true;
}

static void
sopt_topics(struct loader *ld, const config_setting_t *s, const char *opt)
{
	get_name_set(ld, s, opt, vocab_topic_parse, "topic", &ld->sched->topics);
}

static void
sopt_types(struct loader *ld, const config_setting_t *s, const char *opt)
{
	get_name_set(ld, s, opt, vocab_type_parse, "type", &ld->sched->types);
}

static void
sopt_level(struct loader *ld, const config_setting_t *s, const char *opt)
{
	char q[QBUF];
	const char *v = get_string(ld, s, opt);
	int level;

	if (v == NULL)
		return;
	if ((level = vocab_level_parse(v)) < 0) {
		problem(ld, s, opt, "unknown level %s (%s, %s, %s)", quote(q, sizeof(q), v),
		    vocab_level_name(VOCAB_JUNIOR), vocab_level_name(VOCAB_MID),
		    vocab_level_name(VOCAB_SENIOR));
		return;
	}
	ld->sched->level = level;
}

static void
sopt_reveal_after(struct loader *ld, const config_setting_t *s, const char *opt)
{
	get_duration(ld, s, opt, SEC_MS, 7 * DAY_MS, "1s..7d", &ld->sched->reveal_after_ms);
}

static void
sopt_grace(struct loader *ld, const config_setting_t *s, const char *opt)
{
	get_duration(ld, s, opt, 0, DAY_MS, "0s..1d", &ld->sched->grace_ms);
}

/*
 * One of two words; *is_second is set when v is the second. Returns false
 * (reported, *is_second untouched) for anything else.
 */
static bool
get_choice(struct loader *ld, const config_setting_t *s, const char *opt,
    const char *first, const char *second, bool *is_second)
{
	char q[QBUF];
	const char *v = get_string(ld, s, opt);

	if (v == NULL)
		return false;
	if (strcmp(v, first) == 0) {
		*is_second = false;
	} else if (strcmp(v, second) == 0) {
		*is_second = true;
	} else {
		problem(ld, s, opt, "unknown value %s (%s or %s)", quote(q, sizeof(q), v),
		    first, second);
		return false;
	}
	return true;
}

static void
sopt_feedback(struct loader *ld, const config_setting_t *s, const char *opt)
{
	get_choice(ld, s, opt, "private", "thread", &ld->sched->feedback_thread);
}

static void
sopt_answers(struct loader *ld, const config_setting_t *s, const char *opt)
{
	get_choice(ld, s, opt, "thread", "dm", &ld->sched->answers_dm);
}

/* Dates ("2026-12-25") and .ics files (paths relative to the config). */
static void
sopt_skip_dates(struct loader *ld, const config_setting_t *s, const char *opt)
{
	struct config_schedule *sc = ld->sched;
	char eopt[96], err[DRILL_ERRLEN];
	int n;

	if (!config_setting_is_array(s) && !config_setting_is_list(s)) {
		problem(ld, s, opt, "expected a list of dates and .ics files, e.g. "
		    "[ \"2026-12-25\", \"holidays.ics\" ] (got %s)", type_name(s));
		return;
	}
	n = config_setting_length(s);
	if ((sc->skip_dates = calloc((size_t)n + 1, sizeof(char *))) == NULL) {
		ld->nomem = true;
		return;
	}
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
		struct holiday_set *set;
		const char *v;
		char *path = NULL;
		int rc;

		snprintf(eopt, sizeof(eopt), "%s[%d]", opt, i);
		if ((v = get_string(ld, e, eopt)) == NULL)
			continue;
		if (holiday_new(&set) != 0) {
			ld->nomem = true;
			return;
		}
		err[0] = '\0';
		if (v[0] >= '0' && v[0] <= '9' && strchr(v, '/') == NULL) {
			rc = holiday_add_date(set, v, err);
		} else if ((path = resolve_path(ld->cfg->dir, v)) == NULL) {
			rc = DRILL_ENOMEM;
		} else {
			rc = holiday_load_ics(set, path, err);
		}
		holiday_free(set);
		if (rc == DRILL_ENOMEM) {
			free(path);
			ld->nomem = true;
			return;
		}
		if (rc != 0) {
			problem(ld, e, eopt, "%s", err[0] != '\0' ? err : "not a date or a calendar");
			free(path);
			continue;
		}
		if (path == NULL && (path = strdup(v)) == NULL) {
			ld->nomem = true;
			return;
		}
		sc->skip_dates[sc->nskip_dates++] = path;
	}
}

static const struct option schedule_options[] = {
	{"conversation", sopt_conversation, NULL, true},
	{"cron", sopt_cron, NULL, true},
	{"timezone", sopt_timezone, NULL, false},
	{"topics", sopt_topics, NULL, false},
	{"types", sopt_types, NULL, false},
	{"level", sopt_level, NULL, false},
	{"reveal_after", sopt_reveal_after, NULL, false},
	{"feedback", sopt_feedback, NULL, false},
	{"answers", sopt_answers, NULL, false},
	{"skip_dates", sopt_skip_dates, NULL, false},
	{"grace", sopt_grace, NULL, false},
	{"digest", sopt_digest, NULL, false},
	{NULL, NULL, NULL, false}
};

static void check_group(struct loader *ld, const config_setting_t *g,
    const char *prefix, const struct option *opts);

static void
opt_schedules(struct loader *ld, const config_setting_t *s, const char *opt)
{
	struct config *cfg = ld->cfg;
	char eopt[48], q[QBUF];
	int n;

	if (!config_setting_is_list(s)) {
		problem(ld, s, opt, "expected a list of groups, e.g. ( { conversation = "
		    "\"slack:C0123ABCD\"; cron = \"30 9 * * mon-fri\"; } ) (got %s)",
		    type_name(s));
		return;
	}
	n = config_setting_length(s);
	if (n == 0)
		return;
	if ((cfg->schedules = calloc((size_t)n, sizeof(*cfg->schedules))) == NULL) {
		ld->nomem = true;
		return;
	}
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
		struct config_schedule *sc = &cfg->schedules[cfg->nschedules++];

		snprintf(eopt, sizeof(eopt), "%s[%d]", opt, i);
		sc->level = -1;
		sc->reveal_after_ms = 4 * HOUR_MS;
		sc->grace_ms = 2 * HOUR_MS;
		sc->line = config_setting_source_line(e);
		if ((sc->digest = strdup("0 16 * * fri")) == NULL) {
			ld->nomem = true;
			return;
		}
		if (!config_setting_is_group(e)) {
			problem(ld, e, eopt, "expected a group { conversation = ...; cron = ...; } "
			    "(got %s)", type_name(e));
			continue;
		}
		ld->sched = sc;
		check_group(ld, e, eopt, schedule_options);
		ld->sched = NULL;
		if (sc->answers_dm && sc->feedback_thread)
			problem(ld, e, eopt, "feedback = \"thread\" with answers = \"dm\": "
			    "answers given privately get their feedback privately (leave "
			    "feedback out, or answer in the thread)");
		if (sc->timezone == NULL && (sc->timezone = strdup("UTC")) == NULL) {
			ld->nomem = true;
			return;
		}
		for (int j = 0; j < i && sc->conversation != NULL; j++) {
			if (cfg->schedules[j].conversation != NULL &&
			    strcmp(cfg->schedules[j].conversation, sc->conversation) == 0) {
				problem(ld, e, eopt, "a second schedule for %s (one per "
				    "conversation; a cron list such as \"30 9 * * mon,thu\" "
				    "covers several days)", quote(q, sizeof(q), sc->conversation));
				break;
			}
		}
	}
}

static void
opt_admins(struct loader *ld, const config_setting_t *s, const char *opt)
{
	struct config *cfg = ld->cfg;
	char eopt[48], q[QBUF];
	int n;

	if (!config_setting_is_array(s) && !config_setting_is_list(s)) {
		problem(ld, s, opt, "expected a list of people, e.g. [ \"slack:U0123ABCD\" ] "
		    "(got %s)", type_name(s));
		return;
	}
	n = config_setting_length(s);
	if ((cfg->admins = calloc((size_t)n + 1, sizeof(char *))) == NULL) {
		ld->nomem = true;
		return;
	}
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
		const char *v;

		snprintf(eopt, sizeof(eopt), "%s[%d]", opt, i);
		if ((v = get_string(ld, e, eopt)) == NULL)
			continue;
		if (!valid_person(v)) {
			problem(ld, e, eopt, "invalid person %s: expected \"platform:id\", "
			    "e.g. \"slack:U0123ABCD\"", quote(q, sizeof(q), v));
			continue;
		}
		if ((cfg->admins[cfg->nadmins] = strdup(v)) == NULL) {
			ld->nomem = true;
			return;
		}
		cfg->nadmins++;
	}
}

/* ---- secrets ----------------------------------------------------------- */

static const struct secret {
	const char *group;	/* the group it is in */
	const char *name;	/* the option; name_file is its file */
	const char *env;	/* the environment variable */
	const char *prefix;	/* what it starts with, or NULL */
	const char *what;	/* for "is not a bot token" */
	bool phrase;		/* a password: spaces and non-ASCII bytes allowed */
} secrets[SECRET_N] = {
	{"slack", "bot_token", "DRILLD_SLACK_BOT_TOKEN", "xoxb-", "a bot token", false},
	{"slack", "app_token", "DRILLD_SLACK_APP_TOKEN", "xapp-", "an app-level token",
	    false},
	{"slack", "signing_secret", "DRILLD_SLACK_SIGNING_SECRET", NULL, "a signing secret",
	    false},
	{"matrix", "access_token", "DRILLD_MATRIX_ACCESS_TOKEN", NULL, "an access token",
	    false},
	{"matrix", "password", "DRILLD_MATRIX_PASSWORD", NULL, "a password", true},
	{"matrix", "as_token", "DRILLD_MATRIX_AS_TOKEN", NULL, "an application service token",
	    false},
	{"matrix", "hs_token", "DRILLD_MATRIX_HS_TOKEN", NULL, "a homeserver token", false}
};

/* Wipes and frees a secret; NULL is fine. */
static void
free_secret(char *s)
{
	if (s == NULL)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

static void
get_bool(struct loader *ld, const config_setting_t *s, const char *opt,
    bool *out)
{
	if (config_setting_type(s) != CONFIG_TYPE_BOOL) {
		problem(ld, s, opt, "expected true or false (got %s)", type_name(s));
		return;
	}
	*out = config_setting_get_bool(s) != 0;
}

/*
 * A secret or its *_file (opt is "slack.bot_token", "matrix.password_file",
 * ...): only the type is checked here, whether the group is enabled or
 * not; check_slack and check_matrix read the ones they need once every
 * option is known.
 */
static void
opt_secret(struct loader *ld, const config_setting_t *s, const char *opt)
{
	if (get_string(ld, s, opt) == NULL)
		return;
	for (size_t i = 0; i < SECRET_N; i++) {
		size_t g = strlen(secrets[i].group), n = strlen(secrets[i].name);

		if (strncmp(opt, secrets[i].group, g) != 0 || opt[g] != '.' ||
		    strncmp(opt + g + 1, secrets[i].name, n) != 0)
			continue;
		if (opt[g + 1 + n] == '\0')
			ld->secret.value[i] = s;
		else if (strcmp(opt + g + 1 + n, "_file") == 0)
			ld->secret.file[i] = s;
	}
}

/*
 * Checks a secret's bytes p[0..len) from wherever it came (subject names
 * the place: "the value", "the file \"/run/...\"", "the environment
 * variable ..."). Reports at s/opt and returns false when it is empty,
 * too long, more than a line, holds a control byte, lacks its prefix, or,
 * for a token (not a password), holds a space or a non-ASCII byte: it goes
 * into HTTP headers as it is. Never quotes the secret.
 */
static bool
secret_ok(struct loader *ld, const config_setting_t *s, const char *opt,
    const char *subject, const struct secret *sec, const char *p, size_t len)
{
	if (len == 0) {
		problem(ld, s, opt, "%s is empty", subject);
		return false;
	}
	if (len > SECRET_MAX) {
		problem(ld, s, opt, "%s is longer than %d bytes", subject, SECRET_MAX);
		return false;
	}
	if (memchr(p, '\n', len) != NULL) {
		problem(ld, s, opt, "%s has more than one line", subject);
		return false;
	}
	for (size_t i = 0; i < len; i++) {
		if ((unsigned char)p[i] < ' ' || p[i] == 0x7f) {
			problem(ld, s, opt, "%s contains a control character", subject);
			return false;
		}
	}
	for (size_t i = 0; i < len && !sec->phrase; i++) {
		if (p[i] == ' ' || (unsigned char)p[i] > 0x7f) {
			problem(ld, s, opt, "%s contains a space or a non-ASCII byte "
			    "(a token has neither)", subject);
			return false;
		}
	}
	if (sec->prefix != NULL && (len < strlen(sec->prefix) ||
	    memcmp(p, sec->prefix, strlen(sec->prefix)) != 0)) {
		problem(ld, s, opt, "%s is not %s: it must start with \"%s\"", subject,
		    sec->what, sec->prefix);
		return false;
	}
	return true;
}

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
	    c == '\f';
}

/*
 * Reads the secret in the file of *_file setting s into *out (the caller
 * frees it with free_secret): a regular file of at most SECRET_MAX bytes,
 * blanks around it (the final newline) stripped, then checked by
 * secret_ok. Relative names resolve under $CREDENTIALS_DIRECTORY when set,
 * else against the config's directory. Problems name the path, never the
 * content; the buffer is wiped.
 */
static void
secret_from_file(struct loader *ld, const config_setting_t *s, const char *opt,
    const struct secret *sec, char **out)
{
	const char *v = config_setting_get_string(s);
	const char *cred = getenv("CREDENTIALS_DIRECTORY");
	char buf[SECRET_MAX + 1], q[PQBUF], subject[PQBUF + 16];
	size_t len = 0, start = 0;
	struct stat st;
	char *path;
	int fd;

	if (*v == '\0') {
		problem(ld, s, opt, "must not be empty");
		return;
	}
	path = resolve_path(cred != NULL && *cred != '\0' ? cred : ld->cfg->dir, v);
	if (path == NULL) {
		ld->nomem = true;
		return;
	}
	quote_max(q, sizeof(q), path, PATH_QUOTE_MAX);
	snprintf(subject, sizeof(subject), "the file %s", q);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		problem(ld, s, opt, "cannot read %s: %s", q, strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		problem(ld, s, opt, "%s is not a regular file", subject);
		goto out;
	}
	for (;;) {
		ssize_t r = read(fd, buf + len, sizeof(buf) - len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			problem(ld, s, opt, "cannot read %s: %s", q, strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		len += (size_t)r;
		if (len == sizeof(buf)) {
			problem(ld, s, opt, "%s is larger than %d bytes", subject,
			    SECRET_MAX);
			goto out;
		}
	}
	while (len > 0 && is_blank(buf[len - 1]))
		len--;
	while (start < len && is_blank(buf[start]))
		start++;
	if (!secret_ok(ld, s, opt, subject, sec, buf + start, len - start))
		goto out;
	if ((*out = strndup(buf + start, len - start)) == NULL)
		ld->nomem = true;
out:
	explicit_bzero(buf, sizeof(buf));
	if (fd >= 0)
		close(fd);
	free(path);
}

/* What load_secret found. */
enum secret_result { SECRET_ABSENT, SECRET_LOADED, SECRET_BAD };

/*
 * Takes secret i from its one place: the value in the file, its *_file or
 * its environment variable (set but empty counts as unset). Two or three
 * places is a problem naming them; a problem with the environment's is
 * reported at the group g. Sets *out when SECRET_LOADED.
 */
static enum secret_result
load_secret(struct loader *ld, const config_setting_t *g, size_t i, char **out)
{
	const struct secret *sec = &secrets[i];
	const config_setting_t *vs = ld->secret.value[i], *fs = ld->secret.file[i];
	const char *env = getenv(sec->env), *v;
	char opt[48], fopt[48], subject[96];

	if (env != NULL && *env == '\0')
		env = NULL;
	snprintf(opt, sizeof(opt), "%s.%s", sec->group, sec->name);
	snprintf(fopt, sizeof(fopt), "%s.%s_file", sec->group, sec->name);
	if (vs == NULL && fs == NULL && env == NULL)
		return SECRET_ABSENT;
	if (vs != NULL && fs != NULL && env != NULL) {
		problem(ld, vs, opt, "comes from three places, %s, %s and the "
		    "environment variable %s: keep one", opt, fopt, sec->env);
		return SECRET_BAD;
	}
	if (vs != NULL && fs != NULL) {
		problem(ld, vs, opt, "comes from two places, %s and %s: keep one",
		    opt, fopt);
		return SECRET_BAD;
	}
	if ((vs != NULL || fs != NULL) && env != NULL) {
		problem(ld, vs != NULL ? vs : fs, vs != NULL ? opt : fopt,
		    "comes from two places, %s and the environment variable %s: "
		    "keep one", vs != NULL ? opt : fopt, sec->env);
		return SECRET_BAD;
	}
	if (fs != NULL) {
		secret_from_file(ld, fs, fopt, sec, out);
		return *out != NULL ? SECRET_LOADED : SECRET_BAD;
	}
	if (vs != NULL) {
		v = config_setting_get_string(vs);
		if (!secret_ok(ld, vs, opt, "the value", sec, v, strlen(v)))
			return SECRET_BAD;
	} else {
		v = env;
		snprintf(subject, sizeof(subject), "the environment variable %s",
		    sec->env);
		if (!secret_ok(ld, g, opt, subject, sec, v, strlen(v)))
			return SECRET_BAD;
	}
	if ((*out = strdup(v)) == NULL) {
		ld->nomem = true;
		return SECRET_BAD;
	}
	return SECRET_LOADED;
}

/* Reports secret i missing at the group g; why says when it is needed. */
static void
secret_missing(struct loader *ld, const config_setting_t *g, size_t i,
    const char *why)
{
	const struct secret *sec = &secrets[i];
	char opt[48];

	snprintf(opt, sizeof(opt), "%s.%s", sec->group, sec->name);
	problem(ld, g, opt, "required %s: give %s_file, the environment "
	    "variable %s or %s", why, opt, sec->env, opt);
}

/* ---- URLs and Matrix names --------------------------------------------- */

/*
 * Whether p[0..len) is a server name as Matrix has them: a DNS name
 * (letters, digits, '-' and '.', no empty label), a numeric IPv4 address
 * or a numeric IPv6 address in brackets, then an optional ":port" (1 to
 * 65535). Also the host of the URL options. The caller limits the length.
 */
static bool
valid_server(const char *p, size_t len)
{
	char host[CONFIG_ADDR_MAX];
	unsigned char bin[16];
	size_t h = 0;
	long port = 0;

	if (len == 0)
		return false;
	if (p[0] == '[') {
		const char *end = memchr(p, ']', len);

		if (end == NULL || (size_t)(end - p) - 1 >= sizeof(host))
			return false;
		memcpy(host, p + 1, (size_t)(end - p) - 1);
		host[end - p - 1] = '\0';
		if (inet_pton(AF_INET6, host, bin) != 1)
			return false;
		h = (size_t)(end - p) + 1;
	} else {
		for (; h < len && p[h] != ':'; h++) {
			char c = p[h];

			if (c == '.' ? h == 0 || p[h - 1] == '.' :
			    !(is_digit(c) || c == '-' || (lower(c) >= 'a' && lower(c) <= 'z')))
				return false;
		}
		if (h == 0 || p[h - 1] == '.')
			return false;
	}
	if (h == len)
		return true;
	if (p[h] != ':' || h + 1 == len || len - h - 1 > 5)
		return false;
	for (size_t i = h + 1; i < len; i++) {
		if (!is_digit(p[i]))
			return false;
		port = port * 10 + (p[i] - '0');
	}
	return port >= 1 && port <= 65535;
}

/*
 * A Matrix user id: "@", a localpart of printable ASCII without ':' (the
 * historical grammar, which holds today's [a-z0-9._=/+-]), ':' and a
 * server name; USER_ID_MAX bytes at most.
 */
static bool
valid_user_id(const char *v)
{
	const char *colon;
	size_t len = strlen(v);

	if (len > USER_ID_MAX || v[0] != '@' || (colon = strchr(v, ':')) == NULL ||
	    colon == v + 1)
		return false;
	for (const char *p = v + 1; p < colon; p++)
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f)
			return false;
	return valid_server(colon + 1, len - (size_t)(colon - v) - 1);
}

/*
 * A base URL option: "http://" or "https://", a host as valid_server has
 * them, an optional path; no query or fragment (paths are appended to it;
 * why_no_query says which), no blanks or control bytes, at most URL_MAX
 * bytes as written. Returns the value (borrowed from s) or NULL, reported.
 * example shows a good one.
 */
static const char *
get_url(struct loader *ld, const config_setting_t *s, const char *opt,
    const char *example, const char *why_no_query)
{
	char q[QBUF];
	const char *v = get_string(ld, s, opt), *host = NULL;
	size_t len;

	if (v == NULL)
		return NULL;
	len = strlen(v);
	if (len > URL_MAX) {
		problem(ld, s, opt, "longer than %d bytes", URL_MAX);
		return NULL;
	}
	for (size_t i = 0; i < len; i++) {
		if ((unsigned char)v[i] <= ' ' || v[i] == 0x7f) {
			problem(ld, s, opt, "invalid URL %s: it contains a space or a "
			    "control character", quote(q, sizeof(q), v));
			return NULL;
		}
	}
	if (strncmp(v, "https://", 8) == 0)
		host = v + 8;
	else if (strncmp(v, "http://", 7) == 0)
		host = v + 7;
	if (host == NULL || !valid_server(host, strcspn(host, "/?#"))) {
		problem(ld, s, opt, "invalid URL %s: expected \"https://\" or \"http://\" "
		    "and a host, e.g. \"%s\"", quote(q, sizeof(q), v), example);
		return NULL;
	}
	if (strpbrk(v, "?#") != NULL) {
		problem(ld, s, opt, "invalid URL %s: no query or fragment, please "
		    "(%s)", quote(q, sizeof(q), v), why_no_query);
		return NULL;
	}
	return v;
}

/* ---- slack ------------------------------------------------------------- */

static void
opt_slack_enabled(struct loader *ld, const config_setting_t *s, const char *opt)
{
	get_bool(ld, s, opt, &ld->cfg->slack.enabled);
}

static void
opt_slack_mode(struct loader *ld, const config_setting_t *s, const char *opt)
{
	bool events = !ld->cfg->slack.socket_mode;

	ld->slack_mode.setting = s;
	ld->slack_mode.bad = !get_choice(ld, s, opt, "socket", "events", &events);
	ld->cfg->slack.socket_mode = !events;
}

/* The Web API's base (get_url); a '/' is appended when missing. */
static void
opt_slack_api_url(struct loader *ld, const config_setting_t *s, const char *opt)
{
	const char *v = get_url(ld, s, opt, "https://slack.com/api/",
	    "Web API method names are appended to it");
	char *url;

	if (v == NULL)
		return;
	url = v[strlen(v) - 1] == '/' ? strdup(v) : xasprintf("%s/", v);
	if (url == NULL) {
		ld->nomem = true;
		return;
	}
	free(ld->cfg->slack.api_url);
	ld->cfg->slack.api_url = url;
}

static void
opt_slack_connections(struct loader *ld, const config_setting_t *s,
    const char *opt)
{
	long long v = ld->cfg->slack.connections;

	get_int(ld, s, opt, 1, 10, &v);
	ld->cfg->slack.connections = (int)v;
}

/*
 * The cross-checks of an enabled slack group, once every option is read:
 * the secrets the mode needs (read from their files or the environment
 * here), and the HTTP server the Events API posts to. A disabled group's
 * options were only checked one by one, and no secret is read.
 */
static void
check_slack(struct loader *ld, config_t *lc)
{
	struct config *cfg = ld->cfg;
	const config_setting_t *g = config_lookup(lc, "slack");

	if (!cfg->slack.enabled || g == NULL)
		return;
	if (ld->no_secrets) {
		/* only what does not read a secret */
		if (!ld->slack_mode.bad && !cfg->slack.socket_mode &&
		    cfg->http.listen == NULL && config_lookup(lc, "http.listen") == NULL)
			problem(ld, ld->slack_mode.setting, "slack.mode", "slack.mode = "
			    "\"events\" needs http.listen: Slack posts events to drilld's "
			    "HTTP server");
		return;
	}
	if (load_secret(ld, g, SECRET_SLACK_BOT, &cfg->slack.bot_token) == SECRET_ABSENT)
		secret_missing(ld, g, SECRET_SLACK_BOT, "when slack.enabled is true");
	if (ld->slack_mode.bad)
		return;
	if (cfg->slack.socket_mode) {
		if (load_secret(ld, g, SECRET_SLACK_APP, &cfg->slack.app_token) ==
		    SECRET_ABSENT)
			secret_missing(ld, g, SECRET_SLACK_APP, "in Socket Mode (slack.mode = "
			    "\"socket\", the default)");
		return;
	}
	/* an http.listen that is there but wrong is reported already */
	if (cfg->http.listen == NULL && config_lookup(lc, "http.listen") == NULL)
		problem(ld, ld->slack_mode.setting, "slack.mode", "slack.mode = \"events\" "
		    "needs http.listen: Slack posts events to drilld's HTTP server");
	if (load_secret(ld, g, SECRET_SLACK_SIGNING, &cfg->slack.signing_secret) ==
	    SECRET_ABSENT)
		secret_missing(ld, g, SECRET_SLACK_SIGNING, "with slack.mode = \"events\"");
}

static const struct option slack_options[] = {
	{"enabled", opt_slack_enabled, NULL, false},
	{"mode", opt_slack_mode, NULL, false},
	{"bot_token", opt_secret, NULL, false},
	{"bot_token_file", opt_secret, NULL, false},
	{"app_token", opt_secret, NULL, false},
	{"app_token_file", opt_secret, NULL, false},
	{"signing_secret", opt_secret, NULL, false},
	{"signing_secret_file", opt_secret, NULL, false},
	{"api_url", opt_slack_api_url, NULL, false},
	{"connections", opt_slack_connections, NULL, false},
	{NULL, NULL, NULL, false}
};

/* ---- matrix ------------------------------------------------------------ */

static void
opt_matrix_enabled(struct loader *ld, const config_setting_t *s, const char *opt)
{
	get_bool(ld, s, opt, &ld->cfg->matrix.enabled);
}

static void
opt_matrix_mode(struct loader *ld, const config_setting_t *s, const char *opt)
{
	ld->matrix_mode.setting = s;
	ld->matrix_mode.bad = !get_choice(ld, s, opt, "client", "appservice",
	    &ld->cfg->matrix.appservice);
}

/* A Matrix base URL (get_url) into *dst, its trailing '/'s removed. */
static void
get_matrix_url(struct loader *ld, const config_setting_t *s, const char *opt,
    const char *example, char **dst)
{
	const char *v = get_url(ld, s, opt, example,
	    "API paths are appended to it");
	size_t len;

	if (v == NULL)
		return;
	for (len = strlen(v); v[len - 1] == '/'; len--)
		;	/* stops at the host, which is not empty */
	free(*dst);
	if ((*dst = strndup(v, len)) == NULL)
		ld->nomem = true;
}

static void
opt_matrix_homeserver(struct loader *ld, const config_setting_t *s, const char *opt)
{
	get_matrix_url(ld, s, opt, "https://matrix.example.org",
	    &ld->cfg->matrix.homeserver);
}

static void
opt_matrix_appservice_url(struct loader *ld, const config_setting_t *s,
    const char *opt)
{
	get_matrix_url(ld, s, opt, "http://127.0.0.1:8080",
	    &ld->cfg->matrix.appservice_url);
}

static void
opt_matrix_user_id(struct loader *ld, const config_setting_t *s, const char *opt)
{
	char q[QBUF];
	const char *v = get_string(ld, s, opt);

	if (v == NULL)
		return;
	if (!valid_user_id(v)) {
		problem(ld, s, opt, "invalid user id %s: expected \"@localpart:server\" "
		    "of at most %d bytes, e.g. \"@drilld:example.org\"",
		    quote(q, sizeof(q), v), USER_ID_MAX);
		return;
	}
	free(ld->cfg->matrix.user_id);
	if ((ld->cfg->matrix.user_id = strdup(v)) == NULL)
		ld->nomem = true;
}

static void
opt_matrix_appservice_id(struct loader *ld, const config_setting_t *s,
    const char *opt)
{
	char q[QBUF];
	const char *v = get_string(ld, s, opt);
	size_t n;

	if (v == NULL)
		return;
	n = strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789._-");
	if (n == 0 || n > APPSERVICE_ID_MAX || v[n] != '\0') {
		problem(ld, s, opt, "invalid id %s: expected 1 to %d letters, digits, "
		    "'.', '_' or '-', e.g. \"drilld\"", quote(q, sizeof(q), v),
		    APPSERVICE_ID_MAX);
		return;
	}
	free(ld->cfg->matrix.appservice_id);
	if ((ld->cfg->matrix.appservice_id = strdup(v)) == NULL)
		ld->nomem = true;
}

/* Who may invite the bot: "*", server names and user ids; [] is nobody. */
static void
opt_matrix_auto_join(struct loader *ld, const config_setting_t *s,
    const char *opt)
{
	struct config *cfg = ld->cfg;
	char eopt[48], q[QBUF];
	int n;

	ld->auto_join_seen = true;
	if (!config_setting_is_array(s) && !config_setting_is_list(s)) {
		problem(ld, s, opt, "expected a list, e.g. [ \"example.org\", "
		    "\"@ann:example.org\" ] or [ \"*\" ] (got %s)", type_name(s));
		return;
	}
	n = config_setting_length(s);
	if ((cfg->matrix.auto_join = calloc((size_t)n + 1, sizeof(char *))) == NULL) {
		ld->nomem = true;
		return;
	}
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
		const char *v;

		snprintf(eopt, sizeof(eopt), "%s[%d]", opt, i);
		if ((v = get_string(ld, e, eopt)) == NULL)
			continue;
		if (strcmp(v, "*") != 0 && !(v[0] == '@' ? valid_user_id(v) :
		    strlen(v) <= SERVER_MAX && valid_server(v, strlen(v)))) {
			problem(ld, e, eopt, "invalid entry %s: expected \"*\" (anyone), a "
			    "server name (\"example.org\") or a user id "
			    "(\"@ann:example.org\")", quote(q, sizeof(q), v));
			continue;
		}
		if ((cfg->matrix.auto_join[cfg->matrix.nauto_join] = strdup(v)) == NULL) {
			ld->nomem = true;
			return;
		}
		cfg->matrix.nauto_join++;
	}
}

/*
 * The defaults that come from other options: auto_join from user_id's
 * server, appservice_url from http.listen (a wildcard or unspecified
 * address is reached on the loopback address of its family).
 */
static void
matrix_defaults(struct loader *ld)
{
	struct config *cfg = ld->cfg;
	unsigned char bin[16];
	static const unsigned char zero[16];

	if (!ld->auto_join_seen && cfg->matrix.user_id != NULL) {
		if ((cfg->matrix.auto_join = calloc(2, sizeof(char *))) == NULL ||
		    (cfg->matrix.auto_join[0] =
		    strdup(strchr(cfg->matrix.user_id, ':') + 1)) == NULL) {
			ld->nomem = true;
			return;
		}
		cfg->matrix.nauto_join = 1;
	}
	if (cfg->matrix.appservice_url == NULL && cfg->http.listen != NULL) {
		const char *a = cfg->http.addr;
		int port = cfg->http.port;

		if (a == NULL)
			cfg->matrix.appservice_url = xasprintf("http://127.0.0.1:%d", port);
		else if (strchr(a, ':') == NULL)
			cfg->matrix.appservice_url = xasprintf("http://%s:%d",
			    inet_pton(AF_INET, a, bin) == 1 && memcmp(bin, zero, 4) == 0 ?
			    "127.0.0.1" : a, port);
		else
			cfg->matrix.appservice_url = xasprintf("http://[%s]:%d",
			    inet_pton(AF_INET6, a, bin) == 1 && memcmp(bin, zero, 16) == 0 ?
			    "::1" : a, port);
		if (cfg->matrix.appservice_url == NULL)
			ld->nomem = true;
	}
}

/* Where a secret's problem belongs: its value's or file's line, else the group's. */
static const config_setting_t *
secret_setting(const struct loader *ld, size_t i, const config_setting_t *g)
{
	if (ld->secret.value[i] != NULL)
		return ld->secret.value[i];
	return ld->secret.file[i] != NULL ? ld->secret.file[i] : g;
}

/*
 * The defaults that depend on other options, then the cross-checks of an
 * enabled matrix group: homeserver and user_id present, the HTTP server an
 * application service is pushed to, and the secrets the mode needs (read
 * here). A disabled group's options were only checked one by one, and no
 * secret is read.
 */
static void
check_matrix(struct loader *ld, config_t *lc)
{
	struct config *cfg = ld->cfg;
	const config_setting_t *g = config_lookup(lc, "matrix");
	enum secret_result token, password;

	matrix_defaults(ld);
	if (!cfg->matrix.enabled || g == NULL)
		return;
	/* one that is there but wrong is reported already */
	if (config_lookup(lc, "matrix.homeserver") == NULL)
		problem(ld, g, "matrix.homeserver", "required when matrix.enabled is "
		    "true: the homeserver's base URL, e.g. \"https://matrix.example.org\"");
	if (config_lookup(lc, "matrix.user_id") == NULL)
		problem(ld, g, "matrix.user_id", "required when matrix.enabled is true: "
		    "the bot's user id, e.g. \"@drilld:example.org\"");
	if (ld->matrix_mode.bad)
		return;
	if (cfg->matrix.appservice && cfg->http.listen == NULL &&
	    config_lookup(lc, "http.listen") == NULL)
		problem(ld, ld->matrix_mode.setting, "matrix.mode", "matrix.mode = "
		    "\"appservice\" needs http.listen: the homeserver pushes events to "
		    "drilld's HTTP server");
	if (ld->no_secrets)
		return;
	if (!cfg->matrix.appservice) {
		token = load_secret(ld, g, SECRET_MATRIX_ACCESS, &cfg->matrix.access_token);
		password = load_secret(ld, g, SECRET_MATRIX_PASSWORD, &cfg->matrix.password);
		if (token == SECRET_ABSENT && password == SECRET_ABSENT)
			problem(ld, g, "matrix.access_token", "client mode (matrix.mode = "
			    "\"client\", the default) needs an access token or a password: "
			    "give matrix.access_token_file, the environment variable "
			    "DRILLD_MATRIX_ACCESS_TOKEN or matrix.access_token, or "
			    "matrix.password_file, DRILLD_MATRIX_PASSWORD or matrix.password");
		return;
	}
	if (load_secret(ld, g, SECRET_MATRIX_AS, &cfg->matrix.as_token) == SECRET_ABSENT)
		secret_missing(ld, g, SECRET_MATRIX_AS, "with matrix.mode = \"appservice\"");
	if (load_secret(ld, g, SECRET_MATRIX_HS, &cfg->matrix.hs_token) == SECRET_ABSENT)
		secret_missing(ld, g, SECRET_MATRIX_HS, "with matrix.mode = \"appservice\"");
	if (cfg->matrix.as_token != NULL && cfg->matrix.hs_token != NULL &&
	    strcmp(cfg->matrix.as_token, cfg->matrix.hs_token) == 0)
		problem(ld, secret_setting(ld, SECRET_MATRIX_HS, g), "matrix.hs_token",
		    "the same as matrix.as_token: give each its own random value (the "
		    "homeserver proves itself with hs_token, drilld with as_token)");
}

static const struct option matrix_options[] = {
	{"enabled", opt_matrix_enabled, NULL, false},
	{"mode", opt_matrix_mode, NULL, false},
	{"homeserver", opt_matrix_homeserver, NULL, false},
	{"user_id", opt_matrix_user_id, NULL, false},
	{"access_token", opt_secret, NULL, false},
	{"access_token_file", opt_secret, NULL, false},
	{"password", opt_secret, NULL, false},
	{"password_file", opt_secret, NULL, false},
	{"as_token", opt_secret, NULL, false},
	{"as_token_file", opt_secret, NULL, false},
	{"hs_token", opt_secret, NULL, false},
	{"hs_token_file", opt_secret, NULL, false},
	{"appservice_id", opt_matrix_appservice_id, NULL, false},
	{"appservice_url", opt_matrix_appservice_url, NULL, false},
	{"auto_join", opt_matrix_auto_join, NULL, false},
	{NULL, NULL, NULL, false}
};

static const struct option store_options[] = {
	{"busy_timeout", opt_busy_timeout, NULL, false},
	{"retention_days", opt_retention_days, NULL, false},
	{NULL, NULL, NULL, false}
};

static const struct option console_options[] = {
	{"person", opt_person, NULL, false},
	{"color", opt_color, NULL, false},
	{NULL, NULL, NULL, false}
};

static const struct option practice_options[] = {
	{"level", opt_level, NULL, false},
	{"timezone", opt_practice_timezone, NULL, false},
	{"max_answer", opt_max_answer, NULL, false},
	{NULL, NULL, NULL, false}
};

static const struct option http_options[] = {
	{"listen", opt_listen, NULL, false},
	{"max_body", opt_max_body, NULL, false},
	{"request_timeout", opt_request_timeout, NULL, false},
	{NULL, NULL, NULL, false}
};

static const struct option outbox_options[] = {
	{"min_interval", opt_min_interval, NULL, false},
	{"rate", opt_rate, NULL, false},
	{"burst", opt_burst, NULL, false},
	{"max_attempts", opt_max_attempts, NULL, false},
	{"backoff_base", opt_backoff_base, NULL, false},
	{"backoff_cap", opt_backoff_cap, NULL, false},
	{"retry_after_max", opt_retry_after_max, NULL, false},
	{"drain_timeout", opt_drain_timeout, NULL, false},
	{NULL, NULL, NULL, false}
};

static const struct option root_options[] = {
	{"state_dir", opt_state_dir, NULL, true},
	{"banks", opt_banks, NULL, true},
	{"log_level", opt_log_level, NULL, false},
	{"store", NULL, store_options, false},
	{"console", NULL, console_options, false},
	{"practice", NULL, practice_options, false},
	{"http", NULL, http_options, false},
	{"outbox", NULL, outbox_options, false},
	{"slack", NULL, slack_options, false},
	{"matrix", NULL, matrix_options, false},
	{"schedules", opt_schedules, NULL, false},
	{"admins", opt_admins, NULL, false},
	{NULL, NULL, NULL, false}
};

/*
 * Checks every setting of group g against opts (prefix is the group's
 * dotted name, NULL at the top): unknown names, wrong kinds and bad values
 * are reported and checking goes on; required options that are absent are
 * reported last, without a line.
 */
static void
check_group(struct loader *ld, const config_setting_t *g, const char *prefix,
    const struct option *opts)
{
	unsigned long seen = 0;
	int i, n = config_setting_length(g);

	for (i = 0; i < n; i++) {
		const config_setting_t *s = config_setting_get_elem(g, (unsigned)i);
		const char *name = config_setting_name(s);
		size_t k;
		char *opt;

		opt = prefix != NULL ? xasprintf("%s.%s", prefix, name) :
		    strdup(name);
		if (opt == NULL) {
			ld->nomem = true;
			return;
		}
		for (k = 0; opts[k].name != NULL; k++)
			if (strcmp(opts[k].name, name) == 0)
				break;
		if (opts[k].name == NULL) {
			problem(ld, s, opt, "unknown option");
		} else if (opts[k].sub != NULL) {
			if (config_setting_is_group(s))
				check_group(ld, s, opt, opts[k].sub);
			else
				problem(ld, s, opt, "expected a group, e.g. "
				    "%s { ... } (got %s)", name, type_name(s));
		} else {
			opts[k].check(ld, s, opt);
		}
		if (opts[k].name != NULL)
			seen |= 1UL << k;
		free(opt);
	}
	for (size_t k = 0; opts[k].name != NULL; k++) {
		if (opts[k].required && !(seen & (1UL << k))) {
			char *opt = prefix != NULL ?
			    xasprintf("%s.%s", prefix, opts[k].name) :
			    strdup(opts[k].name);

			if (opt == NULL) {
				ld->nomem = true;
				return;
			}
			/* inside a group: at the group's line */
			problem(ld, prefix != NULL ? g : NULL, opt, "required option missing");
			free(opt);
		}
	}
}

/* ---- the file ---------------------------------------------------------- */

/*
 * Reads the whole file into a NUL-terminated *out (the caller frees it).
 * Returns 0, DRILL_EIO (unreadable, reported), DRILL_EINVAL (too large or
 * not text, reported) or DRILL_ENOMEM.
 */
static int
read_file(struct loader *ld, char **out)
{
	char *buf = NULL;
	size_t len = 0, cap = 0;
	int fd, rc;

	fd = open(ld->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		add_line(ld, "%s: cannot read: %s", ld->path, strerror(errno));
		return DRILL_EIO;
	}
	for (;;) {
		ssize_t r;

		if (cap - len < 4096) {
			char *nb;

			cap = cap == 0 ? 8192 : cap * 2;
			nb = realloc(buf, cap + 1);
			if (nb == NULL) {
				rc = DRILL_ENOMEM;
				goto fail;
			}
			buf = nb;
		}
		r = read(fd, buf + len, cap - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			add_line(ld, "%s: cannot read: %s", ld->path, strerror(errno));
			rc = DRILL_EIO;
			goto fail;
		}
		if (r == 0)
			break;
		len += (size_t)r;
		if (len > CONFIG_MAX_FILE) {
			add_line(ld, "%s: file too large (over %d bytes)", ld->path,
			    CONFIG_MAX_FILE);
			rc = DRILL_EINVAL;
			goto fail;
		}
	}
	buf[len] = '\0';
	if (memchr(buf, '\0', len) != NULL) {
		add_line(ld, "%s: contains a NUL byte: not a text file", ld->path);
		rc = DRILL_EINVAL;
		goto fail;
	}
	close(fd);
	*out = buf;
	return 0;
fail:
	close(fd);
	free(buf);
	return rc;
}

/*
 * Reports each @include line (libconfig 1.5's pattern: line start, blanks,
 * "@include", a blank) and blanks it out, keeping line numbers, so the rest
 * of the file is still checked.
 */
static void
reject_includes(struct loader *ld, char *text)
{
	unsigned line = 1;
	char *p = text;

	while (*p != '\0') {
		char *q = p;

		while (*q == ' ' || *q == '\t')
			q++;
		if (strncmp(q, "@include", 8) == 0 && (q[8] == ' ' || q[8] == '\t')) {
			add_line(ld, "%s:%u: @include: not supported; put every "
			    "option in this file", ld->path, line);
			while (*q != '\0' && *q != '\n')
				*q++ = ' ';
		}
		p = strchr(q, '\n');
		if (p == NULL)
			break;
		p++;
		line++;
	}
}

/* Sets cfg->file and cfg->dir (the file's directory, absolute and canonical). */
static int
locate(struct loader *ld)
{
	struct config *cfg = ld->cfg;
	const char *slash = strrchr(ld->path, '/');
	char *dir;

	cfg->file = strdup(ld->path);
	if (slash == NULL)
		dir = strdup(".");
	else if (slash == ld->path)
		dir = strdup("/");
	else
		dir = xasprintf("%.*s", (int)(slash - ld->path), ld->path);
	if (cfg->file == NULL || dir == NULL) {
		free(dir);
		return DRILL_ENOMEM;
	}
	cfg->dir = realpath(dir, NULL);
	if (cfg->dir == NULL) {
		int e = errno;

		add_line(ld, "%s: cannot resolve its directory %s: %s", ld->path,
		    dir, strerror(e));
		free(dir);
		return e == ENOMEM ? DRILL_ENOMEM : DRILL_EIO;
	}
	free(dir);
	return 0;
}

static int
set_defaults(struct config *cfg)
{
	cfg->log_level = LOGL_INFO;
	cfg->store.busy_timeout_ms = 5 * SEC_MS;
	cfg->console.color = CONFIG_COLOR_AUTO;
	cfg->practice.level = VOCAB_MID;
	cfg->practice.max_answer = 2 * MIB;
	cfg->http.max_body = MIB;
	cfg->http.request_timeout_ms = 10 * SEC_MS;
	cfg->outbox.min_interval_ms = SEC_MS;
	cfg->outbox.rate_per_sec = 10;
	cfg->outbox.burst = 20;
	cfg->outbox.max_attempts = 8;
	cfg->outbox.backoff_base_ms = SEC_MS;
	cfg->outbox.backoff_cap_ms = 5 * MIN_MS;
	cfg->outbox.retry_after_max_ms = HOUR_MS;
	cfg->outbox.drain_timeout_ms = 10 * SEC_MS;
	cfg->slack.socket_mode = true;
	cfg->slack.connections = 1;
	cfg->console.person = strdup("console:local");
	cfg->practice.timezone = strdup("UTC");
	cfg->slack.api_url = strdup("https://slack.com/api/");
	cfg->matrix.appservice_id = strdup("drilld");
	return cfg->console.person == NULL || cfg->practice.timezone == NULL ||
	    cfg->slack.api_url == NULL || cfg->matrix.appservice_id == NULL ?
	    DRILL_ENOMEM : 0;
}

int
config_load(const char *path, struct config *cfg, struct drill_errors *errs)
{
	return config_load_flags(path, cfg, errs, 0);
}

int
config_load_flags(const char *path, struct config *cfg, struct drill_errors *errs,
    unsigned flags)
{
	struct config c;
	struct loader ld;
	config_t lc;
	bool lc_used = false;
	char *text = NULL;
	int rc;

	if (errs == NULL)
		return DRILL_EINVAL;
	memset(errs, 0, sizeof(*errs));
	if (cfg == NULL || path == NULL)
		return DRILL_EINVAL;
	memset(cfg, 0, sizeof(*cfg));
	memset(&c, 0, sizeof(c));
	memset(&ld, 0, sizeof(ld));
	ld.path = path;
	ld.cfg = &c;
	ld.errs = errs;
	ld.no_secrets = (flags & CONFIG_NO_SECRETS) != 0;

	/* stage 1: defaults */
	rc = set_defaults(&c);
	if (rc != 0)
		goto fail;

	/* stage 2: read */
	rc = read_file(&ld, &text);
	if (rc != 0)
		goto fail;
	ld.text = text;
	rc = locate(&ld);
	if (rc != 0)
		goto fail;
	reject_includes(&ld, text);
	config_init(&lc);
	lc_used = true;
	if (config_read_string(&lc, text) != CONFIG_TRUE) {
		const char *why = config_error_text(&lc);

		if (why == NULL)
			why = "cannot parse";
		if (strcmp(why, "syntax error") == 0)
			add_line(&ld, "%s:%d: syntax error", path,
			    config_error_line(&lc));
		else
			add_line(&ld, "%s:%d: syntax error: %s", path,
			    config_error_line(&lc), why);
		rc = DRILL_EINVAL;
		goto fail;
	}

	/* stage 3: check */
	check_group(&ld, config_root_setting(&lc), NULL, root_options);
	if (c.outbox.backoff_cap_ms < c.outbox.backoff_base_ms) {
		const config_setting_t *cap = config_lookup(&lc, "outbox.backoff_cap");

		problem(&ld, cap != NULL ? cap : config_lookup(&lc, "outbox.backoff_base"),
		    cap != NULL ? "outbox.backoff_cap" : "outbox.backoff_base",
		    "backoff_cap must not be shorter than backoff_base");
	}
	check_slack(&ld, &lc);
	check_matrix(&ld, &lc);
	if (ld.nomem) {
		rc = DRILL_ENOMEM;
		goto fail;
	}
	if (errs->n > 0) {
		rc = DRILL_EINVAL;
		goto fail;
	}
	config_destroy(&lc);
	free_secret(text);	/* it may hold a secret written inline */
	*cfg = c;
	return 0;
fail:
	if (rc == DRILL_ENOMEM || ld.nomem) {
		rc = DRILL_ENOMEM;
		add_line(&ld, "%s: out of memory", path);
	}
	if (lc_used)
		config_destroy(&lc);
	free_secret(text);
	config_free(&c);
	return rc;
}

void
config_free(struct config *cfg)
{
	if (cfg == NULL)
		return;
	free(cfg->file);
	free(cfg->dir);
	free(cfg->state_dir);
	for (size_t i = 0; i < cfg->nbanks; i++)
		free(cfg->banks[i]);
	free(cfg->banks);
	free(cfg->console.person);
	free(cfg->practice.timezone);
	free(cfg->http.listen);
	free(cfg->http.addr);
	free_secret(cfg->slack.bot_token);
	free_secret(cfg->slack.app_token);
	free_secret(cfg->slack.signing_secret);
	free(cfg->slack.api_url);
	free(cfg->matrix.homeserver);
	free(cfg->matrix.user_id);
	free_secret(cfg->matrix.access_token);
	free_secret(cfg->matrix.password);
	free_secret(cfg->matrix.as_token);
	free_secret(cfg->matrix.hs_token);
	free(cfg->matrix.appservice_id);
	free(cfg->matrix.appservice_url);
	for (size_t i = 0; i < cfg->matrix.nauto_join; i++)
		free(cfg->matrix.auto_join[i]);
	free(cfg->matrix.auto_join);
	for (size_t i = 0; i < cfg->nschedules; i++) {
		struct config_schedule *sc = &cfg->schedules[i];

		free(sc->conversation);
		free(sc->cron);
		free(sc->timezone);
		free(sc->digest);
		for (size_t j = 0; j < sc->nskip_dates; j++)
			free(sc->skip_dates[j]);
		free(sc->skip_dates);
	}
	free(cfg->schedules);
	for (size_t i = 0; i < cfg->nadmins; i++)
		free(cfg->admins[i]);
	free(cfg->admins);
	memset(cfg, 0, sizeof(*cfg));
}

const char *
config_default_path(void)
{
	static const char etc[] = "/etc/drilld/drilld.conf";
	static const char checkout[] = "config/drilld.conf";
	const char *env = getenv("DRILLD_CONFIG");

	if (env != NULL && *env != '\0')
		return env;
	if (access(etc, F_OK) == 0)
		return etc;
	if (access(checkout, F_OK) == 0)
		return checkout;
	return etc;
}
