/* Tests for text.c: UTF-8, tokens, folding, stemming, flags and limits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "drill/text.h"

/* Tokenises s and returns its norms joined by single spaces (static buffer). */
static const char *
norms(struct text_doc *doc, const char *s)
{
	static char buf[8192];
	size_t o = 0;

	assert_int_equal(text_tokenize(doc, s, strlen(s)), 0);
	buf[0] = '\0';
	for (size_t i = 0; i < doc->ntokens; i++) {
		const struct text_token *t = &doc->tokens[i];

		assert_int_equal(strlen(t->norm), t->len);
		assert_true(o + t->len + 2 < sizeof(buf));
		if (i > 0)
			buf[o++] = ' ';
		memcpy(buf + o, t->norm, t->len);
		o += t->len;
		buf[o] = '\0';
	}
	return buf;
}

/* text_normalize_word into a static buffer; "" when it returns 0. */
static const char *
norm1(const char *w)
{
	static char buf[128];
	size_t n = text_normalize_word(w, strlen(w), buf, sizeof(buf));

	if (n == 0)
		return "";
	assert_int_equal(strlen(buf), n);
	return buf;
}

static void
same(const char *a, const char *b)
{
	char x[128];

	snprintf(x, sizeof(x), "%s", norm1(a));
	assert_string_not_equal(x, "");
	assert_string_equal(x, norm1(b));
}

static void
test_ascii_tokens(void **state)
{
	struct text_doc d;

	(void)state;
	text_doc_init(&d);
	assert_string_equal(norms(&d, "Hello, WORLD"), "hello world");
	assert_string_equal(norms(&d, "  tabs\tand\r\nnewlines  "),
	    "tab and newlin");
	assert_string_equal(norms(&d, "(quoted) [brackets] {x} <y> \"z\""),
	    "quot bracket x y z");
	assert_string_equal(norms(&d, "under_score a/b a\\b"), "under scor a b a b");
	assert_string_equal(norms(&d, ""), "");
	assert_int_equal(d.ntokens, 0);
	assert_string_equal(norms(&d, " \t\n.,;!?-- "), "");
	assert_int_equal(d.nsentences, 0);
	assert_int_equal(d.nlines, 0);
	assert_int_equal(d.nparagraphs, 0);
	text_doc_free(&d);
}

static void
test_offsets(void **state)
{
	struct text_doc d;
	const char *s = "  Rate-limit: 10,000 rps!";

	(void)state;
	text_doc_init(&d);
	assert_string_equal(norms(&d, s), "rat limit 10000 rps");
	assert_int_equal(d.tokens[0].start, 2);
	assert_int_equal(d.tokens[0].end, 6);
	assert_int_equal(d.tokens[1].start, 7);
	assert_int_equal(d.tokens[1].end, 12);
	assert_int_equal(d.tokens[2].start, 14);
	assert_int_equal(d.tokens[2].end, 20);
	assert_int_equal(d.tokens[3].start, 21);
	assert_int_equal(d.tokens[3].end, 24);
	text_doc_free(&d);
}

static void
test_unicode_folding(void **state)
{
	struct text_doc d;

	(void)state;
	same("café", "cafe");
	same("CAFÉ", "cafe");
	same("cafe\xcc\x81", "café");		/* combining acute */
	same("ÉCOLE", "ecole");
	same("École", "ecole");
	same("Straße", "strasse");
	same("STRASSE", "straße");
	same("ẞ", "ss");			/* capital sharp s */
	same("İSTANBUL", "istanbul");		/* Turkish dotted capital I */
	same("ΟΔΟΣ", "οδός");			/* Greek, final sigma, tonos */
	same("ΣΟΦΊΑ", "σοφια");
	same("ﬁle", "file");			/* ligature */
	same("Ñandú", "nandu");
	same("Ünïcödé", "unicode");
	text_doc_init(&d);
	assert_string_equal(norms(&d, "naïve Ærø"), "naiv ærø");
	/* CJK: no segmentation, a run of ideographs is one token */
	assert_string_equal(norms(&d, "日本語 テスト"), "日本語 テスト");
	/* non-ASCII punctuation and spaces separate */
	assert_string_equal(norms(&d, "a\xc2\xa0" "b\xe2\x80\x94" "c\xe2\x80\x99" "d"),
	    "a b c d");
	/* non-ASCII digits are digits */
	assert_int_equal(text_tokenize(&d, "٣٤", strlen("٣٤")), 0);
	assert_int_equal(d.ntokens, 1);
	assert_true(d.tokens[0].flags & TEXT_TOK_NUMBER);
	text_doc_free(&d);
}

