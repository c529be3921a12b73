/* Tests for csvimport.c: the CSV reader, the columns, defaults, every kind
 * of bad row named by its row, limits, and the result loading with bank_load. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <json-c/json.h>

#include "drill/bank.h"
#include "drill/csvimport.h"

static char dir[] = "/tmp/drill-csvimport-XXXXXX";

#define HEADER "id,type,topics,level,prompt,model_answer,concepts\n"
#define ROW(id) id ",technical,databases,mid,Why index?,Use an index.,index: index | b-tree\n"

/* Converts a NUL-terminated CSV named t.csv; returns the code. */
static int
conv(const char *csv, struct csvimport **ci, struct drill_errors *e)
{
	return csvimport_convert("t.csv", csv, strlen(csv), "t", ci, e);
}

static int
has_line(const struct drill_errors *e, const char *want)
{
	for (size_t i = 0; i < e->n; i++)
		if (strstr(e->lines[i], want) != NULL)
			return 1;
	return 0;
}

/* Fails listing what errs holds when no line contains want. */
#define assert_line(e, want) do { \
	if (!has_line((e), (want))) { \
		for (size_t i_ = 0; i_ < (e)->n; i_++) \
			print_error("  have: %s\n", (e)->lines[i_]); \
		fail_msg("expected a line containing \"%s\"", (want)); \
	} \
} while (0)

static void
assert_no_errors(const struct drill_errors *e)
{
	for (size_t i = 0; i < e->n; i++)
		print_error("  unexpected: %s\n", e->lines[i]);
	assert_int_equal(e->n, 0);
}

static struct json_object *
question(const struct csvimport *ci, size_t i)
{
	struct json_object *qs;

	assert_true(json_object_object_get_ex(csvimport_bank(ci), "questions", &qs));
	assert_true(i < json_object_array_length(qs));
	return json_object_array_get_idx(qs, i);
}

static struct json_object *
field(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	if (!json_object_object_get_ex(o, key, &v))
		return NULL;
	return v;
}

static const char *
str(struct json_object *o, const char *key)
{
	struct json_object *v = field(o, key);

	assert_non_null(v);
	assert_true(json_object_is_type(v, json_type_string));
	return json_object_get_string(v);
}

static struct json_object *
concept(const struct csvimport *ci, size_t qi, size_t k)
{
	struct json_object *r = field(question(ci, qi), "rubric");

	assert_non_null(r);
	assert_true(k < json_object_array_length(r));
	return json_object_array_get_idx(r, k);
}

static int
weight(const struct csvimport *ci, size_t qi, size_t k)
{
	return json_object_get_int(field(concept(ci, qi, k), "weight"));
}

/* The row of a line "t.csv:ROW: ...". */
static long
row_of(const char *line)
{
	assert_int_equal(strncmp(line, "t.csv:", 6), 0);
	return strtol(line + 6, NULL, 10);
}

/* The whole result as compact JSON, for comparing two conversions. */
static char *
dump(const struct csvimport *ci)
{
	return strdup(json_object_to_json_string_ext(csvimport_bank(ci), JSON_C_TO_STRING_PLAIN));
}

/* Writes the result to a file and runs csvimport_check on it. */
static int
check(const struct csvimport *ci, struct drill_errors *e)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/bank.json", dir);
	assert_int_equal(json_object_to_file_ext(path, csvimport_bank(ci),
	    JSON_C_TO_STRING_PRETTY), 0);
	return csvimport_check(ci, path, e);
}

/* ------------------------------------------------------------------ */

static void
test_minimal_row(void **state)
{
	struct csvimport *ci = NULL;
	struct drill_errors e;
	struct json_object *q;

	(void)state;
	assert_int_equal(conv(HEADER ROW("t.one"), &ci, &e), 0);
	assert_no_errors(&e);
	assert_int_equal(csvimport_count(ci), 1);
	assert_int_equal(csvimport_row(ci, 0), 2);
	assert_int_equal(json_object_get_int(field(csvimport_bank(ci), "format")), 1);
	assert_string_equal(str(csvimport_bank(ci), "name"), "t");
	q = question(ci, 0);
	assert_string_equal(str(q, "id"), "t.one");
	assert_string_equal(str(q, "type"), "technical");
	assert_string_equal(str(q, "level"), "mid");
	assert_string_equal(str(q, "prompt"), "Why index?");
	assert_string_equal(str(concept(ci, 0, 0), "concept"), "index");
	assert_int_equal(json_object_array_length(field(concept(ci, 0, 0), "phrases")), 2);
	/* exactly the fields the bank format allows, none left empty */
	json_object_object_foreach(q, k, v) {
		static const char *const allowed[] = {"id", "type", "topics", "level",
		    "prompt", "assesses", "how_to_answer", "rubric", "model_answer", NULL};
		int ok = 0;
		(void)v;
		for (size_t i = 0; allowed[i] != NULL; i++)
			ok |= strcmp(k, allowed[i]) == 0;
		if (!ok)
			fail_msg("unexpected field %s", k);
	}
	csvimport_free(ci);
	drill_errors_free(&e);
	csvimport_free(NULL);
}

