#!/usr/bin/env bash
# Runs the whole test suite from a clean clone: installs what is missing, builds, installs the test-only npm
# clients (into tests/e2e/node_modules, git-ignored), then runs unit, integration and end-to-end tests, every
# fuzz target for a few seconds (its corpus replayed whole first), and both suites again under ASan + UBSan.
# Arguments go to ctest and run only what they select (no fuzzing, no sanitizers), e.g. scripts/test.sh -L unit.
# GATEROUTER_FUZZ_SECONDS sets the fuzzing time per target (default 8).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
if [[ ! -d tests/e2e/node_modules/openai ]]; then
  (cd tests/e2e && npm ci --no-audit --no-fund --loglevel=error)
fi
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
(cd build && ctest --output-on-failure --timeout 600 "$@")
[[ $# -gt 0 ]] && exit 0
scripts/fuzz.sh "${GATEROUTER_FUZZ_SECONDS:-8}"
scripts/sanitize.sh
