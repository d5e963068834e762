/* Sharded publishing: N publisher runs (on N machines, each with its own
 * local tree) that together cover every certificate exactly once and
 * upload into one object store (layout/TREE.md, "Shards").
 *
 * A serial belongs to shard K of N (1-based) by
 *
 *   K = 1 + (first 8 octets of SHA-256(serial), big-endian) mod N
 *
 * over the serial's canonical octets (serial.h: the magnitude without
 * leading zero octets, 00 for zero; the octets the tree name spells). It
 * is a public, stable function: every machine and every version must
 * agree on it forever, so it is not bytehash's seeded hash. */
#ifndef OCSP_SHARD_H
#define OCSP_SHARD_H

#include <stddef.h>
#include <stdint.h>

#include "ocsp/err.h"
#include "ocsp/serial.h"

#define SHARD_N_MAX 1024
/* "K/N" of two u32 (the compiler cannot see the bound of 1024) */
#define SHARD_TEXT_MAX 21
/* The object a shard writes last: "shards/K-of-N" (TREE.md). */
#define SHARD_MARKER_DIR "shards"
#define SHARD_MARKER_MAX (sizeof(SHARD_MARKER_DIR) + 1 + 10 + 4 + 10)

/* n == 0: not sharded (k is then 0 too). */
struct shard {
	uint32_t k, n;
};

/* Parses "K/N" (decimal, no sign or blanks, 1 <= K <= N <= SHARD_N_MAX)
 * into *out. Returns 0, or -1 with a message quoting the text (e may be
 * NULL); *out is untouched then. */
int shard_parse(const char *text, struct shard *out, struct err *e);

/* "K/N" into out (SHARD_TEXT_MAX + 1 bytes); "" when not sharded. */
void shard_format(const struct shard *s, char out[SHARD_TEXT_MAX + 1]);

/* The shard (1..n) serial s belongs to among n >= 1. */
uint32_t shard_of(const struct serial *s, uint32_t n);

/* Non-zero when this run publishes s: always when not sharded. */
int shard_owns(const struct shard *sh, const struct serial *s);

/* Non-zero when a and b are the same partition and part. */
int shard_eq(const struct shard *a, const struct shard *b);

/* The name of sh's marker object, "shards/K-of-N", into out (size bytes,
 * SHARD_MARKER_MAX is enough). Returns 0, -1 when not sharded. */
int shard_marker_name(const struct shard *sh, char *out, size_t size);

#endif
