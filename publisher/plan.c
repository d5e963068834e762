/* What to sign: a merge of the new status (sorted) with the status index
 * the last run wrote (sorted the same way). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ocsp/array.h"
#include "ocsp/bytehash.h"
#include "ocsp/ca.h"
#include "ocsp/certid.h"
#include "ocsp/config.h"
#include "ocsp/err.h"
#include "ocsp/log.h"
#include "ocsp/serial.h"
#include "ocsp/shard.h"
#include "ocsp/sink.h"
#include "ocsp/status.h"
#include "ocsp/status_index.h"
#include "ocsp/tree.h"

#include "publisher.h"

/* A fixed point of window for serial s: spreads refreshes (a response is
 * due up to a quarter of the refresh interval early, so that a tree
 * published all at once does not come due all at once ever after) and
 * the re-signing that follows a new signer. */
static int64_t spread_point(const struct serial *s, int64_t window)
{
	uint32_t h = bytehash_fnv1a32(s->b, s->len);

	return (int64_t)(h % 1024) * window / 1024;
}

static int is_due(const struct pub_ca *p, const struct status_rec *old, int64_t now)
{
	int64_t refresh = p->conf->refresh;

	if (old->this_update == 0 || now >= old->next_update)
		return 1;
	/* Signed by the signer before this one: due at its point of the spread. */
	if (old->this_update <= p->previous_signer_until &&
	    now >= p->signer_since + spread_point(&old->serial, p->spread))
		return 1;
	if (now >= old->this_update + refresh - spread_point(&old->serial, refresh / 4))
		return 1;
	/* Cut short by its source (a CRL's nextUpdate): due once it has no
	 * more life left than a refresh would leave it, if signing now gives
	 * it more. */
	return old->next_update < p->valid_until &&
	    old->next_update - now <= p->conf->validity - refresh +
	    spread_point(&old->serial, refresh / 4);
}

/* After a change of signer, what the old one signed is re-signed spread
 * over a quarter of the refresh interval, as refreshes are, but over no
 * more than half the time the old signer has left: its responses stop
 * verifying when it expires. Not knowing when that is, or past it, all at
 * once. */
static int64_t signer_spread(const struct pub_ca *p)
{
	int64_t left = p->previous_signer_expires - p->signer_since;

	if (p->previous_signer_expires == 0 || left <= 0)
		return 0;
	return p->conf->refresh / 4 < left / 2 ? p->conf->refresh / 4 : left / 2;
}

/* Validity, backdating or a newly pre-signed hash changed since the last
 * run: every response must be re-signed so that the tree says one thing.
 * A new signer: see signer_spread. */
static int params_changed(struct pub_ca *p, const char *tree, int64_t now, int *changed,
    struct err *e)
{
	const struct ca_signer *cs = ca_signer_now(p->ca);
	char path[TREE_PATH_MAX];
	struct issuer_meta m;

	*changed = 1;
	p->signer_since = now;
	if (tree_path(path, sizeof(path), tree, p->ca->dir, HASH_SHA1, TREE_ISSUER_META) < 0)
		return err_set(e, "tree path too long");
	if (issuer_meta_read(path, &m, e) != 0)
		return 0;	/* no or unreadable metadata: re-sign everything */
	/* Its status index covers another part: merging it would remove, and
	 * delete from the target, what this part does not own. */
	if (!shard_eq(&m.shard, &p->shard)) {
		char was[SHARD_TEXT_MAX + 1], now_s[SHARD_TEXT_MAX + 1];
		shard_format(&m.shard, was);
		shard_format(&p->shard, now_s);
		return err_set(e, "%s was published as %s%s, this run is %s%s (see TREE.md, "
		    "Shards, to re-shard)", path, was[0] ? "shard " : "not sharded", was,
		    now_s[0] ? "shard " : "not sharded", now_s);
	}
	/* A hash newly pre-signed needs every response; a dropped one only
	 * needs its files removed. */
	*changed = m.validity != p->conf->validity || m.backdate != p->conf->backdate ||
	    (~m.presigned & (unsigned)p->conf->hashes) != 0 ||
	    (~m.get_keys & p->get_algs) != 0;
	p->dropped = m.presigned & ~(unsigned)p->conf->hashes;
	/* GET keys newly wanted need every response stored again; keys no
	 * longer wanted (turned off, or their hash dropped) only removing. */
	p->get_was = m.get_keys;
	p->get_dropped = m.get_keys & ~p->get_algs;
	if (strcmp(m.signer_fpr, cs->fpr) != 0) {
		/* Everything in the tree is the previous signers': signed by the
		 * last run at the latest. Of two rollovers in a row, the sooner
		 * expiry bounds the spread. */
		p->signer_changed = 1;
		p->previous_signer_until = m.published;
		p->previous_signer_expires = m.signer_expires;
		if (m.previous_signer_expires > now && m.previous_signer_expires < m.signer_expires)
			p->previous_signer_expires = m.previous_signer_expires;
	} else {
		p->signer_since = m.signer_since;
		p->previous_signer_until = m.previous_signer_until;
		p->previous_signer_expires = m.previous_signer_expires;
	}
	p->spread = signer_spread(p);
	return 0;
}

