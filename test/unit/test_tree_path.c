/* The tree's one path builder: every name a tree name, every part
 * checked, nothing cut to fit. */
#include "ocsp/tree.h"

#include "check.h"

#define DIR "0123456789abcdef0123456789abcdef01234567"

static void test_paths(void)
{
	static const struct {
		const char *root, *issuer;
		int alg;
		const char *name, *want;	/* want NULL: refused */
	} cases[] = {
		{ "/t", DIR, HASH_SHA1, "0A", "/t/" DIR "/0A" },
		{ "/t", DIR, -1, "issuer.meta", "/t/" DIR "/issuer.meta" },
		{ "/t", DIR, HASH_SHA256, "0A", "/t/" DIR "/sha256/0A" },
		{ "/t", DIR, HASH_SHA512, NULL, "/t/" DIR "/sha512" },
		{ NULL, DIR, HASH_SHA384, NULL, DIR "/sha384" },
		{ NULL, DIR, HASH_SHA1, NULL, DIR },
		{ "/t", NULL, -1, "generation", "/t/generation" },
		{ "/t", NULL, -1, NULL, "/t" },
		{ "/t", NULL, HASH_SHA256, "x", NULL },		/* a hash needs an issuer */
		{ "/t", DIR, HASH_COUNT, "0A", NULL },
		{ "/t", "0123456789ABCDEF0123456789ABCDEF01234567", -1, "0A", NULL },
		{ "/t", DIR "0", -1, "0A", NULL },
		{ "/t", "..", -1, "0A", NULL },
		{ "/t", DIR, -1, "../0A", NULL },
		{ "/t", DIR, -1, "..", NULL },
		{ "/t", DIR, -1, ".", NULL },
		{ "/t", DIR, -1, "", NULL },
		{ "", DIR, -1, "0A", NULL },
	};
	char out[TREE_PATH_MAX];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		check_case("case %zu", i);
		int n = tree_path(out, sizeof(out), cases[i].root, cases[i].issuer, cases[i].alg,
		    cases[i].name);
		if (cases[i].want == NULL) {
			CHECK_EQ(n, -1);
			continue;
		}
		CHECK_EQ(n, (int)strlen(cases[i].want));
		CHECK_STR(out, cases[i].want);
	}
	check_case_clear();
}

static void test_bounds(void)
{
	char out[64], root[TREE_PATH_MAX];
	const char *want = "/t/" DIR "/0A";
	size_t n = strlen(want);
	struct serial s = { 1, { 0x0a } };

	CHECK_EQ(tree_path(out, n + 1, "/t", DIR, -1, "0A"), (int)n);
	CHECK_EQ(tree_path(out, n, "/t", DIR, -1, "0A"), -1);	/* no room for the NUL */
	CHECK_EQ(tree_path(out, 0, "/t", DIR, -1, "0A"), -1);

	/* The longest root still leaves room for the longest name. */
	memset(root, 'r', TREE_ROOT_MAX);
	root[TREE_ROOT_MAX] = '\0';
	struct serial big = { SERIAL_MAX, { 0 } };
	memset(big.b, 0xff, SERIAL_MAX);
	char path[TREE_PATH_MAX];
	CHECK(tree_response_path(path, sizeof(path), root, DIR, HASH_SHA512, &big) > 0);

	CHECK_EQ(tree_response_path(out, sizeof(out), NULL, DIR, HASH_SHA1, &s),
	    TREE_ISSUER_DIR_LEN + 3);
	CHECK_STR(out, DIR "/0A");
	struct serial empty = { 0, { 0 } };
	CHECK_EQ(tree_response_path(out, sizeof(out), "/t", DIR, HASH_SHA1, &empty), -1);
}

static void test_issuer_dir(void)
{
	uint8_t key[20];
	char dir[TREE_ISSUER_DIR_LEN + 1];

	for (int i = 0; i < 20; i++)
		key[i] = (uint8_t)(i * 0x11);
	tree_issuer_dir(dir, key);
	CHECK_STR(dir, "00112233445566778899aabbccddeeff10213243");
	CHECK(tree_issuer_dir_valid(dir));
}

int main(void)
{
	test_paths();
	test_bounds();
	test_issuer_dir();
	return check_done();
}
