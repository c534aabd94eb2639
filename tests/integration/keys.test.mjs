// Client API keys against the real gateway: a wrong or missing key gets OpenAI's 401; a key past its `expires`
// (by the gateway's wall clock, here --fake-clock) gets a 401 that says it expired; a key with `allowed_models`
// gets 403 model_not_allowed for any other model it names, and `auto` routes only among its models; no key string
// ever appears in the gateway's output (access log on stdout, log on stderr).
import assert from 'node:assert/strict';
import { after, before, describe } from 'node:test';

import {
  assertOpenAiError, chat, expectError, gatewayConfig, sha256, startGateway, startSim, test,
} from './harness.mjs';

const NOW = Date.UTC(2030, 0, 1); // the gateway's fake wall clock: 1 January 2030, later than the real one
const keys = {
  plain: 'sk-keys-plain-4f1c9a0b7e2d6385',
  expired: 'sk-keys-expired-b2e81f0a9c3d4756', // expires 2029-06-01: past for the gateway, future for the machine
  expiresNow: 'sk-keys-expires-now-77aa0e19c4', // expires exactly at the gateway's now: already invalid
  later: 'sk-keys-later-0d3e5a6b8c9f1e2a', // expires 2030-01-01T00:00:01Z: still valid
  narrow: 'sk-keys-narrow-93c0e4d2a1b5f678', // allowed_models: [m-fast]
  pair: 'sk-keys-pair-5e6f7a8b9c0d1e2f', // allowed_models: [m-fast, m-claude]
};
const wrongKey = 'sk-keys-wrong-aaaaaaaaaaaaaaaa';

let sim;
let gw;
before(async () => {
  sim = await startSim();
  gw = await startGateway(`${gatewayConfig(sim.url, { keys: false })}
api_keys:
  - { name: plain, sha256: "${sha256(keys.plain)}" }
  - { name: expired, sha256: "${sha256(keys.expired)}", expires: "2029-06-01" }
  - { name: expires-now, sha256: "${sha256(keys.expiresNow)}", expires: "2030-01-01T00:00:00Z" }
  - { name: later, sha256: "${sha256(keys.later)}", expires: "2030-01-01T00:00:01Z" }
  - { name: narrow, sha256: "${sha256(keys.narrow)}", allowed_models: [m-fast] }
  - { name: pair, team: pairs, sha256: "${sha256(keys.pair)}", allowed_models: [m-fast, m-claude] }
`, { args: ['--fake-clock', String(NOW), '--log-level', 'debug'] });
});
after(async () => {
  await gw?.stop();
  await sim?.stop();
});

const hi = (model, extra = {}) => ({ model, messages: [{ role: 'user', content: 'Hello there' }], ...extra });

describe('authentication', () => {
  test('a wrong key: 401 invalid_api_key, OpenAI-shaped, with WWW-Authenticate', async () => {
    const res = await chat(gw, hi('m-fast'), { key: wrongKey });
    assert.equal(res.headers.get('www-authenticate'), 'Bearer');
    const body = await expectError(res, 401, 'invalid_api_key');
    assert.equal(body.error.type, 'invalid_request_error');
    assert.doesNotMatch(body.error.message, /expired|revoked/);
    assert.ok(!JSON.stringify(body).includes(wrongKey), 'the error does not echo the key');
  });

  test('no key, an empty bearer, another scheme, a key differing in one character: 401', async () => {
    for (const headers of [{}, { authorization: 'Bearer ' }, { authorization: `Basic ${keys.plain}` },
      { authorization: `Bearer ${keys.plain.slice(0, -1)}x` }, { authorization: `Bearer ${keys.plain}x` }]) {
      const res = await chat(gw, hi('m-fast'), { key: null, headers });
      const text = await res.text();
      assert.equal(res.status, 401, `${JSON.stringify(headers)}: ${text}`);
      assertOpenAiError(JSON.parse(text));
    }
  });

  test('the right key: 200', async () => {
    const res = await chat(gw, hi('m-fast'), { key: keys.plain });
    assert.equal(res.status, 200, await res.clone().text());
    await res.json();
  });

  test('a key past its expiry by the gateway\'s clock: 401 that says it expired, on every endpoint', async () => {
    for (const key of [keys.expired, keys.expiresNow]) {
      const body = await expectError(await chat(gw, hi('m-fast'), { key }), 401, 'invalid_api_key');
      assert.match(body.error.message, /expired/);
      const explain = await expectError(await chat(gw, hi('auto'), { key, path: '/v1/route/explain' }), 401);
      assert.match(explain.error.message, /expired/);
      const emb = await expectError(await chat(gw, { model: 'm-embed', input: 'x' }, { key, path: '/v1/embeddings' }), 401);
      assert.match(emb.error.message, /expired/);
    }
  });

  test('a key that expires a second after the gateway\'s now still works (the fake clock decides, not the machine\'s)', async () => {
    const res = await chat(gw, hi('m-fast'), { key: keys.later });
    assert.equal(res.status, 200, await res.clone().text());
    await res.json();
  });
});

