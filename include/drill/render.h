/*
 * render.h - turns an abstract message (msg.h) into a platform's format.
 * All user-supplied text is escaped here, once: the engine hands over plain
 * text exactly as written, and nothing after render escapes it again.
 *
 * What every renderer does to text from a message:
 *  - Bytes that are not valid UTF-8 become U+FFFD; control characters (C0,
 *    DEL, C1) and the bidirectional overrides and isolates (U+202A..U+202E,
 *    U+2066..U+2069) become spaces. The console turns newlines and tabs into
 *    its own layout; Slack and Matrix keep them where a line may break and
 *    turn them into spaces where it may not (headers, labels, buttons).
 *  - NULL texts and labels count as empty. A part that shows nothing (blank
 *    text, no items, buttons that send nothing) is left out.
 *  - MSG_BUTTONS' text is not shown. A button sends its detail, or its label
 *    when it has no detail.
 *  - A person (MSG_PEOPLE item) is a mention only where the platform and the
 *    id are right; otherwise the name after its "platform:" prefix is shown
 *    as escaped text.
 *
 * Console: plain text wrapped at 78 columns, with ANSI bold/colour when
 * asked; control characters from user text are neutralised so an answer can
 * never move the cursor or change the terminal.
 *
 * Slack and Matrix give the JSON text of what is sent, no more: where it
 * goes (channel, thread_ts, room, m.relates_to, a response_url's
 * replace_original) is added by the adapter at send time.
 */
#ifndef DRILL_RENDER_H
#define DRILL_RENDER_H

#include <stdbool.h>

#include "drill/msg.h"

/* Returns the message as terminal text (caller frees), or NULL. */
char *render_console(const struct msg *m, bool color);

/*
 * Returns the message for chat.postMessage / chat.update / a response_url
 * as the JSON object text {"text": ..., "blocks": [...]} (caller frees), or
 * NULL when out of memory. m NULL or empty gives "text":"" and no blocks.
 *
 * Blocks, in the order of the parts:
 *   MSG_TITLE    a "header" block (plain_text)
 *   MSG_TEXT     a "section" with mrkdwn text
 *   MSG_LIST     a section: "*label*" then a "• label: detail" line per item
 *   MSG_QUOTE    a section: "*label*" then each line of the body after the
 *                quote marker "> " (a literal '>', the only one not escaped;
 *                a blank line is ">")
 *   MSG_BUTTONS  "actions" blocks of "button"s: text = the label
 *                (plain_text), value = the command it sends (not escaped:
 *                Slack hands it back as is), action_id = "drill_<n>", n
 *                counting the buttons of the message from 0, so unique in it.
 *                An adapter acts on value, never on action_id
 *   MSG_PEOPLE   a section: the people, ", " between them, then the text.
 *                "slack:" + 1..32 of [A-Z0-9] is the mention <@ID>
 *
 * Escaping: in every text object, mrkdwn and plain_text alike, and in
 * "text", '&' '<' '>' from the message become &amp; &lt; &gt; and nothing
 * else is escaped (Slack's rule for its three control characters), so text
 * can never form <!channel>, <@U…> or <http://x|y>; the only '<' and '>'
 * are the mentions and quote markers written here. mrkdwn text objects
 * carry "verbatim": true, so Slack does not link or mention anything on its
 * own either. Other mrkdwn (*bold*, `code`) in the text is left to Slack.
 *
 * Limits (measured in UTF-16 code units, at least Slack's count of
 * characters): a header at most 150, cut with "…"; a bold label 150, cut
 * with "…"; a section's text at most 3000: longer text goes on in further
 * sections, split after a line (one in the second half of the section),
 * else after a word, else between two characters, never inside a UTF-8
 * sequence, an entity or a mention, and a quote goes on with its marker;
 * a button label at most 75, cut with "…"; a value at most 2000, cut; 25
 * buttons to an actions block; 50 blocks: a message that needs more keeps
 * 49 and ends with a section saying it was shortened. "text" is the plain
 * fallback for notifications and screen readers - the message laid out like
 * render_matrix's body, escaped, with the same mentions - at most 4000,
 * cut with "…".
 */
char *render_slack(const struct msg *m);

/*
 * Returns the message as the JSON object text of an m.room.message content
 * (caller frees), or NULL when out of memory:
 *   {"msgtype":"m.notice", "body": plain text,
 *    "format":"org.matrix.custom.html", "formatted_body": HTML,
 *    "m.mentions": {} or {"user_ids": [the people shown as pills]}}
 * m.mentions is always there: with it, clients notify only those listed,
 * never for "@room" or a name in the text.
 *
 * formatted_body, in the order of the parts:
 *   MSG_TITLE    <h4>text</h4>
 *   MSG_TEXT     <p>text</p>, newlines as <br>
 *   MSG_LIST     <p><b>label</b></p><ul><li>label: detail</li>...</ul>
 *   MSG_QUOTE    <p><b>label</b></p><blockquote>body</blockquote>
 *   MSG_BUTTONS  <p>Reply with <code>hint</code>, <code>next</code> (Next
 *                question)</p>: Matrix has no buttons, so the commands to
 *                type, each with its label when that says more
 *   MSG_PEOPLE   <p>people, text</p>; "matrix:@localpart:server" (localpart
 *                printable ASCII without ':', server a host name, IPv4 or
 *                [IPv6] with an optional port, 255 bytes at most) is the pill
 *                <a href="https://matrix.to/#/@alice:example.org">@alice:example.org</a>,
 *                the id in the link percent-encoded but for letters, digits
 *                and - . _ ~ : @
 * Text is HTML-escaped: & < > " ' become &amp; &lt; &gt; &quot; &#39;.
 *
 * body is the plain text: like the console without colour or wrapping,
 * a line per title, paragraph, label and item ("  - label: detail"), the
 * quote indented by two spaces, "Reply with hint, next (Next question)",
 * people by their ids. It is not escaped.
 *
 * Size: an event is at most 65536 bytes, so body, formatted_body and the
 * mentions together take at most 60000 bytes of JSON. formatted_body is
 * left out (and format with it) when it would not fit beside a whole body;
 * a body that does not fit alone is cut with "…" and a line saying the
 * message was shortened.
 */
char *render_matrix(const struct msg *m);

#endif
