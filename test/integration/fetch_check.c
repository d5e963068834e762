/* fetch_check: one fetch_get (or fetch_get_cached) from the command line,
 * for test_fetch.sh. Prints one line:
 *   new len=N etag=E last-modified=L date=D
 *   not-modified len=N etag=E last-modified=L date=D
 *   error: MESSAGE
 * (-V prints ocsp_version(), which the User-Agent carries)
 * and writes the body to OUT when given. Exit 0 for new or not-modified,
 * 1 for an error, 2 for bad usage. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ocsp/cli.h"
#include "ocsp/fetch.h"

static int number(const char *s, long long max, long long *out)
{
	char *end;

	errno = 0;
	*out = strtoll(s, &end, 10);
	return errno == 0 && end != s && *end == '\0' && *out >= 0 && *out <= max ? 0 : -1;
}

static int usage(void)
{
	fprintf(stderr, "usage: fetch_check [-c CACHE_DIR] [-m MAX_BYTES] [-t TIMEOUT] "
	    "[-T CONNECT_TIMEOUT] [-e ETAG] [-l LAST_MODIFIED] URL [OUT]\n");
	return 2;
}

int main(int argc, char **argv)
{
	struct fetch_opts o = { .max_bytes = 1 << 20 };
	struct fetch_result r;
	struct err e = { "" };
	const char *cache = NULL;
	long long v;
	int c, rc;

	while ((c = getopt(argc, argv, "c:m:t:T:e:l:V")) != -1) {
		switch (c) {
		case 'V': printf("%s\n", ocsp_version()); return 0;
		case 'c': cache = optarg; break;
		case 'm':
			if (number(optarg, 1LL << 40, &v) != 0)
				return usage();
			o.max_bytes = (size_t)v;
			break;
		case 't':
			if (number(optarg, 86400, &v) != 0)
				return usage();
			o.timeout = v;
			break;
		case 'T':
			if (number(optarg, 86400, &v) != 0)
				return usage();
			o.connect_timeout = v;
			break;
		case 'e': o.etag = optarg; break;
		case 'l': o.last_modified = optarg; break;
		default: return usage();
		}
	}
	if (optind >= argc || argc - optind > 2)
		return usage();
	o.url = argv[optind];
	fetch_result_init(&r);
	rc = cache != NULL ? fetch_get_cached(cache, &o, &r, &e) : fetch_get(&o, &r, &e);
	if (rc < 0) {
		printf("error: %s\n", e.msg);
		fetch_result_fini(&r);
		return 1;
	}
	printf("%s len=%zu etag=%s last-modified=%s date=%lld\n",
	    rc == FETCH_NEW ? "new" : "not-modified", r.len, r.etag ? r.etag : "",
	    r.last_modified ? r.last_modified : "", (long long)r.date);
	if (argc - optind == 2) {
		FILE *f = fopen(argv[optind + 1], "wb");
		if (f == NULL || (r.len > 0 && fwrite(r.body, 1, r.len, f) != r.len) ||
		    fclose(f) != 0) {
			perror(argv[optind + 1]);
			rc = -1;
		}
	}
	fetch_result_fini(&r);
	return rc < 0 ? 1 : 0;
}