static int push_removed(struct pub_ca *p, const struct serial *s, size_t *cap)
{
	struct serial *v = array_grow(p->removed, cap, p->nremoved + 1, sizeof(*v));

	if (v == NULL)
		return -1;
	p->removed = v;
	p->removed[p->nremoved++] = *s;
	return 0;
}

static void plan_record(struct pub_ca *p, struct status_rec *r,
    const struct status_rec *old, int64_t now)
{
	int differs = old != NULL && status_differs(r, old);

	/* A status changed (a revocation above all): caches in front of the
	 * responder hold the old answer, and are purged after the commit. */
	if (differs)
		p->changed[p->nchanged++] = (size_t)(r - p->recs.v);
	if (old == NULL || p->resign_all || differs || is_due(p, old, now)) {
		p->sign[p->nsign++] = (size_t)(r - p->recs.v);
		return;
	}
	r->this_update = old->this_update;
	r->next_update = old->next_update;
	p->unchanged++;
}

static int merge(struct pub_ca *p, const struct status_index *si, int64_t now, struct err *e)
{
	size_t n_old = si ? status_index_count(si) : 0, i = 0, j = 0, cap = 0;
	struct status_rec old;

	p->sign = malloc((p->recs.n + 1) * sizeof(*p->sign));
	p->changed = malloc((p->recs.n + 1) * sizeof(*p->changed));
	if (p->sign == NULL || p->changed == NULL)
		return err_set(e, "out of memory");
	while (i < p->recs.n || j < n_old) {
		int c;
		if (j < n_old)
			status_index_get(si, j, &old);
		c = j == n_old ? -1 : i == p->recs.n ? 1 :
		    serial_cmp(&p->recs.v[i].serial, &old.serial);
		if (c < 0) {
			plan_record(p, &p->recs.v[i++], NULL, now);
		} else if (c == 0) {
			plan_record(p, &p->recs.v[i++], &old, now);
			j++;
		} else {
			if (push_removed(p, &old.serial, &cap) != 0)
				return err_set(e, "out of memory");
			j++;
		}
	}
	return 0;
}

int plan_ca(struct pub_ca *p, const char *tree, int64_t now, int force, int get_keys,
    struct err *e)
{
	char path[TREE_PATH_MAX];
	struct status_index *si = NULL;
	struct err ie;
	int r;

	if (tree_path(path, sizeof(path), tree, p->ca->dir, HASH_SHA1, TREE_STATUS_INDEX) < 0)
		return err_set(e, "tree path too long");
	r = status_index_open(path, &si, &ie);
	if (r < 0) {
		/* Unreadable memory of the last run: re-signing everything is
		 * the safe way back. Serials it listed are not removed. */
		log_warn("ca %s: %s; re-signing everything", p->conf->name, ie.msg);
		si = NULL;
	}
	/* Without a previous index every record is new anyway. */
	p->signer_since = now;
	p->get_algs = get_keys ? (unsigned)p->conf->hashes : 0;
	if (si != NULL && params_changed(p, tree, now, &p->resign_all, e) != 0) {
		status_index_close(si);
		return -1;
	}
	p->resign_all |= force;
	r = merge(p, si, now, e);
	status_index_close(si);
	return r;
}

int pub_ca_open_dirs(struct pub_ca *p, struct sink *sink, struct err *e)
{
	char name[TREE_PATH_MAX];

	p->handle = sink->ops->open_issuer(sink, p->ca->dir, e);
	if (p->handle < 0)
		return -1;
	for (int alg = 0; alg < HASH_COUNT; alg++) {
		if (alg == HASH_SHA1) {
			p->alg_handle[alg] = p->handle;
			continue;
		}
		if (!((unsigned)p->conf->hashes & (1u << alg)) && !(p->dropped & (1u << alg)))
			continue;
		if (tree_path(name, sizeof(name), NULL, p->ca->dir, alg, NULL) < 0)
			return err_set(e, "%s: not a tree directory", p->ca->dir);
		p->alg_handle[alg] = sink->ops->open_issuer(sink, name, e);
		if (p->alg_handle[alg] < 0)
			return -1;
	}
	return 0;
}
