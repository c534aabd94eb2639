#!/usr/bin/env bash
# bench/run.sh — GateRouter's core load benchmark, with its baselines side by side in the same run.
#
# ~1 KB non-streaming POST /v1/chat/completions (bench/chat.lua), wrk -t1 -cC -dDs --latency, against:
#   (a) sim      the upstream simulator directly (gaterouter-sim, 1 thread, answers at once): the ceiling
#   (b) gateway  GateRouter with 1 worker thread in front of the simulator
#   (c) nginx    nginx (Debian) as a plain keep-alive reverse proxy, worker_processes 1
#   (d) portkey  the Portkey AI gateway 1.15.2 (Node) with x-portkey-custom-host pointing at the simulator
# Every path gets the same simulator and a 2 s warm-up. Then it prints requests/s, p50 and p99 per path and the
# ratios, writes the raw results to bench/results/load-*.json, and runs bench/ttft.sh (time to first token).
# Installs what is missing (wrk, nginx-light, the Portkey package into bench/node_modules) and builds the binaries
# if they are absent. Everything listens on 127.0.0.1; every process started is killed on exit.
#
# Options:
#   --duration N      seconds per measured run (default 10)
#   --connections N   wrk connections (default 64)
#   --warmup N        warm-up seconds per path (default 2)
#   --quiet-wait N    the machine is shared: before each path, wait up to N s (default 120) for other work to
#                     leave the cores idle
#   --max-other P     a run during which other work used more than P % of the CPU (default 10) is measured
#   --retries N       again, up to N times (default 2); the least disturbed run counts, its share is reported
#   --only LIST       what to run, comma-separated among a,b,c,d (or sim,gateway,nginx,portkey), ttft and idle;
#                     default a,b,c,d,ttft (e.g. --only b,c for gateway vs nginx, --only idle for the idle test)
#   --no-ttft         skip bench/ttft.sh
#   --idle            also run bench/idle_connections.mjs (10 000 idle keep-alive connections; needs node)
set -euo pipefail
source "$(dirname "$0")/lib.sh"

DURATION=10
CONNECTIONS=64
WARMUP=2
QUIET_WAIT=120
MAX_OTHER=10
RETRIES=2
ONLY=""
RUN_TTFT=1
RUN_IDLE=0
PORTKEY_VERSION=1.15.2

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }
while (($#)); do
  case "$1" in
    --duration) DURATION="${2:?}"; shift 2 ;;
    --connections) CONNECTIONS="${2:?}"; shift 2 ;;
    --only) ONLY="${2:?}"; shift 2 ;;
    --warmup) WARMUP="${2:?}"; shift 2 ;;
    --quiet-wait) QUIET_WAIT="${2:?}"; shift 2 ;;
    --max-other) MAX_OTHER="${2:?}"; shift 2 ;;
    --retries) RETRIES="${2:?}"; shift 2 ;;
    --no-ttft) RUN_TTFT=0; shift ;;
    --idle) RUN_IDLE=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "unknown option: $1" >&2; usage >&2; exit 2 ;;
  esac
done
[[ "$DURATION" =~ ^[0-9]+$ && "$CONNECTIONS" =~ ^[0-9]+$ && "$WARMUP" =~ ^[0-9]+$ ]] ||
  die "--duration, --connections and --warmup take whole numbers"

declare -A WANT=()
if [[ -z "$ONLY" ]]; then
  WANT=([sim]=1 [gateway]=1 [nginx]=1 [portkey]=1)
else
  ((RUN_TTFT == 0)) || [[ ",$ONLY," == *,ttft,* ]] || RUN_TTFT=0
fi
IFS=',' read -r -a only_list <<<"$ONLY"
for p in "${only_list[@]}"; do
  case "$p" in
    ttft) ;;
    idle) RUN_IDLE=1 ;;
    a | sim) WANT[sim]=1 ;;
    b | gateway) WANT[gateway]=1 ;;
    c | nginx) WANT[nginx]=1 ;;
    d | portkey) WANT[portkey]=1 ;;
    *) die "--only: unknown part '$p' (a,b,c,d or sim,gateway,nginx,portkey, ttft, idle)" ;;
  esac
done

bench_init
raise_nofile 65536

