/* crl_parse + crl_records: a CRL from a file or a URL, before its
 * signature is checked. Whatever crl_parse and crl_records (which decodes
 * the entries) accept, OpenSSL's complete CRL parser accepts too and
 * re-encodes to the same bytes, so the DER reader and the entry-less
 * skeleton agree with it; the records are sorted strictly by serial, no
 * more than the entries, each revoked with a known reason. */
#include <string.h>

#include <openssl/x509.h>

#include "ocsp/crl.h"
#include "fuzz.h"

static void check_records(const struct crl *c, const struct status_list *l)
{
	FUZZ_ASSERT(l->n <= crl_entries(c));
	for (size_t i = 0; i < l->n; i++) {
		const struct status_rec *r = &l->v[i];
		FUZZ_ASSERT(r->serial.len >= 1 && r->serial.len <= SERIAL_MAX);
		FUZZ_ASSERT(r->serial.len == 1 || r->serial.b[0] != 0);
		FUZZ_ASSERT(r->status == CERT_REVOKED);
		FUZZ_ASSERT(r->reason == REASON_NONE || status_reason_name(r->reason) != NULL);
		FUZZ_ASSERT(r->reason != REASON_REMOVE_FROM_CRL || crl_delta_base(c, &(struct serial){ 0 }));
		FUZZ_ASSERT(r->hold <= HOLD_REJECT);
		FUZZ_ASSERT(r->hold == HOLD_NOT_SET || r->reason == REASON_CERTIFICATE_HOLD);
		FUZZ_ASSERT(r->line >= 1 && r->line <= crl_entries(c));
		if (i > 0)
			FUZZ_ASSERT(serial_cmp(&l->v[i - 1].serial, &r->serial) < 0);
	}
}

/* OpenSSL's own parser of the whole CRL, as the oracle. */
static void check_against_openssl(const struct crl *c, const uint8_t *data, size_t size)
{
	size_t len;
	const uint8_t *der = crl_der(c, &len);
	const unsigned char *p = der;
	unsigned char *again = NULL;
	X509_CRL *x;
	int n, revoked;

	if (size > 0 && data[0] == 0x30)
		FUZZ_ASSERT(len == size && memcmp(der, data, size) == 0);
	x = d2i_X509_CRL(NULL, &p, (long)len);
	FUZZ_ASSERT(x != NULL && p == der + len);
	revoked = sk_X509_REVOKED_num(X509_CRL_get_REVOKED(x));	/* -1: none */
	FUZZ_ASSERT((size_t)(revoked < 0 ? 0 : revoked) == crl_entries(c));
	FUZZ_ASSERT(X509_NAME_cmp(X509_CRL_get_issuer(x), crl_issuer(c)) == 0);
	n = i2d_X509_CRL(x, &again);
	FUZZ_ASSERT(n > 0 && (size_t)n == len && memcmp(again, der, len) == 0);
	OPENSSL_free(again);
	X509_CRL_free(x);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct crl *c = NULL;
	struct status_list l;
	struct crl_scope s;
	struct serial n;
	struct err e;
	int64_t t;

	e.msg[0] = '\0';
	if (crl_parse(data, size, "fuzz.crl", &c, &e) != 0) {
		FUZZ_ASSERT(c == NULL && strncmp(e.msg, "fuzz.crl: ", 10) == 0);
		return 0;
	}
	crl_scope(c, &s);
	if (crl_check_complete(c, &e) == 0)
		FUZZ_ASSERT(!crl_delta_base(c, &n) && !s.only_some_reasons && !s.only_ca);
	if (crl_next_update(c, &t, &e) == 0)
		FUZZ_ASSERT(t >= crl_this_update(c));
	status_list_init(&l);
	if (crl_records(c, NULL, &l, &e) == 0) {
		struct status_rec *v = l.v;
		size_t count = l.n;
		check_records(c, &l);
		check_against_openssl(c, data, size);
		/* A CRL is never both a delta and its own base: refused, unchanged. */
		FUZZ_ASSERT(crl_apply_delta(&l, c, c, NULL, &e) == -1);
		FUZZ_ASSERT(l.v == v && l.n == count);
	} else {
		FUZZ_ASSERT(e.msg[0] != '\0');
	}
	status_list_fini(&l);
	crl_free(c);
	return 0;
}
