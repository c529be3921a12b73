/*
 * bench_scorer - how fast drilld scores answers and loads banks.
 *
 *   build/bench/bench_scorer [SECONDS]
 *
 * 1. Scoring: a 150-word answer scored over and over against its question
 *    of the shipped bank, on one core: answers per second.
 * 2. Bank loading: a generated bank of 1,000 questions (7 concepts, 5
 *    phrases each) written to a temporary file and loaded: milliseconds.
 * 3. Independence of bank size: the same answer scored against banks of 10,
 *    100, 1,000 and 5,000 generated questions: answers per second each.
 * Figures go to stdout, one "name: value unit" per line.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "drill/bank.h"
#include "drill/scorer.h"

static const char answer150[] =
    "I would start by measuring before changing anything. I take the slow query "
    "from the logs and run EXPLAIN ANALYZE on it, because the query plan shows "
    "where the time really goes. Most often the plan shows a sequential scan "
    "since a filter or join column has no index, so I add a composite index that "
    "matches the filter and the sort order. I also look at the code that calls "
    "the query: an N+1 pattern, where the application sends one query per row, "
    "is common with ORMs, and batching it into one query fixes it. Pages that "
    "fetch thousands of rows need pagination, ideally keyset pagination. For "
    "example, on an orders page last year this took the p95 latency from 4 s to "
    "30 ms. Finally I verify the fix on production-like data and keep watching "
    "the latency dashboard for a week, and I check that the table statistics "
    "are fresh.";

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Answers per second for q over at least secs seconds. */
static double
rate(const struct bank *b, const struct bank_question *q, double secs)
{
	struct scorer *s = scorer_new(b);
	struct scorer_result r;
	double t0 = now_s(), t;
	long n = 0;

	if (s == NULL)
		exit(1);
	do {
		for (int i = 0; i < 1000; i++)
			if (scorer_score(s, q, answer150, sizeof(answer150) - 1, &r) != 0)
				exit(1);
		n += 1000;
		t = now_s() - t0;
	} while (t < secs);
	scorer_free(s);
	return (double)n / t;
}

/* Writes a generated bank of n questions; returns its path (static). */
static const char *
generate(size_t n)
{
	static char path[64];
	FILE *f;
	int fd;

	snprintf(path, sizeof(path), "/tmp/drill-bench-XXXXXX");
	if ((fd = mkstemp(path)) < 0 || (f = fdopen(fd, "w")) == NULL)
		exit(1);
	fputs("{\"format\":1,\"questions\":[\n", f);
	for (size_t i = 0; i < n; i++) {
		fprintf(f, "%s{\"id\":\"gen.q%zu\",\"type\":\"technical\",\"topics\":[\"databases\"],"
		    "\"level\":\"mid\",\"prompt\":\"Generated question %zu?\",\"assesses\":\"a\","
		    "\"how_to_answer\":\"b\",\"model_answer\":\"m\",\"rubric\":[", i ? "," : "", i, i);
		for (int c = 0; c < 7; c++) {
			fprintf(f, "%s{\"concept\":\"c%d\",\"weight\":%d,\"phrases\":[", c ? "," : "",
			    c, 1 + c % 5);
			for (int p = 0; p < 5; p++)
				fprintf(f, "%s\"term%zu x%d y%d\"", p ? "," : "", i, c, p);
			fputs("],\"hint\":\"h\"}", f);
		}
		fputs("]}\n", f);
	}
	fputs("]}\n", f);
	fclose(f);
	return path;
}

/*
 * Loads a generated bank of n questions, plus the shipped one when
 * shipped is set; ms spent loading.
 */
static struct bank *
load(size_t n, bool shipped, double *ms)
{
	const char *paths[2] = {generate(n), "questions"};
	struct drill_errors e = {0};
	struct bank *b;
	double t0 = now_s();

	if (bank_load(paths, shipped ? 2 : 1, &b, &e) != 0) {
		for (size_t i = 0; i < e.n; i++)
			fprintf(stderr, "%s\n", e.lines[i]);
		exit(1);
	}
	*ms = (now_s() - t0) * 1000;
	unlink(paths[0]);
	drill_errors_free(&e);
	return b;
}

int
main(int argc, char **argv)
{
	double secs = argc > 1 ? strtod(argv[1], NULL) : 2.0, ms;
	static const size_t sizes[] = {10, 100, 1000, 5000};
	struct bank *b;

	b = load(0, true, &ms);
	printf("load_shipped_bank: %.1f ms (%zu questions)\n", ms, bank_count(b));
	{
		struct scorer *s = scorer_new(b);
		struct scorer_result r;
		if (s == NULL || scorer_score(s, bank_find(b, "backend.slow-query"), answer150,
		    sizeof(answer150) - 1, &r) != 0)
			return 1;
		printf("answer_words: %zu\n", r.words);
		scorer_free(s);
	}
	printf("score_rate_shipped_bank: %.0f answers/s\n",
	    rate(b, bank_find(b, "backend.slow-query"), secs));
	bank_free(b);

	{
		double t[5];

		for (int i = 0; i < 5; i++) {	/* the median of five loads */
			b = load(1000, false, &t[i]);
			bank_free(b);
		}
		for (int i = 1; i < 5; i++)
			for (int j = i; j > 0 && t[j - 1] > t[j]; j--) {
				double x = t[j];
				t[j] = t[j - 1];
				t[j - 1] = x;
			}
		printf("load_1000_questions: %.1f ms (median of 5; %.1f to %.1f)\n",
		    t[2], t[0], t[4]);
	}

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		b = load(sizes[i], true, &ms);
		printf("score_rate_bank_%zu: %.0f answers/s\n", bank_count(b),
		    rate(b, bank_find(b, "backend.slow-query"), secs / 2));
		bank_free(b);
	}
	return 0;
}
