/**
 * bench/runner.ts — the local runner on real tfjs graph models (npm run bench:runner).
 *
 * Models: movenet-lightning, emotion and antispoof from the npm package @vladmandic/human@3.3.6,
 * fetched on demand with `npm pack` into .cache/bench/ (git-ignored; never a dependency).
 * Figures: median ms per inference and GFLOP/s (FLOPs of conv / depthwise / matmul nodes counted
 * from the graph with the output shapes of one run), next to a tfjs-wasm float32 matMul measured
 * in the same process (the baseline), with the ratio; the cpu backend for comparison (a child
 * process); batch throughput with 2 workers vs 1; first-run latency (open + compile + first
 * inference, each in a fresh process) of half_plus_two and movenet.
 *
 * Child modes: --child=models --backend=cpu|wasm, --child=first --model=PATH.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { Engine } from '../src/core/runner/engine';
import { runBatch } from '../src/core/runner/batch';
import { RunnerHost } from '../src/core/runner/host';
import type { HostTensor } from '../src/core/runner/tensors';
import { loadTf, type BackendName } from '../src/core/runner/tfjs';
import { repoRoot, savedModel } from '../test/helpers/fixtures';

const ROOT = repoRoot();
const CACHE = join(ROOT, '.cache', 'bench');
const MODELS = join(CACHE, 'package', 'models');
const PKG = '@vladmandic/human@3.3.6';

interface Case {
  label: string;
  model: string;
  shape: number[];
  dtype: 'float32' | 'int32';
  runs: number;
  goalMs?: number;
}

const CASES: Case[] = [
  { label: 'movenet-lightning int32 [1,192,192,3]', model: 'movenet-lightning', shape: [1, 192, 192, 3], dtype: 'int32', runs: 30, goalMs: 20 },
  { label: 'emotion [1,64,64,1]', model: 'emotion', shape: [1, 64, 64, 1], dtype: 'float32', runs: 100, goalMs: 4.5 },
  { label: 'emotion [8,64,64,1]', model: 'emotion', shape: [8, 64, 64, 1], dtype: 'float32', runs: 40 },
  { label: 'antispoof [1,128,128,3]', model: 'antispoof', shape: [1, 128, 128, 3], dtype: 'float32', runs: 60 },
];

function ensureModels(): void {
  const want = ['movenet-lightning', 'emotion', 'antispoof'];
  if (want.every((m) => existsSync(join(MODELS, `${m}.json`)) && existsSync(join(MODELS, `${m}.bin`)))) return;
  mkdirSync(CACHE, { recursive: true });
  const tgz = join(CACHE, 'vladmandic-human-3.3.6.tgz');
  if (!existsSync(tgz)) execFileSync('npm', ['pack', PKG, '--silent'], { cwd: CACHE, stdio: ['ignore', 'ignore', 'inherit'] });
  execFileSync('tar', ['xzf', tgz, ...want.flatMap((m) => [`package/models/${m}.json`, `package/models/${m}.bin`])], { cwd: CACHE });
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function input(shape: number[], dtype: 'float32' | 'int32'): HostTensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const values = dtype === 'int32' ? Int32Array.from({ length: n }, (_, i) => (i * 7) % 256) : Float32Array.from({ length: n }, (_, i) => ((i * 13) % 97) / 97);
  return { dtype, shape, values };
}

const FLOP_OPS = new Set(['Conv2D', '_FusedConv2D', 'DepthwiseConv2dNative', 'FusedDepthwiseConv2dNative', 'MatMul', '_FusedMatMul']);

/** FLOPs (multiply-adds × 2) of the conv / depthwise / matmul nodes, from weight shapes and output shapes. */
async function countFlops(engine: Engine, feeds: Record<string, HostTensor>): Promise<number> {
  const sig = engine.signatures[0]!;
  const { nodes, weightShapes } = await engine.graphInfo(sig);
  const heavy = nodes.filter((n) => FLOP_OPS.has(n.op));
  const shapes = await engine.probeShapes(sig, feeds, heavy.map((n) => `${n.name}:0`));
  let flops = 0;
  heavy.forEach((n, k) => {
    const out = shapes[k]!;
    const w = weightShapes.get((n.input[1] ?? '').replace(/:\d+$/, ''));
    if (!w) return;
    const outElems = out.reduce((a, b) => a * b, 1);
    if (n.op.includes('Depthwise')) flops += 2 * outElems * w[0]! * w[1]!; // each output: kH·kW taps
    else if (n.op.includes('Conv')) flops += 2 * outElems * w[0]! * w[1]! * w[2]!; // kH·kW·inC taps
    else flops += 2 * outElems * w[0]!; // MatMul [M,K]·[K,N]: K per output
  });
  return flops;
}

interface ModelFigure {
  label: string;
  ms: number;
  gflops: number;
  flops: number;
  backend: string;
  goalMs?: number;
}

