#!/usr/bin/env bash
# The HTTP front of ocsp-lookupd (lookupd/http.c) against peers that do not
# play along: slow headers, slow bodies, clients that never read, idle
# keep-alive connections and bursts beyond the worker count (python
# sockets, a fresh curl client timed meanwhile); framing a proxy could read
# otherwise; IPv6 with openssl ocsp and curl; a served file rewritten in
# place or made unreadable; nginx with contrib/nginx/ocsp-cache.conf in
# front; start-up errors. Small worker counts and 1 s timeouts keep it
# quick; every bound is a timeout plus FRONT_SLACK seconds (more by default
# for sanitizer builds).
source "$(dirname "$0")/lib.sh"

if [ -z "${FRONT_SLACK:-}" ]; then
	if grep -qa __tsan_init "$LOOKUPD"; then FRONT_SLACK=4
	elif grep -qa __asan_init "$LOOKUPD"; then FRONT_SLACK=2
	else FRONT_SLACK=1; fi
fi
THREADS=8
HT=1	# header_timeout
BT=1	# body_timeout
KA=2	# keep_alive_timeout
RI=1	# reload_interval
BUSY_LIMIT=$((THREADS * 75 / 100))	# busy_threshold 75
TRY_LATER=30030a0103

# sum EXPR: a float sum in seconds; le A B: A <= B as floats.
sum() { awk "BEGIN { print $* }"; }
le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 <= b + 0) }'; }
FAST=$FRONT_SLACK
size() { stat -c %s "$1"; }
header() { sed -n "s/^$2: *//Ip" "$1" | tr -d '\r' | head -1; }

# The hostile clients, and a splitter of raw HTTP answers. Each client
# writes OUT.ready once all its connections are made, and OUT when done.
cat > "$WORK/front.py" <<'PY'
import hashlib, os, select, socket, sys, threading, time

now = time.monotonic


def connect(port, rcvbuf=0):
    s = socket.socket()
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.settimeout(10)
    s.connect(("127.0.0.1", port))
    return s


def status_of(data):
    w = data.split(b"\r\n", 1)[0].split(b" ")
    return w[1].decode() if data.startswith(b"HTTP/") and len(w) > 1 else "-"


def trickle(port, n, interval, maxwait, out, head, byte):
    """n connections send head, then byte every interval, never ending
    the request. out: per connection "closed|open SECONDS STATUS", the
    seconds from connect to the server closing it."""
    cs = []
    for _ in range(n):
        s = connect(port)
        s.sendall(head)
        s.setblocking(False)
        cs.append({"s": s, "t0": now(), "next": now() + interval, "got": b"", "end": None})
    open(out + ".ready", "w").close()
    deadline = now() + maxwait
    while now() < deadline and any(c["end"] is None for c in cs):
        live = [c for c in cs if c["end"] is None]
        wait = max(0.0, min(min(c["next"] for c in live), deadline) - now())
        r, _, _ = select.select([c["s"] for c in live], [], [], wait)
        for c in live:
            if c["s"] in r:
                try:
                    b = c["s"].recv(65536)
                except (ConnectionResetError, BlockingIOError):
                    b = b""
                if not b:
                    c["end"] = now()
                    continue
                c["got"] += b
            if now() >= c["next"]:
                try:
                    c["s"].send(byte)
                except (BrokenPipeError, ConnectionResetError):
                    c["end"] = now()
                except BlockingIOError:
                    pass
                c["next"] += interval
    with open(out, "w") as f:
        for c in cs:
            state = "open" if c["end"] is None else "closed"
            f.write("%s %.2f %s\n" % (state, (c["end"] or now()) - c["t0"], status_of(c["got"])))


def pipeline(port, path, n, maxwait, out):
    """n connections pipeline GETs of path as fast as the server takes
    them, with a small receive buffer they never read. out: per
    connection "closed|open SECONDS BYTES-SENT"."""
    req = ("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" % path).encode() * 32
    cs, p = {}, select.poll()
    for _ in range(n):
        s = connect(port, rcvbuf=4096)
        s.setblocking(False)
        cs[s.fileno()] = {"s": s, "t0": now(), "sent": 0, "end": None}
        p.register(s, select.POLLOUT | select.POLLRDHUP | select.POLLERR | select.POLLHUP)
    open(out + ".ready", "w").close()
    deadline = now() + maxwait
    while now() < deadline and any(c["end"] is None for c in cs.values()):
        for fd, ev in p.poll(100):
            c = cs[fd]
            if ev & (select.POLLRDHUP | select.POLLERR | select.POLLHUP):
                c["end"] = now()
                p.unregister(fd)
                continue
            try:
                c["sent"] += c["s"].send(req)
            except BlockingIOError:
                pass
            except (BrokenPipeError, ConnectionResetError):
                c["end"] = now()
                p.unregister(fd)
    with open(out, "w") as f:
        for c in cs.values():
            state = "open" if c["end"] is None else "closed"
            f.write("%s %.2f %d\n" % (state, (c["end"] or now()) - c["t0"], c["sent"]))


def read_response(s, buf):
    """(status, headers, body, rest) of the next answer on s; status None
    when the connection closed first."""
    while b"\r\n\r\n" not in buf:
        b = s.recv(65536)
        if not b:
            return None, {}, b"", buf
        buf += b
    head, buf = buf.split(b"\r\n\r\n", 1)
    lines = head.decode("latin1").split("\r\n")
    h = {}
    for l in lines[1:]:
        k, _, v = l.partition(":")
        h[k.strip().lower()] = v.strip()
    n = int(h.get("content-length", "0"))
    while len(buf) < n:
        b = s.recv(65536)
        if not b:
            break
        buf += b
    return lines[0].split(" ")[1], h, buf[:n], buf[n:]


def keepalive(port, path, n, maxwait, out):
    """n clients one after the other GET path on a connection they keep
    and leave idle. out: per client "STATUS CONNECTION-HEADER SECONDS",
    the seconds from its answer to the server closing it (or "open")."""
    cs = []
    for _ in range(n):
        s = connect(port)
        s.sendall(("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" % path).encode())
        st, h, _, _ = read_response(s, b"")
        cs.append({"s": s, "st": st, "conn": h.get("connection", "-").lower(), "t": now(), "end": None})
    open(out + ".ready", "w").close()
    deadline = now() + maxwait
    while now() < deadline and any(c["end"] is None for c in cs):
        live = [c for c in cs if c["end"] is None]
        r, _, _ = select.select([c["s"] for c in live], [], [], 0.05)
        for c in live:
            if c["s"] in r:
                try:
                    b = c["s"].recv(65536)
                except ConnectionResetError:
                    b = b""
                if not b:
                    c["end"] = now()
    with open(out, "w") as f:
        for c in cs:
            end = "open" if c["end"] is None else "%.2f" % (c["end"] - c["t"])
            f.write("%s %s %s\n" % (c["st"], c["conn"], end))


