/*
 * scorer.c - the keyword scorer: one pass of the bank's phrase matcher and
 * one pass of a small cue matcher over the answer's tokens, then arithmetic
 * that can be explained to the person who was scored.
 *
 * It does not decide who sees what (the engine does), does not store
 * anything, and does not read the clock: the same answer and question always
 * give the same result.
 */
#include "drill/scorer.h"

#include <json-c/json.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drill/text.h"

/* Cue groups: phrases that signal a part of an answer's structure or impact. */
enum cue {
	CUE_CLAIM, CUE_REASON, CUE_EXAMPLE,
	CUE_SITUATION, CUE_TASK, CUE_ACTION, CUE_RESULT,
	CUE_STEP0,	/* + enum bank_step */
	CUE_TOOL = CUE_STEP0 + BANK_NSTEPS,
	CUE_UNIT,
	CUE_NCUES
};

struct cue_list {
	enum cue cue;
	const char *const *phrases;
};

static const char *const claim_cues[] = {
	"i would", "i'd", "i prefer", "i choose", "i pick", "i use", "we use",
	"it depends", "the answer is", "the key is", "the main difference",
	"the difference", "you should", "i recommend", "my approach", "i start",
	"first", "in short", "the short answer", NULL
};
static const char *const reason_cues[] = {
	"because", "since", "so that", "therefore", "which means", "that means",
	"the reason", "due to", "otherwise", "this way", "that way", "in order to",
	"as a result", "this avoids", "which avoids", "trade off", "tradeoff",
	"the benefit", "the downside", "the cost", "why", NULL
};
static const char *const example_cues[] = {
	"for example", "for instance", "e.g", "such as", "like when", "in my last",
	"at my last", "at my previous", "in my previous", "in practice", "once",
	"we had", "i had", "in one project", "on one project", "last year",
	"imagine", "say we", "consider", "a concrete", "in production", NULL
};
static const char *const situation_cues[] = {
	"when i was", "at my previous", "at my last", "in my last", "in my previous",
	"we were", "our team", "my team", "there was", "the situation", "back when",
	"last year", "a few years ago", "in my role", "i was working", "we had",
	"the context", "one day", "during", "our service", "our system", "our api",
	"our database", "at the time", NULL
};
static const char *const task_cues[] = {
	"my job", "i was responsible", "i needed to", "i had to", "my task",
	"the goal", "my role", "we needed", "we had to", "the objective", "deadline",
	"i was asked", "i was on call", "on call", "i owned", "my responsibility",
	"the task", "the problem was", "the challenge", "i wanted to", "i would need",
	"i need to", NULL
};
static const char *const action_cues[] = {
	"i decided", "i started", "i built", "i wrote", "i set up", "i added",
	"i talked", "i proposed", "i led", "i implemented", "i would", "first i",
	"then i", "i moved", "i rolled back", "i fixed", "i changed", "i ran",
	"i asked", "i met", "i created", "i introduced", "i investigated",
	"i profiled", "i measured", "i reviewed", "i paired", "i suggested",
	"i organised", "i organized", "i split", "i wrote up", "i reached out",
	"i escalated", "i migrated", "i replaced", "i removed", "i scheduled",
	"we decided", "we rolled back", "we added", "i'd", "next i", "i'll", NULL
};
static const char *const result_cues[] = {
	"as a result", "the result", "in the end", "eventually", "reduced",
	"improved", "increased", "decreased", "cut", "saved", "dropped", "fell",
	"learned", "lesson", "outcome", "since then", "afterwards", "now we",
	"from then on", "went down", "went up", "faster", "no more", "never again",
	"postmortem", "post mortem", "follow up", "went from", NULL
};
static const char *const step_requirements[] = {
	"requirement", "functional", "non functional", "use case", "clarify",
	"assume", "assumption", "scope", "users need", "must support", "should support",
	"read heavy", "write heavy", NULL
};
static const char *const step_estimates[] = {
	"estimate", "per second", "qps", "rps", "requests per", "storage",
	"back of the envelope", "capacity", "read write ratio", "reads per",
	"writes per", "per day", "per month", "million", "billion", "tb", "gb",
	"bandwidth", NULL
};
static const char *const step_api[] = {
	"api", "endpoint", "post", "get", "rest", "grpc", "request", "response", NULL
};
static const char *const step_data_model[] = {
	"schema", "table", "data model", "primary key", "column", "database",
	"key value", "row", "document", "record", NULL
};
static const char *const step_high_level[] = {
	"load balancer", "service", "component", "architecture", "diagram",
	"flow", "high level", "client", "server", "gateway", NULL
};
static const char *const step_scaling[] = {
	"scale", "shard", "partition", "replica", "cache", "horizontal",
	"cdn", "read replica", "autoscal", "bottleneck", NULL
};
static const char *const step_trade_offs[] = {
	"trade off", "tradeoff", "downside", "instead", "versus", "vs",
	"alternatively", "the cost", "on the other hand", "however", "but", NULL
};
static const char *const step_failures[] = {
	"failure", "fail", "retry", "outage", "fallback", "redundancy", "backup",
	"failover", "degrade", "timeout", NULL
};
static const char *const step_monitoring[] = {
	"monitor", "metric", "alert", "dashboard", "log", "trace", "slo", "sli",
	"observability", NULL
};
static const char *const tool_cues[] = {
	"postgres", "postgresql", "mysql", "sqlite", "redis", "memcached", "kafka",
	"rabbitmq", "sqs", "sns", "kinesis", "nats", "kubernetes", "k8s", "docker",
	"prometheus", "grafana", "datadog", "sentry", "jaeger", "opentelemetry",
	"elasticsearch", "opensearch", "kibana", "nginx", "haproxy", "envoy",
	"terraform", "ansible", "jenkins", "github actions", "gitlab", "argo",
	"vault", "s3", "dynamodb", "cassandra", "mongodb", "cockroachdb",
	"spanner", "bigquery", "snowflake", "pgbouncer", "explain analyze",
	"pg_stat_statements", "flamegraph", "flame graph", "pprof", "perf",
	"jmeter", "k6", "locust", "wrk", "istio", "linkerd", "consul", "etcd",
	"zookeeper", "cloudflare", "cloudfront", "lambda", "celery", "sidekiq",
	"resque", "temporal", "airflow", "spark", "flink", "debezium", "grpc",
	"graphql", "openapi", "swagger", "pagerduty", "opsgenie", "splunk",
	"new relic", "honeycomb", "loki", "tempo", "pytest", "junit", "jest",
	"testcontainers", "pact", "selenium", "playwright", "cypress", NULL
};
static const char *const unit_cues[] = {
	"ms", "millisecond", "second", "minute", "hour", "day", "week", "percent",
	"%", "rps", "qps", "rpm", "mb", "gb", "tb", "kb", "k", "x", "times",
	"users", "request", "p50", "p95", "p99", "p999", "million", "thousand", NULL
};

