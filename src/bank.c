/*
 * bank.c - loads question banks from JSON, validates them strictly, and
 * compiles every rubric phrase into one matcher.
 *
 * Every problem found is reported (not only the first), each naming the file
 * and the question. A bank is immutable once loaded; there is no partial
 * load: any problem fails the whole load, so a broken bank never replaces a
 * working one. This module does not score (scorer.c) and does not choose
 * questions (the engine does).
 */
#include "drill/bank.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "drill/jsonv.h"
#include "drill/text.h"

#define MAX_TEXT (64u << 10)	/* longest prompt, model answer, hint ... */
#define MAX_PHRASES 64
#define MAX_PHRASE_TOKENS 16
#define MAX_FOLLOW_UPS 8
#define MAX_NAME 80		/* a concept's name */
#define MAX_HINT 300		/* a hint: one sentence, read on a phone */
#define MAX_FOLLOW_UP 1000
#define MAX_PHRASE 200

/*
 * The bank's strings (ids, prompts, phrases...) live in blocks freed with
 * the bank: a bank of 1,000 questions holds some 50,000 of them, and one
 * malloc each made loading allocator- and page-fault-bound.
 */
struct arena_block {
	struct arena_block *next;
	size_t used, cap;
	char data[];
};

#define ARENA_BLOCK (64u * 1024u)

struct bank {
	struct arena_block *arena;
	struct bank_question *questions;
	size_t n, cap;
	char **files;
	size_t nfiles;
	const struct bank_question **by_id;	/* questions sorted by id */
	struct matcher *matcher;
};

static const char *const step_names[BANK_NSTEPS] = {
	"requirements", "estimates", "api", "data-model", "high-level",
	"scaling", "trade-offs", "failures", "monitoring"
};

/* Default good-answer lengths in words, by vocab type. */
static const int default_words[VOCAB_NTYPES][2] = {
	[VOCAB_TECHNICAL] = {40, 250},
	[VOCAB_SYSTEM_DESIGN] = {80, 400},
	[VOCAB_BEHAVIORAL] = {80, 350},
	[VOCAB_SITUATIONAL] = {60, 300},
	[VOCAB_COMPETENCY] = {60, 300},
};

const char *
bank_step_name(int step)
{
	return step >= 0 && step < BANK_NSTEPS ? step_names[step] : NULL;
}

int
bank_step_parse(const char *s)
{
	for (int i = 0; i < BANK_NSTEPS; i++)
		if (strcmp(s, step_names[i]) == 0)
			return i;
	return -1;
}

/* A copy of s[0..len) and a NUL in b's arena; NULL when out of memory. */
static char *
arena_strndup(struct bank *b, const char *s, size_t len)
{
	struct arena_block *a = b->arena;
	char *p;

	if (a == NULL || a->cap - a->used < len + 1) {
		size_t cap = len + 1 > ARENA_BLOCK ? len + 1 : ARENA_BLOCK;

		if ((a = malloc(sizeof(*a) + cap)) == NULL)
			return NULL;
		a->used = 0;
		a->cap = cap;
		a->next = b->arena;
		b->arena = a;
	}
	p = a->data + a->used;
	memcpy(p, s, len);
	p[len] = '\0';
	a->used += len + 1;
	return p;
}

