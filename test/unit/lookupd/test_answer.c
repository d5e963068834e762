/* lookupd's answer decision (answer.c), end to end below HTTP: real
 * requests made with OpenSSL, a tree written as the publisher writes one,
 * [ca] sections loaded from PEM files and an openssl-ca index, and every
 * answer parsed back as a client parses it (status, signature, CertIDs,
 * cert statuses, nonce, extensions) with the reference it holds. Each
 * request is answered four times, by POST and GET and each twice, so the
 * remembered requests and the online cache are on the path too. */
#include "answer.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ocsp.h>

#include "ocsp/config.h"
#include "ocsp/log.h"
#include "ocsp/tree.h"
#include "check.h"
#include "pki.h"
#include "tree_fixture.h"

#define DAY 86400
#define VALIDITY (4 * DAY)	/* the defaults of a [ca] */
#define BACKDATE 3600
#define MAX_CERTS 4
#define UNKNOWN_SERIAL 0x99
#define EXPIRING_SERIAL 0x16	/* its certificate expires in two hours */
#define MD5 (-1)		/* a CertID hash nobody supports */

static int64_t T0, TU, NU;
static const char *root, *index_path;
static struct fx_ca A, X;		/* A is configured; X is not */
static X509 *req_good_cert, *req_bad_cert;	/* requestors issued by A and by X */
static EVP_PKEY *req_good_key, *req_bad_key;

/* ---- the tree, the index, the configurations ---- */

static void put_file(long serial, enum cert_status st, int64_t tu, int64_t nu)
{
	size_t len;
	uint8_t *der = fx_response1(&A, HASH_SHA1, serial, st, tu, nu, &len);

	fx_put(root, &A, HASH_SHA1, serial, der, len);
	free(der);
}

static void write_index(const char *path, const char *revoked_13)
{
	char text[2048], expiry[32];
	time_t t = (time_t)(T0 + 7200);
	struct tm tm;
	int n;

	gmtime_r(&t, &tm);
	strftime(expiry, sizeof(expiry), "%Y%m%d%H%M%SZ", &tm);
	n = snprintf(text, sizeof(text),
	    "V\t350101000000Z\t\t10\tunknown\t/CN=leaf 10\n"
	    "V\t350101000000Z\t\t11\tunknown\t/CN=leaf 11\n"
	    "R\t350101000000Z\t240101000000Z,keyCompromise\t12\tunknown\t/CN=leaf 12\n"
	    "%s\t350101000000Z\t%s\t13\tunknown\t/CN=leaf 13\n"
	    "V\t350101000000Z\t\t14\tunknown\t/CN=leaf 14\n"
	    "V\t%s\t\t16\tunknown\t/CN=leaf 16\n",
	    revoked_13 ? "R" : "V", revoked_13 ? revoked_13 : "", expiry);
	if (n < 0 || (size_t)n >= sizeof(text))
		exit(2);
	/* replaced by rename, as openssl ca does */
	char dir[512];
	const char *slash = strrchr(path, '/');
	snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	fx_write(dir, slash + 1, text, (size_t)n);
}

static X509 *make_requestor(const char *cn, struct fx_ca *issuer, EVP_PKEY **key)
{
	struct pki_cert_opts o = { .cn = cn, .serial = 7, .not_before = T0 - DAY,
	    .not_after = T0 + 30 * DAY, .issuer = issuer->cert, .issuer_key = issuer->key };

	*key = pki_key(PKI_EC256);
	o.key = *key;
	return pki_cert(&o);
}

static void setup(void)
{
	T0 = (int64_t)time(NULL);
	TU = T0 - 3600;
	NU = T0 + 4 * DAY;
	fx_ca_make(&A, "Answer CA A", T0, check_tmp_path("a.pem"), check_tmp_path("a.key"));
	fx_ca_make(&X, "Answer CA X", T0, check_tmp_path("x.pem"), check_tmp_path("x.key"));
	req_good_cert = make_requestor("trusted requestor", &A, &req_good_key);
	req_bad_cert = make_requestor("untrusted requestor", &X, &req_bad_key);

	root = check_tmp_path("tree");
	char broken[TREE_PATH_MAX];
	put_file(0x10, CERT_GOOD, TU, NU);
	put_file(0x11, CERT_GOOD, T0 - 5 * DAY, T0 - DAY);	/* stale */
	put_file(0x12, CERT_REVOKED, TU, NU);
	fx_put(root, &A, HASH_SHA1, 0x14, "broken", 6);
	/* Broken for long: one written within the reload interval is taken for
	 * one being rewritten (tryLater), not for broken. */
	fx_response_path(broken, root, &A, HASH_SHA1, 0x14);
	if (utimensat(AT_FDCWD, broken, (struct timespec[2]){ { (time_t)(T0 - 60), 0 },
	    { (time_t)(T0 - 60), 0 } }, 0) != 0)
		exit(2);
	fx_issuer_meta(root, &A, 1u << HASH_SHA1, 1);
	fx_marker(root, 1, 1);

	index_path = check_tmp_path("index.txt");
	write_index(index_path, NULL);
}

