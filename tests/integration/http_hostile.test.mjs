// Hostile HTTP framing on the gateway's own listener, over raw TCP (issue 15). A request whose length a proxy in
// front of the gateway could read differently (RFC 9112 §6: Transfer-Encoding not ending in chunked, codings the
// gateway does not decode, Transfer-Encoding with Content-Length, Content-Lengths that disagree; §3.2: no Host or
// two; §5.2: obs-fold) is answered with one OpenAI-shaped error and `Connection: close`, and the connection really
// closes: bytes smuggled after its head are never read as a second request.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe } from 'node:test';

import { assertOpenAiError, chat, gatewayConfig, hello, startGateway, startSim, test, TEST_KEY } from './harness.mjs';

let sim;
let gw;
before(async () => {
  sim = await startSim();
  gw = await startGateway(gatewayConfig(sim.url));
});
after(async () => {
  await gw?.stop();
  await sim?.stop();
});

// Sends `bytes` on a new connection and waits for the server to close it (or `ms`): { text, closedByServer }.
function exchange(bytes, ms = 4000) {
  return new Promise((resolve) => {
    const socket = net.connect(gw.port, '127.0.0.1');
    let text = '';
    let closedByServer = false;
    const timer = setTimeout(() => socket.destroy(), ms);
    socket.on('data', (d) => (text += d.toString('latin1')));
    socket.on('end', () => (closedByServer = true));
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ text, closedByServer });
    });
    socket.on('error', () => {});
    socket.write(bytes);
  });
}

// The responses in a text received on one connection: [{ status, headers, body }] (bodies by Content-Length).
function responses(text) {
  const out = [];
  let rest = text;
  while (rest.startsWith('HTTP/')) {
    const end = rest.indexOf('\r\n\r\n');
    if (end < 0) break;
    const [statusLine, ...lines] = rest.slice(0, end).split('\r\n');
    const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
    const length = Number(headers['content-length'] ?? 0);
    out.push({ status: Number(statusLine.split(' ')[1]), headers, body: rest.slice(end + 4, end + 4 + length) });
    rest = rest.slice(end + 4 + length);
  }
  return out;
}

// What a proxy might take as part of the first request's body and the gateway, wrongly, as a request of its own.
const SMUGGLED = 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n';

// Asserts exactly one error response with `status`, OpenAI-shaped, `Connection: close`, and a closed connection.
async function expectRefused(head, status, what) {
  const { text, closedByServer } = await exchange(head + SMUGGLED);
  const got = responses(text);
  assert.equal(got.length, 1, `${what}: expected one response, got ${got.length}:\n${text}`);
  assert.equal(got[0].status, status, `${what}:\n${text}`);
  assert.equal(got[0].headers.connection, 'close', `${what}: Connection: close`);
  assert.match(got[0].headers['content-type'] ?? '', /application\/json/, what);
  const body = JSON.parse(got[0].body);
  assertOpenAiError(body);
  if (status === 400) assert.equal(body.error.code, 'malformed_request', `${what}: ${got[0].body}`);
  assert.ok(closedByServer, `${what}: the gateway closed the connection`);
  return body;
}

const POST = `POST /v1/chat/completions HTTP/1.1\r\nAuthorization: Bearer ${TEST_KEY}\r\nContent-Type: application/json\r\n`;
const BODY = JSON.stringify(hello('m-fast'));
const chunked = (body) => `${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`;

