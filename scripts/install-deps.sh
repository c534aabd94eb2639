#!/usr/bin/env bash
# Installs the Debian 12 packages GateRouter builds, tests and benchmarks with. Idempotent: does nothing when
# everything is there. Usage: scripts/install-deps.sh [--bench]
set -euo pipefail

packages=(build-essential cmake ninja-build ccache pkg-config ca-certificates
          libboost-dev nlohmann-json3-dev libspdlog-dev libyaml-cpp-dev libssl-dev libsqlite3-dev
          libgtest-dev libbenchmark-dev libhiredis-dev nodejs npm
          clang-14 libclang-rt-14-dev llvm-14)  # clang: the fuzz targets (libFuzzer, ASan, symbolizer)
if [[ "${1:-}" == "--bench" ]]; then
  packages+=(wrk nginx-light)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node and npm may come from elsewhere than Debian (e.g. NodeSource); accept any working ones.
if command -v node >/dev/null && command -v npm >/dev/null; then
  missing=("${missing[@]/nodejs}"); missing=("${missing[@]/npm}")
fi
read -r -a missing <<< "${missing[*]}"
[[ ${#missing[@]} -eq 0 ]] && exit 0

sudo=""
[[ $(id -u) -ne 0 ]] && sudo="sudo"
echo "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
