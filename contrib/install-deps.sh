#!/usr/bin/env bash
# Installs what building and running needs on Debian 12 (as root, no
# terminal needed). With --test, also what the tests and the benchmark use:
# clang for the sanitizer and fuzzing build, nginx and wrk as peers.
set -euo pipefail

packages=(build-essential cmake pkg-config libssl-dev libcivetweb-dev libinih-dev
	openssl curl python3 ca-certificates util-linux)
if [ "${1:-}" = "--test" ]; then
	packages+=(clang libclang-rt-14-dev llvm nginx-light wrk)
fi

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: run as root to install: ${missing[*]}" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# nginx's package starts a server on port 80; the tests start their own.
if command -v systemctl >/dev/null && systemctl is-active --quiet nginx 2>/dev/null; then
	systemctl stop nginx || true
fi
