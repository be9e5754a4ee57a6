/**
 * How the results view shows one Predict / Explain answer, as plain data: a table with one row per
 * instance and a column per output, the classification outputs as top-k labels, long tensors folded
 * with their shape, binary outputs as `{"b64"}` summaries, and an ExplainResponse's attributions as
 * bars per instance. Pure: no I/O, no `vscode`, no DOM — the webview imports it.
 *
 * The answers it reads:
 *   Vertex AI / AI Platform / TF Serving row   {"predictions": [v, ...]}  (v a value or list for one
 *                                              output, or an object alias → value for several)
 *   TF Serving columnar                        {"outputs": v | {alias: [per instance...]}}
 *   TF Serving classify / regress              {"result": [[[label, score], ...], ...]} / {"result": [v, ...]}
 *                                              (`results` too, as the local runner writes it)
 *   Vertex AI ExplainResponse                  {"explanations": [{"attributions": [...]}], "predictions": [...]}
 *   errors                                     {"error": "..."} / {"error": {"code", "message", "status"}}
 *
 * Numbers are shown exactly as the body writes them (`3.0` stays `3.0`, an int64 beyond 2^53 keeps
 * its digits): the body is read with a small JSON reader that keeps each number's text. TF Serving's
 * `NaN` / `Infinity` tokens are read too. A body that is not JSON never throws: `parseError` says
 * why and the view shows the text as it is.
 */
import type { Signature, TensorSpec } from '../model/types';
import { serverText } from './serverText';

// ---------------------------------------------------------------------------------------------
// Reading JSON with exact number texts

/** A JSON number with the text the body wrote it as. */
export class JsonNumber {
  constructor(
    readonly text: string,
    readonly value: number,
  ) {}
}

export type JsonValue = null | boolean | string | JsonNumber | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

/** Deeper nesting than this is refused (no response of a model nests this deep). */
const MAX_JSON_DEPTH = 256;

export type ParseResult = { ok: true; value: JsonValue } | { ok: false; error: string; offset: number };

class JsonSyntaxError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

const NUMBER_RE = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const NON_FINITE: Record<string, number> = { NaN: NaN, Infinity: Infinity };
const LITERALS: Record<string, boolean | null> = { true: true, false: false, null: null };
const LITERAL_RE = /^(?:true|false|null|NaN|Infinity)/;

function newObject(): JsonObject {
  // No prototype: a key named "__proto__" is an ordinary key.
  return Object.create(null) as JsonObject;
}

class Reader {
  pos = 0;
  constructor(private readonly s: string) {}

  fail(what: string): never {
    throw new JsonSyntaxError(`${what} at offset ${this.pos}`, this.pos);
  }

  ws(): void {
    const s = this.s;
    let p = this.pos;
    for (;;) {
      const c = s.charCodeAt(p);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) p++;
      else break;
    }
    this.pos = p;
  }

  value(depth: number): JsonValue {
    if (depth > MAX_JSON_DEPTH) this.fail(`nesting deeper than ${MAX_JSON_DEPTH}`);
    this.ws();
    const s = this.s;
    const c = s[this.pos];
    if (c === '{') return this.object(depth);
    if (c === '[') return this.array(depth);
    if (c === '"') return this.string();
    if (c === undefined || (c !== '-' && (c < '0' || c > '9'))) {
      const word = LITERAL_RE.exec(s.slice(this.pos, this.pos + 9))?.[0];
      if (word === undefined) this.fail(c === undefined ? 'unexpected end of text' : `unexpected ${JSON.stringify(c)}`);
      this.pos += word.length;
      return word in NON_FINITE ? new JsonNumber(word, NON_FINITE[word]!) : (LITERALS[word] as boolean | null);
    }
    if (s.startsWith('-Infinity', this.pos)) {
      this.pos += 9;
      return new JsonNumber('-Infinity', -Infinity);
    }
    NUMBER_RE.lastIndex = this.pos;
    const m = NUMBER_RE.exec(s);
    if (!m) this.fail(c === undefined ? 'unexpected end of text' : `unexpected ${JSON.stringify(c)}`);
    this.pos += m[0].length;
    return new JsonNumber(m[0], Number(m[0]));
  }

  string(): string {
    const s = this.s;
    const start = this.pos;
    let p = start + 1;
    let escaped = false;
    for (;;) {
      const c = s.charCodeAt(p);
      if (Number.isNaN(c)) this.fail('unterminated string');
      if (c === 0x22) break;
      if (c < 0x20) {
        this.pos = p;
        this.fail('control character in a string');
      }
      if (c === 0x5c) {
        escaped = true;
        p += 2;
      } else {
        p++;
      }
    }
    this.pos = p + 1;
    if (!escaped) return s.slice(start + 1, p);
    try {
      return JSON.parse(s.slice(start, p + 1)) as string;
    } catch {
      this.pos = start;
      return this.fail('bad escape in a string');
    }
  }

  array(depth: number): JsonValue[] {
    this.pos++;
    const out: JsonValue[] = [];
    this.ws();
    if (this.s[this.pos] === ']') {
      this.pos++;
      return out;
    }
    for (;;) {
      out.push(this.value(depth + 1));
      this.ws();
      const c = this.s[this.pos++];
      if (c === ']') return out;
      if (c !== ',') {
        this.pos--;
        this.fail("expected ',' or ']'");
      }
    }
  }

  object(depth: number): JsonObject {
    this.pos++;
    const out = newObject();
    this.ws();
    if (this.s[this.pos] === '}') {
      this.pos++;
      return out;
    }
    for (;;) {
      this.ws();
      if (this.s[this.pos] !== '"') this.fail('expected a property name');
      const key = this.string();
      this.ws();
      if (this.s[this.pos++] !== ':') {
        this.pos--;
        this.fail("expected ':'");
      }
      out[key] = this.value(depth + 1);
      this.ws();
      const c = this.s[this.pos++];
      if (c === '}') return out;
      if (c !== ',') {
        this.pos--;
        this.fail("expected ',' or '}'");
      }
    }
  }
}

