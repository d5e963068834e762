#!/usr/bin/env bash
# ocsp-publisher against CAs made by the openssl CLI: what it signs, how
# incremental runs behave, how bad input is refused, and that a killed run
# never leaves a torn response.
source "$(dirname "$0")/lib.sh"

# status_of TREE CA SERIAL: openssl's verdict on one response file.
status_of() {
	local dir
	dir=$(issuer_dir "$2/ca.pem")
	openssl ocsp -respin "$1/$dir/$3" -issuer "$2/ca.pem" -serial "0x$3" \
		-CAfile "$2/ca.pem" -resp_text 2>&1
}

publish() { "$PUBLISHER" --no-progress "$@"; }
single() { publish --index "$1/index.txt" --issuer "$1/ca.pem" --signer "${2:-$1/ca.pem}" \
	--key "${3:-$1/ca.key}" --out "$4" "${@:5}"; }
tree_sum() { (cd "$1" && find . -type f ! -name .lock -print0 | sort -z | xargs -0 sha1sum) | sha1sum; }

log "EC CA signing for itself: good, revoked with reason, on hold"
CA=$WORK/ec
make_ca "$CA" ec
S1=$(issue "$CA" leaf1)
S2=$(issue "$CA" leaf2)
S3=$(issue "$CA" leaf3)
revoke "$CA" "$S2" -crl_reason keyCompromise
revoke "$CA" "$S3" -crl_reason certificateHold -crl_hold holdInstructionReject
T=$WORK/tree
out=$(single "$CA" "" "" "$T")
check "first run signs all three" contains "$out" "3 signed, 0 unchanged, 0 removed, 0 errors"
r=$(status_of "$T" "$CA" "$S1")
check "good response verifies against the CA" contains "$r" "Response verify OK"
check "good status" contains "$r" "0x$S1: good"
check "no certificates when the CA signs" bash -c "! grep -q 'Certificate:' <<<'$r'"
check "responder id by key" contains "$r" "Responder Id: $(issuer_dir "$CA/ca.pem" | tr a-f A-F)"
r=$(status_of "$T" "$CA" "$S2")
check "revoked status" contains "$r" "0x$S2: revoked"
check "revocation reason" contains "$r" "Reason: keyCompromise"
rev_index=$(index_revoked_at "$CA" "$S2")
rev_resp=$(date -d "$(sed -n 's/^ *Revocation Time: //p' <<<"$r" | head -1)" +%s)
check "revocation time from the index" test "$rev_index" = "$rev_resp"
tu_rev=$(date -d "$(sed -n 's/^ *This Update: //p' <<<"$r" | head -1)" +%s)
check "thisUpdate of a fresh revocation is not backdated before it" test "$tu_rev" -ge "$rev_resp"
r=$(status_of "$T" "$CA" "$S3")
check "certificateHold with its instruction" contains "$r" "Hold Instruction Reject"

tu=$(openssl ocsp -respin "$T/$(issuer_dir "$CA/ca.pem")/$S1" -resp_text -noverify 2>/dev/null | awk -F': ' '/This Update/{print $2; exit}')
nu=$(openssl ocsp -respin "$T/$(issuer_dir "$CA/ca.pem")/$S1" -resp_text -noverify 2>/dev/null | awk -F': ' '/Next Update/{print $2; exit}')
span=$(( $(date -d "$nu" +%s) - $(date -d "$tu" +%s) ))
check "nextUpdate = thisUpdate + 4 days" test "$span" -eq 345600
back=$(( $(date +%s) - $(date -d "$tu" +%s) ))
check "thisUpdate backdated by about an hour" test "$back" -ge 3590 -a "$back" -le 3700

log "incremental runs"
out=$(single "$CA" "" "" "$T")
check "unchanged index signs nothing" contains "$out" "0 signed, 3 unchanged, 0 removed"
revoke "$CA" "$S1" -crl_reason superseded
out=$(single "$CA" "" "" "$T")
check "a revocation re-signs one response" contains "$out" "1 signed, 2 unchanged, 0 removed"
check "and the file now says revoked" contains "$(status_of "$T" "$CA" "$S1")" "Reason: superseded"
grep -v "	$S3	" "$CA/index.txt" > "$WORK/idx" && cp "$WORK/idx" "$CA/index.txt"
out=$(single "$CA" "" "" "$T")
check "a certificate gone from the index is removed" contains "$out" "0 signed, 2 unchanged, 1 removed"
check "its file is gone" test ! -e "$T/$(issuer_dir "$CA/ca.pem")/$S3"
out=$(single "$CA" "" "" "$T" --validity 12h)
check "a new validity re-signs everything" contains "$out" "2 signed, 0 unchanged"
check "--validity with a unit" grep -q "^validity = 43200$" "$T/$(issuer_dir "$CA/ca.pem")/issuer.meta"
check "generation marker counts runs" grep -q "^generation = 5$" "$T/generation"

