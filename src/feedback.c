/*
 * feedback.c - builds the feedback message for a score. One place, so the
 * terminal, the chat platforms and drillctl all say the same thing. It does
 * not decide who may see feedback (the engine does).
 */
#include "drill/feedback.h"

#include <stdio.h>

struct msg *
feedback_score_msg(const struct scorer_result *r, int hints_used, bool model_seen)
{
	struct msg *m = msg_new();

	if (m == NULL)
		return NULL;
	msg_add(m, MSG_TITLE, "Score %d/100 (%s)", r->score, r->grade);
	msg_add(m, MSG_TEXT, "Relevance %d · Structure %d · Clarity %d · Impact %d",
	    r->dims[SCORER_RELEVANCE], r->dims[SCORER_STRUCTURE],
	    r->dims[SCORER_CLARITY], r->dims[SCORER_IMPACT]);
	if (r->ncovered) {
		msg_add(m, MSG_LIST, "Covered");
		for (size_t i = 0; i < r->ncovered; i++) {
			char ev[SCORER_EVIDENCE + 8];
			snprintf(ev, sizeof(ev), "\"%s\"", r->covered[i].evidence);
			msg_add_item(m, r->covered[i].concept, ev);
		}
	}
	if (r->nmissed) {
		msg_add(m, MSG_LIST, "Missed");
		for (size_t i = 0; i < r->nmissed; i++)
			msg_add_item(m, r->missed[i].concept, r->missed[i].hint);
	}
	msg_add(m, MSG_TEXT, "Tip (%s): %s", scorer_dim_name(r->weakest), r->tip);
	if (hints_used || model_seen)
		msg_add(m, MSG_TEXT, "Noted with this score:%s%s%s",
		    hints_used ? " hints used" : "",
		    hints_used && model_seen ? ";" : "",
		    model_seen ? " answered after seeing the model answer" : "");
	if (m->oom) {
		msg_free(m);
		return NULL;
	}
	return m;
}
