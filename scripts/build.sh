#!/usr/bin/env bash
# Configures and builds GateRouter into build/ (Release with debug info). Extra arguments go to cmake.
set -euo pipefail
cd "$(dirname "$0")/.."
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
werror=OFF
[[ "${CI:-}" == "true" ]] && werror=ON
if [[ ! -f build/CMakeCache.txt ]]; then
  cmake -S . -B build "${generator[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGATEROUTER_WERROR=$werror "$@"
fi
cmake --build build --parallel "$(nproc)"
