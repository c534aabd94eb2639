// Rate limits and time limits. Rate limits on both sides: a key's own (requests and tokens per minute, requests at once), refused at once with
// 429 and Retry-After, with OpenAI's x-ratelimit-* headers on every response; and a provider's, which the gateway
// keeps under by routing around a saturated deployment instead of sending what would be refused.
import assert from 'node:assert/strict';
import { after, before } from 'node:test';

import { chat, gatewayConfig, hello, sha256, startGateway, startSim, test } from './harness.mjs';

const RPM_KEY = 'sk-limits-rpm-0123456789';
const BUSY_KEY = 'sk-limits-busy-0123456789';
const PLAIN_KEY = 'sk-limits-plain-0123456789';
const TIMED_KEY = 'sk-limits-timed-0123456789';

let sim;
let gw;
before(async () => {
  sim = await startSim();
  gw = await startGateway(`${gatewayConfig(sim.url, {
    keys: false,
    models: `  - { id: lim-main, provider: sim, upstream_model: lim-main, limits: { rpm: 10 }, fallbacks: [lim-spare] }
  - { id: lim-spare, provider: sim, upstream_model: lim-spare }
  - { id: lim-slow, provider: sim, upstream_model: lim-slow }`,
  })}api_keys:
  - { name: rpm, sha256: "${sha256(RPM_KEY)}", limits: { rpm: 5, tpm: 100000 } }
  - { name: busy, sha256: "${sha256(BUSY_KEY)}", limits: { max_in_flight: 2 } }
  - { name: plain, sha256: "${sha256(PLAIN_KEY)}" }
  - { name: timed, sha256: "${sha256(TIMED_KEY)}", timeouts: { first_token_ms: 300 } }
`);
});
after(async () => {
  await gw?.stop();
  await sim?.stop();
});

test('a key over its requests per minute gets 429 with Retry-After; every response carries x-ratelimit-*', async () => {
  const statuses = [];
  let last;
  for (let i = 0; i < 6; i++) {
    last = await chat(gw, hello('lim-spare'), { key: RPM_KEY });
    statuses.push(last.status);
    if (i === 0) {
      assert.equal(last.headers.get('x-ratelimit-limit-requests'), '5');
      assert.equal(last.headers.get('x-ratelimit-remaining-requests'), '4');
      assert.equal(last.headers.get('x-ratelimit-limit-tokens'), '100000');
      assert.match(last.headers.get('x-ratelimit-reset-requests'), /^\d+(ms|s)$/);
    }
    await last.text();
  }
  assert.deepEqual(statuses, [200, 200, 200, 200, 200, 429]);
  const refused = await chat(gw, hello('lim-spare'), { key: RPM_KEY });
  assert.equal(refused.status, 429);
  assert.ok(Number(refused.headers.get('retry-after')) >= 1);
  assert.equal(refused.headers.get('x-ratelimit-remaining-requests'), '0');
  const { error } = await refused.json();
  assert.equal(error.code, 'rate_limit_exceeded');
  assert.match(error.message, /5 requests per minute/);
  const metrics = await (await fetch(`${gw.url}/metrics`)).text();
  assert.match(metrics, /gaterouter_key_limit_refusals_total\{key="rpm",limit="requests_per_minute"\} 2\n/);
  assert.match(metrics, /gaterouter_key_limit_refusals_total\{key="rpm",limit="tokens_per_minute"\} 0\n/);
});

test('a key over its requests at once gets 429 for the extra one only', async () => {
  await sim.setModel('lim-slow', { latency_ms: 400 });
  try {
    const results = await Promise.all([0, 1, 2].map(async (i) => {
      await new Promise((r) => setTimeout(r, i * 50));
      const res = await chat(gw, hello('lim-slow'), { key: BUSY_KEY });
      await res.text();
      return res.status;
    }));
    assert.deepEqual(results.sort(), [200, 200, 429]);
    const after = await chat(gw, hello('lim-slow'), { key: BUSY_KEY });
    assert.equal(after.status, 200, 'the places are free again once the requests ended');
  } finally {
    await sim.setModel('lim-slow', { latency_ms: 0 });
  }
});

test('a provider limit of N requests per minute is never exceeded upstream: the rest goes to the fallback', async () => {
  await sim.setModel('lim-main', { rpm_limit: 10 });
  try {
    const before = (await sim.stats()).requests_by_model;
    const models = [];
    for (let i = 0; i < 30; i++) {
      const res = await chat(gw, hello('lim-main'), { key: PLAIN_KEY });
      assert.equal(res.status, 200, await res.clone().text());
      models.push(res.headers.get('x-gaterouter-model'));
      await res.text();
    }
    const stats = await sim.stats();
    assert.equal(stats.rate_limited, 0, 'the simulator never had to refuse a request for its limit');
    assert.equal(stats.requests_by_model['lim-main'] - (before['lim-main'] ?? 0), 10);
    assert.equal(models.filter((m) => m === 'lim-spare').length, 20, 'the rest went to the fallback');
  } finally {
    await sim.setModel('lim-main', { rpm_limit: 0 });
  }
});

test('a request\'s own time limit (gaterouter.timeout_ms or x-gaterouter-timeout-ms) ends it with 504 request_timeout', async () => {
  await sim.setModel('lim-slow', { latency_ms: 1500 });
  try {
    const started = Date.now();
    const res = await chat(gw, { ...hello('lim-slow'), gaterouter: { timeout_ms: 300 } }, { key: PLAIN_KEY });
    assert.equal(res.status, 504);
    const elapsed = Date.now() - started;
    assert.ok(elapsed < 1200, `answered after ${elapsed} ms, not after the model's 1500 ms`);
    await res.text();

    const viaHeader = await chat(gw, hello('lim-slow'), { key: PLAIN_KEY, headers: { 'x-gaterouter-timeout-ms': '300' } });
    assert.equal(viaHeader.status, 504);
    await viaHeader.text();

    const bad = await chat(gw, { ...hello('lim-slow'), gaterouter: { timeout_ms: 0 } }, { key: PLAIN_KEY });
    assert.equal(bad.status, 400);
    assert.equal((await bad.json()).error.param, 'gaterouter.timeout_ms');
  } finally {
    await sim.setModel('lim-slow', { latency_ms: 0 });
  }
});

test('a first-token limit applies to streams, and a key\'s configured limits apply to all its requests', async () => {
  await sim.setModel('lim-slow', { ttft_ms: 1500 });
  try {
    const started = Date.now();
    const res = await chat(gw, { ...hello('lim-slow'), stream: true }, { key: PLAIN_KEY, headers: { 'x-gaterouter-first-token-timeout-ms': '300' } });
    assert.equal(res.status, 504);
    await res.text();
    assert.ok(Date.now() - started < 1200);

    const keyed = await chat(gw, { ...hello('lim-slow'), stream: true }, { key: TIMED_KEY });
    assert.equal(keyed.status, 504, 'the key has first_token_ms: 300 in the config');
    await keyed.text();
  } finally {
    await sim.setModel('lim-slow', { ttft_ms: 0 });
  }
});