describe('request framing', () => {
  test('Transfer-Encoding whose final coding is not chunked: 400, nothing smuggled after it is served', async () => {
    await expectRefused(`${POST}Host: x\r\nTransfer-Encoding: chunked, identity\r\n\r\n`, 400, 'chunked, identity');
    await expectRefused(`${POST}Host: x\r\nTransfer-Encoding: identity\r\n\r\n`, 400, 'identity alone');
    await expectRefused(`${POST}Host: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n`, 400,
      'chunked, then identity in a second field');
    await expectRefused(`${POST}Host: x\r\nTransfer-Encoding: chunked, chunked\r\n\r\n`, 400, 'chunked twice');
  });

  test('Transfer-Encoding with Content-Length: 400, in either order and whatever the coding', async () => {
    await expectRefused(`GET /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\nContent-Length: 3\r\n\r\nabc`,
      400, 'xchunked then Content-Length');
    await expectRefused(`GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: xchunked\r\n\r\nabc`,
      400, 'Content-Length then xchunked');
    await expectRefused(`${POST}Host: x\r\nTransfer-Encoding: chunked\r\nContent-Length: ${BODY.length}\r\n\r\n${chunked(BODY)}`,
      400, 'chunked then Content-Length');
    await expectRefused(`${POST}Host: x\r\nContent-Length: ${BODY.length}\r\nTransfer-Encoding: chunked\r\n\r\n${chunked(BODY)}`,
      400, 'Content-Length then chunked');
  });

  test('a transfer coding other than chunked: 501 Not Implemented', async () => {
    for (const te of ['gzip, chunked', 'deflate, chunked', 'identity, chunked', 'x-custom;q=1, chunked']) {
      const body = await expectRefused(`${POST}Host: x\r\nTransfer-Encoding: ${te}\r\n\r\n${chunked(BODY)}`, 501, te);
      assert.equal(body.error.code, 'unsupported_transfer_encoding', te);
    }
    await expectRefused(`${POST}Host: x\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n${chunked(BODY)}`,
      501, 'gzip, then chunked in a second field');
  });

  test('Transfer-Encoding in an HTTP/1.0 request: 400', async () => {
    await expectRefused(`POST /v1/chat/completions HTTP/1.0\r\nHost: x\r\nAuthorization: Bearer ${TEST_KEY}\r\n`
      + `Transfer-Encoding: chunked\r\n\r\n${chunked(BODY)}`, 400, 'HTTP/1.0 chunked');
  });

  test('Content-Lengths that disagree: 400; the same value twice is one length', async () => {
    await expectRefused('GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd', 400,
      'two Content-Length fields');
    await expectRefused('GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 3, 4\r\n\r\nabcd', 400, 'a list of two');
    const same = responses((await exchange('GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 3\r\n'
      + 'Connection: close\r\n\r\nabc')).text);
    assert.deepEqual(same.map((r) => r.status), [200]);
  });

  test('no Host in HTTP/1.1, or two Hosts: 400; HTTP/1.0 without Host is served', async () => {
    const none = await expectRefused('GET /healthz HTTP/1.1\r\n\r\n', 400, 'no Host');
    assert.match(none.error.message, /no Host header/);
    await expectRefused('GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n', 400, 'two Hosts');
    await expectRefused('GET /healthz HTTP/1.0\r\nHost: a\r\nHost: a\r\n\r\n', 400, 'two Hosts in HTTP/1.0');
    const old = responses((await exchange('GET /healthz HTTP/1.0\r\n\r\n')).text);
    assert.deepEqual(old.map((r) => r.status), [200]);
  });

  test('obs-fold (a header line that starts with a space or a tab): 400', async () => {
    await expectRefused('GET /healthz HTTP/1.1\r\nHost: x\r\nX-Note: a\r\n b\r\n\r\n', 400, 'folded with a space');
    await expectRefused('GET /healthz HTTP/1.1\r\nHost: x\r\nX-Note: a\r\n\tb\r\n\r\n', 400, 'folded with a tab');
    await expectRefused(`${POST}Host: x\r\nTransfer-Encoding:\r\n chunked\r\n\r\n${chunked(BODY)}`, 400,
      'a folded Transfer-Encoding');
  });

  test('well-framed requests still work: chunked bodies, pipelining, keep-alive', async () => {
    const { text } = await exchange(`${POST}Host: x\r\nTransfer-Encoding: chunked\r\n\r\n${chunked(BODY)}`
      + `${POST}Host: x\r\nContent-Length: ${BODY.length}\r\n\r\n${BODY}`
      + 'GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 8000);
    assert.deepEqual(responses(text).map((r) => r.status), [200, 200, 200], text);
    const res = await chat(gw, hello('m-fast'));
    assert.equal(res.status, 200);
    await res.arrayBuffer();
  });
});
