/* Tests for matcher.c: Aho-Corasick over tokens, report order, life cycle. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "drill/matcher.h"
#include "drill/text.h"

struct hit {
	uint32_t payload;
	size_t first, last;
};

struct hits {
	struct hit *v;
	size_t n, cap;
};

static void
on_hit(void *arg, uint32_t payload, size_t first, size_t last)
{
	struct hits *h = arg;

	if (h->n == h->cap) {
		h->cap = h->cap ? h->cap * 2 : 64;
		h->v = realloc(h->v, h->cap * sizeof(*h->v));
		assert_non_null(h->v);
	}
	h->v[h->n++] = (struct hit){ payload, first, last };
}

/* Adds phrase (tokenised like an answer) with payload. */
static int
add(struct matcher *m, const char *phrase, uint32_t payload)
{
	struct text_doc d;
	const char *toks[32];
	int rc;

	text_doc_init(&d);
	assert_int_equal(text_tokenize(&d, phrase, strlen(phrase)), 0);
	assert_true(d.ntokens <= 32);
	for (size_t i = 0; i < d.ntokens; i++)
		toks[i] = d.tokens[i].norm;
	rc = matcher_add(m, toks, d.ntokens, payload);
	text_doc_free(&d);
	return rc;
}

/* Scans text; returns the hits (caller frees h->v). */
static void
scan(const struct matcher *m, const char *text, struct hits *h)
{
	struct text_doc d;

	memset(h, 0, sizeof(*h));
	text_doc_init(&d);
	assert_int_equal(text_tokenize(&d, text, strlen(text)), 0);
	matcher_scan(m, &d, on_hit, h);
	text_doc_free(&d);
}

static void
expect(const struct hits *h, size_t i, uint32_t payload, size_t first,
    size_t last)
{
	assert_true(i < h->n);
	assert_int_equal(h->v[i].payload, payload);
	assert_int_equal(h->v[i].first, first);
	assert_int_equal(h->v[i].last, last);
}

static void
test_single_and_multi_token(void **state)
{
	struct matcher *m = matcher_new();
	struct hits h;

	(void)state;
	assert_non_null(m);
	assert_int_equal(add(m, "index", 1), 0);
	assert_int_equal(add(m, "read replica", 2), 0);
	assert_int_equal(add(m, "single point of failure", 3), 0);
	assert_int_equal(matcher_build(m), 0);
	assert_int_equal(matcher_phrase_count(m), 3);
	assert_int_equal(matcher_state_count(m), 1 + 1 + 2 + 4);
	/* stemming and folding make the variants match */
	scan(m, "We added Indexes and READ-replicas; no single points of failure.",
	    &h);
	assert_int_equal(h.n, 3);
	expect(&h, 0, 1, 2, 2);
	expect(&h, 1, 2, 4, 5);
	expect(&h, 2, 3, 7, 10);
	free(h.v);
	scan(m, "read the replica", &h);
	assert_int_equal(h.n, 0);
	free(h.v);
	matcher_free(m);
}

static void
test_overlaps_and_suffixes(void **state)
{
	struct matcher *m = matcher_new();
	struct hits h;

	(void)state;
	assert_int_equal(add(m, "limit", 10), 0);
	assert_int_equal(add(m, "rate limit", 11), 0);
	assert_int_equal(add(m, "single point of failure", 20), 0);
	assert_int_equal(add(m, "point of failure", 21), 0);
	assert_int_equal(add(m, "failure", 22), 0);
	assert_int_equal(add(m, "of", 23), 0);
	assert_int_equal(add(m, "limit rate", 12), 0);
	assert_int_equal(matcher_build(m), 0);
	/* same last token: longer phrases first */
	scan(m, "rate limit", &h);
	assert_int_equal(h.n, 2);
	expect(&h, 0, 11, 0, 1);
	expect(&h, 1, 10, 1, 1);
	free(h.v);
	scan(m, "a single point of failure", &h);
	assert_int_equal(h.n, 4);
	expect(&h, 0, 23, 3, 3);
	expect(&h, 1, 20, 1, 4);
	expect(&h, 2, 21, 2, 4);
	expect(&h, 3, 22, 4, 4);
	free(h.v);
	/* overlapping occurrences all reported, in order of their last token */
	scan(m, "rate limit rate limit", &h);
	assert_int_equal(h.n, 5);
	expect(&h, 0, 11, 0, 1);
	expect(&h, 1, 10, 1, 1);
	expect(&h, 2, 12, 1, 2);
	expect(&h, 3, 11, 2, 3);
	expect(&h, 4, 10, 3, 3);
	free(h.v);
	matcher_free(m);
}

