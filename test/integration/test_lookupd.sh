#!/usr/bin/env bash
# ocsp-lookupd in offline mode (answering from the pre-signed tree; it is
# given no key) against real peers: `openssl ocsp` POSTs, curl GETs, raw
# HTTP/1.0 from python. An ECDSA P-256 CA signs for itself; an RSA-2048 CA
# has a delegated responder certificate. Both are published into one tree.
source "$(dirname "$0")/lib.sh"

# Serials start at 1FFE01: the last octets of a SHA-1 request for them end
# its base64 in "x/+AQ==", so every GET form below has '/', '+' and '='.
FIRST_SERIAL=1FFE01
MALFORMED=30030a0101
TRY_LATER=30030a0103
UNAUTHORIZED=30030a0106

publish() { "$PUBLISHER" --no-progress -q "$@"; }
size() { stat -c %s "$1"; }
epoch() { date -d "$1" +%s; }
# resp_time FILE "This Update"|"Next Update": the time in a response, in seconds.
resp_time() {
	epoch "$(openssl ocsp -respin "$1" -resp_text -noverify 2>/dev/null |
		sed -n "s/^ *$2: //p" | head -1)"
}
# header FILE NAME: the value of a header (curl -D output, CRs removed).
header() { sed -n "s/^$2: *//Ip" "$1" | head -1; }
header_count() { grep -ci "^$2:" "$1" || true; }

# get PATH OUT [curl args...]: GET $URL$PATH into OUT.b with headers in
# OUT.h and the time it was sent in OUT.t; prints the HTTP status.
get() {
	local path=$1 out=$2 code
	shift 2
	date +%s > "$out.t"
	code=$(curl -sS --path-as-is -D "$out.h" -o "$out.b" -w '%{http_code}' "$@" "$URL$path") || true
	sed -i 's/\r$//' "$out.h"
	touch "$out.b"
	echo "$code"
}

# post_der DER OUT [curl args...]: POSTs DER as an OCSP request; prints the status.
post_der() {
	local der=$1 out=$2
	shift 2
	get / "$out" --data-binary @"$der" -H 'Content-Type: application/ocsp-request' "$@"
}

# ask CA ARGS...: openssl ocsp POSTing to $URL about CA's certificates,
# verifying against CA's certificate alone.
ask() {
	local ca=$1
	shift
	openssl ocsp -issuer "$ca/ca.pem" -CAfile "$ca/ca.pem" -url "$URL" "$@" 2>&1 || true
}

# request CA SERIAL OUT: a nonce-free SHA-1 request as openssl ocsp makes it.
request() { ocsp_request "$1" "$2" "$3" -no_nonce; }

# body_is OUT HEX: the body of a get is exactly these bytes.
body_is() { [ "$(hex "$1.b")" = "$2" ] || { echo "  body: $(hex "$1.b" | head -c 200)"; return 1; }; }
same_file() { cmp "$1" "$2"; }
# not_an_answer CODE OUT: a 404, or an OCSP malformedRequest.
not_an_answer() { [ "$1" = 404 ] || { [ "$1" = 200 ] && body_is "$2" "$MALFORMED"; }; }

# split_http FILE: raw HTTP response into FILE.h (headers, no CRs) and FILE.b.
split_http() {
	python3 -c '
import sys
d = open(sys.argv[1], "rb").read()
i = d.find(b"\r\n\r\n")
h, b = (d, b"") if i < 0 else (d[:i], d[i + 4:])
open(sys.argv[1] + ".h", "wb").write(h.replace(b"\r\n", b"\n") + b"\n")
open(sys.argv[1] + ".b", "wb").write(b)' "$1"
}

