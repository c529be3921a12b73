/*
 * scorer.h - scores an answer against its question's rubric: keyword-based,
 * deterministic and explainable line by line.
 *
 * Four dimensions, each 0..100:
 *   relevance  weighted coverage of the rubric's concepts (70 %; 80 %
 *              coverage counts as full) and focus (30 %: the share of the
 *              answer's sentences that use a rubric phrase, so an answer to
 *              a neighbouring question that touches this one in passing
 *              ranks below one about it), discounted when the answer reads
 *              as a keyword list rather than sentences;
 *   structure  claim/reason/example (technical), Situation/Task/Action/Result
 *              in order (behavioral), or the question's design steps in order;
 *   clarity    length within the question's range, sentences (function words,
 *              sentence length) rather than keyword lists, no walls of text;
 *   impact     specifics: numbers, named tools, a stated result, and for
 *              behavioral answers first-person ownership.
 * overall = 0.55 * relevance + 0.45 * mean(structure, clarity, impact), the
 * second part scaled down when relevance is under 50 (a well-written answer
 * to another question is not a good answer to this one).
 * grade: excellent >= 85, good >= 70, fair >= 50, weak below.
 * The weakest dimension, which gets the one tip, is the one whose shortfall
 * costs the most points (100 - dim, times 0.55 for relevance, 0.15 else).
 *
 * The scorer does no I/O and has no globals: a struct scorer holds the
 * compiled cue lists and a reusable workspace for one thread. Results borrow
 * strings from the bank: keep the bank alive while a result is used.
 */
#ifndef DRILL_SCORER_H
#define DRILL_SCORER_H

#include <stdbool.h>
#include <stddef.h>

#include "drill/bank.h"
#include "drill/common.h"

enum scorer_dim {
	SCORER_RELEVANCE = 0,
	SCORER_STRUCTURE,
	SCORER_CLARITY,
	SCORER_IMPACT,
	SCORER_NDIMS
};

#define SCORER_EVIDENCE 96

struct scorer_hit {
	const char *concept;		/* borrowed from the bank */
	char evidence[SCORER_EVIDENCE];	/* the answer's words that matched */
};

struct scorer_miss {
	const char *concept;	/* borrowed */
	const char *hint;	/* borrowed */
	int weight;
};

struct scorer_result {
	const char *question_id;	/* borrowed */
	const char *rubric_version;	/* borrowed */
	int score;			/* overall, 0..100 */
	int dims[SCORER_NDIMS];		/* 0..100 each */
	const char *grade;		/* static: excellent|good|fair|weak */
	struct scorer_hit covered[BANK_MAX_CONCEPTS];
	size_t ncovered;
	struct scorer_miss missed[BANK_MAX_CONCEPTS];	/* heaviest first */
	size_t nmissed;
	enum scorer_dim weakest;
	char tip[320];			/* one concrete tip for the weakest dimension */
	size_t words;			/* tokens in the answer */
};

struct scorer;

/* Returns a scorer for bank (borrowed; must outlive it), or NULL (no memory). */
struct scorer *scorer_new(const struct bank *bank);
/* Frees it; NULL does nothing. */
void scorer_free(struct scorer *s);

/*
 * Scores text[0..len) against q (a question of the scorer's bank) into *out.
 * Never fails on content: empty text, invalid UTF-8 or 1 MiB of text all
 * score (invalid bytes match nothing). Returns 0 or DRILL_ENOMEM.
 */
int scorer_score(struct scorer *s, const struct bank_question *q,
    const char *text, size_t len, struct scorer_result *out) DRILL_WUR;

/* The dimension's name ("relevance"). */
const char *scorer_dim_name(enum scorer_dim d);
/* The grade for an overall score. */
const char *scorer_grade(int score);

/*
 * The result as JSON text (the drillctl score contract: question_id,
 * rubric_version, score, grade, dimensions{relevance, structure, clarity,
 * impact}, covered[{concept, evidence}], missed[{concept, hint}], tip).
 * Returns a malloc'd string the caller frees, or NULL.
 */
char *scorer_result_json(const struct scorer_result *r, bool pretty);

#endif
