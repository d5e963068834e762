/* The tree reader on a real tree written as the publisher writes one:
 * every outcome of a lookup, the bytes and times of what it finds, refused
 * files of every kind (warned about once, not on every lookup), entries
 * held past their eviction, and a tree that changes under it: replaced
 * files, a new generation, a file that turns bad and good again, a new
 * issuer. Lookups take the time as an argument, so re-checks are made due
 * by passing later times instead of sleeping. */
#include "ocsp/tree_reader.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "ocsp/tree.h"
#include "check.h"
#include "pki.h"
#include "tree_fixture.h"

#define DAY 86400
#define SHA1_ONLY (1u << HASH_SHA1)
#define SHA1_SHA256 (1u << HASH_SHA1 | 1u << HASH_SHA256)

static int64_t T0, TU, NU;	/* now; the times of every good file */
static const char *root;
static uint64_t generation;	/* of the last marker written */

/* A: files for SHA-1 CertIDs; S: for SHA-1 and SHA-256; X: never in the
 * tree; N: added to the tree by test_new_issuer. */
static struct fx_ca A, S, X, N;

struct warnings {
	int n;
	char last[1024];
};

static void on_warn(void *arg, const char *msg)
{
	struct warnings *w = arg;

	w->n++;
	snprintf(w->last, sizeof(w->last), "%s", msg);
}

static struct req_certid cid(const struct fx_ca *c, enum hash_alg alg, long serial)
{
	OCSP_CERTID *id = pki_certid(hash_md(alg), c->cert, serial);
	struct req_certid r;
	struct err e = { "" };

	if (certid_from_ocsp(id, &r, &e) != 0) {
		fprintf(stderr, "certid_from_ocsp: %s\n", e.msg);
		exit(2);
	}
	OCSP_CERTID_free(id);
	return r;
}

/* Sets path's modification time to t. */
static void age_file(const char *path, int64_t t)
{
	struct timespec ts[2] = { { (time_t)t, 0 }, { (time_t)t, 0 } };

	if (utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW) != 0) {
		perror(path);
		exit(2);
	}
}

/* Opens a reader on dir with its tree checks due from now + 1 on. */
static struct tree_reader *open_at(const char *dir, size_t entries, int64_t now,
    struct warnings *w)
{
	struct tree_reader_opts o = { dir, entries, 1, on_warn, w };
	struct tree_reader *t = NULL;
	struct err e = { "" };

	if (tree_reader_open(&o, &t, &e) != 0) {
		fprintf(stderr, "tree_reader_open: %s\n", e.msg);
		exit(2);
	}
	tree_reader_refresh(t, now);
	return t;
}

static void put_good(const struct fx_ca *c, enum hash_alg alg, long serial,
    enum cert_status status)
{
	size_t len;
	uint8_t *der = fx_response1(c, alg, serial, status, TU, NU, &len);

	fx_put(root, c, alg, serial, der, len);
	free(der);
}

/* The response r is the file c, alg, serial holds now: same bytes, the
 * digest of those bytes, and the file's times. */
static void check_is_file(const struct signed_response *r, const struct fx_ca *c,
    enum hash_alg alg, long serial, int64_t tu, int64_t nu)
{
	char path[TREE_PATH_MAX];
	uint8_t *want, digest[32];
	size_t len;

	CHECK(r != NULL);
	if (r == NULL)
		return;
	fx_response_path(path, root, c, alg, serial);
	want = fx_read(path, &len);
	CHECK_MEM(r->der, r->len, want, len);
	CHECK(EVP_Digest(want, len, digest, NULL, EVP_sha256(), NULL));
	CHECK_MEM(r->digest, sizeof(r->digest), digest, sizeof(digest));
	CHECK_EQ(r->this_update, tu);
	CHECK_EQ(r->next_update, nu);
	free(want);
}

/* ---- refused files ---- */

enum bad_kind { GARBAGE, OTHER_SERIAL, OTHER_ISSUER, OTHER_HASH, SYMLINK, EMPTY,
	TWO_SINGLES, TRAILING, UNSUCCESSFUL, DIRECTORY };

