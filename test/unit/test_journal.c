/* The audit journal: the line format (table of lines that must round-trip
 * byte for byte, and lines that must be refused), and the writer, the
 * chain check and retention on a real directory. */
#include "ocsp/journal.h"

#include <dirent.h>
#include <sys/stat.h>
#include <time.h>

#include <zlib.h>

#include "ocsp/status.h"
#include "check.h"

#define H64 "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
#define T1 "2026-12-02T05:00:00Z"

static const char *const good_lines[] = {
	"ocsp-journal 1",
	"run 1 0 " T1,
	"run 999999999999 18446744073709551615 " T1,
	"prev none",
	"prev " H64,
	"anchor 7 " H64,
	"signed demo 1000 good - " T1 " 2026-12-06T05:00:00Z " H64 " sha1=" H64,
	"signed a.b_c-9 00 revoked keyCompromise " T1 " " T1 " " H64 " sha1=" H64 ",sha256=" H64,
	"signed x 7F revoked - " T1 " " T1 " " H64 " sha256=" H64 ",sha512=" H64,
	"signed x 80 unknown - " T1 " " T1 " " H64 " sha1=" H64 ",sha256=" H64 ",sha384=" H64
	    ",sha512=" H64,
	"removed demo 0A",
	"ca demo ok 1 2 3 0",
	"ca demo bad-input 0 0 0 1",
	"ca demo failed 5 0 0 5",
	"end " T1 " ok 0 0",
	"end " T1 " partial 12 3",
};

static const struct {
	const char *line, *err;
} bad_lines[] = {
	{ "", "empty field" },
	{ "ocsp-journal 2", "format 2" },
	{ "ocsp-journal 01", "canonical" },
	{ "ocsp-journal  1", "empty field" },
	{ "ocsp-journal 1 ", "empty field" },
	{ "run 0 1 " T1, "run number" },
	{ "run 1 1 2026-12-02 05:00:00Z", "fields" },
	{ "run 1 1 2026-13-02T05:00:00Z", "start" },
	{ "run 1 1 2026-02-30T05:00:00Z", "start" },
	{ "run 1000000000000 1 " T1, "run number" },
	{ "run 1 18446744073709551616 " T1, "generation" },
	{ "prev " "00112233445566778899AABBCCDDEEFF00112233445566778899aabbccddeeff", "uppercase" },
	{ "prev 0011", "hex digits" },
	{ "signed demo 0A0 good - " T1 " " T1 " " H64 " sha1=" H64, "serial" },
	{ "signed demo 0a good - " T1 " " T1 " " H64 " sha1=" H64, "serial" },
	{ "signed demo 000A good - " T1 " " T1 " " H64 " sha1=" H64, "serial" },
	{ "signed demo 0A good keyCompromise " T1 " " T1 " " H64 " sha1=" H64, "reason" },
	{ "signed demo 0A revoked notAReason " T1 " " T1 " " H64 " sha1=" H64, "reason" },
	{ "signed demo 0A fine - " T1 " " T1 " " H64 " sha1=" H64, "status" },
	{ "signed demo 0A good - " T1 " " T1 " " H64 " sha256=" H64 ",sha1=" H64, "hashes" },
	{ "signed demo 0A good - " T1 " " T1 " " H64 " sha1=" H64 ",sha1=" H64, "hashes" },
	{ "signed demo 0A good - " T1 " " T1 " " H64 " sha1=" H64 ",", "comma" },
	{ "signed demo 0A good - " T1 " " T1 " " H64 " md5=" H64, "hashes" },
	{ "signed demo 0A good - " T1 " " T1 " " H64, "fields" },
	{ "signed de/mo 0A good - " T1 " " T1 " " H64 " sha1=" H64, "CA name" },
	{ "removed demo", "fields" },
	{ "ca demo partial 1 2 3 0", "result" },
	{ "end " T1 " bad-input 0 0", "result" },
	{ "end " T1 " ok 1000000000000 0", "count" },
	{ "hello world", "unknown line" },
	{ "ca " "a123456789012345678901234567890123456789012345" " ok 0 0 0 0", "CA name" },
};

