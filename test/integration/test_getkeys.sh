#!/usr/bin/env bash
# GET keys (ocsp-publisher --get-keys, layout/TREE.md "GET keys"): plain
# nginx with no lookupd behind it answers openssl's SHA-1 and SHA-256 GET
# requests, raw and percent-encoded, with the tree's own response bytes,
# for both settings of merge_slashes and for keys holding "//" and '+';
# keys follow re-signing, removal and get_keys turned off; and
# contrib/nginx/ocsp-tree.conf serves the tree with lookupd behind it for
# what the tree cannot answer (POST, nonces).
source "$(dirname "$0")/lib.sh"

command -v nginx >/dev/null || { echo "FAIL: nginx is not installed"; exit 1; }

CA=$WORK/ca
make_ca "$CA" ec "GET keys CA"
GOOD=$(issue "$CA" good)
REV=$(issue "$CA" revoked)
revoke "$CA" "$REV" -crl_reason keyCompromise
issue_many "$CA" 300
# Serials whose requests hold "//" however they fall in the base64: an FF
# FF FF octet triple on a 3-octet boundary is "////".
SPECIAL="0123FFFFFFFFFF45 7EFFFFFFFFFFFF 55FFFFFFFFFFFFFFFF01"
for s in $SPECIAL; do
	printf 'V\t351224000000Z\t\t%s\tunknown\t/CN=special%s\n' "$s" "$s" >> "$CA/index.txt"
done
T=$WORK/tree
DIR=$(issuer_dir "$CA/ca.pem")
cat > "$WORK/pub.conf" <<CONF
[ca t]
issuer = $CA/ca.pem
signer = $CA/ca.pem
key = $CA/ca.key
index = $CA/index.txt
hashes = sha1 sha256
CONF
publish() { "$PUBLISHER" --no-progress -c "$WORK/pub.conf" --out "$T" "$@"; }

log "publish with --get-keys"
out=$(publish --get-keys)
echo "$out"
check "the publisher reports the keys" contains "$out" "GET keys stored"
check "issuer.meta records them" grep -qx 'get_keys = sha1 sha256' "$T/$DIR/issuer.meta"
UNSTORABLE=$(sed -n 's/.* GET keys stored, \([0-9]*\) not storable.*/\1/p' <<<"$out")

# ---- plain nginx: root = tree/get, merge_slashes on (default) and off ----
NG=$WORK/nginx
mkdir -p "$NG/logs"
chmod 755 "$WORK"
P1=$(free_port)
P2=$(free_port)
cat > "$NG/nginx.conf" <<NGINX
worker_processes 1;
daemon off;
pid $NG/nginx.pid;
error_log $NG/logs/error.log;
events { worker_connections 64; }
http {
    access_log $NG/logs/access.log;
    default_type application/ocsp-response;
    types { }
    server { listen 127.0.0.1:$P1; root $T/get; }
    server { listen 127.0.0.1:$P2; root $T/get; merge_slashes off; }
}
NGINX
nginx -c "$NG/nginx.conf" -p "$NG" &
PIDS+=("$!")
NGINX_PID=$!
up() { curl -s -o /dev/null "http://127.0.0.1:$P1/" || gone "$NGINX_PID"; }
wait_for 10 up
check "nginx runs" kill -0 "$NGINX_PID"

# fetch PORT PATH OUT: GET as is; prints the status and content type.
fetch() { curl -s --path-as-is -o "$3" -w '%{http_code} %{content_type}' "http://127.0.0.1:$1$2" || true; }
# answers PORT PATH FILE: PATH is answered 200, as application/ocsp-response,
# with exactly FILE's bytes.
answers() {
	local r
	r=$(fetch "$1" "$2" "$WORK/body")
	[ "$r" = "200 application/ocsp-response" ] && cmp -s "$WORK/body" "$3" ||
		{ echo "  $2 on $1: $r"; return 1; }
}
# strip_null DER OUT: the same request with the hash AlgorithmIdentifier's
# NULL parameters left out (the other encoding, RFC 5754).
strip_null() {
	der_py '
b = open(sys.argv[1], "rb").read()
def walk(b, depth):
    if depth == 4:   # the CertID
        alg, nh, kh, sn = parts(b)
        alg = enc(0x30, parts(alg)[0])
        return enc(0x30, alg + nh + kh + sn)
    return enc(0x30, walk(parts(b)[0], depth + 1))
open(sys.argv[2], "wb").write(walk(b, 0))' "$@"
}