/** Reads JSON text keeping every number's exact text (never throws). */
export function parseJson(text: string): ParseResult {
  const r = new Reader(text);
  try {
    const value = r.value(0);
    r.ws();
    if (r.pos < text.length) r.fail('unexpected text after the JSON value');
    return { ok: true, value };
  } catch (err) {
    if (err instanceof JsonSyntaxError) return { ok: false, error: err.message, offset: err.offset };
    // A stack overflow on pathological input is a parse failure too.
    return { ok: false, error: err instanceof Error ? err.message : String(err), offset: r.pos };
  }
}

/** An already parsed body (plain JS values) in the same form; numbers get their shortest text. */
function fromPlain(v: unknown, depth = 0): JsonValue {
  if (depth > MAX_JSON_DEPTH) return null;
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return v;
  if (typeof v === 'number') return new JsonNumber(String(v), v);
  if (typeof v === 'bigint') return new JsonNumber(v.toString(), Number(v));
  if (Array.isArray(v)) return v.map((x) => fromPlain(x, depth + 1));
  if (typeof v === 'object') {
    const out = newObject();
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) if (x !== undefined) out[k] = fromPlain(x, depth + 1);
    return out;
  }
  return null;
}

const isObj = (v: JsonValue | undefined): v is JsonObject =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof JsonNumber);
const isNum = (v: JsonValue | undefined): v is JsonNumber => v instanceof JsonNumber;
const isB64 = (v: JsonValue | undefined): v is { b64: string } => {
  if (!isObj(v)) return false;
  const keys = Object.keys(v);
  return keys.length === 1 && keys[0] === 'b64' && typeof v.b64 === 'string';
};

/** Compact JSON with exact numbers, cut at `budget` characters. */
function compact(v: JsonValue, budget: number): { text: string; truncated: boolean } {
  const parts: string[] = [];
  let used = 0;
  let truncated = false;
  const put = (s: string): boolean => {
    if (used + s.length > budget) {
      parts.push(s.slice(0, Math.max(0, budget - used)));
      truncated = true;
      return false;
    }
    parts.push(s);
    used += s.length;
    return true;
  };
  const walk = (x: JsonValue): boolean => {
    if (isNum(x)) return put(x.text);
    if (x === null || typeof x !== 'object') return put(JSON.stringify(x));
    if (Array.isArray(x)) {
      if (!put('[')) return false;
      for (let i = 0; i < x.length; i++) if ((i > 0 && !put(', ')) || !walk(x[i]!)) return false;
      return put(']');
    }
    if (!put('{')) return false;
    let first = true;
    for (const [k, y] of Object.entries(x)) {
      if ((!first && !put(', ')) || !put(`${JSON.stringify(k)}: `) || !walk(y)) return false;
      first = false;
    }
    return put('}');
  };
  walk(v);
  return { text: truncated ? `${parts.join('')}…` : parts.join(''), truncated };
}

// ---------------------------------------------------------------------------------------------
// Pretty-printing the raw body

/** Bodies above this many characters are shown as sent only (no formatted view). */
export const MAX_PRETTY_CHARS = 4 * 1024 * 1024;
const PRETTY_WIDTH = 100;

/**
 * The body indented for reading: numbers (and string values) exactly as sent, lists of plain values
 * packed onto lines of about 100 characters. Undefined when the text is not JSON or too long.
 */