static void test_lines(void)
{
	struct journal_line l;
	struct err e;
	char out[JOURNAL_LINE_MAX + 2];
	size_t len;

	for (size_t i = 0; i < sizeof(good_lines) / sizeof(good_lines[0]); i++) {
		const char *s = good_lines[i];
		check_case("good line %zu: %.40s", i, s);
		CHECK_EQ(journal_line_parse(s, strlen(s), &l, &e), 0);
		CHECK_EQ(journal_line_format(&l, out, sizeof(out), &len, &e), 0);
		CHECK_EQ(len, strlen(s) + 1);
		CHECK(len > 0 && out[len - 1] == '\n');
		out[len > 0 ? len - 1 : 0] = '\0';
		CHECK_STR(out, s);
	}
	for (size_t i = 0; i < sizeof(bad_lines) / sizeof(bad_lines[0]); i++) {
		const char *s = bad_lines[i].line;
		check_case("bad line %zu: %.40s", i, s);
		e.msg[0] = '\0';
		CHECK_EQ(journal_line_parse(s, strlen(s), &l, &e), -1);
		CHECK_CONTAINS(e.msg, bad_lines[i].err);
	}
	check_case("a NUL in a line");
	CHECK_EQ(journal_line_parse("prev none\0x", 11, &l, &e), -1);
	CHECK_CONTAINS(e.msg, "NUL");
	check_case("the longest line");
	char longl[JOURNAL_LINE_MAX + 10];
	memset(longl, 'a', sizeof(longl));
	CHECK_EQ(journal_line_parse(longl, sizeof(longl), &l, &e), -1);
	CHECK_CONTAINS(e.msg, "longer than");
	check_case("fields of a revoked line");
	const char *rl = good_lines[7];
	CHECK_EQ(journal_line_parse(rl, strlen(rl), &l, &e), 0);
	CHECK_EQ(l.tag, JOURNAL_SIGNED);
	CHECK_EQ(l.status, CERT_REVOKED);
	CHECK_EQ(l.reason, REASON_KEY_COMPROMISE);
	CHECK_EQ(l.serial.len, 1);
	CHECK_EQ(l.serial.b[0], 0);
	CHECK_EQ(l.algs, (1u << HASH_SHA1) | (1u << HASH_SHA256));
	CHECK_EQ(l.der_sha256[HASH_SHA256][31], 0xff);
	check_case_clear();
}

/* ---- files ---- */

struct seen {
	size_t runs, entries, problems;
	char last_problem[ERR_MSG_MAX];
	uint64_t gen[16];
};

static void on_entry(void *arg, const struct journal_run *run, const struct journal_line *l)
{
	(void)run;
	(void)l;
	((struct seen *)arg)->entries++;
}

static void on_run(void *arg, const struct journal_run *run)
{
	struct seen *s = arg;

	if (s->runs < 16)
		s->gen[s->runs] = run->generation;
	s->runs++;
}

static void on_problem(void *arg, const char *msg)
{
	struct seen *s = arg;

	s->problems++;
	snprintf(s->last_problem, sizeof(s->last_problem), "%s", msg);
}

static int verify(const char *tree, struct seen *s, struct journal_summary *sum)
{
	struct journal_visit v = { on_entry, on_run, on_problem, s };
	struct err e;

	memset(s, 0, sizeof(*s));
	return journal_verify(tree, &v, sum, &e);
}

static void entry(struct journal_line *l, const char *serial_hex, int status)
{
	struct err e;

	memset(l, 0, sizeof(*l));
	l->tag = JOURNAL_SIGNED;
	snprintf(l->ca, sizeof(l->ca), "demo");
	serial_from_hex(&l->serial, serial_hex, strlen(serial_hex), &e);
	l->status = (uint8_t)status;
	l->reason = status == CERT_REVOKED ? REASON_SUPERSEDED : REASON_NONE;
	l->this_update = 1796000000;
	l->next_update = 1796345600;
	snprintf(l->signer, sizeof(l->signer), "%s", H64);
	l->algs = 1u << HASH_SHA1;
	l->der_sha256[HASH_SHA1][0] = (uint8_t)status;
}

static int write_run(const char *tree, uint64_t gen, size_t nsigned, int commit)
{
	struct journal_writer *w;
	struct journal_line l;
	struct err e;
	char hex[8];
	int r = -1;

	if (journal_writer_open(tree, gen, 1796000000 + (int64_t)gen, &w, &e) != 0) {
		fprintf(stderr, "open: %s\n", e.msg);
		return -1;
	}
	for (size_t i = 0; i < nsigned; i++) {
		snprintf(hex, sizeof(hex), "%02X", (unsigned)(0x10 + i));
		entry(&l, hex, i == 0 && gen == 2 ? CERT_REVOKED : CERT_GOOD);
		if (journal_writer_add(w, &l, &e) != 0)
			goto out;
	}
	memset(&l, 0, sizeof(l));
	l.tag = JOURNAL_REMOVED;
	snprintf(l.ca, sizeof(l.ca), "demo");
	serial_from_hex(&l.serial, "0A", 2, &e);
	if (journal_writer_add(w, &l, &e) != 0)
		goto out;
	memset(&l, 0, sizeof(l));
	l.tag = JOURNAL_CA;
	snprintf(l.ca, sizeof(l.ca), "demo");
	l.n_signed = nsigned;
	l.n_removed = 1;
	if (journal_writer_add(w, &l, &e) != 0)
		goto out;
	r = commit ? journal_writer_commit(w, 1796000100 + (int64_t)gen, JOURNAL_OK, NULL, &e) : 0;
out:
	if (r != 0)
		fprintf(stderr, "journal: %s\n", e.msg);
	journal_writer_free(w);
	return r;
}

