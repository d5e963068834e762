/* tree_marker_parse: the root marker ("generation") of a tree. What it
 * accepts must survive tree_marker_format -> tree_marker_parse. */
#include <string.h>

#include "ocsp/tree.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char out[512];
	struct tree_marker m, back;
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
	if (tree_marker_parse(text, &m, &e) != 0) {
		FUZZ_ASSERT(e.msg[0] != '\0');
		goto out;
	}
	FUZZ_ASSERT(m.format == TREE_FORMAT);
	if (tree_marker_format(&m, out, sizeof(out), &len, &e) != 0)
		goto out;	/* a published time before 1950 */
	FUZZ_ASSERT(tree_marker_parse(out, &back, &e) == 0);
	FUZZ_ASSERT(back.generation == m.generation && back.published == m.published &&
	    back.issuers == m.issuers);
out:
	free(text);
	return 0;
}
