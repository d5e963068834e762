#include "ocsp/crl.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "ocsp/array.h"
#include "ocsp/der.h"
#include "ocsp/timefmt.h"

#include "crl_int.h"

enum { TAG_UTCTIME = 0x17, TAG_GENTIME = 0x18 };

/* Reads the TLV at p[0..n). DER only: one-byte tags, definite lengths in
 * their shortest form, content within n. */
int crl_tlv_read(const uint8_t *p, size_t n, struct tlv *t)
{
	size_t hdr = 2, vlen;

	if (n < 2 || (p[0] & 0x1f) == 0x1f)
		return -1;
	t->tag = p[0];
	if (p[1] < 0x80) {
		vlen = p[1];
	} else {
		size_t k = p[1] & 0x7f;
		if (k == 0 || k > 4 || n < 2 + k || p[2] == 0)
			return -1;	/* indefinite, huge, or not minimal */
		vlen = 0;
		for (size_t i = 0; i < k; i++)
			vlen = vlen << 8 | p[2 + i];
		if (vlen < 0x80)
			return -1;
		hdr += k;
	}
	if (vlen > n - hdr)
		return -1;
	t->p = p;
	t->v = p + hdr;
	t->vlen = vlen;
	t->len = hdr + vlen;
	return 0;
}

/* An X.500 name for messages, escaped as RFC 2253 does (no control
 * characters reach a log). */
const char *crl_name_str(const X509_NAME *n, char *out, size_t size)
{
	BIO *b = BIO_new(BIO_s_mem());
	int len;

	snprintf(out, size, "(unprintable name)");
	if (b != NULL && X509_NAME_print_ex(b, n, 0, XN_FLAG_RFC2253) >= 0 &&
	    (len = BIO_read(b, out, (int)size - 1)) >= 0)
		out[len] = '\0';
	if (out[0] == '\0')
		snprintf(out, size, "(empty name)");
	BIO_free(b);
	ERR_clear_error();
	return out;
}

const char *crl_oid_str(const ASN1_OBJECT *o, char *out, size_t size)
{
	if (OBJ_obj2txt(out, (int)size, o, 1) <= 0)
		snprintf(out, size, "(unprintable OID)");
	return out;
}

/* Frees what X509V3_EXT_d2i returned for ext. */
void crl_ext_value_free(X509_EXTENSION *ext, void *v)
{
	const X509V3_EXT_METHOD *m = X509V3_EXT_get(ext);

	if (v == NULL || m == NULL)
		return;
	if (m->it != NULL)
		ASN1_item_free(v, ASN1_ITEM_ptr(m->it));
	else if (m->ext_free != NULL)
		m->ext_free(v);
}

/* An INTEGER as a serial-like number (cRLNumber, BaseCRLNumber). */
static int integer_to_serial(const ASN1_INTEGER *i, struct serial *s)
{
	if (ASN1_STRING_type(i) == V_ASN1_NEG_INTEGER)
		return -1;
	return serial_from_bytes(s, ASN1_STRING_get0_data(i),
	    (size_t)ASN1_STRING_length(i));
}

/* PEM: exactly one "X509 CRL" block, decoded into *der. */
static int pem_to_der(struct crl *c, const uint8_t *buf, size_t len, struct err *e)
{
	BIO *bio = BIO_new_mem_buf(buf, (int)len);
	char *pname = NULL, *header = NULL, *pname2 = NULL, *header2 = NULL;
	unsigned char *data = NULL, *data2 = NULL;
	long dlen = 0, dlen2 = 0;
	int ret = -1;

	if (bio == NULL) {
		err_set(e, "out of memory");
		goto out;
	}
	if (!PEM_read_bio(bio, &pname, &header, &data, &dlen)) {
		err_ssl(e, "%s: neither DER nor PEM", c->name);
		goto out;
	}
	if (strcmp(pname, PEM_STRING_X509_CRL) != 0) {
		err_set(e, "%s: PEM block is \"%.40s\", not \"%s\"", c->name, pname,
		    PEM_STRING_X509_CRL);
		goto out;
	}
	if (header[0] != '\0') {
		err_set(e, "%s: PEM block has headers (encrypted?)", c->name);
		goto out;
	}
	if (PEM_read_bio(bio, &pname2, &header2, &data2, &dlen2)) {
		err_set(e, "%s: more than one PEM block", c->name);
		goto out;
	}
	ERR_clear_error();	/* the end of the input */
	c->der = data;
	c->der_len = (size_t)dlen;
	data = NULL;
	ret = 0;
out:
	OPENSSL_free(pname);
	OPENSSL_free(header);
	OPENSSL_free(data);
	OPENSSL_free(pname2);
	OPENSSL_free(header2);
	OPENSSL_free(data2);
	BIO_free(bio);
	return ret;
}

