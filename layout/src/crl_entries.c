/* A CRL's entries: decoded one at a time into status records, and a
 * delta CRL applied on top of its base (crl.h). */
#include "crl_int.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include "ocsp/array.h"
#include "ocsp/der.h"
#include "ocsp/timefmt.h"

/* Walking the entries of one CRL for one CA. */
struct walk {
	const struct crl *c;
	const X509_NAME *ca;
	int ours;		/* the current entry's issuer is ca */
	size_t idx;		/* entry number, from 1 */
};

static int names_issuer(const GENERAL_NAMES *gens, const X509_NAME *ca)
{
	for (int i = 0; i < sk_GENERAL_NAME_num(gens); i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		if (g->type == GEN_DIRNAME && X509_NAME_cmp(g->d.directoryName, ca) == 0)
			return 1;
	}
	return 0;
}

static int entry_reason(struct walk *w, const ASN1_ENUMERATED *v,
    struct status_rec *r, struct err *e)
{
	int64_t reason;

	if (!ASN1_ENUMERATED_get_int64(&reason, v) || reason < 0 ||
	    reason > REASON_AA_COMPROMISE || reason == 7)
		return err_set(e, "%s: entry %zu: reasonCode is not a CRLReason",
		    w->c->name, w->idx);
	r->reason = (uint8_t)reason;
	return 0;
}

static int entry_hold(struct walk *w, const ASN1_OBJECT *v, struct status_rec *r,
    struct err *e)
{
	char oid[80];

	switch (OBJ_obj2nid(v)) {
	case NID_hold_instruction_none: r->hold = HOLD_NONE; return 0;
	case NID_hold_instruction_call_issuer: r->hold = HOLD_CALL_ISSUER; return 0;
	case NID_hold_instruction_reject: r->hold = HOLD_REJECT; return 0;
	}
	return err_set(e, "%s: entry %zu: unknown hold instruction %s", w->c->name,
	    w->idx, crl_oid_str(v, oid, sizeof(oid)));
}

/* One entry extension (RFC 5280 5.3). */
static int entry_ext(struct walk *w, X509_EXTENSION *ext, struct status_rec *r,
    struct err *e)
{
	int nid = OBJ_obj2nid(X509_EXTENSION_get_object(ext));
	void *v = NULL;
	char oid[80];
	int ret = -1;

	if (nid != NID_crl_reason && nid != NID_hold_instruction_code &&
	    nid != NID_invalidity_date && nid != NID_certificate_issuer) {
		if (!X509_EXTENSION_get_critical(ext))
			return 0;
		return err_set(e, "%s: entry %zu: unknown critical extension %s",
		    w->c->name, w->idx,
		    crl_oid_str(X509_EXTENSION_get_object(ext), oid, sizeof(oid)));
	}
	v = X509V3_EXT_d2i(ext);
	if (v == NULL) {
		err_ssl(e, "%s: entry %zu: malformed %s", w->c->name, w->idx,
		    OBJ_nid2sn(nid));
		goto out;
	}
	if (nid == NID_crl_reason) {
		ret = entry_reason(w, v, r, e);
	} else if (nid == NID_hold_instruction_code) {
		ret = entry_hold(w, v, r, e);
	} else if (nid == NID_invalidity_date) {
		ret = timefmt_from_asn1(v, &r->invalidity) == 0 ? 0 :
		    err_set(e, "%s: entry %zu: invalidityDate is not a valid time",
		    w->c->name, w->idx);
	} else if (!w->c->scope.indirect) {
		err_set(e, "%s: entry %zu: certificateIssuer in a CRL that is not "
		    "indirect (no issuingDistributionPoint indirectCRL)", w->c->name, w->idx);
	} else {
		w->ours = names_issuer(v, w->ca);
		ret = 0;
	}
out:
	crl_ext_value_free(ext, v);
	return ret;
}

static int entry_exts(struct walk *w, const X509_REVOKED *rev, struct status_rec *r,
    struct err *e)
{
	const STACK_OF(X509_EXTENSION) *exts = X509_REVOKED_get0_extensions(rev);
	int n = sk_X509_EXTENSION_num(exts);
	char oid[80];

