#!/usr/bin/env bash
# The systemd units as the build configured them (build/systemd/):
# `systemd-analyze security --offline=true` scores lookupd's unit at most
# 2.0 (and the publisher's too: it holds the keys), and `systemd-analyze
# verify` reads all three without a complaint about a key or a value (an
# unknown directive would leave a hardening line silently unapplied).
# Needs no running systemd. Skips (77) without systemd-analyze.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
: "${UNIT_DIR:?set by ctest}" "${LOOKUPD:?}" "${PUBLISHER:?}"
MAX_EXPOSURE=2.0

command -v systemd-analyze >/dev/null || { echo "no systemd-analyze: skipped"; exit 77; }

# score UNIT-FILE: the overall exposure systemd-analyze prints, e.g. 1.4.
score() {
	systemd-analyze security --offline=true --no-pager "$1" 2>&1 |
		sed -n 's/^→ Overall exposure level for [^:]*: \([0-9][0-9.]*\) .*/\1/p'
}

for u in ocsp-lookupd ocsp-publisher; do
	f=$UNIT_DIR/$u.service
	s=$(score "$f")
	log "$u.service: exposure $s"
	if [ -z "$s" ]; then
		fail "$u: no score from systemd-analyze"
		systemd-analyze security --offline=true --no-pager "$f" 2>&1 | tail -5
	else
		check "$u exposure $s <= $MAX_EXPOSURE" \
			awk -v s="$s" -v max="$MAX_EXPOSURE" 'BEGIN { exit !(s + 0 <= max + 0) }'
	fi
done

# The score must come from what the unit says: the same unit without its
# hardening scores far worse (so the parse above reads the right number).
grep -v -E '^(Protect|Private|Restrict|SystemCall|Capability|Ambient|NoNew|Lock|Memory|UMask|ProcSubset|RemoveIPC|KeyringMode|DevicePolicy)' \
	"$UNIT_DIR/ocsp-lookupd.service" > "$WORK/bare.service"
bare=$(score "$WORK/bare.service")
check "an unhardened lookupd scores above 5 ($bare)" \
	awk -v s="$bare" 'BEGIN { exit !(s + 0 > 5) }'

# verify: the units with ExecStart= at the binaries of this build (the
# installed paths do not exist here), and the timer next to its service.
mkdir -p "$WORK/units"
sed "s#^\(Exec[A-Za-z]*=\)[^ ]*/ocsp-lookupd #\1$LOOKUPD #" \
	"$UNIT_DIR/ocsp-lookupd.service" > "$WORK/units/ocsp-lookupd.service"
sed "s#^\(Exec[A-Za-z]*=\)[^ ]*/ocsp-publisher #\1$PUBLISHER #" \
	"$UNIT_DIR/ocsp-publisher.service" > "$WORK/units/ocsp-publisher.service"
grep -q "^ExecStart=$LOOKUPD " "$WORK/units/ocsp-lookupd.service" || fail "ExecStart= not rewritten"
cp "$(dirname "$0")/../../contrib/systemd/ocsp-publisher.timer" \
	"$(dirname "$0")/../../contrib/systemd/ocsp-lookupd.socket" "$WORK/units/"
out=$(cd "$WORK/units" && systemd-analyze verify --man=no ./*.service ./*.timer ./*.socket 2>&1 ||
	true)
check "systemd-analyze verify says nothing" [ -z "$out" ]
[ -z "$out" ] || echo "$out"
# Exactly the capability the issue names, nothing more.
check "lookupd bounded to CAP_NET_BIND_SERVICE" \
	grep -qx 'CapabilityBoundingSet=CAP_NET_BIND_SERVICE' "$UNIT_DIR/ocsp-lookupd.service"
check "publisher has no capability" \
	grep -qx 'CapabilityBoundingSet=' "$UNIT_DIR/ocsp-publisher.service"
finish
