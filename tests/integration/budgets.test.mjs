// Budgets on the request path, against the real gateway, the real simulator and the real SQLite ledger: a hard
// budget is never overshot by concurrent requests and refuses nothing it has room for; every scope (key, team,
// model, task, key × model) refuses only what it covers; day and month windows open again when the (fake) clock
// crosses midnight or the month's end; streamed answers are charged the usage the upstream reported, also when the
// client did not ask for it; a stream the client abandons is charged for what it got; soft budgets never refuse.
//
// Money is in nano-USD throughout (the ledger's unit): a price of 1 USD per million tokens is 1 000 nano-USD per
// token. The models here cost 1 $/Mtok in and 2 $/Mtok out, so a request's maximum (what it reserves) is
// max_prompt_tokens × 1 000 + n × max_tokens × 2 000, and its real cost prompt × 1 000 + completion × 2 000.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { after, before, describe } from 'node:test';
import { promisify } from 'node:util';

import {
  GATEWAY_BIN, chat, expectError, gatewayConfig, ledgerSettled, parseEvents, poll, request, sha256, startSim, tempFile,
  test,
} from './harness.mjs';

// ---------------------------------------------------------------------------------------------------------------
// Helpers of this file.

const IN_NANO = 1000; // nano-USD per prompt token at 1 $/Mtok
const OUT_NANO = 2000; // nano-USD per completion token at 2 $/Mtok
const ADMIN_TOKEN_ENV = 'GR_BUDGETS_TEST_ADMIN_TOKEN';
const ADMIN_TOKEN = 'adm-budgets-test-5b0c1d2e7f8a9b0c1d2e3f4a';

// The gateway's prompt estimate and the bound a reservation holds (src/openai/chat_request.cpp): four bytes of raw
// JSON content (quotes included) a token, or one token a byte for the bound; four tokens a message, three more;
// checked against /v1/route/explain before they are relied on.
const contentBytes = (messages) => messages.reduce((n, m) => n + Buffer.byteLength(JSON.stringify(m.content)), 0);
const estimateTokens = (messages) => Math.floor((contentBytes(messages) + 3) / 4) + 4 * messages.length + 3;
const maxPromptTokens = (messages) => contentBytes(messages) + 4 * messages.length + 3;
const maxCost = (messages, maxTokens, n = 1) => maxPromptTokens(messages) * IN_NANO + n * maxTokens * OUT_NANO;
const usd = (nano) => nano / 1e9;

const children = new Set();
process.once('exit', () => {
  for (const p of children) p.kill('SIGKILL');
});

// The running gateway of each ledger file, for sql() to wait on.
const gatewayOn = new Map();

// Starts the gateway with its own config file and waits for the line that names its port, and, when the config
// has an admin listener, for the admin listener's line too. Returns { url, admin, proc, logs, stop(), kill() }.
async function startGw(configText, { args = [], env = {} } = {}) {
  const path = tempFile('gaterouter.yaml', configText);
  const proc = spawn(GATEWAY_BIN, ['--config', path, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, [ADMIN_TOKEN_ENV]: ADMIN_TOKEN, ...env },
  });
  children.add(proc);
  proc.once('exit', () => children.delete(proc));
  const logs = { out: '', err: '' };
  proc.stdout.on('data', (d) => (logs.out += d));
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gaterouter did not start in 10 s:\n${logs.err}`)), 10000);
    proc.stderr.on('data', (d) => {
      logs.err += d;
      const m = logs.err.match(/gaterouter \S+ listening on (http:\/\/\S+)/);
      if (m && (!/^admin:/m.test(configText) || /admin API listening on/.test(logs.err))) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    proc.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`gaterouter exited (${code ?? signal}) before it was ready:\n${logs.err}`));
    });
  });
  const admin = logs.err.match(/admin API listening on (http:\/\/\S+)/)?.[1];
  const ledger = configText.match(/^ledger: \{ path: "([^"]+)"/m)?.[1];
  const exited = () => new Promise((r) => (proc.exitCode !== null || proc.signalCode !== null ? r() : proc.once('exit', r)));
  const gw = {
    url: `http://127.0.0.1:${new URL(url).port}`,
    admin: admin && `http://127.0.0.1:${new URL(admin).port}`,
    proc,
    logs,
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 6000);
      await exited();
      clearTimeout(t);
    },
  };
  if (ledger) {
    gatewayOn.set(ledger, gw);
    proc.once('exit', () => gatewayOn.get(ledger) === gw && gatewayOn.delete(ledger));
  }
  return gw;
}

