/*
 * text.c - UTF-8 validation, tokenisation, case folding and light stemming
 * (the rules are in text.h and, in detail, above each helper below).
 *
 * The tokeniser is one pass over the bytes: ASCII goes through a class table
 * and is lower-cased in place, so an all-ASCII answer never calls utf8proc
 * and never allocates once the doc has grown. A word holding any non-ASCII
 * letter is decoded strictly (overlongs, surrogates and code points above
 * U+10FFFF are separators, like any invalid byte) and folded with utf8proc
 * (case fold, compose, strip marks) into a stack buffer.
 *
 * It deliberately does not: segment scripts written without spaces (a run of
 * CJK letters is one token), recognise abbreviations beyond dotted ones
 * ("e.g.", "U.S."), treat apostrophes specially ("don't" is "don" + "t", both
 * function words), or keep more than 64 bytes of a token (TOK_MAX below).
 */
#include "drill/text.h"

#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

/*
 * A normalised token keeps at most TOK_MAX bytes (cut on a code point
 * boundary). The rest of a longer run still belongs to that one token (its
 * end offset covers the whole run), so a megabyte without spaces is one
 * token, is not stemmed, and matches nothing. RAW_MAX bytes of a word's
 * source are kept for folding (folding can shrink text: marks are stripped).
 */
#define TOK_MAX 64
#define RAW_MAX 256
#define FOLD_MAX 1024		/* code points a folded word may expand to */
#define STEM_MIN 3		/* stemming never leaves fewer bytes */

/* The per-byte and per-token paths are inlined; the rare ones are kept out. */
#define HOT inline __attribute__((always_inline))
#define COLD __attribute__((noinline))

enum {
	C_LOW = 1 << 0,		/* a-z */
	C_UP = 1 << 1,		/* A-Z */
	C_DIG = 1 << 2,		/* 0-9 */
	C_JOIN = 1 << 3,	/* '+' '#': kept when attached to a token */
	C_NUMSEP = 1 << 4,	/* '.' ',': kept (or dropped) between digits */
	C_SENT = 1 << 5,	/* '.' '!' '?' ';': may end a sentence */
	C_NL = 1 << 6,		/* '\n' */
	C_HIGH = 1 << 7,	/* 0x80-0xff: start of a multibyte sequence, or junk */
	C_ALNUM = C_LOW | C_UP | C_DIG
};

#define Z 0
#define W C_LOW
#define U C_UP
#define D C_DIG
#define J C_JOIN
#define P (C_NUMSEP | C_SENT)
#define K C_NUMSEP
#define S C_SENT
#define N C_NL
#define H C_HIGH
static const unsigned char ctype[256] = {
	Z, Z, Z, Z, Z, Z, Z, Z, Z, Z, N, Z, Z, Z, Z, Z,	/* 0x00 */
	Z, Z, Z, Z, Z, Z, Z, Z, Z, Z, Z, Z, Z, Z, Z, Z,	/* 0x10 */
	Z, S, Z, J, Z, Z, Z, Z, Z, Z, Z, J, K, Z, P, Z,	/* 0x20  !"#$%&'()*+,-./ */
	D, D, D, D, D, D, D, D, D, D, Z, S, Z, Z, Z, S,	/* 0x30 0-9:;<=>? */
	Z, U, U, U, U, U, U, U, U, U, U, U, U, U, U, U,	/* 0x40 @A-O */
	U, U, U, U, U, U, U, U, U, U, U, Z, Z, Z, Z, Z,	/* 0x50 P-Z[\]^_ */
	Z, W, W, W, W, W, W, W, W, W, W, W, W, W, W, W,	/* 0x60 `a-o */
	W, W, W, W, W, W, W, W, W, W, W, Z, Z, Z, Z, Z,	/* 0x70 p-z{|}~ */
	H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, H,
	H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, H,
	H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, H,
	H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, H,
	H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, H,
	H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, H,
	H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, H,
	H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, H
};
#undef Z
#undef W
#undef U
#undef D
#undef J
#undef P
#undef K
#undef S
#undef N
#undef H

/*
 * English function words (articles, pronouns, auxiliaries, prepositions,
 * conjunctions, a few adverbs, and the fragments contractions split into:
 * "don't" -> "don" "t", "we're" -> "we" "re"), in alphabetical order from
 * index 1, zero-padded to 16 bytes so a compare is two 64-bit loads.
 */
