// Many streams at once, through bench/streams.mjs at a CI-sized count (the benchmark runs it at 10 000): 1 000
// concurrent streams all complete, and 1 000 clients that leave after their first chunk leave no stream being
// answered and no upstream connection open 1 s later (the simulator counts).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';

import { root, test } from './harness.mjs';

function streams(mode) {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [join(root, 'bench/streams.mjs'), '--streams', '1000', '--hold', '8', '--mode', mode,
      '--timeout', '90'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    proc.stdout.on('data', (d) => (out += d));
    proc.stderr.on('data', (d) => (err += d));
    proc.on('error', reject);
    proc.on('exit', (code) => {
      const last = out.trim().split('\n').pop();
      let figures = null;
      try {
        figures = JSON.parse(last);
      } catch {
        figures = null;
      }
      resolve({ code, figures, out, err });
    });
  });
}

test('1 000 concurrent streams all complete', { timeout: 120000 }, async () => {
  const { code, figures, out, err } = await streams('complete');
  assert.ok(figures, `no figures: ${out}\n${err}`);
  console.log(`# ${JSON.stringify(figures)}`);
  assert.equal(figures.failed, 0, err);
  assert.equal(figures.short_streams, 0);
  assert.equal(figures.sim_active_streams_all_open, 1000, 'all 1 000 were being answered at one moment');
  assert.equal(code, 0);
});

test('1 000 clients leaving mid-stream leave no upstream stream or connection open after 1 s', { timeout: 120000 },
  async () => {
    const { code, figures, out, err } = await streams('disconnect');
    assert.ok(figures, `no figures: ${out}\n${err}`);
    console.log(`# ${JSON.stringify(figures)}`);
    assert.equal(figures.sim_streams_aborted, 1000, 'every upstream stream was cut off');
    assert.equal(figures.sim_active_streams_after_1s, 0);
    assert.ok(figures.sim_open_connections_after_1s <= figures.sim_open_connections_before);
    assert.equal(code, 0);
  });
