#!/usr/bin/env bash
# layout's fetch (fetch.h) against a real nginx on a loopback port: 200
# with validators, 304 through the persistent cache, the size cap by
# Content-Length and by a gzip'd body that inflates past it, redirects
# (followed, looping, to file://), a 404, a closed port, and a server that
# accepts and never answers. $FETCH_CHECK is the small C driver.
. "$(dirname "$0")/lib.sh"

: "${FETCH_CHECK:?FETCH_CHECK must name the fetch_check program}"

# lacks HAYSTACK NEEDLE
lacks() { case "$1" in *"$2"*) printf '  did not expect: %s\n  in: %s\n' "$2" "$1"; return 1 ;; esac; }

# run ARGS...: runs fetch_check; sets $OUT to its output, $RC and $MS (the
# time taken). A sanitizer report in the output is a failure.
run() {
	local t0
	t0=$(date +%s%N)
	OUT=$("$FETCH_CHECK" "$@" 2>&1) && RC=0 || RC=$?
	MS=$((($(date +%s%N) - t0) / 1000000))
	case "$OUT" in
	*Sanitizer*|*"runtime error:"*) fail "sanitizer report from fetch_check $*"; printf '%s\n' "$OUT" | head -40 ;;
	esac
}

if ! command -v nginx >/dev/null; then
	fail "nginx is not installed (contrib/install-deps.sh --test): fetch is untested"
	finish
fi

NG=$WORK/nginx
mkdir -p "$NG/logs" "$NG/www/crl" "$NG/www/gz" "$NG/cache"
chmod 755 "$WORK" "$NG" "$NG/www" "$NG/www/crl" "$NG/www/gz"
openssl rand 3000 > "$NG/www/crl/ca.crl"
# 4 MiB: larger than the 1 MiB cap, served plain (a Content-Length) and
# gzip'd (chunked, about 4 KiB on the wire)
head -c 4194304 /dev/zero > "$NG/www/crl/big.crl"
cp "$NG/www/crl/big.crl" "$NG/www/gz/bomb.crl"
echo small > "$NG/www/gz/small.txt"
chmod 644 "$NG"/www/*/*
TLS_PORT=$(free_port)
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
	-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
	-keyout "$NG/tls.key" -out "$NG/tls.pem" 2>/dev/null
start_nginx "$NG" < <(sed "s#TLS_PORT#$TLS_PORT#" <<'NGINX'
    log_format fetch '$request_uri $status $body_bytes_sent "$http_user_agent" "$http_accept_encoding"';
    access_log $NGINX_DIR/logs/access.log fetch;
    server {
        listen 127.0.0.1:$NGINX_PORT;
        root $NGINX_DIR/www;
        gzip off;
        location /gz/ {
            gzip on;
            gzip_types *;
            gzip_min_length 0;
        }
        location = /moved { return 301 /crl/ca.crl; }
        location = /loop { return 302 /loop; }
        location = /tofile { return 302 file:///etc/passwd; }
    }
    server {
        listen 127.0.0.1:TLS_PORT ssl;
        ssl_certificate $NGINX_DIR/tls.pem;
        ssl_certificate_key $NGINX_DIR/tls.key;
        root $NGINX_DIR/www;
    }
NGINX
) || true
URL=http://127.0.0.1:$NGINX_PORT
check "nginx runs" kill -0 "$NGINX_PID"

# value LINE KEY: the value of key=... in fetch_check's line
value() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<"$1"; }
# served PATH: the last "status bytes" nginx logged for PATH
served() { awk -v p="$1" '$1 == p { s = $2 " " $3 } END { print s }' "$NG/logs/access.log"; }

log "200 with validators"
run "$URL/crl/ca.crl" "$WORK/b1"
check "200: new" contains "$OUT" "new len=3000 "
check "... the body as served" cmp -s "$WORK/b1" "$NG/www/crl/ca.crl"
ETAG=$(value "$OUT" etag)
LM=$(sed -n 's/.* last-modified=\(.*\) date=.*/\1/p' <<<"$OUT")
check "... with nginx's ETag" test "$ETAG" = "$(curl -sI "$URL/crl/ca.crl" | tr -d '\r' | sed -n 's/^ETag: //ip')"
check "... and Last-Modified" test "$LM" = "$(curl -sI "$URL/crl/ca.crl" | tr -d '\r' | sed -n 's/^Last-Modified: //ip')"
DATE=$(value "$OUT" date)
check "... and the Date header (within 60 s of now)" test "$((DATE - $(date +%s)))" -le 60 -a "$(($(date +%s) - DATE))" -le 60
check "... asking for gzip, naming the product and version" \
	test "$(awk '$1 == "/crl/ca.crl" { print $4, $5; exit }' "$NG/logs/access.log")" = \
	"\"ocsp-responder/$("$FETCH_CHECK" -V)\" \"gzip\""