static void
test_quoting_and_newlines(void **state)
{
	const char *csv = HEADER
	    "t.q,technical,databases,mid,\"He said \"\"index it\"\", then left, fast.\","
	    "\"First line,\nsecond line\n\nthird paragraph\","
	    "\"index: index | \"\"covering\"\" index\"\n"
	    ROW("t.after");
	struct csvimport *ci = NULL;
	struct drill_errors e;

	(void)state;
	assert_int_equal(conv(csv, &ci, &e), 0);
	assert_no_errors(&e);
	assert_int_equal(csvimport_count(ci), 2);
	assert_string_equal(str(question(ci, 0), "prompt"), "He said \"index it\", then left, fast.");
	assert_string_equal(str(question(ci, 0), "model_answer"),
	    "First line,\nsecond line\n\nthird paragraph");
	assert_string_equal(json_object_get_string(json_object_array_get_idx(
	    field(concept(ci, 0, 0), "phrases"), 1)), "\"covering\" index");
	/* a field over four lines is still one row */
	assert_int_equal(csvimport_row(ci, 1), 3);
	csvimport_free(ci);
	drill_errors_free(&e);
}

static void
test_crlf_bom_and_spaces(void **state)
{
	const char *lf = HEADER
	    "t.c,technical,databases,mid,Why?,\"a\nb\",index: index\n";
	const char *crlf = "\xef\xbb\xbf" "ID , Type,Topics,Level,Prompt,Model answer,Concepts\r\n"
	    "t.c,technical,databases,mid,Why?, \"a\r\nb\" ,index: index\r\n\r\n";
	struct csvimport *a = NULL, *b = NULL;
	struct drill_errors e;
	char *da, *db;

	(void)state;
	assert_int_equal(conv(lf, &a, &e), 0);
	drill_errors_free(&e);
	assert_int_equal(conv(crlf, &b, &e), 0);
	assert_no_errors(&e);
	da = dump(a);
	db = dump(b);
	assert_string_equal(da, db);
	assert_string_equal(str(question(b, 0), "model_answer"), "a\nb");
	free(da);
	free(db);
	csvimport_free(a);
	csvimport_free(b);
	drill_errors_free(&e);

	/* a lone CR ends rows too (old Mac exports) */
	assert_int_equal(conv("id,type,topics,level,prompt,model_answer,concepts\r"
	    "t.c,technical,databases,mid,Why?,\"a\rb\",index: index\r", &a, &e), 0);
	assert_string_equal(str(question(a, 0), "model_answer"), "a\nb");
	csvimport_free(a);
	drill_errors_free(&e);
}

static void
test_delimiters(void **state)
{
	const char *comma = "id,type,topics,level,prompt,model_answer,concepts,weights\n"
	    "t.d,technical,\"databases;caching\",mid,\"Why, and when?\",m,\"a: x; b: y\",\"3; 5\"\n";
	const char *semi = "id;type;topics;level;prompt;model_answer;concepts;weights\n"
	    "t.d;technical;\"databases;caching\";mid;Why, and when?;m;\"a: x; b: y\";\"3; 5\"\n";
	const char *tab = "id\ttype\ttopics\tlevel\tprompt\tmodel_answer\tconcepts\tweights\n"
	    "t.d\ttechnical\tdatabases;caching\tmid\tWhy, and when?\tm\ta: x; b: y\t3; 5\n";
	struct csvimport *a = NULL, *b = NULL, *c = NULL;
	struct drill_errors e;
	char *da, *db, *dc;

	(void)state;
	assert_int_equal(conv(comma, &a, &e), 0);
	drill_errors_free(&e);
	assert_int_equal(conv(semi, &b, &e), 0);
	drill_errors_free(&e);
	assert_int_equal(conv(tab, &c, &e), 0);
	assert_no_errors(&e);
	da = dump(a);
	db = dump(b);
	dc = dump(c);
	assert_string_equal(da, db);
	assert_string_equal(da, dc);
	assert_string_equal(str(question(a, 0), "prompt"), "Why, and when?");
	assert_int_equal(json_object_array_length(field(question(a, 0), "topics")), 2);
	assert_int_equal(weight(a, 0, 1), 5);
	free(da);
	free(db);
	free(dc);
	csvimport_free(a);
	csvimport_free(b);
	csvimport_free(c);
	drill_errors_free(&e);
}

