/* GET request paths: every way clients and proxies spell the base64
 * (CLIENTS.md "GET decoding pitfalls"), and what is not a request. */
#include "ocsp/request.h"

#include <time.h>

#include <openssl/evp.h>

#include "check.h"
#include "pki.h"

/* A: standard base64 "MA+///vv/j4=" (one pad); B: "MA+///vv/g==" (two). */
static const uint8_t A[] = { 0x30, 0x0f, 0xbf, 0xff, 0xfb, 0xef, 0xfe, 0x3e };
static const uint8_t B[] = { 0x30, 0x0f, 0xbf, 0xff, 0xfb, 0xef, 0xfe };

enum { OK = GET_PATH_OK, NOT = GET_PATH_NOT_REQUEST, BAD = GET_PATH_MALFORMED };

static const struct {
	const char *path, *prefix;
	int want;
	const uint8_t *data;	/* when OK */
	size_t len;
} cases[] = {
	/* raw and percent-encoded, each way */
	{ "/MA+///vv/j4=", "", OK, A, sizeof(A) },
	{ "/MA+///vv/j4=", NULL, OK, A, sizeof(A) },
	{ "/MA%2B%2F%2F%2Fvv%2Fj4%3D", "", OK, A, sizeof(A) },
	{ "/MA%2b%2f%2f%2fvv%2fj4%3d", "", OK, A, sizeof(A) },
	{ "/MA%2B///vv%2Fj4=", "", OK, A, sizeof(A) },
	{ "/%4DA+///vv/j4=", "", OK, A, sizeof(A) },	/* needless escape */
	/* '+' a URL decoder turned into a space, raw or re-encoded */
	{ "/MA ///vv/j4=", "", OK, A, sizeof(A) },
	{ "/MA%20///vv/j4=", "", OK, A, sizeof(A) },
	/* padding */
	{ "/MA+///vv/j4", "", OK, A, sizeof(A) },
	{ "/MA+///vv/g==", "", OK, B, sizeof(B) },
	{ "/MA+///vv/g=", "", OK, B, sizeof(B) },
	{ "/MA+///vv/g", "", OK, B, sizeof(B) },
	{ "/MA%2B%2F%2F%2Fvv%2Fg%3D%3D", "", OK, B, sizeof(B) },
	/* slashes: leading, doubled, "//" inside the base64 itself */
	{ "//MA+///vv/j4=", "", OK, A, sizeof(A) },
	{ "///MA+///vv/j4=", "", OK, A, sizeof(A) },
	{ "MA+///vv/j4=", "", OK, A, sizeof(A) },
	/* URL-safe alphabet */
	{ "/MA-___vv_j4=", "", OK, A, sizeof(A) },
	{ "/MA-___vv_j4", "", OK, A, sizeof(A) },
	{ "/MA-_/_vv/j4", "", OK, A, sizeof(A) },		/* mixed */
	/* under a prefix, or not */
	{ "/ocsp/MA+///vv/j4=", "/ocsp", OK, A, sizeof(A) },
	{ "/ocsp//MA+///vv/j4=", "/ocsp", OK, A, sizeof(A) },
	{ "/ocsp/MA%2B%2F%2F%2Fvv%2Fj4%3D", "/ocsp", OK, A, sizeof(A) },
	{ "/MA+///vv/j4=", "/ocsp", OK, A, sizeof(A) },
	{ "/ocsp/MA+///vv/j4=", "/ocsp/", OK, A, sizeof(A) },	/* prefix with '/' */
	{ "/a/b/MA+///vv/j4=", "/a/b", OK, A, sizeof(A) },
	/* not requests: 404 */
	{ "/favicon.ico", "", NOT, NULL, 0 },
	{ "/favicon.ico", "/ocsp", NOT, NULL, 0 },
	{ "/ocsp/favicon.ico", "/ocsp", NOT, NULL, 0 },
	{ "/index.html", "", NOT, NULL, 0 },
	{ "/robots.txt", "", NOT, NULL, 0 },
	{ "/", "", NOT, NULL, 0 },
	{ "//", "", NOT, NULL, 0 },
	{ "", "", NOT, NULL, 0 },
	{ "/ocsp", "/ocsp", NOT, NULL, 0 },
	{ "/ocsp/", "/ocsp", NOT, NULL, 0 },
	{ "/ocsp//", "/ocsp", NOT, NULL, 0 },
	{ "/MA+///vv/j4=?x=1", "", NOT, NULL, 0 },
	{ "/MA+///vv/j4=#frag", "", NOT, NULL, 0 },
	{ "/MA+///vv/j4=.der", "", NOT, NULL, 0 },
	{ "/%25MA+///vv/j4=", "", NOT, NULL, 0 },	/* decoded once: '%' */
	{ "/MA%252B///vv/j4=", "", NOT, NULL, 0 },
	{ "/MA%00///vv/j4=", "", NOT, NULL, 0 },
	{ "/MA\t///vv/j4=", "", NOT, NULL, 0 },
	/* look like requests but do not decode: malformedRequest */
	{ "/MA+///vv/j4%", "", BAD, NULL, 0 },
	{ "/MA+///vv/j4%3", "", BAD, NULL, 0 },
	{ "/MA+///vv/j4%G0", "", BAD, NULL, 0 },
	{ "/MA+///vv/j4%3G", "", BAD, NULL, 0 },
	{ "/MA%+///vv/j4=", "", BAD, NULL, 0 },
	{ "/MA=+///vv/j4", "", BAD, NULL, 0 },
	{ "/MA+///vv/j4=A", "", BAD, NULL, 0 },
	{ "/MA%3D%2B///vv/j4", "", BAD, NULL, 0 },
	{ "/MA+///vv/j===", "", BAD, NULL, 0 },
	{ "/MA+///vv/g===", "", BAD, NULL, 0 },
	{ "/M", "", BAD, NULL, 0 },			/* one char: 6 bits */
	{ "/MA+///vvA", "", BAD, NULL, 0 },		/* 4n+1 chars */
};

