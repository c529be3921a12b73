/*
 * drillctl.c - the admin tool: checks question banks, shows and lists
 * questions, imports questions from a spreadsheet's CSV export, scores an
 * answer read from stdin, backs up the database, prints a person's progress
 * and asks a running drilld for its status.
 *
 * It is thin: it parses arguments, calls the config, bank, csvimport, scorer
 * and store modules, and prints what they return. The offline commands
 * (lint, bank, import, score) need no daemon and, given bank paths, no
 * config either. drillctl
 * never writes the database of a running daemon: it opens the store
 * read-only (stats, backup, whose copy goes to a new file), and whatever
 * concerns a running daemon goes through its control socket
 * (state_dir/drilld.sock, protocol in ctl.h) with daemon_call.
 *
 * Exit codes for every command: 0 success, 1 bad input (a message on stderr
 * starting "drillctl: "), 2 usage error (the usage on stderr).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "drill/bank.h"
#include "drill/common.h"
#include "drill/config.h"
#include "drill/cron.h"
#include "drill/csvimport.h"
#include "drill/ctl.h"
#include "drill/feedback.h"
#include "drill/jsonv.h"
#include "drill/matrix.h"
#include "drill/render.h"
#include "drill/scorer.h"
#include "drill/store.h"
#include "drill/text.h"
#include "drill/tz.h"
#include "drill/vocab.h"

#define EXIT_OK 0
#define EXIT_BAD 1
#define EXIT_USAGE 2

#define DEFAULT_CONFIG "/etc/drilld/drilld.conf"
#define MAX_ANSWER_NOCONFIG (16u << 20)	/* answer limit when no config is used */
#define LIST_PROMPT_CHARS 60		/* prompt width in "bank list" */
#define SHOW_WIDTH 76			/* wrap width of "bank show" */
#define CALL_TIMEOUT_S 10		/* per send and receive; over drilld's own timeout */

/* Options a command accepts (bit set). */
enum {
	OPT_CONFIG = 1u << 0,
	OPT_FORMAT = 1u << 1,
	OPT_QUESTION = 1u << 2,
	OPT_BANK = 1u << 3,
	OPT_FROM = 1u << 4,
	OPT_OUTPUT = 1u << 5,
	OPT_NAME = 1u << 6,
	OPT_SINCE = 1u << 7,
	OPT_LIMIT = 1u << 8,
	OPT_ANSWERS = 1u << 9,
	OPT_CRON = 1u << 10,
	OPT_TIMEZONE = 1u << 11,
	OPT_AFTER = 1u << 12,
	OPT_COUNT = 1u << 13,
	OPT_CONVERSATION = 1u << 14,
	OPT_UNTIL = 1u << 15
};

struct opts {
	const char *config;	/* -c FILE: NULL when not given */
	bool json;		/* --format json */
	bool csv;		/* --format csv (export) */
	const char *question;	/* --question ID */
	const char **banks;	/* --bank PATH, then positional BANKs */
	size_t nbanks;
	const char *from;	/* --from FORMAT (import) */
	const char *output;	/* --output FILE (import) */
	const char *name;	/* --name NAME (import) */
	const char *since;	/* --since DATE|DURATION (disputes) */
	const char *limit;	/* --limit N (disputes) */
	bool answers;		/* --answers (disputes) */
	const char *cron;	/* --cron EXPR (schedule next) */
	const char *timezone;	/* --timezone ZONE (schedule next) */
	const char *after;	/* --after RFC3339 (schedule next) */
	const char *count;	/* --count N (schedule next) */
	const char *conversation;	/* --conversation NAME (export) */
	const char *until;	/* --until DATE (export) */
	const char **args;	/* positionals, the command words first */
	size_t nargs;
	unsigned seen;		/* OPT_* given */
	bool help, version;
};

struct cli {
	struct opts o;
	struct config cfg;
	bool have_cfg;
	struct bank *bank;
};

static const char usage_text[] =
    "usage: drillctl COMMAND [OPTIONS] [ARGS]\n"
    "       drillctl --version | help\n"
    "\n"
    "commands:\n"
    "  lint [BANK...]                       check question banks\n"
    "  bank list [--format text|json] [BANK...]\n"
    "                                       list the questions\n"
    "  bank show ID [BANK...]               show one question in full\n"
    "  import --from csv FILE [--output OUT] [--name NAME]\n"
    "                                       convert a spreadsheet's CSV export\n"
    "                                       into a bank file (to stdout without\n"
    "                                       --output); nothing is written unless\n"
    "                                       the result passes lint\n"
    "  score --question ID [--format text|json] [--bank PATH]...\n"
    "                                       score an answer read from stdin\n"
    "  backup FILE                          copy the database (safe while\n"
    "                                       drilld runs)\n"
    "  stats PERSON [--format text|json]    a person's progress, e.g.\n"
    "                                       console:local\n"
    "  status [--format text|json]          what the running drilld is doing\n"
    "  outbox failed [--format text|json]   messages drilld could not send\n"
    "  outbox retry ID                      queue a failed message again\n"
    "  ask CONVERSATION                     post a scheduled channel's next\n"
    "                                       question now, e.g. slack:C0123ABCD\n"
    "  disputes [--since DATE|DAYSd] [--limit N] [--answers] [--format text|json]\n"
    "                                       scores people said were wrong,\n"
    "                                       newest first, for the banks'\n"
    "                                       maintainers (--answers: with the\n"
    "                                       answers, which are personal data)\n"
    "  export --conversation NAME [--since DATE] [--until DATE] [--format csv|json]\n"
    "                                       a conversation's answers and scores\n"
    "                                       in [since, until) (RFC 3339 dates or\n"
    "                                       date-times); personal data\n"
    "  schedule next --cron EXPR --timezone ZONE [--after RFC3339] [--count N]\n"
    "                                       the next fire instants of a\n"
    "                                       schedule, in UTC (no config needed)\n"
    "  matrix registration                  the application service registration\n"
    "                                       YAML for the homeserver (holds the\n"
    "                                       tokens: keep it secret)\n"
    "\n"
    "options (before or after the command):\n"
    "  -c, --config FILE   config file (default: $DRILLD_CONFIG if set,\n"
    "                      else " DEFAULT_CONFIG ",\n"
    "                      else config/drilld.conf in a source checkout)\n"
    "  --format FORMAT     text (default) or json\n"
    "  --question ID       the question an answer is scored against\n"
    "  --bank PATH         a bank file or directory instead of the config's\n"
    "                      banks (repeatable; BANK arguments do the same)\n"
    "  --from FORMAT       import: the input's format (csv)\n"
    "  --output OUT        import: the bank file to write (replaced atomically)\n"
    "  --name NAME         import: the bank's name (default: FILE's name\n"
    "                      without its extension)\n"
    "  --since WHEN        disputes: since a date (2026-11-01, UTC) or for\n"
    "                      the last days (30d); default: all\n"
    "  --limit N           disputes: at most N (default 50)\n"
    "  --answers           disputes: include the disputed answers\n"
    "  --cron EXPR         schedule next: five fields, e.g. \"30 9 * * mon-fri\"\n"
    "  --timezone ZONE     schedule next: an IANA zone, e.g. Europe/Berlin\n"
    "  --after TIME        schedule next: start after this RFC 3339 instant\n"
    "                      (default now)\n"
    "  --count N           schedule next: how many (default 5, at most 1000)\n"
    "  -h, --help          this help\n"
    "  --version           print the version\n"
    "\n"
    "Exit status: 0 success, 1 bad input, 2 usage error.\n";

/* Prints "drillctl: " and the message, then the usage; returns EXIT_USAGE. */
static int usage_error(const char *fmt, ...) DRILL_PRINTF(1, 2);

static int
usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("drillctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\n", stderr);
	fputs(usage_text, stderr);
	return EXIT_USAGE;
}

static int
oom(void)
{
	fputs("drillctl: out of memory\n", stderr);
	return EXIT_BAD;
}

/*
 * The options that take a value: the name, the OPT_ bit, and for all but
 * --format and --bank (handled apart) the struct opts field it sets.
 */
static const struct {
	const char *name;
	unsigned opt;
	size_t field;
} valued[] = {
	{"-c", OPT_CONFIG, offsetof(struct opts, config)},
	{"--config", OPT_CONFIG, offsetof(struct opts, config)},
	{"--format", OPT_FORMAT, 0},
	{"--question", OPT_QUESTION, offsetof(struct opts, question)},
	{"--bank", OPT_BANK, 0},
	{"--from", OPT_FROM, offsetof(struct opts, from)},
	{"--output", OPT_OUTPUT, offsetof(struct opts, output)},
	{"--name", OPT_NAME, offsetof(struct opts, name)},
	{"--since", OPT_SINCE, offsetof(struct opts, since)},
	{"--limit", OPT_LIMIT, offsetof(struct opts, limit)},
	{"--cron", OPT_CRON, offsetof(struct opts, cron)},
	{"--timezone", OPT_TIMEZONE, offsetof(struct opts, timezone)},
	{"--after", OPT_AFTER, offsetof(struct opts, after)},
	{"--count", OPT_COUNT, offsetof(struct opts, count)},
	{"--conversation", OPT_CONVERSATION, offsetof(struct opts, conversation)},
	{"--until", OPT_UNTIL, offsetof(struct opts, until)},
};

