#!/usr/bin/env bash
# Signers as operators run them, checked with openssl ocsp against the CA:
# a rollover between two delegated responders (publisher and lookupd), both
# expired, one key serving two CAs, refused signers (no OCSPSigning, wrong
# key, a key file others may read), encrypted PEM keys with the passphrase
# from a file and from the environment, and keys on a SoftHSM2 token made
# here (RSA and EC, PSS, a wrong PIN, online nonce answers by the HSM key).
source "$(dirname "$0")/lib.sh"

SOFTHSM_MODULE=${SOFTHSM_MODULE:-/usr/lib/softhsm/libsofthsm2.so}

publish() { "$PUBLISHER" --no-progress "$@"; }

# verify_file CA TREE SERIAL: openssl's verdict on one pre-signed response.
verify_file() {
	openssl ocsp -respin "$2/$(issuer_dir "$1/ca.pem")/$3" -issuer "$1/ca.pem" \
		-serial "0x$3" -CAfile "$1/ca.pem" -resp_text 2>&1 || true
}

# ask CA URL ARGS...: openssl ocsp against lookupd, verifying with the CA.
ask() {
	local ca=$1 url=$2
	shift 2
	openssl ocsp -issuer "$ca/ca.pem" -url "$url/" -CAfile "$ca/ca.pem" -resp_text "$@" 2>&1 || true
}

# key_id CERT: the SHA-1 of the certificate's key bits, upper case, as
# openssl prints a byKey ResponderID.
key_id() {
	openssl x509 -in "$1" -noout -pubkey | openssl pkey -pubin -outform DER | der_py '
import hashlib
_, key = parts(sys.stdin.buffer.read())
_, s, e = tlv(key, 0)
print(hashlib.sha1(key[s + 1:e]).hexdigest().upper())'
}

# responder_ids DIR: "count keyhash" for the byKey ResponderIDs of every
# response file in DIR (one issuer directory, SHA-1 files).
responder_ids() {
	der_py '
import os, collections
d = sys.argv[1]
n = collections.Counter()
for f in os.listdir(d):
    p = os.path.join(d, f)
    if not os.path.isfile(p) or "." in f:
        continue
    resp = open(p, "rb").read()
    body = parts(resp)[1]                        # [0] responseBytes
    octets = parts(parts(body)[0])[1]            # SEQUENCE { oid, OCTET STRING }
    _, s, e = tlv(octets, 0)
    basic = octets[s:e]
    tbs = parts(basic)[0]
    rid = [p for p in parts(tbs) if p[0] in (0xa1, 0xa2)][0]
    if rid[0] == 0xa2:
        _, s, e = tlv(rid, 0)
        _, s2, e2 = tlv(rid, s)
        n[rid[s2:e2].hex().upper()] += 1
    else:
        n["byName"] += 1
for k, v in sorted(n.items()):
    print(v, k)' "$1"
}

# responder DIR NAME [EXT] [KEYTYPE] [openssl ca args]: a responder
# certificate from DIR's CA; prints its base path (DIR/SERIAL).
responder() {
	local dir=$1 cn=$2 ext=${3:-responder} kt=${4:-ec}
	shift 4 2>/dev/null || shift $#
	echo "$dir/$(issue "$dir" "$cn" "$ext" "$kt" "$@")"
}

# utc SECONDS-FROM-NOW: the time as openssl ca's -startdate/-enddate take it.
utc() { date -u -d "@$(($(date +%s) + $1))" +%Y%m%d%H%M%SZ; }

# ---------------------------------------------------------------------------
log "rollover: the newer signer takes over at its notBefore, the older one's responses re-signed spread"
CA=$WORK/roll
make_ca "$CA" ec
for i in 1 2 3; do issue "$CA" "leaf$i" > /dev/null; done
issue_many "$CA" 200
LEAF=$(awk -F'\t' 'NR==1 {print $4}' "$CA/index.txt")
# The older one expires soon, so the spread is half of what it has left.
OLD=$(responder "$CA" "old responder" responder ec -startdate "$(utc -86400)" -enddate "$(utc 60)")
NEW_AT=$(($(date +%s) + 12))
NEW=$(responder "$CA" "new responder" responder ec -startdate "$(utc 12)" -enddate "$(utc 86400)")
OLD_ID=$(key_id "$OLD.pem")
NEW_ID=$(key_id "$NEW.pem")
T=$WORK/tree-roll
ROLL=(--index "$CA/index.txt" --issuer "$CA/ca.pem" --signer "$OLD.pem" --key "$OLD.key"
	--signer "$NEW.pem" --key "$NEW.key" --validity 2h --refresh 1h --backdate 5m --out "$T")
