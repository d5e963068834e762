/* issuer_meta_parse: an issuer.meta from the tree. What it accepts must
 * survive issuer_meta_format -> issuer_meta_parse unchanged. */
#include <string.h>

#include "ocsp/tree.h"
#include "fuzz.h"

static void same(const struct issuer_meta *a, const struct issuer_meta *b)
{
	FUZZ_ASSERT(a->format == b->format);
	FUZZ_ASSERT(strcmp(a->name, b->name) == 0);
	FUZZ_ASSERT(strcmp(a->subject, b->subject) == 0);
	FUZZ_ASSERT(a->have_hash == b->have_hash);
	for (int alg = 0; alg < HASH_COUNT; alg++)
		if (a->have_hash & (1u << alg))
			FUZZ_ASSERT(memcmp(&a->hash[alg], &b->hash[alg], sizeof(a->hash[alg])) == 0);
	FUZZ_ASSERT(a->presigned == b->presigned);
	FUZZ_ASSERT(strcmp(a->signer_fpr, b->signer_fpr) == 0);
	FUZZ_ASSERT(strcmp(a->signer_subject, b->signer_subject) == 0);
	FUZZ_ASSERT(strcmp(a->signer_name, b->signer_name) == 0);
	FUZZ_ASSERT(a->signer_expires == b->signer_expires && a->signer_since == b->signer_since);
	FUZZ_ASSERT(a->previous_signer_until == b->previous_signer_until &&
	    a->previous_signer_expires == b->previous_signer_expires);
	FUZZ_ASSERT(a->validity == b->validity && a->refresh == b->refresh &&
	    a->backdate == b->backdate);
	FUZZ_ASSERT(a->generation == b->generation && a->published == b->published &&
	    a->count == b->count);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char out[2 * TREE_META_MAX];
	struct issuer_meta m, back;
	struct err e;
	char *text;
	size_t len;

	if (size > TREE_META_MAX)
		return 0;
	text = malloc(size + 1);
	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	e.msg[0] = '\0';
	if (issuer_meta_parse(text, &m, &e) != 0) {
		FUZZ_ASSERT(e.msg[0] != '\0');
		goto out;
	}
	FUZZ_ASSERT(m.format == TREE_FORMAT && (m.have_hash & (1u << HASH_SHA1)));
	/* A ';' that did not start a comment where it was read may start one
	 * once written after "key = "; the publisher never writes one (CA
	 * names are [A-Za-z0-9._-], subjects have ';' replaced). */
	if (strchr(m.name, ';') || strchr(m.subject, ';') || strchr(m.signer_fpr, ';') ||
	    strchr(m.signer_subject, ';') || strchr(m.signer_name, ';'))
		goto out;
	/* times before 1950 cannot be written back; everything else can */
	if (issuer_meta_format(&m, out, sizeof(out), &len, &e) != 0)
		goto out;
	FUZZ_ASSERT(strlen(out) == len);
	FUZZ_ASSERT(issuer_meta_parse(out, &back, &e) == 0);
	same(&m, &back);
out:
	free(text);
	return 0;
}
