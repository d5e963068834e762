/* issuer.meta and the root marker: format -> parse round trips, what a
 * reader refuses, and what it must ignore (layout/TREE.md: "Unknown keys
 * must be ignored"; the format only grows). */
#include "ocsp/tree.h"

#include "check.h"

static void fill_meta(struct issuer_meta *m)
{
	memset(m, 0, sizeof(*m));
	m->format = TREE_FORMAT;
	snprintf(m->name, sizeof(m->name), "demo-ca");
	snprintf(m->subject, sizeof(m->subject), "CN=Demo CA,O=Example\\, Inc.,C=DE");
	for (int alg = 0; alg < HASH_COUNT; alg++) {
		for (size_t i = 0; i < hash_len(alg); i++) {
			m->hash[alg].name[i] = (uint8_t)(alg * 16 + i);
			m->hash[alg].key[i] = (uint8_t)(0xff - alg * 16 - i);
		}
	}
	m->have_hash = (1u << HASH_COUNT) - 1;
	m->presigned = 1u << HASH_SHA1 | 1u << HASH_SHA256;
	snprintf(m->signer_fpr, sizeof(m->signer_fpr), "%064x", 0xabc);
	snprintf(m->signer_subject, sizeof(m->signer_subject), "CN=Demo OCSP");
	snprintf(m->signer_name, sizeof(m->signer_name), "hsm-2026");
	m->signer_expires = 1798761600;
	m->signer_since = 1795000000;
	m->previous_signer_until = 1794999000;
	m->previous_signer_expires = 1796000000;
	m->validity = 345600;
	m->refresh = 172800;
	m->backdate = 3600;
	m->generation = 12;
	m->published = 1795504092;
	m->count = 1042;
}

static void check_meta_equal(const struct issuer_meta *a, const struct issuer_meta *b)
{
	CHECK_EQ(a->format, b->format);
	CHECK_STR(a->name, b->name);
	CHECK_STR(a->subject, b->subject);
	CHECK_EQ(a->have_hash, b->have_hash);
	for (int alg = 0; alg < HASH_COUNT; alg++) {
		if (!(b->have_hash & (1u << alg)))
			continue;
		CHECK_MEM(a->hash[alg].name, hash_len(alg), b->hash[alg].name, hash_len(alg));
		CHECK_MEM(a->hash[alg].key, hash_len(alg), b->hash[alg].key, hash_len(alg));
	}
	CHECK_EQ(a->presigned, b->presigned);
	CHECK_STR(a->signer_fpr, b->signer_fpr);
	CHECK_STR(a->signer_subject, b->signer_subject);
	CHECK_STR(a->signer_name, b->signer_name);
	CHECK_EQ(a->signer_expires, b->signer_expires);
	CHECK_EQ(a->signer_since, b->signer_since);
	CHECK_EQ(a->previous_signer_until, b->previous_signer_until);
	CHECK_EQ(a->previous_signer_expires, b->previous_signer_expires);
	CHECK_EQ(a->validity, b->validity);
	CHECK_EQ(a->refresh, b->refresh);
	CHECK_EQ(a->backdate, b->backdate);
	CHECK_EQ(a->generation, b->generation);
	CHECK_EQ(a->published, b->published);
	CHECK_EQ(a->count, b->count);
}

#define SHA1_LINE "sha1 = 000102030405060708090a0b0c0d0e0f10111213 " \
	"fffefdfcfbfaf9f8f7f6f5f4f3f2f1f0efeeedec\n"

