// Descriptor exhaustion (issue 15): connections that never send a byte are closed after
// server.first_byte_timeout_ms, and the connections open at once are capped in all (server.max_connections) and
// per client address (server.max_connections_per_address), shared by every worker. A connection over a cap is
// reset at once; the refusals are logged at most once per few seconds, with their counts.
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { after, before } from 'node:test';

import { gatewayConfig, poll, rawRequest, startGateway, startSim, test } from './harness.mjs';

const PER_ADDRESS = 20;
const TOTAL = 30;
const FIRST_BYTE_MS = 1000;

let sim;
let gw;
before(async () => {
  sim = await startSim();
  // Two workers, each with its own acceptor: the caps hold for both together.
  gw = await startGateway(gatewayConfig(sim.url, {
    server: { workers: 2, max_connections: TOTAL, max_connections_per_address: PER_ADDRESS,
      first_byte_timeout_ms: FIRST_BYTE_MS, idle_timeout_ms: 5000 },
    log: { access_log: false },
  }));
});
after(async () => {
  await gw?.stop();
  await sim?.stop();
});

// A connection from `localAddress` that sends nothing: { openedAt, closed } (closed: a promise of the time it
// closed). Resolves once it is connected or, refused, closed.
function idle(localAddress) {
  const openedAt = Date.now();
  const socket = net.connect({ port: gw.port, host: '127.0.0.1', localAddress });
  socket.on('error', () => {});
  const closed = new Promise((r) => socket.once('close', () => r(Date.now())));
  return new Promise((resolve) => {
    socket.once('connect', () => resolve({ openedAt, closed }));
    closed.then(() => resolve({ openedAt, closed }));
  });
}

async function idleMany(n, localAddress) {
  const out = [];
  for (let i = 0; i < n; i++) out.push(await idle(localAddress));
  return out;
}

// GET /healthz on a new connection from `localAddress`: { status, ms } or { error, ms }, once the connection is
// closed (so that the gateway has given its place back).
function health(localAddress) {
  const started = Date.now();
  return new Promise((resolve) => {
    let outcome;
    const req = http.request({ host: '127.0.0.1', port: gw.port, path: '/healthz', localAddress, agent: false,
      headers: { connection: 'close' } }, (res) => {
      res.resume();
      res.on('end', () => (outcome = { status: res.statusCode, ms: Date.now() - started }));
    });
    req.on('socket', (socket) => socket.once('close', () => resolve(outcome ?? { error: 'closed', ms: Date.now() - started })));
    req.setTimeout(5000, () => req.destroy(new Error('no answer within 5 s')));
    req.on('error', (e) => (outcome ??= { error: e.code ?? e.message, ms: Date.now() - started }));
    req.end();
  });
}

// How long each connection lived, once all have closed.
const lifetimes = async (conns) => Promise.all(conns.map(async (c) => (await c.closed) - c.openedAt));

// Resolves once `n` of `conns` have closed, or after `ms`; returns how many have.
async function closedCount(conns, n, ms) {
  const done = conns.map(() => false);
  conns.forEach((c, i) => c.closed.then(() => (done[i] = true)));
  const count = () => done.filter(Boolean).length;
  return poll(count, (k) => k >= n, ms, 10);
}

