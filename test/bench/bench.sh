#!/usr/bin/env bash
# The benchmark (not a test): ours and a reference side by side, in one run,
# on this machine. Machines are shared and noisy, so each figure is the
# median of ROUNDS runs, and what matters is the ratio.
#
#   bash test/bench/bench.sh [BUILD_DIR]      (default: build/, built if missing)
#
# Environment: ROUNDS (3), CERTS (100000), HTTP_ROUNDS (7: short HTTP runs,
# interleaved, so that a noisy spell hits every server alike), SECONDS_HTTP (4), CONNS (32),
# PARTS ("signing tree http flood p11": which parts to run; "sources" too,
# not by default: see bench_sources), P11_CERTS
# (20000: certificates signed per round with a key on a SoftHSM2 token), PIN (1: in the HTTP
# and flood parts, every server under test gets the same one core and the
# load generator another).
# The flood part: FLOOD_ROUNDS (3), FLOOD_SLOW (1000 slowloris connections),
# FLOOD_IDLE (1000 idle keep-alive ones), FLOOD_SLOW_BODY (64), FLOOD_NO_READ
# (64), FLOOD_PROBES (100 fresh clients per run), FLOOD_RATE (25 of them a
# second), FLOOD_TIMEOUT (5 s), FLOOD_WARMUP (2 s of holding first),
# FLOOD_LOOKUPD_ARGS (lookupd's extra arguments, e.g. "--threads 4096";
# none: its defaults).
# The upload part: UPLOAD_CERTS (5000) responses uploaded to a local S3 server
# (@20minutes/s3rver from npm, cached in BUILD_DIR/test/npm) at concurrency 1
# and at the default, every round into an empty prefix.
# The sources part: SOURCE_CERTS (1000000), SOURCE_KINDS ("index crl
# sqlite-openxpki pg-openxpki pg-ejbca", run in this order; ratios are to
# index, or else to the first; sqlite-ejbca also works).
# The audit part (PARTS=audit, not by default): AUDIT_CERTS (CERTS)
# responses of a local tree audited by ocsp-audit on every core, against
# openssl ocsp -respin verifying AUDIT_REF_FILES (500) of the same files in
# a shell loop, one process per file, CORES at a time.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
B=${1:-$top/build}
ROUNDS=${ROUNDS:-3}
CERTS=${CERTS:-100000}
HTTP_ROUNDS=${HTTP_ROUNDS:-7}
SECONDS_HTTP=${SECONDS_HTTP:-4}
CONNS=${CONNS:-32}
PARTS=${PARTS:-signing tree http flood p11}
P11_CERTS=${P11_CERTS:-20000}
SOFTHSM_MODULE=${SOFTHSM_MODULE:-/usr/lib/softhsm/libsofthsm2.so}
FLOOD_ROUNDS=${FLOOD_ROUNDS:-3}
FLOOD_SLOW=${FLOOD_SLOW:-1000}
FLOOD_IDLE=${FLOOD_IDLE:-1000}
FLOOD_SLOW_BODY=${FLOOD_SLOW_BODY:-64}
FLOOD_NO_READ=${FLOOD_NO_READ:-64}
FLOOD_PROBES=${FLOOD_PROBES:-100}
FLOOD_RATE=${FLOOD_RATE:-25}
FLOOD_TIMEOUT=${FLOOD_TIMEOUT:-5}
FLOOD_WARMUP=${FLOOD_WARMUP:-2}
FLOOD_LOOKUPD_ARGS=${FLOOD_LOOKUPD_ARGS:-}
CORES=$(nproc)
PIN=${PIN:-1}
# nginx with one worker is a one-core server. Pinned, lookupd gets that same
# one core and wrk the other, so both are measured on the same CPU budget and
# neither competes with the load generator for its core. Unpinned, lookupd's
# threads (one per connection) spread over every core, wrk's included.
if [ "$PIN" = 1 ] && [ "$CORES" -ge 2 ] && command -v taskset >/dev/null; then
	SERVER_CPU=$((CORES - 1))
	CLIENT_CPU=0
else
	PIN=0
fi

if [ ! -x "$B/publisher/ocsp-publisher" ] || [ ! -x "$B/test/bench/fswrite" ] ||
	[ ! -x "$B/test/bench/flood" ] || [ ! -x "$B/test/bench/p11sign" ]; then
	bash "$top/contrib/install-deps.sh" --test
	bash "$top/contrib/build.sh" "$B"
fi
PUBLISHER=$B/publisher/ocsp-publisher
LOOKUPD=$B/lookupd/ocsp-lookupd
# lookupd's default worker count, for the bare civetweb handler to match.
LOOKUPD_THREADS=$("$LOOKUPD" --help-config | awk '$1 == "threads" && /HTTP/ {gsub(/[^0-9]/, "", $NF); print $NF}')
FSWRITE=$B/test/bench/fswrite
P11SIGN=$B/test/bench/p11sign
FLOOD=$B/test/bench/flood
NO_PUBLISHER_LOG=1 source "$top/test/integration/lib.sh"
set +x

median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", (b > 0) ? a / b : 0}'; }
row() { printf '%-52s %12s %12s %7sx  %s\n' "$@"; }

# openssl speed's sign/s for one algorithm on every core.
speed_sign() {
	openssl speed -multi "$CORES" -seconds 3 "$1" 2>/dev/null |
		awk -v k="$2" '$0 ~ k {for (i = 1; i <= NF; i++) if ($i ~ /^[0-9.]+$/) v[++n] = $i; print v[n - 1]; n = 0}' | tail -1
}

pub_rate() { "$PUBLISHER" --no-progress "$@" | sed -n 's/.*(\([0-9]*\) signatures\/s.*/\1/p'; }

bench_signing() {
	local kt=$1 algo=$2 key=$3 label=$4
	local ca=$WORK/sign-$kt ours=() ref=()
	make_ca "$ca" "$kt"
	issue_many "$ca" "$CERTS"
	for _ in $(seq "$ROUNDS"); do
		ours+=("$(pub_rate --dry-run --force --index "$ca/index.txt" --issuer "$ca/ca.pem" \
			--signer "$ca/ca.pem" --key "$ca/ca.key" --out "$WORK/none")")
		ref+=("$(speed_sign "$algo" "$key")")
	done
	local o r
	o=$(median "${ours[@]}")
	r=$(median "${ref[@]}")
	row "publisher signing, $label (dry run, sig/s)" "$o" "$r" "$(ratio "$o" "$r")" "vs openssl speed -multi $CORES $algo"
}

