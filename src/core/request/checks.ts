/**
 * Checks of the summarised values (`Slot`s) against a signature input: dtype, integer ranges,
 * base64, and shape judged the way serving behaves. Also the helpers messages and fixes share:
 * shape text, "did you mean", example values for a missing alias.
 *
 * TF Serving's JSON → tensor conversion (tensorflow_serving/util/json_tensor.cc) is the reference:
 * DT_FLOAT/DT_DOUBLE take any number but refuse integers they cannot hold exactly; the int dtypes
 * take only integer literals (1.0 is refused); DT_BOOL only true/false; DT_STRING strings or
 * {"b64"} objects, decoded with absl::Base64Unescape. It does not enforce the signature's shape:
 * a tensor that differs from it only in dimensions of size 1 reaches the model and works.
 */
import type { TensorSpec } from '../model/types';
import { generateRequest } from './generate';
import {
  B64Problem,
  b64Problem,
  excerpt,
  type FindingSink,
  K_B64,
  K_BOOL,
  K_FRAC,
  K_INT,
  K_NONFINITE,
  K_OBJECT,
  K_STRING,
  kindName,
  type Slot,
  stringAt,
} from './scan';
import type { RequestFix, TargetKind, TextEdit } from './types';

export type DTypeClass = 'float' | 'double' | 'int' | 'bool' | 'string' | 'unknown' | 'unsupported';

const INT_RANGES: Record<string, readonly [bigint, bigint]> = {
  DT_INT8: [-128n, 127n],
  DT_UINT8: [0n, 255n],
  DT_INT16: [-32768n, 32767n],
  DT_UINT16: [0n, 65535n],
  DT_INT32: [-2147483648n, 2147483647n],
  DT_UINT32: [0n, 4294967295n],
  DT_INT64: [-9223372036854775808n, 9223372036854775807n],
  DT_UINT64: [0n, 18446744073709551615n],
};

export function baseDtype(dtype: string): string {
  return dtype.endsWith('_REF') ? dtype.slice(0, -4) : dtype;
}

export function dtypeClass(dtype: string): DTypeClass {
  const d = baseDtype(dtype);
  if (d === 'DT_FLOAT') return 'float';
  if (d === 'DT_DOUBLE') return 'double';
  if (d in INT_RANGES) return 'int';
  if (d === 'DT_BOOL') return 'bool';
  if (d === 'DT_STRING') return 'string';
  if (d === 'DT_INVALID' || d === '') return 'unknown';
  return 'unsupported';
}

export function isBinaryAlias(alias: string): boolean {
  return alias.endsWith('_bytes');
}

export function shapeText(shape: TensorSpec['shape']): string {
  if (shape === null) return 'unknown rank';
  return `[${shape.join(', ')}]`;
}

export function dimsText(dims: readonly number[]): string {
  return `[${dims.join(', ')}]`;
}

export function inputText(spec: TensorSpec): string {
  return `"${spec.alias}" (${spec.dtype}, shape ${shapeText(spec.shape)})`;
}

export function targetName(t: TargetKind | undefined): string {
  switch (t) {
    case 'vertex':
      return 'Vertex AI';
    case 'ai-platform':
      return 'AI Platform Prediction';
    case 'tf-serving':
      return 'TF Serving';
    case 'local':
      return 'the local runner';
    default:
      return 'the target';
  }
}

// ---------------------------------------------------------------------------- did you mean

export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  const m = a.length;
  const n = b.length;
  if (m === 0) return n;
  if (n === 0) return m;
  let prev = new Array<number>(n + 1);
  let cur = new Array<number>(n + 1);
  for (let j = 0; j <= n; j++) prev[j] = j;
  for (let i = 1; i <= m; i++) {
    cur[0] = i;
    const ca = a.charCodeAt(i - 1);
    for (let j = 1; j <= n; j++) {
      const cost = ca === b.charCodeAt(j - 1) ? 0 : 1;
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
    }
    [prev, cur] = [cur, prev];
  }
  return prev[n]!;
}

/**
 * The candidate closest to `name` when it is close enough to be a typo (case differences count
 * little). `prefer` are tried first (the aliases an instance lacks): with exactly one of them,
 * it is the answer however far it is.
 */
