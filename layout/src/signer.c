#include "ocsp/signer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/safestack.h>
#include <openssl/x509.h>

#include "ocsp/array.h"
#include "ocsp/pem.h"
#include "signer_int.h"
#include "signer_p11.h"

enum sig_kind { SIG_DIGEST_THEN_SIGN, SIG_ONESHOT };

struct signer {
	STACK_OF(X509) *certs;	/* one or more, all for key */
	EVP_PKEY *key;		/* owned, or the token's when p11 is set */
	struct p11_key *p11;
	enum sig_kind kind;
	EVP_MD *md;		/* digest for SIG_DIGEST_THEN_SIGN, fetched once */
	int pss;		/* RSASSA-PSS rather than PKCS #1 v1.5 */
	const uint8_t *algid;
	size_t algid_len;
	char desc[48];
	char source[128];
	const struct signer_conf *conf;
	struct signer_conf own_conf;	/* signer_load_pem's */
};

struct signer_ctx {
	const struct signer *s;
	EVP_PKEY_CTX *pctx;	/* reused for every signature */
	EVP_MD_CTX *mctx;	/* the digest, or Ed25519's one-shot signing */
};

static const uint8_t alg_rsa_sha256[] = { 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86,
	0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b, 0x05, 0x00 };
static const uint8_t alg_ecdsa_sha256[] = { 0x30, 0x0a, 0x06, 0x08, 0x2a,
	0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02 };
static const uint8_t alg_ecdsa_sha384[] = { 0x30, 0x0a, 0x06, 0x08, 0x2a,
	0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03 };
static const uint8_t alg_ecdsa_sha512[] = { 0x30, 0x0a, 0x06, 0x08, 0x2a,
	0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x04 };
static const uint8_t alg_ed25519[] = { 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70 };
/* RSASSA-PSS { hashAlgorithm sha256, maskGenAlgorithm mgf1(sha256),
 * saltLength 32 } (RFC 4055), what OpenSSL writes for these settings. */
static const uint8_t alg_rsa_pss_sha256[] = { 0x30, 0x41, 0x06, 0x09, 0x2a, 0x86,
	0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a, 0x30, 0x34, 0xa0, 0x0f, 0x30, 0x0d,
	0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00,
	0xa1, 0x1c, 0x30, 0x1a, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01,
	0x01, 0x08, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04,
	0x02, 0x01, 0x05, 0x00, 0xa2, 0x03, 0x02, 0x01, 0x20 };
#define PSS_SALT_LEN 32

static int choose_algorithm(struct signer *s, struct err *e)
{
	int bits = EVP_PKEY_get_bits(s->key);

	switch (EVP_PKEY_get_base_id(s->key)) {
	case EVP_PKEY_RSA:
		s->kind = SIG_DIGEST_THEN_SIGN;
		s->md = EVP_MD_fetch(NULL, "SHA256", NULL);
		s->algid = s->pss ? alg_rsa_pss_sha256 : alg_rsa_sha256;
		s->algid_len = s->pss ? sizeof(alg_rsa_pss_sha256) : sizeof(alg_rsa_sha256);
		snprintf(s->desc, sizeof(s->desc), "RSA %d%s", bits, s->pss ? " PSS" : "");
		return s->md ? 0 : err_ssl(e, "no SHA-256 digest available");
	case EVP_PKEY_EC:
		/* The digest follows the curve size, as the CA/B Forum asks
		 * (P-256 with SHA-256, P-384 with SHA-384, P-521 with SHA-512). */
		s->kind = SIG_DIGEST_THEN_SIGN;
		if (bits <= 256) {
			s->md = EVP_MD_fetch(NULL, "SHA256", NULL);
			s->algid = alg_ecdsa_sha256;
			s->algid_len = sizeof(alg_ecdsa_sha256);
		} else if (bits <= 384) {
			s->md = EVP_MD_fetch(NULL, "SHA384", NULL);
			s->algid = alg_ecdsa_sha384;
			s->algid_len = sizeof(alg_ecdsa_sha384);
		} else {
			s->md = EVP_MD_fetch(NULL, "SHA512", NULL);
			s->algid = alg_ecdsa_sha512;
			s->algid_len = sizeof(alg_ecdsa_sha512);
		}
		snprintf(s->desc, sizeof(s->desc), "ECDSA P-%d", bits);
		return s->md ? 0 : err_ssl(e, "no SHA-2 digest available");
	case EVP_PKEY_ED25519:
		s->kind = SIG_ONESHOT;
		s->algid = alg_ed25519;
		s->algid_len = sizeof(alg_ed25519);
		snprintf(s->desc, sizeof(s->desc), "Ed25519");
		return 0;
	default:
		return err_set(e, "unsupported key type (use RSA, ECDSA or Ed25519)");
	}
}

static int key_load(struct signer *s, const struct signer_conf *sc, const char *module,
    char *warning, size_t size, struct err *e)
{
	if (strncmp(sc->key, "pkcs11:", 7) != 0)
		return pem_key_load(sc, &s->key, e);
	if (p11_key_open(sc->key, sc->pin_file, sc->pkcs11_module ? sc->pkcs11_module : module,
	    &s->p11, warning, size, e) != 0)
		return -1;
	s->key = p11_key_pkey(s->p11);
	return 0;
}

