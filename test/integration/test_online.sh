#!/usr/bin/env bash
# ocsp-lookupd's online mode against openssl ocsp as client: nonces,
# SHA-256 CertIDs, several certificates per request, never-issued serials
# under each policy, online-only CAs, signed requests, and the fallback
# when no key is online. Run for an ECDSA and an RSA signer.
source "$(dirname "$0")/lib.sh"

# ask CA URL ARGS...: openssl ocsp against lookupd, verifying with the CA.
ask() {
	local ca=$1 url=$2
	shift 2
	openssl ocsp -issuer "$ca/ca.pem" -url "$url/" -CAfile "$ca/ca.pem" -resp_text "$@" 2>&1 || true
}

post() { curl -s -D "$WORK/h" -o "$2" -H 'Content-Type: application/ocsp-request' --data-binary "@$1" "$URL/"; }
# id-pkix-ocsp-extended-revoke (RFC 6960 4.4.8) with its NULL value, as DER.
has_extended_revoke() { has_bytes "$1" 06092b060105050730010904020500; }

run_for() {
	local kt=$1
	local CA=$WORK/$kt T=$WORK/tree-$kt
	log "$kt: a CA with a delegated responder, a tree and the key online"
	make_ca "$CA" "$kt"
	local RESP G R
	RESP=$(issue "$CA" "OCSP responder $kt" responder "$kt")
	G=$(issue "$CA" good "" "$kt")
	R=$(issue "$CA" revoked "" "$kt")
	revoke "$CA" "$R" -crl_reason keyCompromise
	"$PUBLISHER" -q --index "$CA/index.txt" --issuer "$CA/ca.pem" --signer "$CA/$RESP.pem" \
		--key "$CA/$RESP.key" --out "$T"
	start_lookupd --tree "$T" --issuer "$CA/ca.pem" --signer "$CA/$RESP.pem" --key "$CA/$RESP.key"

	local out
	out=$(ask "$CA" "$URL" -serial "0x$G")
	check "$kt: nonce answered online, verified" contains "$out" "Response verify OK"
	check "$kt: the nonce is echoed (no openssl warning)" bash -c "! grep -q 'no nonce in response' <<<'$out'"
	check "$kt: nonce answer is good" contains "$out" "0x$G: good"
	check "$kt: signed by the delegated responder" contains "$out" "OCSP responder $kt"
	ocsp_request "$CA" "$G" "$WORK/nonce.der"
	post "$WORK/nonce.der" "$WORK/nonce.resp"
	check "$kt: nonce answers are never cached by HTTP caches" grep -qi '^Cache-Control: no-store' "$WORK/h"
	check "$kt: and carry no ETag" bash -c "! grep -qi '^ETag' '$WORK/h'"

	out=$(ask "$CA" "$URL" -sha256 -serial "0x$R")
	check "$kt: SHA-256 CertID answered with a SHA-256 CertID" contains "$out" "Hash Algorithm: sha256"
	check "$kt: SHA-256 answer verifies and says revoked" contains "$out" "0x$R: revoked"
	out=$(ask "$CA" "$URL" -sha512 -no_nonce -serial "0x$G")
	check "$kt: SHA-512 CertID too" contains "$out" "Hash Algorithm: sha512"

	out=$(ask "$CA" "$URL" -serial "0x$G" -serial "0x$R" -serial 0x7777)
	check "$kt: three certificates, one signed response" contains "$out" "Response verify OK"
	check "$kt: first of three good" contains "$out" "0x$G: good"
	check "$kt: second revoked" contains "$out" "0x$R: revoked"
	check "$kt: third (never issued) unknown by default" contains "$out" "0x7777: unknown"

	out=$(ask "$CA" "$URL" -no_nonce -serial 0x7777)
	check "$kt: a serial nobody pre-signed is signed online: unknown" contains "$out" "0x7777: unknown"
	ocsp_request "$CA" 7777 "$WORK/u.der" -no_nonce
	post "$WORK/u.der" "$WORK/u1"
	local etag1
	etag1=$(grep -i '^ETag' "$WORK/h")
	check "$kt: an online answer without nonce is cacheable" grep -qi '^Cache-Control: max-age=' "$WORK/h"
	sleep 1.1
	post "$WORK/u.der" "$WORK/u2"
	check "$kt: and signed once: the same bytes a second later" cmp -s "$WORK/u1" "$WORK/u2"
	check "$kt: with the same ETag" test "$etag1" = "$(grep -i '^ETag' "$WORK/h")"

	ocsp_request_nonce "$WORK/u.der" 1 "$WORK/n1.der"
	post "$WORK/n1.der" "$WORK/n1.resp"
	# The nonce extension: its OID, then OCTET STRING { OCTET STRING { 00 } }.
	check "$kt: a 1-octet nonce is echoed" has_bytes "$WORK/n1.resp" 06092b06010505073001020403040100
	ocsp_request_nonce "$WORK/u.der" 128 "$WORK/n128.der"
	post "$WORK/n128.der" "$WORK/n128.resp"
	check "$kt: a 128-octet nonce (RFC 9654) is answered" test "$(hex "$WORK/n128.resp" | head -c 8)" != "30030a01"
	ocsp_request_nonce "$WORK/u.der" 129 "$WORK/n129.der"
	post "$WORK/n129.der" "$WORK/n129.resp"
	check "$kt: a 129-octet nonce is malformedRequest" test "$(hex "$WORK/n129.resp")" = "30030a0101"

	log "$kt: the status index of a new publish is used without restart"
	revoke "$CA" "$G" -crl_reason superseded
	"$PUBLISHER" -q --index "$CA/index.txt" --issuer "$CA/ca.pem" --signer "$CA/$RESP.pem" \
		--key "$CA/$RESP.key" --out "$T"
	check "$kt: an online (nonce) answer follows the new status within 3 s" \
		wait_for 3 bash -c "openssl ocsp -issuer '$CA/ca.pem' -url '$URL/' -CAfile '$CA/ca.pem' -serial 0x$G 2>&1 | grep -q 'Reason: superseded'"
	stop_lookupd
}