enum conf_id { NOKEY, KEY, KEY_REVOKED, KEY_UNAUTH, SIGREQ, NOCACHE, ONLINE_ONLY,
	NO_STATUS, EPOCH, STALE_TRYLATER, NCONF };

static const struct conf_spec {
	const char *label;
	int tree, key, index;
	const char *unknown;	/* NULL: the default */
	int sig_required;
	size_t online_cache;
	const char *stale;	/* [lookupd] stale; NULL: the default */
} confs[NCONF] = {
	[NOKEY] = { "no key", 1, 0, 1, NULL, 0, 64, NULL },
	[KEY] = { "key", 1, 1, 1, "unknown", 0, 64, NULL },
	[KEY_REVOKED] = { "key, unknown = revoked", 1, 1, 1, "revoked", 0, 64, NULL },
	[KEY_UNAUTH] = { "key, unknown = unauthorized", 1, 1, 1, "unauthorized", 0, 64, NULL },
	[SIGREQ] = { "key, sig_required", 1, 1, 1, NULL, 1, 64, NULL },
	[NOCACHE] = { "key, no online cache", 1, 1, 1, NULL, 0, 0, NULL },
	[ONLINE_ONLY] = { "key, no tree", 0, 1, 1, NULL, 0, 64, NULL },
	[NO_STATUS] = { "key, no tree, no index", 0, 1, 0, NULL, 0, 64, NULL },
	[EPOCH] = { "key, its own index", 1, 1, 1, NULL, 0, 64, NULL },
	[STALE_TRYLATER] = { "key, stale = trylater", 1, 1, 1, NULL, 0, 64, "trylater" },
};

static struct config configs[NCONF];
static struct answerer *answerers[NCONF];
static struct answer_scratch *scratch[NCONF];
static const char *epoch_index;

static void set(struct config *c, const char *key, const char *value)
{
	struct err e = { "" };

	if (config_set(c, "ca a", key, value, &e) != 0) {
		fprintf(stderr, "config_set %s: %s\n", key, e.msg);
		exit(2);
	}
}

static void open_answerers(void)
{
	epoch_index = check_tmp_path("index-epoch.txt");
	write_index(epoch_index, NULL);
	for (int i = 0; i < NCONF; i++) {
		const struct conf_spec *s = &confs[i];
		struct config *c = &configs[i];
		struct err e = { "" };

		if (config_init(c, &e) != 0)
			exit(2);
		set(c, "issuer", A.cert_path);
		if (s->key) {
			set(c, "signer", A.cert_path);
			set(c, "key", A.key_path);
		}
		if (s->index)
			set(c, "index", i == EPOCH ? epoch_index : index_path);
		if (s->unknown)
			set(c, "unknown", s->unknown);
		if (s->stale != NULL && config_set(c, "lookupd", "stale", s->stale, &e) != 0)
			exit(2);
		if (s->sig_required) {
			set(c, "sig_required", "yes");
			set(c, "requestors", A.cert_path);
		}
		if (config_finish(c, CONFIG_LOOKUPD, &e) != 0) {
			fprintf(stderr, "config_finish %s: %s\n", s->label, e.msg);
			exit(2);
		}
		struct answerer_opts o = { s->tree ? root : NULL, 64, 1, MAX_CERTS,
		    s->online_cache, c, (int)c->stale };
		if (answerer_new(&o, &answerers[i], &e) != 0) {
			fprintf(stderr, "answerer_new %s: %s\n", s->label, e.msg);
			exit(2);
		}
		CHECK((answerer_tree(answerers[i]) != NULL) == s->tree);
		scratch[i] = calloc(1, sizeof(*scratch[i]));
		if (scratch[i] == NULL)
			exit(2);
	}
}

static void teardown(void)
{
	for (int i = 0; i < NCONF; i++) {
		answer_scratch_fini(scratch[i]);
		free(scratch[i]);
		answerer_free(answerers[i]);
		config_fini(&configs[i]);
	}
	answerer_free(NULL);
	fx_rmtree(root);
	fx_ca_free(&A);
	fx_ca_free(&X);
	X509_free(req_good_cert);
	X509_free(req_bad_cert);
	EVP_PKEY_free(req_good_key);
	EVP_PKEY_free(req_bad_key);
}

/* ---- requests ---- */

enum { CA_A, CA_X };
enum { NO_SIG, SIG_TRUSTED, SIG_UNTRUSTED };

struct id_spec {
	int ca;
	int alg;		/* enum hash_alg, or MD5 */
	long serial;
};

static OCSP_REQUEST *make_request(const struct id_spec *ids, size_t n, int nonce, int sig)
{
	OCSP_REQUEST *req = OCSP_REQUEST_new();

	for (size_t i = 0; i < n; i++) {
		const EVP_MD *md = ids[i].alg == MD5 ? EVP_md5() : hash_md(ids[i].alg);
		X509 *issuer = ids[i].ca == CA_A ? A.cert : X.cert;
		if (OCSP_request_add0_id(req, pki_certid(md, issuer, ids[i].serial)) == NULL)
			exit(2);
	}
	if (nonce && !OCSP_request_add1_nonce(req, NULL, 16))
		exit(2);
	if (sig != NO_SIG && !OCSP_request_sign(req,
	    sig == SIG_TRUSTED ? req_good_cert : req_bad_cert,
	    sig == SIG_TRUSTED ? req_good_key : req_bad_key, EVP_sha256(), NULL, 0))
		exit(2);
	return req;
}

