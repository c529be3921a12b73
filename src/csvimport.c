/*
 * csvimport.c - reads a spreadsheet's CSV export and builds a question bank
 * from it (the CSV format, the columns and the defaults are in csvimport.h).
 *
 * Two stages. A CSV reader yields one row at a time from the text in memory,
 * unescaping its fields into a buffer reused from row to row, and counting
 * rows (not lines) so that errors name the row a spreadsheet shows. A row
 * converter then reads the row's columns and builds the question's JSON,
 * reporting everything it has to understand itself (list syntax, names of
 * types, levels, topics and steps, weights, ranges) and passing the rest on
 * as written. It deliberately does not repeat the checks of bank.c (id
 * syntax, text lengths, phrase word counts, counts of phrases and
 * follow-ups): csvimport_check runs bank_load on the result and maps its
 * lines back to rows, so the loader stays the one authority on what a bank
 * may hold. Nothing here prints, exits or writes a file.
 */
#include "drill/csvimport.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "drill/jsonv.h"
#include "drill/text.h"
#include "drill/vocab.h"

#define MAX_NAME 80		/* a concept's name, as bank.c allows */
#define MAX_HINT 300		/* a hint, as bank.c allows */
#define QUOTE_MAX 40		/* bytes of a value quoted in an error line */
#define NORM_MAX 64		/* longest normalised header or vocabulary word */
#define BOM "\xef\xbb\xbf"
#define ARROW "\xe2\x86\x92"	/* U+2192, as `drillctl bank show` joins steps */
#define EN_DASH "\xe2\x80\x93"

/* Columns; the required ones first. */
enum col {
	COL_ID = 0,
	COL_TYPE,
	COL_TOPICS,
	COL_LEVEL,
	COL_PROMPT,
	COL_MODEL_ANSWER,
	COL_CONCEPTS,
	COL_ASSESSES,
	COL_HOW_TO_ANSWER,
	COL_WEIGHTS,
	COL_HINTS,
	COL_FOLLOW_UPS,
	COL_STRUCTURE,
	COL_ANSWER_WORDS,
	NCOLS
};
#define NREQUIRED (COL_CONCEPTS + 1)
#define COL_EMPTY (-1)		/* a header cell left empty: values must be too */
#define COL_IGNORED (-2)	/* an unknown or repeated header (already reported) */

static const char *const col_names[NCOLS] = {
	"id", "type", "topics", "level", "prompt", "model_answer", "concepts",
	"assesses", "how_to_answer", "weights", "hints", "follow_ups", "structure",
	"answer_words"
};

#define BIT(col) (1u << (col))

/* ------------------------------------------------------------------ */
/* The CSV reader */

struct reader {
	const char *p, *end;
	char delim;
	size_t row;		/* row number of the record last read */
	char *buf;		/* the record's fields, unescaped, each NUL-terminated */
	size_t len, cap;
	size_t off[CSVIMPORT_MAX_COLUMNS], flen[CSVIMPORT_MAX_COLUMNS];
	size_t nf;		/* fields kept (at most CSVIMPORT_MAX_COLUMNS) */
	size_t nfields;		/* fields seen, also beyond the limit */
	bool junk;		/* text after a closing quote ... */
	size_t junk_field;	/* ... in this field */
	size_t open_row;	/* unterminated quote: the row it opened in */
	size_t open_field;	/* ... and the field */
};

static int
push(struct reader *r, const char *s, size_t n)
{
	if (r->cap - r->len < n + 1) {
		size_t ncap = r->cap == 0 ? 4096 : r->cap;
		char *nb;

		while (ncap - r->len < n + 1)
			ncap *= 2;
		if ((nb = realloc(r->buf, ncap)) == NULL)
			return DRILL_ENOMEM;
		r->buf = nb;
		r->cap = ncap;
	}
	memcpy(r->buf + r->len, s, n);
	r->len += n;
	return 0;
}

static bool
is_pad(const struct reader *r, char ch)
{
	return ch == ' ' || (ch == '\t' && r->delim != '\t');
}

static bool
ends_field(const struct reader *r, const char *q)
{
	return q >= r->end || *q == r->delim || *q == '\r' || *q == '\n';
}

/*
 * Reads one field at r->p into the buffer. A quoted field may hold the
 * delimiter, line breaks (CRLF and CR become LF) and "" for a quote; spaces
 * around it are dropped. Returns 0, DRILL_EINVAL for a quote left open at
 * the end of the text, or DRILL_ENOMEM.
 */
static int
read_field(struct reader *r)
{
	const char *q = r->p, *s;
	size_t start = r->len;
	int rc;

	while (q < r->end && is_pad(r, *q))
		q++;
	if (q < r->end && *q == '"') {
		r->p = q + 1;
		for (;;) {
			s = r->p;
			while (r->p < r->end && *r->p != '"' && *r->p != '\r')
				r->p++;
			if ((rc = push(r, s, (size_t)(r->p - s))) != 0)
				return rc;
			if (r->p >= r->end) {
				r->open_row = r->row;
				r->open_field = r->nfields;
				return DRILL_EINVAL;
			}
			if (*r->p == '\r') {
				if ((rc = push(r, "\n", 1)) != 0)
					return rc;
				r->p++;
				if (r->p < r->end && *r->p == '\n')
					r->p++;
			} else if (r->p + 1 < r->end && r->p[1] == '"') {
				if ((rc = push(r, "\"", 1)) != 0)
					return rc;
				r->p += 2;
			} else {
				r->p++;
				break;
			}
		}
		q = r->p;
		while (q < r->end && is_pad(r, *q))
			q++;
		if (!ends_field(r, q)) {
			/* `"a"b`: kept as written, and reported */
			if (!r->junk) {
				r->junk = true;
				r->junk_field = r->nfields;
			}
			s = q;
			while (!ends_field(r, q))
				q++;
			if ((rc = push(r, s, (size_t)(q - s))) != 0)
				return rc;
		}
		r->p = q;
	} else {
		s = r->p;
		while (!ends_field(r, r->p))
			r->p++;
		if ((rc = push(r, s, (size_t)(r->p - s))) != 0)
			return rc;
	}
	if ((rc = push(r, "", 1)) != 0)
		return rc;
	if (r->nf < CSVIMPORT_MAX_COLUMNS) {
		r->off[r->nf] = start;
		r->flen[r->nf] = r->len - 1 - start;
		r->nf++;
	}
	r->nfields++;
	return 0;
}

/*
 * Reads the next record (row). Returns 1 with the fields in r, 0 at the end
 * of the text, DRILL_EINVAL for an unterminated quote (r->open_row), or
 * DRILL_ENOMEM.
 */
static int
read_record(struct reader *r)
{
	int rc;

	if (r->p >= r->end)
		return 0;
	r->row++;
	r->len = 0;
	r->nf = 0;
	r->nfields = 0;
	r->junk = false;
	for (;;) {
		if ((rc = read_field(r)) != 0)
			return rc;
		if (r->p < r->end && *r->p == r->delim) {
			r->p++;
			continue;
		}
		break;
	}
	if (r->p < r->end && *r->p == '\r')
		r->p++;
	if (r->p < r->end && *r->p == '\n')
		r->p++;
	return 1;
}

/*
 * The delimiter: the most frequent of ',', ';' and tab outside quotes in
 * the first line with anything but white space and delimiters (the
 * header); ties go to ',' then ';'.
 */
