/*
 * feedback.h - what a person reads after answering, as an abstract message:
 * score and grade, the four dimensions, what they covered (with the words
 * that showed it), what they missed (each with its hint), the one tip for
 * the weakest dimension, and what is noted with the score. The engine sends
 * it; `drillctl score --format text` prints it; render.h lays it out.
 */
#ifndef DRILL_FEEDBACK_H
#define DRILL_FEEDBACK_H

#include <stdbool.h>

#include "drill/msg.h"
#include "drill/scorer.h"

/* Returns the feedback message for r (caller frees with msg_free), or NULL. */
struct msg *feedback_score_msg(const struct scorer_result *r, int hints_used,
    bool model_seen);

#endif