# check_cache_headers WHAT OUT FILE MAX_AGE: a 200 for a pre-signed FILE.
check_cache_headers() {
	local what=$1 out=$2 file=$3 max=$4 tu nu now cc n want
	tu=$(resp_time "$file" "This Update")
	nu=$(resp_time "$file" "Next Update")
	now=$(cat "$out.t")
	check "$what: one Content-Type, exactly application/ocsp-response" \
		test "$(header_count "$out.h" Content-Type)" = 1 -a \
		"$(header "$out.h" Content-Type)" = application/ocsp-response
	check "$what: Content-Length is the file size" \
		test "$(header "$out.h" Content-Length)" = "$(size "$file")"
	check "$what: Last-Modified is thisUpdate" test "$(epoch "$(header "$out.h" Last-Modified)")" = "$tu"
	check "$what: Expires is nextUpdate" test "$(epoch "$(header "$out.h" Expires)")" = "$nu"
	check "$what: a strong ETag" grep -Eq '^ETag: "[^"]+"$' "$out.h"
	cc=$(header "$out.h" Cache-Control)
	check "$what: Cache-Control for a CDN" \
		grep -Eqx 'max-age=[0-9]+, public, no-transform, must-revalidate' <<<"$cc"
	n=$(sed -n 's/^max-age=\([0-9]*\),.*/\1/p' <<<"$cc")
	n=${n:-999999999}
	want=$((nu - now < max ? nu - now : max))
	check "$what: max-age $n <= $max and <= nextUpdate - now, within 5 s of it" \
		test "$n" -le "$max" -a "$n" -le $((nu - now)) -a "$n" -ge $((want - 5))
}

# ca_checks NAME CA GOOD REVOKED: one CA's answers, POST and GET, from the
# main lookupd (path prefix /ocsp) and the tree $T.
ca_checks() {
	local name=$1 ca=$2 good=$3 rev=$4 r rt_index rt_resp b64 pct nopad file code out etag lm
	local dir
	dir=$(issuer_dir "$ca/ca.pem")
	file=$T/$dir/$good

	log "$name: openssl ocsp POST"
	r=$(ask "$ca" -serial "0x$good" -no_nonce)
	check "$name: good" contains "$r" "0x$good: good"
	check "$name: good verifies against the CA alone" contains "$r" "Response verify OK"
	r=$(ask "$ca" -serial "0x$good")
	check "$name: with a nonce, the pre-signed answer (good)" contains "$r" "0x$good: good"
	check "$name: with a nonce, openssl warns that none came back" contains "$r" "WARNING: no nonce in response"
	check "$name: with a nonce, still verifies" contains "$r" "Response verify OK"
	r=$(ask "$ca" -serial "0x$rev" -no_nonce)
	check "$name: revoked" contains "$r" "0x$rev: revoked"
	check "$name: revoked, verifies" contains "$r" "Response verify OK"
	check "$name: revocation reason" contains "$r" "Reason: keyCompromise"
	rt_index=$(index_revoked_at "$ca" "$rev")
	rt_resp=$(sed -n 's/^[[:space:]]*Revocation Time: //p' <<<"$r" | head -1)
	check "$name: revocation time from the index" test "$rt_index" = "$(epoch "${rt_resp:-never}" 2>/dev/null || echo none)"
	r=$(ask "$ca" -serial 0x7A5A5A -no_nonce)
	check "$name: never-issued serial: unauthorized" contains "$r" "Responder Error: unauthorized (6)"
	r=$(ask "$ca" -url "$URL/ocsp" -serial "0x$good" -no_nonce)
	check "$name: POST under the path prefix" contains "$r" "0x$good: good"
	two_certs_offline "$name" "$ca" "$good" "$rev"

	log "$name: GET with curl"
	request "$ca" "$good" "$WORK/$name.req"
	b64=$(req_b64 "$WORK/$name.req")
	check "$name: the request's base64 has '+', '/' and '=' (test precondition)" \
		grep -q '+.*/\|/.*+' <<<"${b64%%=*}"
	check "$name: ... and padding" contains "$b64" "=="
	pct=$(pct_b64 "$b64")
	nopad=${b64%%=*}
	for form in "/$b64" "/$pct" "/${pct//%2F/%2f}" "/$nopad" "/ocsp/$b64" "/ocsp/$pct" \
	    "/ocsp/$nopad" "//$b64" "/ocsp//$pct"; do
		out=$WORK/$name.get
		code=$(get "$form" "$out")
		check "$name: GET ${form:0:12}...${form: -8} answers 200" test "$code" = 200
		check "$name: ... with the tree's file, byte for byte" same_file "$out.b" "$file"
		check "$name: ... as application/ocsp-response" \
			test "$(header "$out.h" Content-Type)" = application/ocsp-response
	done
	out=$WORK/$name.get
	code=$(get "/$pct" "$out")
	check_cache_headers "$name: GET" "$out" "$file" 3600
	etag=$(header "$out.h" ETag)
	lm=$(header "$out.h" Last-Modified)

	log "$name: conditional GET, HEAD"
	code=$(get "/$pct" "$out.c" -H "If-None-Match: $etag")
	check "$name: If-None-Match with the ETag: 304" test "$code" = 304
	check "$name: ... without a body" test ! -s "$out.c.b"
	check "$name: ... with the same ETag" test "$(header "$out.c.h" ETag)" = "$etag"
	code=$(get "/$pct" "$out.c" -H "If-Modified-Since: $lm")
	check "$name: If-Modified-Since = Last-Modified: 304" test "$code" = 304
	code=$(get "/$pct" "$out.c" -H "If-Modified-Since: $(date -u -R -d "@$(($(epoch "$lm") + 60))" | sed 's/+0000/GMT/')")
	check "$name: If-Modified-Since after Last-Modified: 304" test "$code" = 304
	code=$(get "/$pct" "$out.c" -H "If-Modified-Since: $(date -u -R -d "@$(($(epoch "$lm") - 86400))" | sed 's/+0000/GMT/')")
	check "$name: If-Modified-Since a day earlier: 200" test "$code" = 200
	check "$name: ... with the response" same_file "$out.c.b" "$file"
	code=$(get "/$pct" "$out.c" -H 'If-None-Match: "0123456789abcdef"')
	check "$name: If-None-Match with another ETag: 200" test "$code" = 200
	printf 'HEAD /%s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' "$pct" |
		raw_http "$PORT" > "$out.head" || true
	split_http "$out.head"
	check "$name: HEAD: 200" grep -q '^HTTP/1.1 200' "$out.head.h"
	check "$name: HEAD: Content-Length of the response" \
		test "$(header "$out.head.h" Content-Length)" = "$(size "$file")"
	check "$name: HEAD: same ETag" test "$(header "$out.head.h" ETag)" = "$etag"
	check "$name: HEAD: no body" test ! -s "$out.head.b"

	log "$name: OCSP errors over GET"
	request "$ca" 7A5A5A "$WORK/$name.unk"
	code=$(get "/$(req_b64 "$WORK/$name.unk")" "$out.u")
	check "$name: GET for a never-issued serial: 200 with unauthorized" \
		test "$code" = 200 -a "$(hex "$out.u.b")" = "$UNAUTHORIZED"
	check "$name: ... Cache-Control: no-store" test "$(header "$out.u.h" Cache-Control)" = no-store
	code=$(post_der "$WORK/$name.unk" "$out.p")
	check "$name: POST for a never-issued serial: unauthorized, no-store" \
		test "$code" = 200 -a "$(hex "$out.p.b")" = "$UNAUTHORIZED" -a \
		"$(header "$out.p.h" Cache-Control)" = no-store
}