out=$(publish "${ROLL[@]}" 2>&1) || true
check "the one not valid yet is skipped, named" contains "$out" "$NEW.pem: the signer certificate CN=new responder is not valid yet"
check "the expiring one is warned about" contains "$out" "expires at"
check "the summary names the chosen signer" contains "$out" "signer $OLD.pem"
r=$(verify_file "$CA" "$T" "$LEAF")
check "signed by the older one, verifies" contains "$r" "Response verify OK"
check "its ResponderID" contains "$r" "Responder Id: $OLD_ID"
META=$T/$(issuer_dir "$CA/ca.pem")/issuer.meta
check "issuer.meta names it" grep -q "^signer_subject = CN=old responder" "$META"

# lookupd with both, signing nonces: switches without a restart.
cat > "$WORK/roll.conf" <<EOF
[lookupd]
reload_interval = 1s
[ca roll]
issuer = $CA/ca.pem
index = $CA/index.txt
signer = $OLD.pem
key = $OLD.key
signer = $NEW.pem
key = $NEW.key
validity = 2h
EOF
start_lookupd --config "$WORK/roll.conf"
out=$(ask "$CA" "$URL" -serial "0x$LEAF")
check "lookupd: a nonce answer by the older signer" contains "$out" "Responder Id: $OLD_ID"
check "lookupd: it verifies" contains "$out" "Response verify OK"

while [ "$(date +%s)" -le "$NEW_AT" ]; do sleep 0.2; done
online_new() { ask "$CA" "$URL" -serial "0x$LEAF" | grep -q "Responder Id: $NEW_ID"; }
check "lookupd: the newer signer answers from its notBefore on" wait_for 5 online_new
check "lookupd: says so" grep -q "now signing online with $NEW.pem (CN=new responder), a rollover" "$LOOKUPD_LOG"
out=$(ask "$CA" "$URL" -serial "0x$LEAF")
check "lookupd: the newer one's answer verifies" contains "$out" "Response verify OK"
stop_lookupd

out=$(publish "${ROLL[@]}" 2>&1) || true
check "publisher: the newer one now" contains "$out" "signer $NEW.pem"
check "publisher: re-signing spread" contains "$out" "new signer: re-signing spread"
check "issuer.meta: the newer one, since when, and the older one's last thisUpdate" \
	bash -c "grep -q '^signer_subject = CN=new responder' '$META' && grep -q '^signer_since = ' '$META' &&
		grep -q '^previous_signer_until = ' '$META'"
DIR=$T/$(issuer_dir "$CA/ca.pem")
N=$(wc -l < "$CA/index.txt")	# the leaves and the two responders
first=$(responder_ids "$DIR" | awk -v id="$NEW_ID" '$2 == id {print $1}')
first=${first:-0}
check "not everything at once: $first of $N re-signed at the rollover" test "$first" -lt $((N * 3 / 4))
sleep 10
publish "${ROLL[@]}" > /dev/null 2>&1 || true
mid=$(responder_ids "$DIR" | awk -v id="$NEW_ID" '$2 == id {print $1}')
check "more as the spread goes on: ${mid:-0}" test "${mid:-0}" -gt "$first"
sleep 18
publish "${ROLL[@]}" > /dev/null 2>&1 || true
ids=$(responder_ids "$DIR")
check "all re-signed by the newer one before the older expires: $ids" test "$ids" = "$N $NEW_ID"
out=$(publish "${ROLL[@]}" 2>&1) || true
check "and then nothing is due" contains "$out" "0 signed, $N unchanged"
r=$(verify_file "$CA" "$T" "$LEAF")
check "a re-signed response verifies" contains "$r" "Response verify OK"

