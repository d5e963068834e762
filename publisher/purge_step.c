/* The purge step of a run: after the commit, what changed status, and
 * what was removed, is purged from the caches in front of the responder
 * (purge.h), together with what an earlier run could not purge. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ocsp/certid.h"
#include "ocsp/config.h"
#include "ocsp/err.h"
#include "ocsp/log.h"
#include "ocsp/purge.h"

#include "publisher.h"

int purge_step_open(const struct config *c, struct purge **out)
{
	struct purge_opts o = {
		.preset = (enum purge_preset)c->purge_preset,
		.endpoint = c->purge,
		.ban = c->purge_method == 1,
		.by_tag = c->purge_by == 1,
		.zone = c->purge_zone,
		.credentials_file = c->purge_credentials_file,
		.api = c->purge_api,
		.rate = c->purge_rate,
		.retries = c->purge_retries,
	};
	struct err e;

	*out = NULL;
	if (c->purge == NULL && c->purge_preset == PURGE_GENERIC)
		return 0;
	if (c->purge != NULL && c->purge_preset != PURGE_GENERIC) {
		log_error("give either purge = URL or purge_preset, not both");
		return -1;
	}
	if (purge_new(&o, out, &e) != 0) {
		log_error("%s", e.msg);
		return -1;
	}
	if (purge_kind(*out) == PURGE_URL)
		for (size_t i = 0; i < c->ncas; i++)
			if (c->cas[i].purge_base == NULL && c->purge_base == NULL) {
				log_error("ca %s: purging by URL needs purge_base (the responder's "
				    "public URL, as in the AIA extension)", c->cas[i].name);
				purge_free(*out);
				*out = NULL;
				return -1;
			}
	return 0;
}

/* The CertID hashes clients ask with: SHA-1 and SHA-256 always (lookupd
 * answers either), and whatever else the CA pre-signs. */
static unsigned purge_algs(const struct pub_ca *p)
{
	return (unsigned)p->conf->hashes | 1u << HASH_SHA1 | 1u << HASH_SHA256;
}

/* Every GET URL of the certificate under each base of a comma- or
 * space-separated list. */
static int add_urls(struct purge *pg, const char *bases, const struct pub_ca *p,
    const struct serial *s, struct err *e)
{
	char base[PURGE_ITEM_MAX + 1];

	while (*bases != '\0') {
		size_t n;
		bases += strspn(bases, ", \t");
		n = strcspn(bases, ", \t");
		if (n == 0)
			break;
		if (n > PURGE_ITEM_MAX)
			return err_set(e, "purge_base: a URL longer than %d bytes", PURGE_ITEM_MAX);
		memcpy(base, bases, n);
		base[n] = '\0';
		for (int alg = 0; alg < HASH_COUNT; alg++)
			if ((purge_algs(p) & (1u << alg)) &&
			    purge_add_urls(pg, base, alg, &p->ca->hash[alg], s, e) < 0)
				return -1;
		bases += n;
	}
	return 0;
}

static int add_tags(struct purge *pg, const struct pub_ca *p, const struct serial *s,
    struct err *e)
{
	char tag[PURGE_TAG_MAX + 1];

	for (int alg = 0; alg < HASH_COUNT; alg++) {
		if (!(purge_algs(p) & (1u << alg)))
			continue;
		if (purge_tag(tag, sizeof(tag), alg, p->ca->hash[alg].key, s) < 0)
			return err_set(e, "internal: tag too long");
		if (purge_add(pg, PURGE_TAG, tag, e) < 0)
			return -1;
	}
	return 0;
}

static int queue_changes(struct purge *pg, const struct config *c, const struct pub_ca *cas,
    struct err *e)
{
	for (size_t i = 0; i < c->ncas; i++) {
		const struct pub_ca *p = &cas[i];
		const char *bases = p->conf->purge_base ? p->conf->purge_base : c->purge_base;
		if (!p->committed)
			continue;
		/* Changed statuses, and certificates gone from the source: a
		 * cache would go on serving their last answer (good, often)
		 * until max-age, though the responder no longer gives it. */
		for (size_t k = 0; k < p->nchanged + p->nremoved; k++) {
			const struct serial *s = k < p->nchanged ?
			    &p->recs.v[p->changed[k]].serial : &p->removed[k - p->nchanged];
			int r = purge_kind(pg) == PURGE_URL ? add_urls(pg, bases, p, s, e) :
			    add_tags(pg, p, s, e);
			if (r != 0)
				return err_prefix(e, "ca %s", p->conf->name);
		}
	}
	return 0;
}

int purge_step_run(struct purge *pg, const struct config *c, const struct pub_ca *cas,
    int hold, int quiet)
{
	struct purge_stats st = { 0 };
	size_t skipped = 0;
	int pending, ret = 0;
	struct err e;

	pending = purge_pending_load(pg, c->tree, &skipped, &e);
	if (pending < 0) {
		/* Kept as it is: the next save replaces it with what fails then. */
		log_error("%s", e.msg);
		pending = 0;
		ret = -1;
	}
	if (skipped > 0)
		log_warn("%zu pending purges of the other kind (the purge configuration "
		    "changed) dropped", skipped);
	if (queue_changes(pg, c, cas, &e) != 0) {
		log_error("%s", e.msg);
		ret = -1;
	}
	if (purge_queued(pg) == 0 && pending == 0) {
		if (purge_pending_save(pg, c->tree, &e) != 0)
			log_error("%s", e.msg);
		return ret;
	}
	/* The origin the cache fetches from did not get the new responses (an
	 * upload failed): a purge now would only refetch the old ones. Kept
	 * for the run that completes the upload. */
	if (hold) {
		if (purge_pending_save(pg, c->tree, &e) != 0) {
			log_error("%s; the purges are lost", e.msg);
			return -1;
		}
		printf("purge: %zu held back until the upload completes (kept in "
		    PURGE_PENDING_NAME ")\n", purge_queued(pg));
		return -1;
	}
	if (c->purge_delay > 0) {
		struct timespec t = { (time_t)c->purge_delay, 0 };
		while (nanosleep(&t, &t) != 0 && errno == EINTR)
			;
	}
	if (purge_send(pg, &st, &e) != 0) {
		log_error("%s", e.msg);
		ret = -1;
	}
	if (purge_pending_save(pg, c->tree, &e) != 0) {
		log_error("%s; the failed purges are lost", e.msg);
		ret = -1;
	}
	if (!quiet || st.failed > 0)
		printf("purge: %zu purged, %zu failed%s, %d from earlier runs (%zu requests, "
		    "%zu retries)\n", st.purged, st.failed,
		    st.failed ? " (kept in " PURGE_PENDING_NAME ", sent again next run)" : "",
		    pending, st.requests, st.retries);
	return ret;
}