static void
test_header_names(void **state)
{
	const char *csv = "CONCEPTS;Model-Answer; prompt ;LEVEL;Topics;TYPE;Id;How To Answer;"
	    "follow ups;answer_words;;\n"
	    "index: index;m;p;Senior;Databases;System Design;t.h;h;f1 | f2;10-20;;\n";
	struct csvimport *ci = NULL;
	struct drill_errors e;
	struct json_object *q;

	(void)state;
	assert_int_equal(conv(csv, &ci, &e), 0);
	assert_no_errors(&e);
	q = question(ci, 0);
	assert_string_equal(str(q, "id"), "t.h");
	assert_string_equal(str(q, "type"), "system-design");
	assert_string_equal(str(q, "level"), "senior");
	assert_string_equal(str(q, "how_to_answer"), "h");
	assert_int_equal(json_object_array_length(field(q, "follow_ups")), 2);
	assert_int_equal(json_object_get_int(json_object_array_get_idx(field(q, "answer_words"), 1)), 20);
	csvimport_free(ci);
	drill_errors_free(&e);
}

static void
test_defaults(void **state)
{
	const char *csv = "id,type,topics,level,prompt,model_answer,concepts,assesses,how_to_answer,"
	    "weights,hints,follow_ups,structure,answer_words\n"
	    "t.tech,technical,databases,mid,p,m,\"query plan: explain; indexes: index\",,,,,,,\n"
	    "t.design,system-design,system-design,senior,p,m,scaling: shard,,,,,,,\n"
	    "t.star,behavioral,teamwork,junior,p,m,listening: listened,,,,,,,\n"
	    "t.sit,situational,teamwork,junior,p,m,listening: listened,,,,,,,\n"
	    "t.steps,technical,api-design,mid,p,m,api: endpoint,,,,,,api > monitoring,\n";
	struct csvimport *ci = NULL;
	struct drill_errors e;
	struct json_object *q;

	(void)state;
	assert_int_equal(conv(csv, &ci, &e), 0);
	assert_no_errors(&e);
	q = question(ci, 0);
	assert_string_equal(str(q, "assesses"), "Whether you understand the idea well enough "
	    "to explain it plainly and apply it to a real problem.");
	assert_string_equal(str(q, "how_to_answer"), "Open with a one-sentence answer, give the "
	    "reason for it, then back it with a concrete example from your own work.");
	assert_int_equal(weight(ci, 0, 0), 1);
	assert_string_equal(str(concept(ci, 0, 0), "hint"), "Say something about query plan.");
	assert_string_equal(str(concept(ci, 0, 1), "hint"), "Say something about indexes.");
	assert_null(field(q, "structure"));
	assert_null(field(q, "answer_words"));
	assert_null(field(q, "follow_ups"));

	q = question(ci, 1);
	assert_string_equal(str(q, "how_to_answer"), "Work through the design in this order: "
	    "requirements, estimates, data model, scaling and trade-offs. Say what you "
	    "decide at each step and why.");
	assert_non_null(strstr(str(q, "assesses"), "trade-offs"));
	assert_string_equal(str(question(ci, 2), "how_to_answer"), "Use STAR: set out the "
	    "situation and your task briefly, spend most of the answer on the actions you "
	    "took yourself, and end with the result, in numbers if you can.");
	assert_non_null(strstr(str(question(ci, 3), "how_to_answer"), "actions you would take"));
	/* the structure column changes the default how_to_answer */
	assert_string_equal(str(question(ci, 4), "how_to_answer"), "Work through the design in "
	    "this order: API and monitoring. Say what you decide at each step and why.");
	csvimport_free(ci);
	drill_errors_free(&e);
}

static void
test_weights_and_hints(void **state)
{
	const char *csv = "id,type,topics,level,prompt,model_answer,concepts,weights,hints\n"
	    /* named, any order, case-insensitive; missing ones default */
	    "t.named,technical,databases,mid,p,m,\"Plan: explain; Index: index; Cost: cost\","
	    "\"index: 4; plan : 2\",\"cost: Say what it costs.; PLAN: Read the plan: first.\"\n"
	    /* by position; an empty item keeps the default; hints may hold ':' */
	    "t.pos,technical,databases,mid,p,m,\"plan: explain; index: index; cost: cost\","
	    "\"3; ; 5\",\"Note: read the plan first.; ; Say what it costs.\"\n"
	    /* one item per line inside the cell */
	    "t.lines,technical,databases,mid,p,m,\"plan: explain\nindex: index\",\"2\n3\",\n";
	struct csvimport *ci = NULL;
	struct drill_errors e;

	(void)state;
	assert_int_equal(conv(csv, &ci, &e), 0);
	assert_no_errors(&e);
	assert_int_equal(weight(ci, 0, 0), 2);
	assert_int_equal(weight(ci, 0, 1), 4);
	assert_int_equal(weight(ci, 0, 2), 1);
	assert_string_equal(str(concept(ci, 0, 0), "hint"), "Read the plan: first.");
	assert_string_equal(str(concept(ci, 0, 1), "hint"), "Say something about Index.");
	assert_string_equal(str(concept(ci, 0, 2), "hint"), "Say what it costs.");
	assert_string_equal(str(concept(ci, 0, 0), "concept"), "Plan");

	assert_int_equal(weight(ci, 1, 0), 3);
	assert_int_equal(weight(ci, 1, 1), 1);
	assert_int_equal(weight(ci, 1, 2), 5);
	assert_string_equal(str(concept(ci, 1, 0), "hint"), "Note: read the plan first.");
	assert_string_equal(str(concept(ci, 1, 1), "hint"), "Say something about index.");
	assert_string_equal(str(concept(ci, 1, 2), "hint"), "Say what it costs.");

	assert_int_equal(weight(ci, 2, 0), 2);
	assert_int_equal(weight(ci, 2, 1), 3);
	csvimport_free(ci);
	drill_errors_free(&e);
}

