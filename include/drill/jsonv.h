/*
 * jsonv.h - JSON from outside, validated once, the same way everywhere
 * (design.md, "Data safety rules"); and small helpers to build replies.
 *
 * json-c 0.16 is lax even with JSON_TOKENER_STRICT | VALIDATE_UTF8: it takes
 * overlong UTF-8, surrogates and code points above U+10FFFF, and NaN and
 * Infinity. jsonv_parse adds what it lacks, so banks, control requests,
 * webhook bodies, websocket frames and API responses all get one rule:
 * exactly one JSON value, valid UTF-8, no NUL byte, bounded nesting, finite
 * numbers, nothing after it but white space.
 */
#ifndef DRILL_JSONV_H
#define DRILL_JSONV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "drill/common.h"

struct json_object;

/* Why a parse failed: a message, and where. */
struct jsonv_error {
	size_t offset;		/* byte offset of the problem in the text */
	bool incomplete;	/* the text ended inside the value */
	char msg[160];		/* e.g. "invalid JSON at byte 12: unexpected character" */
};

/*
 * Parses text[0..len) (need not be NUL-terminated) with nesting at most
 * depth. On success returns 0 and *out (caller puts). Otherwise returns
 * DRILL_EINVAL with e filled (e may be NULL) or DRILL_ENOMEM; *out is NULL.
 */
int jsonv_parse(const char *text, size_t len, int depth, struct json_object **out,
    struct jsonv_error *e) DRILL_WUR;

/*
 * The string member key of o, borrowed from o; NULL when o is NULL or not
 * an object, or the member is absent, not a string, over max bytes, or
 * holds a NUL (a \u0000 escape): what every reader of outside JSON wants.
 */
const char *jsonv_str(const struct json_object *o, const char *key, size_t max);
/* The object member key of o (borrowed), or NULL. */
struct json_object *jsonv_obj(const struct json_object *o, const char *key);

/* Adds key: v to o, taking v; false (v released) when v is NULL or on failure. */
bool jsonv_put(struct json_object *o, const char *key, struct json_object *v);
/* Adds key: a copy of s (JSON null when s is NULL); false on failure. */
bool jsonv_put_str(struct json_object *o, const char *key, const char *s);
/* Adds key: n; false on failure. */
bool jsonv_put_int(struct json_object *o, const char *key, int64_t n);

#endif
