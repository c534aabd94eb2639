// Shared by the integration and end-to-end tests: starts the real simulator and the real gateway on free loopback
// ports, writes their configuration, and offers small HTTP and raw-socket helpers. Nothing here sleeps for a fixed
// time: every wait is for an event or a bounded poll.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test as nodeTest } from 'node:test';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('../..', import.meta.url));
export const GATEWAY_BIN = process.env.GATEROUTER_BIN || join(root, 'build/gaterouter');
export const SIM_BIN = process.env.GATEROUTER_SIM_BIN || join(root, 'build/tools/sim/gaterouter-sim');
export const TEST_KEY = 'sk-gaterouter-test-0123456789abcdef';
export const sha256 = (s) => createHash('sha256').update(s).digest('hex');

// How long a process may take to print that it is listening.
const START_MS = 10000;

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// node:test's `test` with a time limit by default, so that a gateway that never answers fails one test instead of
// hanging the suite: test(name, [options], fn).
export const TEST_TIMEOUT_MS = 30000;
export function test(name, options, fn) {
  if (typeof options === 'function') return nodeTest(name, { timeout: TEST_TIMEOUT_MS }, options);
  return nodeTest(name, { timeout: TEST_TIMEOUT_MS, ...options }, fn);
}

// Writes `text` to a new file in a temporary folder of its own; the folders go when the test process ends.
const tempDirs = [];
export function tempFile(name, text) {
  const dir = mkdtempSync(join(tmpdir(), 'gr-test-'));
  tempDirs.push(dir);
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}
process.once('exit', () => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

// Resolves with the first match of `regex` in what `stream` prints; rejects after `ms` or if the process exits.
function waitForOutput(proc, stream, regex, ms, what) {
  return new Promise((resolve, reject) => {
    let seen = '';
    const finish = (fn, value) => {
      clearTimeout(timer);
      stream.off('data', onData);
      proc.off('exit', onExit);
      fn(value);
    };
    const timer = setTimeout(
      () => finish(reject, new Error(`${what}: no ${regex} within ${ms} ms; output:\n${seen}`)), ms);
    const onData = (d) => {
      seen += d.toString();
      const m = seen.match(regex);
      if (m) finish(resolve, m);
    };
    const onExit = (code, signal) =>
      finish(reject, new Error(`${what} exited (${code ?? signal}) before it was ready; output:\n${seen}`));
    stream.on('data', onData);
    proc.once('exit', onExit);
    proc.once('error', (e) => finish(reject, new Error(`${what} could not be started (${proc.spawnfile}): ${e.message}`
      + ' (set GATEROUTER_BIN / GATEROUTER_SIM_BIN, or build into build/)')));
  });
}

// Every child started here, so that none outlives the test process, even when it is stopped abruptly.
const children = new Set();
function track(proc) {
  children.add(proc);
  proc.once('exit', () => children.delete(proc));
  proc.on('error', () => children.delete(proc));
  return proc;
}
process.once('exit', () => {
  for (const proc of children) proc.kill('SIGKILL');
});

// Resolves with the exit code (null if killed by a signal) once the process has ended.
export function exited(proc) {
  return new Promise((resolve) => {
    if (proc.exitCode !== null || proc.signalCode !== null) resolve(proc.exitCode);
    else proc.once('exit', (code) => resolve(code));
  });
}

// Stops a child: SIGTERM, then SIGKILL if it has not gone after `ms`. Safe to call twice or on a dead process.
async function terminate(proc, ms = 6000) {
  if (proc.exitCode !== null || proc.signalCode !== null) return proc.exitCode;
  proc.kill('SIGTERM');
  const timer = setTimeout(() => proc.kill('SIGKILL'), ms);
  const code = await exited(proc);
  clearTimeout(timer);
  return code;
}

// A plain HTTP/1.1 exchange with node:http: { status, headers, text, json() }. `agent: false` (the default) opens
// a fresh connection that the server is asked to close afterwards; pass a keep-alive Agent to reuse one.
// `body` may be a string/Buffer, or an array of pieces sent as a chunked body.
export function request(url, { method = 'GET', headers = {}, body, agent = false, timeoutMs = 10000 } = {}) {
  return new Promise((resolve, reject) => {
    const hdrs = { ...headers };
    if (agent === false) hdrs.connection = 'close';
    const req = http.request(url, { method, headers: hdrs, agent }, (res) => {
      const parts = [];
      res.on('data', (d) => parts.push(d));
      res.on('end', () => {
        const text = Buffer.concat(parts).toString();
        resolve({ status: res.statusCode, headers: res.headers, text, json: () => JSON.parse(text),
          reusedSocket: req.reusedSocket });
      });
      res.on('error', reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer from ${method} ${url} within ${timeoutMs} ms`)));
    req.on('error', reject);
    if (Array.isArray(body)) {
      for (const piece of body) req.write(piece);
      req.end();
    } else {
      req.end(body);
    }
  });
}

// ---------------------------------------------------------------------------------------------------------------
// The simulator.

export async function startSim(configText) {
  const args = ['--listen', '127.0.0.1:0'];
  if (configText) args.push('--config', tempFile('sim.yaml', configText));
  const proc = track(spawn(SIM_BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] }));
  let stderr = '';
  proc.stderr.on('data', (d) => (stderr += d));
  let url;
  try {
    [, url] = await waitForOutput(proc, proc.stdout, /gaterouter-sim listening on (http:\/\/\S+)/, START_MS,
      'gaterouter-sim');
  } catch (e) {
    proc.kill('SIGKILL');
    e.message += `\nstderr:\n${stderr}`;
    throw e;
  }
  proc.stdout.resume();
  // Every control call goes on a connection of its own (Connection: close), so the simulator's connection counters
  // can be corrected for them: `stats()` reports only the connections that other clients (the gateway) made.
  let controlCalls = 0;
  const call = async (method, path, body) => {
    controlCalls += 1;
    const res = await request(url + path, {
      method, body: body === undefined ? undefined : JSON.stringify(body),
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
    });
    if (res.status !== 200) throw new Error(`simulator ${method} ${path}: ${res.status} ${res.text}`);
    return res.text ? res.json() : null;
  };
  return {
    url,
    proc,
    async stats() {
      const s = await call('GET', '/_sim/stats');
      // This call's own connection is open and was accepted; the earlier control calls' were accepted too.
      return { ...s, open_connections: s.open_connections - 1, accepted_connections: s.accepted_connections - controlCalls,
        raw: s };
    },
    // { path, headers, body } of the last chat/embeddings request; header names lower-cased (`rawHeaders` as sent).
    async lastRequest() {
      const last = await call('GET', '/_sim/last_request');
      const headers = Object.fromEntries(Object.entries(last.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
      return { ...last, headers, rawHeaders: last.headers };
    },
    setModel: (model, knobs) => call('PUT', `/_sim/models/${encodeURIComponent(model)}`, knobs),
    deleteModel: (model) => call('DELETE', `/_sim/models/${encodeURIComponent(model)}`),
    reset: () => call('POST', '/_sim/reset'),
    // Sets knobs for the duration of `fn` and removes them afterwards, whatever happens.
    async withModel(model, knobs, fn) {
      await call('PUT', `/_sim/models/${encodeURIComponent(model)}`, knobs);
      try {
        return await fn();
      } finally {
        await call('DELETE', `/_sim/models/${encodeURIComponent(model)}`);
      }
    },
    stop: () => terminate(proc),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// The gateway.

export const SERVER_DEFAULTS = Object.freeze({
  listen: '127.0.0.1:0', workers: 2, max_body_bytes: 65536, idle_timeout_ms: 5000, read_timeout_ms: 1500,
  shutdown_grace_ms: 5000,
});
export const UPSTREAM_DEFAULTS = Object.freeze({
  connect_timeout_ms: 1000, first_byte_timeout_ms: 1500, idle_timeout_ms: 1500, total_timeout_ms: 10000,
});

// A YAML flow mapping: { a: 1, b: "x" }.
const flow = (obj) => `{ ${Object.entries(obj).map(([k, v]) => `${k}: ${JSON.stringify(v)}`).join(', ')} }`;

// The gateway's YAML for a simulator at `simUrl`. `server`, `upstream` and `log` override single settings;
// `providers` and `models` are extra list items (YAML text, each line starting with "  - ").
// Tests that inject upstream failures must see each failure as it is, so breakers here only open when a test
// asks for it (`routing`).
export const CLASSIFIER_MODEL = join(root, 'data/classifier/model.txt');
const ROUTING_DEFAULTS = `max_attempts: 3, breaker: { consecutive_failures: 1000, min_requests: 1000000 }, classifier_model: "${CLASSIFIER_MODEL}"`;

export function gatewayConfig(simUrl, { server = {}, upstream = {}, log = {}, keys = true, providers = '', models = '',
  routing = ROUTING_DEFAULTS } = {}) {
  return `server: ${flow({ ...SERVER_DEFAULTS, ...server })}
upstream: ${flow({ ...UPSTREAM_DEFAULTS, ...upstream })}
log: ${flow({ level: 'info', access_log: true, ...log })}
routing: { ${routing} }
providers:
  - { name: sim, kind: openai, base_url: "${simUrl}/v1" }
  - { name: sim-anthropic, kind: anthropic, base_url: "${simUrl}/v1" }
  - { name: sim-gemini, kind: gemini, base_url: "${simUrl}/v1beta" }
  - { name: dead, kind: openai, base_url: "http://127.0.0.1:9/v1" }
${providers}
models:
  - { id: m-fast, provider: sim, upstream_model: sim-fast, input_price_per_mtok: 1, output_price_per_mtok: 2, context_window: 8000, capabilities: [tools, json, streaming] }
  - { id: m-same, provider: sim, context_window: 8000 }
  - { id: m-dead, provider: dead }
  - { id: m-claude, provider: sim-anthropic, upstream_model: claude-sim, capabilities: [tools, vision, json, streaming] }
  - { id: m-gemini, provider: sim-gemini, upstream_model: gemini-sim, capabilities: [tools, vision, json, streaming] }
  - { id: m-embed, provider: sim, upstream_model: embed-sim, capabilities: [embeddings] }
  - { id: m-gemini-embed, provider: sim-gemini, upstream_model: gemini-embed-sim, capabilities: [embeddings] }
  - { id: m-small-context, provider: sim, context_window: 100, capabilities: [streaming] }
  - { id: m-slow, provider: sim, upstream_model: sim-slow }
${models}
${keys ? `api_keys:\n  - { name: test, sha256: "${sha256(TEST_KEY)}" }` : ''}
`;
}

// Extra models for gatewayConfig's `models`: each name N becomes gateway model m-N served by simulator model sim-N.
// Tests that inject faults use one of their own, so that neither knobs nor any per-model health state (breakers)
// leaks from one test into the next.
export const simModels = (...names) =>
  names.map((n) => `  - { id: m-${n}, provider: sim, upstream_model: sim-${n} }`).join('\n');

// Starts `gaterouter --config <temp file>`; resolves once it logs where it listens. `opts` may be the extra
// arguments (an array) or { args, env, wrap }; `wrap` is a command line the gateway's is appended to (it must
// exec the gateway, e.g. prlimit).
export async function startGateway(configText, opts = {}) {
  const { args = [], env = {}, wrap = [] } = Array.isArray(opts) ? { args: opts } : opts;
  const path = tempFile('gaterouter.yaml', configText);
  const launch = async () => {
    const command = [...wrap, GATEWAY_BIN, '--config', path, ...args];
    const proc = track(spawn(command[0], command.slice(1), {
      stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env },
    }));
    const logs = { out: '', err: '' };
    proc.stdout.on('data', (d) => (logs.out += d));
    proc.stderr.on('data', (d) => (logs.err += d));
    let url;
    try {
      [, url] = await waitForOutput(proc, proc.stderr, /listening on (http:\/\/\S+)/, START_MS, 'gaterouter');
    } catch (e) {
      proc.kill('SIGKILL');
      throw e;
    }
    const port = Number(new URL(url).port);
    assert.ok(port > 0, `the gateway logs its real port, not ${url}`);
    return { url: `http://127.0.0.1:${port}`, port, proc, logs };
  };
  const gw = {
    ...(await launch()),
    configPath: path,
    exited: () => exited(gw.proc),
    // The access log so far: one parsed JSON object per stdout line.
    accessLog: () => gw.logs.out.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l)),
    stop: () => terminate(gw.proc),
    // For afterEach hooks: if the gateway died during the test, starts a new one in its place (same config; the
    // url and port change) so that later tests are not failed by this one, and throws to fail this test.
    async assertAlive() {
      if (gw.proc.exitCode === null && gw.proc.signalCode === null) return;
      const how = gw.proc.signalCode ?? `exit code ${gw.proc.exitCode}`;
      const stderr = gw.logs.err;
      Object.assign(gw, await launch());
      throw new assert.AssertionError({ message: `the gateway died (${how}) during this test; its stderr:\n${stderr}` });
    },
  };
  return gw;
}

export function chat(gw, body, { key = TEST_KEY, headers = {}, path = '/v1/chat/completions', signal } = {}) {
  return fetch(gw.url + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}), ...headers },
    body: typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body),
    signal,
  });
}

