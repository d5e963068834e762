/* Journal files: the writer (a temp file streamed through zlib, renamed
 * into place only when complete), retention with an anchor, and the chain
 * check. The file name carries the run's number, zero-padded, so the
 * directory sorts in chain order. */
#include "ocsp/journal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <zlib.h>

#include "ocsp/array.h"
#include "ocsp/fsutil.h"
#include "ocsp/tree.h"
#include "ocsp/zfile.h"

/* The anchor file: a header line and one anchor line. */
#define ANCHOR_FILE_MAX 256
/* zlib's buffer for the writer: fewer, larger writes. */
#define GZ_BUFFER (128 * 1024)
#define READ_CHUNK (64 * 1024)

struct journal_writer {
	int dirfd;
	int fd;
	gzFile gz;
	char name[JOURNAL_NAME_MAX + 1];
	char tmp[JOURNAL_NAME_MAX + 8];
	uint64_t seq;
	uint64_t n_signed, n_removed;
	int in_place;
};

static void seq_name(char *out, size_t size, uint64_t seq)
{
	snprintf(out, size, "%0*" PRIu64 ".gz", JOURNAL_SEQ_DIGITS, seq);
}

/* The number of a journal file's name, or 0 for any other name. */
static uint64_t name_seq(const char *name)
{
	uint64_t v = 0;

	if (strlen(name) != JOURNAL_NAME_MAX || strcmp(name + JOURNAL_SEQ_DIGITS, ".gz") != 0)
		return 0;
	for (int i = 0; i < JOURNAL_SEQ_DIGITS; i++) {
		if (name[i] < '0' || name[i] > '9')
			return 0;
		v = v * 10 + (uint64_t)(name[i] - '0');
	}
	return v;
}

static int open_dir(const char *tree, int create, int *fd, struct err *e)
{
	char path[FS_PATH_MAX];

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", tree, JOURNAL_DIR) >= sizeof(path))
		return err_set(e, "%s: path too long", tree);
	if (create && mkdir(path, 0700) != 0 && errno != EEXIST)
		return err_set(e, "%s: %s", path, strerror(errno));
	*fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (*fd < 0)
		return err_set(e, "%s: %s", path, strerror(errno));
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The numbers of the journal files in dirfd, ascending (malloc'd); temp
 * files of a killed run are removed on the way when clean is set. */
static int list_files(int dirfd, int clean, uint64_t **out, size_t *n, struct err *e)
{
	int fd = dup(dirfd);
	DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;
	uint64_t *v = NULL;
	size_t cap = 0, k = 0;
	struct dirent *de;
	int ret = -1;

	if (dir == NULL) {
		if (fd >= 0)
			close(fd);
		return err_set(e, "cannot list the journal directory: %s", strerror(errno));
	}
	while ((de = readdir(dir)) != NULL) {
		size_t len = strlen(de->d_name);
		uint64_t s = name_seq(de->d_name);
		if (clean && de->d_name[0] == '.' && len > 5 && strcmp(de->d_name + len - 4, ".tmp") == 0)
			unlinkat(dirfd, de->d_name, 0);
		if (s == 0)
			continue;
		uint64_t *g = array_grow(v, &cap, k + 1, sizeof(*v));
		if (g == NULL) {
			err_set(e, "out of memory");
			goto out;
		}
		v = g;
		v[k++] = s;
	}
	if (k > 1)
		qsort(v, k, sizeof(*v), cmp_u64);
	*out = v;
	*n = k;
	v = NULL;
	ret = 0;
out:
	free(v);
	closedir(dir);
	return ret;
}

/* SHA-256 of a journal file's bytes, read in chunks (no whole-file copy). */
static int file_sha256(int dirfd, const char *name, uint8_t out[JOURNAL_SHA256_LEN],
    struct err *e)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	uint8_t *buf = malloc(READ_CHUNK);
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	uint64_t total = 0;
	struct stat st;
	int ret = -1;

	if (md == NULL || buf == NULL || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
		err_set(e, "out of memory");
		goto out;
	}
	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		err_set(e, "%s: %s", name, fd < 0 ? strerror(errno) : "not a regular file");
		goto out;
	}
	for (;;) {
		ssize_t got = read(fd, buf, READ_CHUNK);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			err_set(e, "%s: %s", name, strerror(errno));
			goto out;
		}
		if (got == 0)
			break;
		total += (uint64_t)got;
		if (total > JOURNAL_FILE_MAX) {
			err_set(e, "%s: larger than %" PRIu64 " bytes", name, JOURNAL_FILE_MAX);
			goto out;
		}
		EVP_DigestUpdate(md, buf, (size_t)got);
	}
	if (EVP_DigestFinal_ex(md, out, NULL) != 1) {
		err_set(e, "%s: SHA-256 failed", name);
		goto out;
	}
	ret = 0;
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	EVP_MD_CTX_free(md);
	return ret;
}