static void
free_strv(char **v, size_t n)
{
	if (v == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* Frees q's arrays; its strings are in the bank's arena. */
static void
question_clear(struct bank_question *q)
{
	for (size_t i = 0; i < q->nconcepts; i++)
		free(q->concepts[i].phrases);
	free(q->concepts);
	free(q->follow_ups);
	memset(q, 0, sizeof(*q));
}

void
bank_free(struct bank *b)
{
	if (b == NULL)
		return;
	for (size_t i = 0; i < b->n; i++)
		question_clear(&b->questions[i]);
	free(b->questions);
	free_strv(b->files, b->nfiles);
	free(b->by_id);
	matcher_free(b->matcher);
	while (b->arena != NULL) {
		struct arena_block *next = b->arena->next;

		free(b->arena);
		b->arena = next;
	}
	free(b);
}

/* A validation context: where we are, for error lines. */
struct ctx {
	struct bank *b;		/* whose arena copies go to */
	struct drill_errors *errs;
	const char *file;
	char where[160];	/* question id or "questions[3]" */
	int bad;
	int nomem;
};

DRILL_PRINTF(2, 3) static void
qerr(struct ctx *c, const char *fmt, ...)
{
	char buf[384];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	drill_errors_add(c->errs, "%s: %s: %s", c->file, c->where, buf);
	c->bad = 1;
}

/*
 * Copies a JSON string value that must be non-blank, valid (json-c
 * validated UTF-8 already), without NUL bytes and at most max bytes. Returns
 * the copy, or NULL with an error naming what, or what[idx] when idx >= 0
 * (the label is only formatted for an error: a 1,000-question bank has
 * some 35,000 phrases).
 */
static char *
copy_text(struct ctx *c, json_object *v, const char *what, long idx, size_t max)
{
	const char *s = NULL, *problem = NULL;
	char label[128];
	size_t len = 0;
	char *copy = NULL;

	if (!json_object_is_type(v, json_type_string)) {
		problem = "must be a string";
	} else {
		s = json_object_get_string(v);
		len = (size_t)json_object_get_string_len(v);
		if (len > max)
			problem = "longer than the limit";
		else if (memchr(s, '\0', len) != NULL)
			problem = "contains a NUL character";
		else if (text_is_blank(s, len))
			problem = "must not be empty";
		else if ((copy = arena_strndup(c->b, s, len)) == NULL) {
			problem = "out of memory";
			c->nomem = 1;
		}
	}
	if (problem == NULL)
		return copy;
	if (idx >= 0)
		snprintf(label, sizeof(label), "%s[%ld]", what, idx);
	else
		snprintf(label, sizeof(label), "%s", what);
	if (len > max)
		qerr(c, "%s: longer than %zu bytes", label, max);
	else
		qerr(c, "%s: %s", label, problem);
	return NULL;
}

/* copy_text of obj's member key; a missing key is an error when required. */
static char *
get_text(struct ctx *c, json_object *obj, const char *key, int required, size_t max)
{
	json_object *v;

	if (!json_object_object_get_ex(obj, key, &v)) {
		if (required)
			qerr(c, "%s: required field missing", key);
		return NULL;
	}
	return copy_text(c, v, key, -1, max);
}

static int
valid_id(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 128)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
		    ch == '.' || ch == '-' || ch == '_'))
			return 0;
	}
	return 1;
}

static const char *const question_keys[] = {
	"id", "type", "topics", "level", "prompt", "assesses", "how_to_answer",
	"rubric", "structure", "model_answer", "follow_ups", "answer_words", NULL
};
static const char *const concept_keys[] = {"concept", "weight", "phrases", "hint", NULL};
static const char *const top_keys[] = {"format", "name", "questions", NULL};

static int
known(const char *const *keys, const char *k)
{
	for (; *keys != NULL; keys++)
		if (strcmp(*keys, k) == 0)
			return 1;
	return 0;
}

static void
check_keys(struct ctx *c, json_object *obj, const char *const *keys, const char *what)
{
	json_object_object_foreach(obj, k, v) {
		(void)v;
		if (!known(keys, k))
			qerr(c, "%s%sunknown field \"%s\"", what, *what ? ": " : "", k);
	}
}

static int
get_int(struct ctx *c, json_object *v, const char *what, int lo, int hi, int *out)
{
	int64_t x;

	if (!json_object_is_type(v, json_type_int)) {
		qerr(c, "%s: must be an integer from %d to %d", what, lo, hi);
		return -1;
	}
	x = json_object_get_int64(v);
	if (x < lo || x > hi) {
		qerr(c, "%s: %lld is out of range (%d to %d)", what, (long long)x, lo, hi);
		return -1;
	}
	*out = (int)x;
	return 0;
}

