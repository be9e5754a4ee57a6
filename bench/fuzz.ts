/**
 * A mutation fuzzer for ServeLens' model readers (`npm run bench:fuzz` for the long run; the quick
 * deterministic run is test/unit/fuzz.test.ts).
 *
 * Inputs are the real fixtures (every file the readers take):
 *   savedmodel:<fx>    saved_model.pb through BOTH the lazy listing (lazy.ts, from a file) and the
 *                      full decode + summary (savedmodel.ts); when both succeed their meta graph
 *                      summaries must agree (a differential check);
 *   fingerprint:<fx>   fingerprint.pb through decodeFingerprint;
 *   pbtxt:<fx>         saved_model.pbtxt through parseSavedModelText + the summary;
 *   bundle-index:<fx>  variables.index mutated, then openBundle + list + read every variable;
 *   bundle-data:<fx>   the data shard mutated, then the same.
 * Each case applies 1-3 mutations from a seeded PRNG: bit flips, byte overwrites (random and
 * boundary values), truncation at a random offset, a huge varint written over a real length prefix
 * (2^31, 2^32, 2^53, 2^63, 2^64-1, or just past the input), duplicated ranges inserted elsewhere,
 * deleted ranges, and for text also inserted tokens and deep nesting.
 *
 * The invariant, per call: the reader returns a result or throws ModelFormatError. Anything else
 * is a failure: another exception (a TypeError, a RangeError from an allocation ...), a call that
 * runs past the per-call time limit (a hang: the worker running the readers is terminated from the
 * main thread, so even a synchronous infinite loop is caught), a worker that dies (out of memory
 * under a 512 MB heap limit), or an allocation larger than the input allows (every Buffer.alloc*,
 * ArrayBuffer and typed-array constructor is wrapped in the worker and the largest request of each
 * call is compared with the size of the call's input).
 *
 * Every case is reproducible from (seed, target, case): `--seed=S --target=NAME --case=N --dump=F`
 * replays one case in this process, prints the mutation steps and writes the mutated bytes to F.
 *
 *   node out/bench/fuzz.js [--seed=N] [--cases=100000] [--minutes=10] [--targets=REGEX] [--write]
 *   (--write puts the outcome table into bench/RESULTS.md)
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';

// ------------------------------------------------------------------ deterministic randomness

/** mulberry32: a small, fast, seedable 32-bit PRNG. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  next(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
}

/** FNV-1a of a string, for per-target seeds. */
function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** The seed of one case: a function of the run seed, the target name and the case index only. */
export function caseSeed(seed: number, target: string, index: number): number {
  let h = (seed ^ hashString(target)) >>> 0;
  h = Math.imul(h ^ (index + 0x9e3779b9), 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

// ------------------------------------------------------------------ mutations

function varintBytes(v: bigint): number[] {
  const out: number[] = [];
  v = BigInt.asUintN(64, v);
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
}

/** Length of the varint at `p` (1..10), or 0 if there is none. */
function varintLength(b: Uint8Array, p: number): number {
  for (let i = 0; i < 10 && p + i < b.length; i++) if (b[p + i]! < 0x80) return i + 1;
  return 0;
}

/**
 * Offsets of the length prefixes of length-delimited fields, found by walking the input as a
 * protobuf message and recursing into every payload that parses as one (at most 20 deep).
 */
export function lengthPrefixes(b: Uint8Array, limit = 20000): number[] {
  const out: number[] = [];
  const walk = (start: number, end: number, depth: number): boolean => {
    const found: Array<[number, number, number]> = [];
    let p = start;
    while (p < end) {
      const tl = varintLength(b, p);
      if (!tl || p + tl > end) return false;
      let tag = 0;
      for (let i = tl - 1; i >= 0; i--) tag = tag * 128 + (b[p + i]! & 0x7f);
      const wt = tag % 8;
      if (tag < 8 || tag > 0xffffffff) return false;
      p += tl;
      if (wt === 0) {
        const vl = varintLength(b, p);
        if (!vl) return false;
        p += vl;
      } else if (wt === 1) p += 8;
      else if (wt === 5) p += 4;
      else if (wt === 2) {
        const ll = varintLength(b, p);
        if (!ll) return false;
        let len = 0;
        for (let i = ll - 1; i >= 0; i--) len = len * 128 + (b[p + i]! & 0x7f);
        if (p + ll + len > end) return false;
        found.push([p, p + ll, p + ll + len]);
        p += ll + len;
      } else return false;
      if (p > end) return false;
    }
    for (const [at, s, e] of found) {
      if (out.length >= limit) break;
      out.push(at);
      if (depth < 20 && e > s) walk(s, e, depth + 1);
    }
    return true;
  };
  walk(0, b.length, 0);
  return out;
}

const HUGE_LENGTHS: Array<[string, bigint]> = [
  ['2^31-1', 2n ** 31n - 1n],
  ['2^31', 2n ** 31n],
  ['2^32', 2n ** 32n],
  ['2^53', 2n ** 53n],
  ['2^63', 2n ** 63n],
  ['2^64-1', 2n ** 64n - 1n],
];
const BOUNDARY_BYTES = [0x00, 0x01, 0x7f, 0x80, 0xff, 0x0a, 0x12, 0x1a, 0x22, 0x2a, 0x08];
const TEXT_TOKENS = ['{', '}', '"', "'", ':', '<', '>', '[', ']', '\\', '#', '\n', ' 999999999999999999999999 ', '-', 'nan', '0x', 'signature_def', ' { ', '\u0000', '\u00e9', '\ud800'];

export interface Mutated {
  bytes: Uint8Array;
  steps: string[];
}

/** Applies 1-3 seeded mutations to `input`. `prefixes` are length-prefix offsets (binary inputs). */
export function mutate(input: Uint8Array, rng: Rng, prefixes: number[], text: boolean): Mutated {
  let b = Uint8Array.from(input);
  const steps: string[] = [];
  // Mostly one mutation, so that a fair share of cases still decode and the success paths (and
  // the lazy-vs-full comparison) get exercised too.
  const n = rng.next() < 0.6 ? 1 : 2 + rng.int(2);
  const cap = input.length * 4 + 4096;
  for (let k = 0; k < n; k++) {
    const len = b.length;
    const kinds = text
      ? ['bitflip', 'overwrite', 'truncate', 'duplicate', 'delete', 'token', 'nest', 'token']
      : ['bitflip', 'overwrite', 'truncate', 'huge-length', 'huge-length', 'duplicate', 'delete', 'length-off-by'];
    const kind = rng.pick(kinds);
    if (len === 0 && kind !== 'token' && kind !== 'nest') {
      steps.push('skip(empty)');
      continue;
    }
    switch (kind) {
      case 'bitflip': {
        const flips = 1 + rng.int(8);
        const at: string[] = [];
        for (let i = 0; i < flips; i++) {
          const p = rng.int(len);
          const bit = rng.int(8);
          b[p] ^= 1 << bit;
          at.push(`${p}.${bit}`);
        }
        steps.push(`bitflip ${at.join(',')}`);
        break;
      }
      case 'overwrite': {
        const p = rng.int(len);
        const m = 1 + rng.int(8);
        const vals: number[] = [];
        for (let i = 0; i < m && p + i < len; i++) {
          const v = rng.next() < 0.5 ? rng.pick(BOUNDARY_BYTES) : rng.int(256);
          b[p + i] = v;
          vals.push(v);
        }
        steps.push(`overwrite @${p} = ${vals.map((v) => v.toString(16).padStart(2, '0')).join(' ')}`);
        break;
      }
      case 'truncate': {
        const p = rng.int(len);
        b = b.slice(0, p);
        steps.push(`truncate @${p}`);
        break;
      }
      case 'huge-length':
      case 'length-off-by': {
        const live = prefixes.filter((p) => p < len);
        const p = live.length && rng.next() < 0.9 ? rng.pick(live) : rng.int(len);
        const old = Math.max(1, varintLength(b, p));
        let label: string;
        let value: bigint;
        if (kind === 'huge-length') {
          [label, value] = rng.next() < 0.2 ? [`input+1 (${len + 1})`, BigInt(len + 1)] : rng.pick(HUGE_LENGTHS);
        } else {
          let cur = 0n;
          for (let i = old - 1; i >= 0; i--) cur = cur * 128n + BigInt(b[p + i]! & 0x7f);
          const delta = BigInt(rng.pick([-2, -1, 1, 2, 7, 100]));
          value = cur + delta < 0n ? 0n : cur + delta;
          label = `${cur}${delta < 0n ? '' : '+'}${delta}`;
        }
        const enc = varintBytes(value);
        const next = new Uint8Array(len - old + enc.length);
        next.set(b.subarray(0, p));
        next.set(enc, p);
        next.set(b.subarray(p + old), p + enc.length);
        b = next;
        steps.push(`${kind} @${p} = ${label}`);
        break;
      }
      case 'duplicate': {
        const a = rng.int(len);
        const m = 1 + rng.int(Math.min(len - a, Math.max(1, len >> 2), 4096));
        const at = rng.int(len + 1);
        if (len + m > cap) {
          steps.push('skip(cap)');
          break;
        }
        const next = new Uint8Array(len + m);
        next.set(b.subarray(0, at));
        next.set(b.subarray(a, a + m), at);
        next.set(b.subarray(at), at + m);
        b = next;
        steps.push(`duplicate [${a},${a + m}) -> @${at}`);
        break;
      }
      case 'delete': {
        const a = rng.int(len);
        const m = 1 + rng.int(Math.min(len - a, 256));
        const next = new Uint8Array(len - m);
        next.set(b.subarray(0, a));
        next.set(b.subarray(a + m), a);
        b = next;
        steps.push(`delete [${a},${a + m})`);
        break;
      }
      case 'token':
      case 'nest': {
        const tok = kind === 'nest' ? 'a {'.repeat(200 + rng.int(2000)) : rng.pick(TEXT_TOKENS);
        const enc = Buffer.from(tok, 'utf8');
        const at = rng.int(len + 1);
        const next = new Uint8Array(len + enc.length);
        next.set(b.subarray(0, at));
        next.set(enc, at);
        next.set(b.subarray(at), at + enc.length);
        b = next;
        steps.push(kind === 'nest' ? `nest ${tok.length / 3}x "a {" @${at}` : `token ${JSON.stringify(tok)} @${at}`);
        break;
      }
    }
  }
  return { bytes: b, steps };
}

// ------------------------------------------------------------------ targets

export type Outcome = 'ok' | 'format-error' | 'bug' | 'timeout' | 'crash' | 'oversize' | 'mismatch' | 'assets-from-graph';

export interface Failure {
  target: string;
  reader: string;
  seed: number;
  case: number;
  steps: string[];
  outcome: Outcome;
  error: string;
}

export interface TargetSpec {
  name: string;
  kind: 'savedmodel' | 'fingerprint' | 'pbtxt' | 'bundle-index' | 'bundle-data';
  /** The file that gets mutated. */
  file: string;
  /** For bundles: the variables folder. */
  dir?: string;
}

/** Every fuzz target for the fixtures under `root` (sorted, so target lists are stable). */
export function listTargets(root: string): TargetSpec[] {
  const out: TargetSpec[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = join(dir, e.name);
      if (e.isDirectory()) {
        walk(p);
        continue;
      }
      const fx = relative(root, dirname(p)).replace(/\/variables$/, '') || '.';
      if (e.name === 'saved_model.pb') out.push({ name: `savedmodel:${fx}`, kind: 'savedmodel', file: p });
      else if (e.name === 'fingerprint.pb') out.push({ name: `fingerprint:${fx}`, kind: 'fingerprint', file: p });
      else if (e.name === 'saved_model.pbtxt') out.push({ name: `pbtxt:${fx}`, kind: 'pbtxt', file: p });
      else if (e.name === 'variables.index') out.push({ name: `bundle-index:${fx}`, kind: 'bundle-index', file: p, dir: dirname(p) });
      else if (/^variables\.data-0+-of-0+1$/.test(e.name)) out.push({ name: `bundle-data:${fx}`, kind: 'bundle-data', file: p, dir: dirname(p) });
    }
  };
  walk(root);
  return out;
}

/** Allocation bound per kind: bytes a call may allocate at once, as a multiple of its input. */
const ALLOC_FACTOR: Record<TargetSpec['kind'], number> = {
  savedmodel: 1,
  fingerprint: 1,
  // The text parser builds the wire encoding in a doubling buffer; about 2x the text at most.
  pbtxt: 4,
  // A snappy block may legitimately decompress to more than its compressed size (22x bound).
  'bundle-index': 24,
  'bundle-data': 1,
};
/** Fixed buffers (read windows, block headers) below this size are not counted against the input. */
const ALLOC_SLACK = 64 * 1024;

interface CaseResult {
  target: string;
  index: number;
  outcomes: Record<string, Outcome>;
  failures: Failure[];
  ms: number;
  allocRatio: number;
  allocBytes: number;
}

// ------------------------------------------------------------------ the worker: runs the readers

/** The largest allocation requested since the last reset (set up in the worker only). */
const alloc = { max: 0 };

function installAllocationTracker(): void {
  const note = (n: unknown): void => {
    if (typeof n === 'number' && n > alloc.max) alloc.max = n;
  };
  for (const name of ['alloc', 'allocUnsafe', 'allocUnsafeSlow'] as const) {
    const orig = Buffer[name] as (size: number, ...rest: unknown[]) => Buffer;
    (Buffer as unknown as Record<string, unknown>)[name] = function (this: unknown, size: number, ...rest: unknown[]): Buffer {
      note(size);
      return orig.call(Buffer, size, ...rest);
    };
  }
  const g = globalThis as unknown as Record<string, unknown>;
  for (const name of [
    'ArrayBuffer',
    'Uint8Array',
    'Int8Array',
    'Uint8ClampedArray',
    'Uint16Array',
    'Int16Array',
    'Uint32Array',
    'Int32Array',
    'Float32Array',
    'Float64Array',
    'BigInt64Array',
    'BigUint64Array',
  ]) {
    const ctor = g[name] as { BYTES_PER_ELEMENT?: number } & (new (...args: unknown[]) => object);
    const per = ctor.BYTES_PER_ELEMENT ?? 1;
    g[name] = new Proxy(ctor, {
      construct(target, args, newTarget) {
        if (typeof args[0] === 'number') note(args[0] * per);
        return Reflect.construct(target, args, newTarget) as object;
      },
    });
  }
}

interface WorkerInput {
  seed: number;
  targets: TargetSpec[];
  /** Cases to run: [targetIndex, caseIndex] pairs from `start` in the plan's order. */
  plan: Plan;
  start: number;
  deadline: number;
  shared: SharedArrayBuffer;
}

/** 'per-target': counts[t] cases of target t, one target after the other. 'round-robin': targets in turn. */
interface Plan {
  mode: 'per-target' | 'round-robin';
  counts: number[];
  total: number;
}

/** The i-th case of a plan as [target index, case index]. */
function planCase(plan: Plan, targets: number, i: number): [number, number] {
  if (plan.mode === 'round-robin') return [i % targets, Math.floor(i / targets)];
  let t = 0;
  while (t < plan.counts.length - 1 && i >= plan.counts[t]!) i -= plan.counts[t++]!;
  return [t, i];
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    const where = (err.stack ?? '').split('\n').slice(1, 4).map((s) => s.trim()).join(' < ');
    return `${err.name}: ${err.message.slice(0, 300)}${where ? ` [${where}]` : ''}`;
  }
  return String(err);
}

