/* Manual page parts in roff (man(7) macros), written from the tables the
 * programs parse with: the OPTIONS of a program from its flag table
 * (cli.h) and the keys of ocsp.conf(5) from the configuration key table
 * (config_keys_each). The build runs each program's hidden --help-man and
 * pastes the result into the page's template (contrib/man/), so a page
 * cannot describe a flag or key that does not exist or miss one that does.
 *
 * Nothing here prints: every output line goes to line(text, arg), without
 * its newline. A line never starts with '.' or '\'' unless it is a macro,
 * and text is escaped ('\' as \e, '-' as \-), so groff reads it verbatim. */
#ifndef OCSP_MANPAGE_H
#define OCSP_MANPAGE_H

#include <stddef.h>

#include "ocsp/cli.h"
#include "ocsp/err.h"

/* The longest line written, escaped; a longer one is an error (a help
 * text that long belongs in the page's prose). */
#define MAN_LINE_MAX 4096

typedef void man_line_fn(const char *text, void *arg);

/* One .TP paragraph per visible row of table (hidden rows left out): the
 * flag's forms and argument, its help, and for a key flag the key it sets.
 * Returns 0, or -1 with e set when a text is too long. */
int man_flags(const struct cli_flag *table, man_line_fn *line, void *arg, struct err *e);

/* One .SS per section and one .TP per key: its help, kind, bounds,
 * choices and default. Returns 0 or -1 as man_flags. */
int man_config_keys(man_line_fn *line, void *arg, struct err *e);

/* What --help-man prints: what is "options" (man_flags of table) or
 * "config" (man_config_keys). Returns 0, or -1 with e set for another
 * what or a failure of those. */
int man_print(const char *what, const struct cli_flag *table, man_line_fn *line, void *arg,
    struct err *e);

/* Escapes len bytes of text for roff into buf (NUL-terminated), with \&
 * in front when it would start with '.' or '\''. Returns 0, or -1 when
 * buf is too small. */
int man_escape(char *buf, size_t size, const char *text, size_t len);

#endif
