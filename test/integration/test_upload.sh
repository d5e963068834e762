#!/usr/bin/env bash
# ocsp-publisher mirroring its tree to a real S3 server that verifies
# Signature V4 (@20minutes/s3rver, from npm, cached under the build tree)
# and to nginx's WebDAV module: bytes and headers of what lands there,
# only changes sent, deletions, a target killed mid-run, the marker last.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/s3.sh"

publish() { "$PUBLISHER" --no-progress "$@"; }
CA=$WORK/ca
T=$WORK/tree
make_ca "$CA" ec
S1=$(issue "$CA" leaf1)
S2=$(issue "$CA" leaf2)
S3=$(issue "$CA" leaf3)
issue_many "$CA" 300
DIR=$(issuer_dir "$CA/ca.pem")
single() { publish --index "$CA/index.txt" --issuer "$CA/ca.pem" --signer "$CA/ca.pem" \
	--key "$CA/ca.key" "$@"; }

start_s3
export AWS_ACCESS_KEY_ID=$S3_KEY AWS_SECRET_ACCESS_KEY=$S3_SECRET
S3ARGS=(--out "s3://$BUCKET/ocsp" --state "$T" --s3-endpoint "http://127.0.0.1:$S3PORT")

log "the S3 server checks signatures"
echo x > "$WORK/x"
code=$(s3get "nothing" "$WORK/get" "not-the-secret")
check "a wrong secret gets 403 from the server" test "$code" = 403

log "--out s3:// needs a local tree"
out=$(single --out "s3://$BUCKET/ocsp" 2>&1) && rc=0 || rc=$?
check "without --state: usage error" test "$rc" = 1
check "... saying so" contains "$out" "state_dir or --state DIR"

log "first run: everything goes up, signed"
out=$(single "${S3ARGS[@]}" 2>&1) && rc=0 || rc=$?
check "publishes and uploads (exit 0)" test "$rc" = 0
check "303 responses, issuer.meta and the marker uploaded" \
	contains "$out" "305 uploaded, 0 unchanged, 0 deleted, 0 failed, 0 not tried"
code=$(s3get "$DIR/$S1" "$WORK/get")
check "the response is there" test "$code" = 200
check "... byte for byte" cmp -s "$WORK/get" "$T/$DIR/$S1"
check "... as application/ocsp-response" test "$(header "$WORK/get.h" Content-Type)" = application/ocsp-response
cc=$(header "$WORK/get.h" Cache-Control)
check "... Cache-Control public, no-transform, must-revalidate" \
	contains "$cc" "public, max-age=3600, no-transform, must-revalidate"
check "... tagged for purges by tag: x-amz-meta-cache-tag (issuer's, certificate's)" \
	test "$(header "$WORK/get.h" x-amz-meta-cache-tag)" = "ocsp-$DIR,ocsp-$DIR-$S1"
check "... and x-amz-meta-surrogate-key" \
	test "$(header "$WORK/get.h" x-amz-meta-surrogate-key)" = "ocsp-$DIR ocsp-$DIR-$S1"
s3head "$DIR/$S1" "$WORK/head" >/dev/null
check "HEAD of the object returns both" bash -c "grep -qix 'x-amz-meta-cache-tag: ocsp-$DIR,ocsp-$DIR-$S1' <(tr -d '\r' <'$WORK/head.h') &&
	grep -qix 'x-amz-meta-surrogate-key: ocsp-$DIR ocsp-$DIR-$S1' <(tr -d '\r' <'$WORK/head.h')"
code=$(s3get generation "$WORK/gen")
check "the marker is there, the local one" cmp -s "$WORK/gen" "$T/generation"
check "... not cached" test "$(header "$WORK/gen.h" Cache-Control)" = no-cache
check "... and carries no tags" test -z "$(header "$WORK/gen.h" x-amz-meta-cache-tag)"
check "issuer.meta is there" test "$(s3get "$DIR/issuer.meta" "$WORK/meta")" = 200
check "status.idx is not" test "$(s3get "$DIR/status.idx" "$WORK/idx")" = 404
check "the manifest sits next to the tree" bash -c "ls '$T'/.target/*.manifest >/dev/null"

