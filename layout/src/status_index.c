#include "ocsp/status_index.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* Record layout (80 bytes):
 *  0 serial length  1 status  2 reason  3 hold  4..7 zero
 *  8..39 serial, right-aligned and zero-padded, so memcmp gives numeric order
 * 40 revoked_at  48 invalidity  56 not_after  64 this_update  72 next_update
 * Header (64 bytes): magic, u32 version 1, u32 record size, u64 count,
 * i64 written at, u64 generation, zero padding. */

struct status_index {
	const uint8_t *base;
	size_t size;
	size_t count;
	uint64_t generation;
	int mapped;
};

static void put_u32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put_u64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get_u32(const uint8_t *p)
{
	uint32_t v = 0;

	for (int i = 3; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static uint64_t get_u64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static void encode_rec(uint8_t *p, const struct status_rec *r)
{
	memset(p, 0, STATUS_INDEX_RECORD);
	p[0] = r->serial.len;
	p[1] = r->status;
	p[2] = r->reason;
	p[3] = r->hold;
	memcpy(p + 8 + SERIAL_MAX - r->serial.len, r->serial.b, r->serial.len);
	put_u64(p + 40, (uint64_t)r->revoked_at);
	put_u64(p + 48, (uint64_t)r->invalidity);
	put_u64(p + 56, (uint64_t)r->not_after);
	put_u64(p + 64, (uint64_t)r->this_update);
	put_u64(p + 72, (uint64_t)r->next_update);
}

int status_index_encode(const struct status_rec *v, size_t n,
    uint64_t generation, int64_t now, uint8_t **out, size_t *len,
    struct err *e)
{
	size_t size = STATUS_INDEX_HEADER + n * STATUS_INDEX_RECORD;
	uint8_t *buf = calloc(1, size);

	if (buf == NULL)
		return err_set(e, "out of memory for the status index");
	memcpy(buf, STATUS_INDEX_MAGIC, 8);
	put_u32(buf + 8, 1);
	put_u32(buf + 12, STATUS_INDEX_RECORD);
	put_u64(buf + 16, n);
	put_u64(buf + 24, (uint64_t)now);
	put_u64(buf + 32, generation);
	for (size_t i = 0; i < n; i++)
		encode_rec(buf + STATUS_INDEX_HEADER + i * STATUS_INDEX_RECORD, &v[i]);
	*out = buf;
	*len = size;
	return 0;
}

static const uint8_t *rec_at(const struct status_index *si, size_t i)
{
	return si->base + STATUS_INDEX_HEADER + i * STATUS_INDEX_RECORD;
}

static int rec_valid(const uint8_t *p)
{
	uint8_t len = p[0];
	const uint8_t *s = p + 8;

	if (len == 0 || len > SERIAL_MAX || p[1] > CERT_UNKNOWN || p[3] > HOLD_REJECT)
		return 0;
	/* A CRLReason (7 is unassigned) or none: the builder encodes it as is. */
	if (p[2] != REASON_NONE && (p[2] > REASON_AA_COMPROMISE || p[2] == 7))
		return 0;
	if (p[4] | p[5] | p[6] | p[7])
		return 0;
	for (size_t i = 0; i < (size_t)(SERIAL_MAX - len); i++)
		if (s[i] != 0)
			return 0;
	/* canonical: no leading zero byte, except the serial 0 itself */
	return !(len > 1 && s[SERIAL_MAX - len] == 0);
}

static int validate(struct status_index *si, struct err *e)
{
	if (si->size < (size_t)STATUS_INDEX_HEADER || memcmp(si->base, STATUS_INDEX_MAGIC, 8) != 0)
		return err_set(e, "not a status index (bad magic)");
	if (get_u32(si->base + 8) != 1)
		return err_set(e, "unsupported status index version %u",
		    get_u32(si->base + 8));
	if (get_u32(si->base + 12) != STATUS_INDEX_RECORD)
		return err_set(e, "unexpected status index record size");
	si->count = (size_t)get_u64(si->base + 16);
	si->generation = get_u64(si->base + 32);
	if (si->count > (si->size - STATUS_INDEX_HEADER) / STATUS_INDEX_RECORD ||
	    STATUS_INDEX_HEADER + si->count * STATUS_INDEX_RECORD != si->size)
		return err_set(e, "status index size does not match its count");
	for (size_t i = 0; i < si->count; i++) {
		if (!rec_valid(rec_at(si, i)))
			return err_set(e, "status index record %zu is malformed", i);
		if (i > 0 && memcmp(rec_at(si, i - 1) + 8, rec_at(si, i) + 8, SERIAL_MAX) >= 0)
			return err_set(e, "status index is not sorted at record %zu", i);
	}
	return 0;
}

int status_index_from_mem(const uint8_t *p, size_t n,
    struct status_index **out, struct err *e)
{
	struct status_index *si = calloc(1, sizeof(*si));

	if (si == NULL)
		return err_set(e, "out of memory");
	si->base = p;
	si->size = n;
	if (validate(si, e) != 0) {
		free(si);
		return -1;
	}
	*out = si;
	return 0;
}

int status_index_open(const char *path, struct status_index **out,
    struct err *e)
{
	struct stat st;
	void *p;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	*out = NULL;
	if (fd < 0) {
		if (errno == ENOENT)
			return 1;
		return err_set(e, "%s: %s", path, strerror(errno));
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < STATUS_INDEX_HEADER) {
		close(fd);
		return err_set(e, "%s: not a status index", path);
	}
	p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return err_set(e, "%s: mmap: %s", path, strerror(errno));
	if (status_index_from_mem(p, (size_t)st.st_size, out, e) != 0) {
		munmap(p, (size_t)st.st_size);
		return err_prefix(e, "%s", path);
	}
	(*out)->mapped = 1;
	return 0;
}

void status_index_close(struct status_index *si)
{
	if (si == NULL)
		return;
	if (si->mapped)
		munmap((void *)si->base, si->size);
	free(si);
}

size_t status_index_count(const struct status_index *si)
{
	return si->count;
}

uint64_t status_index_generation(const struct status_index *si)
{
	return si->generation;
}

void status_index_get(const struct status_index *si, size_t i,
    struct status_rec *r)
{
	const uint8_t *p = rec_at(si, i);

	memset(r, 0, sizeof(*r));
	r->serial.len = p[0];
	memcpy(r->serial.b, p + 8 + SERIAL_MAX - p[0], p[0]);
	r->status = p[1];
	r->reason = p[2];
	r->hold = p[3];
	r->revoked_at = (int64_t)get_u64(p + 40);
	r->invalidity = (int64_t)get_u64(p + 48);
	r->not_after = (int64_t)get_u64(p + 56);
	r->this_update = (int64_t)get_u64(p + 64);
	r->next_update = (int64_t)get_u64(p + 72);
}

int status_index_find(const struct status_index *si, const struct serial *s,
    struct status_rec *out)
{
	uint8_t key[SERIAL_MAX] = { 0 };
	size_t lo = 0, hi = si->count;

	memcpy(key + SERIAL_MAX - s->len, s->b, s->len);
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = memcmp(rec_at(si, mid) + 8, key, SERIAL_MAX);
		if (c == 0) {
			status_index_get(si, mid, out);
			return 1;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}
