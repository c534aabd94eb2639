// What the gateway answers when things go wrong: bad input of every kind, missing or wrong keys, limits, and
// upstream failures. Every answer must be an OpenAI-shaped error, and nothing may bring the daemon down.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  assertOpenAiError, chat, gatewayConfig, hello, rawExchange, readEvents, startGateway, startSim, TEST_KEY,
} from './harness.mjs';

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

async function expectError(res, status, code) {
  assert.equal(res.status, status);
  assert.ok(res.headers.get('x-request-id'));
  assert.match(res.headers.get('x-gaterouter-overhead-us') ?? '', /^\d+$/);
  const body = await res.json();
  assertOpenAiError(body);
  if (code) assert.equal(body.error.code, code);
  return body;
}

describe('request validation', () => {
  const cases = [
    ['malformed JSON', '{"model": "m-fast", "messages": [', 400, 'invalid_json'],
    ['not an object', '[1,2]', 400, 'invalid_json'],
    ['model is a number', { model: 7, messages: [{ role: 'user', content: 'x' }] }, 400, 'invalid_type', 'model'],
    ['messages is a string', { model: 'm-fast', messages: 'hi' }, 400, 'invalid_type', 'messages'],
    ['stream is a string', { ...hello('m-fast'), stream: 'yes' }, 400, 'invalid_type', 'stream'],
    ['model missing', { messages: [{ role: 'user', content: 'x' }] }, 400, 'missing_required_parameter', 'model'],
    ['messages missing', { model: 'm-fast' }, 400, 'missing_required_parameter', 'messages'],
    ['messages empty', { model: 'm-fast', messages: [] }, 400, 'empty_array', 'messages'],
    ['role missing', { model: 'm-fast', messages: [{ content: 'x' }] }, 400, 'missing_required_parameter', 'messages[0].role'],
    ['max_tokens negative', { ...hello('m-fast'), max_tokens: -3 }, 400, 'invalid_value', 'max_tokens'],
    ['deep nesting', '['.repeat(10000), 400, 'invalid_json'],
    ['unknown model', hello('no-such-model'), 404, 'model_not_found', 'model'],
  ];
  for (const [name, body, status, code, param] of cases) {
    test(name, async () => {
      const err = await expectError(await chat(gw, body), status, code);
      if (param) assert.equal(err.error.param, param);
    });
  }

  test('invalid UTF-8 inside a string', async () => {
    const bytes = Buffer.concat([Buffer.from('{"model":"m-fast","messages":[{"role":"user","content":"'),
      Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('"}]}')]);
    await expectError(await chat(gw, bytes), 400, 'invalid_json');
  });

  test('unknown fields are accepted and passed on', async () => {
    const res = await chat(gw, { ...hello('m-fast'), some_future_field: true });
    assert.equal(res.status, 200);
  });

  test('a truncated body (Content-Length larger than what is sent) is not served', async () => {
    const head = `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TEST_KEY}\r\n` +
      'Content-Type: application/json\r\nContent-Length: 500\r\n\r\n{"model":"m-fast"';
    const got = await rawExchange(gw.port, head, 4000);
    assert.ok(!got.startsWith('HTTP/1.1 200'), got);
  });

  test('a body over the limit gets 413 before it is read', async () => {
    const big = JSON.stringify({ ...hello('m-fast'), pad: 'x'.repeat(70000) });
    await expectError(await chat(gw, big), 413, 'request_too_large');
  });

  test('headers over the limit get 431', async () => {
    const res = await chat(gw, hello('m-fast'), { headers: { 'x-huge': 'y'.repeat(20000) } });
    await expectError(res, 431, 'headers_too_large');
  });

  test('unknown route 404, wrong method 405', async () => {
    await expectError(await fetch(gw.url + '/v1/nothing-here'), 404, 'unknown_url');
    await expectError(await fetch(gw.url + '/v1/chat/completions'), 405, 'method_not_allowed');
  });

  test('garbage instead of HTTP gets a 400 and a closed connection', async () => {
    const got = await rawExchange(gw.port, 'THIS IS NOT HTTP\r\n\r\n');
    assert.match(got, /^HTTP\/1\.1 400/);
  });

  test('a seeded fuzz of request bodies: every answer is 200 or an OpenAI error', async () => {
    let seed = 12345;
    const rand = (n) => ((seed = (seed * 1103515245 + 12345) % 2147483648) % n);
    const base = JSON.stringify({ ...hello('m-fast'), stream: false, max_tokens: 5, temperature: 0.5 });
    for (let i = 0; i < 300; i++) {
      const chars = [...base];
      for (let k = 0; k <= rand(4); k++) {
        const at = rand(chars.length);
        const op = rand(3);
        const junk = String.fromCharCode(rand(128));
        if (op === 0) chars.splice(at, 1);
        else if (op === 1) chars.splice(at, 0, junk);
        else chars[at] = junk;
      }
      const res = await chat(gw, chars.join(''));
      if (res.status === 200) {
        await res.arrayBuffer();
        continue;
      }
      assertOpenAiError(await res.json());
    }
  });
});