async function matmulBaseline(): Promise<{ gflops: number; n: number; ms: number }> {
  const { tf } = await loadTf();
  const n = 256;
  const a = tf.randomNormal([n, n]);
  const b = tf.randomNormal([n, n]);
  for (let i = 0; i < 5; i++) tf.matMul(a, b).dataSync();
  const ts: number[] = [];
  for (let i = 0; i < 40; i++) {
    const t0 = performance.now();
    const c = tf.matMul(a, b);
    c.dataSync();
    ts.push(performance.now() - t0);
    c.dispose();
  }
  tf.dispose([a, b]);
  const ms = median(ts);
  return { gflops: (2 * n ** 3) / (ms * 1e6), n, ms };
}

async function measureModels(backend: BackendName): Promise<ModelFigure[]> {
  const out: ModelFigure[] = [];
  for (const c of CASES) {
    const engine = await Engine.open(join(MODELS, `${c.model}.json`), { backend });
    const sig = engine.signatures[0]!;
    const feeds = { [sig.inputs[0]!.alias]: input(c.shape, c.dtype) };
    for (let i = 0; i < 5; i++) await engine.run(sig, feeds);
    const ts: number[] = [];
    let be = '';
    for (let i = 0; i < c.runs; i++) {
      const t0 = performance.now();
      be = (await engine.run(sig, feeds)).backend;
      ts.push(performance.now() - t0);
    }
    const flops = await countFlops(engine, feeds);
    const ms = median(ts);
    out.push({ label: c.label, ms, flops, gflops: flops / (ms * 1e6), backend: be, ...(c.goalMs ? { goalMs: c.goalMs } : {}) });
    await engine.dispose();
  }
  return out;
}