static char
detect_delim(const char *p, const char *end)
{
	static const char cand[3] = {',', ';', '\t'};
	size_t n[3] = {0, 0, 0};
	bool inq = false;
	int best = 0;

	while (p < end) {
		const char *q = p;
		while (q < end && memchr(" \t,;", *q, 4) != NULL)
			q++;
		if (q < end && *q != '\n' && *q != '\r')
			break;
		while (q < end && (*q == '\n' || *q == '\r'))
			q++;
		p = q;
	}
	for (; p < end; p++) {
		if (*p == '"')
			inq = !inq;
		else if (!inq && (*p == '\n' || *p == '\r'))
			break;
		else if (!inq)
			for (int i = 0; i < 3; i++)
				n[i] += *p == cand[i];
	}
	for (int i = 1; i < 3; i++)
		if (n[i] > n[best])
			best = i;
	return cand[best];
}

/* ------------------------------------------------------------------ */
/* Small text helpers */

static bool
is_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n' || ch == '\v' || ch == '\f';
}

/* Trims white space around s[0..*len); returns the start, *len the new length. */
static char *
span_trim(char *s, size_t *len)
{
	size_t n = *len;

	while (n > 0 && is_space(*s)) {
		s++;
		n--;
	}
	while (n > 0 && is_space(s[n - 1]))
		n--;
	*len = n;
	return s;
}

/* span_trim, and NUL-terminates the result in place (for a whole field). */
static char *
trim(char *s, size_t *len)
{
	s = span_trim(s, len);
	s[*len] = '\0';
	return s;
}

static bool
is_blank_bytes(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!is_space(s[i]))
			return false;
	return true;
}

/*
 * Normalises a name: ASCII lower case, each run of bytes from seps becomes
 * one sep, none at either end. False when it is empty or does not fit in
 * NORM_MAX bytes.
 */
static bool
norm(const char *s, size_t len, const char *seps, char sep, char out[NORM_MAX])
{
	size_t o = 0;
	bool pending = false;

	for (size_t i = 0; i < len; i++) {
		char ch = s[i];

		if (ch != '\0' && strchr(seps, ch) != NULL) {
			pending = o > 0;
			continue;
		}
		if (o + 3 > NORM_MAX)
			return false;
		if (pending)
			out[o++] = sep;
		pending = false;
		out[o++] = ch >= 'A' && ch <= 'Z' ? (char)(ch - 'A' + 'a') : ch;
	}
	out[o] = '\0';
	return o > 0;
}

/*
 * A value as an error line quotes it: at most QUOTE_MAX bytes cut on a
 * character boundary and ended with "…", control characters and invalid
 * bytes shown as spaces and '?'.
 */
static const char *
quoted(char out[QUOTE_MAX + 8], const char *s, size_t len)
{
	size_t i = 0, o = 0;

	while (i < len) {
		size_t k = text_utf8_seqlen(s + i, len - i);

		if (o + (k > 0 ? k : 1) > QUOTE_MAX) {
			memcpy(out + o, "\xe2\x80\xa6", 3);
			o += 3;
			break;
		}
		if (k == 0) {
			out[o++] = '?';
			i++;
		} else if (k == 1 && ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)) {
			out[o++] = ' ';
			i++;
		} else {
			memcpy(out + o, s + i, k);
			o += k;
			i += k;
		}
	}
	out[o] = '\0';
	return out;
}

/* A spreadsheet's column letters: 0 is "A", 25 "Z", 26 "AA". */
static const char *
col_letters(size_t i, char out[8])
{
	char tmp[8];
	size_t n = 0, o = 0;

	i++;
	while (i > 0 && n < sizeof(tmp)) {
		tmp[n++] = (char)('A' + (i - 1) % 26);
		i = (i - 1) / 26;
	}
	while (n > 0)
		out[o++] = tmp[--n];
	out[o] = '\0';
	return out;
}

/* Joins the names name(0), name(1) ... until NULL, with ", ". */
static const char *
name_list(const char *(*name)(int), char *out, size_t outsz)
{
	size_t o = 0;

	out[0] = '\0';
	for (int i = 0; name(i) != NULL && o < outsz; i++) {
		int n = snprintf(out + o, outsz - o, "%s%s", i > 0 ? ", " : "", name(i));
		if (n < 0)
			break;
		o += (size_t)n;
	}
	return out;
}

/* Items of a list separated by any byte of seps; each trimmed, nothing written. */
struct items {
	char *p, *end;
	const char *seps;
	bool done;
};

static void
items_init(struct items *it, char *s, size_t len, const char *seps)
{
	it->p = s;
	it->end = s + len;
	it->seps = seps;
	it->done = false;
}

/* Next item, possibly empty; false after the last. */
static bool
items_next(struct items *it, char **item, size_t *len)
{
	char *a = it->p, *b = a;

	if (it->done)
		return false;
	while (b < it->end && memchr(it->seps, *b, strlen(it->seps)) == NULL)
		b++;
	if (b >= it->end)
		it->done = true;
	else
		it->p = b + 1;
	*len = (size_t)(b - a);
	*item = span_trim(a, len);
	return true;
}

/* ------------------------------------------------------------------ */
/* The result */

struct entry {
	struct json_object *q;	/* the question */
	char *id;		/* trimmed id as written */
	size_t row;
	unsigned bad;		/* BIT(col) of columns conversion reported */
	bool dup;
};

struct csvimport {
	struct json_object *bank;
	char *file;
	struct entry *e;
	size_t n, cap;
	struct entry **by_id;	/* entries with an id, sorted by id then row */
	size_t nids;
};

void
csvimport_free(struct csvimport *ci)
{
	if (ci == NULL)
		return;
	for (size_t i = 0; i < ci->n; i++) {
		json_object_put(ci->e[i].q);
		free(ci->e[i].id);
	}
	free(ci->e);
	free(ci->by_id);
	json_object_put(ci->bank);
	free(ci->file);
	free(ci);
}

struct json_object *
csvimport_bank(const struct csvimport *ci)
{
	return ci->bank;
}

size_t
csvimport_count(const struct csvimport *ci)
{
	return ci->n;
}

size_t
csvimport_row(const struct csvimport *ci, size_t i)
{
	return i < ci->n ? ci->e[i].row : 0;
}

/* ------------------------------------------------------------------ */
/* Conversion */

static void sort_by_row(const char *file, struct drill_errors *errs);

struct conv {
	const char *file;
	struct drill_errors *errs;
	struct reader rd;
	char *f[CSVIMPORT_MAX_COLUMNS];	/* the row's fields (in rd.buf) */
	size_t flen[CSVIMPORT_MAX_COLUMNS], nf;
	int colof[CSVIMPORT_MAX_COLUMNS];	/* header field -> enum col or COL_* */
	size_t nheader;
	int fieldof[NCOLS];	/* column -> header field, or -1 */
	size_t row;
	unsigned bad;		/* columns with a problem in this row */
	bool failed;		/* any problem at all */
	bool nomem;
	struct csvimport *ci;
};

/* One problem of the file: "FILE: problem". */
DRILL_PRINTF(2, 3) static void
file_err(struct conv *c, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	drill_errors_add(c->errs, "%s: %s", c->file, buf);
	c->failed = true;
}

/* One problem of a known column in this row: "FILE:ROW: column: problem". */
DRILL_PRINTF(3, 4) static void
row_err(struct conv *c, int col, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	drill_errors_add(c->errs, "%s:%zu: %s: %s", c->file, c->row, col_names[col], buf);
	c->bad |= BIT(col);
	c->failed = true;
}