static const struct bad {
	const char *label;
	struct fx_ca *ca;
	enum hash_alg alg;
	long serial;
	enum bad_kind kind;
	const char *why;	/* in the warning */
} bads[] = {
	{ "garbage", &A, HASH_SHA1, 0xB1, GARBAGE, "not a DER OCSP response" },
	{ "response for another serial", &A, HASH_SHA1, 0xB2, OTHER_SERIAL,
	  "serial is not the file name (misplaced file)" },
	{ "response of another issuer", &A, HASH_SHA1, 0xB3, OTHER_ISSUER,
	  "names another issuer (misplaced file)" },
	{ "SHA-256 CertID in the SHA-1 place", &A, HASH_SHA1, 0xB4, OTHER_HASH,
	  "CertID hash is not sha1" },
	{ "SHA-1 CertID in the SHA-256 place", &S, HASH_SHA256, 0xB4, OTHER_HASH,
	  "CertID hash is not sha256" },
	{ "symbolic link to a good file", &A, HASH_SHA1, 0xB5, SYMLINK, "a symbolic link" },
	{ "empty file", &A, HASH_SHA1, 0xB6, EMPTY, "0 bytes" },
	{ "two SingleResponses", &A, HASH_SHA1, 0xB7, TWO_SINGLES,
	  "2 SingleResponses (one expected)" },
	{ "trailing byte", &A, HASH_SHA1, 0xB8, TRAILING, "trailing bytes" },
	{ "tryLater response", &A, HASH_SHA1, 0xB9, UNSUCCESSFUL,
	  "not a successful basic OCSP response" },
	{ "directory", &A, HASH_SHA1, 0xBA, DIRECTORY, "not a regular file" },
};
#define NBADS (sizeof(bads) / sizeof(bads[0]))

static void put_bad(const struct bad *b)
{
	char path[TREE_PATH_MAX];
	const uint8_t *fixed = NULL;
	uint8_t *der = NULL, *longer;
	size_t len = 0;

	fx_response_path(path, root, b->ca, b->alg, b->serial);
	switch (b->kind) {
	case GARBAGE:
		fixed = (const uint8_t *)"not a response\n";
		len = 15;
		break;
	case OTHER_SERIAL:
		der = fx_response1(b->ca, b->alg, 0x0A, CERT_GOOD, TU, NU, &len);
		break;
	case OTHER_ISSUER:
		der = fx_response1(&S, b->alg, b->serial, CERT_GOOD, TU, NU, &len);
		break;
	case OTHER_HASH:
		der = fx_response1(b->ca, b->alg == HASH_SHA1 ? HASH_SHA256 : HASH_SHA1,
		    b->serial, CERT_GOOD, TU, NU, &len);
		break;
	case SYMLINK:
		/* the link is in the issuer directory, next to the file it names */
		if (symlink("0A", path) != 0) {
			perror(path);
			exit(2);
		}
		return;
	case EMPTY:
		fixed = (const uint8_t *)"";
		break;
	case TWO_SINGLES: {
		struct fx_single s[2] = { { b->serial, b->alg, CERT_GOOD, 0 },
			{ b->serial + 1, b->alg, CERT_GOOD, 0 } };
		der = fx_response(b->ca, s, 2, TU, NU, &len);
		break;
	}
	case TRAILING:
		der = fx_response1(b->ca, b->alg, b->serial, CERT_GOOD, TU, NU, &len);
		longer = realloc(der, len + 1);
		if (longer == NULL)
			exit(2);
		der = longer;
		der[len++] = 0;
		break;
	case UNSUCCESSFUL:
		fixed = response_error_der(RESPONSE_TRY_LATER, &len);
		break;
	case DIRECTORY:
		if (mkdir(path, 0755) != 0) {
			perror(path);
			exit(2);
		}
		return;
	}
	fx_put(root, b->ca, b->alg, b->serial, der ? der : fixed, len);
	free(der);
}

/* ---- the tree ---- */

static void setup(void)
{
	T0 = (int64_t)time(NULL);
	TU = T0 - 3600;
	NU = T0 + 4 * DAY;
	fx_ca_make(&A, "CA A", T0, check_tmp_path("a.pem"), check_tmp_path("a.key"));
	fx_ca_make(&S, "CA S", T0, check_tmp_path("s.pem"), check_tmp_path("s.key"));
	fx_ca_make(&X, "CA X", T0, check_tmp_path("x.pem"), check_tmp_path("x.key"));
	fx_ca_make(&N, "CA N", T0, check_tmp_path("n.pem"), check_tmp_path("n.key"));
	root = check_tmp_path("tree");

	put_good(&A, HASH_SHA1, 0x0A, CERT_GOOD);
	put_good(&A, HASH_SHA1, 0x80, CERT_REVOKED);
	for (long s = 0x20; s < 0x30; s++)
		put_good(&A, HASH_SHA1, s, CERT_GOOD);
	size_t len;
	uint8_t *der = fx_response1(&A, HASH_SHA1, 0x51, CERT_GOOD, T0 - 5 * DAY,
	    T0 - DAY, &len);
	fx_put(root, &A, HASH_SHA1, 0x51, der, len);
	free(der);
	put_good(&S, HASH_SHA1, 0x0A, CERT_GOOD);
	put_good(&S, HASH_SHA256, 0x0A, CERT_REVOKED);
	for (size_t i = 0; i < NBADS; i++)
		put_bad(&bads[i]);

	fx_issuer_meta(root, &A, SHA1_ONLY, 1);
	fx_issuer_meta(root, &S, SHA1_SHA256, 1);
	fx_marker(root, generation = 1, 2);
}

