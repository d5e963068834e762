#!/usr/bin/env bash
# Sharded publishers (--shard K/N): three runs, each with its own local
# tree, into one WebDAV origin (nginx) cover every certificate exactly
# once, by the documented partition (1 + SHA-256(serial)[0:8] mod N);
# each shard changes and deletes only its own objects, writes its own
# marker, and a local tree made with another partition is refused. Then
# two shards into one bucket of a real S3 server (s3.sh): the same, and a
# shard that lost its manifest rebuilds it from the listing without
# deleting the other shard's objects.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/s3.sh"

CA=$WORK/ca
make_ca "$CA" ec
S1=$(issue "$CA" leaf1)
S2=$(issue "$CA" leaf2)
issue_many "$CA" 60
DIR=$(issuer_dir "$CA/ca.pem")
TOTAL=$(wc -l <"$CA/index.txt")
start_dav "$WORK/nginx" || { fail "nginx did not start"; finish; }

# shard K [ARGS...]: publishes shard K of 3 with its own local tree.
shard() {
	local k=$1
	shift
	"$PUBLISHER" --no-progress --index "$CA/index.txt" --issuer "$CA/ca.pem" \
		--signer "$CA/ca.pem" --key "$CA/ca.key" --out "$WORK/state$k" \
		--upload "$DAV_URL" --shard "$k/3" "$@"
}
# owner SERIAL [N]: the shard of SERIAL among N (3), by TREE.md's formula.
owner() {
	python3 -c 'import hashlib, sys
b = bytes.fromhex(sys.argv[1]).lstrip(b"\0") or b"\0"
print(1 + int.from_bytes(hashlib.sha256(b).digest()[:8], "big") % int(sys.argv[2]))' "$1" "${2:-3}"
}
# responses DIR: the response names in an issuer directory, sorted.
responses() { find "$1" -maxdepth 1 -type f -regex '.*/[0-9A-F]+' -printf '%f\n' | sort; }
# sums: the origin's responses with their SHA-256, one per line.
sums() { (cd "$DAV_ROOT/$DIR" && responses . | xargs sha256sum); }
serials() { cut -f4 "$CA/index.txt" | sort; }

log "three shards, each with its own local tree, into one origin"
for k in 1 2 3; do
	out=$(shard "$k" 2>&1) && rc=0 || rc=$?
	check "shard $k/3 publishes and uploads (exit 0)" test "$rc" = 0
	check "... says which part it took" contains "$out" "shard $k/3: "
	check "... of $TOTAL certificates" contains "$out" " of $TOTAL certificates"
done
check "the origin holds one response per certificate ($TOTAL)" \
	test "$(responses "$DAV_ROOT/$DIR" | wc -l)" = "$TOTAL"
check "... exactly the serials of the index" \
	diff <(responses "$DAV_ROOT/$DIR") <(serials)
bad=0
while read -r s; do
	v=$(openssl ocsp -respin "$DAV_ROOT/$DIR/$s" -issuer "$CA/ca.pem" -CAfile "$CA/ca.pem" \
		-serial "0x$s" 2>&1) || true
	case "$v" in *"Response verify OK"*"0x$s: good"*) ;; *) bad=$((bad + 1)); echo "$s: $v" | head -3 ;; esac
done < <(serials)
check "every one verifies with openssl ocsp -respin, good ($bad bad)" test "$bad" = 0
all=$(for k in 1 2 3; do responses "$WORK/state$k/$DIR"; done | sort)
check "no serial in two shards' local trees" test -z "$(uniq -d <<<"$all")"
check "... and together all of them" diff <(echo "$all") <(serials)
wrong=0
for k in 1 2 3; do
	for s in $(responses "$WORK/state$k/$DIR"); do
		[ "$(owner "$s")" = "$k" ] || wrong=$((wrong + 1))
	done
	n=$(responses "$WORK/state$k/$DIR" | wc -l)
	check "shard $k holds a fair part ($n of $TOTAL)" test "$n" -ge 5
	check "... its status.idx only that part" \
		test "$(( ($(stat -c %s "$WORK/state$k/$DIR/status.idx") - 64) / 80 ))" = "$n"
	check "its marker shards/$k-of-3 is on the origin" test -f "$DAV_ROOT/shards/$k-of-3"
	check "... the local marker, saying its part" \
		bash -c "cmp -s '$DAV_ROOT/shards/$k-of-3' '$WORK/state$k/generation' &&
			grep -qx 'shard = $k/3' '$WORK/state$k/generation'"
done
check "each serial is in the shard TREE.md's formula names ($wrong elsewhere)" test "$wrong" = 0
check "no shard wrote a root generation on the origin" test ! -e "$DAV_ROOT/generation"
check "issuer.meta is on the origin" test -f "$DAV_ROOT/$DIR/issuer.meta"
check "status.idx is not" test ! -e "$DAV_ROOT/$DIR/status.idx"
check "the shards' markers are the last PUTs" \
	test "$(grep PUT "$WORK/nginx/logs/access.log" | tail -1)" = "PUT /dav/ocsp/shards/3-of-3 201"