# Offline, a pre-signed file holds one SingleResponse, so a request for two
# certificates is unauthorized. With online signing this becomes an answer
# for both: change this function then.
two_certs_offline() {
	local name=$1 ca=$2 r
	r=$(ask "$ca" -serial "0x$3" -serial "0x$4" -no_nonce)
	check "$name: two certificates in one request: unauthorized (offline)" \
		contains "$r" "Responder Error: unauthorized (6)"
}

# make_stale RESPONSE KEY OUT: RESPONSE with producedAt and thisUpdate five
# days back and nextUpdate one day back, signed again with KEY (the
# issuer's, so it still verifies): a file the publisher stopped refreshing.
make_stale() {
	der_py '
import re, subprocess, tempfile, time
src, key, dst = sys.argv[1:4]

def gt(t):
    return b"\x18\x0f" + time.strftime("%Y%m%d%H%M%SZ", time.gmtime(t)).encode()

status, wrapped = parts(open(src, "rb").read())
rtype, octets = parts(parts(wrapped)[0])
tbs, alg, _, *certs = parts(parts(octets)[0])   # in the OCTET STRING: BasicOCSPResponse
times = list(re.finditer(rb"\x18\x0f\d{14}Z", tbs))
assert len(times) == 3, "producedAt, thisUpdate, nextUpdate expected"
now = int(time.time())
new = [gt(now - 5 * 86400), gt(now - 5 * 86400), gt(now - 86400)]
for m, t in zip(reversed(times), reversed(new)):
    tbs = tbs[:m.start()] + t + tbs[m.end():]
with tempfile.NamedTemporaryFile() as f:
    f.write(tbs)
    f.flush()
    sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", key, f.name],
                         check=True, capture_output=True).stdout
