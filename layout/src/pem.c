#include "ocsp/pem.h"

#include <stdint.h>
#include <stdlib.h>

#include <openssl/bio.h>
#include <openssl/pem.h>

#include "ocsp/fsutil.h"

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
