#!/usr/bin/env bash
# The CRL status source as a user runs it: CRLs made by `openssl ca
# -gencrl`, the issued serials as the CA's certs/ directory or a list of
# hex serials (plain or gzip'd), read from a file or fetched from nginx
# (conditionally, through cache_dir), a delta CRL on top; CRLs that must be
# refused (tampered, another CA's, expired, unreachable) leaving the tree
# as it was; unlisted = good; and lookupd answering live from a CRL that
# is renewed under it. openssl ocsp is the client throughout.
source "$(dirname "$0")/lib.sh"

: "${PUBLISHER:?PUBLISHER must name ocsp-publisher}" "${LOOKUPD:?LOOKUPD must name ocsp-lookupd}"

publish() { "$PUBLISHER" --no-progress "$@"; }
tree_sum() { (cd "$1" && find . -type f -print0 | sort -z | xargs -0 sha256sum); }
lacks() { case "$1" in *"$2"*) printf '  did not expect: %s\n  in: %s\n' "$2" "$1" | head -c 2000; return 1 ;; esac; }

# status_of TREE CA SERIAL: openssl's verdict on one response file.
status_of() {
	openssl ocsp -respin "$1/$(issuer_dir "$2/ca.pem")/$3" -issuer "$2/ca.pem" -serial "0x$3" \
		-CAfile "$2/ca.pem" -resp_text 2>&1 || true
}
# ask CA SERIAL ARGS...: openssl ocsp against lookupd at $URL.
ask() {
	local ca=$1 s=$2
	shift 2
	openssl ocsp -issuer "$ca/ca.pem" -serial "0x$s" -url "$URL/" -CAfile "$ca/ca.pem" \
		-resp_text "$@" 2>&1 || true
}
# gencrl CA OUT ARGS...: a CRL of CA's index (PEM) in OUT, written to a
# temporary file and renamed over OUT, as a CA renewing a CRL would.
gencrl() {
	local ca=$1 out=$2
	shift 2
	openssl ca -config "$ca/ca.cnf" -gencrl -out "$out.tmp" "$@" 2>/dev/null
	mv "$out.tmp" "$out"
}
# nextupdate_of FILE: a response's Next Update, in seconds since the epoch.
nextupdate_of() {
	date -d "$(openssl ocsp -respin "$1" -noverify -resp_text 2>/dev/null |
		sed -n 's/^ *Next Update: //p' | head -1)" +%s
}
# utc_ago SECONDS: that long ago as openssl ca wants a time (YYYYMMDDHHMMSSZ).
utc_ago() { date -u -d "@$(($(date +%s) - $1))" +%Y%m%d%H%M%SZ; }

# run_rc ARGS...: runs the publisher; its output (both streams) in OUT, the status in RC.
run_rc() { OUT=$(publish "$@" 2>&1) && RC=0 || RC=$?; }

log "a CRL file and the CA's certs/ directory"
CA=$WORK/ca
make_ca "$CA" ec
# cRLNumber in every CRL, which a delta CRL's deltaCRLIndicator refers to.
echo 01 > "$CA/crlnumber"
sed -i "s#^serial = .*#&\ncrlnumber = $CA/crlnumber#" "$CA/ca.cnf"
G=$(issue "$CA" good)
K=$(issue "$CA" compromised)
H=$(issue "$CA" held)
revoke "$CA" "$K" -crl_reason keyCompromise
revoke "$CA" "$H" -crl_hold holdInstructionReject
gencrl "$CA" "$CA/ca.crl" -crldays 2
D=$(issuer_dir "$CA/ca.pem")
T=$WORK/tree
ca_args=(--issuer "$CA/ca.pem" --signer "$CA/ca.pem" --key "$CA/ca.key")
run_rc --crl "$CA/ca.crl" --issued "$CA/certs" "${ca_args[@]}" --out "$T"
check "CRL file: exit 0" test "$RC" -eq 0
check "CRL file: three signed" contains "$OUT" "3 signed, 0 unchanged, 0 removed, 0 errors"
r=$(status_of "$T" "$CA" "$G")
check "issued, not on the CRL: good" contains "$r" "0x$G: good"
check "... verifies" contains "$r" "Response verify OK"
r=$(status_of "$T" "$CA" "$K")
check "on the CRL: revoked" contains "$r" "0x$K: revoked"
check "... with its reason" contains "$r" "Reason: keyCompromise"
check "... verifies" contains "$r" "Response verify OK"
rev_crl=$(date -d "$(openssl crl -in "$CA/ca.crl" -noout -text | grep -A1 "Serial Number: $K" |
	sed -n 's/^ *Revocation Date: //p')" +%s)
