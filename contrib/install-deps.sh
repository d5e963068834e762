#!/usr/bin/env bash
# Installs what building and running needs on Debian 12 (as root, no
# terminal needed), and fetches Debian's civetweb source package into
# .deps/ for the build to compile into lookupd (IPv6, static; see
# lookupd/civetweb.cmake), adding a deb-src entry for Debian's archive when
# there is none. With --test, also what the tests and the benchmark use:
# clang for the sanitizer and fuzzing build, nginx and wrk as peers,
# SoftHSM2 and pkcs11-tool (opensc) for the PKCS#11 tests, PostgreSQL and
# the sqlite3 CLI for the CA-database sources, rsync for contrib/rsync-to-edge.sh.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)

packages=(build-essential cmake pkg-config libssl-dev libcivetweb-dev libinih-dev
	libp11-dev libcurl4-openssl-dev zlib1g-dev libpq-dev libsqlite3-dev dpkg-dev openssl
	curl python3 ca-certificates util-linux)
if [ "${1:-}" = "--test" ]; then
	packages+=(clang libclang-rt-14-dev llvm nginx-light wrk softhsm2 opensc
		postgresql sqlite3 rsync varnish)
	# The upload test installs its S3 server (@20minutes/s3rver) with npm:
	# Debian's, unless the machine already has a Node.js with npm.
	command -v npm >/dev/null || packages+=(nodejs npm)
	# promtool, which checks the publisher's metrics file (test_journal.sh)
	# and lookupd's /metrics (test_metrics.sh).
	packages+=(prometheus)
fi
# The Debian package and its test (contrib/build-deb.sh, test_package.sh):
# debhelper builds it, lintian checks it, groff and man-db render the
# manual pages the build generates (python3 converts TREE.md), adduser for
# the package's postinst.
if [ "${1:-}" = "--test" ]; then
	packages+=(debhelper lintian groff man-db adduser)
	# test_audit.sh forges the responses the publisher never makes.
	packages+=(python3-cryptography)
fi

as_root() {
	if [ "$(id -u)" -ne 0 ]; then
		echo "install-deps: run as root to $*" >&2
		return 1
	fi
}

install_packages() {
	local missing=() p
	for p in "${packages[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
			missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	as_root "install: ${missing[*]}" || return 1
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
	# nginx's package starts a server on port 80; the tests start their own.
	if command -v systemctl >/dev/null && systemctl is-active --quiet nginx 2>/dev/null; then
		systemctl stop nginx || true
	fi
	# prometheus's package starts its server (port 9090); the tests only use promtool.
	if command -v systemctl >/dev/null && systemctl is-active --quiet prometheus 2>/dev/null; then
		systemctl stop prometheus || true
	fi
}

# The mirror the machine already uses for Debian itself, or Debian's own.
debian_mirror() {
	local m
	m=$(grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{print $2}' |
		grep -v security | head -1)
	[ -n "$m" ] || m=$(grep -hs '^deb ' /etc/apt/sources.list | awk '{print $2}' |
		grep -v security | head -1)
	echo "${m:-http://deb.debian.org/debian}"
}

ensure_deb_src() {
	local list=/etc/apt/sources.list.d/ocsp-responder-src.sources codename
	apt-get source --print-uris -qq civetweb >/dev/null 2>&1 && return 0
	as_root "add a deb-src entry for Debian's civetweb source" || return 1
	. /etc/os-release
	codename=${VERSION_CODENAME:-bookworm}
	cat > "$list" <<SRC
# Added by ocsp-responder's contrib/install-deps.sh: apt-get source civetweb.
Types: deb-src
URIs: $(debian_mirror)
Suites: $codename $codename-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://deb.debian.org/debian-security
Suites: $codename-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
	apt-get update -qq
}

install_packages
if ensure_deb_src && bash "$top/contrib/fetch-civetweb.sh" "$top/.deps" >/dev/null; then
	:
else
	echo "install-deps: Debian's civetweb source could not be fetched; lookupd will be" \
		"built with the system library (IPv4 only)" >&2
fi