static void
test_stemming(void **state)
{
	static const char *const groups[][5] = {
		{"index", "indexes", "indexing", "indexed", "Index"},
		{"cache", "caches", "caching", "cached", "CACHE"},
		{"queue", "queues", "queuing", "queued", "queueing"},
		{"strategy", "strategies", "Strategy", NULL, NULL},
		{"replica", "replicas", NULL, NULL, NULL},
		{"database", "databases", NULL, NULL, NULL},
		{"service", "services", NULL, NULL, NULL},
		{"shard", "shards", "sharding", "sharded", NULL},
		{"run", "running", "runs", NULL, NULL},
		{"map", "mapped", "mapping", "maps", NULL},
		{"retry", "retries", "retried", "retrying", NULL},
		{"process", "processes", "processing", "processed", NULL},
		{"agree", "agreed", "agreeing", "agrees", NULL},
		{"setting", "settings", "set", NULL, NULL},
		{"commit", "commits", "committed", "committing", NULL},
		{"partition", "partitions", "partitioning", "partitioned", NULL},
		{"scale", "scales", "scaling", "scaled", NULL},
		{"rate", "rates", "rated", "rating", NULL},
	};

	(void)state;
	for (size_t g = 0; g < sizeof(groups) / sizeof(groups[0]); g++)
		for (size_t i = 1; i < 5 && groups[g][i] != NULL; i++)
			same(groups[g][0], groups[g][i]);
	assert_string_equal(norm1("indexing"), "index");
	assert_string_equal(norm1("caching"), "cach");
	assert_string_equal(norm1("queued"), "queu");
	assert_string_equal(norm1("strategies"), "strategy");
	assert_string_equal(norm1("databases"), "databas");
	assert_string_equal(norm1("services"), "servic");
	assert_string_equal(norm1("sharded"), "shard");
	assert_string_equal(norm1("replicas"), "replica");
	assert_string_equal(norm1("running"), "run");
	assert_string_equal(norm1("mapped"), "map");
	/* no 's' stripped after s, u, i */
	assert_string_equal(norm1("class"), "class");
	assert_string_equal(norm1("status"), "status");
	assert_string_equal(norm1("analysis"), "analysis");
	assert_string_equal(norm1("redis"), "redis");
	/* -ing/-ed only when a vowel is left; never below 3 bytes */
	assert_string_equal(norm1("string"), "string");
	assert_string_equal(norm1("thing"), "thing");
	assert_string_equal(norm1("need"), "need");
	assert_string_equal(norm1("uses"), "use");
	assert_string_equal(norm1("falling"), "fall");	/* l is not undoubled */
	assert_string_equal(norm1("passed"), "pass");
	/* three bytes or fewer: untouched */
	assert_string_equal(norm1("use"), "use");
	assert_string_equal(norm1("bus"), "bus");
	assert_string_equal(norm1("ids"), "ids");
	assert_string_equal(norm1("the"), "the");
	/* digits, '+' and '#' are not stemmed */
	assert_string_equal(norm1("p99s"), "p99s");
	assert_string_equal(norm1("cores+"), "cores+");
}