export function closest(name: string, candidates: readonly string[], prefer: readonly string[] = []): string | undefined {
  if (prefer.length === 1) return prefer[0];
  const score = (c: string) => (c.toLowerCase() === name.toLowerCase() ? 0.5 : editDistance(name.toLowerCase(), c.toLowerCase()));
  let best: string | undefined;
  let bestScore = Infinity;
  for (const c of [...prefer, ...candidates]) {
    const s = score(c);
    if (s < bestScore) {
      best = c;
      bestScore = s;
    }
  }
  if (best === undefined) return undefined;
  const limit = Math.max(2, Math.floor(Math.max(name.length, best.length) / 3));
  return bestScore <= limit ? best : undefined;
}

// ---------------------------------------------------------------------------- shapes

export type ShapeVerdict = 'ok' | 'size-one' | 'rank' | 'mismatch';

/**
 * Compares a given tensor shape with a declared one (-1 = any) the way serving behaves: equal →
 * ok; equal once dimensions of size 1 are ignored (a -1 may stand for a 1) → size-one; otherwise
 * mismatch when a known dimension other than 1 cannot be matched, else a rank difference.
 */
export function compareShape(given: readonly number[], expected: readonly number[]): ShapeVerdict {
  if (given.length === expected.length) {
    let soft = false;
    for (let i = 0; i < given.length; i++) {
      const e = expected[i]!;
      if (e < 0 || e === given[i]) continue;
      if (e === 1) soft = true;
      else return 'mismatch';
    }
    if (!soft) return 'ok';
    return 'size-one';
  }
  const g = given.filter((d) => d !== 1);
  const x = expected.filter((d) => d !== 1);
  // dp[j]: g[0..i) matches x[0..j); a -1 matches one dimension or stands for a 1.
  let dp = new Array<boolean>(x.length + 1).fill(false);
  dp[0] = true;
  for (let j = 0; j < x.length; j++) dp[j + 1] = dp[j]! && x[j]! < 0;
  for (let i = 0; i < g.length; i++) {
    const nx = new Array<boolean>(x.length + 1).fill(false);
    for (let j = 0; j < x.length; j++) {
      const e = x[j]!;
      if (dp[j] && (e < 0 || e === g[i])) nx[j + 1] = true;
      if (nx[j] && e < 0) nx[j + 1] = true;
    }
    dp = nx;
  }
  if (dp[x.length]) return 'size-one';
  return x.some((d) => d >= 0) ? 'mismatch' : 'rank';
}

// ---------------------------------------------------------------------------- fixes

export function replaceFix(title: string, start: number, end: number, newText: string, preferred = false): RequestFix {
  const fix: RequestFix = { title, edits: [{ start, end, newText }] };
  if (preferred) fix.preferred = true;
  return fix;
}

/** JSON text of an example value for one input (row: one instance; columnar: `batch` of them). */
export function exampleValueText(spec: TensorSpec, format: 'row' | 'columnar', batch = 1): string | undefined {
  try {
    const body = generateRequest({ name: '', method: '', inputs: [spec], outputs: [] }, { format, instances: Math.max(1, Math.min(batch, 1000)) }) as {
      instances?: unknown[];
      inputs?: unknown;
    };
    const v = format === 'row' ? body.instances?.[0] : body.inputs;
    if (v === undefined) return undefined;
    const text = JSON.stringify(v);
    return text.length <= 2000 ? text : undefined;
  } catch {
    return undefined;
  }
}

/** Fixes for a plain string given to a binary input: wrap it (when it is base64) or encode it. */
export function b64Fixes(src: string, start: number, end: number): { fixes: RequestFix[]; valid: boolean } {
  // Judged stricter than the decoder (which skips whitespace): text with spaces is not base64 yet.
  const valid = b64ProblemOfLiteral(src, start, end) === B64Problem.ok && end - start > 2 && !/\s|\\[nrt]/.test(src.slice(start + 1, end - 1));
  const fixes: RequestFix[] = [];
  if (valid) fixes.push(replaceFix('Wrap as {"b64": ...} (the string is already base64)', start, end, `{"b64": ${src.slice(start, end)}}`, true));
  const text = stringAt(src, start, end);
  if (text.length <= 1 << 20) {
    fixes.push(replaceFix('Encode the text as base64 and wrap it as {"b64": ...}', start, end, `{"b64": "${Buffer.from(text, 'utf8').toString('base64')}"}`, !valid));
  }
  return { fixes, valid };
}

function b64ProblemOfLiteral(src: string, start: number, end: number): B64Problem {
  return b64Problem(src, start + 1, end - 1);
}

// ---------------------------------------------------------------------------- value checks