/* "/" and the request's base64, as a GET carries it. */
static char *get_path(const uint8_t *der, size_t len)
{
	char *path = malloc(2 + 4 * ((len + 2) / 3) + 1);

	if (path == NULL)
		exit(2);
	path[0] = '/';
	EVP_EncodeBlock((unsigned char *)path + 1, der, (int)len);
	return path;
}

/* ---- checking an answer ---- */

enum ref { REF_NONE, REF_TREE, REF_ONLINE, REF_LOCAL };

#define OK OCSP_RESPONSE_STATUS_SUCCESSFUL
#define GOOD V_OCSP_CERTSTATUS_GOOD
#define REVOKED V_OCSP_CERTSTATUS_REVOKED
#define UNKNOWN V_OCSP_CERTSTATUS_UNKNOWN

struct row {
	const char *label;
	enum conf_id conf;
	struct id_spec ids[MAX_CERTS + 1];
	size_t n;
	int nonce, sig;
	const char *raw;	/* these bytes instead of a request */
	size_t raw_len;
	/* what the answer must be */
	int status;			/* OCSP responseStatus */
	enum answer_kind kind;
	enum ref ref;
	long file;			/* its bytes are this serial's tree file */
	int cert[MAX_CERTS];		/* per SingleResponse, in request order */
	int ext_revoke;
};

static int64_t asn1_time(const ASN1_GENERALIZEDTIME *t)
{
	struct tm tm;

	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return -1;
	return (int64_t)timegm(&tm);
}

static void check_signature(OCSP_BASICRESP *bs)
{
	X509_STORE *store = X509_STORE_new();
	STACK_OF(X509) *certs = sk_X509_new_null();

	X509_STORE_add_cert(store, A.cert);
	sk_X509_push(certs, A.cert);
	CHECK_EQ(OCSP_basic_verify(bs, certs, store, 0), 1);
	ERR_clear_error();
	sk_X509_free(certs);
	X509_STORE_free(store);
}

static void check_single(const struct row *w, OCSP_BASICRESP *bs, OCSP_REQUEST *req, int i,
    int online)
{
	OCSP_SINGLERESP *single = OCSP_resp_get0(bs, i);
	OCSP_ONEREQ *one = OCSP_request_onereq_get0(req, i);
	ASN1_GENERALIZEDTIME *rev = NULL, *tu = NULL, *nu = NULL;
	int reason = -9, status;

	CHECK(single != NULL && one != NULL);
	if (single == NULL || one == NULL)
		return;
	/* the CertID as asked: hash algorithm, issuer hashes, serial */
	CHECK_EQ(OCSP_id_cmp(OCSP_SINGLERESP_get0_id(single), OCSP_onereq_get0_id(one)), 0);
	status = OCSP_single_get0_status(single, &reason, &rev, &tu, &nu);
	CHECK_EQ(status, w->cert[i]);
	if (w->ids[i].serial == UNKNOWN_SERIAL)
		CHECK(status != GOOD);		/* never, whatever the policy */
	if (w->ext_revoke && w->ids[i].serial == UNKNOWN_SERIAL) {
		CHECK_EQ(reason, OCSP_REVOKED_STATUS_CERTIFICATEHOLD);
		CHECK_EQ(asn1_time(rev), 0);
	}
	if (online) {
		CHECK_EQ(asn1_time(tu), T0 - BACKDATE);
		CHECK_EQ(asn1_time(nu), T0 - BACKDATE + VALIDITY);
	}
}