// Rows of a query on the ledger, read with Python's sqlite3 (the ledger is in WAL mode: readers never block the
// gateway's writer), once the gateway running on that ledger, if any, has moved every row on record into its
// tables.
const execFileP = promisify(execFile);
const SQL_PY = `
import json, sqlite3, sys
c = sqlite3.connect(sys.argv[1], timeout=10)
c.row_factory = sqlite3.Row
print(json.dumps([dict(r) for r in c.execute(sys.argv[2], json.loads(sys.argv[3]))]))
c.close()
`;
async function sql(db, query, params = []) {
  const gw = gatewayOn.get(db);
  if (gw) await ledgerSettled(gw);
  const { stdout } = await execFileP('python3', ['-c', SQL_PY, db, query, JSON.stringify(params)]);
  return JSON.parse(stdout);
}
const rowOf = async (db, id) => (await sql(db, 'SELECT * FROM requests WHERE request_id = ?', [id]))[0];
const spentBy = async (db, where = '1', params = []) =>
  (await sql(db, `SELECT COALESCE(SUM(cost_nano_usd), 0) AS s FROM requests WHERE ${where}`, params))[0].s;

// A bearer key per name, and its api_keys entry.
const keyOf = (name) => `sk-budgets-${name}-0123456789abcdef`;
const keyEntry = (name, extra = '') => `  - { name: ${name}, sha256: "${sha256(keyOf(name))}"${extra} }`;

const priced = (id, sim = `sim-${id.slice(2)}`) =>
  `  - { id: ${id}, provider: sim, upstream_model: ${sim}, input_price_per_mtok: 1, output_price_per_mtok: 2, context_window: 2000000000, capabilities: [tools, json, streaming] }`;

// The whole configuration: the harness's simulator providers and models, priced models of this file, a ledger,
// budgets (YAML list items) and keys (names, or [name, extra YAML] pairs).
function config(simUrl, { ledger, budgets = [], keys = [], models = [], admin = false, durability = 'normal' }) {
  return `${gatewayConfig(simUrl, { keys: false, models: models.join('\n') })}
ledger: { path: "${ledger}", durability: ${durability} }
budgets:
${budgets.map((b) => `  - ${b}`).join('\n')}
api_keys:
${keys.map((k) => (Array.isArray(k) ? keyEntry(k[0], k[1]) : keyEntry(k))).join('\n')}
${admin ? `admin: { listen: "127.0.0.1:0", token_env: ${ADMIN_TOKEN_ENV} }` : ''}
`;
}

// A path for a new ledger, in a temporary folder of its own (SQLite creates the file).
const newLedger = () => tempFile('placeholder', '').replace(/placeholder$/, 'spend.db');

const send = (gw, key, body, { id = randomUUID(), headers = {}, signal } = {}) =>
  chat(gw, body, { key: keyOf(key), headers: { 'x-request-id': id, ...headers }, signal });

const ask = (model, content, extra = {}) => ({ model, messages: [{ role: 'user', content }], ...extra });

// Asserts a 429 budget_exceeded naming `budget`; returns the message.
async function expectRefused(res, budget) {
  const body = await expectError(res, 429, 'budget_exceeded');
  assert.equal(body.error.type, 'insufficient_quota');
  assert.match(body.error.message, new RegExp(`Budget '${budget}'`), body.error.message);
  return body.error.message;
}

// Checks the budget's enforced spend from the outside: with `limit` and `spent` (what the ledger's rows say), the
// room left is limit − spent; a request whose maximum is just over it must be refused and one whose maximum is
// just under it must pass. This pins the spend the gateway enforces to within one output token's price of the
// ledger's sum. The accepted probe is charged (its row is returned).
async function probeEnforcedSpend(gw, key, model, budget, limit, spent) {
  const messages = [{ role: 'user', content: 'probe' }];
  const room = limit - spent - maxPromptTokens(messages) * IN_NANO;
  assert.ok(room >= OUT_NANO, `the probe needs room for one token: limit ${limit}, spent ${spent}`);
  const fits = Math.floor(room / OUT_NANO);
  const over = await send(gw, key, { model, messages, max_tokens: fits + 1 });
  await expectRefused(over, budget);
  const id = randomUUID();
  const under = await send(gw, key, { model, messages, max_tokens: fits }, { id });
  assert.equal(under.status, 200, `a request that fits the room left must pass: ${await under.clone().text()}`);
  await under.json();
}

