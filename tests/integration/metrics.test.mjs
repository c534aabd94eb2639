// /metrics after real traffic: per-request histograms, tokens and cost labelled by model, provider, task and
// status; and the usage every answer is accounted by, streamed ones included, even when the client did not ask
// for the usage chunk.
import assert from 'node:assert/strict';
import { after, before } from 'node:test';

import { chat, gatewayConfig, readEvents, startGateway, startSim, test } from './harness.mjs';

let sim;
let gw;
before(async () => {
  sim = await startSim();
  gw = await startGateway(gatewayConfig(sim.url, {
    models: '  - { id: mx, provider: sim, upstream_model: mx, input_price_per_mtok: 2, output_price_per_mtok: 8 }\n'
      + '  - { id: mx-claude, provider: sim-anthropic, upstream_model: mx-claude, input_price_per_mtok: 3, output_price_per_mtok: 15 }',
  }));
});
after(async () => {
  await gw?.stop();
  await sim?.stop();
});

const scrape = async () => (await fetch(`${gw.url}/metrics`)).text();
// The value of the one sample line that starts with `prefix` (labels included), or undefined.
const value = (text, prefix) => {
  const line = text.split('\n').find((l) => l.startsWith(prefix));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
};
const ask = { messages: [{ role: 'user', content: 'Translate to French: good morning, my friend' }] };

test('a stream the client asked no usage for: the gateway gets it from the upstream and keeps it to itself', async () => {
  const res = await chat(gw, { model: 'mx', stream: true, ...ask });
  assert.equal(res.status, 200);
  const events = await readEvents(res);
  assert.equal(events.at(-1), '[DONE]');
  assert.ok(events.slice(0, -1).every((e) => !JSON.parse(e).usage), 'no usage chunk reached the client');
  const upstream = JSON.parse((await sim.lastRequest()).body);
  assert.deepEqual(upstream.stream_options, { include_usage: true });

  const withUsage = await readEvents(await chat(gw, { model: 'mx', stream: true, stream_options: { include_usage: true }, ...ask }));
  const usage = JSON.parse(withUsage.at(-2)).usage;
  assert.ok(usage.completion_tokens > 0, 'a client that asks still gets its usage chunk');
});

test('/metrics counts requests, latency, time to first token, overhead, tokens and cost by model, provider, task and status', async () => {
  const before = await scrape();
  const labels = (model, provider, status) => `{model="${model}",provider="${provider}",task="translation",status="${status}"}`;
  const countBefore = value(before, `gaterouter_requests_total${labels('mx', 'sim', 200)}`) ?? 0;

  const whole = await chat(gw, { model: 'mx', ...ask });
  const { usage } = await whole.json();
  await readEvents(await chat(gw, { model: 'mx', stream: true, ...ask }));
  await (await chat(gw, { model: 'mx-claude', ...ask })).json();
  await (await chat(gw, { model: 'no-such-model', ...ask })).json();

  const text = await scrape();
  assert.equal(value(text, `gaterouter_requests_total${labels('mx', 'sim', 200)}`), countBefore + 2);
  assert.ok(value(text, `gaterouter_requests_total${labels('mx-claude', 'sim-anthropic', 200)}`) >= 1);
  assert.ok(value(text, `gaterouter_requests_total{model="",provider="",task="translation",status="404"}`) >= 1);
  assert.match(text, /# TYPE gaterouter_request_duration_seconds histogram/);
  assert.ok(value(text, `gaterouter_request_duration_seconds_bucket{model="mx",provider="sim",task="translation",status="200",le="+Inf"}`) >= 2);
  assert.ok(value(text, `gaterouter_time_to_first_token_seconds_count${labels('mx', 'sim', 200)}`) >= 1, 'the stream has a first-token time');
  assert.ok(value(text, `gaterouter_overhead_seconds_count${labels('mx', 'sim', 200)}`) >= 2);

  // Tokens and cost come from the usage the upstream reported, at the catalog's prices.
  const tokens = (kind) => value(text, `gaterouter_tokens_total{model="mx",provider="sim",task="translation",status="200",kind="${kind}"}`);
  const promptBefore = value(before, `gaterouter_tokens_total{model="mx",provider="sim",task="translation",status="200",kind="prompt"}`) ?? 0;
  // The simulator counts a streamed request's own bytes, so its prompt differs a little from the whole one's.
  assert.ok(tokens('prompt') - promptBefore > usage.prompt_tokens * 1.5, 'the streamed answer is counted too');
  const cost = value(text, `gaterouter_cost_usd_total${labels('mx', 'sim', 200)}`);
  assert.ok(Math.abs(cost - (tokens('prompt') * 2 + tokens('completion') * 8) / 1e6) < 1e-9, `cost ${cost}`);

  // Deployment gauges.
  assert.match(text, /gaterouter_breaker_state\{model="mx",provider="sim",state="closed"\} 1/);
  assert.match(text, /gaterouter_upstream_in_flight\{model="mx",provider="sim"\} 0/);
  assert.match(text, /gaterouter_upstream_latency_ms\{model="mx",provider="sim",quantile="0.95"\} \d/);
  assert.ok(value(text, 'gaterouter_upstream_tokens_per_second{model="mx",provider="sim"}') > 0);
  assert.ok(value(text, 'gaterouter_upstream_ttft_ewma_ms{model="mx",provider="sim"}') > 0);
});
