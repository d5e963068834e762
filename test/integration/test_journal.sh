#!/usr/bin/env bash
# The publisher's operations outputs against a CA made by the openssl CLI:
# the audit journal (its chain after runs with a revocation and a removal,
# an edited, a removed and a renamed journal detected, retention keeping
# the chain verifiable, a run killed with SIGKILL leaving a complete
# journal or none), the textfile metrics checked by promtool with exact
# values after known runs (and a failed run keeping the last success), and
# the warning about responses that expire before the next run.
source "$(dirname "$0")/lib.sh"

EDGE_SH=${EDGE_SH:-$(cd "$(dirname "$0")/../.." && pwd)/contrib/rsync-to-edge.sh}

CA=$WORK/ca
T=$WORK/tree
J=$T/.journal
M=$WORK/textfile/ocsp_publisher.prom
mkdir -p "$WORK/textfile"
make_ca "$CA" ec
S1=$(issue "$CA" leaf1)
S2=$(issue "$CA" leaf2)
S3=$(issue "$CA" leaf3)
DIR=$(issuer_dir "$CA/ca.pem")

# conf [EXTRA-PUBLISHER-LINES...]: the configuration, rewritten.
conf() {
	{
		echo "tree = $T"
		echo "[publisher]"
		echo "metrics_file = $M"
		printf '%s\n' "$@"
		echo "[ca demo]"
		echo "index = $CA/index.txt"
		echo "issuer = $CA/ca.pem"
		echo "signer = $CA/ca.pem"
		echo "key = $CA/ca.key"
	} > "$WORK/ocsp.conf"
}
publish() { "$PUBLISHER" --no-progress --config "$WORK/ocsp.conf" "$@"; }
verify() { "$PUBLISHER" --config "$WORK/ocsp.conf" --journal-verify "$@" 2>&1; }
# metric NAME: its value for ca="demo" (or without labels) in the file.
metric() { awk -v n="$1" '$1 == n || $1 == n "{ca=\"demo\"}" { print $2 }' "$M"; }
promtool_ok() { promtool check metrics < "$M"; }
njournals() { find "$J" -maxdepth 1 -name '[0-9]*.gz' | wc -l; }

log "three runs: three signed, then a revocation, then a removal"
conf
out=$(publish)
check "first run signs three" contains "$out" "3 signed, 0 unchanged, 0 removed"
check "the metrics file passes promtool" promtool_ok
check "signed{ca=demo} is 3" test "$(metric ocsp_publisher_responses_signed)" = 3
check "unchanged is 0" test "$(metric ocsp_publisher_responses_unchanged)" = 0
check "removed is 0" test "$(metric ocsp_publisher_responses_removed)" = 0
check "errors is 0" test "$(metric ocsp_publisher_errors)" = 0
check "the CA succeeded" test "$(metric ocsp_publisher_ca_success)" = 1
check "three signatures" test "$(metric ocsp_publisher_signatures)" = 3
check "exit code 0" test "$(metric ocsp_publisher_run_exit_code)" = 0
first_success=$(metric ocsp_publisher_last_success_timestamp_seconds)
check "last success is this run's end" test "$first_success" = \
	"$(metric ocsp_publisher_run_timestamp_seconds)"
na=$(date -d "$(openssl x509 -in "$CA/ca.pem" -noout -enddate | cut -d= -f2)" +%s)
check "signer expiry is the certificate's notAfter" test \
	"$(metric ocsp_publisher_signer_not_after_timestamp_seconds)" = "$na"
check "no expiry gauge without run_interval" test -z \
	"$(metric ocsp_publisher_responses_expiring_before_next_run)"

revoke "$CA" "$S2" -crl_reason keyCompromise
sleep 1	# a later last-success time
out=$(publish)
check "second run re-signs the revoked one" contains "$out" "1 signed, 2 unchanged, 0 removed"
check "metrics: 1 signed, 2 unchanged" test \
	"$(metric ocsp_publisher_responses_signed)/$(metric ocsp_publisher_responses_unchanged)" = 1/2
second_success=$(metric ocsp_publisher_last_success_timestamp_seconds)
check "last success moved on" test "$second_success" -gt "$first_success"