# One create (or replace) by the publisher and by the bare loop, in an
# order that alternates per round, after a sync: a file system still busy
# with the previous step must not count against either.
tree_pair() { # tree_pair ROUND MODE: sets OURS and REF
	local ca=$WORK/sign-ec force=() size
	[ "$2" = replace ] && force=(--force)
	sync
	if [ $(($1 % 2)) -eq 1 ]; then
		OURS=$(pub_rate "${force[@]}" --index "$ca/index.txt" --issuer "$ca/ca.pem" \
			--signer "$ca/ca.pem" --key "$ca/ca.key" --out "$WORK/t")
		sync
	fi
	size=$(stat -c %s "$(find "$WORK/t" -name '2*' -type f 2>/dev/null | head -1)" 2>/dev/null || echo 263)
	REF=$("$FSWRITE" "$WORK/f" "$CERTS" "$size" "$CORES")
	if [ $(($1 % 2)) -eq 0 ]; then
		sync
		OURS=$(pub_rate "${force[@]}" --index "$ca/index.txt" --issuer "$ca/ca.pem" \
			--signer "$ca/ca.pem" --key "$ca/ca.key" --out "$WORK/t")
	fi
}

bench_tree() {
	local ours=() ref=() ours2=() ref2=() o r
	for i in $(seq "$ROUNDS"); do
		rm -rf "$WORK/t" "$WORK/f"
		tree_pair "$i" create
		ours+=("$OURS"); ref+=("$REF")
		tree_pair "$i" replace
		ours2+=("$OURS"); ref2+=("$REF")
	done
	o=$(median "${ours[@]}"); r=$(median "${ref[@]}")
	row "publisher into an empty tree (files/s)" "$o" "$r" "$(ratio "$o" "$r")" "vs bare create+rename loop, $CORES threads"
	o=$(median "${ours2[@]}"); r=$(median "${ref2[@]}")
	row "publisher replacing every file (files/s)" "$o" "$r" "$(ratio "$o" "$r")" "vs bare replace+rename loop"
	rm -rf "$WORK/t" "$WORK/f"
}

# Uploads to a local S3 server that checks every signature: the publisher
# at upload_concurrency 1 and at its default, the same tree each round,
# into a new prefix so that everything goes up again.
bench_upload() {
	local npm=$B/test/npm mod ca=$WORK/up-ca t=$WORK/up-tree one=() many=() o r out
	local def
	mod=$(cd "$B" && pwd)/test/npm/node_modules/@20minutes/s3rver
	[ -f "$mod/package.json" ] || npm install --no-audit --no-fund --loglevel=error \
		--prefix "$npm" @20minutes/s3rver@5.0.0 >/dev/null
	def=$("$PUBLISHER" --help-config | awk '$1 == "upload_concurrency" {gsub(/[^0-9]/, "", $NF); print $NF}')
	make_ca "$ca" ec
	issue_many "$ca" "${UPLOAD_CERTS:-5000}"
	# The legacy provider: s3rver's listing tokens use DES (as in s3.sh).
	S3_KEY=AKIABENCH S3_SECRET=bench-secret node --openssl-legacy-provider \
		"$top/test/integration/s3rver.js" "$mod" \
		"$WORK/up-data" bench "$WORK/up.port" 0 >/dev/null 2>&1 &
	local s3pid=$!
	PIDS+=("$s3pid")
	wait_for 20 test -s "$WORK/up.port"
	local -a args=(--no-progress --index "$ca/index.txt" --issuer "$ca/ca.pem"
		--signer "$ca/ca.pem" --key "$ca/ca.key" --out "$t"
		--s3-endpoint "http://127.0.0.1:$(cat "$WORK/up.port")")
	export AWS_ACCESS_KEY_ID=AKIABENCH AWS_SECRET_ACCESS_KEY=bench-secret
	rate() { sed -n 's/.* (\([0-9]*\) uploads\/s).*/\1/p' <<<"$1"; }
	# Each run into a prefix of its own: without a manifest the uploader
	# lists the prefix and keeps what matches (ETag = MD5), so a prefix
	# that already holds the tree would get nothing sent.
	# all_sent OUT: the responses, issuer.meta and the marker went up.
	all_sent() {
		grep -q ": $((${UPLOAD_CERTS:-5000} + 2)) uploaded, 0 unchanged" <<<"$1" ||
			echo "upload bench: not everything was sent: $1" >&2
	}
	for i in $(seq "$ROUNDS"); do
		out=$("$PUBLISHER" "${args[@]}" --upload "s3://bench/r$i-c1" --upload-concurrency 1)
		all_sent "$out"
		one+=("$(rate "$out")")
		out=$("$PUBLISHER" "${args[@]}" --upload "s3://bench/r$i-cdef")
		all_sent "$out"
		many+=("$(rate "$out")")
	done
	o=$(median "${many[@]}"); r=$(median "${one[@]}")
	row "uploads to local S3 server (objects/s)" "$o" "$r" "$(ratio "$o" "$r")" \
		"concurrency $def vs 1, ${UPLOAD_CERTS:-5000} responses, SigV4"
	kill "$s3pid" 2>/dev/null; wait "$s3pid" 2>/dev/null || true
	unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
}

# Signing with a key on a SoftHSM2 token made here: the publisher (dry
# run, its default thread count for token keys) against the bare libp11
# loop (test/bench/p11sign) on the same key with as many threads, and
# against the same key as a PEM file with those threads, in one round each
# in turn.
p11_setup() {
	export SOFTHSM2_CONF=$WORK/softhsm2.conf
	mkdir -p "$WORK/tokens"
	printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' \
		"$WORK/tokens" > "$SOFTHSM2_CONF"
	softhsm2-util --init-token --free --label bench --pin 1234 --so-pin 5678 > /dev/null
	printf '1234\n' > "$WORK/p11pin"
	chmod 600 "$WORK/p11pin"
}

bench_p11_key() {
	local kt=$1 label=$2 id=$3
	local ca=$WORK/p11-$kt ours=() ref=() pem=() threads o r p
	local -a tool=(pkcs11-tool --module "$SOFTHSM_MODULE" --token-label bench --login --pin 1234)
	make_ca "$ca" "$kt"
	issue_many "$ca" "$P11_CERTS"
	# The responder's key made as a PEM file, then put on the token.
	local r
	r=$(issue "$ca" "bench responder" responder "$kt")
	openssl pkey -in "$ca/$r.key" -outform DER -out "$WORK/key-$kt.der"
	openssl pkey -in "$ca/$r.key" -pubout -outform DER -out "$WORK/pub-$kt.der"
	"${tool[@]}" --write-object "$WORK/key-$kt.der" --type privkey --id "$id" --label "$kt" > /dev/null
	"${tool[@]}" --write-object "$WORK/pub-$kt.der" --type pubkey --id "$id" --label "$kt" > /dev/null
	local uri="pkcs11:token=bench;object=$kt;type=private"
	local common=(--dry-run --force --index "$ca/index.txt" --issuer "$ca/ca.pem" --signer "$ca/$r.pem"
		--out "$WORK/none")
	threads=$("$PUBLISHER" --no-progress "${common[@]}" --key "$uri" --pin-file "$WORK/p11pin" \
		--pkcs11-module "$SOFTHSM_MODULE" | sed -n 's/.*signatures\/s while signing, \([0-9]*\) threads.*/\1/p')
	for _ in $(seq "$ROUNDS"); do
		ours+=("$(pub_rate "${common[@]}" --key "$uri" --pin-file "$WORK/p11pin" \
			--pkcs11-module "$SOFTHSM_MODULE")")
		ref+=("$("$P11SIGN" "$SOFTHSM_MODULE" "$uri" "file:$WORK/p11pin" "$threads" 3 |
			sed -n 's/^signatures\/s \([0-9]*\).*/\1/p')")
		pem+=("$(pub_rate "${common[@]}" --key "$ca/$r.key" -j "$threads")")
	done
	o=$(median "${ours[@]}"); r=$(median "${ref[@]}"); p=$(median "${pem[@]}")
	row "publisher, $label on SoftHSM2 ($P11_CERTS, sig/s)" "$o" "$r" "$(ratio "$o" "$r")" "vs bare libp11 loop, $threads threads"
	row "publisher, $label on SoftHSM2 vs as a PEM file" "$o" "$p" "$(ratio "$o" "$p")" "the same key, $threads threads"
}

