/* Tree mode: every certificate of every CA's source has its response
 * file (per pre-signed CertID hash, and its GET keys when the tree keeps
 * them), each file is checked, and every other file in an issuer
 * directory is a stray. Paths come from the tree's one path builder. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ocsp/get_key.h"
#include "ocsp/tree.h"

#include "audit.h"

/* One file to check: a record of a CA, with one CertID hash. */
struct job {
	uint32_t ca;
	uint8_t alg;
	size_t rec;
};

struct tree_audit {
	struct audit_run *r;
	struct job *jobs;
	size_t njobs;
	uint8_t **buf;			/* per worker, AUDIT_RESPONSE_MAX + 1 bytes */
	uint8_t **get_buf;		/* per worker, for comparing GET keys */
	unsigned get_keys[CONFIG_MAX_CAS];	/* not used beyond ncas */
};

struct where {
	struct audit_run *r;
	const struct audit_ca *a;
	const struct serial *serial;
	const char *path;
};

static void tell(void *arg, enum audit_kind k, const char *what)
{
	const struct where *w = arg;

	audit_out_finding(w->r->out, w->a->name, w->serial, w->path, k, what);
}

/* Reads a file of at most AUDIT_RESPONSE_MAX bytes into buf without
 * following a link. Returns its length, -1 when it does not exist, -2
 * with e set when it cannot be used. */