rev_resp=$(date -d "$(sed -n 's/^ *Revocation Time: //p' <<<"$r" | head -1)" +%s)
check "... at the CRL's revocation date" test "$rev_crl" = "$rev_resp"
r=$(status_of "$T" "$CA" "$H")
check "on hold: revoked, certificateHold" contains "$r" "Reason: certificateHold"
check "... with the hold instruction" contains "$r" "Hold Instruction Reject"
check "a never-issued serial has no file" test ! -e "$T/$D/7777"
check "exactly the three files" test "$(find "$T/$D" -type f -regex '.*/[0-9A-F]+' | wc -l)" = 3
crl_next=$(date -d "$(openssl crl -in "$CA/ca.crl" -noout -nextupdate | cut -d= -f2)" +%s)
late=0
for s in "$G" "$K" "$H"; do
	[ "$(nextupdate_of "$T/$D/$s")" -le "$crl_next" ] || late=1
done
check "every nextUpdate <= the CRL's nextUpdate (2 days, under the 4-day validity)" test "$late" = 0
check "... the CRL's nextUpdate itself" test "$(nextupdate_of "$T/$D/$G")" = "$crl_next"
run_rc --crl "$CA/ca.crl" --issued "$CA/certs" "${ca_args[@]}" --out "$T"
check "the same CRL again: nothing signed" contains "$OUT" "0 signed, 3 unchanged, 0 removed, 0 errors"

log "the CRL over HTTP from nginx, conditional through cache_dir"
if ! command -v nginx >/dev/null; then
	fail "nginx is not installed (contrib/install-deps.sh --test): CRL URLs untested"
else
	NG=$WORK/nginx
	mkdir -p "$NG/logs" "$NG/www"
	chmod 755 "$WORK" "$NG" "$NG/www"
	cp "$CA/ca.crl" "$NG/www/ca.crl"
	chmod 644 "$NG/www/ca.crl"
	start_nginx "$NG" <<'NGINX' || true
    log_format crl '$request_uri $status';
    access_log $NGINX_DIR/logs/access.log crl;
    server {
        listen 127.0.0.1:$NGINX_PORT;
        root $NGINX_DIR/www;
    }
NGINX
	CRL_URL=http://127.0.0.1:$NGINX_PORT/ca.crl
	check "nginx runs" kill -0 "$NGINX_PID"
	served() { awk -v p="$1" '$1 == p { s = $2 } END { print s }' "$NG/logs/access.log"; }
	cat > "$WORK/http.conf" <<CONF
tree = $WORK/tree-http
cache_dir = $WORK/fetch-cache
[ca http]
issuer = $CA/ca.pem
signer = $CA/ca.pem
key = $CA/ca.key
source = crl:$CRL_URL
issued = dir:$CA/certs
CONF
	run_rc --config "$WORK/http.conf"
	check "CRL URL: exit 0" test "$RC" -eq 0
	check "... three signed" contains "$OUT" "3 signed, 0 unchanged, 0 removed, 0 errors"
	check "... nginx answered 200" test "$(served /ca.crl)" = 200
	check "... revoked with reason" contains "$(status_of "$WORK/tree-http" "$CA" "$K")" "Reason: keyCompromise"
	check "... on hold" contains "$(status_of "$WORK/tree-http" "$CA" "$H")" "Hold Instruction Reject"
	check "... good" contains "$(status_of "$WORK/tree-http" "$CA" "$G")" "0x$G: good"
	run_rc --config "$WORK/http.conf"
	check "second run: exit 0" test "$RC" -eq 0
	check "... nginx answered 304" test "$(served /ca.crl)" = 304
	check "... 0 signed (unchanged)" contains "$OUT" "0 signed, 3 unchanged, 0 removed, 0 errors"
	check "... requested twice in all" test "$(grep -c '^/ca.crl ' "$NG/logs/access.log")" = 2