#define FW_MAXLEN 10
static const char fw_words[][16] = {
	"",	/* index 0: matches nothing (a word is never empty) */
	"a", "about", "above", "after", "again", "against", "all", "also",
	"although", "am", "among", "an", "and", "another", "any", "are",
	"aren", "around", "as", "at", "be", "because", "been", "before",
	"being", "below", "between", "both", "but", "by", "can", "could",
	"couldn", "d", "did", "didn", "do", "does", "doesn", "doing", "don",
	"down", "during", "each", "either", "else", "every", "few", "for",
	"from", "had", "hadn", "has", "hasn", "have", "haven", "having", "he",
	"her", "here", "hers", "herself", "him", "himself", "his", "how", "i",
	"if", "in", "into", "is", "isn", "it", "its", "itself", "just", "ll",
	"m", "may", "me", "might", "mine", "more", "most", "much", "must",
	"my", "myself", "neither", "no", "nor", "not", "of", "off", "on",
	"once", "only", "onto", "or", "other", "our", "ours", "ourselves",
	"out", "over", "own", "per", "re", "s", "same", "shall", "she",
	"should", "shouldn", "since", "so", "some", "such", "t", "than",
	"that", "the", "their", "theirs", "them", "themselves", "then",
	"there", "these", "they", "this", "those", "though", "through", "to",
	"too", "toward", "towards", "under", "unless", "until", "up", "upon",
	"us", "ve", "very", "via", "was", "wasn", "we", "were", "weren",
	"what", "when", "where", "whether", "which", "while", "who", "whom",
	"whose", "why", "will", "with", "within", "without", "would", "wouldn",
	"yet", "you", "your", "yours", "yourself", "yourselves",
};

/*
 * A collision-free hash of the words above: fw_slot[h(word)] is the word's
 * index in fw_words (0: no function word hashes there), with h as in
 * is_function_key(); looking up without a branch on the slot keeps the
 * tokeniser free of a mispredicted branch per word. Both tables fit in L1
 * (2 KiB + 2.8 KiB).
 *
 * To add a word: add it to fw_words, search for an odd 64-bit FW_SEED that
 * gives every word its own slot (a few thousand random seeds do), and
 * rewrite this table. test_text.c checks that every word is found.
 */
#define FW_BITS 11
#define FW_SEED UINT64_C(0x1678d960d78c24e9)
static const unsigned char fw_slot[1u << FW_BITS] = {
	[9] = 138, [10] = 109, [34] = 162, [39] = 155, [44] = 147, [82] = 89,
	[86] = 107, [87] = 32, [112] = 106, [131] = 29, [137] = 80, [139] = 75,
	[154] = 9, [158] = 65, [171] = 38, [175] = 52, [176] = 13, [190] = 119,
	[194] = 20, [205] = 170, [208] = 21, [221] = 115, [226] = 11,
	[230] = 174, [260] = 67, [275] = 129, [276] = 171, [285] = 149,
	[287] = 84, [299] = 158, [325] = 81, [333] = 124, [339] = 121,
	[350] = 33, [376] = 45, [385] = 68, [421] = 104, [440] = 163,
	[457] = 40, [484] = 94, [496] = 14, [515] = 146, [533] = 3, [537] = 12,
	[547] = 157, [562] = 70, [581] = 77, [584] = 92, [591] = 110,
	[599] = 127, [606] = 23, [608] = 123, [615] = 53, [618] = 152,
	[619] = 173, [620] = 57, [626] = 66, [640] = 41, [643] = 103,
	[644] = 116, [665] = 71, [669] = 25, [681] = 134, [695] = 59,
	[707] = 17, [711] = 46, [724] = 62, [728] = 140, [732] = 74,
	[736] = 27, [765] = 118, [775] = 144, [777] = 99, [794] = 82,
	[804] = 5, [824] = 135, [839] = 48, [870] = 1, [878] = 153, [901] = 22,
	[929] = 130, [936] = 60, [943] = 166, [976] = 42, [979] = 78,
	[991] = 28, [1006] = 95, [1010] = 56, [1014] = 164, [1036] = 108,
	[1038] = 101, [1041] = 87, [1046] = 36, [1048] = 2, [1052] = 137,
	[1075] = 159, [1086] = 169, [1112] = 30, [1138] = 154, [1141] = 100,
	[1154] = 51, [1160] = 136, [1188] = 131, [1194] = 96, [1202] = 91,
	[1253] = 39, [1254] = 114, [1261] = 31, [1262] = 83, [1264] = 148,
	[1272] = 24, [1275] = 19, [1281] = 132, [1286] = 58, [1310] = 72,
	[1327] = 143, [1365] = 18, [1370] = 160, [1398] = 112, [1409] = 34,
	[1440] = 44, [1452] = 76, [1464] = 93, [1483] = 26, [1511] = 126,
	[1542] = 61, [1548] = 128, [1578] = 122, [1584] = 151, [1595] = 8,
	[1596] = 88, [1618] = 10, [1620] = 97, [1632] = 73, [1634] = 167,
	[1641] = 98, [1684] = 54, [1686] = 16, [1708] = 79, [1725] = 113,
	[1734] = 85, [1740] = 156, [1751] = 139, [1755] = 145, [1788] = 172,
	[1793] = 90, [1812] = 49, [1818] = 47, [1820] = 161, [1829] = 6,
	[1834] = 111, [1835] = 120, [1837] = 50, [1838] = 117, [1848] = 141,
	[1861] = 4, [1863] = 133, [1872] = 125, [1879] = 15, [1885] = 102,
	[1897] = 168, [1914] = 7, [1928] = 165, [1935] = 150, [1970] = 142,
	[1975] = 69, [1977] = 55, [1991] = 86, [1998] = 105, [2011] = 63,
	[2025] = 35, [2040] = 64, [2041] = 43, [2043] = 37,
};

