#!/usr/bin/env bash
# The Debian package, end to end on this machine: contrib/build-deb.sh
# builds it (one compile, OCSP_TESTS=OFF), lintian finds no error, dpkg -i
# installs it (apt-get -f for what it pulls in), and the installed
# programs work in the installed layout: the publisher, as the package's
# user, signs a CA into /var/lib/ocsp/tree from /etc/ocsp/ocsp.conf, and
# lookupd answers `openssl ocsp` from it. Under a running systemd both go
# through their units; otherwise they are started directly, as the unit
# would (user ocsp, no new privileges). Then dpkg --purge, and nothing of
# the package is left: files, directories, the user.
#
# Changes the machine (installs a package, adds a user for a while): runs
# only as root, and skips (77) when ocsp-responder or a user ocsp is
# already there, never touching an installation it did not make.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)
PKG=ocsp-responder

skip() { echo "skipped: $*"; exit 77; }
[ "$(id -u)" -eq 0 ] || skip "not root"
for t in dpkg-buildpackage dh lintian setpriv; do
	command -v "$t" >/dev/null || skip "no $t (contrib/install-deps.sh --test)"
done
dpkg-query -W -f='${Status}' "$PKG" 2>/dev/null | grep -q 'installed' &&
	skip "$PKG is installed already"
getent passwd ocsp >/dev/null && skip "a user ocsp exists already"
getent group ocsp >/dev/null && skip "a group ocsp exists already"

INSTALLED=0
purge() {
	[ "$INSTALLED" -eq 1 ] || return 0
	INSTALLED=0
	if [ -n "${SYSTEMD:-}" ]; then
		systemctl stop ocsp-lookupd.service ocsp-publisher.service 2>/dev/null || true
		rm -rf /run/systemd/system/ocsp-lookupd.service.d
	fi
	rm -rf /etc/ocsp/pkgtest
	dpkg --purge "$PKG" >"$WORK/purge.log" 2>&1
}
trap 'stop_all; purge || true; cleanup' EXIT
SYSTEMD=""
[ -d /run/systemd/system ] && SYSTEMD=1

start=$(date +%s)
log "build the package"
if ! OCSP_CIVETWEB_SOURCE=${CIVETWEB_SRC:-} bash "$top/contrib/build-deb.sh" "$WORK/deb" \
	>"$WORK/build-deb.out"; then
	fail "contrib/build-deb.sh"
	finish
fi
deb=$(ls "$WORK"/deb/${PKG}_*.deb)
changes=$(ls "$WORK"/deb/${PKG}_*.changes)
pass "built $(basename "$deb") in $(($(date +%s) - start)) s"

log "lintian"
lintian --allow-root "$changes" >"$WORK/lintian.out" 2>&1 || true
sed 's/^/  /' "$WORK/lintian.out"
check "lintian reports no error" bash -c "! grep -q '^E:' '$WORK/lintian.out'"
check "lintian ran on the package" bash -c "! grep -qi 'no packages selected\|skipping' '$WORK/lintian.out'"

log "install"
export DEBIAN_FRONTEND=noninteractive
INSTALLED=1
if ! dpkg -i "$deb" >"$WORK/install.log" 2>&1; then
	apt-get -f install -y -qq >>"$WORK/install.log" 2>&1 || true
fi
check "installed" bash -c "dpkg-query -W -f='\${Status}' $PKG | grep -q 'install ok installed'"
dpkg -L "$PKG" >"$WORK/files"
for f in /usr/bin/ocsp-lookupd /usr/bin/ocsp-publisher /usr/bin/ocsp-audit \
	/lib/systemd/system/ocsp-lookupd.service /lib/systemd/system/ocsp-lookupd.socket \
	/lib/systemd/system/ocsp-publisher.service /lib/systemd/system/ocsp-publisher.timer \
	/etc/ocsp/ocsp.conf; do
	check "$f installed" [ -e "$f" ]
done
check "/etc/ocsp/ocsp.conf is a conffile" \
	bash -c "dpkg-query -W -f='\${Conffiles}' $PKG | grep -q '/etc/ocsp/ocsp.conf'"
for p in ocsp-lookupd.8 ocsp-publisher.8 ocsp-audit.8 ocsp.conf.5 ocsp-tree.5; do
	check "man page $p installed and rendered without warnings" \
		bash -c "w=\$(man --warnings ${p##*.} ${p%.*} 2>&1 >/dev/null) && [ -z \"\$w\" ]"
done
check "the units point at the installed programs" \
	grep -q '^ExecStart=/usr/bin/ocsp-lookupd ' /lib/systemd/system/ocsp-lookupd.service
uid=$(id -u ocsp 2>/dev/null || echo none)
check "system user ocsp ($uid)" bash -c "[ '$uid' != none ] && [ '$uid' -lt 1000 ]"
check "/var/lib/ocsp owned by ocsp" [ "$(stat -c %U /var/lib/ocsp 2>/dev/null)" = ocsp ]
check "the installed configuration passes --check" \
	quiet /usr/bin/ocsp-lookupd --config /etc/ocsp/ocsp.conf --check
check "the installed programs print their version" \
	contains "$(/usr/bin/ocsp-publisher --version)" "ocsp-publisher $(dpkg-query -W -f='${Version}' $PKG | sed 's/-[^-]*$//')"

