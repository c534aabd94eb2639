// Chat completions through the real gateway to the real simulator: whole answers, streams, relaying order,
// client disconnects, keep-alive reuse, and every protocol.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';

import { chat, gatewayConfig, hello, poll, readEvents, startGateway, startSim } from './harness.mjs';

let sim;
let gw;
before(async () => {
  sim = await startSim();
  gw = await startGateway(gatewayConfig(sim.url));
});
after(async () => {
  await gw?.stop();
  await sim?.stop();
});

describe('non-streaming', () => {
  test('answers in OpenAI shape with the decision headers', async () => {
    const res = await chat(gw, hello('m-fast'), { headers: { 'x-request-id': 'my-trace-42' } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-request-id'), 'my-trace-42');
    assert.match(res.headers.get('x-gaterouter-overhead-us'), /^\d+$/);
    assert.equal(res.headers.get('x-gaterouter-model'), 'm-fast');
    assert.equal(res.headers.get('x-gaterouter-provider'), 'sim');
    const body = await res.json();
    assert.equal(body.object, 'chat.completion');
    assert.match(body.choices[0].message.content, /^sim:sim-fast tok1/);
    assert.ok(body.usage.completion_tokens > 0);
  });

  test('forwards the body unchanged but for the model name', async () => {
    const sent = { ...hello('m-fast'), temperature: 0.3, custom_vendor_field: { nested: [1, 'two'] }, n: 1 };
    const res = await chat(gw, sent);
    assert.equal(res.status, 200);
    const last = await sim.lastRequest();
    const forwarded = JSON.parse(last.body);
    assert.equal(forwarded.model, 'sim-fast');
    assert.deepEqual({ ...forwarded, model: sent.model }, sent);
    assert.equal(last.path, '/v1/chat/completions');
    assert.equal(last.headers['authorization'], undefined, 'no key configured for the sim provider');
    assert.ok(last.headers['x-request-id']);
  });

  test('moves the body through untouched when the names agree', async () => {
    const raw = '{"model":"m-same",  "messages":[{"role":"user","content":"spacing  kept"}]}';
    assert.equal((await chat(gw, raw)).status, 200);
    assert.equal((await sim.lastRequest()).body, raw);
  });
});

describe('streaming', () => {
  test('relays chunks and [DONE], with the usage chunk when asked', async () => {
    const res = await chat(gw, hello('m-fast', { stream: true, stream_options: { include_usage: true } }));
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type'), /text\/event-stream/);
    const events = await readEvents(res);
    assert.equal(events.at(-1), '[DONE]');
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e));
    assert.ok(chunks.every((c) => c.object === 'chat.completion.chunk'));
    const text = chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('');
    assert.match(text, /^sim:sim-fast tok1 tok2/);
    assert.ok(chunks.at(-1).usage.total_tokens > 0);
  });

  test('sends no usage chunk when not asked', async () => {
    const events = await readEvents(await chat(gw, hello('m-fast', { stream: true })));
    assert.ok(events.slice(0, -1).every((e) => !('usage' in JSON.parse(e)) || JSON.parse(e).usage == null));
  });

  test('relays chunk by chunk: the first chunk arrives while the simulator is still sending', async () => {
    await sim.setModel('sim-fast', { tokens: 20, token_interval_ms: 50, ttft_ms: 0 });
    try {
      const res = await chat(gw, hello('m-fast', { stream: true }));
      const reader = res.body.getReader();
      let first = '';
      while (!first.includes('tok1')) {
        const { value, done } = await reader.read();
        assert.ok(!done, 'stream ended before the first token');
        first += Buffer.from(value).toString();
      }
      const stats = await sim.stats();
      assert.ok(stats.active_streams >= 1, 'the simulator was still streaming when the client had its first chunk');
      let rest = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        rest += Buffer.from(value).toString();
      }
      assert.match(rest, /tok20/);
      assert.match(rest, /\[DONE\]/);
    } finally {
      await sim.setModel('sim-fast', { tokens: 16, token_interval_ms: 0 });
    }
  });

  test('a client that leaves mid-stream cancels the upstream; the gateway keeps serving', async () => {
    await sim.setModel('sim-fast', { tokens: 200, token_interval_ms: 20 });
    try {
      const before = await sim.stats();
      const controller = new AbortController();
      const res = await chat(gw, hello('m-fast', { stream: true }), { signal: controller.signal });
      const reader = res.body.getReader();
      await reader.read();
      await reader.read();
      controller.abort();
      const after = await poll(sim.stats, (s) => s.streams_aborted > before.streams_aborted && s.active_streams === 0, 3000);
      assert.ok(after.streams_aborted > before.streams_aborted, 'the simulator saw its stream cut');
      assert.equal(after.active_streams, 0);
      const again = await chat(gw, hello('m-fast'));
      assert.equal(again.status, 200);
    } finally {
      await sim.setModel('sim-fast', { tokens: 16, token_interval_ms: 0 });
    }
  });
});

describe('connections', () => {
  test('upstream connections are pooled and reused across client requests', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const before = await sim.stats();
    for (let i = 0; i < 50; i++) {
      const body = JSON.stringify(hello('m-fast'));
      const status = await new Promise((resolve, reject) => {
        const req = http.request(gw.url + '/v1/chat/completions', {
          method: 'POST', agent,
          headers: { 'content-type': 'application/json', authorization: `Bearer sk-gaterouter-test-0123456789abcdef` },
        }, (res) => { res.resume(); res.on('end', () => resolve(res.statusCode)); });
        req.on('error', reject);
        req.end(body);
      });
      assert.equal(status, 200);
    }
    agent.destroy();
    const after = await sim.stats();
    assert.ok(after.accepted_connections - before.accepted_connections <= 2,
      `opened ${after.accepted_connections - before.accepted_connections} upstream connections for 50 requests`);
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
      assert.match(chunks.map((c) => c.choices[0]?.delta?.content ?? '').join(''), /tok16$/);
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