static void
test_technical_terms(void **state)
{
	struct text_doc d;

	(void)state;
	text_doc_init(&d);
	assert_string_equal(norms(&d, "N+1 queries, n+1"), "n+1 query n+1");
	assert_string_equal(norms(&d, "C++ and C# (c++17)"), "c++ and c# c++17");
	assert_string_equal(norms(&d, "a + b ++ # #tag"), "a b tag");
	assert_string_equal(norms(&d, "p99 p95 2PC OAuth2 S3 k8s"),
	    "p99 p95 2pc oauth2 s3 k8s");
	assert_string_equal(norms(&d, "X-Slack-Signature"), "x slack signatur");
	assert_string_equal(norms(&d, "x slack signature"), "x slack signatur");
	assert_string_equal(norms(&d, "rate-limiting"), "rat limit");
	assert_string_equal(norms(&d, "rate limiting"), "rat limit");
	assert_string_equal(norms(&d, "node.js e.g. file.txt"), "nod js e g fil txt");
	assert_string_equal(norms(&d, "don't"), "don t");
	text_doc_free(&d);
}

static void
test_numbers(void **state)
{
	struct text_doc d;

	(void)state;
	text_doc_init(&d);
	assert_string_equal(norms(&d, "99.9% of 10,000 requests"),
	    "99.9 of 10000 request");
	assert_true(d.tokens[0].flags & TEXT_TOK_NUMBER);
	assert_true(d.tokens[2].flags & TEXT_TOK_NUMBER);
	assert_false(d.tokens[3].flags & TEXT_TOK_NUMBER);
	assert_string_equal(norms(&d, "1,000,000 and 1,2 and 1,0000"),
	    "1000000 and 1 2 and 1 0000");
	assert_string_equal(norms(&d, "v1.2.3 192.168.0.1 3.14."),
	    "v1.2.3 192.168.0.1 3.14");
	assert_int_equal(d.nsentences, 1);
	assert_true(d.tokens[2].flags & TEXT_TOK_SENT_END);
	assert_string_equal(norms(&d, "220ms 40 % 10k rpm, $5.50"),
	    "220ms 40 10k rpm 5.50");
	assert_true(d.tokens[0].flags & TEXT_TOK_NUMBER);
	assert_true(d.tokens[2].flags & TEXT_TOK_NUMBER);
	assert_false(d.tokens[3].flags & TEXT_TOK_NUMBER);
	/* a '.' or ',' not between digits separates */
	assert_string_equal(norms(&d, "1. 2, 3.a a.1 .5"), "1 2 3 a a 1 5");
	text_doc_free(&d);
}