basic = enc(0x30, tbs + alg + enc(0x03, b"\0" + sig) + b"".join(certs))
resp = enc(0x30, status + enc(0xa0, enc(0x30, rtype + enc(0x04, basic))))
open(dst, "wb").write(resp)' "$@"
}

log "two CAs made with the openssl CLI, published into one tree"
EC=$WORK/ec
RSA=$WORK/rsa
OTHER=$WORK/other
make_ca "$EC" ec "Test EC CA"
make_ca "$RSA" rsa "Test RSA CA"
make_ca "$OTHER" ec "Test other CA"
echo "$FIRST_SERIAL" > "$EC/serial"
echo "$FIRST_SERIAL" > "$RSA/serial"
EC_GOOD=$(issue "$EC" good)
EC_REV=$(issue "$EC" revoked)
EC_LATER=$(issue "$EC" "revoked later")
RSA_GOOD=$(issue "$RSA" good)
RSA_REV=$(issue "$RSA" revoked leaf rsa)
RSA_RESP=$(issue "$RSA" "Test RSA OCSP responder" responder rsa)
OTHER_CERT=$(issue "$OTHER" stranger)
revoke "$EC" "$EC_REV" -crl_reason keyCompromise
revoke "$RSA" "$RSA_REV" -crl_reason keyCompromise
T=$WORK/tree
cat > "$WORK/publish.conf" <<CONF
tree = $T
[ca ec]
issuer = $EC/ca.pem
signer = $EC/ca.pem
key = $EC/ca.key
index = $EC/index.txt

[ca rsa]
issuer = $RSA/ca.pem
signer = $RSA/$RSA_RESP.pem
key = $RSA/$RSA_RESP.key
index = $RSA/index.txt
CONF
publish --config "$WORK/publish.conf"
check "the tree holds both CAs' responses" test "$("$TREE_CHECK" "$T")" = 6

start_lookupd --tree "$T" --path-prefix /ocsp
MAIN_URL=$URL MAIN_PORT=$PORT MAIN_PID=$LOOKUPD_PID MAIN_LOG=$LOOKUPD_LOG
use_main() { URL=$MAIN_URL PORT=$MAIN_PORT LOOKUPD_PID=$MAIN_PID LOOKUPD_LOG=$MAIN_LOG; }

ca_checks ec "$EC" "$EC_GOOD" "$EC_REV"
ca_checks rsa "$RSA" "$RSA_GOOD" "$RSA_REV"
r=$(ask "$RSA" -serial "0x$RSA_GOOD" -no_nonce -resp_text)
check "rsa: the delegated responder's certificate comes in the response" \
	contains "$r" "Subject: CN=Test RSA OCSP responder"
check "rsa: signed by the responder's RSA key" contains "$r" "sha256WithRSAEncryption"

log "unknown issuer"
r=$(openssl ocsp -issuer "$OTHER/ca.pem" -CAfile "$OTHER/ca.pem" -url "$URL" -serial "0x$OTHER_CERT" -no_nonce 2>&1 || true)
check "a certificate of another CA: unauthorized" contains "$r" "Responder Error: unauthorized (6)"

log "HTTP outside OCSP"
request "$EC" "$EC_GOOD" "$WORK/req.der"
PCT=$(pct_b64 "$(req_b64 "$WORK/req.der")")
GOOD_FILE=$T/$(issuer_dir "$EC/ca.pem")/$EC_GOOD
for m in PUT DELETE; do
	code=$(get "/$PCT" "$WORK/m" -X "$m")
	check "$m: 405" test "$code" = 405
	check "$m: with an Allow header" grep -Eq '^Allow: .*GET' "$WORK/m.h"