fi

log "--issued FILE of hex serials, and gzip'd CRL and serial list"
printf '%s\n' "$G" "$K" "$H" > "$WORK/serials.txt"
run_rc --crl "$CA/ca.crl" --issued "$WORK/serials.txt" "${ca_args[@]}" --out "$WORK/tree-list"
check "serial list: exit 0" test "$RC" -eq 0
openssl crl -in "$CA/ca.crl" -outform DER -out "$WORK/ca.der.crl"
gzip -k "$WORK/ca.der.crl" "$WORK/serials.txt"
run_rc --crl "$WORK/ca.der.crl.gz" --issued "$WORK/serials.txt.gz" "${ca_args[@]}" --out "$WORK/tree-gz"
check "gzip'd DER CRL and gzip'd list: exit 0" test "$RC" -eq 0
names() { (cd "$1/$D" && ls); }
check "both trees hold the same files as the first" \
	test "$(names "$T" | wc -l)" -ge 5 -a "$(names "$T")" = "$(names "$WORK/tree-list")" -a "$(names "$T")" = "$(names "$WORK/tree-gz")"
verdicts() {
	local s
	for s in "$G" "$K" "$H"; do
		status_of "$1" "$CA" "$s" | grep -E 'verify OK|: (good|revoked)$|Reason:|Hold Instruction [A-Z]|Revocation Time'
	done
}
v=$(verdicts "$T")
check "the serial list's tree says what the first does" test "$v" = "$(verdicts "$WORK/tree-list")"
check "the gzip'd inputs' tree too" test "$v" = "$(verdicts "$WORK/tree-gz")"
check "... (and it is not empty)" contains "$v" "Reason: keyCompromise"

log "a delta CRL on top of the base"
base_number=$(openssl crl -in "$CA/ca.crl" -noout -crlnumber | sed -n 's/^crlNumber=0x//p')
check "the base CRL carries cRLNumber ($base_number, one octet)" test "${#base_number}" = 2
cat >> "$CA/ca.cnf" <<CNF
[ delta ]
2.5.29.27 = critical,DER:02:01:$base_number
CNF
L=$(issue "$CA" late)
revoke "$CA" "$L" -crl_reason affiliationChanged
gencrl "$CA" "$CA/delta.crl" -crldays 1 -crlexts delta
check "the delta carries deltaCRLIndicator" contains "$(openssl crl -in "$CA/delta.crl" -noout -text)" "Delta CRL Indicator"
cat > "$WORK/delta.conf" <<CONF
tree = $T
[ca default]
issuer = $CA/ca.pem
signer = $CA/ca.pem
key = $CA/ca.key
crl = $CA/ca.crl
crl_delta = $CA/delta.crl
issued = dir:$CA/certs
CONF
run_rc --config "$WORK/delta.conf"
check "base + delta: exit 0" test "$RC" -eq 0
check "... the new certificate signed, the rest unchanged" contains "$OUT" "1 signed, 3 unchanged, 0 removed, 0 errors"
r=$(status_of "$T" "$CA" "$L")
check "revoked after the base, on the delta: revoked" contains "$r" "0x$L: revoked"
check "... with the delta's reason" contains "$r" "Reason: affiliationChanged"
check "... verifies" contains "$r" "Response verify OK"
check "the base's revocations still hold" contains "$(status_of "$T" "$CA" "$K")" "Reason: keyCompromise"
check "... and good stays good" contains "$(status_of "$T" "$CA" "$G")" "0x$G: good"
run_rc --crl "$CA/ca.crl" --issued "$CA/certs" "${ca_args[@]}" --out "$WORK/tree-nodelta"
check "without the delta the same certificate is good" contains "$(status_of "$WORK/tree-nodelta" "$CA" "$L")" "0x$L: good"
# A new base issued after the delta (as a CA renewing its base before its
# next delta does): the old delta says nothing the base does not.
gencrl "$CA" "$CA/newbase.crl" -crldays 2
sed "s#^crl = .*#crl = $CA/newbase.crl#; s#^tree = .*#tree = $WORK/tree-newbase#" \
	"$WORK/delta.conf" > "$WORK/newbase.conf"
