#!/usr/bin/env bash
# ocsp-lookupd's signals and privileges, against openssl ocsp and raw HTTP
# clients in python:
# - SIGHUP under a steady request loop: a valid configuration (a second CA
#   is answered afterwards), broken ones (the running one stays, the file
#   and line are logged), a restart-only change (logged as such): no
#   request of the loop fails;
# - SIGTERM with slow POSTs in flight: each is answered, new connections
#   are refused meanwhile, exit 0; drain_timeout bounds the wait;
# - SIGINT when started with SIGINT ignored (a background job of a
#   non-interactive shell);
# - SIGUSR1 reopens log_file after it was moved away, and the process runs on;
# - started as root with user = nobody: Uid/Gid/Groups in /proc, answers
#   still signed online, and a SIGHUP that would need root's files keeps
#   the running configuration; refusing to serve as root without a user;
# - listen = systemd, under systemd-socket-activate;
# - the publisher refusing a tree owned by another user.
source "$(dirname "$0")/lib.sh"

A=$WORK/a B=$WORK/b
make_ca "$A" ec "Signals CA A"
make_ca "$B" ec "Signals CA B"
GA=$(issue "$A" "good a")
GB=$(issue "$B" "good b")
chmod 755 "$WORK"

ca_section() {
	printf '[ca %s]\nissuer = %s/ca.pem\nsigner = %s/ca.pem\nkey = %s/ca.key\nindex = %s/index.txt\n' \
		"$1" "$2" "$2" "$2" "$2"
}
CONF=$WORK/lookupd.conf
conf_a() { { printf '[lookupd]\n%s\n' "${1:-}"; ca_section a "$A"; } > "$CONF"; }
conf_ab() { { printf '[lookupd]\n%s\n' "${1:-}"; ca_section a "$A"; ca_section b "$B"; } > "$CONF"; }

# ask CA SERIAL: openssl ocsp's verdict on one certificate.
ask() { openssl ocsp -issuer "$1/ca.pem" -CAfile "$1/ca.pem" -url "$URL/" -serial "0x$2" 2>&1 || true; }
logged() { grep -q "$1" "$LOOKUPD_LOG"; }
log_count() { grep -c "$1" "$LOOKUPD_LOG" || true; }

# request_loop DER PORT OUT: POSTs DER to 127.0.0.1:PORT until $WORK/stop
# exists, alternating a new connection per request with keep-alive ones;
# counts answers that are not HTTP 200 with a successful OCSP response
# (responseStatus 0) in OUT as "ok N failed M", with the first failures.
request_loop() {
	python3 - "$@" <<'PY' &
import http.client, os, sys, time
der, port, out = open(sys.argv[1], "rb").read(), int(sys.argv[2]), sys.argv[3]
stop = os.path.join(os.path.dirname(out), "stop")
ok = failed = 0
why = []
conn = None
i = 0
while not os.path.exists(stop):
    i += 1
    try:
        if conn is None or i % 2 == 0:
            if conn is not None:
                conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("POST", "/", der, {"Content-Type": "application/ocsp-request"})
        r = conn.getresponse()
        body = r.read()
        if r.status == 200 and body[:1] == b"\x30" and b"\x0a\x01\x00" in body[:8]:
            ok += 1
        else:
            failed += 1
            why.append("status %d body %s" % (r.status, body[:8].hex()))
        if r.getheader("Connection", "").lower() == "close":
            conn.close()
            conn = None
    except Exception as e:
        failed += 1
        why.append(repr(e))
        conn = None
with open(out, "w") as f:
    f.write("ok %d failed %d %s\n" % (ok, failed, "; ".join(why[:5])))
PY
	LOOP_PID=$!
	PIDS+=("$LOOP_PID")
}

# ---- 1. SIGHUP under a request loop ----

log "SIGHUP: reloads under a steady request loop"
conf_a
start_lookupd --config "$CONF"
ocsp_request "$A" "$GA" "$WORK/a.der"
rm -f "$WORK/stop"
request_loop "$WORK/a.der" "$PORT" "$WORK/loop1"
sleep 1
check "before: CA B is not served (unauthorized)" contains "$(ask "$B" "$GB")" "unauthorized"

conf_ab
kill -HUP "$LOOKUPD_PID"
check "a valid configuration is reloaded" wait_for 10 logged "reloaded $CONF: 2 CAs"
out=$(ask "$B" "$GB")
check "after: CA B is answered, signed online, verified" contains "$out" "Response verify OK"
check "... good" contains "$out" "0x$GB: good"
check "CA A still answered" contains "$(ask "$A" "$GA")" "0x$GA: good"