static int der_copy(struct crl *c, const uint8_t *buf, size_t len, struct err *e)
{
	/* OPENSSL_malloc, so that PEM's buffer and this one free alike. */
	c->der = OPENSSL_malloc(len);
	if (c->der == NULL)
		return err_set(e, "out of memory");
	memcpy(c->der, buf, len);
	c->der_len = len;
	return 0;
}

/* The parts of the CertificateList that the skeleton is made of. */
struct crl_layout {
	struct tlv tbs, alg, sig, inner_alg;
	const uint8_t *before_revoked, *after_revoked;
	size_t before_len, after_len;
};

static int is_time(uint8_t tag)
{
	return tag == TAG_UTCTIME || tag == TAG_GENTIME;
}

/* Walks TBSCertList's fields: [version] signature issuer thisUpdate
 * [nextUpdate] [revokedCertificates] [0 crlExtensions]. */
static int split_tbs(struct crl *c, struct crl_layout *l, struct err *e)
{
	const uint8_t *p = l->tbs.v, *end = l->tbs.v + l->tbs.vlen;
	struct tlv t;
	int field = 0;

	l->before_revoked = p;
	l->after_revoked = end;
	l->before_len = l->tbs.vlen;	/* without revokedCertificates: all */
	c->revoked = end;		/* none: an empty list, not NULL */
	c->revoked_len = 0;
	while (p < end) {
		if (crl_tlv_read(p, (size_t)(end - p), &t) != 0)
			return err_set(e, "%s: field %d of the signed part is not DER",
			    c->name, field + 1);
		if (field == 0 && t.tag == DER_INTEGER) {
			field = 1;	/* version: read by OpenSSL */
		} else if (field <= 1 && t.tag == DER_SEQUENCE) {
			l->inner_alg = t;
			field = 2;
		} else if (field == 2 && t.tag == DER_SEQUENCE) {
			field = 3;	/* issuer */
		} else if ((field == 3 || field == 4) && is_time(t.tag)) {
			field++;	/* thisUpdate, nextUpdate */
		} else if ((field == 4 || field == 5) && t.tag == DER_SEQUENCE) {
			l->before_len = (size_t)(p - l->before_revoked);
			l->after_revoked = p + t.len;
			c->revoked = t.v;
			c->revoked_len = t.vlen;
			field = 6;
		} else if (field >= 4 && field <= 6 && t.tag == DER_CTX0) {
			field = 7;
		} else {
			return err_set(e, "%s: unexpected field (tag 0x%02x) in the signed part",
			    c->name, t.tag);
		}
		p += t.len;
	}
	if (field < 4)
		return err_set(e, "%s: signed part is incomplete", c->name);
	l->after_len = (size_t)(end - l->after_revoked);
	return 0;
}

static int count_entries(struct crl *c, struct err *e)
{
	const uint8_t *p = c->revoked, *end = c->revoked + c->revoked_len;
	struct tlv t;

	while (p < end) {
		if (crl_tlv_read(p, (size_t)(end - p), &t) != 0 || t.tag != DER_SEQUENCE)
			return err_set(e, "%s: entry %zu is not DER", c->name, c->entries + 1);
		c->entries++;
		p += t.len;
	}
	return 0;
}

