/* The tree reader: lookupd's view of a published tree.
 *
 * Finds the issuer of a request's CertID by any of its hashes (from each
 * issuer.meta), maps a serial to its file through the tree's one path
 * builder (request bytes never become a path), validates the file once and
 * keeps it in a bounded cache of read-only mmaps (cache.h), so a hot
 * response costs no open, read or parse: the caller gets the mapping
 * itself, and copies from it (memguard.h) into what it sends.
 * A new publish is picked up without restart: the root marker is checked
 * every reload_interval, and a cached file is re-checked (one fstatat)
 * when it was last checked more than reload_interval ago. Replaced files
 * are atomic renames, so an old mapping stays a complete old response.
 *
 * Files should be replaced by rename (as the publisher and a plain rsync do);
 * a file truncated in place under a mapping is caught by memguard.h. */
#ifndef OCSP_TREE_READER_H
#define OCSP_TREE_READER_H

#include <stddef.h>
#include <stdint.h>

#include "ocsp/certid.h"
#include "ocsp/err.h"
#include "ocsp/response.h"

struct tree_reader_opts {
	const char *root;
	size_t cache_entries;		/* most responses kept mapped; capped
					 * to half of vm.max_map_count */
	int64_t reload_interval;	/* seconds between change checks (>= 1) */
	/* Optional: told about problems in the tree that do not stop it
	 * (an unreadable issuer.meta, a refused response file), once each
	 * time the problem is found. Called from the looking-up thread. */
	void (*warn)(void *arg, const char *msg);
	void *warn_arg;
};

struct tree_reader;

/* Opens the tree. A missing or still empty tree is not an error: every
 * lookup answers TREE_NO_ISSUER until a publish arrives. */
int tree_reader_open(const struct tree_reader_opts *o, struct tree_reader **out,
    struct err *e);
void tree_reader_close(struct tree_reader *t);

enum tree_lookup {
	TREE_FOUND = 0,
	TREE_NO_ISSUER,		/* no issuer in the tree matches the CertID */
	TREE_NO_HASH,		/* issuer known, but nothing pre-signed for this hash */
	TREE_NO_SERIAL,		/* issuer known, no file for the serial */
	TREE_STALE,		/* the file is past its nextUpdate */
	TREE_BAD_FILE,		/* the file is not a valid response for the CertID */
	TREE_CHANGING,		/* a file being written in place, or a failure that
				 * may pass (no descriptor): try later */
};

/* Looks up one CertID at time now. On TREE_FOUND *out is the validated
 * response, its der a read-only mapping of the file, held for the caller
 * until tree_reader_release. Thread-safe; a cached response costs no
 * system call, except one fstatat per reload_interval to notice a
 * replaced file. */
enum tree_lookup tree_reader_lookup(struct tree_reader *t,
    const struct req_certid *id, int64_t now, const struct signed_response **out);
void tree_reader_release(struct tree_reader *t, const struct signed_response *r);

/* Says that r, which the caller holds, no longer has the bytes it was
 * validated with (its checksum failed on a copy: the file was rewritten in
 * place under the mapping). The next lookup reads the file again, whatever
 * its identity says. */
void tree_reader_distrust(struct tree_reader *t, const struct signed_response *r);

/* Checks for a new generation now (also done lazily by lookups). */
void tree_reader_refresh(struct tree_reader *t, int64_t now);

/* Counts for /healthz and logs. */
struct tree_reader_stats {
	uint64_t generation;
	size_t issuers;
	size_t cached;
	size_t capacity;	/* cache_entries after the vm.max_map_count cap */
};
void tree_reader_stats(struct tree_reader *t, struct tree_reader_stats *s);

#endif
