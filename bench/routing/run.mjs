// bench/routing: does automatic model choice keep the flagship's quality for a fraction of its cost?
//
// Starts gaterouter-sim (with the hidden per-model, per-task probabilities of a correct answer, truth.yaml) and
// the gateway in front of it, then sends the mixed workload (workload.tsv) through three runs:
//   (a) always the flagship model, (b) model "auto" optimizing "balanced", (c) model "auto" optimizing "cost".
// Each answer is scored with the simulator's verdict (GET /_sim/verdicts/<x-request-id>) and priced with the
// prices the gateway publishes at GET /v1/models. Prints a table, writes bench/results/routing-<time>.json.
// Node 18+, no dependencies. Usage: see usage below, or bench/README.md.
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '../..');
const RESULTS = join(ROOT, 'bench/results');

const usage = `Usage: bench/routing/run.sh [options]
  --passes N        times the workload is sent per run (default 3, at most 20)
  --flagship MODEL  the model of run (a) (default gpt-5)
  --only LIST       runs to do, any of a,b,c (default a,b,c)
  --concurrency N   requests in flight per run (default 4, at most 32)
  --deny LIST       models runs (b) and (c) must not use, e.g. local-llama-3.1-8b,local-qwen2.5-coder-7b
  --salt TEXT       draw other verdicts (the default draws are the same on every invocation)
  --time-limit S    stop after S seconds whatever happens (default 600)
Binaries: GATEROUTER_BIN (default build/gaterouter), GATEROUTER_SIM_BIN (default build/tools/sim/gaterouter-sim).`;

function parseArgs(argv) {
  const o = { passes: 3, flagship: 'gpt-5', only: ['a', 'b', 'c'], concurrency: 4, deny: [], salt: '', timeLimit: 600 };
  const int = (v, lo, hi, name) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < lo || n > hi) throw new Error(`${name} wants an integer in ${lo}..${hi}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} wants a value`);
      return argv[++i];
    };
    if (a === '--passes') o.passes = int(value(), 1, 20, a);
    else if (a === '--flagship') o.flagship = value();
    else if (a === '--only') o.only = value().split(',').map((s) => s.trim());
    else if (a === '--concurrency') o.concurrency = int(value(), 1, 32, a);
    else if (a === '--deny') o.deny = value().split(',').map((s) => s.trim()).filter(Boolean);
    else if (a === '--salt') o.salt = value().replace(/[^A-Za-z0-9._-]/g, '');
    else if (a === '--time-limit') o.timeLimit = int(value(), 10, 3600, a);
    else if (a === '--help' || a === '-h') {
      console.log(usage);
      process.exit(0);
    } else throw new Error(`unknown argument ${a}\n${usage}`);
  }
  if (!o.only.length || o.only.some((r) => !['a', 'b', 'c'].includes(r))) throw new Error('--only takes a,b,c');
  return o;
}

// The workload: task, weight, expected output tokens and prompt (with \n, \t and \\ escapes, as the sim reads it).
function readWorkload() {
  const prompts = [];
  for (const line of readFileSync(join(HERE, 'workload.tsv'), 'utf8').split('\n')) {
    if (!line || line.startsWith('#') || line.startsWith('task\t')) continue;
    const [task, weight, tokens, ...rest] = line.split('\t');
    const prompt = rest.join('\t').replace(/\\(.)/g, (m, c) => (c === 'n' ? '\n' : c === 't' ? '\t' : c === '\\' ? '\\' : m));
    prompts.push({ task, weight, tokens: Number(tokens), prompt });
  }
  return prompts;
}

// ---------------------------------------------------------------------------------------------------------------
// Processes: every child is killed when this script ends, however it ends.

const children = new Set();
const killAll = () => {
  for (const p of children) p.kill('SIGKILL');
};
process.once('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM']) process.once(sig, () => process.exit(130));

