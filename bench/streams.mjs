#!/usr/bin/env node
// bench/streams.mjs — many concurrent streaming requests through the gateway (loopback only).
//
// Starts gaterouter-sim and --gateways gateway processes (2 workers each) on one port, then opens --streams streaming
// chat completions at once (model st-long: 40 chunks spread over --hold seconds), spread over local source
// addresses 127.0.0.1..4. With more than one gateway the kernel spreads the connections between the processes'
// acceptors (SO_REUSEPORT), as between one process's workers.
//   --mode complete     every stream must end with [DONE] and all its 40 chunks, and when the last stream got its
//                       first chunk the simulator must be answering all of them at once; prints the gateway's RSS
//                       (VmRSS while all are open, VmHWM at the end; per process and summed) and the time taken
//   --mode disconnect   each client leaves right after its first chunk; 1 s after the last one left the simulator
//                       must have no stream still being answered and no more connections open than before
// Exits 0 when the check holds, 1 when not, 2 on bad usage or time-out. Prints one JSON line of figures last.
//
//   node bench/streams.mjs [--streams 10000] [--gateways 1] [--hold 30] [--mode complete|disconnect] [--timeout 120]
//
// --hold must outlast opening all the streams (seconds_to_open_all in the figures), or the first ones end too soon.
//
// Each stream holds a client socket, a gateway socket on each side and a simulator socket: a gateway process needs
// an open-files limit above 2 × its streams plus a few dozen of its own (this machine's hard limit is 20 000, so
// one process holds about 9 900 here, and 10 000 need --gateways 2). This client and the simulator hold one socket
// per stream each and cannot raise their own limit: run `ulimit -n 20000` (up to the hard limit) first.
// Needs build/gaterouter and build/tools/sim/gaterouter-sim (GATEROUTER_BIN / GATEROUTER_SIM_BIN override).
import fs from 'node:fs';
import http from 'node:http';

import { gatewayConfig, sleep, startGateway, startSim } from '../tests/integration/harness.mjs';

const opts = { streams: 10000, gateways: 1, hold: 30, mode: 'complete', timeout: 120 };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i += 2) {
  const key = argv[i].replace(/^--/, '');
  if (!(key in opts) || argv[i + 1] === undefined) {
    console.error(`streams: unknown or incomplete option ${argv[i]}`);
    process.exit(2);
  }
  opts[key] = typeof opts[key] === 'number' ? Number(argv[i + 1]) : argv[i + 1];
}
if (!(opts.gateways >= 1)) {
  console.error(`streams: --gateways is a count of at least 1, not ${opts.gateways}`);
  process.exit(2);
}
if (!['complete', 'disconnect'].includes(opts.mode)) {
  console.error(`streams: --mode is complete or disconnect, not ${opts.mode}`);
  process.exit(2);
}
const deadline = setTimeout(() => {
  console.error(`streams: gave up after ${opts.timeout} s`);
  process.exit(2);
}, opts.timeout * 1000);
deadline.unref();

const CHUNKS = 40;
const sim = await startSim();
const gatewayOn = (listen) => startGateway(gatewayConfig(sim.url, {
  log: { access_log: false },
  upstream: { first_byte_timeout_ms: 30000, idle_timeout_ms: 30000, total_timeout_ms: 60000 },
  // No connection caps: up to 10 000 streams from four loopback addresses.
  server: { listen, idle_timeout_ms: 30000, read_timeout_ms: 30000, max_connections: 0, max_connections_per_address: 0 },
  models: '  - { id: st-long, provider: sim, upstream_model: st-long }',
}));
// The first gateway picks a free port; the others listen on the same one.
const gateways = [await gatewayOn('127.0.0.1:0')];
while (gateways.length < opts.gateways) gateways.push(await gatewayOn(`127.0.0.1:${gateways[0].port}`));
const gw = gateways[0];
await sim.setModel('st-long', { ttft_ms: 25, tokens: CHUNKS, token_interval_ms: Math.round(opts.hold * 1000 / CHUNKS) });

