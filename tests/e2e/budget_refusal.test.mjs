// `model: "auto"` under a small hard budget, through the official openai SDK with its default retries: the
// reservation is for the candidate the request is sent to, not the dearest one the plan could fail over to, so
// cheap requests are served until the budget is spent; the refusal then says what is spent and held, carries
// x-should-retry: false and a Retry-After until the window resets, and the SDK does not send it again.
import assert from 'node:assert/strict';
import { after, before } from 'node:test';

import OpenAI from 'openai';

import { gatewayConfig, startGateway, startSim, tempFile, test, TEST_KEY } from '../integration/harness.mjs';

const LIMIT_USD = 0.001;
const MAX_TOKENS = 50;
let sim;
let gw;
before(async () => {
  sim = await startSim();
  const ledger = tempFile('budget.db', '');
  // The cheap model may cost up to about $0.0005 for one of these requests; the dear one up to $0.00375,
  // more than the whole budget. Both serve `auto`; optimize: cost puts the cheap one first.
  gw = await startGateway(`${gatewayConfig(sim.url, {
    models: `  - { id: b-cheap, provider: sim, upstream_model: b-cheap, input_price_per_mtok: 1, output_price_per_mtok: 10, quality: { chat: 0.6 } }
  - { id: b-dear, provider: sim, upstream_model: b-dear, input_price_per_mtok: 15, output_price_per_mtok: 75, quality: { chat: 0.95 } }`,
  })}
ledger: { path: "${ledger}" }
budgets:
  - { name: tiny-daily, scope: { key: test }, period: day, limit_usd: ${LIMIT_USD}, hard: true }
`);
});
after(async () => {
  await gw?.stop();
  await sim?.stop();
});

test('cheap auto requests are served until a $0.001 budget is spent; the SDK does not retry the refusal', async () => {
  let sent = 0;
  const client = new OpenAI({
    baseURL: `${gw.url}/v1`, apiKey: TEST_KEY, timeout: 10000, // maxRetries left at the SDK's default (2)
    defaultHeaders: { 'x-gaterouter-optimize': 'cost' },
    fetch: (url, init) => {
      sent += 1;
      return fetch(url, init);
    },
  });
  const ask = () => client.chat.completions.create({
    model: 'auto', messages: [{ role: 'user', content: 'Say hello' }], max_tokens: MAX_TOKENS,
    gaterouter: { allow: ['b-cheap', 'b-dear'] },
  }).withResponse();

  let served = 0;
  let refusal;
  while (served < 200) {
    try {
      const { data, response } = await ask();
      assert.equal(response.headers.get('x-gaterouter-model'), 'b-cheap');
      assert.ok(data.usage.completion_tokens > 0);
      served += 1;
    } catch (e) {
      refusal = e;
      break;
    }
  }
  assert.ok(refusal, `a refusal came before ${served} requests`);
  assert.ok(refusal instanceof OpenAI.RateLimitError, `${refusal}`);
  assert.equal(refusal.code, 'budget_exceeded');
  assert.ok(served >= 2, `served ${served} before the refusal: the budget has room for at least two`);
  assert.equal(sent, served + 1, 'the refusal was sent once: the SDK did not retry it');
  assert.equal(refusal.headers.get('x-should-retry'), 'false');
  assert.ok(Number(refusal.headers.get('retry-after')) > 0, 'Retry-After until the day ends');
  assert.match(refusal.error.message,
    /^Budget 'tiny-daily' \(\$0\.001 per day\) has no room for this request: \$0\.\d+ spent, \$0\.\d+ held for requests in flight, and this request may cost up to \$0\.000\d+\. It resets at /);
  // What the refusal said was spent is what the served answers cost, and it did not pass the limit.
  const spent = Number(refusal.error.message.match(/: \$(\d+\.\d+) spent/)[1]);
  assert.ok(spent > 0 && spent <= LIMIT_USD, `spent ${spent}`);
  const needed = Number(refusal.error.message.match(/may cost up to \$(\d+\.\d+)/)[1]);
  console.log(`# ${served} served; ${refusal.error.message}`);
  assert.ok(spent + needed > LIMIT_USD, `refused although ${spent} + ${needed} fits`);
  assert.ok(needed < 0.001, `the reservation is the cheap model's (${needed}), not the dear one's ($0.00375)`);
});
