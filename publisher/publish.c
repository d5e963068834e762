/* Committing a run: after every response of a CA is written and the file
 * system synced, its status index and metadata are replaced (each synced),
 * and the root marker goes last, so anything that sees a new marker or
 * status index also sees the responses they describe. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ocsp/ca.h"
#include "ocsp/certid.h"
#include "ocsp/config.h"
#include "ocsp/err.h"
#include "ocsp/fsutil.h"
#include "ocsp/get_key.h"
#include "ocsp/serial.h"
#include "ocsp/signer.h"
#include "ocsp/sink.h"
#include "ocsp/status.h"
#include "ocsp/status_index.h"
#include "ocsp/tree.h"

#include "publisher.h"

static int remove_name(struct pub_ca *p, struct sink *sink, unsigned algs,
    const struct serial *serial, struct err *e)
{
	char name[SERIAL_NAME_MAX + 1];

	serial_name(serial, name);
	for (int alg = 0; alg < HASH_COUNT; alg++)
		if ((algs & (1u << alg)) && sink->ops->remove(sink, p->alg_handle[alg], name, e) != 0)
			return -1;
	return 0;
}

static int remove_keys(struct pub_ca *p, struct sink *sink, unsigned algs,
    const struct serial *serial, struct err *e)
{
	struct get_key_names k;

	for (int alg = 0; alg < HASH_COUNT; alg++) {
		if (!(algs & (1u << alg)))
			continue;
		if (get_key_names(alg, &p->ca->hash[alg], serial, &k, e) != 0)
			return -1;
		for (size_t i = 0; i < k.n; i++)
			if (sink->ops->remove_key(sink, k.name[i], e) != 0)
				return -1;
	}
	return 0;
}

/* Files of certificates gone from the source, in every hash directory and
 * under get/, and every file of a hash (or GET keys) no longer wanted. */
static int remove_gone(struct pub_ca *p, struct sink *sink, struct err *e)
{
	unsigned all = (unsigned)p->conf->hashes | p->dropped;
	unsigned keys = p->get_algs | p->get_was;

	for (size_t i = 0; i < p->nremoved; i++)
		if (remove_name(p, sink, all, &p->removed[i], e) != 0 ||
		    remove_keys(p, sink, keys, &p->removed[i], e) != 0)
			return -1;
	if (p->dropped == 0 && p->get_dropped == 0)
		return 0;
	for (size_t i = 0; i < p->recs.n; i++)
		if (remove_name(p, sink, p->dropped, &p->recs.v[i].serial, e) != 0 ||
		    remove_keys(p, sink, p->get_dropped, &p->recs.v[i].serial, e) != 0)
			return -1;
	return 0;
}

static void fill_meta(const struct pub_ca *p, uint64_t generation, int64_t now,
    struct issuer_meta *m)
{
	memset(m, 0, sizeof(*m));
	m->format = TREE_FORMAT;
	snprintf(m->name, sizeof(m->name), "%s", p->conf->name);
	snprintf(m->subject, sizeof(m->subject), "%s", p->ca->subject);
	for (int alg = 0; alg < HASH_COUNT; alg++) {
		m->hash[alg] = p->ca->hash[alg];
		m->have_hash |= 1u << alg;
	}
	m->presigned = (unsigned)p->conf->hashes;
	m->get_keys = p->get_algs;
	const struct ca_signer *cs = ca_signer_now(p->ca);
	const struct signer_conf *sc = signer_conf_of(cs->signer);

	snprintf(m->signer_fpr, sizeof(m->signer_fpr), "%s", cs->fpr);
	snprintf(m->signer_subject, sizeof(m->signer_subject), "%s", cs->subject);
	snprintf(m->signer_name, sizeof(m->signer_name), "%s", sc ? sc->name : "");
	m->signer_expires = cs->not_after;
	m->signer_since = p->signer_since;
	m->previous_signer_until = p->previous_signer_until;
	m->previous_signer_expires = p->previous_signer_expires;
	m->validity = p->conf->validity;
	m->refresh = p->conf->refresh;
	m->backdate = p->conf->backdate;
	m->generation = generation;
	m->published = now;
	m->count = p->recs.n;
	m->shard = p->shard;
}

int publish_commit_ca(struct pub_ca *p, struct sink *sink, uint64_t generation,
    int64_t now, struct err *e)
{
	struct issuer_meta m;
	char text[TREE_META_MAX];
	uint8_t *idx = NULL;
	size_t idx_len = 0, text_len = 0;
	int ret = -1;

	if (remove_gone(p, sink, e) != 0)
		goto out;
	if (status_index_encode(p->recs.v, p->recs.n, generation, now, &idx, &idx_len, e) != 0)
		goto out;
	if (sink->ops->put(sink, p->handle, TREE_STATUS_INDEX, idx, idx_len, FS_SYNC, e) != 0)
		goto out;
	fill_meta(p, generation, now, &m);
	if (issuer_meta_format(&m, text, sizeof(text), &text_len, e) != 0)
		goto out;
	if (sink->ops->put(sink, p->handle, TREE_ISSUER_META, text, text_len, FS_SYNC, e) != 0)
		goto out;
	ret = 0;
out:
	free(idx);
	return ret;
}

int publish_commit_tree(struct sink *sink, uint64_t generation, int64_t now,
    size_t issuers, const struct shard *shard, struct err *e)
{
	struct tree_marker m = { TREE_FORMAT, generation, now, issuers, *shard };
	char text[1024];
	size_t len = 0;

	if (tree_marker_format(&m, text, sizeof(text), &len, e) != 0)
		return -1;
	if (sink->ops->put(sink, SINK_ROOT, TREE_MARKER, text, len, FS_SYNC, e) != 0)
		return -1;
	return sink->ops->finish(sink, e);
}
