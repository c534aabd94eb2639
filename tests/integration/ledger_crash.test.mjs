// The spend ledger survives the gateway being killed (SIGKILL) at random moments under load, whole and streamed
// answers mixed, two dozen times on the same SQLite file, alternating durability full and normal. After every
// restart: the ledger opens; every answer a client received complete (200 with its whole body, or a stream that
// reached [DONE]) has its row, exactly one, uncharged by recovery; no reservation is left; a request cut off in
// flight is charged at most once, at its reserved maximum when recovery charged it; and the total budget enforces
// exactly the sum of the rows (the admin API's budget status says so, and so does a probe from outside: a request
// just over the room left is refused, one just under it passes).
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { after, before } from 'node:test';
import { promisify } from 'node:util';

import {
  GATEWAY_BIN, chat, gatewayConfig, parseEvents, seededRandom, sha256, startSim, tempFile, test,
} from './harness.mjs';

const IN_NANO = 1000; // nano-USD per prompt token at 1 $/Mtok
const OUT_NANO = 2000; // nano-USD per completion token at 2 $/Mtok
const CYCLES = 24;
const KEY = 'sk-ledger-crash-0123456789abcdef';
const LIMIT = 1_000_000_000; // $1 total, hard: never reached by the load, only by the probes' maxima
const MAX_TOKENS = 64;
const MESSAGES = [{ role: 'user', content: 'Hello there' }];
// The prompt tokens a reservation holds (src/openai/chat_request.cpp): one a byte of raw JSON content (quotes
// included), four a message, three more.
const maxPromptTokens = (messages) =>
  messages.reduce((n, m) => n + Buffer.byteLength(JSON.stringify(m.content)), 0) + 4 * messages.length + 3;
const ADMIN_TOKEN = 'adm-ledger-crash-91c2d3e4f5a6b7c8d9e0f1a2';
const RESERVED = maxPromptTokens(MESSAGES) * IN_NANO + MAX_TOKENS * OUT_NANO; // what each load request holds

const children = new Set();
process.once('exit', () => {
  for (const p of children) p.kill('SIGKILL');
});

// Starts the gateway and waits for the lines naming its port and its admin listener's.
async function startGw(configPath) {
  const proc = spawn(GATEWAY_BIN, ['--config', configPath], {
    stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, GR_CRASH_ADMIN_TOKEN: ADMIN_TOKEN },
  });
  children.add(proc);
  const exited = new Promise((r) => proc.once('exit', (code, signal) => {
    children.delete(proc);
    r(code ?? signal);
  }));
  let err = '';
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gaterouter did not start in 10 s:\n${err}`)), 10000);
    proc.stderr.on('data', (d) => {
      err += d;
      const m = err.match(/gaterouter \S+ listening on (http:\/\/\S+)/);
      if (m && /admin API listening on/.test(err)) {  // this test's config always has an admin listener
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    exited.then((how) => {
      clearTimeout(timer);
      reject(new Error(`gaterouter exited (${how}) before it was ready — the ledger did not open?\n${err}`));
    });
  });
  const admin = err.match(/admin API listening on (http:\/\/\S+)/)?.[1];
  return { url: `http://127.0.0.1:${new URL(url).port}`, admin: admin && `http://127.0.0.1:${new URL(admin).port}`, proc, exited, stderr: () => err };
}

const execFileP = promisify(execFile);
const SQL_PY = `
import json, sqlite3, sys
c = sqlite3.connect(sys.argv[1], timeout=10)
c.row_factory = sqlite3.Row
print(json.dumps([dict(r) for r in c.execute(sys.argv[2])]))
c.close()
`;
async function sql(db, query) {
  const { stdout } = await execFileP('python3', ['-c', SQL_PY, db, query]);
  return JSON.parse(stdout);
}

let sim;
let db;
const configs = [];
before(async () => {
  sim = await startSim(`defaults: { tokens: 16 }
models:
  sim-crash: { tokens: 30 }
  sim-crash-slow: { tokens: 40, token_interval_ms: 4 }
`);
  db = tempFile('placeholder', '').replace(/placeholder$/, 'crash.db');
  const priced = (id, up) => `  - { id: ${id}, provider: sim, upstream_model: ${up}, input_price_per_mtok: 1, output_price_per_mtok: 2, context_window: 2000000000, capabilities: [streaming] }`;
  for (const durability of ['normal', 'full']) {
    configs.push(tempFile('gaterouter.yaml', `${gatewayConfig(sim.url, {
      // No classifier: it takes most of a start-up, and this test starts the gateway 25 times.
      keys: false, log: { access_log: false }, routing: 'max_attempts: 3, breaker: { consecutive_failures: 1000, min_requests: 1000000 }', models: [priced('m-crash', 'sim-crash'), priced('m-crash-slow', 'sim-crash-slow')].join('\n'),
    })}
ledger: { path: "${db}", durability: ${durability} }
budgets:
  - { name: all-time, scope: global, period: total, limit_usd: ${LIMIT / 1e9}, hard: true }
api_keys:
  - { name: crash, team: t, sha256: "${sha256(KEY)}" }
admin: { listen: "127.0.0.1:0", token_env: GR_CRASH_ADMIN_TOKEN }
`));
  }
});
after(async () => {
  for (const p of children) p.kill('SIGKILL');
  await sim?.stop();
});