# For the two real certificates, openssl ocsp -cert; for SHA-1 and SHA-256:
# raw and percent-encoded, both servers, and what openssl makes of it.
for serial in "$GOOD" "$REV"; do
	for h in sha1 sha256; do
		what="$serial $h"
		file=$T/$DIR/$serial
		[ "$h" = sha1 ] || file=$T/$DIR/$h/$serial
		openssl ocsp -issuer "$CA/ca.pem" -"$h" -cert "$CA/$serial.pem" -no_nonce \
			-reqout "$WORK/r.der" >/dev/null
		raw=$(req_b64 "$WORK/r.der")
		pct=$(pct_b64 "$raw")
		strip_null "$WORK/r.der" "$WORK/r0.der"
		raw0=$(req_b64 "$WORK/r0.der")
		for port in "$P1" "$P2"; do
			check "$what: raw GET on $port" answers "$port" "/$raw" "$file"
			check "$what: percent-encoded GET on $port" answers "$port" "/$pct" "$file"
			check "$what: without NULL parameters on $port" answers "$port" "/$raw0" "$file"
		done
		fetch "$P1" "/$pct" "$WORK/resp.der" >/dev/null
		want=good
		[ "$serial" = "$REV" ] && want=revoked
		r=$(openssl ocsp -respin "$WORK/resp.der" -issuer "$CA/ca.pem" -"$h" \
			-cert "$CA/$serial.pem" -CAfile "$CA/ca.pem" 2>&1 || true)
		check "$what: openssl verifies the answer" contains "$r" "Response verify OK"
		check "$what: ... and it says $want" contains "$r" "$serial.pem: $want"
	done
done

# The bulk serials: find keys holding "//" and '+', and the ones ending in
# '/' that no file can hold.
log "requests for the 300 bulk serials and the special ones"
seen_ss=0 seen_plus=0 seen_end=0 bad=0
for serial in $(for i in $(seq 0 299); do printf '%08X\n' $((0x20000000 + i)); done) $SPECIAL; do
	for h in sha1 sha256; do
		file=$T/$DIR/$serial
		[ "$h" = sha1 ] || file=$T/$DIR/$h/$serial
		openssl ocsp -issuer "$CA/ca.pem" -"$h" -serial "0x$serial" -no_nonce \
			-reqout "$WORK/r.der" >/dev/null
		raw=$(req_b64 "$WORK/r.der")
		case "$raw" in
		*/)	seen_end=$((seen_end + 1))
			r=$(fetch "$P1" "/$raw" "$WORK/body")
			[ "${r%% *}" != 200 ] || { echo "  a key ending in '/' answered: $raw"; bad=$((bad + 1)); }
			continue ;;
		esac
		interesting=0
		case "$raw" in *//*) seen_ss=$((seen_ss + 1)); interesting=1 ;; esac
		case "$raw" in *+*) seen_plus=$((seen_plus + 1)) ;; esac
		# Every key on the default server; the interesting ones both ways.
		answers "$P1" "/$raw" "$file" || bad=$((bad + 1))
		if [ "$interesting" = 1 ]; then
			answers "$P2" "/$raw" "$file" || bad=$((bad + 1))
			answers "$P1" "/$(pct_b64 "$raw")" "$file" || bad=$((bad + 1))
			answers "$P2" "/$(pct_b64 "$raw")" "$file" || bad=$((bad + 1))
		fi
	done