done
head -c 20000 /dev/zero > "$WORK/big"
code=$(post_der "$WORK/big" "$WORK/big")
check "POST body over max_request_bytes: 413" test "$code" = 413
code=$(post_der "$WORK/req.der" "$WORK/tp" -H 'Content-Type: text/plain')
check "POST as text/plain: 415" test "$code" = 415
code=$(post_der "$WORK/req.der" "$WORK/ok")
check "POST from curl with the right type: 200 and the file" test "$code" = 200
check "... byte for byte" same_file "$WORK/ok.b" "$GOOD_FILE"
code=$(get /favicon.ico "$WORK/fav")
check "/favicon.ico: 404" test "$code" = 404
code=$(get "/${PCT//%2F/%252F}" "$WORK/dbl")
check "a double-encoded %252F: 404 or malformedRequest, never an answer" \
	not_an_answer "$code" "$WORK/dbl"
code=$(get /MAAA "$WORK/garbage")
check "GET of garbage base64: 200 with malformedRequest" test "$code" = 200
check "... exactly 30 03 0a 01 01" body_is "$WORK/garbage" "$MALFORMED"
check "... Cache-Control: no-store" test "$(header "$WORK/garbage.h" Cache-Control)" = no-store
check "... as application/ocsp-response" test "$(header "$WORK/garbage.h" Content-Type)" = application/ocsp-response
code=$(get /healthz "$WORK/health")
check "/healthz: 200 ok" test "$code" = 200 -a "$(cat "$WORK/health.b")" = ok

log "HTTP/1.0 without keep-alive: the response, then the connection closes"
rc=0
printf 'GET /%s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' "$PCT" | raw_http "$PORT" > "$WORK/h10" || rc=$?
check "GET: the server closes the connection (EOF within 3 s)" test "$rc" = 0
split_http "$WORK/h10"
check "GET: status 200" grep -q '^HTTP/1.[01] 200' "$WORK/h10.h"
check "GET: the complete response before EOF" same_file "$WORK/h10.b" "$GOOD_FILE"
check "GET: no promise of keep-alive" test "$(header "$WORK/h10.h" Connection | tr '[:upper:]' '[:lower:]')" != keep-alive
rc=0
{ printf 'POST / HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Type: application/ocsp-request\r\n'
  printf 'Content-Length: %d\r\n\r\n' "$(size "$WORK/req.der")"; cat "$WORK/req.der"; } |
	raw_http "$PORT" > "$WORK/p10" || rc=$?
check "POST: the server closes the connection (EOF within 3 s)" test "$rc" = 0
split_http "$WORK/p10"
check "POST: the complete response before EOF" same_file "$WORK/p10.b" "$GOOD_FILE"
check "POST: Content-Length matches" test "$(header "$WORK/p10.h" Content-Length)" = "$(size "$GOOD_FILE")"

log "absolute-form request targets (RFC 9112 3.2.2: a server MUST accept them)"
# Only with the listener's own port: civetweb 1.15 drops an absolute-form
# target naming another port (a known limitation, noted in the README;
# proxies and load balancers send origin-form).
for target in "http://127.0.0.1:$PORT/$PCT" "http://ocsp.example.com:$PORT/ocsp/$PCT"; do
	printf 'GET %s HTTP/1.0\r\nHost: ocsp.example.com\r\n\r\n' "$target" |
		raw_http "$PORT" > "$WORK/abs" || true
	split_http "$WORK/abs"
	check "GET ${target%%/M*}/...: answered with the response" same_file "$WORK/abs.b" "$GOOD_FILE"
done

log "max_age from a configuration file; --check"
printf 'tree = %s\n[lookupd]\nmax_age = 60\n' "$T" > "$WORK/lookupd.conf"
start_lookupd --config "$WORK/lookupd.conf"
code=$(get "/$PCT" "$WORK/short")
check "max_age = 60: answered" test "$code" = 200
n=$(header "$WORK/short.h" Cache-Control | sed -n 's/^max-age=\([0-9]*\), public, no-transform, must-revalidate$/\1/p')
check "max_age = 60: max-age=${n:-none} is at most 60" test "${n:-999}" -le 60 -a "${n:-0}" -ge 55
stop_lookupd
use_main
set +e
out=$("$LOOKUPD" --check --config "$WORK/lookupd.conf" 2>&1); rc=$?
check "--check with a good configuration: exit 0" test "$rc" = 0
check "--check with a good configuration: says so" contains "$out" "configuration ok"
bad_listen=(nonsense 127.0.0.1:99999 '[1.2.3.4]:80' '[::1:80')
# IPv6 is refused only by a lookupd linked with Debian's civetweb library.
case "$out" in *"IPv4 only"*) bad_listen+=('[::]:80') ;; esac
for bad in "${bad_listen[@]}"; do
	out=$("$LOOKUPD" --check --tree "$T" --listen "$bad" 2>&1); rc=$?
	check "--check --listen '$bad': non-zero exit" test "$rc" -ne 0
	check "--check --listen '$bad': says what is wrong" contains "$out" "listen: '${bad%%:*}"
