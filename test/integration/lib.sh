# Shared helpers for the integration tests (and the benchmark): a real CA
# made with the openssl CLI, OCSP requests built from openssl's, lookupd on
# a port the kernel picks, polling with a deadline, and processes cleaned up
# by pid. Source it; it sets -eu, makes $WORK (removed on exit) and expects
# $PUBLISHER, $LOOKUPD and $TREE_CHECK from ctest's environment.
set -euo pipefail

WORK=$(mktemp -d /tmp/ocsp-test.XXXXXX)
PIDS=()
FAILS=0

cleanup() {
	local pid
	for pid in "${PIDS[@]:-}"; do
		[ -n "$pid" ] && kill "$pid" 2>/dev/null && { wait "$pid" 2>/dev/null || true; }
	done
	rm -rf "$WORK"
}
trap cleanup EXIT

log() { printf '== %s\n' "$*"; }
fail() { printf 'FAIL: %s\n' "$*"; FAILS=$((FAILS + 1)); }
pass() { printf 'ok: %s\n' "$*"; }

# check DESCRIPTION COMMAND...: runs the command, counts a failure if it fails.
check() {
	local what=$1
	shift
	if "$@"; then pass "$what"; else fail "$what"; fi
}

# quiet COMMAND...: runs it with its standard output discarded.
quiet() { "$@" >/dev/null; }

# contains HAYSTACK NEEDLE
contains() { case "$1" in *"$2"*) return 0 ;; *) printf '  expected to find: %s\n  in: %s\n' "$2" "$1" | head -c 2000; return 1 ;; esac; }

# stop_all: stops every process started here and waits for it.
stop_all() {
	local pid
	for pid in "${PIDS[@]:-}"; do
		[ -n "$pid" ] && kill "$pid" 2>/dev/null && { wait "$pid" 2>/dev/null || true; }
	done
	PIDS=()
}

# In the tests, $PUBLISHER runs the real one with its standard error also
# copied to $WORK/publisher.PID.log, for sanitizer_reports: many checks
# look only at what it printed, and a leak report at exit would pass them.
if [ -n "${PUBLISHER:-}" ] && [ -z "${NO_PUBLISHER_LOG:-}" ]; then
	cat > "$WORK/ocsp-publisher" <<WRAP
#!/usr/bin/env bash
exec 2> >(tee -a "$WORK/publisher.\$\$.log" >&2)
exec "$PUBLISHER" "\$@"
WRAP
	chmod +x "$WORK/ocsp-publisher"
	PUBLISHER=$WORK/ocsp-publisher
fi

# sanitizer_reports: counts a failure for each lookupd or publisher log
# with a report of a sanitizer build (a race, a leak, undefined
# behaviour), which would not otherwise fail a check when it comes at
# shutdown or in a thread that answered nothing anyone looked at.
sanitizer_reports() {
	local f
	for f in "$WORK"/lookupd.*.log "$WORK"/publisher.*.log; do
		[ -e "$f" ] || continue
		if grep -qE 'WARNING: ThreadSanitizer|ERROR: (Address|Leak)Sanitizer|runtime error:' "$f"; then
			fail "sanitizer report in $(basename "$f")"
			grep -E -A20 'WARNING: ThreadSanitizer|ERROR: (Address|Leak)Sanitizer|runtime error:' "$f" | head -60
		fi
	done
}

finish() {
	stop_all
	sanitizer_reports
	if [ "$FAILS" -ne 0 ]; then
		echo "$FAILS check(s) failed"
		exit 1
	fi
	echo "all checks passed"
}

# wait_for SECONDS COMMAND...: runs COMMAND (in this shell, so it may set
# variables) every 0.1 s until it succeeds; returns 0 then, 1 if it still
# fails after SECONDS (whole seconds). The one way these scripts poll.
wait_for() {
	local end=$(($(date +%s%N) + $1 * 1000000000))
	shift
	until "$@"; do
		[ "$(date +%s%N)" -lt "$end" ] || return 1
		sleep 0.1
	done
}

# gone PID: PID has exited (or is a zombie not yet waited for).
gone() { grep -qs '^State:.*Z' "/proc/$1/status" || ! kill -0 "$1" 2>/dev/null; }

# free_port: a loopback port that was free a moment ago. Racy (another
# program may take it before it is used): only for servers that cannot
# listen on port 0 and say which port they got (nginx, openssl ocsp, the
# benchmark's bare civetweb). lookupd does, see start_lookupd.
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# hex FILE: its octets as one line of lowercase hex.
hex() { od -An -v -tx1 "$1" | tr -d ' \n'; }