export interface CheckEnv {
  src: string;
  sink: FindingSink;
  target: TargetKind | undefined;
  /** Where a value sits, for messages: "instance 3" / "line 12" / "inputs". */
  where: (start: number) => string;
}

function countTail(n: number, what: string): string {
  return n > 1 ? ` (${n} ${what} in all)` : '';
}

function intLiteralValue(src: string, start: number, end: number): bigint | undefined {
  try {
    return BigInt(src.slice(start, end));
  } catch {
    return undefined;
  }
}

/** Checks the values summarised in `slot` against the input's dtype. */
export function checkValues(env: CheckEnv, slot: Slot, spec: TensorSpec): void {
  const { src, sink } = env;
  const cls = dtypeClass(spec.dtype);
  const alias = spec.alias;
  const k = slot.kinds;
  // Built only when a finding needs it (JSON Lines run this per line).
  let inputCache: string | undefined;
  const input = (): string => (inputCache ??= inputText(spec));
  const found = (bit: number) => {
    const r = slot.firstOf(bit)!;
    return { r, text: excerpt(src, r.start, r.end, 30) };
  };
  const mismatch = (bits: number, expected: string) => {
    for (const bit of [K_STRING, K_B64, K_INT, K_FRAC, K_NONFINITE, K_BOOL, K_OBJECT]) {
      if (!(bits & bit) || !(k & bit)) continue;
      if (bit === K_OBJECT) continue; // reported as embedded-object by the scanner
      const { r, text } = found(bit);
      if (bit === K_B64) {
        sink.add('b64-non-string', 'error', `Input ${input()} takes ${expected}; {"b64": ...} is only for DT_STRING inputs${countTail(slot.countOf(bit), 'such values')}.`, r.start, r.end);
        continue;
      }
      const fixes: RequestFix[] = [];
      if (bit === K_STRING && (cls === 'float' || cls === 'double' || cls === 'int')) {
        const s = stringAt(src, r.start, r.end).trim();
        if (s !== '' && Number.isFinite(Number(s)) && (cls !== 'int' || /^-?\d+$/.test(s))) fixes.push(replaceFix(`Write ${s} as a number`, r.start, r.end, s, true));
      }
      sink.add('dtype-mismatch', 'error', `Input ${input()} takes ${expected}; found ${kindName(bit)} ${text}${countTail(slot.countOf(bit), `${kindName(bit).replace(/^an? /, '')} values`)} at ${env.where(r.start)}.`, r.start, r.end, fixes);
    }
  };
  switch (cls) {
    case 'float':
    case 'double': {
      mismatch(K_STRING | K_B64 | K_BOOL, 'numbers');
      const limit = cls === 'float' ? 16777215 : 9007199254740991;
      const far = Math.abs(slot.intMax) >= Math.abs(slot.intMin) ? ([slot.intMax, slot.intMaxStart, slot.intMaxEnd] as const) : ([slot.intMin, slot.intMinStart, slot.intMinEnd] as const);
      if (far[1] >= 0 && Math.abs(far[0]) > limit) {
        const lit = src.slice(far[1], far[2]);
        sink.add('lossy-number', 'error', `Input ${input()}: TF Serving refuses ${lit} because ${cls === 'float' ? 'float32 holds integers exactly only up to 16777215' : 'float64 holds integers exactly only up to 2^53 - 1'} ("Cannot convert JSON value ... without loss of precision"). Write it as a decimal (${lit}.0) if the rounding is acceptable.`, far[1], far[2], [
          replaceFix(`Write ${lit}.0`, far[1], far[2], `${lit}.0`),
        ]);
      }
      if (slot.bigFracStart >= 0 && (cls === 'float' || slot.bigFracDouble)) {
        sink.add('lossy-number', 'error', `Input ${input()}: ${src.slice(slot.bigFracStart, slot.bigFracEnd)} is beyond the range of ${cls === 'float' ? 'float32' : 'float64'}; TF Serving refuses it.`, slot.bigFracStart, slot.bigFracEnd);
      }
      break;
    }
    case 'int': {
      const d = baseDtype(spec.dtype);
      mismatch(K_STRING | K_B64 | K_BOOL | K_NONFINITE, `integers (${d})`);
      if (k & K_FRAC) {
        const { r, text } = found(K_FRAC);
        const v = Number(src.slice(r.start, r.end));
        const fixes = Number.isSafeInteger(v) ? [replaceFix(`Write ${v}`, r.start, r.end, String(v), true)] : [];
        sink.add('not-an-integer', 'error', `Input ${input()} takes integers written without a decimal point or exponent (TF Serving refuses ${text} for ${d})${countTail(slot.countOf(K_FRAC), 'decimal values')}.`, r.start, r.end, fixes);
      }
      const [lo, hi] = INT_RANGES[d]!;
      const ends: [number, number, number][] = [[slot.intMin, slot.intMinStart, slot.intMinEnd]];
      if (slot.intMaxStart !== slot.intMinStart) ends.push([slot.intMax, slot.intMaxStart, slot.intMaxEnd]);
      for (const [approx, s, e] of ends) {
        if (s < 0) continue;
        const v = Math.abs(approx) < 9007199254740991 ? BigInt(approx) : intLiteralValue(src, s, e);
        if (v !== undefined && (v < lo || v > hi)) {
          sink.add('int-out-of-range', 'error', `Input ${input()} takes ${d} values from ${lo} to ${hi}; ${src.slice(s, e)} is out of range.`, s, e);
        }
      }
      break;
    }
    case 'bool':
      mismatch(K_STRING | K_B64 | K_INT | K_FRAC | K_NONFINITE, 'true or false');
      break;
    case 'string': {
      mismatch(K_INT | K_FRAC | K_NONFINITE | K_BOOL, `strings${isBinaryAlias(alias) ? ' as {"b64": "<base64>"}' : ' (or {"b64": "<base64>"} for binary data)'}`);
      if (isBinaryAlias(alias) && k & K_STRING) {
        const list = slot.strings;
        for (let i = 0; i < list.length; i += 2) {
          if (!sink.wants('b64-expected')) {
            sink.skip('b64-expected', slot.countOf(K_STRING) - i / 2);
            break;
          }
          const s = list[i]!;
          const e = list[i + 1]!;
          const { fixes, valid } = b64Fixes(src, s, e);
          sink.add('b64-expected', 'warning', `Input "${alias}" is binary (its alias ends in _bytes): send the bytes base64-encoded as {"b64": "..."}, not as a plain string${valid ? '' : ' (this string is not valid base64, so it would have to be encoded)'}.`, s, e, fixes);
        }
      }
      if (!isBinaryAlias(alias) && k & K_B64) {
        const { r } = found(K_B64);
        sink.add('binary-alias-suffix', 'info', `Input "${alias}" receives binary data but its alias does not end in _bytes. TF Serving decodes {"b64"} for any DT_STRING input; Google's prediction docs ask binary input and output aliases to end in _bytes (outputs are then returned base64-encoded).`, r.start, r.end);
      }
      break;
    }
    case 'unsupported':
      if (slot.values > 0) {
        sink.add('dtype-unsupported', 'warning', `Input ${input()}: TF Serving's JSON API converts only DT_FLOAT, DT_DOUBLE, DT_INT*, DT_UINT*, DT_BOOL and DT_STRING; ${baseDtype(spec.dtype)} may be refused. Cast the input in the model, or send it through gRPC.`, slot.valueStart, slot.valueEnd);
      }
      break;
    case 'unknown':
      break;
  }
}