/* Every certificate of the signer is for its key (one per CA it serves,
 * or a renewal). */
static int certs_match_key(const struct signer *s, const struct signer_conf *sc,
    struct err *e)
{
	int n = sk_X509_num(s->certs);

	for (int i = 0; i < n; i++) {
		if (X509_check_private_key(sk_X509_value(s->certs, i), s->key) == 1)
			continue;
		if (n == 1)
			return err_ssl(e, "%s: the key does not match the signer certificate %s",
			    sc->key, sc->certificate);
		return err_ssl(e, "%s: the key does not match certificate %d of %s", sc->key,
		    i + 1, sc->certificate);
	}
	return 0;
}

int signer_load(const struct signer_conf *sc, const char *default_module,
    struct signer **out, char *warning, size_t size, struct err *e)
{
	struct signer *s = calloc(1, sizeof(*s));

	*out = NULL;
	if (size > 0)
		warning[0] = '\0';
	if (s == NULL)
		return err_set(e, "out of memory");
	s->conf = sc;
	if (sc->name[0] != '\0')
		snprintf(s->source, sizeof(s->source), "signer %s (%s)", sc->name, sc->certificate);
	else
		snprintf(s->source, sizeof(s->source), "%s", sc->certificate);
	if (pem_read_certs(sc->certificate, SIGNER_CERTS_MAX, &s->certs, e) != 0 ||
	    key_load(s, sc, default_module, warning, size, e) != 0 ||
	    certs_match_key(s, sc, e) != 0)
		goto fail;
	s->pss = sc->rsa_padding == RSA_PADDING_PSS;
	if (s->pss && EVP_PKEY_get_base_id(s->key) != EVP_PKEY_RSA) {
		err_set(e, "%s: rsa_padding = pss needs an RSA key", sc->key);
		goto fail;
	}
	if (choose_algorithm(s, e) != 0) {
		err_prefix(e, "%s", sc->key);
		goto fail;
	}
	if (s->p11 != NULL) {
		size_t n = strlen(s->desc);
		snprintf(s->desc + n, sizeof(s->desc) - n, ", PKCS#11");
	}
	*out = s;
	return 0;
fail:
	signer_free(s);
	return -1;
}

int signer_load_pem(const char *cert_path, const char *key_path,
    struct signer **out, struct err *e)
{
	struct signer_conf sc;
	char warning[1];
	int r;

	memset(&sc, 0, sizeof(sc));
	sc.certificate = (char *)cert_path;
	sc.key = (char *)key_path;
	sc.allow_readable_key = 1;
	r = signer_load(&sc, NULL, out, warning, sizeof(warning), e);
	if (r == 0) {
		/* The caller's strings may not outlive the signer. */
		(*out)->own_conf = sc;
		(*out)->own_conf.certificate = (*out)->own_conf.key = NULL;
		(*out)->conf = &(*out)->own_conf;
	}
	return r;
}

void signer_free(struct signer *s)
{
	if (s == NULL)
		return;
	sk_X509_pop_free(s->certs, X509_free);
	if (s->p11 != NULL)
		p11_key_close(s->p11);
	else
		EVP_PKEY_free(s->key);
	EVP_MD_free(s->md);
	free(s);
}

X509 *signer_cert(const struct signer *s)
{
	return sk_X509_value(s->certs, 0);
}

size_t signer_cert_count(const struct signer *s)
{
	return (size_t)sk_X509_num(s->certs);
}

X509 *signer_cert_at(const struct signer *s, size_t i)
{
	return sk_X509_value(s->certs, (int)i);
}

const uint8_t *signer_algid(const struct signer *s, size_t *len)
{
	*len = s->algid_len;
	return s->algid;
}

const char *signer_key_desc(const struct signer *s)
{
	return s->desc;
}

const char *signer_source(const struct signer *s)
{
	return s->source;
}

const struct signer_conf *signer_conf_of(const struct signer *s)
{
	return s->conf;
}

int signer_on_token(const struct signer *s)
{
	return s->p11 != NULL;
}

struct signer_ctx *signer_ctx_new(const struct signer *s, struct err *e)
{
	struct signer_ctx *c = calloc(1, sizeof(*c));

	if (c == NULL) {
		err_set(e, "out of memory");
		return NULL;
	}
	c->s = s;
	c->mctx = EVP_MD_CTX_new();
	if (c->mctx == NULL)
		goto fail;
	if (s->kind == SIG_ONESHOT)
		return c;
	c->pctx = EVP_PKEY_CTX_new(s->key, NULL);
	if (c->pctx == NULL || EVP_PKEY_sign_init(c->pctx) <= 0 ||
	    EVP_PKEY_CTX_set_signature_md(c->pctx, s->md) <= 0)
		goto fail;
	if (EVP_PKEY_get_base_id(s->key) == EVP_PKEY_RSA && !s->pss &&
	    EVP_PKEY_CTX_set_rsa_padding(c->pctx, RSA_PKCS1_PADDING) <= 0)
		goto fail;
	if (s->pss && (EVP_PKEY_CTX_set_rsa_padding(c->pctx, RSA_PKCS1_PSS_PADDING) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_pss_saltlen(c->pctx, PSS_SALT_LEN) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_mgf1_md(c->pctx, s->md) <= 0))
		goto fail;
	return c;
fail:
	err_ssl(e, "cannot set up a signing context");
	signer_ctx_free(c);
	return NULL;
}