log "RSA CA with a delegated ECDSA responder; Ed25519 CA"
RCA=$WORK/rsa
make_ca "$RCA" rsa
R1=$(issue "$RCA" leaf1 leaf rsa)
RESP=$(issue "$RCA" "Test OCSP responder" responder ec)
T2=$WORK/tree2
out=$(single "$RCA" "$RCA/$RESP.pem" "$RCA/$RESP.key" "$T2")
check "delegated run signs the index (leaf and responder cert)" contains "$out" "2 signed"
r=$(status_of "$T2" "$RCA" "$R1")
check "delegated response verifies" contains "$r" "Response verify OK"
check "delegated response carries the responder certificate" contains "$r" "Test OCSP responder"
check "ECDSA signature from the responder" contains "$r" "ecdsa-with-SHA256"
ECA=$WORK/ed
make_ca "$ECA" ed25519
E1=$(issue "$ECA" leaf1 leaf ed25519)
single "$ECA" "" "" "$WORK/tree3" >/dev/null
check "Ed25519 response verifies" contains "$(status_of "$WORK/tree3" "$ECA" "$E1")" "Response verify OK"
single "$RCA" "" "" "$WORK/tree4" >/dev/null
check "RSA CA signs with sha256WithRSAEncryption" contains "$(status_of "$WORK/tree4" "$RCA" "$R1")" "sha256WithRSAEncryption"

log "several CAs from one configuration file"
cat > "$WORK/multi.conf" <<CONF
tree = $WORK/multi
[ca ec]
issuer = $CA/ca.pem
signer = $CA/ca.pem
key = $CA/ca.key
index = $CA/index.txt
validity = 2d

[ca rsa]
issuer = $RCA/ca.pem
signer = $RCA/$RESP.pem
key = $RCA/$RESP.key
index = $RCA/index.txt
CONF
out=$(publish --config "$WORK/multi.conf")
check "both CAs published" contains "$out" "4 signed, 0 unchanged, 0 removed, 0 errors, 0 CAs skipped"
check "each in its own directory" test -d "$WORK/multi/$(issuer_dir "$CA/ca.pem")" -a -d "$WORK/multi/$(issuer_dir "$RCA/ca.pem")"
check "per-CA validity" grep -q "^validity = 172800$" "$WORK/multi/$(issuer_dir "$CA/ca.pem")/issuer.meta"
check "the tree checker reads every file" test "$("$TREE_CHECK" "$WORK/multi")" = 4

