/* The status index: the byte layout of layout/TREE.md, encode/validate
 * round trips, lookups, and refusal of every kind of corruption. */
#include "ocsp/status_index.h"

#include <sys/stat.h>

#include "check.h"

#define F8 "FFFFFFFF"

static const char *const serials[] = {
	"00", "01", "7F", "80", "FF", "0100", "8000",
	"0102030405060708090A0B0C0D0E0F1011121314",		/* 20 octets */
	"80" F8 F8 F8 F8 F8,					/* 21 with the top bit */
	"01" F8 F8 F8 F8 F8 F8 F8 "FFFFFF",			/* 32 octets */
	F8 F8 F8 F8 F8 F8 F8 "FFFFFFFE",
	F8 F8 F8 F8 F8 F8 F8 F8,
};
#define NSERIALS (sizeof(serials) / sizeof(serials[0]))

static void make_records(struct status_rec *v)
{
	for (size_t i = 0; i < NSERIALS; i++) {
		struct status_rec *r = &v[i];
		memset(r, 0, sizeof(*r));
		CHECK_EQ(serial_from_hex(&r->serial, serials[i], strlen(serials[i]), NULL), 0);
		r->status = (uint8_t)(i % 3);
		r->reason = r->status == CERT_REVOKED && i % 11 != 7 ? (uint8_t)(i % 11) : REASON_NONE;
		r->hold = (uint8_t)(i % 4);
		r->revoked_at = r->status == CERT_REVOKED ? 1700000000 + (int64_t)i : 0;
		r->invalidity = i == 4 ? 1690000000 : 0;
		r->not_after = i == 5 ? 0 : 1900000000 + (int64_t)i;
		r->this_update = 1795504092 - (int64_t)i;
		r->next_update = 1795504092 + 345600 + (int64_t)i;
	}
	v[1].revoked_at = -1;	/* before 1970: stored as a signed value */
}

static void check_same(const struct status_rec *a, const struct status_rec *b)
{
	CHECK(serial_cmp(&a->serial, &b->serial) == 0);
	CHECK_EQ(a->status, b->status);
	CHECK_EQ(a->reason, b->reason);
	CHECK_EQ(a->hold, b->hold);
	CHECK_EQ(a->revoked_at, b->revoked_at);
	CHECK_EQ(a->invalidity, b->invalidity);
	CHECK_EQ(a->not_after, b->not_after);
	CHECK_EQ(a->this_update, b->this_update);
	CHECK_EQ(a->next_update, b->next_update);
}

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* The layout is a public contract: check it byte by byte. */
static void test_layout(void)
{
	struct status_rec r;
	uint8_t *img = NULL;
	size_t len = 0;
	struct err e;

	memset(&r, 0, sizeof(r));
	serial_from_hex(&r.serial, "0A0B", 4, NULL);
	r.status = CERT_REVOKED;
	r.reason = REASON_CERTIFICATE_HOLD;
	r.hold = HOLD_REJECT;
	r.revoked_at = 0x0102030405060708;
	r.invalidity = 2;
	r.not_after = 3;
	r.this_update = 4;
	r.next_update = -5;
	CHECK_EQ(status_index_encode(&r, 1, 0x1122334455667788ULL, 1795504092, &img, &len, &e), 0);
	CHECK_EQ(len, 64 + 80);
	if (img == NULL || len != 144) {
		free(img);
		return;
	}
	CHECK(memcmp(img, "OCSPSIX1", 8) == 0);
	static const uint8_t hdr[] = { 1, 0, 0, 0, 80, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0 };
	CHECK_MEM(img + 8, 16, hdr, 16);
	CHECK_EQ(le64(img + 24), 1795504092);
	CHECK_EQ(le64(img + 32), 0x1122334455667788ULL);
	for (size_t i = 40; i < 64; i++)
		CHECK_EQ(img[i], 0);

	const uint8_t *p = img + 64;
	CHECK_EQ(p[0], 2);
	CHECK_EQ(p[1], 1);
	CHECK_EQ(p[2], 6);
	CHECK_EQ(p[3], 3);
	CHECK_EQ(p[4] | p[5] | p[6] | p[7], 0);
	for (size_t i = 8; i < 38; i++)
		CHECK_EQ(p[i], 0);
	CHECK_EQ(p[38], 0x0a);
	CHECK_EQ(p[39], 0x0b);
	static const uint8_t rev[] = { 8, 7, 6, 5, 4, 3, 2, 1 };
	CHECK_MEM(p + 40, 8, rev, 8);
	CHECK_EQ(le64(p + 48), 2);
	CHECK_EQ(le64(p + 56), 3);
	CHECK_EQ(le64(p + 64), 4);
	CHECK_EQ((int64_t)le64(p + 72), -5);
	free(img);
}

