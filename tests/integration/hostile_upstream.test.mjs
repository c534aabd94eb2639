// A hostile (or merely broken) upstream against the real gateway and its real SQLite ledger: a scripted HTTP server
// on loopback plays each provider protocol and answers what a test tells it to. Nothing it sends may crash the
// gateway, pass garbage off as a success, leak the provider's key, overflow the ledger or escape a budget.
//
// Money is in nano-USD (the ledger's unit); the models here cost 1 $/Mtok in and 2 $/Mtok out: 1 000 nano-USD a
// prompt token, 2 000 a completion token.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { after, afterEach, before, describe } from 'node:test';
import { promisify } from 'node:util';

import {
  chat, expectError, gatewayConfig, ledgerSettled, parseEvents, poll, request, sha256, startGateway, tempFile, test,
} from './harness.mjs';

const IN_NANO = 1000;
const OUT_NANO = 2000;
const PROVIDER_KEY = 'sk-SECRET-123-provider-key';
const ADMIN_TOKEN = 'adm-hostile-upstream-0123456789abcdef';
const KEY = 'sk-hostile-upstream-0123456789abcdef';
const BUDGET_KEY = 'sk-hostile-budget-0123456789abcdef';
const INT64_MAX = '9223372036854775807';

// ---------------------------------------------------------------------------------------------------------------
// The scripted upstream: each request goes to the handler of its upstream model (the body's `model`, or the model in
// a Gemini path), which gets (req, body text, res).

function startUpstream() {
  const handlers = new Map();
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      const gemini = req.url.match(/\/models\/([^:/?]+):/);
      let model = gemini?.[1];
      if (!model) {
        try {
          model = JSON.parse(body).model;
        } catch {
          model = undefined;
        }
      }
      const handler = handlers.get(model);
      if (!handler) {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: `no script for ${model}`, type: 'invalid_request_error' } }));
        return;
      }
      handler(req, body, res);
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({
    url: `http://127.0.0.1:${server.address().port}`,
    on: (model, handler) => handlers.set(model, handler),
    close: () => new Promise((r) => {
      server.closeAllConnections();
      server.close(r);
    }),
  })));
}

// The credential the gateway sent, whichever protocol's header carries it.
const credential = (req) => req.headers.authorization ?? req.headers['x-api-key'] ?? req.headers['x-goog-api-key'];

const json = (res, status, value) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(typeof value === 'string' ? value : JSON.stringify(value));
};

const completion = (model, { choices = 1, tokens = 5, usage } = {}) => ({
  id: 'chatcmpl-h', object: 'chat.completion', created: 1, model,
  choices: Array.from({ length: choices }, (_, index) => ({
    index, message: { role: 'assistant', content: 'x '.repeat(tokens).trim() }, logprobs: null, finish_reason: 'stop',
  })),
  ...(usage === null ? {} : { usage: usage ?? { prompt_tokens: 3, completion_tokens: tokens * choices, total_tokens: 3 + tokens * choices } }),
});

// An OpenAI stream: `tokens` content chunks per choice, then the usage chunk (unless `usage` is null), then [DONE].
function streamOpenAi(res, model, { choices = 1, tokens = 5, usage, done = true } = {}) {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  const chunk = (c) => res.write(`data: ${JSON.stringify({ id: 'chatcmpl-h', object: 'chat.completion.chunk', created: 1, model, ...c })}\n\n`);
  for (let index = 0; index < choices; index += 1) {
    chunk({ choices: [{ index, delta: { role: 'assistant', content: '' }, finish_reason: null }] });
    for (let t = 0; t < tokens; t += 1) chunk({ choices: [{ index, delta: { content: 'x ' }, finish_reason: null }] });
    chunk({ choices: [{ index, delta: {}, finish_reason: 'stop' }] });
  }
  if (usage !== null) {
    chunk({ choices: [], usage: usage ?? { prompt_tokens: 3, completion_tokens: tokens * choices, total_tokens: 3 + tokens * choices } });
  }
  if (done) res.write('data: [DONE]\n\n');
  res.end();
}

// ---------------------------------------------------------------------------------------------------------------
// The gateway, its ledger and admin API.

const PRICE = 'input_price_per_mtok: 1, output_price_per_mtok: 2, context_window: 2000000000, capabilities: [tools, json, streaming]';
const MODELS = ['openai', 'claude', 'gemini'].flatMap((kind) => ['scrub', 'junk', 'cut', 'deep', 'huge', 'bare', 'worst', 'trickle']
  .map((what) => `  - { id: h-${what}-${kind}, provider: hostile-${kind}, upstream_model: up-${what}-${kind}, ${PRICE} }`)).join('\n');