static const struct cue_list cue_lists[] = {
	{CUE_CLAIM, claim_cues}, {CUE_REASON, reason_cues},
	{CUE_EXAMPLE, example_cues}, {CUE_SITUATION, situation_cues},
	{CUE_TASK, task_cues}, {CUE_ACTION, action_cues},
	{CUE_RESULT, result_cues},
	{CUE_STEP0 + BANK_STEP_REQUIREMENTS, step_requirements},
	{CUE_STEP0 + BANK_STEP_ESTIMATES, step_estimates},
	{CUE_STEP0 + BANK_STEP_API, step_api},
	{CUE_STEP0 + BANK_STEP_DATA_MODEL, step_data_model},
	{CUE_STEP0 + BANK_STEP_HIGH_LEVEL, step_high_level},
	{CUE_STEP0 + BANK_STEP_SCALING, step_scaling},
	{CUE_STEP0 + BANK_STEP_TRADE_OFFS, step_trade_offs},
	{CUE_STEP0 + BANK_STEP_FAILURES, step_failures},
	{CUE_STEP0 + BANK_STEP_MONITORING, step_monitoring},
	{CUE_TOOL, tool_cues}, {CUE_UNIT, unit_cues},
};

#define NO_POS ((size_t)-1)
/* Relevance: coverage counts 70 %, focus 30 %; focus is full when 75 % of
 * the sentences use a rubric phrase, nothing under 25 %. */
