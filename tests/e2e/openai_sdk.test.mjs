// The official openai npm SDK against the real gateway: whichever protocol serves the model, the SDK gets the
// same shapes, and the gateway's errors surface as the SDK's typed errors.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import OpenAI from 'openai';

import { gatewayConfig, startGateway, startSim, TEST_KEY } from '../integration/harness.mjs';

let sim;
let gw;
let client;
before(async () => {
  sim = await startSim();
  gw = await startGateway(gatewayConfig(sim.url));
  client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: TEST_KEY, maxRetries: 0, timeout: 10000 });
});
after(async () => {
  await gw?.stop();
  await sim?.stop();
});

const messages = [{ role: 'user', content: 'Say hello' }];
const tools = [{ type: 'function', function: { name: 'get_weather', description: 'Weather by city',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } }];

for (const [model, protocol] of [['m-fast', 'openai'], ['m-claude', 'anthropic'], ['m-gemini', 'gemini']]) {
  describe(`${model} (${protocol} protocol)`, () => {
    test('chat completion', async () => {
      const completion = await client.chat.completions.create({ model, messages });
      assert.equal(completion.object, 'chat.completion');
      assert.equal(completion.choices[0].message.role, 'assistant');
      assert.match(completion.choices[0].message.content, /^sim:/);
      assert.equal(completion.choices[0].finish_reason, 'stop');
      assert.ok(completion.usage.prompt_tokens > 0);
      assert.equal(completion.usage.total_tokens, completion.usage.prompt_tokens + completion.usage.completion_tokens);
    });

    test('streamed, with usage', async () => {
      const stream = await client.chat.completions.create({ model, messages, stream: true,
        stream_options: { include_usage: true } });
      let text = '';
      let usage = null;
      let finish = null;
      for await (const chunk of stream) {
        text += chunk.choices[0]?.delta?.content ?? '';
        finish = chunk.choices[0]?.finish_reason ?? finish;
        if (chunk.usage) usage = chunk.usage;
      }
      assert.match(text, /^sim:\S+ tok1 tok2 .* tok16$/);
      assert.equal(finish, 'stop');
      assert.ok(usage && usage.completion_tokens === 16);
    });

    test('a tool call round trip', async () => {
      const first = await client.chat.completions.create({ model, messages, tools });
      const message = first.choices[0].message;
      assert.equal(first.choices[0].finish_reason, 'tool_calls');
      const call = message.tool_calls[0];
      assert.equal(call.type, 'function');
      assert.equal(call.function.name, 'get_weather');
      assert.deepEqual(JSON.parse(call.function.arguments), { q: 'sim' });
      const second = await client.chat.completions.create({
        model, tools,
        messages: [...messages, message, { role: 'tool', tool_call_id: call.id, content: 'Sunny, 21C' }],
      });
      assert.equal(second.choices[0].finish_reason, 'stop');
      assert.match(second.choices[0].message.content, /^sim:/);
    });

    test('a streamed tool call', async () => {
      const stream = await client.chat.completions.create({ model, messages, tools, stream: true });
      let name = '';
      let args = '';
      let finish = null;
      for await (const chunk of stream) {
        for (const tc of chunk.choices[0]?.delta?.tool_calls ?? []) {
          name += tc.function?.name ?? '';
          args += tc.function?.arguments ?? '';
        }
        finish = chunk.choices[0]?.finish_reason ?? finish;
      }
      assert.equal(name, 'get_weather');
      assert.deepEqual(JSON.parse(args), { q: 'sim' });
      assert.equal(finish, 'tool_calls');
    });
  });
}

describe('models and embeddings', () => {
  test('models.list() shows the pool with its extension fields', async () => {
    const ids = [];
    for await (const m of client.models.list()) {
      ids.push(m.id);
      assert.equal(m.object, 'model');
      assert.ok(m.gaterouter && typeof m.gaterouter.provider === 'string');
    }
    for (const id of ['m-fast', 'm-claude', 'm-gemini', 'm-embed']) assert.ok(ids.includes(id), id);
  });

  test('embeddings.create() with the default base64 transport of the SDK', async () => {
    const res = await client.embeddings.create({ model: 'm-embed', input: ['a', 'b'] });
    assert.equal(res.data.length, 2);
    assert.equal(res.data[0].embedding.length, 8);
    assert.ok(res.data[0].embedding.every((x) => typeof x === 'number'));
  });
});

describe('errors surface as the SDK typed errors', () => {
  test('bad key: AuthenticationError', async () => {
    const bad = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'sk-nope', maxRetries: 0 });
    await assert.rejects(bad.chat.completions.create({ model: 'm-fast', messages }), OpenAI.AuthenticationError);
  });

  test('unknown model: NotFoundError', async () => {
    await assert.rejects(client.chat.completions.create({ model: 'no-such', messages }), (e) => {
      assert.ok(e instanceof OpenAI.NotFoundError);
      assert.equal(e.code, 'model_not_found');
      return true;
    });
  });

  test('bad input: BadRequestError', async () => {
    await assert.rejects(client.chat.completions.create({ model: 'm-fast', messages: [] }), OpenAI.BadRequestError);
  });

  test('an upstream 429: RateLimitError', async () => {
    await sim.setModel('sim-fast', { error_rate: 1, error_status: 429 });
    try {
      await assert.rejects(client.chat.completions.create({ model: 'm-fast', messages }), OpenAI.RateLimitError);
    } finally {
      await sim.setModel('sim-fast', { error_rate: 0 });
    }
  });

  test('an upstream 500 and an unreachable provider: InternalServerError', async () => {
    await sim.setModel('sim-fast', { error_rate: 1, error_status: 500 });
    try {
      await assert.rejects(client.chat.completions.create({ model: 'm-fast', messages }), OpenAI.InternalServerError);
    } finally {
      await sim.setModel('sim-fast', { error_rate: 0 });
    }
    await assert.rejects(client.chat.completions.create({ model: 'm-dead', messages }), OpenAI.InternalServerError);
  });

  test('a stream cut after it started raises an error in the SDK, never a quiet end', async () => {
    await sim.setModel('sim-fast', { reset_after_chunks: 2 });
    try {
      const stream = await client.chat.completions.create({ model: 'm-fast', messages, stream: true });
      await assert.rejects(async () => {
        for await (const chunk of stream) void chunk;
      }, OpenAI.APIError);
    } finally {
      await sim.setModel('sim-fast', { reset_after_chunks: -1 });
    }
  });
});
