/* fuzz_cron - a cron expression, then its next fire times in Berlin. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "drill/cron.h"
#include "drill/tz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct tz *berlin;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char expr[CRON_EXPR_MAX + 2], err[DRILL_ERRLEN], out[CRON_RFC3339_LEN];
	struct cron c;
	int64_t t = 1774828800;	/* 2026-03-30 */

	if (berlin == NULL && tz_load("Europe/Berlin", &berlin, err) != 0)
		abort();
	if (size > CRON_EXPR_MAX + 1)
		size = CRON_EXPR_MAX + 1;
	memcpy(expr, data, size);
	expr[size] = '\0';
	if (cron_parse(expr, &c, err) == 0)
		for (int i = 0; i < 3 && cron_next(&c, berlin, NULL, t, &t) == 0; i++)
			(void)cron_format_utc(t, out);
	(void)cron_parse_rfc3339(expr, &t, err);
	return 0;
}
