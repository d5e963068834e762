#!/usr/bin/env bash
# Builds the Debian package ocsp-responder from this source tree:
#
#   contrib/build-deb.sh [OUTDIR]        (default: build-deb/ of the tree)
#
# Copies the tree (git's files, committed or not, nothing ignored: no build
# output) into a temporary directory with contrib/debian/ as its debian/,
# puts Debian's civetweb source under its .deps/ (OCSP_CIVETWEB_SOURCE if
# set, else the tree's .deps/, else fetched there with apt-get source as
# contrib/fetch-civetweb.sh does; never committed), and runs
# dpkg-buildpackage -us -uc -b. The .deb, .buildinfo and .changes land in
# OUTDIR; their paths are printed last. Needs the Build-Depends of
# contrib/debian/control (contrib/install-deps.sh --test installs them).
# DEB_BUILD_OPTIONS defaults to parallel=2 (the machine is shared).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$top/build-deb}
mkdir -p "$out"
out=$(cd "$out" && pwd)

civetweb=${OCSP_CIVETWEB_SOURCE:-}
if [ -z "$civetweb" ]; then
	civetweb=$(bash "$top/contrib/fetch-civetweb.sh" "$top/.deps") || {
		echo "build-deb: Debian's civetweb source could not be had (set" \
			"OCSP_CIVETWEB_SOURCE, or run contrib/install-deps.sh as root)" >&2
		exit 1
	}
fi
[ -f "$civetweb/src/civetweb.c" ] || { echo "build-deb: $civetweb: no src/civetweb.c" >&2; exit 1; }

# The changelog's upstream version must be the one CMake builds.
cmake_version=$(sed -n 's/^project(ocsp-responder VERSION \([0-9.]*\).*/\1/p' "$top/CMakeLists.txt")
deb_version=$(dpkg-parsechangelog -l "$top/contrib/debian/changelog" -S Version)
if [ "${deb_version%-*}" != "$cmake_version" ]; then
	echo "build-deb: contrib/debian/changelog has $deb_version, CMakeLists.txt $cmake_version" >&2
	exit 1
fi

tmp=$(mktemp -d /tmp/ocsp-deb.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
src=$tmp/ocsp-responder-$cmake_version
mkdir -p "$src/.deps"
if git -C "$top" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	# Tracked and new files alike, as they are in the work tree; deleted
	# ones are skipped.
	(cd "$top" && git ls-files -z -co --exclude-standard |
		while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
		tar --null -T - -cf -) | tar -C "$src" -xf -
else
	tar -C "$top" --exclude='./build*' --exclude=./.deps --exclude=./.git -cf - . | tar -C "$src" -xf -
fi
cp -a "$top/contrib/debian" "$src/debian"
cp -a "$civetweb" "$src/.deps/"

export DEB_BUILD_OPTIONS=${DEB_BUILD_OPTIONS:-parallel=2}
(cd "$src" && dpkg-buildpackage -us -uc -b >"$tmp/build.log" 2>&1) || {
	tail -60 "$tmp/build.log" >&2
	echo "build-deb: dpkg-buildpackage failed (log above)" >&2
	exit 1
}
for f in "$tmp"/ocsp-responder*_*; do
	cp "$f" "$out/"
	echo "$out/$(basename "$f")"
done
