/* fuzz_score - any bytes as an answer to every question of the shipped bank. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "drill/bank.h"
#include "drill/scorer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct bank *bank;
static struct scorer *scorer;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct scorer_result r;

	if (bank == NULL) {
		const char *paths[1] = {"questions"};
		struct drill_errors e = {0};

		if (bank_load(paths, 1, &bank, &e) != 0 || (scorer = scorer_new(bank)) == NULL)
			abort();
		drill_errors_free(&e);
	}
	for (size_t i = 0; i < bank_count(bank); i++) {
		char *js;

		if (scorer_score(scorer, bank_get(bank, i), (const char *)data, size, &r) != 0)
			abort();
		if (r.score < 0 || r.score > 100)
			abort();
		if ((js = scorer_result_json(&r, false)) == NULL)
			abort();
		free(js);
	}
	return 0;
}