static void test_cases(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t out[64];
		size_t out_len = 9999;
		int r;

		check_case("\"%s\" prefix \"%s\"", cases[i].path,
		    cases[i].prefix ? cases[i].prefix : "(null)");
		r = get_path_decode(cases[i].path, strlen(cases[i].path), cases[i].prefix,
		    out, sizeof(out), &out_len);
		CHECK_EQ(r, cases[i].want);
		if (cases[i].want == OK && r == OK)
			CHECK_MEM(out, out_len, cases[i].data, cases[i].len);
	}
	check_case_clear();
}

/* The path is pointer + length; the output never exceeds cap. */
static void test_bounds(void)
{
	static const char path[] = "/MA+///vv/j4=/favicon.ico";
	uint8_t out[16];
	size_t n = 0;
	char *big;

	CHECK_EQ(get_path_decode(path, 13, "", out, sizeof(out), &n), OK);
	CHECK_MEM(out, n, A, sizeof(A));
	CHECK_EQ(get_path_decode(path, sizeof(path) - 1, "", out, sizeof(out), &n), BAD);

	memset(out, 0xee, sizeof(out));
	CHECK_EQ(get_path_decode(path, 13, "", out, 7, &n), BAD);
	CHECK_EQ(out[7], 0xee);
	CHECK_EQ(get_path_decode(path, 13, "", out, 8, &n), OK);
	CHECK_EQ(n, 8);
	CHECK_EQ(get_path_decode(path, 13, "", out, 0, &n), BAD);

	/* GET_PATH_MAX bytes are accepted, one more is not */
	big = malloc(GET_PATH_MAX + 2);
	uint8_t *dec = malloc(GET_PATH_MAX);
	CHECK(big != NULL && dec != NULL);
	if (big != NULL && dec != NULL) {
		big[0] = '/';
		memset(big + 1, 'A', GET_PATH_MAX);
		size_t len = GET_PATH_MAX;		/* "/" + 8191 chars: 8191 % 4 == 3 */
		CHECK_EQ(get_path_decode(big, len, "", dec, GET_PATH_MAX, &n), OK);
		CHECK_EQ(n, (GET_PATH_MAX - 1) * 6 / 8);
		CHECK_EQ(get_path_decode(big, len + 1, "", dec, GET_PATH_MAX, &n), BAD);
	}
	free(big);
	free(dec);
}

/* A request made by OpenSSL, encoded as nginx, NSS and Java send it,
 * decodes to the same DER and parses. */
static void test_real_request(void)
{
	int64_t now = time(NULL);
	EVP_PKEY *key = pki_key(PKI_EC256);
	struct pki_cert_opts o = { .cn = "GET Test CA", .key = key, .serial = 1,
	    .not_before = now - 60, .not_after = now + 3600, .ca = 1 };
	X509 *ca = pki_cert(&o);
	OCSP_REQUEST *req = OCSP_REQUEST_new();
	uint8_t *der, out[512];
	size_t len, n = 0;
	char b64[1024], enc[3072], path[3100];
	struct ocsp_request r;
	struct err e;

	CHECK(OCSP_request_add0_id(req, pki_certid(EVP_sha1(), ca, 0xabcdef)) != NULL);
	CHECK(OCSP_request_add1_nonce(req, NULL, 0));
	der = pki_request_der(req, &len);
	CHECK(len < 300);
	EVP_EncodeBlock((unsigned char *)b64, der, (int)len);

	size_t o_len = 0;
	for (const char *p = b64; *p; p++) {
		if (*p == '+' || *p == '/' || *p == '=')
			o_len += (size_t)snprintf(enc + o_len, sizeof(enc) - o_len, "%%%02X", *p);
		else
			enc[o_len++] = *p;
	}
	enc[o_len] = '\0';

	const char *forms[] = { b64, enc };
	for (size_t i = 0; i < 2; i++) {
		check_case("%s", i ? "percent-encoded" : "raw");
		snprintf(path, sizeof(path), "/ocsp/%s", forms[i]);
		CHECK_EQ(get_path_decode(path, strlen(path), "/ocsp", out, sizeof(out), &n), OK);
		CHECK_MEM(out, n, der, len);
		CHECK_EQ(request_parse(out, n, 1, &r, &e), REQUEST_OK);
		CHECK_EQ(r.n, 1);
		CHECK_EQ(r.has_nonce, 1);
	}
	check_case_clear();
	free(der);
	OCSP_REQUEST_free(req);
	X509_free(ca);
	EVP_PKEY_free(key);
}

int main(void)
{
	test_cases();
	test_bounds();
	test_real_request();
	return check_done();
}