static void teardown(void)
{
	fx_rmtree(root);
	fx_ca_free(&A);
	fx_ca_free(&S);
	fx_ca_free(&X);
	fx_ca_free(&N);
}

/* ---- the tests ---- */

static void test_open(void)
{
	static const struct {
		const char *root;
		int64_t interval;
		const char *err;	/* NULL: opens */
	} cases[] = {
		{ NULL, 1, "no tree directory" },
		{ "", 1, "no tree directory" },
		{ "/nonexistent/tree", 0, "reload interval under one second" },
		{ "/nonexistent/tree", -5, "reload interval under one second" },
		{ "/nonexistent/tree", 1, NULL },	/* missing is not an error */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct tree_reader_opts o = { cases[i].root, 16, cases[i].interval, NULL, NULL };
		struct tree_reader *t = (struct tree_reader *)&o;
		struct err e = { "" };

		check_case("open %s, interval %lld", cases[i].root ? cases[i].root : "NULL",
		    (long long)cases[i].interval);
		CHECK_EQ(tree_reader_open(&o, &t, &e), cases[i].err ? -1 : 0);
		if (cases[i].err != NULL) {
			CHECK(t == NULL);
			CHECK_CONTAINS(e.msg, cases[i].err);
			continue;
		}
		CHECK(t != NULL);
		if (t == NULL)
			continue;
		struct req_certid id = cid(&A, HASH_SHA1, 0x0A);
		const struct signed_response *r = (const struct signed_response *)&o;
		CHECK_EQ(tree_reader_lookup(t, &id, T0, &r), TREE_NO_ISSUER);
		CHECK(r == NULL);
		struct tree_reader_stats st;
		tree_reader_stats(t, &st);
		CHECK_EQ(st.issuers, 0);
		CHECK_EQ(st.generation, 0);
		CHECK_EQ(st.cached, 0);
		CHECK_EQ(st.capacity, 16);
		tree_reader_close(t);
	}
	check_case_clear();
	tree_reader_close(NULL);

	/* a root longer than any tree path allows */
	char long_root[TREE_PATH_MAX + 2];
	memset(long_root, 'a', sizeof(long_root) - 1);
	long_root[0] = '/';
	long_root[sizeof(long_root) - 1] = '\0';
	struct tree_reader_opts o = { long_root, 16, 1, NULL, NULL };
	struct tree_reader *t = NULL;
	struct err e = { "" };
	CHECK_EQ(tree_reader_open(&o, &t, &e), -1);
	CHECK_CONTAINS(e.msg, "tree path longer than");
}

