/*
 * Tests for scorer.c, against tests/data/mini.json: what a person would
 * notice about their score.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <json-c/json.h>

#include "drill/bank.h"
#include "drill/scorer.h"
#include "drill/text.h"

static struct bank *bank;
static struct scorer *scorer;

static const char strong[] =
    "I would start by measuring instead of guessing. I run EXPLAIN ANALYZE on the "
    "slow query to read the query plan, because it shows where the time goes. "
    "Usually a filter column has no index and the plan shows a sequential scan, so "
    "I add a composite index on the columns of the filter. I also check the calling "
    "code for an N+1 pattern, where the application sends one query per row, and I "
    "paginate results with keyset pagination. For example, at my last job this cut "
    "the p95 latency from 4 s to 30 ms, and I verified it with a benchmark on "
    "production-like data.";

static const char weak[] =
    "I would restart the database server and maybe buy a bigger machine. If it is "
    "still slow I would ask the team what changed.";

static const char stuffed[] =
    "explain analyze query plan execution plan index composite index covering index "
    "n+1 n plus one pagination keyset limit p95 p99 latency benchmark measure";

static const char filler[] =
    "It is the explain analyze. It is the query plan. It is the index. It is the "
    "composite index. It is the n+1. It is the pagination. It is the keyset. It is "
    "the p95. It is the latency. It is the benchmark. It is the measure.";

static const char offtopic[] =
    "At my last job a teammate wanted to move our queue to Kafka while I thought our "
    "Postgres queue was fine. I listened to his reasons first. We agreed to let data "
    "decide, so I wrote a small benchmark at five times our peak load. We decided to "
    "keep Postgres and he was happy with the outcome.";

static int
score(const char *qid, const char *text, size_t len, struct scorer_result *r)
{
	const struct bank_question *q = bank_find(bank, qid);

	assert_non_null(q);
	return scorer_score(scorer, q, text, len, r);
}

static const struct scorer_hit *
covered(const struct scorer_result *r, const char *concept)
{
	for (size_t i = 0; i < r->ncovered; i++)
		if (strcmp(r->covered[i].concept, concept) == 0)
			return &r->covered[i];
	return NULL;
}

static void
test_strong_beats_weak(void **state)
{
	struct scorer_result s, w;

	(void)state;
	assert_int_equal(score("mini.slow-query", strong, strlen(strong), &s), 0);
	assert_int_equal(score("mini.slow-query", weak, strlen(weak), &w), 0);
	assert_true(s.score >= 70);
	assert_true(w.score < 40);
	assert_true(s.score > w.score + 30);
	assert_string_equal(s.grade, scorer_grade(s.score));
	assert_int_equal(s.ncovered, 5);
	assert_int_equal(w.ncovered + w.nmissed, 5);
	assert_string_equal(w.grade, "weak");
	/* missed concepts come heaviest first, with their hints */
	assert_true(w.nmissed >= 2);
	assert_true(w.missed[0].weight >= w.missed[w.nmissed - 1].weight);
	assert_non_null(w.missed[0].hint);
	assert_true(strlen(w.tip) > 20);
}

static void
test_evidence_quotes_the_answer(void **state)
{
	struct scorer_result r;
	const struct scorer_hit *h;

	(void)state;
	assert_int_equal(score("mini.slow-query", strong, strlen(strong), &r), 0);
	h = covered(&r, "query plan");
	assert_non_null(h);
	assert_string_equal(h->evidence, "EXPLAIN ANALYZE");
	h = covered(&r, "n+1 queries");
	assert_non_null(h);
	assert_string_equal(h->evidence, "N+1");
}

static void
test_off_topic_scores_low(void **state)
{
	struct scorer_result r, own;

	(void)state;
	assert_int_equal(score("mini.slow-query", offtopic, strlen(offtopic), &r), 0);
	assert_int_equal(score("mini.conflict", offtopic, strlen(offtopic), &own), 0);
	assert_true(r.score <= 30);
	assert_true(own.score > r.score + 30);
}

