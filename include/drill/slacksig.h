/*
 * slacksig.h - Slack's request signing (v0), for the Events API, slash
 * command and interactivity webhooks: every request Slack sends carries
 * X-Slack-Request-Timestamp and X-Slack-Signature, "v0=" and the lowercase
 * hex HMAC-SHA256, keyed with the app's signing secret, of
 * "v0:" TIMESTAMP ":" RAW-BODY (the bytes as received, before any
 * parsing or URL-decoding).
 *
 * A request is accepted when both headers are present and well formed,
 * the timestamp is within SLACKSIG_WINDOW_S of now in either direction
 * (a replay window; a clock far ahead is refused too), and the signature
 * matches, compared in constant time. The reasons given for a refusal
 * never hold the secret, the expected signature or the body.
 */
#ifndef DRILL_SLACKSIG_H
#define DRILL_SLACKSIG_H

#include <stddef.h>
#include <stdint.h>

#include "drill/common.h"

#define SLACKSIG_WINDOW_S 300	/* five minutes */
#define SLACKSIG_LEN 67		/* "v0=" and 64 hex digits */

/*
 * Checks one request: timestamp and signature are the headers' values
 * (NULL when absent), body[0..len) the raw body, now Unix seconds.
 * Returns 0, or DRILL_EINVAL with *why (static text, for a log line and
 * a 401) saying which check failed; DRILL_ENOMEM.
 */
int slacksig_verify(const char *secret, size_t secret_len, const char *timestamp,
    const char *signature, const void *body, size_t len, int64_t now,
    const char **why) DRILL_WUR;

/*
 * Writes the signature of body at timestamp into out ("v0=...", NUL
 * ended), as Slack does: for tests and the fake Slack's client. Returns 0,
 * DRILL_EINVAL for a timestamp that is not digits, DRILL_ENOMEM.
 */
int slacksig_sign(const char *secret, size_t secret_len, const char *timestamp,
    const void *body, size_t len, char out[SLACKSIG_LEN + 1]) DRILL_WUR;

#endif
