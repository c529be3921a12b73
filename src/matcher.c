/*
 * matcher.c - Aho-Corasick over normalised tokens (see matcher.h).
 *
 * Phrase tokens are interned into dense ids in an open-addressing hash
 * table. The trie's edges live in a second open-addressing table
 * keyed by (state, token id), so a state costs no per-alphabet array however
 * many distinct tokens the banks use. matcher_build computes failure links
 * breadth-first, a dictionary-suffix link per state (the nearest proper
 * suffix state that ends a phrase) and lays each state's payloads out
 * contiguously. A scan hashes each document token once: a token no phrase
 * uses sends the automaton back to the root.
 *
 * Report order is deterministic: occurrences come in the order of their last
 * token; for one last token, longer phrases first (the state's own phrases,
 * then those along its dictionary-suffix chain, each strictly shorter); for
 * one phrase, payloads in the order they were added.
 *
 * It does not match partial tokens, skip tokens inside a phrase, remove
 * phrases, or change after matcher_build. matcher_scan writes nothing, so
 * any number of threads may scan one built matcher.
 */
#include "drill/matcher.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define NONE UINT32_MAX
#define ROOT 0u
#define MAX_ITEMS (UINT32_MAX / 4)	/* tokens, states, edges or outputs */

struct mtoken {			/* an interned token */
	uint32_t off;		/* into pool, NUL-terminated */
	uint32_t len;
	uint32_t hash;
};

struct mstate {
	uint32_t fail;		/* longest proper suffix that is a state */
	uint32_t dict;		/* nearest suffix state with outputs, or NONE */
	uint32_t depth;		/* tokens from the root */
	uint32_t tok;		/* token on the edge into this state */
	uint32_t child;		/* first child, for the BFS (NONE: leaf) */
	uint32_t sibling;	/* next child of the same parent */
	uint32_t out;		/* first payload in outs (after build) */
	uint32_t nout;		/* number of payloads ending here */
};

struct islot {			/* id == 0: empty slot */
	uint32_t id;		/* token id + 1 */
	uint32_t hash;		/* its hash, to skip other tokens unread */
};

struct medge {			/* from == NONE: empty slot */
	uint32_t from, tok, to;
};

struct mpending {		/* a payload added, before build */
	uint32_t state, payload;
};

struct matcher {
	char *pool;		/* interned token strings */
	size_t poollen, poolcap;
	struct mtoken *toks;
	uint32_t ntoks, tokcap;
	struct islot *itab;	/* the intern table */
	uint32_t imask;

	struct mstate *states;
	uint32_t nstates, statecap;
	struct medge *etab;
	uint32_t emask, nedges;

	struct mpending *pend;
	uint32_t npend, pendcap;
	uint32_t *outs;		/* payloads grouped by state, after build */

	size_t nphrases;
	bool built;
};

static uint64_t
rd64(const unsigned char *p)
{
	uint64_t x;

	memcpy(&x, p, 8);
	return x;
}

static uint64_t
rd32(const unsigned char *p)
{
	uint32_t x;

	memcpy(&x, p, 4);
	return x;
}

static uint64_t
mix64(uint64_t x)
{
	x ^= x >> 32;
	x *= UINT64_C(0xD6E8FEB86659FD93);
	x ^= x >> 32;
	return x;
}

/*
 * Hashes a token: a few word-sized reads instead of a byte loop (tokens are
 * short, and every document token is hashed once per scan). Reads overlap
 * for lengths that are not multiples of 8, in the manner of wyhash. Host
 * byte order: the value never leaves the process.
 */
static uint32_t
tok_hash(const char *str, size_t n)
{
	const unsigned char *p = (const unsigned char *)str;
	uint64_t h = UINT64_C(0x9E3779B97F4A7C15) * (n + 1), a, b;
	size_t left = n;

	if (n > 16) {
		for (; left > 16; left -= 16, p += 16)
			h = mix64(h ^ rd64(p)) ^ rd64(p + 8);
	}
	if (left >= 8) {
		a = rd64(p);
		b = rd64(p + left - 8);
	} else if (left >= 4) {
		a = rd32(p);
		b = rd32(p + left - 4);
	} else if (left > 0) {
		a = (uint64_t)p[0] << 16 | (uint64_t)p[left >> 1] << 8 | p[left - 1];
		b = 0;
	} else {
		a = b = 0;
	}
	h = mix64(h ^ a ^ (b * UINT64_C(0xC2B2AE3D27D4EB4F)));
	return (uint32_t)h;
}