export function prettyJson(text: string, maxChars = MAX_PRETTY_CHARS): string | undefined {
  if (text.length > maxChars) return undefined;
  const parsed = parseJson(text);
  return parsed.ok ? prettyValue(parsed.value) : undefined;
}

/** prettyJson of a body already read (presentResponse's `value`): the view reads each body once. */
export function prettyValue(value: JsonValue): string {
  const out: string[] = [];
  const scalar = (x: JsonValue): string => (isNum(x) ? x.text : JSON.stringify(x));
  const isPlain = (x: JsonValue) => x === null || typeof x !== 'object' || isNum(x);
  const walk = (x: JsonValue, indent: string): void => {
    if (isPlain(x)) {
      out.push(scalar(x));
      return;
    }
    const inner = `${indent}  `;
    if (Array.isArray(x)) {
      if (x.length === 0) {
        out.push('[]');
        return;
      }
      if (x.every(isPlain)) {
        const items = x.map(scalar);
        const oneLine = `[${items.join(', ')}]`;
        if (oneLine.length + indent.length <= PRETTY_WIDTH) {
          out.push(oneLine);
          return;
        }
        const lines: string[] = [];
        let line = '';
        for (const it of items) {
          if (line && inner.length + line.length + it.length + 2 > PRETTY_WIDTH) {
            lines.push(line);
            line = '';
          }
          line += line ? ` ${it},` : `${it},`;
        }
        lines.push(line);
        const last = lines.length - 1;
        lines[last] = lines[last]!.slice(0, -1);
        out.push(`[\n${lines.map((l) => inner + l).join('\n')}\n${indent}]`);
        return;
      }
      out.push('[\n');
      x.forEach((y, i) => {
        out.push(inner);
        walk(y, inner);
        out.push(i < x.length - 1 ? ',\n' : '\n');
      });
      out.push(`${indent}]`);
      return;
    }
    const entries = Object.entries(x);
    if (entries.length === 0) {
      out.push('{}');
      return;
    }
    out.push('{\n');
    entries.forEach(([k, y], i) => {
      out.push(`${inner}${JSON.stringify(k)}: `);
      walk(y, inner);
      out.push(i < entries.length - 1 ? ',\n' : '\n');
    });
    out.push(`${indent}}`);
  };
  walk(value, '');
  return out.join('');
}

// ---------------------------------------------------------------------------------------------
// The table

export type TableFormat =
  /** `{"predictions": [...]}`: Vertex AI, AI Platform, TF Serving row format. */
  | 'predictions'
  /** `{"outputs": ...}`: TF Serving columnar format. */
  | 'columnar'
  /** `{"result": [[[label, score], ...], ...]}`: TF Serving classify. */
  | 'classify'
  /** `{"result": [v, ...]}`: TF Serving regress. */
  | 'regress'
  /** `{"explanations": [...]}`: Vertex AI ExplainResponse. */
  | 'explain'
  /** `{"error": ...}` */
  | 'error'
  /** JSON, but none of the above. */
  | 'unrecognized'
  /** Not JSON (or empty). */
  | 'text';

export type CellKind = 'scalar' | 'list' | 'folded' | 'topk' | 'b64' | 'text';

interface CellBase {
  kind: CellKind;
  /** One line: what the cell shows before anything is expanded. */
  text: string;
}
/** A number, string, boolean or null. */
export interface ScalarCell extends CellBase {
  kind: 'scalar';
}
/** A short tensor shown whole. */
export interface ListCell extends CellBase {
  kind: 'list';
  shape: number[];
}
/** A long tensor: its shape, dtype and first values; `values` (bounded) behind an expander. */
export interface FoldedCell extends CellBase {
  kind: 'folded';
  /** Per instance (no batch dimension); null when the nesting is ragged. */
  shape: number[] | null;
  dtype: string;
  count: number;
  head: string[];
  /** The first values in order (at most MAX_EXPANDED_VALUES). */
  values: string[];
}
export interface TopKItem {
  label: string;
  score: number;
  /** The score as the body wrote it. */
  scoreText: string;
}
/** The k highest scores of a classification output, with their labels. */
export interface TopKCell extends CellBase {
  kind: 'topk';
  items: TopKItem[];
  /** How many classes were ranked. */
  of: number;
}
/** `{"b64": "..."}`: its decoded size, and the data when it is a small image the view can draw. */
export interface B64Cell extends CellBase {
  kind: 'b64';
  bytes: number;
  mime?: string;
  data?: string;
}
/** Anything else (an object, a missing value): compact JSON, bounded. */
export interface TextCell extends CellBase {
  kind: 'text';
}
export type Cell = ScalarCell | ListCell | FoldedCell | TopKCell | B64Cell | TextCell;

