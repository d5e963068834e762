/* A one-line progress bar for long runs on a terminal. It stays silent
 * when stderr is not a terminal (cron, CI) and for runs that finish
 * within a second. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "publisher.h"

#define BAR_WIDTH 40

struct progress {
	size_t total;
	int enabled;
	int drawn;
	struct timespec start;
};

static double elapsed(const struct progress *p)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - p->start.tv_sec) +
	    (double)(now.tv_nsec - p->start.tv_nsec) / 1e9;
}

struct progress *progress_new(size_t total, int enabled)
{
	struct progress *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return NULL;
	p->total = total;
	p->enabled = enabled && isatty(STDERR_FILENO);
	clock_gettime(CLOCK_MONOTONIC, &p->start);
	return p;
}

void progress_update(struct progress *p, size_t done)
{
	char bar[BAR_WIDTH + 1];
	double t;
	size_t fill;

	if (p == NULL || !p->enabled || p->total == 0)
		return;
	t = elapsed(p);
	if (t < 1.0 && !p->drawn)
		return;
	fill = done * BAR_WIDTH / p->total;
	for (size_t i = 0; i < BAR_WIDTH; i++)
		bar[i] = i < fill ? '#' : '.';
	bar[BAR_WIDTH] = '\0';
	fprintf(stderr, "\rsigning [%s] %zu/%zu  %.0f/s ", bar, done, p->total,
	    t > 0 ? (double)done / t : 0.0);
	p->drawn = 1;
}

void progress_done(struct progress *p)
{
	if (p != NULL && p->drawn)
		fputc('\n', stderr);
	free(p);
}
