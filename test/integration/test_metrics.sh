#!/usr/bin/env bash
# lookupd's operations interfaces against real peers: /metrics on its own
# listener (metrics_listen) checked by promtool and for exact counts after
# known traffic (curl, openssl ocsp), /healthz turning 503 with a JSON
# reason for a stale tree, a deleted tree, a broken issuer, an old
# generation and no free worker, and back to 200; /livez staying 200; the
# access log's lines.
source "$(dirname "$0")/lib.sh"

publish() { "$PUBLISHER" --no-progress -q "$@"; }

# scrape OUT: GET /metrics from the metrics listener into OUT; fails on
# anything but a 200 of the text format.
scrape() {
	local code
	code=$(curl -sS -o "$1" -D "$1.h" -w '%{http_code}' "$MURL/metrics") || return 1
	[ "$code" = 200 ] || { echo "  /metrics: $code"; return 1; }
}
# val FILE SERIES: the value of one series (name and labels exactly as
# written), 0 when absent.
val() { awk -v s="$2" '$1 == s { v = $2 } END { print v == "" ? 0 : v }' "$1"; }
# delta BEFORE AFTER SERIES
delta() { echo $(( $(val "$2" "$3") - $(val "$1" "$3") )); }
# is_delta BEFORE AFTER SERIES N: the series grew by exactly N.
is_delta() {
	local d
	d=$(delta "$1" "$2" "$3")
	[ "$d" = "$4" ] || { echo "  $3: grew by $d, expected $4"; return 1; }
}
# fetch URL [curl args]: prints the status; adds what came back (head
# and body bytes) to SENT.
SENT=0
fetch() {
	local url=$1 out code hb
	shift
	out=$(curl -sS -o /dev/null -w '%{http_code} %{size_header} %{size_download}' "$@" "$url") ||
		true
	code=${out%% *}
	hb=${out#* }
	SENT=$((SENT + ${hb% *} + ${hb#* }))
	echo "$code"
}
health() { curl -s -o "$WORK/health.b" -w '%{http_code}' "$URL/healthz" || true; }
health_is() { [ "$(health)" = "$1" ]; }
# reason_is CHECK: /healthz is 503 and its JSON names that check.
reason_is() {
	[ "$(health)" = 503 ] && python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["status"] == "unhealthy", d
assert any(r["check"] == sys.argv[2] for r in d["reasons"]), d' "$WORK/health.b" "$1"
}

log "a CA, two certificates (one revoked), a tree"
CA=$WORK/ca
make_ca "$CA" ec "Metrics CA"
GOOD=$(issue "$CA" good)
REVOKED=$(issue "$CA" revoked)
revoke "$CA" "$REVOKED"
TREE=$WORK/tree
pub_args=(--index "$CA/index.txt" --issuer "$CA/ca.pem" --signer "$CA/ca.pem" --key "$CA/ca.key"
	--out "$TREE")
publish "${pub_args[@]}"
ISSUER=$(issuer_dir "$CA/ca.pem")
ocsp_request "$CA" "$GOOD" "$WORK/good.der" -no_nonce
ocsp_request "$CA" "$REVOKED" "$WORK/revoked.der" -no_nonce
ocsp_request "$CA" 7777 "$WORK/unknown.der" -no_nonce
GOOD_GET=$(pct_b64 "$(req_b64 "$WORK/good.der")")

# Port 0: the kernel picks it, and the start-up line tells.
metrics_port() { sed -n 's/.*(\/metrics on port \([0-9]*\)).*/\1/p' "$LOOKUPD_LOG" | head -1; }
cat > "$WORK/lookupd.conf" <<CONF
tree = $TREE
[lookupd]
metrics_listen = 127.0.0.1:0
access_log = $WORK/access.log
stale_warning = 1h
stale_share = 40
threads = 4
header_timeout = 2s
CONF
start_lookupd --config "$WORK/lookupd.conf"
MPORT=$(metrics_port)
MURL=http://127.0.0.1:$MPORT
check "the start-up line names the metrics port" test -n "$MPORT" -a "$MPORT" != "$PORT"

log "where /metrics is answered"
check "metrics listener: 200" scrape "$WORK/m0"
check "... Content-Type of the text format 0.0.4" \
	grep -qi '^Content-Type: text/plain; version=0.0.4; charset=utf-8' "$WORK/m0.h"
check "public listener: /metrics is 404 when metrics_listen is set" \
	test "$(fetch "$URL/metrics")" = 404
check "metrics listener: an OCSP GET is 404 there" test "$(fetch "$MURL/$GOOD_GET")" = 404
check "metrics listener: /healthz answers there too" test "$(fetch "$MURL/healthz")" = 200
check "promtool check metrics" promtool check metrics < "$WORK/m0"

log "known traffic, then exact counts"
scrape "$WORK/m1"
SENT=0
M1_BYTES=$(($(stat -c %s "$WORK/m1") + $(stat -c %s "$WORK/m1.h")))
for _ in 1 2 3; do fetch "$URL/$GOOD_GET" >/dev/null; done
for _ in 1 2; do
	fetch "$URL/" --data-binary @"$WORK/revoked.der" -H 'Content-Type: application/ocsp-request' >/dev/null
done
fetch "$URL/" --data-binary @"$WORK/unknown.der" -H 'Content-Type: application/ocsp-request' >/dev/null
fetch "$URL/" --data-binary @"$WORK/good.der" -H 'Content-Type: text/plain' >/dev/null
fetch "$URL/" -X PUT --data-binary @"$WORK/good.der" >/dev/null
fetch "$URL/healthz" >/dev/null
head -c 20000 /dev/zero > "$WORK/big"
fetch "$URL/" --data-binary @"$WORK/big" -H 'Content-Type: application/ocsp-request' >/dev/null
# openssl ocsp too: one more POST of the good serial.
r=$(openssl ocsp -issuer "$CA/ca.pem" -CAfile "$CA/ca.pem" -url "$URL" -serial "0x$GOOD" -no_nonce 2>&1 || true)
check "openssl ocsp: good" contains "$r" "0x$GOOD: good"
scrape "$WORK/m2"
R=ocsp_lookupd_requests_total
check "GET 200 successful: 3" is_delta "$WORK/m1" "$WORK/m2" \
	"$R{method=\"GET\",code=\"200\",ocsp_status=\"successful\"}" 3
check "POST 200 successful: 2 revoked + 1 openssl" is_delta "$WORK/m1" "$WORK/m2" \
	"$R{method=\"POST\",code=\"200\",ocsp_status=\"successful\"}" 3
check "POST 200 unauthorized: 1" is_delta "$WORK/m1" "$WORK/m2" \
	"$R{method=\"POST\",code=\"200\",ocsp_status=\"unauthorized\"}" 1
check "POST 415: 1" is_delta "$WORK/m1" "$WORK/m2" \
	"$R{method=\"POST\",code=\"415\",ocsp_status=\"none\"}" 1
check "PUT (other) 405: 1" is_delta "$WORK/m1" "$WORK/m2" \
	"$R{method=\"other\",code=\"405\",ocsp_status=\"none\"}" 1
check "POST 413: 1" is_delta "$WORK/m1" "$WORK/m2" \
	"$R{method=\"POST\",code=\"413\",ocsp_status=\"none\"}" 1
check "GET 200 none: the first scrape and /healthz" is_delta "$WORK/m1" "$WORK/m2" \
	"$R{method=\"GET\",code=\"200\",ocsp_status=\"none\"}" 2
A=ocsp_lookupd_answers_total
check "answers from the tree: 6" is_delta "$WORK/m1" "$WORK/m2" "$A{source=\"tree\"}" 6
check "answers not found: 1" is_delta "$WORK/m1" "$WORK/m2" "$A{source=\"not_found\"}" 1
check "no online answers" is_delta "$WORK/m1" "$WORK/m2" "$A{source=\"online\"}" 0
check "refused, body too large: 1" is_delta "$WORK/m1" "$WORK/m2" \
	"ocsp_lookupd_connections_refused_total{reason=\"body_too_large\"}" 1
H=ocsp_lookupd_request_duration_seconds
check "latency histogram: 12 requests (with the first scrape)" \
	is_delta "$WORK/m1" "$WORK/m2" "${H}_count" 12
check "... its +Inf bucket equals its count" \
	test "$(val "$WORK/m2" "${H}_bucket{le=\"+Inf\"}")" = "$(val "$WORK/m2" "${H}_count")"
check "bytes sent: at least what curl received" \
	test "$(delta "$WORK/m1" "$WORK/m2" ocsp_lookupd_sent_bytes_total)" -ge $((SENT + M1_BYTES))
# openssl ocsp's own exchange is not measured by curl: the rest is exact.
OSSL=$(( $(delta "$WORK/m1" "$WORK/m2" ocsp_lookupd_sent_bytes_total) - SENT - M1_BYTES ))
check "... openssl's answer is one response with its head ($OSSL bytes)" \
	test "$OSSL" -gt 100 -a "$OSSL" -lt 2000
check "tree generation 1" test "$(val "$WORK/m2" ocsp_lookupd_tree_generation)" = 1
L="{ca=\"default\",issuer=\"$ISSUER\"}"
check "per CA: soonest nextUpdate about 4 days away" python3 -c '
import sys, time
v = float(sys.argv[1]); assert abs(v - time.time() - 4 * 86400) < 4000, v' \
	"$(val "$WORK/m2" "ocsp_lookupd_ca_soonest_next_update_timestamp_seconds$L")"
check "per CA: oldest thisUpdate about an hour ago (backdate)" python3 -c '
import sys, time
v = float(sys.argv[1]); assert abs(time.time() - v - 3600) < 600, v' \
	"$(val "$WORK/m2" "ocsp_lookupd_ca_oldest_this_update_timestamp_seconds$L")"
NA=$(date -d "$(openssl x509 -in "$CA/ca.pem" -noout -enddate | cut -d= -f2)" +%s)
check "per CA: signer notAfter" \
	test "$(val "$WORK/m2" "ocsp_lookupd_ca_signer_not_after_timestamp_seconds$L")" = "$NA"
check "per CA: 2 responses" test "$(val "$WORK/m2" "ocsp_lookupd_ca_responses$L")" = 2
check "healthy: 1" test "$(val "$WORK/m2" ocsp_lookupd_healthy)" = 1
check "promtool check metrics after traffic" promtool check metrics < "$WORK/m2"

log "a connection that sends nothing"
scrape "$WORK/m3"
python3 -c '
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1]))); s.close()' "$PORT"
timed_out() { scrape "$WORK/m4" && is_delta "$WORK/m3" "$WORK/m4" ocsp_lookupd_connections_timed_out_total 1; }
check "counted as timed out" wait_for 5 timed_out

