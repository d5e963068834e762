/* Signers as an operator configures them: key files and their modes,
 * encrypted keys with a passphrase file or variable, RSASSA-PSS and
 * byName, one signer shared by two CAs, and the CA's choice of signer by
 * time (a rollover), each response checked by OpenSSL as a client does. */
#include "ocsp/signer.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/objects.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/safestack.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ocsp/ca.h"
#include "ocsp/certid.h"
#include "ocsp/config.h"
#include "ocsp/err.h"
#include "ocsp/response.h"
#include "ocsp/serial.h"
#include "ocsp/status.h"
#include "check.h"
#include "pki.h"

#define DAY 86400

static int64_t now;
static EVP_PKEY *ca_key, *rsa_key;
static X509 *ca_cert;
static const char *ca_path;

/* The warnings the CA code gave, joined, for CHECK_CONTAINS. */
static char warned[8192];

static void warn_fn(void *arg, const char *msg)
{
	size_t n = strlen(warned);

	(void)arg;
	snprintf(warned + n, sizeof(warned) - n, "%s\n", msg);
}

static const struct ca_warn warn = { warn_fn, NULL };

/* A responder certificate issued by the CA, with OCSPSigning and nocheck,
 * valid from not_before to not_after; its file path. */
static const char *responder(const char *cn, EVP_PKEY *key, int64_t not_before,
    int64_t not_after, X509 **cert_out)
{
	static long serial = 100;
	char name[64];
	struct pki_cert_opts o = { .cn = cn, .key = key, .issuer = ca_cert,
	    .issuer_key = ca_key, .serial = serial++, .not_before = not_before,
	    .not_after = not_after, .ocsp_signing = 1, .nocheck = 1 };
	X509 *cert = pki_cert(&o);

	snprintf(name, sizeof(name), "%s.pem", cn);
	const char *path = pki_write_cert(cert, check_tmp_path(name));
	if (cert_out != NULL)
		*cert_out = cert;
	else
		X509_free(cert);
	return path;
}

static const char *key_file(EVP_PKEY *key, const char *name, const char *pass)
{
	return pki_write_key(key, check_tmp_path(name), pass, 0);
}

/* A signer_conf with the defaults, as config.c gives one. */
static void conf_init(struct signer_conf *sc, const char *cert, const char *key)
{
	memset(sc, 0, sizeof(*sc));
	sc->certificate = (char *)cert;
	sc->key = (char *)key;
}