// POST /admin/v1/clock: moves the fake clock. Resolves false when the admin API has no such endpoint yet.
async function advanceClock(gw, ms) {
  const res = await request(`${gw.admin}/admin/v1/clock`, {
    method: 'POST', body: JSON.stringify({ advance_ms: ms }),
    headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_TOKEN}` },
  });
  if (res.status === 404) return false;
  assert.equal(res.status, 200, `POST /admin/v1/clock: ${res.status} ${res.text}`);
  return true;
}

// ---------------------------------------------------------------------------------------------------------------

let sim;
before(async () => {
  sim = await startSim();
});
after(async () => {
  await sim?.stop();
});

describe('a hard key budget under 500 concurrent requests', () => {
  let gw;
  let db;
  const maxTokens = 1000;
  const messages = [{ role: 'user', content: 'Hello there' }];
  const M = maxCost(messages, maxTokens); // one request's maximum
  const LIMIT = 20 * M;
  before(async () => {
    db = newLedger();
    // Each answer is 50 tokens short of max_tokens: its real cost is a little under its maximum, so exactly 20
    // requests fit, whatever order they arrive in (19 settled or held leave room for a 20th, 20 leave none).
    await sim.setModel('sim-burst', { tokens: maxTokens - 50 });
    gw = await startGw(config(sim.url, {
      ledger: db, models: [priced('m-burst')], keys: ['burst', 'other'],
      budgets: [`{ name: burst-cap, scope: { key: burst }, period: total, limit_usd: ${usd(LIMIT)}, hard: true }`],
    }));
  });
  after(async () => {
    await gw?.stop();
    await sim.deleteModel('sim-burst');
  });

  test('the estimate the reservation is computed from is what this test assumes', async () => {
    const explain = await chat(gw, { model: 'm-burst', messages, max_tokens: maxTokens },
      { key: keyOf('burst'), path: '/v1/route/explain' });
    assert.equal(explain.status, 200);
    const decision = await explain.json();
    assert.equal(decision.estimated_prompt_tokens, estimateTokens(messages));
    assert.equal(decision.max_prompt_tokens, maxPromptTokens(messages));
  });

  test('no overshoot, no needless refusal: exactly the requests that fit get 200, the rest 429 naming the budget', { timeout: 60000 }, async () => {
    const before = await sql(db, 'SELECT COUNT(*) AS n, COALESCE(SUM(cost_nano_usd),0) AS s FROM requests');
    assert.equal(before[0].n, 0, 'nothing spent yet');
    const ids = Array.from({ length: 500 }, (_, i) => `burst-${i}-${randomUUID()}`);
    const results = await Promise.all(ids.map(async (id) => {
      const res = await send(gw, 'burst', { model: 'm-burst', messages, max_tokens: maxTokens }, { id });
      return { id, status: res.status, res };
    }));
    const ok = results.filter((r) => r.status === 200);
    const refused = results.filter((r) => r.status === 429);
    assert.equal(ok.length + refused.length, 500, `statuses: ${[...new Set(results.map((r) => r.status))]}`);
    const usages = [];
    for (const r of ok) {
      const body = await r.res.json();
      usages.push(body.usage);
      assert.ok(body.choices?.[0]?.message?.content, 'a whole answer');
    }
    for (const r of refused) await expectRefused(r.res, 'burst-cap');

    const rows = await sql(db, 'SELECT * FROM requests');
    const total = rows.reduce((s, r) => s + r.cost_nano_usd, 0);
    for (const r of rows) {
      assert.ok(r.cost_nano_usd < M, `precondition: every answer costs less than its maximum (${r.cost_nano_usd} vs ${M})`);
      assert.equal(r.cost_nano_usd, r.prompt_tokens * IN_NANO + r.completion_tokens * OUT_NANO, 'cost = usage × prices');
    }
    // One row per answered request; a refusal is answered before anything is spent.
    const byId = new Map(rows.map((r) => [r.request_id, r]));
    for (const r of ok) assert.equal(byId.get(r.id)?.status, 200, `row of ${r.id}`);
    for (const r of refused) {
      const row = byId.get(r.id); // refusals may be on record, at no cost
      assert.ok(!row || (row.cost_nano_usd === 0 && row.status === 429), `refused ${r.id} is not charged: ${JSON.stringify(row)}`);
    }
    // The rows carry the usage the client saw.
    for (const [i, r] of ok.entries()) {
      assert.equal(byId.get(r.id).prompt_tokens, usages[i].prompt_tokens);
      assert.equal(byId.get(r.id).completion_tokens, usages[i].completion_tokens);
    }

    assert.ok(total <= LIMIT, `overshoot: spent ${total} nano-USD of a ${LIMIT} limit`);
    assert.ok(total >= LIMIT - M, `needless refusal: spent ${total}, limit ${LIMIT}, one request's maximum ${M}`);
    assert.equal(ok.length, 20, `exactly 20 requests fit; got ${ok.length}`);
    assert.equal((await sql(db, 'SELECT COUNT(*) AS n FROM reservations'))[0].n, 0, 'no reservation left behind');

    // The budget stays closed for its key, and open for another key.
    await expectRefused(await send(gw, 'burst', { model: 'm-burst', messages, max_tokens: maxTokens }), 'burst-cap');
    const other = await send(gw, 'other', { model: 'm-burst', messages, max_tokens: maxTokens });
    assert.equal(other.status, 200);
    await other.json();
  });
});

