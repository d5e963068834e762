#include "head_hook.h"

#include <stdint.h>

/* Each civetweb worker thread reads a request's head, calls the hook and
 * then lookupd's begin_request for that same request before it reads
 * another: one verdict per thread is all there ever is in flight. A head
 * civetweb refuses by itself after the hook (bad Transfer-Encoding, HTTP
 * version) never reaches begin_request; its verdict is replaced by the
 * next request's. */
static _Thread_local struct http_head_verdict verdict;
static _Thread_local int have_verdict;

void ocsp_civetweb_head(const char *head, int len)
{
	/* civetweb calls this only with the head read in full; anything
	 * else would be a misplaced hook: refuse rather than guess. */
	http_head_check(head, len > 0 ? (size_t)len : 0, SIZE_MAX, &verdict);
	have_verdict = 1;
}

int head_hook_take(size_t max_fields, struct http_head_verdict *v)
{
	if (!have_verdict)
		return -1;
	have_verdict = 0;
	*v = verdict;
	return http_head_limit(v, max_fields);
}