# ---------------------------------------------------------------------------
log "both signers expired: that CA fails with the reason, the other publishes"
CB=$WORK/expired
make_ca "$CB" ec
LB=$(issue "$CB" leaf)
E1=$(responder "$CB" "expired 1" responder ec -startdate "$(utc -864000)" -enddate "$(utc -86400)")
E2=$(responder "$CB" "expired 2" responder ec -startdate "$(utc -86400)" -enddate "$(utc -60)")
CG=$WORK/good
make_ca "$CG" rsa
LG=$(issue "$CG" leaf "" rsa)
G1=$(responder "$CG" "good responder" responder rsa)
cat > "$WORK/two.conf" <<EOF
tree = $WORK/tree-two
[ca expired]
issuer = $CB/ca.pem
index = $CB/index.txt
signer = $E1.pem
key = $E1.key
signer = $E2.pem
key = $E2.key
[ca good]
issuer = $CG/ca.pem
index = $CG/index.txt
signer = $G1.pem
key = $G1.key
EOF
rc=0
out=$(publish --config "$WORK/two.conf" 2>&1) || rc=$?
check "exit status 2 (a CA's input was bad)" test "$rc" -eq 2
check "names the CA and why" contains "$out" "ca expired: no usable signer"
check "names each skipped signer" contains "$out" "$E1.pem: the signer certificate CN=expired 1 has expired"
check "the other CA is published" contains "$(verify_file "$CG" "$WORK/tree-two" "$LG")" "Response verify OK"
check "nothing written for the expired one" test ! -e "$WORK/tree-two/$(issuer_dir "$CB/ca.pem")/$LB"

# ---------------------------------------------------------------------------
log "one key serving two CAs: a certificate from each in one file"
C1=$WORK/shared1
C2=$WORK/shared2
make_ca "$C1" ec "Shared CA one"
make_ca "$C2" rsa "Shared CA two"
L1=$(issue "$C1" leaf)
L2=$(issue "$C2" leaf "" rsa)
openssl genpkey -algorithm ec -pkeyopt ec_paramgen_curve:P-256 -out "$WORK/shared.key" 2>/dev/null
for c in "$C1" "$C2"; do
	openssl req -new -key "$WORK/shared.key" -subj "/CN=shared responder" -out "$WORK/shared.csr"
	openssl ca -batch -config "$c/ca.cnf" -extensions responder -in "$WORK/shared.csr" \
		-out "$c/shared.pem" -notext 2>/dev/null
done
cat "$C1/shared.pem" "$C2/shared.pem" > "$WORK/shared-bundle.pem"
cat > "$WORK/shared.conf" <<EOF
tree = $WORK/tree-shared
[signer shared]
certificate = $WORK/shared-bundle.pem
key = $WORK/shared.key
[ca one]
issuer = $C1/ca.pem
index = $C1/index.txt
signers = shared
[ca two]
issuer = $C2/ca.pem
index = $C2/index.txt
signers = shared
EOF
out=$(publish --config "$WORK/shared.conf" 2>&1) || true
check "both CAs published (a leaf and the responder each)" contains "$out" "4 signed, 0 unchanged, 0 removed, 0 errors, 0 CAs skipped"
r1=$(verify_file "$C1" "$WORK/tree-shared" "$L1")
r2=$(verify_file "$C2" "$WORK/tree-shared" "$L2")
check "CA one's response verifies against CA one" contains "$r1" "Response verify OK"
check "CA two's response verifies against CA two" contains "$r2" "Response verify OK"
check "same key for both" test "$(sed -n 's/^ *Responder Id: //p' <<<"$r1")" = "$(sed -n 's/^ *Responder Id: //p' <<<"$r2")"
check "issuer.meta names the signer" grep -q "^signer_name = shared" \
	"$WORK/tree-shared/$(issuer_dir "$C2/ca.pem")/issuer.meta"
start_lookupd --config "$WORK/shared.conf"
check "lookupd: loaded once for both" test "$(grep -c 'shared-bundle.pem' "$LOOKUPD_LOG")" -ge 2
check "lookupd: CA two's nonce answer verifies" contains "$(ask "$C2" "$URL" -serial "0x$L2")" "Response verify OK"
check "lookupd: CA one's too" contains "$(ask "$C1" "$URL" -serial "0x$L1")" "Response verify OK"
stop_lookupd