static void test_meta_round_trip(void)
{
	struct issuer_meta m, back;
	struct err e = { "" };
	char buf[TREE_META_MAX];
	size_t len = 0;

	fill_meta(&m);
	CHECK_EQ(issuer_meta_format(&m, buf, sizeof(buf), &len, &e), 0);
	CHECK_EQ(strlen(buf), len);
	CHECK_CONTAINS(buf, "[issuer]\nformat = 1\nname = demo-ca\n");
	CHECK_CONTAINS(buf, "\nsha1 = 000102030405060708090a0b0c0d0e0f10111213 "
	    "fffefdfcfbfaf9f8f7f6f5f4f3f2f1f0efeeedec\n");
	CHECK_CONTAINS(buf, "\n[responses]\nhashes = sha1 sha256\n");
	CHECK_CONTAINS(buf, "\npublished = 2026-11-24T07:08:12Z\n");
	CHECK_CONTAINS(buf, "\ncount = 1042\n");
	CHECK_CONTAINS(buf, "\nsigner_name = hsm-2026\nsigner_expires = 2027-01-01T00:00:00Z\n");
	CHECK_CONTAINS(buf, "\nprevious_signer_until = ");
	CHECK_EQ(issuer_meta_parse(buf, &back, &e), 0);
	CHECK_STR(e.msg, "");
	check_meta_equal(&back, &m);

	/* only the hashes present are written, and only sha1 is required */
	m.have_hash = 1u << HASH_SHA1;
	m.presigned = 1u << HASH_SHA1;
	CHECK_EQ(issuer_meta_format(&m, buf, sizeof(buf), &len, &e), 0);
	CHECK(strstr(buf, "sha256 =") == NULL);
	CHECK_EQ(issuer_meta_parse(buf, &back, &e), 0);
	check_meta_equal(&back, &m);

	/* through a file */
	const char *path = check_tmp_file("issuer.meta", buf, len);
	memset(&back, 0, sizeof(back));
	CHECK_EQ(issuer_meta_read(path, &back, &e), 0);
	check_meta_equal(&back, &m);

	/* output that does not fit */
	CHECK_EQ(issuer_meta_format(&m, buf, len, &len, &e), -1);
	CHECK_CONTAINS(e.msg, "does not fit");

	/* a shard's part: written only when sharded, read back */
	CHECK(strstr(buf, "shard =") == NULL);
	m.shard = (struct shard){ 2, 3 };
	CHECK_EQ(issuer_meta_format(&m, buf, sizeof(buf), &len, &e), 0);
	CHECK_CONTAINS(buf, "\nshard = 2/3\n");
	CHECK_EQ(issuer_meta_parse(buf, &back, &e), 0);
	CHECK(back.shard.k == 2 && back.shard.n == 3);
	CHECK_EQ(issuer_meta_parse("[issuer]\nformat = 1\n" SHA1_LINE "[responses]\n"
	    "shard = 4/3\n", &back, &e), -1);
}

static const struct {
	const char *what;
	const char *text;
	const char *err;	/* NULL: accepted */
} meta_cases[] = {
	{ "minimal", "[issuer]\nformat = 1\n" SHA1_LINE, NULL },
	{ "upper-case hex", "[issuer]\nformat = 1\nsha1 = 000102030405060708090A0B0C0D0E0F10111213 "
	  "FFFEFDFCFBFAF9F8F7F6F5F4F3F2F1F0EFEEEDEC\n", NULL },
	{ "unknown key in [responses]", "[issuer]\nformat = 1\n" SHA1_LINE
	  "[responses]\nvalidity = 60\nshiny_new_key = yes\n", NULL },
	{ "unknown key in [issuer]", "[issuer]\nformat = 1\n" SHA1_LINE
	  "sha3-256 = abc def\nlabel = x\n", NULL },
	{ "unknown section", "[issuer]\nformat = 1\n" SHA1_LINE "[future]\nthing = 1\n", NULL },
	{ "comments", "# a comment\n; another\n[issuer]\nformat = 1\n" SHA1_LINE, NULL },
	{ "missing sha1", "[issuer]\nformat = 1\n[responses]\nvalidity = 60\n", "sha1" },
	{ "missing format", "[issuer]\n" SHA1_LINE, "format" },
	{ "format 2", "[issuer]\nformat = 2\n" SHA1_LINE, "line 2" },
	{ "format 0", "[issuer]\nformat = 0\n" SHA1_LINE, "line 2" },
	{ "sha1 too short", "[issuer]\nformat = 1\nsha1 = 0001 fffe\n", "line 3" },
	{ "sha1 without the key hash", "[issuer]\nformat = 1\n"
	  "sha1 = 000102030405060708090a0b0c0d0e0f10111213\n", "line 3" },
	{ "sha1 separated by two spaces", "[issuer]\nformat = 1\n"
	  "sha1 = 000102030405060708090a0b0c0d0e0f10111213  "
	  "fffefdfcfbfaf9f8f7f6f5f4f3f2f1f0efeeedec\n", "line 3" },
	{ "sha1 not hex", "[issuer]\nformat = 1\n"
	  "sha1 = 000102030405060708090a0b0c0d0e0f1011121g "
	  "fffefdfcfbfaf9f8f7f6f5f4f3f2f1f0efeeedec\n", "line 3" },
	{ "sha256 with sha1 lengths", "[issuer]\nformat = 1\n" SHA1_LINE
	  "sha256 = 000102030405060708090a0b0c0d0e0f10111213 "
	  "fffefdfcfbfaf9f8f7f6f5f4f3f2f1f0efeeedec\n", "line 4" },
	{ "sha1 outside [issuer]", "[issuer]\nformat = 1\n[responses]\n" SHA1_LINE, "sha1" },
	{ "bad number", "[issuer]\nformat = 1\n" SHA1_LINE "[responses]\nvalidity = 4d\n",
	  "line 5" },
	{ "negative number", "[issuer]\nformat = 1\n" SHA1_LINE "[responses]\ncount = -1\n",
	  "line 5" },
	{ "bad time", "[issuer]\nformat = 1\n" SHA1_LINE "[responses]\n"
	  "published = 2026-11-24 07:08:12\n", "line 5" },
	{ "subject too long", NULL, "line 2" },
	{ "not INI", "\x7f" "ELF\x01\x01", "line 1" },
	{ "empty", "", "sha1" },
};