describe('allowed models', () => {
  test('a restricted key naming another model: 403 model_not_allowed, param model', async () => {
    for (const model of ['m-claude', 'm-gemini', 'm-same']) {
      const body = await expectError(await chat(gw, hi(model), { key: keys.narrow }), 403, 'model_not_allowed', 'model');
      assert.equal(body.error.type, 'permission_error');
      assert.match(body.error.message, new RegExp(model));
    }
    const pair = await expectError(await chat(gw, hi('m-gemini'), { key: keys.pair }), 403, 'model_not_allowed', 'model');
    assert.match(pair.error.message, /m-gemini/);
    // An unknown model is still a 404, not a 403.
    await expectError(await chat(gw, hi('no-such-model'), { key: keys.narrow }), 404);
  });

  test('a restricted key naming its own model: 200 from that model', async () => {
    const res = await chat(gw, hi('m-fast'), { key: keys.narrow });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-gaterouter-model'), 'm-fast');
    await res.json();
    const claude = await chat(gw, hi('m-claude'), { key: keys.pair });
    assert.equal(claude.status, 200);
    await claude.json();
  });

  const prompts = [
    'Hello there',
    'Translate into German: the train leaves at nine tomorrow morning.',
    'Write a Python function that merges two sorted lists.',
    'Prove that the square root of two is irrational.',
    'Summarize the plot of Hamlet in three sentences.',
    'Write a short poem about autumn leaves.',
    'Is this review positive or negative? "The food was cold and the waiter rude."',
    'What is 17 * 23?',
  ];

  test('auto routes only within the key\'s models, whatever the task (served and explained)', async () => {
    for (const [key, allowed] of [[keys.narrow, ['m-fast']], [keys.pair, ['m-fast', 'm-claude']]]) {
      for (const content of prompts) {
        const body = { model: 'auto', messages: [{ role: 'user', content }] };
        const res = await chat(gw, body, { key });
        const text = await res.text();
        assert.equal(res.status, 200, `${content}: ${text}`);
        assert.ok(allowed.includes(res.headers.get('x-gaterouter-model')),
          `'${content}' went to ${res.headers.get('x-gaterouter-model')}, outside ${allowed}`);
        const explain = await (await chat(gw, body, { key, path: '/v1/route/explain' })).json();
        for (const c of explain.candidates) assert.ok(allowed.includes(c.model), `candidate ${c.model} for ${allowed}`);
      }
    }
  });

  test('a request cannot widen its key\'s models with its own allow list', async () => {
    const res = await chat(gw, hi('auto', { gaterouter: { allow: ['m-claude'] } }), { key: keys.narrow });
    const text = await res.text();
    assert.ok(res.status === 400 || res.status === 403, `${res.status}: ${text}`);
    assert.ok(res.headers.get('x-gaterouter-model') !== 'm-claude');
  });

  test('a restricted key on /v1/embeddings: a model outside its list is refused', async () => {
    await expectError(await chat(gw, { model: 'm-embed', input: 'hello' }, { key: keys.narrow, path: '/v1/embeddings' }), 403, 'model_not_allowed');
  });
});

test('no key string ever appears in the gateway\'s output (access log and debug log)', async () => {
  // Every key has been used above, the wrong one too; once more, with a stream, so that every path has seen one.
  const res = await chat(gw, hi('m-fast', { stream: true }), { key: keys.pair });
  await res.text();
  await (await chat(gw, hi('m-fast'), { key: wrongKey })).text();
  const output = gw.logs.out + gw.logs.err;
  assert.ok(gw.logs.out.length > 0, 'the access log was written');
  for (const key of [...Object.values(keys), wrongKey]) {
    assert.ok(!output.includes(key), `the key ${key.slice(0, 12)}… appears in the output`);
    // Nor a telling part of it (the secret tail).
    assert.ok(!output.includes(key.slice(-12)), `the tail of ${key.slice(0, 12)}… appears in the output`);
  }
  // The access log has a line per request, none with an authorization value in it.
  const lines = gw.logs.out.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
  assert.ok(lines.length >= 20, `access log lines: ${lines.length}`);
  assert.ok(lines.every((l) => !/Bearer/i.test(JSON.stringify(l))));
});