/** Reports the invalid base64 strings recorded in `slot` (whatever the dtype). */
export function checkB64(env: CheckEnv, slot: Slot, aliasLabel: string): void {
  const { sink } = env;
  const bad = slot.b64Bad;
  for (let i = 0; i < bad.length; i += 3) {
    if (!sink.wants('b64-invalid')) {
      sink.skip('b64-invalid', (bad.length - i) / 3);
      break;
    }
    reportB64(env, bad[i]!, bad[i + 1]!, bad[i + 2]! as B64Problem, aliasLabel);
  }
}

export function reportB64(env: CheckEnv, s: number, e: number, problem: B64Problem, aliasLabel: string): void {
  const { src, sink } = env;
  const why =
    problem === B64Problem.urlSafe
      ? 'it uses the URL-safe alphabet ("-" and "_"); TF Serving decodes standard base64 only ("+" and "/"), a frequent cause of "Unable to base64 decode"'
      : problem === B64Problem.badChar
        ? 'it holds characters outside the base64 alphabet'
        : problem === B64Problem.badLength
          ? 'its length is impossible for base64 (one character too many or too few)'
          : 'its "=" padding is wrong or not at the end';
  const fixes: RequestFix[] = [];
  if (problem === B64Problem.urlSafe) {
    fixes.push(replaceFix('Convert to the standard base64 alphabet', s, e, src.slice(s, e).replace(/-/g, '+').replace(/_/g, '/'), true));
  }
  const text = stringAt(src, s, e);
  if (text.length <= 1 << 20) {
    fixes.push(replaceFix('Encode this text as base64', s, e, `"${Buffer.from(text, 'utf8').toString('base64')}"`));
  }
  sink.add('b64-invalid', 'error', `The {"b64"} value${aliasLabel} is not valid standard base64: ${why}.`, s, e, fixes);
}