static void test_meta_cases(void)
{
	static char long_subject[600];

	snprintf(long_subject, sizeof(long_subject), "[issuer]\nsubject = CN=%0300d\n"
	    "format = 1\n" SHA1_LINE, 0);
	for (size_t i = 0; i < sizeof(meta_cases) / sizeof(meta_cases[0]); i++) {
		struct issuer_meta m;
		struct err e = { "" };
		const char *text = meta_cases[i].text ? meta_cases[i].text : long_subject;

		check_case("%s", meta_cases[i].what);
		if (meta_cases[i].err == NULL) {
			CHECK_EQ(issuer_meta_parse(text, &m, &e), 0);
			CHECK_EQ(m.format, 1);
			CHECK(m.have_hash & (1u << HASH_SHA1));
			CHECK_EQ(m.hash[HASH_SHA1].name[1], 0x01);
			CHECK_EQ(m.hash[HASH_SHA1].key[0], 0xff);
		} else {
			CHECK_EQ(issuer_meta_parse(text, &m, &e), -1);
			CHECK_CONTAINS(e.msg, meta_cases[i].err);
		}
	}
	check_case_clear();
}

static void test_meta_files(void)
{
	struct issuer_meta m;
	struct err e = { "" };
	const char *path;
	static const char binary[] = "[issuer]\nformat = 1\n\0" SHA1_LINE;
	char *big;

	path = check_tmp_file("binary.meta", binary, sizeof(binary) - 1);
	CHECK_EQ(issuer_meta_read(path, &m, &e), -1);
	CHECK_CONTAINS(e.msg, path);
	CHECK_CONTAINS(e.msg, "binary");

	big = malloc(TREE_META_MAX + 2);
	CHECK(big != NULL);
	if (big != NULL) {
		memset(big, '#', TREE_META_MAX + 1);
		path = check_tmp_file("big.meta", big, TREE_META_MAX + 1);
		CHECK_EQ(issuer_meta_read(path, &m, &e), -1);
		CHECK_CONTAINS(e.msg, "larger than");
		free(big);
	}
	path = check_tmp_path("absent.meta");
	CHECK_EQ(issuer_meta_read(path, &m, &e), -1);
	CHECK_CONTAINS(e.msg, path);
}

