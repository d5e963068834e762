#include "ocsp/status.h"

#include <stdlib.h>
#include <string.h>

#include "ocsp/array.h"

int status_differs(const struct status_rec *a, const struct status_rec *b)
{
	return serial_cmp(&a->serial, &b->serial) != 0 ||
	    a->status != b->status || a->reason != b->reason ||
	    a->hold != b->hold || a->revoked_at != b->revoked_at ||
	    a->invalidity != b->invalidity || a->not_after != b->not_after;
}

static const struct {
	int reason;
	const char *name;
} reasons[] = {
	{ REASON_UNSPECIFIED, "unspecified" },
	{ REASON_KEY_COMPROMISE, "keyCompromise" },
	{ REASON_CA_COMPROMISE, "CACompromise" },
	{ REASON_AFFILIATION_CHANGED, "affiliationChanged" },
	{ REASON_SUPERSEDED, "superseded" },
	{ REASON_CESSATION, "cessationOfOperation" },
	{ REASON_CERTIFICATE_HOLD, "certificateHold" },
	{ REASON_REMOVE_FROM_CRL, "removeFromCRL" },
	{ REASON_PRIVILEGE_WITHDRAWN, "privilegeWithdrawn" },
	{ REASON_AA_COMPROMISE, "AACompromise" },
};

const char *status_reason_name(int reason)
{
	for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (reasons[i].reason == reason)
			return reasons[i].name;
	return NULL;
}

int status_reason_from_name(const char *name, size_t n)
{
	for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (strlen(reasons[i].name) == n &&
		    strncmp(reasons[i].name, name, n) == 0)
			return reasons[i].reason;
	return -1;
}

void status_list_init(struct status_list *l)
{
	memset(l, 0, sizeof(*l));
}

void status_list_fini(struct status_list *l)
{
	free(l->v);
	memset(l, 0, sizeof(*l));
}

struct status_rec *status_list_push(struct status_list *l)
{
	struct status_rec *v = array_grow(l->v, &l->cap, l->n + 1, sizeof(*v));

	if (v == NULL)
		return NULL;
	l->v = v;
	memset(&l->v[l->n], 0, sizeof(l->v[0]));
	return &l->v[l->n++];
}

static int rec_cmp(const void *a, const void *b)
{
	const struct status_rec *x = a, *y = b;
	int c = serial_cmp(&x->serial, &y->serial);

	if (c != 0)
		return c;
	return x->line < y->line ? -1 : x->line > y->line;
}

int status_list_sort(struct status_list *l, const char *path, struct err *e)
{
	char name[SERIAL_NAME_MAX + 1];

	if (l->n > 1)
		qsort(l->v, l->n, sizeof(l->v[0]), rec_cmp);
	for (size_t i = 1; i < l->n; i++) {
		if (serial_cmp(&l->v[i - 1].serial, &l->v[i].serial) == 0) {
			serial_name(&l->v[i].serial, name);
			return err_set(e, "%s:%u: serial %s already appears on line %u",
			    path, l->v[i].line, name, l->v[i - 1].line);
		}
	}
	return 0;
}

const struct status_rec *status_list_find(const struct status_list *l,
    const struct serial *s)
{
	size_t lo = 0, hi = l->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = serial_cmp(&l->v[mid].serial, s);
		if (c == 0)
			return &l->v[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}