/*
 * Parses every argument: options may come before or after the command words.
 * "-c FILE", "-cFILE", "--config FILE", "--config=FILE" (and the same for the
 * other long options); "--" ends the options. Returns 0, or EXIT_USAGE after
 * printing why.
 */
static int
parse_args(int argc, char **argv, struct opts *o)
{
	bool dashdash = false;

	o->args = calloc((size_t)argc + 1, sizeof(*o->args));
	o->banks = calloc((size_t)argc + 1, sizeof(*o->banks));
	if (o->args == NULL || o->banks == NULL)
		return oom();

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *val = NULL, *name;
		size_t namelen, field = 0;
		unsigned opt;

		if (dashdash || a[0] != '-' || a[1] == '\0') {
			o->args[o->nargs++] = a;
			continue;
		}
		if (strcmp(a, "--") == 0) {
			dashdash = true;
			continue;
		}
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			o->help = true;
			continue;
		}
		if (strcmp(a, "--version") == 0) {
			o->version = true;
			continue;
		}
		if (strcmp(a, "--answers") == 0) {
			o->answers = true;
			o->seen |= OPT_ANSWERS;
			continue;
		}
		if (strncmp(a, "-c", 2) == 0 && a[2] != '\0') {
			o->config = a + 2;
			o->seen |= OPT_CONFIG;
			continue;
		}
		name = a;
		namelen = strlen(a);
		if (a[1] == '-') {
			const char *eq = strchr(a, '=');
			if (eq != NULL) {
				namelen = (size_t)(eq - a);
				val = eq + 1;
			}
		}
		opt = 0;
		for (size_t k = 0; k < sizeof(valued) / sizeof(valued[0]); k++) {
			if (strlen(valued[k].name) == namelen &&
			    strncmp(name, valued[k].name, namelen) == 0) {
				opt = valued[k].opt;
				field = valued[k].field;
				break;
			}
		}
		if (opt == 0)
			return usage_error("unknown option %s", a);
		if (val == NULL) {
			if (i + 1 >= argc)
				return usage_error("option %s needs a value", a);
			val = argv[++i];
		}
		o->seen |= opt;
		if (opt == OPT_FORMAT) {
			o->json = o->csv = false;
			if (strcmp(val, "json") == 0)
				o->json = true;
			else if (strcmp(val, "csv") == 0)
				o->csv = true;
			else if (strcmp(val, "text") != 0)
				return usage_error("unknown format \"%s\" (text, json or csv)", val);
		} else if (opt == OPT_BANK) {
			o->banks[o->nbanks++] = val;
		} else {
			*(const char **)(void *)((char *)o + field) = val;
		}
	}
	return 0;
}

/* Checks that only the options in allowed were given. */
static int
check_opts(const struct opts *o, unsigned allowed, const char *cmd)
{
	unsigned bad = o->seen & ~allowed;

	if (bad == 0)
		return 0;
	if (bad & OPT_ANSWERS)
		return usage_error("%s does not take --answers", cmd);
	for (size_t k = 0; k < sizeof(valued) / sizeof(valued[0]); k++)
		if (bad & valued[k].opt)	/* the first name of each: "-c" for config */
			return usage_error("%s does not take %s", cmd, valued[k].name);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Config, banks and store */

/*
 * Loads the config named by -c, else config_default_path()'s.
 * On failure prints every problem line and returns EXIT_BAD.
 */
static int
load_config(struct cli *c)
{
	struct drill_errors errs = {0};
	const char *path = c->o.config;
	int rc;

	if (c->have_cfg)
		return 0;
	if (path == NULL)
		path = config_default_path();
	/* without the daemon's secrets: an admin's shell has not got them */
	rc = config_load_flags(path, &c->cfg, &errs, CONFIG_NO_SECRETS);
	if (rc != 0) {
		for (size_t i = 0; i < errs.n; i++)
			fprintf(stderr, "%s\n", errs.lines[i]);
		if (rc == DRILL_ENOMEM)
			fputs("drillctl: out of memory\n", stderr);
		fprintf(stderr, "drillctl: the config %s did not load\n", path);
		drill_errors_free(&errs);
		return EXIT_BAD;
	}
	drill_errors_free(&errs);
	c->have_cfg = true;
	return 0;
}

/*
 * Whether the command uses the config: when no bank paths were given, or
 * when -c was given explicitly (score then takes its answer limit from it).
 */
static bool
wants_config(const struct cli *c)
{
	return c->o.nbanks == 0 || (c->o.seen & OPT_CONFIG);
}

/*
 * Loads the banks given on the command line, else the config's. Prints each
 * problem line and returns EXIT_BAD when they do not load cleanly.
 */
static int
load_banks_quietly(struct cli *c, bool quiet)
{
	struct drill_errors errs = {0};
	const char *const *paths;
	size_t npaths;
	int rc;

	if (wants_config(c) && (rc = load_config(c)) != 0)
		return rc;
	if (c->o.nbanks > 0) {
		paths = c->o.banks;
		npaths = c->o.nbanks;
	} else {
		paths = (const char *const *)c->cfg.banks;
		npaths = c->cfg.nbanks;
	}
	rc = bank_load(paths, npaths, &c->bank, &errs);
	if (rc != 0 && quiet) {
		drill_errors_free(&errs);
		c->bank = NULL;
		return EXIT_BAD;
	}
	if (rc != 0) {
		for (size_t i = 0; i < errs.n; i++)
			fprintf(stderr, "%s\n", errs.lines[i]);
		if (rc == DRILL_ENOMEM)
			fputs("drillctl: out of memory\n", stderr);
		if (errs.n > 0)
			fprintf(stderr, "drillctl: %zu problem%s in the banks\n",
			    errs.n, errs.n == 1 ? "" : "s");
		else
			fprintf(stderr, "drillctl: the banks did not load: %s\n",
			    drill_strerror(rc));
		drill_errors_free(&errs);
		c->bank = NULL;
		return EXIT_BAD;
	}
	drill_errors_free(&errs);
	return 0;
}

static int
load_banks(struct cli *c)
{
	return load_banks_quietly(c, false);
}

/* Opens state_dir/drilld.db read-only into *st; prints why not and returns EXIT_BAD. */
static int
open_store(struct cli *c, struct store **st)
{
	char path[4096], err[DRILL_ERRLEN] = "";
	struct stat sb;
	int rc, n;

	if ((rc = load_config(c)) != 0)
		return rc;
	n = snprintf(path, sizeof(path), "%s/drilld.db", c->cfg.state_dir);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		fputs("drillctl: the state_dir path is too long\n", stderr);
		return EXIT_BAD;
	}
	if (stat(path, &sb) != 0) {
		fprintf(stderr, "drillctl: no database at %s: %s (has drilld run yet?)\n",
		    path, strerror(errno));
		return EXIT_BAD;
	}
	rc = store_open(path, STORE_READONLY, c->cfg.store.busy_timeout_ms, st, err);
	if (rc != 0) {
		fprintf(stderr, "drillctl: %s: %s\n", path,
		    err[0] != '\0' ? err : drill_strerror(rc));
		return EXIT_BAD;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Text helpers */

/* Number of characters of s as put_line counts them. */
static size_t
char_count(const char *s, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; n++) {
		size_t k = text_utf8_seqlen(s + i, len - i);
		i += k > 0 ? k : 1;
	}
	return n;
}

/*
 * Writes s[0..len) on one line: control characters become spaces, invalid
 * UTF-8 becomes U+FFFD, and when it is longer than max characters it is cut
 * to max - 1 of them followed by "…".
 */
static void
put_line(FILE *f, const char *s, size_t len, size_t max)
{
	size_t total = char_count(s, len), shown = 0;
	size_t limit = total > max ? max - 1 : total;

	for (size_t i = 0; i < len && shown < limit; shown++) {
		size_t k = text_utf8_seqlen(s + i, len - i);
		if (k == 0) {
			fputs("\xef\xbf\xbd", f);
			i++;
		} else if (k == 1 && ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)) {
			fputc(' ', f);
			i++;
		} else {
			fwrite(s + i, 1, k, f);
			i += k;
		}
	}
	if (total > max)
		fputs("\xe2\x80\xa6", f);
}

static void
put_str(FILE *f, const char *s)
{
	if (s != NULL)
		put_line(f, s, strlen(s), SIZE_MAX);
}

/*
 * Writes s word-wrapped at width characters, each line starting with indent;
 * the bank's own line breaks are kept (blank lines stay empty: no indent, no
 * trailing spaces).
 */