/* A problem of field i named by its letter: "FILE:ROW: column D: problem". */
DRILL_PRINTF(3, 4) static void
field_err(struct conv *c, size_t i, const char *fmt, ...)
{
	char buf[512], letters[8];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	drill_errors_add(c->errs, "%s:%zu: column %s: %s", c->file, c->row,
	    col_letters(i, letters), buf);
	c->failed = true;
}

/* Names field i in an error line: its column, or its letter. */
static const char *
field_name(const struct conv *c, size_t i, char out[24])
{
	char letters[8];

	if (i < c->nheader && c->colof[i] >= 0)
		return col_names[c->colof[i]];
	snprintf(out, 24, "column %s", col_letters(i, letters));
	return out;
}

/* What is wrong with field i as text (NULL when nothing). */
static const char *
field_problem(const struct conv *c, size_t i)
{
	if (c->flen[i] > CSVIMPORT_MAX_FIELD)
		return "longer than 64 KiB";
	if (memchr(c->f[i], '\0', c->flen[i]) != NULL)
		return "contains a NUL byte";
	if (!text_utf8_valid(c->f[i], c->flen[i]))
		return "not valid UTF-8 (save the sheet as \"CSV UTF-8\")";
	return NULL;
}

/* Points c->f at the record the reader holds. */
static void
take_fields(struct conv *c)
{
	c->nf = c->rd.nf;
	c->row = c->rd.row;
	for (size_t i = 0; i < c->nf; i++) {
		c->f[i] = c->rd.buf + c->rd.off[i];
		c->flen[i] = c->rd.flen[i];
	}
}

static bool
record_blank(const struct conv *c)
{
	for (size_t i = 0; i < c->nf; i++)
		if (!is_blank_bytes(c->f[i], c->flen[i]))
			return false;
	return true;
}

/* Reports text after a closing quote and fields beyond the limit. */
static void
record_shape(struct conv *c)
{
	char nm[24];

	if (c->rd.junk) {
		size_t i = c->rd.junk_field;
		const char *what = "text after a closing quote (write \"\" for a quote "
		    "inside a quoted field)";

		if (i < c->nheader && c->colof[i] >= 0) {
			row_err(c, c->colof[i], "%s", what);
		} else {
			drill_errors_add(c->errs, "%s:%zu: %s: %s", c->file, c->row,
			    field_name(c, i, nm), what);
			c->failed = true;
		}
	}
	if (c->rd.nfields > CSVIMPORT_MAX_COLUMNS) {
		drill_errors_add(c->errs, "%s:%zu: more than %d columns", c->file, c->row,
		    CSVIMPORT_MAX_COLUMNS);
		c->failed = true;
	}
}

static int
header(struct conv *c)
{
	char n[NORM_MAX], q[QUOTE_MAX + 8];
	bool missing = false;

	for (int k = 0; k < NCOLS; k++)
		c->fieldof[k] = -1;
	c->nheader = c->nf;
	for (size_t i = 0; i < c->nf; i++) {
		const char *why = field_problem(c, i);
		char *s;
		size_t len = c->flen[i];
		int col = -1;

		c->colof[i] = COL_IGNORED;
		if (why != NULL) {
			field_err(c, i, "%s", why);
			continue;
		}
		s = trim(c->f[i], &len);
		if (len == 0) {
			c->colof[i] = COL_EMPTY;
			continue;
		}
		if (norm(s, len, " _-\t\r\n", '_', n))
			for (int k = 0; k < NCOLS && col < 0; k++)
				if (strcmp(n, col_names[k]) == 0)
					col = k;
		if (col < 0) {
			field_err(c, i, "unknown column \"%s\" (the columns are id, type, "
			    "topics, level, prompt, model_answer, concepts, assesses, "
			    "how_to_answer, weights, hints, follow_ups, structure, "
			    "answer_words)", quoted(q, s, len));
		} else if (c->fieldof[col] >= 0) {
			char letters[8];
			field_err(c, i, "\"%s\" repeats the %s column (column %s)",
			    quoted(q, s, len), col_names[col],
			    col_letters((size_t)c->fieldof[col], letters));
		} else {
			c->colof[i] = col;
			c->fieldof[col] = (int)i;
		}
	}
	record_shape(c);
	for (int k = 0; k < NREQUIRED; k++) {
		if (c->fieldof[k] < 0) {
			drill_errors_add(c->errs, "%s:%zu: %s: required column missing",
			    c->file, c->row, col_names[k]);
			c->failed = true;
			missing = true;
		}
	}
	return missing ? DRILL_EINVAL : 0;
}

/* A concept while its row is converted; strings point into the row. */
struct concept {
	char *name;
	size_t namelen;
	char *phrases;		/* "a | b", split when written */
	size_t phraseslen;
	int weight;
	bool weight_set;
	char *hint;
	size_t hintlen;
};

struct row {
	char *v[NCOLS];		/* trimmed values ("" when absent) */
	size_t len[NCOLS];
	int type, level;
	struct json_object *topics, *structure, *follow_ups, *answer_words;
	enum bank_structure kind;	/* the structure in effect */
	int steps[BANK_NSTEPS];
	size_t nsteps;
	struct concept cs[BANK_MAX_CONCEPTS];
	size_t nc;
	bool concepts_ok;
};

static int
find_concept(const struct row *r, const char *name, size_t len)
{
	for (size_t i = 0; i < r->nc; i++)
		if (r->cs[i].namelen == len && strncasecmp(r->cs[i].name, name, len) == 0)
			return (int)i;
	return -1;
}

/* type or level: one vocabulary word. */
static int
parse_word(struct conv *c, struct row *r, int col, int (*parse)(const char *),
    const char *(*name)(int))
{
	char n[NORM_MAX], q[QUOTE_MAX + 8], list[256];
	int v;

	if (c->bad & BIT(col))
		return -1;
	if (r->len[col] == 0) {
		row_err(c, col, "missing (one of %s)", name_list(name, list, sizeof(list)));
		return -1;
	}
	if (!norm(r->v[col], r->len[col], " _-\t\r\n", '-', n) || (v = parse(n)) < 0) {
		row_err(c, col, "unknown %s \"%s\" (one of %s)", col_names[col],
		    quoted(q, r->v[col], r->len[col]), name_list(name, list, sizeof(list)));
		return -1;
	}
	return v;
}

static void
parse_topics(struct conv *c, struct row *r)
{
	struct items it;
	char *s, n[NORM_MAX], q[QUOTE_MAX + 8], list[512];
	size_t len;
	uint32_t seen = 0;

	if ((r->topics = json_object_new_array()) == NULL) {
		c->nomem = true;
		return;
	}
	if (c->bad & BIT(COL_TOPICS))
		return;
	items_init(&it, r->v[COL_TOPICS], r->len[COL_TOPICS], ",;|\n");
	while (items_next(&it, &s, &len)) {
		int t;
		struct json_object *v;

		if (len == 0)
			continue;
		if (!norm(s, len, " _-\t\r", '-', n) || (t = vocab_topic_parse(n)) < 0) {
			row_err(c, COL_TOPICS, "unknown topic \"%s\" (one of %s)",
			    quoted(q, s, len), name_list(vocab_topic_name, list, sizeof(list)));
			continue;
		}
		if (seen & (UINT32_C(1) << t))
			continue;
		seen |= UINT32_C(1) << t;
		v = json_object_new_string(vocab_topic_name(t));
		if (v == NULL || json_object_array_add(r->topics, v) != 0) {
			json_object_put(v);
			c->nomem = true;
		}
	}
	if (seen == 0 && !(c->bad & BIT(COL_TOPICS)))
		row_err(c, COL_TOPICS, "missing (one or more of %s)",
		    name_list(vocab_topic_name, list, sizeof(list)));
}