// ---------------------------------------------------------------------------- shape checks

export interface ShapeContext {
  mode: 'row' | 'columnar';
  /** Row: how many instances (batch); undefined for JSON Lines (each line is batched by the service). */
  instances?: number;
}

/** Checks the shape recorded in `slot` (row: per instance; columnar: the whole tensor) against the signature. */
export function checkShape(env: CheckEnv, slot: Slot, spec: TensorSpec, ctx: ShapeContext): void {
  const S = spec.shape;
  const given = slot.ref;
  if (S === null || given === undefined || slot.refRagged) return;
  const { sink } = env;
  const s = slot.refStart;
  const e = slot.refEnd;
  const where = env.where(s);
  const input = inputText(spec);
  if (ctx.mode === 'row') {
    if (S.length === 0) {
      if (given.length === 0) {
        if ((ctx.instances ?? 1) > 1 || ctx.instances === undefined) {
          sink.add('shape-batched-scalar', 'info', `Input ${input} is declared as a scalar; the instances are batched into a tensor of shape [${ctx.instances ?? 'N'}], which serving accepts for this model in practice.`, s, e);
        }
        return;
      }
      sink.add('shape-rank', 'warning', `Input ${input} is declared as a scalar, but each instance at ${where} has shape ${dimsText(given)}; serving may fail on it.`, s, e);
      return;
    }
    const per = S.slice(1);
    const v = compareShape(given, per);
    const perText = `${dimsText(per)} per instance (signature shape ${shapeText(S)}; the first dimension is the batch)`;
    if (v === 'mismatch') {
      sink.add('shape-mismatch', 'error', `Input ${input} expects ${perText}; the value at ${where} has shape ${dimsText(given)}.`, s, e);
    } else if (v === 'rank') {
      sink.add('shape-rank', 'warning', `Input ${input} expects ${perText}; the value at ${where} has shape ${dimsText(given)} (a different rank, which serving may refuse).`, s, e);
    } else if (v === 'size-one') {
      sink.add('shape-size-one', 'info', `Input ${input} expects ${perText}; the instances have shape ${dimsText(given)}, which differs only in dimensions of size 1 — TF Serving does not enforce the declared shape and this works in practice.`, s, e);
    }
    const b = S[0]!;
    if (ctx.instances !== undefined && b >= 0 && b !== ctx.instances) {
      if (b > 1) {
        sink.add('batch-size', 'error', `Input ${input} has a fixed batch dimension of ${b}, but the body has ${ctx.instances} instance(s).`, s, e);
      } else if (b === 1 && v === 'ok') {
        sink.add('shape-size-one', 'info', `Input ${input} declares a batch of 1; the ${ctx.instances} instances are sent as one batch of ${ctx.instances}, which serving accepts when the model works element-wise.`, s, e);
      }
    }
    return;
  }
  if (S.length === 0 && given.length === 1) {
    sink.add('shape-batched-scalar', 'info', `Input ${input} is declared as a scalar; a list of ${given[0]} scalars is accepted by serving for this model in practice.`, s, e);
    return;
  }
  const v = compareShape(given, S);
  if (v === 'mismatch') {
    sink.add('shape-mismatch', 'error', `Input ${input} expects shape ${shapeText(S)}; the value has shape ${dimsText(given)}.`, s, e);
  } else if (v === 'rank') {
    sink.add('shape-rank', 'warning', `Input ${input} expects shape ${shapeText(S)}; the value has shape ${dimsText(given)} (a different rank, which serving may refuse).`, s, e);
  } else if (v === 'size-one') {
    sink.add('shape-size-one', 'info', `Input ${input} expects shape ${shapeText(S)}; the value has shape ${dimsText(given)}, which differs only in dimensions of size 1 — TF Serving accepts it.`, s, e);
  }
}

export function insertEdit(at: number, text: string): TextEdit {
  return { start: at, end: at, newText: text };
}