/* One lookup of every outcome, and every kind of refused file. */
static void test_lookups(void)
{
	enum { NONE, NAME, KEY };	/* which issuer hash to spoil */
	static const struct {
		const char *label;
		struct fx_ca *ca;
		enum hash_alg alg;
		long serial;
		int spoil;
		enum tree_lookup want;
		int64_t tu, nu;		/* when found: 0 for TU and NU */
	} cases[] = {
		{ "SHA-1, good", &A, HASH_SHA1, 0x0A, NONE, TREE_FOUND, 0, 0 },
		{ "SHA-1, revoked, serial 0x80", &A, HASH_SHA1, 0x80, NONE, TREE_FOUND, 0, 0 },
		{ "both hashes pre-signed: SHA-1", &S, HASH_SHA1, 0x0A, NONE, TREE_FOUND, 0, 0 },
		{ "both hashes pre-signed: SHA-256", &S, HASH_SHA256, 0x0A, NONE, TREE_FOUND,
		  0, 0 },
		{ "another CA", &X, HASH_SHA1, 0x0A, NONE, TREE_NO_ISSUER, 0, 0 },
		{ "another CA, SHA-256", &X, HASH_SHA256, 0x0A, NONE, TREE_NO_ISSUER, 0, 0 },
		{ "issuer key hash, other name hash", &A, HASH_SHA1, 0x0A, NAME,
		  TREE_NO_ISSUER, 0, 0 },
		{ "issuer name hash, other key hash", &A, HASH_SHA1, 0x0A, KEY,
		  TREE_NO_ISSUER, 0, 0 },
		{ "SHA-256, only SHA-1 pre-signed", &A, HASH_SHA256, 0x0A, NONE, TREE_NO_HASH,
		  0, 0 },
		{ "SHA-512, not pre-signed", &S, HASH_SHA512, 0x0A, NONE, TREE_NO_HASH, 0, 0 },
		{ "no file", &A, HASH_SHA1, 0x77, NONE, TREE_NO_SERIAL, 0, 0 },
		{ "no SHA-256 file", &S, HASH_SHA256, 0x80, NONE, TREE_NO_SERIAL, 0, 0 },
		{ "negative serial", &A, HASH_SHA1, -10, NONE, TREE_NO_SERIAL, 0, 0 },
		{ "past its nextUpdate", &A, HASH_SHA1, 0x51, NONE, TREE_STALE, 0, 0 },
	};
	struct warnings w = { 0, "" };
	struct tree_reader *t = open_at(root, 64, T0, &w);
	struct tree_reader_stats st;
	size_t cached = 0;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct req_certid id = cid(cases[i].ca, cases[i].alg, cases[i].serial);
		const struct signed_response *r = (const struct signed_response *)&w, *again;

		check_case("%s", cases[i].label);
		if (cases[i].spoil == NAME)
			id.name_hash[0] ^= 1;
		if (cases[i].spoil == KEY)
			id.key_hash[hash_len(id.alg) - 1] ^= 1;
		CHECK_EQ(tree_reader_lookup(t, &id, T0, &r), cases[i].want);
		cached += cases[i].want == TREE_FOUND || cases[i].want == TREE_STALE;
		if (cases[i].want != TREE_FOUND) {
			CHECK(r == NULL);
			continue;
		}
		check_is_file(r, cases[i].ca, cases[i].alg, cases[i].serial, TU, NU);
		/* looked up again: the same mapping, from the cache */
		CHECK_EQ(tree_reader_lookup(t, &id, T0, &again), TREE_FOUND);
		CHECK(again == r);
		tree_reader_release(t, again);
		tree_reader_release(t, r);
	}
	CHECK_EQ(w.n, 0);

	for (size_t i = 0; i < NBADS; i++) {
		const struct bad *b = &bads[i];
		struct req_certid id = cid(b->ca, b->alg, b->serial);
		const struct signed_response *r = (const struct signed_response *)&w;
		char path[TREE_PATH_MAX];
		int before = w.n;
		int64_t when = T0;

		check_case("refused: %s", b->label);
		fx_response_path(path, root, b->ca, b->alg, b->serial);
		if (i == 0) {
			/* Written just now, a bad file may be one being rewritten:
			 * not broken until it has stayed so for an interval (1 s). */
			struct stat sb;
			CHECK_EQ(stat(path, &sb), 0);
			CHECK_EQ(tree_reader_lookup(t, &id, sb.st_mtime, &r), TREE_CHANGING);
			CHECK(r == NULL);
			CHECK_EQ(tree_reader_lookup(t, &id, sb.st_mtime + 1, &r), TREE_CHANGING);
			when = sb.st_mtime + 3;
			CHECK_EQ(tree_reader_lookup(t, &id, when, &r), TREE_BAD_FILE);
		} else {
			age_file(path, T0 - 10);
			CHECK_EQ(tree_reader_lookup(t, &id, T0, &r), TREE_BAD_FILE);
		}
		CHECK(r == NULL);
		CHECK_EQ(w.n, before + 1);
		CHECK_CONTAINS(w.last, path);
		CHECK_CONTAINS(w.last, "refused");
		CHECK_CONTAINS(w.last, b->why);
		/* remembered as bad: not read, nor warned about, again */
		for (int k = 0; k < 50; k++)
			CHECK_EQ(tree_reader_lookup(t, &id, when, &r), TREE_BAD_FILE);
		CHECK_EQ(w.n, before + 1);
		cached++;
	}
	check_case_clear();

	tree_reader_stats(t, &st);
	CHECK_EQ(st.generation, 1);
	CHECK_EQ(st.issuers, 2);
	CHECK_EQ(st.capacity, 64);
	CHECK_EQ(st.cached, cached);	/* found, stale and refused files */
	tree_reader_close(t);
}

