// The gateway's own surface: health and readiness, the model list, request ids, the access log, and what goes
// upstream in the way of credentials.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe } from 'node:test';

import { chat, expectError, gatewayConfig, hello, poll, startGateway, startSim, test, TEST_KEY } from './harness.mjs';

const PROVIDER_SECRET = 'sk-provider-secret-5f1e2d3c';

let sim;
let gw;
before(async () => {
  sim = await startSim();
  gw = await startGateway(gatewayConfig(sim.url, {
    providers: `  - { name: sim-keyed, kind: openai, base_url: "${sim.url}/v1", api_key_env: GR_TEST_PROVIDER_KEY }`,
    models: '  - { id: m-keyed, provider: sim-keyed, upstream_model: sim-keyed }',
  }), { env: { GR_TEST_PROVIDER_KEY: PROVIDER_SECRET } });
});
afterEach(() => gw?.assertAlive());
after(async () => {
  await gw?.stop();
  await sim?.stop();
});

const get = (path, { key = TEST_KEY, headers = {} } = {}) =>
  fetch(gw.url + path, { headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...headers } });

describe('health', () => {
  test('/healthz and /readyz answer without a key', async () => {
    for (const [path, body] of [['/healthz', { status: 'ok' }], ['/readyz', { status: 'ready' }]]) {
      const res = await get(path, { key: null });
      assert.equal(res.status, 200, path);
      assert.match(res.headers.get('content-type'), /application\/json/);
      assert.ok(res.headers.get('x-request-id'), `${path}: x-request-id`);
      assert.match(res.headers.get('x-gaterouter-overhead-us') ?? '', /^\d+$/, `${path}: x-gaterouter-overhead-us`);
      assert.deepEqual(await res.json(), body);
    }
  });

  test('wrong methods on them get 405', async () => {
    await expectError(await fetch(gw.url + '/healthz', { method: 'POST', body: '{}' }), 405, 'method_not_allowed');
    await expectError(await fetch(gw.url + '/readyz', { method: 'DELETE' }), 405, 'method_not_allowed');
    await expectError(await fetch(gw.url + '/v1/models', { method: 'POST', body: '{}' }), 405, 'method_not_allowed');
  });
});

describe('GET /v1/models', () => {
  test('lists the configured models with their gaterouter details', async () => {
    const res = await get('/v1/models');
    assert.equal(res.status, 200);
    assert.ok(res.headers.get('x-request-id'));
    assert.match(res.headers.get('x-gaterouter-overhead-us') ?? '', /^\d+$/);
    const body = await res.json();
    assert.equal(body.object, 'list');
    const ids = body.data.map((m) => m.id);
    for (const id of ['m-fast', 'm-same', 'm-dead', 'm-keyed']) assert.ok(ids.includes(id), `${id} listed`);
    assert.equal(new Set(ids).size, ids.length, 'no duplicates');
    for (const m of body.data) {
      assert.equal(m.object, 'model');
      assert.equal(typeof m.owned_by, 'string');
      assert.equal(typeof m.gaterouter, 'object');
      for (const k of ['provider', 'upstream_model', 'input_price_per_mtok', 'output_price_per_mtok', 'context_window']) {
        assert.ok(k in m.gaterouter, `${m.id}: gaterouter.${k}`);
      }
    }
    const fast = body.data.find((m) => m.id === 'm-fast');
    assert.equal(fast.gaterouter.provider, 'sim');
    assert.equal(fast.gaterouter.upstream_model, 'sim-fast');
    assert.equal(fast.gaterouter.input_price_per_mtok, 1);
    assert.equal(fast.gaterouter.output_price_per_mtok, 2);
    assert.equal(fast.gaterouter.context_window, 8000);
    const same = body.data.find((m) => m.id === 'm-same');
    assert.equal(same.gaterouter.upstream_model, 'm-same', 'upstream_model defaults to the id');
    assert.equal(body.data.find((m) => m.id === 'm-dead').gaterouter.provider, 'dead');
  });

  test('needs the key', async () => {
    await expectError(await get('/v1/models', { key: null }), 401, 'missing_api_key');
    await expectError(await get('/v1/models', { key: 'sk-not-the-key' }), 401, 'invalid_api_key');
  });
});

describe('request ids', () => {
  test("the client's sane id is kept, on answers and errors alike", async () => {
    for (const id of ['abc', 'trace-0123:span.9_x', 'A'.repeat(100)]) {
      const ok = await chat(gw, hello('m-fast'), { headers: { 'x-request-id': id } });
      assert.equal(ok.headers.get('x-request-id'), id);
      await ok.arrayBuffer();
      const bad = await chat(gw, hello('no-such-model'), { headers: { 'x-request-id': id } });
      assert.equal(bad.headers.get('x-request-id'), id);
      await bad.arrayBuffer();
    }
    const routeless = await fetch(gw.url + '/nope', { headers: { 'x-request-id': 'lost-1' } });
    assert.equal(routeless.headers.get('x-request-id'), 'lost-1');
    await routeless.arrayBuffer();
  });

  test('an insane id is replaced by one of its own, and a missing one is made up, unique per request', async () => {
    const seen = new Set();
    for (const id of [undefined, undefined, 'x'.repeat(300), 'has space', 'quote"and<angle>', 'semi;colon']) {
      const res = await chat(gw, hello('m-fast'), { headers: id === undefined ? {} : { 'x-request-id': id } });
      assert.equal(res.status, 200);
      await res.arrayBuffer();
      const got = res.headers.get('x-request-id');
      assert.ok(got, 'an id is always sent');
      assert.notEqual(got, id);
      assert.match(got, /^[A-Za-z0-9._:-]{1,128}$/);
      assert.equal((await sim.lastRequest()).headers['x-request-id'], got, 'the upstream sees the same id');
      seen.add(got);
    }
    assert.equal(seen.size, 6, 'ids are unique');
  });
});

