#!/usr/bin/env bash
# CDN purges (ocsp-publisher --purge, purge_preset; layout/include/ocsp/purge.h).
# Part 1, with a real cache: Varnish (Debian's varnish, contrib/varnish/ocsp.vcl)
# in front of lookupd; a cached good answer (a HIT) turns revoked within one
# publish run plus a few seconds once the publisher purges it (PURGE per GET
# URL, and BAN per cache tag), and stays cached without a purge (control).
# Part 2, contract tests: a local recording server stands in for the
# Cloudflare, Fastly and Akamai APIs (purge_api), and the requests are checked
# against the shapes their documentation gives (method, path, auth header,
# JSON body; Akamai's EdgeGrid signature recomputed here); a 500 is retried,
# kept in .purge-pending with exit 5, and sent again by the next run.
source "$(dirname "$0")/lib.sh"

command -v varnishd >/dev/null || { echo "FAIL: varnishd is not installed (contrib/install-deps.sh --test)"; exit 1; }

CA=$WORK/ca
make_ca "$CA" ec "Purge CA"
for n in ctl url ban gone cf fa ak fail softcf softfa softak; do
	eval "S_$n=\$(issue \"\$CA\" $n)"
done
T=$WORK/tree
DIR=$(issuer_dir "$CA/ca.pem")
cat > "$WORK/pub.conf" <<CONF
[ca t]
issuer = $CA/ca.pem
signer = $CA/ca.pem
key = $CA/ca.key
index = $CA/index.txt
CONF
publish() { "$PUBLISHER" --no-progress -c "$WORK/pub.conf" --out "$T" "$@"; }
quiet publish
cat > "$WORK/lookupd.conf" <<CONF
tree = $T
[lookupd]
path_prefix = /ocsp
cache_tags = cache-tag
reload_interval = 1s
CONF
start_lookupd -c "$WORK/lookupd.conf"

# ---- Varnish in front of lookupd ----
VP=$(free_port)
mkdir -p "$WORK/varnish"
sed -e "s/\.port = \"8080\"/.port = \"$PORT\"/" "$(dirname "$0")/../../contrib/varnish/ocsp.vcl" \
	> "$WORK/ocsp.vcl"
varnishd -F -j none -a "127.0.0.1:$VP" -f "$WORK/ocsp.vcl" -n "$WORK/varnish" \
	-s malloc,32m -p default_grace=0 > "$WORK/varnish.log" 2>&1 &
VARNISH_PID=$!
PIDS+=("$VARNISH_PID")
varnish_up() { curl -s -o /dev/null "http://127.0.0.1:$VP/" || gone "$VARNISH_PID"; }
wait_for 20 varnish_up || { cat "$WORK/varnish.log"; }
check "varnishd runs" kill -0 "$VARNISH_PID"
V=http://127.0.0.1:$VP

# get_path SERIAL: the GET path (RFC 6960 A.1) of openssl's request for it.
get_path() {
	ocsp_request "$CA" "$1" "$WORK/req.der" -no_nonce
	printf '/ocsp/%s' "$(base64 -w0 "$WORK/req.der")"
}
# status_via SERIAL: good or revoked, as Varnish answers the GET now.
status_via() {
	curl -s -o "$WORK/resp.der" "$V$(get_path "$1")"
	openssl ocsp -respin "$WORK/resp.der" -issuer "$CA/ca.pem" -serial "0x$1" -noverify \
		2>/dev/null | sed -n "s/^0x$1: //p"
}
# warm SERIAL: two GETs; the second must be a hit (X-Varnish holds two ids).
warm() {
	local h
	status_via "$1" >/dev/null
	h=$(curl -s -D - -o /dev/null "$V$(get_path "$1")")
	grep -qiE '^X-Varnish: [0-9]+ [0-9]+' <<<"$h" && grep -qi '^Cache-Tag: ocsp-' <<<"$h" ||
		{ echo "$h"; return 1; }
}
check "the control certificate's answer is cached (a HIT, tagged)" warm "$S_ctl"
check "the URL-purged certificate's answer is cached" warm "$S_url"
check "the tag-banned certificate's answer is cached" warm "$S_ban"
check "the certificate to be removed: its answer is cached" warm "$S_gone"

log "control: revoke without a purge"
revoke "$CA" "$S_ctl" -crl_reason keyCompromise
quiet publish
sleep 2
check "without a purge Varnish still answers good" test "$(status_via "$S_ctl")" = good