static long read_response(const char *path, uint8_t *buf, struct err *e)
{
	struct stat st;
	size_t got = 0;
	long ret = -2;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);

	if (fd < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return -1;
		err_set(e, "%s", errno == ELOOP ? "a symbolic link" : strerror(errno));
		return -2;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		err_set(e, "not a regular file");
		goto out;
	}
	/* Read one byte more than allowed, to see a file that is too big. */
	while (got <= AUDIT_RESPONSE_MAX) {
		ssize_t n = read(fd, buf + got, AUDIT_RESPONSE_MAX + 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err_set(e, "read: %s", strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	ret = (long)got;
out:
	close(fd);
	return ret;
}

/* The GET keys of one response must hold the same bytes (get_key.h). */
static void check_get_keys(struct tree_audit *t, unsigned worker, struct where *w,
    enum hash_alg alg, const uint8_t *der, size_t len)
{
	struct get_key_names k;
	char path[TREE_PATH_MAX];
	struct err e;

	if (get_key_names(alg, &w->a->ca->hash[alg], w->serial, &k, &e) != 0) {
		audit_out_finding(t->r->out, w->a->name, w->serial, w->path, AUDIT_UNCHECKED, e.msg);
		return;
	}
	for (size_t i = 0; i < k.n; i++) {
		int n = snprintf(path, sizeof(path), "%s/%s/%s", t->r->tree, GET_KEY_DIR, k.name[i]);
		if (n < 0 || (size_t)n >= sizeof(path))
			continue;
		long got = read_response(path, t->get_buf[worker], &e);
		if (got == -1)
			audit_out_finding(t->r->out, w->a->name, w->serial, path, AUDIT_MISSING,
			    "no GET key file (issuer.meta says get_keys)");
		else if (got < 0)
			audit_out_finding(t->r->out, w->a->name, w->serial, path, AUDIT_UNCHECKED, e.msg);
		else if ((size_t)got != len || memcmp(t->get_buf[worker], der, len) != 0)
			audit_out_finding(t->r->out, w->a->name, w->serial, path, AUDIT_STATUS,
			    "the GET key holds other bytes than the response file");
	}
}

static void tree_job(void *arg, unsigned worker, size_t i)
{
	struct tree_audit *t = arg;
	const struct job *j = &t->jobs[i];
	struct audit_ca *a = &t->r->cas[j->ca];
	const struct status_rec *rec = &a->recs.v[j->rec];
	struct audit_expect x = { (enum hash_alg)j->alg, &rec->serial, rec };
	char path[TREE_PATH_MAX];
	struct where w = { t->r, a, &rec->serial, path };
	struct audit_sink s = { tell, &w };
	struct err e;
	long len;
	int n;

	if (tree_response_path(path, sizeof(path), t->r->tree, a->ca->dir, j->alg,
	    &rec->serial) < 0) {
		audit_out_finding(t->r->out, a->name, &rec->serial, t->r->tree, AUDIT_UNCHECKED,
		    "no tree path for this serial");
		return;
	}
	len = read_response(path, t->buf[worker], &e);
	if (len == -1) {
		audit_out_finding(t->r->out, a->name, &rec->serial, path, AUDIT_MISSING,
		    "no response file for a certificate of the source");
		audit_out_checked(t->r->out, 0);
		return;
	}
	if (len < 0) {
		audit_out_finding(t->r->out, a->name, &rec->serial, path, AUDIT_UNCHECKED, e.msg);
		audit_out_checked(t->r->out, 0);
		return;
	}
	n = audit_check(a, &t->r->policy, &x, t->buf[worker], (size_t)len, NULL, &s);
	if (t->get_keys[j->ca] & (1u << j->alg))
		check_get_keys(t, worker, &w, (enum hash_alg)j->alg, t->buf[worker], (size_t)len);
	audit_out_checked(t->r->out, n == 0);
}

/* Names an issuer directory (or one of its hash subdirectories) may hold
 * besides responses. */
static int tree_own_name(const char *name, int top)
{
	if (name[0] == '.')
		return 1;	/* ".", "..", the publisher's temp files and lock */
	if (!top)
		return 0;
	if (strcmp(name, TREE_ISSUER_META) == 0 || strcmp(name, TREE_STATUS_INDEX) == 0)
		return 1;
	return hash_from_name(name) > HASH_SHA1;
}

static void scan_strays(struct audit_run *r, const struct audit_ca *a, int alg)
{
	char dir[TREE_PATH_MAX], path[TREE_PATH_MAX];
	struct serial s;
	struct err e;
	struct dirent *d;
	DIR *dp;

	if (tree_path(dir, sizeof(dir), r->tree, a->ca->dir, alg, NULL) < 0 ||
	    (dp = opendir(dir)) == NULL)
		return;	/* no directory: every certificate is reported missing */
	while ((d = readdir(dp)) != NULL) {
		if (tree_own_name(d->d_name, alg == HASH_SHA1))
			continue;
		if (tree_path(path, sizeof(path), r->tree, a->ca->dir, alg, d->d_name) < 0)
			snprintf(path, sizeof(path), "%.4000s/(a name too long)", dir);
		if (!serial_name_valid(d->d_name) ||
		    serial_from_hex(&s, d->d_name, strlen(d->d_name), &e) != 0) {
			audit_out_finding(r->out, a->name, NULL, path, AUDIT_STRAY,
			    "not a response name of the tree");
			continue;
		}
		if (status_list_find(&a->recs, &s) == NULL)
			audit_out_finding(r->out, a->name, &s, path, AUDIT_STRAY,
			    "a response for a serial the source does not have");
	}
	closedir(dp);
}

/* issuer.meta tells the hashes and GET keys the publisher keeps and the
 * refresh it works to; without it the configuration's are expected. */
static void read_meta(struct tree_audit *t, size_t ci)
{
	struct audit_ca *a = &t->r->cas[ci];
	char path[TREE_PATH_MAX];
	struct issuer_meta m;
	struct err e;

	if (tree_path(path, sizeof(path), t->r->tree, a->ca->dir, -1, TREE_ISSUER_META) < 0)
		return;
	if (issuer_meta_read(path, &m, &e) != 0) {
		audit_out_finding(t->r->out, a->name, NULL, path, AUDIT_MISSING, e.msg);
		return;
	}
	a->algs |= m.presigned;
	t->get_keys[ci] = m.get_keys;
	if (m.refresh > 0)
		a->refresh = m.refresh;
}

static int plan(struct tree_audit *t, struct err *e)
{
	size_t n = 0;

	for (size_t c = 0; c < t->r->ncas; c++)
		for (int alg = 0; alg < HASH_COUNT; alg++)
			if (t->r->cas[c].algs & (1u << alg))
				n += t->r->cas[c].recs.n;
	t->jobs = calloc(n ? n : 1, sizeof(*t->jobs));
	if (t->jobs == NULL)
		return err_set(e, "out of memory");
	for (size_t c = 0; c < t->r->ncas; c++)
		for (int alg = 0; alg < HASH_COUNT; alg++)
			if (t->r->cas[c].algs & (1u << alg))
				for (size_t i = 0; i < t->r->cas[c].recs.n; i++)
					t->jobs[t->njobs++] = (struct job){ (uint32_t)c, (uint8_t)alg, i };
	return 0;
}

static int buffers(struct tree_audit *t, struct err *e)
{
	unsigned n = t->r->threads;

	t->buf = calloc(n, sizeof(*t->buf));
	t->get_buf = calloc(n, sizeof(*t->get_buf));
	if (t->buf == NULL || t->get_buf == NULL)
		return err_set(e, "out of memory");
	for (unsigned i = 0; i < n; i++)
		if ((t->buf[i] = malloc(AUDIT_RESPONSE_MAX + 1)) == NULL ||
		    (t->get_buf[i] = malloc(AUDIT_RESPONSE_MAX + 1)) == NULL)
			return err_set(e, "out of memory");
	return 0;
}

int audit_tree(struct audit_run *r, struct err *e)
{
	struct tree_audit *t = calloc(1, sizeof(*t));
	struct tree_marker mk;
	int ret = -1;

	if (t == NULL)
		return err_set(e, "out of memory");
	t->r = r;
	if (tree_marker_read(r->tree, &mk, e) != 0)
		audit_out_finding(r->out, NULL, NULL, r->tree, AUDIT_MISSING,
		    "no generation marker: no publish has completed");
	for (size_t c = 0; c < r->ncas; c++)
		if (r->cas[c].loaded)
			read_meta(t, c);
	if (plan(t, e) != 0 || buffers(t, e) != 0 ||
	    audit_pool_run(t->njobs, r->threads, tree_job, t, e) != 0)
		goto out;
	/* A CA whose source could not be read has no strays: it was not
	 * audited (and said so). */
	for (size_t c = 0; c < r->ncas; c++)
		for (int alg = 0; r->cas[c].loaded && alg < HASH_COUNT; alg++)
			if (r->cas[c].algs & (1u << alg))
				scan_strays(r, &r->cas[c], alg);
	ret = 0;
out:
	for (unsigned i = 0; t->buf && i < r->threads; i++)
		free(t->buf[i]);
	for (unsigned i = 0; t->get_buf && i < r->threads; i++)
		free(t->get_buf[i]);
	free(t->buf);
	free(t->get_buf);
	free(t->jobs);
	free(t);
	return ret;
}