static void
test_function_words(void **state)
{
	static const char *const fw[] = {
		"a", "about", "above", "after", "again", "against", "all",
		"also", "although", "am", "among", "an", "and", "another",
		"any", "are", "aren", "around", "as", "at", "be", "because",
		"been", "before", "being", "below", "between", "both", "but",
		"by", "can", "could", "couldn", "d", "did", "didn", "do",
		"does", "doesn", "doing", "don", "down", "during", "each",
		"either", "else", "every", "few", "for", "from", "had",
		"hadn", "has", "hasn", "have", "haven", "having", "he", "her",
		"here", "hers", "herself", "him", "himself", "his", "how",
		"i", "if", "in", "into", "is", "isn", "it", "its", "itself",
		"just", "ll", "m", "may", "me", "might", "mine", "more",
		"most", "much", "must", "my", "myself", "neither", "no",
		"nor", "not", "of", "off", "on", "once", "only", "onto", "or",
		"other", "our", "ours", "ourselves", "out", "over", "own",
		"per", "re", "s", "same", "shall", "she", "should",
		"shouldn", "since", "so", "some", "such", "t", "than", "that",
		"the", "their", "theirs", "them", "themselves", "then",
		"there", "these", "they", "this", "those", "though",
		"through", "to", "too", "toward", "towards", "under",
		"unless", "until", "up", "upon", "us", "ve", "very", "via",
		"was", "wasn", "we", "were", "weren", "what", "when", "where",
		"whether", "which", "while", "who", "whom", "whose", "why",
		"will", "with", "within", "without", "would", "wouldn", "yet",
		"you", "your", "yours", "yourself", "yourselves"
	};
	static const char *const content[] = {
		"index", "cache", "latency", "shard", "thee", "whe", "abo",
		"yourselve", "yourselvess", "ourselve", "thes", "x", "ab",
		"database", "p99", "c++", "the1", "withinx", "yourselvesx"
	};
	struct text_doc d;
	char buf[64];

	(void)state;
	text_doc_init(&d);
	for (size_t i = 0; i < sizeof(fw) / sizeof(fw[0]); i++) {
		assert_int_equal(text_tokenize(&d, fw[i], strlen(fw[i])), 0);
		assert_int_equal(d.ntokens, 1);
		if (!(d.tokens[0].flags & TEXT_TOK_FUNCTION))
			fail_msg("'%s' is not a function word", fw[i]);
		/* also upper-case, and not at the end of the text */
		snprintf(buf, sizeof(buf), "%s more", fw[i]);
		for (char *p = buf; *p != ' '; p++)
			*p = (char)(*p - 'a' + 'A');
		assert_int_equal(text_tokenize(&d, buf, strlen(buf)), 0);
		assert_true(d.tokens[0].flags & TEXT_TOK_FUNCTION);
		assert_true(d.tokens[0].flags & TEXT_TOK_CAPITAL);
	}
	for (size_t i = 0; i < sizeof(content) / sizeof(content[0]); i++) {
		assert_int_equal(text_tokenize(&d, content[i],
		    strlen(content[i])), 0);
		assert_int_equal(d.ntokens, 1);
		if (d.tokens[0].flags & TEXT_TOK_FUNCTION)
			fail_msg("'%s' is a function word", content[i]);
	}
	/* checked on the folded word before stemming; "İS" folds to "is" */
	assert_int_equal(text_tokenize(&d, "İS Being", strlen("İS Being")), 0);
	assert_true(d.tokens[0].flags & TEXT_TOK_FUNCTION);
	assert_true(d.tokens[1].flags & TEXT_TOK_FUNCTION);
	text_doc_free(&d);
}

