# Shared helpers for the integration tests (and the benchmark): a real CA
# made with the openssl CLI, lookupd on a port the kernel picks, polling
# with a deadline, and processes cleaned up by pid. Source it; it sets -eu,
# makes $WORK (removed on exit) and expects $PUBLISHER, $LOOKUPD and
# $TREE_CHECK from ctest's environment.
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

finish() {
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

issuer_dir() {
	openssl x509 -in "$1" -noout -pubkey | openssl pkey -pubin -outform DER |
		python3 -c '
import sys, hashlib
der = sys.stdin.buffer.read()
# SubjectPublicKeyInfo: find the BIT STRING (last element) and hash its bits.
def tlv(b, i):
    tag = b[i]; l = b[i+1]; i += 2
    if l & 0x80:
        n = l & 0x7f; l = int.from_bytes(b[i:i+n], "big"); i += n
    return tag, i, l
_, i, l = tlv(der, 0)
_, j, l2 = tlv(der, i)      # AlgorithmIdentifier
tag, k, l3 = tlv(der, j + l2)  # BIT STRING
print(hashlib.sha1(der[k+1:k+l3]).hexdigest())'
}

# start_lookupd ARGS...: starts lookupd with --listen 127.0.0.1:0 (ARGS
# must not name another --listen; a configuration file's listen key is
# overridden), its log in $LOOKUPD_LOG. Reads the port the kernel gave it
# from its "listening on" line, sets $PORT, $URL and $LOOKUPD_PID, and
# returns once /healthz answers 200. When lookupd exits first or takes too
# long: prints its log and returns 1.
LOOKUPD_RUNS=0
start_lookupd() {
	LOOKUPD_RUNS=$((LOOKUPD_RUNS + 1))
	LOOKUPD_LOG=$WORK/lookupd.$LOOKUPD_RUNS.log
	PORT='' URL=''
	"$LOOKUPD" --listen 127.0.0.1:0 "$@" > "$LOOKUPD_LOG" 2>&1 &
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

# For wait_for in start_lookupd: true once /healthz answers 200 (it is 503
# until the tree is open), or lookupd exited.
lookupd_healthy() { curl -fs -o /dev/null "$URL/healthz" || gone "$LOOKUPD_PID"; }

stop_lookupd() {
	kill "$LOOKUPD_PID" 2>/dev/null || true
	wait "$LOOKUPD_PID" 2>/dev/null || true
}

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
