/**
 * `npm run bench:validate` — request validation speed (src/core/request/validate.ts).
 *
 * 1. Signature-aware validation of ~1.5 MB bodies (Vertex AI's online limit), with positions
 *    (line/column on every finding), against JSON.parse of the same text and against
 *    jsonc-parser's parseTree plus an equivalent check walked over its tree, in one run: warm-up,
 *    then rounds that interleave the three so machine load hits them alike; medians reported.
 *    Goals (issue 4): validate ≤ 1.2 × JSON.parse, and ≥ 5 × faster than parseTree + check.
 * 2. JSON Lines files of 50 and 200 MB validated as streams (bench/.data/, generated once), each in
 *    a child process: throughput, peak RSS (against a process that only loads the code: it must
 *    not grow with the file), and live heap after forced GCs.
 *
 *   node out/bench/validate.js [--rounds=N] [--bodies=image,b64,text,ints,columnar] [--jsonl-mb=50,200]
 *                              [--no-jsonl] [--write]
 *   (--write updates the "validate" section of bench/RESULTS.md)
 */
import { spawnSync } from 'node:child_process';
import { createReadStream, createWriteStream, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Signature, TensorSpec } from '../src/core/model/types';
import type { ValidateOptions } from '../src/core/request/types';
import { validateJsonLinesStream, validateRequest } from '../src/core/request/validate';

const MB = 1024 * 1024;
const TARGET_BYTES = 1_500_000;
const root = resolve(__dirname, '..', '..');
const dataDir = join(root, 'bench', '.data');

function t(alias: string, dtype: string, shape: number[] | null): TensorSpec {
  return { alias, dtype, shape, tensor: `${alias}:0` };
}
function sig(...inputs: TensorSpec[]): Signature[] {
  return [{ name: 'serving_default', method: 'tensorflow/serving/predict', inputs, outputs: [t('scores', 'DT_FLOAT', [-1, 10])] }];
}

let seed = 20261122;
const rnd = (): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;

interface Body {
  name: string;
  what: string;
  text: string;
  signatures: Signature[];
  /** The service the body is for (Vertex AI takes the row format only). */
  target: 'vertex' | 'tf-serving';
}

/** Repeats `instance(i)` into a row body until it reaches ~1.5 MB. */
function rowBody(instance: (i: number) => string): string {
  const parts: string[] = [];
  let size = 20;
  for (let i = 0; ; i++) {
    const s = instance(i);
    if (size + s.length + 2 > TARGET_BYTES) break;
    parts.push(s);
    size += s.length + 2;
  }
  return `{"instances": [\n${parts.join(',\n')}\n]}\n`;
}

function bodies(): Body[] {
  const px = () => (rnd() * 2 - 1).toFixed(4);
  const image = rowBody((i) => {
    const rows: string[] = [];
    for (let r = 0; r < 32; r++) {
      const cols: string[] = [];
      for (let c = 0; c < 32; c++) cols.push(`[${px()}, ${px()}, ${px()}]`);
      rows.push(`[${cols.join(', ')}]`);
    }
    return `{"image": [${rows.join(', ')}], "key": ${i}}`;
  });
  const b64 = rowBody((i) => `{"image_bytes": {"b64": "${Buffer.from(Array.from({ length: 9000 }, () => Math.floor(rnd() * 256))).toString('base64')}"}, "key": "${i}"}`);
  const words = ['the', 'quick', 'brown', 'fox', 'jumps', 'over', 'a', 'lazy', 'dog', 'near', 'riverbank'];
  const text = rowBody(() => `[${Array.from({ length: 16 }, () => `"${words[Math.floor(rnd() * words.length)]}"`).join(', ')}]`);
  const ints = rowBody(() => `{"ids": [${Array.from({ length: 64 }, () => Math.floor(rnd() * 30000)).join(', ')}], "mask": [${Array.from({ length: 64 }, () => (rnd() < 0.8 ? 1 : 0)).join(', ')}]}`);
  const n = Math.floor(TARGET_BYTES / (12 * 512));
  const columnar = `{"inputs": {"features": [${Array.from({ length: n }, () => `[${Array.from({ length: 512 }, px).join(',')}]`).join(',\n')}]}}\n`;
  return [
    { name: 'image', what: 'row, 32×32×3 float pixels + int key per instance', text: image, signatures: sig(t('image', 'DT_FLOAT', [-1, 32, 32, 3]), t('key', 'DT_INT64', [-1])), target: 'vertex' },
    { name: 'b64', what: 'row, {"b64"} JPEG-sized bytes + string key', text: b64, signatures: sig(t('image_bytes', 'DT_STRING', [-1]), t('key', 'DT_STRING', [-1])), target: 'vertex' },
    { name: 'text', what: 'row, bare lists of 16 words', text, signatures: sig(t('words', 'DT_STRING', [-1, 16])), target: 'vertex' },
    { name: 'ints', what: 'row, int32 ids + int8 mask (range checks)', text: ints, signatures: sig(t('ids', 'DT_INT32', [-1, 64]), t('mask', 'DT_INT8', [-1, 64])), target: 'vertex' },
    { name: 'columnar', what: 'columnar, one [N, 512] float tensor', text: columnar, signatures: sig(t('features', 'DT_FLOAT', [-1, 512])), target: 'tf-serving' },
  ];
}