static void
parse_concept(struct ctx *c, json_object *o, size_t idx, struct bank_concept *bc)
{
	char what[64];
	json_object *v;
	size_t n;

	snprintf(what, sizeof(what), "rubric[%zu]", idx);
	if (!json_object_is_type(o, json_type_object)) {
		qerr(c, "%s: must be an object", what);
		return;
	}
	check_keys(c, o, concept_keys, what);
	bc->name = get_text(c, o, "concept", 1, MAX_NAME);
	bc->hint = get_text(c, o, "hint", 1, MAX_HINT);
	if (bc->name != NULL)
		snprintf(what, sizeof(what), "concept \"%.40s\"", bc->name);
	bc->weight = 1;
	if (json_object_object_get_ex(o, "weight", &v)) {
		char w[96];
		snprintf(w, sizeof(w), "%s: weight", what);
		(void)get_int(c, v, w, 1, 5, &bc->weight);
	}
	if (!json_object_object_get_ex(o, "phrases", &v) ||
	    !json_object_is_type(v, json_type_array) ||
	    (n = json_object_array_length(v)) == 0) {
		qerr(c, "%s: needs a non-empty \"phrases\" array of strings", what);
		return;
	}
	if (n > MAX_PHRASES) {
		qerr(c, "%s: more than %d phrases", what, MAX_PHRASES);
		return;
	}
	if ((bc->phrases = calloc(n, sizeof(char *))) == NULL) {
		qerr(c, "%s: out of memory", what);
		c->nomem = 1;
		return;
	}
	snprintf(what + strlen(what), sizeof(what) - strlen(what), ": phrases");
	for (size_t i = 0; i < n; i++)
		if ((bc->phrases[bc->nphrases] = copy_text(c, json_object_array_get_idx(v, i),
		    what, (long)i, MAX_PHRASE)) != NULL)
			bc->nphrases++;
}

static void
parse_structure(struct ctx *c, json_object *q, struct bank_question *bq)
{
	json_object *v;

	switch (bq->type) {
	case VOCAB_SYSTEM_DESIGN:
		bq->structure = BANK_STRUCT_STEPS;
		bq->nsteps = 0;
		/* requirements, estimates, data model, scaling, trade-offs */
		bq->steps[bq->nsteps++] = BANK_STEP_REQUIREMENTS;
		bq->steps[bq->nsteps++] = BANK_STEP_ESTIMATES;
		bq->steps[bq->nsteps++] = BANK_STEP_DATA_MODEL;
		bq->steps[bq->nsteps++] = BANK_STEP_SCALING;
		bq->steps[bq->nsteps++] = BANK_STEP_TRADE_OFFS;
		break;
	case VOCAB_BEHAVIORAL:
	case VOCAB_SITUATIONAL:
	case VOCAB_COMPETENCY:
		bq->structure = BANK_STRUCT_STAR;
		break;
	default:
		bq->structure = BANK_STRUCT_CRE;
	}
	if (!json_object_object_get_ex(q, "structure", &v))
		return;
	if (json_object_is_type(v, json_type_string)) {
		const char *s = json_object_get_string(v);
		if (strcmp(s, "star") == 0)
			bq->structure = BANK_STRUCT_STAR;
		else if (strcmp(s, "claim-reason-example") == 0)
			bq->structure = BANK_STRUCT_CRE;
		else
			qerr(c, "structure: unknown structure \"%.40s\" (star, "
			    "claim-reason-example, or a list of steps)", s);
		return;
	}
	if (!json_object_is_type(v, json_type_array) || json_object_array_length(v) == 0) {
		qerr(c, "structure: must be \"star\", \"claim-reason-example\" or a "
		    "non-empty list of steps");
		return;
	}
	bq->structure = BANK_STRUCT_STEPS;
	bq->nsteps = 0;
	for (size_t i = 0; i < json_object_array_length(v); i++) {
		json_object *s = json_object_array_get_idx(v, i);
		int step;

		if (!json_object_is_type(s, json_type_string) ||
		    (step = bank_step_parse(json_object_get_string(s))) < 0) {
			qerr(c, "structure[%zu]: unknown step (one of requirements, "
			    "estimates, api, data-model, high-level, scaling, "
			    "trade-offs, failures, monitoring)", i);
			continue;
		}
		for (size_t j = 0; j < bq->nsteps; j++)
			if (bq->steps[j] == step) {
				qerr(c, "structure: step \"%s\" listed twice", step_names[step]);
				step = -1;
				break;
			}
		if (step >= 0 && bq->nsteps < BANK_NSTEPS)
			bq->steps[bq->nsteps++] = step;
	}
}