/** Loads the readers (after the allocation tracker, so they see the wrapped constructors). */
function loadReaders() {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const errors = require('../src/core/errors') as typeof import('../src/core/errors');
  const lazy = require('../src/core/model/lazy') as typeof import('../src/core/model/lazy');
  const sm = require('../src/core/model/savedmodel') as typeof import('../src/core/model/savedmodel');
  const fp = require('../src/core/model/fingerprint') as typeof import('../src/core/model/fingerprint');
  const pbtxt = require('../src/core/model/pbtxt') as typeof import('../src/core/model/pbtxt');
  const bundle = require('../src/core/model/bundle/bundle') as typeof import('../src/core/model/bundle/bundle');
  /* eslint-enable @typescript-eslint/no-require-imports */
  return { errors, lazy, sm, fp, pbtxt, bundle };
}
type Readers = ReturnType<typeof loadReaders>;

interface PreparedTarget {
  spec: TargetSpec;
  input: Uint8Array;
  prefixes: number[];
  /** Per-case scratch folder (the mutated file and, for bundles, its siblings). */
  scratch: string;
}

/** Protobuf-shaped inputs, whose length prefixes the mutator aims at. */
function isBinary(kind: TargetSpec['kind']): boolean {
  return kind === 'savedmodel' || kind === 'fingerprint' || kind === 'bundle-index';
}

