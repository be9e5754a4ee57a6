/**
 * `npm run bench:signatures` — the lazy signature listing (src/core/model/lazy.ts) against a full
 * protobufjs decode (src/core/model/savedmodel.ts) of the same synthetic SavedModels
 * (bench/gen-savedmodel.ts: 10, 100 and 500 MB; many small nodes, and large constants).
 *
 * Every measurement runs in a fresh child process started with --expose-gc, so memory numbers are
 * not polluted by earlier runs:
 *   - cold:   the first call in that process (includes loading and JIT warm-up of the code path);
 *   - median: the median of the following warm calls;
 *   - memory: measured around the first call: peak RSS growth (resourceUsage().maxRSS), and the
 *     heapUsed / arrayBuffers growth while the result is still referenced (after a GC before).
 * The full decode is readFileBounded + decodeSavedModel + summarizeSavedModel({ops: false}): what
 * listing the signatures costs without the lazy reader. It runs with a large --max-old-space-size;
 * if it cannot complete (out of memory, time limit) the table says so.
 *
 *   node out/bench/signatures.js [--sizes=10,100,500] [--kinds=nodes,consts] [--runs=N]
 *                                [--full-runs=N] [--write]      (--write updates bench/RESULTS.md)
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import * as lazy from '../src/core/model/lazy';
import * as sm from '../src/core/model/savedmodel';
import { ensureBenchModels, type GeneratedModel, KINDS, SIZES_MB, type SyntheticKind } from './gen-savedmodel';

interface Measurement {
  ok: boolean;
  error?: string;
  coldMs?: number;
  medianMs?: number;
  runs?: number;
  peakRssMb?: number;
  heapMb?: number;
  arrayBuffersMb?: number;
  reads?: number;
  bytesRead?: number;
  signatures?: number;
}

const MB = 1024 * 1024;
/** Untimed lazy calls before the timed ones, so the median is of optimised code. */
const WARMUP = 200;
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

// ------------------------------------------------------------------ child: one measurement

async function child(mode: 'lazy' | 'full', file: string, runs: number): Promise<Measurement> {
  // The code is loaded (static imports) before the baseline, so module loading is not counted.
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run the child with --expose-gc');

  const op = async (): Promise<{ signatures: number; reads?: number; bytesRead?: number; keep?: unknown }> => {
    if (mode === 'lazy') {
      const l = await lazy.listSignaturesLazy(file);
      return { signatures: l.metaGraphs.reduce((n, m) => n + m.signatures.length, 0), reads: l.io.reads, bytesRead: l.io.bytesRead };
    }
    const bytes = await sm.readFileBounded(file);
    const decoded = sm.decodeSavedModel(bytes, file);
    const summary = sm.summarizeSavedModel(decoded, { dir: '', file }, { ops: false });
    // Keep the decoded message referenced (as a caller holding the model would) for the memory numbers.
    return { signatures: summary.metaGraphs.reduce((n, m) => n + m.signatures.length, 0), keep: decoded };
  };

  gc();
  gc();
  const base = process.memoryUsage();
  const baseMaxRss = process.resourceUsage().maxRSS * 1024;
  let t0 = process.hrtime.bigint();
  let first: Awaited<ReturnType<typeof op>> | undefined = await op();
  const coldMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const after = process.memoryUsage();
  const peakRss = process.resourceUsage().maxRSS * 1024 - baseMaxRss;
  const result: Measurement = {
    ok: true,
    coldMs,
    peakRssMb: Math.max(0, peakRss) / MB,
    heapMb: (after.heapUsed - base.heapUsed) / MB,
    arrayBuffersMb: (after.arrayBuffers - base.arrayBuffers) / MB,
    reads: first.reads,
    bytesRead: first.bytesRead,
    signatures: first.signatures,
  };
  first = undefined;
  // Warm-up calls (not timed) so the median is of optimised code; the cold number above is the
  // first call as a one-shot command sees it.
  const warmup = mode === 'lazy' ? WARMUP : 0;
  for (let i = 0; i < warmup; i++) await op();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    // A forced GC between the full decodes keeps one run's garbage out of the next; the lazy
    // listing makes ~1 MB of garbage, and a forced full GC between its runs would time V8's
    // recovery from the GC rather than the listing.
    if (mode === 'full') gc();
    t0 = process.hrtime.bigint();
    await op();
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  result.runs = times.length;
  result.medianMs = times.length ? median(times) : coldMs;
  return result;
}

// ------------------------------------------------------------------ parent: the table

function measure(mode: 'lazy' | 'full', file: string, runs: number, heapMb: number, timeoutMs: number): Measurement {
  const args = ['--expose-gc', `--max-old-space-size=${heapMb}`, __filename, `--child=${mode}`, `--file=${file}`, `--runs=${runs}`];
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 16 * MB });
  const line = r.stdout?.trim().split('\n').pop() ?? '';
  if (r.status === 0 && line.startsWith('{')) return JSON.parse(line) as Measurement;
  const why = r.error
    ? `${(r.error as NodeJS.ErrnoException).code === 'ETIMEDOUT' ? `time limit ${timeoutMs / 1000} s` : r.error.message}`
    : /heap out of memory|Allocation failed/i.test(r.stderr ?? '')
      ? `out of memory with --max-old-space-size=${heapMb}`
      : `exit ${r.status ?? r.signal}: ${(r.stderr ?? '').trim().split('\n').slice(-3).join(' / ')}`;
  return { ok: false, error: why };
}