bench_p11() {
	p11_setup
	bench_p11_key ec "ECDSA P-256" 01
	bench_p11_key rsa "RSA-2048" 02
}

# Pinning: PINNED=1 puts every server under test on SERVER_CPU and wrk on
# CLIENT_CPU; pin_servers moves the running servers (every thread).
SERVER_PIDS=()
PINNED=0
pin_servers() { # pin_servers 1|0
	local cpus="0-$((CORES - 1))" pid child
	PINNED=$1
	[ "$PIN" = 1 ] || { PINNED=0; return 0; }
	[ "$1" = 1 ] && cpus=$SERVER_CPU
	for pid in "${SERVER_PIDS[@]}"; do
		taskset -a -p -c "$cpus" "$pid" >/dev/null 2>&1 || true
		for child in $(pgrep -P "$pid"); do
			taskset -a -p -c "$cpus" "$child" >/dev/null 2>&1 || true
		done
	done
}

# start_nginx ROOT PATH: serves ROOT on NGINX_PORT with nginx's defaults
# (an open, fstat and close per request), and on NGINX_FDC_PORT with
# open_file_cache (descriptors kept open, as lookupd keeps its mappings);
# checked by a GET of PATH.
start_nginx() {
	local root=$1
	NGINX_PORT=$(free_port)
	NGINX_FDC_PORT=$(free_port)
	# nginx workers run as www-data: let them into the (mktemp 0700) work dir.
	chmod 755 "$WORK"
	mkdir -p "$WORK/nginx/logs"
	cat > "$WORK/nginx/nginx.conf" <<NG
worker_processes 1;
daemon off;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/logs/error.log;
events { worker_connections 4096; }
http {
    access_log off;
    default_type application/ocsp-response;
    server { listen 127.0.0.1:$NGINX_PORT; root $root; }
    server {
        listen 127.0.0.1:$NGINX_FDC_PORT; root $root;
        open_file_cache max=1000 inactive=60s;
        open_file_cache_valid 1s;
    }
}
NG
	nginx -c "$WORK/nginx/nginx.conf" -p "$WORK/nginx" &
	PIDS+=("$!")
	SERVER_PIDS+=("$!")
	wait_for 5 curl -fs -o /dev/null "http://127.0.0.1:$NGINX_PORT/$2" && return 0
	echo "nginx did not start"; cat "$WORK/nginx/logs/error.log"; return 1
}

wrk_rate() {
	local on=()
	[ "$PINNED" = 1 ] && on=(taskset -c "$CLIENT_CPU")
	"${on[@]}" wrk -t1 -c"$CONNS" -d"${SECONDS_HTTP}s" "$@" 2>/dev/null |
		awk '/Requests\/sec/ {print int($2)}'
}

# What the HTTP parts serve: one certificate's pre-signed answer, in a tree
# ($WORK/htree) for lookupd and at the request's decoded path under
# $WORK/www for nginx (base64 '/' make directories), so that both parse the
# same request line. Sets HTTP_CA, HTTP_SERIAL, REQ_RAW (the GET's base64)
# and REQ_B64 (percent-encoded); the request's DER is $WORK/req.der. Once.
http_setup() {
	[ -z "${REQ_B64:-}" ] || return 0
	HTTP_CA=$WORK/http
	make_ca "$HTTP_CA" ec
	HTTP_SERIAL=$(issue "$HTTP_CA" leaf1)
	"$PUBLISHER" --no-progress -q --index "$HTTP_CA/index.txt" --issuer "$HTTP_CA/ca.pem" \
		--signer "$HTTP_CA/ca.pem" --key "$HTTP_CA/ca.key" --out "$WORK/htree"
	openssl ocsp -issuer "$HTTP_CA/ca.pem" -serial "0x$HTTP_SERIAL" -no_nonce \
		-reqout "$WORK/req.der" >/dev/null 2>&1
	REQ_RAW=$(req_b64 "$WORK/req.der")
	REQ_B64=$(pct_b64 "$REQ_RAW")
	mkdir -p "$(dirname "$WORK/www/$REQ_RAW")"
	cp "$WORK/htree/$(issuer_dir "$HTTP_CA/ca.pem")/$HTTP_SERIAL" "$WORK/www/$REQ_RAW"
}