static void
test_lists(void **state)
{
	const char *csv = "id,type,topics,level,prompt,model_answer,concepts,follow_ups,"
	    "structure,answer_words\n"
	    "t.a,system-design,\"API design | Databases, caching;databases\",mid,p,m,"
	    "\"a: x | | y |\",\"One? | Two?\nThree?\",\"Requirements → API → data model\",40 - 250\n"
	    "t.b,technical,databases,mid,p,m,a: x,,\"Claim, reason, example\",40\xe2\x80\x93" "250\n"
	    "t.c,technical,databases,mid,p,m,a: x,,STAR,40 to 250\n";
	struct csvimport *ci = NULL;
	struct drill_errors e;
	struct json_object *q, *v;

	(void)state;
	assert_int_equal(conv(csv, &ci, &e), 0);
	assert_no_errors(&e);
	q = question(ci, 0);
	v = field(q, "topics");
	assert_int_equal(json_object_array_length(v), 3);	/* databases once */
	assert_string_equal(json_object_get_string(json_object_array_get_idx(v, 0)), "api-design");
	assert_int_equal(json_object_array_length(field(concept(ci, 0, 0), "phrases")), 2);
	assert_int_equal(json_object_array_length(field(q, "follow_ups")), 3);
	v = field(q, "structure");
	assert_true(json_object_is_type(v, json_type_array));
	assert_int_equal(json_object_array_length(v), 3);
	assert_string_equal(json_object_get_string(json_object_array_get_idx(v, 2)), "data-model");
	assert_int_equal(json_object_get_int(json_object_array_get_idx(field(q, "answer_words"), 0)), 40);
	assert_string_equal(str(question(ci, 1), "structure"), "claim-reason-example");
	assert_int_equal(json_object_get_int(json_object_array_get_idx(
	    field(question(ci, 1), "answer_words"), 1)), 250);
	assert_string_equal(str(question(ci, 2), "structure"), "star");
	assert_non_null(field(question(ci, 2), "answer_words"));
	csvimport_free(ci);
	drill_errors_free(&e);
}