describe('each scope refuses only what it covers', () => {
  let gw;
  let db;
  const M = maxCost([{ role: 'user', content: 'Hello there' }], 100);
  before(async () => {
    db = newLedger();
    gw = await startGw(config(sim.url, {
      ledger: db,
      models: [priced('m-open'), priced('m-capped'), priced('m-pair')],
      keys: ['alice', ['bob', ', team: blue'], ['carol', ', team: blue'], ['dave', ', team: green'], 'erin'],
      budgets: [
        '{ name: capped-model, scope: { model: m-capped }, period: total, limit_usd: 0 }',
        '{ name: no-translation, scope: { task: translation }, period: total, limit_usd: 0 }',
        '{ name: alice-on-pair, scope: { key: alice, model: m-pair }, period: total, limit_usd: 0 }',
        // Room for one request's maximum and 10 000 nano-USD more, so not for a second one (every answer costs
        // more than that): shared by bob and carol.
        `{ name: team-blue, scope: { team: blue }, period: total, limit_usd: ${usd(M + 10_000)} }`,
      ],
    }));
  });
  after(async () => gw?.stop());

  const ok = async (res, what) => {
    const text = await res.text();
    assert.equal(res.status, 200, `${what}: ${text}`);
    return res;
  };

  test('model: every key is refused that model, and no other', async () => {
    await expectRefused(await send(gw, 'alice', ask('m-capped', 'Hello there', { max_tokens: 100 })), 'capped-model');
    await expectRefused(await send(gw, 'erin', ask('m-capped', 'Hello there', { max_tokens: 100 })), 'capped-model');
    await ok(await send(gw, 'erin', ask('m-open', 'Hello there', { max_tokens: 100 })), 'another model');
  });

  test('task: translations are refused, code is not (x-gaterouter-task says which)', async () => {
    const tr = await send(gw, 'erin', ask('m-open', 'Translate into French: the weather is lovely today and I would like to go for a walk by the river.', { max_tokens: 100 }));
    assert.equal(tr.headers.get('x-gaterouter-task'), 'translation');
    await expectRefused(tr, 'no-translation');
    const code = await send(gw, 'erin', ask('m-open', 'Write a Python function that reverses a singly linked list in place and returns the new head.', { max_tokens: 100 }));
    assert.equal(code.headers.get('x-gaterouter-task'), 'code');
    await ok(code, 'a code request');
  });

  test('key × model: that key on that model only', async () => {
    await expectRefused(await send(gw, 'alice', ask('m-pair', 'Hello there', { max_tokens: 100 })), 'alice-on-pair');
    await ok(await send(gw, 'alice', ask('m-open', 'Hello there', { max_tokens: 100 })), 'alice on another model');
    await ok(await send(gw, 'erin', ask('m-pair', 'Hello there', { max_tokens: 100 })), 'another key on m-pair');
  });

  test('team: its keys share one budget; another team\'s key and a key without a team are not covered', async () => {
    await ok(await send(gw, 'bob', ask('m-open', 'Hello there', { max_tokens: 100 })), 'bob, first of team blue');
    await expectRefused(await send(gw, 'carol', ask('m-open', 'Hello there', { max_tokens: 100 })), 'team-blue');
    await expectRefused(await send(gw, 'bob', ask('m-open', 'Hello there', { max_tokens: 100 })), 'team-blue');
    await ok(await send(gw, 'dave', ask('m-open', 'Hello there', { max_tokens: 100 })), 'dave of team green');
    await ok(await send(gw, 'alice', ask('m-open', 'Hello there', { max_tokens: 100 })), 'alice, no team');
    const rows = await sql(db, "SELECT key_name, team FROM requests WHERE key_name IN ('bob', 'dave') AND status = 200");
    assert.deepEqual(rows.map((r) => `${r.key_name}:${r.team}`).sort(), ['bob:blue', 'dave:green']);
  });

  test('a refused request costs nothing: its row (status 429) is charged 0, and no reservation stays', async () => {
    const id = randomUUID();
    await expectRefused(await send(gw, 'alice', ask('m-capped', 'Hello there', { max_tokens: 100 }), { id }), 'capped-model');
    const row = await rowOf(db, id);
    if (row) {
      assert.equal(row.status, 429);
      assert.equal(row.cost_nano_usd, 0);
      assert.equal(row.completion_tokens, 0);
    }
    assert.equal((await sql(db, 'SELECT COUNT(*) AS n FROM reservations'))[0].n, 0);
  });
});