/* FNV-1a, 64 bits: the rubric version is a digest, not a security measure. */
static uint64_t
fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *s = p;

	for (size_t i = 0; i < n; i++) {
		h ^= s[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

static void
rubric_digest(struct bank_question *q)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	unsigned char sep = 0;
	int st = (int)q->structure;

	for (size_t i = 0; i < q->nconcepts; i++) {
		struct bank_concept *bc = &q->concepts[i];
		h = fnv(h, bc->name, strlen(bc->name) + 1);
		h = fnv(h, &bc->weight, sizeof(bc->weight));
		for (size_t j = 0; j < bc->nphrases; j++)
			h = fnv(h, bc->phrases[j], strlen(bc->phrases[j]) + 1);
		h = fnv(h, &sep, 1);
	}
	h = fnv(h, &st, sizeof(st));
	for (size_t i = 0; i < q->nsteps; i++)
		h = fnv(h, &q->steps[i], sizeof(q->steps[i]));
	snprintf(q->rubric_version, sizeof(q->rubric_version), "%016llx",
	    (unsigned long long)h);
}

static void
parse_question(struct ctx *c, json_object *q, struct bank_question *bq)
{
	json_object *v;
	char *s;
	size_t n;

	if (!json_object_is_type(q, json_type_object)) {
		qerr(c, "must be an object");
		return;
	}
	bq->id = get_text(c, q, "id", 1, MAX_TEXT);
	if (bq->id != NULL) {
		if (!valid_id(bq->id)) {
			qerr(c, "id \"%.60s\" must be 1 to 128 characters of a-z, 0-9, '.', '-', '_'",
			    bq->id);
		} else
			snprintf(c->where, sizeof(c->where), "%s", bq->id);
	}
	check_keys(c, q, question_keys, "");

	if ((s = get_text(c, q, "type", 1, MAX_TEXT)) != NULL) {
		if ((bq->type = vocab_type_parse(s)) < 0)
			qerr(c, "type: unknown type \"%.40s\"", s);
	} else
		bq->type = -1;
	if ((s = get_text(c, q, "level", 1, MAX_TEXT)) != NULL) {
		if ((bq->level = vocab_level_parse(s)) < 0)
			qerr(c, "level: unknown level \"%.40s\" (junior, mid, senior)", s);
	}
	if (!json_object_object_get_ex(q, "topics", &v) ||
	    !json_object_is_type(v, json_type_array) || json_object_array_length(v) == 0) {
		qerr(c, "topics: needs a non-empty array of topics");
	} else {
		for (size_t i = 0; i < json_object_array_length(v); i++) {
			json_object *t = json_object_array_get_idx(v, i);
			int ti = json_object_is_type(t, json_type_string) ?
			    vocab_topic_parse(json_object_get_string(t)) : -1;
			if (ti < 0)
				qerr(c, "topics[%zu]: unknown topic \"%.40s\"", i,
				    json_object_is_type(t, json_type_string) ?
				    json_object_get_string(t) : "(not a string)");
			else
				bq->topics |= 1u << ti;
		}
	}
	bq->prompt = get_text(c, q, "prompt", 1, MAX_TEXT);
	bq->assesses = get_text(c, q, "assesses", 1, MAX_TEXT);
	bq->how_to_answer = get_text(c, q, "how_to_answer", 1, MAX_TEXT);
	bq->model_answer = get_text(c, q, "model_answer", 1, MAX_TEXT);

	if (!json_object_object_get_ex(q, "rubric", &v) ||
	    !json_object_is_type(v, json_type_array) || (n = json_object_array_length(v)) == 0) {
		qerr(c, "rubric: needs a non-empty array of concepts");
	} else if (n > BANK_MAX_CONCEPTS) {
		qerr(c, "rubric: more than %d concepts", BANK_MAX_CONCEPTS);
	} else if ((bq->concepts = calloc(n, sizeof(*bq->concepts))) == NULL) {
		qerr(c, "rubric: out of memory");
		c->nomem = 1;
	} else {
		bq->nconcepts = n;
		for (size_t i = 0; i < n; i++) {
			parse_concept(c, json_object_array_get_idx(v, i), i, &bq->concepts[i]);
			bq->total_weight += bq->concepts[i].weight;
		}
		for (size_t i = 0; i < n; i++)
			for (size_t j = 0; j < i; j++)
				if (bq->concepts[i].name && bq->concepts[j].name &&
				    strcmp(bq->concepts[i].name, bq->concepts[j].name) == 0)
					qerr(c, "rubric: concept \"%.40s\" listed twice",
					    bq->concepts[i].name);
	}
	if (bq->type >= 0)
		parse_structure(c, q, bq);

	if (json_object_object_get_ex(q, "follow_ups", &v)) {
		if (!json_object_is_type(v, json_type_array) ||
		    (n = json_object_array_length(v)) > MAX_FOLLOW_UPS) {
			qerr(c, "follow_ups: must be an array of at most %d strings", MAX_FOLLOW_UPS);
		} else if (n > 0 && (bq->follow_ups = calloc(n, sizeof(char *))) == NULL) {
			qerr(c, "follow_ups: out of memory");
			c->nomem = 1;
		} else if (n > 0) {
			for (size_t i = 0; i < n; i++)
				if ((bq->follow_ups[bq->nfollow_ups] = copy_text(c,
				    json_object_array_get_idx(v, i), "follow_ups", (long)i,
				    MAX_FOLLOW_UP)) != NULL)
					bq->nfollow_ups++;
		}
	}
	if (bq->type >= 0) {
		bq->min_words = default_words[bq->type][0];
		bq->max_words = default_words[bq->type][1];
	}
	if (json_object_object_get_ex(q, "answer_words", &v)) {
		int lo = 0, hi = 0;
		if (!json_object_is_type(v, json_type_array) || json_object_array_length(v) != 2 ||
		    get_int(c, json_object_array_get_idx(v, 0), "answer_words[0]", 1, 5000, &lo) ||
		    get_int(c, json_object_array_get_idx(v, 1), "answer_words[1]", 1, 5000, &hi)) {
			qerr(c, "answer_words: must be [min, max], two integers from 1 to 5000");
		} else if (lo >= hi) {
			qerr(c, "answer_words: min %d must be below max %d", lo, hi);
		} else {
			bq->min_words = lo;
			bq->max_words = hi;
		}
	}
}

static char *
read_file(const char *path, size_t *len, struct drill_errors *errs, int *rc)
{
	struct stat sb;
	char *buf = NULL;
	size_t off = 0;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 || fstat(fd, &sb) < 0) {
		drill_errors_add(errs, "%s: cannot read: %s", path, strerror(errno));
		*rc = DRILL_EIO;
		goto fail;
	}
	if (!S_ISREG(sb.st_mode) || sb.st_size > (off_t)BANK_MAX_FILE) {
		drill_errors_add(errs, "%s: not a regular file of at most %u MiB", path,
		    BANK_MAX_FILE >> 20);
		*rc = DRILL_EINVAL;
		goto fail;
	}
	if ((buf = malloc((size_t)sb.st_size + 1)) == NULL) {
		*rc = DRILL_ENOMEM;
		goto fail;
	}
	while (off < (size_t)sb.st_size) {
		ssize_t r = read(fd, buf + off, (size_t)sb.st_size - off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			drill_errors_add(errs, "%s: cannot read: %s", path, r < 0 ? strerror(errno) : "file shrank");
			*rc = DRILL_EIO;
			goto fail;
		}
		off += (size_t)r;
	}
	buf[off] = '\0';
	*len = off;
	close(fd);
	return buf;
fail:
	if (fd >= 0)
		close(fd);
	free(buf);
	return NULL;
}

