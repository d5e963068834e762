/* Mirroring a response tree to a remote target: S3-compatible object
 * storage (s3://bucket/prefix, AWS Signature V4) or a plain HTTP PUT /
 * WebDAV origin (http(s)://origin/path/).
 *
 * The local tree stays the publisher's state (status index, metadata,
 * responses). After a run has committed it, upload_tree compares the tree
 * with a manifest of what the target holds, kept next to it in
 * <tree>/.target/<SHA-256 of the target's base URL>.manifest, and:
 *
 *   1. PUTs every new or changed response (and sha256/... ones),
 *   2. DELETEs objects whose local file is gone,
 *   3. PUTs changed issuer.meta files,
 *   4. PUTs the generation marker, last, and only when 1-3 all succeeded
 *      (as marker_name, "shards/K-of-N", in a sharded run).
 *
 * With GET keys (issuer.meta's get_keys), an S3 target also gets every
 * response under "get/<key>" for each name get_key_object_names gives (raw
 * base64 with '//' and a final '/', and '+' as a space); a WebDAV target
 * gets the files under <tree>/get/ as they are. Both are manifest entries
 * like any object, sent in step 1 and deleted in step 2.
 *
 * On S3 a missing or damaged manifest is rebuilt from a ListObjectsV2
 * listing of the prefix: objects whose ETag is the local file's MD5 count
 * as held; other objects with tree names are sent again or, when the tree
 * lacks them, deleted; foreign names are left alone (c->foreign), and so
 * is a listed name a local "//" key collapses to. A sharded run (shard)
 * deletes only responses of its own serials: the prefix is shared. A
 * failed listing fails the run.
 *
 * status.idx and the publisher's dot files stay local. Responses carry
 * Content-Type application/ocsp-response and "Cache-Control: public,
 * max-age=N, no-transform, must-revalidate" with N the seconds to the
 * response's nextUpdate (from status.idx) at upload time, at most
 * max_age; issuer.meta and generation are text/plain with "no-cache".
 * Responses also carry the cache tags lookupd sets on its answer to
 * their CertID (purge_tags, taken from the response's own CertID, so a
 * GET key carries its response's): on S3 as the metadata
 * x-amz-meta-cache-tag and x-amz-meta-surrogate-key (S3 returns only
 * x-amz-meta-* of a PUT's headers; a CDN maps them, contrib/cdn), to a
 * WebDAV origin as the Cache-Tag and Surrogate-Key request headers. A
 * response the uploader cannot parse is not sent (a failed transfer).
 *
 * The manifest is rewritten atomically as transfers succeed, so a run
 * killed half-way resumes where it stopped. Once anything is sent, the
 * marker's entry leaves the manifest until the marker itself is sent
 * again: a run that stopped before the marker sends it next time even if
 * nothing else changed. A run with no other change does not send the
 * marker (only its generation number would differ).
 *
 * Transfers run in parallel through libcurl's multi interface (at most
 * concurrency at once, connections reused); a failed one (no connection,
 * timeout, 408, 429, 5xx) is retried up to retries times with exponential
 * backoff from UPLOAD_BACKOFF_MS; any other status fails at once. After
 * UPLOAD_GIVE_UP_MIN (or concurrency, if more) failures in a row without
 * a success in between, the target is taken to be down and the rest is
 * not tried.
 *
 * Credentials for S3 come from the environment (AWS_ACCESS_KEY_ID,
 * AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN) or from s3_credentials_file
 * (the AWS shared-credentials format, profile s3_profile, else
 * AWS_PROFILE, else "default"); never from the URL or the command line.
 * They are wiped from this module's memory after the run, and never
 * appear in messages. */
#ifndef OCSP_UPLOAD_H
#define OCSP_UPLOAD_H

#include <stddef.h>
#include <stdint.h>

#include "ocsp/err.h"
#include "ocsp/get_key.h"
#include "ocsp/shard.h"
#include "ocsp/tree.h"

#define UPLOAD_URL_MAX 2048
#define UPLOAD_CONCURRENCY_MAX 256
#define UPLOAD_RETRIES_MAX 20
#define UPLOAD_BACKOFF_MS 200		/* first retry; doubles, at most 10 s */
#define UPLOAD_GIVE_UP_MIN 16
#define UPLOAD_TIMEOUT 60		/* seconds for one transfer */
#define UPLOAD_CONNECT_TIMEOUT 10
/* A credentials file is small; anything larger is refused unread. */
#define UPLOAD_CREDS_FILE_MAX 65536
#define UPLOAD_KEY_ID_MAX 128
#define UPLOAD_SECRET_MAX 128
#define UPLOAD_TOKEN_MAX 4096
#define UPLOAD_REGION_MAX 63
#define UPLOAD_PROFILE_MAX 128
#define UPLOAD_QUERY_MAX 16
/* Object names are tree names ("<issuer>/sha512/<SERIAL>") or GET keys
 * ("get/<base64>"), the longer. */