	if (n > 0 && !w->c->v2)
		return err_set(e, "%s: entry %zu: extensions in a v1 CRL", w->c->name, w->idx);
	if (n > CRL_ENTRY_MAX_EXTENSIONS)
		return err_set(e, "%s: entry %zu: more than %d extensions", w->c->name,
		    w->idx, CRL_ENTRY_MAX_EXTENSIONS);
	for (int i = 0; i < n; i++) {
		X509_EXTENSION *ext = sk_X509_EXTENSION_value(exts, i);
		const ASN1_OBJECT *o = X509_EXTENSION_get_object(ext);
		if (X509v3_get_ext_by_OBJ(exts, o, i) >= 0)
			return err_set(e, "%s: entry %zu: extension %s appears twice",
			    w->c->name, w->idx, crl_oid_str(o, oid, sizeof(oid)));
		if (entry_ext(w, ext, r, e) != 0)
			return -1;
	}
	if (r->hold != HOLD_NOT_SET && r->reason != REASON_CERTIFICATE_HOLD)
		return err_set(e, "%s: entry %zu: a hold instruction without reason "
		    "certificateHold", w->c->name, w->idx);
	if (r->reason == REASON_REMOVE_FROM_CRL && !w->c->is_delta)
		return err_set(e, "%s: entry %zu: removeFromCRL outside a delta CRL",
		    w->c->name, w->idx);
	return 0;
}

static int entry_fields(struct walk *w, const X509_REVOKED *rev, struct status_rec *r,
    struct err *e)
{
	const ASN1_INTEGER *sn = X509_REVOKED_get0_serialNumber(rev);

	if (ASN1_STRING_type(sn) == V_ASN1_NEG_INTEGER)
		return err_set(e, "%s: entry %zu: negative serial number", w->c->name, w->idx);
	if (serial_from_bytes(&r->serial, ASN1_STRING_get0_data(sn),
	    (size_t)ASN1_STRING_length(sn)) != 0)
		return err_set(e, "%s: entry %zu: serial number longer than %d octets",
		    w->c->name, w->idx, SERIAL_MAX);
	if (timefmt_from_asn1(X509_REVOKED_get0_revocationDate(rev), &r->revoked_at) != 0)
		return err_set(e, "%s: entry %zu: revocationDate is not a valid time",
		    w->c->name, w->idx);
	r->status = CERT_REVOKED;
	r->reason = REASON_NONE;
	r->line = (uint32_t)w->idx;
	return entry_exts(w, rev, r, e);
}

/* Decodes the entry der[0..len) and keeps it when it is the CA's. */
static int entry_add(struct walk *w, const uint8_t *der, size_t len,
    struct status_list *out, struct err *e)
{
	const unsigned char *p = der;
	X509_REVOKED *rev = d2i_X509_REVOKED(NULL, &p, (long)len);
	struct status_rec r, *slot;
	int ret = -1;

	memset(&r, 0, sizeof(r));
	if (rev == NULL || p != der + len) {
		err_ssl(e, "%s: entry %zu: malformed", w->c->name, w->idx);
		goto out;
	}
	if (entry_fields(w, rev, &r, e) != 0)
		goto out;
	if (w->ours) {
		if ((slot = status_list_push(out)) == NULL) {
			err_set(e, "out of memory");
			goto out;
		}
		*slot = r;
	}
	ret = 0;
out:
	X509_REVOKED_free(rev);
	return ret;
}

/* Sorted, and a serial listed twice named with both entries. */
static int sort_records(const struct crl *c, struct status_list *l, struct err *e)
{
	char name[SERIAL_NAME_MAX + 1];

	if (status_list_sort(l, c->name, NULL) == 0)
		return 0;
	for (size_t i = 1; i < l->n; i++)
		if (serial_cmp(&l->v[i - 1].serial, &l->v[i].serial) == 0) {
			serial_name(&l->v[i].serial, name);
			return err_set(e, "%s: serial %s is on entries %u and %u", c->name,
			    name, l->v[i - 1].line, l->v[i].line);
		}
	return err_set(e, "%s: records cannot be sorted", c->name);
}

int crl_records(const struct crl *c, const X509_NAME *ca_name,
    struct status_list *out, struct err *e)
{
	const X509_NAME *issuer = X509_CRL_get_issuer(c->x);
	const uint8_t *p = c->revoked, *end = c->revoked + c->revoked_len;
	struct walk w = { c, ca_name ? ca_name : issuer, 0, 0 };
	char a[256], b[256];
	struct tlv t;
	void *v;

