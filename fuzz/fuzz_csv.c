/* fuzz_csv - a spreadsheet export, converted as `drillctl import` does. */
#include <stddef.h>
#include <stdint.h>

#include "drill/common.h"
#include "drill/csvimport.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct drill_errors e = {0};
	struct csvimport *ci = NULL;

	(void)csvimport_convert("fuzz.csv", (const char *)data, size, "fuzz", &ci, &e);
	csvimport_free(ci);
	drill_errors_free(&e);
	return 0;
}
