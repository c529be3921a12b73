/* Tests for bank.c: loading, strict validation with every problem named. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "drill/bank.h"
#include "drill/scorer.h"

static char dir[] = "/tmp/drill-bank-XXXXXX";

static const char *
write_file(const char *name, const char *body)
{
	static char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(body, f);
	fclose(f);
	return path;
}

#define Q(id, extra) \
	"{\"id\":\"" id "\",\"type\":\"technical\",\"topics\":[\"databases\"],\"level\":\"mid\"," \
	"\"prompt\":\"Why index?\",\"assesses\":\"a\",\"how_to_answer\":\"b\"," \
	"\"rubric\":[{\"concept\":\"indexes\",\"weight\":2,\"phrases\":[\"index\",\"b-tree\"]," \
	"\"hint\":\"Mention indexes.\"}],\"model_answer\":\"Use an index.\"" extra "}"

static int
has_line(const struct drill_errors *e, const char *a, const char *b)
{
	for (size_t i = 0; i < e->n; i++)
		if (strstr(e->lines[i], a) && (b == NULL || strstr(e->lines[i], b)))
			return 1;
	return 0;
}

static void
test_loads_shipped_bank(void **state)
{
	const char *paths[] = {"questions"};
	struct bank *b = NULL;
	struct drill_errors e;

	(void)state;
	assert_int_equal(bank_load(paths, 1, &b, &e), 0);
	assert_int_equal(e.n, 0);
	assert_true(bank_count(b) >= 10);
	for (size_t i = 0; i < bank_count(b); i++) {
		const struct bank_question *q = bank_get(b, i);
		assert_ptr_equal(bank_find(b, q->id), q);
		assert_int_equal(strlen(q->rubric_version), 16);
	}
	assert_null(bank_find(b, "no.such-question"));
	bank_free(b);
	drill_errors_free(&e);
}

/*
 * What a maintainer of the shipped banks (questions/, and the general bank
 * in questions/general/) must keep true: every model answer scores at
 * least 80 on its own question and higher there than on any other
 * question of its bank, so the answer shown as "strong" is one.
 */
static void
check_model_answers(const char *bankdir)
{
	const char *paths[] = {bankdir};
	struct bank *b = NULL;
	struct drill_errors e;
	struct scorer *s;
	struct scorer_result r;
	int bad = 0;

	assert_int_equal(bank_load(paths, 1, &b, &e), 0);
	drill_errors_free(&e);
	assert_non_null(s = scorer_new(b));
	for (size_t i = 0; i < bank_count(b); i++) {
		const struct bank_question *q = bank_get(b, i);
		const char *t = q->model_answer;
		int own;

		assert_int_equal(scorer_score(s, q, t, strlen(t), &r), 0);
		own = r.score;
		if (own < 80) {
			print_message("%s: its model answer scores %d (< 80)\n", q->id, own);
			bad++;
		}
		for (size_t j = 0; j < bank_count(b); j++) {
			const struct bank_question *o = bank_get(b, j);

			if (o == q)
				continue;
			assert_int_equal(scorer_score(s, o, t, strlen(t), &r), 0);
			if (r.score >= own) {
				print_message("%s: its model answer scores %d there but %d "
				    "on %s\n", q->id, own, r.score, o->id);
				bad++;
			}
		}
	}
	scorer_free(s);
	bank_free(b);
	assert_int_equal(bad, 0);
}

static void
test_model_answers_rank_first(void **state)
{
	(void)state;
	check_model_answers("questions");
	check_model_answers("questions/general");
}

static void
test_valid_minimal_bank(void **state)
{
	const char *p = write_file("ok.json", "{\"format\":1,\"questions\":[" Q("t.one", "") "]}");
	struct bank *b = NULL;
	struct drill_errors e;
	const struct bank_question *q;

	(void)state;
	assert_int_equal(bank_load(&p, 1, &b, &e), 0);
	q = bank_find(b, "t.one");
	assert_non_null(q);
	assert_int_equal(q->structure, BANK_STRUCT_CRE);
	assert_int_equal(q->min_words, 40);
	assert_int_equal(q->total_weight, 2);
	assert_int_equal(matcher_phrase_count(bank_matcher(b)), 2);
	bank_free(b);
	drill_errors_free(&e);
}

static void
test_byte_order_mark_skipped(void **state)
{
	const char *p = write_file("bom.json", "\xef\xbb\xbf{\"format\":1,\"questions\":[" Q("t.bom", "") "]}\n");
	struct bank *b = NULL;
	struct drill_errors e;

	(void)state;
	assert_int_equal(bank_load(&p, 1, &b, &e), 0);
	assert_non_null(bank_find(b, "t.bom"));
	bank_free(b);
	drill_errors_free(&e);
}

