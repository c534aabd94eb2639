// Chat completions through the real gateway to the real simulator: whole answers, streams, relaying order,
// client disconnects, keep-alive reuse, concurrency, and every protocol.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, afterEach, before, describe } from 'node:test';

import {
  chat, gatewayConfig, hello, parseEvents, poll, rawClient, rawRequest, readEvents, request, SERVER_DEFAULTS,
  startGateway, startSim, streamedText, test, TEST_KEY,
} from './harness.mjs';

let sim;
let gw;
before(async () => {
  sim = await startSim();
  gw = await startGateway(gatewayConfig(sim.url));
});
afterEach(() => gw?.assertAlive());
after(async () => {
  await gw?.stop();
  await sim?.stop();
});

describe('non-streaming', () => {
  test('answers in OpenAI shape with the decision headers', async () => {
    const res = await chat(gw, hello('m-fast'), { headers: { 'x-request-id': 'my-trace-42' } });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type'), /application\/json/);
    assert.equal(res.headers.get('x-request-id'), 'my-trace-42');
    assert.match(res.headers.get('x-gaterouter-overhead-us'), /^\d+$/);
    assert.equal(res.headers.get('x-gaterouter-model'), 'm-fast');
    assert.equal(res.headers.get('x-gaterouter-provider'), 'sim');
    const body = await res.json();
    assert.equal(body.object, 'chat.completion');
    assert.equal(typeof body.id, 'string');
    assert.equal(body.choices.length, 1);
    assert.equal(body.choices[0].index, 0);
    assert.equal(body.choices[0].message.role, 'assistant');
    assert.equal(body.choices[0].finish_reason, 'stop');
    assert.match(body.choices[0].message.content, /^sim:sim-fast tok1 tok2 .* tok16$/);
    assert.ok(body.usage.prompt_tokens > 0);
    assert.equal(body.usage.completion_tokens, 16);
    assert.equal(body.usage.total_tokens, body.usage.prompt_tokens + body.usage.completion_tokens);
  });

  test('forwards the body unchanged but for the model name; unknown fields pass through', async () => {
    const sent = {
      ...hello('m-fast'), temperature: 0.3, custom_vendor_field: { nested: [1, 'two', null, true] }, n: 1,
      metadata: { 'ünïcode': '日本語 ✓' },
    };
    const res = await chat(gw, sent, { headers: { 'x-request-id': 'fwd-check-1' } });
    assert.equal(res.status, 200);
    const last = await sim.lastRequest();
    const forwarded = JSON.parse(last.body);
    assert.equal(forwarded.model, 'sim-fast');
    assert.deepEqual({ ...forwarded, model: sent.model }, sent);
    assert.equal(last.path, '/v1/chat/completions');
    assert.equal(last.headers['authorization'], undefined,
      'the client key is not passed on, and the sim provider has no key of its own');
    assert.equal(last.headers['x-request-id'], 'fwd-check-1', 'the request id goes upstream too');
  });

  test('moves the body through byte for byte when the names agree', async () => {
    const raw = '{"model":"m-same",  "messages":[{"role":"user","content":"spacing  kept \\u00e9"}], "x":1.50}';
    const res = await chat(gw, raw);
    assert.equal(res.status, 200);
    assert.match((await res.json()).choices[0].message.content, /^sim:m-same tok1/);
    assert.equal((await sim.lastRequest()).body, raw);
  });

  test('a large answer is relayed whole', async () => {
    await sim.withModel('sim-fast', { tokens: 20000 }, async () => {
      const res = await chat(gw, hello('m-fast'));
      assert.equal(res.status, 200);
      const body = await res.json();
      assert.match(body.choices[0].message.content, / tok19999 tok20000$/);
      assert.equal(body.usage.completion_tokens, 20000);
    });
  });

  test('a chunked request body is read whole and forwarded', async () => {
    const text = JSON.stringify(hello('m-fast', { user: 'chunky' }));
    const pieces = [text.slice(0, 7), text.slice(7, 30), text.slice(30)];
    const res = await request(gw.url + '/v1/chat/completions', {
      method: 'POST', body: pieces,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_KEY}` },
    });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.headers['x-gaterouter-model'], 'm-fast');
    assert.deepEqual(JSON.parse((await sim.lastRequest()).body), { ...JSON.parse(text), model: 'sim-fast' });
  });
});

describe('streaming', () => {
  test('relays chunk objects then [DONE], with the usage chunk when asked', async () => {
    const res = await chat(gw, hello('m-fast', { stream: true, stream_options: { include_usage: true } }),
      { headers: { 'x-request-id': 'stream-1' } });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type'), /text\/event-stream/);
    assert.equal(res.headers.get('x-request-id'), 'stream-1');
    assert.match(res.headers.get('x-gaterouter-overhead-us'), /^\d+$/);
    assert.equal(res.headers.get('x-gaterouter-model'), 'm-fast');
    assert.equal(res.headers.get('x-gaterouter-provider'), 'sim');
    const events = await readEvents(res);
    assert.equal(events.at(-1), '[DONE]');
    assert.equal(events.filter((e) => e === '[DONE]').length, 1);
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e));
    assert.ok(chunks.every((c) => c.object === 'chat.completion.chunk'), 'every event is a chunk object');
    assert.equal(new Set(chunks.map((c) => c.id)).size, 1, 'one id for the whole stream');
    assert.equal(chunks[0].choices[0].delta.role, 'assistant', 'the first chunk carries the role');
    assert.match(streamedText(chunks), /^sim:sim-fast tok1 tok2 .* tok16$/);
    const finish = chunks.filter((c) => c.choices?.[0]?.finish_reason);
    assert.equal(finish.length, 1);
    assert.equal(finish[0].choices[0].finish_reason, 'stop');
    const usage = chunks.at(-1);
    assert.deepEqual(usage.choices, [], 'the usage chunk has no choices');
    assert.equal(usage.usage.completion_tokens, 16);
    assert.equal(usage.usage.total_tokens, usage.usage.prompt_tokens + 16);
  });

  test('sends no usage chunk when not asked', async () => {
    const events = await readEvents(await chat(gw, hello('m-fast', { stream: true })));
    assert.equal(events.at(-1), '[DONE]');
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e));
    assert.ok(chunks.length >= 17);
    assert.ok(chunks.every((c) => c.usage == null), 'no chunk carries usage');
    assert.ok(chunks.every((c) => c.choices.length === 1));
  });

  test('relays chunk by chunk: the first chunk arrives while the simulator is still sending', async () => {
    await sim.withModel('sim-fast', { tokens: 20, token_interval_ms: 50, ttft_ms: 0 }, async () => {
      const res = await chat(gw, hello('m-fast', { stream: true }));
      assert.equal(res.status, 200);
      const reader = res.body.getReader();
      const decoder = new TextDecoder();
      let text = '';
      while (!/"content":"[^"]*tok1\b/.test(text)) {
        const { value, done } = await reader.read();
        assert.ok(!done, 'the stream ended before the first token');
        text += decoder.decode(value, { stream: true });
      }
      const stats = await sim.stats();
      assert.ok(stats.active_streams >= 1,
        'the simulator was still streaming when the client had its first content chunk');
      assert.doesNotMatch(text, /tok20/, 'the first read did not already hold the whole answer');
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        text += decoder.decode(value, { stream: true });
      }
      const events = parseEvents(text);
      assert.equal(events.at(-1), '[DONE]');
      assert.match(streamedText(events.slice(0, -1).map((e) => JSON.parse(e))), /tok19 tok20$/);
    });
  });

  test('a client that drops its socket mid-stream cancels the upstream; the gateway keeps serving', async () => {
    await sim.withModel('sim-fast', { tokens: 200, token_interval_ms: 20 }, async () => {
      const before = await sim.stats();
      const client = await rawClient(gw.port);
      client.write(rawRequest('POST', '/v1/chat/completions', { body: JSON.stringify(hello('m-fast', { stream: true })) }));
      await client.until(/tok2\b/, 5000);
      const during = await sim.stats();
      assert.equal(during.active_streams, before.active_streams + 1);
      assert.ok(during.open_connections >= 1, 'the gateway holds an upstream connection for the stream');
      client.destroy();
      const after = await poll(sim.stats, (s) => s.streams_aborted > before.streams_aborted && s.active_streams === 0
        && s.open_connections < during.open_connections, 2500);
      assert.equal(after.streams_aborted, before.streams_aborted + 1, 'the simulator saw its stream cut');
      assert.equal(after.streams_completed, before.streams_completed, 'and it was not finished');
      assert.equal(after.active_streams, 0);
      assert.ok(after.open_connections < during.open_connections,
        `the gateway closed its upstream connection (open: ${during.open_connections} -> ${after.open_connections})`);
    });
    const again = await chat(gw, hello('m-fast'));
    assert.equal(again.status, 200);
    await again.arrayBuffer();
  });

  test('a client that aborts a fetch mid-stream also cancels the upstream', async () => {
    await sim.withModel('sim-fast', { tokens: 200, token_interval_ms: 20 }, async () => {
      const before = await sim.stats();
      const controller = new AbortController();
      const res = await chat(gw, hello('m-fast', { stream: true }), { signal: controller.signal });
      const reader = res.body.getReader();
      await reader.read();
      await reader.read();
      controller.abort();
      const after = await poll(sim.stats, (s) => s.streams_aborted > before.streams_aborted && s.active_streams === 0, 2500);
      assert.ok(after.streams_aborted > before.streams_aborted, 'the simulator saw its stream cut');
      assert.equal(after.active_streams, 0);
    });
  });
});

describe('connections', () => {
  test('50 requests on one keep-alive client connection reuse pooled upstream connections', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const before = await sim.stats();
      let reused = 0;
      for (let i = 0; i < 50; i++) {
        const res = await request(gw.url + '/v1/chat/completions', {
          method: 'POST', agent, body: JSON.stringify(hello('m-fast')),
          headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_KEY}` },
        });
        assert.equal(res.status, 200, res.text);
        if (res.reusedSocket) reused += 1;
      }
      assert.equal(reused, 49, 'the client connection to the gateway was kept alive');
      const after = await sim.stats();
      const opened = after.accepted_connections - before.accepted_connections;
      assert.ok(opened <= SERVER_DEFAULTS.workers,
        `opened ${opened} upstream connections for 50 requests (at most one per worker expected)`);
    } finally {
      agent.destroy();
    }
  });

  test('pipelined requests on one connection are answered in order', async () => {
    const client = await rawClient(gw.port);
    try {
      client.write(
        rawRequest('GET', '/healthz', { headers: { 'x-request-id': 'pipe-1' } }) +
        rawRequest('POST', '/v1/chat/completions', { body: JSON.stringify(hello('m-fast')), headers: { 'x-request-id': 'pipe-2' } }) +
        rawRequest('GET', '/readyz', { headers: { 'x-request-id': 'pipe-3' } }));
      const text = await client.until(/x-request-id: pipe-3[\s\S]*\{"status":"ready"\}/i, 5000);
      const order = [...text.matchAll(/x-request-id: (pipe-\d)/gi)].map((m) => m[1]);
      assert.deepEqual(order, ['pipe-1', 'pipe-2', 'pipe-3']);
      assert.equal((text.match(/HTTP\/1\.1 200 /g) ?? []).length, 3);
      assert.match(text, /sim:sim-fast tok1/);
    } finally {
      client.destroy();
    }
  });

  test('40 concurrent requests, whole and streamed, each get their own answer', async () => {
    await sim.withModel('sim-fast', { latency_ms: 20, token_interval_ms: 5, tokens: 8 }, async () => {
      await sim.withModel('m-same', { latency_ms: 10, token_interval_ms: 3, tokens: 12 }, async () => {
        const runs = Array.from({ length: 40 }, async (_, i) => {
          const model = i % 2 ? 'm-fast' : 'm-same';
          const upstream = i % 2 ? 'sim-fast' : 'm-same';
          const tokens = i % 2 ? 8 : 12;
          const stream = i % 4 >= 2;
          const res = await chat(gw, hello(model, { stream }), { headers: { 'x-request-id': `conc-${i}` } });
          assert.equal(res.status, 200);
          assert.equal(res.headers.get('x-request-id'), `conc-${i}`);
          assert.equal(res.headers.get('x-gaterouter-model'), model);
          let text;
          if (stream) {
            const events = await readEvents(res);
            assert.equal(events.at(-1), '[DONE]', `request ${i}`);
            text = streamedText(events.slice(0, -1).map((e) => JSON.parse(e)));
          } else {
            text = (await res.json()).choices[0].message.content;
          }
          const expected = `sim:${upstream} ${Array.from({ length: tokens }, (_, k) => `tok${k + 1}`).join(' ')}`;
          assert.equal(text, expected, `request ${i}`);
        });
        await Promise.all(runs);
      });
    });
  });
});

