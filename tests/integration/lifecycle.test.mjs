// The daemon's life: configuration checking, slow clients, and graceful shutdown.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { chat, GATEWAY_BIN, gatewayConfig, hello, readEvents, startGateway, startSim } from './harness.mjs';

let sim;
before(async () => {
  sim = await startSim();
});
after(async () => {
  await sim?.stop();
});

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
  const file = join(mkdtempSync(join(tmpdir(), 'gr-cfg-')), 'bad.yaml');
  writeFileSync(file, bad);

  test('--check-config reports every problem with its line and exits 1', () => {
    const run = spawnSync(GATEWAY_BIN, ['--check-config', file], { encoding: 'utf8' });
    assert.equal(run.status, 1);
    const lines = run.stderr.trim().split('\n');
    assert.ok(lines.some((l) => l === `${file}:3: server.wrokers: unknown key 'wrokers', did you mean 'workers'?`), run.stderr);
    assert.ok(lines.some((l) => l.startsWith(`${file}:5: upstream.connect_timeout_ms: expected an integer`)), run.stderr);
    assert.ok(lines.some((l) => l.startsWith(`${file}:7: providers[0].api_key_env: environment variable NOT_SET_VAR_X`)), run.stderr);
    assert.ok(lines.some((l) => l.startsWith(`${file}:10: models[1].id: duplicate model id 'm'`)), run.stderr);
  });

  test('the daemon refuses to start on it, with the same messages', () => {
    const run = spawnSync(GATEWAY_BIN, ['--config', file], { encoding: 'utf8', timeout: 5000 });
    assert.notEqual(run.status, 0);
    assert.match(run.stderr, /server\.wrokers: unknown key/);
  });

  test('--check-config accepts the shipped configuration', () => {
    const run = spawnSync(GATEWAY_BIN, ['--check-config', new URL('../../config/gaterouter.yaml', import.meta.url).pathname], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /OK \(9 provider\(s\), 45 model\(s\)\)/);
  });

  test('--help and --version', () => {
    assert.match(spawnSync(GATEWAY_BIN, ['--help'], { encoding: 'utf8' }).stdout, /--check-config/);
    assert.match(spawnSync(GATEWAY_BIN, ['--version'], { encoding: 'utf8' }).stdout, /^gaterouter \d+\.\d+\.\d+/);
    assert.equal(spawnSync(GATEWAY_BIN, ['--bogus'], { encoding: 'utf8' }).status, 2);
  });
});

describe('slow clients', () => {
  test('a client that stalls mid-request is cut off after the read timeout; others are served meanwhile', async () => {
    const gw = await startGateway(gatewayConfig(sim.url));
    try {
      const socket = net.connect(gw.port, '127.0.0.1');
      await new Promise((r) => socket.once('connect', r));
      const closed = new Promise((r) => socket.once('close', () => r(Date.now())));
      socket.on('error', () => {});
      const start = Date.now();
      socket.write('POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Le');
      const res = await fetch(gw.url + '/healthz');
      assert.equal(res.status, 200);
      const at = await closed;
      assert.ok(at - start >= 1000 && at - start < 5000, `closed after ${at - start} ms (read timeout 1500 ms)`);
    } finally {
      await gw.stop();
    }
  });
});

describe('graceful shutdown', () => {
  test('SIGTERM lets a stream in flight finish, refuses new connections, and exits 0', async () => {
    const gw = await startGateway(gatewayConfig(sim.url));
    await sim.setModel('sim-slow', { tokens: 10, token_interval_ms: 100 });
    try {
      const res = await chat(gw, hello('m-slow', { stream: true }));
      assert.equal(res.status, 200);
      const events = readEvents(res);
      await new Promise((r) => setTimeout(r, 150));
      gw.proc.kill('SIGTERM');
      await new Promise((r) => setTimeout(r, 100));
      await assert.rejects(fetch(gw.url + '/healthz'), 'new connections are refused while draining');
      const got = await events;
      assert.equal(got.at(-1), '[DONE]', 'the stream in flight completed');
      assert.equal(await gw.exited(), 0);
    } finally {
      await gw.stop();
    }
  });
});