// ---------------------------------------------------------------------------- jsonc-parser baseline

interface JsoncNode {
  type: 'object' | 'array' | 'property' | 'string' | 'number' | 'boolean' | 'null';
  offset: number;
  length: number;
  value?: unknown;
  children?: JsoncNode[];
}
interface Jsonc {
  parseTree(text: string, errors?: unknown[], options?: unknown): JsoncNode | undefined;
}

function loadJsonc(): Jsonc | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('jsonc-parser') as Jsonc;
  } catch {
    return undefined;
  }
}

/**
 * The same checks the validator makes, walked over jsonc-parser's tree: top level, instances or
 * inputs, aliases known and present, value kinds against the dtype, integer ranges, rectangular
 * shape against the signature, base64 alphabet; findings with line/column computed from offsets.
 */
function jsoncCheck(jsonc: Jsonc, text: string, sigs: Signature[]): number {
  const errors: unknown[] = [];
  const root = jsonc.parseTree(text, errors, { allowTrailingComma: true, disallowComments: false });
  const findings: { offset: number; line?: number }[] = [];
  if (!root || root.type !== 'object') return 1;
  const spec = new Map(sigs[0]!.inputs.map((s) => [s.alias, s]));
  const single = sigs[0]!.inputs.length === 1 ? sigs[0]!.inputs[0]! : undefined;
  const b64re = /^[A-Za-z0-9+/\s]*=?=?\s*$/;
  const leaf = (n: JsoncNode, s: TensorSpec) => {
    const d = s.dtype;
    if (n.type === 'object') {
      const b = n.children?.[0]?.children?.[1];
      if (d !== 'DT_STRING' || !b || typeof b.value !== 'string' || !b64re.test(b.value)) findings.push({ offset: n.offset });
    } else if (d === 'DT_STRING' ? n.type !== 'string' : n.type !== 'number') findings.push({ offset: n.offset });
    else if (d.startsWith('DT_INT') && (!Number.isInteger(n.value) || text.slice(n.offset, n.offset + n.length).includes('.'))) findings.push({ offset: n.offset });
    else if (d === 'DT_INT8' && ((n.value as number) < -128 || (n.value as number) > 127)) findings.push({ offset: n.offset });
  };
  const shapeOf = (n: JsoncNode, s: TensorSpec, dims: number[], depth: number): void => {
    if (n.type !== 'array') return leaf(n, s);
    const kids = n.children ?? [];
    if (dims.length <= depth) dims.push(kids.length);
    else if (dims[depth] !== kids.length) findings.push({ offset: n.offset });
    for (const k of kids) shapeOf(k, s, dims, depth + 1);
  };
  const tensor = (n: JsoncNode, s: TensorSpec, perInstance: boolean) => {
    const dims: number[] = [];
    shapeOf(n, s, dims, 0);
    const want = s.shape === null ? null : perInstance ? s.shape.slice(1) : s.shape;
    if (want && (want.length !== dims.length || want.some((w, i) => w >= 0 && w !== dims[i]))) findings.push({ offset: n.offset });
  };
  for (const member of root.children ?? []) {
    const key = member.children![0]!.value;
    const v = member.children![1]!;
    if (key === 'instances' && v.type === 'array') {
      for (const inst of v.children ?? []) {
        if (inst.type === 'object' && single === undefined) {
          const seen = new Set<string>();
          for (const p of inst.children ?? []) {
            const alias = p.children![0]!.value as string;
            const s = spec.get(alias);
            seen.add(alias);
            if (!s) findings.push({ offset: p.offset });
            else tensor(p.children![1]!, s, true);
          }
          for (const a of spec.keys()) if (!seen.has(a)) findings.push({ offset: inst.offset });
        } else if (single) tensor(inst, single, true);
      }
    } else if (key === 'inputs' && v.type === 'object') {
      for (const p of v.children ?? []) {
        const s = spec.get(p.children![0]!.value as string);
        if (!s) findings.push({ offset: p.offset });
        else tensor(p.children![1]!, s, false);
      }
    } else if (key !== 'signature_name' && key !== 'parameters') findings.push({ offset: member.offset });
  }
  if (findings.length) {
    const starts = [0];
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
    for (const f of findings) {
      let lo = 0;
      let hi = starts.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (starts[mid]! <= f.offset) lo = mid;
        else hi = mid - 1;
      }
      f.line = lo + 1;
    }
  }
  return findings.length + errors.length;
}