function prepare(spec: TargetSpec, scratchRoot: string, i: number): PreparedTarget {
  const input = new Uint8Array(readFileSync(spec.file));
  const binary = isBinary(spec.kind);
  const scratch = join(scratchRoot, `t${i}`);
  mkdirSync(scratch, { recursive: true });
  if (spec.dir) for (const f of readdirSync(spec.dir)) copyFileSync(join(spec.dir, f), join(scratch, f));
  return { spec, input, prefixes: binary ? lengthPrefixes(input) : [], scratch };
}

/** Runs one case: mutate, run the reader(s), classify. */
async function runCase(r: Readers, t: PreparedTarget, seed: number, index: number): Promise<CaseResult> {
  const { spec } = t;
  const rng = new Rng(caseSeed(seed, spec.name, index));
  const m = mutate(t.input, rng, t.prefixes, spec.kind === 'pbtxt');
  const outcomes: Record<string, Outcome> = {};
  const failures: Failure[] = [];
  const results: Record<string, unknown> = {};
  let inputBytes = m.bytes.length;
  if (spec.kind === 'bundle-index' || spec.kind === 'bundle-data') {
    const name = basename(spec.file);
    for (const f of readdirSync(t.scratch)) if (f !== name) inputBytes += statSync(join(t.scratch, f)).size;
  }

  const attempt = async (reader: string, fn: () => Promise<unknown> | unknown): Promise<void> => {
    try {
      results[reader] = await fn();
      outcomes[reader] = 'ok';
    } catch (err) {
      if (err instanceof r.errors.ModelFormatError && typeof err.file === 'string' && err.file.length > 0) {
        outcomes[reader] = 'format-error';
      } else {
        outcomes[reader] = 'bug';
        failures.push({ target: spec.name, reader, seed, case: index, steps: m.steps, outcome: 'bug', error: describe(err) });
      }
    }
  };

  alloc.max = 0;
  const t0 = performance.now();
  switch (spec.kind) {
    case 'savedmodel': {
      const file = join(t.scratch, 'saved_model.pb');
      writeFileSync(file, m.bytes);
      await attempt('lazy', () => r.lazy.listSignaturesLazy(file));
      let decoded: ReturnType<Readers['sm']['decodeSavedModel']> | undefined;
      await attempt('full', () => {
        decoded = r.sm.decodeSavedModel(m.bytes, file);
        return r.sm.summarizeSavedModel(decoded, { dir: t.scratch, file }, { ops: true });
      });
      if (outcomes.lazy === 'ok' && outcomes.full === 'ok' && decoded) {
        // Differential check. The lazy listing must equal the full decode's summary of the same
        // meta graphs without their graph_def (the part it does not read). The full summary may in
        // addition list TF1 assets whose names it found in the graph; then the lazy layout must have
        // flagged those tensors (assetTensorsInGraph).
        const lazy = results.lazy as Awaited<ReturnType<Readers['lazy']['listSignaturesLazy']>>;
        const full = results.full as ReturnType<Readers['sm']['summarizeSavedModel']>;
        const withoutGraph = {
          ...decoded.message,
          meta_graphs: decoded.metaGraphs.map((mg) => ({ ...mg, graph_def: undefined })),
        };
        const expected = r.sm.summarizeSavedModel(withoutGraph, { dir: t.scratch, file }, { ops: false });
        const a = JSON.stringify({ v: lazy.schemaVersion, m: lazy.metaGraphs });
        const b = JSON.stringify({ v: expected.schemaVersion, m: expected.metaGraphs });
        const c = JSON.stringify({ v: full.schemaVersion, m: full.metaGraphs.map(({ ops: _ops, ...rest }) => rest) });
        if (a !== b) {
          outcomes.diff = 'mismatch';
          failures.push({ target: spec.name, reader: 'lazy-vs-full', seed, case: index, steps: m.steps, outcome: 'mismatch', error: firstDifference(a, b) });
        } else if (a !== c) {
          const flagged = lazy.layout.some((l) => l.assetTensorsInGraph.length > 0);
          outcomes.diff = flagged ? 'assets-from-graph' : 'mismatch';
          if (!flagged) {
            failures.push({ target: spec.name, reader: 'lazy-vs-full', seed, case: index, steps: m.steps, outcome: 'mismatch', error: `unflagged: ${firstDifference(a, c)}` });
          }
        } else outcomes.diff = 'ok';
      }
      break;
    }
    case 'fingerprint':
      await attempt('fingerprint', () => r.fp.decodeFingerprint(m.bytes, join(t.scratch, 'fingerprint.pb')));
      break;
    case 'pbtxt': {
      const file = join(t.scratch, 'saved_model.pbtxt');
      const text = Buffer.from(m.bytes).toString('utf8');
      await attempt('pbtxt', () => r.sm.summarizeSavedModel(r.pbtxt.parseSavedModelText(text, file), { dir: t.scratch, file }));
      break;
    }
    case 'bundle-index':
    case 'bundle-data': {
      const name = basename(spec.file);
      writeFileSync(join(t.scratch, name), m.bytes);
      await attempt('bundle', async () => {
        const b = await r.bundle.openBundle(t.scratch);
        const vars = b.list();
        for (const v of vars) await b.read(v.key);
        return vars.length;
      });
      writeFileSync(join(t.scratch, name), t.input);
      break;
    }
  }
  const ms = performance.now() - t0;
  const allowed = inputBytes * ALLOC_FACTOR[spec.kind] + ALLOC_SLACK;
  // Fixed buffers (the 16 KiB read window) dwarf a truncated input; the ratio is of interest only
  // for allocations beyond the slack.
  const allocRatio = alloc.max > ALLOC_SLACK ? alloc.max / Math.max(1, inputBytes) : 0;
  if (alloc.max > allowed) {
    outcomes.alloc = 'oversize';
    failures.push({
      target: spec.name,
      reader: Object.keys(outcomes).join('+'),
      seed,
      case: index,
      steps: m.steps,
      outcome: 'oversize',
      error: `allocated ${alloc.max} bytes at once for an input of ${inputBytes} bytes (allowed ${allowed})`,
    });
  }
  return { target: spec.name, index, outcomes, failures, ms, allocRatio, allocBytes: alloc.max };
}