static void test_key_files(void)
{
	X509 *cert;
	const char *cert_path = responder("files", rsa_key, now - DAY, now + 90 * DAY, &cert);
	const char *plain = key_file(rsa_key, "files.key", NULL);
	const char *enc = key_file(rsa_key, "files-enc.key", "s3cret pass");
	struct signer_conf sc;
	struct signer *s = NULL;
	char w[256];
	struct err e = { "" };

	check_case("a 0600 key");
	conf_init(&sc, cert_path, plain);
	CHECK_EQ(signer_load(&sc, NULL, &s, w, sizeof(w), &e), 0);
	CHECK_STR(w, "");
	CHECK(s != NULL && signer_conf_of(s) == &sc && !signer_on_token(s));
	if (s != NULL)
		CHECK_STR(signer_source(s), cert_path);
	signer_free(s);

	check_case("a key others may read");
	CHECK_EQ(chmod(plain, 0644), 0);
	CHECK_EQ(signer_load(&sc, NULL, &s, w, sizeof(w), &e), -1);
	CHECK(s == NULL);
	CHECK_CONTAINS(e.msg, plain);
	CHECK_CONTAINS(e.msg, "mode 0644");
	CHECK_CONTAINS(e.msg, "allow_readable_key");
	sc.allow_readable_key = 1;
	CHECK_EQ(signer_load(&sc, NULL, &s, w, sizeof(w), &e), 0);
	signer_free(s);
	sc.allow_readable_key = 0;
	CHECK_EQ(chmod(plain, 0640), 0);
	CHECK_EQ(signer_load(&sc, NULL, &s, w, sizeof(w), &e), -1);
	CHECK_CONTAINS(e.msg, "group or others");

	check_case("an encrypted key without passphrase");
	conf_init(&sc, cert_path, enc);
	CHECK_EQ(signer_load(&sc, NULL, &s, w, sizeof(w), &e), -1);
	CHECK_CONTAINS(e.msg, "key_passphrase_file");

	check_case("passphrase file");
	const char *pf = check_tmp_file("pass.txt", "s3cret pass\n", 12);
	CHECK_EQ(chmod(pf, 0600), 0);
	sc.key_passphrase_file = (char *)pf;
	CHECK_EQ(signer_load(&sc, NULL, &s, w, sizeof(w), &e), 0);
	signer_free(s);
	CHECK_EQ(chmod(pf, 0604), 0);
	CHECK_EQ(signer_load(&sc, NULL, &s, w, sizeof(w), &e), -1);
	CHECK_CONTAINS(e.msg, pf);
	CHECK_CONTAINS(e.msg, "others may read");

	check_case("wrong passphrase");
	const char *bad = check_tmp_file("bad-pass.txt", "not it\n", 7);
	CHECK_EQ(chmod(bad, 0600), 0);
	sc.key_passphrase_file = (char *)bad;
	CHECK_EQ(signer_load(&sc, NULL, &s, w, sizeof(w), &e), -1);
	CHECK_CONTAINS(e.msg, enc);
	CHECK_CONTAINS(e.msg, "wrong passphrase");
	CHECK(strstr(e.msg, "not it") == NULL);		/* never echoed */

	check_case("passphrase variable");
	sc.key_passphrase_file = NULL;
	sc.key_passphrase_env = "OCSP_TEST_PASS";
	unsetenv("OCSP_TEST_PASS");
	CHECK_EQ(signer_load(&sc, NULL, &s, w, sizeof(w), &e), -1);
	CHECK_CONTAINS(e.msg, "the environment has no OCSP_TEST_PASS");
	setenv("OCSP_TEST_PASS", "s3cret pass", 1);
	CHECK_EQ(signer_load(&sc, NULL, &s, w, sizeof(w), &e), 0);
	signer_free(s);

	check_case("PSS needs RSA");
	EVP_PKEY *ec = pki_key(PKI_EC256);
	const char *ec_cert = responder("files-ec", ec, now - DAY, now + 90 * DAY, NULL);
	conf_init(&sc, ec_cert, key_file(ec, "files-ec.key", NULL));
	sc.rsa_padding = RSA_PADDING_PSS;
	CHECK_EQ(signer_load(&sc, NULL, &s, w, sizeof(w), &e), -1);
	CHECK_CONTAINS(e.msg, "rsa_padding = pss needs an RSA key");
	EVP_PKEY_free(ec);
	check_case_clear();
	X509_free(cert);
}

/* Builds a good response for serial 1 with cs, for OpenSSL to check. */
static OCSP_BASICRESP *respond(const struct ca *ca, const struct ca_signer *cs)
{
	struct serial serial;
	struct status_rec st = { .status = CERT_GOOD, .reason = REASON_NONE };
	uint8_t one = 1, *buf = malloc(RESPONSE_MAX);
	struct single_resp sr = { HASH_SHA1, ca->hash[HASH_SHA1].name, ca->hash[HASH_SHA1].key,
	    &serial, &st, now, now + DAY };
	struct response_opts o = { .produced_at = now };
	struct signer_ctx *sc = NULL;
	OCSP_BASICRESP *bs = NULL;
	const uint8_t *der = NULL;
	size_t len = 0;
	struct err e = { "" };

	if (buf == NULL || serial_from_bytes(&serial, &one, 1) != 0)
		goto out;
	st.serial = serial;
	sc = signer_ctx_new(cs->signer, &e);
	if (sc == NULL || response_build(cs, sc, &sr, 1, &o, buf, RESPONSE_MAX, &der, &len,
	    &e) != 0) {
		fprintf(stderr, "  respond: %s\n", e.msg);
		goto out;
	}
	const unsigned char *p = der;
	OCSP_RESPONSE *resp = d2i_OCSP_RESPONSE(NULL, &p, (long)len);
	if (resp != NULL)
		bs = OCSP_response_get1_basic(resp);
	OCSP_RESPONSE_free(resp);
out:
	signer_ctx_free(sc);
	free(buf);
	return bs;
}