/* Every kind of bad row, each named by its spreadsheet row. */
static void
test_bad_rows(void **state)
{
	const char *csv =
	    "id,type,topics,level,prompt,model_answer,concepts,weights,hints,structure,answer_words\n"
	    "t.ok,technical,databases,mid,p,m,a: x,,,,\n"				/* 2 */
	    "t.type,poetry,databases,mid,p,m,a: x,,,,\n"				/* 3 */
	    ",,,,,,,,,,\n"								/* 4 blank */
	    "t.level,technical,databases,guru,\"two\nlines\",m,a: x,,,,\n"		/* 5 */
	    "t.topic,technical,\"databases, cooking\",mid,p,m,a: x,,,,\n"		/* 6 */
	    "t.notopic,technical, ,mid,p,m,a: x,,,,\n"					/* 7 */
	    "\n"									/* 8 blank */
	    "t.nophr,technical,databases,mid,p,m,just words,,,,\n"			/* 9 */
	    "t.noname,technical,databases,mid,p,m,\": x\",,,,\n"			/* 10 */
	    "t.twice,technical,databases,mid,p,m,\"a: x; A: y\",,,,\n"		/* 11 */
	    "t.weight,technical,databases,mid,p,m,\"a: x; b: y\",\"9; 2\",,,\n"	/* 12 */
	    "t.wname,technical,databases,mid,p,m,a: x,zz: 3,,,\n"			/* 13 */
	    "t.wmany,technical,databases,mid,p,m,a: x,\"1; 2\",,,\n"			/* 14 */
	    "t.hmix,technical,databases,mid,p,m,\"a: x; b: y\",,\"a: h.; nope\",,\n"	/* 15 */
	    "t.step,technical,databases,mid,p,m,a: x,,,\"requirements, vibes\",\n"	/* 16 */
	    "t.words,technical,databases,mid,p,m,a: x,,,,lots\n"			/* 17 */
	    "t.range,technical,databases,mid,p,m,a: x,,,,300-200\n"			/* 18 */
	    "t.ok,technical,databases,mid,p,m,a: x,,,,\n"				/* 19 */
	    "t.extra,technical,databases,mid,p,m,a: x,,,,,surplus\n"			/* 20 */
	    "t.junk,technical,databases,mid,\"p\"junk,m,a: x,,,,\n"			/* 21 */
	    "t.noconc,technical,databases,mid,p,m,,,,,\n"				/* 22 */
	    "t.mtype,,databases,mid,p,m,a: x,,,,\n";					/* 23 */
	char buf[4096], hint[400];
	struct csvimport *ci = NULL;
	struct drill_errors e;

	(void)state;
	memset(hint, 'h', 350);
	hint[350] = '\0';
	snprintf(buf, sizeof(buf), "%s" "t.hlong,technical,databases,mid,p,m,a: x,,%s,,\n", /* 24 */
	    csv, hint);
	assert_int_equal(conv(buf, &ci, &e), DRILL_EINVAL);
	assert_non_null(ci);	/* for csvimport_check */
	assert_line(&e, "t.csv:3: type: unknown type \"poetry\" (one of technical, system-design");
	assert_line(&e, "t.csv:5: level: unknown level \"guru\" (one of junior, mid, senior)");
	assert_line(&e, "t.csv:6: topics: unknown topic \"cooking\"");
	assert_line(&e, "t.csv:7: topics: missing");
	assert_line(&e, "t.csv:9: concepts: concept \"just words\" has no phrases");
	assert_line(&e, "t.csv:10: concepts: concept 1 has no name");
	assert_line(&e, "t.csv:11: concepts: concept \"A\" is listed twice");
	assert_line(&e, "t.csv:12: weights: \"9\" is not a weight from 1 to 5");
	assert_line(&e, "t.csv:13: weights: no concept named \"zz\"");
	assert_line(&e, "t.csv:14: weights: more items than the 1 concept");
	assert_line(&e, "t.csv:15: hints: \"nope\" does not start with a concept's name");
	assert_line(&e, "t.csv:16: structure: unknown step \"vibes\"");
	assert_line(&e, "t.csv:17: answer_words: \"lots\" is not a range");
	assert_line(&e, "t.csv:18: answer_words: the minimum 300 must be below the maximum 200");
	assert_line(&e, "t.csv:19: id: \"t.ok\" is already the id of row 2");
	assert_line(&e, "t.csv:20: column L: a value beyond the header's last column (the "
	    "header has 11 columns");
	assert_line(&e, "t.csv:21: prompt: text after a closing quote");
	assert_line(&e, "t.csv:22: concepts: missing");
	assert_line(&e, "t.csv:23: type: missing");
	assert_line(&e, "t.csv:24: hints: the hint for \"a\" is longer than 300 bytes");
	assert_false(has_line(&e, "t.csv:2:"));
	assert_false(has_line(&e, "t.csv:4:"));
	assert_false(has_line(&e, "t.csv:8:"));
	/* one problem per line, sorted by row */
	assert_int_equal(e.n, 20);
	for (size_t i = 0; i < e.n; i++)
		assert_null(strchr(e.lines[i], '\n'));
	for (size_t i = 1; i < e.n; i++)
		assert_true(row_of(e.lines[i - 1]) <= row_of(e.lines[i]));
	/* the duplicate row is left out; the others are there to be checked */
	assert_int_equal(csvimport_count(ci), 20);
	csvimport_free(ci);
	drill_errors_free(&e);
}