static void check_answer(const struct row *w, const struct answer *ans, OCSP_REQUEST *req)
{
	const unsigned char *p = ans->der;
	OCSP_RESPONSE *resp = d2i_OCSP_RESPONSE(NULL, &p, (long)ans->len);
	OCSP_BASICRESP *bs = NULL;
	int online = w->ref == REF_ONLINE || w->ref == REF_LOCAL || w->kind == ANSWER_NO_STORE;

	CHECK(resp != NULL);
	if (resp == NULL)
		return;
	CHECK(p == ans->der + ans->len);
	CHECK_EQ(OCSP_response_status(resp), w->status);
	CHECK_EQ(ans->kind, w->kind);
	/* the references held, and what they point to */
	CHECK_EQ(ans->tree_ref != NULL, w->ref == REF_TREE);
	CHECK_EQ(ans->online_ref != NULL, w->ref == REF_ONLINE);
	CHECK_EQ(ans->resp != NULL, w->kind == ANSWER_CACHEABLE);
	if (w->ref == REF_TREE)
		CHECK(ans->resp == ans->tree_ref);
	if (w->ref == REF_ONLINE)
		CHECK(ans->resp == ans->online_ref);
	if (ans->resp != NULL)
		CHECK(ans->resp->der == ans->der && ans->resp->len == ans->len);

	if (w->status != OK) {
		size_t len;
		const uint8_t *der = response_error_der((enum response_error)w->status, &len);
		CHECK_EQ(ans->error, w->status);
		CHECK_MEM(ans->der, ans->len, der, len);
		goto out;
	}
	if (w->file != 0) {
		char path[TREE_PATH_MAX];
		size_t len;
		fx_response_path(path, root, &A, HASH_SHA1, w->file);
		uint8_t *file = fx_read(path, &len);
		CHECK_MEM(ans->der, ans->len, file, len);
		free(file);
	}
	bs = OCSP_response_get1_basic(resp);
	CHECK(bs != NULL);
	if (bs == NULL)
		goto out;
	check_signature(bs);
	CHECK_EQ(OCSP_resp_count(bs), (int)w->n);
	for (int i = 0; i < OCSP_resp_count(bs) && i < (int)w->n; i++)
		check_single(w, bs, req, i, online);
	if (ans->resp != NULL) {
		int64_t want_tu = online ? T0 - BACKDATE : TU, want_nu = online ?
		    T0 - BACKDATE + VALIDITY : NU;
		CHECK_EQ(ans->resp->this_update, want_tu);
		CHECK_EQ(ans->resp->next_update, want_nu);
	}
	/* 1: echoed; -1: asked for, not echoed; 2: neither */
	CHECK_EQ(OCSP_check_nonce(req, bs),
	    !w->nonce ? 2 : w->kind == ANSWER_NO_STORE ? 1 : -1);
	ASN1_OBJECT *oid = OBJ_txt2obj("1.3.6.1.5.5.7.48.1.9", 1);
	CHECK_EQ(OCSP_BASICRESP_get_ext_by_OBJ(bs, oid, -1) >= 0, w->ext_revoke);
	ASN1_OBJECT_free(oid);
out:
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(resp);
}

/* ---- the decision table ---- */

#define A1(s) { CA_A, HASH_SHA1, s }
#define A256(s) { CA_A, HASH_SHA256, s }
#define X1(s) { CA_X, HASH_SHA1, s }
#define FAIL(st) st, ANSWER_ERROR, REF_NONE, 0
#define TREE(serial) OK, ANSWER_CACHEABLE, REF_TREE, serial
#define ONLINE OK, ANSWER_CACHEABLE, REF_ONLINE, 0
#define NO_STORE OK, ANSWER_NO_STORE, REF_NONE, 0

