/*
 * csvimport.h - turns a spreadsheet's CSV export into a question bank
 * (questions/README.md, "Importing from a spreadsheet", says the same for
 * the people who write the sheets).
 *
 * The CSV (RFC 4180, read leniently where spreadsheets differ):
 *  - Fields are separated by a comma, a semicolon or a tab: whichever of the
 *    three occurs most often (outside quotes) in the header row; a tie goes
 *    to the comma, then the semicolon.
 *  - A field may be quoted with "; inside quotes "" is one quote, and the
 *    delimiter and line breaks are plain text. Spaces around a quoted field
 *    are ignored. Text after a closing quote (`"a"b`) is an error; a quote
 *    inside an unquoted field is kept as it is. A quote still open at the
 *    end of the file is an error naming the row where it opened.
 *  - Rows end with CRLF, LF or a lone CR; a line break inside a quoted field
 *    becomes LF. A leading UTF-8 byte order mark is skipped.
 *  - Rows are numbered as the spreadsheet numbers them: the first row of
 *    the file is row 1, a quoted field with line breaks is still one row,
 *    and blank rows count but are skipped (a row is blank when every field
 *    is empty or white space). The first non-blank row is the header.
 *  - Every field must be valid UTF-8 (no NUL byte) and at most
 *    CSVIMPORT_MAX_FIELD bytes; the file at most CSVIMPORT_MAX_FILE bytes;
 *    a row at most CSVIMPORT_MAX_COLUMNS fields; at most BANK_MAX_QUESTIONS
 *    question rows. Spaces, tabs and line breaks around every value and
 *    every item of a list are trimmed.
 *
 * Columns are found by their header, in any order. Header names compare
 * case-insensitively, and spaces, underscores and hyphens are equal
 * ("Model answer" = "model_answer" = "MODEL-ANSWER"). A header that is not
 * one of the columns below is an error (a typo must not drop a column
 * silently). A column with an empty header is ignored, but a value in it,
 * or beyond the header's last column, is an error.
 *
 * Required columns:
 *   id            the question id, copied as written (a-z 0-9 . - _)
 *   type          technical, system-design, behavioral, situational, competency
 *   topics        one or more topics separated by "," ";" "|" or line breaks
 *   level         junior, mid, senior
 *   prompt        the question as it is posted
 *   model_answer  a strong answer
 *   concepts      the rubric: "name: phrase | phrase; name: phrase | phrase":
 *                 one concept per ";" (or line break), its name before the
 *                 first ":", its phrases after it separated by "|"
 * Optional columns (an empty cell means the default):
 *   assesses      default by type (below)
 *   how_to_answer default by the answer structure (below)
 *   weights       "name: 3; name: 5" (named) or "3; 5" (by position, an
 *                 empty item keeps the default); integers 1-5, default 1
 *   hints         "name: hint; name: hint" or "hint; hint" by position; an
 *                 item is named when the text before its first ":" is a
 *                 concept's name; either every item is named or none is;
 *                 default "Say something about <name>."
 *   follow_ups    separated by "|" or line breaks
 *   structure     star, claim-reason-example, or design steps separated by
 *                 "," ">" or "→" (requirements > estimates > api ...)
 *   answer_words  "40-250" (also with an en dash or "to")
 * Values of type, level, topics and structure are read case-insensitively
 * with spaces and underscores taken as hyphens ("System design" =
 * "system-design"); ids and texts are copied as they are. Concept names
 * compare case-insensitively in weights and hints, and must be unique.
 *
 * Defaults chosen here:
 *   assesses by type: technical "Whether you understand the idea well enough
 *     to explain it plainly and apply it to a real problem."; system-design
 *     "How you turn an open problem into a workable design, and how you
 *     reason about its trade-offs."; behavioral "How you acted in a real
 *     situation, what you did yourself, and what came of it."; situational
 *     "How you would reason through a realistic situation in the role, and
 *     what you would put first."; competency "Whether you have shown this
 *     competency in your work, with evidence from a real example."
 *   how_to_answer by the structure in effect (the structure column, else the
 *     type's default): claim-reason-example "Open with a one-sentence
 *     answer, give the reason for it, then back it with a concrete example
 *     from your own work."; star "Use STAR: set out the situation and your
 *     task briefly, spend most of the answer on the actions you took
 *     yourself, and end with the result, in numbers if you can." (for a
 *     situational question: "Say how you read the situation and what is at
 *     stake, then the actions you would take and why, and the result you
 *     would aim for."); design steps "Work through the design in this
 *     order: requirements, estimates, data model, scaling and trade-offs.
 *     Say what you decide at each step and why." (the steps in effect).
 *   structure, answer_words and follow_ups are left out when empty, so the
 *     bank's own defaults by type apply.
 *
 * The result is a json-c object {"format": 1, "name": NAME, "questions":
 * [...]} holding only fields the bank format allows, questions in row order
 * with their fields in the order questions/README.md lists them, and every
 * concept with "concept", "weight", "phrases" and "hint".
 *
 * Problems are collected, never printed: one line each in a struct
 * drill_errors, "FILE:ROW: column: problem" (a column is named as above,
 * or by its spreadsheet letter, "column D", when it has no known name), or
 * "FILE: problem" for the file as a whole. Conversion reports what it must
 * understand to write the JSON (the CSV itself, columns, list syntax,
 * vocabularies, weights, lengths of hints and concept names, duplicate
 * ids); csvimport_check then loads the result with bank_load, the loader
 * drilld and `drillctl lint` use, and reports its findings by row too.
 */
