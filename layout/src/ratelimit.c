#include "ocsp/ratelimit.h"

#include <stdio.h>

void ratelimit_init(struct ratelimit *rl, unsigned burst)
{
	pthread_mutex_init(&rl->lock, NULL);
	rl->burst = burst;
	rl->window = INT64_MIN / 2;
	rl->used = 0;
	rl->skipped = 0;
}

void ratelimit_fini(struct ratelimit *rl)
{
	pthread_mutex_destroy(&rl->lock);
}

int ratelimit_pass(struct ratelimit *rl, int64_t now, unsigned long *skipped)
{
	int pass;

	pthread_mutex_lock(&rl->lock);
	/* A clock set back opens a new window rather than closing them all. */
	if (now - rl->window >= RATELIMIT_WINDOW || now < rl->window) {
		rl->window = now;
		rl->used = 0;
	}
	pass = rl->used < rl->burst;
	if (pass) {
		rl->used++;
		*skipped = rl->skipped;
		rl->skipped = 0;
	} else {
		rl->skipped++;
	}
	pthread_mutex_unlock(&rl->lock);
	return pass;
}

const char *ratelimit_held_back(char *buf, size_t size, unsigned long skipped)
{
	if (size > 0)
		buf[0] = '\0';
	if (skipped > 0)
		snprintf(buf, size, " (%lu similar warnings held back)", skipped);
	return buf;
}