static const struct row rows[] = {
	/* the tree answers a plain request for one certificate */
	{ "tree hit, no key", NOKEY, { A1(0x10) }, 1, 0, 0, NULL, 0, TREE(0x10), { GOOD }, 0 },
	{ "tree hit, key", KEY, { A1(0x10) }, 1, 0, 0, NULL, 0, TREE(0x10), { GOOD }, 0 },
	{ "tree hit, revoked", KEY, { A1(0x12) }, 1, 0, 0, NULL, 0, TREE(0x12), { REVOKED }, 0 },
	/* what the tree cannot answer */
	{ "stale file, no key", NOKEY, { A1(0x11) }, 1, 0, 0, NULL, 0,
	  FAIL(OCSP_RESPONSE_STATUS_TRYLATER), { 0 }, 0 },
	{ "stale file, key", KEY, { A1(0x11) }, 1, 0, 0, NULL, 0, ONLINE, { GOOD }, 0 },
	/* stale = trylater: never signed in place of the expired file */
	{ "stale file, key", STALE_TRYLATER, { A1(0x11) }, 1, 0, 0, NULL, 0,
	  FAIL(OCSP_RESPONSE_STATUS_TRYLATER), { 0 }, 0 },
	{ "tree hit, key", STALE_TRYLATER, { A1(0x10) }, 1, 0, 0, NULL, 0, TREE(0x10), { GOOD },
	  0 },
	{ "no file, in the index, key", STALE_TRYLATER, { A1(0x13) }, 1, 0, 0, NULL, 0, ONLINE,
	  { GOOD }, 0 },
	{ "broken file, no key", NOKEY, { A1(0x14) }, 1, 0, 0, NULL, 0,
	  FAIL(OCSP_RESPONSE_STATUS_INTERNALERROR), { 0 }, 0 },
	{ "broken file, key", KEY, { A1(0x14) }, 1, 0, 0, NULL, 0, ONLINE, { GOOD }, 0 },
	{ "no file, in the index, key", KEY, { A1(0x13) }, 1, 0, 0, NULL, 0, ONLINE, { GOOD }, 0 },
	{ "no file, in the index, no key", NOKEY, { A1(0x13) }, 1, 0, 0, NULL, 0,
	  FAIL(OCSP_RESPONSE_STATUS_UNAUTHORIZED), { 0 }, 0 },
	/* a nonce */
	{ "nonce, key", KEY, { A1(0x10) }, 1, 1, 0, NULL, 0, NO_STORE, { GOOD }, 0 },
	{ "nonce, revoked, key", KEY, { A1(0x12) }, 1, 1, 0, NULL, 0, NO_STORE, { REVOKED }, 0 },
	{ "nonce, no key", NOKEY, { A1(0x10) }, 1, 1, 0, NULL, 0, TREE(0x10), { GOOD }, 0 },
	/* a CertID hash not pre-signed */
	{ "SHA-256, key", KEY, { A256(0x10) }, 1, 0, 0, NULL, 0, ONLINE, { GOOD }, 0 },
	{ "SHA-256, no key", NOKEY, { A256(0x10) }, 1, 0, 0, NULL, 0,
	  FAIL(OCSP_RESPONSE_STATUS_UNAUTHORIZED), { 0 }, 0 },
	{ "MD5, key", KEY, { { CA_A, MD5, 0x10 } }, 1, 0, 0, NULL, 0,
	  FAIL(OCSP_RESPONSE_STATUS_UNAUTHORIZED), { 0 }, 0 },
	/* several certificates */
	{ "three, key", KEY, { A1(0x10), A256(0x13), A1(0x12) }, 3, 0, 0, NULL, 0, ONLINE,
	  { GOOD, GOOD, REVOKED }, 0 },
	{ "three and a nonce, key", KEY, { A1(0x12), A1(0x10), A256(0x13) }, 3, 1, 0, NULL, 0,
	  NO_STORE, { REVOKED, GOOD, GOOD }, 0 },
	{ "three, no key", NOKEY, { A1(0x10), A256(0x13), A1(0x12) }, 3, 0, 0, NULL, 0,
	  FAIL(OCSP_RESPONSE_STATUS_UNAUTHORIZED), { 0 }, 0 },
	{ "two CAs, key for one", KEY, { A1(0x10), X1(0x10) }, 2, 0, 0, NULL, 0,
	  FAIL(OCSP_RESPONSE_STATUS_UNAUTHORIZED), { 0 }, 0 },
	{ "max_certs, key", KEY, { A1(0x10), A1(0x12), A1(0x13), A256(0x10) }, MAX_CERTS, 0, 0,
	  NULL, 0, ONLINE, { GOOD, REVOKED, GOOD, GOOD }, 0 },
	{ "more than max_certs, key", KEY, { A1(0x10), A1(0x12), A1(0x13), A256(0x10),
	  A256(0x12) }, MAX_CERTS + 1, 0, 0, NULL, 0,
	  FAIL(OCSP_RESPONSE_STATUS_MALFORMEDREQUEST), { 0 }, 0 },
	{ "more than max_certs, no key", NOKEY, { A1(0x10), A1(0x12), A1(0x13), A256(0x10),
	  A256(0x12) }, MAX_CERTS + 1, 0, 0, NULL, 0,
	  FAIL(OCSP_RESPONSE_STATUS_MALFORMEDREQUEST), { 0 }, 0 },
	/* a serial the CA never issued, under each policy */
	{ "unknown serial, unknown", KEY, { A1(UNKNOWN_SERIAL) }, 1, 0, 0, NULL, 0, ONLINE,
	  { UNKNOWN }, 0 },
	{ "unknown serial, revoked", KEY_REVOKED, { A1(UNKNOWN_SERIAL) }, 1, 0, 0, NULL, 0,
	  ONLINE, { REVOKED }, 1 },
	{ "unknown serial, unauthorized", KEY_UNAUTH, { A1(UNKNOWN_SERIAL) }, 1, 0, 0, NULL, 0,
	  FAIL(OCSP_RESPONSE_STATUS_UNAUTHORIZED), { 0 }, 0 },
	{ "unknown serial, no key", NOKEY, { A1(UNKNOWN_SERIAL) }, 1, 0, 0, NULL, 0,
	  FAIL(OCSP_RESPONSE_STATUS_UNAUTHORIZED), { 0 }, 0 },
	{ "unknown serial with a nonce, revoked", KEY_REVOKED, { A1(UNKNOWN_SERIAL) }, 1, 1, 0,
	  NULL, 0, NO_STORE, { REVOKED }, 1 },
	{ "unknown among known, unknown", KEY, { A1(0x10), A256(UNKNOWN_SERIAL) }, 2, 0, 0,
	  NULL, 0, ONLINE, { GOOD, UNKNOWN }, 0 },
	{ "unknown among known, revoked", KEY_REVOKED, { A1(0x10), A256(UNKNOWN_SERIAL) }, 2,
	  0, 0, NULL, 0, ONLINE, { GOOD, REVOKED }, 1 },
	{ "unknown among known, unauthorized", KEY_UNAUTH, { A1(0x10), A1(UNKNOWN_SERIAL) }, 2,
	  0, 0, NULL, 0, FAIL(OCSP_RESPONSE_STATUS_UNAUTHORIZED), { 0 }, 0 },
	{ "known serial, unauthorized policy", KEY_UNAUTH, { A256(0x12) }, 1, 0, 0, NULL, 0,
	  ONLINE, { REVOKED }, 0 },
	{ "negative serial, key", KEY, { A1(-0x10) }, 1, 0, 0, NULL, 0,
	  FAIL(OCSP_RESPONSE_STATUS_UNAUTHORIZED), { 0 }, 0 },
	/* another CA altogether */
	{ "unconfigured CA, key", KEY, { X1(0x10) }, 1, 0, 0, NULL, 0,
	  FAIL(OCSP_RESPONSE_STATUS_UNAUTHORIZED), { 0 }, 0 },
	{ "unconfigured CA, nonce", KEY, { X1(0x10) }, 1, 1, 0, NULL, 0,
	  FAIL(OCSP_RESPONSE_STATUS_UNAUTHORIZED), { 0 }, 0 },
	/* not requests */
	{ "garbage", KEY, { { 0 } }, 0, 0, 0, "\x30\x03\x02\x01\x01", 5,
	  FAIL(OCSP_RESPONSE_STATUS_MALFORMEDREQUEST), { 0 }, 0 },
	{ "text", NOKEY, { { 0 } }, 0, 0, 0, "GET / HTTP/1.1", 14,
	  FAIL(OCSP_RESPONSE_STATUS_MALFORMEDREQUEST), { 0 }, 0 },
	{ "a request and a trailing byte", KEY, { A1(0x10) }, 1, 0, 0, "", 1,
	  FAIL(OCSP_RESPONSE_STATUS_MALFORMEDREQUEST), { 0 }, 0 },
	/* signed requests */
	{ "sig_required, unsigned", SIGREQ, { A1(0x10) }, 1, 0, NO_SIG, NULL, 0,
	  FAIL(OCSP_RESPONSE_STATUS_SIGREQUIRED), { 0 }, 0 },
	{ "sig_required, unsigned, nonce", SIGREQ, { A1(0x10) }, 1, 1, NO_SIG, NULL, 0,
	  FAIL(OCSP_RESPONSE_STATUS_SIGREQUIRED), { 0 }, 0 },
	{ "sig_required, trusted requestor", SIGREQ, { A1(0x10) }, 1, 0, SIG_TRUSTED, NULL, 0,
	  TREE(0x10), { GOOD }, 0 },
	{ "sig_required, trusted requestor, nonce", SIGREQ, { A1(0x10) }, 1, 1, SIG_TRUSTED,
	  NULL, 0, NO_STORE, { GOOD }, 0 },
	{ "sig_required, untrusted requestor", SIGREQ, { A1(0x10) }, 1, 0, SIG_UNTRUSTED, NULL,
	  0, FAIL(OCSP_RESPONSE_STATUS_UNAUTHORIZED), { 0 }, 0 },
	{ "signed, not required", KEY, { A1(0x10) }, 1, 0, SIG_UNTRUSTED, NULL, 0, TREE(0x10),
	  { GOOD }, 0 },
	/* no online cache: signed for each request, same headers */
	{ "no online cache", NOCACHE, { A1(0x13) }, 1, 0, 0, NULL, 0, OK, ANSWER_CACHEABLE,
	  REF_LOCAL, 0, { GOOD }, 0 },
	{ "no online cache, tree hit", NOCACHE, { A1(0x10) }, 1, 0, 0, NULL, 0, TREE(0x10),
	  { GOOD }, 0 },
	/* no tree */
	{ "online only", ONLINE_ONLY, { A1(0x10) }, 1, 0, 0, NULL, 0, ONLINE, { GOOD }, 0 },
	{ "online only, unknown serial", ONLINE_ONLY, { A1(UNKNOWN_SERIAL) }, 1, 0, 0, NULL, 0,
	  ONLINE, { UNKNOWN }, 0 },
	{ "online only, no status", NO_STATUS, { A1(0x10) }, 1, 0, 0, NULL, 0,
	  FAIL(OCSP_RESPONSE_STATUS_TRYLATER), { 0 }, 0 },
};