static void
test_same_phrase_two_payloads(void **state)
{
	struct matcher *m = matcher_new();
	struct hits h;

	(void)state;
	assert_int_equal(add(m, "circuit breaker", 7), 0);
	assert_int_equal(add(m, "breaker", 5), 0);
	assert_int_equal(add(m, "Circuit-Breakers", 3), 0);
	assert_int_equal(add(m, "circuit breaker", 7), 0);
	assert_int_equal(matcher_build(m), 0);
	assert_int_equal(matcher_phrase_count(m), 4);
	assert_int_equal(matcher_state_count(m), 4);
	scan(m, "a circuit breaker", &h);
	assert_int_equal(h.n, 4);
	expect(&h, 0, 7, 1, 2);	/* in the order added */
	expect(&h, 1, 3, 1, 2);
	expect(&h, 2, 7, 1, 2);
	expect(&h, 3, 5, 2, 2);
	free(h.v);
	matcher_free(m);
}

static void
test_unknown_tokens_and_repeats(void **state)
{
	struct matcher *m = matcher_new();
	struct hits h;

	(void)state;
	assert_int_equal(add(m, "rate limit", 1), 0);
	assert_int_equal(add(m, "ab ab", 2), 0);
	assert_int_equal(add(m, "x y z", 3), 0);
	assert_int_equal(matcher_build(m), 0);
	/* a token no phrase uses breaks a phrase */
	scan(m, "rate foo limit, rate, limit", &h);
	assert_int_equal(h.n, 1);	/* "rate, limit": punctuation is not a token */
	expect(&h, 0, 1, 3, 4);
	free(h.v);
	scan(m, "ab ab ab x y x y z", &h);
	assert_int_equal(h.n, 3);
	expect(&h, 0, 2, 0, 1);
	expect(&h, 1, 2, 1, 2);
	expect(&h, 2, 3, 5, 7);
	free(h.v);
	scan(m, "nothing here at all", &h);
	assert_int_equal(h.n, 0);
	free(h.v);
	matcher_free(m);
}

static void
test_empty_doc(void **state)
{
	struct matcher *m = matcher_new();
	struct text_doc d;
	struct hits h = { 0 };

	(void)state;
	assert_int_equal(add(m, "anything", 1), 0);
	assert_int_equal(matcher_build(m), 0);
	text_doc_init(&d);
	matcher_scan(m, &d, on_hit, &h);	/* never tokenised */
	assert_int_equal(text_tokenize(&d, "", 0), 0);
	matcher_scan(m, &d, on_hit, &h);
	assert_int_equal(text_tokenize(&d, " ... ", 5), 0);
	matcher_scan(m, &d, on_hit, &h);
	assert_int_equal(h.n, 0);
	matcher_scan(m, NULL, on_hit, &h);
	matcher_scan(m, &d, NULL, &h);
	matcher_scan(NULL, &d, on_hit, &h);
	text_doc_free(&d);
	matcher_free(m);
}

