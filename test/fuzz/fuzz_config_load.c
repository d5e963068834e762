/* config_load: an operator's INI file, every section and key kind. What
 * it accepts must come out of config_finish either with a clear error or
 * as a configuration whose invariants hold, and nothing may leak. */
#include <string.h>

#include <stdint.h>
#include <stdio.h>

#include "ocsp/config.h"
#include "ocsp/err.h"
#include "ocsp/source.h"
#include "fuzz.h"

/* Larger inputs only repeat what these exercise. */
#define FUZZ_CONFIG_MAX 16384

static void check_ca(const struct ca_conf *ca, enum config_user who)
{
	FUZZ_ASSERT(ca->issuer != NULL);
	FUZZ_ASSERT(who != CONFIG_PUBLISHER || (ca->source != NULL && ca->nuse > 0));
	if (ca->source != NULL) {
		struct source_spec spec;
		FUZZ_ASSERT(source_spec_parse(ca->source, &spec, NULL) == 0);
		/* index is the index: source's file, and only that. */
		FUZZ_ASSERT((spec.kind == SOURCE_INDEX) == (ca->index != NULL));
		FUZZ_ASSERT(ca->index == NULL || strcmp(ca->index, spec.where) == 0);
		FUZZ_ASSERT(spec.kind == SOURCE_CRL || (ca->issued == NULL &&
		    ca->crl_signer == NULL && ca->crl_delta == NULL));
		FUZZ_ASSERT(spec.kind != SOURCE_SQL || (ca->sql_preset != NULL) != (ca->sql_query != NULL));
	} else {
		FUZZ_ASSERT(ca->index == NULL);
	}
	FUZZ_ASSERT(ca->nuse <= CONFIG_CA_SIGNERS_MAX);
	FUZZ_ASSERT(ca->refresh > 0 && ca->refresh < ca->validity);
	FUZZ_ASSERT(ca->backdate * 2 <= ca->validity);
	FUZZ_ASSERT(!ca->sig_required || ca->requestors != NULL);
	for (size_t i = 0; i < ca->nuse; i++) {
		FUZZ_ASSERT(ca->use[i]->certificate != NULL && ca->use[i]->key != NULL);
		for (size_t j = 0; j < i; j++)
			FUZZ_ASSERT(ca->use[i] != ca->use[j]);
	}
}

static void one(const uint8_t *data, size_t size, enum config_user who)
{
	struct config c;
	struct err e = { "" };
	FILE *f = fmemopen((void *)data, size, "r");

	if (f == NULL)
		return;
	FUZZ_ASSERT(config_init(&c, &e) == 0);
	if (config_load_stream(&c, f, "fuzz.conf", &e) != 0) {
		/* every error names the file (and the line, when it has one) */
		FUZZ_ASSERT(strncmp(e.msg, "fuzz.conf", 9) == 0);
	} else if (config_finish(&c, who, &e) != 0) {
		FUZZ_ASSERT(e.msg[0] != '\0');
	} else {
		for (size_t i = 0; i < c.ncas; i++)
			check_ca(&c.cas[i], who);
		for (size_t i = 0; i < c.nsigners; i++)
			FUZZ_ASSERT(c.signers[i].certificate && c.signers[i].key);
	}
	fclose(f);
	config_fini(&c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0 || size > FUZZ_CONFIG_MAX)
		return 0;
	one(data, size, CONFIG_PUBLISHER);
	one(data, size, CONFIG_LOOKUPD);
	return 0;
}
