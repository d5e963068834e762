#!/usr/bin/env bash
# Copies a published response tree to edge nodes that serve it (ocsp-lookupd
# with `--tree DIR` and no key, or any web server), while they keep serving.
# Run it on the publishing host after each publish or from cron:
#
#   rsync-to-edge.sh [options] /var/lib/ocsp/tree edge1:/var/lib/ocsp/tree [DEST...]
#
# DEST is a local directory or HOST:DIR over ssh (rsync's RSYNC_RSH for ssh
# options; an ssh ControlMaster saves the handshakes of the passes below).
# rsync 3.1.3 or later is needed at both ends (nanosecond mtimes).
#
# What an edge's reader sees (layout/TREE.md), and how each pass keeps it:
#  1. Response files and issuer directories, never the metadata, no
#     deletions. rsync writes each file to a temp name and renames it over
#     the old one (never --inplace), so a reader sees a complete old or a
#     complete new response, never a torn or missing one; --delay-updates
#     holds the new files back and renames them in a burst at the end (it
#     needs room for a second copy of what changed). mtimes are compared to
#     the nanosecond, so a response re-signed within the same second with the
#     same size is still copied.
#  2. Each issuer's status.idx, then its issuer.meta (the publisher's order):
#     they now describe responses that are all in place. lookupd takes up a
#     new issuer.meta only with a new marker (step 4).
#  3. Deletions: responses of certificates gone from the source, files of a
#     hash no longer pre-signed, issuers gone. Only now, so that nothing the
#     edge's previous status.idx or issuer.meta still lists (and an online
#     signer there answers from) disappears before the new ones are in place.
#  4. The root `generation` marker, last: an edge's marker names a generation
#     only once the copy is exactly that generation. lookupd re-reads the
#     issuers and re-checks every file it has cached when the marker changes.
# Publisher bookkeeping is never copied: `.lock`, `.publishing` and its temp
# files (`.NAME.tmp`), or anything else whose name starts with a dot.
#
# The source must hold a complete generation: a marker, and no `.publishing`
# (a run in progress, or one that was interrupted and is waiting for the next
# run to finish it). A publish may start at any time: the marker and
# `.publishing` are looked at before the first pass and after each pass, and
# when they changed the copy starts over, up to --retries times; so a
# half-published generation is never marked complete on an edge. Until the
# copy starts over, a publish that began during a pass can show through for
# the rest of that pass: newer complete responses or, in passes 2 and 3, the
# new run's status.idx or deletions before all its responses have arrived.
# Runs of this script with the same --lock are serialised, so that two never
# write an edge at once (the older one could put back a response the newer
# one had replaced): copy to an edge from one host only.
# A DEST whose marker names a newer generation than the source is refused
# (a restored or wrong source would take its answers back in time) unless
# --force.
#
# Options:
#   --retries N         start over at most N times when a publish interferes (5)
#   --wait SECONDS      wait this long for a publish in progress or for the
#                       lock of another run of this script (120)
#   --lock FILE         the lock file (/run/lock/ocsp-rsync-edge.lock, or in
#                       $TMPDIR when /run/lock is not writable)
#   --rsync-option OPT  passed to every rsync (repeatable): --bwlimit=...,
#                       --timeout=..., -z
#   --force             copy even onto a DEST with a newer generation
#   -q, --quiet         only errors
# Exit status: 0 every DEST holds the source's generation; 1 usage; 2 the
# source has no complete generation (none yet, or a publish still running or
# interrupted after --wait); 3 rsync failed for a DEST (the others are still
# done); 4 the source kept changing for --retries attempts; 5 a DEST is newer
# than the source and --force was not given.
set -euo pipefail

RSYNC=${RSYNC:-rsync}
retries=5
wait_s=120
lock=''
force=0
quiet=0
ropts=()

usage() {
	sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0" >&2
	exit 1
}
say() { [ "$quiet" = 1 ] || printf 'rsync-to-edge: %s\n' "$*"; }
warn() { printf 'rsync-to-edge: %s\n' "$*" >&2; }
number() { case $2 in '' | *[!0-9]*) warn "$1 wants a number, not '$2'"; exit 1 ;; esac; }

while [ $# -gt 0 ]; do
	case $1 in
	--retries) number "$1" "${2:-}"; retries=$2; shift 2 ;;
	--wait) number "$1" "${2:-}"; wait_s=$2; shift 2 ;;
	--lock) lock=${2:?--lock wants a file}; shift 2 ;;
	--rsync-option) ropts+=("${2:?--rsync-option wants an option}"); shift 2 ;;
	--force) force=1; shift ;;
	-q | --quiet) quiet=1; shift ;;
	-h | --help) usage ;;
	--) shift; break ;;
	-*) warn "unknown option $1"; usage ;;
	*) break ;;
	esac
