/*
 * command.c - recognises the shared chat commands. It only parses: what a
 * command does is the engine's business.
 */
#include "drill/command.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "drill/subs.h"
#include "drill/vocab.h"

static const char *const names[CMD_NCOMMANDS] = {
	"help", "topics", "practice", "hint", "model", "skip", "next", "stats",
	"dispute", "quit", "schedule", "ask", "answer", "subscribe", "unsubscribe",
	"pause", "tz", "quiet", "leaderboard", "my", "forget"
};

const char *
command_name(enum command_id id)
{
	return id >= 0 && id < CMD_NCOMMANDS ? names[id] : "none";
}

/* Parses the practice arguments: up to one topic or type, and one level. */
static int
parse_practice(struct command *c)
{
	char buf[256], *p = buf, *word;

	snprintf(buf, sizeof(buf), "%s", c->arg);
	for (char *q = buf; *q; q++)
		*q = (char)tolower((unsigned char)*q);
	while (*p) {
		int v;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			break;
		word = p;
		while (*p && *p != ' ' && *p != '\t')
			p++;
		if (*p)
			*p++ = '\0';
		if (c->level < 0 && (v = vocab_level_parse(word)) >= 0)
			c->level = v;
		else if (c->topic < 0 && c->type < 0 && (v = vocab_topic_parse(word)) >= 0)
			c->topic = v;
		else if (c->topic < 0 && c->type < 0 && (v = vocab_type_parse(word)) >= 0)
			c->type = v;
		else
			return -1;
	}
	return 0;
}

enum command_id
command_parse(const char *text, size_t len, struct command *out)
{
	size_t s = 0, e = len, w;
	char word[16];

	memset(out, 0, sizeof(*out));
	out->id = CMD_NONE;
	out->topic = out->type = out->level = -1;
	while (s < e && isspace((unsigned char)text[s]))
		s++;
	while (e > s && isspace((unsigned char)text[e - 1]))
		e--;
	if (s == e || e - s >= sizeof(out->arg) || memchr(text + s, '\n', e - s) != NULL)
		return CMD_NONE;
	for (w = 0; s + w < e && !isspace((unsigned char)text[s + w]); w++) {
		if (w + 1 >= sizeof(word))
			return CMD_NONE;
		word[w] = (char)tolower((unsigned char)text[s + w]);
	}
	word[w] = '\0';
	/* two-word commands are matched on the whole text */
	for (int i = 0; i < CMD_NCOMMANDS; i++) {
		size_t a;
		if (strcmp(word, names[i]) != 0)
			continue;
		a = s + w;
		while (a < e && isspace((unsigned char)text[a]))
			a++;
		memcpy(out->arg, text + a, e - a);
		out->arg[e - a] = '\0';
		out->id = (enum command_id)i;
		switch (out->id) {
		case CMD_PRACTICE:
			if (parse_practice(out) != 0) {
				size_t words = 0;
				for (const char *q = out->arg; *q; q++)
					words += (q == out->arg || q[-1] == ' ') && *q != ' ';
				if (words > 2)
					out->id = CMD_NONE;
				out->bad = 1;
			}
			break;
		case CMD_DISPUTE:
			break;
		case CMD_SCHEDULE:
			/* "schedule the interview for..." is an answer */
			if (out->arg[0] != '\0' && strcasecmp(out->arg, "pause") != 0 &&
			    strcasecmp(out->arg, "resume") != 0 &&
			    strncasecmp(out->arg, "set ", 4) != 0)
				out->id = CMD_NONE;
			break;
		case CMD_ASK:
			if (strcasecmp(out->arg, "now") != 0)
				out->id = CMD_NONE;
			break;
		case CMD_SUBSCRIBE:
			break;	/* its words are checked by the engine */
		case CMD_PAUSE: {
			int64_t sec;
			/* "pause is where..." is an answer */
			if (subs_parse_pause(out->arg, &sec) != 0)
				out->id = CMD_NONE;
			break;
		}
		case CMD_TZ:
			/* alone it shows the zone; one word sets it */
			if (strchr(out->arg, ' ') != NULL)
				out->id = CMD_NONE;
			break;
		case CMD_QUIET: {
			int qs, qe;
			if (subs_parse_quiet(out->arg, &qs, &qe) != 0)
				out->id = CMD_NONE;
			break;
		}
		case CMD_LEADERBOARD:
			if (strcasecmp(out->arg, "on") != 0 && strcasecmp(out->arg, "off") != 0 &&
			    out->arg[0] != '\0')
				out->id = CMD_NONE;
			break;
		case CMD_MYDATA:
			if (strcasecmp(out->arg, "data") != 0)
				out->id = CMD_NONE;
			break;
		case CMD_FORGET:
			if (strcasecmp(out->arg, "me") != 0 &&
			    strcasecmp(out->arg, "me confirm") != 0)
				out->id = CMD_NONE;
			break;
		default:
			if (out->arg[0] != '\0')
				out->id = CMD_NONE;	/* "next I would ..." is an answer */
		}
		return out->id;
	}
	return CMD_NONE;
}
