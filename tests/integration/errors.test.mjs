// What the gateway answers when things go wrong: bad input of every kind, missing or wrong keys, limits, and
// upstream failures. Every answer must be an OpenAI-shaped error, and nothing may bring the daemon down.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe } from 'node:test';

import {
  assertOpenAiError, chat, expectError, gatewayConfig, hello, poll, rawExchange, readEvents, request, seededRandom,
  SERVER_DEFAULTS, simModels, startGateway, startSim, test, TEST_KEY, UPSTREAM_DEFAULTS,
} from './harness.mjs';

let sim;
let gw;
before(async () => {
  sim = await startSim();
  gw = await startGateway(gatewayConfig(sim.url, {
    models: simModels('hang', 'stall', 'e500', 'e429', 'e503', 'e401', 'e403', 'reset3', 'reset0'),
  }));
});
afterEach(() => gw?.assertAlive());
after(async () => {
  await gw?.stop();
  await sim?.stop();
});

async function assertHealthy() {
  assert.equal(gw.proc.exitCode, null, `the gateway exited; stderr:\n${gw.logs.err}`);
  assert.equal(gw.proc.signalCode, null, `the gateway died of ${gw.proc.signalCode}; stderr:\n${gw.logs.err}`);
  const res = await fetch(gw.url + '/healthz');
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { status: 'ok' });
}

// A body of exactly `size` bytes that is a valid chat request.
function bodyOfSize(size) {
  const base = JSON.stringify({ ...hello('m-fast'), pad: '' });
  assert.ok(size >= base.length);
  return JSON.stringify({ ...hello('m-fast'), pad: 'x'.repeat(size - base.length) });
}