/* The anchor, if pruning wrote one: *have 0 when there is none. */
static int anchor_read(int dirfd, int *have, struct journal_line *a, struct err *e)
{
	char buf[ANCHOR_FILE_MAX + 1];
	struct journal_line h;
	ssize_t n;
	char *nl;
	int fd = openat(dirfd, JOURNAL_ANCHOR, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	*have = 0;
	if (fd < 0)
		return errno == ENOENT ? 0 : err_set(e, "anchor: %s", strerror(errno));
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n < 0 || n > ANCHOR_FILE_MAX)
		return err_set(e, "anchor: unreadable or longer than %d bytes", ANCHOR_FILE_MAX);
	buf[n] = '\0';
	nl = memchr(buf, '\n', (size_t)n);
	if (nl == NULL || journal_line_parse(buf, (size_t)(nl - buf), &h, e) != 0 ||
	    h.tag != JOURNAL_HEADER)
		return err_prefix(e, "anchor: no journal header");
	char *line = nl + 1, *end = memchr(line, '\n', (size_t)(buf + n - line));
	if (end == NULL || end + 1 != buf + n ||
	    journal_line_parse(line, (size_t)(end - line), a, e) != 0 ||
	    a->tag != JOURNAL_ANCHOR_LINE)
		return err_prefix(e, "anchor: not one anchor line");
	*have = 1;
	return 0;
}

static int anchor_write(int dirfd, uint64_t seq, const uint8_t *hash, struct err *e)
{
	struct journal_line h = { .tag = JOURNAL_HEADER, .format = JOURNAL_FORMAT };
	struct journal_line a = { .tag = JOURNAL_ANCHOR_LINE, .seq = seq, .has_hash = 1 };
	char text[2 * (JOURNAL_LINE_MAX + 2)];
	size_t n1 = 0, n2 = 0;

	memcpy(a.hash, hash, JOURNAL_SHA256_LEN);
	if (journal_line_format(&h, text, sizeof(text), &n1, e) != 0 ||
	    journal_line_format(&a, text + n1, sizeof(text) - n1, &n2, e) != 0)
		return -1;
	return fs_write_atomic(dirfd, JOURNAL_ANCHOR, text, n1 + n2, FS_SYNC, e);
}

/* Where the next file joins the chain: its number and its prev. */
static int chain_head(int dirfd, uint64_t *seq, struct journal_line *prev, struct err *e)
{
	struct journal_line a;
	uint64_t *v = NULL;
	size_t n = 0;
	int have = 0, ret = -1;
	char name[JOURNAL_NAME_MAX + 1];

	memset(prev, 0, sizeof(*prev));
	prev->tag = JOURNAL_PREV;
	if (list_files(dirfd, 1, &v, &n, e) != 0 || anchor_read(dirfd, &have, &a, e) != 0)
		goto out;
	if (n > 0 && (!have || v[n - 1] > a.seq)) {
		seq_name(name, sizeof(name), v[n - 1]);
		if (file_sha256(dirfd, name, prev->hash, e) != 0)
			goto out;
		prev->has_hash = 1;
		*seq = v[n - 1] + 1;
	} else if (have) {
		memcpy(prev->hash, a.hash, JOURNAL_SHA256_LEN);
		prev->has_hash = 1;
		*seq = a.seq + 1;
	} else {
		*seq = 1;
	}
	if (*seq > JOURNAL_SEQ_MAX) {
		err_set(e, "journal: run numbers exhausted");
		goto out;
	}
	ret = 0;
out:
	free(v);
	return ret;
}