/*
 * Bytes 0..7 of p as a little-endian number, whatever the host's order (gcc
 * turns this into one load).
 */
static inline uint64_t
load_le64(const unsigned char *p)
{
	return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 |
	    (uint64_t)p[3] << 24 | (uint64_t)p[4] << 32 | (uint64_t)p[5] << 40 |
	    (uint64_t)p[6] << 48 | (uint64_t)p[7] << 56;
}

/*
 * Is the n-byte word whose bytes 0..7 and 8..15, read little-endian, are lo
 * and hi a function word? lo and hi may hold bytes past the word: they are
 * masked off here. The key is lo, xor hi times a constant, xor the length in
 * the top byte; the slot is the top FW_BITS bits of key * FW_SEED. The word
 * is in the list when lo and hi equal the zero-padded entry at that slot: no
 * byte loop, no branch on the slot. scan_word hands lo and hi over in
 * registers; loading them back from the bytes it has just stored would
 * stall on store forwarding (it did: a third of the tokeniser's time).
 */
static bool
is_function_key(uint64_t lo, uint64_t hi, size_t n)
{
	const unsigned char *f;
	uint64_t k;

	if (n == 0 || n > FW_MAXLEN)
		return false;
	lo &= n >= 8 ? ~UINT64_C(0) : (UINT64_C(1) << (8 * n)) - 1;
	hi &= n <= 8 ? 0 : (UINT64_C(1) << (8 * (n - 8))) - 1;
	k = lo ^ (hi * UINT64_C(0x9E3779B97F4A7C15)) ^ ((uint64_t)n << 56);
	f = (const unsigned char *)fw_words[fw_slot[(k * FW_SEED) >>
	    (64 - FW_BITS)]];
	return ((load_le64(f) ^ lo) | (load_le64(f + 8) ^ hi)) == 0;
}

/*
 * Decodes one UTF-8 sequence at s (len > 0 bytes available). Returns its
 * length and sets *cp, or returns 0 when the first byte does not start a
 * valid sequence: a stray continuation byte, C0/C1/F5-FF, a truncated
 * sequence, an overlong form, a surrogate or a code point above U+10FFFF.
 */
static size_t
utf8_decode(const unsigned char *s, size_t len, int32_t *cp)
{
	unsigned c = s[0];

	if (c < 0x80) {
		*cp = (int32_t)c;
		return 1;
	}
	if (c < 0xC2)
		return 0;
	if (c < 0xE0) {
		if (len < 2 || (s[1] & 0xC0) != 0x80)
			return 0;
		*cp = (int32_t)(((c & 0x1Fu) << 6) | (s[1] & 0x3Fu));
		return 2;
	}
	if (c < 0xF0) {
		unsigned lo = c == 0xE0 ? 0xA0 : 0x80;
		unsigned hi = c == 0xED ? 0x9F : 0xBF;

		if (len < 3 || s[1] < lo || s[1] > hi || (s[2] & 0xC0) != 0x80)
			return 0;
		*cp = (int32_t)(((c & 0x0Fu) << 12) | ((s[1] & 0x3Fu) << 6) |
		    (s[2] & 0x3Fu));
		return 3;
	}
	if (c < 0xF5) {
		unsigned lo = c == 0xF0 ? 0x90 : 0x80;
		unsigned hi = c == 0xF4 ? 0x8F : 0xBF;

		if (len < 4 || s[1] < lo || s[1] > hi ||
		    (s[2] & 0xC0) != 0x80 || (s[3] & 0xC0) != 0x80)
			return 0;
		*cp = (int32_t)(((c & 0x07u) << 18) | ((s[1] & 0x3Fu) << 12) |
		    ((s[2] & 0x3Fu) << 6) | (s[3] & 0x3Fu));
		return 4;
	}
	return 0;
}

bool
text_utf8_valid(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;
	int32_t cp;

	if (s == NULL)
		return len == 0;
	while (i < len) {
		size_t n;

		if (s[i] < 0x80) {
			i++;
			continue;
		}
		n = utf8_decode(s + i, len - i, &cp);
		if (n == 0)
			return false;
		i += n;
	}
	return true;
}

size_t
text_utf8_len(const char *s, size_t len)
{
	size_t n = 0;

	if (s == NULL)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (((unsigned char)s[i] & 0xC0) != 0x80)
			n++;
	return n;
}

/* Letters and numbers start a word; marks only continue one. */
static bool
cat_starts_word(utf8proc_category_t cat)
{
	return (cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_LO) ||
	    (cat >= UTF8PROC_CATEGORY_ND && cat <= UTF8PROC_CATEGORY_NO);
}

static bool
cat_in_word(utf8proc_category_t cat)
{
	return cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_NO;
}