def burst(port, path, n, timeout, out):
    """n clients at once, each one GET of path. out: "STATUS SECONDS"."""
    res = ["error"] * n
    go = threading.Barrier(n)

    def one(i):
        t0 = now()
        try:
            s = socket.socket()
            s.settimeout(timeout)
            go.wait()
            t0 = now()
            s.connect(("127.0.0.1", port))
            s.sendall(("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
                       % path).encode())
            st, _, _, _ = read_response(s, b"")
            res[i] = "%s %.2f" % (st, now() - t0)
        except Exception as e:
            res[i] = "%s %.2f" % (type(e).__name__, now() - t0)
    ts = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    with open(out, "w") as f:
        f.write("\n".join(res) + "\n")


def loop(port, path, stop, out):
    """GETs path on kept connections until the file stop exists. out: per
    distinct answer "COUNT STATUS CACHE-CONTROL CONTENT-LENGTH BODY-LENGTH
    BODY-FILE" (tab-separated)."""
    seen, bodies, s, buf = {}, {}, None, b""
    while not os.path.exists(stop):
        try:
            if s is None:
                s, buf = connect(port), b""
            s.sendall(("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" % path).encode())
            st, h, body, buf = read_response(s, buf)
        except (OSError, ValueError) as e:
            st, h, body = "error:" + type(e).__name__, {}, b""
        if st is None or st.startswith("error") or h.get("connection", "").lower() == "close":
            if s is not None:
                s.close()
            s = None
        if st is None:
            continue
        key = (st, h.get("cache-control", "-"), h.get("content-length", "-"), len(body),
               hashlib.sha256(body).hexdigest()[:16])
        seen[key] = seen.get(key, 0) + 1
        bodies[key[4]] = body
        time.sleep(0.002)   # leave the rewriter some of the machine
    with open(out, "w") as f:
        for (st, cc, cl, n, dig), count in seen.items():
            name = "%s.%s" % (out, dig)
            with open(name, "wb") as b:
                b.write(bodies[dig])
            f.write("%d\t%s\t%s\t%s\t%d\t%s\n" % (count, st, cc, cl, n, name))


def split(path):
    """The answers in a raw HTTP byte stream, one after the other (by
    Content-Length; without one, the rest): prints "STATUS" per answer
    and writes its body into PATH.N."""
    d, i, k = open(path, "rb").read(), 0, 0
    while i < len(d):
        e = d.find(b"\r\n\r\n", i)
        if not d.startswith(b"HTTP/", i) or e < 0:
            print("garbage")
            break
        head = d[i:e].decode("latin1").split("\r\n")
        n = len(d) - e - 4
        for l in head[1:]:
            if l.lower().startswith("content-length:"):
                n = int(l.split(":", 1)[1])
        open("%s.%d" % (path, k), "wb").write(d[e + 4:e + 4 + n])
        print(head[0].split(" ")[1])
        i, k = e + 4 + n, k + 1