export interface Column {
  name: string;
  /** From the signature, when it names this output. */
  dtype?: string;
  shape?: string;
  /** Some row shows this output as top-k labels. */
  classification?: boolean;
}

/** Which deployed model answered (Vertex AI puts these beside the predictions). */
export interface ServedBy {
  deployedModelId?: string;
  model?: string;
  modelVersionId?: string;
  modelDisplayName?: string;
}

export interface ResultsTable {
  format: TableFormat;
  columns: Column[];
  /** One row per instance; `rows[i][j]` is column j of instance i. */
  rows: Cell[][];
  /** The request's instance each row answers (compact, bounded), when the request was given. */
  inputs?: string[];
  served: ServedBy;
  /** The service's message, for `{"error": ...}` bodies. */
  error?: string;
  /** Why the body is shown as text only. */
  parseError?: string;
  /** The body as read (numbers keep their text), when it is JSON: for the Raw tab's formatted view. */
  value?: JsonValue;
  /** Things worth saying about the answer (counts that differ, outputs without a batch dimension). */
  notes: string[];
  /** Attribution charts, for an ExplainResponse. */
  explanations: AttributionChart[];
}

export interface PresentOptions {
  signature?: Signature;
  /** The request body as sent, to show each row's instance. */
  request?: string;
  /** How many labels a classification cell shows (default 5). */
  topK?: number;
  /** The most bars a chart draws (default 30). */
  maxBars?: number;
}

/** Tensors with more values than this, or a longer compact text, are folded. */
const FOLD_VALUES = 16;
const FOLD_CHARS = 120;
const HEAD_VALUES = 6;
const MAX_EXPANDED_VALUES = 1000;
/** The most rows the predictions table shows (the rest are counted in a note). */
export const MAX_ROWS = 1000;
const MAX_CELL_CHARS = 2000;
/** `{"b64"}` images up to this many characters of base64 are drawn. */
const MAX_IMAGE_B64 = 1_500_000;
const MAX_INPUT_CHARS = 80;

const SCORE_RE = /(?:^|_)(?:scores?|probabilities|probs?|confidences?)$/i;
const LABEL_RE = /(?:^|_)(?:classes|class_ids|class_names|class_labels|labels|display_?names|all_classes)$/i;

/** What the name says: a classification score output / the labels that go with it. */
function isScoreName(name: string): boolean {
  return SCORE_RE.test(name);
}
function isLabelName(name: string): boolean {
  return LABEL_RE.test(name);
}

/** The dtype as a short word: DT_FLOAT → float. */
function dtypeWord(dtype: string): string {
  return dtype.replace(/^DT_/, '').toLowerCase();
}

function specShape(s: TensorSpec): string {
  return s.shape === null ? 'unknown rank' : `[${s.shape.join(',')}]`;
}

/** The shape of a nested list, or null when ragged; leaves are every non-list value. */
function shapeOf(v: JsonValue[]): number[] | null {
  const dims: number[] = [];
  let x: JsonValue = v;
  while (Array.isArray(x)) {
    dims.push(x.length);
    if (x.length === 0) break;
    x = x[0]!;
  }
  const check = (y: JsonValue, d: number): boolean => {
    if (d === dims.length) return !Array.isArray(y);
    if (!Array.isArray(y) || y.length !== dims[d]) return false;
    for (const z of y) if (!check(z, d + 1)) return false;
    return true;
  };
  return check(v, 0) ? dims : null;
}

function* leaves(v: JsonValue): Generator<JsonValue> {
  if (Array.isArray(v)) for (const x of v) yield* leaves(x);
  else yield v;
}

function leafText(v: JsonValue): string {
  if (isNum(v)) return v.text;
  if (typeof v === 'string') return JSON.stringify(v);
  if (isB64(v)) return `{b64 · ${b64Bytes(v.b64)} bytes}`;
  return compact(v, 200).text;
}

/** float when any number is written with a point or exponent, int otherwise; or the one other kind. */
function inferDtype(v: JsonValue): string {
  const kinds = new Set<string>();
  for (const x of leaves(v)) {
    if (isNum(x)) kinds.add(/^-?\d+$/.test(x.text) ? 'int' : 'float');
    else if (typeof x === 'string') kinds.add('string');
    else if (typeof x === 'boolean') kinds.add('bool');
    else if (isB64(x)) kinds.add('b64');
    else kinds.add(x === null ? 'null' : 'object');
    if (kinds.size > 2) break;
  }
  if (kinds.size === 2 && kinds.has('int') && kinds.has('float')) return 'float';
  return kinds.size === 1 ? [...kinds][0]! : kinds.size === 0 ? 'empty' : 'mixed';
}