log "the access log"
ALOG=$(cat "$WORK/access.log")
check "one line per request: the GETs of the good serial" test \
	"$(grep -c " GET $ISSUER $GOOD 200 successful tree " "$WORK/access.log")" = 3
check "the unknown serial: unauthorized, not found" contains "$ALOG" \
	" POST $ISSUER 7777 200 unauthorized not_found "
check "the PUT: other fields '-'" grep -qE '^[0-9TZ:-]+ 127\.0\.0\.1 PUT - - 405 - - [0-9]+$' \
	"$WORK/access.log"
check "every line has nine fields" awk 'NF != 9 { exit 1 }' "$WORK/access.log"

log "the access log after logrotate's move: SIGUSR1, then SIGHUP, reopen it"
for sig in USR1 HUP; do
	mv "$WORK/access.log" "$WORK/access.log.old"
	before=$(wc -l < "$WORK/access.log.old")
	kill -"$sig" "$LOOKUPD_PID"
	reopened() { [ -e "$WORK/access.log" ]; }
	check "SIG$sig: a new access.log" wait_for 5 reopened
	curl -s -o /dev/null "$URL/livez"
	new_line() { grep -q ' GET - - 200 - - ' "$WORK/access.log" 2>/dev/null; }
	check "SIG$sig: the next request is logged in the new file" wait_for 5 new_line
	check "SIG$sig: the moved file has no line after the move" \
		test "$(wc -l < "$WORK/access.log.old")" = "$before"
	rm -f "$WORK/access.log.old"