if __name__ == "__main__":
    cmd, a = sys.argv[1], sys.argv[2:]
    if cmd == "slow-headers":
        trickle(int(a[0]), int(a[1]), float(a[2]), float(a[3]), a[4],
                b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ", b"a")
    elif cmd == "slow-body":
        trickle(int(a[0]), int(a[1]), float(a[2]), float(a[3]), a[4],
                b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/ocsp-request"
                b"\r\nContent-Length: 100\r\n\r\n0", b"0")
    elif cmd == "pipeline":
        pipeline(int(a[0]), a[1], int(a[2]), float(a[3]), a[4])
    elif cmd == "keepalive":
        keepalive(int(a[0]), a[1], int(a[2]), float(a[3]), a[4])
    elif cmd == "burst":
        burst(int(a[0]), a[1], int(a[2]), float(a[3]), a[4])
    elif cmd == "loop":
        loop(int(a[0]), a[1], a[2], a[3])
    elif cmd == "split":
        split(a[0])
PY
section() { log "[${SECONDS}s] $*"; }
front() { python3 "$WORK/front.py" "$@"; }
# bytes TEXT: TEXT with its \r and \n escapes made octets (and nothing
# else interpreted: the paths hold %2F); blen TEXT: how many octets.
bytes() { printf '%b' "$1"; }
blen() { bytes "$1" | wc -c; }

# hostile KIND ARGS... OUT: starts a client of front.py in the background
# (its pid in HOSTILE) and returns once its connections are made; counts a
# failure (lookupd gone?) when they could not be.
hostile() {
	local out=${*: -1}
	python3 "$WORK/front.py" "$@" &
	HOSTILE=$!
	PIDS+=("$HOSTILE")
	wait_for 20 test -e "$out.ready" && return 0
	fail "$1 clients could not connect"
	gone "$LOOKUPD_PID" && { echo "  lookupd exited:"; tail -40 "$LOOKUPD_LOG"; }
	return 0
}
hostile_done() { wait "$HOSTILE" 2>/dev/null || true; }

# fresh_get WHAT BOUND: a fresh client's GET of the good certificate must
# be answered with its response within BOUND seconds.
fresh_get() {
	local what=$1 bound=$2 r
	r=$(curl -s -o "$WORK/fresh.b" --max-time 20 -w '%{http_code} %{time_total}' \
		"$URL$GOOD_GET") || true
	log "$what: a fresh GET answered ${r%% *} in ${r#* } s (bound $bound s)"
	check "$what: a fresh GET answered 200 with the response" \
		test "${r%% *}" = 200 -a "$(hex "$WORK/fresh.b")" = "$(hex "$GOOD_FILE")"
	check "$what: ... within $bound s" le "${r#* }" "$bound"
}

# all_closed FILE BOUND [STATUS-REGEX]: every connection in a trickle or
# pipeline result was closed by the server within BOUND seconds (and what
# it answered, if anything, matches the regex).
all_closed() {
	local file=$1 bound=$2 re=${3:-.*} bad
	[ -s "$file" ] || { echo "  no result in $file"; return 1; }
	bad=$(awk -v b="$bound" -v re="^($re)\$" \
		'$1 != "closed" || $2 + 0 > b + 0 || (NF > 2 && $3 !~ re) { print "  " $0 }' "$file")
	[ -z "$bad" ] || { echo "  not closed within $bound s (state, seconds, status or bytes):"; echo "$bad" | head -5; return 1; }
}
max_col() { awk -v c="$2" 'BEGIN { m = 0 } $c + 0 > m { m = $c + 0 } END { print m }' "$1"; }
summary() { awk -v c="$2" '{ n[$c]++ } END { for (k in n) printf "%s%s x%d", s++ ? ", " : "", k, n[k] }' "$1"; }

# ask_raw OUT: standard input to lookupd as is; OUT gets the answers, one
# STATUS per line in OUT.st with bodies in OUT.N, and OUT.rc is 0 when the
# server closed the connection (3: it did not within the timeout).
ask_raw() {
	local out=$1 port=${2:-$PORT} rc=0
	raw_http "$port" "$(sum 2 + "$FRONT_SLACK")" > "$out" || rc=$?
	echo "$rc" > "$out.rc"
	front split "$out" > "$out.st"
}
closed() { [ "$(cat "$1.rc")" = 0 ] || { echo "  the connection was not closed (raw_http exit $(cat "$1.rc"))"; return 1; }; }
statuses() { tr '\n' ' ' < "$1.st" | sed 's/ $//'; }
statuses_are() { [ "$(statuses "$1")" = "$2" ] || { echo "  answers: '$(statuses "$1")', expected '$2'"; return 1; }; }
body_is_file() { cmp -s "$1" "$2" || { echo "  body $(hex "$1" | head -c 80) is not $2"; return 1; }; }

log "a CA, a good and a revoked certificate, published"
CA=$WORK/ca
OTHER=$WORK/other
make_ca "$CA" ec "Front CA"
make_ca "$OTHER" ec "Front other CA"
GOOD=$(issue "$CA" good)
REV=$(issue "$CA" revoked)
STRANGER=$(issue "$OTHER" stranger)
revoke "$CA" "$REV" -crl_reason keyCompromise
T=$WORK/tree
publish() { "$PUBLISHER" --no-progress -q --issuer "$CA/ca.pem" --signer "$CA/ca.pem" \
	--key "$CA/ca.key" "$@"; }
publish --index "$CA/index.txt" --out "$T"
DIR=$(issuer_dir "$CA/ca.pem")
GOOD_FILE=$T/$DIR/$GOOD
REV_FILE=$T/$DIR/$REV
ocsp_request "$CA" "$GOOD" "$WORK/good.req" -no_nonce
ocsp_request "$CA" "$REV" "$WORK/rev.req" -no_nonce
ocsp_request "$OTHER" "$STRANGER" "$WORK/stranger.req" -no_nonce
GOOD_GET=/$(pct_b64 "$(req_b64 "$WORK/good.req")")
REV_GET=/$(pct_b64 "$(req_b64 "$WORK/rev.req")")
STRANGER_GET=/$(pct_b64 "$(req_b64 "$WORK/stranger.req")")
check "the tree holds both responses" test -s "$GOOD_FILE" -a -s "$REV_FILE"
cat > "$WORK/front.conf" <<CONF
tree = $T
[lookupd]
threads = $THREADS
header_timeout = ${HT}s
body_timeout = ${BT}s
keep_alive_timeout = ${KA}s
reload_interval = ${RI}s
CONF
log "bounds: a timeout plus FRONT_SLACK=$FRONT_SLACK s; $THREADS threads, header_timeout ${HT}s," \
	"body_timeout ${BT}s, keep_alive_timeout ${KA}s"

# ---- 1. slow clients ----

section "slow headers, fewer connections than threads"
start_lookupd --config "$WORK/front.conf"
check "lookupd says it has IPv6" grep -q 'civetweb 1.15 (built in), IPv4 and IPv6' "$LOOKUPD_LOG"
# A worker sees the deadline when the next byte comes: up to 0.5 s late.
hostile slow-headers "$PORT" 4 0.5 "$(sum "$HT" + 0.5 + "$FRONT_SLACK" + 1)" "$WORK/sh4"
fresh_get "4 slowloris connections" "$FAST"
hostile_done
log "4 slow-header connections closed after $(max_col "$WORK/sh4" 2) s at most ($(summary "$WORK/sh4" 3))"
check "4 slow-header connections: each closed by the server within header_timeout + slack" \
	all_closed "$WORK/sh4" "$(sum "$HT" + 0.5 + "$FRONT_SLACK")" '-|400|408'

section "slow headers, twice as many connections as threads"
# Half of them (and the fresh client) wait for a worker, which gives them
# header_timeout then.
SH16_BOUND=$(sum 2 \* "($HT + 0.5)" + "$FRONT_SLACK")
hostile slow-headers "$PORT" 16 0.5 "$(sum "$SH16_BOUND" + 1)" "$WORK/sh16"
fresh_get "16 slowloris connections" "$SH16_BOUND"
hostile_done
log "16 slow-header connections closed after $(max_col "$WORK/sh16" 2) s at most ($(summary "$WORK/sh16" 2))"
check "16 slow-header connections: each closed within 2 header_timeouts + slack" \
	all_closed "$WORK/sh16" "$SH16_BOUND" '-|400|408'
check "lookupd still runs" kill -0 "$LOOKUPD_PID"
stop_lookupd

section "slow bodies: POST headers with Content-Length: 100, then a byte every 0.5 s"
start_lookupd --config "$WORK/front.conf"
SLOW_BODY_BOUND=$(sum "$BT" + "$HT" + "$FRONT_SLACK")
hostile slow-body "$PORT" 4 0.5 "$(sum "$SLOW_BODY_BOUND" + 1)" "$WORK/sb"
fresh_get "4 slow bodies" "$FAST"
hostile_done
log "4 trickled bodies: $(summary "$WORK/sb" 1), after $(max_col "$WORK/sb" 2) s at most, answered $(summary "$WORK/sb" 3)"
check "trickled bodies: closed (or answered 408) within body_timeout + header_timeout + slack" \
	all_closed "$WORK/sb" "$SLOW_BODY_BOUND" '-|408'
log "stalled bodies: POST headers with Content-Length: 100, one byte, then nothing"
hostile slow-body "$PORT" 4 1000 "$(sum "$SLOW_BODY_BOUND" + 1)" "$WORK/sbs"
fresh_get "4 stalled bodies" "$FAST"
hostile_done
log "4 stalled bodies closed after $(max_col "$WORK/sbs" 2) s at most ($(summary "$WORK/sbs" 3))"
check "stalled bodies: closed (or answered 408) within body_timeout + header_timeout + slack" \
	all_closed "$WORK/sbs" "$SLOW_BODY_BOUND" '-|400|408'
stop_lookupd

section "clients that pipeline GETs and never read"
start_lookupd --config "$WORK/front.conf"
# Answers are written until the socket buffers are full (megabytes on
# loopback, a second or so), then the blocked write waits header_timeout.
PIPE_BOUND=$(sum "$HT" + "$HT" + "$FRONT_SLACK")
hostile pipeline "$PORT" "$GOOD_GET" 4 "$(sum "$PIPE_BOUND" + 1)" "$WORK/pl"
fresh_get "4 clients that never read" "$FAST"
hostile_done
log "4 non-reading clients: $(summary "$WORK/pl" 1) after $(max_col "$WORK/pl" 2) s at most, having sent up to $(max_col "$WORK/pl" 3) bytes"
check "non-reading clients: each dropped once a write has waited header_timeout" \
	all_closed "$WORK/pl" "$PIPE_BOUND"
fresh_get "after the non-reading clients" "$FAST"
stop_lookupd

section "20 clients one after the other, each keeping its connection idle after one GET"
start_lookupd --config "$WORK/front.conf"
hostile keepalive "$PORT" "$GOOD_GET" 20 "$(sum "$KA" + 2 \* "$FRONT_SLACK" + 1)" "$WORK/ka"
fresh_get "20 idle keep-alive connections" "$FAST"
hostile_done
kept=$(awk '$2 == "keep-alive"' "$WORK/ka" | wc -l)
log "20 idle clients: answers $(summary "$WORK/ka" 1); $kept kept alive, $(awk '$2 == "close"' "$WORK/ka" | wc -l) said close"
check "every one of the 20 answered 200" test "$(awk '$1 == 200' "$WORK/ka" | wc -l)" = 20
check "the first answer keeps its connection (keep-alive works at all)" \
	test "$(awk 'NR == 1 { print $2 }' "$WORK/ka")" = keep-alive
# An answer given while BUSY_LIMIT kept connections held their workers must close.
ka_busy_close() {
	awk -v lim="$BUSY_LIMIT" '$2 == "keep-alive" && held >= lim { print "  answer " NR " kept with " held " idle"; bad = 1 }
		$2 == "keep-alive" { held++ } END { exit bad }' "$WORK/ka"
}
check "answers while $BUSY_LIMIT of $THREADS workers held idle connections said Connection: close" ka_busy_close
check "... and the server closed those connections at once (within $FRONT_SLACK s)" \
	test -z "$(awk -v b="$FRONT_SLACK" '$2 == "close" && ($3 == "open" || $3 + 0 > b + 0)' "$WORK/ka")"
check "idle kept connections closed after keep_alive_timeout (+ slack)" \
	test -z "$(awk -v b="$(sum "$KA" + "$FRONT_SLACK")" '$2 == "keep-alive" && ($3 == "open" || $3 + 0 > b + 0)' "$WORK/ka")"

section "a burst of 50 concurrent GETs on $THREADS threads"
front burst "$PORT" "$GOOD_GET" 50 "$(sum 10 \* "$FRONT_SLACK")" "$WORK/burst"
log "50 concurrent GETs: $(summary "$WORK/burst" 1), the slowest in $(max_col "$WORK/burst" 2) s"
check "every one of 50 concurrent GETs answered 200" test "$(grep -cx '200 [0-9.]*' "$WORK/burst")" = 50
check "lookupd still runs" kill -0 "$LOOKUPD_PID"

# ---- 2. strict framing ----

section "framing a proxy could read otherwise: refused, and the connection closed"
# Each request carries a second one after it, as a smuggler would: it must
# never be answered.
VICTIM="GET $REV_GET HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
VLEN=$(blen "$VICTIM")
many_fields() { local i; for i in $(seq "$1"); do printf 'X-F%d: v\\r\\n' "$i"; done; }
# framing WHAT STATUS NAME REQUEST [WHY]: WHY, if given, is in the body.
framing() {
	local what=$1 want=$2 out=$WORK/frame.$3
	bytes "$4" | ask_raw "$out"
	check "$what: answered $want, and nothing else" statuses_are "$out" "$want"
	check "$what: the server closed the connection" closed "$out"
	[ -z "${5:-}" ] || check "$what: ... saying why" grep -qF "$5" "$out.0"
}
framing "Content-Length and Transfer-Encoding" 400 cl-te \
	"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n$VICTIM"
framing "two Content-Length headers" 400 cl-cl \
	"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nContent-Length: $VLEN\r\n\r\n$VICTIM"
framing "Content-Length: 69abc" 400 cl-abc \
	"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 69abc\r\n\r\n$VICTIM"
framing "Content-Length: +69" 400 cl-plus \
	"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: +69\r\n\r\n$VICTIM"
framing "Transfer-Encoding: identity" 400 te-identity \
	"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: identity\r\n\r\n$VICTIM"
framing "Transfer-Encoding: gzip, chunked" 400 te-gzip \
	"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n$VICTIM"
framing "an obs-fold continuation line" 400 fold \
	"GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: a\r\n Content-Length: $VLEN\r\n\r\n$VICTIM"
framing "a blank before the colon (Host : x)" 400 blank \
	"GET /healthz HTTP/1.1\r\nHost : x\r\n\r\n$VICTIM"
framing "bare LF line endings" 400 lf \
	"GET /healthz HTTP/1.1\nHost: x\nContent-Length: $((VLEN - 3))\n\n${VICTIM//\\r/}"
framing "a header line that starts with a bare CR" 400 cr-line \
	"GET /healthz HTTP/1.1\r\nHost: x\r\n\rContent-Length: $VLEN\r\n\r\n$VICTIM"
framing "two SPs in the request line" 400 two-sp \
	"GET  /healthz HTTP/1.1\r\nHost: x\r\n\r\n$VICTIM"
framing "a request line broken over two lines" 400 split-line \
	"GET /healthz \r\nHTTP/1.1\r\nHost: x\r\n\r\n$VICTIM"
# What civetweb's in-place parse hides from framing.c (G1 to G3 there):
# lookupd's check of the head as it was sent (lookupd/head.c) refuses it.
# Without it, G1 answered /healthz twice and then the victim, G2 read the
# victim as the body of a Content-Length that a proxy may never have seen.
framing "G1: an empty line before the request line" 400 g1-crlf \
	"\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n$VICTIM" "empty line before the request line"
framing "G1: a bare LF before the request line" 400 g1-lf \
	"\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n$VICTIM" "empty line before the request line"
framing "G2: LF SP after the version, then a Content-Length" 400 g2-lf-sp \
	"GET /healthz HTTP/1.1\n Content-Length: $VLEN\r\nHost: x\r\n\r\n$VICTIM" "bare CR or LF"
framing "G2: CR CR after the version, then a Content-Length" 400 g2-cr-cr \
	"GET /healthz HTTP/1.1\r\rContent-Length: $VLEN\r\nHost: x\r\n\r\n$VICTIM" "bare CR or LF"
framing "G3: a header section ending in a bare LF LF (CR NUL after it)" 400 g3 \
	"GET /healthz HTTP/1.1\r\nHost: x\n\n\r\0$VICTIM" "bare CR or LF"
framing "$((32 + 1)) header fields (max_headers 32)" 431 fields33 \
	"GET /healthz HTTP/1.1\r\nHost: x\r\n$(many_fields 32)\r\n$VICTIM"
framing "70 header fields (over civetweb's 64)" 431 fields70 \
	"GET /healthz HTTP/1.1\r\nHost: x\r\n$(many_fields 69)\r\n$VICTIM"
big=$(head -c 17000 /dev/zero | tr '\0' a)
bytes "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: $big\r\n\r\n$VICTIM" | ask_raw "$WORK/frame.big"
log "a header section of 17 kB (max_header_bytes 16384): answered $(statuses "$WORK/frame.big")"
# civetweb answers a header section that overflows its buffer itself, with
# 400 (as --help-config says); what matters is that nothing else is.
check "a header section over max_header_bytes: 400 (as --help-config says)" \
	grep -Eqx '400' "$WORK/frame.big.st"
check "... and nothing else" test "$(wc -l < "$WORK/frame.big.st")" = 1
check "... and the connection closed" closed "$WORK/frame.big"

section "well-framed requests still work"
code=$(curl -s -o "$WORK/g.b" -w '%{http_code}' "$URL$GOOD_GET") || true
check "GET: 200 with the response" test "$code" = 200 -a "$(hex "$WORK/g.b")" = "$(hex "$GOOD_FILE")"
printf 'GET %s HTTP/1.0\r\n\r\n' "$GOOD_GET" | ask_raw "$WORK/h10"
check "HTTP/1.0 GET without headers: 200" statuses_are "$WORK/h10" 200
check "... with the response" body_is_file "$WORK/h10.0" "$GOOD_FILE"
check "... and the connection closed" closed "$WORK/h10"
{ printf 'POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/ocsp-request\r\nContent-Length: %d\r\nConnection: close\r\n\r\n' \
	"$(size "$WORK/good.req")"; cat "$WORK/good.req"; } | ask_raw "$WORK/post"
check "POST with Content-Length: 200 with the response" statuses_are "$WORK/post" 200
check "... byte for byte" body_is_file "$WORK/post.0" "$GOOD_FILE"
half=$(($(size "$WORK/good.req") / 2))
{ printf 'POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/ocsp-request\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n'
  printf '%x\r\n' "$half"; head -c "$half" "$WORK/good.req"
  printf '\r\n%x\r\n' $(($(size "$WORK/good.req") - half)); tail -c +$((half + 1)) "$WORK/good.req"
  printf '\r\n0\r\n\r\n'; } | ask_raw "$WORK/chunked"
check "chunked POST in two chunks: 200 with the response" statuses_are "$WORK/chunked" 200
check "... byte for byte" body_is_file "$WORK/chunked.0" "$GOOD_FILE"

section "pipelining: requests in one write, answered each in order"
{ printf 'GET %s HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n' "$GOOD_GET"
  printf 'POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/ocsp-request\r\nContent-Length: %d\r\n\r\n' "$(size "$WORK/rev.req")"
  cat "$WORK/rev.req"
  printf 'GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' "$GOOD_GET"; } | ask_raw "$WORK/pipe"
check "four pipelined requests: four 200s" statuses_are "$WORK/pipe" "200 200 200 200"
check "... 1st (GET good): its response" body_is_file "$WORK/pipe.0" "$GOOD_FILE"
check "... 2nd (/healthz): ok" test "$(cat "$WORK/pipe.1" 2>/dev/null)" = ok
check "... 3rd (POST revoked): its response" body_is_file "$WORK/pipe.2" "$REV_FILE"
check "... 4th (GET good, Connection: close): its response" body_is_file "$WORK/pipe.3" "$GOOD_FILE"
check "... then the connection closed" closed "$WORK/pipe"
# What the strict head check must still take: an empty value, OWS around
# a value, obs-text in one, an absolute-form target, on one connection.
bytes "GET $GOOD_GET HTTP/1.1\r\nHost: x\r\nX-Empty:\r\nX-Ows:   v w  \r\nX-Text: \xc3\xbc\r\n\r\nGET http://127.0.0.1:$PORT$GOOD_GET HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" |
	ask_raw "$WORK/pipe-ows"
check "a keep-alive pipeline with empty, padded and obs-text values: two 200s" \
	statuses_are "$WORK/pipe-ows" "200 200"
check "... each with the response" test "$(hex "$WORK/pipe-ows.0" 2>/dev/null)" = "$(hex "$GOOD_FILE")" \
	-a "$(hex "$WORK/pipe-ows.1" 2>/dev/null)" = "$(hex "$GOOD_FILE")"
check "... then the connection closed" closed "$WORK/pipe-ows"
{ printf 'GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n' "$VLEN"
  bytes "$VICTIM"; printf 'GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' "$GOOD_GET"; } |
	ask_raw "$WORK/getbody"
check "a GET whose body is a request: the body is not answered (two answers)" \
	statuses_are "$WORK/getbody" "200 200"
check "... the GET, then the next request, not the body's" \
	test "$(cat "$WORK/getbody.0" 2>/dev/null)" = ok -a "$(hex "$WORK/getbody.1" 2>/dev/null)" = "$(hex "$GOOD_FILE")"
check "lookupd still runs" kill -0 "$LOOKUPD_PID"
FRONT_PORT=$PORT FRONT_PID=$LOOKUPD_PID

# ---- 3. IPv6 ----

# start_listen LIST ARGS...: lookupd on LIST (start_lookupd is for
# 127.0.0.1:0 only); sets LISTENING to what its start line says.
start_listen() {
	local list=$1
	shift
	LOOKUPD_RUNS=$((LOOKUPD_RUNS + 1))
	LOOKUPD_LOG=$WORK/lookupd.$LOOKUPD_RUNS.log
	"$LOOKUPD" "${LOOKUPD_ROOT[@]}" --listen "$list" "$@" > "$LOOKUPD_LOG" 2>&1 &
	LOOKUPD_PID=$!
	PIDS+=("$LOOKUPD_PID")
	listening() {
		LISTENING=$(sed -n 's/^ocsp-lookupd: info: listening on \(.*\) with .*/\1/p' "$LOOKUPD_LOG")
		[ -n "$LISTENING" ] || gone "$LOOKUPD_PID"
	}
	wait_for 10 listening && [ -n "$LISTENING" ] && return 0
	echo "lookupd did not start on $list:"; cat "$LOOKUPD_LOG"
	return 1
}
port_of() { sed -n "s/.*$1:\([0-9]*\).*/\1/p" <<<"$LISTENING"; }
verify() {
	openssl ocsp -respin "$1" -CAfile "$CA/ca.pem" -issuer "$CA/ca.pem" -serial "0x$2" 2>&1 || true
}
# verifies FILE SERIAL STATUS: FILE is a response that verifies against
# the CA and gives SERIAL that status.
verifies() {
	local r
	r=$(verify "$1" "$2")
	case "$r" in
	*"Response verify OK"*) contains "$r" "0x$2: $3" ;;
	*) echo "  does not verify: $(head -3 <<<"$r")"; return 1 ;;
	esac
}