run -e "$ETAG" "$URL/crl/ca.crl"
check "If-None-Match with that ETag: not-modified" contains "$OUT" "not-modified len=0"
check "... nginx answered 304" test "$(served /crl/ca.crl)" = "304 0"
run -l "$LM" "$URL/crl/ca.crl"
check "If-Modified-Since alone: not-modified" contains "$OUT" "not-modified"
run -e '"other"' "$URL/crl/ca.crl"
check "another ETag: new" contains "$OUT" "new len=3000"
run -e $'"a"\r\nX-Injected: 1' "$URL/crl/ca.crl"
check "a validator with CR LF is refused before sending" contains "$OUT" "error: "
check "... saying why" contains "$OUT" "control characters"

log "the persistent cache"
C=$NG/cache/dir
run -c "$C" "$URL/crl/ca.crl" "$WORK/c1"
check "first fetch through the cache: new" contains "$OUT" "new len=3000"
NAME=fetch-$(printf '%s' "$URL/crl/ca.crl" | sha256sum | cut -c1-64)
check "... stored as $NAME" test -f "$C/$NAME"
check "... no temp file left" test "$(find "$C" -name '.*' | wc -l)" = 0
check "... holding the ETag" grep -aqF "etag $ETAG" "$C/$NAME"
run -c "$C" "$URL/crl/ca.crl" "$WORK/c2"
check "second run: not-modified" contains "$OUT" "not-modified len=3000 etag=$ETAG"
check "... nginx answered 304" test "$(served /crl/ca.crl)" = "304 0"
check "... the cached body returned" cmp -s "$WORK/c2" "$NG/www/crl/ca.crl"
sleep 1.1
openssl rand 2000 > "$NG/www/crl/ca.crl"
run -c "$C" "$URL/crl/ca.crl" "$WORK/c3"
check "after the CRL changed: new" contains "$OUT" "new len=2000"
check "... the new body" cmp -s "$WORK/c3" "$NG/www/crl/ca.crl"
check "... nginx answered 200" test "$(served /crl/ca.crl)" = "200 2000"
check "... the cache has the new ETag" test "$(value "$OUT" etag)" != "$ETAG" -a -n "$(grep -a "^etag $(value "$OUT" etag)" "$C/$NAME")"
printf 'garbage' > "$C/$NAME"
run -c "$C" "$URL/crl/ca.crl" "$WORK/c4"
check "a damaged cache file: an unconditional fetch" contains "$OUT" "new len=2000"
check "... that repairs it" grep -aq '^ocsp-fetch-cache 1$' "$C/$NAME"
run -c "$C" "http://user:s3cret@127.0.0.1:$NGINX_PORT/crl/ca.crl" "$WORK/c5"
check "userinfo in the URL: fetched" contains "$OUT" "new len=2000"
check "... its password not in the cache file" bash -c "! grep -arq s3cret '$C'"
check "... the URL stored without it" bash -c "grep -arqF 'url http://user@127.0.0.1:$NGINX_PORT/crl/ca.crl' '$C'"
chmod 755 "$C"
touch "$NG/cache/file"
run -c "$NG/cache/file/sub" "$URL/crl/ca.crl"
check "a cache directory that cannot be made: an error" contains "$OUT" "error: fetch cache"