static void test_marker(void)
{
	struct tree_marker m = { TREE_FORMAT, 12, 1795504092, 3, { 0, 0 } }, back;
	struct err e = { "" };
	char buf[512];
	size_t len = 0;

	CHECK_EQ(tree_marker_format(&m, buf, sizeof(buf), &len, &e), 0);
	CHECK_EQ(strlen(buf), len);
	CHECK_CONTAINS(buf, "[tree]\nformat = 1\ngeneration = 12\n"
	    "published = 2026-11-24T07:08:12Z\nissuers = 3\n");
	CHECK_EQ(tree_marker_parse(buf, &back, &e), 0);
	CHECK_EQ(back.format, 1);
	CHECK_EQ(back.generation, 12);
	CHECK_EQ(back.published, 1795504092);
	CHECK_EQ(back.issuers, 3);
	CHECK_EQ(tree_marker_format(&m, buf, len, &len, &e), -1);

	/* through a tree directory */
	char tree[512], *slash;
	const char *path = check_tmp_file(TREE_MARKER, buf, strlen(buf));
	snprintf(tree, sizeof(tree), "%s", path);
	slash = strrchr(tree, '/');
	*slash = '\0';
	memset(&back, 0, sizeof(back));
	CHECK_EQ(tree_marker_read(tree, &back, &e), 0);
	CHECK_EQ(back.generation, 12);
	CHECK_EQ(tree_marker_read("/nonexistent-ocsp-tree", &back, &e), 1);

	static const struct {
		const char *what, *text;
		int ok;
	} cases[] = {
		{ "unknown keys and sections", "[tree]\nformat = 1\ngeneration = 5\nnew = x\n"
		  "[later]\nmore = 1\n", 1 },
		{ "format only", "[tree]\nformat = 1\n", 1 },
		{ "no format", "[tree]\ngeneration = 5\n", 0 },
		{ "format 2", "[tree]\nformat = 2\ngeneration = 5\n", 0 },
		{ "format outside [tree]", "format = 1\n", 0 },
		{ "bad generation", "[tree]\nformat = 1\ngeneration = x\n", 0 },
		{ "negative generation", "[tree]\nformat = 1\ngeneration = -5\n", 0 },
		{ "bad time", "[tree]\nformat = 1\npublished = yesterday\n", 0 },
		{ "syntax", "[tree\nformat = 1\n", 0 },
		{ "empty", "", 0 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		check_case("marker: %s", cases[i].what);
		CHECK_EQ(tree_marker_parse(cases[i].text, &back, &e), cases[i].ok ? 0 : -1);
	}
	check_case_clear();
	CHECK_EQ(tree_marker_parse("[tree]\nformat = 1\ngeneration = 5\nnew = x\n", &back, &e), 0);
	CHECK_EQ(back.generation, 5);
	CHECK_EQ(back.shard.n, 0);

	/* A shard's marker: the unsharded text plus one key, which readers of
	 * an unsharded tree never see and older ones skip. */
	m.shard = (struct shard){ 3, 3 };
	CHECK_EQ(tree_marker_format(&m, buf, sizeof(buf), &len, &e), 0);
	CHECK_CONTAINS(buf, "[tree]\nformat = 1\ngeneration = 12\n"
	    "published = 2026-11-24T07:08:12Z\nissuers = 3\nshard = 3/3\n");
	CHECK_EQ(tree_marker_parse(buf, &back, &e), 0);
	CHECK(back.shard.k == 3 && back.shard.n == 3);
	CHECK_EQ(back.generation, 12);
	CHECK_EQ(tree_marker_parse("[tree]\nformat = 1\nshard = 0/3\n", &back, &e), -1);
}

static void test_dir_names(void)
{
	static const struct {
		const char *name;
		int valid;
	} names[] = {
		{ "0123456789abcdef0123456789abcdef01234567", 1 },
		{ "ffffffffffffffffffffffffffffffffffffffff", 1 },
		{ "0123456789ABCDEF0123456789abcdef01234567", 0 },
		{ "0123456789abcdef0123456789abcdef0123456", 0 },
		{ "0123456789abcdef0123456789abcdef012345678", 0 },
		{ "0123456789abcdef0123456789abcdef0123456g", 0 },
		{ "../3456789abcdef0123456789abcdef012345678", 0 },
		{ "generation", 0 },
		{ "", 0 },
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		check_case("dir \"%s\"", names[i].name);
		CHECK_EQ(tree_issuer_dir_valid(names[i].name), names[i].valid);
	}
	check_case_clear();
}

int main(void)
{
	test_meta_round_trip();
	test_meta_cases();
	test_meta_files();
	test_marker();
	test_dir_names();
	return check_done();
}
