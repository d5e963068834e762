#include "ocsp/issued.h"

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "ocsp/fsutil.h"
#include "ocsp/log.h"
#include "ocsp/timefmt.h"
#include "ocsp/zfile.h"

/* What issued_changed compares for a dir: list. */
struct dir_sig {
	struct file_sig dir;
	size_t files;
	int64_t newest_s;
	long newest_ns;
};

struct issued {
	char *spec;
	const char *path;	/* into spec */
	int is_dir;
	struct status_list list;
	struct issued_stats stats;
	struct file_sig file_sig;
	struct dir_sig dir_sig;
};

/* Names of skipped files for one warning, already escaped. */
struct skipped {
	size_t n;
	char names[ISSUED_WARN_NAMES][160];
};

static int is_blank(char c)
{
	return c == ' ' || c == '\t';
}

int issued_parse_line(const char *line, size_t len, struct serial *out, struct err *e)
{
	size_t i = 0, start, end;

	while (i < len && is_blank(line[i]))
		i++;
	if (i == len || line[i] == '#')
		return 0;
	if (len - i >= 2 && line[i] == '0' && (line[i + 1] == 'x' || line[i + 1] == 'X'))
		i += 2;
	start = i;
	while (i < len && !is_blank(line[i]) && line[i] != '#')
		i++;
	end = i;
	while (i < len && is_blank(line[i]))
		i++;
	if (i < len && line[i] != '#')
		return err_set(e, "one serial per line expected, found more text after it");
	if (end == start)
		return err_set(e, "empty serial number");
	return serial_from_hex(out, line + start, end - start, e) != 0 ? -1 : 1;
}

static int cmp_rec(const void *a, const void *b)
{
	const struct status_rec *x = a, *y = b;
	int c = serial_cmp(&x->serial, &y->serial);

	if (c != 0)
		return c;
	return x->line < y->line ? -1 : x->line > y->line;
}

/* Sorts and collapses duplicates, keeping the first line and the latest
 * expiry. */
static void sort_unique(struct issued *is)
{
	struct status_list *l = &is->list;
	size_t o = 0;

	if (l->n == 0)
		return;
	qsort(l->v, l->n, sizeof(l->v[0]), cmp_rec);
	for (size_t i = 1; i < l->n; i++) {
		if (serial_cmp(&l->v[o].serial, &l->v[i].serial) == 0) {
			if (l->v[i].not_after > l->v[o].not_after)
				l->v[o].not_after = l->v[i].not_after;
			is->stats.duplicates++;
			continue;
		}
		l->v[++o] = l->v[i];
	}
	l->n = o + 1;
}

static int push(struct issued *is, const struct serial *s, int64_t not_after,
    uint32_t line, struct err *e)
{
	struct status_rec *r = status_list_push(&is->list);

	if (r == NULL)
		return err_set(e, "%s: out of memory", is->spec);
	r->serial = *s;
	r->status = CERT_GOOD;
	r->reason = REASON_NONE;
	r->not_after = not_after;
	r->line = line;
	return 0;
}

static int load_file(struct issued *is, struct err *e)
{
	struct zfile *zf = NULL;
	const char *line;
	size_t n;
	int got, ret = -1;

	/* before reading: a change while reading shows at the next check */
	file_sig_get(is->path, 1, &is->file_sig);
	if (zfile_open(is->path, ISSUED_MAX_LINE, &zf, e) != 0)
		return -1;
	while ((got = zfile_line(zf, &line, &n, e)) > 0) {
		struct serial s;
		int r = issued_parse_line(line, n, &s, e);

		if (r < 0) {
			err_prefix(e, "%s:%u", is->path, zfile_lineno(zf));
			goto out;
		}
		if (r > 0 && push(is, &s, 0, zfile_lineno(zf), e) != 0)
			goto out;
	}
	if (got < 0)
		goto out;
	ret = 0;
out:
	zfile_close(zf);
	return ret;
}

/* A DER certificate filling the buffer, else the first certificate of PEM
 * text (PEM_read_bio_X509 skips any text before it). */
static X509 *parse_cert(const uint8_t *b, size_t n)
{
	const unsigned char *p = b;
	X509 *x = n > 0 && b[0] == 0x30 ? d2i_X509(NULL, &p, (long)n) : NULL;

	if (x != NULL && p != b + n) {
		X509_free(x);
		x = NULL;
	}
	if (x == NULL) {
		BIO *bio = BIO_new_mem_buf(b, (int)n);
		if (bio != NULL)
			x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
		BIO_free(bio);
	}
	ERR_clear_error();
	return x;
}