/* Parses one bank file and appends its questions to b. */
static int
load_file(struct bank *b, const char *path, struct drill_errors *errs)
{
	struct jsonv_error je;
	json_object *root = NULL, *v, *qs;
	struct ctx c = {.b = b, .errs = errs, .file = path};
	size_t len = 0, nq, bom;
	char *buf, *file;
	char **files;
	int rc = DRILL_EINVAL;

	if ((buf = read_file(path, &len, errs, &rc)) == NULL)
		return rc;
	if ((file = strdup(path)) == NULL ||
	    (files = realloc(b->files, (b->nfiles + 1) * sizeof(char *))) == NULL) {
		free(file);
		free(buf);
		return DRILL_ENOMEM;
	}
	b->files = files;
	b->files[b->nfiles++] = file;
	c.file = file;

	/* a UTF-8 byte order mark, as some editors write, is not JSON: skip it */
	bom = len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;
	if ((rc = jsonv_parse(buf + bom, len - bom, 64, &root, &je)) != 0) {
		int line = 1;
		for (size_t i = bom; i < bom + je.offset && i < len; i++)
			line += buf[i] == '\n';
		if (rc == DRILL_EINVAL)
			drill_errors_add(errs, "%s:%d: %s", path, line, je.msg);
		goto done;
	}
	rc = DRILL_EINVAL;
	snprintf(c.where, sizeof(c.where), "bank");
	if (!json_object_is_type(root, json_type_object)) {
		qerr(&c, "the file must hold one JSON object");
		goto done;
	}
	check_keys(&c, root, top_keys, "");
	if (!json_object_object_get_ex(root, "format", &v) || !json_object_is_type(v, json_type_int)) {
		qerr(&c, "\"format\": %d is required", BANK_FORMAT);
	} else if (json_object_get_int64(v) != BANK_FORMAT) {
		qerr(&c, "format %lld is not supported (this drilld reads format %d)",
		    (long long)json_object_get_int64(v), BANK_FORMAT);
		goto done;
	}
	if (json_object_object_get_ex(root, "name", &v) && !json_object_is_type(v, json_type_string))
		qerr(&c, "name: must be a string");
	if (!json_object_object_get_ex(root, "questions", &qs) ||
	    !json_object_is_type(qs, json_type_array)) {
		qerr(&c, "\"questions\": an array of questions is required");
		goto done;
	}
	nq = json_object_array_length(qs);
	if (b->n + nq > BANK_MAX_QUESTIONS) {
		qerr(&c, "more than %d questions in all", BANK_MAX_QUESTIONS);
		goto done;
	}
	if (b->n + nq > b->cap) {
		size_t cap = b->n + nq;
		struct bank_question *qv = realloc(b->questions, cap * sizeof(*qv));
		if (qv == NULL) {
			rc = DRILL_ENOMEM;
			goto done;
		}
		b->questions = qv;
		b->cap = cap;
	}
	for (size_t i = 0; i < nq; i++) {
		struct bank_question *bq = &b->questions[b->n];

		memset(bq, 0, sizeof(*bq));
		bq->type = -1;
		bq->file = file;
		snprintf(c.where, sizeof(c.where), "questions[%zu]", i);
		parse_question(&c, json_object_array_get_idx(qs, i), bq);
		b->n++;
	}
	rc = c.nomem ? DRILL_ENOMEM : c.bad ? DRILL_EINVAL : 0;
done:
	if (c.bad && rc == 0)
		rc = DRILL_EINVAL;
	json_object_put(root);
	free(buf);
	return rc;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Loads a path: a file, or every *.json in a directory in name order. */
static int
load_path(struct bank *b, const char *path, struct drill_errors *errs)
{
	struct stat sb;
	DIR *d;
	struct dirent *de;
	char **names = NULL;
	size_t n = 0;
	int rc = 0;

	if (stat(path, &sb) < 0) {
		drill_errors_add(errs, "%s: cannot read: %s", path, strerror(errno));
		return DRILL_EIO;
	}
	if (!S_ISDIR(sb.st_mode))
		return load_file(b, path, errs);
	if ((d = opendir(path)) == NULL) {
		drill_errors_add(errs, "%s: cannot read: %s", path, strerror(errno));
		return DRILL_EIO;
	}
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);
		char **nv;
		if (len < 6 || de->d_name[0] == '.' || strcmp(de->d_name + len - 5, ".json") != 0)
			continue;
		if ((nv = realloc(names, (n + 1) * sizeof(char *))) == NULL) {
			rc = DRILL_ENOMEM;
			break;
		}
		names = nv;
		if ((names[n] = strdup(de->d_name)) == NULL) {
			rc = DRILL_ENOMEM;
			break;
		}
		n++;
	}
	closedir(d);
	if (rc == 0 && n == 0) {
		drill_errors_add(errs, "%s: no *.json bank files in this directory", path);
		rc = DRILL_EINVAL;
	}
	if (n > 0)
		qsort(names, n, sizeof(char *), cmp_str);
	for (size_t i = 0; rc != DRILL_ENOMEM && i < n; i++) {
		char full[4096];
		int r;
		snprintf(full, sizeof(full), "%s%s%s", path,
		    path[strlen(path) - 1] == '/' ? "" : "/", names[i]);
		if ((r = load_file(b, full, errs)) != 0 && rc == 0)
			rc = r;
	}
	free_strv(names, n);
	return rc;
}

