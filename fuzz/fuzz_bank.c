/*
 * fuzz_bank - bank_load on an arbitrary file (a memfd, read through
 * /proc/self/fd like any file), then every loaded question scored against
 * the input itself as an answer.
 */
#define _GNU_SOURCE
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "drill/bank.h"
#include "drill/scorer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct drill_errors e = {0};
	struct bank *b = NULL;
	char path[64];
	const char *paths[1] = {path};
	int fd = memfd_create("bank.json", 0);

	if (fd < 0)
		return 0;
	if (write(fd, data, size) == (ssize_t)size) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		if (bank_load(paths, 1, &b, &e) == 0) {
			struct scorer *s = scorer_new(b);
			struct scorer_result r;

			for (size_t i = 0; s != NULL && i < bank_count(b); i++)
				(void)scorer_score(s, bank_get(b, i), (const char *)data, size, &r);
			scorer_free(s);
			bank_free(b);
		}
	}
	drill_errors_free(&e);
	close(fd);
	return 0;
}