/* One word's source, ASCII already lower-cased, before folding. */
struct word {
	char *raw;		/* RAW_MAX + 1 bytes; the token's final place */
	size_t n;
	unsigned seen;		/* C_* classes of its ASCII letters and digits */
	uint64_t lo, hi;	/* raw[0..15] as scanned, when keyok */
	bool keyok;		/* lo and hi cover the word's first 10 bytes */
	bool nonascii;		/* holds a non-ASCII letter: fold with utf8proc */
	bool digit;		/* holds a digit */
	bool join;		/* holds '+' or '#' */
	bool cut;		/* source longer than RAW_MAX */
	bool capital;		/* first letter upper-case in the source */
};

static inline void
word_put(struct word *w, unsigned char *dst, size_t *n, unsigned char c)
{
	if (!w->cut && *n < RAW_MAX)
		dst[(*n)++] = c;
	else
		w->cut = true;
}

/*
 * True when the ',' at s[i] (after a digit) is a thousands separator: exactly
 * three digits follow it. Then it is dropped ("10,000" -> "10000"); any other
 * ',' separates ("1,2" is two tokens).
 */
static bool
thousands(const unsigned char *s, size_t len, size_t i)
{
	return i + 3 < len && (ctype[s[i + 1]] & C_DIG) &&
	    (ctype[s[i + 2]] & C_DIG) && (ctype[s[i + 3]] & C_DIG) &&
	    (i + 4 >= len || !(ctype[s[i + 4]] & C_DIG));
}

/*
 * Continues scanning the word in w from s[i] (see scan_word) and returns the
 * offset just past it: the general case, for what the fast loop stops at.
 */
static COLD size_t
scan_rest(const unsigned char *s, size_t len, size_t i, struct word *w)
{
	unsigned char *dst = (unsigned char *)w->raw;
	unsigned seen = w->seen;
	size_t n = w->n;

	for (;;) {
		size_t end = len - i > RAW_MAX - n ? i + (RAW_MAX - n) : len;
		int32_t cp;
		size_t cn;
		unsigned c, k;
		utf8proc_category_t cat;

		while (i < end && ((k = ctype[s[i]]) & C_ALNUM)) {
			dst[n++] = (unsigned char)(s[i] | ((k & C_UP) << 4));
			seen |= k;
			i++;
		}
		if (i >= len)
			break;
		c = s[i];
		k = ctype[c];
		if (k & C_ALNUM) {
			/* RAW_MAX reached: the rest of the run is skipped. */
			w->cut = true;
			while (i < len && (ctype[s[i]] & C_ALNUM)) {
				seen |= ctype[s[i]];
				i++;
			}
		} else if (k & C_JOIN) {
			word_put(w, dst, &n, (unsigned char)c);
			w->join = true;
			i++;
		} else if (k & C_NUMSEP) {
			/* s[i - 1] is this word's last character. */
			if (!(ctype[s[i - 1]] & C_DIG) || i + 1 >= len ||
			    !(ctype[s[i + 1]] & C_DIG))
				break;
			if (c == '.')
				word_put(w, dst, &n, '.');
			else if (!thousands(s, len, i))
				break;
			i++;
		} else if (k & C_HIGH) {
			cn = utf8_decode(s + i, len - i, &cp);
			if (cn == 0)
				break;
			cat = utf8proc_category(cp);
			if (!cat_in_word(cat))
				break;
			if (!w->cut && n + cn <= RAW_MAX) {
				memcpy(dst + n, s + i, cn);
				n += cn;
			} else {
				w->cut = true;
			}
			w->nonascii = true;
			if (cat == UTF8PROC_CATEGORY_ND)
				w->digit = true;
			i += cn;
		} else {
			break;
		}
	}
	w->n = n;
	w->seen = seen;
	return i;
}

/* Stores x at p[0..7] little-endian (gcc merges this into one store). */
static inline void
store_le64(unsigned char *p, uint64_t x)
{
	p[0] = (unsigned char)x;
	p[1] = (unsigned char)(x >> 8);
	p[2] = (unsigned char)(x >> 16);
	p[3] = (unsigned char)(x >> 24);
	p[4] = (unsigned char)(x >> 32);
	p[5] = (unsigned char)(x >> 40);
	p[6] = (unsigned char)(x >> 48);
	p[7] = (unsigned char)(x >> 56);
}

#define REP8(c) (UINT64_C(0x0101010101010101) * (uint64_t)(c))
#define HIGH8 REP8(0x80)

/*
 * SWAR classification of 8 bytes at once: returns the high bit of each byte
 * of x that is an ASCII letter or digit, and sets *up to those that are
 * upper-case letters and *dig to the digits. A byte >= 'c' is found by
 * adding 0x80 - 'c' to its low 7 bits (no carry can cross bytes).
 */
