/* Committing a run: after every response of a CA is written and the file
 * system synced, its status index and metadata are replaced (each synced),
 * and the root marker goes last, so anything that sees a new marker or
 * status index also sees the responses they describe. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

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

/* ---- the audit journal (JOURNAL.md) ---- */

int publish_journal_prepare(struct pub_ca *p, struct err *e)
{
	unsigned algs = (unsigned)p->conf->hashes;

	p->der_nalgs = 0;
	for (int alg = 0; alg < HASH_COUNT; alg++)
		p->der_nalgs += (algs >> alg) & 1u;
	p->der_sha256 = calloc(p->nsign * p->der_nalgs + 1, sizeof(*p->der_sha256));
	p->der_noted = calloc(p->nsign + 1, 1);
	if (p->der_sha256 == NULL || p->der_noted == NULL)
		return err_set(e, "out of memory");
	return 0;
}

static int cmp_index(const void *key, const void *elem)
{
	size_t a = *(const size_t *)key, b = *(const size_t *)elem;

	return a < b ? -1 : a > b;
}

/* Which hashes of the CA come before alg: its slot among them. */
static unsigned alg_slot(unsigned algs, int alg)
{
	unsigned slot = 0;

	for (int a = 0; a < alg; a++)
		slot += (algs >> a) & 1u;
	return slot;
}

void publish_journal_note(struct pub_ca *p, const struct status_rec *r, int alg,
    const uint8_t *der, size_t len)
{
	size_t rec = (size_t)(r - p->recs.v);
	const size_t *at;
	size_t i;

	if (p->der_sha256 == NULL)
		return;
	/* sign[] is ascending (plan.c walks the records in order). */
	at = bsearch(&rec, p->sign, p->nsign, sizeof(*p->sign), cmp_index);
	if (at == NULL)
		return;
	i = (size_t)(at - p->sign);
	SHA256(der, len, p->der_sha256[i * p->der_nalgs + alg_slot((unsigned)p->conf->hashes,
	    alg)]);
	p->der_noted[i] |= (uint8_t)(1u << alg);
}

int publish_ca_result(const struct pub_ca *p)
{
	if (p->bad_input)
		return JOURNAL_BAD_INPUT;
	if (atomic_load(&p->errors) > 0)
		return JOURNAL_FAILED;
	if (p->committed)
		return JOURNAL_OK;
	/* Nothing to commit is a success; anything else not committed failed. */
	return p->nsign == 0 && p->nremoved == 0 && p->dropped == 0 && p->get_dropped == 0 ?
	    JOURNAL_OK : JOURNAL_FAILED;
}

static int journal_signed(struct journal_writer *w, const struct pub_ca *p, size_t i,
    const char *signer, struct err *e)
{
	const struct status_rec *r = &p->recs.v[p->sign[i]];
	unsigned algs = (unsigned)p->conf->hashes;
	struct journal_line l = { .tag = JOURNAL_SIGNED };

	if ((p->der_noted[i] & algs) != algs)
		return 0;	/* not every response of it was stored */
	snprintf(l.ca, sizeof(l.ca), "%s", p->conf->name);
	l.serial = r->serial;
	l.status = r->status;
	l.reason = r->status == CERT_REVOKED ? r->reason : REASON_NONE;
	l.this_update = r->this_update;
	l.next_update = r->next_update;
	snprintf(l.signer, sizeof(l.signer), "%s", signer);
	l.algs = algs;
	for (int alg = 0; alg < HASH_COUNT; alg++)
		if (algs & (1u << alg))
			memcpy(l.der_sha256[alg], p->der_sha256[i * p->der_nalgs + alg_slot(algs, alg)],
			    JOURNAL_SHA256_LEN);
	return journal_writer_add(w, &l, e);
}

int publish_journal_write(struct journal_writer *w, const struct pub_ca *p, int result,
    struct err *e)
{
	struct journal_line l = { .tag = JOURNAL_CA, .result = result };
	size_t written = 0;

	/* Only what the commit step made part of the tree: a CA whose commit
	 * did not happen has its old status index, whatever files were
	 * replaced (its ca line says failed). */
	if (p->committed && p->der_sha256 != NULL) {
		const char *fpr = ca_signer_now(p->ca)->fpr;
		for (size_t i = 0; i < p->nsign; i++) {
			if (journal_signed(w, p, i, fpr, e) != 0)
				return -1;
			written += (p->der_noted[i] & (unsigned)p->conf->hashes) ==
			    (unsigned)p->conf->hashes;
		}
		for (size_t i = 0; i < p->nremoved; i++) {
			struct journal_line rl = { .tag = JOURNAL_REMOVED, .serial = p->removed[i] };
			snprintf(rl.ca, sizeof(rl.ca), "%s", p->conf->name);
			if (journal_writer_add(w, &rl, e) != 0)
				return -1;
		}
	}
	snprintf(l.ca, sizeof(l.ca), "%s", p->conf->name);
	l.n_signed = written;
	l.n_unchanged = p->unchanged;
	l.n_removed = p->committed ? p->nremoved : 0;
	l.n_errors = atomic_load(&p->errors);
	return journal_writer_add(w, &l, e);
}
