// Hedged requests: under a policy with `hedge`, a request whose model has sent no response head after the
// threshold is sent to the next candidate as well; the first to answer is relayed and the other cancelled.
import assert from 'node:assert/strict';
import { after, before } from 'node:test';

import { chat, gatewayConfig, hello, readEvents, startGateway, startSim, streamedText, test } from './harness.mjs';

let sim;
let gw;
before(async () => {
  sim = await startSim();
  gw = await startGateway(gatewayConfig(sim.url, {
    routing: 'max_attempts: 3, breaker: { consecutive_failures: 1000, min_requests: 1000000 }, '
      + 'policies: { hedged: { hedge: { after_ms: 100 } } }',
    models: `  - { id: h-stall, provider: sim, upstream_model: h-stall, fallbacks: [h-spare] }
  - { id: h-spare, provider: sim, upstream_model: h-spare }`,
  }));
  await sim.setModel('h-stall', { stall_rate: 1, stall_ms: 1200 });
});
after(async () => {
  await gw?.stop();
  await sim?.stop();
});

async function hedgeCounts() {
  const text = await (await fetch(`${gw.url}/metrics`)).text();
  const value = (outcome) => Number(text.match(
    new RegExp(`gaterouter_hedges_total\\{model="h-spare",provider="sim",outcome="${outcome}"\\} (\\d+)`))?.[1]);
  return { fired: value('fired'), won: value('won') };
}

test('a hedged request that stalls is answered by the next candidate soon after the threshold', async () => {
  const before = await hedgeCounts();
  const started = Date.now();
  const res = await chat(gw, { ...hello('h-stall'), gaterouter: { optimize: 'hedged' } });
  const elapsed = Date.now() - started;
  assert.equal(res.status, 200, await res.clone().text());
  assert.equal(res.headers.get('x-gaterouter-model'), 'h-spare');
  assert.equal(res.headers.get('x-gaterouter-attempts'), '2');
  const body = await res.json();
  assert.ok(body.choices[0].message.content.length > 0);
  assert.ok(elapsed >= 100 && elapsed < 1000, `answered after ${elapsed} ms: hedged at 100 ms, not after the 1200 ms stall`);
  const counts = await hedgeCounts();
  assert.equal(counts.fired - before.fired, 1);
  assert.equal(counts.won - before.won, 1);
});

test('streams are hedged the same way', async () => {
  const started = Date.now();
  const res = await chat(gw, { ...hello('h-stall'), stream: true, gaterouter: { optimize: 'hedged' } });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('x-gaterouter-model'), 'h-spare');
  const events = await readEvents(res);
  assert.equal(events.at(-1), '[DONE]');
  assert.match(streamedText(events.slice(0, -1).map((e) => JSON.parse(e))), /tok16/);
  assert.ok(Date.now() - started < 1000);
});

test('without a hedging policy the request waits for its model', async () => {
  const before = await hedgeCounts();
  const started = Date.now();
  const res = await chat(gw, hello('h-stall'));
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('x-gaterouter-model'), 'h-stall');
  await res.text();
  assert.ok(Date.now() - started >= 1100);
  assert.deepEqual(await hedgeCounts(), before);
});

test('a fast model is not hedged: one upstream request', async () => {
  const before = (await sim.stats()).requests_total;
  const res = await chat(gw, { ...hello('h-spare'), gaterouter: { optimize: 'hedged' } });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('x-gaterouter-attempts'), '1');
  await res.text();
  assert.equal((await sim.stats()).requests_total - before, 1);
});