done
log "keys with //: $seen_ss, with +: $seen_plus, ending in /: $seen_end"
check "every bulk GET answered with its file (raw; // keys also unmerged and encoded)" test "$bad" = 0
check "keys holding // were among them" test "$seen_ss" -gt 0
check "keys holding + were among them" test "$seen_plus" -gt 0
# Keys ending in '/': the publisher counted both AlgorithmIdentifier forms.
check "the publisher's 'not storable' count covers the ones met here" test "$UNSTORABLE" -ge "$seen_end"

# '+' as a space: the name a '+'-to-space decoder reaches is there too.
openssl ocsp -issuer "$CA/ca.pem" -cert "$CA/$GOOD.pem" -no_nonce -reqout "$WORK/g.der" >/dev/null
for i in $(seq 0 299); do
	serial=$(printf '%08X' $((0x20000000 + i)))
	openssl ocsp -issuer "$CA/ca.pem" -serial "0x$serial" -no_nonce -reqout "$WORK/r.der" >/dev/null
	raw=$(req_b64 "$WORK/r.der")
	case "$raw" in *+*) ;; *) continue ;; esac
	case "$raw" in *//*|*/) continue ;; esac
	sp=$(tr '+' ' ' <<<"$raw")
	check "the '+'-as-space name of $serial is the same file" cmp -s "$T/get/$sp" "$T/$DIR/$serial"
	check "... a hard link, not a copy" test "$(stat -c %i "$T/get/$sp")" = "$(stat -c %i "$T/$DIR/$serial")"
	break
done

# ---- keys follow the responses ----
GOOD_KEY=$T/get/$(req_b64 "$WORK/g.der")
log "re-signing rewrites the keys"
old=$(sha256sum < "$GOOD_KEY")
sleep 1
publish --get-keys --force -q
check "after --force the key holds the new response" cmp -s "$GOOD_KEY" "$T/$DIR/$GOOD"
check "... which differs from the old one" test "$(sha256sum < "$GOOD_KEY")" != "$old"
check "... and nginx serves it" answers "$P1" "/$(req_b64 "$WORK/g.der")" "$T/$DIR/$GOOD"
check "no temp files are left under get/" test -z "$(find "$T/get" -name '.*')"

log "a certificate gone from the source loses its keys"
cp "$CA/index.txt" "$WORK/index.full"
grep -v "	$GOOD	" "$WORK/index.full" > "$CA/index.txt"
publish --get-keys -q
check "its response is gone" test ! -e "$T/$DIR/$GOOD"
check "its SHA-1 key is gone" test ! -e "$GOOD_KEY"
r=$(fetch "$P1" "/$(req_b64 "$WORK/g.der")" "$WORK/body")
check "... and nginx answers 404" test "${r%% *}" = 404
cp "$WORK/index.full" "$CA/index.txt"
publish --get-keys -q
check "back in the source: its key is back" cmp -s "$GOOD_KEY" "$T/$DIR/$GOOD"

log "get_keys turned off: every key removed"
nfiles=$(find "$T/get" -type f | wc -l)
log "$nfiles key names before"
publish -q
check "no key is left" test "$(find "$T/get" -type f | wc -l)" = 0
check "no directory but get/ itself" test "$(find "$T/get" -mindepth 1 | wc -l)" = 0
check "issuer.meta no longer lists get_keys" test "$(grep -c '^get_keys' "$T/$DIR/issuer.meta")" = 0
check "the responses are all there" test -s "$T/$DIR/$GOOD" -a -s "$T/$DIR/sha256/$REV"
publish -q --get-keys
check "turned on again: every key is back" test "$(find "$T/get" -type f | wc -l)" = "$nfiles"
kill "$NGINX_PID"; wait "$NGINX_PID" 2>/dev/null || true