static void
test_keyword_stuffing_scores_low(void **state)
{
	struct scorer_result r, s;

	(void)state;
	assert_int_equal(score("mini.slow-query", stuffed, strlen(stuffed), &r), 0);
	assert_int_equal(score("mini.slow-query", strong, strlen(strong), &s), 0);
	assert_int_equal(r.ncovered, 5);	/* every concept "covered"... */
	assert_true(r.score <= 40);		/* ...but not a good answer */
	assert_true(r.dims[SCORER_CLARITY] < 40);
	assert_true(r.dims[SCORER_CLARITY] < s.dims[SCORER_CLARITY]);
	/* filler sentences around the keywords do not help */
	assert_int_equal(score("mini.slow-query", filler, strlen(filler), &r), 0);
	assert_true(r.score <= 40);
}

static void
test_variants_match(void **state)
{
	static const char a[] = "Indexing the column helps, and so do indexes in general.";
	static const char b[] = "Watch for the n plus one problem.";
	static const char c[] = "We had N+1 queries everywhere.";
	struct scorer_result r;

	(void)state;
	assert_int_equal(score("mini.slow-query", a, strlen(a), &r), 0);
	assert_non_null(covered(&r, "indexes"));
	assert_string_equal(covered(&r, "indexes")->evidence, "Indexing");
	assert_int_equal(score("mini.slow-query", b, strlen(b), &r), 0);
	assert_non_null(covered(&r, "n+1 queries"));
	assert_int_equal(score("mini.slow-query", c, strlen(c), &r), 0);
	assert_non_null(covered(&r, "n+1 queries"));
}

static void
test_unicode_and_invalid_input(void **state)
{
	static const char uni[] = "J’utilise EXPLAIN ANALYZE — l’index composite réduit la "
	    "latence p95 de 4 s à 30 ms. 索引 помогает.";
	static const char bad[] = "EXPLAIN \xff\xfe ANALYZE \xc0\xaf index \xed\xa0\x80 n+1 \xe2\x82";
	struct scorer_result r;

	(void)state;
	assert_int_equal(score("mini.slow-query", uni, strlen(uni), &r), 0);
	assert_non_null(covered(&r, "query plan"));
	assert_non_null(covered(&r, "indexes"));
	assert_int_equal(score("mini.slow-query", bad, sizeof(bad) - 1, &r), 0);
	assert_non_null(covered(&r, "indexes"));
	assert_non_null(covered(&r, "n+1 queries"));
	/* evidence never carries invalid bytes */
	for (size_t i = 0; i < r.ncovered; i++)
		for (const char *p = r.covered[i].evidence; *p; p++)
			assert_true((unsigned char)*p != 0xff && (unsigned char)*p != 0xfe);
	assert_int_equal(score("mini.slow-query", "", 0, &r), 0);
	assert_int_equal(r.score, 0);
}

static void
test_one_mebibyte_answer(void **state)
{
	size_t n = 1u << 20, o = 0;
	char *big = malloc(n);
	struct scorer_result r;

	(void)state;
	assert_non_null(big);
	while (o < n) {
		size_t k = strlen(strong) < n - o ? strlen(strong) : n - o;
		memcpy(big + o, strong, k);
		o += k;
		if (o < n)
			big[o++] = '\n';
	}
	assert_int_equal(score("mini.slow-query", big, n, &r), 0);
	assert_true(r.words > 100000);
	assert_true(r.dims[SCORER_CLARITY] < 80);	/* far too long */
	/* one unbroken run of bytes, too */
	memset(big, 'a', n);
	assert_int_equal(score("mini.slow-query", big, n, &r), 0);
	free(big);
}

