// The admission queue under load (bounded in requests and time, loopback only): two simulated deployments of 4
// requests at once each (100 ms per answer, so the pool serves about 80 requests per second) behind a gateway whose
// requests wait in a fair queue of at most 500 ms when both are saturated.
//  - at three times the pool's capacity, the admitted requests' p99 stays within 1.5 × the unloaded p99 plus the
//    maximum wait, and every refusal is decided within 5 ms (the gateway's own duration histogram says so);
//  - a key sending ten times its share cannot push a quiet key's success rate below 99 %.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before } from 'node:test';

import { gatewayConfig, sha256, sleep, startGateway, startSim, test } from './harness.mjs';

const LOAD_KEY = 'sk-admission-load-0123456789';
const NOISY_KEY = 'sk-admission-noisy-0123456789';
const QUIET_KEY = 'sk-admission-quiet-0123456789';
const LATENCY_MS = 100;
const PLACES = 8;  // 4 + 4 requests at once
const MAX_WAIT_MS = 500;

let sim;
let gw;
const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });

before(async () => {
  sim = await startSim();
  gw = await startGateway(`${gatewayConfig(sim.url, {
    keys: false,
    log: { access_log: false },
    models: `  - { id: adm-a, provider: sim, upstream_model: adm-a, limits: { max_in_flight: 4 }, fallbacks: [adm-b] }
  - { id: adm-b, provider: sim, upstream_model: adm-b, limits: { max_in_flight: 4 } }`,
  })}admission: { max_depth: 400, key_max_depth: 200, max_wait_ms: ${MAX_WAIT_MS} }
api_keys:
  - { name: load, sha256: "${sha256(LOAD_KEY)}" }
  - { name: noisy, sha256: "${sha256(NOISY_KEY)}" }
  - { name: quiet, sha256: "${sha256(QUIET_KEY)}" }
`);
  await sim.setModel('adm-a', { latency_ms: LATENCY_MS });
  await sim.setModel('adm-b', { latency_ms: LATENCY_MS });
});
after(async () => {
  agent.destroy();
  await gw?.stop();
  await sim?.stop();
});

const BODY = JSON.stringify({ model: 'adm-a', messages: [{ role: 'user', content: 'Hello there' }] });

// One request: { status, ms, headers, body }.
function send(key) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = http.request(`${gw.url}/v1/chat/completions`, {
      method: 'POST', agent,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    }, (res) => {
      const parts = [];
      res.on('data', (d) => parts.push(d));
      res.on('end', () => resolve({
        status: res.statusCode, ms: performance.now() - started, headers: res.headers,
        body: Buffer.concat(parts).toString(),
      }));
    });
    req.setTimeout(10000, () => req.destroy(new Error('no answer within 10 s')));
    req.on('error', reject);
    req.end(BODY);
  });
}

const quantile = (values, q) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
};

// The gateway's own count of requests answered with `status`, and of those answered within 5 ms.
async function refusalTimes(status) {
  const text = await (await fetch(`${gw.url}/metrics`)).text();
  let total = 0;
  let fast = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith('gaterouter_request_duration_seconds_bucket') || !line.includes(`status="${status}"`)) continue;
    const value = Number(line.split(' ').pop());
    if (line.includes('le="+Inf"')) total += value;
    if (line.includes('le="0.005"')) fast += value;
  }
  return { total, fast };
}