static void
put_wrapped(FILE *f, const char *s, const char *indent, size_t width)
{
	size_t ind = strlen(indent);

	while (*s != '\0') {
		const char *eol = strchr(s, '\n');
		size_t linelen = eol != NULL ? (size_t)(eol - s) : strlen(s);
		size_t col = 0, i = 0;
		bool started = false;

		while (i < linelen) {
			size_t start, wlen, wchars;

			while (i < linelen && (s[i] == ' ' || s[i] == '\t'))
				i++;
			start = i;
			while (i < linelen && s[i] != ' ' && s[i] != '\t')
				i++;
			wlen = i - start;
			if (wlen == 0)
				break;
			wchars = char_count(s + start, wlen);
			if (!started) {
				fputs(indent, f);
				started = true;
			} else if (ind + col + 1 + wchars > width) {
				fputc('\n', f);
				fputs(indent, f);
				col = 0;
			} else {
				fputc(' ', f);
				col++;
			}
			put_line(f, s + start, wlen, SIZE_MAX);
			col += wchars;
		}
		fputc('\n', f);
		if (eol == NULL)
			break;
		s = eol + 1;
	}
}

/* Writes the question's topics joined by sep. */
static void
put_topics(FILE *f, uint32_t topics, const char *sep)
{
	bool first = true;

	for (int i = 0; i < VOCAB_NTOPICS; i++) {
		if (!(topics & (UINT32_C(1) << i)))
			continue;
		fprintf(f, "%s%s", first ? "" : sep, vocab_topic_name(i));
		first = false;
	}
}

static const char *
name_or(const char *name, const char *dflt)
{
	return name != NULL ? name : dflt;
}