static void
test_deterministic_and_json_contract(void **state)
{
	struct scorer_result a, b;
	json_object *o, *v, *d;
	char *js;

	(void)state;
	assert_int_equal(score("mini.slow-query", strong, strlen(strong), &a), 0);
	assert_int_equal(score("mini.slow-query", strong, strlen(strong), &b), 0);
	assert_int_equal(a.score, b.score);
	assert_memory_equal(a.dims, b.dims, sizeof(a.dims));
	js = scorer_result_json(&a, false);
	assert_non_null(js);
	o = json_tokener_parse(js);
	assert_non_null(o);
	assert_true(json_object_object_get_ex(o, "question_id", &v));
	assert_string_equal(json_object_get_string(v), "mini.slow-query");
	assert_true(json_object_object_get_ex(o, "rubric_version", &v));
	assert_int_equal(json_object_get_string_len(v), 16);
	assert_true(json_object_object_get_ex(o, "score", &v));
	assert_int_equal(json_object_get_int(v), a.score);
	assert_true(json_object_object_get_ex(o, "grade", &v));
	assert_true(json_object_object_get_ex(o, "dimensions", &d));
	assert_true(json_object_object_get_ex(d, "relevance", &v));
	assert_true(json_object_object_get_ex(d, "structure", &v));
	assert_true(json_object_object_get_ex(d, "clarity", &v));
	assert_true(json_object_object_get_ex(d, "impact", &v));
	assert_true(json_object_object_get_ex(o, "covered", &v));
	assert_int_equal(json_object_array_length(v), a.ncovered);
	assert_true(json_object_object_get_ex(o, "missed", &v));
	assert_true(json_object_object_get_ex(o, "tip", &v));
	json_object_put(o);
	free(js);
}

static void
test_star_structure(void **state)
{
	static const char story[] =
	    "At my last job our team had to pick a queue for order events. My task was to "
	    "recommend one before the sales peak. I listened to my teammate's point about "
	    "Kafka, then I wrote a benchmark at five times our peak load. As a result we "
	    "decided to keep Postgres: p99 stayed under 40 ms, and we shipped two weeks "
	    "early.";
	static const char bare[] = "We used a benchmark and agreed.";
	struct scorer_result s, b;

	(void)state;
	assert_int_equal(score("mini.conflict", story, strlen(story), &s), 0);
	assert_int_equal(score("mini.conflict", bare, strlen(bare), &b), 0);
	assert_true(s.dims[SCORER_STRUCTURE] >= 75);
	assert_true(b.dims[SCORER_STRUCTURE] < s.dims[SCORER_STRUCTURE]);
	assert_true(s.dims[SCORER_IMPACT] > b.dims[SCORER_IMPACT]);
}

static void
test_tip_is_valid_utf8(void **state)
{
	char path[] = "/tmp/drill-scorer-XXXXXX";
	char hint[301], body[2048];
	const char *paths[1] = {path};
	struct drill_errors e;
	struct bank *b;
	struct scorer *s;
	struct scorer_result r;
	FILE *f;
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	for (int i = 0; i < 150; i++)
		memcpy(hint + 2 * i, "\xc3\xa9", 2);	/* é: 300 bytes of hint */
	hint[300] = '\0';
	snprintf(body, sizeof(body), "{\"format\":1,\"questions\":[{\"id\":\"t.tip\","
	    "\"type\":\"technical\",\"topics\":[\"databases\"],\"level\":\"mid\","
	    "\"prompt\":\"p\",\"assesses\":\"a\",\"how_to_answer\":\"b\",\"rubric\":["
	    "{\"concept\":\"c\",\"weight\":5,\"phrases\":[\"zebra\"],\"hint\":\"%s\"}],"
	    "\"model_answer\":\"m\"}]}", hint);
	f = fdopen(fd, "w");
	fputs(body, f);
	fclose(f);
	assert_int_equal(bank_load(paths, 1, &b, &e), 0);
	s = scorer_new(b);
	assert_int_equal(scorer_score(s, bank_get(b, 0), "nothing relevant here at all",
	    28, &r), 0);
	assert_int_equal(r.weakest, SCORER_RELEVANCE);
	assert_true(strlen(r.tip) > 200);
	assert_true(text_utf8_valid(r.tip, strlen(r.tip)));
	scorer_free(s);
	bank_free(b);
	drill_errors_free(&e);
	unlink(path);
}