static inline uint64_t
swar_alnum(uint64_t x, uint64_t *up, uint64_t *dig)
{
	uint64_t y = x & ~HIGH8, ascii = ~x & HIGH8;
	uint64_t lower = (y + REP8(0x80 - 'a')) & ~(y + REP8(0x80 - 'z' - 1));

	*up = (y + REP8(0x80 - 'A')) & ~(y + REP8(0x80 - 'Z' - 1)) & ascii;
	*dig = (y + REP8(0x80 - '0')) & ~(y + REP8(0x80 - '9' - 1)) & ascii;
	return (lower & ascii) | *up | *dig;
}

/*
 * Scans the word starting at s[i] (a letter or digit) into w and returns the
 * offset just past it. A word is letters, digits and marks, '+' and '#' once
 * a word has started ("c++", "n+1", "c#"), '.' between two digits ("99.9")
 * and thousands commas, which are dropped.
 *
 * This is the hot path: ASCII letters and digits, 8 bytes at a time while
 * that many are left (an upper-case letter is lowered by setting its 0x20
 * bit; bytes stored past the word's end are scratch, overwritten later),
 * then a byte at a time. What that stops at is a separator, or is left to
 * scan_rest.
 */
static HOT size_t
scan_word(const unsigned char *s, size_t len, size_t i, struct word *w)
{
	unsigned char *dst = (unsigned char *)w->raw;
	unsigned seen = 0, k = 0;
	uint64_t lo = 0, hi = 0;	/* the first two chunks, for the key */
	size_t n = 0;

	for (;;) {
		uint64_t x, up, dig, stop;
		size_t end, cnt;

		if (len - i < 8 || n + 8 > RAW_MAX) {
			end = len - i > RAW_MAX - n ? i + (RAW_MAX - n) : len;
			while (i < end && ((k = ctype[s[i]]) & C_ALNUM)) {
				dst[n++] = (unsigned char)(s[i] | ((k & C_UP) << 4));
				seen |= k;
				i++;
			}
			break;
		}
		x = load_le64(s + i);
		stop = ~swar_alnum(x, &up, &dig) & HIGH8;
		x |= up >> 2;
		store_le64(dst + n, x);
		if (n == 0)
			lo = x;
		else if (n == 8)
			hi = x;
		if (dig & (stop - 1) & ~stop)
			seen |= C_DIG;
		if (stop == 0) {
			n += 8;
			i += 8;
			continue;
		}
		cnt = (size_t)__builtin_ctzll(stop) >> 3;
		n += cnt;
		i += cnt;
		break;
	}
	k = i < len ? ctype[s[i]] : 0;
	w->n = n;
	w->seen = seen;
	w->lo = lo;
	w->hi = hi;
	/* Filled by whole chunks up to FW_MAXLEN bytes, as is_function_key needs. */
	w->keyok = n <= 8 ? lo != 0 : hi != 0;
	w->nonascii = w->join = w->cut = w->digit = false;
	/* k: what stopped the loops (a letter or digit: RAW_MAX was reached) */
	if ((k & (C_ALNUM | C_JOIN | C_NUMSEP | C_HIGH)) &&
	    (!(k & C_NUMSEP) || (i + 1 < len && (ctype[s[i + 1]] & C_DIG)))) {
		w->keyok = false;
		i = scan_rest(s, len, i, w);
	}
	return i;
}

/* The largest k <= n that is not inside a UTF-8 sequence of s. */
static size_t
cp_floor(const char *s, size_t n)
{
	while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;
	return n;
}

/*
 * Folds a valid UTF-8 word (case fold, canonical composition, marks
 * stripped) into out (TOK_MAX + 1 bytes). Returns the length; sets *cut when
 * the result had to be shortened. Uses no heap: utf8proc_map would.
 */
static COLD size_t
fold(const char *raw, size_t n, char *out, bool *cut)
{
	const utf8proc_option_t opt = UTF8PROC_STABLE | UTF8PROC_COMPOSE |
	    UTF8PROC_CASEFOLD | UTF8PROC_STRIPMARK;
	int32_t buf[FOLD_MAX + 1];	/* +1: reencode NUL-terminates */
	utf8proc_ssize_t r;
	size_t m;

	for (;;) {
		r = utf8proc_decompose((const utf8proc_uint8_t *)raw,
		    (utf8proc_ssize_t)n, buf, FOLD_MAX, opt);
		if (r < 0)
			return 0;
		if (r <= FOLD_MAX)
			break;
		n = cp_floor(raw, n / 2);
		*cut = true;
		if (n == 0)
			return 0;
	}
	r = utf8proc_reencode(buf, r, opt);
	if (r < 0)
		return 0;
	m = (size_t)r;
	if (m > TOK_MAX) {
		m = cp_floor((const char *)buf, TOK_MAX);
		*cut = true;
	}
	memcpy(out, buf, m);
	return m;
}

static bool
has_vowel(const char *w, size_t n)
{
	for (size_t i = 0; i < n; i++)
		switch (w[i]) {
		case 'a': case 'e': case 'i': case 'o': case 'u': case 'y':
			return true;
		default:
			break;
		}
	return false;
}