# ---------------------------------------------------------------------------
log "refused signers"
CR=$WORK/refuse
make_ca "$CR" ec
LR=$(issue "$CR" leaf)
NOSIGN=$(responder "$CR" "server only" notresponder)
ONE=(--index "$CR/index.txt" --issuer "$CR/ca.pem" --out "$WORK/tree-refuse")
rc=0; out=$(publish "${ONE[@]}" --signer "$NOSIGN.pem" --key "$NOSIGN.key" 2>&1) || rc=$?
check "no OCSPSigning: refused, exit 2" test "$rc" -eq 2
check "no OCSPSigning: says so" contains "$out" "lacks the id-kp-OCSPSigning"
GOOD=$(responder "$CR" "refuse responder")
rc=0; out=$(publish "${ONE[@]}" --signer "$GOOD.pem" --key "$NOSIGN.key" 2>&1) || rc=$?
check "wrong key: refused" test "$rc" -ne 0
check "wrong key: names it" contains "$out" "$NOSIGN.key: the key does not match the signer certificate $GOOD.pem"
chmod 640 "$GOOD.key"
rc=0; out=$(publish "${ONE[@]}" --signer "$GOOD.pem" --key "$GOOD.key" 2>&1) || rc=$?
check "group-readable key: refused" test "$rc" -ne 0
check "group-readable key: says how to fix it" contains "$out" "$GOOD.key: group or others may read this private key (mode 0640)"
check "nothing signed by a refused signer" test ! -e "$WORK/tree-refuse/$(issuer_dir "$CR/ca.pem")/$LR"
printf '[ca x]\nissuer = %s\nindex = %s\nsigner = %s\nkey = %s\nallow_readable_key = yes\n' \
	"$CR/ca.pem" "$CR/index.txt" "$GOOD.pem" "$GOOD.key" > "$WORK/readable.conf"
out=$(publish --config "$WORK/readable.conf" --out "$WORK/tree-refuse" 2>&1) || true
check "allow_readable_key = yes accepts it" contains "$out" "3 signed"
chmod 600 "$GOOD.key"

# ---------------------------------------------------------------------------
log "encrypted PEM keys: passphrase from a file and from the environment"
PASS='correct horse battery staple'
openssl pkey -in "$GOOD.key" -aes-256-cbc -passout "pass:$PASS" -out "$WORK/enc.key"
openssl ec -in "$GOOD.key" -aes256 -passout "pass:$PASS" -out "$WORK/enc-trad.key" 2>/dev/null
chmod 600 "$WORK/enc.key" "$WORK/enc-trad.key"
printf '%s\n' "$PASS" > "$WORK/pass"
chmod 600 "$WORK/pass"
rc=0; out=$(publish "${ONE[@]}" --signer "$GOOD.pem" --key "$WORK/enc.key" 2>&1) || rc=$?
check "no passphrase: refused, says how to give one" contains "$out" "the key is encrypted; give its passphrase with key_passphrase_file"
out=$(publish "${ONE[@]}" --force --signer "$GOOD.pem" --key "$WORK/enc.key" --key-passphrase-file "$WORK/pass" 2>&1) || true
check "PKCS#8, passphrase file" contains "$out" "3 signed"
out=$(publish "${ONE[@]}" --force --signer "$GOOD.pem" --key "$WORK/enc-trad.key" --key-passphrase-file "$WORK/pass" 2>&1) || true
check "traditional, passphrase file" contains "$out" "3 signed"
check "its response verifies" contains "$(verify_file "$CR" "$WORK/tree-refuse" "$LR")" "Response verify OK"
printf 'not-the-pass-xyzzy\n' > "$WORK/badpass"
chmod 600 "$WORK/badpass"
rc=0; out=$(publish "${ONE[@]}" --signer "$GOOD.pem" --key "$WORK/enc.key" --key-passphrase-file "$WORK/badpass" 2>&1) || rc=$?
check "wrong passphrase: refused" contains "$out" "cannot decrypt the key (wrong passphrase?)"
check "the passphrase is never printed" bash -c "! grep -q xyzzy <<<'$out'"
cat > "$WORK/env.conf" <<EOF
[lookupd]
reload_interval = 1s
[ca env]
issuer = $CR/ca.pem
index = $CR/index.txt
signer = $GOOD.pem
key = $WORK/enc.key
key_passphrase_env = OCSP_TEST_PASSPHRASE
EOF
out=$(OCSP_TEST_PASSPHRASE=$PASS publish --config "$WORK/env.conf" --out "$WORK/tree-env" 2>&1) || true
check "publisher: passphrase from the environment" contains "$out" "3 signed"
OCSP_TEST_PASSPHRASE=$PASS start_lookupd --config "$WORK/env.conf"
check "lookupd: a nonce answer with the encrypted key" contains "$(ask "$CR" "$URL" -serial "0x$LR")" "Response verify OK"
check "lookupd: the passphrase is gone from its environment" \
	bash -c "! tr '\0' '\n' < /proc/$LOOKUPD_PID/environ | grep -q 'battery'"
