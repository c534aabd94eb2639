# Shared helpers for bench/*.sh (sourced, not run). Every process started through start_bg is recorded and killed
# when the calling script exits, whatever the reason (trap on EXIT, INT, TERM).

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(cd "$BENCH_DIR/.." && pwd)"
BUILD_DIR="${GATEROUTER_BUILD_DIR:-$REPO_DIR/build}"
GATEWAY_BIN="$BUILD_DIR/gaterouter"
SIM_BIN="$BUILD_DIR/tools/sim/gaterouter-sim"
PROBE_BIN="$BUILD_DIR/bench/gaterouter_ttft_probe"

BENCH_PIDS=()
BENCH_TMP=""
LAST_PID=""

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

bench_cleanup() {
  local pid
  for pid in "${BENCH_PIDS[@]}"; do stop_pid "$pid"; done
  BENCH_PIDS=()
  if [[ -n "$BENCH_TMP" && -d "$BENCH_TMP" && -z "${BENCH_KEEP_TMP:-}" ]]; then rm -rf "$BENCH_TMP"; fi
}

bench_init() {
  BENCH_TMP="$(mktemp -d "${TMPDIR:-/tmp}/gaterouter-bench.XXXXXX")"
  trap bench_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

# start_bg STDOUT STDERR CMD...: starts CMD in the background; its pid is in LAST_PID.
start_bg() {
  local out="$1" err="$2"
  shift 2
  "$@" >"$out" 2>"$err" </dev/null &
  LAST_PID=$!
  BENCH_PIDS+=("$LAST_PID")
}

# stop_pid PID: SIGTERM, up to 5 s to exit, then SIGKILL.
stop_pid() {
  local pid="$1" i
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null || true
  local kept=() p
  for p in "${BENCH_PIDS[@]}"; do [[ "$p" == "$pid" ]] || kept+=("$p"); done
  BENCH_PIDS=("${kept[@]}")
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# free_port: prints a loopback TCP port nobody listens on.
free_port() {
  local p i
  for ((i = 0; i < 200; i++)); do
    p=$((20000 + RANDOM % 30000))
    if command -v ss >/dev/null; then
      [[ -z "$(ss -Htan "( sport = :$p )" 2>/dev/null)" ]] && { echo "$p"; return 0; }
    elif ! port_in_use "$p"; then
      echo "$p"
      return 0
    fi
  done
  die "no free port found"
}

# wait_for_log FILE PATTERN PID TIMEOUT_S: waits until FILE contains PATTERN; fails if PID died first.
wait_for_log() {
  local file="$1" pattern="$2" pid="$3" timeout="$4" i
  for ((i = 0; i < timeout * 10; i++)); do
    grep -q -- "$pattern" "$file" 2>/dev/null && return 0
    kill -0 "$pid" 2>/dev/null || { log "process $pid exited; its log:"; tail -n 20 "$file" >&2; return 1; }
    sleep 0.1
  done
  log "timed out after ${timeout}s waiting for '$pattern' in $file:"
  tail -n 20 "$file" >&2
  return 1
}

# wait_for_port PORT PID TIMEOUT_S
wait_for_port() {
  local port="$1" pid="$2" timeout="$3" i
  for ((i = 0; i < timeout * 10; i++)); do
    port_in_use "$port" && return 0
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

# raise_nofile [WANTED]: raises this shell's soft open-files limit (children inherit it).
raise_nofile() {
  local wanted="${1:-65536}" hard
  hard="$(ulimit -Hn)"
  [[ "$hard" == unlimited ]] && hard="$wanted"
  ((hard < wanted)) && wanted="$hard"
  ulimit -n "$wanted" 2>/dev/null || true
}

# ensure_binaries NAME...: builds what is missing (gateway, sim, probe). Builds only when a binary is absent, so
# a run never rebuilds work in progress of others; run scripts/build.sh yourself to refresh.
ensure_binaries() {
  local need=() name
  for name in "$@"; do
    case "$name" in
      gateway) [[ -x "$GATEWAY_BIN" ]] || need+=(gaterouter) ;;
      sim) [[ -x "$SIM_BIN" ]] || need+=(gaterouter-sim) ;;
      probe) [[ -x "$PROBE_BIN" ]] || need+=(gaterouter_ttft_probe) ;;
    esac
  done
  ((${#need[@]} == 0)) && return 0
  log "building ${need[*]}"
  if [[ -f "$BUILD_DIR/CMakeCache.txt" ]]; then
    cmake --build "$BUILD_DIR" --parallel "$(nproc)" --target "${need[@]}"
  else
    "$REPO_DIR/scripts/build.sh"
  fi
}

# write_sim_config FILE [LATENCY_MS TTFT_MS TOKEN_INTERVAL_MS TOKENS]
write_sim_config() {
  local file="$1" latency="${2:-0}" ttft="${3:-0}" interval="${4:-0}" tokens="${5:-16}"
  cat >"$file" <<EOF
# gaterouter-sim configuration written by bench/ for one run.
defaults:
  latency_ms: $latency
  ttft_ms: $ttft
  token_interval_ms: $interval
  tokens: $tokens
EOF
}

# start_sim CONFIG PORT THREADS: starts gaterouter-sim; its pid is in LAST_PID.
start_sim() {
  local config="$1" port="$2" threads="${3:-1}"
  start_bg "$BENCH_TMP/sim-$port.out" "$BENCH_TMP/sim-$port.log" \
    "$SIM_BIN" --listen "127.0.0.1:$port" --threads "$threads" --config "$config"
  local pid="$LAST_PID"
  # The banner may go to stdout or stderr: watch both.
  local i
  for ((i = 0; i < 100; i++)); do
    if grep -qs "listening on" "$BENCH_TMP/sim-$port.out" "$BENCH_TMP/sim-$port.log"; then LAST_PID="$pid"; return 0; fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  log "gaterouter-sim did not start:"
  cat "$BENCH_TMP/sim-$port.out" "$BENCH_TMP/sim-$port.log" >&2
  return 1
}

# write_gateway_config FILE PORT SIM_PORT [WORKERS]
write_gateway_config() {
  local file="$1" port="$2" sim_port="$3" workers="${4:-1}"
  cat >"$file" <<EOF
# gaterouter configuration written by bench/ for one run: one worker, the simulator as the only provider, no keys.
# No connection caps: every load generator here connects from loopback, by the thousand for the idle test.
server: { listen: "127.0.0.1:$port", workers: $workers, shutdown_grace_ms: 2000, max_connections: 0,
          max_connections_per_address: 0 }
log: { level: warn, access_log: true }
providers: [ { name: sim, kind: openai, base_url: "http://127.0.0.1:$sim_port/v1" } ]
models:
  - { id: gpt-4o-mini, provider: sim, input_price_per_mtok: 0.15, output_price_per_mtok: 0.6, context_window: 128000 }
EOF
}

# start_gateway CONFIG PORT: starts gaterouter (access log on stdout → /dev/null); its pid is in LAST_PID.
# Readiness is the port accepting connections: the "listening on" line is logged at info, and the bench configs
# log at warn.
start_gateway() {
  local config="$1" port="$2" errlog
  errlog="$BENCH_TMP/gateway-$(basename "$config" .yaml).log"
  start_bg /dev/null "$errlog" "$GATEWAY_BIN" --config "$config"
  wait_for_port "$port" "$LAST_PID" 20 && return 0
  log "gaterouter did not start listening on port $port; its log:"
  tail -n 20 "$errlog" >&2
  return 1
}

# json_field JSON KEY: the numeric value (the last one, if KEY is repeated) of "KEY": in a one-line JSON text.
json_field() { sed -n "s/.*\"$2\":\(-\{0,1\}[0-9.][0-9.eE+-]*\).*/\1/p" <<<"$1" | head -n 1; }

# json_object JSON KEY: the flat object that is the value of "KEY" in a one-line JSON text (no nesting inside).
json_object() { sed -n "s/.*\"$2\":{\([^}]*\)}.*/{\1}/p" <<<"$1" | head -n 1; }

# cpu_busy_pct [SECONDS]: how busy all cores were over the next SECONDS (default 1), in percent (whole number).
cpu_busy_pct() {
  local a b
  read -r -a a </proc/stat
  sleep "${1:-1}"
  read -r -a b </proc/stat
  # fields: cpu user nice system idle iowait irq softirq steal
  local busy=$(((b[1] - a[1]) + (b[2] - a[2]) + (b[3] - a[3]) + (b[6] - a[6]) + (b[7] - a[7]) + (b[8] - a[8])))
  local total=$((busy + (b[4] - a[4]) + (b[5] - a[5])))
  ((total > 0)) && echo $((100 * busy / total)) || echo 0
}

# wait_quiet [MAX_WAIT_S]: the machine is shared; waits (up to MAX_WAIT_S, default 60) until other work leaves
# the cores mostly idle (under 20 % busy), so the figures are not measured against someone's compile. Prints the
# last busy percentage seen; warns when it never got quiet.
wait_quiet() {
  local max="${1:-60}" waited=0 busy
  busy="$(cpu_busy_pct 1)"
  while ((busy >= 20 && waited < max)); do
    ((waited == 0)) && log "the machine is busy (${busy}% CPU used by other work): waiting up to ${max}s"
    busy="$(cpu_busy_pct 2)"
    waited=$((waited + 2))
  done
  ((busy >= 20)) && log "warning: still ${busy}% busy with other work; figures will be noisy"
  echo "$busy"
}

# Interference accounting for a shared machine. machine_jiffies prints "BUSY TOTAL" over all cores since boot;
# pids_jiffies PID... the CPU time (user+system, in jiffies) of those processes; children_jiffies that of this
# shell's finished children (wrk, once waited for), in CHILD_JIFFIES. Other work's share of a run = the machine's busy time
# minus ours, over the run's total core time.
machine_jiffies() {
  local a
  read -r -a a </proc/stat
  local busy=$((a[1] + a[2] + a[3] + a[6] + a[7] + a[8]))
  echo "$busy $((busy + a[4] + a[5]))"
}
# stat_jiffies FILE: user + system jiffies from a /proc stat file (a process's or a thread's); 0 once it is gone.
stat_jiffies() {
  local rest f
  rest="$(cat "$1" 2>/dev/null)" || { echo 0; return; }
  rest="${rest##*) }"
  read -r -a f <<<"$rest"
  echo $((f[11] + f[12]))
}
pids_jiffies() {
  local sum=0 pid
  for pid in "$@"; do sum=$((sum + $(stat_jiffies "/proc/$pid/stat"))); done
  echo "$sum"
}
# thread_jiffies PID PREFIX: user + system jiffies of PID's threads whose names start with PREFIX (the gateway
# names its threads: gr-worker-N, gr-ledger, gr-ledger-idle, ...).
thread_jiffies() {
  local sum=0 task
  for task in /proc/"$1"/task/*; do
    [[ "$(cat "$task/comm" 2>/dev/null)" == "$2"* ]] || continue
    sum=$((sum + $(stat_jiffies "$task/stat")))
  done
  echo "$sum"
}
children_jiffies() {  # sets CHILD_JIFFIES (a $(...) subshell would see no children: so no output)
  local hz line u s
  hz="$(getconf CLK_TCK)"
  # `times` must run in this shell, not in a pipe or $(...) subshell: its second line is "XmY.YYYs XmY.YYYs", the
  # user and system time of this shell's waited-for children.
  times >"$BENCH_TMP/times.txt"
  line="$(tail -n 1 "$BENCH_TMP/times.txt")"
  read -r u s <<<"$line"
  CHILD_JIFFIES="$(awk -v u="$u" -v s="$s" -v hz="$hz" \
    'function sec(t, m) { split(t, m, "m"); sub("s", "", m[2]); return m[1] * 60 + m[2] }
     BEGIN { printf "%d", (sec(u) + sec(s)) * hz }')"
}
