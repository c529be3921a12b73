/* fuzz_json - jsonv_parse, the one strict JSON parse of everything from outside. */
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "drill/jsonv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_object *o = NULL;
	struct jsonv_error e;

	if (jsonv_parse((const char *)data, size, 64, &o, &e) == 0)
		json_object_put(o);
	return 0;
}
