/* fuzz_ics - an iCalendar file of holidays, as skip_dates reads it. */
#include <stddef.h>
#include <stdint.h>

#include "drill/holiday.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[DRILL_ERRLEN];
	struct holiday_set *set = NULL;

	if (holiday_new(&set) != 0)
		return 0;
	if (holiday_add_ics(set, (const char *)data, size, "fuzz.ics", err) == 0)
		(void)holiday_contains(set, 2026, 12, 25);
	holiday_free(set);
	return 0;
}
