#!/usr/bin/env bash
# bench/ledger_overhead.sh — what the spend ledger and a budget cost the gateway's throughput and tail latency.
#
# The core load of bench/run.sh (~1 KB non-streaming chat completion, bench/chat.lua, wrk -t1 -cC -dDs --latency)
# against GateRouter with 1 worker in front of gaterouter-sim (1 thread, answers at once), in up to four set-ups
# that differ only by the ledger:
#   none     no ledger, no budget
#   ledger   ledger (SQLite, WAL, durability: normal, the default), no budget: each request's row is on record
#   normal   ledger (durability: normal) and one hard budget covering the bench key
#   full     the same with durability: full (a committed row survives a power cut: fsync per commit batch)
# Every set-up has the same one API key (the one chat.lua sends), so key checking costs the same in all four. Every
# request's ledger row is on record before its answer is sent: with durability normal in the request journal (a
# shared file mapping an idle-class thread moves into SQLite every 100 ms; no wait), with full committed and synced
# by the writer (the request waits). With a budget, every request also reserves its maximum cost and puts the
# reservation on record before going upstream: in the reservation file with normal (no wait), as a committed and
# synced row with full (a second awaited commit, batched by the writer).
# The gateways are started once, each on a fresh ledger file, and warmed up; then they are measured in turn,
# --rounds times, in short runs, each round in a new random order: a shared VM's speed moves by a fifth within
# seconds, so a set-up is compared with `none` measured a second or two before or after it (a pair), never with
# one minutes away, and no set-up always runs first or after the same one. The goal (issue #5: the ledger adds
# no more than 5 % to the throughput cost) is judged on the `ledger` set-up's pairs: the median over rounds of
# its requests/s against the same round's `none`, with a 95 % confidence interval (bootstrap over the rounds):
# "met" when the whole interval is within 5 %, "met on the median" when only the median is. The other set-ups'
# paired figures are printed beside it, as are p99 (paired), the gateway's own CPU time per request (all its
# threads, from /proc; paired the same way), the ledger threads' share of it, and a check that the ledger got
# one row per answered request.
#
# Options:
#   --duration N      seconds per measured run (default 1)
#   --connections N   wrk connections (default 64)
#   --warmup N        warm-up seconds per gateway, once (default 3)
#   --rounds N        how many times each set-up is measured (default 100)
#   --setups LIST     comma-separated, from none,ledger,normal,full (default all four; none is always run)
#   --quiet-wait N    before the first run, wait up to N s (default 60) for other work to leave the cores idle
# Bounded: at most quiet-wait + S × (warm-up + 30) + rounds × S × (duration + 30) seconds, S set-ups. Builds nothing unless a
# binary is missing (GATEROUTER_BUILD_DIR picks the build folder, default build/). Everything listens on 127.0.0.1.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

DURATION=1
CONNECTIONS=64
WARMUP=3
ROUNDS=100
SETUP_LIST=none,ledger,normal,full
QUIET_WAIT=60
usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }
while (($#)); do
  case "$1" in
    --duration) DURATION="${2:?}"; shift 2 ;;
    --connections) CONNECTIONS="${2:?}"; shift 2 ;;
    --warmup) WARMUP="${2:?}"; shift 2 ;;
    --rounds) ROUNDS="${2:?}"; shift 2 ;;
    --setups) SETUP_LIST="${2:?}"; shift 2 ;;
    --quiet-wait) QUIET_WAIT="${2:?}"; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) echo "unknown option: $1" >&2; usage >&2; exit 2 ;;
  esac
done
for v in "$DURATION" "$CONNECTIONS" "$WARMUP" "$ROUNDS" "$QUIET_WAIT"; do
  [[ "$v" =~ ^[0-9]+$ ]] || die "options take whole numbers"
done
((ROUNDS >= 1 && DURATION >= 1)) || die "--rounds and --duration must be at least 1"

bench_init
raise_nofile 65536
command -v wrk >/dev/null || die "wrk is needed (scripts/install-deps.sh --bench)"
command -v curl >/dev/null || die "curl is needed"
ensure_binaries gateway sim