static void
test_every_problem_named(void **state)
{
	const char *p = write_file("bad.json", "{\"format\":1,\"questions\":["
	    Q("t.dup", "") ","
	    Q("t.dup", "") ","
	    "{\"id\":\"t.empty\",\"type\":\"technical\",\"topics\":[\"astrology\"],\"level\":\"guru\","
	    "\"prompt\":\"  \",\"assesses\":\"a\",\"how_to_answer\":\"b\",\"colour\":\"red\","
	    "\"rubric\":[{\"concept\":\"x\",\"phrases\":[],\"hint\":\"h\"}],\"model_answer\":\"m\"},"
	    "{\"id\":\"t.kind\",\"type\":\"poetry\",\"topics\":[\"caching\"],\"level\":\"mid\","
	    "\"prompt\":\"p\",\"assesses\":\"a\",\"how_to_answer\":\"b\","
	    "\"rubric\":[{\"concept\":\"x\",\"weight\":9,\"phrases\":[\"cache\"],\"hint\":\"h\"}],"
	    "\"model_answer\":\"m\"}]}");
	struct bank *b = NULL;
	struct drill_errors e;

	(void)state;
	assert_int_equal(bank_load(&p, 1, &b, &e), DRILL_EINVAL);
	assert_null(b);
	assert_true(has_line(&e, "bad.json: t.dup: duplicate id", NULL));
	assert_true(has_line(&e, "t.empty: prompt: must not be empty", NULL));
	assert_true(has_line(&e, "t.empty: topics[0]: unknown topic \"astrology\"", NULL));
	assert_true(has_line(&e, "t.empty: level: unknown level \"guru\"", NULL));
	assert_true(has_line(&e, "t.empty", "unknown field \"colour\""));
	assert_true(has_line(&e, "t.empty", "needs a non-empty \"phrases\""));
	assert_true(has_line(&e, "t.kind: type: unknown type \"poetry\"", NULL));
	assert_true(has_line(&e, "t.kind", "weight: 9 is out of range"));
	drill_errors_free(&e);
}

/* "..." in a phrase: one gap, words on both sides. */
static void
test_gap_phrase_rules(void **state)
{
	const char *p = write_file("gap.json", "{\"format\":1,\"questions\":["
	    "{\"id\":\"t.gap\",\"type\":\"technical\",\"topics\":[\"caching\"],\"level\":\"mid\","
	    "\"prompt\":\"p\",\"assesses\":\"a\",\"how_to_answer\":\"b\",\"rubric\":["
	    "{\"concept\":\"ok\",\"phrases\":[\"roll ... back\",\"went from ... to\"],\"hint\":\"h\"},"
	    "{\"concept\":\"two gaps\",\"phrases\":[\"a ... b ... c\"],\"hint\":\"h\"},"
	    "{\"concept\":\"empty side\",\"phrases\":[\"... back\"],\"hint\":\"h\"}],"
	    "\"model_answer\":\"m\"}]}");
	struct bank *b = NULL;
	struct drill_errors e;

	(void)state;
	assert_int_equal(bank_load(&p, 1, &b, &e), DRILL_EINVAL);
	assert_true(has_line(&e, "t.gap", "\"a ... b ... c\": one \"...\" per phrase at most"));
	assert_true(has_line(&e, "t.gap", "\"... back\": needs words on both sides of \"...\""));
	assert_int_equal(e.n, 2);
	drill_errors_free(&e);
}