done
set -e

log "republish: a revocation reaches lookupd without a restart"
request "$EC" "$EC_LATER" "$WORK/later.req"
LATER_PATH=/$(req_b64 "$WORK/later.req")
code=$(get "$LATER_PATH" "$WORK/before")
check "before: good" contains "$(openssl ocsp -respin "$WORK/before.b" -noverify -issuer "$EC/ca.pem" -serial "0x$EC_LATER" 2>&1)" ": good"
revoke "$EC" "$EC_LATER" -crl_reason superseded
publish --config "$WORK/publish.conf"
later_revoked() {
	get "$LATER_PATH" "$WORK/after" >/dev/null
	openssl ocsp -respin "$WORK/after.b" -CAfile "$EC/ca.pem" -issuer "$EC/ca.pem" \
		-serial "0x$EC_LATER" 2>&1 | grep -q "0x$EC_LATER: revoked"
}
check "within 3 s lookupd answers revoked" wait_for 3 later_revoked
check "... by the same process" kill -0 "$MAIN_PID"
check "... with a new ETag" test "$(header "$WORK/after.h" ETag)" != "$(header "$WORK/before.h" ETag)" -a \
	-n "$(header "$WORK/after.h" ETag)"

log "a tree that does not exist yet when lookupd starts"
LATE=$WORK/late-tree
start_lookupd --tree "$LATE"
code=$(get "/$PCT" "$WORK/late")
check "before the first publish: unauthorized" body_is "$WORK/late" "$UNAUTHORIZED"
# nextUpdate half an hour away: max-age must follow it, not max_age.
publish --index "$EC/index.txt" --issuer "$EC/ca.pem" --signer "$EC/ca.pem" --key "$EC/ca.key" \
	--out "$LATE" --validity 1h --backdate 30m
LATE_FILE=$LATE/$(issuer_dir "$EC/ca.pem")/$EC_GOOD
late_good() { get "/$PCT" "$WORK/late" >/dev/null && cmp -s "$WORK/late.b" "$LATE_FILE"; }
check "published later: answered within 3 s" wait_for 3 late_good
check_cache_headers "nextUpdate in 30 minutes" "$WORK/late" "$LATE_FILE" 3600
stop_lookupd
use_main

log "a response past its nextUpdate is not served"
STALE=$WORK/stale-tree
cp -a "$T" "$STALE"
STALE_FILE=$STALE/$(issuer_dir "$EC/ca.pem")/$EC_GOOD
make_stale "$GOOD_FILE" "$EC/ca.key" "$WORK/stale.der"
r=$(openssl ocsp -respin "$WORK/stale.der" -CAfile "$EC/ca.pem" -issuer "$EC/ca.pem" -serial "0x$EC_GOOD" 2>&1 || true)
check "the crafted stale response verifies (test precondition)" contains "$r" "Response verify OK"
check "... and openssl finds it expired (test precondition)" contains "$r" "status expired"
mv "$WORK/stale.der" "$STALE_FILE"
start_lookupd --tree "$STALE"
r=$(ask "$EC" -serial "0x$EC_GOOD" -no_nonce)
check "POST: tryLater" contains "$r" "Responder Error: trylater (3)"
code=$(get "/$PCT" "$WORK/stale")
check "GET: 200 with tryLater" test "$code" = 200
check "... exactly 30 03 0a 01 03" body_is "$WORK/stale" "$TRY_LATER"
check "... Cache-Control: no-store" test "$(header "$WORK/stale.h" Cache-Control)" = no-store
check "a warning in lookupd's log" grep -q "serial $EC_GOOD .*past its nextUpdate" "$LOOKUPD_LOG"
r=$(ask "$EC" -serial "0x$EC_REV" -no_nonce)
check "the other responses of that tree are still served" contains "$r" "0x$EC_REV: revoked"
stop_lookupd
use_main