static void
test_flags_and_counts(void **state)
{
	struct text_doc d;
	const char *s =
	    "First, I measured p95. Then we added an index!\n"
	    "Was it enough? No; e.g. the node.js cache\n"
	    "\n"
	    "  \n"
	    "Result: 40% faster\n"
	    "---\n"
	    "done";

	(void)state;
	text_doc_init(&d);
	assert_string_equal(norms(&d, s),
	    "first i measur p95 then we add an index "
	    "was it enough no e g the nod js cach "
	    "result 40 faster "
	    "don");
	/* sentence ends: "p95." "index!" "enough?" "No;" and "done" (open) */
	assert_true(d.tokens[3].flags & TEXT_TOK_SENT_END);	/* p95 */
	assert_true(d.tokens[8].flags & TEXT_TOK_SENT_END);	/* index */
	assert_true(d.tokens[11].flags & TEXT_TOK_SENT_END);	/* enough */
	assert_true(d.tokens[12].flags & TEXT_TOK_SENT_END);	/* no */
	assert_false(d.tokens[13].flags & TEXT_TOK_SENT_END);	/* e (e.g.) */
	assert_false(d.tokens[14].flags & TEXT_TOK_SENT_END);	/* g (e.g.) */
	assert_false(d.tokens[16].flags & TEXT_TOK_SENT_END);	/* node.js */
	assert_false(d.tokens[18].flags & TEXT_TOK_SENT_END);	/* cache */
	assert_int_equal(d.nsentences, 5);
	/* lines: 4 with tokens ("---" holds none) */
	assert_true(d.tokens[0].flags & TEXT_TOK_LINE_START);
	assert_true(d.tokens[9].flags & TEXT_TOK_LINE_START);
	assert_true(d.tokens[19].flags & TEXT_TOK_LINE_START);
	assert_true(d.tokens[22].flags & TEXT_TOK_LINE_START);
	assert_false(d.tokens[1].flags & TEXT_TOK_LINE_START);
	assert_int_equal(d.nlines, 4);
	/* paragraphs: the text's start, after the blank lines, after "---" */
	assert_true(d.tokens[0].flags & TEXT_TOK_PARA_START);
	assert_false(d.tokens[9].flags & TEXT_TOK_PARA_START);
	assert_true(d.tokens[19].flags & TEXT_TOK_PARA_START);
	assert_true(d.tokens[22].flags & TEXT_TOK_PARA_START);
	assert_int_equal(d.nparagraphs, 3);
	/* capitals and function words */
	assert_true(d.tokens[0].flags & TEXT_TOK_CAPITAL);
	assert_true(d.tokens[1].flags & TEXT_TOK_CAPITAL);
	assert_false(d.tokens[2].flags & TEXT_TOK_CAPITAL);
	assert_true(d.tokens[1].flags & TEXT_TOK_FUNCTION);	/* i */
	assert_false(d.tokens[2].flags & TEXT_TOK_FUNCTION);	/* measured */
	assert_true(d.tokens[5].flags & TEXT_TOK_FUNCTION);	/* we */
	assert_true(d.tokens[3].flags & TEXT_TOK_NUMBER);
	assert_false(d.tokens[3].flags & TEXT_TOK_FUNCTION);

	/* one sentence, no terminator; several terminators count once */
	assert_string_equal(norms(&d, "just words"), "just word");
	assert_int_equal(d.nsentences, 1);
	assert_int_equal(d.nlines, 1);
	assert_int_equal(d.nparagraphs, 1);
	assert_string_equal(norms(&d, "What?!... Really!!"), "what really");
	assert_int_equal(d.nsentences, 2);
	/* U+2028 and U+2029 end lines; '\r' alone does not */
	assert_string_equal(norms(&d,
	    "a\xe2\x80\xa8" "b\xe2\x80\xa9\xe2\x80\xa9" "c\rd"), "a b c d");
	assert_int_equal(d.nlines, 3);
	assert_int_equal(d.nparagraphs, 2);
	text_doc_free(&d);
}

