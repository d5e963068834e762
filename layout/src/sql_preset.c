/* What the SQL source asks a CA database and how a row becomes a status
 * record: the presets as data (queries, column names, value conversions,
 * status tables), the one row converter, and the issuer values the
 * presets compare. No database here: source_sql.c runs the queries. */
#include "ocsp/source_sql.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <openssl/objects.h>

#include "sql_int.h"

/* 9999-12-31T23:59:59Z: later times are not times a CA wrote. */
#define SQL_TIME_MAX 253402300799LL
/* Attributes in an issuer name, at most, for the EJBCA DN. */
#define SQL_DN_MAX_ENTRIES 64

/* How a column's text becomes a value. */
enum sql_conv {
	CONV_IGNORE,		/* not used by the preset (NULL in its query) */
	CONV_SERIAL_DEC,	/* decimal digits */
	CONV_SERIAL_ANY,	/* decimal, or hex after 0x */
	CONV_STATUS,		/* through the preset's status table */
	CONV_SECONDS,		/* epoch seconds, >= 0 */
	CONV_MILLIS,		/* epoch milliseconds, -1: none (EJBCA) */
	CONV_REASON_NAME,	/* CRLReason name, any case */
	CONV_REASON_CODE,	/* RFC 5280 code, -1: none (EJBCA) */
	CONV_REASON_ANY,	/* a code or a name */
	CONV_HOLD,		/* hold instruction OID or name */
};

/* What a status value means; the reason may refine it. */
enum sql_kind {
	KIND_GOOD,
	KIND_REVOKED,
	KIND_HOLD,		/* revoked, certificateHold */
	KIND_ARCHIVED,		/* EJBCA 60: revoked unless reason none/removeFromCRL */
	KIND_SKIP,		/* not taken as issued */
};

struct sql_status_map {
	const char *value;
	enum sql_kind kind;
};

enum sql_issuer_kind {
	ISSUER_OPENXPKI,
	ISSUER_EJBCA,
	ISSUER_RFC2253,
};

struct sql_preset {
	const char *name;
	const char *query_all;		/* NULL: the configured query */
	const char *query_one;		/* NULL: the configured one, wrapped */
	enum sql_issuer_kind issuer;
	const char *col[SQL_COLS];	/* the database's names, for messages */
	enum sql_conv conv[SQL_COLS];
	const struct sql_status_map *status;
	size_t nstatus;
};

/* OpenXPKI's certificate.status. UNKNOWN is a row OpenXPKI itself cannot
 * vouch for (imported, no issuer): skipped, so OCSP answers "unknown"
 * rather than a "good" nobody asserted. */
static const struct sql_status_map openxpki_status[] = {
	{ "ISSUED", KIND_GOOD },
	{ "REVOKED", KIND_REVOKED },
	{ "CRL_ISSUANCE_PENDING", KIND_REVOKED },
	{ "HOLD", KIND_HOLD },
	{ "UNKNOWN", KIND_SKIP },
};

/* EJBCA's CertificateConstants. 0 unassigned and 10 inactive were never
 * active: skipped ("unknown"). 30 (temporarily revoked) and 50 (expired)
 * are not written by current EJBCA and are refused with the rest rather
 * than guessed at. */
static const struct sql_status_map ejbca_status[] = {
	{ "20", KIND_GOOD },
	{ "21", KIND_GOOD },
	{ "40", KIND_REVOKED },
	{ "60", KIND_ARCHIVED },
	{ "0", KIND_SKIP },
	{ "10", KIND_SKIP },
};

