// The scoring scheduler end to end: `model: "auto"` and aliases route by policy over a pool, a failing model
// among three equivalent ones costs the clients (almost) nothing, a slow one loses its traffic, heavy work goes
// to strong models and light work to cheap ones, and POST /v1/route/explain shows the ranking.
import assert from 'node:assert/strict';
import { after, before, describe } from 'node:test';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { chat, gatewayConfig, poll, readEvents, startGateway, startSim, test } from './harness.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));

// Runs `total` requests, `concurrency` at a time; resolves with how each ended.
async function load(total, concurrency, send) {
  const outcomes = [];
  let next = 0;
  const worker = async () => {
    while (next < total) {
      next += 1;
      outcomes.push(await send().catch((e) => ({ ok: false, error: String(e) })));
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return outcomes;
}

const prompt = (content, extra = {}) => ({ model: 'trio', messages: [{ role: 'user', content }], ...extra });

// One request through the trio; a stream is read to its end and must finish with [DONE].
async function ask(gw, { stream = false } = {}) {
  const res = await chat(gw, prompt('Say hello', { stream }));
  const model = res.headers.get('x-gaterouter-model');
  if (res.status !== 200) return { ok: false, status: res.status, body: await res.text() };
  if (stream) {
    const events = await readEvents(res);
    return { ok: events.at(-1) === '[DONE]', model };
  }
  const body = await res.json();
  return { ok: typeof body.choices?.[0]?.message?.content === 'string', model };
}

async function breakerOpen(gw, model) {
  const text = await (await fetch(`${gw.url}/metrics`)).text();
  return new RegExp(`gaterouter_breaker_open\\{model="${model}",provider="sim"\\} 1`).test(text);
}

describe('a pool of three equivalent models', () => {
  let sim;
  let gw;
  before(async () => {
    sim = await startSim();
    gw = await startGateway(gatewayConfig(sim.url, {
      upstream: { first_byte_timeout_ms: 800 },
      // Sized for this test's 32 concurrent clients: while the failing model's breaker has not yet opened, every
      // client can be stuck on it at once, and each then needs one failover.
      routing: `max_attempts: 3, wait_for_recovery_ms: 1500,
        retry_budget: { ratio: 0.2, min_per_second: 50 },
        breaker: { consecutive_failures: 5, error_rate: 0.5, min_requests: 20, window_ms: 2000, cooldown_ms: 1000, half_open_probes: 2 },
        aliases: { trio: { allow: [eq-a, eq-b, eq-c] } }`,
      models: ['a', 'b', 'c'].map((n) => `  - { id: eq-${n}, provider: sim, upstream_model: eq-${n}, input_price_per_mtok: 1, output_price_per_mtok: 2, quality: { chat: 0.8 } }`).join('\n'),
    }));
  });
  after(async () => {
    await gw?.stop();
    await sim?.stop();
  });
  const hitsOf = async (model) => (await sim.stats()).requests_by_model[model] ?? 0;

  test('spreads requests over near-equal models', async () => {
    const outcomes = await load(300, 8, () => ask(gw));
    assert.ok(outcomes.every((o) => o.ok), JSON.stringify(outcomes.find((o) => !o.ok)));
    const share = (m) => outcomes.filter((o) => o.model === m).length / outcomes.length;
    for (const m of ['eq-a', 'eq-b', 'eq-c']) assert.ok(share(m) > 0.15, `${m} got ${share(m)} of the traffic`);
  });

  for (const [fault, knobs, options] of [
    ['answers every request with a 500', { error_rate: 1, error_status: 500 }, {}],
    ['hangs', { hang: true }, {}],
    ['resets its connections', { reset_after_chunks: 0 }, { stream: true }],
  ]) {
    test(`one model that ${fault}: 99.9% of 2000 requests still succeed, its breaker opens, and it comes back`,
      { timeout: 90000 }, async () => {
        const hitsBefore = await hitsOf('eq-b');
        await sim.setModel('eq-b', knobs);
        const started = Date.now();
        const outcomes = await load(2000, 32, () => ask(gw, options));
        const failed = outcomes.filter((o) => !o.ok);
        assert.ok(failed.length <= 2, `${failed.length} of 2000 failed, e.g. ${JSON.stringify(failed[0])}`);
        assert.ok(outcomes.filter((o) => o.model === 'eq-b').length === 0, 'no answer came from the failing model');
        assert.ok(await breakerOpen(gw, 'eq-b'), 'the breaker of the failing model is open (or probing)');
        // Once open, the breaker keeps it out: it saw only the requests before it opened and a few probes.
        const hits = (await hitsOf('eq-b')) - hitsBefore;
        assert.ok(hits < 150, `the failing model still got ${hits} requests over ${Date.now() - started} ms`);

        await sim.setModel('eq-b', { error_rate: 0, hang: false, reset_after_chunks: -1 });
        const back = await poll(async () => {
          const batch = await load(30, 6, () => ask(gw, options));
          return batch.filter((o) => o.model === 'eq-b').length;
        }, (n) => n > 0, 8000, 100);
        assert.ok(back > 0, 'traffic returns to the recovered model through half-open probes');
        assert.equal(await breakerOpen(gw, 'eq-b'), false, 'its breaker closed again');
      });
  }

  test('a 429 with Retry-After leaves the model alone for that long, without failing the clients', async () => {
    const hitsBefore = await hitsOf('eq-a');
    await sim.setModel('eq-a', { error_rate: 1, error_status: 429 });  // the simulator sends Retry-After: 1
    try {
      const outcomes = await load(200, 8, () => ask(gw));
      assert.ok(outcomes.every((o) => o.ok), JSON.stringify(outcomes.find((o) => !o.ok)));
      const hits = (await hitsOf('eq-a')) - hitsBefore;
      assert.ok(hits <= 10, `the rate-limited model got ${hits} requests during its Retry-After pause`);
    } finally {
      await sim.setModel('eq-a', { error_rate: 0 });
    }
  });

  test('a model made five times slower loses most of its traffic within a few seconds', { timeout: 60000 }, async () => {
    for (const m of ['eq-a', 'eq-b', 'eq-c']) await sim.setModel(m, { latency_ms: 10 });
    await sim.setModel('eq-c', { latency_ms: 50 });
    try {
      await load(150, 4, () => ask(gw));  // a few seconds for the live latency to show it
      const outcomes = await load(300, 4, () => ask(gw));
      const slow = outcomes.filter((o) => o.model === 'eq-c').length / outcomes.length;
      assert.ok(outcomes.every((o) => o.ok));
      assert.ok(slow < 0.12, `the slow model still got ${(slow * 100).toFixed(1)}% of the traffic (fair share: 33%)`);
    } finally {
      for (const m of ['eq-a', 'eq-b', 'eq-c']) await sim.setModel(m, { latency_ms: 0 });
    }
  });

  test('when every candidate is open, a request waits for the first probe instead of failing at once', { timeout: 30000 }, async () => {
    for (const m of ['eq-a', 'eq-b', 'eq-c']) await sim.setModel(m, { error_rate: 1, error_status: 500 });
    await load(12, 4, () => ask(gw));
    for (const m of ['eq-a', 'eq-b', 'eq-c']) assert.ok(await breakerOpen(gw, m), `${m} is open`);
    for (const m of ['eq-a', 'eq-b', 'eq-c']) await sim.setModel(m, { error_rate: 0 });
    const started = Date.now();
    const res = await ask(gw);
    assert.ok(res.ok, `the request waited for a half-open probe and succeeded: ${JSON.stringify(res)}`);
    assert.ok(Date.now() - started < 1500 + 500, 'it waited no longer than wait_for_recovery_ms');
  });
});

describe('the 45-model catalog under the policies', () => {
  let sim;
  let gw;
  let prices;
  before(async () => {
    sim = await startSim();
    const vendors = ['openai', 'anthropic', 'google', 'deepseek', 'mistral', 'groq', 'together', 'xai', 'local'];
    const kind = { anthropic: 'anthropic', google: 'gemini' };
    gw = await startGateway(`${gatewayConfig(sim.url, {
      providers: vendors.map((v) => `  - { name: ${v}, kind: ${kind[v] ?? 'openai'}, base_url: "${sim.url}/${v === 'google' ? 'v1beta' : 'v1'}" }`).join('\n'),
      routing: `classifier_model: "${join(root, 'data/classifier/model.txt')}",
        aliases: { cheap: { optimize: cost }, best: { optimize: quality } }`,
    })}catalog: "${join(root, 'config/models.yaml')}"\n`);
    const models = await (await fetch(`${gw.url}/v1/models`, { headers: { authorization: 'Bearer sk-gaterouter-test-0123456789abcdef' } })).json();
    prices = Object.fromEntries(models.data.map((m) => [m.id, m.gaterouter]));
  });
  after(async () => {
    await gw?.stop();
    await sim?.stop();
  });

  const heavy = 'Prove step by step that the square root of 2 is irrational, then derive a general criterion for '
    + 'when the n-th root of an integer is rational, and analyze the edge cases carefully.';
  const light = 'Classify the sentiment of this review as positive, negative or neutral: "The battery died in a day."';

  const served = async (body, headers = {}) => {
    const res = await chat(gw, body, { headers });
    assert.equal(res.status, 200, await res.clone().text());
    return {
      model: res.headers.get('x-gaterouter-model'),
      task: res.headers.get('x-gaterouter-task'),
      weight: res.headers.get('x-gaterouter-weight'),
      cost: Number(res.headers.get('x-gaterouter-estimated-cost-usd')),
    };
  };

  test('under balanced, heavy reasoning lands on a strong model and light classification on a cheap one', async () => {
    const strong = await served({ model: 'auto', messages: [{ role: 'user', content: heavy }] });
    assert.equal(strong.weight, 'heavy');
    const task = strong.task;
    assert.ok(['math', 'reasoning'].includes(task), task);
    assert.ok(prices[strong.model].quality[task] >= 0.9, `${strong.model} has ${task} quality ${prices[strong.model].quality[task]}`);

    const cheap = await served({ model: 'auto', messages: [{ role: 'user', content: light }] });
    assert.equal(cheap.task, 'classification');
    assert.equal(cheap.weight, 'light');
    assert.ok(prices[cheap.model].input_price_per_mtok <= 0.3, `${cheap.model} costs ${prices[cheap.model].input_price_per_mtok}/Mtok`);
    assert.ok(cheap.cost < strong.cost);
  });

  test('policies and aliases steer: cost picks cheaper models than quality does', async () => {
    const body = (model, extra = {}) => ({ model, messages: [{ role: 'user', content: heavy }], ...extra });
    const byCost = await served(body('auto', { gaterouter: { optimize: 'cost' } }));
    const byQuality = await served(body('best'));
    const byHeader = await served(body('auto'), { 'x-gaterouter-optimize': 'cost' });
    const cheapAlias = await served(body('cheap'));
    assert.ok(byCost.cost < byQuality.cost, `cost ${byCost.model} $${byCost.cost} vs quality ${byQuality.model} $${byQuality.cost}`);
    assert.ok(byHeader.cost < byQuality.cost);
    assert.ok(cheapAlias.cost < byQuality.cost);
  });

  test('allow, deny, min_quality and max_cost_per_request filter the pool', async () => {
    const body = (gaterouter) => ({ model: 'auto', messages: [{ role: 'user', content: light }], gaterouter });
    assert.equal((await served(body({ allow: ['claude-sonnet-4-5'] }))).model, 'claude-sonnet-4-5');
    const first = (await served(body({}))).model;
    assert.notEqual((await served(body({ deny: [first] }))).model, first);
    const picky = await served(body({ min_quality: 0.95 }));
    assert.ok(prices[picky.model].quality.classification >= 0.95, picky.model);
    const thrifty = await served({ model: 'auto', messages: [{ role: 'user', content: heavy }], gaterouter: { max_cost_per_request: 0.0005 } });
    assert.ok(thrifty.cost <= 0.0005, `${thrifty.model} at $${thrifty.cost}`);
    const viaHeaders = await served({ model: 'auto', messages: [{ role: 'user', content: light }] },
      { 'x-gaterouter-allow': 'gpt-4o-mini, gemini-2.0-flash', 'x-gaterouter-deny': 'gemini-2.0-flash' });
    assert.equal(viaHeaders.model, 'gpt-4o-mini');
  });

  test('the gaterouter object never reaches the upstream', async () => {
    await served({ model: 'auto', messages: [{ role: 'user', content: light }], gaterouter: { allow: ['gpt-4o-mini'] }, temperature: 0 });
    const upstream = JSON.parse((await sim.lastRequest()).body);
    assert.equal(upstream.gaterouter, undefined);
    assert.equal(upstream.temperature, 0);
    assert.equal(upstream.model, 'gpt-4o-mini');
  });

  test('bad preferences get a 400 that names them', async () => {
    const cases = [
      [{ gaterouter: { optimize: 'cheapest' } }, {}, 'gaterouter.optimize'],
      [{ gaterouter: { allow: ['no-such-model'] } }, {}, 'gaterouter.allow'],
      [{ gaterouter: { min_quality: 'high' } }, {}, 'gaterouter.min_quality'],
      [{ gaterouter: { colour: 'blue' } }, {}, 'gaterouter.colour'],
      [{ gaterouter: 'cost' }, {}, 'gaterouter'],
      [{}, { 'x-gaterouter-min-quality': '2' }, 'x-gaterouter-min-quality'],
      [{ gaterouter: { min_quality: 1 } }, {}, 'model'],
    ];
    for (const [extra, headers, param] of cases) {
      const res = await chat(gw, { model: 'auto', messages: [{ role: 'user', content: light }], ...extra }, { headers });
      assert.equal(res.status, 400, JSON.stringify(extra));
      const { error } = await res.json();
      assert.equal(error.param, param, error.message);
      assert.equal(error.type, 'invalid_request_error');
    }
  });

  test('POST /v1/route/explain ranks the candidates with every score term, without calling a model', async () => {
    const before = (await sim.stats()).requests;
    const res = await chat(gw, { model: 'auto', messages: [{ role: 'user', content: heavy }], gaterouter: { deny: ['gpt-5'] } },
      { path: '/v1/route/explain' });
    assert.equal(res.status, 200);
    const plan = await res.json();
    assert.equal(plan.object, 'route.explanation');
    assert.equal(plan.policy.name, 'balanced');
    assert.equal(plan.classification.weight, 'heavy');
    assert.ok(plan.candidates.length > 30);
    const scores = plan.candidates.map((c) => c.score);
    assert.deepEqual([...scores].slice(1), [...scores].slice(1).sort((a, b) => b - a), 'ranked by score after the leader');
    for (const term of ['quality', 'cost', 'latency', 'errors', 'load']) assert.equal(typeof plan.candidates[0].penalties[term], 'number');
    assert.ok(plan.excluded.some((e) => e.model === 'gpt-5' && /deny/.test(e.reason)));
    assert.ok(plan.excluded.some((e) => e.model === 'text-embedding-3-small') === false, 'embeddings models are not in the pool');
    assert.equal((await sim.stats()).requests, before, 'no model was called');

    const named = await (await chat(gw, { model: 'gpt-4o-mini', messages: [{ role: 'user', content: light }] }, { path: '/v1/route/explain' })).json();
    assert.equal(named.routing, 'named');
    assert.equal(named.candidates[0].model, 'gpt-4o-mini');
  });
});