/* What a client checks at time at: the signature chains to the CA. */
static int verifies(OCSP_BASICRESP *bs, int64_t at)
{
	X509_STORE *store = X509_STORE_new();
	STACK_OF(X509) *none = sk_X509_new_null();
	int ok;

	X509_STORE_add_cert(store, ca_cert);
	X509_VERIFY_PARAM_set_time(X509_STORE_get0_param(store), (time_t)at);
	ok = OCSP_basic_verify(bs, none, store, 0);
	X509_STORE_free(store);
	sk_X509_free(none);
	return ok == 1;
}

static void test_pss_and_by_name(void)
{
	X509 *cert;
	const char *cert_path = responder("pss", rsa_key, now - DAY, now + 90 * DAY, &cert);
	struct signer_conf sc;
	struct signer *s = NULL;
	struct ca *ca = NULL;
	char w[256];
	struct err e = { "" };

	conf_init(&sc, cert_path, key_file(rsa_key, "pss.key", NULL));
	sc.rsa_padding = RSA_PADDING_PSS;
	sc.responder_id = RESPONDER_ID_NAME;
	CHECK_EQ(signer_load(&sc, NULL, &s, w, sizeof(w), &e), 0);
	CHECK_EQ(ca_open(ca_path, &ca, &e), 0);
	if (s == NULL || ca == NULL)
		goto out;
	CHECK_CONTAINS(signer_key_desc(s), "PSS");
	CHECK_EQ(ca_add_signer(ca, s, 1, NULL, &e), 0);
	CHECK_EQ(ca_choose(ca, now, DAY, 0, NULL, &e), 1);
	const struct ca_signer *cs = ca_signer_now(ca);
	CHECK(cs != NULL);
	if (cs == NULL)
		goto out;
	OCSP_BASICRESP *bs = respond(ca, cs);
	CHECK(bs != NULL);
	if (bs == NULL)
		goto out;
	CHECK(verifies(bs, now));
	const X509_ALGOR *alg = OCSP_resp_get0_tbs_sigalg(bs);
	const ASN1_OBJECT *oid;
	X509_ALGOR_get0(&oid, NULL, NULL, alg);
	CHECK_EQ(OBJ_obj2nid(oid), NID_rsassaPss);
	const ASN1_OCTET_STRING *by_key = NULL;
	const X509_NAME *by_name = NULL;
	CHECK(OCSP_resp_get0_id(bs, &by_key, &by_name) == 1);
	CHECK(by_key == NULL && by_name != NULL);
	if (by_name != NULL)
		CHECK_EQ(X509_NAME_cmp(by_name, X509_get_subject_name(cert)), 0);
	OCSP_BASICRESP_free(bs);
out:
	ca_free(ca);
	X509_free(cert);
}

/* Two delegated signers: the older until the newer's notBefore, then the
 * newer; none once both expired. */