function b64Bytes(b64: string): number {
  const s = b64.replace(/[\s=]+$/g, '').replace(/\s+/g, '');
  return Math.floor((s.length * 3) / 4);
}

const IMAGE_MAGIC: [string, string][] = [
  ['iVBORw0KGgo', 'image/png'],
  ['/9j/', 'image/jpeg'],
  ['R0lGOD', 'image/gif'],
  ['UklGR', 'image/webp'],
];

function b64Cell(b64: string): B64Cell {
  const bytes = b64Bytes(b64);
  // URL-safe base64 (what TF Serving and tf.io.encode_base64 write) read as standard base64.
  const std = b64.replace(/-/g, '+').replace(/_/g, '/').replace(/\s+/g, '');
  const mime = IMAGE_MAGIC.find(([magic]) => std.startsWith(magic))?.[1];
  const cell: B64Cell = { kind: 'b64', bytes, text: `b64 · ${bytes} bytes${mime ? ` · ${mime}` : ''}` };
  if (mime) {
    cell.mime = mime;
    if (std.length <= MAX_IMAGE_B64 && /^[A-Za-z0-9+/]*={0,2}$/.test(std)) cell.data = std;
  }
  return cell;
}

function tensorCell(v: JsonValue[], spec: TensorSpec | undefined): Cell {
  const shape = shapeOf(v);
  let count = 0;
  for (const _ of leaves(v)) count++;
  if (count <= FOLD_VALUES && shape) {
    const c = compact(v, FOLD_CHARS + 1);
    if (!c.truncated && c.text.length <= FOLD_CHARS) return { kind: 'list', text: c.text, shape };
  }
  const dtype = spec && spec.dtype !== 'DT_INVALID' ? dtypeWord(spec.dtype) : inferDtype(v);
  const values: string[] = [];
  for (const x of leaves(v)) {
    if (values.length >= MAX_EXPANDED_VALUES) break;
    values.push(leafText(x));
  }
  const head = values.slice(0, HEAD_VALUES);
  const shapeText = shape ? `[${shape.join(',')}]` : 'ragged';
  return {
    kind: 'folded',
    shape,
    dtype,
    count,
    head,
    values,
    text: `${shapeText} ${dtype} · ${count} value${count === 1 ? '' : 's'}`,
  };
}

function scalarText(v: JsonValue): string {
  if (isNum(v)) return v.text;
  if (v === null) return 'null';
  if (typeof v === 'string') return v.length > MAX_CELL_CHARS ? `${v.slice(0, MAX_CELL_CHARS)}…` : v;
  return String(v);
}

/** One output value of one instance as a cell. */
function valueCell(v: JsonValue | undefined, spec?: TensorSpec): Cell {
  if (v === undefined) return { kind: 'text', text: '' };
  if (isB64(v)) return b64Cell(v.b64);
  if (Array.isArray(v)) return tensorCell(v, spec);
  if (isObj(v)) return { kind: 'text', text: compact(v, MAX_CELL_CHARS).text };
  return { kind: 'scalar', text: scalarText(v) };
}

/** The numbers of a score vector: `[n]`, or `[1, n]` as many models write one instance. */
function scoreVector(v: JsonValue | undefined): JsonNumber[] | undefined {
  if (!Array.isArray(v)) return undefined;
  const flat = v.length === 1 && Array.isArray(v[0]) ? v[0] : v;
  if (flat.length < 2 || !flat.every(isNum)) return undefined;
  return flat as JsonNumber[];
}

function labelVector(v: JsonValue | undefined, n: number): string[] | undefined {
  if (!Array.isArray(v)) return undefined;
  const flat = v.length === 1 && Array.isArray(v[0]) ? v[0] : v;
  if (flat.length !== n || !flat.every((x) => typeof x === 'string' || isNum(x) || isB64(x))) return undefined;
  return flat.map((x) => (isNum(x) ? x.text : isB64(x) ? `b64:${x.b64.slice(0, 12)}` : (x as string)));
}

function topKCell(pairs: { label: string; score: JsonNumber }[], k: number): TopKCell {
  const ranked = pairs
    .map((p, i) => ({ ...p, i }))
    .sort((a, b) => (Number.isNaN(b.score.value) ? -1 : b.score.value - a.score.value) || a.i - b.i)
    .slice(0, k)
    .map((p): TopKItem => ({ label: p.label, score: p.score.value, scoreText: p.score.text }));
  return { kind: 'topk', items: ranked, of: pairs.length, text: ranked.map((p) => `${p.label} ${p.scoreText}`).join(', ') };
}