describe('request validation', () => {
  const cases = [
    ['malformed JSON', '{"model": "m-fast", "messages": [}', 400, 'invalid_json'],
    ['truncated JSON body', '{"model":"m-fast","messages":[{"role":"user","content":"hel', 400, 'invalid_json'],
    ['empty body', '', 400, 'invalid_json'],
    ['not an object', '[1,2]', 400, 'invalid_json'],
    ['trailing garbage', `${JSON.stringify(hello('m-fast'))} xyz`, 400, 'invalid_json'],
    ['model is a number', { model: 7, messages: [{ role: 'user', content: 'x' }] }, 400, 'invalid_type', 'model'],
    ['messages is a string', { model: 'm-fast', messages: 'hi' }, 400, 'invalid_type', 'messages'],
    ['stream is a string', { ...hello('m-fast'), stream: 'yes' }, 400, 'invalid_type', 'stream'],
    ['a message is not an object', { model: 'm-fast', messages: ['hi'] }, 400, undefined, 'messages[0]'],
    ['model missing', { messages: [{ role: 'user', content: 'x' }] }, 400, 'missing_required_parameter', 'model'],
    ['messages missing', { model: 'm-fast' }, 400, 'missing_required_parameter', 'messages'],
    ['messages empty', { model: 'm-fast', messages: [] }, 400, 'empty_array', 'messages'],
    ['role missing', { model: 'm-fast', messages: [{ content: 'x' }] }, 400, 'missing_required_parameter', 'messages[0].role'],
    ['role missing in a later message', { model: 'm-fast', messages: [{ role: 'user', content: 'x' }, { content: 'y' }] },
      400, 'missing_required_parameter', 'messages[1].role'],
    ['max_tokens negative', { ...hello('m-fast'), max_tokens: -3 }, 400, 'invalid_value', 'max_tokens'],
    ['deep nesting (10 000 [)', '['.repeat(10000), 400, 'invalid_json'],
    ['unknown model', hello('no-such-model'), 404, 'model_not_found', 'model'],
  ];
  for (const [name, body, status, code, param] of cases) {
    test(name, async () => {
      const before = (await sim.stats()).requests_total;
      await expectError(await chat(gw, body), status, code, param);
      assert.equal((await sim.stats()).requests_total, before, 'nothing went upstream');
    });
  }

  test('deep but balanced nesting in an unknown field is refused or passed on, never a crash', async () => {
    const deep = `{"model":"m-fast","messages":[{"role":"user","content":"x"}],"x":${'['.repeat(5000)}${']'.repeat(5000)}}`;
    const res = await chat(gw, deep);
    const text = await res.text();
    assert.ok(res.status === 200 || res.status === 400, `status ${res.status}: ${text.slice(0, 300)}`);
    if (res.status === 400) assertOpenAiError(JSON.parse(text));
    await assertHealthy();
  });

  test('invalid UTF-8 inside a string', async () => {
    const bytes = Buffer.concat([Buffer.from('{"model":"m-fast","messages":[{"role":"user","content":"'),
      Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('"}]}')]);
    await expectError(await chat(gw, bytes), 400, 'invalid_json');
  });

  test('invalid UTF-8 in the model name is answered with valid JSON', async () => {
    const bytes = Buffer.concat([Buffer.from('{"model":"m-'), Buffer.from([0xc3, 0x28]),
      Buffer.from('","messages":[{"role":"user","content":"x"}]}')]);
    const res = await chat(gw, bytes);
    assert.ok(res.status === 400 || res.status === 404, `status ${res.status}`);
    assertOpenAiError(JSON.parse(await res.text()));
  });

  test('unknown fields are accepted and passed on', async () => {
    const res = await chat(gw, { ...hello('m-fast'), some_future_field: { a: [1] } });
    assert.equal(res.status, 200);
    await res.arrayBuffer();
    assert.deepEqual(JSON.parse((await sim.lastRequest()).body).some_future_field, { a: [1] });
  });

  test('a body cut short at the HTTP level (Content-Length larger than what is sent) is never served', async () => {
    const before = (await sim.stats()).requests_total;
    const head = `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TEST_KEY}\r\n` +
      'Content-Type: application/json\r\nContent-Length: 500\r\n\r\n{"model":"m-fast"';
    const started = Date.now();
    // The client half-closes: the gateway sees the end of the stream mid-body.
    const halfClosed = await rawExchange(gw.port, head, 4000, { end: true });
    assert.ok(!halfClosed.startsWith('HTTP/1.1 2'), halfClosed);
    // The client stalls: the gateway gives up after its read timeout.
    const stalled = await rawExchange(gw.port, head, SERVER_DEFAULTS.read_timeout_ms + 3000);
    assert.ok(!stalled.startsWith('HTTP/1.1 2'), stalled);
    assert.ok(Date.now() - started < SERVER_DEFAULTS.read_timeout_ms + 2500, 'the stalled connection was closed');
    assert.equal((await sim.stats()).requests_total, before, 'nothing went upstream');
  });

  test('a body of exactly max_body_bytes is accepted, one byte more gets 413', async () => {
    const limit = SERVER_DEFAULTS.max_body_bytes;
    const fits = await chat(gw, bodyOfSize(limit));
    assert.equal(fits.status, 200, await fits.clone().text());
    await fits.arrayBuffer();
    await expectError(await chat(gw, bodyOfSize(limit + 1)), 413, 'request_too_large');
  });

  test('a huge body gets 413 before it is read', async () => {
    const big = JSON.stringify({ ...hello('m-fast'), pad: 'x'.repeat(4 * 1024 * 1024) });
    await expectError(await chat(gw, big), 413, 'request_too_large');
  });

  test('a chunked body over the limit gets 413 too', async () => {
    const pieces = Array.from({ length: 20 }, () => 'x'.repeat(5000));
    pieces.unshift('{"model":"m-fast","messages":[{"role":"user","content":"');
    const res = await request(gw.url + '/v1/chat/completions', {
      method: 'POST', body: pieces, headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_KEY}` },
    });
    assert.equal(res.status, 413, res.text);
    assertOpenAiError(res.json());
  });

  test('headers over the limit get 431', async () => {
    const res = await chat(gw, hello('m-fast'), { headers: { 'x-huge': 'y'.repeat(20000) } });
    await expectError(res, 431, 'headers_too_large');
    const many = Object.fromEntries(Array.from({ length: 400 }, (_, i) => [`x-h-${i}`, 'z'.repeat(60)]));
    await expectError(await chat(gw, hello('m-fast'), { headers: many }), 431, 'headers_too_large');
  });

  test('unknown route 404, wrong method 405', async () => {
    await expectError(await fetch(gw.url + '/v1/nothing-here'), 404, 'unknown_url');
    await expectError(await fetch(gw.url + '/'), 404, 'unknown_url');
    await expectError(await chat(gw, hello('m-fast'), { path: '/v1/chat/completions/extra' }), 404, 'unknown_url');
    await expectError(await fetch(gw.url + '/v1/chat/completions'), 405, 'method_not_allowed');
    await expectError(await fetch(gw.url + '/v1/chat/completions', { method: 'PUT', body: '{}' }), 405, 'method_not_allowed');
  });

  test('a query string does not change the route', async () => {
    const res = await chat(gw, hello('m-fast'), { path: '/v1/chat/completions?trace=1' });
    assert.equal(res.status, 200);
    await res.arrayBuffer();
  });

  test('garbage instead of HTTP gets a 400 and a closed connection', async () => {
    const got = await rawExchange(gw.port, 'THIS IS NOT HTTP\r\n\r\n');
    assert.match(got, /^HTTP\/1\.1 400/);
    assertOpenAiError(JSON.parse(got.slice(got.indexOf('\r\n\r\n') + 4)));
  });

  test('a seeded fuzz of request bytes: every answer is 200 or an OpenAI error, never a 5xx', async () => {
    const rnd = seededRandom(12345);
    const base = JSON.stringify({ ...hello('m-fast'), stream: false, max_tokens: 5, temperature: 0.5 });
    const statuses = new Map();
    for (let i = 0; i < 300; i++) {
      const chars = [...base];
      for (let k = 0; k <= rnd.int(4); k++) {
        const at = rnd.int(chars.length);
        const op = rnd.int(3);
        const junk = String.fromCharCode(rnd.int(128));
        if (op === 0) chars.splice(at, 1);
        else if (op === 1) chars.splice(at, 0, junk);
        else chars[at] = junk;
      }
      const sent = chars.join('');
      const res = await chat(gw, sent);
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      const text = await res.text();
      assert.ok(res.status < 500, `mutation ${i} got ${res.status}: ${sent} -> ${text}`);
      if (res.status === 200) continue;
      assert.match(res.headers.get('content-type') ?? '', /application\/json/, `mutation ${i}`);
      assertOpenAiError(JSON.parse(text));
    }
    assert.ok(statuses.size >= 2, `the fuzz should hit both answers and errors: ${[...statuses]}`);
  });

  test('a seeded structural fuzz: wrong types and values in every field', async () => {
    const rnd = seededRandom(777);
    const values = [null, true, false, 0, -1, 1.5, 1e308, '', 'x', 'm-fast', [], [1], {}, { role: 'user' },
      { role: 'user', content: 'x' }, { role: 'nope', content: 5 }, 'a'.repeat(3000), [[[[]]]]];
    const fields = ['model', 'messages', 'stream', 'stream_options', 'max_tokens', 'temperature', 'tools', 'n',
      'messages.0', 'messages.0.role', 'messages.0.content', 'messages.1', 'stream_options.include_usage'];
    for (let i = 0; i < 200; i++) {
      const body = { ...hello('m-fast'), messages: [{ role: 'user', content: 'x' }] };
      for (let k = 0; k <= rnd.int(3); k++) {
        const path = rnd.pick(fields).split('.');
        let target = body;
        for (const p of path.slice(0, -1)) {
          if (typeof target[p] !== 'object' || target[p] === null) target[p] = {};
          target = target[p];
        }
        if (rnd.int(6) === 0) delete target[path.at(-1)];
        else target[path.at(-1)] = rnd.pick(values);
      }
      const id = `sfuzz-${i}`;
      const res = await chat(gw, body, { headers: { 'x-request-id': id } });
      const text = await res.text();
      // A 5xx is the gateway's fault unless it came from the provider, which the gateway passes on (that the
      // simulator chokes on null optional fields is checked on its own below). The access log says which.
      let forwarded = false;
      if (res.status >= 500) {
        const line = await poll(() => gw.accessLog().find((l) => l.request_id === id), Boolean, 2000);
        forwarded = Boolean(line?.upstream);
      }
      assert.ok(res.status === 200 || (res.status >= 400 && (res.status < 500 || forwarded)),
        `case ${i} got ${res.status}: ${JSON.stringify(body)} -> ${text}`);
      if (res.status === 200) continue;
      assertOpenAiError(JSON.parse(text));
    }
  });

  test('optional fields set to null are treated as absent, end to end', async () => {
    const failed = [];
    const extras = ['stream', 'stream_options', 'max_tokens', 'temperature', 'tools', 'n'].map((f) => ({ [f]: null }));
    extras.push({ stream_options: { include_usage: null } }, { stream: true, stream_options: { include_usage: null } });
    for (const extra of extras) {
      const res = await chat(gw, { ...hello('m-fast'), ...extra });
      if (res.status !== 200) failed.push(`${JSON.stringify(extra)} -> ${res.status} ${await res.text()}`);
      else await res.arrayBuffer();
    }
    assert.deepEqual(failed, []);
  });

  test('random bytes on raw connections never bring it down', async () => {
    const rnd = seededRandom(99);
    const prefixes = ['', 'GET ', 'POST /v1/chat/completions HTTP/1.1\r\n', 'GET / HTTP/1.1\r\nHost: x\r\n',
      'POST /v1/chat/completions HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n'];
    const runs = Array.from({ length: 60 }, () => {
      const junk = Buffer.from(Array.from({ length: 1 + rnd.int(300) }, () => rnd.int(256)));
      return rawExchange(gw.port, Buffer.concat([Buffer.from(rnd.pick(prefixes)), junk]), 4000, { end: true });
    });
    for (const got of await Promise.all(runs)) {
      if (got === '') continue;
      assert.match(got, /^HTTP\/1\.1 (4\d\d|2\d\d)/, got.slice(0, 200));
    }
    await assertHealthy();
  });

  test('the daemon is still healthy after the barrage', assertHealthy);
});

describe('keys', () => {
  test('no key, a malformed header, and a wrong key get 401', async () => {
    await expectError(await chat(gw, hello('m-fast'), { key: null }), 401, 'missing_api_key');
    await expectError(await chat(gw, hello('m-fast'), { key: null, headers: { authorization: 'Basic abc' } }), 401,
      'missing_api_key');
    await expectError(await chat(gw, hello('m-fast'), { key: null, headers: { authorization: 'Bearer' } }), 401);
    await expectError(await chat(gw, hello('m-fast'), { key: 'sk-wrong' }), 401, 'invalid_api_key');
    await expectError(await chat(gw, hello('m-fast'), { key: `${TEST_KEY}x` }), 401, 'invalid_api_key');
    await expectError(await fetch(gw.url + '/v1/models'), 401, 'missing_api_key');
  });

  test('the key is checked before the body: a bad key with a bad body is 401', async () => {
    await expectError(await chat(gw, '{not json', { key: 'sk-wrong' }), 401, 'invalid_api_key');
  });
});

describe('upstream failures', () => {
  for (const status of [500, 429, 503]) {
    test(`an upstream ${status} is passed on with its status, whole and streamed`, async () => {
      await sim.withModel(`sim-e${status}`, { error_rate: 1, error_status: status }, async () => {
        await expectError(await chat(gw, hello(`m-e${status}`)), status);
        await expectError(await chat(gw, hello(`m-e${status}`, { stream: true })), status);
      });
    });
  }

  test("an upstream 401 or 403 is the gateway's own problem: 502", async () => {
    for (const status of [401, 403]) {
      await sim.withModel(`sim-e${status}`, { error_rate: 1, error_status: status }, async () => {
        await expectError(await chat(gw, hello(`m-e${status}`)), 502, 'upstream_auth_failed');
      });
    }
  });

  test('an unreachable provider gets 502 with a code', async () => {
    const body = await expectError(await chat(gw, hello('m-dead')), 502, 'upstream_unreachable');
    assert.ok(body.error.code);
    await expectError(await chat(gw, hello('m-dead', { stream: true })), 502, 'upstream_unreachable');
  });

  test('a provider that never answers gets 504 after the first-byte timeout, whole and streamed', async () => {
    await sim.withModel('sim-hang', { hang: true }, async () => {
      const started = Date.now();
      const [whole, streamed] = await Promise.all([
        chat(gw, hello('m-hang')), chat(gw, hello('m-hang', { stream: true }))]);
      const took = Date.now() - started;
      await expectError(whole, 504, 'upstream_timeout');
      await expectError(streamed, 504, 'upstream_timeout');
      assert.ok(took >= UPSTREAM_DEFAULTS.first_byte_timeout_ms - 100 && took < UPSTREAM_DEFAULTS.first_byte_timeout_ms + 2000,
        `timed out after ${took} ms`);
    });
  });

  test('an answer slower than total_timeout_ms gets 504', async () => {
    const TOTAL = 800;
    const short = await startGateway(gatewayConfig(sim.url, {
      upstream: { total_timeout_ms: TOTAL, first_byte_timeout_ms: 5000, idle_timeout_ms: 5000 },
      models: simModels('late'),
    }));
    try {
      await sim.withModel('sim-late', { latency_ms: 4000 }, async () => {
        const started = Date.now();
        const res = await chat(short, hello('m-late'));
        const took = Date.now() - started;
        await expectError(res, 504, 'upstream_timeout');
        assert.ok(took >= TOTAL - 100 && took < TOTAL + 2000, `timed out after ${took} ms (total timeout ${TOTAL} ms)`);
      });
    } finally {
      await short.stop();
    }
  });

  test('a stream that stalls mid-way ends with an error event after the idle timeout, no [DONE]', async () => {
    await sim.withModel('sim-stall', { tokens: 3, token_interval_ms: UPSTREAM_DEFAULTS.idle_timeout_ms + 3000 }, async () => {
      const res = await chat(gw, hello('m-stall', { stream: true }));
      assert.equal(res.status, 200);
      const events = await readEvents(res);
      assert.ok(!events.includes('[DONE]'), 'no [DONE]');
      assertOpenAiError(JSON.parse(events.at(-1)));
      assert.ok(events.length >= 2, 'the first chunk arrived before the stall');
    });
  });

  test('a stream cut mid-way ends with an error event and no [DONE]', async () => {
    await sim.withModel('sim-reset3', { reset_after_chunks: 3, tokens: 10 }, async () => {
      const res = await chat(gw, hello('m-reset3', { stream: true }));
      assert.equal(res.status, 200);
      const events = await readEvents(res);
      assert.ok(!events.includes('[DONE]'), 'no [DONE]');
      const last = JSON.parse(events.at(-1));
      assertOpenAiError(last);
      assert.ok(events.length >= 2, 'some chunks arrived before the cut');
      for (const e of events.slice(0, -1)) assert.equal(JSON.parse(e).object, 'chat.completion.chunk');
    });
  });

  test('a stream cut before its first chunk gets a plain error status', async () => {
    await sim.withModel('sim-reset0', { reset_after_chunks: 0 }, async () => {
      await expectError(await chat(gw, hello('m-reset0', { stream: true })), 502);
    });
  });

  test('the daemon is still healthy after all of it, and serves normally', async () => {
    await assertHealthy();
    const res = await chat(gw, hello('m-fast'));
    assert.equal(res.status, 200);
    await res.arrayBuffer();
  });
});