section "IPv6: lookupd on [::1]"
if python3 -c 'import socket; socket.socket(socket.AF_INET6).bind(("::1", 0))' 2>/dev/null; then
	start_listen '[::1]:0' --config "$WORK/front.conf"
	P6=$(port_of '\[::1\]')
	log "listening on $LISTENING"
	URL6="http://[::1]:$P6"
	healthy6() { curl -gfs -o /dev/null "$URL6/healthz"; }
	check "[::1]: healthz answers" wait_for 10 healthy6
	r=$(openssl ocsp -issuer "$CA/ca.pem" -CAfile "$CA/ca.pem" -url "$URL6/" -serial "0x$GOOD" -no_nonce 2>&1 || true)
	check "[::1]: openssl ocsp POST: verifies" contains "$r" "Response verify OK"
	check "[::1]: openssl ocsp POST: good" contains "$r" "0x$GOOD: good"
	r=$(openssl ocsp -issuer "$CA/ca.pem" -CAfile "$CA/ca.pem" -url "$URL6/" -serial "0x$REV" -no_nonce 2>&1 || true)
	check "[::1]: openssl ocsp POST: revoked, verifies" contains "$r" "Response verify OK"
	check "[::1]: openssl ocsp POST: revoked" contains "$r" "0x$REV: revoked"
	code=$(curl -gs -o "$WORK/v6get.b" -w '%{http_code}' "$URL6$GOOD_GET") || true
	check "[::1]: curl GET: 200" test "$code" = 200
	check "[::1]: curl GET: verifies and says good" verifies "$WORK/v6get.b" "$GOOD" good
	code=$(curl -gs -o "$WORK/v6post.b" -w '%{http_code}' --data-binary @"$WORK/rev.req" \
		-H 'Content-Type: application/ocsp-request' "$URL6/") || true
	check "[::1]: curl POST: 200" test "$code" = 200
	check "[::1]: curl POST: verifies and says revoked" verifies "$WORK/v6post.b" "$REV" revoked
	V6_PORT=$P6

	start_listen '127.0.0.1:0,[::1]:0' --config "$WORK/front.conf"
	log "listening on $LISTENING"
	P4=$(port_of '127\.0\.0\.1') P6=$(port_of '\[::1\]')
	check "127.0.0.1:0,[::1]:0: two ports in the start line" test -n "$P4" -a -n "$P6"
	both() {
		curl -fs -o "$WORK/both4.b" "http://127.0.0.1:$P4$GOOD_GET" &&
			curl -gfs -o "$WORK/both6.b" "http://[::1]:$P6$GOOD_GET"
	}
	check "127.0.0.1:0,[::1]:0: answered on both" wait_for 10 both
	check "... with the response on 127.0.0.1" body_is_file "$WORK/both4.b" "$GOOD_FILE"
	check "... and on [::1]" body_is_file "$WORK/both6.b" "$GOOD_FILE"
	stop_lookupd
