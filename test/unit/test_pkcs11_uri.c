/* RFC 7512 URIs: what each attribute becomes, and the refusals (unknown,
 * repeated, empty, too long, badly escaped) with the message each gets. */
#include "ocsp/pkcs11_uri.h"

#include "ocsp/hex.h"

#include "check.h"

static const struct {
	const char *uri;
	const char *token, *manufacturer, *model, *serial, *object, *type;
	const char *id;		/* hex, NULL when absent */
	const char *pin_source, *pin_file, *pin_value, *module_path, *module_name;
} good[] = {
	{ .uri = "pkcs11:" },
	{ .uri = "PKCS11:token=ocsp", .token = "ocsp" },
	{ .uri = "pkcs11:token=ocsp;object=signer1;type=private"
	    "?pin-source=file:/etc/ocsp/pin",
	  .token = "ocsp", .object = "signer1", .type = "private",
	  .pin_source = "file:/etc/ocsp/pin", .pin_file = "/etc/ocsp/pin" },
	/* as p11tool --list-all prints it */
	{ .uri = "pkcs11:model=SoftHSM%20v2;manufacturer=SoftHSM%20project;"
	    "serial=15541605e24d8137;token=ocsp;id=%01;object=signer1;type=private",
	  .token = "ocsp", .manufacturer = "SoftHSM project", .model = "SoftHSM v2",
	  .serial = "15541605e24d8137", .object = "signer1", .type = "private", .id = "01" },
	{ .uri = "pkcs11:id=%01%02%aB%ff%00", .id = "0102abff00" },
	/* a raw id byte is kept as is */
	{ .uri = "pkcs11:id=A%41", .id = "4141" },
	{ .uri = "pkcs11:object=a%3Bb%3Fc%26d%25e%23f", .object = "a;b?c&d%e#f" },
	/* '=', ':' and '/' in values */
	{ .uri = "pkcs11:object=a=b:c/d", .object = "a=b:c/d" },
	{ .uri = "pkcs11:token=ocsp?pin-value=1234", .token = "ocsp", .pin_value = "1234" },
	{ .uri = "pkcs11:?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=/run/pin",
	  .pin_source = "/run/pin", .pin_file = "/run/pin",
	  .module_path = "/usr/lib/softhsm/libsofthsm2.so" },
	{ .uri = "pkcs11:token=t?module-name=softhsm2&pin-source=file:///run/p",
	  .token = "t", .module_name = "softhsm2", .pin_source = "file:///run/p",
	  .pin_file = "/run/p" },
	{ .uri = "pkcs11:token=t?pin-source=pin.txt", .token = "t", .pin_source = "pin.txt",
	  .pin_file = "pin.txt" },
	/* '?' and ';' are plain characters in the query */
	{ .uri = "pkcs11:?pin-source=/a;b?c", .pin_source = "/a;b?c", .pin_file = "/a;b?c" },
	{ .uri = "pkcs11:type=cert", .type = "cert" },
	{ .uri = "pkcs11:type=secret-key", .type = "secret-key" },
	/* a 32-byte token label fills its field exactly */
	{ .uri = "pkcs11:token=0123456789abcdef0123456789abcdef",
	  .token = "0123456789abcdef0123456789abcdef" },
	{ .uri = "pkcs11:serial=0123456789abcdef", .serial = "0123456789abcdef" },
	/* UTF-8, escaped */
	{ .uri = "pkcs11:token=%C3%A9t%C3%A9", .token = "\xc3\xa9t\xc3\xa9" },
};

static void check_text(const char *field, const char *want)
{
	CHECK_STR(field, want != NULL ? want : "");
}

