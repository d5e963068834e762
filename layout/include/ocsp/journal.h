/* The publisher's audit journal (layout/JOURNAL.md): one gzip file per run
 * under <tree>/.journal/, listing every response the run committed (signed)
 * or removed, each file carrying the SHA-256 of the one before it, so that
 * a file removed from the middle of the chain, or edited, is detected.
 *
 * Three parts: the line format (journal_line_parse / _format, strict and
 * canonical: what parses formats back to the same bytes), the writer (a
 * temp file streamed through zlib, fsync'd and renamed only when the run's
 * commit step is done, so a killed run leaves a complete file or none) and
 * the reader that walks and checks the chain (ocsp-publisher
 * --journal-verify, and the audit tool). Nothing here prints. */
#ifndef OCSP_JOURNAL_H
#define OCSP_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#include "ocsp/certid.h"
#include "ocsp/config.h"
#include "ocsp/err.h"
#include "ocsp/serial.h"

#define JOURNAL_DIR ".journal"		/* under the tree: a dot name, never served */
#define JOURNAL_ANCHOR "anchor"		/* what pruning removed: the chain's start */
#define JOURNAL_FORMAT 1
#define JOURNAL_SEQ_DIGITS 12		/* file names: <seq, 12 digits>.gz */
#define JOURNAL_SEQ_MAX 999999999999ULL
#define JOURNAL_NAME_MAX (JOURNAL_SEQ_DIGITS + 3)
/* Longest line, without its "\n": a signed line with all four CertID
 * hashes is about 560 bytes. Longer lines are refused when read. */
#define JOURNAL_LINE_MAX 1024
/* Largest journal file (compressed) the reader hashes: a run signing ten
 * million responses with all four CertID hashes writes about 1.5 GB
 * (about 45 bytes a response with one, measured; JOURNAL.md). */
#define JOURNAL_FILE_MAX ((uint64_t)4 << 30)
#define JOURNAL_SHA256_LEN 32
#define JOURNAL_COUNT_MAX 999999999999ULL	/* counts in ca and end lines */

enum journal_tag {
	JOURNAL_HEADER,		/* ocsp-journal <format> */
	JOURNAL_RUN,		/* run <seq> <generation> <start> */
	JOURNAL_PREV,		/* prev <sha256 of the previous file>|none */
	JOURNAL_ANCHOR_LINE,	/* anchor <seq> <sha256>: the anchor file's line */
	JOURNAL_SIGNED,		/* signed <ca> <serial> <status> <reason> <tu> <nu> <signer> <hashes> */
	JOURNAL_REMOVED,	/* removed <ca> <serial> */
	JOURNAL_CA,		/* ca <ca> <result> <signed> <unchanged> <removed> <errors> */
	JOURNAL_END,		/* end <end> <result> <signed> <removed> */
};

enum journal_result {
	JOURNAL_OK = 0,		/* run: every CA committed; ca: committed */
	JOURNAL_PARTIAL = 1,	/* run only: some CAs committed, others failed */
	JOURNAL_FAILED = 2,	/* nothing committed (run), or that CA's commit failed */
	JOURNAL_BAD_INPUT = 3,	/* ca only: its input was bad, it was left alone */
};

/* One line. Fields not used by a tag are ignored by the formatter and
 * zeroed by the parser. */
struct journal_line {
	enum journal_tag tag;
	unsigned format;			/* header */
	uint64_t seq;				/* run, anchor */
	uint64_t generation;			/* run */
	int64_t time;				/* run: start; end: end */
	int has_hash;				/* prev: 0 for "none" */
	uint8_t hash[JOURNAL_SHA256_LEN];	/* prev, anchor */
	char ca[CONFIG_CA_NAME_MAX + 1];	/* signed, removed, ca */
	struct serial serial;			/* signed, removed */
	uint8_t status;				/* signed: enum cert_status */
	uint8_t reason;				/* signed, revoked: enum crl_reason; else REASON_NONE */
	int64_t this_update, next_update;	/* signed */
	char signer[65];			/* signed: SHA-256 of the signer certificate, hex */
	unsigned algs;				/* signed: CertID hashes with a response (bits) */
	uint8_t der_sha256[HASH_COUNT][JOURNAL_SHA256_LEN];	/* per alg in algs */
	int result;				/* ca, end: enum journal_result */
	uint64_t n_signed, n_unchanged, n_removed, n_errors;	/* ca; end: signed, removed */
};