else
	fail "IPv6: this machine cannot bind [::1] (no IPv6 loopback), lookupd's IPv6 is untested"
	V6_PORT=''
fi

# ---- 4. a served file rewritten in place under load ----

section "a response file rewritten in place (not renamed) while 4 clients GET it"
RW=$WORK/rw-tree
cp -a "$T" "$RW"
RW_FILE=$RW/$DIR/$GOOD
cp "$GOOD_FILE" "$WORK/A.der"
# The same certificate revoked: a longer response to alternate with.
awk -F'\t' -v OFS='\t' -v s="$GOOD" -v t="$(date -u +%y%m%d%H%M%SZ)" \
	'$4 == s { $1 = "R"; $3 = t ",superseded" } 1' "$CA/index.txt" > "$WORK/later.index"
publish --index "$WORK/later.index" --out "$WORK/later-tree"
cp "$WORK/later-tree/$DIR/$GOOD" "$WORK/B.der"
check "the revoked response is longer (test precondition)" test "$(size "$WORK/B.der")" -gt "$(size "$WORK/A.der")"
sed "s#^tree = .*#tree = $RW#" "$WORK/front.conf" > "$WORK/rw.conf"
start_lookupd --config "$WORK/rw.conf"
mkdir "$WORK/rw"
LOOPS=()
for k in 1 2 3 4; do
	python3 "$WORK/front.py" loop "$PORT" "$GOOD_GET" "$WORK/rw/stop" "$WORK/rw/out.$k" &
	LOOPS+=("$!")
	PIDS+=("$!")