/* Rewrites each "→" in s[0..*len) to '>' in place. */
static void
arrows(char *s, size_t *len)
{
	size_t o = 0;

	for (size_t i = 0; i < *len;) {
		if (*len - i >= 3 && memcmp(s + i, ARROW, 3) == 0) {
			s[o++] = '>';
			i += 3;
		} else {
			s[o++] = s[i++];
		}
	}
	s[o] = '\0';
	*len = o;
}

static void
parse_structure(struct conv *c, struct row *r)
{
	char *s = r->v[COL_STRUCTURE], *item, n[NORM_MAX], q[QUOTE_MAX + 8], list[256];
	size_t len = r->len[COL_STRUCTURE], ilen;
	struct items it;
	int steps[BANK_NSTEPS];
	size_t nsteps = 0;
	bool ok = true;

	/* the type's default until the column says otherwise */
	r->kind = BANK_STRUCT_CRE;
	if (r->type == VOCAB_SYSTEM_DESIGN) {
		static const int dflt[] = {BANK_STEP_REQUIREMENTS, BANK_STEP_ESTIMATES,
		    BANK_STEP_DATA_MODEL, BANK_STEP_SCALING, BANK_STEP_TRADE_OFFS};
		r->kind = BANK_STRUCT_STEPS;
		r->nsteps = sizeof(dflt) / sizeof(dflt[0]);
		memcpy(r->steps, dflt, sizeof(dflt));
	} else if (r->type == VOCAB_BEHAVIORAL || r->type == VOCAB_SITUATIONAL ||
	    r->type == VOCAB_COMPETENCY) {
		r->kind = BANK_STRUCT_STAR;
	}
	if (len == 0 || (c->bad & BIT(COL_STRUCTURE)))
		return;
	arrows(s, &len);
	if (norm(s, len, " _-\t\r\n,>", '-', n) &&
	    (strcmp(n, "star") == 0 || strcmp(n, "claim-reason-example") == 0)) {
		r->kind = n[0] == 's' ? BANK_STRUCT_STAR : BANK_STRUCT_CRE;
		if ((r->structure = json_object_new_string(n)) == NULL)
			c->nomem = true;
		return;
	}
	items_init(&it, s, len, ",>\n");
	while (items_next(&it, &item, &ilen)) {
		int step;

		if (ilen == 0)
			continue;
		if (!norm(item, ilen, " _-\t\r", '-', n) || (step = bank_step_parse(n)) < 0) {
			row_err(c, COL_STRUCTURE, "unknown step \"%s\" (star, "
			    "claim-reason-example, or steps from %s)", quoted(q, item, ilen),
			    name_list(bank_step_name, list, sizeof(list)));
			ok = false;
			continue;
		}
		for (size_t j = 0; j < nsteps; j++)
			if (steps[j] == step) {
				row_err(c, COL_STRUCTURE, "step \"%s\" listed twice", n);
				ok = false;
				step = -1;
				break;
			}
		if (step >= 0)
			steps[nsteps++] = step;
	}
	if (!ok || nsteps == 0)
		return;
	r->kind = BANK_STRUCT_STEPS;
	r->nsteps = nsteps;
	memcpy(r->steps, steps, nsteps * sizeof(steps[0]));
	if ((r->structure = json_object_new_array()) == NULL) {
		c->nomem = true;
		return;
	}
	for (size_t i = 0; i < nsteps; i++) {
		struct json_object *v = json_object_new_string(bank_step_name(steps[i]));
		if (v == NULL || json_object_array_add(r->structure, v) != 0) {
			json_object_put(v);
			c->nomem = true;
		}
	}
}

/* Whether s[0..len) (trimmed) holds a phrase between its '|'. */
static bool
has_phrase(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] != '|' && !is_space(s[i]))
			return true;
	return false;
}

static void
parse_concepts(struct conv *c, struct row *r)
{
	char *item, q[QUOTE_MAX + 8];
	size_t ilen, pos = 0;
	struct items it;

	r->concepts_ok = !(c->bad & BIT(COL_CONCEPTS));
	if (!r->concepts_ok)
		return;
	items_init(&it, r->v[COL_CONCEPTS], r->len[COL_CONCEPTS], ";\n");
	while (items_next(&it, &item, &ilen)) {
		struct concept *k;
		char *colon, *name, *phr;
		size_t nlen, plen;

		if (ilen == 0)
			continue;
		pos++;
		if ((colon = memchr(item, ':', ilen)) == NULL) {
			row_err(c, COL_CONCEPTS, "concept \"%s\" has no phrases (write "
			    "name: phrase | phrase)", quoted(q, item, ilen));
			r->concepts_ok = false;
			continue;
		}
		nlen = (size_t)(colon - item);
		plen = ilen - nlen - 1;
		phr = span_trim(colon + 1, &plen);
		name = span_trim(item, &nlen);
		if (nlen == 0) {
			row_err(c, COL_CONCEPTS, "concept %zu has no name before its \":\"", pos);
			r->concepts_ok = false;
			continue;
		}
		if (nlen > MAX_NAME) {
			row_err(c, COL_CONCEPTS, "the concept name \"%s\" is longer than %d bytes",
			    quoted(q, name, nlen), MAX_NAME);
			r->concepts_ok = false;
			continue;
		}
		if (!has_phrase(phr, plen)) {
			row_err(c, COL_CONCEPTS, "concept \"%s\" has no phrases after its \":\"",
			    quoted(q, name, nlen));
			r->concepts_ok = false;
			continue;
		}
		if (find_concept(r, name, nlen) >= 0) {
			row_err(c, COL_CONCEPTS, "concept \"%s\" is listed twice",
			    quoted(q, name, nlen));
			r->concepts_ok = false;
			continue;
		}
		if (r->nc == BANK_MAX_CONCEPTS) {
			row_err(c, COL_CONCEPTS, "more than %d concepts", BANK_MAX_CONCEPTS);
			r->concepts_ok = false;
			break;
		}
		k = &r->cs[r->nc++];
		memset(k, 0, sizeof(*k));
		k->name = name;
		k->namelen = nlen;
		k->phrases = phr;
		k->phraseslen = plen;
		k->weight = 1;
	}
	if (pos == 0) {
		row_err(c, COL_CONCEPTS, "missing (write \"name: phrase | phrase; "
		    "name: phrase\")");
		r->concepts_ok = false;
	}
}

/*
 * weights or hints: items by name ("name: value") or by position. An item
 * is named when the text before its first ':' names a concept (for weights,
 * whenever it has a ':'); then every item must be.
 */