describe('failover and model budgets', () => {
  let gw;
  let db;
  before(async () => {
    db = newLedger();
    // m-first always fails (a retryable 500); its fallback m-second is under a hard budget with no room.
    await sim.setModel('sim-first', { error_rate: 1, error_status: 500 });
    gw = await startGw(config(sim.url, {
      ledger: db, keys: ['fo', ['picky', ', allowed_models: [m-cheap, m-dear]']],
      models: [
        '  - { id: m-first, provider: sim, upstream_model: sim-first, input_price_per_mtok: 1, output_price_per_mtok: 2, context_window: 100000, fallbacks: [m-second] }',
        priced('m-second'),
        '  - { id: m-cheap, provider: sim, upstream_model: sim-cheap, input_price_per_mtok: 0.1, output_price_per_mtok: 0.2, context_window: 100000 }',
        priced('m-dear'),
      ],
      budgets: ['{ name: second-closed, scope: { model: m-second }, period: total, limit_usd: 0 }',
        '{ name: cheap-closed, scope: { model: m-cheap }, period: total, limit_usd: 0 }'],
    }));
  });
  after(async () => {
    await gw?.stop();
    await sim.deleteModel('sim-first');
  });

  test('a failover does not carry a request into a model whose hard budget has no room', async () => {
    const id = randomUUID();
    const res = await send(gw, 'fo', ask('m-first', 'Hello there', { max_tokens: 100 }), { id });
    const text = await res.text();
    assert.notEqual(res.headers.get('x-gaterouter-model'), 'm-second', `served by the closed model: ${res.status} ${text}`);
    assert.equal(await spentBy(db, "model = 'm-second'"), 0, 'the closed model was charged');
  });

  test('auto routes around a model whose hard budget has no room (the key may use another)', async () => {
    const res = await send(gw, 'picky', ask('auto', 'Hello there', { max_tokens: 100, gaterouter: { optimize: 'cost' } }));
    const text = await res.text();
    assert.equal(res.status, 200, text);
    assert.equal(res.headers.get('x-gaterouter-model'), 'm-dear');
  });
});

describe('day and month windows follow the (fake) clock', () => {
  let gw;
  let db;
  const start = Date.UTC(2026, 0, 30, 21, 59, 0); // Friday 30 January 2026, 21:59 UTC
  const M = maxCost([{ role: 'user', content: 'Hello there' }], 100);
  const oneFits = usd(M + 10_000); // room for one request, not two (see team-blue above)
  before(async () => {
    db = newLedger();
    gw = await startGw(config(sim.url, {
      ledger: db, admin: true, models: [priced('m-win')], keys: ['kday', 'kmonth', 'klocal', 'ktotal'],
      budgets: [
        `{ name: daily, scope: { key: kday }, period: day, limit_usd: ${oneFits} }`,
        `{ name: monthly, scope: { key: kmonth }, period: month, limit_usd: ${oneFits} }`,
        // Its days start at midnight UTC+2: 22:00 UTC.
        `{ name: daily-utc2, scope: { key: klocal }, period: day, limit_usd: ${oneFits}, utc_offset_minutes: 120 }`,
        `{ name: forever, scope: { key: ktotal }, period: total, limit_usd: ${oneFits} }`,
      ],
    }), { args: ['--fake-clock', String(start)] });
  });
  after(async () => gw?.stop());

  const once = (key) => send(gw, key, ask('m-win', 'Hello there', { max_tokens: 100 }));
  const accepted = async (key, when) => {
    const res = await once(key);
    const text = await res.text();
    assert.equal(res.status, 200, `${key} ${when}: ${text}`);
  };

  test('a budget exhausted today opens again after midnight, a monthly one after the month ends, a total one never', { timeout: 60000 }, async (t) => {
    assert.ok(gw.admin, 'the admin listener logs its address');
    for (const key of ['kday', 'kmonth', 'klocal', 'ktotal']) await accepted(key, 'first request');
    const names = { kday: 'daily', kmonth: 'monthly', klocal: 'daily-utc2', ktotal: 'forever' };
    const msg = await expectRefused(await once('kday'), 'daily');
    assert.match(msg, /resets at 2026-01-31T00:00:00/, msg);
    assert.match(await expectRefused(await once('kmonth'), 'monthly'), /resets at 2026-02-01T00:00:00/);
    assert.match(await expectRefused(await once('ktotal'), 'forever'), /does not reset/);
    await expectRefused(await once('klocal'), 'daily-utc2');

    if (!(await advanceClock(gw, 2 * 60_000))) {
      t.skip('POST /admin/v1/clock is not there yet (404): the windows cannot be moved');
      return;
    }
    // 22:01 UTC: midnight has passed at UTC+2 only.
    await accepted('klocal', 'after midnight UTC+2');
    for (const key of ['kday', 'kmonth', 'ktotal']) await expectRefused(await once(key), names[key]);

    await advanceClock(gw, 2 * 3_600_000); // 31 January, 00:01 UTC
    await accepted('kday', 'after midnight UTC');
    await expectRefused(await once('klocal'), 'daily-utc2'); // 02:01 at UTC+2: the same day as its last request
    for (const key of ['kmonth', 'ktotal']) await expectRefused(await once(key), names[key]);

    await advanceClock(gw, 24 * 3_600_000); // 1 February, 00:01 UTC
    await accepted('kmonth', 'in the next month');
    await accepted('kday', 'on the next day');
    await expectRefused(await once('ktotal'), 'forever');
    // The ledger's times are the fake clock's too.
    const times = (await sql(db, 'SELECT time_ms FROM requests WHERE status = 200')).map((r) => r.time_ms);
    assert.ok(times.every((ms) => ms >= start && ms <= start + 27 * 3_600_000), `row times ${times.map((ms) => new Date(ms).toISOString())}`);
    assert.ok(times.some((ms) => ms >= Date.UTC(2026, 1, 1)), 'rows written in February (by the fake clock)');
  });
});