describe('access log', () => {
  const findLines = (id) => gw.accessLog().filter((l) => l.request_id === id);

  test('one JSON line per request on stdout with every field', async () => {
    const body = JSON.stringify(hello('m-fast'));
    const res = await chat(gw, body, { headers: { 'x-request-id': 'log-ok-1' } });
    assert.equal(res.status, 200);
    const answer = await res.arrayBuffer();
    const lines = await poll(() => findLines('log-ok-1'), (l) => l.length > 0, 3000);
    assert.equal(lines.length, 1, `access log for log-ok-1:\n${gw.logs.out}`);
    const line = lines[0];
    for (const k of ['time', 'request_id', 'method', 'path', 'status', 'model', 'upstream', 'latency_us', 'ttfb_us',
      'overhead_us', 'bytes_in', 'bytes_out']) {
      assert.ok(k in line, `access log lacks '${k}': ${JSON.stringify(line)}`);
    }
    assert.ok(!Number.isNaN(Date.parse(line.time)), `time: ${line.time}`);
    assert.equal(line.method, 'POST');
    assert.equal(line.path, '/v1/chat/completions');
    assert.equal(line.status, 200);
    assert.equal(line.model, 'm-fast');
    assert.equal(line.upstream, 'sim');
    assert.equal(line.bytes_in, Buffer.byteLength(body));
    assert.ok(line.bytes_out >= answer.byteLength, `bytes_out ${line.bytes_out} < body ${answer.byteLength}`);
    for (const k of ['latency_us', 'ttfb_us', 'overhead_us']) assert.ok(Number.isInteger(line[k]) && line[k] >= 0, k);
    assert.ok(line.overhead_us <= line.latency_us && line.ttfb_us <= line.latency_us);
    assert.ok(line.error === undefined || line.error === null, 'no error on a success');
  });

  test('errors are logged with their code, rejected requests too', async () => {
    await (await chat(gw, hello('no-such-model'), { headers: { 'x-request-id': 'log-err-1' } })).arrayBuffer();
    await (await chat(gw, hello('m-fast'), { key: null, headers: { 'x-request-id': 'log-err-2' } })).arrayBuffer();
    await (await fetch(gw.url + '/v1/unknown', { headers: { 'x-request-id': 'log-err-3' } })).arrayBuffer();
    const expected = { 'log-err-1': [404, 'model_not_found'], 'log-err-2': [401, 'missing_api_key'],
      'log-err-3': [404, 'unknown_url'] };
    await poll(() => Object.keys(expected).map(findLines), (all) => all.every((l) => l.length > 0), 3000);
    for (const [id, [status, code]] of Object.entries(expected)) {
      const lines = findLines(id);
      assert.equal(lines.length, 1, `one line for ${id}:\n${gw.logs.out}`);
      assert.equal(lines[0].status, status, id);
      assert.equal(lines[0].error, code, id);
    }
  });

  test('stdout holds nothing but access log lines, stderr none', async () => {
    await poll(() => gw.logs.out, (out) => out.includes('log-err-3'), 3000);
    for (const l of gw.logs.out.split('\n').filter((x) => x.trim())) {
      assert.doesNotThrow(() => JSON.parse(l), `not JSON on stdout: ${l}`);
    }
    assert.ok(!gw.logs.err.includes('"request_id":"log-ok-1"'), 'access lines do not go to stderr');
  });
});

describe('credentials', () => {
  test('a provider with api_key_env gets its own key, never the client key', async () => {
    const res = await chat(gw, hello('m-keyed'));
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-gaterouter-provider'), 'sim-keyed');
    assert.match((await res.json()).choices[0].message.content, /^sim:sim-keyed /);
    const last = await sim.lastRequest();
    assert.equal(last.headers['authorization'], `Bearer ${PROVIDER_SECRET}`);
  });

  test('neither key reaches the logs', async () => {
    await (await chat(gw, hello('m-keyed', { stream: true }))).arrayBuffer();
    await (await chat(gw, hello('m-fast'), { key: 'sk-wrong-secret-value' })).arrayBuffer();
    await poll(() => gw.logs.out, (o) => o.split('\n').length > 3, 1000);
    for (const secret of [TEST_KEY, PROVIDER_SECRET, 'sk-wrong-secret-value']) {
      assert.ok(!gw.logs.out.includes(secret) && !gw.logs.err.includes(secret), `${secret} in the logs`);
    }
  });
});

describe('without api_keys', () => {
  test('the gateway is open: no key needed for chat or the model list', async () => {
    const open = await startGateway(gatewayConfig(sim.url, { keys: false }));
    try {
      const res = await chat(open, hello('m-fast'), { key: null });
      assert.equal(res.status, 200);
      await res.arrayBuffer();
      const models = await fetch(open.url + '/v1/models');
      assert.equal(models.status, 200);
      assert.ok((await models.json()).data.some((m) => m.id === 'm-fast'));
      assert.equal((await sim.lastRequest()).headers['authorization'], undefined);
    } finally {
      await open.stop();
    }
  });
});