done

log "/healthz: a stale tree on purpose, then a publish"
check "healthy before: 200 ok" health_is 200
check "... body ok" test "$(cat "$WORK/health.b")" = ok
# thisUpdate 30 minutes back, validity 1 h: nextUpdate within stale_warning,
# and each response past stale_share (40%) of its validity.
publish "${pub_args[@]}" --validity 1h --backdate 30m --force
check "near nextUpdate: 503, stale_warning" wait_for 5 reason_is stale_warning
check "... and validity_share" reason_is validity_share
check "... /livez stays 200" test "$(fetch "$URL/livez")" = 200
check "... ocsp_lookupd_healthy 0" eval 'scrape "$WORK/m5" && test "$(val "$WORK/m5" ocsp_lookupd_healthy)" = 0'
publish "${pub_args[@]}" --force
check "after a publish: 200 again" wait_for 5 health_is 200

log "/healthz: the tree deleted, then back"
mv "$TREE" "$TREE.away"
check "tree missing: 503, tree" wait_for 5 reason_is tree
check "... the reason says so" contains "$(cat "$WORK/health.b")" "the tree is missing"
check "... tree_ok 0" eval 'scrape "$WORK/m6" && test "$(val "$WORK/m6" ocsp_lookupd_tree_ok)" = 0'
check "... /livez stays 200" test "$(fetch "$URL/livez")" = 200
mv "$TREE.away" "$TREE"
check "tree back: 200" wait_for 5 health_is 200