/* Ends in a doubled consonant other than l, s, z ("runn", "mapp"). */
static bool
ends_double(const char *w, size_t n)
{
	char c;

	if (n < 2)
		return false;
	c = w[n - 1];
	return c == w[n - 2] && c >= 'a' && c <= 'z' && !has_vowel(&c, 1) &&
	    c != 'l' && c != 's' && c != 'z';
}

/*
 * Light English stemmer, in place; returns the new length. Only for tokens
 * longer than 3 bytes without a digit, '+' or '#'. No rule leaves fewer than
 * STEM_MIN bytes (a rule that would is skipped). In order:
 *
 *  1. "-ies"/"-ied" -> "-y", and stop (strategies, strategy; replied).
 *     Else strip a final 's' unless it follows 's', 'u' or 'i' (class,
 *     status, analysis, redis stay); "indexes" -> "indexe" (rule 3 ends it).
 *  2. "-ing" when what is left has a vowel (string, thing stay): strip it,
 *     then drop a final 'e' ("queueing" -> "queu") or undouble a final
 *     consonant other than l/s/z ("running" -> "run"), and stop.
 *     "-ed" likewise, with undoubling only ("mapped" -> "map", "agreed" ->
 *     "agre"), and stop.
 *  3. Drop a final 'e' (cache -> cach, database -> databas, queue -> queu).
 *
 * So index/indexes/indexing/indexed -> "index", cache/caches/caching/cached
 * -> "cach", queue/queues/queuing/queued -> "queu", shard/shards/sharding/
 * sharded -> "shard", settings -> "set". It is not Porter: "embed" ->
 * "emb" but "embedded" -> "embed". Bank phrases and answers go through the
 * same function, so only consistency on common words matters.
 */
static size_t
stem(char *w, size_t n)
{
	if (n <= 3)
		return n;
	if (w[n - 1] == 's') {
		if (w[n - 2] == 'e' && w[n - 3] == 'i' && n - 2 >= STEM_MIN) {
			w[n - 3] = 'y';
			w[n - 2] = '\0';
			return n - 2;
		}
		if (w[n - 2] == 's' || w[n - 2] == 'u' || w[n - 2] == 'i')
			return n;
		w[--n] = '\0';
	}
	switch (w[n - 1]) {
	case 'g':
		if (n >= 3 + STEM_MIN && w[n - 2] == 'n' && w[n - 3] == 'i' &&
		    has_vowel(w, n - 3)) {
			n -= 3;
			if (w[n - 1] == 'e' && n - 1 >= STEM_MIN)
				n--;
			else if (ends_double(w, n) && n - 1 >= STEM_MIN)
				n--;
		}
		break;
	case 'd':
		if (w[n - 2] != 'e')
			break;
		if (w[n - 3] == 'i' && n - 2 >= STEM_MIN) {
			w[n - 3] = 'y';
			n -= 2;
		} else if (n >= 2 + STEM_MIN && has_vowel(w, n - 2)) {
			n -= 2;
			if (ends_double(w, n) && n - 1 >= STEM_MIN)
				n--;
		}
		break;
	case 'e':
		if (n - 1 >= STEM_MIN)
			n--;
		break;
	default:
		break;
	}
	w[n] = '\0';
	return n;
}

/*
 * Turns a scanned word into its normalised form, in place in w->raw
 * (NUL-terminated), and its NUMBER/CAPITAL/FUNCTION flags. Returns the length
 * (0: nothing left, drop it). The function-word test sees the folded word
 * before stemming.
 */
static HOT size_t
finish_word(struct word *w, uint32_t *flags)
{
	char *out = w->raw;
	bool cut = w->cut;
	bool digit = w->digit || (w->seen & C_DIG);
	uint32_t f;
	size_t n;

	if (w->nonascii) {
		char tmp[TOK_MAX + 1];

		n = fold(w->raw, w->n, tmp, &cut);
		memcpy(out, tmp, n);
	} else {
		n = w->n;
		if (n > TOK_MAX) {
			n = TOK_MAX;
			cut = true;
		}
	}
	out[n] = '\0';
	f = (digit ? TEXT_TOK_NUMBER : 0) | (w->capital ? TEXT_TOK_CAPITAL : 0);
	if (n > 0 && !digit && !w->join) {
		if (!w->keyok) {
			w->lo = load_le64((const unsigned char *)out);
			w->hi = load_le64((const unsigned char *)out + 8);
		}
		f |= is_function_key(w->lo, w->hi, n) ? TEXT_TOK_FUNCTION : 0;
		if (!cut)
			n = stem(out, n);
	}
	*flags = f;
	return n;
}

/*
 * If s[i] (not ASCII alnum) starts a word, sets w->capital and returns true;
 * *step is the byte length of the character at s[i] otherwise (1 for an
 * invalid byte) and *cp the code point (-1 when invalid).
 */