static void test_rollover(void)
{
	EVP_PKEY *k1 = pki_key(PKI_EC256), *k2 = pki_key(PKI_EC256);
	const char *c1 = responder("roll-old", k1, now - 30 * DAY, now + 10 * DAY, NULL);
	const char *c2 = responder("roll-new", k2, now + DAY, now + 60 * DAY, NULL);
	struct signer *s1 = NULL, *s2 = NULL;
	struct ca *ca = NULL;
	struct err e = { "" };

	CHECK_EQ(ca_open(ca_path, &ca, &e), 0);
	CHECK_EQ(signer_load_pem(c1, key_file(k1, "roll-old.key", NULL), &s1, &e), 0);
	CHECK_EQ(signer_load_pem(c2, key_file(k2, "roll-new.key", NULL), &s2, &e), 0);
	if (ca == NULL || s1 == NULL || s2 == NULL)
		goto out;
	CHECK_EQ(ca_add_signer(ca, s2, 1, &warn, &e), 0);	/* order does not matter */
	CHECK_EQ(ca_add_signer(ca, s1, 1, &warn, &e), 0);

	check_case("before the new one is valid");
	warned[0] = '\0';
	CHECK_EQ(ca_choose(ca, now, DAY, 14 * DAY, &warn, &e), 1);
	CHECK(ca_signer_now(ca) != NULL && ca_signer_now(ca)->signer == s1);
	CHECK_CONTAINS(warned, "roll-new");
	CHECK_CONTAINS(warned, "not valid yet");
	CHECK_CONTAINS(warned, "add its successor");	/* expires in 10 days */
	CHECK_EQ(ca_choose(ca, now + 3600, DAY, 14 * DAY, NULL, &e), 0);

	check_case("once it is");
	CHECK_EQ(ca_choose(ca, now + DAY, DAY, 14 * DAY, NULL, &e), 1);
	CHECK(ca_signer_now(ca) != NULL && ca_signer_now(ca)->signer == s2);
	OCSP_BASICRESP *bs = respond(ca, ca_signer_now(ca));
	CHECK(bs != NULL && verifies(bs, now + DAY));
	OCSP_BASICRESP_free(bs);

	check_case("expiring before the responses it signs");
	warned[0] = '\0';
	CHECK_EQ(ca_choose(ca, now + 59 * DAY, 4 * DAY, 0, &warn, &e), 0);
	CHECK_CONTAINS(warned, "before the responses it signs");

	check_case("both expired");
	CHECK_EQ(ca_choose(ca, now + 61 * DAY, DAY, 0, NULL, &e), -1);
	CHECK(ca_signer_now(ca) == NULL);
	CHECK_CONTAINS(e.msg, "has expired");
	check_case_clear();
out:
	ca_free(ca);
	EVP_PKEY_free(k1);
	EVP_PKEY_free(k2);
}

/* One key serving two CAs: its file holds a certificate from each, and a
 * renewal from the first; each CA takes its own. */