export const hello = (model, extra = {}) => ({ model, messages: [{ role: 'user', content: 'Hello there' }], ...extra });

// The data payloads of an SSE text, in order.
export function parseEvents(text) {
  return text
    .split(/\r?\n\r?\n/)
    .map((e) => e.split(/\r?\n/).filter((l) => l.startsWith('data:')).map((l) => l.slice(5).replace(/^ /, '')).join('\n'))
    .filter((d) => d.length > 0);
}

// Reads an SSE response to its end: the data payloads, in order.
export async function readEvents(res) {
  return parseEvents(await res.text());
}

// The text of a chat answer, whole or streamed (chunks as parsed objects).
export const streamedText = (chunks) => chunks.map((c) => c.choices?.[0]?.delta?.content ?? '').join('');

// ---------------------------------------------------------------------------------------------------------------
// Raw sockets.

// Sends raw bytes on a new TCP connection and resolves with everything the server sent before it closed
// (or after `ms`). With `end`, the client half-closes after writing.
export function rawExchange(port, bytes, ms = 3000, { end = false } = {}) {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let got = '';
    const timer = setTimeout(() => socket.destroy(), ms);
    socket.on('data', (d) => (got += d.toString('latin1')));
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(got);
    });
    socket.on('error', () => {});
    socket.write(bytes);
    if (end) socket.end();
  });
}