# has_bytes FILE HEX: FILE holds these octets somewhere (octet-aligned).
has_bytes() {
	python3 -c 'import sys; sys.exit(bytes.fromhex(sys.argv[2]) not in open(sys.argv[1], "rb").read())' "$1" "$2"
}

# Python DER helpers, prepended to the scripts der_py runs:
#   tlv(b, i)     -> (tag, start of contents, end) of the TLV at offset i
#   parts(b, i=0) -> the TLVs (as bytes) inside the constructed TLV at i
#   enc(tag, c)   -> the DER TLV of tag and contents c
DER_PY='
import sys

def tlv(b, i):
    tag, n = b[i], b[i + 1]
    i += 2
    if n & 0x80:
        k = n & 0x7f
        n = int.from_bytes(b[i:i + k], "big")
        i += k
    return tag, i, i + n

def parts(b, i=0):
    _, s, e = tlv(b, i)
    out = []
    while s < e:
        _, _, end = tlv(b, s)
        out.append(b[s:end])
        s = end
    return out

def enc(tag, content):
    n = len(content)
    if n < 0x80:
        ln = bytes([n])
    else:
        nb = n.to_bytes((n.bit_length() + 7) // 8, "big")
        ln = bytes([0x80 | len(nb)]) + nb
    return bytes([tag]) + ln + content
'

# der_py SCRIPT ARGS...: runs the python SCRIPT with the DER helpers above;
# ARGS are its sys.argv[1:], standard input and output are its own.
der_py() {
	local script=$1
	shift
	python3 -c "$DER_PY$script" "$@"
}

# ocsp_request CA SERIAL OUT [OPENSSL-OCSP-ARGS...]: the request openssl
# ocsp makes for CA's certificate SERIAL (hex, no 0x), as DER in OUT. It
# has a 16-octet nonce unless the extra arguments include -no_nonce.
ocsp_request() {
	local ca=$1 serial=$2 out=$3
	shift 3
	openssl ocsp -issuer "$ca/ca.pem" -serial "0x$serial" "$@" -reqout "$out" >/dev/null
}

# ocsp_request_nonce IN LEN OUT: request IN with its requestExtensions
# replaced by a nonce of LEN octets (00 01 02 ... up to 256 octets, "x"s
# beyond), unsigned, in OUT: openssl ocsp only makes 16-octet nonces.
ocsp_request_nonce() {
	der_py '
src, n, dst = sys.argv[1], int(sys.argv[2]), sys.argv[3]
tbs = parts(parts(open(src, "rb").read())[0])
keep = b"".join(p for p in tbs if p[0] != 0xa2)   # all but requestExtensions
nonce = enc(0x04, bytes(range(n)) if n <= 256 else b"x" * n)
ext = enc(0x30, enc(0x06, bytes.fromhex("2b0601050507300102")) + enc(0x04, nonce))
open(dst, "wb").write(enc(0x30, enc(0x30, keep + enc(0xa2, enc(0x30, ext)))))' "$@"
}

# req_b64 DER: the request in base64 on one line, the path of a GET
# (RFC 6960 A.1) before percent-encoding.
req_b64() { base64 -w0 "$1"; }

# pct_b64 BASE64: the same with '+', '/' and '=' percent-encoded.
pct_b64() { sed 's/+/%2B/g; s#/#%2F#g; s/=/%3D/g' <<<"$1"; }

# index_revoked_at CA SERIAL: the revocation time of SERIAL in CA's
# index.txt, in seconds since the epoch.
index_revoked_at() {
	local t
	t=$(awk -F'\t' -v s="$2" '$4==s {split($3,a,","); print a[1]}' "$1/index.txt")
	date -u -d "20${t:0:2}-${t:2:2}-${t:4:2} ${t:6:2}:${t:8:2}:${t:10:2} UTC" +%s
}

keyopts() {
	case "$1" in
	ec) echo "-newkey ec -pkeyopt ec_paramgen_curve:P-256" ;;
	rsa) echo "-newkey rsa:2048" ;;
	ed25519) echo "-newkey ed25519" ;;
	*) echo "unknown key type $1" >&2; return 1 ;;
	esac
}