done
[ $# -ge 2 ] || usage
src=${1%/}
shift
[ -d "$src" ] || { warn "$src: not a directory"; exit 1; }

if [ -z "$lock" ]; then
	if [ -w /run/lock ]; then lock=/run/lock/ocsp-rsync-edge.lock
	else lock=${TMPDIR:-/tmp}/ocsp-rsync-edge.$(id -u).lock; fi
fi
exec 9>>"$lock"
if ! flock -w "$wait_s" 9; then
	warn "another run holds $lock after ${wait_s}s; giving up"
	exit 2
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/rsync-to-edge.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# Common to every pass: archive mode (times, so that unchanged files are
# skipped next time), mtimes compared to the nanosecond.
R=("$RSYNC" -a --modify-window=-1 "${ropts[@]}")
# GET keys (get/, TREE.md) are hard links to the responses: keep them links
# at the edge, not a copy each (rsync then tracks every linked file).
[ -d "$src/get" ] && R+=(-H)

generation_of() { sed -n 's/^[[:space:]]*generation[[:space:]]*=[[:space:]]*\([0-9][0-9]*\)[[:space:]]*$/\1/p' "$1" | head -1; }

# source_state: the source's marker as it is now, or empty while a publish
# is in progress (or was interrupted) or there is no marker.
source_state() {
	[ -e "$src/.publishing" ] && return 0
	cat "$src/generation" 2>/dev/null || true
}

# snapshot_marker: waits (up to --wait) for a complete generation and keeps
# a copy of its marker (with its mtime) in $tmp/generation; returns 2 when
# there is none.
snapshot_marker() {
	local end=$((SECONDS + wait_s)) said=0
	while :; do
		if [ ! -e "$src/.publishing" ] && cp -p "$src/generation" "$tmp/generation" 2>/dev/null &&
		    [ -n "$(generation_of "$tmp/generation")" ] && [ ! -e "$src/.publishing" ]; then
			MARKER=$(cat "$tmp/generation")
			return 0
		fi
		if [ $SECONDS -ge $end ]; then
			if [ -e "$src/.publishing" ]; then
				warn "$src: a publisher run is in progress or was interrupted (.publishing); not copied"
			else
				warn "$src: no complete generation (no readable 'generation' marker); not copied"
			fi
			return 2
		fi
		[ $said = 1 ] || say "waiting for the publisher run on $src to finish"
		said=1
		sleep 1
	done
}

unchanged() { [ "$(source_state)" = "$MARKER" ]; }

# The metadata files of every issuer directory, relative to the source.
issuer_files() {
	(cd "$src" && find . -mindepth 2 -maxdepth 2 -path './[!.]*/*' -name "$1" -type f | sed 's#^\./##' | sort)
}

# dest_generation DEST: the generation DEST's marker names, empty if none.
dest_generation() {
	rm -f "$tmp/dest-generation"
	"${R[@]}" -q "$1/generation" "$tmp/dest-generation" 2>/dev/null || true
	[ -f "$tmp/dest-generation" ] && generation_of "$tmp/dest-generation"
	return 0
}

# pass ARGS...: one rsync; 10 when files vanished meanwhile (exit 24: a
# publish removed them, so start over), else rsync's exit status.
pass() {
	local rc=0
	"${R[@]}" "$@" || rc=$?
	if [ $rc = 24 ]; then return 10; fi
	return $rc
}

# copy_once DEST: the four passes; 0 done, 10 the source changed (start
# over), else rsync's exit status.
copy_once() {
	local dest=$1
	# 1. responses and directories
	pass --delay-updates --exclude='.*' --exclude=/generation \
		--exclude='/*/issuer.meta' --exclude='/*/status.idx' "$src/" "$dest/" || return $?
	unchanged || return 10
	# 2. status.idx, then issuer.meta
	issuer_files status.idx > "$tmp/idx.list"
	issuer_files issuer.meta > "$tmp/meta.list"
	pass --files-from="$tmp/idx.list" "$src/" "$dest/" || return $?
	pass --files-from="$tmp/meta.list" "$src/" "$dest/" || return $?
	unchanged || return 10
	# 3. deletions only: nothing is created or updated
	pass --delete --existing --ignore-existing --exclude='.*' --exclude=/generation \
		"$src/" "$dest/" || return $?
	unchanged || return 10
	# 4. the marker read before pass 1, which the copy now matches
	pass "$tmp/generation" "$dest/generation" || return $?
	return 0
}

sync_dest() {
	local dest=${1%/} attempt=0 rc have
	while :; do
		snapshot_marker || return 2
		gen=$(generation_of "$tmp/generation")
		have=$(dest_generation "$dest")
		if [ -n "$have" ] && [ "$have" -gt "$gen" ] && [ $force = 0 ]; then
			warn "$dest: holds generation $have, newer than $gen in $src; not copied (--force to copy)"
			return 5
		fi
		rc=0
		copy_once "$dest" || rc=$?
		[ $rc = 10 ] || break
		attempt=$((attempt + 1))
		if [ $attempt -gt "$retries" ]; then
			warn "$dest: $src kept changing during $retries attempts; its marker was not copied"
			return 4
		fi
		say "$dest: a publish changed $src during the copy; starting over"
	done
	if [ $rc != 0 ]; then
		warn "$dest: rsync failed (exit $rc); its marker was not copied"
		return 3
	fi
	say "$dest: generation $gen"
	return 0
}

status=0
for dest in "$@"; do
	rc=0
	sync_dest "$dest" || rc=$?
	# The most telling failure wins: a source problem over a DEST's.
	if [ $rc != 0 ] && { [ $status = 0 ] || [ $rc = 2 ]; }; then status=$rc; fi
done
exit $status