describe('protocols', () => {
  for (const model of ['m-claude', 'm-gemini']) {
    test(`${model}: whole, streamed and a tool round trip in OpenAI's shape`, async () => {
      const whole = await (await chat(gw, hello(model))).json();
      assert.equal(whole.object, 'chat.completion');
      assert.match(whole.choices[0].message.content, /^sim:\w+-sim tok1/);
      assert.ok(whole.usage.prompt_tokens > 0 && whole.usage.completion_tokens > 0);

      const events = await readEvents(await chat(gw, hello(model, { stream: true, stream_options: { include_usage: true } })));
      assert.equal(events.at(-1), '[DONE]');
      const chunks = events.slice(0, -1).map((e) => JSON.parse(e));
      assert.match(streamedText(chunks), /tok16$/);
      assert.ok(chunks.at(-1).usage.total_tokens > 0);

      const tools = [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object', properties: { q: { type: 'string' } } } } }];
      const first = await (await chat(gw, { ...hello(model), tools })).json();
      assert.equal(first.choices[0].finish_reason, 'tool_calls');
      const call = first.choices[0].message.tool_calls[0];
      assert.equal(call.function.name, 'lookup');
      assert.deepEqual(JSON.parse(call.function.arguments), { q: 'sim' });
      const second = await (await chat(gw, {
        model, tools,
        messages: [{ role: 'user', content: 'look it up' }, first.choices[0].message,
          { role: 'tool', tool_call_id: call.id, content: '{"answer":42}' }],
      })).json();
      assert.equal(second.choices[0].finish_reason, 'stop');
      assert.match(second.choices[0].message.content, /^sim:/);
    });
  }

  test('the thought signature of a Gemini tool call goes back on the next turn', async () => {
    const tools = [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object' } } }];
    const first = await (await chat(gw, { ...hello('m-gemini'), tools })).json();
    const message = first.choices[0].message;
    assert.ok(message.tool_calls[0].gaterouter.thought_signature);
    await chat(gw, { model: 'm-gemini', tools, messages: [{ role: 'user', content: 'x' }, message,
      { role: 'tool', tool_call_id: message.tool_calls[0].id, content: 'done' }] });
    const forwarded = JSON.parse((await sim.lastRequest()).body);
    const part = forwarded.contents[1].parts[0];
    assert.equal(part.thoughtSignature, message.tool_calls[0].gaterouter.thought_signature);
    assert.equal(forwarded.contents[2].parts[0].functionResponse.name, 'lookup');
  });

  test('embeddings from an OpenAI-compatible and a Gemini model', async () => {
    for (const model of ['m-embed', 'm-gemini-embed']) {
      const res = await chat(gw, { model, input: ['one', 'two'] }, { path: '/v1/embeddings' });
      assert.equal(res.status, 200);
      const body = await res.json();
      assert.equal(body.data.length, 2);
      assert.equal(body.data[1].index, 1);
      assert.equal(body.data[0].embedding.length, 8);
      const b64 = await (await chat(gw, { model, input: 'one', encoding_format: 'base64' }, { path: '/v1/embeddings' })).json();
      const bytes = Buffer.from(b64.data[0].embedding, 'base64');
      const floats = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
      assert.equal(floats.length, 8);
      assert.ok(Math.abs(floats[0] - body.data[0].embedding[0]) < 1e-6);
    }
  });

  test('a model is never sent what it cannot do', async () => {
    const before = (await sim.stats()).requests_total;
    const tools = [{ type: 'function', function: { name: 'f' } }];
    const refused = [
      await chat(gw, { ...hello('m-small-context'), tools }),
      await chat(gw, { model: 'm-fast', messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://x/y.png' } }] }] }),
      await chat(gw, { model: 'm-small-context', messages: [{ role: 'user', content: 'word '.repeat(400) }] }),
      await chat(gw, { model: 'm-embed', messages: [{ role: 'user', content: 'hi' }] }),
    ];
    for (const [i, res] of refused.entries()) {
      assert.equal(res.status, 400, `request ${i}`);
      const body = await res.json();
      assert.equal(body.error.code, 'model_not_capable');
    }
    assert.equal((await sim.stats()).requests_total, before, 'nothing reached the provider');
  });
});

describe('task classification', () => {
  const cases = [
    ['Translate into German: "The meeting is postponed until Friday."', 'translation'],
    ['Write a Python function that returns the n-th Fibonacci number using memoization.', 'code'],
    ['What is 15% of 240?', 'math'],
    ['Write a short poem about autumn rain in a small town.', 'creative'],
  ];
  for (const [prompt, task] of cases) {
    test(`"${prompt.slice(0, 30)}…" is tagged ${task}`, async () => {
      const res = await chat(gw, { model: 'm-fast', messages: [{ role: 'user', content: prompt }] });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('x-gaterouter-task'), task);
      assert.match(res.headers.get('x-gaterouter-weight'), /^(light|standard|heavy)$/);
    });
  }
});
