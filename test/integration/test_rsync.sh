#!/usr/bin/env bash
# contrib/rsync-to-edge.sh: a tree published by ocsp-publisher is copied to an
# edge directory that ocsp-lookupd serves with no key (--tree only), while
# four clients ask it about a set of serials (GET and POST, every answer
# recorded with when it was asked and answered) and, for about 15 s,
# certificates are revoked or issued, published and copied, generation
# after generation. Then publishes that overlap a copy: one in progress (the
# copy waits, or refuses with --wait 0), one landing during a pass (the
# copy starts over), one killed half-way (refused); and sources the script
# must refuse (no marker, older than the edge).
# Every answer must be a response that was published for its serial, byte
# for byte, that verifies with openssl; never older (by publish order or
# thisUpdate) than an answer received before it was asked, never good after
# revoked; unauthorized only before a serial first reached the edge; and a
# copied generation is served within reload_interval + slack.
source "$(dirname "$0")/lib.sh"

EDGE_SH=${EDGE_SH:-$(cd "$(dirname "$0")/../.." && pwd)/contrib/rsync-to-edge.sh}
if ! command -v rsync >/dev/null; then
	fail "rsync is not installed (contrib/install-deps.sh --test installs it)"
	finish
fi
if [ -z "${EDGE_SLACK:-}" ]; then
	if grep -qa __tsan_init "$LOOKUPD"; then EDGE_SLACK=6
	elif grep -qa __asan_init "$LOOKUPD"; then EDGE_SLACK=4
	else EDGE_SLACK=3; fi
fi
LOOP_SECONDS=${LOOP_SECONDS:-15}
CLIENTS=4
# lookupd looks at the marker every reload_interval (1 s), lazily: a new
# generation may take two intervals, plus the slack of a busy machine.
LAG=$((2 + EDGE_SLACK))

section() { log "[${SECONDS}s] $*"; }
edge() { bash "$EDGE_SH" --lock "$WORK/edge.lock" "$@"; }
marker_gen() { sed -n 's/^generation = //p' "$1/generation" 2>/dev/null; }
# same_tree A B: identical but for dot files (publisher bookkeeping).
same_tree() { diff -r -x '.*' "$1" "$2" > "$WORK/diff.out" 2>&1 || { head -5 "$WORK/diff.out"; return 1; }; }
no_dot_files() {
	local f
	f=$(find "$1" -mindepth 1 -name '.*' | head -3)
	[ -z "$f" ] || { echo "  in the copy: $f"; return 1; }
}
now_ns() { date +%s%N; }

cat > "$WORK/edge.py" <<'PY'
import hashlib, http.client, os, subprocess, sys, time, calendar

UNAUTHORIZED = bytes.fromhex("30030a0106")
ERRORS = {bytes.fromhex("30030a01%02x" % c): n for c, n in
          ((1, "malformedRequest"), (2, "internalError"), (3, "tryLater"),
           (5, "sigRequired"), (6, "unauthorized"))}


def save(path, data):
    if not os.path.exists(path):
        part = "%s.%d.part" % (path, os.getpid())
        with open(part, "wb") as f:
            f.write(data)
        os.rename(part, path)


