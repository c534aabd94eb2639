// Failover and circuit breakers: a model that fails is bypassed for its fallbacks without the client noticing,
// its breaker opens, and traffic returns through half-open probes once it recovers.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { chat, gatewayConfig, hello, poll, readEvents, startGateway, startSim } from './harness.mjs';

let sim;
let gw;
before(async () => {
  sim = await startSim();
  gw = await startGateway(gatewayConfig(sim.url, {
    // Waiting for an open breaker's probe is shorter than its cool-down here, so an open breaker answers at once.
    routing: 'max_attempts: 3, wait_for_recovery_ms: 200, breaker: { consecutive_failures: 3, min_requests: 1000, cooldown_ms: 700, half_open_probes: 1 }',
    models: `  - { id: fo-primary, provider: sim, upstream_model: fo-primary, fallbacks: [fo-second, fo-third] }
  - { id: fo-second, provider: sim, upstream_model: fo-second }
  - { id: fo-third, provider: sim-anthropic, upstream_model: fo-third }
  - { id: fo-alone, provider: sim, upstream_model: fo-alone }`,
  }));
});
after(async () => {
  await gw?.stop();
  await sim?.stop();
});

const served = async (res) => {
  assert.equal(res.status, 200, await res.clone().text());
  return { model: res.headers.get('x-gaterouter-model'), attempts: Number(res.headers.get('x-gaterouter-attempts')) };
};

test('a failing model is bypassed for its fallback, and its breaker opens', async () => {
  await sim.setModel('fo-primary', { error_rate: 1, error_status: 503 });
  const first = await served(await chat(gw, hello('fo-primary')));
  assert.deepEqual(first, { model: 'fo-second', attempts: 2 });
  for (let i = 0; i < 4; i++) await served(await chat(gw, hello('fo-primary')));
  const before = (await sim.stats()).requests_by_model['fo-primary'];
  for (let i = 0; i < 10; i++) {
    assert.deepEqual(await served(await chat(gw, hello('fo-primary'))), { model: 'fo-second', attempts: 1 });
  }
  assert.equal((await sim.stats()).requests_by_model['fo-primary'], before, 'an open breaker sends nothing');
});

test('once the model recovers, a half-open probe brings traffic back', async () => {
  await sim.setModel('fo-primary', { error_rate: 0 });
  const back = await poll(async () => served(await chat(gw, hello('fo-primary'))), (r) => r.model === 'fo-primary', 3000, 100);
  assert.equal(back.model, 'fo-primary');
  assert.deepEqual(await served(await chat(gw, hello('fo-primary'))), { model: 'fo-primary', attempts: 1 });
});

test('streams fail over too, as long as nothing was sent', async () => {
  await sim.setModel('fo-second', { reset_after_chunks: 0 });
  await sim.setModel('fo-primary', { hang: true });
  try {
    const res = await chat(gw, hello('fo-primary', { stream: true }));
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-gaterouter-model'), 'fo-third', 'hang → timeout, reset → next: the Anthropic fallback');
    const events = await readEvents(res);
    assert.equal(events.at(-1), '[DONE]');
  } finally {
    await sim.setModel('fo-second', { reset_after_chunks: -1 });
    await sim.setModel('fo-primary', { hang: false });
  }
});

test('non-retryable errors go straight back', async () => {
  await sim.setModel('fo-alone', { error_rate: 1, error_status: 400 });
  try {
    const res = await chat(gw, hello('fo-alone'));
    assert.equal(res.status, 400);
    assert.equal(res.headers.get('x-gaterouter-attempts'), '1');
  } finally {
    await sim.setModel('fo-alone', { error_rate: 0 });
  }
});

test('when every candidate is down the client gets the last error', async () => {
  await sim.setModel('fo-alone', { error_rate: 1, error_status: 500 });
  try {
    const res = await chat(gw, hello('fo-alone'));
    assert.equal(res.status, 500);
    for (let i = 0; i < 3; i++) await chat(gw, hello('fo-alone'));
    const open = await chat(gw, hello('fo-alone'));
    assert.equal(open.status, 503);
    assert.equal((await open.json()).error.code, 'model_unavailable');
  } finally {
    await sim.setModel('fo-alone', { error_rate: 0 });
  }
});

test('/metrics shows each deployment in Prometheus text format', async () => {
  const res = await fetch(gw.url + '/metrics');
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /^text\/plain/);
  const text = await res.text();
  assert.match(text, /# TYPE gaterouter_upstream_requests_total counter/);
  const line = text.split('\n').find((l) => l.startsWith('gaterouter_upstream_requests_total{model="fo-second",provider="sim",outcome="success"}'));
  assert.ok(line && Number(line.split(' ')[1]) >= 10, line);
  assert.match(text, /gaterouter_breaker_open\{model="fo-alone",provider="sim"\} 1/);
});
