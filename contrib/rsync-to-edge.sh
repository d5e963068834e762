#!/usr/bin/env bash
# Copies a published tree to edge nodes that run ocsp-lookupd (or any web
# server). rsync writes each file to a temp name and renames it, so edges
# never serve a torn response; the root marker goes last, so an edge's
# `generation` only changes once the whole generation has arrived.
#
#   rsync-to-edge.sh /var/lib/ocsp/tree edge1:/var/lib/ocsp/tree edge2:/var/lib/ocsp/tree
set -euo pipefail
src=${1:?usage: rsync-to-edge.sh TREE DEST...}
shift
status=0
for dest in "$@"; do
	# Publisher bookkeeping (.lock, .publishing, temp files) stays home.
	if rsync -a --delete --exclude='.*' --exclude=/generation "$src/" "$dest/" &&
	    rsync -a "$src/generation" "$dest/generation"; then
		echo "synced $dest"
	else
		echo "rsync to $dest failed" >&2
		status=1
	fi
done
exit $status