conf_ab "no_such_key = 1"
kill -HUP "$LOOKUPD_PID"
check "a broken configuration is refused with its file and line" \
	wait_for 10 logged "reload: $CONF:2: unknown key 'no_such_key'.*the running configuration stays"
check "... and CA B is still answered" contains "$(ask "$B" "$GB")" "0x$GB: good"

conf_ab
sed -i "s#key = $B/ca.key#key = $WORK/missing.key#" "$CONF"
kill -HUP "$LOOKUPD_PID"
check "a configuration whose key cannot be read is refused" \
	wait_for 10 logged "reload: ca b: no usable signer.*the running configuration stays"
check "... naming the key" logged "missing.key: No such file"
check "... and CA B is still answered" contains "$(ask "$B" "$GB")" "0x$GB: good"

conf_ab "threads = 16"
kill -HUP "$LOOKUPD_PID"
check "a thread count change is logged as needing a restart" \
	wait_for 10 logged "'threads' changed; it takes effect at the next restart"

# Replacements in quick succession while the loop runs: each old
# configuration is freed only once no worker can reach it.
before=$(log_count "reloaded $CONF")
for _ in 1 2 3 4 5 6 7 8 9 10; do
	kill -HUP "$LOOKUPD_PID"
	sleep 0.2
done
check "ten reloads in a row" wait_for 20 eval '[ $(($(log_count "reloaded $CONF") - before)) -ge 10 ]'
sleep 1
touch "$WORK/stop"
wait "$LOOP_PID" || true
read -r _ ok _ failed rest < "$WORK/loop1"
log "request loop: $ok answered, $failed failed ${rest:-}"
check "the loop made requests throughout (at least 50)" test "$ok" -ge 50
check "no request of the loop failed across 13 reloads" test "$failed" = 0
check "lookupd still runs" kill -0 "$LOOKUPD_PID"
stop_lookupd

# ---- 2. SIGTERM with slow POSTs in flight ----