static void test_round_trip(void)
{
	struct status_rec v[NSERIALS], got;
	struct status_index *si = NULL;
	uint8_t *img = NULL;
	size_t len = 0;
	struct err e = { "" };

	make_records(v);
	CHECK_EQ(status_index_encode(v, NSERIALS, 42, 1795504092, &img, &len, &e), 0);
	CHECK_EQ(len, STATUS_INDEX_HEADER + NSERIALS * STATUS_INDEX_RECORD);
	CHECK_EQ(status_index_from_mem(img, len, &si, &e), 0);
	if (si == NULL) {
		fprintf(stderr, "  %s\n", e.msg);
		free(img);
		return;
	}
	CHECK_EQ(status_index_count(si), NSERIALS);
	CHECK_EQ(status_index_generation(si), 42);
	for (size_t i = 0; i < NSERIALS; i++) {
		check_case("record %s", serials[i]);
		status_index_get(si, i, &got);
		check_same(&got, &v[i]);
		memset(&got, 0xee, sizeof(got));
		CHECK_EQ(status_index_find(si, &v[i].serial, &got), 1);
		check_same(&got, &v[i]);
	}
	check_case_clear();

	static const char *const absent[] = {
		"02", "7E", "81", "FE", "0101", "0200", "7FFF", "8001", "010000",
		"0102030405060708090A0B0C0D0E0F1011121315",
		"0102030405060708090A0B0C0D0E0F10111213",
		F8 F8 F8 F8 F8 F8 F8 "FFFFFFFD",
	};
	for (size_t i = 0; i < sizeof(absent) / sizeof(absent[0]); i++) {
		struct serial s;
		check_case("absent %s", absent[i]);
		serial_from_hex(&s, absent[i], strlen(absent[i]), NULL);
		CHECK_EQ(status_index_find(si, &s, &got), 0);
	}
	check_case_clear();
	status_index_close(si);

	/* without serial 0, 0 is absent; the empty index holds nothing */
	free(img);
	CHECK_EQ(status_index_encode(v + 1, NSERIALS - 1, 1, 0, &img, &len, &e), 0);
	CHECK_EQ(status_index_from_mem(img, len, &si, &e), 0);
	if (si != NULL) {
		CHECK_EQ(status_index_find(si, &v[0].serial, &got), 0);
		CHECK_EQ(status_index_find(si, &v[1].serial, &got), 1);
		status_index_close(si);
	}
	free(img);

	CHECK_EQ(status_index_encode(NULL, 0, 7, 0, &img, &len, &e), 0);
	CHECK_EQ(len, STATUS_INDEX_HEADER);
	CHECK_EQ(status_index_from_mem(img, len, &si, &e), 0);
	if (si != NULL) {
		CHECK_EQ(status_index_count(si), 0);
		CHECK_EQ(status_index_generation(si), 7);
		CHECK_EQ(status_index_find(si, &v[0].serial, &got), 0);
		status_index_close(si);
	}
	free(img);
}

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

/* Record i of an image (records of make_records: index 0 is serial 00,
 * index 3 is 80, index 5 is 0100). */
#define REC(img, i) ((img) + STATUS_INDEX_HEADER + (i) * STATUS_INDEX_RECORD)

