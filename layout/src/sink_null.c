#include "ocsp/sink.h"

#include <stdlib.h>

#include "ocsp/err.h"
#include "ocsp/fsutil.h"

static int null_open_issuer(struct sink *s, const char *dir, struct err *e)
{
	return 0;
}

static int null_put(struct sink *s, int handle, const char *name, const void *p,
    size_t n, enum fs_sync sync, struct err *e)
{
	return 0;
}

static int null_remove(struct sink *s, int handle, const char *name, struct err *e)
{
	return 0;
}

static int null_put_key(struct sink *s, const char *key, int handle, const char *name,
    const void *p, size_t n, struct err *e)
{
	return 0;
}

static int null_remove_key(struct sink *s, const char *key, struct err *e)
{
	return 0;
}

static int null_sync(struct sink *s, struct err *e)
{
	return 0;
}

static void null_free(struct sink *s)
{
	free(s);
}

static const struct sink_ops null_ops = {
	null_open_issuer, null_put, null_remove, null_put_key, null_remove_key, null_sync, null_sync, null_free,
};

struct sink *sink_null_new(struct err *e)
{
	struct sink *s = malloc(sizeof(*s));

	if (s == NULL) {
		err_set(e, "out of memory");
		return NULL;
	}
	s->ops = &null_ops;
	return s;
}