// ---------------------------------------------------------------------------- timing

const now = (): number => Number(process.hrtime.bigint()) / 1e6;
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

interface BodyResult {
  body: Body;
  bytes: number;
  instances: number;
  findings: number;
  cold: { parse: number; validate: number; jsonc?: number };
  parse: number;
  validate: number;
  jsonc?: number;
}

function benchBody(b: Body, rounds: number, jsonc: Jsonc | undefined): BodyResult {
  const opts: ValidateOptions = { fileKind: 'json', signatures: b.signatures, target: b.target };
  const timeOnce = (f: () => unknown): number => {
    const t0 = now();
    f();
    return now() - t0;
  };
  const cold = {
    parse: timeOnce(() => JSON.parse(b.text)),
    validate: timeOnce(() => validateRequest(b.text, opts)),
    ...(jsonc ? { jsonc: timeOnce(() => jsoncCheck(jsonc, b.text, b.signatures)) } : {}),
  };
  const res = validateRequest(b.text, opts);
  if (res.findings.some((f) => f.severity === 'error')) throw new Error(`${b.name}: unexpected errors: ${JSON.stringify(res.findings.slice(0, 3))}`);
  if (jsonc && jsoncCheck(jsonc, b.text, b.signatures) !== 0) throw new Error(`${b.name}: the jsonc baseline check disagrees (found problems)`);
  for (let i = 0; i < 15; i++) {
    JSON.parse(b.text);
    validateRequest(b.text, opts);
    if (jsonc && i < 5) jsoncCheck(jsonc, b.text, b.signatures);
  }
  const parse: number[] = [];
  const validate: number[] = [];
  const jc: number[] = [];
  // JSON.parse and validate alternate (load hits both alike); the parseTree baseline runs after,
  // on its own, because its large trees would otherwise be collected inside the others' timings.
  for (let r = 0; r < rounds; r++) {
    if (r % 2) {
      parse.push(timeOnce(() => JSON.parse(b.text)));
      validate.push(timeOnce(() => validateRequest(b.text, opts)));
    } else {
      validate.push(timeOnce(() => validateRequest(b.text, opts)));
      parse.push(timeOnce(() => JSON.parse(b.text)));
    }
  }
  if (jsonc) for (let r = 0; r < Math.max(5, Math.ceil(rounds / 3)); r++) jc.push(timeOnce(() => jsoncCheck(jsonc, b.text, b.signatures)));
  const out: BodyResult = { body: b, bytes: Buffer.byteLength(b.text), instances: res.instances, findings: res.findings.length, cold, parse: median(parse), validate: median(validate) };
  if (jc.length) out.jsonc = median(jc);
  return out;
}

