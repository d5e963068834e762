/* Reading file mappings that someone else may truncate.
 *
 * The tree is replaced by rename, so a mapping normally stays valid. But
 * an operator's cp, an editor or `rsync --inplace` truncates the file under
 * it, and touching a page past the new end raises SIGBUS, which would take
 * the whole daemon down. Every user-space read of a mapping goes through
 * memguard_copy, which turns that fault into an error return. */
#ifndef OCSP_MEMGUARD_H
#define OCSP_MEMGUARD_H

#include <stddef.h>

/* Installs the SIGBUS handler (once per process). Without it,
 * memguard_copy is a plain copy and a fault still kills the process. */
int memguard_install(void);

/* Copies n bytes from src, which may be a file mapping. Returns 0, or -1
 * when the source faulted (dst then holds garbage). */
int memguard_copy(void *dst, const void *src, size_t n);

#endif