static void test_good(void)
{
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct pkcs11_uri u;
		struct err e = { "" };
		const char *pf;

		check_case("%s", good[i].uri);
		CHECK_EQ(pkcs11_uri_parse(good[i].uri, &u, &e), 0);
		CHECK_STR(e.msg, "");
		check_text(u.token, good[i].token);
		check_text(u.manufacturer, good[i].manufacturer);
		check_text(u.model, good[i].model);
		check_text(u.serial, good[i].serial);
		check_text(u.object, good[i].object);
		check_text(u.type, good[i].type);
		check_text(u.pin_source, good[i].pin_source);
		check_text(u.pin_value, good[i].pin_value);
		check_text(u.module_path, good[i].module_path);
		check_text(u.module_name, good[i].module_name);
		CHECK_EQ(u.have_id, good[i].id != NULL);
		if (good[i].id != NULL) {
			uint8_t want[64];
			size_t n = strlen(good[i].id) / 2;
			CHECK_EQ(hex_decode(want, n, good[i].id), 0);
			CHECK_MEM(u.id, u.id_len, want, n);
		} else {
			CHECK_EQ(u.id_len, 0);
		}
		pf = pkcs11_uri_pin_file(&u);
		if (good[i].pin_file != NULL)
			CHECK_STR(pf, good[i].pin_file);
		else
			CHECK(pf == NULL);
		pkcs11_uri_wipe(&u);
		CHECK(u.pin_value[0] == '\0' && u.token[0] == '\0' && u.id_len == 0);
	}
	check_case_clear();
}

static char long_token[64], long_object[300], long_id[16 + 3 * 256], long_uri[4200];

static const struct {
	const char *uri;
	const char *err;
} bad[] = {
	{ "", "does not start with 'pkcs11:'" },
	{ "pkcs11", "does not start with 'pkcs11:'" },
	{ "file:token=ocsp", "does not start with 'pkcs11:'" },
	{ " pkcs11:token=ocsp", "does not start with 'pkcs11:'" },
	/* a typo must not select every token */
	{ "pkcs11:tokn=ocsp;object=signer1", "unknown path attribute 'tokn'" },
	{ "pkcs11:token=ocsp?pin-sorce=/p", "unknown query attribute 'pin-sorce'" },
	{ "pkcs11:x-vendor=1", "unknown path attribute 'x-vendor'" },
	{ "pkcs11:Token=ocsp", "bad attribute name at offset 7" },
	{ "pkcs11:slot-id=3", "attribute 'slot-id' is not supported" },
	{ "pkcs11:library-description=SoftHSM", "attribute 'library-description' is not "
	  "supported" },
	{ "pkcs11:token=a;token=b", "attribute 'token' given twice" },
	{ "pkcs11:id=%01;object=k;id=%02", "attribute 'id' given twice" },
	{ "pkcs11:?pin-value=1&pin-value=2", "attribute 'pin-value' given twice" },
	{ "pkcs11:token=", "attribute 'token' has an empty value" },
	{ "pkcs11:id=", "attribute 'id' has an empty value" },
	{ "pkcs11:token=t?pin-source=", "attribute 'pin-source' has an empty value" },
	{ "pkcs11:token", "attribute 'token' has no value" },
	{ "pkcs11:=ocsp", "bad attribute name at offset 7" },
	{ "pkcs11:token=a;", "empty attribute at offset 15" },
	{ "pkcs11:;token=a", "empty attribute at offset 7" },
	{ "pkcs11:token=a;;object=b", "empty attribute at offset 15" },
	{ "pkcs11:token=a?", "empty attribute at offset 15" },
	{ "pkcs11:token=a?pin-value=1&", "empty attribute at offset 27" },
	{ "pkcs11:token=ocsp?token=x", "'token' belongs in the path (before '?')" },
	{ "pkcs11:pin-value=1234", "'pin-value' belongs in the query (after '?')" },
	{ "pkcs11:module-path=/m.so", "'module-path' belongs in the query" },
	{ "pkcs11:token=a%", "bad percent-escape at offset 14" },
	{ "pkcs11:token=a%4", "bad percent-escape at offset 14" },
	{ "pkcs11:token=a%4g", "bad percent-escape at offset 14" },
	{ "pkcs11:token=a%%41", "bad percent-escape at offset 14" },
	{ "pkcs11:token=a b", "character 0x20 at offset 14 must be percent-encoded" },
	{ "pkcs11:token=a\tb", "character 0x09 at offset 14 must be percent-encoded" },
	{ "pkcs11:token=a#b", "character 0x23 at offset 14 must be percent-encoded" },
	{ "pkcs11:token=\xc3\xa9", "character 0xc3 at offset 13 must be percent-encoded" },
	{ "pkcs11:token=a%00b", "attribute 'token' contains a control character" },
	{ "pkcs11:object=a%0Ab", "attribute 'object' contains a control character" },
	{ "pkcs11:?pin-value=12%0034", "attribute 'pin-value' contains a control" },
	{ "pkcs11:type=privat", "type 'privat' is not one of private, public, cert" },
	{ "pkcs11:type=PRIVATE", "type 'PRIVATE' is not one of" },
	{ "pkcs11:?pin-source=|/bin/getpin", "pin-source: commands ('|...') are not supported" },
	{ "pkcs11:?pin-source=env:PIN", "pin-source: 'env:' is not supported" },
	{ "pkcs11:?pin-source=file://host/p", "a file: URI with a host is not supported" },
	{ "pkcs11:?pin-source=file:", "pin-source names no file" },
	{ "pkcs11:?pin-source=file://", "a file: URI with a host" },
	{ "pkcs11:model=0123456789abcdef0", "attribute 'model' is longer than 16 bytes" },
	{ "pkcs11:serial=0123456789abcdef0", "attribute 'serial' is longer than 16 bytes" },
	{ long_token, "attribute 'token' is longer than 32 bytes" },
	{ long_object, "attribute 'object' is longer than 256 bytes" },
	{ long_id, "attribute 'id' is longer than 255 bytes" },
	{ long_uri, "pkcs11 URI: longer than 4096 bytes" },
};