#define FOCUS_WEIGHT 0.30
#define FOCUS_LO 0.25
#define FOCUS_HI 0.75
#define SHRINK_TOKENS 65536	/* workspace kept between answers, in tokens */

struct scorer {
	const struct bank *bank;
	struct matcher *cues;
	struct text_doc doc;
	uint32_t *sent_of;	/* token -> its sentence */
	unsigned char *sent_hit;	/* sentence -> a rubric phrase of the question is in it */
	size_t sent_cap;	/* entries of sent_of; sent_hit has as many */
};

/* Per-call scan state, filled by the two matcher callbacks. */
struct scan {
	const struct text_doc *doc;
	size_t qi;
	size_t first[BANK_MAX_CONCEPTS];	/* first token of the first hit */
	size_t last[BANK_MAX_CONCEPTS];
	size_t hit_tokens;			/* tokens inside rubric hits */
	size_t hit_end;				/* last token counted, to avoid overlaps */
	size_t cue_first[CUE_NCUES];
	size_t cue_count[CUE_NCUES];
	const uint32_t *sent_of;
	unsigned char *sent_hit;
	size_t gap_first[BANK_MAX_GAPS];	/* the latest first part of each gap phrase */
	size_t gap_last[BANK_MAX_GAPS];
};

const char *
scorer_dim_name(enum scorer_dim d)
{
	static const char *const names[] = {"relevance", "structure", "clarity", "impact"};
	return (unsigned)d < SCORER_NDIMS ? names[d] : "unknown";
}

const char *
scorer_grade(int score)
{
	if (score >= 85)
		return "excellent";
	if (score >= 70)
		return "good";
	if (score >= 50)
		return "fair";
	return "weak";
}

struct scorer *
scorer_new(const struct bank *bank)
{
	struct scorer *s;
	const char *toks[16];

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->bank = bank;
	text_doc_init(&s->doc);
	if ((s->cues = matcher_new()) == NULL)
		goto fail;
	for (size_t i = 0; i < sizeof(cue_lists) / sizeof(cue_lists[0]); i++) {
		for (const char *const *p = cue_lists[i].phrases; *p != NULL; p++) {
			if (text_tokenize(&s->doc, *p, strlen(*p)) != 0)
				goto fail;
			if (s->doc.ntokens == 0 || s->doc.ntokens > 16)
				continue;	/* e.g. "%": not a token; counted separately */
			for (size_t t = 0; t < s->doc.ntokens; t++)
				toks[t] = s->doc.tokens[t].norm;
			if (matcher_add(s->cues, toks, s->doc.ntokens, (uint32_t)cue_lists[i].cue) != 0)
				goto fail;
		}
	}
	if (matcher_build(s->cues) != 0)
		goto fail;
	return s;
fail:
	scorer_free(s);
	return NULL;
}

void
scorer_free(struct scorer *s)
{
	if (s == NULL)
		return;
	matcher_free(s->cues);
	text_doc_free(&s->doc);
	free(s->sent_of);
	free(s->sent_hit);
	free(s);
}

/* Concept ci is covered by the words [first, last] (hit: how many of them matched). */
static void
concept_hit(struct scan *sc, size_t ci, size_t first, size_t last, size_t hit)
{
	/* evidence: the first occurrence, extended to the longest phrase there */
	if (sc->first[ci] == NO_POS || (first <= sc->first[ci] && last > sc->last[ci])) {
		sc->first[ci] = first;
		sc->last[ci] = last;
	}
	sc->sent_hit[sc->sent_of[first]] = 1;
	if (hit == 0) {		/* a plain phrase: its words, overlaps once */
		if (sc->hit_end == NO_POS || first > sc->hit_end)
			sc->hit_tokens += last - first + 1;
		else if (last > sc->hit_end)
			sc->hit_tokens += last - sc->hit_end;
		if (sc->hit_end == NO_POS || last > sc->hit_end)
			sc->hit_end = last;
	} else {
		sc->hit_tokens += hit;
	}
}