describe('keys', () => {
  test('no key, a malformed header, and a wrong key get 401', async () => {
    await expectError(await chat(gw, hello('m-fast'), { key: null }), 401, 'missing_api_key');
    await expectError(await chat(gw, hello('m-fast'), { key: null, headers: { authorization: 'Basic abc' } }), 401,
      'missing_api_key');
    await expectError(await chat(gw, hello('m-fast'), { key: 'sk-wrong' }), 401, 'invalid_api_key');
    await expectError(await fetch(gw.url + '/v1/models'), 401, 'missing_api_key');
  });

  test('keys never reach the logs', async () => {
    await chat(gw, hello('m-fast'));
    await chat(gw, hello('m-fast'), { key: 'sk-wrong-secret-value' });
    assert.ok(!gw.logs.out.includes(TEST_KEY) && !gw.logs.err.includes(TEST_KEY));
    assert.ok(!gw.logs.out.includes('sk-wrong-secret-value'));
  });
});

describe('upstream failures', () => {
  const model = 'sim-fast';
  for (const status of [500, 429, 503]) {
    test(`an upstream ${status} is passed on with its status`, async () => {
      await sim.setModel(model, { error_rate: 1, error_status: status });
      try {
        await expectError(await chat(gw, hello('m-fast')), status);
      } finally {
        await sim.setModel(model, { error_rate: 0 });
      }
    });
  }

  test("an upstream 401 is the gateway's own problem: 502", async () => {
    await sim.setModel(model, { error_rate: 1, error_status: 401 });
    try {
      await expectError(await chat(gw, hello('m-fast')), 502, 'upstream_auth_failed');
    } finally {
      await sim.setModel(model, { error_rate: 0 });
    }
  });

  test('an unreachable provider gets 502', async () => {
    await expectError(await chat(gw, hello('m-dead')), 502, 'upstream_unreachable');
  });

  test('a provider that never answers gets 504 after the first-byte timeout', async () => {
    await sim.setModel(model, { hang: true });
    try {
      await expectError(await chat(gw, hello('m-fast')), 504, 'upstream_timeout');
    } finally {
      await sim.setModel(model, { hang: false });
    }
  });

  test('a stream cut mid-way ends with an error event and no [DONE]', async () => {
    await sim.setModel(model, { reset_after_chunks: 3, tokens: 10 });
    try {
      const res = await chat(gw, hello('m-fast', { stream: true }));
      assert.equal(res.status, 200);
      const events = await readEvents(res);
      assert.notEqual(events.at(-1), '[DONE]');
      const last = JSON.parse(events.at(-1));
      assertOpenAiError(last);
      assert.ok(events.length >= 2, 'some chunks arrived before the cut');
    } finally {
      await sim.setModel(model, { reset_after_chunks: -1, tokens: 16 });
    }
  });

  test('a stream cut before its first chunk gets a plain error status', async () => {
    await sim.setModel(model, { reset_after_chunks: 0 });
    try {
      const res = await chat(gw, hello('m-fast', { stream: true }));
      assert.equal(res.status, 502);
      assertOpenAiError(await res.json());
    } finally {
      await sim.setModel(model, { reset_after_chunks: -1 });
    }
  });

  test('the daemon is still healthy after all of it', async () => {
    const res = await fetch(gw.url + '/healthz');
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { status: 'ok' });
    assert.equal(gw.proc.exitCode, null);
  });
});