void signer_ctx_free(struct signer_ctx *c)
{
	if (c == NULL)
		return;
	EVP_PKEY_CTX_free(c->pctx);
	EVP_MD_CTX_free(c->mctx);
	free(c);
}

int signer_sign(struct signer_ctx *c, const uint8_t *tbs, size_t tbs_len,
    uint8_t *sig, size_t *sig_len, struct err *e)
{
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	size_t len = SIGNER_MAX_SIG;

	if (c->s->kind == SIG_ONESHOT) {
		if (EVP_DigestSignInit(c->mctx, NULL, NULL, NULL, c->s->key) <= 0 ||
		    EVP_DigestSign(c->mctx, sig, &len, tbs, tbs_len) <= 0)
			return err_ssl(e, "signing failed");
		*sig_len = len;
		return 0;
	}
	if (!EVP_DigestInit_ex2(c->mctx, c->s->md, NULL) ||
	    !EVP_DigestUpdate(c->mctx, tbs, tbs_len) ||
	    !EVP_DigestFinal_ex(c->mctx, md, &md_len) ||
	    EVP_PKEY_sign(c->pctx, sig, &len, md, md_len) <= 0)
		return err_ssl(e, "signing failed");
	*sig_len = len;
	return 0;
}

/* ---- the signer set ---- */

struct set_entry {
	const struct signer_conf *conf;
	struct signer *signer;		/* NULL: see error */
	char error[ERR_MSG_MAX];
};

struct signer_set {
	struct set_entry *v;
	size_t n, cap;
};

static int set_has(const struct signer_set *set, const struct signer_conf *sc)
{
	for (size_t i = 0; i < set->n; i++)
		if (set->v[i].conf == sc)
			return 1;
	return 0;
}

static int set_add(struct signer_set *set, const struct config *c, const struct signer_conf *sc,
    void (*warn)(void *, const char *), void *arg, struct err *e)
{
	char warning[256], msg[ERR_MSG_MAX + 160];
	struct set_entry *v = array_grow(set->v, &set->cap, set->n + 1, sizeof(*v));
	struct err le;

	if (v == NULL)
		return err_set(e, "out of memory");
	set->v = v;
	v = &set->v[set->n++];
	memset(v, 0, sizeof(*v));
	v->conf = sc;
	if (signer_load(sc, c->pkcs11_module, &v->signer, warning, sizeof(warning), &le) != 0)
		snprintf(v->error, sizeof(v->error), "%s", le.msg);
	else if (warning[0] != '\0' && warn != NULL) {
		snprintf(msg, sizeof(msg), "%s: %s", signer_source(v->signer), warning);
		warn(arg, msg);
	}
	return 0;
}

/* Passphrases in the environment are wiped once every key is loaded (two
 * keys may share one variable). */
static void wipe_env(const struct config *c)
{
	for (size_t i = 0; i < c->ncas; i++)
		for (size_t j = 0; j < c->cas[i].nuse; j++) {
			const char *name = c->cas[i].use[j]->key_passphrase_env;
			char *v = name ? getenv(name) : NULL;
			if (v != NULL) {
				OPENSSL_cleanse(v, strlen(v));
				unsetenv(name);
			}
		}
}

int signer_set_load(const struct config *c, void (*warn)(void *arg, const char *msg),
    void *arg, struct signer_set **out, struct err *e)
{
	struct signer_set *set = calloc(1, sizeof(*set));

	*out = NULL;
	if (set == NULL)
		return err_set(e, "out of memory");
	for (size_t i = 0; i < c->ncas; i++)
		for (size_t j = 0; j < c->cas[i].nuse; j++)
			if (!set_has(set, c->cas[i].use[j]) &&
			    set_add(set, c, c->cas[i].use[j], warn, arg, e) != 0) {
				signer_set_free(set);
				return -1;
			}
	wipe_env(c);
	*out = set;
	return 0;
}

void signer_set_free(struct signer_set *set)
{
	if (set == NULL)
		return;
	for (size_t i = 0; i < set->n; i++)
		signer_free(set->v[i].signer);
	free(set->v);
	free(set);
}

struct signer *signer_set_find(const struct signer_set *set, const struct signer_conf *sc,
    struct err *e)
{
	for (size_t i = 0; set != NULL && i < set->n; i++) {
		if (set->v[i].conf != sc)
			continue;
		if (set->v[i].signer == NULL)
			err_set(e, "%s", set->v[i].error);
		return set->v[i].signer;
	}
	return err_set(e, "internal: a signer that was never loaded"), NULL;
}