static void
parse_assignments(struct conv *c, struct row *r, int col)
{
	char *item, q[QUOTE_MAX + 8];
	size_t ilen, pos = 0;
	struct items it;
	bool named = false, too_many = false;

	if (r->len[col] == 0 || !r->concepts_ok || (c->bad & BIT(col)))
		return;
	/* first pass: named or by position */
	items_init(&it, r->v[col], r->len[col], ";\n");
	while (!named && items_next(&it, &item, &ilen)) {
		char *colon = memchr(item, ':', ilen);
		size_t nlen;

		if (colon == NULL)
			continue;
		nlen = (size_t)(colon - item);
		while (nlen > 0 && is_space(item[nlen - 1]))
			nlen--;
		named = col == COL_WEIGHTS || find_concept(r, item, nlen) >= 0;
	}
	items_init(&it, r->v[col], r->len[col], ";\n");
	while (items_next(&it, &item, &ilen)) {
		char *val = item;
		size_t vlen = ilen;
		int k;

		if (named) {
			char *colon;
			size_t nlen;

			if (ilen == 0)
				continue;
			colon = memchr(item, ':', ilen);
			nlen = colon != NULL ? (size_t)(colon - item) : 0;
			while (nlen > 0 && is_space(item[nlen - 1]))
				nlen--;
			if (colon == NULL || (k = find_concept(r, item, nlen)) < 0) {
				if (colon != NULL && col == COL_WEIGHTS)
					row_err(c, col, "no concept named \"%s\"",
					    quoted(q, item, nlen));
				else
					row_err(c, col, "\"%s\" does not start with a concept's "
					    "name and \":\" (name every item, or give them all in "
					    "order)", quoted(q, item, ilen));
				continue;
			}
			vlen = ilen - (size_t)(colon + 1 - item);
			val = span_trim(colon + 1, &vlen);
		} else {
			k = (int)pos++;
			if (ilen == 0)
				continue;
			if ((size_t)k >= r->nc) {
				if (!too_many)
					row_err(c, col, "more items than the %zu concept%s",
					    r->nc, r->nc == 1 ? "" : "s");
				too_many = true;
				continue;
			}
		}
		if (col == COL_WEIGHTS) {
			if (vlen != 1 || val[0] < '1' || val[0] > '5') {
				row_err(c, col, "\"%s\" is not a weight from 1 to 5",
				    quoted(q, val, vlen));
				continue;
			}
			if (r->cs[k].weight_set) {
				row_err(c, col, "concept \"%s\" has two weights",
				    quoted(q, r->cs[k].name, r->cs[k].namelen));
				continue;
			}
			r->cs[k].weight = val[0] - '0';
			r->cs[k].weight_set = true;
		} else {
			if (vlen == 0)
				continue;
			if (r->cs[k].hint != NULL) {
				row_err(c, col, "concept \"%s\" has two hints",
				    quoted(q, r->cs[k].name, r->cs[k].namelen));
				continue;
			}
			if (vlen > MAX_HINT) {
				row_err(c, col, "the hint for \"%s\" is longer than %d bytes "
				    "(one sentence)", quoted(q, r->cs[k].name, r->cs[k].namelen),
				    MAX_HINT);
				continue;
			}
			r->cs[k].hint = val;
			r->cs[k].hintlen = vlen;
		}
	}
}

/* Reads 1 to 9 digits at *p; false when there are none. */
static bool
read_int(const char **p, const char *end, int *out)
{
	int v = 0, n = 0;

	while (*p < end && **p >= '0' && **p <= '9' && n < 9) {
		v = v * 10 + (**p - '0');
		(*p)++;
		n++;
	}
	*out = v;
	return n > 0 && (*p >= end || **p < '0' || **p > '9');
}

static void
parse_answer_words(struct conv *c, struct row *r)
{
	const char *p = r->v[COL_ANSWER_WORDS], *end = p + r->len[COL_ANSWER_WORDS];
	char q[QUOTE_MAX + 8];
	int lo, hi;
	bool ok;

	if (p == end)
		return;
	ok = read_int(&p, end, &lo);
	while (ok && p < end && is_space(*p))
		p++;
	if (ok && p < end && *p == '-')
		p++;
	else if (ok && end - p >= 3 && memcmp(p, EN_DASH, 3) == 0)
		p += 3;
	else if (ok && end - p >= 2 && strncasecmp(p, "to", 2) == 0)
		p += 2;
	else
		ok = false;
	while (ok && p < end && is_space(*p))
		p++;
	ok = ok && read_int(&p, end, &hi) && p == end;
	if (!ok) {
		row_err(c, COL_ANSWER_WORDS, "\"%s\" is not a range of words like 40-250",
		    quoted(q, r->v[COL_ANSWER_WORDS], r->len[COL_ANSWER_WORDS]));
		return;
	}
	if (lo < 1 || hi > 5000) {
		row_err(c, COL_ANSWER_WORDS, "%d-%d is out of range (1 to 5000 words)", lo, hi);
		return;
	}
	if (lo >= hi) {
		row_err(c, COL_ANSWER_WORDS, "the minimum %d must be below the maximum %d", lo, hi);
		return;
	}
	if ((r->answer_words = json_object_new_array()) == NULL ||
	    json_object_array_add(r->answer_words, json_object_new_int(lo)) != 0 ||
	    json_object_array_add(r->answer_words, json_object_new_int(hi)) != 0)
		c->nomem = true;
}

static void
parse_follow_ups(struct conv *c, struct row *r)
{
	struct items it;
	char *s;
	size_t len;

	items_init(&it, r->v[COL_FOLLOW_UPS], r->len[COL_FOLLOW_UPS], "|\n");
	while (items_next(&it, &s, &len)) {
		struct json_object *v;

		if (len == 0)
			continue;
		if (r->follow_ups == NULL && (r->follow_ups = json_object_new_array()) == NULL) {
			c->nomem = true;
			return;
		}
		v = json_object_new_string_len(s, (int)len);
		if (v == NULL || json_object_array_add(r->follow_ups, v) != 0) {
			json_object_put(v);
			c->nomem = true;
		}
	}
}

static const char *
default_assesses(int type)
{
	switch (type) {
	case VOCAB_SYSTEM_DESIGN:
		return "How you turn an open problem into a workable design, and how you "
		    "reason about its trade-offs.";
	case VOCAB_BEHAVIORAL:
		return "How you acted in a real situation, what you did yourself, and what "
		    "came of it.";
	case VOCAB_SITUATIONAL:
		return "How you would reason through a realistic situation in the role, and "
		    "what you would put first.";
	case VOCAB_COMPETENCY:
		return "Whether you have shown this competency in your work, with evidence "
		    "from a real example.";
	default:
		return "Whether you understand the idea well enough to explain it plainly and "
		    "apply it to a real problem.";
	}
}

/* The default how_to_answer, written to out (for steps, it lists them). */
static const char *
default_how(const struct row *r, char *out, size_t outsz)
{
	static const char *const label[BANK_NSTEPS] = {
		"requirements", "estimates", "API", "data model", "high-level design",
		"scaling", "trade-offs", "failures", "monitoring"
	};
	size_t o;

	if (r->kind == BANK_STRUCT_STAR && r->type == VOCAB_SITUATIONAL)
		return "Say how you read the situation and what is at stake, then the "
		    "actions you would take and why, and the result you would aim for.";
	if (r->kind == BANK_STRUCT_STAR)
		return "Use STAR: set out the situation and your task briefly, spend most of "
		    "the answer on the actions you took yourself, and end with the result, "
		    "in numbers if you can.";
	if (r->kind == BANK_STRUCT_CRE)
		return "Open with a one-sentence answer, give the reason for it, then back "
		    "it with a concrete example from your own work.";
	o = (size_t)snprintf(out, outsz, "Work through the design in this order: ");
	for (size_t i = 0; i < r->nsteps && o < outsz; i++) {
		const char *sep = i == 0 ? "" : i + 1 == r->nsteps ? " and " : ", ";
		int n = snprintf(out + o, outsz - o, "%s%s", sep, label[r->steps[i]]);
		if (n < 0)
			break;
		o += (size_t)n;
	}
	if (o < outsz)
		snprintf(out + o, outsz - o, ". Say what you decide at each step and why.");
	return out;
}