/* nextUpdate is the last second a response is served. */
static void test_stale_boundary(void)
{
	static const struct {
		long serial;
		int64_t *nu;
		int64_t offset;
		enum tree_lookup want;
	} cases[] = {
		{ 0x51, NULL, -1, TREE_FOUND },
		{ 0x51, NULL, 0, TREE_STALE },
		{ 0x51, NULL, 1, TREE_STALE },
		{ 0x0A, &NU, -1, TREE_FOUND },
		{ 0x0A, &NU, 0, TREE_STALE },
	};
	int64_t stale_nu = T0 - DAY;
	struct warnings w = { 0, "" };
	struct tree_reader *t = open_at(root, 16, stale_nu - 1, &w);

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct req_certid id = cid(&A, HASH_SHA1, cases[i].serial);
		int64_t now = (cases[i].nu ? *cases[i].nu : stale_nu) + cases[i].offset;
		const struct signed_response *r;

		check_case("serial %lX at nextUpdate%+lld", cases[i].serial,
		    (long long)cases[i].offset);
		CHECK_EQ(tree_reader_lookup(t, &id, now, &r), cases[i].want);
		CHECK((r != NULL) == (cases[i].want == TREE_FOUND));
		tree_reader_release(t, r);
	}
	check_case_clear();
	CHECK_EQ(w.n, 0);
	tree_reader_close(t);
}

/* A response held by a caller outlives its eviction from a full cache. */
static void test_eviction(void)
{
	struct warnings w = { 0, "" };
	struct tree_reader *t = open_at(root, 4, T0, &w);
	struct req_certid id = cid(&A, HASH_SHA1, 0x0A);
	const struct signed_response *held, *again, *r;
	struct tree_reader_stats st;
	uint8_t copy[RESPONSE_MAX], digest[32];
	size_t len = 0;

	CHECK_EQ(tree_reader_lookup(t, &id, T0, &held), TREE_FOUND);
	if (held == NULL)
		goto out;
	len = held->len;
	memcpy(copy, held->der, len);
	memcpy(digest, held->digest, sizeof(digest));

	/* twice the capacity of other serials, each released at once */
	for (long s = 0x20; s < 0x28; s++) {
		struct req_certid other = cid(&A, HASH_SHA1, s);
		check_case("serial %lX", s);
		CHECK_EQ(tree_reader_lookup(t, &other, T0, &r), TREE_FOUND);
		if (r != NULL)
			check_is_file(r, &A, HASH_SHA1, s, TU, NU);
		tree_reader_release(t, r);
		tree_reader_stats(t, &st);
		CHECK(st.cached <= 4);
	}
	check_case_clear();
	tree_reader_stats(t, &st);
	CHECK_EQ(st.cached, 4);
	CHECK_EQ(st.capacity, 4);

	/* evicted, yet the held bytes are still there and unchanged */
	CHECK_MEM(held->der, held->len, copy, len);
	CHECK_MEM(held->digest, sizeof(held->digest), digest, sizeof(digest));
	CHECK_EQ(held->next_update, NU);

	/* a new lookup maps the file again: another entry */
	CHECK_EQ(tree_reader_lookup(t, &id, T0, &again), TREE_FOUND);
	CHECK(again != NULL && again != held);
	if (again != NULL)
		CHECK_MEM(again->der, again->len, copy, len);
	tree_reader_release(t, again);
	CHECK_MEM(held->der, held->len, copy, len);
	tree_reader_release(t, held);
out:
	CHECK_EQ(w.n, 0);
	tree_reader_close(t);
}

/* Reads a response file's bytes (malloc'd) for comparing later. */
static uint8_t *file_bytes(const struct fx_ca *c, long serial, size_t *len)
{
	char path[TREE_PATH_MAX];

	fx_response_path(path, root, c, HASH_SHA1, serial);
	return fx_read(path, len);
}

/* A publish replaces files by rename and bumps the marker: served once
 * the marker is checked (reload_interval later, or on a refresh), while
 * whoever holds the old response keeps complete old bytes. */