enum corruption {
	C_MAGIC, C_MAGIC_CASE, C_VERSION0, C_VERSION2, C_RECSIZE, C_COUNT_MORE,
	C_COUNT_LESS, C_COUNT_HUGE, C_COUNT_WRAP, C_TRUNCATE, C_EXTRA, C_SHORT_HEADER,
	C_EMPTY, C_SWAP, C_DUP, C_LEN0, C_LEN33, C_LEADING_ZERO, C_PADDING, C_STATUS,
	C_STATUS_FF, C_HOLD, C_RESERVED, C_RESERVED_LAST, C_REASON7, C_REASON11,
};

static const struct {
	enum corruption c;
	const char *what, *err;
} corruptions[] = {
	{ C_MAGIC, "bad magic", "bad magic" },
	{ C_MAGIC_CASE, "lowercase magic", "bad magic" },
	{ C_VERSION0, "version 0", "version 0" },
	{ C_VERSION2, "version 2", "version 2" },
	{ C_RECSIZE, "record size 81", "record size" },
	{ C_COUNT_MORE, "count + 1", "does not match its count" },
	{ C_COUNT_LESS, "count - 1", "does not match its count" },
	{ C_COUNT_HUGE, "count 2^62", "does not match its count" },
	{ C_COUNT_WRAP, "count wrapping size_t", "does not match its count" },
	{ C_TRUNCATE, "one byte short", "does not match its count" },
	{ C_EXTRA, "one byte extra", "does not match its count" },
	{ C_SHORT_HEADER, "63-byte header", "bad magic" },
	{ C_EMPTY, "empty file", "bad magic" },
	{ C_SWAP, "records swapped", "not sorted at record 5" },
	{ C_DUP, "duplicate serial", "not sorted at record 4" },
	{ C_LEN0, "serial length 0", "record 2 is malformed" },
	{ C_LEN33, "serial length 33", "record 2 is malformed" },
	{ C_LEADING_ZERO, "non-canonical serial 0080", "record 3 is malformed" },
	{ C_PADDING, "non-zero serial padding", "record 3 is malformed" },
	{ C_STATUS, "status 3", "record 2 is malformed" },
	{ C_STATUS_FF, "status 255", "record 0 is malformed" },
	{ C_HOLD, "hold 4", "record 2 is malformed" },
	{ C_RESERVED, "reserved byte 4", "record 2 is malformed" },
	{ C_RESERVED_LAST, "reserved byte 7 of the last record", "is malformed" },
	{ C_REASON7, "unassigned CRLReason 7", "record 2 is malformed" },
	{ C_REASON11, "CRLReason 11", "record 2 is malformed" },
};

static size_t corrupt(uint8_t *img, size_t len, enum corruption c)
{
	uint8_t tmp[STATUS_INDEX_RECORD];
	size_t last = (len - STATUS_INDEX_HEADER) / STATUS_INDEX_RECORD - 1;

	switch (c) {
	case C_MAGIC: img[0] = 'X'; break;
	case C_MAGIC_CASE: img[0] = 'o'; break;
	case C_VERSION0: put_u32(img + 8, 0); break;
	case C_VERSION2: put_u32(img + 8, 2); break;
	case C_RECSIZE: put_u32(img + 12, 81); break;
	case C_COUNT_MORE: put_u64(img + 16, last + 2); break;
	case C_COUNT_LESS: put_u64(img + 16, last); break;
	case C_COUNT_HUGE: put_u64(img + 16, 1ULL << 62); break;
	/* count * 80 + 64 == len modulo 2^64 */
	case C_COUNT_WRAP: put_u64(img + 16, (last + 1) + (1ULL << 60)); break;
	case C_TRUNCATE: return len - 1;
	case C_EXTRA: return len + 1;
	case C_SHORT_HEADER: return 63;
	case C_EMPTY: return 0;
	case C_SWAP:
		memcpy(tmp, REC(img, 4), sizeof(tmp));
		memcpy(REC(img, 4), REC(img, 5), sizeof(tmp));
		memcpy(REC(img, 5), tmp, sizeof(tmp));
		break;
	case C_DUP: memcpy(REC(img, 4), REC(img, 3), STATUS_INDEX_RECORD); break;
	case C_LEN0: REC(img, 2)[0] = 0; break;
	case C_LEN33: REC(img, 2)[0] = 33; break;
	case C_LEADING_ZERO: REC(img, 3)[0] = 2; break;	/* 80 read as 0080 */
	case C_PADDING: REC(img, 3)[8] = 1; break;
	case C_STATUS: REC(img, 2)[1] = 3; break;
	case C_STATUS_FF: REC(img, 0)[1] = 0xff; break;
	case C_HOLD: REC(img, 2)[3] = 4; break;
	case C_RESERVED: REC(img, 2)[4] = 1; break;
	case C_RESERVED_LAST: REC(img, last)[7] = 0x80; break;
	case C_REASON7: REC(img, 2)[2] = 7; break;
	case C_REASON11: REC(img, 2)[2] = 11; break;
	}
	return len;
}

