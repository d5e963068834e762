#include "tree_fixture.h"

#include <fcntl.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ocsp/fsutil.h"
#include "ocsp/response.h"
#include "ocsp/serial.h"
#include "ocsp/tree.h"

#define DAY 86400

static void die(const char *what, const struct err *e)
{
	fprintf(stderr, "test setup failed: %s%s%s\n", what, e ? ": " : "", e ? e->msg : "");
	exit(2);
}

void fx_ca_make(struct fx_ca *c, const char *cn, int64_t now, const char *cert_path,
    const char *key_path)
{
	struct pki_cert_opts o = { .cn = cn, .serial = 1, .not_before = now - DAY,
	    .not_after = now + 365 * DAY, .ca = 1 };
	struct signer *s = NULL;
	struct err e = { "" };

	memset(c, 0, sizeof(*c));
	c->key = pki_key(PKI_EC256);
	o.key = c->key;
	c->cert = pki_cert(&o);
	c->cert_path = pki_write_cert(c->cert, cert_path);
	c->key_path = pki_write_key(c->key, key_path, NULL, 0);
	if (ca_open(c->cert_path, &c->ca, &e) != 0 ||
	    signer_load_pem(c->cert_path, c->key_path, &s, &e) != 0 ||
	    ca_attach_signer(c->ca, s, now, 4 * DAY, NULL, &e) != 0 ||
	    (c->sc = signer_ctx_new(ca_signer_now(c->ca)->signer, &e)) == NULL)
		die(cn, &e);
}

void fx_ca_free(struct fx_ca *c)
{
	signer_ctx_free(c->sc);
	ca_free(c->ca);
	X509_free(c->cert);
	EVP_PKEY_free(c->key);
	memset(c, 0, sizeof(*c));
}

static void serial_of(long v, struct serial *s)
{
	uint8_t b[8];

	for (int i = 7; i >= 0; i--) {
		b[i] = (uint8_t)v;
		v >>= 8;
	}
	if (serial_from_bytes(s, b, 8) != 0)
		die("serial", NULL);
}

uint8_t *fx_response(const struct fx_ca *c, const struct fx_single *s, size_t n,
    int64_t this_update, int64_t next_update, size_t *len)
{
	struct status_rec st[8];
	struct single_resp sr[8];
	struct response_opts o = { .produced_at = this_update };
	uint8_t *buf = malloc(RESPONSE_MAX), *der;
	const uint8_t *out;
	struct err e = { "" };

	if (buf == NULL || n > 8)
		die("response", NULL);
	for (size_t i = 0; i < n; i++) {
		memset(&st[i], 0, sizeof(st[i]));
		serial_of(s[i].serial, &st[i].serial);
		st[i].status = (uint8_t)s[i].status;
		st[i].reason = REASON_NONE;
		st[i].revoked_at = s[i].revoked_at;
		sr[i] = (struct single_resp){ s[i].alg, c->ca->hash[s[i].alg].name,
		    c->ca->hash[s[i].alg].key, &st[i].serial, &st[i], this_update, next_update };
	}
	if (response_build(ca_signer_now(c->ca), c->sc, sr, n, &o, buf, RESPONSE_MAX, &out, len, &e) != 0)
		die("response_build", &e);
	der = malloc(*len);
	if (der == NULL)
		die("out of memory", NULL);
	memcpy(der, out, *len);
	free(buf);
	return der;
}

uint8_t *fx_response1(const struct fx_ca *c, enum hash_alg alg, long serial,
    enum cert_status status, int64_t this_update, int64_t next_update, size_t *len)
{
	struct fx_single s = { serial, alg, status, this_update - DAY };

	return fx_response(c, &s, 1, this_update, next_update, len);
}

void fx_write(const char *dir, const char *name, const void *data, size_t len)
{
	struct err e = { "" };
	int fd;

	if (fs_mkdirs(dir, 0755, &e) != 0)
		die(dir, &e);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		die(dir, NULL);
	if (fs_write_atomic(fd, name, data, len, FS_NOSYNC, &e) != 0)
		die(name, &e);
	close(fd);
}

void fx_issuer_dir(char *out, const char *root, const struct fx_ca *c)
{
	if (tree_path(out, TREE_PATH_MAX, root, c->ca->dir, -1, NULL) < 0)
		die("issuer directory path", NULL);
}

void fx_response_path(char *out, const char *root, const struct fx_ca *c,
    enum hash_alg alg, long serial)
{
	struct serial s;

	serial_of(serial, &s);
	if (tree_response_path(out, TREE_PATH_MAX, root, c->ca->dir, (int)alg, &s) < 0)
		die("response path", NULL);
}

void fx_put(const char *root, const struct fx_ca *c, enum hash_alg alg, long serial,
    const void *data, size_t len)
{
	char path[TREE_PATH_MAX], *slash;

	fx_response_path(path, root, c, alg, serial);
	slash = strrchr(path, '/');
	*slash = '\0';
	fx_write(path, slash + 1, data, len);
}

void fx_issuer_meta(const char *root, const struct fx_ca *c, unsigned presigned,
    uint64_t generation)
{
	struct issuer_meta m;
	char text[TREE_META_MAX], dir[TREE_PATH_MAX];
	size_t len = 0;
	struct err e = { "" };

	memset(&m, 0, sizeof(m));
	m.format = TREE_FORMAT;
	snprintf(m.name, sizeof(m.name), "test");
	snprintf(m.subject, sizeof(m.subject), "%s", c->ca->subject);
	for (int alg = 0; alg < HASH_COUNT; alg++) {
		if (certid_issuer_hash(c->cert, (enum hash_alg)alg, &m.hash[alg], &e) != 0)
			die("certid_issuer_hash", &e);
		m.have_hash |= 1u << alg;
	}
	m.presigned = presigned;
	snprintf(m.signer_fpr, sizeof(m.signer_fpr), "%s", ca_signer_now(c->ca)->fpr);
	snprintf(m.signer_subject, sizeof(m.signer_subject), "%s", ca_signer_now(c->ca)->subject);
	m.validity = 4 * DAY;
	m.refresh = 2 * DAY;
	m.backdate = 3600;
	m.generation = generation;
	m.published = 1700000000;
	if (issuer_meta_format(&m, text, sizeof(text), &len, &e) != 0)
		die("issuer_meta_format", &e);
	fx_issuer_dir(dir, root, c);
	fx_write(dir, TREE_ISSUER_META, text, len);
}

void fx_marker(const char *root, uint64_t generation, uint64_t issuers)
{
	struct tree_marker m = { TREE_FORMAT, generation, 1700000000, issuers, { 0, 0 } };
	char text[1024];
	size_t len = 0;
	struct err e = { "" };

	if (tree_marker_format(&m, text, sizeof(text), &len, &e) != 0)
		die("tree_marker_format", &e);
	fx_write(root, TREE_MARKER, text, len);
}

uint8_t *fx_read(const char *path, size_t *len)
{
	uint8_t *data = NULL;
	struct err e = { "" };

	if (fs_read_file(path, 1 << 20, &data, len, &e) != 0)
		die(path, &e);
	return data;
}

void fx_rmtree(const char *root)
{
	char path[TREE_PATH_MAX];
	struct dirent *de;
	struct stat st;
	DIR *d;

	if (lstat(root, &st) != 0)
		return;
	if (!S_ISDIR(st.st_mode)) {
		unlink(root);
		return;
	}
	d = opendir(root);
	while (d != NULL && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", root, de->d_name) < (int)sizeof(path))
			fx_rmtree(path);
	}
	if (d != NULL)
		closedir(d);
	rmdir(root);
}
