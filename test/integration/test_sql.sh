#!/usr/bin/env bash
# The SQL source against a real PostgreSQL: a cluster made with initdb in
# the test's directory, on a free loopback port, password (SCRAM) auth
# over TCP, OpenXPKI's and EJBCA's tables with rows of this CA and
# another, read through sql_check (test/integration/sql_check.c): all
# records, live look-ups, the password from a file, the environment or
# the URI (and never in a message), a wrong password, the database
# stopped (SOURCE_DOWN) and started again (recovers), and a row revoked
# after a cached look-up, seen once the TTL has passed.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/pg.sh"
: "${SQL_CHECK:?SQL_CHECK must name the sql_check driver}"

pg_init
PORT=$PG_PORT
log "a PostgreSQL cluster on 127.0.0.1:$PORT, SCRAM over TCP"

log "a CA, and its values as OpenXPKI and EJBCA keep them"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$WORK/ca.key" \
	-out "$WORK/ca.pem" -subj "/C=SE/O=Example/CN=Test CA" -days 30 2>/dev/null
IDENT=$(openssl x509 -in "$WORK/ca.pem" -outform DER | openssl dgst -sha1 -binary |
	openssl base64 -A | tr '+/' '-_' | tr -d '=')
DN="CN=Test CA,O=Example,C=SE"
BIG=1461501637330902918203684832716283019655932542975	# 2^160 - 1
PW=$(openssl rand -hex 16)

# The role's password goes through standard input, never an argument.
psql_su -d postgres <<SQL
CREATE ROLE ocsp LOGIN PASSWORD '$PW';
CREATE DATABASE ca;
SQL
psql_su -d ca <<SQL
$PRESET_SCHEMA
INSERT INTO certificate (cert_key, issuer_identifier, status, reason_code,
  revocation_time, invalidity_time, hold_instruction_code, notafter) VALUES
  (1, '$IDENT', 'ISSUED', NULL, NULL, NULL, NULL, 2000000000),
  (2, '$IDENT', 'REVOKED', 'keyCompromise', 1700000000, 1699990000, NULL, 2000000000),
  (3, '$IDENT', 'HOLD', 'certificateHold', 1700000100, NULL, 'holdInstructionReject', NULL),
  (4, '$IDENT', 'CRL_ISSUANCE_PENDING', 'superseded', 1700000200, NULL, NULL, NULL),
  (5, '$IDENT', 'UNKNOWN', NULL, NULL, NULL, NULL, NULL),
  (6, '$IDENT', 'ISSUED', NULL, NULL, NULL, NULL, 2000000000),
  ($BIG, '$IDENT', 'ISSUED', NULL, NULL, NULL, NULL, 2000000000),
  (1, 'someone-else', 'REVOKED', 'keyCompromise', 1700000000, NULL, NULL, NULL),
  (7, 'someone-else', 'ISSUED', NULL, NULL, NULL, NULL, NULL),
  (8, 'broken', 'ISSUED', NULL, NULL, NULL, NULL, NULL),
  (9, 'broken', 'VALID', NULL, NULL, NULL, NULL, NULL);
INSERT INTO CertificateData (fingerprint, issuerDN, serialNumber, status,
  revocationDate, revocationReason, expireDate) VALUES
  ('a', '$DN', '10', 20, -1, -1, 2000000000000),
  ('b', '$DN', '12', 40, 1700000000123, 1, 2000000000000),
  ('c', '$DN', '16', 60, 1700000003000, 4, 1000000000000),
  ('d', '$DN', '14', 60, -1, -1, 1000000000000),
  ('e', '$DN', '$BIG', 21, -1, -1, 2000000000000),
  ('f', 'CN=Other CA,O=Example,C=SE', '10', 40, 1700000000000, 1, 2000000000000);
GRANT SELECT ON certificate, CertificateData TO ocsp;
SQL

URI="postgresql://ocsp@127.0.0.1:$PORT/ca"
PWFILE=$WORK/pw
printf '%s\n' "$PW" > "$PWFILE"
chmod 600 "$PWFILE"

# run PRESET COMMANDS [VAR=VALUE...]: the driver once, commands on stdin.
run() {
	local preset=$1 cmds=$2
	shift 2
	printf '%s\n' "$cmds" | env "$@" "$SQL_CHECK" "$URI" "$preset" "$WORK/ca.pem" 2>"$WORK/warn" || true
}

log "OpenXPKI: every record of this CA, password from a file"
out=$(run openxpki read SQL_PASSWORD_FILE="$PWFILE")
check "the name carries no password" contains "$out" "name sql:postgresql://ocsp@127.0.0.1:$PORT/ca"
check "six records (UNKNOWN and another CA's rows left out)" contains "$out" "read 6"
check "issued: good, with its expiry" contains "$out" "rec 01 good 255 0 0 0 2000000000"
check "revoked: keyCompromise, times" contains "$out" "rec 02 revoked 1 0 1700000000 1699990000 2000000000"
check "hold: certificateHold, reject" contains "$out" "rec 03 revoked 6 3 1700000100 0 0"
check "CRL_ISSUANCE_PENDING: revoked" contains "$out" "rec 04 revoked 4 0 1700000200 0 0"
check "a 20-octet numeric(49,0) serial, exact" contains "$out" \
	"rec FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF good 255 0 0 0 2000000000"