# --- what is needed -------------------------------------------------------------------------------------------
apt_install() {
  local sudo=()
  ((EUID == 0)) || sudo=(sudo -n)
  log "installing $* with apt-get"
  timeout 600 "${sudo[@]}" apt-get install -y --no-install-recommends "$@" >"$BENCH_TMP/apt.log" 2>&1 || {
    timeout 300 "${sudo[@]}" apt-get update >>"$BENCH_TMP/apt.log" 2>&1 &&
      timeout 600 "${sudo[@]}" apt-get install -y --no-install-recommends "$@" >>"$BENCH_TMP/apt.log" 2>&1
  } || { tail -n 20 "$BENCH_TMP/apt.log" >&2; return 1; }
}

command -v wrk >/dev/null || apt_install wrk || die "wrk is needed"
NGINX_BIN="$(command -v nginx || true)"
[[ -z "$NGINX_BIN" && -x /usr/sbin/nginx ]] && NGINX_BIN=/usr/sbin/nginx
if [[ -n "${WANT[nginx]:-}" && -z "$NGINX_BIN" ]]; then
  # Debian's package may start its own service on port 80; this benchmark never uses it.
  if apt_install nginx-light; then NGINX_BIN=/usr/sbin/nginx; else log "nginx could not be installed: skipping (c)"; fi
fi

PORTKEY_ENTRY="$BENCH_DIR/node_modules/@portkey-ai/gateway/build/start-server.js"
PORTKEY_ERROR=""
if [[ -n "${WANT[portkey]:-}" ]]; then
  if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    PORTKEY_ERROR="node/npm not found"
  elif ! grep -qs "\"version\": \"$PORTKEY_VERSION\"" "$BENCH_DIR/node_modules/@portkey-ai/gateway/package.json"; then
    log "installing @portkey-ai/gateway@$PORTKEY_VERSION into bench/node_modules"
    (cd "$BENCH_DIR" && timeout 600 npm install --no-save --no-audit --no-fund \
      "@portkey-ai/gateway@$PORTKEY_VERSION") >"$BENCH_TMP/npm.log" 2>&1 ||
      PORTKEY_ERROR="npm install failed: $(tail -n 3 "$BENCH_TMP/npm.log" | tr '\n' ' ')"
  fi
  [[ -z "$PORTKEY_ERROR" && ! -f "$PORTKEY_ENTRY" ]] && PORTKEY_ERROR="$PORTKEY_ENTRY not found after install"
fi

ensure_binaries gateway sim
((RUN_TTFT)) && ensure_binaries probe