static bool
starts_word(const unsigned char *s, size_t len, size_t i, struct word *w,
    size_t *step, int32_t *cp)
{
	utf8proc_category_t cat;
	size_t n = utf8_decode(s + i, len - i, cp);

	if (n == 0) {
		*step = 1;
		*cp = -1;
		return false;
	}
	*step = n;
	cat = utf8proc_category(*cp);
	if (!cat_starts_word(cat))
		return false;
	w->capital = cat == UTF8PROC_CATEGORY_LU || cat == UTF8PROC_CATEGORY_LT;
	return true;
}

static int
grow_tokens(struct text_doc *doc)
{
	size_t cap = doc->tokcap ? doc->tokcap * 2 : 256;
	struct text_token *t;

	if (cap > SIZE_MAX / sizeof(*t))
		return DRILL_ENOMEM;
	t = realloc(doc->tokens, cap * sizeof(*t));
	if (t == NULL)
		return DRILL_ENOMEM;
	doc->tokens = t;
	doc->tokcap = cap;
	return 0;
}

/* Makes room for need more arena bytes. Token pointers are set at the end. */
static int
grow_arena(struct text_doc *doc, size_t need)
{
	size_t cap = doc->arenacap ? doc->arenacap : 2048;
	char *a;

	while (cap - doc->arenalen < need) {
		if (cap > SIZE_MAX / 2)
			return DRILL_ENOMEM;
		cap *= 2;
	}
	a = realloc(doc->arena, cap);
	if (a == NULL)
		return DRILL_ENOMEM;
	doc->arena = a;
	doc->arenacap = cap;
	return 0;
}

/*
 * A '.' ends a sentence unless it is glued to the next word ("node.js",
 * "e.g") or closes a dotted abbreviation: a one-letter token between two
 * dots ("e.g.", "i.e.", "U.S."). '!', '?' and ';' always do. Abbreviations
 * like "etc." and "Mr." count as ends: simple beats clever here.
 */
static bool
ends_sentence(const unsigned char *s, size_t len, size_t i,
    const struct text_token *last)
{
	if (s[i] != '.')
		return true;
	if (i + 1 < len && (ctype[s[i + 1]] & C_ALNUM))
		return false;
	if (last->end == i && last->end - last->start == 1 &&
	    last->start > 0 && s[last->start - 1] == '.')
		return false;
	return true;
}

/*
 * Lines and paragraphs are counted by their tokens: a line is non-empty when
 * it holds a token, and a blank line (no token: empty, spaces, or only
 * punctuation like "---") separates paragraphs. '\n', U+0085, U+2028 and
 * U+2029 end lines; '\r' is just a separator. Only punctuation ends
 * sentences, not line breaks.
 *
 * The arena is sized up front so that it does not move while tokens point
 * into it: an ASCII token's norm is no longer than its source, and the NUL
 * after it fits in the separator that follows; plus room for the word being
 * scanned. Only folding can make a norm longer than its source ("\u0149" ->
 * "\u02bcn"); then the arena grows and the pointers are fixed at the end.
 */
int
text_tokenize(struct text_doc *doc, const char *text, size_t len)
{
	const unsigned char *s = (const unsigned char *)text;
	bool line_start = true;	/* no token yet on this line */
	bool blank = false;	/* a blank line since the last token */
	bool sent_open = false;	/* a token since the last sentence end */
	bool moved = false;	/* the arena moved: fix the pointers */
	size_t i = 0, nsent = 0, nlines = 0, npara = 0;
	struct word w;

	if (doc == NULL)
		return DRILL_EINVAL;
	doc->ntokens = doc->nsentences = doc->nlines = doc->nparagraphs = 0;
	doc->arenalen = 0;
	if (s == NULL)
		len = 0;
	if (len > SIZE_MAX - 2 * (RAW_MAX + 1))
		return DRILL_ENOMEM;
	if (doc->arenacap < len + RAW_MAX + 2 &&
	    grow_arena(doc, len + RAW_MAX + 2) != 0)
		return DRILL_ENOMEM;
	while (i < len) {
		unsigned k = ctype[s[i]];
		struct text_token *t;
		uint32_t flags;
		size_t start = i, n;

		if (k & C_ALNUM) {
			w.capital = (k & C_UP) != 0;
		} else if (k == 0) {
			i++;
			continue;
		} else if (k & C_HIGH) {
			size_t step;
			int32_t cp;

			if (!starts_word(s, len, i, &w, &step, &cp)) {
				if (cp == 0x85 || cp == 0x2028 || cp == 0x2029) {
					blank |= line_start;
					line_start = true;
				}
				i += step;
				continue;
			}
		} else {
			if (k & C_NL) {
				blank |= line_start;
				line_start = true;
			} else if ((k & C_SENT) && sent_open &&
			    ends_sentence(s, len, i,
			    &doc->tokens[doc->ntokens - 1])) {
				doc->tokens[doc->ntokens - 1].flags |=
				    TEXT_TOK_SENT_END;
				nsent++;
				sent_open = false;
			}
			i++;
			continue;
		}

		if (doc->ntokens == doc->tokcap && grow_tokens(doc) != 0)
			goto fail;
		if (doc->arenacap - doc->arenalen < RAW_MAX + 1) {
			if (grow_arena(doc, RAW_MAX + 1) != 0)
				goto fail;
			moved = true;
		}
		w.raw = doc->arena + doc->arenalen;
		i = scan_word(s, len, i, &w);
		n = finish_word(&w, &flags);
		if (n == 0)
			continue;
		flags |= line_start ? TEXT_TOK_LINE_START : 0;
		flags |= (doc->ntokens == 0 || blank) ? TEXT_TOK_PARA_START : 0;
		nlines += line_start;
		npara += doc->ntokens == 0 || blank;
		line_start = blank = false;
		sent_open = true;
		t = &doc->tokens[doc->ntokens++];
		t->norm = w.raw;
		t->len = (uint32_t)n;
		t->flags = flags;
		t->start = start;
		t->end = i;
		doc->arenalen += n + 1;
	}
	if (moved) {
		size_t off = 0;

		for (size_t j = 0; j < doc->ntokens; j++) {
			doc->tokens[j].norm = doc->arena + off;
			off += doc->tokens[j].len + 1;
		}
	}
	doc->nsentences = nsent + sent_open;
	doc->nlines = nlines;
	doc->nparagraphs = npara;
	return 0;

fail:
	doc->ntokens = doc->nsentences = doc->nlines = doc->nparagraphs = 0;
	doc->arenalen = 0;
	return DRILL_ENOMEM;
}

