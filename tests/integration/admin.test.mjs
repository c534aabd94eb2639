// The admin API on its own listener (keys, budgets, spend reports, the test clock), GET /v1/usage and the budget
// alert webhook, against the real gateway with a ledger, the simulator upstream and a fake wall clock.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe } from 'node:test';

import {
  assertOpenAiError, chat, expectError, gatewayConfig, hello, poll, sha256, startGateway, startSim, tempFile, test,
  TEST_KEY,
} from './harness.mjs';

const ADMIN_TOKEN = 'admin-token-9d1c7e2b4a6f8035c3e1a7b94f20d6e8';
const NOW = Date.UTC(2025, 0, 15, 12); // the gateway's fake wall clock: 15 January 2025, noon UTC
const DAY = 24 * 3600 * 1000;
const CFG_KEY = 'sk-admin-config-key-1b2c3d4e5f60'; // a config key, revoked through the admin API
const SOON_KEY = 'sk-admin-soon-key-aa11bb22cc33dd'; // expires 2025-01-16: the clock is moved past it
const OLD_KEY = 'sk-admin-old-key-99887766554433'; // expired 2025-01-10, before the fake clock's now

// The gateway logs the admin listener first; the harness takes the first "listening on" line for the gateway.
// Both are read from the log here.
async function endpoints(gw) {
  const logs = await poll(() => gw.logs.err, (t) => /gaterouter \S+ listening on/.test(t) && /admin API listening/.test(t));
  const main = logs.match(/gaterouter \S+ listening on http:\/\/[^\s:]+:(\d+)/);
  const admin = logs.match(/admin API listening on http:\/\/[^\s:]+:(\d+)/);
  assert.ok(main && admin, `both listeners logged:\n${logs}`);
  gw.url = `http://127.0.0.1:${main[1]}`;
  gw.port = Number(main[1]);
  return `http://127.0.0.1:${admin[1]}`;
}

// A webhook receiver that records the alerts posted to it.
function startHook() {
  const received = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      received.push({ method: req.method, url: req.url, type: req.headers['content-type'], body: JSON.parse(body) });
      res.writeHead(204);
      res.end();
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({
    url: `http://127.0.0.1:${server.address().port}/hooks/budget`, received, close: () => server.close(),
  })));
}

let sim;
let gw;
let adminUrl;
let hook;
const issued = []; // every key the admin API gave out: none may show in the logs

before(async () => {
  sim = await startSim();
  hook = await startHook();
  const ledger = tempFile('ledger.db', '');
  gw = await startGateway(`${gatewayConfig(sim.url)}
  - { name: cfg, team: web, sha256: "${sha256(CFG_KEY)}" }
  - { name: soon, sha256: "${sha256(SOON_KEY)}", expires: "2025-01-16" }
  - { name: old, sha256: "${sha256(OLD_KEY)}", expires: "2025-01-10" }
ledger: { path: "${ledger}" }
admin: { listen: "127.0.0.1:0", token_env: GR_TEST_ADMIN_TOKEN }
alerts: { webhook_url: "${hook.url}" }
budgets:
  - { name: everything, scope: global, period: month, limit_usd: 1000, hard: false }
  - { name: alerting, scope: { key: cfg }, period: day, limit_usd: 0.000001, hard: false, alert_at: [0.5] }
`, { args: ['--fake-clock', String(NOW)], env: { GR_TEST_ADMIN_TOKEN: ADMIN_TOKEN } });
  adminUrl = await endpoints(gw);
});
after(async () => {
  await gw?.stop();
  await sim?.stop();
  hook?.close();
});

function admin(method, path, body, { token = ADMIN_TOKEN } = {}) {
  return fetch(adminUrl + path, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body === undefined ? undefined : (typeof body === 'string' ? body : JSON.stringify(body)),
  });
}