log "a wrong secret in the publisher"
before=$(stored)
out=$(AWS_SECRET_ACCESS_KEY=wrong single "${S3ARGS[@]}" --force 2>&1) && rc=0 || rc=$?
check "exits 3" test "$rc" = 3
check "names the refusal" contains "$out" "HTTP status 403 (SignatureDoesNotMatch)"
check "... and the counts" contains "$out" "0 uploaded"
check "... never the secret" bash -c "! grep -q wrong <<<'${out//\'/}'"
check "nothing was stored" test "$(stored)" = "$before"

log "an unchanged run sends nothing"
out=$(single "${S3ARGS[@]}" 2>&1) && rc=0 || rc=$?
# the forced run re-signed every response locally: they go up now, once
before=$(stored)
out=$(single "${S3ARGS[@]}" 2>&1) && rc=0 || rc=$?
check "exit 0" test "$rc" = 0
check "0 uploaded, all unchanged" contains "$out" "0 uploaded, 305 unchanged, 0 deleted, 0 failed"
check "the server took no PUT" test "$(stored)" = "$before"

log "one revocation: exactly that response, the metadata and the marker"
revoke "$CA" "$S2" -crl_reason keyCompromise
before=$(stored)
out=$(single "${S3ARGS[@]}" 2>&1) && rc=0 || rc=$?
check "exit 0" test "$rc" = 0
check "3 uploaded" contains "$out" "3 uploaded, 302 unchanged, 0 deleted"
sent=$(sed -n 's/.*Stored object "\([^"]*\)".*/\1/p' "$S3LOG" | tail -n +$((before + 1)) | sort | tr '\n' ' ')
check "... the revoked one, issuer.meta, then the marker ($sent)" \
	test "$sent" = "ocsp/$DIR/$S2 ocsp/$DIR/issuer.meta ocsp/generation "
last=$(sed -n 's/.*Stored object "\([^"]*\)".*/\1/p' "$S3LOG" | tail -1)
check "the marker came last" test "$last" = "ocsp/generation"
s3get "$DIR/$S2" "$WORK/get" >/dev/null
check "the server holds the new response" cmp -s "$WORK/get" "$T/$DIR/$S2"

log "a certificate gone from the index: its object is deleted"
grep -v "	$S3	" "$CA/index.txt" > "$WORK/idx.txt" && cp "$WORK/idx.txt" "$CA/index.txt"
out=$(single "${S3ARGS[@]}" 2>&1) && rc=0 || rc=$?
check "exit 0" test "$rc" = 0
check "1 deleted" contains "$out" "2 uploaded, 302 unchanged, 1 deleted, 0 failed"
check "the object is gone" test "$(s3get "$DIR/$S3" "$WORK/get")" = 404

log "the S3 server stopped in the middle of a large upload"
# 3000 more, with serials after issue_many's
python3 - "$CA/index.txt" <<'PY'
import sys
with open(sys.argv[1], "a") as f:
    for i in range(3000):
        f.write("V\t351224000000Z\t\t%08X\tunknown\t/CN=more%d\n" % (0x30000000 + i, i))
