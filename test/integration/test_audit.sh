#!/usr/bin/env bash
# ocsp-audit against trees the publisher made and responders that serve
# them: a clean tree and a clean lookupd audit clean (exit 0); then each
# kind of defect is made on purpose, in a copy of the tree, and must be
# found with its kind and exit status: a response signed by a key the CA
# never authorised, an expired one, one for another serial moved into
# place, a status changed in the source but not republished, a truncated
# file, a missing one, a stray one, validity under the BRs' 8 hours; over
# HTTP the same from lookupd, a lookupd that answers good for never-issued
# serials (unlisted = good), and a static origin with the wrong
# Content-Type. Responses that the publisher cannot make (expired, signed
# by an unauthorised key) are made with python3-cryptography.
source "$(dirname "$0")/lib.sh"

: "${PUBLISHER:?PUBLISHER must name ocsp-publisher}" "${LOOKUPD:?LOOKUPD must name ocsp-lookupd}"
: "${AUDIT:?AUDIT must name ocsp-audit}"
python3 -c 'import cryptography' || { echo "FAIL: python3-cryptography is not installed"; exit 1; }

publish() { "$PUBLISHER" --no-progress -q "$@"; }

# audit ARGS...: runs ocsp-audit, its output in $OUT and its status in $RC.
audit() {
	set +e
	OUT=$("$AUDIT" "$@" 2>&1)
	RC=$?
	set -e
	# A sanitizer build's report (at exit, or in a thread) fails the test.
	if grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:|WARNING: ThreadSanitizer' <<<"$OUT"; then
		fail "sanitizer report from ocsp-audit $*"
		grep -E -A20 'Sanitizer|runtime error:' <<<"$OUT" | head -40
	fi
}

# found KIND RC WHAT: the last audit said KIND (first word of a finding
# line) and exited RC.
found() {
	check "$3: finding '$1'" grep -q "^$1: " <<<"$OUT"
	check "$3: exit $2" test "$RC" -eq "$2"
	[ "$RC" -eq "$2" ] || printf '%s\n' "$OUT" | head -20
}

# no_secret: the last audit's output holds neither S3 secret.
no_secret() { ! grep -q -e wrong-secret-5678 -e "$S3_SECRET" <<<"$OUT"; }

# only KIND: every finding line of the last audit is of KIND.
only() { ! grep -E '^[a-z-]+: ca ' <<<"$OUT" | grep -qv "^$1: "; }

# forge OUT CA SERIAL SIGNER_CERT SIGNER_KEY THIS NEXT [STATUS]: a response
# for CA's certificate SERIAL (its PEM in CA/SERIAL.pem) signed by the
# given signer (its certificate included unless it is the CA), thisUpdate
# and nextUpdate THIS and NEXT seconds from now, good or revoked.
forge() {
	python3 - "$@" <<'PY'
import sys, datetime
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp
out, ca, serial, scert, skey, this, nxt = sys.argv[1:8]
status = sys.argv[8] if len(sys.argv) > 8 else "good"
load = lambda p: x509.load_pem_x509_certificate(open(p, "rb").read())
issuer, signer = load(ca + "/ca.pem"), load(scert)
cert = load("%s/%s.pem" % (ca, serial))
key = serialization.load_pem_private_key(open(skey, "rb").read(), None)
now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
st = ocsp.OCSPCertStatus.GOOD if status == "good" else ocsp.OCSPCertStatus.REVOKED
b = ocsp.OCSPResponseBuilder().add_response(
    cert=cert, issuer=issuer, algorithm=hashes.SHA1(), cert_status=st,
    this_update=now + datetime.timedelta(seconds=int(this)),
    next_update=now + datetime.timedelta(seconds=int(nxt)),
    revocation_time=now if st == ocsp.OCSPCertStatus.REVOKED else None,
    revocation_reason=None).responder_id(ocsp.OCSPResponderEncoding.HASH, signer)
if signer.subject != issuer.subject:
    b = b.certificates([signer])
open(out, "wb").write(b.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.DER))
PY
}