grep -v "	$S3	" "$CA/index.txt" > "$WORK/index.new" && mv "$WORK/index.new" "$CA/index.txt"
out=$(publish)
check "third run removes one" contains "$out" "0 signed, 2 unchanged, 1 removed"
check "metrics: removed is 1" test "$(metric ocsp_publisher_responses_removed)" = 1
check "promtool still happy" promtool_ok

log "the journal of those runs"
check "three journal files" test "$(njournals)" -eq 3
check "they are gzip" test "$(head -c2 "$J/000000000001.gz" | od -An -tx1 | tr -d ' ')" = 1f8b
check "the journal directory is private" test "$(stat -c %a "$J")" = 700
out=$(verify)
check "the chain verifies" contains "$out" "3 files, runs 1..3, chain intact"
check "run 2 is listed with its counts" contains "$out" "run 2 (000000000002.gz): generation 2"
check "run 3 removed one" contains "$out" "ok, 0 signed, 1 removed"
out=$(verify --serial "$S2")
check "--serial: run 1 signed it good" contains "$out" "run 1 (generation 1,"
check "--serial: run 1's line" contains "$out" "ca demo signed $S2 good"
check "--serial: run 2 signed it revoked with the reason" contains "$out" \
	"ca demo signed $S2 revoked keyCompromise"
resp_sha=$(sha256sum "$T/$DIR/$S2" | cut -d' ' -f1)
check "--serial: the response's SHA-256 is the file's" contains \
	"$(grep 'revoked' <<<"$out")" "sha1-response-sha256 $resp_sha"
signer_fpr=$(openssl x509 -in "$CA/ca.pem" -outform DER | sha256sum | cut -d' ' -f1)
check "--serial: the signer fingerprint" contains "$out" "signer $signer_fpr"
tu=$(openssl ocsp -respin "$T/$DIR/$S2" -resp_text -noverify 2>/dev/null |
	awk -F': ' '/This Update/{print $2; exit}')
check "--serial: thisUpdate as in the response" contains "$out" \
	"thisUpdate $(date -u -d "$tu" +%Y-%m-%dT%H:%M:%SZ)"
out=$(verify --serial "$S3")
check "--serial: the removal of $S3 in run 3" contains "$out" "run 3 (generation 3,"
check "--serial: its line" contains "$out" "ca demo removed $S3"
check "a serial never signed" contains "$(verify --serial 0BADBEEF)" "nothing for that serial"
check "--serial needs --journal-verify" bash -c "! '$PUBLISHER' --config '$WORK/ocsp.conf' \
	--serial 01 2>/dev/null"

log "journals are kept out of what is synced"
check "rsync-to-edge copies the tree" bash "$EDGE_SH" -q --lock "$WORK/edge.lock" "$T" "$WORK/edge"
check "the edge has the responses" test -f "$WORK/edge/$DIR/$S1"
check "but no journal" test ! -e "$WORK/edge/.journal"
check "and no last-success state" test ! -e "$WORK/edge/.last-success"

log "an edited journal is detected"
cp "$J/000000000002.gz" "$WORK/saved.gz"
zcat "$WORK/saved.gz" | sed "s/ $S2 revoked keyCompromise / $S2 good - /" | gzip > "$J/000000000002.gz"
check "the edit changed the file" bash -c "! cmp -s '$WORK/saved.gz' '$J/000000000002.gz'"
out=$(verify) && rc=0 || rc=$?
check "verify fails with 2" test "$rc" -eq 2
check "and says the next file's prev does not match" contains "$out" \
	"000000000003.gz: its prev is not the SHA-256"
cp "$WORK/saved.gz" "$J/000000000002.gz"
check "restored, the chain verifies again" contains "$(verify)" "chain intact"

log "a removed journal is detected"
mv "$J/000000000002.gz" "$WORK/saved.gz"
out=$(verify) && rc=0 || rc=$?
check "verify fails with 2" test "$rc" -eq 2
check "and names the gap" contains "$out" "journal 2..2 missing"
mv "$WORK/saved.gz" "$J/000000000002.gz"
mv "$J/000000000003.gz" "$WORK/saved.gz"
out=$(verify) && rc=0 || rc=$?
check "the newest removed: verify fails" test "$rc" -eq 2
check "the tree's marker is newer than the journal" contains "$out" \
	"the tree is at generation 3 but the newest journal is of generation 2"