function config(upstreamUrl, ledger, { upstream = {}, budgets = [] } = {}) {
  return `${gatewayConfig('http://127.0.0.1:9', {
    keys: false, upstream,
    providers: `  - { name: hostile-openai, kind: openai, base_url: "${upstreamUrl}/v1", api_key_env: GR_HOSTILE_KEY }
  - { name: hostile-claude, kind: anthropic, base_url: "${upstreamUrl}/v1", api_key_env: GR_HOSTILE_KEY }
  - { name: hostile-gemini, kind: gemini, base_url: "${upstreamUrl}/v1beta", api_key_env: GR_HOSTILE_KEY }`,
    models: MODELS,
  })}
api_keys:
  - { name: hostile, sha256: "${sha256(KEY)}" }
  - { name: capped, sha256: "${sha256(BUDGET_KEY)}" }
ledger: { path: "${ledger}" }
admin: { listen: "127.0.0.1:0", token_env: GR_HOSTILE_ADMIN }
budgets:
${budgets.length ? budgets.map((b) => `  - ${b}`).join('\n') : '  - { name: everything, scope: global, period: total, limit_usd: 1000000, hard: false }'}
`;
}

async function start(upstreamUrl, ledger, options) {
  const gw = await startGateway(config(upstreamUrl, ledger, options),
    { env: { GR_HOSTILE_KEY: PROVIDER_KEY, GR_HOSTILE_ADMIN: ADMIN_TOKEN } });
  const logs = await poll(() => gw.logs.err, (t) => /admin API listening/.test(t), 5000);
  gw.admin = `http://127.0.0.1:${logs.match(/admin API listening on http:\/\/[^\s:]+:(\d+)/)[1]}/admin/v1`;
  return gw;
}