// One open-loop burst at three times what the pool serves, for 2.5 s: what it broke of the test's promises (none
// when it kept them all).
async function overloadTrial(unloadedP99) {
  const problems = [];
  const before503 = await refusalTimes(503);
  const before429 = await refusalTimes(429);
  const rate = 3 * PLACES * (1000 / LATENCY_MS);
  const count = Math.round(rate * 2.5);
  const pending = [];
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    const due = started + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    pending.push(send(LOAD_KEY));
  }
  const results = await Promise.all(pending);
  const admitted = results.filter((r) => r.status === 200);
  const refused = results.filter((r) => r.status !== 200);
  const admittedP99 = quantile(admitted.map((r) => r.ms), 0.99);
  const bound = 1.5 * unloadedP99 + MAX_WAIT_MS;
  console.log(`# ${count} requests at ${rate}/s: ${admitted.length} admitted (p99 ${admittedP99.toFixed(1)} ms; `
    + `unloaded p99 ${unloadedP99.toFixed(1)} ms, bound ${bound.toFixed(1)} ms), ${refused.length} refused `
    + `(client-side p99 ${refused.length ? quantile(refused.map((r) => r.ms), 0.99).toFixed(1) : '-'} ms)`);

  if (admitted.length < 100) problems.push(`${admitted.length} admitted: the pool should serve ~80/s`);
  if (refused.length < count / 3) problems.push(`${refused.length} refused of ${count} sent at 3× capacity`);
  if (admittedP99 > bound) problems.push(`admitted p99 ${admittedP99} ms over ${bound} ms`);
  // How each refusal looks is no matter of timing: asserted at once.
  for (const r of refused) {
    assert.ok(r.status === 503 || r.status === 429, `${r.status}: ${r.body}`);
    const { error } = JSON.parse(r.body);
    assert.ok(['gateway_overloaded', 'rate_limit_exceeded'].includes(error.code), r.body);
    assert.ok(Number(r.headers['retry-after']) >= 1, 'a refusal says when to retry');
  }
  // Decided within 5 ms by the gateway's own clock: none waited for a place it could not get.
  const after503 = await refusalTimes(503);
  const after429 = await refusalTimes(429);
  const refusedByGateway = after503.total - before503.total + after429.total - before429.total;
  const fastByGateway = after503.fast - before503.fast + after429.fast - before429.fast;
  assert.equal(refusedByGateway, refused.length);
  if (fastByGateway !== refusedByGateway) {
    const slow = refused.filter((r) => r.ms > 5).map((r) => `${r.ms.toFixed(1)} ms`);
    problems.push(`${refusedByGateway - fastByGateway} of ${refusedByGateway} refusals over 5 ms by the gateway's `
      + `clock (client-side: ${slow.slice(0, 5).join(', ')})`);
  }
  return problems;
}

test('at three times the capacity, admitted requests keep their latency and the excess is refused at once',
  { timeout: 60000 }, async () => {
    const unloaded = [];
    for (let i = 0; i < 40; i++) {
      const r = await send(LOAD_KEY);
      assert.equal(r.status, 200, r.body);
      unloaded.push(r.ms);
    }
    const unloadedP99 = quantile(unloaded, 0.99);
    // A shared machine can stall the whole gateway for a few ms (another tenant's burst), which no code avoids and
    // which would fail one burst; a gateway that makes refusals wait, or lets admitted latency grow, fails every
    // burst. So a second burst decides when the first broke a promise, and both are reported.
    let problems = await overloadTrial(unloadedP99);
    if (problems.length > 0) {
      console.log(`# first burst: ${problems.join('; ')}; a second burst decides`);
      problems = await overloadTrial(unloadedP99);
    }
    assert.deepEqual(problems, []);

    const metrics = await (await fetch(`${gw.url}/metrics`)).text();
    assert.match(metrics, /gaterouter_admission_outcomes_total\{outcome="admitted"\} [1-9]/);
    assert.match(metrics, /gaterouter_admission_wait_ms_count\{key="load"\} [1-9]/);
  });

test('a key sending ten times its share cannot push a quiet key below 99 % success', { timeout: 60000 }, async () => {
  // The noisy key keeps 40 requests going (its fair share of the 8 places is 4); the quiet one sends one at a time.
  const until = performance.now() + 3000;
  const noisy = { ok: 0, refused: 0 };
  const quiet = { ok: 0, failed: 0, ms: [] };
  const noisyLoop = async () => {
    while (performance.now() < until) {
      const r = await send(NOISY_KEY);
      if (r.status === 200) noisy.ok += 1;
      else noisy.refused += 1;
    }
  };
  const quietLoop = async () => {
    while (performance.now() < until) {
      const r = await send(QUIET_KEY);
      if (r.status === 200) {
        quiet.ok += 1;
        quiet.ms.push(r.ms);
      } else {
        quiet.failed += 1;
      }
    }
  };
  await Promise.all([...Array.from({ length: 40 }, noisyLoop), quietLoop()]);
  const success = quiet.ok / (quiet.ok + quiet.failed);
  console.log(`# noisy: ${noisy.ok} served, ${noisy.refused} refused; quiet: ${quiet.ok} served, ${quiet.failed} `
    + `failed (success ${(100 * success).toFixed(2)} %, p99 ${quantile(quiet.ms, 0.99).toFixed(1)} ms)`);
  assert.ok(quiet.ok >= 10, `the quiet key got ${quiet.ok} answers in 3 s`);
  assert.ok(success >= 0.99, `quiet key success ${success}`);
  assert.ok(noisy.refused > 0 || noisy.ok > quiet.ok, 'the noisy key did saturate the pool');
});