// One request of the load; resolves with whether the client received the answer complete.
async function one(gw, id, stream, includeUsage) {
  const body = { model: stream ? 'm-crash-slow' : 'm-crash', messages: MESSAGES, max_tokens: MAX_TOKENS };
  if (stream) {
    body.stream = true;
    if (includeUsage) body.stream_options = { include_usage: true };
  }
  try {
    const res = await chat(gw, body, { key: KEY, headers: { 'x-request-id': id } });
    const text = await res.text();
    if (res.status !== 200) return { id, complete: false, status: res.status, text };
    if (!stream) {
      const json = JSON.parse(text);
      return { id, complete: Boolean(json.choices?.[0]?.message?.content && json.usage), status: 200 };
    }
    const events = parseEvents(text);
    return { id, complete: events.at(-1) === '[DONE]', status: 200 };
  } catch {
    return { id, complete: false, status: 0 };
  }
}

// Checks the ledger after a restart against what clients saw; returns the sum of the rows and some counts.
async function checkLedger(gw, completed, cycle) {
  const where = `after restart ${cycle}`;
  const reservations = await sql(db, 'SELECT request_id FROM reservations');
  assert.deepEqual(reservations, [], `${where}: no reservation is left once the gateway runs`);
  const rows = await sql(db, 'SELECT request_id, status, flags, cost_nano_usd, prompt_tokens, completion_tokens FROM requests');
  const byId = new Map();
  for (const r of rows) {
    assert.ok(!byId.has(r.request_id), `${where}: request ${r.request_id} has two rows (charged twice)`);
    byId.set(r.request_id, r);
  }
  for (const id of completed) {
    const r = byId.get(id);
    assert.ok(r, `${where}: ${id} was received complete by its client but has no row`);
    assert.equal(r.status, 200, `${where}: ${id}`);
    assert.equal(r.flags, '', `${where}: ${id} was complete, yet charged by recovery`);
    assert.equal(r.cost_nano_usd, r.prompt_tokens * IN_NANO + r.completion_tokens * OUT_NANO, `${where}: ${id}`);
  }
  let recovered = 0;
  for (const r of rows) {
    if (!r.flags.includes('charged_reservation')) continue;
    recovered += 1;
    assert.equal(r.cost_nano_usd, RESERVED, `${where}: ${r.request_id} is charged at its reserved maximum`);
    assert.equal(r.status, 0);
  }
  return { total: rows.reduce((s, r) => s + r.cost_nano_usd, 0), rows: rows.length, recovered };
}

// The spend the budget enforces equals `spent` (to within one output token): just over the room left is refused,
// just under it passes.
async function probe(gw, spent, cycle) {
  const messages = [{ role: 'user', content: 'probe' }];
  const fits = Math.floor((LIMIT - spent - maxPromptTokens(messages) * IN_NANO) / OUT_NANO);
  const over = await chat(gw, { model: 'm-crash', messages, max_tokens: fits + 1 }, { key: KEY, headers: { 'x-request-id': `probe-over-${cycle}` } });
  const overText = await over.text();
  assert.equal(over.status, 429, `after restart ${cycle}: the budget enforces less than the rows' ${spent} nano-USD: ${overText}`);
  assert.match(overText, /budget_exceeded/);
  const under = await chat(gw, { model: 'm-crash', messages, max_tokens: fits }, { key: KEY, headers: { 'x-request-id': `probe-under-${cycle}` } });
  const underText = await under.text();
  assert.equal(under.status, 200, `after restart ${cycle}: the budget enforces more than the rows' ${spent} nano-USD: ${underText}`);
}

test(`SIGKILL under load, ${CYCLES} times: every complete answer has its row, nothing stays reserved, the budget equals the rows`, { timeout: 240000 }, async () => {
  const rand = seededRandom(20260131);
  const completed = new Set();
  let incomplete = 0; // cut off by a kill, or refused a connection once the gateway was gone
  let totalRecovered = 0;
  let answered = 0;
  for (let cycle = 0; cycle <= CYCLES; cycle++) {
    const gw = await startGw(configs[cycle % 2]);
    const { total, recovered } = await checkLedger(gw, completed, cycle);
    totalRecovered = recovered;
    // The admin API's view of the budget: the rows' sum, nothing held.
    const status = await fetch(`${gw.admin}/admin/v1/budgets/all-time`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    const budget = await status.json();
    assert.equal(status.status, 200, JSON.stringify(budget));
    assert.equal(budget.spent_nano_usd, total, `after restart ${cycle}: the budget's spend is the rows' sum`);
    assert.equal(budget.reserved_usd, 0, `after restart ${cycle}: nothing is held`);
    await probe(gw, total, cycle);
    if (cycle === CYCLES) {
      gw.proc.kill('SIGTERM');
      await gw.exited;
      break;
    }

    // The load: 8 clients, each sending one request after another (4 in 10 streamed, half of those asking for
    // usage) until the gateway is gone; it is killed 60 to 400 ms after the load starts.
    let dead = false;
    const results = [];
    const client = async (w) => {
      for (let n = 0; !dead; n++) {
        const stream = rand.next() < 0.4;
        const r = await one(gw, `c${cycle}-w${w}-${n}`, stream, rand.next() < 0.5);
        results.push(r);
        if (r.status !== 0 && r.status !== 200) assert.fail(`cycle ${cycle}: ${r.id} got ${r.status}: ${r.text}`);
      }
    };
    const clients = Array.from({ length: 8 }, (_, w) => client(w));
    const killAfter = 60 + rand.int(340);
    await new Promise((r) => setTimeout(r, killAfter));
    gw.proc.kill('SIGKILL');
    await gw.exited;
    dead = true;
    await Promise.all(clients);
    for (const r of results) {
      if (r.complete) completed.add(r.id);
      else incomplete += 1;
    }
    answered = completed.size;
  }
  assert.ok(answered > CYCLES * 8, `the load got answers (${answered} complete)`);
  assert.ok(totalRecovered > 0, `some requests were cut off in flight and charged by recovery (${totalRecovered})`);
  console.log(`# ${CYCLES} kills: ${answered} answers received complete, ${incomplete} requests not answered complete, ${totalRecovered} charged by recovery at their maximum`);
});
