/* Benchmark: crl_parse, crl_verify and crl_records on a large CRL.
 *   crl_records gen N CRL CA   writes a CRL of N entries (random 16-octet
 *                              serials, keyCompromise) and its CA (PEM)
 *   crl_records run CRL CA     times each step and prints the peak RSS
 * Two processes, so that making the CRL (OpenSSL holds every entry
 * decoded) does not count in the peak of reading it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "ocsp/crl.h"
#include "ocsp/fsutil.h"
#include "ocsp/pem.h"

static void die(const char *what)
{
	fprintf(stderr, "%s failed\n", what);
	exit(1);
}

static X509 *self_signed(EVP_PKEY *k)
{
	X509 *c = X509_new();
	X509_NAME *n = X509_get_subject_name(c);

	if (c == NULL || !X509_set_version(c, X509_VERSION_3) ||
	    !ASN1_INTEGER_set(X509_get_serialNumber(c), 1) ||
	    !X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
	    (const unsigned char *)"Bench CA", -1, -1, 0) ||
	    !X509_set_issuer_name(c, n) || !X509_gmtime_adj(X509_getm_notBefore(c), 0) ||
	    !X509_gmtime_adj(X509_getm_notAfter(c), 86400) || !X509_set_pubkey(c, k) ||
	    !X509_sign(c, k, EVP_sha256()))
		die("CA certificate");
	return c;
}

static void gen(long n, const char *crl_path, const char *ca_path)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	X509 *ca = self_signed(k);
	X509_CRL *c = X509_CRL_new();
	ASN1_TIME *t = ASN1_TIME_set(NULL, time(NULL));
	ASN1_ENUMERATED *reason = ASN1_ENUMERATED_new();
	FILE *f;

	if (c == NULL || t == NULL || reason == NULL || !ASN1_ENUMERATED_set(reason, 1) ||
	    !X509_CRL_set_version(c, X509_CRL_VERSION_2) ||
	    !X509_CRL_set_issuer_name(c, X509_get_subject_name(ca)) ||
	    !X509_CRL_set1_lastUpdate(c, t) || !X509_CRL_set1_nextUpdate(c, t))
		die("CRL");
	for (long i = 0; i < n; i++) {
		X509_REVOKED *r = X509_REVOKED_new();
		ASN1_INTEGER *sn = ASN1_INTEGER_new();
		unsigned char b[16];
		if (r == NULL || sn == NULL || RAND_bytes(b, sizeof(b)) != 1)
			die("entry");
		b[0] = (unsigned char)((b[0] & 0x7f) | 0x01);
		if (!ASN1_STRING_set(sn, b, sizeof(b)) || !X509_REVOKED_set_serialNumber(r, sn) ||
		    !X509_REVOKED_set_revocationDate(r, t) ||
		    !X509_REVOKED_add1_ext_i2d(r, NID_crl_reason, reason, 0, 0) ||
		    !X509_CRL_add0_revoked(c, r))
			die("entry");
		ASN1_INTEGER_free(sn);
	}
	if (!X509_CRL_sign(c, k, EVP_sha256()))
		die("signature");
	if ((f = fopen(crl_path, "wb")) == NULL || !i2d_X509_CRL_fp(f, c) || fclose(f) != 0)
		die(crl_path);
	if ((f = fopen(ca_path, "w")) == NULL || !PEM_write_X509(f, ca) || fclose(f) != 0)
		die(ca_path);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static long peak_mib(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss / 1024;
}

static void step(const char *what, double *t)
{
	double t1 = now();

	printf("%-12s %6.2f s   peak RSS %4ld MiB\n", what, t1 - *t, peak_mib());
	*t = t1;
}

static void run(const char *crl_path, const char *ca_path)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	struct crl *c = NULL;
	struct status_list l;
	X509 *ca = NULL;
	struct err e = { "" };
	double t = now();

	status_list_init(&l);
	if (pem_read_cert(ca_path, &ca, &e) != 0 ||
	    fs_read_file(crl_path, CRL_MAX_BYTES, &buf, &len, &e) != 0)
		goto fail;
	step("read", &t);
	if (crl_parse(buf, len, crl_path, &c, &e) != 0)
		goto fail;
	free(buf);
	buf = NULL;
	step("crl_parse", &t);
	if (crl_verify(c, ca, NULL, &e) != 0)
		goto fail;
	step("crl_verify", &t);
	if (crl_records(c, NULL, &l, &e) != 0)
		goto fail;
	step("crl_records", &t);
	printf("%zu entries, %zu records of %zu bytes (%zu MiB), DER %zu MiB\n",
	    crl_entries(c), l.n, sizeof(l.v[0]), l.n * sizeof(l.v[0]) >> 20, len >> 20);
	status_list_fini(&l);
	crl_free(c);
	X509_free(ca);
	return;
fail:
	fprintf(stderr, "%s\n", e.msg);
	exit(1);
}

int main(int argc, char **argv)
{
	if (argc == 5 && strcmp(argv[1], "gen") == 0)
		gen(strtol(argv[2], NULL, 10), argv[3], argv[4]);
	else if (argc == 4 && strcmp(argv[1], "run") == 0)
		run(argv[2], argv[3]);
	else {
		fprintf(stderr, "usage: crl_records gen N CRL CA | run CRL CA\n");
		return 2;
	}
	return 0;
}
