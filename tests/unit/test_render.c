/* Tests for msg.c and render.c: what the terminal shows. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "drill/msg.h"
#include "drill/render.h"

static void
test_layout(void **state)
{
	struct msg *m = msg_new();
	char *s;

	(void)state;
	msg_add(m, MSG_TITLE, "Score %d/100 (%s)", 72, "good");
	msg_add(m, MSG_LIST, "Covered");
	msg_add_item(m, "indexes", "\"composite index\"");
	msg_add(m, MSG_QUOTE, "Model answer");
	msg_add_item(m, "Use an index.\n\nThen measure.", NULL);
	msg_add(m, MSG_BUTTONS, "%s", "");
	msg_add_item(m, "Next question", "next");
	assert_false(m->oom);
	s = render_console(m, false);
	assert_string_equal(s, "Score 72/100 (good)\nCovered\n  - indexes: \"composite index\"\n"
	    "Model answer\n  Use an index.\n\n  Then measure.\n[next]\n");
	free(s);
	s = render_console(m, true);
	assert_non_null(strstr(s, "\033[1mScore 72/100 (good)\033[0m"));
	free(s);
	msg_free(m);
	/* colour codes take no columns: a coloured title wraps like a plain one */
	m = msg_new();
	msg_add(m, MSG_TITLE, "%s", "aaaaaaaaa bbbbbbbbb ccccccccc ddddddddd eeeeeeeee "
	    "fffffffff ggggggggg hhhhhh");	/* 76 columns */
	s = render_console(m, true);
	assert_ptr_equal(strchr(s, '\n'), s + strlen(s) - 1);	/* one line */
	free(s);
	msg_free(m);
	msg_free(NULL);
}

static void
test_wraps_at_78_columns(void **state)
{
	struct msg *m = msg_new();
	char *s;

	(void)state;
	msg_add(m, MSG_TEXT, "%s", "Lorem ipsum dolor sit amet consectetur adipiscing elit sed "
	    "do eiusmod tempor incididunt ut labore et dolore magna aliqua ut enim ad minim "
	    "veniam quis nostrud exercitation ullamco laboris nisi ut aliquip ex ea commodo "
	    "consequat über çà 日本語のテキスト");
	/* every line of the output fits 78 code points */
	s = render_console(m, false);
	for (char *p = s, *nl; *p; p = nl + 1) {
		size_t cps = 0;
		nl = strchr(p, '\n');
		assert_non_null(nl);
		for (char *q = p; q < nl; q++)
			cps += ((unsigned char)*q & 0xc0) != 0x80;
		assert_true(cps <= 78);
	}
	free(s);
	msg_free(m);
}

static void
test_user_text_cannot_drive_the_terminal(void **state)
{
	struct msg *m = msg_new();
	char *s;

	(void)state;
	msg_add(m, MSG_LIST, "Covered");
	msg_add_item(m, "x", "\033[2J\033]0;pwned\007 \xc2\x9b" "2J \xe2\x80\xae" "evil \xff ok");
	s = render_console(m, false);
	assert_null(strchr(s, '\033'));
	assert_null(strchr(s, '\007'));
	assert_null(strstr(s, "\xc2\x9b"));		/* C1 CSI */
	assert_null(strstr(s, "\xe2\x80\xae"));	/* right-to-left override */
	assert_non_null(strstr(s, "\xef\xbf\xbd ok"));
	free(s);
	msg_free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_wraps_at_78_columns),
		cmocka_unit_test(test_user_text_cannot_drive_the_terminal),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
