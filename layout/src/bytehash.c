/* SipHash as specified by Aumasson and Bernstein ("SipHash: a fast
 * short-input PRF", 2012), in its SipHash-1-3 form: one compression round
 * per 8-byte word and three finalisation rounds, the variant hash tables
 * use against flooding (as Rust's and CPython's do); SipHash-2-4 is the
 * conservative MAC, twice the cost on the hot path for nothing a table
 * needs. 64-bit output. */
#include "ocsp/bytehash.h"

#include <openssl/rand.h>

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

struct sip {
	uint64_t v0, v1, v2, v3;
};

#define C_ROUNDS 1
#define D_ROUNDS 3

static inline __attribute__((always_inline)) void sip_round(struct sip *s)
{
	s->v0 += s->v1;
	s->v1 = ROTL(s->v1, 13);
	s->v1 ^= s->v0;
	s->v0 = ROTL(s->v0, 32);
	s->v2 += s->v3;
	s->v3 = ROTL(s->v3, 16);
	s->v3 ^= s->v2;
	s->v0 += s->v3;
	s->v3 = ROTL(s->v3, 21);
	s->v3 ^= s->v0;
	s->v2 += s->v1;
	s->v1 = ROTL(s->v1, 17);
	s->v1 ^= s->v2;
	s->v2 = ROTL(s->v2, 32);
}

static inline __attribute__((always_inline)) void sip_word(struct sip *s, uint64_t m)
{
	s->v3 ^= m;
	for (int i = 0; i < C_ROUNDS; i++)
		sip_round(s);
	s->v0 ^= m;
}

/* Little-endian, whatever the machine. */
static inline uint64_t load_le(const uint8_t *p, size_t n)
{
	uint64_t v = 0;

	for (size_t i = n; i > 0; i--)
		v = v << 8 | p[i - 1];
	return v;
}

/* A whole word; compilers turn this into one load on little-endian. */
static inline uint64_t load_le8(const uint8_t *p)
{
	return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 |
	    (uint64_t)p[3] << 24 | (uint64_t)p[4] << 32 | (uint64_t)p[5] << 40 |
	    (uint64_t)p[6] << 48 | (uint64_t)p[7] << 56;
}

uint64_t bytehash_keyed(const struct bytehash_key *k, const void *data, size_t n)
{
	const uint8_t *p = data;
	struct sip s = {
		k->k0 ^ 0x736f6d6570736575ULL, k->k1 ^ 0x646f72616e646f6dULL,
		k->k0 ^ 0x6c7967656e657261ULL, k->k1 ^ 0x7465646279746573ULL,
	};
	size_t whole = n - n % 8;

	for (size_t i = 0; i < whole; i += 8)
		sip_word(&s, load_le8(p + i));
	sip_word(&s, load_le(p + whole, n % 8) | (uint64_t)(n & 0xff) << 56);
	s.v2 ^= 0xff;
	for (int i = 0; i < D_ROUNDS; i++)
		sip_round(&s);
	return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

int bytehash_key_random(struct bytehash_key *k, struct err *e)
{
	if (RAND_bytes((unsigned char *)k, sizeof(*k)) != 1)
		return err_ssl(e, "no random bytes for a hash key");
	return 0;
}

/* Two lanes of xor, multiply by an odd constant and xor-shift: each step
 * is a bijection of the lane for a given word, so a changed word leaves
 * its lane changed to the end, and the lanes are joined bijectively. */
#define CHECK_M1 0xff51afd7ed558ccdULL
#define CHECK_M2 0xc4ceb9fe1a85ec53ULL

static inline uint64_t check_step(uint64_t h, uint64_t w, uint64_t m)
{
	h = (h ^ w) * m;
	return h ^ h >> 29;
}

uint64_t bytehash_check(const void *data, size_t n)
{
	const uint8_t *p = data;
	uint64_t a = 0x9e3779b97f4a7c15ULL ^ n, b = 0x2545f4914f6cdd1dULL;
	size_t i = 0;

	for (; i + 16 <= n; i += 16) {
		a = check_step(a, load_le8(p + i), CHECK_M1);
		b = check_step(b, load_le8(p + i + 8), CHECK_M2);
	}
	if (i + 8 <= n) {
		a = check_step(a, load_le8(p + i), CHECK_M1);
		i += 8;
	}
	b = check_step(b, load_le(p + i, n - i), CHECK_M2);
	return a ^ check_step(b, 0, CHECK_M1);
}

uint32_t bytehash_fnv1a32(const void *data, size_t n)
{
	const uint8_t *p = data;
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}
