#include "ocsp/manpage.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ocsp/config.h"

/* Appends s to buf at *used; -1 when it does not fit with its NUL. */
static int put(char *buf, size_t size, size_t *used, const char *s, size_t len)
{
	if (len >= size - *used)
		return -1;
	memcpy(buf + *used, s, len);
	*used += len;
	buf[*used] = '\0';
	return 0;
}

int man_escape(char *buf, size_t size, const char *text, size_t len)
{
	size_t used = 0;
	int r = 0;

	if (size == 0)
		return -1;
	buf[0] = '\0';
	if (len > 0 && (text[0] == '.' || text[0] == '\''))
		r |= put(buf, size, &used, "\\&", 2);
	for (size_t i = 0; i < len && r == 0; i++) {
		if (text[i] == '\\')
			r = put(buf, size, &used, "\\e", 2);
		else if (text[i] == '-')
			r = put(buf, size, &used, "\\-", 2);
		else
			r = put(buf, size, &used, &text[i], 1);
	}
	return r;
}

/* One output line built from raw roff and escaped text; bad is sticky,
 * checked once when the line is emitted. */
struct linebuf {
	char buf[MAN_LINE_MAX];
	size_t used;
	int bad;
};

static void lb_raw(struct linebuf *b, const char *s)
{
	if (!b->bad && put(b->buf, sizeof(b->buf), &b->used, s, strlen(s)) != 0)
		b->bad = 1;
}

static void lb_text(struct linebuf *b, const char *s, size_t len)
{
	char esc[MAN_LINE_MAX];

	if (b->bad)
		return;
	/* man_escape's \& before a leading '.' is harmless mid-line and
	 * needed at the start of one. */
	if (man_escape(esc, sizeof(esc), s, len) != 0 ||
	    put(b->buf, sizeof(b->buf), &b->used, esc, strlen(esc)) != 0)
		b->bad = 1;
}

static int lb_emit(struct linebuf *b, man_line_fn *line, void *arg, struct err *e)
{
	int bad = b->bad;

	if (!bad)
		line(b->buf, arg);
	b->used = 0;
	b->buf[0] = '\0';
	b->bad = 0;
	if (bad)
		return err_set(e, "manual page: a line longer than %d characters", MAN_LINE_MAX);
	return 0;
}

/* Each '\n'-separated line of help as a text line of its own (roff fills
 * them into one paragraph). */
static int emit_help(const char *help, man_line_fn *line, void *arg, struct err *e)
{
	struct linebuf b = { .used = 0 };

	for (;;) {
		size_t len = strcspn(help, "\n");
		if (len > 0) {
			lb_text(&b, help, len);
			if (lb_emit(&b, line, arg, e) != 0)
				return -1;
		}
		if (help[len] == '\0')
			return 0;
		help += len + 1;
	}
}

static int flag_row(const struct cli_flag *f, man_line_fn *line, void *arg, struct err *e)
{
	struct linebuf b = { .used = 0 };
	char letter[2] = { f->letter, '\0' };

	line(".TP", arg);
	if (f->letter) {
		lb_raw(&b, "\\fB\\-");
		lb_text(&b, letter, 1);
		lb_raw(&b, "\\fR, ");
	}
	lb_raw(&b, "\\fB\\-\\-");
	lb_text(&b, f->name, strlen(f->name));
	lb_raw(&b, "\\fR");
	if (f->arg != NULL) {
		lb_raw(&b, " \\fI");
		lb_text(&b, f->arg, strlen(f->arg));
		lb_raw(&b, "\\fR");
	}
	if (lb_emit(&b, line, arg, e) != 0 || emit_help(f->help, line, arg, e) != 0)
		return -1;
	if (f->key == NULL)
		return 0;
	/* The key it sets, so the flag's full meaning is one look-up away; on
	 * a line of its own, as help texts end without a full stop. */
	line(".br", arg);
	lb_raw(&b, "Sets \\fB");
	lb_text(&b, f->key, strlen(f->key));
	lb_raw(&b, "\\fR ");
	if (f->section[0] == '\0') {
		lb_raw(&b, "(top level)");
	} else {
		lb_raw(&b, "in \\fB[");
		lb_text(&b, f->section, strlen(f->section));
		lb_raw(&b, "]\\fR");
	}
	if (f->arg == NULL && f->value != NULL) {
		lb_raw(&b, " to \\fB");
		lb_text(&b, f->value, strlen(f->value));
		lb_raw(&b, "\\fR");
	}
	lb_raw(&b, "; see");
	if (lb_emit(&b, line, arg, e) != 0)
		return -1;
	line(".BR ocsp.conf (5).", arg);
	return 0;
}