/* Prints a json-c object (and puts it); returns EXIT_OK or EXIT_BAD. */
static int
print_json(struct json_object *obj)
{
	const char *s;
	int rc = EXIT_OK;

	if (obj == NULL)
		return oom();
	s = json_object_to_json_string_ext(obj,
	    JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
	if (s == NULL)
		rc = oom();
	else
		printf("%s\n", s);
	json_object_put(obj);
	return rc;
}

/* ------------------------------------------------------------------ */
/* lint */

static int
cmd_lint(struct cli *c)
{
	size_t n, nfiles = 0, cap = 0;
	const char **files = NULL;
	int rc;

	for (size_t i = 1; i < c->o.nargs; i++)
		c->o.banks[c->o.nbanks++] = c->o.args[i];
	if ((rc = load_banks(c)) != 0)
		return rc;

	/* Files that hold questions, in load order (questions of a file are adjacent). */
	n = bank_count(c->bank);
	for (size_t i = 0; i < n; i++) {
		const char *file = bank_get(c->bank, i)->file;
		bool seen = false;

		for (size_t j = nfiles; j-- > 0 && !seen;)
			seen = files[j] == file || strcmp(files[j], file) == 0;
		if (seen)
			continue;
		if (nfiles == cap) {
			size_t ncap = cap == 0 ? 16 : cap * 2;
			const char **nf = realloc(files, ncap * sizeof(*nf));
			if (nf == NULL) {
				free(files);
				return oom();
			}
			files = nf;
			cap = ncap;
		}
		files[nfiles++] = file;
	}
	free(files);
	printf("%zu question%s in %zu file%s: ok\n", n, n == 1 ? "" : "s",
	    nfiles, nfiles == 1 ? "" : "s");
	return EXIT_OK;
}

/* ------------------------------------------------------------------ */
/* bank list, bank show */

static int
bank_list_json(const struct bank *b)
{
	struct json_object *arr = json_object_new_array();
	size_t n = bank_count(b);

	if (arr == NULL)
		return oom();
	for (size_t i = 0; i < n; i++) {
		const struct bank_question *q = bank_get(b, i);
		struct json_object *o = json_object_new_object();
		struct json_object *topics = json_object_new_array();
		bool ok = o != NULL && topics != NULL;

		for (int t = 0; ok && t < VOCAB_NTOPICS; t++) {
			struct json_object *v;
			if (!(q->topics & (UINT32_C(1) << t)))
				continue;
			v = json_object_new_string(vocab_topic_name(t));
			ok = v != NULL && json_object_array_add(topics, v) == 0;
			if (!ok)
				json_object_put(v);
		}
		ok = ok && jsonv_put_str(o, "id", q->id) &&
		    jsonv_put_str(o, "prompt", q->prompt) &&
		    jsonv_put_str(o, "type", vocab_type_name(q->type));
		if (ok) {
			ok = json_object_object_add(o, "topics", topics) == 0;
			if (ok)
				topics = NULL;
		}
		ok = ok && jsonv_put_str(o, "level", vocab_level_name(q->level)) &&
		    jsonv_put_str(o, "file", q->file);
		if (ok) {
			ok = json_object_array_add(arr, o) == 0;
			if (ok)
				o = NULL;
		}
		json_object_put(topics);
		json_object_put(o);
		if (!ok) {
			json_object_put(arr);
			return oom();
		}
	}
	return print_json(arr);
}

static int
bank_list_text(const struct bank *b)
{
	size_t n = bank_count(b), wid = 2, wtype = 4, wlevel = 5, wtopics = 6;

	/* Column widths, so the prompts line up. */
	for (size_t i = 0; i < n; i++) {
		const struct bank_question *q = bank_get(b, i);
		size_t tl = 0;

		if (strlen(q->id) > wid)
			wid = strlen(q->id);
		if (strlen(name_or(vocab_type_name(q->type), "?")) > wtype)
			wtype = strlen(name_or(vocab_type_name(q->type), "?"));
		if (strlen(name_or(vocab_level_name(q->level), "?")) > wlevel)
			wlevel = strlen(name_or(vocab_level_name(q->level), "?"));
		for (int t = 0; t < VOCAB_NTOPICS; t++)
			if (q->topics & (UINT32_C(1) << t))
				tl += strlen(vocab_topic_name(t)) + (tl > 0);
		if (tl > wtopics)
			wtopics = tl;
	}
	for (size_t i = 0; i < n; i++) {
		const struct bank_question *q = bank_get(b, i);
		size_t tl = 0;

		printf("%-*s  %-*s  %-*s  ", (int)wid, q->id,
		    (int)wtype, name_or(vocab_type_name(q->type), "?"),
		    (int)wlevel, name_or(vocab_level_name(q->level), "?"));
		for (int t = 0; t < VOCAB_NTOPICS; t++) {
			if (!(q->topics & (UINT32_C(1) << t)))
				continue;
			printf("%s%s", tl > 0 ? "," : "", vocab_topic_name(t));
			tl += strlen(vocab_topic_name(t)) + (tl > 0);
		}
		printf("%*s  ", (int)(wtopics - tl), "");
		put_line(stdout, q->prompt, strlen(q->prompt), LIST_PROMPT_CHARS);
		putchar('\n');
	}
	return EXIT_OK;
}

static void
show_section(const char *title, const char *text)
{
	if (text == NULL || *text == '\0')
		return;
	printf("\n%s:\n", title);
	put_wrapped(stdout, text, "  ", SHOW_WIDTH);
}

static void
show_question(const struct bank_question *q)
{
	put_str(stdout, q->id);
	putchar('\n');
	printf("type: %s   level: %s   topics: ",
	    name_or(vocab_type_name(q->type), "?"),
	    name_or(vocab_level_name(q->level), "?"));
	put_topics(stdout, q->topics, ", ");
	putchar('\n');
	printf("file: ");
	put_str(stdout, q->file);
	putchar('\n');

	show_section("Prompt", q->prompt);
	show_section("Assesses", q->assesses);
	show_section("How to answer", q->how_to_answer);

	printf("\nStructure: ");
	switch (q->structure) {
	case BANK_STRUCT_CRE:
		printf("claim, reason, example\n");
		break;
	case BANK_STRUCT_STAR:
		printf("STAR: situation, task, action, result\n");
		break;
	case BANK_STRUCT_STEPS:
		printf("steps: ");
		for (size_t i = 0; i < q->nsteps; i++)
			printf("%s%s", i > 0 ? " \xe2\x86\x92 " : "",
			    name_or(bank_step_name(q->steps[i]), "?"));
		putchar('\n');
		break;
	}
	if (q->min_words > 0 || q->max_words > 0)
		printf("Answer length: %d\xe2\x80\x93%d words\n", q->min_words, q->max_words);

	printf("\nRubric (version %s, total weight %d):\n", q->rubric_version,
	    q->total_weight);
	for (size_t i = 0; i < q->nconcepts; i++) {
		const struct bank_concept *k = &q->concepts[i];

		printf("  - ");
		put_str(stdout, k->name);
		printf(" (weight %d)\n", k->weight);
		printf("      phrases: ");
		for (size_t j = 0; j < k->nphrases; j++) {
			if (j > 0)
				printf(", ");
			put_str(stdout, k->phrases[j]);
		}
		putchar('\n');
		if (k->hint != NULL && *k->hint != '\0') {
			printf("      hint: ");
			put_str(stdout, k->hint);
			putchar('\n');
		}
	}

	show_section("Model answer", q->model_answer);
	if (q->nfollow_ups > 0) {
		printf("\nFollow-ups:\n");
		for (size_t i = 0; i < q->nfollow_ups; i++) {
			printf("  - ");
			put_str(stdout, q->follow_ups[i]);
			putchar('\n');
		}
	}
}

static int
cmd_bank(struct cli *c)
{
	const struct bank_question *q;
	const char *sub;
	size_t first;
	int rc;

	if (c->o.nargs < 2)
		return usage_error("%s", "bank needs a subcommand: list or show");
	sub = c->o.args[1];
	if (strcmp(sub, "list") == 0) {
		if ((rc = check_opts(&c->o, OPT_CONFIG | OPT_FORMAT | OPT_BANK, "bank list")) != 0)
			return rc;
		first = 2;
	} else if (strcmp(sub, "show") == 0) {
		if ((rc = check_opts(&c->o, OPT_CONFIG | OPT_BANK, "bank show")) != 0)
			return rc;
		if (c->o.nargs < 3)
			return usage_error("%s", "bank show needs a question id");
		first = 3;
	} else {
		return usage_error("unknown bank subcommand \"%s\" (list or show)", sub);
	}
	for (size_t i = first; i < c->o.nargs; i++)
		c->o.banks[c->o.nbanks++] = c->o.args[i];
	if ((rc = load_banks(c)) != 0)
		return rc;

	if (first == 2)
		return c->o.json ? bank_list_json(c->bank) : bank_list_text(c->bank);
	if ((q = bank_find(c->bank, c->o.args[2])) == NULL) {
		fprintf(stderr, "drillctl: no question with id %s\n", c->o.args[2]);
		return EXIT_BAD;
	}
	show_question(q);
	return EXIT_OK;
}

/* ------------------------------------------------------------------ */
/* import */

/*
 * Creates a temporary file in dir named prefix + "XXXXXX", writes s[0..len)
 * to it with the given mode and syncs it. Returns the malloc'd path, or NULL
 * after printing why (nothing is left behind).
 */
static char *
write_temp(const char *dir, size_t dirlen, const char *prefix, const char *s,
    size_t len, mode_t mode)
{
	size_t n = dirlen + strlen(prefix) + 16, off = 0;
	char *path = malloc(n);
	int fd;

	if (path == NULL) {
		oom();
		return NULL;
	}
	snprintf(path, n, "%.*s%s%sXXXXXX", (int)dirlen, dir,
	    dirlen > 0 && dir[dirlen - 1] != '/' ? "/" : "", prefix);
	if ((fd = mkstemp(path)) < 0) {
		fprintf(stderr, "drillctl: cannot create a temporary file %s: %s\n", path,
		    strerror(errno));
		free(path);
		return NULL;
	}
	while (off < len) {
		ssize_t w = write(fd, s + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			goto fail;
		off += (size_t)w;
	}
	if (fchmod(fd, mode) != 0 || fsync(fd) != 0)
		goto fail;
	if (close(fd) != 0) {
		fd = -1;
		goto fail;
	}
	return path;
fail:
	fprintf(stderr, "drillctl: writing %s: %s\n", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	unlink(path);
	free(path);
	return NULL;
}

/*
 * import --from csv FILE [--output OUT] [--name NAME]: converts the CSV
 * (csvimport.h), writes the bank to a temporary file (next to OUT, so the
 * final rename stays on one file system; else in $TMPDIR), loads it with
 * bank_load as lint does, and only when neither step found a problem
 * renames it to OUT or prints it. Every problem goes to stderr as
 * "FILE:ROW: ...", and then nothing is written.
 */
static int
cmd_import(struct cli *c)
{
	struct drill_errors errs = {0};
	struct csvimport *ci = NULL;
	const char *in, *out = c->o.output, *js = NULL, *slash, *tmpdir;
	char *tmp = NULL, prefix[300];
	size_t jslen = 0, dirlen;
	mode_t mode = 0600;
	struct stat sb;
	int rc, conv;

	if ((rc = check_opts(&c->o, OPT_FROM | OPT_OUTPUT | OPT_NAME, "import")) != 0)
		return rc;
	if (c->o.from == NULL)
		return usage_error("%s", "import needs --from csv");
	if (strcmp(c->o.from, "csv") != 0)
		return usage_error("import --from: unknown format \"%s\" (only csv is "
		    "supported for now)", c->o.from);
	if (c->o.nargs != 2)
		return usage_error("%s", "import needs exactly one FILE");
	in = c->o.args[1];
	if (out != NULL && (out[0] == '\0' || out[strlen(out) - 1] == '/'))
		return usage_error("--output \"%s\" does not name a file", out);
	if (out != NULL && stat(out, &sb) == 0 && S_ISDIR(sb.st_mode)) {
		fprintf(stderr, "drillctl: --output %s is a directory\n", out);
		return EXIT_BAD;
	}

	conv = csvimport_load(in, c->o.name, &ci, &errs);
	if (conv == DRILL_ENOMEM) {
		drill_errors_free(&errs);
		return oom();
	}
	rc = EXIT_BAD;
	if (ci != NULL) {
		js = json_object_to_json_string_length(csvimport_bank(ci),
		    JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
		    JSON_C_TO_STRING_NOSLASHESCAPE, &jslen);
		if (js == NULL) {
			rc = oom();
			goto done;
		}
		if (out != NULL) {
			mode_t um = umask(0);

			umask(um);
			mode = stat(out, &sb) == 0 ? sb.st_mode & 07777 : 0666 & ~um;
			slash = strrchr(out, '/');
			dirlen = slash != NULL ? (size_t)(slash - out) + 1 : 0;
			snprintf(prefix, sizeof(prefix), ".%.200s.", out + dirlen);
			tmp = write_temp(dirlen > 0 ? out : ".", dirlen > 0 ? dirlen : 1,
			    prefix, js, jslen, mode);
		} else {
			tmpdir = getenv("TMPDIR");
			if (tmpdir == NULL || tmpdir[0] == '\0')
				tmpdir = "/tmp";
			tmp = write_temp(tmpdir, strlen(tmpdir), "drillctl-import.", js, jslen,
			    mode);
		}
		if (tmp == NULL)
			goto done;
		if (csvimport_check(ci, tmp, &errs) == DRILL_ENOMEM) {
			rc = oom();
			goto done;
		}
	}
	if (conv != 0 || errs.n > 0 || errs.nomem) {
		for (size_t i = 0; i < errs.n; i++) {
			put_str(stderr, errs.lines[i]);
			fputc('\n', stderr);
		}
		if (errs.nomem)
			fputs("drillctl: out of memory (some problems are not listed)\n", stderr);
		if (errs.n > 0)
			fprintf(stderr, "drillctl: %zu problem%s in %s; nothing written\n",
			    errs.n, errs.n == 1 ? "" : "s", in);
		goto done;
	}
	if (out != NULL) {
		if (rename(tmp, out) != 0) {
			fprintf(stderr, "drillctl: cannot write %s: %s\n", out, strerror(errno));
			goto done;
		}
		free(tmp);
		tmp = NULL;
		printf("%zu question%s from %s written to %s\n", csvimport_count(ci),
		    csvimport_count(ci) == 1 ? "" : "s", in, out);
	} else {
		fwrite(js, 1, jslen, stdout);
		putchar('\n');
	}
	rc = EXIT_OK;
done:
	if (tmp != NULL) {
		unlink(tmp);
		free(tmp);
	}
	csvimport_free(ci);
	drill_errors_free(&errs);
	return rc;
}

/* ------------------------------------------------------------------ */
/* score */

/*
 * Reads fd to the end of the stream (or, with to_newline, to the first
 * newline, which is left out) into a malloc'd, NUL-terminated *out of
 * *outlen bytes (outlen may be NULL). Returns 0, DRILL_ETOOBIG when there
 * are more than limit bytes, DRILL_EIO (errno set; EAGAIN means a receive
 * timeout ran out) or DRILL_ENOMEM. After a complete line, a reset of the
 * stream does not matter: the line is the answer.
 */
static int
read_all(int fd, size_t limit, bool to_newline, char **out, size_t *outlen)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);

	if (buf == NULL)
		return DRILL_ENOMEM;
	for (;;) {
		ssize_t r;
		char *nl;

		if (len == cap - 1) {
			size_t ncap = cap * 2;
			char *nb;
			if (cap > limit + 1) {
				free(buf);
				return DRILL_ETOOBIG;
			}
			if (ncap > limit + 2)
				ncap = limit + 2;
			if ((nb = realloc(buf, ncap)) == NULL) {
				free(buf);
				return DRILL_ENOMEM;
			}
			buf = nb;
			cap = ncap;
		}
		r = read(fd, buf + len, cap - 1 - len);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			free(buf);
			return DRILL_EIO;
		}
		if (r == 0)
			break;
		if (to_newline && (nl = memchr(buf + len, '\n', (size_t)r)) != NULL) {
			len = (size_t)(nl - buf);
			break;
		}
		len += (size_t)r;
		if (len > limit) {
			free(buf);
			return DRILL_ETOOBIG;
		}
	}
	buf[len] = '\0';
	*out = buf;
	if (outlen != NULL)
		*outlen = len;
	return 0;
}


/* The phone-sized text readout of a score: the same feedback as in chat. */
static int
print_score_text(const struct scorer_result *r)
{
	struct msg *m = feedback_score_msg(r, 0, false);
	char *s = m ? render_console(m, false) : NULL;

	msg_free(m);
	if (s == NULL)
		return oom();
	fputs(s, stdout);
	free(s);
	return EXIT_OK;
}