function firstDifference(a: string, b: string): string {
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  return `lazy …${a.slice(Math.max(0, i - 80), i + 80)}… vs full …${b.slice(Math.max(0, i - 80), i + 80)}…`;
}

async function workerMain(input: WorkerInput): Promise<void> {
  installAllocationTracker();
  const readers = loadReaders();
  const state = new Int32Array(input.shared);
  const scratchRoot = mkdtempSync(join(tmpdir(), 'servelens-fuzz-'));
  const prepared = new Map<number, PreparedTarget>();
  try {
    for (let i = input.start; i < input.plan.total; i++) {
      if (Date.now() > input.deadline) break;
      const [ti, ci] = planCase(input.plan, input.targets.length, i);
      let t = prepared.get(ti);
      if (!t) prepared.set(ti, (t = prepare(input.targets[ti]!, scratchRoot, ti)));
      Atomics.store(state, 0, i);
      Atomics.store(state, 1, 1); // in a call
      const res = await runCase(readers, t, input.seed, ci);
      Atomics.store(state, 1, 0);
      parentPort!.postMessage({ type: 'case', i, res });
    }
  } finally {
    rmSync(scratchRoot, { recursive: true, force: true });
  }
  parentPort!.postMessage({ type: 'done' });
}

// ------------------------------------------------------------------ the main thread: plan, watchdog, report