static struct json_object *
str_len(const char *s, size_t len)
{
	return json_object_new_string_len(s, (int)len);
}

/* The rubric array of the row's concepts, defaults applied. */
static struct json_object *
rubric_json(struct conv *c, struct row *r)
{
	struct json_object *arr = json_object_new_array();

	for (size_t i = 0; arr != NULL && i < r->nc; i++) {
		struct concept *k = &r->cs[i];
		struct json_object *o = json_object_new_object();
		struct json_object *phr = json_object_new_array();
		struct items it;
		char *s, hint[MAX_NAME + 64];
		size_t len;
		bool ok = o != NULL && phr != NULL;

		items_init(&it, k->phrases, k->phraseslen, "|");
		while (ok && items_next(&it, &s, &len)) {
			struct json_object *v;
			if (len == 0)
				continue;
			v = str_len(s, len);
			ok = v != NULL && json_object_array_add(phr, v) == 0;
			if (!ok)
				json_object_put(v);
		}
		if (k->hint == NULL)
			snprintf(hint, sizeof(hint), "Say something about %.*s.",
			    (int)k->namelen, k->name);
		ok = ok && jsonv_put(o, "concept", str_len(k->name, k->namelen)) &&
		    jsonv_put_int(o, "weight", k->weight);
		if (ok) {
			ok = json_object_object_add(o, "phrases", phr) == 0;
			if (ok)
				phr = NULL;
		}
		ok = ok && (k->hint != NULL ? jsonv_put(o, "hint", str_len(k->hint, k->hintlen)) :
		    jsonv_put_str(o, "hint", hint));
		if (ok) {
			ok = json_object_array_add(arr, o) == 0;
			if (ok)
				o = NULL;
		}
		json_object_put(phr);
		json_object_put(o);
		if (!ok) {
			json_object_put(arr);
			arr = NULL;
		}
	}
	if (arr == NULL)
		c->nomem = true;
	return arr;
}

static void
row_release(struct row *r)
{
	json_object_put(r->topics);
	json_object_put(r->structure);
	json_object_put(r->follow_ups);
	json_object_put(r->answer_words);
}

/* Adds the question, its fields in the order of questions/README.md. */
static int
add_question(struct conv *c, struct row *r)
{
	struct csvimport *ci = c->ci;
	struct json_object *q = json_object_new_object();
	char how[512];
	struct entry *e;
	bool ok = q != NULL;

	ok = ok && jsonv_put(q, "id", str_len(r->v[COL_ID], r->len[COL_ID]));
	if (ok && r->type >= 0)
		ok = jsonv_put_str(q, "type", vocab_type_name(r->type));
	ok = ok && jsonv_put(q, "topics", json_object_get(r->topics));
	if (ok && r->level >= 0)
		ok = jsonv_put_str(q, "level", vocab_level_name(r->level));
	ok = ok && jsonv_put(q, "prompt", str_len(r->v[COL_PROMPT], r->len[COL_PROMPT]));
	ok = ok && (r->len[COL_ASSESSES] > 0 ?
	    jsonv_put(q, "assesses", str_len(r->v[COL_ASSESSES], r->len[COL_ASSESSES])) :
	    jsonv_put_str(q, "assesses", default_assesses(r->type)));
	ok = ok && (r->len[COL_HOW_TO_ANSWER] > 0 ?
	    jsonv_put(q, "how_to_answer", str_len(r->v[COL_HOW_TO_ANSWER],
	    r->len[COL_HOW_TO_ANSWER])) :
	    jsonv_put_str(q, "how_to_answer", default_how(r, how, sizeof(how))));
	if (ok && r->concepts_ok)
		ok = jsonv_put(q, "rubric", rubric_json(c, r));
	if (ok && r->structure != NULL)
		ok = jsonv_put(q, "structure", json_object_get(r->structure));
	ok = ok && jsonv_put(q, "model_answer", str_len(r->v[COL_MODEL_ANSWER],
	    r->len[COL_MODEL_ANSWER]));
	if (ok && r->follow_ups != NULL)
		ok = jsonv_put(q, "follow_ups", json_object_get(r->follow_ups));
	if (ok && r->answer_words != NULL)
		ok = jsonv_put(q, "answer_words", json_object_get(r->answer_words));

	if (ok && ci->n == ci->cap) {
		size_t ncap = ci->cap == 0 ? 64 : ci->cap * 2;
		struct entry *ne = realloc(ci->e, ncap * sizeof(*ne));
		ok = ne != NULL;
		if (ok) {
			ci->e = ne;
			ci->cap = ncap;
		}
	}
	if (!ok) {
		json_object_put(q);
		return DRILL_ENOMEM;
	}
	e = &ci->e[ci->n];
	if ((e->id = strndup(r->v[COL_ID], r->len[COL_ID])) == NULL) {
		json_object_put(q);
		return DRILL_ENOMEM;
	}
	e->q = q;
	e->row = c->row;
	e->bad = c->bad;
	e->dup = false;
	ci->n++;
	return 0;
}

static int
data_row(struct conv *c)
{
	struct row r;
	char empty[1] = "";
	bool beyond = false;
	int rc;

	memset(&r, 0, sizeof(r));
	c->bad = 0;
	record_shape(c);
	for (int k = 0; k < NCOLS; k++)
		r.v[k] = empty;
	for (size_t i = 0; i < c->nf; i++) {
		int col = i < c->nheader ? c->colof[i] : COL_EMPTY;
		const char *why = field_problem(c, i);

		if (col == COL_IGNORED)
			continue;
		if (why != NULL) {
			if (col >= 0)
				row_err(c, col, "%s", why);
			else
				field_err(c, i, "%s", why);
			continue;
		}
		if (col == COL_EMPTY) {
			if (is_blank_bytes(c->f[i], c->flen[i]))
				continue;
			if (i < c->nheader) {
				field_err(c, i, "a value in a column whose header is empty");
			} else if (!beyond) {
				field_err(c, i, "a value beyond the header's last column (the "
				    "header has %zu columns; is a cell holding the delimiter "
				    "not quoted?)", c->nheader);
				beyond = true;
			}
			continue;
		}
		r.len[col] = c->flen[i];
		r.v[col] = trim(c->f[i], &r.len[col]);
	}

	r.type = parse_word(c, &r, COL_TYPE, vocab_type_parse, vocab_type_name);
	r.level = parse_word(c, &r, COL_LEVEL, vocab_level_parse, vocab_level_name);
	parse_topics(c, &r);
	parse_structure(c, &r);
	parse_concepts(c, &r);
	parse_assignments(c, &r, COL_WEIGHTS);
	parse_assignments(c, &r, COL_HINTS);
	parse_follow_ups(c, &r);
	parse_answer_words(c, &r);
	rc = c->nomem ? DRILL_ENOMEM : add_question(c, &r);
	row_release(&r);
	return rc;
}

static int
cmp_entry(const void *a, const void *b)
{
	const struct entry *ea = *(const struct entry *const *)a;
	const struct entry *eb = *(const struct entry *const *)b;
	int d = strcmp(ea->id, eb->id);

	if (d != 0)
		return d;
	return ea->row < eb->row ? -1 : ea->row > eb->row;
}

/*
 * Reports ids used twice and drops the later rows, then builds the bank
 * object and the id index.
 */