static void
test_duplicate_across_files_and_bad_json(void **state)
{
	char a[512], c[512];
	const char *paths[2];
	struct bank *b = NULL;
	struct drill_errors e;

	(void)state;
	snprintf(a, sizeof(a), "%s", write_file("a.json", "{\"format\":1,\"questions\":[" Q("t.same", "") "]}"));
	snprintf(c, sizeof(c), "%s", write_file("c.json", "{\"format\":1,\"questions\":[" Q("t.same", "") "]}"));
	paths[0] = a;
	paths[1] = c;
	assert_int_equal(bank_load(paths, 2, &b, &e), DRILL_EINVAL);
	assert_true(has_line(&e, "t.same: duplicate id (also in", NULL));
	drill_errors_free(&e);

	paths[0] = write_file("j.json", "{\"format\":1,\n\"questions\":[,]}");
	assert_int_equal(bank_load(paths, 1, &b, &e), DRILL_EINVAL);
	assert_true(has_line(&e, "j.json:2: invalid JSON", NULL));
	drill_errors_free(&e);

	paths[0] = write_file("u.json", "{\"format\":1,\"questions\":[" Q("t.u", "") "]}\xff");
	assert_int_equal(bank_load(paths, 1, &b, &e), DRILL_EINVAL);
	drill_errors_free(&e);

	paths[0] = write_file("f.json", "{\"format\":2,\"questions\":[]}");
	assert_int_equal(bank_load(paths, 1, &b, &e), DRILL_EINVAL);
	assert_true(has_line(&e, "format 2 is not supported", NULL));
	drill_errors_free(&e);

	/* hints are one sentence; follow-ups are checked like every other text */
	{
		char body[4096];
		char hint[400];
		memset(hint, 'x', sizeof(hint) - 1);
		hint[sizeof(hint) - 1] = '\0';
		snprintf(body, sizeof(body), "{\"format\":1,\"questions\":[{\"id\":\"t.h\","
		    "\"type\":\"technical\",\"topics\":[\"databases\"],\"level\":\"mid\","
		    "\"prompt\":\"p\",\"assesses\":\"a\",\"how_to_answer\":\"b\","
		    "\"rubric\":[{\"concept\":\"c\",\"phrases\":[\"index\", \" \"],\"hint\":\"%s\"}],"
		    "\"model_answer\":\"m\",\"follow_ups\":[\"ok?\", \"\", 3]}]}", hint);
		paths[0] = write_file("h.json", body);
		assert_int_equal(bank_load(paths, 1, &b, &e), DRILL_EINVAL);
		assert_true(has_line(&e, "t.h: hint: longer than 300 bytes", NULL));
		assert_true(has_line(&e, "t.h: concept \"c\": phrases[1]: must not be empty", NULL));
		assert_true(has_line(&e, "t.h: follow_ups[1]: must not be empty", NULL));
		assert_true(has_line(&e, "t.h: follow_ups[2]: must be a string", NULL));
		drill_errors_free(&e);
	}

	paths[0] = "/nonexistent/bank.json";
	assert_int_equal(bank_load(paths, 1, &b, &e), DRILL_EIO);
	assert_true(has_line(&e, "/nonexistent/bank.json: cannot read", NULL));
	drill_errors_free(&e);
}

static void
test_structure_and_version(void **state)
{
	const char *p = write_file("s.json", "{\"format\":1,\"questions\":["
	    Q("t.steps", ",\"structure\":[\"requirements\",\"scaling\"],\"answer_words\":[10,20]") ","
	    Q("t.star", ",\"structure\":\"star\"") "]}");
	const char *p2;
	struct bank *b = NULL, *b2 = NULL;
	struct drill_errors e;
	char v1[17];

	(void)state;
	assert_int_equal(bank_load(&p, 1, &b, &e), 0);
	assert_int_equal(bank_find(b, "t.steps")->structure, BANK_STRUCT_STEPS);
	assert_int_equal(bank_find(b, "t.steps")->nsteps, 2);
	assert_int_equal(bank_find(b, "t.steps")->max_words, 20);
	assert_int_equal(bank_find(b, "t.star")->structure, BANK_STRUCT_STAR);
	memcpy(v1, bank_find(b, "t.star")->rubric_version, 17);
	assert_string_not_equal(v1, bank_find(b, "t.steps")->rubric_version);
	bank_free(b);
	drill_errors_free(&e);
	/* same rubric, other prompt: same version; other phrase: new version */
	p2 = write_file("s2.json", "{\"format\":1,\"questions\":["
	    "{\"id\":\"t.star\",\"type\":\"technical\",\"topics\":[\"databases\"],\"level\":\"mid\","
	    "\"prompt\":\"Another wording\",\"assesses\":\"a\",\"how_to_answer\":\"b\","
	    "\"rubric\":[{\"concept\":\"indexes\",\"weight\":2,\"phrases\":[\"index\",\"b-tree\"],"
	    "\"hint\":\"Other hint.\"}],\"model_answer\":\"Use an index.\",\"structure\":\"star\"}]}");
	assert_int_equal(bank_load(&p2, 1, &b2, &e), 0);
	assert_string_equal(bank_find(b2, "t.star")->rubric_version, v1);
	bank_free(b2);
	drill_errors_free(&e);
}

static int
setup(void **state)
{
	(void)state;
	return mkdtemp(dir) == NULL;
}

static int
teardown(void **state)
{
	char cmd[600];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) != 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_loads_shipped_bank),
		cmocka_unit_test(test_model_answers_rank_first),
		cmocka_unit_test(test_valid_minimal_bank),
		cmocka_unit_test(test_byte_order_mark_skipped),
		cmocka_unit_test(test_every_problem_named),
		cmocka_unit_test(test_gap_phrase_rules),
		cmocka_unit_test(test_duplicate_across_files_and_bad_json),
		cmocka_unit_test(test_structure_and_version),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