export interface TargetStats {
  target: string;
  cases: number;
  /** reader -> outcome -> count */
  outcomes: Record<string, Record<string, number>>;
  maxCallMs: number;
  maxAllocRatio: number;
  maxAllocBytes: number;
}

export interface FuzzReport {
  seed: number;
  cases: number;
  elapsedMs: number;
  stoppedByTime: boolean;
  targets: TargetStats[];
  failures: Failure[];
}

export interface FuzzOptions {
  seed: number;
  /** The fixtures folder (SAVEDMODELS). */
  root: string;
  /** Only targets whose name matches. */
  filter?: RegExp;
  /** 'per-target': casesPerTarget(target) cases for each target in turn. 'round-robin': `total` cases over all targets. */
  mode: 'per-target' | 'round-robin';
  casesPerTarget?: (t: TargetSpec) => number;
  total?: number;
  /** Wall-clock budget for the whole run. */
  timeLimitMs?: number;
  /** A call running longer than this is a hang. */
  perCallTimeoutMs?: number;
  /** Old-generation heap limit of the worker that runs the readers. */
  heapMb?: number;
  onCase?: (done: number, total: number) => void;
}

/** The compiled worker script: this file in out/bench. */
const WORKER_SCRIPT = __filename;

export async function runFuzz(opts: FuzzOptions): Promise<FuzzReport> {
  const targets = listTargets(opts.root).filter((t) => !opts.filter || opts.filter.test(t.name));
  if (targets.length === 0) throw new Error(`no fuzz targets under ${opts.root}`);
  const counts = targets.map((t) => (opts.casesPerTarget ? opts.casesPerTarget(t) : 300));
  const total = opts.mode === 'per-target' ? counts.reduce((a, b) => a + b, 0) : (opts.total ?? 100_000);
  const plan: Plan = { mode: opts.mode, counts, total };
  const started = Date.now();
  const deadline = started + (opts.timeLimitMs ?? 24 * 3600_000);
  const perCall = opts.perCallTimeoutMs ?? 5000;
  const stats = new Map<string, TargetStats>(
    targets.map((t) => [t.name, { target: t.name, cases: 0, outcomes: {}, maxCallMs: 0, maxAllocRatio: 0, maxAllocBytes: 0 }]),
  );
  const failures: Failure[] = [];
  let next = 0;

  const record = (res: CaseResult): void => {
    const s = stats.get(res.target)!;
    s.cases++;
    for (const [reader, outcome] of Object.entries(res.outcomes)) {
      const o = (s.outcomes[reader] ??= {});
      o[outcome] = (o[outcome] ?? 0) + 1;
    }
    s.maxCallMs = Math.max(s.maxCallMs, res.ms);
    s.maxAllocRatio = Math.max(s.maxAllocRatio, res.allocRatio);
    s.maxAllocBytes = Math.max(s.maxAllocBytes, res.allocBytes);
    failures.push(...res.failures);
  };
  const recordLost = (i: number, outcome: 'timeout' | 'crash', why: string): void => {
    const [ti, ci] = planCase(plan, targets.length, i);
    const spec = targets[ti]!;
    const rng = new Rng(caseSeed(opts.seed, spec.name, ci));
    const input = new Uint8Array(readFileSync(spec.file));
    const { steps } = mutate(input, rng, isBinary(spec.kind) ? lengthPrefixes(input) : [], spec.kind === 'pbtxt');
    const s = stats.get(spec.name)!;
    s.cases++;
    const o = (s.outcomes.worker ??= {});
    o[outcome] = (o[outcome] ?? 0) + 1;
    failures.push({ target: spec.name, reader: spec.kind, seed: opts.seed, case: ci, steps, outcome, error: why });
  };

  while (next < total && Date.now() < deadline) {
    const shared = new SharedArrayBuffer(8);
    const state = new Int32Array(shared);
    Atomics.store(state, 0, next);
    const input: WorkerInput = { seed: opts.seed, targets, plan, start: next, deadline, shared };
    const worker = new Worker(WORKER_SCRIPT, {
      workerData: { fuzzWorker: input },
      resourceLimits: { maxOldGenerationSizeMb: opts.heapMb ?? 512 },
    });
    const lost = await new Promise<{ i: number; outcome: 'timeout' | 'crash'; why: string } | undefined>((resolveRun) => {
      let lastI = -1;
      let since = Date.now();
      let settled = false;
      const finish = (v: { i: number; outcome: 'timeout' | 'crash'; why: string } | undefined): void => {
        if (settled) return;
        settled = true;
        clearInterval(timer);
        resolveRun(v);
      };
      const timer = setInterval(() => {
        const i = Atomics.load(state, 0);
        const inCall = Atomics.load(state, 1) === 1;
        if (i !== lastI || !inCall) {
          lastI = i;
          since = Date.now();
          return;
        }
        if (Date.now() - since > perCall) {
          void worker.terminate();
          finish({ i, outcome: 'timeout', why: `no result after ${perCall} ms` });
        }
      }, 25);
      worker.on('message', (msg: { type: string; i?: number; res?: CaseResult }) => {
        if (msg.type === 'case') {
          record(msg.res!);
          next = msg.i! + 1;
          opts.onCase?.(next, total);
        } else if (msg.type === 'done') finish(undefined);
      });
      worker.on('error', (err) => finish({ i: Atomics.load(state, 0), outcome: 'crash', why: describe(err) }));
      worker.on('exit', (code) => finish(code === 0 ? undefined : { i: Atomics.load(state, 0), outcome: 'crash', why: `worker exited with ${code}` }));
    });
    await worker.terminate();
    if (!lost) break;
    recordLost(lost.i, lost.outcome, lost.why);
    next = lost.i + 1;
  }
  return {
    seed: opts.seed,
    cases: [...stats.values()].reduce((n, s) => n + s.cases, 0),
    elapsedMs: Date.now() - started,
    stoppedByTime: next < total,
    targets: [...stats.values()],
    failures,
  };
}