BENCH_KEY="sk-bench-not-a-real-key"  # what bench/chat.lua sends
KEY_SHA="$(printf '%s' "$BENCH_KEY" | sha256sum | cut -d' ' -f1)"

SIM_PORT="$(free_port)"
write_sim_config "$BENCH_TMP/sim.yaml" 0 0 0 16
start_sim "$BENCH_TMP/sim.yaml" "$SIM_PORT" 1 || die "the simulator did not start"
SIM_PID="$LAST_PID"
log "simulator on 127.0.0.1:$SIM_PORT (1 thread)"

# gateway_config FILE PORT SETUP: the bench gateway (1 worker, as bench/run.sh's (b)) plus the set-up's ledger.
gateway_config() {
  local file="$1" port="$2" setup="$3"
  write_gateway_config "$file" "$port" "$SIM_PORT" 1
  cat >>"$file" <<EOF
api_keys:
  - { name: bench, sha256: "$KEY_SHA" }
EOF
  case "$setup" in
    none) ;;
    ledger) echo "ledger: { path: \"$BENCH_TMP/ledger-$setup-$port.db\", durability: normal }" >>"$file" ;;
    *)
      cat >>"$file" <<EOF
ledger: { path: "$BENCH_TMP/ledger-$setup-$port.db", durability: $setup }
budgets:
  - { name: bench-key, scope: { key: bench }, period: total, limit_usd: 1000000, hard: true }
EOF
      ;;
  esac
}

declare -A BEST_RPS=() BEST_P50=() BEST_P99=() ALL_RPS=() ROWS_OK=() ALL_CPU=() ALL_WRITER=() ALL_P99=()
IFS=, read -r -a listed <<<"$SETUP_LIST"
for setup in "${listed[@]}"; do
  [[ "$setup" =~ ^(none|ledger|normal|full)$ ]] || die "--setups: unknown set-up '$setup' (none, ledger, normal, full)"
