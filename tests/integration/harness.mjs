// Starts the real simulator and the real gateway on free loopback ports for a test file, and stops them after.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
export const GATEWAY_BIN = process.env.GATEROUTER_BIN ?? join(root, 'build/gaterouter');
export const SIM_BIN = process.env.GATEROUTER_SIM_BIN ?? join(root, 'build/tools/sim/gaterouter-sim');
export const TEST_KEY = 'sk-gaterouter-test-0123456789abcdef';
export const sha256 = (s) => createHash('sha256').update(s).digest('hex');

// Resolves with the first match of `regex` in what `stream` prints; rejects after `ms` or if the process exits.
function waitFor(proc, stream, regex, ms, what) {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`${what}: no ${regex} within ${ms} ms; output:\n${seen}`)), ms);
    const onData = (d) => {
      seen += d.toString();
      const m = seen.match(regex);
      if (m) {
        clearTimeout(timer);
        stream.off('data', onData);
        resolve(m);
      }
    };
    stream.on('data', onData);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited with ${code} before it was ready; output:\n${seen}`));
    });
  });
}

function exited(proc) {
  return new Promise((resolve) => {
    if (proc.exitCode !== null || proc.signalCode !== null) resolve(proc.exitCode);
    else proc.once('exit', (code) => resolve(code));
  });
}

export async function startSim(configText) {
  const args = ['--listen', '127.0.0.1:0'];
  if (configText) {
    const dir = mkdtempSync(join(tmpdir(), 'gr-sim-'));
    writeFileSync(join(dir, 'sim.yaml'), configText);
    args.push('--config', join(dir, 'sim.yaml'));
  }
  const proc = spawn(SIM_BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const [, url] = await waitFor(proc, proc.stdout, /listening on (http:\/\/\S+)/, 10000, 'gaterouter-sim');
  const call = async (method, path, body) => {
    const res = await fetch(url + path, { method, body: body === undefined ? undefined : JSON.stringify(body) });
    return res.json();
  };
  return {
    url,
    proc,
    stats: () => call('GET', '/_sim/stats'),
    lastRequest: () => call('GET', '/_sim/last_request'),
    setModel: (model, knobs) => call('PUT', `/_sim/models/${model}`, knobs),
    reset: () => call('POST', '/_sim/reset'),
    async stop() {
      proc.kill('SIGTERM');
      await exited(proc);
    },
  };
}

// The gateway's YAML for a simulator at `simUrl`; `extra` is appended (more top-level keys or list items).
export function gatewayConfig(simUrl, { server = '', upstream = '', keys = true, models = '' } = {}) {
  return `server: { listen: "127.0.0.1:0", workers: 2, max_body_bytes: 65536, idle_timeout_ms: 5000,
          read_timeout_ms: 1500, shutdown_grace_ms: 5000 ${server} }
upstream: { connect_timeout_ms: 1000, first_byte_timeout_ms: 1500, idle_timeout_ms: 1500, total_timeout_ms: 10000 ${upstream} }
log: { level: info, access_log: true }
providers:
  - { name: sim, kind: openai, base_url: "${simUrl}/v1" }
  - { name: sim-anthropic, kind: anthropic, base_url: "${simUrl}/v1" }
  - { name: sim-gemini, kind: gemini, base_url: "${simUrl}/v1beta" }
  - { name: dead, kind: openai, base_url: "http://127.0.0.1:9/v1" }
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

export async function startGateway(configText, args = []) {
  const dir = mkdtempSync(join(tmpdir(), 'gr-gw-'));
  const path = join(dir, 'gaterouter.yaml');
  writeFileSync(path, configText);
  const proc = spawn(GATEWAY_BIN, ['--config', path, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const logs = { out: '', err: '' };
  proc.stdout.on('data', (d) => (logs.out += d));
  proc.stderr.on('data', (d) => (logs.err += d));
  const [, url] = await waitFor(proc, proc.stderr, /listening on (http:\/\/\S+)/, 10000, 'gaterouter');
  const port = Number(new URL(url).port);
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    proc,
    logs,
    configPath: path,
    exited: () => exited(proc),
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      return exited(proc);
    },
  };
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

// Reads an SSE response to its end: the data payloads, in order.
export async function readEvents(res) {
  const text = await res.text();
  return text
    .split('\n\n')
    .map((e) => e.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n'))
    .filter((d) => d.length > 0);
}

// Sends raw bytes on a new TCP connection and resolves with everything the server sent before it closed
// (or after `ms`).
export function rawExchange(port, bytes, ms = 3000) {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let got = '';
    const done = () => {
      socket.destroy();
      resolve(got);
    };
    const timer = setTimeout(done, ms);
    socket.on('data', (d) => (got += d.toString('latin1')));
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(got);
    });
    socket.on('error', () => {});
    socket.write(bytes);
  });
}

export async function poll(fn, ok, ms = 3000, step = 50) {
  const until = Date.now() + ms;
  let last;
  while (Date.now() < until) {
    last = await fn();
    if (ok(last)) return last;
    await new Promise((r) => setTimeout(r, step));
  }
  return last;
}

export function assertOpenAiError(body) {
  if (!body || typeof body.error !== 'object') throw new Error(`not an OpenAI error: ${JSON.stringify(body)}`);
  for (const k of ['message', 'type', 'param', 'code']) {
    if (!(k in body.error)) throw new Error(`error lacks '${k}': ${JSON.stringify(body)}`);
  }
  if (typeof body.error.message !== 'string' || body.error.message.length === 0) throw new Error('empty message');
}