describe('streams are charged what the upstream reported', () => {
  let gw;
  let db;
  const LIMIT = 10_000_000; // $0.01
  before(async () => {
    db = newLedger();
    await sim.setModel('sim-stream', { tokens: 37 });
    await sim.setModel('sim-trickle', { tokens: 400, token_interval_ms: 20 });
    gw = await startGw(config(sim.url, {
      ledger: db, models: [priced('m-stream'), priced('m-trickle')], keys: ['streamer', 'quitter'],
      budgets: [`{ name: quitter-cap, scope: { key: quitter }, period: total, limit_usd: ${usd(LIMIT)} }`,
        `{ name: streamer-cap, scope: { key: streamer }, period: total, limit_usd: ${usd(LIMIT)} }`],
    }));
  });
  after(async () => {
    await gw?.stop();
    await sim.deleteModel('sim-stream');
    await sim.deleteModel('sim-trickle');
  });

  test('with include_usage: the row has the usage chunk\'s tokens and their cost', async () => {
    const id = randomUUID();
    const res = await send(gw, 'streamer', ask('m-stream', 'Hello there', { stream: true, stream_options: { include_usage: true }, max_tokens: 100 }), { id });
    assert.equal(res.status, 200);
    const events = parseEvents(await res.text());
    assert.equal(events.at(-1), '[DONE]');
    const { usage } = JSON.parse(events.at(-2));
    assert.equal(usage.completion_tokens, 37);
    const row = await rowOf(db, id);
    assert.ok(row, 'the row is committed before [DONE]');
    assert.equal(row.prompt_tokens, usage.prompt_tokens);
    assert.equal(row.completion_tokens, usage.completion_tokens);
    assert.equal(row.cost_nano_usd, usage.prompt_tokens * IN_NANO + usage.completion_tokens * OUT_NANO);
    assert.equal(row.status, 200);
    assert.equal(row.flags, '');
    assert.equal(row.model, 'm-stream');
    assert.equal(row.key_name, 'streamer');
  });

  test('without include_usage: the client gets no usage, the row still has what the simulator reported', async () => {
    const id = randomUUID();
    const res = await send(gw, 'streamer', ask('m-stream', 'Hello there, again', { stream: true, max_tokens: 100 }), { id });
    const events = parseEvents(await res.text());
    assert.equal(events.at(-1), '[DONE]');
    assert.ok(events.slice(0, -1).every((e) => !JSON.parse(e).usage), 'no usage chunk for a client that did not ask');
    // The simulator counts a prompt token per four bytes of the body it received, and answers `tokens` tokens.
    const upstream = await sim.lastRequest();
    assert.deepEqual(JSON.parse(upstream.body).stream_options, { include_usage: true }, 'the gateway asked for usage');
    const prompt = Math.max(1, Math.floor(Buffer.byteLength(upstream.body) / 4));
    const row = await rowOf(db, id);
    assert.equal(row.prompt_tokens, prompt);
    assert.equal(row.completion_tokens, 37);
    assert.equal(row.cost_nano_usd, prompt * IN_NANO + 37 * OUT_NANO);
    // And the budget holds exactly what the rows say.
    await probeEnforcedSpend(gw, 'streamer', 'm-stream', 'streamer-cap', LIMIT, await spentBy(db, "key_name = 'streamer'"));
  });

  test('a stream the client abandons after a few chunks is charged for what it relayed, and the budget with it', async () => {
    const id = randomUUID();
    const controller = new AbortController();
    const res = await send(gw, 'quitter', ask('m-trickle', 'Hello there', { stream: true, max_tokens: 500 }), { id, signal: controller.signal });
    assert.equal(res.status, 200);
    const reader = res.body.getReader();
    let text = '';
    const decoder = new TextDecoder();
    while ((text.match(/"content":"[^"]/g) ?? []).length < 4) {
      const { value, done } = await reader.read();
      assert.ok(!done, 'the stream ended early');
      text += decoder.decode(value);
    }
    controller.abort();
    await reader.cancel().catch(() => {});

    // The gateway notices at its next write; the row is committed then.
    const row = await poll(() => rowOf(db, id), (r) => r !== undefined, 5000);
    assert.ok(row, 'an abandoned stream has its row');
    assert.ok(row.completion_tokens > 0, `completion tokens ${row.completion_tokens}`);
    assert.ok(row.completion_tokens < 400, `no more than the full answer (${row.completion_tokens} of 400)`);
    assert.ok(row.prompt_tokens > 0);
    assert.equal(row.cost_nano_usd, row.prompt_tokens * IN_NANO + row.completion_tokens * OUT_NANO);
    assert.equal((await sql(db, 'SELECT COUNT(*) AS n FROM reservations'))[0].n, 0, 'its reservation is gone');
    await probeEnforcedSpend(gw, 'quitter', 'm-stream', 'quitter-cap', LIMIT, await spentBy(db, "key_name = 'quitter'"));
  });

  test('a stream the upstream breaks off is charged for what was relayed, and ends without [DONE]', async () => {
    await sim.setModel('sim-stream', { tokens: 100, reset_after_chunks: 5 });
    try {
      const id = randomUUID();
      const res = await send(gw, 'quitter', ask('m-stream', 'Hello there', { stream: true, max_tokens: 200 }), { id });
      assert.equal(res.status, 200);
      const events = parseEvents(await res.text());
      assert.notEqual(events.at(-1), '[DONE]');
      assert.ok(JSON.parse(events.at(-1)).error, 'the stream ends with an error event');
      const row = await rowOf(db, id);
      assert.ok(row, 'the broken stream has its row');
      assert.ok(row.status >= 500, `status ${row.status}`);
      assert.ok(row.completion_tokens > 0 && row.completion_tokens <= 100, `completion tokens ${row.completion_tokens}`);
      assert.equal(row.cost_nano_usd, row.prompt_tokens * IN_NANO + row.completion_tokens * OUT_NANO);
      assert.equal((await sql(db, 'SELECT COUNT(*) AS n FROM reservations'))[0].n, 0);
      await probeEnforcedSpend(gw, 'quitter', 'm-trickle', 'quitter-cap', LIMIT, await spentBy(db, "key_name = 'quitter'"));
    } finally {
      await sim.setModel('sim-stream', { tokens: 37, reset_after_chunks: -1 });
    }
  });
});

