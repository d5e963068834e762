#!/usr/bin/env bash
# The whole test suite, as CI runs it (.ci/run): installs what is missing,
# builds with -Werror and runs the unit tests, the package test and the
# integration tests with time bounds; builds again with clang,
# AddressSanitizer, UndefinedBehaviorSanitizer and libFuzzer and runs every
# test, fuzzers included; and once more with ThreadSanitizer (unit and
# integration tests: the daemon's and the pools' threads under real
# clients; not the tests of one-threaded tools and peers, nor the flood
# test, whose threads are civetweb's, not instrumented). Every test runs in
# at least one build, and the whole stays near 20 minutes on 2 cores.
# ctest's summary closes the output.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

bash contrib/install-deps.sh --test || exit 1

status=0
echo "== build (gcc, -Werror)"
bash contrib/build.sh "$top/build" -DOCSP_WERROR=ON || exit 1
echo "== build (clang, ASan + UBSan, libFuzzer)"
CC=clang bash contrib/build.sh "$top/build-asan" -DOCSP_WERROR=ON -DOCSP_SANITIZE=ON \
	-DOCSP_FUZZ=ON || exit 1
echo "== build (clang, ThreadSanitizer)"
CC=clang bash contrib/build.sh "$top/build-tsan" -DOCSP_WERROR=ON -DOCSP_TSAN=ON || exit 1

echo "== tests (ThreadSanitizer build: unit and integration)"
TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" \
	ctest --test-dir "$top/build-tsan" --output-on-failure -j 2 -L 'unit|integration' \
	-E '^integration\.(fetch|sql|getkeys|rsync|upload|shards|purge|front|crl|sql_e2e|journal|man|units)$' ||
	status=1
# The gcc build (the one that ships): unit tests, the package, and the
# integration tests with time bounds, which need an unsanitised build. The
# integration tests without time bounds run in the sanitizer build below,
# against the same peers, with ASan and UBSan watching.
echo "== tests (gcc build)"
ctest --test-dir "$top/build" --output-on-failure -j 2 \
	-E '^integration\.(publisher|signers|getkeys|upload|shards|journal|audit)$' || status=1
echo "== tests (sanitizer build, fuzzers included)"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
ctest --test-dir "$top/build-asan" --output-on-failure -j 2 || status=1
exit $status