/*
 * Normalises the first word of word[0..len) (leading separators are
 * skipped, anything after the first word is ignored).
 */
size_t
text_normalize_word(const char *word, size_t len, char *out, size_t outsz)
{
	const unsigned char *s = (const unsigned char *)word;
	char buf[RAW_MAX + 1];
	struct word w;
	uint32_t flags;
	size_t i = 0, n, step = 1;
	int32_t cp;

	if (word == NULL || out == NULL || outsz == 0)
		return 0;
	for (;;) {
		if (i >= len)
			return 0;
		if (ctype[s[i]] & C_ALNUM) {
			w.capital = (ctype[s[i]] & C_UP) != 0;
			break;
		}
		if ((ctype[s[i]] & C_HIGH) &&
		    starts_word(s, len, i, &w, &step, &cp))
			break;
		i += (ctype[s[i]] & C_HIGH) ? step : 1;
	}
	w.raw = buf;
	scan_word(s, len, i, &w);
	n = finish_word(&w, &flags);
	if (n == 0 || n + 1 > outsz)
		return 0;
	memcpy(out, buf, n + 1);
	return n;
}

void
text_doc_init(struct text_doc *doc)
{
	if (doc != NULL)
		memset(doc, 0, sizeof(*doc));
}

void
text_doc_free(struct text_doc *doc)
{
	if (doc == NULL)
		return;
	free(doc->tokens);
	free(doc->arena);
	memset(doc, 0, sizeof(*doc));
}

/* Length of the valid UTF-8 sequence at s[0..n), or 0 when it is not valid. */
size_t
text_utf8_seqlen(const char *s, size_t n)
{
	unsigned char b = (unsigned char)s[0];
	size_t k;

	if (b < 0x80)
		return 1;
	if (b >= 0xc2 && b <= 0xdf)
		k = 2;
	else if (b >= 0xe0 && b <= 0xef)
		k = 3;
	else if (b >= 0xf0 && b <= 0xf4)
		k = 4;
	else
		return 0;
	if (k > n || !text_utf8_valid(s, k))
		return 0;
	return k;
}

/* True when s holds only whitespace (ASCII, and the common Unicode spaces). */
bool
text_is_blank(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < len) {
		if (p[i] == ' ' || (p[i] >= '\t' && p[i] <= '\r')) {
			i++;
		} else if (i + 1 < len && p[i] == 0xc2 && (p[i + 1] == 0xa0 || p[i + 1] == 0x85)) {
			i += 2;	/* no-break space, next line */
		} else if (i + 2 < len && p[i] == 0xe2 && p[i + 1] == 0x80 &&
		    (p[i + 2] <= 0x8b || p[i + 2] == 0xa8 || p[i + 2] == 0xa9 ||
		    p[i + 2] == 0xaf)) {
			i += 3;	/* U+2000..U+200B, U+2028, U+2029, U+202F */
		} else if (i + 2 < len && p[i] == 0xe2 && p[i + 1] == 0x81 && p[i + 2] == 0x9f) {
			i += 3;	/* U+205F */
		} else if (i + 2 < len && p[i] == 0xe3 && p[i + 1] == 0x80 && p[i + 2] == 0x80) {
			i += 3;	/* U+3000 */
		} else if (i + 2 < len && p[i] == 0xef && p[i + 1] == 0xbb && p[i + 2] == 0xbf) {
			i += 3;	/* byte order mark */
		} else {
			return false;
		}
	}
	return true;
}