/* The bytes to send for row w (malloc'd); *req gets the request, or NULL. */
static uint8_t *row_der(const struct row *w, OCSP_REQUEST **req, size_t *len)
{
	uint8_t *der, *longer;

	*req = NULL;
	if (w->raw != NULL && w->n == 0) {
		der = malloc(w->raw_len);
		if (der == NULL)
			exit(2);
		memcpy(der, w->raw, w->raw_len);
		*len = w->raw_len;
		return der;
	}
	*req = make_request(w->ids, w->n, w->nonce, w->sig);
	der = pki_request_der(*req, len);
	if (w->raw != NULL) {
		longer = realloc(der, *len + w->raw_len);
		if (longer == NULL)
			exit(2);
		der = longer;
		memcpy(der + *len, w->raw, w->raw_len);
		*len += w->raw_len;
	}
	return der;
}

static void test_table(void)
{
	static const char *const how[] = { "POST", "POST again", "GET", "GET again" };

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *w = &rows[i];
		struct answerer *a = answerers[w->conf];
		struct answer_scratch *s = scratch[w->conf];
		OCSP_REQUEST *req;
		size_t len;
		uint8_t *der = row_der(w, &req, &len), *first = NULL;
		char *path = get_path(der, len);
		size_t first_len = 0;

		for (int k = 0; k < 4; k++) {
			struct answer ans;

			check_case("%s (%s): %s", w->label, confs[w->conf].label, how[k]);
			memset(&ans, 0xa5, sizeof(ans));
			if (k < 2)
				answer_request(a, der, len, T0, s, &ans);
			else
				CHECK_EQ(answer_get(a, path, strlen(path), "", T0, s, &ans), 0);
			check_answer(w, &ans, req);	/* req NULL: not a request */
			/* the same bytes each time, unless signed again */
			if (k == 0) {
				first = malloc(ans.len);
				if (first == NULL)
					exit(2);
				memcpy(first, ans.der, ans.len);
				first_len = ans.len;
			} else {
				int same = ans.len == first_len && memcmp(ans.der, first, first_len) == 0;
				CHECK_EQ(same, w->kind == ANSWER_ERROR || w->ref == REF_TREE ||
				    w->ref == REF_ONLINE);
			}
			answer_release(a, &ans);
			CHECK(ans.tree_ref == NULL && ans.online_ref == NULL);
		}
		free(first);
		free(path);
		free(der);
		OCSP_REQUEST_free(req);
	}
	check_case_clear();
}