run_rc --config "$WORK/newbase.conf"
check "a delta older than its base: exit 0" test "$RC" -eq 0
check "... said, and the base alone used" contains "$OUT" "is not newer than its base's"
check "... which has the late revocation itself" contains \
	"$(status_of "$WORK/tree-newbase" "$CA" "$L")" "Reason: affiliationChanged"

log "refused CRLs leave the tree as it was"
before=$(tree_sum "$T")
# refused NAME NEEDLE ARGS...: the publisher exits 2 naming NEEDLE (the source).
refused() {
	local what=$1 needle=$2
	shift 2
	run_rc "$@"
	check "$what: exit 2" test "$RC" -eq 2
	check "$what: the source named" contains "$OUT" "$needle"
	check "$what: the tree unchanged" test "$before" = "$(tree_sum "$T")"
	printf '  %s\n' "$OUT" | head -5
}
# A revoked serial on the CRL changed (1001 -> 1003): still DER, still a
# CRL, its signature no longer covers it.
openssl crl -in "$CA/ca.crl" -outform DER -out "$WORK/tampered.crl"
python3 - "$WORK/tampered.crl" "$K" <<'PY'
import sys
path, serial = sys.argv[1], bytes.fromhex(sys.argv[2])
b = bytearray(open(path, "rb").read())
needle = bytes([0x02, len(serial)]) + serial
i = b.index(needle)
b[i + len(needle) - 1] ^= 0x02
open(path, "wb").write(bytes(b))
PY
check "the tampered CRL still parses" quiet openssl crl -inform DER -in "$WORK/tampered.crl" -noout
refused "tampered CRL" "$WORK/tampered.crl" \
	--crl "$WORK/tampered.crl" --issued "$CA/certs" "${ca_args[@]}" --out "$T"
check "tampered CRL: the signature blamed" contains "$OUT" "signature"
OTHER=$WORK/other
make_ca "$OTHER" ec "Test CA ec"
gencrl "$OTHER" "$OTHER/ca.crl" -crldays 2
refused "a CRL of another CA (same name)" "$OTHER/ca.crl" \
	--crl "$OTHER/ca.crl" --issued "$CA/certs" "${ca_args[@]}" --out "$T"
gencrl "$CA" "$WORK/expired.crl" -crl_lastupdate "$(utc_ago 7200)" -crl_nextupdate "$(utc_ago 1800)"
refused "a CRL past its nextUpdate" "$WORK/expired.crl" \
	--crl "$WORK/expired.crl" --issued "$CA/certs" "${ca_args[@]}" --out "$T"
check "expired CRL: said so" contains "$OUT" "nextUpdate"
CLOSED=$(free_port)
refused "a closed port" "http://127.0.0.1:$CLOSED/ca.crl" \
	--crl "http://127.0.0.1:$CLOSED/ca.crl" --issued "$CA/certs" "${ca_args[@]}" --out "$T"
if [ -n "${NGINX_PORT:-}" ]; then
	refused "a 404" "http://127.0.0.1:$NGINX_PORT/nothing.crl" \
		--crl "http://127.0.0.1:$NGINX_PORT/nothing.crl" --issued "$CA/certs" "${ca_args[@]}" --out "$T"
	check "a 404: the status named" contains "$OUT" "404"
fi
refused "a missing CRL file" "$WORK/none.crl" \
	--crl "$WORK/none.crl" --issued "$CA/certs" "${ca_args[@]}" --out "$T"
