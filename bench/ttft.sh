#!/usr/bin/env bash
# bench/ttft.sh — time to first token, direct to the simulator vs through GateRouter.
#
# The simulator streams every answer with ttft_ms 20, token_interval_ms 5 and 20 tokens. gaterouter_ttft_probe
# (bench/ttft_probe.cpp) sends N concurrent streaming chat completions, R rounds after one warm-up round, first
# straight to the simulator, then through the gateway (1 worker), and measures the time from sending to the first
# event with content. Prints p50/p99 TTFT of both paths and what the gateway adds; raw results go to
# bench/results/ttft-*.json. Called by bench/run.sh after its table; runs alone too.
#
# Options:
#   --concurrency N   concurrent streams per round (default 200)
#   --rounds N        counted rounds (default 5)
#   --workers N       gateway worker threads (default 1)
#   --quiet-wait N, --max-other P, --retries N: as in bench/run.sh (the machine is shared: wait for quiet, measure
#                     again when other work took more than P % of the CPU during a measurement)
set -euo pipefail
source "$(dirname "$0")/lib.sh"

CONCURRENCY=200
ROUNDS=5
WORKERS=1
TTFT_MS=20
INTERVAL_MS=5
TOKENS=20
QUIET_WAIT=120
MAX_OTHER=10
RETRIES=2

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }
while (($#)); do
  case "$1" in
    --concurrency) CONCURRENCY="${2:?}"; shift 2 ;;
    --rounds) ROUNDS="${2:?}"; shift 2 ;;
    --workers) WORKERS="${2:?}"; shift 2 ;;
    --quiet-wait) QUIET_WAIT="${2:?}"; shift 2 ;;
    --max-other) MAX_OTHER="${2:?}"; shift 2 ;;
    --retries) RETRIES="${2:?}"; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) echo "unknown option: $1" >&2; usage >&2; exit 2 ;;
  esac
done

bench_init
raise_nofile 65536
ensure_binaries gateway sim probe

SIM_PORT="$(free_port)"
write_sim_config "$BENCH_TMP/sim-ttft.yaml" 0 "$TTFT_MS" "$INTERVAL_MS" "$TOKENS"
start_sim "$BENCH_TMP/sim-ttft.yaml" "$SIM_PORT" 1 || die "the simulator did not start"
SIM_PID="$LAST_PID"
GW_PORT="$(free_port)"
write_gateway_config "$BENCH_TMP/gateway-ttft.yaml" "$GW_PORT" "$SIM_PORT" "$WORKERS"
start_gateway "$BENCH_TMP/gateway-ttft.yaml" "$GW_PORT" || die "the gateway did not start"
GW_PID="$LAST_PID"

# probe LABEL PORT: prints the probe's JSON line (its summary goes to stderr), with the share of the CPU that other
# work on the shared machine took meanwhile; past --max-other it measures again (--retries), keeping the least
# disturbed attempt.
probe() {
  local label="$1" port="$2" attempt rc out best="" best_other=101 other m0 m1 o0 o1 c0
  for ((attempt = 0; attempt <= RETRIES; attempt++)); do
    wait_quiet "$QUIET_WAIT" >/dev/null
    read -r -a m0 <<<"$(machine_jiffies)"
    o0="$(pids_jiffies "$SIM_PID" "$GW_PID")"
    children_jiffies
    c0="$CHILD_JIFFIES"
    rc=0
    out="$(timeout 300 "$PROBE_BIN" --url "http://127.0.0.1:$port/v1/chat/completions" \
      --concurrency "$CONCURRENCY" --rounds "$ROUNDS" --warmup-rounds 1 --label "$label")" || rc=$?
    read -r -a m1 <<<"$(machine_jiffies)"
    o1="$(pids_jiffies "$SIM_PID" "$GW_PID")"
    children_jiffies
    other=$(((m1[0] - m0[0]) - (o1 - o0) - (CHILD_JIFFIES - c0)))
    if ((other < 0)); then other=0; fi
    other=$((100 * other / (m1[1] - m0[1] > 0 ? m1[1] - m0[1] : 1)))
    if ((rc != 0)); then log "$label: the probe exited with $rc"; fi
    if [[ -n "$out" ]] && ((other < best_other)); then
      best_other=$other
      best="$out"
    fi
    if ((other <= MAX_OTHER)); then break; fi
    if ((attempt < RETRIES)); then log "$label: other work took ${other}% of the CPU meanwhile: measuring again"; fi
  done
  [[ -n "$best" ]] && printf '{"other_work_cpu_pct":%s,%s' "$best_other" "${best#\{}"
  return 0
}
log "TTFT: $CONCURRENCY concurrent streams x $ROUNDS rounds (+1 warm-up); sim ttft ${TTFT_MS} ms, ${TOKENS} tokens every ${INTERVAL_MS} ms"
DIRECT="$(probe direct "$SIM_PORT")"
GATEWAY="$(probe gateway "$GW_PORT")"