/**
 * Cells of one instance: each output a value cell, and a score vector (an output named like
 * scores/probabilities) its top k, labelled by the output named like classes/labels when they
 * have the same length, else by class index.
 */
function rowCells(values: Map<string, JsonValue | undefined>, columns: Column[], specs: Map<string, TensorSpec>, k: number): Cell[] {
  const labelsCol = columns.find((c) => isLabelName(c.name));
  return columns.map((c) => {
    const v = values.get(c.name);
    if (isScoreName(c.name)) {
      const scores = scoreVector(v);
      if (scores) {
        const labels = (labelsCol && labelVector(values.get(labelsCol.name), scores.length)) ?? scores.map((_, i) => String(i));
        c.classification = true;
        return topKCell(scores.map((score, i) => ({ label: labels[i]!, score })), k);
      }
    }
    return valueCell(v, specs.get(c.name));
  });
}

function columnsFor(names: string[], signature: Signature | undefined): Column[] {
  const specs = new Map((signature?.outputs ?? []).map((s) => [s.alias, s]));
  const order = new Map((signature?.outputs ?? []).map((s, i) => [s.alias, i]));
  const sorted = [...names].sort((a, b) => (order.get(a) ?? Infinity) - (order.get(b) ?? Infinity));
  return sorted.map((name) => {
    const s = specs.get(name);
    return s ? { name, dtype: dtypeWord(s.dtype), shape: specShape(s) } : { name };
  });
}

/** The column of a bare value (one output): the signature's only output, else "prediction". */
function singleColumn(signature: Signature | undefined, fallback: string): Column[] {
  const outs = signature?.outputs.filter((o) => !o.alias.startsWith('__')) ?? [];
  return outs.length === 1 ? columnsFor([outs[0]!.alias], signature) : [{ name: fallback }];
}

function keysOf(rows: JsonValue[]): string[] {
  const seen = new Set<string>();
  for (const r of rows) if (isObj(r)) for (const k of Object.keys(r)) seen.add(k);
  return [...seen];
}

function specMap(signature: Signature | undefined): Map<string, TensorSpec> {
  return new Map((signature?.outputs ?? []).map((s) => [s.alias, s]));
}

/** Rows of per-instance values (row format, Vertex AI, explain's predictions). */
function rowTable(list: JsonValue[], signature: Signature | undefined, k: number): { columns: Column[]; rows: Cell[][] } {
  const specs = specMap(signature);
  const objects = list.length > 0 && list.every((r) => isObj(r) && !isB64(r));
  if (objects) {
    const columns = columnsFor(keysOf(list), signature);
    const rows = list.map((r) => rowCells(new Map(Object.entries(r as JsonObject)), columns, specs, k));
    return { columns, rows };
  }
  const columns = singleColumn(signature, 'prediction');
  const rows = list.map((r) => rowCells(new Map([[columns[0]!.name, r]]), columns, specs, k));
  return { columns, rows };
}

/** TF Serving's columnar `outputs`: alias → values batch-first (or one bare output). */
function columnarTable(outputs: JsonValue, signature: Signature | undefined, k: number, notes: string[]): { columns: Column[]; rows: Cell[][] } {
  if (!isObj(outputs) || isB64(outputs)) {
    const list = Array.isArray(outputs) ? outputs : [outputs];
    if (!Array.isArray(outputs)) notes.push('The output has no batch dimension: shown as one row.');
    return rowTable(list, signature, k);
  }
  const columns = columnsFor(Object.keys(outputs), signature);
  const specs = specMap(signature);
  let n = 0;
  const unbatched: string[] = [];
  for (const c of columns) {
    const v = outputs[c.name]!;
    if (Array.isArray(v)) n = Math.max(n, v.length);
    else unbatched.push(c.name);
  }
  if (unbatched.length) notes.push(`Output${unbatched.length > 1 ? 's' : ''} ${unbatched.join(', ')} ha${unbatched.length > 1 ? 've' : 's'} no batch dimension: shown in the first row.`);
  n = Math.max(n, unbatched.length ? 1 : 0);
  const rows: Cell[][] = [];
  for (let i = 0; i < n; i++) {
    const values = new Map<string, JsonValue | undefined>();
    for (const c of columns) {
      const v = outputs[c.name]!;
      values.set(c.name, Array.isArray(v) ? v[i] : i === 0 ? v : undefined);
    }
    rows.push(rowCells(values, columns, specs, k));
  }
  return { columns, rows };
}

const isPair = (x: JsonValue): boolean => Array.isArray(x) && x.length === 2 && isNum(x[1]);

