#!/usr/bin/env node
// bench/hedging.mjs — what hedged requests do to the tail of time-to-first-token, and what they cost upstream.
//
// Starts gaterouter-sim and a gateway (2 workers, loopback only). Model hb-stall answers streams with its first token
// after 20 ms, except that on --stall-rate of requests (default 0.1) it holds everything back for --stall-ms
// (default 1000); it falls back to hb-spare, which is as fast and never stalls. The same streaming workload
// (--requests each, --concurrency at once) runs twice, in turn: plain (the default policy, no hedging) and hedged
// (policy `hedged`: `hedge: { quantile: 0.75, min_ms: 50 }`, i.e. a second request once hb-stall is slower than
// three quarters of its recent answers, and never before 50 ms). Prints p50/p95/p99 of the time to the first
// content chunk as the client sees it, and the upstream requests per client request (the simulator counts).
// Goal (issue 6): hedging cuts the p99 by at least half at under 15 % extra upstream requests.
//
//   node bench/hedging.mjs [--requests 400] [--concurrency 8] [--stall-rate 0.1] [--stall-ms 1000]
//
// Needs build/gaterouter and build/tools/sim/gaterouter-sim (GATEROUTER_BIN / GATEROUTER_SIM_BIN override).
// Bounded: 2 × --requests requests and 120 s at most.
import http from 'node:http';

import { gatewayConfig, startGateway, startSim } from '../tests/integration/harness.mjs';

const opts = { requests: 400, concurrency: 8, 'stall-rate': 0.1, 'stall-ms': 1000 };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i += 2) {
  const key = argv[i].replace(/^--/, '');
  if (!(key in opts) || argv[i + 1] === undefined) {
    console.error(`hedging: unknown or incomplete option ${argv[i]}`);
    process.exit(2);
  }
  opts[key] = Number(argv[i + 1]);
}
const deadline = setTimeout(() => {
  console.error('hedging: gave up after 120 s');
  process.exit(2);
}, 120000);
deadline.unref();

const sim = await startSim();
const gw = await startGateway(gatewayConfig(sim.url, {
  log: { access_log: false },
  upstream: { first_byte_timeout_ms: 5000, total_timeout_ms: 20000 },
  routing: 'max_attempts: 3, breaker: { consecutive_failures: 1000, min_requests: 1000000 }, '
    + 'policies: { hedged: { hedge: { quantile: 0.75, min_ms: 50 } } }',
  models: `  - { id: hb-stall, provider: sim, upstream_model: hb-stall, fallbacks: [hb-spare] }
  - { id: hb-spare, provider: sim, upstream_model: hb-spare }`,
}));
await sim.setModel('hb-stall', { ttft_ms: 20, tokens: 8, token_interval_ms: 1, stall_rate: opts['stall-rate'],
  stall_ms: opts['stall-ms'] });
await sim.setModel('hb-spare', { ttft_ms: 20, tokens: 8, token_interval_ms: 1 });

const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
const KEY = 'sk-gaterouter-test-0123456789abcdef';

// One streamed request: the time to its first content chunk, in ms.
function ttft(policy) {
  const body = JSON.stringify({
    model: 'hb-stall', stream: true, messages: [{ role: 'user', content: 'Hello there' }],
    ...(policy ? { gaterouter: { optimize: policy } } : {}),
  });
  return new Promise((resolve, reject) => {
    const started = performance.now();
    let first = 0;
    const req = http.request(`${gw.url}/v1/chat/completions`, {
      method: 'POST', agent, headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
    }, (res) => {
      if (res.statusCode !== 200) reject(new Error(`status ${res.statusCode}`));
      res.on('data', (d) => {
        if (!first && d.toString().includes('"content":"sim')) first = performance.now() - started;
      });
      res.on('end', () => (first ? resolve(first) : reject(new Error('no content chunk'))));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const quantile = (values, q) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
};

async function run(policy) {
  const before = (await sim.stats()).requests_total;
  const times = [];
  let next = 0;
  const worker = async () => {
    while (next < opts.requests) {
      next += 1;
      times.push(await ttft(policy));
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency }, worker));
  const upstream = (await sim.stats()).requests_total - before;
  return { p50: quantile(times, 0.5), p95: quantile(times, 0.95), p99: quantile(times, 0.99),
    perRequest: upstream / opts.requests };
}

try {
  await run(null);  // warm-up: pooled connections, and the latency window the hedge threshold comes from
  await run('hedged');
  const plain = await run(null);
  const hedged = await run('hedged');
  const row = (name, r) => console.log(`${name.padEnd(8)} p50 ${r.p50.toFixed(1).padStart(7)} ms   p95 ${
    r.p95.toFixed(1).padStart(7)} ms   p99 ${r.p99.toFixed(1).padStart(7)} ms   upstream requests per request ${
    r.perRequest.toFixed(3)}`);
  console.log(`${opts.requests} streamed requests per mode, ${opts.concurrency} at once; hb-stall stalls ${
    100 * opts['stall-rate']} % of requests by ${opts['stall-ms']} ms`);
  row('plain', plain);
  row('hedged', hedged);
  const cut = 1 - hedged.p99 / plain.p99;
  const extra = hedged.perRequest / plain.perRequest - 1;
  const met = cut >= 0.5 && extra < 0.15;
  console.log(`p99 time-to-first-token cut by ${(100 * cut).toFixed(1)} % at ${(100 * extra).toFixed(1)} % extra `
    + `upstream requests: goal (≥ 50 % at < 15 %) ${met ? 'met' : 'NOT met'}`);
  process.exitCode = met ? 0 : 1;
} finally {
  agent.destroy();
  await gw.stop();
  await sim.stop();
}
