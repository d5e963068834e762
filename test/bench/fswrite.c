/* Benchmark reference: the bare file-system cost of publishing N files of
 * SIZE bytes with temp file + rename, on THREADS threads, and one syncfs.
 * This is the ceiling the publisher's end-to-end rate is compared to.
 * Usage: fswrite DIR N SIZE THREADS; prints files/s. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int dirfd_;
static size_t total, size;
static atomic_size_t next_file;
static char data[65536];

static void *worker(void *arg)
{
	char name[32], tmp[40];
	size_t i;

	while ((i = atomic_fetch_add(&next_file, 1)) < total) {
		snprintf(name, sizeof(name), "%08zX", i + 0x20000000);
		snprintf(tmp, sizeof(tmp), ".%s.tmp", name);
		int fd = openat(dirfd_, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0 || write(fd, data, size) != (ssize_t)size || close(fd) != 0 ||
		    renameat(dirfd_, tmp, dirfd_, name) != 0) {
			perror("fswrite");
			exit(1);
		}
	}
	return NULL;
}

int main(int argc, char **argv)
{
	struct timespec t0, t1;
	pthread_t th[64];
	long nthreads;

	if (argc != 5) {
		fprintf(stderr, "usage: fswrite DIR N SIZE THREADS\n");
		return 2;
	}
	mkdir(argv[1], 0755);
	dirfd_ = open(argv[1], O_RDONLY | O_DIRECTORY);
	total = strtoul(argv[2], NULL, 10);
	size = strtoul(argv[3], NULL, 10);
	nthreads = strtol(argv[4], NULL, 10);
	if (dirfd_ < 0 || size > sizeof(data) || nthreads < 1 || nthreads > 64)
		return 2;
	memset(data, 0x5a, size);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (long i = 0; i < nthreads; i++)
		pthread_create(&th[i], NULL, worker, NULL);
	for (long i = 0; i < nthreads; i++)
		pthread_join(th[i], NULL);
	syncfs(dirfd_);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("%.0f\n", (double)total / s);
	return 0;
}