run_for ec
run_for rsa

log "never-issued serials under each policy (ECDSA CA, online only)"
CA=$WORK/ec
for policy in unknown revoked unauthorized; do
	start_lookupd --issuer "$CA/ca.pem" --signer "$CA/ca.pem" --key "$CA/ca.key" \
		--index "$CA/index.txt" --unknown "$policy"
	out=$(ask "$CA" "$URL" -serial 0x0BADBEEF)
	case $policy in
	unknown) check "policy unknown" contains "$out" "0x0BADBEEF: unknown" ;;
	revoked)
		check "policy revoked: certificateHold" contains "$out" "Reason: certificateHold"
		check "policy revoked: revocationTime 1970-01-01" contains "$out" "Revocation Time: Jan  1 00:00:00 1970 GMT"
		ocsp_request "$CA" 0BADBEEF "$WORK/x.der"
		post "$WORK/x.der" "$WORK/x.resp"
		check "policy revoked: id-pkix-ocsp-extended-revoke, NULL, in responseExtensions" has_extended_revoke "$WORK/x.resp"
		;;
	unauthorized) check "policy unauthorized" contains "$out" "Responder Error: unauthorized (6)" ;;
	esac
	check "policy $policy: never good" bash -c "! grep -q ': good' <<<'$out'"
	stop_lookupd
done

log "online only: no tree, the index file is the status, reloaded on change"
OCA=$WORK/online
make_ca "$OCA" ec
S1=$(issue "$OCA" one)
start_lookupd --issuer "$OCA/ca.pem" --signer "$OCA/ca.pem" --key "$OCA/ca.key" --index "$OCA/index.txt"
check "online only: good" contains "$(ask "$OCA" "$URL" -serial "0x$S1")" "0x$S1: good"
check "online only: the log says so" grep -q "no tree: online answers only" "$LOOKUPD_LOG"
S2=$(issue "$OCA" two)
check "online only: a certificate issued after start is known within 3 s" \
	wait_for 3 bash -c "openssl ocsp -issuer '$OCA/ca.pem' -url '$URL/' -CAfile '$OCA/ca.pem' -serial 0x$S2 2>&1 | grep -q ': good'"