static void
test_columns(void **state)
{
	struct csvimport *ci = NULL;
	struct drill_errors e;

	(void)state;
	/* an unknown column is an error, not dropped; the rows are still read */
	assert_int_equal(conv("id,type,topics,level,prompt,model_answer,concepts,Colour\n"
	    ROW("t.one"), &ci, &e), DRILL_EINVAL);
	assert_line(&e, "t.csv:1: column H: unknown column \"Colour\" (the columns are id,");
	assert_int_equal(e.n, 1);
	assert_non_null(ci);
	csvimport_free(ci);
	drill_errors_free(&e);

	/* a missing required column stops the import */
	assert_int_equal(conv("\n\nid,type,topics,level,prompt,model answer\n"
	    "t.one,technical,databases,mid,p,m\n", &ci, &e), DRILL_EINVAL);
	assert_null(ci);
	assert_line(&e, "t.csv:3: concepts: required column missing");
	assert_int_equal(e.n, 1);
	drill_errors_free(&e);

	/* a column named twice; a value under an empty header */
	assert_int_equal(conv("id,type,topics,level,prompt,model_answer,concepts,Prompt,\n"
	    "t.one,technical,databases,mid,p,m,a: x,,stray\n", &ci, &e), DRILL_EINVAL);
	assert_line(&e, "t.csv:1: column H: \"Prompt\" repeats the prompt column (column E)");
	assert_line(&e, "t.csv:2: column I: a value in a column whose header is empty");
	csvimport_free(ci);
	drill_errors_free(&e);

	/* empty trailing columns, as spreadsheets export them, are fine */
	assert_int_equal(conv("id,type,topics,level,prompt,model_answer,concepts,,,\n"
	    "t.one,technical,databases,mid,p,m,a: x,,,\n,,,,,,,,,\n", &ci, &e), 0);
	csvimport_free(ci);
	drill_errors_free(&e);

	/* no header, no rows */
	assert_int_equal(conv("", &ci, &e), DRILL_EINVAL);
	assert_line(&e, "t.csv: no header row");
	drill_errors_free(&e);
	assert_int_equal(conv(" \r\n,,\n", &ci, &e), DRILL_EINVAL);
	assert_line(&e, "t.csv: no header row");
	drill_errors_free(&e);
	assert_int_equal(conv(HEADER "\n,,,\n", &ci, &e), DRILL_EINVAL);
	assert_line(&e, "t.csv: no questions");
	csvimport_free(ci);
	drill_errors_free(&e);
}

static void
test_invalid_utf8(void **state)
{
	struct csvimport *ci = NULL;
	struct drill_errors e;

	(void)state;
	assert_int_equal(conv(HEADER ROW("t.one")
	    "t.two,technical,databases,mid,caf\xe9?,m,a: x\n"
	    "t.three,technical,databases,mid,p,\xc0\x80,a: x\n", &ci, &e), DRILL_EINVAL);
	assert_line(&e, "t.csv:3: prompt: not valid UTF-8");
	assert_line(&e, "t.csv:4: model_answer: not valid UTF-8");
	assert_int_equal(e.n, 2);
	csvimport_free(ci);
	drill_errors_free(&e);

	assert_int_equal(conv("id,type,topics,level,prompt,model_answer,concepts,\xff\n"
	    ROW("t.one"), &ci, &e), DRILL_EINVAL);
	assert_line(&e, "t.csv:1: column H: not valid UTF-8");
	csvimport_free(ci);
	drill_errors_free(&e);

	/* a NUL byte */
	assert_int_equal(csvimport_convert("t.csv", HEADER "t.n,technical,databases,mid,a\0b,m,a: x\n",
	    sizeof(HEADER "t.n,technical,databases,mid,a\0b,m,a: x\n") - 1, NULL, &ci, &e),
	    DRILL_EINVAL);
	assert_line(&e, "t.csv:2: prompt: contains a NUL byte");
	assert_string_equal(str(csvimport_bank(ci), "name"), "t");	/* from the file name */
	csvimport_free(ci);
	drill_errors_free(&e);
}

static void
test_limits(void **state)
{
	size_t big = CSVIMPORT_MAX_FILE + 1;
	char *s = malloc(big + 1);
	struct csvimport *ci = NULL;
	struct drill_errors e;
	int n;

	(void)state;
	assert_non_null(s);
	memset(s, 'a', big);
	s[big] = '\0';
	assert_int_equal(csvimport_convert("t.csv", s, big, "t", &ci, &e), DRILL_ETOOBIG);
	assert_null(ci);
	assert_line(&e, "t.csv: larger than 8 MiB");
	drill_errors_free(&e);

	/* a field over 64 KiB */
	n = snprintf(s, big, HEADER "t.big,technical,databases,mid,p,");
	memset(s + n, 'x', CSVIMPORT_MAX_FIELD + 1);
	snprintf(s + n + CSVIMPORT_MAX_FIELD + 1, 64, ",a: x\n");
	assert_int_equal(conv(s, &ci, &e), DRILL_EINVAL);
	assert_line(&e, "t.csv:2: model_answer: longer than 64 KiB");
	csvimport_free(ci);
	drill_errors_free(&e);

	/* too many columns in a row */
	n = snprintf(s, big, HEADER "t.wide,technical,databases,mid,p,m,a: x");
	for (int i = 0; i < CSVIMPORT_MAX_COLUMNS; i++)
		s[n++] = ',';
	s[n++] = '\n';
	s[n] = '\0';
	assert_int_equal(conv(s, &ci, &e), DRILL_EINVAL);
	assert_line(&e, "t.csv:2: more than 256 columns");
	csvimport_free(ci);
	drill_errors_free(&e);
	free(s);
}