const adminGet = (gw, path) => request(`${gw.admin}${path}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });

const execFileP = promisify(execFile);
const SQL_PY = `
import json, sqlite3, sys
c = sqlite3.connect(sys.argv[1], timeout=10)
c.row_factory = sqlite3.Row
rows = [dict(r) for r in c.execute(sys.argv[2], json.loads(sys.argv[3]))]
c.commit()
print(json.dumps(rows))
c.close()
`;
async function sql(gw, db, query, params = []) {
  if (gw) await ledgerSettled(gw);
  const { stdout } = await execFileP('python3', ['-c', SQL_PY, db, query, JSON.stringify(params)]);
  return JSON.parse(stdout);
}
const rowOf = async (gw, db, id) => (await sql(gw, db, 'SELECT * FROM requests WHERE request_id = ?', [id]))[0];
const newLedger = () => tempFile('placeholder', '').replace(/placeholder$/, 'spend.db');

const ask = (model, extra = {}) => ({ model, messages: [{ role: 'user', content: 'Hello there' }], ...extra });
const send = (gw, body, { key = KEY, id = randomUUID() } = {}) => chat(gw, body, { key, headers: { 'x-request-id': id } });

// The failures the gateway counted against a model's deployment.
async function failuresOf(gw, model) {
  const text = await (await fetch(`${gw.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('gaterouter_upstream_requests_total{')
    && l.includes(`model="${model}"`) && l.includes('outcome="failure"'));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

let up;
let gw;
let db;
before(async () => {
  up = await startUpstream();
  db = newLedger();
  gw = await start(up.url, db);
});
after(async () => {
  await gw?.stop();
  await up?.close();
});
afterEach(async () => {
  await gw.assertAlive();
});

// ---------------------------------------------------------------------------------------------------------------

describe('the provider key is scrubbed from everything relayed', () => {
  const echo = {
    openai: (req, res) => json(res, 400, { error: { message: `Bad request with key ${credential(req)}`, type: 'invalid_request_error', param: null, code: null } }),
    claude: (req, res) => json(res, 400, { type: 'error', error: { type: 'invalid_request_error', message: `Bad request with key ${credential(req)}` } }),
    gemini: (req, res) => json(res, 400, { error: { code: 400, message: `Bad request with key ${credential(req)}`, status: 'INVALID_ARGUMENT' } }),
  };
  for (const kind of ['openai', 'claude', 'gemini']) {
    test(`${kind}: an error message that echoes the request's credentials`, async () => {
      up.on(`up-scrub-${kind}`, (req, _body, res) => echo[kind](req, res));
      const res = await send(gw, ask(`h-scrub-${kind}`));
      const body = await expectError(res, 400);
      assert.ok(!body.error.message.includes(PROVIDER_KEY), body.error.message);
      assert.match(body.error.message, /Bad request with key .*\[redacted\]/);
    });
  }

  test('openai: an answer and a stream error event that echo it', async () => {
    up.on('up-scrub-openai', (req, body, res) => {
      if (!JSON.parse(body).stream) {
        json(res, 200, completion('up', { tokens: 1 }));
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(`data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'up', choices: [{ index: 0, delta: { content: `your key is ${credential(req)}` }, finish_reason: null }] })}\n\n`);
      res.write(`data: ${JSON.stringify({ error: { message: `overloaded, key ${credential(req)}`, type: 'server_error' } })}\n\n`);
      res.end();
    });
    const res = await send(gw, ask('h-scrub-openai', { stream: true }));
    const text = await res.text();
    assert.ok(!text.includes(PROVIDER_KEY), text);
    assert.match(text, /\[redacted\]/);
  });
});

describe('garbage is a provider failure, never a success', () => {
  for (const kind of ['openai', 'claude', 'gemini']) {
    test(`${kind}: a whole answer that is not JSON is a 502 counted against the deployment`, async () => {
      up.on(`up-junk-${kind}`, (_req, _body, res) => {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end('<html><body>upstream connect error or disconnect/reset before headers</body></html>');
      });
      const before = await failuresOf(gw, `h-junk-${kind}`);
      const res = await send(gw, ask(`h-junk-${kind}`));
      await expectError(res, 502, 'upstream_bad_response');
      assert.equal(await failuresOf(gw, `h-junk-${kind}`), before + 1, 'the breaker counts it');
    });
  }

  // OpenAI chunks are relayed unread, so only a cut at the end can be seen there; the translators read every event,
  // and one cut short in the middle (the rest of the stream intact) was dropped and the stream ended with [DONE].
  const truncated = {
    openai: 'data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"up","choices":[{"index":0,"delta":{"content":"Hel"},"finish_reason":null}]}\n\ndata: {"id":"c","object":"chat.completion.chunk","choi',
    claude: 'event: message_start\ndata: {"type":"message_start","message":{"id":"m","type":"message","role":"assistant","model":"up","content":[],"usage":{"input_tokens":3,"output_tokens":0}}}\n\n'
      + 'event: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}\n\n'
      + 'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_del\n\n'
      + 'event: content_block_stop\ndata: {"type":"content_block_stop","index":0}\n\n'
      + 'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":2}}\n\n'
      + 'event: message_stop\ndata: {"type":"message_stop"}\n\n',
    gemini: 'data: {"candidates":[{"content":{"parts":[{"text":"Hel"}],"role":"model"}}]}\r\n\r\ndata: {"candidates":[{"cont\r\n\r\n'
      + 'data: {"candidates":[{"content":{"parts":[{"text":"lo"}],"role":"model"},"finishReason":"STOP"}],"usageMetadata":{"promptTokenCount":3,"candidatesTokenCount":2}}\r\n\r\n',
  };
  for (const kind of ['openai', 'claude', 'gemini']) {
    test(`${kind}: a stream with an event cut short fails (502, or an error event), never ends with [DONE]`, async () => {
      up.on(`up-cut-${kind}`, (_req, _body, res) => {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.end(truncated[kind]);
      });
      const res = await send(gw, ask(`h-cut-${kind}`, { stream: true }));
      // Seen before the client had a byte, it is a plain 502; after, the stream's last event says it.
      if (res.status !== 200) {
        await expectError(res, 502);
        return;
      }
      const events = parseEvents(await res.text());
      assert.notEqual(events.at(-1), '[DONE]', events.join('\n'));
      assert.ok(JSON.parse(events.at(-1)).error, `the last event is an error: ${events.at(-1)}`);
    });
  }

  test('gemini: a stream whose functionCall.args nests 200 000 levels fails cleanly', async () => {
    const args = `${'{"a":'.repeat(200000)}1${'}'.repeat(200000)}`;
    up.on('up-deep-gemini', (_req, _body, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(`data: {"candidates":[{"content":{"parts":[{"functionCall":{"name":"f","args":${args}}}],"role":"model"},"finishReason":"STOP"}]}\r\n\r\n`);
    });
    const res = await send(gw, ask('h-deep-gemini', { stream: true }));
    const text = await res.text();
    assert.ok(res.status === 502 || JSON.parse(parseEvents(text).at(-1)).error, `${res.status} ${text.slice(0, 300)}`);
    const whole = await send(gw, ask('h-deep-gemini'));
    assert.ok(whole.status >= 500, `status ${whole.status}`);
  });
});

describe('usage that would overflow the ledger', () => {
  test('1e15 tokens are bounded where they enter: the row, the spend report and the next start stay sound', async () => {
    up.on('up-huge-openai', (_req, _body, res) => json(res, 200,
      completion('up', { usage: { prompt_tokens: 1e15, completion_tokens: 1e15, total_tokens: 2e15 } })));
    const id = randomUUID();
    const res = await send(gw, ask('h-huge-openai'), { id });
    assert.equal(res.status, 200);
    const row = await rowOf(gw, db, id);
    assert.equal(row.prompt_tokens, 100_000_000);
    assert.equal(row.completion_tokens, 100_000_000);
    assert.equal(row.cost_nano_usd, 100_000_000 * (IN_NANO + OUT_NANO));
    const spend = await adminGet(gw, '/spend');
    assert.equal(spend.status, 200, spend.text);
  });

  test('a ledger already holding rows of INT64_MAX cost: the gateway starts, reports, and the budget stays exhausted', async () => {
    const ledger = newLedger();
    const budget = '{ name: capped-total, scope: { key: capped }, period: total, limit_usd: 1, hard: true }';
    let g = await start(up.url, ledger, { budgets: [budget] });
    up.on('up-huge-claude', (_req, _body, res) => json(res, 200, {
      id: 'msg', type: 'message', role: 'assistant', model: 'up', content: [{ type: 'text', text: 'hi' }],
      stop_reason: 'end_turn', usage: { input_tokens: 3, output_tokens: 2 },
    }));
    // max_tokens bounds what each reserves: these models have no output limit of their own.
    const small = ask('h-huge-claude', { max_tokens: 10 });
    for (let i = 0; i < 2; i += 1) assert.equal((await send(g, small, { key: BUDGET_KEY })).status, 200);
    await g.stop();
    // What a gateway before the bounds wrote for 1e15 tokens: rows whose costs sum past 2^63.
    await sql(null, ledger, `UPDATE requests SET cost_nano_usd = ${INT64_MAX}`);
    g = await start(up.url, ledger, { budgets: [budget] });
    try {
      assert.match(g.logs.err, /budget 'capped-total' sums past the largest amount/);
      const spend = await adminGet(g, '/spend?group_by=key');
      assert.equal(spend.status, 200, spend.text);
      assert.equal(spend.json().data?.[0]?.cost_nano_usd ?? spend.json().rows?.[0]?.cost_nano_usd, Number(INT64_MAX));
      const refused = await send(g, small, { key: BUDGET_KEY });
      const body = await expectError(refused, 429, 'budget_exceeded');
      assert.ok(!/\$-/.test(body.error.message), `spend is never negative: ${body.error.message}`);
      const other = await send(g, small);
      assert.equal(other.status, 200, `other keys are served: ${await other.clone().text()}`);
    } finally {
      await g.stop();
    }
  });
});

describe('an answer without usage is never free', () => {
  test('a whole answer without usage is charged the gateway\'s own count', async () => {
    up.on('up-bare-openai', (_req, _body, res) => json(res, 200, completion('up', { tokens: 40, usage: null })));
    const id = randomUUID();
    assert.equal((await send(gw, ask('h-bare-openai'), { id })).status, 200);
    const row = await rowOf(gw, db, id);
    assert.ok(row.completion_tokens > 0 && row.prompt_tokens > 0, JSON.stringify(row));
    assert.equal(row.cost_nano_usd, row.prompt_tokens * IN_NANO + row.completion_tokens * OUT_NANO);
  });

  test('a complete stream without usage is charged one token per event relayed', async () => {
    up.on('up-bare-openai', (_req, _body, res) => streamOpenAi(res, 'up', { tokens: 30, usage: null }));
    const id = randomUUID();
    const res = await send(gw, ask('h-bare-openai', { stream: true, stream_options: { include_usage: true } }), { id });
    const events = parseEvents(await res.text());
    assert.equal(events.at(-1), '[DONE]');
    const row = await rowOf(gw, db, id);
    assert.ok(row.completion_tokens >= 30, `completion tokens ${row.completion_tokens}`);
    assert.ok(row.cost_nano_usd > 0);
  });
});

describe('hard budgets against the worst an honest upstream can bill', () => {
  // Every answer is as long as allowed (n × max_tokens), and the prompt is billed at the bound the gateway
  // reserves for (one token a byte of content, four a message, three more).
  const messages = [{ role: 'user', content: 'Hello there' }];
  const promptBound = Buffer.byteLength(JSON.stringify(messages[0].content)) + 4 + 3;
  const MAX_TOKENS = 50;
  const N = 4;
  const worst = (_req, body, res) => {
    const b = JSON.parse(body);
    const n = b.n ?? 1;
    const usage = { prompt_tokens: promptBound, completion_tokens: n * b.max_tokens, total_tokens: promptBound + n * b.max_tokens };
    if (b.stream) streamOpenAi(res, 'up', { choices: n, tokens: b.max_tokens, usage });
    else json(res, 200, completion('up', { choices: n, tokens: b.max_tokens, usage }));
  };
  const ONE = promptBound * IN_NANO + N * MAX_TOKENS * OUT_NANO; // one request's worst case
  const LIMIT = 10 * ONE;

  test('n and streams: concurrent requests never take spend past the limit', { timeout: 60000 }, async () => {
    const ledger = newLedger();
    up.on('up-worst-openai', worst);
    const g = await start(up.url, ledger, {
      budgets: [`{ name: ten-requests, scope: { key: capped }, period: total, limit_usd: ${LIMIT / 1e9}, hard: true }`],
    });
    try {
      const results = await Promise.all(Array.from({ length: 30 }, async (_, i) => {
        const res = await send(g, { model: 'h-worst-openai', messages, n: N, max_tokens: MAX_TOKENS, stream: i % 2 === 1 },
          { key: BUDGET_KEY });
        await res.text();
        return res.status;
      }));
      const served = results.filter((s) => s === 200).length;
      assert.ok(results.every((s) => s === 200 || s === 429), results.join(','));
      const spent = (await sql(g, ledger, "SELECT SUM(cost_nano_usd) AS s FROM requests WHERE key_name = 'capped'"))[0].s;
      assert.ok(spent <= LIMIT, `spent ${spent} of ${LIMIT} nano-USD (${served} served)`);
      assert.equal(served, 10, `room for exactly ten worst cases: ${results.join(',')}`);
    } finally {
      await g.stop();
    }
  });

  test('an answer billed past its reservation is charged in full and closes the budget', async () => {
    const ledger = newLedger();
    up.on('up-worst-claude', (_req, body, res) => json(res, 200, {
      id: 'msg', type: 'message', role: 'assistant', model: 'up', content: [{ type: 'text', text: 'hi' }],
      stop_reason: 'end_turn', usage: { input_tokens: 10 * promptBound, output_tokens: 3 * JSON.parse(body).max_tokens },
    }));
    const g = await start(up.url, ledger, {
      budgets: [`{ name: two-requests, scope: { key: capped }, period: total, limit_usd: ${(2 * ONE) / 1e9}, hard: true }`],
    });
    try {
      const id = randomUUID();
      const first = await send(g, { model: 'h-worst-claude', messages, max_tokens: MAX_TOKENS }, { key: BUDGET_KEY, id });
      assert.equal(first.status, 200);
      const row = await rowOf(g, ledger, id);
      assert.equal(row.cost_nano_usd, 10 * promptBound * IN_NANO + 3 * MAX_TOKENS * OUT_NANO, 'the excess is charged');
      const second = await send(g, { model: 'h-worst-claude', messages, max_tokens: MAX_TOKENS }, { key: BUDGET_KEY });
      assert.equal(second.status, 200, 'room was left after the first');
      await second.text();
      const third = await send(g, { model: 'h-worst-claude', messages, max_tokens: MAX_TOKENS }, { key: BUDGET_KEY });
      await expectError(third, 429, 'budget_exceeded');
    } finally {
      await g.stop();
    }
  });
});

describe('timeouts are named for what cut the request', () => {
  test('a stream cut by the total timeout is reported as a total timeout, not an idle one', async () => {
    const g = await start(up.url, newLedger(), { upstream: { total_timeout_ms: 700, idle_timeout_ms: 1500 } });
    up.on('up-trickle-openai', (_req, _body, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const timer = setInterval(() => res.write(`data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'up', choices: [{ index: 0, delta: { content: 'x ' }, finish_reason: null }] })}\n\n`), 50);
      res.on('close', () => clearInterval(timer));
    });
    try {
      for (let i = 0; i < 3; i += 1) {
        const res = await send(g, ask('h-trickle-openai', { stream: true }));
        const events = parseEvents(await res.text());
        const last = JSON.parse(events.at(-1));
        assert.match(last.error?.message ?? '', /total timeout/, events.at(-1));
      }
    } finally {
      await g.stop();
    }
  });
});
