// The daemon's life: configuration checking, slow and idle clients, and graceful shutdown.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe } from 'node:test';

import {
  chat, connectionRefused, GATEWAY_BIN, gatewayConfig, hello, parseEvents, poll, rawClient, rawRequest,
  simModels, startGateway, startSim, streamedText, tempFile, test,
} from './harness.mjs';

// The simulator is configured from a file here: a slow model for the shutdown tests.
let sim;
before(async () => {
  sim = await startSim(`defaults:
  tokens: 16
models:
  sim-slow: { tokens: 10, token_interval_ms: 100 }
  sim-longer: { tokens: 40, token_interval_ms: 100 }
`);
});
after(async () => {
  await sim?.stop();
});

const run = (args, opts = {}) => spawnSync(GATEWAY_BIN, args, { encoding: 'utf8', timeout: 10000, ...opts });

describe('configuration', () => {
  const bad = `server:
  listen: "127.0.0.1:0"
  wrokers: 2
upstream:
  connect_timeout_ms: soon
providers:
  - { name: p, kind: openai, base_url: "http://127.0.0.1:1/v1", api_key_env: NOT_SET_VAR_X }
models:
  - { id: m, provider: p }
  - { id: m, provider: p }
`;
  const file = tempFile('bad.yaml', bad);

  test('--check-config reports every problem with its line and exits 1', () => {
    const env = { ...process.env };
    delete env.NOT_SET_VAR_X;
    const r = run(['--check-config', file], { env });
    assert.equal(r.status, 1, r.stderr);
    const lines = r.stderr.trim().split('\n');
    for (const l of lines) assert.match(l, /^.+:\d+: \S+: .+$/, `not <file>:<line>: <path>: <message>: ${l}`);
    const has = (prefix) => assert.ok(lines.some((l) => l.startsWith(prefix)), `no '${prefix}...' in:\n${r.stderr}`);
    has(`${file}:3: server.wrokers: unknown key`);
    has(`${file}:5: upstream.connect_timeout_ms: `);
    has(`${file}:7: providers[0].api_key_env: `);
    has(`${file}:10: models[1].id: `);
    assert.match(r.stderr, /wrokers[^\n]*did you mean 'workers'/);
    assert.match(r.stderr, /connect_timeout_ms: [^\n]*integer/);
    assert.match(r.stderr, /api_key_env: [^\n]*NOT_SET_VAR_X/);
    assert.match(r.stderr, /models\[1\]\.id: [^\n]*duplicate/);
    assert.equal(r.stdout.includes('OK'), false);
  });

  test('the daemon refuses to start on it, with the same messages', () => {
    const r = run(['--config', file]);
    assert.equal(r.error, undefined, 'it exited by itself');
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /server\.wrokers: unknown key/);
    assert.match(r.stderr, /models\[1\]\.id/);
    assert.doesNotMatch(r.stderr, /listening on/);
  });

  test('a YAML syntax error is reported with its line', () => {
    const broken = tempFile('broken.yaml', 'server:\n  listen: "127.0.0.1:0"\n  workers: [1, 2\nlog: { level: info }\n');
    const r = run(['--check-config', broken]);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`^${broken.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+: `, 'm'));
  });

  test('a missing file is a problem, not a crash', () => {
    const r = run(['--check-config', '/nonexistent/gaterouter-test.yaml']);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /gaterouter-test\.yaml/);
  });

  test('--check-config accepts a valid file and the shipped configuration', () => {
    const good = tempFile('good.yaml', gatewayConfig('http://127.0.0.1:1'));
    let r = run(['--check-config', good]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /OK/);
    r = run(['--check-config', new URL('../../config/gaterouter.yaml', import.meta.url).pathname]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /OK/);
  });

  test('--help and --version exit 0; an unknown argument does not', () => {
    let r = run(['--help']);
    assert.equal(r.status, 0);
    assert.match(r.stdout, /--check-config/);
    r = run(['--version']);
    assert.equal(r.status, 0);
    assert.match(r.stdout, /^gaterouter \d+\.\d+\.\d+/);
    r = run(['--bogus']);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /bogus/);
  });
});

