/* One response file of the tree: opened without following links, mapped
 * read-only, and checked once to be exactly the response for the CertID
 * that led to it. Nothing here decides about caching; the reader does. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ocsp.h>

#include "ocsp/certid.h"
#include "ocsp/err.h"
#include "ocsp/fsutil.h"
#include "ocsp/memguard.h"
#include "ocsp/response.h"
#include "ocsp/serial.h"
#include "ocsp/timefmt.h"

#include "tree_int.h"

/* OpenSSL's client refuses responses over 100 KiB, so a larger file is
 * nothing a client could use. */
#define TREE_FILE_MAX (100 * 1024)

static int certid_check(const OCSP_SINGLERESP *single, const struct req_certid *id,
    struct req_certid *got, struct err *e)
{
	if (certid_from_ocsp(OCSP_SINGLERESP_get0_id(single), got, e) != 0)
		return -1;
	if (got->alg != id->alg)
		return err_set(e, "CertID hash is not %s", hash_name(id->alg));
	if (!certid_same_issuer(got, id))
		return err_set(e, "CertID names another issuer (misplaced file)");
	if (!got->serial_ok || serial_cmp(&got->serial, &id->serial) != 0)
		return err_set(e, "CertID serial is not the file name (misplaced file)");
	return 0;
}

static int single_times(const OCSP_SINGLERESP *single, int64_t *this_update,
    int64_t *next_update, struct err *e)
{
	ASN1_GENERALIZEDTIME *thisupd = NULL, *nextupd = NULL;
	int reason;

	if (OCSP_single_get0_status((OCSP_SINGLERESP *)single, &reason, NULL, &thisupd,
	    &nextupd) < 0)
		return err_set(e, "bad certificate status");
	if (timefmt_from_asn1(thisupd, this_update) != 0 ||
	    timefmt_from_asn1(nextupd, next_update) != 0)
		return err_set(e, "missing or bad thisUpdate/nextUpdate");
	return 0;
}

/* Parses the mapped file once. It is parsed, and digested, from a private
 * copy: the mapping may be truncated under us (memguard.h), and OpenSSL
 * must not be the one to touch it. */
static int response_check(struct tree_file *f, const struct req_certid *id, struct err *e)
{
	unsigned char *copy = malloc(f->map_len);
	const unsigned char *p = copy;
	OCSP_RESPONSE *resp = NULL;
	OCSP_BASICRESP *bs = NULL;
	const OCSP_SINGLERESP *single;
	int64_t tu = 0, nu = 0;
	int ret = -1;

	if (copy == NULL) {
		err_set(e, "out of memory");
		goto out;
	}
	if (memguard_copy(copy, f->map, f->map_len) != 0) {
		err_set(e, "the file shrank while being read (rewritten in place?)");
		goto out;
	}
	resp = d2i_OCSP_RESPONSE(NULL, &p, (long)f->map_len);
	if (resp == NULL) {
		err_ssl(e, "not a DER OCSP response");
		goto out;
	}
	if (p != copy + f->map_len) {
		err_set(e, "trailing bytes after the response");
		goto out;
	}
	if (OCSP_response_status(resp) != OCSP_RESPONSE_STATUS_SUCCESSFUL ||
	    (bs = OCSP_response_get1_basic(resp)) == NULL) {
		err_set(e, "not a successful basic OCSP response");
		goto out;
	}
	if (OCSP_resp_count(bs) != 1) {
		err_set(e, "%d SingleResponses (one expected)", OCSP_resp_count(bs));
		goto out;
	}
	single = OCSP_resp_get0(bs, 0);
	if (certid_check(single, id, &f->id, e) != 0 || single_times(single, &tu, &nu, e) != 0 ||
	    signed_response_set(&f->resp, copy, f->map_len, tu, nu, e) != 0)
		goto out;
	f->resp.der = f->map;
	ret = 0;
out:
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(resp);
	ERR_clear_error();
	free(copy);
	return ret;
}

/* What a failed open means; errno is mapped to a file status here and
 * nowhere else. A refusal that lasts (a symbolic link, no permission) is
 * kept like a bad file; a passing shortage (descriptors, memory) is not,
 * so the file is tried again by the next request. */
static enum tree_file_status open_status(int err, int *lasting)
{
	*lasting = 0;
	switch (err) {
	case ENOENT:
	case ENOTDIR:
		return TREE_FILE_NONE;
	case ELOOP:
	case EACCES:
	case EPERM:
	case ENXIO:
	case EISDIR:
		*lasting = 1;
		return TREE_FILE_BAD;
	default:
		return TREE_FILE_BAD;
	}
}

static int map_file(struct tree_file *f, int fd, int *lasting, struct err *e)
{
	struct stat st;

	*lasting = 0;
	if (fstat(fd, &st) != 0)
		return err_set(e, "%s", strerror(errno));
	*lasting = 1;
	file_sig_from_stat(&f->sig, &st);
	if (!S_ISREG(st.st_mode))
		return err_set(e, "not a regular file");
	if (st.st_size <= 0 || st.st_size > TREE_FILE_MAX)
		return err_set(e, "%lld bytes (1 to %d allowed)", (long long)st.st_size,
		    TREE_FILE_MAX);
	f->map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	if (f->map == MAP_FAILED) {
		/* ENOMEM here is usually vm.max_map_count: not the file's fault. */
		*lasting = 0;
		f->map = NULL;
		return err_set(e, "mmap: %s", strerror(errno));
	}
	f->map_len = (size_t)st.st_size;
	return 0;
}

void tree_file_unmap(struct tree_file *f)
{
	if (f->map != NULL)
		munmap(f->map, f->map_len);
	f->map = NULL;
	f->map_len = 0;
}

enum tree_file_status tree_file_load(struct tree_file *f, const char *path,
    const struct req_certid *id, int *lasting, struct err *e)
{
	enum tree_file_status r;
	int fd;

	memset(f, 0, sizeof(*f));
	*lasting = 0;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		int err = errno;
		r = open_status(err, lasting);
		if (r == TREE_FILE_NONE)
			return r;
		err_set(e, "%s", err == ELOOP ? "a symbolic link" : strerror(err));
		if (*lasting)
			file_sig_get(path, 0, &f->sig);
		return TREE_FILE_BAD;
	}
	if (map_file(f, fd, lasting, e) != 0 || response_check(f, id, e) != 0) {
		close(fd);
		tree_file_unmap(f);
		return TREE_FILE_BAD;
	}
	close(fd);
	return TREE_FILE_OK;
}
