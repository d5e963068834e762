#!/usr/bin/env bash
# The SQL source end to end, as an operator runs it: a CA made with the
# openssl CLI whose certificates are rows of an OpenXPKI-shaped
# `certificate` table and an EJBCA-shaped `CertificateData` table, in a
# SQLite file and in a real PostgreSQL (pg.sh). ocsp-publisher signs a
# tree from each of the four, checked file by file with openssl ocsp; runs
# again sign only what changed; lookupd asks PostgreSQL live and answers a
# revocation within sql_cache_ttl (the delay is measured and printed), a
# row inserted after publishing, and, with the database stopped, the
# tree's responses (tryLater where there is none), logging the outage and
# the recovery once each. Bad rows, an unreachable database and a wrong
# password fail the run (exit 2) and leave the tree byte for byte as it
# was. The database password is never on a command line, nor in anything
# either program printed.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/pg.sh"

TTL=2		# sql_cache_ttl of lookupd's configuration, seconds
SLACK=2		# what answering may take beyond it: reload, signing, polling

# rc_of VAR COMMAND...: runs COMMAND with its output (both streams) in
# $OUT and its exit status in VAR, whatever it is.
rc_of() {
	local __var=$1 __rc=0
	shift
	OUT=$("$@" 2>&1) || __rc=$?
	printf -v "$__var" '%s' "$__rc"
}

# now_ms: wall clock in milliseconds.
now_ms() { echo $(($(date +%s%N) / 1000000)); }

pg_init
log "PostgreSQL on 127.0.0.1:$PG_PORT, SCRAM over TCP"

log "a CA with a delegated responder, certificates good, revoked and on hold"
CA=$WORK/ca
make_ca "$CA" ec "SQL E2E CA"
# 63-bit serials: exact as SQLite INTEGERs too, and long enough that the
# decimal the databases keep is not the hex the tree names.
echo 4F1A2B3C4D5E6F00 > "$CA/serial"
RESP=$(issue "$CA" "OCSP responder" responder)
G1=$(issue "$CA" good-1)
G2=$(issue "$CA" good-2)	# revoked live under lookupd (step 4)
G3=$(issue "$CA" good-3)	# revoked in the databases between runs (step 3)
R=$(issue "$CA" revoked)
H=$(issue "$CA" on-hold)
NEW=$(issue "$CA" issued-later)	# a row only once lookupd is serving
revoke "$CA" "$R" -crl_reason keyCompromise
revoke "$CA" "$H" -crl_hold holdInstructionReject
SIGNER=(--issuer "$CA/ca.pem" --signer "$CA/$RESP.pem" --key "$CA/$RESP.key")

dec() { python3 -c 'import sys; print(int(sys.argv[1], 16))' "$1"; }
not_after() { date -u -d "$(openssl x509 -in "$CA/$1.pem" -noout -enddate | cut -d= -f2)" +%s; }
IDENT=$(openssl x509 -in "$CA/ca.pem" -outform DER | openssl dgst -sha1 -binary |
	openssl base64 -A | tr '+/' '-_' | tr -d '=')
DN="CN=SQL E2E CA"
R_AT=$(index_revoked_at "$CA" "$R")
H_AT=$(index_revoked_at "$CA" "$H")

SCHEMA=$PRESET_SCHEMA