static void
test_utf8_validation(void **state)
{
	static const char *const bad[] = {
		"\xc0\xaf",			/* overlong '/' */
		"\xc1\xbf",			/* overlong */
		"\xe0\x80\xaf",			/* overlong, 3 bytes */
		"\xf0\x80\x80\xaf",		/* overlong, 4 bytes */
		"\xed\xa0\x80",			/* surrogate U+D800 */
		"\xed\xbf\xbf",			/* surrogate U+DFFF */
		"\xf4\x90\x80\x80",		/* U+110000 */
		"\xf5\x80\x80\x80",
		"\xff", "\xfe", "\x80", "\xbf",	/* never valid / lone continuation */
		"\xe2\x82",			/* truncated */
		"\xc3",
		"\xf0\x9f\x98",
		"a\xe2\x82z",
	};
	static const char *const good[] = {
		"", "ascii", "caf\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80",
		"\xed\x9f\xbf", "\xee\x80\x80", "\xf4\x8f\xbf\xbf", "\xef\xbf\xbf",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (text_utf8_valid(bad[i], strlen(bad[i])))
			fail_msg("bad[%zu] accepted", i);
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (!text_utf8_valid(good[i], strlen(good[i])))
			fail_msg("good[%zu] rejected", i);
	assert_true(text_utf8_valid("a\0b", 3));
	assert_true(text_utf8_valid(NULL, 0));
	assert_int_equal(text_utf8_len("", 0), 0);
	assert_int_equal(text_utf8_len("abc", 3), 3);
	assert_int_equal(text_utf8_len("caf\xc3\xa9", 5), 4);
	assert_int_equal(text_utf8_len("\xf0\x9f\x98\x80!", 5), 2);
	assert_int_equal(text_utf8_len("日本語", strlen("日本語")), 3);
}

static void
test_invalid_utf8_tokens(void **state)
{
	struct text_doc d;
	const char s[] = "abc\xff" "def \xc0\xaf" "ghi\xed\xa0\x80jkl \xe2\x82mno "
	    "caf\xc3 \xf4\x90\x80\x80pqr \xe0\x80\xafstu\x80vw\xf0\x9f\x98";

	(void)state;
	text_doc_init(&d);
	assert_int_equal(text_tokenize(&d, s, sizeof(s) - 1), 0);
	assert_string_equal(norms(&d, s),
	    "abc def ghi jkl mno caf pqr stu vw");
	for (size_t i = 0; i < d.ntokens; i++)
		assert_true(text_utf8_valid(d.tokens[i].norm, d.tokens[i].len));
	/* a NUL byte separates too */
	assert_int_equal(text_tokenize(&d, "ab\0cd", 5), 0);
	assert_int_equal(d.ntokens, 2);
	assert_int_equal(d.tokens[1].start, 3);
	/* every byte value, in every position: no crash, valid norms */
	{
		unsigned char all[3 * 256];

		for (int i = 0; i < 256; i++) {
			all[3 * i] = (unsigned char)i;
			all[3 * i + 1] = 'a';
			all[3 * i + 2] = (unsigned char)(255 - i);
		}
		assert_int_equal(text_tokenize(&d, (const char *)all,
		    sizeof(all)), 0);
		for (size_t i = 0; i < d.ntokens; i++)
			assert_true(text_utf8_valid(d.tokens[i].norm,
			    d.tokens[i].len));
	}
	text_doc_free(&d);
}

static void
test_token_cap(void **state)
{
	struct text_doc d;
	char s[400], w[200];

	(void)state;
	text_doc_init(&d);
	/* a 100-letter word: cut to 64 bytes, not stemmed, one token */
	memset(w, 'x', 99);
	w[99] = 's';
	w[100] = '\0';
	snprintf(s, sizeof(s), "A %s b", w);
	assert_int_equal(text_tokenize(&d, s, strlen(s)), 0);
	assert_int_equal(d.ntokens, 3);
	assert_int_equal(d.tokens[1].len, 64);
	assert_memory_equal(d.tokens[1].norm, w, 64);
	assert_int_equal(d.tokens[1].start, 2);
	assert_int_equal(d.tokens[1].end, 102);
	assert_string_equal(d.tokens[2].norm, "b");
	/* 60 letters, then 'é's: cut on a code point boundary */
	memset(s, 'y', 60);
	for (int i = 0; i < 20; i++)
		memcpy(s + 60 + 2 * i, "\xc3\xa9", 2);
	s[100] = '\0';
	assert_int_equal(text_tokenize(&d, s, 100), 0);
	assert_int_equal(d.ntokens, 1);
	assert_int_equal(d.tokens[0].len, 64);
	assert_true(text_utf8_valid(d.tokens[0].norm, d.tokens[0].len));
	assert_int_equal(d.tokens[0].end, 100);
	/* runs around the source limit (256 bytes kept for folding) */
	for (size_t n = 250; n <= 270; n++) {
		char *r = malloc(n + 3);

		assert_non_null(r);
		memset(r, 'Q', n);
		memcpy(r + n, " b", 3);
		assert_int_equal(text_tokenize(&d, r, n + 2), 0);
		assert_int_equal(d.ntokens, 2);
		assert_int_equal(d.tokens[0].len, 64);
		assert_int_equal(d.tokens[0].end, n);
		assert_true(d.tokens[0].flags & TEXT_TOK_CAPITAL);
		assert_string_equal(d.tokens[1].norm, "b");
		free(r);
	}
	/* text_normalize_word agrees, and fails when out is too small */
	assert_int_equal(text_normalize_word(w, 100, s, sizeof(s)), 64);
	assert_int_equal(text_normalize_word(w, 100, s, 64), 0);
	assert_int_equal(text_normalize_word(w, 100, s, 65), 64);
	text_doc_free(&d);
}

static void
test_normalize_word(void **state)
{
	char out[16];

	(void)state;
	assert_string_equal(norm1("Indexing"), "index");
	assert_string_equal(norm1("  --Caching, more"), "cach");
	assert_string_equal(norm1("N+1"), "n+1");
	assert_string_equal(norm1("10,000"), "10000");
	assert_string_equal(norm1(""), "");
	assert_string_equal(norm1("--- ..."), "");
	assert_string_equal(norm1("\xff\xfe"), "");
	assert_int_equal(text_normalize_word("abc", 3, out, 3), 0);
	assert_int_equal(text_normalize_word("abc", 3, out, 4), 3);
	assert_string_equal(out, "abc");
	assert_int_equal(text_normalize_word("abc", 3, NULL, 4), 0);
	assert_int_equal(text_normalize_word(NULL, 3, out, 4), 0);
	assert_int_equal(text_normalize_word("abcdef", 2, out, sizeof(out)), 2);
	assert_string_equal(out, "ab");
}

/* Every token's norm equals text_normalize_word of its source range. */
static void
check_consistent(const struct text_doc *d, const char *s)
{
	char buf[128];

	for (size_t i = 0; i < d->ntokens; i++) {
		const struct text_token *t = &d->tokens[i];
		size_t n = text_normalize_word(s + t->start, t->end - t->start,
		    buf, sizeof(buf));

		assert_int_equal(n, t->len);
		assert_memory_equal(buf, t->norm, n + 1);
	}
}

static void
test_big_inputs(void **state)
{
	const size_t len = 1u << 20;
	struct text_doc d;
	char *s = malloc(len + 1);
	size_t o;

	(void)state;
	assert_non_null(s);
	text_doc_init(&d);
	/* spaced words: many tokens, the arena and token array grow */
	for (o = 0; o + 16 < len;)
		o += (size_t)snprintf(s + o, 17, "Word%zu caches. ", o % 1000);
	s[o] = '\0';
	assert_int_equal(text_tokenize(&d, s, o), 0);
	assert_true(d.ntokens > 100000);
	assert_int_equal(d.ntokens % 2, 0);
	assert_string_equal(d.tokens[1].norm, "cach");
	assert_int_equal(d.nsentences, d.ntokens / 2);
	check_consistent(&d, s);
	/* one run without spaces: one token */
	memset(s, 'a', len);
	assert_int_equal(text_tokenize(&d, s, len), 0);
	assert_int_equal(d.ntokens, 1);
	assert_int_equal(d.tokens[0].len, 64);
	assert_int_equal(d.tokens[0].end, len);
	/* one run of 'é' */
	for (o = 0; o + 2 <= len; o += 2)
		memcpy(s + o, "\xc3\xa9", 2);
	assert_int_equal(text_tokenize(&d, s, o), 0);
	assert_int_equal(d.ntokens, 1);
	assert_true(d.tokens[0].len <= 64);
	assert_true(text_utf8_valid(d.tokens[0].norm, d.tokens[0].len));
	/* one run of combining marks after a letter: folds to that letter */
	s[0] = 'e';
	for (o = 1; o + 2 <= len; o += 2)
		memcpy(s + o, "\xcc\x81", 2);
	assert_int_equal(text_tokenize(&d, s, o), 0);
	assert_int_equal(d.ntokens, 1);
	assert_string_equal(d.tokens[0].norm, "e");
	/* digits with separators */
	for (o = 0; o + 4 <= len; o += 4)
		memcpy(s + o, "1,00", 4);
	assert_int_equal(text_tokenize(&d, s, o), 0);
	assert_true(d.ntokens > 0);
	/* junk bytes */
	for (o = 0; o < len; o++)
		s[o] = (char)(0x80 | (o * 7 % 128));
	assert_int_equal(text_tokenize(&d, s, len), 0);
	for (size_t i = 0; i < d.ntokens; i++)
		assert_true(text_utf8_valid(d.tokens[i].norm, d.tokens[i].len));
	text_doc_free(&d);
	free(s);
}

static void
test_doc_reuse(void **state)
{
	struct text_doc d;
	char *big;
	size_t len = 200000;

	(void)state;
	text_doc_init(&d);
	text_doc_free(&d);
	text_doc_free(&d);
	text_doc_free(NULL);
	text_doc_init(&d);
	assert_string_equal(norms(&d, "first text there"), "first text ther");
	assert_int_equal(d.ntokens, 3);
	big = malloc(len);
	assert_non_null(big);
	for (size_t i = 0; i < len; i++)
		big[i] = (char)("ab cd. Ef\n\n"[i % 11]);
	for (int round = 0; round < 3; round++) {
		assert_int_equal(text_tokenize(&d, big, len), 0);
		check_consistent(&d, big);
		assert_string_equal(norms(&d, "small again."), "small again");
		assert_int_equal(d.nsentences, 1);
		assert_int_equal(d.nlines, 1);
		assert_int_equal(d.nparagraphs, 1);
		assert_int_equal(text_tokenize(&d, "", 0), 0);
		assert_int_equal(d.ntokens, 0);
		assert_int_equal(d.nsentences, 0);
		assert_int_equal(text_tokenize(&d, NULL, 0), 0);
		assert_int_equal(d.ntokens, 0);
	}
	free(big);
	/* folding makes these norms longer than their source ("\u0149" is
	 * "\u02bcn"), so the arena moves while tokenising */
	big = malloc(3 * 20000 + 1);
	assert_non_null(big);
	for (size_t i = 0; i < 20000; i++)
		memcpy(big + 3 * i, "\xc5\x89 ", 3);
	text_doc_free(&d);	/* a fresh doc: its arena is sized to the text */
	assert_int_equal(text_tokenize(&d, big, 3 * 20000), 0);
	assert_int_equal(d.ntokens, 20000);
	check_consistent(&d, big);
	for (size_t i = 0; i < d.ntokens; i++)
		assert_string_equal(d.tokens[i].norm, "\xca\xbcn");
	free(big);
	text_doc_free(&d);
	assert_null(d.tokens);
	assert_int_equal(d.ntokens, 0);
}

/* Short texts built from a small alphabet, against text_normalize_word. */
static void
test_random_consistency(void **state)
{
	static const char *const bits[] = {
		"a", "B", "1", "9", ".", ",", "+", "#", " ", "\n", "-", "é",
		"\xcc\x81", "\xff", "ing", "ed", "s", "!", "İ", "ß", "000",
	};
	const size_t nbits = sizeof(bits) / sizeof(bits[0]);
	struct text_doc d;
	char s[256];
	unsigned seed = 12345;

	(void)state;
	text_doc_init(&d);
	for (int round = 0; round < 20000; round++) {
		size_t o = 0;

		while (o < 200) {
			const char *b;

			seed = seed * 1103515245u + 12345u;
			b = bits[(seed >> 16) % nbits];
			memcpy(s + o, b, strlen(b));
			o += strlen(b);
		}
		assert_int_equal(text_tokenize(&d, s, o), 0);
		check_consistent(&d, s);
		for (size_t i = 0; i < d.ntokens; i++) {
			assert_true(d.tokens[i].len > 0);
			assert_true(d.tokens[i].end <= o);
			assert_true(i == 0 ||
			    d.tokens[i].start >= d.tokens[i - 1].end);
		}
	}
	text_doc_free(&d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ascii_tokens),
		cmocka_unit_test(test_offsets),
		cmocka_unit_test(test_unicode_folding),
		cmocka_unit_test(test_stemming),
		cmocka_unit_test(test_technical_terms),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_function_words),
		cmocka_unit_test(test_flags_and_counts),
		cmocka_unit_test(test_utf8_validation),
		cmocka_unit_test(test_invalid_utf8_tokens),
		cmocka_unit_test(test_token_cap),
		cmocka_unit_test(test_normalize_word),
		cmocka_unit_test(test_big_inputs),
		cmocka_unit_test(test_doc_reuse),
		cmocka_unit_test(test_random_consistency),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