static void
on_phrase(void *arg, uint32_t payload, size_t first, size_t last)
{
	struct scan *sc = arg;
	size_t ci, g;

	if (payload & BANK_GAP_FLAG) {
		/* A gap phrase's part: remember the latest first part; a second
		 * part that follows it closely completes the phrase. */
		ci = BANK_GAP_C(payload);
		g = BANK_GAP_G(payload);
		if (BANK_GAP_Q(payload) != sc->qi || ci >= BANK_MAX_CONCEPTS ||
		    g >= BANK_MAX_GAPS)
			return;
		if (BANK_GAP_PART(payload) == 0) {
			sc->gap_first[g] = first;
			sc->gap_last[g] = last;
		} else if (sc->gap_last[g] != NO_POS && sc->gap_last[g] < first &&
		    first - sc->gap_last[g] - 1 <= BANK_GAP_WORDS) {
			concept_hit(sc, ci, sc->gap_first[g], last,
			    (sc->gap_last[g] - sc->gap_first[g] + 1) + (last - first + 1));
		}
		return;
	}
	ci = BANK_PAYLOAD_C(payload);
	if (BANK_PAYLOAD_Q(payload) != sc->qi || ci >= BANK_MAX_CONCEPTS)
		return;
	concept_hit(sc, ci, first, last, 0);
}

static void
on_cue(void *arg, uint32_t payload, size_t first, size_t last)
{
	struct scan *sc = arg;

	(void)last;
	if (payload >= CUE_NCUES)
		return;
	if (sc->cue_first[payload] == NO_POS)
		sc->cue_first[payload] = first;
	sc->cue_count[payload]++;
}

/*
 * Copies the answer's bytes [start, end) as evidence: at most
 * SCORER_EVIDENCE-1 bytes cut at a character boundary, control characters
 * and invalid UTF-8 replaced by spaces, so the evidence is safe to print.
 */
static void
copy_evidence(char *dst, const char *text, size_t start, size_t end)
{
	size_t o = 0, i = start;

	while (i < end && o + 1 < SCORER_EVIDENCE) {
		unsigned char ch = (unsigned char)text[i];
		size_t n = text_utf8_seqlen(text + i, end - i);
		if (n == 0) {
			dst[o++] = ' ';
			i++;
			continue;
		}
		if (n == 1 && (ch < 0x20 || ch == 0x7f)) {
			dst[o++] = ' ';
			i++;
			continue;
		}
		if (o + n >= SCORER_EVIDENCE)
			break;
		memcpy(dst + o, text + i, n);
		o += n;
		i += n;
	}
	dst[o] = '\0';
}

/* Drops a UTF-8 sequence that snprintf's truncation left incomplete. */
static void
cut_at_char(char *s)
{
	size_t n = strlen(s), i = n;

	while (i > 0 && ((unsigned char)s[i - 1] & 0xc0) == 0x80)
		i--;
	if (i > 0 && (unsigned char)s[i - 1] >= 0xc0 &&
	    text_utf8_seqlen(s + i - 1, n - (i - 1)) == 0)
		s[i - 1] = '\0';
}

static int
clamp100(double x)
{
	if (x <= 0)
		return 0;
	if (x >= 100)
		return 100;
	return (int)(x + 0.5);
}

static double
minf(double a, double b)
{
	return a < b ? a : b;
}

static double
ramp(double x, double lo, double hi)
{
	if (x <= lo)
		return 0;
	if (x >= hi)
		return 1;
	return (x - lo) / (hi - lo);
}

/* Counts tokens whose norm is one of the words (pronoun counts for ownership). */
static size_t
count_words(const struct text_doc *doc, const char *const *words)
{
	size_t n = 0;

	for (size_t i = 0; i < doc->ntokens; i++)
		for (const char *const *w = words; *w != NULL; w++)
			if (strcmp(doc->tokens[i].norm, *w) == 0) {
				n++;
				break;
			}
	return n;
}