// Megabytes of a /proc status field, for each gateway process.
const rssOf = (field) => gateways.map((g) => {
  const status = fs.readFileSync(`/proc/${g.proc.pid}/status`, 'utf8');
  return Number(status.match(new RegExp(`${field}:\\s+(\\d+) kB`))[1]) / 1024;
});
const mb = (values) => values.map((v) => Number(v.toFixed(1)));
const sum = (values) => values.reduce((a, b) => a + b, 0);
const KEY = 'sk-gaterouter-test-0123456789abcdef';
const BODY = JSON.stringify({ model: 'st-long', stream: true, messages: [{ role: 'user', content: 'Tell me a story' }] });
const sources = ['127.0.0.1', '127.0.0.2', '127.0.0.3', '127.0.0.4'];

// One stream: resolves with its content chunk count (complete) or once it left after its first chunk.
function stream(i, onFirst) {
  return new Promise((resolve, reject) => {
    const req = http.request(`${gw.url}/v1/chat/completions`, {
      method: 'POST', agent: false, localAddress: sources[i % sources.length],
      headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
    }, (res) => {
      if (res.statusCode !== 200) {
        reject(new Error(`stream ${i}: status ${res.statusCode}`));
        res.resume();
        return;
      }
      let text = '';
      let first = true;
      res.on('data', (d) => {
        if (first) {
          first = false;
          onFirst();
          if (opts.mode === 'disconnect') {
            req.destroy();
            resolve(0);
            return;
          }
        }
        text += d;
      });
      res.on('end', () => {
        if (!text.includes('data: [DONE]')) reject(new Error(`stream ${i} ended without [DONE]`));
        resolve((text.match(/"content":"(sim|\s)/g) ?? []).length);
      });
      res.on('error', () => {});
    });
    req.on('error', (e) => (opts.mode === 'disconnect' ? resolve(0) : reject(e)));
    req.end(BODY);
  });
}

let exitCode = 1;
try {
  const before = await sim.stats();
  const rssBefore = rssOf('VmRSS');
  let started = 0;
  let allStarted;
  const everyFirstChunk = new Promise((resolve) => (allStarted = resolve));
  const onFirst = () => {
    started += 1;
    if (started === opts.streams) allStarted();
  };
  const t0 = performance.now();
  const results = [];
  for (let i = 0; i < opts.streams; i++) {
    results.push(stream(i, onFirst).catch((e) => e));
    if (i % 200 === 199) await sleep(5);  // let the kernel's accept queues drain
  }
  await Promise.race([everyFirstChunk, Promise.all(results)]);
  const secondsToOpen = (performance.now() - t0) / 1000;
  const rssOpen = rssOf('VmRSS');
  const { active_streams: answering } = await sim.stats();
  const filesOpen = gateways.map((g) => fs.readdirSync(`/proc/${g.proc.pid}/fd`).length);
  const outcomes = await Promise.all(results);
  const seconds = (performance.now() - t0) / 1000;
  const failures = outcomes.filter((o) => o instanceof Error);
  const figures = { mode: opts.mode, streams: opts.streams, gateways: opts.gateways, failed: failures.length,
    seconds_to_open_all: Number(secondsToOpen.toFixed(2)), seconds: Number(seconds.toFixed(2)), rss_before_mb: mb([sum(rssBefore)])[0],
    rss_all_open_mb: mb([sum(rssOpen)])[0], open_files_all_open_each: filesOpen };
  if (opts.mode === 'complete') figures.sim_active_streams_all_open = answering;
  if (opts.gateways > 1) figures.rss_all_open_mb_each = mb(rssOpen);
  if (opts.mode === 'complete') {
    const short = outcomes.filter((o) => typeof o === 'number' && o < CHUNKS).length;
    figures.short_streams = short;
    const peak = rssOf('VmHWM');
    figures.rss_peak_mb = mb([sum(peak)])[0];
    if (opts.gateways > 1) figures.rss_peak_mb_each = mb(peak);
    exitCode = failures.length === 0 && short === 0 && answering === opts.streams ? 0 : 1;
    if (failures.length) console.error(`first failure: ${failures[0].message}`);
  } else {
    await sleep(1000);
    const after = await sim.stats();
    figures.sim_active_streams_after_1s = after.active_streams;
    figures.sim_open_connections_before = before.open_connections;
    figures.sim_open_connections_after_1s = after.open_connections;
    figures.sim_streams_aborted = after.streams_aborted - before.streams_aborted;
    exitCode = failures.length === 0 && after.active_streams === 0
      && after.open_connections <= before.open_connections ? 0 : 1;
  }
  console.log(JSON.stringify(figures));
} finally {
  await Promise.all(gateways.map((g) => g.stop()));
  await sim.stop();
}
process.exit(exitCode);