static int same_issuer(X509 *cert, X509 *ca)
{
	const ASN1_OCTET_STRING *aki, *ski;

	if (X509_NAME_cmp(X509_get_issuer_name(cert), X509_get_subject_name(ca)) != 0)
		return 0;
	aki = X509_get0_authority_key_id(cert);
	ski = X509_get0_subject_key_id(ca);
	return aki == NULL || ski == NULL || ASN1_OCTET_STRING_cmp(aki, ski) == 0;
}

static void note(struct skipped *sk, const char *name, const char *why)
{
	if (sk->n < ISSUED_WARN_NAMES) {
		char esc[120];

		log_escape(esc, sizeof(esc), name, strlen(name));
		snprintf(sk->names[sk->n], sizeof(sk->names[0]), "%s%s%s%s", esc,
		    why ? " (" : "", why ? why : "", why ? ")" : "");
	}
	sk->n++;
}

static void warn_skipped(const struct issued *is, const struct skipped *sk,
    const char *what, void (*warn)(void *, const char *), void *arg)
{
	char msg[1200];
	int o;

	if (sk->n == 0 || warn == NULL)
		return;
	o = snprintf(msg, sizeof(msg), "%s: %zu %s skipped:", is->spec, sk->n, what);
	for (size_t i = 0; i < sk->n && i < ISSUED_WARN_NAMES && o > 0 &&
	    (size_t)o < sizeof(msg); i++)
		o += snprintf(msg + o, sizeof(msg) - (size_t)o, "%s %s", i ? "," : "",
		    sk->names[i]);
	if (sk->n > ISSUED_WARN_NAMES && o > 0 && (size_t)o < sizeof(msg))
		snprintf(msg + o, sizeof(msg) - (size_t)o, ", ...");
	warn(arg, msg);
}

/* Folds one file's times into the directory's signature. */
static void sig_add(struct dir_sig *d, const struct stat *st)
{
	const struct timespec *t[2] = { &st->st_mtim, &st->st_ctim };

	d->files++;
	for (int i = 0; i < 2; i++) {
		if (t[i]->tv_sec > d->newest_s ||
		    (t[i]->tv_sec == d->newest_s && t[i]->tv_nsec > d->newest_ns)) {
			d->newest_s = t[i]->tv_sec;
			d->newest_ns = t[i]->tv_nsec;
		}
	}
}

/* One regular file of a dir: list: its certificate, if it is one of ours. */
static int load_entry(struct issued *is, X509 *ca, const char *name,
    struct skipped *other, struct skipped *bad, struct err *e)
{
	char path[FS_PATH_MAX];
	struct err fe = { "" };
	uint8_t *b = NULL;
	size_t n, plen;
	X509 *x = NULL;
	const ASN1_INTEGER *sn;
	struct serial s;
	int64_t not_after = 0;
	int ret = 0;

	plen = (size_t)snprintf(path, sizeof(path), "%s/%s", is->path, name);
	if (plen >= sizeof(path)) {
		note(bad, name, "path too long");
		goto skip;
	}
	if (fs_read_file(path, ISSUED_MAX_FILE_BYTES, &b, &n, &fe) != 0) {
		/* its message names the path: keep only the reason */
		const char *why = strncmp(fe.msg, path, plen) == 0 && fe.msg[plen] == ':' ?
		    fe.msg + plen + 2 : fe.msg;
		note(bad, name, why);
		goto skip;
	}
	x = parse_cert(b, n);
	if (x == NULL) {
		note(bad, name, "not a certificate");
		goto skip;
	}
	if (!same_issuer(x, ca)) {
		is->stats.other_issuer++;
		note(other, name, NULL);
		goto out;
	}
	sn = X509_get0_serialNumber(x);
	if (ASN1_STRING_type(sn) != V_ASN1_INTEGER ||
	    serial_from_bytes(&s, ASN1_STRING_get0_data(sn), (size_t)ASN1_STRING_length(sn)) != 0) {
		note(bad, name, "negative or overlong serial");
		goto skip;
	}
	if (timefmt_from_asn1(X509_get0_notAfter(x), &not_after) != 0) {
		note(bad, name, "unreadable notAfter");
		goto skip;
	}
	ret = push(is, &s, not_after, 0, e);
	goto out;
skip:
	is->stats.not_cert++;
out:
	X509_free(x);
	free(b);
	return ret;
}

/* Walks the directory of spec: with load (and ca), loads every
 * certificate into it; without, only computes the signature. */
static int scan_dir(const char *spec, const char *path, struct issued *load, X509 *ca,
    struct dir_sig *sig, struct skipped *other, struct skipped *bad, struct err *e)
{
	DIR *d;
	struct dirent *de;
	struct stat st;
	int ret = -1;