/* Structure, 0..100, with the name of the first missing part for the tip. */
static double
score_structure(const struct bank_question *q, const struct scan *sc,
    size_t sent2_end, const char **missing)
{
	*missing = NULL;
	if (q->structure == BANK_STRUCT_CRE) {
		int claim = sc->cue_first[CUE_CLAIM] != NO_POS &&
		    sc->cue_first[CUE_CLAIM] <= sent2_end;
		for (size_t c = 0; !claim && c < q->nconcepts; c++)
			claim = sc->first[c] != NO_POS && sc->first[c] <= sent2_end;
		int reason = sc->cue_count[CUE_REASON] > 0;
		int example = sc->cue_count[CUE_EXAMPLE] > 0 || sc->cue_count[CUE_TOOL] > 0;
		if (!claim)
			*missing = "a clear opening claim";
		else if (!reason)
			*missing = "the reason (\"because ...\")";
		else if (!example)
			*missing = "a concrete example";
		return 30.0 * claim + 35.0 * reason + 35.0 * example;
	}
	if (q->structure == BANK_STRUCT_STAR) {
		static const char *const names[] = {"the situation", "your task",
		    "the actions you took", "the result"};
		size_t pos[4];
		int have = 0, ordered = 1;
		size_t prev = 0;
		for (int p = 0; p < 4; p++) {
			pos[p] = sc->cue_first[CUE_SITUATION + p];
			if (pos[p] != NO_POS) {
				have++;
				if (pos[p] < prev)
					ordered = 0;
				prev = pos[p];
			} else if (*missing == NULL)
				*missing = names[p];
		}
		return 100.0 * have / 4.0 * (ordered ? 1.0 : 0.85);
	}
	/* Design steps: presence (80 %) and order (20 %). */
	size_t have = 0, inorder = 0, prev = 0;
	for (size_t i = 0; i < q->nsteps; i++) {
		size_t p = sc->cue_first[CUE_STEP0 + q->steps[i]];
		if (p == NO_POS) {
			if (*missing == NULL)
				*missing = bank_step_name(q->steps[i]);
			continue;
		}
		have++;
		if (p >= prev)
			inorder++;
		prev = p;
	}
	if (q->nsteps == 0)
		return 100;
	return 80.0 * have / q->nsteps + 20.0 * inorder / q->nsteps;
}