static void
test_life_cycle(void **state)
{
	struct matcher *m = matcher_new();
	const char *toks[] = { "a", "b" };
	const char *bad1[] = { "a", NULL };
	const char *bad2[] = { "a", "" };
	struct hits h;

	(void)state;
	matcher_free(NULL);
	assert_int_equal(matcher_phrase_count(NULL), 0);
	assert_int_equal(matcher_state_count(NULL), 0);
	assert_int_equal(matcher_add(m, toks, 0, 1), DRILL_EINVAL);
	assert_int_equal(matcher_add(m, NULL, 1, 1), DRILL_EINVAL);
	assert_int_equal(matcher_add(m, bad1, 2, 1), DRILL_EINVAL);
	assert_int_equal(matcher_add(m, bad2, 2, 1), DRILL_EINVAL);
	assert_int_equal(matcher_add(NULL, toks, 2, 1), DRILL_EINVAL);
	assert_int_equal(matcher_phrase_count(m), 0);
	assert_int_equal(matcher_add(m, toks, 2, 1), 0);
	/* scanning before build reports nothing */
	scan(m, "a b", &h);
	assert_int_equal(h.n, 0);
	free(h.v);
	assert_int_equal(matcher_build(m), 0);
	assert_int_equal(matcher_build(m), DRILL_EINVAL);
	assert_int_equal(matcher_add(m, toks, 1, 2), DRILL_EINVAL);
	assert_int_equal(matcher_phrase_count(m), 1);
	scan(m, "a b", &h);
	assert_int_equal(h.n, 1);
	expect(&h, 0, 1, 0, 1);
	free(h.v);
	matcher_free(m);

	/* an empty matcher builds and matches nothing */
	m = matcher_new();
	assert_int_equal(matcher_build(m), 0);
	assert_int_equal(matcher_state_count(m), 1);
	scan(m, "a b", &h);
	assert_int_equal(h.n, 0);
	free(h.v);
	matcher_free(m);
	/* an unbuilt matcher frees cleanly */
	m = matcher_new();
	assert_int_equal(matcher_add(m, toks, 2, 1), 0);
	matcher_free(m);
}

/*
 * Brute force: every (phrase, end) pair, ordered by end, then longer first,
 * then the order phrases were added.
 */
struct bphrase {
	const char *toks[4];
	size_t n;
	uint32_t payload;
};

static int
cmp_hit(const void *a, const void *b)
{
	const struct hit *x = a, *y = b;

	if (x->last != y->last)
		return x->last < y->last ? -1 : 1;
	if (x->first != y->first)
		return x->first < y->first ? -1 : 1;
	return 0;
}

