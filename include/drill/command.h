/*
 * command.h - the chat commands every platform shares (design.md's table),
 * and the parser that tells a command from an answer.
 *
 * A text is a command when its first word is a command word and the rest fits
 * that command's arguments ("practice databases mid", "dispute too harsh");
 * anything else is not a command (so an answer that starts with "next" stays
 * an answer). "practice" with one or two unknown words is still a command,
 * flagged bad, so the engine can say which topics exist. Matching ignores case and surrounding white space; "forget me"
 * and "my data" are two-word commands. The parser is a leaf: the engine and
 * the adapters both use it (the console to know when a line is a command).
 */
#ifndef DRILL_COMMAND_H
#define DRILL_COMMAND_H

#include <stddef.h>

#include "drill/common.h"

enum command_id {
	CMD_NONE = -1,
	CMD_HELP = 0,
	CMD_TOPICS,
	CMD_PRACTICE,
	CMD_HINT,
	CMD_MODEL,
	CMD_SKIP,
	CMD_NEXT,
	CMD_STATS,
	CMD_DISPUTE,
	CMD_QUIT,
	CMD_SCHEDULE,	/* admins: "schedule", "schedule set ...", "schedule pause|resume" */
	CMD_ASK,	/* admins: "ask now" */
	CMD_ANSWER,	/* a channel question answered privately: "answer" */
	CMD_SUBSCRIBE,	/* "subscribe [topics] [at HH:MM] [weekdays|daily]" */
	CMD_UNSUBSCRIBE,
	CMD_PAUSE,	/* "pause 7d": arg a duration subs_parse_pause reads */
	CMD_TZ,		/* "tz Europe/Paris": arg one word */
	CMD_QUIET,	/* "quiet 22:00-07:00" or "quiet off" */
	CMD_LEADERBOARD,	/* "leaderboard on|off" */
	CMD_MYDATA,	/* "my data" */
	CMD_FORGET,	/* "forget me", "forget me confirm" */
	CMD_NCOMMANDS
};

struct command {
	enum command_id id;
	char arg[256];		/* the rest of the text, trimmed (may be empty) */
	int topic;		/* practice: vocab topic or -1 */
	int type;		/* practice: vocab type or -1 */
	int level;		/* practice: vocab level or -1 */
	int bad;		/* practice: arguments named no known topic, type or level */
};

/*
 * Parses text[0..len). Returns the command id (also in out->id), or CMD_NONE
 * when the text is not a command. out is always initialised.
 */
enum command_id command_parse(const char *text, size_t len, struct command *out);

/* The command's word ("practice"). */
const char *command_name(enum command_id id);

#endif