done
rewrites=0
end=$(($(date +%s%N) + 5000000000))
while [ "$(date +%s%N)" -lt "$end" ]; do
	cat "$WORK/B.der" > "$RW_FILE"; sleep 0.1			# longer, over the shorter
	cat "$WORK/A.der" > "$RW_FILE"; sleep 0.1			# truncated, then shorter
	dd if="$WORK/B.der" of="$RW_FILE" conv=notrunc status=none; sleep 0.1	# over it, not truncated
	: > "$RW_FILE"; sleep 0.05; cat "$WORK/A.der" > "$RW_FILE"; sleep 0.1	# empty for a while
	rewrites=$((rewrites + 4))
done
touch "$WORK/rw/stop"
wait "${LOOPS[@]}" 2>/dev/null || true
cat "$WORK"/rw/out.? > "$WORK/rw/all"
n_good=0 n_rev=0 n_later=0 n_ie=0 n_bad=0
while IFS=$'\t' read -r count st cc cl len body; do
	kind=bad
	if [ "$st" = 200 ] && [ "$(hex "$body")" = "$TRY_LATER" ]; then
		[ "$cc" = no-store ] && kind=later
	elif [ "$st" = 200 ] && [ "$cl" = "$len" ] &&
	    grep -Eqx 'max-age=[0-9]+, public, no-transform, must-revalidate' <<<"$cc"; then
		if quiet verifies "$body" "$GOOD" good; then kind=good
		elif quiet verifies "$body" "$GOOD" revoked; then kind=rev; fi
	fi
	[ "$kind" = bad ] && [ "$(hex "$body")" = 30030a0102 ] && [ "$cc" = no-store ] && kind=ie
	case $kind in
	good) n_good=$((n_good + count)) ;;
	rev) n_rev=$((n_rev + count)) ;;
	later) n_later=$((n_later + count)) ;;
	ie) n_ie=$((n_ie + count)) ;;
	*) n_bad=$((n_bad + count))
	   echo "  $count x status $st, Cache-Control '$cc', Content-Length $cl, $len bytes: $(hex "$body" | head -c 60)" ;;
	esac
