/* The seam between civetweb and lookupd's head check: civetweb's
 * get_request calls ocsp_civetweb_head on the raw head before it parses
 * it in place (the call is inserted into the built-in copy of civetweb.c
 * at build time, lookupd/civetweb.cmake), and lookupd's begin_request
 * callback takes the verdict, on the same thread, for the same request.
 * Only in the built-in civetweb build: the system library never calls it. */
#ifndef LOOKUPD_HEAD_HOOK_H
#define LOOKUPD_HEAD_HOOK_H

#include <stddef.h>

#include "head.h"

/* Called by civetweb with conn->buf and conn->request_len, once the whole
 * head has been read and before anything parses it: checks the head
 * (http_head_check, no field limit) and keeps the verdict for this
 * thread, replacing any verdict not taken. len <= 0 is a 400. */
void ocsp_civetweb_head(const char *head, int len);

/* Takes this thread's verdict, with max_fields applied
 * (http_head_limit), into *v and returns its status; -1 when no head was
 * checked on this thread since the last take (the hook is not in the
 * civetweb that runs: a bug, as the build inserts it). */
int head_hook_take(size_t max_fields, struct http_head_verdict *v);

#endif