static void
test_many_phrases_against_brute_force(void **state)
{
	static const char *const alpha[] = {
		"alpha", "beta", "gamma", "delta", "eps", "zeta", "eta", "theta",
		"iota", "kappa", "lambda", "mu"
	};
	enum { NPHRASES = 4000, NDOC = 3000 };
	const size_t na = sizeof(alpha) / sizeof(alpha[0]);
	struct bphrase *ph = calloc(NPHRASES, sizeof(*ph));
	struct matcher *m = matcher_new();
	struct text_doc d;
	struct hits h = { 0 }, want = { 0 };
	char *doc = malloc(NDOC * 8 + 64);
	unsigned seed = 99;
	size_t o = 0;

	(void)state;
	assert_non_null(ph);
	assert_non_null(doc);
	/* Phrases of 1-4 tokens over a small alphabet: many shared prefixes,
	 * suffixes and duplicates. Payload = index. */
	for (uint32_t p = 0; p < NPHRASES; p++) {
		seed = seed * 1103515245u + 12345u;
		ph[p].n = 1 + (seed >> 16) % 4;
		for (size_t t = 0; t < ph[p].n; t++) {
			seed = seed * 1103515245u + 12345u;
			ph[p].toks[t] = alpha[(seed >> 16) % na];
		}
		ph[p].payload = p;
		assert_int_equal(matcher_add(m, ph[p].toks, ph[p].n, p), 0);
	}
	/* and a few thousand distinct phrases with their own tokens */
	for (uint32_t p = 0; p < 3000; p++) {
		char a[32], b[32];
		const char *t[2] = { a, b };

		snprintf(a, sizeof(a), "w%u", p);
		snprintf(b, sizeof(b), "v%u", p);
		assert_int_equal(matcher_add(m, t, 2, 100000 + p), 0);
	}
	assert_int_equal(matcher_build(m), 0);
	assert_int_equal(matcher_phrase_count(m), NPHRASES + 3000);

	/* A document over the alphabet plus unknown words and w/v pairs. */
	for (int i = 0; i < NDOC; i++) {
		const char *w;

		seed = seed * 1103515245u + 12345u;
		if ((seed >> 16) % 10 == 0)
			w = "unknown";
		else
			w = alpha[(seed >> 16) % na];
		o += (size_t)snprintf(doc + o, 16, "%s ", w);
	}
	o += (size_t)snprintf(doc + o, 32, "w17 v17 w18 v19 v20 w20 v20");
	text_doc_init(&d);
	assert_int_equal(text_tokenize(&d, doc, o), 0);
	matcher_scan(m, &d, on_hit, &h);

	/* brute force over the alphabet phrases */
	for (size_t end = 0; end < d.ntokens; end++) {
		size_t from = want.n;

		for (uint32_t p = 0; p < NPHRASES; p++) {
			size_t n = ph[p].n, t;

			if (n > end + 1)
				continue;
			for (t = 0; t < n; t++)
				if (strcmp(d.tokens[end + 1 - n + t].norm,
				    ph[p].toks[t]) != 0)
					break;
			if (t == n)
				on_hit(&want, p, end + 1 - n, end);
		}
		/* stable: longer first, then in the order added */
		for (size_t a = from + 1; a < want.n; a++)
			for (size_t b = a; b > from &&
			    cmp_hit(&want.v[b - 1], &want.v[b]) > 0; b--) {
				struct hit x = want.v[b];

				want.v[b] = want.v[b - 1];
				want.v[b - 1] = x;
			}
	}
	on_hit(&want, 100017, NDOC, NDOC + 1);
	on_hit(&want, 100020, NDOC + 5, NDOC + 6);
	assert_true(want.n > 1000);
	assert_int_equal(h.n, want.n);
	for (size_t i = 0; i < want.n; i++)
		expect(&h, i, want.v[i].payload, want.v[i].first,
		    want.v[i].last);
	free(h.v);
	free(want.v);
	text_doc_free(&d);
	free(doc);
	free(ph);
	matcher_free(m);
}

/* Two scans of one matcher give the same result (it is not changed). */
static void
test_scan_is_read_only(void **state)
{
	struct matcher *m = matcher_new();
	struct hits a, b;

	(void)state;
	assert_int_equal(add(m, "consistent hashing", 1), 0);
	assert_int_equal(add(m, "hash", 2), 0);
	assert_int_equal(matcher_build(m), 0);
	scan(m, "use consistent hashing; consistent hash", &a);
	scan(m, "use consistent hashing; consistent hash", &b);
	assert_int_equal(a.n, 4);
	assert_int_equal(a.n, b.n);
	for (size_t i = 0; i < b.n; i++)
		expect(&a, i, b.v[i].payload, b.v[i].first, b.v[i].last);
	expect(&a, 0, 1, 1, 2);
	expect(&a, 1, 2, 2, 2);
	expect(&a, 2, 1, 3, 4);
	expect(&a, 3, 2, 4, 4);
	free(a.v);
	free(b.v);
	matcher_free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_single_and_multi_token),
		cmocka_unit_test(test_overlaps_and_suffixes),
		cmocka_unit_test(test_same_phrase_two_payloads),
		cmocka_unit_test(test_unknown_tokens_and_repeats),
		cmocka_unit_test(test_empty_doc),
		cmocka_unit_test(test_life_cycle),
		cmocka_unit_test(test_many_phrases_against_brute_force),
		cmocka_unit_test(test_scan_is_read_only),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