# revoked_within SECONDS SERIAL: polls Varnish until it answers revoked.
revoked_within() {
	local s=$2
	is_revoked() { [ "$(status_via "$s")" = revoked ]; }
	wait_for "$1" is_revoked
}
log "revoke, publish with --purge (PURGE per GET URL)"
revoke "$CA" "$S_url" -crl_reason keyCompromise
t0=$(date +%s%N)
out=$(publish --purge "$V" --purge-base "$V/ocsp") || fail "publish with --purge: exit $?"
echo "$out"
t1=$(date +%s%N)
check "the summary counts the purged URLs (SHA-1, SHA-256; NULL or no params; raw, %-encoded)" contains "$out" "purge: 8 purged, 0 failed"
check "Varnish answers revoked after the purge" revoked_within 10 "$S_url"
t2=$(date +%s%N)
printf 'purge delay: publish run %d ms, revoked answer from Varnish %d ms after the run started (max-age 3600 s)\n' \
	$(((t1 - t0) / 1000000)) $(((t2 - t0) / 1000000))
check "the control is still cached good (a purge is per certificate)" test "$(status_via "$S_ctl")" = good
check "no pending file after a purge that worked" test ! -e "$T/.purge-pending"

log "a certificate removed from the index: its URLs are purged too"
grep -v "	$S_gone	" "$CA/index.txt" > "$WORK/idx" && cp "$WORK/idx" "$CA/index.txt"
out=$(publish --purge "$V" --purge-base "$V/ocsp") || fail "publish with --purge: exit $?"
echo "$out"
check "its 8 URLs purged" contains "$out" "purge: 8 purged, 0 failed"
# as_lookupd SERIAL: Varnish gives what lookupd itself answers now (for a
# serial it no longer knows), not the cached good answer.
as_lookupd() {
	local p
	p=$(get_path "$1")
	curl -s -o "$WORK/direct.der" "$URL$p"
	curl -s -o "$WORK/via.der" "$V$p"
	cmp -s "$WORK/direct.der" "$WORK/via.der"
}
as_lookupd_within() { local s=$2; same() { as_lookupd "$s"; }; wait_for "$1" same; }
check "Varnish answers as lookupd does for it now" as_lookupd_within 10 "$S_gone"
check "... which is not good" test "$(openssl ocsp -respin "$WORK/via.der" -issuer "$CA/ca.pem" \
	-serial "0x$S_gone" -noverify 2>/dev/null | sed -n "s/^0x$S_gone: //p")" != good
check "the control is still cached good" test "$(status_via "$S_ctl")" = good

log "revoke, publish with purge_method = ban (BAN per tag)"
revoke "$CA" "$S_ban" -crl_reason keyCompromise
cp "$WORK/pub.conf" "$WORK/ban.conf"
printf '[publisher]\npurge = %s/\npurge_method = ban\n' "$V" >> "$WORK/ban.conf"
t0=$(date +%s%N)
out=$("$PUBLISHER" --no-progress -c "$WORK/ban.conf" --out "$T") || fail "publish with BAN: exit $?"
echo "$out"
check "Varnish answers revoked after the ban" revoked_within 10 "$S_ban"
printf 'ban delay: revoked answer from Varnish %d ms after the run started\n' $((($(date +%s%N) - t0) / 1000000))

# ---- contract tests: a recording server for the providers' APIs ----
log "contract tests (request shapes of the providers' documentation)"
REC=$WORK/rec
mkdir -p "$REC"
cat > "$WORK/rec.py" <<'PY'
import http.server, json, os, sys
d = sys.argv[1]
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n).decode()
        with open(os.path.join(d, "log.jsonl"), "a") as f:
            f.write(json.dumps({"method": self.command, "path": self.path,
                                "headers": dict(self.headers.items()), "body": body}) + "\n")
        # The success each provider documents; with "soft" a 2xx whose body
        # says the purge failed; with "fail" a 500.
        soft = os.path.exists(os.path.join(d, "soft"))
        if self.path.startswith("/client/v4/"):
            code, ans = 200, {"success": not soft, "errors": [{"code": 1134,
                "message": "Invalid url"}] if soft else [], "messages": [],
                "result": None if soft else {"id": "023e105f"}}
        elif self.path.startswith("/service/"):
            keys = json.loads(body).get("surrogate_keys", [])
            code, ans = 200, ({"msg": "Bad request", "detail": "no such key"} if soft else
                {k: "108-1391560174-%d" % i for i, k in enumerate(keys)})
        else:
            code, ans = 201, {"httpStatus": 400 if soft else 201, "detail":
                "Request accepted", "estimatedSeconds": 5, "purgeId": "e535071c",
                "supportId": "17PY1321286429616716-211907680"}
        if os.path.exists(os.path.join(d, "fail")):
            code, ans = 500, {"success": False}
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(json.dumps(ans).encode())
    def log_message(self, *a):
        pass
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
open(os.path.join(d, "port"), "w").write(str(s.server_address[1]))
s.serve_forever()
PY
python3 "$WORK/rec.py" "$REC" &
PIDS+=("$!")
rec_up() { [ -s "$REC/port" ]; }
wait_for 10 rec_up
API=http://127.0.0.1:$(cat "$REC/port")
KEYHEX=$(grep '^sha1 = ' "$T/$DIR/issuer.meta" | awk '{print $4}')