check "serial 07 of another CA is not there" bash -c "! grep -q '^rec 07 ' <<<'$out'"

log "EJBCA: issuerDN computed as EJBCA writes it, password from the environment"
out=$(run ejbca read SQL_PASSWORD_ENV=OCSP_TEST_PW OCSP_TEST_PW="$PW")
check "five records of this issuer" contains "$out" "read 5"
check "active: good, expiry from milliseconds" contains "$out" "rec 0A good 255 0 0 0 2000000000"
check "revoked: milliseconds to seconds" contains "$out" "rec 0C revoked 1 0 1700000000 0 2000000000"
check "archived and revoked: revoked" contains "$out" "rec 10 revoked 4 0 1700000003 0 1000000000"
check "archived, never revoked: good" contains "$out" "rec 0E good 255 0 0 0 1000000000"
check "20-octet varchar serial" contains "$out" "rec FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF good"

log "the password in the URI itself"
out=$(printf 'lookup 2\n' | "$SQL_CHECK" "postgresql://ocsp:$PW@127.0.0.1:$PORT/ca" openxpki "$WORK/ca.pem" 2>&1 || true)
check "URI password: connects" contains "$out" "found revoked reason=1"
check "URI password: not in the name" bash -c "! grep -q '$PW' <<<'$out'"

log "a wrong password"
WRONG=wrong-$PW
out=$(run openxpki read SQL_PASSWORD_ENV=OCSP_TEST_PW OCSP_TEST_PW="$WRONG")
check "wrong password: refused at open" contains "$out" "open-error sql:postgresql://ocsp@127.0.0.1:$PORT/ca"
check "wrong password: says why" contains "$out" "password authentication failed"
check "wrong password: not in the message" bash -c "! grep -q -- '$WRONG' <<<'$out'"
out=$(run openxpki read)
check "no password at all: refused" contains "$out" "open-error"

log "a malformed row stops the read, named"
out=$(run openxpki read SQL_PASSWORD_FILE="$PWFILE" SQL_ISSUER=broken)
check "malformed row: named with source, row and serial" contains "$out" \
	"error sql:postgresql://ocsp@127.0.0.1:$PORT/ca: row"
check "malformed row: the status quoted" contains "$out" "(serial 9): status 'VALID'"

log "live look-ups across a restart, and the TTL"
mkfifo "$WORK/in"
SQL_PASSWORD_FILE=$PWFILE SQL_TTL=2 "$SQL_CHECK" "$URI" openxpki "$WORK/ca.pem" \
	<"$WORK/in" >"$WORK/live.out" 2>"$WORK/live.err" &
DRIVER=$!
PIDS+=("$DRIVER")
exec 7>"$WORK/in"
lines() { wc -l <"$WORK/live.out"; }
more_than() { [ "$(lines)" -gt "$1" ]; }
# The driver is up once it has said its name.
wait_for 20 more_than 0 || fail "the live driver did not start"
# ask COMMAND: sends it and sets REPLY to the driver's answer.
ask() {
	local n
	n=$(lines)
	echo "$1" >&7
	wait_for 20 more_than "$n" || { REPLY="(no answer)"; return 0; }
	REPLY=$(tail -1 "$WORK/live.out")
}
ask "lookup 2"; check "live: revoked" contains "$REPLY" "found revoked reason=1 hold=0 revoked_at=1700000000"
ask "lookup 1"; check "live: good" contains "$REPLY" "found good"
ask "lookup 5"; check "live: UNKNOWN is absent" contains "$REPLY" "absent"
ask "lookup 7"; check "live: another CA's serial is absent" contains "$REPLY" "absent"
ask "lookup $BIG"; check "live: the 20-octet serial" contains "$REPLY" "found good"

ask "lookup 6"; check "TTL: good first" contains "$REPLY" "found good"
psql_su -d ca -c "UPDATE certificate SET status = 'REVOKED', reason_code = 'cessationOfOperation', revocation_time = 1700000900 WHERE cert_key = 6"
ask "lookup 6"; check "TTL: still the cached good" contains "$REPLY" "found good"
sleep 3
ask "lookup 6"; check "TTL: revoked once it passed" contains "$REPLY" "found revoked reason=5 hold=0 revoked_at=1700000900"

pg_stop
ask "lookup 4"; check "stopped: SOURCE_DOWN, never an answer" contains "$REPLY" "down sql:postgresql://ocsp@127.0.0.1:$PORT/ca"
ask "health"; check "stopped: one outage, down" contains "$REPLY" "health outages=1 down=1"
ask "lookup 3"; check "stopped: still down" contains "$REPLY" "down"
check "stopped: warned once" test "$(grep -c 'database down' "$WORK/live.err")" -eq 1
pg_start
recovered() { ask "lookup 4"; case "$REPLY" in found*) return 0 ;; *) return 1 ;; esac; }
check "restarted: answers again within the back-off" wait_for 45 recovered
check "restarted: the answer" contains "$REPLY" "found revoked reason=4"
ask "health"; check "restarted: up, still one outage" contains "$REPLY" "health outages=1 down=0"
check "restarted: warned it is back" grep -q "database answers again" "$WORK/live.err"
check "no password in anything the driver said" bash -c "! grep -q -- '$PW' '$WORK/live.out' '$WORK/live.err'"
exec 7>&-
wait_for 10 gone "$DRIVER" || true

finish