static int
finish(struct conv *c, const char *name)
{
	struct csvimport *ci = c->ci;
	struct json_object *qs;
	char q[QUOTE_MAX + 8];
	size_t n = 0;

	if (ci->n > 0 && (ci->by_id = malloc(ci->n * sizeof(*ci->by_id))) == NULL)
		return DRILL_ENOMEM;
	for (size_t i = 0; i < ci->n; i++)
		if (ci->e[i].id[0] != '\0')
			ci->by_id[ci->nids++] = &ci->e[i];
	if (ci->nids > 0)
		qsort(ci->by_id, ci->nids, sizeof(*ci->by_id), cmp_entry);
	for (size_t i = 1, first = 0; i < ci->nids; i++) {
		if (strcmp(ci->by_id[i]->id, ci->by_id[first]->id) != 0) {
			first = i;
			continue;
		}
		ci->by_id[i]->dup = true;
		c->row = ci->by_id[i]->row;
		row_err(c, COL_ID, "\"%s\" is already the id of row %zu (this row is "
		    "not checked further)", quoted(q, ci->by_id[i]->id,
		    strlen(ci->by_id[i]->id)), ci->by_id[first]->row);
	}

	/* drop the duplicates, keeping the order of rows */
	for (size_t i = 0; i < ci->n; i++) {
		if (ci->e[i].dup) {
			json_object_put(ci->e[i].q);
			free(ci->e[i].id);
			continue;
		}
		ci->e[n++] = ci->e[i];
	}
	ci->n = n;
	ci->nids = 0;
	for (size_t i = 0; i < ci->n; i++)
		if (ci->e[i].id[0] != '\0')
			ci->by_id[ci->nids++] = &ci->e[i];
	if (ci->nids > 0)
		qsort(ci->by_id, ci->nids, sizeof(*ci->by_id), cmp_entry);

	if ((ci->bank = json_object_new_object()) == NULL ||
	    !jsonv_put_int(ci->bank, "format", BANK_FORMAT) ||
	    !jsonv_put_str(ci->bank, "name", name) ||
	    (qs = json_object_new_array()) == NULL ||
	    !jsonv_put(ci->bank, "questions", qs))
		return DRILL_ENOMEM;
	for (size_t i = 0; i < ci->n; i++) {
		if (json_object_array_add(qs, json_object_get(ci->e[i].q)) != 0) {
			json_object_put(ci->e[i].q);
			return DRILL_ENOMEM;
		}
	}
	return 0;
}

/* The default name: file's base name without its extension. */
static char *
default_name(const char *file)
{
	const char *base = strrchr(file, '/'), *dot;
	size_t len;

	base = base != NULL ? base + 1 : file;
	dot = strrchr(base, '.');
	len = dot != NULL && dot != base ? (size_t)(dot - base) : strlen(base);
	if (len == 0 || strcmp(base, "-") == 0)
		return strdup("imported");
	return strndup(base, len);
}

int
csvimport_convert(const char *file, const char *text, size_t len, const char *name,
    struct csvimport **out, struct drill_errors *errs)
{
	struct conv *c = NULL;
	char *dname = NULL;
	size_t nq = 0;
	int rc = 0, r;

	*out = NULL;
	memset(errs, 0, sizeof(*errs));
	if (len > CSVIMPORT_MAX_FILE) {
		drill_errors_add(errs, "%s: larger than %u MiB", file, CSVIMPORT_MAX_FILE >> 20);
		return DRILL_ETOOBIG;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return DRILL_ENOMEM;
	c->file = file;
	c->errs = errs;
	if (len >= 3 && memcmp(text, BOM, 3) == 0) {
		text += 3;
		len -= 3;
	}
	c->rd.p = text;
	c->rd.end = text + len;
	c->rd.delim = detect_delim(text, text + len);

	/* the header: the first row that is not blank */
	while ((r = read_record(&c->rd)) == 1) {
		take_fields(c);
		if (!record_blank(c))
			break;
	}
	if (r != 1) {
		if (r == DRILL_EINVAL)
			drill_errors_add(errs, "%s:%zu: a quote opened in this row is not closed "
			    "by the end of the file", file, c->rd.open_row);
		else if (r == 0)
			file_err(c, "no header row: the file is empty");
		rc = r == DRILL_ENOMEM ? DRILL_ENOMEM : DRILL_EINVAL;
		goto done;
	}
	if (header(c) != 0) {
		rc = DRILL_EINVAL;
		goto done;
	}
	if ((c->ci = calloc(1, sizeof(*c->ci))) == NULL ||
	    (c->ci->file = strdup(file)) == NULL ||
	    (name == NULL && (dname = default_name(file)) == NULL)) {
		rc = DRILL_ENOMEM;
		goto done;
	}

	while ((r = read_record(&c->rd)) == 1) {
		take_fields(c);
		if (record_blank(c))
			continue;
		if (nq == BANK_MAX_QUESTIONS) {
			drill_errors_add(errs, "%s:%zu: more than %d questions", file, c->row,
			    BANK_MAX_QUESTIONS);
			c->failed = true;
			break;
		}
		nq++;
		if ((rc = data_row(c)) != 0)
			goto done;
	}
	if (r == DRILL_ENOMEM) {
		rc = r;
		goto done;
	}
	if (r == DRILL_EINVAL) {
		char nm[24];
		c->row = c->rd.open_row;
		drill_errors_add(errs, "%s:%zu: %s: a quote opened in this row is not closed "
		    "by the end of the file", file, c->rd.open_row,
		    field_name(c, c->rd.open_field, nm));
		c->failed = true;
	}
	if (nq == 0 && r != DRILL_EINVAL) {
		file_err(c, "no questions: no rows below the header");
	}
	if ((rc = finish(c, name != NULL ? name : dname)) != 0)
		goto done;
	sort_by_row(file, errs);
	if (errs->nomem)
		rc = DRILL_ENOMEM;
	else if (c->failed)
		rc = DRILL_EINVAL;
done:
	if (rc == DRILL_ENOMEM || (rc != 0 && c->ci != NULL && c->ci->bank == NULL)) {
		csvimport_free(c->ci);
		c->ci = NULL;
	}
	*out = c->ci;
	free(dname);
	free(c->rd.buf);
	free(c);
	return rc;
}

int
csvimport_load(const char *path, const char *name, struct csvimport **out,
    struct drill_errors *errs)
{
	struct stat sb;
	char *buf = NULL;
	size_t len = 0, cap;
	int fd, rc;