revoke "$OCA" "$S1" -crl_reason cessationOfOperation
check "online only: a revocation is answered within 3 s" \
	wait_for 3 bash -c "openssl ocsp -issuer '$OCA/ca.pem' -url '$URL/' -CAfile '$OCA/ca.pem' -serial 0x$S1 2>&1 | grep -q 'cessationOfOperation'"
stop_lookupd

log "no key online: nonce requests get the pre-signed response"
T=$WORK/tree-ec
start_lookupd --tree "$T" --issuer "$CA/ca.pem"
G=$(awk -F'\t' 'NR==2 {print $4}' "$CA/index.txt")
out=$(ask "$CA" "$URL" -serial "0x$G")
check "fallback: the pre-signed response verifies" contains "$out" "Response verify OK"
check "fallback: openssl notes the missing nonce (the client decides)" contains "$out" "WARNING: no nonce in response"
check "fallback: said once in the log" test "$(grep -c 'no key online' "$LOOKUPD_LOG")" = 1
out=$(ask "$CA" "$URL" -serial "0x$G" -serial 0x7777)
check "fallback: several certificates without a key: unauthorized" contains "$out" "unauthorized (6)"
stop_lookupd

log "pre-signed SHA-256 CertIDs answer without a key"
cat > "$WORK/hashes.conf" <<CONF
tree = $WORK/tree-hashes
[ca ec]
issuer = $CA/ca.pem
signer = $CA/ca.pem
key = $CA/ca.key
index = $CA/index.txt
hashes = sha256
CONF
"$PUBLISHER" -q --config "$WORK/hashes.conf"
start_lookupd --tree "$WORK/tree-hashes"
out=$(ask "$CA" "$URL" -sha256 -no_nonce -serial "0x$G")
check "sha256 from the tree: verified" contains "$out" "Response verify OK"
check "sha256 from the tree: SHA-256 CertID" contains "$out" "Hash Algorithm: sha256"
stop_lookupd

log "signed requests: accepted, and required where configured"
REQ=$(issue "$CA" "requestor" leaf ec)
cat > "$WORK/sig.conf" <<CONF
[ca ec]
issuer = $CA/ca.pem
signer = $CA/ca.pem
key = $CA/ca.key
index = $CA/index.txt
sig_required = yes
requestors = $CA/ca.pem
CONF
start_lookupd --config "$WORK/sig.conf"
check "sig_required: unsigned request gets sigRequired" contains "$(ask "$CA" "$URL" -serial "0x$G")" "sigrequired (5)"
out=$(ask "$CA" "$URL" -serial "0x$G" -signer "$CA/$REQ.pem" -signkey "$CA/$REQ.key")
check "sig_required: a request signed by a trusted requestor is answered" contains "$out" "Response verify OK"
RCA=$WORK/rsa
OTHER=$(issue "$RCA" "stranger" leaf ec)
out=$(ask "$CA" "$URL" -serial "0x$G" -signer "$RCA/$OTHER.pem" -signkey "$RCA/$OTHER.key")
check "sig_required: a request signed by someone else is unauthorized" contains "$out" "unauthorized (6)"
stop_lookupd
start_lookupd --issuer "$CA/ca.pem" --signer "$CA/ca.pem" --key "$CA/ca.key" --index "$CA/index.txt"
out=$(ask "$CA" "$URL" -serial "0x$G" -signer "$RCA/$OTHER.pem" -signkey "$RCA/$OTHER.key")
check "without sig_required a signed request is answered, signature ignored" contains "$out" "Response verify OK"
stop_lookupd

log "--check loads the CAs as the daemon would"
set +e
out=$("$LOOKUPD" --check --issuer "$CA/ca.pem" --signer "$CA/ca.pem" --key "$RCA/ca.key" 2>&1); rc=$?
set -e
check "--check: a key of another certificate is refused" test "$rc" -eq 1
check "--check: and said so" contains "$out" "does not match the signer certificate"
check "--check: a good CA passes" quiet "$LOOKUPD" --check --issuer "$CA/ca.pem" --signer "$CA/ca.pem" \
	--key "$CA/ca.key" --index "$CA/index.txt"

finish