static void test_bundle(void)
{
	EVP_PKEY *k = pki_key(PKI_EC256), *k2 = pki_key(PKI_EC256), *other_key = pki_key(PKI_EC256);
	struct pki_cert_opts oo = { .cn = "second-ca", .key = other_key, .serial = 9,
	    .not_before = now - DAY, .not_after = now + 900 * DAY, .ca = 1 };
	X509 *other = pki_cert(&oo), *c1, *c1b, *c2, *stranger;
	const char *other_path = pki_write_cert(other, check_tmp_path("second-ca.pem"));
	struct pki_cert_opts o2 = { .cn = "bundle-2", .key = k, .issuer = other,
	    .issuer_key = other_key, .serial = 10, .not_before = now - DAY,
	    .not_after = now + 90 * DAY, .ocsp_signing = 1, .nocheck = 1 };
	const char *bundle = check_tmp_path("bundle.pem");
	struct signer_conf sc;
	struct signer *s = NULL;
	struct ca *a = NULL, *b = NULL;
	char w[256];
	struct err e = { "" };
	BIO *bio;

	responder("bundle-1", k, now - 10 * DAY, now + 30 * DAY, &c1);
	responder("bundle-1b", k, now - DAY, now + 120 * DAY, &c1b);	/* the renewal */
	c2 = pki_cert(&o2);
	responder("bundle-stranger", k2, now - DAY, now + 30 * DAY, &stranger);
	bio = BIO_new_file(bundle, "w");
	CHECK(bio != NULL && PEM_write_bio_X509(bio, c1) && PEM_write_bio_X509(bio, c2) &&
	    PEM_write_bio_X509(bio, c1b));
	BIO_free(bio);

	check_case("bundle");
	conf_init(&sc, bundle, key_file(k, "bundle.key", NULL));
	CHECK_EQ(signer_load(&sc, NULL, &s, w, sizeof(w), &e), 0);
	if (s == NULL)
		goto out;
	CHECK_EQ(signer_cert_count(s), 3);
	CHECK_EQ(ca_open(ca_path, &a, &e), 0);
	CHECK_EQ(ca_open(other_path, &b, &e), 0);
	if (a == NULL || b == NULL)
		goto out;
	warned[0] = '\0';
	CHECK_EQ(ca_add_signer(a, s, 0, &warn, &e), 0);
	CHECK_EQ(ca_add_signer(b, s, 0, &warn, &e), 0);
	CHECK_STR(warned, "");		/* the other CA's certificate is no news */
	CHECK_EQ(a->ncand, 2);
	CHECK_EQ(b->ncand, 1);
	CHECK_EQ(ca_choose(a, now, DAY, 0, NULL, &e), 1);
	CHECK_EQ(ca_choose(b, now, DAY, 0, NULL, &e), 1);
	CHECK(ca_signer_now(a) != NULL && X509_cmp(ca_signer_now(a)->cert, c1b) == 0);
	CHECK(ca_signer_now(b) != NULL && X509_cmp(ca_signer_now(b)->cert, c2) == 0);
	OCSP_BASICRESP *bs = respond(a, ca_signer_now(a));
	CHECK(bs != NULL && verifies(bs, now));
	OCSP_BASICRESP_free(bs);
	ca_free(a);
	a = NULL;

	check_case("a CA none of its certificates is for");
	struct pki_cert_opts to = { .cn = "third-ca", .key = k2, .serial = 11,
	    .not_before = now - DAY, .not_after = now + 900 * DAY, .ca = 1 };
	X509 *third = pki_cert(&to);
	CHECK_EQ(ca_open(pki_write_cert(third, check_tmp_path("third-ca.pem")), &a, &e), 0);
	X509_free(third);
	if (a != NULL) {
		CHECK_EQ(ca_add_signer(a, s, 0, &warn, &e), -1);
		CHECK_CONTAINS(e.msg, "none of its 3 certificates");
	}

	check_case("a certificate for another key");
	bio = BIO_new_file(bundle, "w");
	CHECK(bio != NULL && PEM_write_bio_X509(bio, c1) && PEM_write_bio_X509(bio, stranger));
	BIO_free(bio);
	struct signer *s2 = NULL;
	CHECK_EQ(signer_load(&sc, NULL, &s2, w, sizeof(w), &e), -1);
	CHECK_CONTAINS(e.msg, "does not match certificate 2 of");
	CHECK(s2 == NULL);
	check_case_clear();
out:
	ca_free(a);
	ca_free(b);
	signer_free(s);
	X509_free(c1);
	X509_free(c1b);
	X509_free(c2);
	X509_free(stranger);
	X509_free(other);
	EVP_PKEY_free(k);
	EVP_PKEY_free(k2);
	EVP_PKEY_free(other_key);
}

static void set(struct config *c, const char *section, const char *key, const char *value)
{
	struct err e = { "" };

	if (config_set(c, section, key, value, &e) != 0) {
		fprintf(stderr, "config_set %s: %s\n", key, e.msg);
		exit(2);
	}
}

/* Two CAs naming one [signer]: loaded once; one that cannot load is
 * skipped with its reason; a CA with no usable signer says so. */
