#!/usr/bin/env bash
# Runs the gateway on its embedded default: installs what is missing, builds, starts the upstream simulator
# (config/sim.yaml) and the gateway (config/gaterouter.yaml), and prints where to point an SDK.
# Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh

sim_port=${GATEROUTER_SIM_PORT:-9090}
build/tools/sim/gaterouter-sim --listen "127.0.0.1:${sim_port}" --config config/sim.yaml --threads 2 &
sim_pid=$!
trap 'kill $sim_pid 2>/dev/null || true' EXIT

cat <<MSG

  GateRouter is starting on http://127.0.0.1:8080 (simulated model pool on 127.0.0.1:${sim_port}).
  Point the OpenAI SDK at it:
      base_url = "http://127.0.0.1:8080/v1"
      api_key  = "sk-gaterouter-demo"
  Try:
      curl -s http://127.0.0.1:8080/v1/chat/completions -H 'Authorization: Bearer sk-gaterouter-demo' \\
           -H 'Content-Type: application/json' \\
           -d '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hello"}]}'

MSG
build/gaterouter --config config/gaterouter.yaml