# slow_posts DER PORT N DELAY OUT: N connections each send the head and
# half of a POST, wait DELAY seconds, send the rest and read the answer;
# OUT gets one line per client, "ok" or what went wrong. $WORK/sent
# appears once every head is sent.
slow_posts() {
	python3 - "$@" <<'PY' &
import socket, sys, threading, time, os
der, port, n, delay, out = open(sys.argv[1], "rb").read(), int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
head = ("POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/ocsp-request\r\n"
        "Content-Length: %d\r\n\r\n" % len(der)).encode()
results = [None] * n
socks = []
for i in range(n):
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    s.sendall(head + der[:len(der) // 2])
    socks.append(s)
open(os.path.join(os.path.dirname(out), "sent"), "w").close()
def finish(i, s):
    try:
        time.sleep(delay)
        s.sendall(der[len(der) // 2:])
        data = b""
        while b"\r\n\r\n" not in data:
            b = s.recv(65536)
            if not b:
                break
            data += b
        hdr, _, body = data.partition(b"\r\n\r\n")
        length = 0
        for line in hdr.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        while len(body) < length:
            b = s.recv(65536)
            if not b:
                break
            body += b
        ok = hdr.startswith(b"HTTP/1.1 200") and len(body) == length and b"\x0a\x01\x00" in body[:8]
        results[i] = "ok" if ok else "bad: %r %s" % (hdr[:40], body[:8].hex())
    except Exception as e:
        results[i] = "error: %r" % e
ts = [threading.Thread(target=finish, args=(i, s)) for i, s in enumerate(socks)]
for t in ts: t.start()
for t in ts: t.join()
open(out, "w").write("\n".join(results) + "\n")
PY
	SLOW_PID=$!
	PIDS+=("$SLOW_PID")
}

connect_refused() {
	python3 -c '
import socket, sys
try:
    socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=2).close()
except ConnectionRefusedError:
    sys.exit(0)
sys.exit(1)' "$1"
}

log "SIGTERM: requests in flight are answered, then exit 0"
conf_a
start_lookupd --config "$CONF"
rm -f "$WORK/sent"
slow_posts "$WORK/a.der" "$PORT" 5 2 "$WORK/slow1"
wait_for 10 test -e "$WORK/sent"
sleep 0.3
kill -TERM "$LOOKUPD_PID"
check "new connections are refused while draining" wait_for 1 connect_refused "$PORT"
check "lookupd is still running for the requests in flight" kill -0 "$LOOKUPD_PID"
wait "$SLOW_PID" || true
check "all five slow POSTs were answered" test "$(grep -c '^ok$' "$WORK/slow1")" = 5 ||
	cat "$WORK/slow1"
rc=0
wait "$LOOKUPD_PID" || rc=$?
check "lookupd exited 0 after the drain" test "$rc" = 0
check "it said what it drained" logged "stopping (SIGTERM): no new connections; 5 requests in flight"

log "SIGTERM: drain_timeout bounds the wait"
conf_a "drain_timeout = 1s
body_timeout = 10s"
start_lookupd --config "$CONF"
rm -f "$WORK/sent"
slow_posts "$WORK/a.der" "$PORT" 2 6 "$WORK/slow2"
wait_for 10 test -e "$WORK/sent"
sleep 0.3
t0=$(date +%s%N)
kill -TERM "$LOOKUPD_PID"
rc=0
wait "$LOOKUPD_PID" || rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
check "exit 0 after drain_timeout" test "$rc" = 0
check "within about the timeout (${ms} ms, 1 s allowed + stop)" test "$ms" -lt 5000
check "the requests cut off are logged" logged "2 requests still in flight are cut off"
kill "$SLOW_PID" 2>/dev/null || true
wait "$SLOW_PID" 2>/dev/null || true

# ---- 3. SIGINT inherited as ignored ----

log "SIGINT stops lookupd even when it was started with SIGINT ignored"
LOOKUPD_RUNS=$((LOOKUPD_RUNS + 1))
LOOKUPD_LOG=$WORK/lookupd.$LOOKUPD_RUNS.log
(trap '' INT; exec "$LOOKUPD" "${LOOKUPD_ROOT[@]}" --config "$CONF" --listen 127.0.0.1:0 \
	> "$LOOKUPD_LOG" 2>&1) &
LOOKUPD_PID=$!
PIDS+=("$LOOKUPD_PID")
wait_for 10 lookupd_bound
ign=$(awk '/^SigIgn:/ { print $2 }' "/proc/$LOOKUPD_PID/status")
check "SIGINT is not ignored in lookupd (SigIgn $ign)" test $((0x$ign & 2)) = 0
kill -INT "$LOOKUPD_PID"
check "SIGINT stops it" wait_for 10 gone "$LOOKUPD_PID"
rc=0
wait "$LOOKUPD_PID" || rc=$?
check "exit 0" test "$rc" = 0
check "it logged SIGINT" logged "stopping (SIGINT)"

# ---- 4. SIGUSR1 reopens the log file ----

log "SIGUSR1 reopens log_file"
conf_a "log_file = $WORK/daemon.log"
LOOKUPD_RUNS=$((LOOKUPD_RUNS + 1))
LOOKUPD_LOG=$WORK/lookupd.$LOOKUPD_RUNS.log
"$LOOKUPD" "${LOOKUPD_ROOT[@]}" --config "$CONF" --listen 127.0.0.1:0 > "$LOOKUPD_LOG" 2>&1 &
LOOKUPD_PID=$!
PIDS+=("$LOOKUPD_PID")
check "the log goes to log_file" wait_for 10 grep -qs "listening on" "$WORK/daemon.log"
check "... not to stderr" test ! -s "$LOOKUPD_LOG"
mv "$WORK/daemon.log" "$WORK/daemon.log.1"
kill -USR1 "$LOOKUPD_PID"
check "a new log file is opened" wait_for 10 grep -q "reopened $WORK/daemon.log" "$WORK/daemon.log"
check "lookupd still runs after SIGUSR1" kill -0 "$LOOKUPD_PID"
kill -HUP "$LOOKUPD_PID"
check "what follows goes to the new file" wait_for 10 grep -q "reloaded" "$WORK/daemon.log"
check "... not to the old one" bash -c "! grep -q reloaded '$WORK/daemon.log.1'"
stop_lookupd

# ---- 5. socket activation ----

if command -v systemd-socket-activate >/dev/null; then
	log "listen = systemd: the socket a service manager passes"
	conf_a
	SA_PORT=$(free_port)
	LOOKUPD_RUNS=$((LOOKUPD_RUNS + 1))
	LOOKUPD_LOG=$WORK/lookupd.$LOOKUPD_RUNS.log
	# It binds, and starts lookupd (in its own process) at the first connection.
	systemd-socket-activate -l "127.0.0.1:$SA_PORT" "$LOOKUPD" "${LOOKUPD_ROOT[@]}" \
		--config "$CONF" --listen systemd > "$LOOKUPD_LOG" 2>&1 &
	LOOKUPD_PID=$!
	PIDS+=("$LOOKUPD_PID")
	wait_for 10 grep -q "Listening on" "$LOOKUPD_LOG"
	URL=http://127.0.0.1:$SA_PORT
	check "the connection that started it is answered" contains "$(ask "$A" "$GA")" "0x$GA: good"
	check "it serves the passed socket, and says so" \
		logged "listening on 127.0.0.1:$SA_PORT (from systemd)"
	check "no loopback placeholder is left listening: one socket, the passed one" \
		test "$(ss -Hltnp | grep -c "pid=$LOOKUPD_PID,")" = 1
	kill -TERM "$LOOKUPD_PID"
	rc=0
	wait "$LOOKUPD_PID" || rc=$?
	check "SIGTERM: exit 0" test "$rc" = 0
	rc=0
	out=$("$LOOKUPD" "${LOOKUPD_ROOT[@]}" --config "$CONF" --listen systemd 2>&1) || rc=$?
	check "listen = systemd without a passed socket: exit 2" test "$rc" = 2
	check "... saying so" contains "$out" "no socket was passed"
else
	echo "SKIP: no systemd-socket-activate: socket activation not tested"
fi

# ---- 6. dropping root ----

if [ "$(id -u)" = 0 ]; then
	log "started as root with user = nobody"
	# The keys stay root's (0600): read at start, before the drop.
	conf_a "user = nobody
group = nogroup"
	LOOKUPD_ROOT_SAVED=("${LOOKUPD_ROOT[@]}")
	LOOKUPD_ROOT=()
	start_lookupd --config "$CONF"
	status=/proc/$LOOKUPD_PID/status
	check "Uid: nobody, real, effective, saved and fs" \
		test "$(awk '/^Uid:/ { print $2, $3, $4, $5 }' "$status")" = "65534 65534 65534 65534"
	check "Gid: nogroup" test "$(awk '/^Gid:/ { print $2, $3, $4, $5 }' "$status")" = "65534 65534 65534 65534"
	check "no supplementary groups" test -z "$(awk '/^Groups:/ { print $2 }' "$status")"
	check "the drop is logged" logged "running as user nobody (uid 65534), group nogroup (gid 65534)"
	check "the key read as root still signs" contains "$(ask "$A" "$GA")" "0x$GA: good"
	kill -HUP "$LOOKUPD_PID"
	check "a reload reads the key as nobody: refused, logged" \
		wait_for 10 logged "reload: ca a: no usable signer.*the running configuration stays"
	check "... because nobody may not read it" logged "ca.key: Permission denied"
	check "... and the running configuration answers" contains "$(ask "$A" "$GA")" "0x$GA: good"
	stop_lookupd

	log "refusing to serve as root"
	conf_a
	rc=0
	out=$(timeout 20 "$LOOKUPD" --config "$CONF" --listen 127.0.0.1:0 2>&1) || rc=$?
	check "as root without user: exit 1" test "$rc" = 1
	check "... saying why" contains "$out" "refusing to serve as root"
	conf_a "user = root"
	rc=0
	out=$(timeout 20 "$LOOKUPD" --config "$CONF" --listen 127.0.0.1:0 2>&1) || rc=$?
	check "user = root without allow_root: exit 1" test "$rc" = 1
	conf_a "user = no-such-user-here"
	rc=0
	out=$(timeout 20 "$LOOKUPD" --config "$CONF" --listen 127.0.0.1:0 2>&1) || rc=$?
	check "an unknown user: exit 1" test "$rc" = 1
	check "... naming it" contains "$out" "no user 'no-such-user-here'"
	conf_a "allow_root = yes"
	start_lookupd --config "$CONF"
	check "allow_root = yes serves as root" \
		test "$(awk '/^Uid:/ { print $2 }' "/proc/$LOOKUPD_PID/status")" = 0
	check "... and says so" logged "serving as root, as allow_root = yes says"
	stop_lookupd
	LOOKUPD_ROOT=("${LOOKUPD_ROOT_SAVED[@]}")

	log "the publisher refuses a tree owned by another user"
	mkdir -p "$WORK/nobody-tree"
	chown nobody:nogroup "$WORK/nobody-tree"
	rc=0
	out=$("$PUBLISHER" -q --index "$A/index.txt" --issuer "$A/ca.pem" --signer "$A/ca.pem" \
		--key "$A/ca.key" --out "$WORK/nobody-tree" 2>&1) || rc=$?
	check "publishing as root into nobody's tree fails" test "$rc" != 0
	check "... naming the path and both users" contains "$out" \
		"$WORK/nobody-tree: refusing to write a tree owned by user nobody (uid 65534) as user root (uid 0)"
	check "... and nothing was written" test -z "$(ls -A "$WORK/nobody-tree")"
	"$PUBLISHER" -q --index "$A/index.txt" --issuer "$A/ca.pem" --signer "$A/ca.pem" \
		--key "$A/ca.key" --out "$WORK/root-tree"
	check "a tree of its own is written" test -n "$(ls -A "$WORK/root-tree")"
else
	echo "SKIP: not root: the privilege checks need root"
fi

finish
