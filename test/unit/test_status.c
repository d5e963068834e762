/* The status model: reason names, the sorted list, status_differs. */
#include "ocsp/status.h"

#include "check.h"

static const struct {
	int reason;
	const char *name;	/* NULL: no name */
} reasons[] = {
	{ 0, "unspecified" }, { 1, "keyCompromise" }, { 2, "CACompromise" },
	{ 3, "affiliationChanged" }, { 4, "superseded" }, { 5, "cessationOfOperation" },
	{ 6, "certificateHold" }, { 7, NULL }, { 8, "removeFromCRL" },
	{ 9, "privilegeWithdrawn" }, { 10, "AACompromise" }, { 11, NULL },
	{ REASON_NONE, NULL }, { -1, NULL },
};

static void test_reasons(void)
{
	for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++) {
		const char *name = status_reason_name(reasons[i].reason);

		check_case("reason %d", reasons[i].reason);
		if (reasons[i].name == NULL) {
			CHECK(name == NULL);
			continue;
		}
		CHECK_STR(name, reasons[i].name);
		CHECK_EQ(status_reason_from_name(reasons[i].name, strlen(reasons[i].name)),
		    reasons[i].reason);
	}
	check_case_clear();
	/* exact length and case */
	CHECK_EQ(status_reason_from_name("keyCompromiseX", 13), REASON_KEY_COMPROMISE);
	CHECK_EQ(status_reason_from_name("keyCompromise", 12), -1);
	CHECK_EQ(status_reason_from_name("keyCompromiseX", 14), -1);
	CHECK_EQ(status_reason_from_name("KeyCompromise", 13), -1);
	CHECK_EQ(status_reason_from_name("", 0), -1);
	CHECK_EQ(status_reason_from_name("holdInstruction", 15), -1);
}

static void push(struct status_list *l, const char *hex, uint32_t line)
{
	struct status_rec *r = status_list_push(l);

	CHECK(r != NULL);
	if (r == NULL)
		return;
	CHECK_EQ(serial_from_hex(&r->serial, hex, strlen(hex), NULL), 0);
	r->line = line;
}

static void test_list(void)
{
	static const char *const in[] = { "FF", "00", "0100", "80", "01", "7F" };
	static const char *const sorted[] = { "00", "01", "7F", "80", "FF", "0100" };
	struct status_list l;
	struct err e = { "" };
	struct serial s;
	char name[SERIAL_NAME_MAX + 1];

	status_list_init(&l);
	CHECK_EQ(status_list_sort(&l, "index.txt", &e), 0);	/* empty */
	serial_from_hex(&s, "00", 2, NULL);
	CHECK(status_list_find(&l, &s) == NULL);
	for (size_t i = 0; i < 6; i++)
		push(&l, in[i], (uint32_t)i + 1);
	CHECK_EQ(status_list_sort(&l, "index.txt", &e), 0);
	for (size_t i = 0; i < l.n; i++) {
		serial_name(&l.v[i].serial, name);
		CHECK_STR(name, sorted[i]);
	}
	for (size_t i = 0; i < 6; i++) {
		const struct status_rec *r;
		serial_from_hex(&s, sorted[i], strlen(sorted[i]), NULL);
		r = status_list_find(&l, &s);
		CHECK(r != NULL && serial_cmp(&r->serial, &s) == 0);
	}
	serial_from_hex(&s, "02", 2, NULL);
	CHECK(status_list_find(&l, &s) == NULL);
	serial_from_hex(&s, "0101", 4, NULL);
	CHECK(status_list_find(&l, &s) == NULL);

	/* many records, pushed past the first growth */
	status_list_fini(&l);
	CHECK(l.v == NULL && l.n == 0);
	status_list_init(&l);
	for (unsigned i = 5000; i > 0; i--) {
		char hex[16];
		snprintf(hex, sizeof(hex), "%X", i * 3);
		push(&l, hex, i);
	}
	CHECK_EQ(l.n, 5000);
	CHECK_EQ(status_list_sort(&l, "index.txt", &e), 0);
	for (unsigned i = 0; i < 15010; i++) {
		char hex[16];
		snprintf(hex, sizeof(hex), "%X", i);
		serial_from_hex(&s, hex, strlen(hex), NULL);
		int want = i > 0 && i % 3 == 0 && i <= 15000;
		if ((status_list_find(&l, &s) != NULL) != want) {
			check_case("find %u", i);
			CHECK(0);
		}
	}
	check_case_clear();
	status_list_fini(&l);

	/* duplicates name both lines, the earlier second */
	status_list_init(&l);
	push(&l, "05", 10);
	push(&l, "07", 11);
	push(&l, "0005", 12);
	CHECK_EQ(status_list_sort(&l, "index.txt", &e), -1);
	CHECK_CONTAINS(e.msg, "index.txt:12: serial 05 already appears on line 10");
	status_list_fini(&l);
}

static void test_differs(void)
{
	struct status_rec a, b;

	memset(&a, 0, sizeof(a));
	serial_from_hex(&a.serial, "0A", 2, NULL);
	a.status = CERT_REVOKED;
	a.reason = REASON_KEY_COMPROMISE;
	a.hold = HOLD_NOT_SET;
	a.revoked_at = 100;
	a.invalidity = 50;
	a.not_after = 1000;
	a.this_update = 10;
	a.next_update = 20;
	a.line = 3;

	b = a;
	CHECK(!status_differs(&a, &b));
	/* what the response does not depend on */
	b.this_update = 11;
	b.next_update = 21;
	b.line = 4;
	CHECK(!status_differs(&a, &b));
#define DIFF(field, v) do { b = a; b.field = v; CHECK(status_differs(&a, &b)); } while (0)
	DIFF(status, CERT_GOOD);
	DIFF(reason, REASON_CA_COMPROMISE);
	DIFF(hold, HOLD_REJECT);
	DIFF(revoked_at, 101);
	DIFF(invalidity, 0);
	DIFF(not_after, 1001);
	DIFF(serial.b[0], 0x0B);
#undef DIFF
	b = a;
	serial_from_hex(&b.serial, "0A00", 4, NULL);
	CHECK(status_differs(&a, &b));
}

int main(void)
{
	test_reasons();
	test_list();
	test_differs();
	return check_done();
}
