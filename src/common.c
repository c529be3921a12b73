/*
 * common.c - error names and the error-buffer helper every module uses.
 */
#include "drill/common.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const char *
drill_strerror(int err)
{
	switch (err) {
	case DRILL_OK: return "success";
	case DRILL_ENOMEM: return "out of memory";
	case DRILL_EINVAL: return "invalid input";
	case DRILL_EIO: return "input/output error";
	case DRILL_EPROTO: return "protocol error";
	case DRILL_ENOTFOUND: return "not found";
	case DRILL_EEXIST: return "already exists";
	case DRILL_ENOTSUP: return "not supported";
	case DRILL_ETOOBIG: return "too big";
	case DRILL_ESCHEMA: return "database schema is newer than this drilld";
	default: return "unknown error";
	}
}

void
drill_seterr(char *err, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(err, DRILL_ERRLEN, fmt, ap);
	va_end(ap);
}

int64_t
drill_local_day(int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	int64_t y, m, d, era, yoe, doy, doe;

	if (localtime_r(&tt, &tm) == NULL)
		return t / 86400;
	/* days from the civil date, proleptic Gregorian (H. Hinnant) */
	y = (int64_t)tm.tm_year + 1900;
	m = tm.tm_mon + 1;
	d = tm.tm_mday;
	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static char *
vstrf(const char *fmt, va_list ap)
{
	va_list again;
	char *s;
	int n;

	va_copy(again, ap);
	n = vsnprintf(NULL, 0, fmt, ap);
	if (n < 0 || (s = malloc((size_t)n + 1)) == NULL) {
		va_end(again);
		return NULL;
	}
	vsnprintf(s, (size_t)n + 1, fmt, again);
	va_end(again);
	return s;
}

char *
drill_strf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = vstrf(fmt, ap);
	va_end(ap);
	return s;
}

void
drill_errors_add(struct drill_errors *e, const char *fmt, ...)
{
	va_list ap;
	char **lines;
	char *s;

	va_start(ap, fmt);
	s = vstrf(fmt, ap);
	va_end(ap);
	if (s == NULL)
		goto fail;
	if ((lines = realloc(e->lines, (e->n + 1) * sizeof(*lines))) == NULL)
		goto fail;
	e->lines = lines;
	e->lines[e->n++] = s;
	return;
fail:
	free(s);
	e->nomem = 1;
}

void
drill_errors_free(struct drill_errors *e)
{
	if (e == NULL)
		return;
	for (size_t i = 0; i < e->n; i++)
		free(e->lines[i]);
	free(e->lines);
	memset(e, 0, sizeof(*e));
}
