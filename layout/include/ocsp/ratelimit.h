/* Rate limits for warnings: a broken file or a stale tree is met by every
 * request for it, and a flood of identical lines would bury the log. A few
 * of a kind per window get through; the next one that does says how many
 * were held back. Only reached when something is wrong, so its lock costs
 * nothing that matters. */
#ifndef OCSP_RATELIMIT_H
#define OCSP_RATELIMIT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#define RATELIMIT_WINDOW 10	/* seconds */

struct ratelimit {
	pthread_mutex_t lock;
	unsigned burst;			/* messages allowed per window */
	int64_t window;			/* start of the current window */
	unsigned used;			/* messages let through in it */
	unsigned long skipped;		/* held back since the last one let through */
};

void ratelimit_init(struct ratelimit *rl, unsigned burst);
void ratelimit_fini(struct ratelimit *rl);

/* Returns 1 when a message may be logged at time now; *skipped gets how
 * many were held back since the last one. */
int ratelimit_pass(struct ratelimit *rl, int64_t now, unsigned long *skipped);

/* " (N similar warnings held back)", or "" when none were: for the end of
 * the message that passed. */
const char *ratelimit_held_back(char *buf, size_t size, unsigned long skipped);

#endif