function start(name, bin, args, regex) {
  return new Promise((resolve, reject) => {
    const proc = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(proc);
    let seen = '';
    let ready = false;
    const timer = setTimeout(() => fail(new Error(`${name}: not ready within 10 s:\n${seen}`)), 10000);
    const fail = (e) => {
      if (ready) return;
      clearTimeout(timer);
      proc.kill('SIGKILL');
      reject(e);
    };
    proc.on('error', (e) => fail(new Error(`${name}: cannot start ${bin}: ${e.message}`)));
    proc.on('exit', (code, signal) => {
      children.delete(proc);
      fail(new Error(`${name} exited (${code ?? signal}):\n${seen}`));
    });
    // Both pipes are read to the end, so that neither process ever blocks on a full one.
    const onData = (d) => {
      if (ready) return;
      seen += d;
      const m = seen.match(regex);
      if (!m) return;
      ready = true;
      clearTimeout(timer);
      resolve({ proc, url: m[1] });
    };
    proc.stdout.on('data', onData);
    proc.stderr.on('data', onData);
  });
}

async function stop(child) {
  if (!child || child.proc.exitCode !== null || child.proc.signalCode !== null) return;
  const done = new Promise((r) => child.proc.once('exit', r));
  child.proc.kill('SIGTERM');
  const timer = setTimeout(() => child.proc.kill('SIGKILL'), 5000);
  await done;
  clearTimeout(timer);
}

// ---------------------------------------------------------------------------------------------------------------
// One run: the workload `passes` times, `concurrency` requests at a time.

async function runOne(run, { gateway, sim, workload, prices, opts, deadline }) {
  const jobs = [];
  for (let pass = 1; pass <= opts.passes; pass++) {
    workload.forEach((w, i) => jobs.push({ pass, i, w }));
  }
  const results = [];
  const started = Date.now();
  let next = 0;
  const worker = async () => {
    while (next < jobs.length && Date.now() < deadline) {
      const { pass, i, w } = jobs[next++];
      // The simulator draws from the id after its first ':', so the three runs share the draws for one prompt
      // and pass: their qualities differ by the models they chose, not by luck.
      const id = `${run.key}:${opts.salt}p${pass}-${String(i).padStart(3, '0')}`;
      results.push(await one(run, id, w, { gateway, sim, prices, deny: opts.deny }));
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency }, worker));
  return { results, seconds: (Date.now() - started) / 1000, timedOut: results.length < jobs.length };
}

async function one(run, id, w, { gateway, sim, prices, deny }) {
  const r = { id, task: w.task, weight: w.weight, status: 0, model: null, classified: null, correct: false,
    judged: false, cost: 0, prompt_tokens: 0, completion_tokens: 0, error: null };
  try {
    const body = { model: run.model, messages: [{ role: 'user', content: w.prompt }] };
    if (run.optimize) body.gaterouter = { optimize: run.optimize, ...(deny.length ? { deny } : {}) };
    const res = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': id },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(30000),
    });
    r.status = res.status;
    r.model = res.headers.get('x-gaterouter-model');
    r.classified = res.headers.get('x-gaterouter-task');
    const text = await res.text();
    if (res.status !== 200) {
      let message = text;
      try {
        const e = JSON.parse(text).error;
        message = `${res.status} ${e.code ?? e.type}: ${e.message}`;
      } catch {}
      r.error = message.slice(0, 300);
      return r;
    }
    const usage = JSON.parse(text).usage ?? {};
    r.prompt_tokens = usage.prompt_tokens ?? 0;
    r.completion_tokens = usage.completion_tokens ?? 0;
    const price = prices.get(r.model);
    if (price) r.cost = (r.prompt_tokens * price.input + r.completion_tokens * price.output) / 1e6;
    else r.error = `no price for served model ${r.model}`;
    const v = await fetch(`${sim.url}/_sim/verdicts/${id}`, { signal: AbortSignal.timeout(10000) });
    if (v.status === 200) {
      const verdict = await v.json();
      r.judged = true;
      r.correct = verdict.correct === true;
    } else {
      await v.arrayBuffer();
    }
  } catch (e) {
    r.error = `${e.name}: ${e.message}`;
  }
  return r;
}

// ---------------------------------------------------------------------------------------------------------------
// Figures.

const share = (n, d) => (d ? n / d : 0);
const pct = (x) => `${(x * 100).toFixed(1)} %`;

