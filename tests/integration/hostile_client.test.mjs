// A hostile client against the real gateway and the real simulator: bodies that nest deep enough to end a
// recursive parser's stack, repeated keys, wrong types and out-of-range values, and a null stream_options. Each
// gets a clear OpenAI-shaped answer, and the daemon stays up.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe } from 'node:test';

import { chat, expectError, gatewayConfig, hello, startGateway, startSim, test } from './harness.mjs';

let sim;
let gw;
before(async () => {
  sim = await startSim();
  // Bodies of a few hundred kilobytes: the inputs, under a limit that admits them.
  gw = await startGateway(gatewayConfig(sim.url, { server: { max_body_bytes: 4 * 1024 * 1024 } }));
});
afterEach(() => gw?.assertAlive());
after(async () => {
  await gw?.stop();
  await sim?.stop();
});

const nestedArrays = (depth) => `${'['.repeat(depth)}1${']'.repeat(depth)}`;
const nestedObjects = (depth) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

// A conversation whose assistant turn called a tool with `args` and whose tool turn answered `result`.
const toolRound = (model, args, result) => ({
  model,
  messages: [
    { role: 'user', content: 'look it up' },
    { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'f', arguments: args } }] },
    { role: 'tool', tool_call_id: 'call_1', content: result },
  ],
  tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object', properties: {} } } }],
});

describe('nesting deep enough to end a recursive parser', () => {
  test('embeddings input nested 100 000 arrays deep: a 400, not a dead worker', async () => {
    const body = `{"model":"m-embed","input":${nestedArrays(100000)}}`;
    await expectError(await chat(gw, body, { path: '/v1/embeddings' }), 400, 'invalid_json');
  });

  for (const [model, depth] of [['m-gemini', 100000], ['m-claude', 60000]]) {
    test(`${model}: tool arguments and a tool result nested ${depth} objects deep are answered`, async () => {
      const deep = nestedObjects(depth);
      for (const body of [toolRound(model, deep, 'ok'), toolRound(model, '{}', deep)]) {
        const res = await chat(gw, body);
        const text = await res.text();
        assert.ok(res.status === 200 || res.status === 400, `${res.status} ${text.slice(0, 300)}`);
      }
    });
  }
});

describe('keys given twice', () => {
  test('"model" twice is refused: the gateway and the upstream could read different models', async () => {
    const body = '{"model":"m-fast","messages":[{"role":"user","content":"hi"}],"model":"m-claude"}';
    await expectError(await chat(gw, body), 400, 'duplicate_key', 'model');
  });

  test('a key twice in a message is refused, naming the message', async () => {
    const body = '{"model":"m-fast","messages":[{"role":"user","content":"hi","content":"ho"}]}';
    await expectError(await chat(gw, body), 400, 'duplicate_key', 'messages[0].content');
  });
});

describe('wrong types and values are refused with the field named', () => {
  const cases = [
    [{ messages: [{ role: 'user', content: 5 }] }, 'invalid_type', 'messages[0].content'],
    [{ messages: [{ role: 'wizard', content: 'hi' }] }, 'invalid_value', 'messages[0].role'],
    [{ temperature: 'hot' }, 'invalid_type', 'temperature'],
    [{ n: -1 }, 'invalid_value', 'n'],
    [{ n: 100000 }, 'invalid_value', 'n'],
  ];
  for (const [extra, code, param] of cases) {
    test(`${JSON.stringify(extra)}: 400 ${code} naming ${param}`, async () => {
      await expectError(await chat(gw, hello('m-fast', extra)), 400, code, param);
    });
  }
});

test('"stream_options": null is replaced by the gateway\'s own, so the upstream still reports usage', async () => {
  const res = await chat(gw, hello('m-fast', { stream: true, stream_options: null }));
  assert.equal(res.status, 200);
  await res.text();
  const sent = (await sim.lastRequest()).body;
  assert.equal(sent.split('"stream_options"').length - 1, 1, `one stream_options upstream: ${sent}`);
  assert.deepEqual(JSON.parse(sent).stream_options, { include_usage: true });
});
