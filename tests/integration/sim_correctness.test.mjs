// The simulator's correctness feature (docs/simulator.md), checked directly: verdicts drawn per model and task
// for workload prompts, the x-sim-correct header, GET /_sim/verdicts/<request-id>, and usage from the workload.
import assert from 'node:assert/strict';
import { after, before, describe } from 'node:test';

import { request, startSim, tempFile, test } from './harness.mjs';

const MATH = 'What is 15% of 240?';
const MULTILINE = 'Summarize:\nline one\tand a tab';
const workload = [
  'task\tweight\texpected_output_tokens\tprompt',
  '# comments and blank lines are skipped',
  '',
  `math\tlight\t42\t${MATH}`,
  `summarization\tstandard\t7\t${MULTILINE.replace(/\n/g, '\\n').replace(/\t/g, '\\t')}`,
].join('\n');

const config = (probabilities) => `defaults: { tokens: 5 }
correctness:
  seed: 7
  workload: ${JSON.stringify(tempFile('workload.tsv', workload))}
  probabilities: ${probabilities}
`;

let sim;
before(async () => {
  sim = await startSim(config(`
    right: { math: 1, summarization: 1 }
    wrong: { math: 0, summarization: 0 }
    half: { math: 0.5 }
    claude-right: { math: 1 }
    gemini-wrong: { math: 0 }`));
});
after(async () => {
  await sim?.stop();
});

const openai = (model, content, { id, extra = {} } = {}) => fetch(`${sim.url}/v1/chat/completions`, {
  method: 'POST',
  headers: { 'content-type': 'application/json', ...(id ? { 'x-request-id': id } : {}) },
  body: JSON.stringify({ model, messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content }], ...extra }),
});
const verdict = async (id) => {
  const res = await request(`${sim.url}/_sim/verdicts/${id}`);
  return { status: res.status, body: res.json() };
};

describe('gaterouter-sim correctness', () => {
  test('judges workload prompts per model and task, in a header and under the request id', async () => {
    for (const [model, correct] of [['right', true], ['wrong', false]]) {
      const id = `t1-${model}`;
      const res = await openai(model, MATH, { id });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('x-sim-correct'), correct ? '1' : '0');
      const body = await res.json();
      assert.equal(body.usage.completion_tokens, 42, 'completion tokens from the workload');
      assert.equal(body.usage.prompt_tokens, Math.floor(Buffer.byteLength(MATH) / 4), 'prompt tokens: bytes / 4');
      assert.equal(body.choices[0].message.content.split(' ').length, 1 + 42, 'answers with that many tokens');
      assert.deepEqual(await verdict(id), { status: 200, body: { model, task: 'math', correct } });
    }
  });

  test('a prompt with escaped newlines and tabs, as a list of text parts', async () => {
    const parts = [{ type: 'text', text: 'Summarize:\nline one' }, { type: 'text', text: '\tand a tab' }];
    const res = await openai('right', parts, { id: 't2' });
    assert.equal(res.headers.get('x-sim-correct'), '1');
    assert.equal((await res.json()).usage.completion_tokens, 7);
    assert.deepEqual((await verdict('t2')).body, { model: 'right', task: 'summarization', correct: true });
  });

  test('Anthropic and Gemini requests are judged too', async () => {
    const anthropic = await fetch(`${sim.url}/v1/messages`, {
      method: 'POST', headers: { 'content-type': 'application/json', 'x-request-id': 't3-a' },
      body: JSON.stringify({ model: 'claude-right', max_tokens: 4096,
        messages: [{ role: 'user', content: [{ type: 'text', text: MATH }] }] }),
    });
    assert.equal(anthropic.headers.get('x-sim-correct'), '1');
    assert.equal((await anthropic.json()).usage.output_tokens, 42);
    assert.deepEqual((await verdict('t3-a')).body, { model: 'claude-right', task: 'math', correct: true });

    const gemini = await fetch(`${sim.url}/v1beta/models/gemini-wrong:streamGenerateContent?alt=sse`, {
      method: 'POST', headers: { 'content-type': 'application/json', 'x-request-id': 't3-g' },
      body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: MATH }] }] }),
    });
    assert.equal(gemini.headers.get('x-sim-correct'), '0', 'streams carry the header too');
    assert.match(await gemini.text(), /"candidatesTokenCount":42/);
    assert.deepEqual((await verdict('t3-g')).body, { model: 'gemini-wrong', task: 'math', correct: false });
  });

  test('unknown prompts and models without a probability are not judged', async () => {
    const unknown = await openai('right', 'Hello there', { id: 't4-unknown' });
    assert.equal(unknown.headers.get('x-sim-correct'), null);
    assert.equal((await unknown.json()).usage.completion_tokens, 5, 'the knobs decide as usual');
    assert.equal((await verdict('t4-unknown')).status, 404);

    const unlisted = await openai('no-such-model', MATH, { id: 't4-unlisted' });
    assert.equal(unlisted.headers.get('x-sim-correct'), null);
    assert.equal((await unlisted.json()).usage.completion_tokens, 42, 'workload usage still applies');
    assert.equal((await verdict('t4-unlisted')).status, 404);
    const noTask = await openai('half', MULTILINE, { id: 't4-task' });
    assert.equal(noTask.headers.get('x-sim-correct'), null, 'half has no summarization probability');
  });

  test('draws are reproducible, shared by ids that differ only before the first colon, and near p', async () => {
    const draws = [];
    for (let i = 0; i < 200; i++) {
      const a = await openai('half', MATH, { id: `a:${i}` });
      const b = await openai('half', MATH, { id: `b:${i}` });
      assert.equal(a.headers.get('x-sim-correct'), b.headers.get('x-sim-correct'), `draw ${i}`);
      draws.push(a.headers.get('x-sim-correct') === '1');
      await Promise.all([a.arrayBuffer(), b.arrayBuffer()]);
    }
    const share = draws.filter(Boolean).length / draws.length;
    assert.ok(share > 0.38 && share < 0.62, `share of correct answers at p = 0.5: ${share}`);
    // A second simulator with the same seed draws the same verdicts.
    const again = await startSim(config('{ half: { math: 0.5 } }'));
    try {
      for (let i = 0; i < 20; i++) {
        const res = await fetch(`${again.url}/v1/chat/completions`, {
          method: 'POST', headers: { 'content-type': 'application/json', 'x-request-id': `c:${i}` },
          body: JSON.stringify({ model: 'half', messages: [{ role: 'user', content: MATH }] }),
        });
        assert.equal(res.headers.get('x-sim-correct') === '1', draws[i], `draw ${i} in a second simulator`);
        await res.arrayBuffer();
      }
    } finally {
      await again.stop();
    }
  });

  test('POST /_sim/reset forgets the verdicts', async () => {
    await (await openai('right', MATH, { id: 't6' })).arrayBuffer();
    assert.equal((await verdict('t6')).status, 200);
    await sim.reset();
    assert.equal((await verdict('t6')).status, 404);
  });

  test('a bad correctness section stops the simulator with the file and line', async () => {
    await assert.rejects(startSim(config('{ m: { maths: 0.5 } }')), /sim\.yaml:5: unknown task 'maths'/);
    await assert.rejects(startSim(config('{ m: { math: 1.5 } }')), /a probability must be a number in \[0, 1\]/);
  });

  test('without a correctness section there are no verdicts', async () => {
    const plain = await startSim('defaults: { tokens: 3 }\n');
    try {
      const res = await request(`${plain.url}/_sim/verdicts/x`);
      assert.equal(res.status, 404);
      assert.match(res.text, /correctness is not configured/);
    } finally {
      await plain.stop();
    }
  });
});