# The pre-signed path against nginx serving the same response file to the
# same request line (see http_setup), so both parse the same bytes and
# differ only in what they do with them.
bench_http() {
	http_setup
	local ca=$HTTP_CA s=$HTTP_SERIAL b64=$REQ_B64 raw=$REQ_RAW
	post_script "$WORK/req.der" "$WORK/post.lua"
	start_nginx "$WORK/www" "$b64"
	local bport
	bport=$(free_port)
	# lookupd with its defaults, and the bare handler with as many threads.
	"$B/test/bench/bare_civetweb" "$WORK/www/$raw" "127.0.0.1:$bport" "$LOOKUPD_THREADS" &
	PIDS+=("$!")
	SERVER_PIDS+=("$!")
	start_lookupd --tree "$WORK/htree"
	SERVER_PIDS+=("$LOOKUPD_PID")
	local g=() p=() n=() f=() c=() ug=() un=() i=0
	for _ in $(seq "$HTTP_ROUNDS"); do
		# Each round in another order: whoever runs first meets a cold machine.
		i=$((i + 1))
		pin_servers 1
		[ $((i % 2)) -eq 0 ] && g+=("$(wrk_rate "$URL/$b64")")
		n+=("$(wrk_rate "http://127.0.0.1:$NGINX_PORT/$b64")")
		f+=("$(wrk_rate "http://127.0.0.1:$NGINX_FDC_PORT/$b64")")
		c+=("$(wrk_rate "http://127.0.0.1:$bport/$b64")")
		[ $((i % 2)) -eq 1 ] && g+=("$(wrk_rate "$URL/$b64")")
		p+=("$(wrk_rate -s "$WORK/post.lua" "$URL/")")
		[ "$PIN" = 1 ] || continue
		pin_servers 0
		ug+=("$(wrk_rate "$URL/$b64")")
		un+=("$(wrk_rate "http://127.0.0.1:$NGINX_PORT/$b64")")
	done
	pin_servers 0
	local gm pm nm fm cm where="scheduler free"
	nm=$(median "${n[@]}")
	fm=$(median "${f[@]}")
	cm=$(median "${c[@]}")
	gm=$(median "${g[@]}")
	pm=$(median "${p[@]}")
	[ "$PIN" = 1 ] && where="server on cpu $SERVER_CPU, wrk on cpu $CLIENT_CPU"
	echo "-- pre-signed answers, wrk -t1 -c$CONNS keep-alive, $where"
	row "lookupd GET (req/s)" "$gm" "$nm" "$(ratio "$gm" "$nm")" "vs nginx, 1 worker, same file, same request"
	row "lookupd POST (req/s)" "$pm" "$nm" "$(ratio "$pm" "$nm")" "vs nginx GET of the same file"
	row "lookupd GET vs nginx with open_file_cache" "$gm" "$fm" "$(ratio "$gm" "$fm")" "nginx keeping the file open, as lookupd keeps its map"
	row "bare civetweb handler, same bytes (req/s)" "$cm" "$nm" "$(ratio "$cm" "$nm")" "vs nginx: the HTTP library's own ceiling"
	row "lookupd GET vs the bare civetweb handler" "$gm" "$cm" "$(ratio "$gm" "$cm")" "what lookupd's own work costs"
	echo "   samples (round by round): lookupd GET ${g[*]}; nginx ${n[*]};"
	echo "   nginx with open_file_cache ${f[*]}; bare civetweb ${c[*]}"
	if [ "$PIN" = 1 ]; then
		local ugm unm
		ugm=$(median "${ug[@]}")
		unm=$(median "${un[@]}")
		echo "-- the same, unpinned: lookupd's threads (one per connection) also run on wrk's core"
		row "lookupd GET, unpinned (req/s)" "$ugm" "$unm" "$(ratio "$ugm" "$unm")" "vs nginx, 1 worker, unpinned"
		gm=$ugm
	fi
	# Online answers are measured unpinned (signing uses every core).
	PRESIGNED_GET=$gm
	stop_lookupd
	SERVER_PIDS=()
	bench_online "$ca" "$s"
}

post_script() { # post_script DER OUT.lua [close]
	cat > "$2" <<LUA
local f = io.open("$1", "rb")
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/ocsp-request"
LUA
	[ -z "${3:-}" ] || echo 'wrk.headers["Connection"] = "close"' >> "$2"
}

# openssl's own responder on every core, started afresh for each round:
# after a run its children can be left spinning on connections wrk hung up.
start_openssl_ocsp() { # start_openssl_ocsp CA SERIAL: sets OPORT and OPID
	OPORT=$(free_port)
	openssl ocsp -index "$1/index.txt" -port "$OPORT" -rsigner "$1/ca.pem" \
		-rkey "$1/ca.key" -CA "$1/ca.pem" -multi "$CORES" >/dev/null 2>&1 &
	OPID=$!
	PIDS+=("$OPID")
	wait_for 5 quiet openssl ocsp -timeout 2 -issuer "$1/ca.pem" -serial "0x$2" \
		-url "http://127.0.0.1:$OPORT/" -CAfile "$1/ca.pem" 2>/dev/null || true
	PIDS+=($(pgrep -P "$OPID"))
}

stop_openssl_ocsp() {
	# The -multi parent does not stop its children: stop them first.
	pkill -KILL -P "$OPID" 2>/dev/null || true
	kill -KILL "$OPID" 2>/dev/null || true
	wait "$OPID" 2>/dev/null || true
}

# Online answers with a nonce (a signature per request) against openssl's
# own responder answering the same request on every core. openssl ocsp
# closes the connection after each answer, so both are also measured
# that way; lookupd's keep-alive figure is what a load balancer sees.
bench_online() {
	local ca=$1 s=$2 ka=() cl=() ref=()
	openssl ocsp -issuer "$ca/ca.pem" -serial "0x$s" -reqout "$WORK/nonce.der" >/dev/null 2>&1
	post_script "$WORK/nonce.der" "$WORK/nonce.lua"
	post_script "$WORK/nonce.der" "$WORK/nonce-close.lua" close
	start_lookupd --tree "$WORK/htree" --issuer "$ca/ca.pem" \
		--signer "$ca/ca.pem" --key "$ca/ca.key"
	for _ in $(seq "$ROUNDS"); do
		start_openssl_ocsp "$ca" "$s"
		ref+=("$(wrk_rate -s "$WORK/nonce-close.lua" "http://127.0.0.1:$OPORT/")")
		stop_openssl_ocsp
		cl+=("$(wrk_rate -s "$WORK/nonce-close.lua" "$URL/")")
		ka+=("$(wrk_rate -s "$WORK/nonce.lua" "$URL/")")
	done
	local r c k
	r=$(median "${ref[@]}")
	c=$(median "${cl[@]}")
	k=$(median "${ka[@]}")
	row "lookupd online nonce POST, ECDSA P-256, keep-alive" "$k" "$r" "$(ratio "$k" "$r")" "vs openssl ocsp -multi $CORES (closes each connection)"
	row "lookupd online nonce POST, Connection: close" "$c" "$r" "$(ratio "$c" "$r")" "vs openssl ocsp -multi $CORES, same client"
	row "lookupd online nonce POST vs its pre-signed GET" "$k" "$PRESIGNED_GET" "$(ratio "$k" "$PRESIGNED_GET")" "goal: within 2x (ratio >= 0.50)"
	stop_lookupd
}

# start_nginx_debian ROOT PATH: nginx as Debian's /etc/nginx/nginx.conf sets
# it up (bookworm's file, plus keepalive_timeout 65 as the releases before
# it set; nginx's own default is 75), serving ROOT on FLOOD_NGINX_PORT. Its
# module, mime.types and TLS lines change nothing for this file over plain
# HTTP; the logs go to the work directory. Checked by a GET of PATH.
start_nginx_debian() {
	local dir=$WORK/nginx-debian
	FLOOD_NGINX_PORT=$(free_port)
	chmod 755 "$WORK"
	mkdir -p "$dir/logs"
	cat > "$dir/nginx.conf" <<NG
user www-data;
worker_processes auto;
daemon off;
pid $dir/nginx.pid;
error_log $dir/logs/error.log;
events { worker_connections 768; }
http {
    sendfile on;
    tcp_nopush on;
    types_hash_max_size 2048;
    keepalive_timeout 65;
    default_type application/ocsp-response;
    access_log $dir/logs/access.log;
    gzip on;
    server { listen 127.0.0.1:$FLOOD_NGINX_PORT; root $1; }
}
NG
	nginx -c "$dir/nginx.conf" -p "$dir" &
	FLOOD_NGINX_PID=$!
	PIDS+=("$FLOOD_NGINX_PID")
	wait_for 5 curl -fs -o /dev/null "http://127.0.0.1:$FLOOD_NGINX_PORT/$2" && return 0
	echo "nginx did not start"; cat "$dir/logs/error.log"; return 1
}

# rss_kib PID: the VmRSS of PID and of its children (nginx's workers), KiB.
rss_kib() {
	local p v sum=0
	for p in "$1" $(pgrep -P "$1"); do
		v=$(awk '/^VmRSS:/ {print $2}' "/proc/$p/status" 2>/dev/null || true)
		sum=$((sum + ${v:-0}))
	done
	echo "$sum"
}

# kv KEY LINE: the value of KEY=... in the flood's line.
kv() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$2"; }

# curl_ok HOSTPORT: a fresh GET of the request's path answers 200 within 2 s.
curl_ok() { curl -fs -m 2 -o /dev/null "http://$1/$REQ_B64"; }

# flood_run PID HOSTPORT FLOOD-ARGS...: one flood against the server PID
# listening on HOSTPORT. Sets FLOOD_OUT (the flood's line), FLOOD_RSS (the
# server's largest RSS meanwhile, KiB, sampled every 0.2 s) and FLOOD_BACK
# (seconds until the server answered a fresh GET again once the flood had
# stopped, 999 if not within 60 s).
flood_run() {
	local pid=$1 hp=$2 on=() fpid max=0 rss t0 deadline
	shift 2
	[ "$PINNED" = 1 ] && on=(taskset -c "$CLIENT_CPU")
	"${on[@]}" "$FLOOD" --path "/$REQ_B64" --warmup "$FLOOD_WARMUP" --probes "$FLOOD_PROBES" \
		--probe-rate "$FLOOD_RATE" --probe-concurrency "$FLOOD_PROBES" \
		--probe-timeout "$FLOOD_TIMEOUT" "$@" "$hp" > "$WORK/flood.out" 2>> "$WORK/flood.log" &
	fpid=$!
	# It stops by itself after its probes; past this, it is stopped.
	deadline=$(awk -v now="$(date +%s)" -v w="$FLOOD_WARMUP" -v n="$FLOOD_PROBES" -v r="$FLOOD_RATE" \
		-v t="$FLOOD_TIMEOUT" 'BEGIN {printf "%d", now + w + (r > 0 ? n / r : n * t) + t + 30}')
	while ! gone "$fpid"; do
		rss=$(rss_kib "$pid")
		[ "$rss" -le "$max" ] || max=$rss
		[ "$(date +%s)" -lt "$deadline" ] || kill "$fpid" 2>/dev/null || true
		sleep 0.2
	done
	wait "$fpid" || echo "   flood $* $hp: exit status $? ($(tail -1 "$WORK/flood.log"))"
	FLOOD_OUT=$(cat "$WORK/flood.out")
	case $FLOOD_OUT in "held "*) ;; *) echo "flood $* $hp printed no result"; return 1 ;; esac
	FLOOD_RSS=$max
	t0=$(date +%s%N)
	FLOOD_BACK=999
	if wait_for 60 curl_ok "$hp"; then
		FLOOD_BACK=$(awk -v d=$(($(date +%s%N) - t0)) 'BEGIN {printf "%.1f", d / 1e9}')
	fi
}

FLOOD_SCENARIOS=(none held body noread)
flood_label() {
	case $1 in
	none) echo "no load" ;;
	held) echo "$FLOOD_SLOW slowloris + $FLOOD_IDLE idle" ;;
	body) echo "$FLOOD_SLOW_BODY slow-body POSTs" ;;
	noread) echo "$FLOOD_NO_READ never-reading pipeliners" ;;
	esac
}
flood_args() {
	case $1 in
	none) echo "--warmup 0" ;;
	held) echo "--slowloris $FLOOD_SLOW --idle $FLOOD_IDLE" ;;
	body) echo "--slow-body $FLOOD_SLOW_BODY" ;;
	noread) echo "--no-read $FLOOD_NO_READ" ;;
	esac
}