check "lookupd: and never logged" bash -c "! grep -q battery '$LOOKUPD_LOG'"
stop_lookupd

# ---------------------------------------------------------------------------
log "keys on a SoftHSM2 token"
export SOFTHSM2_CONF=$WORK/softhsm2.conf
mkdir -p "$WORK/tokens"
printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' \
	"$WORK/tokens" > "$SOFTHSM2_CONF"
softhsm2-util --init-token --free --label ocsp --pin 1234 --so-pin 5678 > /dev/null
P11=(pkcs11-tool --module "$SOFTHSM_MODULE" --token-label ocsp --login --pin 1234)
"${P11[@]}" --keypairgen --key-type rsa:2048 --label rsa-signer --id 01 > /dev/null
"${P11[@]}" --keypairgen --key-type EC:prime256v1 --label ec-signer --id 02 > /dev/null
printf '1234\n' > "$WORK/pin"
printf '9999\n' > "$WORK/badpin"
chmod 600 "$WORK/pin" "$WORK/badpin"

CH=$WORK/hsm
make_ca "$CH" rsa "HSM CA"
LH=$(issue "$CH" leaf "" rsa)
RH=$(issue "$CH" revoked "" rsa)
revoke "$CH" "$RH" -crl_reason keyCompromise
openssl genpkey -algorithm ec -pkeyopt ec_paramgen_curve:P-256 -out "$WORK/throwaway.key" 2>/dev/null
openssl req -new -key "$WORK/throwaway.key" -subj "/CN=throwaway" -out "$WORK/throwaway.csr"
# hsm_cert LABEL ID: a responder certificate from the HSM CA for the
# token key's public half.
hsm_cert() {
	"${P11[@]}" --read-object --type pubkey --id "$2" -o "$WORK/$1.pub.der" > /dev/null
	openssl pkey -pubin -inform DER -in "$WORK/$1.pub.der" -out "$WORK/$1.pub.pem"
	openssl x509 -req -in "$WORK/throwaway.csr" -CA "$CH/ca.pem" -CAkey "$CH/ca.key" \
		-force_pubkey "$WORK/$1.pub.pem" -subj "/CN=$1" -days 30 -set_serial "0x$2$2" \
		-extfile "$CH/ca.cnf" -extensions responder -out "$WORK/$1.pem" 2>/dev/null
}
hsm_cert rsa-signer 01
hsm_cert ec-signer 02

for kt in rsa ec; do
	TH=$WORK/tree-hsm-$kt
	out=$(publish --index "$CH/index.txt" --issuer "$CH/ca.pem" --signer "$WORK/$kt-signer.pem" \
		--key "pkcs11:token=ocsp;object=$kt-signer;type=private" --pin-file "$WORK/pin" \
		--pkcs11-module "$SOFTHSM_MODULE" --out "$TH" 2>&1) || true
	check "$kt on the token: published" contains "$out" "2 signed, 0 unchanged"
	check "$kt on the token: the summary says PKCS#11" contains "$out" "PKCS#11"
	r=$(verify_file "$CH" "$TH" "$LH")
	check "$kt on the token: good response verifies" contains "$r" "Response verify OK"
	check "$kt on the token: good" contains "$r" "0x$LH: good"
	r=$(verify_file "$CH" "$TH" "$RH")
	check "$kt on the token: revoked response verifies" contains "$r" "0x$RH: revoked"
done
r=$(verify_file "$CH" "$WORK/tree-hsm-ec" "$LH")
check "EC token key: ecdsa-with-SHA256" contains "$r" "Signature Algorithm: ecdsa-with-SHA256"