static void make_long_inputs(void)
{
	size_t n;

	snprintf(long_token, sizeof(long_token), "pkcs11:token=%s",
	    "0123456789abcdef0123456789abcdefX");
	n = (size_t)snprintf(long_object, sizeof(long_object), "pkcs11:object=");
	memset(long_object + n, 'o', 257);
	long_object[n + 257] = '\0';
	n = (size_t)snprintf(long_id, sizeof(long_id), "pkcs11:id=");
	for (size_t i = 0; i < 256 && n + 3 < sizeof(long_id); i++, n += 3)
		memcpy(long_id + n, "%AA", 3);
	long_id[n] = '\0';
	n = (size_t)snprintf(long_uri, sizeof(long_uri), "pkcs11:object=");
	memset(long_uri + n, 'a', 4097 - n);
	long_uri[4097] = '\0';
}

static void test_bad(void)
{
	make_long_inputs();
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct pkcs11_uri u;
		struct err e = { "" };

		check_case("%.60s", bad[i].uri);
		CHECK_EQ(pkcs11_uri_parse(bad[i].uri, &u, &e), -1);
		CHECK(strncmp(e.msg, "pkcs11 URI: ", 12) == 0);
		CHECK_CONTAINS(e.msg, bad[i].err);
		/* a failed parse leaves nothing behind, a PIN least of all */
		CHECK(u.pin_value[0] == '\0' && u.token[0] == '\0' && u.id_len == 0 &&
		    !u.have_id);
	}
	check_case_clear();
}

/* The limits themselves are accepted: they are limits, not off by one. */
static void test_limits(void)
{
	static char uri[PKCS11_URI_MAX + 1], id[16 + 3 * PKCS11_URI_ID_MAX];
	struct pkcs11_uri u;
	struct err e = { "" };
	size_t n;

	n = (size_t)snprintf(uri, sizeof(uri), "pkcs11:?pin-source=/");
	memset(uri + n, 'p', PKCS11_URI_PATH_MAX - 1);
	uri[n + PKCS11_URI_PATH_MAX - 1] = '\0';
	check_case("pin-source of %d bytes", PKCS11_URI_PATH_MAX);
	CHECK_EQ(pkcs11_uri_parse(uri, &u, &e), 0);
	CHECK_EQ(strlen(u.pin_source), PKCS11_URI_PATH_MAX);
	pkcs11_uri_wipe(&u);

	n = (size_t)snprintf(id, sizeof(id), "pkcs11:id=");
	for (size_t i = 0; i < PKCS11_URI_ID_MAX; i++, n += 3)
		memcpy(id + n, "%5a", 3);
	id[n] = '\0';
	check_case("id of %d bytes", PKCS11_URI_ID_MAX);
	CHECK_EQ(pkcs11_uri_parse(id, &u, &e), 0);
	CHECK_EQ(u.id_len, PKCS11_URI_ID_MAX);
	CHECK(u.id[0] == 0x5a && u.id[PKCS11_URI_ID_MAX - 1] == 0x5a);
	pkcs11_uri_wipe(&u);

	/* a URI of exactly PKCS11_URI_MAX bytes is read (and refused only for
	 * its too long object label) */
	n = (size_t)snprintf(uri, sizeof(uri), "pkcs11:object=");
	memset(uri + n, 'a', PKCS11_URI_MAX - n);
	uri[PKCS11_URI_MAX] = '\0';
	check_case("URI of %d bytes", PKCS11_URI_MAX);
	CHECK_EQ(pkcs11_uri_parse(uri, &u, &e), -1);
	CHECK_CONTAINS(e.msg, "attribute 'object' is longer than 256 bytes");
	check_case_clear();
}

