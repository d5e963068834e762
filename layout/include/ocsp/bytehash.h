/* Hashes of byte strings for hash tables and spreading.
 *
 * Where the bytes come from a client (a serial, a request), a table that
 * used a fixed hash could be filled with colliding keys on purpose and
 * every look-up would walk one long chain. Those tables use SipHash-1-3
 * with a key drawn at random per table (bytehash_keyed). Where the value
 * must be the same in every process and every run (the publisher spreads
 * refreshes by serial), FNV-1a is used, unkeyed. */
#ifndef OCSP_BYTEHASH_H
#define OCSP_BYTEHASH_H

#include <stddef.h>
#include <stdint.h>

#include "ocsp/err.h"

struct bytehash_key {
	uint64_t k0, k1;
};

/* A fresh random key from OpenSSL's generator. Returns 0 or -1. */
int bytehash_key_random(struct bytehash_key *k, struct err *e);

/* SipHash-1-3 of n bytes under key k. */
uint64_t bytehash_keyed(const struct bytehash_key *k, const void *p, size_t n);

/* FNV-1a, 32 bits: stable across processes, for anything but tables of
 * untrusted keys. */
uint32_t bytehash_fnv1a32(const void *p, size_t n);

/* A fast checksum of n bytes, to tell whether bytes changed since they
 * were checked (a file rewritten under its mapping): any change within one
 * 8-byte word always shows, others do but with odds of 2^-64. Not for
 * tables, not against anyone choosing the bytes. */
uint64_t bytehash_check(const void *p, size_t n);

#endif