done < "$WORK/rw/all"
log "$rewrites in-place rewrites; answers: $n_good good, $n_rev revoked (both verified)," \
	"$n_later tryLater, $n_ie internalError (no-store), $n_bad other"
check "the clients got answers (test precondition)" test $((n_good + n_rev + n_later + n_ie + n_bad)) -ge 100
check "some answers were complete responses that verify" test $((n_good + n_rev)) -gt 0
check "every answer verified with its caching headers, or was tryLater with no-store" \
	test $((n_ie + n_bad)) = 0
check "lookupd still runs after the rewrites" kill -0 "$LOOKUPD_PID"
rw_served() { curl -fs -o "$WORK/rw.b" "$URL$GOOD_GET" && cmp -s "$WORK/rw.b" "$WORK/A.der"; }
check "the file as left is served within reload_interval + slack" wait_for "$(sum "$RI" + "$FRONT_SLACK")" rw_served
warnings=$(grep -c 'warning' "$LOOKUPD_LOG" || true)
log "$warnings warnings in lookupd's log for the rewrites"
grep 'warning' "$LOOKUPD_LOG" | cut -c1-160 | sort | uniq -c | sed 's/^/  /' | head -5
check "lookupd says what happened" test "$warnings" -ge 1
# tree: 5 and torn copies: 3 per 10 s window; a 5 s run is in one window.
check "... rate-limited: at most 8 warnings in the 5 s run" test "$warnings" -le 8
stop_lookupd

# ---- 5. a file made unreadable, then readable again ----

section "a response file made unreadable (chmod 000), then readable again"
# Root reads any file: as root, lookupd runs as nobody for this.
AS=()
perm_ok=1
if [ "$(id -u)" = 0 ]; then
	if command -v setpriv >/dev/null && id nobody >/dev/null 2>&1 && getent group nogroup >/dev/null; then
		AS=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
	else
		echo "SKIP: root, and no setpriv or no user nobody / group nogroup to run lookupd as"
		perm_ok=0
	fi
fi
PT=$WORK/perm-tree
PERM_FILE=$PT/$DIR/$REV
cp -a "$T" "$PT"
chmod 755 "$WORK"
if [ "$perm_ok" = 1 ] && ! "${AS[@]}" test -r "$PERM_FILE"; then
	echo "SKIP: ${AS[*]:-this user} cannot read $PERM_FILE"
	perm_ok=0
fi
if [ "$perm_ok" = 1 ]; then
	printf '#!/bin/sh\nexec %s "%s" "$@"\n' "${AS[*]}" "$LOOKUPD" > "$WORK/lookupd-as"
	chmod 755 "$WORK/lookupd-as"
	sed "s#^tree = .*#tree = $PT#" "$WORK/front.conf" > "$WORK/perm.conf"
	chmod 000 "$PERM_FILE"
	real=$LOOKUPD
	LOOKUPD=$WORK/lookupd-as
	start_lookupd --config "$WORK/perm.conf"
	LOOKUPD=$real
	uid=$(awk '/^Uid:/ { print $2 }' "/proc/$LOOKUPD_PID/status")
	check "lookupd runs as an unprivileged user (uid $uid)" test "$uid" != 0
	code=$(curl -s -D "$WORK/perm.h" -o "$WORK/perm.b" -w '%{http_code}' "$URL$REV_GET") || true
	log "unreadable: answered $code, $(hex "$WORK/perm.b" | head -c 40), Cache-Control: $(header "$WORK/perm.h" Cache-Control)"
	check "unreadable: an OCSP error (internalError or tryLater), not the response" \
		grep -Eqx '30030a010[23]' <<<"$(hex "$WORK/perm.b")"
	check "... that no cache may keep" test "$(header "$WORK/perm.h" Cache-Control)" = no-store
	check "... and a warning that says why" grep -q "$REV: refused: Permission denied" "$LOOKUPD_LOG"
	chmod 644 "$PERM_FILE"
	t0=$(date +%s%N)
	perm_served() { curl -fs -o "$WORK/perm.b" "$URL$REV_GET" && cmp -s "$WORK/perm.b" "$REV_FILE"; }
	check "readable again: served within reload_interval + slack" \
		wait_for "$(sum "$RI" + "$FRONT_SLACK")" perm_served
	log "served again $((($(date +%s%N) - t0) / 1000000)) ms after chmod 644"
	stop_lookupd
fi

# ---- 6. nginx with contrib/nginx/ocsp-cache.conf in front ----

section "nginx with contrib/nginx/ocsp-cache.conf in front of lookupd"
if ! command -v nginx >/dev/null; then
	fail "nginx is not installed (contrib/install-deps.sh --test): the nginx configuration is untested"
else
	start_lookupd --config "$WORK/front.conf" --path-prefix /ocsp
	NG=$WORK/nginx
	NGINX_PORT=$(free_port)
	mkdir -p "$NG/logs"
	chmod 755 "$WORK"
	sed -e "s#/var/cache/nginx/ocsp#$NG/cache#" \
	    -e "s#server 127\.0\.0\.1:8080;#server 127.0.0.1:$PORT;#" \
	    -e "s#listen 80;#listen 127.0.0.1:$NGINX_PORT;#" \
	    "$(dirname "$0")/../../contrib/nginx/ocsp-cache.conf" > "$NG/ocsp-cache.conf"
	check "the copy names our ports and cache (sed matched)" \
		test "$(grep -c "$NG/cache\|127.0.0.1:$PORT;\|listen 127.0.0.1:$NGINX_PORT;" "$NG/ocsp-cache.conf")" = 3
	cat > "$NG/nginx.conf" <<NGINX