// A raw client connection that records what it receives: `text()`, `until(regex, ms)`, `closed` (a promise of the
// time it closed), `write()`, `destroy()`.
export async function rawClient(port) {
  const socket = net.connect(port, '127.0.0.1');
  socket.setNoDelay(true);
  let got = '';
  const waiters = new Set();
  const check = () => {
    for (const w of waiters) w();
  };
  socket.on('data', (d) => {
    got += d.toString('latin1');
    check();
  });
  const closed = new Promise((resolve) => socket.once('close', () => {
    resolve(Date.now());
    check();
  }));
  socket.on('error', () => {});
  await new Promise((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return {
    socket,
    closed,
    text: () => got,
    write: (b) => socket.write(b),
    destroy: () => socket.destroy(),
    get isClosed() {
      return socket.destroyed;
    },
    // Resolves with the text received so far once it matches; rejects after `ms` or when the socket closes first.
    until(regex, ms = 5000) {
      return new Promise((resolve, reject) => {
        const w = () => {
          if (regex.test(got)) {
            waiters.delete(w);
            clearTimeout(timer);
            resolve(got);
          } else if (socket.destroyed) {
            waiters.delete(w);
            clearTimeout(timer);
            reject(new Error(`connection closed before ${regex}; got:\n${got}`));
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(w);
          reject(new Error(`no ${regex} within ${ms} ms; got:\n${got}`));
        }, ms);
        waiters.add(w);
        w();
      });
    },
  };
}

// An HTTP/1.1 request as raw text.
export function rawRequest(method, path, { headers = {}, body = '', key = TEST_KEY } = {}) {
  const all = { host: '127.0.0.1', ...(key ? { authorization: `Bearer ${key}` } : {}), ...headers };
  if (body || method === 'POST') {
    all['content-type'] ??= 'application/json';
    all['content-length'] = Buffer.byteLength(body);
  }
  return `${method} ${path} HTTP/1.1\r\n${Object.entries(all).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n${body}`;
}

// Whether a new TCP connection to the port is refused.
export function connectionRefused(port) {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (e) => resolve(e.code === 'ECONNREFUSED'));
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Polling and assertions.

// Calls `fn` until `ok(result)` or `ms` have passed; returns the last result (the caller asserts on it).
export async function poll(fn, ok, ms = 3000, step = 25) {
  const until = Date.now() + ms;
  let last = await fn();
  while (!ok(last) && Date.now() < until) {
    await sleep(step);
    last = await fn();
  }
  return last;
}

// Waits until a gateway's ledger has moved every request row on record into its tables (its journal, with
// durability normal, is empty: /metrics says so), so that a direct read of the SQLite file sees every request
// answered so far. Throws when it does not within `ms`.
export async function ledgerSettled(gw, ms = 5000) {
  const pending = (text) => Number(text.match(/^gaterouter_ledger_journal_pending (\d+)/m)?.[1] ?? 0);
  const text = await poll(async () => (await fetch(`${gw.url}/metrics`)).text(), (t) => pending(t) === 0, ms);
  if (pending(text) !== 0) throw new Error(`the ledger still had ${pending(text)} row(s) to move after ${ms} ms`);
}

export function assertOpenAiError(body) {
  if (!body || typeof body.error !== 'object' || body.error === null) {
    throw new assert.AssertionError({ message: `not an OpenAI error: ${JSON.stringify(body)}` });
  }
  for (const k of ['message', 'type', 'param', 'code']) {
    if (!(k in body.error)) throw new assert.AssertionError({ message: `error lacks '${k}': ${JSON.stringify(body)}` });
  }
  assert.equal(typeof body.error.message, 'string');
  assert.ok(body.error.message.length > 0, 'the error message is empty');
  assert.equal(typeof body.error.type, 'string');
  assert.ok(body.error.param === null || typeof body.error.param === 'string', `param: ${body.error.param}`);
  assert.ok(body.error.code === null || typeof body.error.code === 'string', `code: ${body.error.code}`);
}

// Asserts a fetch Response is the expected OpenAI-shaped error with the gateway's headers; returns the body.
export async function expectError(res, status, code, param) {
  const text = await res.text();
  assert.equal(res.status, status, `expected ${status}, got ${res.status}: ${text}`);
  assert.match(res.headers.get('content-type') ?? '', /application\/json/);
  assert.ok(res.headers.get('x-request-id'), 'x-request-id on an error');
  assert.match(res.headers.get('x-gaterouter-overhead-us') ?? '', /^\d+$/, 'x-gaterouter-overhead-us on an error');
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    assert.fail(`error body is not JSON: ${text}`);
  }
  assertOpenAiError(body);
  if (code !== undefined) assert.equal(body.error.code, code, text);
  if (param !== undefined) assert.equal(body.error.param, param, text);
  return body;
}

// A small seeded PRNG (mulberry32), so fuzz runs are repeatable.
export function seededRandom(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (n) => Math.floor(next() * n), pick: (arr) => arr[Math.floor(next() * arr.length)] };
}