static int write_line(struct journal_writer *w, const struct journal_line *l, struct err *e)
{
	char text[JOURNAL_LINE_MAX + 2];
	size_t n = 0;

	if (journal_line_format(l, text, sizeof(text), &n, e) != 0)
		return -1;
	if (gzwrite(w->gz, text, (unsigned)n) != (int)n)
		return err_set(e, "journal %s: write failed", w->tmp);
	return 0;
}

int journal_writer_open(const char *tree, uint64_t generation, int64_t start,
    struct journal_writer **out, struct err *e)
{
	struct journal_writer *w = calloc(1, sizeof(*w));
	struct journal_line prev, l = { .tag = JOURNAL_HEADER, .format = JOURNAL_FORMAT };
	int gfd;

	*out = NULL;
	if (w == NULL)
		return err_set(e, "out of memory");
	w->fd = -1;
	if (open_dir(tree, 1, &w->dirfd, e) != 0) {
		free(w);
		return -1;
	}
	if (chain_head(w->dirfd, &w->seq, &prev, e) != 0)
		goto fail;
	seq_name(w->name, sizeof(w->name), w->seq);
	fs_temp_name(w->tmp, sizeof(w->tmp), w->name);
	w->fd = openat(w->dirfd, w->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	gfd = w->fd >= 0 ? dup(w->fd) : -1;
	if (gfd < 0 || (w->gz = gzdopen(gfd, "wb6")) == NULL) {
		if (gfd >= 0)
			close(gfd);
		err_set(e, "journal %s: %s", w->tmp, strerror(errno));
		goto fail;
	}
	gzbuffer(w->gz, GZ_BUFFER);
	if (write_line(w, &l, e) != 0)
		goto fail;
	l = (struct journal_line){ .tag = JOURNAL_RUN, .seq = w->seq, .generation = generation,
	    .time = start };
	if (write_line(w, &l, e) != 0 || write_line(w, &prev, e) != 0)
		goto fail;
	*out = w;
	return 0;
fail:
	journal_writer_free(w);
	return -1;
}

int journal_writer_add(struct journal_writer *w, const struct journal_line *l, struct err *e)
{
	if (l->tag != JOURNAL_SIGNED && l->tag != JOURNAL_REMOVED && l->tag != JOURNAL_CA)
		return err_set(e, "internal: journal_writer_add of a %d line", (int)l->tag);
	if (write_line(w, l, e) != 0)
		return -1;
	w->n_signed += l->tag == JOURNAL_SIGNED;
	w->n_removed += l->tag == JOURNAL_REMOVED;
	return 0;
}

int journal_writer_commit(struct journal_writer *w, int64_t end, int result, uint64_t *seq,
    struct err *e)
{
	struct journal_line l = { .tag = JOURNAL_END, .time = end, .result = result,
	    .n_signed = w->n_signed, .n_removed = w->n_removed };
	int zr;