log "a CA with a delegated responder (SHA-1 and SHA-256, GET keys) and an RSA CA"
CA=$WORK/ec
make_ca "$CA" ec "Audit EC CA"
S1=$(issue "$CA" leaf1)
S2=$(issue "$CA" leaf2)
S3=$(issue "$CA" leaf3)
revoke "$CA" "$S2" -crl_reason keyCompromise
RESP=$(issue "$CA" "Audit OCSP responder" responder)
BAD=$(issue "$CA" "not a responder" notresponder)
issue_many "$CA" 300
RCA=$WORK/rsa
make_ca "$RCA" rsa "Audit RSA CA"
R1=$(issue "$RCA" rleaf1 leaf rsa)
T=$WORK/tree
cat > "$WORK/pub.conf" <<CONF
tree = $T
[publisher]
get_keys = yes
[ca ec]
issuer = $CA/ca.pem
index = $CA/index.txt
signer = $CA/$RESP.pem
key = $CA/$RESP.key
hashes = sha1, sha256
[ca rsa]
issuer = $RCA/ca.pem
index = $RCA/index.txt
signer = $RCA/ca.pem
key = $RCA/ca.key
CONF
publish --config "$WORK/pub.conf"
D=$T/$(issuer_dir "$CA/ca.pem")

log "a tree the publisher made audits clean"
audit --config "$WORK/pub.conf"
check "clean: exit 0" test "$RC" -eq 0
check "clean: says so" contains "$OUT" "0 findings"
n=$(( ($(wc -l < "$CA/index.txt") * 2) + $(wc -l < "$RCA/index.txt") ))
check "clean: every response checked (SHA-1 and SHA-256 of ec, SHA-1 of rsa)" \
	contains "$OUT" "$n checked, $n ok"
audit --config "$WORK/pub.conf" --json
check "--json: valid JSON with exit 0" python3 -c '
import json, sys
d = json.loads(sys.stdin.read())
sys.exit(not (d["summary"]["exit"] == 0 and d["findings"] == [] and d["summary"]["checked"] > 300))' <<<"$OUT"
audit --tree "$T" --issuer "$CA/ca.pem" --index "$CA/index.txt" --hashes sha1,sha256
check "one CA from the command line: exit 0" test "$RC" -eq 0

# defect NAME: a fresh copy of the clean tree in $W, its ec directory $WD.
defect() {
	log "defect: $1"
	W=$WORK/d-$(tr ' ' _ <<<"$1")
	cp -a "$T" "$W"
	WD=$W/$(basename "$D")
	sed "s#^tree = .*#tree = $W#" "$WORK/pub.conf" > "$W.conf"
}

defect "signed by an unauthorised key"
forge "$WD/$S1" "$CA" "$S1" "$CA/$BAD.pem" "$CA/$BAD.key" -60 86400
audit --config "$W.conf"
found signature 7 "unauthorised signer"
check "... names the CA's OCSPSigning rule" contains "$OUT" "id-kp-OCSPSigning"
check "... at the file" contains "$OUT" "serial $S1, $WD/$S1"

defect "signed by the authorised responder (control)"
forge "$WD/$S1" "$CA" "$S1" "$CA/$RESP.pem" "$CA/$RESP.key" -60 86400
audit --config "$W.conf"
check "a forged but correctly signed response is clean: exit 0" test "$RC" -eq 0

defect "expired"
forge "$WD/$S1" "$CA" "$S1" "$CA/$RESP.pem" "$CA/$RESP.key" -432000 -86400
audit --config "$W.conf"
found expired 5 "expired response"

defect "thisUpdate in the future"
forge "$WD/$S1" "$CA" "$S1" "$CA/$RESP.pem" "$CA/$RESP.key" 3600 86400
audit --config "$W.conf"
found not-yet-valid 5 "thisUpdate an hour ahead"

defect "response older than refresh + slack"
forge "$WD/$S1" "$CA" "$S1" "$CA/$RESP.pem" "$CA/$RESP.key" -345000 3600
audit --config "$W.conf"
found age 3 "four days old with a refresh of two"
check "... nothing else" only age

defect "a response for another serial moved into place"
cp "$WD/$S3" "$WD/$S1"
audit --config "$W.conf"
found certid 7 "misplaced response"
check "... names the serial it is for" contains "$OUT" "CertID is for serial $S3"

defect "a SHA-256 response moved into the SHA-1 place"
cp "$WD/sha256/$S1" "$WD/$S1"
audit --config "$W.conf"
found certid 7 "SHA-256 CertID at a SHA-1 path"

defect "truncated file"
truncate -s 200 "$WD/$S1"
audit --config "$W.conf"
found malformed 7 "truncated response"

defect "trailing bytes"
printf 'x' >> "$WD/$S1"
audit --config "$W.conf"
found malformed 7 "a byte after the response"