/** A table of outcome counts per target and reader. */
export function formatReport(r: FuzzReport): string {
  const lines = [
    `seed ${r.seed}: ${r.cases.toLocaleString('en-US')} cases in ${(r.elapsedMs / 1000).toFixed(1)} s${r.stoppedByTime ? ' (stopped by the time limit)' : ''}`,
    '| target | cases | reader: outcomes | slowest call ms | largest alloc bytes | largest alloc / input (allocs > 64 KiB) |',
    '| --- | ---: | --- | ---: | ---: | ---: |',
  ];
  for (const s of r.targets) {
    const outcomes = Object.entries(s.outcomes)
      .map(([reader, o]) => `${reader}: ${Object.entries(o).map(([k, v]) => `${k} ${v}`).join(', ')}`)
      .join('; ');
    const ratio = s.maxAllocRatio ? s.maxAllocRatio.toFixed(2) : '—';
    lines.push(`| ${s.target} | ${s.cases} | ${outcomes} | ${s.maxCallMs.toFixed(1)} | ${s.maxAllocBytes} | ${ratio} |`);
  }
  const byKind = new Map<string, number>();
  for (const f of r.failures) byKind.set(`${f.target} ${f.reader} ${f.outcome}`, (byKind.get(`${f.target} ${f.reader} ${f.outcome}`) ?? 0) + 1);
  lines.push('', `failures: ${r.failures.length}`);
  for (const [k, v] of byKind) lines.push(`  ${v} × ${k}`);
  return lines.join('\n');
}

