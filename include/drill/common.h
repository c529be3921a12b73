/*
 * common.h - what every drilld module shares: error codes, the error buffer
 * size, the version and a few attributes.
 *
 * Functions that can fail return one of the DRILL_E* codes below (0 is
 * success) and give their results through out-parameters; where a message
 * helps, they fill a caller's char err[DRILL_ERRLEN]. Modules never print and
 * never exit: only main() decides to stop.
 */
#ifndef DRILL_COMMON_H
#define DRILL_COMMON_H

#include <stddef.h>
#include <stdint.h>

#define DRILL_VERSION "0.1.0"
#define DRILL_ERRLEN 256

#define DRILL_WUR __attribute__((warn_unused_result))
#define DRILL_PRINTF(a, b) __attribute__((format(printf, a, b)))

enum drill_err {
	DRILL_OK = 0,
	DRILL_ENOMEM = -1,	/* out of memory */
	DRILL_EINVAL = -2,	/* bad input: the message says what */
	DRILL_EIO = -3,		/* a file, socket or database failed */
	DRILL_EPROTO = -4,	/* a peer broke its protocol */
	DRILL_ENOTFOUND = -5,	/* no such thing */
	DRILL_EEXIST = -6,	/* already there */
	DRILL_ETOOBIG = -7,	/* over a size limit */
	DRILL_ESCHEMA = -8,	/* database schema newer than this binary */
	DRILL_ENOTSUP = -9	/* the platform or peer cannot do that */
};

/*
 * A list of problems, one formatted line each, for loaders that report every
 * problem of an input at once (config, banks). A failed allocation is
 * remembered in nomem (the list then lacks lines).
 */
struct drill_errors {
	char **lines;
	size_t n;
	int nomem;
};

/* Appends one printf-formatted line. */
void drill_errors_add(struct drill_errors *e, const char *fmt, ...) DRILL_PRINTF(2, 3);

/* A new string formatted like printf (caller frees), or NULL when out of memory. */
char *drill_strf(const char *fmt, ...) DRILL_PRINTF(1, 2);
/* Releases the lines and empties the list; safe on a zeroed struct. */
void drill_errors_free(struct drill_errors *e);

/* Returns a static, human-readable name for a DRILL_E* code. */
const char *drill_strerror(int err);

/*
 * Day number (days since 1970-01-01) of the local calendar date of Unix time
 * t, in the process's time zone; streaks count these days.
 */
int64_t drill_local_day(int64_t t);

/* Formats into err (DRILL_ERRLEN bytes) when err is not NULL. */
void drill_seterr(char *err, const char *fmt, ...) DRILL_PRINTF(2, 3);

#endif
