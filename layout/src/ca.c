#include "ocsp/ca.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ocsp/der.h"
#include "ocsp/hex.h"
#include "ocsp/pem.h"
#include "ocsp/timefmt.h"

/* Writes name in RFC 2253 form, keeping only printable ASCII other than
 * ';' and '#' so that it can sit in a metadata file and a log line. */
static void name_text(X509_NAME *name, char *out, size_t size)
{
	BIO *bio = BIO_new(BIO_s_mem());
	int n = 0;

	out[0] = '\0';
	if (bio == NULL)
		return;
	if (X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253) >= 0)
		n = BIO_read(bio, out, (int)size - 1);
	BIO_free(bio);
	if (n < 0)
		n = 0;
	out[n] = '\0';
	for (int i = 0; i < n; i++)
		if ((unsigned char)out[i] < 0x20 || (unsigned char)out[i] >= 0x7f ||
		    out[i] == ';' || out[i] == '#')
			out[i] = '?';
	while (n > 0 && out[n - 1] == ' ')
		out[--n] = '\0';
	if (out[0] == ' ')
		out[0] = '?';
}

int ca_open(const char *issuer_path, struct ca **out, struct err *e)
{
	struct ca *ca = calloc(1, sizeof(*ca));

	if (ca == NULL)
		return err_set(e, "out of memory");
	if (pem_read_cert(issuer_path, &ca->issuer, e) != 0)
		goto fail;
	/* Fill the certificate's extension cache now, on one thread: OpenSSL
	 * fills it on first use (X509_check_issued, the key identifiers), and
	 * threads checking signers against this CA at once would race on it. */
	X509_check_purpose(ca->issuer, -1, 0);
	for (int alg = 0; alg < HASH_COUNT; alg++)
		if (certid_issuer_hash(ca->issuer, alg, &ca->hash[alg], e) != 0)
			goto fail;
	tree_issuer_dir(ca->dir, ca->hash[HASH_SHA1].key);
	name_text(X509_get_subject_name(ca->issuer), ca->subject, sizeof(ca->subject));
	*out = ca;
	return 0;
fail:
	ca_free(ca);
	return -1;
}

void ca_free(struct ca *ca)
{
	if (ca == NULL)
		return;
	X509_free(ca->issuer);
	for (size_t i = 0; i < ca->ncand; i++) {
		if (ca->cand[i].owned)
			signer_free(ca->cand[i].signer);
		free(ca->cand[i].certs);
	}
	free(ca);
}

static int same_key(X509 *a, X509 *b)
{
	return EVP_PKEY_eq(X509_get0_pubkey(a), X509_get0_pubkey(b)) == 1;
}