log "20 GET loops while the publisher re-signs everything"
LOAD=$WORK/load
mkdir "$LOAD"
for k in $(seq 1 20); do
	(
		i=0
		while [ ! -e "$LOAD/stop" ]; do
			curl -s -o "$LOAD/$k.$i" -w '%{http_code}\n' "$URL/$PCT" >> "$LOAD/codes.$k" || echo fail >> "$LOAD/codes.$k"
			i=$((i + 1))
		done
	) &
	PIDS+=("$!")
done
# About 3 s, longer on a busy machine until there were enough re-signs
# and requests to mean something (at most 20 s).
requests() { cat "$LOAD"/codes.* 2>/dev/null | wc -l; }
runs=0
start=$(date +%s)
while now=$(date +%s); [ "$now" -lt $((start + 20)) ] &&
    { [ "$now" -lt $((start + 3)) ] || [ "$runs" -lt 5 ] || [ "$(requests)" -lt 200 ]; }; do
	publish --config "$WORK/publish.conf" --force
	runs=$((runs + 1))
done
touch "$LOAD/stop"
wait "${PIDS[@]: -20}" 2>/dev/null || true
total=$(find "$LOAD" -name '*.*' ! -name 'codes.*' | wc -l)
check "the publisher ran several times ($runs)" test "$runs" -ge 3
check "the clients made many requests ($total)" test "$total" -ge 200
check "every request answered 200" test -z "$(cat "$LOAD"/codes.* | grep -vx 200)"
find "$LOAD" -name '*.*' ! -name 'codes.*' -print0 | xargs -0 sha256sum | sort -k1,1 -u > "$LOAD/unique"
distinct=$(wc -l < "$LOAD/unique")
check "responses changed during the load ($distinct distinct)" test "$distinct" -ge 2
bad=0
while read -r _ f; do
	r=$(openssl ocsp -respin "$f" -CAfile "$EC/ca.pem" -issuer "$EC/ca.pem" -serial "0x$EC_GOOD" 2>&1 || true)
	case "$r" in *"Response verify OK"*"0x$EC_GOOD: good"*) ;; *) bad=$((bad + 1)); echo "  $f: $r" | head -3 ;; esac
done < "$LOAD/unique"
check "every distinct response verifies and says good" test "$bad" = 0
check "lookupd still runs" kill -0 "$MAIN_PID"

log "a response file rewritten in place (cp, an editor) does not bring lookupd down"
# Files are meant to be replaced by rename; truncating one under lookupd's
# mapping raises SIGBUS on the next read of it. A long reload interval
# makes sure that read comes from the old mapping.
printf 'tree = %s\n[lookupd]\nreload_interval = 60\n' "$T" > "$WORK/slow.conf"
start_lookupd --config "$WORK/slow.conf"
code=$(curl -s -o /dev/null -w '%{http_code}' "$URL/$PCT")
check "answered before the truncation" test "$code" = 200
: > "$GOOD_FILE"
curl -s -D "$WORK/trunc.h" -o "$WORK/trunc.body" "$URL/$PCT" || true
check "a file truncated under the mapping gets tryLater, not a crash" \
	test "$(hex "$WORK/trunc.body")" = 30030a0103
check "and no cache may keep that answer" grep -qi '^Cache-Control: no-store' "$WORK/trunc.h"
check "lookupd still runs after the truncation" kill -0 "$LOOKUPD_PID"
check "and still answers" test "$(curl -s "$URL/healthz")" = ok
check "and says what happened" grep -q "rewritten in place" "$LOOKUPD_LOG"
stop_lookupd

log "SIGTERM stops lookupd cleanly"
kill "$MAIN_PID"
wait_for 10 gone "$MAIN_PID" || kill -9 "$MAIN_PID"
rc=0
wait "$MAIN_PID" || rc=$?
check "exit status 0 (a sanitizer report or a hang would change it)" test "$rc" = 0
check "the log says why it stopped" grep -q "stopping (SIGTERM)" "$MAIN_LOG"

finish