/** TF Serving classify: `[[[label, score], ...], ...]`; regress: `[v, ...]`. */
function resultTable(result: JsonValue[], k: number): { format: TableFormat; columns: Column[]; rows: Cell[][] } {
  const classify = result.length > 0 && result.every((r) => Array.isArray(r) && r.every(isPair));
  if (classify) {
    const rows = result.map((r) => {
      const pairs = (r as JsonValue[][]).map((p) => ({ label: isNum(p[0]) ? p[0].text : String(p[0] ?? ''), score: p[1] as JsonNumber }));
      return [topKCell(pairs, k)];
    });
    return { format: 'classify', columns: [{ name: 'classes', classification: true }], rows };
  }
  return { format: 'regress', columns: [{ name: 'value' }], rows: result.map((v) => [valueCell(v)]) };
}

/** The instances of a request body (row, columnar or classify/regress), one compact text each. */
function requestInputs(request: string): string[] | undefined {
  const parsed = parseJson(request);
  if (!parsed.ok || !isObj(parsed.value)) return undefined;
  const body = parsed.value;
  const list = body.instances ?? body.examples;
  if (Array.isArray(list)) return list.map((x) => compact(x, MAX_INPUT_CHARS).text);
  const inputs = body.inputs;
  if (Array.isArray(inputs)) return inputs.map((x) => compact(x, MAX_INPUT_CHARS).text);
  if (isObj(inputs) && !isB64(inputs)) {
    const names = Object.keys(inputs);
    const n = Math.max(0, ...names.map((a) => (Array.isArray(inputs[a]) ? (inputs[a] as JsonValue[]).length : 1)));
    return Array.from({ length: n }, (_, i) => {
      const o = newObject();
      for (const a of names) {
        const v = inputs[a]!;
        const x = Array.isArray(v) ? v[i] : v;
        if (x !== undefined) o[a] = x;
      }
      return compact(o, MAX_INPUT_CHARS).text;
    });
  }
  return undefined;
}

/** The service's message: TF Serving's string, google.rpc.Status's message, with Vertex AI's nested {"error": ...} unwrapped (serverText). */
function errorText(e: JsonValue): string {
  if (typeof e === 'string') return serverText(e);
  if (isObj(e) && typeof e.message === 'string') return serverText(e.message);
  return compact(e, MAX_CELL_CHARS).text;
}

function served(body: JsonObject): ServedBy {
  const out: ServedBy = {};
  for (const k of ['deployedModelId', 'model', 'modelVersionId', 'modelDisplayName'] as const) {
    const v = body[k];
    if (typeof v === 'string') out[k] = v;
    else if (isNum(v)) out[k] = v.text;
  }
  return out;
}

function toValue(body: unknown): ParseResult {
  if (typeof body === 'string') {
    if (body.trim() === '') return { ok: false, error: 'the body is empty', offset: 0 };
    return parseJson(body);
  }
  return { ok: true, value: fromPlain(body) };
}

/**
 * The table (and charts, for an ExplainResponse) of one answer. `body` is the response text as
 * sent, or the parsed object. Never throws: a body that cannot be read gives format 'text'.
 */
export function presentResponse(body: unknown, op: 'predict' | 'explain', opts: PresentOptions = {}): ResultsTable {
  const k = opts.topK ?? 5;
  const table: ResultsTable = { format: 'text', columns: [], rows: [], served: {}, notes: [], explanations: [] };
  const parsed = toValue(body);
  if (!parsed.ok) {
    table.parseError = `Not JSON: ${parsed.error}`;
    return table;
  }
  const v = parsed.value;
  table.value = v;
  if (!isObj(v)) {
    table.format = 'unrecognized';
    table.notes.push('The answer is not a JSON object.');
    return table;
  }
  table.served = served(v);
  let got: { columns: Column[]; rows: Cell[][] } | undefined;
  if (v.error !== undefined && v.predictions === undefined && v.outputs === undefined) {
    table.format = 'error';
    table.error = errorText(v.error);
    return table;
  }
  if (Array.isArray(v.explanations)) {
    table.format = 'explain';
    table.explanations = chartsOf(v.explanations, opts.maxBars ?? MAX_BARS);
    if (v.predictions !== undefined) got = rowTable(Array.isArray(v.predictions) ? v.predictions : [v.predictions], opts.signature, k);
  } else if (v.predictions !== undefined) {
    table.format = 'predictions';
    got = rowTable(Array.isArray(v.predictions) ? v.predictions : [v.predictions], opts.signature, k);
  } else if (v.outputs !== undefined) {
    table.format = 'columnar';
    got = columnarTable(v.outputs, opts.signature, k, table.notes);
  } else if (Array.isArray(v.result ?? v.results)) {
    const r = resultTable((v.result ?? v.results) as JsonValue[], k);
    table.format = r.format;
    got = r;
  } else {
    table.format = 'unrecognized';
    table.notes.push('No predictions, outputs, result or explanations in the answer.');
  }
  if (op === 'explain' && table.format !== 'explain') table.notes.push('The answer holds no explanations.');
  if (got) {
    table.columns = got.columns;
    table.rows = got.rows;
  }
  const answered = table.rows.length;
  if (opts.request !== undefined && answered > 0) {
    const inputs = requestInputs(opts.request);
    if (inputs) {
      table.inputs = inputs.slice(0, Math.min(answered, MAX_ROWS));
      if (inputs.length !== answered) {
        table.notes.push(`The request sent ${inputs.length} instance${inputs.length === 1 ? '' : 's'}; the answer has ${answered} row${answered === 1 ? '' : 's'}.`);
      }
    }
  }
  if (answered > MAX_ROWS) {
    // A table of every row of a large batch would cost the view seconds to draw and its snapshot.
    table.rows = table.rows.slice(0, MAX_ROWS);
    table.notes.push(`Showing the first ${MAX_ROWS} of ${answered} rows; the Raw JSON tab has the whole answer, and Save Response… writes it.`);
  }
  return table;
}