mv "$WORK/saved.gz" "$J/000000000003.gz"
check "restored again" contains "$(verify)" "chain intact"

log "a failed run keeps the last success"
last=$(metric ocsp_publisher_last_success_timestamp_seconds)
cp "$CA/index.txt" "$WORK/index.good"
printf 'this is not an index line\n' >> "$CA/index.txt"
sleep 1
publish >/dev/null 2>&1 && rc=0 || rc=$?
check "the run fails on bad input (2)" test "$rc" -eq 2
check "promtool accepts the failed run's metrics" promtool_ok
check "the CA did not succeed" test "$(metric ocsp_publisher_ca_success)" = 0
check "one error" test "$(metric ocsp_publisher_errors)" = 1
check "exit code 2 in the metrics" test "$(metric ocsp_publisher_run_exit_code)" = 2
check "last success kept from the run before" test \
	"$(metric ocsp_publisher_last_success_timestamp_seconds)" = "$last"
cp "$WORK/index.good" "$CA/index.txt"
check "nothing was journaled for a run that did nothing" test "$(njournals)" -eq 3

log "responses expiring before the next run"
conf "run_interval = 5d"
out=$(publish 2>&1)
check "a warning names the count" contains "$out" \
	"ca demo: 2 responses expire before the next run (run_interval 432000 s)"
check "and the gauge says 2" test "$(metric ocsp_publisher_responses_expiring_before_next_run)" = 2
check "promtool with the gauge" promtool_ok
conf "run_interval = 1h"
out=$(publish 2>&1)
check "no warning when the next run comes in time" bash -c "! grep -q 'expire before' <<<'$out'"
check "and the gauge says 0" test "$(metric ocsp_publisher_responses_expiring_before_next_run)" = 0

log "retention keeps the chain verifiable"
check "five journals before" test "$(njournals)" -eq 5
conf "journal_keep_runs = 2"
out=$(publish)
check "the run says what it pruned" contains "$out" "journal: 4 old files removed"
check "two journals left" test "$(njournals)" -eq 2
check "an anchor" test -f "$J/anchor"
out=$(verify)
check "the pruned chain verifies from its anchor" contains "$out" \
	"2 files, runs 5..6 (older runs pruned, anchored), chain intact"
mv "$J/000000000005.gz" "$WORK/saved.gz"
out=$(verify) && rc=0 || rc=$?
check "removing the oldest kept one is detected" contains "$out" "journal 5..5 missing"
mv "$WORK/saved.gz" "$J/000000000005.gz"
conf "journal_keep_days = 1"
touch -d '3 days ago' "$J/000000000005.gz"
out=$(publish)
check "retention by age removes the old one" test ! -e "$J/000000000005.gz"
check "and the chain still verifies" contains "$(verify)" "chain intact"

log "a run killed with SIGKILL leaves a complete journal or none"
conf
issue_many "$CA" 20000
before=$(njournals)
"$PUBLISHER" --no-progress --config "$WORK/ocsp.conf" --force -j 1 >/dev/null 2>&1 &
pid=$!
PIDS+=("$pid")
check "the run opens its journal (a temp file)" wait_for 60 \
	bash -c "ls -A '$J' | grep -q '^\..*\.gz\.tmp$'"
sleep 0.3
kill -9 "$pid" 2>/dev/null || true
wait "$pid" 2>/dev/null || true
after=$(njournals)
check "no journal file was added, or one complete one" test "$after" -le $((before + 1))
out=$(verify) && rc=0 || rc=$?
check "every journal file in place verifies" test "$rc" -eq 0
check "the killed run's temp file is not a journal" contains "$out" "chain intact"
out=$(publish --force)
check "the next run completes" contains "$out" "20002 signed, 0 unchanged"
check "its temp files are gone" bash -c "! ls -A '$J' | grep -q '\.tmp$'"
check "the chain verifies after it" contains "$(verify)" "chain intact"
check "its journal lists every response" test \
	"$(zcat "$(ls "$J"/[0-9]*.gz | tail -1)" | grep -c '^signed ')" -eq 20002

finish