log "a revocation: only its shard runs, exactly that object changes"
K1=$(owner "$S1")
revoke "$CA" "$S1" -crl_reason keyCompromise
sums > "$WORK/before"
: > "$WORK/nginx/logs/access.log"
out=$(shard "$K1" 2>&1) && rc=0 || rc=$?
check "shard $K1 (the revoked one's) exits 0" test "$rc" = 0
check "... sends the response, issuer.meta and its marker" contains "$out" "3 uploaded"
sums > "$WORK/after"
changed=$( (diff "$WORK/before" "$WORK/after" || true) | sed -n 's/^> [0-9a-f]*  //p' | tr '\n' ' ')
check "exactly $S1 changed on the origin ($changed)" test "$changed" = "$S1 "
check "... the PUTs: it, issuer.meta, shards/$K1-of-3" test \
	"$(sed -n 's/^PUT \(.*\) 20[14]$/\1/p' "$WORK/nginx/logs/access.log" | tr '\n' ' ')" = \
	"/dav/ocsp/$DIR/$S1 /dav/ocsp/$DIR/issuer.meta /dav/ocsp/shards/$K1-of-3 "
v=$(openssl ocsp -respin "$DAV_ROOT/$DIR/$S1" -issuer "$CA/ca.pem" -CAfile "$CA/ca.pem" \
	-serial "0x$S1" 2>&1) || true
check "... and says revoked" contains "$v" "0x$S1: revoked"
for k in 1 2 3; do
	[ "$k" = "$K1" ] && continue
	out=$(shard "$k" 2>&1) && rc=0 || rc=$?
	check "shard $k has nothing to send" contains "$out" "0 uploaded, "
done

log "a certificate removed: only its shard deletes it"
K2=$(owner "$S2")
grep -v "	$S2	" "$CA/index.txt" > "$WORK/idx" && cp "$WORK/idx" "$CA/index.txt"
for k in 1 2 3; do
	[ "$k" = "$K2" ] && continue
	out=$(shard "$k" 2>&1) && rc=0 || rc=$?
	check "shard $k (not its owner): exit 0, nothing deleted" contains "$out" " 0 deleted, 0 failed"
	check "... the object stays" test -f "$DAV_ROOT/$DIR/$S2"
done
out=$(shard "$K2" 2>&1) && rc=0 || rc=$?
check "shard $K2 (its owner) deletes it" contains "$out" " 1 deleted, 0 failed"
check "... it is gone from the origin" test ! -e "$DAV_ROOT/$DIR/$S2"
check "the origin holds one response per certificate again ($((TOTAL - 1)))" \
	diff <(responses "$DAV_ROOT/$DIR") <(serials)

log "another partition against an existing local tree is refused"
cp "$WORK/state1/generation" "$WORK/gen1"
sums > "$WORK/before"
out=$("$PUBLISHER" --no-progress --index "$CA/index.txt" --issuer "$CA/ca.pem" \
	--signer "$CA/ca.pem" --key "$CA/ca.key" --out "$WORK/state1" --upload "$DAV_URL" \
	--shard 1/2 --force 2>&1) && rc=0 || rc=$?
check "--shard 1/2 on shard 1/3's tree: exit 1" test "$rc" = 1
check "... saying what it holds and how to re-shard" \
	contains "$out" "holds shard 1/3 of a sharded publication, this run is shard 1/2"
check "... (TREE.md)" contains "$out" "To re-shard, run the old shards a last time"
check "... nothing changed locally" cmp -s "$WORK/gen1" "$WORK/state1/generation"
sums > "$WORK/after"
check "... nor on the origin" cmp -s "$WORK/before" "$WORK/after"
check "... no marker for a shard of 2" test ! -e "$DAV_ROOT/shards/1-of-2"
out=$("$PUBLISHER" --no-progress --index "$CA/index.txt" --issuer "$CA/ca.pem" \
	--signer "$CA/ca.pem" --key "$CA/ca.key" --out "$WORK/state1" 2>&1) && rc=0 || rc=$?
check "unsharded on a shard's tree: exit 1" test "$rc" = 1
check "... saying so" contains "$out" "this run is not sharded"
"$PUBLISHER" --no-progress --index "$CA/index.txt" --issuer "$CA/ca.pem" \
	--signer "$CA/ca.pem" --key "$CA/ca.key" --out "$WORK/plain" -q
out=$("$PUBLISHER" --no-progress --index "$CA/index.txt" --issuer "$CA/ca.pem" \
	--signer "$CA/ca.pem" --key "$CA/ca.key" --out "$WORK/plain" --shard 2/3 2>&1) && rc=0 || rc=$?
check "--shard 2/3 on an unsharded tree: exit 1" test "$rc" = 1
check "... saying so" contains "$out" "holds an unsharded tree, this run is shard 2/3"
check "the unsharded marker has no shard key" bash -c "! grep -q '^shard' '$WORK/plain/generation'"
for bad in 0/3 4/3 1/1025 x; do
	out=$(shard 1 --shard "$bad" 2>&1) && rc=0 || rc=$?
	check "--shard $bad: exit 1" test "$rc" = 1
	check "... named" contains "$out" "is not K/N with 1 <= K <= N <= 1024"