int
scorer_score(struct scorer *s, const struct bank_question *q,
    const char *text, size_t len, struct scorer_result *out)
{
	static const char *const me[] = {"i", "my", "me", "i'm", "i've", "i'd", NULL};
	static const char *const we[] = {"we", "our", "us", "we're", "we've", NULL};
	struct text_doc *doc = &s->doc;
	struct scan sc;
	const char *missing_part = NULL;
	size_t nsent, words, sent2_end = NO_POS, nfunc = 0, numbers = 0, longest_sent = 0, cur = 0;
	double cov = 0, prose, rel, str, cla, imp, lenf, fwf, sentf, avg_sent;
	int rc;

	memset(out, 0, sizeof(*out));
	out->question_id = q->id;
	out->rubric_version = q->rubric_version;
	if ((rc = text_tokenize(doc, text, len)) != 0)
		return rc;

	memset(&sc, 0, offsetof(struct scan, gap_first));	/* the gap arrays: below */
	sc.doc = doc;
	sc.qi = bank_index(s->bank, q);
	sc.hit_end = NO_POS;
	for (size_t i = 0; i < BANK_MAX_CONCEPTS; i++)
		sc.first[i] = sc.last[i] = NO_POS;
	for (size_t i = 0; i < CUE_NCUES; i++)
		sc.cue_first[i] = NO_POS;
	for (size_t i = 0; i < q->ngaps && i < BANK_MAX_GAPS; i++)
		sc.gap_first[i] = sc.gap_last[i] = NO_POS;
	if (doc->ntokens + 1 > s->sent_cap) {
		size_t cap = doc->ntokens + 1 > 2 * s->sent_cap ? doc->ntokens + 1 : 2 * s->sent_cap;
		uint32_t *so = realloc(s->sent_of, cap * sizeof(*so));
		unsigned char *sh;

		if (so == NULL)
			return DRILL_ENOMEM;
		s->sent_of = so;
		if ((sh = realloc(s->sent_hit, cap)) == NULL)
			return DRILL_ENOMEM;
		s->sent_hit = sh;
		s->sent_cap = cap;
	}
	nsent = 0;
	for (size_t i = 0; i < doc->ntokens; i++) {
		s->sent_of[i] = (uint32_t)nsent;
		if (doc->tokens[i].flags & TEXT_TOK_SENT_END || i + 1 == doc->ntokens ||
		    (doc->tokens[i + 1].flags & TEXT_TOK_LINE_START))
			nsent++;
	}
	memset(s->sent_hit, 0, nsent + 1);
	sc.sent_of = s->sent_of;
	sc.sent_hit = s->sent_hit;
	matcher_scan(bank_matcher(s->bank), doc, on_phrase, &sc);
	matcher_scan(s->cues, doc, on_cue, &sc);

	words = doc->ntokens;
	out->words = words;
	for (size_t i = 0, sents = 0; i < words; i++) {
		const struct text_token *t = &doc->tokens[i];
		nfunc += (t->flags & TEXT_TOK_FUNCTION) != 0;
		numbers += (t->flags & TEXT_TOK_NUMBER) != 0;
		cur++;
		if (t->flags & TEXT_TOK_SENT_END || i + 1 == words ||
		    (doc->tokens[i + 1].flags & TEXT_TOK_LINE_START)) {
			if (cur > longest_sent)
				longest_sent = cur;
			cur = 0;
			if (++sents == 2 || (sents < 2 && i + 1 == words))
				sent2_end = i;
		}
	}

	/* Relevance: weighted coverage; a strong answer rarely says everything. */
	for (size_t c = 0; c < q->nconcepts; c++) {
		const struct bank_concept *bc = &q->concepts[c];
		if (sc.first[c] != NO_POS) {
			struct scorer_hit *h = &out->covered[out->ncovered++];
			h->concept = bc->name;
			copy_evidence(h->evidence, text, doc->tokens[sc.first[c]].start,
			    doc->tokens[sc.last[c]].end);
			cov += bc->weight;
		} else {
			struct scorer_miss *m = &out->missed[out->nmissed++];
			m->concept = bc->name;
			m->hint = bc->hint;
			m->weight = bc->weight;
		}
	}
	/* heaviest missed concept first, stable by rubric order */
	for (size_t i = 1; i < out->nmissed; i++) {
		struct scorer_miss m = out->missed[i];
		size_t j = i;
		while (j > 0 && out->missed[j - 1].weight < m.weight) {
			out->missed[j] = out->missed[j - 1];
			j--;
		}
		out->missed[j] = m;
	}
	cov = q->total_weight > 0 ? cov / q->total_weight : 0;

	/*
	 * Prose: function words tell sentences from lists, and the share of
	 * content words that are rubric words tells an explanation from
	 * filler around keywords ("It is the index. It is the n+1.").
	 */
	fwf = words ? ramp((double)nfunc / words, 0.10, 0.28) : 0;
	prose = words > nfunc ? minf(fwf, 1.0 - ramp((double)sc.hit_tokens /
	    (double)(words - nfunc), 0.45, 0.8)) : 0;
	/*
	 * Focus: the share of the answer's sentences that use a rubric phrase
	 * of this question. An answer to this question keeps coming back to
	 * it; a good answer to a neighbouring question touches a few of its
	 * concepts in passing. A short answer earns focus only in proportion
	 * to its length, or one on-topic sentence would be all focus.
	 */
	{
		size_t hit = 0;
		double focus;

		for (size_t i = 0; i < nsent; i++)
			hit += s->sent_hit[i];
		focus = nsent ? ramp((double)hit / (double)nsent, FOCUS_LO, FOCUS_HI) : 0;
		if (words < (size_t)q->min_words)
			focus *= (double)words / q->min_words;
		rel = 100.0 * ((1 - FOCUS_WEIGHT) * minf(1.0, cov / 0.8) +
		    FOCUS_WEIGHT * focus) * (0.3 + 0.7 * prose);
	}

	str = score_structure(q, &sc, sent2_end == NO_POS ? 0 : sent2_end, &missing_part);
	if (words < 8)
		str *= (double)words / 8.0;

	/* Clarity: length in range, sentences of readable length, prose. */
	if (words < (size_t)q->min_words)
		lenf = (double)words / q->min_words;
	else if (words <= (size_t)q->max_words)
		lenf = 1.0;
	else
		lenf = 1.0 - 0.5 * minf(1.0, (double)(words - q->max_words) / (2.0 * q->max_words));
	avg_sent = doc->nsentences ? (double)words / doc->nsentences : (double)words;
	sentf = ramp(avg_sent, 3, 8) * (1.0 - 0.6 * ramp((double)longest_sent, 45, 90));
	if (words > 180 && doc->nparagraphs <= 1)
		sentf *= 0.85;	/* a wall of text */
	/* a keyword list is not clear however long its "sentence" */
	cla = 100.0 * (0.35 * lenf + 0.40 * fwf + 0.25 * sentf) * (0.4 + 0.6 * prose);

	/* Impact: numbers, named tools, a stated result, ownership. */
	{
		double nums = minf(1.0, numbers / 3.0);
		double tools = minf(1.0, sc.cue_count[CUE_TOOL] / 2.0);
		double result = sc.cue_count[CUE_RESULT] > 0 ? 1.0 : 0.0;
		if (q->structure == BANK_STRUCT_STAR) {
			size_t nme = count_words(doc, me), nwe = count_words(doc, we);
			double own = nme + nwe ? (double)nme / (double)(nme + nwe) : 0;
			imp = 30 * nums + 15 * tools + 25 * result + 30 * ramp(own, 0.2, 0.6);
		} else {
			double example = sc.cue_count[CUE_EXAMPLE] > 0 ? 1.0 : 0.0;
			imp = 40 * nums + 35 * tools + 25 * (result > example ? result : example);
		}
		imp *= lenf < 1.0 ? lenf : 1.0;
	}

	out->dims[SCORER_RELEVANCE] = clamp100(rel);
	out->dims[SCORER_STRUCTURE] = clamp100(str);
	out->dims[SCORER_CLARITY] = clamp100(cla);
	out->dims[SCORER_IMPACT] = clamp100(imp);
	{
		double others = (out->dims[SCORER_STRUCTURE] + out->dims[SCORER_CLARITY] +
		    out->dims[SCORER_IMPACT]) / 3.0;
		double gate = minf(1.0, out->dims[SCORER_RELEVANCE] / 50.0);
		out->score = clamp100(0.55 * out->dims[SCORER_RELEVANCE] + 0.45 * others * gate);
	}
	out->grade = scorer_grade(out->score);

	/*
	 * The weakest dimension is the one whose shortfall costs the most
	 * points: relevance weighs 0.55, the others 0.15 each. One tip for it.
	 */
	out->weakest = SCORER_RELEVANCE;
	for (int d = 1; d < SCORER_NDIMS; d++)
		if (15 * (100 - out->dims[d]) > (out->weakest == SCORER_RELEVANCE ? 55 : 15) *
		    (100 - out->dims[out->weakest]))
			out->weakest = (enum scorer_dim)d;
	switch (out->weakest) {
	case SCORER_RELEVANCE:
		if (prose < 0.5 && out->ncovered > 0)
			snprintf(out->tip, sizeof(out->tip), "Explain in full sentences how "
			    "the ideas connect: a list of keywords does not show understanding.");
		else if (out->nmissed > 0)
			snprintf(out->tip, sizeof(out->tip), "Answer the question that was "
			    "asked: %s", out->missed[0].hint);
		else
			snprintf(out->tip, sizeof(out->tip), "Tie each point back to the question.");
		break;
	case SCORER_STRUCTURE:
		if (q->structure == BANK_STRUCT_STAR)
			snprintf(out->tip, sizeof(out->tip), "Tell it as a story: situation, "
			    "task, action, result, in that order. Missing: %s.",
			    missing_part ? missing_part : "a clear order");
		else if (q->structure == BANK_STRUCT_STEPS)
			snprintf(out->tip, sizeof(out->tip), "Walk through the design step by "
			    "step, in order. You skipped: %s.", missing_part ? missing_part : "nothing, but the order wandered");
		else
			snprintf(out->tip, sizeof(out->tip), "Lead with a claim, give the "
			    "reason, then a concrete example. Missing: %s.",
			    missing_part ? missing_part : "a clear order");
		break;
	case SCORER_CLARITY:
		if (words < (size_t)q->min_words)
			snprintf(out->tip, sizeof(out->tip), "Say more: %zu words is short "
			    "for this question; aim for %d to %d.", words, q->min_words, q->max_words);
		else if (words > (size_t)q->max_words)
			snprintf(out->tip, sizeof(out->tip), "Tighten it: aim for at most %d "
			    "words and keep the strongest points.", q->max_words);
		else if (fwf < 0.5)
			snprintf(out->tip, sizeof(out->tip), "Write full sentences that "
			    "connect the ideas instead of listing terms.");
		else
			snprintf(out->tip, sizeof(out->tip), "Use shorter sentences and a "
			    "paragraph per idea.");
		break;
	default:
		if (q->structure == BANK_STRUCT_STAR)
			snprintf(out->tip, sizeof(out->tip), "Make it concrete: say what you "
			    "did yourself (\"I\", not only \"we\") and the measurable result "
			    "(\"errors fell 40 %% in two weeks\").");
		else
			snprintf(out->tip, sizeof(out->tip), "Add specifics: numbers with units "
			    "(p95 220 ms, 10k requests/s), the tools you would use, and the "
			    "effect you expect.");
	}
	cut_at_char(out->tip);
	/* an unusually long answer does not keep its memory */
	if (doc->tokcap > SHRINK_TOKENS) {
		text_doc_free(doc);
		text_doc_init(doc);
	}
	return 0;
}