PY
objects() { find "$S3DATA/$BUCKET" -name '*._S3rver_object' | wc -l; }
before=$(stored)
single "${S3ARGS[@]}" --upload-concurrency 4 >"$WORK/killed.out" 2>&1 &
PUBPID=$!
some_stored() { [ $(($(stored) - before)) -ge 300 ]; }
wait_for 60 some_stored || true
stop_s3
wait "$PUBPID" && rc=0 || rc=$?
out=$(cat "$WORK/killed.out")
check "exit 3 when the target went away ($(($(stored) - before)) stored)" test "$rc" = 3
check "... with the counts" contains "$out" " failed, "
check "... and says to run again" contains "$out" "incomplete, run again"
up1=$(sed -n 's/.*: \([0-9]*\) uploaded.*/\1/p' <<<"$out")
check "... some but not all were uploaded ($up1)" test "${up1:-0}" -gt 0 -a "${up1:-0}" -lt 3000
start_s3 "$S3PORT"
out=$(single "${S3ARGS[@]}" 2>&1) && rc=0 || rc=$?
check "re-run after a restart completes (exit 0)" test "$rc" = 0
up2=$(sed -n 's/.*: \([0-9]*\) uploaded.*/\1/p' <<<"$out")
check "... sending only the rest ($up1 + $up2 >= 3002, $up2 < 3002)" \
	test $((up1 + up2)) -ge 3002 -a "$up2" -lt 3002
check "... 0 failed" contains "$out" " 0 failed, 0 not tried"
local_n=$(find "$T/$DIR" "$T/generation" -type f ! -name status.idx | wc -l)
check "the server holds exactly the local objects ($local_n)" test "$(objects)" = "$local_n"

log "credentials from a shared-credentials file"
printf '[default]\naws_access_key_id = nobody\naws_secret_access_key = x\n\n[profile ocsp]\naws_access_key_id = %s\naws_secret_access_key = %s\n' \
	"$S3_KEY" "$S3_SECRET" > "$WORK/creds"
chmod 600 "$WORK/creds"
revoke "$CA" "$S1"
out=$(env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY "$PUBLISHER" --no-progress \
	--index "$CA/index.txt" --issuer "$CA/ca.pem" --signer "$CA/ca.pem" --key "$CA/ca.key" \
	"${S3ARGS[@]}" --s3-credentials-file "$WORK/creds" 2>&1) && rc=0 || rc=$?
check "the default profile's key is refused by the server: exit 3" test "$rc" = 3
out=$(AWS_PROFILE=ocsp env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY "$PUBLISHER" \
	--no-progress --index "$CA/index.txt" --issuer "$CA/ca.pem" --signer "$CA/ca.pem" \
	--key "$CA/ca.key" "${S3ARGS[@]}" --s3-credentials-file "$WORK/creds" 2>&1) && rc=0 || rc=$?
check "profile ocsp (AWS_PROFILE) uploads" test "$rc" = 0
check "... the revoked response, meta and marker" contains "$out" "3 uploaded"
chmod 644 "$WORK/creds"
out=$(single "${S3ARGS[@]}" --s3-credentials-file "$WORK/creds" --check 2>&1) && rc=0 || rc=$?
check "a credentials file others may read is refused by --check" contains "$out" "others may read it"
stop_s3

log "GET keys on S3: raw names ('//', a '/' at the end), '+' as a space"
start_s3
KCA=$WORK/kca
make_ca "$KCA" ec "Keys CA"
KGOOD=$(issue "$KCA" kgood)
issue_many "$KCA" 300
# An FF FF FF octet triple on a 3-octet boundary is "////" in base64.
for s in 0123FFFFFFFFFF45 7EFFFFFFFFFFFF 55FFFFFFFFFFFFFFFF01; do
	printf 'V\t351224000000Z\t\t%s\tunknown\t/CN=special%s\n' "$s" "$s" >> "$KCA/index.txt"
done
KDIR=$(issuer_dir "$KCA/ca.pem")
KT=$WORK/ktree
cat > "$WORK/kpub.conf" <<CONF
[ca k]
issuer = $KCA/ca.pem
signer = $KCA/ca.pem
key = $KCA/ca.key
index = $KCA/index.txt
hashes = sha1 sha256
CONF
KARGS=(--no-progress -c "$WORK/kpub.conf" --state "$KT" --out "s3://$BUCKET/keys"
	--s3-endpoint "http://127.0.0.1:$S3PORT" --get-keys)
