/*
 * vocab.h - the fixed vocabularies every module shares: topics, question
 * types and levels (design.md, "Identities, topics and commands").
 *
 * Topics are a bit set (a question has one or more). Names are the exact
 * lower-case spellings used in banks, configs and commands.
 */
#ifndef DRILL_VOCAB_H
#define DRILL_VOCAB_H

#include <stdint.h>

#include "drill/common.h"

enum vocab_type {
	VOCAB_TECHNICAL = 0,
	VOCAB_SYSTEM_DESIGN,
	VOCAB_BEHAVIORAL,
	VOCAB_SITUATIONAL,
	VOCAB_COMPETENCY,
	VOCAB_NTYPES
};

enum vocab_level {
	VOCAB_JUNIOR = 0,
	VOCAB_MID,
	VOCAB_SENIOR,
	VOCAB_NLEVELS
};

#define VOCAB_NTOPICS 15

/* Returns the name of topic i (0..VOCAB_NTOPICS-1), type or level; NULL if out of range. */
const char *vocab_topic_name(int topic);
const char *vocab_type_name(int type);
const char *vocab_level_name(int level);

/* Look up a name; return the index, or -1 when the name is not in the list. */
int vocab_topic_parse(const char *s);
int vocab_type_parse(const char *s);
int vocab_level_parse(const char *s);

#endif