cat > "$WORK/hsm.conf" <<EOF
pkcs11_module = $SOFTHSM_MODULE
tree = $WORK/tree-hsm-pss
[lookupd]
reload_interval = 1s
[signer hsm-rsa]
certificate = $WORK/rsa-signer.pem
key = pkcs11:token=ocsp;id=%01;type=private
pin_file = $WORK/pin
rsa_padding = pss
responder_id = name
max_sign_rate = 50
[ca hsm]
issuer = $CH/ca.pem
index = $CH/index.txt
signers = hsm-rsa
EOF
issue_many "$CH" 100
out=$(publish --config "$WORK/hsm.conf" 2>&1) || true
check "PSS by the token, by id, byName: published" contains "$out" "102 signed"
check "max_sign_rate held the run back, and the summary says so" contains "$out" "max_sign_rate = 50 made signing threads wait"
r=$(verify_file "$CH" "$WORK/tree-hsm-pss" "$LH")
check "PSS response verifies" contains "$r" "Response verify OK"
check "RSASSA-PSS" contains "$r" "Signature Algorithm: rsassaPss"
check "ResponderID byName" contains "$r" "Responder Id: CN = rsa-signer"

start_lookupd --config "$WORK/hsm.conf"
out=$(ask "$CH" "$URL" -serial "0x$LH")
check "lookupd: a nonce answer signed by the token key verifies" contains "$out" "Response verify OK"
check "lookupd: with the nonce echoed" bash -c "grep -q 'Response verify OK' <<<'$out' && ! grep -q 'no nonce in response' <<<'$out'"
check "lookupd: by the token key" contains "$out" "Responder Id: CN = rsa-signer"
check "lookupd: the log says PKCS#11" grep -q "PKCS#11" "$LOOKUPD_LOG"
check "lookupd: the PIN is never logged" bash -c "! grep -q 1234 '$LOOKUPD_LOG'"
stop_lookupd

log "a wrong PIN, a missing token"
sed "s#pin_file = .*#pin_file = $WORK/badpin#" "$WORK/hsm.conf" > "$WORK/badpin.conf"
rc=0; out=$(publish --config "$WORK/badpin.conf" --force 2>&1) || rc=$?
check "publisher: wrong PIN stops that CA (exit 2)" test "$rc" -eq 2
check "publisher: says wrong PIN" contains "$out" "wrong PIN"
check "publisher: never prints it" bash -c "! grep -q 9999 <<<'$out'"
start_lookupd --config "$WORK/badpin.conf"
check "lookupd: wrong PIN is logged for the CA" grep -q "wrong PIN" "$LOOKUPD_LOG"
check "lookupd: which then answers from the tree only" grep -q "answering it from the tree only" "$LOOKUPD_LOG"
out=$(ask "$CH" "$URL" -no_nonce -serial "0x$LH")
check "lookupd: and still answers pre-signed responses" contains "$out" "Response verify OK"
stop_lookupd
sed "s#token=ocsp#token=nosuch#" "$WORK/hsm.conf" > "$WORK/notoken.conf"
rc=0; out=$(publish --config "$WORK/notoken.conf" 2>&1) || rc=$?
check "a token that is not there: that CA stops, named" test "$rc" -eq 2
check "a token that is not there: says which" contains "$out" "nosuch"
out=$(publish --index "$CH/index.txt" --issuer "$CH/ca.pem" --signer "$WORK/ec-signer.pem" \
	--key "pkcs11:token=ocsp;object=ec-signer;type=private?pin-value=1234" \
	--pkcs11-module "$SOFTHSM_MODULE" --out "$WORK/tree-pinvalue" 2>&1) || true
check "pin-value in the URI: accepted" contains "$out" "102 signed"
check "pin-value in the URI: warned about" contains "$out" "pin-value"

log "a token that disappears under lookupd"
start_lookupd --config "$WORK/hsm.conf"
check "lookupd: signing with the token first" contains "$(ask "$CH" "$URL" -serial "0x$LH")" "Responder Id: CN = rsa-signer"
softhsm2-util --delete-token --token ocsp > /dev/null
out=$(ask "$CH" "$URL" -serial "0x$LH")
check "lookupd: then a nonce request gets the pre-signed response" contains "$out" "WARNING: no nonce in response"
check "lookupd: which verifies" contains "$out" "Response verify OK"
out=$(ask "$CH" "$URL" -serial "0x$LH" -serial "0x$RH")
check "lookupd: what the tree cannot answer is tryLater" contains "$out" "trylater"
check "lookupd: the log says why and what it does" \
	grep -q "ca hsm: online signing failed: .*; answering from the tree while it fails" "$LOOKUPD_LOG"
check "lookupd: still healthy" curl -fs -o /dev/null "$URL/healthz"
stop_lookupd

finish