# make_ca DIR KEYTYPE [CN]: a CA with an openssl ca database in DIR.
make_ca() {
	local dir=$1 kt=$2 cn=${3:-Test CA $2}
	mkdir -p "$dir/certs"
	: > "$dir/index.txt"
	echo 1000 > "$dir/serial"
	cat > "$dir/ca.cnf" <<CNF
[ ca ]
default_ca = testca
[ testca ]
dir = $dir
database = $dir/index.txt
new_certs_dir = $dir/certs
serial = $dir/serial
certificate = $dir/ca.pem
private_key = $dir/ca.key
default_md = sha256
policy = pol
default_days = 90
unique_subject = no
x509_extensions = leaf
[ pol ]
commonName = supplied
[ leaf ]
basicConstraints = CA:FALSE
authorityInfoAccess = OCSP;URI:http://127.0.0.1/
[ responder ]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = OCSPSigning
noCheck = ignored
[ notresponder ]
basicConstraints = CA:FALSE
extendedKeyUsage = serverAuth
[ req ]
distinguished_name = dn
[ dn ]
[ v3_ca ]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
CNF
	# shellcheck disable=SC2046
	openssl req -x509 $(keyopts "$kt") -nodes -keyout "$dir/ca.key" -out "$dir/ca.pem" \
		-subj "/CN=$cn" -days 365 -config "$dir/ca.cnf" -extensions v3_ca 2>/dev/null
}

# issue DIR CN [EXT] [KEYTYPE] [OPENSSL-CA-ARGS...]: prints the new serial (hex).
issue() {
	local dir=$1 cn=$2 ext=${3:-leaf} kt=${4:-ec}
	shift 4 2>/dev/null || shift $#
	local serial
	serial=$(cat "$dir/serial")
	# shellcheck disable=SC2046
	openssl req -new $(keyopts "$kt") -nodes -keyout "$dir/$serial.key" -out "$dir/$serial.csr" \
		-subj "/CN=$cn" 2>/dev/null
	openssl ca -batch -config "$dir/ca.cnf" -extensions "$ext" -in "$dir/$serial.csr" \
		-out "$dir/$serial.pem" -notext "$@" 2>/dev/null
	echo "$serial"
}

# issue_many DIR N: N certificates straight into the index (fast, no keys).
issue_many() {
	local dir=$1 n=$2
	python3 - "$dir/index.txt" "$n" <<'PY'
import sys
path, n = sys.argv[1], int(sys.argv[2])
with open(path, "a") as f:
    for i in range(n):
        f.write("V\t351224000000Z\t\t%08X\tunknown\t/CN=bulk%d\n" % (0x20000000 + i, i))
PY
}

# revoke DIR SERIAL [openssl ca revoke args...]
revoke() {
	local dir=$1 serial=$2
	shift 2
	openssl ca -config "$dir/ca.cnf" -revoke "$dir/$serial.pem" "$@" 2>/dev/null
}

# issuer_dir CA_PEM: the SHA-1 of the CA's key bits, the tree's directory
# for it.
issuer_dir() {
	openssl x509 -in "$1" -noout -pubkey | openssl pkey -pubin -outform DER |
		der_py '
import hashlib
_, key = parts(sys.stdin.buffer.read())   # AlgorithmIdentifier, BIT STRING
_, s, e = tlv(key, 0)
print(hashlib.sha1(key[s + 1:e]).hexdigest())   # past the unused-bits octet'
}

# start_lookupd ARGS...: starts lookupd with --listen 127.0.0.1:0 (ARGS
# must not name another --listen; a configuration file's listen key is
# overridden), its log in $LOOKUPD_LOG. Reads the port the kernel gave it
# from its "listening on" line, sets $PORT, $URL and $LOOKUPD_PID, and
# returns once /livez answers 200. When lookupd exits first or takes too
# long: prints its log and returns 1.
LOOKUPD_RUNS=0
# lookupd refuses to serve as root without a user to drop to: the tests
# that run as root say that they mean it.
LOOKUPD_ROOT=()
if [ "$(id -u)" = 0 ]; then LOOKUPD_ROOT=(--allow-root); fi
start_lookupd() {
	LOOKUPD_RUNS=$((LOOKUPD_RUNS + 1))
	LOOKUPD_LOG=$WORK/lookupd.$LOOKUPD_RUNS.log
	PORT='' URL=''
	"$LOOKUPD" "${LOOKUPD_ROOT[@]}" --listen 127.0.0.1:0 "$@" > "$LOOKUPD_LOG" 2>&1 &
	LOOKUPD_PID=$!
	PIDS+=("$LOOKUPD_PID")
	if wait_for 10 lookupd_bound && [ -n "$PORT" ]; then
		URL="http://127.0.0.1:$PORT"
		if wait_for 10 lookupd_healthy && ! gone "$LOOKUPD_PID"; then
			return 0
		fi
	fi
	echo "lookupd did not start:"; cat "$LOOKUPD_LOG"
	return 1
}