#define UPLOAD_GET_PREFIX GET_KEY_DIR "/"
#define UPLOAD_NAME_MAX (sizeof(UPLOAD_GET_PREFIX) - 1 + GET_KEY_B64_MAX)
/* A ListObjectsV2 page (at most 1000 keys of at most 1024 bytes, escaped). */
#define UPLOAD_LIST_BODY_MAX ((size_t)8 << 20)
#define UPLOAD_S3_KEY_MAX 1024
#define UPLOAD_S3_TOKEN_MAX 1024
#define UPLOAD_ETAG_MAX 128
/* Pages of one listing: 10^7 objects. */
#define UPLOAD_LIST_PAGES_MAX 10000
/* A manifest holds one line of about 150 bytes per object. */
#define UPLOAD_MANIFEST_MAX ((size_t)1 << 31)
#define UPLOAD_MANIFEST_DIR ".target"

struct upload_opts {
	const char *url;		/* s3://bucket[/prefix] or http(s)://host[:port]/path/ */
	const char *s3_endpoint;	/* NULL: https://s3.<region>.amazonaws.com */
	const char *s3_region;		/* NULL: AWS_REGION, AWS_DEFAULT_REGION, us-east-1 */
	int s3_path_style;		/* always path-style; also when the endpoint is an IP */
	const char *s3_credentials_file;	/* NULL: the environment */
	const char *s3_profile;		/* NULL: AWS_PROFILE, else "default" */
	unsigned concurrency;		/* 1..UPLOAD_CONCURRENCY_MAX */
	unsigned retries;		/* 0..UPLOAD_RETRIES_MAX */
	int64_t max_age;		/* longest Cache-Control max-age of a response */
	/* Sharded runs (shard.h): the object the local marker is sent as,
	 * "shards/K-of-N" (a WebDAV collection "shards/" is made for it).
	 * NULL: "generation". Only the object's name differs; the manifest
	 * keeps the local name. */
	const char *marker_name;
	/* Sharded runs: this run's part, for a manifest rebuilt from a
	 * listing: a listed response this tree lacks is deleted only when its
	 * serial is this shard's (shard_owns); other shards' objects, and
	 * GET keys (whose serial the name does not spell), are left alone.
	 * NULL: not sharded. */
	const struct shard *shard;
};

struct upload_counts {
	size_t uploaded;	/* objects PUT, the marker included */
	size_t unchanged;	/* local files the target already holds */
	size_t deleted;
	size_t failed;		/* transfers that failed after their retries */
	size_t skipped;		/* not tried: the target was down, or an earlier phase failed */
	size_t listed;		/* S3 objects a listing found (manifest missing or damaged) */
	size_t foreign;		/* ... not named like the tree's: left alone */
};

/* ---- the target ---- */

enum upload_kind { UPLOAD_S3, UPLOAD_DAV };

/* A parsed target with its credentials; see upload_target_open. */
struct upload_target {
	enum upload_kind kind;
	char base[UPLOAD_URL_MAX + 1];	/* object URLs are base + name */
	char bucket_url[UPLOAD_URL_MAX + 1];	/* S3: the bucket's URL, for listing */
	char prefix[UPLOAD_URL_MAX + 1];	/* S3: "" or the prefix with its '/' */
	char shown[UPLOAD_URL_MAX + 1];	/* the URL for messages (no password) */
	char region[UPLOAD_REGION_MAX + 1];
	char key_id[UPLOAD_KEY_ID_MAX + 1];
	char secret[UPLOAD_SECRET_MAX + 1];
	char token[UPLOAD_TOKEN_MAX + 1];	/* "" when none */
};

struct config;
/* o from the configuration's upload keys (s3_*, upload_*) with url as the
 * target, for the publisher's upload and ocsp-audit's reading of it. */
void upload_opts_from_config(const struct config *c, const char *url,
    struct upload_opts *o);

/* Parses o->url and, for S3, resolves endpoint, region and addressing and
 * reads the credentials. t is filled (caller storage); pass it to
 * upload_target_fini even on error. Messages never hold a secret. */
int upload_target_open(const struct upload_opts *o, struct upload_target *t,
    struct err *e);
/* Wipes the credentials. */
void upload_target_fini(struct upload_target *t);

/* Non-zero when s names a remote target rather than a directory (s3://,
 * http://, https://). */
int upload_is_url(const char *s);

/* The S3 form of a URL's path: bucket (3-63 of a-z 0-9 . -) and prefix
 * (A-Z a-z 0-9 . _ ~ - and / between non-empty segments, neither "." nor
 * "..") of "s3://bucket/prefix". *prefix is "" or ends with '/'. Returns
 * 0 or -1 (named). */