static int
cmp_id(const void *a, const void *b)
{
	const struct bank_question *qa = *(const struct bank_question *const *)a;
	const struct bank_question *qb = *(const struct bank_question *const *)b;
	return strcmp(qa->id, qb->id);
}

/*
 * Adds phrase p of concept ci of question qi, which has a "..." gap at
 * gap, as its two parts (bank.h). Each part needs a word, the two at most
 * MAX_PHRASE_TOKENS together, and there is one gap at most.
 */
static int
compile_gap(struct bank *b, size_t qi, size_t ci, const char *p,
    const char *gap, struct text_doc *doc, struct drill_errors *errs)
{
	struct bank_question *q = &b->questions[qi];
	const char *toks[MAX_PHRASE_TOKENS];
	const char *part[2] = {p, gap + 3};
	size_t len[2] = {(size_t)(gap - p), strlen(gap + 3)}, total = 0;
	int r;

	if (strstr(gap + 3, "...") != NULL || q->ngaps >= BANK_MAX_GAPS) {
		drill_errors_add(errs, "%s: %s: concept \"%.40s\": phrase \"%.60s\": "
		    "%s", q->file, q->id, q->concepts[ci].name, p,
		    q->ngaps >= BANK_MAX_GAPS ? "too many phrases with \"...\"" :
		    "one \"...\" per phrase at most");
		return DRILL_EINVAL;
	}
	for (int k = 0; k < 2; k++) {
		if ((r = text_tokenize(doc, part[k], len[k])) != 0)
			return r;
		total += doc->ntokens;
		if (doc->ntokens == 0 || total > MAX_PHRASE_TOKENS) {
			drill_errors_add(errs, "%s: %s: concept \"%.40s\": phrase \"%.60s\": "
			    "%s", q->file, q->id, q->concepts[ci].name, p,
			    doc->ntokens == 0 ? "needs words on both sides of \"...\"" :
			    "too many words");
			return DRILL_EINVAL;
		}
		for (size_t t = 0; t < doc->ntokens; t++)
			toks[t] = doc->tokens[t].norm;
		if ((r = matcher_add(b->matcher, toks, doc->ntokens,
		    BANK_GAP_PAYLOAD(qi, ci, q->ngaps, k))) != 0)
			return r;
	}
	q->ngaps++;
	return 0;
}