static int
cmd_score(struct cli *c)
{
	const struct bank_question *q;
	struct scorer *sc = NULL;
	struct scorer_result res;
	size_t limit = MAX_ANSWER_NOCONFIG, len = 0;
	char *answer = NULL;
	int rc;

	if ((rc = check_opts(&c->o, OPT_CONFIG | OPT_FORMAT | OPT_QUESTION | OPT_BANK, "score")) != 0)
		return rc;
	if (c->o.question == NULL)
		return usage_error("%s", "score needs --question ID");
	if (c->o.nargs > 1)
		return usage_error("score takes no argument \"%s\" (the answer comes on stdin; banks with --bank)",
		    c->o.args[1]);
	if ((rc = load_banks(c)) != 0)
		return rc;
	if (c->have_cfg && c->cfg.practice.max_answer > 0 &&
	    c->cfg.practice.max_answer < SIZE_MAX)
		limit = (size_t)c->cfg.practice.max_answer;
	if ((q = bank_find(c->bank, c->o.question)) == NULL) {
		fprintf(stderr, "drillctl: no question with id %s\n", c->o.question);
		return EXIT_BAD;
	}

	if (isatty(STDIN_FILENO))
		fputs("drillctl: type the answer, then end it with Ctrl-D\n", stderr);
	rc = read_all(STDIN_FILENO, limit, false, &answer, &len);
	if (rc == DRILL_ETOOBIG) {
		fprintf(stderr, "drillctl: the answer is longer than %zu bytes\n", limit);
		return EXIT_BAD;
	} else if (rc == DRILL_EIO) {
		fprintf(stderr, "drillctl: reading the answer: %s\n", strerror(errno));
		return EXIT_BAD;
	} else if (rc != 0) {
		return oom();
	}
	if (text_is_blank(answer, len)) {
		fputs("drillctl: the answer is empty\n", stderr);
		free(answer);
		return EXIT_BAD;
	}
	if (!text_utf8_valid(answer, len))
		fputs("drillctl: warning: the answer is not valid UTF-8; "
		    "the invalid bytes are ignored\n", stderr);

	if ((sc = scorer_new(c->bank)) == NULL) {
		free(answer);
		return oom();
	}
	rc = scorer_score(sc, q, answer, len, &res);
	if (rc != 0) {
		rc = oom();
	} else if (c->o.json) {
		char *js = scorer_result_json(&res, true);
		if (js == NULL) {
			rc = oom();
		} else {
			printf("%s\n", js);
			free(js);
			rc = EXIT_OK;
		}
	} else {
		rc = print_score_text(&res);
	}
	scorer_free(sc);
	free(answer);
	return rc;
}

/* ------------------------------------------------------------------ */
/* backup, stats */

static int
cmd_backup(struct cli *c)
{
	char err[DRILL_ERRLEN] = "";
	struct store *st = NULL;
	int rc;

	if ((rc = check_opts(&c->o, OPT_CONFIG, "backup")) != 0)
		return rc;
	if (c->o.nargs != 2)
		return usage_error("%s", "backup needs exactly one FILE");
	if ((rc = open_store(c, &st)) != 0)
		return rc;
	rc = store_backup(st, c->o.args[1], err);
	store_close(st);
	if (rc != 0) {
		fprintf(stderr, "drillctl: backup to %s failed: %s\n", c->o.args[1],
		    err[0] != '\0' ? err : drill_strerror(rc));
		return EXIT_BAD;
	}
	printf("backup written to %s\n", c->o.args[1]);
	return EXIT_OK;
}

static int
cmd_stats(struct cli *c)
{
	struct store_progress p;
	struct store *st = NULL;
	const char *person;
	int64_t pid, today, current;
	double avg = 0;
	int rc;

	if ((rc = check_opts(&c->o, OPT_CONFIG | OPT_FORMAT, "stats")) != 0)
		return rc;
	if (c->o.nargs != 2)
		return usage_error("%s", "stats needs exactly one PERSON, like console:local");
	person = c->o.args[1];
	if (strchr(person, ':') == NULL || person[0] == ':') {
		fprintf(stderr, "drillctl: a person is named platform:id, like console:local, not %s\n",
		    person);
		return EXIT_BAD;
	}
	if ((rc = open_store(c, &st)) != 0)
		return rc;
	rc = store_person_find(st, person, &pid);
	if (rc == 0)
		rc = store_progress_get(st, pid, &p);
	store_close(st);
	if (rc == DRILL_ENOTFOUND) {
		fprintf(stderr, "drillctl: no person named %s\n", person);
		return EXIT_BAD;
	} else if (rc != 0) {
		fprintf(stderr, "drillctl: reading the store: %s\n", drill_strerror(rc));
		return EXIT_BAD;
	}

	today = drill_local_day(time(NULL));
	current = p.last_day >= 0 && (p.last_day == today || p.last_day == today - 1) ?
	    p.streak : 0;
	if (p.answered > 0)
		avg = (double)p.score_sum / (double)p.answered;

	if (c->o.json) {
		struct json_object *o = json_object_new_object();
		struct json_object *a = NULL;
		char buf[32];
		bool ok = o != NULL;

		if (ok && p.answered > 0) {
			snprintf(buf, sizeof(buf), "%.1f", avg);
			a = json_object_new_double_s(avg, buf);
			ok = a != NULL;
		}
		ok = ok && jsonv_put_str(o, "person", person) &&
		    jsonv_put_int(o, "answered", p.answered);
		if (ok) {
			ok = json_object_object_add(o, "average", a) == 0;
			if (ok)
				a = NULL;
		}
		ok = ok && jsonv_put_int(o, "current_streak", current) &&
		    jsonv_put_int(o, "best_streak", p.best_streak);
		json_object_put(a);
		if (!ok) {
			json_object_put(o);
			return oom();
		}
		return print_json(o);
	}
	put_str(stdout, person);
	putchar('\n');
	printf("answered:        %" PRId64 "\n", p.answered);
	if (p.answered > 0)
		printf("average:         %.1f\n", avg);
	else
		printf("average:         -\n");
	printf("current streak:  %" PRId64 " day%s\n", current, current == 1 ? "" : "s");
	printf("best streak:     %" PRId64 " day%s\n", p.best_streak,
	    p.best_streak == 1 ? "" : "s");
	return EXIT_OK;
}

/* ------------------------------------------------------------------ */
/* The running daemon: control socket client, status */


/*
 * Sends request (borrowed) to the running drilld over state_dir/drilld.sock
 * (one line of JSON) and reads its one-line reply: at most CTL_MAX_REPLY
 * bytes, each send and receive within CALL_TIMEOUT_S seconds. Returns
 * EXIT_OK with *reply, an object whose "ok" is true (caller puts), or prints
 * why not and returns EXIT_BAD: no daemon, no permission, no answer, a
 * broken answer, or ok=false (drilld's error is printed).
 */
static int
daemon_call(struct cli *c, struct json_object *request, struct json_object **reply)
{
	struct timeval tv = {CALL_TIMEOUT_S, 0};
	struct json_tokener *tok = NULL;
	struct json_object *obj = NULL, *ok, *msg;
	struct sockaddr_un sa;
	const char *req;
	char *line = NULL;
	size_t reqlen = 0, sent = 0;
	int fd = -1, rc, n;

	*reply = NULL;
	if ((rc = load_config(c)) != 0)
		return rc;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	n = snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/%s", c->cfg.state_dir,
	    CTL_SOCKET_NAME);
	if (n < 0 || (size_t)n >= sizeof(sa.sun_path)) {
		fprintf(stderr, "drillctl: the control socket path under %s is too long\n",
		    c->cfg.state_dir);
		return EXIT_BAD;
	}
	req = json_object_to_json_string_length(request,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &reqlen);
	if (req == NULL)
		return oom();

	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) != 0) {
		fprintf(stderr, "drillctl: socket: %s\n", strerror(errno));
		goto fail;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		if (errno == ENOENT)
			fprintf(stderr, "drillctl: drilld is not running (no control socket "
			    "at %s)\n", sa.sun_path);
		else if (errno == ECONNREFUSED)
			fprintf(stderr, "drillctl: drilld is not running (nothing answers on "
			    "the control socket at %s)\n", sa.sun_path);
		else if (errno == EACCES || errno == EPERM)
			fprintf(stderr, "drillctl: cannot connect to drilld at %s: %s "
			    "(run drillctl as the user drilld runs as)\n", sa.sun_path,
			    strerror(errno));
		else if (errno == EAGAIN || errno == EINPROGRESS)
			fprintf(stderr, "drillctl: drilld at %s did not accept the "
			    "connection within %d s\n", sa.sun_path, CALL_TIMEOUT_S);
		else
			fprintf(stderr, "drillctl: cannot connect to drilld at %s: %s\n",
			    sa.sun_path, strerror(errno));
		goto fail;
	}

	/* The request and its newline; on EPIPE drilld may still have answered. */
	while (sent <= reqlen) {
		const char *p = sent < reqlen ? req + sent : "\n";
		size_t left = sent < reqlen ? reqlen - sent : 1;
		ssize_t w = send(fd, p, left, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EPIPE)
			break;
		if (w < 0) {
			fprintf(stderr, "drillctl: sending to drilld at %s: %s\n", sa.sun_path,
			    errno == EAGAIN ? "timed out" : strerror(errno));
			goto fail;
		}
		sent += (size_t)w;
	}

	rc = read_all(fd, CTL_MAX_REPLY, true, &line, NULL);
	if (rc == DRILL_ENOMEM) {
		rc = oom();
		goto out;
	} else if (rc == DRILL_ETOOBIG) {
		fprintf(stderr, "drillctl: drilld's reply is larger than %u bytes\n",
		    CTL_MAX_REPLY);
		goto fail;
	} else if (rc != 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			fprintf(stderr, "drillctl: drilld at %s did not answer within %d s\n",
			    sa.sun_path, CALL_TIMEOUT_S);
		else
			fprintf(stderr, "drillctl: reading drilld's reply: %s\n",
			    strerror(errno));
		goto fail;
	}
	if (line[0] == '\0') {
		fprintf(stderr, "drillctl: drilld closed the connection without a reply\n");
		goto fail;
	}
	if ((tok = json_tokener_new()) == NULL) {
		rc = oom();
		goto out;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	obj = json_tokener_parse_ex(tok, line, (int)strlen(line));
	if (obj == NULL || json_tokener_get_error(tok) != json_tokener_success ||
	    !json_object_is_type(obj, json_type_object) ||
	    !json_object_object_get_ex(obj, "ok", &ok) ||
	    !json_object_is_type(ok, json_type_boolean)) {
		fputs("drillctl: drilld's reply is not a JSON object with \"ok\"\n", stderr);
		goto fail;
	}
	if (!json_object_get_boolean(ok)) {
		fputs("drillctl: drilld: ", stderr);
		if (json_object_object_get_ex(obj, "error", &msg) &&
		    json_object_is_type(msg, json_type_string))
			put_str(stderr, json_object_get_string(msg));
		else
			fputs("the request failed (no reason given)", stderr);
		fputc('\n', stderr);
		goto fail;
	}
	*reply = obj;
	obj = NULL;
	rc = EXIT_OK;
	goto out;
fail:
	rc = EXIT_BAD;
out:
	json_object_put(obj);
	if (tok != NULL)
		json_tokener_free(tok);	/* json-c 0.16 crashes on NULL */
	free(line);
	if (fd >= 0)
		close(fd);
	return rc;
}