f() { json_field "$(json_object "$1" "$2")" "$3"; }
num() { [[ -n "$1" ]] && printf '%.2f' "$1" || printf 'n/a'; }
diff_ms() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "") print "n/a"; else printf "%+.2f", a - b }'; }

echo
printf 'Time to first token: %s concurrent streams x %s rounds, sim ttft %s ms, %s tokens every %s ms\n' \
  "$CONCURRENCY" "$ROUNDS" "$TTFT_MS" "$TOKENS" "$INTERVAL_MS"
printf '%-28s %10s %10s %10s %12s %8s %12s\n' path "p50 ms" "p99 ms" "max ms" "stream p50" failed "other work"
for name in direct gateway; do
  r="$DIRECT"
  [[ "$name" == gateway ]] && r="$GATEWAY"
  label="simulator, direct"
  [[ "$name" == gateway ]] && label="gaterouter, $WORKERS worker(s)"
  if [[ -z "$r" ]]; then
    printf '%-28s %s\n' "$label" "no result"
    continue
  fi
  printf '%-28s %10s %10s %10s %12s %8s %11s%%\n' "$label" "$(num "$(f "$r" ttft_ms p50)")" \
    "$(num "$(f "$r" ttft_ms p99)")" "$(num "$(f "$r" ttft_ms max)")" "$(num "$(f "$r" stream_ms p50)")" \
    "$(json_field "$r" failed)" "$(json_field "$r" other_work_cpu_pct)"
done
ADD_P50="$(diff_ms "$(f "$GATEWAY" ttft_ms p50)" "$(f "$DIRECT" ttft_ms p50)")"
ADD_P99="$(diff_ms "$(f "$GATEWAY" ttft_ms p99)" "$(f "$DIRECT" ttft_ms p99)")"
echo
echo "added by the gateway: p50 $ADD_P50 ms, p99 $ADD_P99 ms"

mkdir -p "$BENCH_DIR/results"
out="$BENCH_DIR/results/ttft-$(date -u +%Y%m%dT%H%M%SZ).json"
{
  printf '{"benchmark":"ttft","date":"%s","nproc":%s,"concurrency":%s,"rounds":%s,"gateway_workers":%s,' \
    "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$(nproc)" "$CONCURRENCY" "$ROUNDS" "$WORKERS"
  printf '"sim":{"ttft_ms":%s,"token_interval_ms":%s,"tokens":%s},' "$TTFT_MS" "$INTERVAL_MS" "$TOKENS"
  jn() { [[ "$1" == n/a ]] && printf null || printf '%s' "${1#+}"; }
  printf '"direct":%s,"gateway":%s,"added_ms":{"p50":%s,"p99":%s}}\n' "${DIRECT:-null}" "${GATEWAY:-null}" \
    "$(jn "$ADD_P50")" "$(jn "$ADD_P99")"
} >"$out"
echo "raw results: ${out#"$REPO_DIR"/}"