static void test_signer_set(void)
{
	EVP_PKEY *k = pki_key(PKI_EC256);
	const char *cert = responder("shared", k, now - DAY, now + 90 * DAY, NULL);
	const char *key = key_file(k, "shared.key", NULL);
	const char *other_ca = check_tmp_path("other-ca.pem");
	struct pki_cert_opts oo = { .cn = "other", .key = k, .serial = 7,
	    .not_before = now - DAY, .not_after = now + 90 * DAY, .ca = 1 };
	X509 *oc = pki_cert(&oo);
	struct config c;
	struct signer_set *ss = NULL;
	struct ca *a = NULL, *b = NULL;
	struct err e = { "" };

	pki_write_cert(oc, other_ca);
	X509_free(oc);
	CHECK_EQ(config_init(&c, &e), 0);
	set(&c, "signer shared", "certificate", cert);
	set(&c, "signer shared", "key", key);
	set(&c, "signer missing", "certificate", cert);
	set(&c, "signer missing", "key", check_tmp_path("no-such.key"));
	set(&c, "ca a", "issuer", ca_path);
	set(&c, "ca a", "signers", "missing, shared");
	/* and one of its own, encrypted, its passphrase in the environment */
	set(&c, "ca a", "signer", cert);
	set(&c, "ca a", "key", key_file(k, "shared-enc.key", "env pass"));
	set(&c, "ca a", "key_passphrase_env", "OCSP_TEST_SET_PASS");
	set(&c, "ca b", "issuer", other_ca);
	set(&c, "ca b", "signers", "shared");
	CHECK_EQ(config_finish(&c, CONFIG_LOOKUPD, &e), 0);
	setenv("OCSP_TEST_SET_PASS", "env pass", 1);
	char *env_copy = getenv("OCSP_TEST_SET_PASS");

	warned[0] = '\0';
	CHECK_EQ(signer_set_load(&c, warn_fn, NULL, &ss, &e), 0);
	if (ss == NULL)
		goto out;
	/* wiped where it was, and gone */
	CHECK(getenv("OCSP_TEST_SET_PASS") == NULL);
	CHECK(env_copy != NULL && env_copy[0] == '\0');

	struct signer *shared = signer_set_find(ss, c.cas[0].use[2], &e);
	CHECK(shared != NULL);
	CHECK(shared == signer_set_find(ss, c.cas[1].use[0], &e));	/* loaded once */
	if (shared != NULL)
		CHECK_CONTAINS(signer_source(shared), "signer shared (");
	CHECK(signer_set_find(ss, c.cas[0].use[0], &e) != NULL);	/* the CA's own */
	CHECK(signer_set_find(ss, c.cas[0].use[1], &e) == NULL);
	CHECK_CONTAINS(e.msg, "no-such.key");

	check_case("ca a: the missing one skipped");
	CHECK_EQ(ca_load_conf(&c.cas[0], ss, now, &warn, &a, &e), 0);
	CHECK_CONTAINS(warned, "signer missing");
	CHECK_CONTAINS(warned, "no-such.key");
	CHECK(a != NULL && a->ncand == 2 && ca_signer_now(a) != NULL);

	check_case("ca b: its only signer is another CA's");
	warned[0] = '\0';
	CHECK_EQ(ca_load_conf(&c.cas[1], ss, now, &warn, &b, &e), 1);
	CHECK(b != NULL && ca_signer_now(b) == NULL);
	CHECK_CONTAINS(warned, "not issued by");
	CHECK_CONTAINS(e.msg, "no usable signer");
	check_case_clear();
out:
	ca_free(a);
	ca_free(b);
	signer_set_free(ss);
	config_fini(&c);
	EVP_PKEY_free(k);
}

int main(void)
{
	struct pki_cert_opts o = { .cn = "signer-test-ca", .serial = 1, .ca = 1 };

	now = time(NULL);
	ca_key = pki_key(PKI_EC256);
	rsa_key = pki_key(PKI_RSA2048);
	o.key = ca_key;
	o.not_before = now - 365 * DAY;
	o.not_after = now + 3650 * DAY;
	ca_cert = pki_cert(&o);
	ca_path = pki_write_cert(ca_cert, check_tmp_path("ca.pem"));

	test_key_files();
	test_pss_and_by_name();
	test_rollover();
	test_signer_set();
	test_bundle();

	X509_free(ca_cert);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(rsa_key);
	return check_done();
}