static void
test_unterminated_quote(void **state)
{
	struct csvimport *ci = NULL;
	struct drill_errors e;

	(void)state;
	assert_int_equal(conv(HEADER ROW("t.one")
	    "t.two,technical,databases,mid,\"where does\nit\nend,m,a: x\n"
	    ROW("t.three") ROW("t.four"), &ci, &e), DRILL_EINVAL);
	assert_line(&e, "t.csv:3: prompt: a quote opened in this row is not closed");
	assert_int_equal(e.n, 1);
	assert_int_equal(csvimport_count(ci), 1);	/* the rows before it */
	csvimport_free(ci);
	drill_errors_free(&e);

	assert_int_equal(conv("id,\"type\n", &ci, &e), DRILL_EINVAL);
	assert_line(&e, "t.csv:1: a quote opened in this row is not closed");
	assert_null(ci);
	drill_errors_free(&e);
}

/* A good file's result loads with bank_load, as drilld would load it. */
static void
test_result_loads(void **state)
{
	const char *csv = "\xef\xbb\xbfID;Type;Topics;Level;Prompt;Model answer;Concepts;Weights;"
	    "Hints;Follow-ups;Structure;Answer words\r\n"
	    "rec.pool;Technical;Databases, performance;Junior;Why pool connections?;"
	    "\"Opening one costs a handshake.\r\nReuse avoids it.\";"
	    "\"cost: handshake | expensive to open; reuse: reuse | keep open\";\"cost: 3; reuse: 4\";"
	    "\"cost: Explain what opening a connection costs.\";\"How do you size it?\";;40-200\r\n"
	    "rec.design;System design;system-design;Senior;Design a URL shortener.;"
	    "We agree on requirements first.;\"hashing: hash | base62; storage: key value\";\"5; 2\";"
	    ";;Requirements > API > Data model;\r\n";
	char path[512];
	const char *paths[1];
	struct csvimport *ci = NULL;
	struct drill_errors e;
	struct bank *b = NULL;
	const struct bank_question *q;

	(void)state;
	assert_int_equal(conv(csv, &ci, &e), 0);
	assert_no_errors(&e);
	assert_int_equal(check(ci, &e), 0);
	assert_no_errors(&e);

	snprintf(path, sizeof(path), "%s/bank.json", dir);
	paths[0] = path;
	assert_int_equal(bank_load(paths, 1, &b, &e), 0);
	q = bank_find(b, "rec.pool");
	assert_non_null(q);
	assert_int_equal(q->nconcepts, 2);
	assert_int_equal(q->total_weight, 7);
	assert_int_equal(q->min_words, 40);
	assert_int_equal(q->max_words, 200);
	assert_int_equal(q->nfollow_ups, 1);
	assert_string_equal(q->model_answer, "Opening one costs a handshake.\nReuse avoids it.");
	assert_string_equal(q->concepts[1].hint, "Say something about reuse.");
	q = bank_find(b, "rec.design");
	assert_non_null(q);
	assert_int_equal(q->structure, BANK_STRUCT_STEPS);
	assert_int_equal(q->nsteps, 3);
	assert_int_equal(q->steps[1], BANK_STEP_API);
	assert_int_equal(q->concepts[0].weight, 5);
	bank_free(b);
	drill_errors_free(&e);
	csvimport_free(ci);
}

/* What only bank_load finds is still named by row; nothing is said twice. */
static void
test_check_maps_rows(void **state)
{
	char csv[4096], phrase[260];
	struct csvimport *ci = NULL;
	struct drill_errors e;

	(void)state;
	memset(phrase, 'p', 250);
	phrase[250] = '\0';
	snprintf(csv, sizeof(csv), HEADER
	    ROW("t.ok")							/* 2 */
	    "Bad Id,technical,databases,mid,p,m,a: x\n"			/* 3 */
	    "t.empty,technical,databases,mid,  ,m,a: x\n"			/* 4 */
	    "\n"							/* 5 */
	    "t.phrase,technical,databases,mid,p,m,a: %s\n"		/* 6 */
	    "t.type,poetry,databases,mid,p,m,a: x\n"			/* 7 */
	    "t.noconc,technical,databases,mid,p,m,nothing\n"		/* 8 */
	    ",technical,databases,mid,p,m,a: x\n"			/* 9 */
	    "\"two\nlines\",technical,databases,mid,p,m,a: x\n",	/* 10 */
	    phrase);
	assert_int_equal(conv(csv, &ci, &e), DRILL_EINVAL);
	assert_int_equal(e.n, 2);	/* rows 7 and 8 */
	assert_int_equal(check(ci, &e), DRILL_EINVAL);
	assert_line(&e, "t.csv:3: id: \"Bad Id\" must be 1 to 128 characters");
	assert_line(&e, "t.csv:4: prompt: must not be empty");
	assert_line(&e, "t.csv:6: concepts: concept \"a\": phrases[0]: longer than 200 bytes");
	assert_line(&e, "t.csv:7: type: unknown type \"poetry\"");
	assert_line(&e, "t.csv:8: concepts: concept \"nothing\" has no phrases");
	assert_line(&e, "t.csv:9: id: must not be empty");
	assert_line(&e, "t.csv:10: id: \"two lines\" must be");	/* still one line */
	/* conversion's problems are not repeated by bank_load's */
	assert_false(has_line(&e, "required field missing"));
	assert_false(has_line(&e, "rubric"));
	assert_int_equal(e.n, 7);
	for (size_t i = 0; i < e.n; i++)
		assert_null(strchr(e.lines[i], '\n'));
	/* sorted by row */
	assert_non_null(strstr(e.lines[0], "t.csv:3:"));
	assert_non_null(strstr(e.lines[6], "t.csv:10:"));
	csvimport_free(ci);
	drill_errors_free(&e);
}