// ------------------------------------------------------------------ entry points

/** Replaces the fuzz section of bench/RESULTS.md (between its markers) with this run's table. */
function updateResults(report: FuzzReport): void {
  const path = resolve(__dirname, '..', '..', 'bench', 'RESULTS.md');
  const begin = '<!-- fuzz:begin -->';
  const end = '<!-- fuzz:end -->';
  const section = [begin, `Run ${new Date().toISOString().slice(0, 10)}, \`npm run bench:fuzz -- --seed=${report.seed} --cases=${report.cases}\`:`, '', formatReport(report), end].join('\n');
  let text = existsSync(path) ? readFileSync(path, 'utf8') : '# Benchmark results\n';
  if (text.includes(begin) && text.includes(end)) {
    text = text.slice(0, text.indexOf(begin)) + section + text.slice(text.indexOf(end) + end.length);
  } else {
    text = `${text.trimEnd()}\n\n## Fuzzing the model readers (bench/fuzz.ts)\n\n${section}\n`;
  }
  writeFileSync(path, text);
  console.log(`updated ${path}`);
}

async function replay(root: string, seed: number, target: string, index: number, dump?: string): Promise<void> {
  installAllocationTracker();
  const readers = loadReaders();
  const spec = listTargets(root).find((t) => t.name === target);
  if (!spec) throw new Error(`no target ${target}`);
  const scratchRoot = mkdtempSync(join(tmpdir(), 'servelens-fuzz-replay-'));
  try {
    const t = prepare(spec, scratchRoot, 0);
    const m = mutate(t.input, new Rng(caseSeed(seed, spec.name, index)), t.prefixes, spec.kind === 'pbtxt');
    console.log(`seed ${seed} target ${target} case ${index}: ${m.steps.join(' ; ')}`);
    if (dump) {
      writeFileSync(dump, m.bytes);
      console.log(`mutated input (${m.bytes.length} bytes) written to ${dump}`);
    }
    const res = await runCase(readers, t, seed, index);
    console.log(JSON.stringify(res, null, 2));
  } finally {
    rmSync(scratchRoot, { recursive: true, force: true });
  }
}

