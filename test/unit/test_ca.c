/* ca_signer_authorised: who may sign responses for a CA (RFC 6960
 * 4.2.2.2), as ocsp-audit asks it of responses someone else signed. */
#include <time.h>

#include "ocsp/ca.h"
#include "check.h"
#include "pki.h"

#define DAY 86400

struct row {
	const char *name;
	int issued_by_ca;	/* else by another CA */
	int same_key_as_ca;	/* the CA's key, under another certificate */
	int ocsp_signing, server_auth;
	int ok;
	const char *why;	/* in the message when refused */
};

static const struct row rows[] = {
	{ "delegated with id-kp-OCSPSigning", 1, 0, 1, 0, 1, NULL },
	{ "the CA's key in another certificate", 0, 1, 0, 0, 1, NULL },
	{ "issued by the CA, serverAuth only", 1, 0, 0, 1, 0, "id-kp-OCSPSigning" },
	{ "issued by the CA, no extended key usage", 1, 0, 0, 0, 0, "id-kp-OCSPSigning" },
	{ "OCSPSigning, but from another CA", 0, 0, 1, 0, 0, "was not issued by" },
};

int main(void)
{
	int64_t now = (int64_t)time(NULL);
	EVP_PKEY *ca_key = pki_key(PKI_EC256), *other_key = pki_key(PKI_EC256);
	struct pki_cert_opts co = { .cn = "Unit CA", .key = ca_key, .serial = 1,
		.not_before = now - DAY, .not_after = now + 365 * DAY, .ca = 1 };
	X509 *ca_cert = pki_cert(&co);
	co.cn = "Other CA";
	co.key = other_key;
	X509 *other = pki_cert(&co);
	struct ca *ca = NULL;
	struct err e = { "" };

	CHECK_EQ(ca_open(pki_write_cert(ca_cert, check_tmp_path("ca.pem")), &ca, &e), 0);
	if (ca == NULL)
		return check_done();
	check_case("the CA's own certificate");
	CHECK_EQ(ca_signer_authorised(ca, ca->issuer, &e), 0);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *r = &rows[i];
		EVP_PKEY *k = r->same_key_as_ca ? ca_key : pki_key(PKI_EC256);
		struct pki_cert_opts o = { .cn = r->name, .key = k, .serial = 10 + (long)i,
			.not_before = now - DAY, .not_after = now + 30 * DAY,
			.issuer = r->issued_by_ca ? ca_cert : r->same_key_as_ca ? NULL : other,
			.issuer_key = r->issued_by_ca ? ca_key : r->same_key_as_ca ? NULL : other_key,
			.ocsp_signing = r->ocsp_signing, .server_auth = r->server_auth };
		X509 *cert = pki_cert(&o);

		check_case("%s", r->name);
		e.msg[0] = '\0';
		CHECK_EQ(ca_signer_authorised(ca, cert, &e), r->ok ? 0 : -1);
		if (r->why != NULL)
			CHECK_CONTAINS(e.msg, r->why);
		X509_free(cert);
		if (k != ca_key)
			EVP_PKEY_free(k);
	}
	ca_free(ca);
	X509_free(ca_cert);
	X509_free(other);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(other_key);
	return check_done();
}
