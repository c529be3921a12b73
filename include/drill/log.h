/*
 * log.h - leveled, structured logging to stderr.
 *
 * One shape everywhere: a short message, then key=value fields, e.g.
 *   log_info("question posted conversation=%s question=%s", conv, id);
 * Lines go to stderr as "drilld: LEVEL: message". Under systemd (when stderr
 * is the stream JOURNAL_STREAM names) each line starts with the journald
 * priority prefix "<N>" instead. Tokens and signatures are never passed to these functions;
 * answer text only to log_debug.
 *
 * Library modules (store, bank, scorer, config, text) never log: they fill
 * an error buffer and the caller decides. The engine, the adapters and main
 * log.
 */
#ifndef DRILL_LOG_H
#define DRILL_LOG_H

#include "drill/common.h"

enum log_level {
	LOGL_DEBUG = 0,
	LOGL_INFO,
	LOGL_NOTICE,
	LOGL_WARNING,
	LOGL_ERROR
};

/* Sets the program name used as prefix and the lowest level printed. */
void log_init(const char *progname, enum log_level level);
void log_set_level(enum log_level level);
enum log_level log_get_level(void);

/* Parses "debug|info|notice|warning|error" into *out; returns 0 or DRILL_EINVAL. */
int log_level_parse(const char *s, enum log_level *out) DRILL_WUR;
/* Returns the name of a level ("info"). */
const char *log_level_name(enum log_level level);

void log_debug(const char *fmt, ...) DRILL_PRINTF(1, 2);
void log_info(const char *fmt, ...) DRILL_PRINTF(1, 2);
void log_notice(const char *fmt, ...) DRILL_PRINTF(1, 2);
/* log_warn appends ": strerror(errno)"; log_warnx does not. */
void log_warn(const char *fmt, ...) DRILL_PRINTF(1, 2);
void log_warnx(const char *fmt, ...) DRILL_PRINTF(1, 2);
void log_error(const char *fmt, ...) DRILL_PRINTF(1, 2);
/* Start-up only: log at error level and exit(1). fatal appends strerror. */
void fatal(const char *fmt, ...) DRILL_PRINTF(1, 2) __attribute__((noreturn));
void fatalx(const char *fmt, ...) DRILL_PRINTF(1, 2) __attribute__((noreturn));

#endif