static void warnf(const struct ca_warn *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void warnf(const struct ca_warn *w, const char *fmt, ...)
{
	char msg[ERR_MSG_MAX + 256];
	va_list ap;

	if (w == NULL || w->fn == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	w->fn(w->arg, msg);
}

/* A delegated responder: issued and signed by the CA, with OCSPSigning. */
static int check_delegated(const struct ca *ca, X509 *cert, const char *source,
    const struct ca_warn *w, struct err *e)
{
	if (X509_check_issued(ca->issuer, cert) != X509_V_OK)
		return err_set(e, "the signer certificate was not issued by %s", ca->subject);
	if (X509_verify(cert, X509_get0_pubkey(ca->issuer)) != 1)
		return err_ssl(e, "the signer certificate's signature does not verify with the key of %s",
		    ca->subject);
	if (!(X509_get_extension_flags(cert) & EXFLAG_XKUSAGE) ||
	    !(X509_get_extended_key_usage(cert) & XKU_OCSP_SIGN))
		return err_set(e, "the signer certificate lacks the id-kp-OCSPSigning "
		    "extended key usage, so clients will not accept it for %s", ca->subject);
	if (X509_get_ext_by_NID(cert, NID_id_pkix_OCSP_noCheck, -1) < 0)
		warnf(w, "%s: the delegated signer certificate has no id-pkix-ocsp-nocheck "
		    "extension (the CA/B Forum requires it)", source);
	return 0;
}

/* Encodes [0] EXPLICIT SEQUENCE { cert } once, for every response. */
static int encode_certs(struct ca_signer *cs, X509 *cert, struct err *e)
{
	uint8_t *der = NULL;
	int n = i2d_X509(cert, &der);
	size_t cap;
	struct der d;

	if (n <= 0)
		return err_ssl(e, "cannot encode the signer certificate");
	cap = (size_t)n + 16;
	cs->certs = malloc(cap);
	if (cs->certs == NULL) {
		OPENSSL_free(der);
		return err_set(e, "out of memory");
	}
	der_init(&d, cs->certs, cap);
	der_raw(&d, der, (size_t)n);
	der_wrap(&d, DER_SEQUENCE, 0);
	der_wrap(&d, DER_CTX0, 0);
	OPENSSL_free(der);
	cs->certs_len = der_len(&d);
	memmove(cs->certs, der_data(&d), cs->certs_len);
	return 0;
}

/* ResponderID ::= CHOICE { byName [1] Name, byKey [2] KeyHash } (RFC 6960
 * 4.2.1), both EXPLICIT: byKey unless the signer asks for its name. */
static int encode_responder_id(struct ca_signer *cs, X509 *cert, int by_name, struct err *e)
{
	unsigned char *name = NULL;
	unsigned int n = 0;
	int len;
	struct der d;

	if (!X509_pubkey_digest(cert, EVP_sha1(), cs->responder_key_hash, &n) || n != 20)
		return err_ssl(e, "cannot hash the signer key");
	der_init(&d, cs->responder_id, sizeof(cs->responder_id));
	if (by_name) {
		len = i2d_X509_NAME(X509_get_subject_name(cert), &name);
		if (len <= 0)
			return err_ssl(e, "cannot encode the signer's name");
		der_raw(&d, name, (size_t)len);
		der_wrap(&d, DER_CTX1, 0);
		OPENSSL_free(name);
	} else {
		der_octets(&d, cs->responder_key_hash, sizeof(cs->responder_key_hash));
		der_wrap(&d, DER_CTX2, 0);
	}
	if (!der_ok(&d))
		return err_set(e, "the signer's name is over %d bytes", CA_RESPONDER_ID_MAX);
	cs->responder_id_len = der_len(&d);
	memmove(cs->responder_id, der_data(&d), cs->responder_id_len);
	return 0;
}

static int fingerprint(struct ca_signer *cs, X509 *cert, struct err *e)
{
	uint8_t md[32];
	unsigned int n = 0;

	if (!X509_digest(cert, EVP_sha256(), md, &n) || n != 32)
		return err_ssl(e, "cannot hash the signer certificate");
	hex_lower(cs->fpr, md, 32);
	return 0;
}

/* Makes cert, one of signer's, the next candidate. Returns 0; -1 when it
 * is not authorised for this CA (e says why); -2 on another error. */
static int add_candidate(struct ca *ca, struct signer *signer, X509 *cert,
    const struct ca_warn *w, struct err *e)
{
	const struct signer_conf *sc = signer_conf_of(signer);
	struct ca_signer *cs;
	int self;

	if (ca->ncand == CONFIG_CA_SIGNERS_MAX)
		return err_set(e, "more than %d signer certificates", CONFIG_CA_SIGNERS_MAX), -2;
	cs = &ca->cand[ca->ncand];
	memset(cs, 0, sizeof(*cs));
	self = X509_cmp(cert, ca->issuer) == 0 || (same_key(cert, ca->issuer) &&
	    X509_NAME_cmp(X509_get_subject_name(cert), X509_get_subject_name(ca->issuer)) == 0);
	name_text(X509_get_subject_name(cert), cs->subject, sizeof(cs->subject));
	if (!self && check_delegated(ca, cert, signer_source(signer), w, e) != 0)
		return -1;
	if (timefmt_from_asn1(X509_get0_notBefore(cert), &cs->not_before) != 0 ||
	    timefmt_from_asn1(X509_get0_notAfter(cert), &cs->not_after) != 0)
		return err_set(e, "the signer certificate %s has unreadable validity dates",
		    cs->subject), -2;
	if (fingerprint(cs, cert, e) != 0 ||
	    encode_responder_id(cs, cert, sc && sc->responder_id == RESPONDER_ID_NAME, e) != 0 ||
	    (!self && encode_certs(cs, cert, e) != 0)) {
		free(cs->certs);
		return -2;
	}
	cs->signer = signer;
	cs->cert = cert;
	cs->max_sign_rate = sc ? sc->max_sign_rate : 0;
	ca->ncand++;
	return 0;
}

int ca_add_signer(struct ca *ca, struct signer *signer, int owned,
    const struct ca_warn *w, struct err *e)
{
	size_t n = signer_cert_count(signer), added = 0, first = ca->ncand;
	struct err le = { "" };

	for (size_t i = 0; i < n; i++) {
		X509 *cert = signer_cert_at(signer, i);
		int r = add_candidate(ca, signer, cert, w, &le);
		if (r == -2) {
			*e = le;
			goto fail;
		}
		if (r == 0) {
			added++;
			continue;
		}
		/* A certificate of a shared signer is for one CA: those issued
		 * by others are no news, those that claim this CA are. */
		if (n > 1 && X509_check_issued(ca->issuer, cert) == X509_V_OK)
			warnf(w, "%s: certificate %zu skipped: %s", signer_source(signer), i + 1,
			    le.msg);
	}
	if (added == 0 && n == 1) {
		*e = le;
		goto fail;
	}
	if (added == 0) {
		err_set(e, "none of its %zu certificates is %s or a responder certificate it "
		    "issued", n, ca->subject);
		goto fail;
	}
	ca->cand[first].owned = owned;	/* freed once, with the first */
	return 0;
fail:
	if (owned)
		signer_free(signer);
	return -1;
}

const struct ca_signer *ca_signer_now(const struct ca *ca)
{
	return atomic_load_explicit(&((struct ca *)ca)->signer, memory_order_acquire);
}

/* Why cs cannot sign at now, in reason (size bytes). */
static void skip_reason(const struct ca_signer *cs, int64_t now, char *reason, size_t size)
{
	char when[TIMEFMT_ISO_LEN + 1] = "?";

	if (now < cs->not_before) {
		timefmt_iso(when, sizeof(when), cs->not_before);
		snprintf(reason, size, "%s: the signer certificate %s is not valid yet (from %s)",
		    signer_source(cs->signer), cs->subject, when);
	} else {
		timefmt_iso(when, sizeof(when), cs->not_after);
		snprintf(reason, size, "%s: the signer certificate %s has expired (at %s)",
		    signer_source(cs->signer), cs->subject, when);
	}
}

static void warn_expiry(const struct ca_signer *cs, int64_t now, int64_t validity,
    int64_t expiry_warning, const struct ca_warn *w)
{
	char when[TIMEFMT_ISO_LEN + 1] = "?";

	timefmt_iso(when, sizeof(when), cs->not_after);
	if (cs->not_after < now + validity)
		warnf(w, "%s: the signer certificate %s expires at %s, before the responses it "
		    "signs now; clients will reject them after that (add a newer signer)",
		    signer_source(cs->signer), cs->subject, when);
	else if (cs->not_after < now + expiry_warning)
		warnf(w, "%s: the signer certificate %s expires at %s; add its successor",
		    signer_source(cs->signer), cs->subject, when);
}

int ca_choose(struct ca *ca, int64_t now, int64_t validity, int64_t expiry_warning,
    const struct ca_warn *w, struct err *e)
{
	const struct ca_signer *best = NULL, *old = ca_signer_now(ca);
	char reason[ERR_MSG_MAX] = "";

	for (size_t i = 0; i < ca->ncand; i++) {
		const struct ca_signer *cs = &ca->cand[i];
		if (now < cs->not_before || now >= cs->not_after) {
			skip_reason(cs, now, reason, sizeof(reason));
			warnf(w, "%s; skipped", reason);
			continue;
		}
		if (best == NULL || cs->not_before > best->not_before)
			best = cs;
	}
	atomic_store_explicit(&ca->signer, best, memory_order_release);
	if (best == NULL && ca->ncand == 0)
		return err_set(e, "no usable signer: every configured one failed to load or "
		    "is not authorised");
	if (best == NULL)
		return err_set(e, "no usable signer%s: %s", ca->ncand > 1 ? " (the last skipped)" :
		    "", reason);
	warn_expiry(best, now, validity, expiry_warning, w);
	return best != old;
}

int ca_attach_signer(struct ca *ca, struct signer *signer, int64_t now,
    int64_t validity, const struct ca_warn *w, struct err *e)
{
	if (ca_add_signer(ca, signer, 1, w, e) != 0)
		return -1;
	return ca_choose(ca, now, validity, 0, w, e) < 0 ? -1 : 0;
}

int ca_load_conf(const struct ca_conf *conf, const struct signer_set *set, int64_t now,
    const struct ca_warn *w, struct ca **out, struct err *e)
{
	struct err se;

	*out = NULL;
	if (ca_open(conf->issuer, out, e) != 0)
		return -1;
	for (size_t i = 0; i < conf->nuse; i++) {
		struct signer *s = signer_set_find(set, conf->use[i], &se);
		if (s == NULL || ca_add_signer(*out, s, 0, w, &se) != 0)
			warnf(w, "%s%s%s%s%s: skipped: %s", conf->use[i]->name[0] ? "signer " : "",
			    conf->use[i]->name, conf->use[i]->name[0] ? " (" : "",
			    conf->use[i]->certificate, conf->use[i]->name[0] ? ")" : "", se.msg);
	}
	if (conf->nuse > 0 && ca_choose(*out, now, conf->validity, conf->signer_expiry_warning,
	    w, e) < 0)
		return 1;
	return 0;
}

int ca_signer_authorised(const struct ca *ca, X509 *cert, struct err *e)
{
	if (same_key(ca->issuer, cert))
		return 0;
	return check_delegated(ca, cert, "signer", NULL, e);
}
