#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz (clang 14, ASan + UBSan) into build-fuzz/ and runs each one:
# first every input of its corpus whole (the seeds in tests/fuzz/corpus/<target>/ and the large hostile inputs
# tests/fuzz/make_corpus.mjs writes), then fuzzing for a bounded time, two targets at a time on two cores.
# A crash's input lands in build-fuzz/artifacts/<target>/, and the script fails if any target crashed.
# New inputs that reach new code accumulate in build-fuzz/corpus/<target>/ from run to run.
# Usage: scripts/fuzz.sh [seconds-per-target (default 20)] [target...]
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
seconds=${1:-20}
shift || true

# Per target: the longest input to make while fuzzing, and the dictionaries of tokens it reads.
declare -A max_len=(
  [json_scan]=4096 [chat_request]=8192 [embeddings_request]=4096 [usage]=2048 [sse]=4096 [http_request]=4096
  [openai_protocol]=8192 [anthropic_protocol]=8192 [gemini_protocol]=8192 [config]=8192 [admin_codec]=2048)
declare -A dicts=(
  [json_scan]=json [chat_request]=json [embeddings_request]=json [usage]=json [sse]=sse [http_request]=http
  [openai_protocol]="json providers sse" [anthropic_protocol]="json providers sse"
  [gemini_protocol]="json providers sse" [config]=config [admin_codec]="admin json")
targets=("$@")
[[ ${#targets[@]} -eq 0 ]] && targets=(json_scan chat_request embeddings_request usage sse http_request
                                       openai_protocol anthropic_protocol gemini_protocol config admin_codec)

scripts/install-deps.sh
# Cache hits for any clone of the repository, wherever it lies.
export CCACHE_BASEDIR=$root
build=$root/build-fuzz
if [[ ! -f $build/CMakeCache.txt ]]; then
  cmake -S . -B "$build" -G Ninja -DCMAKE_CXX_COMPILER=clang++-14 -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DGATEROUTER_FUZZ=ON -DGATEROUTER_TESTS=OFF -DGATEROUTER_BENCH=OFF
fi
cmake --build "$build" --parallel "$(nproc)" --target fuzz_targets

rm -rf "$build/generated" "$build/logs"
mkdir -p "$build/logs"
node tests/fuzz/make_corpus.mjs "$build/generated"

export ASAN_OPTIONS=halt_on_error=1:abort_on_error=1:detect_leaks=1:symbolize=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export ASAN_SYMBOLIZER_PATH=/usr/lib/llvm-14/bin/llvm-symbolizer

# One target: the replay, then the fuzzing. Runs from config/, where config_fuzz finds the shipped catalog.
run_target() {
  local t=$1 log=$build/logs/$1.log
  local exe=$build/tests/fuzz/${t}_fuzz artifacts=$build/artifacts/$t/ dict=$build/logs/$t.dict
  mkdir -p "$artifacts" "$build/corpus/$t"
  for d in ${dicts[$t]}; do cat "tests/fuzz/dict/$d.dict"; done > "$dict"
  local inputs=("$root/tests/fuzz/corpus/$t"/*)
  [[ -d $build/generated/$t ]] && inputs+=("$build/generated/$t"/*)
  (cd config && "$exe" -artifact_prefix="$artifacts" -timeout=10 "${inputs[@]}") > "$log" 2>&1 || return 1
  (cd config && "$exe" -artifact_prefix="$artifacts" -timeout=10 -max_total_time="$seconds" \
     -max_len="${max_len[$t]}" -dict="$dict" -print_final_stats=1 \
     "$build/corpus/$t" "$root/tests/fuzz/corpus/$t") >> "$log" 2>&1
}

declare -A pid_of
for t in "${targets[@]}"; do
  [[ -n ${max_len[$t]:-} ]] || { echo "fuzz.sh: no target '$t'" >&2; exit 2; }
  # Two at a time: each libFuzzer process uses one core.
  while [[ $(jobs -rp | wc -l) -ge $(nproc) ]]; do wait -n || true; done
  run_target "$t" &
  pid_of[$t]=$!
done

passed=0 failed=0
for t in "${targets[@]}"; do
  log=$build/logs/$t.log
  if wait "${pid_of[$t]}"; then
    passed=$((passed + 1))
    runs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 || true)
    echo "fuzz $t: ok ($runs runs in ${seconds}s, $cov)"
  else
    failed=$((failed + 1))
    echo "fuzz $t: FAILED, log $log, input(s):"
    ls "$build/artifacts/$t/" 2>/dev/null | sed 's/^/  /'
    grep -E 'ERROR|runtime error|invariant broken|SUMMARY' "$log" | head -n 5 | sed 's/^/  /'
  fi
done
echo "fuzz: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