static int split_der(struct crl *c, struct crl_layout *l, struct err *e)
{
	struct tlv outer;
	const uint8_t *p, *end;

	if (crl_tlv_read(c->der, c->der_len, &outer) != 0 || outer.tag != DER_SEQUENCE)
		return err_set(e, "%s: not a DER CertificateList", c->name);
	if (outer.len != c->der_len)
		return err_set(e, "%s: %zu bytes after the CRL", c->name,
		    c->der_len - outer.len);
	p = outer.v;
	end = outer.v + outer.vlen;
	if (crl_tlv_read(p, (size_t)(end - p), &l->tbs) != 0 || l->tbs.tag != DER_SEQUENCE ||
	    (p += l->tbs.len, crl_tlv_read(p, (size_t)(end - p), &l->alg)) != 0 ||
	    l->alg.tag != DER_SEQUENCE ||
	    (p += l->alg.len, crl_tlv_read(p, (size_t)(end - p), &l->sig)) != 0 ||
	    l->sig.tag != DER_BIT_STRING || p + l->sig.len != end)
		return err_set(e, "%s: CertificateList is not tbsCertList, "
		    "signatureAlgorithm, signatureValue in DER", c->name);
	/* Every signature algorithm gives whole octets; OpenSSL would also
	 * clear unused bits silently, so the bytes kept would not be the ones
	 * read. */
	if (l->sig.vlen < 2 || l->sig.v[0] != 0)
		return err_set(e, "%s: signatureValue has unused bits or is empty", c->name);
	c->tbs = l->tbs.p;
	c->tbs_len = l->tbs.len;
	if (split_tbs(c, l, e) != 0 || count_entries(c, e) != 0)
		return -1;
	if (l->inner_alg.len != l->alg.len ||
	    memcmp(l->inner_alg.v, l->alg.v, l->alg.vlen) != 0)
		return err_set(e, "%s: the signature algorithm inside the signed part "
		    "differs from the outer one", c->name);
	return 0;
}

/* The CRL without its entries, decoded by OpenSSL. */
static int decode_skeleton(struct crl *c, const struct crl_layout *l, struct err *e)
{
	size_t cap = l->before_len + l->after_len + l->alg.len + l->sig.len + 16;
	uint8_t *buf = malloc(cap);
	struct der d;
	const unsigned char *p;
	int ret = -1;

	if (buf == NULL)
		return err_set(e, "out of memory");
	der_init(&d, buf, cap);
	der_raw(&d, l->sig.p, l->sig.len);
	der_raw(&d, l->alg.p, l->alg.len);
	size_t mark = der_len(&d);
	der_raw(&d, l->after_revoked, l->after_len);
	der_raw(&d, l->before_revoked, l->before_len);
	der_wrap(&d, DER_SEQUENCE, mark);
	der_wrap(&d, DER_SEQUENCE, 0);
	if (!der_ok(&d)) {
		err_set(e, "%s: internal error: skeleton too large", c->name);
		goto out;
	}
	p = der_data(&d);
	c->x = d2i_X509_CRL(NULL, &p, (long)der_len(&d));
	if (c->x == NULL || p != der_data(&d) + der_len(&d)) {
		err_ssl(e, "%s: not a valid CRL", c->name);
		goto out;
	}
	ret = 0;
out:
	free(buf);
	return ret;
}

static int parse_times(struct crl *c, struct err *e)
{
	const ASN1_TIME *next = X509_CRL_get0_nextUpdate(c->x);

	if (timefmt_from_asn1(X509_CRL_get0_lastUpdate(c->x), &c->this_update) != 0)
		return err_set(e, "%s: thisUpdate is not a valid time", c->name);
	if (next == NULL)
		return 0;
	if (timefmt_from_asn1(next, &c->next_update) != 0)
		return err_set(e, "%s: nextUpdate is not a valid time", c->name);
	if (c->next_update < c->this_update)
		return err_set(e, "%s: nextUpdate is before thisUpdate", c->name);
	c->has_next = 1;
	return 0;
}

static int parse_idp(struct crl *c, const ISSUING_DIST_POINT *idp, struct err *e)
{
	struct crl_scope *s = &c->scope;

	s->has_idp = 1;
	s->has_dp_name = idp->distpoint != NULL;
	s->only_user = idp->onlyuser > 0;
	s->only_ca = idp->onlyCA > 0;
	s->only_attr = idp->onlyattr > 0;
	s->only_some_reasons = idp->onlysomereasons != NULL;
	s->indirect = idp->indirectCRL > 0;
	if (s->only_user + s->only_ca + s->only_attr > 1)
		return err_set(e, "%s: issuingDistributionPoint sets more than one of "
		    "onlyContainsUserCerts, onlyContainsCACerts, onlyContainsAttributeCerts",
		    c->name);
	return 0;
}

