/* pkcs11_uri_parse: a key URI from the configuration. A refusal leaves the
 * struct wiped; what is accepted holds bounded, NUL-terminated fields and
 * survives pkcs11_uri_describe -> pkcs11_uri_parse. */
#include <string.h>
#include <strings.h>

#include "ocsp/pkcs11_uri.h"
#include "fuzz.h"

static void assert_text(const char *field, size_t size)
{
	const char *nul = memchr(field, '\0', size);

	FUZZ_ASSERT(nul != NULL);
	for (const char *p = field; p < nul; p++)
		FUZZ_ASSERT((unsigned char)*p >= 0x20 && *p != 0x7f);
}

static int all_zero(const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i] != 0)
			return 0;
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char desc[8192];
	struct pkcs11_uri u, back;
	struct err e;
	const char *pf;
	char *text;

	if (size > PKCS11_URI_MAX + 64)
		return 0;
	text = malloc(size + 1);
	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	e.msg[0] = '\0';
	if (pkcs11_uri_parse(text, &u, &e) != 0) {
		FUZZ_ASSERT(strncmp(e.msg, "pkcs11 URI: ", 12) == 0);
		FUZZ_ASSERT(all_zero(&u, sizeof(u)));
		goto out;
	}
	FUZZ_ASSERT(strlen(text) <= PKCS11_URI_MAX);
	FUZZ_ASSERT(strncasecmp(text, "pkcs11:", 7) == 0);
	assert_text(u.token, sizeof(u.token));
	assert_text(u.manufacturer, sizeof(u.manufacturer));
	assert_text(u.model, sizeof(u.model));
	assert_text(u.serial, sizeof(u.serial));
	assert_text(u.object, sizeof(u.object));
	assert_text(u.type, sizeof(u.type));
	assert_text(u.pin_source, sizeof(u.pin_source));
	assert_text(u.pin_value, sizeof(u.pin_value));
	assert_text(u.module_path, sizeof(u.module_path));
	assert_text(u.module_name, sizeof(u.module_name));
	FUZZ_ASSERT(u.id_len <= PKCS11_URI_ID_MAX);
	FUZZ_ASSERT(u.have_id == (u.id_len > 0));
	pf = pkcs11_uri_pin_file(&u);
	FUZZ_ASSERT((pf == NULL) == (u.pin_source[0] == '\0'));
	if (pf != NULL)
		FUZZ_ASSERT(pf[0] != '\0' && pf >= u.pin_source &&
		    pf < u.pin_source + sizeof(u.pin_source));
	/* the description never carries the query, and parses back the same */
	pkcs11_uri_describe(&u, desc, sizeof(desc));
	FUZZ_ASSERT(strlen(desc) < sizeof(desc) - 1);	/* room to spare: not cut */
	FUZZ_ASSERT(strchr(desc, '?') == NULL);
	FUZZ_ASSERT(pkcs11_uri_parse(desc, &back, &e) == 0);
	FUZZ_ASSERT(strcmp(back.token, u.token) == 0 && strcmp(back.object, u.object) == 0 &&
	    strcmp(back.manufacturer, u.manufacturer) == 0 &&
	    strcmp(back.model, u.model) == 0 && strcmp(back.serial, u.serial) == 0 &&
	    strcmp(back.type, u.type) == 0);
	FUZZ_ASSERT(back.have_id == u.have_id && back.id_len == u.id_len &&
	    memcmp(back.id, u.id, u.id_len) == 0);
	FUZZ_ASSERT(back.pin_value[0] == '\0' && back.pin_source[0] == '\0' &&
	    back.module_path[0] == '\0' && back.module_name[0] == '\0');
	pkcs11_uri_wipe(&back);
	pkcs11_uri_wipe(&u);
	FUZZ_ASSERT(all_zero(&u, sizeof(u)));
out:
	free(text);
	return 0;
}