defect "missing file"
rm "$WD/$S3"
audit --config "$W.conf"
found missing 4 "missing response"
check "... only that" only missing

defect "a GET key holding another response"
gk=$(find "$W/get" -type f -print -quit)
rm "$gk"	# a hard link of its response file: break it
cp "$WD/$S3" "$gk"
audit --config "$W.conf"
check "changed GET key found" contains "$OUT" "the GET key holds other bytes"

defect "stray file"
cp "$WD/$S3" "$WD/7777"
audit --config "$W.conf"
found stray 4 "stray response"
check "... only that" only stray

defect "status changed in the source but not republished"
cp "$CA/index.txt" "$CA/index.orig"
revoke "$CA" "$S1" -crl_reason superseded
audit --config "$W.conf"
found status 6 "revocation not republished"
check "... says what each says" contains "$OUT" "says good, the source says revoked"
cp "$CA/index.orig" "$CA/index.txt"

defect "several at once: the worst decides"
rm "$WD/$S3"
truncate -s 10 "$WD/$S1"
audit --config "$W.conf"
check "missing (4) and malformed (7): exit 7" test "$RC" -eq 7

log "validity under the BRs' minimum: a policy flag"
VT=$WORK/tree-6h
publish --index "$RCA/index.txt" --issuer "$RCA/ca.pem" --signer "$RCA/ca.pem" \
	--key "$RCA/ca.key" --out "$VT" --validity 6h --refresh 3h --backdate 10m
audit --tree "$VT" --issuer "$RCA/ca.pem" --index "$RCA/index.txt"
check "6 hours without --cabf: exit 0" test "$RC" -eq 0
audit --tree "$VT" --issuer "$RCA/ca.pem" --index "$RCA/index.txt" --cabf
found validity 3 "6 hours with --cabf"

log "usage errors"
audit --tree "$T"
check "no CA: exit 1" test "$RC" -eq 1
audit --tree "$T" --issuer "$CA/ca.pem" --index "$CA/index.txt" --method put
check "bad --method: exit 1" test "$RC" -eq 1
audit --tree "$T" --issuer "$CA/ca.pem" --index "$WORK/no-such-index"
check "an unreadable source: exit 2" test "$RC" -eq 2
check "... unchecked" contains "$OUT" "unchecked: ca default"

log "over HTTP: lookupd serving the clean tree"
if start_lookupd --tree "$T"; then
	audit --config "$WORK/pub.conf" --url "$URL" --probes 2
	check "lookupd, GET and POST: exit 0" test "$RC" -eq 0
	[ "$RC" -eq 0 ] || printf '%s\n' "$OUT" | head
	check "... every serial asked" contains "$OUT" "$((n + 6)) checked, $((n + 6)) ok"
	cp "$CA/index.txt" "$CA/index.orig"
	revoke "$CA" "$S1" -crl_reason superseded
	audit --config "$WORK/pub.conf" --url "$URL" --probes 0
	found status 6 "over HTTP: revocation not republished"
	check "... by GET and by POST" test "$(grep -c "^status: ca ec, serial $S1, \(GET\|POST\) " <<<"$OUT")" -ge 4
	cp "$CA/index.orig" "$CA/index.txt"
	stop_lookupd
fi
defect "over HTTP: unauthorised signer and missing response"
forge "$WD/$S1" "$CA" "$S1" "$CA/$BAD.pem" "$CA/$BAD.key" -60 86400
rm "$WD/$S3" "$WD/sha256/$S3"
if start_lookupd --tree "$W"; then
	audit --config "$W.conf" --url "$URL" --probes 0
	found signature 7 "over HTTP: unauthorised signer"
	check "... the missing one is not answered successfully" \
		grep -q "^status: ca ec, serial $S3, .*responseStatus" <<<"$OUT"
	stop_lookupd
fi

log "over HTTP: a lookupd that answers good for serials never issued"
echo 01 > "$CA/crlnumber"
sed -i "s#^serial = .*#&\ncrlnumber = $CA/crlnumber#" "$CA/ca.cnf"
openssl ca -config "$CA/ca.cnf" -gencrl -crldays 3 -out "$CA/ca.crl" 2>/dev/null
cat > "$WORK/unlisted.conf" <<CONF
[ca default]
issuer = $CA/ca.pem
signer = $CA/ca.pem
key = $CA/ca.key
crl = $CA/ca.crl
unlisted = good
CONF
if start_lookupd --config "$WORK/unlisted.conf"; then
	audit --url "$URL" --issuer "$CA/ca.pem" --crl "$CA/ca.crl" --issued "$CA/certs" --probes 3
	found never-issued-good 6 "unlisted = good"
	check "... each probe, by GET and POST" test "$(grep -c '^never-issued-good: ' <<<"$OUT")" -eq 6
	stop_lookupd