/* POST bodies that are no request at all, and GET paths of every kind. */
static void test_not_requests(void)
{
	static const struct id_spec id[] = { A1(0x10) };
	struct answerer *a = answerers[KEY];
	struct answer_scratch *s = scratch[KEY];
	OCSP_REQUEST *req = make_request(id, 1, 0, NO_SIG);
	size_t len;
	uint8_t *der = pki_request_der(req, &len);
	char *b64 = get_path(der, len), path[1024], encoded[1024];
	struct answer ans;
	size_t o = 0;

	/* an empty body */
	answer_request(a, der, 0, T0, s, &ans);
	CHECK_EQ(ans.kind, ANSWER_ERROR);
	CHECK_EQ(ans.error, RESPONSE_MALFORMED);
	answer_release(a, &ans);

	/* every character percent-encoded, needed or not */
	for (const char *c = b64 + 1; *c != '\0' && o + 4 < sizeof(encoded); c++)
		o += (size_t)snprintf(encoded + o, sizeof(encoded) - o, "%%%02X",
		    (unsigned char)*c);
	encoded[o] = '\0';
	enum { NOTHING, B64, B64_NO_SLASH, ENCODED };
	static const struct {
		const char *label, *lead;
		int body;		/* appended to lead */
		const char *prefix;
		int ret;		/* of answer_get */
		int status;		/* when answered */
	} gets[] = {
		{ "plain", "", B64, "", 0, OK },
		{ "percent-encoded", "/", ENCODED, "", 0, OK },
		{ "under the prefix", "/ocsp/", ENCODED, "/ocsp", 0, OK },
		{ "prefix configured, not used", "", B64, "/ocsp", 0, OK },
		{ "no leading slash", "", B64_NO_SLASH, "", 0, OK },
		{ "not base64", "/favicon.ico", NOTHING, "", -1, 0 },
		{ "the prefix alone", "/ocsp", NOTHING, "/ocsp", -1, 0 },
		{ "the root", "/", NOTHING, "", -1, 0 },
		{ "base64 of no request", "/MAMCAQE=", NOTHING, "", 0,
		  OCSP_RESPONSE_STATUS_MALFORMEDREQUEST },
		{ "a broken escape", "/MA%ZZ", NOTHING, "", 0,
		  OCSP_RESPONSE_STATUS_MALFORMEDREQUEST },
	};
	for (size_t i = 0; i < sizeof(gets) / sizeof(gets[0]); i++) {
		const char *body = gets[i].body == B64 ? b64 : gets[i].body == B64_NO_SLASH ?
		    b64 + 1 : gets[i].body == ENCODED ? encoded : "";

		check_case("GET %s", gets[i].label);
		snprintf(path, sizeof(path), "%s%s", gets[i].lead, body);
		memset(&ans, 0, sizeof(ans));
		CHECK_EQ(answer_get(a, path, strlen(path), gets[i].prefix, T0, s, &ans),
		    gets[i].ret);
		if (gets[i].ret == 0) {
			const unsigned char *p = ans.der;
			OCSP_RESPONSE *resp = d2i_OCSP_RESPONSE(NULL, &p, (long)ans.len);
			CHECK(resp != NULL);
			if (resp != NULL)
				CHECK_EQ(OCSP_response_status(resp), gets[i].status);
			if (gets[i].status == OK) {
				CHECK(ans.tree_ref != NULL);	/* the file of serial 10 */
				CHECK_EQ(ans.kind, ANSWER_CACHEABLE);
			}
			OCSP_RESPONSE_free(resp);
		} else {
			CHECK(ans.der == NULL && ans.tree_ref == NULL && ans.online_ref == NULL);
		}
		answer_release(a, &ans);
	}
	check_case_clear();
	free(b64);
	free(der);
	OCSP_REQUEST_free(req);
}