done

log "two shards into one S3 bucket, each with its own --state"
start_s3
export AWS_ACCESS_KEY_ID=$S3_KEY AWS_SECRET_ACCESS_KEY=$S3_SECRET
# s3shard K [ARGS...]: shard K of 2 into s3://$BUCKET/ocsp.
s3shard() {
	local k=$1
	shift
	"$PUBLISHER" --no-progress --index "$CA/index.txt" --issuer "$CA/ca.pem" \
		--signer "$CA/ca.pem" --key "$CA/ca.key" --out "s3://$BUCKET/ocsp" \
		--state "$WORK/s3state$k" --s3-endpoint "http://127.0.0.1:$S3PORT" --shard "$k/2" "$@"
}
# s3responses: the response names the bucket holds for the issuer.
s3responses() {
	find "$S3DATA/$BUCKET/ocsp/$DIR" -maxdepth 1 -name '*._S3rver_object' -printf '%f\n' |
		sed 's/\._S3rver_object$//' | grep -E '^[0-9A-F]+$' | sort
}
s3obj() { echo "$S3DATA/$BUCKET/ocsp/$1._S3rver_object"; }
TOTAL=$(wc -l <"$CA/index.txt")
for k in 1 2; do
	out=$(s3shard "$k" 2>&1) && rc=0 || rc=$?
	check "shard $k/2 into the bucket (exit 0)" test "$rc" = 0
	echo "$out" | tail -1
done
check "the bucket holds one response per certificate ($TOTAL)" diff <(s3responses) <(serials)
all=$(for k in 1 2; do responses "$WORK/s3state$k/$DIR"; done | sort)
check "each in exactly one shard's tree" test -z "$(uniq -d <<<"$all")"
bad=0
for k in 1 2; do
	for s in $(responses "$WORK/s3state$k/$DIR"); do
		[ "$(owner "$s" 2)" = "$k" ] && cmp -s "$(s3obj "$DIR/$s")" "$WORK/s3state$k/$DIR/$s" ||
			bad=$((bad + 1))
	done
done
check "every object is its owner's response, byte for byte ($bad not)" test "$bad" = 0
for k in 1 2; do
	check "marker shards/$k-of-2 in the bucket is shard $k's, saying its part" \
		bash -c "cmp -s '$(s3obj "shards/$k-of-2")' '$WORK/s3state$k/generation' &&
			grep -qx 'shard = $k/2' '$(s3obj "shards/$k-of-2")'"
done
check "no root generation in the bucket" test ! -e "$(s3obj generation)"

# A certificate of shard 1, removed from the index.
for s in $(responses "$WORK/s3state1/$DIR"); do G=$s; break; done
grep -v "	$G	" "$CA/index.txt" > "$WORK/idx" && cp "$WORK/idx" "$CA/index.txt"
out=$(s3shard 2 2>&1) && rc=0 || rc=$?
check "shard 2 after a removal in shard 1: exit 0, nothing deleted" contains "$out" " 0 deleted, 0 failed"
check "... $G stays in the bucket" test -e "$(s3obj "$DIR/$G")"
gen2=$(cat "$(s3obj shards/2-of-2)")
rm -f "$WORK"/s3state2/.target/*.manifest
out=$(s3shard 2 --force 2>&1) && rc=0 || rc=$?
check "shard 2 without its manifest (rebuilt from the listing) and re-signing: exit 0" test "$rc" = 0
check "... deletes nothing of shard 1's" contains "$out" " 0 deleted, 0 failed"
check "... counting shard 1's objects foreign" contains "$out" "foreign, left alone"
check "... $G still there" test -e "$(s3obj "$DIR/$G")"
check "... its new marker sent" test "$(cat "$(s3obj shards/2-of-2)")" != "$gen2"
check "... and shard 1's marker left alone" cmp -s "$(s3obj shards/1-of-2)" "$WORK/s3state1/generation"
# Shard 1 lost its manifest too: the listing alone must tell its removed
# certificate (its serial is shard 1's) from shard 2's objects.
rm -f "$WORK"/s3state1/.target/*.manifest
out=$(s3shard 1 2>&1) && rc=0 || rc=$?
check "shard 1, its manifest rebuilt from the listing, deletes its removed certificate" \
	contains "$out" " 1 deleted, 0 failed"
check "... gone from the bucket" test ! -e "$(s3obj "$DIR/$G")"
check "the bucket holds one response per certificate again ($((TOTAL - 1)))" \
	diff <(s3responses) <(serials)
bad=0
for k in 1 2; do
	for s in $(responses "$WORK/s3state$k/$DIR"); do
		cmp -s "$(s3obj "$DIR/$s")" "$WORK/s3state$k/$DIR/$s" || bad=$((bad + 1))
	done
done
check "... each its owner's current response ($bad not)" test "$bad" = 0
stop_s3

finish