log "size caps"
run -m 1048576 "$URL/crl/big.crl"
check "Content-Length over the cap: refused" contains "$OUT" "error: $URL/crl/big.crl: larger than 1048576 bytes (Content-Length 4194304)"
sleep 0.2
sent=$(served /crl/big.crl | cut -d' ' -f2)
check "... the transfer aborted early (nginx sent $sent of 4194304 bytes)" test "${sent:-4194304}" -lt 4194304
check "... fast ($MS ms)" test "$MS" -lt 3000
run -m 4194304 "$URL/crl/big.crl"
check "exactly at the cap: fetched" contains "$OUT" "new len=4194304"
run -m 1048576 "$URL/gz/bomb.crl"
check "gzip'd body inflating past the cap: refused" contains "$OUT" "error: $URL/gz/bomb.crl: larger than 1048576 bytes (decoded)"
gz=$(served /gz/bomb.crl | cut -d' ' -f2)
check "... nginx did gzip it (it sent $gz bytes)" test "${gz:-99999999}" -lt 1048576
run -m 4194304 "$URL/gz/bomb.crl" "$WORK/bomb"
check "... fits a 4 MiB cap, decoded" contains "$OUT" "new len=4194304"
check "... to the served bytes" cmp -s "$WORK/bomb" "$NG/www/gz/bomb.crl"

log "redirects and statuses"
run "$URL/moved" "$WORK/m"
check "a 301 is followed" contains "$OUT" "new len=2000"
check "... to the file it names" cmp -s "$WORK/m" "$NG/www/crl/ca.crl"
run "$URL/loop"
check "a redirect loop: stopped" contains "$OUT" "error: $URL/loop: more than 5 redirects"
run "$URL/tofile"
check "a redirect to file://: refused" contains "$OUT" "error: $URL/tofile: redirect to a protocol other than http or https refused"
check "... /etc/passwd not read" lacks "$OUT" "root:"
run "$URL/nothing.crl"
check "a 404: an error naming the status" contains "$OUT" "error: $URL/nothing.crl: HTTP status 404"
run "file:///etc/passwd"
check "a file:// URL: refused" contains "$OUT" "only http:// and https:// URLs"

log "TLS"
run "https://127.0.0.1:$TLS_PORT/crl/ca.crl"
check "https with a certificate no CA vouches for: refused" contains "$OUT" "error: https://127.0.0.1:$TLS_PORT/crl/ca.crl: TLS: the server's certificate is not trusted"
out=$(curl -s --cacert "$NG/tls.pem" -o /dev/null -w '%{http_code}' "https://127.0.0.1:$TLS_PORT/crl/ca.crl" || true)
check "... while the server itself answers (curl --cacert: $out)" test "$out" = 200

log "network failures"
CLOSED=$(free_port)
run -T 5 "http://127.0.0.1:$CLOSED/ca.crl"
check "a closed port: cannot connect" contains "$OUT" "error: http://127.0.0.1:$CLOSED/ca.crl: cannot connect"
check "... fast ($MS ms)" test "$MS" -lt 2000
run "http://admin:hunter2@127.0.0.1:$CLOSED/ca.crl"
check "userinfo: the user named" contains "$OUT" "http://admin@127.0.0.1:$CLOSED/ca.crl"
check "... the password not" lacks "$OUT" hunter2
run "http://nonexistent.invalid/ca.crl"
check "a name that does not resolve: DNS named" contains "$OUT" "cannot resolve the host name (DNS)"

python3 -c '
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 0))
s.listen(8)
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
held = []
while True:
    c, _ = s.accept()
    held.append(c)   # accepted, read, never answered
' "$WORK/mute.port" &
MUTE_PID=$!
PIDS+=("$MUTE_PID")
wait_for 10 test -s "$WORK/mute.port" || true
MUTE=$(cat "$WORK/mute.port")
run -t 2 "http://127.0.0.1:$MUTE/ca.crl"
check "a server that never answers: timed out" contains "$OUT" "error: http://127.0.0.1:$MUTE/ca.crl: timed out"
check "... after the 2 s timeout ($MS ms)" test "$MS" -ge 1900 -a "$MS" -lt 5000
finish