static void test_new_generation(void)
{
	struct warnings w = { 0, "" };
	int64_t T = T0;
	struct tree_reader *t;
	struct req_certid id = cid(&A, HASH_SHA1, 0x91);
	const struct signed_response *held, *r;
	struct tree_reader_stats st;
	uint8_t *v1, *v2, *v3;
	size_t l1, l2, l3;

	put_good(&A, HASH_SHA1, 0x91, CERT_GOOD);
	v1 = file_bytes(&A, 0x91, &l1);
	t = open_at(root, 16, T, &w);
	CHECK_EQ(tree_reader_lookup(t, &id, T, &held), TREE_FOUND);
	if (held != NULL)
		CHECK_MEM(held->der, held->len, v1, l1);

	check_case("revoked in generation %llu", (unsigned long long)generation + 1);
	put_good(&A, HASH_SHA1, 0x91, CERT_REVOKED);
	fx_marker(root, ++generation, 2);
	v2 = file_bytes(&A, 0x91, &l2);
	CHECK(l1 != l2 || memcmp(v1, v2, l1) != 0);
	/* within the interval: the cached response */
	CHECK_EQ(tree_reader_lookup(t, &id, T, &r), TREE_FOUND);
	CHECK(r == held);
	tree_reader_release(t, r);
	tree_reader_stats(t, &st);
	CHECK_EQ(st.generation, generation - 1);
	/* past it: the new file */
	T += 2;
	CHECK_EQ(tree_reader_lookup(t, &id, T, &r), TREE_FOUND);
	if (r != NULL) {
		CHECK(r != held);
		CHECK_MEM(r->der, r->len, v2, l2);
	}
	tree_reader_release(t, r);
	tree_reader_stats(t, &st);
	CHECK_EQ(st.generation, generation);
	/* the old mapping is still the complete old file */
	if (held != NULL)
		CHECK_MEM(held->der, held->len, v1, l1);
	tree_reader_release(t, held);

	/* a refresh that finds a new generation re-checks every cached file at
	 * once, even one checked this very second */
	check_case("good again in generation %llu", (unsigned long long)generation + 1);
	put_good(&A, HASH_SHA1, 0x91, CERT_GOOD);
	fx_marker(root, ++generation, 2);
	v3 = file_bytes(&A, 0x91, &l3);
	CHECK_EQ(tree_reader_lookup(t, &id, T, &r), TREE_FOUND);
	if (r != NULL)
		CHECK_MEM(r->der, r->len, v2, l2);
	tree_reader_release(t, r);
	tree_reader_refresh(t, T);
	tree_reader_stats(t, &st);
	CHECK_EQ(st.generation, generation);
	CHECK_EQ(tree_reader_lookup(t, &id, T, &r), TREE_FOUND);
	if (r != NULL)
		CHECK_MEM(r->der, r->len, v3, l3);
	tree_reader_release(t, r);
	check_case_clear();

	CHECK_EQ(w.n, 0);
	tree_reader_close(t);
	free(v1);
	free(v2);
	free(v3);
}

/* Overwrites path in place (same inode, as cp or an editor does). */
static void write_in_place(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "r+b");

	if (f == NULL || ftruncate(fileno(f), 0) != 0 ||
	    (n > 0 && fwrite(p, 1, n, f) != n) || fclose(f) != 0) {
		perror(path);
		exit(2);
	}
}

/* A good file rewritten in place and caught half done is a file changing,
 * answered "try later" and looked at again at every lookup, not a broken
 * one; it becomes one if it stays refused for longer than the interval.
 * Junk put in place by rename is a new file, and broken at once. */
static void test_rewrite_in_place(void)
{
	struct warnings w = { 0, "" };
	struct tree_reader *t = open_at(root, 16, T0, &w);
	struct req_certid id = cid(&A, HASH_SHA1, 0x93);
	const struct signed_response *r = NULL;
	char path[TREE_PATH_MAX];
	size_t good_len, revoked_len;
	uint8_t *good = fx_response1(&A, HASH_SHA1, 0x93, CERT_GOOD, TU, NU, &good_len);
	uint8_t *revoked = fx_response1(&A, HASH_SHA1, 0x93, CERT_REVOKED, TU, NU, &revoked_len);

	fx_put(root, &A, HASH_SHA1, 0x93, good, good_len);
	fx_response_path(path, root, &A, HASH_SHA1, 0x93);
	CHECK_EQ(tree_reader_lookup(t, &id, T0, &r), TREE_FOUND);
	tree_reader_release(t, r);

	write_in_place(path, good, good_len / 2);		/* caught half written */
	CHECK_EQ(tree_reader_lookup(t, &id, T0 + 2, &r), TREE_CHANGING);
	CHECK(r == NULL);
	CHECK_EQ(tree_reader_lookup(t, &id, T0 + 2, &r), TREE_CHANGING);
	/* Finished in the same second: served at once, no interval to wait. */
	write_in_place(path, revoked, revoked_len);
	CHECK_EQ(tree_reader_lookup(t, &id, T0 + 2, &r), TREE_FOUND);
	if (r != NULL)
		CHECK_MEM(r->der, r->len, revoked, revoked_len);
	tree_reader_release(t, r);

	/* Left broken in place: changing for an interval, then broken. */
	write_in_place(path, "junk", 4);
	CHECK_EQ(tree_reader_lookup(t, &id, T0 + 4, &r), TREE_CHANGING);
	CHECK_EQ(tree_reader_lookup(t, &id, T0 + 5, &r), TREE_CHANGING);
	CHECK_EQ(tree_reader_lookup(t, &id, T0 + 6, &r), TREE_BAD_FILE);
	CHECK_EQ(tree_reader_lookup(t, &id, T0 + 8, &r), TREE_BAD_FILE);

	/* Junk put in place by rename after a good file is broken at once. */
	fx_put(root, &A, HASH_SHA1, 0x93, good, good_len);
	CHECK_EQ(tree_reader_lookup(t, &id, T0 + 10, &r), TREE_FOUND);
	tree_reader_release(t, r);
	fx_put(root, &A, HASH_SHA1, 0x93, "junk", 4);
	CHECK_EQ(tree_reader_lookup(t, &id, T0 + 12, &r), TREE_BAD_FILE);

	/* Bytes found changed under their mapping: read again at once. */
	fx_put(root, &A, HASH_SHA1, 0x93, good, good_len);
	CHECK_EQ(tree_reader_lookup(t, &id, T0 + 14, &r), TREE_FOUND);
	write_in_place(path, revoked, revoked_len);
	tree_reader_distrust(t, r);
	tree_reader_release(t, r);
	CHECK_EQ(tree_reader_lookup(t, &id, T0 + 14, &r), TREE_FOUND);
	if (r != NULL)
		CHECK_MEM(r->der, r->len, revoked, revoked_len);
	tree_reader_release(t, r);

	free(good);
	free(revoked);
	tree_reader_close(t);
}

