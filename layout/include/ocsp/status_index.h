/* The status index: per issuer, what the publisher signed, sorted by serial.
 *
 * It is the publisher's memory between runs (what changed, what is due)
 * and lookupd's source of truth for online answers. Binary, little-endian,
 * read by mmap; documented in layout/TREE.md. */
#ifndef OCSP_STATUS_INDEX_H
#define OCSP_STATUS_INDEX_H

#include <stddef.h>
#include <stdint.h>

#include "ocsp/err.h"
#include "ocsp/serial.h"
#include "ocsp/status.h"

#define STATUS_INDEX_MAGIC "OCSPSIX1"
#define STATUS_INDEX_HEADER 64
#define STATUS_INDEX_RECORD 80

/* Encodes n sorted records into a malloc'd buffer (*out, *len). */
int status_index_encode(const struct status_rec *v, size_t n,
    uint64_t generation, int64_t now, uint8_t **out, size_t *len,
    struct err *e);

struct status_index;

/* Maps and validates path. Returns 0 with *out set, 1 when the file does
 * not exist (*out NULL), -1 on any other error. */
int status_index_open(const char *path, struct status_index **out,
    struct err *e);
/* Validates an in-memory image (for tests and fuzzing); p must outlive it. */
int status_index_from_mem(const uint8_t *p, size_t n,
    struct status_index **out, struct err *e);
void status_index_close(struct status_index *si);

size_t status_index_count(const struct status_index *si);
uint64_t status_index_generation(const struct status_index *si);
void status_index_get(const struct status_index *si, size_t i,
    struct status_rec *out);
/* Returns 1 and fills out when s is present, 0 otherwise. */
int status_index_find(const struct status_index *si, const struct serial *s,
    struct status_rec *out);

#endif
