/*
 * text.h - text normalisation: UTF-8 validation, tokenisation, Unicode case
 * folding and light English stemming.
 *
 * Answers and rubric phrases go through the same tokeniser, so that a phrase
 * matches an answer when their normalised token sequences are equal:
 *
 *  - Case is folded (ASCII fast path; Unicode folding with utf8proc only for
 *    non-ASCII words; combining marks are stripped so "café" = "cafe").
 *  - A token is a run of letters and digits, plus the punctuation that matters
 *    inside technical terms: '+' and '#' ("n+1", "c++", "c#"), and '.' or ','
 *    between two digits ("99.9", "10,000" which normalises to "10000"). Every
 *    other character separates tokens, so hyphen and space variants are equal:
 *    "x-slack-signature" and "x slack signature" are the same three tokens.
 *  - Each token is stemmed lightly (index, indexes, indexing, indexed ->
 *    "index"; cache, caches, caching -> "cach"); tokens holding a digit, '+'
 *    or '#' and tokens of three bytes or fewer are not stemmed.
 *  - Bytes that are not valid UTF-8 are separators: tokenising never fails on
 *    bad input, it just does not match it.
 *
 * A struct text_doc owns its buffers and is reused across calls without
 * reallocating once it has grown: the scorer's hot path allocates nothing.
 */
#ifndef DRILL_TEXT_H
#define DRILL_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "drill/common.h"

enum text_token_flags {
	TEXT_TOK_NUMBER = 1u << 0,	/* holds a digit ("220", "p95", "10k") */
	TEXT_TOK_FUNCTION = 1u << 1,	/* an English function word (the, is, of, we, because, ...) */
	TEXT_TOK_SENT_END = 1u << 2,	/* followed by '.', '!', '?' or ';' ending a sentence */
	TEXT_TOK_LINE_START = 1u << 3,	/* first token on its line */
	TEXT_TOK_CAPITAL = 1u << 4,	/* started with an upper-case letter in the original */
	TEXT_TOK_PARA_START = 1u << 5	/* first token after a blank line (or of the text) */
};

struct text_token {
	const char *norm;	/* normalised form, NUL-terminated; owned by the doc */
	uint32_t len;		/* strlen(norm) */
	uint32_t flags;		/* TEXT_TOK_* */
	size_t start, end;	/* byte range [start, end) in the original text */
};

struct text_doc {
	struct text_token *tokens;
	size_t ntokens;
	size_t nsentences;	/* sentences, counting a last unterminated one */
	size_t nlines;		/* non-empty lines */
	size_t nparagraphs;	/* runs of non-empty lines */
	/* private: growable buffers reused across text_tokenize calls */
	size_t tokcap;
	char *arena;
	size_t arenalen, arenacap;
};

/* Initialises an empty doc. text_doc_free releases it; free(NULL)-safe. */
void text_doc_init(struct text_doc *doc);
void text_doc_free(struct text_doc *doc);

/*
 * Tokenises s[0..len) into doc, replacing what doc held. The original text is
 * not copied; token offsets refer to it. Returns 0 or DRILL_ENOMEM.
 */
int text_tokenize(struct text_doc *doc, const char *s, size_t len) DRILL_WUR;

/* Returns true when s[0..len) is valid UTF-8 (no overlongs, no surrogates). */
bool text_utf8_valid(const char *s, size_t len);

/*
 * Normalises a single word the way text_tokenize does (fold + stem) into out
 * (outsz bytes, NUL-terminated). Returns the length, or 0 if the word has no
 * token characters or does not fit.
 */
size_t text_normalize_word(const char *word, size_t len, char *out, size_t outsz);

/* Length (1..4) of the valid UTF-8 sequence at s[0..n), or 0 when invalid. */
size_t text_utf8_seqlen(const char *s, size_t n);

/*
 * True when s[0..len) holds only white space: ASCII, and the common Unicode
 * spaces (no-break, en/em spaces, ideographic space, byte order mark).
 */
bool text_is_blank(const char *s, size_t len);

/* Returns the number of Unicode code points in a valid UTF-8 string. */
size_t text_utf8_len(const char *s, size_t len);

#endif
