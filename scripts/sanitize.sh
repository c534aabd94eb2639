#!/usr/bin/env bash
# Builds the daemon, the simulator and the unit tests with AddressSanitizer + UndefinedBehaviorSanitizer
# (GCC 12, the compiler the daemon ships with, so its coroutine code is what is checked) into build-asan/,
# then runs the unit tests and the integration suite against the sanitized binaries. The first report stops
# the process that made it (halt_on_error), and LeakSanitizer reports leaks when a process exits; either
# fails the run. Usage: scripts/sanitize.sh [unit|integration]... (default: both)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
suites=("$@")
[[ ${#suites[@]} -eq 0 ]] && suites=(unit integration)

scripts/install-deps.sh
export CCACHE_BASEDIR=$root  # cache hits for any clone of the repository, wherever it lies
build=$root/build-asan
if [[ ! -f $build/CMakeCache.txt ]]; then
  generator=()
  command -v ninja >/dev/null && generator=(-G Ninja)
  # -O1: the build is a third quicker than at -O2, and the reports' stacks keep their frames.
  cmake -S . -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g" \
        -DGATEROUTER_SANITIZE=ON -DGATEROUTER_BENCH=OFF
fi
# Only what the suites run: the other tools and benchmarks are not rebuilt sanitized.
cmake --build "$build" --parallel "$(nproc)" --target gaterouter gaterouter-sim gaterouter_unit_tests

# abort_on_error: a report ends the process with SIGABRT, which the integration harness sees as a crash.
export ASAN_OPTIONS=halt_on_error=1:abort_on_error=1:detect_leaks=1:detect_stack_use_after_return=1:strict_string_checks=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
status=0
for suite in "${suites[@]}"; do
  case $suite in
    unit)
      echo "sanitize: unit tests"
      "$build/tests/gaterouter_unit_tests" --gtest_brief=1 || status=1
      ;;
    integration)
      echo "sanitize: integration tests"
      # A sanitizer report goes to the stderr of the gateway or simulator, which the harness may not show:
      # log_path keeps each process's report in a file, listed below when there is one.
      rm -rf "$build/reports" && mkdir -p "$build/reports"
      GATEROUTER_SANITIZED=1 GATEROUTER_BIN=$build/gaterouter GATEROUTER_SIM_BIN=$build/tools/sim/gaterouter-sim \
        ASAN_OPTIONS="$ASAN_OPTIONS:log_path=$build/reports/asan" \
        UBSAN_OPTIONS="$UBSAN_OPTIONS:log_path=$build/reports/ubsan" \
        node --test --test-reporter=spec tests/integration/ || status=1
      if compgen -G "$build/reports/*" >/dev/null; then
        echo "sanitize: reports from the gateway or the simulator:"
        for f in "$build/reports"/*; do echo "== $f"; head -n 40 "$f"; done
        status=1
      fi
      ;;
    *)
      echo "sanitize.sh: no suite '$suite' (unit, integration)" >&2
      exit 2
      ;;
  esac
done
exit $status