/* Answers for one serial (the bytes, malloc'd) at now from answerer i. */
static uint8_t *answer_one(int i, long serial, int64_t now, size_t *len, int *status,
    int64_t *next_update)
{
	struct id_spec id = A1(serial);
	OCSP_REQUEST *req = make_request(&id, 1, 0, NO_SIG);
	size_t dlen;
	uint8_t *der = pki_request_der(req, &dlen), *out;
	struct answer ans;
	const unsigned char *p;
	OCSP_RESPONSE *resp;
	OCSP_BASICRESP *bs;

	answer_request(answerers[i], der, dlen, now, scratch[i], &ans);
	*status = -1;
	*next_update = ans.resp ? ans.resp->next_update : 0;
	p = ans.der;
	resp = d2i_OCSP_RESPONSE(NULL, &p, (long)ans.len);
	bs = resp ? OCSP_response_get1_basic(resp) : NULL;
	if (bs != NULL)
		*status = OCSP_single_get0_status(OCSP_resp_get0(bs, 0), NULL, NULL, NULL, NULL);
	out = malloc(ans.len);
	if (out == NULL)
		exit(2);
	memcpy(out, ans.der, ans.len);
	*len = ans.len;
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(resp);
	answer_release(answerers[i], &ans);
	free(der);
	OCSP_REQUEST_free(req);
	return out;
}

/* Where each answer came from, as metrics and the access log are told. */
static void test_sources(void)
{
	static const struct {
		int conf;
		long serial;
		enum answer_source source;
		int signed_online;
	} cases[] = {
		{ KEY, 0x10, ANSWER_SRC_TREE, 0 },
		{ NOKEY, 0x11, ANSWER_SRC_STALE, 0 },
		{ STALE_TRYLATER, 0x11, ANSWER_SRC_STALE, 0 },
		{ NOCACHE, 0x11, ANSWER_SRC_ONLINE, 1 },
		{ NOKEY, 0x13, ANSWER_SRC_NOT_FOUND, 0 },
		{ NOKEY, 0x14, ANSWER_SRC_NONE, 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct id_spec id = A1(cases[i].serial);
		OCSP_REQUEST *req = make_request(&id, 1, 0, NO_SIG);
		size_t dlen;
		uint8_t *der = pki_request_der(req, &dlen);
		struct answer ans;

		check_case("source %zu (%s, serial %lx)", i, confs[cases[i].conf].label,
		    cases[i].serial);
		answer_request(answerers[cases[i].conf], der, dlen, T0, scratch[cases[i].conf],
		    &ans);
		CHECK_EQ(ans.info.source, cases[i].source);
		CHECK_EQ(ans.info.signed_online, cases[i].signed_online);
		CHECK(ans.info.has_id && ans.info.id.serial_ok);
		answer_release(answerers[cases[i].conf], &ans);
		free(der);
		OCSP_REQUEST_free(req);
	}
	{
		struct answer ans;
		static const uint8_t junk[] = { 0x30, 0x03, 0x02, 0x01 };
		check_case("source: malformed");
		answer_request(answerers[KEY], junk, sizeof(junk), T0, scratch[KEY], &ans);
		CHECK_EQ(ans.info.source, ANSWER_SRC_NONE);
		CHECK(!ans.info.has_id);
		answer_release(answerers[KEY], &ans);
	}
	check_case_clear();
}

/* A new index (a revocation) makes cached online answers stale at the
 * next refresh: answered again, from the new status. */
static void test_new_status(void)
{
	uint8_t *before, *cached, *after;
	size_t lb, lc, la;
	int sb, sc, sa;
	int64_t nb, nc, na;

	before = answer_one(EPOCH, 0x13, T0, &lb, &sb, &nb);
	CHECK_EQ(sb, GOOD);
	cached = answer_one(EPOCH, 0x13, T0, &lc, &sc, &nc);
	CHECK_MEM(cached, lc, before, lb);
	write_index(epoch_index, "260101000000Z,superseded");
	answerer_refresh(answerers[EPOCH], T0);
	after = answer_one(EPOCH, 0x13, T0, &la, &sa, &na);
	CHECK_EQ(sa, REVOKED);
	CHECK(la != lb || memcmp(after, before, lb) != 0);
	free(before);
	free(cached);
	free(after);
}

/* An online answer is not served past its nextUpdate: for a certificate
 * that expires in two hours, nextUpdate is its expiry, while the online
 * cache keeps the answer until thisUpdate + refresh (two days). */
static void test_cached_past_next_update(void)
{
	uint8_t *der;
	size_t len;
	int status;
	int64_t nu, later = T0 + 7200 + 60;

	der = answer_one(KEY, EXPIRING_SERIAL, T0, &len, &status, &nu);
	CHECK_EQ(status, GOOD);
	CHECK_EQ(nu, T0 + 7200);	/* capped at the certificate's expiry */
	free(der);
	der = answer_one(KEY, EXPIRING_SERIAL, later, &len, &status, &nu);
	CHECK(nu > later);
	if (nu <= later)
		fprintf(stderr, "  answered at %lld with a response whose nextUpdate is %lld\n",
		    (long long)later, (long long)nu);
	free(der);
}

int main(void)
{
	log_init("test_answer", 0, LOG_LVL_ERROR);
	setup();
	open_answerers();
	test_table();
	test_not_requests();
	test_sources();
	test_new_status();
	test_cached_past_next_update();
	teardown();
	return check_done();
}