worker_processes 1;
daemon off;
pid $NG/nginx.pid;
error_log $NG/logs/error.log;
events { worker_connections 256; }
http {
    access_log $NG/logs/access.log;
    include $NG/ocsp-cache.conf;
}
NGINX
	out=$(nginx -t -c "$NG/nginx.conf" -p "$NG" 2>&1) && rc=0 || rc=$?
	check "nginx -t accepts it" test "$rc" = 0
	check "... and says so" contains "$out" "test is successful"
	nginx -c "$NG/nginx.conf" -p "$NG" &
	NGINX_PID=$!
	PIDS+=("$NGINX_PID")
	NURL=http://127.0.0.1:$NGINX_PORT
	nginx_up() { curl -s -o /dev/null "$NURL/" || gone "$NGINX_PID"; }
	wait_for 10 nginx_up
	check "nginx runs" kill -0 "$NGINX_PID"
	nget() { curl -s --path-as-is -D "$2.h" -o "$2.b" -w '%{http_code}' "$NURL$1" || true; }
	code=$(nget "/ocsp$GOOD_GET" "$WORK/n1")
	check "GET /ocsp/<base64> through nginx: 200" test "$code" = 200
	check "... verifies and says good" verifies "$WORK/n1.b" "$GOOD" good
	check "... a MISS the first time" test "$(header "$WORK/n1.h" X-Cache-Status)" = MISS
	code=$(nget "/ocsp$GOOD_GET" "$WORK/n2")
	check "the same GET again: a HIT" test "$(header "$WORK/n2.h" X-Cache-Status)" = HIT
	check "... with the same response" body_is_file "$WORK/n2.b" "$GOOD_FILE"
	r=$(openssl ocsp -issuer "$CA/ca.pem" -CAfile "$CA/ca.pem" -url "$NURL/ocsp" -serial "0x$REV" -no_nonce 2>&1 || true)
	check "POST to /ocsp through nginx (openssl ocsp): verifies" contains "$r" "Response verify OK"
	check "... and says revoked" contains "$r" "0x$REV: revoked"
	code=$(nget "/ocsp$STRANGER_GET" "$WORK/n3")
	check "GET for an unknown issuer: unauthorized" test "$code" = 200 -a "$(hex "$WORK/n3.b")" = 30030a0106
	check "... a MISS" test "$(header "$WORK/n3.h" X-Cache-Status)" = MISS
	code=$(nget "/ocsp$STRANGER_GET" "$WORK/n4")
	check "... and again a MISS: the error was not cached" test "$(header "$WORK/n4.h" X-Cache-Status)" = MISS
	check "... still unauthorized" test "$(hex "$WORK/n4.b")" = 30030a0106

	section "smuggling through nginx: no victim gets a wrong answer"
	# Each payload hides a GET for the revoked certificate; the victims
	# POST for the good one, after it on the same connection and on new ones.
	SMUGGLED="GET /ocsp$REV_GET HTTP/1.1\r\nHost: x\r\n\r\n"
	# victim_post [HEADER]: a POST for the good certificate.
	victim_post() {
		printf 'POST /ocsp HTTP/1.1\r\nHost: x\r\nContent-Type: application/ocsp-request\r\n%bContent-Length: %d\r\n\r\n' \
			"${1:+$1\r\n}" "$(size "$WORK/good.req")"
		cat "$WORK/good.req"
	}
	# right_answers OUT: every 200 in OUT is the good certificate's response.
	right_answers() {
		local i=0 st bad=0
		while read -r st; do
			if [ "$st" = 200 ] && ! cmp -s "$1.$i" "$GOOD_FILE"; then
				echo "  answer $i: $(hex "$1.$i" | head -c 60)"
				bad=1
			fi
			i=$((i + 1))
		done < "$1.st"
		return $bad
	}
	smuggle() {
		local what=$1 payload=$2 out=$WORK/smuggle.$3 k
		{ bytes "$payload"; victim_post; } | ask_raw "$out" "$NGINX_PORT"
		log "$what through nginx: answered $(statuses "$out")"
		check "$what: refused by nginx (4xx or 501 first)" grep -Eq '^(4[0-9][0-9]|501)$' <(head -1 "$out.st")
		check "$what: no wrong answer on that connection" right_answers "$out"
		for k in 1 2 3; do
			victim_post 'Connection: close' | ask_raw "$out.v$k" "$NGINX_PORT"
			check "$what: victim $k on a new connection gets the good response" \
				test "$(head -1 "$out.v$k.st")" = 200 -a "$(hex "$out.v$k.0" 2>/dev/null)" = "$(hex "$GOOD_FILE")"
		done
	}
	smuggle "Content-Length and Transfer-Encoding" \
		"POST /ocsp HTTP/1.1\r\nHost: x\r\nContent-Type: application/ocsp-request\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n$SMUGGLED" cl-te
	smuggle "two Content-Length headers" \
		"POST /ocsp HTTP/1.1\r\nHost: x\r\nContent-Type: application/ocsp-request\r\nContent-Length: 0\r\nContent-Length: $(blen "$SMUGGLED")\r\n\r\n$SMUGGLED" cl-cl
	smuggle "an obs-fold Content-Length" \
		"GET /ocsp/x HTTP/1.1\r\nHost: x\r\nX-A: a\r\n Content-Length: $(blen "$SMUGGLED")\r\n\r\n$SMUGGLED" fold
	check "lookupd behind nginx still runs" kill -0 "$LOOKUPD_PID"
	kill "$NGINX_PID" 2>/dev/null || true
	wait "$NGINX_PID" 2>/dev/null || true
	stop_lookupd
fi

# ---- 7. start-up errors name the address ----

section "start-up errors"
set +e
out=$(timeout 20 "$LOOKUPD" "${LOOKUPD_ROOT[@]}" --tree "$T" --listen "127.0.0.1:$FRONT_PORT" 2>&1); rc=$?
check "a port in use: exit 2" test "$rc" = 2
check "... naming the address" contains "$out" "127.0.0.1:$FRONT_PORT"
if [ -n "${V6_PORT:-}" ]; then
	out=$(timeout 20 "$LOOKUPD" "${LOOKUPD_ROOT[@]}" --tree "$T" --listen "[::1]:$V6_PORT" 2>&1); rc=$?
	check "an IPv6 port in use: exit 2" test "$rc" = 2
	check "... naming the address" contains "$out" "[::1]:$V6_PORT"
fi
out=$(timeout 20 "$LOOKUPD" --check --tree "$T" --listen '[::1]:80' 2>&1); rc=$?
check "--check --listen '[::1]:80': exit 0" test "$rc" = 0
check "... configuration ok" contains "$out" "configuration ok"
set -e
check "the first lookupd still runs" kill -0 "$FRONT_PID"

finish