#ifndef DRILL_CSVIMPORT_H
#define DRILL_CSVIMPORT_H

#include <stddef.h>

#include "drill/bank.h"
#include "drill/common.h"

#define CSVIMPORT_MAX_FILE BANK_MAX_FILE	/* 8 MiB, like a bank file */
#define CSVIMPORT_MAX_FIELD (64u << 10)		/* 64 KiB per field */
#define CSVIMPORT_MAX_COLUMNS 256		/* fields per row */

struct json_object;
struct csvimport;

/*
 * Converts text[0..len) (need not be NUL-terminated), read from file (used
 * only in error lines), into a bank called name (NULL: file's base name
 * without its extension, or "imported" when that is empty). errs is
 * emptied first, then gets every problem, sorted by row (lines about the
 * whole file last). Returns:
 *   0             no problem; *out is the caller's (csvimport_free)
 *   DRILL_EINVAL  problems in errs; *out is still set when the header was
 *                 usable (rows with problems are converted as far as they
 *                 go, so that csvimport_check can find their other
 *                 problems; rows repeating an earlier id are left out), else
 *                 NULL. Never write such a result: it is for checking only
 *   DRILL_ETOOBIG len > CSVIMPORT_MAX_FILE (a line in errs); *out is NULL
 *   DRILL_ENOMEM  *out is NULL
 */
int csvimport_convert(const char *file, const char *text, size_t len, const char *name,
    struct csvimport **out, struct drill_errors *errs) DRILL_WUR;

/*
 * Reads the file at path (at most CSVIMPORT_MAX_FILE bytes; any file that
 * can be read, a pipe too) and converts it as csvimport_convert does. Adds
 * DRILL_EIO ("PATH: cannot read: ...") to its returns.
 */
int csvimport_load(const char *path, const char *name, struct csvimport **out,
    struct drill_errors *errs) DRILL_WUR;

/* Releases a result; NULL does nothing. */
void csvimport_free(struct csvimport *ci);

/* The bank object (borrowed: json_object_get it to keep it past csvimport_free). */
struct json_object *csvimport_bank(const struct csvimport *ci);

/* Number of questions in the result, and the spreadsheet row of the i-th (0 if none). */
size_t csvimport_count(const struct csvimport *ci);
size_t csvimport_row(const struct csvimport *ci, size_t i);

/*
 * Validates the result as drilld would: bank_load of path, a file the
 * caller wrote csvimport_bank(ci) to. Appends each problem bank_load finds
 * to errs as "FILE:ROW: column: problem" (the question's row in the CSV;
 * rubric problems name the concepts column), leaving out those about a
 * column whose problem conversion already reported for that row, then
 * sorts all of errs (conversion's lines too) by row again. A problem of
 * the bank file as a whole reads "FILE: the bank made from it: ...".
 * Returns 0 when the bank loads, else bank_load's error (DRILL_EINVAL,
 * DRILL_EIO, DRILL_ENOMEM); DRILL_EINVAL without loading when there are no
 * questions or the file is over BANK_MAX_FILE (a line says so).
 */
int csvimport_check(const struct csvimport *ci, const char *path,
    struct drill_errors *errs) DRILL_WUR;

#endif