test('per address: the connections over the cap are reset at once, the rest closed after the first-byte timeout', async () => {
  const conns = await idleMany(PER_ADDRESS + 5, '127.0.0.1');
  // Once the five over the cap are reset, the gateway has accepted all 25 and holds 20 (each worker accepts on
  // its own, so until then a later connection could be accepted before an earlier one).
  assert.equal(await closedCount(conns, 5, FIRST_BYTE_MS / 2), 5, 'five were reset at once');
  // While they are held: the same address is refused, another one is served at once.
  const refused = await health('127.0.0.1');
  assert.ok(refused.error, `a request from the full address was refused: ${JSON.stringify(refused)}`);
  const other = await health('127.0.0.2');
  assert.equal(other.status, 200);
  assert.ok(other.ms < 1000, `another address was served in ${other.ms} ms`);

  const lived = await lifetimes(conns);
  const reset = lived.filter((ms) => ms < FIRST_BYTE_MS / 2);
  const timedOut = lived.filter((ms) => ms >= FIRST_BYTE_MS - 200 && ms < FIRST_BYTE_MS + 2000);
  assert.equal(reset.length, 5, `reset at once: ${lived}`);
  assert.equal(timedOut.length, PER_ADDRESS, `closed after the first-byte timeout: ${lived}`);
  console.log(`# reset after ${Math.max(...reset)} ms at most; idle ones closed after ${Math.min(...timedOut)}..`
    + `${Math.max(...timedOut)} ms; another address served in ${other.ms} ms`);

  // Once they are gone the address is served again, promptly.
  const again = await health('127.0.0.1');
  assert.equal(again.status, 200);
  assert.ok(again.ms < 1000, `served again in ${again.ms} ms`);
});

test('in all: once max_connections are open, a new connection from any address is reset', async () => {
  const conns = [...await idleMany(PER_ADDRESS, '127.0.0.1'), ...await idleMany(TOTAL - PER_ADDRESS, '127.0.0.2'),
    await idle('127.0.0.3')];
  assert.equal(await closedCount(conns, 1, FIRST_BYTE_MS / 2), 1, 'the one over the total was reset at once');
  const refused = await health('127.0.0.3');
  assert.ok(refused.error, `over the total: ${JSON.stringify(refused)}`);
  const lived = await lifetimes(conns);
  assert.equal(lived.filter((ms) => ms >= FIRST_BYTE_MS - 200).length, TOTAL, `${TOTAL} were held: ${lived}`);
  const again = await health('127.0.0.3');
  assert.equal(again.status, 200);
});

test('the first-byte timeout is for new connections only: a kept-alive one waits for idle_timeout_ms', async () => {
  const socket = net.connect(gw.port, '127.0.0.1');
  socket.on('error', () => {});
  let got = '';
  socket.on('data', (d) => (got += d));
  await new Promise((r) => {
    socket.once('connect', r);
    socket.once('close', r);
  });
  try {
    socket.write(rawRequest('GET', '/healthz'));
    await poll(() => got, (t) => /\{"status":"ok"\}/.test(t), 3000);
    await new Promise((r) => setTimeout(r, FIRST_BYTE_MS + 500));
    assert.ok(!socket.destroyed, 'still open after the first-byte timeout');
    socket.write(rawRequest('GET', '/healthz'));
    const both = await poll(() => got, (t) => (t.match(/\{"status":"ok"\}/g) ?? []).length === 2, 3000);
    assert.equal((both.match(/HTTP\/1\.1 200/g) ?? []).length, 2, both);
  } finally {
    socket.destroy();
  }
});

test('refusals are logged at most once per few seconds, with counts that add up', async () => {
  // The tests above refused 5 + 1 connections over the per-address cap, and 1 + 1 over the total.
  const lines = () => [...gw.logs.err.matchAll(/refused (\d+) new connection\(s\) at server\.max_connections \(30\) and (\d+) at server\.max_connections_per_address \(20\)/g)];
  const sum = (ls) => ls.reduce((acc, m) => [acc[0] + Number(m[1]), acc[1] + Number(m[2])], [0, 0]);
  // Refusals that came soon after a report are reported once the interval has passed, without a new refusal.
  const reported = await poll(lines, (ls) => sum(ls)[0] === 2 && sum(ls)[1] === 6, 8000, 100);
  assert.deepEqual(sum(reported), [2, 6], gw.logs.err);
  assert.ok(reported.length <= 3, `${reported.length} report lines for 8 refusals in a few seconds:\n${gw.logs.err}`);
});