/* One CRL extension, decoded: those that change what the CRL means are
 * kept; the informational ones (RFC 5280 5.2) are understood as such. */
static int parse_crl_ext(struct crl *c, X509_EXTENSION *ext, struct err *e)
{
	int nid = OBJ_obj2nid(X509_EXTENSION_get_object(ext));
	void *v = NULL;
	char oid[80];
	int ret = -1;

	switch (nid) {
	case NID_authority_key_identifier:
	case NID_issuer_alt_name:
	case NID_freshest_crl:
	case NID_info_access:
		return 0;
	case NID_crl_number:
	case NID_delta_crl:
	case NID_issuing_distribution_point:
		break;
	default:
		if (!X509_EXTENSION_get_critical(ext))
			return 0;
		return err_set(e, "%s: unknown critical extension %s", c->name,
		    crl_oid_str(X509_EXTENSION_get_object(ext), oid, sizeof(oid)));
	}
	v = X509V3_EXT_d2i(ext);
	if (v == NULL) {
		err_ssl(e, "%s: malformed %s extension", c->name, OBJ_nid2sn(nid));
		goto out;
	}
	if (nid == NID_crl_number) {
		if (integer_to_serial(v, &c->number) != 0) {
			err_set(e, "%s: cRLNumber is negative or too long", c->name);
			goto out;
		}
		c->has_number = 1;
	} else if (nid == NID_delta_crl) {
		if (integer_to_serial(v, &c->base) != 0) {
			err_set(e, "%s: BaseCRLNumber is negative or too long", c->name);
			goto out;
		}
		c->is_delta = 1;
	} else if (parse_idp(c, v, e) != 0) {
		goto out;
	}
	ret = 0;
out:
	crl_ext_value_free(ext, v);
	return ret;
}

static int parse_extensions(struct crl *c, struct err *e)
{
	int n = X509_CRL_get_ext_count(c->x);
	char oid[80];

	if (n > 0 && !c->v2)
		return err_set(e, "%s: a v1 CRL with extensions", c->name);
	if (n > CRL_MAX_EXTENSIONS)
		return err_set(e, "%s: more than %d extensions", c->name, CRL_MAX_EXTENSIONS);
	for (int i = 0; i < n; i++) {
		X509_EXTENSION *ext = X509_CRL_get_ext(c->x, i);
		const ASN1_OBJECT *o = X509_EXTENSION_get_object(ext);
		if (X509_CRL_get_ext_by_OBJ(c->x, o, i) >= 0)
			return err_set(e, "%s: extension %s appears twice", c->name,
			    crl_oid_str(o, oid, sizeof(oid)));
		if (parse_crl_ext(c, ext, e) != 0)
			return -1;
	}
	return 0;
}

static int parse_der(struct crl *c, struct err *e)
{
	struct crl_layout l;
	long version;

	memset(&l, 0, sizeof(l));
	if (split_der(c, &l, e) != 0 || decode_skeleton(c, &l, e) != 0)
		return -1;
	version = X509_CRL_get_version(c->x);
	if (version != X509_CRL_VERSION_1 && version != X509_CRL_VERSION_2)
		return err_set(e, "%s: unknown CRL version %ld", c->name, version + 1);
	c->v2 = version == X509_CRL_VERSION_2;
	if (parse_times(c, e) != 0 || parse_extensions(c, e) != 0)
		return -1;
	if (!EVP_Digest(c->der, c->der_len, c->sha256, NULL, EVP_sha256(), NULL))
		return err_ssl(e, "%s: SHA-256", c->name);
	return 0;
}

int crl_parse(const uint8_t *buf, size_t len, const char *name, struct crl **out,
    struct err *e)
{
	struct crl *c;
	int ret = -1;