log "bad input is refused with file and line, and the tree is left alone"
before=$(tree_sum "$T")
cp "$CA/index.txt" "$WORK/bad-index.txt"
printf 'V\t3512\t\t1234\tunknown\t/CN=x\n' >> "$WORK/bad-index.txt"
line=$(wc -l < "$WORK/bad-index.txt")
set +e
out=$(publish --index "$WORK/bad-index.txt" --issuer "$CA/ca.pem" --signer "$CA/ca.pem" --key "$CA/ca.key" --out "$T" 2>&1); rc=$?
check "bad index line: exit 2" test "$rc" -eq 2
check "bad index line: file and line named" contains "$out" "bad-index.txt:$line: bad expiry date"
out=$(single "$CA" "$CA/ca.pem" "$RCA/ca.key" "$T" 2>&1); rc=$?
check "key of another certificate: exit 2" test "$rc" -eq 2
check "key of another certificate: said so" contains "$out" "does not match the signer certificate"
out=$(single "$CA" "$RCA/$RESP.pem" "$RCA/$RESP.key" "$T" 2>&1); rc=$?
check "responder of another CA: refused" contains "$out" "was not issued by"
NR=$(issue "$CA" "not a responder" notresponder ec)
out=$(single "$CA" "$CA/$NR.pem" "$CA/$NR.key" "$T" 2>&1); rc=$?
check "certificate without OCSPSigning: refused" contains "$out" "id-kp-OCSPSigning"
OLD=$(issue "$CA" "expired responder" responder ec -startdate 20200101000000Z -enddate 20200201000000Z)
out=$(single "$CA" "$CA/$OLD.pem" "$CA/$OLD.key" "$T" 2>&1); rc=$?
check "expired signer: exit 2" test "$rc" -eq 2
check "expired signer: said so" contains "$out" "has expired"
out=$(single "$CA" "" "" "$T" --validity 11 2>&1); rc=$?
check "validity over 10 days: usage error" test "$rc" -eq 1
check "validity over 10 days: said so" contains "$out" "validity: '11' is outside 1h..10d"
printf 'tree = %s\n[ca x]\nissuer = %s\nfrobnicate = 1\n' "$T" "$CA/ca.pem" > "$WORK/bad.conf"
out=$(publish --config "$WORK/bad.conf" 2>&1); rc=$?
check "unknown configuration key: exit 1 with file:line" test "$rc" -eq 1
check "unknown configuration key: message" contains "$out" "bad.conf:4: unknown key 'frobnicate' in [ca x]"
set -e
# Drop the unused certificates so the tree comparison below is fair.
grep -v -e "	$NR	" -e "	$OLD	" "$CA/index.txt" > "$WORK/idx" && cp "$WORK/idx" "$CA/index.txt"
check "the tree is unchanged after every refusal" test "$before" = "$(tree_sum "$T")"

log "one bad CA in a configuration does not stop the others"
sed -i "s#key = $RCA/$RESP.key#key = $CA/ca.key#" "$WORK/multi.conf"
revoke "$CA" "$S2" -crl_reason keyCompromise 2>/dev/null || true
set +e
out=$(publish --config "$WORK/multi.conf" 2>&1); rc=$?
set -e
check "exit 2 for the bad CA" test "$rc" -eq 2
check "the bad CA is named" contains "$out" "ca rsa:"
check "the good CA still published" contains "$out" "ca ec:"

log "another run holding the lock"
# The sleep holds the lock; wait until flock has taken it.
flock "$T/.lock" sleep 10 &
PIDS+=("$!")
lock_taken() { ! flock -n "$T/.lock" true; }
wait_for 5 lock_taken || fail "flock did not take the lock (test precondition)"
set +e
out=$(single "$CA" "" "" "$T" 2>&1); rc=$?
set -e
check "a second publisher into the same tree exits 4" test "$rc" -eq 4
check "and says why" contains "$out" "another ocsp-publisher run is publishing into this tree"

log "a run killed at any moment leaves only complete responses"
KCA=$WORK/kill
make_ca "$KCA" ec
issue_many "$KCA" 40000
KT=$WORK/ktree
for delay in 0.3 0.8 1.5; do
	"$PUBLISHER" --no-progress --force --index "$KCA/index.txt" --issuer "$KCA/ca.pem" \
		--signer "$KCA/ca.pem" --key "$KCA/ca.key" --out "$KT" >/dev/null 2>&1 &
	pid=$!
	PIDS+=("$pid")
	sleep "$delay"
	kill -9 "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	check "after kill -9 at ${delay}s every file is a valid response" quiet "$TREE_CHECK" "$KT"
done
out=$("$PUBLISHER" --no-progress --index "$KCA/index.txt" --issuer "$KCA/ca.pem" --signer "$KCA/ca.pem" \
	--key "$KCA/ca.key" --out "$KT")
check "the next run completes the tree" test "$("$TREE_CHECK" "$KT")" = 40000
check "and leaves no temp files" test -z "$(find "$KT" -name '.*.tmp')"
check "and no in-progress marker" test ! -e "$KT/.publishing"

log "ocsp-audit finds every tree made here valid, fresh and as the index says"
: "${AUDIT:?AUDIT must name ocsp-audit}"
for t in "$T=$CA" "$T2=$RCA" "$WORK/tree3=$ECA" "$WORK/tree4=$RCA" "$KT=$KCA"; do
	check "ocsp-audit: ${t%%=*} is clean" quiet "$AUDIT" --tree "${t%%=*}" \
		--issuer "${t#*=}/ca.pem" --index "${t#*=}/index.txt"
done
check "ocsp-audit: both CAs of multi.conf are clean" quiet "$AUDIT" --config "$WORK/multi.conf"

finish