out=$("$PUBLISHER" "${KARGS[@]}" 2>&1) && rc=0 || rc=$?
check "publish --get-keys to S3 (exit 0)" test "$rc" = 0
echo "$out" | tail -2
# lookupd on the same tree, tagging its answers: the objects must carry
# the same tags (one function makes both, purge_tags).
printf 'tree = %s\n[lookupd]\ncache_tags = both\n' "$KT" > "$WORK/klookupd.conf"
start_lookupd -c "$WORK/klookupd.conf" || fail "lookupd on the keys tree"
# anon PATH OUT: an unsigned GET as a CDN in front of a public bucket
# sends it, the path as given; prints the status and content type.
anon() { curl -s --path-as-is -o "$2" -w '%{http_code} %{content_type}' \
	"http://127.0.0.1:$S3PORT/$BUCKET/keys/get/$1" || true; }
pct() { sed 's/+/%2B/g; s/\//%2F/g; s/=/%3D/g' <<<"$1"; }
kb64() { openssl base64 -A -in "$1"; }
serves() {
	local r
	r=$(anon "$1" "$WORK/kbody")
	[ "$r" = "200 application/ocsp-response" ] && cmp -s "$WORK/kbody" "$2" ||
		{ echo "  $1: $r"; return 1; }
}
for h in sha1 sha256; do
	file=$KT/$KDIR/$KGOOD
	[ "$h" = sha1 ] || file=$KT/$KDIR/$h/$KGOOD
	openssl ocsp -issuer "$KCA/ca.pem" -"$h" -cert "$KCA/$KGOOD.pem" -no_nonce \
		-reqout "$WORK/kr.der" >/dev/null
	raw=$(kb64 "$WORK/kr.der")
	check "$h: the raw GET path is served, byte for byte" serves "$raw" "$file"
	check "$h: the percent-encoded one too" serves "$(pct "$raw")" "$file"
	curl -s -o /dev/null -D "$WORK/kl.h" "$URL/$raw"
	curl -s -I -o /dev/null -D "$WORK/ks.h" "http://127.0.0.1:$S3PORT/$BUCKET/keys/get/$raw"
	lt=$(header "$WORK/kl.h" Cache-Tag)
	check "$h: the key's object carries lookupd's Cache-Tag for the request ($lt)" \
		test -n "$lt" -a "$(header "$WORK/ks.h" x-amz-meta-cache-tag)" = "$lt"
	check "$h: ... and its Surrogate-Key" test "$(header "$WORK/ks.h" x-amz-meta-surrogate-key)" = \
		"$(header "$WORK/kl.h" Surrogate-Key)"
	r=$(openssl ocsp -respin "$WORK/kbody" -issuer "$KCA/ca.pem" -"$h" -cert "$KCA/$KGOOD.pem" \
		-CAfile "$KCA/ca.pem" 2>&1 || true)
	check "$h: openssl verifies what S3 served" contains "$r" "Response verify OK"
	check "$h: ... good" contains "$r" "$KGOOD.pem: good"
done
# The bulk serials: every form of every key, '//', '+' and a '/' at the end.
ss=0 plus=0 tail=0 bad=0 n=0
for serial in $(for i in $(seq 0 299); do printf '%08X\n' $((0x20000000 + i)); done) \
	0123FFFFFFFFFF45 7EFFFFFFFFFFFF 55FFFFFFFFFFFFFFFF01; do
  for h in sha1 sha256; do
	file=$KT/$KDIR/$serial
	[ "$h" = sha1 ] || file=$KT/$KDIR/$h/$serial
	openssl ocsp -issuer "$KCA/ca.pem" -"$h" -serial "0x$serial" -no_nonce \
		-reqout "$WORK/kr.der" >/dev/null
	raw=$(kb64 "$WORK/kr.der")
	interesting=0
	case "$raw" in *//*) ss=$((ss + 1)); interesting=1 ;; esac
	case "$raw" in */) tail=$((tail + 1)); interesting=1 ;; esac
	case "$raw" in *+*) plus=$((plus + 1)); interesting=1 ;; esac
	[ "$interesting" = 1 ] || continue
	n=$((n + 1))
	serves "$raw" "$file" || bad=$((bad + 1))
	serves "$(pct "$raw")" "$file" || bad=$((bad + 1))
	# '+' sent as a space (%20): what AWS S3 makes of a literal '+'
	case "$raw" in *+*) serves "${raw//+/%20}" "$file" || bad=$((bad + 1)) ;; esac
  done
