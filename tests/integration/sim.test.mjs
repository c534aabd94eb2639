// The simulator's own contract, checked directly (no gateway): the other suites lean on it, and a failure here
// points at the simulator rather than at the gateway.
import assert from 'node:assert/strict';
import { after, before, describe } from 'node:test';

import { hello, parseEvents, poll, startSim, streamedText, test } from './harness.mjs';

let sim;
before(async () => {
  sim = await startSim(`defaults:
  tokens: 5
models:
  from-file: { tokens: 3 }
`);
});
after(async () => {
  await sim?.stop();
});

const post = (body) => fetch(`${sim.url}/v1/chat/completions`, {
  method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
});
const words = (n) => Array.from({ length: n }, (_, i) => `tok${i + 1}`).join(' ');

describe('gaterouter-sim', () => {
  test('serves any model, with the knobs of its config file', async () => {
    for (const [model, tokens] of [['any-model-at-all', 5], ['from-file', 3]]) {
      const res = await post(hello(model));
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('x-sim-model'), model);
      const body = await res.json();
      assert.equal(body.object, 'chat.completion');
      assert.equal(body.choices[0].message.content, `sim:${model} ${words(tokens)}`);
      assert.equal(body.usage.completion_tokens, tokens);
      assert.ok(body.usage.prompt_tokens > 0);
    }
  });

  test('streams a role chunk, one chunk per token, a finish chunk, usage when asked, then [DONE]', async () => {
    for (const includeUsage of [false, true]) {
      const res = await post(hello('streamer', { stream: true, ...(includeUsage ? { stream_options: { include_usage: true } } : {}) }));
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type'), /text\/event-stream/);
      const events = parseEvents(await res.text());
      assert.equal(events.at(-1), '[DONE]');
      const chunks = events.slice(0, -1).map((e) => JSON.parse(e));
      assert.equal(chunks[0].choices[0].delta.role, 'assistant');
      assert.equal(chunks.length, 1 + 5 + 1 + (includeUsage ? 1 : 0));
      assert.equal(streamedText(chunks), `sim:streamer ${words(5)}`);
      assert.equal(chunks[6].choices[0].finish_reason, 'stop');
      if (includeUsage) assert.equal(chunks[7].usage.completion_tokens, 5);
    }
  });

  test('PUT merges knobs, DELETE removes them', async () => {
    await sim.setModel('knobbed', { tokens: 4 });
    await sim.setModel('knobbed', { latency_ms: 0 });
    assert.equal((await (await post(hello('knobbed'))).json()).usage.completion_tokens, 4, 'tokens kept after a second PUT');
    await sim.deleteModel('knobbed');
    assert.equal((await (await post(hello('knobbed'))).json()).usage.completion_tokens, 5, 'back to the defaults');
  });

  test('injects errors and rate limits, and counts them', async () => {
    const before = await sim.stats();
    await sim.withModel('failing', { error_rate: 1, error_status: 503 }, async () => {
      const res = await post(hello('failing'));
      assert.equal(res.status, 503);
      assert.equal(typeof (await res.json()).error.message, 'string');
    });
    await sim.withModel('limited', { rpm_limit: 2 }, async () => {
      assert.deepEqual([(await post(hello('limited'))).status, (await post(hello('limited'))).status,
        (await post(hello('limited'))).status], [200, 200, 429]);
    });
    const after = await sim.stats();
    assert.equal(after.errors_injected, before.errors_injected + 1);
    assert.equal(after.rate_limited, before.rate_limited + 1);
  });

  test('stats have every field; last_request shows what came in', async () => {
    const sent = { ...hello('recorded'), extra: [1, 2] };
    await (await fetch(`${sim.url}/v1/chat/completions`, {
      method: 'POST', headers: { 'content-type': 'application/json', 'x-probe': 'yes' }, body: JSON.stringify(sent),
    })).arrayBuffer();
    const last = await sim.lastRequest();
    assert.equal(last.path, '/v1/chat/completions');
    assert.equal(last.headers['x-probe'], 'yes');
    assert.deepEqual(JSON.parse(last.body), sent);
    const stats = (await sim.stats()).raw;
    for (const k of ['requests_total', 'requests_by_model', 'errors_injected', 'rate_limited', 'open_connections',
      'accepted_connections', 'active_streams', 'streams_completed', 'streams_aborted']) {
      assert.ok(k in stats, `stats lack ${k}`);
    }
    assert.ok(stats.requests_by_model.recorded >= 1);
  });

  test('counts streams completed and aborted', async () => {
    const before = await sim.stats();
    await (await post(hello('counted', { stream: true }))).arrayBuffer();
    await sim.withModel('counted', { tokens: 100, token_interval_ms: 20 }, async () => {
      const controller = new AbortController();
      const res = await fetch(`${sim.url}/v1/chat/completions`, {
        method: 'POST', body: JSON.stringify(hello('counted', { stream: true })), signal: controller.signal,
      });
      const reader = res.body.getReader();
      await reader.read();
      assert.equal((await sim.stats()).active_streams, before.active_streams + 1);
      controller.abort();
      const after = await poll(sim.stats, (s) => s.streams_aborted > before.streams_aborted, 3000);
      assert.equal(after.streams_aborted, before.streams_aborted + 1);
      assert.equal(after.streams_completed, before.streams_completed + 1);
      assert.equal(after.active_streams, 0);
    });
  });

  test('optional fields set to null are treated as absent (as OpenAI does)', async () => {
    const failed = [];
    for (const extra of [{ stream: null }, { stream_options: null }, { stream_options: { include_usage: null } },
      { max_tokens: null }, { tools: null }]) {
      const res = await post(hello('nullish', extra));
      if (res.status !== 200) failed.push(`${JSON.stringify(extra)} -> ${res.status} ${await res.text()}`);
      else await res.arrayBuffer();
    }
    assert.deepEqual(failed, []);
  });

  test('POST /_sim/reset clears knobs and counters', async () => {
    await sim.setModel('resettable', { tokens: 9 });
    await sim.reset();
    const stats = await sim.stats();
    assert.equal(stats.requests_total, 0);
    assert.equal(stats.errors_injected, 0);
    assert.equal((await (await post(hello('resettable'))).json()).usage.completion_tokens, 5,
      'the PUT knobs are gone, the file defaults stay');
  });
});