	if (write_line(w, &l, e) != 0)
		return -1;
	zr = gzclose(w->gz);
	w->gz = NULL;
	if (zr != Z_OK)
		return err_set(e, "journal %s: compressing failed (%d)", w->tmp, zr);
	if (fsync(w->fd) != 0 || close(w->fd) != 0) {
		w->fd = -1;
		return err_set(e, "journal %s: %s", w->tmp, strerror(errno));
	}
	w->fd = -1;
	if (renameat(w->dirfd, w->tmp, w->dirfd, w->name) != 0)
		return err_set(e, "journal %s: rename: %s", w->name, strerror(errno));
	w->in_place = 1;
	if (fsync(w->dirfd) != 0)
		return err_set(e, "journal %s: fsync of directory: %s", w->name, strerror(errno));
	if (seq != NULL)
		*seq = w->seq;
	return 0;
}

void journal_writer_free(struct journal_writer *w)
{
	if (w == NULL)
		return;
	if (w->gz != NULL)
		gzclose(w->gz);
	if (w->fd >= 0)
		close(w->fd);
	if (!w->in_place && w->tmp[0] != '\0')
		unlinkat(w->dirfd, w->tmp, 0);
	close(w->dirfd);
	free(w);
}

/* ---- retention ---- */

/* How many of the n oldest files go: beyond keep_runs, or older than the
 * cut-off by their time of writing (the rename, at the end of the run);
 * the newest always stays. */
static size_t prune_count(int dirfd, const uint64_t *v, size_t n, uint64_t keep_runs,
    int64_t cutoff)
{
	char name[JOURNAL_NAME_MAX + 1];
	struct stat st;
	size_t k = keep_runs != 0 && n > keep_runs ? n - (size_t)keep_runs : 0;

	while (cutoff != 0 && k + 1 < n) {
		seq_name(name, sizeof(name), v[k]);
		if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
		    (int64_t)st.st_mtime >= cutoff)
			break;
		k++;
	}
	return k;
}

int journal_prune(const char *tree, uint64_t keep_runs, uint64_t keep_days, int64_t now,
    size_t *pruned, struct err *e)
{
	struct journal_line a;
	char name[JOURNAL_NAME_MAX + 1];
	uint8_t hash[JOURNAL_SHA256_LEN];
	uint64_t *v = NULL;
	size_t n = 0, first = 0, k;
	int dirfd = -1, have = 0, ret = -1;
	int64_t cutoff = keep_days ? now - (int64_t)keep_days * 86400 : 0;

	*pruned = 0;
	if (open_dir(tree, 0, &dirfd, e) != 0)
		return -1;
	if (list_files(dirfd, 0, &v, &n, e) != 0 || anchor_read(dirfd, &have, &a, e) != 0)
		goto out;
	/* Files the anchor already covers: a prune killed before it unlinked them. */
	while (have && first < n && v[first] <= a.seq)
		first++;
	k = prune_count(dirfd, v + first, n - first, keep_runs, cutoff);
	if (k > 0) {
		seq_name(name, sizeof(name), v[first + k - 1]);
		/* The anchor first: a prune killed halfway leaves a chain that
		 * still verifies, from the anchor. */
		if (file_sha256(dirfd, name, hash, e) != 0 ||
		    anchor_write(dirfd, v[first + k - 1], hash, e) != 0)
			goto out;
	}
	for (size_t i = 0; i < first + k; i++) {
		seq_name(name, sizeof(name), v[i]);
		if (unlinkat(dirfd, name, 0) != 0 && errno != ENOENT) {
			err_set(e, "journal %s: %s", name, strerror(errno));
			goto out;
		}
		(*pruned)++;
	}
	if (*pruned > 0 && fsync(dirfd) != 0) {
		err_set(e, "journal directory: fsync: %s", strerror(errno));
		goto out;
	}
	ret = 0;
out:
	free(v);
	close(dirfd);
	return ret;
}

/* ---- the chain check ---- */

struct check {
	const struct journal_visit *v;
	struct journal_summary *sum;
	char msg[ERR_MSG_MAX];
};

static void problem(struct check *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void problem(struct check *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->msg, sizeof(c->msg), fmt, ap);
	va_end(ap);
	c->sum->problems++;
	if (c->v->on_problem != NULL)
		c->v->on_problem(c->v->arg, c->msg);
}

/* The order lines must come in: header, run, prev, then per CA its signed
 * and removed lines and its ca line, then end, then nothing. *stage: what
 * was seen last. */