static uint32_t
edge_slot(uint32_t from, uint32_t tok, uint32_t mask)
{
	uint64_t k = ((uint64_t)from << 32 | tok) * UINT64_C(0x9E3779B97F4A7C15);

	return (uint32_t)(k >> 32) & mask;
}

/*
 * Returns p grown (capacity doubled from min) to hold index need, updating
 * *cap, or p itself when it is big enough; NULL when out of memory (p is
 * then unchanged).
 */
static void *
grow(void *p, uint32_t *cap, uint32_t need, size_t elem, uint32_t min)
{
	uint32_t c = *cap ? *cap : min;
	void *q;

	if (need < *cap)
		return p;
	if (need >= MAX_ITEMS)
		return NULL;
	while (c <= need)
		c *= 2;
	q = realloc(p, (size_t)c * elem);
	if (q == NULL)
		return NULL;
	*cap = c;
	return q;
}

struct matcher *
matcher_new(void)
{
	struct matcher *m = calloc(1, sizeof(*m));

	if (m == NULL)
		return NULL;
	/* The root, and small empty hash tables (capacities are powers of 2). */
	m->states = grow(NULL, &m->statecap, 1, sizeof(*m->states), 64);
	if (m->states == NULL)
		goto fail;
	m->states[ROOT] = (struct mstate){ .fail = ROOT, .dict = NONE,
	    .child = NONE, .sibling = NONE };
	m->nstates = 1;
	m->itab = calloc(64, sizeof(*m->itab));
	m->imask = 63;
	if (m->itab == NULL)
		goto fail;
	m->etab = malloc(64 * sizeof(*m->etab));
	m->emask = 63;
	if (m->etab == NULL)
		goto fail;
	for (uint32_t i = 0; i <= m->emask; i++)
		m->etab[i].from = NONE;
	return m;
fail:
	matcher_free(m);
	return NULL;
}

void
matcher_free(struct matcher *m)
{
	if (m == NULL)
		return;
	free(m->pool);
	free(m->toks);
	free(m->itab);
	free(m->states);
	free(m->etab);
	free(m->pend);
	free(m->outs);
	free(m);
}

/* True when a[0..n) == b[0..n); short tokens without a call. */
static bool
tok_equal(const char *x, const char *y, size_t n)
{
	const unsigned char *a = (const unsigned char *)x;
	const unsigned char *b = (const unsigned char *)y;

	if (n >= 8 && n <= 16)
		return ((rd64(a) ^ rd64(b)) |
		    (rd64(a + n - 8) ^ rd64(b + n - 8))) == 0;
	if (n >= 4 && n < 8)
		return ((rd32(a) ^ rd32(b)) |
		    (rd32(a + n - 4) ^ rd32(b + n - 4))) == 0;
	if (n < 4)
		return n == 0 || (a[0] == b[0] && a[n >> 1] == b[n >> 1] &&
		    a[n - 1] == b[n - 1]);
	return memcmp(a, b, n) == 0;
}

/* The id of token s[0..n) with hash h, or NONE. */
static uint32_t
tok_find(const struct matcher *m, const char *s, size_t n, uint32_t h)
{
	for (uint32_t i = h & m->imask;; i = (i + 1) & m->imask) {
		const struct islot *sl = &m->itab[i];
		const struct mtoken *t;

		if (sl->id == 0)
			return NONE;
		if (sl->hash != h)
			continue;
		t = &m->toks[sl->id - 1];
		if (t->len == n && tok_equal(m->pool + t->off, s, n))
			return sl->id - 1;
	}
}

static int
itab_rehash(struct matcher *m)
{
	uint32_t nmask = m->imask * 2 + 1;
	struct islot *t;

	if (nmask >= MAX_ITEMS)
		return DRILL_ENOMEM;
	t = calloc((size_t)nmask + 1, sizeof(*t));
	if (t == NULL)
		return DRILL_ENOMEM;
	for (uint32_t id = 0; id < m->ntoks; id++) {
		uint32_t h = m->toks[id].hash, i = h & nmask;

		while (t[i].id != 0)
			i = (i + 1) & nmask;
		t[i] = (struct islot){ id + 1, h };
	}
	free(m->itab);
	m->itab = t;
	m->imask = nmask;
	return 0;
}