static void
test_load_file(void **state)
{
	char path[512];
	FILE *f;
	struct csvimport *ci = NULL;
	struct drill_errors e;

	(void)state;
	snprintf(path, sizeof(path), "%s/Recruiting Q3.csv", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(HEADER ROW("t.one"), f);
	fclose(f);
	assert_int_equal(csvimport_load(path, NULL, &ci, &e), 0);
	assert_string_equal(str(csvimport_bank(ci), "name"), "Recruiting Q3");
	csvimport_free(ci);
	drill_errors_free(&e);

	assert_int_equal(csvimport_load("/nonexistent/q.csv", NULL, &ci, &e), DRILL_EIO);
	assert_null(ci);
	assert_line(&e, "/nonexistent/q.csv: cannot read");
	drill_errors_free(&e);
}

/* Every prefix of a good file, and random mutations of it: no crash, no leak. */
static void
test_no_crash(void **state)
{
	const char *good = "\xef\xbb\xbfid;type;topics;level;prompt;model_answer;concepts;weights;"
	    "hints;follow_ups;structure;answer_words\r\n"
	    "t.a;technical;databases;mid;\"q \"\"x\"\"\nq\";m;\"a: x | y; b: z\";\"a: 2\";\"b: h.\";"
	    "\"f | g\";\"requirements > api\";10-20\r\n"
	    "t.b;behavioral;teamwork;junior;p;m;\"c: w\";3;\"h\";;star;\r\n";
	size_t len = strlen(good);
	char *buf = malloc(len + 1);
	uint32_t seed = 12345;
	static const char alphabet[] = "\"\";,\t\r\n:|>-x \xff\xc3\xa9\xe2\x86\x92";

	(void)state;
	assert_non_null(buf);
	for (size_t cut = 0; cut <= len; cut++) {
		struct csvimport *ci = NULL;
		struct drill_errors e;
		int rc = csvimport_convert("t.csv", good, cut, "t", &ci, &e);
		assert_true(rc == 0 || rc == DRILL_EINVAL);
		if (ci != NULL && csvimport_count(ci) > 0 && cut % 16 == 0)
			(void)check(ci, &e);
		csvimport_free(ci);
		drill_errors_free(&e);
	}
	for (int round = 0; round < 3000; round++) {
		struct csvimport *ci = NULL;
		struct drill_errors e;
		int rc;

		memcpy(buf, good, len + 1);
		for (int k = 0; k < 1 + round % 8; k++) {
			seed = seed * 1103515245u + 12345u;
			buf[(seed >> 8) % len] = alphabet[(seed >> 20) % (sizeof(alphabet) - 1)];
		}
		rc = csvimport_convert("t.csv", buf, len, NULL, &ci, &e);
		assert_true(rc == 0 || rc == DRILL_EINVAL);
		assert_true(rc == 0 ? e.n == 0 : e.n > 0);
		if (ci != NULL && csvimport_count(ci) > 0 && round % 50 == 0)
			(void)check(ci, &e);
		csvimport_free(ci);
		drill_errors_free(&e);
	}
	free(buf);
}

static int
setup(void **state)
{
	(void)state;
	return mkdtemp(dir) == NULL;
}

static int
teardown(void **state)
{
	char cmd[600];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) != 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_minimal_row),
		cmocka_unit_test(test_quoting_and_newlines),
		cmocka_unit_test(test_crlf_bom_and_spaces),
		cmocka_unit_test(test_delimiters),
		cmocka_unit_test(test_header_names),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_weights_and_hints),
		cmocka_unit_test(test_lists),
		cmocka_unit_test(test_bad_rows),
		cmocka_unit_test(test_columns),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_unterminated_quote),
		cmocka_unit_test(test_result_loads),
		cmocka_unit_test(test_check_maps_rows),
		cmocka_unit_test(test_load_file),
		cmocka_unit_test(test_no_crash),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
