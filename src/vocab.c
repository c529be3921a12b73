/*
 * vocab.c - names of topics, question types and levels, and their parsers.
 * The lists are fixed by design.md; banks cannot add to them.
 */
#include "drill/vocab.h"

#include <string.h>

static const char *const topics[VOCAB_NTOPICS] = {
	"api-design", "databases", "system-design", "distributed-systems",
	"performance", "caching", "messaging", "reliability", "security",
	"testing", "observability", "devops", "architecture", "teamwork",
	"career"
};

static const char *const types[VOCAB_NTYPES] = {
	"technical", "system-design", "behavioral", "situational", "competency"
};

static const char *const levels[VOCAB_NLEVELS] = {"junior", "mid", "senior"};

static int
lookup(const char *const *names, int n, const char *s)
{
	if (s == NULL)
		return -1;
	for (int i = 0; i < n; i++)
		if (strcmp(names[i], s) == 0)
			return i;
	return -1;
}

const char *
vocab_topic_name(int i)
{
	return i >= 0 && i < VOCAB_NTOPICS ? topics[i] : NULL;
}

const char *
vocab_type_name(int i)
{
	return i >= 0 && i < VOCAB_NTYPES ? types[i] : NULL;
}

const char *
vocab_level_name(int i)
{
	return i >= 0 && i < VOCAB_NLEVELS ? levels[i] : NULL;
}

int
vocab_topic_parse(const char *s)
{
	return lookup(topics, VOCAB_NTOPICS, s);
}

int
vocab_type_parse(const char *s)
{
	return lookup(types, VOCAB_NTYPES, s);
}

int
vocab_level_parse(const char *s)
{
	return lookup(levels, VOCAB_NLEVELS, s);
}
