#!/usr/bin/env bash
# bench/routing: the workload of mixed task types through (a) the flagship, (b) model "auto" optimizing
# "balanced" and (c) "auto" optimizing "cost"; prints total cost and share of correct answers for each.
# Builds nothing: it runs build/gaterouter and build/tools/sim/gaterouter-sim (or GATEROUTER_BIN and
# GATEROUTER_SIM_BIN). Everything listens on 127.0.0.1; both processes are stopped on exit. Options: --help.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
export GATEROUTER_BIN="${GATEROUTER_BIN:-$root/build/gaterouter}"
export GATEROUTER_SIM_BIN="${GATEROUTER_SIM_BIN:-$root/build/tools/sim/gaterouter-sim}"

for bin in "$GATEROUTER_BIN" "$GATEROUTER_SIM_BIN"; do
  if [[ ! -x "$bin" ]]; then
    echo "bench/routing: $bin is missing; build it first (scripts/build.sh) or set GATEROUTER_BIN / GATEROUTER_SIM_BIN" >&2
    exit 1
  fi
done
command -v node >/dev/null || { echo "bench/routing: needs Node 18 or later" >&2; exit 1; }

exec node "$here/run.mjs" "$@"