	*out = NULL;
	memset(errs, 0, sizeof(*errs));
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 || fstat(fd, &sb) < 0) {
		drill_errors_add(errs, "%s: cannot read: %s", path, strerror(errno));
		rc = DRILL_EIO;
		goto done;
	}
	if (S_ISREG(sb.st_mode) && sb.st_size > (off_t)CSVIMPORT_MAX_FILE) {
		drill_errors_add(errs, "%s: larger than %u MiB", path, CSVIMPORT_MAX_FILE >> 20);
		rc = DRILL_ETOOBIG;
		goto done;
	}
	cap = S_ISREG(sb.st_mode) ? (size_t)sb.st_size + 1 : 64u << 10;
	if ((buf = malloc(cap)) == NULL) {
		rc = DRILL_ENOMEM;
		goto done;
	}
	for (;;) {
		ssize_t r;

		if (len == cap) {
			size_t ncap = cap * 2 > CSVIMPORT_MAX_FILE + 1 ? CSVIMPORT_MAX_FILE + 1 : cap * 2;
			char *nb;
			if (len > CSVIMPORT_MAX_FILE) {
				drill_errors_add(errs, "%s: larger than %u MiB", path,
				    CSVIMPORT_MAX_FILE >> 20);
				rc = DRILL_ETOOBIG;
				goto done;
			}
			if ((nb = realloc(buf, ncap)) == NULL) {
				rc = DRILL_ENOMEM;
				goto done;
			}
			buf = nb;
			cap = ncap;
		}
		r = read(fd, buf + len, cap - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			drill_errors_add(errs, "%s: cannot read: %s", path, strerror(errno));
			rc = DRILL_EIO;
			goto done;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	rc = csvimport_convert(path, buf, len, name, out, errs);
done:
	if (fd >= 0)
		close(fd);
	free(buf);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Checking with bank_load */

/* The column a problem line of bank.c is about (after "FILE: WHERE: "), or -1. */
static int
problem_column(const char *p)
{
	static const struct {
		const char *prefix;
		int col;
	} map[] = {
		{"id ", COL_ID}, {"id:", COL_ID}, {"duplicate id", COL_ID},
		{"type:", COL_TYPE}, {"topics", COL_TOPICS}, {"level:", COL_LEVEL},
		{"prompt:", COL_PROMPT}, {"assesses:", COL_ASSESSES},
		{"how_to_answer:", COL_HOW_TO_ANSWER}, {"model_answer:", COL_MODEL_ANSWER},
		{"rubric", COL_CONCEPTS}, {"concept:", COL_CONCEPTS}, {"hint:", COL_HINTS},
		{"structure", COL_STRUCTURE}, {"follow_ups", COL_FOLLOW_UPS},
		{"answer_words", COL_ANSWER_WORDS},
	};

	if (strncmp(p, "concept \"", 9) == 0) {
		if (strstr(p, "\": weight:") != NULL)
			return COL_WEIGHTS;
		if (strstr(p, "\": hint:") != NULL)
			return COL_HINTS;
		return COL_CONCEPTS;
	}
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strncmp(p, map[i].prefix, strlen(map[i].prefix)) == 0)
			return map[i].col;
	return -1;
}

static const struct entry *
entry_by_id(const struct csvimport *ci, const char *id, size_t len)
{
	size_t lo = 0, hi = ci->nids;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const char *s = ci->by_id[mid]->id;
		int d = strncmp(s, id, len);

		if (d == 0 && s[len] != '\0')
			d = 1;
		if (d == 0)
			return ci->by_id[mid];
		if (d > 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

/* drill_errors_add, then control characters of the new line become spaces:
 * bank.c quotes values as they are, and a CSV cell may hold line breaks. */
DRILL_PRINTF(2, 3) static void
add_line(struct drill_errors *errs, const char *fmt, ...)
{
	size_t n = errs->n;
	va_list ap;
	char buf[1024];

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	drill_errors_add(errs, "%s", buf);
	if (errs->n > n)
		for (char *p = errs->lines[n]; *p != '\0'; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				*p = ' ';
}

/* Maps one line of bank_load about path back to the CSV; appends it to errs. */
static void
map_line(const struct csvimport *ci, const char *path, const char *line,
    struct drill_errors *errs)
{
	size_t plen = strlen(path);
	const struct entry *e = NULL;
	const char *rest, *colon, *problem;
	int col;

	if (strncmp(line, path, plen) != 0 || strncmp(line + plen, ": ", 2) != 0) {
		add_line(errs, "%s: the bank made from it: %s", ci->file, line);
		return;
	}
	rest = line + plen + 2;
	if ((colon = strstr(rest, ": ")) == NULL) {
		add_line(errs, "%s: the bank made from it: %s", ci->file, rest);
		return;
	}
	if (strncmp(rest, "questions[", 10) == 0) {
		char *end;
		unsigned long i = strtoul(rest + 10, &end, 10);
		if (end == colon - 1 && *end == ']' && i < ci->n)
			e = &ci->e[i];
	}
	if (e == NULL)
		e = entry_by_id(ci, rest, (size_t)(colon - rest));
	if (e == NULL) {
		add_line(errs, "%s: the bank made from it: %s", ci->file, rest);
		return;
	}
	problem = colon + 2;
	col = problem_column(problem);
	if (col >= 0 && (e->bad & BIT(col)))
		return;
	if (col < 0) {
		add_line(errs, "%s:%zu: %s", ci->file, e->row, problem);
		return;
	}
	/* "FILE:ROW: column: problem" like conversion's lines: rubric is the
	 * concepts column, and a problem that does not start with its column
	 * gets it in front ('id "X" must be' -> 'id: "X" must be') */
	if (strncmp(problem, "rubric", 6) == 0)
		problem += 6;
	else if (strncmp(problem, col_names[col], strlen(col_names[col])) == 0)
		problem += strlen(col_names[col]);
	if (*problem == ':' || *problem == '[')
		add_line(errs, "%s:%zu: %s%s", ci->file, e->row, col_names[col], problem);
	else
		add_line(errs, "%s:%zu: %s: %s", ci->file, e->row, col_names[col],
		    problem + (*problem == ' '));
}

/* The row number of a line "FILE:ROW: ...", SIZE_MAX for a line about the whole file. */
static size_t
line_row(const char *file, const char *line)
{
	size_t flen = strlen(file), row = 0;
	const char *p;

	if (strncmp(line, file, flen) != 0 || line[flen] != ':')
		return SIZE_MAX;
	for (p = line + flen + 1; *p >= '0' && *p <= '9' && row < SIZE_MAX / 10; p++)
		row = row * 10 + (size_t)(*p - '0');
	return *p == ':' && row > 0 ? row : SIZE_MAX;
}

struct sorted_line {
	size_t row, idx;
	char *line;
};

static int
cmp_line(const void *a, const void *b)
{
	const struct sorted_line *x = a, *y = b;

	if (x->row != y->row)
		return x->row < y->row ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Sorts errs by row, keeping the order within a row; lines about the file last. */
static void
sort_by_row(const char *file, struct drill_errors *errs)
{
	struct sorted_line *v;

	if (errs->n < 2 || (v = malloc(errs->n * sizeof(*v))) == NULL)
		return;
	for (size_t i = 0; i < errs->n; i++) {
		v[i].row = line_row(file, errs->lines[i]);
		v[i].idx = i;
		v[i].line = errs->lines[i];
	}
	qsort(v, errs->n, sizeof(*v), cmp_line);
	for (size_t i = 0; i < errs->n; i++)
		errs->lines[i] = v[i].line;
	free(v);
}

int
csvimport_check(const struct csvimport *ci, const char *path, struct drill_errors *errs)
{
	struct drill_errors be;
	struct bank *b = NULL;
	struct stat sb;
	int rc;

	if (ci->n == 0)
		return DRILL_EINVAL;
	/* JSON takes more room than CSV: say which file is too large */
	if (stat(path, &sb) == 0 && sb.st_size > (off_t)BANK_MAX_FILE) {
		drill_errors_add(errs, "%s: the bank made from it would be larger than %u MiB, "
		    "the limit of a bank file; split the sheet", ci->file, BANK_MAX_FILE >> 20);
		sort_by_row(ci->file, errs);
		return DRILL_EINVAL;
	}
	rc = bank_load(&path, 1, &b, &be);
	bank_free(b);
	for (size_t i = 0; i < be.n; i++)
		map_line(ci, path, be.lines[i], errs);
	if (be.nomem)
		errs->nomem = 1;
	drill_errors_free(&be);
	sort_by_row(ci->file, errs);
	return rc;
}