/* A file replaced without a new generation (an rsync, a repair) is found
 * by its own re-check: good, then bad (warned once, however often it is
 * asked for), bad differently (warned again), good, then gone. */
static void test_file_changes(void)
{
	enum { GOOD, JUNK1, JUNK2, GONE };
	static const struct {
		int content;
		int64_t at;		/* seconds after T0 */
		enum tree_lookup want;
		int warnings;		/* in total, after this step */
	} steps[] = {
		{ GOOD, 0, TREE_FOUND, 0 },
		{ JUNK1, 0, TREE_FOUND, 0 },	/* not re-checked within the interval */
		{ JUNK1, 2, TREE_BAD_FILE, 1 },
		{ JUNK1, 2, TREE_BAD_FILE, 1 },
		{ JUNK1, 4, TREE_BAD_FILE, 1 },	/* re-checked: unchanged, not parsed */
		{ JUNK1, 6, TREE_BAD_FILE, 1 },
		{ JUNK2, 6, TREE_BAD_FILE, 1 },
		{ JUNK2, 8, TREE_BAD_FILE, 2 },	/* changed: parsed and refused again */
		{ GOOD, 8, TREE_BAD_FILE, 2 },
		{ GOOD, 10, TREE_FOUND, 2 },
		{ GONE, 10, TREE_FOUND, 2 },
		{ GONE, 12, TREE_NO_SERIAL, 2 },
	};
	struct warnings w = { 0, "" };
	struct tree_reader *t = open_at(root, 16, T0, &w);
	struct req_certid id = cid(&A, HASH_SHA1, 0x92);
	char path[TREE_PATH_MAX];
	const struct signed_response *first = NULL;
	uint8_t *first_bytes = NULL;
	size_t first_len = 0;
	int content = -1;

	fx_response_path(path, root, &A, HASH_SHA1, 0x92);
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		const struct signed_response *r;
		int64_t now = T0 + steps[i].at;

		check_case("step %zu", i);
		if (steps[i].content != content) {
			content = steps[i].content;
			if (content == GOOD)
				put_good(&A, HASH_SHA1, 0x92, i == 0 ? CERT_GOOD : CERT_REVOKED);
			else if (content == JUNK1)
				fx_put(root, &A, HASH_SHA1, 0x92, "junk", 4);
			else if (content == JUNK2)
				fx_put(root, &A, HASH_SHA1, 0x92, "other junk", 10);
			else
				CHECK_EQ(unlink(path), 0);
			/* Broken for good, not being written: older than the
			 * steps' clock minus the interval, however long the real
			 * clock took to get here (a loaded machine took over a
			 * second, and the reader then answered TREE_CHANGING). */
			if (content == JUNK1 || content == JUNK2)
				age_file(path, T0 - 10);
		}
		/* many lookups, one answer, and warnings only as counted */
		for (int k = 0; k < 20; k++) {
			CHECK_EQ(tree_reader_lookup(t, &id, now, &r), steps[i].want);
			CHECK((r != NULL) == (steps[i].want == TREE_FOUND));
			if (r != NULL && content == GOOD && k == 0)
				check_is_file(r, &A, HASH_SHA1, 0x92, TU, NU);
			if (i == 0 && k == 0) {
				first = r;	/* held to the end */
				first_bytes = fx_read(path, &first_len);
			} else {
				tree_reader_release(t, r);
			}
		}
		CHECK_EQ(w.n, steps[i].warnings);
		if (steps[i].want == TREE_BAD_FILE)
			CHECK_CONTAINS(w.last, "not a DER OCSP response");
	}
	check_case_clear();
	/* held through junk, repair and removal: the first file's bytes */
	CHECK(first != NULL);
	if (first != NULL)
		CHECK_MEM(first->der, first->len, first_bytes, first_len);
	tree_reader_release(t, first);
	free(first_bytes);
	tree_reader_close(t);
}