const fmt = (n: number | undefined, digits = 2): string => (n === undefined ? '—' : n.toFixed(digits));

function row(g: GeneratedModel, lazy: Measurement, full: Measurement): string {
  const size = `${(g.bytes / MB).toFixed(1)} MiB`;
  const x = (a: number, b: number): string => `${Math.round(a / b).toLocaleString('en-US')}×`;
  const ratio = lazy.ok && full.ok ? `${x(full.medianMs!, lazy.medianMs!)} (cold ${x(full.coldMs!, lazy.coldMs!)})` : '—';
  const lazyCell = lazy.ok
    ? `${fmt(lazy.medianMs, 3)} (cold ${fmt(lazy.coldMs, 1)})`
    : `failed: ${lazy.error}`;
  const lazyMem = lazy.ok ? `rss +${fmt(lazy.peakRssMb, 1)}, heap +${fmt(lazy.heapMb, 2)}, ab +${fmt(lazy.arrayBuffersMb, 2)}` : '—';
  const fullCell = full.ok ? `${fmt(full.medianMs, 0)} (${full.runs! + 1} run${full.runs ? 's' : ''})` : `could not complete: ${full.error}`;
  const fullMem = full.ok ? `rss +${fmt(full.peakRssMb, 0)}, heap +${fmt(full.heapMb, 0)}, ab +${fmt(full.arrayBuffersMb, 0)}` : '—';
  const io = lazy.ok ? `${lazy.reads} / ${((lazy.bytesRead ?? 0) / 1024).toFixed(0)} KiB` : '—';
  return `| ${g.kind} | ${size} | ${g.nodes.toLocaleString('en-US')} | ${lazyCell} | ${lazyMem} | ${io} | ${fullCell} | ${fullMem} | ${ratio} |`;
}

const HEADER = [
  '| kind | file | nodes | lazy ms: median (cold) | lazy extra MiB | lazy reads / bytes | full decode ms: median | full extra MiB | speed-up: median (cold) |',
  '| --- | --- | ---: | ---: | --- | ---: | ---: | --- | ---: |',
];

function updateResults(table: string[], notes: string[]): void {
  const path = resolve(__dirname, '..', '..', 'bench', 'RESULTS.md');
  const begin = '<!-- signatures:begin -->';
  const end = '<!-- signatures:end -->';
  const section = [begin, ...table, '', ...notes, end].join('\n');
  let text = existsSync(path) ? readFileSync(path, 'utf8') : '# Benchmark results\n';
  if (text.includes(begin) && text.includes(end)) {
    text = text.slice(0, text.indexOf(begin)) + section + text.slice(text.indexOf(end) + end.length);
  } else {
    text = `${text.trimEnd()}\n\n## Signatures: lazy listing vs full decode (bench/signatures.ts)\n\n${section}\n`;
  }
  writeFileSync(path, text);
  console.log(`updated ${path}`);
}

async function main(): Promise<void> {
  const args = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=') as [string, string]));
  if (args.child) {
    const m = await child(args.child as 'lazy' | 'full', args.file!, Number(args.runs ?? 1)).catch(
      (err: unknown): Measurement => ({ ok: false, error: err instanceof Error ? err.message : String(err) }),
    );
    console.log(JSON.stringify(m));
    return;
  }
  const sizes = args.sizes ? args.sizes.split(',').map(Number) : SIZES_MB;
  const kinds = args.kinds ? (args.kinds.split(',') as SyntheticKind[]) : KINDS;
  const runs = Number(args.runs ?? 21);
  const models = ensureBenchModels(sizes, kinds);
  // A full decode of 500 MB needs several GB of heap; leave the rest of the machine's memory alone.
  const heapMb = Math.min(20000, Math.floor((totalmem() / MB) * 0.8));
  const lines = [...HEADER];
  console.log(`\nmachine: ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), ${(totalmem() / 1024 ** 3).toFixed(0)} GiB, node ${process.version}`);
  console.log(lines.join('\n'));
  for (const g of models) {
    const lazy = measure('lazy', g.file, runs, 512, 120_000);
    const mb = g.bytes / MB;
    const fullRuns = Number(args['full-runs'] ?? (mb > 200 ? 0 : mb > 50 ? 2 : 4));
    const full = measure('full', g.file, fullRuns, heapMb, 600_000);
    const line = row(g, lazy, full);
    lines.push(line);
    console.log(line);
  }
  const notes = [
    `Run ${new Date().toISOString().slice(0, 10)}. Machine: ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), ${(totalmem() / 1024 ** 3).toFixed(0)} GiB RAM, Node ${process.version}; files in the page cache (generated just before).`,
    `Each cell is a fresh child process with --expose-gc. "cold" is the first call in the process (module JIT included); the lazy median is over ${runs} calls after ${WARMUP} untimed warm-up calls; the full-decode median is over the calls after the first (the run count shown includes the first; with a single run, as at 500 MB, it is that run).`,
    'Memory: peak RSS growth during the first call (resourceUsage maxRSS), and heapUsed / arrayBuffers growth with the result still referenced, after a forced GC before.',
    'Full decode = readFileBounded + decodeSavedModel + summarizeSavedModel({ops: false}), i.e. what listing signatures costs without the lazy reader.',
  ];
  if ('write' in args) updateResults(lines, notes);
  writeFileSync(join(resolve(__dirname, '..', '..', 'bench', '.data'), 'signatures-results.md'), [...lines, '', ...notes].join('\n'));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