async function adminJson(method, path, body, status = 200) {
  const res = await admin(method, path, body);
  const text = await res.text();
  assert.equal(res.status, status, `${method} ${path}: ${text}`);
  return JSON.parse(text);
}

const usage = (key) => fetch(`${gw.url}/v1/usage`, { headers: key ? { authorization: `Bearer ${key}` } : {} });

// What a chat answer cost in nano-USD: m-fast is priced 1 and 2 USD per million prompt and completion tokens.
async function chatCost(key, model = 'm-fast') {
  const res = await chat(gw, hello(model), { key });
  const text = await res.text();
  assert.equal(res.status, 200, text);
  const { usage: u } = JSON.parse(text);
  return u.prompt_tokens * 1000 + u.completion_tokens * 2000;
}

async function createKey(body) {
  const created = await adminJson('POST', '/admin/v1/keys', body, 201);
  issued.push(created.key);
  return created;
}

describe('the admin token', () => {
  const routes = [
    ['GET', '/admin/v1/keys'], ['POST', '/admin/v1/keys', { name: 'x' }], ['GET', '/admin/v1/keys/cfg'],
    ['PATCH', '/admin/v1/keys/cfg', { team: 'x' }], ['DELETE', '/admin/v1/keys/cfg'], ['POST', '/admin/v1/keys/cfg/revoke'],
    ['GET', '/admin/v1/budgets'], ['POST', '/admin/v1/budgets', { name: 'x', limit_usd: 1 }],
    ['GET', '/admin/v1/budgets/everything'], ['PATCH', '/admin/v1/budgets/everything', { limit_usd: 1 }],
    ['DELETE', '/admin/v1/budgets/everything'], ['GET', '/admin/v1/spend'], ['GET', '/admin/v1/spend?format=csv'],
    ['POST', '/admin/v1/clock', { advance_ms: DAY * 365 }], ['GET', '/admin/v1/nothing-here'], ['PUT', '/'],
  ];

  test('every route answers 401 without it, with a wrong one, or with another scheme', async () => {
    for (const [method, path, body] of routes) {
      for (const token of [null, 'wrong-token', ADMIN_TOKEN.slice(0, -1), `${ADMIN_TOKEN}x`, TEST_KEY]) {
        const res = await admin(method, path, body, { token });
        const text = await res.text();
        assert.equal(res.status, 401, `${method} ${path} with ${token}: ${text}`);
        const err = JSON.parse(text);
        assertOpenAiError(err);
        assert.equal(err.error.code, 'invalid_admin_token');
      }
      const basic = await fetch(adminUrl + path, { method, headers: { authorization: `Basic ${ADMIN_TOKEN}` } });
      assert.equal(basic.status, 401, `${method} ${path} Basic`);
    }
    // Nothing above changed anything.
    const keys = await adminJson('GET', '/admin/v1/keys');
    assert.ok(keys.data.find((k) => k.name === 'cfg').revoked === null);
    assert.ok((await adminJson('GET', '/admin/v1/budgets')).data.some((b) => b.name === 'everything'));
  });

  test('the admin API is not on the public listener, nor the public API on the admin one', async () => {
    const res = await fetch(`${gw.url}/admin/v1/keys`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    await expectError(res, 404);
    await expectError(await admin('GET', '/admin/v1/unknown'), 404, 'unknown_url');
  });
});

describe('keys', () => {
  test('create → use → listed without the key → revoke → 401 at once on every worker', async () => {
    const created = await createKey({ name: 'frontend', team: 'web', allowed_models: ['m-fast', 'm-same'],
      policy: 'cost' });
    assert.match(created.key, /^sk-gr-[A-Za-z0-9_-]{43}$/);
    assert.equal(created.name, 'frontend');
    assert.equal(created.team, 'web');
    assert.equal(created.source, 'admin');
    assert.equal(created.status, 'active');
    assert.deepEqual(created.allowed_models, ['m-fast', 'm-same']);
    assert.equal(created.policy, 'cost');
    assert.equal(created.created, '2025-01-15T12:00:00Z', 'created at the gateway\'s (fake) now');

    for (let i = 0; i < 4; i++) assert.equal((await chat(gw, hello('m-fast'), { key: created.key })).status, 200);
    await expectError(await chat(gw, hello('m-claude'), { key: created.key }), 403, 'model_not_allowed');

    const list = await adminJson('GET', '/admin/v1/keys');
    assert.ok(!JSON.stringify(list).includes(created.key), 'the listing never shows a key');
    const listed = list.data.find((k) => k.name === 'frontend');
    const { key: _shownOnce, ...withoutKey } = created;
    assert.deepEqual(listed, withoutKey);
    assert.equal(list.data.find((k) => k.name === 'cfg').source, 'config');
    assert.equal(list.data.find((k) => k.name === 'old').status, 'expired');
    assert.equal(list.data.find((k) => k.name === 'test').created, null, 'config keys have no creation time');

    const revoked = await adminJson('POST', '/admin/v1/keys/frontend/revoke');
    assert.equal(revoked.status, 'revoked');
    assert.equal(revoked.revoked, '2025-01-15T12:00:00Z');
    // Two workers, fresh connections: whichever takes the request refuses it.
    for (let i = 0; i < 6; i++) {
      const body = await expectError(await chat(gw, hello('m-fast'), { key: created.key }), 401, 'invalid_api_key');
      assert.match(body.error.message, /revoked/);
    }
  });

  test('DELETE revokes too; PATCH changes a key in force at once', async () => {
    const k = await createKey({ name: 'patchme' });
    assert.equal((await chat(gw, hello('m-claude'), { key: k.key })).status, 200);
    const patched = await adminJson('PATCH', '/admin/v1/keys/patchme', { allowed_models: ['m-fast'], team: 'ops' });
    assert.deepEqual(patched.allowed_models, ['m-fast']);
    assert.equal(patched.team, 'ops');
    await expectError(await chat(gw, hello('m-claude'), { key: k.key }), 403, 'model_not_allowed');
    assert.equal((await chat(gw, hello('m-fast'), { key: k.key })).status, 200);
    const gone = await adminJson('DELETE', '/admin/v1/keys/patchme');
    assert.equal(gone.status, 'revoked');
    await expectError(await chat(gw, hello('m-fast'), { key: k.key }), 401, 'invalid_api_key');
  });

  test('a key from the config file can be revoked', async () => {
    // Spend with it first: the alert test below reads this.
    assert.equal((await chat(gw, hello('m-fast'), { key: CFG_KEY })).status, 200);
    const revoked = await adminJson('POST', '/admin/v1/keys/cfg/revoke');
    assert.equal(revoked.source, 'config');
    assert.equal(revoked.status, 'revoked');
    await expectError(await chat(gw, hello('m-fast'), { key: CFG_KEY }), 401, 'invalid_api_key');
    assert.equal((await chat(gw, hello('m-fast'))).status, 200, 'the other config keys still work');
  });

  test('a key past its expiry (by the gateway\'s clock) gets 401', async () => {
    const body = await expectError(await chat(gw, hello('m-fast'), { key: OLD_KEY }), 401, 'invalid_api_key');
    assert.match(body.error.message, /expired/);
  });

  test('a key issued at run time takes limits from its first request; PATCH changes them; bad ones are 400', async () => {
    const k = await createKey({ name: 'limited', limits: { rpm: 2 }, timeouts: { total_ms: 30000 },
      queue: { max_depth: 0 } });
    assert.deepEqual(k.limits, { rpm: 2 });
    assert.deepEqual(k.timeouts, { total_ms: 30000 });
    assert.deepEqual(k.queue, { max_depth: 0 });
    const statuses = [];
    for (let i = 0; i < 3; i++) {
      const res = await chat(gw, hello('m-fast'), { key: k.key });
      statuses.push(res.status);
      if (i === 0) assert.equal(res.headers.get('x-ratelimit-limit-requests'), '2');
      await res.text();
    }
    assert.deepEqual(statuses, [200, 200, 429]);
    const patched = await adminJson('PATCH', '/admin/v1/keys/limited', { limits: { rpm: 100 } });
    assert.deepEqual(patched.limits, { rpm: 100 });
    const res = await chat(gw, hello('m-fast'), { key: k.key });
    assert.equal(res.headers.get('x-ratelimit-limit-requests'), '100');
    await res.text();
    for (const [limits, param] of [[{ rpm: 0 }, 'limits.rpm'], [{ rmp: 5 }, 'limits.rmp'], [5, 'limits']]) {
      await expectError(await admin('POST', '/admin/v1/keys', { name: 'badlimits', limits }), 400, undefined, param);
    }
  });

  test('refusals: bad fields 400 naming the field, duplicates 409, unknown names 404', async () => {
    for (const [body, param] of [
      [{}, 'name'], [{ name: 'has space' }, 'name'], [{ name: 'x', expires: 'tomorrow' }, 'expires'],
      [{ name: 'x', allowed_models: 'm-fast' }, 'allowed_models'], [{ name: 'x', policy: 'cheapest' }, 'policy'],
      [{ name: 'x', team: 5 }, 'team'], [{ name: 'x', colour: 'red' }, 'colour'],
    ]) {
      await expectError(await admin('POST', '/admin/v1/keys', body), 400, undefined, param);
    }
    await expectError(await admin('POST', '/admin/v1/keys', 'not json'), 400, 'invalid_json');
    await expectError(await admin('POST', '/admin/v1/keys', { name: 'test' }), 409, 'key_exists');
    await expectError(await admin('POST', '/admin/v1/keys/nobody/revoke'), 404, 'key_not_found');
    await expectError(await admin('PATCH', '/admin/v1/keys/nobody', { team: 'x' }), 404, 'key_not_found');
  });
});

describe('budgets', () => {
  test('create, list with spend, change, refuse over a hard limit, delete', async () => {
    const k = await createKey({ name: 'budgeted', team: 'data' });
    const created = await adminJson('POST', '/admin/v1/budgets',
      { name: 'data-team', scope: { team: 'data' }, period: 'day', limit_usd: 5, alert_at: [0.9, 0.5] }, 201);
    assert.deepEqual(created.scope, { team: 'data' });
    assert.equal(created.period, 'day');
    assert.equal(created.limit_usd, 5);
    assert.equal(created.hard, true);
    assert.deepEqual(created.alert_at, [0.5, 0.9]);
    assert.equal(created.spent_usd, 0);
    assert.equal(created.remaining_usd, 5);
    assert.equal(created.window.start, '2025-01-15T00:00:00Z');
    assert.equal(created.window.end, '2025-01-16T00:00:00Z');
    assert.equal(created.source, 'admin');

    let cost = 0;
    for (let i = 0; i < 3; i++) cost += await chatCost(k.key);
    const listed = (await adminJson('GET', '/admin/v1/budgets')).data.find((b) => b.name === 'data-team');
    assert.equal(listed.spent_nano_usd, cost);
    assert.equal(listed.reserved_usd, 0);
    assert.ok(Math.abs(listed.remaining_usd - (5 - cost / 1e9)) < 1e-9, JSON.stringify(listed));

    const patched = await adminJson('PATCH', '/admin/v1/budgets/data-team', { limit_usd: 0.000001 });
    assert.equal(patched.limit_usd, 0.000001);
    assert.equal(patched.spent_nano_usd, cost, 'a changed budget starts from the ledger\'s total');
    await expectError(await chat(gw, hello('m-fast'), { key: k.key }), 429, 'budget_exceeded');
    assert.equal((await chat(gw, hello('m-fast'))).status, 200, 'other teams are not held back');

    const deleted = await adminJson('DELETE', '/admin/v1/budgets/data-team');
    assert.equal(deleted.deleted, true);
    assert.equal((await chat(gw, hello('m-fast'), { key: k.key })).status, 200);
    await expectError(await admin('GET', '/admin/v1/budgets/data-team'), 404, 'budget_not_found');
    await expectError(await admin('DELETE', '/admin/v1/budgets/data-team'), 404, 'budget_not_found');
  });

  test('scopes: key+model, task; config budgets say so', async () => {
    const pair = await adminJson('POST', '/admin/v1/budgets',
      { name: 'pair', scope: { key: 'budgeted', model: 'm-fast' }, period: 'total', limit_usd: 1, hard: false }, 201);
    assert.deepEqual(pair.scope, { key: 'budgeted', model: 'm-fast' });
    assert.equal(pair.window.start, null);
    assert.equal(pair.window.end, null);
    const task = await adminJson('POST', '/admin/v1/budgets',
      { name: 'code', scope: { task: 'code' }, period: 'month', limit_usd: 2, utc_offset_minutes: 60 }, 201);
    assert.equal(task.window.start, '2025-01-01T00:00:00+01:00');
    const all = (await adminJson('GET', '/admin/v1/budgets')).data;
    assert.equal(all.find((b) => b.name === 'everything').source, 'config');
    assert.equal(all.find((b) => b.name === 'everything').scope, 'global');
    await adminJson('DELETE', '/admin/v1/budgets/pair');
    await adminJson('DELETE', '/admin/v1/budgets/code');
  });

  test('refusals name the field', async () => {
    for (const [body, param] of [
      [{ limit_usd: 1 }, 'name'], [{ name: 'b' }, 'limit_usd'], [{ name: 'b', limit_usd: -1 }, 'limit_usd'],
      [{ name: 'b', limit_usd: '5' }, 'limit_usd'], [{ name: 'b', limit_usd: 1, period: 'week' }, 'period'],
      [{ name: 'b', limit_usd: 1, scope: 'everyone' }, 'scope'], [{ name: 'b', limit_usd: 1, scope: { team: 'a', key: 'b' } }, 'scope'],
      [{ name: 'b', limit_usd: 1, scope: { task: 'gardening' } }, 'scope'], [{ name: 'b', limit_usd: 1, hard: 'yes' }, 'hard'],
      [{ name: 'b', limit_usd: 1, alert_at: [0] }, 'alert_at'], [{ name: 'b', limit_usd: 1, utc_offset_minutes: 900 }, 'utc_offset_minutes'],
      [{ name: 'b', limit_usd: 1, colour: 'red' }, 'colour'],
    ]) {
      await expectError(await admin('POST', '/admin/v1/budgets', body), 400, undefined, param);
    }
    await expectError(await admin('POST', '/admin/v1/budgets', { name: 'everything', limit_usd: 1 }), 409, 'budget_exists');
    await expectError(await admin('PATCH', '/admin/v1/budgets/everything', { period: 'year' }), 400, undefined, 'period');
  });

  test('an alert crossing its threshold is posted to the webhook', async () => {
    // The `alerting` budget covers key cfg (limit one micro-dollar, alert at half): its one request crossed it.
    const alerts = await poll(() => hook.received, (r) => r.some((a) => a.body.budget === 'alerting'), 5000);
    const alert = alerts.find((a) => a.body.budget === 'alerting');
    assert.ok(alert, `alerts received: ${JSON.stringify(alerts)}`);
    assert.equal(alert.method, 'POST');
    assert.equal(alert.url, '/hooks/budget');
    assert.match(alert.type, /application\/json/);
    assert.equal(alert.body.threshold, 0.5);
    assert.equal(alert.body.hard, false);
    assert.equal(alert.body.limit_usd, 0.000001);
    assert.ok(alert.body.spent_usd > 0.0000005);
    assert.equal(alert.body.window_start, '2025-01-15T00:00:00Z');
    assert.equal(alert.body.window_end, '2025-01-16T00:00:00Z');
  });
});

describe('spend reports and usage', () => {
  test('JSON and CSV reports add up to what the requests cost', async () => {
    const k = await createKey({ name: 'reporter', team: 'finance' });
    let cost = 0;
    for (let i = 0; i < 5; i++) cost += await chatCost(k.key);

    const json = await adminJson('GET', '/admin/v1/spend?group_by=key,model&from=2025-01-15&to=2025-01-16');
    assert.deepEqual(json.group_by, ['key', 'model']);
    const mine = json.rows.filter((r) => r.key === 'reporter');
    assert.equal(mine.length, 1);
    assert.equal(mine[0].model, 'm-fast');
    assert.equal(mine[0].requests, 5);
    assert.equal(mine[0].cost_nano_usd, cost);
    assert.equal(json.total.cost_nano_usd, json.rows.reduce((s, r) => s + r.cost_nano_usd, 0));

    const res = await admin('GET', '/admin/v1/spend?group_by=team&format=csv');
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type'), /text\/csv/);
    const lines = (await res.text()).trim().split(/\r\n/);
    const header = lines[0].split(',');
    assert.equal(header[0], 'team');
    const nano = header.indexOf('cost_nano_usd');
    const usd = header.indexOf('cost_usd');
    assert.ok(nano > 0 && usd > 0, lines[0]);
    const finance = lines.slice(1).map((l) => l.split(',')).find((cells) => cells[0] === 'finance');
    assert.equal(Number(finance[nano]), cost);
    assert.equal(Math.round(Number(finance[usd]) * 1e9), cost);
    const csvTotal = lines.slice(1).reduce((s, l) => s + Number(l.split(',')[nano]), 0);
    const all = await adminJson('GET', '/admin/v1/spend');
    assert.equal(csvTotal, all.total.cost_nano_usd, 'CSV and JSON agree on the whole ledger');

    const before = await adminJson('GET', '/admin/v1/spend?to=2025-01-15');
    assert.equal(before.total.requests, 0, 'nothing before the fake clock\'s day');
    for (const q of ['group_by=colour', 'from=yesterday', 'format=xml', 'utc_offset_minutes=abc', 'bogus=1']) {
      await expectError(await admin('GET', `/admin/v1/spend?${q}`), 400);
    }
  });

  test('GET /v1/usage: the caller\'s own spend and the budgets that cover it', async () => {
    const k = await createKey({ name: 'user1', team: 'research' });
    await adminJson('POST', '/admin/v1/budgets',
      { name: 'research', scope: { team: 'research' }, period: 'day', limit_usd: 3 }, 201);
    await adminJson('POST', '/admin/v1/budgets', { name: 'user1-own', scope: { key: 'user1' }, period: 'month', limit_usd: 2 }, 201);
    await adminJson('POST', '/admin/v1/budgets', { name: 'other-team', scope: { team: 'elsewhere' }, limit_usd: 2 }, 201);
    let cost = 0;
    for (let i = 0; i < 2; i++) cost += await chatCost(k.key);

    const res = await usage(k.key);
    assert.equal(res.status, 200);
    assert.ok(res.headers.get('x-request-id'));
    const u = await res.json();
    assert.equal(u.key, 'user1');
    assert.equal(u.team, 'research');
    assert.equal(u.spend.today_nano_usd, cost);
    assert.equal(u.spend.this_month_nano_usd, cost);
    assert.equal(u.spend.total_nano_usd, cost);
    assert.ok(Math.abs(u.spend.today - cost / 1e9) < 1e-12);
    const names = u.budgets.map((b) => b.name).sort();
    assert.deepEqual(names, ['everything', 'research', 'user1-own']);
    const team = u.budgets.find((b) => b.name === 'research');
    assert.equal(team.spent_nano_usd, cost);
    assert.ok(Math.abs(team.remaining_usd - (3 - cost / 1e9)) < 1e-9);
    assert.ok(!JSON.stringify(u).includes(k.key));

    await expectError(await usage(null), 401, 'missing_api_key');
    await expectError(await usage('sk-nobody-0000000000'), 401, 'invalid_api_key');
    await expectError(await fetch(`${gw.url}/v1/usage`, { method: 'POST', headers: { authorization: `Bearer ${k.key}` } }), 405);

    // The next day: today starts again at zero, the month and the total keep the spend.
    const moved = await adminJson('POST', '/admin/v1/clock', { advance_ms: DAY });
    assert.equal(moved.now_ms, NOW + DAY);
    const next = await (await usage(k.key)).json();
    assert.equal(next.spend.today_nano_usd, 0);
    assert.equal(next.spend.this_month_nano_usd, cost);
    assert.equal(next.spend.total_nano_usd, cost);
    const research = next.budgets.find((b) => b.name === 'research');
    assert.equal(research.spent_usd, 0);
    assert.equal(research.window.start, '2025-01-16T00:00:00Z');
  });

  test('moving the clock past a key\'s expiry refuses it from then on', async () => {
    // The clock is at 2025-01-16T12:00Z now (moved by the test above); `soon` expired at midnight.
    await expectError(await chat(gw, hello('m-fast'), { key: SOON_KEY }), 401, 'invalid_api_key');
    await adminJson('POST', '/admin/v1/clock', { now_ms: NOW });
    assert.equal((await chat(gw, hello('m-fast'), { key: SOON_KEY })).status, 200, 'back before its expiry');
    await expectError(await admin('POST', '/admin/v1/clock', {}), 400, undefined, 'advance_ms');
    await expectError(await admin('POST', '/admin/v1/clock', { advance_ms: -5 }), 400, undefined, 'advance_ms');
  });
});

describe('secrets', () => {
  test('no issued key and not the admin token ever appears in the gateway\'s output', async () => {
    assert.ok(issued.length >= 5);
    const output = gw.logs.out + gw.logs.err;
    for (const key of issued) assert.ok(!output.includes(key), `key ${key.slice(0, 10)}… leaked to the logs`);
    assert.ok(!output.includes(ADMIN_TOKEN), 'the admin token leaked to the logs');
    assert.ok(!output.includes(CFG_KEY));
    assert.match(gw.logs.err, /admin: issued key 'frontend'/);
  });
});

describe('without a ledger', () => {
  test('keys, budgets, spend and /v1/usage answer 503; the clock 404 without --fake-clock', async () => {
    const plain = await startGateway(`${gatewayConfig(sim.url)}
admin: { listen: "127.0.0.1:0", token_env: GR_TEST_ADMIN_TOKEN }
`, { env: { GR_TEST_ADMIN_TOKEN: ADMIN_TOKEN } });
    try {
      const url = await endpoints(plain);
      const call = (method, path, body) => fetch(url + path, {
        method, headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      for (const [method, path, body] of [['GET', '/admin/v1/keys'], ['POST', '/admin/v1/keys', { name: 'x' }],
        ['POST', '/admin/v1/keys/test/revoke'], ['GET', '/admin/v1/budgets'],
        ['POST', '/admin/v1/budgets', { name: 'x', limit_usd: 1 }], ['GET', '/admin/v1/spend']]) {
        const err = await expectError(await call(method, path, body), 503, 'ledger_not_configured');
        assert.match(err.error.message, /ledger/);
      }
      await expectError(await call('POST', '/admin/v1/clock', { advance_ms: 1 }), 404);
      const res = await fetch(`${plain.url}/v1/usage`, { headers: { authorization: `Bearer ${TEST_KEY}` } });
      await expectError(res, 503, 'ledger_not_configured');
    } finally {
      await plain.stop();
    }
  });
});
