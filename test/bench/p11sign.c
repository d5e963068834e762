/* Benchmark reference: the bare rate of signing through libp11, with no
 * layout code in between. Logs in, looks the key up once, then THREADS
 * threads sign a fixed 32-byte SHA-256 digest with EVP_PKEY_sign (ECDSA, or
 * RSA PKCS#1 v1.5 with SHA-256) for SECONDS, each with its own
 * EVP_PKEY_CTX; libp11 gives each signature a session from its pool.
 *
 * Usage: p11sign MODULE URI PIN THREADS SECONDS; prints "signatures/s N".
 * URI: the path attributes token=, serial=, object= and id= (%XX escapes);
 * the query is ignored. PIN: the PIN, or file:PATH (a benchmark tool for
 * test tokens: the programs never take a PIN on the command line). Every
 * thread's last signature is verified with the key's public half. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libp11.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#define MAX_THREADS 256
#define MAX_FIELD 256

struct want {
	char token[MAX_FIELD], serial[MAX_FIELD], object[MAX_FIELD];
	unsigned char id[MAX_FIELD];
	size_t id_len;
	int have_id;
};

struct worker {
	pthread_t thread;
	EVP_PKEY *key;
	unsigned long count;
	unsigned char sig[1024];
	size_t sig_len;
	int failed;
};

static const unsigned char digest[32] = {
	0x9f, 0x86, 0xd0, 0x81, 0x88, 0x4c, 0x7d, 0x65, 0x9a, 0x2f, 0xea, 0xa0, 0xc5, 0x5a,
	0xd0, 0x15, 0xa3, 0xbf, 0x4f, 0x1b, 0x2b, 0x0b, 0x82, 0x2c, 0xd1, 0x5d, 0x6c, 0x15,
	0xb0, 0xf0, 0x0a, 0x08,
};
static atomic_int stop;
static pthread_barrier_t start;

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decodes [s, end) into out (MAX_FIELD bytes); returns the length. */
static long decode(const char *s, const char *end, unsigned char *out)
{
	size_t n = 0;

	for (; s < end; s++) {
		if (n == MAX_FIELD - 1)
			return -1;
		if (*s == '%') {
			if (end - s < 3 || hexval(s[1]) < 0 || hexval(s[2]) < 0)
				return -1;
			out[n++] = (unsigned char)(hexval(s[1]) << 4 | hexval(s[2]));
			s += 2;
		} else {
			out[n++] = (unsigned char)*s;
		}
	}
	out[n] = '\0';
	return (long)n;
}

static int parse_uri(const char *uri, struct want *w)
{
	const char *p, *end;

	memset(w, 0, sizeof(*w));
	if (strncmp(uri, "pkcs11:", 7) != 0)
		return -1;
	p = uri + 7;
	end = p + strcspn(p, "?");
	while (p < end) {
		const char *next = memchr(p, ';', (size_t)(end - p)), *eq;
		unsigned char *field = NULL;
		long n;
		if (next == NULL)
			next = end;
		eq = memchr(p, '=', (size_t)(next - p));
		if (eq == NULL)
			return -1;
		if (eq - p == 5 && strncmp(p, "token", 5) == 0)
			field = (unsigned char *)w->token;
		else if (eq - p == 6 && strncmp(p, "serial", 6) == 0)
			field = (unsigned char *)w->serial;
		else if (eq - p == 6 && strncmp(p, "object", 6) == 0)
			field = (unsigned char *)w->object;
		else if (eq - p == 2 && strncmp(p, "id", 2) == 0)
			field = w->id;
		else if (!(eq - p == 4 && strncmp(p, "type", 4) == 0))
			return -1;
		if (field != NULL) {
			n = decode(eq + 1, next, field);
			if (n <= 0)
				return -1;
			if (field == w->id) {
				w->id_len = (size_t)n;
				w->have_id = 1;
			}
		}
		p = next + 1;
	}
	return 0;
}

static int read_pin(const char *arg, char *pin, size_t size)
{
	FILE *f;
	size_t n;

	if (strncmp(arg, "file:", 5) != 0) {
		if (strlen(arg) >= size)
			return -1;
		memcpy(pin, arg, strlen(arg) + 1);
		return 0;
	}
	f = fopen(arg + 5, "r");
	if (f == NULL)
		return -1;
	n = fread(pin, 1, size - 1, f);
	fclose(f);
	while (n > 0 && (pin[n - 1] == '\n' || pin[n - 1] == '\r'))
		n--;
	pin[n] = '\0';
	return n > 0 ? 0 : -1;
}

static EVP_PKEY_CTX *sign_ctx(EVP_PKEY *key, int verify)
{
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(key, NULL);
	int rsa = EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA;

	if (c == NULL || (verify ? EVP_PKEY_verify_init(c) : EVP_PKEY_sign_init(c)) != 1 ||
	    (rsa && EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_PADDING) != 1) ||
	    EVP_PKEY_CTX_set_signature_md(c, EVP_sha256()) != 1) {
		EVP_PKEY_CTX_free(c);
		return NULL;
	}
	return c;
}

static void *worker_run(void *arg)
{
	struct worker *w = arg;
	EVP_PKEY_CTX *c = sign_ctx(w->key, 0);

	pthread_barrier_wait(&start);
	if (c == NULL) {
		w->failed = 1;
		return NULL;
	}
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		w->sig_len = sizeof(w->sig);
		if (EVP_PKEY_sign(c, w->sig, &w->sig_len, digest, sizeof(digest)) != 1) {
			w->failed = 1;
			break;
		}
		w->count++;
	}
	EVP_PKEY_CTX_free(c);
	return NULL;
}