cat > "$WORK/grace.conf" <<CONF
tree = $WORK/tree-grace
[ca default]
issuer = $CA/ca.pem
signer = $CA/ca.pem
key = $CA/ca.key
crl = $WORK/expired.crl
issued = dir:$CA/certs
crl_grace = 1h
CONF
run_rc --config "$WORK/grace.conf"
check "crl_grace = 1h: the CRL 30 min past its nextUpdate accepted" test "$RC" -eq 0
check "... and published" contains "$(status_of "$WORK/tree-grace" "$CA" "$K")" "Reason: keyCompromise"
# Past the CRL's nextUpdate the grace bounds the responses instead: they
# must still be current when they are published.
exp_next=$(date -d "$(openssl crl -in "$WORK/expired.crl" -noout -nextupdate | cut -d= -f2)" +%s)
nu=$(nextupdate_of "$WORK/tree-grace/$D/$K")
check "... valid for now, and no longer than the grace allows" \
	test "$nu" -gt "$(date +%s)" -a "$nu" -le "$((exp_next + 3600))"
sed -i 's/^crl_grace = 1h/crl_grace = 10m/' "$WORK/grace.conf"
run_rc --config "$WORK/grace.conf"
check "crl_grace = 10m: refused (exit 2)" test "$RC" -eq 2

log "unlisted = good without issued"
cat > "$WORK/unlisted.conf" <<CONF
tree = $WORK/tree-unlisted
[lookupd]
reload_interval = 1s
[ca default]
issuer = $CA/ca.pem
signer = $CA/ca.pem
key = $CA/ca.key
crl = $CA/ca.crl
unlisted = good
CONF
run_rc --config "$WORK/unlisted.conf"
check "publisher: exit 0" test "$RC" -eq 0
check "publisher: warns" contains "$OUT" "unlisted = good"
UD=$WORK/tree-unlisted/$D
check "the revoked ones are pre-signed" test -e "$UD/$K" -a -e "$UD/$H"
check "nothing pre-signed for a serial not on the CRL" test ! -e "$UD/$G" -a ! -e "$UD/7777"
if start_lookupd --config "$WORK/unlisted.conf"; then
	check "lookupd warns at start" grep -q "warning: .*unlisted = good" "$LOOKUPD_LOG"
	out=$(ask "$CA" 7777 -no_nonce)
	check "a never-issued serial: good, signed online" contains "$out" "0x7777: good"
	check "... verifies" contains "$out" "Response verify OK"
	out=$(ask "$CA" "$K")
	check "a revoked one still revoked" contains "$out" "Reason: keyCompromise"
	check "... still nothing in the tree for it" test ! -e "$UD/7777"
	stop_lookupd
fi