function summarize(run, out) {
  const rs = out.results;
  const ok = rs.filter((r) => r.status === 200);
  const byTask = {};
  for (const r of rs) {
    const t = (byTask[r.task] ??= { requests: 0, correct: 0, cost: 0, models: {} });
    t.requests += 1;
    t.correct += r.correct ? 1 : 0;
    t.cost += r.cost;
    if (r.model) t.models[r.model] = (t.models[r.model] ?? 0) + 1;
  }
  const models = {};
  for (const r of ok) models[r.model] = (models[r.model] ?? 0) + 1;
  const errors = {};
  for (const r of rs.filter((x) => x.error)) errors[r.error] = (errors[r.error] ?? 0) + 1;
  return {
    run: run.key, label: run.label, model: run.model, optimize: run.optimize ?? null,
    requests: rs.length, errors: rs.filter((r) => r.status !== 200).length,
    unjudged: ok.filter((r) => !r.judged).length,
    correct: rs.filter((r) => r.correct).length,
    correct_share: share(rs.filter((r) => r.correct).length, rs.length),
    cost_usd: rs.reduce((s, r) => s + r.cost, 0),
    prompt_tokens: rs.reduce((s, r) => s + r.prompt_tokens, 0),
    completion_tokens: rs.reduce((s, r) => s + r.completion_tokens, 0),
    classifier_agreement: share(ok.filter((r) => r.classified === r.task).length, ok.filter((r) => r.classified).length),
    seconds: out.seconds, timed_out: out.timedOut, by_task: byTask, models, error_messages: errors,
  };
}

function pad(s, n, right = false) {
  s = String(s);
  return right ? s.padStart(n) : s.padEnd(n);
}

function printReport(summaries, tasks) {
  const a = summaries.find((s) => s.run === 'a');
  console.log('');
  console.log(`${pad('run', 26)}${pad('requests', 9, true)}${pad('errors', 8, true)}${pad('correct', 10, true)}`
    + `${pad('cost USD', 12, true)}${pad('cost/(a)', 10, true)}${pad('quality/(a)', 13, true)}`);
  for (const s of summaries) {
    const costRel = a && a.cost_usd > 0 ? (s.cost_usd / a.cost_usd).toFixed(3) : '-';
    const qualRel = a && a.correct_share > 0 ? (s.correct_share / a.correct_share).toFixed(3) : '-';
    console.log(`${pad(s.label, 26)}${pad(s.requests, 9, true)}${pad(s.errors, 8, true)}`
      + `${pad(pct(s.correct_share), 10, true)}${pad(s.cost_usd.toFixed(4), 12, true)}${pad(costRel, 10, true)}`
      + `${pad(qualRel, 13, true)}`);
  }
  for (const s of summaries) {
    for (const [message, n] of Object.entries(s.error_messages).slice(0, 3)) {
      console.log(`  ${s.label}: ${n} × ${message}`);
    }
    if (s.unjudged) console.log(`  ${s.label}: ${s.unjudged} answers without a verdict (model not in truth.yaml?)`);
    if (s.timed_out) console.log(`  ${s.label}: stopped early by the time limit`);
  }

  console.log('\nCorrect share per task type');
  console.log(pad('task', 16) + summaries.map((s) => pad(`(${s.run})`, 10, true)).join(''));
  for (const t of tasks) {
    console.log(pad(t, 16) + summaries.map((s) => {
      const bt = s.by_task[t];
      return pad(bt ? pct(share(bt.correct, bt.requests)) : '-', 10, true);
    }).join(''));
  }

  for (const s of summaries.filter((x) => x.run !== 'a')) {
    console.log(`\nServed models per task type, ${s.label}`);
    for (const t of tasks) {
      const bt = s.by_task[t];
      if (!bt) continue;
      const top = Object.entries(bt.models).sort((x, y) => y[1] - x[1]).slice(0, 3)
        .map(([m, n]) => `${m} ${pct(n / bt.requests)}`).join(', ');
      console.log(`  ${pad(t, 15)}${top || '(none served)'}`);
    }
  }

  const b = summaries.find((s) => s.run === 'b');
  if (a && b && b.errors === b.requests) {
    console.log('\nGoal: not measured, every request of (b) failed');
  } else if (a && b && a.correct_share > 0 && a.cost_usd > 0) {
    const q = b.correct_share / a.correct_share, c = b.cost_usd / a.cost_usd;
    console.log(`\nGoal: (b) quality >= 95 % of (a) and cost <= 30 % of (a): quality ${pct(q)} `
      + `(${q >= 0.95 ? 'met' : 'not met'}), cost ${pct(c)} (${c <= 0.3 ? 'met' : 'not met'})`
      + (a.errors + b.errors ? `; errors count as incorrect answers (${a.errors} in (a), ${b.errors} in (b))` : ''));
  }
  const classified = summaries.find((s) => s.requests > s.errors);
  if (classified) console.log(`Classifier agreed with the workload's task on ${pct(classified.classifier_agreement)} of answers.`);
}