# ---- contrib/nginx/ocsp-tree.conf with lookupd behind it ----
log "contrib/nginx/ocsp-tree.conf in front of lookupd"
start_lookupd --tree "$T"
P3=$(free_port)
NG2=$WORK/nginx2
mkdir -p "$NG2/logs"
sed -e "s#server 127\.0\.0\.1:8080;#server 127.0.0.1:$PORT;#" \
    -e "s#listen 80;#listen 127.0.0.1:$P3;#" \
    -e "s#root /var/lib/ocsp/tree/get;#root $T/get;#" \
    "$(dirname "$0")/../../contrib/nginx/ocsp-tree.conf" > "$NG2/ocsp-tree.conf"
check "the copy names our ports and tree (sed matched)" \
	test "$(grep -c "127.0.0.1:$PORT;\|listen 127.0.0.1:$P3;\|root $T/get;" "$NG2/ocsp-tree.conf")" = 3
cat > "$NG2/nginx.conf" <<NGINX
worker_processes 1;
daemon off;
pid $NG2/nginx.pid;
error_log $NG2/logs/error.log;
events { worker_connections 64; }
http {
    log_format up '\$request_method \$status "\$upstream_addr"';
    access_log $NG2/logs/access.log up;
    include $NG2/ocsp-tree.conf;
}
NGINX
out=$(nginx -t -c "$NG2/nginx.conf" -p "$NG2" 2>&1) && rc=0 || rc=$?
check "nginx -t accepts it" test "$rc" = 0 || echo "$out"
nginx -c "$NG2/nginx.conf" -p "$NG2" &
PIDS+=("$!")
NGINX_PID=$!
up3() { curl -s -o /dev/null "http://127.0.0.1:$P3/x" || gone "$NGINX_PID"; }
wait_for 10 up3
last_upstream() { tail -1 "$NG2/logs/access.log" | sed 's/.*"\(.*\)"/\1/'; }
check "GET of a key: from the tree" answers "$P3" "/$(pct_b64 "$(req_b64 "$WORK/g.der")")" "$T/$DIR/$GOOD"
check "... without lookupd" test "$(last_upstream)" = "-"
ocsp_request "$CA" "$GOOD" "$WORK/n.der"
r=$(fetch "$P3" "/$(pct_b64 "$(req_b64 "$WORK/n.der")")" "$WORK/nonce.der")
check "GET with a nonce: passed to lookupd, 200" test "${r%% *}" = 200
check "... lookupd answered it" test "$(last_upstream)" = "127.0.0.1:$PORT"
r=$(openssl ocsp -respin "$WORK/nonce.der" -reqin "$WORK/n.der" -issuer "$CA/ca.pem" \
	-serial "0x$GOOD" -CAfile "$CA/ca.pem" 2>&1 || true)
check "... and the answer verifies, nonce and all" contains "$r" "Response verify OK"
r=$(openssl ocsp -issuer "$CA/ca.pem" -CAfile "$CA/ca.pem" -url "http://127.0.0.1:$P3/" \
	-serial "0x$REV" 2>&1 || true)
check "POST (openssl ocsp -url): verifies" contains "$r" "Response verify OK"
check "... says revoked" contains "$r" "0x$REV: revoked"
check "... lookupd answered it" test "$(last_upstream)" = "127.0.0.1:$PORT"
RK=$(req_b64 "$WORK/g.der")
check "(the key file is there)" test -f "$T/get/$RK"
r=$(curl -s -o "$WORK/post.der" -w '%{http_code}' --data-binary @"$WORK/g.der" \
	-H 'Content-Type: application/ocsp-request' "http://127.0.0.1:$P3/$RK" || true)
# lookupd takes POSTs at its path prefix only (404 here), but it is
# lookupd's answer, not the 405 nginx's static files give a POST.
check "POST to a path that is a key file: passed to lookupd" test "$(last_upstream)" = "127.0.0.1:$PORT"
check "... not nginx's 405" test "$r" != 405
finish