describe('soft budgets', () => {
  let gw;
  let db;
  const M = maxCost([{ role: 'user', content: 'Hello there' }], 100);
  before(async () => {
    db = newLedger();
    gw = await startGw(config(sim.url, {
      ledger: db, models: [priced('m-soft')], keys: ['soft'],
      budgets: [`{ name: soft-cap, scope: { key: soft }, period: total, limit_usd: ${usd(M)}, hard: false, alert_at: [0.5, 1.0] }`],
    }));
  });
  after(async () => gw?.stop());

  test('never refuse, however far past the limit; they alert', async () => {
    for (let i = 0; i < 6; i++) {
      const res = await send(gw, 'soft', ask('m-soft', 'Hello there', { max_tokens: 100 }));
      const text = await res.text();
      assert.equal(res.status, 200, text);
    }
    const concurrent = await Promise.all(Array.from({ length: 20 }, () => send(gw, 'soft', ask('m-soft', 'Hello there', { max_tokens: 100 }))));
    for (const res of concurrent) {
      assert.equal(res.status, 200);
      await res.text();
    }
    assert.ok(await spentBy(db) > 2 * M, 'spent well past the limit');
    const alert = await poll(() => gw.logs.err, (e) => /budget 'soft-cap' reached 100%/.test(e), 2000);
    assert.match(alert, /budget 'soft-cap' reached 100% of its soft limit/);
  });
});