done
check "keys with '//' ($ss), a '/' at the end ($tail) and '+' ($plus) were among them" \
	test "$ss" -gt 0 -a "$tail" -gt 0 -a "$plus" -gt 0
check "each of their $n keys served in every spelling" test "$bad" = 0
before=$(stored)
out=$("$PUBLISHER" "${KARGS[@]}" 2>&1) && rc=0 || rc=$?
check "an unchanged run sends no key ($(($(stored) - before)) stored)" test "$(stored)" = "$before"
kobjects() { find "$S3DATA/$BUCKET/keys/get" -name '*._S3rver_object' | wc -l; }
nk=$(kobjects)
grep -v "	$KGOOD	" "$KCA/index.txt" > "$WORK/kidx.txt" && cp "$WORK/kidx.txt" "$KCA/index.txt"
out=$("$PUBLISHER" "${KARGS[@]}" 2>&1) && rc=0 || rc=$?
check "a removed certificate: exit 0" test "$rc" = 0
openssl ocsp -issuer "$KCA/ca.pem" -sha1 -cert "$KCA/$KGOOD.pem" -no_nonce -reqout "$WORK/kr.der" >/dev/null
check "... its keys are deleted ($nk -> $(kobjects))" test "$(anon "$(kb64 "$WORK/kr.der")" "$WORK/kbody" | cut -c1-3)" = 404

log "S3 listing: a lost manifest is rebuilt, strays go, foreign keys stay"
put() { curl -s -o /dev/null -w '%{http_code}' --aws-sigv4 "aws:amz:us-east-1:s3" \
	--user "$S3_KEY:$S3_SECRET" -H "x-amz-content-sha256: $(sha256sum "$2" | cut -c1-64)" \
	-T "$2" "http://127.0.0.1:$S3PORT/$BUCKET/keys/$1"; }
echo stray > "$WORK/stray"
check "a stray tree-shaped object put" test "$(put "$KDIR/0ABCDEF0" "$WORK/stray")" = 200
check "a foreign object put" test "$(put "notes/readme.txt" "$WORK/stray")" = 200
check "a foreign object under get/ put" test "$(put "get/not-a-key" "$WORK/stray")" = 200
rm -f "$KT"/.target/*.manifest
before=$(stored)
out=$("$PUBLISHER" "${KARGS[@]}" 2>&1) && rc=0 || rc=$?
check "without its manifest: exit 0" test "$rc" = 0
echo "$out" | tail -1
# s3rver keeps objects as files: it lists a key holding "//" collapsed,
# so those (and only those) go again; the collapsed names are not strays.
only_ss() { local k; for k in "$@"; do case "$k" in keys/generation|*//*) ;; *) echo "  sent: $k"; return 1 ;; esac; done; }
IFS=$'\n' read -r -d '' -a sentv < <(sed -n 's/.*Stored object "\([^"]*\)".*/\1/p' "$S3LOG" | tail -n +$((before + 1)); printf '\0') || true
check "nothing unchanged was sent (ETags matched the local MD5s): ${#sentv[@]} sent, the marker and keys with '//'" only_ss "${sentv[@]}"
check "... and nothing deleted but the stray" contains "$out" " 1 deleted, 0 failed"
check "... saying the manifest was rebuilt, two foreign objects kept" contains "$out" "(2 foreign, left alone)"
check "the stray object was deleted" \
	test ! -e "$S3DATA/$BUCKET/keys/$KDIR/0ABCDEF0._S3rver_object"
