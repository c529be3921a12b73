/*
 * common.c - error names and the error-buffer helper every module uses.
 */
#include "drill/common.h"

#include <stdarg.h>
#include <stdio.h>

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