describe('slow and idle clients', () => {
  const IDLE_MS = 700;
  const READ_MS = 1500;
  let gw;
  before(async () => {
    gw = await startGateway(gatewayConfig(sim.url, { server: { idle_timeout_ms: IDLE_MS, read_timeout_ms: READ_MS } }));
  });
  after(async () => {
    await gw?.stop();
  });

  test('stalled and trickling requests are cut off after the read timeout, idle ones after the idle timeout; '
    + 'others are served meanwhile', async () => {
    const start = Date.now();
    const halfLine = await rawClient(gw.port);
    halfLine.write('POST /v1/chat/compl');

    const trickle = await rawClient(gw.port);
    const header = rawRequest('GET', '/healthz', { headers: { 'x-pad': 'p'.repeat(200) } });
    let sent = 0;
    const trickleTimer = setInterval(() => {
      if (trickle.isClosed || sent >= header.length - 4) return;
      trickle.write(header[sent++]);
    }, 100);

    const silent = await rawClient(gw.port);

    const keptAlive = await rawClient(gw.port);
    keptAlive.write(rawRequest('GET', '/healthz'));
    await keptAlive.until(/\{"status":"ok"\}/, 3000);
    const keptAliveIdleFrom = Date.now();

    try {
      // Served meanwhile, on other connections.
      const health = await fetch(gw.url + '/healthz');
      assert.equal(health.status, 200);
      const res = await chat(gw, hello('m-fast'));
      assert.equal(res.status, 200);
      await res.arrayBuffer();
      assert.equal(halfLine.isClosed, false, 'the stalled client is still waiting while others are served');

      const [halfAt, trickleAt, silentAt, keptAt] = await Promise.all(
        [halfLine.closed, trickle.closed, silent.closed, keptAlive.closed]);
      const within = (at, from, lo, hi, what) =>
        assert.ok(at - from >= lo && at - from < hi, `${what} closed after ${at - from} ms (expected ${lo}..${hi})`);
      within(halfAt, start, READ_MS - 200, READ_MS + 2000, 'half a request line');
      within(trickleAt, start, READ_MS - 200, READ_MS + 2000, 'a request trickling a byte every 100 ms');
      within(silentAt, start, IDLE_MS - 200, IDLE_MS + 2000, 'a connection that never sends');
      within(keptAt, keptAliveIdleFrom, IDLE_MS - 200, IDLE_MS + 2000, 'an idle keep-alive connection');
      assert.doesNotMatch(halfLine.text(), /^HTTP\/1\.1 2/);
      assert.doesNotMatch(trickle.text(), /^HTTP\/1\.1 2/, 'the trickled request was not served');
    } finally {
      clearInterval(trickleTimer);
      for (const c of [halfLine, trickle, silent, keptAlive]) c.destroy();
    }
    const after = await fetch(gw.url + '/healthz');
    assert.equal(after.status, 200);
  });
});

describe('graceful shutdown', () => {
  // Starts a stream of `model` and resolves once its first content chunk is in: { reader, text }.
  async function startStream(gw, model) {
    const res = await chat(gw, hello(model, { stream: true }));
    assert.equal(res.status, 200);
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    const state = { reader, text: '' };
    while (!/tok1\b/.test(state.text)) {
      const { value, done } = await reader.read();
      assert.ok(!done, 'the stream ended before its first token');
      state.text += decoder.decode(value, { stream: true });
    }
    state.rest = (async () => {
      for (;;) {
        const { value, done } = await reader.read().catch(() => ({ done: true }));
        if (done) return state.text;
        state.text += decoder.decode(value, { stream: true });
      }
    })();
    return state;
  }

  test('SIGTERM lets a stream in flight finish, refuses new connections, closes idle ones, and exits 0', async () => {
    const gw = await startGateway(gatewayConfig(sim.url, { server: { shutdown_grace_ms: 5000 } }));
    try {
      const idle = await rawClient(gw.port);
      idle.write(rawRequest('GET', '/readyz'));
      await idle.until(/\{"status":"ready"\}/, 3000);
      const stream = await startStream(gw, 'm-slow');

      const killedAt = Date.now();
      gw.proc.kill('SIGTERM');
      const refused = await poll(() => connectionRefused(gw.port), Boolean, 2000);
      assert.ok(refused, 'new connections are refused while draining');
      const idleClosedAt = await idle.closed;
      assert.ok(idleClosedAt - killedAt < 1000, `the idle keep-alive connection was closed after ${idleClosedAt - killedAt} ms`);
      assert.doesNotMatch(idle.text().slice(idle.text().indexOf('{"status":"ready"}') + 18), /HTTP\/1\.1 200/);

      const events = parseEvents(await stream.rest);
      assert.equal(events.at(-1), '[DONE]', 'the stream in flight completed');
      assert.match(streamedText(events.slice(0, -1).map((e) => JSON.parse(e))), /tok9 tok10$/);
      assert.equal(await gw.exited(), 0);
      assert.ok(Date.now() - killedAt < 5000, 'it did not wait out the whole grace period');
      assert.match(gw.logs.err, /shut|drain|stop/i);
    } finally {
      await gw.stop();
    }
  });

  test('with nothing in flight it exits at once, on SIGTERM and on SIGINT', async () => {
    for (const signal of ['SIGTERM', 'SIGINT']) {
      const gw = await startGateway(gatewayConfig(sim.url, { server: { shutdown_grace_ms: 5000 } }));
      const idle = await rawClient(gw.port);
      try {
        idle.write(rawRequest('GET', '/healthz'));
        await idle.until(/\{"status":"ok"\}/, 3000);
        const killedAt = Date.now();
        gw.proc.kill(signal);
        assert.equal(await gw.exited(), 0, signal);
        assert.ok(Date.now() - killedAt < 2000, `${signal}: exited after ${Date.now() - killedAt} ms with only an idle connection`);
      } finally {
        idle.destroy();
        await gw.stop();
      }
    }
  });

  test('a stream longer than the grace period is cut when the grace ends; the exit code is still 0', async () => {
    const GRACE = 1000;
    const gw = await startGateway(gatewayConfig(sim.url, { server: { shutdown_grace_ms: GRACE },
      models: simModels('longer') }));
    try {
      const stream = await startStream(gw, 'm-longer');
      const killedAt = Date.now();
      gw.proc.kill('SIGTERM');
      assert.equal(await gw.exited(), 0);
      const took = Date.now() - killedAt;
      assert.ok(took >= GRACE - 100 && took < GRACE + 2000, `exited ${took} ms after SIGTERM (grace ${GRACE} ms)`);
      const events = parseEvents(await stream.rest);
      assert.ok(!events.includes('[DONE]'), 'the cut stream does not pretend to be complete');
      const stats = await poll(sim.stats, (s) => s.active_streams === 0, 3000);
      assert.equal(stats.active_streams, 0, 'the upstream stream was closed too');
    } finally {
      await gw.stop();
    }
  });
});
