/* PEM private keys: read whole with a bound, decrypted with a passphrase
 * that never comes from argv or a prompt, then wiped. */
#include "signer_int.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "ocsp/config.h"
#include "ocsp/err.h"
#include "ocsp/fsutil.h"
#include "ocsp/pem.h"

struct passphrase {
	const char *value;	/* NULL: none configured */
	size_t len;
	int asked;		/* the key is encrypted */
};

static int give_passphrase(char *buf, int size, int rwflag, void *u)
{
	struct passphrase *p = u;

	p->asked = 1;
	if (p->value == NULL || p->len > (size_t)size)
		return -1;
	memcpy(buf, p->value, p->len);
	return (int)p->len;
}

/* A key file is a secret: only its owner may read it, unless allowed. */
static int key_mode_ok(const struct signer_conf *sc, struct err *e)
{
	struct stat st;

	if (stat(sc->key, &st) != 0)
		return err_set(e, "%s: %s", sc->key, strerror(errno));
	if ((st.st_mode & (S_IRWXG | S_IRWXO)) && !sc->allow_readable_key)
		return err_set(e, "%s: group or others may read this private key (mode %04o); "
		    "chmod 600 it, or set allow_readable_key = yes", sc->key,
		    (unsigned)(st.st_mode & 07777));
	return 0;
}

/* The passphrase, from a file or the environment (whose copy the signer
 * set wipes once every key is loaded: two keys may share a variable). */
static int passphrase_get(const struct signer_conf *sc, char *buf, size_t size,
    struct passphrase *p, struct err *e)
{
	int n;

	memset(p, 0, sizeof(*p));
	if (sc->key_passphrase_file != NULL) {
		if ((n = secret_read("passphrase file", sc->key_passphrase_file, buf, size - 3,
		    e)) < 0)
			return -1;
		p->value = buf;
		p->len = (size_t)n;
	} else if (sc->key_passphrase_env != NULL) {
		char *v = getenv(sc->key_passphrase_env);
		if (v == NULL || v[0] == '\0')
			return err_set(e, "%s: the environment has no %s (key_passphrase_env)",
			    sc->key, sc->key_passphrase_env);
		p->value = v;
		p->len = strlen(v);
	}
	return 0;
}

int pem_key_load(const struct signer_conf *sc, EVP_PKEY **out, struct err *e)
{
	char secret[SIGNER_SECRET_MAX + 3];
	struct passphrase p;
	uint8_t *pem = NULL;
	size_t len = 0;
	BIO *bio = NULL;
	int ret = -1;

	*out = NULL;
	if (key_mode_ok(sc, e) != 0 || passphrase_get(sc, secret, sizeof(secret), &p, e) != 0)
		goto out;
	if (fs_read_file(sc->key, PEM_FILE_MAX, &pem, &len, e) != 0)
		goto out;
	bio = BIO_new_mem_buf(pem, (int)len);
	if (bio != NULL)
		*out = PEM_read_bio_PrivateKey(bio, NULL, give_passphrase, &p);
	if (*out != NULL)
		ret = 0;
	else if (p.asked && p.value == NULL)
		err_set(e, "%s: the key is encrypted; give its passphrase with key_passphrase_file "
		    "or key_passphrase_env", sc->key);
	else if (p.asked)
		err_set(e, "%s: cannot decrypt the key (wrong passphrase?)", sc->key);
	else
		err_ssl(e, "%s: no PEM private key", sc->key);
out:
	ERR_clear_error();
	BIO_free(bio);
	if (pem != NULL)
		OPENSSL_cleanse(pem, len);
	free(pem);
	OPENSSL_cleanse(secret, sizeof(secret));
	return ret;
}
