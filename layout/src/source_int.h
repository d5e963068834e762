/* Inside the status-source seam: what one kind of source implements. */
#ifndef OCSP_SOURCE_INT_H
#define OCSP_SOURCE_INT_H

#include "ocsp/source.h"

struct source_ops {
	int (*read)(void *impl, int64_t now, struct status_list *out, struct err *e);
	/* NULL: not asked live (SOURCE_NOT_LIVE) */
	enum source_find (*lookup)(void *impl, const struct serial *serial, int64_t now,
	    struct status_rec *out, struct err *e);
	/* NULL: nothing to reload */
	int (*refresh)(void *impl, int64_t now, struct err *e);
	/* NULL: no bound (INT64_MAX) */
	int64_t (*valid_until)(void *impl);
	void (*close)(void *impl);
	/* Its messages already begin with the source's name (the SQL module,
	 * whose API is used on its own too): not prefixed again. */
	int self_named;
};

struct source {
	enum source_kind kind;
	const struct source_ops *ops;
	void *impl;
	char *name;		/* for messages, without a password; NULL: the string */
	_Atomic int64_t valid_until;	/* of the data in service; read by lookups */
	int64_t live_ttl;	/* a live answer's reuse; 0: until a refresh */
};

/* Each fills s->ops, s->impl and, when the string holds a secret, s->name. */
int source_crl_open(const struct source_conf *c, const struct source_spec *spec,
    struct source *s, struct err *e);
int source_sql_open(const struct source_conf *c, const struct source_spec *spec,
    struct source *s, struct err *e);

#endif
