/* Tests for jsonv.c: one strict rule for JSON from outside. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <json-c/json.h>

#include "drill/jsonv.h"

static int
parse(const char *s, size_t len, struct jsonv_error *e)
{
	struct json_object *v = NULL;
	int rc = jsonv_parse(s, len, 8, &v, e);

	if (rc == 0)
		assert_non_null(v);
	else
		assert_null(v);
	json_object_put(v);
	return rc;
}

#define P(s, e) parse((s), sizeof(s) - 1, (e))

static void
test_accepts_plain_json(void **state)
{
	struct jsonv_error e;

	(void)state;
	assert_int_equal(P("{\"a\":[1,2.5,\"caf\xc3\xa9\",null,true]}  \n", &e), 0);
	assert_int_equal(P("[]", &e), 0);
}

static void
test_refuses_what_json_c_lets_through(void **state)
{
	struct jsonv_error e;

	(void)state;
	assert_int_equal(P("{\"a\":\"\xc0\xaf\"}", &e), DRILL_EINVAL);	/* overlong */
	assert_non_null(strstr(e.msg, "not valid UTF-8"));
	assert_int_equal(P("{\"a\":\"\xed\xa0\x80\"}", &e), DRILL_EINVAL);	/* surrogate */
	assert_int_equal(P("{\"a\":NaN}", &e), DRILL_EINVAL);
	assert_int_equal(P("{\"a\":[1,-Infinity]}", &e), DRILL_EINVAL);
	assert_non_null(strstr(e.msg, "not finite"));
	assert_int_equal(P("{\"a\":1}\0{}", &e), DRILL_EINVAL);
	assert_non_null(strstr(e.msg, "NUL byte at byte 7"));
}

static void
test_says_where(void **state)
{
	struct jsonv_error e;

	(void)state;
	assert_int_equal(P("{\"a\":1} x", &e), DRILL_EINVAL);
	assert_int_equal(e.offset, 8);
	assert_non_null(strstr(e.msg, "at byte 8"));
	assert_int_equal(P("{\"a\":[1,", &e), DRILL_EINVAL);
	assert_true(e.incomplete);
	assert_int_equal(P("{\"a\":[1,]}", &e), DRILL_EINVAL);
	assert_false(e.incomplete);
	assert_non_null(strstr(e.msg, "invalid JSON at byte"));
	assert_int_equal(P("[[[[[[[[[[[[1]]]]]]]]]]]]", &e), DRILL_EINVAL);	/* deeper than 8 */
}

static void
test_put_helpers(void **state)
{
	struct json_object *o = json_object_new_object(), *v;

	(void)state;
	assert_true(jsonv_put_str(o, "s", "x"));
	assert_true(jsonv_put_int(o, "n", -5));
	assert_true(jsonv_put_str(o, "z", NULL));
	assert_false(jsonv_put(o, "nothing", NULL));
	assert_string_equal(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN),
	    "{\"s\":\"x\",\"n\":-5,\"z\":null}");
	assert_false(json_object_object_get_ex(o, "nothing", &v));
	json_object_put(o);
}

/* The readers every parser of outside JSON uses. */
static void
test_readers(void **state)
{
	struct json_object *o = NULL;
	static const char text[] = "{\"a\":\"abc\",\"n\":3,\"z\":\"x\\u0000y\","
	    "\"o\":{\"b\":\"in\"},\"l\":\"long enough\"}";

	(void)state;
	assert_int_equal(jsonv_parse(text, strlen(text), 8, &o, NULL), 0);
	assert_string_equal(jsonv_str(o, "a", 3), "abc");
	assert_null(jsonv_str(o, "a", 2));		/* over max */
	assert_null(jsonv_str(o, "n", 10));		/* not a string */
	assert_null(jsonv_str(o, "z", 10));		/* a NUL inside */
	assert_null(jsonv_str(o, "missing", 10));
	assert_null(jsonv_str(NULL, "a", 10));
	assert_null(jsonv_str(jsonv_obj(o, "a"), "b", 10));	/* not an object */
	assert_string_equal(jsonv_str(jsonv_obj(o, "o"), "b", 10), "in");
	assert_null(jsonv_obj(o, "n"));
	assert_null(jsonv_obj(NULL, "o"));
	json_object_put(o);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accepts_plain_json),
		cmocka_unit_test(test_refuses_what_json_c_lets_through),
		cmocka_unit_test(test_says_where),
		cmocka_unit_test(test_put_helpers),
		cmocka_unit_test(test_readers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
