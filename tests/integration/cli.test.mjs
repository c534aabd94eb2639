// `gaterouter keys ...` and `gaterouter spend` on a ledger file, alone and beside a running gateway that shares it.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe } from 'node:test';

import {
  chat, expectError, GATEWAY_BIN, gatewayConfig, hello, ledgerSettled, poll, sha256, startGateway, startSim, tempFile,
  test,
} from './harness.mjs';

const ADMIN_TOKEN = 'cli-admin-token-5b7d9f1e3a2c4e6a8b0d1f3e';
const CFG_KEY = 'sk-cli-config-key-0f9e8d7c6b5a';

// Runs the gateway binary: { code, stdout, stderr }.
function run(args, env = {}) {
  return new Promise((resolve) => {
    execFile(GATEWAY_BIN, args, { env: { ...process.env, ...env }, timeout: 20000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (error.code ?? 1) : 0, stdout, stderr });
    });
  });
}

async function ok(args, env) {
  const r = await run(args, env);
  assert.equal(r.code, 0, `gaterouter ${args.join(' ')}:\n${r.stderr}`);
  return r;
}

describe('on a ledger file alone (--ledger)', () => {
  const ledger = tempFile('alone.db', '');
  const at = ['--ledger', ledger];

  test('keys create prints the key once; list shows it without the key; revoke', async () => {
    const created = await ok(['keys', 'create', 'alice', '--team', 'web', '--expires', '2030-01-01',
      '--allowed-models', 'm-fast,m-same', '--policy', 'cost', ...at]);
    const key = created.stdout.trim();
    assert.match(key, /^sk-gr-[A-Za-z0-9_-]{43}$/);
    assert.match(created.stderr, /shown this once/);

    const table = await ok(['keys', 'list', ...at]);
    assert.match(table.stdout, /^NAME\s+TEAM\s+STATUS/);
    assert.match(table.stdout, /alice\s+web\s+active\s+\S+\s+2030-01-01T00:00:00Z\s+admin/);
    assert.ok(!table.stdout.includes(key));

    const json = JSON.parse((await ok(['keys', 'list', '--format', 'json', ...at])).stdout);
    const alice = json.data.find((k) => k.name === 'alice');
    assert.deepEqual(alice.allowed_models, ['m-fast', 'm-same']);
    assert.equal(alice.policy, 'cost');
    assert.ok(!JSON.stringify(json).includes(key));

    await ok(['keys', 'revoke', 'alice', ...at]);
    const after = JSON.parse((await ok(['keys', 'list', '--format', 'json', ...at])).stdout);
    assert.equal(after.data.find((k) => k.name === 'alice').status, 'revoked');
  });

  test('mistakes: duplicate name, unknown key, bad options', async () => {
    await ok(['keys', 'create', 'bob', ...at]);
    const dup = await run(['keys', 'create', 'bob', ...at]);
    assert.equal(dup.code, 1);
    assert.match(dup.stderr, /exists already/);
    const missing = await run(['keys', 'revoke', 'nobody', ...at]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /no key named 'nobody'/);
    for (const args of [['keys', 'create', 'x', '--expires', 'soon'], ['keys', 'create', 'x', '--policy', 'cheapest'],
      ['keys', 'create'], ['keys', 'frobnicate'], ['spend', '--group-by', 'colour'], ['spend', '--format', 'xml'],
      ['keys', 'list', '--colour', 'red'], ['keys', 'create', 'bad name']]) {
      const r = await run([...args, ...at]);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /^gaterouter: /);
    }
    const help = await ok(['keys', '--help']);
    assert.match(help.stdout, /gaterouter spend/);
  });

  test('spend on an empty ledger: zero', async () => {
    const json = JSON.parse((await ok(['spend', '--format', 'json', ...at])).stdout);
    assert.equal(json.total.requests, 0);
    assert.equal(json.total.cost_nano_usd, 0);
    const table = await ok(['spend', ...at]);
    assert.match(table.stdout, /requests\s+prompt_tokens\s+completion_tokens\s+cost_usd/);
  });
});

