#!/usr/bin/env bash
# The manual pages the build generated (build/man/): groff reads each with
# every warning on and says nothing, man -l renders it, and the pages hold
# what they are generated from: every flag of each program's --help in its
# OPTIONS, every key of --help-config in ocsp.conf(5), every heading of
# layout/TREE.md in ocsp-tree(5). A hidden flag stays out of the pages.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
: "${MAN_DIR:?set by ctest}" "${LOOKUPD:?}" "${PUBLISHER:?}" "${AUDIT:?}"
top=$(cd "$(dirname "$0")/../.." && pwd)
export LC_ALL=C.UTF-8 MANWIDTH=80

for p in ocsp-lookupd.8 ocsp-publisher.8 ocsp-audit.8 ocsp.conf.5 ocsp-tree.5; do
	f=$MAN_DIR/$p
	check "$p generated" [ -s "$f" ]
	warn=$(groff -ww -z -man "$f" 2>&1)
	check "$p: groff -ww -z -man says nothing" [ -z "$warn" ]
	[ -z "$warn" ] || echo "$warn" | head -20
	# man's own run (preprocessors, its width): warnings on stderr.
	warn=$(man --warnings -l "$f" 2>&1 >"$WORK/$p.txt")
	check "$p: man -l renders without warnings" [ -z "$warn" ]
	[ -z "$warn" ] || echo "$warn" | head -20
	check "$p: rendered text has a NAME section" grep -q '^NAME' "$WORK/$p.txt"
done

# Rendered pages joined into one line each, so a phrase split by filling
# or hyphenation is still found (man hyphenates with U+2010 at line ends).
flat() { sed 's/‐$//' "$WORK/$1.txt" | tr -s ' \n' '  ' | sed 's/‐ //g; s/- \([a-z]\)/-\1/g'; }

# Each --help row "  -x, --name ARG": the long name on the page.
for prog in lookupd publisher audit; do
	bin=$LOOKUPD
	[ "$prog" = publisher ] && bin=$PUBLISHER
	[ "$prog" = audit ] && bin=$AUDIT
	page=$(flat "ocsp-$prog.8")
	names=$("$bin" --help | sed -n 's/^  \(-., \|    \)--\([a-z0-9-]*\).*/\2/p')
	n=$(wc -w <<<"$names")
	check "ocsp-$prog --help lists flags ($n)" [ "$n" -gt 8 ]
	missing=""
	for name in $names; do
		case "$page" in *"--$name"*) ;; *) missing="$missing --$name" ;; esac
	done
	check "ocsp-$prog(8) has every flag of --help${missing:+ (missing:$missing)}" [ -z "$missing" ]
	check "ocsp-$prog(8) has no hidden --help-man" \
		bash -c "! grep -q 'help-man' '$WORK/ocsp-$prog.8.txt'"
	check "ocsp-$prog --help has no --help-man" bash -c "! '$bin' --help | grep -q help-man"
done

# Each "  key  help" line of --help-config: a .TP tag of its own in the
# page's source (key names recur in prose, so the rendering would not do).
missing=""
keys=0
while read -r key; do
	keys=$((keys + 1))
	grep -qxF "\fB${key}\fR" "$MAN_DIR/ocsp.conf.5" || missing="$missing $key"
done < <("$PUBLISHER" --help-config | sed -n 's/^  \([a-z0-9_]*\) .*/\1/p')
check "--help-config lists keys ($keys)" [ "$keys" -gt 50 ]
check "ocsp.conf(5) has every key${missing:+ (missing:$missing)}" [ -z "$missing" ]
for s in '[publisher]' '[lookupd]' '[ca NAME]' '[signer NAME]'; do
	check "ocsp.conf(5) has section $s" grep -qF "$s" "$WORK/ocsp.conf.5.txt"
done

# Each TREE.md heading (without its Markdown) in ocsp-tree(5); sections are
# in capitals there, so compared without case.
page=$(flat ocsp-tree.5)
page=${page,,}
missing=""
while read -r h; do
	want=$(sed 's/`//g' <<<"$h")
	case "$page" in *"${want,,}"*) ;; *) missing="$missing [$want]" ;; esac
done < <(sed -n 's/^##* //p' "$top/layout/TREE.md" | sed 1d)
check "ocsp-tree(5) has every heading of TREE.md${missing:+ (missing:$missing)}" [ -z "$missing" ]
# And the status.idx fields, row by row.
missing=""
while read -r field; do
	case "$page" in *"${field,,}"*) ;; *) missing="$missing [$field]" ;; esac
done < <(sed -n '/^## status.idx/,/^## /s/^| [0-9]* | [0-9]* | \([^|(]*\).*/\1/p' "$top/layout/TREE.md" |
	sed 's/ *$//')
check "ocsp-tree(5) has every status.idx field${missing:+ (missing:$missing)}" [ -z "$missing" ]
finish
