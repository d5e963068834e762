# The S3 server of the integration tests, for test_upload.sh, test_audit.sh and
# test_shards.sh: @20minutes/s3rver (it checks Signature V4), installed from
# npm into $NPM_DIR once, one bucket ($BUCKET), the key pair S3_KEY /
# S3_SECRET. Source it after lib.sh.
S3RVER_VERSION=5.0.0
NPM_DIR=${NPM_DIR:-$(cd "$(dirname "$PUBLISHER")/.." 2>/dev/null && pwd)/test/npm}
S3RVER_JS=$(dirname "${BASH_SOURCE[0]}")/s3rver.js
S3RVER_MOD=$(cd "$NPM_DIR" 2>/dev/null && pwd || echo "$NPM_DIR")/node_modules/@20minutes/s3rver

if [ ! -f "$S3RVER_MOD/package.json" ] ||
	! grep -q "\"version\": \"$S3RVER_VERSION\"" "$S3RVER_MOD/package.json"; then
	log "installing @20minutes/s3rver $S3RVER_VERSION into $NPM_DIR (once)"
	mkdir -p "$NPM_DIR"
	npm install --no-audit --no-fund --loglevel=error --prefix "$NPM_DIR" \
		"@20minutes/s3rver@$S3RVER_VERSION" >/dev/null 2>"$WORK/npm.log" ||
		{ cat "$WORK/npm.log"; fail "npm install @20minutes/s3rver (offline?)"; finish; }
fi

export S3_KEY=AKIAOCSPTEST S3_SECRET=ocsp-test-secret-1234
BUCKET=ocsp-bucket
S3DATA=$WORK/s3data
S3LOG=$WORK/s3rver.log
S3PID=

# start_s3 [PORT]: starts the S3 server (on PORT, else a free one), sets
# $S3PORT and $S3PID.
start_s3() {
	rm -f "$WORK/s3.port"
	# s3rver makes ListObjectsV2 continuation tokens with DES, which
	# OpenSSL 3 keeps in its legacy provider.
	node --openssl-legacy-provider "$S3RVER_JS" "$S3RVER_MOD" "$S3DATA" "$BUCKET" "$WORK/s3.port" "${1:-0}" \
		>>"$S3LOG" 2>&1 &
	S3PID=$!
	PIDS+=("$S3PID")
	wait_for 20 test -s "$WORK/s3.port" || { fail "s3rver did not start"; tail "$S3LOG"; finish; }
	S3PORT=$(cat "$WORK/s3.port")
}
stop_s3() { kill "$S3PID" 2>/dev/null; wait "$S3PID" 2>/dev/null || true; }
# stored: how many PUTs the S3 server has taken so far.
stored() { grep -c 'Stored object' "$S3LOG" || true; }

# s3get NAME OUT [SECRET]: a signed GET of one object; headers in OUT.h,
# prints the status.
s3get() {
	curl -s -o "$2" -D "$2.h" -w '%{http_code}' --aws-sigv4 "aws:amz:us-east-1:s3" \
		--user "$S3_KEY:${3:-$S3_SECRET}" \
		-H "x-amz-content-sha256: $(sha256sum /dev/null | cut -c1-64)" \
		"http://127.0.0.1:$S3PORT/$BUCKET/ocsp/$1"
}
# s3head NAME OUT: a signed HEAD; headers in OUT.h, prints the status.
s3head() {
	curl -s -I -o /dev/null -D "$2.h" -w '%{http_code}' --aws-sigv4 "aws:amz:us-east-1:s3" \
		--user "$S3_KEY:$S3_SECRET" \
		-H "x-amz-content-sha256: $(sha256sum /dev/null | cut -c1-64)" \
		"http://127.0.0.1:$S3PORT/$BUCKET/ocsp/$1"
}
header() { tr -d '\r' <"$1" | sed -n "s/^$2: //Ip"; }
