#!/usr/bin/env node
// bench/idle_connections.mjs — does the gateway keep serving while it holds many idle keep-alive connections?
//
// Opens N (default 10 000) TCP connections to the gateway, spread over a few local source addresses
// (127.0.0.2..5, so ephemeral ports never run short); each sends one `GET /healthz`, reads the answer and then
// stays idle. While they are held, a new client must still be served quickly: GET /healthz and a non-streaming
// chat completion on fresh connections. Prints the gateway's RSS (VmRSS of --pid) before, while held and after,
// checks a sample of the held connections still answer, then closes everything. Node 20, no dependencies.
//
//   node bench/idle_connections.mjs --port PORT [--host 127.0.0.1] [--pid GATEWAY_PID] [--connections 10000]
//        [--sources 127.0.0.2,127.0.0.3,127.0.0.4,127.0.0.5] [--hold 10] [--parallel 256] [--timeout 180]
//        [--results DIR]
//
// The open-files limit of both this process and the gateway must exceed N (bench/run.sh --idle raises it).
// Exits 0 when every connection was served and the new client was, 1 otherwise, 2 on bad usage or time-out.

import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';

const opts = {
  host: '127.0.0.1',
  port: 0,
  pid: 0,
  connections: 10000,
  sources: '127.0.0.2,127.0.0.3,127.0.0.4,127.0.0.5',
  hold: 10,
  parallel: 256,
  timeout: 180,
  results: '',
  model: 'gpt-4o-mini',
};
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i += 2) {
  const key = argv[i].replace(/^--/, '');
  if (key === 'help' || key === 'h') {
    console.log(fs.readFileSync(new URL(import.meta.url), 'utf8').split('\n').slice(1, 16).join('\n'));
    process.exit(0);
  }
  if (!(key in opts) || argv[i + 1] === undefined) {
    console.error(`idle_connections: unknown or incomplete option ${argv[i]} (see --help)`);
    process.exit(2);
  }
  opts[key] = typeof opts[key] === 'number' ? Number(argv[i + 1]) : argv[i + 1];
}
if (!opts.port) {
  console.error('idle_connections: --port is required');
  process.exit(2);
}
const sources = opts.sources.split(',').filter(Boolean);

// Everything is bounded: past --timeout seconds the process exits whatever it is doing.
const deadline = setTimeout(() => {
  console.error(`idle_connections: gave up after ${opts.timeout}s`);
  process.exit(2);
}, opts.timeout * 1000);
deadline.unref();

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const now = () => Number(process.hrtime.bigint()) / 1e6;

