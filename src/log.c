/*
 * log.c - leveled logging to stderr, with journald priority prefixes when
 * run under systemd. It formats and writes one line per call; it does not
 * buffer, rotate or filter secrets (callers never pass them).
 */
#include "drill/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *progname = "drilld";
static enum log_level min_level = LOGL_INFO;
static int journal = -1;

static const char *const names[] = {"debug", "info", "notice", "warning", "error"};
static const int priorities[] = {7, 6, 5, 4, 3};

/*
 * True when stderr is the journal's stream: JOURNAL_STREAM holds its
 * "device:inode", and a terminal that merely inherited the variable from a
 * desktop session does not match it.
 */
static int
stderr_is_journal(void)
{
	const char *v = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat sb;
	char *end;

	if (v == NULL || fstat(2, &sb) < 0)
		return 0;
	dev = strtoull(v, &end, 10);
	if (*end != ':')
		return 0;
	ino = strtoull(end + 1, &end, 10);
	return *end == '\0' && (unsigned long long)sb.st_dev == dev &&
	    (unsigned long long)sb.st_ino == ino;
}

void
log_init(const char *name, enum log_level level)
{
	progname = name;
	min_level = level;
	journal = stderr_is_journal();
}

void
log_set_level(enum log_level level)
{
	min_level = level;
}

enum log_level
log_get_level(void)
{
	return min_level;
}

int
log_level_parse(const char *s, enum log_level *out)
{
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(s, names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	return DRILL_EINVAL;
}

const char *
log_level_name(enum log_level level)
{
	if ((unsigned)level >= sizeof(names) / sizeof(names[0]))
		return "unknown";
	return names[level];
}

DRILL_PRINTF(3, 0) static void
vlog(enum log_level level, int errnum, const char *fmt, va_list ap)
{
	char line[2048];
	int n;

	if (level < min_level)
		return;
	if (journal < 0)
		journal = stderr_is_journal();
	n = vsnprintf(line, sizeof(line), fmt, ap);
	if (n < 0)
		return;
	if (journal)
		fprintf(stderr, "<%d>%s%s%s\n", priorities[level], line,
		    errnum ? ": " : "", errnum ? strerror(errnum) : "");
	else
		fprintf(stderr, "%s: %s: %s%s%s\n", progname, names[level], line,
		    errnum ? ": " : "", errnum ? strerror(errnum) : "");
}

#define LOGFN(fn, level, witherr)                               \
	void fn(const char *fmt, ...)                           \
	{                                                       \
		int saved = errno;                              \
		va_list ap;                                     \
		va_start(ap, fmt);                              \
		vlog(level, (witherr) ? saved : 0, fmt, ap);    \
		va_end(ap);                                     \
		errno = saved;                                  \
	}

LOGFN(log_debug, LOGL_DEBUG, 0)
LOGFN(log_info, LOGL_INFO, 0)
LOGFN(log_notice, LOGL_NOTICE, 0)
LOGFN(log_warn, LOGL_WARNING, 1)
LOGFN(log_warnx, LOGL_WARNING, 0)
LOGFN(log_error, LOGL_ERROR, 0)

void
fatal(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	vlog(LOGL_ERROR, saved, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOGL_ERROR, 0, fmt, ap);
	va_end(ap);
	exit(1);
}
