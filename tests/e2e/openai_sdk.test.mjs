// The official openai npm SDK against the real gateway: whichever protocol serves the model, the SDK gets the
// same shapes, and the gateway's errors surface as the SDK's typed errors.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe } from 'node:test';

import OpenAI from 'openai';

import { gatewayConfig, poll, simModels, startGateway, startSim, test, TEST_KEY } from '../integration/harness.mjs';

let sim;
let gw;
let client;
const makeClient = () => new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: TEST_KEY, maxRetries: 0, timeout: 10000 });
before(async () => {
  sim = await startSim();
  gw = await startGateway(gatewayConfig(sim.url, { models: simModels('e429', 'e500', 'limited', 'reset2') }));
  client = makeClient();
});
afterEach(async () => {
  try {
    await gw?.assertAlive();
  } finally {
    if (gw) client = makeClient();  // the gateway may have been restarted on another port
  }
});
after(async () => {
  await gw?.stop();
  await sim?.stop();
});

const messages = [{ role: 'user', content: 'Say hello' }];
const tools = [{ type: 'function', function: { name: 'get_weather', description: 'Weather by city',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } }];

// Asserts that `promise` rejects with an error of class `Type` and the given status (and code, when given).
async function rejectsWith(promise, Type, status, code) {
  await assert.rejects(promise, (e) => {
    assert.ok(e instanceof Type, `expected ${Type.name}, got ${e?.constructor?.name}: ${e?.message}`);
    assert.equal(e.status, status);
    if (code !== undefined) assert.equal(e.code, code);
    assert.ok(e.requestID, 'the error carries the x-request-id');
    assert.equal(typeof e.error?.message, 'string', 'the OpenAI error body was parsed');
    return true;
  });
}