int upload_s3_url_parse(const char *url, char *bucket, size_t bucket_size,
    char *prefix, size_t prefix_size, struct err *e);

/* One profile of an AWS shared-credentials file (text of len bytes, need
 * not be NUL-terminated): "[name]" or "[profile name]" sections with
 * aws_access_key_id, aws_secret_access_key, aws_session_token (other keys
 * ignored; '#' and ';' start comments). Fills t's key_id, secret and
 * token; 0 when the profile has both a key id and a secret, else -1 with a
 * message naming the line (never a value). */
int upload_creds_parse(const char *text, size_t len, const char *profile,
    struct upload_target *t, struct err *e);

/* The canonical query string of AWS Signature V4 for n name/value pairs:
 * sorted by name (then value), each %-encoded except A-Z a-z 0-9 - . _ ~
 * ('/' too becomes %2F), joined as name=value&... . libcurl 7.88 signs the
 * query as it is given, so a URL built with this is signed correctly.
 * Returns the length, or -1 when out (size bytes) is too small or n is
 * more than UPLOAD_QUERY_MAX. */
int upload_s3_query(const char *const *names, const char *const *values, size_t n,
    char *out, size_t size);

/* ---- listing an S3 prefix (ListObjectsV2) ---- */

/* One <Contents> of a listing. raw points into the document: the <Key>
 * text as written (escaped); key is it unescaped (XML's five entities and
 * character references), without NULs. etag is unescaped without its
 * quotes. */
struct upload_list_item {
	const char *raw;
	size_t raw_len;
	char key[UPLOAD_S3_KEY_MAX + 1];
	size_t key_len;
	char etag[UPLOAD_ETAG_MAX + 1];
	uint64_t size;
};

struct upload_list_page {
	int truncated;				/* <IsTruncated>true */
	char token[UPLOAD_S3_TOKEN_MAX + 1];	/* <NextContinuationToken>, "" if none */
	size_t n;				/* items given to each */
};

/* Parses a ListObjectsV2 response of len bytes (at most
 * UPLOAD_LIST_BODY_MAX; need not be NUL-terminated): the root must be
 * <ListBucketResult>. Calls each for every <Contents> in order (a
 * non-zero return stops the parse with that error). A page that is
 * truncated must carry a token. Returns 0, or -1 with e set (a key,
 * token or ETag too long, a bad entity, a missing tag). */
int upload_s3_list_parse(const char *xml, size_t len, struct upload_list_page *pg,
    int (*each)(void *arg, const struct upload_list_item *it, struct err *e), void *arg,
    struct err *e);

/* ---- the manifest: what the target holds ---- */

struct upload_entry {
	char name[UPLOAD_NAME_MAX + 1];
	uint8_t sha256[32];
	uint64_t size;
};

/* Entries sorted by name, each name once. */
struct upload_manifest {
	struct upload_entry *v;
	size_t n, cap;
};

void upload_manifest_init(struct upload_manifest *m);
void upload_manifest_fini(struct upload_manifest *m);

/* Non-zero when name may be an object of the tree: "generation",
 * "<issuer>/issuer.meta", "<issuer>/<SERIAL>" or "<issuer>/<hash>/<SERIAL>"
 * for a hash other than sha1, or a GET key "get/M..." (at most
 * GET_KEY_B64_MAX of base64's characters and space: '/' in any number,
 * '//' and a '/' at the end included; every canonical request's base64
 * begins with 'M', its SEQUENCE tag). Manifests written before GET keys
 * hold only the others, so they still parse. */
int upload_name_valid(const char *name);

/* Parses a manifest text of len bytes:
 *
 *   ocsp-upload-manifest 1 <base URL, for people>
 *   <64 hex SHA-256> <size> <name>      (one per object, sorted by name)
 *
 * Names must pass upload_name_valid and be strictly ascending. m is
 * emptied first; on error it is left empty and the message names the
 * line. */
int upload_manifest_parse(const char *text, size_t len, struct upload_manifest *m,
    struct err *e);
/* Formats m with shown on the first line; *out is malloc'd (caller frees). */
int upload_manifest_format(const struct upload_manifest *m, const char *shown,
    char **out, size_t *len, struct err *e);
/* The entry of name, or NULL. */
struct upload_entry *upload_manifest_find(const struct upload_manifest *m,
    const char *name);

/* ---- the run ---- */

/* Mirrors the local tree (whose lock the caller holds) to o's target at
 * time now; see the top of this file. c is filled in any case. Returns 0
 * when the target holds the tree completely, -1 otherwise (e says why:
 * the first failure, and c how far it got). */
int upload_tree(const struct upload_opts *o, const char *tree, int64_t now,
    struct upload_counts *c, struct err *e);

#endif