static size_t count_names(const char *dir, const char *suffix)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t n = 0;

	if (d == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name), sl = strlen(suffix);
		n += len >= sl && strcmp(de->d_name + len - sl, suffix) == 0 && de->d_name[0] != '.';
	}
	closedir(d);
	return n;
}

static size_t count_dotfiles(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t n = 0;

	if (d == NULL)
		return 0;
	while ((de = readdir(d)) != NULL)
		n += de->d_name[0] == '.' && strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0;
	closedir(d);
	return n;
}

/* Rewrites a journal file with one line changed, as someone hiding a
 * signature would: a valid gzip file, only its bytes differ. */
static void edit_file(const char *path, const char *from, const char *to)
{
	char buf[8192], out[8192 + 64], *at;
	gzFile in = gzopen(path, "rb");
	int n = in ? gzread(in, buf, sizeof(buf) - 1) : -1;
	gzFile gz;
	size_t head;

	if (n < 0 || strlen(to) > 64)
		exit(2);
	gzclose(in);
	buf[n] = '\0';
	at = strstr(buf, from);
	if (at == NULL)
		exit(2);
	head = (size_t)(at - buf);
	memcpy(out, buf, head);
	memcpy(out + head, to, strlen(to));
	memcpy(out + head + strlen(to), at + strlen(from), (size_t)n - head - strlen(from));
	gz = gzopen(path, "wb6");
	gzwrite(gz, out, (unsigned)((size_t)n - strlen(from) + strlen(to)));
	gzclose(gz);
}