for (const [model, protocol] of [['m-fast', 'openai'], ['m-claude', 'anthropic'], ['m-gemini', 'gemini']]) {
  describe(`${model} (${protocol} protocol)`, () => {
    test('chat completion', async () => {
      const { data: completion, response, request_id: requestId } =
        await client.chat.completions.create({ model, messages }).withResponse();
      assert.equal(completion.object, 'chat.completion');
      assert.equal(completion.choices[0].message.role, 'assistant');
      assert.match(completion.choices[0].message.content, /^sim:\S+ tok1 tok2 .* tok16$/);
      assert.equal(completion.choices[0].finish_reason, 'stop');
      assert.ok(completion.usage.prompt_tokens > 0);
      assert.equal(completion.usage.completion_tokens, 16);
      assert.equal(completion.usage.total_tokens, completion.usage.prompt_tokens + completion.usage.completion_tokens);
      assert.ok(requestId, 'the SDK sees the x-request-id');
      assert.equal(response.headers.get('x-gaterouter-model'), model);
      assert.match(response.headers.get('x-gaterouter-overhead-us') ?? '', /^\d+$/);
    });

    test('streamed, with usage', async () => {
      const stream = await client.chat.completions.create({ model, messages, stream: true,
        stream_options: { include_usage: true } });
      let text = '';
      let usage = null;
      let finish = null;
      let role = null;
      let chunks = 0;
      for await (const chunk of stream) {
        chunks += 1;
        assert.equal(chunk.object, 'chat.completion.chunk');
        role ??= chunk.choices[0]?.delta?.role ?? null;
        text += chunk.choices[0]?.delta?.content ?? '';
        finish = chunk.choices[0]?.finish_reason ?? finish;
        if (chunk.usage) usage = chunk.usage;
      }
      assert.ok(chunks > 16, 'one chunk per token at least');
      assert.equal(role, 'assistant');
      assert.match(text, /^sim:\S+ tok1 tok2 .* tok16$/);
      assert.equal(finish, 'stop');
      assert.ok(usage, 'a usage chunk came last');
      assert.equal(usage.completion_tokens, 16);
      assert.equal(usage.total_tokens, usage.prompt_tokens + usage.completion_tokens);
    });

    test('streamed, without usage', async () => {
      const stream = await client.chat.completions.create({ model, messages, stream: true });
      let text = '';
      for await (const chunk of stream) {
        assert.ok(!chunk.usage, 'no usage unless asked');
        text += chunk.choices[0]?.delta?.content ?? '';
      }
      assert.match(text, /tok16$/);
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

describe('routing by preference from the SDK', () => {
  test('model "auto" with the gaterouter extension in the body, streamed, and the headers that say what was chosen', async () => {
    const { data, response } = await client.chat.completions
      .create({ model: 'auto', messages, gaterouter: { allow: ['m-claude', 'm-gemini'], optimize: 'quality' } })
      .withResponse();
    assert.ok(['m-claude', 'm-gemini'].includes(response.headers.get('x-gaterouter-model')));
    assert.equal(data.object, 'chat.completion');
    assert.ok(data.choices[0].message.content.length > 0);
    assert.ok(Number(response.headers.get('x-gaterouter-estimated-cost-usd')) >= 0);

    const stream = await client.chat.completions.create({ model: 'auto', messages, stream: true,
      gaterouter: { allow: ['m-fast'] } });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
    assert.ok(text.length > 0);
  });

  test('a bad preference surfaces as BadRequestError naming it', async () => {
    await assert.rejects(client.chat.completions.create({ model: 'auto', messages, gaterouter: { optimize: 'fastest' } }),
      (e) => e instanceof OpenAI.BadRequestError && e.param === 'gaterouter.optimize');
  });
});

describe('models and embeddings', () => {
  test('models.list() shows the pool with its extension fields', async () => {
    const byId = new Map();
    for await (const m of client.models.list()) {
      byId.set(m.id, m);
      assert.equal(m.object, 'model');
      assert.ok(m.gaterouter && typeof m.gaterouter.provider === 'string');
    }
    for (const id of ['m-fast', 'm-same', 'm-dead', 'm-claude', 'm-gemini', 'm-embed']) assert.ok(byId.has(id), id);
    const fast = byId.get('m-fast').gaterouter;
    assert.equal(fast.provider, 'sim');
    assert.equal(fast.upstream_model, 'sim-fast');
    assert.equal(fast.input_price_per_mtok, 1);
    assert.equal(fast.output_price_per_mtok, 2);
    assert.equal(fast.context_window, 8000);
  });

  test('embeddings.create() with the default base64 transport of the SDK', async () => {
    const res = await client.embeddings.create({ model: 'm-embed', input: ['a', 'b'] });
    assert.equal(res.data.length, 2);
    assert.equal(res.data[0].embedding.length, 8);
    assert.ok(res.data[0].embedding.every((x) => typeof x === 'number'));
  });
});

describe('streams the client leaves', () => {
  test('aborting a stream from the SDK stops the upstream, and the client keeps working', async () => {
    await sim.withModel('sim-fast', { tokens: 200, token_interval_ms: 20 }, async () => {
      const before = await sim.stats();
      const stream = await client.chat.completions.create({ model: 'm-fast', messages, stream: true });
      let seen = 0;
      // The SDK ends the iteration quietly when its own controller aborts.
      for await (const chunk of stream) {
        if (chunk.choices[0]?.delta?.content && ++seen === 3) stream.controller.abort();
      }
      assert.ok(seen >= 3 && seen < 200, `read ${seen} chunks`);
      const after = await poll(sim.stats, (s) => s.streams_aborted > before.streams_aborted && s.active_streams === 0, 3000);
      assert.ok(after.streams_aborted > before.streams_aborted, 'the simulator saw its stream cut');
      assert.equal(after.active_streams, 0);
    });
    const again = await client.chat.completions.create({ model: 'm-fast', messages });
    assert.match(again.choices[0].message.content, /^sim:sim-fast/);
  });
});

describe('errors surface as the SDK typed errors', () => {
  test('bad key: AuthenticationError', async () => {
    const bad = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'sk-nope', maxRetries: 0 });
    await rejectsWith(bad.chat.completions.create({ model: 'm-fast', messages }), OpenAI.AuthenticationError, 401,
      'invalid_api_key');
    await rejectsWith(bad.models.list(), OpenAI.AuthenticationError, 401);
  });

  test('unknown model: NotFoundError', async () => {
    await rejectsWith(client.chat.completions.create({ model: 'no-such', messages }), OpenAI.NotFoundError, 404,
      'model_not_found');
  });

  test('bad input: BadRequestError naming the parameter', async () => {
    await assert.rejects(client.chat.completions.create({ model: 'm-fast', messages: [] }), (e) => {
      assert.ok(e instanceof OpenAI.BadRequestError, e?.constructor?.name);
      assert.equal(e.status, 400);
      assert.equal(e.param, 'messages');
      assert.equal(e.type, 'invalid_request_error');
      return true;
    });
    await rejectsWith(client.chat.completions.create({ model: 'm-fast', messages: [{ content: 'no role' }] }),
      OpenAI.BadRequestError, 400);
    await rejectsWith(client.chat.completions.create({ model: 42, messages }), OpenAI.BadRequestError, 400);
  });

  test('an upstream 429: RateLimitError', async () => {
    await sim.withModel('sim-e429', { error_rate: 1, error_status: 429 }, async () => {
      await rejectsWith(client.chat.completions.create({ model: 'm-e429', messages }), OpenAI.RateLimitError, 429);
      await rejectsWith(client.chat.completions.create({ model: 'm-e429', messages, stream: true }),
        OpenAI.RateLimitError, 429);
    });
  });

  test('the simulator rate limit (rpm_limit) surfaces as RateLimitError too', async () => {
    await sim.withModel('sim-limited', { rpm_limit: 1 }, async () => {
      await client.chat.completions.create({ model: 'm-limited', messages });
      await rejectsWith(client.chat.completions.create({ model: 'm-limited', messages }), OpenAI.RateLimitError, 429);
    });
  });

  test('an upstream 500 and an unreachable provider: InternalServerError', async () => {
    await sim.withModel('sim-e500', { error_rate: 1, error_status: 500 }, async () => {
      await rejectsWith(client.chat.completions.create({ model: 'm-e500', messages }), OpenAI.InternalServerError, 500);
    });
    await rejectsWith(client.chat.completions.create({ model: 'm-dead', messages }), OpenAI.InternalServerError, 502,
      'upstream_unreachable');
  });

  test('a stream cut after it started raises an error in the SDK, never a quiet end', async () => {
    await sim.withModel('sim-reset2', { reset_after_chunks: 2 }, async () => {
      const stream = await client.chat.completions.create({ model: 'm-reset2', messages, stream: true });
      let text = '';
      await assert.rejects(async () => {
        for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
      }, OpenAI.APIError);
      assert.match(text, /^sim:sim-reset2 tok1/, 'the chunks before the cut were delivered');
    });
  });
});