check "the foreign ones were kept" bash -c "[ -e '$S3DATA/$BUCKET/keys/notes/readme.txt._S3rver_object' ] && [ -e '$S3DATA/$BUCKET/keys/get/not-a-key._S3rver_object' ]"
check "the manifest is back" bash -c "ls '$KT'/.target/*.manifest >/dev/null"
echo 'garbage' > "$(ls "$KT"/.target/*.manifest)"
before=$(stored)
out=$("$PUBLISHER" "${KARGS[@]}" 2>&1) && rc=0 || rc=$?
IFS=$'\n' read -r -d '' -a sentv < <(sed -n 's/.*Stored object "\([^"]*\)".*/\1/p' "$S3LOG" | tail -n +$((before + 1)); printf '\0') || true
check "a damaged manifest is rebuilt from the listing too: exit 0" test "$rc" = 0
check "... sending nothing unchanged (${#sentv[@]})" only_ss "${sentv[@]}"
check "... deleting nothing" contains "$out" " 0 deleted, 0 failed"
bad=0
for serial in 0123FFFFFFFFFF45 7EFFFFFFFFFFFF 55FFFFFFFFFFFFFFFF01; do
	openssl ocsp -issuer "$KCA/ca.pem" -sha1 -serial "0x$serial" -no_nonce -reqout "$WORK/kr.der" >/dev/null
	serves "$(kb64 "$WORK/kr.der")" "$KT/$KDIR/$serial" || bad=$((bad + 1))
done
check "the keys with '//' are still served after both listings" test "$bad" = 0
stop_s3

log "WebDAV: nginx with dav_methods"
NG=$WORK/nginx
mkdir -p "$NG/logs" "$NG/www/dav" "$NG/tmp"
chmod 755 "$WORK" "$NG" "$NG/www"
[ "$(id -u)" = 0 ] && chown nobody "$NG/www/dav" "$NG/tmp"
NPORT=$(free_port)
cat > "$NG/nginx.conf" <<NGINX
worker_processes 1;
daemon off;
pid $NG/nginx.pid;
error_log $NG/logs/error.log;
events { worker_connections 64; }
http {
    log_format up '\$request_method \$uri \$status';
    access_log $NG/logs/access.log up;
    log_format tags '\$request_method \$uri [\$http_cache_tag] [\$http_surrogate_key]';
    access_log $NG/logs/tags.log tags;
    client_body_temp_path $NG/tmp;
    server {
        listen 127.0.0.1:$NPORT;
        root $NG/www;
        location /dav/ {
            dav_methods PUT DELETE MKCOL;
            create_full_put_path on;
            default_type application/ocsp-response;
        }
    }
}
NGINX
nginx -c "$NG/nginx.conf" -p "$NG" &
NGPID=$!
PIDS+=("$NGPID")
wait_for 10 curl -s -o /dev/null "http://127.0.0.1:$NPORT/" || true
DAV=http://127.0.0.1:$NPORT/dav/ocsp
out=$(single --out "$T" --upload "$DAV" 2>&1) && rc=0 || rc=$?
check "upload to WebDAV (exit 0)" test "$rc" = 0
n_local=$(find "$T/$DIR" "$T/generation" -type f ! -name status.idx | wc -l)
check "everything sent ($n_local)" contains "$out" "$n_local uploaded, 0 unchanged, 0 deleted, 0 failed"
curl -s -o "$WORK/get" "$DAV/$DIR/$S1"
check "a response byte for byte" cmp -s "$WORK/get" "$T/$DIR/$S1"
check "the same tree on the origin" diff -r -x status.idx -x '.*' "$T" "$NG/www/dav/ocsp"
check "MKCOL made the issuer directory" grep -q "MKCOL /dav/ocsp/$DIR/ 201" "$NG/logs/access.log"
check "the PUT of a response carried Cache-Tag and Surrogate-Key" \
	grep -qx "PUT /dav/ocsp/$DIR/$S1 \[ocsp-$DIR,ocsp-$DIR-$S1\] \[ocsp-$DIR ocsp-$DIR-$S1\]" "$NG/logs/tags.log"