static void test_corruption(void)
{
	struct status_rec v[NSERIALS];
	uint8_t *img = NULL, *copy;
	size_t len = 0;
	struct err e;

	make_records(v);
	CHECK_EQ(status_index_encode(v, NSERIALS, 1, 0, &img, &len, &e), 0);
	copy = malloc(len + 1);
	CHECK(copy != NULL && img != NULL);
	if (copy == NULL || img == NULL) {
		free(img);
		free(copy);
		return;
	}
	for (size_t i = 0; i < sizeof(corruptions) / sizeof(corruptions[0]); i++) {
		struct status_index *si = NULL;
		size_t n;

		check_case("%s", corruptions[i].what);
		memcpy(copy, img, len);
		copy[len] = 0;
		n = corrupt(copy, len, corruptions[i].c);
		e.msg[0] = '\0';
		CHECK_EQ(status_index_from_mem(copy, n, &si, &e), -1);
		CHECK(si == NULL);
		CHECK_CONTAINS(e.msg, corruptions[i].err);
		status_index_close(si);
	}
	check_case_clear();

	/* the unmodified copy is fine, so each refusal above is the corruption's */
	struct status_index *si = NULL;
	memcpy(copy, img, len);
	CHECK_EQ(status_index_from_mem(copy, len, &si, &e), 0);
	status_index_close(si);
	free(copy);
	free(img);
}

static void test_open(void)
{
	struct status_rec v[NSERIALS], got;
	struct status_index *si = NULL;
	uint8_t *img = NULL;
	size_t len = 0;
	struct err e = { "" };
	const char *path;

	make_records(v);
	CHECK_EQ(status_index_encode(v, NSERIALS, 9, 0, &img, &len, &e), 0);
	path = check_tmp_file("status.idx", img, len);
	CHECK_EQ(status_index_open(path, &si, &e), 0);
	if (si != NULL) {
		CHECK_EQ(status_index_count(si), NSERIALS);
		CHECK_EQ(status_index_find(si, &v[7].serial, &got), 1);
		check_same(&got, &v[7]);
		status_index_close(si);
	}

	si = (struct status_index *)&e;	/* must be reset */
	CHECK_EQ(status_index_open(check_tmp_path("absent.idx"), &si, &e), 1);
	CHECK(si == NULL);

	path = check_tmp_file("short.idx", img, 10);
	CHECK_EQ(status_index_open(path, &si, &e), -1);
	CHECK(si == NULL);
	CHECK_CONTAINS(e.msg, path);

	img[8] = 2;
	path = check_tmp_file("v2.idx", img, len);
	CHECK_EQ(status_index_open(path, &si, &e), -1);
	CHECK(si == NULL);
	CHECK_CONTAINS(e.msg, path);
	CHECK_CONTAINS(e.msg, "version 2");

	path = check_tmp_path("dir.idx");
	CHECK_EQ(mkdir(path, 0700), 0);
	CHECK_EQ(status_index_open(path, &si, &e), -1);
	CHECK_CONTAINS(e.msg, "not a status index");
	free(img);
	status_index_close(NULL);
}

int main(void)
{
	test_layout();
	test_round_trip();
	test_corruption();
	test_open();
	return check_done();
}