log "lookupd answers live from a renewed CRL"
LT=$WORK/tree-live
N=$(issue "$CA" "still good")
cp "$CA/ca.crl" "$WORK/live.crl"
cat > "$WORK/live.conf" <<CONF
tree = $LT
[lookupd]
reload_interval = 1s
[ca default]
issuer = $CA/ca.pem
signer = $CA/ca.pem
key = $CA/ca.key
crl = $WORK/live.crl
issued = dir:$CA/certs
CONF
run_rc --config "$WORK/live.conf"
check "live tree published" test "$RC" -eq 0
if start_lookupd --config "$WORK/live.conf"; then
	out=$(ask "$CA" "$G" -no_nonce)
	check "before: good (no nonce)" contains "$out" "0x$G: good"
	check "... verifies" contains "$out" "Response verify OK"
	check "before: revoked (nonce)" contains "$(ask "$CA" "$K")" "Reason: keyCompromise"
	revoke "$CA" "$G" -crl_reason superseded
	gencrl "$CA" "$WORK/live.crl" -crldays 2
	answers_revoked() { out=$(ask "$CA" "$G" "$@"); case "$out" in *"0x$G: revoked"*) return 0 ;; esac; return 1; }
	check "renewed CRL: revoked with a nonce within 3 s" wait_for 3 answers_revoked
	check "... with its reason" contains "$out" "Reason: superseded"
	check "... verifies" contains "$out" "Response verify OK"
	check "renewed CRL: revoked without a nonce (not the stale file)" answers_revoked -no_nonce
	check "... verifies" contains "$out" "Response verify OK"
	live_next=$(date -d "$(openssl crl -in "$WORK/live.crl" -noout -nextupdate | cut -d= -f2)" +%s)
	online_next=$(date -d "$(sed -n 's/^ *Next Update: //p' <<<"$out" | head -1)" +%s)
	check "... its nextUpdate no later than the CRL's" test "$online_next" -le "$live_next"
	check "the tree still holds the good file" contains "$(status_of "$LT" "$CA" "$G")" "0x$G: good"
	check "the others as they were: on hold" contains "$(ask "$CA" "$H")" "Reason: certificateHold"
	check "... good" contains "$(ask "$CA" "$N" -no_nonce)" "0x$N: good"
	lines=$(wc -l < "$LOOKUPD_LOG")
	cp "$WORK/tampered.crl" "$WORK/live.crl.tmp" && mv "$WORK/live.crl.tmp" "$WORK/live.crl"
	logged_error() { tail -n +"$((lines + 1))" "$LOOKUPD_LOG" | grep -q "error: .*live.crl"; }
	check "a tampered CRL: lookupd logs an error naming it" wait_for 4 logged_error
	tail -n +"$((lines + 1))" "$LOOKUPD_LOG" | head -5
	check "... and keeps answering from the last good CRL (revoked)" answers_revoked -no_nonce
	check "... (revoked with a nonce)" answers_revoked
	check "... (good stays good)" contains "$(ask "$CA" "$N")" "0x$N: good"
	check "lookupd still runs" kill -0 "$LOOKUPD_PID"
	sleep 2
	check "... and logged it once, not at every reload" \
		test "$(tail -n +"$((lines + 1))" "$LOOKUPD_LOG" | grep -c "error: .*live.crl")" = 1
	rm "$WORK/live.crl"
	gone_logged() { tail -n +"$((lines + 1))" "$LOOKUPD_LOG" | grep -q "error: .*live.crl: No such file"; }
	check "the CRL removed: an error" wait_for 3 gone_logged
	check "... still answering from the last good CRL" answers_revoked -no_nonce
	# The hold released (openssl ca has no command for it: the index line
	# made valid again), the CRL renewed without it: the tree's file says
	# certificateHold, lookupd must answer good from the CRL instead.
	sed -i "s/^R\(\t[^\t]*\t\)[^\t]*\(\t$H\t\)/V\1\2/" "$CA/index.txt"
	gencrl "$CA" "$WORK/live.crl" -crldays 2
	answers_good() { out=$(ask "$CA" "$H" "$@"); case "$out" in *"0x$H: good"*) return 0 ;; esac; return 1; }
	check "hold released on a renewed CRL after the tampered one: good (no nonce)" wait_for 3 answers_good -no_nonce
	check "... verifies" contains "$out" "Response verify OK"
	check "... good with a nonce too" answers_good
	check "... while the tree's file still says certificateHold" \
		contains "$(status_of "$LT" "$CA" "$H")" "Reason: certificateHold"
	check "... and the revocation stays" answers_revoked -no_nonce
	stop_lookupd
fi

log "lookupd whose CRL server is down at start"
sed "s#^crl = .*#crl = http://127.0.0.1:$(free_port)/gone.crl#" "$WORK/live.conf" > "$WORK/down.conf"
if start_lookupd --config "$WORK/down.conf"; then
	check "it starts and says the CRL is down" grep -q "cannot connect.*answering from the tree" "$LOOKUPD_LOG"
	check "... answers from the tree (good, no nonce)" contains "$(ask "$CA" "$N" -no_nonce)" "0x$N: good"
	check "... signs from the status index (nonce)" contains "$(ask "$CA" "$K")" "Reason: keyCompromise"
	stop_lookupd
fi
"$LOOKUPD" --check --config "$WORK/down.conf" > "$WORK/down.out" 2>&1 && rc=0 || rc=$?
check "--check fails when the CRL cannot be had" test "$rc" -ne 0
check "... naming it" grep -q "gone.crl" "$WORK/down.out"

finish