// ---------------------------------------------------------------------------------------------------------------

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const deadline = Date.now() + opts.timeLimit * 1000;
  const hardStop = setTimeout(() => {
    console.error(`bench/routing: time limit of ${opts.timeLimit} s reached, stopping`);
    process.exit(1);
  }, (opts.timeLimit + 30) * 1000);
  hardStop.unref();

  const gatewayBin = process.env.GATEROUTER_BIN || join(ROOT, 'build/gaterouter');
  const simBin = process.env.GATEROUTER_SIM_BIN || join(ROOT, 'build/tools/sim/gaterouter-sim');
  const workload = readWorkload();
  const tasks = [...new Set(workload.map((w) => w.task))];

  const sim = await start('gaterouter-sim', simBin,
    ['--listen', '127.0.0.1:0', '--config', join(HERE, 'sim.yaml')], /listening on (http:\/\/\S+)/);
  console.error(`bench/routing: simulator ${simBin} on ${sim.url}`);
  mkdirSync(RESULTS, { recursive: true });
  // Same depth as bench/routing/, so the config's relative paths (catalog, classifier) resolve the same way.
  const configPath = join(RESULTS, 'routing-gaterouter.yaml');
  writeFileSync(configPath, readFileSync(join(HERE, 'gaterouter.yaml'), 'utf8').replaceAll('${SIM_URL}', sim.url));
  const gw = await start('gaterouter', gatewayBin, ['--config', configPath], /listening on (http:\/\/\S+)/);
  const gateway = { url: `http://127.0.0.1:${new URL(gw.url).port}` };
  console.error(`bench/routing: gateway ${gatewayBin} on ${gateway.url}`);

  const models = await (await fetch(`${gateway.url}/v1/models`, { signal: AbortSignal.timeout(10000) })).json();
  const prices = new Map(models.data.map((m) => [m.id, {
    input: m.gaterouter?.input_price_per_mtok ?? 0, output: m.gaterouter?.output_price_per_mtok ?? 0 }]));
  if (!prices.has(opts.flagship)) throw new Error(`the gateway has no model ${opts.flagship}`);

  const runs = [
    { key: 'a', label: `(a) flagship ${opts.flagship}`, model: opts.flagship },
    { key: 'b', label: '(b) auto, balanced', model: 'auto', optimize: 'balanced' },
    { key: 'c', label: '(c) auto, cost', model: 'auto', optimize: 'cost' },
  ].filter((r) => opts.only.includes(r.key));

  const gitHead = await new Promise((resolve) => {
    const p = spawn('git', ['-C', ROOT, 'describe', '--always', '--dirty'],
      { stdio: ['ignore', 'pipe', 'ignore'], timeout: 10000 });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.on('close', () => resolve(out.trim()));
    p.on('error', () => resolve(''));
  });
  console.log(`bench/routing: ${workload.length} prompts × ${opts.passes} passes per run, ${opts.concurrency} at a time,`
    + ` commit ${gitHead || '?'}`);

  const summaries = [];
  const raw = {};
  for (const run of runs) {
    const out = await runOne(run, { gateway, sim, workload, prices, opts, deadline });
    const s = summarize(run, out);
    console.log(`${run.label}: ${s.requests} requests in ${s.seconds.toFixed(1)} s, ${s.errors} errors`);
    summaries.push(s);
    raw[run.key] = out.results;
  }
  printReport(summaries, tasks);

  const stamp = new Date().toISOString().replace(/[:]/g, '-').replace(/\..*/, '');
  const file = join(RESULTS, `routing-${stamp}.json`);
  writeFileSync(file, JSON.stringify({
    when: new Date().toISOString(), commit: gitHead, options: opts, prompts: workload.length, summaries, requests: raw,
  }, null, 1));
  console.log(`\nResults: ${file}`);

  await stop(gw);
  await stop(sim);
}

main().catch((e) => {
  console.error(`bench/routing: ${e.message}`);
  process.exit(1);
});