# flood_once lookupd|nginx SCENARIO: one run, its figures added to FLOOD_R.
declare -A FLOOD_R=()
flood_once() {
	local who=$1 sc=$2 pid hp k held=0
	if [ "$who" = lookupd ]; then
		pid=$LOOKUPD_PID hp=127.0.0.1:$PORT
	else
		pid=$FLOOD_NGINX_PID hp=127.0.0.1:$FLOOD_NGINX_PORT
	fi
	# shellcheck disable=SC2046
	flood_run "$pid" "$hp" $(flood_args "$sc")
	for k in p50_ms p99_ms fail timeout error bad_status; do
		FLOOD_R[$who.$sc.$k]+="$(kv "$k" "$FLOOD_OUT") "
	done
	for k in slowloris idle slow_body no_read; do
		held=$((held + $(kv "$k" "$FLOOD_OUT")))
	done
	FLOOD_R[$who.$sc.held]+="$held "
	FLOOD_R[$who.$sc.rss]+="$FLOOD_RSS "
	FLOOD_R[$who.$sc.back]+="$FLOOD_BACK "
}

most() { printf '%s\n' "$@" | sort -n | tail -1; }
mib() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }
frow() { printf '%-52s %12s %12s %8s  %s\n' "$@"; }
fratio() { awk -v a="$1" -v b="$2" 'BEGIN {r = (b > 0) ? a / b : 0; printf (r < 100) ? "%.2fx" : "%.0fx", r}'; }

# flood_rows SCENARIO: its three rows, medians over the rounds (the RSS and
# the time to recover: the largest).
flood_rows() {
	local sc=$1 label f who k
	label=$(flood_label "$sc")
	declare -A m=()
	for who in lookupd nginx; do
		for k in p50_ms p99_ms fail timeout error bad_status held; do
			# shellcheck disable=SC2086
			m[$who.$k]=$(median ${FLOOD_R[$who.$sc.$k]})
		done
		# shellcheck disable=SC2086
		m[$who.rss]=$(mib "$(most ${FLOOD_R[$who.$sc.rss]})")
		# shellcheck disable=SC2086
		m[$who.back]=$(most ${FLOOD_R[$who.$sc.back]})
	done
	local total=0 held="no hostile connections"
	for f in $(flood_args "$sc"); do
		case $f in --warmup) break ;; --*) ;; *) total=$((total + f)) ;; esac
	done
	[ "$total" -eq 0 ] || held="held ${m[lookupd.held]} vs ${m[nginx.held]} of $total hostile connections"
	frow "flood, $label: p50 (ms)" "${m[lookupd.p50_ms]}" "${m[nginx.p50_ms]}" \
		"$(fratio "${m[lookupd.p50_ms]}" "${m[nginx.p50_ms]}")" "$held"
	frow "flood, $label: p99 (ms)" "${m[lookupd.p99_ms]}" "${m[nginx.p99_ms]}" \
		"$(fratio "${m[lookupd.p99_ms]}" "${m[nginx.p99_ms]}")" \
		"RSS at most ${m[lookupd.rss]} MiB vs ${m[nginx.rss]} MiB (nginx: every process)"
	frow "flood, $label: failed (of $FLOOD_PROBES)" "${m[lookupd.fail]}" "${m[nginx.fail]}" "" \
		"timeout/error/status ${m[lookupd.timeout]}/${m[lookupd.error]}/${m[lookupd.bad_status]} vs ${m[nginx.timeout]}/${m[nginx.error]}/${m[nginx.bad_status]}; answers again after ${m[lookupd.back]} s vs ${m[nginx.back]} s"
	echo "   samples: p99 lookupd ${FLOOD_R[lookupd.$sc.p99_ms]% }, nginx ${FLOOD_R[nginx.$sc.p99_ms]% };" \
		"failed lookupd ${FLOOD_R[lookupd.$sc.fail]% }, nginx ${FLOOD_R[nginx.$sc.fail]% }"
}

