#!/usr/bin/env bash
# Fetches Debian's civetweb source package into DIR (apt-get source), for
# the build to compile into lookupd with IPv6 on and what lookupd does not
# use off (Debian's libcivetweb is IPv4 only and shared only). Needs a
# deb-src entry for Debian's archive (contrib/install-deps.sh adds one) and
# dpkg-dev; no root. Prints the source directory; exits 1 when it cannot
# be had (the build then uses the system library).
set -euo pipefail
dir=${1:?usage: fetch-civetweb.sh DIR}
mkdir -p "$dir"
cd "$dir"
found() {
	local d
	for d in "$dir"/civetweb-*/; do
		if [ -f "$d/src/civetweb.c" ] && [ -f "$d/include/civetweb.h" ]; then
			echo "${d%/}"
			return 0
		fi
	done
}
src=$(found)
if [ -z "$src" ]; then
	command -v apt-get >/dev/null && command -v dpkg-source >/dev/null || exit 1
	apt-get source -qq civetweb >/dev/null 2>&1 || exit 1
	src=$(found)
fi
[ -n "$src" ] || exit 1
echo "$src"
