/*
 * bank.h - question banks: load, validate, look up, match.
 *
 * A bank is a JSON file (questions/README.md documents every field):
 *
 *   { "format": 1, "name": "backend", "questions": [ {
 *       "id": "backend.sql-vs-nosql",            stable, [a-z0-9._-], unique
 *       "type": "technical",                     vocab type
 *       "topics": ["databases"],                 one or more vocab topics
 *       "level": "mid",                          vocab level
 *       "prompt": "When do you choose ...?",
 *       "assesses": "what the interviewer is really assessing",
 *       "how_to_answer": "how to approach it",
 *       "rubric": [ { "concept": "access patterns", "weight": 3,
 *                     "phrases": ["access pattern", "query pattern"],
 *                     "hint": "what to say when it is missed" }, ... ],
 *       "structure": "star" | "claim-reason-example" | ["requirements", ...],
 *       "model_answer": "...",
 *       "follow_ups": ["..."],
 *       "answer_words": [40, 250]                optional: a good length range
 *   } ] }
 *
 * Loading is strict: json-c parses with STRICT and UTF-8 validation, unknown
 * fields, wrong types, duplicate ids (across all loaded files), empty
 * prompts, concepts without phrases, unknown topics/types/levels are errors
 * that name the file and the question id. Every problem is reported, not
 * only the first.
 *
 * All rubric phrases of all questions compile at load into one matcher
 * (matcher.h), so the scorer scans an answer once whatever the bank's size.
 * A loaded bank is immutable; a reload builds a new one and swaps it.
 */
#ifndef DRILL_BANK_H
#define DRILL_BANK_H

#include <stddef.h>
#include <stdint.h>

#include "drill/common.h"
#include "drill/matcher.h"
#include "drill/vocab.h"

#define BANK_FORMAT 1
#define BANK_MAX_FILE (8u << 20)	/* a bank file larger than 8 MiB is refused */
#define BANK_MAX_CONCEPTS 16
#define BANK_MAX_QUESTIONS 65535

/* Expected answer structure. */
enum bank_structure {
	BANK_STRUCT_CRE = 0,	/* claim, reason, example (technical default) */
	BANK_STRUCT_STAR,	/* situation, task, action, result (behavioral default) */
	BANK_STRUCT_STEPS	/* named design steps, in order (system-design default) */
};

/* Design steps a bank may name in "structure"; the scorer knows their cues. */
enum bank_step {
	BANK_STEP_REQUIREMENTS = 0,
	BANK_STEP_ESTIMATES,
	BANK_STEP_API,
	BANK_STEP_DATA_MODEL,
	BANK_STEP_HIGH_LEVEL,
	BANK_STEP_SCALING,
	BANK_STEP_TRADE_OFFS,
	BANK_STEP_FAILURES,
	BANK_STEP_MONITORING,
	BANK_NSTEPS
};

struct bank_concept {
	char *name;
	int weight;		/* 1..5, default 1 */
	char **phrases;		/* as written in the bank */
	size_t nphrases;
	char *hint;
};

struct bank_question {
	char *id;
	const char *file;	/* the bank file it came from (owned by the bank) */
	int type;		/* enum vocab_type */
	uint32_t topics;	/* bit set of vocab topics */
	int level;		/* enum vocab_level */
	char *prompt;
	char *assesses;
	char *how_to_answer;
	struct bank_concept *concepts;
	size_t nconcepts;
	int total_weight;
	enum bank_structure structure;
	int steps[BANK_NSTEPS];	/* BANK_STRUCT_STEPS: the enum bank_step list */
	size_t nsteps;
	char *model_answer;
	char **follow_ups;
	size_t nfollow_ups;
	int min_words, max_words;	/* good answer length; type defaults */
	char rubric_version[17];	/* hex digest of concepts + structure */
	size_t ngaps;		/* phrases with a "..." gap, numbered 0.. in the matcher */
};

struct bank;

/*
 * Loads every path (a .json file, or a directory whose *.json files are
 * loaded in name order) into one bank. On success returns 0 and *out is the
 * caller's (bank_free). Otherwise returns DRILL_EINVAL / DRILL_EIO /
 * DRILL_ENOMEM with every problem in errs, one line each ("FILE: ID:
 * problem"; the caller frees errs with drill_errors_free; it is empty on
 * success).
 */
int bank_load(const char *const *paths, size_t npaths, struct bank **out,
    struct drill_errors *errs) DRILL_WUR;
void bank_free(struct bank *b);

/* Number of questions and the i-th one (in load order). Borrowed. */
size_t bank_count(const struct bank *b);
const struct bank_question *bank_get(const struct bank *b, size_t i);
/* The question with this id, or NULL. Borrowed. */
const struct bank_question *bank_find(const struct bank *b, const char *id);
/* Index of q in the bank (q must come from b). */
size_t bank_index(const struct bank *b, const struct bank_question *q);

/*
 * The matcher of all rubric phrases. A plain phrase's payload is question
 * index << 8 | concept. A phrase with a gap ("roll ... back": its two parts,
 * then at most BANK_GAP_WORDS other words between them) is added as its
 * two parts, each with a gap payload (BANK_GAP_FLAG set) naming the
 * question, the concept, the phrase's gap number within the question
 * (0 .. ngaps - 1) and the part (0 first, 1 second); the scorer joins them.
 */
const struct matcher *bank_matcher(const struct bank *b);
#define BANK_PAYLOAD(qi, ci) ((uint32_t)(qi) << 8 | (uint32_t)(ci))
#define BANK_PAYLOAD_Q(p) ((p) >> 8)
#define BANK_PAYLOAD_C(p) ((p) & 0xffu)
#define BANK_GAP_WORDS 4
#define BANK_MAX_GAPS 1024	/* gap phrases per question */
#define BANK_GAP_FLAG 0x80000000u
#define BANK_GAP_PAYLOAD(qi, ci, g, part) (BANK_GAP_FLAG | (uint32_t)(part) << 30 | \
	(uint32_t)(g) << 20 | (uint32_t)(qi) << 4 | (uint32_t)(ci))
#define BANK_GAP_Q(p) (((p) >> 4) & 0xffffu)
#define BANK_GAP_C(p) ((p) & 0xfu)
#define BANK_GAP_G(p) (((p) >> 20) & 0x3ffu)
#define BANK_GAP_PART(p) (((p) >> 30) & 1u)

/* Name of a step ("data-model"), and the parser used for "structure" lists. */
const char *bank_step_name(int step);
int bank_step_parse(const char *s);

#endif