	memset(sig, 0, sizeof(*sig));
	d = opendir(path);
	if (d == NULL)
		return err_set(e, "%s: %s", spec, strerror(errno));
	/* the directory before its entries: a change during the scan shows
	 * at the next check */
	if (fstat(dirfd(d), &st) != 0) {
		err_set(e, "%s: %s", spec, strerror(errno));
		goto out;
	}
	file_sig_from_stat(&sig->dir, &st);
	for (;;) {
		errno = 0;
		de = readdir(d);
		if (de == NULL)
			break;
		if (de->d_name[0] == '.')
			continue;
		/* followed: a symlink to a certificate counts as the file, and
		 * one that leads nowhere is reported like an unreadable file */
		if (fstatat(dirfd(d), de->d_name, &st, 0) != 0) {
			if (load != NULL) {
				load->stats.not_cert++;
				note(bad, de->d_name, strerror(errno));
			}
			continue;
		}
		if (!S_ISREG(st.st_mode))
			continue;
		sig_add(sig, &st);
		if (load == NULL)
			continue;
		load->stats.files++;
		if (load_entry(load, ca, de->d_name, other, bad, e) != 0)
			goto out;
	}
	if (errno != 0) {
		err_set(e, "%s: reading the directory: %s", spec, strerror(errno));
		goto out;
	}
	ret = 0;
out:
	closedir(d);
	return ret;
}

static int load_dir(struct issued *is, X509 *ca, void (*warn)(void *, const char *),
    void *warn_arg, struct err *e)
{
	struct skipped other = { 0 }, bad = { 0 };

	if (ca == NULL)
		return err_set(e, "%s: a dir: list needs the CA's certificate", is->spec);
	if (scan_dir(is->spec, is->path, is, ca, &is->dir_sig, &other, &bad, e) != 0)
		return -1;
	warn_skipped(is, &other, "certificates of another CA", warn, warn_arg);
	warn_skipped(is, &bad, "files that are not certificates of this CA", warn,
	    warn_arg);
	return 0;
}

static int parse_spec(struct issued *is, const char *spec, struct err *e)
{
	size_t n = strlen(spec);

	if (n > 5 && strncmp(spec, "file:", 5) == 0) {
		is->path = spec + 5;
	} else if (n > 4 && strncmp(spec, "dir:", 4) == 0) {
		is->path = spec + 4;
		is->is_dir = 1;
	} else {
		char esc[80];
		return err_set(e, "issued list '%s': expected dir:/path or file:/path",
		    log_escape(esc, sizeof(esc), spec, n));
	}
	if (strlen(is->path) >= FS_PATH_MAX)
		return err_set(e, "issued list: path longer than %d bytes", FS_PATH_MAX - 1);
	return 0;
}

int issued_load(const char *spec, X509 *ca, void (*warn)(void *arg, const char *msg),
    void *warn_arg, struct issued **out, struct err *e)
{
	struct issued *is = calloc(1, sizeof(*is));
	int r;

	*out = NULL;
	if (is == NULL)
		return err_set(e, "issued list: out of memory");
	status_list_init(&is->list);
	is->spec = strdup(spec);
	if (is->spec == NULL) {
		err_set(e, "issued list: out of memory");
		goto fail;
	}
	if (parse_spec(is, is->spec, e) != 0)
		goto fail;
	r = is->is_dir ? load_dir(is, ca, warn, warn_arg, e) : load_file(is, e);
	if (r != 0)
		goto fail;
	sort_unique(is);
	*out = is;
	return 0;
fail:
	issued_free(is);
	return -1;
}

void issued_free(struct issued *is)
{
	if (is == NULL)
		return;
	status_list_fini(&is->list);
	free(is->spec);
	free(is);
}

const struct status_list *issued_list(const struct issued *is)
{
	return &is->list;
}

const struct status_rec *issued_find(const struct issued *is, const struct serial *s)
{
	return status_list_find(&is->list, s);
}

const struct issued_stats *issued_stats(const struct issued *is)
{
	return &is->stats;
}

const char *issued_name(const struct issued *is)
{
	return is->spec;
}

int issued_changed(const struct issued *is)
{
	struct dir_sig now;
	struct file_sig fs;

	if (!is->is_dir) {
		file_sig_get(is->path, 1, &fs);
		return !fs.exists || !file_sig_eq(&fs, &is->file_sig);
	}
	if (scan_dir(is->spec, is->path, NULL, NULL, &now, NULL, NULL, NULL) != 0)
		return 1;
	return !file_sig_eq(&now.dir, &is->dir_sig.dir) || now.files != is->dir_sig.files ||
	    now.newest_s != is->dir_sig.newest_s || now.newest_ns != is->dir_sig.newest_ns;
}