static void test_files(void)
{
	char tree[] = "/tmp/ocsp-unit-journal.XXXXXX", dir[64], path[128], cmd[1024];
	struct journal_summary sum;
	struct seen s;
	size_t pruned = 0;
	struct err e;

	if (mkdtemp(tree) == NULL)
		exit(2);
	snprintf(dir, sizeof(dir), "%s/%s", tree, JOURNAL_DIR);
	check_case("no journal yet");
	CHECK_EQ(verify(tree, &s, &sum), -1);

	check_case("three runs");
	CHECK_EQ(write_run(tree, 1, 3, 1), 0);
	CHECK_EQ(write_run(tree, 2, 1, 1), 0);
	CHECK_EQ(write_run(tree, 3, 0, 1), 0);
	CHECK_EQ(verify(tree, &s, &sum), 0);
	CHECK_EQ(sum.files, 3);
	CHECK_EQ(sum.first_seq, 1);
	CHECK_EQ(sum.last_seq, 3);
	CHECK_EQ(s.runs, 3);
	CHECK_EQ(s.entries, 3 + 1 + 0 + 3);	/* signed, and one removed each */
	CHECK_EQ(s.problems, 0);

	check_case("a run not committed leaves nothing");
	CHECK_EQ(write_run(tree, 4, 2, 0), 0);
	CHECK_EQ(count_names(dir, ".gz"), 3);
	CHECK_EQ(count_dotfiles(dir), 0);
	CHECK_EQ(verify(tree, &s, &sum), 0);

	check_case("a killed run's temp file is ignored, then removed");
	snprintf(path, sizeof(path), "%s/.000000000004.gz.tmp", dir);
	FILE *f = fopen(path, "w");
	if (f == NULL)
		exit(2);
	fputs("half", f);
	fclose(f);
	CHECK_EQ(verify(tree, &s, &sum), 0);
	CHECK_EQ(write_run(tree, 4, 1, 1), 0);
	CHECK_EQ(count_dotfiles(dir), 0);
	CHECK_EQ(verify(tree, &s, &sum), 0);
	CHECK_EQ(sum.files, 4);

	check_case("an edited journal");
	snprintf(path, sizeof(path), "%s/000000000002.gz", dir);
	snprintf(cmd, sizeof(cmd), "cp %s %s.orig", path, path);
	CHECK_EQ(system(cmd), 0);
	edit_file(path, " revoked superseded ", " good - ");
	CHECK_EQ(verify(tree, &s, &sum), -1);
	CHECK_EQ(s.problems, 1);
	CHECK_CONTAINS(s.last_problem, "000000000003.gz: its prev is not");
	snprintf(cmd, sizeof(cmd), "mv %s.orig %s", path, path);
	CHECK_EQ(system(cmd), 0);
	CHECK_EQ(verify(tree, &s, &sum), 0);

	check_case("a line dropped from a journal");
	snprintf(cmd, sizeof(cmd), "cp %s %s.orig", path, path);
	CHECK_EQ(system(cmd), 0);
	snprintf(cmd, sizeof(cmd), "zcat %s | grep -v '^removed' | gzip > %s.new && mv %s.new %s",
	    path, path, path, path);
	CHECK_EQ(system(cmd), 0);
	CHECK_EQ(verify(tree, &s, &sum), -1);
	CHECK_CONTAINS(s.last_problem, "its prev is not");
	snprintf(cmd, sizeof(cmd), "mv %s.orig %s", path, path);
	CHECK_EQ(system(cmd), 0);

	check_case("a journal removed");
	snprintf(cmd, sizeof(cmd), "mv %s %s/../moved.gz", path, dir);
	CHECK_EQ(system(cmd), 0);
	CHECK_EQ(verify(tree, &s, &sum), -1);
	CHECK_CONTAINS(s.last_problem, "journal 2..2 missing");
	snprintf(cmd, sizeof(cmd), "mv %s/../moved.gz %s", dir, path);
	CHECK_EQ(system(cmd), 0);
	CHECK_EQ(verify(tree, &s, &sum), 0);

	check_case("a journal renamed over a gap");
	snprintf(cmd, sizeof(cmd), "cp %s/000000000004.gz %s/000000000005.gz", dir, dir);
	CHECK_EQ(system(cmd), 0);
	CHECK_EQ(verify(tree, &s, &sum), -1);
	CHECK_CONTAINS(s.last_problem, "holds run 4");
	snprintf(cmd, sizeof(cmd), "rm %s/000000000005.gz", dir);
	CHECK_EQ(system(cmd), 0);

	check_case("retention by count keeps the chain verifiable");
	CHECK_EQ(journal_prune(tree, 2, 0, 1796000000, &pruned, &e), 0);
	CHECK_EQ(pruned, 2);
	CHECK_EQ(count_names(dir, ".gz"), 2);
	CHECK_EQ(verify(tree, &s, &sum), 0);
	CHECK_EQ(sum.anchored, 1);
	CHECK_EQ(sum.first_seq, 3);
	CHECK_EQ(write_run(tree, 5, 1, 1), 0);
	CHECK_EQ(verify(tree, &s, &sum), 0);
	CHECK_EQ(sum.last_seq, 5);

	check_case("the oldest kept file removed after pruning");
	snprintf(cmd, sizeof(cmd), "mv %s/000000000003.gz %s/../3.gz", dir, dir);
	CHECK_EQ(system(cmd), 0);
	CHECK_EQ(verify(tree, &s, &sum), -1);
	CHECK_CONTAINS(s.last_problem, "journal 3..3 missing");
	snprintf(cmd, sizeof(cmd), "mv %s/../3.gz %s/000000000003.gz", dir, dir);
	CHECK_EQ(system(cmd), 0);

	check_case("retention by age, never the newest");
	CHECK_EQ(journal_prune(tree, 0, 1, (int64_t)time(NULL) + 3 * 86400, &pruned, &e), 0);
	CHECK_EQ(pruned, 2);
	CHECK_EQ(count_names(dir, ".gz"), 1);
	CHECK_EQ(verify(tree, &s, &sum), 0);
	CHECK_EQ(sum.first_seq, 5);
	CHECK_EQ(journal_prune(tree, 0, 1, (int64_t)time(NULL), &pruned, &e), 0);
	CHECK_EQ(pruned, 0);

	check_case("an anchor edited");
	snprintf(path, sizeof(path), "%s/%s", dir, JOURNAL_ANCHOR);
	f = fopen(path, "w");
	if (f == NULL)
		exit(2);
	fprintf(f, "ocsp-journal 1\nanchor 4 %s\n", H64);
	fclose(f);
	CHECK_EQ(verify(tree, &s, &sum), -1);
	CHECK_CONTAINS(s.last_problem, "its prev is not");
	check_case_clear();

	snprintf(cmd, sizeof(cmd), "rm -rf %s", tree);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tree);
}

int main(void)
{
	test_lines();
	test_files();
	return check_done();
}