static const struct sql_status_map custom_status[] = {
	{ "good", KIND_GOOD },
	{ "revoked", KIND_REVOKED },
	{ "hold", KIND_HOLD },
	{ "unknown", KIND_SKIP },
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const struct sql_preset presets[] = {
	{
		"openxpki",
		"SELECT cert_key, status, revocation_time, reason_code, invalidity_time,"
		" notafter, hold_instruction_code FROM certificate"
		" WHERE issuer_identifier = $1",
		"SELECT cert_key, status, revocation_time, reason_code, invalidity_time,"
		" notafter, hold_instruction_code FROM certificate"
		" WHERE issuer_identifier = $1 AND cert_key = $2",
		ISSUER_OPENXPKI,
		{ "cert_key", "status", "revocation_time", "reason_code", "invalidity_time",
		  "notafter", "hold_instruction_code" },
		{ CONV_SERIAL_DEC, CONV_STATUS, CONV_SECONDS, CONV_REASON_NAME, CONV_SECONDS,
		  CONV_SECONDS, CONV_HOLD },
		openxpki_status, N(openxpki_status),
	},
	{
		"ejbca",
		"SELECT serialNumber, status, revocationDate, revocationReason, NULL,"
		" expireDate, NULL FROM CertificateData WHERE issuerDN = $1",
		"SELECT serialNumber, status, revocationDate, revocationReason, NULL,"
		" expireDate, NULL FROM CertificateData WHERE issuerDN = $1"
		" AND serialNumber = $2",
		ISSUER_EJBCA,
		{ "serialNumber", "status", "revocationDate", "revocationReason", "(none)",
		  "expireDate", "(none)" },
		{ CONV_SERIAL_DEC, CONV_STATUS, CONV_MILLIS, CONV_REASON_CODE, CONV_IGNORE,
		  CONV_MILLIS, CONV_IGNORE },
		ejbca_status, N(ejbca_status),
	},
	{
		"custom",
		NULL,
		NULL,
		ISSUER_RFC2253,
		{ "serial", "status", "revoked_at", "reason", "invalidity", "not_after", "hold" },
		{ CONV_SERIAL_ANY, CONV_STATUS, CONV_SECONDS, CONV_REASON_ANY, CONV_SECONDS,
		  CONV_SECONDS, CONV_HOLD },
		custom_status, N(custom_status),
	},
};

static const struct {
	const char *oid, *name;
	enum hold_instruction hold;
} holds[] = {
	{ "1.2.840.10040.2.1", "holdInstructionNone", HOLD_NONE },
	{ "1.2.840.10040.2.2", "holdInstructionCallIssuer", HOLD_CALL_ISSUER },
	{ "1.2.840.10040.2.3", "holdInstructionReject", HOLD_REJECT },
};

const struct sql_preset *sql_preset_find(const char *name)
{
	for (size_t i = 0; i < N(presets); i++)
		if (strcmp(presets[i].name, name) == 0)
			return &presets[i];
	return NULL;
}

const char *sql_preset_name(const struct sql_preset *p)
{
	return p->name;
}

const char *sql_preset_query(const struct sql_preset *p, int one)
{
	return one ? p->query_one : p->query_all;
}

void sql_text_safe(char *out, size_t cap, const char *p, size_t n, size_t max)
{
	size_t o = 0, i;

	if (cap == 0)
		return;
	for (i = 0; i < n && i < max && o + 1 < cap; i++)
		out[o++] = (p[i] >= 0x20 && p[i] < 0x7f) ? p[i] : '?';
	if (i < n && o + 4 <= cap) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
}

/* One column's value, NUL-terminated, for strtoll and messages. */
struct val {
	const char *name;
	char s[SQL_VALUE_MAX + 1];
	size_t n;
	int null;
};

static int bad(struct err *e, const struct val *v, const char *what)
{
	char safe[64];

	sql_text_safe(safe, sizeof(safe), v->s, v->n, 40);
	return err_set(e, "%s '%s' %s", v->name, safe, what);
}

/* A signed decimal integer, all of it, in [lo, hi]. */
static int int_of(const struct val *v, long long lo, long long hi, long long *out,
    struct err *e)
{
	char *end;
	long long x;

	if (v->n == 0 || !((v->s[0] >= '0' && v->s[0] <= '9') ||
	    (v->s[0] == '-' && v->n > 1 && v->s[1] >= '0' && v->s[1] <= '9')))
		return bad(e, v, "is not a whole number");
	errno = 0;
	x = strtoll(v->s, &end, 10);
	if (end != v->s + v->n)
		return bad(e, v, "is not a whole number");
	if (errno == ERANGE || x < lo || x > hi)
		return bad(e, v, "is out of range");
	*out = x;
	return 0;
}

/* A time column: *has is 0 for NULL (and EJBCA's -1). */
static int time_of(const struct val *v, enum sql_conv conv, int64_t *t, int *has,
    struct err *e)
{
	long long x;

	*t = 0;
	*has = 0;
	if (v->null)
		return 0;
	if (conv == CONV_SECONDS) {
		if (int_of(v, 0, SQL_TIME_MAX, &x, e) != 0)
			return -1;
		*t = x;
	} else {
		if (int_of(v, -1, SQL_TIME_MAX * 1000 + 999, &x, e) != 0)
			return -1;
		if (x == -1)
			return 0;
		*t = x / 1000;
	}
	*has = 1;
	return 0;
}

static int reason_valid(long long r)
{
	return r >= REASON_UNSPECIFIED && r <= REASON_AA_COMPROMISE && r != 7;
}

static int reason_by_name(const struct val *v)
{
	for (int r = REASON_UNSPECIFIED; r <= REASON_AA_COMPROMISE; r++) {
		const char *name = status_reason_name(r);
		/* Any case: RFC 5280 writes cACompromise, openssl CACompromise. */
		if (name != NULL && strlen(name) == v->n && strcasecmp(name, v->s) == 0)
			return r;
	}
	return -1;
}

static int reason_of(const struct val *v, enum sql_conv conv, int *reason, struct err *e)
{
	long long x;

	*reason = REASON_NONE;
	if (v->null)
		return 0;
	if (conv == CONV_REASON_CODE ||
	    (conv == CONV_REASON_ANY && v->n > 0 && v->s[0] >= '0' && v->s[0] <= '9')) {
		if (int_of(v, conv == CONV_REASON_CODE ? -1 : 0, 10, &x, e) != 0)
			return -1;
		if (x == -1)
			return 0;
		if (!reason_valid(x))
			return bad(e, v, "is not a CRLReason code");
		*reason = (int)x;
		return 0;
	}
	if ((*reason = reason_by_name(v)) < 0)
		return bad(e, v, "is not a CRLReason name");
	return 0;
}

static int hold_of(const struct val *v, int *hold, struct err *e)
{
	*hold = HOLD_NOT_SET;
	if (v->null || v->n == 0)
		return 0;
	for (size_t i = 0; i < N(holds); i++) {
		if (strcmp(v->s, holds[i].oid) == 0 || strcasecmp(v->s, holds[i].name) == 0) {
			*hold = holds[i].hold;
			return 0;
		}
	}
	return bad(e, v, "is not a hold instruction");
}

static int serial_of(const struct val *v, enum sql_conv conv, struct serial *s,
    struct err *e)
{
	int r;

	if (v->null)
		return err_set(e, "%s is NULL", v->name);
	if (conv == CONV_SERIAL_ANY && v->n > 2 && v->s[0] == '0' &&
	    (v->s[1] == 'x' || v->s[1] == 'X'))
		r = serial_from_hex(s, v->s + 2, v->n - 2, e);
	else
		r = serial_from_decimal(s, v->s, v->n, e);
	return r == 0 ? 0 : err_prefix(e, "%s", v->name);
}

static int kind_of(const struct sql_preset *p, const struct val *v, enum sql_kind *k,
    struct err *e)
{
	if (v->null)
		return err_set(e, "%s is NULL", v->name);
	for (size_t i = 0; i < p->nstatus; i++) {
		if (strcmp(p->status[i].value, v->s) == 0) {
			*k = p->status[i].kind;
			return 0;
		}
	}
	return bad(e, v, "is not a status this preset knows");
}

/* Copies the columns, bounded, NUL-terminated (a NUL inside is refused:
 * no value of ours holds one). */
static int vals_of(const struct sql_preset *p, const char *const *cols, const size_t *lens,
    struct val *v, struct err *e)
{
	for (size_t i = 0; i < SQL_COLS; i++) {
		v[i].name = p->col[i];
		v[i].null = cols[i] == NULL || p->conv[i] == CONV_IGNORE;
		v[i].n = v[i].null ? 0 : lens[i];
		if (v[i].n > SQL_VALUE_MAX)
			return err_set(e, "%s is longer than %d bytes", v[i].name, SQL_VALUE_MAX);
		if (v[i].n > 0)
			memcpy(v[i].s, cols[i], v[i].n);
		v[i].s[v[i].n] = '\0';
		if (strlen(v[i].s) != v[i].n)
			return err_set(e, "%s holds a NUL byte", v[i].name);
	}
	return 0;
}

/* The record from the parsed columns: what the kind and reason say. */
static int settle(enum sql_kind kind, int reason, int64_t revoked_at, int has_revoked,
    int64_t invalidity, int hold, struct status_rec *r, const struct val *v,
    struct err *e)
{
	if (kind == KIND_ARCHIVED)
		kind = (reason == REASON_NONE || reason == REASON_REMOVE_FROM_CRL) ?
		    KIND_GOOD : KIND_REVOKED;
	if (kind == KIND_SKIP)
		return 1;
	if (kind == KIND_GOOD) {
		r->status = CERT_GOOD;
		return 0;
	}
	if (kind == KIND_HOLD) {
		if (reason != REASON_NONE && reason != REASON_CERTIFICATE_HOLD)
			return bad(e, &v[SQL_COL_REASON], "contradicts the hold status");
		reason = REASON_CERTIFICATE_HOLD;
	}
	if (!has_revoked)
		return err_set(e, "revoked, but %s is empty", v[SQL_COL_REVOKED_AT].name);
	/* removeFromCRL belongs in a delta CRL, never in a revoked answer. */
	if (reason == REASON_REMOVE_FROM_CRL)
		return bad(e, &v[SQL_COL_REASON], "on a revoked row");
	r->status = CERT_REVOKED;
	r->reason = (uint8_t)reason;
	r->revoked_at = revoked_at;
	r->invalidity = invalidity;
	r->hold = reason == REASON_CERTIFICATE_HOLD ? (uint8_t)hold : HOLD_NOT_SET;
	return 0;
}

int sql_row_parse(const struct sql_preset *p, const char *const *cols, const size_t *lens,
    size_t ncols, struct status_rec *r, struct err *e)
{
	struct val v[SQL_COLS];
	enum sql_kind kind = KIND_SKIP;
	int64_t revoked_at, invalidity, not_after;
	int has_revoked, has_inv, has_na, reason, hold;

	memset(r, 0, sizeof(*r));
	r->reason = REASON_NONE;
	if (ncols != SQL_COLS)
		return err_set(e, "%zu columns where %d are expected", ncols, SQL_COLS);
	if (vals_of(p, cols, lens, v, e) != 0 ||
	    serial_of(&v[SQL_COL_SERIAL], p->conv[SQL_COL_SERIAL], &r->serial, e) != 0 ||
	    kind_of(p, &v[SQL_COL_STATUS], &kind, e) != 0 ||
	    time_of(&v[SQL_COL_REVOKED_AT], p->conv[SQL_COL_REVOKED_AT], &revoked_at,
	        &has_revoked, e) != 0 ||
	    reason_of(&v[SQL_COL_REASON], p->conv[SQL_COL_REASON], &reason, e) != 0 ||
	    time_of(&v[SQL_COL_INVALIDITY], p->conv[SQL_COL_INVALIDITY], &invalidity,
	        &has_inv, e) != 0 ||
	    time_of(&v[SQL_COL_NOT_AFTER], p->conv[SQL_COL_NOT_AFTER], &not_after,
	        &has_na, e) != 0 ||
	    hold_of(&v[SQL_COL_HOLD], &hold, e) != 0)
		return -1;
	r->not_after = not_after;
	return settle(kind, reason, revoked_at, has_revoked, invalidity, hold, r, v, e);
}

/* Issuer values. */

int sql_issuer_openxpki(X509 *ca, char *out, size_t cap, struct err *e)
{
	unsigned char *der = NULL, md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char b64[4 * ((EVP_MAX_MD_SIZE + 2) / 3) + 1];
	int len, n, ret = -1;
	size_t o = 0;

	if ((len = i2d_X509(ca, &der)) <= 0)
		return err_ssl(e, "the issuer certificate cannot be encoded");
	if (EVP_Digest(der, (size_t)len, md, &mdlen, EVP_sha1(), NULL) != 1) {
		err_ssl(e, "SHA-1 of the issuer certificate");
		goto out;
	}
	n = EVP_EncodeBlock((unsigned char *)b64, md, (int)mdlen);
	/* base64url without padding, as OpenXPKI writes its identifiers. */
	for (int i = 0; i < n && b64[i] != '='; i++) {
		if (o + 1 >= cap) {
			err_set(e, "issuer identifier too long");
			goto out;
		}
		out[o++] = b64[i] == '+' ? '-' : b64[i] == '/' ? '_' : b64[i];
	}
	out[o] = '\0';
	ret = 0;
out:
	OPENSSL_free(der);
	return ret;
}

/* EJBCA's DnComponents forward order (the order of its database DNs) and
 * CeSecoreNameStyle's names. */
static const struct {
	int nid;
	const char *sym;
} ejbca_dn[] = {
	{ NID_streetAddress, "STREET" },
	{ NID_pseudonym, "Pseudonym" },
	{ NID_telephoneNumber, "TelephoneNumber" },
	{ NID_postalAddress, "PostalAddress" },
	{ NID_businessCategory, "BusinessCategory" },
	{ NID_postalCode, "PostalCode" },
	{ NID_pkcs9_unstructuredAddress, "unstructuredAddress" },
	{ NID_pkcs9_unstructuredName, "unstructuredName" },
	{ NID_pkcs9_emailAddress, "E" },
	{ NID_dnQualifier, "DN" },
	{ NID_userId, "UID" },
	{ NID_commonName, "CN" },
	{ NID_name, "Name" },
	{ NID_serialNumber, "SN" },
	{ NID_givenName, "GIVENNAME" },
	{ NID_initials, "INITIALS" },
	{ NID_surname, "SURNAME" },
	{ NID_title, "T" },
	{ NID_organizationalUnitName, "OU" },
	{ NID_organizationName, "O" },
	{ NID_localityName, "L" },
	{ NID_stateOrProvinceName, "ST" },
	{ NID_domainComponent, "DC" },
	{ NID_countryName, "C" },
};

static int ejbca_rank(int nid)
{
	for (size_t i = 0; i < N(ejbca_dn); i++)
		if (ejbca_dn[i].nid == nid)
			return (int)i;
	return -1;
}

struct out_buf {
	char *p;
	size_t cap, n;
	int over;
};

static void put(struct out_buf *b, const char *s, size_t n)
{
	if (b->over || b->n + n + 1 > b->cap) {
		b->over = 1;
		return;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
}

/* BouncyCastle's IETFUtils.valueToString: a leading '#', the specials
 * ,"\+=<>; and leading and trailing spaces get a backslash. */
static void put_bc_value(struct out_buf *b, const unsigned char *v, size_t n)
{
	size_t lead = 0, trail = 0;

	while (lead < n && v[lead] == ' ')
		lead++;
	while (trail < n - lead && v[n - 1 - trail] == ' ')
		trail++;
	for (size_t i = 0; i < n; i++) {
		int special = strchr(",\"\\+=<>;", v[i]) != NULL && v[i] != '\0';
		if ((i == 0 && v[i] == '#') || special || i < lead || i >= n - trail)
			put(b, "\\", 1);
		put(b, (const char *)v + i, 1);
	}
}

/* One attribute of the name: where EJBCA puts it, and its text. */
struct dn_item {
	int rank;
	size_t pos;
	const X509_NAME_ENTRY *ent;
};

static int ejbca_items(const X509_NAME *name, struct dn_item *it, size_t *n, struct err *e)
{
	int count = X509_NAME_entry_count(name);
	int reversed;

	if (count <= 0 || count > SQL_DN_MAX_ENTRIES)
		return err_set(e, "the issuer name has %d attributes", count);
	for (int i = 0; i < count; i++) {
		const X509_NAME_ENTRY *ent = X509_NAME_get_entry(name, i);
		int nid = OBJ_obj2nid(X509_NAME_ENTRY_get_object(ent));
		if (i > 0 && X509_NAME_ENTRY_set(ent) ==
		    X509_NAME_ENTRY_set(X509_NAME_get_entry(name, i - 1)))
			return err_set(e, "the issuer name has a multi-valued RDN: "
			    "set sql_issuer to its EJBCA issuerDN");
		if ((it[i].rank = ejbca_rank(nid)) < 0)
			return err_set(e, "the issuer name holds %s, which EJBCA orders its own "
			    "way: set sql_issuer to its EJBCA issuerDN", OBJ_nid2sn(nid));
		it[i].ent = ent;
	}
	/* EJBCA reverses a DN whose first attribute ranks after its last
	 * (CertTools.isDNReversed): the usual C-first DER order then reads
	 * CN first, and that decides the order among equal types. */
	reversed = it[0].rank > it[count - 1].rank;
	for (int i = 0; i < count; i++)
		it[i].pos = reversed ? (size_t)(count - 1 - i) : (size_t)i;
	*n = (size_t)count;
	return 0;
}

static int item_cmp(const void *a, const void *b)
{
	const struct dn_item *x = a, *y = b;

	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

int sql_issuer_ejbca(X509 *ca, char *out, size_t cap, struct err *e)
{
	struct dn_item it[SQL_DN_MAX_ENTRIES];
	struct out_buf b = { out, cap, 0, 0 };
	size_t n = 0;

	if (cap == 0)
		return err_set(e, "no room for the issuer DN");
	out[0] = '\0';
	if (ejbca_items(X509_get_subject_name(ca), it, &n, e) != 0)
		return -1;
	qsort(it, n, sizeof(it[0]), item_cmp);
	for (size_t i = 0; i < n; i++) {
		unsigned char *utf8 = NULL;
		int len = ASN1_STRING_to_UTF8(&utf8,
		    X509_NAME_ENTRY_get_data(it[i].ent));
		const char *sym = ejbca_dn[it[i].rank].sym;
		if (len < 0)
			return err_ssl(e, "an issuer name value is not text");
		if (i > 0)
			put(&b, ",", 1);
		put(&b, sym, strlen(sym));
		put(&b, "=", 1);
		put_bc_value(&b, utf8, (size_t)len);
		OPENSSL_free(utf8);
	}
	if (b.over)
		return err_set(e, "the issuer DN is longer than %zu bytes", cap - 1);
	return 0;
}

static int issuer_rfc2253(X509 *ca, char *out, size_t cap, struct err *e)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *p;
	long n;
	int ret = -1;

	if (bio == NULL)
		return err_ssl(e, "out of memory");
	if (X509_NAME_print_ex(bio, X509_get_subject_name(ca), 0, XN_FLAG_RFC2253) < 0) {
		err_ssl(e, "the issuer name cannot be printed");
		goto out;
	}
	n = BIO_get_mem_data(bio, &p);
	if (n <= 0 || (size_t)n >= cap) {
		err_set(e, "the issuer name is empty or longer than %zu bytes", cap - 1);
		goto out;
	}
	memcpy(out, p, (size_t)n);
	out[n] = '\0';
	ret = 0;
out:
	BIO_free(bio);
	return ret;
}

int sql_preset_issuer(const struct sql_preset *p, X509 *ca, char *out, size_t cap,
    struct err *e)
{
	switch (p->issuer) {
	case ISSUER_OPENXPKI:
		return sql_issuer_openxpki(ca, out, cap, e);
	case ISSUER_EJBCA:
		return sql_issuer_ejbca(ca, out, cap, e);
	case ISSUER_RFC2253:
		break;
	}
	return issuer_rfc2253(ca, out, cap, e);
}