# Fresh clients while hostile connections are held: test/bench/flood
# against lookupd (FLOOD_LOOKUPD_ARGS, by default none) and against nginx
# with Debian's defaults serving the same file to the same GET, each
# scenario run on both servers in turn (in another order every round), each
# run followed by waiting for the server to answer again.
bench_flood() {
	local i sc who order where="scheduler free"
	http_setup
	ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
	# shellcheck disable=SC2086
	start_lookupd --tree "$WORK/htree" $FLOOD_LOOKUPD_ARGS
	start_nginx_debian "$WORK/www" "$REQ_B64"
	SERVER_PIDS=("$LOOKUPD_PID" "$FLOOD_NGINX_PID")
	pin_servers 1
	for i in $(seq "$FLOOD_ROUNDS"); do
		order="lookupd nginx"
		[ $((i % 2)) -eq 0 ] && order="nginx lookupd"
		for sc in "${FLOOD_SCENARIOS[@]}"; do
			for who in $order; do
				flood_once "$who" "$sc"
			done
		done
	done
	pin_servers 0
	[ "$PIN" = 1 ] && where="servers on cpu $SERVER_CPU, flood on cpu $CLIENT_CPU"
	echo "-- flood: $FLOOD_PROBES fresh GETs (Connection: close, $FLOOD_RATE/s, ${FLOOD_TIMEOUT} s timeout) while hostile"
	echo "   connections are held (${FLOOD_WARMUP} s before, trickling one byte per 2 s); lookupd ${FLOOD_LOOKUPD_ARGS:-with its defaults}"
	echo "   vs nginx with Debian's defaults (worker_processes auto: $(pgrep -c -P "$FLOOD_NGINX_PID") workers, worker_connections 768,"
	echo "   keepalive_timeout 65); $where; ulimit -n $(ulimit -n); median of $FLOOD_ROUNDS rounds;"
	echo "   a failed client counts as the timeout; ratio: lookupd / nginx, above 1 is slower"
	for sc in "${FLOOD_SCENARIOS[@]}"; do
		flood_rows "$sc"
	done
	stop_lookupd
	kill "$FLOOD_NGINX_PID" 2>/dev/null || true
	wait "$FLOOD_NGINX_PID" 2>/dev/null || true
	SERVER_PIDS=()
}

# The sources part: one CA of SOURCE_CERTS certificates (one in ten revoked,
# with a reason) published from each kind of status source into a fresh
# tree, the first run and an unchanged re-run (the median of ROUNDS) timed
# by /usr/bin/time -v, wall time and peak RSS, with ratios to the index
# source. The data come from test/bench/source_data.py in one pass, the CRL
# from openssl ca -gencrl over that index; the databases (SQLite, and a
# PostgreSQL cluster made here as in test/integration/test_sql.sh) are
# loaded from its CSV and live in $WORK, the trees on tmpfs when
# /dev/shm has room for one (a tree at a time), else in $WORK. The
# database servers' own memory is not in the figures.
SOURCE_KINDS=${SOURCE_KINDS:-index crl sqlite-openxpki pg-openxpki pg-ejbca}
PG_PID_FILE=

# as_pg COMMAND...: as the postgres user when root (initdb refuses root).
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

src_stop() {
	local pid
	if [ -n "$PG_PID_FILE" ] && pid=$(head -1 "$PG_PID_FILE" 2>/dev/null) && [ -n "$pid" ]; then
		kill -INT "$pid" 2>/dev/null || true
		wait_for 30 gone "$pid" || kill -KILL "$pid" 2>/dev/null || true
	fi
	[ -z "${SRC_SHM:-}" ] || rm -rf "$SRC_SHM"
}

# secs_since T0: seconds since T0 (date +%s%N), two decimals.
secs_since() { awk -v d=$(($(date +%s%N) - $1)) 'BEGIN {printf "%.2f", d / 1e9}'; }

# The OpenXPKI and EJBCA tables as in test/integration/test_sql.sh, with
# EJBCA's index on (serialNumber, issuerDN) for its look-ups.
SRC_SCHEMA='
CREATE TABLE certificate (
  issuer_dn varchar(1000), cert_key numeric(49,0) NOT NULL,
  issuer_identifier varchar(64) NOT NULL, identifier varchar(64),
  subject varchar(1000), status varchar(255) NOT NULL DEFAULT '"'UNKNOWN'"',
  reason_code varchar(50), revocation_time integer, invalidity_time integer,
  hold_instruction_code varchar(64), notbefore integer, notafter integer,
  data text, PRIMARY KEY (issuer_identifier, cert_key));
CREATE TABLE CertificateData (
  fingerprint varchar(250) PRIMARY KEY, issuerDN varchar(250) NOT NULL,
  subjectDN varchar(400), serialNumber varchar(250) NOT NULL, status integer NOT NULL,
  type integer NOT NULL DEFAULT 1, revocationDate bigint NOT NULL,
  revocationReason integer NOT NULL, expireDate bigint NOT NULL,
  rowVersion integer NOT NULL DEFAULT 0);
CREATE INDEX certificatedata_idx3 ON CertificateData (serialNumber, issuerDN);'
OX_COLS='cert_key, issuer_identifier, status, reason_code, revocation_time, invalidity_time, hold_instruction_code, notafter'
EJ_COLS='fingerprint, issuerDN, serialNumber, status, revocationDate, revocationReason, expireDate'