/* Compiles every phrase into the matcher; an empty phrase is an error. */
static int
compile(struct bank *b, struct drill_errors *errs)
{
	struct text_doc doc;
	const char *toks[MAX_PHRASE_TOKENS];
	int rc = 0;

	if ((b->matcher = matcher_new()) == NULL)
		return DRILL_ENOMEM;
	text_doc_init(&doc);
	for (size_t qi = 0; qi < b->n; qi++) {
		struct bank_question *q = &b->questions[qi];
		for (size_t ci = 0; ci < q->nconcepts; ci++) {
			struct bank_concept *bc = &q->concepts[ci];
			for (size_t pi = 0; pi < bc->nphrases; pi++) {
				const char *gap = strstr(bc->phrases[pi], "...");
				int r;
				if (gap != NULL) {
					if ((r = compile_gap(b, qi, ci, bc->phrases[pi], gap,
					    &doc, errs)) == DRILL_ENOMEM) {
						rc = r;
						goto done;
					}
					if (r != 0)
						rc = r;
					continue;
				}
				if ((r = text_tokenize(&doc, bc->phrases[pi], strlen(bc->phrases[pi]))) != 0) {
					rc = r;
					goto done;
				}
				if (doc.ntokens == 0 || doc.ntokens > MAX_PHRASE_TOKENS) {
					drill_errors_add(errs, "%s: %s: concept \"%.40s\": phrase \"%.60s\" "
					    "must have 1 to %d words", q->file, q->id, bc->name,
					    bc->phrases[pi], MAX_PHRASE_TOKENS);
					rc = DRILL_EINVAL;
					continue;
				}
				for (size_t t = 0; t < doc.ntokens; t++)
					toks[t] = doc.tokens[t].norm;
				if ((r = matcher_add(b->matcher, toks, doc.ntokens,
				    BANK_PAYLOAD(qi, ci))) != 0) {
					rc = r;
					goto done;
				}
			}
		}
		rubric_digest(q);
	}
	if (rc == 0)
		rc = matcher_build(b->matcher);
done:
	text_doc_free(&doc);
	return rc;
}