# The load benchmark: (a)..(d), the table and bench/results/load-*.json.
run_load() {
# --- the runs ---------------------------------------------------------------------------------------------------
LOADAVG_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
SIM_PORT="$(free_port)"
write_sim_config "$BENCH_TMP/sim.yaml" 0 0 0 16
start_sim "$BENCH_TMP/sim.yaml" "$SIM_PORT" 1 || die "the simulator did not start"
SIM_PID="$LAST_PID"
log "simulator on 127.0.0.1:$SIM_PORT (1 thread)"

declare -A RESULT=() STATUS=() BUSY=() OTHER=() LABEL=(
  [sim]="(a) simulator, direct"
  [gateway]="(b) gaterouter, 1 worker"
  [nginx]="(c) nginx, 1 worker"
  [portkey]="(d) portkey (node)"
)

CURL_HEADERS=()
# check URL: one request must answer 200 with a chat completion before wrk runs.
check_path() {
  local url="$1" out code
  out="$(curl -sS -m 5 -o "$BENCH_TMP/check.body" -w '%{http_code}' -X POST "$url/v1/chat/completions" \
    -H 'Content-Type: application/json' -H 'Authorization: Bearer sk-bench-not-a-real-key' "${CURL_HEADERS[@]}" \
    --data '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"ping"}]}' 2>&1)" || true
  code="${out: -3}"
  if [[ "$code" == 200 ]] && grep -q '"choices"' "$BENCH_TMP/check.body"; then return 0; fi
  CHECK_ERROR="HTTP $out: $(head -c 300 "$BENCH_TMP/check.body" 2>/dev/null | tr '\n' ' ')"
  return 1
}

# measure NAME URL [PID]: warm-up, then the measured wrk run; the BENCH_JSON line lands in RESULT[NAME]. PID is
# the proxy under test: it, and the simulator, must still be running after the run for the result to count.
measure() {
  local name="$1" url="$2" pid="${3:-}" raw="$BENCH_TMP/wrk-$1.txt"
  CHECK_ERROR=""
  if ! kill -0 "$SIM_PID" 2>/dev/null; then
    log "the simulator exited (its log: $(tail -n 3 "$BENCH_TMP"/sim-*.log | tr '\n' ' '))"
    STATUS[$name]="failed: the simulator had exited before this run"
    return 0
  fi
  if ! check_path "$url"; then
    STATUS[$name]="failed: $CHECK_ERROR"
    log "$name: $CHECK_ERROR"
    return 0
  fi
  # Other work sharing the machine during the measured run is accounted for (OTHER[NAME], percent of all cores);
  # past --max-other the run is repeated, after waiting for quiet, up to --retries times; the least disturbed counts.
  local attempt best_other=101 other
  for ((attempt = 0; attempt <= RETRIES; attempt++)); do
    BUSY[$name]="$(wait_quiet "$QUIET_WAIT")"
    log "$name: warm-up ${WARMUP}s"
    ((WARMUP > 0)) && timeout $((WARMUP + 20)) wrk -t1 -c"$CONNECTIONS" -d"${WARMUP}s" -s "$BENCH_DIR/chat.lua" \
      "$url" >/dev/null 2>&1 || true
    log "$name: wrk -t1 -c$CONNECTIONS -d${DURATION}s --latency"
    local ours=("$SIM_PID")
    if [[ -n "$pid" ]]; then
      ours+=("$pid")
      mapfile -t -O "${#ours[@]}" ours < <(pgrep -P "$pid" || true)
    fi
    local m0 m1 o0 o1 c0
    read -r -a m0 <<<"$(machine_jiffies)"
    o0="$(pids_jiffies "${ours[@]}")"
    children_jiffies
    c0="$CHILD_JIFFIES"
    if ! timeout $((DURATION + 30)) wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$BENCH_DIR/chat.lua" \
      "$url" >"$raw" 2>&1; then
      STATUS[$name]="failed: wrk: $(tail -n 3 "$raw" | tr '\n' ' ')"
      return 0
    fi
    read -r -a m1 <<<"$(machine_jiffies)"
    o1="$(pids_jiffies "${ours[@]}")"
    children_jiffies
    other=$(((m1[0] - m0[0]) - (o1 - o0) - (CHILD_JIFFIES - c0)))
    if ((other < 0)); then other=0; fi
    other=$((100 * other / (m1[1] - m0[1] > 0 ? m1[1] - m0[1] : 1)))
    if ((other < best_other)); then
      best_other=$other
      cp "$raw" "$raw.best"
    fi
    if ((other <= MAX_OTHER)); then break; fi
    if ((attempt < RETRIES)); then log "$name: other work took ${other}% of the CPU during the run: measuring again"; fi
  done
  OTHER[$name]=$best_other
  cp "$raw.best" "$raw"
  if ! kill -0 "$SIM_PID" 2>/dev/null; then
    STATUS[$name]="failed: the simulator exited during the run"
    return 0
  fi
  if [[ -n "$pid" ]] && ! kill -0 "$pid" 2>/dev/null; then
    STATUS[$name]="failed: the process under test exited during the run (crash?)"
    return 0
  fi
  RESULT[$name]="$(sed -n 's/^BENCH_JSON //p' "$raw")"
  [[ -n "${RESULT[$name]}" ]] || { STATUS[$name]="failed: no result from wrk"; return 0; }
  STATUS[$name]=ok
}
if [[ -n "${WANT[sim]:-}" ]]; then
  measure sim "http://127.0.0.1:$SIM_PORT"
fi

if [[ -n "${WANT[gateway]:-}" ]]; then
  GW_PORT="$(free_port)"
  write_gateway_config "$BENCH_TMP/gateway.yaml" "$GW_PORT" "$SIM_PORT" 1
  if start_gateway "$BENCH_TMP/gateway.yaml" "$GW_PORT"; then
    GW_PID="$LAST_PID"
    measure gateway "http://127.0.0.1:$GW_PORT" "$GW_PID"
    stop_pid "$GW_PID"
  else
    STATUS[gateway]="failed: the gateway did not start"
  fi
fi

if [[ -n "${WANT[nginx]:-}" ]]; then
  if [[ -z "$NGINX_BIN" ]]; then
    STATUS[nginx]="failed: nginx is not installed"
  else
    NGINX_PORT="$(free_port)"
    NGX="$BENCH_TMP/nginx"
    mkdir -p "$NGX/logs" "$NGX/tmp"
    nginx_user=""
    ((EUID == 0)) && nginx_user="user root root;"  # as root, workers would otherwise drop to nobody
    cat >"$NGX/nginx.conf" <<EOF
# nginx as a plain reverse proxy: the baseline the gateway's own cost is measured against.
$nginx_user
worker_processes 1;
daemon off;
pid $NGX/nginx.pid;
error_log $NGX/logs/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $NGX/tmp/body;
  proxy_temp_path $NGX/tmp/proxy;
  fastcgi_temp_path $NGX/tmp/fastcgi;
  uwsgi_temp_path $NGX/tmp/uwsgi;
  scgi_temp_path $NGX/tmp/scgi;
  keepalive_requests 1000000;
  upstream sim {
    server 127.0.0.1:$SIM_PORT;
    keepalive 64;
    keepalive_requests 1000000;
  }
  server {
    listen 127.0.0.1:$NGINX_PORT;
    location / {
      proxy_pass http://sim;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
EOF
    start_bg "$NGX/stdout.log" "$NGX/stderr.log" "$NGINX_BIN" -p "$NGX" -c "$NGX/nginx.conf"
    NGINX_PID="$LAST_PID"
    if wait_for_port "$NGINX_PORT" "$NGINX_PID" 10; then
      measure nginx "http://127.0.0.1:$NGINX_PORT" "$NGINX_PID"
    else
      STATUS[nginx]="failed: nginx did not start: $(cat "$NGX/stderr.log" "$NGX/logs/error.log" 2>/dev/null | tail -n 3 | tr '\n' ' ')"
    fi
    stop_pid "$NGINX_PID"
  fi
fi

if [[ -n "${WANT[portkey]:-}" ]]; then
  if [[ -n "$PORTKEY_ERROR" ]]; then
    STATUS[portkey]="failed: $PORTKEY_ERROR"
  else
    PK_PORT="$(free_port)"
    # portkey_loopback.mjs makes it listen on 127.0.0.1 only (it binds every interface otherwise).
    start_bg "$BENCH_TMP/portkey.out" "$BENCH_TMP/portkey.log" env NODE_ENV=production \
      node --import "$BENCH_DIR/portkey_loopback.mjs" "$PORTKEY_ENTRY" --headless "--port=$PK_PORT"
    PK_PID="$LAST_PID"
    if wait_for_port "$PK_PORT" "$PK_PID" 30; then
      export PORTKEY_CUSTOM_HOST="http://127.0.0.1:$SIM_PORT/v1"
      CURL_HEADERS=(-H "x-portkey-provider: openai" -H "x-portkey-custom-host: $PORTKEY_CUSTOM_HOST")
      measure portkey "http://127.0.0.1:$PK_PORT" "$PK_PID"
      CURL_HEADERS=()
      unset PORTKEY_CUSTOM_HOST
    else
      STATUS[portkey]="failed: portkey did not start: $(tail -n 5 "$BENCH_TMP/portkey.log" | tr '\n' ' ')"
    fi
    stop_pid "$PK_PID"
  fi
fi
stop_pid "$SIM_PID"

# --- the table ----------------------------------------------------------------------------------------------------
ms() { awk -v us="$1" 'BEGIN { printf "%.2f", us / 1000 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b + 0 == 0) print "n/a"; else printf "%.2f", a / b }'; }

echo
printf 'GateRouter load benchmark: %s bytes JSON body, wrk -t1 -c%s -d%ss, simulator answers at once (1 thread)\n' \
  "$(json_field "${RESULT[sim]:-${RESULT[gateway]:-${RESULT[nginx]:-${RESULT[portkey]:-}}}}" body_bytes || true)" \
  "$CONNECTIONS" "$DURATION"
printf '%-28s %12s %10s %10s %10s %12s\n' path "requests/s" "p50 ms" "p99 ms" errors "other work"
for name in sim gateway nginx portkey; do
  [[ -n "${WANT[$name]:-}" ]] || continue
  if [[ "${STATUS[$name]:-}" == ok ]]; then
    r="${RESULT[$name]}"
    errs=$(($(json_field "$r" connect) + $(json_field "$r" read) + $(json_field "$r" write) + \
      $(json_field "$r" timeout) + $(json_field "$r" status)))
    printf '%-28s %12.0f %10s %10s %10s %11s%%\n' "${LABEL[$name]}" "$(json_field "$r" rps)" \
      "$(ms "$(json_field "$r" p50)")" "$(ms "$(json_field "$r" p99)")" "$errs" "${OTHER[$name]:-?}"
  else
    printf '%-28s %s\n' "${LABEL[$name]}" "${STATUS[$name]:-not run}"
  fi
done

val() { [[ "${STATUS[$1]:-}" == ok ]] && json_field "${RESULT[$1]}" "$2" || true; }
R_GW_NGINX="$(ratio "$(val gateway rps)" "$(val nginx rps)")"
R_GW_PK="$(ratio "$(val gateway rps)" "$(val portkey rps)")"
R_P99="$(ratio "$(val gateway p99)" "$(val nginx p99)")"
echo "(other work: the share of the machine's CPU that processes other than this benchmark's used during the run)"
echo
echo "gateway / nginx throughput:    $R_GW_NGINX"
echo "gateway / portkey throughput:  $R_GW_PK"
echo "gateway p99 / nginx p99:       $R_P99"

# --- raw results as JSON --------------------------------------------------------------------------------------------
mkdir -p "$BENCH_DIR/results"
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
out="$BENCH_DIR/results/load-$stamp.json"
jstr() { printf '"%s"' "$(sed 's/\\/\\\\/g; s/"/\\"/g' <<<"$1" | tr -d '\n')"; }
jnum() { [[ "$1" =~ ^[0-9.]+$ ]] && printf '%s' "$1" || printf 'null'; }
{
  printf '{\n  "benchmark": "load",\n  "date": %s,\n' "$(jstr "$(date -u +%Y-%m-%dT%H:%M:%SZ)")"
  printf '  "machine": {"nproc": %s, "cpu": %s, "mem_kb": %s, "debian": %s, "kernel": %s, "loadavg_before": %s},\n' \
    "$(nproc)" \
    "$(jstr "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)")" \
    "$(awk '/MemTotal/ { print $2 }' /proc/meminfo)" "$(jstr "$(cat /etc/debian_version 2>/dev/null)")" \
    "$(jstr "$(uname -r)")" "$(jstr "$LOADAVG_BEFORE")"
  printf '  "git": %s,\n' "$(jstr "$(git -C "$REPO_DIR" describe --always --dirty 2>/dev/null || echo unknown)")"
  printf '  "params": {"duration_s": %s, "connections": %s, "wrk_threads": 1, "warmup_s": %s, "sim_threads": 1},\n' \
    "$DURATION" "$CONNECTIONS" "$WARMUP"
  printf '  "paths": {'
  sep=""
  for name in sim gateway nginx portkey; do
    [[ -n "${WANT[$name]:-}" ]] || continue
    if [[ "${STATUS[$name]:-}" == ok ]]; then
      printf '%s\n    "%s": {"status": "ok", "cpu_busy_pct_before": %s, "other_work_cpu_pct": %s, "wrk": %s}' \
        "$sep" "$name" "${BUSY[$name]:-null}" "${OTHER[$name]:-null}" "${RESULT[$name]}"
    else
      printf '%s\n    "%s": {"status": %s}' "$sep" "$name" "$(jstr "${STATUS[$name]:-not run}")"
    fi
    sep=","
  done
  printf '\n  },\n'
  printf '  "ratios": {"gateway_over_nginx_rps": %s, "gateway_over_portkey_rps": %s, "gateway_over_nginx_p99": %s}\n}\n' \
    "$(jnum "$R_GW_NGINX")" "$(jnum "$R_GW_PK")" "$(jnum "$R_P99")"
} >"$out"
echo "raw results: ${out#"$REPO_DIR"/}"
}
((${#WANT[@]} == 0)) || run_load

# --- time to first token, idle connections ----------------------------------------------------------------------------
if ((RUN_TTFT)); then
  ((${#WANT[@]} == 0)) || echo
  "$BENCH_DIR/ttft.sh" || log "ttft.sh failed (exit $?)"
fi

if ((RUN_IDLE)); then
  ((${#WANT[@]} == 0 && RUN_TTFT == 0)) || echo
  if ! command -v node >/dev/null; then
    log "--idle needs node: skipped"
  else
    raise_nofile 65536
    IDLE_SIM_PORT="$(free_port)"
    write_sim_config "$BENCH_TMP/sim-idle.yaml" 0 0 0 16
    start_sim "$BENCH_TMP/sim-idle.yaml" "$IDLE_SIM_PORT" 1 || die "the simulator did not start"
    IDLE_GW_PORT="$(free_port)"
    write_gateway_config "$BENCH_TMP/gateway-idle.yaml" "$IDLE_GW_PORT" "$IDLE_SIM_PORT" 1
    start_gateway "$BENCH_TMP/gateway-idle.yaml" "$IDLE_GW_PORT" || die "the gateway did not start"
    IDLE_GW_PID="$LAST_PID"
    log "idle test: open files limit $(ulimit -n)"
    timeout 300 node "$BENCH_DIR/idle_connections.mjs" --port "$IDLE_GW_PORT" --pid "$IDLE_GW_PID" \
      --results "$BENCH_DIR/results" || log "idle_connections.mjs failed (exit $?)"
  fi
fi