/* Interns s[0..n); sets *id. 0 or DRILL_ENOMEM. */
static int
tok_intern(struct matcher *m, const char *s, size_t n, uint32_t *id)
{
	uint32_t h = tok_hash(s, n), i;
	struct mtoken *t;
	void *q;

	*id = tok_find(m, s, n, h);
	if (*id != NONE)
		return 0;
	if ((m->ntoks + 1) * 2 > m->imask + 1 && itab_rehash(m) != 0)
		return DRILL_ENOMEM;
	q = grow(m->toks, &m->tokcap, m->ntoks, sizeof(*m->toks), 64);
	if (q == NULL)
		return DRILL_ENOMEM;
	m->toks = q;
	if (m->poolcap - m->poollen < n + 1) {
		size_t cap = m->poolcap ? m->poolcap : 1024;
		char *p;

		while (cap - m->poollen < n + 1)
			cap *= 2;
		if (cap > UINT32_MAX)
			return DRILL_ENOMEM;
		p = realloc(m->pool, cap);
		if (p == NULL)
			return DRILL_ENOMEM;
		m->pool = p;
		m->poolcap = cap;
	}
	t = &m->toks[m->ntoks];
	t->off = (uint32_t)m->poollen;
	t->len = (uint32_t)n;
	t->hash = h;
	memcpy(m->pool + m->poollen, s, n);
	m->pool[m->poollen + n] = '\0';
	m->poollen += n + 1;
	for (i = h & m->imask; m->itab[i].id != 0; i = (i + 1) & m->imask)
		;
	m->itab[i] = (struct islot){ m->ntoks + 1, h };
	*id = m->ntoks++;
	return 0;
}

/* The state reached from `from` over token `tok`, or NONE. */
static uint32_t
edge_find(const struct matcher *m, uint32_t from, uint32_t tok)
{
	for (uint32_t i = edge_slot(from, tok, m->emask);;
	    i = (i + 1) & m->emask) {
		const struct medge *e = &m->etab[i];

		if (e->from == from && e->tok == tok)
			return e->to;
		if (e->from == NONE)
			return NONE;
	}
}

static void
edge_put(struct medge *tab, uint32_t mask, uint32_t from, uint32_t tok,
    uint32_t to)
{
	uint32_t i = edge_slot(from, tok, mask);

	while (tab[i].from != NONE)
		i = (i + 1) & mask;
	tab[i] = (struct medge){ from, tok, to };
}

static int
edge_add(struct matcher *m, uint32_t from, uint32_t tok, uint32_t to)
{
	if ((m->nedges + 1) * 2 > m->emask + 1) {
		uint32_t nmask = m->emask * 2 + 1;
		struct medge *t;

		if (nmask >= MAX_ITEMS)
			return DRILL_ENOMEM;
		t = malloc(((size_t)nmask + 1) * sizeof(*t));
		if (t == NULL)
			return DRILL_ENOMEM;
		for (uint32_t i = 0; i <= nmask; i++)
			t[i].from = NONE;
		for (uint32_t i = 0; i <= m->emask; i++)
			if (m->etab[i].from != NONE)
				edge_put(t, nmask, m->etab[i].from,
				    m->etab[i].tok, m->etab[i].to);
		free(m->etab);
		m->etab = t;
		m->emask = nmask;
	}
	edge_put(m->etab, m->emask, from, tok, to);
	m->nedges++;
	return 0;
}

/*
 * A failed add leaves what it already added (interned tokens, states with
 * no payload): harmless, they match nothing.
 */
int
matcher_add(struct matcher *m, const char *const *tokens, size_t ntokens,
    uint32_t payload)
{
	uint32_t s = ROOT;
	void *q;

	if (m == NULL || tokens == NULL || ntokens == 0 || m->built)
		return DRILL_EINVAL;
	for (size_t i = 0; i < ntokens; i++)
		if (tokens[i] == NULL || tokens[i][0] == '\0' ||
		    strlen(tokens[i]) >= UINT32_MAX / 2)
			return DRILL_EINVAL;
	if (ntokens >= MAX_ITEMS)
		return DRILL_EINVAL;
	for (size_t i = 0; i < ntokens; i++) {
		uint32_t id, next;
		struct mstate *st;

		if (tok_intern(m, tokens[i], strlen(tokens[i]), &id) != 0)
			return DRILL_ENOMEM;
		next = edge_find(m, s, id);
		if (next == NONE) {
			q = grow(m->states, &m->statecap, m->nstates,
			    sizeof(*m->states), 64);
			if (q == NULL)
				return DRILL_ENOMEM;
			m->states = q;
			next = m->nstates;
			if (edge_add(m, s, id, next) != 0)
				return DRILL_ENOMEM;
			st = &m->states[next];
			*st = (struct mstate){ .fail = ROOT, .dict = NONE,
			    .depth = m->states[s].depth + 1, .tok = id,
			    .child = NONE, .sibling = m->states[s].child };
			m->states[s].child = next;
			m->nstates++;
		}
		s = next;
	}
	q = grow(m->pend, &m->pendcap, m->npend, sizeof(*m->pend), 64);
	if (q == NULL)
		return DRILL_ENOMEM;
	m->pend = q;
	m->pend[m->npend++] = (struct mpending){ s, payload };
	m->nphrases++;
	return 0;
}

