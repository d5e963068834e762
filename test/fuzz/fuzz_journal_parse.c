/* journal_parse: the audit journal's lines (journal.h), one per input
 * line, in the order and with the counts journal_verify demands. Every
 * line the parser accepts must format back to exactly its own bytes (the
 * format is canonical: no second spelling of a value can hide an edit),
 * and the formatted line must parse to the same fields again. */
#include <string.h>

#include "ocsp/journal.h"
#include "fuzz.h"

/* More lines say nothing new about one line's parser. */
#define LINES_MAX 64

static void same_fields(const struct journal_line *a, const struct journal_line *b)
{
	FUZZ_ASSERT(a->tag == b->tag && a->format == b->format && a->seq == b->seq &&
	    a->generation == b->generation && a->time == b->time &&
	    a->has_hash == b->has_hash && memcmp(a->hash, b->hash, sizeof(a->hash)) == 0 &&
	    strcmp(a->ca, b->ca) == 0 && serial_cmp(&a->serial, &b->serial) == 0 &&
	    a->status == b->status && a->reason == b->reason &&
	    a->this_update == b->this_update && a->next_update == b->next_update &&
	    strcmp(a->signer, b->signer) == 0 && a->algs == b->algs &&
	    memcmp(a->der_sha256, b->der_sha256, sizeof(a->der_sha256)) == 0 &&
	    a->result == b->result && a->n_signed == b->n_signed &&
	    a->n_unchanged == b->n_unchanged && a->n_removed == b->n_removed &&
	    a->n_errors == b->n_errors);
}

static void one_line(const char *s, size_t n)
{
	struct journal_line l, back;
	char out[JOURNAL_LINE_MAX + 2];
	struct err e;
	size_t len = 0;

	e.msg[0] = '\0';
	if (journal_line_parse(s, n, &l, &e) != 0) {
		FUZZ_ASSERT(e.msg[0] != '\0');
		return;
	}
	FUZZ_ASSERT(n <= JOURNAL_LINE_MAX);
	FUZZ_ASSERT(journal_line_format(&l, out, sizeof(out), &len, &e) == 0);
	FUZZ_ASSERT(len == n + 1 && out[n] == '\n' && memcmp(out, s, n) == 0);
	FUZZ_ASSERT(journal_line_parse(out, n, &back, &e) == 0);
	same_fields(&l, &back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	size_t i = 0;

	for (int k = 0; k < LINES_MAX && i <= size; k++) {
		const char *nl = memchr(s + i, '\n', size - i);
		size_t n = nl ? (size_t)(nl - (s + i)) : size - i;
		one_line(s + i, n);
		if (nl == NULL)
			break;
		i += n + 1;
	}
	return 0;
}