done
SETUPS=(none)
for setup in ledger normal full; do [[ ",$SETUP_LIST," == *",$setup,"* ]] && SETUPS+=("$setup"); done
COMPARED=("${SETUPS[@]:1}")
((${#COMPARED[@]} > 0)) || die "--setups names nothing to compare with none"
LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"

# add_round LIST SETUP VALUE: appends a round's VALUE to the set-up's comma-separated list in the array LIST.
add_round() {
  local -n list="$1"
  list[$2]="${list[$2]:-}${list[$2]:+, }$3"
}

# us_per_request JIFFIES REQUESTS DECIMALS: CPU time per request in µs (a jiffy is 1/CLK_TCK s).
HZ="$(getconf CLK_TCK)"
us_per_request() {
  awk -v j="$1" -v n="$2" -v hz="$HZ" -v d="$3" 'BEGIN { printf "%.*f", d, (n > 0 ? 1e6 * j / hz / n : 0) }'
}

declare -A PORT=() PID=()
for setup in "${SETUPS[@]}"; do
  port="$(free_port)"
  cfg="$BENCH_TMP/gateway-$setup.yaml"
  gateway_config "$cfg" "$port" "$setup"
  start_gateway "$cfg" "$port" || die "the gateway ($setup) did not start"
  PORT[$setup]="$port"
  PID[$setup]="$LAST_PID"
  code="$(curl -sS -m 5 -o "$BENCH_TMP/check.body" -w '%{http_code}' -X POST "http://127.0.0.1:$port/v1/chat/completions" \
    -H 'Content-Type: application/json' -H "Authorization: Bearer $BENCH_KEY" \
    --data '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"ping"}]}' || true)"
  [[ "$code" == 200 ]] || die "$setup: check request answered $code: $(head -c 300 "$BENCH_TMP/check.body")"
done
busy="$(wait_quiet "$QUIET_WAIT")"
log "${#SETUPS[@]} gateways up; other work before the runs: ${busy}%; warm-up ${WARMUP}s each"
for setup in "${SETUPS[@]}"; do
  ((WARMUP > 0)) && { timeout $((WARMUP + 20)) wrk -t1 -c"$CONNECTIONS" -d"${WARMUP}s" -s "$BENCH_DIR/chat.lua" \
    "http://127.0.0.1:${PORT[$setup]}" >/dev/null 2>&1 || true; }
done
declare -A ANSWERED=()
for ((round = 1; round <= ROUNDS; round++)); do
  for setup in $(shuf -e "${SETUPS[@]}"); do
    gw_pid="${PID[$setup]}"
    url="http://127.0.0.1:${PORT[$setup]}"
    raw="$BENCH_TMP/wrk-$setup-$round.txt"
    read -r -a m0 <<<"$(machine_jiffies)"
    o0="$(pids_jiffies "$SIM_PID" "$gw_pid")"
    g0="$(pids_jiffies "$gw_pid")"
    l0="$(thread_jiffies "$gw_pid" gr-ledger)"
    timeout $((DURATION + 30)) wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$BENCH_DIR/chat.lua" "$url" \
      >"$raw" 2>&1 || die "$setup: wrk failed: $(tail -n 3 "$raw")"
    read -r -a m1 <<<"$(machine_jiffies)"
    o1="$(pids_jiffies "$SIM_PID" "$gw_pid")"
    g1="$(pids_jiffies "$gw_pid")"
    l1="$(thread_jiffies "$gw_pid" gr-ledger)"
    kill -0 "$gw_pid" 2>/dev/null || die "$setup: the gateway exited during the run"
    json="$(sed -n 's/^BENCH_JSON //p' "$raw")"
    [[ -n "$json" ]] || die "$setup: no result from wrk: $(tail -n 5 "$raw")"
    rps="$(json_field "$json" rps)"
    lat="$(json_object "$json" latency_us)"
    p50="$(json_field "$lat" p50)"
    p99="$(json_field "$lat" p99)"
    requests="$(json_field "$json" requests)"
    errors="$(json_object "$json" errors)"
    ANSWERED[$setup]=$((${ANSWERED[$setup]:-0} + requests))
    # Other work's share of the machine during the run (wrk itself included: it is the same in every set-up).
    other=$(((m1[0] - m0[0]) - (o1 - o0)))
    ((other < 0)) && other=0
    other=$((100 * other / (m1[1] - m0[1] > 0 ? m1[1] - m0[1] : 1)))
    # CPU time per request in µs, the gateway's and its ledger threads'.
    cpu="$(us_per_request $((g1 - g0)) "$requests" 1)"
    writer_cpu="$(us_per_request $((l1 - l0)) "$requests" 2)"
    log "round $round, $setup: $rps req/s, p50 ${p50} µs, p99 ${p99} µs, errors $errors, wrk+other ${other}% of the CPU, gateway ${cpu} µs CPU/request (ledger threads ${writer_cpu})"
    add_round ALL_RPS "$setup" "$rps"
    add_round ALL_P99 "$setup" "$p99"
    add_round ALL_CPU "$setup" "$cpu"
    add_round ALL_WRITER "$setup" "$writer_cpu"
    if [[ -z "${BEST_RPS[$setup]:-}" ]] || awk -v a="$rps" -v b="${BEST_RPS[$setup]}" 'BEGIN { exit !(a > b) }'; then
      BEST_RPS[$setup]="$rps"; BEST_P50[$setup]="$p50"; BEST_P99[$setup]="$p99"
    fi
  done
done
for setup in "${SETUPS[@]}"; do
  stop_pid "${PID[$setup]}"
  [[ "$setup" == none ]] && continue
  # Every answered request has its row (the check request, the warm-up and the measured runs: at least these).
  db="$BENCH_TMP/ledger-$setup-${PORT[$setup]}.db"
  rows="$(python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); print(c.execute("SELECT COUNT(*) FROM requests").fetchone()[0], c.execute("SELECT COUNT(*) FROM reservations").fetchone()[0])' "$db")"
  read -r nrows nres <<<"$rows"
  ROWS_OK[$setup]="$nrows rows for ${ANSWERED[$setup]} requests answered in the measured runs, $nres reservations left"
  ((nrows >= ANSWERED[$setup])) || log "warning: $setup: $nrows ledger rows for ${ANSWERED[$setup]} measured requests"
done
LOAD_AFTER="$(cut -d' ' -f1-3 /proc/loadavg)"

echo
echo "Ledger overhead: 1 gateway worker, wrk -t1 -c$CONNECTIONS -d${DURATION}s, ${ROUNDS} round(s) in random order"
echo "machine: $(nproc) CPU(s), $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1); load average before $LOAD_BEFORE, after $LOAD_AFTER"
echo "best round per set-up:"
printf '%-8s %12s %10s %10s %10s\n' setup "req/s" "vs none" "p50 µs" "p99 µs"
for setup in "${SETUPS[@]}"; do
  d="$(awk -v a="${BEST_RPS[$setup]}" -v b="${BEST_RPS[none]}" 'BEGIN { printf "%+.1f%%", 100 * (a - b) / b }')"
  printf '%-8s %12s %10s %10s %10s\n' "$setup" "${BEST_RPS[$setup]}" "$d" "${BEST_P50[$setup]}" "${BEST_P99[$setup]}"
done
# paired "A1, A2, …" "B1, B2, …": the median over rounds of (Ai − Bi) / Bi in %, and its 95 % confidence interval
# (2 000 bootstrap resamples of the rounds, fixed seed), as "MEDIAN LOW HIGH".
paired() {
  python3 - "$1" "$2" <<'PY'
import random, statistics, sys
a = [float(v) for v in sys.argv[1].split(", ")]
b = [float(v) for v in sys.argv[2].split(", ")]
d = [100 * (x - y) / y for x, y in zip(a, b)]
rng = random.Random(1)
medians = sorted(statistics.median(rng.choices(d, k=len(d))) for _ in range(2000))
print(f"{statistics.median(d):+.1f} {medians[50]:+.1f} {medians[1949]:+.1f}")
PY
}
show() { printf '%s%% [%s, %s]' "$1" "$2" "$3"; }
echo
echo "paired with the same round's none: median over rounds [95 % confidence interval]"
printf '%-8s %24s %24s %24s\n' setup "req/s" "p99 latency" "gateway CPU/request"
declare -A PAIRED=() SHOWN=()
for setup in "${COMPARED[@]}"; do
  read -r -a r <<<"$(paired "${ALL_RPS[$setup]}" "${ALL_RPS[none]}")"
  read -r -a l <<<"$(paired "${ALL_P99[$setup]}" "${ALL_P99[none]}")"
  read -r -a c <<<"$(paired "${ALL_CPU[$setup]}" "${ALL_CPU[none]}")"
  PAIRED[$setup]="${r[*]}"
  SHOWN[$setup]="$(show "${r[@]}")"
  printf '%-8s %24s %24s %24s\n' "$setup" "$(show "${r[@]}")" "$(show "${l[@]}")" "$(show "${c[@]}")"
done
echo
echo "gateway CPU per request (µs, all its threads), each round:"
for setup in "${SETUPS[@]}"; do echo "  $setup: ${ALL_CPU[$setup]}"; done
echo "of which the ledger threads, writer and importer (µs/request), each round:"
for setup in "${COMPARED[@]}"; do echo "  $setup: ${ALL_WRITER[$setup]}"; done
for setup in "${COMPARED[@]}"; do echo "ledger ($setup): ${ROWS_OK[$setup]}"; done
if [[ -n "${PAIRED[ledger]:-}" ]]; then
  read -r median low _ <<<"${PAIRED[ledger]}"
  verdict="NOT met"
  if awk -v d="$low" 'BEGIN { exit !(d >= -5) }'; then
    verdict="met"
  elif awk -v d="$median" 'BEGIN { exit !(d >= -5) }'; then
    verdict="met on the median, not beyond the noise"
  fi
  others=""
  [[ -n "${PAIRED[normal]:-}" ]] && others+=", with a budget ${SHOWN[normal]}"
  [[ -n "${PAIRED[full]:-}" ]] && others+=", full (opt-in) ${SHOWN[full]}"
  echo "goal (the ledger adds ≤ 5 % to the throughput cost, default durability): $verdict — requests/s ${SHOWN[ledger]}$others"
fi