# run_preset NAME SERIAL CONF-LINES: revokes SERIAL, publishes with the
# preset; the last recorded request is in $REC/last.json.
run_preset() {
	local conf=$WORK/$1.conf
	revoke "$CA" "$2" -crl_reason keyCompromise
	cp "$WORK/pub.conf" "$conf"
	printf '[publisher]\npurge_api = %s\npurge_delay = 0\n%s\n' "$API" "$3" >> "$conf"
	: > "$REC/log.jsonl"
	"$PUBLISHER" --no-progress -c "$conf" --out "$T"
}
# contract NAME PY-ASSERTIONS: runs the assertions on the recorded requests
# (r: the list, q: the last one, b: its JSON body).
contract() {
	python3 - "$REC/log.jsonl" <<PY
import json, sys, base64, hashlib, hmac, re
r = [json.loads(l) for l in open(sys.argv[1])]
assert r, "no request recorded"
q = r[-1]; b = json.loads(q["body"]); h = {k.lower(): v for k, v in q["headers"].items()}
$2
PY
}

printf 'cf-token-123\n' > "$WORK/cf.token"
chmod 600 "$WORK/cf.token"
run_preset cf "$S_cf" "purge_preset = cloudflare
purge_zone = 023e105f4ecef8ad9ca31a8372d0c353
purge_credentials_file = $WORK/cf.token
purge_base = http://ocsp.example.com/ocsp" >/dev/null || fail "cloudflare run: exit $?"
check "contract cloudflare: POST /client/v4/zones/ZONE/purge_cache, Bearer token, {\"files\":[URLs]}" contract cf '
assert q["method"] == "POST" and q["path"] == "/client/v4/zones/023e105f4ecef8ad9ca31a8372d0c353/purge_cache", q
assert h["authorization"] == "Bearer cf-token-123" and h["content-type"] == "application/json"
assert list(b) == ["files"] and len(b["files"]) == 8, b
assert all(u.startswith("http://ocsp.example.com/ocsp/M") for u in b["files"]), b
assert any("%2F" in u or "%2B" in u or "%3D" in u for u in b["files"]), b'

printf 'fastly-key-456\n' > "$WORK/fa.key"
chmod 600 "$WORK/fa.key"
run_preset fa "$S_fa" "purge_preset = fastly
purge_zone = SU1Z0isxPaozGVKXdv0eY
purge_credentials_file = $WORK/fa.key" >/dev/null || fail "fastly run: exit $?"
check "contract fastly: POST /service/ID/purge, Fastly-Key, {\"surrogate_keys\":[tags]}" contract fa "
assert q['method'] == 'POST' and q['path'] == '/service/SU1Z0isxPaozGVKXdv0eY/purge', q
assert h['fastly-key'] == 'fastly-key-456' and h['content-type'] == 'application/json'
assert list(b) == ['surrogate_keys'] and 'ocsp-$KEYHEX-$S_fa' in b['surrogate_keys'], b
assert len(b['surrogate_keys']) == 2, b"

