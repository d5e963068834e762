/* RFC 7512 PKCS#11 URIs, as a configuration names an HSM key:
 *
 *   pkcs11:token=ocsp;object=signer1;type=private?pin-source=file:/etc/ocsp/pin
 *
 * A pure parser (no PKCS#11 library): the attributes are split, checked and
 * percent-decoded into fixed-size fields; matching them against tokens and
 * objects is the signer's business.
 *
 * Stricter than RFC 7512 on purpose, because a URI that is too loose
 * silently matches the wrong token or key:
 *   - an unknown attribute, in the path or in the query, is an error naming
 *     it (the RFC lets consumers ignore them, so "tokn=ocsp" would select
 *     every token); so are the RFC's library-* and slot-* attributes, which
 *     this parser does not match on;
 *   - an attribute given twice, or with an empty value, is an error;
 *   - characters outside printable ASCII, '#' and a '%' that does not start
 *     an escape must be percent-encoded; decoded text values must not
 *     contain control characters (only id holds arbitrary bytes);
 *   - token, manufacturer, model and serial are bounded by the sizes of
 *     their PKCS#11 CK_TOKEN_INFO fields;
 *   - pin-source must be "file:PATH" or a plain path (no "|command" or
 *     other schemes); a relative path is relative to the working directory.
 * The scheme name is case-insensitive, attribute names are not.
 *
 * A URI may carry a PIN (pin-value=). It is kept only so that the caller can
 * warn about it and log in with it; it is never put in an error message, and
 * pkcs11_uri_wipe() must be called once the struct is no longer needed. */
#ifndef OCSP_PKCS11_URI_H
#define OCSP_PKCS11_URI_H

#include <stddef.h>
#include <stdint.h>

#include "ocsp/err.h"

/* The whole URI, as read from a configuration file. */
#define PKCS11_URI_MAX 4096
/* CK_TOKEN_INFO: label[32], manufacturerID[32], model[16], serialNumber[16]. */
#define PKCS11_URI_TOKEN_MAX 32
#define PKCS11_URI_MANUFACTURER_MAX 32
#define PKCS11_URI_MODEL_MAX 16
#define PKCS11_URI_SERIAL_MAX 16
/* CKA_LABEL has no limit in PKCS#11; 256 bytes is plenty for a name. */
#define PKCS11_URI_OBJECT_MAX 256
/* CKA_ID, decoded: libp11 keeps at most 255 bytes of it. */
#define PKCS11_URI_ID_MAX 255
#define PKCS11_URI_TYPE_MAX 16
/* pin-source and module-path. */
#define PKCS11_URI_PATH_MAX 1024
#define PKCS11_URI_PIN_MAX 256
#define PKCS11_URI_MODULE_NAME_MAX 256

/* Every text field is a NUL-terminated, percent-decoded string; "" means
 * that the attribute was absent (empty values are refused). */
struct pkcs11_uri {
	/* path: which token */
	char token[PKCS11_URI_TOKEN_MAX + 1];		/* token label */
	char manufacturer[PKCS11_URI_MANUFACTURER_MAX + 1];
	char model[PKCS11_URI_MODEL_MAX + 1];
	char serial[PKCS11_URI_SERIAL_MAX + 1];		/* token serial number */
	/* path: which object */
	char object[PKCS11_URI_OBJECT_MAX + 1];		/* object label */
	uint8_t id[PKCS11_URI_ID_MAX];			/* CKA_ID bytes */
	size_t id_len;
	int have_id;
	/* "private", "public", "cert", "secret-key" or "data" */
	char type[PKCS11_URI_TYPE_MAX + 1];
	/* query */
	char pin_source[PKCS11_URI_PATH_MAX + 1];	/* as written, "file:" included */
	char pin_value[PKCS11_URI_PIN_MAX + 1];		/* secret: wipe */
	char module_path[PKCS11_URI_PATH_MAX + 1];
	char module_name[PKCS11_URI_MODULE_NAME_MAX + 1];
};

/* Parses the NUL-terminated uri into *out. Returns 0, or -1 with a message
 * starting "pkcs11 URI: " in e; on error *out is wiped. Never reads more
 * than PKCS11_URI_MAX + 1 bytes of uri. */
int pkcs11_uri_parse(const char *uri, struct pkcs11_uri *out, struct err *e);

/* The file that pin_source names (after "file:", or the plain path), or NULL
 * when the URI has no pin-source. Points into u. */
const char *pkcs11_uri_pin_file(const struct pkcs11_uri *u);

/* Writes the URI's path attributes (never the query, so never a PIN) back
 * in URI form, e.g. "pkcs11:token=ocsp;object=signer1;id=%01", for
 * messages. Always NUL-terminates out (out_size > 0); a result that does not
 * fit ends in "...". */
void pkcs11_uri_describe(const struct pkcs11_uri *u, char *out, size_t out_size);

/* Cleanses every field (the PIN above all). */
void pkcs11_uri_wipe(struct pkcs11_uri *u);

#endif
