#include "ocsp/pem.h"

#include <stdint.h>
#include <stdlib.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "ocsp/fsutil.h"

int pem_read_certs(const char *path, size_t max, STACK_OF(X509) **out, struct err *e)
{
	uint8_t *pem = NULL;
	size_t len = 0;
	BIO *bio;
	X509 *x;
	int ret = -1;

	*out = NULL;
	if (fs_read_file(path, PEM_FILE_MAX, &pem, &len, e) != 0)
		return -1;
	bio = BIO_new_mem_buf(pem, (int)len);
	*out = sk_X509_new_null();
	if (bio == NULL || *out == NULL) {
		err_set(e, "out of memory");
		goto out;
	}
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		if ((size_t)sk_X509_num(*out) == max) {
			X509_free(x);
			err_set(e, "%s: more than %zu certificates", path, max);
			goto out;
		}
		if (!sk_X509_push(*out, x)) {
			X509_free(x);
			err_set(e, "out of memory");
			goto out;
		}
	}
	ERR_clear_error();	/* the end of the file */
	if (sk_X509_num(*out) == 0)
		err_ssl(e, "%s: no PEM certificate", path);
	else
		ret = 0;
out:
	if (ret != 0) {
		sk_X509_pop_free(*out, X509_free);
		*out = NULL;
	}
	BIO_free(bio);
	free(pem);
	return ret;
}

int pem_read_cert(const char *path, X509 **out, struct err *e)
{
	uint8_t *pem = NULL;
	size_t len = 0;
	BIO *bio;

	*out = NULL;
	if (fs_read_file(path, PEM_FILE_MAX, &pem, &len, e) != 0)
		return -1;
	bio = BIO_new_mem_buf(pem, (int)len);
	if (bio != NULL)
		*out = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	BIO_free(bio);
	free(pem);
	if (*out == NULL)
		return err_ssl(e, "%s: no PEM certificate", path);
	return 0;
}