enum { SEEN_NONE, SEEN_HEADER, SEEN_RUN, SEEN_ENTRIES, SEEN_CAS, SEEN_END };

static int line_in_order(enum journal_tag tag, int *stage, struct err *e)
{
	int s = *stage, next = -1;

	switch (tag) {
	case JOURNAL_HEADER: next = s == SEEN_NONE ? SEEN_HEADER : -1; break;
	case JOURNAL_RUN: next = s == SEEN_HEADER ? SEEN_RUN : -1; break;
	case JOURNAL_PREV: next = s == SEEN_RUN ? SEEN_ENTRIES : -1; break;
	case JOURNAL_SIGNED:
	case JOURNAL_REMOVED: next = s == SEEN_ENTRIES || s == SEEN_CAS ? SEEN_ENTRIES : -1; break;
	case JOURNAL_CA: next = s == SEEN_ENTRIES || s == SEEN_CAS ? SEEN_CAS : -1; break;
	case JOURNAL_END: next = s == SEEN_ENTRIES || s == SEEN_CAS ? SEEN_END : -1; break;
	case JOURNAL_ANCHOR_LINE: break;
	}
	if (next < 0)
		return err_set(e, "line out of order");
	*stage = next;
	return 0;
}

/* Reads one file whole, line by line; *prev its prev line. */
static int read_file(const char *path, struct journal_run *run, struct journal_line *prev,
    const struct journal_visit *v, struct err *e)
{
	struct zfile *zf = NULL;
	struct journal_line l;
	const char *line;
	size_t len;
	uint64_t ns = 0, nr = 0;
	int stage = 0, r, ret = -1;

	if (zfile_open(path, JOURNAL_LINE_MAX, &zf, e) != 0)
		return -1;
	if (!zfile_is_gzip(zf)) {
		err_set(e, "%s: not gzip", path);
		goto out;
	}
	while ((r = zfile_line(zf, &line, &len, e)) == 1) {
		if (journal_line_parse(line, len, &l, e) != 0 ||
		    line_in_order(l.tag, &stage, e) != 0) {
			err_prefix(e, "%s:%u", path, (unsigned)zfile_lineno(zf));
			goto out;
		}
		if (l.tag == JOURNAL_RUN) {
			run->seq = l.seq;
			run->generation = l.generation;
			run->start = l.time;
		} else if (l.tag == JOURNAL_PREV) {
			*prev = l;
		} else if (l.tag == JOURNAL_SIGNED || l.tag == JOURNAL_REMOVED) {
			ns += l.tag == JOURNAL_SIGNED;
			nr += l.tag == JOURNAL_REMOVED;
			if (v->on_entry != NULL)
				v->on_entry(v->arg, run, &l);
		} else if (l.tag == JOURNAL_END) {
			run->end = l.time;
			run->result = l.result;
			run->n_signed = l.n_signed;
			run->n_removed = l.n_removed;
		}
	}
	if (r < 0)
		goto out;
	if (stage != SEEN_END) {
		err_set(e, "%s: ends before its end line", path);
		goto out;
	}
	if (ns != run->n_signed || nr != run->n_removed) {
		err_set(e, "%s: %" PRIu64 " signed and %" PRIu64 " removed lines, its end line "
		    "says %" PRIu64 " and %" PRIu64, path, ns, nr, run->n_signed, run->n_removed);
		goto out;
	}
	ret = 0;
out:
	zfile_close(zf);
	return ret;
}