async function cli(): Promise<void> {
  const args = Object.fromEntries(
    process.argv.slice(2).map((a) => {
      const [k, ...v] = a.replace(/^--/, '').split('=');
      return [k!, v.join('=')];
    }),
  ) as Record<string, string>;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { SAVEDMODELS } = require('../test/helpers/fixtures') as typeof import('../test/helpers/fixtures');
  const root = args.root ? resolve(args.root) : SAVEDMODELS;
  const seed = args.seed ? Number(args.seed) >>> 0 : (Date.now() ^ (process.pid << 16)) >>> 0;
  if (args.case !== undefined && args.target) {
    await replay(root, seed, args.target, Number(args.case), args.dump || undefined);
    return;
  }
  const total = Number(args.cases || 100_000);
  const minutes = Number(args.minutes || 10);
  console.log(`fuzz: seed ${seed}, up to ${total.toLocaleString('en-US')} cases or ${minutes} min, fixtures ${root}`);
  let lastLog = Date.now();
  const report = await runFuzz({
    seed,
    root,
    filter: args.targets ? new RegExp(args.targets) : undefined,
    mode: 'round-robin',
    total,
    timeLimitMs: minutes * 60_000,
    perCallTimeoutMs: Number(args['call-timeout-ms'] || 10_000),
    onCase: (done, all) => {
      if (Date.now() - lastLog > 15_000) {
        lastLog = Date.now();
        console.log(`  ${done.toLocaleString('en-US')} / ${all.toLocaleString('en-US')}`);
      }
    },
  });
  console.log(formatReport(report));
  for (const f of report.failures.slice(0, 50)) {
    console.log(`- [${f.outcome}] ${f.target} ${f.reader} case ${f.case}: ${f.steps.join(' ; ')}\n    ${f.error}`);
  }
  const dataDir = resolve(__dirname, '..', '..', 'bench', '.data');
  if (!existsSync(dataDir)) mkdirSync(dataDir, { recursive: true });
  writeFileSync(join(dataDir, `fuzz-${seed}.json`), JSON.stringify(report, null, 2));
  console.log(`report: ${join(dataDir, `fuzz-${seed}.json`)}; replay one case with --seed=${seed} --target=NAME --case=N --dump=FILE`);
  if ('write' in args) updateResults(report);
  if (report.failures.length > 0) process.exitCode = 1;
}

if (!isMainThread && (workerData as { fuzzWorker?: WorkerInput } | null)?.fuzzWorker) {
  workerMain((workerData as { fuzzWorker: WorkerInput }).fuzzWorker).catch((err: unknown) => {
    console.error(err);
    process.exit(70);
  });
} else if (isMainThread && require.main === module) {
  cli().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 2;
  });
}