check "... the marker's none" grep -qx "PUT /dav/ocsp/generation \[-\] \[-\]" "$NG/logs/tags.log"
check "nginx's dav module keeps no request header: GET of the object has no Cache-Tag (contrib/cdn)" \
	bash -c "! curl -s -D - -o /dev/null '$DAV/$DIR/$S1' | grep -qi '^Cache-Tag'"

mtime() { stat -c %.9Y "$1"; }
newest_other() { find "$NG/www/dav/ocsp" -type f ! -name generation -printf '%T@\n' | sort -n | tail -1; }
S4=$(issue "$CA" leaf4)
: > "$NG/logs/access.log"
out=$(single --out "$T" --upload "$DAV" 2>&1) && rc=0 || rc=$?
check "a new certificate: exit 0" test "$rc" = 0
check "... its response, the metadata and the marker" contains "$out" "3 uploaded"
check "the marker was the last PUT" contains "$(grep PUT "$NG/logs/access.log" | tail -1)" "PUT /dav/ocsp/generation 20"
check "... and is newest on disk" awk -v g="$(mtime "$NG/www/dav/ocsp/generation")" \
	-v o="$(newest_other)" 'BEGIN {exit !(g >= o)}'
grep -v "	$S4	" "$CA/index.txt" > "$WORK/idx.txt" && cp "$WORK/idx.txt" "$CA/index.txt"
out=$(single --out "$T" --upload "$DAV" 2>&1) && rc=0 || rc=$?
check "a removed certificate: exit 0, 1 deleted" contains "$out" "1 deleted, 0 failed"
check "... its file gone from the origin" test ! -e "$NG/www/dav/ocsp/$DIR/$S4"
check "... the origin matches the tree again" diff -r -x status.idx -x '.*' "$T" "$NG/www/dav/ocsp"

log "WebDAV with GET keys: get/ goes as the files it holds"
KDAV=http://127.0.0.1:$NPORT/dav/keys
: > "$NG/logs/access.log"
out=$("$PUBLISHER" --no-progress -c "$WORK/kpub.conf" --out "$KT" --upload "$KDAV" --get-keys 2>&1) && rc=0 || rc=$?
check "upload of a tree with get/ (exit 0)" test "$rc" = 0
check "get/ on the origin is the tree's" diff -r "$KT/get" "$NG/www/dav/keys/get"
# The log line is "MKCOL <uri> <status>", the uri decoded (keys hold spaces).
check "each level of a key was made by MKCOL after its parent" \
	awk '/^MKCOL/ { u = substr($0, 7, length($0) - 7 - length($NF)); p = u
		sub("[^/]*/$", "", p)
		if (p != "/dav/" && !(p in made)) { print "  before its parent: " u; bad = 1 }
		made[u] = 1 } END { exit bad }' "$NG/logs/access.log"
levels=$(awk '/^MKCOL/ { print gsub("/", "/") }' "$NG/logs/access.log" | sort -u | wc -l)
check "... on several levels ($levels)" test "$levels" -ge 4
openssl ocsp -issuer "$KCA/ca.pem" -sha1 -serial 0x20000001 -no_nonce -reqout "$WORK/kr.der" >/dev/null
curl -s -o "$WORK/kbody" "$KDAV/get/$(pct "$(kb64 "$WORK/kr.der")")"
check "a client's percent-encoded GET reaches the uploaded key" cmp -s "$WORK/kbody" "$KT/$KDIR/20000001"

finish
