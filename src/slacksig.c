/*
 * slacksig.c - Slack's v0 request signatures (slacksig.h), with OpenSSL's
 * HMAC-SHA256 and its constant-time compare.
 */
#include "drill/slacksig.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#define TIMESTAMP_MAX 19	/* digits; more would overflow int64_t */

/* Parses a decimal timestamp of digits only. */
static bool
parse_ts(const char *s, int64_t *out)
{
	size_t n = s != NULL ? strnlen(s, TIMESTAMP_MAX + 1) : 0;
	int64_t v = 0;

	if (n == 0 || n > TIMESTAMP_MAX - 1)	/* 18 digits: far beyond any clock */
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

int
slacksig_sign(const char *secret, size_t secret_len, const char *timestamp,
    const void *body, size_t len, char out[SLACKSIG_LEN + 1])
{
	static const char hexd[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	size_t tlen, blen;
	unsigned char *base;
	int64_t ts;

	if (secret == NULL || body == NULL || !parse_ts(timestamp, &ts) ||
	    secret_len > INT32_MAX)
		return DRILL_EINVAL;
	tlen = strlen(timestamp);
	if (len > SIZE_MAX - tlen - 4)
		return DRILL_ENOMEM;
	blen = 3 + tlen + 1 + len;
	if ((base = malloc(blen ? blen : 1)) == NULL)
		return DRILL_ENOMEM;
	memcpy(base, "v0:", 3);
	memcpy(base + 3, timestamp, tlen);
	base[3 + tlen] = ':';
	memcpy(base + 4 + tlen, body, len);
	if (HMAC(EVP_sha256(), secret, (int)secret_len, base, blen, md, &mdlen) == NULL ||
	    mdlen != 32) {
		OPENSSL_cleanse(base, blen);
		free(base);
		return DRILL_ENOMEM;
	}
	OPENSSL_cleanse(base, blen);
	free(base);
	memcpy(out, "v0=", 3);
	for (unsigned i = 0; i < 32; i++) {
		out[3 + 2 * i] = hexd[md[i] >> 4];
		out[4 + 2 * i] = hexd[md[i] & 15];
	}
	out[SLACKSIG_LEN] = '\0';
	OPENSSL_cleanse(md, sizeof(md));
	return 0;
}

int
slacksig_verify(const char *secret, size_t secret_len, const char *timestamp,
    const char *signature, const void *body, size_t len, int64_t now,
    const char **why)
{
	char want[SLACKSIG_LEN + 1];
	int64_t ts;
	int rc;
	bool same;

	*why = NULL;
	if (timestamp == NULL || signature == NULL) {
		*why = "a header is missing (X-Slack-Request-Timestamp, X-Slack-Signature)";
		return DRILL_EINVAL;
	}
	if (!parse_ts(timestamp, &ts)) {
		*why = "X-Slack-Request-Timestamp is not a number of seconds";
		return DRILL_EINVAL;
	}
	if (ts < now - SLACKSIG_WINDOW_S || ts > now + SLACKSIG_WINDOW_S) {
		*why = "X-Slack-Request-Timestamp is more than 5 minutes off (a replay, "
		    "or a clock that is wrong)";
		return DRILL_EINVAL;
	}
	if (strnlen(signature, SLACKSIG_LEN + 1) != SLACKSIG_LEN ||
	    strncmp(signature, "v0=", 3) != 0) {
		*why = "X-Slack-Signature is not a v0 signature";
		return DRILL_EINVAL;
	}
	if ((rc = slacksig_sign(secret, secret_len, timestamp, body, len, want)) != 0) {
		*why = rc == DRILL_ENOMEM ? "out of memory" : "cannot compute the signature";
		return rc;
	}
	same = CRYPTO_memcmp(want, signature, SLACKSIG_LEN) == 0;
	OPENSSL_cleanse(want, sizeof(want));
	if (!same) {
		*why = "X-Slack-Signature does not match (a wrong signing secret, or "
		    "not from Slack)";
		return DRILL_EINVAL;
	}
	return 0;
}