describe('beside a running gateway (--config)', () => {
  let sim;
  let gw;
  let adminUrl;
  let configPath;
  before(async () => {
    sim = await startSim();
    const ledger = tempFile('shared.db', '');
    gw = await startGateway(`${gatewayConfig(sim.url)}
  - { name: cfgkey, team: ops, sha256: "${sha256(CFG_KEY)}" }
ledger: { path: "${ledger}", key_poll_ms: 200 }
admin: { listen: "127.0.0.1:0", token_env: GR_TEST_ADMIN_TOKEN }
`, { args: ['--fake-clock', String(Date.UTC(2031, 2, 10, 9))], env: { GR_TEST_ADMIN_TOKEN: ADMIN_TOKEN } });
    const logs = await poll(() => gw.logs.err, (t) => /gaterouter \S+ listening on/.test(t) && /admin API listening/.test(t));
    gw.url = `http://127.0.0.1:${logs.match(/gaterouter \S+ listening on http:\/\/[^\s:]+:(\d+)/)[1]}`;
    adminUrl = `http://127.0.0.1:${logs.match(/admin API listening on http:\/\/[^\s:]+:(\d+)/)[1]}`;
    configPath = gw.configPath;
  });
  after(async () => {
    await gw?.stop();
    await sim?.stop();
  });
  const env = { GR_TEST_ADMIN_TOKEN: ADMIN_TOKEN };
  // The gateway's fake clock is in 2031, after the real one: what the CLI revokes now is revoked for it too.
  const listKeys = async () => {
    const res = await fetch(`${adminUrl}/admin/v1/keys`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    assert.equal(res.status, 200);
    return res.json();
  };
  // Nobody calls the admin API: the gateway sees the CLI's change itself, within ledger.key_poll_ms (200 here;
  // 3 s allowed for a loaded machine).
  const statusWithin = async (key, status) => {
    const deadline = Date.now() + 3000;
    for (;;) {
      const res = await chat(gw, hello('m-fast'), { key });
      const text = await res.text();
      if (res.status === status) return JSON.parse(text);
      assert.ok(Date.now() < deadline, `still ${res.status}, not ${status}, 3 s after the CLI's change`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  test('a key created by the CLI works within key_poll_ms, without a restart; spend adds up; revoke', async () => {
    const key = (await ok(['keys', 'create', 'cli-user', '--team', 'batch', '--config', configPath], env)).stdout.trim();
    const first = (await statusWithin(key, 200)).usage;

    let cost = first.prompt_tokens * 1000 + first.completion_tokens * 2000;
    for (let i = 0; i < 2; i++) {
      const res = await chat(gw, hello('m-fast'), { key });
      assert.equal(res.status, 200);
      const { usage } = await res.json();
      cost += usage.prompt_tokens * 1000 + usage.completion_tokens * 2000;
    }

    const list = await ok(['keys', 'list', '--config', configPath], env);
    assert.match(list.stdout, /cfgkey\s+ops\s+active\s+-\s+-\s+config/);
    assert.match(list.stdout, /cli-user\s+batch\s+active/);

    await ledgerSettled(gw); // the rows are in the ledger's tables, where the CLI reads
    const json = JSON.parse((await ok(['spend', '--group-by', 'key,day', '--format', 'json', '--config', configPath], env)).stdout);
    const mine = json.rows.find((r) => r.key === 'cli-user');
    assert.equal(mine.day, '2031-03-10');
    assert.equal(mine.requests, 3);
    assert.equal(mine.cost_nano_usd, cost);

    const csv = (await ok(['spend', '--group-by', 'team', '--format', 'csv', '--from', '2031-03-10',
      '--to', '2031-03-11', '--config', configPath], env)).stdout.trim().split(/\r\n/);
    const header = csv[0].split(',');
    const batch = csv.slice(1).map((l) => l.split(',')).find((c) => c[0] === 'batch');
    assert.equal(Number(batch[header.indexOf('cost_nano_usd')]), cost);

    const table = await ok(['spend', '--group-by', 'key', '--config', configPath], env);
    assert.match(table.stdout, /^key\s+requests/);
    assert.match(table.stdout, /cli-user\s+3\s/);
    assert.match(table.stdout, /\ntotal\s+\d+/);

    const none = JSON.parse((await ok(['spend', '--to', '2031-03-10', '--format', 'json', '--config', configPath], env)).stdout);
    assert.equal(none.total.requests, 0);

    await ok(['keys', 'revoke', 'cli-user', '--config', configPath], env);
    await statusWithin(key, 401);
    await expectError(await chat(gw, hello('m-fast'), { key }), 401, 'invalid_api_key');
  });

  test('keys create takes limits: a key with --limits-rpm 2 gets 429 on its third request', async () => {
    const key = (await ok(['keys', 'create', 'cli-limited', '--limits-rpm', '2', '--config', configPath], env))
      .stdout.trim();
    await statusWithin(key, 200); // one request spent
    const res = await chat(gw, hello('m-fast'), { key });
    assert.equal(res.headers.get('x-ratelimit-limit-requests'), '2');
    await res.text();
    await expectError(await chat(gw, hello('m-fast'), { key }), 429, 'rate_limit_exceeded');
    assert.deepEqual((await listKeys()).data.find((k) => k.name === 'cli-limited').limits, { rpm: 2 });
    const bad = await run(['keys', 'create', 'cli-bad', '--limits-rpm', '0', '--config', configPath], env);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /limits\.rpm/);
  });

  test('a config key revoked by the CLI is refused within key_poll_ms', async () => {
    assert.equal((await chat(gw, hello('m-fast'), { key: CFG_KEY })).status, 200);
    await ok(['keys', 'revoke', 'cfgkey', '--config', configPath], env);
    await statusWithin(CFG_KEY, 401);
    const listed = await listKeys();
    const cfg = listed.data.find((k) => k.name === 'cfgkey');
    assert.equal(cfg.source, 'config');
    assert.equal(cfg.status, 'revoked');
    await expectError(await chat(gw, hello('m-fast'), { key: CFG_KEY }), 401, 'invalid_api_key');
  });

  test('a config without its secrets in the environment is refused', async () => {
    const r = await run(['keys', 'list', '--config', configPath], { GR_TEST_ADMIN_TOKEN: '' });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /configuration/);
  });
});