# src_sqlite CA: $CA/ca.db with both tables. cert_key is TEXT, as in
# test/unit/test_source_sql.c: NUMERIC affinity would make a 16-octet
# serial a floating-point number. .import reads empty fields as '', hence
# the staging tables and NULLIF.
src_sqlite() {
	local ca=$1
	# No journal and no syncs while loading: the file is made here, once.
	sqlite3 "$ca/ca.db" > /dev/null <<SQL
PRAGMA journal_mode = OFF;
PRAGMA synchronous = OFF;
${SRC_SCHEMA//numeric(49,0)/TEXT}
CREATE TEMP TABLE ox (cert_key, issuer_identifier, status, reason_code, revocation_time,
  invalidity_time, hold_instruction_code, notafter);
CREATE TEMP TABLE ej (fingerprint, issuerDN, serialNumber, status, revocationDate,
  revocationReason, expireDate);
.import --csv $ca/openxpki.csv ox
.import --csv $ca/ejbca.csv ej
INSERT INTO certificate ($OX_COLS) SELECT cert_key, issuer_identifier, status,
  NULLIF(reason_code, ''), CAST(NULLIF(revocation_time, '') AS INTEGER),
  CAST(NULLIF(invalidity_time, '') AS INTEGER), NULLIF(hold_instruction_code, ''),
  CAST(notafter AS INTEGER) FROM ox;
INSERT INTO CertificateData ($EJ_COLS) SELECT fingerprint, issuerDN, serialNumber,
  CAST(status AS INTEGER), CAST(revocationDate AS INTEGER),
  CAST(revocationReason AS INTEGER), CAST(expireDate AS INTEGER) FROM ej;
SQL
}

# src_pg CA: a cluster in $WORK/pg on a free loopback port, SCRAM over
# TCP, role ocsp with a password in $CA/pgpw, both tables loaded by COPY.
# fsync is off: it only makes loading quicker, reading is the same.
# Sets SRC_PG_URI.
src_pg() {
	local ca=$1 pgbin pw port
	pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
	[ -x "$pgbin/initdb" ] || { echo "no PostgreSQL server (initdb)"; return 1; }
	port=$(free_port)
	chmod 755 "$WORK"
	mkdir -p "$WORK/pg" "$WORK/pgsock"
	[ "$(id -u)" -ne 0 ] || chown postgres "$WORK/pg" "$WORK/pgsock"
	as_pg "$pgbin/initdb" -D "$WORK/pg" -U postgres --auth-local=trust \
		--auth-host=scram-sha-256 >/dev/null
	PG_PID_FILE=$WORK/pg/postmaster.pid
	as_pg "$pgbin/pg_ctl" -D "$WORK/pg" -l "$WORK/pgsock/log" -w -t 60 \
		-o "-p $port -c listen_addresses=127.0.0.1 -k $WORK/pgsock -c fsync=off" start >/dev/null
	pw=$(openssl rand -hex 16)
	printf '%s\n' "$pw" > "$ca/pgpw"
	chmod 600 "$ca/pgpw"
	local -a psql=(as_pg "$pgbin/psql" -X -q -v ON_ERROR_STOP=1 -h "$WORK/pgsock" -p "$port")
	# The password through standard input, never an argument.
	"${psql[@]}" -d postgres <<SQL
CREATE ROLE ocsp LOGIN PASSWORD '$pw';
CREATE DATABASE ca;
SQL
	"${psql[@]}" -d ca <<<"$SRC_SCHEMA"
	"${psql[@]}" -d ca -c "COPY certificate ($OX_COLS) FROM STDIN WITH (FORMAT csv)" < "$ca/openxpki.csv"
	"${psql[@]}" -d ca -c "COPY CertificateData ($EJ_COLS) FROM STDIN WITH (FORMAT csv)" < "$ca/ejbca.csv"
	"${psql[@]}" -d ca -c "GRANT SELECT ON certificate, CertificateData TO ocsp; ANALYZE;"
	SRC_PG_URI="postgresql://ocsp@127.0.0.1:$port/ca"
}

# src_args KIND CA TREE: the publisher's arguments for KIND into TREE, in
# SRC_ARGS.
src_args() {
	local kind=$1 ca=$2 tree=$3
	SRC_ARGS=(--issuer "$ca/ca.pem" --signer "$ca/ca.pem" --key "$ca/ca.key" --out "$tree")
	case $kind in
	index) SRC_ARGS+=(--index "$ca/index.txt") ;;
	crl) SRC_ARGS+=(--crl "$ca/crl.pem" --issued "$ca/issued.txt") ;;
	sqlite-*) SRC_ARGS+=(--sql "sqlite:$ca/ca.db" --sql-preset "${kind#sqlite-}") ;;
	pg-*)
		# The password file is a configuration key only.
		cat > "$ca/$kind.conf" <<CONF
tree = $tree
[ca bench]
issuer = $ca/ca.pem
signer = $ca/ca.pem
key = $ca/ca.key
source = sql:$SRC_PG_URI
sql_preset = ${kind#pg-}
sql_password_file = $ca/pgpw
CONF
		SRC_ARGS=(--config "$ca/$kind.conf") ;;
	*) echo "unknown source kind $kind"; return 1 ;;
	esac
}

# src_run OUT ARGS...: one publisher run under /usr/bin/time -v; sets
# RUN_S (wall seconds), RUN_KIB (peak RSS), RUN_SIGNED and RUN_UNCHANGED
# (the summary's "N signed, M unchanged"), its output in OUT.
src_run() {
	local out=$1
	shift
	/usr/bin/time -v -o "$out.time" "$PUBLISHER" --no-progress "$@" > "$out" 2>&1 ||
		{ echo "   publisher exited $?: $(tail -3 "$out")"; }
	RUN_S=$(awk -F': ' '/Elapsed \(wall clock\)/ {n = split($2, t, ":"); s = 0;
		for (i = 1; i <= n; i++) s = s * 60 + t[i]; printf "%.2f", s}' "$out.time")
	RUN_KIB=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$out.time")
	RUN_SIGNED=$(sed -n 's/^\([0-9]*\) signed, .*/\1/p' "$out" | tail -1)
	RUN_UNCHANGED=$(sed -n 's/^[0-9]* signed, \([0-9]*\) unchanged, .*/\1/p' "$out" | tail -1)
}

srow() { printf '%-22s %8s %8s %6s %8s %8s %6s %7s %7s %7s %7s\n' "$@"; }