fi
if start_lookupd --issuer "$CA/ca.pem" --signer "$CA/ca.pem" --key "$CA/ca.key" \
	--crl "$CA/ca.crl" --issued "$CA/certs"; then
	audit --url "$URL" --issuer "$CA/ca.pem" --crl "$CA/ca.crl" --issued "$CA/certs" --probes 3
	check "lookupd with the issued list, answering online: exit 0" test "$RC" -eq 0
	[ "$RC" -eq 0 ] || printf '%s\n' "$OUT" | head
	stop_lookupd
fi

log "over HTTP: a static origin (nginx serving get/) with the wrong Content-Type"
NG=$WORK/nginx
start_nginx "$NG" <<NGINX
    default_type application/octet-stream;
    types { }
    server { listen 127.0.0.1:\$NGINX_PORT; root $T/get; }
NGINX
audit --url "http://127.0.0.1:$NGINX_PORT" --issuer "$RCA/ca.pem" --index "$RCA/index.txt" \
	--method get --probes 0
found http 3 "Content-Type application/octet-stream"
check "... names it" contains "$OUT" "Content-Type 'application/octet-stream'"

log "the WebDAV origin the publisher uploads to (nginx)"
DV=$WORK/dav
start_dav "$DV"
publish --config "$WORK/pub.conf" --upload "$DAV_URL"
audit --config "$WORK/pub.conf" --store "$DAV_URL"
check "WebDAV origin as uploaded: exit 0" test "$RC" -eq 0
[ "$RC" -eq 0 ] || printf '%s\n' "$OUT" | head
check "... every object checked" contains "$OUT" "$n checked, $n ok"
forge "$DAV_ROOT/$(basename "$D")/$S1" "$CA" "$S1" "$CA/$BAD.pem" "$CA/$BAD.key" -60 86400
rm "$DAV_ROOT/$(basename "$D")/$S3"
audit --config "$WORK/pub.conf" --store "$DAV_URL"
found signature 7 "WebDAV: an object signed by an unauthorised key"
check "WebDAV: the deleted object is missing" grep -q "^missing: ca ec, serial $S3, $DAV_URL/" <<<"$OUT"

log "the S3 bucket the publisher uploads to (@20minutes/s3rver, which checks SigV4)"
# shellcheck source=s3.sh
. "$(dirname "$0")/s3.sh"
start_s3
S3=(--s3-endpoint "http://127.0.0.1:$S3PORT")
export AWS_ACCESS_KEY_ID=$S3_KEY AWS_SECRET_ACCESS_KEY=$S3_SECRET
publish --config "$WORK/pub.conf" --upload "s3://$BUCKET/ocsp" "${S3[@]}"
audit --config "$WORK/pub.conf" --store "s3://$BUCKET/ocsp" "${S3[@]}"
check "S3 bucket as uploaded: exit 0" test "$RC" -eq 0
[ "$RC" -eq 0 ] || printf '%s\n' "$OUT" | head
check "... every object checked" contains "$OUT" "$n checked, $n ok"
# A stray object: what a certificate gone from the index leaves if
# nothing deletes it (signed PUT with curl).
curl -fs -o /dev/null --aws-sigv4 "aws:amz:us-east-1:s3" --user "$S3_KEY:$S3_SECRET" \
	-H "x-amz-content-sha256: $(sha256sum < "$D/$S1" | cut -c1-64)" \
	-T "$D/$S1" "http://127.0.0.1:$S3PORT/$BUCKET/ocsp/$(basename "$D")/ABCDEF01"
audit --config "$WORK/pub.conf" --store "s3://$BUCKET/ocsp" "${S3[@]}"
found stray 4 "S3: a stray object found by listing"
check "... named" grep -q "^stray: ca ec, serial ABCDEF01, " <<<"$OUT"
AWS_SECRET_ACCESS_KEY=wrong-secret-5678 audit --config "$WORK/pub.conf" \
	--store "s3://$BUCKET/ocsp" "${S3[@]}"
check "S3 with a wrong secret: refused (403), not clean" test "$RC" -ne 0
check "... says so" contains "$OUT" "HTTP status 403"
check "... and no secret is in the output" no_secret

finish