function rssKb() {
  if (!opts.pid) return null;
  try {
    const m = fs.readFileSync(`/proc/${opts.pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)\s+kB/);
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}
const mib = (kb) => (kb == null ? 'n/a' : `${(kb / 1024).toFixed(1)} MiB`);

// Reads one HTTP/1.1 response (Content-Length bodies only; /healthz answers that way) from `sock`.
function readResponse(sock, timeoutMs) {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const timer = setTimeout(() => finish(new Error('timed out waiting for the response')), timeoutMs);
    function finish(err, value) {
      clearTimeout(timer);
      sock.off('data', onData);
      sock.off('error', onError);
      sock.off('close', onClose);
      err ? reject(err) : resolve(value);
    }
    function onData(chunk) {
      buf = Buffer.concat([buf, chunk]);
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = buf.subarray(0, end).toString('latin1');
      const status = Number(head.split(' ')[1]);
      const m = head.match(/\r\ncontent-length:\s*(\d+)/i);
      const length = m ? Number(m[1]) : 0;
      if (buf.length >= end + 4 + length) finish(null, status);
    }
    const onError = (e) => finish(e);
    const onClose = () => finish(new Error('closed by the server'));
    sock.on('data', onData);
    sock.on('error', onError);
    sock.on('close', onClose);
  });
}

const held = [];
let closedByServer = 0;
const failures = new Map();
const fail = (why) => failures.set(why, (failures.get(why) ?? 0) + 1);

function openOne(i) {
  return new Promise((resolve) => {
    const sock = net.connect({ host: opts.host, port: opts.port, localAddress: sources[i % sources.length] });
    const timer = setTimeout(() => {
      fail('connect timed out');
      sock.destroy();
      resolve();
    }, 15000);
    sock.once('error', (e) => {
      clearTimeout(timer);
      fail(`connect: ${e.code ?? e.message}`);
      resolve();
    });
    sock.once('connect', async () => {
      clearTimeout(timer);
      sock.removeAllListeners('error');
      sock.setNoDelay(true);
      sock.write(`GET /healthz HTTP/1.1\r\nHost: ${opts.host}:${opts.port}\r\n\r\n`);
      try {
        const status = await readResponse(sock, 15000);
        if (status !== 200) throw new Error(`HTTP ${status}`);
        sock.on('error', () => {});
        sock.on('close', () => {
          if (!sock.destroyedByUs) closedByServer++;
        });
        held.push(sock);
      } catch (e) {
        fail(`first request: ${e.message}`);
        sock.destroy();
      }
      resolve();
    });
  });
}

// A new client, on its own fresh connection: GET /healthz, then a chat completion.
function fresh(method, urlPath, body) {
  return new Promise((resolve) => {
    const t0 = now();
    const req = http.request(
      {
        host: opts.host,
        port: opts.port,
        method,
        path: urlPath,
        agent: false,
        timeout: 10000,
        headers: body
          ? { 'content-type': 'application/json', authorization: 'Bearer sk-bench-not-a-real-key' }
          : {},
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ ok: res.statusCode === 200, status: res.statusCode, ms: now() - t0, text }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (e) => resolve({ ok: false, status: 0, ms: now() - t0, text: e.message }));
    req.end(body);
  });
}

async function newClientCheck() {
  const health = [];
  const chat = [];
  const body = JSON.stringify({ model: opts.model, messages: [{ role: 'user', content: 'still there?' }] });
  for (let i = 0; i < 5; i++) {
    health.push(await fresh('GET', '/healthz'));
    chat.push(await fresh('POST', '/v1/chat/completions', body));
  }
  const summary = (rs) => {
    const ms = rs.map((r) => r.ms).sort((a, b) => a - b);
    return { ok: rs.every((r) => r.ok), median_ms: ms[Math.floor(ms.length / 2)], max_ms: ms[ms.length - 1] };
  };
  const h = summary(health);
  const c = summary(chat);
  if (!c.ok) c.error = chat.find((r) => !r.ok).status + ' ' + chat.find((r) => !r.ok).text.slice(0, 200);
  if (!h.ok) h.error = health.find((r) => !r.ok).status + ' ' + health.find((r) => !r.ok).text.slice(0, 200);
  return { healthz: h, chat: c };
}

function describeCheck(c) {
  const one = (name, r) =>
    `${name} ${r.ok ? 'ok' : 'FAILED'} (median ${r.median_ms.toFixed(2)} ms, max ${r.max_ms.toFixed(2)} ms)` +
    (r.error ? ` — ${r.error}` : '');
  return `${one('GET /healthz', c.healthz)}; ${one('chat completion', c.chat)}`;
}

const result = { connections_wanted: opts.connections, sources, hold_s: opts.hold };
result.rss_kb_before = rssKb();
console.log(`gateway RSS before: ${mib(result.rss_kb_before)}`);

const t0 = now();
let next = 0;
async function worker() {
  while (next < opts.connections) await openOne(next++);
}
await Promise.all(Array.from({ length: Math.min(opts.parallel, opts.connections) }, worker));
result.open_s = (now() - t0) / 1000;
result.connections_held = held.length;
result.open_failures = Object.fromEntries(failures);
console.log(
  `opened and served ${held.length}/${opts.connections} keep-alive connections in ${result.open_s.toFixed(1)} s` +
    (failures.size ? `; failures: ${JSON.stringify(result.open_failures)}` : ''),
);

result.rss_kb_held = rssKb();
result.check_held = await newClientCheck();
console.log(`gateway RSS with ${held.length} idle connections: ${mib(result.rss_kb_held)}`);
if (result.rss_kb_held != null && result.rss_kb_before != null && held.length > 0) {
  result.rss_per_connection_bytes = Math.round(((result.rss_kb_held - result.rss_kb_before) * 1024) / held.length);
  console.log(`  about ${result.rss_per_connection_bytes} bytes per idle connection`);
}
console.log(`new client while they are held: ${describeCheck(result.check_held)}`);

await sleep(opts.hold * 1000);
result.rss_kb_after_hold = rssKb();
result.closed_by_server_during_hold = closedByServer;
result.check_after_hold = await newClientCheck();
console.log(
  `after holding ${opts.hold} s: RSS ${mib(result.rss_kb_after_hold)}, ${closedByServer} closed by the gateway; ` +
    `new client: ${describeCheck(result.check_after_hold)}`,
);

// A sample of the held connections must still answer on the same connection.
const sample = held.filter((s) => !s.destroyed).slice(0, 100);
let reused = 0;
await Promise.all(
  sample.map(async (sock) => {
    sock.write(`GET /healthz HTTP/1.1\r\nHost: ${opts.host}:${opts.port}\r\n\r\n`);
    try {
      if ((await readResponse(sock, 10000)) === 200) reused++;
    } catch {
      /* counted below */
    }
  }),
);
result.held_sample_reused_ok = `${reused}/${sample.length}`;
console.log(`held connections reused after the hold: ${reused}/${sample.length} answered`);

for (const s of held) {
  s.destroyedByUs = true;
  s.destroy();
}
await sleep(1500);
result.rss_kb_after_close = rssKb();
console.log(`gateway RSS 1.5 s after closing them: ${mib(result.rss_kb_after_close)}`);

const ok =
  held.length === opts.connections &&
  result.check_held.healthz.ok &&
  result.check_held.chat.ok &&
  result.check_after_hold.healthz.ok &&
  result.check_after_hold.chat.ok &&
  reused === sample.length;
result.ok = ok;
console.log(ok ? 'idle connections: OK' : 'idle connections: FAILED');
if (opts.results) {
  fs.mkdirSync(opts.results, { recursive: true });
  const file = path.join(opts.results, `idle-${new Date().toISOString().replace(/[-:]|\.\d+/g, '')}.json`);
  fs.writeFileSync(file, JSON.stringify({ benchmark: 'idle', date: new Date().toISOString(), ...result }, null, 2));
  console.log(`raw results: ${path.relative(process.cwd(), file)}`);
}
process.exit(ok ? 0 : 1);