def client(port, reqdir, serials, stop, out, bodies, k):
    """Asks about every serial in turn, GET and POST on alternate rounds,
    on one kept connection, until the file stop exists. out: one line per
    answer: SERIAL METHOD ASKED_NS ANSWERED_NS STATUS CONTENT-TYPE DIGEST;
    bodies/DIGEST holds the body."""
    reqs = []
    for s in serials.split(","):
        der = open(os.path.join(reqdir, s + ".der"), "rb").read()
        get = open(os.path.join(reqdir, s + ".get")).read().strip()
        reqs.append((s, der, get))
    conn, i, lines = None, k, []
    while not os.path.exists(stop):
        s, der, get = reqs[i % len(reqs)]
        method = "GET" if (i // len(reqs) + k) % 2 == 0 else "POST"
        i += 1
        t0 = time.time_ns()
        try:
            if conn is None:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            if method == "GET":
                conn.request("GET", get)
            else:
                conn.request("POST", "/", body=der,
                             headers={"Content-Type": "application/ocsp-request"})
            r = conn.getresponse()
            body, st, ct = r.read(), str(r.status), r.getheader("Content-Type", "-")
            if (r.getheader("Connection") or "").lower() == "close":
                conn.close()
                conn = None
        except (OSError, http.client.HTTPException) as e:
            st, body, ct = "error:" + type(e).__name__, b"", "-"
            if conn is not None:
                conn.close()
            conn = None
        t1 = time.time_ns()
        d = hashlib.sha256(body).hexdigest()[:24]
        save(os.path.join(bodies, d), body)
        lines.append("%s\t%s\t%d\t%d\t%s\t%s\t%s" % (s, method, t0, t1, st, ct, d))
        time.sleep(0.004)   # leave the publisher and rsync some of the machine
    with open(out, "w") as f:
        f.write("\n".join(lines) + "\n")


def digest_of(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()[:24]


def known_versions(vfile):
    """versions.tsv: SERIAL VERSION DIGEST, in the order published."""
    v = {}
    if os.path.exists(vfile):
        for line in open(vfile):
            s, n, d = line.split()
            v.setdefault(s, []).append(d)
    return v


def marker_generation(root):
    try:
        for line in open(os.path.join(root, "generation")):
            k, _, val = line.partition("=")
            if k.strip() == "generation":
                return int(val)
    except OSError:
        pass
    return None


def index_of(path):
    """(generation, serial names listed) of a status.idx (layout/TREE.md)."""
    try:
        b = open(path, "rb").read()
    except OSError:
        return -1, set()
    if b[:8] != b"OCSPSIX1":
        return -2, set()
    count, gen = int.from_bytes(b[16:24], "little"), int.from_bytes(b[32:40], "little")
    names = set()
    for i in range(count):
        r = b[64 + 80 * i:64 + 80 * (i + 1)]
        names.add(r[40 - r[0]:40].hex().upper())
    return gen, names


def record(root, tdir, serials, vdir):
    """After a publish: each serial's file in the tree, a new version when
    its bytes are new (kept as vdir/SERIAL.N); and the first time a
    generation is seen, what it holds (gens.tsv: GENERATION INDEX-GENERATION
    SERIAL=VERSION,...)."""
    tree = os.path.join(root, tdir)
    vfile = os.path.join(vdir, "versions.tsv")
    v = known_versions(vfile)
    held = []
    with open(vfile, "a") as f:
        for s in serials.split(","):
            p = os.path.join(tree, s)
            if not os.path.exists(p):
                continue
            d = digest_of(p)
            if d not in v.get(s, []):
                n = len(v.setdefault(s, []))
                v[s].append(d)
                save(os.path.join(vdir, "%s.%d" % (s, n)), open(p, "rb").read())
                f.write("%s\t%d\t%s\n" % (s, n, d))
            held.append("%s=%d" % (s, v[s].index(d)))
    g = marker_generation(root)
    gfile = os.path.join(vdir, "gens.tsv")
    seen = set(l.split()[0] for l in open(gfile)) if os.path.exists(gfile) else set()
    if g is not None and str(g) not in seen:
        with open(gfile, "a") as f:
            f.write("%d\t%d\t%s\n" % (g, index_of(os.path.join(tree, "status.idx"))[0],
                                        ",".join(held) or "-"))


def watch(root, tdir, serials, stop, out):
    """A reader of the copy that trusts its marker, as often as it can:
    the marker first, then status.idx and every serial's file. out: one
    line per look: GENERATION INDEX-GENERATION LISTED SERIAL=DIGEST,..."""
    lines, tree = [], os.path.join(root, tdir)
    while not os.path.exists(stop):
        g = marker_generation(root)
        if g is not None:
            ig, names = index_of(os.path.join(tree, "status.idx"))
            files = []
            for s in serials.split(","):
                try:
                    files.append("%s=%s" % (s, hashlib.sha256(open(os.path.join(tree, s), "rb").read()).hexdigest()[:24]))
                except FileNotFoundError:
                    files.append("%s=-" % s)
            lines.append("%d\t%d\t%s\t%s" % (g, ig, ",".join(sorted(names)) or "-", ",".join(files)))
        time.sleep(0.02)
    with open(out, "w") as f:
        f.write("\n".join(lines) + "\n")


def check_watch(vdir, watched):
    """Whatever the copy's marker names, the copy holds at least that
    generation: its status.idx as new, every response it had (unless the
    status.idx no longer lists it: removed), none older, none unpublished."""
    fails, v = [], known_versions(os.path.join(vdir, "versions.tsv"))
    gens = {}
    for line in open(os.path.join(vdir, "gens.tsv")):
        g, ig, held = line.split()
        gens[int(g)] = (int(ig), dict(h.split("=") for h in held.split(",")) if held != "-" else {})
    looks, seen_g, bad, examples = 0, set(), 0, []
    for line in open(watched):
        if not line.strip():
            continue
        g, ig, listed, files = line.split()
        g, ig, listed = int(g), int(ig), set(listed.split(","))
        files = dict(f.split("=") for f in files.split(","))
        looks += 1
        seen_g.add(g)
        if g not in gens:
            bad += 1
            examples.append("the copy's marker names generation %d, never published" % g)
            continue
        want_ig, held = gens[g]
        why = []
        if ig < want_ig:
            why.append("status.idx of generation %d" % ig)
        for s, n in held.items():
            d = files.get(s, "-")
            if d == "-":
                if s in listed:
                    why.append("%s missing" % s)
            elif d not in v.get(s, []):
                why.append("%s not a published response" % s)
            elif v[s].index(d) < int(n):
                why.append("%s version %d, older than %s" % (s, v[s].index(d), n))
        for s, d in files.items():
            if d != "-" and d not in v.get(s, []):
                why.append("%s not a published response" % s)
        if why:
            bad += 1
            examples.append("marker %d (status.idx %d): %s" % (g, want_ig, ", ".join(sorted(set(why))[:4])))
    for e in examples[:5]:
        print("  " + e)
    out = []
    if looks < 50 or len(seen_g) < 4:
        fails.append("a reader of the copy looked %d times at %d generations (precondition: "
                     "50 and 4)" % (looks, len(seen_g)))
    if bad:
        fails.append("%d of %d looks at the copy found less than its marker names" % (bad, looks))
    else:
        out.append("%d looks at the copy (%d generations): always at least what its marker "
                   "names" % (looks, len(seen_g)))
    return out, fails


def synced(tree, serials, vdir, t):
    """After a copy that finished at t (ns): which version of each serial
    the copy holds (a file never published is reported as -1)."""
    v = known_versions(os.path.join(vdir, "versions.tsv"))
    with open(os.path.join(vdir, "syncs.tsv"), "a") as f:
        for s in serials.split(","):
            p = os.path.join(tree, s)
            if os.path.exists(p):
                d = digest_of(p)
                n = v.get(s, []).index(d) if d in v.get(s, []) else -1
                f.write("%s\t%s\t%d\n" % (t, s, n))


def verify(ca, serial, path):
    """(status, thisUpdate seconds) of a response that verifies, or None."""
    r = subprocess.run(["openssl", "ocsp", "-respin", path, "-CAfile", ca, "-issuer", ca,
                        "-serial", "0x" + serial], capture_output=True, text=True)
    out = r.stdout + r.stderr
    if "Response verify OK" not in out:
        return None
    status, this = None, None
    lines = out.splitlines()
    for i, l in enumerate(lines):
        if l.strip().lower().startswith("0x%s:" % serial.lower()):
            status = l.split(":", 1)[1].strip()
            for m in lines[i + 1:]:
                if "This Update:" in m:
                    this = calendar.timegm(time.strptime(m.split(":", 1)[1].strip(),
                                                         "%b %d %H:%M:%S %Y GMT"))
                    break
    if status not in ("good", "revoked") or this is None:
        return None
    return status, this


def check(ca, vdir, answers, bodies, initial, lag_s, watched):
    fails, oks = [], []
    v = known_versions(os.path.join(vdir, "versions.tsv"))
    info = {}     # digest -> (serial, version, status, thisUpdate)
    for s, ds in v.items():
        last = None
        for n, d in enumerate(ds):
            r = verify(ca, s, os.path.join(vdir, "%s.%d" % (s, n)))
            if r is None:
                fails.append("published response %s.%d does not verify" % (s, n))
                continue
            info[d] = (s, n) + r
            if last is not None and (r[1] < last[1] or (last[0] == "revoked" and r[0] != "revoked")):
                fails.append("published versions of %s go back: %s then %s" % (s, last, r))
            last = r
    nver = sum(len(ds) for ds in v.values())
    oks.append("%d published versions of %d serials verify with openssl" % (nver, len(v)))
    rows = []
    for line in open(answers):
        if line.strip():
            s, m, t0, t1, st, ct, d = line.rstrip("\n").split("\t")
            rows.append((s, m, int(t0), int(t1), st, ct, d))
    syncs = {}
    for line in open(os.path.join(vdir, "syncs.tsv")):
        t, s, n = line.split()
        syncs.setdefault(s, []).append((int(t), int(n)))
        if int(n) < 0:
            fails.append("a copy held a file for %s that was never published" % s)
    kinds, methods, per = {}, {}, {}
    torn = 0
    for s, m, t0, t1, st, ct, d in rows:
        body = open(os.path.join(bodies, d), "rb").read()
        kind = "other"
        if st == "200" and d in info and info[d][0] == s and ct == "application/ocsp-response":
            kind = "ok"
        elif st == "200" and body in ERRORS:
            kind = ERRORS[body]
        elif st == "200" and ct == "application/ocsp-response":
            kind = "torn or unknown body"
            torn += 1
        elif st != "200":
            kind = "status " + st
        kinds[kind] = kinds.get(kind, 0) + 1
        methods[(m, kind)] = methods.get((m, kind), 0) + 1
        per.setdefault(s, []).append((t0, t1, kind, info.get(d), m))
    n_ok = kinds.get("ok", 0)
    oks.append("%d answers (%s)" % (len(rows), ", ".join("%s %d" % kv for kv in sorted(kinds.items()))))
    if len(rows) < 500:
        fails.append("only %d answers (test precondition: at least 500)" % len(rows))
    for m in ("GET", "POST"):
        if methods.get((m, "ok"), 0) < 100:
            fails.append("fewer than 100 good %s answers (precondition)" % m)
    if torn:
        fails.append("%d answers were neither a published response nor an OCSP error" % torn)
    bad = {k: c for k, c in kinds.items() if k not in ("ok", "unauthorized")}
    if bad:
        fails.append("failed answers: %s" % bad)
    else:
        oks.append("no failed answer: every one a published response, byte for byte, or unauthorized")
    back, unauth_after, late, unauth_initial, served_versions = 0, 0, 0, 0, 0
    examples = []
    for s, lst in per.items():
        by_start = sorted(lst, key=lambda a: a[0])
        by_end = sorted(lst, key=lambda a: a[1])
        j, best_v, best_t, revoked, seen_ok = 0, -1, -1, False, False
        versions = set()
        sync_list = sorted(syncs.get(s, []))
        k, need = 0, -1
        for t0, t1, kind, inf, m in by_start:
            while j < len(by_end) and by_end[j][1] < t0:
                e = by_end[j]
                if e[2] == "ok":
                    seen_ok = True
                    best_v = max(best_v, e[3][1])
                    best_t = max(best_t, e[3][3])
                    revoked = revoked or e[3][2] == "revoked"
                j += 1
            while k < len(sync_list) and sync_list[k][0] + lag_s * 10**9 < t0:
                need = max(need, sync_list[k][1])
                k += 1
            if kind == "unauthorized":
                if s in initial:
                    unauth_initial += 1
                elif seen_ok:
                    unauth_after += 1
                    examples.append("%s: unauthorized after a response was served" % s)
                elif need >= 0:
                    late += 1
                    examples.append("%s: unauthorized %ds after a copy held it" % (s, lag_s))
                continue
            if kind != "ok":
                continue
            _, n, status, this = inf
            versions.add(n)
            if n < best_v or this < best_t or (revoked and status != "revoked"):
                back += 1
                examples.append("%s %s: version %d (%s, thisUpdate %d) after version %d "
                                "(thisUpdate %d) was received" % (s, m, n, status, this, best_v, best_t))
            if n < need:
                late += 1
                examples.append("%s %s: version %d, asked %d s after a copy held version %d"
                                % (s, m, n, lag_s, need))
        served_versions += len(versions)
    for e in examples[:10]:
        print("  " + e)
    if unauth_initial:
        fails.append("%d unauthorized answers for serials in the copy from the start" % unauth_initial)
    if unauth_after:
        fails.append("%d unauthorized answers for a serial after it had been answered" % unauth_after)
    if back:
        fails.append("%d answers older than one received before they were asked "
                     "(or good after revoked)" % back)
    else:
        oks.append("no answer older than one received before it was asked, none good after revoked")
    if late:
        fails.append("%d answers behind what the copy held %d s before they were asked" % (late, lag_s))
    else:
        oks.append("every copied version served within %d s" % lag_s)
    oks.append("%d distinct versions were served" % served_versions)
    if served_versions <= len(per) * 2:
        fails.append("only %d versions served for %d serials (precondition: several "
                     "generations each)" % (served_versions, len(per)))
    o2, f2 = check_watch(vdir, watched)
    oks += o2
    fails += f2
    for o in oks:
        print("ok: " + o)
    for f in fails:
        print("FAIL: " + f)


if __name__ == "__main__":
    cmd, a = sys.argv[1], sys.argv[2:]
    if cmd == "client":
        client(int(a[0]), a[1], a[2], a[3], a[4], a[5], int(a[6]))
    elif cmd == "record":
        record(a[0], a[1], a[2], a[3])
    elif cmd == "watch":
        watch(a[0], a[1], a[2], a[3], a[4])
    elif cmd == "synced":
        synced(a[0], a[1], a[2], a[3])
    elif cmd == "check":
        check(a[0], a[1], a[2], a[3], set(a[4].split(",")), int(a[5]), a[6])
PY
py() { python3 "$WORK/edge.py" "$@"; }

section "a CA, 12 certificates (one revoked), published into the source tree"
CA=$WORK/ca
make_ca "$CA" ec "Edge CA"
INITIAL=()
for i in $(seq 12); do INITIAL+=("$(issue "$CA" "cert$i")"); done
revoke "$CA" "${INITIAL[11]}" -crl_reason keyCompromise
# Two that the loop removes from the CA's index (their responses go).
GONE=("$(issue "$CA" gone1)" "$(issue "$CA" gone2)")
# Twelve serials the loop issues later: asked about from the start.
FUTURE=()
next=$((16#$(cat "$CA/serial")))
for i in $(seq 12); do FUTURE+=("$(printf '%04X' $((next + i - 1)))"); done
ALL=("${INITIAL[@]}" "${FUTURE[@]}")
ALL_CSV=$(IFS=,; echo "${ALL[*]}")
INITIAL_CSV=$(IFS=,; echo "${INITIAL[*]}")
WATCH_CSV=$ALL_CSV,$(IFS=,; echo "${GONE[*]}")
SRC=$WORK/src
COPY=$WORK/copy
DIR=$(issuer_dir "$CA/ca.pem")
conf() {
	cat <<EOF
tree = $SRC
[signer ca]
certificate = $CA/ca.pem
key = $CA/ca.key
$1
[ca edge]
issuer = $CA/ca.pem
signers = ca
index = $CA/index.txt
validity = 2d
EOF
}
conf '' > "$WORK/fast.conf"
# 120 more certificates re-signed at 60 a second: a publish of about 2 s.
conf 'max_sign_rate = 60' > "$WORK/slow.conf"
publish() { "$PUBLISHER" --no-progress -q --config "$WORK/fast.conf"; }
# In the background, as $SLOW: the publisher itself (the wrapper execs it),
# so that kill reaches it.
slow_publish() {
	"$PUBLISHER" --no-progress -q --config "$WORK/slow.conf" --force > "$WORK/slow.out" 2>&1 &
	SLOW=$!
	PIDS+=("$SLOW")
}
mkdir -p "$WORK/req" "$WORK/bodies" "$WORK/v"
for s in "${ALL[@]}"; do
	ocsp_request "$CA" "$s" "$WORK/req/$s.der" -no_nonce
	echo "/$(pct_b64 "$(req_b64 "$WORK/req/$s.der")")" > "$WORK/req/$s.get"
done
publish
py record "$SRC" "$DIR" "$WATCH_CSV" "$WORK/v"
cp -a "$SRC" "$WORK/old-src"	# generation 1, for the refusal below

section "copied to the edge; lookupd serves the copy with no key"
check "the first copy: exit 0" edge -q "$SRC" "$COPY"
py synced "$COPY/$DIR" "$ALL_CSV" "$WORK/v" "$(now_ns)"
check "the copy is the source (but for dot files)" same_tree "$SRC" "$COPY"
check "no lock, .publishing or temp file in the copy" no_dot_files "$COPY"
start_lookupd --tree "$COPY" --threads 16
for k in $(seq "$CLIENTS"); do
	python3 "$WORK/edge.py" client "$PORT" "$WORK/req" "$ALL_CSV" "$WORK/stop" \
		"$WORK/answers.$k" "$WORK/bodies" "$k" &
	PIDS+=("$!")
	CLIENT_PIDS+=("$!")
done
# And a reader of the copy's files that trusts its marker.
python3 "$WORK/edge.py" watch "$COPY" "$DIR" "$WATCH_CSV" "$WORK/stop" "$WORK/watched" &
PIDS+=("$!")
CLIENT_PIDS+=("$!")

section "${LOOP_SECONDS}s: revoke or issue, publish, copy; $CLIENTS clients asking"
gens=0 identical=0 copy_fail=0 revoked=1 issued=0
end=$((SECONDS + LOOP_SECONDS))
while [ $SECONDS -lt $end ]; do
	if [ $gens = 3 ]; then
		for s in "${GONE[@]}"; do sed -i "/\t$s\t/d" "$CA/index.txt"; done
	elif [ $((gens % 2)) = 0 ] && [ $issued -lt ${#FUTURE[@]} ]; then
		s=$(issue "$CA" "new$issued")
		[ "$s" = "${FUTURE[$issued]}" ] || fail "issued serial $s, expected ${FUTURE[$issued]}"
		issued=$((issued + 1))
	elif [ $revoked -lt 11 ]; then
		revoke "$CA" "${INITIAL[$((revoked - 1))]}" -crl_reason superseded
		revoked=$((revoked + 1))
	fi
	publish
	py record "$SRC" "$DIR" "$WATCH_CSV" "$WORK/v"
	if edge -q "$SRC" "$COPY"; then
		py synced "$COPY/$DIR" "$ALL_CSV" "$WORK/v" "$(now_ns)"
	else
		copy_fail=$((copy_fail + 1))
	fi
	if same_tree "$SRC" "$COPY" >/dev/null && [ "$(marker_gen "$COPY")" = "$(marker_gen "$SRC")" ]; then
		identical=$((identical + 1))
	fi
	gens=$((gens + 1))
	sleep 0.2
done
log "$gens generations published and copied ($issued issued, $((revoked - 1)) revoked)"
check "several generations (test precondition: at least 6)" test "$gens" -ge 6
check "every copy exited 0" test "$copy_fail" = 0
check "after every copy the edge was the source, marker and all" test "$identical" = "$gens"
check "no dot file in the copy" no_dot_files "$COPY"
check "the responses of the certificates removed from the index are gone" \
	test ! -e "$COPY/$DIR/${GONE[0]}" -a ! -e "$COPY/$DIR/${GONE[1]}" -a -e "$WORK/v/${GONE[0]}.0"

section "a publish in progress: --wait 0 refuses, the default waits for it"
issue_many "$CA" 120
before=$(marker_gen "$COPY")
slow_publish
check "the slow publish has started (test precondition)" wait_for 10 test -e "$SRC/.publishing"
set +e
out=$(edge --wait 0 "$SRC" "$COPY" 2>&1); rc=$?
set -e
check "--wait 0 during a publish: exit 2" test "$rc" = 2
check "... and says why" contains "$out" "a publisher run is in progress"
check "... the copy's marker unchanged" test "$(marker_gen "$COPY")" = "$before"
check "the publish is still running (test precondition)" test -e "$SRC/.publishing"
set +e
out=$(edge "$SRC" "$COPY" 2>&1); rc=$?
set -e
t_copy=$(now_ns)
check "the default waits for the publish: exit 0" test "$rc" = 0
check "... it said it waited" contains "$out" "waiting for the publisher run"
wait "$SLOW" || fail "the slow publish failed: $(cat "$WORK/slow.out")"
py record "$SRC" "$DIR" "$WATCH_CSV" "$WORK/v"
py synced "$COPY/$DIR" "$ALL_CSV" "$WORK/v" "$t_copy"
check "... the copy is that generation, complete" same_tree "$SRC" "$COPY"
check "... its marker too" test "$(marker_gen "$COPY")" = "$(marker_gen "$SRC")"

section "a publish lands during the first pass: the copy starts over"
cat > "$WORK/rsync-hook" <<HOOK
#!/usr/bin/env bash
rc=0
rsync "\$@" || rc=\$?
case " \$* " in
*" --delay-updates "*)
	if [ ! -e "$WORK/hook.done" ]; then
		touch "$WORK/hook.done"
		"$PUBLISHER" --no-progress -q --config "$WORK/fast.conf"
	fi ;;
esac
exit \$rc
HOOK
chmod +x "$WORK/rsync-hook"
revoke "$CA" "${INITIAL[10]}" -crl_reason affiliationChanged	# for the hook's publish
revoked=$((revoked + 1))
gen_before=$(marker_gen "$SRC")
set +e
out=$(RSYNC=$WORK/rsync-hook edge "$SRC" "$COPY" 2>&1); rc=$?
set -e
t_copy=$(now_ns)
check "the hook published meanwhile (test precondition)" test "$(marker_gen "$SRC")" -gt "$gen_before"
check "the copy started over: exit 0" test "$rc" = 0
check "... it said so" contains "$out" "starting over"
py record "$SRC" "$DIR" "$WATCH_CSV" "$WORK/v"
py synced "$COPY/$DIR" "$ALL_CSV" "$WORK/v" "$t_copy"
check "... the copy is the new generation, complete" same_tree "$SRC" "$COPY"
check "... marker and all" test "$(marker_gen "$COPY")" = "$(marker_gen "$SRC")"

section "a publish killed half-way: refused until a run finishes it"
before=$(marker_gen "$COPY")
cp -a "$COPY" "$WORK/copy-before"
slow_publish
check "the slow publish has started (test precondition)" wait_for 10 test -e "$SRC/.publishing"
sleep 0.7
kill -9 "$SLOW"
wait "$SLOW" 2>/dev/null || true
check "it left .publishing behind (test precondition)" test -e "$SRC/.publishing"
py record "$SRC" "$DIR" "$WATCH_CSV" "$WORK/v"	# what it wrote is complete and newer
set +e
out=$(edge --wait 1 "$SRC" "$COPY" 2>&1); rc=$?
set -e
check "an interrupted publish: exit 2" test "$rc" = 2
check "... nothing copied" same_tree "$WORK/copy-before" "$COPY"
publish
py record "$SRC" "$DIR" "$WATCH_CSV" "$WORK/v"
check "after a run that finished it: exit 0" edge -q "$SRC" "$COPY"
py synced "$COPY/$DIR" "$ALL_CSV" "$WORK/v" "$(now_ns)"
check "... the copy is that generation" same_tree "$SRC" "$COPY"

section "HOST:DIR: a second edge over a remote shell (a local stand-in for ssh)"
# rsync starts "RSH HOST rsync --server ...": run that here, without HOST.
printf '#!/bin/sh\nshift\nexec "$@"\n' > "$WORK/fake-ssh"
chmod +x "$WORK/fake-ssh"
check "copied to edge-host:DIR and to the local copy in one run: exit 0" \
	env RSYNC_RSH="$WORK/fake-ssh" bash "$EDGE_SH" -q --lock "$WORK/edge.lock" "$SRC" \
	"edge-host:$WORK/remote" "$COPY"
check "... the remote copy is the source" same_tree "$SRC" "$WORK/remote"
check "... its marker too" test "$(marker_gen "$WORK/remote")" = "$(marker_gen "$SRC")"
set +e
out=$(RSYNC_RSH=$WORK/fake-ssh edge --wait 0 "$WORK/old-src" "edge-host:$WORK/remote" 2>&1); rc=$?
set -e
check "an older source than the remote edge: exit 5" test "$rc" = 5

section "sources the copy refuses"
mkdir "$WORK/empty"
set +e
out=$(edge --wait 0 "$WORK/empty" "$COPY" 2>&1); rc=$?
set -e
check "no marker: exit 2" test "$rc" = 2
check "... and says why" contains "$out" "no complete generation"
set +e
out=$(edge --wait 0 "$WORK/old-src" "$COPY" 2>&1); rc=$?
set -e
check "an older source than the edge: exit 5" test "$rc" = 5
check "... and says why" contains "$out" "newer than 1"
check "... the copy unchanged" same_tree "$SRC" "$COPY"
check "... its marker too" test "$(marker_gen "$COPY")" = "$(marker_gen "$SRC")"

section "the last copy served, then every answer checked"
sleep $((LAG + 1))
touch "$WORK/stop"
wait "${CLIENT_PIDS[@]}" 2>/dev/null || true
cat "$WORK"/answers.* > "$WORK/answers"
out=$(py check "$CA/ca.pem" "$WORK/v" "$WORK/answers" "$WORK/bodies" "$INITIAL_CSV" "$LAG" "$WORK/watched")
echo "$out"
n=$(grep -c '^FAIL:' <<<"$out" || true)
FAILS=$((FAILS + n))
check "the checker ran" contains "$out" "published versions of"
refused=$(grep -c 'refused' "$LOOKUPD_LOG" || true)
check "lookupd refused no file of the copy" test "$refused" = 0
check "lookupd still runs" kill -0 "$LOOKUPD_PID"
finish