describe('a row too long for the request journal', () => {
  let gw;
  let db;
  const LONG_KEY = `k${'x'.repeat(63)}`; // with a 128-character request id, over a journal record's 176 bytes of text
  before(async () => {
    db = newLedger();
    gw = await startGw(config(sim.url, {
      ledger: db, models: [priced('m-long')], keys: [LONG_KEY],
      budgets: [`{ name: long-cap, scope: { key: ${LONG_KEY} }, period: total, limit_usd: 1 }`],
    }));
  });
  after(async () => gw?.stop());

  test('goes through the writer and is on record all the same, at its real cost', async () => {
    const id = `r${'0123456789abcdef'.repeat(8)}`.slice(0, 128);
    const res = await send(gw, LONG_KEY, ask('m-long', 'Hello there', { max_tokens: 100 }), { id });
    assert.equal(res.status, 200, await res.clone().text());
    const { usage } = await res.json();
    const row = await rowOf(db, id);
    assert.ok(row, 'the row is on record');
    assert.equal(row.key_name, LONG_KEY);
    assert.equal(row.cost_nano_usd, usage.prompt_tokens * IN_NANO + usage.completion_tokens * OUT_NANO);
    assert.equal((await sql(db, 'SELECT COUNT(*) AS n FROM reservations'))[0].n, 0, 'no reservation left behind');
    assert.equal((await sql(db, 'SELECT next_position FROM journal_mark'))[0].next_position, 0, 'not through the journal');
  });
});

describe('embeddings are charged, limited and refused like chat', () => {
  let gw;
  let db;
  // The simulator counts an input as a token per four characters: 400 characters are 100 tokens, $0.1 at
  // 1 000 $/Mtok. A request reserves a token per byte of its body (about 440 bytes here, $0.44), so a $0.8
  // budget serves four ($0.4 spent) and refuses the fifth (0.4 + 0.44 > 0.8).
  const PRICE = 1000;
  const LIMIT_USD = 0.8;
  const input = 'x'.repeat(400);
  before(async () => {
    db = newLedger();
    gw = await startGw(config(sim.url, {
      ledger: db,
      models: [`  - { id: m-embed-priced, provider: sim, upstream_model: embed-sim, input_price_per_mtok: ${PRICE}, capabilities: [embeddings] }`],
      keys: ['embedder', ['limited', ', limits: { rpm: 2 }']],
      budgets: [`{ name: embed-cap, scope: { key: embedder }, period: total, limit_usd: ${LIMIT_USD}, hard: true }`],
    }));
  });
  after(async () => {
    await gw?.stop();
  });
  const embed = (key, id = randomUUID()) => fetch(`${gw.url}/v1/embeddings`, {
    method: 'POST',
    headers: { authorization: `Bearer ${keyOf(key)}`, 'content-type': 'application/json', 'x-request-id': id },
    body: JSON.stringify({ model: 'm-embed-priced', input }),
  });

  test('ledger rows with their real cost; the budget refuses the request that does not fit', async () => {
    const ids = [];
    for (let i = 0; i < 4; i++) {
      const id = randomUUID();
      const res = await embed('embedder', id);
      const body = await res.json();
      assert.equal(res.status, 200, JSON.stringify(body));
      assert.equal(body.usage.prompt_tokens, 100);
      ids.push(id);
    }
    await expectRefused(await embed('embedder'), 'embed-cap');
    for (const id of ids) {
      const row = await rowOf(db, id);
      assert.equal(row.model, 'm-embed-priced');
      assert.equal(row.task, 'embeddings');
      assert.equal(row.prompt_tokens, 100);
      assert.equal(row.cost_nano_usd, 100 * PRICE * 1000);
      assert.equal(row.status, 200);
    }
    assert.equal(await spentBy(db, 'key_name = ?', ['embedder']), 4 * 100 * PRICE * 1000);
  });

  test('a key\'s requests per minute count embeddings: the third in a minute is 429', async () => {
    const first = await embed('limited');
    assert.equal(first.status, 200);
    assert.equal(first.headers.get('x-ratelimit-limit-requests'), '2');
    await first.text();
    assert.equal((await embed('limited')).status, 200);
    await expectError(await embed('limited'), 429, 'rate_limit_exceeded');
  });
});