int
bank_load(const char *const *paths, size_t npaths, struct bank **out,
    struct drill_errors *errs)
{
	struct bank *b;
	size_t nids = 0;
	int rc = 0;

	*out = NULL;
	memset(errs, 0, sizeof(*errs));
	if ((b = calloc(1, sizeof(*b))) == NULL)
		return DRILL_ENOMEM;
	for (size_t i = 0; i < npaths; i++) {
		int r = load_path(b, paths[i], errs);
		if (r != 0 && (rc == 0 || r == DRILL_ENOMEM))
			rc = r;
	}
	if (rc == 0 && b->n == 0) {
		drill_errors_add(errs, "no questions: the banks hold no questions");
		rc = DRILL_EINVAL;
	}
	if (rc == DRILL_ENOMEM || b->n == 0)
		goto fail;
	/* duplicates are reported even when other problems were found */
	if ((b->by_id = malloc(b->n * sizeof(*b->by_id))) == NULL) {
		rc = DRILL_ENOMEM;
		goto fail;
	}
	for (size_t i = 0; i < b->n; i++)
		if (b->questions[i].id != NULL)
			b->by_id[nids++] = &b->questions[i];
	qsort(b->by_id, nids, sizeof(*b->by_id), cmp_id);
	for (size_t i = 1; i < nids; i++) {
		const struct bank_question *p = b->by_id[i - 1];
		const struct bank_question *q = b->by_id[i];
		if (strcmp(p->id, q->id) == 0) {
			drill_errors_add(errs, "%s: %s: duplicate id (also in %s)", q->file, q->id, p->file);
			rc = DRILL_EINVAL;
		}
	}
	if (rc != 0)
		goto fail;
	if ((rc = compile(b, errs)) != 0)
		goto fail;
	*out = b;
	return 0;
fail:
	bank_free(b);
	return rc;
}

size_t
bank_count(const struct bank *b)
{
	return b->n;
}

const struct bank_question *
bank_get(const struct bank *b, size_t i)
{
	return i < b->n ? &b->questions[i] : NULL;
}

const struct bank_question *
bank_find(const struct bank *b, const char *id)
{
	size_t lo = 0, hi = b->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct bank_question *q = b->by_id[mid];
		int c = strcmp(id, q->id);
		if (c == 0)
			return q;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

size_t
bank_index(const struct bank *b, const struct bank_question *q)
{
	return (size_t)(q - b->questions);
}

const struct matcher *
bank_matcher(const struct bank *b)
{
	return b->matcher;
}