char *
scorer_result_json(const struct scorer_result *r, bool pretty)
{
	json_object *o = json_object_new_object(), *dims, *cov, *mis;
	char *s = NULL;

	if (o == NULL)
		return NULL;
	json_object_object_add(o, "question_id", json_object_new_string(r->question_id));
	json_object_object_add(o, "rubric_version", json_object_new_string(r->rubric_version));
	json_object_object_add(o, "score", json_object_new_int(r->score));
	json_object_object_add(o, "grade", json_object_new_string(r->grade));
	dims = json_object_new_object();
	for (int d = 0; d < SCORER_NDIMS; d++)
		json_object_object_add(dims, scorer_dim_name((enum scorer_dim)d),
		    json_object_new_int(r->dims[d]));
	json_object_object_add(o, "dimensions", dims);
	cov = json_object_new_array();
	for (size_t i = 0; i < r->ncovered; i++) {
		json_object *c = json_object_new_object();
		json_object_object_add(c, "concept", json_object_new_string(r->covered[i].concept));
		json_object_object_add(c, "evidence", json_object_new_string(r->covered[i].evidence));
		json_object_array_add(cov, c);
	}
	json_object_object_add(o, "covered", cov);
	mis = json_object_new_array();
	for (size_t i = 0; i < r->nmissed; i++) {
		json_object *m = json_object_new_object();
		json_object_object_add(m, "concept", json_object_new_string(r->missed[i].concept));
		json_object_object_add(m, "hint", json_object_new_string(r->missed[i].hint));
		json_object_array_add(mis, m);
	}
	json_object_object_add(o, "missed", mis);
	json_object_object_add(o, "tip", json_object_new_string(r->tip));
	{
		const char *t = json_object_to_json_string_ext(o,
		    (pretty ? JSON_C_TO_STRING_PRETTY : JSON_C_TO_STRING_PLAIN) |
		    JSON_C_TO_STRING_NOSLASHESCAPE);
		if (t != NULL)
			s = strdup(t);
	}
	json_object_put(o);
	return s;
}