/*
 * Groups the payloads by state (a counting sort, stable: payloads keep the
 * order they were added in), then computes failure and dictionary-suffix
 * links breadth-first, so a state's links are known before its children's.
 */
int
matcher_build(struct matcher *m)
{
	uint32_t *queue, head = 0, tail = 0;

	if (m == NULL || m->built)
		return DRILL_EINVAL;
	m->outs = malloc(((size_t)m->npend + 1) * sizeof(*m->outs));
	queue = malloc((size_t)m->nstates * sizeof(*queue));
	if (m->outs == NULL || queue == NULL) {
		free(m->outs);
		m->outs = NULL;
		free(queue);
		return DRILL_ENOMEM;
	}
	for (uint32_t i = 0; i < m->nstates; i++)
		m->states[i].nout = 0;
	for (uint32_t i = 0; i < m->npend; i++)
		m->states[m->pend[i].state].nout++;
	for (uint32_t i = 0, off = 0; i < m->nstates; i++) {
		m->states[i].out = off;
		off += m->states[i].nout;
		m->states[i].nout = 0;
	}
	for (uint32_t i = 0; i < m->npend; i++) {
		struct mstate *st = &m->states[m->pend[i].state];

		m->outs[st->out + st->nout++] = m->pend[i].payload;
	}
	free(m->pend);
	m->pend = NULL;
	m->npend = m->pendcap = 0;

	for (uint32_t c = m->states[ROOT].child; c != NONE;
	    c = m->states[c].sibling) {
		m->states[c].fail = ROOT;
		m->states[c].dict = NONE;
		queue[tail++] = c;
	}
	while (head < tail) {
		uint32_t s = queue[head++];

		for (uint32_t c = m->states[s].child; c != NONE;
		    c = m->states[c].sibling) {
			uint32_t f = m->states[s].fail, tok = m->states[c].tok;
			uint32_t next;

			for (;;) {
				next = edge_find(m, f, tok);
				if (next != NONE || f == ROOT)
					break;
				f = m->states[f].fail;
			}
			f = next != NONE ? next : ROOT;
			m->states[c].fail = f;
			m->states[c].dict = m->states[f].nout > 0 ? f :
			    m->states[f].dict;
			queue[tail++] = c;
		}
	}
	free(queue);
	m->built = true;
	return 0;
}

void
matcher_scan(const struct matcher *m, const struct text_doc *doc,
    matcher_cb cb, void *arg)
{
	uint32_t s = ROOT;

	if (m == NULL || !m->built || doc == NULL || cb == NULL)
		return;
	for (size_t i = 0; i < doc->ntokens; i++) {
		const struct text_token *t = &doc->tokens[i];
		uint32_t id = tok_find(m, t->norm, t->len, tok_hash(t->norm, t->len));
		uint32_t next;

		if (id == NONE) {
			s = ROOT;
			continue;
		}
		for (;;) {
			next = edge_find(m, s, id);
			if (next != NONE || s == ROOT)
				break;
			s = m->states[s].fail;
		}
		s = next != NONE ? next : ROOT;
		for (uint32_t o = m->states[s].nout > 0 ? s : m->states[s].dict;
		    o != NONE; o = m->states[o].dict) {
			const struct mstate *st = &m->states[o];

			for (uint32_t j = 0; j < st->nout; j++)
				cb(arg, m->outs[st->out + j],
				    i + 1 - st->depth, i);
		}
	}
}

size_t
matcher_phrase_count(const struct matcher *m)
{
	return m != NULL ? m->nphrases : 0;
}

size_t
matcher_state_count(const struct matcher *m)
{
	return m != NULL ? m->nstates : 0;
}