	*out = NULL;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return err_set(e, "out of memory");
	snprintf(c->name, sizeof(c->name), "%s", name ? name : "crl");
	if (len == 0) {
		err_set(e, "%s: empty", c->name);
		goto out;
	}
	if (len > CRL_MAX_BYTES) {
		err_set(e, "%s: larger than %zu bytes", c->name, CRL_MAX_BYTES);
		goto out;
	}
	/* A DER CertificateList starts with a SEQUENCE tag; PEM with text. */
	if ((buf[0] == DER_SEQUENCE ?
	    der_copy(c, buf, len, e) : pem_to_der(c, buf, len, e)) != 0)
		goto out;
	if (parse_der(c, e) != 0)
		goto out;
	*out = c;
	ret = 0;
out:
	if (ret != 0)
		crl_free(c);
	return ret;
}

void crl_free(struct crl *c)
{
	if (c == NULL)
		return;
	X509_CRL_free(c->x);
	OPENSSL_free(c->der);
	free(c);
}

/* The signature over the signed part exactly as received: an ASN1_ANY of
 * type SEQUENCE is encoded as its stored bytes, so ASN1_item_verify sees
 * the TBSCertList the CA signed, whatever the algorithm. (The copy costs
 * the CRL's size once more, briefly; ASN1_item_verify makes another.) */
static int signature_ok(const struct crl *c, EVP_PKEY *key)
{
	const ASN1_BIT_STRING *sig;
	const X509_ALGOR *alg;
	ASN1_STRING *s = ASN1_STRING_type_new(V_ASN1_SEQUENCE);
	ASN1_TYPE *t = ASN1_TYPE_new();
	int ok = 0;

	if (s == NULL || t == NULL || c->tbs_len > INT_MAX ||
	    !ASN1_STRING_set(s, c->tbs, (int)c->tbs_len)) {
		ASN1_STRING_free(s);
		goto out;
	}
	ASN1_TYPE_set(t, V_ASN1_SEQUENCE, s);	/* t owns s */
	X509_CRL_get0_signature(c->x, &sig, &alg);
	ok = ASN1_item_verify(ASN1_ITEM_rptr(ASN1_ANY), alg, sig, t, key) == 1;
out:
	ASN1_TYPE_free(t);
	return ok;
}

/* 1 when cert has a keyUsage extension without usage. */
static int ku_lacks(X509 *cert, uint32_t usage)
{
	return (X509_get_extension_flags(cert) & EXFLAG_KUSAGE) &&
	    !(X509_get_key_usage(cert) & usage);
}

/* A hint for a failed signature: the CRL names another key. */
static const char *aki_hint(const struct crl *c, X509 *signer)
{
	AUTHORITY_KEYID *aki = X509_CRL_get_ext_d2i(c->x, NID_authority_key_identifier,
	    NULL, NULL);
	const ASN1_OCTET_STRING *ski = X509_get0_subject_key_id(signer);
	const char *hint = "";

	if (aki != NULL && aki->keyid != NULL && ski != NULL &&
	    ASN1_OCTET_STRING_cmp(aki->keyid, ski) != 0)
		hint = " (its authorityKeyIdentifier names another key)";
	AUTHORITY_KEYID_free(aki);
	ERR_clear_error();
	return hint;
}

static int signer_ok(const struct crl *c, X509 *ca, X509 *signer, struct err *e)
{
	char a[256], b[256];
	int64_t nb, na;

	if (X509_NAME_cmp(X509_get_issuer_name(signer), X509_get_subject_name(ca)) != 0)
		return err_set(e, "%s: the CRL signer certificate is issued by \"%s\", "
		    "not by the CA \"%s\"", c->name,
		    crl_name_str(X509_get_issuer_name(signer), a, sizeof(a)),
		    crl_name_str(X509_get_subject_name(ca), b, sizeof(b)));
	if (X509_verify(signer, X509_get0_pubkey(ca)) != 1)
		return err_ssl(e, "%s: the CRL signer certificate does not carry the CA's "
		    "signature", c->name);
	if (ku_lacks(ca, KU_KEY_CERT_SIGN))
		return err_set(e, "%s: the CA's keyUsage lacks keyCertSign, so it cannot "
		    "have issued the CRL signer", c->name);
	if (!(X509_get_extension_flags(signer) & EXFLAG_KUSAGE) ||
	    !(X509_get_key_usage(signer) & KU_CRL_SIGN))
		return err_set(e, "%s: the CRL signer certificate has no keyUsage cRLSign",
		    c->name);
	if (timefmt_from_asn1(X509_get0_notBefore(signer), &nb) != 0 ||
	    timefmt_from_asn1(X509_get0_notAfter(signer), &na) != 0 ||
	    c->this_update < nb || c->this_update > na)
		return err_set(e, "%s: the CRL signer certificate was not valid at the "
		    "CRL's thisUpdate", c->name);
	return 0;
}