// ---------------------------------------------------------------------------------------------
// Explanations

/** The most bars a chart draws; the rest are counted ("N more"). */
export const MAX_BARS = 30;

export interface AttributionBar {
  /** The feature: an input alias, with [i][j] for an element of a tensor input. */
  label: string;
  value: number;
  /** The value as the body wrote it. */
  text: string;
}

export interface AttributionChart {
  /** The instance (index into `explanations`). */
  instance: number;
  /** outputDisplayName, else outputName, else "output". */
  output: string;
  outputIndex?: number[];
  baseline?: string;
  instanceValue?: string;
  approximationError?: string;
  /** Largest |value| first, at most maxBars. */
  bars: AttributionBar[];
  /** Features not drawn. */
  more: number;
  /** Features in all. */
  total: number;
  /** Largest |value| over all features (the chart's scale). */
  maxAbs: number;
}

/** Every numeric leaf of featureAttributions with its label: alias, alias[i][j], or [i] for a bare list. */
function flattenAttributions(v: JsonValue, label: string, out: AttributionBar[], depth = 0): void {
  if (depth > MAX_JSON_DEPTH) return;
  if (isNum(v)) {
    out.push({ label: label || 'value', value: v.value, text: v.text });
  } else if (Array.isArray(v)) {
    v.forEach((x, i) => flattenAttributions(x, `${label}[${i}]`, out, depth + 1));
  } else if (isObj(v)) {
    for (const [k, x] of Object.entries(v)) flattenAttributions(x, label ? `${label}.${k}` : k, out, depth + 1);
  }
}

function numText(v: JsonValue | undefined): string | undefined {
  if (isNum(v)) return v.text;
  if (Array.isArray(v) || isObj(v)) return compact(v, 200).text;
  return typeof v === 'string' ? v : undefined;
}

function chartsOf(explanations: JsonValue[], maxBars: number): AttributionChart[] {
  const charts: AttributionChart[] = [];
  explanations.forEach((e, instance) => {
    const attributions = isObj(e) && Array.isArray(e.attributions) ? e.attributions : [];
    for (const a of attributions) {
      if (!isObj(a)) continue;
      const all: AttributionBar[] = [];
      if (a.featureAttributions !== undefined) flattenAttributions(a.featureAttributions, '', all);
      const finite = all.filter((b) => Number.isFinite(b.value));
      const sorted = finite.map((b, i) => ({ b, i })).sort((p, q) => Math.abs(q.b.value) - Math.abs(p.b.value) || p.i - q.i).map((p) => p.b);
      const index = Array.isArray(a.outputIndex) && a.outputIndex.every(isNum) ? (a.outputIndex as JsonNumber[]).map((n) => n.value) : undefined;
      const name = typeof a.outputDisplayName === 'string' && a.outputDisplayName ? a.outputDisplayName : typeof a.outputName === 'string' && a.outputName ? a.outputName : 'output';
      const chart: AttributionChart = {
        instance,
        output: name,
        bars: sorted.slice(0, maxBars),
        more: all.length - Math.min(sorted.length, maxBars),
        total: all.length,
        maxAbs: sorted.length ? Math.abs(sorted[0]!.value) : 0,
      };
      if (index) chart.outputIndex = index;
      const baseline = numText(a.baselineOutputValue);
      const inst = numText(a.instanceOutputValue);
      const err = numText(a.approximationError);
      if (baseline !== undefined) chart.baseline = baseline;
      if (inst !== undefined) chart.instanceValue = inst;
      if (err !== undefined) chart.approximationError = err;
      charts.push(chart);
    }
  });
  return charts;
}