# rows SERIAL STATE [REVOKED_AT]: the certificate's row in both tables,
# as OpenXPKI and EJBCA write them; STATE is good, revoked
# (keyCompromise) or hold (holdInstructionReject).
rows() {
	local s=$1 state=$2 at=${3:-} d na fp
	d=$(dec "$s")
	na=$(not_after "$s")
	fp=$(openssl x509 -in "$CA/$s.pem" -noout -fingerprint -sha1 | cut -d= -f2 | tr -d : | tr A-F a-f)
	case "$state" in
	good)
		echo "INSERT INTO certificate (cert_key, issuer_identifier, subject, status, notafter)
  VALUES ($d, '$IDENT', 'CN=$s', 'ISSUED', $na);"
		echo "INSERT INTO CertificateData (fingerprint, issuerDN, serialNumber, status,
  revocationDate, revocationReason, expireDate) VALUES ('$fp', '$DN', '$d', 20, -1, -1, ${na}000);" ;;
	revoked)
		echo "INSERT INTO certificate (cert_key, issuer_identifier, status, reason_code,
  revocation_time, notafter) VALUES ($d, '$IDENT', 'REVOKED', 'keyCompromise', $at, $na);"
		echo "INSERT INTO CertificateData (fingerprint, issuerDN, serialNumber, status,
  revocationDate, revocationReason, expireDate) VALUES ('$fp', '$DN', '$d', 40, ${at}000, 1, ${na}000);" ;;
	hold)
		echo "INSERT INTO certificate (cert_key, issuer_identifier, status, reason_code,
  revocation_time, hold_instruction_code, notafter)
  VALUES ($d, '$IDENT', 'HOLD', 'certificateHold', $at, 'holdInstructionReject', $na);"
		echo "INSERT INTO CertificateData (fingerprint, issuerDN, serialNumber, status,
  revocationDate, revocationReason, expireDate) VALUES ('$fp', '$DN', '$d', 40, ${at}000, 6, ${na}000);" ;;
	esac
}

# revoke_sql SERIAL REASON-NAME REASON-CODE AT: the row revoked in both tables.
revoke_sql() {
	local d
	d=$(dec "$1")
	echo "UPDATE certificate SET status = 'REVOKED', reason_code = '$2', revocation_time = $4
  WHERE issuer_identifier = '$IDENT' AND cert_key = $d;
UPDATE CertificateData SET status = 40, revocationReason = $3, revocationDate = ${4}000
  WHERE issuerDN = '$DN' AND serialNumber = '$d';"
}

DATA="$SCHEMA
$(rows "$G1" good; rows "$G2" good; rows "$G3" good; rows "$R" revoked "$R_AT"; rows "$H" hold "$H_AT")"

log "the rows in SQLite and in PostgreSQL"
SQLITE_DB=$WORK/ca.db
sqlite3 -bail "$SQLITE_DB" <<<"$DATA"
sq() { sqlite3 -bail "$SQLITE_DB"; }
PW=$(openssl rand -hex 16)
# The role's password goes through standard input, never an argument.
psql_su -d postgres <<SQL
CREATE ROLE ocsp LOGIN PASSWORD '$PW';
CREATE DATABASE ca;
SQL
psql_su -d ca <<<"$DATA
GRANT SELECT ON certificate, CertificateData TO ocsp;"
pg() { psql_su -d ca; }
check "SQLite holds five rows in each table" test \
	"$(sqlite3 "$SQLITE_DB" 'SELECT count(*) FROM certificate; SELECT count(*) FROM CertificateData;' | tr '\n' ' ')" = "5 5 "

PG_CONN="postgresql://ocsp@127.0.0.1:$PG_PORT/ca"
PWFILE=$WORK/pgpass
printf '%s\n' "$PW" > "$PWFILE"
chmod 600 "$PWFILE"
IDIR=$(issuer_dir "$CA/ca.pem")

# pg_conf FILE PRESET TREE [KEY = VALUE lines]: a configuration for
# PostgreSQL with the CA's section, its password from PWFILE unless the
# extra lines name another way.
pg_conf() {
	local f=$1 preset=$2 tree=$3 extra=${4:-sql_password_file = $PWFILE}
	cat > "$f" <<CONF
tree = $tree
[ca e2e]
issuer = $CA/ca.pem
signer = $CA/$RESP.pem
key = $CA/$RESP.key
source = sql:$PG_CONN
sql_preset = $preset
$extra
CONF
}