int crl_verify(const struct crl *c, X509 *issuer, X509 *crl_signer, struct err *e)
{
	X509 *signer = crl_signer ? crl_signer : issuer;
	const char *who = crl_signer ? "CRL signer" : "CA";
	char a[256], b[256];
	EVP_PKEY *key;

	if (crl_signer != NULL && signer_ok(c, issuer, crl_signer, e) != 0)
		return -1;
	if (X509_NAME_cmp(X509_CRL_get_issuer(c->x), X509_get_subject_name(signer)) != 0)
		return err_set(e, "%s: issued by \"%s\", not by the %s \"%s\"", c->name,
		    crl_name_str(X509_CRL_get_issuer(c->x), a, sizeof(a)), who,
		    crl_name_str(X509_get_subject_name(signer), b, sizeof(b)));
	if (ku_lacks(signer, KU_CRL_SIGN))
		return err_set(e, "%s: the %s's keyUsage lacks cRLSign", c->name, who);
	key = X509_get0_pubkey(signer);
	if (key == NULL)
		return err_ssl(e, "%s: the %s's public key cannot be read", c->name, who);
	if (!signature_ok(c, key))
		return err_ssl(e, "%s: the signature does not verify with the %s's key%s",
		    c->name, who, aki_hint(c, signer));
	return 0;
}

void crl_scope(const struct crl *c, struct crl_scope *out)
{
	*out = c->scope;
}

int crl_check_complete(const struct crl *c, struct err *e)
{
	if (c->is_delta)
		return err_set(e, "%s: a delta CRL lists only changes; it needs its base CRL",
		    c->name);
	if (c->scope.only_some_reasons)
		return err_set(e, "%s: covers only some revocation reasons "
		    "(onlySomeReasons), so it is not a complete list", c->name);
	if (c->scope.only_ca)
		return err_set(e, "%s: covers only CA certificates (onlyContainsCACerts)",
		    c->name);
	if (c->scope.only_attr)
		return err_set(e, "%s: covers only attribute certificates "
		    "(onlyContainsAttributeCerts)", c->name);
	return 0;
}

const char *crl_name(const struct crl *c)
{
	return c->name;
}

const X509_NAME *crl_issuer(const struct crl *c)
{
	return X509_CRL_get_issuer(c->x);
}

int64_t crl_this_update(const struct crl *c)
{
	return c->this_update;
}

int crl_next_update(const struct crl *c, int64_t *t, struct err *e)
{
	if (!c->has_next)
		return err_set(e, "%s: no nextUpdate", c->name);
	*t = c->next_update;
	return 0;
}

int crl_number(const struct crl *c, struct serial *n)
{
	if (c->has_number)
		*n = c->number;
	return c->has_number;
}

int crl_delta_base(const struct crl *c, struct serial *base)
{
	if (c->is_delta)
		*base = c->base;
	return c->is_delta;
}

size_t crl_entries(const struct crl *c)
{
	return c->entries;
}

void crl_get_id(const struct crl *c, struct crl_id *out)
{
	memset(out, 0, sizeof(*out));
	memcpy(out->sha256, c->sha256, sizeof(out->sha256));
	out->has_number = c->has_number;
	if (c->has_number)
		out->number = c->number;
	out->this_update = c->this_update;
}

int crl_id_eq(const struct crl_id *a, const struct crl_id *b)
{
	return memcmp(a->sha256, b->sha256, sizeof(a->sha256)) == 0;
}

const uint8_t *crl_der(const struct crl *c, size_t *len)
{
	*len = c->der_len;
	return c->der;
}