/* Writes v on one line: strings as they are (made safe), the rest as JSON. */
static void
put_value(FILE *f, struct json_object *v)
{
	if (v == NULL)
		fputs("-", f);
	else if (json_object_is_type(v, json_type_string))
		put_str(f, json_object_get_string(v));
	else
		put_str(f, json_object_to_json_string_ext(v,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
}

/*
 * Prints one field of a reply as "name: value" lines: an object's fields as
 * "name.field: value", an empty list as "name: none", a list of scalars on
 * one line, and each object of a list on its own "name: k=v k=v" line.
 */
static void
put_field(const char *name, struct json_object *v)
{
	char sub[256];

	if (json_object_is_type(v, json_type_object)) {
		json_object_object_foreach(v, key, val) {
			snprintf(sub, sizeof(sub), "%s.%s", name, key);
			put_field(sub, val);
		}
		return;
	}
	put_str(stdout, name);
	fputs(": ", stdout);
	if (!json_object_is_type(v, json_type_array)) {
		put_value(stdout, v);
	} else if (json_object_array_length(v) == 0) {
		fputs("none", stdout);
	} else {
		for (size_t i = 0; i < json_object_array_length(v); i++) {
			struct json_object *e = json_object_array_get_idx(v, i);
			bool first = true;

			if (!json_object_is_type(e, json_type_object)) {
				fputs(i > 0 ? ", " : "", stdout);
				put_value(stdout, e);
				continue;
			}
			if (i > 0) {
				putchar('\n');
				put_str(stdout, name);
				fputs(": ", stdout);
			}
			json_object_object_foreach(e, key, val) {
				fputs(first ? "" : " ", stdout);
				put_str(stdout, key);
				putchar('=');
				put_value(stdout, val);
				first = false;
			}
		}
	}
	putchar('\n');
}

/* Prints a reply as text, one "key: value" a line ("ok" left out), or as JSON. */
static int
print_reply(const struct cli *c, struct json_object *reply)
{
	if (c->o.json)
		return print_json(reply);
	json_object_object_foreach(reply, key, val) {
		if (strcmp(key, "ok") != 0)
			put_field(key, val);
	}
	json_object_put(reply);
	return EXIT_OK;
}

static int
cmd_status(struct cli *c)
{
	struct json_object *req, *reply = NULL;
	int rc;

	if ((rc = check_opts(&c->o, OPT_CONFIG | OPT_FORMAT, "status")) != 0)
		return rc;
	if (c->o.nargs != 1)
		return usage_error("status takes no argument \"%s\"", c->o.args[1]);
	if ((req = json_object_new_object()) == NULL ||
	    !jsonv_put_str(req, "command", "status")) {
		json_object_put(req);
		return oom();
	}
	rc = daemon_call(c, req, &reply);
	json_object_put(req);
	if (rc != EXIT_OK)
		return rc;
	return print_reply(c, reply);
}

/*
 * outbox failed: the messages drilld gave up on, with their reasons.
 * outbox retry ID: queue one of them again. Both through the daemon, which
 * stays the only writer of its database.
 */
/* ------------------------------------------------------------------ */
/* export */

/* An RFC 3339 date-time, or a full date ("2026-03-01": midnight UTC). */
static int
parse_instant(const char *v, int64_t *out, char err[DRILL_ERRLEN])
{
	char buf[40];

	if (strlen(v) == 10 && snprintf(buf, sizeof(buf), "%sT00:00:00Z", v) > 0)
		return cron_parse_rfc3339(buf, out, err);
	return cron_parse_rfc3339(v, out, err);
}

/*
 * Writes field as one CSV cell (RFC 4180): quoted when it holds a comma,
 * a quote or a line break, quotes doubled. A cell that a spreadsheet
 * would run as a formula (starting with =, +, -, @, a tab or a carriage
 * return) gets a leading apostrophe: answers are untrusted text.
 */
static void
csv_cell(FILE *f, const char *field, bool last)
{
	const char *p;
	bool quote = strpbrk(field, ",\"\r\n") != NULL;

	if (quote)
		fputc('"', f);
	if (strchr("=+-@\t\r", field[0]) != NULL && field[0] != '\0')
		fputc('\'', f);
	for (p = field; *p; p++) {
		if (*p == '"')
			fputc('"', f);
		fputc(*p, f);
	}
	if (quote)
		fputc('"', f);
	fputs(last ? "\r\n" : ",", f);
}

struct export {
	bool csv;
	struct json_object *list;
	bool oom;
	size_t n;
};

static void
on_export(void *arg, const struct store_answer *a, const char *person)
{
	struct export *x = arg;
	char when[CRON_RFC3339_LEN], num[24];

	if (cron_format_utc(a->created_at, when) != 0)
		snprintf(when, sizeof(when), "%lld", (long long)a->created_at);
	x->n++;
	if (x->csv) {
		const int v[] = {a->score, a->relevance, a->structure, a->clarity, a->impact,
		    a->hints_used};
		csv_cell(stdout, when, false);
		csv_cell(stdout, person, false);
		csv_cell(stdout, a->question_id, false);
		for (size_t i = 0; i < 5; i++) {
			snprintf(num, sizeof(num), "%d", v[i]);
			csv_cell(stdout, num, false);
		}
		csv_cell(stdout, a->grade, false);
		csv_cell(stdout, a->rubric_version, false);
		csv_cell(stdout, a->late ? "yes" : "no", false);
		snprintf(num, sizeof(num), "%d", v[5]);
		csv_cell(stdout, num, false);
		csv_cell(stdout, a->model_seen ? "yes" : "no", false);
		csv_cell(stdout, a->text, true);
		return;
	}
	{
		struct json_object *o = json_object_new_object();
		bool ok = o != NULL && json_object_array_add(x->list, o) == 0;

		if (!ok)
			json_object_put(o);	/* not added: still ours */
		ok = ok && jsonv_put_str(o, "answered_at", when) &&
		    jsonv_put_str(o, "person", person) &&
		    jsonv_put_str(o, "question_id", a->question_id) &&
		    jsonv_put_int(o, "score", a->score) &&
		    jsonv_put_int(o, "relevance", a->relevance) &&
		    jsonv_put_int(o, "structure", a->structure) &&
		    jsonv_put_int(o, "clarity", a->clarity) &&
		    jsonv_put_int(o, "impact", a->impact) &&
		    jsonv_put_str(o, "grade", a->grade) &&
		    jsonv_put_str(o, "rubric_version", a->rubric_version) &&
		    jsonv_put(o, "late", json_object_new_boolean(a->late)) &&
		    jsonv_put_int(o, "hints_used", a->hints_used) &&
		    jsonv_put(o, "model_seen", json_object_new_boolean(a->model_seen)) &&
		    jsonv_put_str(o, "text", a->text);
		if (!ok)
			x->oom = true;
	}
}

/*
 * export --conversation NAME [--since DATE] [--until DATE] [--format csv|json]:
 * the answers to that conversation's questions, oldest first. Read-only.
 */
static int
cmd_export(struct cli *c)
{
	struct export x = {0};
	struct store *st = NULL;
	char err[DRILL_ERRLEN] = "";
	int64_t since = 0, until = INT64_MAX;
	int rc;

	if ((rc = check_opts(&c->o, OPT_CONFIG | OPT_FORMAT | OPT_CONVERSATION | OPT_SINCE |
	    OPT_UNTIL, "export")) != 0)
		return rc;
	if (c->o.nargs != 1)
		return usage_error("%s", "export takes no arguments, only options");
	if (c->o.conversation == NULL)
		return usage_error("%s", "export needs --conversation NAME, e.g. slack:C0123ABCD");
	if (!c->o.csv && !c->o.json)
		return usage_error("%s", "export writes --format csv or --format json");
	if (c->o.since != NULL && parse_instant(c->o.since, &since, err) != 0) {
		fprintf(stderr, "drillctl: --since: %s\n", err);
		return EXIT_BAD;
	}
	if (c->o.until != NULL && parse_instant(c->o.until, &until, err) != 0) {
		fprintf(stderr, "drillctl: --until: %s\n", err);
		return EXIT_BAD;
	}
	if (until <= since) {
		fprintf(stderr, "drillctl: --until must be after --since\n");
		return EXIT_BAD;
	}
	if ((rc = open_store(c, &st)) != 0)
		return rc;
	x.csv = c->o.csv;
	if (x.csv)
		fputs("answered_at,person,question_id,score,relevance,structure,clarity,"
		    "impact,grade,rubric_version,late,hints_used,model_seen,text\r\n", stdout);
	else if ((x.list = json_object_new_array()) == NULL) {
		store_close(st);
		return oom();
	}
	rc = store_conversation_answers(st, c->o.conversation, since, until, on_export, &x);
	store_close(st);
	if (rc != 0) {
		json_object_put(x.list);
		fprintf(stderr, "drillctl: reading the store: %s\n", drill_strerror(rc));
		return EXIT_BAD;
	}
	if (!x.csv) {
		struct json_object *o = json_object_new_object();
		bool ok = !x.oom && o != NULL &&
		    jsonv_put_str(o, "conversation", c->o.conversation);

		if (ok)
			ok = jsonv_put(o, "answers", x.list);	/* taken, or released */
		else
			json_object_put(x.list);
		if (ok)
			puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
			    JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(o);
		if (!ok)
			return oom();
	}
	return EXIT_OK;
}

/* ------------------------------------------------------------------ */
/* schedule next */

/*
 * `schedule next --cron EXPR --timezone ZONE [--after T] [--count N]`: the
 * next fire instants, one RFC 3339 UTC line each. Needs no config file.
 */
static int
cmd_schedule(struct cli *c)
{
	char err[DRILL_ERRLEN] = "", line[CRON_RFC3339_LEN];
	struct cron cr;
	struct tz *tz = NULL;
	int64_t t = (int64_t)time(NULL);
	unsigned long count = 5;
	int rc;

	if ((rc = check_opts(&c->o, OPT_CRON | OPT_TIMEZONE | OPT_AFTER | OPT_COUNT,
	    "schedule next")) != 0)
		return rc;
	if (c->o.nargs != 2 || strcmp(c->o.args[1], "next") != 0)
		return usage_error("%s", "schedule takes one subcommand: next");
	if (c->o.cron == NULL || c->o.timezone == NULL)
		return usage_error("%s", "schedule next needs --cron EXPR and --timezone ZONE");
	if (c->o.count != NULL) {
		char *end;

		errno = 0;
		count = strtoul(c->o.count, &end, 10);
		if (*end != '\0' || errno != 0 || count == 0 || count > 1000 ||
		    c->o.count[0] == '-')
			return usage_error("--count wants a number from 1 to 1000, not %s",
			    c->o.count);
	}
	if (cron_parse(c->o.cron, &cr, err) != 0) {
		fprintf(stderr, "drillctl: --cron \"%s\": %s\n", c->o.cron, err);
		return EXIT_BAD;
	}
	if (c->o.after != NULL && cron_parse_rfc3339(c->o.after, &t, err) != 0) {
		fprintf(stderr, "drillctl: --after \"%s\": %s\n", c->o.after, err);
		return EXIT_BAD;
	}
	if ((rc = tz_load(c->o.timezone, &tz, err)) != 0) {
		fprintf(stderr, "drillctl: --timezone \"%s\": %s\n", c->o.timezone, err);
		return EXIT_BAD;
	}
	for (unsigned long i = 0; i < count; i++) {
		if ((rc = cron_next(&cr, tz, NULL, t, &t)) != 0)
			break;
		if (cron_format_utc(t, line) != 0) {
			rc = DRILL_EINVAL;
			break;
		}
		puts(line);
	}
	tz_free(tz);
	if (rc == DRILL_ENOTFOUND) {
		fprintf(stderr, "drillctl: --cron \"%s\" does not fire %sin the next %d years\n",
		    c->o.cron, count > 1 ? "again " : "", CRON_HORIZON_DAYS / 366);
		return EXIT_BAD;
	}
	if (rc != 0) {
		fprintf(stderr, "drillctl: cannot compute the next fire time: %s\n",
		    drill_strerror(rc));
		return EXIT_BAD;
	}
	return EXIT_OK;
}

/* ------------------------------------------------------------------ */
/* disputes */

/*
 * Parses --since: "YYYY-MM-DD" (midnight UTC) or "Nd" (N days before now).
 * Returns 0 and *out (Unix seconds), or -1.
 */
static int
parse_since(const char *v, int64_t *out)
{
	int y, m, d, n = 0;
	char tail;

	if (sscanf(v, "%4d-%2d-%2d%c", &y, &m, &d, &tail) == 3 && strlen(v) == 10 &&
	    y >= 1970 && m >= 1 && m <= 12 && d >= 1 && d <= tz_days_in_month(y, m)) {
		*out = tz_days_from_civil(y, m, d) * 86400;	/* midnight UTC */
		return 0;
	}
	if (sscanf(v, "%9dd%c", &n, &tail) == 1 && n >= 0 && v[strlen(v) - 1] == 'd') {
		*out = (int64_t)time(NULL) - (int64_t)n * 86400;
		return 0;
	}
	return -1;
}

static void
utc_stamp(int64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL || strftime(buf, len, "%Y-%m-%d %H:%M UTC", &tm) == 0)
		snprintf(buf, len, "%lld", (long long)t);
}

/* Prints text indented by 4, wrapped at SHOW_WIDTH, on one logical paragraph. */
static void
print_wrapped(const char *label, const char *text)
{
	size_t col = 4 + strlen(label);
	const char *p = text;

	printf("    %s", label);
	while (*p != '\0') {
		size_t w = strcspn(p, " \n\t");

		if (col + w + 1 > SHOW_WIDTH && col > 4 + strlen(label)) {
			printf("\n      ");
			col = 6;
		} else if (p != text) {
			putchar(' ');
			col++;
		}
		fwrite(p, 1, w, stdout);
		col += w;
		p += w;
		while (*p == ' ' || *p == '\n' || *p == '\t')
			p++;
	}
	putchar('\n');
}

static int
cmd_disputes(struct cli *c)
{
	struct store_dispute_row *rows = NULL;
	struct store *st = NULL;
	int64_t since = 0;
	size_t n = 0, limit = 50;
	bool banks_ok;
	int rc;

	if ((rc = check_opts(&c->o, OPT_CONFIG | OPT_FORMAT | OPT_BANK | OPT_SINCE |
	    OPT_LIMIT | OPT_ANSWERS, "disputes")) != 0)
		return rc;
	if (c->o.nargs != 1)
		return usage_error("%s", "disputes takes no arguments");
	if (c->o.since != NULL && parse_since(c->o.since, &since) != 0)
		return usage_error("--since wants a date like 2026-11-01 or days like 30d, not %s",
		    c->o.since);
	if (c->o.limit != NULL) {
		char *end;
		unsigned long long v;

		errno = 0;
		v = strtoull(c->o.limit, &end, 10);
		if (*end != '\0' || errno != 0 || v == 0 || c->o.limit[0] == '-')
			return usage_error("--limit wants a positive number, not %s", c->o.limit);
		limit = (size_t)v;
	}
	if ((rc = open_store(c, &st)) != 0)
		return rc;
	rc = store_disputes_list(st, since, limit, &rows, &n);
	store_close(st);
	if (rc != 0) {
		fprintf(stderr, "drillctl: reading the store: %s\n", drill_strerror(rc));
		return EXIT_BAD;
	}
	/* The banks tell whether a rubric changed since the score; without
	 * them the list is still shown. */
	banks_ok = load_banks_quietly(c, true) == 0;

	if (c->o.json) {
		struct json_object *o = json_object_new_object(), *list = NULL;
		bool ok = o != NULL && jsonv_put(o, "disputes", list = json_object_new_array());

		for (size_t i = 0; ok && i < n; i++) {
			const struct store_dispute_row *r = &rows[i];
			const struct bank_question *q = banks_ok ? bank_find(c->bank, r->question_id) : NULL;
			struct json_object *d = json_object_new_object();

			ok = d != NULL && json_object_array_add(list, d) == 0;
			ok = ok && jsonv_put_int(d, "id", r->id) &&
			    jsonv_put_int(d, "created_at", r->created_at) &&
			    jsonv_put_str(d, "reason", r->reason) &&
			    jsonv_put_int(d, "answer_id", r->answer_id) &&
			    jsonv_put_int(d, "answered_at", r->answered_at) &&
			    jsonv_put_str(d, "person", r->person) &&
			    jsonv_put_str(d, "question", r->question_id) &&
			    jsonv_put_str(d, "rubric_version", r->rubric_version) &&
			    jsonv_put_str(d, "current_rubric_version",
			    q != NULL ? q->rubric_version : NULL) &&
			    jsonv_put_int(d, "score", r->score) &&
			    jsonv_put_str(d, "grade", r->grade) &&
			    jsonv_put_int(d, "relevance", r->dims[0]) &&
			    jsonv_put_int(d, "structure", r->dims[1]) &&
			    jsonv_put_int(d, "clarity", r->dims[2]) &&
			    jsonv_put_int(d, "impact", r->dims[3]);
			if (ok && c->o.answers)
				ok = jsonv_put_str(d, "answer", r->answer);
		}
		if (ok)
			puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
			    JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(o);
		store_dispute_rows_free(rows, n);
		if (!ok)
			return oom();
		return EXIT_OK;
	}

	if (n == 0)
		printf("No disputes%s.\n", c->o.since != NULL ? " in that time" : "");
	for (size_t i = 0; i < n; i++) {
		const struct store_dispute_row *r = &rows[i];
		const struct bank_question *q = banks_ok ? bank_find(c->bank, r->question_id) : NULL;
		char when[40];

		utc_stamp(r->created_at, when, sizeof(when));
		printf("#%lld  %s  %s  %s\n", (long long)r->id, when, r->person, r->question_id);
		printf("    score %d (%s): relevance %d, structure %d, clarity %d, impact %d\n",
		    r->score, r->grade, r->dims[0], r->dims[1], r->dims[2], r->dims[3]);
		printf("    rubric %s%s\n", r->rubric_version,
		    q == NULL ? (banks_ok ? " (the question is no longer in the banks)" : "") :
		    strcmp(q->rubric_version, r->rubric_version) == 0 ? " (current)" :
		    " (changed since: the score would differ now)");
		print_wrapped("reason: ", r->reason != NULL && r->reason[0] != '\0' ?
		    r->reason : "(none given)");
		if (c->o.answers)
			print_wrapped("answer: ", r->answer);
	}
	if (n > 0)
		printf("%zu dispute%s%s\n", n, n == 1 ? "" : "s",
		    n == limit ? " (the newest; --limit shows more)" : "");
	store_dispute_rows_free(rows, n);
	return EXIT_OK;
}

static int
cmd_outbox(struct cli *c)
{
	struct json_object *req, *reply = NULL;
	const char *sub = c->o.nargs > 1 ? c->o.args[1] : NULL;
	long long id = 0;
	int rc;

	if (sub == NULL || (strcmp(sub, "failed") != 0 && strcmp(sub, "retry") != 0))
		return usage_error("%s", "outbox needs \"failed\" or \"retry ID\"");
	if ((rc = check_opts(&c->o, OPT_CONFIG | (strcmp(sub, "failed") == 0 ? OPT_FORMAT : 0),
	    "outbox")) != 0)
		return rc;
	if (strcmp(sub, "retry") == 0) {
		char *end;
		if (c->o.nargs != 3)
			return usage_error("%s", "outbox retry needs exactly one ID");
		errno = 0;
		id = strtoll(c->o.args[2], &end, 10);
		if (errno != 0 || *end != '\0' || end == c->o.args[2] || id <= 0)
			return usage_error("outbox retry: \"%s\" is not a message id", c->o.args[2]);
	} else if (c->o.nargs != 2) {
		return usage_error("outbox failed takes no argument \"%s\"", c->o.args[2]);
	}
	if ((req = json_object_new_object()) == NULL ||
	    !jsonv_put_str(req, "command", id ? "outbox.retry" : "outbox.failed") ||
	    (id && !jsonv_put_int(req, "id", id))) {
		json_object_put(req);
		return oom();
	}
	rc = daemon_call(c, req, &reply);
	json_object_put(req);
	if (rc != EXIT_OK)
		return rc;
	if (id) {
		printf("message %lld queued again\n", id);
		json_object_put(reply);
		return EXIT_OK;
	}
	return print_reply(c, reply);
}

/*
 * ask CONVERSATION: `ask now` from outside chat, through the daemon (it
 * posts, and stays the only writer of its database).
 */
static int
cmd_ask(struct cli *c)
{
	struct json_object *req, *reply = NULL;
	int rc;

	if ((rc = check_opts(&c->o, OPT_CONFIG, "ask")) != 0)
		return rc;
	if (c->o.nargs != 2)
		return usage_error("%s", "ask needs exactly one CONVERSATION, e.g. "
		    "slack:C0123ABCD");
	if ((req = json_object_new_object()) == NULL ||
	    !jsonv_put_str(req, "command", "ask") ||
	    !jsonv_put_str(req, "conversation", c->o.args[1])) {
		json_object_put(req);
		return oom();
	}
	rc = daemon_call(c, req, &reply);
	json_object_put(req);
	if (rc != EXIT_OK)
		return rc;
	printf("the next question of %s is posted (it goes out through the outbox)\n",
	    c->o.args[1]);
	json_object_put(reply);
	return EXIT_OK;
}

/* ------------------------------------------------------------------ */


static int
cmd_lint_checked(struct cli *c)
{
	int rc;

	if ((rc = check_opts(&c->o, OPT_CONFIG | OPT_BANK, "lint")) != 0)
		return rc;
	return cmd_lint(c);
}

/*
 * matrix registration: the application service registration YAML for the
 * homeserver, from the config's matrix group. It holds both tokens, so
 * the config is loaded with its secrets (run it where they are readable).
 */
static int
cmd_matrix(struct cli *c)
{
	struct drill_errors errs = {0};
	struct config cfg;
	const char *path = c->o.config != NULL ? c->o.config : config_default_path();
	char *yaml;
	int rc;

	if ((rc = check_opts(&c->o, OPT_CONFIG, "matrix")) != 0)
		return rc;
	if (c->o.nargs != 2 || strcmp(c->o.args[1], "registration") != 0)
		return usage_error("%s", "matrix takes one word: registration");
	memset(&cfg, 0, sizeof(cfg));
	rc = config_load(path, &cfg, &errs);
	for (size_t i = 0; i < errs.n; i++)
		fprintf(stderr, "%s\n", errs.lines[i]);
	drill_errors_free(&errs);
	if (rc != 0) {
		fprintf(stderr, "drillctl: the config %s did not load\n", path);
		return EXIT_BAD;
	}
	if (!cfg.matrix.enabled || !cfg.matrix.appservice) {
		fprintf(stderr, "drillctl: %s does not run drilld as a Matrix application "
		    "service (matrix.enabled = true; matrix.mode = \"appservice\")\n", path);
		config_free(&cfg);
		return EXIT_BAD;
	}
	if ((yaml = matrix_registration(&cfg)) == NULL) {
		config_free(&cfg);
		return oom();
	}
	fputs(yaml, stdout);
	explicit_bzero(yaml, strlen(yaml));
	free(yaml);
	config_free(&cfg);
	return EXIT_OK;
}

/* The commands, by their first word. */
static const struct {
	const char *name;
	int (*run)(struct cli *c);
} commands[] = {
	{"lint", cmd_lint_checked}, {"bank", cmd_bank}, {"import", cmd_import},
	{"score", cmd_score}, {"backup", cmd_backup}, {"stats", cmd_stats},
	{"status", cmd_status}, {"outbox", cmd_outbox}, {"disputes", cmd_disputes},
	{"schedule", cmd_schedule}, {"ask", cmd_ask}, {"export", cmd_export},
	{"matrix", cmd_matrix},
};

static int
run(struct cli *c)
{
	const char *cmd;

	if (c->o.version) {
		printf("drillctl %s\n", DRILL_VERSION);
		return EXIT_OK;
	}
	if (c->o.help || (c->o.nargs > 0 && strcmp(c->o.args[0], "help") == 0)) {
		fputs(usage_text, stdout);
		return EXIT_OK;
	}
	if (c->o.nargs == 0)
		return usage_error("%s", "no command given");
	cmd = c->o.args[0];
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(cmd, commands[i].name) == 0)
			return commands[i].run(c);
	return usage_error("unknown command \"%s\"", cmd);
}

int
main(int argc, char **argv)
{
	struct cli c;
	int rc;

	memset(&c, 0, sizeof(c));
	rc = parse_args(argc, argv, &c.o);
	if (rc == 0)
		rc = run(&c);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "drillctl: writing the output: %s\n", strerror(errno));
		if (rc == EXIT_OK)
			rc = EXIT_BAD;
	}
	bank_free(c.bank);
	if (c.have_cfg)
		config_free(&c.cfg);
	free(c.o.args);
	free(c.o.banks);
	return rc;
}