function child(args: string[]): string {
  const r = spawnSync(process.execPath, [__filename, ...args], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`child ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout.trim().split('\n').pop()!;
}

async function firstRun(model: string, shape: number[], dtype: 'float32' | 'int32'): Promise<{ ms: number; backend: string }> {
  const t0 = performance.now();
  const engine = await Engine.open(model);
  const sig = engine.signatures.find((s) => s.name === 'serving_default') ?? engine.signatures[0]!;
  const r = await engine.run(sig, { [sig.inputs[0]!.alias]: input(shape, dtype) }, { outputs: sig.outputs.filter((o) => o.tensor !== 'NoOp') });
  return { ms: performance.now() - t0, backend: r.backend };
}

async function batchThroughput(workers: number, file: string, out: string, hosts?: RunnerHost[]): Promise<{ perSec: number; ms: number; instances: number }> {
  const r = await runBatch({ model: join(MODELS, 'emotion.json'), input: file, output: out, workers, chunkSize: 16, ...(hosts ? { hosts } : {}) });
  if (r.errors) throw new Error(`${r.errors} batch errors`);
  return { perSec: (r.instances / r.ms) * 1000, ms: r.ms, instances: r.instances };
}

/**
 * Throughput once the workers run (what a long batch sees): the workers are started and warmed up
 * on `warm` first, then `file` is timed; median of `runs`.
 */
async function steadyThroughput(workers: number, warm: string, file: string, out: string, runs = 3): Promise<{ perSec: number; ms: number; instances: number }> {
  const hosts = Array.from({ length: workers }, () => new RunnerHost({ model: join(MODELS, 'emotion.json') }));
  try {
    await batchThroughput(workers, warm, out, hosts);
    const all = [];
    for (let i = 0; i < runs; i++) all.push(await batchThroughput(workers, file, out, hosts));
    return all.sort((a, b) => a.perSec - b.perSec)[runs >> 1]!;
  } finally {
    await Promise.all(hosts.map((h) => h.close()));
  }
}

async function main(): Promise<void> {
  const mode = process.argv.find((a) => a.startsWith('--child='))?.slice(8);
  if (mode === 'models') {
    const backend = (process.argv.find((a) => a.startsWith('--backend='))?.slice(10) ?? 'wasm') as BackendName;
    await loadTf(backend);
    const models = await measureModels(backend);
    const mm = backend === 'wasm' ? await matmulBaseline() : undefined;
    process.stdout.write(`${JSON.stringify({ models, matmul: mm })}\n`);
    return;
  }
  if (mode === 'first') {
    const model = process.argv.find((a) => a.startsWith('--model='))!.slice(8);
    const movenet = model.endsWith('.json');
    process.stdout.write(`${JSON.stringify(await firstRun(model, movenet ? [1, 192, 192, 3] : [1], movenet ? 'int32' : 'float32'))}\n`);
    return;
  }

  const load = loadavg()[0]!;
  ensureModels();
  const wasm = JSON.parse(child(['--child=models', '--backend=wasm'])) as { models: ModelFigure[]; matmul: { gflops: number; n: number; ms: number } };
  const cpu = JSON.parse(child(['--child=models', '--backend=cpu'])) as { models: ModelFigure[] };
  const firstHpt = JSON.parse(child(['--child=first', `--model=${savedModel('saved_model_half_plus_two_cpu')}`])) as { ms: number; backend: string };
  const firstMovenet = JSON.parse(child(['--child=first', `--model=${join(MODELS, 'movenet-lightning.json')}`])) as { ms: number; backend: string };

  const file = join(CACHE, 'emotion-batch.jsonl');
  const one = input([64, 64, 1], 'float32');
  const line = JSON.stringify({ input_1: [...Array(64)].map((_, i) => [...Array(64)].map((__, j) => [Number((one.values as Float32Array)[i * 64 + j]!.toFixed(3))])) });
  writeFileSync(file, `${Array.from({ length: 256 }, (_, k) => line.replace('{', `{"key":${k},`)).join('\n')}\n`);
  await batchThroughput(1, file, join(CACHE, 'warm.jsonl'));
  const b1 = await batchThroughput(1, file, join(CACHE, 'out1.jsonl'));
  const b2 = await batchThroughput(2, file, join(CACHE, 'out2.jsonl'));
  const big = join(CACHE, 'emotion-batch-1024.jsonl');
  writeFileSync(big, `${Array.from({ length: 1024 }, (_, k) => line.replace('{', `{"key":${k},`)).join('\n')}\n`);
  const s1 = await steadyThroughput(1, file, big, join(CACHE, 'steady1.jsonl'));
  const s2 = await steadyThroughput(2, file, big, join(CACHE, 'steady2.jsonl'));

  const date = new Date().toISOString().slice(0, 10);
  const cpuInfo = cpus();
  const rows = wasm.models.map((m, i) => {
    const c = cpu.models[i]!;
    const goal = m.goalMs ? ` (goal ≤ ${m.goalMs} ms: ${m.ms <= m.goalMs ? 'met' : `missed by ${(m.ms / m.goalMs).toFixed(2)}×`})` : '';
    return `| ${m.label} | ${m.ms.toFixed(2)}${goal} | ${(m.flops / 1e9).toFixed(3)} | ${m.gflops.toFixed(2)} | ${(wasm.matmul.gflops / m.gflops).toFixed(2)}× | ${c.ms.toFixed(2)} | ${c.gflops.toFixed(2)} |`;
  });
  const text = [
    '',
    '## Local runner (bench/runner.ts)',
    '',
    `Run ${date}. Machine: ${cpuInfo.length} cores (${cpuInfo[0]?.model ?? 'unknown'}), ${Math.round(totalmem() / 2 ** 30)} GiB RAM, Node ${process.version}; load average ${load.toFixed(2)} when the run began.`,
    `Models from the npm package ${PKG} (fetched with npm pack into .cache/bench/). Backend ${wasm.models[0]?.backend} (SIMD, no threads) unless the cpu column says otherwise.`,
    'ms = median of one inference through Engine.run (host tensor in, host tensor out, after 5 warm-up runs).',
    'GFLOP/s = FLOPs of the conv, depthwise-conv and matmul nodes (2 × taps × outputs, from weight shapes and one run\'s output shapes) / median time.',
    `Baseline: tfjs-wasm float32 matMul ${wasm.matmul.n}×${wasm.matmul.n} in the same process: ${wasm.matmul.ms.toFixed(2)} ms, ${wasm.matmul.gflops.toFixed(2)} GFLOP/s; "matMul / model" is how many times the baseline's rate exceeds the model's (goal ≤ 1.3×).`,
    '',
    '| model, input | wasm ms | GFLOP | wasm GFLOP/s | matMul / model | cpu ms | cpu GFLOP/s |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
    '',
    `Batch throughput (runBatch, emotion, keyed JSON Lines instances of [64,64,1], 16 per request), workers running: 1024 instances, median of 3 — 1 worker ${s1.perSec.toFixed(1)} instances/s (${(s1.ms / 1000).toFixed(2)} s), 2 workers ${s2.perSec.toFixed(1)} instances/s (${(s2.ms / 1000).toFixed(2)} s): ${(s2.perSec / s1.perSec).toFixed(2)}× (goal ≥ 1.7×).`,
    `Batch end to end (256 instances, the workers started, the model loaded and the wasm kernels set up inside the run): 1 worker ${b1.perSec.toFixed(1)} instances/s (${(b1.ms / 1000).toFixed(2)} s), 2 workers ${b2.perSec.toFixed(1)} instances/s (${(b2.ms / 1000).toFixed(2)} s): ${(b2.perSec / b1.perSec).toFixed(2)}×.`,
    `First run (fresh process: open + compile + first inference, tfjs and wasm initialisation included): half_plus_two ${firstHpt.ms.toFixed(0)} ms (${firstHpt.backend}), movenet-lightning ${firstMovenet.ms.toFixed(0)} ms (${firstMovenet.backend}).`,
    '',
  ].join('\n');
  process.stdout.write(text);
  if (process.argv.includes('--write')) {
    const { appendFileSync } = await import('node:fs');
    appendFileSync(join(ROOT, 'bench', 'RESULTS.md'), text);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