/* Parses one line (without its "\n"; at most JOURNAL_LINE_MAX bytes, no
 * NUL). Strict: single spaces, lowercase hex, canonical serials, numbers
 * without leading zeros, ISO times as timefmt_iso writes them, so that
 * journal_line_format gives back exactly the bytes parsed. -1 with a
 * message for anything else. */
int journal_line_parse(const char *s, size_t n, struct journal_line *l, struct err *e);

/* Writes l as a line with its "\n" and a NUL into out (size bytes, at
 * least JOURNAL_LINE_MAX + 2); *len excludes the NUL. -1 for a field that
 * cannot be written (a time outside 1950..9999, a bad CA name, no hash). */
int journal_line_format(const struct journal_line *l, char *out, size_t size, size_t *len,
    struct err *e);

/* ---- writing: one file per run ---- */

struct journal_writer;

/* Starts the journal of a run that holds the tree's lock: creates
 * <tree>/.journal (0700), removes temp files a killed run left, finds the
 * newest file (or the anchor) for the chain, and opens the temp file with
 * the header, run and prev lines. *out is owned by the caller. */
int journal_writer_open(const char *tree, uint64_t generation, int64_t start,
    struct journal_writer **out, struct err *e);
/* Appends a signed, removed or ca line (counted for the end line). */
int journal_writer_add(struct journal_writer *w, const struct journal_line *l, struct err *e);
/* Writes the end line, finishes the gzip stream, fsyncs, renames the file
 * into place and fsyncs the directory. After an error nothing is in place
 * (the temp file is removed). *seq (may be NULL): the file's number. */
int journal_writer_commit(struct journal_writer *w, int64_t end, int result, uint64_t *seq,
    struct err *e);
/* Frees w; a journal not committed is removed. NULL is a no-op. */
void journal_writer_free(struct journal_writer *w);

/* Retention after a run: removes the oldest files so that at most
 * keep_runs remain (0: no limit) and none written (its mtime: the rename
 * at the end of its run) before now - keep_days days (0: no limit)
 * remains, but never the newest. The anchor is
 * rewritten (atomically, synced) with the number and SHA-256 of the newest
 * file removed before any file is unlinked, so the chain verifies from it.
 * *pruned: files removed. */
int journal_prune(const char *tree, uint64_t keep_runs, uint64_t keep_days, int64_t now,
    size_t *pruned, struct err *e);

/* ---- reading and checking the chain ---- */

/* What the reader found about one file, passed once the file is read. */
struct journal_run {
	char name[JOURNAL_NAME_MAX + 1];
	uint64_t seq, generation;
	int64_t start, end;
	int result;			/* enum journal_result; -1: the file did not parse */
	uint64_t n_signed, n_removed;
	uint8_t sha256[JOURNAL_SHA256_LEN];	/* of the file's bytes */
};

struct journal_visit {
	/* Each signed and removed line of a file, as it is read (run has the
	 * start only; its end follows in on_run). May be NULL. */
	void (*on_entry)(void *arg, const struct journal_run *run, const struct journal_line *l);
	/* Each file read, in chain order. May be NULL. */
	void (*on_run)(void *arg, const struct journal_run *run);
	/* Each break of the chain, or unreadable file, in words. */
	void (*on_problem)(void *arg, const char *msg);
	void *arg;
};

struct journal_summary {
	size_t files, problems;
	uint64_t first_seq, last_seq;
	int anchored;			/* the chain starts at a pruning anchor */
	uint8_t head[JOURNAL_SHA256_LEN];	/* SHA-256 of the newest file */
};

/* Reads every journal file of tree in order and checks: each is gzip,
 * parses in full (header, run, prev, entries, ca lines, end, whose counts
 * match), is named by its own number; numbers follow without a gap from 1
 * or from the anchor; each prev is the SHA-256 of the file before (or the
 * anchor's); and the tree's marker is no newer than the newest journal.
 * Problems go to on_problem and are counted in sum; returns 0 when there
 * are none, -1 otherwise (e says how many, or why nothing could be read). */
int journal_verify(const char *tree, const struct journal_visit *v,
    struct journal_summary *sum, struct err *e);

/* Names for messages: "ok", "partial", "failed", "bad-input"; "?". */
const char *journal_result_name(int result);

#endif