/* A bank of one question from the given rubric JSON; the caller frees both. */
static struct bank *
bank_of(const char *rubric, struct scorer **sc)
{
	char path[] = "/tmp/drill-scorer-XXXXXX";
	const char *paths[1] = {path};
	char body[4096];
	struct drill_errors e;
	struct bank *b = NULL;
	FILE *f;
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	snprintf(body, sizeof(body), "{\"format\":1,\"questions\":[{\"id\":\"t.gap\","
	    "\"type\":\"behavioral\",\"topics\":[\"reliability\"],\"level\":\"mid\","
	    "\"prompt\":\"p\",\"assesses\":\"a\",\"how_to_answer\":\"b\",\"rubric\":[%s],"
	    "\"model_answer\":\"m\"}]}", rubric);
	assert_non_null(f = fdopen(fd, "w"));
	fputs(body, f);
	fclose(f);
	if (bank_load(paths, 1, &b, &e) != 0)
		for (size_t i = 0; i < e.n; i++)
			print_message("%s\n", e.lines[i]);
	drill_errors_free(&e);
	unlink(path);
	assert_non_null(b);
	assert_non_null(*sc = scorer_new(b));
	return b;
}

static bool
covers(struct scorer *sc, const struct bank *b, const char *text, const char **evidence)
{
	static struct scorer_result r;

	assert_int_equal(scorer_score(sc, bank_get(b, 0), text, strlen(text), &r), 0);
	if (evidence != NULL)
		*evidence = r.ncovered ? r.covered[0].evidence : "";
	return r.ncovered == 1;
}

/*
 * "roll ... back": the two parts in order with at most four words between
 * them, so a separable verb matches however the sentence splits it.
 */
static void
test_gap_phrases(void **state)
{
	struct scorer *sc;
	struct bank *b = bank_of("{\"concept\":\"rollback\",\"phrases\":"
	    "[\"roll ... back\",\"revert\"],\"hint\":\"h\"}", &sc);
	const char *ev;

	(void)state;
	assert_true(covers(sc, b, "I rolled the deploy back within minutes.", &ev));
	assert_string_equal(ev, "rolled the deploy back");
	assert_true(covers(sc, b, "We rolled back.", NULL));	/* no words between */
	assert_true(covers(sc, b, "I rolled the whole release straight back.", NULL));
	assert_false(covers(sc, b, "I rolled the whole bad release out and then back.", NULL));
	assert_false(covers(sc, b, "Back then we had to roll out slowly.", NULL));
	assert_false(covers(sc, b, "roll", NULL));
	assert_true(covers(sc, b, "I decided to revert.", NULL));
	/* the latest first part counts: an early "roll" does not spoil a later one */
	assert_true(covers(sc, b, "A roll call first. Much later I had to roll it back.", NULL));
	scorer_free(sc);
	bank_free(b);
}

static int
setup(void **state)
{
	const char *paths[] = {"tests/data/mini.json"};
	struct drill_errors e;

	(void)state;
	if (bank_load(paths, 1, &bank, &e) != 0) {
		for (size_t i = 0; i < e.n; i++)
			fprintf(stderr, "%s\n", e.lines[i]);
		return -1;
	}
	drill_errors_free(&e);
	scorer = scorer_new(bank);
	return scorer == NULL;
}

static int
teardown(void **state)
{
	(void)state;
	scorer_free(scorer);
	bank_free(bank);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strong_beats_weak),
		cmocka_unit_test(test_evidence_quotes_the_answer),
		cmocka_unit_test(test_off_topic_scores_low),
		cmocka_unit_test(test_keyword_stuffing_scores_low),
		cmocka_unit_test(test_variants_match),
		cmocka_unit_test(test_unicode_and_invalid_input),
		cmocka_unit_test(test_one_mebibyte_answer),
		cmocka_unit_test(test_deterministic_and_json_contract),
		cmocka_unit_test(test_star_structure),
		cmocka_unit_test(test_tip_is_valid_utf8),
		cmocka_unit_test(test_gap_phrases),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
