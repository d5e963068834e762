#!/usr/bin/env bash
# The demo: installs what is missing, builds, then on a throwaway demo CA
# publishes a response tree and asks ocsp-lookupd about three certificates
# with `openssl ocsp`, the way any OCSP client would. Ends by itself.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)

bash "$top/contrib/install-deps.sh"
echo "== building into build/"
bash "$top/contrib/build.sh" "$top/build"
PUBLISHER=$top/build/publisher/ocsp-publisher
LOOKUPD=$top/build/lookupd/ocsp-lookupd
AUDIT=$top/build/publisher/ocsp-audit
TREE_CHECK=/bin/true
source "$top/test/integration/lib.sh"
set +x

say() {
	if [ -t 1 ]; then printf '\n\033[1m%s\033[0m\n' "$*"; else printf '\n%s\n' "$*"; fi
}

say "1. A demo CA (ECDSA P-256) with a delegated OCSP responder certificate"
CA=$WORK/demo-ca
make_ca "$CA" ec "Demo CA"
RESP=$(issue "$CA" "Demo OCSP Responder" responder ec)
GOOD=$(issue "$CA" "good.example")
BAD=$(issue "$CA" "revoked.example")
revoke "$CA" "$BAD" -crl_reason keyCompromise
echo "openssl ca index ($CA/index.txt):"
sed 's/^/    /' "$CA/index.txt"

say "2. ocsp-publisher signs one response per certificate into a tree"
"$PUBLISHER" --index "$CA/index.txt" --issuer "$CA/ca.pem" --signer "$CA/$RESP.pem" \
	--key "$CA/$RESP.key" --out "$WORK/tree"
(cd "$WORK" && find tree -type f ! -name '.*' | sort | sed 's/^/    /')

say "3. ocsp-lookupd serves the tree; openssl ocsp asks it (POST)"
start_lookupd --tree "$WORK/tree"
echo "lookupd is listening on $URL"
ask() {
	echo "\$ openssl ocsp -issuer ca.pem ${*//$CA\//} -url $URL/ -CAfile ca.pem"
	# shellcheck disable=SC2068
	{ openssl ocsp -issuer "$CA/ca.pem" $@ -url "$URL/" -CAfile "$CA/ca.pem" 2>&1 || true; } |
		sed "s#$CA/##g; s/^/    /"
}
ask -no_nonce -cert "$CA/$GOOD.pem"
ask -no_nonce -cert "$CA/$BAD.pem"
ask -no_nonce -serial 0xDEADBEEF

say "4. The same answer over HTTP GET (RFC 6960 appendix A / RFC 9919), as a CDN would cache it"
openssl ocsp -issuer "$CA/ca.pem" -cert "$CA/$GOOD.pem" -no_nonce -reqout "$WORK/req.der" >/dev/null 2>&1
path=$(base64 -w0 < "$WORK/req.der" | sed 's#/#%2F#g; s#+#%2B#g; s#=#%3D#g')
echo "\$ curl -sI $URL/$path"
curl -sI "$URL/$path" | sed 's/^/    /'

stop_lookupd

say "5. With the responder key online, lookupd also signs what the tree cannot answer"
start_lookupd --tree "$WORK/tree" --issuer "$CA/ca.pem" --signer "$CA/$RESP.pem" --key "$CA/$RESP.key"
echo "(a nonce, echoed; a SHA-256 CertID; a serial nobody pre-signed: unknown, never good)"
ask -sha256 -cert "$CA/$GOOD.pem" -serial 0xDEADBEEF
stop_lookupd

say "6. ocsp-audit checks every published response against its signer, freshness and source"
echo "\$ ocsp-audit --tree tree --issuer ca.pem --index index.txt"
"$AUDIT" --tree "$WORK/tree" --issuer "$CA/ca.pem" --index "$CA/index.txt" 2>&1 | sed 's/^/    /'

cat <<TXT

Demo finished. What you saw:
  - the publisher signed $(grep -c . "$CA/index.txt") responses into tree/<issuer key hash>/<serial>;
  - lookupd answered "good" for $GOOD, "revoked" (keyCompromise) for $BAD, and
    "unauthorized" for a serial the CA never issued, from the tree, and openssl
    verified each answer against the demo CA ("Response verify OK");
  - GET answers carry Last-Modified/Expires/ETag and Cache-Control for CDNs;
  - with the key online, one freshly signed answer covered a nonce, SHA-256
    CertIDs and two certificates, the unknown serial answered "unknown";
  - ocsp-audit found every response in the tree valid, fresh and equal to the
    CA's index (exit 0; it exits non-zero and names each finding otherwise).
Everything was made in a temporary directory, now removed. Next: README.md.
TXT