bench_sources() {
	local ncerts=${SOURCE_CERTS:-1000000} ca=$WORK/src t0 ident dn where kind i
	local -A first_s=() first_kib=() re_s=() re_kib=() note=()
	trap 'src_stop; cleanup' EXIT
	make_ca "$ca" ec
	ident=$(openssl x509 -in "$ca/ca.pem" -outform DER | openssl dgst -sha1 -binary |
		openssl base64 -A | tr '+/' '-_' | tr -d '=')
	dn=$(openssl x509 -in "$ca/ca.pem" -noout -subject -nameopt RFC2253 | sed 's/^subject=//')
	echo "-- status sources: $ncerts certificates (one in ten revoked), ECDSA P-256, -j default ($CORES threads)"
	t0=$(date +%s%N)
	python3 "$top/test/bench/source_data.py" "$ncerts" "$ca" "$ident" "$dn"
	echo "   generated index, issued list and CSV in $(secs_since "$t0") s"
	t0=$(date +%s%N)
	openssl ca -config "$ca/ca.cnf" -gencrl -crldays 7 -out "$ca/crl.pem" 2>/dev/null
	echo "   openssl ca -gencrl over the index: $(secs_since "$t0") s, $(($(stat -c %s "$ca/crl.pem") >> 20)) MiB PEM"
	case " $SOURCE_KINDS " in *" sqlite-"*)
		t0=$(date +%s%N)
		src_sqlite "$ca"
		echo "   SQLite loaded (.import) in $(secs_since "$t0") s, $(($(stat -c %s "$ca/ca.db") >> 20)) MiB" ;;
	esac
	case " $SOURCE_KINDS " in *" pg-"*)
		t0=$(date +%s%N)
		src_pg "$ca"
		echo "   PostgreSQL $(as_pg "$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)/postgres" -V | awk '{print $3}') made and loaded (COPY) in $(secs_since "$t0") s" ;;
	esac
	# A tree of ncerts responses: a 4 KiB page per file on tmpfs, and some.
	local need=$((ncerts * 5 + 262144)) avail
	avail=$(df -Pk /dev/shm 2>/dev/null | awk 'NR == 2 {print $4}')
	if [ "${avail:-0}" -gt "$need" ]; then
		SRC_SHM=$(mktemp -d /dev/shm/ocsp-bench.XXXXXX)
		where="tmpfs ($SRC_SHM)"
		# A VM's memory is slow the first time it is touched: touch it
		# once, so that the first source does not pay for it alone.
		head -c $((ncerts * 5 * 1024)) /dev/zero > "$SRC_SHM/warm"
		rm -f "$SRC_SHM/warm"
	else
		SRC_SHM=
		where="$WORK (disk; /dev/shm has ${avail:-0} KiB free, needs $need)"
	fi
	echo "   trees on $where, one at a time; re-runs: median of $ROUNDS"
	for kind in $SOURCE_KINDS; do
		local tree=${SRC_SHM:-$WORK}/tree-$kind s=() k=()
		rm -rf "$tree"
		src_args "$kind" "$ca" "$tree"
		sync
		src_run "$WORK/$kind.first" "${SRC_ARGS[@]}"
		first_s[$kind]=$RUN_S first_kib[$kind]=$RUN_KIB
		[ "$RUN_SIGNED" = "$ncerts" ] || note[$kind]+="first run signed ${RUN_SIGNED:-?} of $ncerts; "
		for i in $(seq "$ROUNDS"); do
			src_run "$WORK/$kind.re$i" "${SRC_ARGS[@]}"
			s+=("$RUN_S") k+=("$RUN_KIB")
			[ "$RUN_SIGNED" = 0 ] && [ "$RUN_UNCHANGED" = "$ncerts" ] ||
				note[$kind]+="re-run $i: ${RUN_SIGNED:-?} signed, ${RUN_UNCHANGED:-?} unchanged; "
		done
		re_s[$kind]=$(median "${s[@]}") re_kib[$kind]=$(median "${k[@]}")
		rm -rf "$tree"
	done
	local base=${SOURCE_KINDS%% *}
	case " $SOURCE_KINDS " in *" index "*) base=index ;; esac
	echo "   first: into an empty tree; re-run: unchanged (0 signed); B/rec: peak RSS / certificates;"
	echo "   ratios: this source / $base (wall, peak RSS)"
	srow "source" "first s" "MiB" "B/rec" "rerun s" "MiB" "B/rec" "first" "RSS" "rerun" "RSS"
	for kind in $SOURCE_KINDS; do
		srow "$kind" "${first_s[$kind]}" "$((first_kib[$kind] >> 10))" \
			"$((first_kib[$kind] * 1024 / ncerts))" "${re_s[$kind]}" "$((${re_kib[$kind]%.*} >> 10))" \
			"$((${re_kib[$kind]%.*} * 1024 / ncerts))" \
			"$(ratio "${first_s[$kind]}" "${first_s[$base]}")x" \
			"$(ratio "${first_kib[$kind]}" "${first_kib[$base]}")x" \
			"$(ratio "${re_s[$kind]}" "${re_s[$base]}")x" \
			"$(ratio "${re_kib[$kind]}" "${re_kib[$base]}")x"
		[ -z "${note[$kind]:-}" ] || echo "   MISBEHAVED: $kind: ${note[$kind]%; }"
	done
	src_stop
	PG_PID_FILE=
}

# ocsp-audit over a whole local tree, and openssl ocsp over a sample of
# the same files (a process per file: what a script checking a tree with
# the openssl CLI costs). Both verify the signature and the status of the
# serial; ocsp-audit also checks everything else it checks.
audit_rate() { "$B/publisher/ocsp-audit" "$@" | sed -n 's/.* s (\([0-9]*\)\/s): clean$/\1/p'; }
bench_audit() {
	local ca=$WORK/audit-ca t=$WORK/audit-tree n=${AUDIT_CERTS:-$CERTS} k=${AUDIT_REF_FILES:-500}
	local ours=() ref=() o r d t0
	make_ca "$ca" ec
	issue_many "$ca" "$n"
	"$PUBLISHER" --no-progress -q --index "$ca/index.txt" --issuer "$ca/ca.pem" \
		--signer "$ca/ca.pem" --key "$ca/ca.key" --out "$t"
	d=$t/$(issuer_dir "$ca/ca.pem")
	ls "$d" | grep -v '\.' | sed -n "1,${k}p" > "$WORK/audit-sample"
	for _ in $(seq "$ROUNDS"); do
		sync
		ours+=("$(audit_rate --tree "$t" --issuer "$ca/ca.pem" --index "$ca/index.txt")")
		t0=$(date +%s%N)
		xargs -P "$CORES" -I{} openssl ocsp -respin "$d/{}" -issuer "$ca/ca.pem" \
			-serial 0x{} -VAfile "$ca/ca.pem" -no_nonce < "$WORK/audit-sample" 2>&1 |
			grep -c ': good$' > "$WORK/audit-good"
		ref+=("$(awk -v k="$k" -v ns=$(($(date +%s%N) - t0)) 'BEGIN {printf "%.0f", k / (ns / 1e9)}')")
		[ "$(cat "$WORK/audit-good")" = "$k" ] || echo "   openssl ocsp said good for $(cat "$WORK/audit-good") of $k"
	done
	o=$(median "${ours[@]}"); r=$(median "${ref[@]}")
	row "ocsp-audit, local tree of $n (responses/s)" "$o" "$r" "$(ratio "$o" "$r")" \
		"vs openssl ocsp -respin -VAfile per file, $CORES at a time"
	rm -rf "$t"
}

echo "ocsp benchmark: $CORES cores, $CERTS certificates, median of $ROUNDS rounds ($HTTP_ROUNDS for HTTP), $(date -u +%FT%TZ)"
row "what" "ours" "reference" "ratio" "reference"
case " $PARTS " in *" signing "*|*" tree "*)
	bench_signing ec ecdsap256 "nistp256" "ECDSA P-256" ;; esac
case " $PARTS " in *" signing "*) bench_signing rsa rsa2048 "^rsa 2048" "RSA-2048" ;; esac
case " $PARTS " in *" tree "*) bench_tree ;; esac
case " $PARTS " in *" http "*) bench_http ;; esac
case " $PARTS " in *" flood "*) bench_flood ;; esac
case " $PARTS " in *" p11 "*) bench_p11 ;; esac
case " $PARTS " in *" sources "*) bench_sources ;; esac
case " $PARTS " in *" upload "*) bench_upload ;; esac
case " $PARTS " in *" audit "*) bench_audit ;; esac