/* No message ever shows a PIN, even when the PIN's attribute is the bad one. */
static void test_pin_not_in_messages(void)
{
	static const char *const uris[] = {
		"pkcs11:token=a?pin-value=S3cr3t&pin-value=S3cr3t",
		"pkcs11:token=a?pin-value=S3cr3t%zz",
		"pkcs11:token=a?pin-value=S3cr3t&bogus=1",
		"pkcs11:pin-value=S3cr3t",
		"pkcs11:token=a?pin-value=S3cr3t%01",
		"pkcs11:type=nope?pin-value=S3cr3t",
	};
	for (size_t i = 0; i < sizeof(uris) / sizeof(uris[0]); i++) {
		struct pkcs11_uri u;
		struct err e = { "" };

		check_case("%s", uris[i]);
		CHECK_EQ(pkcs11_uri_parse(uris[i], &u, &e), -1);
		CHECK(e.msg[0] != '\0');
		CHECK(strstr(e.msg, "S3cr3t") == NULL);
	}
	check_case_clear();
}

static const struct {
	const char *uri;
	size_t size;
	const char *want;
} described[] = {
	{ "pkcs11:", 64, "pkcs11:" },
	{ "pkcs11:object=signer1;token=ocsp?pin-value=1234&module-path=/m.so", 64,
	  "pkcs11:token=ocsp;object=signer1" },
	{ "pkcs11:token=SoftHSM%20v2;id=%01%ab;type=private", 64,
	  "pkcs11:token=SoftHSM%20v2;id=%01%AB;type=private" },
	{ "pkcs11:object=a%3Bb%3Dc%25%3F", 64, "pkcs11:object=a%3Bb%3Dc%25%3F" },
	{ "pkcs11:token=ocsp;object=signer1", 20, "pkcs11:token=ocs..." },
	{ "pkcs11:token=ocsp", 18, "pkcs11:token=ocsp" },
	{ "pkcs11:token=ocsp", 17, "pkcs11:token=..." },
	{ "pkcs11:token=ocsp", 3, "pk" },
};

static void test_describe(void)
{
	for (size_t i = 0; i < sizeof(described) / sizeof(described[0]); i++) {
		struct pkcs11_uri u, again;
		struct err e = { "" };
		char out[128];

		check_case("%s in %zu", described[i].uri, described[i].size);
		CHECK_EQ(pkcs11_uri_parse(described[i].uri, &u, &e), 0);
		memset(out, 'X', sizeof(out));
		pkcs11_uri_describe(&u, out, described[i].size);
		CHECK_STR(out, described[i].want);
		CHECK(strlen(out) < described[i].size);
		/* what fits parses back to the same path attributes */
		if (strstr(out, "...") == NULL && strncmp(out, "pkcs11:", 7) == 0) {
			CHECK_EQ(pkcs11_uri_parse(out, &again, &e), 0);
			CHECK_STR(again.token, u.token);
			CHECK_STR(again.object, u.object);
			CHECK_MEM(again.id, again.id_len, u.id, u.id_len);
			pkcs11_uri_wipe(&again);
		}
		pkcs11_uri_wipe(&u);
	}
	check_case_clear();
}

int main(void)
{
	test_good();
	test_bad();
	test_limits();
	test_pin_not_in_messages();
	test_describe();
	return check_done();
}