log "/healthz: an issuer's metadata broken"
cp "$TREE/$ISSUER/issuer.meta" "$WORK/issuer.meta"
echo "this is not metadata" > "$TREE/$ISSUER/issuer.meta"
touch "$TREE/generation"	# a change of the marker: read again now
check "broken issuer.meta: 503, issuer" wait_for 5 reason_is issuer
cp "$WORK/issuer.meta" "$TREE/$ISSUER/issuer.meta"
touch "$TREE/generation"
check "repaired: 200" wait_for 5 health_is 200

log "/healthz: no worker free"
# threads = 4: three connections that never finish their heads hold three
# workers for header_timeout, and the one asking is the fourth.
python3 -c '
import socket, sys, time
ss = [socket.create_connection(("127.0.0.1", int(sys.argv[1]))) for _ in range(3)]
for s in ss: s.send(b"GET / HTTP/1.1\r\n")
time.sleep(1.5)' "$PORT" &
HOLD=$!
PIDS+=("$HOLD")
sleep 0.5
check "every worker busy: 503, workers" reason_is workers
wait "$HOLD" || true
check "workers free again: 200" wait_for 5 health_is 200
stop_lookupd

log "/healthz: max_generation_age"
printf 'max_generation_age = 2s\n' >> "$WORK/lookupd.conf"
start_lookupd --config "$WORK/lookupd.conf"
publish "${pub_args[@]}" --force
check "just published: 200" wait_for 5 health_is 200
check "older than 2 s: 503, generation_age" wait_for 6 reason_is generation_age
publish "${pub_args[@]}" --force
check "a new generation: 200" wait_for 5 health_is 200
stop_lookupd

finish