# For wait_for in start_lookupd: true once lookupd logged the port it is
# listening on (set in $PORT), or exited.
lookupd_bound() {
	PORT=$(sed -n 's/^ocsp-lookupd: info: listening on 127\.0\.0\.1:\([1-9][0-9]*\)[ ,].*/\1/p' \
		"$LOOKUPD_LOG" | head -1)
	[ -n "$PORT" ] || gone "$LOOKUPD_PID"
}

# For wait_for in start_lookupd: true once /livez answers 200 (it is 503
# until the tree is open), or lookupd exited. Not /healthz: that is 503
# while the tree is missing or stale, which tests set up on purpose.
lookupd_healthy() { curl -fs -o /dev/null "$URL/livez" || gone "$LOOKUPD_PID"; }

stop_lookupd() {
	kill "$LOOKUPD_PID" 2>/dev/null || true
	wait "$LOOKUPD_PID" 2>/dev/null || true
}

# start_nginx DIR: nginx in the foreground with DIR as its prefix and its
# logs in DIR/logs, serving the http { } block read from standard input,
# in which the literal words $NGINX_PORT (picked here) and $NGINX_DIR (DIR)
# are replaced: quote the here-document, so nginx's own $variables stay. Sets NGINX_PORT and
# NGINX_PID (cleaned up on exit) and returns once nginx answers, or 1 with
# its error log when it exits first.
start_nginx() {
	local dir=$1
	NGINX_PORT=$(free_port)
	mkdir -p "$dir/logs"
	chmod 755 "$WORK" "$dir"
	{
		printf 'worker_processes 1;\ndaemon off;\npid %s/nginx.pid;\n' "$dir"
		printf 'error_log %s/logs/error.log;\nevents { worker_connections 256; }\n' "$dir"
		printf 'http {\n'
		sed -e "s#\$NGINX_PORT#$NGINX_PORT#g" -e "s#\$NGINX_DIR#$dir#g"
		printf '}\n'
	} > "$dir/nginx.conf"
	nginx -c "$dir/nginx.conf" -p "$dir" &
	NGINX_PID=$!
	PIDS+=("$NGINX_PID")
	if wait_for 10 nginx_up && ! gone "$NGINX_PID"; then
		return 0
	fi
	echo "nginx did not start:"; cat "$dir/logs/error.log"
	return 1
}
nginx_up() { curl -s -o /dev/null "http://127.0.0.1:$NGINX_PORT/" || gone "$NGINX_PID"; }

# raw_http PORT [TIMEOUT]: sends standard input as is to 127.0.0.1:PORT and
# writes what comes back until the server closes the connection. Exits 3
# when it has not closed within TIMEOUT seconds (default 3), 4 on a reset;
# what arrived is written either way.
raw_http() {
	python3 -c '
import socket, sys, time
port, timeout = int(sys.argv[1]), float(sys.argv[2])
req = sys.stdin.buffer.read()
out, rc = b"", 0
deadline = time.monotonic() + timeout
s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
try:
    s.sendall(req)
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError
        s.settimeout(left)
        b = s.recv(65536)
        if not b:
            break
        out += b
except (TimeoutError, socket.timeout):
    rc = 3
except ConnectionResetError:
    rc = 4
s.close()
sys.stdout.buffer.write(out)
sys.exit(rc)' "$1" "${2:-3}"
}

# start_dav DIR: nginx as a WebDAV origin (PUT, DELETE, MKCOL) for
# upload targets, serving DIR/www; sets DAV_URL (its /dav/ocsp, empty at
# first) and DAV_ROOT (where that lands on disk), and NGINX_* as
# start_nginx does. Its access log (DIR/logs/access.log) has lines of
# "METHOD URI STATUS".
start_dav() {
	local dir=$1
	mkdir -p "$dir/www/dav" "$dir/tmp"
	chmod 755 "$WORK" "$dir" "$dir/www"
	[ "$(id -u)" = 0 ] && chown nobody "$dir/www/dav" "$dir/tmp"
	start_nginx "$dir" <<'NGINX' || return 1
    log_format up '$request_method $uri $status';
    access_log $NGINX_DIR/logs/access.log up;
    client_body_temp_path $NGINX_DIR/tmp;
    server {
        listen 127.0.0.1:$NGINX_PORT;
        root $NGINX_DIR/www;
        location /dav/ {
            dav_methods PUT DELETE MKCOL;
            create_full_put_path on;
            default_type application/ocsp-response;
        }
    }
NGINX
	DAV_URL=http://127.0.0.1:$NGINX_PORT/dav/ocsp
	DAV_ROOT=$dir/www/dav/ocsp
}