/* An issuer directory appears: ignored until it has its issuer.meta, then
 * found by the refresh that sees the new marker. A directory whose
 * issuer.meta describes another key is skipped with a warning. */
static void test_new_issuer(void)
{
	struct warnings w = { 0, "" };
	struct tree_reader *t = open_at(root, 16, T0, &w);
	struct req_certid id = cid(&N, HASH_SHA1, 0x0A), id256 = cid(&N, HASH_SHA256, 0x0A);
	const struct signed_response *r;
	struct tree_reader_stats st;
	char bogus[TREE_PATH_MAX], meta[TREE_PATH_MAX];
	size_t issuers;

	tree_reader_stats(t, &st);
	issuers = st.issuers;
	CHECK_EQ(tree_reader_lookup(t, &id, T0, &r), TREE_NO_ISSUER);

	check_case("files but no issuer.meta yet");
	put_good(&N, HASH_SHA1, 0x0A, CERT_GOOD);
	put_good(&N, HASH_SHA256, 0x0A, CERT_GOOD);
	fx_marker(root, ++generation, issuers + 1);
	tree_reader_refresh(t, T0);
	tree_reader_stats(t, &st);
	CHECK_EQ(st.issuers, issuers);
	CHECK_EQ(st.generation, generation);
	CHECK_EQ(tree_reader_lookup(t, &id, T0, &r), TREE_NO_ISSUER);
	CHECK_EQ(w.n, 0);

	check_case("issuer.meta written, marker not checked yet");
	fx_issuer_meta(root, &N, SHA1_SHA256, generation + 1);
	fx_marker(root, ++generation, issuers + 1);
	CHECK_EQ(tree_reader_lookup(t, &id, T0, &r), TREE_NO_ISSUER);

	check_case("refreshed");
	tree_reader_refresh(t, T0);
	tree_reader_stats(t, &st);
	CHECK_EQ(st.issuers, issuers + 1);
	CHECK_EQ(st.generation, generation);
	CHECK_EQ(tree_reader_lookup(t, &id, T0, &r), TREE_FOUND);
	check_is_file(r, &N, HASH_SHA1, 0x0A, TU, NU);
	tree_reader_release(t, r);
	CHECK_EQ(tree_reader_lookup(t, &id256, T0, &r), TREE_FOUND);
	check_is_file(r, &N, HASH_SHA256, 0x0A, TU, NU);
	tree_reader_release(t, r);
	CHECK_EQ(w.n, 0);

	check_case("a directory whose issuer.meta is A's");
	if (tree_path(bogus, sizeof(bogus), root, "0123456789abcdef0123456789abcdef01234567",
	    -1, NULL) < 0)
		exit(2);
	if (tree_path(meta, sizeof(meta), root, A.ca->dir, -1, TREE_ISSUER_META) < 0)
		exit(2);
	{
		size_t len;
		uint8_t *text = fx_read(meta, &len);
		fx_write(bogus, TREE_ISSUER_META, text, len);
		free(text);
	}
	fx_marker(root, ++generation, issuers + 2);
	tree_reader_refresh(t, T0);
	tree_reader_stats(t, &st);
	CHECK_EQ(st.issuers, issuers + 1);
	CHECK_EQ(w.n, 1);
	CHECK_CONTAINS(w.last, "describes issuer key");
	CHECK_CONTAINS(w.last, A.ca->dir);
	/* A itself is still found in its own directory */
	struct req_certid ida = cid(&A, HASH_SHA1, 0x0A);
	CHECK_EQ(tree_reader_lookup(t, &ida, T0, &r), TREE_FOUND);
	check_is_file(r, &A, HASH_SHA1, 0x0A, TU, NU);
	tree_reader_release(t, r);
	check_case_clear();
	tree_reader_close(t);
}

int main(void)
{
	setup();
	test_open();
	test_lookups();
	test_stale_boundary();
	test_eviction();
	test_new_generation();
	test_file_changes();
	test_rewrite_in_place();
	test_new_issuer();
	teardown();
	return check_done();
}