/* One file in its place in the chain. */
static void check_file(struct check *c, int dirfd, const char *dir, uint64_t seq,
    uint64_t *expect_seq, int *have_prev, uint8_t *expect_prev, struct journal_run *run)
{
	char path[FS_PATH_MAX];
	struct journal_line prev;
	struct err e;
	int gap = seq != *expect_seq;

	memset(run, 0, sizeof(*run));
	memset(&prev, 0, sizeof(prev));
	run->result = -1;
	seq_name(run->name, sizeof(run->name), seq);
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, run->name) >= sizeof(path))
		path[0] = '\0';	/* open_dir checked the directory's length */
	if (gap)
		problem(c, "journal %" PRIu64 "..%" PRIu64 " missing: removed from the chain",
		    *expect_seq, seq - 1);
	if (file_sha256(dirfd, run->name, run->sha256, &e) != 0) {
		problem(c, "%s", e.msg);
	} else if (read_file(path, run, &prev, c->v, &e) != 0) {
		run->result = -1;
		problem(c, "%s", e.msg);
	} else if (run->seq != seq) {
		problem(c, "%s holds run %" PRIu64 ": renamed", run->name, run->seq);
	} else if (!gap && (prev.has_hash != *have_prev ||
	    (*have_prev && memcmp(prev.hash, expect_prev, JOURNAL_SHA256_LEN) != 0))) {
		problem(c, "%s: its prev is not the SHA-256 of %s: the file before it was edited "
		    "or replaced", run->name, *have_prev ? "the journal before it (or the anchor)" :
		    "nothing (it should say none)");
	}
	if (c->v->on_run != NULL)
		c->v->on_run(c->v->arg, run);
	*expect_seq = seq + 1;
	*have_prev = 1;
	memcpy(expect_prev, run->sha256, JOURNAL_SHA256_LEN);
}

/* The tree's marker says which generation was committed last: a journal
 * older than that means the newest journals are gone. */
static void check_marker(struct check *c, const char *tree, const struct journal_run *last)
{
	struct tree_marker m;
	struct err e;

	if (tree_marker_read(tree, &m, &e) != 0)
		return;	/* no completed run yet */
	if (last == NULL || last->generation < m.generation)
		problem(c, "the tree is at generation %" PRIu64 " but the newest journal is of "
		    "generation %" PRIu64 ": the newest journals were removed, or a run could not "
		    "write its journal", m.generation, last ? last->generation : 0);
}

int journal_verify(const char *tree, const struct journal_visit *v,
    struct journal_summary *sum, struct err *e)
{
	struct check c = { v, sum, "" };
	struct journal_line a;
	struct journal_run run;
	char dir[FS_PATH_MAX];
	uint8_t expect_prev[JOURNAL_SHA256_LEN] = { 0 };
	uint64_t *seqs = NULL, expect = 1;
	size_t n = 0, first = 0;
	int dirfd = -1, have = 0, have_prev = 0, ret = -1;

	memset(sum, 0, sizeof(*sum));
	snprintf(dir, sizeof(dir), "%s/%s", tree, JOURNAL_DIR);
	if (open_dir(tree, 0, &dirfd, e) != 0)
		return -1;
	if (list_files(dirfd, 0, &seqs, &n, e) != 0)
		goto out;
	if (anchor_read(dirfd, &have, &a, e) != 0) {
		problem(&c, "%s", e->msg);
	} else if (have) {
		sum->anchored = 1;
		expect = a.seq + 1;
		have_prev = 1;
		memcpy(expect_prev, a.hash, JOURNAL_SHA256_LEN);
	}
	while (have && first < n && seqs[first] <= a.seq)
		first++;	/* pruned, not yet unlinked */
	for (size_t i = first; i < n; i++) {
		check_file(&c, dirfd, dir, seqs[i], &expect, &have_prev, expect_prev, &run);
		if (sum->files++ == 0)
			sum->first_seq = seqs[i];
		sum->last_seq = seqs[i];
		memcpy(sum->head, run.sha256, JOURNAL_SHA256_LEN);
	}
	check_marker(&c, tree, sum->files ? &run : NULL);
	if (sum->problems > 0) {
		err_set(e, "%zu problem%s in the journal of %s", sum->problems,
		    sum->problems == 1 ? "" : "s", tree);
		goto out;
	}
	ret = 0;
out:
	free(seqs);
	close(dirfd);
	return ret;
}
