/* purge_answer_ok and purge_json_member on a provider's answer: the first
 * byte picks the preset and the status, the rest is the body. A member
 * found lies within the body; an answer is accepted only with the member
 * its provider documents, spelled as documented; blanks before the body
 * change nothing; a refusal always says why. */
#include <stdlib.h>
#include <string.h>

#include "ocsp/purge.h"
#include "fuzz.h"

static const char *const items[] = { "ocsp-aa", "ocsp-aa-01" };

static int member_is(const char *b, size_t n, const char *name, const char *want)
{
	const char *v;
	size_t vn;

	return purge_json_member(b, n, name, &v, &vn) == 1 && vn == strlen(want) &&
	    memcmp(v, want, vn) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum purge_preset preset;
	const char *body = (const char *)data + 1, *v;
	char why[128], why2[128], *padded;
	size_t n, vn;
	long status;
	int ok, r;

	if (size < 1 || size > PURGE_ANSWER_BODY_MAX)
		return 0;
	preset = (enum purge_preset)(data[0] & 3);
	status = data[0] & 4 ? 201 : 200;
	n = size - 1;
	ok = purge_answer_ok(preset, status, body, n, items, 2, why, sizeof(why));
	FUZZ_ASSERT(ok == 0 || ok == 1);
	FUZZ_ASSERT(ok || why[0] != '\0');
	if (preset == PURGE_GENERIC)
		FUZZ_ASSERT(ok);
	if (preset == PURGE_CLOUDFLARE)
		FUZZ_ASSERT(ok == member_is(body, n, "success", "true"));
	if (preset == PURGE_AKAMAI)
		FUZZ_ASSERT(ok == (status == 201 && member_is(body, n, "httpStatus", "201")));
	if (preset == PURGE_FASTLY && ok)
		FUZZ_ASSERT(member_is(body, n, "status", "\"ok\"") ||
		    (purge_json_member(body, n, "status", &v, &vn) == 0 &&
		    purge_json_member(body, n, items[0], &v, &vn) == 1 &&
		    purge_json_member(body, n, items[1], &v, &vn) == 1));
	r = purge_json_member(body, n, "success", &v, &vn);
	FUZZ_ASSERT(r >= -1 && r <= 1);
	if (r == 1)
		FUZZ_ASSERT(vn > 0 && v >= body && v + vn <= body + n);
	/* Leading blanks: the same judgement. */
	if ((padded = malloc(n + 3)) == NULL)
		return 0;
	memcpy(padded, " \n\t", 3);
	memcpy(padded + 3, body, n);
	FUZZ_ASSERT(purge_answer_ok(preset, status, padded, n + 3, items, 2, why2,
	    sizeof(why2)) == ok);
	free(padded);
	return 0;
}
