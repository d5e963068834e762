#include "ocsp/source_index.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ocsp/serial.h"
#include "ocsp/timefmt.h"
#include "ocsp/zfile.h"

#define INDEX_FIELDS 6

struct field {
	const char *p;
	size_t n;
};

/* Splits on tabs; returns the number of fields found (at most max+1, so
 * that "too many" is detectable). */
static size_t split_tabs(const char *line, size_t len, struct field *f, size_t max)
{
	size_t nf = 0, start = 0;

	for (size_t i = 0; i <= len && nf <= max; i++) {
		if (i == len || line[i] == '\t') {
			if (nf < max) {
				f[nf].p = line + start;
				f[nf].n = i - start;
			}
			nf++;
			start = i + 1;
		}
	}
	return nf;
}

static int parse_hold(const char *p, size_t n, struct status_rec *r, struct err *e)
{
	static const struct {
		const char *name, *oid;
		int code;
	} holds[] = {
		{ "holdInstructionNone", "1.2.840.10040.2.1", HOLD_NONE },
		{ "holdInstructionCallIssuer", "1.2.840.10040.2.2", HOLD_CALL_ISSUER },
		{ "holdInstructionReject", "1.2.840.10040.2.3", HOLD_REJECT },
	};

	for (size_t i = 0; i < sizeof(holds) / sizeof(holds[0]); i++) {
		if ((strlen(holds[i].name) == n && memcmp(holds[i].name, p, n) == 0) ||
		    (strlen(holds[i].oid) == n && memcmp(holds[i].oid, p, n) == 0)) {
			r->hold = (uint8_t)holds[i].code;
			return 0;
		}
	}
	return err_set(e, "unknown hold instruction '%.*s'", (int)(n > 64 ? 64 : n), p);
}

/* Applies openssl's pseudo reasons, which carry an argument. */
static int parse_reason(const struct field *reason, const struct field *arg,
    int has_arg, struct status_rec *r, struct err *e)
{
	int code = status_reason_from_name(reason->p, reason->n);
	int is_hold = reason->n == 15 && memcmp(reason->p, "holdInstruction", 15) == 0;
	int is_key = reason->n == 7 && memcmp(reason->p, "keyTime", 7) == 0;
	int is_ca = reason->n == 9 && memcmp(reason->p, "CAkeyTime", 9) == 0;

	if (is_hold || is_key || is_ca) {
		if (!has_arg)
			return err_set(e, "revocation reason %.*s needs an argument",
			    (int)reason->n, reason->p);
		if (is_hold) {
			r->reason = REASON_CERTIFICATE_HOLD;
			return parse_hold(arg->p, arg->n, r, e);
		}
		r->reason = is_key ? REASON_KEY_COMPROMISE : REASON_CA_COMPROMISE;
		if (timefmt_parse_asn1(arg->p, arg->n, &r->invalidity) != 0)
			return err_set(e, "bad compromise time '%.*s'",
			    (int)(arg->n > 32 ? 32 : arg->n), arg->p);
		return 0;
	}
	if (code < 0)
		return err_set(e, "unknown revocation reason '%.*s'",
		    (int)(reason->n > 64 ? 64 : reason->n), reason->p);
	if (has_arg)
		return err_set(e, "revocation reason %.*s takes no argument",
		    (int)reason->n, reason->p);
	r->reason = (uint8_t)code;
	return 0;
}

static int parse_revocation(const struct field *f, struct status_rec *r, struct err *e)
{
	struct field part[4];
	size_t np = 0, start = 0;

	for (size_t i = 0; i <= f->n && np < 4; i++) {
		if (i == f->n || f->p[i] == ',') {
			part[np].p = f->p + start;
			part[np].n = i - start;
			np++;
			start = i + 1;
		}
	}
	if (np > 3)
		return err_set(e, "revocation field has more than three parts");
	if (timefmt_parse_asn1(part[0].p, part[0].n, &r->revoked_at) != 0)
		return err_set(e, "bad revocation time '%.*s'",
		    (int)(part[0].n > 32 ? 32 : part[0].n), part[0].p);
	r->reason = REASON_NONE;
	if (np == 1)
		return 0;
	return parse_reason(&part[1], &part[2], np == 3, r, e);
}

int source_index_parse_line(const char *line, size_t len,
    struct status_rec *r, struct err *e)
{
	struct field f[INDEX_FIELDS];
	size_t nf = split_tabs(line, len, f, INDEX_FIELDS);

	memset(r, 0, sizeof(*r));
	r->reason = REASON_NONE;
	if (nf != INDEX_FIELDS)
		return err_set(e, "expected %d tab-separated fields, found %zu",
		    INDEX_FIELDS, nf);
	if (f[0].n != 1 || (f[0].p[0] != 'V' && f[0].p[0] != 'R' && f[0].p[0] != 'E'))
		return err_set(e, "first field must be V, R or E");
	if (timefmt_parse_asn1(f[1].p, f[1].n, &r->not_after) != 0)
		return err_set(e, "bad expiry date '%.*s'",
		    (int)(f[1].n > 32 ? 32 : f[1].n), f[1].p);
	if (serial_from_hex(&r->serial, f[3].p, f[3].n, e) != 0)
		return -1;
	if (f[0].p[0] == 'R') {
		if (f[2].n == 0)
			return err_set(e, "revoked certificate without revocation time");
		r->status = CERT_REVOKED;
		return parse_revocation(&f[2], r, e);
	}
	if (f[2].n != 0)
		return err_set(e, "revocation field set on a certificate that is not revoked");
	r->status = CERT_GOOD;	/* expired (E) is still not revoked */
	return 0;
}

int source_index_read(const char *path, struct status_list *out, struct err *e)
{
	struct zfile *zf = NULL;
	const char *line;
	size_t n;
	int got, ret = -1;

	if (zfile_open(path, SOURCE_INDEX_MAX_LINE, &zf, e) != 0)
		return -1;
	while ((got = zfile_line(zf, &line, &n, e)) > 0) {
		struct status_rec *r;

		/* zfile drops one CR of a CRLF; stray ones before it were
		 * always dropped here too */
		while (n > 0 && line[n - 1] == '\r')
			n--;
		if (n == 0)
			continue;
		r = status_list_push(out);
		if (r == NULL) {
			err_set(e, "%s: out of memory", path);
			goto out;
		}
		if (source_index_parse_line(line, n, r, e) != 0) {
			err_prefix(e, "%s:%u", path, zfile_lineno(zf));
			goto out;
		}
		r->line = zfile_lineno(zf);
	}
	if (got < 0)
		goto out;
	if (status_list_sort(out, path, e) != 0)
		goto out;
	ret = 0;
out:
	zfile_close(zf);
	return ret;
}