cat > "$WORK/edgerc" <<ERC
[default]
client_secret = C113nt53KR3TN6N90yVuAgICxIRwsObLi0E67/N8eRN=
host = akab-h05tnam3wl42son7nktnlnnx-kbob3i3v.luna.akamaiapis.net
access_token = akab-acc35t0k3nodujqunph3w7hzp7-gtm6ij
client_token = akab-c113ntt0k3n4qtari252bfxxbsl-yvsdj
ERC
chmod 600 "$WORK/edgerc"
run_preset ak "$S_ak" "purge_preset = akamai
purge_credentials_file = $WORK/edgerc
purge_base = http://ocsp.example.com/ocsp" >/dev/null || fail "akamai run: exit $?"
check "contract akamai: POST /ccu/v3/invalidate/url/production, {\"objects\":[URLs]}, EdgeGrid signature verifies" contract ak '
assert q["method"] == "POST" and q["path"] == "/ccu/v3/invalidate/url/production", q
assert list(b) == ["objects"] and len(b["objects"]) == 8, b
a = h["authorization"]
m = re.fullmatch(r"EG1-HMAC-SHA256 client_token=akab-c113ntt0k3n4qtari252bfxxbsl-yvsdj;access_token=akab-acc35t0k3nodujqunph3w7hzp7-gtm6ij;timestamp=(\d{8}T\d\d:\d\d:\d\d\+0000);nonce=([^;]+);signature=(.+)", a)
assert m, a
ts, sig = m.group(1), m.group(3)
secret = b"C113nt53KR3TN6N90yVuAgICxIRwsObLi0E67/N8eRN="
key = base64.b64encode(hmac.new(secret, ts.encode(), hashlib.sha256).digest())
host = h["host"].lower()
chash = base64.b64encode(hashlib.sha256(q["body"].encode()).digest()).decode()
data = "\t".join(["POST", "http", host, q["path"], "", chash, a[:a.index("signature=")]])
want = base64.b64encode(hmac.new(key, data.encode(), hashlib.sha256).digest()).decode()
assert sig == want, (sig, want)'

log "a failing API: retried, kept pending, exit 5; the next run sends it again"
touch "$REC/fail"
set +e
out=$(run_preset fail "$S_fail" "purge_preset = fastly
purge_zone = SVC
purge_retries = 2
purge_credentials_file = $WORK/fa.key" 2>&1)
rc=$?
set -e
echo "$out"
check "exit status 5 when a purge failed" test "$rc" = 5
check "the summary counts the failure" contains "$out" "purge: 0 purged, 2 failed"
check "the request was retried twice (3 attempts)" test "$(wc -l < "$REC/log.jsonl")" = 3
check "the failed purge is kept in .purge-pending" grep -qx "tag ocsp-$KEYHEX-$S_fail" "$T/.purge-pending"
rm "$REC/fail"
: > "$REC/log.jsonl"
out=$("$PUBLISHER" --no-progress -c "$WORK/fail.conf" --out "$T") || fail "next run: exit $?"
echo "$out"
check "the next run sends the pending purge" contract fail "
assert 'ocsp-$KEYHEX-$S_fail' in b['surrogate_keys'], b"
check "and removes the pending file" test ! -e "$T/.purge-pending"
log "a 2xx whose body says the purge failed: kept pending, exit 5; a good answer clears it"
touch "$REC/soft"
for p in cf fa ak; do
	revoke "$CA" "$(eval echo "\$S_soft$p")" -crl_reason keyCompromise
	: > "$REC/log.jsonl"
	set +e
	out=$("$PUBLISHER" --no-progress -c "$WORK/$p.conf" --out "$T" 2>&1)
	rc=$?
	set -e
	check "$p: exit 5 when the answer says it failed" test "$rc" = 5
	case $p in
	cf) check "... named: success is not true" contains "$out" '"success" is not true' ;;
	fa) check "... named: no purge id per key" contains "$out" 'nor a purge id per key' ;;
	ak) check "... named: httpStatus is not 201" contains "$out" '"httpStatus" is not 201' ;;
	esac
	check "... retried ($(wc -l < "$REC/log.jsonl") requests)" test "$(wc -l < "$REC/log.jsonl")" -gt 1
	check "... and kept in .purge-pending" test -s "$T/.purge-pending"
	rm "$REC/soft"
	: > "$REC/log.jsonl"
	out=$("$PUBLISHER" --no-progress -c "$WORK/$p.conf" --out "$T" 2>&1) && rc=0 || rc=$?
	check "$p: the next run, answered as documented, exits 0" test "$rc" = 0
	check "... sending the pending purge" test "$(wc -l < "$REC/log.jsonl")" = 1
	check "... and clears .purge-pending" test ! -e "$T/.purge-pending"
	touch "$REC/soft"
done
rm -f "$REC/soft"

check "lookupd does not serve the dot file" test "$(curl -s -o /dev/null -w '%{http_code}' "$URL/.purge-pending")" != 200

finish
