/* PKCS#11 keys through libp11, on SoftHSM2 tokens made for the test in a
 * temporary directory: keys found by label and by id, PINs from a file,
 * from pin-source and from pin-value (with its warning), the refusals and
 * their messages, one loaded module for several keys, and ECDSA and RSA
 * signatures from four threads at once, each checked against the public key
 * that pkcs11-tool reads from the token. Skipped when SoftHSM2 is absent. */
#define _XOPEN_SOURCE 700	/* nftw */
#include "signer_p11.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "check.h"

extern char **environ;

#define MODULE "/usr/lib/softhsm/libsofthsm2.so"
#define PIN "ocsp-PIN-4711"
#define WRONG_PIN "wrong-PIN-0000"
#define SO_PIN "so-PIN-5678"
#define THREADS 4
#define SIGNS_PER_THREAD 100

static char dir[256];
static char pin_path[300], wrong_pin_path[300];
static char twin_serial[2][40];
static EVP_PKEY *ec_pub, *rsa_pub;

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	return remove(path);
}

static void remove_dir(void)
{
	if (dir[0] != '\0')
		nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Runs argv with its output (and with quiet, its errors) thrown away;
 * returns its exit status, 127 when it could not start. */
static int run(char *const argv[], int quiet)
{
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int status, r;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	if (quiet)
		posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	r = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (r != 0)
		return 127;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return 127;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static void must_run(char *const argv[])
{
	if (run(argv, 0) != 0) {
		fprintf(stderr, "failed:");
		for (int i = 0; argv[i] != NULL; i++)
			fprintf(stderr, " %s", argv[i]);
		fprintf(stderr, "\n");
		exit(2);
	}
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	/* PIN files are secrets: only the owner may read them */
	if (f == NULL || fputs(text, f) < 0 || fclose(f) != 0 || chmod(path, 0600) != 0) {
		perror(path);
		exit(2);
	}
}

static EVP_PKEY *read_pub(const char *id, const char *name)
{
	char path[300];
	uint8_t der[4096];
	const uint8_t *p = der;
	EVP_PKEY *k;
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	must_run((char *[]){ "pkcs11-tool", "--module", MODULE, "--token-label", "ocsp",
	    "--read-object", "--type", "pubkey", "--id", (char *)id, "-o", path, NULL });
	f = fopen(path, "rb");
	if (f == NULL) {
		perror(path);
		exit(2);
	}
	n = fread(der, 1, sizeof(der), f);
	fclose(f);
	k = d2i_PUBKEY(NULL, &p, (long)n);
	if (k == NULL) {
		fprintf(stderr, "%s: not a public key\n", path);
		exit(2);
	}
	return k;
}

static void twin_slot_done(const char *label, const char *serial, int *n)
{
	if (strcmp(label, "twin") == 0 && serial[0] != '\0' && *n < 2)
		snprintf(twin_serial[(*n)++], sizeof(twin_serial[0]), "%s", serial);
}

/* The serial numbers of the tokens labelled "twin", from softhsm2-util
 * (which prints each slot's serial number before its label). */
static void read_twin_serials(void)
{
	char line[256], label[64] = "", serial[64] = "";
	FILE *p = popen("softhsm2-util --show-slots", "r");
	int n = 0;

	if (p == NULL)
		exit(2);
	while (fgets(line, sizeof(line), p) != NULL) {
		char *v = strchr(line, ':');
		size_t len;
		if (strncmp(line, "Slot ", 5) == 0) {
			twin_slot_done(label, serial, &n);
			label[0] = serial[0] = '\0';
		}
		if (v == NULL)
			continue;
		v += 1 + strspn(v + 1, " ");
		len = strcspn(v, "\r\n");
		while (len > 0 && v[len - 1] == ' ')
			len--;
		v[len] = '\0';
		if (strstr(line, "Label:") != NULL)
			snprintf(label, sizeof(label), "%s", v);
		else if (strstr(line, "Serial number:") != NULL)
			snprintf(serial, sizeof(serial), "%s", v);
	}
	twin_slot_done(label, serial, &n);
	pclose(p);
	if (n != 2) {
		fprintf(stderr, "expected two tokens labelled 'twin', found %d\n", n);
		exit(2);
	}
}

static void init_token(const char *label)
{
	must_run((char *[]){ "softhsm2-util", "--init-token", "--free", "--label",
	    (char *)label, "--pin", PIN, "--so-pin", SO_PIN, NULL });
}

static void keygen(const char *type, const char *label, const char *id)
{
	must_run((char *[]){ "pkcs11-tool", "--module", MODULE, "--token-label", "ocsp",
	    "--login", "--pin", PIN, "--keypairgen", "--key-type", (char *)type,
	    "--label", (char *)label, "--id", (char *)id, NULL });
}

/* Tokens "ocsp" (EC P-256 "signer1" id 01, RSA-2048 "rsa1" id 02) and two
 * empty tokens both labelled "twin". Returns 0, or -1 to skip. */
static int setup(void)
{
	char conf[300], text[400];
	const char *base = getenv("TMPDIR");

	if (run((char *[]){ "softhsm2-util", "--version", NULL }, 1) == 127) {
		printf("skipped: softhsm2-util not found (install softhsm2)\n");
		return -1;
	}
	if (run((char *[]){ "pkcs11-tool", "--help", NULL }, 1) == 127 ||
	    access(MODULE, R_OK) != 0) {
		fprintf(stderr, "SoftHSM2 is installed but pkcs11-tool (opensc) or %s is "
		    "missing\n", MODULE);
		exit(2);
	}
	snprintf(dir, sizeof(dir), "%s/ocsp-p11.XXXXXX", base && base[0] ? base : "/tmp");
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		exit(2);
	}
	atexit(remove_dir);
	snprintf(conf, sizeof(conf), "%s/softhsm2.conf", dir);
	snprintf(text, sizeof(text), "directories.tokendir = %s/tokens\n"
	    "objectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n", dir);
	write_file(conf, text);
	snprintf(text, sizeof(text), "%s/tokens", dir);
	if (mkdir(text, 0700) != 0) {
		perror(text);
		exit(2);
	}
	setenv("SOFTHSM2_CONF", conf, 1);
	init_token("ocsp");
	init_token("twin");
	init_token("twin");
	keygen("EC:prime256v1", "signer1", "01");
	keygen("rsa:2048", "rsa1", "02");
	ec_pub = read_pub("01", "ec.der");
	rsa_pub = read_pub("02", "rsa.der");
	read_twin_serials();
	snprintf(pin_path, sizeof(pin_path), "%s/pin", dir);
	write_file(pin_path, PIN "\n");
	snprintf(wrong_pin_path, sizeof(wrong_pin_path), "%s/wrong-pin", dir);
	write_file(wrong_pin_path, WRONG_PIN);
	return 0;
}

/* Signs a random SHA-256 digest with key (EVP_PKEY_sign: ECDSA, or RSA
 * PKCS#1 v1.5) and verifies it with pub. Returns 1 when it verifies. */
static int sign_verify(EVP_PKEY *key, EVP_PKEY *pub)
{
	uint8_t digest[32], sig[1024];
	size_t sig_len = sizeof(sig);
	int rsa = EVP_PKEY_get_base_id(pub) == EVP_PKEY_RSA, ok = 0;
	EVP_PKEY_CTX *s = EVP_PKEY_CTX_new(key, NULL), *v = EVP_PKEY_CTX_new(pub, NULL);

	if (s == NULL || v == NULL || RAND_bytes(digest, sizeof(digest)) != 1)
		goto out;
	if (EVP_PKEY_sign_init(s) != 1 ||
	    (rsa && EVP_PKEY_CTX_set_rsa_padding(s, RSA_PKCS1_PADDING) != 1) ||
	    EVP_PKEY_CTX_set_signature_md(s, EVP_sha256()) != 1 ||
	    EVP_PKEY_sign(s, sig, &sig_len, digest, sizeof(digest)) != 1)
		goto out;
	if (EVP_PKEY_verify_init(v) != 1 ||
	    (rsa && EVP_PKEY_CTX_set_rsa_padding(v, RSA_PKCS1_PADDING) != 1) ||
	    EVP_PKEY_CTX_set_signature_md(v, EVP_sha256()) != 1)
		goto out;
	ok = EVP_PKEY_verify(v, sig, sig_len, digest, sizeof(digest)) == 1;
out:
	EVP_PKEY_CTX_free(s);
	EVP_PKEY_CTX_free(v);
	return ok;
}

/* The way OCSP_basic_sign signs: EVP_DigestSign over the message. */
static int digest_sign_verify(EVP_PKEY *key, EVP_PKEY *pub)
{
	static const uint8_t msg[] = "tbsResponseData";
	uint8_t sig[1024];
	size_t sig_len = sizeof(sig);
	EVP_MD_CTX *s = EVP_MD_CTX_new(), *v = EVP_MD_CTX_new();
	int ok = s != NULL && v != NULL &&
	    EVP_DigestSignInit(s, NULL, EVP_sha256(), NULL, key) == 1 &&
	    EVP_DigestSign(s, sig, &sig_len, msg, sizeof(msg)) == 1 &&
	    EVP_DigestVerifyInit(v, NULL, EVP_sha256(), NULL, pub) == 1 &&
	    EVP_DigestVerify(v, sig, sig_len, msg, sizeof(msg)) == 1;

	EVP_MD_CTX_free(s);
	EVP_MD_CTX_free(v);
	return ok;
}

/* Opens uri and returns the key, or NULL with the message in e. */
static struct p11_key *open_key(const char *uri, const char *pin_file, const char *module,
    char *warning, size_t warning_size, struct err *e)
{
	struct p11_key *k = (struct p11_key *)1;

	e->msg[0] = '\0';
	if (p11_key_open(uri, pin_file, module, &k, warning, warning_size, e) != 0) {
		CHECK(k == NULL);
		CHECK(strstr(e->msg, "PIN-4711") == NULL && strstr(e->msg, "PIN-0000") == NULL);
		return NULL;
	}
	CHECK(k != NULL);
	return k;
}

static const struct {
	const char *what;
	const char *uri;
	int pin;		/* 0 none, 1 the PIN file, 2 the wrong one */
	const char *module;
	const char *desc;
	int rsa;
} opens[] = {
	{ "by label", "pkcs11:token=ocsp;object=signer1;type=private", 1, MODULE,
	  "PKCS#11 token 'ocsp', key 'signer1'", 0 },
	{ "by id", "pkcs11:token=ocsp;id=%02", 1, MODULE, "PKCS#11 token 'ocsp', key 'rsa1'", 1 },
	{ "by label and id", "pkcs11:token=ocsp;object=rsa1;id=%02", 1, MODULE,
	  "PKCS#11 token 'ocsp', key 'rsa1'", 1 },
	{ "by token attributes", "pkcs11:model=SoftHSM%20v2;manufacturer=SoftHSM%20project;"
	  "token=ocsp;id=%01", 1, MODULE, "PKCS#11 token 'ocsp', key 'signer1'", 0 },
	{ "pin-source, file:", NULL, 0, MODULE, "PKCS#11 token 'ocsp', key 'signer1'", 0 },
	{ "pin-source, path", NULL, 0, MODULE, "PKCS#11 token 'ocsp', key 'rsa1'", 1 },
	{ "module-path wins", NULL, 1, "/nonexistent/module.so",
	  "PKCS#11 token 'ocsp', key 'signer1'", 0 },
	/* p11-kit's proxy, which loads SoftHSM2 as configured for p11-kit (the
	 * same SOFTHSM2_CONF applies) */
	{ "default module", "pkcs11:token=ocsp;object=signer1", 1, NULL,
	  "PKCS#11 token 'ocsp', key 'signer1'", 0 },
};

static void test_open(void)
{
	for (size_t i = 0; i < sizeof(opens) / sizeof(opens[0]); i++) {
		char uri[600], warning[256] = "x";
		const char *u = opens[i].uri;
		struct err e;
		struct p11_key *k;
		EVP_PKEY *pkey;

		check_case("%s", opens[i].what);
		if (opens[i].module == NULL && access(P11_DEFAULT_MODULE, R_OK) != 0) {
			printf("not checked: %s (no %s)\n", opens[i].what, P11_DEFAULT_MODULE);
			continue;
		}
		if (strcmp(opens[i].what, "pin-source, file:") == 0) {
			snprintf(uri, sizeof(uri), "pkcs11:token=ocsp;object=signer1"
			    "?pin-source=file:%s", pin_path);
			u = uri;
		} else if (strcmp(opens[i].what, "pin-source, path") == 0) {
			snprintf(uri, sizeof(uri), "pkcs11:token=ocsp;object=rsa1"
			    "?pin-source=%s", pin_path);
			u = uri;
		} else if (u == NULL) {
			snprintf(uri, sizeof(uri), "pkcs11:token=ocsp;object=signer1"
			    "?module-path=%s", MODULE);
			u = uri;
		}
		k = open_key(u, opens[i].pin == 1 ? pin_path : NULL, opens[i].module,
		    warning, sizeof(warning), &e);
		CHECK_STR(e.msg, "");
		if (k == NULL)
			continue;
		CHECK_STR(warning, "");
		CHECK_STR(p11_key_desc(k), opens[i].desc);
		pkey = p11_key_pkey(k);
		CHECK(pkey != NULL);
		CHECK_EQ(EVP_PKEY_get_base_id(pkey), opens[i].rsa ? EVP_PKEY_RSA : EVP_PKEY_EC);
		CHECK_EQ(EVP_PKEY_get_bits(pkey), opens[i].rsa ? 2048 : 256);
		CHECK(sign_verify(pkey, opens[i].rsa ? rsa_pub : ec_pub));
		CHECK(digest_sign_verify(pkey, opens[i].rsa ? rsa_pub : ec_pub));
		/* a signature by the other key does not verify */
		CHECK(!sign_verify(pkey, opens[i].rsa ? ec_pub : rsa_pub) || opens[i].rsa);
		p11_key_close(k);
		CHECK_EQ(p11_modules_loaded(), 0);
	}
	check_case_clear();
}

static char twin_uri[2][200];

static const struct {
	const char *what;
	const char *uri;
	int pin;		/* 0 none, 1 the PIN file, 2 the wrong one, 3 a missing file */
	const char *module;
	const char *err;
} refusals[] = {
	{ "wrong PIN", "pkcs11:token=ocsp;object=signer1", 2, MODULE,
	  "login to token 'ocsp' failed: wrong PIN" },
	{ "no PIN", "pkcs11:token=ocsp;object=signer1", 0, MODULE,
	  "token 'ocsp' needs a PIN: give a PIN file or pin-source=file:PATH" },
	{ "unknown token", "pkcs11:token=nope;object=signer1", 1, MODULE,
	  "no token matches 'pkcs11:token=nope;object=signer1' in PKCS#11 module '"
	  MODULE "' (tokens: '" },
	{ "unknown serial", "pkcs11:token=ocsp;serial=0000;object=signer1", 1, MODULE,
	  "no token matches 'pkcs11:token=ocsp;serial=0000;object=signer1'" },
	{ "unknown key", "pkcs11:token=ocsp;object=nope", 1, MODULE,
	  "no private key matches 'pkcs11:token=ocsp;object=nope' on token 'ocsp' (keys: " },
	{ "label and id of different keys", "pkcs11:token=ocsp;object=signer1;id=%02", 1,
	  MODULE, "no private key matches" },
	{ "unknown id", "pkcs11:token=ocsp;id=%01%02", 1, MODULE,
	  "no private key matches 'pkcs11:token=ocsp;id=%01%02' on token 'ocsp'" },
	/* not "the token that has signer1": every token is a candidate */
	{ "no token attribute", "pkcs11:object=signer1", 1, MODULE,
	  "several tokens match 'pkcs11:object=signer1'" },
	{ "several tokens", "pkcs11:token=twin;object=signer1", 1, MODULE,
	  "several tokens match 'pkcs11:token=twin;object=signer1' in PKCS#11 module '"
	  MODULE "'; add serial= (serials " },
	{ "twin by serial", twin_uri[0], 1, MODULE, "no private key matches" },
	{ "the other twin", twin_uri[1], 1, MODULE, "no private key matches" },
	{ "a certificate", "pkcs11:token=ocsp;object=signer1;type=cert", 1, MODULE,
	  "names a cert object, not a private key" },
	{ "no key named", "pkcs11:token=ocsp", 1, MODULE,
	  "'pkcs11:token=ocsp' does not say which key: add object= or id=" },
	{ "module-name", "pkcs11:token=ocsp;object=signer1?module-name=softhsm2", 1, NULL,
	  "module-name is not supported; give module-path=" },
	{ "missing module", "pkcs11:token=ocsp;object=signer1", 1, "/nonexistent/p11.so",
	  "PKCS#11 module '/nonexistent/p11.so': No such file or directory" },
	{ "not a module", "pkcs11:token=ocsp;object=signer1", 1, "/etc/passwd",
	  "PKCS#11 module '/etc/passwd' could not be loaded: /etc/passwd: invalid ELF header" },
	{ "a library but not a module", "pkcs11:token=ocsp;object=signer1", 1, "libz.so.1",
	  "'libz.so.1' is not a PKCS#11 module (no C_GetFunctionList)" },
	{ "bad URI", "pkcs11:tokn=ocsp;object=signer1", 1, MODULE,
	  "pkcs11 URI: unknown path attribute 'tokn'" },
	{ "missing PIN file", "pkcs11:token=ocsp;object=signer1", 3, MODULE,
	  "/missing-pin': No such file or directory" },
	{ "missing pin-source", "pkcs11:token=ocsp;object=signer1?pin-source=/nonexistent/p",
	  0, MODULE, "pin-source: PIN file '/nonexistent/p': No such file or directory" },
	{ "PIN file a directory", "pkcs11:token=ocsp;object=signer1?pin-source=/", 0, MODULE,
	  "PIN file '/' is not a regular file" },
};

static void test_refusals(void)
{
	char missing[300];

	snprintf(missing, sizeof(missing), "%s/missing-pin", dir);
	snprintf(twin_uri[0], sizeof(twin_uri[0]), "pkcs11:token=twin;serial=%s;object=k",
	    twin_serial[0]);
	snprintf(twin_uri[1], sizeof(twin_uri[1]), "pkcs11:serial=%s;id=%%01", twin_serial[1]);
	for (size_t i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++) {
		const char *pins[] = { NULL, pin_path, wrong_pin_path, missing };
		struct err e;
		struct p11_key *k;

		check_case("%s", refusals[i].what);
		k = open_key(refusals[i].uri, pins[refusals[i].pin], refusals[i].module, NULL, 0,
		    &e);
		CHECK(k == NULL);
		CHECK_CONTAINS(e.msg, refusals[i].err);
		p11_key_close(k);
		CHECK_EQ(p11_modules_loaded(), 0);
	}
	check_case_clear();
}

/* Lengths and contents of PIN files. */
static const struct {
	const char *what;
	const char *text;
	const char *err;	/* NULL: accepted */
} pin_files[] = {
	{ "no newline", PIN, NULL },
	{ "CRLF", PIN "\r\n", NULL },
	{ "empty", "", "is empty" },
	{ "only a newline", "\n", "is empty" },
	{ "two lines", PIN "\n" PIN "\n", "holds more than one line" },
	{ "two newlines", PIN "\n\n", "holds more than one line" },
	{ "too long", NULL, "is longer than 256 bytes" },
	/* the PIN, with a trailing space, is another PIN */
	{ "trailing space", PIN " \n", "wrong PIN" },
};

static void test_pin_files(void)
{
	static char long_pin[P11_PIN_MAX + 10];
	char path[300];

	memset(long_pin, 'p', sizeof(long_pin) - 1);
	snprintf(path, sizeof(path), "%s/pin-case", dir);
	for (size_t i = 0; i < sizeof(pin_files) / sizeof(pin_files[0]); i++) {
		struct err e;
		struct p11_key *k;

		check_case("PIN file %s", pin_files[i].what);
		write_file(path, pin_files[i].text ? pin_files[i].text : long_pin);
		k = open_key("pkcs11:token=ocsp;object=signer1", path, MODULE, NULL, 0, &e);
		if (pin_files[i].err == NULL) {
			CHECK(k != NULL);
			CHECK_STR(e.msg, "");
		} else {
			CHECK(k == NULL);
			CHECK_CONTAINS(e.msg, pin_files[i].err);
		}
		p11_key_close(k);
	}
	check_case_clear();
}

/* A PIN in the URI works, with a warning, and is ignored for a PIN file. */
static void test_pin_value(void)
{
	char warning[256];
	struct err e;
	struct p11_key *k;

	check_case("pin-value");
	k = open_key("pkcs11:token=ocsp;object=signer1?pin-value=" PIN, NULL, MODULE,
	    warning, sizeof(warning), &e);
	CHECK(k != NULL);
	CHECK_CONTAINS(warning, "the key URI holds a PIN (pin-value=)");
	CHECK_CONTAINS(warning, "pin-source=file:PATH");
	CHECK(strstr(warning, PIN) == NULL);
	if (k != NULL)
		CHECK(sign_verify(p11_key_pkey(k), ec_pub));
	p11_key_close(k);

	check_case("pin-value and a PIN file");
	k = open_key("pkcs11:token=ocsp;object=signer1?pin-value=" WRONG_PIN, pin_path,
	    MODULE, warning, sizeof(warning), &e);
	CHECK(k != NULL);
	CHECK_CONTAINS(warning, "ignored since the PIN comes from a file");
	p11_key_close(k);

	check_case("pin-value, no room for the warning");
	k = open_key("pkcs11:token=ocsp;object=signer1?pin-value=" PIN, NULL, MODULE, NULL, 0,
	    &e);
	CHECK(k != NULL);
	p11_key_close(k);
	check_case_clear();
}

/* Two keys, one module; a second login to the token must bring the same PIN;
 * the module goes with the last key and comes back with the next one. */
static void test_shared_module(void)
{
	struct err e;
	struct p11_key *ec, *rsa, *bad;

	check_case("shared module");
	ec = open_key("pkcs11:token=ocsp;object=signer1", pin_path, MODULE, NULL, 0, &e);
	/* the same file by another path is the same module */
	rsa = open_key("pkcs11:token=ocsp;object=rsa1", pin_path,
	    "/usr/lib/softhsm/../softhsm/libsofthsm2.so", NULL, 0, &e);
	CHECK(ec != NULL && rsa != NULL);
	CHECK_EQ(p11_modules_loaded(), 1);
	bad = open_key("pkcs11:token=ocsp;id=%01", wrong_pin_path, MODULE, NULL, 0, &e);
	CHECK(bad == NULL);
	CHECK_CONTAINS(e.msg, "token 'ocsp' is already logged in for another key, with a "
	    "different PIN");
	CHECK_EQ(p11_modules_loaded(), 1);
	if (ec != NULL && rsa != NULL) {
		CHECK(sign_verify(p11_key_pkey(ec), ec_pub));
		CHECK(sign_verify(p11_key_pkey(rsa), rsa_pub));
	}
	/* closing one key leaves the other's sessions and login alone */
	p11_key_close(ec);
	CHECK_EQ(p11_modules_loaded(), 1);
	if (rsa != NULL)
		CHECK(sign_verify(p11_key_pkey(rsa), rsa_pub));
	p11_key_close(rsa);
	CHECK_EQ(p11_modules_loaded(), 0);
	ec = open_key("pkcs11:token=ocsp;object=signer1", pin_path, MODULE, NULL, 0, &e);
	CHECK(ec != NULL);
	if (ec != NULL)
		CHECK(sign_verify(p11_key_pkey(ec), ec_pub));
	p11_key_close(ec);
	p11_key_close(NULL);
	check_case_clear();
}

struct worker {
	pthread_t thread;
	EVP_PKEY *key, *pub;
	int ok;
};

static void *worker_run(void *arg)
{
	struct worker *w = arg;

	for (int i = 0; i < SIGNS_PER_THREAD; i++)
		w->ok += sign_verify(w->key, w->pub);
	return NULL;
}

/* libp11's session pool: four threads sign at once with each key. */
static void test_threads(void)
{
	struct worker w[2 * THREADS];
	struct p11_key *ec, *rsa;
	struct err e;

	check_case("threads");
	ec = open_key("pkcs11:token=ocsp;object=signer1", pin_path, MODULE, NULL, 0, &e);
	rsa = open_key("pkcs11:token=ocsp;object=rsa1", pin_path, MODULE, NULL, 0, &e);
	CHECK(ec != NULL && rsa != NULL);
	if (ec == NULL || rsa == NULL) {
		p11_key_close(ec);
		p11_key_close(rsa);
		return;
	}
	for (int i = 0; i < 2 * THREADS; i++) {
		w[i].key = p11_key_pkey(i < THREADS ? ec : rsa);
		w[i].pub = i < THREADS ? ec_pub : rsa_pub;
		w[i].ok = 0;
		CHECK_EQ(pthread_create(&w[i].thread, NULL, worker_run, &w[i]), 0);
	}
	for (int i = 0; i < 2 * THREADS; i++) {
		pthread_join(w[i].thread, NULL);
		CHECK_EQ(w[i].ok, SIGNS_PER_THREAD);
	}
	p11_key_close(ec);
	p11_key_close(rsa);
	check_case_clear();
}

int main(void)
{
	if (setup() != 0)
		return 0;
	test_open();
	test_refusals();
	test_pin_files();
	test_pin_value();
	test_shared_module();
	test_threads();
	EVP_PKEY_free(ec_pub);
	EVP_PKEY_free(rsa_pub);
	return check_done();
}