# publish DB PRESET: one run for that database and preset into
# $WORK/tree-DB-PRESET; sets RC and OUT. For PostgreSQL the password
# comes from the configuration: the file for openxpki, the environment
# for ejbca.
publish() {
	local db=$1 preset=$2 tree=$WORK/tree-$1-$2
	if [ "$db" = sqlite ]; then
		rc_of RC "$PUBLISHER" --no-progress --sql "sqlite:$SQLITE_DB" --sql-preset "$preset" \
			"${SIGNER[@]}" --out "$tree"
	elif [ "$preset" = openxpki ]; then
		pg_conf "$WORK/pg-$preset.conf" "$preset" "$tree"
		rc_of RC "$PUBLISHER" --no-progress --config "$WORK/pg-$preset.conf"
	else
		pg_conf "$WORK/pg-$preset.conf" "$preset" "$tree" "sql_password_env = OCSP_E2E_PW"
		rc_of RC env OCSP_E2E_PW="$PW" "$PUBLISHER" --no-progress --config "$WORK/pg-$preset.conf"
	fi
	printf '%s\n' "$OUT" >> "$WORK/publisher-output"
}

# status_of FILE: the status a response file gives, verified against the
# CA: "good", "revoked keyCompromise", ..., or what went wrong.
status_of() {
	local out
	out=$(openssl ocsp -respin "$1" -issuer "$CA/ca.pem" -CAfile "$CA/ca.pem" -resp_text 2>&1) || true
	if ! grep -q '^Response verify OK' <<<"$out"; then
		echo "unverified: $(head -c 300 <<<"$out")"
		return
	fi
	sed -n 's/^ *Cert Status: \([a-z]*\).*/\1/p' <<<"$out" | head -1 | tr '\n' ' '
	sed -n 's/^ *Revocation Reason: \([A-Za-z]*\).*/\1/p' <<<"$out" | head -1
	echo
}
status_is() {
	local got
	got=$(status_of "$1" | sed 's/ *$//')
	[ "$got" = "$2" ] || { echo "  $1: '$got', expected '$2'"; return 1; }
}
# serial_of FILE: the serial its SingleResponse is about (hex, uppercase).
serial_of() {
	openssl ocsp -respin "$1" -resp_text -noverify 2>/dev/null |
		sed -n 's/^ *Serial Number: *//p' | head -1 | tr a-f A-F
}

