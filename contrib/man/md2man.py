#!/usr/bin/env python3
"""Writes ocsp-tree(5) from layout/TREE.md, so the page is the format's own
text and cannot drift from it.

  md2man.py TREE.md OUT VERSION DATE

Knows the Markdown TREE.md uses, and fails on anything else rather than
print it wrongly: '#', '##' and '###' headings, paragraphs, '-' lists with
two-space continuation lines, ``` code blocks, pipe tables, and inline
`code`, **bold**, *italic* and [links](target) (the text is kept).
"""
import re
import sys

NAME = "ocsp-tree"


def esc(text):
    """Escapes text for roff: backslash, and '-' inside code (a minus)."""
    return text.replace("\\", "\\e")


def code(text):
    return "\\fB" + esc(text).replace("-", "\\-") + "\\fR"


INLINE = re.compile(r"`([^`]+)`|\*\*([^*]+)\*\*|\*([^*\s][^*]*)\*|\[([^\]]+)\]\([^)]+\)")


def inline(text):
    out, pos = [], 0
    for m in INLINE.finditer(text):
        out.append(esc(text[pos:m.start()]))
        if m.group(1) is not None:
            out.append(code(m.group(1)))
        elif m.group(2) is not None:
            out.append("\\fB" + inline(m.group(2)) + "\\fR")
        elif m.group(3) is not None:
            out.append("\\fI" + inline(m.group(3)) + "\\fR")
        else:
            out.append(inline(m.group(4)))
        pos = m.end()
    out.append(esc(text[pos:]))
    return "".join(out)


def textline(s):
    """A roff text line: never starting with a control character."""
    s = s.strip()
    if s.startswith((".", "'")):
        s = "\\&" + s
    return s


def codeline(s):
    """A line of a code block, its indentation kept (no-fill mode)."""
    s = esc(s.rstrip()).replace("-", "\\-")
    if s.startswith((".", "'")):
        s = "\\&" + s
    return s


def heading(text):
    """A section heading in capitals, code spans as they are."""
    parts = text.split("`")
    parts = [p if k % 2 else p.upper() for k, p in enumerate(parts)]
    return inline("`".join(parts)).replace('"', "'")


def cells(row):
    row = row.strip()
    if not (row.startswith("|") and row.endswith("|")):
        raise ValueError("table row without outer pipes: " + row)
    return [c.strip() for c in row[1:-1].split("|")]


# Lines that start something other than a paragraph.
SPECIAL = re.compile(r"^(#{1,3} |```|\||- |\d+\. )")


def convert(lines, version, date):
    out = [
        '.\\" Generated from layout/TREE.md by contrib/man/md2man.py: do not edit.',
        '.TH OCSP\\-TREE 5 "%s" "ocsp\\-responder %s" "File Formats Manual"' % (date, version),
    ]
    i, n = 0, len(lines)
    started = False
    while i < n:
        line = lines[i]
        if line.startswith("### "):
            out.append('.SS "%s"' % inline(line[4:]).replace('"', "'"))
        elif line.startswith("## "):
            out.append('.SH "%s"' % heading(line[3:]))
        elif line.startswith("# "):
            if started:
                raise ValueError("a second '# ' title: " + line)
            started = True
            title = line[2:]
            out += [".SH NAME", NAME + " \\- " + inline(title[0].lower() + title[1:]),
                    ".SH DESCRIPTION"]
        elif line.startswith("```"):
            out += [".PP", ".RS 4", ".nf"]
            i += 1
            while i < n and not lines[i].startswith("```"):
                out.append(codeline(lines[i]))
                i += 1
            if i == n:
                raise ValueError("unterminated code block")
            out += [".fi", ".RE"]
        elif line.startswith("|"):
            head = cells(line)
            i += 1
            if i == n or not re.match(r"^\|(\s*:?-+:?\s*\|)+$", lines[i].strip()):
                raise ValueError("table without a separator row: " + line)
            while i + 1 < n and lines[i + 1].startswith("|"):
                i += 1
                row = cells(lines[i])
                tag = inline(row[0])
                if head[0]:
                    tag = "\\fI" + inline(head[0]) + "\\fR " + tag
                out += [".TP", textline(tag) or "\\&"]
                for h, c in zip(head[1:], row[1:]):
                    out.append(textline((("\\fI" + inline(h) + "\\fR: ") if h else "") + inline(c)))
                    out.append(".br")
                out.pop()
            out.append(".PP")
        elif re.match(r"^(- |\d+\. )", line):
            m = re.match(r"^(- |\d+\. )(.*)", line)
            mark = "\\(bu" if m.group(1) == "- " else m.group(1).strip()
            item = [m.group(2)]
            while i + 1 < n and lines[i + 1].startswith("  ") and lines[i + 1].strip():
                i += 1
                item.append(lines[i].strip())
            # Joined first: a code span may go on over a line break.
            out += [".IP %s 4" % mark, textline(inline(" ".join(item)))]
        elif line.strip() == "":
            if out[-1] not in (".PP",) and not out[-1].startswith((".SH", ".SS")):
                out.append(".PP")
        else:
            # A paragraph right after a list continues at the margin.
            prev = lines[i - 1] if i > 0 else ""
            if prev.startswith(("- ", "  ")) and not prev.startswith("   "):
                out.append(".PP")
            para = [line]
            while i + 1 < n and lines[i + 1].strip() and not SPECIAL.match(lines[i + 1]):
                i += 1
                para.append(lines[i])
            out.append(textline(inline(" ".join(l.strip() for l in para))))
        i += 1
    while out[-1] == ".PP":
        out.pop()
    out += [".SH SEE ALSO", ".BR ocsp\\-publisher (8),", ".BR ocsp\\-lookupd (8),",
            ".BR ocsp.conf (5)"]
    # A .PP straight before a heading is noise.
    cleaned = []
    for l in out:
        if l.startswith((".SH", ".SS")) and cleaned and cleaned[-1] == ".PP":
            cleaned.pop()
        cleaned.append(l)
    return "\n".join(cleaned) + "\n"


def main():
    if len(sys.argv) != 5:
        sys.exit("usage: md2man.py TREE.md OUT VERSION DATE")
    src, dst, version, date = sys.argv[1:]
    with open(src, encoding="utf-8") as f:
        lines = f.read().split("\n")
    try:
        page = convert(lines, version, date)
    except ValueError as e:
        sys.exit("%s: %s" % (src, e))
    with open(dst + ".tmp", "w", encoding="utf-8") as f:
        f.write(page)
    import os
    os.replace(dst + ".tmp", dst)


if __name__ == "__main__":
    main()