int man_flags(const struct cli_flag *table, man_line_fn *line, void *arg, struct err *e)
{
	for (size_t i = 0; table[i].name != NULL; i++)
		if (table[i].help != NULL && flag_row(&table[i], line, arg, e) != 0)
			return -1;
	return 0;
}

/* A bound in seconds in the largest unit that divides it. */
static void duration_text(char *buf, size_t size, int64_t s)
{
	static const struct { int64_t secs; char unit; } units[] = {
		{ 86400, 'd' }, { 3600, 'h' }, { 60, 'm' },
	};

	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (s != 0 && s % units[i].secs == 0) {
			snprintf(buf, size, "%" PRId64 "%c", s / units[i].secs, units[i].unit);
			return;
		}
	snprintf(buf, size, "%" PRId64 "s", s);
}

static void kind_line(const struct config_key_doc *k, struct linebuf *b)
{
	char lo[32], hi[32];

	if (strcmp(k->kind, "integer") == 0 && (k->min != 0 || k->max != 0)) {
		snprintf(lo, sizeof(lo), "%" PRId64, k->min);
		snprintf(hi, sizeof(hi), "%" PRId64, k->max);
		lb_raw(b, "An integer from ");
	} else if (strcmp(k->kind, "duration") == 0) {
		duration_text(lo, sizeof(lo), k->min);
		duration_text(hi, sizeof(hi), k->max);
		lb_raw(b, "A duration (s, m, h or d; a bare number is ");
		lb_raw(b, k->unit == 'd' ? "days" : k->unit == 'h' ? "hours" : "seconds");
		lb_raw(b, ") from ");
	} else if (strcmp(k->kind, "choice") == 0) {
		lb_raw(b, "One of");
		for (size_t i = 0; k->choices[i] != NULL; i++) {
			lb_raw(b, i == 0 ? " \\fB" : ", \\fB");
			lb_text(b, k->choices[i], strlen(k->choices[i]));
			lb_raw(b, "\\fR");
		}
		lb_raw(b, ".");
		return;
	} else {
		return;
	}
	lb_text(b, lo, strlen(lo));
	lb_raw(b, " to ");
	lb_text(b, hi, strlen(hi));
	lb_raw(b, ".");
}

struct keys_state {
	man_line_fn *line;
	void *arg;
	struct err *e;
	const char *section;	/* of the last key, to start a new .SS */
	int failed;
};

static int key_row(const struct config_key_doc *k, struct keys_state *st)
{
	struct linebuf b = { .used = 0 };

	if (st->section == NULL || strcmp(st->section, k->section) != 0) {
		if (k->section[0] == '\0') {
			lb_raw(&b, ".SS \"Top level (before any section)\"");
		} else {
			lb_raw(&b, ".SS \"[");
			lb_text(&b, k->section, strlen(k->section));
			lb_raw(&b, "]\"");
		}
		if (lb_emit(&b, st->line, st->arg, st->e) != 0)
			return -1;
		st->section = k->section;
	}
	st->line(".TP", st->arg);
	lb_raw(&b, "\\fB");
	lb_text(&b, k->name, strlen(k->name));
	lb_raw(&b, "\\fR");
	if (lb_emit(&b, st->line, st->arg, st->e) != 0 ||
	    emit_help(k->help, st->line, st->arg, st->e) != 0)
		return -1;
	kind_line(k, &b);
	if (k->def != NULL) {
		lb_raw(&b, b.used ? " Default: \\fB" : "Default: \\fB");
		lb_text(&b, k->def, strlen(k->def));
		lb_raw(&b, "\\fR.");
	}
	if (b.used > 0) {
		st->line(".br", st->arg);
		if (lb_emit(&b, st->line, st->arg, st->e) != 0)
			return -1;
	}
	return 0;
}

static void each_key(const struct config_key_doc *k, void *arg)
{
	struct keys_state *st = arg;

	if (!st->failed && key_row(k, st) != 0)
		st->failed = 1;
}

int man_config_keys(man_line_fn *line, void *arg, struct err *e)
{
	struct keys_state st = { .line = line, .arg = arg, .e = e };

	config_keys_each(each_key, &st);
	return st.failed ? -1 : 0;
}

int man_print(const char *what, const struct cli_flag *table, man_line_fn *line, void *arg,
    struct err *e)
{
	if (strcmp(what, "options") == 0)
		return man_flags(table, line, arg, e);
	if (strcmp(what, "config") == 0)
		return man_config_keys(line, arg, e);
	return err_set(e, "--help-man: '%s' is not options or config", what);
}