# tree_is DB PRESET: every response file of the tree is the right one.
tree_is() {
	local label="$1/$2" t=$WORK/tree-$1-$2/$IDIR f n=0
	for f in "$t"/*; do
		case "$(basename "$f")" in *[!0-9A-F]*) continue ;; esac
		n=$((n + 1))
		check "$label: $(basename "$f") is about its own serial" test "$(serial_of "$f")" = "$(basename "$f")"
	done
	check "$label: five responses" test "$n" -eq 5
	check "$label: good-1 good" status_is "$t/$G1" good
	check "$label: good-2 good" status_is "$t/$G2" good
	check "$label: good-3 good" status_is "$t/$G3" good
	check "$label: revoked, keyCompromise" status_is "$t/$R" "revoked keyCompromise"
	check "$label: on hold, certificateHold" status_is "$t/$H" "revoked certificateHold"
	check "$label: the revocation time as the CA recorded it" bash -c \
		"openssl ocsp -respin '$t/$R' -resp_text -noverify 2>/dev/null |
		 grep -q 'Revocation Time: $(TZ=UTC date -d "@$R_AT" '+%b %e %H:%M:%S %Y GMT')'"
}

# tree_sum DB PRESET: the SHA-256 of every file in the tree, by name.
tree_sum() {
	(cd "$WORK/tree-$1-$2" && find . -type f ! -name .lock -print0 | sort -z | xargs -0 sha256sum)
}

COMBOS="sqlite:openxpki sqlite:ejbca postgresql:openxpki postgresql:ejbca"
for c in $COMBOS; do
	db=${c%%:*} preset=${c#*:}
	log "$db/$preset: a first run signs every certificate"
	publish "$db" "$preset"
	check "$db/$preset: exit 0" test "$RC" -eq 0 || printf '%s\n' "$OUT"
	check "$db/$preset: five signed" contains "$OUT" "5 signed, 0 unchanged, 0 removed, 0 errors"
	tree_is "$db" "$preset"
done

log "unchanged databases: nothing to sign"
for c in $COMBOS; do
	db=${c%%:*} preset=${c#*:}
	publish "$db" "$preset"
	check "$db/$preset: re-run exit 0" test "$RC" -eq 0
	check "$db/$preset: 0 signed" contains "$OUT" "0 signed, 5 unchanged, 0 removed, 0 errors"
done

log "good-3 revoked in the databases: the next run re-signs just that one"
G3_AT=$(($(date +%s) - 60))
revoke_sql "$G3" superseded 4 "$G3_AT" | sq
revoke_sql "$G3" superseded 4 "$G3_AT" | pg
for c in $COMBOS; do
	db=${c%%:*} preset=${c#*:}
	t=$WORK/tree-$db-$preset/$IDIR
	cp "$t/$G1" "$WORK/g1.before"
	publish "$db" "$preset"
	check "$db/$preset: exit 0 after the revocation" test "$RC" -eq 0
	check "$db/$preset: 1 signed" contains "$OUT" "1 signed, 4 unchanged, 0 removed, 0 errors"
	check "$db/$preset: good-3 now revoked, superseded" status_is "$t/$G3" "revoked superseded"
	check "$db/$preset: good-1's file untouched" cmp -s "$t/$G1" "$WORK/g1.before"
done

# ask SERIAL [ARGS...]: openssl ocsp against lookupd, verified with the
# CA; the response is kept in $WORK/asked.der.
ask() {
	local s=$1
	shift
	openssl ocsp -issuer "$CA/ca.pem" -CAfile "$CA/ca.pem" -url "$URL/" -serial "0x$s" \
		-respout "$WORK/asked.der" -resp_text "$@" 2>&1 || true
}
says() { contains "$(ask "$1" "${@:3}")" "0x$1: $2"; }
# tree_served SERIAL: a request without nonce is answered with the tree's
# own file for it, byte for byte.
tree_served() { ask "$1" -no_nonce >/dev/null; cmp -s "$WORK/asked.der" "$LTREE/$IDIR/$1"; }

log "lookupd on the PostgreSQL/OpenXPKI tree, asking the database live"
LTREE=$WORK/tree-postgresql-openxpki
cat > "$WORK/lookupd.conf" <<CONF
tree = $LTREE
[lookupd]
reload_interval = 1s
[ca e2e]
issuer = $CA/ca.pem
signer = $CA/$RESP.pem
key = $CA/$RESP.key
source = sql:$PG_CONN
sql_preset = openxpki
sql_password_file = $PWFILE
sql_cache_ttl = ${TTL}s
CONF
start_lookupd --config "$WORK/lookupd.conf"
LLOG=$LOOKUPD_LOG
check "lookupd: good-2 from the tree, without nonce" tree_served "$G2"
check "lookupd: good-2 good, without nonce" says "$G2" good -no_nonce
check "lookupd: good-2 good, with a nonce (signed online)" says "$G2" good
check "lookupd: revoked from the tree" tree_served "$R"

log "good-2 revoked in PostgreSQL while lookupd serves: how long until it says so"
T0=$(now_ms)
pg <<<"$(revoke_sql "$G2" keyCompromise 1 "$(date +%s)")"
NONCE_MS='' PLAIN_MS=''
# Polls both kinds of request until each has said revoked once.
both_revoked() {
	if [ -z "$NONCE_MS" ] && says "$G2" revoked >/dev/null; then NONCE_MS=$(($(now_ms) - T0)); fi
	if [ -z "$PLAIN_MS" ] && says "$G2" revoked -no_nonce >/dev/null; then PLAIN_MS=$(($(now_ms) - T0)); fi
	[ -n "$NONCE_MS" ] && [ -n "$PLAIN_MS" ]
}
check "lookupd: the revocation answered, with and without nonce" wait_for $((TTL + SLACK + 5)) both_revoked
echo "measured: revocation in the database answered after ${NONCE_MS:-?} ms with a nonce," \
	"${PLAIN_MS:-?} ms without (sql_cache_ttl = ${TTL}s)"
check "lookupd: with a nonce within sql_cache_ttl + ${SLACK}s" test "${NONCE_MS:-999999}" -le $(((TTL + SLACK) * 1000))
check "lookupd: without nonce within sql_cache_ttl + ${SLACK}s" test "${PLAIN_MS:-999999}" -le $(((TTL + SLACK) * 1000))
check "lookupd: without nonce no longer the tree's good file" bash -c \
	"! cmp -s '$WORK/asked.der' '$LTREE/$IDIR/$G2'"
sleep 1
check "lookupd: and it stays revoked (no nonce)" says "$G2" revoked -no_nonce
check "lookupd: with the reason the database gives" contains "$(ask "$G2" -no_nonce)" "Reason: keyCompromise"

log "a certificate issued after the last run: its row answers before any publish"
test ! -e "$LTREE/$IDIR/$NEW"
pg <<<"$(rows "$NEW" good)"
check "lookupd: the new certificate good, without nonce" says "$NEW" good -no_nonce
check "lookupd: the new certificate good, with a nonce" says "$NEW" good
check "lookupd: a serial nobody issued is unknown" says 7777 unknown -no_nonce

log "the tree re-published, then PostgreSQL stopped"
publish postgresql openxpki
check "republish: good-2 and the new one signed" contains "$OUT" "2 signed, 4 unchanged"
check "republish: good-2's file says revoked" status_is "$LTREE/$IDIR/$G2" "revoked keyCompromise"
# lookupd takes the new tree within reload_interval.
check "lookupd: serves the re-published file" wait_for 10 tree_served "$G2"
pg_stop
sleep $((TTL + 1))	# past every cached live answer
for s in "$G1" "$G2" "$R" "$H" "$NEW" 7777 "$G1" "$R"; do ask "$s" -no_nonce >/dev/null; done
check "down: good-1 good, the tree's file" tree_served "$G1"
check "down: good-1 good" says "$G1" good -no_nonce
check "down: good-2 revoked (the tree's file), never the old good" says "$G2" revoked -no_nonce
check "down: revoked stays revoked" says "$R" revoked -no_nonce
check "down: the new certificate from its file" tree_served "$NEW"
check "down: with a nonce, good-1 still answered" says "$G1" good
check "down: with a nonce, revoked still revoked" says "$R" revoked
check "down: a serial without a file is tryLater" contains "$(ask 7777 -no_nonce)" "Responder Error: trylater"
check "down: with a nonce too" contains "$(ask 7777)" "Responder Error: trylater"
n=$(grep -c "answering from the tree's pre-signed responses" "$LLOG" || true)
check "down: the outage logged once ($n)" test "$n" -eq 1

log "a lookupd started while PostgreSQL is down"
FIRST_PID=$LOOKUPD_PID FIRST_URL=$URL
if start_lookupd --config "$WORK/lookupd.conf"; then
	pass "down at start: lookupd starts"
	check "down at start: good-1 from the tree" tree_served "$G1"
	check "down at start: revoked stays revoked" says "$R" revoked -no_nonce
	check "down at start: with a nonce, signed from the status index" says "$G1" good
	check "down at start: no file, tryLater" contains "$(ask 7777)" "Responder Error: trylater"
	check "down at start: says it is down" grep -q "answering from the tree's pre-signed responses" "$LOOKUPD_LOG"
	check "down at start: no password in its log" bash -c "! grep -qF -- '$PW' '$LOOKUPD_LOG'"
	stop_lookupd
else
	fail "down at start: lookupd starts"
fi
LOOKUPD_PID=$FIRST_PID URL=$FIRST_URL

log "PostgreSQL started again"
pg_start
recovered() { ask 7777 -no_nonce >/dev/null; grep -q "answers again" "$LLOG"; }
check "up: lookupd logs the recovery" wait_for 45 recovered
check "up: a serial nobody issued is unknown again" says 7777 unknown -no_nonce
for s in "$G1" "$R" 7777; do ask "$s" >/dev/null; done
check "up: the outage logged once in all" test "$(grep -c "answering from the tree's pre-signed responses" "$LLOG")" -eq 1
check "up: the recovery logged once" test "$(grep -c "answers again" "$LLOG")" -eq 1

log "failures leave the tree as it was"
T=$WORK/tree-sqlite-openxpki
BEFORE=$(tree_sum sqlite openxpki)
echo "INSERT INTO certificate (cert_key, issuer_identifier, status, notafter)
  VALUES (777, '$IDENT', 'BOGUS', 2000000000);" | sq
publish sqlite openxpki
check "malformed row: exit 2" test "$RC" -eq 2
check "malformed row: names the source" contains "$OUT" "sql:sqlite:$SQLITE_DB"
check "malformed row: names the row" contains "$OUT" "(serial 777): status 'BOGUS'"
check "malformed row: the tree unchanged" test "$(tree_sum sqlite openxpki)" = "$BEFORE"
echo "DELETE FROM certificate WHERE cert_key = 777;" | sq

BEFORE=$(tree_sum postgresql openxpki)
CLOSED=$(free_port)
sed "s#127.0.0.1:$PG_PORT/#127.0.0.1:$CLOSED/#" "$WORK/pg-openxpki.conf" > "$WORK/closed.conf"
rc_of RC "$PUBLISHER" --no-progress --config "$WORK/closed.conf"
printf '%s\n' "$OUT" >> "$WORK/publisher-output"
check "unreachable database: exit 2" test "$RC" -eq 2
check "unreachable database: names it" contains "$OUT" "sql:postgresql://ocsp@127.0.0.1:$CLOSED/ca"
check "unreachable database: the tree unchanged" test "$(tree_sum postgresql openxpki)" = "$BEFORE"

WRONG=wrong-$PW
printf '%s\n' "$WRONG" > "$WORK/wrongpw"
chmod 600 "$WORK/wrongpw"
pg_conf "$WORK/wrong.conf" openxpki "$LTREE" "sql_password_file = $WORK/wrongpw"
rc_of RC "$PUBLISHER" --no-progress --config "$WORK/wrong.conf"
printf '%s\n' "$OUT" >> "$WORK/publisher-output"
check "wrong password: exit 2" test "$RC" -eq 2
check "wrong password: says why" contains "$OUT" "password authentication failed"
check "wrong password: not in the message" bash -c "! grep -qF -- '$WRONG' <<<\"\$1\"" _ "$OUT"
check "wrong password: the tree unchanged" test "$(tree_sum postgresql openxpki)" = "$BEFORE"

publish postgresql openxpki
check "right password again: exit 0" test "$RC" -eq 0
check "right password again: nothing to sign" contains "$OUT" "0 signed, 6 unchanged"

log "the password in nothing printed"
check "not in the publisher's output" bash -c "! grep -qF -- '$PW' '$WORK/publisher-output' $WORK/publisher.*.log"
check "not in lookupd's log" bash -c "! grep -qF -- '$PW' '$LLOG'"
check "not on lookupd's command line" bash -c "! grep -qF -- '$PW' /proc/$LOOKUPD_PID/cmdline"

finish