// ---------------------------------------------------------------------------- JSON Lines

async function ensureJsonl(mb: number): Promise<string> {
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, `instances-${mb}mb.jsonl`);
  if (existsSync(file) && statSync(file).size >= mb * MB) return file;
  const out = createWriteStream(file);
  let written = 0;
  let i = 0;
  const px = () => (rnd() * 2 - 1).toFixed(4);
  while (written < mb * MB) {
    let chunk = '';
    while (chunk.length < 1 << 20) {
      chunk += `{"features": [${Array.from({ length: 8 }, px).join(', ')}], "caption": "instance ${i} of the batch", "key": "k${i}"}\n`;
      i++;
    }
    written += chunk.length;
    if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((r, j) => out.end((err?: Error | null) => (err ? j(err) : r())));
  return file;
}

interface StreamResult {
  bytes: number;
  lines: number;
  instances: number;
  ms: number;
  /** Peak RSS of the whole process (Node included), and of a process that only loaded the code. */
  maxRssMb: number;
  baselineRssMb: number;
  /** Live JS heap growth after forced GCs (sampled every 32 MB). */
  liveHeapMb: number;
  findings: number;
}

const JSONL_SIG = (): Signature[] => sig(t('features', 'DT_FLOAT', [-1, 8]), t('caption', 'DT_STRING', [-1]));

/** In a child process (so the peak RSS is this stream's alone): validate `file` as a stream. */
async function streamChild(file: string): Promise<void> {
  setFlagsFromString('--expose_gc');
  const gc = runInNewContext('gc') as () => void;
  gc();
  const base = process.memoryUsage();
  let live = 0;
  let nextGc = 0;
  const t0 = now();
  const res = await validateJsonLinesStream(createReadStream(file, { highWaterMark: 64 * 1024 }), { fileKind: 'jsonl', signatures: JSONL_SIG() }, (p) => {
    if (p.bytes < nextGc) return;
    nextGc = p.bytes + 32 * MB;
    gc();
    live = Math.max(live, process.memoryUsage().heapUsed - base.heapUsed);
  });
  const ms = now() - t0;
  console.log(JSON.stringify({ bytes: res.bytes, lines: res.lines, instances: res.instances, ms, maxRssMb: process.resourceUsage().maxRSS / 1024, liveHeapMb: live / MB, findings: res.findings.length }));
}

