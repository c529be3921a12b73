/*
 * jsonv.c - the strict JSON parse every input from outside goes through,
 * and reply-building helpers. It checks form, not meaning: callers still
 * check types and ranges of the fields they read.
 */
#include "drill/jsonv.h"

#include <json-c/json.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "drill/text.h"

/* True when every number in o is finite (depth is bounded by the tokenizer). */
static bool
all_finite(struct json_object *o)
{
	switch (json_object_get_type(o)) {
	case json_type_double:
		return isfinite(json_object_get_double(o));
	case json_type_object: {
		json_object_object_foreach(o, key, val) {
			(void)key;
			if (!all_finite(val))
				return false;
		}
		return true;
	}
	case json_type_array:
		for (size_t i = 0; i < json_object_array_length(o); i++)
			if (!all_finite(json_object_array_get_idx(o, i)))
				return false;
		return true;
	default:
		return true;
	}
}

DRILL_PRINTF(3, 4) static int
fail(struct jsonv_error *e, size_t offset, const char *fmt, ...)
{
	va_list ap;

	if (e != NULL) {
		e->offset = offset;
		va_start(ap, fmt);
		vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
		va_end(ap);
	}
	return DRILL_EINVAL;
}

int
jsonv_parse(const char *text, size_t len, int depth, struct json_object **out,
    struct jsonv_error *e)
{
	struct json_tokener *tok;
	struct json_object *v;
	enum json_tokener_error jerr;
	const char *nul;
	size_t end;
	int rc = 0;

	*out = NULL;
	if (e != NULL)
		memset(e, 0, sizeof(*e));
	if (len > (size_t)INT32_MAX)
		return fail(e, 0, "JSON text of %zu bytes is too large", len);
	if ((nul = memchr(text, '\0', len)) != NULL)
		return fail(e, (size_t)(nul - text), "a NUL byte at byte %zu", (size_t)(nul - text));
	if (!text_utf8_valid(text, len))	/* stricter than json-c's own check */
		return fail(e, 0, "not valid UTF-8");
	if ((tok = json_tokener_new_ex(depth)) == NULL)
		return DRILL_ENOMEM;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	v = json_tokener_parse_ex(tok, text, (int)len);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	if (v == NULL || jerr != json_tokener_success) {
		if (jerr == json_tokener_continue) {
			rc = fail(e, len, "incomplete JSON: the text ended inside the value");
			if (e != NULL)
				e->incomplete = true;
		} else {
			rc = fail(e, end, "invalid JSON at byte %zu: %s", end,
			    json_tokener_error_desc(jerr));
		}
		goto done;
	}
	for (size_t i = end; i < len; i++)
		if (text[i] != ' ' && text[i] != '\t' && text[i] != '\n' && text[i] != '\r') {
			rc = fail(e, i, "invalid JSON at byte %zu: data after the value", i);
			goto done;
		}
	if (!all_finite(v)) {
		rc = fail(e, 0, "a number that is not finite (NaN or Infinity)");
		goto done;
	}
	*out = v;
	v = NULL;
done:
	json_object_put(v);
	json_tokener_free(tok);
	return rc;
}

bool
jsonv_put(struct json_object *o, const char *key, struct json_object *v)
{
	if (v == NULL)
		return false;
	if (json_object_object_add(o, key, v) != 0) {
		json_object_put(v);
		return false;
	}
	return true;
}

bool
jsonv_put_str(struct json_object *o, const char *key, const char *s)
{
	if (s == NULL)
		return json_object_object_add(o, key, NULL) == 0;
	return jsonv_put(o, key, json_object_new_string_len(s, (int)strlen(s)));
}

const char *
jsonv_str(const struct json_object *o, const char *key, size_t max)
{
	struct json_object *v;
	const char *s;

	if (o == NULL || !json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string) ||
	    (size_t)json_object_get_string_len(v) > max)
		return NULL;
	s = json_object_get_string(v);
	return strlen(s) == (size_t)json_object_get_string_len(v) ? s : NULL;
}

struct json_object *
jsonv_obj(const struct json_object *o, const char *key)
{
	struct json_object *v;

	if (o == NULL || !json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_object))
		return NULL;
	return v;
}

bool
jsonv_put_int(struct json_object *o, const char *key, int64_t n)
{
	return jsonv_put(o, key, json_object_new_int64(n));
}