	if (out->n != 0)
		return err_set(e, "%s: internal error: records into a list in use", c->name);
	w.ours = X509_NAME_cmp(issuer, w.ca) == 0;
	if (!w.ours && !c->scope.indirect)
		return err_set(e, "%s: issued by \"%s\", not by \"%s\", and not an "
		    "indirect CRL", c->name, crl_name_str(issuer, a, sizeof(a)),
		    crl_name_str(w.ca, b, sizeof(b)));
	/* One allocation for the usual CRL, where every entry is the CA's. */
	if (c->entries > 0) {
		if ((v = array_grow(out->v, &out->cap, c->entries, sizeof(out->v[0]))) == NULL)
			return err_set(e, "out of memory for %zu records", c->entries);
		out->v = v;
	}
	while (p < end) {
		w.idx++;
		/* count_entries has walked these already. */
		if (crl_tlv_read(p, (size_t)(end - p), &t) != 0)
			return err_set(e, "%s: entry %zu is not DER", c->name, w.idx);
		if (entry_add(&w, p, t.len, out, e) != 0)
			return -1;
		p += t.len;
	}
	return sort_records(c, out, e);
}

/* RFC 5280 5.2.4: a delta and its base have one issuer, one scope, and
 * the delta is newer than the base and based on it or an older CRL. */
static int delta_fits(const struct crl *base, const struct crl *delta, struct err *e)
{
	char a[SERIAL_NAME_MAX + 1], b[SERIAL_NAME_MAX + 1];
	int ia, ib;

	if (!delta->is_delta)
		return err_set(e, "%s: not a delta CRL (no deltaCRLIndicator)", delta->name);
	if (base->is_delta)
		return err_set(e, "%s: a delta CRL cannot be the base of another", base->name);
	if (!base->has_number || !delta->has_number)
		return err_set(e, "%s: no cRLNumber, so the delta cannot be matched",
		    base->has_number ? delta->name : base->name);
	if (X509_NAME_cmp(X509_CRL_get_issuer(base->x), X509_CRL_get_issuer(delta->x)) != 0)
		return err_set(e, "%s: not issued by the base CRL's issuer", delta->name);
	ia = X509_CRL_get_ext_by_NID(base->x, NID_issuing_distribution_point, -1);
	ib = X509_CRL_get_ext_by_NID(delta->x, NID_issuing_distribution_point, -1);
	if ((ia < 0) != (ib < 0) || (ia >= 0 && ASN1_OCTET_STRING_cmp(
	    X509_EXTENSION_get_data(X509_CRL_get_ext(base->x, ia)),
	    X509_EXTENSION_get_data(X509_CRL_get_ext(delta->x, ib))) != 0))
		return err_set(e, "%s: its issuingDistributionPoint differs from the base "
		    "CRL's (another scope)", delta->name);
	serial_name(&base->number, a);
	if (serial_cmp(&delta->base, &base->number) > 0)
		return err_set(e, "%s: based on CRL number %s, newer than the base CRL's %s",
		    delta->name, (serial_name(&delta->base, b), b), a);
	if (serial_cmp(&delta->number, &base->number) <= 0)
		return err_set(e, "%s: CRL number %s is not above the base CRL's %s",
		    delta->name, (serial_name(&delta->number, b), b), a);
	return 0;
}

/* Merges the sorted delta records d into the sorted base records. */
static void merge_delta(const struct status_list *base, const struct status_list *d,
    struct status_list *m)
{
	size_t i = 0, j = 0;

	while (i < base->n || j < d->n) {
		int c = i == base->n ? 1 : j == d->n ? -1 :
		    serial_cmp(&base->v[i].serial, &d->v[j].serial);
		if (c < 0) {
			m->v[m->n++] = base->v[i++];
			continue;
		}
		if (d->v[j].reason != REASON_REMOVE_FROM_CRL)
			m->v[m->n++] = d->v[j];
		else if (c == 0 && base->v[i].reason != REASON_CERTIFICATE_HOLD)
			m->v[m->n++] = base->v[i];	/* revocation is final */
		if (c == 0)
			i++;
		j++;
	}
}

int crl_apply_delta(struct status_list *base, const struct crl *base_crl,
    const struct crl *delta, const X509_NAME *ca_name, struct err *e)
{
	struct status_list d, m;
	void *v;
	int ret = -1;

	status_list_init(&d);
	status_list_init(&m);
	if (delta_fits(base_crl, delta, e) != 0 || crl_records(delta, ca_name, &d, e) != 0)
		goto out;
	if (base->n + d.n > 0) {
		if ((v = array_grow(m.v, &m.cap, base->n + d.n, sizeof(m.v[0]))) == NULL) {
			err_set(e, "out of memory");
			goto out;
		}
		m.v = v;
	}
	merge_delta(base, &d, &m);
	status_list_fini(base);
	*base = m;
	status_list_init(&m);
	ret = 0;
out:
	status_list_fini(&d);
	status_list_fini(&m);
	return ret;
}
