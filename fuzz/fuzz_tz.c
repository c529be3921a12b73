/* fuzz_tz - a TZif file, then offsets and local-time resolution across its range. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "drill/tz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[DRILL_ERRLEN];
	struct tz *tz = NULL;

	if (tz_parse("Fuzz/Zone", data, size, &tz, err) != 0)
		return 0;
	for (int64_t t = -2208988800LL; t < 4102444800LL; t += 86400LL * 37 + 3607) {
		int off;
		bool dst;
		int64_t utc;
		enum tz_local_kind kind;

		if (tz_offset(tz, t, &off, &dst) == 0)
			(void)tz_resolve(tz, t + off, &utc, &kind);
	}
	tz_free(tz);
	return 0;
}