function child(args: string[]): Record<string, number> {
  const r = spawnSync(process.execPath, [__filename, ...args], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (r.status !== 0) throw new Error(`child ${args.join(' ')} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, number>;
}

function benchStream(file: string): StreamResult {
  const baseline = child(['--child=baseline']);
  const r = child(['--child=stream', `--file=${file}`]);
  return { ...(r as unknown as StreamResult), baselineRssMb: baseline.maxRssMb! };
}

// ---------------------------------------------------------------------------- report

function updateResults(section: string[]): void {
  const path = join(root, 'bench', 'RESULTS.md');
  const begin = '<!-- validate:begin -->';
  const end = '<!-- validate:end -->';
  const block = [begin, ...section, end].join('\n');
  let text = existsSync(path) ? readFileSync(path, 'utf8') : '# Benchmark results\n';
  if (text.includes(begin) && text.includes(end)) {
    text = text.slice(0, text.indexOf(begin)) + block + text.slice(text.indexOf(end) + end.length);
  } else {
    text = `${text.trimEnd()}\n\n## Request validation (bench/validate.ts)\n\n${block}\n`;
  }
  writeFileSync(path, text);
  console.log(`updated ${path}`);
}

async function main(): Promise<void> {
  const args = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=') as [string, string]));
  if (args.child === 'baseline') {
    console.log(JSON.stringify({ maxRssMb: process.resourceUsage().maxRSS / 1024 }));
    return;
  }
  if (args.child === 'stream') return streamChild(args.file!);
  const rounds = Number(args.rounds ?? 31);
  const jsonc = loadJsonc();
  const machine = `${cpus().length} cores (${cpus()[0]?.model ?? '?'}), ${(totalmem() / 1024 ** 3).toFixed(0)} GiB, Node ${process.version}, load average ${loadavg()[0]!.toFixed(1)} at start`;
  console.log(`machine: ${machine}`);
  if (!jsonc) console.log('jsonc-parser is not installed: the parseTree baseline is skipped (npm i -D jsonc-parser).');
  const lines = [
    '| body | bytes | instances | JSON.parse ms | validate ms | validate / JSON.parse | parseTree + check ms | speed-up vs parseTree + check | cold: parse / validate / parseTree ms |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
  ];
  console.log(lines.join('\n'));
  const results: BodyResult[] = [];
  const only = args.bodies ? new Set(args.bodies.split(',')) : undefined;
  for (const b of bodies().filter((x) => !only || only.has(x.name))) {
    const r = benchBody(b, rounds, jsonc);
    results.push(r);
    const ratio = r.validate / r.parse;
    const speed = r.jsonc !== undefined ? `${(r.jsonc / r.validate).toFixed(1)}×` : '—';
    const line = `| ${b.name}: ${b.what} | ${r.bytes.toLocaleString('en-US')} | ${r.instances.toLocaleString('en-US')} | ${r.parse.toFixed(2)} | ${r.validate.toFixed(2)} | ${ratio.toFixed(2)} ${ratio <= 1.2 ? '✓' : '✗'} | ${r.jsonc?.toFixed(1) ?? '—'} | ${speed} ${r.jsonc === undefined ? '' : r.jsonc / r.validate >= 5 ? '✓' : '✗'} | ${r.cold.parse.toFixed(1)} / ${r.cold.validate.toFixed(1)} / ${r.cold.jsonc?.toFixed(1) ?? '—'} |`;
    lines.push(line);
    console.log(line);
  }
  const notes: string[] = [];
  for (const mb of 'no-jsonl' in args ? [] : (args['jsonl-mb'] ?? '50,200').split(',').map(Number)) {
    const file = await ensureJsonl(mb);
    const s = benchStream(file);
    const line = `JSON Lines stream (validateJsonLinesStream over fs.createReadStream, in a child process): ${(s.bytes / MB).toFixed(0)} MB, ${s.lines.toLocaleString('en-US')} lines (${s.instances.toLocaleString('en-US')} instances with a unique "key", ${s.findings} findings) in ${(s.ms / 1000).toFixed(1)} s = ${(s.bytes / MB / (s.ms / 1000)).toFixed(0)} MB/s. Peak RSS of the process ${s.maxRssMb.toFixed(0)} MB, against ${s.baselineRssMb.toFixed(0)} MB for a process that only loads the code; live JS heap growth after forced GCs at most ${s.liveHeapMb.toFixed(1)} MB. What remains is 64 KiB read chunks, garbage V8 has not collected yet, and the instance-key table (12 bytes a slot, at most 2^21 slots = 24 MiB, then key checking stops).`;
    console.log(line);
    notes.push(line);
  }
  const section = [
    ...lines,
    '',
    ...notes,
    '',
    `Run ${new Date().toISOString().slice(0, 10)} on ${machine}. Bodies are generated (deterministic seed), ~1.5 MB each, and valid against their signature (no error findings). Each timing is the median of ${rounds} rounds after 15 warm-up calls, JSON.parse and validate alternating; parseTree + check is timed after them (${Math.max(5, Math.ceil(rounds / 3))} calls) so its large trees are not collected inside the others' timings; "cold" is the first call in the process. validate = validateRequest with the signature and the body's target (Vertex AI; TF Serving for columnar), findings with line/column. parseTree + check = jsonc-parser ${jsonc ? 'parseTree' : '(not installed)'} and the same checks (aliases, dtypes, int ranges, rectangular shapes vs signature, base64 alphabet) walked over its tree.`,
  ];
  if ('write' in args) updateResults(section);
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(join(dataDir, 'validate-results.md'), section.join('\n'));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