/* The one token matching w, logged in. */
static PKCS11_SLOT *find_token(PKCS11_SLOT *slots, unsigned int n, const struct want *w)
{
	PKCS11_SLOT *found = NULL;

	for (unsigned int i = 0; i < n; i++) {
		PKCS11_TOKEN *t = slots[i].token;
		if (t == NULL || !t->initialized ||
		    (w->token[0] && strcmp(t->label, w->token) != 0) ||
		    (w->serial[0] && strcmp(t->serialnr, w->serial) != 0))
			continue;
		if (found != NULL) {
			fprintf(stderr, "p11sign: several tokens match; add serial=\n");
			return NULL;
		}
		found = &slots[i];
	}
	if (found == NULL)
		fprintf(stderr, "p11sign: no token matches\n");
	return found;
}

static PKCS11_KEY *find_key(PKCS11_TOKEN *t, const struct want *w)
{
	PKCS11_KEY *keys, *found = NULL;
	unsigned int n;

	if (PKCS11_enumerate_keys(t, &keys, &n) != 0)
		return NULL;
	for (unsigned int i = 0; i < n; i++) {
		if (w->object[0] && (keys[i].label == NULL || strcmp(keys[i].label, w->object)))
			continue;
		if (w->have_id && (keys[i].id_len != w->id_len ||
		    memcmp(keys[i].id, w->id, w->id_len) != 0))
			continue;
		if (found != NULL) {
			fprintf(stderr, "p11sign: several keys match\n");
			return NULL;
		}
		found = &keys[i];
	}
	if (found == NULL)
		fprintf(stderr, "p11sign: no private key matches\n");
	return found;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	static struct worker w[MAX_THREADS];
	struct want want;
	char pin[512];
	PKCS11_CTX *ctx;
	PKCS11_SLOT *slots = NULL, *slot;
	PKCS11_KEY *key;
	unsigned int nslots = 0;
	EVP_PKEY *pkey, *pub = NULL;
	unsigned char *der = NULL;
	const unsigned char *p;
	long threads, seconds;
	unsigned long total = 0;
	double t0, t1;
	int der_len, failed = 0, bad = 0;

	if (argc != 6) {
		fprintf(stderr, "usage: p11sign MODULE URI PIN THREADS SECONDS\n");
		return 2;
	}
	threads = strtol(argv[4], NULL, 10);
	seconds = strtol(argv[5], NULL, 10);
	if (threads < 1 || threads > MAX_THREADS || seconds < 1 || seconds > 3600 ||
	    parse_uri(argv[2], &want) != 0 || read_pin(argv[3], pin, sizeof(pin)) != 0) {
		fprintf(stderr, "p11sign: bad arguments\n");
		return 2;
	}
	ctx = PKCS11_CTX_new();
	if (ctx == NULL || PKCS11_CTX_load(ctx, argv[1]) != 0) {
		fprintf(stderr, "p11sign: cannot load %s\n", argv[1]);
		return 1;
	}
	if (PKCS11_enumerate_slots(ctx, &slots, &nslots) != 0 ||
	    (slot = find_token(slots, nslots, &want)) == NULL)
		return 1;
	if (PKCS11_login(slot, 0, pin) != 0) {
		fprintf(stderr, "p11sign: login failed\n");
		return 1;
	}
	OPENSSL_cleanse(pin, sizeof(pin));
	key = find_key(slot->token, &want);
	if (key == NULL || (pkey = PKCS11_get_private_key(key)) == NULL)
		return 1;
	/* a software copy of the public key, to check the signatures */
	der_len = i2d_PUBKEY(pkey, &der);
	p = der;
	if (der_len <= 0 || (pub = d2i_PUBKEY(NULL, &p, der_len)) == NULL) {
		fprintf(stderr, "p11sign: no public key\n");
		return 1;
	}
	OPENSSL_free(der);

	pthread_barrier_init(&start, NULL, (unsigned)threads + 1);
	for (long i = 0; i < threads; i++) {
		w[i].key = pkey;
		if (pthread_create(&w[i].thread, NULL, worker_run, &w[i]) != 0) {
			fprintf(stderr, "p11sign: cannot start thread %ld\n", i);
			return 1;
		}
	}
	pthread_barrier_wait(&start);
	t0 = now();
	nanosleep(&(struct timespec){ .tv_sec = seconds }, NULL);
	atomic_store(&stop, 1);
	for (long i = 0; i < threads; i++)
		pthread_join(w[i].thread, NULL);
	t1 = now();

	for (long i = 0; i < threads; i++) {
		EVP_PKEY_CTX *v = sign_ctx(pub, 1);
		total += w[i].count;
		failed |= w[i].failed;
		if (w[i].count > 0 && (v == NULL ||
		    EVP_PKEY_verify(v, w[i].sig, w[i].sig_len, digest, sizeof(digest)) != 1))
			bad = 1;
		EVP_PKEY_CTX_free(v);
	}
	EVP_PKEY_free(pub);
	EVP_PKEY_free(pkey);
	PKCS11_release_all_slots(ctx, slots, nslots);
	PKCS11_CTX_unload(ctx);
	PKCS11_CTX_free(ctx);
	if (failed || bad) {
		fprintf(stderr, "p11sign: %s\n", failed ? "a signature failed" :
		    "a signature does not verify");
		return 1;
	}
	printf("signatures/s %.0f\n", (double)total / (t1 - t0));
	return 0;
}