log "a CA in the installed layout"
# As an operator would: certificates under /etc/ocsp, a CA section added
# to the installed configuration, the key readable by ocsp alone (a unit
# would hand it over with LoadCredential=).
CA=/etc/ocsp/pkgtest
make_ca "$CA" ec "Package Test CA"
G=$(issue "$CA" good-leaf)
R=$(issue "$CA" revoked-leaf)
revoke "$CA" "$R" -crl_reason keyCompromise
chown ocsp:ocsp "$CA/ca.key"
chmod 0600 "$CA/ca.key"
chmod -R go+rX "$CA"
chmod go-r "$CA/ca.key"
listen=127.0.0.1:0
[ -n "$SYSTEMD" ] && listen=127.0.0.1:$(free_port)
sed -i "s/^listen = .*/listen = $listen/" /etc/ocsp/ocsp.conf
cat >>/etc/ocsp/ocsp.conf <<CONF

[ca pkgtest]
issuer = $CA/ca.pem
signer = $CA/ca.pem
key = $CA/ca.key
index = $CA/index.txt
CONF
check "the configuration with a CA passes the publisher's --check" \
	quiet /usr/bin/ocsp-publisher --config /etc/ocsp/ocsp.conf --check

log "publish with the installed publisher"
as_ocsp() { setpriv --reuid=ocsp --regid=ocsp --init-groups --no-new-privs "$@"; }
if [ -n "$SYSTEMD" ]; then
	systemctl daemon-reload
	check "ocsp-publisher.service runs" systemctl start ocsp-publisher.service
else
	check "ocsp-publisher as user ocsp" \
		quiet as_ocsp /usr/bin/ocsp-publisher --config /etc/ocsp/ocsp.conf --quiet
fi
dir=/var/lib/ocsp/tree/$(issuer_dir "$CA/ca.pem")
check "the tree has both responses" test -s "$dir/$G" -a -s "$dir/$R"
check "the tree is owned by ocsp" [ "$(stat -c %U "$dir/$G" 2>/dev/null)" = ocsp ]
check "the installed ocsp-audit finds the published tree clean" \
	quiet as_ocsp /usr/bin/ocsp-audit --config /etc/ocsp/ocsp.conf

log "lookupd"
if [ -n "$SYSTEMD" ]; then
	check "ocsp-lookupd.service starts" systemctl start ocsp-lookupd.service
	URL=http://$listen
	wait_for 10 curl -fs -o /dev/null "$URL/healthz" || fail "lookupd unit not healthy"
	check "lookupd runs as ocsp" [ "$(ps -o user= -p "$(systemctl show -P MainPID ocsp-lookupd)")" = ocsp ]
else
	cat >"$WORK/lookupd-as-ocsp" <<SH
#!/bin/sh
exec setpriv --reuid=ocsp --regid=ocsp --init-groups --no-new-privs /usr/bin/ocsp-lookupd "\$@"
SH
	chmod +x "$WORK/lookupd-as-ocsp"
	LOOKUPD=$WORK/lookupd-as-ocsp
	start_lookupd --config /etc/ocsp/ocsp.conf || fail "lookupd did not start"
	check "lookupd runs as ocsp" [ "$(ps -o user= -p "$LOOKUPD_PID")" = ocsp ]
fi
ask() {
	openssl ocsp -issuer "$CA/ca.pem" -serial "0x$1" -url "$URL/" -CAfile "$CA/ca.pem" \
		-no_nonce -resp_text 2>&1
}
r=$(ask "$G")
check "openssl ocsp: good, verified" contains "$r" "0x$G: good"
check "openssl ocsp: Response verify OK" contains "$r" "Response verify OK"
r=$(ask "$R")
check "openssl ocsp: revoked" contains "$r" "0x$R: revoked"
check "openssl ocsp: with its reason" contains "$r" "Reason: keyCompromise"
check "the answer is the pre-signed file" \
	bash -c "openssl ocsp -issuer '$CA/ca.pem' -serial '0x$G' -url '$URL/' -no_nonce -noverify \
		-respout '$WORK/got.der' >/dev/null 2>&1 && cmp -s '$WORK/got.der' '$dir/$G'"
if [ -n "$SYSTEMD" ]; then
	systemctl stop ocsp-lookupd.service
else
	stop_lookupd
fi

log "purge"
rm -rf "$CA"
purge
cat "$WORK/purge.log"
check "purged" bash -c "! dpkg-query -W -f='\${Status}' $PKG 2>/dev/null | grep -q installed"
left=""
while read -r f; do
	[ -d "$f" ] && continue	# shared directories (/usr/bin, ...) stay
	[ -e "$f" ] || [ -L "$f" ] && left="$left $f"
done <"$WORK/files"
for d in /etc/ocsp /var/lib/ocsp /var/cache/ocsp /usr/share/doc/$PKG; do
	[ -e "$d" ] && left="$left $d"
done
check "nothing of the package is left${left:+:$left}" [ -z "$left" ]
check "user ocsp removed" bash -c "! getent passwd ocsp >/dev/null"
check "group ocsp removed" bash -c "! getent group ocsp >/dev/null"
log "package test took $(($(date +%s) - start)) s"
finish
